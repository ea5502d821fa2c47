/* libdbx: Lakehouse Monitoring quality monitors (/api/2.1/unity-catalog/tables/{t}/monitor).
 * Request building and response mapping; the metric tables are read through sql.h. */
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "dbx/monitors.h"
#include "dbx/sql.h"

#define BASE "/api/2.1/unity-catalog/tables/"
#define MAX_ROWS_DEFAULT 100000L

/* ---- enums --------------------------------------------------------------------------- */

static const char *status_names[] = {"UNKNOWN", "MONITOR_STATUS_PENDING", "MONITOR_STATUS_ACTIVE",
                                     "MONITOR_STATUS_DELETE_PENDING", "MONITOR_STATUS_ERROR",
                                     "MONITOR_STATUS_FAILED"};
static const char *refresh_names[] = {"UNKNOWN", "PENDING", "RUNNING", "SUCCESS", "FAILED", "CANCELED"};
static const char *problem_names[] = {"UNKNOWN", "PROBLEM_TYPE_CLASSIFICATION", "PROBLEM_TYPE_REGRESSION"};
static const char *profile_names[] = {"", "inference_log", "time_series", "snapshot"};
static const char *drift_names[] = {"", "CONSECUTIVE", "BASELINE"};
static const char *granularities[] = {"5 minutes", "30 minutes", "1 hour",  "1 day",   "1 week",
                                      "2 weeks",   "3 weeks",    "4 weeks", "1 month", "1 year"};

#define N(a) (sizeof a / sizeof *a)
#define NAME(arr, v, unk) ((unsigned)(v) < N(arr) ? arr[v] : (unk))

static int lookup(const char *const *arr, size_t n, const char *s)
{
    for (size_t i = 1; s && i < n; i++)
        if (strcmp(s, arr[i]) == 0)
            return (int)i;
    return 0;
}

DBX_API const char *dbx_monitor_status_name(dbx_monitor_status_t v) { return NAME(status_names, v, "UNKNOWN"); }
DBX_API const char *dbx_monitor_refresh_state_name(dbx_monitor_refresh_state_t v)
{
    return NAME(refresh_names, v, "UNKNOWN");
}
DBX_API const char *dbx_monitor_problem_type_name(dbx_monitor_problem_type_t v)
{
    return NAME(problem_names, v, "UNKNOWN");
}
DBX_API const char *dbx_monitor_profile_type_name(dbx_monitor_profile_type_t v)
{
    return NAME(profile_names, v, "UNKNOWN");
}
DBX_API const char *dbx_monitor_drift_type_name(dbx_monitor_drift_type_t v) { return NAME(drift_names, v, "UNKNOWN"); }

DBX_API int dbx_monitor_granularity_valid(const char *g)
{
    for (size_t i = 0; g && i < N(granularities); i++)
        if (strcmp(g, granularities[i]) == 0)
            return 1;
    return 0;
}

/* ---- names ------------------------------------------------------------------------------ */

/* `n` dot-separated non-empty parts, valid UTF-8. */
static int dotted_ok(const char *s, int n)
{
    if (dbx__empty(s) || !dbx__utf8_valid(s))
        return 0;
    int parts = 1;
    const char *p = s;
    if (*p == '.')
        return 0;
    for (; *p; p++) {
        if (*p == '.') {
            if (p[1] == '.' || p[1] == '\0')
                return 0;
            parts++;
        }
    }
    return parts == n;
}

#define REQUIRE_TABLE(c, t)                                                                           \
    do {                                                                                              \
        DBX__REQUIRE_STR(c, t);                                                                       \
        if (!dotted_ok(t, 3))                                                                         \
            return dbx__fail((c), DBX_EINVAL, "%s: %s must be catalog.schema.table, got \"%.200s\"", \
                             __func__, #t, t);                                                        \
    } while (0)

/* ---- spec ------------------------------------------------------------------------------- */

struct dbx_monitor_spec {
    json_t *j;
};

enum { V_ANY = 0, V_CREATE = 1, V_UPDATE = 2 };

static const char *profiles[] = {"inference_log", "time_series", "snapshot"};

static int nonempty_str(const json_t *v) { return json_is_string(v) && json_string_value(v)[0]; }

/* Validate a spec body; NULL when fine, else a message in buf. */
static const char *validate(const json_t *j, int mode, char *buf, size_t cap)
{
    if (!json_is_object(j))
        return "the spec must be a JSON object";
    const json_t *v;
    if ((v = json_object_get(j, "assets_dir")) && !nonempty_str(v))
        return "assets_dir must be a non-empty string";
    if (mode == V_CREATE && !v)
        return "assets_dir is required to create a monitor";
    v = json_object_get(j, "output_schema_name");
    if (v && (!json_is_string(v) || !dotted_ok(json_string_value(v), 2)))
        return "output_schema_name must be catalog.schema";
    if (mode != V_ANY && !v)
        return "output_schema_name is required";
    int nprof = 0;
    for (size_t i = 0; i < N(profiles); i++) {
        const json_t *p = json_object_get(j, profiles[i]);
        if (!p || json_is_null(p))
            continue;
        nprof++;
        if (!json_is_object(p)) {
            snprintf(buf, cap, "%s must be an object", profiles[i]);
            return buf;
        }
        if (i == 2)
            continue;
        if (!nonempty_str(json_object_get(p, "timestamp_col"))) {
            snprintf(buf, cap, "%s.timestamp_col is required", profiles[i]);
            return buf;
        }
        const json_t *g = json_object_get(p, "granularities");
        if (!json_is_array(g) || json_array_size(g) == 0) {
            snprintf(buf, cap, "%s.granularities needs at least one granularity", profiles[i]);
            return buf;
        }
        size_t k;
        const json_t *e;
        json_array_foreach(g, k, e)
        {
            if (!json_is_string(e) || !dbx_monitor_granularity_valid(json_string_value(e))) {
                snprintf(buf, cap,
                         "%s.granularities[%zu] is not one of \"5 minutes\", \"30 minutes\", \"1 hour\", \"1 day\", "
                         "\"1 week\", \"2 weeks\", \"3 weeks\", \"4 weeks\", \"1 month\", \"1 year\"",
                         profiles[i], k);
                return buf;
            }
        }
        if (i == 0) {
            const json_t *pt = json_object_get(p, "problem_type");
            if (!json_is_string(pt) || !lookup(problem_names, N(problem_names), json_string_value(pt)))
                return "inference_log.problem_type must be PROBLEM_TYPE_CLASSIFICATION or PROBLEM_TYPE_REGRESSION";
            static const char *req[] = {"prediction_col", "model_id_col"};
            static const char *opt[] = {"label_col", "prediction_proba_col"};
            for (size_t r = 0; r < 2; r++) {
                if (!nonempty_str(json_object_get(p, req[r]))) {
                    snprintf(buf, cap, "inference_log.%s is required", req[r]);
                    return buf;
                }
                const json_t *o = json_object_get(p, opt[r]);
                if (o && !json_is_null(o) && !nonempty_str(o)) {
                    snprintf(buf, cap, "inference_log.%s must be a non-empty string", opt[r]);
                    return buf;
                }
            }
        }
    }
    if (nprof > 1)
        return "only one of inference_log, time_series and snapshot may be given";
    if (mode == V_CREATE && nprof == 0)
        return "one of inference_log, time_series and snapshot is required to create a monitor";
    if ((v = json_object_get(j, "baseline_table_name")) && !json_is_null(v) &&
        (!json_is_string(v) || !dotted_ok(json_string_value(v), 3)))
        return "baseline_table_name must be catalog.schema.table";
    if ((v = json_object_get(j, "slicing_exprs")) && !json_is_null(v)) {
        if (!json_is_array(v))
            return "slicing_exprs must be an array of strings";
        size_t k;
        const json_t *e;
        json_array_foreach(v, k, e) if (!nonempty_str(e))
        {
            snprintf(buf, cap, "slicing_exprs[%zu] must be a non-empty string", k);
            return buf;
        }
    }
    if ((v = json_object_get(j, "custom_metrics")) && !json_is_null(v)) {
        if (!json_is_array(v))
            return "custom_metrics must be an array of objects";
        size_t k;
        const json_t *e;
        json_array_foreach(v, k, e) if (!json_is_object(e))
        {
            snprintf(buf, cap, "custom_metrics[%zu] must be an object", k);
            return buf;
        }
    }
    if ((v = json_object_get(j, "schedule")) && !json_is_null(v)) {
        if (!json_is_object(v))
            return "schedule must be an object";
        if (!nonempty_str(json_object_get(v, "quartz_cron_expression")))
            return "schedule.quartz_cron_expression is required";
        if (!nonempty_str(json_object_get(v, "timezone_id")))
            return "schedule.timezone_id is required";
        const json_t *ps = json_object_get(v, "pause_status");
        if (ps && !(json_is_string(ps) && (!strcmp(json_string_value(ps), "PAUSED") ||
                                           !strcmp(json_string_value(ps), "UNPAUSED"))))
            return "schedule.pause_status must be PAUSED or UNPAUSED";
    }
    if ((v = json_object_get(j, "notifications")) && !json_is_null(v)) {
        if (!json_is_object(v))
            return "notifications must be an object";
        const char *k;
        const json_t *e;
        json_object_foreach((json_t *)v, k, e)
        {
            const json_t *a = json_is_object(e) ? json_object_get(e, "email_addresses") : NULL;
            int ok = json_is_array(a);
            size_t i;
            const json_t *x;
            if (ok)
                json_array_foreach(a, i, x) if (!json_is_string(x)) ok = 0;
            if (!ok) {
                snprintf(buf, cap, "notifications.%.64s must be {\"email_addresses\": [strings]}", k);
                return buf;
            }
        }
    }
    if ((v = json_object_get(j, "warehouse_id")) && !json_is_null(v) && !nonempty_str(v))
        return "warehouse_id must be a non-empty string";
    if ((v = json_object_get(j, "skip_builtin_dashboard")) && !json_is_boolean(v))
        return "skip_builtin_dashboard must be a boolean";
    return NULL;
}

static dbx_status spec_check(const void *owner, const char *fn, const json_t *j, int mode)
{
    char buf[320];
    const char *why = validate(j, mode, buf, sizeof buf);
    return why ? dbx__fail(owner, DBX_EINVAL, "%s: spec: %s", fn, why) : DBX_OK;
}

DBX_API dbx_status dbx_monitor_spec_new(dbx_monitor_spec **out)
{
    DBX__JSPEC_RETURN(out, dbx__jspec_new(sizeof **out, &st_));
}

static dbx_status check_spec_json(const json_t *j) { return spec_check(NULL, "dbx_monitor_spec_from_json", j, V_ANY); }

DBX_API dbx_status dbx_monitor_spec_from_json(dbx_monitor_spec **out, const char *json)
{
    DBX__JSPEC_RETURN(out, dbx__jspec_parse(sizeof **out, __func__, "json", json, check_spec_json, &st_));
}

DBX_API void dbx_monitor_spec_free(dbx_monitor_spec *spec) { dbx__jspec_free(spec); }

#define SPEC_ENTER(spec)                                                                     \
    do {                                                                                     \
        dbx__error_clear(NULL);                                                              \
        if (!(spec))                                                                         \
            return dbx__fail(NULL, DBX_EINVAL, "%s: spec is NULL", __func__);                \
    } while (0)

#define SPEC_STR(s)                                                                          \
    do {                                                                                     \
        if (dbx__empty(s))                                                                   \
            return dbx__fail(NULL, DBX_EINVAL, "%s: %s is required", __func__, #s);          \
        if (!dbx__utf8_valid(s))                                                             \
            return dbx__fail(NULL, DBX_EINVAL, "%s: %s is not valid UTF-8", __func__, #s);   \
    } while (0)

static dbx_status oom(void) { return dbx__fail(NULL, DBX_ENOMEM, "out of memory"); }

static dbx_status set_new(json_t *obj, const char *key, json_t *v)
{
    return v && json_object_set_new(obj, key, v) == 0 ? DBX_OK : oom();
}

DBX_API dbx_status dbx_monitor_spec_set_assets_dir(dbx_monitor_spec *spec, const char *assets_dir)
{
    SPEC_ENTER(spec);
    SPEC_STR(assets_dir);
    return set_new(spec->j, "assets_dir", json_string(assets_dir));
}

DBX_API dbx_status dbx_monitor_spec_set_output_schema(dbx_monitor_spec *spec, const char *output_schema_name)
{
    SPEC_ENTER(spec);
    SPEC_STR(output_schema_name);
    if (!dotted_ok(output_schema_name, 2))
        return dbx__fail(NULL, DBX_EINVAL, "%s: output_schema_name must be catalog.schema", __func__);
    return set_new(spec->j, "output_schema_name", json_string(output_schema_name));
}

/* Replace the profile with a new object `name`, keeping the granularities of an
 * inference_log / time_series set before. */
static dbx_status set_profile(dbx_monitor_spec *spec, const char *name, json_t *p)
{
    if (!p)
        return oom();
    if (strcmp(name, "snapshot") != 0) {
        for (size_t i = 0; i < 2; i++) {
            json_t *old = json_object_get(spec->j, profiles[i]);
            json_t *g = json_is_object(old) ? json_object_get(old, "granularities") : NULL;
            if (g && json_object_set(p, "granularities", g) != 0) {
                json_decref(p);
                return oom();
            }
            if (g)
                break;
        }
    }
    for (size_t i = 0; i < N(profiles); i++)
        json_object_del(spec->j, profiles[i]);
    return set_new(spec->j, name, p);
}

DBX_API dbx_status dbx_monitor_spec_set_inference_log(dbx_monitor_spec *spec, dbx_monitor_problem_type_t problem,
                                                      const char *timestamp_col, const char *prediction_col,
                                                      const char *model_id_col, const char *label_col,
                                                      const char *prediction_proba_col)
{
    SPEC_ENTER(spec);
    if (problem != DBX_MONITOR_PROBLEM_CLASSIFICATION && problem != DBX_MONITOR_PROBLEM_REGRESSION)
        return dbx__fail(NULL, DBX_EINVAL, "%s: problem must be DBX_MONITOR_PROBLEM_CLASSIFICATION or _REGRESSION",
                         __func__);
    SPEC_STR(timestamp_col);
    SPEC_STR(prediction_col);
    SPEC_STR(model_id_col);
    if (label_col)
        SPEC_STR(label_col);
    if (prediction_proba_col)
        SPEC_STR(prediction_proba_col);
    json_t *p = json_object();
    if (p && (dbx__json_set_str(p, "problem_type", problem_names[problem]) ||
              dbx__json_set_str(p, "timestamp_col", timestamp_col) ||
              dbx__json_set_str(p, "prediction_col", prediction_col) ||
              dbx__json_set_str(p, "model_id_col", model_id_col) ||
              (label_col && dbx__json_set_str(p, "label_col", label_col)) ||
              (prediction_proba_col && dbx__json_set_str(p, "prediction_proba_col", prediction_proba_col)))) {
        json_decref(p);
        p = NULL;
    }
    return set_profile(spec, "inference_log", p);
}

DBX_API dbx_status dbx_monitor_spec_set_time_series(dbx_monitor_spec *spec, const char *timestamp_col)
{
    SPEC_ENTER(spec);
    SPEC_STR(timestamp_col);
    json_t *p = json_object();
    if (p && dbx__json_set_str(p, "timestamp_col", timestamp_col)) {
        json_decref(p);
        p = NULL;
    }
    return set_profile(spec, "time_series", p);
}

DBX_API dbx_status dbx_monitor_spec_set_snapshot(dbx_monitor_spec *spec)
{
    SPEC_ENTER(spec);
    return set_profile(spec, "snapshot", json_object());
}

/* Append a string to array obj[key] (made when absent) unless present. */
static dbx_status add_unique(json_t *obj, const char *key, const char *s)
{
    json_t *a = json_object_get(obj, key);
    if (!json_is_array(a)) {
        if (!(a = json_array()) || json_object_set_new(obj, key, a) != 0)
            return oom();
    }
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e) if (json_is_string(e) && !strcmp(json_string_value(e), s)) return DBX_OK;
    return json_array_append_new(a, json_string(s)) == 0 ? DBX_OK : oom();
}

DBX_API dbx_status dbx_monitor_spec_add_granularity(dbx_monitor_spec *spec, const char *granularity)
{
    SPEC_ENTER(spec);
    SPEC_STR(granularity);
    if (!dbx_monitor_granularity_valid(granularity))
        return dbx__fail(NULL, DBX_EINVAL,
                         "%s: granularity \"%.40s\" is not one of \"5 minutes\", \"30 minutes\", \"1 hour\", \"1 day\", "
                         "\"1 week\", \"2 weeks\", \"3 weeks\", \"4 weeks\", \"1 month\", \"1 year\"",
                         __func__, granularity);
    for (size_t i = 0; i < 2; i++) {
        json_t *p = json_object_get(spec->j, profiles[i]);
        if (json_is_object(p))
            return add_unique(p, "granularities", granularity);
    }
    return dbx__fail(NULL, DBX_EINVAL, "%s: granularity needs an inference_log or time_series profile: set it first",
                     __func__);
}

DBX_API dbx_status dbx_monitor_spec_set_baseline_table(dbx_monitor_spec *spec, const char *table_name)
{
    SPEC_ENTER(spec);
    if (!table_name) {
        json_object_del(spec->j, "baseline_table_name");
        return DBX_OK;
    }
    SPEC_STR(table_name);
    if (!dotted_ok(table_name, 3))
        return dbx__fail(NULL, DBX_EINVAL, "%s: table_name must be catalog.schema.table", __func__);
    return set_new(spec->j, "baseline_table_name", json_string(table_name));
}

DBX_API dbx_status dbx_monitor_spec_add_slicing_expr(dbx_monitor_spec *spec, const char *expr)
{
    SPEC_ENTER(spec);
    SPEC_STR(expr);
    return add_unique(spec->j, "slicing_exprs", expr);
}

DBX_API dbx_status dbx_monitor_spec_set_schedule(dbx_monitor_spec *spec, const char *quartz_cron_expression,
                                                 const char *timezone_id, int paused)
{
    SPEC_ENTER(spec);
    SPEC_STR(quartz_cron_expression);
    SPEC_STR(timezone_id);
    json_t *s = json_object();
    if (s && (dbx__json_set_str(s, "quartz_cron_expression", quartz_cron_expression) ||
              dbx__json_set_str(s, "timezone_id", timezone_id) ||
              dbx__json_set_str(s, "pause_status", paused ? "PAUSED" : "UNPAUSED"))) {
        json_decref(s);
        s = NULL;
    }
    return set_new(spec->j, "schedule", s);
}

DBX_API dbx_status dbx_monitor_spec_set_warehouse_id(dbx_monitor_spec *spec, const char *warehouse_id)
{
    SPEC_ENTER(spec);
    SPEC_STR(warehouse_id);
    return set_new(spec->j, "warehouse_id", json_string(warehouse_id));
}

DBX_API dbx_status dbx_monitor_spec_set_skip_builtin_dashboard(dbx_monitor_spec *spec, int skip)
{
    SPEC_ENTER(spec);
    return set_new(spec->j, "skip_builtin_dashboard", json_boolean(skip));
}

DBX_API dbx_status dbx_monitor_spec_add_failure_email(dbx_monitor_spec *spec, const char *email)
{
    SPEC_ENTER(spec);
    SPEC_STR(email);
    json_t *n = json_object_get(spec->j, "notifications");
    if (!json_is_object(n) && set_new(spec->j, "notifications", (n = json_object())) != DBX_OK)
        return DBX_ENOMEM;
    json_t *f = json_object_get(n, "on_failure");
    if (!json_is_object(f) && set_new(n, "on_failure", (f = json_object())) != DBX_OK)
        return DBX_ENOMEM;
    return add_unique(f, "email_addresses", email);
}

DBX_API dbx_status dbx_monitor_spec_set_custom_metrics_json(dbx_monitor_spec *spec, const char *json)
{
    SPEC_ENTER(spec);
    if (!json) {
        json_object_del(spec->j, "custom_metrics");
        return DBX_OK;
    }
    json_t *v = NULL;
    char err[160];
    dbx_status st = dbx__json_parse_text(&v, json, err, sizeof err);
    if (st == DBX_ENOMEM)
        return oom();
    if (st != DBX_OK)
        return dbx__fail(NULL, DBX_EINVAL, "%s: json is not valid JSON: %s", __func__, err);
    int ok = json_is_array(v);
    size_t i;
    json_t *e;
    if (ok)
        json_array_foreach(v, i, e) if (!json_is_object(e)) ok = 0;
    if (!ok) {
        dbx__json_decref_deep(v);
        return dbx__fail(NULL, DBX_EINVAL, "%s: custom_metrics must be a JSON array of objects", __func__);
    }
    return set_new(spec->j, "custom_metrics", v);
}

DBX_API dbx_status dbx_monitor_spec_to_json(char **out, const dbx_monitor_spec *spec)
{
    dbx__error_clear(NULL);
    if (!out)
        return dbx__fail(NULL, DBX_EINVAL, "%s: out is NULL", __func__);
    *out = NULL;
    if (!spec)
        return dbx__fail(NULL, DBX_EINVAL, "%s: spec is NULL", __func__);
    dbx_status st = spec_check(NULL, __func__, spec->j, V_ANY);
    if (st != DBX_OK)
        return st;
    return (*out = dbx__json_dump(spec->j)) ? DBX_OK : oom();
}

/* ---- results ---------------------------------------------------------------------------- */

struct dbx_monitor {
    dbx__view v; /* first */
};
struct dbx_monitor_refresh {
    dbx__view v; /* first */
};

#define V(x) ((x)->v.v)
#define S(x, key) ((x) ? dbx__jv_get_str(V(x), key, "") : "")
#define P(x, path) ((x) ? dbx__jv_str(dbx__jv_path(V(x), path), "") : "")

DBX_API void dbx_monitor_free(dbx_monitor *m) { dbx__view_free(m); }
DBX_API void dbx_monitor_refresh_free(dbx_monitor_refresh *r) { dbx__view_free(r); }

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

static dbx__jv profile_of(const dbx_monitor *m, dbx_monitor_profile_type_t *type)
{
    *type = DBX_MONITOR_PROFILE_NONE;
    for (size_t i = 0; m && i < N(profiles); i++) {
        dbx__jv p = dbx__jv_get(V(m), profiles[i]);
        if (dbx__jv_is_object(p)) {
            *type = (dbx_monitor_profile_type_t)(i + 1);
            return p;
        }
    }
    return DBX__JV_ABSENT;
}

static const char *prof_str(const dbx_monitor *m, const char *key, int inference_only)
{
    dbx_monitor_profile_type_t t;
    dbx__jv p = profile_of(m, &t);
    if (inference_only && t != DBX_MONITOR_PROFILE_INFERENCE_LOG)
        return "";
    return dbx__jv_get_str(p, key, "");
}

DBX_API const char *dbx_monitor_table_name(const dbx_monitor *m) { return S(m, "table_name"); }
DBX_API dbx_monitor_status_t dbx_monitor_status(const dbx_monitor *m)
{
    return (dbx_monitor_status_t)lookup(status_names, N(status_names), S(m, "status"));
}
DBX_API const char *dbx_monitor_status_str(const dbx_monitor *m) { return S(m, "status"); }
DBX_API int64_t dbx_monitor_version(const dbx_monitor *m) { return m ? dbx__jv_get_int(V(m), "monitor_version", 0) : 0; }
DBX_API const char *dbx_monitor_assets_dir(const dbx_monitor *m) { return S(m, "assets_dir"); }
DBX_API const char *dbx_monitor_output_schema_name(const dbx_monitor *m) { return S(m, "output_schema_name"); }
DBX_API const char *dbx_monitor_profile_metrics_table_name(const dbx_monitor *m)
{
    return S(m, "profile_metrics_table_name");
}
DBX_API const char *dbx_monitor_drift_metrics_table_name(const dbx_monitor *m)
{
    return S(m, "drift_metrics_table_name");
}
DBX_API const char *dbx_monitor_dashboard_id(const dbx_monitor *m) { return S(m, "dashboard_id"); }
DBX_API const char *dbx_monitor_baseline_table_name(const dbx_monitor *m) { return S(m, "baseline_table_name"); }
DBX_API const char *dbx_monitor_latest_failure_msg(const dbx_monitor *m) { return S(m, "latest_monitor_failure_msg"); }
DBX_API dbx_monitor_profile_type_t dbx_monitor_profile_type(const dbx_monitor *m)
{
    dbx_monitor_profile_type_t t;
    profile_of(m, &t);
    return t;
}
DBX_API dbx_monitor_problem_type_t dbx_monitor_problem_type(const dbx_monitor *m)
{
    return (dbx_monitor_problem_type_t)lookup(problem_names, N(problem_names), prof_str(m, "problem_type", 1));
}
DBX_API const char *dbx_monitor_problem_type_str(const dbx_monitor *m) { return prof_str(m, "problem_type", 1); }
DBX_API const char *dbx_monitor_timestamp_col(const dbx_monitor *m) { return prof_str(m, "timestamp_col", 0); }
DBX_API const char *dbx_monitor_prediction_col(const dbx_monitor *m) { return prof_str(m, "prediction_col", 1); }
DBX_API const char *dbx_monitor_label_col(const dbx_monitor *m) { return prof_str(m, "label_col", 1); }
DBX_API const char *dbx_monitor_model_id_col(const dbx_monitor *m) { return prof_str(m, "model_id_col", 1); }
DBX_API const char *dbx_monitor_prediction_proba_col(const dbx_monitor *m)
{
    return prof_str(m, "prediction_proba_col", 1);
}
DBX_API size_t dbx_monitor_granularity_count(const dbx_monitor *m)
{
    dbx_monitor_profile_type_t t;
    return dbx__jv_count(dbx__jv_get(profile_of(m, &t), "granularities"));
}
DBX_API const char *dbx_monitor_granularity(const dbx_monitor *m, size_t i)
{
    dbx_monitor_profile_type_t t;
    return dbx__jv_str(nth(dbx__jv_get(profile_of(m, &t), "granularities"), i), "");
}
DBX_API size_t dbx_monitor_slicing_expr_count(const dbx_monitor *m)
{
    return m ? dbx__jv_count(dbx__jv_get(V(m), "slicing_exprs")) : 0;
}
DBX_API const char *dbx_monitor_slicing_expr(const dbx_monitor *m, size_t i)
{
    return m ? dbx__jv_str(nth(dbx__jv_get(V(m), "slicing_exprs"), i), "") : "";
}
DBX_API const char *dbx_monitor_schedule_cron(const dbx_monitor *m) { return P(m, "schedule.quartz_cron_expression"); }
DBX_API const char *dbx_monitor_schedule_timezone(const dbx_monitor *m) { return P(m, "schedule.timezone_id"); }
DBX_API const char *dbx_monitor_schedule_pause_status(const dbx_monitor *m) { return P(m, "schedule.pause_status"); }
DBX_API const char *dbx_monitor_json(const dbx_monitor *m) { return m ? dbx__view_text(&m->v, 0, V(m)) : NULL; }

DBX_API int64_t dbx_monitor_refresh_id(const dbx_monitor_refresh *r)
{
    return r ? dbx__jv_get_int(V(r), "refresh_id", 0) : 0;
}
DBX_API dbx_monitor_refresh_state_t dbx_monitor_refresh_state(const dbx_monitor_refresh *r)
{
    return (dbx_monitor_refresh_state_t)lookup(refresh_names, N(refresh_names), S(r, "state"));
}
DBX_API const char *dbx_monitor_refresh_state_str(const dbx_monitor_refresh *r) { return S(r, "state"); }
DBX_API const char *dbx_monitor_refresh_message(const dbx_monitor_refresh *r) { return S(r, "message"); }
DBX_API int64_t dbx_monitor_refresh_start_time_ms(const dbx_monitor_refresh *r)
{
    return r ? dbx__jv_get_int(V(r), "start_time_ms", 0) : 0;
}
DBX_API int64_t dbx_monitor_refresh_end_time_ms(const dbx_monitor_refresh *r)
{
    return r ? dbx__jv_get_int(V(r), "end_time_ms", 0) : 0;
}
DBX_API const char *dbx_monitor_refresh_trigger(const dbx_monitor_refresh *r) { return S(r, "trigger"); }
DBX_API const char *dbx_monitor_refresh_json(const dbx_monitor_refresh *r)
{
    return r ? dbx__view_text(&r->v, 0, V(r)) : NULL;
}

/* ---- calls ------------------------------------------------------------------------------- */

/* BASE <table percent-encoded> "/monitor" <suffix> [<id>] [<suffix2>] */
static dbx_status call(dbx_client *c, const char *method, const char *table, const char *suffix, int64_t id,
                       const char *suffix2, const json_t *body, int flags, dbx__jdoc *out)
{
    dbx__buf path = DBX__BUF_INIT;
    dbx__buf_puts(&path, BASE);
    dbx__buf_put_urlenc(&path, table);
    dbx__buf_puts(&path, "/monitor");
    dbx__buf_puts(&path, suffix);
    if (id > 0)
        dbx__buf_printf(&path, "%lld", (long long)id);
    if (suffix2)
        dbx__buf_puts(&path, suffix2);
    dbx_status st = path.oom ? dbx__fail(c, DBX_ENOMEM, "out of memory")
                             : dbx__api_call(c, method, path.ptr, body, flags, out);
    dbx__buf_dispose(&path);
    return st;
}

static dbx_status monitor_from_doc(dbx_monitor **out, dbx_client *c, dbx__jdoc *doc, const char *what)
{
    if (dbx__empty(dbx__jv_get_str(dbx__jdoc_root(doc), "table_name", NULL))) {
        dbx__jdoc_dispose(doc);
        return dbx__fail_answer(c, DBX_EBADRESPONSE, "%s: the answer has no table_name", what);
    }
    if (!out) {
        dbx__jdoc_dispose(doc);
        return DBX_OK;
    }
    return (*out = dbx__view_new(sizeof(dbx_monitor), doc)) ? DBX_OK : dbx__fail(c, DBX_ENOMEM, "out of memory");
}

static dbx_status refresh_from_doc(dbx_monitor_refresh **out, dbx_client *c, dbx__jdoc *doc, const char *what)
{
    if (dbx__jv_get_int(dbx__jdoc_root(doc), "refresh_id", 0) <= 0) {
        dbx__jdoc_dispose(doc);
        return dbx__fail_answer(c, DBX_EBADRESPONSE, "%s: the answer has no refresh_id", what);
    }
    if (!out) {
        dbx__jdoc_dispose(doc);
        return DBX_OK;
    }
    return (*out = dbx__view_new(sizeof(dbx_monitor_refresh), doc)) ? DBX_OK
                                                                     : dbx__fail(c, DBX_ENOMEM, "out of memory");
}

DBX_API dbx_status dbx_monitor_create(dbx_monitor **out, dbx_client *c, const char *table_name,
                                      const dbx_monitor_spec *spec)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    REQUIRE_TABLE(c, table_name);
    DBX__REQUIRE_PTR(c, spec);
    dbx_status st = spec_check(c, __func__, spec->j, V_CREATE);
    if (st != DBX_OK)
        return st;
    dbx__jdoc doc;
    if ((st = call(c, "POST", table_name, "", 0, NULL, spec->j, 0, &doc)) != DBX_OK)
        return st;
    return monitor_from_doc(out, c, &doc, "monitor create");
}

DBX_API dbx_status dbx_monitor_get(dbx_monitor **out, dbx_client *c, const char *table_name)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    REQUIRE_TABLE(c, table_name);
    dbx__jdoc doc;
    dbx_status st = call(c, "GET", table_name, "", 0, NULL, NULL, 0, &doc);
    if (st != DBX_OK)
        return st;
    return monitor_from_doc(out, c, &doc, "monitor get");
}

DBX_API dbx_status dbx_monitor_update(dbx_monitor **out, dbx_client *c, const char *table_name,
                                      const dbx_monitor_spec *spec)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    REQUIRE_TABLE(c, table_name);
    DBX__REQUIRE_PTR(c, spec);
    dbx_status st = spec_check(c, __func__, spec->j, V_UPDATE);
    if (st != DBX_OK)
        return st;
    /* the update body has no assets_dir (it cannot change): a shallow copy without it */
    json_t *body = json_object();
    int bad = !body;
    const char *k;
    json_t *v;
    if (!bad)
        json_object_foreach(spec->j, k, v) if (strcmp(k, "assets_dir") && json_object_set(body, k, v)) bad = 1;
    if (bad) {
        json_decref(body); /* shallow: values belong to the spec */
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx__jdoc doc;
    st = call(c, "PUT", table_name, "", 0, NULL, body, DBX__CALL_IDEMPOTENT, &doc);
    json_decref(body);
    if (st != DBX_OK)
        return st;
    return monitor_from_doc(out, c, &doc, "monitor update");
}

DBX_API dbx_status dbx_monitor_delete(dbx_client *c, const char *table_name)
{
    DBX__ENTER(c);
    REQUIRE_TABLE(c, table_name);
    return call(c, "DELETE", table_name, "", 0, NULL, NULL, DBX__CALL_IDEMPOTENT, NULL);
}

DBX_API dbx_status dbx_monitor_regenerate_dashboard(char **dashboard_id, dbx_client *c, const char *table_name,
                                                    const char *warehouse_id)
{
    if (dashboard_id)
        *dashboard_id = NULL;
    DBX__ENTER(c);
    REQUIRE_TABLE(c, table_name);
    DBX__CHECK_STR(c, warehouse_id);
    json_t *body = json_object();
    if (!body || (!dbx__empty(warehouse_id) && dbx__json_set_str(body, "warehouse_id", warehouse_id))) {
        json_decref(body);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx__jdoc doc;
    dbx_status st = call(c, "POST", table_name, "/dashboard", 0, NULL, body, 0, &doc);
    json_decref(body);
    if (st != DBX_OK)
        return st;
    const char *id = dbx__jv_get_str(dbx__jdoc_root(&doc), "dashboard_id", "");
    if (dashboard_id && !(*dashboard_id = dbx__strdup(id)))
        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    dbx__jdoc_dispose(&doc);
    return st;
}

/* ---- refreshes ----------------------------------------------------------------------------- */

#define REQUIRE_ID(c, id)                                                                    \
    do {                                                                                     \
        if ((id) <= 0)                                                                       \
            return dbx__fail((c), DBX_EINVAL, "%s: refresh_id must be > 0", __func__);       \
    } while (0)

DBX_API dbx_status dbx_monitor_refresh_run(dbx_monitor_refresh **out, dbx_client *c, const char *table_name)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    REQUIRE_TABLE(c, table_name);
    dbx__jdoc doc;
    dbx_status st = call(c, "POST", table_name, "/refreshes", 0, NULL, NULL, 0, &doc);
    if (st != DBX_OK)
        return st;
    return refresh_from_doc(out, c, &doc, "monitor run refresh");
}

DBX_API dbx_status dbx_monitor_refresh_get(dbx_monitor_refresh **out, dbx_client *c, const char *table_name,
                                           int64_t refresh_id)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    REQUIRE_TABLE(c, table_name);
    REQUIRE_ID(c, refresh_id);
    dbx__jdoc doc;
    dbx_status st = call(c, "GET", table_name, "/refreshes/", refresh_id, NULL, NULL, 0, &doc);
    if (st != DBX_OK)
        return st;
    return refresh_from_doc(out, c, &doc, "monitor get refresh");
}

DBX_API dbx_status dbx_monitor_refresh_cancel(dbx_client *c, const char *table_name, int64_t refresh_id)
{
    DBX__ENTER(c);
    REQUIRE_TABLE(c, table_name);
    REQUIRE_ID(c, refresh_id);
    return call(c, "POST", table_name, "/refreshes/", refresh_id, "/cancel", NULL, DBX__CALL_IDEMPOTENT, NULL);
}

struct dbx_monitor_refresh_iter {
    dbx__iter base;
};

DBX_API dbx_status dbx_monitor_refresh_list(dbx_monitor_refresh_iter **out, dbx_client *c, const char *table_name)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    REQUIRE_TABLE(c, table_name);
    dbx__buf path = DBX__BUF_INIT;
    dbx__buf_puts(&path, BASE);
    dbx__buf_put_urlenc(&path, table_name);
    dbx__buf_puts(&path, "/monitor/refreshes");
    if (path.oom) {
        dbx__buf_dispose(&path);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    /* one answer of at most 25, no paging: the pager stops without a next_page_token */
    *out = (dbx_monitor_refresh_iter *)dbx__iter_new(c, DBX__PAGE_TOKEN_QUERY, "GET", path.ptr, NULL, "refreshes",
                                                     NULL, 0, 0);
    dbx__buf_dispose(&path);
    return *out ? DBX_OK : DBX_ENOMEM;
}

DBX_API dbx_status dbx_monitor_refresh_iter_next(const dbx_monitor_refresh **item, dbx_monitor_refresh_iter *it)
{
    return dbx__iter_next(it ? &it->base : NULL, (const dbx__view **)item);
}

DBX_API void dbx_monitor_refresh_iter_free(dbx_monitor_refresh_iter *it) { dbx__iter_free(it ? &it->base : NULL); }

/* ---- waiters ---------------------------------------------------------------------------------- */

typedef struct wait_ctx {
    dbx_client *c;
    const char *table;
    int64_t id;
    void *last;
    char state[64];
} wait_ctx;

static dbx_status poll_refresh(void *vctx, dbx__poll_result *res, const char **state)
{
    wait_ctx *w = vctx;
    dbx_monitor_refresh *r = NULL;
    dbx_status st = dbx_monitor_refresh_get(&r, w->c, w->table, w->id);
    if (st != DBX_OK)
        return st;
    dbx_monitor_refresh_free(w->last);
    w->last = r;
    snprintf(w->state, sizeof w->state, "%.60s", dbx_monitor_refresh_state_str(r));
    *state = w->state;
    dbx_monitor_refresh_state_t s = dbx_monitor_refresh_state(r);
    if (s == DBX_MONITOR_REFRESH_FAILED || s == DBX_MONITOR_REFRESH_CANCELED) {
        const char *m = dbx_monitor_refresh_message(r);
        dbx__fail(w->c, DBX_ESTATE, "monitor refresh %lld of %.200s %s%s%.900s", (long long)w->id, w->table,
                  dbx_monitor_refresh_state_str(r), *m ? ": " : "", m);
        dbx__error_set_request("GET", BASE "{table_name}/monitor/refreshes/{refresh_id}");
        dbx__error_set_http(200, "", "");
        return DBX_ESTATE;
    }
    *res = s == DBX_MONITOR_REFRESH_SUCCESS ? DBX__POLL_DONE : DBX__POLL_CONTINUE;
    return DBX_OK;
}

DBX_API dbx_status dbx_monitor_refresh_wait(dbx_monitor_refresh **out, dbx_client *c, const char *table_name,
                                            int64_t refresh_id, const dbx_wait_options *wait)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    REQUIRE_TABLE(c, table_name);
    REQUIRE_ID(c, refresh_id);
    wait_ctx w = {c, table_name, refresh_id, NULL, ""};
    char what[300], id[32];
    snprintf(what, sizeof what, "monitor refresh %lld of %.200s to end", (long long)refresh_id, table_name);
    snprintf(id, sizeof id, "%lld", (long long)refresh_id);
    dbx_status st = dbx__wait(c, id, what, wait, poll_refresh, &w);
    if (out)
        *out = w.last;
    else
        dbx_monitor_refresh_free(w.last);
    return st;
}

static dbx_status poll_monitor(void *vctx, dbx__poll_result *res, const char **state)
{
    wait_ctx *w = vctx;
    dbx_monitor *m = NULL;
    dbx_status st = dbx_monitor_get(&m, w->c, w->table);
    if (st != DBX_OK)
        return st;
    dbx_monitor_free(w->last);
    w->last = m;
    snprintf(w->state, sizeof w->state, "%.60s", dbx_monitor_status_str(m));
    *state = w->state;
    dbx_monitor_status_t s = dbx_monitor_status(m);
    if (s == DBX_MONITOR_STATUS_ERROR || s == DBX_MONITOR_STATUS_FAILED) {
        const char *msg = dbx_monitor_latest_failure_msg(m);
        dbx__fail(w->c, DBX_ESTATE, "monitor of %.200s is %s%s%.900s", w->table, dbx_monitor_status_str(m),
                  *msg ? ": " : "", msg);
        dbx__error_set_request("GET", BASE "{table_name}/monitor");
        dbx__error_set_http(200, "", "");
        return DBX_ESTATE;
    }
    *res = s == DBX_MONITOR_STATUS_ACTIVE ? DBX__POLL_DONE : DBX__POLL_CONTINUE;
    return DBX_OK;
}

DBX_API dbx_status dbx_monitor_wait_active(dbx_monitor **out, dbx_client *c, const char *table_name,
                                           const dbx_wait_options *wait)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    REQUIRE_TABLE(c, table_name);
    wait_ctx w = {c, table_name, 0, NULL, ""};
    char what[300];
    snprintf(what, sizeof what, "monitor of %.200s to be MONITOR_STATUS_ACTIVE", table_name);
    dbx_status st = dbx__wait(c, table_name, what, wait, poll_monitor, &w);
    if (out)
        *out = w.last;
    else
        dbx_monitor_free(w.last);
    return st;
}

/* ---- metric tables --------------------------------------------------------------------------- */

DBX_API void dbx_monitor_read_options_init(dbx_monitor_read_options *o)
{
    if (o) {
        dbx_monitor_read_options d = DBX_MONITOR_READ_OPTIONS_INIT;
        *o = d;
    }
}

/* Strings of a row set: blocks that never move, so row pointers stay valid. */
typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    char data[];
} arena_block;

#define ARENA_BLOCK 65536

static const char *arena_dup(arena_block **head, const char *s, size_t n)
{
    arena_block *b = *head;
    if (!b || b->cap - b->used < n + 1) {
        size_t cap = n + 1 > ARENA_BLOCK ? n + 1 : ARENA_BLOCK;
        arena_block *nb = dbx__malloc(sizeof *nb + cap);
        if (!nb)
            return NULL;
        nb->next = b;
        nb->used = 0;
        nb->cap = cap;
        *head = b = nb;
    }
    char *p = b->data + b->used;
    memcpy(p, s, n);
    p[n] = '\0';
    b->used += n + 1;
    return p;
}

static void arena_free(arena_block *b)
{
    while (b) {
        arena_block *n = b->next;
        dbx__free(b);
        b = n;
    }
}

/* A row set: rows of `elem` bytes and their strings. */
typedef struct rowset {
    void *rows;
    size_t n, cap;
    arena_block *strings;
} rowset;

struct dbx_monitor_drift {
    rowset s;
};
struct dbx_monitor_profile {
    rowset s;
};

/* The columns a read selects, and where each goes in a row. The struct columns of the
 * real tables (window, window_cmp, ks_test, chi_squared_test, precision, recall, f1_score) are
 * read field by field (`window`.`start` AS `window_start`, ...). */
typedef enum { F_TIME, F_STR, F_DBL, F_INT, F_DRIFT } ftype;
typedef struct col {
    const char *name; /* NULL: the model-id column (the monitor's model_id_col) */
    ftype t;
    size_t off;
    int profile_quality; /* selected only for inference logs */
    const char *expr;    /* non-NULL: a struct field selected as `expr` AS `name` */
} col;

#define D(f) offsetof(dbx_monitor_drift_row, f)
static const col drift_cols[] = {
    {"window_start", F_TIME, D(window_start_ms), 0, "`window`.`start`"},
    {"window_end", F_TIME, D(window_end_ms), 0, "`window`.`end`"},
    {"window_cmp_start", F_TIME, D(window_cmp_start_ms), 0, "`window_cmp`.`start`"},
    {"window_cmp_end", F_TIME, D(window_cmp_end_ms), 0, "`window_cmp`.`end`"},
    {"granularity", F_STR, D(granularity), 0, NULL},
    {"column_name", F_STR, D(column_name), 0, NULL},
    {"data_type", F_STR, D(data_type), 0, NULL},
    {"drift_type", F_DRIFT, D(drift_type_str), 0, NULL},
    {NULL, F_STR, D(model_id), 1, NULL},
    {"slice_key", F_STR, D(slice_key), 0, NULL},
    {"slice_value", F_STR, D(slice_value), 0, NULL},
    {"monitor_version", F_INT, D(monitor_version), 0, NULL},
    {"count_delta", F_DBL, D(count_delta), 0, NULL},
    {"avg_delta", F_DBL, D(avg_delta), 0, NULL},
    {"percent_null_delta", F_DBL, D(percent_null_delta), 0, NULL},
    {"percent_zeros_delta", F_DBL, D(percent_zeros_delta), 0, NULL},
    {"percent_distinct_delta", F_DBL, D(percent_distinct_delta), 0, NULL},
    {"population_stability_index", F_DBL, D(population_stability_index), 0, NULL},
    {"ks_test_statistic", F_DBL, D(ks_test_statistic), 0, "`ks_test`.`statistic`"},
    {"ks_test_pvalue", F_DBL, D(ks_test_pvalue), 0, "`ks_test`.`pvalue`"},
    {"chi_squared_test_statistic", F_DBL, D(chi_squared_test_statistic), 0,
     "`chi_squared_test`.`statistic`"},
    {"chi_squared_test_pvalue", F_DBL, D(chi_squared_test_pvalue), 0, "`chi_squared_test`.`pvalue`"},
    {"js_distance", F_DBL, D(js_distance), 0, NULL},
    {"wasserstein_distance", F_DBL, D(wasserstein_distance), 0, NULL},
    {"tv_distance", F_DBL, D(tv_distance), 0, NULL},
    {"l_infinity_distance", F_DBL, D(l_infinity_distance), 0, NULL},
};
#undef D

#define PR(f) offsetof(dbx_monitor_profile_row, f)
static const col profile_cols[] = {
    {"window_start", F_TIME, PR(window_start_ms), 0, "`window`.`start`"},
    {"window_end", F_TIME, PR(window_end_ms), 0, "`window`.`end`"},
    {"granularity", F_STR, PR(granularity), 0, NULL},
    {"column_name", F_STR, PR(column_name), 0, NULL},
    {"data_type", F_STR, PR(data_type), 0, NULL},
    {"log_type", F_STR, PR(log_type), 0, NULL},
    {NULL, F_STR, PR(model_id), 1, NULL},
    {"slice_key", F_STR, PR(slice_key), 0, NULL},
    {"slice_value", F_STR, PR(slice_value), 0, NULL},
    {"monitor_version", F_INT, PR(monitor_version), 0, NULL},
    {"count", F_DBL, PR(count), 0, NULL},
    {"num_nulls", F_DBL, PR(num_nulls), 0, NULL},
    {"distinct_count", F_DBL, PR(distinct_count), 0, NULL},
    {"num_zeros", F_DBL, PR(num_zeros), 0, NULL},
    {"avg", F_DBL, PR(avg), 0, NULL},
    {"stddev", F_DBL, PR(stddev), 0, NULL},
    {"min", F_DBL, PR(min), 0, NULL},
    {"max", F_DBL, PR(max), 0, NULL},
    {"median", F_DBL, PR(median), 0, NULL},
    {"percent_null", F_DBL, PR(percent_null), 0, NULL},
    {"percent_distinct", F_DBL, PR(percent_distinct), 0, NULL},
    {"percent_zeros", F_DBL, PR(percent_zeros), 0, NULL},
    {"accuracy_score", F_DBL, PR(accuracy_score), 1, NULL},
    {"precision_macro", F_DBL, PR(precision_macro), 1, "`precision`.`macro`"},
    {"precision_weighted", F_DBL, PR(precision_weighted), 1, "`precision`.`weighted`"},
    {"recall_macro", F_DBL, PR(recall_macro), 1, "`recall`.`macro`"},
    {"recall_weighted", F_DBL, PR(recall_weighted), 1, "`recall`.`weighted`"},
    {"f1_score_macro", F_DBL, PR(f1_score_macro), 1, "`f1_score`.`macro`"},
    {"f1_score_weighted", F_DBL, PR(f1_score_weighted), 1, "`f1_score`.`weighted`"},
    {"roc_auc_score", F_DBL, PR(roc_auc_score), 1, NULL},
    {"mean_squared_error", F_DBL, PR(mean_squared_error), 1, NULL},
    {"root_mean_squared_error", F_DBL, PR(root_mean_squared_error), 1, NULL},
    {"mean_absolute_error", F_DBL, PR(mean_absolute_error), 1, NULL},
    {"mean_absolute_percentage_error", F_DBL, PR(mean_absolute_percentage_error), 1, NULL},
    {"r2_score", F_DBL, PR(r2_score), 1, NULL},
};
#undef PR

/* `name` (a part of a table name or a column name) as a backtick-quoted identifier. */
static int put_ident(dbx__buf *b, const char *name, size_t n)
{
    if (memchr(name, '`', n))
        return -1;
    dbx__buf_putc(b, '`');
    dbx__buf_put(b, name, n);
    dbx__buf_putc(b, '`');
    return 0;
}

static int put_table(dbx__buf *b, const char *full)
{
    const char *p = full;
    for (int part = 0; part < 3; part++) {
        const char *dot = strchr(p, '.');
        size_t n = part < 2 && dot ? (size_t)(dot - p) : strlen(p);
        if (part > 0)
            dbx__buf_putc(b, '.');
        if (put_ident(b, p, n) != 0)
            return -1;
        p += n + (part < 2);
    }
    return 0;
}

typedef struct read_spec {
    const col *cols;
    size_t ncols;
    size_t elem;
    int drift;
} read_spec;

static dbx_status read_table(rowset *out, dbx_client *c, const char *table_name, const char *wh,
                             const dbx_monitor_read_options *o, const read_spec *rs)
{
    dbx_monitor *m = NULL;
    dbx_status st = dbx_monitor_get(&m, c, table_name);
    if (st != DBX_OK)
        return st;
    const char *metrics = rs->drift ? dbx_monitor_drift_metrics_table_name(m) : dbx_monitor_profile_metrics_table_name(m);
    const char *model_col = dbx_monitor_model_id_col(m);
    int inference = dbx_monitor_profile_type(m) == DBX_MONITOR_PROFILE_INFERENCE_LOG && *model_col;
    dbx__buf sql = DBX__BUF_INIT;
    dbx_sql_params *params = NULL;
    dbx_sql_statement *stmt = NULL;
    dbx_sql_rows *rows = NULL;
    int idx[64];
    if (!dotted_ok(metrics, 3)) {
        st = dbx__fail_answer(c, DBX_EBADRESPONSE, "%s: the monitor has no %s metrics table name", __func__,
                              rs->drift ? "drift" : "profile");
        goto done;
    }
    dbx__buf_puts(&sql, "SELECT ");
    for (size_t i = 0; i < rs->ncols; i++) {
        const col *f = &rs->cols[i];
        if (f->profile_quality && !inference)
            continue;
        if (sql.len > 7)
            dbx__buf_puts(&sql, ", ");
        const char *name = f->name ? f->name : model_col;
        if (f->expr) {
            dbx__buf_puts(&sql, f->expr);
            dbx__buf_puts(&sql, " AS ");
        }
        if (put_ident(&sql, name, strlen(name)) != 0) {
            st = dbx__fail(c, DBX_EINVAL, "%s: the model id column name holds a backtick", __func__);
            goto done;
        }
    }
    dbx__buf_puts(&sql, " FROM ");
    if (put_table(&sql, metrics) != 0) {
        st = dbx__fail(c, DBX_EINVAL, "%s: the metrics table name %.200s holds a backtick", __func__, metrics);
        goto done;
    }
    if ((st = dbx_sql_params_new(&params)) != DBX_OK) {
        st = dbx__fail(c, st, "out of memory");
        goto done;
    }
    const char *conj = " WHERE ";
#define COND(text)                                                                            \
    do {                                                                                      \
        dbx__buf_puts(&sql, conj);                                                            \
        dbx__buf_puts(&sql, text);                                                            \
        conj = " AND ";                                                                       \
    } while (0)
    int pbad = 0;
    if (o && o->column_name) {
        COND("column_name = :column_name");
        pbad |= dbx_sql_params_add(params, "column_name", o->column_name, "STRING") != DBX_OK;
    }
    if (o && o->granularity) {
        COND("granularity = :granularity");
        pbad |= dbx_sql_params_add(params, "granularity", o->granularity, "STRING") != DBX_OK;
    }
    if (rs->drift && o && o->drift_type != DBX_MONITOR_DRIFT_ANY) {
        COND("drift_type = :drift_type");
        pbad |= dbx_sql_params_add(params, "drift_type", drift_names[o->drift_type], "STRING") != DBX_OK;
    }
    if (!rs->drift && o && o->log_type) {
        COND("log_type = :log_type");
        pbad |= dbx_sql_params_add(params, "log_type", o->log_type, "STRING") != DBX_OK;
    }
    if (o && o->since_ms) {
        char ts[80];
        int64_t s = o->since_ms / 1000, ms = o->since_ms % 1000;
        if (ms < 0) {
            ms += 1000;
            s--;
        }
        time_t t = (time_t)s;
        struct tm tmv;
        gmtime_r(&t, &tmv);
        snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tmv.tm_year + 1900, tmv.tm_mon + 1,
                 tmv.tm_mday, tmv.tm_hour, tmv.tm_min, tmv.tm_sec, (int)ms);
        COND("`window`.`start` >= :since");
        pbad |= dbx_sql_params_add(params, "since", ts, "TIMESTAMP") != DBX_OK;
    }
    if (inference && o && o->model_id) {
        dbx__buf_puts(&sql, conj);
        put_ident(&sql, model_col, strlen(model_col));
        dbx__buf_puts(&sql, " = :model_id");
        conj = " AND ";
        pbad |= dbx_sql_params_add(params, "model_id", o->model_id, "STRING") != DBX_OK;
    }
    if (!(o && o->all_slices)) {
        if (o && o->slice_key) {
            COND("slice_key = :slice_key");
            pbad |= dbx_sql_params_add(params, "slice_key", o->slice_key, "STRING") != DBX_OK;
        } else {
            COND("slice_key IS NULL");
        }
    }
#undef COND
    dbx__buf_puts(&sql, rs->drift ? " ORDER BY `window`.`start`, granularity, column_name, drift_type"
                                  : " ORDER BY `window`.`start`, granularity, column_name, log_type");
    if (pbad || sql.oom) {
        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
        goto done;
    }
    st = dbx_sql_run(&stmt, c, wh, sql.ptr, params, NULL, NULL);
    /* a missing table: SQLSTATE 42P01, "[TABLE_OR_VIEW_NOT_FOUND] ..." (error_code BAD_REQUEST) */
    if (st == DBX_ESTATE && stmt &&
        (!strcmp(dbx_sql_statement_sql_state(stmt), "42P01") ||
         !strcmp(dbx_sql_statement_error_code(stmt), "TABLE_OR_VIEW_NOT_FOUND") ||
         strstr(dbx_sql_statement_error_message(stmt), "[TABLE_OR_VIEW_NOT_FOUND]"))) {
        st = dbx__fail(c, DBX_ENOTFOUND, "the %s metrics table %.200s does not exist yet (run a refresh first)",
                       rs->drift ? "drift" : "profile", metrics);
        goto done;
    }
    if (st != DBX_OK)
        goto done;
    dbx_sql_rows_options ro = DBX_SQL_ROWS_OPTIONS_INIT;
    ro.close_statement = 1;
    if ((st = dbx_sql_rows_open(&rows, c, stmt, &ro)) != DBX_OK)
        goto done;
    /* where each selected column sits in the result */
    size_t nsel = 0;
    for (size_t i = 0; i < rs->ncols && i < 64; i++) {
        const col *f = &rs->cols[i];
        if (f->profile_quality && !inference) {
            idx[i] = -1;
            continue;
        }
        idx[i] = (int)nsel++;
    }
    long max = o && o->max_rows > 0 ? o->max_rows : MAX_ROWS_DEFAULT;
    while ((st = dbx_sql_rows_next(rows)) == DBX_OK) {
        if ((long)out->n >= max) {
            st = dbx__fail(c, DBX_ETOOLARGE, "%s: more than %ld metric rows: narrow the filters or raise max_rows",
                           __func__, max);
            goto done;
        }
        if (out->n == out->cap) {
            size_t ncap = out->cap ? out->cap * 2 : 64;
            void *nr = dbx__realloc(out->rows, ncap * rs->elem);
            if (!nr) {
                st = dbx__fail(c, DBX_ENOMEM, "out of memory");
                goto done;
            }
            out->rows = nr;
            out->cap = ncap;
        }
        char *row = (char *)out->rows + out->n * rs->elem;
        memset(row, 0, rs->elem);
        for (size_t i = 0; i < rs->ncols; i++) {
            const col *f = &rs->cols[i];
            void *dst = row + f->off;
            int ci = idx[i];
            int null = ci < 0 || dbx_sql_rows_is_null(rows, ci) != 0;
            switch (f->t) {
            case F_TIME: {
                int64_t v = DBX_MONITOR_NO_TIME;
                if (!null && dbx_sql_rows_epoch_ms(&v, rows, ci) != DBX_OK)
                    v = DBX_MONITOR_NO_TIME;
                memcpy(dst, &v, sizeof v);
                break;
            }
            case F_DBL: {
                double v = NAN;
                if (!null && dbx_sql_rows_double(&v, rows, ci) != DBX_OK)
                    v = NAN;
                memcpy(dst, &v, sizeof v);
                break;
            }
            case F_INT: {
                int64_t v = 0;
                if (!null && dbx_sql_rows_int64(&v, rows, ci) != DBX_OK)
                    v = 0;
                memcpy(dst, &v, sizeof v);
                break;
            }
            case F_STR:
            case F_DRIFT: {
                const char *v = NULL;
                if (!null) {
                    const char *s = dbx_sql_rows_str(rows, ci);
                    if (s && !(v = arena_dup(&out->strings, s, strlen(s)))) {
                        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
                        goto done;
                    }
                }
                memcpy(dst, &v, sizeof v);
                if (f->t == F_DRIFT) {
                    dbx_monitor_drift_row *dr = (dbx_monitor_drift_row *)row;
                    dr->drift_type = (dbx_monitor_drift_type_t)lookup(drift_names, N(drift_names), v);
                }
                break;
            }
            }
        }
        out->n++;
    }
    if (st == DBX_DONE)
        st = DBX_OK;
done:
    dbx_sql_rows_free(rows);
    dbx_sql_statement_free(stmt);
    dbx_sql_params_free(params);
    dbx__buf_dispose(&sql);
    dbx_monitor_free(m);
    return st;
}

static dbx_status check_read(dbx_client *c, const char *fn, const dbx_monitor_read_options *o)
{
    if (!o)
        return DBX_OK;
    if (o->version == 0 || o->version > DBX_MONITOR_READ_OPTIONS_VERSION)
        return dbx__fail(c, DBX_EINVAL, "dbx_monitor_read_options version %u is not supported", o->version);
    const char *strs[] = {o->column_name, o->granularity, o->model_id, o->slice_key, o->log_type};
    const char *names[] = {"column_name", "granularity", "model_id", "slice_key", "log_type"};
    for (size_t i = 0; i < N(strs); i++)
        if (strs[i] && !dbx__utf8_valid(strs[i]))
            return dbx__fail(c, DBX_EINVAL, "%s: opts->%s is not valid UTF-8", fn, names[i]);
    if (o->granularity && !dbx_monitor_granularity_valid(o->granularity))
        return dbx__fail(c, DBX_EINVAL, "%s: opts->granularity \"%.40s\" is not a monitor granularity", fn,
                         o->granularity);
    if ((unsigned)o->drift_type > DBX_MONITOR_DRIFT_BASELINE)
        return dbx__fail(c, DBX_EINVAL, "%s: opts->drift_type %d is not a dbx_monitor_drift_type", fn,
                         (int)o->drift_type);
    if (o->max_rows < 0)
        return dbx__fail(c, DBX_EINVAL, "%s: opts->max_rows is negative", fn);
    return DBX_OK;
}

DBX_API dbx_status dbx_monitor_drift_read(dbx_monitor_drift **out, dbx_client *c, const char *table_name,
                                          const char *warehouse_id, const dbx_monitor_read_options *opts)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    REQUIRE_TABLE(c, table_name);
    DBX__REQUIRE_STR(c, warehouse_id);
    dbx_status st = check_read(c, __func__, opts);
    if (st != DBX_OK)
        return st;
    dbx_monitor_drift *d = dbx__calloc(1, sizeof *d);
    if (!d)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    read_spec rs = {drift_cols, N(drift_cols), sizeof(dbx_monitor_drift_row), 1};
    if ((st = read_table(&d->s, c, table_name, warehouse_id, opts, &rs)) != DBX_OK) {
        dbx_monitor_drift_free(d);
        return st;
    }
    *out = d;
    return DBX_OK;
}

DBX_API size_t dbx_monitor_drift_count(const dbx_monitor_drift *d) { return d ? d->s.n : 0; }
DBX_API const dbx_monitor_drift_row *dbx_monitor_drift_at(const dbx_monitor_drift *d, size_t i)
{
    return d && i < d->s.n ? (const dbx_monitor_drift_row *)d->s.rows + i : NULL;
}
DBX_API void dbx_monitor_drift_free(dbx_monitor_drift *d)
{
    if (!d)
        return;
    dbx__free(d->s.rows);
    arena_free(d->s.strings);
    dbx__free(d);
}

DBX_API dbx_status dbx_monitor_profile_read(dbx_monitor_profile **out, dbx_client *c, const char *table_name,
                                            const char *warehouse_id, const dbx_monitor_read_options *opts)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    REQUIRE_TABLE(c, table_name);
    DBX__REQUIRE_STR(c, warehouse_id);
    dbx_status st = check_read(c, __func__, opts);
    if (st != DBX_OK)
        return st;
    dbx_monitor_profile *p = dbx__calloc(1, sizeof *p);
    if (!p)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    read_spec rs = {profile_cols, N(profile_cols), sizeof(dbx_monitor_profile_row), 0};
    if ((st = read_table(&p->s, c, table_name, warehouse_id, opts, &rs)) != DBX_OK) {
        dbx_monitor_profile_free(p);
        return st;
    }
    *out = p;
    return DBX_OK;
}

DBX_API size_t dbx_monitor_profile_count(const dbx_monitor_profile *p) { return p ? p->s.n : 0; }
DBX_API const dbx_monitor_profile_row *dbx_monitor_profile_at(const dbx_monitor_profile *p, size_t i)
{
    return p && i < p->s.n ? (const dbx_monitor_profile_row *)p->s.rows + i : NULL;
}
DBX_API void dbx_monitor_profile_free(dbx_monitor_profile *p)
{
    if (!p)
        return;
    dbx__free(p->s.rows);
    arena_free(p->s.strings);
    dbx__free(p);
}
