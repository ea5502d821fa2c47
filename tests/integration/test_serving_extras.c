/*
 * Model serving extras against the emulator over HTTP: route-optimized
 * endpoints (data-plane tokens), champion / challenger traffic, /metrics,
 * the batch helper and the boolean accessor. Every test asserts on the
 * requests libdbx sent (the emulator's request log) and on the result.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#define INV_OF(n) "/serving-endpoints/" n "/invocations"
#define DP "/1234567890123456/serving-endpoints/" /* the emulator's workspace id */
#define TOKEN_PATH "/oidc/v1/token"

static dbx_client *C; /* PAT */

#define MODEL_A                                                                                              \
    "{\"flavor\":\"logistic\",\"features\":[\"amount\",\"hour\"],\"intercept\":-3.2,"                        \
    "\"coefficients\":[0.8,0.1]}"
#define MODEL_B "{\"flavor\":\"logistic\",\"features\":[\"amount\",\"hour\"],\"intercept\":1.0,\"coefficients\":[0,0]}"
#define MODEL_L                                                                                              \
    "{\"flavor\":\"logistic\",\"features\":[\"amount\",\"hour\"],\"intercept\":-3.2,"                        \
    "\"coefficients\":[0.8,0.1],\"output\":\"label\"}"
#define MLMODEL "artifact_path: model\nflavors:\n  python_function:\n    loader_module: x\n"
#define ROW "{\"dataframe_split\":{\"columns\":[\"amount\",\"hour\"],\"data\":[[2.5,13]]}}"

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

static void m2m_tweak(dbx_client_options *o, void *ud)
{
    (void)ud;
    o->token = NULL;
    o->client_id = EMU_CLIENT_ID;
    o->client_secret = EMU_CLIENT_SECRET;
}

/* TRACE logs of a client, kept whole (for secrets that must not appear in them). */
typedef struct logbuf {
    char *text;
    size_t len;
} logbuf;

static void log_keep(dbx_log_level level, dbx_log_category category, const char *msg, void *payload)
{
    (void)level;
    (void)category;
    logbuf *b = payload;
    size_t n = strlen(msg);
    char *t = realloc(b->text, b->len + n + 2);
    if (!t)
        return;
    memcpy(t + b->len, msg, n);
    t[b->len + n] = '\n';
    t[b->len + n + 1] = '\0';
    b->text = t;
    b->len += n + 1;
}

static void m2m_trace_tweak(dbx_client_options *o, void *ud)
{
    m2m_tweak(o, NULL);
    o->log_fn = log_keep;
    o->log_payload = ud;
    o->log_level = DBX_LOG_TRACE;
}

static dbx_client *m2m_client(void) { return emu_client_with(emu_get(), m2m_tweak, NULL); }

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

/* Register a workspace model version scoring with `model_json`: versions count 1, 2, ... */
static void register_version(const char *model, const char *model_json)
{
    static int dir;
    char body[2048], enc[1024], path[128];
    dbx_response *r = NULL;
    snprintf(body, sizeof body, "{\"name\":\"%s\"}", model);
    dbx_request(&r, C, "POST", "/api/2.0/mlflow/registered-models/create", body); /* may exist */
    dbx_response_free(r);
    snprintf(path, sizeof path, "/models/%s/x%d", model, ++dir);
    b64(enc, MLMODEL);
    snprintf(body, sizeof body, "{\"path\":\"%s/MLmodel\",\"contents\":\"%s\",\"overwrite\":true}", path, enc);
    req_ok("POST", "/api/2.0/dbfs/put", body);
    b64(enc, model_json);
    snprintf(body, sizeof body, "{\"path\":\"%s/model.json\",\"contents\":\"%s\",\"overwrite\":true}", path, enc);
    req_ok("POST", "/api/2.0/dbfs/put", body);
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"source\":\"dbfs:%s\"}", model, path);
    req_ok("POST", "/api/2.0/mlflow/model-versions/create", body);
}

static void create_ep(const char *name, const char *config_json, int route_optimized)
{
    dbx_serving_config *cfg = NULL;
    assert_int_equal(dbx_serving_config_from_json(&cfg, config_json), DBX_OK);
    dbx_serving_create_options co = DBX_SERVING_CREATE_OPTIONS_INIT;
    co.route_optimized = route_optimized;
    dbx_status st = dbx_serving_create(NULL, C, name, cfg, &co);
    if (st != DBX_OK)
        fail_msg("create %s: %s %s", name, dbx_status_name(st), dbx_client_last_error(C)->message);
    dbx_serving_config_free(cfg);
    st = dbx_serving_wait_ready(NULL, C, name, NULL);
    if (st != DBX_OK)
        fail_msg("wait %s: %s %s", name, dbx_status_name(st), dbx_client_last_error(C)->message);
}

static const char *hdr(const json_t *req, const char *name)
{
    const char *v = emu_req_header(req, name);
    return v ? v : "";
}

static dbx_serving_result *query_ok(dbx_client *c, const char *name, const char *body)
{
    dbx_serving_result *r = NULL;
    dbx_status st = dbx_serving_query(&r, c, name, body, NULL);
    if (st != DBX_OK)
        fail_msg("query %s: %s %s", name, dbx_status_name(st), dbx_client_last_error(c)->message);
    return r;
}

/* ---- route-optimized endpoints ----------------------------------------------------------- */

#define ONE_A "{\"served_entities\":[{\"entity_name\":\"fraud\",\"entity_version\":\"1\"}]}"

static void test_route_optimized_query(void **state)
{
    (void)state;
    emu *e = emu_get();
    register_version("fraud", MODEL_A);
    create_ep("ro-ep", ONE_A, 1);
    dbx_client *m = m2m_client();
    emu_clear_requests(e);

    /* N queries: one GET of the endpoint, one token exchange, N data-plane requests */
    double p0 = 0;
    for (int i = 0; i < 5; i++) {
        dbx_serving_result *r = query_ok(m, "ro-ep", ROW);
        assert_int_equal(dbx_serving_result_count(r), 1);
        if (i == 0)
            p0 = dbx_serving_result_double(r, 0);
        assert_true(dbx_serving_result_double(r, 0) == p0);
        assert_string_equal(dbx_serving_result_served_model_name(r), "fraud-1");
        dbx_serving_result_free(r);
    }
    assert_true(p0 > 0.5 && p0 < 1); /* sigmoid(-3.2 + 2 + 1.3) */
    assert_int_equal(emu_count(e, "/api/2.0/serving-endpoints/ro-ep"), 1);
    assert_int_equal(emu_count(e, TOKEN_PATH), 2); /* the workspace token + the data-plane token */
    assert_int_equal(emu_count(e, INV_OF("ro-ep")), 0);    /* nothing on the workspace's own route */
    assert_int_equal(emu_count_requests(e, DP "ro-ep/invocations", "other"), 5);

    /* the token exchange: jwt-bearer with the workspace token as assertion and the details as given */
    json_t *all = emu_requests_to(e, TOKEN_PATH);
    json_t *tok = json_array_get(all, 1);
    const char *body = json_string_value(json_object_get(tok, "body"));
    assert_non_null(body);
    assert_non_null(strstr(body, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"));
    assert_non_null(strstr(body, "assertion="));
    assert_non_null(strstr(body, "authorization_details=%5B%7B%22type%22%3A%22workspace_permission%22"));
    assert_string_equal(hdr(tok, "authorization"), ""); /* no client authentication */
    json_decref(all);

    /* the data plane got a bearer token that is not the workspace's */
    json_t *get = emu_last_request(e, "/api/2.0/serving-endpoints/ro-ep");
    json_t *dp = emu_last_request(e, DP "ro-ep/invocations");
    assert_string_equal(json_string_value(json_object_get(dp, "server")), "other");
    assert_int_equal(strncmp(hdr(dp, "authorization"), "Bearer ", 7), 0);
    assert_string_not_equal(hdr(dp, "authorization"), hdr(get, "authorization"));
    assert_non_null(strstr(json_string_value(json_object_get(dp, "body")), "dataframe_split"));
    json_decref(get);
    json_decref(dp);

    /* a plain endpoint queried by the same client: one GET, then the workspace route */
    register_version("plain", MODEL_B);
    create_ep("plain-ep", "{\"served_entities\":[{\"entity_name\":\"plain\",\"entity_version\":\"1\"}]}", 0);
    emu_clear_requests(e);
    for (int i = 0; i < 3; i++)
        dbx_serving_result_free(query_ok(m, "plain-ep", ROW));
    assert_int_equal(emu_count(e, "/api/2.0/serving-endpoints/plain-ep"), 1);
    assert_int_equal(emu_count(e, INV_OF("plain-ep")), 3);
    assert_int_equal(emu_count(e, TOKEN_PATH), 0);
    dbx_client_free(m);
}

static void test_route_optimized_no_secret_in_logs(void **state)
{
    (void)state;
    emu *e = emu_get();
    register_version("fraud", MODEL_A);
    create_ep("ro-log", ONE_A, 1);
    logbuf lb = {NULL, 0};
    dbx_client *m = emu_client_with(e, m2m_trace_tweak, &lb);
    emu_clear_requests(e);
    dbx_serving_result_free(query_ok(m, "ro-log", ROW));
    json_t *dp = emu_last_request(e, DP "ro-log/invocations");
    json_t *get = emu_last_request(e, "/api/2.0/serving-endpoints/ro-log");
    assert_non_null(dp);
    assert_non_null(get);
    const char *dp_h = hdr(dp, "authorization"), *ws_h = hdr(get, "authorization");
    assert_true(strncmp(dp_h, "Bearer ", 7) == 0 && strncmp(ws_h, "Bearer ", 7) == 0);
    const char *dp_tok = strchr(dp_h, ' ') + 1, *ws_tok = strchr(ws_h, ' ') + 1;
    assert_true(strlen(dp_tok) > 8 && strlen(ws_tok) > 8);
    assert_non_null(lb.text);
    assert_non_null(strstr(lb.text, "ro-log/invocations")); /* the data-plane request was logged */
    assert_null(strstr(lb.text, dp_tok));
    assert_null(strstr(lb.text, ws_tok));
    json_decref(dp);
    json_decref(get);
    free(lb.text);
    dbx_client_free(m);
}

static void test_route_optimized_insecure_url(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *m = m2m_client();
    /* an endpoint answer naming a plain-http data plane on another host: refused, no token asked for */
    emu_fault(e, "{\"method\":\"GET\",\"path\":\"/api/2.0/serving-endpoints/evil\",\"action\":\"status\",\"status\":200,"
                 "\"body\":{\"name\":\"evil\",\"route_optimized\":true,\"data_plane_info\":{\"query_info\":{"
                 "\"endpoint_url\":\"http://dp.example.com/1/serving-endpoints/evil/invocations\","
                 "\"authorization_details\":\"[]\"}}}}");
    emu_clear_requests(e);
    dbx_serving_result *r = NULL;
    assert_int_equal(dbx_serving_query(&r, m, "evil", ROW, NULL), DBX_EBADRESPONSE);
    assert_null(r);
    assert_non_null(strstr(dbx_client_last_error(m)->message, "not https"));
    assert_int_equal(emu_count(e, TOKEN_PATH), 1); /* the workspace token for the GET only */
    json_t *tok = emu_last_request(e, TOKEN_PATH);
    assert_null(strstr(json_string_value(json_object_get(tok, "body")), "jwt-bearer"));
    json_decref(tok);
    /* route-optimized without query_info: a bad answer */
    emu_fault(e, "{\"method\":\"GET\",\"path\":\"/api/2.0/serving-endpoints/bare\",\"action\":\"status\",\"status\":200,"
                 "\"body\":{\"name\":\"bare\",\"route_optimized\":true}}");
    assert_int_equal(dbx_serving_query(&r, m, "bare", ROW, NULL), DBX_EBADRESPONSE);
    assert_non_null(strstr(dbx_client_last_error(m)->message, "data_plane_info"));
    dbx_client_free(m);
}

static void test_route_optimized_pat_refused(void **state)
{
    (void)state;
    emu *e = emu_get();
    register_version("fraud", MODEL_A);
    create_ep("ro-pat", ONE_A, 1);
    emu_clear_requests(e);
    dbx_serving_result *r = NULL;
    assert_int_equal(dbx_serving_query(&r, C, "ro-pat", ROW, NULL), DBX_ECONFIG);
    assert_null(r);
    const dbx_error *err = dbx_client_last_error(C);
    assert_int_equal(err->status, DBX_ECONFIG);
    assert_non_null(strstr(err->message, "route-optimized endpoints need OAuth (M2M or U2M)"));
    assert_null(strstr(err->message, EMU_TOKEN));
    assert_int_equal(emu_count(e, TOKEN_PATH), 0);
    assert_int_equal(emu_count_requests(e, NULL, "other"), 0);
    /* and again (nothing cached that would let it through) */
    assert_int_equal(dbx_serving_query(&r, C, "ro-pat", ROW, NULL), DBX_ECONFIG);
}

static void test_route_optimized_refresh(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_config(e, "{\"serving_dp_token_ttl_s\": 300}");
    register_version("fraud", MODEL_A);
    create_ep("ro-ttl", ONE_A, 1);
    dbx_client *m = m2m_client();
    dbx_serving_result_free(query_ok(m, "ro-ttl", ROW));
    emu_clear_requests(e);

    /* the data plane's clock passes the token's expiry while libdbx's does not: 401, one new
     * GET of the endpoint and one new token, the query succeeds */
    emu_advance(e, 301 * 1000L);
    dbx_serving_result_free(query_ok(m, "ro-ttl", ROW));
    json_t *dps = emu_requests_to(e, DP "ro-ttl/invocations");
    assert_int_equal(json_array_size(dps), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(dps, 0), "status")), 401);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(dps, 1), "status")), 200);
    json_decref(dps);
    assert_int_equal(emu_count(e, TOKEN_PATH), 1);

    /* proactive refresh: 1 min before expiry libdbx asks for a new token before sending */
    emu_clear_requests(e);
    fake_clock_advance(250 * 1000L);
    emu_advance(e, 250 * 1000L);
    dbx_serving_result_free(query_ok(m, "ro-ttl", ROW));
    assert_int_equal(emu_count(e, TOKEN_PATH), 1);
    dps = emu_requests_to(e, DP "ro-ttl/invocations");
    assert_int_equal(json_array_size(dps), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(dps, 0), "status")), 200);
    json_decref(dps);

    /* a data plane that keeps refusing: retried once only, then the 403 */
    emu_clear_requests(e);
    emu_fault(e, "{\"server\":\"other\",\"path\":\"" DP "ro-ttl/invocations\",\"action\":\"status\","
                 "\"status\":403,\"times\":-1,\"body\":{\"error_code\":\"PERMISSION_DENIED\",\"message\":\"no\"}}");
    dbx_serving_result *r = NULL;
    assert_int_equal(dbx_serving_query(&r, m, "ro-ttl", ROW, NULL), DBX_EPERMISSION);
    assert_null(r);
    assert_int_equal(emu_count_requests(e, DP "ro-ttl/invocations", "other"), 2);
    emu_clear_faults(e);
    dbx_client_free(m);
}


/* A slow data-plane token exchange for one endpoint holds up neither the client's other
 * endpoints nor a second lookup: callers of the same endpoint wait for the one exchange. */
typedef struct ro_query {
    dbx_client *c;
    const char *name;
    dbx_status st;
    double p;
    atomic_int *done_order; /* 1 + how many finished before this one */
    int order;
} ro_query;

static void *ro_query_thread(void *arg)
{
    ro_query *q = arg;
    dbx_serving_result *r = NULL;
    q->st = dbx_serving_query(&r, q->c, q->name, ROW, NULL);
    q->p = q->st == DBX_OK ? dbx_serving_result_double(r, 0) : -1;
    dbx_serving_result_free(r);
    q->order = atomic_fetch_add(q->done_order, 1) + 1;
    return NULL;
}

static void test_route_optimized_lookup_does_not_block_others(void **state)
{
    (void)state;
    emu *e = emu_get();
    register_version("fraud", MODEL_A);
    create_ep("ro-slow", ONE_A, 1);
    register_version("plain", MODEL_B);
    create_ep("plain-fast", "{\"served_entities\":[{\"entity_name\":\"plain\",\"entity_version\":\"1\"}]}", 0);
    dbx_client *m = m2m_client();
    dbx_serving_result_free(query_ok(m, "plain-fast", ROW)); /* workspace token + plain endpoint cached */
    emu_clear_requests(e);
    /* the next token request (the data-plane exchange) takes 3 s */
    emu_fault(e, "{\"path\":\"" TOKEN_PATH "\",\"action\":\"delay\",\"delay_ms\":3000}");

    atomic_int done;
    atomic_init(&done, 0);
    ro_query a1 = {m, "ro-slow", DBX_EINVAL, 0, &done, 0}, a2 = a1, b = a1;
    b.name = "plain-fast";
    pthread_t ta1, ta2;
    assert_int_equal(pthread_create(&ta1, NULL, ro_query_thread, &a1), 0);
    assert_int_equal(pthread_create(&ta2, NULL, ro_query_thread, &a2), 0);
    /* once the exchange is under way (the GET of the endpoint is logged), the plain endpoint */
    for (int i = 0; i < 2000 && emu_count(e, "/api/2.0/serving-endpoints/ro-slow") == 0; i++)
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    assert_int_equal(emu_count(e, "/api/2.0/serving-endpoints/ro-slow"), 1);
    ro_query_thread(&b);
    assert_int_equal(b.st, DBX_OK);
    assert_int_equal(b.order, 1); /* before either slow query: the cache lock was not held */
    pthread_join(ta1, NULL);
    pthread_join(ta2, NULL);
    assert_int_equal(a1.st, DBX_OK);
    assert_int_equal(a2.st, DBX_OK);
    assert_true(a1.p == a2.p && a1.p > 0.5);
    /* the two callers of ro-slow shared one GET and one token exchange */
    assert_int_equal(emu_count(e, "/api/2.0/serving-endpoints/ro-slow"), 1);
    assert_int_equal(emu_count(e, TOKEN_PATH), 1);
    assert_int_equal(emu_count_requests(e, DP "ro-slow/invocations", "other"), 2);
    emu_clear_faults(e);
    dbx_client_free(m);
}

/* ---- champion / challenger ------------------------------------------------------------------ */

static int advance_poll(const char *id, const char *st, void *payload)
{
    (void)id;
    (void)st;
    (*(int *)payload)++;
    emu_advance(emu_get(), 2000);
    return 0;
}

#define TWO_AB                                                                                              \
    "{\"served_entities\":[{\"entity_name\":\"fraud\",\"entity_version\":\"1\",\"environment_vars\":{\"K\":\"v\"}}," \
    "{\"entity_name\":\"fraud\",\"entity_version\":\"2\",\"workload_size\":\"Medium\"}],"                          \
    "\"traffic_config\":{\"routes\":[{\"served_entity_name\":\"fraud-1\",\"traffic_percentage\":100},"              \
    "{\"served_entity_name\":\"fraud-2\",\"traffic_percentage\":0}]}}"

static int served_by(const char *name, const char *entity, int n)
{
    int hits = 0;
    for (int i = 0; i < n; i++) {
        dbx_serving_result *r = query_ok(C, name, ROW);
        hits += strcmp(dbx_serving_result_served_model_name(r), entity) == 0;
        dbx_serving_result_free(r);
    }
    return hits;
}

static void expect_split(const char *name, int p1, int p2)
{
    dbx_serving_traffic *t = NULL;
    assert_int_equal(dbx_serving_traffic_get(&t, C, name), DBX_OK);
    assert_int_equal(dbx_serving_traffic_count(t), 2);
    assert_string_equal(dbx_serving_traffic_entity(t, 0), "fraud-1");
    assert_string_equal(dbx_serving_traffic_entity(t, 1), "fraud-2");
    assert_int_equal(dbx_serving_traffic_percentage(t, 0), p1);
    assert_int_equal(dbx_serving_traffic_percentage(t, 1), p2);
    dbx_serving_traffic_free(t);
}

static void test_traffic_shift(void **state)
{
    (void)state;
    emu *e = emu_get();
    register_version("fraud", MODEL_A);
    register_version("fraud", MODEL_B);
    create_ep("cc", TWO_AB, 0);

    /* read back */
    emu_clear_requests(e);
    dbx_serving_traffic *t = NULL;
    assert_int_equal(dbx_serving_traffic_get(&t, C, "cc"), DBX_OK);
    assert_int_equal(emu_count(e, "/api/2.0/serving-endpoints/cc"), 1);
    assert_int_equal(dbx_serving_traffic_count(t), 2);
    assert_string_equal(dbx_serving_traffic_model(t, 0), "fraud");
    assert_string_equal(dbx_serving_traffic_version(t, 0), "1");
    assert_string_equal(dbx_serving_traffic_version(t, 1), "2");
    assert_int_equal(dbx_serving_traffic_percentage(t, 0), 100);
    assert_int_equal(dbx_serving_traffic_percentage(t, 1), 0);
    assert_string_equal(dbx_serving_traffic_entity(t, 2), "");
    assert_int_equal(dbx_serving_traffic_percentage(t, 2), 0);
    json_t *cj = json_loads(dbx_serving_traffic_config_json(t), 0, NULL);
    assert_non_null(cj);
    json_t *e0 = json_array_get(json_object_get(cj, "served_entities"), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(e0, "environment_vars"), "K")), "v");
    assert_null(json_object_get(e0, "state")); /* output-only fields left out */
    json_decref(cj);
    dbx_serving_traffic_free(t);

    /* local refusals */
    emu_clear_requests(e);
    assert_int_equal(dbx_serving_traffic_shift(NULL, C, "cc", "fraud-1", "fraud-1", 30, NULL), DBX_EINVAL);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "the same entity"));
    assert_int_equal(dbx_serving_traffic_shift(NULL, C, "cc", "fraud-1", "fraud-2", 101, NULL), DBX_EINVAL);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "challenger_pct"));
    assert_int_equal(dbx_serving_traffic_shift(NULL, C, "cc", NULL, "fraud-2", 1, NULL), DBX_EINVAL);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "champion"));
    assert_int_equal(emu_count(e, NULL), 0);
    /* entities the endpoint does not serve */
    assert_int_equal(dbx_serving_traffic_shift(NULL, C, "cc", "fraud-1", "nope", 30, NULL), DBX_ENOTFOUND);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "'nope' (the challenger)"));
    assert_int_equal(dbx_serving_traffic_shift(NULL, C, "cc", "gone", "fraud-2", 30, NULL), DBX_ENOTFOUND);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "'gone' (the champion)"));
    assert_int_equal(emu_count(e, "/api/2.0/serving-endpoints/cc/config"), 0);

    /* 70/30 without waiting; the old config keeps serving until the new one is deployed:
     * queries between the update and READY all succeed */
    emu_config(e, "{\"serving_deploy_ms\": 5000}");
    emu_clear_requests(e);
    dbx_serving_traffic_options to = DBX_SERVING_TRAFFIC_OPTIONS_INIT;
    to.no_wait = 1;
    dbx_serving_endpoint *ep = NULL;
    assert_int_equal(dbx_serving_traffic_shift(&ep, C, "cc", "fraud-1", "fraud-2", 30, &to), DBX_OK);
    assert_int_equal(dbx_serving_endpoint_config_update(ep), DBX_SERVING_CONFIG_UPDATE_IN_PROGRESS);
    dbx_serving_endpoint_free(ep);
    json_t *put = emu_last_request(e, "/api/2.0/serving-endpoints/cc/config");
    assert_non_null(put);
    json_t *ents = emu_req_json(put, "served_entities");
    assert_int_equal(json_array_size(ents), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(ents, 1), "workload_size")), "Medium");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_array_get(ents, 0), "environment_vars"), "K")), "v");
    json_t *routes = json_object_get(emu_req_json(put, "traffic_config"), "routes");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(routes, 0), "traffic_percentage")), 70);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(routes, 1), "traffic_percentage")), 30);
    json_decref(put);
    int ok = 0, failed = 0, rounds = 0;
    for (;;) {
        for (int i = 0; i < 10; i++) {
            dbx_serving_result *r = NULL;
            if (dbx_serving_query(&r, C, "cc", ROW, NULL) == DBX_OK)
                ok++;
            else
                failed++;
            dbx_serving_result_free(r);
        }
        ep = NULL;
        assert_int_equal(dbx_serving_get(&ep, C, "cc"), DBX_OK);
        int done = dbx_serving_endpoint_config_update(ep) == DBX_SERVING_CONFIG_UPDATE_NOT_UPDATING;
        dbx_serving_endpoint_free(ep);
        if (done)
            break;
        assert_true(++rounds < 20);
        emu_advance(e, 1000);
    }
    assert_int_equal(failed, 0);
    assert_true(ok >= 50); /* 5 s of deploy, 10 queries per virtual second */
    expect_split("cc", 70, 30);
    /* 100 queries: the challenger answers ~30 (exact per 100 in the emulator; a tolerance anyway) */
    int hits = served_by("cc", "fraud-2", 100);
    assert_in_range(hits, 25, 35);

    /* and back to 100/0, waiting (the wait polls on the virtual clock) */
    int polls = 0;
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.on_poll = advance_poll;
    w.payload = &polls;
    to.no_wait = 0;
    to.wait = &w;
    assert_int_equal(dbx_serving_traffic_shift(&ep, C, "cc", "fraud-1", "fraud-2", 0, &to), DBX_OK);
    assert_int_equal(dbx_serving_endpoint_config_update(ep), DBX_SERVING_CONFIG_UPDATE_NOT_UPDATING);
    assert_true(polls >= 2);
    dbx_serving_endpoint_free(ep);
    expect_split("cc", 100, 0);
    assert_int_equal(served_by("cc", "fraud-2", 20), 0);
}

static int64_t alias_version(const char *model, const char *alias)
{
    dbx_model_version *mv = NULL;
    dbx_status st = dbx_registry_version_get_by_alias(&mv, C, DBX_REGISTRY_WORKSPACE, model, alias);
    int64_t v = st == DBX_OK ? dbx_model_version_version(mv) : -1;
    dbx_model_version_free(mv);
    return v;
}

static void test_promote_rollback(void **state)
{
    (void)state;
    emu *e = emu_get();
    register_version("fraud", MODEL_A);
    register_version("fraud", MODEL_B);
    create_ep("pr", TWO_AB, 0);
    assert_int_equal(dbx_serving_traffic_shift(NULL, C, "pr", "fraud-1", "fraud-2", 30, NULL), DBX_OK);
    assert_int_equal(dbx_registry_alias_set(C, DBX_REGISTRY_WORKSPACE, "fraud", "champion", 1), DBX_OK);
    emu_config(e, "{\"serving_deploy_ms\": 4000}");

    /* promote fraud-2: it alone serves, and the alias follows it */
    int polls = 0;
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.on_poll = advance_poll;
    w.payload = &polls;
    dbx_serving_promote_options po = DBX_SERVING_PROMOTE_OPTIONS_INIT;
    po.wait = &w;
    po.alias = "champion";
    po.registry = DBX_REGISTRY_WORKSPACE;
    emu_clear_requests(e);
    dbx_serving_promotion *p = NULL;
    dbx_status st = dbx_serving_promote(&p, C, "pr", "fraud-2", &po);
    if (st != DBX_OK)
        fail_msg("promote: %s %s", dbx_status_name(st), dbx_client_last_error(C)->message);
    assert_true(polls >= 1);
    json_t *put = emu_last_request(e, "/api/2.0/serving-endpoints/pr/config");
    json_t *ents = emu_req_json(put, "served_entities");
    assert_int_equal(json_array_size(ents), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(ents, 0), "name")), "fraud-2");
    json_t *routes = json_object_get(emu_req_json(put, "traffic_config"), "routes");
    assert_int_equal(json_array_size(routes), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(routes, 0), "traffic_percentage")), 100);
    json_decref(put);
    assert_int_equal(dbx_serving_endpoint_ready(dbx_serving_promotion_endpoint(p)), DBX_SERVING_READY_READY);
    assert_string_equal(dbx_serving_promotion_model(p), "fraud");
    assert_string_equal(dbx_serving_promotion_alias(p), "champion");
    assert_int_equal(dbx_serving_promotion_alias_version(p), 2);
    assert_int_equal(dbx_serving_promotion_previous_alias_version(p), 1);
    assert_non_null(strstr(dbx_serving_promotion_previous_config_json(p), "\"fraud-1\""));
    assert_int_equal(alias_version("fraud", "champion"), 2);
    dbx_serving_traffic *t = NULL;
    assert_int_equal(dbx_serving_traffic_get(&t, C, "pr"), DBX_OK);
    assert_int_equal(dbx_serving_traffic_count(t), 1);
    assert_string_equal(dbx_serving_traffic_entity(t, 0), "fraud-2");
    assert_int_equal(dbx_serving_traffic_percentage(t, 0), 100);
    dbx_serving_traffic_free(t);
    assert_int_equal(served_by("pr", "fraud-2", 10), 10);

    /* rollback from the promotion: routes and alias as before */
    polls = 0;
    emu_clear_requests(e);
    assert_int_equal(dbx_serving_rollback_promotion(NULL, C, "pr", p, &w), DBX_OK);
    assert_true(polls >= 1);
    expect_split("pr", 70, 30);
    assert_int_equal(alias_version("fraud", "champion"), 1);
    assert_int_equal(served_by("pr", "fraud-2", 100), 30);

    /* the same from persisted JSON, with the others kept at 0 % and a new alias */
    const char *pj = dbx_serving_promotion_previous_config_json(p);
    char *saved = malloc(strlen(pj) + 1);
    assert_non_null(saved);
    memcpy(saved, pj, strlen(pj) + 1);
    dbx_serving_promotion_free(p);
    p = NULL;
    po.keep_others = 1;
    po.alias = "prod";
    po.stage = "Production";
    emu_clear_requests(e);
    assert_int_equal(dbx_serving_promote(&p, C, "pr", "fraud-2", &po), DBX_OK);
    expect_split("pr", 0, 100);
    /* the stage transition of the challenger's version (archiving the others in Production) */
    json_t *tr = emu_last_request(e, "/api/2.0/mlflow/databricks/model-versions/transition-stage");
    assert_non_null(tr);
    assert_string_equal(json_string_value(emu_req_json(tr, "stage")), "Production");
    assert_string_equal(json_string_value(emu_req_json(tr, "version")), "2");
    assert_true(json_is_true(emu_req_json(tr, "archive_existing_versions")));
    json_decref(tr);
    dbx_model_version *mv = NULL;
    assert_int_equal(dbx_registry_version_get(&mv, C, DBX_REGISTRY_WORKSPACE, "fraud", 2), DBX_OK);
    assert_string_equal(dbx_model_version_stage(mv), "Production");
    dbx_model_version_free(mv);
    assert_int_equal(dbx_serving_promotion_previous_alias_version(p), 0); /* it did not exist */
    assert_int_equal(alias_version("fraud", "prod"), 2);
    dbx_serving_promotion_free(p);
    dbx_serving_config *prev = NULL;
    assert_int_equal(dbx_serving_config_from_json(&prev, saved), DBX_OK);
    free(saved);
    dbx_serving_rollback_options ro = DBX_SERVING_ROLLBACK_OPTIONS_INIT;
    ro.wait = &w;
    ro.alias = "prod";
    ro.model_name = "fraud";
    ro.registry = DBX_REGISTRY_WORKSPACE;
    ro.alias_version = 0; /* it did not exist: deleted */
    dbx_serving_endpoint *ep = NULL;
    assert_int_equal(dbx_serving_rollback(&ep, C, "pr", prev, &ro), DBX_OK);
    assert_int_equal(dbx_serving_endpoint_route_count(ep, DBX_SERVING_ACTIVE), 2);
    dbx_serving_endpoint_free(ep);
    dbx_serving_config_free(prev);
    expect_split("pr", 70, 30);
    assert_int_equal(alias_version("fraud", "prod"), -1);

    /* refusals */
    assert_int_equal(dbx_serving_promote(NULL, C, "pr", "nope", NULL), DBX_ENOTFOUND);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "'nope' (the challenger)"));
    assert_int_equal(dbx_serving_rollback(NULL, C, "pr", NULL, NULL), DBX_EINVAL);
    ro.model_name = NULL;
    assert_int_equal(dbx_serving_config_from_json(&prev, TWO_AB), DBX_OK);
    emu_clear_requests(e);
    assert_int_equal(dbx_serving_rollback(NULL, C, "pr", prev, &ro), DBX_EINVAL);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "model_name"));
    assert_int_equal(emu_count(e, NULL), 0);
    dbx_serving_config_free(prev);
}


/* ---- /metrics ------------------------------------------------------------------------------ */

static void test_metrics(void **state)
{
    (void)state;
    emu *e = emu_get();
    register_version("fraud", MODEL_A);
    register_version("fraud", MODEL_B);
    create_ep("met", TWO_AB, 0);
    assert_int_equal(dbx_serving_traffic_shift(NULL, C, "met", "fraud-1", "fraud-2", 20, NULL), DBX_OK);
    for (int i = 0; i < 10; i++)
        dbx_serving_result_free(query_ok(C, "met", ROW));
    dbx_serving_result *r = NULL;
    assert_int_equal(dbx_serving_query(&r, C, "met", "{\"dataframe_records\":[{\"amount\":1}]}", NULL), DBX_EBADREQUEST);

    emu_clear_requests(e);
    dbx_serving_metrics *m = NULL;
    dbx_status st = dbx_serving_metrics_get(&m, C, "met");
    if (st != DBX_OK)
        fail_msg("metrics: %s %s", dbx_status_name(st), dbx_client_last_error(C)->message);
    json_t *req = emu_last_request(e, "/api/2.0/serving-endpoints/met/metrics");
    assert_non_null(req);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "GET");
    json_decref(req);
    assert_true(dbx_serving_metrics_count(m) > 10);
    /* 11 requests routed (10 scored, 1 refused with a 400): 80/20 over the entities */
    assert_true(dbx_serving_metrics_sum(m, "request_count_total", "endpoint_name", "met") == 11);
    long i2 = dbx_serving_metrics_find(m, "request_count_total", "served_entity_name", "fraud-2");
    assert_true(i2 >= 0);
    assert_int_equal(dbx_serving_metrics_type(m, (size_t)i2), DBX_METRIC_COUNTER);
    assert_string_equal(dbx_serving_metrics_label(m, (size_t)i2, "endpoint_name"), "met");
    double v2 = dbx_serving_metrics_value(m, (size_t)i2);
    double v1 = dbx_serving_metrics_sum(m, "request_count_total", "served_entity_name", "fraud-1");
    assert_true(v1 + v2 == 11 && v2 >= 1 && v2 <= 3);
    assert_true(dbx_serving_metrics_sum(m, "request_4xx_count_total", NULL, NULL) == 1);
    long b = dbx_serving_metrics_find(m, "request_latency_ms_bucket", "le", "+Inf");
    assert_true(b >= 0);
    assert_int_equal(dbx_serving_metrics_type(m, (size_t)b), DBX_METRIC_HISTOGRAM);
    assert_true(dbx_serving_metrics_sum(m, "request_latency_ms_count", NULL, NULL) == 11);
    assert_true(dbx_serving_metrics_sum(m, "request_latency_ms_bucket", "le", "+Inf") == 11);
    long g = dbx_serving_metrics_find(m, "provisioned_concurrent_requests_total", "served_entity_name", "fraud-2");
    assert_true(g >= 0);
    assert_int_equal(dbx_serving_metrics_type(m, (size_t)g), DBX_METRIC_GAUGE);
    assert_true(dbx_serving_metrics_value(m, (size_t)g) == 16); /* Medium */
    dbx_serving_metrics_free(m);

    /* errors: unknown endpoint; a hostile body */
    m = (dbx_serving_metrics *)1;
    assert_int_equal(dbx_serving_metrics_get(&m, C, "nope"), DBX_ENOTFOUND);
    assert_null(m);
    emu_fault(e, "{\"path\":\"/api/2.0/serving-endpoints/met/metrics\",\"action\":\"status\",\"status\":200,"
                 "\"body\":\"ok 1\\nbroken{a=\\\"x} 2\\n\"}");
    assert_int_equal(dbx_serving_metrics_get(&m, C, "met"), DBX_EBADRESPONSE);
    assert_null(m);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "line 2"));
    assert_int_equal(dbx_serving_metrics_get(&m, C, NULL), DBX_EINVAL);
}


/* ---- batch scoring, boolean accessor ----------------------------------------------------------- */

static dbx_serving_input *rows_input(size_t n)
{
    dbx_serving_input *in = NULL;
    const char *cols[] = {"amount", "hour"};
    assert_int_equal(dbx_serving_input_new(&in, DBX_SERVING_DATAFRAME_SPLIT), DBX_OK);
    assert_int_equal(dbx_serving_input_set_columns(in, cols, 2), DBX_OK);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(dbx_serving_input_add_row(in), DBX_OK);
        assert_int_equal(dbx_serving_input_add_double(in, (double)(i % 100) / 25.0 - 2.0), DBX_OK);
        assert_int_equal(dbx_serving_input_add_int(in, (int64_t)(i % 24)), DBX_OK);
    }
    return in;
}

/* The rows of rows_input repeat every 600 (lcm of 100 and 24): the scores of the first
 * 600, from one unbatched query, are the reference for every row. */
static double REF[600];

static void load_reference(const char *name)
{
    dbx_serving_input *in = rows_input(600);
    dbx_serving_result *r = NULL;
    assert_int_equal(dbx_serving_query_input(&r, C, name, in, NULL), DBX_OK);
    assert_int_equal(dbx_serving_result_count(r), 600);
    for (size_t i = 0; i < 600; i++)
        REF[i] = dbx_serving_result_double(r, i);
    assert_true(REF[0] != REF[1]);
    dbx_serving_result_free(r);
    dbx_serving_input_free(in);
}

static double model_a(size_t i) { return REF[i % 600]; }

static void test_query_batch(void **state)
{
    (void)state;
    emu *e = emu_get();
    register_version("fraud", MODEL_A);
    create_ep("bt", ONE_A, 0);
    load_reference("bt");
    size_t n = getenv("DBX_TEST_UNDER_VALGRIND") ? 2000 : 10000;
    dbx_serving_input *in = rows_input(n);
    assert_int_equal(dbx_serving_input_set_client_request_id(in, "batch-7"), DBX_OK);

    /* a row cap: ceil(n / 1500) requests, predictions in input order */
    emu_clear_requests(e);
    dbx_serving_result *r = NULL;
    dbx_status st = dbx_serving_query_batch(&r, C, "bt", in, 1500, NULL);
    if (st != DBX_OK)
        fail_msg("batch: %s %s", dbx_status_name(st), dbx_client_last_error(C)->message);
    size_t want = (n + 1499) / 1500;
    json_t *reqs = emu_requests_to(e, INV_OF("bt"));
    assert_int_equal(json_array_size(reqs), want);
    size_t rows_sent = 0;
    for (size_t k = 0; k < json_array_size(reqs); k++) {
        json_t *q = json_array_get(reqs, k);
        size_t rows = json_array_size(json_object_get(emu_req_json(q, "dataframe_split"), "data"));
        assert_true(rows >= 1 && rows <= 1500);
        rows_sent += rows;
        assert_string_equal(json_string_value(emu_req_json(q, "client_request_id")), "batch-7");
    }
    json_decref(reqs);
    assert_int_equal(rows_sent, n);
    assert_int_equal(dbx_serving_result_count(r), n);
    assert_string_equal(dbx_serving_result_served_model_name(r), "fraud-1");
    for (size_t i = 0; i < n; i++)
        if (fabs(dbx_serving_result_double(r, i) - model_a(i)) > 1e-9)
            fail_msg("row %zu: %.12g, want %.12g", i, dbx_serving_result_double(r, i), model_a(i));
    /* the same as one-by-one scores (a sample of rows) */
    for (size_t i = 0; i < n; i += n / 20) {
        char body[160];
        snprintf(body, sizeof body, "{\"dataframe_split\":{\"columns\":[\"amount\",\"hour\"],\"data\":[[%.17g,%d]]}}",
                 (double)(i % 100) / 25.0 - 2.0, (int)(i % 24));
        dbx_serving_result *one = query_ok(C, "bt", body);
        assert_true(dbx_serving_result_double(one, 0) == dbx_serving_result_double(r, i));
        dbx_serving_result_free(one);
    }
    dbx_serving_result_free(r);

    /* a byte limit: every body under it, still in order */
    emu_clear_requests(e);
    dbx_serving_batch_options bo = DBX_SERVING_BATCH_OPTIONS_INIT;
    bo.max_bytes_per_request = 4096;
    bo.max_parallel = 2;
    dbx_serving_input *small = rows_input(600);
    assert_int_equal(dbx_serving_query_batch(&r, C, "bt", small, 0, &bo), DBX_OK);
    reqs = emu_requests_to(e, INV_OF("bt"));
    assert_true(json_array_size(reqs) >= 4);
    for (size_t k = 0; k < json_array_size(reqs); k++)
        assert_true(strlen(json_string_value(json_object_get(json_array_get(reqs, k), "body"))) <= 4096);
    json_decref(reqs);
    assert_int_equal(dbx_serving_result_count(r), 600);
    for (size_t i = 0; i < 600; i++)
        assert_true(fabs(dbx_serving_result_double(r, i) - model_a(i)) <= 1e-9);
    dbx_serving_result_free(r);
    dbx_serving_input_free(small);

    /* a row that alone is over the limit: refused before any request, naming it */
    dbx_serving_input *big = NULL;
    const char *cols[] = {"amount", "hour", "note"};
    assert_int_equal(dbx_serving_input_new(&big, DBX_SERVING_DATAFRAME_RECORDS), DBX_OK);
    assert_int_equal(dbx_serving_input_set_columns(big, cols, 3), DBX_OK);
    char *pad = malloc(5000);
    assert_non_null(pad);
    memset(pad, 'x', 4999);
    pad[4999] = '\0';
    for (int i = 0; i < 5; i++) {
        assert_int_equal(dbx_serving_input_add_row(big), DBX_OK);
        assert_int_equal(dbx_serving_input_add_double(big, 1.0), DBX_OK);
        assert_int_equal(dbx_serving_input_add_int(big, 2), DBX_OK);
        assert_int_equal(dbx_serving_input_add_string(big, i == 3 ? pad : "ok"), DBX_OK);
    }
    free(pad);
    emu_clear_requests(e);
    r = (dbx_serving_result *)1;
    assert_int_equal(dbx_serving_query_batch(&r, C, "bt", big, 0, &bo), DBX_EINVAL);
    assert_null(r);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "input row 3"));
    assert_int_equal(emu_count(e, NULL), 0);
    dbx_serving_input_free(big);

    /* a failed chunk: the call fails with its error, naming the rows */
    emu_fault(e, "{\"path\":\"" INV_OF("bt") "\",\"after\":1,\"action\":\"status\",\"status\":400,"
                 "\"body\":{\"error_code\":\"BAD_REQUEST\",\"message\":\"refused\"}}");
    dbx_serving_input *three = rows_input(30);
    bo.max_bytes_per_request = 0;
    bo.max_parallel = 1;
    assert_int_equal(dbx_serving_query_batch(&r, C, "bt", three, 10, &bo), DBX_EBADREQUEST);
    assert_null(r);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "rows 10..19"));
    emu_clear_faults(e);
    /* local refusals */
    assert_int_equal(dbx_serving_query_batch(&r, C, "bt", NULL, 0, NULL), DBX_EINVAL);
    bo.version = 99;
    assert_int_equal(dbx_serving_query_batch(&r, C, "bt", three, 0, &bo), DBX_EINVAL);
    dbx_serving_input_free(three);
    dbx_serving_input_free(in);
}

static void test_query_batch_route_optimized(void **state)
{
    (void)state;
    emu *e = emu_get();
    register_version("fraud", MODEL_A);
    create_ep("bro", ONE_A, 1);
    create_ep("bro-ref", ONE_A, 0);
    load_reference("bro-ref");
    dbx_client *m = m2m_client();
    dbx_serving_input *in = rows_input(250);
    emu_clear_requests(e);
    dbx_serving_result *r = NULL;
    dbx_status st = dbx_serving_query_batch(&r, m, "bro", in, 100, NULL);
    if (st != DBX_OK)
        fail_msg("batch: %s %s", dbx_status_name(st), dbx_client_last_error(m)->message);
    assert_int_equal(emu_count_requests(e, DP "bro/invocations", "other"), 3);
    assert_int_equal(emu_count(e, INV_OF("bro")), 0);
    assert_int_equal(dbx_serving_result_count(r), 250);
    assert_true(fabs(dbx_serving_result_double(r, 249) - model_a(249)) <= 1e-9);
    dbx_serving_result_free(r);
    dbx_serving_input_free(in);
    dbx_client_free(m);
}

static void test_result_bool(void **state)
{
    (void)state;
    emu *e = emu_get();
    register_version("lab", MODEL_L);
    create_ep("lb", "{\"served_entities\":[{\"entity_name\":\"lab\",\"entity_version\":\"1\"}]}", 0);
    /* label output: 0 / 1 numbers */
    dbx_serving_result *r = query_ok(C, "lb", "{\"dataframe_split\":{\"columns\":[\"amount\",\"hour\"],"
                                               "\"data\":[[2.5,13],[-1.0,2]]}}");
    assert_int_equal(dbx_serving_result_bool(r, 0, -1), 1);
    assert_int_equal(dbx_serving_result_bool(r, 1, -1), 0);
    assert_int_equal(dbx_serving_result_bool(r, 2, -1), -1);
    dbx_serving_result_free(r);
    /* JSON booleans and other values, from a canned answer */
    emu_fault(e, "{\"path\":\"" INV_OF("lb") "\",\"action\":\"status\",\"status\":200,"
                 "\"body\":{\"predictions\":[true,false,\"true\",null,2,1.0,0.5]}}");
    r = query_ok(C, "lb", ROW);
    json_t *req = emu_last_request(e, INV_OF("lb"));
    assert_non_null(req);
    json_decref(req);
    assert_int_equal(dbx_serving_result_bool(r, 0, 7), 1);
    assert_int_equal(dbx_serving_result_bool(r, 1, 7), 0);
    assert_int_equal(dbx_serving_result_bool(r, 2, 7), 7);
    assert_int_equal(dbx_serving_result_bool(r, 3, 7), 7);
    assert_int_equal(dbx_serving_result_bool(r, 4, 7), 7);
    assert_int_equal(dbx_serving_result_bool(r, 5, 7), 1);
    assert_int_equal(dbx_serving_result_bool(r, 6, 7), 7);
    assert_int_equal(dbx_serving_result_bool(NULL, 0, 7), 7);
    dbx_serving_result_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_route_optimized_query, setup, teardown),
        cmocka_unit_test_setup_teardown(test_route_optimized_no_secret_in_logs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_route_optimized_insecure_url, setup, teardown),
        cmocka_unit_test_setup_teardown(test_route_optimized_pat_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_route_optimized_refresh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_route_optimized_lookup_does_not_block_others, setup, teardown),
        cmocka_unit_test_setup_teardown(test_traffic_shift, setup, teardown),
        cmocka_unit_test_setup_teardown(test_promote_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_batch_route_optimized, setup, teardown),
        cmocka_unit_test_setup_teardown(test_result_bool, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    emu_stop_all();
    return rc;
}
