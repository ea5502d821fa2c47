#define _GNU_SOURCE
/*
 * The single-flight token refresh with full control of timing: a scripted
 * transport whose token request blocks until the test releases it. A thread
 * that waits for another thread's fetch leaves at its OWN deadline, with a
 * message that says so, and the fetch completes for the thread that made it.
 * (Against the emulator both threads have the same budget, so the fetching
 * thread's own deadline always comes first; see test_auth.c.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"

#define HOST "https://example.cloud.databricks.com"

typedef struct blocking_tx {
    dbx__transport base;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int token_requests;
    int in_token;   /* a token request is blocked */
    int release;    /* let it answer */
} blocking_tx;

static void bt_send(dbx__transport *t, const dbx__http_req *req, dbx__http_resp *resp, dbx__tx_result *res)
{
    blocking_tx *b = (blocking_tx *)t;
    memset(res, 0, sizeof *res);
    resp->status = 200;
    if (strstr(req->url, "/oidc/.well-known/")) {
        dbx__buf_puts(&resp->body, "{\"token_endpoint\":\"" HOST "/oidc/v1/token\"}");
        return;
    }
    if (strstr(req->url, "/oidc/v1/token")) {
        pthread_mutex_lock(&b->mu);
        b->token_requests++;
        b->in_token = 1;
        pthread_cond_broadcast(&b->cv);
        while (!b->release)
            pthread_cond_wait(&b->cv, &b->mu);
        b->in_token = 0;
        pthread_mutex_unlock(&b->mu);
        dbx__buf_puts(&resp->body, "{\"access_token\":\"tok-1\",\"token_type\":\"Bearer\",\"expires_in\":3600}");
        return;
    }
    dbx__buf_puts(&resp->body, "{}");
}

static void bt_destroy(dbx__transport *t)
{
    blocking_tx *b = (blocking_tx *)t;
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cv);
    free(b);
}

typedef struct call_ctx {
    dbx_client *c;
    dbx_status st;
    char message[512];
    long elapsed_ms;
} call_ctx;

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void *do_call(void *arg)
{
    call_ctx *x = arg;
    long t0 = now_ms();
    dbx_response *r = NULL;
    x->st = dbx_request(&r, x->c, "GET", "/api/2.0/x", NULL);
    snprintf(x->message, sizeof x->message, "%s", dbx_client_last_error(x->c)->message);
    x->elapsed_ms = now_ms() - t0;
    dbx_response_free(r);
    return NULL;
}

static void waiter_leaves_at_its_own_deadline(void **state)
{
    (void)state;
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.host = HOST;
    o.client_id = "id";
    o.client_secret = "secret";
    o.no_env = 1;
    o.no_config_file = 1;
    o.retry_timeout_ms = 400; /* every call's deadline */
    dbx_client *c;
    assert_int_equal(dbx_client_new(&c, &o), DBX_OK);
    c->pipe.tx->destroy(c->pipe.tx);
    blocking_tx *b = calloc(1, sizeof *b);
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    b->base.send = bt_send;
    b->base.destroy = bt_destroy;
    c->pipe.tx = &b->base;

    call_ctx fetcher = {c, DBX_ERROR, "", 0}, waiter = {c, DBX_ERROR, "", 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, do_call, &fetcher), 0);
    pthread_mutex_lock(&b->mu);
    while (!b->in_token)
        pthread_cond_wait(&b->cv, &b->mu);
    pthread_mutex_unlock(&b->mu);

    /* the fetch is in flight (and will not end by itself): wait for it */
    do_call(&waiter);
    assert_int_equal(waiter.st, DBX_ETIMEOUT);
    assert_non_null(strstr(waiter.message, "timed out waiting for the token refresh"));
    if (waiter.elapsed_ms > 400 + 3000)
        fail_msg("the waiter returned after %ld ms with a 400 ms budget", waiter.elapsed_ms);

    /* now let the fetch finish: its thread gets the token and its answer */
    pthread_mutex_lock(&b->mu);
    b->release = 1;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    pthread_join(th, NULL);
    assert_int_equal(fetcher.st, DBX_OK);
    assert_int_equal(b->token_requests, 1);

    /* and the next call uses the cached token: no new fetch */
    do_call(&waiter);
    assert_int_equal(waiter.st, DBX_OK);
    assert_int_equal(b->token_requests, 1);
    dbx_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(waiter_leaves_at_its_own_deadline),
    };
    return cmocka_run_group_tests_name("auth_flight", tests, NULL, NULL);
}
