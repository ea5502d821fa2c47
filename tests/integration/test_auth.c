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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#define AZURE_RESOURCE "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"
#define TOKEN_PATH "/oidc/v1/token"
#define DISCOVERY_PATH "/oidc/.well-known/oauth-authorization-server"

#define setup emu_fixture_setup
#define teardown emu_fixture_teardown

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
    assert_int_equal(emu_count(e, "/oidc/v1/token"), 0);
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
    assert_int_equal(emu_count(e, "/oidc/v1/token"), 1);

    /* 39 min later: still fresh (refresh window is min(TTL/2, 20 min) before expiry) */
    fake_clock_advance(39L * 60 * 1000);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(emu_count(e, "/oidc/v1/token"), 1);
    /* 41 min: within 20 min of expiry -> refreshed proactively, discovery not repeated */
    fake_clock_advance(2L * 60 * 1000);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(emu_count(e, "/oidc/v1/token"), 2);
    assert_int_equal(emu_count(e, "/oidc/.well-known/oauth-authorization-server"), 1);
    last_auth(e, now, sizeof now);
    assert_string_not_equal(first, now);

    /* long idle, past expiry: a new token before the call, the service never sees an expired one */
    fake_clock_advance(2L * 3600 * 1000);
    emu_advance(e, 2L * 3600 * 1000 + 41L * 60 * 1000);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(emu_count(e, "/oidc/v1/token"), 3);
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
    assert_int_equal(emu_count(e, "/oidc/v1/token"), 1);
    fake_clock_advance(2L * 1000);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(emu_count(e, "/oidc/v1/token"), 2);
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
    assert_int_equal(emu_count(e, "/api/2.1/clusters/spark-versions"), 0);
    dbx_client_free(c);
}

static void test_oauth_m2m_token_endpoint_retried(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_fault(e, "{\"path\":\"/oidc/v1/token\",\"action\":\"status\",\"status\":503}");
    dbx_client *c = emu_client_with(e, tweak_m2m, NULL);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(emu_count(e, "/oidc/v1/token"), 2);
    dbx_client_free(c);
}

/* ---- threads: single flight, deadlines, one shared outcome ------------------ */

#define N_THREADS 8

/* One call's result as its own thread saw it (the error record is per thread). */
typedef struct outcome {
    dbx_status st;
    int http_status, attempts;
    int64_t elapsed_ms; /* real time */
    char code[128], message[1024], request_id[128], path[512];
} outcome;

typedef struct tctx {
    dbx_client *c;
    pthread_barrier_t *b; /* NULL: start at once */
    outcome out;
} tctx;

#define TCTX(client, barrier) {(client), (barrier), {DBX_ERROR, 0, 0, 0, "", "", "", ""}}

static void *timed_call(void *arg)
{
    tctx *t = arg;
    if (t->b)
        pthread_barrier_wait(t->b);
    int64_t t0 = harness_real_ms();
    dbx_status st = api_call(t->c);
    outcome *o = &t->out;
    o->elapsed_ms = harness_real_ms() - t0;
    o->st = st;
    const dbx_error *err = dbx_client_last_error(t->c);
    o->http_status = err->http_status;
    o->attempts = err->attempts;
    snprintf(o->code, sizeof o->code, "%s", err->error_code);
    snprintf(o->message, sizeof o->message, "%s", err->message);
    snprintf(o->request_id, sizeof o->request_id, "%s", err->request_id);
    snprintf(o->path, sizeof o->path, "%s", err->path);
    return NULL;
}

/* N_THREADS calls on one client, released together. */
static void burst(dbx_client *c, tctx *ctx)
{
    pthread_barrier_t b;
    pthread_t th[N_THREADS];
    pthread_barrier_init(&b, NULL, N_THREADS);
    for (int i = 0; i < N_THREADS; i++) {
        ctx[i] = (tctx)TCTX(c, &b);
        assert_int_equal(pthread_create(&th[i], NULL, timed_call, &ctx[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&b);
}

static void test_oauth_single_flight(void **state)
{
    (void)state;
    emu *e = emu_get();
    /* a slow token endpoint makes all threads arrive while the fetch is in flight */
    emu_fault(e, "{\"path\":\"/oidc/v1/token\",\"action\":\"delay\",\"delay_ms\":300,\"times\":-1}");
    dbx_client *c = emu_client_with(e, tweak_m2m, NULL);
    tctx ctx[N_THREADS];
    burst(c, ctx);
    for (int i = 0; i < N_THREADS; i++)
        assert_int_equal(ctx[i].out.st, DBX_OK);
    assert_int_equal(emu_count(e, TOKEN_PATH), 1);
    assert_int_equal(emu_count(e, "/api/2.1/clusters/spark-versions"), N_THREADS);

    /* stale-but-valid: one thread refreshes, the others keep going */
    fake_clock_advance(45L * 60 * 1000);
    burst(c, ctx);
    for (int i = 0; i < N_THREADS; i++)
        assert_int_equal(ctx[i].out.st, DBX_OK);
    assert_int_equal(emu_count(e, TOKEN_PATH), 2);
    dbx_client_free(c);
}

/* ud: the retry budget in ms */
static void tweak_m2m_budget(dbx_client_options *o, void *ud)
{
    tweak_m2m(o, NULL);
    o->retry_timeout_ms = (long)(intptr_t)ud;
    o->retry_initial_delay_ms = 100;
    o->retry_max_delay_ms = 100;
}

/* The token endpoint's last error, as the caller must see it. */
static void assert_token_503(const outcome *o, int attempts)
{
    assert_int_equal(o->st, DBX_EUNAVAILABLE);
    assert_int_equal(o->http_status, 503);
    assert_int_equal(o->attempts, attempts);
    assert_string_equal(o->path, TOKEN_PATH);
    static const char prefix[] = "oauth-m2m: token request failed: ";
    if (strncmp(o->message, prefix, sizeof prefix - 1) != 0)
        fail_msg("message: %s", o->message);
    assert_non_null(strstr(o->message, "Injected fault"));
    assert_true(o->code[0] != '\0');
    assert_true(o->request_id[0] != '\0');
    assert_null(strstr(o->message, EMU_CLIENT_SECRET));
}

/* The token endpoint answers 503 from now on, with Retry-After when >= 0. */
static void fault_token_503(emu *e, int retry_after_s)
{
    char f[256];
    int n = snprintf(f, sizeof f, "{\"path\":\"" TOKEN_PATH "\",\"action\":\"status\",\"status\":503,\"times\":-1");
    if (retry_after_s >= 0)
        n += snprintf(f + n, sizeof f - (size_t)n, ",\"headers\":{\"Retry-After\":\"%d\"}", retry_after_s);
    snprintf(f + n, sizeof f - (size_t)n, "}");
    emu_fault(e, f);
}

/* Eight threads, no token yet, the token endpoint answering 503: one fetch
 * cycle runs, and every thread gets its outcome within its own budget. */
static void test_oauth_failing_endpoint_shared_outcome(void **state)
{
    (void)state;
    fake_clock_remove(); /* threads against real deadlines */
    emu *e = emu_get();
    /* Retry-After: 1 s makes one cycle exactly two attempts in a 2 s budget,
     * ending about 1 s before anyone's deadline */
    fault_token_503(e, 1);
    const long budget = 2000;
    dbx_client *c = emu_client_with(e, tweak_m2m_budget, (void *)(intptr_t)budget);
    tctx ctx[N_THREADS];
    burst(c, ctx);
    for (int i = 0; i < N_THREADS; i++) {
        const outcome *o = &ctx[i].out;
        if (o->elapsed_ms > budget + 3000)
            fail_msg("thread %d returned after %lld ms (budget %ld ms)", i, (long long)o->elapsed_ms, budget);
        assert_token_503(o, 2);
        /* the same failure, not eight separate ones */
        assert_string_equal(o->message, ctx[0].out.message);
        assert_string_equal(o->code, ctx[0].out.code);
        assert_string_equal(o->request_id, ctx[0].out.request_id);
    }
    assert_int_equal(emu_count(e, DISCOVERY_PATH), 1);
    assert_int_equal(emu_count(e, TOKEN_PATH), 2); /* one cycle, not one per thread */
    assert_int_equal(emu_count(e, "/api/2.1/clusters/spark-versions"), 0);
    dbx_client_free(c);
}

/* A slow token endpoint: the fetching thread gives up at its own deadline
 * (each attempt is capped by the time left), and a thread waiting for that
 * fetch leaves by its deadline too, with a timeout either way. (The path
 * where a waiter's deadline comes first is unit-tested with a blocking
 * transport in test_auth_unit.c: here both calls have the same budget.) */
static void test_oauth_waiter_deadline(void **state)
{
    (void)state;
    fake_clock_remove();
    emu *e = emu_get();
    emu_fault(e, "{\"path\":\"/oidc/v1/token\",\"action\":\"delay\",\"delay_ms\":2000}");
    const long budget = 800;
    dbx_client *c = emu_client_with(e, tweak_m2m_budget, (void *)(intptr_t)budget);
    tctx slow = TCTX(c, NULL);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, timed_call, &slow), 0);
    /* discovery is logged once answered: from then on that thread is in its fetch */
    for (int i = 0; i < 1000 && emu_count(e, DISCOVERY_PATH) == 0; i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(emu_count(e, DISCOVERY_PATH), 1);

    tctx waiter = TCTX(c, NULL);
    timed_call(&waiter);
    assert_int_equal(waiter.out.st, DBX_ETIMEOUT);
    if (waiter.out.elapsed_ms > budget + 3000)
        fail_msg("the waiter returned after %lld ms (budget %ld ms)", (long long)waiter.out.elapsed_ms, budget);

    pthread_join(th, NULL);
    assert_int_equal(slow.out.st, DBX_ETIMEOUT);
    if (slow.out.elapsed_ms > budget + 3000)
        fail_msg("the fetching thread returned after %lld ms (budget %ld ms; the token endpoint takes 2 s)",
                 (long long)slow.out.elapsed_ms, budget);
    /* the emulator logs the delayed request once it has answered it */
    for (int i = 0; i < 300 && emu_count(e, TOKEN_PATH) == 0; i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(emu_count(e, TOKEN_PATH), 1);
    dbx_client_free(c);
}

/* The fetch ends by the deadline of the call that makes it, and within 1 min;
 * the caller's error is the token endpoint's last answer. */
static void test_oauth_fetch_deadline(void **state)
{
    (void)state;
    emu *e = emu_get();
    fault_token_503(e, 10);
    /* a 5 min budget: token requests stop after 1 min (at 0, 10, ..., 60 s) */
    dbx_client *c = emu_client_with(e, tweak_m2m_budget, (void *)(intptr_t)300000);
    tctx t = TCTX(c, NULL);
    timed_call(&t);
    assert_token_503(&t.out, 7);
    assert_int_equal(emu_count(e, TOKEN_PATH), 7);
    assert_int_equal(fake_clock_slept_total(), 60000);
    dbx_client_free(c);

    /* a call that spent 250 s of its 300 s waiting for the API refreshes with the 50 s left */
    emu_reset(e);
    emu_config(e, "{\"oauth_token_ttl_s\": 600}"); /* refreshed from 300 s on */
    c = emu_client_with(e, tweak_m2m_budget, (void *)(intptr_t)300000);
    assert_int_equal(api_call(c), DBX_OK);
    fake_clock_advance(290L * 1000);
    emu_fault(e, "{\"path\":\"/api/2.1/clusters/spark-versions\",\"action\":\"status\",\"status\":503,"
                 "\"headers\":{\"Retry-After\":\"250\"}}");
    fault_token_503(e, 10);
    fake_clock_reset_sleeps();
    assert_int_equal(api_call(c), DBX_OK); /* the old token, still valid, serves the retry */
    assert_int_equal(emu_count(e, TOKEN_PATH), 1 + 6); /* at 540, 550, ..., 590 s */
    assert_int_equal(fake_clock_slept_total(), 250000 + 50000);
    dbx_client_free(c);
}

/* ---- cooldown after a failed proactive refresh ------------------------------- */

static void tweak_m2m_one_attempt(dbx_client_options *o, void *ud)
{
    tweak_m2m(o, ud);
    o->max_attempts = 1;
}

static void test_oauth_refresh_cooldown(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client_with(e, tweak_m2m_one_attempt, NULL);
    assert_int_equal(api_call(c), DBX_OK);
    char first[256], now[256];
    last_auth(e, first, sizeof first);
    fault_token_503(e, -1);

    /* 41 min: stale but valid, the proactive refresh fails, the old token serves */
    fake_clock_advance(41L * 60 * 1000);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(dbx_client_last_error(c)->status, DBX_OK); /* a success leaves no error behind */
    assert_int_equal(emu_count(e, TOKEN_PATH), 2);
    assert_string_equal(last_auth(e, now, sizeof now), first);
    /* no new attempt for a minute */
    fake_clock_advance(59L * 1000);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(emu_count(e, TOKEN_PATH), 2);
    /* then one, which fails and starts a new minute */
    fake_clock_advance(2L * 1000);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(emu_count(e, TOKEN_PATH), 3);
    /* the endpoint recovers: the next try after the cooldown succeeds */
    emu_clear_faults(e);
    fake_clock_advance(30L * 1000);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(emu_count(e, TOKEN_PATH), 3);
    fake_clock_advance(31L * 1000);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(emu_count(e, TOKEN_PATH), 4);
    assert_string_not_equal(last_auth(e, now, sizeof now), first);
    dbx_client_free(c);
}

/* No cooldown once nothing valid is left: an expired token is always fetched. */
static void test_oauth_expired_token_ignores_cooldown(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client_with(e, tweak_m2m_one_attempt, NULL);
    assert_int_equal(api_call(c), DBX_OK);
    fault_token_503(e, -1);
    fake_clock_advance(59L * 60 * 1000 + 30 * 1000); /* 30 s before expiry */
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(emu_count(e, TOKEN_PATH), 2);
    fake_clock_advance(31L * 1000); /* expired, inside the cooldown */
    tctx t = TCTX(c, NULL);
    timed_call(&t);
    assert_token_503(&t.out, 1);
    assert_int_equal(emu_count(e, TOKEN_PATH), 3);
    emu_clear_faults(e);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(emu_count(e, TOKEN_PATH), 4);
    dbx_client_free(c);
}

/* ---- hostile token answers and endpoints -------------------------------------- */

/* A token whose lifetime is absurd is kept for at most a year, without
 * overflow (run under UBSan by .ci/test --sanitize). */
static void test_oauth_huge_lifetimes(void **state)
{
    (void)state;
    static const char *bodies[] = {
        "{\"access_token\":\"" EMU_TOKEN "\",\"expires_in\":9300000000000000}",
        "{\"access_token\":\"" EMU_TOKEN "\",\"expires_in\":\"9223372036854775807\"}",
        "{\"access_token\":\"" EMU_TOKEN "\",\"expires_on\":\"9300000000000000\"}",
        "{\"access_token\":\"" EMU_TOKEN "\",\"expires_on\":9223372036854775807}",
    };
    emu *e = emu_get();
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        emu_reset(e);
        char fault[512];
        snprintf(fault, sizeof fault, "{\"path\":\"/oidc/v1/token\",\"action\":\"status\",\"status\":200,\"body\":%s}",
                 bodies[i]);
        emu_fault(e, fault);
        dbx_client *c = emu_client_with(e, tweak_m2m, NULL);
        assert_int_equal(api_call(c), DBX_OK);
        /* kept for hours, not expired at once */
        fake_clock_advance(2L * 1000);
        assert_int_equal(api_call(c), DBX_OK);
        fake_clock_advance(30L * 24 * 3600 * 1000);
        assert_int_equal(api_call(c), DBX_OK);
        assert_int_equal(emu_count(e, TOKEN_PATH), 1);
        /* and refreshed within a year */
        fake_clock_advance(366L * 24 * 3600 * 1000);
        assert_int_equal(api_call(c), DBX_OK);
        assert_int_equal(emu_count(e, TOKEN_PATH), 2);
        dbx_client_free(c);
    }
}

static void tweak_m2m_fast_fail(dbx_client_options *o, void *ud)
{
    tweak_m2m(o, ud);
    o->connect_timeout_ms = 300;
    o->retry_timeout_ms = 1000;
}

/* A discovered token endpoint over plain http to another host never gets the secret. */
static void test_oauth_insecure_token_endpoint(void **state)
{
    (void)state;
    emu *e = emu_get();
    char fault[512];
    /* 0.0.0.0 reaches this host on Linux, so the emulator would log a leak */
    const char *endpoints[] = {"http://0.0.0.0:%d/oidc/v1/token", "http://10.255.255.1/oidc/v1/token",
                               "http://127.0.0.1.example.com:%d/oidc/v1/token", "ftp://127.0.0.1:%d/token"};
    for (size_t i = 0; i < sizeof endpoints / sizeof *endpoints; i++) {
        emu_reset(e);
        char ep[128];
        snprintf(ep, sizeof ep, endpoints[i], e->http_port);
        snprintf(fault, sizeof fault,
                 "{\"path\":\"" DISCOVERY_PATH "\",\"action\":\"status\",\"status\":200,\"times\":-1,"
                 "\"body\":{\"issuer\":\"%s/oidc\",\"token_endpoint\":\"%s\"}}",
                 e->base, ep);
        emu_fault(e, fault);
        dbx_client *c = emu_client_with(e, tweak_m2m_fast_fail, NULL);
        assert_int_equal(api_call(c), DBX_EBADRESPONSE);
        const dbx_error *err = dbx_client_last_error(c);
        assert_non_null(strstr(err->message, "oauth-m2m"));
        assert_non_null(strstr(err->message, "token_endpoint"));
        assert_null(strstr(err->message, EMU_CLIENT_SECRET));
        /* only the discovery request was made */
        assert_int_equal(emu_count(e, NULL), 1);
        assert_int_equal(emu_count(e, DISCOVERY_PATH), 1);
        dbx_client_free(c);
    }
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
    assert_int_equal(emu_count(e, "/" EMU_TENANT "/oauth2/token"), 1);
    fake_clock_advance(2L * 1000);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(emu_count(e, "/" EMU_TENANT "/oauth2/token"), 2);
    assert_int_equal(emu_count(e, "/aad/auth"), 1); /* tenant remembered */
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
    assert_int_equal(emu_count(e, "/aad/auth"), 0);
    dbx_client_free(c);

    c = emu_client_with(e, tweak_azure_bad, e);
    assert_int_equal(api_call(c), DBX_EUNAUTHENTICATED);
    const dbx_error *err = dbx_client_last_error(c);
    assert_non_null(strstr(err->message, "azure-client-secret"));
    assert_null(strstr(err->message, "SECRET"));
    assert_int_equal(err->http_status, 401);
    dbx_client_free(c);
}

static void tweak_azure_login(dbx_client_options *o, void *ud)
{
    tweak_azure(o, emu_get());
    o->azure_login_url = ud;
}

/* The Entra login URL gets the client secret: https, or http to loopback only. */
static void test_azure_insecure_login_url(void **state)
{
    (void)state;
    emu *e = emu_get();
    char url[128];
    snprintf(url, sizeof url, "http://0.0.0.0:%d/", e->http_port);
    dbx_client *c = emu_client_with(e, tweak_azure_login, url);
    assert_int_equal(api_call(c), DBX_ECONFIG);
    const dbx_error *err = dbx_client_last_error(c);
    assert_non_null(strstr(err->message, "azure_login_url"));
    assert_null(strstr(err->message, EMU_CLIENT_SECRET));
    assert_int_equal(emu_count(e, NULL), 0); /* not even tenant discovery */
    dbx_client_free(c);

    /* loopback by name, any case */
    snprintf(url, sizeof url, "HTTP://LocalHost:%d", e->http_port);
    c = emu_client_with(e, tweak_azure_login, url);
    assert_int_equal(api_call(c), DBX_OK);
    assert_int_equal(emu_count(e, "/" EMU_TENANT "/oauth2/token"), 1);
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
        cmocka_unit_test_setup_teardown(test_oauth_failing_endpoint_shared_outcome, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oauth_waiter_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oauth_fetch_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oauth_refresh_cooldown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oauth_expired_token_ignores_cooldown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oauth_huge_lifetimes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oauth_insecure_token_endpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_azure_service_principal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_azure_tenant_given_and_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_azure_insecure_login_url, setup, teardown),
    };
    return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
