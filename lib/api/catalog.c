/* libdbx: Unity Catalog catalogs, schemas, tables and volumes
 * (/api/2.1/unity-catalog/ *). Request building and response mapping only. */
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "api.h"
#include "catalog_internal.h"
#include "dbx/catalog.h"

#define BASE "/api/2.1/unity-catalog"

/* ---- enums ------------------------------------------------------------------- */

static const char *table_type_names[] = {
    "UNKNOWN", "MANAGED", "EXTERNAL", "VIEW", "MATERIALIZED_VIEW", "STREAMING_TABLE", "FOREIGN",
    "MANAGED_SHALLOW_CLONE", "EXTERNAL_SHALLOW_CLONE", "METRIC_VIEW"};

static const char *format_names[] = {
    "UNKNOWN", "DELTA", "CSV", "JSON", "AVRO", "PARQUET", "ORC", "TEXT", "UNITY_CATALOG",
    "DELTASHARING", "DATABRICKS_FORMAT", "DATABRICKS_ROW_STORE_FORMAT", "DELTA_UNIFORM_ICEBERG",
    "DELTA_UNIFORM_HUDI", "ICEBERG", "HIVE", "VECTOR_INDEX_FORMAT", "MYSQL_FORMAT",
    "POSTGRESQL_FORMAT", "REDSHIFT_FORMAT", "SNOWFLAKE_FORMAT", "SQLDW_FORMAT", "SQLSERVER_FORMAT",
    "SALESFORCE_FORMAT", "SALESFORCE_DATA_CLOUD_FORMAT", "BIGQUERY_FORMAT", "NETSUITE_FORMAT",
    "WORKDAY_RAAS_FORMAT", "MONGODB_FORMAT", "ORACLE_FORMAT", "TERADATA_FORMAT"};

static const char *column_type_names[] = {
    "UNKNOWN", "BOOLEAN", "BYTE", "SHORT", "INT", "LONG", "FLOAT", "DOUBLE", "DATE", "TIMESTAMP",
    "TIMESTAMP_NTZ", "STRING", "BINARY", "DECIMAL", "INTERVAL", "ARRAY", "STRUCT", "MAP", "CHAR",
    "NULL", "USER_DEFINED_TYPE", "TABLE_TYPE", "VARIANT", "GEOGRAPHY", "GEOMETRY"};

static const char *volume_type_names[] = {"UNKNOWN", "MANAGED", "EXTERNAL"};

#define N_OF(a) (sizeof(a) / sizeof *(a))

static const char *enum_name(const char *const *names, size_t n, int v)
{
    return v >= 0 && (size_t)v < n ? names[v] : "UNKNOWN";
}

static int enum_parse(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 1; s && i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return (int)i;
    return 0;
}

DBX_API const char *dbx_table_type_name(dbx_table_type_t t) { return enum_name(table_type_names, N_OF(table_type_names), (int)t); }
DBX_API const char *dbx_data_source_format_name(dbx_data_source_format_t f) { return enum_name(format_names, N_OF(format_names), (int)f); }
DBX_API const char *dbx_column_type_name(dbx_column_type_t t) { return enum_name(column_type_names, N_OF(column_type_names), (int)t); }
DBX_API const char *dbx_volume_type_name(dbx_volume_type_t t) { return enum_name(volume_type_names, N_OF(volume_type_names), (int)t); }

/* ---- names ------------------------------------------------------------------- */

/* A name of exactly `parts` non-empty parts separated by '.', valid UTF-8. */
static dbx_status check_name(dbx_client *c, const char *func, const char *arg, const char *s, int parts)
{
    if (dbx__empty(s))
        return dbx__fail(c, DBX_EINVAL, "%s: %s is required", func, arg);
    if (!dbx__utf8_valid(s))
        return dbx__fail(c, DBX_EINVAL, "%s: %s is not valid UTF-8", func, arg);
    int n = 1;
    char prev = '.';
    for (const char *p = s; *p; p++) {
        if (*p == '.') {
            if (prev == '.')
                break; /* empty part: reported below */
            n++;
        }
        prev = *p;
    }
    int empty = prev == '.';
    if (empty || n != parts) {
        static const char *what[] = {"", "a single name without '.'", "catalog.schema",
                                     "catalog.schema.name"};
        return dbx__fail(c, DBX_EINVAL, "%s: %s must be %s (%d non-empty part%s separated by '.')", func, arg,
                         what[parts], parts, parts == 1 ? "" : "s");
    }
    return DBX_OK;
}

#define CHECK_NAME(c, s, parts)                                                                 \
    do {                                                                                        \
        dbx_status st_ = check_name((c), __func__, #s, (s), (parts));                          \
        if (st_ != DBX_OK)                                                                      \
            return st_;                                                                         \
    } while (0)

/* BASE "/<coll>/<percent-encoded name>[suffix]" into b. -1 on OOM. */
static int object_path(dbx__buf *b, const char *coll, const char *name, const char *suffix)
{
    dbx__buf_puts(b, BASE "/");
    dbx__buf_puts(b, coll);
    dbx__buf_putc(b, '/');
    dbx__buf_put_urlenc(b, name);
    if (suffix)
        dbx__buf_puts(b, suffix);
    return b->oom ? -1 : 0;
}

/* ---- results: a view plus an index of its columns and properties ------------- */

struct dbx_column {
    dbx__jv v;
};

typedef struct uc_info {
    dbx__view v; /* first: the result pointer is also a dbx__view * */
    struct dbx_column *cols;
    size_t ncols;
    dbx__jv *pvals;
    const char **pkeys;
    size_t nprops;
} uc_info;

struct dbx_catalog { uc_info u; };
struct dbx_schema { uc_info u; };
struct dbx_table { uc_info u; };
struct dbx_volume { uc_info u; };
struct dbx_table_summary { uc_info u; };

static void index_clear(uc_info *u)
{
    dbx__free(u->cols);
    dbx__free(u->pvals);
    dbx__free(u->pkeys);
    u->cols = NULL;
    u->pvals = NULL;
    u->pkeys = NULL;
    u->ncols = u->nprops = 0;
}

/* Index columns[] and properties{} of the view's value. 0, or -1 on OOM
 * (nothing indexed). Server input: a "columns" that is not an array or a
 * "properties" that is not an object indexes as empty. */
static int index_build(uc_info *u)
{
    index_clear(u);
    dbx__jv cols = dbx__jv_get(u->v.v, "columns");
    dbx__jv props = dbx__jv_get(u->v.v, "properties");
    size_t nc = dbx__jv_is_array(cols) ? dbx__jv_count(cols) : 0;
    size_t np = dbx__jv_is_object(props) ? dbx__jv_count(props) : 0;
    if ((nc && !(u->cols = dbx__calloc(nc, sizeof *u->cols))) ||
        (np && (!(u->pvals = dbx__calloc(np, sizeof *u->pvals)) ||
                !(u->pkeys = dbx__calloc(np, sizeof *u->pkeys))))) {
        index_clear(u);
        return -1;
    }
    dbx__jit it;
    dbx__jv v;
    const char *k;
    if (nc) {
        dbx__jv_iter(cols, &it);
        while (u->ncols < nc && dbx__jit_next(&it, &v, NULL))
            u->cols[u->ncols++].v = v;
    }
    if (np) {
        dbx__jv_iter(props, &it);
        while (u->nprops < np && dbx__jit_next(&it, &v, &k)) {
            u->pkeys[u->nprops] = k;
            u->pvals[u->nprops++] = v;
        }
    }
    return 0;
}

static void info_free(uc_info *u)
{
    if (!u)
        return;
    index_clear(u);
    dbx__view_free(u);
}

#define V(x) ((x)->u.v.v)
#define S(x, key) ((x) ? dbx__jv_get_str(V(x), key, "") : "")
#define I(x, key) ((x) ? dbx__jv_get_int(V(x), key, 0) : 0)

static const char *prop_get(const uc_info *u, const char *key)
{
    if (!u || !key)
        return NULL;
    dbx__jv p = dbx__jv_get(u->v.v, "properties");
    dbx__jv v = dbx__jv_is_object(p) ? dbx__jv_get(p, key) : DBX__JV_ABSENT;
    if (!dbx__jv_present(v))
        return NULL;
    return dbx__jv_str(v, "");
}

static int prop_at(const uc_info *u, size_t i, const char **key, const char **value)
{
    if (!u || i >= u->nprops) {
        if (key)
            *key = NULL;
        if (value)
            *value = NULL;
        return 0;
    }
    if (key)
        *key = u->pkeys[i];
    if (value)
        *value = dbx__jv_str(u->pvals[i], "");
    return 1;
}

static const char *info_json(const uc_info *u) { return u ? dbx__view_text(&u->v, 0, u->v.v) : NULL; }

/* Make a result from a parsed answer; `must` names a member the answer
 * must hold as a non-empty string. The document is consumed. */
static dbx_status info_new(uc_info **out, dbx_client *c, dbx__jdoc *doc, const char *must, const char *what)
{
    if (must && dbx__empty(dbx__jv_get_str(dbx__jdoc_root(doc), must, NULL))) {
        dbx__jdoc_dispose(doc);
        return dbx__fail_answer(c, DBX_EBADRESPONSE, "%s: response has no %s", what, must);
    }
    uc_info *u = dbx__view_new(sizeof *u, doc);
    if (!u || index_build(u) != 0) {
        info_free(u);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    *out = u;
    return DBX_OK;
}

/* Call and map the answer into *out (or discard it when out is NULL). */
static dbx_status info_call(uc_info **out, dbx_client *c, const char *method, const char *path,
                            const json_t *body, int flags, const char *must, const char *what)
{
    if (!out)
        return dbx__api_call(c, method, path, body, flags, NULL);
    dbx__jdoc doc;
    dbx_status st = dbx__api_call(c, method, path, body, flags, &doc);
    if (st != DBX_OK)
        return st;
    return info_new(out, c, &doc, must, what);
}

/* GET <coll>/<name> into *out. */
static dbx_status info_get(uc_info **out, dbx_client *c, const char *coll, const char *name, const char *what)
{
    char small[512];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    if (object_path(&path, coll, name, NULL) != 0) {
        dbx__buf_dispose(&path);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx_status st = info_call(out, c, "GET", path.ptr, NULL, DBX__CALL_IDEMPOTENT | DBX__CALL_LARGE, "name", what);
    dbx__buf_dispose(&path);
    return st;
}

/* DELETE <coll>/<name>[?force=true]. */
static dbx_status object_delete(dbx_client *c, const char *coll, const char *name, int force)
{
    char small[512];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    object_path(&path, coll, name, NULL);
    if (force)
        dbx__query_add(&path, "force", "true");
    if (path.oom) {
        dbx__buf_dispose(&path);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    /* deleting twice has the effect of deleting once: a lost answer may be retried */
    dbx_status st = dbx__api_call(c, "DELETE", path.ptr, NULL, DBX__CALL_IDEMPOTENT, NULL);
    dbx__buf_dispose(&path);
    return st;
}

/* ---- options -> request bodies ------------------------------------------------ */

enum {
    F_COMMENT = 1 << 0,
    F_PROPERTIES = 1 << 1,
    F_STORAGE_ROOT = 1 << 2,
    F_STORAGE_LOCATION = 1 << 3,
    F_PROVIDER = 1 << 4,
    F_SHARE = 1 << 5,
    F_CONNECTION = 1 << 6,
    F_OPTIONS = 1 << 7,
    F_NEW_NAME = 1 << 8,
    F_OWNER = 1 << 9,
    F_ISOLATION = 1 << 10,
    F_PREDICTIVE = 1 << 11
};

typedef enum { K_STR, K_PAIRS, K_NAME, K_NONEMPTY } fkind;

typedef struct field {
    const char *name; /* also the JSON member */
    size_t off;
    unsigned flag;
    fkind kind;
    const char *const *allowed; /* NULL-terminated enum values, or NULL */
} field;

static const char *const isolation_modes[] = {"OPEN", "ISOLATED", NULL};
static const char *const predictive_modes[] = {"ENABLE", "DISABLE", "INHERIT", NULL};

static const field create_fields[] = {
    {"comment", offsetof(dbx_uc_create_options, comment), F_COMMENT, K_STR, NULL},
    {"properties", offsetof(dbx_uc_create_options, properties), F_PROPERTIES, K_PAIRS, NULL},
    {"storage_root", offsetof(dbx_uc_create_options, storage_root), F_STORAGE_ROOT, K_NONEMPTY, NULL},
    {"storage_location", offsetof(dbx_uc_create_options, storage_location), F_STORAGE_LOCATION, K_NONEMPTY, NULL},
    {"provider_name", offsetof(dbx_uc_create_options, provider_name), F_PROVIDER, K_NONEMPTY, NULL},
    {"share_name", offsetof(dbx_uc_create_options, share_name), F_SHARE, K_NONEMPTY, NULL},
    {"connection_name", offsetof(dbx_uc_create_options, connection_name), F_CONNECTION, K_NONEMPTY, NULL},
    {"options", offsetof(dbx_uc_create_options, options), F_OPTIONS, K_PAIRS, NULL},
};

static const field update_fields[] = {
    {"new_name", offsetof(dbx_uc_update_options, new_name), F_NEW_NAME, K_NAME, NULL},
    {"comment", offsetof(dbx_uc_update_options, comment), F_COMMENT, K_STR, NULL},
    {"owner", offsetof(dbx_uc_update_options, owner), F_OWNER, K_NONEMPTY, NULL},
    {"properties", offsetof(dbx_uc_update_options, properties), F_PROPERTIES, K_PAIRS, NULL},
    {"isolation_mode", offsetof(dbx_uc_update_options, isolation_mode), F_ISOLATION, K_NONEMPTY, isolation_modes},
    {"enable_predictive_optimization", offsetof(dbx_uc_update_options, enable_predictive_optimization),
     F_PREDICTIVE, K_NONEMPTY, predictive_modes},
};

/* Check `pairs` (NULL-terminated key, value list). */
static dbx_status check_pairs(dbx_client *c, const char *func, const char *name, const char *const *pairs)
{
    size_t i = 0;
    for (; pairs[i]; i += 2) {
        if (!pairs[i + 1])
            return dbx__fail(c, DBX_EINVAL, "%s: opts->%s has a key without a value (entry %zu)", func, name, i);
        if (!*pairs[i])
            return dbx__fail(c, DBX_EINVAL, "%s: opts->%s has an empty key (entry %zu)", func, name, i);
        if (!dbx__utf8_valid(pairs[i]) || !dbx__utf8_valid(pairs[i + 1]))
            return dbx__fail(c, DBX_EINVAL, "%s: opts->%s entry %zu is not valid UTF-8", func, name, i);
    }
    return DBX_OK;
}

/* Validate the option fields against what the object takes, and set them
 * into body. *n_set counts the fields given. */
static dbx_status opts_to_body(dbx_client *c, const char *func, const void *opts, const field *fields, size_t n,
                               unsigned taken, const char *object, json_t *body, int *n_set)
{
    *n_set = 0;
    for (size_t i = 0; opts && i < n; i++) {
        const field *f = &fields[i];
        const void *p = *(const void *const *)((const char *)opts + f->off);
        if (!p)
            continue;
        if (!(f->flag & taken))
            return dbx__fail(c, DBX_EINVAL, "%s: opts->%s is not taken for a %s", func, f->name, object);
        (*n_set)++;
        if (f->kind == K_PAIRS) {
            const char *const *pairs = p;
            dbx_status st = check_pairs(c, func, f->name, pairs);
            if (st != DBX_OK)
                return st;
            json_t *m = json_object();
            if (!m || json_object_set_new(body, f->name, m) != 0)
                return dbx__fail(c, DBX_ENOMEM, "out of memory");
            for (size_t k = 0; pairs[k]; k += 2)
                if (dbx__json_set_str(m, pairs[k], pairs[k + 1]) != 0)
                    return dbx__fail(c, DBX_ENOMEM, "out of memory");
            continue;
        }
        const char *s = p;
        if (!dbx__utf8_valid(s))
            return dbx__fail(c, DBX_EINVAL, "%s: opts->%s is not valid UTF-8", func, f->name);
        if (f->kind == K_NAME) {
            char arg[64];
            snprintf(arg, sizeof arg, "opts->%s", f->name);
            dbx_status st = check_name(c, func, arg, s, 1);
            if (st != DBX_OK)
                return st;
        } else if (f->kind == K_NONEMPTY && !*s) {
            return dbx__fail(c, DBX_EINVAL, "%s: opts->%s is empty", func, f->name);
        }
        if (f->allowed) {
            size_t k = 0;
            while (f->allowed[k] && strcmp(f->allowed[k], s) != 0)
                k++;
            if (!f->allowed[k])
                return dbx__fail(c, DBX_EINVAL, "%s: opts->%s must be one of %s%s%s%s%s", func, f->name,
                                 f->allowed[0], f->allowed[1] ? ", " : "", f->allowed[1] ? f->allowed[1] : "",
                                 f->allowed[1] && f->allowed[2] ? ", " : "",
                                 f->allowed[1] && f->allowed[2] ? f->allowed[2] : "");
        }
        if (dbx__json_set_str(body, f->name, s) != 0)
            return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    return DBX_OK;
}

static dbx_status check_version(dbx_client *c, const char *func, const char *type, unsigned v, unsigned max)
{
    if (v == 0 || v > max)
        return dbx__fail(c, DBX_EINVAL, "%s: %s version %u is not supported", func, type, v);
    return DBX_OK;
}

/* Body of a create from options; *body is set (caller frees) on DBX_OK. */
static dbx_status create_body(json_t **body, dbx_client *c, const char *func, const dbx_uc_create_options *o,
                              unsigned taken, const char *object)
{
    *body = NULL;
    if (o) {
        dbx_status st = check_version(c, func, "dbx_uc_create_options", o->version, DBX_UC_CREATE_OPTIONS_VERSION);
        if (st != DBX_OK)
            return st;
    }
    json_t *b = json_object();
    if (!b)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    int n;
    dbx_status st = opts_to_body(c, func, o, create_fields, N_OF(create_fields), taken, object, b, &n);
    if (st != DBX_OK) {
        dbx__json_decref_deep(b);
        return st;
    }
    *body = b;
    return DBX_OK;
}

static dbx_status update_body(json_t **body, dbx_client *c, const char *func, const dbx_uc_update_options *o,
                              unsigned taken, const char *object)
{
    *body = NULL;
    if (!o)
        return dbx__fail(c, DBX_EINVAL, "%s: opts is NULL (nothing to update)", func);
    dbx_status st = check_version(c, func, "dbx_uc_update_options", o->version, DBX_UC_UPDATE_OPTIONS_VERSION);
    if (st != DBX_OK)
        return st;
    json_t *b = json_object();
    if (!b)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    int n;
    st = opts_to_body(c, func, o, update_fields, N_OF(update_fields), taken, object, b, &n);
    if (st == DBX_OK && n == 0)
        st = dbx__fail(c, DBX_EINVAL, "%s: opts sets no field (nothing to update)", func);
    if (st != DBX_OK) {
        dbx__json_decref_deep(b);
        return st;
    }
    *body = b;
    return DBX_OK;
}

/* PATCH <coll>/<name> with the update options. */
static dbx_status object_update(uc_info **out, dbx_client *c, const char *func, const char *coll, const char *name,
                                const dbx_uc_update_options *o, unsigned taken, const char *object)
{
    json_t *body;
    dbx_status st = update_body(&body, c, func, o, taken, object);
    if (st != DBX_OK)
        return st;
    char small[512];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    if (object_path(&path, coll, name, NULL) != 0) {
        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    } else {
        /* a PATCH of fixed values is idempotent, except a rename (the old
         * name is gone after the first success) */
        int flags = o->new_name ? 0 : DBX__CALL_IDEMPOTENT;
        st = info_call(out, c, "PATCH", path.ptr, body, flags, "name", object);
    }
    dbx__buf_dispose(&path);
    dbx__json_decref_deep(body);
    return st;
}

/* ---- lists -------------------------------------------------------------------- */

typedef struct uc_iter {
    dbx__iter *base;
    uc_info cur;
    int pending; /* the current item is fetched but not indexed yet (OOM) */
} uc_iter;

struct dbx_catalogs_iter { uc_iter i; };
struct dbx_schemas_iter { uc_iter i; };
struct dbx_tables_iter { uc_iter i; };
struct dbx_volumes_iter { uc_iter i; };
struct dbx_table_summaries_iter { uc_iter i; };

enum { L_BROWSE = 1, L_UNBOUND = 2, L_OMIT = 4 };

/* Start a list: path with its fixed query (filters and max_results). */
static dbx_status list_start(uc_iter **out, dbx_client *c, const char *func, dbx__buf *path,
                             const dbx_uc_list_options *o, unsigned flags, const char *items_key)
{
    if (o) {
        dbx_status st = check_version(c, func, "dbx_uc_list_options", o->version, DBX_UC_LIST_OPTIONS_VERSION);
        if (st != DBX_OK)
            return st;
        if (o->page_size < 0 || o->max_items < 0)
            return dbx__fail(c, DBX_EINVAL, "%s: page_size and max_items must be >= 0", func);
    }
    /* always sent: without max_results the service may answer everything at once */
    dbx__query_add_int(path, "max_results", o ? o->page_size : 0);
    if (o && o->include_browse && (flags & L_BROWSE))
        dbx__query_add(path, "include_browse", "true");
    if (o && o->include_unbound && (flags & L_UNBOUND))
        dbx__query_add(path, "include_unbound", "true");
    if (o && (flags & L_OMIT)) {
        if (o->omit_columns)
            dbx__query_add(path, "omit_columns", "true");
        if (o->omit_properties)
            dbx__query_add(path, "omit_properties", "true");
        if (o->omit_username)
            dbx__query_add(path, "omit_username", "true");
    }
    if (path->oom)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    uc_iter *it = dbx__calloc(1, sizeof *it);
    if (!it)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    it->base = dbx__iter_new(c, DBX__PAGE_TOKEN_QUERY, "GET", path->ptr, NULL, items_key, NULL, 0,
                             o ? o->max_items : 0);
    if (!it->base) {
        dbx__free(it);
        return DBX_ENOMEM;
    }
    atomic_init(&it->cur.v.text[0], NULL);
    atomic_init(&it->cur.v.text[1], NULL);
    atomic_init(&it->cur.v.jansson, NULL);
    *out = it;
    return DBX_OK;
}

static dbx_status iter_next(uc_iter *it, const uc_info **item)
{
    if (item)
        *item = NULL;
    if (!item || !it)
        return dbx__fail(NULL, DBX_EINVAL, "item and iterator are required");
    if (!it->pending) {
        const dbx__view *v;
        index_clear(&it->cur);
        dbx__view_clear(&it->cur.v);
        dbx_status st = dbx__iter_next(it->base, &v);
        if (st != DBX_OK)
            return st;
        it->cur.v.v = v->v;
    } else {
        dbx__error_clear(it->base->pg.client);
    }
    if (index_build(&it->cur) != 0) {
        it->pending = 1; /* the next call indexes the same item again */
        return dbx__fail(it->base->pg.client, DBX_ENOMEM, "out of memory");
    }
    it->pending = 0;
    *item = &it->cur;
    return DBX_OK;
}

static void iter_free(uc_iter *it)
{
    if (!it)
        return;
    index_clear(&it->cur);
    dbx__view_clear(&it->cur.v);
    dbx__iter_free(it->base);
    dbx__free(it);
}

#define ITER_FUNCS(iter_t, item_t, next_fn, free_fn)                                             \
    DBX_API dbx_status next_fn(const item_t **item, iter_t *it)                                  \
    {                                                                                            \
        return iter_next(it ? &it->i : NULL, (const uc_info **)item);                            \
    }                                                                                            \
    DBX_API void free_fn(iter_t *it) { iter_free(it ? &it->i : NULL); }

ITER_FUNCS(dbx_catalogs_iter, dbx_catalog, dbx_catalogs_iter_next, dbx_catalogs_iter_free)
ITER_FUNCS(dbx_schemas_iter, dbx_schema, dbx_schemas_iter_next, dbx_schemas_iter_free)
ITER_FUNCS(dbx_tables_iter, dbx_table, dbx_tables_iter_next, dbx_tables_iter_free)
ITER_FUNCS(dbx_volumes_iter, dbx_volume, dbx_volumes_iter_next, dbx_volumes_iter_free)
ITER_FUNCS(dbx_table_summaries_iter, dbx_table_summary, dbx_table_summaries_iter_next,
           dbx_table_summaries_iter_free)

/* ---- catalogs ------------------------------------------------------------------- */

DBX_API void dbx_catalog_free(dbx_catalog *x) { info_free(x ? &x->u : NULL); }
DBX_API const char *dbx_catalog_name(const dbx_catalog *x) { return S(x, "name"); }
DBX_API const char *dbx_catalog_full_name(const dbx_catalog *x) { return S(x, "full_name"); }
DBX_API const char *dbx_catalog_type(const dbx_catalog *x) { return S(x, "catalog_type"); }
DBX_API const char *dbx_catalog_comment(const dbx_catalog *x) { return S(x, "comment"); }
DBX_API const char *dbx_catalog_owner(const dbx_catalog *x) { return S(x, "owner"); }
DBX_API const char *dbx_catalog_storage_root(const dbx_catalog *x) { return S(x, "storage_root"); }
DBX_API const char *dbx_catalog_storage_location(const dbx_catalog *x) { return S(x, "storage_location"); }
DBX_API const char *dbx_catalog_metastore_id(const dbx_catalog *x) { return S(x, "metastore_id"); }
DBX_API const char *dbx_catalog_isolation_mode(const dbx_catalog *x) { return S(x, "isolation_mode"); }
DBX_API int64_t dbx_catalog_created_at(const dbx_catalog *x) { return I(x, "created_at"); }
DBX_API const char *dbx_catalog_created_by(const dbx_catalog *x) { return S(x, "created_by"); }
DBX_API int64_t dbx_catalog_updated_at(const dbx_catalog *x) { return I(x, "updated_at"); }
DBX_API const char *dbx_catalog_updated_by(const dbx_catalog *x) { return S(x, "updated_by"); }
DBX_API const char *dbx_catalog_property(const dbx_catalog *x, const char *key) { return prop_get(x ? &x->u : NULL, key); }
DBX_API size_t dbx_catalog_property_count(const dbx_catalog *x) { return x ? x->u.nprops : 0; }
DBX_API int dbx_catalog_property_at(const dbx_catalog *x, size_t i, const char **k, const char **v) { return prop_at(x ? &x->u : NULL, i, k, v); }
DBX_API const char *dbx_catalog_json(const dbx_catalog *x) { return info_json(x ? &x->u : NULL); }

DBX_API dbx_status dbx_catalogs_list(dbx_catalogs_iter **out, dbx_client *c, const dbx_uc_list_options *opts)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    char small[256];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    dbx__buf_puts(&path, BASE "/catalogs");
    dbx_status st = list_start((uc_iter **)out, c, __func__, &path, opts, L_BROWSE | L_UNBOUND, "catalogs");
    dbx__buf_dispose(&path);
    return st;
}

DBX_API dbx_status dbx_catalogs_get(dbx_catalog **out, dbx_client *c, const char *name)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    CHECK_NAME(c, name, 1);
    return info_get((uc_info **)out, c, "catalogs", name, "catalogs/get");
}

DBX_API dbx_status dbx_catalogs_create(dbx_catalog **out, dbx_client *c, const char *name,
                                       const dbx_uc_create_options *opts)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    CHECK_NAME(c, name, 1);
    json_t *body;
    dbx_status st = create_body(&body, c, __func__, opts,
                                F_COMMENT | F_PROPERTIES | F_STORAGE_ROOT | F_PROVIDER | F_SHARE | F_CONNECTION |
                                    F_OPTIONS,
                                "catalog");
    if (st != DBX_OK)
        return st;
    if (opts && (!opts->provider_name != !opts->share_name))
        st = dbx__fail(c, DBX_EINVAL, "%s: opts->provider_name and opts->share_name go together", __func__);
    else if (opts && opts->options && !opts->connection_name)
        st = dbx__fail(c, DBX_EINVAL, "%s: opts->options needs opts->connection_name", __func__);
    else if (dbx__json_set_str(body, "name", name) != 0)
        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    else
        st = info_call((uc_info **)out, c, "POST", BASE "/catalogs", body, 0, "name", "catalogs/create");
    dbx__json_decref_deep(body);
    return st;
}

DBX_API dbx_status dbx_catalogs_update(dbx_catalog **out, dbx_client *c, const char *name,
                                       const dbx_uc_update_options *opts)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    CHECK_NAME(c, name, 1);
    return object_update((uc_info **)out, c, __func__, "catalogs", name, opts,
                         F_NEW_NAME | F_COMMENT | F_OWNER | F_PROPERTIES | F_ISOLATION | F_PREDICTIVE, "catalog");
}

DBX_API dbx_status dbx_catalogs_delete(dbx_client *c, const char *name, int force)
{
    DBX__ENTER(c);
    CHECK_NAME(c, name, 1);
    return object_delete(c, "catalogs", name, force);
}

/* ---- schemas -------------------------------------------------------------------- */

DBX_API void dbx_schema_free(dbx_schema *x) { info_free(x ? &x->u : NULL); }
DBX_API const char *dbx_schema_name(const dbx_schema *x) { return S(x, "name"); }
DBX_API const char *dbx_schema_catalog_name(const dbx_schema *x) { return S(x, "catalog_name"); }
DBX_API const char *dbx_schema_full_name(const dbx_schema *x) { return S(x, "full_name"); }
DBX_API const char *dbx_schema_id(const dbx_schema *x) { return S(x, "schema_id"); }
DBX_API const char *dbx_schema_comment(const dbx_schema *x) { return S(x, "comment"); }
DBX_API const char *dbx_schema_owner(const dbx_schema *x) { return S(x, "owner"); }
DBX_API const char *dbx_schema_storage_root(const dbx_schema *x) { return S(x, "storage_root"); }
DBX_API const char *dbx_schema_storage_location(const dbx_schema *x) { return S(x, "storage_location"); }
DBX_API const char *dbx_schema_metastore_id(const dbx_schema *x) { return S(x, "metastore_id"); }
DBX_API int64_t dbx_schema_created_at(const dbx_schema *x) { return I(x, "created_at"); }
DBX_API const char *dbx_schema_created_by(const dbx_schema *x) { return S(x, "created_by"); }
DBX_API int64_t dbx_schema_updated_at(const dbx_schema *x) { return I(x, "updated_at"); }
DBX_API const char *dbx_schema_updated_by(const dbx_schema *x) { return S(x, "updated_by"); }
DBX_API const char *dbx_schema_property(const dbx_schema *x, const char *key) { return prop_get(x ? &x->u : NULL, key); }
DBX_API size_t dbx_schema_property_count(const dbx_schema *x) { return x ? x->u.nprops : 0; }
DBX_API int dbx_schema_property_at(const dbx_schema *x, size_t i, const char **k, const char **v) { return prop_at(x ? &x->u : NULL, i, k, v); }
DBX_API const char *dbx_schema_json(const dbx_schema *x) { return info_json(x ? &x->u : NULL); }

DBX_API dbx_status dbx_schemas_list(dbx_schemas_iter **out, dbx_client *c, const char *catalog_name,
                                    const dbx_uc_list_options *opts)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    CHECK_NAME(c, catalog_name, 1);
    char small[512];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    dbx__buf_puts(&path, BASE "/schemas");
    dbx__query_add(&path, "catalog_name", catalog_name);
    dbx_status st = list_start((uc_iter **)out, c, __func__, &path, opts, L_BROWSE, "schemas");
    dbx__buf_dispose(&path);
    return st;
}

DBX_API dbx_status dbx_schemas_get(dbx_schema **out, dbx_client *c, const char *full_name)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    CHECK_NAME(c, full_name, 2);
    return info_get((uc_info **)out, c, "schemas", full_name, "schemas/get");
}

DBX_API dbx_status dbx_schemas_create(dbx_schema **out, dbx_client *c, const char *catalog_name, const char *name,
                                      const dbx_uc_create_options *opts)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    CHECK_NAME(c, catalog_name, 1);
    CHECK_NAME(c, name, 1);
    json_t *body;
    dbx_status st = create_body(&body, c, __func__, opts, F_COMMENT | F_PROPERTIES | F_STORAGE_ROOT, "schema");
    if (st != DBX_OK)
        return st;
    if (dbx__json_set_str(body, "name", name) != 0 || dbx__json_set_str(body, "catalog_name", catalog_name) != 0)
        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    else
        st = info_call((uc_info **)out, c, "POST", BASE "/schemas", body, 0, "name", "schemas/create");
    dbx__json_decref_deep(body);
    return st;
}

DBX_API dbx_status dbx_schemas_update(dbx_schema **out, dbx_client *c, const char *full_name,
                                      const dbx_uc_update_options *opts)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    CHECK_NAME(c, full_name, 2);
    return object_update((uc_info **)out, c, __func__, "schemas", full_name, opts,
                         F_NEW_NAME | F_COMMENT | F_OWNER | F_PROPERTIES | F_PREDICTIVE, "schema");
}

DBX_API dbx_status dbx_schemas_delete(dbx_client *c, const char *full_name, int force)
{
    DBX__ENTER(c);
    CHECK_NAME(c, full_name, 2);
    return object_delete(c, "schemas", full_name, force);
}

/* ---- tables --------------------------------------------------------------------- */

DBX_API void dbx_table_free(dbx_table *x) { info_free(x ? &x->u : NULL); }
DBX_API const char *dbx_table_name(const dbx_table *x) { return S(x, "name"); }
DBX_API const char *dbx_table_catalog_name(const dbx_table *x) { return S(x, "catalog_name"); }
DBX_API const char *dbx_table_schema_name(const dbx_table *x) { return S(x, "schema_name"); }
DBX_API const char *dbx_table_full_name(const dbx_table *x) { return S(x, "full_name"); }
DBX_API const char *dbx_table_id(const dbx_table *x) { return S(x, "table_id"); }
DBX_API const char *dbx_table_type_str(const dbx_table *x) { return S(x, "table_type"); }
DBX_API dbx_table_type_t dbx_table_type(const dbx_table *x)
{
    return (dbx_table_type_t)enum_parse(table_type_names, N_OF(table_type_names), S(x, "table_type"));
}
DBX_API const char *dbx_table_data_source_format_str(const dbx_table *x) { return S(x, "data_source_format"); }
DBX_API dbx_data_source_format_t dbx_table_data_source_format(const dbx_table *x)
{
    return (dbx_data_source_format_t)enum_parse(format_names, N_OF(format_names), S(x, "data_source_format"));
}
DBX_API const char *dbx_table_storage_location(const dbx_table *x) { return S(x, "storage_location"); }
DBX_API const char *dbx_table_view_definition(const dbx_table *x) { return S(x, "view_definition"); }
DBX_API const char *dbx_table_comment(const dbx_table *x) { return S(x, "comment"); }
DBX_API const char *dbx_table_owner(const dbx_table *x) { return S(x, "owner"); }
DBX_API const char *dbx_table_metastore_id(const dbx_table *x) { return S(x, "metastore_id"); }
DBX_API int64_t dbx_table_created_at(const dbx_table *x) { return I(x, "created_at"); }
DBX_API const char *dbx_table_created_by(const dbx_table *x) { return S(x, "created_by"); }
DBX_API int64_t dbx_table_updated_at(const dbx_table *x) { return I(x, "updated_at"); }
DBX_API const char *dbx_table_updated_by(const dbx_table *x) { return S(x, "updated_by"); }
DBX_API const char *dbx_table_property(const dbx_table *x, const char *key) { return prop_get(x ? &x->u : NULL, key); }
DBX_API size_t dbx_table_property_count(const dbx_table *x) { return x ? x->u.nprops : 0; }
DBX_API int dbx_table_property_at(const dbx_table *x, size_t i, const char **k, const char **v) { return prop_at(x ? &x->u : NULL, i, k, v); }
DBX_API const char *dbx_table_json(const dbx_table *x) { return info_json(x ? &x->u : NULL); }
DBX_API size_t dbx_table_column_count(const dbx_table *x) { return x ? x->u.ncols : 0; }

DBX_API const dbx_column *dbx_table_column(const dbx_table *x, size_t i)
{
    return x && i < x->u.ncols ? &x->u.cols[i] : NULL;
}

DBX_API const dbx_column *dbx_table_column_by_name(const dbx_table *x, const char *name)
{
    for (size_t i = 0; x && name && i < x->u.ncols; i++)
        if (strcmp(dbx__jv_get_str(x->u.cols[i].v, "name", ""), name) == 0)
            return &x->u.cols[i];
    return NULL;
}

#define CS(col, key) ((col) ? dbx__jv_get_str((col)->v, key, "") : "")
DBX_API const char *dbx_column_name(const dbx_column *col) { return CS(col, "name"); }
DBX_API const char *dbx_column_type_str(const dbx_column *col) { return CS(col, "type_name"); }
DBX_API dbx_column_type_t dbx_column_type(const dbx_column *col)
{
    return (dbx_column_type_t)enum_parse(column_type_names, N_OF(column_type_names), CS(col, "type_name"));
}
DBX_API const char *dbx_column_type_text(const dbx_column *col) { return CS(col, "type_text"); }
DBX_API const char *dbx_column_type_json(const dbx_column *col) { return CS(col, "type_json"); }
DBX_API const char *dbx_column_comment(const dbx_column *col) { return CS(col, "comment"); }

/* An int member clamped into int range; fallback when absent or not a number. */
static int col_int(const dbx_column *col, const char *key, int fallback)
{
    if (!col)
        return fallback;
    int64_t v = dbx__jv_get_int(col->v, key, fallback);
    return v < -2147483647 - 1 ? -2147483647 - 1 : v > 2147483647 ? 2147483647 : (int)v;
}

DBX_API int dbx_column_precision(const dbx_column *col) { return col_int(col, "type_precision", 0); }
DBX_API int dbx_column_scale(const dbx_column *col) { return col_int(col, "type_scale", 0); }
DBX_API int dbx_column_position(const dbx_column *col) { return col_int(col, "position", -1); }
DBX_API int dbx_column_partition_index(const dbx_column *col) { return col_int(col, "partition_index", -1); }
DBX_API int dbx_column_nullable(const dbx_column *col) { return col ? dbx__jv_get_bool(col->v, "nullable", 1) : 1; }

DBX_API dbx_status dbx_tables_list(dbx_tables_iter **out, dbx_client *c, const char *catalog_name,
                                   const char *schema_name, const dbx_uc_list_options *opts)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    CHECK_NAME(c, catalog_name, 1);
    CHECK_NAME(c, schema_name, 1);
    char small[512];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    dbx__buf_puts(&path, BASE "/tables");
    dbx__query_add(&path, "catalog_name", catalog_name);
    dbx__query_add(&path, "schema_name", schema_name);
    dbx_status st = list_start((uc_iter **)out, c, __func__, &path, opts, L_BROWSE | L_OMIT, "tables");
    dbx__buf_dispose(&path);
    return st;
}

DBX_API const char *dbx_table_summary_full_name(const dbx_table_summary *x) { return S(x, "full_name"); }
DBX_API const char *dbx_table_summary_type_str(const dbx_table_summary *x) { return S(x, "table_type"); }
DBX_API dbx_table_type_t dbx_table_summary_type(const dbx_table_summary *x)
{
    return (dbx_table_type_t)enum_parse(table_type_names, N_OF(table_type_names), S(x, "table_type"));
}
DBX_API const char *dbx_table_summary_json(const dbx_table_summary *x) { return info_json(x ? &x->u : NULL); }

DBX_API dbx_status dbx_tables_list_summaries(dbx_table_summaries_iter **out, dbx_client *c, const char *catalog_name,
                                             const char *schema_name_pattern, const char *table_name_pattern,
                                             const dbx_uc_list_options *opts)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    CHECK_NAME(c, catalog_name, 1);
    DBX__CHECK_STR(c, schema_name_pattern);
    DBX__CHECK_STR(c, table_name_pattern);
    char small[512];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    dbx__buf_puts(&path, BASE "/table-summaries");
    dbx__query_add(&path, "catalog_name", catalog_name);
    if (!dbx__empty(schema_name_pattern))
        dbx__query_add(&path, "schema_name_pattern", schema_name_pattern);
    if (!dbx__empty(table_name_pattern))
        dbx__query_add(&path, "table_name_pattern", table_name_pattern);
    dbx_status st = list_start((uc_iter **)out, c, __func__, &path, opts, 0, "tables");
    dbx__buf_dispose(&path);
    return st;
}

DBX_API dbx_status dbx_tables_get(dbx_table **out, dbx_client *c, const char *full_name)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    CHECK_NAME(c, full_name, 3);
    return info_get((uc_info **)out, c, "tables", full_name, "tables/get");
}

DBX_API dbx_status dbx_tables_exists(int *exists, dbx_client *c, const char *full_name)
{
    if (exists)
        *exists = 0;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, exists);
    CHECK_NAME(c, full_name, 3);
    char small[512];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    if (object_path(&path, "tables", full_name, "/exists") != 0) {
        dbx__buf_dispose(&path);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx__jdoc doc;
    dbx_status st = dbx__api_call(c, "GET", path.ptr, NULL, DBX__CALL_IDEMPOTENT, &doc);
    dbx__buf_dispose(&path);
    if (st != DBX_OK)
        return st;
    dbx__jtype t = dbx__jv_type(dbx__jv_get(dbx__jdoc_root(&doc), "table_exists"));
    dbx__jdoc_dispose(&doc);
    if (t != DBX__J_TRUE && t != DBX__J_FALSE)
        return dbx__fail_answer(c, DBX_EBADRESPONSE, "tables/exists: response has no boolean table_exists");
    *exists = t == DBX__J_TRUE;
    return DBX_OK;
}

DBX_API dbx_status dbx_tables_delete(dbx_client *c, const char *full_name)
{
    DBX__ENTER(c);
    CHECK_NAME(c, full_name, 3);
    return object_delete(c, "tables", full_name, 0);
}

DBX_API dbx_status dbx_tables_update(dbx_client *c, const char *full_name, const dbx_uc_update_options *opts)
{
    DBX__ENTER(c);
    CHECK_NAME(c, full_name, 3);
    return object_update(NULL, c, __func__, "tables", full_name, opts, F_OWNER, "table");
}

/* Column types from SQL type text. */
typedef struct sql_type {
    const char *text;          /* lower-case SQL spelling */
    dbx_column_type_t type;
    const char *spark;         /* Spark JSON type name, NULL: none sent */
} sql_type;

static const sql_type sql_types[] = {
    {"boolean", DBX_COLUMN_TYPE_BOOLEAN, "boolean"}, {"tinyint", DBX_COLUMN_TYPE_BYTE, "byte"},
    {"byte", DBX_COLUMN_TYPE_BYTE, "byte"}, {"smallint", DBX_COLUMN_TYPE_SHORT, "short"},
    {"short", DBX_COLUMN_TYPE_SHORT, "short"}, {"int", DBX_COLUMN_TYPE_INT, "integer"},
    {"integer", DBX_COLUMN_TYPE_INT, "integer"}, {"bigint", DBX_COLUMN_TYPE_LONG, "long"},
    {"long", DBX_COLUMN_TYPE_LONG, "long"}, {"float", DBX_COLUMN_TYPE_FLOAT, "float"},
    {"real", DBX_COLUMN_TYPE_FLOAT, "float"}, {"double", DBX_COLUMN_TYPE_DOUBLE, "double"},
    {"date", DBX_COLUMN_TYPE_DATE, "date"}, {"timestamp", DBX_COLUMN_TYPE_TIMESTAMP, "timestamp"},
    {"timestamp_ltz", DBX_COLUMN_TYPE_TIMESTAMP, "timestamp"},
    {"timestamp_ntz", DBX_COLUMN_TYPE_TIMESTAMP_NTZ, "timestamp_ntz"},
    {"string", DBX_COLUMN_TYPE_STRING, "string"}, {"binary", DBX_COLUMN_TYPE_BINARY, "binary"},
    {"variant", DBX_COLUMN_TYPE_VARIANT, "variant"}, {"void", DBX_COLUMN_TYPE_NULL, "void"},
};

static int lower(int ch) { return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch; }

/* Does `s` start with the lower-case word `w` (case-insensitively), followed by end or one of `after`? */
static int starts_word(const char *s, const char *w, const char *after)
{
    size_t n = strlen(w);
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s[i]) != w[i])
            return 0;
    return s[n] == '\0' || (s[n] && strchr(after, s[n]) != NULL);
}

/* Parse "(p[,s])" with optional blanks; 1 when well formed. */
static int parse_ps(const char *s, int *p, int *sc)
{
    long v[2] = {0, 0};
    int n = 0;
    while (*s == ' ')
        s++;
    if (*s != '(')
        return 0;
    s++;
    for (;;) {
        while (*s == ' ')
            s++;
        if (*s < '0' || *s > '9')
            return 0;
        long x = 0;
        while (*s >= '0' && *s <= '9' && x < 1000)
            x = x * 10 + (*s++ - '0');
        v[n++] = x;
        while (*s == ' ')
            s++;
        if (*s == ',' && n == 1) {
            s++;
            continue;
        }
        if (*s != ')')
            return 0;
        s++;
        break;
    }
    while (*s == ' ')
        s++;
    if (*s)
        return 0;
    *p = (int)v[0];
    *sc = (int)v[1];
    return 1;
}

/* Fill type, precision, scale and the Spark JSON type (NULL when none) of a column definition. */
static dbx_status column_type_of(dbx_client *c, const char *func, size_t i, const dbx_column_def *d,
                                 dbx_column_type_t *type, int *prec, int *scale, char *spark, size_t cap)
{
    const char *t = d->type_text;
    *type = d->type;
    *prec = d->precision;
    *scale = d->scale;
    spark[0] = '\0';
    int derived = 0;
    for (size_t k = 0; k < N_OF(sql_types); k++) {
        if (starts_word(t, sql_types[k].text, "")) {
            derived = 1;
            if (*type == DBX_COLUMN_TYPE_UNKNOWN)
                *type = sql_types[k].type;
            if (*type == sql_types[k].type)
                snprintf(spark, cap, "%s", sql_types[k].spark);
            break;
        }
    }
    if (!derived && (starts_word(t, "decimal", " (") || starts_word(t, "dec", " (") || starts_word(t, "numeric", " ("))) {
        const char *rest = t + strcspn(t, " (");
        int p = 10, s = 0;
        if (*rest && !parse_ps(rest, &p, &s))
            return dbx__fail(c, DBX_EINVAL, "%s: columns[%zu].type_text is not decimal(p,s)", func, i);
        if (!*prec && !*scale) {
            *prec = p;
            *scale = s;
        }
        if (*prec < 1 || *prec > 38 || *scale < 0 || *scale > *prec)
            return dbx__fail(c, DBX_EINVAL, "%s: columns[%zu]: decimal needs 1 <= precision <= 38 and "
                                            "0 <= scale <= precision", func, i);
        if (*type == DBX_COLUMN_TYPE_UNKNOWN)
            *type = DBX_COLUMN_TYPE_DECIMAL;
        if (*type == DBX_COLUMN_TYPE_DECIMAL)
            snprintf(spark, cap, "decimal(%d,%d)", *prec, *scale);
        derived = 1;
    }
    if (!derived && *type == DBX_COLUMN_TYPE_UNKNOWN) {
        static const struct {
            const char *w;
            const char *after;
            dbx_column_type_t t;
        } complex_types[] = {{"array", "<", DBX_COLUMN_TYPE_ARRAY},     {"struct", "<", DBX_COLUMN_TYPE_STRUCT},
                             {"map", "<", DBX_COLUMN_TYPE_MAP},         {"char", "(", DBX_COLUMN_TYPE_CHAR},
                             {"varchar", "(", DBX_COLUMN_TYPE_STRING},  {"interval", " ", DBX_COLUMN_TYPE_INTERVAL}};
        for (size_t k = 0; k < N_OF(complex_types); k++)
            if (starts_word(t, complex_types[k].w, complex_types[k].after) && t[strlen(complex_types[k].w)])
                *type = complex_types[k].t;
    }
    if (*type <= DBX_COLUMN_TYPE_UNKNOWN || (size_t)*type >= N_OF(column_type_names))
        return dbx__fail(c, DBX_EINVAL, "%s: columns[%zu]: the column type cannot be derived from type_text; "
                                        "set columns[%zu].type", func, i, i);
    return DBX_OK;
}

static dbx_status columns_json(json_t **out, dbx_client *c, const char *func, const dbx_column_def *cols, size_t n)
{
    *out = NULL;
    if (n && !cols)
        return dbx__fail(c, DBX_EINVAL, "%s: columns is NULL", func);
    for (size_t i = 0; i < n; i++) {
        const dbx_column_def *d = &cols[i];
        if (dbx__empty(d->name) || !dbx__utf8_valid(d->name))
            return dbx__fail(c, DBX_EINVAL, "%s: columns[%zu].name is %s", func, i, dbx__empty(d->name) ? "required" : "not valid UTF-8");
        if (dbx__empty(d->type_text) || !dbx__utf8_valid(d->type_text))
            return dbx__fail(c, DBX_EINVAL, "%s: columns[%zu].type_text is %s", func, i,
                             dbx__empty(d->type_text) ? "required" : "not valid UTF-8");
        if (d->comment && !dbx__utf8_valid(d->comment))
            return dbx__fail(c, DBX_EINVAL, "%s: columns[%zu].comment is not valid UTF-8", func, i);
        if (d->precision < 0 || d->scale < 0 || d->partition_index < 0)
            return dbx__fail(c, DBX_EINVAL, "%s: columns[%zu]: precision, scale and partition_index must be >= 0", func, i);
    }
    json_t *arr = json_array();
    if (!arr)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const dbx_column_def *d = &cols[i];
        dbx_column_type_t type;
        int prec, scale;
        char spark[40];
        dbx_status st = column_type_of(c, func, i, d, &type, &prec, &scale, spark, sizeof spark);
        if (st != DBX_OK) {
            dbx__json_decref_deep(arr);
            return st;
        }
        json_t *o = json_object();
        if (!o || json_array_append_new(arr, o) != 0 || dbx__json_set_str(o, "name", d->name) != 0 ||
            dbx__json_set_str(o, "type_text", d->type_text) != 0 ||
            dbx__json_set_str(o, "type_name", dbx_column_type_name(type)) != 0 ||
            dbx__json_set_int(o, "position", (int64_t)i) != 0 ||
            json_object_set_new(o, "nullable", json_boolean(!d->not_null)) != 0)
            goto oom;
        if (type == DBX_COLUMN_TYPE_DECIMAL &&
            (dbx__json_set_int(o, "type_precision", prec) != 0 || dbx__json_set_int(o, "type_scale", scale) != 0))
            goto oom;
        if (d->comment && dbx__json_set_str(o, "comment", d->comment) != 0)
            goto oom;
        if (d->partition_index > 0 && dbx__json_set_int(o, "partition_index", d->partition_index - 1) != 0)
            goto oom;
        if (spark[0]) {
            json_t *tj = json_pack("{s:s,s:s,s:b,s:{}}", "name", d->name, "type", spark, "nullable", !d->not_null,
                                   "metadata");
            char *text = tj ? dbx__json_dump(tj) : NULL;
            dbx__json_decref_deep(tj);
            int bad = !text || dbx__json_set_str(o, "type_json", text) != 0;
            dbx__free(text);
            if (bad)
                goto oom;
        }
    }
    *out = arr;
    return DBX_OK;
oom:
    dbx__json_decref_deep(arr);
    return dbx__fail(c, DBX_ENOMEM, "out of memory");
}

DBX_API dbx_status dbx_tables_create_external(dbx_table **out, dbx_client *c, const char *catalog_name,
                                              const char *schema_name, const char *name, const dbx_column_def *columns,
                                              size_t n_columns, const dbx_uc_create_options *opts)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    CHECK_NAME(c, catalog_name, 1);
    CHECK_NAME(c, schema_name, 1);
    CHECK_NAME(c, name, 1);
    if (!opts || !opts->storage_location)
        return dbx__fail(c, DBX_EINVAL, "%s: opts->storage_location is required for an external table", __func__);
    json_t *body, *cols;
    dbx_status st = create_body(&body, c, __func__, opts, F_COMMENT | F_PROPERTIES | F_STORAGE_LOCATION, "table");
    if (st != DBX_OK)
        return st;
    st = columns_json(&cols, c, __func__, columns, n_columns);
    if (st != DBX_OK) {
        dbx__json_decref_deep(body);
        return st;
    }
    if (json_object_set_new(body, "columns", cols) != 0 || dbx__json_set_str(body, "name", name) != 0 ||
        dbx__json_set_str(body, "catalog_name", catalog_name) != 0 ||
        dbx__json_set_str(body, "schema_name", schema_name) != 0 ||
        dbx__json_set_str(body, "table_type", "EXTERNAL") != 0 ||
        dbx__json_set_str(body, "data_source_format", "DELTA") != 0)
        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    else
        st = info_call((uc_info **)out, c, "POST", BASE "/tables", body, 0, "name", "tables/create");
    dbx__json_decref_deep(body);
    return st;
}

/* ---- volumes -------------------------------------------------------------------- */

DBX_API void dbx_volume_free(dbx_volume *x) { info_free(x ? &x->u : NULL); }
DBX_API const char *dbx_volume_name(const dbx_volume *x) { return S(x, "name"); }
DBX_API const char *dbx_volume_catalog_name(const dbx_volume *x) { return S(x, "catalog_name"); }
DBX_API const char *dbx_volume_schema_name(const dbx_volume *x) { return S(x, "schema_name"); }
DBX_API const char *dbx_volume_full_name(const dbx_volume *x) { return S(x, "full_name"); }
DBX_API const char *dbx_volume_id(const dbx_volume *x) { return S(x, "volume_id"); }
DBX_API const char *dbx_volume_type_str(const dbx_volume *x) { return S(x, "volume_type"); }
DBX_API dbx_volume_type_t dbx_volume_type(const dbx_volume *x)
{
    return (dbx_volume_type_t)enum_parse(volume_type_names, N_OF(volume_type_names), S(x, "volume_type"));
}
DBX_API const char *dbx_volume_storage_location(const dbx_volume *x) { return S(x, "storage_location"); }
DBX_API const char *dbx_volume_comment(const dbx_volume *x) { return S(x, "comment"); }
DBX_API const char *dbx_volume_owner(const dbx_volume *x) { return S(x, "owner"); }
DBX_API const char *dbx_volume_metastore_id(const dbx_volume *x) { return S(x, "metastore_id"); }
DBX_API int64_t dbx_volume_created_at(const dbx_volume *x) { return I(x, "created_at"); }
DBX_API const char *dbx_volume_created_by(const dbx_volume *x) { return S(x, "created_by"); }
DBX_API int64_t dbx_volume_updated_at(const dbx_volume *x) { return I(x, "updated_at"); }
DBX_API const char *dbx_volume_updated_by(const dbx_volume *x) { return S(x, "updated_by"); }
DBX_API const char *dbx_volume_json(const dbx_volume *x) { return info_json(x ? &x->u : NULL); }

DBX_API dbx_status dbx_volumes_list(dbx_volumes_iter **out, dbx_client *c, const char *catalog_name,
                                    const char *schema_name, const dbx_uc_list_options *opts)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    CHECK_NAME(c, catalog_name, 1);
    CHECK_NAME(c, schema_name, 1);
    char small[512];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    dbx__buf_puts(&path, BASE "/volumes");
    dbx__query_add(&path, "catalog_name", catalog_name);
    dbx__query_add(&path, "schema_name", schema_name);
    dbx_status st = list_start((uc_iter **)out, c, __func__, &path, opts, L_BROWSE, "volumes");
    dbx__buf_dispose(&path);
    return st;
}

DBX_API dbx_status dbx_volumes_read(dbx_volume **out, dbx_client *c, const char *full_name)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    CHECK_NAME(c, full_name, 3);
    return info_get((uc_info **)out, c, "volumes", full_name, "volumes/read");
}

DBX_API dbx_status dbx_volumes_create(dbx_volume **out, dbx_client *c, const char *catalog_name,
                                      const char *schema_name, const char *name, dbx_volume_type_t type,
                                      const dbx_uc_create_options *opts)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    CHECK_NAME(c, catalog_name, 1);
    CHECK_NAME(c, schema_name, 1);
    CHECK_NAME(c, name, 1);
    if (type != DBX_VOLUME_TYPE_MANAGED && type != DBX_VOLUME_TYPE_EXTERNAL)
        return dbx__fail(c, DBX_EINVAL, "%s: type must be DBX_VOLUME_TYPE_MANAGED or DBX_VOLUME_TYPE_EXTERNAL", __func__);
    int has_loc = opts && opts->storage_location;
    if (type == DBX_VOLUME_TYPE_EXTERNAL && !has_loc)
        return dbx__fail(c, DBX_EINVAL, "%s: an EXTERNAL volume needs opts->storage_location", __func__);
    if (type == DBX_VOLUME_TYPE_MANAGED && has_loc)
        return dbx__fail(c, DBX_EINVAL, "%s: a MANAGED volume takes no opts->storage_location", __func__);
    json_t *body;
    dbx_status st = create_body(&body, c, __func__, opts, F_COMMENT | F_STORAGE_LOCATION, "volume");
    if (st != DBX_OK)
        return st;
    if (dbx__json_set_str(body, "catalog_name", catalog_name) != 0 ||
        dbx__json_set_str(body, "schema_name", schema_name) != 0 || dbx__json_set_str(body, "name", name) != 0 ||
        dbx__json_set_str(body, "volume_type", dbx_volume_type_name(type)) != 0)
        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    else
        st = info_call((uc_info **)out, c, "POST", BASE "/volumes", body, 0, "name", "volumes/create");
    dbx__json_decref_deep(body);
    return st;
}

DBX_API dbx_status dbx_volumes_update(dbx_volume **out, dbx_client *c, const char *full_name,
                                      const dbx_uc_update_options *opts)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    CHECK_NAME(c, full_name, 3);
    return object_update((uc_info **)out, c, __func__, "volumes", full_name, opts, F_NEW_NAME | F_COMMENT | F_OWNER,
                         "volume");
}

DBX_API dbx_status dbx_volumes_delete(dbx_client *c, const char *full_name)
{
    DBX__ENTER(c);
    CHECK_NAME(c, full_name, 3);
    return object_delete(c, "volumes", full_name, 0);
}

/* ---- internal entry points (catalog_internal.h) ----------------------------------- */

void *dbx__uc_result_from_doc(dbx__jdoc *doc)
{
    uc_info *u = dbx__view_new(sizeof *u, doc);
    if (!u || index_build(u) != 0) {
        info_free(u);
        return NULL;
    }
    return u;
}

int dbx__uc_with_item(dbx__jv item, void (*fn)(const void *result, void *ud), void *ud)
{
    uc_info u;
    memset(&u, 0, sizeof u);
    atomic_init(&u.v.text[0], NULL);
    atomic_init(&u.v.text[1], NULL);
    atomic_init(&u.v.jansson, NULL);
    u.v.v = item;
    int rc = index_build(&u);
    if (rc == 0)
        fn(&u, ud);
    index_clear(&u);
    dbx__view_clear(&u.v);
    return rc;
}

dbx_status dbx__uc_check_name(const char *name, int parts)
{
    dbx__error_clear(NULL);
    if (parts < 1 || parts > 3)
        return dbx__fail(NULL, DBX_EINVAL, "parts must be 1..3");
    return check_name(NULL, __func__, "name", name, parts);
}

dbx_status dbx__uc_column_type(const char *type_text, dbx_column_type_t *type, int *precision, int *scale,
                               char *spark, size_t cap)
{
    dbx__error_clear(NULL);
    dbx_column_def d = {"c", type_text, DBX_COLUMN_TYPE_UNKNOWN, 0, 0, 0, NULL, 0};
    if (dbx__empty(type_text))
        return dbx__fail(NULL, DBX_EINVAL, "type_text is required");
    return column_type_of(NULL, __func__, 0, &d, type, precision, scale, spark, cap);
}
