#define _POSIX_C_SOURCE 200809L
/*
 * Authentication against the emulator: PAT, OAuth M2M (discovery, client
 * credentials in HTTP Basic, caching, proactive refresh, single-flight
 * across threads, failures) and Azure service principal (tenant discovery,
 * Entra v1 token for the Azure Databricks resource, 40 s early expiry).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define AZURE_RESOURCE "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"

#define setup emu_fixture_setup
#define teardown emu_fixture_teardown

static size_t count(emu *e, const char *path)
{
    return emu_count_requests(e, path, NULL);
}

static dbx_status api_call(dbx_client *c)
{
    dbx_spark_versions *v = NULL;
    dbx_status st = dbx_clusters_spark_versions(&v, c);
    dbx_spark_versions_free(v);
    return st;
}

static const char *last_auth(emu *e, char *buf, size_t cap)
{
    json_t *r = emu_last_request(e, "/api/2.1/clusters/spark-versions");
    const char *h = r ? emu_req_header(r, "authorization") : NULL;
    snprintf(buf, cap, "%s", h ? h : "");
    json_decref(r);
    return buf;
}

static void test_pat(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client(e);
    assert_string_equal(dbx_client_auth_type(c), "pat");
    assert_int_equal(api_call(c), DBX_OK);
    char buf[256];
    assert_string_equal(last_auth(e, buf, sizeof buf), "Bearer " EMU_TOKEN);
    json_t *r = emu_last_request(e, "/api/2.1/clusters/spark-versions");
    assert_non_null(strstr(emu_req_header(r, "user-agent"), "auth/pat"));
    json_decref(r);
    dbx_client_free(c);
}

static void tweak_bad_pat(dbx_client_options *o, void *ud)
{
    (void)ud;
    o->token = "dapi-WRONG-token-value";
}

static void test_pat_rejected(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client_with(e, tweak_bad_pat, NULL);
    assert_int_equal(api_call(c), DBX_EUNAUTHENTICATED);
    const dbx_error *err = dbx_client_last_error(c);
    assert_int_equal(err->http_status, 401);
    assert_int_equal(err->attempts, 1);
    assert_null(strstr(err->message, "WRONG"));
    dbx_client_free(c);
}

static void tweak_m2m(dbx_client_options *o, void *ud)
{
    o->token = NULL;
    o->client_id = EMU_CLIENT_ID;
    o->client_secret = ud ? (const char *)ud : EMU_CLIENT_SECRET;
}

static void test_oauth_m2m_flow_and_refresh(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client_with(e, tweak_m2m, NULL);
    assert_string_equal(dbx_client_auth_type(c), "oauth-m2m");
    /* no network at creation */
    assert_int_equal(count(e, "/oidc/v1/token"), 0);
    assert_int_equal(api_call(c), DBX_OK);

    json_t *disc = emu_last_request(e, "/oidc/.well-known/oauth-authorization-server");
    assert_non_null(disc);
    assert_string_equal(json_string_value(json_object_get(disc, "method")), "GET");
    assert_null(emu_req_header(disc, "authorization"));
    json_decref(disc);
    json_t *tok = emu_last_request(e, "/oidc/v1/token");
    assert_non_null(tok);
    assert_string_equal(json_string_value(json_object_get(tok, "method")), "POST");
    /* base64("emu-client:emu-secret") */
    assert_string_equal(emu_req_header(tok, "authorization"), "Basic ZW11LWNsaWVudDplbXUtc2VjcmV0");
    assert_string_equal(emu_req_header(tok, "content-type"), "application/x-www-form-urlencoded");
    assert_string_equal(json_string_value(json_object_get(tok, "body")), "grant_type=client_credentials&scope=all-apis");
    json_decref(tok);
    char first[256], now[256];
    last_auth(e, first, sizeof first);
    assert_true(strncmp(first, "Bearer emu-at-", 14) == 0);

    /* cached: no new token for later calls */
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(count(e, "/oidc/v1/token"), 1);

    /* 39 min later: still fresh (refresh window is min(TTL/2, 20 min) before expiry) */
    fake_clock_advance(39L * 60 * 1000);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(count(e, "/oidc/v1/token"), 1);
    /* 41 min: within 20 min of expiry -> refreshed proactively, discovery not repeated */
    fake_clock_advance(2L * 60 * 1000);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(count(e, "/oidc/v1/token"), 2);
    assert_int_equal(count(e, "/oidc/.well-known/oauth-authorization-server"), 1);
    last_auth(e, now, sizeof now);
    assert_string_not_equal(first, now);

    /* long idle, past expiry: a new token before the call, the service never sees an expired one */
    fake_clock_advance(2L * 3600 * 1000);
    emu_advance(e, 2L * 3600 * 1000 + 41L * 60 * 1000);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(count(e, "/oidc/v1/token"), 3);
    dbx_client_free(c);
}

static void test_oauth_m2m_short_ttl_uses_half(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_config(e, "{\"oauth_token_ttl_s\": 600}");
    dbx_client *c = emu_client_with(e, tweak_m2m, NULL);
    assert_int_equal(api_call(c), DBX_OK);
    fake_clock_advance(299L * 1000); /* TTL/2 = 300 s */
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(count(e, "/oidc/v1/token"), 1);
    fake_clock_advance(2L * 1000);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(count(e, "/oidc/v1/token"), 2);
    dbx_client_free(c);
}

static void test_oauth_m2m_bad_secret(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client_with(e, tweak_m2m, "very-SECRET-wrong");
    assert_int_equal(api_call(c), DBX_EUNAUTHENTICATED);
    const dbx_error *err = dbx_client_last_error(c);
    assert_int_equal(err->http_status, 401);
    assert_string_equal(err->error_code, "invalid_client");
    assert_non_null(strstr(err->message, "oauth-m2m: token request failed"));
    assert_null(strstr(err->message, "SECRET"));
    assert_string_equal(err->path, "/oidc/v1/token");
    /* the API was never called without a token */
    assert_int_equal(count(e, "/api/2.1/clusters/spark-versions"), 0);
    dbx_client_free(c);
}

static void test_oauth_m2m_token_endpoint_retried(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_fault(e, "{\"path\":\"/oidc/v1/token\",\"action\":\"status\",\"status\":503}");
    dbx_client *c = emu_client_with(e, tweak_m2m, NULL);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(count(e, "/oidc/v1/token"), 2);
    dbx_client_free(c);
}

typedef struct tctx {
    dbx_client *c;
    pthread_barrier_t *b;
    dbx_status st;
} tctx;

static void *burst(void *arg)
{
    tctx *t = arg;
    pthread_barrier_wait(t->b);
    t->st = api_call(t->c);
    return NULL;
}

static void test_oauth_single_flight(void **state)
{
    (void)state;
    emu *e = emu_get();
    /* a slow token endpoint makes all threads arrive while the fetch is in flight */
    emu_fault(e, "{\"path\":\"/oidc/v1/token\",\"action\":\"delay\",\"delay_ms\":300,\"times\":-1}");
    dbx_client *c = emu_client_with(e, tweak_m2m, NULL);
    pthread_barrier_t b;
    pthread_barrier_init(&b, NULL, 8);
    pthread_t th[8];
    tctx ctx[8];
    for (int i = 0; i < 8; i++) {
        ctx[i] = (tctx){c, &b, DBX_ERROR};
        pthread_create(&th[i], NULL, burst, &ctx[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(ctx[i].st, DBX_OK);
    }
    pthread_barrier_destroy(&b);
    assert_int_equal(count(e, "/oidc/v1/token"), 1);
    assert_int_equal(count(e, "/api/2.1/clusters/spark-versions"), 8);

    /* stale-but-valid: one thread refreshes, the others keep going */
    fake_clock_advance(45L * 60 * 1000);
    pthread_barrier_init(&b, NULL, 8);
    for (int i = 0; i < 8; i++) {
        ctx[i] = (tctx){c, &b, DBX_ERROR};
        pthread_create(&th[i], NULL, burst, &ctx[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(ctx[i].st, DBX_OK);
    }
    pthread_barrier_destroy(&b);
    assert_int_equal(count(e, "/oidc/v1/token"), 2);
    dbx_client_free(c);
}

static void tweak_azure(dbx_client_options *o, void *ud)
{
    emu *e = ud;
    o->token = NULL;
    o->auth_type = DBX_AUTH_AZURE_CLIENT_SECRET; /* 127.0.0.1 is not an Azure host */
    o->azure_client_id = EMU_CLIENT_ID;
    o->azure_client_secret = EMU_CLIENT_SECRET;
    o->azure_login_url = e->base; /* the emulator plays Entra ID too */
}

static void test_azure_service_principal(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_config(e, "{\"oauth_token_ttl_s\": 100}");
    dbx_client *c = emu_client_with(e, tweak_azure, e);
    assert_string_equal(dbx_client_auth_type(c), "azure-client-secret");
    assert_int_equal(api_call(c), DBX_OK);

    /* tenant discovered from /aad/auth (not followed) */
    json_t *aad = emu_last_request(e, "/aad/auth");
    assert_non_null(aad);
    assert_null(emu_req_header(aad, "authorization"));
    json_decref(aad);
    json_t *tok = emu_last_request(e, "/" EMU_TENANT "/oauth2/token");
    assert_non_null(tok);
    assert_null(emu_req_header(tok, "authorization"));
    const char *body = json_string_value(json_object_get(tok, "body"));
    assert_non_null(strstr(body, "grant_type=client_credentials"));
    assert_non_null(strstr(body, "client_id=" EMU_CLIENT_ID));
    assert_non_null(strstr(body, "client_secret=" EMU_CLIENT_SECRET));
    assert_non_null(strstr(body, "resource=" AZURE_RESOURCE));
    json_decref(tok);
    char buf[256];
    assert_true(strncmp(last_auth(e, buf, sizeof buf), "Bearer emu-at-", 14) == 0);

    /* TTL 100 s, treated as 60 s; refreshed within TTL/2 = 30 s of that */
    fake_clock_advance(29L * 1000);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(count(e, "/" EMU_TENANT "/oauth2/token"), 1);
    fake_clock_advance(2L * 1000);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(count(e, "/" EMU_TENANT "/oauth2/token"), 2);
    assert_int_equal(count(e, "/aad/auth"), 1); /* tenant remembered */
    dbx_client_free(c);
}

static void tweak_azure_tenant(dbx_client_options *o, void *ud)
{
    tweak_azure(o, ud);
    o->azure_tenant_id = EMU_TENANT;
    o->auth_type = DBX_AUTH_AUTO; /* a tenant id is enough to pick azure here */
}

static void tweak_azure_bad(dbx_client_options *o, void *ud)
{
    tweak_azure(o, ud);
    o->azure_client_secret = "azure-SECRET-wrong";
}

static void test_azure_tenant_given_and_failures(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client_with(e, tweak_azure_tenant, e);
    assert_string_equal(dbx_client_auth_type(c), "azure-client-secret");
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(count(e, "/aad/auth"), 0);
    dbx_client_free(c);

    c = emu_client_with(e, tweak_azure_bad, e);
    assert_int_equal(api_call(c), DBX_EUNAUTHENTICATED);
    const dbx_error *err = dbx_client_last_error(c);
    assert_non_null(strstr(err->message, "azure-client-secret"));
    assert_null(strstr(err->message, "SECRET"));
    assert_int_equal(err->http_status, 401);
    dbx_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pat_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oauth_m2m_flow_and_refresh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oauth_m2m_short_ttl_uses_half, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oauth_m2m_bad_secret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oauth_m2m_token_endpoint_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oauth_single_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_azure_service_principal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_azure_tenant_given_and_failures, setup, teardown),
    };
    return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
