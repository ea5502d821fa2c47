/*
 * Model serving extras against the emulator over HTTP: route-optimized
 * endpoints (data-plane tokens), champion / challenger traffic, /metrics,
 * the batch helper and the boolean accessor. Every test asserts on the
 * requests libdbx sent (the emulator's request log) and on the result.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_route_optimized_query, setup, teardown),
        cmocka_unit_test_setup_teardown(test_route_optimized_pat_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_route_optimized_refresh, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    emu_stop_all();
    return rc;
}
