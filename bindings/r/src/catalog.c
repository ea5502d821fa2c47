/* R glue: Unity Catalog (catalogs, schemas, tables, volumes; see dbx_r.h).
 *
 * `kind` selects the object: "catalogs", "schemas", "tables", "volumes" (and "summaries" for
 * lists). Results are the objects' JSON converted to R lists (R/catalog.R makes data.frames of
 * them); every owned C result is converted and freed before returning. Option arrays for C
 * (properties pairs, column defs) live in R_alloc memory, reclaimed when the .Call returns. */
#include <string.h>

#include "dbx_r.h"

static int kind_of(SEXP kind)
{
    const char *k = dbx_r_str(kind);
    static const char *const kinds[] = {"catalogs", "schemas", "tables", "volumes", "summaries"};
    for (int i = 0; k && i < 5; i++)
        if (!strcmp(k, kinds[i]))
            return i;
    return -1;
}

/* A named character vector (or NULL) as {k1, v1, ..., NULL}; NULL when absent. */
static const char *const *pairs(SEXP v)
{
    if (Rf_isNull(v) || !Rf_isString(v))
        return NULL;
    SEXP names = Rf_getAttrib(v, R_NamesSymbol);
    R_xlen_t n = XLENGTH(v);
    const char **out = (const char **)R_alloc((size_t)(2 * n + 1), sizeof *out);
    for (R_xlen_t i = 0; i < n; i++) {
        out[2 * i] = Rf_isNull(names) ? "" : Rf_translateCharUTF8(STRING_ELT(names, i));
        out[2 * i + 1] = STRING_ELT(v, i) == NA_STRING ? "" : Rf_translateCharUTF8(STRING_ELT(v, i));
    }
    out[2 * n] = NULL;
    return out;
}

/* Element `name` of a named list, or R_NilValue. */
static SEXP elt(SEXP list, const char *name)
{
    SEXP names = Rf_getAttrib(list, R_NamesSymbol);
    for (R_xlen_t i = 0; !Rf_isNull(names) && i < XLENGTH(list); i++)
        if (!strcmp(Rf_translateCharUTF8(STRING_ELT(names, i)), name))
            return VECTOR_ELT(list, i);
    return R_NilValue;
}

static const char *str_elt(SEXP list, const char *name) { return dbx_r_str(elt(list, name)); }

static int int_elt(SEXP list, const char *name, int dflt)
{
    SEXP v = elt(list, name);
    if (Rf_isNull(v) || XLENGTH(v) < 1)
        return dflt;
    int i = Rf_asInteger(v);
    return i == NA_INTEGER ? dflt : i;
}

/* opts: c(page_size, max_items, include_browse, include_unbound, omit_columns,
 * omit_properties, omit_username) as doubles. */
static void list_opts(dbx_uc_list_options *o, SEXP v)
{
    *o = (dbx_uc_list_options)DBX_UC_LIST_OPTIONS_INIT;
    if (Rf_isNull(v) || XLENGTH(v) < 7)
        return;
    SEXP d = PROTECT(Rf_coerceVector(v, REALSXP));
    double *x = REAL(d);
    o->page_size = ISNAN(x[0]) ? 0 : (int)x[0];
    o->max_items = ISNAN(x[1]) ? 0 : (long)x[1];
    o->include_browse = x[2] != 0;
    o->include_unbound = x[3] != 0;
    o->omit_columns = x[4] != 0;
    o->omit_properties = x[5] != 0;
    o->omit_username = x[6] != 0;
    UNPROTECT(1);
}

typedef union uc_iter {
    dbx_catalogs_iter *cat;
    dbx_schemas_iter *sch;
    dbx_tables_iter *tab;
    dbx_volumes_iter *vol;
    dbx_table_summaries_iter *sum;
} uc_iter;

typedef union uc_obj {
    dbx_catalog *cat;
    dbx_schema *sch;
    dbx_table *tab;
    dbx_volume *vol;
} uc_obj;

static void iter_free(int k, uc_iter it)
{
    switch (k) {
    case 0: dbx_catalogs_iter_free(it.cat); break;
    case 1: dbx_schemas_iter_free(it.sch); break;
    case 2: dbx_tables_iter_free(it.tab); break;
    case 3: dbx_volumes_iter_free(it.vol); break;
    default: dbx_table_summaries_iter_free(it.sum); break;
    }
}

/* The next item's JSON (borrowed), or NULL with *st set. */
static const char *iter_next(int k, uc_iter it, dbx_status *st)
{
    switch (k) {
    case 0: {
        const dbx_catalog *i = NULL;
        return (*st = dbx_catalogs_iter_next(&i, it.cat)) == DBX_OK ? dbx_catalog_json(i) : NULL;
    }
    case 1: {
        const dbx_schema *i = NULL;
        return (*st = dbx_schemas_iter_next(&i, it.sch)) == DBX_OK ? dbx_schema_json(i) : NULL;
    }
    case 2: {
        const dbx_table *i = NULL;
        return (*st = dbx_tables_iter_next(&i, it.tab)) == DBX_OK ? dbx_table_json(i) : NULL;
    }
    case 3: {
        const dbx_volume *i = NULL;
        return (*st = dbx_volumes_iter_next(&i, it.vol)) == DBX_OK ? dbx_volume_json(i) : NULL;
    }
    default: {
        const dbx_table_summary *i = NULL;
        return (*st = dbx_table_summaries_iter_next(&i, it.sum)) == DBX_OK ? dbx_table_summary_json(i) : NULL;
    }
    }
}

/* Every item of a list as R lists (grown by doubling). */
SEXP r_dbx_uc_list(SEXP x, SEXP kind, SEXP a, SEXP b, SEXP c3, SEXP opts)
{
    DBX_R_NEED_CLIENT(c, x);
    int k = kind_of(kind);
    dbx_uc_list_options o;
    list_opts(&o, opts);
    uc_iter it = {0};
    dbx_status st;
    switch (k) {
    case 0: st = dbx_catalogs_list(&it.cat, c, &o); break;
    case 1: st = dbx_schemas_list(&it.sch, c, dbx_r_str(a), &o); break;
    case 2: st = dbx_tables_list(&it.tab, c, dbx_r_str(a), dbx_r_str(b), &o); break;
    case 3: st = dbx_volumes_list(&it.vol, c, dbx_r_str(a), dbx_r_str(b), &o); break;
    case 4: st = dbx_tables_list_summaries(&it.sum, c, dbx_r_str(a), dbx_r_str(b), dbx_r_str(c3), &o); break;
    default: return dbx_r_failure(NULL, DBX_EINVAL);
    }
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    R_xlen_t n = 0, cap = 16;
    PROTECT_INDEX pi;
    SEXP acc;
    PROTECT_WITH_INDEX(acc = Rf_allocVector(VECSXP, cap), &pi);
    const char *json;
    while ((json = iter_next(k, it, &st)) != NULL) {
        if (n == cap) {
            cap *= 2;
            REPROTECT(acc = Rf_lengthgets(acc, cap), pi);
        }
        SET_VECTOR_ELT(acc, n++, dbx_r_json(json));
    }
    SEXP out = PROTECT(st == DBX_DONE ? Rf_lengthgets(acc, n) : dbx_r_failure(c, st));
    iter_free(k, it);
    UNPROTECT(2);
    return out;
}

/* An owned result as an R list, freed at once (a failure record when the call failed). */
static SEXP take(dbx_client *c, dbx_status st, int k, uc_obj obj)
{
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    SEXP out;
    switch (k) {
    case 0: out = dbx_r_json(dbx_catalog_json(obj.cat)); dbx_catalog_free(obj.cat); break;
    case 1: out = dbx_r_json(dbx_schema_json(obj.sch)); dbx_schema_free(obj.sch); break;
    case 2: out = dbx_r_json(dbx_table_json(obj.tab)); dbx_table_free(obj.tab); break;
    default: out = dbx_r_json(dbx_volume_json(obj.vol)); dbx_volume_free(obj.vol); break;
    }
    return out;
}

SEXP r_dbx_uc_get(SEXP x, SEXP kind, SEXP name)
{
    DBX_R_NEED_CLIENT(c, x);
    int k = kind_of(kind);
    uc_obj obj = {0};
    dbx_status st;
    switch (k) {
    case 0: st = dbx_catalogs_get(&obj.cat, c, dbx_r_str(name)); break;
    case 1: st = dbx_schemas_get(&obj.sch, c, dbx_r_str(name)); break;
    case 2: st = dbx_tables_get(&obj.tab, c, dbx_r_str(name)); break;
    case 3: st = dbx_volumes_read(&obj.vol, c, dbx_r_str(name)); break;
    default: return dbx_r_failure(NULL, DBX_EINVAL);
    }
    return take(c, st, k, obj);
}

static void create_opts(dbx_uc_create_options *o, SEXP opts)
{
    *o = (dbx_uc_create_options)DBX_UC_CREATE_OPTIONS_INIT;
    o->comment = str_elt(opts, "comment");
    o->properties = pairs(elt(opts, "properties"));
    o->storage_root = str_elt(opts, "storage_root");
    o->storage_location = str_elt(opts, "storage_location");
    o->provider_name = str_elt(opts, "provider_name");
    o->share_name = str_elt(opts, "share_name");
    o->connection_name = str_elt(opts, "connection_name");
    o->options = pairs(elt(opts, "options"));
}

/* An enum value from its server spelling through the C name function; -1 when unknown. */
static int enum_value(const char *(*name_fn)(int), const char *s)
{
    for (int i = 1; s && i < 256; i++) {
        const char *n = name_fn(i);
        if (!strcmp(n, "UNKNOWN"))
            break;
        if (!strcmp(n, s))
            return i;
    }
    return -1;
}

static const char *volume_type_name(int v) { return dbx_volume_type_name((dbx_volume_type_t)v); }
static const char *column_type_name(int v) { return dbx_column_type_name((dbx_column_type_t)v); }

/* create: catalogs (name = a), schemas (catalog a, name b), volumes (a, b, name c3, type) */
SEXP r_dbx_uc_create(SEXP x, SEXP kind, SEXP a, SEXP b, SEXP c3, SEXP type, SEXP opts)
{
    DBX_R_NEED_CLIENT(c, x);
    int k = kind_of(kind);
    dbx_uc_create_options o;
    create_opts(&o, opts);
    uc_obj obj = {0};
    dbx_status st;
    switch (k) {
    case 0: st = dbx_catalogs_create(&obj.cat, c, dbx_r_str(a), &o); break;
    case 1: st = dbx_schemas_create(&obj.sch, c, dbx_r_str(a), dbx_r_str(b), &o); break;
    case 3: {
        int vt = enum_value(volume_type_name, dbx_r_str(type));
        if (vt < 0)
            return dbx_r_failure(NULL, DBX_EINVAL);
        st = dbx_volumes_create(&obj.vol, c, dbx_r_str(a), dbx_r_str(b), dbx_r_str(c3),
                                (dbx_volume_type_t)vt, &o);
        break;
    }
    default: return dbx_r_failure(NULL, DBX_EINVAL);
    }
    return take(c, st, k, obj);
}

SEXP r_dbx_uc_update(SEXP x, SEXP kind, SEXP name, SEXP opts)
{
    DBX_R_NEED_CLIENT(c, x);
    int k = kind_of(kind);
    dbx_uc_update_options o = DBX_UC_UPDATE_OPTIONS_INIT;
    o.new_name = str_elt(opts, "new_name");
    o.comment = str_elt(opts, "comment");
    o.owner = str_elt(opts, "owner");
    o.properties = pairs(elt(opts, "properties"));
    o.isolation_mode = str_elt(opts, "isolation_mode");
    o.enable_predictive_optimization = str_elt(opts, "enable_predictive_optimization");
    uc_obj obj = {0};
    dbx_status st;
    switch (k) {
    case 0: st = dbx_catalogs_update(&obj.cat, c, dbx_r_str(name), &o); break;
    case 1: st = dbx_schemas_update(&obj.sch, c, dbx_r_str(name), &o); break;
    case 2:
        st = dbx_tables_update(c, dbx_r_str(name), &o);
        return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
    case 3: st = dbx_volumes_update(&obj.vol, c, dbx_r_str(name), &o); break;
    default: return dbx_r_failure(NULL, DBX_EINVAL);
    }
    return take(c, st, k, obj);
}

SEXP r_dbx_uc_delete(SEXP x, SEXP kind, SEXP name, SEXP force)
{
    DBX_R_NEED_CLIENT(c, x);
    int f = Rf_asLogical(force) == 1;
    dbx_status st;
    switch (kind_of(kind)) {
    case 0: st = dbx_catalogs_delete(c, dbx_r_str(name), f); break;
    case 1: st = dbx_schemas_delete(c, dbx_r_str(name), f); break;
    case 2: st = dbx_tables_delete(c, dbx_r_str(name)); break;
    case 3: st = dbx_volumes_delete(c, dbx_r_str(name)); break;
    default: return dbx_r_failure(NULL, DBX_EINVAL);
    }
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

SEXP r_dbx_tables_exists(SEXP x, SEXP name)
{
    DBX_R_NEED_CLIENT(c, x);
    int ex = 0;
    dbx_status st = dbx_tables_exists(&ex, c, dbx_r_str(name));
    return st == DBX_OK ? Rf_ScalarLogical(ex) : dbx_r_failure(c, st);
}

/* columns: a list of lists(name, type_text, type_name, precision, scale, nullable, comment,
 * partition_index) as R/catalog.R builds them. */
SEXP r_dbx_tables_create_external(SEXP x, SEXP catalog, SEXP schema, SEXP name, SEXP columns, SEXP opts)
{
    DBX_R_NEED_CLIENT(c, x);
    if (!Rf_isNewList(columns))
        return dbx_r_failure(NULL, DBX_EINVAL);
    R_xlen_t n = XLENGTH(columns);
    dbx_column_def *defs = (dbx_column_def *)R_alloc((size_t)(n ? n : 1), sizeof *defs);
    for (R_xlen_t i = 0; i < n; i++) {
        SEXP col = VECTOR_ELT(columns, i);
        dbx_column_def *d = &defs[i];
        memset(d, 0, sizeof *d);
        d->name = str_elt(col, "name");
        d->type_text = str_elt(col, "type_text");
        const char *tn = str_elt(col, "type_name");
        if (tn) {
            int v = enum_value(column_type_name, tn);
            if (v < 0)
                return dbx_r_failure(NULL, DBX_EINVAL);
            d->type = (dbx_column_type_t)v;
        }
        d->precision = int_elt(col, "precision", 0);
        d->scale = int_elt(col, "scale", 0);
        SEXP nullable = elt(col, "nullable");
        d->not_null = !Rf_isNull(nullable) && Rf_asLogical(nullable) == 0;
        d->comment = str_elt(col, "comment");
        int part = int_elt(col, "partition_index", -1);
        d->partition_index = part < 0 ? 0 : part + 1;
    }
    dbx_uc_create_options o;
    create_opts(&o, opts);
    uc_obj t = {0};
    dbx_status st = dbx_tables_create_external(&t.tab, c, dbx_r_str(catalog), dbx_r_str(schema), dbx_r_str(name),
                                               defs, (size_t)n, &o);
    return take(c, st, 2, t);
}

/* The known server spellings of an enum: "table_type", "data_source_format",
 * "column_type", "volume_type". */
SEXP r_dbx_uc_enum_names(SEXP which)
{
    const char *w = dbx_r_str(which);
    const char *names[256];
    int n = 0;
    for (int i = 1; w && i < 256; i++) {
        const char *s = !strcmp(w, "table_type")           ? dbx_table_type_name((dbx_table_type_t)i)
                        : !strcmp(w, "data_source_format") ? dbx_data_source_format_name((dbx_data_source_format_t)i)
                        : !strcmp(w, "column_type")        ? dbx_column_type_name((dbx_column_type_t)i)
                        : !strcmp(w, "volume_type")        ? dbx_volume_type_name((dbx_volume_type_t)i)
                                                           : "UNKNOWN";
        if (!strcmp(s, "UNKNOWN"))
            break;
        names[n++] = s;
    }
    SEXP out = PROTECT(Rf_allocVector(STRSXP, n));
    for (int i = 0; i < n; i++)
        SET_STRING_ELT(out, i, Rf_mkCharCE(names[i], CE_UTF8));
    UNPROTECT(1);
    return out;
}

const R_CallMethodDef dbx_r_calls_catalog[] = {
    {"r_dbx_uc_list", (DL_FUNC)&r_dbx_uc_list, 6},
    {"r_dbx_uc_get", (DL_FUNC)&r_dbx_uc_get, 3},
    {"r_dbx_uc_create", (DL_FUNC)&r_dbx_uc_create, 7},
    {"r_dbx_uc_update", (DL_FUNC)&r_dbx_uc_update, 4},
    {"r_dbx_uc_delete", (DL_FUNC)&r_dbx_uc_delete, 4},
    {"r_dbx_tables_exists", (DL_FUNC)&r_dbx_tables_exists, 2},
    {"r_dbx_tables_create_external", (DL_FUNC)&r_dbx_tables_create_external, 6},
    {"r_dbx_uc_enum_names", (DL_FUNC)&r_dbx_uc_enum_names, 1},
    {NULL, NULL, 0}};
