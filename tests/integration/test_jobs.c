/*
 * Jobs API 2.2 against the emulator over HTTP: every public function,
 * asserting on the request libdbx sent (from the emulator's request log)
 * and on the result; plus the local validation of job settings, the
 * idempotent retry of run-now / submit, and the run waiter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbx/sys/json.h"
#include "harness.h"

#define API "/api/2.2/jobs"
#define N_OF(a) (sizeof(a) / sizeof *(a))

static dbx_client *C;

static int setup(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_reset(e);
    emu_config(e, "{\"run_pending_ms\": 1000, \"run_running_ms\": 2000, \"run_terminating_ms\": 500}");
    C = emu_client(e);
    fake_clock_install();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fake_clock_remove();
    dbx_client_free(C);
    C = NULL;
    return 0;
}

/* ---- helpers ------------------------------------------------------------------------- */

/* A call that must fail before any I/O: DBX_EINVAL, a last error (of `owner`;
 * NULL for the builders) whose message names `needle`, and no request in the
 * emulator's log (emptied here first). */
#define expect_local_einval(call, owner, needle)                                                     \
    do {                                                                                            \
        emu_clear_requests(emu_get());                                                              \
        dbx_status st_ = (call);                                                                    \
        expect_einval_at(st_, (owner), (needle), #call, __LINE__);                                  \
    } while (0)

static void expect_einval_at(dbx_status st, const dbx_client *owner, const char *needle, const char *what, int line)
{
    const dbx_error *err = dbx_client_last_error(owner);
    size_t sent = emu_count(emu_get(), NULL);
    if (st != DBX_EINVAL || err->status != DBX_EINVAL || !strstr(err->message, needle) || sent != 0)
        fail_msg("line %d: %s: %s, last error %s \"%s\"; want DBX_EINVAL naming \"%s\" and no request (%zu sent)",
                 line, what, dbx_status_name(st), dbx_status_name(err->status), err->message, needle, sent);
}

/* from_json must fail with DBX_EINVAL and a message holding `needle`. */
static void expect_bad_settings(const char *json, const char *needle)
{
    dbx_job_settings *s = (dbx_job_settings *)1;
    dbx_status st = dbx_job_settings_from_json(&s, json);
    const dbx_error *err = dbx_client_last_error(NULL);
    if (st != DBX_EINVAL || s != NULL || !strstr(err->message, needle))
        fail_msg("settings %s: %s \"%s\"; want DBX_EINVAL naming \"%s\"", json, dbx_status_name(st), err->message,
                 needle);
}

static dbx_job_settings *settings_from(const char *json)
{
    dbx_job_settings *s = NULL;
    dbx_status st = dbx_job_settings_from_json(&s, json);
    if (st != DBX_OK)
        fail_msg("settings_from: %s \"%s\"", dbx_status_name(st), dbx_client_last_error(NULL)->message);
    return s;
}

static int64_t create_from(const char *json)
{
    dbx_job_settings *s = settings_from(json);
    int64_t id = 0;
    dbx_status st = dbx_jobs_create(&id, C, s);
    if (st != DBX_OK)
        fail_msg("create: %s \"%s\"", dbx_status_name(st), dbx_client_last_error(C)->message);
    dbx_job_settings_free(s);
    assert_true(id > 0);
    return id;
}

/* A one-task notebook job named `name`. */
static int64_t create_simple(const char *name)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"name\":\"%s\",\"max_concurrent_runs\":5,"
             "\"tasks\":[{\"task_key\":\"main\",\"notebook_task\":{\"notebook_path\":\"/Shared/%s\"}}]}",
             name, name);
    return create_from(json);
}

static int64_t run_now(int64_t job_id)
{
    dbx_run_started st;
    dbx_status rc = dbx_jobs_run_now(&st, C, job_id, NULL);
    if (rc != DBX_OK)
        fail_msg("run_now: %s \"%s\"", dbx_status_name(rc), dbx_client_last_error(C)->message);
    assert_true(st.run_id > 0);
    return st.run_id;
}

static dbx_run *get_run(int64_t run_id)
{
    dbx_run *r = NULL;
    dbx_status rc = dbx_jobs_get_run(&r, C, run_id);
    if (rc != DBX_OK)
        fail_msg("get_run: %s \"%s\"", dbx_status_name(rc), dbx_client_last_error(C)->message);
    return r;
}

static const char *req_str(const json_t *req, const char *name)
{
    return json_string_value(emu_req_json(req, name));
}

static json_int_t req_int(const json_t *req, const char *name)
{
    return json_integer_value(emu_req_json(req, name));
}

static int is_hex32(const char *s)
{
    if (!s || strlen(s) != 32)
        return 0;
    for (; *s; s++)
        if (!strchr("0123456789abcdef", *s))
            return 0;
    return 1;
}

/* on_poll that records the states seen (distinct consecutive ones) and
 * moves the emulator's virtual clock on by `step` ms. */
typedef struct recorder {
    char states[32][32];
    int n, polls;
    long step;
    int cancel_at; /* stop after this many polls (0: never) */
} recorder;

static int record_and_advance(const char *id, const char *st, void *payload)
{
    (void)id;
    recorder *r = payload;
    r->polls++;
    if ((r->n == 0 || strcmp(r->states[r->n - 1], st) != 0) && r->n < 32)
        snprintf(r->states[r->n++], sizeof r->states[0], "%s", st);
    emu_advance(emu_get(), r->step);
    return r->cancel_at && r->polls >= r->cancel_at;
}

static int saw(const recorder *r, const char *st)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->states[i], st) == 0)
            return 1;
    return 0;
}

static dbx_status wait_run(dbx_run **out, int64_t run_id, recorder *rec)
{
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.on_poll = record_and_advance;
    w.payload = rec;
    if (!rec->step)
        rec->step = 400;
    return dbx_jobs_wait_run(out, C, run_id, &w);
}

static void set_outcomes(const char *rules_json)
{
    json_decref(emu_ctl(emu_get(), "POST", "/__emulator/jobs/task-outcomes", rules_json));
}

/* ---- settings builder and local validation ---------------------------------------------- */

static const char *MULTI =
    "{\"name\":\"etl\",\"max_concurrent_runs\":1,\"queue\":{\"enabled\":true},\"tags\":{\"team\":\"data\"},"
    "\"parameters\":[{\"name\":\"env\",\"default\":\"dev\"}],"
    "\"job_clusters\":[{\"job_cluster_key\":\"shared\",\"new_cluster\":{\"spark_version\":\"15.4.x-scala2.12\","
    "\"node_type_id\":\"i3.xlarge\",\"num_workers\":2}}],"
    "\"tasks\":[{\"task_key\":\"ingest\",\"notebook_task\":{\"notebook_path\":\"/Repos/etl/ingest\"},"
    "\"job_cluster_key\":\"shared\"},"
    "{\"task_key\":\"transform\",\"depends_on\":[{\"task_key\":\"ingest\"}],"
    "\"spark_python_task\":{\"python_file\":\"/Workspace/t.py\"},\"job_cluster_key\":\"shared\"},"
    "{\"task_key\":\"report\",\"depends_on\":[{\"task_key\":\"transform\"},{\"task_key\":\"ingest\"}],"
    "\"sql_task\":{\"warehouse_id\":\"w1\",\"query\":{\"query_id\":\"q1\"}}}]}";

static void test_settings_from_json_validation(void **state)
{
    (void)state;
    dbx_job_settings *s = settings_from(MULTI);
    assert_int_equal(dbx_job_settings_validate(s), DBX_OK);
    dbx_job_settings_free(s);

    expect_bad_settings("{\"tasks\":[", "not valid JSON");
    expect_bad_settings("[1]", "job settings must be a JSON object");
    expect_bad_settings("{\"name\":3}", "$.name must be a string");
    expect_bad_settings("{\"max_concurrent_runs\":1001}", "$.max_concurrent_runs must be 0..1000");
    expect_bad_settings("{\"max_concurrent_runs\":-1}", "$.max_concurrent_runs must be 0..1000");
    expect_bad_settings("{\"timeout_seconds\":-5}", "$.timeout_seconds");
    expect_bad_settings("{\"schedule\":{\"quartz_cron_expression\":\"0 0 * * * ?\"}}", "$.schedule.timezone_id is required");
    expect_bad_settings("{\"schedule\":{\"quartz_cron_expression\":\"x\",\"timezone_id\":\"UTC\",\"pause_status\":\"OFF\"}}",
                        "$.schedule.pause_status");
    expect_bad_settings("{\"queue\":{}}", "$.queue.enabled must be a boolean");
    expect_bad_settings("{\"parameters\":[{\"name\":\"a b\",\"default\":\"x\"}]}", "$.parameters[0].name must be");
    expect_bad_settings("{\"parameters\":[{\"name\":\"a\"}]}", "$.parameters[0].default is required");
    expect_bad_settings("{\"parameters\":[{\"name\":\"a\",\"default\":\"1\"},{\"name\":\"a\",\"default\":\"2\"}]}",
                        "$.parameters[1].name \"a\" is already used");
    expect_bad_settings("{\"email_notifications\":{\"on_failure\":[1]}}", "$.email_notifications.on_failure");
    expect_bad_settings("{\"tags\":{\"a\":1}}", "$.tags must be an object of strings");
    /* 26 tags */
    char tags[1024] = "{\"tags\":{";
    for (int i = 0; i < 26; i++)
        snprintf(tags + strlen(tags), sizeof tags - strlen(tags), "%s\"t%d\":\"v\"", i ? "," : "", i);
    strcat(tags, "}}");
    expect_bad_settings(tags, "$.tags has 26 entries; at most 25");
    /* a name over 4096 bytes */
    char *big = malloc(5000);
    strcpy(big, "{\"name\":\"");
    memset(big + 9, 'n', 4097);
    strcpy(big + 9 + 4097, "\"}");
    expect_bad_settings(big, "$.name is 4097 bytes; at most 4096");
    free(big);

    /* tasks */
    expect_bad_settings("{\"tasks\":[{\"notebook_task\":{\"notebook_path\":\"/a\"}}]}", "$.tasks[0].task_key is required");
    expect_bad_settings("{\"tasks\":[{\"task_key\":\"a b\",\"notebook_task\":{\"notebook_path\":\"/a\"}}]}",
                        "$.tasks[0].task_key \"a b\"");
    expect_bad_settings("{\"tasks\":[{\"task_key\":\"a\"}]}", "$.tasks[0] needs a task type");
    expect_bad_settings("{\"tasks\":[{\"task_key\":\"a\",\"notebook_task\":{\"notebook_path\":\"/a\"},"
                        "\"spark_python_task\":{\"python_file\":\"/b.py\"}}]}",
                        "$.tasks[0] has two task types (notebook_task and spark_python_task)");
    expect_bad_settings("{\"tasks\":[{\"task_key\":\"a\",\"notebook_task\":{}}]}",
                        "$.tasks[0].notebook_task.notebook_path is required");
    expect_bad_settings("{\"tasks\":[{\"task_key\":\"a\",\"python_wheel_task\":{\"package_name\":\"p\"}}]}",
                        "$.tasks[0].python_wheel_task.entry_point is required");
    expect_bad_settings("{\"tasks\":[{\"task_key\":\"a\",\"sql_task\":{\"warehouse_id\":\"w\"}}]}",
                        "$.tasks[0].sql_task needs exactly one of query, file, alert or dashboard");
    expect_bad_settings("{\"tasks\":[{\"task_key\":\"a\",\"run_job_task\":{\"job_id\":0}}]}",
                        "$.tasks[0].run_job_task.job_id must be a positive integer");
    expect_bad_settings("{\"tasks\":[{\"task_key\":\"a\",\"notebook_task\":{\"notebook_path\":\"/a\"}},"
                        "{\"task_key\":\"a\",\"notebook_task\":{\"notebook_path\":\"/b\"}}]}",
                        "$.tasks[1].task_key: \"a\" is already used by $.tasks[0]");
    expect_bad_settings("{\"tasks\":[{\"task_key\":\"a\",\"notebook_task\":{\"notebook_path\":\"/a\"},"
                        "\"depends_on\":[{\"task_key\":\"zz\"}]}]}",
                        "$.tasks[0].depends_on[0].task_key: no task has key \"zz\"");
    expect_bad_settings("{\"tasks\":[{\"task_key\":\"a\",\"notebook_task\":{\"notebook_path\":\"/a\"},"
                        "\"depends_on\":[{\"task_key\":\"a\"}]}]}",
                        "depends_on forms a cycle");
    expect_bad_settings("{\"tasks\":[{\"task_key\":\"a\",\"depends_on\":[{\"task_key\":\"c\"}],\"notebook_task\":{\"notebook_path\":\"/a\"}},"
                        "{\"task_key\":\"b\",\"depends_on\":[{\"task_key\":\"a\"}],\"notebook_task\":{\"notebook_path\":\"/b\"}},"
                        "{\"task_key\":\"c\",\"depends_on\":[{\"task_key\":\"b\"}],\"notebook_task\":{\"notebook_path\":\"/c\"}},"
                        "{\"task_key\":\"d\",\"notebook_task\":{\"notebook_path\":\"/d\"}}]}",
                        "$.tasks[0] (task_key \"a\"): depends_on forms a cycle");
    expect_bad_settings("{\"tasks\":[{\"task_key\":\"a\",\"notebook_task\":{\"notebook_path\":\"/a\"},"
                        "\"job_cluster_key\":\"nope\"}]}",
                        "$.tasks[0].job_cluster_key: no job cluster has key \"nope\"");
    expect_bad_settings("{\"tasks\":[{\"task_key\":\"a\",\"spark_python_task\":{\"python_file\":\"/a.py\"},"
                        "\"environment_key\":\"e\"}]}",
                        "$.tasks[0].environment_key: no environment has key \"e\"");
    expect_bad_settings("{\"tasks\":[{\"task_key\":\"a\",\"notebook_task\":{\"notebook_path\":\"/a\"},"
                        "\"existing_cluster_id\":\"x\",\"job_cluster_key\":\"k\"}]}",
                        "$.tasks[0] has both existing_cluster_id and job_cluster_key");
    expect_bad_settings("{\"tasks\":[{\"task_key\":\"a\",\"notebook_task\":{\"notebook_path\":\"/a\"},"
                        "\"run_if\":\"SOMETIMES\"}]}",
                        "$.tasks[0].run_if \"SOMETIMES\"");
    expect_bad_settings("{\"tasks\":[{\"task_key\":\"a\",\"notebook_task\":{\"notebook_path\":\"/a\"},"
                        "\"new_cluster\":{\"spark_version\":\"x\",\"num_workers\":-1}}]}",
                        "$.tasks[0].new_cluster: cluster spec: $.num_workers must be >= 0");
    expect_bad_settings("{\"job_clusters\":[{\"job_cluster_key\":\"k\"}]}", "$.job_clusters[0].new_cluster is required");
    expect_bad_settings("{\"job_clusters\":[{\"job_cluster_key\":\"k\",\"new_cluster\":{\"autoscale\":{\"min_workers\":3,"
                        "\"max_workers\":1}}}]}",
                        "$.job_clusters[0].new_cluster: cluster spec: $.autoscale");
    expect_bad_settings("{\"job_clusters\":[{\"job_cluster_key\":\"k\",\"new_cluster\":{}},"
                        "{\"job_cluster_key\":\"k\",\"new_cluster\":{}}]}",
                        "$.job_clusters[1].job_cluster_key: \"k\" is already used by $.job_clusters[0]");
    expect_bad_settings("{\"environments\":[{\"spec\":{}}]}", "$.environments[0].environment_key is required");
    /* a long chain is fine (no recursion), and 1001 tasks are too many */
    size_t cap = 1100 * 120;
    char *chain = malloc(cap);
    strcpy(chain, "{\"tasks\":[");
    for (int i = 0; i < 1000; i++) {
        char dep[64] = "";
        if (i)
            snprintf(dep, sizeof dep, ",\"depends_on\":[{\"task_key\":\"t%d\"}]", i - 1);
        snprintf(chain + strlen(chain), cap - strlen(chain),
                 "%s{\"task_key\":\"t%d\",\"notebook_task\":{\"notebook_path\":\"/n\"}%s}", i ? "," : "", i, dep);
    }
    strcat(chain, "]}");
    dbx_job_settings *longchain = NULL;
    assert_int_equal(dbx_job_settings_from_json(&longchain, chain), DBX_OK);
    dbx_job_settings_free(longchain);
    strcpy(chain + strlen(chain) - 2, ",{\"task_key\":\"one_more\",\"notebook_task\":{\"notebook_path\":\"/n\"}}]}");
    expect_bad_settings(chain, "$.tasks has 1001 tasks; at most 1000");
    free(chain);

    /* NULL arguments */
    assert_int_equal(dbx_job_settings_from_json(NULL, "{}"), DBX_EINVAL);
    s = (dbx_job_settings *)1;
    assert_int_equal(dbx_job_settings_from_json(&s, NULL), DBX_EINVAL);
    assert_null(s);
    assert_int_equal(dbx_job_settings_validate(NULL), DBX_EINVAL);
    dbx_job_settings_free(NULL);
    dbx_job_task_free(NULL);
}

static void test_builders(void **state)
{
    (void)state;
    dbx_job_settings *s = NULL;
    assert_int_equal(dbx_job_settings_new(&s), DBX_OK);
    assert_int_equal(dbx_job_settings_set_name(s, "nightly"), DBX_OK);
    assert_int_equal(dbx_job_settings_set_description(s, "the nightly load"), DBX_OK);
    dbx_cluster_spec *cs = NULL;
    assert_int_equal(dbx_cluster_spec_new(&cs), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_spark_version(cs, "15.4.x-scala2.12"), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_num_workers(cs, 2), DBX_OK);
    assert_int_equal(dbx_job_settings_add_job_cluster(s, "shared", cs), DBX_OK);
    const char *deps[] = {"pandas==2.2", NULL};
    assert_int_equal(dbx_job_settings_add_environment(s, "py", "2", deps), DBX_OK);
    assert_int_equal(dbx_job_settings_add_parameter(s, "env", "dev"), DBX_OK);
    assert_int_equal(dbx_job_settings_add_parameter(s, "env", "prod"), DBX_OK); /* replaces */
    assert_int_equal(dbx_job_settings_set_schedule(s, "0 0 3 * * ?", "Europe/Paris", 1), DBX_OK);
    assert_int_equal(dbx_job_settings_add_email(s, DBX_JOB_EMAIL_ON_FAILURE, "ops@example.com"), DBX_OK);
    assert_int_equal(dbx_job_settings_add_email(s, DBX_JOB_EMAIL_ON_FAILURE, "me@example.com"), DBX_OK);
    assert_int_equal(dbx_job_settings_set_max_concurrent_runs(s, 3), DBX_OK);
    assert_int_equal(dbx_job_settings_set_queue(s, 1), DBX_OK);
    assert_int_equal(dbx_job_settings_set_tag(s, "team", "data"), DBX_OK);
    assert_int_equal(dbx_job_settings_set_timeout_seconds(s, 3600), DBX_OK);
    assert_int_equal(dbx_job_settings_set_json(s, "git_source",
                                               "{\"git_url\":\"https://example.com/r.git\",\"git_provider\":\"gitHub\","
                                               "\"git_branch\":\"main\"}"),
                     DBX_OK);

    dbx_job_task *nb = NULL, *py = NULL, *whl = NULL, *sql = NULL, *child = NULL;
    assert_int_equal(dbx_job_task_new(&nb, "ingest"), DBX_OK);
    assert_int_equal(dbx_job_task_set_notebook(nb, "/Repos/etl/ingest", "WORKSPACE"), DBX_OK);
    assert_int_equal(dbx_job_task_set_parameter(nb, "date", "{{job.start_time.iso_date}}"), DBX_OK);
    assert_int_equal(dbx_job_task_set_job_cluster_key(nb, "shared"), DBX_OK);
    assert_int_equal(dbx_job_task_add_library_pypi(nb, "requests", NULL), DBX_OK);
    assert_int_equal(dbx_job_task_add_library_whl(nb, "/Volumes/m/l/a.whl"), DBX_OK);
    assert_int_equal(dbx_job_task_add_library_jar(nb, "/Volumes/m/l/a.jar"), DBX_OK);
    assert_int_equal(dbx_job_task_add_library_json(nb, "{\"maven\":{\"coordinates\":\"a:b:1\"}}"), DBX_OK);
    assert_int_equal(dbx_job_task_set_timeout_seconds(nb, 600), DBX_OK);
    assert_int_equal(dbx_job_task_set_retries(nb, 2, 1000, 1), DBX_OK);
    assert_int_equal(dbx_job_task_set_description(nb, "load"), DBX_OK);

    assert_int_equal(dbx_job_task_new(&py, "transform"), DBX_OK);
    const char *args[] = {"--date", "today", NULL};
    assert_int_equal(dbx_job_task_set_spark_python(py, "/Workspace/t.py", args), DBX_OK);
    assert_int_equal(dbx_job_task_set_new_cluster(py, cs), DBX_OK);
    assert_int_equal(dbx_job_task_set_existing_cluster_id(py, "0101-abc"), DBX_OK); /* replaces new_cluster */
    assert_int_equal(dbx_job_task_add_depends_on(py, "ingest", NULL), DBX_OK);

    assert_int_equal(dbx_job_task_new(&whl, "wheel"), DBX_OK);
    assert_int_equal(dbx_job_task_set_python_wheel(whl, "pkg", "main", NULL), DBX_OK);
    assert_int_equal(dbx_job_task_set_parameter(whl, "mode", "full"), DBX_OK);
    assert_int_equal(dbx_job_task_set_environment_key(whl, "py"), DBX_OK);
    assert_int_equal(dbx_job_task_add_depends_on(whl, "transform", NULL), DBX_OK);
    assert_int_equal(dbx_job_task_set_run_if(whl, "ALL_DONE"), DBX_OK);

    assert_int_equal(dbx_job_task_new(&sql, "report"), DBX_OK);
    assert_int_equal(dbx_job_task_set_sql_query(sql, "wh1", "q1"), DBX_OK);
    assert_int_equal(dbx_job_task_set_sql_file(sql, "wh1", "/Shared/r.sql", "WORKSPACE"), DBX_OK); /* replaces */
    assert_int_equal(dbx_job_task_set_parameter(sql, "p", "1"), DBX_OK);
    assert_int_equal(dbx_job_task_add_depends_on(sql, "wheel", NULL), DBX_OK);

    assert_int_equal(dbx_job_task_new(&child, "child"), DBX_OK);
    assert_int_equal(dbx_job_task_set_run_job(child, 42), DBX_OK);
    assert_int_equal(dbx_job_task_set_parameter(child, "a", "b"), DBX_OK);
    assert_int_equal(dbx_job_task_add_depends_on(child, "report", NULL), DBX_OK);
    assert_int_equal(dbx_job_task_set_json(child, "disabled", "false"), DBX_OK);

    assert_int_equal(dbx_job_settings_add_task(s, nb), DBX_OK);
    assert_int_equal(dbx_job_settings_add_task(s, py), DBX_OK);
    assert_int_equal(dbx_job_settings_add_task(s, whl), DBX_OK);
    assert_int_equal(dbx_job_settings_add_task(s, sql), DBX_OK);
    assert_int_equal(dbx_job_settings_add_task(s, child), DBX_OK);
    assert_int_equal(dbx_job_settings_add_task(s, child), DBX_OK); /* same key: replaced */
    assert_int_equal(dbx_job_settings_validate(s), DBX_OK);

    const json_t *j = dbx_job_settings_jansson(s);
    assert_string_equal(json_string_value(json_object_get(j, "name")), "nightly");
    assert_int_equal(json_array_size(json_object_get(j, "tasks")), 5);
    assert_int_equal(json_array_size(json_object_get(j, "parameters")), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "parameters"), 0), "default")),
                        "prod");
    json_t *t0 = json_array_get(json_object_get(j, "tasks"), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(t0, "notebook_task"),
                                                                          "base_parameters"), "date")),
                        "{{job.start_time.iso_date}}");
    assert_int_equal(json_array_size(json_object_get(t0, "libraries")), 4);
    json_t *t1 = json_array_get(json_object_get(j, "tasks"), 1);
    assert_null(json_object_get(t1, "new_cluster"));
    assert_string_equal(json_string_value(json_object_get(t1, "existing_cluster_id")), "0101-abc");
    json_t *t3 = json_array_get(json_object_get(j, "tasks"), 3);
    assert_null(json_object_get(json_object_get(t3, "sql_task"), "query"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(t3, "sql_task"), "file"), "path")),
                        "/Shared/r.sql");
    assert_int_equal(json_array_size(json_object_get(json_object_get(j, "email_notifications"), "on_failure")), 2);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "schedule"), "pause_status")), "PAUSED");

    /* the built job is accepted by the service and reads back the same */
    int64_t built = 0;
    assert_int_equal(dbx_jobs_create(&built, C, s), DBX_OK);
    json_t *req = emu_last_request(emu_get(), API "/create");
    assert_string_equal(req_str(req, "name"), "nightly");
    assert_int_equal(json_array_size(emu_req_json(req, "tasks")), 5);
    assert_int_equal(json_array_size(emu_req_json(req, "environments")), 1);
    assert_true(json_is_true(json_object_get(emu_req_json(req, "queue"), "enabled")));
    json_decref(req);
    dbx_job *job = NULL;
    assert_int_equal(dbx_jobs_get(&job, C, built), DBX_OK);
    assert_string_equal(dbx_job_name(job), "nightly");
    assert_int_equal(dbx_job_task_count(job), 5);
    assert_string_equal(dbx_job_task_key(job, 4), "child");
    assert_int_equal(dbx_job_max_concurrent_runs(job), 3);
    assert_string_equal(dbx_job_tag(job, "team"), "data");
    assert_non_null(strstr(dbx_job_settings_json(job), "\"Europe/Paris\""));
    dbx_job_free(job);

    char *text = NULL;
    assert_int_equal(dbx_job_settings_to_json(&text, s), DBX_OK);
    dbx_job_settings *again = settings_from(text);
    dbx_free(text);
    dbx_job_settings_free(again);
    assert_int_equal(dbx_job_task_to_json(&text, whl), DBX_OK);
    assert_non_null(strstr(text, "\"named_parameters\":{\"mode\":\"full\"}"));
    dbx_free(text);

    /* builder errors, before any I/O, naming the problem */
    dbx_job_task *bad = NULL;
    expect_local_einval(dbx_job_task_new(&bad, "has space"), NULL, "task_key \"has space\"");
    expect_local_einval(dbx_job_task_new(&bad, NULL), NULL, "task_key is required");
    expect_local_einval(dbx_job_task_set_notebook(nb, NULL, NULL), NULL, "notebook_path is required");
    expect_local_einval(dbx_job_task_set_run_job(nb, 0), NULL, "job_id must be > 0");
    expect_local_einval(dbx_job_task_set_run_if(nb, "MAYBE"), NULL, "run_if \"MAYBE\"");
    expect_local_einval(dbx_job_task_set_retries(nb, -2, 0, 0), NULL, "max_retries");
    expect_local_einval(dbx_job_task_set_timeout_seconds(nb, -1), NULL, "seconds must be >= 0");
    expect_local_einval(dbx_job_task_add_library_json(nb, "[]"), NULL, "a library must be a non-empty JSON object");
    expect_local_einval(dbx_job_task_add_library_json(nb, "{"), NULL, "json is not valid JSON");
    expect_local_einval(dbx_job_task_set_json(nb, "timeout_seconds", "\"x\""), NULL, "$.timeout_seconds must be an integer");
    dbx_job_task *bare = NULL;
    assert_int_equal(dbx_job_task_new(&bare, "bare"), DBX_OK);
    expect_local_einval(dbx_job_task_set_parameter(bare, "a", "b"), NULL, "no task type with named parameters");
    expect_local_einval(dbx_job_settings_add_task(s, bare), NULL, "needs a task type");
    const char *bad_utf8[] = {"ok", "\xff", NULL};
    expect_local_einval(dbx_job_task_set_spark_python(bare, "/a.py", bad_utf8), NULL, "parameters[1] is not valid UTF-8");
    dbx_job_task_free(bare);
    expect_local_einval(dbx_job_settings_set_max_concurrent_runs(s, 1001), NULL, "max_concurrent_runs must be 0..1000");
    expect_local_einval(dbx_job_settings_add_parameter(s, "no spaces", "x"), NULL, "parameter name \"no spaces\"");
    expect_local_einval(dbx_job_settings_add_email(s, (dbx_job_email_event_t)9, "a@b"), NULL, "event 9");
    expect_local_einval(dbx_job_settings_set_json(s, "schedule", "[]"), NULL, "$.schedule must be an object");
    expect_local_einval(dbx_job_settings_set_name(s, "\xc0\x80"), NULL, "name is not valid UTF-8");
    for (int i = 0; i < 24; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        assert_int_equal(dbx_job_settings_set_tag(s, k, "v"), DBX_OK);
    }
    expect_local_einval(dbx_job_settings_set_tag(s, "one-too-many", "v"), NULL, "at most 25 tags");
    assert_int_equal(dbx_job_settings_set_tag(s, "team", "platform"), DBX_OK); /* replacing is fine */

    dbx_job_task_free(nb);
    dbx_job_task_free(py);
    dbx_job_task_free(whl);
    dbx_job_task_free(sql);
    dbx_job_task_free(child);
    dbx_cluster_spec_free(cs);
    dbx_job_settings_free(s);
}

/* ---- jobs ----------------------------------------------------------------------------- */

static void test_create_get_delete(void **state)
{
    (void)state;
    emu *e = emu_get();
    int64_t id = create_from(MULTI);
    json_t *req = emu_last_request(e, API "/create");
    assert_non_null(req);
    assert_string_equal(req_str(req, "name"), "etl");
    json_t *tasks = emu_req_json(req, "tasks");
    assert_int_equal(json_array_size(tasks), 3);
    json_t *dep = json_array_get(json_object_get(json_array_get(tasks, 2), "depends_on"), 1);
    assert_string_equal(json_string_value(json_object_get(dep, "task_key")), "ingest");
    assert_int_equal(req_int(req, "max_concurrent_runs"), 1);
    json_decref(req);

    dbx_job *job = NULL;
    assert_int_equal(dbx_jobs_get(&job, C, id), DBX_OK);
    req = emu_last_request(e, API "/get");
    char idtext[32];
    snprintf(idtext, sizeof idtext, "%lld", (long long)id);
    assert_string_equal(emu_req_query(req, "job_id"), idtext);
    json_decref(req);
    assert_true(dbx_job_id(job) == id);
    assert_string_equal(dbx_job_name(job), "etl");
    assert_int_equal(dbx_job_max_concurrent_runs(job), 1);
    assert_int_equal(dbx_job_task_count(job), 3);
    assert_string_equal(dbx_job_task_key(job, 0), "ingest");
    assert_string_equal(dbx_job_task_key(job, 2), "report");
    assert_null(dbx_job_task_key(job, 3));
    assert_string_equal(dbx_job_tag(job, "team"), "data");
    assert_null(dbx_job_tag(job, "nope"));
    assert_true(dbx_job_created_time(job) > 0);
    assert_true(*dbx_job_creator_user_name(job));
    assert_non_null(dbx_job_run_as_user_name(job));
    assert_non_null(strstr(dbx_job_settings_json(job), "\"job_clusters\""));
    assert_non_null(strstr(dbx_job_json(job), "\"settings\""));
    assert_non_null(dbx_job_jansson(job));
    dbx_job_free(job);

    assert_int_equal(dbx_jobs_delete(C, id), DBX_OK);
    req = emu_last_request(e, API "/delete");
    assert_true(req_int(req, "job_id") == id);
    json_decref(req);
    job = (dbx_job *)1;
    assert_int_equal(dbx_jobs_get(&job, C, id), DBX_ENOTFOUND);
    assert_null(job);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "does not exist"));
    assert_int_equal(dbx_jobs_delete(C, id), DBX_ENOTFOUND);
}

static void test_get_follows_task_pages(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_config(e, "{\"jobs_page_size_max\": 2}");
    char json[2048] = "{\"name\":\"wide\",\"tasks\":[";
    for (int i = 0; i < 5; i++)
        snprintf(json + strlen(json), sizeof json - strlen(json),
                 "%s{\"task_key\":\"t%d\",\"notebook_task\":{\"notebook_path\":\"/n%d\"}}", i ? "," : "", i, i);
    strcat(json, "],\"parameters\":[{\"name\":\"a\",\"default\":\"1\"},{\"name\":\"b\",\"default\":\"2\"},"
                 "{\"name\":\"c\",\"default\":\"3\"}]}");
    int64_t id = create_from(json);
    emu_clear_requests(e);
    dbx_job *job = NULL;
    assert_int_equal(dbx_jobs_get(&job, C, id), DBX_OK);
    assert_int_equal(dbx_job_task_count(job), 5);
    for (size_t i = 0; i < 5; i++) {
        char k[8];
        snprintf(k, sizeof k, "t%zu", i);
        assert_string_equal(dbx_job_task_key(job, i), k);
    }
    const json_t *params = json_object_get(json_object_get(dbx_job_jansson(job), "settings"), "parameters");
    assert_int_equal(json_array_size(params), 3);
    assert_null(json_object_get(dbx_job_jansson(job), "next_page_token"));
    dbx_job_free(job);
    /* three pages: 2 + 2 + 1 tasks, the later ones with a page_token */
    json_t *reqs = emu_requests_to(e, API "/get");
    assert_int_equal(json_array_size(reqs), 3);
    assert_null(emu_req_query(json_array_get(reqs, 0), "page_token"));
    assert_non_null(emu_req_query(json_array_get(reqs, 1), "page_token"));
    assert_non_null(emu_req_query(json_array_get(reqs, 2), "page_token"));
    json_decref(reqs);

    /* a run of it has its 5 task runs merged too */
    int64_t run_id = run_now(id);
    emu_clear_requests(e);
    dbx_run *r = get_run(run_id);
    assert_int_equal(dbx_run_task_count(r), 5);
    assert_string_equal(dbx_run_task_key(r, 4), "t4");
    assert_true(dbx_run_task_run_id(r, 4) > 0);
    assert_true(dbx_run_task_run_id(r, 4) != dbx_run_task_run_id(r, 3));
    dbx_run_free(r);
    assert_int_equal(emu_count(e, API "/runs/get"), 3);
}

static void test_list_by_name_and_pages(void **state)
{
    (void)state;
    emu *e = emu_get();
    int64_t ids[5];
    const char *names[] = {"alpha", "beta", "Gamma", "beta", "delta"};
    for (int i = 0; i < 5; i++)
        ids[i] = create_simple(names[i]);
    emu_clear_requests(e);

    dbx_jobs_list_options o = DBX_JOBS_LIST_OPTIONS_INIT;
    o.limit = 2;
    dbx_jobs_iter *it = NULL;
    assert_int_equal(dbx_jobs_list(&it, C, &o), DBX_OK);
    assert_int_equal(emu_count(e, NULL), 0); /* no request before the first _next */
    const dbx_job *j;
    int n = 0, seen[5] = {0};
    dbx_status st;
    while ((st = dbx_jobs_iter_next(&j, it)) == DBX_OK) {
        for (int i = 0; i < 5; i++)
            if (dbx_job_id(j) == ids[i])
                seen[i]++;
        assert_true(*dbx_job_name(j));
        n++;
    }
    assert_int_equal(st, DBX_DONE);
    dbx_jobs_iter_free(it);
    assert_int_equal(n, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(seen[i], 1);
    json_t *reqs = emu_requests_to(e, API "/list");
    assert_int_equal(json_array_size(reqs), 3);
    assert_string_equal(emu_req_query(json_array_get(reqs, 0), "limit"), "2");
    assert_non_null(emu_req_query(json_array_get(reqs, 2), "page_token"));
    json_decref(reqs);

    /* name filter (exact, case-insensitive) with expand_tasks */
    emu_clear_requests(e);
    o.name = "BETA";
    o.expand_tasks = 1;
    o.limit = 0;
    assert_int_equal(dbx_jobs_list(&it, C, &o), DBX_OK);
    n = 0;
    while ((st = dbx_jobs_iter_next(&j, it)) == DBX_OK) {
        assert_string_equal(dbx_job_name(j), "beta");
        assert_int_equal(dbx_job_task_count(j), 1);
        assert_string_equal(dbx_job_task_key(j, 0), "main");
        n++;
    }
    assert_int_equal(st, DBX_DONE);
    dbx_jobs_iter_free(it);
    assert_int_equal(n, 2);
    json_t *req = emu_last_request(e, API "/list");
    assert_string_equal(emu_req_query(req, "name"), "BETA");
    assert_string_equal(emu_req_query(req, "expand_tasks"), "true");
    assert_null(emu_req_query(req, "limit"));
    json_decref(req);

    /* max_items stops early; bad options are local errors */
    o = (dbx_jobs_list_options)DBX_JOBS_LIST_OPTIONS_INIT;
    o.max_items = 3;
    assert_int_equal(dbx_jobs_list(&it, C, &o), DBX_OK);
    n = 0;
    while (dbx_jobs_iter_next(&j, it) == DBX_OK)
        n++;
    dbx_jobs_iter_free(it);
    assert_int_equal(n, 3);
    o.limit = 101;
    expect_local_einval(dbx_jobs_list(&it, C, &o), C, "limit 0..100");
    assert_null(it);
    o.limit = 0;
    o.version = 99;
    expect_local_einval(dbx_jobs_list(&it, C, &o), C, "version 99");
    o = (dbx_jobs_list_options)DBX_JOBS_LIST_OPTIONS_INIT;
    o.name = "";
    expect_local_einval(dbx_jobs_list(&it, C, &o), C, "name is empty");
    assert_int_equal(dbx_jobs_iter_next(NULL, NULL), DBX_EINVAL);
    dbx_jobs_iter_free(NULL);
}

static void test_update_and_reset(void **state)
{
    (void)state;
    emu *e = emu_get();
    int64_t id = create_from(MULTI);

    /* partial: rename, change one task (merged by key; its dependency is
     * not part of the update), drop the tags. from_json checks a whole job,
     * so partial settings are built with the setters. */
    dbx_job_settings *ns = NULL;
    assert_int_equal(dbx_job_settings_new(&ns), DBX_OK);
    assert_int_equal(dbx_job_settings_set_name(ns, "etl-2"), DBX_OK);
    assert_int_equal(dbx_job_settings_set_json(ns, "tasks", "[{\"task_key\":\"report\",\"timeout_seconds\":60,"
                                                            "\"sql_task\":{\"warehouse_id\":\"w2\",\"query\":{\"query_id\":\"q2\"}},"
                                                            "\"depends_on\":[{\"task_key\":\"ingest\"}]}]"),
                     DBX_OK);
    expect_local_einval(dbx_job_settings_validate(ns), NULL, "$.tasks[0].depends_on[0].task_key: no task has key \"ingest\"");
    const char *rm[] = {"tags", NULL};
    assert_int_equal(dbx_jobs_update(C, id, ns, rm), DBX_OK);
    dbx_job_settings_free(ns);
    json_t *req = emu_last_request(e, API "/update");
    assert_true(req_int(req, "job_id") == id);
    assert_string_equal(json_string_value(json_object_get(emu_req_json(req, "new_settings"), "name")), "etl-2");
    assert_string_equal(json_string_value(json_array_get(emu_req_json(req, "fields_to_remove"), 0)), "tags");
    json_decref(req);
    dbx_job *job = NULL;
    assert_int_equal(dbx_jobs_get(&job, C, id), DBX_OK);
    assert_string_equal(dbx_job_name(job), "etl-2");
    assert_int_equal(dbx_job_task_count(job), 3);
    assert_null(dbx_job_tag(job, "team"));
    assert_non_null(strstr(dbx_job_settings_json(job), "\"w2\""));
    dbx_job_free(job);

    /* update a partial task only naming a dependency outside the update: fine */
    ns = settings_from("{}");
    assert_int_equal(dbx_jobs_update(C, id, ns, NULL), DBX_OK);
    dbx_job_settings_free(ns);
    /* ...but partial settings are still checked field by field */
    dbx_job_settings *bad = NULL;
    assert_int_equal(dbx_job_settings_new(&bad), DBX_OK);
    assert_int_equal(dbx_job_settings_set_json(bad, "max_concurrent_runs", "5000"), DBX_OK);
    expect_local_einval(dbx_jobs_update(C, id, bad, NULL), C, "new_settings: $.max_concurrent_runs must be 0..1000");
    expect_local_einval(dbx_jobs_reset(C, id, bad), C, "$.max_concurrent_runs");
    dbx_job_settings_free(bad);
    expect_local_einval(dbx_jobs_update(C, id, NULL, NULL), C, "new_settings or fields_to_remove is required");
    expect_local_einval(dbx_jobs_update(C, 0, NULL, rm), C, "job_id must be > 0");

    /* reset replaces everything */
    dbx_job_settings *full = settings_from("{\"name\":\"fresh\",\"tasks\":[{\"task_key\":\"only\","
                                           "\"spark_python_task\":{\"python_file\":\"/x.py\"}}]}");
    assert_int_equal(dbx_jobs_reset(C, id, full), DBX_OK);
    req = emu_last_request(e, API "/reset");
    assert_true(req_int(req, "job_id") == id);
    assert_string_equal(json_string_value(json_object_get(emu_req_json(req, "new_settings"), "name")), "fresh");
    json_decref(req);
    assert_int_equal(dbx_jobs_get(&job, C, id), DBX_OK);
    assert_string_equal(dbx_job_name(job), "fresh");
    assert_int_equal(dbx_job_task_count(job), 1);
    assert_string_equal(dbx_job_task_key(job, 0), "only");
    assert_int_equal(dbx_job_max_concurrent_runs(job), 1); /* the service's default again */
    dbx_job_free(job);
    expect_local_einval(dbx_jobs_reset(C, id, NULL), C, "new_settings is NULL");

    /* unknown job */
    assert_int_equal(dbx_jobs_reset(C, 999999, full), DBX_ENOTFOUND);
    assert_int_equal(dbx_jobs_update(C, 999999, full, NULL), DBX_ENOTFOUND);
    dbx_job_settings_free(full);
}

/* ---- runs ----------------------------------------------------------------------------- */

static void test_run_now_and_wait_success(void **state)
{
    (void)state;
    emu *e = emu_get();
    int64_t id = create_from("{\"name\":\"params\",\"max_concurrent_runs\":3,"
                             "\"parameters\":[{\"name\":\"env\",\"default\":\"dev\"},{\"name\":\"day\",\"default\":\"mon\"}],"
                             "\"tasks\":[{\"task_key\":\"a\",\"notebook_task\":{\"notebook_path\":\"/a\"}},"
                             "{\"task_key\":\"b\",\"depends_on\":[{\"task_key\":\"a\"}],"
                             "\"spark_python_task\":{\"python_file\":\"/b.py\"}}]}");
    dbx_jobs_run_now_options o = DBX_JOBS_RUN_NOW_OPTIONS_INIT;
    const char *params[] = {"env", "prod", NULL};
    o.job_parameters = params;
    dbx_run_started started;
    assert_int_equal(dbx_jobs_run_now(&started, C, id, &o), DBX_OK);
    assert_true(started.run_id > 0);
    assert_true(started.number_in_job > 0);
    assert_true(is_hex32(started.idempotency_token));
    json_t *req = emu_last_request(e, API "/run-now");
    assert_true(req_int(req, "job_id") == id);
    assert_string_equal(req_str(req, "idempotency_token"), started.idempotency_token);
    assert_string_equal(json_string_value(json_object_get(emu_req_json(req, "job_parameters"), "env")), "prod");
    json_decref(req);

    /* a second run gets a different generated token */
    dbx_run_started second;
    assert_int_equal(dbx_jobs_run_now(&second, C, id, NULL), DBX_OK);
    assert_true(is_hex32(second.idempotency_token));
    assert_string_not_equal(second.idempotency_token, started.idempotency_token);
    assert_true(second.run_id != started.run_id);

    recorder rec = {0};
    dbx_run *r = NULL;
    assert_int_equal(wait_run(&r, started.run_id, &rec), DBX_OK);
    assert_non_null(r);
    assert_true(saw(&rec, "PENDING"));
    assert_true(saw(&rec, "RUNNING"));
    assert_true(saw(&rec, "TERMINATING"));
    assert_string_equal(rec.states[rec.n - 1], "TERMINATED");
    /* states are reported in life-cycle order */
    const char *order[] = {"QUEUED", "PENDING", "RUNNING", "TERMINATING", "TERMINATED"};
    int last = -1;
    for (int i = 0; i < rec.n; i++)
        for (int k = 0; k < 5; k++)
            if (strcmp(rec.states[i], order[k]) == 0) {
                assert_true(k > last);
                last = k;
            }

    assert_int_equal(dbx_run_life_cycle_state(r), DBX_RUN_LIFE_CYCLE_TERMINATED);
    assert_string_equal(dbx_run_life_cycle_state_str(r), "TERMINATED");
    assert_int_equal(dbx_run_result_state(r), DBX_RUN_RESULT_SUCCESS);
    assert_string_equal(dbx_run_result_state_str(r), "SUCCESS");
    assert_string_equal(dbx_run_status_state(r), "TERMINATED");
    assert_string_equal(dbx_run_termination_code(r), "SUCCESS");
    assert_string_equal(dbx_run_termination_type(r), "SUCCESS");
    assert_true(dbx_run_id(r) == started.run_id);
    assert_true(dbx_run_job_id(r) == id);
    assert_true(dbx_run_number_in_job(r) == started.number_in_job);
    assert_string_equal(dbx_run_name(r), "params");
    assert_string_equal(dbx_run_type(r), "JOB_RUN");
    assert_true(dbx_run_start_time(r) > 0);
    assert_true(dbx_run_end_time(r) >= dbx_run_start_time(r));
    assert_true(dbx_run_run_duration(r) > 0);
    assert_true(dbx_run_setup_duration(r) >= 0 && dbx_run_execution_duration(r) >= 0 &&
                dbx_run_cleanup_duration(r) >= 0 && dbx_run_queue_duration(r) >= 0);
    assert_true(*dbx_run_page_url(r));
    assert_int_equal(dbx_run_task_count(r), 2);
    assert_string_equal(dbx_run_task_key(r, 0), "a");
    assert_string_equal(dbx_run_task_life_cycle_state(r, 1), "TERMINATED");
    assert_string_equal(dbx_run_task_result_state(r, 1), "SUCCESS");
    assert_non_null(dbx_run_task_state_message(r, 1));
    assert_null(dbx_run_task_key(r, 2));
    assert_null(dbx_run_task_life_cycle_state(r, 2));
    assert_true(dbx_run_task_run_id_by_key(r, "b") == dbx_run_task_run_id(r, 1));
    assert_true(dbx_run_task_run_id_by_key(r, "zz") == 0);
    assert_string_equal(dbx_run_job_parameter(r, "env"), "prod");
    assert_string_equal(dbx_run_job_parameter(r, "day"), "mon");
    assert_null(dbx_run_job_parameter(r, "nope"));
    assert_non_null(strstr(dbx_run_json(r), "\"run_id\""));
    assert_non_null(dbx_run_jansson(r));
    dbx_run_free(r);

    /* waiting on a finished run returns at once; NULL out is fine */
    assert_int_equal(dbx_jobs_wait_run(NULL, C, started.run_id, NULL), DBX_OK);

    /* the output of a notebook task run */
    r = get_run(started.run_id);
    dbx_run_output *out = NULL;
    assert_int_equal(dbx_jobs_get_run_output(&out, C, dbx_run_task_run_id(r, 0)), DBX_OK);
    req = emu_last_request(e, API "/runs/get-output");
    char tid[32];
    snprintf(tid, sizeof tid, "%lld", (long long)dbx_run_task_run_id(r, 0));
    assert_string_equal(emu_req_query(req, "run_id"), tid);
    json_decref(req);
    assert_true(dbx_run_output_run_id(out) == dbx_run_task_run_id(r, 0));
    assert_string_equal(dbx_run_output_result_state(out), "SUCCESS");
    assert_string_equal(dbx_run_output_error(out), "");
    assert_int_equal(dbx_run_output_notebook_truncated(out), 0);
    assert_non_null(strstr(dbx_run_output_metadata_json(out), "\"task_key\""));
    assert_non_null(dbx_run_output_json(out));
    dbx_run_output_free(out);
    /* the parent of a multi-task run has no output of its own */
    out = (dbx_run_output *)1;
    assert_int_equal(dbx_jobs_get_run_output(&out, C, started.run_id), DBX_EINVALIDPARAM);
    assert_null(out);
    dbx_run_free(r);
}

static void test_run_now_options(void **state)
{
    (void)state;
    emu *e = emu_get();
    /* a job without job parameters takes the legacy task parameters */
    int64_t id = create_from("{\"name\":\"legacy\",\"max_concurrent_runs\":1,\"tasks\":["
                             "{\"task_key\":\"nb\",\"notebook_task\":{\"notebook_path\":\"/nb\"}},"
                             "{\"task_key\":\"py\",\"spark_python_task\":{\"python_file\":\"/py.py\"}}]}");
    dbx_jobs_run_now_options o = DBX_JOBS_RUN_NOW_OPTIONS_INIT;
    const char *only[] = {"py", NULL};
    const char *nb[] = {"k", "v", NULL};
    const char *py[] = {"--flag", "x", NULL};
    o.only = only;
    o.queue = 1;
    o.notebook_params = nb;
    o.python_params = py;
    dbx_run_started started;
    assert_int_equal(dbx_jobs_run_now(&started, C, id, &o), DBX_OK);
    json_t *req = emu_last_request(e, API "/run-now");
    assert_string_equal(json_string_value(json_array_get(emu_req_json(req, "only"), 0)), "py");
    assert_int_equal(json_array_size(emu_req_json(req, "only")), 1);
    assert_true(json_is_true(json_object_get(emu_req_json(req, "queue"), "enabled")));
    assert_string_equal(json_string_value(json_object_get(emu_req_json(req, "notebook_params"), "k")), "v");
    assert_string_equal(json_string_value(json_array_get(emu_req_json(req, "python_params"), 1)), "x");
    assert_null(emu_req_json(req, "job_parameters"));
    json_decref(req);
    /* only "py" runs: "nb" is there, EXCLUDED */
    dbx_run *r = get_run(started.run_id);
    assert_int_equal(dbx_run_task_count(r), 2);
    assert_string_equal(dbx_run_task_key(r, 0), "nb");
    assert_string_equal(dbx_run_task_result_state(r, 0), "EXCLUDED");
    assert_string_not_equal(dbx_run_task_result_state(r, 1), "EXCLUDED");
    dbx_run_free(r);
    /* queue disabled is sent as false: the second run is skipped, not queued */
    o = (dbx_jobs_run_now_options)DBX_JOBS_RUN_NOW_OPTIONS_INIT;
    o.queue = 2;
    assert_int_equal(dbx_jobs_run_now(&started, C, id, &o), DBX_OK);
    req = emu_last_request(e, API "/run-now");
    assert_true(json_is_false(json_object_get(emu_req_json(req, "queue"), "enabled")));
    json_decref(req);
    recorder rec = {0};
    assert_int_equal(wait_run(&r, started.run_id, &rec), DBX_ESTATE);
    assert_int_equal(dbx_run_life_cycle_state(r), DBX_RUN_LIFE_CYCLE_SKIPPED);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "SKIPPED"));
    dbx_run_free(r);
    emu_advance(e, 60000);
}

static void test_failed_task_output_and_repair(void **state)
{
    (void)state;
    emu *e = emu_get();
    int64_t id = create_from("{\"name\":\"flaky\",\"tasks\":["
                             "{\"task_key\":\"extract\",\"spark_python_task\":{\"python_file\":\"/extract.py\"}},"
                             "{\"task_key\":\"load\",\"depends_on\":[{\"task_key\":\"extract\"}],"
                             "\"notebook_task\":{\"notebook_path\":\"/load\"}}]}");
    set_outcomes("{\"rules\":[{\"match\":\"extract\",\"result_state\":\"FAILED\","
                 "\"state_message\":\"extract blew up\",\"logs\":\"reading s3://b/x\\n\","
                 "\"error\":\"ValueError: bad row 17\",\"error_trace\":\"Traceback (most recent call last):\\n  x\"}]}");
    int64_t run_id = run_now(id);
    recorder rec = {0};
    dbx_run *r = NULL;
    assert_int_equal(wait_run(&r, run_id, &rec), DBX_ESTATE);
    assert_non_null(r); /* last snapshot */
    const dbx_error *err = dbx_client_last_error(C);
    assert_int_equal(err->status, DBX_ESTATE);
    assert_non_null(strstr(err->message, "FAILED"));
    assert_non_null(strstr(err->message, "TERMINATED"));
    assert_non_null(strstr(err->message, "RUN_EXECUTION_ERROR"));
    assert_int_equal(dbx_run_result_state(r), DBX_RUN_RESULT_FAILED);
    assert_true(*dbx_run_state_message(r));
    assert_non_null(strstr(err->message, dbx_run_state_message(r)));
    assert_string_equal(dbx_run_task_result_state(r, 0), "FAILED");
    assert_string_equal(dbx_run_task_state_message(r, 0), "extract blew up");
    assert_string_equal(dbx_run_task_result_state(r, 1), "UPSTREAM_FAILED");

    dbx_run_output *out = NULL;
    assert_int_equal(dbx_jobs_get_run_output(&out, C, dbx_run_task_run_id_by_key(r, "extract")), DBX_OK);
    assert_string_equal(dbx_run_output_error(out), "ValueError: bad row 17");
    assert_non_null(strstr(dbx_run_output_error_trace(out), "Traceback"));
    assert_string_equal(dbx_run_output_logs(out), "reading s3://b/x\n");
    assert_int_equal(dbx_run_output_logs_truncated(out), 0);
    assert_string_equal(dbx_run_output_result_state(out), "FAILED");
    dbx_run_output_free(out);
    dbx_run_free(r);

    /* repair: the failure is gone, rerun the failed tasks (and their dependents) */
    json_decref(emu_ctl(e, "DELETE", "/__emulator/jobs/task-outcomes", NULL));
    dbx_jobs_repair_options ro = DBX_JOBS_REPAIR_OPTIONS_INIT;
    ro.rerun_all_failed_tasks = 1;
    ro.rerun_dependent_tasks = 1;
    int64_t repair_id = 0;
    assert_int_equal(dbx_jobs_repair_run(&repair_id, C, run_id, &ro), DBX_OK);
    assert_true(repair_id > 0);
    json_t *req = emu_last_request(e, API "/runs/repair");
    assert_true(req_int(req, "run_id") == run_id);
    assert_true(json_is_true(emu_req_json(req, "rerun_all_failed_tasks")));
    assert_true(json_is_true(emu_req_json(req, "rerun_dependent_tasks")));
    assert_null(emu_req_json(req, "rerun_tasks"));
    json_decref(req);
    memset(&rec, 0, sizeof rec);
    assert_int_equal(wait_run(&r, run_id, &rec), DBX_OK);
    assert_int_equal(dbx_run_result_state(r), DBX_RUN_RESULT_SUCCESS);
    assert_string_equal(dbx_run_task_result_state(r, 1), "SUCCESS");
    dbx_run_free(r);

    /* a second repair names the tasks and the latest repair */
    ro = (dbx_jobs_repair_options)DBX_JOBS_REPAIR_OPTIONS_INIT;
    const char *again[] = {"load", NULL};
    ro.rerun_tasks = again;
    ro.latest_repair_id = repair_id;
    int64_t repair2 = 0;
    assert_int_equal(dbx_jobs_repair_run(&repair2, C, run_id, &ro), DBX_OK);
    assert_true(repair2 > 0 && repair2 != repair_id);
    req = emu_last_request(e, API "/runs/repair");
    assert_string_equal(json_string_value(json_array_get(emu_req_json(req, "rerun_tasks"), 0)), "load");
    assert_true(req_int(req, "latest_repair_id") == repair_id);
    json_decref(req);
    emu_advance(e, 60000);

    /* repair options are checked locally */
    ro = (dbx_jobs_repair_options)DBX_JOBS_REPAIR_OPTIONS_INIT;
    expect_local_einval(dbx_jobs_repair_run(NULL, C, run_id, &ro), C, "exactly one of rerun_tasks and rerun_all_failed_tasks");
    ro.rerun_tasks = again;
    ro.rerun_all_failed_tasks = 1;
    expect_local_einval(dbx_jobs_repair_run(NULL, C, run_id, &ro), C, "exactly one of");
    expect_local_einval(dbx_jobs_repair_run(NULL, C, run_id, NULL), C, "o is NULL");
    ro.rerun_all_failed_tasks = 0;
    assert_int_equal(dbx_jobs_repair_run(NULL, C, 999999, &ro), DBX_ENOTFOUND);
}

static void test_outcome_states_of_the_waiter(void **state)
{
    (void)state;
    /* TIMEDOUT, and a failure allowed by run_if (SUCCESS_WITH_FAILURES?) */
    int64_t id = create_simple("timeouts");
    set_outcomes("{\"rules\":[{\"match\":\"/Shared/timeouts\",\"result_state\":\"TIMEDOUT\","
                 "\"state_message\":\"took too long\"}]}");
    int64_t run_id = run_now(id);
    recorder rec = {0};
    dbx_run *r = NULL;
    assert_int_equal(wait_run(&r, run_id, &rec), DBX_ESTATE);
    assert_int_equal(dbx_run_result_state(r), DBX_RUN_RESULT_TIMEDOUT);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "TIMEDOUT"));
    dbx_run_free(r);

    /* cancellation by on_poll: DBX_ECANCELLED with the snapshot, the run goes on */
    json_decref(emu_ctl(emu_get(), "DELETE", "/__emulator/jobs/task-outcomes", NULL));
    run_id = run_now(id);
    memset(&rec, 0, sizeof rec);
    rec.cancel_at = 2;
    rec.step = 100;
    assert_int_equal(wait_run(&r, run_id, &rec), DBX_ECANCELLED);
    assert_int_equal(rec.polls, 2);
    assert_non_null(r);
    assert_int_not_equal(dbx_run_life_cycle_state(r), DBX_RUN_LIFE_CYCLE_TERMINATED);
    dbx_run_free(r);

    /* the caller's deadline: DBX_ETIMEOUT with the last state */
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.timeout_ms = 2500;
    assert_int_equal(dbx_jobs_wait_run(&r, C, run_id, &w), DBX_ETIMEOUT);
    assert_non_null(r);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "last state"));
    dbx_run_free(r);
    w.timeout_ms = -1;
    expect_local_einval(dbx_jobs_wait_run(&r, C, run_id, &w), C, "timeout_ms must be >= 0");
    w.timeout_ms = 0;
    w.version = 7;
    expect_local_einval(dbx_jobs_wait_run(&r, C, run_id, &w), C, "version 7");
    /* without a deadline the waiter keeps going: a run whose task runs for 30 (virtual)
     * minutes, the emulator's clock moved 10 s per poll, so about 180 polls and as many
     * backoffs on the fake clock; real time (slow under valgrind) only shortens it a little */
    int64_t long_job = create_simple("no-deadline-long");
    set_outcomes("{\"rules\":[{\"match\":\"no-deadline-long\",\"result_state\":\"SUCCESS\","
                 "\"running_ms\":1800000}]}");
    run_id = run_now(long_job);
    memset(&rec, 0, sizeof rec);
    long before = fake_clock_slept_total();
    dbx_wait_options slow = DBX_WAIT_OPTIONS_INIT;
    slow.on_poll = record_and_advance;
    slow.payload = &rec;
    rec.step = 10000;
    assert_int_equal(dbx_jobs_wait_run(&r, C, run_id, &slow), DBX_OK);
    assert_true(rec.polls > 120);
    assert_true(fake_clock_slept_total() - before > 20L * 60 * 1000);
    dbx_run_free(r);
}

static void test_cancel_and_cancel_all(void **state)
{
    (void)state;
    emu *e = emu_get();
    int64_t id = create_simple("cancel-me");
    int64_t run_id = run_now(id);
    assert_int_equal(dbx_jobs_cancel_run(C, run_id), DBX_OK);
    json_t *req = emu_last_request(e, API "/runs/cancel");
    assert_true(req_int(req, "run_id") == run_id);
    json_decref(req);
    recorder rec = {0};
    dbx_run *r = NULL;
    assert_int_equal(wait_run(&r, run_id, &rec), DBX_ESTATE);
    assert_int_equal(dbx_run_result_state(r), DBX_RUN_RESULT_CANCELED);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "CANCELED"));
    dbx_run_free(r);

    /* cancel-all: every active run of the job */
    int64_t a = run_now(id), b = run_now(id);
    assert_int_equal(dbx_jobs_cancel_all_runs(C, id, 0), DBX_OK);
    req = emu_last_request(e, API "/runs/cancel-all");
    assert_true(req_int(req, "job_id") == id);
    assert_null(emu_req_json(req, "all_queued_runs"));
    json_decref(req);
    emu_advance(e, 5000);
    r = get_run(a);
    assert_int_equal(dbx_run_result_state(r), DBX_RUN_RESULT_CANCELED);
    dbx_run_free(r);
    r = get_run(b);
    assert_int_equal(dbx_run_result_state(r), DBX_RUN_RESULT_CANCELED);
    dbx_run_free(r);

    assert_int_equal(dbx_jobs_cancel_all_runs(C, 0, 1), DBX_OK);
    req = emu_last_request(e, API "/runs/cancel-all");
    assert_null(emu_req_json(req, "job_id"));
    assert_true(json_is_true(emu_req_json(req, "all_queued_runs")));
    json_decref(req);
    expect_local_einval(dbx_jobs_cancel_all_runs(C, 0, 0), C, "job_id (> 0) or all_queued_runs is required");
    assert_int_equal(dbx_jobs_cancel_run(C, 999999), DBX_ENOTFOUND);
}

static void test_queueing_and_runs_list(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_job_settings *s = settings_from("{\"name\":\"serial\",\"tasks\":[{\"task_key\":\"t\","
                                        "\"notebook_task\":{\"notebook_path\":\"/serial\"}}]}");
    assert_int_equal(dbx_job_settings_set_max_concurrent_runs(s, 1), DBX_OK);
    assert_int_equal(dbx_job_settings_set_queue(s, 1), DBX_OK);
    int64_t id = 0;
    assert_int_equal(dbx_jobs_create(&id, C, s), DBX_OK);
    dbx_job_settings_free(s);
    int64_t other = create_simple("other");

    int64_t first = run_now(id);
    emu_advance(e, 10);
    int64_t second = run_now(id);
    dbx_run *r = get_run(second);
    assert_int_equal(dbx_run_life_cycle_state(r), DBX_RUN_LIFE_CYCLE_QUEUED);
    assert_string_equal(dbx_run_status_state(r), "QUEUED");
    dbx_run_free(r);
    recorder rec = {0};
    assert_int_equal(wait_run(&r, first, &rec), DBX_OK);
    dbx_run_free(r);
    memset(&rec, 0, sizeof rec);
    assert_int_equal(wait_run(&r, second, &rec), DBX_OK);
    assert_true(dbx_run_queue_duration(r) > 0);
    int64_t second_start = dbx_run_start_time(r);
    dbx_run_free(r);

    /* one finished job run for `other`, two active runs of `id` */
    int64_t o1 = run_now(other);
    memset(&rec, 0, sizeof rec);
    assert_int_equal(wait_run(NULL, o1, &rec), DBX_OK);
    emu_advance(e, 10);
    int64_t third = run_now(id);
    emu_advance(e, 10);
    int64_t fourth = run_now(id);

    dbx_jobs_runs_list_options lo = DBX_JOBS_RUNS_LIST_OPTIONS_INIT;
    lo.job_id = id;
    lo.active_only = 1;
    dbx_runs_iter *it = NULL;
    emu_clear_requests(e);
    assert_int_equal(dbx_jobs_list_runs(&it, C, &lo), DBX_OK);
    const dbx_run *item;
    int64_t got[8];
    int n = 0;
    dbx_status st;
    while ((st = dbx_runs_iter_next(&item, it)) == DBX_OK && n < 8)
        got[n++] = dbx_run_id(item);
    assert_int_equal(st, DBX_DONE);
    dbx_runs_iter_free(it);
    assert_int_equal(n, 2);
    assert_true(got[0] == fourth && got[1] == third); /* most recent first */
    json_t *req = emu_last_request(e, API "/runs/list");
    char idtext[32];
    snprintf(idtext, sizeof idtext, "%lld", (long long)id);
    assert_string_equal(emu_req_query(req, "job_id"), idtext);
    assert_string_equal(emu_req_query(req, "active_only"), "true");
    assert_null(emu_req_query(req, "completed_only"));
    json_decref(req);

    /* completed only, all jobs, paged 1 at a time */
    lo = (dbx_jobs_runs_list_options)DBX_JOBS_RUNS_LIST_OPTIONS_INIT;
    lo.completed_only = 1;
    lo.limit = 1;
    lo.expand_tasks = 1;
    emu_clear_requests(e);
    assert_int_equal(dbx_jobs_list_runs(&it, C, &lo), DBX_OK);
    n = 0;
    while ((st = dbx_runs_iter_next(&item, it)) == DBX_OK && n < 8) {
        got[n++] = dbx_run_id(item);
        assert_int_equal(dbx_run_life_cycle_state(item), DBX_RUN_LIFE_CYCLE_TERMINATED);
        assert_int_equal(dbx_run_task_count(item), 1);
    }
    assert_int_equal(st, DBX_DONE);
    dbx_runs_iter_free(it);
    assert_int_equal(n, 3);
    assert_true(got[0] == o1 && got[1] == second && got[2] == first);
    assert_true(emu_count(e, API "/runs/list") >= 3);
    req = emu_last_request(e, API "/runs/list");
    assert_string_equal(emu_req_query(req, "completed_only"), "true");
    assert_string_equal(emu_req_query(req, "limit"), "1");
    assert_string_equal(emu_req_query(req, "expand_tasks"), "true");
    json_decref(req);

    /* a time window around the second run's start, job runs only */
    lo = (dbx_jobs_runs_list_options)DBX_JOBS_RUNS_LIST_OPTIONS_INIT;
    lo.start_time_from = second_start;
    lo.start_time_to = second_start;
    lo.run_type = "JOB_RUN";
    assert_int_equal(dbx_jobs_list_runs(&it, C, &lo), DBX_OK);
    n = 0;
    while ((st = dbx_runs_iter_next(&item, it)) == DBX_OK && n < 8)
        got[n++] = dbx_run_id(item);
    assert_int_equal(st, DBX_DONE);
    dbx_runs_iter_free(it);
    assert_int_equal(n, 1);
    assert_true(got[0] == second);
    req = emu_last_request(e, API "/runs/list");
    char t[32];
    snprintf(t, sizeof t, "%lld", (long long)second_start);
    assert_string_equal(emu_req_query(req, "start_time_from"), t);
    assert_string_equal(emu_req_query(req, "start_time_to"), t);
    assert_string_equal(emu_req_query(req, "run_type"), "JOB_RUN");
    json_decref(req);

    /* bad options */
    lo = (dbx_jobs_runs_list_options)DBX_JOBS_RUNS_LIST_OPTIONS_INIT;
    lo.active_only = lo.completed_only = 1;
    expect_local_einval(dbx_jobs_list_runs(&it, C, &lo), C, "active_only and completed_only are mutually exclusive");
    lo = (dbx_jobs_runs_list_options)DBX_JOBS_RUNS_LIST_OPTIONS_INIT;
    lo.start_time_from = 10;
    lo.start_time_to = 5;
    expect_local_einval(dbx_jobs_list_runs(&it, C, &lo), C, "start_time_from must be <= start_time_to");
    lo = (dbx_jobs_runs_list_options)DBX_JOBS_RUNS_LIST_OPTIONS_INIT;
    lo.limit = 25;
    expect_local_einval(dbx_jobs_list_runs(&it, C, &lo), C, "limit 0..24");
    lo = (dbx_jobs_runs_list_options)DBX_JOBS_RUNS_LIST_OPTIONS_INIT;
    lo.run_type = "NIGHTLY";
    expect_local_einval(dbx_jobs_list_runs(&it, C, &lo), C, "run_type must be");
    assert_int_equal(dbx_runs_iter_next(NULL, NULL), DBX_EINVAL);
    dbx_runs_iter_free(NULL);
    emu_advance(e, 60000);
}

static void test_submit_and_delete_run(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_job_settings *s = settings_from("{\"name\":\"adhoc\",\"timeout_seconds\":600,\"tasks\":["
                                        "{\"task_key\":\"x\",\"spark_python_task\":{\"python_file\":\"/adhoc.py\"},"
                                        "\"existing_cluster_id\":\"0101-abc\"}]}");
    dbx_run_started started;
    assert_int_equal(dbx_jobs_submit(&started, C, s, NULL), DBX_OK);
    assert_true(started.run_id > 0);
    assert_true(started.number_in_job == 0);
    assert_true(is_hex32(started.idempotency_token));
    json_t *req = emu_last_request(e, API "/runs/submit");
    assert_string_equal(req_str(req, "run_name"), "adhoc");
    assert_null(emu_req_json(req, "name"));
    assert_string_equal(req_str(req, "idempotency_token"), started.idempotency_token);
    assert_int_equal(json_array_size(emu_req_json(req, "tasks")), 1);
    assert_int_equal(req_int(req, "timeout_seconds"), 600);
    json_decref(req);
    recorder rec = {0};
    dbx_run *r = NULL;
    assert_int_equal(wait_run(&r, started.run_id, &rec), DBX_OK);
    assert_string_equal(dbx_run_type(r), "SUBMIT_RUN");
    assert_string_equal(dbx_run_name(r), "adhoc");
    dbx_run_free(r);

    /* run_name from the options, a caller token */
    dbx_jobs_submit_options so = DBX_JOBS_SUBMIT_OPTIONS_INIT;
    so.run_name = "named";
    so.idempotency_token = "my-token-1";
    assert_int_equal(dbx_jobs_submit(&started, C, s, &so), DBX_OK);
    assert_string_equal(started.idempotency_token, "my-token-1");
    req = emu_last_request(e, API "/runs/submit");
    assert_string_equal(req_str(req, "run_name"), "named");
    assert_string_equal(req_str(req, "idempotency_token"), "my-token-1");
    json_decref(req);
    int64_t named = started.run_id;
    /* the same token again: the same run, not a second one */
    assert_int_equal(dbx_jobs_submit(&started, C, s, &so), DBX_OK);
    assert_true(started.run_id == named);
    dbx_job_settings_free(s);

    /* what only a saved job has is refused for a one-time run */
    s = settings_from(MULTI);
    expect_local_einval(dbx_jobs_submit(&started, C, s, NULL), C, "$.job_clusters belongs to a saved job");
    assert_true(started.run_id == 0);
    dbx_job_settings_free(s);
    s = settings_from("{\"name\":\"empty\"}");
    expect_local_einval(dbx_jobs_submit(&started, C, s, NULL), C, "needs at least one task");
    dbx_job_settings_free(s);
    expect_local_einval(dbx_jobs_submit(&started, C, NULL, NULL), C, "spec is NULL");

    /* runs/delete: an active run cannot go, a finished one can */
    assert_int_equal(dbx_jobs_delete_run(C, named), DBX_EINVALIDSTATE);
    emu_advance(e, 60000);
    assert_int_equal(dbx_jobs_delete_run(C, named), DBX_OK);
    req = emu_last_request(e, API "/runs/delete");
    assert_true(req_int(req, "run_id") == named);
    json_decref(req);
    r = (dbx_run *)1;
    assert_int_equal(dbx_jobs_get_run(&r, C, named), DBX_ENOTFOUND);
    assert_null(r);
    assert_int_equal(dbx_jobs_delete_run(C, named), DBX_ENOTFOUND);
}

/* ---- no duplicate runs ----------------------------------------------------------------- */

/* How many runs the emulator has (all jobs), via runs/list. */
static int count_runs(int64_t job_id)
{
    dbx_jobs_runs_list_options lo = DBX_JOBS_RUNS_LIST_OPTIONS_INIT;
    lo.job_id = job_id;
    dbx_runs_iter *it = NULL;
    assert_int_equal(dbx_jobs_list_runs(&it, C, &lo), DBX_OK);
    const dbx_run *r;
    int n = 0;
    while (dbx_runs_iter_next(&r, it) == DBX_OK)
        n++;
    dbx_runs_iter_free(it);
    return n;
}

static void test_idempotent_retry_after_drop(void **state)
{
    (void)state;
    emu *e = emu_get();
    int64_t id = create_simple("once");

    /* the emulator starts the run, then drops the connection: the retry
     * carries the same token and gets the same run */
    emu_fault(e, "{\"path\":\"" API "/run-now\",\"action\":\"drop_after\"}");
    emu_clear_requests(e);
    dbx_run_started started;
    assert_int_equal(dbx_jobs_run_now(&started, C, id, NULL), DBX_OK);
    json_t *reqs = emu_requests_to(e, API "/run-now");
    assert_int_equal(json_array_size(reqs), 2);
    const char *t0 = req_str(json_array_get(reqs, 0), "idempotency_token");
    const char *t1 = req_str(json_array_get(reqs, 1), "idempotency_token");
    assert_non_null(t0);
    assert_string_equal(t0, t1);
    assert_string_equal(t0, started.idempotency_token);
    json_decref(reqs);
    assert_int_equal(count_runs(id), 1);
    dbx_run *r = get_run(started.run_id);
    assert_true(dbx_run_job_id(r) == id);
    dbx_run_free(r);

    /* a 503 before processing: retried with the same token, one run */
    emu_fault(e, "{\"path\":\"" API "/run-now\",\"action\":\"status\",\"status\":503}");
    emu_clear_requests(e);
    dbx_run_started again;
    assert_int_equal(dbx_jobs_run_now(&again, C, id, NULL), DBX_OK);
    reqs = emu_requests_to(e, API "/run-now");
    assert_int_equal(json_array_size(reqs), 2);
    assert_string_equal(req_str(json_array_get(reqs, 0), "idempotency_token"),
                        req_str(json_array_get(reqs, 1), "idempotency_token"));
    json_decref(reqs);
    assert_true(again.run_id != started.run_id);
    assert_int_equal(count_runs(id), 2);

    /* dropped twice, with the caller's token: retried twice, still one run */
    emu_fault(e, "{\"path\":\"" API "/run-now\",\"action\":\"drop_after\"}");
    emu_fault(e, "{\"path\":\"" API "/run-now\",\"action\":\"drop_after\"}");
    emu_clear_requests(e);
    dbx_jobs_run_now_options o = DBX_JOBS_RUN_NOW_OPTIONS_INIT;
    o.idempotency_token = "caller-chosen-token";
    assert_int_equal(dbx_jobs_run_now(&started, C, id, &o), DBX_OK);
    assert_string_equal(started.idempotency_token, "caller-chosen-token");
    reqs = emu_requests_to(e, API "/run-now");
    assert_int_equal(json_array_size(reqs), 3);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(req_str(json_array_get(reqs, i), "idempotency_token"), "caller-chosen-token");
    json_decref(reqs);
    assert_int_equal(count_runs(id), 3);
    /* the caller's token again (e.g. after a crash): the same run */
    dbx_run_started same;
    assert_int_equal(dbx_jobs_run_now(&same, C, id, &o), DBX_OK);
    assert_true(same.run_id == started.run_id);
    assert_int_equal(count_runs(id), 3);

    /* submit, the same way */
    dbx_job_settings *s = settings_from("{\"tasks\":[{\"task_key\":\"x\",\"notebook_task\":{\"notebook_path\":\"/once\"}}]}");
    emu_fault(e, "{\"path\":\"" API "/runs/submit\",\"action\":\"drop_after\"}");
    emu_clear_requests(e);
    assert_int_equal(dbx_jobs_submit(&started, C, s, NULL), DBX_OK);
    reqs = emu_requests_to(e, API "/runs/submit");
    assert_int_equal(json_array_size(reqs), 2);
    assert_string_equal(req_str(json_array_get(reqs, 0), "idempotency_token"), started.idempotency_token);
    assert_string_equal(req_str(json_array_get(reqs, 1), "idempotency_token"), started.idempotency_token);
    json_decref(reqs);
    dbx_jobs_runs_list_options lo = DBX_JOBS_RUNS_LIST_OPTIONS_INIT;
    lo.run_type = "SUBMIT_RUN";
    dbx_runs_iter *it = NULL;
    assert_int_equal(dbx_jobs_list_runs(&it, C, &lo), DBX_OK);
    const dbx_run *item;
    int n = 0;
    while (dbx_runs_iter_next(&item, it) == DBX_OK)
        n++;
    dbx_runs_iter_free(it);
    assert_int_equal(n, 1);
    dbx_job_settings_free(s);

    /* a token that is too long or not printable: before any I/O */
    char longtok[80];
    memset(longtok, 'a', 65);
    longtok[65] = '\0';
    o.idempotency_token = longtok;
    expect_local_einval(dbx_jobs_run_now(&started, C, id, &o), C, "idempotency_token must be 1..64");
    assert_true(started.run_id == 0);
    o.idempotency_token = "tab\there";
    expect_local_einval(dbx_jobs_run_now(&started, C, id, &o), C, "idempotency_token");
    longtok[64] = '\0'; /* exactly 64 is fine */
    o.idempotency_token = longtok;
    assert_int_equal(dbx_jobs_run_now(&started, C, id, &o), DBX_OK);
    emu_advance(e, 60000);
}

/* ---- bad input and unknown ids --------------------------------------------------------- */

static void test_bad_input_and_unknown_ids(void **state)
{
    (void)state;
    dbx_run_started started;
    int64_t jid = 0;
    dbx_job *job = NULL;
    dbx_run *run = NULL;
    dbx_run_output *out = NULL;
    dbx_job_settings *s = settings_from("{\"tasks\":[{\"task_key\":\"x\",\"notebook_task\":{\"notebook_path\":\"/x\"}}]}");

    expect_local_einval(dbx_jobs_create(NULL, C, s), C, "job_id is NULL");
    expect_local_einval(dbx_jobs_create(&jid, C, NULL), C, "settings is NULL");
    assert_int_equal(dbx_jobs_create(&jid, NULL, s), DBX_EINVAL);
    expect_local_einval(dbx_jobs_get(&job, C, 0), C, "job_id must be > 0");
    expect_local_einval(dbx_jobs_get(NULL, C, 1), C, "out is NULL");
    expect_local_einval(dbx_jobs_delete(C, -4), C, "job_id must be > 0");
    expect_local_einval(dbx_jobs_run_now(&started, C, 0, NULL), C, "job_id must be > 0");
    expect_local_einval(dbx_jobs_run_now(NULL, C, 1, NULL), C, "started is NULL");
    dbx_jobs_run_now_options o = DBX_JOBS_RUN_NOW_OPTIONS_INIT;
    const char *odd[] = {"env", NULL};
    o.job_parameters = odd;
    expect_local_einval(dbx_jobs_run_now(&started, C, 1, &o), C, "job_parameters has a name without a value (env)");
    const char *badname[] = {"a b", "x", NULL};
    o.job_parameters = badname;
    expect_local_einval(dbx_jobs_run_now(&started, C, 1, &o), C, "job_parameters name \"a b\"");
    o.job_parameters = NULL;
    o.queue = 3;
    expect_local_einval(dbx_jobs_run_now(&started, C, 1, &o), C, "queue must be");
    o.queue = 0;
    o.version = 0;
    expect_local_einval(dbx_jobs_run_now(&started, C, 1, &o), C, "version 0");
    expect_local_einval(dbx_jobs_get_run(&run, C, 0), C, "run_id must be > 0");
    expect_local_einval(dbx_jobs_get_run_output(&out, C, -1), C, "run_id must be > 0");
    expect_local_einval(dbx_jobs_cancel_run(C, 0), C, "run_id must be > 0");
    expect_local_einval(dbx_jobs_delete_run(C, 0), C, "run_id must be > 0");
    expect_local_einval(dbx_jobs_wait_run(&run, C, 0, NULL), C, "run_id must be > 0");

    /* the server refuses what only it can check, with the real codes */
    dbx_job_settings *bad_cluster = settings_from("{\"tasks\":[{\"task_key\":\"x\",\"notebook_task\":"
                                                  "{\"notebook_path\":\"/x\"}}]}");
    assert_int_equal(dbx_jobs_create(&jid, C, bad_cluster), DBX_OK);
    dbx_job_settings_free(bad_cluster);
    o = (dbx_jobs_run_now_options)DBX_JOBS_RUN_NOW_OPTIONS_INIT;
    const char *undefined[] = {"not_defined", "1", NULL};
    o.job_parameters = undefined;
    assert_int_equal(dbx_jobs_run_now(&started, C, jid, &o), DBX_EINVALIDPARAM);
    assert_string_equal(dbx_client_last_error(C)->error_code, "INVALID_PARAMETER_VALUE");
    assert_true(is_hex32(started.idempotency_token)); /* kept for a retry */

    /* unknown ids: DBX_ENOTFOUND everywhere, the message names the id */
    const int64_t missing = 123456789;
    assert_int_equal(dbx_jobs_get(&job, C, missing), DBX_ENOTFOUND);
    assert_null(job);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "123456789"));
    assert_string_equal(dbx_client_last_error(C)->error_code, "INVALID_PARAMETER_VALUE");
    assert_int_equal(dbx_jobs_run_now(&started, C, missing, NULL), DBX_ENOTFOUND);
    assert_true(started.run_id == 0);
    assert_int_equal(dbx_jobs_delete(C, missing), DBX_ENOTFOUND);
    assert_int_equal(dbx_jobs_get_run(&run, C, missing), DBX_ENOTFOUND);
    assert_null(run);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "123456789"));
    assert_int_equal(dbx_jobs_get_run_output(&out, C, missing), DBX_ENOTFOUND);
    assert_null(out);
    assert_int_equal(dbx_jobs_delete_run(C, missing), DBX_ENOTFOUND);
    assert_int_equal(dbx_jobs_wait_run(&run, C, missing, NULL), DBX_ENOTFOUND);
    assert_null(run);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "waiting for run 123456789"));
    assert_int_equal(dbx_jobs_cancel_all_runs(C, missing, 0), DBX_ENOTFOUND);

    /* enum names */
    assert_string_equal(dbx_run_life_cycle_state_name(DBX_RUN_LIFE_CYCLE_WAITING_FOR_RETRY), "WAITING_FOR_RETRY");
    assert_string_equal(dbx_run_life_cycle_state_name((dbx_run_life_cycle_state_t)99), "UNKNOWN");
    assert_string_equal(dbx_run_result_state_name(DBX_RUN_RESULT_NONE), "");
    assert_string_equal(dbx_run_result_state_name(DBX_RUN_RESULT_UPSTREAM_CANCELED), "UPSTREAM_CANCELED");
    assert_string_equal(dbx_run_result_state_name((dbx_run_result_state_t)-3), "UNKNOWN");
    /* accessors on NULL */
    assert_string_equal(dbx_job_name(NULL), "");
    assert_true(dbx_run_id(NULL) == 0);
    assert_string_equal(dbx_run_result_state_str(NULL), "");
    assert_int_equal(dbx_run_result_state(NULL), DBX_RUN_RESULT_NONE);
    assert_int_equal(dbx_run_task_count(NULL), 0);
    assert_null(dbx_run_json(NULL));
    assert_string_equal(dbx_run_output_logs(NULL), "");
    dbx_job_free(NULL);
    dbx_run_free(NULL);
    dbx_run_output_free(NULL);
    dbx_job_settings_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_settings_from_json_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_builders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_get_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_follows_task_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_by_name_and_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_and_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_now_and_wait_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_now_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_task_output_and_repair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outcome_states_of_the_waiter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_and_cancel_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queueing_and_runs_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_submit_and_delete_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idempotent_retry_after_drop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_and_unknown_ids, setup, teardown),
    };
    return cmocka_run_group_tests_name("jobs", tests, NULL, NULL);
}
