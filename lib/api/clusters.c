/* libdbx: Clusters API (/api/2.1/clusters/ *). Request building and response mapping only. */
#include <stdatomic.h>
#include <string.h>

#include "api.h"
#include "dbx/clusters.h"
#include "dbx/sys/json.h"

#define BASE "/api/2.1/clusters"

/* ---- enums ------------------------------------------------------------------- */

static const char *state_names[] = {"UNKNOWN",     "PENDING",    "RUNNING", "RESTARTING",
                                    "RESIZING",    "TERMINATING", "TERMINATED", "ERROR"};

DBX_API const char *dbx_cluster_state_name(dbx_cluster_state_t s)
{
    return (unsigned)s < sizeof state_names / sizeof *state_names ? state_names[s] : "UNKNOWN";
}

static dbx_cluster_state_t state_parse(const char *s)
{
    for (size_t i = 1; s && i < sizeof state_names / sizeof *state_names; i++)
        if (strcmp(s, state_names[i]) == 0)
            return (dbx_cluster_state_t)i;
    return DBX_CLUSTER_STATE_UNKNOWN;
}

/* ---- spec ---------------------------------------------------------------------- */

struct dbx_cluster_spec {
    json_t *j;
};

typedef enum { T_STR, T_INT, T_BOOL, T_OBJ, T_ARR, T_MAP } ftype;
static const struct {
    const char *name;
    ftype t;
} known_fields[] = {
    {"spark_version", T_STR}, {"cluster_name", T_STR}, {"node_type_id", T_STR},
    {"driver_node_type_id", T_STR}, {"policy_id", T_STR}, {"instance_pool_id", T_STR},
    {"driver_instance_pool_id", T_STR}, {"data_security_mode", T_STR}, {"single_user_name", T_STR},
    {"runtime_engine", T_STR}, {"kind", T_STR}, {"num_workers", T_INT},
    {"autotermination_minutes", T_INT}, {"enable_elastic_disk", T_BOOL},
    {"enable_local_disk_encryption", T_BOOL}, {"apply_policy_default_values", T_BOOL},
    {"is_single_node", T_BOOL}, {"use_ml_runtime", T_BOOL}, {"autoscale", T_OBJ},
    {"spark_conf", T_MAP}, {"spark_env_vars", T_MAP}, {"custom_tags", T_MAP},
    {"aws_attributes", T_OBJ}, {"azure_attributes", T_OBJ}, {"gcp_attributes", T_OBJ},
    {"cluster_log_conf", T_OBJ}, {"docker_image", T_OBJ}, {"workload_type", T_OBJ},
    {"clone_from", T_OBJ}, {"ssh_public_keys", T_ARR}, {"init_scripts", T_ARR},
};

static const char *type_name(ftype t)
{
    static const char *n[] = {"a string", "an integer", "a boolean", "an object", "an array",
                              "an object of strings"};
    return n[t];
}

/* Validate one field; returns NULL when fine, else a message (static or into buf). */
static const char *check_field(const char *name, const json_t *v, char *buf, size_t cap)
{
    for (size_t i = 0; i < sizeof known_fields / sizeof *known_fields; i++) {
        if (strcmp(known_fields[i].name, name) != 0)
            continue;
        ftype t = known_fields[i].t;
        int ok = (t == T_STR && json_is_string(v)) || (t == T_INT && json_is_integer(v)) ||
                 (t == T_BOOL && json_is_boolean(v)) || ((t == T_OBJ || t == T_MAP) && json_is_object(v)) ||
                 (t == T_ARR && json_is_array(v));
        if (!ok) {
            snprintf(buf, cap, "$.%s must be %s", name, type_name(t));
            return buf;
        }
        if (t == T_MAP) {
            const char *k;
            json_t *e;
            json_object_foreach((json_t *)v, k, e)
            {
                if (!json_is_string(e)) {
                    snprintf(buf, cap, "$.%s.%.64s must be a string", name, k);
                    return buf;
                }
            }
        }
        if (strcmp(name, "num_workers") == 0 && json_integer_value(v) < 0)
            return "$.num_workers must be >= 0";
        if (strcmp(name, "autotermination_minutes") == 0) {
            json_int_t m = json_integer_value(v);
            if (m != 0 && (m < 10 || m > 10000))
                return "$.autotermination_minutes must be 0 or 10..10000";
        }
        if (strcmp(name, "autoscale") == 0) {
            json_t *mn = json_object_get(v, "min_workers"), *mx = json_object_get(v, "max_workers");
            if (!json_is_integer(mn) || !json_is_integer(mx))
                return "$.autoscale needs integer min_workers and max_workers";
            if (json_integer_value(mn) < 0 || json_integer_value(mx) <= json_integer_value(mn))
                return "$.autoscale needs 0 <= min_workers < max_workers";
        }
        return NULL;
    }
    return NULL; /* unknown fields pass through */
}

static dbx_status validate_spec(const void *owner, const json_t *j)
{
    char buf[160];
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v)
    {
        const char *err = check_field(k, v, buf, sizeof buf);
        if (err)
            return dbx__fail(owner, DBX_EINVAL, "cluster spec: %s", err);
    }
    if (json_object_get(j, "num_workers") && json_object_get(j, "autoscale"))
        return dbx__fail(owner, DBX_EINVAL, "cluster spec: num_workers and autoscale are mutually exclusive");
    return DBX_OK;
}

DBX_API dbx_status dbx_cluster_spec_new(dbx_cluster_spec **out)
{
    DBX__JSPEC_RETURN(out, dbx__jspec_new(sizeof **out, &st_));
}

static dbx_status check_spec(const json_t *j) { return validate_spec(NULL, j); }

DBX_API dbx_status dbx_cluster_spec_from_json(dbx_cluster_spec **out, const char *text)
{
    DBX__JSPEC_RETURN(out, dbx__jspec_parse(sizeof **out, __func__, "cluster spec", text, check_spec, &st_));
}

DBX_API void dbx_cluster_spec_free(dbx_cluster_spec *spec) { dbx__jspec_free(spec); }

/* Set a field after validating it; takes the reference to v. */
static dbx_status spec_set(dbx_cluster_spec *s, const char *field, json_t *v)
{
    dbx__error_clear(NULL);
    if (!s || !field || !*field) {
        json_decref(v);
        return dbx__fail(NULL, DBX_EINVAL, "spec and field are required");
    }
    if (!dbx__utf8_valid(field)) { /* jansson would refuse the key: not an allocation failure */
        json_decref(v);
        return dbx__fail(NULL, DBX_EINVAL, "cluster spec: field is not valid UTF-8");
    }
    if (!v)
        return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
    char buf[160];
    const char *err = check_field(field, v, buf, sizeof buf);
    if (err) {
        json_decref(v);
        return dbx__fail(NULL, DBX_EINVAL, "cluster spec: %s", err);
    }
    if (json_object_set_new(s->j, field, v) != 0)
        return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
    return DBX_OK;
}

static dbx_status spec_set_str(dbx_cluster_spec *s, const char *field, const char *value)
{
    if (!value || !dbx__utf8_valid(value)) {
        dbx__error_clear(NULL);
        return dbx__fail(NULL, DBX_EINVAL, "%s: value is %s", field, value ? "not valid UTF-8" : "NULL");
    }
    return spec_set(s, field, json_string(value));
}

static dbx_status spec_set_map(dbx_cluster_spec *s, const char *field, const char *key, const char *value)
{
    dbx__error_clear(NULL);
    if (!s || dbx__empty(key) || !value)
        return dbx__fail(NULL, DBX_EINVAL, "%s: spec, key and value are required", field);
    if (!dbx__utf8_valid(key) || !dbx__utf8_valid(value))
        return dbx__fail(NULL, DBX_EINVAL, "%s: %s is not valid UTF-8", field, dbx__utf8_valid(key) ? "value" : "key");
    json_t *m = json_object_get(s->j, field);
    if (!json_is_object(m)) {
        m = json_object();
        if (!m || json_object_set_new(s->j, field, m) != 0)
            return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
    }
    if (dbx__json_set_str(m, key, value) != 0)
        return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
    return DBX_OK;
}

DBX_API dbx_status dbx_cluster_spec_set_spark_version(dbx_cluster_spec *s, const char *v) { return spec_set_str(s, "spark_version", v); }
DBX_API dbx_status dbx_cluster_spec_set_cluster_name(dbx_cluster_spec *s, const char *v) { return spec_set_str(s, "cluster_name", v); }
DBX_API dbx_status dbx_cluster_spec_set_node_type_id(dbx_cluster_spec *s, const char *v) { return spec_set_str(s, "node_type_id", v); }
DBX_API dbx_status dbx_cluster_spec_set_driver_node_type_id(dbx_cluster_spec *s, const char *v) { return spec_set_str(s, "driver_node_type_id", v); }
DBX_API dbx_status dbx_cluster_spec_set_policy_id(dbx_cluster_spec *s, const char *v) { return spec_set_str(s, "policy_id", v); }
DBX_API dbx_status dbx_cluster_spec_set_instance_pool_id(dbx_cluster_spec *s, const char *v) { return spec_set_str(s, "instance_pool_id", v); }
DBX_API dbx_status dbx_cluster_spec_set_data_security_mode(dbx_cluster_spec *s, const char *v) { return spec_set_str(s, "data_security_mode", v); }
DBX_API dbx_status dbx_cluster_spec_set_single_user_name(dbx_cluster_spec *s, const char *v) { return spec_set_str(s, "single_user_name", v); }
DBX_API dbx_status dbx_cluster_spec_set_runtime_engine(dbx_cluster_spec *s, const char *v) { return spec_set_str(s, "runtime_engine", v); }

DBX_API dbx_status dbx_cluster_spec_set_num_workers(dbx_cluster_spec *s, int n)
{
    dbx_status st = spec_set(s, "num_workers", json_integer(n));
    if (st == DBX_OK)
        json_object_del(s->j, "autoscale");
    return st;
}

DBX_API dbx_status dbx_cluster_spec_set_autoscale(dbx_cluster_spec *s, int min_workers, int max_workers)
{
    dbx_status st = spec_set(s, "autoscale", json_pack("{s:i,s:i}", "min_workers", min_workers,
                                                       "max_workers", max_workers));
    if (st == DBX_OK)
        json_object_del(s->j, "num_workers");
    return st;
}

DBX_API dbx_status dbx_cluster_spec_set_autotermination_minutes(dbx_cluster_spec *s, int minutes)
{
    return spec_set(s, "autotermination_minutes", json_integer(minutes));
}

DBX_API dbx_status dbx_cluster_spec_set_spark_conf(dbx_cluster_spec *s, const char *k, const char *v) { return spec_set_map(s, "spark_conf", k, v); }
DBX_API dbx_status dbx_cluster_spec_set_spark_env_var(dbx_cluster_spec *s, const char *k, const char *v) { return spec_set_map(s, "spark_env_vars", k, v); }
DBX_API dbx_status dbx_cluster_spec_set_custom_tag(dbx_cluster_spec *s, const char *k, const char *v) { return spec_set_map(s, "custom_tags", k, v); }

DBX_API dbx_status dbx_cluster_spec_set_json(dbx_cluster_spec *s, const char *field, const char *text)
{
    dbx__error_clear(NULL);
    if (!text)
        return dbx__fail(NULL, DBX_EINVAL, "json is NULL");
    char err[160];
    json_t *v = NULL;
    dbx_status pst = dbx__json_parse_text(&v, text, err, sizeof err);
    if (pst == DBX_ENOMEM)
        return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
    if (pst != DBX_OK)
        return dbx__fail(NULL, DBX_EINVAL, "value for %.64s is not valid JSON: %s",
                         field && dbx__utf8_valid(field) ? field : "?", err);
    dbx_status st = spec_set(s, field, v);
    if (st == DBX_OK && s && json_object_get(s->j, "num_workers") && json_object_get(s->j, "autoscale")) {
        json_object_del(s->j, strcmp(field, "autoscale") == 0 ? "num_workers" : "autoscale");
    }
    return st;
}

DBX_API dbx_status dbx_cluster_spec_to_json(char **out, const dbx_cluster_spec *s)
{
    dbx__error_clear(NULL);
    if (!out || !s)
        return dbx__fail(NULL, DBX_EINVAL, "out and spec are required");
    *out = dbx__json_dump(s->j);
    return *out ? DBX_OK : dbx__fail(NULL, DBX_ENOMEM, "out of memory");
}

/* ---- cluster result ------------------------------------------------------------- */

struct dbx_cluster {
    dbx__view v; /* first: the pointer is also a dbx__view * */
};

DBX_API void dbx_cluster_free(dbx_cluster *cl) { dbx__view_free(cl); }

#define V(cl) ((cl)->v.v)
#define S(cl, key) ((cl) ? dbx__jv_get_str(V(cl), key, "") : "")
DBX_API const char *dbx_cluster_id(const dbx_cluster *cl) { return S(cl, "cluster_id"); }
DBX_API const char *dbx_cluster_name(const dbx_cluster *cl) { return S(cl, "cluster_name"); }
DBX_API const char *dbx_cluster_state_str(const dbx_cluster *cl) { return S(cl, "state"); }
DBX_API dbx_cluster_state_t dbx_cluster_state(const dbx_cluster *cl) { return state_parse(S(cl, "state")); }
DBX_API const char *dbx_cluster_state_message(const dbx_cluster *cl) { return S(cl, "state_message"); }
DBX_API const char *dbx_cluster_spark_version(const dbx_cluster *cl) { return S(cl, "spark_version"); }
DBX_API const char *dbx_cluster_node_type_id(const dbx_cluster *cl) { return S(cl, "node_type_id"); }
DBX_API const char *dbx_cluster_driver_node_type_id(const dbx_cluster *cl) { return S(cl, "driver_node_type_id"); }
DBX_API const char *dbx_cluster_creator_user_name(const dbx_cluster *cl) { return S(cl, "creator_user_name"); }
DBX_API const char *dbx_cluster_source(const dbx_cluster *cl) { return S(cl, "cluster_source"); }
DBX_API int64_t dbx_cluster_start_time(const dbx_cluster *cl) { return cl ? dbx__jv_get_int(V(cl), "start_time", 0) : 0; }
DBX_API int64_t dbx_cluster_terminated_time(const dbx_cluster *cl) { return cl ? dbx__jv_get_int(V(cl), "terminated_time", 0) : 0; }
DBX_API int dbx_cluster_autotermination_minutes(const dbx_cluster *cl) { return cl ? (int)dbx__jv_get_int(V(cl), "autotermination_minutes", 0) : 0; }

DBX_API const char *dbx_cluster_termination_code(const dbx_cluster *cl)
{
    return cl ? dbx__jv_str(dbx__jv_path(V(cl), "termination_reason.code"), "") : "";
}

DBX_API const char *dbx_cluster_termination_type(const dbx_cluster *cl)
{
    return cl ? dbx__jv_str(dbx__jv_path(V(cl), "termination_reason.type"), "") : "";
}

DBX_API int dbx_cluster_num_workers(const dbx_cluster *cl)
{
    if (!cl)
        return 0;
    if (dbx__jv_is_object(dbx__jv_get(V(cl), "autoscale")))
        return -1;
    return (int)dbx__jv_get_int(V(cl), "num_workers", 0);
}

DBX_API int dbx_cluster_autoscale(const dbx_cluster *cl, int *min_workers, int *max_workers)
{
    dbx__jv a = cl ? dbx__jv_get(V(cl), "autoscale") : DBX__JV_ABSENT;
    int on = dbx__jv_is_object(a);
    if (min_workers)
        *min_workers = on ? (int)dbx__jv_get_int(a, "min_workers", 0) : -1;
    if (max_workers)
        *max_workers = on ? (int)dbx__jv_get_int(a, "max_workers", 0) : -1;
    return on;
}

static const char *map_get(const dbx_cluster *cl, const char *map, const char *key)
{
    if (!cl || !key)
        return NULL;
    return dbx__jv_get_str(dbx__jv_get(V(cl), map), key, NULL);
}

DBX_API const char *dbx_cluster_spark_conf(const dbx_cluster *cl, const char *key) { return map_get(cl, "spark_conf", key); }
DBX_API const char *dbx_cluster_custom_tag(const dbx_cluster *cl, const char *key) { return map_get(cl, "custom_tags", key); }

DBX_API const char *dbx_cluster_json(const dbx_cluster *cl)
{
    return cl ? dbx__view_text(&cl->v, 0, V(cl)) : NULL;
}

/* ---- operations -------------------------------------------------------------------- */

/* POST {cluster_id, ...extra} -> {} */
static dbx_status post_id(dbx_client *c, const char *op, const char *cluster_id, json_t *body)
{
    char path[64];
    snprintf(path, sizeof path, BASE "/%s", op);
    if (!body || dbx__json_set_str(body, "cluster_id", cluster_id) != 0) {
        dbx__json_decref_deep(body);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx_status st = dbx__api_call(c, "POST", path, body, 0, NULL);
    dbx__json_decref_deep(body);
    return st;
}

static dbx_status require_spark_version(dbx_client *c, const json_t *j)
{
    const char *v = json_string_value(json_object_get(j, "spark_version"));
    return dbx__empty(v) ? dbx__fail(c, DBX_EINVAL, "cluster spec: spark_version is required") : DBX_OK;
}

DBX_API dbx_status dbx_clusters_create(char **cluster_id, dbx_client *c, const dbx_cluster_spec *spec)
{
    if (cluster_id)
        *cluster_id = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, cluster_id);
    DBX__REQUIRE_PTR(c, spec);
    dbx_status st = validate_spec(c, spec->j);
    if (st == DBX_OK)
        st = require_spark_version(c, spec->j);
    if (st != DBX_OK)
        return st;
    dbx__jdoc resp;
    st = dbx__api_call(c, "POST", BASE "/create", spec->j, 0, &resp);
    if (st != DBX_OK)
        return st;
    const char *id = dbx__jv_get_str(dbx__jdoc_root(&resp), "cluster_id", NULL);
    if (dbx__empty(id)) {
        dbx__jdoc_dispose(&resp);
        return dbx__fail_answer(c, DBX_EBADRESPONSE, "clusters/create: response has no cluster_id");
    }
    *cluster_id = dbx__strdup(id);
    dbx__jdoc_dispose(&resp);
    return *cluster_id ? DBX_OK : dbx__fail(c, DBX_ENOMEM, "out of memory");
}

DBX_API dbx_status dbx_clusters_edit(dbx_client *c, const char *cluster_id, const dbx_cluster_spec *spec)
{
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, cluster_id);
    DBX__REQUIRE_PTR(c, spec);
    dbx_status st = validate_spec(c, spec->j);
    if (st == DBX_OK)
        st = require_spark_version(c, spec->j);
    if (st != DBX_OK)
        return st;
    json_t *body = json_deep_copy(spec->j);
    if (body)
        json_object_del(body, "clone_from"); /* create-only: the service rejects it on edit */
    return post_id(c, "edit", cluster_id, body);
}

/* "*", or comma-separated field paths whose dot-separated names are made of
 * [A-Za-z0-9_]: no blanks, no empty path, no empty name ("a..b", "a."). */
/* "*", or comma-separated field paths without blanks: names of letters,
 * digits and '_' (not starting with a digit), joined by '.' into objects. */
static int mask_ok(const char *m)
{
    if (strcmp(m, "*") == 0)
        return 1;
    char prev = ',';
    for (const char *p = m;; p++) {
        char ch = *p;
        int name_start = prev == ',' || prev == '.';
        if (ch == ',' || ch == '.' || ch == '\0') {
            if (name_start)
                return 0;
            if (!ch)
                return 1;
        } else if (!(ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                     (!name_start && ch >= '0' && ch <= '9'))) {
            return 0;
        }
        prev = ch;
    }
}

/* Does the mask name a top-level field? */
static int mask_names(const char *m, const char *field)
{
    size_t n = strlen(field);
    for (const char *p = m; *p;) {
        size_t k = strcspn(p, ",");
        if (k >= n && strncmp(p, field, n) == 0 && (k == n || p[n] == '.'))
            return 1;
        p += k + (p[k] == ',');
    }
    return 0;
}

DBX_API dbx_status dbx_clusters_update(dbx_client *c, const char *cluster_id, const char *update_mask,
                                       const dbx_cluster_spec *spec)
{
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, cluster_id);
    DBX__REQUIRE_STR(c, update_mask);
    DBX__REQUIRE_PTR(c, spec);
    if (!mask_ok(update_mask))
        return dbx__fail(c, DBX_EINVAL, "%s: update_mask must be \"*\" or comma-separated field names "
                                        "without blanks", __func__);
    if (mask_names(update_mask, "clone_from"))
        return dbx__fail(c, DBX_EINVAL, "%s: update_mask names clone_from, which only create takes", __func__);
    dbx_status st = validate_spec(c, spec->j);
    if (st != DBX_OK)
        return st;
    json_t *body = json_object();
    json_t *cl = json_deep_copy(spec->j);
    if (cl)
        json_object_del(cl, "clone_from");
    if (!body || !cl || json_object_set_new(body, "cluster", cl) != 0 ||
        dbx__json_set_str(body, "update_mask", update_mask) != 0) {
        if (!body)
            dbx__json_decref_deep(cl);
        dbx__json_decref_deep(body);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    return post_id(c, "update", cluster_id, body);
}

DBX_API dbx_status dbx_clusters_get(dbx_cluster **out, dbx_client *c, const char *cluster_id)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    DBX__REQUIRE_STR(c, cluster_id);
    char small[256];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    dbx__buf_puts(&path, BASE "/get");
    if (dbx__query_add(&path, "cluster_id", cluster_id) != 0) {
        dbx__buf_dispose(&path);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx__jdoc doc;
    dbx_status st = dbx__api_call(c, "GET", path.ptr, NULL, 0, &doc);
    dbx__buf_dispose(&path);
    if (st != DBX_OK)
        return st;
    if (dbx__empty(dbx__jv_get_str(dbx__jdoc_root(&doc), "cluster_id", NULL))) {
        dbx__jdoc_dispose(&doc);
        return dbx__fail_answer(c, DBX_EBADRESPONSE, "clusters/get: response has no cluster_id");
    }
    if (!(*out = dbx__view_new(sizeof **out, &doc)))
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    return DBX_OK;
}

DBX_API dbx_status dbx_clusters_start(dbx_client *c, const char *cluster_id)
{
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, cluster_id);
    return post_id(c, "start", cluster_id, json_object());
}

DBX_API dbx_status dbx_clusters_restart(dbx_client *c, const char *cluster_id, const char *restart_user)
{
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, cluster_id);
    DBX__CHECK_STR(c, restart_user);
    json_t *body = json_object();
    if (body && !dbx__empty(restart_user) && dbx__json_set_str(body, "restart_user", restart_user) != 0) {
        dbx__json_decref_deep(body);
        body = NULL;
    }
    return post_id(c, "restart", cluster_id, body);
}

DBX_API dbx_status dbx_clusters_resize(dbx_client *c, const char *cluster_id, int num_workers)
{
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, cluster_id);
    if (num_workers < 0)
        return dbx__fail(c, DBX_EINVAL, "num_workers must be >= 0");
    return post_id(c, "resize", cluster_id, json_pack("{s:i}", "num_workers", num_workers));
}

DBX_API dbx_status dbx_clusters_resize_autoscale(dbx_client *c, const char *cluster_id, int min_workers,
                                                 int max_workers)
{
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, cluster_id);
    if (min_workers < 0 || max_workers <= min_workers)
        return dbx__fail(c, DBX_EINVAL, "autoscale needs 0 <= min_workers < max_workers");
    return post_id(c, "resize", cluster_id,
                   json_pack("{s:{s:i,s:i}}", "autoscale", "min_workers", min_workers, "max_workers", max_workers));
}

DBX_API dbx_status dbx_clusters_delete(dbx_client *c, const char *cluster_id)
{
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, cluster_id);
    return post_id(c, "delete", cluster_id, json_object());
}

DBX_API dbx_status dbx_clusters_permanent_delete(dbx_client *c, const char *cluster_id)
{
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, cluster_id);
    return post_id(c, "permanent-delete", cluster_id, json_object());
}

DBX_API dbx_status dbx_clusters_pin(dbx_client *c, const char *cluster_id)
{
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, cluster_id);
    return post_id(c, "pin", cluster_id, json_object());
}

DBX_API dbx_status dbx_clusters_unpin(dbx_client *c, const char *cluster_id)
{
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, cluster_id);
    return post_id(c, "unpin", cluster_id, json_object());
}

/* ---- list ------------------------------------------------------------------------------ */

struct dbx_clusters_iter {
    dbx__iter base;
};

static const char *cluster_source_names[] = {NULL, "UI", "API", "JOB", "MODELS", "PIPELINE",
                                             "PIPELINE_MAINTENANCE", "SQL"};

DBX_API dbx_status dbx_clusters_list(dbx_clusters_iter **out, dbx_client *c, const dbx_clusters_list_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    if (o && (o->version == 0 || o->version > DBX_CLUSTERS_LIST_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "dbx_clusters_list_options version %u is not supported", o->version);
    if (o && (o->page_size < 0 || o->max_items < 0 || (o->n_states && !o->states)))
        return dbx__fail(c, DBX_EINVAL, "invalid list options (negative size or states without a pointer)");
    int v2 = o && o->version >= 2;
    if (v2 && o->n_sources && !o->sources)
        return dbx__fail(c, DBX_EINVAL, "invalid list options (sources without a pointer)");
    if (v2 && (o->is_pinned < 0 || o->is_pinned > 2 || o->sort_field < 0 || o->sort_field > 2 ||
               o->sort_direction < 0 || o->sort_direction > 2))
        return dbx__fail(c, DBX_EINVAL, "invalid list options (is_pinned, sort_field or sort_direction out of range)");
    if (o && o->policy_id && !dbx__utf8_valid(o->policy_id))
        return dbx__fail(c, DBX_EINVAL, "%s: policy_id is not valid UTF-8", __func__);
    char small[512];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    dbx__buf_puts(&path, BASE "/list");
    for (size_t i = 0; o && i < o->n_states; i++) {
        if (o->states[i] <= DBX_CLUSTER_STATE_UNKNOWN || o->states[i] > DBX_CLUSTER_STATE_ERROR) {
            dbx__buf_dispose(&path);
            return dbx__fail(c, DBX_EINVAL, "states[%zu] is not a cluster state", i);
        }
        dbx__query_add(&path, "filter_by.cluster_states", dbx_cluster_state_name(o->states[i]));
    }
    for (size_t i = 0; v2 && i < o->n_sources; i++) {
        int src = o->sources[i];
        if (src <= 0 || (size_t)src >= sizeof cluster_source_names / sizeof *cluster_source_names) {
            dbx__buf_dispose(&path);
            return dbx__fail(c, DBX_EINVAL, "sources[%zu] is not a cluster source", i);
        }
        dbx__query_add(&path, "filter_by.cluster_sources", cluster_source_names[src]);
    }
    if (v2 && o->is_pinned)
        dbx__query_add(&path, "filter_by.is_pinned", o->is_pinned == 1 ? "true" : "false");
    if (o && !dbx__empty(o->policy_id))
        dbx__query_add(&path, "filter_by.policy_id", o->policy_id);
    if (v2 && o->sort_field)
        dbx__query_add(&path, "sort_by.field", o->sort_field == DBX_CLUSTERS_SORT_CLUSTER_NAME ? "CLUSTER_NAME" : "DEFAULT");
    if (v2 && o->sort_direction)
        dbx__query_add(&path, "sort_by.direction", o->sort_direction == DBX_SORT_ASC ? "ASC" : "DESC");
    /* sticky: a filter lost to a failed allocation must never be dropped silently */
    if (path.oom) {
        dbx__buf_dispose(&path);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    *out = (dbx_clusters_iter *)dbx__iter_new(c, DBX__PAGE_TOKEN_QUERY, "GET", path.ptr, NULL, "clusters",
                                              "page_size", o ? o->page_size : 0, o ? o->max_items : 0);
    dbx__buf_dispose(&path);
    return *out ? DBX_OK : DBX_ENOMEM;
}

DBX_API dbx_status dbx_clusters_iter_next(const dbx_cluster **item, dbx_clusters_iter *it)
{
    return dbx__iter_next(it ? &it->base : NULL, (const dbx__view **)item);
}

DBX_API void dbx_clusters_iter_free(dbx_clusters_iter *it) { dbx__iter_free(it ? &it->base : NULL); }

/* ---- events ----------------------------------------------------------------------------- */

struct dbx_cluster_event {
    dbx__view v; /* text[1] caches the details object */
};

DBX_API int64_t dbx_cluster_event_timestamp(const dbx_cluster_event *ev) { return ev ? dbx__jv_get_int(ev->v.v, "timestamp", 0) : 0; }
DBX_API const char *dbx_cluster_event_type(const dbx_cluster_event *ev) { return ev ? dbx__jv_get_str(ev->v.v, "type", "") : ""; }
DBX_API const char *dbx_cluster_event_cluster_id(const dbx_cluster_event *ev) { return ev ? dbx__jv_get_str(ev->v.v, "cluster_id", "") : ""; }

DBX_API const char *dbx_cluster_event_json(const dbx_cluster_event *ev)
{
    return ev ? dbx__view_text(&ev->v, 0, ev->v.v) : NULL;
}

DBX_API const char *dbx_cluster_event_details_json(const dbx_cluster_event *ev)
{
    if (!ev)
        return NULL;
    dbx__jv d = dbx__jv_get(ev->v.v, "details");
    if (!dbx__jv_is_object(d))
        return "{}";
    return dbx__view_text(&ev->v, 1, d);
}

struct dbx_cluster_events_iter {
    dbx__iter base;
};

DBX_API dbx_status dbx_clusters_events(dbx_cluster_events_iter **out, dbx_client *c, const char *cluster_id,
                                       const dbx_cluster_events_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    DBX__REQUIRE_STR(c, cluster_id);
    if (o && (o->version == 0 || o->version > DBX_CLUSTER_EVENTS_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "dbx_cluster_events_options version %u is not supported", o->version);
    if (o && (o->page_size < 0 || o->page_size > 500 || o->max_items < 0 || o->start_time < 0 ||
              o->end_time < 0 || (o->end_time && o->start_time > o->end_time)))
        return dbx__fail(c, DBX_EINVAL, "invalid events options (page_size 0..500, start_time <= end_time)");
    int order = o && o->version >= 2 ? o->order : 0;
    if (order < 0 || order > 2)
        return dbx__fail(c, DBX_EINVAL, "invalid events options (order out of range)");
    if (o && o->ascending) {
        if (order == DBX_SORT_DESC)
            return dbx__fail(c, DBX_EINVAL, "invalid events options (ascending with order DESC)");
        order = DBX_SORT_ASC;
    }
    for (size_t i = 0; o && o->event_types && o->event_types[i]; i++)
        if (!dbx__utf8_valid(o->event_types[i]))
            return dbx__fail(c, DBX_EINVAL, "%s: event_types[%zu] is not valid UTF-8", __func__, i);
    json_t *body = json_object();
    if (!body || dbx__json_set_str(body, "cluster_id", cluster_id) != 0)
        goto oom;
    if (o) {
        if (o->start_time && dbx__json_set_int(body, "start_time", o->start_time) != 0)
            goto oom;
        if (o->end_time && dbx__json_set_int(body, "end_time", o->end_time) != 0)
            goto oom;
        /* only when asked: the service's default is DESC */
        if (order && dbx__json_set_str(body, "order", order == DBX_SORT_ASC ? "ASC" : "DESC") != 0)
            goto oom;
        if (o->event_types && o->event_types[0]) {
            json_t *arr = json_array();
            if (!arr || json_object_set_new(body, "event_types", arr) != 0)
                goto oom;
            for (size_t i = 0; o->event_types[i]; i++)
                if (json_array_append_new(arr, json_string(o->event_types[i])) != 0)
                    goto oom;
        }
    }
    *out = (dbx_cluster_events_iter *)dbx__iter_new(c, DBX__PAGE_TOKEN_BODY, "POST", BASE "/events", body,
                                                    "events", "page_size", o ? o->page_size : 0,
                                                    o ? o->max_items : 0);
    return *out ? DBX_OK : DBX_ENOMEM;
oom:
    dbx__json_decref_deep(body);
    return dbx__fail(c, DBX_ENOMEM, "out of memory");
}

DBX_API dbx_status dbx_cluster_events_iter_next(const dbx_cluster_event **item, dbx_cluster_events_iter *it)
{
    return dbx__iter_next(it ? &it->base : NULL, (const dbx__view **)item);
}

DBX_API void dbx_cluster_events_iter_free(dbx_cluster_events_iter *it) { dbx__iter_free(it ? &it->base : NULL); }

/* ---- spark versions / node types ------------------------------------------------------------ */

/* A listing fetched in one call, with its entries indexed once for
 * random access. */
typedef struct listing {
    dbx__view v;
    dbx__jv *items;
    size_t n;
    void *_Atomic *raw; /* per entry: cached JSON text */
} listing;

static dbx_status get_listing(listing **out, dbx_client *c, const char *path, const char *key, const char *what)
{
    dbx__jdoc doc;
    dbx_status st = dbx__api_call(c, "GET", path, NULL, 0, &doc);
    if (st != DBX_OK)
        return st;
    dbx__jv arr = dbx__jv_get(dbx__jdoc_root(&doc), key);
    if (dbx__jv_present(arr) && !dbx__jv_is_array(arr)) {
        dbx__jdoc_dispose(&doc);
        return dbx__fail_answer(c, DBX_EBADRESPONSE, "%s: '%s' is not an array", what, key);
    }
    size_t n = dbx__jv_count(arr);
    listing *l = dbx__view_new(sizeof *l, &doc);
    if (!l || !(l->items = dbx__calloc(n ? n : 1, sizeof *l->items)) ||
        !(l->raw = dbx__calloc(n ? n : 1, sizeof *l->raw))) {
        if (l) {
            dbx__free(l->items);
            dbx__view_free(l);
        }
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx__jit it;
    dbx__jv_iter(dbx__jv_get(l->v.v, key), &it);
    while (l->n < n && dbx__jit_next(&it, &l->items[l->n], NULL))
        l->n++;
    for (size_t i = 0; i < n; i++)
        atomic_init(&l->raw[i], NULL);
    *out = l;
    return DBX_OK;
}

static void listing_free(listing *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        dbx__free(atomic_load(&l->raw[i]));
    dbx__free(l->raw);
    dbx__free(l->items);
    dbx__view_free(l);
}

static dbx__jv listing_at(const listing *l, size_t i) { return l && i < l->n ? l->items[i] : DBX__JV_ABSENT; }

static const char *listing_json(const listing *l, size_t i)
{
    if (!l || i >= l->n)
        return NULL;
    void *_Atomic *cell = &((listing *)l)->raw[i];
    char *cur = atomic_load(cell);
    if (cur)
        return cur;
    char *mine = dbx__jv_dump(l->items[i]);
    void *expected = NULL;
    if (!mine || atomic_compare_exchange_strong(cell, &expected, mine))
        return mine;
    dbx__free(mine);
    return expected;
}

struct dbx_spark_versions {
    listing l;
};

DBX_API dbx_status dbx_clusters_spark_versions(dbx_spark_versions **out, dbx_client *c)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    return get_listing((listing **)out, c, BASE "/spark-versions", "versions", "spark-versions");
}

DBX_API size_t dbx_spark_versions_count(const dbx_spark_versions *v) { return v ? v->l.n : 0; }

DBX_API const char *dbx_spark_versions_key(const dbx_spark_versions *v, size_t i)
{
    dbx__jv e = listing_at(v ? &v->l : NULL, i);
    return dbx__jv_present(e) ? dbx__jv_get_str(e, "key", "") : NULL;
}

DBX_API const char *dbx_spark_versions_name(const dbx_spark_versions *v, size_t i)
{
    dbx__jv e = listing_at(v ? &v->l : NULL, i);
    return dbx__jv_present(e) ? dbx__jv_get_str(e, "name", "") : NULL;
}

DBX_API void dbx_spark_versions_free(dbx_spark_versions *v) { listing_free(v ? &v->l : NULL); }

struct dbx_node_types {
    listing l;
};

DBX_API dbx_status dbx_clusters_list_node_types(dbx_node_types **out, dbx_client *c)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    return get_listing((listing **)out, c, BASE "/list-node-types", "node_types", "list-node-types");
}

DBX_API size_t dbx_node_types_count(const dbx_node_types *nt) { return nt ? nt->l.n : 0; }

#define NODE(nt, i) listing_at((nt) ? &(nt)->l : NULL, i)
DBX_API const char *dbx_node_types_id(const dbx_node_types *nt, size_t i) { dbx__jv e = NODE(nt, i); return dbx__jv_present(e) ? dbx__jv_get_str(e, "node_type_id", "") : NULL; }
DBX_API const char *dbx_node_types_description(const dbx_node_types *nt, size_t i) { dbx__jv e = NODE(nt, i); return dbx__jv_present(e) ? dbx__jv_get_str(e, "description", "") : NULL; }
DBX_API int dbx_node_types_memory_mb(const dbx_node_types *nt, size_t i) { return (int)dbx__jv_get_int(NODE(nt, i), "memory_mb", 0); }
DBX_API double dbx_node_types_num_cores(const dbx_node_types *nt, size_t i) { return dbx__jv_get_real(NODE(nt, i), "num_cores", 0); }
DBX_API const char *dbx_node_types_json(const dbx_node_types *nt, size_t i) { return listing_json(nt ? &nt->l : NULL, i); }
DBX_API void dbx_node_types_free(dbx_node_types *nt) { listing_free(nt ? &nt->l : NULL); }

/* ---- waiters ---------------------------------------------------------------------------------- */

typedef struct wait_ctx {
    dbx_client *c;
    const char *id;
    dbx_cluster_state_t goal;
    dbx_cluster *last;
} wait_ctx;

static dbx_status poll_cluster(void *vctx, dbx__poll_result *res, const char **state)
{
    wait_ctx *w = vctx;
    dbx_cluster *cl = NULL;
    dbx_status st = dbx_clusters_get(&cl, w->c, w->id);
    if (st != DBX_OK)
        return st;
    dbx_cluster_free(w->last);
    w->last = cl;
    *state = dbx_cluster_state_str(cl);
    dbx_cluster_state_t s = dbx_cluster_state(cl);
    if (s == w->goal) {
        *res = DBX__POLL_DONE;
        return DBX_OK;
    }
    int fail = s == DBX_CLUSTER_STATE_ERROR ||
               (w->goal == DBX_CLUSTER_STATE_RUNNING &&
                (s == DBX_CLUSTER_STATE_TERMINATED || s == DBX_CLUSTER_STATE_TERMINATING));
    if (fail) {
        const char *code = dbx_cluster_termination_code(cl);
        const char *type = dbx_cluster_termination_type(cl);
        dbx__buf m = DBX__BUF_INIT;
        dbx__buf_printf(&m, "cluster %s is %s, not %s", w->id, *state, dbx_cluster_state_name(w->goal));
        if (*dbx_cluster_state_message(cl))
            dbx__buf_printf(&m, ": %s", dbx_cluster_state_message(cl));
        if (*code)
            dbx__buf_printf(&m, " (termination reason %s%s%s)", code, *type ? ", " : "", type);
        dbx__fail(w->c, DBX_ESTATE, "%s", m.ptr && !m.oom ? m.ptr : "terminal state");
        dbx__buf_dispose(&m);
        dbx__error_set_request("GET", BASE "/get");
        dbx__error_set_http(200, code, "");
        return DBX_ESTATE;
    }
    *res = DBX__POLL_CONTINUE;
    return DBX_OK;
}

static dbx_status wait_for(dbx_cluster **out, dbx_client *c, const char *cluster_id,
                           const dbx_wait_options *opts, dbx_cluster_state_t goal)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, cluster_id);
    wait_ctx w = {c, cluster_id, goal, NULL};
    char what[160];
    snprintf(what, sizeof what, "cluster %s to be %s", cluster_id, dbx_cluster_state_name(goal));
    dbx_status st = dbx__wait(c, cluster_id, what, opts, poll_cluster, &w);
    if (out)
        *out = w.last;
    else
        dbx_cluster_free(w.last);
    return st;
}

DBX_API dbx_status dbx_clusters_wait_running(dbx_cluster **out, dbx_client *c, const char *cluster_id,
                                             const dbx_wait_options *opts)
{
    return wait_for(out, c, cluster_id, opts, DBX_CLUSTER_STATE_RUNNING);
}

DBX_API dbx_status dbx_clusters_wait_terminated(dbx_cluster **out, dbx_client *c, const char *cluster_id,
                                                const dbx_wait_options *opts)
{
    return wait_for(out, c, cluster_id, opts, DBX_CLUSTER_STATE_TERMINATED);
}

/* ---- include/dbx/sys/json.h ---------------------------------------------------------------------- */

DBX_API const json_t *dbx_cluster_jansson(const dbx_cluster *cl) { return cl ? dbx__view_jansson(&cl->v) : NULL; }
DBX_API const json_t *dbx_cluster_event_jansson(const dbx_cluster_event *ev) { return ev ? dbx__view_jansson(&ev->v) : NULL; }
DBX_API const json_t *dbx_cluster_spec_jansson(const dbx_cluster_spec *spec) { return spec ? spec->j : NULL; }
