#define _POSIX_C_SOURCE 200809L
/*
 * The real-time scorer (include/dbx/serving.h, "Real-time scorer") against
 * the emulator over HTTP: many queries in flight from one thread, callback
 * and poll styles, per-query deadlines, retries, model errors,
 * cancellation, freeing with queries pending, bad arguments. Assertions
 * are on counts (the emulator's request log, the scorer's counters), never
 * on elapsed time. The real clock is used: the emulator's model latency
 * (serving_model_latency_ms) is real time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#define INV "/serving-endpoints/sc-ep/invocations"
#define MODEL_A                                                                                              \
    "{\"flavor\":\"logistic\",\"features\":[\"amount\",\"hour\"],\"intercept\":-3.2,"                        \
    "\"coefficients\":[0.8,0.1],\"categorical\":{\"channel\":{\"web\":0.7,\"pos\":-0.2}}}"
#define MLMODEL "artifact_path: model\nflavors:\n  python_function:\n    loader_module: x\n"
#define ROW_BODY(amount, hour)                                                                               \
    "{\"dataframe_split\":{\"columns\":[\"amount\",\"hour\",\"channel\"],\"data\":[[" #amount "," #hour        \
    ",\"web\"]]}}"

static dbx_client *C;

static void b64(char *out, const char *in)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(in), o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)in[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)in[i + 2];
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = 0;
}

static void req_ok(const char *method, const char *path, const char *body)
{
    dbx_response *r = NULL;
    dbx_status st = dbx_request(&r, C, method, path, body);
    if (st != DBX_OK)
        fail_msg("%s %s: %s %s", method, path, dbx_status_name(st), dbx_client_last_error(C)->message);
    dbx_response_free(r);
}

/* A ready endpoint "sc-ep" scoring with MODEL_A. */
static void deploy(void)
{
    char body[2048], enc[1024];
    req_ok("POST", "/api/2.0/mlflow/registered-models/create", "{\"name\":\"fraud\"}");
    b64(enc, MLMODEL);
    snprintf(body, sizeof body, "{\"path\":\"/models/fraud/d1/MLmodel\",\"contents\":\"%s\",\"overwrite\":true}", enc);
    req_ok("POST", "/api/2.0/dbfs/put", body);
    b64(enc, MODEL_A);
    snprintf(body, sizeof body, "{\"path\":\"/models/fraud/d1/model.json\",\"contents\":\"%s\",\"overwrite\":true}", enc);
    req_ok("POST", "/api/2.0/dbfs/put", body);
    req_ok("POST", "/api/2.0/mlflow/model-versions/create", "{\"name\":\"fraud\",\"source\":\"dbfs:/models/fraud/d1\"}");
    dbx_serving_config *cfg = NULL;
    assert_int_equal(dbx_serving_config_new(&cfg), DBX_OK);
    assert_int_equal(dbx_serving_config_add_entity(NULL, cfg, "fraud", "1"), DBX_OK);
    assert_int_equal(dbx_serving_create(NULL, C, "sc-ep", cfg, NULL), DBX_OK);
    dbx_serving_config_free(cfg);
    assert_int_equal(dbx_serving_wait_ready(NULL, C, "sc-ep", NULL), DBX_OK);
}

static int setup(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_reset(e);
    C = emu_client(e);
    deploy();
    emu_clear_requests(e);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dbx_client_free(C);
    C = NULL;
    return 0;
}

/* Row i of the test table: amount i/4 - 2, hour i % 24, channel web. */
static void row_body(char *out, size_t cap, int i)
{
    snprintf(out, cap, "{\"dataframe_split\":{\"columns\":[\"amount\",\"hour\",\"channel\"],\"data\":[[%g,%d,\"web\"]]}}",
             i / 4.0 - 2.0, i % 24);
}

static dbx_serving_scorer *scorer(int max_in_flight, long timeout_ms, dbx_serving_http_version v,
                                  dbx_serving_complete_fn cb, void *payload)
{
    dbx_serving_scorer_options o = DBX_SERVING_SCORER_OPTIONS_INIT;
    o.max_in_flight = max_in_flight;
    o.timeout_ms = timeout_ms;
    o.http_version = v;
    o.on_complete = cb;
    o.payload = payload;
    dbx_serving_scorer *s = NULL;
    dbx_status st = dbx_serving_scorer_new(&s, C, "sc-ep", &o);
    if (st != DBX_OK)
        fail_msg("scorer_new: %s %s", dbx_status_name(st), dbx_client_last_error(C)->message);
    return s;
}

/* Abandoned queries reach the emulator's log only once its model is done with them: wait
 * (bounded, 10 s) until `n` invocations are logged, so that none lands in the next test's
 * log; then exactly n. */
static void wait_logged(size_t n)
{
    for (int i = 0; i < 200 && emu_count(emu_get(), INV) < n; i++) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(emu_count(emu_get(), INV), n);
}

static dbx_serving_scorer_stats stats(const dbx_serving_scorer *s)
{
    dbx_serving_scorer_stats x = DBX_SERVING_SCORER_STATS_INIT;
    assert_int_equal(dbx_serving_scorer_stats_get(&x, s), DBX_OK);
    return x;
}

/* ---- many in flight, poll style ------------------------------------------------------- */

#define N_MANY 64

static void test_many_in_flight_poll(void **state)
{
    (void)state;
    emu *e = emu_get();
    /* the expected predictions, one query at a time */
    double want[N_MANY];
    char body[256];
    for (int i = 0; i < N_MANY; i++) {
        row_body(body, sizeof body, i);
        dbx_serving_result *r = NULL;
        assert_int_equal(dbx_serving_query(&r, C, "sc-ep", body, NULL), DBX_OK);
        want[i] = dbx_serving_result_double(r, 0);
        dbx_serving_result_free(r);
    }
    emu_clear_requests(e);
    emu_config(e, "{\"serving_model_latency_ms\": 200}");

    dbx_serving_scorer *s = scorer(16, 0, DBX_SERVING_HTTP_AUTO, NULL, NULL);
    int user[N_MANY];
    uint64_t ids[N_MANY];
    for (int i = 0; i < N_MANY; i++) {
        user[i] = i;
        row_body(body, sizeof body, i);
        if (i % 2) {
            assert_int_equal(dbx_serving_scorer_submit(&ids[i], s, body, &user[i]), DBX_OK);
        } else { /* the typed input, the same row */
            dbx_serving_input *in = NULL;
            const char *cols[] = {"amount", "hour", "channel"};
            assert_int_equal(dbx_serving_input_new(&in, DBX_SERVING_DATAFRAME_SPLIT), DBX_OK);
            assert_int_equal(dbx_serving_input_set_columns(in, cols, 3), DBX_OK);
            assert_int_equal(dbx_serving_input_add_row(in), DBX_OK);
            assert_int_equal(dbx_serving_input_add_double(in, i / 4.0 - 2.0), DBX_OK);
            assert_int_equal(dbx_serving_input_add_int(in, i % 24), DBX_OK);
            assert_int_equal(dbx_serving_input_add_string(in, "web"), DBX_OK);
            assert_int_equal(dbx_serving_scorer_submit_input(&ids[i], s, in, &user[i]), DBX_OK);
            dbx_serving_input_free(in);
        }
        assert_int_equal(ids[i], (uint64_t)i + 1);
    }
    assert_int_equal(dbx_serving_scorer_queued(s), N_MANY);
    /* one pass with no waiting: 16 sent, the rest queued */
    size_t got = 99;
    assert_int_equal(dbx_serving_scorer_poll(&got, s, 0), DBX_OK);
    assert_int_equal(got, 0);
    assert_int_equal(dbx_serving_scorer_in_flight(s), 16);
    assert_int_equal(dbx_serving_scorer_queued(s), N_MANY - 16);

    int seen[N_MANY] = {0};
    int n = 0;
    while (n < N_MANY) {
        dbx_serving_completion *d = NULL;
        assert_int_equal(dbx_serving_scorer_next(&d, s, -1), DBX_OK);
        assert_non_null(d);
        int i = *(int *)dbx_serving_completion_user(d);
        assert_int_equal(dbx_serving_completion_id(d), ids[i]);
        if (dbx_serving_completion_status(d) != DBX_OK)
            fail_msg("query %d: %s", i, dbx_serving_completion_error(d)->message);
        assert_null(dbx_serving_completion_error(d));
        const dbx_serving_result *r = dbx_serving_completion_result(d);
        assert_int_equal(dbx_serving_result_count(r), 1);
        assert_true(dbx_serving_result_double(r, 0) == want[i]); /* the same as dbx_serving_query's */
        assert_string_equal(dbx_serving_result_served_model_name(r), "fraud-1");
        assert_true(dbx_serving_result_latency_ms(r) >= 200);
        assert_false(seen[i]);
        seen[i] = 1;
        dbx_serving_completion_free(d);
        n++;
    }
    /* nothing left: next gives NULL at once */
    dbx_serving_completion *d = (dbx_serving_completion *)1;
    assert_int_equal(dbx_serving_scorer_next(&d, s, -1), DBX_OK);
    assert_null(d);
    assert_int_equal(dbx_serving_scorer_in_flight(s), 0);
    assert_int_equal(dbx_serving_scorer_queued(s), 0);

    dbx_serving_scorer_stats x = stats(s);
    assert_int_equal(x.submitted, N_MANY);
    assert_int_equal(x.succeeded, N_MANY);
    assert_int_equal(x.failed, 0);
    assert_int_equal(x.retried, 0);
    /* overlap: plain http, so HTTP/1.1; the queries went out on several
     * connections at once, never more than max_in_flight */
    assert_in_range(x.connections, 2, 16);
    assert_true(x.latency_p50_ms >= 200 && x.latency_p99_ms >= x.latency_p50_ms);

    /* the requests sent: 64 invocations, each with the client's credentials and its row */
    json_t *reqs = emu_requests_to(e, INV);
    assert_int_equal(json_array_size(reqs), N_MANY);
    int hours[24] = {0};
    for (size_t k = 0; k < json_array_size(reqs); k++) {
        json_t *q = json_array_get(reqs, k);
        assert_string_equal(json_string_value(json_object_get(q, "method")), "POST");
        assert_non_null(strstr(emu_req_header(q, "authorization"), "Bearer "));
        json_t *data = json_object_get(emu_req_json(q, "dataframe_split"), "data");
        hours[json_integer_value(json_array_get(json_array_get(data, 0), 1))]++;
    }
    for (int h = 0; h < 24; h++)
        assert_int_equal(hours[h], N_MANY / 24 + (h < N_MANY % 24));
    json_decref(reqs);
    dbx_serving_scorer_free(s);
}

/* ---- callback style ------------------------------------------------------------------- */

typedef struct cbstate {
    dbx_serving_scorer *s;
    int n, ok, failed, followups;
    uint64_t last_id;
    dbx_serving_result *kept;
} cbstate;

static void on_done(dbx_serving_completion *d, void *payload)
{
    cbstate *cs = payload;
    cs->n++;
    if (dbx_serving_completion_status(d) == DBX_OK)
        cs->ok++;
    else
        cs->failed++;
    /* the callback may submit more (a follow-up for the first three) and keep a result */
    if (cs->followups < 3) {
        cs->followups++;
        assert_int_equal(dbx_serving_scorer_submit(&cs->last_id, cs->s, ROW_BODY(1.5, 7), NULL), DBX_OK);
    }
    if (!cs->kept && dbx_serving_completion_result(d)) {
        cs->kept = dbx_serving_completion_take_result(d);
        assert_null(dbx_serving_completion_result(d));
    }
    /* no polling from inside */
    size_t k;
    assert_int_equal(dbx_serving_scorer_poll(&k, cs->s, 0), DBX_EINVAL);
    assert_int_equal(dbx_serving_scorer_drain(cs->s, 0), DBX_EINVAL);
}

static void test_callback_style_http11(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_config(e, "{\"serving_model_latency_ms\": 50}");
    cbstate cs = {0};
    dbx_serving_scorer *s = cs.s = scorer(4, 0, DBX_SERVING_HTTP1_1, on_done, &cs);
    for (int i = 0; i < 10; i++)
        assert_int_equal(dbx_serving_scorer_submit(NULL, s, ROW_BODY(2.5, 13), NULL), DBX_OK);
    /* poll style calls are refused */
    dbx_serving_completion *d = (dbx_serving_completion *)1;
    assert_int_equal(dbx_serving_scorer_next(&d, s, 0), DBX_EINVAL);
    assert_null(d);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "on_complete"));
    size_t total = 0, k = 0;
    while (dbx_serving_scorer_in_flight(s) + dbx_serving_scorer_queued(s) > 0) {
        assert_int_equal(dbx_serving_scorer_poll(&k, s, 1000), DBX_OK);
        total += k;
    }
    assert_int_equal(total, 13);
    assert_int_equal(cs.n, 13);
    assert_int_equal(cs.ok, 13);
    assert_int_equal(cs.last_id, 13);
    assert_non_null(cs.kept);
    assert_int_equal(dbx_serving_result_count(cs.kept), 1);
    dbx_serving_result_free(cs.kept);
    assert_int_equal(dbx_serving_scorer_drain(s, 0), DBX_OK);
    dbx_serving_scorer_stats x = stats(s);
    assert_int_equal(x.submitted, 13);
    assert_in_range(x.connections, 1, 4);
    assert_int_equal(emu_count(e, INV), 13);
    dbx_serving_scorer_free(s);
}

/* ---- deadlines, retries, model errors ------------------------------------------------------ */

static void test_deadline_for_slow_ones_only(void **state)
{
    (void)state;
    emu *e = emu_get();
    /* the first two queries the model sees take 3 s; the scorer allows 1 s */
    emu_fault(e, "{\"method\":\"POST\",\"path\":\"" INV "\",\"action\":\"delay\",\"delay_ms\":3000,\"times\":2}");
    dbx_serving_scorer *s = scorer(8, 1000, DBX_SERVING_HTTP_AUTO, NULL, NULL);
    for (int i = 0; i < 6; i++)
        assert_int_equal(dbx_serving_scorer_submit(NULL, s, ROW_BODY(2.5, 13), NULL), DBX_OK);
    int ok = 0, timed_out = 0;
    for (int i = 0; i < 6; i++) {
        dbx_serving_completion *d = NULL;
        assert_int_equal(dbx_serving_scorer_next(&d, s, -1), DBX_OK);
        assert_non_null(d);
        if (dbx_serving_completion_status(d) == DBX_OK) {
            ok++;
        } else {
            const dbx_error *err = dbx_serving_completion_error(d);
            if (dbx_serving_completion_status(d) != DBX_ETIMEOUT)
                fail_msg("%s: %s", dbx_status_name(dbx_serving_completion_status(d)), err->message);
            assert_non_null(err);
            assert_int_equal(err->status, DBX_ETIMEOUT);
            assert_non_null(strstr(err->message, "deadline"));
            assert_string_equal(err->method, "POST");
            assert_string_equal(err->path, INV);
            timed_out++;
        }
        dbx_serving_completion_free(d);
    }
    assert_int_equal(ok, 4);
    assert_int_equal(timed_out, 2);
    dbx_serving_scorer_stats x = stats(s);
    assert_int_equal(x.timed_out, 2);
    assert_int_equal(x.failed, 2);
    assert_int_equal(x.succeeded, 4);
    /* the scorer's own record stays clean: failures live in completions */
    assert_int_equal(dbx_client_last_error(C)->status, DBX_OK);
    dbx_serving_scorer_free(s);
    wait_logged(6); /* the two slow ones, answered after the scorer gave up on them */
}

static void test_retry_429_and_model_error(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_fault(e, "{\"method\":\"POST\",\"path\":\"" INV "\",\"action\":\"status\",\"status\":429,"
                 "\"headers\":{\"Retry-After\":\"1\"},"
                 "\"body\":{\"error_code\":\"REQUEST_LIMIT_EXCEEDED\",\"message\":\"slow down\"}}");
    dbx_serving_scorer *s = scorer(4, 0, DBX_SERVING_HTTP_AUTO, NULL, NULL);
    uint64_t a, b;
    assert_int_equal(dbx_serving_scorer_submit(&a, s, ROW_BODY(2.5, 13), NULL), DBX_OK);
    /* the model refuses this one: a feature is missing */
    assert_int_equal(dbx_serving_scorer_submit(&b, s, "{\"dataframe_records\":[{\"amount\":1}]}", NULL), DBX_OK);
    int n = 0;
    while (n < 2) {
        dbx_serving_completion *d = NULL;
        assert_int_equal(dbx_serving_scorer_next(&d, s, -1), DBX_OK);
        assert_non_null(d);
        if (dbx_serving_completion_id(d) == a) {
            assert_int_equal(dbx_serving_completion_status(d), DBX_OK);
            assert_int_equal(dbx_serving_result_count(dbx_serving_completion_result(d)), 1);
        } else {
            assert_int_equal(dbx_serving_completion_id(d), b);
            assert_int_equal(dbx_serving_completion_status(d), DBX_EBADREQUEST);
            const dbx_error *err = dbx_serving_completion_error(d);
            assert_int_equal(err->http_status, 400);
            assert_string_equal(err->error_code, "BAD_REQUEST");
            assert_non_null(strstr(err->message, "Model is missing inputs"));
            assert_null(dbx_serving_completion_result(d));
        }
        dbx_serving_completion_free(d);
        n++;
    }
    assert_int_equal(emu_count(e, INV), 3); /* a twice (429, then 200), b once */
    dbx_serving_scorer_stats x = stats(s);
    assert_int_equal(x.retried, 1);
    assert_int_equal(x.succeeded, 1);
    assert_int_equal(x.failed, 1);
    dbx_serving_scorer_free(s);

    /* an endpoint that does not exist */
    dbx_serving_scorer *s2 = NULL;
    assert_int_equal(dbx_serving_scorer_new(&s2, C, "nope", NULL), DBX_OK);
    /* the query target is looked up (and cached) when a query is submitted: the
     * endpoint's absence is the submission's error, nothing is queued */
    assert_int_equal(dbx_serving_scorer_submit(NULL, s2, "{\"inputs\":{\"x\":[1]}}", NULL), DBX_ENOTFOUND);
    assert_string_equal(dbx_client_last_error(C)->error_code, "RESOURCE_DOES_NOT_EXIST");
    assert_int_equal(dbx_serving_scorer_queued(s2) + dbx_serving_scorer_in_flight(s2), 0);
    dbx_serving_completion *d = NULL;
    assert_int_equal(dbx_serving_scorer_next(&d, s2, 0), DBX_OK);
    assert_null(d);
    dbx_serving_scorer_free(s2);
}

/* ---- cancellation, free with pending ---------------------------------------------------------- */

static void test_cancel_queued_and_flying(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_config(e, "{\"serving_model_latency_ms\": 300}");
    dbx_serving_scorer *s = scorer(1, 0, DBX_SERVING_HTTP_AUTO, NULL, NULL);
    uint64_t id[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(dbx_serving_scorer_submit(&id[i], s, ROW_BODY(2.5, 13), NULL), DBX_OK);
    assert_int_equal(dbx_serving_scorer_poll(NULL, s, 0), DBX_OK);
    assert_int_equal(dbx_serving_scorer_in_flight(s), 1);
    assert_int_equal(dbx_serving_scorer_queued(s), 2);
    assert_int_equal(dbx_serving_scorer_cancel(s, id[2]), DBX_OK); /* queued */
    assert_int_equal(dbx_serving_scorer_cancel(s, id[0]), DBX_OK); /* flying */
    assert_int_equal(dbx_serving_scorer_cancel(s, id[0]), DBX_ENOTFOUND); /* already ended */
    assert_int_equal(dbx_serving_scorer_cancel(s, 99), DBX_ENOTFOUND);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "no pending query has id 99"));
    dbx_status st[4] = {DBX_ERROR, DBX_ERROR, DBX_ERROR, DBX_ERROR};
    for (int i = 0; i < 3; i++) {
        dbx_serving_completion *d = NULL;
        assert_int_equal(dbx_serving_scorer_next(&d, s, -1), DBX_OK);
        assert_non_null(d);
        uint64_t k = dbx_serving_completion_id(d);
        st[k] = dbx_serving_completion_status(d);
        if (st[k] == DBX_ECANCELLED)
            assert_non_null(strstr(dbx_serving_completion_error(d)->message, "cancelled"));
        dbx_serving_completion_free(d);
    }
    assert_int_equal(st[1], DBX_ECANCELLED);
    assert_int_equal(st[2], DBX_OK);
    assert_int_equal(st[3], DBX_ECANCELLED);
    dbx_serving_scorer_stats x = stats(s);
    assert_int_equal(x.cancelled, 2);
    assert_int_equal(x.succeeded, 1);
    dbx_serving_scorer_free(s);
    /* the cancelled queued query was never sent (the flying one may have reached the model) */
    assert_in_range(emu_count(e, INV), 1, 2);
}

static void test_free_with_pending_and_drain_timeout(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_config(e, "{\"serving_model_latency_ms\": 400}");
    dbx_serving_scorer *s = scorer(2, 0, DBX_SERVING_HTTP_AUTO, NULL, NULL);
    for (int i = 0; i < 5; i++)
        assert_int_equal(dbx_serving_scorer_submit(NULL, s, ROW_BODY(2.5, 13), NULL), DBX_OK);
    assert_int_equal(dbx_serving_scorer_drain(s, 0), DBX_ETIMEOUT);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "5 queries still pending"));
    assert_int_equal(dbx_serving_scorer_in_flight(s), 2);
    dbx_serving_scorer_free(s); /* cancels: no leak, no callback, no crash */
    dbx_serving_scorer_free(NULL);

    /* a drain that finishes; the completions stay for next */
    emu_config(e, "{\"serving_model_latency_ms\": 0}");
    s = scorer(2, 0, DBX_SERVING_HTTP_AUTO, NULL, NULL);
    for (int i = 0; i < 5; i++)
        assert_int_equal(dbx_serving_scorer_submit(NULL, s, ROW_BODY(2.5, 13), NULL), DBX_OK);
    assert_int_equal(dbx_serving_scorer_drain(s, -1), DBX_OK);
    assert_int_equal(dbx_serving_scorer_in_flight(s) + dbx_serving_scorer_queued(s), 0);
    dbx_serving_completion *d = NULL;
    assert_int_equal(dbx_serving_scorer_next(&d, s, 0), DBX_OK);
    assert_non_null(d);
    assert_int_equal(dbx_serving_completion_status(d), DBX_OK);
    dbx_serving_completion_free(d);
    dbx_serving_scorer_free(s); /* four completions never read */
    /* (the two abandoned queries may or may not have reached the emulator: not counted) */
}

/* ---- bad arguments ---------------------------------------------------------------------------- */

#define expect_local_einval(call, owner, needle) expect_local_einval_at((call), (owner), (needle), #call, __LINE__)

static void expect_local_einval_at(dbx_status st, const dbx_client *owner, const char *needle, const char *what,
                                   int line)
{
    const dbx_error *err = dbx_client_last_error(owner);
    /* any request but the earlier tests' abandoned queries to sc-ep, which the emulator may
     * log late (the scorers here query bad-ep) */
    size_t sent = emu_count(emu_get(), NULL) - emu_count(emu_get(), INV);
    if (st != DBX_EINVAL || err->status != DBX_EINVAL || !strstr(err->message, needle) || sent != 0)
        fail_msg("line %d: %s: %s, last error %s \"%s\"; want DBX_EINVAL naming \"%s\" and no request (%zu sent)",
                 line, what, dbx_status_name(st), dbx_status_name(err->status), err->message, needle, sent);
}

static void test_bad_args(void **state)
{
    (void)state;
    dbx_serving_scorer *s = (dbx_serving_scorer *)1;
    dbx_serving_scorer_options o = DBX_SERVING_SCORER_OPTIONS_INIT;
    expect_local_einval(dbx_serving_scorer_new(NULL, C, "bad-ep", NULL), C, "out is NULL");
    expect_local_einval(dbx_serving_scorer_new(&s, NULL, "bad-ep", NULL), NULL, "client is NULL");
    assert_null(s);
    expect_local_einval(dbx_serving_scorer_new(&s, C, "", NULL), C, "name is required");
    o.version = 0;
    expect_local_einval(dbx_serving_scorer_new(&s, C, "bad-ep", &o), C, "version 0 is not supported");
    o.version = DBX_SERVING_SCORER_OPTIONS_VERSION;
    o.max_in_flight = 4097;
    expect_local_einval(dbx_serving_scorer_new(&s, C, "bad-ep", &o), C, "max_in_flight must be 1..4096");
    o.max_in_flight = -1;
    expect_local_einval(dbx_serving_scorer_new(&s, C, "bad-ep", &o), C, "max_in_flight");
    o.max_in_flight = 0;
    o.timeout_ms = -5;
    expect_local_einval(dbx_serving_scorer_new(&s, C, "bad-ep", &o), C, "timeout_ms is negative");
    o.timeout_ms = 0;
    o.attempt_timeout_ms = -5;
    expect_local_einval(dbx_serving_scorer_new(&s, C, "bad-ep", &o), C, "attempt_timeout_ms is negative");
    o.attempt_timeout_ms = 0;
    o.http_version = (dbx_serving_http_version)7;
    expect_local_einval(dbx_serving_scorer_new(&s, C, "bad-ep", &o), C, "http_version 7");
    assert_null(s);

    assert_int_equal(dbx_serving_scorer_new(&s, C, "bad-ep", NULL), DBX_OK);
    uint64_t id = 7;
    expect_local_einval(dbx_serving_scorer_submit(&id, s, NULL, NULL), C, "json_body is NULL");
    assert_int_equal(id, 0);
    expect_local_einval(dbx_serving_scorer_submit(&id, s, "[1]", NULL), C, "body must be a JSON object");
    expect_local_einval(dbx_serving_scorer_submit(&id, s, "{\"inputs\":", NULL), C, "body is not valid JSON");
    size_t big = DBX_SERVING_MAX_PAYLOAD_BYTES + 1;
    char *huge = malloc(big + 1);
    assert_non_null(huge);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    huge[big] = 0;
    expect_local_einval(dbx_serving_scorer_submit(&id, s, huge, NULL), C, "body is 16777217 bytes");
    free(huge);
    expect_local_einval(dbx_serving_scorer_submit_input(&id, s, NULL, NULL), C, "in is NULL");
    dbx_serving_input *in = NULL;
    assert_int_equal(dbx_serving_input_new(&in, DBX_SERVING_INPUTS), DBX_OK);
    expect_local_einval(dbx_serving_scorer_submit_input(&id, s, in, NULL), C, "it has no columns");
    dbx_serving_input_free(in);
    expect_local_einval(dbx_serving_scorer_submit(&id, NULL, "{}", NULL), NULL, "scorer is NULL");
    expect_local_einval(dbx_serving_scorer_next(NULL, s, 0), C, "out is NULL");
    expect_local_einval(dbx_serving_scorer_poll(NULL, NULL, 0), NULL, "scorer is NULL");
    expect_local_einval(dbx_serving_scorer_drain(NULL, 0), NULL, "scorer is NULL");
    expect_local_einval(dbx_serving_scorer_cancel(NULL, 1), NULL, "scorer is NULL");
    dbx_serving_scorer_stats x = DBX_SERVING_SCORER_STATS_INIT;
    x.version = 9;
    expect_local_einval(dbx_serving_scorer_stats_get(&x, s), C, "version 9");
    expect_local_einval(dbx_serving_scorer_stats_get(NULL, s), C, "out is NULL");
    assert_int_equal(dbx_serving_scorer_in_flight(NULL), 0);
    assert_int_equal(dbx_serving_scorer_queued(NULL), 0);
    assert_int_equal(dbx_serving_scorer_queued(s), 0);
    x = stats(s);
    assert_int_equal(x.submitted, 0);
    assert_true(x.latency_p50_ms == 0);
    /* NULL completions read as empty */
    assert_int_equal(dbx_serving_completion_id(NULL), 0);
    assert_null(dbx_serving_completion_user(NULL));
    assert_null(dbx_serving_completion_result(NULL));
    assert_null(dbx_serving_completion_take_result(NULL));
    assert_null(dbx_serving_completion_error(NULL));
    dbx_serving_completion_free(NULL);
    dbx_serving_scorer_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_many_in_flight_poll, setup, teardown),
        cmocka_unit_test_setup_teardown(test_callback_style_http11, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline_for_slow_ones_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_429_and_model_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_queued_and_flying, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_with_pending_and_drain_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    emu_stop_all();
    return rc;
}
