/* R glue: the MLflow model registries, workspace and Unity Catalog (see dbx_r.h).
 * Models and versions come back as named lists read through libdbx's accessors (the same
 * fields whichever registry answered), plus `raw`, the server's whole object. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dbx_r.h"

static dbx_registry_t reg_of(SEXP r)
{
    int v = Rf_isNull(r) ? 0 : Rf_asInteger(r);
    return v == 1 ? DBX_REGISTRY_WORKSPACE : v == 2 ? DBX_REGISTRY_UC : DBX_REGISTRY_DEFAULT;
}

/* A version number from R (numeric or character): < 1 is left to libdbx (DBX_EINVAL). */
static int64_t version_of(SEXP v)
{
    if (Rf_isNull(v) || XLENGTH(v) < 1)
        return 0;
    double d = Rf_asReal(v);
    if (ISNAN(d) || d < 0 || d > 9.0e15)
        return 0;
    return (int64_t)d;
}

static SEXP str_or_na(const char *s) { return s ? Rf_ScalarString(dbx_r_mkutf8(s)) : Rf_ScalarString(NA_STRING); }

/* A named character vector from count/key/value accessors. */
#define TAGS_VECTOR(out, obj, countf, keyf, valuef)                                                  \
    do {                                                                                             \
        size_t n_ = countf(obj);                                                                     \
        out = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n_));                                         \
        SEXP nm_ = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n_));                                    \
        for (size_t i_ = 0; i_ < n_; i_++) {                                                         \
            SET_STRING_ELT(out, (R_xlen_t)i_, dbx_r_mkutf8(valuef(obj, i_)));                        \
            SET_STRING_ELT(nm_, (R_xlen_t)i_, dbx_r_mkutf8(keyf(obj, i_)));                          \
        }                                                                                            \
        Rf_setAttrib(out, R_NamesSymbol, nm_);                                                       \
        UNPROTECT(1);                                                                                \
    } while (0)

static SEXP model_list(const dbx_registered_model *m)
{
    const char *names[] = {"registry", "name", "catalog_name", "schema_name", "description", "owner",
                           "storage_location", "creation_timestamp", "last_updated_timestamp", "aliases",
                           "tags", "raw", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, Rf_mkString(dbx_registry_name(dbx_registered_model_registry(m))));
    SET_VECTOR_ELT(out, 1, Rf_ScalarString(dbx_r_mkutf8(dbx_registered_model_name(m))));
    SET_VECTOR_ELT(out, 2, Rf_ScalarString(dbx_r_mkutf8(dbx_registered_model_catalog_name(m))));
    SET_VECTOR_ELT(out, 3, Rf_ScalarString(dbx_r_mkutf8(dbx_registered_model_schema_name(m))));
    SET_VECTOR_ELT(out, 4, Rf_ScalarString(dbx_r_mkutf8(dbx_registered_model_description(m))));
    SET_VECTOR_ELT(out, 5, Rf_ScalarString(dbx_r_mkutf8(dbx_registered_model_owner(m))));
    SET_VECTOR_ELT(out, 6, Rf_ScalarString(dbx_r_mkutf8(dbx_registered_model_storage_location(m))));
    SET_VECTOR_ELT(out, 7, Rf_ScalarReal((double)dbx_registered_model_creation_timestamp(m)));
    SET_VECTOR_ELT(out, 8, Rf_ScalarReal((double)dbx_registered_model_last_updated_timestamp(m)));
    size_t na = dbx_registered_model_alias_count(m);
    SEXP al = PROTECT(Rf_allocVector(INTSXP, (R_xlen_t)na));
    SEXP aln = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)na));
    for (size_t i = 0; i < na; i++) {
        int64_t v = dbx_registered_model_alias_version(m, i);
        INTEGER(al)[i] = v >= 0 && v <= INT_MAX ? (int)v : NA_INTEGER;
        SET_STRING_ELT(aln, (R_xlen_t)i, dbx_r_mkutf8(dbx_registered_model_alias(m, i)));
    }
    Rf_setAttrib(al, R_NamesSymbol, aln);
    SET_VECTOR_ELT(out, 9, al);
    UNPROTECT(2);
    SEXP tags;
    TAGS_VECTOR(tags, m, dbx_registered_model_tag_count, dbx_registered_model_tag_key,
                dbx_registered_model_tag_value);
    SET_VECTOR_ELT(out, 10, tags);
    UNPROTECT(1);
    SET_VECTOR_ELT(out, 11, dbx_r_json(dbx_registered_model_json(m)));
    UNPROTECT(1);
    return out;
}

static SEXP version_list(const dbx_model_version *v)
{
    const char *names[] = {"registry", "name", "version", "status", "status_raw", "status_message", "stage",
                           "description", "source", "run_id", "storage_location", "user_id",
                           "creation_timestamp", "last_updated_timestamp", "aliases", "tags", "raw", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    int64_t n = dbx_model_version_version(v);
    SET_VECTOR_ELT(out, 0, Rf_mkString(dbx_registry_name(dbx_model_version_registry(v))));
    SET_VECTOR_ELT(out, 1, Rf_ScalarString(dbx_r_mkutf8(dbx_model_version_name(v))));
    SET_VECTOR_ELT(out, 2, Rf_ScalarInteger(n >= 0 && n <= INT_MAX ? (int)n : NA_INTEGER));
    SET_VECTOR_ELT(out, 3, Rf_mkString(dbx_model_version_status_name(dbx_model_version_status(v))));
    SET_VECTOR_ELT(out, 4, Rf_ScalarString(dbx_r_mkutf8(dbx_model_version_status_str(v))));
    SET_VECTOR_ELT(out, 5, Rf_ScalarString(dbx_r_mkutf8(dbx_model_version_status_message(v))));
    SET_VECTOR_ELT(out, 6, str_or_na(dbx_model_version_stage(v)));
    SET_VECTOR_ELT(out, 7, Rf_ScalarString(dbx_r_mkutf8(dbx_model_version_description(v))));
    SET_VECTOR_ELT(out, 8, Rf_ScalarString(dbx_r_mkutf8(dbx_model_version_source(v))));
    SET_VECTOR_ELT(out, 9, Rf_ScalarString(dbx_r_mkutf8(dbx_model_version_run_id(v))));
    SET_VECTOR_ELT(out, 10, Rf_ScalarString(dbx_r_mkutf8(dbx_model_version_storage_location(v))));
    SET_VECTOR_ELT(out, 11, Rf_ScalarString(dbx_r_mkutf8(dbx_model_version_user_id(v))));
    SET_VECTOR_ELT(out, 12, Rf_ScalarReal((double)dbx_model_version_creation_timestamp(v)));
    SET_VECTOR_ELT(out, 13, Rf_ScalarReal((double)dbx_model_version_last_updated_timestamp(v)));
    size_t na = dbx_model_version_alias_count(v);
    SEXP al = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)na));
    for (size_t i = 0; i < na; i++)
        SET_STRING_ELT(al, (R_xlen_t)i, dbx_r_mkutf8(dbx_model_version_alias(v, i)));
    SET_VECTOR_ELT(out, 14, al);
    UNPROTECT(1);
    SEXP tags;
    TAGS_VECTOR(tags, v, dbx_model_version_tag_count, dbx_model_version_tag_key, dbx_model_version_tag_value);
    SET_VECTOR_ELT(out, 15, tags);
    UNPROTECT(1);
    SET_VECTOR_ELT(out, 16, dbx_r_json(dbx_model_version_json(v)));
    UNPROTECT(1);
    return out;
}

/* Owned results: converted, freed, or the failure. */
static SEXP take_model(dbx_client *c, dbx_status st, dbx_registered_model *m)
{
    if (st != DBX_OK) {
        dbx_registered_model_free(m);
        return dbx_r_failure(c, st);
    }
    SEXP out = m ? model_list(m) : R_NilValue;
    dbx_registered_model_free(m);
    return out;
}

static SEXP take_version(dbx_client *c, dbx_status st, dbx_model_version *v)
{
    if (st != DBX_OK) {
        dbx_model_version_free(v);
        return dbx_r_failure(c, st);
    }
    SEXP out = v ? version_list(v) : R_NilValue;
    dbx_model_version_free(v);
    return out;
}

/* Tags from two character vectors (same length); *out NULL when there are none. The array
 * points into R's strings (valid during the call) and is freed by the caller. */
static dbx_status tag_array(dbx_registry_tag **out, size_t *n, SEXP keys, SEXP values)
{
    *out = NULL;
    *n = 0;
    if (Rf_isNull(keys) || XLENGTH(keys) == 0)
        return DBX_OK;
    if (!Rf_isString(keys) || !Rf_isString(values) || XLENGTH(keys) != XLENGTH(values))
        return DBX_EINVAL;
    R_xlen_t k = XLENGTH(keys);
    dbx_registry_tag *t = calloc((size_t)k, sizeof *t);
    if (!t)
        return DBX_ENOMEM;
    for (R_xlen_t i = 0; i < k; i++) {
        t[i].key = Rf_translateCharUTF8(STRING_ELT(keys, i));
        t[i].value = Rf_translateCharUTF8(STRING_ELT(values, i));
    }
    *out = t;
    *n = (size_t)k;
    return DBX_OK;
}

/* A NULL-terminated string array (NULL for NULL / empty); freed by the caller. */
static dbx_status str_array(const char ***out, SEXP v)
{
    *out = NULL;
    if (Rf_isNull(v) || XLENGTH(v) == 0)
        return DBX_OK;
    if (!Rf_isString(v))
        return DBX_EINVAL;
    const char **a = calloc((size_t)XLENGTH(v) + 1, sizeof *a);
    if (!a)
        return DBX_ENOMEM;
    for (R_xlen_t i = 0; i < XLENGTH(v); i++)
        a[i] = Rf_translateCharUTF8(STRING_ELT(v, i));
    *out = a;
    return DBX_OK;
}

/* ---- registered models ------------------------------------------------------------------ */

SEXP r_dbx_reg_model_create(SEXP x, SEXP reg, SEXP name, SEXP description, SEXP tag_keys, SEXP tag_values,
                            SEXP storage_location)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_registry_model_create_options o = DBX_REGISTRY_MODEL_CREATE_OPTIONS_INIT;
    dbx_registry_tag *tags = NULL;
    dbx_status st = tag_array(&tags, &o.n_tags, tag_keys, tag_values);
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    o.tags = tags;
    o.description = dbx_r_str(description);
    o.storage_location = dbx_r_str(storage_location);
    dbx_registered_model *m = NULL;
    st = dbx_registry_model_create(&m, c, reg_of(reg), dbx_r_str(name), &o);
    free(tags);
    return take_model(c, st, m);
}

/* get / rename / update / delete / set_tag / delete_tag */
SEXP r_dbx_reg_model_op(SEXP x, SEXP op, SEXP reg, SEXP name, SEXP a1, SEXP a2)
{
    DBX_R_NEED_CLIENT(c, x);
    const char *o = dbx_r_str(op);
    dbx_registry_t r = reg_of(reg);
    const char *n = dbx_r_str(name);
    dbx_registered_model *m = NULL;
    dbx_status st;
    if (!o)
        return dbx_r_failure(NULL, DBX_EINVAL);
    if (!strcmp(o, "get"))
        st = dbx_registry_model_get(&m, c, r, n);
    else if (!strcmp(o, "rename"))
        st = dbx_registry_model_rename(&m, c, r, n, dbx_r_str(a1));
    else if (!strcmp(o, "update")) {
        const char *d = dbx_r_str(a1);
        st = dbx_registry_model_update(&m, c, r, n, d ? d : (Rf_isString(a1) && XLENGTH(a1) == 1 ? "" : NULL));
    } else if (!strcmp(o, "delete"))
        st = dbx_registry_model_delete(c, r, n);
    else if (!strcmp(o, "set_tag"))
        st = dbx_registry_model_set_tag(c, r, n, dbx_r_str(a1), dbx_r_str(a2));
    else if (!strcmp(o, "delete_tag"))
        st = dbx_registry_model_delete_tag(c, r, n, dbx_r_str(a1));
    else
        return dbx_r_failure(NULL, DBX_EINVAL);
    if (st == DBX_OK && !m)
        return Rf_ScalarLogical(1);
    return take_model(c, st, m);
}

SEXP r_dbx_reg_models_search(SEXP x, SEXP reg, SEXP filter, SEXP order_by, SEXP catalog_name, SEXP schema_name,
                             SEXP page_size, SEXP max_items)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_registry_models_search_options o = DBX_REGISTRY_MODELS_SEARCH_OPTIONS_INIT;
    const char **ob = NULL;
    dbx_status st = str_array(&ob, order_by);
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    o.filter = dbx_r_str(filter);
    o.order_by = ob;
    o.catalog_name = dbx_r_str(catalog_name);
    o.schema_name = dbx_r_str(schema_name);
    o.page_size = Rf_isNull(page_size) ? 0 : Rf_asInteger(page_size);
    o.max_items = Rf_isNull(max_items) ? 0 : (long)Rf_asReal(max_items);
    dbx_registered_models_iter *it = NULL;
    st = dbx_registry_models_search(&it, c, reg_of(reg), &o);
    if (st != DBX_OK) {
        free(ob);
        return dbx_r_failure(c, st);
    }
    dbx_r_acc a;
    dbx_r_acc_init(&a);
    const dbx_registered_model *m;
    while ((st = dbx_registered_models_iter_next(&m, it)) == DBX_OK)
        dbx_r_acc_push(&a, model_list(m));
    free(ob);
    if (st != DBX_DONE) {
        SEXP f = PROTECT(dbx_r_failure(c, st));
        dbx_registered_models_iter_free(it);
        UNPROTECT(2);
        return f;
    }
    dbx_registered_models_iter_free(it);
    SEXP out = dbx_r_acc_done(&a);
    UNPROTECT(1);
    return out;
}

/* ---- versions -------------------------------------------------------------------------- */

SEXP r_dbx_reg_version_create(SEXP x, SEXP reg, SEXP name, SEXP source, SEXP run_id, SEXP description,
                              SEXP tag_keys, SEXP tag_values, SEXP run_link)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_registry_version_create_options o = DBX_REGISTRY_VERSION_CREATE_OPTIONS_INIT;
    dbx_registry_tag *tags = NULL;
    dbx_status st = tag_array(&tags, &o.n_tags, tag_keys, tag_values);
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    o.tags = tags;
    o.run_id = dbx_r_str(run_id);
    o.description = dbx_r_str(description);
    o.run_link = dbx_r_str(run_link);
    dbx_model_version *v = NULL;
    st = dbx_registry_version_create(&v, c, reg_of(reg), dbx_r_str(name), dbx_r_str(source), &o);
    free(tags);
    return take_version(c, st, v);
}

/* get / update / delete / set_tag / delete_tag / finalize / download_uri / transition */
SEXP r_dbx_reg_version_op(SEXP x, SEXP op, SEXP reg, SEXP name, SEXP version, SEXP a1, SEXP a2, SEXP a3)
{
    DBX_R_NEED_CLIENT(c, x);
    const char *o = dbx_r_str(op);
    dbx_registry_t r = reg_of(reg);
    const char *n = dbx_r_str(name);
    int64_t ver = version_of(version);
    dbx_model_version *v = NULL;
    dbx_status st;
    if (!o)
        return dbx_r_failure(NULL, DBX_EINVAL);
    if (!strcmp(o, "get"))
        st = dbx_registry_version_get(&v, c, r, n, ver);
    else if (!strcmp(o, "update")) {
        const char *d = dbx_r_str(a1);
        st = dbx_registry_version_update(&v, c, r, n, ver, d ? d : (Rf_isString(a1) && XLENGTH(a1) == 1 ? "" : NULL));
    } else if (!strcmp(o, "delete"))
        st = dbx_registry_version_delete(c, r, n, ver);
    else if (!strcmp(o, "set_tag"))
        st = dbx_registry_version_set_tag(c, r, n, ver, dbx_r_str(a1), dbx_r_str(a2));
    else if (!strcmp(o, "delete_tag"))
        st = dbx_registry_version_delete_tag(c, r, n, ver, dbx_r_str(a1));
    else if (!strcmp(o, "finalize"))
        st = dbx_registry_version_finalize(&v, c, r, n, ver);
    else if (!strcmp(o, "transition"))
        st = dbx_registry_version_transition_stage(&v, c, r, n, ver, dbx_r_str(a1), Rf_asLogical(a2) == 1,
                                                   dbx_r_str(a3));
    else if (!strcmp(o, "download_uri")) {
        char *uri = NULL;
        st = dbx_registry_version_download_uri(&uri, c, r, n, ver);
        if (st != DBX_OK)
            return dbx_r_failure(c, st);
        SEXP out = Rf_ScalarString(dbx_r_mkutf8(uri));
        dbx_free(uri);
        return out;
    } else
        return dbx_r_failure(NULL, DBX_EINVAL);
    if (st == DBX_OK && !v)
        return Rf_ScalarLogical(1);
    return take_version(c, st, v);
}

static SEXP drain_versions(dbx_client *c, dbx_model_versions_iter *it)
{
    dbx_r_acc a;
    dbx_r_acc_init(&a);
    const dbx_model_version *v;
    dbx_status st;
    while ((st = dbx_model_versions_iter_next(&v, it)) == DBX_OK)
        dbx_r_acc_push(&a, version_list(v));
    if (st != DBX_DONE) {
        SEXP f = PROTECT(dbx_r_failure(c, st));
        dbx_model_versions_iter_free(it);
        UNPROTECT(2);
        return f;
    }
    dbx_model_versions_iter_free(it);
    SEXP out = dbx_r_acc_done(&a);
    UNPROTECT(1);
    return out;
}

SEXP r_dbx_reg_versions_search(SEXP x, SEXP reg, SEXP name, SEXP filter, SEXP order_by, SEXP page_size,
                               SEXP max_items)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_registry_versions_search_options o = DBX_REGISTRY_VERSIONS_SEARCH_OPTIONS_INIT;
    const char **ob = NULL;
    dbx_status st = str_array(&ob, order_by);
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    o.filter = dbx_r_str(filter);
    o.order_by = ob;
    o.page_size = Rf_isNull(page_size) ? 0 : Rf_asInteger(page_size);
    o.max_items = Rf_isNull(max_items) ? 0 : (long)Rf_asReal(max_items);
    dbx_model_versions_iter *it = NULL;
    st = dbx_registry_versions_search(&it, c, reg_of(reg), dbx_r_str(name), &o);
    if (st != DBX_OK) {
        free(ob);
        return dbx_r_failure(c, st);
    }
    SEXP out = PROTECT(drain_versions(c, it));
    free(ob);
    UNPROTECT(1);
    return out;
}

SEXP r_dbx_reg_versions_latest(SEXP x, SEXP reg, SEXP name, SEXP stages)
{
    DBX_R_NEED_CLIENT(c, x);
    const char **sa = NULL;
    dbx_status st = str_array(&sa, stages);
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    dbx_model_versions_iter *it = NULL;
    st = dbx_registry_versions_latest(&it, c, reg_of(reg), dbx_r_str(name), sa);
    if (st != DBX_OK) {
        free(sa);
        return dbx_r_failure(c, st);
    }
    SEXP out = PROTECT(drain_versions(c, it)); /* the request is made on the first _next */
    free(sa);
    UNPROTECT(1);
    return out;
}

/* ---- aliases --------------------------------------------------------------------------- */

SEXP r_dbx_reg_alias(SEXP x, SEXP op, SEXP reg, SEXP name, SEXP alias, SEXP version)
{
    DBX_R_NEED_CLIENT(c, x);
    const char *o = dbx_r_str(op);
    dbx_registry_t r = reg_of(reg);
    dbx_status st;
    if (!o)
        return dbx_r_failure(NULL, DBX_EINVAL);
    if (!strcmp(o, "set"))
        st = dbx_registry_alias_set(c, r, dbx_r_str(name), dbx_r_str(alias), version_of(version));
    else if (!strcmp(o, "delete"))
        st = dbx_registry_alias_delete(c, r, dbx_r_str(name), dbx_r_str(alias));
    else if (!strcmp(o, "get")) {
        dbx_model_version *v = NULL;
        st = dbx_registry_version_get_by_alias(&v, c, r, dbx_r_str(name), dbx_r_str(alias));
        return take_version(c, st, v);
    } else
        return dbx_r_failure(NULL, DBX_EINVAL);
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

/* ---- waits and UC registration ------------------------------------------------------------ */

SEXP r_dbx_reg_wait_ready(SEXP x, SEXP reg, SEXP name, SEXP version, SEXP timeout, SEXP poll_interval,
                          SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_wait_options o;
    dbx_r_wait w = {0};
    dbx_r_wait_opts(&o, &w, timeout, poll_interval, progress);
    dbx_model_version *v = NULL;
    dbx_status st = dbx_registry_version_wait_ready(&v, c, reg_of(reg), dbx_r_str(name), version_of(version), &o);
    SEXP snap = v ? version_list(v) : R_NilValue;
    dbx_model_version_free(v);
    return dbx_r_wait_answer(c, st, snap, &w);
}

typedef struct reg_ctx {
    dbx_r_wait w; /* the wait's context: interrupts and callback errors of both callbacks */
    SEXP on_file;
    const char *rel;
    int64_t size;
    SEXP result;
} reg_ctx;

static void check_interrupt(void *unused)
{
    (void)unused;
    R_CheckUserInterrupt();
}

/* The R wrapper (.dbx_progress) returns NULL, a "dbx_interrupt" marker or the condition. */
static void run_on_file(void *p)
{
    reg_ctx *r = p;
    SEXP call = PROTECT(Rf_lang3(r->on_file, Rf_ScalarString(dbx_r_mkutf8(r->rel)), Rf_ScalarReal((double)r->size)));
    r->result = Rf_eval(call, R_GlobalEnv);
    if (!Rf_isNull(r->result))
        R_PreserveObject(r->result);
    UNPROTECT(1);
}

static int on_file(void *payload, const char *relpath, int64_t size)
{
    reg_ctx *r = payload;
    if (r->w.interrupted || r->w.callback_error)
        return 1;
    if (!R_ToplevelExec(check_interrupt, NULL)) {
        r->w.interrupted = 1;
        return 1;
    }
    if (Rf_isNull(r->on_file))
        return 0;
    r->rel = relpath;
    r->size = size;
    r->result = R_NilValue;
    if (!R_ToplevelExec(run_on_file, r)) {
        r->w.interrupted = 1;
        return 1;
    }
    if (!Rf_isNull(r->result)) {
        if (Rf_inherits(r->result, "dbx_interrupt")) {
            r->w.interrupted = 1;
            R_ReleaseObject(r->result);
        } else {
            r->w.callback_failed = 1;
            r->w.callback_error = r->result; /* released by dbx_r_wait_answer */
        }
        return 1;
    }
    return 0;
}

/* list(answer = <a wait answer>, version = <the new version number, or 0>) */
SEXP r_dbx_reg_register_uc(SEXP x, SEXP name, SEXP local_dir, SEXP source, SEXP run_id, SEXP description,
                           SEXP tag_keys, SEXP tag_values, SEXP create_model, SEXP timeout, SEXP poll_interval,
                           SEXP progress, SEXP on_file_fn)
{
    DBX_R_NEED_CLIENT(c, x);
    reg_ctx r;
    memset(&r, 0, sizeof r);
    dbx_wait_options wo;
    dbx_r_wait_opts(&wo, &r.w, timeout, poll_interval, progress);
    r.on_file = Rf_isFunction(on_file_fn) ? on_file_fn : R_NilValue;
    dbx_registry_register_options o = DBX_REGISTRY_REGISTER_OPTIONS_INIT;
    dbx_registry_tag *tags = NULL;
    dbx_status st = tag_array(&tags, &o.n_tags, tag_keys, tag_values);
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    o.tags = tags;
    o.source = dbx_r_str(source);
    o.run_id = dbx_r_str(run_id);
    o.description = dbx_r_str(description);
    o.create_model = Rf_asLogical(create_model) == 1;
    o.wait = &wo;
    o.on_file = on_file;
    o.payload = &r;
    dbx_model_version *v = NULL;
    int64_t ver = 0;
    st = dbx_registry_register_uc_version(&v, &ver, c, dbx_r_str(name), dbx_r_str(local_dir), &o);
    free(tags);
    SEXP snap = PROTECT(v ? version_list(v) : R_NilValue);
    dbx_model_version_free(v);
    const char *names[] = {"answer", "version", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, dbx_r_wait_answer(c, st, snap, &r.w));
    SET_VECTOR_ELT(out, 1, Rf_ScalarReal((double)ver));
    UNPROTECT(2);
    return out;
}

const R_CallMethodDef dbx_r_calls_registry[] = {
    {"r_dbx_reg_model_create", (DL_FUNC)&r_dbx_reg_model_create, 7},
    {"r_dbx_reg_model_op", (DL_FUNC)&r_dbx_reg_model_op, 6},
    {"r_dbx_reg_models_search", (DL_FUNC)&r_dbx_reg_models_search, 8},
    {"r_dbx_reg_version_create", (DL_FUNC)&r_dbx_reg_version_create, 9},
    {"r_dbx_reg_version_op", (DL_FUNC)&r_dbx_reg_version_op, 8},
    {"r_dbx_reg_versions_search", (DL_FUNC)&r_dbx_reg_versions_search, 7},
    {"r_dbx_reg_versions_latest", (DL_FUNC)&r_dbx_reg_versions_latest, 4},
    {"r_dbx_reg_alias", (DL_FUNC)&r_dbx_reg_alias, 6},
    {"r_dbx_reg_wait_ready", (DL_FUNC)&r_dbx_reg_wait_ready, 7},
    {"r_dbx_reg_register_uc", (DL_FUNC)&r_dbx_reg_register_uc, 13},
    {NULL, NULL, 0}};
