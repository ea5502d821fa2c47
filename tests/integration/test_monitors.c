/*
 * Quality monitors against the emulator over HTTP: every public function of
 * include/dbx/monitors.h, asserting on the request libdbx sent (from the
 * emulator's request log) and on the result. The monitored tables are made
 * through statement execution; refreshes run on the emulator's virtual
 * clock and waits on libdbx's fake clock: nothing really sleeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define WH "5eedc0ffee000001"
#define STMTS "/api/2.0/sql/statements"
#define UC "/api/2.1/unity-catalog/tables/"
#define T "main.default.scores"
#define TB "main.default.scores_base"
#define MON UC T "/monitor"

static dbx_client *C;

static int setup(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_reset(e);
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

#define OK(expr)                                                                                    \
    do {                                                                                            \
        dbx_status rc_ = (expr);                                                                    \
        if (rc_ != DBX_OK)                                                                          \
            fail_msg("%s: %s: %s", #expr, dbx_status_name(rc_), dbx_client_last_error(C)->message); \
    } while (0)

#define OKN(expr)                                                                                      \
    do {                                                                                               \
        dbx_status rc_ = (expr);                                                                       \
        if (rc_ != DBX_OK)                                                                             \
            fail_msg("%s: %s: %s", #expr, dbx_status_name(rc_), dbx_client_last_error(NULL)->message); \
    } while (0)

/* A call that must fail before any I/O: DBX_EINVAL naming `needle`, and no request. */
#define expect_local_einval(call, owner, needle) expect_local_einval_at((call), (owner), (needle), #call, __LINE__)

static void expect_local_einval_at(dbx_status st, const dbx_client *owner, const char *needle, const char *what,
                                   int line)
{
    const dbx_error *err = dbx_client_last_error(owner);
    size_t sent = emu_count(emu_get(), NULL);
    if (st != DBX_EINVAL || err->status != DBX_EINVAL || !strstr(err->message, needle) || sent != 0)
        fail_msg("line %d: %s: %s, last error %s \"%s\"; want DBX_EINVAL naming \"%s\" and no request (%zu sent)",
                 line, what, dbx_status_name(st), dbx_status_name(err->status), err->message, needle, sent);
}

static void sql(const char *text)
{
    dbx_sql_statement *st = NULL;
    OK(dbx_sql_run(&st, C, WH, text, NULL, NULL, NULL));
    dbx_sql_statement_free(st);
}

/* ---- data ----------------------------------------------------------------------------------- */

static uint64_t rng_state;

static double rnd(void) /* uniform in (0, 1) */
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(double mean, double sd) /* Irwin-Hall: the sum of 12 uniforms, less 6 (no libm) */
{
    double z = -6.0;
    for (int i = 0; i < 12; i++)
        z += rnd();
    return mean + sd * z;
}

static double dabs(double x) { return x < 0 ? -x : x; }

/* `n` rows on day `day` of March 2024: amount N(50 + shift, 10); channel web with
 * probability p_web else pos; score N(0, 1) and region a/b/c uniform (never shifted);
 * prediction / label 0/1 (label = prediction for 3 rows in 4). */
static void insert_rows(const char *table, int day, int n, double shift, double p_web)
{
    size_t cap = 64 + (size_t)n * 160;
    char *q = malloc(cap);
    assert_non_null(q);
    for (int start = 0; start < n; start += 300) {
        size_t len = (size_t)snprintf(q, cap, "INSERT INTO %s VALUES ", table);
        for (int k = start; k < n && k < start + 300; k++) {
            int pred = rnd() < 0.5;
            int label = (k % 4) ? pred : !pred;
            len += (size_t)snprintf(q + len, cap - len, "%s('2024-03-%02d %02d:%02d:%02d', 'v1', %.6f, '%s', %.6f, '%c', %d, %d)",
                                    k > start ? ", " : "", day, k % 24, k % 60, k % 59, gauss(50.0 + shift, 10.0),
                                    rnd() < p_web ? "web" : "pos", gauss(0.0, 1.0), "abc"[(int)(rnd() * 3)], pred,
                                    label);
        }
        sql(q);
    }
    free(q);
}

#define COLS "(ts TIMESTAMP, model_version STRING, amount DOUBLE, channel STRING, score DOUBLE, region STRING, " \
             "prediction BIGINT, label BIGINT)"

static void make_tables(int rows_per_day)
{
    sql("CREATE SCHEMA IF NOT EXISTS main.mon");
    sql("CREATE TABLE " T " " COLS);
    sql("CREATE TABLE " TB " " COLS);
    rng_state = 20240301;
    insert_rows(TB, 1, rows_per_day, 0.0, 0.7);
    insert_rows(T, 2, rows_per_day, 0.0, 0.7);  /* like the baseline */
    insert_rows(T, 3, rows_per_day, 15.0, 0.3); /* amount +1.5 sd, channel mix flipped */
}

static dbx_monitor_spec *inference_spec(void)
{
    dbx_monitor_spec *s = NULL;
    OKN(dbx_monitor_spec_new(&s));
    OKN(dbx_monitor_spec_set_assets_dir(s, "/Workspace/Users/me/monitors/scores"));
    OKN(dbx_monitor_spec_set_output_schema(s, "main.mon"));
    OKN(dbx_monitor_spec_set_inference_log(s, DBX_MONITOR_PROBLEM_CLASSIFICATION, "ts", "prediction",
                                           "model_version", "label", NULL));
    OKN(dbx_monitor_spec_add_granularity(s, "1 day"));
    OKN(dbx_monitor_spec_set_baseline_table(s, TB));
    return s;
}

static dbx_monitor *create_monitor(void)
{
    dbx_monitor_spec *s = inference_spec();
    dbx_monitor *m = NULL;
    OK(dbx_monitor_create(&m, C, T, s));
    dbx_monitor_spec_free(s);
    return m;
}

/* ---- spec ----------------------------------------------------------------------------------- */

static void test_spec_builder(void **state)
{
    (void)state;
    dbx_monitor_spec *s = inference_spec();
    OKN(dbx_monitor_spec_add_granularity(s, "1 hour"));
    OKN(dbx_monitor_spec_add_granularity(s, "1 day")); /* repeated: ignored */
    OKN(dbx_monitor_spec_add_slicing_expr(s, "channel"));
    OKN(dbx_monitor_spec_set_schedule(s, "0 0 * * * ?", "UTC", 1));
    OKN(dbx_monitor_spec_add_failure_email(s, "ops@example.com"));
    OKN(dbx_monitor_spec_set_warehouse_id(s, WH));
    OKN(dbx_monitor_spec_set_skip_builtin_dashboard(s, 1));
    OKN(dbx_monitor_spec_set_custom_metrics_json(
        s, "[{\"name\":\"big\",\"definition\":\"avg(amount > 10)\",\"input_columns\":[\":table\"],"
           "\"output_data_type\":\"double\",\"type\":\"CUSTOM_METRIC_TYPE_AGGREGATE\"}]"));
    char *js = NULL;
    OKN(dbx_monitor_spec_to_json(&js, s));
    json_t *j = json_loads(js, 0, NULL);
    assert_non_null(j);
    json_t *il = json_object_get(j, "inference_log");
    assert_string_equal(json_string_value(json_object_get(il, "problem_type")), "PROBLEM_TYPE_CLASSIFICATION");
    assert_string_equal(json_string_value(json_object_get(il, "label_col")), "label");
    assert_null(json_object_get(il, "prediction_proba_col"));
    assert_int_equal(json_array_size(json_object_get(il, "granularities")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(il, "granularities"), 1)), "1 hour");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "schedule"), "pause_status")), "PAUSED");
    assert_string_equal(
        json_string_value(json_array_get(
            json_object_get(json_object_get(json_object_get(j, "notifications"), "on_failure"), "email_addresses"), 0)),
        "ops@example.com");
    assert_true(json_is_true(json_object_get(j, "skip_builtin_dashboard")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "custom_metrics"), 0),
                                                          "name")),
                        "big");
    json_decref(j);
    dbx_free(js);

    /* switching the profile keeps the granularities; snapshot drops them */
    OKN(dbx_monitor_spec_set_time_series(s, "ts"));
    OKN(dbx_monitor_spec_to_json(&js, s));
    assert_non_null(strstr(js, "\"time_series\":{\"timestamp_col\":\"ts\",\"granularities\":[\"1 day\",\"1 hour\"]}"));
    assert_null(strstr(js, "inference_log"));
    dbx_free(js);
    OKN(dbx_monitor_spec_set_snapshot(s));
    OKN(dbx_monitor_spec_to_json(&js, s));
    assert_non_null(strstr(js, "\"snapshot\":{}"));
    assert_null(strstr(js, "granularities"));
    dbx_free(js);

    /* local refusals */
    expect_local_einval(dbx_monitor_spec_add_granularity(s, "1 day"), NULL, "set it first");
    OKN(dbx_monitor_spec_set_time_series(s, "ts"));
    expect_local_einval(dbx_monitor_spec_add_granularity(s, "2 days"), NULL, "\"2 days\" is not one of");
    expect_local_einval(dbx_monitor_spec_set_output_schema(s, "main"), NULL, "catalog.schema");
    expect_local_einval(dbx_monitor_spec_set_baseline_table(s, "main..t"), NULL, "catalog.schema.table");
    expect_local_einval(dbx_monitor_spec_set_inference_log(s, DBX_MONITOR_PROBLEM_UNKNOWN, "ts", "p", "m", NULL, NULL),
                        NULL, "problem");
    expect_local_einval(dbx_monitor_spec_set_inference_log(s, DBX_MONITOR_PROBLEM_REGRESSION, "ts", "", "m", NULL, NULL),
                        NULL, "prediction_col");
    expect_local_einval(dbx_monitor_spec_set_custom_metrics_json(s, "{\"name\":1}"), NULL, "array of objects");
    expect_local_einval(dbx_monitor_spec_set_schedule(s, "", "UTC", 0), NULL, "quartz_cron_expression");
    dbx_monitor_spec_free(s);

    dbx_monitor_spec *f = NULL;
    expect_local_einval(dbx_monitor_spec_from_json(&f, "{\"snapshot\":{},\"time_series\":{\"timestamp_col\":\"ts\","
                                                       "\"granularities\":[\"1 day\"]}}"),
                        NULL, "only one of");
    assert_null(f);
    expect_local_einval(dbx_monitor_spec_from_json(&f, "{\"time_series\":{\"timestamp_col\":\"ts\","
                                                       "\"granularities\":[\"1 days\"]}}"),
                        NULL, "time_series.granularities[0]");
    expect_local_einval(dbx_monitor_spec_from_json(&f, "{\"inference_log\":{\"problem_type\":\"CLASSIFICATION\","
                                                       "\"timestamp_col\":\"ts\",\"granularities\":[\"1 day\"]}}"),
                        NULL, "problem_type");
    expect_local_einval(dbx_monitor_spec_from_json(&f, "{\"schedule\":{\"quartz_cron_expression\":\"x\","
                                                       "\"timezone_id\":\"UTC\",\"pause_status\":\"STOPPED\"}}"),
                        NULL, "pause_status");
    expect_local_einval(dbx_monitor_spec_from_json(&f, "[1"), NULL, "not valid JSON");
    OKN(dbx_monitor_spec_from_json(&f, "{\"output_schema_name\":\"main.mon\",\"snapshot\":{},\"future_field\":7}"));
    OKN(dbx_monitor_spec_to_json(&js, f));
    assert_non_null(strstr(js, "\"future_field\":7"));
    dbx_free(js);
    dbx_monitor_spec_free(f);

    assert_true(dbx_monitor_granularity_valid("4 weeks"));
    assert_false(dbx_monitor_granularity_valid("1 minute"));
    assert_string_equal(dbx_monitor_status_name(DBX_MONITOR_STATUS_ACTIVE), "MONITOR_STATUS_ACTIVE");
    assert_string_equal(dbx_monitor_refresh_state_name(DBX_MONITOR_REFRESH_CANCELED), "CANCELED");
    assert_string_equal(dbx_monitor_problem_type_name(DBX_MONITOR_PROBLEM_REGRESSION), "PROBLEM_TYPE_REGRESSION");
    assert_string_equal(dbx_monitor_profile_type_name(DBX_MONITOR_PROFILE_TIME_SERIES), "time_series");
    assert_string_equal(dbx_monitor_drift_type_name(DBX_MONITOR_DRIFT_BASELINE), "BASELINE");
    assert_string_equal(dbx_monitor_status_name((dbx_monitor_status_t)99), "UNKNOWN");
}

/* ---- CRUD ----------------------------------------------------------------------------------- */

static void test_create_get_update_delete(void **state)
{
    (void)state;
    emu *e = emu_get();
    make_tables(20);
    emu_clear_requests(e);
    dbx_monitor *m = create_monitor();

    json_t *req = emu_last_request(e, MON);
    assert_non_null(req);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "POST");
    assert_string_equal(json_string_value(emu_req_json(req, "assets_dir")), "/Workspace/Users/me/monitors/scores");
    assert_string_equal(json_string_value(emu_req_json(req, "output_schema_name")), "main.mon");
    assert_string_equal(json_string_value(emu_req_json(req, "baseline_table_name")), TB);
    json_t *il = emu_req_json(req, "inference_log");
    assert_string_equal(json_string_value(json_object_get(il, "model_id_col")), "model_version");
    assert_string_equal(json_string_value(json_array_get(json_object_get(il, "granularities"), 0)), "1 day");
    json_decref(req);

    assert_string_equal(dbx_monitor_table_name(m), T);
    assert_int_equal(dbx_monitor_status(m), DBX_MONITOR_STATUS_PENDING);
    assert_string_equal(dbx_monitor_status_str(m), "MONITOR_STATUS_PENDING");
    assert_int_equal(dbx_monitor_version(m), 0);
    assert_int_equal(dbx_monitor_profile_type(m), DBX_MONITOR_PROFILE_INFERENCE_LOG);
    assert_int_equal(dbx_monitor_problem_type(m), DBX_MONITOR_PROBLEM_CLASSIFICATION);
    assert_string_equal(dbx_monitor_problem_type_str(m), "PROBLEM_TYPE_CLASSIFICATION");
    assert_string_equal(dbx_monitor_timestamp_col(m), "ts");
    assert_string_equal(dbx_monitor_prediction_col(m), "prediction");
    assert_string_equal(dbx_monitor_label_col(m), "label");
    assert_string_equal(dbx_monitor_model_id_col(m), "model_version");
    assert_string_equal(dbx_monitor_prediction_proba_col(m), "");
    assert_int_equal(dbx_monitor_granularity_count(m), 1);
    assert_string_equal(dbx_monitor_granularity(m, 0), "1 day");
    assert_string_equal(dbx_monitor_granularity(m, 1), "");
    assert_string_equal(dbx_monitor_profile_metrics_table_name(m), "main.mon.scores_profile_metrics");
    assert_string_equal(dbx_monitor_drift_metrics_table_name(m), "main.mon.scores_drift_metrics");
    assert_string_equal(dbx_monitor_assets_dir(m), "/Workspace/Users/me/monitors/scores");
    assert_string_equal(dbx_monitor_output_schema_name(m), "main.mon");
    assert_string_equal(dbx_monitor_baseline_table_name(m), TB);
    assert_true(strlen(dbx_monitor_dashboard_id(m)) > 0);
    assert_string_equal(dbx_monitor_latest_failure_msg(m), "");
    assert_int_equal(dbx_monitor_slicing_expr_count(m), 0);
    assert_non_null(strstr(dbx_monitor_json(m), "\"table_name\":\"" T "\""));
    dbx_monitor_free(m);

    /* get: ACTIVE once a later request observes it */
    emu_clear_requests(e);
    m = NULL;
    OK(dbx_monitor_get(&m, C, T));
    req = emu_last_request(e, MON);
    assert_non_null(req);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "GET");
    json_decref(req);
    assert_int_equal(dbx_monitor_status(m), DBX_MONITOR_STATUS_ACTIVE);
    dbx_monitor_free(m);

    /* a second create: DBX_EEXISTS */
    dbx_monitor_spec *s = inference_spec();
    m = NULL;
    assert_int_equal(dbx_monitor_create(&m, C, T, s), DBX_EEXISTS);
    assert_null(m);

    /* update: slicing and schedule; assets_dir is not sent */
    OKN(dbx_monitor_spec_add_slicing_expr(s, "channel"));
    OKN(dbx_monitor_spec_set_schedule(s, "0 0 6 * * ?", "Europe/Zurich", 0));
    emu_clear_requests(e);
    OK(dbx_monitor_update(&m, C, T, s));
    req = emu_last_request(e, MON);
    assert_non_null(req);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "PUT");
    assert_null(emu_req_json(req, "assets_dir"));
    assert_string_equal(json_string_value(json_array_get(emu_req_json(req, "slicing_exprs"), 0)), "channel");
    json_decref(req);
    assert_int_equal(dbx_monitor_version(m), 1);
    assert_int_equal(dbx_monitor_slicing_expr_count(m), 1);
    assert_string_equal(dbx_monitor_slicing_expr(m, 0), "channel");
    assert_string_equal(dbx_monitor_schedule_cron(m), "0 0 6 * * ?");
    assert_string_equal(dbx_monitor_schedule_timezone(m), "Europe/Zurich");
    assert_string_equal(dbx_monitor_schedule_pause_status(m), "UNPAUSED");
    dbx_monitor_free(m);

    /* a refused update (a column the table lacks): the service's code */
    OKN(dbx_monitor_spec_set_inference_log(s, DBX_MONITOR_PROBLEM_CLASSIFICATION, "ts", "no_such_col",
                                           "model_version", NULL, NULL));
    m = NULL;
    assert_int_equal(dbx_monitor_update(&m, C, T, s), DBX_EINVALIDPARAM);
    assert_null(m);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "no_such_col"));
    dbx_monitor_spec_free(s);

    /* regenerate the dashboard */
    emu_clear_requests(e);
    char *dash = NULL;
    OK(dbx_monitor_regenerate_dashboard(&dash, C, T, WH));
    req = emu_last_request(e, MON "/dashboard");
    assert_non_null(req);
    assert_string_equal(json_string_value(emu_req_json(req, "warehouse_id")), WH);
    json_decref(req);
    assert_true(strlen(dash) == 32);
    OK(dbx_monitor_get(&m, C, T));
    assert_string_equal(dbx_monitor_dashboard_id(m), dash);
    dbx_monitor_free(m);
    dbx_free(dash);

    /* delete, then every call says DBX_ENOTFOUND */
    emu_clear_requests(e);
    OK(dbx_monitor_delete(C, T));
    req = emu_last_request(e, MON);
    assert_non_null(req);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "DELETE");
    json_decref(req);
    m = NULL;
    assert_int_equal(dbx_monitor_get(&m, C, T), DBX_ENOTFOUND);
    assert_null(m);
    assert_int_equal(dbx_client_last_error(C)->http_status, 404);
    assert_int_equal(dbx_monitor_delete(C, T), DBX_ENOTFOUND);
    dbx_monitor_refresh *r = NULL;
    assert_int_equal(dbx_monitor_refresh_run(&r, C, T), DBX_ENOTFOUND);
    assert_null(r);
    /* an unknown table */
    assert_int_equal(dbx_monitor_get(&m, C, "main.default.nope"), DBX_ENOTFOUND);
}

static void test_local_errors(void **state)
{
    (void)state;
    dbx_monitor *m = NULL;
    dbx_monitor_refresh *r = NULL;
    dbx_monitor_spec *s = inference_spec();
    expect_local_einval(dbx_monitor_get(&m, C, "scores"), C, "catalog.schema.table");
    expect_local_einval(dbx_monitor_get(&m, C, "main.default."), C, "catalog.schema.table");
    expect_local_einval(dbx_monitor_get(&m, C, "a.b.c.d"), C, "catalog.schema.table");
    expect_local_einval(dbx_monitor_get(&m, C, NULL), C, "table_name");
    expect_local_einval(dbx_monitor_get(NULL, C, T), C, "out");
    expect_local_einval(dbx_monitor_create(&m, C, "main.t", s), C, "catalog.schema.table");
    expect_local_einval(dbx_monitor_create(&m, C, T, NULL), C, "spec");
    expect_local_einval(dbx_monitor_delete(C, ".a.b"), C, "catalog.schema.table");
    expect_local_einval(dbx_monitor_refresh_get(&r, C, T, 0), C, "refresh_id");
    expect_local_einval(dbx_monitor_refresh_cancel(C, T, -1), C, "refresh_id");
    expect_local_einval(dbx_monitor_refresh_wait(&r, C, "x", 1, NULL), C, "catalog.schema.table");
    expect_local_einval(dbx_monitor_wait_active(&m, C, "x.y", NULL), C, "catalog.schema.table");
    dbx_monitor_refresh_iter *it = NULL;
    expect_local_einval(dbx_monitor_refresh_list(&it, C, "x"), C, "catalog.schema.table");
    assert_null(it);
    char *d = NULL;
    expect_local_einval(dbx_monitor_regenerate_dashboard(&d, C, "x", NULL), C, "catalog.schema.table");
    dbx_monitor_drift *dr = NULL;
    expect_local_einval(dbx_monitor_drift_read(&dr, C, T, NULL, NULL), C, "warehouse_id");
    dbx_monitor_read_options o = DBX_MONITOR_READ_OPTIONS_INIT;
    o.granularity = "1 days";
    expect_local_einval(dbx_monitor_drift_read(&dr, C, T, WH, &o), C, "granularity");
    dbx_monitor_read_options_init(&o);
    o.drift_type = (dbx_monitor_drift_type_t)7;
    expect_local_einval(dbx_monitor_drift_read(&dr, C, T, WH, &o), C, "drift_type");
    o.drift_type = DBX_MONITOR_DRIFT_ANY;
    o.version = 9;
    dbx_monitor_profile *pr = NULL;
    expect_local_einval(dbx_monitor_profile_read(&pr, C, T, WH, &o), C, "version");
    assert_null(dr);
    assert_null(pr);
    /* create needs assets_dir and a profile; update needs output_schema_name */
    dbx_monitor_spec *bare = NULL;
    OKN(dbx_monitor_spec_new(&bare));
    OKN(dbx_monitor_spec_set_output_schema(bare, "main.mon"));
    expect_local_einval(dbx_monitor_create(&m, C, T, bare), C, "assets_dir is required");
    OKN(dbx_monitor_spec_set_assets_dir(bare, "/x"));
    expect_local_einval(dbx_monitor_create(&m, C, T, bare), C, "one of inference_log, time_series and snapshot");
    dbx_monitor_spec_free(bare);
    OKN(dbx_monitor_spec_new(&bare));
    expect_local_einval(dbx_monitor_update(&m, C, T, bare), C, "output_schema_name is required");
    dbx_monitor_spec_free(bare);
    dbx_monitor_spec_free(s);
    assert_null(m);
    assert_null(r);
    assert_int_equal(dbx_monitor_get(&m, NULL, T), DBX_EINVAL);
    /* NULL results read as empty */
    assert_string_equal(dbx_monitor_table_name(NULL), "");
    assert_int_equal(dbx_monitor_refresh_id(NULL), 0);
    assert_int_equal(dbx_monitor_drift_count(NULL), 0);
    assert_null(dbx_monitor_drift_at(NULL, 0));
    dbx_monitor_free(NULL);
    dbx_monitor_refresh_free(NULL);
    dbx_monitor_drift_free(NULL);
    dbx_monitor_profile_free(NULL);
    dbx_monitor_refresh_iter_free(NULL);
    dbx_monitor_spec_free(NULL);
}

/* ---- waits ------------------------------------------------------------------------------------ */

typedef struct poll_log {
    int n;
    char states[8][48];
    char id[64];
    long advance_ms;
    int cancel_at;
} poll_log;

static int on_poll(const char *id, const char *st, void *payload)
{
    poll_log *p = payload;
    snprintf(p->id, sizeof p->id, "%s", id);
    if (p->n < 8)
        snprintf(p->states[p->n], sizeof p->states[0], "%s", st);
    p->n++;
    if (p->advance_ms)
        emu_advance(emu_get(), p->advance_ms);
    return p->cancel_at && p->n >= p->cancel_at;
}

static void test_wait_active(void **state)
{
    (void)state;
    emu *e = emu_get();
    make_tables(10);
    emu_config(e, "{\"monitor_create_ms\": 5000}");
    dbx_monitor_free(create_monitor());

    /* the virtual clock stands still: the caller's deadline ends the wait */
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    poll_log pl = {0};
    w.on_poll = on_poll;
    w.payload = &pl;
    w.timeout_ms = 3000;
    dbx_monitor *m = NULL;
    assert_int_equal(dbx_monitor_wait_active(&m, C, T, &w), DBX_ETIMEOUT);
    assert_non_null(m);
    assert_int_equal(dbx_monitor_status(m), DBX_MONITOR_STATUS_PENDING);
    assert_string_equal(pl.id, T);
    assert_string_equal(pl.states[0], "MONITOR_STATUS_PENDING");
    dbx_monitor_free(m);

    /* cancelled by the callback */
    pl = (poll_log){0};
    pl.cancel_at = 1;
    w.timeout_ms = 0;
    assert_int_equal(dbx_monitor_wait_active(&m, C, T, &w), DBX_ECANCELLED);
    dbx_monitor_free(m);

    /* 2 s per poll: ACTIVE at the fourth poll (6 s) */
    pl = (poll_log){0};
    pl.advance_ms = 2000;
    emu_clear_requests(e);
    OK(dbx_monitor_wait_active(&m, C, T, &w));
    assert_int_equal(pl.n, 4);
    assert_string_equal(pl.states[3], "MONITOR_STATUS_ACTIVE");
    assert_int_equal(emu_count(e, MON), 4);
    assert_int_equal(dbx_monitor_status(m), DBX_MONITOR_STATUS_ACTIVE);
    dbx_monitor_free(m);

    /* a monitor in MONITOR_STATUS_ERROR (the emulator never sets it: a fault answers it) fails
     * the wait at once with the failure message; the snapshot is handed back */
    emu_fault(e, "{\"method\":\"GET\",\"path\":\"" MON "\",\"action\":\"status\",\"status\":200,"
                 "\"body\":{\"table_name\":\"" T "\",\"status\":\"MONITOR_STATUS_ERROR\","
                 "\"latest_monitor_failure_msg\":\"output schema dropped\"}}");
    pl = (poll_log){0};
    assert_int_equal(dbx_monitor_wait_active(&m, C, T, &w), DBX_ESTATE);
    assert_int_equal(pl.n, 0); /* failed at the first poll, before on_poll */
    assert_non_null(m);
    assert_int_equal(dbx_monitor_status(m), DBX_MONITOR_STATUS_ERROR);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "MONITOR_STATUS_ERROR: output schema dropped"));
    dbx_monitor_free(m);
    /* a status this version does not know: UNKNOWN with the raw text, and the wait goes on */
    emu_fault(e, "{\"method\":\"GET\",\"path\":\"" MON "\",\"action\":\"status\",\"status\":200,"
                 "\"body\":{\"table_name\":\"" T "\",\"status\":\"MONITOR_STATUS_SLEEPING\"}}");
    pl = (poll_log){0};
    OK(dbx_monitor_wait_active(&m, C, T, &w));
    assert_string_equal(pl.states[0], "MONITOR_STATUS_SLEEPING");
    assert_int_equal(pl.n, 2);
    dbx_monitor_free(m);
    /* an answer without table_name */
    emu_fault(e, "{\"method\":\"GET\",\"path\":\"" MON "\",\"action\":\"status\",\"status\":200,"
                 "\"body\":{\"status\":\"MONITOR_STATUS_ACTIVE\"}}");
    assert_int_equal(dbx_monitor_get(&m, C, T), DBX_EBADRESPONSE);
    assert_null(m);
}

static void test_refreshes(void **state)
{
    (void)state;
    emu *e = emu_get();
    make_tables(10);
    emu_config(e, "{\"monitor_refresh_ms\": 10000}");
    dbx_monitor_free(create_monitor()); /* queues refresh 1 */

    emu_clear_requests(e);
    dbx_monitor_refresh *r = NULL;
    OK(dbx_monitor_refresh_run(&r, C, T));
    json_t *req = emu_last_request(e, MON "/refreshes");
    assert_non_null(req);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "POST");
    json_decref(req);
    assert_int_equal(dbx_monitor_refresh_id(r), 2);
    assert_int_equal(dbx_monitor_refresh_state(r), DBX_MONITOR_REFRESH_PENDING);
    assert_string_equal(dbx_monitor_refresh_trigger(r), "MANUAL");
    assert_int_equal(dbx_monitor_refresh_end_time_ms(r), 0);
    assert_true(dbx_monitor_refresh_start_time_ms(r) > 0);
    assert_non_null(strstr(dbx_monitor_refresh_json(r), "\"refresh_id\":2"));
    dbx_monitor_refresh_free(r);

    /* list: newest first */
    dbx_monitor_refresh_iter *it = NULL;
    OK(dbx_monitor_refresh_list(&it, C, T));
    const dbx_monitor_refresh *item;
    int64_t ids[4];
    int n = 0;
    dbx_status rc;
    while ((rc = dbx_monitor_refresh_iter_next(&item, it)) == DBX_OK && n < 4)
        ids[n++] = dbx_monitor_refresh_id(item);
    assert_int_equal(rc, DBX_DONE);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 2);
    assert_int_equal(ids[1], 1);
    dbx_monitor_refresh_iter_free(it);
    assert_int_equal(emu_count(e, MON "/refreshes"), 2); /* the run and one list page */

    /* get: refresh 1 RUNNING (started at creation) */
    OK(dbx_monitor_refresh_get(&r, C, T, 1));
    assert_int_equal(dbx_monitor_refresh_state(r), DBX_MONITOR_REFRESH_RUNNING);
    dbx_monitor_refresh_free(r);
    assert_int_equal(emu_count(e, MON "/refreshes/1"), 1);
    assert_int_equal(dbx_monitor_refresh_get(&r, C, T, 99), DBX_ENOTFOUND);
    assert_null(r);

    /* cancel refresh 2 while PENDING; its wait fails fast with the message */
    emu_clear_requests(e);
    OK(dbx_monitor_refresh_cancel(C, T, 2));
    assert_int_equal(emu_count(e, MON "/refreshes/2/cancel"), 1);
    assert_int_equal(dbx_monitor_refresh_wait(&r, C, T, 2, NULL), DBX_ESTATE);
    assert_non_null(r);
    assert_int_equal(dbx_monitor_refresh_state(r), DBX_MONITOR_REFRESH_CANCELED);
    const char *msg = dbx_client_last_error(C)->message;
    assert_non_null(strstr(msg, "CANCELED"));
    assert_non_null(strstr(msg, dbx_monitor_refresh_message(r)));
    dbx_monitor_refresh_free(r);
    /* cancelling a finished refresh: the service refuses */
    assert_int_equal(dbx_monitor_refresh_cancel(C, T, 2), DBX_EINVALIDPARAM);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "terminal"));

    /* wait for refresh 1: 4 s of virtual time per poll, SUCCESS at 12 s */
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    poll_log pl = {0};
    pl.advance_ms = 4000;
    w.on_poll = on_poll;
    w.payload = &pl;
    OK(dbx_monitor_refresh_wait(&r, C, T, 1, &w));
    assert_string_equal(pl.id, "1");
    assert_int_equal(pl.n, 4);
    assert_string_equal(pl.states[0], "RUNNING");
    assert_string_equal(pl.states[3], "SUCCESS");
    assert_int_equal(dbx_monitor_refresh_state(r), DBX_MONITOR_REFRESH_SUCCESS);
    assert_true(dbx_monitor_refresh_end_time_ms(r) >= dbx_monitor_refresh_start_time_ms(r) + 10000);
    dbx_monitor_refresh_free(r);
    assert_int_equal(dbx_monitor_refresh_cancel(C, T, 1), DBX_EINVALIDPARAM);

    /* a refresh that fails: the baseline table is gone */
    sql("DROP TABLE " TB);
    emu_config(e, "{\"monitor_refresh_ms\": 0}");
    OK(dbx_monitor_refresh_run(&r, C, T));
    int64_t id = dbx_monitor_refresh_id(r);
    dbx_monitor_refresh_free(r);
    assert_int_equal(dbx_monitor_refresh_wait(NULL, C, T, id, NULL), DBX_ESTATE);
    msg = dbx_client_last_error(C)->message;
    assert_non_null(strstr(msg, "FAILED"));
    assert_non_null(strstr(msg, "scores_base"));
}

/* ---- the metric tables ------------------------------------------------------------------------ */

static const dbx_monitor_drift_row *find_drift(const dbx_monitor_drift *d, int day, const char *col,
                                               dbx_monitor_drift_type_t type)
{
    /* 2024-03-<day> 00:00 UTC */
    int64_t start = (1709251200LL + (int64_t)(day - 1) * 86400) * 1000;
    for (size_t i = 0; i < dbx_monitor_drift_count(d); i++) {
        const dbx_monitor_drift_row *r = dbx_monitor_drift_at(d, i);
        if (r->window_start_ms == start && !strcmp(r->column_name, col) && r->drift_type == type)
            return r;
    }
    return NULL;
}

static void test_drift_flags_injected_shift(void **state)
{
    (void)state;
    emu *e = emu_get();
    int n = getenv("DBX_TEST_UNDER_VALGRIND") ? 400 : 600;
    make_tables(n);
    dbx_monitor_free(create_monitor());
    dbx_monitor_refresh *r = NULL;
    OK(dbx_monitor_refresh_run(&r, C, T)); /* refresh 2, after the one queued at creation */
    int64_t id = dbx_monitor_refresh_id(r);
    dbx_monitor_refresh_free(r);
    OK(dbx_monitor_refresh_wait(&r, C, T, id, NULL));
    assert_int_equal(dbx_monitor_refresh_state(r), DBX_MONITOR_REFRESH_SUCCESS);
    dbx_monitor_refresh_free(r);

    /* every pooled-model drift row of the unsliced table */
    emu_clear_requests(e);
    dbx_monitor_read_options o = DBX_MONITOR_READ_OPTIONS_INIT;
    o.model_id = "*";
    dbx_monitor_drift *d = NULL;
    OK(dbx_monitor_drift_read(&d, C, T, WH, &o));
    json_t *req = emu_last_request(e, STMTS);
    assert_non_null(req);
    const char *text = json_string_value(emu_req_json(req, "statement"));
    assert_non_null(strstr(text, "FROM `main`.`mon`.`scores_drift_metrics`"));
    assert_non_null(strstr(text, "`model_version` = :model_id"));
    assert_non_null(strstr(text, "slice_key IS NULL"));
    assert_null(strstr(text, "'*'")); /* the value is a parameter, not SQL text */
    json_t *p0 = json_array_get(emu_req_json(req, "parameters"), 0);
    assert_string_equal(json_string_value(json_object_get(p0, "name")), "model_id");
    assert_string_equal(json_string_value(json_object_get(p0, "value")), "*");
    assert_string_equal(json_string_value(emu_req_json(req, "warehouse_id")), WH);
    json_decref(req);
    assert_true(dbx_monitor_drift_count(d) > 0);

    const dbx_monitor_drift_row *amt_c = find_drift(d, 3, "amount", DBX_MONITOR_DRIFT_CONSECUTIVE);
    const dbx_monitor_drift_row *amt_b = find_drift(d, 3, "amount", DBX_MONITOR_DRIFT_BASELINE);
    const dbx_monitor_drift_row *sc_c = find_drift(d, 3, "score", DBX_MONITOR_DRIFT_CONSECUTIVE);
    const dbx_monitor_drift_row *sc_b = find_drift(d, 3, "score", DBX_MONITOR_DRIFT_BASELINE);
    const dbx_monitor_drift_row *ch_c = find_drift(d, 3, "channel", DBX_MONITOR_DRIFT_CONSECUTIVE);
    const dbx_monitor_drift_row *rg_c = find_drift(d, 3, "region", DBX_MONITOR_DRIFT_CONSECUTIVE);
    const dbx_monitor_drift_row *amt2_b = find_drift(d, 2, "amount", DBX_MONITOR_DRIFT_BASELINE);
    assert_non_null(amt_c);
    assert_non_null(amt_b);
    assert_non_null(sc_c);
    assert_non_null(sc_b);
    assert_non_null(ch_c);
    assert_non_null(rg_c);
    assert_non_null(amt2_b);
    assert_null(find_drift(d, 2, "amount", DBX_MONITOR_DRIFT_CONSECUTIVE)); /* no window before day 2 */
    printf("# amount PSI consecutive %.4f baseline %.4f, KS p %.3g; score PSI %.4f KS p %.3f; "
           "channel PSI %.4f chi2 p %.3g; region PSI %.4f\n",
           amt_c->population_stability_index, amt_b->population_stability_index, amt_c->ks_test_pvalue,
           sc_c->population_stability_index, sc_c->ks_test_pvalue, ch_c->population_stability_index,
           ch_c->chi_squared_test_pvalue, rg_c->population_stability_index);

    /* the shifted numeric column is flagged by PSI and KS ... */
    assert_true(amt_c->population_stability_index > 0.25);
    assert_true(amt_b->population_stability_index > 0.25);
    assert_true(amt_c->ks_test_pvalue < 0.05);
    assert_true(amt_b->ks_test_pvalue < 0.05);
    assert_true(amt_c->avg_delta > 10.0 && amt_c->avg_delta < 20.0);
    /* ... the unshifted one is not */
    assert_true(sc_c->population_stability_index < 0.1);
    assert_true(sc_b->population_stability_index < 0.1);
    assert_true(sc_c->ks_test_pvalue > 0.05);
    assert_true(amt2_b->population_stability_index < 0.1);
    /* the categorical mix change is flagged by PSI and chi-squared; the unchanged one is not */
    assert_true(ch_c->population_stability_index > 0.25);
    assert_true(ch_c->chi_squared_test_pvalue < 0.05);
    assert_true(rg_c->population_stability_index < 0.1);
    /* statistics that do not apply read as NaN */
    assert_true(isnan(ch_c->ks_test_pvalue));
    assert_true(isnan(amt_c->chi_squared_test_statistic));
    assert_true(isnan(amt_c->tv_distance));
    assert_true(ch_c->tv_distance > 0.3 && ch_c->tv_distance < 0.5);
    assert_true(amt_c->wasserstein_distance > 10.0);
    assert_true(amt_c->js_distance > 0.0 && amt_c->js_distance <= 1.0);
    /* row fields */
    assert_string_equal(amt_c->granularity, "1 day");
    assert_string_equal(amt_c->model_id, "*");
    assert_null(amt_c->slice_key);
    assert_null(amt_c->slice_value);
    assert_string_equal(amt_c->drift_type_str, "CONSECUTIVE");
    assert_int_equal(amt_c->window_end_ms - amt_c->window_start_ms, 86400000);
    assert_int_equal(amt_c->window_cmp_start_ms, amt_c->window_start_ms - 86400000);
    assert_true(amt_b->window_cmp_start_ms == DBX_MONITOR_NO_TIME);
    assert_int_equal(amt_c->monitor_version, 0);
    assert_string_equal(amt_c->data_type, "double");
    dbx_monitor_drift_free(d);

    /* filters: one column, BASELINE, since day 3 */
    emu_clear_requests(e);
    dbx_monitor_read_options_init(&o);
    o.column_name = "amount";
    o.drift_type = DBX_MONITOR_DRIFT_BASELINE;
    o.granularity = "1 day";
    o.since_ms = (1709251200LL + 2 * 86400) * 1000;
    o.model_id = "*";
    OK(dbx_monitor_drift_read(&d, C, T, WH, &o));
    assert_int_equal(dbx_monitor_drift_count(d), 1);
    assert_true(dbx_monitor_drift_at(d, 0)->population_stability_index ==
                dbx_monitor_drift_at(d, 0)->population_stability_index); /* not NaN */
    assert_true(dbx_monitor_drift_at(d, 0)->population_stability_index > 0.25);
    assert_null(dbx_monitor_drift_at(d, 1));
    req = emu_last_request(e, STMTS);
    text = json_string_value(emu_req_json(req, "statement"));
    assert_non_null(strstr(text, "column_name = :column_name"));
    assert_non_null(strstr(text, "drift_type = :drift_type"));
    /* the real tables' struct columns, read field by field */
    assert_non_null(strstr(text, "`window`.`start` >= :since"));
    assert_non_null(strstr(text, "SELECT `window`.`start` AS `window_start`, `window`.`end` AS `window_end`, "
                                 "`window_cmp`.`start` AS `window_cmp_start`"));
    assert_non_null(strstr(text, "`ks_test`.`pvalue` AS `ks_test_pvalue`"));
    assert_non_null(strstr(text, "`chi_squared_test`.`statistic` AS `chi_squared_test_statistic`"));
    assert_non_null(strstr(text, " ORDER BY `window`.`start`, granularity, column_name, drift_type"));
    assert_null(strstr(text, "SELECT `window_start`")); /* not the flattened column */
    json_t *ps = emu_req_json(req, "parameters");
    size_t i;
    json_t *pp;
    int seen = 0;
    json_array_foreach(ps, i, pp)
    {
        const char *nm = json_string_value(json_object_get(pp, "name"));
        if (!strcmp(nm, "since")) {
            assert_string_equal(json_string_value(json_object_get(pp, "type")), "TIMESTAMP");
            assert_string_equal(json_string_value(json_object_get(pp, "value")), "2024-03-03T00:00:00.000Z");
            seen++;
        }
        if (!strcmp(nm, "drift_type")) {
            assert_string_equal(json_string_value(json_object_get(pp, "value")), "BASELINE");
            seen++;
        }
    }
    assert_int_equal(seen, 2);
    json_decref(req);
    dbx_monitor_drift_free(d);

    /* max_rows */
    dbx_monitor_read_options_init(&o);
    o.max_rows = 3;
    assert_int_equal(dbx_monitor_drift_read(&d, C, T, WH, &o), DBX_ETOOLARGE);
    assert_null(d);

    /* profile: the amount column and the table row's model quality */
    dbx_monitor_read_options_init(&o);
    o.model_id = "*";
    o.column_name = "amount";
    o.log_type = "INPUT";
    dbx_monitor_profile *pr = NULL;
    OK(dbx_monitor_profile_read(&pr, C, T, WH, &o));
    assert_int_equal(dbx_monitor_profile_count(pr), 2); /* days 2 and 3 */
    const dbx_monitor_profile_row *p2 = dbx_monitor_profile_at(pr, 0), *p3 = dbx_monitor_profile_at(pr, 1);
    assert_true(p2->window_start_ms < p3->window_start_ms);
    assert_int_equal((int)p2->count, n);
    assert_int_equal((int)p2->num_nulls, 0);
    assert_true(dabs(p2->avg - 50.0) < 2.0);
    assert_true(dabs(p3->avg - 65.0) < 2.0);
    assert_true(dabs(p2->stddev - 10.0) < 1.5);
    assert_true(p2->min < p2->median && p2->median < p2->max);
    assert_true(p2->distinct_count > n - 5);
    assert_string_equal(p2->log_type, "INPUT");
    assert_string_equal(p2->model_id, "*");
    assert_true(isnan(p2->accuracy_score)); /* column rows carry no model quality */
    dbx_monitor_profile_free(pr);

    o.column_name = ":table";
    OK(dbx_monitor_profile_read(&pr, C, T, WH, &o));
    assert_int_equal(dbx_monitor_profile_count(pr), 2);
    p2 = dbx_monitor_profile_at(pr, 0);
    assert_int_equal((int)p2->count, n);
    assert_true(dabs(p2->accuracy_score - 0.75) < 1e-9); /* label = prediction for 3 rows in 4 */
    assert_true(p2->f1_score_macro > 0.5 && p2->f1_score_macro < 1.0);
    assert_true(p2->precision_weighted > 0.5 && p2->precision_weighted <= 1.0);
    assert_true(isnan(p2->r2_score)); /* a classification monitor */
    dbx_monitor_profile_free(pr);
    req = emu_last_request(e, STMTS);
    text = json_string_value(emu_req_json(req, "statement"));
    assert_non_null(strstr(text, "`f1_score`.`macro` AS `f1_score_macro`"));
    assert_non_null(strstr(text, "`precision`.`weighted` AS `precision_weighted`"));
    assert_non_null(strstr(text, " ORDER BY `window`.`start`, granularity, column_name, log_type"));
    json_decref(req);

    /* the baseline rows: no window */
    o.log_type = "BASELINE";
    OK(dbx_monitor_profile_read(&pr, C, T, WH, &o));
    assert_int_equal(dbx_monitor_profile_count(pr), 1);
    assert_true(dbx_monitor_profile_at(pr, 0)->window_start_ms == DBX_MONITOR_NO_TIME);
    assert_string_equal(dbx_monitor_profile_at(pr, 0)->granularity, "1 day");
    dbx_monitor_profile_free(pr);
}

static void test_read_errors(void **state)
{
    (void)state;
    make_tables(10);
    dbx_monitor_drift *d = NULL;
    /* no monitor */
    assert_int_equal(dbx_monitor_drift_read(&d, C, T, WH, NULL), DBX_ENOTFOUND);
    assert_null(d);
    /* a monitor whose tables do not exist yet (the first refresh has not run) */
    emu_config(emu_get(), "{\"monitor_refresh_ms\": 60000}");
    dbx_monitor_free(create_monitor());
    dbx_status rc = dbx_monitor_drift_read(&d, C, T, WH, NULL);
    if (rc != DBX_ENOTFOUND)
        fail_msg("%s: %s", dbx_status_name(rc), dbx_client_last_error(C)->message);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "run a refresh first"));
    dbx_monitor_profile *p = NULL;
    assert_int_equal(dbx_monitor_profile_read(&p, C, T, WH, NULL), DBX_ENOTFOUND);
    assert_null(p);
    /* an unknown warehouse */
    emu_advance(emu_get(), 60000);
    assert_int_equal(dbx_monitor_drift_read(&d, C, T, "nowarehouse00000", NULL), DBX_ENOTFOUND);
    assert_null(d);
    /* a time series monitor: no model id column selected */
    OK(dbx_monitor_delete(C, T));
    dbx_monitor_spec *s = NULL;
    OKN(dbx_monitor_spec_from_json(&s, "{\"assets_dir\":\"/x\",\"output_schema_name\":\"main.mon\","
                                       "\"time_series\":{\"timestamp_col\":\"ts\",\"granularities\":[\"1 day\"]}}"));
    dbx_monitor *m = NULL;
    emu_config(emu_get(), "{\"monitor_refresh_ms\": 0}");
    OK(dbx_monitor_create(&m, C, T, s));
    assert_int_equal(dbx_monitor_profile_type(m), DBX_MONITOR_PROFILE_TIME_SERIES);
    assert_string_equal(dbx_monitor_model_id_col(m), "");
    assert_int_equal(dbx_monitor_problem_type(m), DBX_MONITOR_PROBLEM_UNKNOWN);
    dbx_monitor_free(m);
    dbx_monitor_spec_free(s);
    dbx_monitor_read_options o = DBX_MONITOR_READ_OPTIONS_INIT;
    o.column_name = "amount";
    o.all_slices = 1;
    OK(dbx_monitor_profile_read(&p, C, T, WH, &o));
    assert_int_equal(dbx_monitor_profile_count(p), 2);
    assert_null(dbx_monitor_profile_at(p, 0)->model_id);
    assert_true(isnan(dbx_monitor_profile_at(p, 0)->accuracy_score));
    dbx_monitor_profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_spec_builder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_get_update_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_active, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refreshes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drift_flags_injected_shift, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_errors, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    emu_stop_all();
    return rc;
}
