/* libdbx: Jobs API 2.2 (/api/2.2/jobs/ *). Request building, local validation and response mapping. */
#include <limits.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "dbx/jobs.h"
#include "dbx/sys/json.h"
#include "jobs_internal.h"

#define BASE "/api/2.2/jobs"
#define MAX_TASKS 1000      /* the service's limit on write */
#define MAX_TAGS 25
#define MAX_NAME 4096
#define MAX_GET_PAGES 100   /* 2.2 array pages followed by get / get_run */

/* ---- enums ----------------------------------------------------------------------- */

static const char *lc_names[] = {"UNKNOWN",     "QUEUED",     "PENDING", "RUNNING",
                                 "TERMINATING", "TERMINATED", "SKIPPED", "INTERNAL_ERROR",
                                 "BLOCKED",     "WAITING_FOR_RETRY"};
static const char *rs_names[] = {"UNKNOWN",  "",         "SUCCESS",
                                 "FAILED",   "TIMEDOUT", "CANCELED",
                                 "MAXIMUM_CONCURRENT_RUNS_REACHED", "EXCLUDED",
                                 "SUCCESS_WITH_FAILURES", "UPSTREAM_FAILED",
                                 "UPSTREAM_CANCELED", "DISABLED"};
#define N_OF(a) (sizeof(a) / sizeof *(a))

DBX_API const char *dbx_run_life_cycle_state_name(dbx_run_life_cycle_state_t s)
{
    return (unsigned)s < N_OF(lc_names) ? lc_names[s] : "UNKNOWN";
}

DBX_API const char *dbx_run_result_state_name(dbx_run_result_state_t s)
{
    return (unsigned)s < N_OF(rs_names) ? rs_names[s] : "UNKNOWN";
}

static dbx_run_life_cycle_state_t lc_parse(const char *s)
{
    for (size_t i = 1; s && i < N_OF(lc_names); i++)
        if (strcmp(s, lc_names[i]) == 0)
            return (dbx_run_life_cycle_state_t)i;
    return DBX_RUN_LIFE_CYCLE_UNKNOWN;
}

static dbx_run_result_state_t rs_parse(const char *s)
{
    if (!s || !*s)
        return DBX_RUN_RESULT_NONE;
    for (size_t i = 2; i < N_OF(rs_names); i++)
        if (strcmp(s, rs_names[i]) == 0)
            return (dbx_run_result_state_t)i;
    return DBX_RUN_RESULT_UNKNOWN;
}

/* ---- small helpers ------------------------------------------------------------------ */

static int param_name_ok(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '.' || ch == '-'))
            return 0;
    }
    return 1;
}

static int task_key_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 100)
        return 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '-'))
            return 0;
    }
    return 1;
}

/* A caller's idempotency token: 1..64 bytes of printable ASCII. */
static int token_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

/* 32 hex characters from the CSPRNG. 0, or -1 when it failed. */
static int gen_token(char out[65])
{
    unsigned char r[16];
    static const char hex[] = "0123456789abcdef";
    if (RAND_bytes(r, (int)sizeof r) != 1)
        return -1;
    for (size_t i = 0; i < sizeof r; i++) {
        out[2 * i] = hex[r[i] >> 4];
        out[2 * i + 1] = hex[r[i] & 15];
    }
    out[32] = '\0';
    return 0;
}


/* ---- validation ------------------------------------------------------------------------ */

typedef enum { T_STR, T_INT, T_BOOL, T_OBJ, T_ARR, T_MAP, T_STRARR } ftype;
typedef struct fdesc {
    const char *name;
    ftype t;
} fdesc;

static const fdesc settings_fields[] = {
    {"name", T_STR}, {"description", T_STR}, {"tasks", T_ARR}, {"job_clusters", T_ARR},
    {"environments", T_ARR}, {"parameters", T_ARR}, {"max_concurrent_runs", T_INT},
    {"timeout_seconds", T_INT}, {"schedule", T_OBJ}, {"trigger", T_OBJ}, {"continuous", T_OBJ},
    {"email_notifications", T_OBJ}, {"webhook_notifications", T_OBJ}, {"notification_settings", T_OBJ},
    {"health", T_OBJ}, {"git_source", T_OBJ}, {"queue", T_OBJ}, {"run_as", T_OBJ}, {"tags", T_MAP},
    {"format", T_STR}, {"edit_mode", T_STR}, {"performance_target", T_STR}, {"deployment", T_OBJ},
    {"budget_policy_id", T_STR}, {"usage_policy_id", T_STR}, {"access_control_list", T_ARR},
};

static const fdesc task_fields[] = {
    {"task_key", T_STR}, {"description", T_STR}, {"depends_on", T_ARR}, {"run_if", T_STR},
    {"existing_cluster_id", T_STR}, {"new_cluster", T_OBJ}, {"job_cluster_key", T_STR},
    {"environment_key", T_STR}, {"libraries", T_ARR}, {"timeout_seconds", T_INT}, {"max_retries", T_INT},
    {"min_retry_interval_millis", T_INT}, {"retry_on_timeout", T_BOOL}, {"email_notifications", T_OBJ},
    {"webhook_notifications", T_OBJ}, {"notification_settings", T_OBJ}, {"health", T_OBJ},
    {"disabled", T_BOOL},
};

static const char *task_types[] = {
    "notebook_task", "spark_python_task", "python_wheel_task", "spark_jar_task", "spark_submit_task",
    "sql_task", "dbt_task", "pipeline_task", "run_job_task", "condition_task", "for_each_task",
    "dashboard_task", "power_bi_task", "clean_rooms_notebook_task", "dbt_cloud_task", "dbt_platform_task",
    "gen_ai_compute_task", "ai_runtime_task", "alert_task", "python_operator_task",
};

static const char *computes[] = {"existing_cluster_id", "new_cluster", "job_cluster_key", "environment_key"};

/* Fields a saved job has but a one-time run (runs/submit) does not. */
static const char *job_only_fields[] = {"job_clusters", "parameters", "max_concurrent_runs", "schedule",
                                        "trigger", "continuous", "tags", "format", "edit_mode",
                                        "deployment", "description"};

static const char *type_name(ftype t)
{
    static const char *n[] = {"a string", "an integer", "a boolean", "an object", "an array",
                              "an object of strings", "an array of strings"};
    return n[t];
}

typedef struct verr {
    char msg[400];
} verr;

static int vfail(verr *e, const char *fmt, ...) DBX__PRINTF(2, 3);
static int vfail(verr *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

static int type_ok(ftype t, const json_t *v)
{
    switch (t) {
    case T_STR: return json_is_string(v);
    case T_INT: return json_is_integer(v);
    case T_BOOL: return json_is_boolean(v);
    case T_OBJ: return json_is_object(v);
    case T_ARR: return json_is_array(v);
    case T_MAP:
    case T_STRARR: {
        if (t == T_MAP ? !json_is_object(v) : !json_is_array(v))
            return 0;
        if (t == T_MAP) {
            const char *k;
            json_t *e;
            json_object_foreach((json_t *)v, k, e) if (!json_is_string(e)) return 0;
        } else {
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) if (!json_is_string(e)) return 0;
        }
        return 1;
    }
    }
    return 0;
}

/* Type-check the known members of obj (path = its JSON path). */
static int check_types(verr *e, const char *path, const json_t *obj, const fdesc *fs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(obj, fs[i].name);
        if (v && !type_ok(fs[i].t, v))
            return vfail(e, "%s.%s must be %s", path, fs[i].name, type_name(fs[i].t));
    }
    return 0;
}

/* obj[key] must be a non-empty string. */
static int need_str(verr *e, const char *path, const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return vfail(e, "%s.%s is required", path, key);
    if (!json_is_string(v) || json_string_length(v) == 0)
        return vfail(e, "%s.%s must be a non-empty string", path, key);
    return 0;
}

/* A cluster spec, checked by the Clusters API's own validation. */
static int check_cluster(verr *e, const char *path, const json_t *spec)
{
    char *text = dbx__json_dump(spec);
    if (!text)
        return vfail(e, "out of memory");
    dbx_cluster_spec *cs = NULL;
    dbx_status st = dbx_cluster_spec_from_json(&cs, text);
    dbx__free(text);
    dbx_cluster_spec_free(cs);
    if (st == DBX_ENOMEM)
        return vfail(e, "out of memory");
    if (st != DBX_OK)
        return vfail(e, "%s: %s", path, dbx_client_last_error(NULL)->message);
    return 0;
}

static int check_map_field(verr *e, const char *path, const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (v && !type_ok(T_MAP, v))
        return vfail(e, "%s.%s must be an object of strings", path, key);
    return 0;
}

static int check_strarr_field(verr *e, const char *path, const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (v && !type_ok(T_STRARR, v))
        return vfail(e, "%s.%s must be an array of strings", path, key);
    return 0;
}

/* The task-type object of one task: required fields of the common types. */
static int check_task_type(verr *e, const char *tpath, const char *type, const json_t *v)
{
    char p[96];
    snprintf(p, sizeof p, "%s.%s", tpath, type);
    if (!json_is_object(v))
        return vfail(e, "%s must be an object", p);
    if (strcmp(type, "notebook_task") == 0)
        return need_str(e, p, v, "notebook_path") || check_map_field(e, p, v, "base_parameters");
    if (strcmp(type, "spark_python_task") == 0)
        return need_str(e, p, v, "python_file") || check_strarr_field(e, p, v, "parameters");
    if (strcmp(type, "python_wheel_task") == 0)
        return need_str(e, p, v, "package_name") || need_str(e, p, v, "entry_point") ||
               check_strarr_field(e, p, v, "parameters") || check_map_field(e, p, v, "named_parameters");
    if (strcmp(type, "sql_task") == 0) {
        if (need_str(e, p, v, "warehouse_id") || check_map_field(e, p, v, "parameters"))
            return -1;
        static const char *kinds[] = {"query", "file", "alert", "dashboard"};
        int n = 0;
        for (size_t i = 0; i < N_OF(kinds); i++) {
            json_t *k = json_object_get(v, kinds[i]);
            if (k && !json_is_object(k))
                return vfail(e, "%s.%s must be an object", p, kinds[i]);
            n += k != NULL;
        }
        if (n != 1)
            return vfail(e, "%s needs exactly one of query, file, alert or dashboard (has %d)", p, n);
        json_t *q = json_object_get(v, "query"), *f = json_object_get(v, "file");
        if (q && need_str(e, p, q, "query_id"))
            return vfail(e, "%s.query.query_id is required", p);
        if (f && need_str(e, p, f, "path"))
            return vfail(e, "%s.file.path is required", p);
        return 0;
    }
    if (strcmp(type, "run_job_task") == 0) {
        json_t *id = json_object_get(v, "job_id");
        if (!json_is_integer(id) || json_integer_value(id) <= 0)
            return vfail(e, "%s.job_id must be a positive integer", p);
        return check_map_field(e, p, v, "job_parameters");
    }
    if (strcmp(type, "pipeline_task") == 0)
        return need_str(e, p, v, "pipeline_id");
    if (strcmp(type, "condition_task") == 0)
        return need_str(e, p, v, "op") || need_str(e, p, v, "left") || need_str(e, p, v, "right");
    if (strcmp(type, "dbt_task") == 0) {
        json_t *cmds = json_object_get(v, "commands");
        if (!cmds || !type_ok(T_STRARR, cmds) || json_array_size(cmds) == 0)
            return vfail(e, "%s.commands must be a non-empty array of strings", p);
    }
    if (strcmp(type, "for_each_task") == 0) {
        if (need_str(e, p, v, "inputs"))
            return -1;
        if (!json_is_object(json_object_get(v, "task")))
            return vfail(e, "%s.task must be an object", p);
    }
    return 0;
}

/* Sorted (key, index) pairs for lookups by key. */
typedef struct keyidx {
    const char *key;
    size_t i;
} keyidx;

static int keyidx_cmp(const void *a, const void *b)
{
    return strcmp(((const keyidx *)a)->key, ((const keyidx *)b)->key);
}

static long keyidx_find(const keyidx *k, size_t n, const char *key)
{
    keyidx probe = {key, 0};
    const keyidx *hit = n ? bsearch(&probe, k, n, sizeof *k, keyidx_cmp) : NULL;
    return hit ? (long)hit->i : -1;
}

/* Collect the string member `keyname` of every object of `arr` (already
 * checked), sorted; fails on a duplicate. *out NULL when arr is empty. */
static int collect_keys(verr *e, const char *arrname, const json_t *arr, const char *keyname, keyidx **out,
                        size_t *n)
{
    *out = NULL;
    *n = json_array_size(arr);
    if (!*n)
        return 0;
    keyidx *k = dbx__calloc(*n, sizeof *k);
    if (!k)
        return vfail(e, "out of memory");
    for (size_t i = 0; i < *n; i++) {
        k[i].key = json_string_value(json_object_get(json_array_get(arr, i), keyname));
        k[i].i = i;
    }
    qsort(k, *n, sizeof *k, keyidx_cmp);
    for (size_t i = 1; i < *n; i++) {
        if (strcmp(k[i - 1].key, k[i].key) == 0) {
            size_t a = k[i - 1].i < k[i].i ? k[i - 1].i : k[i].i, b = k[i - 1].i < k[i].i ? k[i].i : k[i - 1].i;
            vfail(e, "$.%s[%zu].%s: \"%.100s\" is already used by $.%s[%zu]", arrname, b, keyname, k[i].key,
                  arrname, a);
            dbx__free(k);
            return -1;
        }
    }
    *out = k;
    return 0;
}

typedef enum { V_FULL, V_PARTIAL, V_SUBMIT } vmode;

/* One task: types, key, task type, compute. */
static int check_task(verr *e, size_t ti, const json_t *t, vmode mode)
{
    char p[48];
    snprintf(p, sizeof p, "$.tasks[%zu]", ti);
    if (!json_is_object(t))
        return vfail(e, "%s must be an object", p);
    if (check_types(e, p, t, task_fields, N_OF(task_fields)))
        return -1;
    json_t *key = json_object_get(t, "task_key");
    if (!key)
        return vfail(e, "%s.task_key is required", p);
    if (!task_key_ok(json_string_value(key)))
        return vfail(e, "%s.task_key \"%.100s\" must be 1..100 letters, digits, '_' or '-'", p,
                     json_string_value(key));
    const char *found = NULL;
    for (size_t i = 0; i < N_OF(task_types); i++) {
        json_t *v = json_object_get(t, task_types[i]);
        if (!v)
            continue;
        if (found)
            return vfail(e, "%s has two task types (%s and %s); exactly one is allowed", p, found, task_types[i]);
        found = task_types[i];
        if (check_task_type(e, p, task_types[i], v))
            return -1;
    }
    if (!found && mode != V_PARTIAL)
        return vfail(e, "%s needs a task type (notebook_task, spark_python_task, python_wheel_task, sql_task, "
                        "run_job_task, ...)", p);
    const char *compute = NULL;
    for (size_t i = 0; i < N_OF(computes); i++) {
        if (!json_object_get(t, computes[i]))
            continue;
        if (compute)
            return vfail(e, "%s has both %s and %s; at most one compute is allowed", p, compute, computes[i]);
        compute = computes[i];
    }
    json_t *nc = json_object_get(t, "new_cluster");
    if (nc) {
        char cp[64];
        snprintf(cp, sizeof cp, "%s.new_cluster", p);
        if (check_cluster(e, cp, nc))
            return -1;
    }
    json_t *rif = json_object_get(t, "run_if");
    if (rif) {
        static const char *ok[] = {"ALL_SUCCESS", "AT_LEAST_ONE_SUCCESS", "NONE_FAILED",
                                   "ALL_DONE", "AT_LEAST_ONE_FAILED", "ALL_FAILED"};
        int good = 0;
        for (size_t i = 0; i < N_OF(ok); i++)
            good |= strcmp(json_string_value(rif), ok[i]) == 0;
        if (!good)
            return vfail(e, "%s.run_if \"%.40s\" is not a RunIf value", p, json_string_value(rif));
    }
    json_t *mr = json_object_get(t, "max_retries");
    if (mr && json_integer_value(mr) < -1)
        return vfail(e, "%s.max_retries must be >= -1", p);
    json_t *ts = json_object_get(t, "timeout_seconds");
    if (ts && json_integer_value(ts) < 0)
        return vfail(e, "%s.timeout_seconds must be >= 0", p);
    json_t *deps = json_object_get(t, "depends_on");
    size_t di;
    json_t *d;
    json_array_foreach(deps, di, d)
    {
        if (!json_is_object(d))
            return vfail(e, "%s.depends_on[%zu] must be an object", p, di);
        json_t *dk = json_object_get(d, "task_key");
        if (!json_is_string(dk) || json_string_length(dk) == 0)
            return vfail(e, "%s.depends_on[%zu].task_key is required", p, di);
        json_t *oc = json_object_get(d, "outcome");
        if (oc && !json_is_string(oc))
            return vfail(e, "%s.depends_on[%zu].outcome must be a string", p, di);
    }
    json_t *libs = json_object_get(t, "libraries");
    size_t li;
    json_t *l;
    json_array_foreach(libs, li, l) if (!json_is_object(l) || json_object_size(l) == 0) return vfail(
        e, "%s.libraries[%zu] must be a non-empty object", p, li);
    return 0;
}

/* Cross-task checks: depends_on keys exist, no cycle (Kahn's algorithm,
 * iterative), compute references exist. */
static int check_graph(verr *e, const json_t *tasks, const json_t *jcs, const json_t *envs)
{
    keyidx *tk = NULL, *jk = NULL, *ek = NULL;
    size_t nt = 0, nj = 0, ne = 0;
    size_t *indeg = NULL, *off = NULL, *rev = NULL, *queue = NULL;
    int rc = -1;
    if (collect_keys(e, "tasks", tasks, "task_key", &tk, &nt) || collect_keys(e, "job_clusters", jcs,
                                                                              "job_cluster_key", &jk, &nj) ||
        collect_keys(e, "environments", envs, "environment_key", &ek, &ne))
        goto out;
    size_t edges = 0;
    for (size_t i = 0; i < nt; i++) {
        json_t *t = json_array_get(tasks, i);
        json_t *jck = json_object_get(t, "job_cluster_key"), *env = json_object_get(t, "environment_key");
        if (jck && keyidx_find(jk, nj, json_string_value(jck)) < 0) {
            vfail(e, "$.tasks[%zu].job_cluster_key: no job cluster has key \"%.100s\"", i, json_string_value(jck));
            goto out;
        }
        if (env && keyidx_find(ek, ne, json_string_value(env)) < 0) {
            vfail(e, "$.tasks[%zu].environment_key: no environment has key \"%.100s\"", i, json_string_value(env));
            goto out;
        }
        json_t *deps = json_object_get(t, "depends_on");
        for (size_t d = 0; d < json_array_size(deps); d++) {
            const char *k = json_string_value(json_object_get(json_array_get(deps, d), "task_key"));
            if (keyidx_find(tk, nt, k) < 0) {
                vfail(e, "$.tasks[%zu].depends_on[%zu].task_key: no task has key \"%.100s\"", i, d, k);
                goto out;
            }
            edges++;
        }
    }
    if (!nt) {
        rc = 0;
        goto out;
    }
    /* rev: for each task, the tasks that depend on it (CSR) */
    indeg = dbx__calloc(nt, sizeof *indeg);
    off = dbx__calloc(nt + 1, sizeof *off);
    rev = dbx__calloc(edges ? edges : 1, sizeof *rev);
    queue = dbx__calloc(nt, sizeof *queue);
    if (!indeg || !off || !rev || !queue) {
        vfail(e, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nt; i++) {
        json_t *deps = json_object_get(json_array_get(tasks, i), "depends_on");
        for (size_t d = 0; d < json_array_size(deps); d++) {
            long j = keyidx_find(tk, nt, json_string_value(json_object_get(json_array_get(deps, d), "task_key")));
            off[j + 1]++;
            indeg[i]++;
        }
    }
    for (size_t i = 0; i < nt; i++)
        off[i + 1] += off[i];
    {
        size_t *fill = queue; /* reused as a cursor per node before the walk */
        for (size_t i = 0; i < nt; i++)
            fill[i] = off[i];
        for (size_t i = 0; i < nt; i++) {
            json_t *deps = json_object_get(json_array_get(tasks, i), "depends_on");
            for (size_t d = 0; d < json_array_size(deps); d++) {
                long j = keyidx_find(tk, nt, json_string_value(json_object_get(json_array_get(deps, d), "task_key")));
                rev[fill[j]++] = i;
            }
        }
    }
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < nt; i++)
        if (indeg[i] == 0)
            queue[tail++] = i;
    while (head < tail) {
        size_t u = queue[head++];
        for (size_t k = off[u]; k < off[u + 1]; k++)
            if (--indeg[rev[k]] == 0)
                queue[tail++] = rev[k];
    }
    if (tail < nt) {
        for (size_t i = 0; i < nt; i++)
            if (indeg[i]) {
                vfail(e, "$.tasks[%zu] (task_key \"%.100s\"): depends_on forms a cycle", i,
                      json_string_value(json_object_get(json_array_get(tasks, i), "task_key")));
                break;
            }
        goto out;
    }
    rc = 0;
out:
    dbx__free(tk);
    dbx__free(jk);
    dbx__free(ek);
    dbx__free(indeg);
    dbx__free(off);
    dbx__free(rev);
    dbx__free(queue);
    return rc;
}

static int check_settings(verr *e, const json_t *j, vmode mode)
{
    if (!json_is_object(j))
        return vfail(e, "$ must be an object");
    if (check_types(e, "$", j, settings_fields, N_OF(settings_fields)))
        return -1;
    if (mode == V_SUBMIT)
        for (size_t i = 0; i < N_OF(job_only_fields); i++)
            if (json_object_get(j, job_only_fields[i]))
                return vfail(e, "$.%s belongs to a saved job; a one-time run (runs/submit) does not take it",
                             job_only_fields[i]);
    json_t *v;
    if ((v = json_object_get(j, "name")) && json_string_length(v) > MAX_NAME)
        return vfail(e, "$.name is %zu bytes; at most %d", json_string_length(v), MAX_NAME);
    if ((v = json_object_get(j, "max_concurrent_runs")) &&
        (json_integer_value(v) < 0 || json_integer_value(v) > 1000))
        return vfail(e, "$.max_concurrent_runs must be 0..1000");
    if ((v = json_object_get(j, "timeout_seconds")) && json_integer_value(v) < 0)
        return vfail(e, "$.timeout_seconds must be >= 0");
    if ((v = json_object_get(j, "tags")) && json_object_size(v) > MAX_TAGS)
        return vfail(e, "$.tags has %zu entries; at most %d", json_object_size(v), MAX_TAGS);
    if ((v = json_object_get(j, "schedule"))) {
        json_t *ps = json_object_get(v, "pause_status");
        if (need_str(e, "$.schedule", v, "quartz_cron_expression") || need_str(e, "$.schedule", v, "timezone_id"))
            return -1;
        if (ps && (!json_is_string(ps) || (strcmp(json_string_value(ps), "PAUSED") != 0 &&
                                           strcmp(json_string_value(ps), "UNPAUSED") != 0)))
            return vfail(e, "$.schedule.pause_status must be \"PAUSED\" or \"UNPAUSED\"");
    }
    if ((v = json_object_get(j, "queue")) && !json_is_boolean(json_object_get(v, "enabled")))
        return vfail(e, "$.queue.enabled must be a boolean");
    if ((v = json_object_get(j, "email_notifications"))) {
        static const char *lists[] = {"on_start", "on_success", "on_failure",
                                      "on_duration_warning_threshold_exceeded", "on_streaming_backlog_exceeded"};
        for (size_t i = 0; i < N_OF(lists); i++)
            if (check_strarr_field(e, "$.email_notifications", v, lists[i]))
                return -1;
    }
    json_t *params = json_object_get(j, "parameters");
    for (size_t i = 0; i < json_array_size(params); i++) {
        json_t *p = json_array_get(params, i);
        char pp[48];
        snprintf(pp, sizeof pp, "$.parameters[%zu]", i);
        if (!json_is_object(p))
            return vfail(e, "%s must be an object", pp);
        json_t *n = json_object_get(p, "name"), *d = json_object_get(p, "default");
        if (!n)
            return vfail(e, "%s.name is required", pp);
        if (!json_is_string(n) || !param_name_ok(json_string_value(n)))
            return vfail(e, "%s.name must be letters, digits, '_', '.' or '-'", pp);
        if (!d)
            return vfail(e, "%s.default is required", pp);
        if (!json_is_string(d))
            return vfail(e, "%s.default must be a string", pp);
        for (size_t k = 0; k < i; k++)
            if (json_equal(json_object_get(json_array_get(params, k), "name"), n))
                return vfail(e, "%s.name \"%.100s\" is already used by $.parameters[%zu]", pp, json_string_value(n), k);
    }
    json_t *jcs = json_object_get(j, "job_clusters");
    for (size_t i = 0; i < json_array_size(jcs); i++) {
        json_t *jc = json_array_get(jcs, i);
        char pp[48];
        snprintf(pp, sizeof pp, "$.job_clusters[%zu]", i);
        if (!json_is_object(jc))
            return vfail(e, "%s must be an object", pp);
        if (need_str(e, pp, jc, "job_cluster_key"))
            return -1;
        json_t *nc = json_object_get(jc, "new_cluster");
        if (!json_is_object(nc))
            return vfail(e, "%s.new_cluster %s", pp, nc ? "must be an object" : "is required");
        char cp[64];
        snprintf(cp, sizeof cp, "%s.new_cluster", pp);
        if (check_cluster(e, cp, nc))
            return -1;
    }
    json_t *envs = json_object_get(j, "environments");
    for (size_t i = 0; i < json_array_size(envs); i++) {
        json_t *en = json_array_get(envs, i);
        char pp[48];
        snprintf(pp, sizeof pp, "$.environments[%zu]", i);
        if (!json_is_object(en))
            return vfail(e, "%s must be an object", pp);
        if (need_str(e, pp, en, "environment_key"))
            return -1;
        json_t *sp = json_object_get(en, "spec");
        if (sp && !json_is_object(sp))
            return vfail(e, "%s.spec must be an object", pp);
    }
    json_t *tasks = json_object_get(j, "tasks");
    if (json_array_size(tasks) > MAX_TASKS)
        return vfail(e, "$.tasks has %zu tasks; at most %d", json_array_size(tasks), MAX_TASKS);
    if (mode == V_SUBMIT && json_array_size(tasks) == 0)
        return vfail(e, "$.tasks: a one-time run needs at least one task");
    for (size_t i = 0; i < json_array_size(tasks); i++)
        if (check_task(e, i, json_array_get(tasks, i), mode))
            return -1;
    if (mode == V_PARTIAL) {
        /* the job's other tasks are not here: only keys must be unique */
        keyidx *tk;
        size_t nt;
        if (collect_keys(e, "tasks", tasks, "task_key", &tk, &nt))
            return -1;
        dbx__free(tk);
        return 0;
    }
    return check_graph(e, tasks, jcs, envs);
}

/* Validate for `owner`; DBX_EINVAL (or DBX_ENOMEM) with "<what>: <path>: problem". */
static dbx_status validate(const void *owner, const json_t *j, vmode mode, const char *what)
{
    verr e;
    e.msg[0] = '\0';
    if (check_settings(&e, j, mode) == 0)
        return DBX_OK;
    if (strcmp(e.msg, "out of memory") == 0)
        return dbx__fail(owner, DBX_ENOMEM, "out of memory");
    return dbx__fail(owner, DBX_EINVAL, "%s: %s", what, e.msg);
}

int dbx__jobs_check_settings_text(const char *text, char *msg, size_t cap)
{
    char err[200];
    json_t *j;
    if (dbx__json_parse_text(&j, text, err, sizeof err) != DBX_OK)
        return -2;
    verr e;
    e.msg[0] = '\0';
    int rc = check_settings(&e, j, V_FULL);
    int rc2 = check_settings(&e, j, V_PARTIAL);
    int rc3 = check_settings(&e, j, V_SUBMIT);
    (void)rc2;
    (void)rc3;
    if (msg && cap)
        snprintf(msg, cap, "%s", e.msg);
    dbx__json_decref_deep(j);
    return rc;
}

/* ---- task builder ------------------------------------------------------------------------ */

struct dbx_job_task {
    json_t *j;
};

#define BFAIL(st, ...) dbx__fail(NULL, (st), __VA_ARGS__)
#define BOOM() BFAIL(DBX_ENOMEM, "out of memory")

/* Caller string checks for builders (no client: NULL owner). */
#define B_REQUIRE_STR(s)                                                                   \
    do {                                                                                   \
        if (dbx__empty(s))                                                                 \
            return BFAIL(DBX_EINVAL, "%s: %s is required", __func__, #s);                  \
        if (!dbx__utf8_valid(s))                                                           \
            return BFAIL(DBX_EINVAL, "%s: %s is not valid UTF-8", __func__, #s);           \
    } while (0)
#define B_CHECK_STR(s)                                                                     \
    do {                                                                                   \
        if ((s) && !dbx__utf8_valid(s))                                                    \
            return BFAIL(DBX_EINVAL, "%s: %s is not valid UTF-8", __func__, #s);           \
    } while (0)
#define B_REQUIRE_PTR(p)                                                                   \
    do {                                                                                   \
        if (!(p))                                                                          \
            return BFAIL(DBX_EINVAL, "%s: %s is NULL", __func__, #p);                      \
    } while (0)

/* A JSON array of strings from a NULL-terminated list (NULL: empty). NULL
 * on OOM or invalid UTF-8 (*bad set to the index). */
static json_t *strarr(const char *const *list, long *bad)
{
    *bad = -1;
    json_t *a = json_array();
    for (size_t i = 0; a && list && list[i]; i++) {
        if (!dbx__utf8_valid(list[i])) {
            *bad = (long)i;
            json_decref(a);
            return NULL;
        }
        if (json_array_append_new(a, json_string(list[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

DBX_API dbx_status dbx_job_task_new(dbx_job_task **out, const char *task_key)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(out);
    *out = NULL;
    B_REQUIRE_STR(task_key);
    if (!task_key_ok(task_key))
        return BFAIL(DBX_EINVAL, "task_key \"%.100s\" must be 1..100 letters, digits, '_' or '-'", task_key);
    dbx_status st;
    dbx_job_task *t = dbx__jspec_new(sizeof *t, &st);
    if (!t)
        return st;
    if (dbx__json_set_str(t->j, "task_key", task_key) != 0) {
        dbx__jspec_free(t);
        return BOOM();
    }
    *out = t;
    return DBX_OK;
}

DBX_API void dbx_job_task_free(dbx_job_task *t) { dbx__jspec_free(t); }

/* Install a task type object (taken), removing any other type. */
static dbx_status task_set_type(dbx_job_task *t, const char *type, json_t *obj)
{
    if (!obj)
        return BOOM();
    for (size_t i = 0; i < N_OF(task_types); i++)
        if (strcmp(task_types[i], type) != 0)
            json_object_del(t->j, task_types[i]);
    if (json_object_set_new(t->j, type, obj) != 0)
        return BOOM();
    return DBX_OK;
}

/* Install a compute field (value taken), removing the other computes. */
static dbx_status task_set_compute(dbx_job_task *t, const char *field, json_t *v)
{
    if (!v)
        return BOOM();
    for (size_t i = 0; i < N_OF(computes); i++)
        if (strcmp(computes[i], field) != 0)
            json_object_del(t->j, computes[i]);
    if (json_object_set_new(t->j, field, v) != 0)
        return BOOM();
    return DBX_OK;
}

static int set_opt_str(json_t *o, const char *k, const char *v) { return v ? dbx__json_set_str(o, k, v) : 0; }

DBX_API dbx_status dbx_job_task_set_notebook(dbx_job_task *t, const char *notebook_path, const char *source)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(t);
    B_REQUIRE_STR(notebook_path);
    B_CHECK_STR(source);
    json_t *o = json_object();
    if (!o || dbx__json_set_str(o, "notebook_path", notebook_path) || set_opt_str(o, "source", source)) {
        json_decref(o);
        return BOOM();
    }
    return task_set_type(t, "notebook_task", o);
}

DBX_API dbx_status dbx_job_task_set_spark_python(dbx_job_task *t, const char *python_file,
                                                 const char *const *parameters)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(t);
    B_REQUIRE_STR(python_file);
    long bad;
    json_t *o = json_object(), *a = parameters ? strarr(parameters, &bad) : NULL;
    if (parameters && !a && bad >= 0) {
        json_decref(o);
        return BFAIL(DBX_EINVAL, "%s: parameters[%ld] is not valid UTF-8", __func__, bad);
    }
    if (!o || (parameters && !a) || dbx__json_set_str(o, "python_file", python_file) ||
        (a && json_object_set_new(o, "parameters", a))) {
        json_decref(o);
        return BOOM();
    }
    return task_set_type(t, "spark_python_task", o);
}

DBX_API dbx_status dbx_job_task_set_python_wheel(dbx_job_task *t, const char *package_name,
                                                 const char *entry_point, const char *const *parameters)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(t);
    B_REQUIRE_STR(package_name);
    B_REQUIRE_STR(entry_point);
    long bad;
    json_t *o = json_object(), *a = parameters ? strarr(parameters, &bad) : NULL;
    if (parameters && !a && bad >= 0) {
        json_decref(o);
        return BFAIL(DBX_EINVAL, "%s: parameters[%ld] is not valid UTF-8", __func__, bad);
    }
    if (!o || (parameters && !a) || dbx__json_set_str(o, "package_name", package_name) ||
        dbx__json_set_str(o, "entry_point", entry_point) || (a && json_object_set_new(o, "parameters", a))) {
        json_decref(o);
        return BOOM();
    }
    return task_set_type(t, "python_wheel_task", o);
}

DBX_API dbx_status dbx_job_task_set_sql_query(dbx_job_task *t, const char *warehouse_id, const char *query_id)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(t);
    B_REQUIRE_STR(warehouse_id);
    B_REQUIRE_STR(query_id);
    json_t *o = json_pack("{s:s,s:{s:s}}", "warehouse_id", warehouse_id, "query", "query_id", query_id);
    return task_set_type(t, "sql_task", o);
}

DBX_API dbx_status dbx_job_task_set_sql_file(dbx_job_task *t, const char *warehouse_id, const char *path,
                                             const char *source)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(t);
    B_REQUIRE_STR(warehouse_id);
    B_REQUIRE_STR(path);
    B_CHECK_STR(source);
    json_t *o = json_pack("{s:s,s:{s:s}}", "warehouse_id", warehouse_id, "file", "path", path);
    if (o && source && dbx__json_set_str(json_object_get(o, "file"), "source", source)) {
        json_decref(o);
        o = NULL;
    }
    return task_set_type(t, "sql_task", o);
}

DBX_API dbx_status dbx_job_task_set_run_job(dbx_job_task *t, int64_t job_id)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(t);
    if (job_id <= 0)
        return BFAIL(DBX_EINVAL, "%s: job_id must be > 0", __func__);
    return task_set_type(t, "run_job_task", json_pack("{s:I}", "job_id", (json_int_t)job_id));
}

DBX_API dbx_status dbx_job_task_set_parameter(dbx_job_task *t, const char *name, const char *value)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(t);
    B_REQUIRE_STR(name);
    B_REQUIRE_PTR(value);
    B_CHECK_STR(value);
    static const struct {
        const char *type, *map;
    } maps[] = {{"notebook_task", "base_parameters"},
                {"python_wheel_task", "named_parameters"},
                {"sql_task", "parameters"},
                {"run_job_task", "job_parameters"}};
    for (size_t i = 0; i < N_OF(maps); i++) {
        json_t *o = json_object_get(t->j, maps[i].type);
        if (!o)
            continue;
        json_t *m = json_object_get(o, maps[i].map);
        if (!json_is_object(m)) {
            m = json_object();
            if (!m || json_object_set_new(o, maps[i].map, m) != 0)
                return BOOM();
        }
        return dbx__json_set_str(m, name, value) ? BOOM() : DBX_OK;
    }
    return BFAIL(DBX_EINVAL, "%s: the task has no task type with named parameters (set a notebook, python "
                             "wheel, sql or run-job task first)", __func__);
}

DBX_API dbx_status dbx_job_task_add_depends_on(dbx_job_task *t, const char *task_key, const char *outcome)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(t);
    B_REQUIRE_STR(task_key);
    B_CHECK_STR(outcome);
    json_t *deps = json_object_get(t->j, "depends_on");
    if (!json_is_array(deps)) {
        deps = json_array();
        if (!deps || json_object_set_new(t->j, "depends_on", deps) != 0)
            return BOOM();
    }
    json_t *d = json_object();
    if (!d || dbx__json_set_str(d, "task_key", task_key) || set_opt_str(d, "outcome", outcome) ||
        json_array_append_new(deps, d) != 0) {
        json_decref(d);
        return BOOM();
    }
    return DBX_OK;
}

DBX_API dbx_status dbx_job_task_set_existing_cluster_id(dbx_job_task *t, const char *cluster_id)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(t);
    B_REQUIRE_STR(cluster_id);
    return task_set_compute(t, "existing_cluster_id", json_string(cluster_id));
}

DBX_API dbx_status dbx_job_task_set_job_cluster_key(dbx_job_task *t, const char *job_cluster_key)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(t);
    B_REQUIRE_STR(job_cluster_key);
    return task_set_compute(t, "job_cluster_key", json_string(job_cluster_key));
}

DBX_API dbx_status dbx_job_task_set_environment_key(dbx_job_task *t, const char *environment_key)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(t);
    B_REQUIRE_STR(environment_key);
    return task_set_compute(t, "environment_key", json_string(environment_key));
}

DBX_API dbx_status dbx_job_task_set_new_cluster(dbx_job_task *t, const dbx_cluster_spec *spec)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(t);
    B_REQUIRE_PTR(spec);
    verr e;
    if (check_cluster(&e, "new_cluster", dbx_cluster_spec_jansson(spec)))
        return strcmp(e.msg, "out of memory") == 0 ? BOOM() : BFAIL(DBX_EINVAL, "%s", e.msg);
    return task_set_compute(t, "new_cluster", json_deep_copy(dbx_cluster_spec_jansson(spec)));
}

static dbx_status task_add_library(dbx_job_task *t, json_t *lib)
{
    if (!lib)
        return BOOM();
    json_t *libs = json_object_get(t->j, "libraries");
    if (!json_is_array(libs)) {
        libs = json_array();
        if (!libs || json_object_set_new(t->j, "libraries", libs) != 0) {
            json_decref(lib);
            return BOOM();
        }
    }
    return json_array_append_new(libs, lib) ? BOOM() : DBX_OK;
}

DBX_API dbx_status dbx_job_task_add_library_json(dbx_job_task *t, const char *json)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(t);
    B_REQUIRE_PTR(json);
    char err[200];
    json_t *v;
    dbx_status pst = dbx__json_parse_text(&v, json, err, sizeof err);
    if (pst != DBX_OK)
        return pst == DBX_ENOMEM ? BOOM() : BFAIL(DBX_EINVAL, "%s: json is not valid JSON: %s", __func__, err);
    if (!json_is_object(v) || json_object_size(v) == 0) {
        dbx__json_decref_deep(v);
        return BFAIL(DBX_EINVAL, "%s: a library must be a non-empty JSON object", __func__);
    }
    return task_add_library(t, v);
}

DBX_API dbx_status dbx_job_task_add_library_pypi(dbx_job_task *t, const char *package, const char *repo)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(t);
    B_REQUIRE_STR(package);
    B_CHECK_STR(repo);
    json_t *lib = json_pack("{s:{s:s}}", "pypi", "package", package);
    if (lib && repo && dbx__json_set_str(json_object_get(lib, "pypi"), "repo", repo)) {
        json_decref(lib);
        lib = NULL;
    }
    return task_add_library(t, lib);
}

DBX_API dbx_status dbx_job_task_add_library_whl(dbx_job_task *t, const char *path)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(t);
    B_REQUIRE_STR(path);
    return task_add_library(t, json_pack("{s:s}", "whl", path));
}

DBX_API dbx_status dbx_job_task_add_library_jar(dbx_job_task *t, const char *path)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(t);
    B_REQUIRE_STR(path);
    return task_add_library(t, json_pack("{s:s}", "jar", path));
}

DBX_API dbx_status dbx_job_task_set_description(dbx_job_task *t, const char *description)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(t);
    B_REQUIRE_PTR(description);
    B_CHECK_STR(description);
    return dbx__json_set_str(t->j, "description", description) ? BOOM() : DBX_OK;
}

DBX_API dbx_status dbx_job_task_set_timeout_seconds(dbx_job_task *t, int seconds)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(t);
    if (seconds < 0)
        return BFAIL(DBX_EINVAL, "%s: seconds must be >= 0", __func__);
    return dbx__json_set_int(t->j, "timeout_seconds", seconds) ? BOOM() : DBX_OK;
}

DBX_API dbx_status dbx_job_task_set_retries(dbx_job_task *t, int max_retries, int min_retry_interval_millis,
                                            int retry_on_timeout)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(t);
    if (max_retries < -1 || min_retry_interval_millis < 0)
        return BFAIL(DBX_EINVAL, "%s: max_retries must be >= -1 and min_retry_interval_millis >= 0", __func__);
    if (dbx__json_set_int(t->j, "max_retries", max_retries) ||
        dbx__json_set_int(t->j, "min_retry_interval_millis", min_retry_interval_millis) ||
        json_object_set_new(t->j, "retry_on_timeout", json_boolean(retry_on_timeout != 0)))
        return BOOM();
    return DBX_OK;
}

DBX_API dbx_status dbx_job_task_set_run_if(dbx_job_task *t, const char *run_if)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(t);
    B_REQUIRE_STR(run_if);
    static const char *ok[] = {"ALL_SUCCESS", "AT_LEAST_ONE_SUCCESS", "NONE_FAILED",
                               "ALL_DONE", "AT_LEAST_ONE_FAILED", "ALL_FAILED"};
    for (size_t i = 0; i < N_OF(ok); i++)
        if (strcmp(run_if, ok[i]) == 0)
            return dbx__json_set_str(t->j, "run_if", run_if) ? BOOM() : DBX_OK;
    return BFAIL(DBX_EINVAL, "%s: run_if \"%.40s\" is not a RunIf value", __func__, run_if);
}

/* Shared by the task and settings escape hatches: parse, type-check. */
static dbx_status set_json_field(json_t *obj, const char *func, const char *field, const char *json,
                                 const fdesc *fs, size_t nfs)
{
    if (dbx__empty(field) || !dbx__utf8_valid(field))
        return BFAIL(DBX_EINVAL, "%s: field is %s", func, field ? "not a valid name" : "NULL");
    if (!json)
        return BFAIL(DBX_EINVAL, "%s: json is NULL", func);
    char err[200];
    json_t *v;
    dbx_status pst = dbx__json_parse_text(&v, json, err, sizeof err);
    if (pst != DBX_OK)
        return pst == DBX_ENOMEM ? BOOM() : BFAIL(DBX_EINVAL, "%s: value for %.64s is not valid JSON: %s", func, field, err);
    for (size_t i = 0; i < nfs; i++)
        if (strcmp(fs[i].name, field) == 0 && !type_ok(fs[i].t, v)) {
            dbx__json_decref_deep(v);
            return BFAIL(DBX_EINVAL, "%s: $.%s must be %s", func, field, type_name(fs[i].t));
        }
    return json_object_set_new(obj, field, v) ? BOOM() : DBX_OK;
}

DBX_API dbx_status dbx_job_task_set_json(dbx_job_task *t, const char *field, const char *json)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(t);
    return set_json_field(t->j, __func__, field, json, task_fields, N_OF(task_fields));
}

static dbx_status to_json(char **out, const json_t *j)
{
    dbx__error_clear(NULL);
    if (!out || !j)
        return BFAIL(DBX_EINVAL, "out and the builder are required");
    *out = dbx__json_dump(j);
    return *out ? DBX_OK : BOOM();
}

DBX_API dbx_status dbx_job_task_to_json(char **out, const dbx_job_task *t) { return to_json(out, t ? t->j : NULL); }

/* ---- settings builder ----------------------------------------------------------------------- */

struct dbx_job_settings {
    json_t *j;
};

DBX_API dbx_status dbx_job_settings_new(dbx_job_settings **out)
{
    DBX__JSPEC_RETURN(out, dbx__jspec_new(sizeof **out, &st_));
}

static dbx_status check_settings_json(const json_t *j) { return validate(NULL, j, V_FULL, "job settings"); }

DBX_API dbx_status dbx_job_settings_from_json(dbx_job_settings **out, const char *json)
{
    DBX__JSPEC_RETURN(out, dbx__jspec_parse(sizeof **out, __func__, "job settings", json, check_settings_json, &st_));
}

DBX_API void dbx_job_settings_free(dbx_job_settings *s) { dbx__jspec_free(s); }

DBX_API dbx_status dbx_job_settings_validate(const dbx_job_settings *s)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(s);
    return validate(NULL, s->j, V_FULL, "job settings");
}

DBX_API dbx_status dbx_job_settings_set_name(dbx_job_settings *s, const char *name)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(s);
    B_REQUIRE_PTR(name);
    B_CHECK_STR(name);
    if (strlen(name) > MAX_NAME)
        return BFAIL(DBX_EINVAL, "%s: name is %zu bytes; at most %d", __func__, strlen(name), MAX_NAME);
    return dbx__json_set_str(s->j, "name", name) ? BOOM() : DBX_OK;
}

DBX_API dbx_status dbx_job_settings_set_description(dbx_job_settings *s, const char *description)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(s);
    B_REQUIRE_PTR(description);
    B_CHECK_STR(description);
    return dbx__json_set_str(s->j, "description", description) ? BOOM() : DBX_OK;
}

/* Get (creating) the array s[field]. NULL on OOM. */
static json_t *array_field(json_t *obj, const char *field)
{
    json_t *a = json_object_get(obj, field);
    if (json_is_array(a))
        return a;
    a = json_array();
    if (!a || json_object_set_new(obj, field, a) != 0)
        return NULL;
    return a;
}

/* Append item (taken) to obj[field], replacing an element whose keyname equals key. */
static dbx_status upsert(json_t *obj, const char *field, const char *keyname, const char *key, json_t *item)
{
    json_t *a = item ? array_field(obj, field) : NULL;
    if (!a) {
        json_decref(item);
        return BOOM();
    }
    for (size_t i = 0; i < json_array_size(a); i++) {
        const char *k = json_string_value(json_object_get(json_array_get(a, i), keyname));
        if (k && strcmp(k, key) == 0)
            return json_array_set_new(a, i, item) ? BOOM() : DBX_OK;
    }
    return json_array_append_new(a, item) ? BOOM() : DBX_OK;
}

DBX_API dbx_status dbx_job_settings_add_task(dbx_job_settings *s, const dbx_job_task *t)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(s);
    B_REQUIRE_PTR(t);
    verr e;
    size_t n = json_array_size(json_object_get(s->j, "tasks"));
    if (check_task(&e, n, t->j, V_FULL))
        return strcmp(e.msg, "out of memory") == 0 ? BOOM() : BFAIL(DBX_EINVAL, "%s: %s", __func__, e.msg);
    return upsert(s->j, "tasks", "task_key", json_string_value(json_object_get(t->j, "task_key")),
                  json_deep_copy(t->j));
}

DBX_API dbx_status dbx_job_settings_add_job_cluster(dbx_job_settings *s, const char *key, const dbx_cluster_spec *spec)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(s);
    B_REQUIRE_STR(key);
    B_REQUIRE_PTR(spec);
    verr e;
    if (check_cluster(&e, "new_cluster", dbx_cluster_spec_jansson(spec)))
        return strcmp(e.msg, "out of memory") == 0 ? BOOM() : BFAIL(DBX_EINVAL, "%s: %s", __func__, e.msg);
    json_t *jc = json_object(), *copy = json_deep_copy(dbx_cluster_spec_jansson(spec));
    if (!jc || !copy || dbx__json_set_str(jc, "job_cluster_key", key) || json_object_set_new(jc, "new_cluster", copy)) {
        json_decref(jc);
        return BOOM();
    }
    return upsert(s->j, "job_clusters", "job_cluster_key", key, jc);
}

DBX_API dbx_status dbx_job_settings_add_environment(dbx_job_settings *s, const char *key, const char *client,
                                                    const char *const *dependencies)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(s);
    B_REQUIRE_STR(key);
    B_REQUIRE_STR(client);
    long bad;
    json_t *deps = dependencies ? strarr(dependencies, &bad) : NULL;
    if (dependencies && !deps && bad >= 0)
        return BFAIL(DBX_EINVAL, "%s: dependencies[%ld] is not valid UTF-8", __func__, bad);
    json_t *env = json_pack("{s:s,s:{s:s}}", "environment_key", key, "spec", "client", client);
    if (!env || (dependencies && !deps) ||
        (deps && json_object_set_new(json_object_get(env, "spec"), "dependencies", deps))) {
        json_decref(env);
        return BOOM();
    }
    return upsert(s->j, "environments", "environment_key", key, env);
}

DBX_API dbx_status dbx_job_settings_add_parameter(dbx_job_settings *s, const char *name, const char *default_value)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(s);
    B_REQUIRE_STR(name);
    B_REQUIRE_PTR(default_value);
    B_CHECK_STR(default_value);
    if (!param_name_ok(name))
        return BFAIL(DBX_EINVAL, "%s: parameter name \"%.100s\" must be letters, digits, '_', '.' or '-'", __func__,
                     name);
    return upsert(s->j, "parameters", "name", name, json_pack("{s:s,s:s}", "name", name, "default", default_value));
}

DBX_API dbx_status dbx_job_settings_set_schedule(dbx_job_settings *s, const char *quartz_cron,
                                                 const char *timezone_id, int paused)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(s);
    B_REQUIRE_STR(quartz_cron);
    B_REQUIRE_STR(timezone_id);
    json_t *o = json_pack("{s:s,s:s,s:s}", "quartz_cron_expression", quartz_cron, "timezone_id", timezone_id,
                          "pause_status", paused ? "PAUSED" : "UNPAUSED");
    return !o || json_object_set_new(s->j, "schedule", o) ? BOOM() : DBX_OK;
}

DBX_API dbx_status dbx_job_settings_add_email(dbx_job_settings *s, dbx_job_email_event_t event, const char *address)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(s);
    B_REQUIRE_STR(address);
    static const char *lists[] = {NULL, "on_start", "on_success", "on_failure",
                                  "on_duration_warning_threshold_exceeded"};
    if ((unsigned)event >= N_OF(lists) || !lists[event])
        return BFAIL(DBX_EINVAL, "%s: event %d is not a dbx_job_email_event_t", __func__, (int)event);
    json_t *en = json_object_get(s->j, "email_notifications");
    if (!json_is_object(en)) {
        en = json_object();
        if (!en || json_object_set_new(s->j, "email_notifications", en))
            return BOOM();
    }
    json_t *a = array_field(en, lists[event]);
    return !a || json_array_append_new(a, json_string(address)) ? BOOM() : DBX_OK;
}

DBX_API dbx_status dbx_job_settings_set_max_concurrent_runs(dbx_job_settings *s, int n)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(s);
    if (n < 0 || n > 1000)
        return BFAIL(DBX_EINVAL, "%s: max_concurrent_runs must be 0..1000", __func__);
    return dbx__json_set_int(s->j, "max_concurrent_runs", n) ? BOOM() : DBX_OK;
}

DBX_API dbx_status dbx_job_settings_set_queue(dbx_job_settings *s, int enabled)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(s);
    json_t *o = json_pack("{s:b}", "enabled", enabled != 0);
    return !o || json_object_set_new(s->j, "queue", o) ? BOOM() : DBX_OK;
}

DBX_API dbx_status dbx_job_settings_set_tag(dbx_job_settings *s, const char *key, const char *value)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(s);
    B_REQUIRE_STR(key);
    B_REQUIRE_PTR(value);
    B_CHECK_STR(value);
    json_t *tags = json_object_get(s->j, "tags");
    if (!json_is_object(tags)) {
        tags = json_object();
        if (!tags || json_object_set_new(s->j, "tags", tags))
            return BOOM();
    }
    if (!json_object_get(tags, key) && json_object_size(tags) >= MAX_TAGS)
        return BFAIL(DBX_EINVAL, "%s: a job has at most %d tags", __func__, MAX_TAGS);
    return dbx__json_set_str(tags, key, value) ? BOOM() : DBX_OK;
}

DBX_API dbx_status dbx_job_settings_set_timeout_seconds(dbx_job_settings *s, int seconds)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(s);
    if (seconds < 0)
        return BFAIL(DBX_EINVAL, "%s: seconds must be >= 0", __func__);
    return dbx__json_set_int(s->j, "timeout_seconds", seconds) ? BOOM() : DBX_OK;
}

DBX_API dbx_status dbx_job_settings_set_json(dbx_job_settings *s, const char *field, const char *json)
{
    dbx__error_clear(NULL);
    B_REQUIRE_PTR(s);
    return set_json_field(s->j, __func__, field, json, settings_fields, N_OF(settings_fields));
}

DBX_API dbx_status dbx_job_settings_to_json(char **out, const dbx_job_settings *s)
{
    return to_json(out, s ? s->j : NULL);
}

/* ---- results -------------------------------------------------------------------------------- */

struct dbx_job {
    dbx__view v; /* text[1]: settings */
};
struct dbx_run {
    dbx__view v;
};
struct dbx_run_output {
    dbx__view v; /* text[1]: metadata */
};

#define JV(x) ((x)->v.v)
#define STR(x, key) ((x) ? dbx__jv_get_str(JV(x), key, "") : "")
#define INT(x, key) ((x) ? dbx__jv_get_int(JV(x), key, 0) : 0)
#define PSTR(x, path) ((x) ? dbx__jv_str(dbx__jv_path(JV(x), path), "") : "")

DBX_API void dbx_job_free(dbx_job *job) { dbx__view_free(job); }
DBX_API int64_t dbx_job_id(const dbx_job *job) { return INT(job, "job_id"); }
DBX_API const char *dbx_job_name(const dbx_job *job) { return PSTR(job, "settings.name"); }
DBX_API const char *dbx_job_creator_user_name(const dbx_job *job) { return STR(job, "creator_user_name"); }
DBX_API const char *dbx_job_run_as_user_name(const dbx_job *job) { return STR(job, "run_as_user_name"); }
DBX_API int64_t dbx_job_created_time(const dbx_job *job) { return INT(job, "created_time"); }
DBX_API int dbx_job_max_concurrent_runs(const dbx_job *job)
{
    return job ? (int)dbx__jv_int(dbx__jv_path(JV(job), "settings.max_concurrent_runs"), 0) : 0;
}

/* Element i of an array (walk), or absent. */
static dbx__jv nth(dbx__jv arr, size_t i)
{
    dbx__jit it;
    dbx__jv v;
    if (!dbx__jv_is_array(arr)) /* an object iterates too: "tasks" must be an array */
        return DBX__JV_ABSENT;
    dbx__jv_iter(arr, &it);
    for (size_t k = 0; dbx__jit_next(&it, &v, NULL); k++)
        if (k == i)
            return dbx__jv_is_object(v) ? v : DBX__JV_ABSENT;
    return DBX__JV_ABSENT;
}

DBX_API size_t dbx_job_task_count(const dbx_job *job)
{
    dbx__jv a = job ? dbx__jv_path(JV(job), "settings.tasks") : DBX__JV_ABSENT;
    return dbx__jv_is_array(a) ? dbx__jv_count(a) : 0;
}

DBX_API const char *dbx_job_task_key(const dbx_job *job, size_t i)
{
    dbx__jv t = job ? nth(dbx__jv_path(JV(job), "settings.tasks"), i) : DBX__JV_ABSENT;
    return dbx__jv_present(t) ? dbx__jv_get_str(t, "task_key", "") : NULL;
}

DBX_API const char *dbx_job_tag(const dbx_job *job, const char *key)
{
    if (!job || !key)
        return NULL;
    return dbx__jv_get_str(dbx__jv_path(JV(job), "settings.tags"), key, NULL);
}

DBX_API const char *dbx_job_settings_json(const dbx_job *job)
{
    if (!job)
        return NULL;
    dbx__jv s = dbx__jv_get(JV(job), "settings");
    return dbx__jv_is_object(s) ? dbx__view_text(&job->v, 1, s) : "{}";
}

DBX_API const char *dbx_job_json(const dbx_job *job) { return job ? dbx__view_text(&job->v, 0, JV(job)) : NULL; }

DBX_API void dbx_run_free(dbx_run *run) { dbx__view_free(run); }
DBX_API int64_t dbx_run_id(const dbx_run *r) { return INT(r, "run_id"); }
DBX_API int64_t dbx_run_job_id(const dbx_run *r) { return INT(r, "job_id"); }
DBX_API int64_t dbx_run_number_in_job(const dbx_run *r) { return INT(r, "number_in_job"); }
DBX_API const char *dbx_run_name(const dbx_run *r) { return STR(r, "run_name"); }
DBX_API const char *dbx_run_type(const dbx_run *r) { return STR(r, "run_type"); }
DBX_API const char *dbx_run_life_cycle_state_str(const dbx_run *r) { return PSTR(r, "state.life_cycle_state"); }
DBX_API dbx_run_life_cycle_state_t dbx_run_life_cycle_state(const dbx_run *r) { return lc_parse(dbx_run_life_cycle_state_str(r)); }
DBX_API const char *dbx_run_result_state_str(const dbx_run *r) { return PSTR(r, "state.result_state"); }
DBX_API dbx_run_result_state_t dbx_run_result_state(const dbx_run *r) { return rs_parse(dbx_run_result_state_str(r)); }
DBX_API const char *dbx_run_state_message(const dbx_run *r) { return PSTR(r, "state.state_message"); }
DBX_API const char *dbx_run_status_state(const dbx_run *r) { return PSTR(r, "status.state"); }
DBX_API const char *dbx_run_termination_code(const dbx_run *r) { return PSTR(r, "status.termination_details.code"); }
DBX_API const char *dbx_run_termination_type(const dbx_run *r) { return PSTR(r, "status.termination_details.type"); }
DBX_API const char *dbx_run_termination_message(const dbx_run *r) { return PSTR(r, "status.termination_details.message"); }
DBX_API int64_t dbx_run_start_time(const dbx_run *r) { return INT(r, "start_time"); }
DBX_API int64_t dbx_run_end_time(const dbx_run *r) { return INT(r, "end_time"); }
DBX_API int64_t dbx_run_setup_duration(const dbx_run *r) { return INT(r, "setup_duration"); }
DBX_API int64_t dbx_run_execution_duration(const dbx_run *r) { return INT(r, "execution_duration"); }
DBX_API int64_t dbx_run_cleanup_duration(const dbx_run *r) { return INT(r, "cleanup_duration"); }
DBX_API int64_t dbx_run_run_duration(const dbx_run *r) { return INT(r, "run_duration"); }
DBX_API int64_t dbx_run_queue_duration(const dbx_run *r) { return INT(r, "queue_duration"); }
DBX_API const char *dbx_run_page_url(const dbx_run *r) { return STR(r, "run_page_url"); }

DBX_API size_t dbx_run_task_count(const dbx_run *r)
{
    dbx__jv a = r ? dbx__jv_get(JV(r), "tasks") : DBX__JV_ABSENT;
    return dbx__jv_is_array(a) ? dbx__jv_count(a) : 0;
}

#define TASK(r, i) ((r) ? nth(dbx__jv_get(JV(r), "tasks"), (i)) : DBX__JV_ABSENT)
DBX_API int64_t dbx_run_task_run_id(const dbx_run *r, size_t i) { return dbx__jv_get_int(TASK(r, i), "run_id", 0); }
DBX_API const char *dbx_run_task_key(const dbx_run *r, size_t i)
{
    dbx__jv t = TASK(r, i);
    return dbx__jv_present(t) ? dbx__jv_get_str(t, "task_key", "") : NULL;
}
DBX_API const char *dbx_run_task_life_cycle_state(const dbx_run *r, size_t i)
{
    dbx__jv t = TASK(r, i);
    return dbx__jv_present(t) ? dbx__jv_str(dbx__jv_path(t, "state.life_cycle_state"), "") : NULL;
}
DBX_API const char *dbx_run_task_result_state(const dbx_run *r, size_t i)
{
    dbx__jv t = TASK(r, i);
    return dbx__jv_present(t) ? dbx__jv_str(dbx__jv_path(t, "state.result_state"), "") : NULL;
}
DBX_API const char *dbx_run_task_state_message(const dbx_run *r, size_t i)
{
    dbx__jv t = TASK(r, i);
    return dbx__jv_present(t) ? dbx__jv_str(dbx__jv_path(t, "state.state_message"), "") : NULL;
}

DBX_API int64_t dbx_run_task_run_id_by_key(const dbx_run *r, const char *task_key)
{
    if (!r || !task_key)
        return 0;
    dbx__jit it;
    dbx__jv t;
    dbx__jv_iter(dbx__jv_get(JV(r), "tasks"), &it);
    while (dbx__jit_next(&it, &t, NULL))
        if (strcmp(dbx__jv_get_str(t, "task_key", ""), task_key) == 0)
            return dbx__jv_get_int(t, "run_id", 0);
    return 0;
}

DBX_API const char *dbx_run_job_parameter(const dbx_run *r, const char *name)
{
    if (!r || !name)
        return NULL;
    dbx__jit it;
    dbx__jv p;
    dbx__jv_iter(dbx__jv_get(JV(r), "job_parameters"), &it);
    while (dbx__jit_next(&it, &p, NULL)) {
        if (strcmp(dbx__jv_get_str(p, "name", ""), name) != 0)
            continue;
        const char *v = dbx__jv_get_str(p, "value", NULL);
        return v ? v : dbx__jv_get_str(p, "default", "");
    }
    return NULL;
}

DBX_API const char *dbx_run_json(const dbx_run *r) { return r ? dbx__view_text(&r->v, 0, JV(r)) : NULL; }

DBX_API void dbx_run_output_free(dbx_run_output *o) { dbx__view_free(o); }
DBX_API const char *dbx_run_output_notebook_result(const dbx_run_output *o) { return PSTR(o, "notebook_output.result"); }
DBX_API int dbx_run_output_notebook_truncated(const dbx_run_output *o)
{
    return o ? dbx__jv_bool(dbx__jv_path(JV(o), "notebook_output.truncated"), 0) : 0;
}
DBX_API const char *dbx_run_output_logs(const dbx_run_output *o) { return STR(o, "logs"); }
DBX_API int dbx_run_output_logs_truncated(const dbx_run_output *o) { return o ? dbx__jv_get_bool(JV(o), "logs_truncated", 0) : 0; }
DBX_API const char *dbx_run_output_error(const dbx_run_output *o) { return STR(o, "error"); }
DBX_API const char *dbx_run_output_error_trace(const dbx_run_output *o) { return STR(o, "error_trace"); }
DBX_API int64_t dbx_run_output_run_id(const dbx_run_output *o)
{
    return o ? dbx__jv_int(dbx__jv_path(JV(o), "metadata.run_id"), 0) : 0;
}
DBX_API const char *dbx_run_output_result_state(const dbx_run_output *o) { return PSTR(o, "metadata.state.result_state"); }
DBX_API const char *dbx_run_output_metadata_json(const dbx_run_output *o)
{
    if (!o)
        return NULL;
    dbx__jv m = dbx__jv_get(JV(o), "metadata");
    return dbx__jv_is_object(m) ? dbx__view_text(&o->v, 1, m) : "{}";
}
DBX_API const char *dbx_run_output_json(const dbx_run_output *o) { return o ? dbx__view_text(&o->v, 0, JV(o)) : NULL; }

/* Results from a parsed document (moved in); NULL on OOM. */
dbx_job *dbx__jobs_job_from_doc(dbx__jdoc *doc) { return dbx__view_new(sizeof(dbx_job), doc); }
dbx_run *dbx__jobs_run_from_doc(dbx__jdoc *doc) { return dbx__view_new(sizeof(dbx_run), doc); }
dbx_run_output *dbx__jobs_output_from_doc(dbx__jdoc *doc) { return dbx__view_new(sizeof(dbx_run_output), doc); }

/* ---- calls ---------------------------------------------------------------------------------- */

#define REQUIRE_ID(c, id)                                                                    \
    do {                                                                                     \
        if ((id) <= 0)                                                                       \
            return dbx__fail((c), DBX_EINVAL, "%s: %s must be > 0", __func__, #id);          \
    } while (0)

/* A POST whose answer is read (out) or discarded (out NULL); body taken. */
static dbx_status post(dbx_client *c, const char *path, json_t *body, int flags, dbx__jdoc *out)
{
    if (!body) {
        if (out)
            memset(out, 0, sizeof *out);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx_status st = dbx__api_call(c, "POST", path, body, flags, out);
    dbx__json_decref_deep(body);
    return st;
}

/* Body {"<key>": id}. */
static json_t *id_body(const char *key, int64_t id) { return json_pack("{s:I}", key, (json_int_t)id); }

/* Check the body of settings sent (for the client). */
static dbx_status check_sent(dbx_client *c, const char *func, const char *arg, const dbx_job_settings *s, vmode mode)
{
    if (!s)
        return dbx__fail(c, DBX_EINVAL, "%s: %s is NULL", func, arg);
    return validate(c, s->j, mode, arg);
}

DBX_API dbx_status dbx_jobs_create(int64_t *job_id, dbx_client *c, const dbx_job_settings *settings)
{
    if (job_id)
        *job_id = 0;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, job_id);
    dbx_status st = check_sent(c, __func__, "settings", settings, V_FULL);
    if (st != DBX_OK)
        return st;
    dbx__jdoc doc;
    st = dbx__api_call(c, "POST", BASE "/create", settings->j, 0, &doc);
    if (st != DBX_OK)
        return st;
    int64_t id = dbx__jv_get_int(dbx__jdoc_root(&doc), "job_id", 0);
    dbx__jdoc_dispose(&doc);
    if (id <= 0)
        return dbx__fail_answer(c, DBX_EBADRESPONSE, "jobs/create: the answer has no job_id");
    *job_id = id;
    return DBX_OK;
}

/*
 * GET a job or run, following the 2.2 array pages: when the answer has a
 * next_page_token, the arrays `keys` (inside `container`, or at the top
 * level when it is NULL) of every further page are appended to the first
 * page's, and the merged object is indexed again. At most MAX_GET_PAGES.
 */
static dbx_status get_all_pages(dbx__jdoc *out, dbx_client *c, const char *path, const char *id_param, int64_t id,
                                const char *container, const char *const *keys)
{
    char small[256];
    dbx__buf url;
    dbx__buf_init_fixed(&url, small, sizeof small);
    dbx__buf_puts(&url, path);
    dbx__query_add_int(&url, id_param, id);
    if (url.oom) {
        dbx__buf_dispose(&url);
        memset(out, 0, sizeof *out);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx_status st = dbx__api_call(c, "GET", url.ptr, NULL, DBX__CALL_LARGE, out);
    const char *tok = st == DBX_OK ? dbx__jv_get_str(dbx__jdoc_root(out), "next_page_token", "") : "";
    if (st != DBX_OK || !*tok) {
        dbx__buf_dispose(&url);
        return st;
    }
    json_t *merged = dbx__jv_to_jansson(dbx__jdoc_root(out));
    char *token = dbx__strdup(tok);
    dbx__jdoc_dispose(out);
    size_t base_len = url.len;
    int pages = 1;
    while (st == DBX_OK && merged && token && *token) {
        if (++pages > MAX_GET_PAGES) {
            st = dbx__fail_answer(c, DBX_EBADRESPONSE, "%s: more than %d pages of tasks", path, MAX_GET_PAGES);
            break;
        }
        url.len = base_len;
        url.ptr[base_len] = '\0';
        if (dbx__query_add(&url, "page_token", token)) {
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
            break;
        }
        dbx__jdoc page;
        st = dbx__api_call(c, "GET", url.ptr, NULL, DBX__CALL_LARGE, &page);
        if (st != DBX_OK)
            break;
        dbx__jv root = dbx__jdoc_root(&page);
        dbx__jv src = container ? dbx__jv_get(root, container) : root;
        json_t *dst = container ? json_object_get(merged, container) : merged;
        for (size_t k = 0; keys[k] && st == DBX_OK; k++) {
            dbx__jv arr = dbx__jv_get(src, keys[k]);
            if (!dbx__jv_is_array(arr) || !dbx__jv_count(arr))
                continue;
            json_t *into = json_is_object(dst) ? array_field(dst, keys[k]) : NULL;
            if (!json_is_object(dst)) {
                st = dbx__fail_answer(c, DBX_EBADRESPONSE, "%s: a later page has %s but the first had no %s", path,
                                      keys[k], container ? container : "object");
                break;
            }
            dbx__jit it;
            dbx__jv item;
            dbx__jv_iter(arr, &it);
            while (st == DBX_OK && dbx__jit_next(&it, &item, NULL)) {
                json_t *copy = dbx__jv_to_jansson(item);
                if (!into || !copy || json_array_append_new(into, copy))
                    st = dbx__fail(c, DBX_ENOMEM, "out of memory");
            }
        }
        dbx__free(token);
        token = dbx__strdup(dbx__jv_get_str(root, "next_page_token", ""));
        dbx__jdoc_dispose(&page);
    }
    dbx__buf_dispose(&url);
    if (st == DBX_OK && (!merged || !token))
        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    dbx__free(token);
    char *text = NULL;
    if (st == DBX_OK) {
        json_object_del(merged, "next_page_token");
        json_object_del(merged, "has_more");
        if (!(text = dbx__json_dump(merged)))
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx__json_decref_deep(merged);
    if (st != DBX_OK)
        return st;
    dbx__jerr jerr;
    st = dbx__jdoc_parse(out, text, strlen(text), 1, &jerr);
    if (st != DBX_OK) {
        dbx__free(text);
        memset(out, 0, sizeof *out);
        return dbx__fail(c, st == DBX_ENOMEM ? DBX_ENOMEM : DBX_EBADRESPONSE, "%s: merging pages failed", path);
    }
    return DBX_OK;
}

DBX_API dbx_status dbx_jobs_get(dbx_job **out, dbx_client *c, int64_t job_id)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    REQUIRE_ID(c, job_id);
    static const char *const keys[] = {"tasks", "job_clusters", "environments", "parameters", NULL};
    dbx__jdoc doc;
    dbx_status st = get_all_pages(&doc, c, BASE "/get", "job_id", job_id, "settings", keys);
    if (st != DBX_OK)
        return st;
    if (!(*out = dbx__jobs_job_from_doc(&doc)))
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    return DBX_OK;
}

DBX_API dbx_status dbx_jobs_update(dbx_client *c, int64_t job_id, const dbx_job_settings *new_settings,
                                   const char *const *fields_to_remove)
{
    DBX__ENTER(c);
    REQUIRE_ID(c, job_id);
    if (!new_settings && (!fields_to_remove || !fields_to_remove[0]))
        return dbx__fail(c, DBX_EINVAL, "%s: new_settings or fields_to_remove is required", __func__);
    if (new_settings) {
        dbx_status st = validate(c, new_settings->j, V_PARTIAL, "new_settings");
        if (st != DBX_OK)
            return st;
    }
    for (size_t i = 0; fields_to_remove && fields_to_remove[i]; i++)
        if (!*fields_to_remove[i])
            return dbx__fail(c, DBX_EINVAL, "%s: fields_to_remove[%zu] is empty", __func__, i);
    json_t *body = id_body("job_id", job_id);
    if (!body)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    if (new_settings) {
        json_t *ns = json_deep_copy(new_settings->j);
        if (!ns || json_object_set_new(body, "new_settings", ns)) {
            json_decref(body);
            return dbx__fail(c, DBX_ENOMEM, "out of memory");
        }
    }
    if (fields_to_remove && fields_to_remove[0]) {
        long bad;
        json_t *rm = strarr(fields_to_remove, &bad);
        if (!rm || json_object_set_new(body, "fields_to_remove", rm)) {
            json_decref(body);
            if (bad >= 0)
                return dbx__fail(c, DBX_EINVAL, "%s: fields_to_remove[%ld] is not valid UTF-8", __func__, bad);
            return dbx__fail(c, DBX_ENOMEM, "out of memory");
        }
    }
    return post(c, BASE "/update", body, 0, NULL);
}

DBX_API dbx_status dbx_jobs_reset(dbx_client *c, int64_t job_id, const dbx_job_settings *new_settings)
{
    DBX__ENTER(c);
    REQUIRE_ID(c, job_id);
    dbx_status st = check_sent(c, __func__, "new_settings", new_settings, V_FULL);
    if (st != DBX_OK)
        return st;
    json_t *body = id_body("job_id", job_id), *ns = json_deep_copy(new_settings->j);
    if (!body || !ns || json_object_set_new(body, "new_settings", ns)) {
        json_decref(body);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    /* a full replacement: sending it twice leaves the same job */
    return post(c, BASE "/reset", body, DBX__CALL_IDEMPOTENT, NULL);
}

DBX_API dbx_status dbx_jobs_delete(dbx_client *c, int64_t job_id)
{
    DBX__ENTER(c);
    REQUIRE_ID(c, job_id);
    return post(c, BASE "/delete", id_body("job_id", job_id), 0, NULL);
}

/* ---- listing ---- */

struct dbx_jobs_iter {
    dbx__iter base;
};
struct dbx_runs_iter {
    dbx__iter base;
};

DBX_API dbx_status dbx_jobs_list(dbx_jobs_iter **out, dbx_client *c, const dbx_jobs_list_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    if (o && (o->version == 0 || o->version > DBX_JOBS_LIST_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "dbx_jobs_list_options version %u is not supported", o->version);
    if (o && (o->limit < 0 || o->limit > 100 || o->max_items < 0))
        return dbx__fail(c, DBX_EINVAL, "invalid jobs list options (limit 0..100, max_items >= 0)");
    if (o && o->name && (!*o->name || !dbx__utf8_valid(o->name)))
        return dbx__fail(c, DBX_EINVAL, "%s: name is empty or not valid UTF-8", __func__);
    char small[512];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    dbx__buf_puts(&path, BASE "/list");
    if (o && o->name)
        dbx__query_add(&path, "name", o->name);
    if (o && o->expand_tasks)
        dbx__query_add(&path, "expand_tasks", "true");
    if (path.oom) {
        dbx__buf_dispose(&path);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    *out = (dbx_jobs_iter *)dbx__iter_new(c, DBX__PAGE_TOKEN_QUERY, "GET", path.ptr, NULL, "jobs", "limit",
                                          o ? o->limit : 0, o ? o->max_items : 0);
    dbx__buf_dispose(&path);
    return *out ? DBX_OK : DBX_ENOMEM;
}

DBX_API dbx_status dbx_jobs_iter_next(const dbx_job **item, dbx_jobs_iter *it)
{
    return dbx__iter_next(it ? &it->base : NULL, (const dbx__view **)item);
}

DBX_API void dbx_jobs_iter_free(dbx_jobs_iter *it) { dbx__iter_free(it ? &it->base : NULL); }

DBX_API dbx_status dbx_jobs_list_runs(dbx_runs_iter **out, dbx_client *c, const dbx_jobs_runs_list_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    if (o && (o->version == 0 || o->version > DBX_JOBS_RUNS_LIST_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "dbx_jobs_runs_list_options version %u is not supported", o->version);
    if (o && o->active_only && o->completed_only)
        return dbx__fail(c, DBX_EINVAL, "%s: active_only and completed_only are mutually exclusive", __func__);
    if (o && (o->limit < 0 || o->limit > 24 || o->max_items < 0 || o->job_id < 0))
        return dbx__fail(c, DBX_EINVAL, "invalid runs list options (limit 0..24, job_id and max_items >= 0)");
    if (o && (o->start_time_from < 0 || o->start_time_to < 0 ||
              (o->start_time_to && o->start_time_from > o->start_time_to)))
        return dbx__fail(c, DBX_EINVAL, "%s: start_time_from must be <= start_time_to (both >= 0)", __func__);
    if (o && o->run_type && strcmp(o->run_type, "JOB_RUN") != 0 && strcmp(o->run_type, "WORKFLOW_RUN") != 0 &&
        strcmp(o->run_type, "SUBMIT_RUN") != 0)
        return dbx__fail(c, DBX_EINVAL, "%s: run_type must be JOB_RUN, WORKFLOW_RUN or SUBMIT_RUN", __func__);
    char small[512];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    dbx__buf_puts(&path, BASE "/runs/list");
    if (o) {
        if (o->job_id)
            dbx__query_add_int(&path, "job_id", o->job_id);
        if (o->active_only)
            dbx__query_add(&path, "active_only", "true");
        if (o->completed_only)
            dbx__query_add(&path, "completed_only", "true");
        if (o->run_type)
            dbx__query_add(&path, "run_type", o->run_type);
        if (o->start_time_from)
            dbx__query_add_int(&path, "start_time_from", o->start_time_from);
        if (o->start_time_to)
            dbx__query_add_int(&path, "start_time_to", o->start_time_to);
        if (o->expand_tasks)
            dbx__query_add(&path, "expand_tasks", "true");
    }
    if (path.oom) {
        dbx__buf_dispose(&path);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    *out = (dbx_runs_iter *)dbx__iter_new(c, DBX__PAGE_TOKEN_QUERY, "GET", path.ptr, NULL, "runs", "limit",
                                          o ? o->limit : 0, o ? o->max_items : 0);
    dbx__buf_dispose(&path);
    return *out ? DBX_OK : DBX_ENOMEM;
}

DBX_API dbx_status dbx_runs_iter_next(const dbx_run **item, dbx_runs_iter *it)
{
    return dbx__iter_next(it ? &it->base : NULL, (const dbx__view **)item);
}

DBX_API void dbx_runs_iter_free(dbx_runs_iter *it) { dbx__iter_free(it ? &it->base : NULL); }

/* ---- starting runs ---- */

/* Add a NULL-terminated name/value pair list as an object field. 0, -1 OOM,
 * or a positive index+1 of a bad entry (message in err). */
static int put_pairs(json_t *body, const char *field, const char *const *pairs, int check_names, char *err,
                     size_t cap)
{
    if (!pairs)
        return 0;
    json_t *m = json_object();
    if (!m || json_object_set_new(body, field, m))
        return -1;
    for (size_t i = 0; pairs[i]; i += 2) {
        if (!pairs[i + 1]) {
            snprintf(err, cap, "%s has a name without a value (%.100s)", field, pairs[i]);
            return 1;
        }
        if (!dbx__utf8_valid(pairs[i]) || !dbx__utf8_valid(pairs[i + 1]) || !*pairs[i]) {
            snprintf(err, cap, "%s[%zu] is empty or not valid UTF-8", field, i);
            return 1;
        }
        if (check_names && !param_name_ok(pairs[i])) {
            snprintf(err, cap, "%s name \"%.100s\" must be letters, digits, '_', '.' or '-'", field, pairs[i]);
            return 1;
        }
        if (dbx__json_set_str(m, pairs[i], pairs[i + 1]))
            return -1;
    }
    return 0;
}

static int put_list(json_t *body, const char *field, const char *const *list, char *err, size_t cap)
{
    if (!list)
        return 0;
    long bad;
    json_t *a = strarr(list, &bad);
    if (!a && bad >= 0) {
        snprintf(err, cap, "%s[%ld] is not valid UTF-8", field, bad);
        return 1;
    }
    if (!a || json_object_set_new(body, field, a))
        return -1;
    return 0;
}

/* The token to send: the caller's (checked) or a new one, into started. */
static dbx_status pick_token(dbx_client *c, const char *func, const char *mine, dbx_run_started *started)
{
    if (mine) {
        if (!token_ok(mine))
            return dbx__fail(c, DBX_EINVAL, "%s: idempotency_token must be 1..64 printable ASCII characters (%zu bytes given)",
                             func, strlen(mine));
        snprintf(started->idempotency_token, sizeof started->idempotency_token, "%s", mine);
        return DBX_OK;
    }
    if (gen_token(started->idempotency_token))
        return dbx__fail(c, DBX_ERROR, "%s: the random generator failed to make an idempotency token", func);
    return DBX_OK;
}

/* Send a run-starting body (taken) with retries that keep the same token. */
static dbx_status start_run(dbx_run_started *started, dbx_client *c, const char *path, json_t *body, int with_number)
{
    if (dbx__json_set_str(body, "idempotency_token", started->idempotency_token)) {
        json_decref(body);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx__jdoc doc;
    /* idempotent: the token makes a repeated request return the first run */
    dbx_status st = post(c, path, body, DBX__CALL_IDEMPOTENT, &doc);
    if (st != DBX_OK)
        return st;
    dbx__jv root = dbx__jdoc_root(&doc);
    int64_t id = dbx__jv_get_int(root, "run_id", 0);
    int64_t num = with_number ? dbx__jv_get_int(root, "number_in_job", 0) : 0;
    dbx__jdoc_dispose(&doc);
    if (id <= 0)
        return dbx__fail_answer(c, DBX_EBADRESPONSE, "%s: the answer has no run_id", path);
    started->run_id = id;
    started->number_in_job = num;
    return DBX_OK;
}

DBX_API dbx_status dbx_jobs_run_now(dbx_run_started *started, dbx_client *c, int64_t job_id,
                                    const dbx_jobs_run_now_options *o)
{
    if (started)
        memset(started, 0, sizeof *started);
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, started);
    REQUIRE_ID(c, job_id);
    if (o && (o->version == 0 || o->version > DBX_JOBS_RUN_NOW_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "dbx_jobs_run_now_options version %u is not supported", o->version);
    if (o && (o->queue < 0 || o->queue > 2))
        return dbx__fail(c, DBX_EINVAL, "%s: queue must be 0 (not sent), 1 (enabled) or 2 (disabled)", __func__);
    json_t *body = id_body("job_id", job_id);
    char err[200] = "";
    int rc = body ? 0 : -1;
    if (o && !rc)
        rc = put_pairs(body, "job_parameters", o->job_parameters, 1, err, sizeof err);
    if (o && !rc)
        rc = put_list(body, "only", o->only, err, sizeof err);
    if (o && !rc)
        rc = put_pairs(body, "notebook_params", o->notebook_params, 0, err, sizeof err);
    if (o && !rc)
        rc = put_list(body, "python_params", o->python_params, err, sizeof err);
    if (o && !rc && o->queue)
        rc = json_object_set_new(body, "queue", json_pack("{s:b}", "enabled", o->queue == 1)) ? -1 : 0;
    if (rc) {
        json_decref(body);
        return rc < 0 ? dbx__fail(c, DBX_ENOMEM, "out of memory") : dbx__fail(c, DBX_EINVAL, "%s: %s", __func__, err);
    }
    dbx_status st = pick_token(c, __func__, o ? o->idempotency_token : NULL, started);
    if (st != DBX_OK) {
        json_decref(body);
        return st;
    }
    return start_run(started, c, BASE "/run-now", body, 1);
}

DBX_API dbx_status dbx_jobs_submit(dbx_run_started *started, dbx_client *c, const dbx_job_settings *spec,
                                   const dbx_jobs_submit_options *o)
{
    if (started)
        memset(started, 0, sizeof *started);
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, started);
    if (o && (o->version == 0 || o->version > DBX_JOBS_SUBMIT_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "dbx_jobs_submit_options version %u is not supported", o->version);
    if (o && o->run_name && (!*o->run_name || !dbx__utf8_valid(o->run_name)))
        return dbx__fail(c, DBX_EINVAL, "%s: run_name is empty or not valid UTF-8", __func__);
    dbx_status st = check_sent(c, __func__, "spec", spec, V_SUBMIT);
    if (st != DBX_OK)
        return st;
    json_t *body = json_deep_copy(spec->j);
    if (!body)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    json_t *name = json_object_get(body, "name");
    const char *run_name = o && o->run_name ? o->run_name : json_string_value(name);
    if (run_name && dbx__json_set_str(body, "run_name", run_name)) {
        json_decref(body);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    json_object_del(body, "name");
    st = pick_token(c, __func__, o ? o->idempotency_token : NULL, started);
    if (st != DBX_OK) {
        json_decref(body);
        return st;
    }
    return start_run(started, c, BASE "/runs/submit", body, 0);
}

/* ---- runs ---- */

DBX_API dbx_status dbx_jobs_get_run(dbx_run **out, dbx_client *c, int64_t run_id)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    REQUIRE_ID(c, run_id);
    static const char *const keys[] = {"tasks", "job_clusters", "job_parameters", "repair_history", NULL};
    dbx__jdoc doc;
    dbx_status st = get_all_pages(&doc, c, BASE "/runs/get", "run_id", run_id, NULL, keys);
    if (st != DBX_OK)
        return st;
    if (!(*out = dbx__jobs_run_from_doc(&doc)))
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    return DBX_OK;
}

DBX_API dbx_status dbx_jobs_get_run_output(dbx_run_output **out, dbx_client *c, int64_t run_id)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    REQUIRE_ID(c, run_id);
    char path[128];
    snprintf(path, sizeof path, BASE "/runs/get-output?run_id=%lld", (long long)run_id);
    dbx__jdoc doc;
    dbx_status st = dbx__api_call(c, "GET", path, NULL, DBX__CALL_LARGE, &doc);
    if (st != DBX_OK)
        return st;
    if (!(*out = dbx__jobs_output_from_doc(&doc)))
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    return DBX_OK;
}

DBX_API dbx_status dbx_jobs_cancel_run(dbx_client *c, int64_t run_id)
{
    DBX__ENTER(c);
    REQUIRE_ID(c, run_id);
    /* cancelling twice is the same as once */
    return post(c, BASE "/runs/cancel", id_body("run_id", run_id), DBX__CALL_IDEMPOTENT, NULL);
}

DBX_API dbx_status dbx_jobs_cancel_all_runs(dbx_client *c, int64_t job_id, int all_queued_runs)
{
    DBX__ENTER(c);
    if (job_id < 0 || (job_id == 0 && !all_queued_runs))
        return dbx__fail(c, DBX_EINVAL, "%s: job_id (> 0) or all_queued_runs is required", __func__);
    json_t *body = json_object();
    if (body && ((job_id && dbx__json_set_int(body, "job_id", job_id)) ||
                 (all_queued_runs && json_object_set_new(body, "all_queued_runs", json_true())))) {
        json_decref(body);
        body = NULL;
    }
    return post(c, BASE "/runs/cancel-all", body, DBX__CALL_IDEMPOTENT, NULL);
}

DBX_API dbx_status dbx_jobs_delete_run(dbx_client *c, int64_t run_id)
{
    DBX__ENTER(c);
    REQUIRE_ID(c, run_id);
    return post(c, BASE "/runs/delete", id_body("run_id", run_id), 0, NULL);
}

DBX_API dbx_status dbx_jobs_repair_run(int64_t *repair_id, dbx_client *c, int64_t run_id,
                                       const dbx_jobs_repair_options *o)
{
    if (repair_id)
        *repair_id = 0;
    DBX__ENTER(c);
    REQUIRE_ID(c, run_id);
    DBX__REQUIRE_PTR(c, o);
    if (o->version == 0 || o->version > DBX_JOBS_REPAIR_OPTIONS_VERSION)
        return dbx__fail(c, DBX_EINVAL, "dbx_jobs_repair_options version %u is not supported", o->version);
    int has_tasks = o->rerun_tasks && o->rerun_tasks[0];
    if (has_tasks == (o->rerun_all_failed_tasks != 0))
        return dbx__fail(c, DBX_EINVAL, "%s: exactly one of rerun_tasks and rerun_all_failed_tasks is required",
                         __func__);
    if (o->latest_repair_id < 0)
        return dbx__fail(c, DBX_EINVAL, "%s: latest_repair_id must be >= 0", __func__);
    json_t *body = id_body("run_id", run_id);
    char err[200] = "";
    int rc = body ? 0 : -1;
    if (!rc)
        rc = put_list(body, "rerun_tasks", o->rerun_tasks, err, sizeof err);
    if (!rc && o->rerun_all_failed_tasks)
        rc = json_object_set_new(body, "rerun_all_failed_tasks", json_true()) ? -1 : 0;
    if (!rc && o->rerun_dependent_tasks)
        rc = json_object_set_new(body, "rerun_dependent_tasks", json_true()) ? -1 : 0;
    if (!rc && o->latest_repair_id)
        rc = dbx__json_set_int(body, "latest_repair_id", o->latest_repair_id) ? -1 : 0;
    if (!rc)
        rc = put_pairs(body, "job_parameters", o->job_parameters, 1, err, sizeof err);
    if (rc) {
        json_decref(body);
        return rc < 0 ? dbx__fail(c, DBX_ENOMEM, "out of memory") : dbx__fail(c, DBX_EINVAL, "%s: %s", __func__, err);
    }
    dbx__jdoc doc;
    dbx_status st = post(c, BASE "/runs/repair", body, 0, &doc);
    if (st != DBX_OK)
        return st;
    int64_t id = dbx__jv_get_int(dbx__jdoc_root(&doc), "repair_id", 0);
    dbx__jdoc_dispose(&doc);
    if (id <= 0)
        return dbx__fail_answer(c, DBX_EBADRESPONSE, "runs/repair: the answer has no repair_id");
    if (repair_id)
        *repair_id = id;
    return DBX_OK;
}

/* ---- waiter ---- */

/* Is a run finished, and did it succeed? 0 running, 1 success, -1 failure. */
int dbx__jobs_run_outcome(const dbx_run *r)
{
    dbx_run_life_cycle_state_t lc = dbx_run_life_cycle_state(r);
    if (lc != DBX_RUN_LIFE_CYCLE_TERMINATED && lc != DBX_RUN_LIFE_CYCLE_SKIPPED &&
        lc != DBX_RUN_LIFE_CYCLE_INTERNAL_ERROR)
        return 0;
    dbx_run_result_state_t rs = dbx_run_result_state(r);
    if (lc == DBX_RUN_LIFE_CYCLE_TERMINATED && (rs == DBX_RUN_RESULT_SUCCESS || rs == DBX_RUN_RESULT_SUCCESS_WITH_FAILURES))
        return 1;
    return -1;
}

/* The failure message of a finished run. -1 on OOM. */
int dbx__jobs_run_failure_text(dbx__buf *m, int64_t run_id, const dbx_run *r)
{
    const char *rs = dbx_run_result_state_str(r);
    dbx__buf_printf(m, "run %lld is %s", (long long)run_id, dbx_run_life_cycle_state_str(r));
    if (*rs)
        dbx__buf_printf(m, " with result %s", rs);
    if (*dbx_run_state_message(r))
        dbx__buf_printf(m, ": %s", dbx_run_state_message(r));
    const char *code = dbx_run_termination_code(r), *type = dbx_run_termination_type(r),
               *msg = dbx_run_termination_message(r);
    if (*code || *type) {
        dbx__buf_printf(m, " (termination %s%s%s", code, *code && *type ? ", " : "", type);
        if (*msg && strcmp(msg, dbx_run_state_message(r)) != 0)
            dbx__buf_printf(m, ": %s", msg);
        dbx__buf_putc(m, ')');
    }
    return m->oom ? -1 : 0;
}

typedef struct run_wait {
    dbx_client *c;
    int64_t id;
    dbx_run *last;
} run_wait;

static dbx_status poll_run(void *vctx, dbx__poll_result *res, const char **state)
{
    run_wait *w = vctx;
    dbx_run *r = NULL;
    dbx_status st = dbx_jobs_get_run(&r, w->c, w->id);
    if (st != DBX_OK)
        return st;
    dbx_run_free(w->last);
    w->last = r;
    *state = dbx_run_life_cycle_state_str(r);
    int out = dbx__jobs_run_outcome(r);
    if (out == 0) {
        *res = DBX__POLL_CONTINUE;
        return DBX_OK;
    }
    if (out > 0) {
        *res = DBX__POLL_DONE;
        return DBX_OK;
    }
    dbx__buf m = DBX__BUF_INIT;
    dbx__jobs_run_failure_text(&m, w->id, r);
    dbx__fail(w->c, DBX_ESTATE, "%s", m.ptr && !m.oom ? m.ptr : "the run failed");
    dbx__buf_dispose(&m);
    dbx__error_set_request("GET", BASE "/runs/get");
    dbx__error_set_http(200, dbx_run_termination_code(r), "");
    return DBX_ESTATE;
}

DBX_API dbx_status dbx_jobs_wait_run(dbx_run **out, dbx_client *c, int64_t run_id, const dbx_wait_options *opts)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    REQUIRE_ID(c, run_id);
    if (opts && (opts->version == 0 || opts->version > DBX_WAIT_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "dbx_wait_options version %u is not supported", opts->version);
    if (opts && opts->timeout_ms < 0)
        return dbx__fail(c, DBX_EINVAL, "%s: timeout_ms must be >= 0 (0: no deadline)", __func__);
    /* 0 = no deadline: jobs run for hours, and the caller may stop with on_poll */
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    if (opts)
        w = *opts;
    if (w.timeout_ms == 0)
        w.timeout_ms = LONG_MAX / 4;
    char id[32], what[64];
    snprintf(id, sizeof id, "%lld", (long long)run_id);
    snprintf(what, sizeof what, "run %lld to finish", (long long)run_id);
    run_wait ctx = {c, run_id, NULL};
    dbx_status st = dbx__wait(c, id, what, &w, poll_run, &ctx);
    if (out)
        *out = ctx.last;
    else
        dbx_run_free(ctx.last);
    return st;
}

/* ---- include/dbx/sys/json.h ---- */

DBX_API const json_t *dbx_job_jansson(const dbx_job *job) { return job ? dbx__view_jansson(&job->v) : NULL; }
DBX_API const json_t *dbx_run_jansson(const dbx_run *run) { return run ? dbx__view_jansson(&run->v) : NULL; }
DBX_API const json_t *dbx_job_settings_jansson(const dbx_job_settings *s) { return s ? s->j : NULL; }
