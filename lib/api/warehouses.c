/* libdbx: SQL warehouses (/api/2.0/sql/warehouses). Request building and response mapping only. */
#include <string.h>

#include "api.h"
#include "dbx/sys/json.h"
#include "dbx/warehouses.h"
#include "warehouses_internal.h"

#define BASE "/api/2.0/sql/warehouses"
#define MAX_CLUSTERS 40 /* reference 6.1: max_num_clusters <= 40 */
#define NAME_MAX_CHARS 99

/* ---- enums ------------------------------------------------------------------- */

static const char *state_names[] = {"UNKNOWN", "STARTING", "RUNNING", "STOPPING",
                                    "STOPPED", "DELETING", "DELETED"};
static const char *health_names[] = {"UNKNOWN", "HEALTHY", "DEGRADED", "FAILED"};

#define N_OF(a) (sizeof(a) / sizeof *(a))

DBX_API const char *dbx_warehouse_state_name(dbx_warehouse_state_t s)
{
    return (unsigned)s < N_OF(state_names) ? state_names[s] : "UNKNOWN";
}

DBX_API const char *dbx_warehouse_health_name(dbx_warehouse_health_t h)
{
    return (unsigned)h < N_OF(health_names) ? health_names[h] : "UNKNOWN";
}

static int enum_parse(const char *s, const char **names, size_t n)
{
    for (size_t i = 1; s && i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return (int)i;
    return 0;
}

/* ---- spec ---------------------------------------------------------------------- */

struct dbx_warehouse_spec {
    json_t *j;
};

typedef enum { T_STR, T_INT, T_BOOL, T_OBJ } ftype;
static const struct {
    const char *name;
    ftype t;
} known_fields[] = {
    {"name", T_STR}, {"cluster_size", T_STR}, {"min_num_clusters", T_INT},
    {"max_num_clusters", T_INT}, {"auto_stop_mins", T_INT}, {"enable_photon", T_BOOL},
    {"enable_serverless_compute", T_BOOL}, {"warehouse_type", T_STR},
    {"spot_instance_policy", T_STR}, {"channel", T_OBJ}, {"tags", T_OBJ},
    {"instance_profile_arn", T_STR},
};

static const char *type_name(ftype t)
{
    static const char *n[] = {"a string", "an integer", "a boolean", "an object"};
    return n[t];
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static const char *check_tags(const json_t *v, char *buf, size_t cap)
{
    const json_t *ct = json_object_get(v, "custom_tags");
    if (!ct)
        return NULL;
    if (!json_is_array(ct))
        return "$.tags.custom_tags must be an array";
    size_t n = json_array_size(ct);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(ct, i);
        const char *k = json_string_value(json_object_get(e, "key"));
        const json_t *val = json_object_get(e, "value");
        if (!json_is_object(e) || dbx__empty(k) || (val && !json_is_string(val))) {
            snprintf(buf, cap, "$.tags.custom_tags[%zu] must be {\"key\": non-empty string, \"value\": string}", i);
            return buf;
        }
        for (size_t p = 0; p < i; p++) {
            if (strcmp(json_string_value(json_object_get(json_array_get(ct, p), "key")), k) == 0) {
                snprintf(buf, cap, "$.tags.custom_tags[%zu]: key \"%.64s\" is repeated", i, k);
                return buf;
            }
        }
    }
    return NULL;
}

/* Validate one field; NULL when fine, else a message (static or in buf). */
static const char *check_field(const char *name, const json_t *v, char *buf, size_t cap)
{
    for (size_t i = 0; i < N_OF(known_fields); i++) {
        if (strcmp(known_fields[i].name, name) != 0)
            continue;
        ftype t = known_fields[i].t;
        int ok = (t == T_STR && json_is_string(v)) || (t == T_INT && json_is_integer(v)) ||
                 (t == T_BOOL && json_is_boolean(v)) || (t == T_OBJ && json_is_object(v));
        if (!ok) {
            snprintf(buf, cap, "$.%s must be %s", name, type_name(t));
            return buf;
        }
        json_int_t n = t == T_INT ? json_integer_value(v) : 0;
        if (strcmp(name, "name") == 0) {
            const char *s = json_string_value(v);
            if (!*s)
                return "$.name must not be empty";
            if (utf8_chars(s) > NAME_MAX_CHARS)
                return "$.name must be shorter than 100 characters";
        } else if (strcmp(name, "min_num_clusters") == 0 && (n < 1 || n > MAX_CLUSTERS)) {
            return "$.min_num_clusters must be 1..40";
        } else if (strcmp(name, "max_num_clusters") == 0 && (n < 1 || n > MAX_CLUSTERS)) {
            return "$.max_num_clusters must be 1..40";
        } else if (strcmp(name, "auto_stop_mins") == 0 && n != 0 && n < 10) {
            return "$.auto_stop_mins must be 0 (never) or >= 10";
        } else if (strcmp(name, "channel") == 0) {
            const json_t *cn = json_object_get(v, "name"), *dv = json_object_get(v, "dbsql_version");
            if ((cn && !json_is_string(cn)) || (dv && !json_is_string(dv)))
                return "$.channel.name and $.channel.dbsql_version must be strings";
        } else if (strcmp(name, "tags") == 0) {
            return check_tags(v, buf, cap);
        }
        return NULL;
    }
    return NULL; /* unknown fields pass through */
}

/* Rules between fields, checked when both sides are present. */
static const char *check_pairs(const json_t *j)
{
    const json_t *mn = json_object_get(j, "min_num_clusters"), *mx = json_object_get(j, "max_num_clusters");
    if (json_is_integer(mn) && json_is_integer(mx) && json_integer_value(mx) < json_integer_value(mn))
        return "max_num_clusters must be >= min_num_clusters";
    const char *type = json_string_value(json_object_get(j, "warehouse_type"));
    if (json_is_true(json_object_get(j, "enable_serverless_compute")) && type && strcmp(type, "PRO") != 0)
        return "enable_serverless_compute needs warehouse_type PRO";
    return NULL;
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
            return dbx__fail(owner, DBX_EINVAL, "warehouse spec: %s", err);
    }
    const char *err = check_pairs(j);
    return err ? dbx__fail(owner, DBX_EINVAL, "warehouse spec: %s", err) : DBX_OK;
}

DBX_API dbx_status dbx_warehouse_spec_new(dbx_warehouse_spec **out)
{
    DBX__JSPEC_RETURN(out, dbx__jspec_new(sizeof **out, &st_));
}

static dbx_status check_spec(const json_t *j) { return validate_spec(NULL, j); }

DBX_API dbx_status dbx_warehouse_spec_from_json(dbx_warehouse_spec **out, const char *text)
{
    DBX__JSPEC_RETURN(out, dbx__jspec_parse(sizeof **out, __func__, "warehouse spec", text, check_spec, &st_));
}

DBX_API void dbx_warehouse_spec_free(dbx_warehouse_spec *spec) { dbx__jspec_free(spec); }

/* Set a field after validating it alone and against the rest of the spec;
 * takes the reference to v. On failure the spec is unchanged. */
static dbx_status spec_set(dbx_warehouse_spec *s, const char *field, json_t *v)
{
    dbx__error_clear(NULL);
    if (!s || dbx__empty(field)) {
        dbx__json_decref_deep(v);
        return dbx__fail(NULL, DBX_EINVAL, "spec and field are required");
    }
    if (!dbx__utf8_valid(field)) {
        dbx__json_decref_deep(v);
        return dbx__fail(NULL, DBX_EINVAL, "warehouse spec: field is not valid UTF-8");
    }
    if (!v)
        return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
    char buf[160];
    const char *err = check_field(field, v, buf, sizeof buf);
    if (err) {
        dbx__json_decref_deep(v);
        return dbx__fail(NULL, DBX_EINVAL, "warehouse spec: %s", err);
    }
    json_t *old = json_object_get(s->j, field);
    json_incref(old);
    if (json_object_set_new(s->j, field, v) != 0) {
        json_decref(old);
        return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
    }
    if ((err = check_pairs(s->j)) != NULL) {
        /* restore: the old value's slot exists, so this allocates nothing */
        if (old)
            json_object_set_new(s->j, field, old);
        else
            json_object_del(s->j, field);
        return dbx__fail(NULL, DBX_EINVAL, "warehouse spec: %s", err);
    }
    dbx__json_decref_deep(old);
    return DBX_OK;
}

static dbx_status spec_set_str(dbx_warehouse_spec *s, const char *field, const char *value)
{
    if (!value || !dbx__utf8_valid(value)) {
        dbx__error_clear(NULL);
        return dbx__fail(NULL, DBX_EINVAL, "%s: value is %s", field, value ? "not valid UTF-8" : "NULL");
    }
    return spec_set(s, field, json_string(value));
}

DBX_API dbx_status dbx_warehouse_spec_set_name(dbx_warehouse_spec *s, const char *v) { return spec_set_str(s, "name", v); }
DBX_API dbx_status dbx_warehouse_spec_set_cluster_size(dbx_warehouse_spec *s, const char *v) { return spec_set_str(s, "cluster_size", v); }
DBX_API dbx_status dbx_warehouse_spec_set_warehouse_type(dbx_warehouse_spec *s, const char *v) { return spec_set_str(s, "warehouse_type", v); }
DBX_API dbx_status dbx_warehouse_spec_set_spot_instance_policy(dbx_warehouse_spec *s, const char *v) { return spec_set_str(s, "spot_instance_policy", v); }
DBX_API dbx_status dbx_warehouse_spec_set_auto_stop_mins(dbx_warehouse_spec *s, int m) { return spec_set(s, "auto_stop_mins", json_integer(m)); }
DBX_API dbx_status dbx_warehouse_spec_set_enable_photon(dbx_warehouse_spec *s, int on) { return spec_set(s, "enable_photon", json_boolean(on)); }
DBX_API dbx_status dbx_warehouse_spec_set_enable_serverless_compute(dbx_warehouse_spec *s, int on) { return spec_set(s, "enable_serverless_compute", json_boolean(on)); }

DBX_API dbx_status dbx_warehouse_spec_set_num_clusters(dbx_warehouse_spec *s, int min_clusters, int max_clusters)
{
    dbx__error_clear(NULL);
    if (!s)
        return dbx__fail(NULL, DBX_EINVAL, "spec is NULL");
    if (min_clusters < 1 || max_clusters > MAX_CLUSTERS || max_clusters < min_clusters)
        return dbx__fail(NULL, DBX_EINVAL, "warehouse spec: num_clusters needs 1 <= min_clusters <= max_clusters <= 40");
    /* both at once, so that the pair is never checked half-set */
    json_t *mn = json_integer(min_clusters), *mx = json_integer(max_clusters);
    if (!mn || !mx) {
        json_decref(mn);
        json_decref(mx);
        return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
    }
    /* json_object_set_new consumes the value even when it fails */
    if (json_object_set_new(s->j, "min_num_clusters", mn) != 0) {
        json_decref(mx);
        return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
    }
    if (json_object_set_new(s->j, "max_num_clusters", mx) != 0) {
        json_object_del(s->j, "min_num_clusters"); /* never a new min with an old max */
        return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
    }
    return DBX_OK;
}

DBX_API dbx_status dbx_warehouse_spec_set_channel(dbx_warehouse_spec *s, const char *name, const char *dbsql_version)
{
    dbx__error_clear(NULL);
    if (dbx__empty(name) || !dbx__utf8_valid(name))
        return dbx__fail(NULL, DBX_EINVAL, "channel: name is %s", dbx__empty(name) ? "required" : "not valid UTF-8");
    if (dbsql_version && !dbx__utf8_valid(dbsql_version))
        return dbx__fail(NULL, DBX_EINVAL, "channel: dbsql_version is not valid UTF-8");
    json_t *ch = json_object();
    if (ch && (dbx__json_set_str(ch, "name", name) != 0 ||
               (dbsql_version && dbx__json_set_str(ch, "dbsql_version", dbsql_version) != 0))) {
        dbx__json_decref_deep(ch);
        ch = NULL;
    }
    return spec_set(s, "channel", ch);
}

DBX_API dbx_status dbx_warehouse_spec_set_tag(dbx_warehouse_spec *s, const char *key, const char *value)
{
    dbx__error_clear(NULL);
    if (!s || dbx__empty(key) || !value)
        return dbx__fail(NULL, DBX_EINVAL, "tags: spec, key and value are required");
    if (!dbx__utf8_valid(key) || !dbx__utf8_valid(value))
        return dbx__fail(NULL, DBX_EINVAL, "tags: %s is not valid UTF-8", dbx__utf8_valid(key) ? "value" : "key");
    json_t *tags = json_object_get(s->j, "tags");
    json_t *ct = json_object_get(tags, "custom_tags");
    if (ct) {
        for (size_t i = 0; i < json_array_size(ct); i++) {
            json_t *e = json_array_get(ct, i);
            if (strcmp(json_string_value(json_object_get(e, "key")), key) == 0)
                return dbx__json_set_str(e, "value", value) == 0 ? DBX_OK : dbx__fail(NULL, DBX_ENOMEM, "out of memory");
        }
    }
    json_t *e = json_object();
    if (!e || dbx__json_set_str(e, "key", key) != 0 || dbx__json_set_str(e, "value", value) != 0) {
        dbx__json_decref_deep(e);
        return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
    }
    if (!tags) {
        tags = json_object();
        if (!tags || json_object_set_new(s->j, "tags", tags) != 0) {
            dbx__json_decref_deep(e);
            return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
        }
    }
    if (!ct) {
        ct = json_array();
        if (!ct || json_object_set_new(tags, "custom_tags", ct) != 0) {
            dbx__json_decref_deep(e);
            return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
        }
    }
    return json_array_append_new(ct, e) == 0 ? DBX_OK : dbx__fail(NULL, DBX_ENOMEM, "out of memory");
}

DBX_API dbx_status dbx_warehouse_spec_set_json(dbx_warehouse_spec *s, const char *field, const char *text)
{
    dbx__error_clear(NULL);
    if (!text)
        return dbx__fail(NULL, DBX_EINVAL, "json is NULL");
    char err[160];
    json_t *v;
    dbx_status pst = dbx__json_parse_text(&v, text, err, sizeof err);
    if (pst != DBX_OK)
        return pst == DBX_ENOMEM ? dbx__fail(NULL, DBX_ENOMEM, "out of memory")
                                 : dbx__fail(NULL, DBX_EINVAL, "value for %.64s is not valid JSON: %s",
                                             field && dbx__utf8_valid(field) ? field : "?", err);
    return spec_set(s, field, v);
}

DBX_API dbx_status dbx_warehouse_spec_to_json(char **out, const dbx_warehouse_spec *s)
{
    dbx__error_clear(NULL);
    if (!out || !s) {
        if (out)
            *out = NULL;
        return dbx__fail(NULL, DBX_EINVAL, "out and spec are required");
    }
    *out = dbx__json_dump(s->j);
    return *out ? DBX_OK : dbx__fail(NULL, DBX_ENOMEM, "out of memory");
}

/* ---- warehouse result ------------------------------------------------------------ */

struct dbx_warehouse {
    dbx__view v; /* first: the pointer is also a dbx__view * */
};

DBX_API void dbx_warehouse_free(dbx_warehouse *wh) { dbx__view_free(wh); }

dbx_warehouse *dbx__warehouse_from_doc(dbx__jdoc *doc) { return dbx__view_new(sizeof(dbx_warehouse), doc); }

#define V(wh) ((wh)->v.v)
#define S(wh, key) ((wh) ? dbx__jv_get_str(V(wh), key, "") : "")
#define P(wh, path) ((wh) ? dbx__jv_str(dbx__jv_path(V(wh), path), "") : "")
#define I(wh, key) ((wh) ? (int)dbx__jv_get_int(V(wh), key, 0) : 0)
#define B(wh, key) ((wh) ? dbx__jv_get_bool(V(wh), key, 0) : 0)

DBX_API const char *dbx_warehouse_id(const dbx_warehouse *wh) { return S(wh, "id"); }
DBX_API const char *dbx_warehouse_name(const dbx_warehouse *wh) { return S(wh, "name"); }
DBX_API const char *dbx_warehouse_state_str(const dbx_warehouse *wh) { return S(wh, "state"); }
DBX_API dbx_warehouse_state_t dbx_warehouse_state(const dbx_warehouse *wh)
{
    return (dbx_warehouse_state_t)enum_parse(S(wh, "state"), state_names, N_OF(state_names));
}
DBX_API const char *dbx_warehouse_cluster_size(const dbx_warehouse *wh) { return S(wh, "cluster_size"); }
DBX_API int dbx_warehouse_num_clusters(const dbx_warehouse *wh) { return I(wh, "num_clusters"); }
DBX_API int dbx_warehouse_min_num_clusters(const dbx_warehouse *wh) { return I(wh, "min_num_clusters"); }
DBX_API int dbx_warehouse_max_num_clusters(const dbx_warehouse *wh) { return I(wh, "max_num_clusters"); }
DBX_API int dbx_warehouse_auto_stop_mins(const dbx_warehouse *wh) { return I(wh, "auto_stop_mins"); }
DBX_API int dbx_warehouse_enable_photon(const dbx_warehouse *wh) { return B(wh, "enable_photon"); }
DBX_API int dbx_warehouse_enable_serverless_compute(const dbx_warehouse *wh) { return B(wh, "enable_serverless_compute"); }
DBX_API const char *dbx_warehouse_warehouse_type(const dbx_warehouse *wh) { return S(wh, "warehouse_type"); }
DBX_API const char *dbx_warehouse_spot_instance_policy(const dbx_warehouse *wh) { return S(wh, "spot_instance_policy"); }
DBX_API const char *dbx_warehouse_channel_name(const dbx_warehouse *wh) { return P(wh, "channel.name"); }
DBX_API const char *dbx_warehouse_channel_dbsql_version(const dbx_warehouse *wh) { return P(wh, "channel.dbsql_version"); }
DBX_API const char *dbx_warehouse_creator_name(const dbx_warehouse *wh) { return S(wh, "creator_name"); }
DBX_API const char *dbx_warehouse_health_status_str(const dbx_warehouse *wh) { return P(wh, "health.status"); }
DBX_API dbx_warehouse_health_t dbx_warehouse_health_status(const dbx_warehouse *wh)
{
    return (dbx_warehouse_health_t)enum_parse(P(wh, "health.status"), health_names, N_OF(health_names));
}
DBX_API const char *dbx_warehouse_health_summary(const dbx_warehouse *wh) { return P(wh, "health.summary"); }
DBX_API const char *dbx_warehouse_health_details(const dbx_warehouse *wh) { return P(wh, "health.details"); }
DBX_API const char *dbx_warehouse_health_failure_code(const dbx_warehouse *wh) { return P(wh, "health.failure_reason.code"); }
DBX_API const char *dbx_warehouse_health_failure_type(const dbx_warehouse *wh) { return P(wh, "health.failure_reason.type"); }
DBX_API const char *dbx_warehouse_odbc_hostname(const dbx_warehouse *wh) { return P(wh, "odbc_params.hostname"); }
DBX_API const char *dbx_warehouse_odbc_path(const dbx_warehouse *wh) { return P(wh, "odbc_params.path"); }
DBX_API const char *dbx_warehouse_odbc_protocol(const dbx_warehouse *wh) { return P(wh, "odbc_params.protocol"); }
DBX_API int dbx_warehouse_odbc_port(const dbx_warehouse *wh)
{
    int64_t p = wh ? dbx__jv_int(dbx__jv_path(V(wh), "odbc_params.port"), 0) : 0;
    return p > 0 && p <= 65535 ? (int)p : 0;
}
DBX_API const char *dbx_warehouse_jdbc_url(const dbx_warehouse *wh) { return S(wh, "jdbc_url"); }

DBX_API const char *dbx_warehouse_custom_tag(const dbx_warehouse *wh, const char *key)
{
    if (!wh || !key)
        return NULL;
    dbx__jit it;
    dbx__jv e;
    const char *found = NULL;
    dbx__jv_iter(dbx__jv_path(V(wh), "tags.custom_tags"), &it);
    while (dbx__jit_next(&it, &e, NULL)) {
        const char *k = dbx__jv_get_str(e, "key", NULL);
        if (k && strcmp(k, key) == 0)
            found = dbx__jv_get_str(e, "value", ""); /* the last entry wins, as for repeated JSON keys */
    }
    return found;
}

DBX_API const char *dbx_warehouse_json(const dbx_warehouse *wh) { return wh ? dbx__view_text(&wh->v, 0, V(wh)) : NULL; }

/* ---- operations -------------------------------------------------------------------- */

/* BASE "/" <id percent-encoded> <suffix> into a fixed buffer; NULL on OOM. */
static const char *id_path(dbx__buf *b, const char *id, const char *suffix)
{
    dbx__buf_puts(b, BASE "/");
    dbx__buf_put_urlenc(b, id);
    dbx__buf_puts(b, suffix);
    return b->oom ? NULL : b->ptr;
}

static dbx_status call_id(dbx_client *c, const char *method, const char *id, const char *suffix,
                          const json_t *body, int flags, dbx__jdoc *out)
{
    char small[256];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    const char *p = id_path(&path, id, suffix);
    dbx_status st = p ? dbx__api_call(c, method, p, body, flags, out) : dbx__fail(c, DBX_ENOMEM, "out of memory");
    dbx__buf_dispose(&path);
    return st;
}

DBX_API dbx_status dbx_warehouses_create(char **id, dbx_client *c, const dbx_warehouse_spec *spec)
{
    if (id)
        *id = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, id);
    DBX__REQUIRE_PTR(c, spec);
    dbx_status st = validate_spec(c, spec->j);
    if (st != DBX_OK)
        return st;
    if (!json_is_string(json_object_get(spec->j, "name")))
        return dbx__fail(c, DBX_EINVAL, "warehouse spec: name is required");
    if (!json_is_string(json_object_get(spec->j, "cluster_size")))
        return dbx__fail(c, DBX_EINVAL, "warehouse spec: cluster_size is required");
    const char *type = json_string_value(json_object_get(spec->j, "warehouse_type"));
    if (json_is_true(json_object_get(spec->j, "enable_serverless_compute")) && !type)
        return dbx__fail(c, DBX_EINVAL, "warehouse spec: enable_serverless_compute needs warehouse_type PRO");
    dbx__jdoc resp;
    st = dbx__api_call(c, "POST", BASE, spec->j, 0, &resp);
    if (st != DBX_OK)
        return st;
    const char *wid = dbx__jv_get_str(dbx__jdoc_root(&resp), "id", NULL);
    if (dbx__empty(wid)) {
        dbx__jdoc_dispose(&resp);
        return dbx__fail_answer(c, DBX_EBADRESPONSE, "warehouses/create: response has no id");
    }
    *id = dbx__strdup(wid);
    dbx__jdoc_dispose(&resp);
    return *id ? DBX_OK : dbx__fail(c, DBX_ENOMEM, "out of memory");
}

DBX_API dbx_status dbx_warehouses_edit(dbx_client *c, const char *id, const dbx_warehouse_spec *spec)
{
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, id);
    DBX__REQUIRE_PTR(c, spec);
    dbx_status st = validate_spec(c, spec->j);
    if (st != DBX_OK)
        return st;
    /* the same body again changes nothing: safe to retry */
    return call_id(c, "POST", id, "/edit", spec->j, DBX__CALL_IDEMPOTENT, NULL);
}

DBX_API dbx_status dbx_warehouses_get(dbx_warehouse **out, dbx_client *c, const char *id)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    DBX__REQUIRE_STR(c, id);
    dbx__jdoc doc;
    dbx_status st = call_id(c, "GET", id, "", NULL, 0, &doc);
    if (st != DBX_OK)
        return st;
    if (dbx__empty(dbx__jv_get_str(dbx__jdoc_root(&doc), "id", NULL))) {
        dbx__jdoc_dispose(&doc);
        return dbx__fail_answer(c, DBX_EBADRESPONSE, "warehouses/get: response has no id");
    }
    if (!(*out = dbx__warehouse_from_doc(&doc)))
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    return DBX_OK;
}

static dbx_status post_empty(dbx_client *c, const char *id, const char *suffix)
{
    json_t *body = json_object();
    if (!body)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    dbx_status st = call_id(c, "POST", id, suffix, body, DBX__CALL_IDEMPOTENT, NULL);
    json_decref(body);
    return st;
}

DBX_API dbx_status dbx_warehouses_start(dbx_client *c, const char *id)
{
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, id);
    return post_empty(c, id, "/start");
}

DBX_API dbx_status dbx_warehouses_stop(dbx_client *c, const char *id)
{
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, id);
    return post_empty(c, id, "/stop");
}

DBX_API dbx_status dbx_warehouses_delete(dbx_client *c, const char *id)
{
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, id);
    return call_id(c, "DELETE", id, "", NULL, DBX__CALL_IDEMPOTENT, NULL);
}

/* ---- list ------------------------------------------------------------------------------ */

struct dbx_warehouses_iter {
    dbx__iter base;
};

DBX_API dbx_status dbx_warehouses_list(dbx_warehouses_iter **out, dbx_client *c, const dbx_warehouses_list_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    if (o && (o->version == 0 || o->version > DBX_WAREHOUSES_LIST_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "dbx_warehouses_list_options version %u is not supported", o->version);
    if (o && (o->page_size < 0 || o->max_items < 0))
        return dbx__fail(c, DBX_EINVAL, "invalid list options (negative page_size or max_items)");
    *out = (dbx_warehouses_iter *)dbx__iter_new(c, DBX__PAGE_TOKEN_QUERY, "GET", BASE, NULL, "warehouses",
                                                "page_size", o ? o->page_size : 0, o ? o->max_items : 0);
    return *out ? DBX_OK : DBX_ENOMEM;
}

DBX_API dbx_status dbx_warehouses_iter_next(const dbx_warehouse **item, dbx_warehouses_iter *it)
{
    return dbx__iter_next(it ? &it->base : NULL, (const dbx__view **)item);
}

DBX_API void dbx_warehouses_iter_free(dbx_warehouses_iter *it) { dbx__iter_free(it ? &it->base : NULL); }

/* ---- waiters ---------------------------------------------------------------------------------- */

int dbx__warehouse_verdict(const dbx_warehouse *wh, dbx_warehouse_state_t goal)
{
    dbx_warehouse_state_t s = dbx_warehouse_state(wh);
    if (s == DBX_WAREHOUSE_STATE_DELETING || s == DBX_WAREHOUSE_STATE_DELETED)
        return goal == s ? 1 : -1;
    if (goal == DBX_WAREHOUSE_STATE_RUNNING) {
        /* health first: a FAILED warehouse is no use even when it says RUNNING */
        if (dbx_warehouse_health_status(wh) == DBX_WAREHOUSE_HEALTH_FAILED || s == DBX_WAREHOUSE_STATE_STOPPED)
            return -1;
        return s == DBX_WAREHOUSE_STATE_RUNNING;
    }
    return s == goal;
}

int dbx__warehouse_failure_text(dbx__buf *m, const char *id, const dbx_warehouse *wh, dbx_warehouse_state_t goal)
{
    const char *st = dbx_warehouse_state_str(wh);
    dbx__buf_printf(m, "warehouse %s is %s, not %s", id, *st ? st : "(no state)", dbx_warehouse_state_name(goal));
    if (dbx_warehouse_state(wh) == DBX_WAREHOUSE_STATE_STOPPED && goal == DBX_WAREHOUSE_STATE_RUNNING &&
        dbx_warehouse_health_status(wh) != DBX_WAREHOUSE_HEALTH_FAILED)
        dbx__buf_puts(m, " (start it first)");
    const char *hs = dbx_warehouse_health_status_str(wh);
    if (*hs && strcmp(hs, "HEALTHY") != 0) {
        dbx__buf_printf(m, "; health %s", hs);
        const char *sum = dbx_warehouse_health_summary(wh);
        if (*sum)
            dbx__buf_printf(m, ": %s", sum);
        const char *code = dbx_warehouse_health_failure_code(wh), *type = dbx_warehouse_health_failure_type(wh);
        if (*code)
            dbx__buf_printf(m, " (failure reason %s%s%s)", code, *type ? ", " : "", type);
    }
    return m->oom ? -1 : 0;
}

typedef struct wait_ctx {
    dbx_client *c;
    const char *id;
    dbx_warehouse_state_t goal;
    dbx_warehouse *last;
} wait_ctx;

static dbx_status poll_warehouse(void *vctx, dbx__poll_result *res, const char **state)
{
    wait_ctx *w = vctx;
    dbx_warehouse *wh = NULL;
    dbx_status st = dbx_warehouses_get(&wh, w->c, w->id);
    if (st != DBX_OK)
        return st;
    dbx_warehouse_free(w->last);
    w->last = wh;
    *state = dbx_warehouse_state_str(wh);
    int v = dbx__warehouse_verdict(wh, w->goal);
    if (v >= 0) {
        *res = v ? DBX__POLL_DONE : DBX__POLL_CONTINUE;
        return DBX_OK;
    }
    dbx__buf m = DBX__BUF_INIT;
    dbx__warehouse_failure_text(&m, w->id, wh, w->goal);
    dbx__fail(w->c, DBX_ESTATE, "%s", m.ptr && !m.oom ? m.ptr : "terminal state");
    dbx__buf_dispose(&m);
    dbx__error_set_request("GET", BASE "/{id}");
    dbx__error_set_http(200, dbx_warehouse_health_failure_code(wh), "");
    return DBX_ESTATE;
}

static dbx_status wait_for(dbx_warehouse **out, dbx_client *c, const char *id, const dbx_wait_options *opts,
                           dbx_warehouse_state_t goal)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, id);
    wait_ctx w = {c, id, goal, NULL};
    char what[160];
    snprintf(what, sizeof what, "warehouse %.64s to be %s", id, dbx_warehouse_state_name(goal));
    dbx_status st = dbx__wait(c, id, what, opts, poll_warehouse, &w);
    if (out)
        *out = w.last;
    else
        dbx_warehouse_free(w.last);
    return st;
}

DBX_API dbx_status dbx_warehouses_wait_running(dbx_warehouse **out, dbx_client *c, const char *id,
                                               const dbx_wait_options *opts)
{
    return wait_for(out, c, id, opts, DBX_WAREHOUSE_STATE_RUNNING);
}

DBX_API dbx_status dbx_warehouses_wait_stopped(dbx_warehouse **out, dbx_client *c, const char *id,
                                               const dbx_wait_options *opts)
{
    return wait_for(out, c, id, opts, DBX_WAREHOUSE_STATE_STOPPED);
}

/* ---- include/dbx/sys/json.h ---------------------------------------------------------------------- */

DBX_API const json_t *dbx_warehouse_jansson(const dbx_warehouse *wh) { return wh ? dbx__view_jansson(&wh->v) : NULL; }
DBX_API const json_t *dbx_warehouse_spec_jansson(const dbx_warehouse_spec *spec) { return spec ? spec->j : NULL; }
