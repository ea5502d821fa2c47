/* libdbx: MLflow tracking (/api/2.0/mlflow/ *): experiments, runs, metric
 * history, the logging buffer and run artifacts. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "dbx/files.h"
#include "dbx/mlflow.h"
#include "files_internal.h"
#include "mlflow_internal.h"

#define BASE "/api/2.0/mlflow"

/* ---- the MLflow retry policy --------------------------------------------------- */

dbx_status dbx__mlflow_call_text(dbx_client *c, const char *method, const char *path, const char *body,
                                 size_t body_len, int flags, dbx__jdoc *out)
{
    return dbx__api_call_text_retry(c, method, path, body, body_len, flags, &c->mlflow_retry, out);
}

dbx_status dbx__mlflow_call(dbx_client *c, const char *method, const char *path, const json_t *body, int flags,
                            dbx__jdoc *out)
{
    return dbx__api_call_retry(c, method, path, body, flags, &c->mlflow_retry, out);
}

const dbx__retry_policy *dbx__mlflow_retry_policy(const dbx_client *c) { return &c->mlflow_retry; }

/* ---- local checks ---------------------------------------------------------------- */

/* MLflow's entity name rule (validation.py): ^[/\w.\- ]*$ (\w is Unicode:
 * any non-ASCII byte of valid UTF-8 is let through), equal to its POSIX
 * normalised form (no empty, "." or ".." component, no trailing '/'), not
 * starting with '/' or "..". Returns NULL or what is wrong. */
static const char *name_problem(const char *s)
{
    size_t n = strlen(s);
    if (n == 0)
        return "is empty";
    if (n > DBX_MLFLOW_MAX_KEY_LEN)
        return "is longer than 250 bytes";
    if (s[0] == '/')
        return "starts with '/'";
    if (strncmp(s, "..", 2) == 0)
        return "starts with '..'";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!(ch >= 0x80 || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == '.' || ch == ' ' || ch == '/'))
            return "has a character other than letters, digits, '_', '-', '.', ' ' and '/'";
    }
    /* normalised form: components neither empty nor "." nor ".." */
    const char *p = s;
    for (;;) {
        size_t cl = strcspn(p, "/");
        if (cl == 0 || (cl == 1 && p[0] == '.') || (cl == 2 && p[0] == '.' && p[1] == '.'))
            return "is not a normalised path (an empty, '.' or '..' component)";
        if (!p[cl])
            break;
        p += cl + 1;
    }
    return NULL;
}

static dbx_status check_name(dbx_client *c, const char *fn, const char *what, const char *s)
{
    if (dbx__empty(s))
        return dbx__fail(c, DBX_EINVAL, "%s: %s is required", fn, what);
    if (!dbx__utf8_valid(s))
        return dbx__fail(c, DBX_EINVAL, "%s: %s is not valid UTF-8", fn, what);
    const char *why = name_problem(s);
    return why ? dbx__fail(c, DBX_EINVAL, "%s: %s %s", fn, what, why) : DBX_OK;
}

static dbx_status check_value(dbx_client *c, const char *fn, const char *what, const char *s, size_t max)
{
    if (!s)
        return dbx__fail(c, DBX_EINVAL, "%s: %s is NULL", fn, what);
    if (!dbx__utf8_valid(s))
        return dbx__fail(c, DBX_EINVAL, "%s: %s is not valid UTF-8", fn, what);
    size_t n = strlen(s);
    if (n > max)
        return dbx__fail(c, DBX_EINVAL, "%s: %s is %zu bytes long; at most %zu", fn, what, n, max);
    return DBX_OK;
}

/* Run and experiment ids: ^[a-zA-Z0-9][\w\-]{0,max-1}$ (MLflow). */
static dbx_status check_id(dbx_client *c, const char *fn, const char *what, const char *s, size_t max)
{
    if (dbx__empty(s))
        return dbx__fail(c, DBX_EINVAL, "%s: %s is required", fn, what);
    size_t n = strlen(s);
    int ok = n <= max;
    for (size_t i = 0; ok && i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        int an = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        ok = an || (i > 0 && (ch == '_' || ch == '-'));
    }
    return ok ? DBX_OK : dbx__fail(c, DBX_EINVAL, "%s: %s is not a valid MLflow id", fn, what);
}

#define CHECK(expr)                                                                                               \
    do {                                                                                                          \
        dbx_status check_st_ = (expr);                                                                            \
        if (check_st_ != DBX_OK)                                                                                  \
            return check_st_;                                                                                     \
    } while (0)
#define RUN_ID(c, id) CHECK(check_id((c), __func__, #id, (id), 256))
#define EXP_ID(c, id) CHECK(check_id((c), __func__, #id, (id), 64))

static dbx_status check_tags(dbx_client *c, const char *fn, const dbx_mlflow_tag *tags, size_t n, size_t vmax)
{
    if (n && !tags)
        return dbx__fail(c, DBX_EINVAL, "%s: tags is NULL with n_tags %zu", fn, n);
    char what[48];
    for (size_t i = 0; i < n; i++) {
        snprintf(what, sizeof what, "tags[%zu].key", i);
        CHECK(check_name(c, fn, what, tags[i].key));
        snprintf(what, sizeof what, "tags[%zu].value", i);
        CHECK(check_value(c, fn, what, tags[i].value, vmax));
    }
    return DBX_OK;
}

/* ---- JSON text ------------------------------------------------------------------------ */

/* A double as JSON: the shortest text that reads back the same;
 * NaN and the infinities as the strings proto3 JSON uses. */
static void put_double(dbx__buf *b, double v)
{
    if (isnan(v)) {
        dbx__buf_puts(b, "\"NaN\"");
        return;
    }
    if (isinf(v)) {
        dbx__buf_puts(b, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        return;
    }
    char num[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(num, sizeof num, "%.*g", prec, v);
        if (strtod(num, NULL) == v)
            break;
    }
    dbx__buf_puts(b, num);
}

static void put_str(dbx__buf *b, const char *s) { dbx__json_put_string(b, s, strlen(s)); }

static void put_kv(dbx__buf *b, const char *key, const char *value)
{
    dbx__buf_puts(b, "{\"key\":");
    put_str(b, key);
    dbx__buf_puts(b, ",\"value\":");
    put_str(b, value);
    dbx__buf_putc(b, '}');
}

static void put_metric(dbx__buf *b, const char *key, double value, int64_t ts, int64_t step)
{
    dbx__buf_puts(b, "{\"key\":");
    put_str(b, key);
    dbx__buf_puts(b, ",\"value\":");
    put_double(b, value);
    dbx__buf_printf(b, ",\"timestamp\":%lld,\"step\":%lld}", (long long)ts, (long long)step);
}

static json_t *tags_json(const dbx_mlflow_tag *tags, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        json_t *t = json_object();
        if (!t || json_array_append_new(arr, t) != 0 || dbx__json_set_str(t, "key", tags[i].key) != 0 ||
            dbx__json_set_str(t, "value", tags[i].value) != 0) {
            dbx__json_decref_deep(arr);
            return NULL;
        }
    }
    return arr;
}

/* POST a body built with jansson (taken); the answer discarded or kept. */
static dbx_status post(dbx_client *c, const char *op, json_t *body, int flags, dbx__jdoc *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!body)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    char path[128];
    snprintf(path, sizeof path, BASE "/%s", op);
    dbx_status st = dbx__mlflow_call(c, "POST", path, body, flags, out);
    dbx__json_decref_deep(body);
    return st;
}

/* A body of string members: pairs of (name, value), NULL values skipped. */
static json_t *obj_str(int n, ...)
{
    json_t *o = json_object();
    va_list ap;
    va_start(ap, n);
    for (int i = 0; o && i < n; i++) {
        const char *k = va_arg(ap, const char *);
        const char *v = va_arg(ap, const char *);
        if (v && dbx__json_set_str(o, k, v) != 0) {
            dbx__json_decref_deep(o);
            o = NULL;
        }
    }
    va_end(ap);
    return o;
}

/* GET BASE/op?k=v and keep the answer. */
static dbx_status get1(dbx_client *c, const char *op, const char *k, const char *v, dbx__jdoc *out)
{
    char small[512];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    dbx__buf_printf(&path, BASE "/%s", op);
    if (dbx__query_add(&path, k, v) != 0) {
        dbx__buf_dispose(&path);
        memset(out, 0, sizeof *out);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx_status st = dbx__mlflow_call(c, "GET", path.ptr, NULL, 0, out);
    dbx__buf_dispose(&path);
    return st;
}

/* A result viewing member `key` of the answer's root (an object). */
static void *result_of(dbx_client *c, dbx__jdoc *doc, size_t size, const char *key, const char *what)
{
    if (!dbx__jv_is_object(dbx__jv_get(dbx__jdoc_root(doc), key))) {
        dbx__jdoc_dispose(doc);
        dbx__fail_answer(c, DBX_EBADRESPONSE, "%s: the answer has no '%s' object", what, key);
        return NULL;
    }
    dbx__view *v = dbx__view_new(size, doc);
    if (!v) {
        dbx__fail(c, DBX_ENOMEM, "out of memory");
        return NULL;
    }
    v->v = dbx__jv_get(v->v, key);
    return v;
}

/* ---- key/value lists of results (tags, params) ---------------------------------------- */

static dbx__jv nth(dbx__jv arr, size_t i)
{
    dbx__jit it;
    dbx__jv v;
    size_t k = 0;
    dbx__jv_iter(arr, &it);
    while (dbx__jit_next(&it, &v, NULL))
        if (k++ == i)
            return v;
    return DBX__JV_ABSENT;
}

static const char *kv_find(dbx__jv arr, const char *key)
{
    if (!key)
        return NULL;
    dbx__jit it;
    dbx__jv v;
    const char *found = NULL;
    dbx__jv_iter(arr, &it);
    while (dbx__jit_next(&it, &v, NULL)) {
        const char *k = dbx__jv_get_str(v, "key", "");
        if (k && strcmp(k, key) == 0)
            found = dbx__jv_get_str(v, "value", "");
    }
    return found;
}

static const char *kv_key(dbx__jv arr, size_t i)
{
    dbx__jv v = nth(arr, i);
    return dbx__jv_present(v) ? dbx__jv_get_str(v, "key", "") : NULL;
}

static const char *kv_value(dbx__jv arr, size_t i)
{
    dbx__jv v = nth(arr, i);
    return dbx__jv_present(v) ? dbx__jv_get_str(v, "value", "") : NULL;
}

/* A metric value: a JSON number, or "NaN" / "Infinity" / "-Infinity". */
static double metric_value(dbx__jv m)
{
    dbx__jv v = dbx__jv_get(m, "value");
    if (dbx__jv_type(v) == DBX__J_STRING) {
        const char *s = dbx__jv_str(v, "");
        if (strcmp(s, "NaN") == 0)
            return NAN;
        if (strcmp(s, "Infinity") == 0 || strcmp(s, "inf") == 0)
            return INFINITY;
        if (strcmp(s, "-Infinity") == 0 || strcmp(s, "-inf") == 0)
            return -INFINITY;
        return NAN;
    }
    return dbx__jv_real(v, 0.0);
}

/* ---- enums ------------------------------------------------------------------------------- */

static const char *status_names[] = {"UNKNOWN", "RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"};

DBX_API const char *dbx_mlflow_run_status_name(dbx_mlflow_run_status_t s)
{
    return (unsigned)s < sizeof status_names / sizeof *status_names ? status_names[s] : "UNKNOWN";
}

static dbx_mlflow_run_status_t status_parse(const char *s)
{
    for (size_t i = 1; s && i < sizeof status_names / sizeof *status_names; i++)
        if (strcmp(s, status_names[i]) == 0)
            return (dbx_mlflow_run_status_t)i;
    return DBX_MLFLOW_RUN_STATUS_UNKNOWN;
}

static const char *view_names[] = {NULL, "ACTIVE_ONLY", "DELETED_ONLY", "ALL"};

/* ---- experiments ------------------------------------------------------------------------- */

struct dbx_mlflow_experiment {
    dbx__view v;
};

DBX_API void dbx_mlflow_experiment_free(dbx_mlflow_experiment *e) { dbx__view_free(e); }

#define EXP_STR(fn, field)                                                                                       \
    DBX_API const char *fn(const dbx_mlflow_experiment *e) { return e ? dbx__jv_get_str(e->v.v, field, "") : ""; }
EXP_STR(dbx_mlflow_experiment_id, "experiment_id")
EXP_STR(dbx_mlflow_experiment_name, "name")
EXP_STR(dbx_mlflow_experiment_artifact_location, "artifact_location")
EXP_STR(dbx_mlflow_experiment_lifecycle_stage, "lifecycle_stage")

DBX_API int64_t dbx_mlflow_experiment_creation_time(const dbx_mlflow_experiment *e)
{
    return e ? dbx__jv_get_int(e->v.v, "creation_time", 0) : 0;
}

DBX_API int64_t dbx_mlflow_experiment_last_update_time(const dbx_mlflow_experiment *e)
{
    return e ? dbx__jv_get_int(e->v.v, "last_update_time", 0) : 0;
}

DBX_API size_t dbx_mlflow_experiment_tag_count(const dbx_mlflow_experiment *e)
{
    return e ? dbx__jv_count(dbx__jv_get(e->v.v, "tags")) : 0;
}

DBX_API const char *dbx_mlflow_experiment_tag_key(const dbx_mlflow_experiment *e, size_t i)
{
    return e ? kv_key(dbx__jv_get(e->v.v, "tags"), i) : NULL;
}

DBX_API const char *dbx_mlflow_experiment_tag_value(const dbx_mlflow_experiment *e, size_t i)
{
    return e ? kv_value(dbx__jv_get(e->v.v, "tags"), i) : NULL;
}

DBX_API const char *dbx_mlflow_experiment_tag(const dbx_mlflow_experiment *e, const char *key)
{
    return e ? kv_find(dbx__jv_get(e->v.v, "tags"), key) : NULL;
}

DBX_API const char *dbx_mlflow_experiment_json(const dbx_mlflow_experiment *e)
{
    return e ? dbx__view_text(&e->v, 0, e->v.v) : NULL;
}

DBX_API dbx_status dbx_mlflow_experiment_create(char **experiment_id, dbx_client *c, const char *name,
                                                const char *artifact_location, const dbx_mlflow_tag *tags,
                                                size_t n_tags)
{
    if (experiment_id)
        *experiment_id = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, experiment_id);
    DBX__REQUIRE_STR(c, name);
    if (strlen(name) > DBX_MLFLOW_MAX_EXPERIMENT_NAME_LEN)
        return dbx__fail(c, DBX_EINVAL, "%s: name is longer than %d bytes", __func__,
                         DBX_MLFLOW_MAX_EXPERIMENT_NAME_LEN);
    DBX__CHECK_STR(c, artifact_location);
    CHECK(check_tags(c, __func__, tags, n_tags, DBX_MLFLOW_MAX_TAG_VALUE_LEN));
    json_t *body = obj_str(2, "name", name, "artifact_location", dbx__empty(artifact_location) ? NULL : artifact_location);
    if (body && n_tags) {
        json_t *t = tags_json(tags, n_tags);
        if (!t || json_object_set_new(body, "tags", t) != 0) {
            dbx__json_decref_deep(body);
            body = NULL;
        }
    }
    dbx__jdoc doc;
    dbx_status st = post(c, "experiments/create", body, 0, &doc);
    if (st != DBX_OK)
        return st;
    const char *id = dbx__jv_get_str(dbx__jdoc_root(&doc), "experiment_id", NULL);
    if (dbx__empty(id))
        st = dbx__fail_answer(c, DBX_EBADRESPONSE, "experiments/create: the answer has no experiment_id");
    else if (!(*experiment_id = dbx__strdup(id)))
        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    dbx__jdoc_dispose(&doc);
    return st;
}

static dbx_status experiment_get(dbx_mlflow_experiment **out, dbx_client *c, const char *op, const char *k,
                                 const char *v)
{
    dbx__jdoc doc;
    dbx_status st = get1(c, op, k, v, &doc);
    if (st != DBX_OK)
        return st;
    *out = result_of(c, &doc, sizeof **out, "experiment", op);
    return *out ? DBX_OK : (dbx_status)dbx_client_last_error(c)->status;
}

DBX_API dbx_status dbx_mlflow_experiment_get(dbx_mlflow_experiment **out, dbx_client *c, const char *experiment_id)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    EXP_ID(c, experiment_id);
    return experiment_get(out, c, "experiments/get", "experiment_id", experiment_id);
}

DBX_API dbx_status dbx_mlflow_experiment_get_by_name(dbx_mlflow_experiment **out, dbx_client *c, const char *name)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    DBX__REQUIRE_STR(c, name);
    return experiment_get(out, c, "experiments/get-by-name", "experiment_name", name);
}

DBX_API dbx_status dbx_mlflow_experiment_update(dbx_client *c, const char *experiment_id, const char *new_name)
{
    DBX__ENTER(c);
    EXP_ID(c, experiment_id);
    DBX__REQUIRE_STR(c, new_name);
    if (strlen(new_name) > DBX_MLFLOW_MAX_EXPERIMENT_NAME_LEN)
        return dbx__fail(c, DBX_EINVAL, "%s: new_name is longer than %d bytes", __func__,
                         DBX_MLFLOW_MAX_EXPERIMENT_NAME_LEN);
    return post(c, "experiments/update", obj_str(2, "experiment_id", experiment_id, "new_name", new_name), 0, NULL);
}

DBX_API dbx_status dbx_mlflow_experiment_delete(dbx_client *c, const char *experiment_id)
{
    DBX__ENTER(c);
    EXP_ID(c, experiment_id);
    return post(c, "experiments/delete", obj_str(1, "experiment_id", experiment_id), DBX__CALL_IDEMPOTENT, NULL);
}

DBX_API dbx_status dbx_mlflow_experiment_restore(dbx_client *c, const char *experiment_id)
{
    DBX__ENTER(c);
    EXP_ID(c, experiment_id);
    return post(c, "experiments/restore", obj_str(1, "experiment_id", experiment_id), DBX__CALL_IDEMPOTENT, NULL);
}

DBX_API dbx_status dbx_mlflow_experiment_set_tag(dbx_client *c, const char *experiment_id, const char *key,
                                                 const char *value)
{
    DBX__ENTER(c);
    EXP_ID(c, experiment_id);
    CHECK(check_name(c, __func__, "key", key));
    CHECK(check_value(c, __func__, "value", value, DBX_MLFLOW_MAX_TAG_VALUE_LEN));
    return post(c, "experiments/set-experiment-tag",
                obj_str(3, "experiment_id", experiment_id, "key", key, "value", value), DBX__CALL_IDEMPOTENT, NULL);
}

DBX_API dbx_status dbx_mlflow_experiment_delete_tag(dbx_client *c, const char *experiment_id, const char *key)
{
    DBX__ENTER(c);
    EXP_ID(c, experiment_id);
    CHECK(check_name(c, __func__, "key", key));
    return post(c, "experiments/delete-experiment-tag", obj_str(2, "experiment_id", experiment_id, "key", key),
                DBX__CALL_IDEMPOTENT, NULL);
}

/* search options -> the body's filter, order_by, view type; DBX_OK or DBX_EINVAL/ENOMEM */
static dbx_status search_body(dbx_client *c, const char *fn, const dbx_mlflow_search_options *o, const char *view_key,
                              json_t *body)
{
    if (!body)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    if (!o)
        return DBX_OK;
    if (!dbx__empty(o->filter) && dbx__json_set_str(body, "filter", o->filter) != 0)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    if (o->order_by && o->order_by[0]) {
        json_t *arr = json_array();
        if (!arr || json_object_set_new(body, "order_by", arr) != 0)
            return dbx__fail(c, DBX_ENOMEM, "out of memory");
        for (size_t i = 0; o->order_by[i]; i++)
            if (json_array_append_new(arr, json_string(o->order_by[i])) != 0)
                return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    (void)fn;
    if (o->view_type && dbx__json_set_str(body, view_key, view_names[o->view_type]) != 0)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    return DBX_OK;
}

static dbx_status search_check(dbx_client *c, const char *fn, const dbx_mlflow_search_options *o)
{
    if (!o)
        return DBX_OK;
    if (o->version == 0 || o->version > DBX_MLFLOW_SEARCH_OPTIONS_VERSION)
        return dbx__fail(c, DBX_EINVAL, "%s: dbx_mlflow_search_options version %u is not supported", fn, o->version);
    if (o->page_size < 0 || o->max_items < 0)
        return dbx__fail(c, DBX_EINVAL, "%s: opts page_size and max_items must not be negative", fn);
    if ((int)o->view_type < 0 || o->view_type > DBX_MLFLOW_VIEW_ALL)
        return dbx__fail(c, DBX_EINVAL, "%s: opts view_type is out of range", fn);
    if (o->filter && !dbx__utf8_valid(o->filter))
        return dbx__fail(c, DBX_EINVAL, "%s: opts filter is not valid UTF-8", fn);
    for (size_t i = 0; o->order_by && o->order_by[i]; i++)
        if (!dbx__utf8_valid(o->order_by[i]) || !*o->order_by[i])
            return dbx__fail(c, DBX_EINVAL, "%s: opts order_by[%zu] is empty or not valid UTF-8", fn, i);
    return DBX_OK;
}

struct dbx_mlflow_experiments_iter {
    dbx__iter base;
};

static dbx__iter *mlflow_iter(dbx_client *c, dbx__page_style style, const char *method, const char *path,
                              json_t *body, const char *items, const char *size_param, long page_size, long max_items)
{
    dbx__iter *it = dbx__iter_new(c, style, method, path, body, items, size_param, page_size, max_items);
    if (it)
        it->pg.retry = &c->mlflow_retry;
    return it;
}

DBX_API dbx_status dbx_mlflow_experiments_search(dbx_mlflow_experiments_iter **out, dbx_client *c,
                                                 const dbx_mlflow_search_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    CHECK(search_check(c, __func__, o));
    json_t *body = json_object();
    dbx_status st = search_body(c, __func__, o, "view_type", body);
    if (st != DBX_OK) {
        dbx__json_decref_deep(body);
        return st;
    }
    *out = (dbx_mlflow_experiments_iter *)mlflow_iter(c, DBX__PAGE_TOKEN_BODY, "POST", BASE "/experiments/search",
                                                      body, "experiments", "max_results", o ? o->page_size : 0,
                                                      o ? o->max_items : 0);
    return *out ? DBX_OK : DBX_ENOMEM;
}

DBX_API dbx_status dbx_mlflow_experiments_iter_next(const dbx_mlflow_experiment **item, dbx_mlflow_experiments_iter *it)
{
    return dbx__iter_next(it ? &it->base : NULL, (const dbx__view **)item);
}

DBX_API void dbx_mlflow_experiments_iter_free(dbx_mlflow_experiments_iter *it)
{
    dbx__iter_free(it ? &it->base : NULL);
}

/* ---- runs -------------------------------------------------------------------------------- */

struct dbx_mlflow_run {
    dbx__view v; /* the Run object; text[1] caches inputs */
};

DBX_API void dbx_mlflow_run_free(dbx_mlflow_run *r) { dbx__view_free(r); }

static dbx__jv run_part(const dbx_mlflow_run *r, const char *part)
{
    return r ? dbx__jv_get(r->v.v, part) : DBX__JV_ABSENT;
}

#define INFO_STR(fn, field)                                                                                      \
    DBX_API const char *fn(const dbx_mlflow_run *r) { return dbx__jv_get_str(run_part(r, "info"), field, ""); }
INFO_STR(dbx_mlflow_run_name, "run_name")
INFO_STR(dbx_mlflow_run_experiment_id, "experiment_id")
INFO_STR(dbx_mlflow_run_user_id, "user_id")
INFO_STR(dbx_mlflow_run_status_str, "status")
INFO_STR(dbx_mlflow_run_artifact_uri, "artifact_uri")
INFO_STR(dbx_mlflow_run_lifecycle_stage, "lifecycle_stage")

DBX_API const char *dbx_mlflow_run_id(const dbx_mlflow_run *r)
{
    dbx__jv info = run_part(r, "info");
    const char *id = dbx__jv_get_str(info, "run_id", NULL);
    return id ? id : dbx__jv_get_str(info, "run_uuid", ""); /* the deprecated spelling */
}

DBX_API dbx_mlflow_run_status_t dbx_mlflow_run_status(const dbx_mlflow_run *r)
{
    return status_parse(dbx_mlflow_run_status_str(r));
}

DBX_API int64_t dbx_mlflow_run_start_time(const dbx_mlflow_run *r)
{
    return dbx__jv_get_int(run_part(r, "info"), "start_time", 0);
}

DBX_API int64_t dbx_mlflow_run_end_time(const dbx_mlflow_run *r)
{
    return dbx__jv_get_int(run_part(r, "info"), "end_time", 0);
}

static dbx__jv run_data(const dbx_mlflow_run *r, const char *list)
{
    return dbx__jv_get(run_part(r, "data"), list);
}

DBX_API size_t dbx_mlflow_run_metric_count(const dbx_mlflow_run *r) { return dbx__jv_count(run_data(r, "metrics")); }

DBX_API const char *dbx_mlflow_run_metric_key(const dbx_mlflow_run *r, size_t i)
{
    return kv_key(run_data(r, "metrics"), i);
}

DBX_API double dbx_mlflow_run_metric_value(const dbx_mlflow_run *r, size_t i)
{
    dbx__jv m = nth(run_data(r, "metrics"), i);
    return dbx__jv_present(m) ? metric_value(m) : 0.0;
}

DBX_API int64_t dbx_mlflow_run_metric_timestamp(const dbx_mlflow_run *r, size_t i)
{
    return dbx__jv_get_int(nth(run_data(r, "metrics"), i), "timestamp", 0);
}

DBX_API int64_t dbx_mlflow_run_metric_step(const dbx_mlflow_run *r, size_t i)
{
    return dbx__jv_get_int(nth(run_data(r, "metrics"), i), "step", 0);
}

DBX_API int dbx_mlflow_run_metric(const dbx_mlflow_run *r, const char *key, double *value)
{
    if (!key)
        return 0;
    dbx__jit it;
    dbx__jv m;
    int found = 0;
    dbx__jv_iter(run_data(r, "metrics"), &it);
    while (dbx__jit_next(&it, &m, NULL)) {
        const char *k = dbx__jv_get_str(m, "key", "");
        if (k && strcmp(k, key) == 0) {
            found = 1;
            if (value)
                *value = metric_value(m);
        }
    }
    return found;
}

DBX_API size_t dbx_mlflow_run_param_count(const dbx_mlflow_run *r) { return dbx__jv_count(run_data(r, "params")); }
DBX_API const char *dbx_mlflow_run_param_key(const dbx_mlflow_run *r, size_t i) { return kv_key(run_data(r, "params"), i); }
DBX_API const char *dbx_mlflow_run_param_value(const dbx_mlflow_run *r, size_t i)
{
    return kv_value(run_data(r, "params"), i);
}
DBX_API const char *dbx_mlflow_run_param(const dbx_mlflow_run *r, const char *key)
{
    return kv_find(run_data(r, "params"), key);
}
DBX_API size_t dbx_mlflow_run_tag_count(const dbx_mlflow_run *r) { return dbx__jv_count(run_data(r, "tags")); }
DBX_API const char *dbx_mlflow_run_tag_key(const dbx_mlflow_run *r, size_t i) { return kv_key(run_data(r, "tags"), i); }
DBX_API const char *dbx_mlflow_run_tag_value(const dbx_mlflow_run *r, size_t i) { return kv_value(run_data(r, "tags"), i); }
DBX_API const char *dbx_mlflow_run_tag(const dbx_mlflow_run *r, const char *key) { return kv_find(run_data(r, "tags"), key); }

static dbx__jv run_dataset(const dbx_mlflow_run *r, size_t i)
{
    return dbx__jv_get(nth(dbx__jv_get(run_part(r, "inputs"), "dataset_inputs"), i), "dataset");
}

DBX_API size_t dbx_mlflow_run_dataset_count(const dbx_mlflow_run *r)
{
    return dbx__jv_count(dbx__jv_get(run_part(r, "inputs"), "dataset_inputs"));
}

DBX_API const char *dbx_mlflow_run_dataset_name(const dbx_mlflow_run *r, size_t i)
{
    dbx__jv d = run_dataset(r, i);
    return i < dbx_mlflow_run_dataset_count(r) ? dbx__jv_get_str(d, "name", "") : NULL;
}

DBX_API const char *dbx_mlflow_run_dataset_digest(const dbx_mlflow_run *r, size_t i)
{
    dbx__jv d = run_dataset(r, i);
    return i < dbx_mlflow_run_dataset_count(r) ? dbx__jv_get_str(d, "digest", "") : NULL;
}

DBX_API const char *dbx_mlflow_run_inputs_json(const dbx_mlflow_run *r)
{
    if (!r)
        return NULL;
    dbx__jv in = run_part(r, "inputs");
    return dbx__jv_is_object(in) ? dbx__view_text(&r->v, 1, in) : "{}";
}

DBX_API const char *dbx_mlflow_run_json(const dbx_mlflow_run *r) { return r ? dbx__view_text(&r->v, 0, r->v.v) : NULL; }

DBX_API dbx_status dbx_mlflow_run_create(dbx_mlflow_run **out, dbx_client *c, const char *experiment_id,
                                         const dbx_mlflow_run_create_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    EXP_ID(c, experiment_id);
    if (o && (o->version == 0 || o->version > DBX_MLFLOW_RUN_CREATE_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "%s: dbx_mlflow_run_create_options version %u is not supported", __func__,
                         o->version);
    if (o && o->start_time < 0)
        return dbx__fail(c, DBX_EINVAL, "%s: opts start_time is negative", __func__);
    if (o && o->run_name && !dbx__utf8_valid(o->run_name))
        return dbx__fail(c, DBX_EINVAL, "%s: opts run_name is not valid UTF-8", __func__);
    if (o)
        CHECK(check_tags(c, __func__, o->tags, o->n_tags, DBX_MLFLOW_MAX_TAG_VALUE_LEN));
    json_t *body = obj_str(2, "experiment_id", experiment_id, "run_name", o && !dbx__empty(o->run_name) ? o->run_name : NULL);
    if (body && o && o->start_time && dbx__json_set_int(body, "start_time", o->start_time) != 0) {
        dbx__json_decref_deep(body);
        body = NULL;
    }
    if (body && o && o->n_tags) {
        json_t *t = tags_json(o->tags, o->n_tags);
        if (!t || json_object_set_new(body, "tags", t) != 0) {
            dbx__json_decref_deep(body);
            body = NULL;
        }
    }
    dbx__jdoc doc;
    dbx_status st = post(c, "runs/create", body, 0, &doc);
    if (st != DBX_OK)
        return st;
    *out = result_of(c, &doc, sizeof **out, "run", "runs/create");
    return *out ? DBX_OK : (dbx_status)dbx_client_last_error(c)->status;
}

DBX_API dbx_status dbx_mlflow_run_get(dbx_mlflow_run **out, dbx_client *c, const char *run_id)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    RUN_ID(c, run_id);
    dbx__jdoc doc;
    dbx_status st = get1(c, "runs/get", "run_id", run_id, &doc);
    if (st != DBX_OK)
        return st;
    *out = result_of(c, &doc, sizeof **out, "run", "runs/get");
    return *out ? DBX_OK : (dbx_status)dbx_client_last_error(c)->status;
}

DBX_API dbx_status dbx_mlflow_run_update(dbx_client *c, const char *run_id, dbx_mlflow_run_status_t status,
                                         int64_t end_time, const char *run_name)
{
    DBX__ENTER(c);
    RUN_ID(c, run_id);
    if ((int)status < 0 || status > DBX_MLFLOW_RUN_STATUS_KILLED)
        return dbx__fail(c, DBX_EINVAL, "%s: status is out of range", __func__);
    if (end_time < 0)
        return dbx__fail(c, DBX_EINVAL, "%s: end_time is negative", __func__);
    DBX__CHECK_STR(c, run_name);
    json_t *body = obj_str(3, "run_id", run_id, "status", status ? status_names[status] : NULL, "run_name",
                           dbx__empty(run_name) ? NULL : run_name);
    if (body && end_time && dbx__json_set_int(body, "end_time", end_time) != 0) {
        dbx__json_decref_deep(body);
        body = NULL;
    }
    return post(c, "runs/update", body, DBX__CALL_IDEMPOTENT, NULL);
}

DBX_API dbx_status dbx_mlflow_run_delete(dbx_client *c, const char *run_id)
{
    DBX__ENTER(c);
    RUN_ID(c, run_id);
    return post(c, "runs/delete", obj_str(1, "run_id", run_id), DBX__CALL_IDEMPOTENT, NULL);
}

DBX_API dbx_status dbx_mlflow_run_restore(dbx_client *c, const char *run_id)
{
    DBX__ENTER(c);
    RUN_ID(c, run_id);
    return post(c, "runs/restore", obj_str(1, "run_id", run_id), DBX__CALL_IDEMPOTENT, NULL);
}

DBX_API dbx_status dbx_mlflow_run_set_tag(dbx_client *c, const char *run_id, const char *key, const char *value)
{
    DBX__ENTER(c);
    RUN_ID(c, run_id);
    CHECK(check_name(c, __func__, "key", key));
    CHECK(check_value(c, __func__, "value", value, DBX_MLFLOW_MAX_TAG_VALUE_LEN));
    return post(c, "runs/set-tag", obj_str(3, "run_id", run_id, "key", key, "value", value), DBX__CALL_IDEMPOTENT,
                NULL);
}

DBX_API dbx_status dbx_mlflow_run_delete_tag(dbx_client *c, const char *run_id, const char *key)
{
    DBX__ENTER(c);
    RUN_ID(c, run_id);
    CHECK(check_name(c, __func__, "key", key));
    return post(c, "runs/delete-tag", obj_str(2, "run_id", run_id, "key", key), DBX__CALL_IDEMPOTENT, NULL);
}

DBX_API dbx_status dbx_mlflow_run_log_param(dbx_client *c, const char *run_id, const char *key, const char *value)
{
    DBX__ENTER(c);
    RUN_ID(c, run_id);
    CHECK(check_name(c, __func__, "key", key));
    CHECK(check_value(c, __func__, "value", value, DBX_MLFLOW_MAX_PARAM_VALUE_LEN));
    /* write-once with the same value: a resend is harmless */
    return post(c, "runs/log-parameter", obj_str(3, "run_id", run_id, "key", key, "value", value),
                DBX__CALL_IDEMPOTENT, NULL);
}

static dbx_status check_metric(dbx_client *c, const char *fn, const char *what, const char *key, int64_t ts)
{
    CHECK(check_name(c, fn, what, key));
    if (ts < 0)
        return dbx__fail(c, DBX_EINVAL, "%s: the timestamp of %s is negative", fn, what);
    return DBX_OK;
}

DBX_API dbx_status dbx_mlflow_run_log_metric(dbx_client *c, const char *run_id, const char *key, double value,
                                             int64_t timestamp, int64_t step)
{
    DBX__ENTER(c);
    RUN_ID(c, run_id);
    CHECK(check_metric(c, __func__, "key", key, timestamp));
    dbx__buf b = DBX__BUF_INIT;
    dbx__buf_puts(&b, "{\"run_id\":");
    put_str(&b, run_id);
    dbx__buf_puts(&b, ",\"key\":");
    put_str(&b, key);
    dbx__buf_puts(&b, ",\"value\":");
    put_double(&b, value);
    dbx__buf_printf(&b, ",\"timestamp\":%lld,\"step\":%lld}", (long long)timestamp, (long long)step);
    if (b.oom) {
        dbx__buf_dispose(&b);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    /* metrics append: never resent after a failure mid-flight (it could log twice) */
    dbx_status st = dbx__mlflow_call_text(c, "POST", BASE "/runs/log-metric", b.ptr, b.len, 0, NULL);
    dbx__buf_dispose(&b);
    return st;
}

/* One log-batch request from pieces already serialised. */
typedef struct batch_text {
    dbx__buf b;
    int open[3]; /* metrics, params, tags arrays written so far */
} batch_text;

static const char *const batch_arrays[3] = {"metrics", "params", "tags"};

static dbx_status send_batch(dbx_client *c, const char *run_id, const char *const *items, const size_t *lens,
                             const int *kinds, size_t n)
{
    dbx__buf b = DBX__BUF_INIT;
    dbx__buf_puts(&b, "{\"run_id\":");
    put_str(&b, run_id);
    for (int k = 0; k < 3; k++) {
        int first = 1;
        for (size_t i = 0; i < n; i++) {
            if (kinds[i] != k)
                continue;
            if (first)
                dbx__buf_printf(&b, ",\"%s\":[", batch_arrays[k]);
            else
                dbx__buf_putc(&b, ',');
            dbx__buf_put(&b, items[i], lens[i]);
            first = 0;
        }
        if (!first)
            dbx__buf_putc(&b, ']');
    }
    dbx__buf_putc(&b, '}');
    if (b.oom) {
        dbx__buf_dispose(&b);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    if (b.len > DBX_MLFLOW_BATCH_MAX_BYTES) {
        size_t len = b.len;
        dbx__buf_dispose(&b);
        return dbx__fail(c, DBX_EINVAL, "runs/log-batch: the request would be %zu bytes; at most %d", len,
                         DBX_MLFLOW_BATCH_MAX_BYTES);
    }
    /* metrics append, so a batch is not resent after a failure mid-flight;
     * 429 and 503 (not processed) are retried */
    dbx_status st = dbx__mlflow_call_text(c, "POST", BASE "/runs/log-batch", b.ptr, b.len, 0, NULL);
    dbx__buf_dispose(&b);
    return st;
}

DBX_API dbx_status dbx_mlflow_run_log_batch(dbx_client *c, const char *run_id, const dbx_mlflow_metric_point *metrics,
                                            size_t n_metrics, const dbx_mlflow_tag *params, size_t n_params,
                                            const dbx_mlflow_tag *tags, size_t n_tags)
{
    DBX__ENTER(c);
    RUN_ID(c, run_id);
    if ((n_metrics && !metrics) || (n_params && !params) || (n_tags && !tags))
        return dbx__fail(c, DBX_EINVAL, "%s: an array is NULL with a non-zero count", __func__);
    if (n_metrics > DBX_MLFLOW_BATCH_MAX_METRICS)
        return dbx__fail(c, DBX_EINVAL, "%s: n_metrics is %zu; at most %d per batch", __func__, n_metrics,
                         DBX_MLFLOW_BATCH_MAX_METRICS);
    if (n_params > DBX_MLFLOW_BATCH_MAX_PARAMS)
        return dbx__fail(c, DBX_EINVAL, "%s: n_params is %zu; at most %d per batch", __func__, n_params,
                         DBX_MLFLOW_BATCH_MAX_PARAMS);
    if (n_tags > DBX_MLFLOW_BATCH_MAX_TAGS)
        return dbx__fail(c, DBX_EINVAL, "%s: n_tags is %zu; at most %d per batch", __func__, n_tags,
                         DBX_MLFLOW_BATCH_MAX_TAGS);
    size_t n = n_metrics + n_params + n_tags;
    if (n > DBX_MLFLOW_BATCH_MAX_ENTITIES)
        return dbx__fail(c, DBX_EINVAL, "%s: %zu metrics, params and tags; at most %d per batch", __func__, n,
                         DBX_MLFLOW_BATCH_MAX_ENTITIES);
    char what[48];
    for (size_t i = 0; i < n_metrics; i++) {
        snprintf(what, sizeof what, "metrics[%zu].key", i);
        CHECK(check_metric(c, __func__, what, metrics[i].key, metrics[i].timestamp));
    }
    for (size_t i = 0; i < n_params; i++) {
        snprintf(what, sizeof what, "params[%zu].key", i);
        CHECK(check_name(c, __func__, what, params[i].key));
        snprintf(what, sizeof what, "params[%zu].value", i);
        CHECK(check_value(c, __func__, what, params[i].value, DBX_MLFLOW_MAX_PARAM_VALUE_LEN));
        for (size_t j = 0; j < i; j++)
            if (strcmp(params[j].key, params[i].key) == 0)
                return dbx__fail(c, DBX_EINVAL, "%s: params[%zu].key repeats params[%zu].key (a batch may "
                                                "log a param once)", __func__, i, j);
    }
    CHECK(check_tags(c, __func__, tags, n_tags, DBX_MLFLOW_MAX_TAG_VALUE_LEN));
    if (n == 0)
        return DBX_OK; /* nothing to log: no request */
    char **items = dbx__calloc(n, sizeof *items);
    size_t *lens = dbx__calloc(n, sizeof *lens);
    int *kinds = dbx__calloc(n, sizeof *kinds);
    dbx_status st = DBX_OK;
    if (!items || !lens || !kinds)
        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    for (size_t i = 0; st == DBX_OK && i < n; i++) {
        dbx__buf b = DBX__BUF_INIT;
        if (i < n_metrics) {
            kinds[i] = 0;
            put_metric(&b, metrics[i].key, metrics[i].value, metrics[i].timestamp, metrics[i].step);
        } else if (i < n_metrics + n_params) {
            kinds[i] = 1;
            put_kv(&b, params[i - n_metrics].key, params[i - n_metrics].value);
        } else {
            kinds[i] = 2;
            put_kv(&b, tags[i - n_metrics - n_params].key, tags[i - n_metrics - n_params].value);
        }
        if (b.oom) {
            dbx__buf_dispose(&b);
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
            break;
        }
        lens[i] = b.len;
        items[i] = dbx__buf_detach(&b);
        if (!items[i])
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    if (st == DBX_OK)
        st = send_batch(c, run_id, (const char *const *)items, lens, kinds, n);
    for (size_t i = 0; items && i < n; i++)
        dbx__free(items[i]);
    dbx__free(items);
    dbx__free(lens);
    dbx__free(kinds);
    return st;
}

DBX_API dbx_status dbx_mlflow_run_log_inputs(dbx_client *c, const char *run_id, const dbx_mlflow_dataset_input *d,
                                             size_t n)
{
    DBX__ENTER(c);
    RUN_ID(c, run_id);
    if (n == 0 || !d)
        return dbx__fail(c, DBX_EINVAL, "%s: datasets is required (at least one)", __func__);
    if (n > 1000)
        return dbx__fail(c, DBX_EINVAL, "%s: n_datasets is %zu; at most 1000", __func__, n);
    char what[64];
    for (size_t i = 0; i < n; i++) {
        const char *req[4] = {d[i].name, d[i].digest, d[i].source_type, d[i].source};
        const char *names[4] = {"name", "digest", "source_type", "source"};
        const size_t max[4] = {500, 36, 0, 0};
        for (int k = 0; k < 4; k++) {
            if (dbx__empty(req[k]) || !dbx__utf8_valid(req[k]))
                return dbx__fail(c, DBX_EINVAL, "%s: datasets[%zu].%s is required (valid UTF-8)", __func__, i, names[k]);
            if (max[k] && strlen(req[k]) > max[k])
                return dbx__fail(c, DBX_EINVAL, "%s: datasets[%zu].%s is longer than %zu bytes", __func__, i,
                                 names[k], max[k]);
        }
        if ((d[i].schema && !dbx__utf8_valid(d[i].schema)) || (d[i].profile && !dbx__utf8_valid(d[i].profile)))
            return dbx__fail(c, DBX_EINVAL, "%s: datasets[%zu].schema or profile is not valid UTF-8", __func__, i);
        if (d[i].n_tags && !d[i].tags)
            return dbx__fail(c, DBX_EINVAL, "%s: datasets[%zu].tags is NULL with n_tags set", __func__, i);
        for (size_t t = 0; t < d[i].n_tags; t++) {
            snprintf(what, sizeof what, "datasets[%zu].tags[%zu]", i, t);
            const dbx_mlflow_tag *tg = &d[i].tags[t];
            if (dbx__empty(tg->key) || !dbx__utf8_valid(tg->key) || strlen(tg->key) > 255 || !tg->value ||
                !dbx__utf8_valid(tg->value) || strlen(tg->value) > 500)
                return dbx__fail(c, DBX_EINVAL, "%s: %s needs a key of 1..255 and a value of at most 500 bytes",
                                 __func__, what);
        }
    }
    json_t *body = obj_str(1, "run_id", run_id);
    json_t *arr = json_array();
    if (!body || !arr || json_object_set_new(body, "datasets", arr) != 0)
        goto oom;
    for (size_t i = 0; i < n; i++) {
        json_t *ds = obj_str(6, "name", d[i].name, "digest", d[i].digest, "source_type", d[i].source_type, "source",
                             d[i].source, "schema", d[i].schema, "profile", d[i].profile);
        json_t *in = json_object();
        if (!in || json_array_append_new(arr, in) != 0 || !ds || json_object_set_new(in, "dataset", ds) != 0) {
            if (!in)
                dbx__json_decref_deep(ds);
            goto oom;
        }
        if (d[i].n_tags) {
            json_t *t = tags_json(d[i].tags, d[i].n_tags);
            if (!t || json_object_set_new(in, "tags", t) != 0)
                goto oom;
        }
    }
    return post(c, "runs/log-inputs", body, DBX__CALL_IDEMPOTENT, NULL);
oom:
    dbx__json_decref_deep(body);
    return dbx__fail(c, DBX_ENOMEM, "out of memory");
}

struct dbx_mlflow_runs_iter {
    dbx__iter base;
};

DBX_API dbx_status dbx_mlflow_runs_search(dbx_mlflow_runs_iter **out, dbx_client *c, const char *const *experiment_ids,
                                          const dbx_mlflow_search_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    if (!experiment_ids || !experiment_ids[0])
        return dbx__fail(c, DBX_EINVAL, "%s: experiment_ids is required (at least one id)", __func__);
    char what[48];
    for (size_t i = 0; experiment_ids[i]; i++) {
        snprintf(what, sizeof what, "experiment_ids[%zu]", i);
        CHECK(check_id(c, __func__, what, experiment_ids[i], 64));
    }
    CHECK(search_check(c, __func__, o));
    json_t *body = json_object();
    json_t *ids = json_array();
    dbx_status st = DBX_OK;
    if (!body || !ids || json_object_set_new(body, "experiment_ids", ids) != 0) {
        if (body)
            ids = NULL;
        dbx__json_decref_deep(ids);
        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    for (size_t i = 0; st == DBX_OK && experiment_ids[i]; i++)
        if (json_array_append_new(ids, json_string(experiment_ids[i])) != 0)
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    if (st == DBX_OK)
        st = search_body(c, __func__, o, "run_view_type", body);
    if (st != DBX_OK) {
        dbx__json_decref_deep(body);
        return st;
    }
    *out = (dbx_mlflow_runs_iter *)mlflow_iter(c, DBX__PAGE_TOKEN_BODY, "POST", BASE "/runs/search", body, "runs",
                                               "max_results", o ? o->page_size : 0, o ? o->max_items : 0);
    return *out ? DBX_OK : DBX_ENOMEM;
}

DBX_API dbx_status dbx_mlflow_runs_iter_next(const dbx_mlflow_run **item, dbx_mlflow_runs_iter *it)
{
    return dbx__iter_next(it ? &it->base : NULL, (const dbx__view **)item);
}

DBX_API void dbx_mlflow_runs_iter_free(dbx_mlflow_runs_iter *it) { dbx__iter_free(it ? &it->base : NULL); }

/* ---- metric history --------------------------------------------------------------------- */

struct dbx_mlflow_metric {
    dbx__view v;
};

DBX_API const char *dbx_mlflow_metric_key(const dbx_mlflow_metric *m) { return m ? dbx__jv_get_str(m->v.v, "key", "") : ""; }
DBX_API double dbx_mlflow_metric_value(const dbx_mlflow_metric *m) { return m ? metric_value(m->v.v) : 0.0; }
DBX_API int64_t dbx_mlflow_metric_timestamp(const dbx_mlflow_metric *m)
{
    return m ? dbx__jv_get_int(m->v.v, "timestamp", 0) : 0;
}
DBX_API int64_t dbx_mlflow_metric_step(const dbx_mlflow_metric *m) { return m ? dbx__jv_get_int(m->v.v, "step", 0) : 0; }
DBX_API const char *dbx_mlflow_metric_json(const dbx_mlflow_metric *m) { return m ? dbx__view_text(&m->v, 0, m->v.v) : NULL; }

struct dbx_mlflow_metrics_iter {
    dbx__iter base;
};

DBX_API dbx_status dbx_mlflow_metric_history(dbx_mlflow_metrics_iter **out, dbx_client *c, const char *run_id,
                                             const char *metric_key, int page_size, long max_items)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    RUN_ID(c, run_id);
    CHECK(check_name(c, __func__, "metric_key", metric_key));
    if (page_size < 0 || max_items < 0)
        return dbx__fail(c, DBX_EINVAL, "%s: page_size and max_items must not be negative", __func__);
    char small[512];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    dbx__buf_puts(&path, BASE "/metrics/get-history");
    dbx__query_add(&path, "run_id", run_id);
    dbx__query_add(&path, "metric_key", metric_key);
    if (path.oom) {
        dbx__buf_dispose(&path);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    *out = (dbx_mlflow_metrics_iter *)mlflow_iter(c, DBX__PAGE_TOKEN_QUERY, "GET", path.ptr, NULL, "metrics",
                                                  "max_results", page_size, max_items);
    dbx__buf_dispose(&path);
    return *out ? DBX_OK : DBX_ENOMEM;
}

DBX_API dbx_status dbx_mlflow_metrics_iter_next(const dbx_mlflow_metric **item, dbx_mlflow_metrics_iter *it)
{
    return dbx__iter_next(it ? &it->base : NULL, (const dbx__view **)item);
}

DBX_API void dbx_mlflow_metrics_iter_free(dbx_mlflow_metrics_iter *it) { dbx__iter_free(it ? &it->base : NULL); }

/* ---- the logging buffer ------------------------------------------------------------------ */

enum { K_METRIC = 0, K_PARAM = 1, K_TAG = 2 };

typedef struct lg_item {
    char *json;   /* the item as it is sent ({"key":...}) */
    size_t len;
    int kind;
    char *key, *value; /* params only: for the duplicate check */
} lg_item;

struct dbx_mlflow_logger {
    dbx_client *c;     /* referenced */
    char *run_id;
    int auto_flush;
    lg_item *items;    /* items[head .. n) are pending */
    size_t head, n, cap;
    /* the pending items as one request: counts and item bytes per kind */
    size_t count[3], bytes[3];
    size_t base_len;   /* {"run_id":"..."} */
    dbx_status fail_st;
    size_t fail_first, fail_count;
    uint64_t requests;
};

static size_t array_overhead(int kind) { return strlen(batch_arrays[kind]) + 6; /* ,"name":[] */ }

/* Size of a request holding count[k] items of bytes[k] bytes each kind. */
static size_t request_bytes(size_t base, const size_t count[3], const size_t bytes[3])
{
    size_t n = base;
    for (int k = 0; k < 3; k++)
        if (count[k])
            n += array_overhead(k) + bytes[k] + (count[k] - 1);
    return n;
}

static int fits(const dbx_mlflow_logger *lg, const size_t count[3], const size_t bytes[3], const lg_item *it)
{
    size_t c2[3] = {count[0], count[1], count[2]}, b2[3] = {bytes[0], bytes[1], bytes[2]};
    c2[it->kind]++;
    b2[it->kind] += it->len;
    if (c2[K_METRIC] > DBX_MLFLOW_BATCH_MAX_METRICS || c2[K_PARAM] > DBX_MLFLOW_BATCH_MAX_PARAMS ||
        c2[K_TAG] > DBX_MLFLOW_BATCH_MAX_TAGS || c2[0] + c2[1] + c2[2] > DBX_MLFLOW_BATCH_MAX_ENTITIES)
        return 0;
    return request_bytes(lg->base_len, c2, b2) <= DBX_MLFLOW_BATCH_MAX_BYTES;
}

static int at_limit(const size_t count[3])
{
    return count[K_METRIC] >= DBX_MLFLOW_BATCH_MAX_METRICS || count[K_PARAM] >= DBX_MLFLOW_BATCH_MAX_PARAMS ||
           count[K_TAG] >= DBX_MLFLOW_BATCH_MAX_TAGS ||
           count[0] + count[1] + count[2] >= DBX_MLFLOW_BATCH_MAX_ENTITIES;
}

static void item_free(lg_item *it)
{
    dbx__free(it->json);
    dbx__free(it->key);
    dbx__free(it->value);
}

DBX_API dbx_status dbx_mlflow_logger_new(dbx_mlflow_logger **out, dbx_client *c, const char *run_id,
                                         const dbx_mlflow_logger_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    RUN_ID(c, run_id);
    if (o && (o->version == 0 || o->version > DBX_MLFLOW_LOGGER_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "%s: dbx_mlflow_logger_options version %u is not supported", __func__,
                         o->version);
    dbx_mlflow_logger *lg = dbx__calloc(1, sizeof *lg);
    if (!lg || !(lg->run_id = dbx__strdup(run_id))) {
        dbx__free(lg);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx__buf b = DBX__BUF_INIT;
    dbx__buf_puts(&b, "{\"run_id\":");
    put_str(&b, run_id);
    dbx__buf_putc(&b, '}');
    lg->base_len = b.len;
    int oom = b.oom;
    dbx__buf_dispose(&b);
    if (oom) {
        dbx__free(lg->run_id);
        dbx__free(lg);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    lg->c = dbx__client_ref(c);
    lg->auto_flush = o ? o->auto_flush : 0;
    *out = lg;
    return DBX_OK;
}

DBX_API void dbx_mlflow_logger_free(dbx_mlflow_logger *lg)
{
    if (!lg)
        return;
    for (size_t i = lg->head; i < lg->n; i++)
        item_free(&lg->items[i]);
    dbx__free(lg->items);
    dbx__free(lg->run_id);
    dbx__client_unref(lg->c);
    dbx__free(lg);
}

DBX_API size_t dbx_mlflow_logger_pending(const dbx_mlflow_logger *lg) { return lg ? lg->n - lg->head : 0; }

DBX_API uint64_t dbx_mlflow_logger_requests(const dbx_mlflow_logger *lg) { return lg ? lg->requests : 0; }

DBX_API dbx_status dbx_mlflow_logger_last_failure(const dbx_mlflow_logger *lg, size_t *first, size_t *count)
{
    if (first)
        *first = lg ? lg->fail_first : 0;
    if (count)
        *count = lg ? lg->fail_count : 0;
    return lg ? lg->fail_st : DBX_EINVAL;
}

/* Send items[head .. n) in requests as large as the limits allow. */
static dbx_status logger_flush(dbx_mlflow_logger *lg)
{
    dbx_client *c = lg->c;
    size_t start0 = lg->head;
    lg->fail_st = DBX_OK;
    lg->fail_first = lg->fail_count = 0;
    while (lg->head < lg->n) {
        size_t count[3] = {0, 0, 0}, bytes[3] = {0, 0, 0};
        size_t end = lg->head;
        while (end < lg->n && fits(lg, count, bytes, &lg->items[end])) {
            count[lg->items[end].kind]++;
            bytes[lg->items[end].kind] += lg->items[end].len;
            end++;
        }
        if (end == lg->head) /* cannot happen: one item is far below every limit */
            return dbx__fail(c, DBX_ERROR, "mlflow logger: an item does not fit a request");
        size_t m = end - lg->head;
        const char **texts = dbx__malloc(m * sizeof *texts);
        size_t *lens = dbx__malloc(m * sizeof *lens);
        int *kinds = dbx__malloc(m * sizeof *kinds);
        dbx_status st;
        if (!texts || !lens || !kinds) {
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
        } else {
            for (size_t i = 0; i < m; i++) {
                texts[i] = lg->items[lg->head + i].json;
                lens[i] = lg->items[lg->head + i].len;
                kinds[i] = lg->items[lg->head + i].kind;
            }
            st = send_batch(c, lg->run_id, texts, lens, kinds, m);
        }
        dbx__free(texts);
        dbx__free(lens);
        dbx__free(kinds);
        if (st != DBX_OK) {
            lg->fail_st = st;
            lg->fail_first = lg->head - start0;
            lg->fail_count = m;
            break;
        }
        lg->requests++;
        for (size_t i = lg->head; i < end; i++) {
            lg_item *it = &lg->items[i];
            lg->count[it->kind]--;
            lg->bytes[it->kind] -= it->len;
            item_free(it);
        }
        lg->head = end;
    }
    /* compact: the pending items move to the front */
    if (lg->head > 0) {
        memmove(lg->items, lg->items + lg->head, (lg->n - lg->head) * sizeof *lg->items);
        lg->n -= lg->head;
        lg->head = 0;
    }
    return lg->fail_st;
}

DBX_API dbx_status dbx_mlflow_logger_flush(dbx_mlflow_logger *lg)
{
    if (!lg)
        return dbx__fail(NULL, DBX_EINVAL, "%s: logger is NULL", __func__);
    dbx__error_clear(lg->c);
    return logger_flush(lg);
}

/* Take `it` (its strings) into the buffer, flushing first / after when asked. */
static dbx_status logger_add(dbx_mlflow_logger *lg, lg_item *it)
{
    dbx_status st = DBX_OK;
    if (lg->auto_flush && lg->n > lg->head && !fits(lg, lg->count, lg->bytes, it))
        st = logger_flush(lg);
    if (lg->n == lg->cap) {
        size_t cap = lg->cap ? lg->cap * 2 : 64;
        lg_item *ni = dbx__realloc(lg->items, cap * sizeof *ni);
        if (!ni) {
            item_free(it);
            return dbx__fail(lg->c, DBX_ENOMEM, "out of memory");
        }
        lg->items = ni;
        lg->cap = cap;
    }
    lg->items[lg->n++] = *it;
    lg->count[it->kind]++;
    lg->bytes[it->kind] += it->len;
    if (st == DBX_OK && lg->auto_flush && at_limit(lg->count))
        st = logger_flush(lg);
    return st;
}

static dbx_status item_make(dbx_mlflow_logger *lg, lg_item *it, int kind, const char *key, const char *value,
                            double v, int64_t ts, int64_t step)
{
    dbx__buf b = DBX__BUF_INIT;
    memset(it, 0, sizeof *it);
    it->kind = kind;
    if (kind == K_METRIC)
        put_metric(&b, key, v, ts, step);
    else
        put_kv(&b, key, value);
    if (!b.oom) {
        it->len = b.len;
        it->json = dbx__buf_detach(&b);
    }
    dbx__buf_dispose(&b);
    if (it->json && kind == K_PARAM && (!(it->key = dbx__strdup(key)) || !(it->value = dbx__strdup(value)))) {
        item_free(it);
        it->json = NULL;
    }
    return it->json ? DBX_OK : dbx__fail(lg->c, DBX_ENOMEM, "out of memory");
}

DBX_API dbx_status dbx_mlflow_logger_add_metric(dbx_mlflow_logger *lg, const char *key, double value,
                                                int64_t timestamp, int64_t step)
{
    if (!lg)
        return dbx__fail(NULL, DBX_EINVAL, "%s: logger is NULL", __func__);
    dbx__error_clear(lg->c);
    CHECK(check_metric(lg->c, __func__, "key", key, timestamp));
    lg_item it;
    CHECK(item_make(lg, &it, K_METRIC, key, NULL, value, timestamp, step));
    return logger_add(lg, &it);
}

DBX_API dbx_status dbx_mlflow_logger_add_param(dbx_mlflow_logger *lg, const char *key, const char *value)
{
    if (!lg)
        return dbx__fail(NULL, DBX_EINVAL, "%s: logger is NULL", __func__);
    dbx__error_clear(lg->c);
    CHECK(check_name(lg->c, __func__, "key", key));
    CHECK(check_value(lg->c, __func__, "value", value, DBX_MLFLOW_MAX_PARAM_VALUE_LEN));
    for (size_t i = lg->head; i < lg->n; i++) {
        const lg_item *p = &lg->items[i];
        if (p->kind == K_PARAM && strcmp(p->key, key) == 0) {
            if (strcmp(p->value, value) == 0)
                return DBX_OK; /* already buffered */
            return dbx__fail(lg->c, DBX_EINVAL, "%s: param key '%.64s' is buffered with another value (params "
                                                "are write-once)", __func__, key);
        }
    }
    lg_item it;
    CHECK(item_make(lg, &it, K_PARAM, key, value, 0, 0, 0));
    return logger_add(lg, &it);
}

DBX_API dbx_status dbx_mlflow_logger_add_tag(dbx_mlflow_logger *lg, const char *key, const char *value)
{
    if (!lg)
        return dbx__fail(NULL, DBX_EINVAL, "%s: logger is NULL", __func__);
    dbx__error_clear(lg->c);
    CHECK(check_name(lg->c, __func__, "key", key));
    CHECK(check_value(lg->c, __func__, "value", value, DBX_MLFLOW_MAX_TAG_VALUE_LEN));
    lg_item it;
    CHECK(item_make(lg, &it, K_TAG, key, value, 0, 0, 0));
    return logger_add(lg, &it);
}

/* ---- artifacts ---------------------------------------------------------------------------- */

struct dbx_mlflow_artifact {
    dbx__view v;
};

DBX_API const char *dbx_mlflow_artifact_path(const dbx_mlflow_artifact *a) { return a ? dbx__jv_get_str(a->v.v, "path", "") : ""; }
DBX_API int dbx_mlflow_artifact_is_dir(const dbx_mlflow_artifact *a) { return a ? dbx__jv_get_bool(a->v.v, "is_dir", 0) : 0; }
DBX_API int64_t dbx_mlflow_artifact_file_size(const dbx_mlflow_artifact *a)
{
    return a && !dbx_mlflow_artifact_is_dir(a) ? dbx__jv_get_int(a->v.v, "file_size", -1) : -1;
}
DBX_API const char *dbx_mlflow_artifact_json(const dbx_mlflow_artifact *a) { return a ? dbx__view_text(&a->v, 0, a->v.v) : NULL; }

struct dbx_mlflow_artifacts_iter {
    dbx__iter base;
};

/* A relative artifact path: no leading '/', no empty, "." or ".." component,
 * no control character or backslash. `empty_ok` for a directory (the root). */
static dbx_status check_relpath(dbx_client *c, const char *fn, const char *what, const char *p, int empty_ok)
{
    if (!p || !*p)
        return empty_ok ? DBX_OK : dbx__fail(c, DBX_EINVAL, "%s: %s is required", fn, what);
    if (!dbx__utf8_valid(p))
        return dbx__fail(c, DBX_EINVAL, "%s: %s is not valid UTF-8", fn, what);
    if (strlen(p) > 4096)
        return dbx__fail(c, DBX_EINVAL, "%s: %s is longer than 4096 bytes", fn, what);
    for (const char *q = p;;) {
        size_t n = strcspn(q, "/");
        if (n == 0 || (n == 1 && q[0] == '.') || (n == 2 && q[0] == '.' && q[1] == '.'))
            return dbx__fail(c, DBX_EINVAL, "%s: %s must be a relative path without empty, '.' or '..' parts", fn,
                             what);
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)q[i] < 0x20 || q[i] == 0x7f || q[i] == '\\')
                return dbx__fail(c, DBX_EINVAL, "%s: %s has a control character or a backslash", fn, what);
        if (!q[n])
            break;
        q += n + 1;
    }
    return DBX_OK;
}

DBX_API dbx_status dbx_mlflow_artifacts_list(dbx_mlflow_artifacts_iter **out, dbx_client *c, const char *run_id,
                                             const char *path)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    RUN_ID(c, run_id);
    CHECK(check_relpath(c, __func__, "path", path, 1));
    char small[512];
    dbx__buf q;
    dbx__buf_init_fixed(&q, small, sizeof small);
    dbx__buf_puts(&q, BASE "/artifacts/list");
    dbx__query_add(&q, "run_id", run_id);
    if (!dbx__empty(path))
        dbx__query_add(&q, "path", path);
    if (q.oom) {
        dbx__buf_dispose(&q);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    *out = (dbx_mlflow_artifacts_iter *)mlflow_iter(c, DBX__PAGE_TOKEN_QUERY, "GET", q.ptr, NULL, "files", NULL, 0, 0);
    dbx__buf_dispose(&q);
    return *out ? DBX_OK : DBX_ENOMEM;
}

DBX_API dbx_status dbx_mlflow_artifacts_iter_next(const dbx_mlflow_artifact **item, dbx_mlflow_artifacts_iter *it)
{
    return dbx__iter_next(it ? &it->base : NULL, (const dbx__view **)item);
}

DBX_API void dbx_mlflow_artifacts_iter_free(dbx_mlflow_artifacts_iter *it) { dbx__iter_free(it ? &it->base : NULL); }

/* Where a run keeps its artifacts. */
typedef struct art_root {
    int volume;   /* 1: the Files API under `files` ("/Volumes/c/s/v/.../artifacts") */
    char *files;
} art_root;

#define TRACKING_PREFIX "dbfs:/databricks/mlflow-tracking/"
#define VOLUMES_PREFIX "dbfs:/Volumes/"

static dbx_status art_root_get(dbx_client *c, const char *run_id, art_root *root)
{
    memset(root, 0, sizeof *root);
    dbx_mlflow_run *r = NULL;
    dbx_status st = dbx_mlflow_run_get(&r, c, run_id);
    if (st != DBX_OK)
        return st;
    const char *uri = dbx_mlflow_run_artifact_uri(r);
    if (strncmp(uri, TRACKING_PREFIX, strlen(TRACKING_PREFIX)) == 0) {
        root->volume = 0;
    } else if (strncmp(uri, VOLUMES_PREFIX, strlen(VOLUMES_PREFIX)) == 0) {
        root->volume = 1;
        size_t n = strlen(uri + 5);
        while (n > 1 && uri[5 + n - 1] == '/')
            n--;
        if (!(root->files = dbx__malloc(n + 1)))
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
        else {
            memcpy(root->files, uri + 5, n);
            root->files[n] = '\0';
        }
    } else {
        st = dbx__fail(c, DBX_ENOTIMPLEMENTED, "run %s: artifact_uri scheme not supported (dbfs:/databricks/"
                                               "mlflow-tracking/ and dbfs:/Volumes/ are)", run_id);
    }
    dbx_mlflow_run_free(r);
    return st;
}

static char *volume_path(const art_root *root, const char *rel)
{
    return dbx__sprintf("%s/%s", root->files, rel);
}

/* credentials-for-write / -read for one path: the answer (caller disposes)
 * and its first credential info in *info. */
static dbx_status credential(dbx_client *c, const char *op, const char *run_id, const char *rel, dbx__jdoc *doc,
                             dbx__jv *info)
{
    json_t *body = obj_str(1, "run_id", run_id);
    json_t *paths = json_array();
    if (!body || !paths || json_object_set_new(body, "path", paths) != 0 ||
        json_array_append_new(paths, json_string(rel)) != 0) {
        if (!body)
            dbx__json_decref_deep(paths);
        dbx__json_decref_deep(body);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    char path[96];
    snprintf(path, sizeof path, BASE "/artifacts/%s", op);
    /* read-only for the server: asking again is harmless */
    dbx_status st = dbx__mlflow_call(c, "POST", path, body, DBX__CALL_IDEMPOTENT, doc);
    dbx__json_decref_deep(body);
    if (st != DBX_OK)
        return st;
    dbx__jit it;
    dbx__jv v;
    *info = DBX__JV_ABSENT;
    dbx__jv_iter(dbx__jv_get(dbx__jdoc_root(doc), "credential_infos"), &it);
    while (dbx__jit_next(&it, &v, NULL)) {
        const char *p = dbx__jv_get_str(v, "path", NULL);
        if (!p || strcmp(p, rel) == 0) {
            *info = v;
            break;
        }
    }
    const char *url = dbx__jv_get_str(*info, "signed_uri", "");
    dbx__origin o;
    if (!dbx__jv_present(*info) || dbx__origin_parse(url, &o) != 0 || strpbrk(url, " \r\n")) {
        dbx__jdoc_dispose(doc);
        return dbx__fail_answer(c, DBX_EBADRESPONSE, "artifacts/%s: no usable signed_uri for the path", op);
    }
    return DBX_OK;
}

typedef struct sink_adapter {
    dbx_sink_fn sink;
    void *payload;
    int refused;
} sink_adapter;

static size_t sink_write(const char *data, size_t len, void *payload)
{
    sink_adapter *s = payload;
    if (s->sink(s->payload, data, len) != 0) {
        s->refused = 1;
        return 0;
    }
    return len;
}

/* One PUT or GET at a signed URL with its headers, never the workspace
 * credentials; after an expired URL (403) a fresh credential, once. */
static dbx_status signed_transfer(dbx_client *c, const char *run_id, const char *rel, const dbx_source *src,
                                  sink_adapter *sink)
{
    const char *op = src ? "credentials-for-write" : "credentials-for-read";
    dbx_status st = DBX_OK;
    for (int attempt = 0; attempt < 2; attempt++) {
        dbx__jdoc doc;
        dbx__jv info;
        st = credential(c, op, run_id, rel, &doc, &info);
        if (st != DBX_OK)
            return st;
        char hsmall[512];
        dbx__buf hb;
        dbx__buf_init_fixed(&hb, hsmall, sizeof hsmall);
        const char *lines[DBX__PRESIGNED_MAX_HEADERS + 1];
        size_t nl;
        const char *ctype = "application/octet-stream";
        int hr = dbx__presigned_headers(dbx__jv_get(info, "headers"), &hb, lines, &nl, &ctype);
        if (hr != 0) {
            dbx__buf_dispose(&hb);
            dbx__jdoc_dispose(&doc);
            return hr == -2 ? dbx__fail(c, DBX_ENOMEM, "out of memory")
                            : dbx__fail_answer(c, DBX_EBADRESPONSE, "artifacts/%s: a header is unusable", op);
        }
        dbx__call call = {0};
        call.method = src ? "PUT" : "GET";
        call.path = dbx__jv_get_str(info, "signed_uri", "");
        call.no_auth = 1; /* the URL is the credential: ours never goes along */
        call.headers = lines;
        call.secret_headers = 1;
        call.idempotent = 1; /* a PUT of the whole object, or a GET */
        call.idle_timeout = 1;
        call.retry = &c->mlflow_retry;
        if (src) {
            call.upload = src;
            call.content_type = ctype;
        } else {
            call.write_fn = sink_write;
            call.write_payload = sink;
        }
        dbx__http_resp resp;
        dbx__resp_init(&resp);
        st = dbx__pipeline_send(&c->pipe, &call, &resp);
        int expired = st != DBX_OK && dbx__presigned_expired(&resp) && resp.delivered == 0;
        dbx__resp_dispose(&resp);
        dbx__buf_dispose(&hb);
        dbx__jdoc_dispose(&doc);
        if (st == DBX_OK || !expired)
            break;
        if (src && src->rewind == NULL)
            break; /* a consumed body cannot be sent again */
        if (src && src->rewind(src->payload) != 0)
            break;
        dbx__log(&c->pipe.log, DBX_LOG_INFO, DBX_LOGCAT_RETRY, "artifact %s: the signed URL expired; asking for a "
                                                               "fresh one", rel);
    }
    if (st != DBX_OK) {
        if (sink && sink->refused)
            st = dbx__fail(c, DBX_ECANCELLED, "artifact download: the sink stopped it");
        else
            dbx__error_prefix("artifact %s: ", rel); /* never the signed URL */
    }
    return st;
}

static dbx_status upload_one(dbx_client *c, const char *run_id, const art_root *root, const char *rel,
                             const dbx_source *src)
{
    if (!root->volume)
        return signed_transfer(c, run_id, rel, src, NULL);
    char *p = volume_path(root, rel);
    if (!p)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    dbx_files_upload_options fo = DBX_FILES_UPLOAD_OPTIONS_INIT;
    fo.overwrite = 1;
    dbx_status st = dbx_files_upload(c, p, src, &fo);
    dbx__free(p);
    return st;
}

static dbx_status download_one(dbx_client *c, const char *run_id, const art_root *root, const char *rel,
                               dbx_sink_fn sink, void *payload)
{
    if (!root->volume) {
        sink_adapter sa = {sink, payload, 0};
        return signed_transfer(c, run_id, rel, NULL, &sa);
    }
    char *p = volume_path(root, rel);
    if (!p)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    dbx_status st = dbx_files_download(c, p, sink, payload, NULL);
    dbx__free(p);
    return st;
}

DBX_API dbx_status dbx_mlflow_artifact_upload(dbx_client *c, const char *run_id, const char *artifact_path,
                                              const dbx_source *src)
{
    DBX__ENTER(c);
    RUN_ID(c, run_id);
    CHECK(check_relpath(c, __func__, "artifact_path", artifact_path, 0));
    CHECK(dbx__source_check(c, __func__, src));
    art_root root;
    dbx_status st = art_root_get(c, run_id, &root);
    if (st == DBX_OK)
        st = upload_one(c, run_id, &root, artifact_path, src);
    dbx__free(root.files);
    return st;
}

static dbx_status upload_file(dbx_client *c, const char *fn, const char *run_id, const art_root *root,
                              const char *rel, const char *local_path)
{
    dbx__file_source fs;
    dbx_status st = dbx__file_source_open(&fs, c, fn, local_path);
    if (st != DBX_OK)
        return st;
    st = upload_one(c, run_id, root, rel, &fs.src);
    dbx__file_source_close(&fs);
    return st;
}

DBX_API dbx_status dbx_mlflow_artifact_upload_file(dbx_client *c, const char *run_id, const char *artifact_path,
                                                   const char *local_path)
{
    DBX__ENTER(c);
    RUN_ID(c, run_id);
    CHECK(check_relpath(c, __func__, "artifact_path", artifact_path, 0));
    DBX__REQUIRE_STR(c, local_path);
    art_root root;
    dbx_status st = art_root_get(c, run_id, &root);
    if (st == DBX_OK)
        st = upload_file(c, __func__, run_id, &root, artifact_path, local_path);
    dbx__free(root.files);
    return st;
}

DBX_API dbx_status dbx_mlflow_artifact_download(dbx_client *c, const char *run_id, const char *artifact_path,
                                                dbx_sink_fn sink, void *payload)
{
    DBX__ENTER(c);
    RUN_ID(c, run_id);
    CHECK(check_relpath(c, __func__, "artifact_path", artifact_path, 0));
    DBX__REQUIRE_PTR(c, sink);
    art_root root;
    dbx_status st = art_root_get(c, run_id, &root);
    if (st == DBX_OK)
        st = download_one(c, run_id, &root, artifact_path, sink, payload);
    dbx__free(root.files);
    return st;
}

static dbx_status download_file(dbx_client *c, const char *fn, const char *run_id, const art_root *root,
                                const char *rel, const char *local_path)
{
    dbx__file_sink fs;
    dbx_status st = dbx__file_sink_open(&fs, c, fn, local_path, 1);
    if (st != DBX_OK)
        return st;
    st = download_one(c, run_id, root, rel, dbx__file_sink_write, &fs);
    if (st == DBX_OK)
        st = dbx__file_sink_commit(&fs, c, fn);
    dbx__file_sink_abort(&fs);
    return st;
}

DBX_API dbx_status dbx_mlflow_artifact_download_file(dbx_client *c, const char *run_id, const char *artifact_path,
                                                     const char *local_path)
{
    DBX__ENTER(c);
    RUN_ID(c, run_id);
    CHECK(check_relpath(c, __func__, "artifact_path", artifact_path, 0));
    DBX__REQUIRE_STR(c, local_path);
    art_root root;
    dbx_status st = art_root_get(c, run_id, &root);
    if (st == DBX_OK)
        st = download_file(c, __func__, run_id, &root, artifact_path, local_path);
    dbx__free(root.files);
    return st;
}

/* A list of owned strings (a work stack). */
typedef struct strlist {
    char **v;
    size_t n, cap;
} strlist;

static int strlist_push(strlist *l, char *s)
{
    if (!s)
        return -1;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **nv = dbx__realloc(l->v, cap * sizeof *nv);
        if (!nv) {
            dbx__free(s);
            return -1;
        }
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return 0;
}

static void strlist_free(strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        dbx__free(l->v[i]);
    dbx__free(l->v);
    memset(l, 0, sizeof *l);
}

/* "a" + "/" + "b", or "b" when a is empty. */
static char *join(const char *a, const char *b) { return *a ? dbx__sprintf("%s/%s", a, b) : dbx__strdup(b); }

DBX_API dbx_status dbx_mlflow_artifact_upload_dir(dbx_client *c, const char *run_id, const char *artifact_dir,
                                                  const char *local_dir)
{
    DBX__ENTER(c);
    RUN_ID(c, run_id);
    CHECK(check_relpath(c, __func__, "artifact_dir", artifact_dir, 1));
    DBX__REQUIRE_STR(c, local_dir);
    struct stat sb;
    if (stat(local_dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return dbx__fail(c, DBX_EINVAL, "%s: local_dir is not a readable directory", __func__);
    art_root root;
    dbx_status st = art_root_get(c, run_id, &root);
    if (st != DBX_OK)
        return st;
    /* depth-first walk with an explicit stack of relative directories ("" = local_dir) */
    strlist stack = {0};
    if (strlist_push(&stack, dbx__strdup("")) != 0)
        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    const char *base = artifact_dir ? artifact_dir : "";
    while (st == DBX_OK && stack.n > 0) {
        char *rel = stack.v[--stack.n];
        char *dir = *rel ? dbx__sprintf("%s/%s", local_dir, rel) : dbx__strdup(local_dir);
        DIR *d = dir ? opendir(dir) : NULL;
        if (!dir)
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
        else if (!d)
            st = dbx__fail(c, DBX_EINVAL, "%s: cannot open the directory %s", __func__, dir);
        struct dirent *de;
        while (st == DBX_OK && d && (de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            char *full = dbx__sprintf("%s/%s", dir, de->d_name);
            char *child = join(rel, de->d_name);
            if (!full || !child) {
                dbx__free(full);
                dbx__free(child);
                st = dbx__fail(c, DBX_ENOMEM, "out of memory");
                break;
            }
            struct stat cs;
            if (lstat(full, &cs) == 0 && S_ISDIR(cs.st_mode)) {
                if (strlist_push(&stack, child) != 0)
                    st = dbx__fail(c, DBX_ENOMEM, "out of memory");
                child = NULL;
            } else if (lstat(full, &cs) == 0 && S_ISREG(cs.st_mode)) {
                char *target = join(base, child);
                if (!target)
                    st = dbx__fail(c, DBX_ENOMEM, "out of memory");
                else if ((st = check_relpath(c, __func__, "a file name under local_dir", target, 0)) == DBX_OK)
                    st = upload_file(c, __func__, run_id, &root, target, full);
                dbx__free(target);
            } /* symbolic links and special files are not followed */
            dbx__free(full);
            dbx__free(child);
        }
        if (d)
            closedir(d);
        dbx__free(dir);
        dbx__free(rel);
    }
    strlist_free(&stack);
    dbx__free(root.files);
    return st;
}

/* mkdir -p of `rel` (checked safe components) under `base`. */
static int make_dirs(const char *base, const char *rel)
{
    char *p = dbx__sprintf("%s/%s", base, rel);
    if (!p)
        return -1;
    size_t bl = strlen(base);
    for (char *q = p + bl + 1;; q++) {
        if (*q == '/' || *q == '\0') {
            char save = *q;
            *q = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                dbx__free(p);
                return -1;
            }
            *q = save;
            if (!save)
                break;
        }
    }
    dbx__free(p);
    return 0;
}

/* Every component of a listed path is a safe local name. */
static int listed_path_safe(const char *rel)
{
    for (const char *q = rel;;) {
        size_t n = strcspn(q, "/");
        if (!dbx__local_name_safe(q, n))
            return 0;
        if (!q[n])
            return 1;
        q += n + 1;
    }
}

DBX_API dbx_status dbx_mlflow_artifact_download_dir(dbx_client *c, const char *run_id, const char *artifact_dir,
                                                    const char *local_dir)
{
    DBX__ENTER(c);
    RUN_ID(c, run_id);
    CHECK(check_relpath(c, __func__, "artifact_dir", artifact_dir, 1));
    DBX__REQUIRE_STR(c, local_dir);
    if (mkdir(local_dir, 0777) != 0 && errno != EEXIST)
        return dbx__fail(c, DBX_EINVAL, "%s: cannot create local_dir", __func__);
    art_root root;
    dbx_status st = art_root_get(c, run_id, &root);
    if (st != DBX_OK)
        return st;
    const char *base = artifact_dir ? artifact_dir : "";
    size_t bl = strlen(base);
    strlist stack = {0};
    if (strlist_push(&stack, dbx__strdup(base)) != 0)
        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    size_t entries = 0;
    while (st == DBX_OK && stack.n > 0) {
        char *dir = stack.v[--stack.n];
        dbx_mlflow_artifacts_iter *it = NULL;
        st = dbx_mlflow_artifacts_list(&it, c, run_id, dir);
        const dbx_mlflow_artifact *a;
        while (st == DBX_OK && (st = dbx_mlflow_artifacts_iter_next(&a, it)) == DBX_OK) {
            const char *p = dbx_mlflow_artifact_path(a);
            /* a listed path lies under the directory listed, one level down, and is safe locally */
            size_t dl = strlen(dir);
            const char *rest = p + (dl ? dl + 1 : 0);
            if ((dl && (strncmp(p, dir, dl) != 0 || p[dl] != '/')) || !*rest || strchr(rest, '/') ||
                !listed_path_safe(p + (bl ? bl + 1 : 0)) || ++entries > 1000000) {
                st = dbx__fail_answer(c, DBX_EBADRESPONSE, "artifacts/list: a listed path is not safe to write "
                                                           "locally (outside the directory listed, '..', "
                                                           "control characters)");
                break;
            }
            const char *local_rel = p + (bl ? bl + 1 : 0);
            if (dbx_mlflow_artifact_is_dir(a)) {
                if (make_dirs(local_dir, local_rel) != 0)
                    st = dbx__fail(c, DBX_EINVAL, "%s: cannot create a directory under local_dir", __func__);
                else if (strlist_push(&stack, dbx__strdup(p)) != 0)
                    st = dbx__fail(c, DBX_ENOMEM, "out of memory");
            } else {
                char *lp = dbx__sprintf("%s/%s", local_dir, local_rel);
                if (!lp)
                    st = dbx__fail(c, DBX_ENOMEM, "out of memory");
                else
                    st = download_file(c, __func__, run_id, &root, p, lp);
                dbx__free(lp);
            }
        }
        if (st == DBX_DONE)
            st = DBX_OK;
        dbx_mlflow_artifacts_iter_free(it);
        dbx__free(dir);
    }
    strlist_free(&stack);
    dbx__free(root.files);
    return st;
}

/* ---- for the fuzz target (mlflow_internal.h) ---------------------------------------------- */

void *dbx__mlflow_result_from_text(int kind, const char *text, size_t len)
{
    static const char *const keys[] = {"experiment", "run", NULL, NULL};
    static const size_t sizes[] = {sizeof(dbx_mlflow_experiment), sizeof(dbx_mlflow_run), sizeof(dbx_mlflow_metric),
                                   sizeof(dbx_mlflow_artifact)};
    if (kind < 0 || kind > 3)
        return NULL;
    char *copy = dbx__malloc(len + 1);
    if (!copy)
        return NULL;
    memcpy(copy, text, len);
    copy[len] = '\0';
    dbx__jdoc doc;
    dbx__jerr err;
    if (dbx__jdoc_parse(&doc, copy, len, 1, &err) != DBX_OK) {
        dbx__free(copy);
        return NULL;
    }
    if (!dbx__jv_is_object(dbx__jdoc_root(&doc)) || (keys[kind] && !dbx__jv_is_object(dbx__jv_get(dbx__jdoc_root(&doc), keys[kind])))) {
        dbx__jdoc_dispose(&doc);
        return NULL;
    }
    dbx__view *v = dbx__view_new(sizes[kind], &doc);
    if (v && keys[kind])
        v->v = dbx__jv_get(v->v, keys[kind]);
    return v;
}

const char *dbx__mlflow_name_problem(const char *name) { return name_problem(name); }
