/* libdbx - model registries: workspace (/api/2.0/mlflow/registered-models,
 * model-versions) and Unity Catalog (/api/2.1/unity-catalog/models, plus the
 * MLflow-only /api/2.0/mlflow/unity-catalog/... endpoints). See
 * include/dbx/registry.h. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "api.h"
#include "dbx/files.h"
#include "dbx/registry.h"
#include "mlflow_internal.h"
#include "registry_internal.h"

#define WS "/api/2.0/mlflow"
#define UCL "/api/2.0/mlflow/unity-catalog"
#define UCN "/api/2.1/unity-catalog/models"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Every registry request goes through the MLflow retry policy. */
static dbx_status rcall(dbx_client *c, const char *method, const char *path, const json_t *body, int flags,
                        dbx__jdoc *out)
{
    return dbx__mlflow_call(c, method, path, body, flags, out);
}

/* ---- names and registries --------------------------------------------------------------------- */

DBX_API const char *dbx_registry_name(dbx_registry_t reg)
{
    switch (reg) {
    case DBX_REGISTRY_DEFAULT: return "default";
    case DBX_REGISTRY_WORKSPACE: return "workspace";
    case DBX_REGISTRY_UC: return "uc";
    }
    return "unknown";
}

static const char *const status_names[] = {"UNKNOWN", "PENDING_REGISTRATION", "READY", "FAILED_REGISTRATION"};

DBX_API const char *dbx_model_version_status_name(dbx_model_version_status_t s)
{
    return (unsigned)s < N_OF(status_names) ? status_names[s] : "UNKNOWN";
}

static dbx_model_version_status_t status_parse(const char *s)
{
    for (size_t i = 1; i < N_OF(status_names); i++)
        if (strcmp(s, status_names[i]) == 0)
            return (dbx_model_version_status_t)i;
    return DBX_MODEL_VERSION_STATUS_UNKNOWN;
}

/* Three non-empty dot-separated parts? */
static int three_parts(const char *s)
{
    int n = 1;
    char prev = '.';
    for (const char *p = s; *p; p++) {
        if (*p == '.') {
            if (prev == '.')
                return 0;
            n++;
        }
        prev = *p;
    }
    return n == 3 && prev != '.';
}

/* The registry a call addresses: DEFAULT resolved by the client option
 * registry_uri, else by the name's shape (NULL name: workspace). */
static dbx_registry_t resolve(dbx_client *c, dbx_registry_t reg, const char *name)
{
    if (reg != DBX_REGISTRY_DEFAULT)
        return reg;
    const char *uri = dbx__client_registry_uri(c);
    if (!dbx__empty(uri)) {
        /* "databricks-uc" or "databricks-uc://profile"; "databricks" or "databricks://profile" */
        if (strncmp(uri, "databricks-uc", 13) == 0 && (uri[13] == '\0' || uri[13] == ':'))
            return DBX_REGISTRY_UC;
        if (strncmp(uri, "databricks", 10) == 0 && (uri[10] == '\0' || uri[10] == ':'))
            return DBX_REGISTRY_WORKSPACE;
    }
    return name && three_parts(name) ? DBX_REGISTRY_UC : DBX_REGISTRY_WORKSPACE;
}

/* Argument checks shared by every call about one model: the registry, the
 * name (three parts for UC). Sets *r. */
static dbx_status check_model(dbx_client *c, const char *func, dbx_registry_t reg, const char *name,
                              dbx_registry_t *r)
{
    if (reg < DBX_REGISTRY_DEFAULT || reg > DBX_REGISTRY_UC)
        return dbx__fail(c, DBX_EINVAL, "%s: registry %d is not a dbx_registry", func, (int)reg);
    if (dbx__empty(name))
        return dbx__fail(c, DBX_EINVAL, "%s: name is required", func);
    if (!dbx__utf8_valid(name))
        return dbx__fail(c, DBX_EINVAL, "%s: name is not valid UTF-8", func);
    *r = resolve(c, reg, name);
    if (*r == DBX_REGISTRY_UC && !three_parts(name))
        return dbx__fail(c, DBX_EINVAL,
                         "%s: name must be catalog.schema.model (3 non-empty parts separated by '.') in the "
                         "Unity Catalog registry",
                         func);
    return DBX_OK;
}

#define CHECK_MODEL(c, reg, name, r)                                                                \
    do {                                                                                            \
        dbx_status st_ = check_model((c), __func__, (reg), (name), (r));                           \
        if (st_ != DBX_OK)                                                                          \
            return st_;                                                                             \
    } while (0)

#define CHECK_VERSION(c, v)                                                                         \
    do {                                                                                            \
        if ((v) < 1)                                                                                \
            return dbx__fail((c), DBX_EINVAL, "%s: version must be >= 1 (got %lld)", __func__,      \
                             (long long)(v));                                                       \
    } while (0)

static dbx_status unsupported(dbx_client *c, const char *func, dbx_registry_t r, const char *what)
{
    return dbx__fail(c, DBX_ENOTIMPLEMENTED, "%s: %s %s not supported by the %s model registry", func, what,
                     strchr(what, ' ') && what[strlen(what) - 1] == 's' ? "are" : "is",
                     r == DBX_REGISTRY_UC ? "Unity Catalog" : "workspace");
}

static dbx_status check_options_version(dbx_client *c, const char *func, const void *opts, unsigned int v,
                                        unsigned int max)
{
    if (opts && (v == 0 || v > max))
        return dbx__fail(c, DBX_EINVAL, "%s: options version %u is not supported", func, v);
    return DBX_OK;
}

static dbx_status check_tags(dbx_client *c, const char *func, const dbx_registry_tag *tags, size_t n)
{
    if (n && !tags)
        return dbx__fail(c, DBX_EINVAL, "%s: n_tags is %zu but tags is NULL", func, n);
    for (size_t i = 0; i < n; i++) {
        if (dbx__empty(tags[i].key) || !dbx__utf8_valid(tags[i].key))
            return dbx__fail(c, DBX_EINVAL, "%s: tags[%zu].key is required (valid UTF-8)", func, i);
        if (!tags[i].value || !dbx__utf8_valid(tags[i].value))
            return dbx__fail(c, DBX_EINVAL, "%s: tags[%zu].value is required (valid UTF-8)", func, i);
    }
    return DBX_OK;
}

/* Stage names, canonical spelling. */
static const char *const stages[] = {"None", "Staging", "Production", "Archived"};

static const char *stage_canonical(const char *s)
{
    for (size_t i = 0; s && i < N_OF(stages); i++)
        if (dbx__strcasecmp(s, stages[i]) == 0)
            return stages[i];
    return NULL;
}

/* MLflow's alias rules (protocols §3): ^[\w\-]*$, <= 255, "latest" and
 * "v<digits>" reserved. Empty is refused here (the server would too). */
static dbx_status check_alias(dbx_client *c, const char *func, const char *alias)
{
    if (dbx__empty(alias))
        return dbx__fail(c, DBX_EINVAL, "%s: alias is required", func);
    size_t n = strlen(alias);
    if (n > 255)
        return dbx__fail(c, DBX_EINVAL, "%s: alias is longer than 255 bytes", func);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)alias[i];
        if (!(ch == '_' || ch == '-' || (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
              (ch >= 'A' && ch <= 'Z')))
            return dbx__fail(c, DBX_EINVAL, "%s: alias may hold only letters, digits, '_' and '-'", func);
    }
    int vdigits = (alias[0] == 'v' || alias[0] == 'V') && n > 1;
    for (size_t i = 1; vdigits && i < n; i++)
        vdigits = alias[i] >= '0' && alias[i] <= '9';
    if (dbx__strcasecmp(alias, "latest") == 0 || vdigits)
        return dbx__fail(c, DBX_EINVAL, "%s: alias '%s' is reserved ('latest' and 'v<number>' name versions)",
                         func, alias);
    return DBX_OK;
}

/* ---- results ---------------------------------------------------------------------------------- */

struct dbx_registered_model {
    dbx__view v; /* first */
    dbx_registry_t reg;
};

struct dbx_model_version {
    dbx__view v; /* first */
    dbx_registry_t reg;
    char *full; /* UC native answers: catalog.schema.model, built once */
};

#define MV(x) ((x)->v.v)

/* A version's number: the `version` member as an int >= 1 (a number or a
 * decimal string, parsed strictly), else -1. */
static int64_t version_of(dbx__jv v)
{
    int64_t n = dbx__jv_int(dbx__jv_get(v, "version"), -1);
    return n >= 1 ? n : -1;
}

/* The UC native shape names the model by parts: build the full name. 0, or -1 on OOM. */
static int version_index(struct dbx_model_version *mv)
{
    mv->full = NULL;
    dbx__jv v = MV(mv);
    if (dbx__jv_present(dbx__jv_get(v, "name")))
        return 0;
    const char *m = dbx__jv_get_str(v, "model_name", NULL);
    if (!m)
        return 0;
    mv->full = dbx__sprintf("%s.%s.%s", dbx__jv_get_str(v, "catalog_name", ""), dbx__jv_get_str(v, "schema_name", ""), m);
    return mv->full ? 0 : -1;
}

static dbx__jv member(dbx__jdoc *doc, const char *key)
{
    dbx__jv root = dbx__jdoc_root(doc);
    if (!key)
        return root;
    /* "a|b": the first present */
    char k[64];
    const char *p = key;
    while (*p) {
        size_t n = strcspn(p, "|");
        if (n < sizeof k) {
            memcpy(k, p, n);
            k[n] = '\0';
            dbx__jv m = dbx__jv_get(root, k);
            if (dbx__jv_present(m))
                return m;
        }
        p += n + (p[n] == '|');
    }
    return DBX__JV_ABSENT;
}

static dbx_status version_from_doc(dbx_model_version **out, dbx_client *c, dbx_registry_t reg, dbx__jdoc *doc,
                                   const char *key)
{
    *out = NULL;
    dbx__jv v = member(doc, key);
    if (!dbx__jv_is_object(v)) {
        dbx__jdoc_dispose(doc);
        return dbx__fail_answer(c, DBX_EBADRESPONSE, "model registry: response has no model version object%s%s",
                                key ? " in " : "", key ? key : "");
    }
    if (version_of(v) < 1) {
        dbx__jdoc_dispose(doc);
        return dbx__fail_answer(c, DBX_EBADRESPONSE,
                                "model registry: the model version's 'version' is missing or not a positive integer");
    }
    struct dbx_model_version *mv = dbx__view_new(sizeof *mv, doc);
    if (!mv)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    mv->v.v = member(&mv->v.own, key); /* values refer to the document by address: look again */
    mv->reg = reg;
    if (version_index(mv) != 0) {
        dbx__view_free(mv);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    *out = mv;
    return DBX_OK;
}

static dbx_status model_from_doc(dbx_registered_model **out, dbx_client *c, dbx_registry_t reg, dbx__jdoc *doc,
                                 const char *key)
{
    *out = NULL;
    dbx__jv v = member(doc, key);
    if (!dbx__jv_is_object(v) || dbx__empty(dbx__jv_get_str(v, "name", NULL))) {
        dbx__jdoc_dispose(doc);
        return dbx__fail_answer(c, DBX_EBADRESPONSE, "model registry: response has no registered model with a name");
    }
    struct dbx_registered_model *m = dbx__view_new(sizeof *m, doc);
    if (!m)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    m->v.v = member(&m->v.own, key); /* values refer to the document by address: look again */
    m->reg = reg;
    *out = m;
    return DBX_OK;
}

dbx_status dbx__registry_version_from_doc(dbx_model_version **out, dbx_registry_t reg, dbx__jdoc *doc,
                                          const char *key)
{
    dbx__error_clear(NULL);
    return version_from_doc(out, NULL, reg, doc, key);
}

dbx_status dbx__registry_model_from_doc(dbx_registered_model **out, dbx_registry_t reg, dbx__jdoc *doc,
                                        const char *key)
{
    dbx__error_clear(NULL);
    return model_from_doc(out, NULL, reg, doc, key);
}

DBX_API void dbx_registered_model_free(dbx_registered_model *m) { dbx__view_free(m); }

DBX_API void dbx_model_version_free(dbx_model_version *mv)
{
    if (!mv)
        return;
    dbx__free(mv->full);
    dbx__view_free(mv);
}

/* First present string of two keys. */
static const char *str2(dbx__jv v, const char *a, const char *b)
{
    const char *s = dbx__jv_get_str(v, a, NULL);
    return s ? s : dbx__jv_get_str(v, b, "");
}

static int64_t int2(dbx__jv v, const char *a, const char *b)
{
    dbx__jv x = dbx__jv_get(v, a);
    return dbx__jv_present(x) ? dbx__jv_int(x, 0) : dbx__jv_get_int(v, b, 0);
}

static dbx__jv nth(dbx__jv arr, size_t i)
{
    if (!dbx__jv_is_array(arr))
        return DBX__JV_ABSENT;
    dbx__jit it;
    dbx__jv x;
    dbx__jv_iter(arr, &it);
    size_t k = 0;
    while (dbx__jit_next(&it, &x, NULL))
        if (k++ == i)
            return x;
    return DBX__JV_ABSENT;
}

static size_t arr_count(dbx__jv v, const char *key)
{
    dbx__jv a = dbx__jv_get(v, key);
    return dbx__jv_is_array(a) ? dbx__jv_count(a) : 0;
}

/* An alias entry: a string (workspace versions), {alias, version}
 * (workspace models, UC legacy) or {alias_name, version_num} (UC native). */
static const char *alias_at(dbx__jv v, size_t i)
{
    dbx__jv e = nth(dbx__jv_get(v, "aliases"), i);
    if (!dbx__jv_present(e))
        return NULL;
    if (dbx__jv_type(e) == DBX__J_STRING)
        return dbx__jv_str(e, "");
    return str2(e, "alias_name", "alias");
}

static int64_t alias_version_at(dbx__jv v, size_t i)
{
    dbx__jv e = nth(dbx__jv_get(v, "aliases"), i);
    if (!dbx__jv_is_object(e))
        return -1;
    dbx__jv x = dbx__jv_get(e, "version_num");
    if (!dbx__jv_present(x))
        x = dbx__jv_get(e, "version");
    return dbx__jv_int(x, -1);
}

static const char *tag_at(dbx__jv v, size_t i, const char *field)
{
    dbx__jv e = nth(dbx__jv_get(v, "tags"), i);
    return dbx__jv_is_object(e) ? dbx__jv_get_str(e, field, "") : NULL;
}

static const char *tag_lookup(dbx__jv v, const char *key)
{
    dbx__jv a = dbx__jv_get(v, "tags");
    if (!key || !dbx__jv_is_array(a))
        return NULL;
    dbx__jit it;
    dbx__jv x;
    dbx__jv_iter(a, &it);
    while (dbx__jit_next(&it, &x, NULL))
        if (dbx__jv_is_object(x) && dbx__streq(dbx__jv_get_str(x, "key", ""), key))
            return dbx__jv_get_str(x, "value", "");
    return NULL;
}

/* registered model */
DBX_API dbx_registry_t dbx_registered_model_registry(const dbx_registered_model *m) { return m ? m->reg : DBX_REGISTRY_DEFAULT; }
DBX_API const char *dbx_registered_model_name(const dbx_registered_model *m) { return m ? str2(MV(m), "full_name", "name") : ""; }
DBX_API const char *dbx_registered_model_catalog_name(const dbx_registered_model *m) { return m ? dbx__jv_get_str(MV(m), "catalog_name", "") : ""; }
DBX_API const char *dbx_registered_model_schema_name(const dbx_registered_model *m) { return m ? dbx__jv_get_str(MV(m), "schema_name", "") : ""; }
DBX_API const char *dbx_registered_model_description(const dbx_registered_model *m) { return m ? str2(MV(m), "description", "comment") : ""; }
DBX_API const char *dbx_registered_model_owner(const dbx_registered_model *m) { return m ? str2(MV(m), "user_id", "owner") : ""; }
DBX_API const char *dbx_registered_model_storage_location(const dbx_registered_model *m) { return m ? dbx__jv_get_str(MV(m), "storage_location", "") : ""; }
DBX_API int64_t dbx_registered_model_creation_timestamp(const dbx_registered_model *m) { return m ? int2(MV(m), "creation_timestamp", "created_at") : 0; }
DBX_API int64_t dbx_registered_model_last_updated_timestamp(const dbx_registered_model *m) { return m ? int2(MV(m), "last_updated_timestamp", "updated_at") : 0; }
DBX_API size_t dbx_registered_model_alias_count(const dbx_registered_model *m) { return m ? arr_count(MV(m), "aliases") : 0; }
DBX_API const char *dbx_registered_model_alias(const dbx_registered_model *m, size_t i) { return m ? alias_at(MV(m), i) : NULL; }
DBX_API int64_t dbx_registered_model_alias_version(const dbx_registered_model *m, size_t i) { return m ? alias_version_at(MV(m), i) : -1; }
DBX_API size_t dbx_registered_model_tag_count(const dbx_registered_model *m) { return m ? arr_count(MV(m), "tags") : 0; }
DBX_API const char *dbx_registered_model_tag_key(const dbx_registered_model *m, size_t i) { return m ? tag_at(MV(m), i, "key") : NULL; }
DBX_API const char *dbx_registered_model_tag_value(const dbx_registered_model *m, size_t i) { return m ? tag_at(MV(m), i, "value") : NULL; }
DBX_API const char *dbx_registered_model_tag(const dbx_registered_model *m, const char *key) { return m ? tag_lookup(MV(m), key) : NULL; }
DBX_API const char *dbx_registered_model_json(const dbx_registered_model *m) { return m ? dbx__view_text(&m->v, 0, MV(m)) : NULL; }

/* model version */
DBX_API dbx_registry_t dbx_model_version_registry(const dbx_model_version *v) { return v ? v->reg : DBX_REGISTRY_DEFAULT; }
DBX_API const char *dbx_model_version_name(const dbx_model_version *v)
{
    if (!v)
        return "";
    return v->full ? v->full : dbx__jv_get_str(MV(v), "name", "");
}
DBX_API int64_t dbx_model_version_version(const dbx_model_version *v) { return v ? version_of(MV(v)) : -1; }
DBX_API const char *dbx_model_version_status_str(const dbx_model_version *v) { return v ? dbx__jv_get_str(MV(v), "status", "") : ""; }
DBX_API dbx_model_version_status_t dbx_model_version_status(const dbx_model_version *v) { return status_parse(dbx_model_version_status_str(v)); }
DBX_API const char *dbx_model_version_status_message(const dbx_model_version *v) { return v ? dbx__jv_get_str(MV(v), "status_message", "") : ""; }
DBX_API const char *dbx_model_version_stage(const dbx_model_version *v)
{
    if (!v || v->reg == DBX_REGISTRY_UC)
        return NULL;
    return dbx__jv_get_str(MV(v), "current_stage", "None");
}
DBX_API const char *dbx_model_version_description(const dbx_model_version *v) { return v ? str2(MV(v), "description", "comment") : ""; }
DBX_API const char *dbx_model_version_source(const dbx_model_version *v) { return v ? dbx__jv_get_str(MV(v), "source", "") : ""; }
DBX_API const char *dbx_model_version_run_id(const dbx_model_version *v) { return v ? dbx__jv_get_str(MV(v), "run_id", "") : ""; }
DBX_API const char *dbx_model_version_storage_location(const dbx_model_version *v) { return v ? dbx__jv_get_str(MV(v), "storage_location", "") : ""; }
DBX_API const char *dbx_model_version_user_id(const dbx_model_version *v) { return v ? str2(MV(v), "user_id", "created_by") : ""; }
DBX_API int64_t dbx_model_version_creation_timestamp(const dbx_model_version *v) { return v ? int2(MV(v), "creation_timestamp", "created_at") : 0; }
DBX_API int64_t dbx_model_version_last_updated_timestamp(const dbx_model_version *v) { return v ? int2(MV(v), "last_updated_timestamp", "updated_at") : 0; }
DBX_API size_t dbx_model_version_alias_count(const dbx_model_version *v) { return v ? arr_count(MV(v), "aliases") : 0; }
DBX_API const char *dbx_model_version_alias(const dbx_model_version *v, size_t i) { return v ? alias_at(MV(v), i) : NULL; }
DBX_API size_t dbx_model_version_tag_count(const dbx_model_version *v) { return v ? arr_count(MV(v), "tags") : 0; }
DBX_API const char *dbx_model_version_tag_key(const dbx_model_version *v, size_t i) { return v ? tag_at(MV(v), i, "key") : NULL; }
DBX_API const char *dbx_model_version_tag_value(const dbx_model_version *v, size_t i) { return v ? tag_at(MV(v), i, "value") : NULL; }
DBX_API const char *dbx_model_version_tag(const dbx_model_version *v, const char *key) { return v ? tag_lookup(MV(v), key) : NULL; }
DBX_API const char *dbx_model_version_json(const dbx_model_version *v) { return v ? dbx__view_text(&v->v, 0, MV(v)) : NULL; }

/* ---- request helpers -------------------------------------------------------------------------- */

typedef struct kv {
    const char *k, *v;
} kv;

/* METHOD prefix?k=v&... (values URL-encoded), with an optional body. */
static dbx_status call_q(dbx_client *c, const char *method, const char *prefix, const kv *q, size_t nq,
                         const json_t *body, int flags, dbx__jdoc *out)
{
    char small[512];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    dbx__buf_puts(&path, prefix);
    for (size_t i = 0; i < nq; i++)
        if (q[i].v)
            dbx__query_add(&path, q[i].k, q[i].v);
    if (path.oom) {
        dbx__buf_dispose(&path);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx_status st = rcall(c, method, path.ptr, body, flags, out);
    dbx__buf_dispose(&path);
    return st;
}

/* UCN "/<full name, encoded>[suffix][/<encoded seg>]" into b. */
static void uc_path(dbx__buf *b, const char *full, const char *suffix, const char *seg)
{
    dbx__buf_puts(b, UCN "/");
    dbx__buf_put_urlenc(b, full);
    if (suffix)
        dbx__buf_puts(b, suffix);
    if (seg) {
        dbx__buf_putc(b, '/');
        dbx__buf_put_urlenc(b, seg);
    }
}

/* A call on UCN/<full>...: path built here. */
static dbx_status uc_call(dbx_client *c, const char *method, const char *full, const char *suffix, const char *seg,
                          const char *query, const json_t *body, int flags, dbx__jdoc *out)
{
    char small[512];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    uc_path(&path, full, suffix, seg);
    if (query)
        dbx__buf_puts(&path, query);
    if (path.oom) {
        dbx__buf_dispose(&path);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx_status st = rcall(c, method, path.ptr, body, flags, out);
    dbx__buf_dispose(&path);
    return st;
}

/* A JSON object with string members (NULL values left out); NULL on OOM. */
static json_t *obj_strs(const kv *m, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < n; i++)
        if (m[i].v && dbx__json_set_str(o, m[i].k, m[i].v) != 0) {
            dbx__json_decref_deep(o);
            return NULL;
        }
    return o;
}

static int put_tags(json_t *body, const dbx_registry_tag *tags, size_t n)
{
    if (!n)
        return 0;
    json_t *a = json_array();
    if (!a || json_object_set_new(body, "tags", a) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        json_t *t = obj_strs((kv[]){{"key", tags[i].key}, {"value", tags[i].value}}, 2);
        if (!t || json_array_append_new(a, t) != 0)
            return -1;
    }
    return 0;
}

/* POST/PATCH with a body built from pairs; the answer into out (may be NULL). */
static dbx_status call_obj(dbx_client *c, const char *method, const char *path, const kv *m, size_t n, int flags,
                           dbx__jdoc *out)
{
    json_t *body = obj_strs(m, n);
    if (!body)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    dbx_status st = rcall(c, method, path, body, flags, out);
    dbx__json_decref_deep(body);
    return st;
}

static dbx_status finish_version(dbx_model_version **out, dbx_client *c, dbx_registry_t r, dbx_status st,
                                 dbx__jdoc *doc, const char *key)
{
    if (st != DBX_OK)
        return st;
    if (!out) {
        dbx__jdoc_dispose(doc);
        return DBX_OK;
    }
    return version_from_doc(out, c, r, doc, key);
}

static dbx_status finish_model(dbx_registered_model **out, dbx_client *c, dbx_registry_t r, dbx_status st,
                               dbx__jdoc *doc, const char *key)
{
    if (st != DBX_OK)
        return st;
    if (!out) {
        dbx__jdoc_dispose(doc);
        return DBX_OK;
    }
    return model_from_doc(out, c, r, doc, key);
}

/* Split "c.s.m" (checked) into three parts in buf (NUL-separated). */
static void split3(const char *full, char *buf, size_t cap, const char **cat, const char **sch, const char **mod)
{
    snprintf(buf, cap, "%s", full);
    char *d1 = strchr(buf, '.');
    char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    *cat = buf;
    *sch = *mod = "";
    if (d1 && d2) {
        *d1 = *d2 = '\0';
        *sch = d1 + 1;
        *mod = d2 + 1;
    }
}

#define NAME_MAX_BYTES 1024

/* ---- registered models ------------------------------------------------------------------------ */

DBX_API dbx_status dbx_registry_model_create(dbx_registered_model **out, dbx_client *c, dbx_registry_t reg,
                                             const char *name, const dbx_registry_model_create_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    dbx_registry_t r;
    CHECK_MODEL(c, reg, name, &r);
    dbx_status st = check_options_version(c, __func__, o, o ? o->version : 0,
                                          DBX_REGISTRY_MODEL_CREATE_OPTIONS_VERSION);
    if (st != DBX_OK)
        return st;
    const char *desc = o ? o->description : NULL;
    DBX__CHECK_STR(c, desc);
    if (o && (st = check_tags(c, __func__, o->tags, o->n_tags)) != DBX_OK)
        return st;
    const char *storage = o ? o->storage_location : NULL;
    DBX__CHECK_STR(c, storage);
    dbx__jdoc doc;
    if (r == DBX_REGISTRY_WORKSPACE) {
        if (storage)
            return unsupported(c, __func__, r, "storage_location");
        json_t *body = obj_strs((kv[]){{"name", name}, {"description", desc}}, 2);
        if (!body || (o && put_tags(body, o->tags, o->n_tags) != 0)) {
            dbx__json_decref_deep(body);
            return dbx__fail(c, DBX_ENOMEM, "out of memory");
        }
        st = rcall(c, "POST", WS "/registered-models/create", body, 0, &doc);
        dbx__json_decref_deep(body);
        return finish_model(out, c, r, st, &doc, "registered_model");
    }
    if (strlen(name) >= NAME_MAX_BYTES)
        return dbx__fail(c, DBX_EINVAL, "%s: name is longer than %d bytes", __func__, NAME_MAX_BYTES - 1);
    char parts[NAME_MAX_BYTES];
    const char *cat, *sch, *mod;
    split3(name, parts, sizeof parts, &cat, &sch, &mod);
    st = call_obj(c, "POST", UCN,
                  (kv[]){{"catalog_name", cat}, {"schema_name", sch}, {"name", mod}, {"comment", desc},
                         {"storage_location", storage}},
                  5, 0, &doc);
    if (st != DBX_OK)
        return st;
    /* UC's native create takes no tags: the MLflow path sets them */
    for (size_t i = 0; o && i < o->n_tags; i++) {
        st = call_obj(c, "POST", UCL "/registered-models/set-tag",
                      (kv[]){{"name", name}, {"key", o->tags[i].key}, {"value", o->tags[i].value}}, 3,
                      DBX__CALL_IDEMPOTENT, NULL);
        if (st != DBX_OK) {
            dbx__jdoc_dispose(&doc);
            dbx__error_prefix("model %s was created, but setting tag '%s' failed: ", name, o->tags[i].key);
            return st;
        }
    }
    return finish_model(out, c, r, st, &doc, NULL);
}

DBX_API dbx_status dbx_registry_model_get(dbx_registered_model **out, dbx_client *c, dbx_registry_t reg,
                                          const char *name)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    dbx_registry_t r;
    CHECK_MODEL(c, reg, name, &r);
    dbx__jdoc doc;
    dbx_status st;
    if (r == DBX_REGISTRY_WORKSPACE) {
        st = call_q(c, "GET", WS "/registered-models/get", (kv[]){{"name", name}}, 1, NULL, DBX__CALL_IDEMPOTENT, &doc);
        return finish_model(out, c, r, st, &doc, "registered_model");
    }
    st = uc_call(c, "GET", name, NULL, NULL, "?include_aliases=true", NULL, DBX__CALL_IDEMPOTENT, &doc);
    return finish_model(out, c, r, st, &doc, NULL);
}

DBX_API dbx_status dbx_registry_model_rename(dbx_registered_model **out, dbx_client *c, dbx_registry_t reg,
                                             const char *name, const char *new_name)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    dbx_registry_t r;
    CHECK_MODEL(c, reg, name, &r);
    DBX__REQUIRE_STR(c, new_name);
    dbx__jdoc doc;
    dbx_status st;
    if (r == DBX_REGISTRY_WORKSPACE) {
        st = call_obj(c, "POST", WS "/registered-models/rename", (kv[]){{"name", name}, {"new_name", new_name}}, 2, 0,
                      &doc);
        return finish_model(out, c, r, st, &doc, "registered_model");
    }
    const char *leaf = new_name;
    if (strchr(new_name, '.')) {
        /* a full name: same catalog and schema only */
        const char *last = strrchr(name, '.');
        size_t prefix = (size_t)(last - name) + 1;
        if (!three_parts(new_name) || strncmp(new_name, name, prefix) != 0 || strchr(new_name + prefix, '.'))
            return dbx__fail(c, DBX_EINVAL,
                             "%s: new_name must be the new model name or a full name in the same catalog and "
                             "schema (Unity Catalog cannot move a model)",
                             __func__);
        leaf = new_name + prefix;
    }
    json_t *body = obj_strs((kv[]){{"new_name", leaf}}, 1);
    if (!body)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    st = uc_call(c, "PATCH", name, NULL, NULL, NULL, body, 0, &doc);
    dbx__json_decref_deep(body);
    return finish_model(out, c, r, st, &doc, NULL);
}

DBX_API dbx_status dbx_registry_model_update(dbx_registered_model **out, dbx_client *c, dbx_registry_t reg,
                                             const char *name, const char *description)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    dbx_registry_t r;
    CHECK_MODEL(c, reg, name, &r);
    DBX__REQUIRE_PTR(c, description);
    DBX__CHECK_STR(c, description);
    dbx__jdoc doc;
    dbx_status st;
    if (r == DBX_REGISTRY_WORKSPACE) {
        st = call_obj(c, "PATCH", WS "/registered-models/update", (kv[]){{"name", name}, {"description", description}},
                      2, DBX__CALL_IDEMPOTENT, &doc);
        return finish_model(out, c, r, st, &doc, "registered_model");
    }
    json_t *body = obj_strs((kv[]){{"comment", description}}, 1);
    if (!body)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    st = uc_call(c, "PATCH", name, NULL, NULL, NULL, body, DBX__CALL_IDEMPOTENT, &doc);
    dbx__json_decref_deep(body);
    return finish_model(out, c, r, st, &doc, NULL);
}

DBX_API dbx_status dbx_registry_model_delete(dbx_client *c, dbx_registry_t reg, const char *name)
{
    DBX__ENTER(c);
    dbx_registry_t r;
    CHECK_MODEL(c, reg, name, &r);
    if (r == DBX_REGISTRY_WORKSPACE)
        return call_q(c, "DELETE", WS "/registered-models/delete", (kv[]){{"name", name}}, 1, NULL,
                      DBX__CALL_IDEMPOTENT, NULL);
    return uc_call(c, "DELETE", name, NULL, NULL, NULL, NULL, DBX__CALL_IDEMPOTENT, NULL);
}

DBX_API dbx_status dbx_registry_model_set_tag(dbx_client *c, dbx_registry_t reg, const char *name, const char *key,
                                              const char *value)
{
    DBX__ENTER(c);
    dbx_registry_t r;
    CHECK_MODEL(c, reg, name, &r);
    DBX__REQUIRE_STR(c, key);
    DBX__REQUIRE_PTR(c, value);
    DBX__CHECK_STR(c, value);
    return call_obj(c, "POST", r == DBX_REGISTRY_UC ? UCL "/registered-models/set-tag" : WS "/registered-models/set-tag",
                    (kv[]){{"name", name}, {"key", key}, {"value", value}}, 3, DBX__CALL_IDEMPOTENT, NULL);
}

DBX_API dbx_status dbx_registry_model_delete_tag(dbx_client *c, dbx_registry_t reg, const char *name, const char *key)
{
    DBX__ENTER(c);
    dbx_registry_t r;
    CHECK_MODEL(c, reg, name, &r);
    DBX__REQUIRE_STR(c, key);
    return call_q(c, "DELETE",
                  r == DBX_REGISTRY_UC ? UCL "/registered-models/delete-tag" : WS "/registered-models/delete-tag",
                  (kv[]){{"name", name}, {"key", key}}, 2, NULL, DBX__CALL_IDEMPOTENT, NULL);
}

/* ---- iterators -------------------------------------------------------------------------------- */

struct dbx_registered_models_iter {
    dbx__iter *base;
    struct dbx_registered_model cur;
};

struct dbx_model_versions_iter {
    dbx__iter *base;
    struct dbx_model_version cur;
    int pending; /* cur holds an item whose full name could not be built yet (OOM) */
};

static int add_order_by(dbx__buf *q, const char *const *order_by)
{
    for (size_t i = 0; order_by && order_by[i] && i < 64; i++)
        if (dbx__query_add(q, "order_by", order_by[i]) != 0)
            return -1;
    return 0;
}

static dbx_status check_order_by(dbx_client *c, const char *func, const char *const *order_by)
{
    size_t i = 0;
    for (; order_by && order_by[i]; i++) {
        if (i >= 64)
            return dbx__fail(c, DBX_EINVAL, "%s: order_by has more than 64 entries (or no NULL end)", func);
        if (dbx__empty(order_by[i]) || !dbx__utf8_valid(order_by[i]))
            return dbx__fail(c, DBX_EINVAL, "%s: order_by[%zu] is empty or not valid UTF-8", func, i);
    }
    return DBX_OK;
}

DBX_API dbx_status dbx_registry_models_search(dbx_registered_models_iter **out, dbx_client *c, dbx_registry_t reg,
                                              const dbx_registry_models_search_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    if (reg < DBX_REGISTRY_DEFAULT || reg > DBX_REGISTRY_UC)
        return dbx__fail(c, DBX_EINVAL, "%s: registry %d is not a dbx_registry", __func__, (int)reg);
    dbx_status st = check_options_version(c, __func__, o, o ? o->version : 0,
                                          DBX_REGISTRY_MODELS_SEARCH_OPTIONS_VERSION);
    if (st != DBX_OK)
        return st;
    const char *filter = o ? o->filter : NULL, *cat = o ? o->catalog_name : NULL, *sch = o ? o->schema_name : NULL;
    DBX__CHECK_STR(c, filter);
    DBX__CHECK_STR(c, cat);
    DBX__CHECK_STR(c, sch);
    if ((st = check_order_by(c, __func__, o ? o->order_by : NULL)) != DBX_OK)
        return st;
    if (o && (o->page_size < 0 || o->max_items < 0))
        return dbx__fail(c, DBX_EINVAL, "%s: page_size and max_items must be >= 0", __func__);
    dbx_registry_t r = reg;
    if (r == DBX_REGISTRY_DEFAULT) {
        r = resolve(c, reg, NULL);
        if (!dbx__empty(cat) && dbx__empty(dbx__client_registry_uri(c)))
            r = DBX_REGISTRY_UC;
    }
    char small[512];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    if (r == DBX_REGISTRY_WORKSPACE) {
        if (!dbx__empty(cat) || !dbx__empty(sch)) {
            dbx__buf_dispose(&path);
            return unsupported(c, __func__, r, "catalog_name and schema_name");
        }
        dbx__buf_puts(&path, WS "/registered-models/search");
        if (!dbx__empty(filter))
            dbx__query_add(&path, "filter", filter);
        add_order_by(&path, o ? o->order_by : NULL);
    } else {
        if (!dbx__empty(filter) || (o && o->order_by && o->order_by[0])) {
            dbx__buf_dispose(&path);
            return unsupported(c, __func__, r, "filter and order_by");
        }
        if (dbx__empty(cat) != dbx__empty(sch)) {
            dbx__buf_dispose(&path);
            return dbx__fail(c, DBX_EINVAL, "%s: give both catalog_name and schema_name, or neither", __func__);
        }
        dbx__buf_puts(&path, UCN);
        if (!dbx__empty(cat)) {
            dbx__query_add(&path, "catalog_name", cat);
            dbx__query_add(&path, "schema_name", sch);
        }
    }
    if (path.oom) {
        dbx__buf_dispose(&path);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx_registered_models_iter *it = dbx__calloc(1, sizeof *it);
    if (!it) {
        dbx__buf_dispose(&path);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    it->base = dbx__iter_new(c, DBX__PAGE_TOKEN_QUERY, "GET", path.ptr, NULL, "registered_models", "max_results",
                             o ? o->page_size : 0, o ? o->max_items : 0);
    dbx__buf_dispose(&path);
    if (!it->base) {
        dbx__free(it);
        return DBX_ENOMEM;
    }
    it->base->pg.retry = dbx__mlflow_retry_policy(c); /* pages too go by the MLflow retry policy */
    atomic_init(&it->cur.v.text[0], NULL);
    atomic_init(&it->cur.v.text[1], NULL);
    atomic_init(&it->cur.v.jansson, NULL);
    it->cur.reg = r;
    *out = it;
    return DBX_OK;
}

DBX_API dbx_status dbx_registered_models_iter_next(const dbx_registered_model **item, dbx_registered_models_iter *it)
{
    if (item)
        *item = NULL;
    if (!item || !it)
        return dbx__fail(NULL, DBX_EINVAL, "item and iterator are required");
    dbx__view_clear(&it->cur.v);
    const dbx__view *v;
    dbx_status st = dbx__iter_next(it->base, &v);
    if (st != DBX_OK)
        return st;
    if (!dbx__jv_is_object(v->v) || dbx__empty(dbx__jv_get_str(v->v, "name", NULL)))
        return dbx__fail_answer(it->base->pg.client, DBX_EBADRESPONSE, "model registry: a listed model has no name");
    it->cur.v.v = v->v;
    *item = &it->cur;
    return DBX_OK;
}

DBX_API void dbx_registered_models_iter_free(dbx_registered_models_iter *it)
{
    if (!it)
        return;
    dbx__view_clear(&it->cur.v);
    dbx__iter_free(it->base);
    dbx__free(it);
}

static dbx_status versions_iter(dbx_model_versions_iter **out, dbx_client *c, dbx_registry_t r, dbx__page_style style,
                                const char *method, const char *path, json_t *body, const char *size_param,
                                int page_size, long max_items)
{
    dbx_model_versions_iter *it = dbx__calloc(1, sizeof *it);
    if (!it) {
        dbx__json_decref_deep(body);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    it->base = dbx__iter_new(c, style, method, path, body, "model_versions", size_param, page_size, max_items);
    if (!it->base) {
        dbx__free(it);
        return DBX_ENOMEM;
    }
    it->base->pg.retry = dbx__mlflow_retry_policy(c); /* pages too go by the MLflow retry policy */
    atomic_init(&it->cur.v.text[0], NULL);
    atomic_init(&it->cur.v.text[1], NULL);
    atomic_init(&it->cur.v.jansson, NULL);
    it->cur.reg = r;
    *out = it;
    return DBX_OK;
}

/* Append name = '<name>' with quotes and backslashes escaped as MLflow's
 * search grammar reads them. */
static void put_name_filter(dbx__buf *b, const char *name)
{
    dbx__buf_puts(b, "name = '");
    for (const char *p = name; *p; p++) {
        if (*p == '\'' || *p == '\\')
            dbx__buf_putc(b, '\\');
        dbx__buf_putc(b, *p);
    }
    dbx__buf_putc(b, '\'');
}

DBX_API dbx_status dbx_registry_versions_search(dbx_model_versions_iter **out, dbx_client *c, dbx_registry_t reg,
                                                const char *name, const dbx_registry_versions_search_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    dbx_status st = check_options_version(c, __func__, o, o ? o->version : 0,
                                          DBX_REGISTRY_VERSIONS_SEARCH_OPTIONS_VERSION);
    if (st != DBX_OK)
        return st;
    const char *filter = o ? o->filter : NULL;
    DBX__CHECK_STR(c, filter);
    if ((st = check_order_by(c, __func__, o ? o->order_by : NULL)) != DBX_OK)
        return st;
    if (o && (o->page_size < 0 || o->max_items < 0))
        return dbx__fail(c, DBX_EINVAL, "%s: page_size and max_items must be >= 0", __func__);
    dbx_registry_t r;
    if (name) {
        CHECK_MODEL(c, reg, name, &r);
    } else {
        if (reg < DBX_REGISTRY_DEFAULT || reg > DBX_REGISTRY_UC)
            return dbx__fail(c, DBX_EINVAL, "%s: registry %d is not a dbx_registry", __func__, (int)reg);
        r = resolve(c, reg, NULL);
        if (r == DBX_REGISTRY_UC)
            return dbx__fail(c, DBX_EINVAL, "%s: name is required in the Unity Catalog registry", __func__);
    }
    char small[512];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    if (r == DBX_REGISTRY_WORKSPACE) {
        dbx__buf f = DBX__BUF_INIT;
        if (name)
            put_name_filter(&f, name);
        if (!dbx__empty(filter)) {
            if (name)
                dbx__buf_puts(&f, " AND ");
            dbx__buf_puts(&f, filter);
        }
        dbx__buf_puts(&path, WS "/model-versions/search");
        if (f.oom)
            path.oom = 1;
        else if (f.len)
            dbx__query_add(&path, "filter", f.ptr);
        dbx__buf_dispose(&f);
        add_order_by(&path, o ? o->order_by : NULL);
    } else {
        if (!dbx__empty(filter) || (o && o->order_by && o->order_by[0])) {
            dbx__buf_dispose(&path);
            return unsupported(c, __func__, r, "filter and order_by");
        }
        uc_path(&path, name, "/versions", NULL);
    }
    if (path.oom) {
        dbx__buf_dispose(&path);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    st = versions_iter(out, c, r, DBX__PAGE_TOKEN_QUERY, "GET", path.ptr, NULL, "max_results", o ? o->page_size : 0,
                       o ? o->max_items : 0);
    dbx__buf_dispose(&path);
    return st;
}

DBX_API dbx_status dbx_registry_versions_latest(dbx_model_versions_iter **out, dbx_client *c, dbx_registry_t reg,
                                                const char *name, const char *const *stage_list)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    dbx_registry_t r;
    CHECK_MODEL(c, reg, name, &r);
    if (r == DBX_REGISTRY_UC)
        return unsupported(c, __func__, r, "latest versions per stage (UC has no stages)");
    json_t *body = obj_strs((kv[]){{"name", name}}, 1);
    json_t *arr = NULL;
    for (size_t i = 0; stage_list && stage_list[i]; i++) {
        const char *s = i < 16 ? stage_canonical(stage_list[i]) : NULL;
        if (!s) {
            dbx__json_decref_deep(body);
            return dbx__fail(c, DBX_EINVAL,
                             i < 16 ? "%s: stages[%zu] is not None, Staging, Production or Archived"
                                    : "%s: stages has more than %zu entries (or no NULL end)",
                             __func__, i < 16 ? i : (size_t)16);
        }
        if (!arr && body && (!(arr = json_array()) || json_object_set_new(body, "stages", arr) != 0)) {
            dbx__json_decref_deep(body);
            return dbx__fail(c, DBX_ENOMEM, "out of memory");
        }
        if (arr && json_array_append_new(arr, json_string(s)) != 0) {
            dbx__json_decref_deep(body);
            return dbx__fail(c, DBX_ENOMEM, "out of memory");
        }
    }
    if (!body)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    /* one answer, no token: the pager stops after it */
    return versions_iter(out, c, r, DBX__PAGE_TOKEN_BODY, "POST", WS "/registered-models/get-latest-versions", body,
                         NULL, 0, 0);
}

DBX_API dbx_status dbx_model_versions_iter_next(const dbx_model_version **item, dbx_model_versions_iter *it)
{
    if (item)
        *item = NULL;
    if (!item || !it)
        return dbx__fail(NULL, DBX_EINVAL, "item and iterator are required");
    dbx_client *c = it->base->pg.client;
    if (!it->pending) {
        dbx__view_clear(&it->cur.v);
        dbx__free(it->cur.full);
        it->cur.full = NULL;
        const dbx__view *v;
        dbx_status st = dbx__iter_next(it->base, &v);
        if (st != DBX_OK)
            return st;
        if (!dbx__jv_is_object(v->v) || version_of(v->v) < 1)
            return dbx__fail_answer(c, DBX_EBADRESPONSE, "model registry: a listed model version's 'version' is "
                                                         "missing or not a positive integer");
        it->cur.v.v = v->v;
    } else {
        dbx__error_clear(c);
    }
    if (version_index(&it->cur) != 0) {
        it->pending = 1; /* the next call indexes the same item again: none skipped */
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    it->pending = 0;
    *item = &it->cur;
    return DBX_OK;
}

DBX_API void dbx_model_versions_iter_free(dbx_model_versions_iter *it)
{
    if (!it)
        return;
    dbx__view_clear(&it->cur.v);
    dbx__free(it->cur.full);
    dbx__iter_free(it->base);
    dbx__free(it);
}

/* ---- model versions --------------------------------------------------------------------------- */

#define VSTR(buf, v) snprintf((buf), sizeof(buf), "%lld", (long long)(v))

DBX_API dbx_status dbx_registry_version_create(dbx_model_version **out, dbx_client *c, dbx_registry_t reg,
                                               const char *name, const char *source,
                                               const dbx_registry_version_create_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    dbx_registry_t r;
    CHECK_MODEL(c, reg, name, &r);
    DBX__REQUIRE_STR(c, source);
    dbx_status st = check_options_version(c, __func__, o, o ? o->version : 0,
                                          DBX_REGISTRY_VERSION_CREATE_OPTIONS_VERSION);
    if (st != DBX_OK)
        return st;
    const char *run_id = o ? o->run_id : NULL, *desc = o ? o->description : NULL, *run_link = o ? o->run_link : NULL;
    DBX__CHECK_STR(c, run_id);
    DBX__CHECK_STR(c, desc);
    DBX__CHECK_STR(c, run_link);
    if (o && (st = check_tags(c, __func__, o->tags, o->n_tags)) != DBX_OK)
        return st;
    if (r == DBX_REGISTRY_UC && run_link)
        return unsupported(c, __func__, r, "run_link");
    json_t *body = obj_strs((kv[]){{"name", name}, {"source", source}, {"run_id", run_id}, {"description", desc},
                                   {"run_link", run_link}},
                            5);
    if (!body || (o && put_tags(body, o->tags, o->n_tags) != 0)) {
        dbx__json_decref_deep(body);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx__jdoc doc;
    st = rcall(c, "POST", r == DBX_REGISTRY_UC ? UCL "/model-versions/create" : WS "/model-versions/create", body, 0,
               &doc);
    dbx__json_decref_deep(body);
    return finish_version(out, c, r, st, &doc, "model_version");
}

/* GET the version through the registry's path. */
static dbx_status version_get(dbx_model_version **out, dbx_client *c, dbx_registry_t r, const char *name,
                              int64_t version)
{
    char vs[24];
    VSTR(vs, version);
    dbx__jdoc doc;
    dbx_status st;
    if (r == DBX_REGISTRY_WORKSPACE) {
        st = call_q(c, "GET", WS "/model-versions/get", (kv[]){{"name", name}, {"version", vs}}, 2, NULL,
                    DBX__CALL_IDEMPOTENT, &doc);
        return finish_version(out, c, r, st, &doc, "model_version");
    }
    st = uc_call(c, "GET", name, "/versions", vs, "?include_aliases=true", NULL, DBX__CALL_IDEMPOTENT, &doc);
    return finish_version(out, c, r, st, &doc, NULL);
}

DBX_API dbx_status dbx_registry_version_get(dbx_model_version **out, dbx_client *c, dbx_registry_t reg,
                                            const char *name, int64_t version)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    dbx_registry_t r;
    CHECK_MODEL(c, reg, name, &r);
    CHECK_VERSION(c, version);
    return version_get(out, c, r, name, version);
}

DBX_API dbx_status dbx_registry_version_update(dbx_model_version **out, dbx_client *c, dbx_registry_t reg,
                                               const char *name, int64_t version, const char *description)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    dbx_registry_t r;
    CHECK_MODEL(c, reg, name, &r);
    CHECK_VERSION(c, version);
    DBX__REQUIRE_PTR(c, description);
    DBX__CHECK_STR(c, description);
    char vs[24];
    VSTR(vs, version);
    dbx__jdoc doc;
    dbx_status st;
    if (r == DBX_REGISTRY_WORKSPACE) {
        st = call_obj(c, "PATCH", WS "/model-versions/update",
                      (kv[]){{"name", name}, {"version", vs}, {"description", description}}, 3, DBX__CALL_IDEMPOTENT,
                      &doc);
        return finish_version(out, c, r, st, &doc, "model_version");
    }
    json_t *body = obj_strs((kv[]){{"comment", description}}, 1);
    if (!body)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    st = uc_call(c, "PATCH", name, "/versions", vs, NULL, body, DBX__CALL_IDEMPOTENT, &doc);
    dbx__json_decref_deep(body);
    return finish_version(out, c, r, st, &doc, NULL);
}

DBX_API dbx_status dbx_registry_version_delete(dbx_client *c, dbx_registry_t reg, const char *name, int64_t version)
{
    DBX__ENTER(c);
    dbx_registry_t r;
    CHECK_MODEL(c, reg, name, &r);
    CHECK_VERSION(c, version);
    char vs[24];
    VSTR(vs, version);
    if (r == DBX_REGISTRY_WORKSPACE)
        return call_q(c, "DELETE", WS "/model-versions/delete", (kv[]){{"name", name}, {"version", vs}}, 2, NULL,
                      DBX__CALL_IDEMPOTENT, NULL);
    return uc_call(c, "DELETE", name, "/versions", vs, NULL, NULL, DBX__CALL_IDEMPOTENT, NULL);
}

DBX_API dbx_status dbx_registry_version_transition_stage(dbx_model_version **out, dbx_client *c, dbx_registry_t reg,
                                                         const char *name, int64_t version, const char *stage,
                                                         int archive_existing_versions, const char *comment)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    dbx_registry_t r;
    CHECK_MODEL(c, reg, name, &r);
    CHECK_VERSION(c, version);
    if (r == DBX_REGISTRY_UC)
        return unsupported(c, __func__, r, "stage transitions (UC has no stages; use aliases)");
    DBX__REQUIRE_STR(c, stage);
    DBX__CHECK_STR(c, comment);
    const char *canon = stage_canonical(stage);
    if (!canon)
        return dbx__fail(c, DBX_EINVAL, "%s: stage '%.40s' is not None, Staging, Production or Archived", __func__,
                         stage);
    char vs[24];
    VSTR(vs, version);
    json_t *body = obj_strs((kv[]){{"name", name}, {"version", vs}, {"stage", canon}, {"comment", comment}}, 4);
    if (!body || json_object_set_new(body, "archive_existing_versions", json_boolean(archive_existing_versions)) != 0) {
        dbx__json_decref_deep(body);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx__jdoc doc;
    dbx_status st = rcall(c, "POST", WS "/databricks/model-versions/transition-stage", body, 0, &doc);
    dbx__json_decref_deep(body);
    return finish_version(out, c, r, st, &doc, "model_version_databricks|model_version");
}

DBX_API dbx_status dbx_registry_version_download_uri(char **out, dbx_client *c, dbx_registry_t reg, const char *name,
                                                     int64_t version)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    dbx_registry_t r;
    CHECK_MODEL(c, reg, name, &r);
    CHECK_VERSION(c, version);
    char vs[24];
    VSTR(vs, version);
    dbx__jdoc doc;
    dbx_status st = call_q(c, "GET",
                           r == DBX_REGISTRY_UC ? UCL "/model-versions/get-download-uri"
                                                : WS "/model-versions/get-download-uri",
                           (kv[]){{"name", name}, {"version", vs}}, 2, NULL, DBX__CALL_IDEMPOTENT, &doc);
    if (st != DBX_OK)
        return st;
    const char *uri = dbx__jv_get_str(dbx__jdoc_root(&doc), "artifact_uri", NULL);
    if (dbx__empty(uri)) {
        dbx__jdoc_dispose(&doc);
        return dbx__fail_answer(c, DBX_EBADRESPONSE, "get-download-uri: response has no artifact_uri");
    }
    *out = dbx__strdup(uri);
    dbx__jdoc_dispose(&doc);
    return *out ? DBX_OK : dbx__fail(c, DBX_ENOMEM, "out of memory");
}

DBX_API dbx_status dbx_registry_version_set_tag(dbx_client *c, dbx_registry_t reg, const char *name, int64_t version,
                                                const char *key, const char *value)
{
    DBX__ENTER(c);
    dbx_registry_t r;
    CHECK_MODEL(c, reg, name, &r);
    CHECK_VERSION(c, version);
    DBX__REQUIRE_STR(c, key);
    DBX__REQUIRE_PTR(c, value);
    DBX__CHECK_STR(c, value);
    char vs[24];
    VSTR(vs, version);
    return call_obj(c, "POST", r == DBX_REGISTRY_UC ? UCL "/model-versions/set-tag" : WS "/model-versions/set-tag",
                    (kv[]){{"name", name}, {"version", vs}, {"key", key}, {"value", value}}, 4, DBX__CALL_IDEMPOTENT,
                    NULL);
}

DBX_API dbx_status dbx_registry_version_delete_tag(dbx_client *c, dbx_registry_t reg, const char *name, int64_t version,
                                                   const char *key)
{
    DBX__ENTER(c);
    dbx_registry_t r;
    CHECK_MODEL(c, reg, name, &r);
    CHECK_VERSION(c, version);
    DBX__REQUIRE_STR(c, key);
    char vs[24];
    VSTR(vs, version);
    return call_q(c, "DELETE", r == DBX_REGISTRY_UC ? UCL "/model-versions/delete-tag" : WS "/model-versions/delete-tag",
                  (kv[]){{"name", name}, {"version", vs}, {"key", key}}, 3, NULL, DBX__CALL_IDEMPOTENT, NULL);
}

static dbx_status finalize(dbx_model_version **out, dbx_client *c, const char *name, int64_t version)
{
    char vs[24];
    VSTR(vs, version);
    dbx__jdoc doc;
    dbx_status st = call_obj(c, "POST", UCL "/model-versions/finalize", (kv[]){{"name", name}, {"version", vs}}, 2,
                             DBX__CALL_IDEMPOTENT, &doc);
    return finish_version(out, c, DBX_REGISTRY_UC, st, &doc, "model_version");
}

DBX_API dbx_status dbx_registry_version_finalize(dbx_model_version **out, dbx_client *c, dbx_registry_t reg,
                                                 const char *name, int64_t version)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    dbx_registry_t r;
    CHECK_MODEL(c, reg, name, &r);
    CHECK_VERSION(c, version);
    if (r == DBX_REGISTRY_WORKSPACE)
        return unsupported(c, __func__, r, "finalize (the workspace registry copies the files itself)");
    return finalize(out, c, name, version);
}

/* ---- waiter ----------------------------------------------------------------------------------- */

typedef struct wait_ctx {
    dbx_client *c;
    dbx_registry_t r;
    const char *name;
    int64_t version;
    dbx_model_version *last;
} wait_ctx;

static dbx_status poll_version(void *vctx, dbx__poll_result *res, const char **state)
{
    wait_ctx *w = vctx;
    dbx_model_version *mv = NULL;
    dbx_status st = version_get(&mv, w->c, w->r, w->name, w->version);
    if (st != DBX_OK)
        return st;
    dbx_model_version_free(w->last);
    w->last = mv;
    *state = dbx_model_version_status_str(mv);
    dbx_model_version_status_t s = dbx_model_version_status(mv);
    if (s == DBX_MODEL_VERSION_STATUS_READY) {
        *res = DBX__POLL_DONE;
        return DBX_OK;
    }
    if (s == DBX_MODEL_VERSION_STATUS_FAILED_REGISTRATION) {
        const char *msg = dbx_model_version_status_message(mv);
        dbx__fail(w->c, DBX_ESTATE, "model %s version %lld is FAILED_REGISTRATION%s%.1000s", w->name,
                  (long long)w->version, *msg ? ": " : "", msg);
        return DBX_ESTATE;
    }
    *res = DBX__POLL_CONTINUE;
    return DBX_OK;
}

static dbx_status wait_ready(dbx_model_version **out, dbx_client *c, dbx_registry_t r, const char *name,
                             int64_t version, const dbx_wait_options *opts)
{
    wait_ctx w = {c, r, name, version, NULL};
    char id[NAME_MAX_BYTES + 32];
    snprintf(id, sizeof id, "%s/%lld", name, (long long)version);
    char what[NAME_MAX_BYTES + 64];
    snprintf(what, sizeof what, "model %.*s version %lld to be READY", NAME_MAX_BYTES, name, (long long)version);
    dbx_status st = dbx__wait(c, id, what, opts, poll_version, &w);
    if (out)
        *out = w.last;
    else
        dbx_model_version_free(w.last);
    return st;
}

DBX_API dbx_status dbx_registry_version_wait_ready(dbx_model_version **out, dbx_client *c, dbx_registry_t reg,
                                                   const char *name, int64_t version, const dbx_wait_options *opts)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    dbx_registry_t r;
    CHECK_MODEL(c, reg, name, &r);
    CHECK_VERSION(c, version);
    if (strlen(name) >= NAME_MAX_BYTES)
        return dbx__fail(c, DBX_EINVAL, "%s: name is longer than %d bytes", __func__, NAME_MAX_BYTES - 1);
    return wait_ready(out, c, r, name, version, opts);
}

/* ---- aliases ---------------------------------------------------------------------------------- */

DBX_API dbx_status dbx_registry_alias_set(dbx_client *c, dbx_registry_t reg, const char *name, const char *alias,
                                          int64_t version)
{
    DBX__ENTER(c);
    dbx_registry_t r;
    CHECK_MODEL(c, reg, name, &r);
    dbx_status st = check_alias(c, __func__, alias);
    if (st != DBX_OK)
        return st;
    CHECK_VERSION(c, version);
    if (r == DBX_REGISTRY_WORKSPACE) {
        char vs[24];
        VSTR(vs, version);
        return call_obj(c, "POST", WS "/registered-models/alias",
                        (kv[]){{"name", name}, {"alias", alias}, {"version", vs}}, 3, DBX__CALL_IDEMPOTENT, NULL);
    }
    json_t *body = json_object();
    if (!body || dbx__json_set_int(body, "version_num", version) != 0) {
        dbx__json_decref_deep(body);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    st = uc_call(c, "PUT", name, "/aliases", alias, NULL, body, DBX__CALL_IDEMPOTENT, NULL);
    dbx__json_decref_deep(body);
    return st;
}

DBX_API dbx_status dbx_registry_alias_delete(dbx_client *c, dbx_registry_t reg, const char *name, const char *alias)
{
    DBX__ENTER(c);
    dbx_registry_t r;
    CHECK_MODEL(c, reg, name, &r);
    dbx_status st = check_alias(c, __func__, alias);
    if (st != DBX_OK)
        return st;
    if (r == DBX_REGISTRY_WORKSPACE)
        return call_q(c, "DELETE", WS "/registered-models/alias", (kv[]){{"name", name}, {"alias", alias}}, 2, NULL,
                      DBX__CALL_IDEMPOTENT, NULL);
    return uc_call(c, "DELETE", name, "/aliases", alias, NULL, NULL, DBX__CALL_IDEMPOTENT, NULL);
}

DBX_API dbx_status dbx_registry_version_get_by_alias(dbx_model_version **out, dbx_client *c, dbx_registry_t reg,
                                                     const char *name, const char *alias)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    dbx_registry_t r;
    CHECK_MODEL(c, reg, name, &r);
    dbx_status st = check_alias(c, __func__, alias);
    if (st != DBX_OK)
        return st;
    dbx__jdoc doc;
    if (r == DBX_REGISTRY_WORKSPACE) {
        st = call_q(c, "GET", WS "/registered-models/alias", (kv[]){{"name", name}, {"alias", alias}}, 2, NULL,
                    DBX__CALL_IDEMPOTENT, &doc);
        return finish_version(out, c, r, st, &doc, "model_version");
    }
    st = uc_call(c, "GET", name, "/aliases", alias, "?include_aliases=true", NULL, DBX__CALL_IDEMPOTENT, &doc);
    return finish_version(out, c, r, st, &doc, NULL);
}

/* ---- UC registration -------------------------------------------------------------------------- */

static int blank(char ch) { return ch == ' ' || ch == '\t'; }

/* The value after "key:" on a line: NULL when the line is not that key. */
static const char *key_value(const char *p, const char *end, const char *key)
{
    size_t k = strlen(key);
    if ((size_t)(end - p) < k + 1 || memcmp(p, key, k) != 0 || p[k] != ':')
        return NULL;
    p += k + 1;
    while (p < end && blank(*p))
        p++;
    return p;
}

/* A scalar that says "nothing": empty, null, ~, '' or "" (up to a comment). */
static int empty_value(const char *p, const char *end)
{
    while (end > p && blank(end[-1]))
        end--;
    if (end <= p)
        return 1;
    const char *hash = memchr(p, '#', (size_t)(end - p));
    if (hash && (hash == p || blank(hash[-1])))
        end = hash;
    while (end > p && blank(end[-1]))
        end--;
    size_t n = (size_t)(end - p);
    return n == 0 || (n == 4 && memcmp(p, "null", 4) == 0) || (n == 1 && *p == '~') ||
           (n == 2 && (memcmp(p, "''", 2) == 0 || memcmp(p, "\"\"", 2) == 0));
}

static int has_word(const char *p, const char *end, const char *w)
{
    size_t k = strlen(w);
    for (; (size_t)(end - p) >= k; p++)
        if (memcmp(p, w, k) == 0)
            return 1;
    return 0;
}

int dbx__registry_mlmodel_check(const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    int in_sig = 0, found_sig = 0, inputs = 0, outputs = 0;
    long sig_indent = -1;
    int *pending = NULL; /* a key with an empty value: the next deeper line gives it content */
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end;
        const char *next = eol ? eol + 1 : end;
        if (le > p && le[-1] == '\r')
            le--;
        const char *q = p;
        while (q < le && blank(*q))
            q++;
        long indent = (long)(q - p);
        p = next;
        if (q == le || *q == '#')
            continue;
        if (pending) {
            if (indent > sig_indent && (*q != '-' || indent >= sig_indent))
                *pending = 1;
            pending = NULL;
        }
        if (indent == 0) {
            if (in_sig)
                break; /* the signature block ended */
            const char *v = key_value(q, le, "signature");
            if (!v)
                continue;
            found_sig = 1;
            if (v == le || *v == '#') {
                in_sig = 1; /* a block on the next lines */
                continue;
            }
            if (empty_value(v, le))
                return -1; /* signature: null */
            /* flow style on one line: {inputs: ..., outputs: ...} */
            inputs = has_word(v, le, "inputs");
            outputs = has_word(v, le, "outputs");
            break;
        }
        if (!in_sig)
            continue;
        if (sig_indent < 0)
            sig_indent = indent;
        if (indent != sig_indent)
            continue;
        int *flag = NULL;
        const char *v = key_value(q, le, "inputs");
        if (v)
            flag = &inputs;
        else if ((v = key_value(q, le, "outputs")) != NULL)
            flag = &outputs;
        if (!flag)
            continue;
        if (v == le || *v == '#' || *v == '|' || *v == '>')
            pending = flag; /* block value on the next lines */
        else if (!empty_value(v, le))
            *flag = 1;
    }
    if (!found_sig)
        return -1;
    if (!inputs)
        return -2;
    return outputs ? 0 : -3;
}

#define MLMODEL_MAX (1024 * 1024)
#define MAX_FILES 100000
#define MAX_REL 4096

/* Read <dir>/MLmodel (at most 1 MiB) and check its signature. */
static dbx_status check_mlmodel(dbx_client *c, const char *func, const char *dir)
{
    char *path = dbx__sprintf("%s/MLmodel", dir);
    if (!path)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    FILE *f = fopen(path, "rb");
    dbx__free(path);
    if (!f)
        return dbx__fail(c, DBX_EINVAL,
                         "%s: '%.300s' has no MLmodel file (%s): Unity Catalog registers MLflow model directories "
                         "and requires a model signature in MLmodel",
                         func, dir, strerror(errno));
    char *buf = dbx__malloc(MLMODEL_MAX + 1);
    if (!buf) {
        fclose(f);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    size_t n = fread(buf, 1, MLMODEL_MAX + 1, f);
    int err = ferror(f);
    fclose(f);
    if (err || n > MLMODEL_MAX) {
        dbx__free(buf);
        return dbx__fail(c, DBX_EINVAL, "%s: %s/MLmodel %s", func, dir,
                         err ? "could not be read" : "is larger than 1 MiB");
    }
    int rc = dbx__registry_mlmodel_check(buf, n);
    dbx__free(buf);
    if (rc == 0)
        return DBX_OK;
    static const char *const why[] = {"", "has no 'signature:'", "has a signature without 'inputs'",
                                      "has a signature without 'outputs'"};
    return dbx__fail(c, DBX_EINVAL,
                     "%s: %.300s/MLmodel %s: Unity Catalog requires a model signature with inputs and outputs "
                     "(log the model with a signature, e.g. mlflow's infer_signature)",
                     func, dir, why[-rc]);
}

typedef struct file_list {
    char **rel;
    int64_t *size;
    size_t n, cap, cap2;
} file_list;

static void file_list_free(file_list *fl)
{
    for (size_t i = 0; i < fl->n; i++)
        dbx__free(fl->rel[i]);
    dbx__free(fl->rel);
    dbx__free(fl->size);
    memset(fl, 0, sizeof *fl);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Every regular file under dir, as paths relative to it ('/'-separated),
 * breadth-first with sorted names; symbolic links and special files are
 * skipped. No recursion: a queue of relative directory paths. */
static dbx_status collect_files(dbx_client *c, const char *func, const char *dir, file_list *out)
{
    memset(out, 0, sizeof *out);
    char **queue = NULL;
    size_t qn = 0, qcap = 0, qi = 0;
    dbx_status st = DBX_OK;
    char **names = NULL;
    size_t nn = 0, ncap = 0;
    dbx__buf full = DBX__BUF_INIT;
    /* the root is "" */
    if (!(queue = dbx__array_grow(NULL, NULL, 0, &qcap, 1, sizeof *queue)) || !(queue[0] = dbx__strdup(""))) {
        dbx__free(queue);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    qn = 1;
    for (; qi < qn && st == DBX_OK; qi++) {
        const char *rel = queue[qi];
        dbx__buf_clear(&full);
        dbx__buf_printf(&full, "%s%s%s", dir, *rel ? "/" : "", rel);
        if (full.oom) {
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
            break;
        }
        DIR *d = opendir(full.ptr);
        if (!d) {
            st = dbx__fail(c, errno == ENOENT && !*rel ? DBX_EINVAL : DBX_ERROR,
                           "%s: cannot read local directory '%.300s': %s", func, full.ptr, strerror(errno));
            break;
        }
        nn = 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            if (nn == ncap) {
                char **g = dbx__array_grow(names, NULL, nn, &ncap, nn + 1, sizeof *g);
                if (!g) {
                    st = DBX_ENOMEM;
                    break;
                }
                names = g;
            }
            if (!(names[nn] = dbx__strdup(de->d_name))) {
                st = DBX_ENOMEM;
                break;
            }
            nn++;
        }
        closedir(d);
        if (st != DBX_OK) {
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
            break;
        }
        if (nn)
            qsort(names, nn, sizeof *names, by_name);
        for (size_t i = 0; i < nn && st == DBX_OK; i++) {
            size_t ln = strlen(names[i]);
            if (!dbx__local_name_safe(names[i], ln) || !dbx__utf8_valid(names[i])) {
                st = dbx__fail(c, DBX_EINVAL, "%s: local file name '%.100s' in '%.300s' cannot be uploaded "
                               "(control characters, '\\' or invalid UTF-8)", func, names[i], full.ptr);
                break;
            }
            char *r = dbx__sprintf("%s%s%s", rel, *rel ? "/" : "", names[i]);
            char *fp = dbx__sprintf("%s%s%s", dir, "/", r ? r : "");
            struct stat sb;
            if (!r || !fp) {
                dbx__free(r);
                dbx__free(fp);
                st = dbx__fail(c, DBX_ENOMEM, "out of memory");
                break;
            }
            if (strlen(r) > MAX_REL) {
                dbx__free(r);
                dbx__free(fp);
                st = dbx__fail(c, DBX_EINVAL, "%s: a path under '%.300s' is longer than %d bytes", func, dir, MAX_REL);
                break;
            }
            int ok = lstat(fp, &sb) == 0;
            dbx__free(fp);
            if (ok && S_ISDIR(sb.st_mode)) {
                char **g = qn == qcap ? dbx__array_grow(queue, NULL, qn, &qcap, qn + 1, sizeof *g) : queue;
                if (!g) {
                    dbx__free(r);
                    st = dbx__fail(c, DBX_ENOMEM, "out of memory");
                    break;
                }
                queue = g;
                queue[qn++] = r;
            } else if (ok && S_ISREG(sb.st_mode)) {
                if (out->n >= MAX_FILES) {
                    dbx__free(r);
                    st = dbx__fail(c, DBX_EINVAL, "%s: '%.300s' holds more than %d files", func, dir, MAX_FILES);
                    break;
                }
                char **g = out->n == out->cap ? dbx__array_grow(out->rel, NULL, out->n, &out->cap, out->n + 1, sizeof *g)
                                              : out->rel;
                int64_t *s = g && out->n == out->cap2
                                 ? dbx__array_grow(out->size, NULL, out->n, &out->cap2, out->n + 1, sizeof *s)
                                 : out->size;
                if (g)
                    out->rel = g;
                if (s)
                    out->size = s;
                if (!g || !s) {
                    dbx__free(r);
                    st = dbx__fail(c, DBX_ENOMEM, "out of memory");
                    break;
                }
                out->rel[out->n] = r;
                out->size[out->n] = (int64_t)sb.st_size;
                out->n++;
            } else {
                dbx__free(r); /* symbolic link, socket, vanished, ...: skipped */
            }
        }
        for (size_t i = 0; i < nn; i++)
            dbx__free(names[i]);
        nn = 0;
    }
    for (size_t i = 0; i < nn; i++)
        dbx__free(names[i]);
    dbx__free(names);
    for (size_t i = 0; i < qn; i++)
        dbx__free(queue[i]);
    dbx__free(queue);
    dbx__buf_dispose(&full);
    if (st != DBX_OK)
        file_list_free(out);
    return st;
}

DBX_API dbx_status dbx_registry_register_uc_version(dbx_model_version **out, int64_t *version, dbx_client *c,
                                                    const char *name, const char *local_dir,
                                                    const dbx_registry_register_options *o)
{
    if (out)
        *out = NULL;
    if (version)
        *version = 0;
    DBX__ENTER(c);
    dbx_registry_t r;
    CHECK_MODEL(c, DBX_REGISTRY_UC, name, &r);
    DBX__REQUIRE_STR(c, local_dir);
    dbx_status st = check_options_version(c, __func__, o, o ? o->version : 0, DBX_REGISTRY_REGISTER_OPTIONS_VERSION);
    if (st != DBX_OK)
        return st;
    const char *source = o ? o->source : NULL, *run_id = o ? o->run_id : NULL, *desc = o ? o->description : NULL;
    DBX__CHECK_STR(c, source);
    DBX__CHECK_STR(c, run_id);
    DBX__CHECK_STR(c, desc);
    if (o && (st = check_tags(c, __func__, o->tags, o->n_tags)) != DBX_OK)
        return st;
    if (strlen(name) >= NAME_MAX_BYTES)
        return dbx__fail(c, DBX_EINVAL, "%s: name is longer than %d bytes", __func__, NAME_MAX_BYTES - 1);
    /* 0. local checks, before any request */
    if ((st = check_mlmodel(c, __func__, local_dir)) != DBX_OK)
        return st;
    file_list fl;
    if ((st = collect_files(c, __func__, local_dir, &fl)) != DBX_OK)
        return st;
    char *src_owned = NULL;
    if (dbx__empty(source)) {
        if (!dbx__empty(run_id)) {
            src_owned = dbx__sprintf("runs:/%s/model", run_id);
        } else {
            char *abs = realpath(local_dir, NULL);
            src_owned = dbx__sprintf("file://%s", abs ? abs : local_dir);
            free(abs);
        }
        if (!src_owned) {
            file_list_free(&fl);
            return dbx__fail(c, DBX_ENOMEM, "out of memory");
        }
        source = src_owned;
    }
    dbx_model_version *mv = NULL;
    int64_t v = 0;
    char parts[NAME_MAX_BYTES];
    const char *cat, *sch, *mod;
    split3(name, parts, sizeof parts, &cat, &sch, &mod);
    dbx__buf remote = DBX__BUF_INIT;
    /* 1. the model */
    if (o && o->create_model) {
        dbx__jdoc doc;
        st = uc_call(c, "GET", name, NULL, NULL, NULL, NULL, DBX__CALL_IDEMPOTENT, &doc);
        if (st == DBX_OK) {
            dbx__jdoc_dispose(&doc);
        } else if (st == DBX_ENOTFOUND) {
            dbx__error_clear(c);
            st = call_obj(c, "POST", UCN, (kv[]){{"catalog_name", cat}, {"schema_name", sch}, {"name", mod}}, 3, 0,
                          NULL);
            if (st == DBX_EEXISTS) { /* created meanwhile by someone else: fine */
                dbx__error_clear(c);
                st = DBX_OK;
            }
        }
        if (st != DBX_OK)
            goto done;
    }
    /* 2. the version */
    {
        json_t *body = obj_strs((kv[]){{"name", name}, {"source", source}, {"run_id", run_id}, {"description", desc}}, 4);
        if (!body || (o && put_tags(body, o->tags, o->n_tags) != 0)) {
            dbx__json_decref_deep(body);
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
            goto done;
        }
        dbx__jdoc doc;
        st = rcall(c, "POST", UCL "/model-versions/create", body, 0, &doc);
        dbx__json_decref_deep(body);
        if (st == DBX_OK)
            st = version_from_doc(&mv, c, DBX_REGISTRY_UC, &doc, "model_version");
        if (st != DBX_OK)
            goto done;
        v = dbx_model_version_version(mv);
        dbx_model_version_free(mv);
        mv = NULL;
        if (version)
            *version = v;
    }
    /* 3. the files */
    for (size_t i = 0; i < fl.n; i++) {
        if (o && o->on_file && o->on_file(o->payload, fl.rel[i], fl.size[i]) != 0) {
            st = dbx__fail(c, DBX_ECANCELLED, "%s: on_file stopped the upload at '%.300s'", __func__, fl.rel[i]);
            goto after_create;
        }
        dbx__buf_clear(&remote);
        dbx__buf_printf(&remote, "/Models/%s/%s/%s/%lld/%s", cat, sch, mod, (long long)v, fl.rel[i]);
        char *local = dbx__sprintf("%s/%s", local_dir, fl.rel[i]);
        if (remote.oom || !local) {
            dbx__free(local);
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
            goto after_create;
        }
        dbx_files_upload_options uo = DBX_FILES_UPLOAD_OPTIONS_INIT;
        uo.overwrite = 1;
        st = dbx_files_upload_file(c, remote.ptr, local, &uo);
        dbx__free(local);
        if (st != DBX_OK) {
            dbx__error_prefix("uploading '%.300s': ", fl.rel[i]);
            goto after_create;
        }
    }
    /* 4. finalize */
    if ((st = finalize(NULL, c, name, v)) != DBX_OK)
        goto after_create;
    /* 5. wait */
    st = wait_ready(out, c, DBX_REGISTRY_UC, name, v, o ? o->wait : NULL);
    if (st == DBX_OK)
        goto done;
after_create:
    dbx__error_prefix("registering %s: version %lld was created and is left PENDING_REGISTRATION or "
                      "FAILED_REGISTRATION: ",
                      name, (long long)v);
done:
    dbx__buf_dispose(&remote);
    dbx__free(src_owned);
    file_list_free(&fl);
    return st;
}
