/*
 * Unit tests for dbx__pipeline_send over a scripted transport: headers,
 * retries and their delays (fake clock), the retry budget, error body
 * parsing, redirects and credential scoping.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "http/http.h"

#define HOST "https://example.cloud.databricks.com"
#define TOKEN "dapi-test-token-0123456789"
#define UA "libdbx-test/1.0 libdbx/0.0"

#define assert_between(v, lo, hi)                                                               \
    do {                                                                                        \
        long long v_ = (long long)(v);                                                          \
        if (v_ < (long long)(lo) || v_ > (long long)(hi))                                       \
            fail_msg("%s = %lld not in [%lld, %lld]", #v, v_, (long long)(lo), (long long)(hi)); \
    } while (0)

/* ---- scripted transport ------------------------------------------------------------------ */

#define MAX_STEPS 16
#define MAX_REC 16
#define MAX_RESP_HEADERS 4

typedef struct step {
    dbx__tx_kind kind;
    int code;              /* CURLcode for failures */
    const char *tx_message;
    int status;
    const char *body;
    const char *headers[MAX_RESP_HEADERS]; /* "Name: value" */
    size_t body_len; /* 0: strlen(body) */
} step;

typedef struct recorded {
    char *method;
    char *url;
    char **headers;
    size_t n_headers;
    char *body; /* NULL: none */
    size_t body_len;
    long timeout_ms;
    long connect_timeout_ms;
    int no_replay;
} recorded;

typedef struct scripted {
    dbx__transport base;
    step steps[MAX_STEPS];
    int n_steps, pos;
    recorded rec[MAX_REC];
    int n_rec;
    int overrun;
} scripted;

static void scripted_send(dbx__transport *t, const dbx__http_req *req, dbx__http_resp *resp,
                          dbx__tx_result *res)
{
    scripted *s = (scripted *)t;
    memset(res, 0, sizeof *res);
    if (s->n_rec < MAX_REC) {
        recorded *r = &s->rec[s->n_rec++];
        r->method = strdup(req->method);
        r->url = strdup(req->url);
        r->n_headers = req->n_headers;
        r->headers = calloc(req->n_headers ? req->n_headers : 1, sizeof *r->headers);
        for (size_t i = 0; i < req->n_headers; i++)
            r->headers[i] = strdup(req->headers[i]);
        if (req->body) {
            r->body = malloc(req->body_len + 1);
            memcpy(r->body, req->body, req->body_len);
            r->body[req->body_len] = '\0';
            r->body_len = req->body_len;
        }
        r->timeout_ms = req->timeout_ms;
        r->connect_timeout_ms = req->connect_timeout_ms;
        r->no_replay = req->no_replay;
    }
    /* a streamed body is read whole (as libcurl would send it) unless the
     * step says the request never left */
    if (req->upload && s->pos < s->n_steps && s->steps[s->pos].kind != DBX__TX_NOT_SENT) {
        dbx__upload *up = req->upload;
        char chunk[7];
        size_t got = 0, total = 0;
        char *all = NULL;
        for (;;) {
            if (up->src->read(up->src->payload, chunk, sizeof chunk, &got) != 0) {
                up->refused = 1;
                free(all);
                s->pos++;
                res->kind = DBX__TX_ABORTED;
                snprintf(res->message, sizeof res->message, "the source's read callback stopped the upload");
                return;
            }
            if (got == 0)
                break;
            all = realloc(all, total + got + 1);
            memcpy(all + total, chunk, got);
            total += got;
            up->sent += got;
        }
        if (s->n_rec <= MAX_REC) {
            recorded *r = &s->rec[s->n_rec - 1];
            free(r->body);
            r->body = all ? all : strdup("");
            r->body[total] = '\0';
            r->body_len = total;
        } else {
            free(all);
        }
    }
    if (s->pos >= s->n_steps) {
        s->overrun = 1;
        res->kind = DBX__TX_FAILED;
        snprintf(res->message, sizeof res->message, "script exhausted");
        return;
    }
    const step *st = &s->steps[s->pos++];
    res->kind = st->kind;
    res->code = st->code;
    if (st->tx_message)
        snprintf(res->message, sizeof res->message, "%s", st->tx_message);
    if (st->kind != DBX__TX_OK)
        return;
    resp->status = st->status;
    if (st->body)
        dbx__buf_put(&resp->body, st->body, st->body_len ? st->body_len : strlen(st->body));
    for (int i = 0; i < MAX_RESP_HEADERS && st->headers[i]; i++) {
        const char *h = st->headers[i];
        const char *c = strchr(h, ':');
        const char *v = c + 1;
        while (*v == ' ')
            v++;
        dbx__resp_add_header(resp, h, (size_t)(c - h), v, strlen(v));
    }
}

static void scripted_destroy(dbx__transport *t) { (void)t; }

/* ---- fixture ----------------------------------------------------------------------------- */

static scripted TX;
static dbx__pipeline P;
static dbx__http_resp RESP;
static char host_buf[] = HOST;
static char ua_buf[] = "User-Agent: " UA;
static int owner_tag;
#define OWNER ((const dbx_client *)(const void *)&owner_tag)

static int setup(void **state)
{
    (void)state;
    memset(&TX, 0, sizeof TX);
    TX.base.send = scripted_send;
    TX.base.destroy = scripted_destroy;
    memset(&P, 0, sizeof P);
    P.owner = &owner_tag;
    P.cfg.host = host_buf;
    P.cfg.user_agent_header = ua_buf;
    P.cfg.http_timeout_ms = 60000;
    P.cfg.connect_timeout_ms = 30000;
    P.cfg.retry_timeout_ms = 300000;
    P.cfg.retry_initial_delay_ms = 1000;
    P.cfg.retry_max_delay_ms = 10000;
    P.cfg.max_attempts = 0;
    dbx__pipeline_prepare(&P);
    P.log.level = DBX_LOG_OFF;
    P.tx = &TX.base;
    dbx__auth_config ac = {DBX_AUTH_PAT, HOST, TOKEN, NULL, NULL, NULL, NULL};
    P.auth = dbx__auth_new(&ac);
    assert_non_null(P.auth);
    dbx__resp_init(&RESP);
    dbx__error_clear(NULL);
    fake_clock_install();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fake_clock_remove();
    dbx__resp_dispose(&RESP);
    dbx__auth_free(P.auth);
    for (int i = 0; i < TX.n_rec; i++) {
        recorded *r = &TX.rec[i];
        free(r->method);
        free(r->url);
        for (size_t j = 0; j < r->n_headers; j++)
            free(r->headers[j]);
        free(r->headers);
        free(r->body);
    }
    memset(&TX, 0, sizeof TX);
    return 0;
}

static void add_step(step s)
{
    assert_true(TX.n_steps < MAX_STEPS);
    TX.steps[TX.n_steps++] = s;
}

/* HTTP(status, body, "Header: v", ...): one scripted response */
static void http_step(int status, const char *body, ...)
{
    step s;
    memset(&s, 0, sizeof s);
    s.kind = DBX__TX_OK;
    s.status = status;
    s.body = body;
    va_list ap;
    va_start(ap, body);
    for (int i = 0; i < MAX_RESP_HEADERS; i++) {
        const char *h = va_arg(ap, const char *);
        if (!h)
            break;
        s.headers[i] = h;
    }
    va_end(ap);
    add_step(s);
}
#define HTTP(...) http_step(__VA_ARGS__, (const char *)NULL)

static void txerr_step(dbx__tx_kind kind, int code, const char *message)
{
    step s;
    memset(&s, 0, sizeof s);
    s.kind = kind;
    s.code = code;
    s.tx_message = message;
    add_step(s);
}
#define TXERR(k, c, m) txerr_step((k), (c), (m))

static const char *rec_header(const recorded *r, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < r->n_headers; i++)
        if (strncasecmp(r->headers[i], name, n) == 0 && r->headers[i][n] == ':')
            return r->headers[i] + n + 1 + (r->headers[i][n + 1] == ' ');
    return NULL;
}

static int n_header(const recorded *r, const char *name)
{
    int k = 0;
    size_t n = strlen(name);
    for (size_t i = 0; i < r->n_headers; i++)
        if (strncasecmp(r->headers[i], name, n) == 0 && r->headers[i][n] == ':')
            k++;
    return k;
}

static dbx_status send_call(const char *method, const char *path, const char *body)
{
    dbx__call c;
    memset(&c, 0, sizeof c);
    c.method = method;
    c.path = path;
    c.body = body;
    c.body_len = body ? strlen(body) : 0;
    return dbx__pipeline_send(&P, &c, &RESP);
}

static int sleeps(long *out, int max) { return fake_clock_sleeps(out, max); }

static const dbx_error *err(void) { return dbx_client_last_error(OWNER); }

/* ---- success and headers ------------------------------------------------------------------ */

static void success_get_headers(void **state)
{
    (void)state;
    HTTP(200, "{\"clusters\":[]}", "Content-Type: application/json", "X-Request-Id: r-1");
    assert_int_equal(send_call("GET", "/api/2.1/clusters/list?page_size=10", NULL), DBX_OK);
    assert_int_equal(TX.n_rec, 1);
    const recorded *r = &TX.rec[0];
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->url, HOST "/api/2.1/clusters/list?page_size=10");
    assert_string_equal(rec_header(r, "Authorization"), "Bearer " TOKEN);
    assert_string_equal(rec_header(r, "User-Agent"), UA);
    assert_string_equal(rec_header(r, "Accept"), "application/json");
    assert_null(rec_header(r, "Content-Type")); /* no body */
    assert_null(r->body);
    assert_int_equal(n_header(r, "Authorization"), 1);
    assert_int_equal(r->timeout_ms, 60000);
    assert_int_equal(r->connect_timeout_ms, 30000);
    assert_int_equal(RESP.status, 200);
    assert_string_equal(RESP.body.ptr, "{\"clusters\":[]}");
    assert_string_equal(dbx__resp_header(&RESP, "x-request-id"), "r-1");
    assert_int_equal(fake_clock_slept_total(), 0);
}

static void success_post_headers(void **state)
{
    (void)state;
    HTTP(200, "{\"cluster_id\":\"c-1\"}");
    const char *extra[] = {"X-Custom: yes", "Idempotency-Key: k1", NULL};
    dbx__call c;
    memset(&c, 0, sizeof c);
    c.method = "POST";
    c.path = "/api/2.1/clusters/create";
    c.body = "{\"cluster_name\":\"a\"}";
    c.body_len = strlen(c.body);
    c.headers = extra;
    c.timeout_ms = 1234;
    assert_int_equal(dbx__pipeline_send(&P, &c, &RESP), DBX_OK);
    const recorded *r = &TX.rec[0];
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->url, HOST "/api/2.1/clusters/create");
    assert_string_equal(rec_header(r, "Authorization"), "Bearer " TOKEN);
    assert_string_equal(rec_header(r, "User-Agent"), UA);
    assert_string_equal(rec_header(r, "Accept"), "application/json");
    assert_string_equal(rec_header(r, "Content-Type"), "application/json");
    assert_string_equal(rec_header(r, "X-Custom"), "yes");
    assert_string_equal(rec_header(r, "Idempotency-Key"), "k1");
    assert_string_equal(r->body, "{\"cluster_name\":\"a\"}");
    assert_int_equal(r->body_len, strlen("{\"cluster_name\":\"a\"}"));
    assert_int_equal(r->timeout_ms, 1234);
    assert_int_equal(r->no_replay, 1); /* a plain POST: libcurl may not resend it on its own */

    /* an idempotent POST may be resent (by the pipeline, and by libcurl) */
    teardown(NULL);
    setup(NULL);
    HTTP(200, "{}");
    c.idempotent = 1;
    assert_int_equal(dbx__pipeline_send(&P, &c, &RESP), DBX_OK);
    assert_int_equal(TX.rec[0].no_replay, 0);
    c.idempotent = 0;

    /* explicit content type, no auth */
    teardown(NULL);
    setup(NULL);
    HTTP(204, NULL);
    memset(&c, 0, sizeof c);
    c.method = "PUT";
    c.path = "/api/2.0/fs/files/x";
    c.body = "raw";
    c.body_len = 3;
    c.content_type = "application/octet-stream";
    c.no_auth = 1;
    assert_int_equal(dbx__pipeline_send(&P, &c, &RESP), DBX_OK);
    assert_string_equal(rec_header(&TX.rec[0], "Content-Type"), "application/octet-stream");
    assert_null(rec_header(&TX.rec[0], "Authorization"));
}

static void bad_arguments(void **state)
{
    (void)state;
    assert_int_equal(send_call("TRACE", "/api/2.0/x", NULL), DBX_EINVAL);
    assert_int_equal(err()->status, DBX_EINVAL);
    assert_int_equal(send_call("get", "/api/2.0/x", NULL), DBX_EINVAL);
    assert_int_equal(send_call("GET", "api/2.0/x", NULL), DBX_EINVAL);
    assert_int_equal(send_call("GET", "", NULL), DBX_EINVAL);
    assert_int_equal(send_call("GET", "ftp://example.cloud.databricks.com/x", NULL), DBX_EINVAL);
    assert_int_equal(TX.n_rec, 0);
}

/* ---- retries ------------------------------------------------------------------------------ */

static void retry_429_retry_after(void **state)
{
    (void)state;
    HTTP(429, "{\"error_code\":\"REQUEST_LIMIT_EXCEEDED\",\"message\":\"slow down\"}", "Retry-After: 2");
    HTTP(200, "{}");
    assert_int_equal(send_call("POST", "/api/2.1/clusters/create", "{}"), DBX_OK); /* 429: every method */
    assert_int_equal(TX.n_rec, 2);
    long s[8];
    assert_int_equal(sleeps(s, 8), 1);
    assert_int_equal(s[0], 2000);
    /* the retry is the same request */
    assert_string_equal(TX.rec[1].url, TX.rec[0].url);
    assert_string_equal(TX.rec[1].body, "{}");
    assert_string_equal(rec_header(&TX.rec[1], "Authorization"), "Bearer " TOKEN);
}

static void retry_503_backoff(void **state)
{
    (void)state;
    HTTP(503, "{\"error_code\":\"TEMPORARILY_UNAVAILABLE\",\"message\":\"busy\"}");
    HTTP(503, "");
    HTTP(200, "{}");
    assert_int_equal(send_call("GET", "/api/2.1/clusters/list", NULL), DBX_OK);
    assert_int_equal(TX.n_rec, 3);
    long s[8];
    assert_int_equal(sleeps(s, 8), 2);
    /* exponential from 1 s with equal jitter: [d/2, d] */
    assert_between(s[0], 500, 1000);
    assert_between(s[1], 1000, 2000);
}

static void retry_429_without_retry_after(void **state)
{
    (void)state;
    HTTP(429, "");
    HTTP(200, "{}");
    assert_int_equal(send_call("GET", "/api/2.1/clusters/list", NULL), DBX_OK);
    long s[8];
    assert_int_equal(sleeps(s, 8), 1);
    assert_between(s[0], 500, 1000);
}

static void retry_500_get_only(void **state)
{
    (void)state;
    HTTP(500, "{\"error_code\":\"INTERNAL_ERROR\",\"message\":\"boom\"}");
    HTTP(200, "{}");
    assert_int_equal(send_call("GET", "/api/2.1/clusters/get?cluster_id=a", NULL), DBX_OK);
    assert_int_equal(TX.n_rec, 2);

    teardown(NULL);
    setup(NULL);
    HTTP(500, "{\"error_code\":\"INTERNAL_ERROR\",\"message\":\"boom\"}");
    HTTP(200, "{}");
    assert_int_equal(send_call("POST", "/api/2.1/clusters/create", "{}"), DBX_ESERVER);
    assert_int_equal(TX.n_rec, 1);
    assert_int_equal(fake_clock_slept_total(), 0);
    const dbx_error *e = err();
    assert_int_equal(e->status, DBX_ESERVER);
    assert_int_equal(e->attempts, 1);
    assert_int_equal(e->http_status, 500);
    assert_string_equal(e->error_code, "INTERNAL_ERROR");
    assert_string_equal(e->message, "boom");
    assert_string_equal(e->method, "POST");
    assert_string_equal(e->path, "/api/2.1/clusters/create");
    assert_int_equal(RESP.status, 500);

    /* 504 likewise */
    teardown(NULL);
    setup(NULL);
    HTTP(504, "");
    HTTP(200, "{}");
    assert_int_equal(send_call("HEAD", "/api/2.0/x", NULL), DBX_OK);
    assert_int_equal(TX.n_rec, 2);
    teardown(NULL);
    setup(NULL);
    HTTP(504, "");
    assert_int_equal(send_call("DELETE", "/api/2.0/x", NULL), DBX_ETIMEOUT);
    assert_int_equal(TX.n_rec, 1);
}

static void retry_500_idempotent_post(void **state)
{
    (void)state;
    HTTP(500, "{\"error_code\":\"INTERNAL_ERROR\",\"message\":\"boom\"}");
    HTTP(200, "{\"ok\":true}");
    dbx__call c;
    memset(&c, 0, sizeof c);
    c.method = "POST";
    c.path = "/api/2.1/jobs/run-now";
    c.body = "{\"idempotency_token\":\"t\"}";
    c.body_len = strlen(c.body);
    c.idempotent = 1;
    assert_int_equal(dbx__pipeline_send(&P, &c, &RESP), DBX_OK);
    assert_int_equal(TX.n_rec, 2);
    assert_string_equal(TX.rec[1].body, "{\"idempotency_token\":\"t\"}");

    /* idempotent = -1: a GET is then not retried on 500 */
    teardown(NULL);
    setup(NULL);
    HTTP(500, "");
    HTTP(200, "{}");
    memset(&c, 0, sizeof c);
    c.method = "GET";
    c.path = "/api/2.0/x";
    c.idempotent = -1;
    assert_int_equal(dbx__pipeline_send(&P, &c, &RESP), DBX_ESERVER);
    assert_int_equal(TX.n_rec, 1);
}

static void retry_transport_failures(void **state)
{
    (void)state;
    /* not sent: retried for every method */
    TXERR(DBX__TX_NOT_SENT, 7, "Failed to connect to example.cloud.databricks.com");
    HTTP(200, "{}");
    assert_int_equal(send_call("POST", "/api/2.1/clusters/create", "{}"), DBX_OK);
    assert_int_equal(TX.n_rec, 2);
    long s[8];
    assert_int_equal(sleeps(s, 8), 1);
    assert_between(s[0], 500, 1000);

    /* failed after sending: retried for GET */
    teardown(NULL);
    setup(NULL);
    TXERR(DBX__TX_FAILED, 56, "Connection reset by peer");
    HTTP(200, "{}");
    assert_int_equal(send_call("GET", "/api/2.1/clusters/list", NULL), DBX_OK);
    assert_int_equal(TX.n_rec, 2);

    /* ... but not for POST */
    teardown(NULL);
    setup(NULL);
    TXERR(DBX__TX_FAILED, 52, "Empty reply from server");
    HTTP(200, "{}");
    assert_int_equal(send_call("POST", "/api/2.1/clusters/create", "{}"), DBX_ETRANSPORT);
    assert_int_equal(TX.n_rec, 1);
    const dbx_error *e = err();
    assert_int_equal(e->status, DBX_ETRANSPORT);
    assert_int_equal(e->transport_code, 52);
    assert_int_equal(e->http_status, 0);
    assert_int_equal(e->attempts, 1);
    assert_non_null(strstr(e->message, "Empty reply from server"));
    assert_string_equal(e->path, "/api/2.1/clusters/create");

    /* TLS: never retried, even for GET */
    teardown(NULL);
    setup(NULL);
    TXERR(DBX__TX_TLS, 60, "SSL certificate problem: unable to get local issuer certificate");
    HTTP(200, "{}");
    assert_int_equal(send_call("GET", "/api/2.1/clusters/list", NULL), DBX_ETRANSPORT);
    assert_int_equal(TX.n_rec, 1);
    assert_int_equal(err()->transport_code, 60);
    assert_non_null(strstr(err()->message, "SSL certificate problem"));
    assert_int_equal(fake_clock_slept_total(), 0);

    /* client timeout: DBX_ETIMEOUT, not retried */
    teardown(NULL);
    setup(NULL);
    TXERR(DBX__TX_TIMEOUT, 28, "Operation timed out");
    HTTP(200, "{}");
    assert_int_equal(send_call("GET", "/api/2.1/clusters/list", NULL), DBX_ETIMEOUT);
    assert_int_equal(TX.n_rec, 1);
    assert_int_equal(err()->transport_code, 28);
}

static void retry_max_attempts(void **state)
{
    (void)state;
    P.cfg.max_attempts = 3;
    for (int i = 0; i < 5; i++)
        HTTP(503, "{\"error_code\":\"TEMPORARILY_UNAVAILABLE\",\"message\":\"busy\"}", "Retry-After: 1");
    assert_int_equal(send_call("GET", "/api/2.1/clusters/list", NULL), DBX_EUNAVAILABLE);
    assert_int_equal(TX.n_rec, 3);
    long s[8];
    assert_int_equal(sleeps(s, 8), 2);
    /* Retry-After is a floor under the backoff, never a ceiling */
    assert_int_equal(s[0], 1000);
    assert_between(s[1], 1000, 2000);
    const dbx_error *e = err();
    assert_int_equal(e->attempts, 3);
    assert_non_null(strstr(e->message, "busy (HTTP 503; 3 attempts over "));
    assert_non_null(strstr(e->message, "attempt limit reached"));
    assert_int_equal(e->waited_ms, s[0] + s[1]);
    assert_int_equal(e->retry_after_ms, 1000);
    assert_int_equal(e->http_status, 503);
    assert_string_equal(e->error_code, "TEMPORARILY_UNAVAILABLE");

    /* max_attempts = 1: never retry */
    teardown(NULL);
    setup(NULL);
    P.cfg.max_attempts = 1;
    HTTP(429, "", "Retry-After: 1");
    HTTP(200, "{}");
    assert_int_equal(send_call("GET", "/api/2.1/clusters/list", NULL), DBX_ERATELIMITED);
    assert_int_equal(TX.n_rec, 1);
}

static void retry_budget_exhausted(void **state)
{
    (void)state;
    P.cfg.retry_timeout_ms = 5000;
    HTTP(429, "{\"error_code\":\"REQUEST_LIMIT_EXCEEDED\",\"message\":\"too many requests\"}",
         "Retry-After: 10");
    HTTP(200, "{}");
    assert_int_equal(send_call("GET", "/api/2.1/clusters/list", NULL), DBX_ERATELIMITED);
    assert_int_equal(TX.n_rec, 1);
    assert_int_equal(fake_clock_slept_total(), 0);
    const dbx_error *e = err();
    assert_non_null(strstr(e->message, "retry budget exhausted"));
    assert_non_null(strstr(e->message, "too many requests"));
    assert_int_equal(e->retry_after_ms, 10000);
    assert_int_equal(e->attempts, 1);

    /* budget spent over several backoffs */
    teardown(NULL);
    setup(NULL);
    P.cfg.retry_timeout_ms = 5000;
    for (int i = 0; i < 8; i++)
        HTTP(503, "");
    assert_int_equal(send_call("GET", "/api/2.1/clusters/list", NULL), DBX_EUNAVAILABLE);
    assert_true(fake_clock_slept_total() <= 5000);
    assert_non_null(strstr(err()->message, "retry budget exhausted"));
    assert_int_equal(err()->attempts, TX.n_rec);
    /* 0.5-1 s + 1-2 s always fit in 5 s, 2-4 s more may, 4-8 s more never */
    assert_true(TX.n_rec >= 3 && TX.n_rec <= 4);
}

static void retry_transient_message(void **state)
{
    (void)state;
    HTTP(400, "{\"error_code\":\"INVALID_STATE\",\"message\":\"ClusterNotReadyException: cluster c-1 is not ready\"}");
    HTTP(200, "{}");
    assert_int_equal(send_call("POST", "/api/2.0/libraries/install", "{}"), DBX_OK);
    assert_int_equal(TX.n_rec, 2);
    long s[4];
    assert_int_equal(sleeps(s, 4), 1);
    assert_between(s[0], 500, 1000);

    /* a plain 400 is not retried */
    teardown(NULL);
    setup(NULL);
    HTTP(400, "{\"error_code\":\"INVALID_PARAMETER_VALUE\",\"message\":\"bad spark_version\"}");
    HTTP(200, "{}");
    assert_int_equal(send_call("GET", "/api/2.0/x", NULL), DBX_EINVALIDPARAM);
    assert_int_equal(TX.n_rec, 1);
}

/* ---- error bodies -------------------------------------------------------------------------- */

static void error_body_databricks(void **state)
{
    (void)state;
    HTTP(404,
         "{\"error_code\":\"RESOURCE_DOES_NOT_EXIST\",\"message\":\"Cluster c-9 does not exist\","
         "\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":\"x\"},"
         "{\"@type\":\"type.googleapis.com/google.rpc.RequestInfo\",\"request_id\":\"rid-details\","
         "\"serving_data\":\"\"}]}",
         "x-request-id: rid-header");
    assert_int_equal(send_call("GET", "/api/2.1/clusters/get?cluster_id=c-9", NULL), DBX_ENOTFOUND);
    const dbx_error *e = err();
    assert_int_equal(e->status, DBX_ENOTFOUND);
    assert_int_equal(e->http_status, 404);
    assert_string_equal(e->error_code, "RESOURCE_DOES_NOT_EXIST");
    assert_string_equal(e->message, "Cluster c-9 does not exist");
    assert_string_equal(e->request_id, "rid-details");
    assert_string_equal(e->method, "GET");
    assert_string_equal(e->path, "/api/2.1/clusters/get");
    assert_int_equal(e->attempts, 1);
    assert_int_equal(e->retry_after_ms, -1);
    assert_int_equal(e->transport_code, 0);
}

static void error_body_request_id_header(void **state)
{
    (void)state;
    HTTP(403, "{\"error_code\":\"PERMISSION_DENIED\",\"message\":\"no\"}", "X-Request-Id: rid-hdr-1");
    assert_int_equal(send_call("GET", "/api/2.0/x", NULL), DBX_EPERMISSION);
    assert_string_equal(err()->request_id, "rid-hdr-1");
    assert_string_equal(err()->error_code, "PERMISSION_DENIED");

    teardown(NULL);
    setup(NULL);
    HTTP(403, "{\"error_code\":\"PERMISSION_DENIED\",\"message\":\"no\"}", "x-databricks-request-id: rid-db");
    assert_int_equal(send_call("GET", "/api/2.0/x", NULL), DBX_EPERMISSION);
    assert_string_equal(err()->request_id, "rid-db");
}

static void error_body_legacy_and_oauth(void **state)
{
    (void)state;
    HTTP(400, "{\"error\":\"Cluster is in unexpected state\"}");
    assert_int_equal(send_call("GET", "/api/1.2/commands/status", NULL), DBX_EBADREQUEST);
    assert_string_equal(err()->message, "Cluster is in unexpected state");
    assert_string_equal(err()->error_code, "");

    teardown(NULL);
    setup(NULL);
    HTTP(401, "{\"error\":\"invalid_client\",\"error_description\":\"Client authentication failed\"}");
    assert_int_equal(send_call("POST", "/oidc/v1/token", "grant_type=client_credentials"), DBX_EUNAUTHENTICATED);
    assert_string_equal(err()->error_code, "invalid_client");
    assert_string_equal(err()->message, "Client authentication failed");
    assert_int_equal(err()->http_status, 401);
}

static void error_body_scim(void **state)
{
    (void)state;
    HTTP(404, "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:Error\"],"
              "\"detail\":\"User 42 not found\",\"status\":\"404\"}");
    assert_int_equal(send_call("GET", "/api/2.0/preview/scim/v2/Users/42", NULL), DBX_ENOTFOUND);
    assert_string_equal(err()->error_code, "SCIM_404");
    assert_string_equal(err()->message, "User 42 not found");
}

/* Server text in the error record is printable and never empty: a body
 * starting with NUL, control bytes, invalid UTF-8, a JSON message that
 * starts with \u0000 (found by fuzz_client). */
static void error_text_sanitised(void **state)
{
    (void)state;
    static const char nul_first[] = "\0hidden\x01rest";
    step st = {DBX__TX_OK, 0, NULL, 400, nul_first, {NULL}, sizeof nul_first - 1};
    add_step(st);
    assert_int_equal(send_call("POST", "/api/2.0/x", NULL), DBX_EBADREQUEST);
    assert_string_equal(err()->message, "?hidden?rest");
    teardown(NULL);
    setup(NULL);
    HTTP(400, "{\"error_code\":\"BAD\\u0001CODE\",\"message\":\"\\u0000x\\ty\\u001bz\"}");
    assert_int_equal(send_call("POST", "/api/2.0/x", NULL), DBX_EBADREQUEST);
    assert_string_equal(err()->error_code, "BAD?CODE");
    assert_string_equal(err()->message, "?x\ty?z");
    teardown(NULL);
    setup(NULL);
    HTTP(500, "plain \xff\xfe text \xc3\xa9");
    assert_int_equal(send_call("POST", "/api/2.0/x", NULL), DBX_ESERVER);
    assert_string_equal(err()->message, "plain ?? text \xc3\xa9");
    teardown(NULL);
    setup(NULL);
    HTTP(400, "{\"error_code\":\"X\",\"message\":\"caf\u00e9 \\u4e2d\"}");
    assert_int_equal(send_call("POST", "/api/2.0/x", NULL), DBX_EBADREQUEST);
    assert_string_equal(err()->message, "caf\u00e9 \u4e2d"); /* valid UTF-8 stays */
}

static void error_body_html_and_text(void **state)
{
    (void)state;
    HTTP(400, "<html><head><title>Error</title></head><body><h2>HTTP ERROR 400</h2>"
              "<pre>  Bad Request: something broke  </pre></body></html>");
    assert_int_equal(send_call("GET", "/api/2.0/x", NULL), DBX_EBADREQUEST);
    assert_string_equal(err()->message, "Bad Request: something broke");

    /* HTML without <pre>: a generic message, never the page */
    teardown(NULL);
    setup(NULL);
    HTTP(403, "<html><body>Forbidden by proxy</body></html>");
    assert_int_equal(send_call("GET", "/api/2.0/x", NULL), DBX_EPERMISSION);
    assert_string_equal(err()->message, "HTTP 403");

    teardown(NULL);
    setup(NULL);
    HTTP(400, "INVALID_PARAMETER_VALUE: spark_version is required\n");
    assert_int_equal(send_call("GET", "/api/2.0/x", NULL), DBX_EINVALIDPARAM);
    assert_string_equal(err()->error_code, "INVALID_PARAMETER_VALUE");
    assert_string_equal(err()->message, "spark_version is required");

    teardown(NULL);
    setup(NULL);
    HTTP(409, "  plain conflict text  ");
    assert_int_equal(send_call("GET", "/api/2.0/x", NULL), DBX_ECONFLICT);
    assert_string_equal(err()->error_code, "");
    assert_string_equal(err()->message, "plain conflict text");

    teardown(NULL);
    setup(NULL);
    HTTP(502, "");
    assert_int_equal(send_call("POST", "/api/2.0/x", NULL), DBX_ESERVER); /* a POST: not retried */
    assert_string_equal(err()->message, "HTTP 502");
    assert_string_equal(err()->error_code, "");
    assert_string_equal(err()->request_id, "");
    assert_int_equal(TX.n_rec, 1); /* 502 is not retried */

    /* a long message is cut */
    teardown(NULL);
    setup(NULL);
    char body[3000];
    int n = snprintf(body, sizeof body, "{\"error_code\":\"BAD_REQUEST\",\"message\":\"");
    memset(body + n, 'z', 2000);
    snprintf(body + n + 2000, sizeof body - (size_t)n - 2000, "\"}");
    HTTP(400, body);
    assert_int_equal(send_call("GET", "/api/2.0/x", NULL), DBX_EBADREQUEST);
    assert_true(strlen(err()->message) <= 1023);
    assert_true(strlen(err()->message) >= 900);
}

static void error_quirk_through_pipeline(void **state)
{
    (void)state;
    HTTP(400, "{\"error_code\":\"INVALID_PARAMETER_VALUE\",\"message\":\"Cluster c-1 does not exist\"}");
    assert_int_equal(send_call("GET", "/api/2.1/clusters/get?cluster_id=c-1", NULL), DBX_ENOTFOUND);
    assert_string_equal(err()->error_code, "INVALID_PARAMETER_VALUE");
    teardown(NULL);
    setup(NULL);
    HTTP(400, "{\"error_code\":\"INVALID_PARAMETER_VALUE\",\"message\":\"Cluster c-1 does not exist\"}");
    assert_int_equal(send_call("POST", "/api/2.1/clusters/delete", "{\"cluster_id\":\"c-1\"}"), DBX_ENOTFOUND);
    teardown(NULL);
    setup(NULL);
    HTTP(400, "{\"error_code\":\"INVALID_PARAMETER_VALUE\",\"message\":\"Job 5 does not exist\"}");
    /* the service answers run-now on a missing job this way ({"error_code":
     * "INVALID_PARAMETER_VALUE","message":"Job 0 does not exist."}, as quoted in
     * astronomer/astronomer-providers#1254): not found, like jobs/get */
    assert_int_equal(send_call("POST", "/api/2.1/jobs/run-now", "{\"job_id\":5}"), DBX_ENOTFOUND);
    teardown(NULL);
    setup(NULL);
    HTTP(400, "{\"error_code\":\"INVALID_PARAMETER_VALUE\",\"message\":\"Job 5 does not exist\"}");
    assert_int_equal(send_call("POST", "/api/2.1/jobs/create", "{}"), DBX_EINVALIDPARAM);
    teardown(NULL);
    setup(NULL);
    HTTP(400, "{\"error_code\":\"RESOURCE_ALREADY_EXISTS\",\"message\":\"exists\"}");
    assert_int_equal(send_call("POST", "/api/2.0/secrets/scopes/create", "{}"), DBX_EEXISTS);
}

/* ---- redirects ------------------------------------------------------------------------------- */

static void redirect_not_followed(void **state)
{
    (void)state;
    HTTP(302, "", "Location: https://login.example.net/sso?state=abc");
    HTTP(200, "{}");
    assert_int_equal(send_call("GET", "/api/2.0/x", NULL), DBX_EBADRESPONSE);
    assert_int_equal(TX.n_rec, 1);
    assert_int_equal(err()->http_status, 302);
    assert_string_equal(err()->path, "/api/2.0/x");
    assert_null(strstr(err()->message, "state=abc"));
}

static dbx_status send_follow(const char *method, const char *path, const char *body)
{
    dbx__call c;
    memset(&c, 0, sizeof c);
    c.method = method;
    c.path = path;
    c.body = body;
    c.body_len = body ? strlen(body) : 0;
    c.follow_redirects = 1;
    return dbx__pipeline_send(&P, &c, &RESP);
}

static void redirect_other_host_drops_auth(void **state)
{
    (void)state;
    HTTP(302, "", "Location: https://storage.example.net/bucket/blob?X-Amz-Signature=sig");
    HTTP(200, "data");
    assert_int_equal(send_follow("GET", "/api/2.0/fs/files/Volumes/a", NULL), DBX_OK);
    assert_int_equal(TX.n_rec, 2);
    assert_string_equal(rec_header(&TX.rec[0], "Authorization"), "Bearer " TOKEN);
    assert_string_equal(TX.rec[1].url, "https://storage.example.net/bucket/blob?X-Amz-Signature=sig");
    assert_null(rec_header(&TX.rec[1], "Authorization"));
    for (size_t i = 0; i < TX.rec[1].n_headers; i++)
        assert_null(strstr(TX.rec[1].headers[i], TOKEN));
    assert_string_equal(rec_header(&TX.rec[1], "User-Agent"), UA);
    assert_string_equal(RESP.body.ptr, "data");
}

/* Only non-secret caller headers cross origins; a request body never does. */
static void redirect_other_host_drops_secret_headers_and_bodies(void **state)
{
    (void)state;
    static const char *const extra[] = {"X-Databricks-Azure-SP-Management-Token: MGMT_SECRET",
                                        "X-Trace: keep-me", "Cookie: session=C_SECRET", NULL};
    HTTP(302, "", "Location: https://elsewhere.example.net/x");
    HTTP(200, "{}");
    dbx__call c;
    memset(&c, 0, sizeof c);
    c.method = "GET";
    c.path = "/api/2.0/a";
    c.headers = extra;
    c.follow_redirects = 1;
    assert_int_equal(dbx__pipeline_send(&P, &c, &RESP), DBX_OK);
    assert_int_equal(TX.n_rec, 2);
    assert_non_null(rec_header(&TX.rec[0], "X-Databricks-Azure-SP-Management-Token"));
    assert_null(rec_header(&TX.rec[1], "X-Databricks-Azure-SP-Management-Token"));
    assert_null(rec_header(&TX.rec[1], "Cookie"));
    assert_string_equal(rec_header(&TX.rec[1], "X-Trace"), "keep-me");
    assert_null(rec_header(&TX.rec[1], "Authorization"));

    /* 307/308 keep the method and body: refused towards another origin */
    static const int keep_body[] = {307, 308};
    for (int i = 0; i < 2; i++) {
        teardown(NULL);
        setup(NULL);
        char loc[96];
        snprintf(loc, sizeof loc, "Location: https://elsewhere.example.net/y");
        HTTP(keep_body[i], "", loc);
        HTTP(200, "{}");
        assert_int_equal(send_follow("POST", "/api/2.0/submit", "{\"secret\":\"BODY\"}"), DBX_ETRANSPORT);
        assert_int_equal(TX.n_rec, 1);
        assert_non_null(strstr(err()->message, "request body to another host"));
    }
    /* a PUT redirected (302) elsewhere keeps its body: refused too */
    teardown(NULL);
    setup(NULL);
    HTTP(302, "", "Location: https://elsewhere.example.net/z");
    assert_int_equal(send_follow("PUT", "/api/2.0/fs/files/a", "data"), DBX_ETRANSPORT);
    assert_int_equal(TX.n_rec, 1);
    /* ...but the same origin may have it */
    teardown(NULL);
    setup(NULL);
    HTTP(307, "", "Location: /api/2.0/fs/files/b");
    HTTP(204, "");
    assert_int_equal(send_follow("PUT", "/api/2.0/fs/files/a", "data"), DBX_OK);
    assert_string_equal(TX.rec[1].body, "data");
}

static void redirect_same_origin_keeps_auth(void **state)
{
    (void)state;
    HTTP(301, "", "Location: /api/2.1/clusters/list");
    HTTP(307, "", "Location: https://EXAMPLE.cloud.databricks.com:443/api/2.2/clusters/list");
    HTTP(200, "{}");
    assert_int_equal(send_follow("GET", "/api/2.0/clusters/list", NULL), DBX_OK);
    assert_int_equal(TX.n_rec, 3);
    assert_string_equal(TX.rec[1].url, HOST "/api/2.1/clusters/list");
    assert_string_equal(rec_header(&TX.rec[1], "Authorization"), "Bearer " TOKEN);
    assert_string_equal(TX.rec[2].url, "https://EXAMPLE.cloud.databricks.com:443/api/2.2/clusters/list");
    assert_string_equal(rec_header(&TX.rec[2], "Authorization"), "Bearer " TOKEN);
    assert_int_equal(fake_clock_slept_total(), 0);
}

static void redirect_post_303_becomes_get(void **state)
{
    (void)state;
    HTTP(303, "", "Location: /api/2.0/result/1");
    HTTP(200, "{}");
    assert_int_equal(send_follow("POST", "/api/2.0/submit", "{\"a\":1}"), DBX_OK);
    assert_string_equal(TX.rec[1].method, "GET");
    assert_null(TX.rec[1].body);
    assert_null(rec_header(&TX.rec[1], "Content-Type"));
}

static void redirect_https_to_http_refused(void **state)
{
    (void)state;
    HTTP(302, "", "Location: http://example.cloud.databricks.com/api/2.0/x");
    HTTP(200, "{}");
    assert_int_equal(send_follow("GET", "/api/2.0/x", NULL), DBX_ETRANSPORT);
    assert_int_equal(TX.n_rec, 1);
    assert_non_null(strstr(err()->message, "https to http"));
}

static void redirect_loop_limited(void **state)
{
    (void)state;
    for (int i = 0; i < MAX_STEPS; i++)
        HTTP(302, "", "Location: /api/2.0/loop");
    assert_int_equal(send_follow("GET", "/api/2.0/loop", NULL), DBX_EBADRESPONSE);
    assert_int_equal(TX.n_rec, 9); /* the first request + 8 redirects followed */
    assert_int_equal(TX.overrun, 0);
    assert_non_null(strstr(err()->message, "too many redirects"));
}

static void absolute_url_rules(void **state)
{
    (void)state;
    /* credentials are never sent to another host: refused before any send */
    assert_int_equal(send_call("GET", "https://other.example.net/x", NULL), DBX_EINVAL);
    assert_int_equal(TX.n_rec, 0);
    assert_int_equal(err()->status, DBX_EINVAL);
    /* same host on another port or scheme is another origin */
    assert_int_equal(send_call("GET", "https://example.cloud.databricks.com:8443/x", NULL), DBX_EINVAL);
    assert_int_equal(send_call("GET", "http://example.cloud.databricks.com/x", NULL), DBX_EINVAL);
    /* userinfo tricks do not fool the origin check */
    assert_int_equal(send_call("GET", "https://example.cloud.databricks.com@evil.example.net/x", NULL), DBX_EINVAL);
    assert_int_equal(TX.n_rec, 0);

    /* with no_auth an absolute URL is fine, and carries no credentials */
    HTTP(200, "blob");
    dbx__call c;
    memset(&c, 0, sizeof c);
    c.method = "GET";
    c.path = "https://other.example.net/x?sig=s3cr3t";
    c.no_auth = 1;
    assert_int_equal(dbx__pipeline_send(&P, &c, &RESP), DBX_OK);
    assert_int_equal(TX.n_rec, 1);
    assert_string_equal(TX.rec[0].url, "https://other.example.net/x?sig=s3cr3t");
    assert_null(rec_header(&TX.rec[0], "Authorization"));

    /* an absolute URL to the workspace itself keeps credentials */
    HTTP(200, "{}");
    assert_int_equal(send_call("GET", "HTTPS://example.cloud.databricks.com/api/2.0/y", NULL), DBX_OK);
    assert_string_equal(rec_header(&TX.rec[1], "Authorization"), "Bearer " TOKEN);
}

static void error_path_has_no_query(void **state)
{
    (void)state;
    HTTP(404, "{\"error_code\":\"NOT_FOUND\",\"message\":\"gone\"}");
    assert_int_equal(send_call("GET", "/api/2.0/fs/files/a?token=QSECRET&x=1", NULL), DBX_ENOTFOUND);
    assert_string_equal(err()->path, "/api/2.0/fs/files/a");
    assert_null(strstr(err()->message, "QSECRET"));

    teardown(NULL);
    setup(NULL);
    TXERR(DBX__TX_TLS, 35, "handshake failed");
    assert_int_equal(send_call("GET", "/api/2.0/x?password=QSECRET&y=2", NULL), DBX_ETRANSPORT);
    assert_string_equal(err()->path, "/api/2.0/x");

    /* another host (no_auth): origin + path, still no query */
    teardown(NULL);
    setup(NULL);
    HTTP(403, "AccessDenied");
    dbx__call c;
    memset(&c, 0, sizeof c);
    c.method = "GET";
    c.path = "https://storage.example.net/b/o?X-Amz-Signature=QSECRET";
    c.no_auth = 1;
    assert_int_equal(dbx__pipeline_send(&P, &c, &RESP), DBX_EPERMISSION);
    assert_null(strstr(err()->path, "QSECRET"));
    assert_null(strchr(err()->path, '?'));
    assert_non_null(strstr(err()->path, "/b/o"));

    /* after a followed redirect, the final URL's query is dropped too */
    teardown(NULL);
    setup(NULL);
    HTTP(302, "", "Location: https://storage.example.net/b/o?sig=QSECRET");
    HTTP(403, "");
    assert_int_equal(send_follow("GET", "/api/2.0/fs/files/a", NULL), DBX_EPERMISSION);
    assert_null(strstr(err()->path, "QSECRET"));
    assert_null(strchr(err()->path, '?'));
}

typedef struct log_sink {
    int calls;
    dbx__buf all;
} log_sink;

static void sink_fn(dbx_log_level level, dbx_log_category cat, const char *msg, void *payload)
{
    (void)level;
    (void)cat;
    log_sink *s = payload;
    s->calls++;
    dbx__buf_puts(&s->all, msg);
    dbx__buf_putc(&s->all, '\n');
}

static void log_never_shows_secrets(void **state)
{
    (void)state;
    /* TRACE logging goes through redaction: no secret reaches the callback */
    log_sink s = {0, DBX__BUF_INIT};
    P.log.fn = sink_fn;
    P.log.payload = &s;
    P.log.level = DBX_LOG_TRACE;
    HTTP(429, "{\"error_code\":\"REQUEST_LIMIT_EXCEEDED\",\"access_token\":\"RESPSECRET\"}", "Retry-After: 1");
    HTTP(200, "{\"access_token\":\"RESPSECRET\",\"token_type\":\"Bearer\"}");
    assert_int_equal(send_call("POST", "/api/2.0/token/create?token=QSECRET&page_token=p1",
                               "{\"client_secret\":\"BODYSECRET\",\"comment\":\"c\"}"),
                     DBX_OK);
    assert_true(s.calls >= 4);
    assert_non_null(s.all.ptr);
    assert_null(strstr(s.all.ptr, TOKEN));
    assert_null(strstr(s.all.ptr, "RESPSECRET"));
    assert_null(strstr(s.all.ptr, "BODYSECRET"));
    assert_null(strstr(s.all.ptr, "QSECRET"));
    assert_non_null(strstr(s.all.ptr, "Authorization: Bearer **REDACTED**"));
    assert_non_null(strstr(s.all.ptr, "page_token=p1"));
    assert_non_null(strstr(s.all.ptr, "/api/2.0/token/create"));
    dbx__buf_dispose(&s.all);
}

/* ---- streamed bodies (dbx__call.upload) ------------------------------------------------------ */

typedef struct msrc {
    const char *data;
    size_t len, pos;
    int rewinds, refuse;
} msrc;

static int msrc_read(void *p, char *buf, size_t cap, size_t *n)
{
    msrc *m = p;
    if (m->refuse)
        return -1;
    size_t k = m->len - m->pos < cap ? m->len - m->pos : cap;
    memcpy(buf, m->data + m->pos, k);
    m->pos += k;
    *n = k;
    return 0;
}

static int msrc_rewind(void *p)
{
    msrc *m = p;
    m->rewinds++;
    m->pos = 0;
    return 0;
}

static dbx_status send_upload(msrc *m, int rewindable)
{
    static dbx_source src;
    src = (dbx_source)DBX_SOURCE_INIT;
    src.read = msrc_read;
    src.rewind = rewindable ? msrc_rewind : NULL;
    src.payload = m;
    src.size = (int64_t)m->len;
    dbx__call c;
    memset(&c, 0, sizeof c);
    c.method = "PUT";
    c.path = "/api/2.0/fs/files/Volumes/a/b/c/f";
    c.upload = &src;
    c.content_type = "application/octet-stream";
    return dbx__pipeline_send(&P, &c, &RESP);
}

static void upload_not_rewindable_never_resent(void **state)
{
    (void)state;
    msrc m = {"hello, streamed world", 21, 0, 0, 0};
    HTTP(503, "{\"error_code\":\"TEMPORARILY_UNAVAILABLE\",\"message\":\"busy\"}");
    HTTP(200, "");
    assert_int_equal(send_upload(&m, 0), DBX_EUNAVAILABLE);
    assert_int_equal(TX.n_rec, 1);
    assert_string_equal(TX.rec[0].body, "hello, streamed world");
    assert_string_equal(rec_header(&TX.rec[0], "Content-Type"), "application/octet-stream");
    const dbx_error *e = dbx_client_last_error(OWNER);
    assert_non_null(strstr(e->message, "could not be re-read"));
    assert_int_equal(e->attempts, 1);
    assert_int_equal(fake_clock_slept_total(), 0);
    /* the same for a failure after sending */
    teardown(NULL);
    setup(NULL);
    m.pos = 0;
    TXERR(DBX__TX_FAILED, 56, "Connection reset by peer");
    HTTP(200, "");
    assert_int_equal(send_upload(&m, 0), DBX_ETRANSPORT);
    assert_int_equal(TX.n_rec, 1);
}

static void upload_rewound_before_retry(void **state)
{
    (void)state;
    msrc m = {"0123456789abcdef", 16, 0, 0, 0};
    HTTP(503, "{\"error_code\":\"TEMPORARILY_UNAVAILABLE\",\"message\":\"busy\"}");
    HTTP(429, "{}");
    HTTP(204, "");
    assert_int_equal(send_upload(&m, 1), DBX_OK);
    assert_int_equal(TX.n_rec, 3);
    assert_int_equal(m.rewinds, 2);
    for (int i = 0; i < 3; i++)
        assert_string_equal(TX.rec[i].body, "0123456789abcdef");
}

static void upload_not_sent_is_retried(void **state)
{
    (void)state;
    /* the connection failed before a byte was read: safe to retry even
     * without a rewind */
    msrc m = {"abc", 3, 0, 0, 0};
    TXERR(DBX__TX_NOT_SENT, 7, "Failed to connect");
    HTTP(200, "");
    assert_int_equal(send_upload(&m, 0), DBX_OK);
    assert_int_equal(TX.n_rec, 2);
    assert_string_equal(TX.rec[1].body, "abc");
}

static void upload_refused_is_cancelled(void **state)
{
    (void)state;
    msrc m = {"abc", 3, 0, 0, 1};
    HTTP(200, "");
    HTTP(200, "");
    assert_int_equal(send_upload(&m, 1), DBX_ECANCELLED);
    assert_int_equal(TX.n_rec, 1);
    assert_int_equal(m.rewinds, 0);
}

/* ---- many calls at once (the batch path, here without a multi transport) ---------------- */

static void batch_same_rules_per_call(void **state)
{
    (void)state;
    HTTP(503, "{\"error_code\":\"TEMPORARILY_UNAVAILABLE\",\"message\":\"busy\"}"); /* call 0 */
    HTTP(404, "{\"error_code\":\"NOT_FOUND\",\"message\":\"no such chunk\"}");     /* call 1 */
    HTTP(200, "two");                                                                 /* call 2 */
    HTTP(200, "zero");                                                                /* call 0 again */
    const char *hdrs[] = {"x-amz-server-side-encryption-customer-key: k3y", NULL};
    dbx__call c[3];
    dbx__http_resp r[3];
    dbx__batch_item it[3];
    memset(c, 0, sizeof c);
    for (int i = 0; i < 3; i++) {
        c[i].method = "GET";
        dbx__resp_init(&r[i]);
        it[i].call = &c[i];
        it[i].resp = &r[i];
    }
    c[0].path = "/api/2.0/sql/statements/s/result/chunks/0";
    c[1].path = "/api/2.0/sql/statements/s/result/chunks/1";
    c[2].path = "https://bucket.example.net/chunk2?X-Amz-Signature=abc";
    c[2].no_auth = 1;
    c[2].headers = hdrs;
    assert_int_equal(dbx__pipeline_send_many(&P, it, 3, 3), DBX_ENOTFOUND);
    assert_int_equal(it[0].status, DBX_OK);
    assert_int_equal(it[1].status, DBX_ENOTFOUND);
    assert_int_equal(it[2].status, DBX_OK);
    assert_null(it[0].error);
    assert_non_null(it[1].error);
    assert_string_equal(dbx__errsave_record(it[1].error)->error_code, "NOT_FOUND");
    /* the thread's record is the first failure's */
    assert_int_equal(err()->status, DBX_ENOTFOUND);
    assert_string_equal(err()->error_code, "NOT_FOUND");
    assert_string_equal(err()->path, "/api/2.0/sql/statements/s/result/chunks/1");
    assert_string_equal(r[0].body.ptr, "zero");
    assert_string_equal(r[2].body.ptr, "two");
    assert_int_equal(TX.n_rec, 4);
    assert_string_equal(TX.rec[3].url, HOST "/api/2.0/sql/statements/s/result/chunks/0");
    /* the presigned request: its own header, never the workspace's credentials */
    assert_null(rec_header(&TX.rec[2], "Authorization"));
    assert_string_equal(rec_header(&TX.rec[2], "x-amz-server-side-encryption-customer-key"), "k3y");
    assert_string_equal(rec_header(&TX.rec[0], "Authorization"), "Bearer " TOKEN);
    /* the retry waited its backoff, once */
    long sl[4];
    assert_int_equal(sleeps(sl, 4), 1);
    assert_between(sl[0], 500, 1000);
    dbx__batch_dispose(it, 3);
    for (int i = 0; i < 3; i++)
        dbx__resp_dispose(&r[i]);
}

static void batch_all_ok_and_bad_call(void **state)
{
    (void)state;
    HTTP(200, "a");
    HTTP(200, "b");
    dbx__call c[3];
    dbx__http_resp r[3];
    dbx__batch_item it[3];
    memset(c, 0, sizeof c);
    for (int i = 0; i < 3; i++) {
        c[i].method = "GET";
        c[i].path = "/api/2.0/x";
        dbx__resp_init(&r[i]);
        it[i].call = &c[i];
        it[i].resp = &r[i];
    }
    assert_int_equal(dbx__pipeline_send_many(&P, it, 2, 0), DBX_OK);
    assert_int_equal(err()->status, DBX_OK);
    dbx__batch_dispose(it, 2);
    /* a call refused before any I/O fails alone; the others are sent */
    HTTP(200, "c");
    c[1].path = "/api/2.0/bad path";
    c[1].no_auth = 0;
    assert_int_equal(dbx__pipeline_send_many(&P, it, 2, 1), DBX_EINVAL);
    assert_int_equal(it[0].status, DBX_OK);
    assert_int_equal(it[1].status, DBX_EINVAL);
    assert_int_equal(TX.n_rec, 3);
    dbx__batch_dispose(it, 2);
    assert_int_equal(dbx__pipeline_send_many(&P, it, 0, 1), DBX_OK);
    for (int i = 0; i < 3; i++)
        dbx__resp_dispose(&r[i]);
}

/* ---- the incremental engine (here without a multi transport) ------------------------------ */

static void engine_cancel_deadline_counts(void **state)
{
    (void)state;
    HTTP(429, "{\"error_code\":\"REQUEST_LIMIT_EXCEEDED\",\"message\":\"slow down\"}"); /* a: retried */
    HTTP(200, "a");
    HTTP(200, "b");
    dbx__engine_opts o = {1, 0, 0};
    dbx__engine *e = dbx__engine_new(&P, &o);
    assert_non_null(e);
    dbx__call c[4];
    dbx__http_resp r[4];
    memset(c, 0, sizeof c);
    const char *tags[] = {"a", "b", "cancelled", "late"};
    for (int i = 0; i < 4; i++) {
        c[i].method = "POST";
        c[i].path = "/serving-endpoints/m/invocations?secret=1";
        c[i].body = "{}";
        c[i].body_len = 2;
        dbx__resp_init(&r[i]);
        if (i == 3)
            c[i].deadline_ms = dbx__now_ms() - 1; /* already past: ends while queued, never sent */
        assert_int_equal(dbx__engine_submit(e, &c[i], &r[i], (void *)tags[i]), DBX_OK);
    }
    assert_int_equal(dbx__engine_pending(e), 4);
    assert_int_equal(dbx__engine_queued(e), 4);
    assert_int_equal(dbx__engine_cancel(e, (void *)tags[2]), 0);
    assert_int_equal(dbx__engine_cancel(e, (void *)"nobody"), -1);
    dbx__engine_done d;
    const char *order[4];
    dbx_status st[4];
    int n = 0;
    while (n < 4 && dbx__engine_step(e, -1, &d)) {
        order[n] = d.tag;
        st[n] = d.status;
        if (d.status == DBX_ECANCELLED || d.status == DBX_ETIMEOUT) {
            assert_non_null(d.error);
            const char *msg = dbx__errsave_record(d.error)->message;
            assert_non_null(strstr(msg, "while queued"));
            assert_null(strstr(msg, "secret")); /* never the query string */
        }
        dbx__errsave_free(d.error);
        n++;
    }
    assert_int_equal(n, 4);
    assert_string_equal(order[0], "cancelled");
    assert_int_equal(st[0], DBX_ECANCELLED);
    assert_string_equal(order[1], "late");
    assert_int_equal(st[1], DBX_ETIMEOUT);
    assert_string_equal(order[2], "a");
    assert_int_equal(st[2], DBX_OK);
    assert_string_equal(order[3], "b");
    assert_int_equal(st[3], DBX_OK);
    assert_string_equal(r[0].body.ptr, "a");
    assert_string_equal(r[1].body.ptr, "b");
    assert_int_equal(TX.n_rec, 3);
    assert_int_equal(dbx__engine_retries(e), 1);
    assert_int_equal(dbx__engine_pending(e), 0);
    assert_int_equal(dbx__engine_step(e, 0, &d), 0);
    dbx__engine_free(e);
    dbx__engine_free(NULL);
    for (int i = 0; i < 4; i++)
        dbx__resp_dispose(&r[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(success_get_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(upload_not_rewindable_never_resent, setup, teardown),
        cmocka_unit_test_setup_teardown(upload_rewound_before_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(upload_not_sent_is_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(upload_refused_is_cancelled, setup, teardown),
        cmocka_unit_test_setup_teardown(success_post_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(retry_429_retry_after, setup, teardown),
        cmocka_unit_test_setup_teardown(retry_503_backoff, setup, teardown),
        cmocka_unit_test_setup_teardown(retry_429_without_retry_after, setup, teardown),
        cmocka_unit_test_setup_teardown(retry_500_get_only, setup, teardown),
        cmocka_unit_test_setup_teardown(retry_500_idempotent_post, setup, teardown),
        cmocka_unit_test_setup_teardown(retry_transport_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(retry_max_attempts, setup, teardown),
        cmocka_unit_test_setup_teardown(retry_budget_exhausted, setup, teardown),
        cmocka_unit_test_setup_teardown(retry_transient_message, setup, teardown),
        cmocka_unit_test_setup_teardown(error_body_databricks, setup, teardown),
        cmocka_unit_test_setup_teardown(error_body_request_id_header, setup, teardown),
        cmocka_unit_test_setup_teardown(error_body_legacy_and_oauth, setup, teardown),
        cmocka_unit_test_setup_teardown(error_body_scim, setup, teardown),
        cmocka_unit_test_setup_teardown(error_body_html_and_text, setup, teardown),
        cmocka_unit_test_setup_teardown(error_text_sanitised, setup, teardown),
        cmocka_unit_test_setup_teardown(error_quirk_through_pipeline, setup, teardown),
        cmocka_unit_test_setup_teardown(redirect_not_followed, setup, teardown),
        cmocka_unit_test_setup_teardown(redirect_other_host_drops_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(redirect_same_origin_keeps_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(redirect_other_host_drops_secret_headers_and_bodies, setup, teardown),
        cmocka_unit_test_setup_teardown(redirect_post_303_becomes_get, setup, teardown),
        cmocka_unit_test_setup_teardown(redirect_https_to_http_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(redirect_loop_limited, setup, teardown),
        cmocka_unit_test_setup_teardown(absolute_url_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(error_path_has_no_query, setup, teardown),
        cmocka_unit_test_setup_teardown(log_never_shows_secrets, setup, teardown),
        cmocka_unit_test_setup_teardown(batch_same_rules_per_call, setup, teardown),
        cmocka_unit_test_setup_teardown(batch_all_ok_and_bad_call, setup, teardown),
        cmocka_unit_test_setup_teardown(engine_cancel_deadline_counts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
