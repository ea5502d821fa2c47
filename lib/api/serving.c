/* libdbx: Model Serving endpoints (/api/2.0/serving-endpoints). Request building and response mapping only. */
#include <math.h>
#include <stdatomic.h>
#include <pthread.h>
#include <string.h>

#include "serving_internal.h"

#define BASE "/api/2.0/serving-endpoints"

static int is_abs(const char *s) { return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0; }
#define MAX_ENV_VARS 30 /* protocols.md 4: 30 env vars per model */

#define N_OF(a) (sizeof(a) / sizeof *(a))

/* ---- enums ------------------------------------------------------------------- */

static const char *ready_names[] = {"UNKNOWN", "READY", "NOT_READY"};
static const char *update_names[] = {"UNKNOWN", "NOT_UPDATING", "IN_PROGRESS", "UPDATE_FAILED", "UPDATE_CANCELED"};
static const char *deploy_names[] = {"UNKNOWN",           "DEPLOYMENT_CREATING", "DEPLOYMENT_RECOVERING",
                                     "DEPLOYMENT_READY",  "DEPLOYMENT_FAILED",   "DEPLOYMENT_ABORTED"};

DBX_API const char *dbx_serving_ready_name(dbx_serving_ready_t v)
{
    return (unsigned)v < N_OF(ready_names) ? ready_names[v] : "UNKNOWN";
}
DBX_API const char *dbx_serving_config_update_name(dbx_serving_config_update_t v)
{
    return (unsigned)v < N_OF(update_names) ? update_names[v] : "UNKNOWN";
}
DBX_API const char *dbx_serving_deployment_name(dbx_serving_deployment_t v)
{
    return (unsigned)v < N_OF(deploy_names) ? deploy_names[v] : "UNKNOWN";
}

static int enum_parse(const char *s, const char **names, size_t n)
{
    for (size_t i = 1; s && i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return (int)i;
    return 0;
}

/* ---- config ------------------------------------------------------------------ */

struct dbx_serving_config {
    json_t *j;
};

static int name_ok(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++) {
        char ch = *s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '-'))
            return 0;
    }
    return 1;
}

/* The served entities array and whether it is the legacy served_models. */
static const json_t *entities_of(const json_t *cfg, int *legacy)
{
    const json_t *e = json_object_get(cfg, "served_entities");
    *legacy = 0;
    if (!e && (e = json_object_get(cfg, "served_models")) != NULL)
        *legacy = 1;
    return e;
}

/* The entity's version as text (a JSON number is accepted) into buf, or NULL. */
static const char *version_of(const json_t *e, int legacy, char *buf, size_t cap)
{
    const json_t *v = json_object_get(e, legacy ? "model_version" : "entity_version");
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    return NULL;
}

/* The name the service gives the entity: its own, else
 * <entity_name>-<version> with the dots of a UC name turned into '-'
 * (databricks-api.md 10.1). "" when it cannot be known. */
static const char *effective_name(const json_t *e, int legacy, char *buf, size_t cap)
{
    const char *n = json_string_value(json_object_get(e, "name"));
    if (n)
        return n;
    char vb[32];
    const char *model = json_string_value(json_object_get(e, legacy ? "model_name" : "entity_name"));
    const char *ver = version_of(e, legacy, vb, sizeof vb);
    if (!model || !ver)
        return "";
    snprintf(buf, cap, "%s-%s", model, ver);
    for (char *p = buf; *p; p++)
        if (*p == '.')
            *p = '-';
    return buf;
}

/* NULL when the config is fine, else why (static or in buf). */
static const char *check_config(const json_t *cfg, char *buf, size_t cap)
{
    if (!json_is_object(cfg))
        return "the config must be a JSON object";
    int legacy;
    const json_t *ents = entities_of(cfg, &legacy);
    const char *key = legacy ? "served_models" : "served_entities";
    if (!json_is_array(ents) || json_array_size(ents) == 0)
        return "$.served_entities must be a non-empty array (add a served entity)";
    size_t n = json_array_size(ents);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(ents, i);
        if (!json_is_object(e)) {
            snprintf(buf, cap, "$.%s[%zu] must be an object", key, i);
            return buf;
        }
        const json_t *nm = json_object_get(e, "name");
        if (nm && (!json_is_string(nm) || !name_ok(json_string_value(nm)))) {
            snprintf(buf, cap, "$.%s[%zu].name must be a non-empty string of [A-Za-z0-9_-]", key, i);
            return buf;
        }
        const char *mk = legacy ? "model_name" : "entity_name";
        const char *model = json_string_value(json_object_get(e, mk));
        char vb[32];
        if (!json_object_get(e, "external_model")) {
            if (dbx__empty(model)) {
                snprintf(buf, cap, "$.%s[%zu].%s is required", key, i, mk);
                return buf;
            }
            const char *ver = version_of(e, legacy, vb, sizeof vb);
            if (dbx__empty(ver)) {
                snprintf(buf, cap, "$.%s[%zu].%s is required (a string such as \"3\")", key, i,
                         legacy ? "model_version" : "entity_version");
                return buf;
            }
        }
        const json_t *env = json_object_get(e, "environment_vars");
        if (env) {
            if (!json_is_object(env) || json_object_size(env) > MAX_ENV_VARS) {
                snprintf(buf, cap, "$.%s[%zu].environment_vars must be an object of at most %d strings", key, i,
                         MAX_ENV_VARS);
                return buf;
            }
            const char *k;
            json_t *v;
            json_object_foreach((json_t *)env, k, v)
            {
                if (!json_is_string(v)) {
                    snprintf(buf, cap, "$.%s[%zu].environment_vars.%.64s must be a string", key, i, k);
                    return buf;
                }
            }
        }
        char nb[512], pb[512];
        const char *name = effective_name(e, legacy, nb, sizeof nb);
        for (size_t p = 0; *name && p < i; p++) {
            if (strcmp(effective_name(json_array_get(ents, p), legacy, pb, sizeof pb), name) == 0) {
                snprintf(buf, cap, "$.%s[%zu]: served entity name \"%.64s\" is repeated", key, i, name);
                return buf;
            }
        }
    }
    const json_t *tc = json_object_get(cfg, "traffic_config");
    if (!tc)
        return NULL;
    const json_t *routes = json_object_get(tc, "routes");
    if (!json_is_object(tc) || !json_is_array(routes))
        return "$.traffic_config must be an object with a routes array";
    long long sum = 0;
    size_t nr = json_array_size(routes);
    for (size_t r = 0; r < nr; r++) {
        const json_t *rt = json_array_get(routes, r);
        const char *rn = json_string_value(json_object_get(rt, "served_entity_name"));
        if (!rn)
            rn = json_string_value(json_object_get(rt, "served_model_name"));
        const json_t *pct = json_object_get(rt, "traffic_percentage");
        if (dbx__empty(rn) || !json_is_integer(pct) || json_integer_value(pct) < 0 ||
            json_integer_value(pct) > 100) {
            snprintf(buf, cap, "$.traffic_config.routes[%zu] must be {served_entity_name, traffic_percentage 0..100}",
                     r);
            return buf;
        }
        sum += json_integer_value(pct);
        int found = 0;
        char nb[512];
        for (size_t i = 0; i < n && !found; i++)
            found = strcmp(effective_name(json_array_get(ents, i), legacy, nb, sizeof nb), rn) == 0;
        if (!found) {
            snprintf(buf, cap, "$.traffic_config.routes[%zu]: \"%.64s\" names no served entity of the config", r, rn);
            return buf;
        }
    }
    if (sum != 100) {
        snprintf(buf, cap, "$.traffic_config.routes: the percentages sum to %lld, not 100", sum);
        return buf;
    }
    return NULL;
}

static dbx_status validate_config(const void *owner, const json_t *j)
{
    char buf[200];
    const char *err = check_config(j, buf, sizeof buf);
    return err ? dbx__fail(owner, DBX_EINVAL, "serving config: %s", err) : DBX_OK;
}

DBX_API dbx_status dbx_serving_config_new(dbx_serving_config **out)
{
    DBX__JSPEC_RETURN(out, dbx__jspec_new(sizeof **out, &st_));
}

static dbx_status check_config_json(const json_t *j) { return validate_config(NULL, j); }

DBX_API dbx_status dbx_serving_config_from_json(dbx_serving_config **out, const char *text)
{
    DBX__JSPEC_RETURN(out, dbx__jspec_parse(sizeof **out, __func__, "serving config", text, check_config_json, &st_));
}

DBX_API void dbx_serving_config_free(dbx_serving_config *cfg) { dbx__jspec_free(cfg); }

#define OOM_NULL() dbx__fail(NULL, DBX_ENOMEM, "out of memory")

DBX_API dbx_status dbx_serving_config_add_entity(size_t *index, dbx_serving_config *cfg, const char *entity_name,
                                                 const char *entity_version)
{
    dbx__error_clear(NULL);
    if (index)
        *index = 0;
    if (!cfg)
        return dbx__fail(NULL, DBX_EINVAL, "cfg is NULL");
    if (dbx__empty(entity_name) || !dbx__utf8_valid(entity_name))
        return dbx__fail(NULL, DBX_EINVAL, "entity_name is %s", entity_name && *entity_name ? "not valid UTF-8" : "required");
    if (dbx__empty(entity_version) || !dbx__utf8_valid(entity_version))
        return dbx__fail(NULL, DBX_EINVAL, "entity_version is %s",
                         entity_version && *entity_version ? "not valid UTF-8" : "required");
    if (json_object_get(cfg->j, "served_models"))
        return dbx__fail(NULL, DBX_EINVAL, "serving config: it uses the legacy served_models; add entities in JSON");
    json_t *ents = json_object_get(cfg->j, "served_entities");
    if (ents && !json_is_array(ents))
        return dbx__fail(NULL, DBX_EINVAL, "serving config: served_entities is not an array");
    json_t *e = json_object();
    if (!e || dbx__json_set_str(e, "entity_name", entity_name) != 0 ||
        dbx__json_set_str(e, "entity_version", entity_version) != 0) {
        dbx__json_decref_deep(e);
        return OOM_NULL();
    }
    if (!ents) {
        ents = json_array();
        if (!ents || json_object_set_new(cfg->j, "served_entities", ents) != 0) {
            dbx__json_decref_deep(e);
            return OOM_NULL();
        }
    }
    if (json_array_append_new(ents, e) != 0)
        return OOM_NULL();
    if (index)
        *index = json_array_size(ents) - 1;
    return DBX_OK;
}

static json_t *entity_at(dbx_serving_config *cfg, size_t index)
{
    return cfg ? json_array_get(json_object_get(cfg->j, "served_entities"), index) : NULL;
}

/* Set one member of entity `index` (takes v). */
static dbx_status entity_set(dbx_serving_config *cfg, size_t index, const char *field, json_t *v)
{
    json_t *e = entity_at(cfg, index);
    if (!e) {
        dbx__json_decref_deep(v);
        return dbx__fail(NULL, DBX_EINVAL, "%s: %s", field, cfg ? "index names no served entity" : "cfg is NULL");
    }
    if (!v)
        return OOM_NULL();
    return json_object_set_new(e, field, v) == 0 ? DBX_OK : OOM_NULL();
}

static dbx_status entity_set_str(dbx_serving_config *cfg, size_t index, const char *field, const char *s)
{
    dbx__error_clear(NULL);
    if (dbx__empty(s) || !dbx__utf8_valid(s))
        return dbx__fail(NULL, DBX_EINVAL, "%s: value is %s", field, s && *s ? "not valid UTF-8" : "required");
    return entity_set(cfg, index, field, json_string(s));
}

DBX_API dbx_status dbx_serving_config_entity_set_name(dbx_serving_config *cfg, size_t index, const char *name)
{
    dbx__error_clear(NULL);
    if (!name_ok(name))
        return dbx__fail(NULL, DBX_EINVAL, "name must be a non-empty string of [A-Za-z0-9_-]");
    return entity_set(cfg, index, "name", json_string(name));
}
DBX_API dbx_status dbx_serving_config_entity_set_workload_size(dbx_serving_config *cfg, size_t index, const char *s)
{
    return entity_set_str(cfg, index, "workload_size", s);
}
DBX_API dbx_status dbx_serving_config_entity_set_workload_type(dbx_serving_config *cfg, size_t index, const char *s)
{
    return entity_set_str(cfg, index, "workload_type", s);
}
DBX_API dbx_status dbx_serving_config_entity_set_scale_to_zero(dbx_serving_config *cfg, size_t index, int enabled)
{
    dbx__error_clear(NULL);
    return entity_set(cfg, index, "scale_to_zero_enabled", json_boolean(enabled));
}

DBX_API dbx_status dbx_serving_config_entity_set_env(dbx_serving_config *cfg, size_t index, const char *key,
                                                     const char *value)
{
    dbx__error_clear(NULL);
    json_t *e = entity_at(cfg, index);
    if (!e)
        return dbx__fail(NULL, DBX_EINVAL, "environment_vars: %s", cfg ? "index names no served entity" : "cfg is NULL");
    if (dbx__empty(key) || !dbx__utf8_valid(key))
        return dbx__fail(NULL, DBX_EINVAL, "key is %s", key && *key ? "not valid UTF-8" : "required");
    if (!value || !dbx__utf8_valid(value))
        return dbx__fail(NULL, DBX_EINVAL, "value is %s", value ? "not valid UTF-8" : "NULL");
    json_t *env = json_object_get(e, "environment_vars");
    if (!json_is_object(env)) {
        env = json_object();
        if (!env || json_object_set_new(e, "environment_vars", env) != 0)
            return OOM_NULL();
    }
    if (!json_object_get(env, key) && json_object_size(env) >= MAX_ENV_VARS)
        return dbx__fail(NULL, DBX_EINVAL, "environment_vars: at most %d per served entity", MAX_ENV_VARS);
    return dbx__json_set_str(env, key, value) == 0 ? DBX_OK : OOM_NULL();
}

DBX_API dbx_status dbx_serving_config_add_route(dbx_serving_config *cfg, const char *served_entity_name,
                                                int percentage)
{
    dbx__error_clear(NULL);
    if (!cfg)
        return dbx__fail(NULL, DBX_EINVAL, "cfg is NULL");
    if (!name_ok(served_entity_name))
        return dbx__fail(NULL, DBX_EINVAL, "served_entity_name must be a non-empty string of [A-Za-z0-9_-]");
    if (percentage < 0 || percentage > 100)
        return dbx__fail(NULL, DBX_EINVAL, "percentage must be 0..100 (got %d)", percentage);
    json_t *tc = json_object_get(cfg->j, "traffic_config");
    if (!json_is_object(tc)) {
        tc = json_object();
        if (!tc || json_object_set_new(cfg->j, "traffic_config", tc) != 0)
            return OOM_NULL();
    }
    json_t *routes = json_object_get(tc, "routes");
    if (!json_is_array(routes)) {
        routes = json_array();
        if (!routes || json_object_set_new(tc, "routes", routes) != 0)
            return OOM_NULL();
    }
    for (size_t i = 0; i < json_array_size(routes); i++) {
        json_t *r = json_array_get(routes, i);
        const char *n = json_string_value(json_object_get(r, "served_entity_name"));
        if (n && strcmp(n, served_entity_name) == 0)
            return dbx__json_set_int(r, "traffic_percentage", percentage) == 0 ? DBX_OK : OOM_NULL();
    }
    json_t *r = json_object();
    if (!r || dbx__json_set_str(r, "served_entity_name", served_entity_name) != 0 ||
        dbx__json_set_int(r, "traffic_percentage", percentage) != 0) {
        dbx__json_decref_deep(r);
        return OOM_NULL();
    }
    return json_array_append_new(routes, r) == 0 ? DBX_OK : OOM_NULL();
}

DBX_API dbx_status dbx_serving_config_to_json(char **out, const dbx_serving_config *cfg)
{
    dbx__error_clear(NULL);
    if (!out || !cfg) {
        if (out)
            *out = NULL;
        return dbx__fail(NULL, DBX_EINVAL, "out and cfg are required");
    }
    *out = NULL;
    dbx_status st = validate_config(NULL, cfg->j);
    if (st != DBX_OK)
        return st;
    *out = dbx__json_dump(cfg->j);
    return *out ? DBX_OK : OOM_NULL();
}

/* ---- endpoint result ------------------------------------------------------------ */

struct dbx_serving_endpoint {
    dbx__view v; /* first: the pointer is also a dbx__view * (list items are bare views);
                    text[1] caches the inference table's name */
};

DBX_API void dbx_serving_endpoint_free(dbx_serving_endpoint *ep) { dbx__view_free(ep); }

#define V(ep) ((ep)->v.v)
#define S(ep, key) ((ep) ? dbx__jv_get_str(V(ep), key, "") : "")
#define P(ep, path) ((ep) ? dbx__jv_str(dbx__jv_path(V(ep), path), "") : "")

static dbx__jv nth(dbx__jv arr, size_t i)
{
    dbx__jit it;
    dbx__jv v;
    dbx__jv_iter(arr, &it);
    while (dbx__jit_next(&it, &v, NULL))
        if (i-- == 0)
            return v;
    return DBX__JV_ABSENT;
}

static dbx__jv cfg_of(const dbx_serving_endpoint *ep, dbx_serving_which which)
{
    if (!ep)
        return DBX__JV_ABSENT;
    dbx__jv c = dbx__jv_get(V(ep), which == DBX_SERVING_PENDING ? "pending_config" : "config");
    return dbx__jv_is_object(c) ? c : DBX__JV_ABSENT;
}

static dbx__jv ents_of(const dbx_serving_endpoint *ep, dbx_serving_which which, int *legacy)
{
    dbx__jv c = cfg_of(ep, which);
    dbx__jv e = dbx__jv_get(c, "served_entities");
    *legacy = 0;
    if (!dbx__jv_is_array(e)) {
        e = dbx__jv_get(c, "served_models");
        *legacy = 1;
    }
    return e;
}

static dbx__jv ent(const dbx_serving_endpoint *ep, dbx_serving_which which, size_t i, int *legacy)
{
    return nth(ents_of(ep, which, legacy), i);
}

DBX_API const char *dbx_serving_endpoint_name(const dbx_serving_endpoint *ep) { return S(ep, "name"); }
DBX_API const char *dbx_serving_endpoint_id(const dbx_serving_endpoint *ep) { return S(ep, "id"); }
DBX_API const char *dbx_serving_endpoint_creator(const dbx_serving_endpoint *ep) { return S(ep, "creator"); }
DBX_API int64_t dbx_serving_endpoint_creation_timestamp(const dbx_serving_endpoint *ep)
{
    return ep ? dbx__jv_get_int(V(ep), "creation_timestamp", 0) : 0;
}
DBX_API int64_t dbx_serving_endpoint_last_updated_timestamp(const dbx_serving_endpoint *ep)
{
    return ep ? dbx__jv_get_int(V(ep), "last_updated_timestamp", 0) : 0;
}
DBX_API const char *dbx_serving_endpoint_ready_str(const dbx_serving_endpoint *ep) { return P(ep, "state.ready"); }
DBX_API dbx_serving_ready_t dbx_serving_endpoint_ready(const dbx_serving_endpoint *ep)
{
    return (dbx_serving_ready_t)enum_parse(P(ep, "state.ready"), ready_names, N_OF(ready_names));
}
DBX_API const char *dbx_serving_endpoint_config_update_str(const dbx_serving_endpoint *ep)
{
    return P(ep, "state.config_update");
}
DBX_API dbx_serving_config_update_t dbx_serving_endpoint_config_update(const dbx_serving_endpoint *ep)
{
    return (dbx_serving_config_update_t)enum_parse(P(ep, "state.config_update"), update_names, N_OF(update_names));
}
DBX_API int dbx_serving_endpoint_has_config(const dbx_serving_endpoint *ep, dbx_serving_which which)
{
    return dbx__jv_present(cfg_of(ep, which));
}
DBX_API int64_t dbx_serving_endpoint_config_version(const dbx_serving_endpoint *ep, dbx_serving_which which)
{
    return dbx__jv_get_int(cfg_of(ep, which), "config_version", 0);
}
DBX_API size_t dbx_serving_endpoint_entity_count(const dbx_serving_endpoint *ep, dbx_serving_which which)
{
    int legacy;
    return dbx__jv_count(ents_of(ep, which, &legacy));
}
DBX_API const char *dbx_serving_endpoint_entity_name(const dbx_serving_endpoint *ep, dbx_serving_which which, size_t i)
{
    int legacy;
    return dbx__jv_get_str(ent(ep, which, i, &legacy), "name", "");
}
DBX_API const char *dbx_serving_endpoint_entity_model(const dbx_serving_endpoint *ep, dbx_serving_which which, size_t i)
{
    int legacy;
    dbx__jv e = ent(ep, which, i, &legacy);
    return dbx__jv_get_str(e, legacy ? "model_name" : "entity_name", "");
}
DBX_API const char *dbx_serving_endpoint_entity_version(const dbx_serving_endpoint *ep, dbx_serving_which which,
                                                        size_t i)
{
    int legacy;
    dbx__jv e = ent(ep, which, i, &legacy);
    /* a number would read as "" here: the version is documented as a string */
    return dbx__jv_get_str(e, legacy ? "model_version" : "entity_version", "");
}
DBX_API const char *dbx_serving_endpoint_entity_workload_size(const dbx_serving_endpoint *ep, dbx_serving_which which,
                                                              size_t i)
{
    int legacy;
    return dbx__jv_get_str(ent(ep, which, i, &legacy), "workload_size", "");
}
DBX_API const char *dbx_serving_endpoint_entity_workload_type(const dbx_serving_endpoint *ep, dbx_serving_which which,
                                                              size_t i)
{
    int legacy;
    return dbx__jv_get_str(ent(ep, which, i, &legacy), "workload_type", "");
}
DBX_API int dbx_serving_endpoint_entity_scale_to_zero(const dbx_serving_endpoint *ep, dbx_serving_which which, size_t i)
{
    int legacy;
    return dbx__jv_get_bool(ent(ep, which, i, &legacy), "scale_to_zero_enabled", 0);
}
DBX_API const char *dbx_serving_endpoint_entity_env(const dbx_serving_endpoint *ep, dbx_serving_which which, size_t i,
                                                    const char *key)
{
    int legacy;
    if (!key)
        return NULL;
    dbx__jv v = dbx__jv_get(dbx__jv_get(ent(ep, which, i, &legacy), "environment_vars"), key);
    return dbx__jv_type(v) == DBX__J_STRING ? dbx__jv_str(v, "") : NULL;
}
DBX_API const char *dbx_serving_endpoint_entity_deployment_str(const dbx_serving_endpoint *ep, dbx_serving_which which,
                                                               size_t i)
{
    int legacy;
    return dbx__jv_str(dbx__jv_path(ent(ep, which, i, &legacy), "state.deployment"), "");
}
DBX_API dbx_serving_deployment_t dbx_serving_endpoint_entity_deployment(const dbx_serving_endpoint *ep,
                                                                        dbx_serving_which which, size_t i)
{
    return (dbx_serving_deployment_t)enum_parse(dbx_serving_endpoint_entity_deployment_str(ep, which, i), deploy_names,
                                                N_OF(deploy_names));
}
DBX_API const char *dbx_serving_endpoint_entity_deployment_message(const dbx_serving_endpoint *ep,
                                                                   dbx_serving_which which, size_t i)
{
    int legacy;
    return dbx__jv_str(dbx__jv_path(ent(ep, which, i, &legacy), "state.deployment_state_message"), "");
}

static dbx__jv route(const dbx_serving_endpoint *ep, dbx_serving_which which, size_t i)
{
    return nth(dbx__jv_path(cfg_of(ep, which), "traffic_config.routes"), i);
}
DBX_API size_t dbx_serving_endpoint_route_count(const dbx_serving_endpoint *ep, dbx_serving_which which)
{
    return dbx__jv_count(dbx__jv_path(cfg_of(ep, which), "traffic_config.routes"));
}
DBX_API const char *dbx_serving_endpoint_route_name(const dbx_serving_endpoint *ep, dbx_serving_which which, size_t i)
{
    dbx__jv r = route(ep, which, i);
    const char *n = dbx__jv_get_str(r, "served_entity_name", NULL);
    return n ? n : dbx__jv_get_str(r, "served_model_name", "");
}
DBX_API int dbx_serving_endpoint_route_percentage(const dbx_serving_endpoint *ep, dbx_serving_which which, size_t i)
{
    int64_t p = dbx__jv_get_int(route(ep, which, i), "traffic_percentage", 0);
    return p >= 0 && p <= 100 ? (int)p : 0;
}
DBX_API int dbx_serving_endpoint_route_optimized(const dbx_serving_endpoint *ep)
{
    return ep ? dbx__jv_get_bool(V(ep), "route_optimized", 0) : 0;
}
DBX_API const char *dbx_serving_endpoint_endpoint_url(const dbx_serving_endpoint *ep) { return S(ep, "endpoint_url"); }

DBX_API size_t dbx_serving_endpoint_tag_count(const dbx_serving_endpoint *ep)
{
    return ep ? dbx__jv_count(dbx__jv_get(V(ep), "tags")) : 0;
}
DBX_API const char *dbx_serving_endpoint_tag_key(const dbx_serving_endpoint *ep, size_t i)
{
    return ep ? dbx__jv_get_str(nth(dbx__jv_get(V(ep), "tags"), i), "key", "") : "";
}
DBX_API const char *dbx_serving_endpoint_tag_value(const dbx_serving_endpoint *ep, size_t i)
{
    return ep ? dbx__jv_get_str(nth(dbx__jv_get(V(ep), "tags"), i), "value", "") : "";
}
DBX_API const char *dbx_serving_endpoint_tag(const dbx_serving_endpoint *ep, const char *key)
{
    if (!ep || !key)
        return NULL;
    dbx__jit it;
    dbx__jv e;
    const char *found = NULL;
    dbx__jv_iter(dbx__jv_get(V(ep), "tags"), &it);
    while (dbx__jit_next(&it, &e, NULL)) {
        const char *k = dbx__jv_get_str(e, "key", NULL);
        if (k && strcmp(k, key) == 0)
            found = dbx__jv_get_str(e, "value", "");
    }
    return found;
}
DBX_API const char *dbx_serving_endpoint_json(const dbx_serving_endpoint *ep)
{
    return ep ? dbx__view_text(&ep->v, 0, V(ep)) : NULL;
}

/* ---- operations -------------------------------------------------------------------- */

/* BASE "/" <name percent-encoded> <suffix> [<served percent-encoded> <suffix2>] */
static dbx_status call_name(dbx_client *c, const char *method, const char *name, const char *suffix,
                            const char *served, const char *suffix2, const json_t *body, int flags,
                            dbx__jdoc *out)
{
    char small[256];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    dbx__buf_puts(&path, BASE "/");
    dbx__buf_put_urlenc(&path, name);
    dbx__buf_puts(&path, suffix);
    if (served) {
        dbx__buf_put_urlenc(&path, served);
        dbx__buf_puts(&path, suffix2);
    }
    dbx_status st = path.oom ? dbx__fail(c, DBX_ENOMEM, "out of memory")
                             : dbx__api_call(c, method, path.ptr, body, flags, out);
    dbx__buf_dispose(&path);
    return st;
}

/* Where the endpoint's requests land: the AI gateway's inference_table_config
 * when enabled, else the legacy auto_capture_config (its state.payload_table
 * name when the service reports it). "<catalog>.<schema>.<prefix>_payload",
 * the prefix defaulting to the endpoint name, lower case as Unity Catalog
 * stores names. *out NULL when none; -1 on OOM. */
static int inference_table_of(const dbx_serving_endpoint *ep, char **out)
{
    *out = NULL;
    dbx__jv cap = dbx__jv_path(V(ep), "ai_gateway.inference_table_config");
    if (!dbx__jv_get_bool(cap, "enabled", 0))
        cap = dbx__jv_path(V(ep), "config.auto_capture_config");
    if (!dbx__jv_get_bool(cap, "enabled", 0))
        return 0;
    const char *cat = dbx__jv_get_str(cap, "catalog_name", ""), *sch = dbx__jv_get_str(cap, "schema_name", "");
    if (!*cat || !*sch)
        return 0;
    const char *table = dbx__jv_str(dbx__jv_path(cap, "state.payload_table.name"), "");
    const char *prefix = dbx__jv_get_str(cap, "table_name_prefix", "");
    dbx__buf b = DBX__BUF_INIT;
    dbx__buf_printf(&b, "%s.%s.", cat, sch);
    if (*table)
        dbx__buf_puts(&b, table);
    else
        dbx__buf_printf(&b, "%s_payload", *prefix ? prefix : S(ep, "name"));
    if (b.oom) {
        dbx__buf_dispose(&b);
        return -1;
    }
    for (char *p = b.ptr; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    *out = dbx__buf_detach(&b);
    return *out ? 0 : -1;
}

DBX_API const char *dbx_serving_endpoint_inference_table(const dbx_serving_endpoint *ep)
{
    if (!ep)
        return "";
    const char *cached = atomic_load(&((dbx__view *)&ep->v)->text[1]);
    if (cached)
        return cached;
    char *name = NULL;
    if (inference_table_of(ep, &name) != 0 || !name)
        return ""; /* none (or out of memory: asked again next time) */
    const char *t = dbx__view_cache(&ep->v, 1, name);
    return t ? t : "";
}

DBX_API dbx_status dbx_serving_set_inference_table(dbx_client *c, const char *name, const char *catalog_name,
                                                   const char *schema_name, const char *table_name_prefix, int enabled)
{
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, name);
    if (enabled) {
        DBX__REQUIRE_STR(c, catalog_name);
        DBX__REQUIRE_STR(c, schema_name);
    }
    DBX__CHECK_STR(c, catalog_name);
    DBX__CHECK_STR(c, schema_name);
    DBX__CHECK_STR(c, table_name_prefix);
    /* PUT .../ai-gateway replaces the whole gateway config: start from the
     * endpoint's current one, so rate limits, guardrails, usage tracking and
     * fallbacks stay as they are */
    dbx_serving_endpoint *ep = NULL;
    dbx_status st = dbx_serving_get(&ep, c, name);
    if (st != DBX_OK)
        return st;
    dbx__jv gw = dbx__jv_get(V(ep), "ai_gateway");
    json_t *body = dbx__jv_is_object(gw) ? dbx__jv_to_jansson(gw) : json_object();
    /* the current settings, with what the caller gives over them (disabling
     * keeps where the table is) */
    dbx__jv cur = dbx__jv_get(gw, "inference_table_config");
    json_t *itc = dbx__jv_is_object(cur) ? dbx__jv_to_jansson(cur) : json_object();
    dbx_serving_endpoint_free(ep);
    if (!body || !itc || (catalog_name && dbx__json_set_str(itc, "catalog_name", catalog_name) != 0) ||
        (schema_name && dbx__json_set_str(itc, "schema_name", schema_name) != 0) ||
        (table_name_prefix && dbx__json_set_str(itc, "table_name_prefix", table_name_prefix) != 0) ||
        json_object_set_new(itc, "enabled", json_boolean(enabled)) != 0) {
        dbx__json_decref_deep(itc);
        dbx__json_decref_deep(body);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    if (json_object_set_new(body, "inference_table_config", itc) != 0) {
        dbx__json_decref_deep(body);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    st = call_name(c, "PUT", name, "/ai-gateway", NULL, NULL, body, DBX__CALL_IDEMPOTENT, NULL);
    dbx__json_decref_deep(body);
    return st;
}

dbx_status dbx__serving_endpoint_from_doc(dbx_serving_endpoint **out, dbx_client *c, dbx__jdoc *doc, const char *what)
{
    if (dbx__empty(dbx__jv_get_str(dbx__jdoc_root(doc), "name", NULL))) {
        dbx__jdoc_dispose(doc);
        return dbx__fail_answer(c, DBX_EBADRESPONSE, "%s: the answer has no endpoint name", what);
    }
    if (!out) {
        dbx__jdoc_dispose(doc);
        return DBX_OK;
    }
    if (!(*out = dbx__view_new(sizeof(dbx_serving_endpoint), doc)))
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    return DBX_OK;
}

static json_t *tags_array(const dbx_serving_tag *tags, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *t = json_object();
        if (!t || dbx__json_set_str(t, "key", tags[i].key) != 0 ||
            (tags[i].value && dbx__json_set_str(t, "value", tags[i].value) != 0)) {
            dbx__json_decref_deep(t);
            dbx__json_decref_deep(a);
            return NULL;
        }
        if (json_array_append_new(a, t) != 0) { /* consumes t */
            dbx__json_decref_deep(a);
            return NULL;
        }
    }
    return a;
}

static dbx_status check_tags(dbx_client *c, const char *fn, const dbx_serving_tag *tags, size_t n)
{
    if (n && !tags)
        return dbx__fail(c, DBX_EINVAL, "%s: tags is NULL with a non-zero count", fn);
    for (size_t i = 0; i < n; i++) {
        if (dbx__empty(tags[i].key) || !dbx__utf8_valid(tags[i].key))
            return dbx__fail(c, DBX_EINVAL, "%s: tags[%zu].key is %s", fn, i,
                             dbx__empty(tags[i].key) ? "required" : "not valid UTF-8");
        if (tags[i].value && !dbx__utf8_valid(tags[i].value))
            return dbx__fail(c, DBX_EINVAL, "%s: tags[%zu].value is not valid UTF-8", fn, i);
    }
    return DBX_OK;
}

DBX_API dbx_status dbx_serving_create(dbx_serving_endpoint **out, dbx_client *c, const char *name,
                                      const dbx_serving_config *cfg, const dbx_serving_create_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, name);
    DBX__REQUIRE_PTR(c, cfg);
    if (!name_ok(name))
        return dbx__fail(c, DBX_EINVAL, "%s: name must be made of [A-Za-z0-9_-]", __func__);
    if (o && (o->version == 0 || o->version > DBX_SERVING_CREATE_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "dbx_serving_create_options version %u is not supported", o->version);
    dbx_status st = validate_config(c, cfg->j);
    if (st != DBX_OK)
        return st;
    if (o) {
        if ((st = check_tags(c, __func__, o->tags, o->n_tags)) != DBX_OK)
            return st;
        DBX__CHECK_STR(c, o->description);
    }
    json_t *body = NULL;
    if (o && o->extra_json) {
        char err[160];
        dbx_status pst = dbx__json_parse_text(&body, o->extra_json, err, sizeof err);
        if (pst == DBX_ENOMEM)
            return dbx__fail(c, DBX_ENOMEM, "out of memory");
        if (pst != DBX_OK)
            return dbx__fail(c, DBX_EINVAL, "%s: extra_json is not valid JSON: %s", __func__, err);
        if (!json_is_object(body) || json_object_get(body, "name") || json_object_get(body, "config")) {
            dbx__json_decref_deep(body);
            return dbx__fail(c, DBX_EINVAL, "%s: extra_json must be a JSON object without name or config", __func__);
        }
    } else if (!(body = json_object())) {
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    int bad = dbx__json_set_str(body, "name", name) != 0 || json_object_set(body, "config", cfg->j) != 0;
    if (!bad && o && o->n_tags) {
        json_t *t = tags_array(o->tags, o->n_tags);
        bad = !t || json_object_set_new(body, "tags", t) != 0;
    }
    if (!bad && o && o->route_optimized)
        bad = json_object_set_new(body, "route_optimized", json_true()) != 0;
    if (!bad && o && o->description)
        bad = dbx__json_set_str(body, "description", o->description) != 0;
    if (bad) {
        json_object_del(body, "config"); /* borrowed from cfg */
        dbx__json_decref_deep(body);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx__jdoc doc;
    st = dbx__api_call(c, "POST", BASE, body, 0, &doc);
    json_object_del(body, "config");
    dbx__json_decref_deep(body);
    if (st != DBX_OK)
        return st;
    return dbx__serving_endpoint_from_doc(out, c, &doc, "serving-endpoints/create");
}

DBX_API dbx_status dbx_serving_get(dbx_serving_endpoint **out, dbx_client *c, const char *name)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    DBX__REQUIRE_STR(c, name);
    dbx__jdoc doc;
    dbx_status st = call_name(c, "GET", name, "", NULL, NULL, NULL, 0, &doc);
    if (st != DBX_OK)
        return st;
    return dbx__serving_endpoint_from_doc(out, c, &doc, "serving-endpoints/get");
}

DBX_API dbx_status dbx_serving_update_config(dbx_serving_endpoint **out, dbx_client *c, const char *name,
                                             const dbx_serving_config *cfg)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, name);
    DBX__REQUIRE_PTR(c, cfg);
    dbx_status st = validate_config(c, cfg->j);
    if (st != DBX_OK)
        return st;
    dbx__jdoc doc;
    /* not retried after a failure mid-flight: a second PUT while the first is
     * IN_PROGRESS is refused (409), which would hide the first's success */
    st = call_name(c, "PUT", name, "/config", NULL, NULL, cfg->j, 0, &doc);
    if (st != DBX_OK)
        return st;
    return dbx__serving_endpoint_from_doc(out, c, &doc, "serving-endpoints/update-config");
}

DBX_API dbx_status dbx_serving_patch_tags(dbx_client *c, const char *name, const dbx_serving_tag *add, size_t n_add,
                                          const char *const *remove, size_t n_remove)
{
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, name);
    dbx_status st = check_tags(c, __func__, add, n_add);
    if (st != DBX_OK)
        return st;
    if (n_remove && !remove)
        return dbx__fail(c, DBX_EINVAL, "%s: remove is NULL with a non-zero count", __func__);
    for (size_t i = 0; i < n_remove; i++)
        if (dbx__empty(remove[i]) || !dbx__utf8_valid(remove[i]))
            return dbx__fail(c, DBX_EINVAL, "%s: remove[%zu] is %s", __func__, i,
                             dbx__empty(remove[i]) ? "required" : "not valid UTF-8");
    if (!n_add && !n_remove)
        return dbx__fail(c, DBX_EINVAL, "%s: nothing to add or remove", __func__);
    json_t *body = json_object();
    int bad = !body;
    if (!bad && n_add) {
        json_t *t = tags_array(add, n_add);
        bad = !t || json_object_set_new(body, "add_tags", t) != 0;
    }
    if (!bad && n_remove) {
        json_t *d = json_array();
        for (size_t i = 0; d && i < n_remove; i++)
            if (json_array_append_new(d, json_string(remove[i])) != 0) {
                dbx__json_decref_deep(d);
                d = NULL;
            }
        bad = !d || json_object_set_new(body, "delete_tags", d) != 0;
    }
    if (bad) {
        dbx__json_decref_deep(body);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    st = call_name(c, "PATCH", name, "/tags", NULL, NULL, body, DBX__CALL_IDEMPOTENT, NULL);
    dbx__json_decref_deep(body);
    return st;
}

DBX_API dbx_status dbx_serving_delete(dbx_client *c, const char *name)
{
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, name);
    return call_name(c, "DELETE", name, "", NULL, NULL, NULL, DBX__CALL_IDEMPOTENT, NULL);
}

static dbx_status logs(char **out, dbx_client *c, const char *name, const char *served, const char *suffix)
{
    dbx__jdoc doc;
    dbx_status st = call_name(c, "GET", name, "/served-models/", served, suffix, NULL, DBX__CALL_LARGE, &doc);
    if (st != DBX_OK)
        return st;
    dbx__jv l = dbx__jv_get(dbx__jdoc_root(&doc), "logs");
    if (dbx__jv_present(l) && dbx__jv_type(l) != DBX__J_STRING) {
        dbx__jdoc_dispose(&doc);
        return dbx__fail_answer(c, DBX_EBADRESPONSE, "serving-endpoints logs: logs is not a string");
    }
    /* an absent logs member reads as no lines; a \u0000 in the text ends it */
    *out = dbx__strdup(dbx__jv_str(l, ""));
    dbx__jdoc_dispose(&doc);
    return *out ? DBX_OK : dbx__fail(c, DBX_ENOMEM, "out of memory");
}

DBX_API dbx_status dbx_serving_build_logs(char **out, dbx_client *c, const char *name, const char *served)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    DBX__REQUIRE_STR(c, name);
    DBX__REQUIRE_STR(c, served);
    return logs(out, c, name, served, "/build-logs");
}

DBX_API dbx_status dbx_serving_server_logs(char **out, dbx_client *c, const char *name, const char *served)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    DBX__REQUIRE_STR(c, name);
    DBX__REQUIRE_STR(c, served);
    return logs(out, c, name, served, "/logs");
}

/* ---- list ------------------------------------------------------------------------------ */

struct dbx_serving_iter {
    dbx__iter base;
};

DBX_API dbx_status dbx_serving_list(dbx_serving_iter **out, dbx_client *c)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    /* no paging on the server: the pager stops at the answer without a next_page_token */
    *out = (dbx_serving_iter *)dbx__iter_new(c, DBX__PAGE_TOKEN_QUERY, "GET", BASE, NULL, "endpoints", NULL, 0, 0);
    return *out ? DBX_OK : DBX_ENOMEM;
}

DBX_API dbx_status dbx_serving_iter_next(const dbx_serving_endpoint **item, dbx_serving_iter *it)
{
    return dbx__iter_next(it ? &it->base : NULL, (const dbx__view **)item);
}

DBX_API void dbx_serving_iter_free(dbx_serving_iter *it) { dbx__iter_free(it ? &it->base : NULL); }

/* ---- waiter ---------------------------------------------------------------------------------- */

typedef struct wait_ctx {
    dbx_client *c;
    const char *name;
    dbx_serving_endpoint *last;
    char state[64];
} wait_ctx;

/* "UPDATE_FAILED: fraud-2 (DEPLOYMENT_FAILED): <message>; ..." for the failed entities
 * of the pending config (every entity when none says FAILED). */
static void failure_text(dbx__buf *m, const char *name, const dbx_serving_endpoint *ep)
{
    dbx__buf_printf(m, "serving endpoint %s: config update %s", name, dbx_serving_endpoint_config_update_str(ep));
    size_t n = dbx_serving_endpoint_entity_count(ep, DBX_SERVING_PENDING), failed = 0;
    for (int pass = 0; pass < 2 && !failed; pass++) {
        for (size_t i = 0; i < n; i++) {
            dbx_serving_deployment_t d = dbx_serving_endpoint_entity_deployment(ep, DBX_SERVING_PENDING, i);
            if (pass == 0 && d != DBX_SERVING_DEPLOYMENT_FAILED)
                continue;
            const char *msg = dbx_serving_endpoint_entity_deployment_message(ep, DBX_SERVING_PENDING, i);
            dbx__buf_printf(m, "%s %s (%s)%s%.900s", failed ? ";" : ":",
                            dbx_serving_endpoint_entity_name(ep, DBX_SERVING_PENDING, i),
                            dbx_serving_endpoint_entity_deployment_str(ep, DBX_SERVING_PENDING, i), *msg ? ": " : "",
                            msg);
            failed++;
        }
    }
}

static dbx_status poll_endpoint(void *vctx, dbx__poll_result *res, const char **state)
{
    wait_ctx *w = vctx;
    dbx_serving_endpoint *ep = NULL;
    dbx_status st = dbx_serving_get(&ep, w->c, w->name);
    if (st != DBX_OK)
        return st;
    dbx_serving_endpoint_free(w->last);
    w->last = ep;
    snprintf(w->state, sizeof w->state, "%.30s/%.30s", dbx_serving_endpoint_ready_str(ep),
             dbx_serving_endpoint_config_update_str(ep));
    *state = w->state;
    dbx_serving_config_update_t u = dbx_serving_endpoint_config_update(ep);
    if (u == DBX_SERVING_CONFIG_UPDATE_UPDATE_FAILED || u == DBX_SERVING_CONFIG_UPDATE_UPDATE_CANCELED) {
        dbx__buf m = DBX__BUF_INIT;
        failure_text(&m, w->name, ep);
        dbx__fail(w->c, DBX_ESTATE, "%s", m.ptr && !m.oom ? m.ptr : "config update failed");
        dbx__buf_dispose(&m);
        dbx__error_set_request("GET", BASE "/{name}");
        dbx__error_set_http(200, "", "");
        return DBX_ESTATE;
    }
    *res = dbx_serving_endpoint_ready(ep) == DBX_SERVING_READY_READY && u == DBX_SERVING_CONFIG_UPDATE_NOT_UPDATING
               ? DBX__POLL_DONE
               : DBX__POLL_CONTINUE;
    return DBX_OK;
}

DBX_API dbx_status dbx_serving_wait_ready(dbx_serving_endpoint **out, dbx_client *c, const char *name,
                                          const dbx_wait_options *opts)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, name);
    wait_ctx w = {c, name, NULL, ""};
    char what[160];
    snprintf(what, sizeof what, "serving endpoint %.64s to be READY and NOT_UPDATING", name);
    dbx_status st = dbx__wait(c, name, what, opts, poll_endpoint, &w);
    if (out)
        *out = w.last;
    else
        dbx_serving_endpoint_free(w.last);
    return st;
}

/* ---- query input ----------------------------------------------------------------------------- */

#define DEFAULT_QUERY_TIMEOUT_MS 300000L

struct dbx_serving_input {
    dbx_serving_format format;
    json_t *cols;   /* array of strings, or NULL until set */
    json_t *rows;   /* array of arrays */
    json_t *params; /* object or NULL */
    char *crid;
};

DBX_API dbx_status dbx_serving_input_new(dbx_serving_input **out, dbx_serving_format format)
{
    dbx__error_clear(NULL);
    if (!out)
        return dbx__fail(NULL, DBX_EINVAL, "out is NULL");
    *out = NULL;
    if (format < DBX_SERVING_DATAFRAME_SPLIT || format > DBX_SERVING_INPUTS)
        return dbx__fail(NULL, DBX_EINVAL, "format %d is not a dbx_serving_format", (int)format);
    dbx_serving_input *in = dbx__calloc(1, sizeof *in);
    if (!in || !(in->rows = json_array())) {
        dbx__free(in);
        return OOM_NULL();
    }
    in->format = format;
    *out = in;
    return DBX_OK;
}

DBX_API void dbx_serving_input_free(dbx_serving_input *in)
{
    if (!in)
        return;
    dbx__json_decref_deep(in->cols);
    dbx__json_decref_deep(in->rows);
    dbx__json_decref_deep(in->params);
    dbx__free(in->crid);
    dbx__free(in);
}

DBX_API dbx_status dbx_serving_input_set_columns(dbx_serving_input *in, const char *const *names, size_t n)
{
    dbx__error_clear(NULL);
    if (!in || !names || n == 0)
        return dbx__fail(NULL, DBX_EINVAL, "input, names and a non-zero n are required");
    if (json_array_size(in->rows))
        return dbx__fail(NULL, DBX_EINVAL, "columns: set them before the first row");
    for (size_t i = 0; i < n; i++) {
        if (dbx__empty(names[i]) || !dbx__utf8_valid(names[i]))
            return dbx__fail(NULL, DBX_EINVAL, "names[%zu] is %s", i, dbx__empty(names[i]) ? "required" : "not valid UTF-8");
        for (size_t p = 0; p < i; p++)
            if (strcmp(names[p], names[i]) == 0)
                return dbx__fail(NULL, DBX_EINVAL, "names[%zu]: column \"%.64s\" is repeated", i, names[i]);
    }
    json_t *cols = json_array();
    for (size_t i = 0; cols && i < n; i++)
        if (json_array_append_new(cols, json_string(names[i])) != 0) {
            dbx__json_decref_deep(cols);
            cols = NULL;
        }
    if (!cols)
        return OOM_NULL();
    dbx__json_decref_deep(in->cols);
    in->cols = cols;
    return DBX_OK;
}

DBX_API dbx_status dbx_serving_input_add_row(dbx_serving_input *in)
{
    dbx__error_clear(NULL);
    if (!in)
        return dbx__fail(NULL, DBX_EINVAL, "input is NULL");
    if (!in->cols)
        return dbx__fail(NULL, DBX_EINVAL, "add_row: set the columns first");
    size_t n = json_array_size(in->rows);
    if (n && json_array_size(json_array_get(in->rows, n - 1)) != json_array_size(in->cols))
        return dbx__fail(NULL, DBX_EINVAL, "add_row: row %zu has %zu of %zu cells", n - 1,
                         json_array_size(json_array_get(in->rows, n - 1)), json_array_size(in->cols));
    json_t *row = json_array();
    if (!row || json_array_append_new(in->rows, row) != 0)
        return OOM_NULL();
    return DBX_OK;
}

/* Append a cell (takes v) to the current row. */
static dbx_status add_cell(dbx_serving_input *in, json_t *v)
{
    size_t n = in ? json_array_size(in->rows) : 0;
    json_t *row = n ? json_array_get(in->rows, n - 1) : NULL;
    if (!row) {
        dbx__json_decref_deep(v);
        return dbx__fail(NULL, DBX_EINVAL, "%s", in ? "add a row first (dbx_serving_input_add_row)" : "input is NULL");
    }
    if (json_array_size(row) >= json_array_size(in->cols)) {
        dbx__json_decref_deep(v);
        return dbx__fail(NULL, DBX_EINVAL, "row %zu already has a cell for each of its %zu columns", n - 1,
                         json_array_size(in->cols));
    }
    if (!v)
        return OOM_NULL();
    return json_array_append_new(row, v) == 0 ? DBX_OK : OOM_NULL();
}

DBX_API dbx_status dbx_serving_input_add_double(dbx_serving_input *in, double v)
{
    dbx__error_clear(NULL);
    if (!isfinite(v))
        return dbx__fail(NULL, DBX_EINVAL, "v must be finite (JSON has no NaN or infinity)");
    return add_cell(in, json_real(v));
}
DBX_API dbx_status dbx_serving_input_add_int(dbx_serving_input *in, int64_t v)
{
    dbx__error_clear(NULL);
    return add_cell(in, json_integer((json_int_t)v));
}
DBX_API dbx_status dbx_serving_input_add_string(dbx_serving_input *in, const char *v)
{
    dbx__error_clear(NULL);
    if (!v || !dbx__utf8_valid(v))
        return dbx__fail(NULL, DBX_EINVAL, "v is %s", v ? "not valid UTF-8" : "NULL (use add_null)");
    return add_cell(in, json_string(v));
}
DBX_API dbx_status dbx_serving_input_add_bool(dbx_serving_input *in, int v)
{
    dbx__error_clear(NULL);
    return add_cell(in, json_boolean(v));
}
DBX_API dbx_status dbx_serving_input_add_null(dbx_serving_input *in)
{
    dbx__error_clear(NULL);
    return add_cell(in, json_null());
}

DBX_API dbx_status dbx_serving_input_set_params(dbx_serving_input *in, const char *text)
{
    dbx__error_clear(NULL);
    if (!in)
        return dbx__fail(NULL, DBX_EINVAL, "input is NULL");
    json_t *p = NULL;
    if (text) {
        char err[160];
        dbx_status st = dbx__json_parse_text(&p, text, err, sizeof err);
        if (st == DBX_ENOMEM)
            return OOM_NULL();
        if (st != DBX_OK)
            return dbx__fail(NULL, DBX_EINVAL, "params is not valid JSON: %s", err);
        if (!json_is_object(p)) {
            dbx__json_decref_deep(p);
            return dbx__fail(NULL, DBX_EINVAL, "params must be a JSON object");
        }
    }
    dbx__json_decref_deep(in->params);
    in->params = p;
    return DBX_OK;
}

DBX_API dbx_status dbx_serving_input_set_client_request_id(dbx_serving_input *in, const char *id)
{
    dbx__error_clear(NULL);
    if (!in)
        return dbx__fail(NULL, DBX_EINVAL, "input is NULL");
    if (id && !dbx__utf8_valid(id))
        return dbx__fail(NULL, DBX_EINVAL, "id is not valid UTF-8");
    char *copy = NULL;
    if (id && !(copy = dbx__strdup(id)))
        return OOM_NULL();
    dbx__free(in->crid);
    in->crid = copy;
    return DBX_OK;
}

/* A row as {column: cell} (cells shared with the input). NULL on OOM. */
static json_t *row_object(const json_t *cols, const json_t *row)
{
    json_t *o = json_object();
    for (size_t k = 0; o && k < json_array_size(cols); k++)
        if (json_object_set(o, json_string_value(json_array_get(cols, k)), json_array_get(row, k)) != 0) {
            json_decref(o);
            o = NULL;
        }
    return o;
}

/* The request body of an input (values shared with the input: decref it
 * with json_decref). DBX_OK, DBX_EINVAL (recorded for owner) or DBX_ENOMEM. */
static dbx_status input_body(json_t **out, const void *owner, const dbx_serving_input *in)
{
    *out = NULL;
    if (!in->cols || !json_array_size(in->rows))
        return dbx__fail(owner, DBX_EINVAL, "input: it has no %s", in->cols ? "rows" : "columns");
    size_t nr = json_array_size(in->rows), nc = json_array_size(in->cols);
    json_t *last = json_array_get(in->rows, nr - 1);
    if (json_array_size(last) != nc)
        return dbx__fail(owner, DBX_EINVAL, "input: row %zu has %zu of %zu cells", nr - 1, json_array_size(last), nc);
    json_t *body = json_object(), *v = NULL;
    int bad = !body;
    switch (in->format) {
    case DBX_SERVING_DATAFRAME_SPLIT:
        v = json_object();
        bad = bad || !v || json_object_set(v, "columns", in->cols) != 0 || json_object_set(v, "data", in->rows) != 0;
        break;
    case DBX_SERVING_DATAFRAME_RECORDS:
    case DBX_SERVING_INSTANCES:
        v = json_array();
        for (size_t r = 0; !bad && v && r < nr; r++)
            bad = json_array_append_new(v, row_object(in->cols, json_array_get(in->rows, r))) != 0;
        bad = bad || !v;
        break;
    case DBX_SERVING_INPUTS:
        v = json_object();
        for (size_t k = 0; !bad && v && k < nc; k++) {
            json_t *col = json_array();
            for (size_t r = 0; col && r < nr; r++)
                if (json_array_append(col, json_array_get(json_array_get(in->rows, r), k)) != 0) {
                    json_decref(col);
                    col = NULL;
                }
            bad = !col || json_object_set_new(v, json_string_value(json_array_get(in->cols, k)), col) != 0;
        }
        bad = bad || !v;
        break;
    }
    static const char *keys[] = {"", "dataframe_split", "dataframe_records", "instances", "inputs"};
    if (!bad) {
        bad = json_object_set_new(body, keys[in->format], v) != 0;
        v = NULL;
    }
    if (!bad && in->params)
        bad = json_object_set(body, "params", in->params) != 0;
    if (!bad && in->crid)
        bad = dbx__json_set_str(body, "client_request_id", in->crid) != 0;
    json_decref(v);
    if (bad) {
        json_decref(body);
        return dbx__fail(owner, DBX_ENOMEM, "out of memory");
    }
    *out = body;
    return DBX_OK;
}

DBX_API dbx_status dbx_serving_input_to_json(char **out, const dbx_serving_input *in)
{
    dbx__error_clear(NULL);
    if (!out || !in) {
        if (out)
            *out = NULL;
        return dbx__fail(NULL, DBX_EINVAL, "out and input are required");
    }
    json_t *body;
    dbx_status st = input_body(&body, NULL, in);
    if (st != DBX_OK)
        return st;
    *out = dbx__json_dump(body);
    json_decref(body);
    return *out ? DBX_OK : OOM_NULL();
}

/* ---- route-optimized endpoints: query targets ------------------------------------------------ */

/* One cached target per client and endpoint name (c->serving_targets, under c->serving_mu).
 * While `busy`, one caller describes the endpoint or exchanges its token without the mutex
 * (the fields are that caller's alone); other callers of the same endpoint wait on serving_cv,
 * callers of other endpoints go on. */
struct dbx__serving_cached {
    struct dbx__serving_cached *next;
    char *name;
    int busy;
    int dropped;       /* dropped while busy: freed by the busy caller */
    int described;     /* target_describe succeeded */
    int route_optimized;
    char *url;        /* data-plane URL (route-optimized) */
    char *details;    /* authorization_details, as the endpoint gave them */
    char *token;      /* data-plane access token: SECRET (wiped when freed) */
    int64_t expiry_ms; /* dbx__now_ms() clock: refresh from expiry - 1 min */
};

#define DP_REFRESH_MARGIN_MS 60000
#define MAX_CACHED_TARGETS 256 /* beyond this the oldest are dropped */

static void wipe_free(char *s)
{
    if (s) {
        memset(s, 0, strlen(s));
        dbx__free(s);
    }
}

static void target_free(struct dbx__serving_cached *t)
{
    if (!t)
        return;
    dbx__free(t->name);
    dbx__free(t->url);
    dbx__free(t->details);
    wipe_free(t->token);
    dbx__free(t);
}

void dbx__serving_targets_free(dbx_client *c)
{
    if (!c)
        return;
    struct dbx__serving_cached *t = c->serving_targets, *n;
    for (; t; t = n) {
        n = t->next;
        target_free(t);
    }
    c->serving_targets = NULL;
}

/* The entry of `name` (NULL: none). Caller holds the mutex. */
static struct dbx__serving_cached *target_find(dbx_client *c, const char *name)
{
    struct dbx__serving_cached *t = c->serving_targets;
    while (t && strcmp(t->name, name) != 0)
        t = t->next;
    return t;
}

/* Unlink t (present or not). Caller holds the mutex. */
static void target_unlink(dbx_client *c, struct dbx__serving_cached *t)
{
    for (struct dbx__serving_cached **pp = &c->serving_targets; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            t->next = NULL;
            return;
        }
    }
}

void dbx__serving_target_drop(dbx_client *c, const char *name)
{
    if (!c || !name)
        return;
    pthread_mutex_lock(&c->serving_mu);
    struct dbx__serving_cached *t = target_find(c, name);
    if (t && t->busy) {
        t->dropped = 1; /* its caller is using it: that caller frees it */
    } else if (t) {
        target_unlink(c, t);
        target_free(t);
    }
    pthread_mutex_unlock(&c->serving_mu);
}

/* GET the endpoint: is it route-optimized, and where and with which details is it queried. */
static dbx_status target_describe(dbx_client *c, const char *name, struct dbx__serving_cached *t)
{
    dbx__jdoc doc;
    dbx_status st = call_name(c, "GET", name, "", NULL, NULL, NULL, DBX__CALL_IDEMPOTENT, &doc);
    if (st != DBX_OK)
        return st;
    dbx__jv root = dbx__jdoc_root(&doc);
    t->route_optimized = dbx__jv_get_bool(root, "route_optimized", 0);
    if (!t->route_optimized) {
        dbx__jdoc_dispose(&doc);
        return DBX_OK;
    }
    dbx__jv qi = dbx__jv_path(root, "data_plane_info.query_info");
    const char *url = dbx__jv_get_str(qi, "endpoint_url", NULL);
    if (dbx__empty(url))
        url = dbx__jv_get_str(root, "endpoint_url", NULL);
    dbx__jv det = dbx__jv_get(qi, "authorization_details");
    if (dbx__empty(url) || !dbx__jv_present(det)) {
        dbx__jdoc_dispose(&doc);
        return dbx__fail_answer(c, DBX_EBADRESPONSE,
                                "serving endpoint '%s' is route-optimized but its answer has no "
                                "data_plane_info.query_info (endpoint_url, authorization_details)",
                                name);
    }
    if (!dbx__url_secure(url)) {
        dbx__jdoc_dispose(&doc);
        return dbx__fail_answer(c, DBX_EBADRESPONSE,
                                "serving endpoint '%s': its route-optimized endpoint_url is not https (plain http "
                                "is allowed only to a loopback host); no token is sent to it",
                                name);
    }
    t->url = dbx__strdup(url);
    /* a JSON string (the service's shape) is sent as given; anything else as its JSON text */
    t->details = dbx__jv_type(det) == DBX__J_STRING ? dbx__strdup(dbx__jv_str(det, "")) : dbx__jv_dump(det);
    dbx__jdoc_dispose(&doc);
    return t->url && t->details ? DBX_OK : dbx__fail(c, DBX_ENOMEM, "out of memory");
}

/* Exchange the workspace OAuth token for the endpoint's data-plane token. */
static dbx_status target_token(dbx_client *c, const char *name, struct dbx__serving_cached *t)
{
    if (c->auth_type != DBX_AUTH_OAUTH_M2M)
        return dbx__fail(c, DBX_ECONFIG,
                         "serving endpoint '%s' is route-optimized: route-optimized endpoints need OAuth "
                         "(M2M or U2M) credentials, not %s authentication",
                         name, dbx__auth_type_name(c->auth_type));
    dbx__buf line = DBX__BUF_INIT, form = DBX__BUF_INIT;
    dbx_status st = dbx__auth_header(c->pipe.auth, &c->pipe, 0, &line);
    static const char prefix[] = "Authorization: Bearer ";
    if (st == DBX_OK && (line.oom || !line.ptr || strncmp(line.ptr, prefix, sizeof prefix - 1) != 0))
        st = line.oom ? dbx__fail(c, DBX_ENOMEM, "out of memory")
                      : dbx__fail(c, DBX_ECONFIG, "route-optimized endpoints need OAuth (M2M or U2M) credentials");
    if (st == DBX_OK) {
        dbx__buf_puts(&form, "grant_type=");
        dbx__buf_put_urlenc(&form, "urn:ietf:params:oauth:grant-type:jwt-bearer");
        dbx__buf_puts(&form, "&assertion=");
        dbx__buf_put_urlenc(&form, line.ptr + sizeof prefix - 1);
        dbx__buf_puts(&form, "&authorization_details=");
        dbx__buf_put_urlenc(&form, t->details);
        if (form.oom)
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    if (line.ptr)
        memset(line.ptr, 0, line.len);
    dbx__buf_dispose(&line);
    if (st != DBX_OK) {
        if (form.ptr)
            memset(form.ptr, 0, form.len);
        dbx__buf_dispose(&form);
        return st;
    }
    dbx__http_resp resp;
    dbx__resp_init(&resp);
    dbx__call call = {0};
    call.method = "POST";
    call.path = "/oidc/v1/token";
    call.body = form.ptr;
    call.body_len = form.len;
    call.content_type = "application/x-www-form-urlencoded";
    call.no_auth = 1;
    call.idempotent = 1;
    int64_t t0 = dbx__now_ms();
    st = dbx__pipeline_send(&c->pipe, &call, &resp);
    memset(form.ptr, 0, form.len);
    dbx__buf_dispose(&form);
    if (st != DBX_OK) {
        dbx__resp_dispose(&resp);
        dbx__error_prefix("serving endpoint '%s': the data-plane token request failed", name);
        return st;
    }
    dbx__jdoc doc;
    st = dbx__jdoc_parse_object(&doc, c, &resp.body);
    if (resp.body.ptr)
        memset(resp.body.ptr, 0, resp.body.len);
    dbx__resp_dispose(&resp);
    if (st != DBX_OK)
        return st;
    dbx__jv root = dbx__jdoc_root(&doc);
    const char *tok = dbx__jv_get_str(root, "access_token", NULL);
    if (dbx__empty(tok)) {
        dbx__jdoc_dispose(&doc);
        return dbx__fail_answer(c, DBX_EBADRESPONSE, "serving endpoint '%s': the data-plane token answer has no "
                                                     "access_token", name);
    }
    int64_t ttl = dbx__token_ttl_ms(dbx__jv_get_int(root, "expires_in", -1), 0, 0);
    wipe_free(t->token);
    t->token = dbx__strdup(tok);
    t->expiry_ms = t0 + ttl;
    memset(doc.text, 0, doc.len);
    dbx__jdoc_dispose(&doc);
    return t->token ? DBX_OK : dbx__fail(c, DBX_ENOMEM, "out of memory");
}

static dbx_status workspace_target(dbx_client *c, const char *name, dbx__buf *url, int *no_auth)
{
    dbx__buf_puts(url, "/serving-endpoints/");
    dbx__buf_put_urlenc(url, name);
    dbx__buf_puts(url, "/invocations");
    *no_auth = 0;
    return url->oom ? dbx__fail(c, DBX_ENOMEM, "out of memory") : DBX_OK;
}

static int target_stale(const struct dbx__serving_cached *t)
{
    return !t->described ||
           (t->route_optimized && (!t->token || dbx__now_ms() >= t->expiry_ms - DP_REFRESH_MARGIN_MS));
}

/* Move t to the front (most recent first) and bound the list; busy entries are kept (their
 * callers own them until they finish). Caller holds the mutex. */
static void target_touch(dbx_client *c, struct dbx__serving_cached *t)
{
    target_unlink(c, t);
    t->next = c->serving_targets;
    c->serving_targets = t;
    size_t n = 0;
    for (struct dbx__serving_cached **pp = &c->serving_targets; *pp;) {
        struct dbx__serving_cached *x = *pp;
        if (++n > MAX_CACHED_TARGETS && !x->busy) {
            *pp = x->next;
            target_free(x);
        } else {
            pp = &x->next;
        }
    }
}

dbx_status dbx__serving_query_target(dbx_client *c, const char *name, dbx__buf *url, dbx__buf *auth, int *no_auth)
{
    *no_auth = 0;
    dbx_status st = DBX_OK;
    pthread_mutex_lock(&c->serving_mu);
    struct dbx__serving_cached *t;
    while ((t = target_find(c, name)) != NULL && t->busy)
        pthread_cond_wait(&c->serving_cv, &c->serving_mu); /* one lookup per endpoint at a time */
    if (!t) {
        t = dbx__calloc(1, sizeof *t);
        if (!t || !(t->name = dbx__strdup(name))) {
            target_free(t);
            pthread_mutex_unlock(&c->serving_mu);
            return dbx__fail(c, DBX_ENOMEM, "out of memory");
        }
        t->next = c->serving_targets;
        c->serving_targets = t;
    }
    if (target_stale(t)) {
        /* the GET and the token exchange run without the mutex: other endpoints go on */
        t->busy = 1;
        pthread_mutex_unlock(&c->serving_mu);
        if (!t->described && (st = target_describe(c, name, t)) == DBX_OK)
            t->described = 1;
        if (st == DBX_OK && target_stale(t))
            st = target_token(c, name, t);
        pthread_mutex_lock(&c->serving_mu);
        t->busy = 0;
        pthread_cond_broadcast(&c->serving_cv);
    }
    if (st == DBX_OK && t->route_optimized) {
        dbx__buf_puts(url, t->url);
        dbx__buf_puts(auth, "Authorization: Bearer ");
        dbx__buf_puts(auth, t->token);
        *no_auth = 1;
        if (url->oom || auth->oom)
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    } else if (st == DBX_OK) {
        st = workspace_target(c, name, url, no_auth);
    }
    if (!t->dropped && (st == DBX_OK || (t->url && st != DBX_ECONFIG))) {
        target_touch(c, t); /* keep it */
    } else {
        target_unlink(c, t);
        target_free(t);
    }
    pthread_mutex_unlock(&c->serving_mu);
    return st;
}

/* ---- query ------------------------------------------------------------------------------------- */

struct dbx_serving_result {
    dbx__view v; /* first */
    dbx__jv pred;
    dbx__jv *items;
    size_t n;
    char *served;
    int64_t latency_ms;
};

DBX_API void dbx_serving_result_free(dbx_serving_result *r)
{
    if (!r)
        return;
    dbx__free(r->items);
    dbx__free(r->served);
    dbx__view_free(r);
}

dbx_status dbx__serving_result_from_doc(dbx_serving_result **out, dbx_client *c, dbx__jdoc *doc,
                                        const char *served, int64_t latency_ms)
{
    dbx_serving_result *r = dbx__view_new(sizeof *r, doc);
    *out = NULL;
    if (r) {
        r->items = NULL;
        r->n = 0;
        r->latency_ms = latency_ms;
        r->served = dbx__strdup(served ? served : "");
        r->pred = dbx__jv_get(V(r), "predictions");
        if (dbx__jv_is_array(r->pred) && (r->n = dbx__jv_count(r->pred)) > 0 &&
            (r->items = dbx__malloc(r->n * sizeof *r->items)) != NULL) {
            dbx__jit it;
            size_t i = 0;
            dbx__jv_iter(r->pred, &it);
            while (i < r->n && dbx__jit_next(&it, &r->items[i], NULL))
                i++;
        }
        if (!r->served || (r->n && !r->items)) {
            dbx_serving_result_free(r);
            r = NULL;
        }
    }
    if (!r)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    *out = r;
    return DBX_OK;
}

static dbx_status check_query_opts(dbx_client *c, const dbx_serving_query_options *o)
{
    if (o && (o->version == 0 || o->version > DBX_SERVING_QUERY_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "dbx_serving_query_options version %u is not supported", o->version);
    if (o && o->timeout_ms < 0)
        return dbx__fail(c, DBX_EINVAL, "dbx_serving_query_options: timeout_ms is negative");
    return DBX_OK;
}

dbx_status dbx__serving_target_get(dbx__serving_target *t, dbx_client *c, const char *name)
{
    memset(t, 0, sizeof *t);
    dbx__buf url = DBX__BUF_INIT, auth = DBX__BUF_INIT;
    int no_auth = 0;
    dbx_status st = dbx__serving_query_target(c, name, &url, &auth, &no_auth);
    if (st == DBX_OK && (url.oom || auth.oom || !url.ptr))
        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    if (st != DBX_OK) {
        if (auth.ptr)
            memset(auth.ptr, 0, auth.len); /* a credential */
        dbx__buf_dispose(&auth);
        dbx__buf_dispose(&url);
        return st;
    }
    t->url = dbx__buf_detach(&url);
    t->auth_header = auth.len ? dbx__buf_detach(&auth) : NULL;
    dbx__buf_dispose(&auth);
    t->no_auth = no_auth;
    if (!t->url) {
        dbx__serving_target_dispose(t);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    return DBX_OK;
}

void dbx__serving_target_dispose(dbx__serving_target *t)
{
    if (!t)
        return;
    dbx__free(t->url);
    if (t->auth_header) {
        memset(t->auth_header, 0, strlen(t->auth_header)); /* a credential */
        dbx__free(t->auth_header);
    }
    memset(t, 0, sizeof *t);
}

void dbx__serving_target_call(dbx__call *call, const dbx__serving_target *t, const char **headers2)
{
    call->method = "POST";
    call->path = t->url;
    call->no_auth = t->no_auth;
    if (t->auth_header) {
        headers2[0] = t->auth_header;
        headers2[1] = NULL;
        call->headers = headers2;
        call->secret_headers = 1;
    }
}

dbx_status dbx__serving_answer(dbx_serving_result **out, dbx_client *c, const dbx__call *call, dbx__http_resp *resp,
                               int64_t latency_ms)
{
    *out = NULL;
    dbx__jdoc doc;
    memset(&doc, 0, sizeof doc);
    const char *rid = dbx__resp_header(resp, "x-request-id");
    const char *lp = is_abs(call->path) ? "(data plane)" : call->path;
    dbx__error_note_answer("POST", lp, resp->status, rid);
    dbx_status st = dbx__jdoc_parse_object(&doc, c, &resp->body);
    if (st != DBX_OK) {
        dbx__error_set_request("POST", lp);
        dbx__error_set_http(resp->status, "", rid);
        return st;
    }
    return dbx__serving_result_from_doc(out, c, &doc, dbx__resp_header(resp, "served-model-name"), latency_ms);
}

static dbx_status send_query(dbx_serving_result **out, dbx_client *c, const char *name, const char *body, size_t len,
                             const dbx_serving_query_options *o)
{
    char small[256];
    dbx__buf path, auth = DBX__BUF_INIT;
    dbx__buf_init_fixed(&path, small, sizeof small);
    dbx__http_resp resp;
    dbx__resp_init(&resp);
    int64_t t0 = dbx__now_ms();
    int no_auth = 0;
    dbx_status st = DBX_OK;
    for (int attempt = 0; attempt < 2; attempt++) {
        dbx__buf_clear(&path);
        if (auth.ptr)
            memset(auth.ptr, 0, auth.len);
        dbx__buf_clear(&auth);
        dbx__resp_reset(&resp);
        st = dbx__serving_query_target(c, name, &path, &auth, &no_auth);
        if (st != DBX_OK)
            break;
        const char *headers[] = {auth.ptr, NULL};
        dbx__call call = {0};
        call.method = "POST";
        call.path = path.ptr;
        call.body = body;
        call.body_len = len;
        call.timeout_ms = o && o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_QUERY_TIMEOUT_MS;
        if (no_auth) {
            call.no_auth = 1;
            call.headers = headers;
            call.secret_headers = 1;
        }
        st = dbx__pipeline_send(&c->pipe, &call, &resp);
        if (st == DBX_OK)
            break;
        if (no_auth && (resp.status == 401 || resp.status == 403) && attempt == 0) {
            /* the data plane refused the token (expired early, endpoint recreated): fetch it again, once */
            dbx__serving_target_drop(c, name);
            continue;
        }
        if (resp.status == 404)
            dbx__serving_target_drop(c, name); /* recreated under the same name: look again next time */
        break;
    }
    if (auth.ptr)
        memset(auth.ptr, 0, auth.len);
    dbx__buf_dispose(&auth);
    int64_t ms = dbx__now_ms() - t0;
    dbx__jdoc doc;
    memset(&doc, 0, sizeof doc);
    /* the request line names the workspace path (a data-plane URL is named by its path only) */
    const char *shown = path.ptr ? path.ptr : "";
    if (no_auth) {
        const char *p = strstr(shown, "://");
        p = p ? strchr(p + 3, '/') : NULL;
        shown = p ? p : "/invocations";
    }
    if (st == DBX_OK) {
        const char *rid = dbx__resp_header(&resp, "x-request-id");
        dbx__error_note_answer("POST", shown, resp.status, rid);
        st = dbx__jdoc_parse_object(&doc, c, &resp.body);
        if (st != DBX_OK) {
            dbx__error_set_request("POST", shown);
            dbx__error_set_http(resp.status, "", rid);
        }
    }
    dbx_serving_result *r = NULL;
    if (st == DBX_OK)
        st = dbx__serving_result_from_doc(&r, c, &doc, dbx__resp_header(&resp, "served-model-name"), ms);
    dbx__resp_dispose(&resp);
    dbx__buf_dispose(&path);
    *out = r;
    return st;
}

static dbx_status too_large(dbx_client *c, const char *fn, const char *arg, size_t len)
{
    return dbx__fail(c, DBX_EINVAL, "%s: %s is %zu bytes, over the serving payload limit of %u bytes (16 MB)", fn, arg,
                     len, DBX_SERVING_MAX_PAYLOAD_BYTES);
}

dbx_status dbx__serving_check_body(dbx_client *c, const char *fn, const char *body, size_t len)
{
    if (len > DBX_SERVING_MAX_PAYLOAD_BYTES)
        return too_large(c, fn, "body", len);
    /* validated with the (non-recursive) indexer, on a copy */
    char *copy = dbx__malloc(len + 1);
    if (!copy)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    memcpy(copy, body, len + 1);
    dbx__jdoc doc;
    dbx__jerr err;
    dbx_status st = dbx__jdoc_parse(&doc, copy, len, 1, &err);
    if (st != DBX_OK) {
        dbx__free(copy);
        return st == DBX_ENOMEM ? dbx__fail(c, DBX_ENOMEM, "out of memory")
                                : dbx__fail(c, DBX_EINVAL, "%s: body is not valid JSON: %s at byte %zu", fn,
                                            err.msg, err.pos);
    }
    int obj = dbx__jv_is_object(dbx__jdoc_root(&doc));
    dbx__jdoc_dispose(&doc);
    if (!obj)
        return dbx__fail(c, DBX_EINVAL, "%s: body must be a JSON object", fn);
    return DBX_OK;
}

dbx_status dbx__serving_input_text(char **out, size_t *len, dbx_client *c, const char *fn, const dbx_serving_input *in)
{
    *out = NULL;
    *len = 0;
    json_t *body;
    dbx_status st = input_body(&body, c, in);
    if (st != DBX_OK)
        return st;
    char *text = dbx__json_dump(body);
    json_decref(body);
    if (!text)
        return dbx__fail(c, DBX_ENOMEM, "out of memory while writing the request body");
    size_t n = strlen(text);
    if (n > DBX_SERVING_MAX_PAYLOAD_BYTES) {
        dbx__free(text);
        return too_large(c, fn, "input", n);
    }
    *out = text;
    *len = n;
    return DBX_OK;
}

DBX_API dbx_status dbx_serving_query(dbx_serving_result **out, dbx_client *c, const char *name, const char *body,
                                     const dbx_serving_query_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    DBX__REQUIRE_STR(c, name);
    DBX__REQUIRE_PTR(c, body);
    dbx_status st = check_query_opts(c, o);
    if (st != DBX_OK)
        return st;
    size_t len = strlen(body);
    if ((st = dbx__serving_check_body(c, __func__, body, len)) != DBX_OK)
        return st;
    return send_query(out, c, name, body, len, o);
}

DBX_API dbx_status dbx_serving_query_input(dbx_serving_result **out, dbx_client *c, const char *name,
                                           const dbx_serving_input *in, const dbx_serving_query_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    DBX__REQUIRE_STR(c, name);
    DBX__REQUIRE_PTR(c, in);
    dbx_status st = check_query_opts(c, o);
    if (st != DBX_OK)
        return st;
    char *text;
    size_t len;
    if ((st = dbx__serving_input_text(&text, &len, c, __func__, in)) != DBX_OK)
        return st;
    st = send_query(out, c, name, text, len, o);
    dbx__free(text);
    return st;
}

static dbx__jv item(const dbx_serving_result *r, size_t i)
{
    return r && i < r->n ? r->items[i] : DBX__JV_ABSENT;
}

DBX_API size_t dbx_serving_result_count(const dbx_serving_result *r) { return r ? r->n : 0; }

DBX_API dbx_serving_value_type dbx_serving_result_type(const dbx_serving_result *r, size_t i)
{
    switch (dbx__jv_type(item(r, i))) {
    case DBX__J_NULL: return DBX_SERVING_VALUE_NULL;
    case DBX__J_TRUE:
    case DBX__J_FALSE: return DBX_SERVING_VALUE_BOOL;
    case DBX__J_INTEGER:
    case DBX__J_REAL: return DBX_SERVING_VALUE_NUMBER;
    case DBX__J_STRING: return DBX_SERVING_VALUE_STRING;
    case DBX__J_ARRAY: return DBX_SERVING_VALUE_ARRAY;
    case DBX__J_OBJECT: return DBX_SERVING_VALUE_OBJECT;
    default: return DBX_SERVING_VALUE_ABSENT;
    }
}

static double num_or_nan(dbx__jv v)
{
    dbx__jtype t = dbx__jv_type(v);
    return t == DBX__J_INTEGER || t == DBX__J_REAL ? dbx__jv_real(v, NAN) : NAN;
}

DBX_API double dbx_serving_result_double(const dbx_serving_result *r, size_t i) { return num_or_nan(item(r, i)); }
DBX_API int64_t dbx_serving_result_int(const dbx_serving_result *r, size_t i, int64_t fallback)
{
    return dbx__jv_int(item(r, i), fallback);
}
DBX_API const char *dbx_serving_result_string(const dbx_serving_result *r, size_t i)
{
    dbx__jv v = item(r, i);
    return dbx__jv_type(v) == DBX__J_STRING ? dbx__jv_str(v, "") : NULL;
}
DBX_API int dbx_serving_result_is_null(const dbx_serving_result *r, size_t i)
{
    return dbx__jv_type(item(r, i)) == DBX__J_NULL;
}
DBX_API double dbx_serving_result_field_double(const dbx_serving_result *r, size_t i, const char *key)
{
    return key ? num_or_nan(dbx__jv_get(item(r, i), key)) : NAN;
}
DBX_API const char *dbx_serving_result_field_string(const dbx_serving_result *r, size_t i, const char *key)
{
    dbx__jv v = key ? dbx__jv_get(item(r, i), key) : DBX__JV_ABSENT;
    return dbx__jv_type(v) == DBX__J_STRING ? dbx__jv_str(v, "") : NULL;
}
DBX_API const char *dbx_serving_result_predictions_json(const dbx_serving_result *r)
{
    if (!r || !dbx__jv_present(r->pred))
        return "";
    const char *t = dbx__view_text(&r->v, 1, r->pred);
    return t ? t : "";
}
DBX_API const char *dbx_serving_result_json(const dbx_serving_result *r)
{
    return r ? dbx__view_text(&r->v, 0, V(r)) : NULL;
}
DBX_API const char *dbx_serving_result_served_model_name(const dbx_serving_result *r)
{
    return r && r->served ? r->served : "";
}
DBX_API int64_t dbx_serving_result_latency_ms(const dbx_serving_result *r) { return r ? r->latency_ms : 0; }

/* ---- champion / challenger ------------------------------------------------------------------ */

/* Input fields of a served entity (EndpointCoreConfigInput.served_entities[]); the answer's
 * output-only fields (state, creator, creation_timestamp, ...) are left out. */
static const char *const entity_input_fields[] = {
    "name", "entity_name", "entity_version", "workload_size", "workload_type", "scale_to_zero_enabled",
    "environment_vars", "instance_profile_arn", "min_provisioned_throughput", "max_provisioned_throughput",
    "min_provisioned_concurrency", "max_provisioned_concurrency", "burst_scaling_enabled", "provisioned_model_units",
    "external_model"};

static int set_copy(json_t *o, const char *key, dbx__jv v)
{
    if (!dbx__jv_present(v) || dbx__jv_type(v) == DBX__J_NULL)
        return 0;
    json_t *j = dbx__jv_to_jansson(v);
    return j ? json_object_set_new(o, key, j) : -1;
}

/* The active config of an endpoint answer as an EndpointCoreConfigInput (jansson, caller
 * decrefs); legacy served_models become served_entities. NULL: out of memory, or *none. */
static json_t *input_config_of(const dbx_serving_endpoint *ep, int *none)
{
    *none = 0;
    int legacy = 0;
    dbx__jv ents = ents_of(ep, DBX_SERVING_ACTIVE, &legacy);
    if (!dbx__jv_is_array(ents) || dbx__jv_count(ents) == 0) {
        *none = 1;
        return NULL;
    }
    json_t *cfg = json_object(), *arr = json_array(), *routes = json_array();
    int bad = !cfg || !arr || !routes;
    dbx__jit it;
    dbx__jv e;
    dbx__jv_iter(ents, &it);
    while (!bad && dbx__jit_next(&it, &e, NULL)) {
        json_t *o = json_object();
        if (!o || json_array_append_new(arr, o) != 0) {
            bad = 1;
            break;
        }
        for (size_t k = 0; k < N_OF(entity_input_fields); k++)
            bad |= set_copy(o, entity_input_fields[k], dbx__jv_get(e, entity_input_fields[k])) != 0;
        if (legacy) {
            bad |= set_copy(o, "entity_name", dbx__jv_get(e, "model_name")) != 0;
            bad |= set_copy(o, "entity_version", dbx__jv_get(e, "model_version")) != 0;
        }
    }
    size_t nr = dbx_serving_endpoint_route_count(ep, DBX_SERVING_ACTIVE);
    for (size_t i = 0; !bad && i < nr; i++) {
        json_t *r = json_pack("{s:s, s:i}", "served_entity_name",
                              dbx_serving_endpoint_route_name(ep, DBX_SERVING_ACTIVE, i), "traffic_percentage",
                              dbx_serving_endpoint_route_percentage(ep, DBX_SERVING_ACTIVE, i));
        bad |= !r || json_array_append_new(routes, r) != 0;
    }
    if (!bad) {
        bad |= json_object_set_new(cfg, "served_entities", arr) != 0;
        arr = NULL;
        if (!bad && nr) {
            json_t *tc = json_object();
            if (!tc || json_object_set_new(cfg, "traffic_config", tc) != 0) {
                bad = 1; /* routes is released below */
            } else {
                bad |= json_object_set_new(tc, "routes", routes) != 0; /* takes routes, also on failure */
                routes = NULL;
            }
        }
    }
    json_decref(arr);
    json_decref(routes);
    if (bad) {
        json_decref(cfg);
        return NULL;
    }
    return cfg;
}

/* Index of the served entity named `entity` in the active config; -1 when none. */
static long entity_index(const dbx_serving_endpoint *ep, const char *entity)
{
    size_t n = dbx_serving_endpoint_entity_count(ep, DBX_SERVING_ACTIVE);
    for (size_t i = 0; i < n; i++)
        if (strcmp(dbx_serving_endpoint_entity_name(ep, DBX_SERVING_ACTIVE, i), entity) == 0)
            return (long)i;
    return -1;
}

/* Replace the routes of `cfg` (an input config) with `n` (name, pct) pairs. */
static int set_routes(json_t *cfg, const char *const *names, const int *pcts, size_t n)
{
    json_t *routes = json_array(), *tc = json_object();
    int bad = !routes || !tc;
    for (size_t i = 0; !bad && i < n; i++) {
        json_t *r = json_pack("{s:s, s:i}", "served_entity_name", names[i], "traffic_percentage", pcts[i]);
        bad |= !r || json_array_append_new(routes, r) != 0;
    }
    if (!bad) {
        bad |= json_object_set_new(tc, "routes", routes) != 0;
        routes = NULL;
        bad |= json_object_set_new(cfg, "traffic_config", tc) != 0;
        tc = NULL;
    }
    json_decref(routes);
    json_decref(tc);
    return bad ? -1 : 0;
}

/* PUT the config, then wait unless no_wait. *out as dbx_serving_traffic_shift. */
static dbx_status apply_config(dbx_serving_endpoint **out, dbx_client *c, const char *name, const json_t *cfg,
                               int no_wait, const dbx_wait_options *wait)
{
    dbx_status st = validate_config(c, cfg);
    if (st != DBX_OK)
        return st;
    dbx__jdoc doc;
    st = call_name(c, "PUT", name, "/config", NULL, NULL, cfg, 0, &doc);
    if (st != DBX_OK)
        return st;
    if (no_wait)
        return dbx__serving_endpoint_from_doc(out, c, &doc, "serving-endpoints/update-config");
    st = dbx__serving_endpoint_from_doc(NULL, c, &doc, "serving-endpoints/update-config");
    if (st != DBX_OK)
        return st;
    return dbx_serving_wait_ready(out, c, name, wait);
}

struct dbx_serving_traffic {
    size_t n;
    char **entity, **model, **version;
    int *pct;
    char *config_json;
};

DBX_API void dbx_serving_traffic_free(dbx_serving_traffic *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        if (t->entity)
            dbx__free(t->entity[i]);
        if (t->model)
            dbx__free(t->model[i]);
        if (t->version)
            dbx__free(t->version[i]);
    }
    dbx__free(t->entity);
    dbx__free(t->model);
    dbx__free(t->version);
    dbx__free(t->pct);
    dbx__free(t->config_json);
    dbx__free(t);
}

static int route_pct(const dbx_serving_endpoint *ep, const char *entity)
{
    size_t nr = dbx_serving_endpoint_route_count(ep, DBX_SERVING_ACTIVE);
    for (size_t i = 0; i < nr; i++)
        if (strcmp(dbx_serving_endpoint_route_name(ep, DBX_SERVING_ACTIVE, i), entity) == 0)
            return dbx_serving_endpoint_route_percentage(ep, DBX_SERVING_ACTIVE, i);
    /* one entity without traffic_config takes everything */
    return nr == 0 && dbx_serving_endpoint_entity_count(ep, DBX_SERVING_ACTIVE) == 1 ? 100 : 0;
}

DBX_API dbx_status dbx_serving_traffic_get(dbx_serving_traffic **out, dbx_client *c, const char *name)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    DBX__REQUIRE_STR(c, name);
    dbx_serving_endpoint *ep = NULL;
    dbx_status st = dbx_serving_get(&ep, c, name);
    if (st != DBX_OK)
        return st;
    size_t n = dbx_serving_endpoint_entity_count(ep, DBX_SERVING_ACTIVE);
    dbx_serving_traffic *t = dbx__calloc(1, sizeof *t);
    int bad = !t;
    if (!bad && n) {
        t->entity = dbx__calloc(n, sizeof *t->entity);
        t->model = dbx__calloc(n, sizeof *t->model);
        t->version = dbx__calloc(n, sizeof *t->version);
        t->pct = dbx__calloc(n, sizeof *t->pct);
        bad = !t->entity || !t->model || !t->version || !t->pct;
    }
    for (size_t i = 0; !bad && i < n; i++) {
        t->n = i + 1;
        const char *en = dbx_serving_endpoint_entity_name(ep, DBX_SERVING_ACTIVE, i);
        t->entity[i] = dbx__strdup(en);
        t->model[i] = dbx__strdup(dbx_serving_endpoint_entity_model(ep, DBX_SERVING_ACTIVE, i));
        t->version[i] = dbx__strdup(dbx_serving_endpoint_entity_version(ep, DBX_SERVING_ACTIVE, i));
        t->pct[i] = route_pct(ep, en);
        bad = !t->entity[i] || !t->model[i] || !t->version[i];
    }
    if (!bad) {
        int none;
        json_t *cfg = input_config_of(ep, &none);
        if (cfg) {
            t->config_json = dbx__json_dump(cfg);
            json_decref(cfg);
        } else if (none) {
            t->config_json = dbx__strdup("{}");
        }
        bad = !t->config_json;
    }
    dbx_serving_endpoint_free(ep);
    if (bad) {
        dbx_serving_traffic_free(t);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    *out = t;
    return DBX_OK;
}

DBX_API size_t dbx_serving_traffic_count(const dbx_serving_traffic *t) { return t ? t->n : 0; }
DBX_API const char *dbx_serving_traffic_entity(const dbx_serving_traffic *t, size_t i)
{
    return t && i < t->n ? t->entity[i] : "";
}
DBX_API const char *dbx_serving_traffic_model(const dbx_serving_traffic *t, size_t i)
{
    return t && i < t->n ? t->model[i] : "";
}
DBX_API const char *dbx_serving_traffic_version(const dbx_serving_traffic *t, size_t i)
{
    return t && i < t->n ? t->version[i] : "";
}
DBX_API int dbx_serving_traffic_percentage(const dbx_serving_traffic *t, size_t i)
{
    return t && i < t->n ? t->pct[i] : 0;
}
DBX_API const char *dbx_serving_traffic_config_json(const dbx_serving_traffic *t)
{
    return t && t->config_json ? t->config_json : "";
}

static dbx_status check_wait_opts(dbx_client *c, const char *fn, const dbx_wait_options *w)
{
    if (w && (w->version == 0 || w->version > DBX_WAIT_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "%s: dbx_wait_options version %u is not supported", fn, w->version);
    return DBX_OK;
}

DBX_API dbx_status dbx_serving_traffic_shift(dbx_serving_endpoint **out, dbx_client *c, const char *name,
                                             const char *champion, const char *challenger, int challenger_pct,
                                             const dbx_serving_traffic_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, name);
    DBX__REQUIRE_STR(c, champion);
    DBX__REQUIRE_STR(c, challenger);
    if (strcmp(champion, challenger) == 0)
        return dbx__fail(c, DBX_EINVAL, "%s: champion and challenger are the same entity (%s)", __func__, champion);
    if (challenger_pct < 0 || challenger_pct > 100)
        return dbx__fail(c, DBX_EINVAL, "%s: challenger_pct must be 0..100, not %d", __func__, challenger_pct);
    if (o && (o->version == 0 || o->version > DBX_SERVING_TRAFFIC_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "dbx_serving_traffic_options version %u is not supported", o->version);
    dbx_status st = check_wait_opts(c, __func__, o ? o->wait : NULL);
    if (st != DBX_OK)
        return st;
    dbx_serving_endpoint *ep = NULL;
    if ((st = dbx_serving_get(&ep, c, name)) != DBX_OK)
        return st;
    const char *missing = entity_index(ep, champion) < 0 ? "champion" : entity_index(ep, challenger) < 0 ? "challenger" : NULL;
    if (missing) {
        st = dbx__fail(c, DBX_ENOTFOUND, "%s: serving endpoint '%s' serves no entity named '%s' (the %s)", __func__,
                       name, strcmp(missing, "champion") == 0 ? champion : challenger, missing);
        dbx_serving_endpoint_free(ep);
        return st;
    }
    int none;
    json_t *cfg = input_config_of(ep, &none);
    size_t n = dbx_serving_endpoint_entity_count(ep, DBX_SERVING_ACTIVE);
    const char **names = dbx__calloc(n, sizeof *names);
    int *pcts = dbx__calloc(n, sizeof *pcts);
    if (!cfg || !names || !pcts) {
        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    } else {
        for (size_t i = 0; i < n; i++) {
            names[i] = dbx_serving_endpoint_entity_name(ep, DBX_SERVING_ACTIVE, i);
            pcts[i] = strcmp(names[i], champion) == 0     ? 100 - challenger_pct
                      : strcmp(names[i], challenger) == 0 ? challenger_pct
                                                          : 0;
        }
        if (set_routes(cfg, names, pcts, n) != 0)
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    if (st == DBX_OK)
        st = apply_config(out, c, name, cfg, o && o->no_wait, o ? o->wait : NULL);
    dbx__free(names);
    dbx__free(pcts);
    json_decref(cfg);
    dbx_serving_endpoint_free(ep);
    return st;
}

struct dbx_serving_promotion {
    dbx_serving_endpoint *ep;
    char *previous;
    char *model;
    char *alias;
    int64_t version, previous_version;
    dbx_registry_t reg;
};

DBX_API void dbx_serving_promotion_free(dbx_serving_promotion *p)
{
    if (!p)
        return;
    dbx_serving_endpoint_free(p->ep);
    dbx__free(p->previous);
    dbx__free(p->model);
    dbx__free(p->alias);
    dbx__free(p);
}

DBX_API const dbx_serving_endpoint *dbx_serving_promotion_endpoint(const dbx_serving_promotion *p)
{
    return p ? p->ep : NULL;
}
DBX_API const char *dbx_serving_promotion_previous_config_json(const dbx_serving_promotion *p)
{
    return p && p->previous ? p->previous : "";
}
DBX_API const char *dbx_serving_promotion_model(const dbx_serving_promotion *p)
{
    return p && p->model ? p->model : "";
}
DBX_API const char *dbx_serving_promotion_alias(const dbx_serving_promotion *p)
{
    return p && p->alias ? p->alias : "";
}
DBX_API int64_t dbx_serving_promotion_alias_version(const dbx_serving_promotion *p) { return p ? p->version : 0; }
DBX_API int64_t dbx_serving_promotion_previous_alias_version(const dbx_serving_promotion *p)
{
    return p ? p->previous_version : 0;
}

static int parse_version(const char *s, int64_t *v)
{
    if (!s || !*s)
        return -1;
    int64_t x = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || x > (INT64_MAX - 9) / 10)
            return -1;
        x = x * 10 + (*p - '0');
    }
    *v = x;
    return 0;
}

DBX_API dbx_status dbx_serving_promote(dbx_serving_promotion **out, dbx_client *c, const char *name,
                                       const char *challenger, const dbx_serving_promote_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, name);
    DBX__REQUIRE_STR(c, challenger);
    if (o && (o->version == 0 || o->version > DBX_SERVING_PROMOTE_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "dbx_serving_promote_options version %u is not supported", o->version);
    dbx_status st = check_wait_opts(c, __func__, o ? o->wait : NULL);
    if (st != DBX_OK)
        return st;
    if (o && o->alias && !*o->alias)
        return dbx__fail(c, DBX_EINVAL, "%s: opts->alias is empty (NULL: no alias)", __func__);
    if (o && o->stage && !o->alias && o->model_name && !*o->model_name)
        return dbx__fail(c, DBX_EINVAL, "%s: opts->model_name is empty", __func__);
    dbx_serving_endpoint *ep = NULL;
    if ((st = dbx_serving_get(&ep, c, name)) != DBX_OK)
        return st;
    long ci = entity_index(ep, challenger);
    if (ci < 0) {
        st = dbx__fail(c, DBX_ENOTFOUND, "%s: serving endpoint '%s' serves no entity named '%s' (the challenger)",
                       __func__, name, challenger);
        dbx_serving_endpoint_free(ep);
        return st;
    }
    dbx_serving_promotion *p = dbx__calloc(1, sizeof *p);
    int none;
    json_t *prev = input_config_of(ep, &none);
    json_t *cfg = prev ? json_deep_copy(prev) : NULL;
    const char *model = o && o->model_name ? o->model_name
                                           : dbx_serving_endpoint_entity_model(ep, DBX_SERVING_ACTIVE, (size_t)ci);
    const char *vtext = dbx_serving_endpoint_entity_version(ep, DBX_SERVING_ACTIVE, (size_t)ci);
    int64_t version = 0;
    if (p)
        p->reg = o ? o->registry : DBX_REGISTRY_DEFAULT;
    if (!p || !prev || !cfg || !(p->previous = dbx__json_dump(prev)) || !(p->model = dbx__strdup(model)) ||
        (o && o->alias && !(p->alias = dbx__strdup(o->alias))))
        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    else if ((o && (o->alias || o->stage)) && parse_version(vtext, &version) != 0)
        st = dbx__fail_answer(c, DBX_EBADRESPONSE, "%s: served entity '%s' has entity_version '%.40s', not a number",
                              __func__, challenger, vtext);
    if (st == DBX_OK) {
        if (!(o && o->keep_others)) {
            /* only the challenger stays */
            json_t *ents = json_object_get(cfg, "served_entities");
            json_t *keep = json_incref(json_array_get(ents, (size_t)ci));
            json_array_clear(ents);
            if (!keep || json_array_append_new(ents, keep) != 0)
                st = dbx__fail(c, DBX_ENOMEM, "out of memory");
            const char *names[1] = {challenger};
            int pcts[1] = {100};
            if (st == DBX_OK && set_routes(cfg, names, pcts, 1) != 0)
                st = dbx__fail(c, DBX_ENOMEM, "out of memory");
        } else {
            size_t n = dbx_serving_endpoint_entity_count(ep, DBX_SERVING_ACTIVE);
            const char **names = dbx__calloc(n, sizeof *names);
            int *pcts = dbx__calloc(n, sizeof *pcts);
            if (!names || !pcts) {
                st = dbx__fail(c, DBX_ENOMEM, "out of memory");
            } else {
                for (size_t i = 0; i < n; i++) {
                    names[i] = dbx_serving_endpoint_entity_name(ep, DBX_SERVING_ACTIVE, i);
                    pcts[i] = i == (size_t)ci ? 100 : 0;
                }
                if (set_routes(cfg, names, pcts, n) != 0)
                    st = dbx__fail(c, DBX_ENOMEM, "out of memory");
            }
            dbx__free(names);
            dbx__free(pcts);
        }
    }
    if (st == DBX_OK)
        st = apply_config(&p->ep, c, name, cfg, 0, o ? o->wait : NULL);
    if (st == DBX_OK && o && o->alias) {
        dbx_model_version *mv = NULL;
        dbx_status gs = dbx_registry_version_get_by_alias(&mv, c, o->registry, p->model, o->alias);
        if (gs == DBX_OK)
            p->previous_version = dbx_model_version_version(mv);
        dbx_model_version_free(mv);
        if (gs != DBX_OK && gs != DBX_ENOTFOUND) {
            st = gs;
            dbx__error_prefix("%s: the config is promoted; reading alias '%s' failed", __func__, o->alias);
        } else {
            dbx__error_clear(c);
            st = dbx_registry_alias_set(c, o->registry, p->model, o->alias, version);
            if (st != DBX_OK)
                dbx__error_prefix("%s: the config is promoted; moving alias '%s' failed", __func__, o->alias);
            else
                p->version = version;
        }
    }
    if (st == DBX_OK && o && o->stage) {
        st = dbx_registry_version_transition_stage(NULL, c, o->registry, p->model, version, o->stage, 1, NULL);
        if (st != DBX_OK)
            dbx__error_prefix("%s: the config is promoted; the stage transition failed", __func__);
    }
    json_decref(prev);
    json_decref(cfg);
    dbx_serving_endpoint_free(ep);
    if (st != DBX_OK || !out)
        dbx_serving_promotion_free(p);
    else
        *out = p;
    return st;
}

DBX_API dbx_status dbx_serving_rollback(dbx_serving_endpoint **out, dbx_client *c, const char *name,
                                        const dbx_serving_config *previous, const dbx_serving_rollback_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, name);
    DBX__REQUIRE_PTR(c, previous);
    if (o && (o->version == 0 || o->version > DBX_SERVING_ROLLBACK_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "dbx_serving_rollback_options version %u is not supported", o->version);
    dbx_status st = check_wait_opts(c, __func__, o ? o->wait : NULL);
    if (st != DBX_OK)
        return st;
    if (o && o->alias && (!*o->alias || dbx__empty(o->model_name)))
        return dbx__fail(c, DBX_EINVAL, "%s: opts->alias needs opts->model_name (and may not be empty)", __func__);
    if (o && o->alias && o->alias_version < 0)
        return dbx__fail(c, DBX_EINVAL, "%s: opts->alias_version is negative", __func__);
    dbx_serving_endpoint *ep = NULL;
    st = apply_config(&ep, c, name, previous->j, 0, o ? o->wait : NULL);
    if (st == DBX_OK && o && o->alias) {
        st = o->alias_version > 0 ? dbx_registry_alias_set(c, o->registry, o->model_name, o->alias, o->alias_version)
                                  : dbx_registry_alias_delete(c, o->registry, o->model_name, o->alias);
        if (st != DBX_OK)
            dbx__error_prefix("%s: the config is restored; moving alias '%s' back failed", __func__, o->alias);
    }
    if (out && st == DBX_OK)
        *out = ep;
    else
        dbx_serving_endpoint_free(ep);
    return st;
}

DBX_API dbx_status dbx_serving_rollback_promotion(dbx_serving_endpoint **out, dbx_client *c, const char *name,
                                                  const dbx_serving_promotion *p, const dbx_wait_options *wait)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, name);
    DBX__REQUIRE_PTR(c, p);
    dbx_serving_config *cfg = NULL;
    dbx_status st = dbx_serving_config_from_json(&cfg, p->previous);
    if (st != DBX_OK)
        return dbx__fail(c, st, "%s: the promotion's previous config: %s", __func__,
                         dbx_client_last_error(NULL)->message);
    dbx_serving_rollback_options ro = DBX_SERVING_ROLLBACK_OPTIONS_INIT;
    ro.wait = wait;
    if (p->alias) {
        ro.alias = p->alias;
        ro.model_name = p->model;
        ro.alias_version = p->previous_version;
        ro.registry = p->reg;
    }
    st = dbx_serving_rollback(out, c, name, cfg, &ro);
    dbx_serving_config_free(cfg);
    return st;
}

/* ---- boolean accessor and batch scoring ----------------------------------------------------- */

DBX_API int dbx_serving_result_bool(const dbx_serving_result *r, size_t i, int fallback)
{
    dbx__jv v = item(r, i);
    switch (dbx__jv_type(v)) {
    case DBX__J_TRUE: return 1;
    case DBX__J_FALSE: return 0;
    case DBX__J_INTEGER:
    case DBX__J_REAL: {
        double d = dbx__jv_real(v, NAN);
        return d == 1 ? 1 : d == 0 ? 0 : fallback;
    }
    default: return fallback;
    }
}

#define MAX_BATCH_PARALLEL 16

typedef struct chunk {
    size_t first, n; /* rows */
    char *body;
    size_t len;
} chunk;

/* The body of rows [first, first + n) of `in` as JSON text (caller frees). */
static dbx_status chunk_body(char **out, size_t *len, dbx_client *c, const dbx_serving_input *in, size_t first,
                             size_t n)
{
    *out = NULL;
    dbx_serving_input sub = *in;
    sub.rows = json_array();
    for (size_t r = 0; sub.rows && r < n; r++)
        if (json_array_append(sub.rows, json_array_get(in->rows, first + r)) != 0) {
            json_decref(sub.rows);
            sub.rows = NULL;
        }
    if (!sub.rows)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    json_t *body = NULL;
    dbx_status st = input_body(&body, c, &sub);
    json_decref(sub.rows);
    if (st != DBX_OK)
        return st;
    *out = dbx__json_dump(body);
    json_decref(body);
    if (!*out)
        return dbx__fail(c, DBX_ENOMEM, "out of memory while writing a request body");
    *len = strlen(*out);
    return DBX_OK;
}

static void chunks_free(chunk *ch, size_t n)
{
    for (size_t i = 0; ch && i < n; i++)
        dbx__free(ch[i].body);
    dbx__free(ch);
}

/* Split the rows into chunks under `limit` bytes and `max_rows` rows: greedy on an estimate
 * of each row's size, then halved (iteratively) while a body is still over the limit. */
static dbx_status make_chunks(chunk **out, size_t *nout, dbx_client *c, const dbx_serving_input *in, size_t max_rows,
                              size_t limit)
{
    *out = NULL;
    *nout = 0;
    size_t nr = json_array_size(in->rows), nc = json_array_size(in->cols);
    size_t names = 0; /* per row, in the record formats: "name": for each column */
    for (size_t k = 0; k < nc; k++)
        names += strlen(json_string_value(json_array_get(in->cols, k))) + 4;
    chunk *ch = NULL;
    size_t n = 0, cap = 0;
    size_t r = 0;
    dbx_status st = DBX_OK;
    while (st == DBX_OK && r < nr) {
        /* estimate: the rows' own JSON (+ column names for record formats) */
        size_t take = 0, est = 256 + (in->params ? 4096 : 0);
        while (r + take < nr && (!max_rows || take < max_rows)) {
            char *t = dbx__json_dump(json_array_get(in->rows, r + take));
            if (!t) {
                st = dbx__fail(c, DBX_ENOMEM, "out of memory");
                break;
            }
            size_t rs = strlen(t) + 1 + (in->format == DBX_SERVING_DATAFRAME_RECORDS || in->format == DBX_SERVING_INSTANCES ? names : 0);
            dbx__free(t);
            if (take > 0 && est + rs > limit)
                break;
            est += rs;
            take++;
        }
        if (st != DBX_OK)
            break;
        for (;;) {
            char *body = NULL;
            size_t len = 0;
            if ((st = chunk_body(&body, &len, c, in, r, take)) != DBX_OK)
                break;
            if (len <= limit) {
                if (n == cap) {
                    size_t nc2 = cap ? cap * 2 : 16;
                    chunk *q = dbx__realloc(ch, nc2 * sizeof *ch);
                    if (!q) {
                        dbx__free(body);
                        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
                        break;
                    }
                    ch = q;
                    cap = nc2;
                }
                ch[n].first = r;
                ch[n].n = take;
                ch[n].body = body;
                ch[n].len = len;
                n++;
                r += take;
                break;
            }
            dbx__free(body);
            if (take == 1) {
                st = dbx__fail(c, DBX_EINVAL,
                               "dbx_serving_query_batch: input row %zu alone makes a %zu-byte request, over the "
                               "limit of %zu bytes",
                               r, len, limit);
                break;
            }
            take /= 2;
        }
    }
    if (st != DBX_OK) {
        chunks_free(ch, n);
        return st;
    }
    *out = ch;
    *nout = n;
    return DBX_OK;
}

DBX_API dbx_status dbx_serving_query_batch(dbx_serving_result **out, dbx_client *c, const char *name,
                                           const dbx_serving_input *in, size_t max_rows_per_request,
                                           const dbx_serving_batch_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    DBX__REQUIRE_STR(c, name);
    DBX__REQUIRE_PTR(c, in);
    if (o && (o->version == 0 || o->version > DBX_SERVING_BATCH_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "dbx_serving_batch_options version %u is not supported", o->version);
    if (o && (o->timeout_ms < 0 || o->max_parallel < 0))
        return dbx__fail(c, DBX_EINVAL, "dbx_serving_batch_options: timeout_ms or max_parallel is negative");
    if (!in->cols || !json_array_size(in->rows))
        return dbx__fail(c, DBX_EINVAL, "%s: input has no %s", __func__, in->cols ? "rows" : "columns");
    size_t limit = o && o->max_bytes_per_request && o->max_bytes_per_request < DBX_SERVING_MAX_PAYLOAD_BYTES
                       ? o->max_bytes_per_request
                       : DBX_SERVING_MAX_PAYLOAD_BYTES;
    int par = o && o->max_parallel ? o->max_parallel : DBX__BATCH_DEFAULT_PARALLEL;
    if (par > MAX_BATCH_PARALLEL)
        par = MAX_BATCH_PARALLEL;
    chunk *ch = NULL;
    size_t n = 0;
    dbx_status st = make_chunks(&ch, &n, c, in, max_rows_per_request, limit);
    if (st != DBX_OK)
        return st;
    int64_t t0 = dbx__now_ms();
    dbx__call *calls = dbx__calloc(n, sizeof *calls);
    dbx__http_resp *resps = dbx__calloc(n, sizeof *resps);
    dbx__batch_item *items = dbx__calloc(n, sizeof *items);
    dbx__buf url = DBX__BUF_INIT, auth = DBX__BUF_INIT, all = DBX__BUF_INIT;
    if (!calls || !resps || !items)
        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    for (size_t i = 0; st == DBX_OK && i < n; i++)
        dbx__resp_init(&resps[i]);
    int no_auth = 0;
    const char *headers[2] = {NULL, NULL};
    /* a second round only for chunks the data plane refused with 401/403 (the token is fetched again) */
    for (int round = 0; st == DBX_OK && round < 2; round++) {
        dbx__buf_clear(&url);
        if (auth.ptr)
            memset(auth.ptr, 0, auth.len);
        dbx__buf_clear(&auth);
        if ((st = dbx__serving_query_target(c, name, &url, &auth, &no_auth)) != DBX_OK)
            break;
        headers[0] = auth.ptr;
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (round == 1 && items[i].status == DBX_OK)
                continue;
            dbx__resp_reset(&resps[i]);
            dbx__call *cl = &calls[i];
            memset(cl, 0, sizeof *cl);
            cl->method = "POST";
            cl->path = url.ptr;
            cl->body = ch[i].body;
            cl->body_len = ch[i].len;
            cl->timeout_ms = o && o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_QUERY_TIMEOUT_MS;
            if (no_auth) {
                cl->no_auth = 1;
                cl->headers = headers;
                cl->secret_headers = 1;
            }
            k++;
        }
        /* send the ones of this round: compact them into a temporary item list */
        dbx__batch_item *run = dbx__calloc(k ? k : 1, sizeof *run);
        size_t *map = dbx__calloc(k ? k : 1, sizeof *map);
        if (!run || !map) {
            dbx__free(run);
            dbx__free(map);
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
            break;
        }
        k = 0;
        for (size_t i = 0; i < n; i++) {
            if (round == 1 && items[i].status == DBX_OK)
                continue;
            run[k].call = &calls[i];
            run[k].resp = &resps[i];
            map[k++] = i;
        }
        (void)dbx__pipeline_send_many(&c->pipe, run, k, par);
        int refused = 0;
        for (size_t j = 0; j < k; j++) {
            size_t i = map[j];
            if (items[i].error)
                dbx__errsave_free(items[i].error);
            items[i].status = run[j].status;
            items[i].error = run[j].error;
            run[j].error = NULL;
            refused |= no_auth && items[i].status != DBX_OK && (resps[i].status == 401 || resps[i].status == 403);
        }
        dbx__free(run);
        dbx__free(map);
        if (!refused)
            break;
        dbx__serving_target_drop(c, name);
    }
    if (auth.ptr)
        memset(auth.ptr, 0, auth.len);
    dbx__buf_dispose(&auth);
    /* the first failure in input order */
    for (size_t i = 0; st == DBX_OK && i < n; i++) {
        if (items[i].status != DBX_OK) {
            st = items[i].status;
            if (items[i].error)
                dbx__error_restore(items[i].error);
            dbx__error_prefix("%s: rows %zu..%zu", __func__, ch[i].first, ch[i].first + ch[i].n - 1);
        }
    }
    /* {"predictions": [...every chunk's, in order]} */
    char *served = NULL;
    dbx__buf_puts(&all, "{\"predictions\":[");
    for (size_t i = 0; st == DBX_OK && i < n; i++) {
        dbx__jdoc doc;
        st = dbx__jdoc_parse_object(&doc, c, &resps[i].body);
        if (st != DBX_OK)
            break;
        dbx__jv pred = dbx__jv_get(dbx__jdoc_root(&doc), "predictions");
        if (!dbx__jv_is_array(pred) || dbx__jv_count(pred) != ch[i].n) {
            st = dbx__fail_answer(c, DBX_EBADRESPONSE,
                                  "%s: the answer for rows %zu..%zu has %zu predictions, not one per row", __func__,
                                  ch[i].first, ch[i].first + ch[i].n - 1,
                                  dbx__jv_is_array(pred) ? dbx__jv_count(pred) : (size_t)0);
            dbx__jdoc_dispose(&doc);
            break;
        }
        char *t = dbx__jv_dump(pred);
        if (t && strlen(t) >= 2) {
            if (i > 0 && strlen(t) > 2)
                dbx__buf_putc(&all, ',');
            dbx__buf_put(&all, t + 1, strlen(t) - 2);
        }
        if (!t)
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
        dbx__free(t);
        if (i == 0) {
            const char *smn = dbx__resp_header(&resps[i], "served-model-name");
            served = dbx__strdup(smn ? smn : "");
            if (!served)
                st = dbx__fail(c, DBX_ENOMEM, "out of memory");
        }
        dbx__jdoc_dispose(&doc);
    }
    dbx__buf_puts(&all, "]}");
    if (st == DBX_OK && all.oom)
        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    if (st == DBX_OK) {
        size_t len = all.len;
        char *text = dbx__buf_detach(&all);
        dbx__jdoc doc;
        dbx__jerr err;
        if (!text)
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
        else if ((st = dbx__jdoc_parse(&doc, text, len, 1, &err)) != DBX_OK) {
            dbx__free(text);
            st = st == DBX_ENOMEM ? dbx__fail(c, DBX_ENOMEM, "out of memory")
                                  : dbx__fail(c, DBX_EBADRESPONSE, "%s: combining the answers failed", __func__);
        } else
            st = dbx__serving_result_from_doc(out, c, &doc, served, dbx__now_ms() - t0);
    }
    dbx__free(served);
    dbx__buf_dispose(&all);
    dbx__buf_dispose(&url);
    if (items)
        dbx__batch_dispose(items, n);
    for (size_t i = 0; resps && i < n; i++)
        dbx__resp_dispose(&resps[i]);
    dbx__free(items);
    dbx__free(resps);
    dbx__free(calls);
    chunks_free(ch, n);
    return st;
}
