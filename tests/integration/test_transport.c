#define _POSIX_C_SOURCE 200809L
/*
 * The pipeline against the emulator over real HTTP/HTTPS: retries and
 * Retry-After, idempotency rules, timeouts, malformed and truncated
 * responses, redirects that must not leak credentials, TLS verification,
 * logging redaction, the dbx_request escape hatch, and 8 threads sharing
 * one client.
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

#include "harness.h"

#define setup emu_fixture_setup
#define teardown emu_fixture_teardown

static char *make_cluster(dbx_client *c)
{
    dbx_cluster_spec *s;
    assert_int_equal(dbx_cluster_spec_new(&s), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_spark_version(s, "15.4.x-scala2.12"), DBX_OK);
    char *id = NULL;
    assert_int_equal(dbx_clusters_create(&id, c, s), DBX_OK);
    dbx_cluster_spec_free(s);
    return id;
}


static void tweak_attempts(dbx_client_options *o, void *ud) { o->max_attempts = *(int *)ud; }

static void test_429_honours_retry_after(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client(e);
    char *id = make_cluster(c);
    emu_fault(e, "{\"path\":\"/api/2.1/clusters/get\",\"times\":2,\"action\":\"status\",\"status\":429,"
                 "\"headers\":{\"Retry-After\":\"2\"},"
                 "\"body\":{\"error_code\":\"REQUEST_LIMIT_EXCEEDED\",\"message\":\"slow down\"}}");
    dbx_cluster *cl = NULL;
    assert_int_equal(dbx_clusters_get(&cl, c, id), DBX_OK);
    assert_string_equal(dbx_cluster_id(cl), id);
    dbx_cluster_free(cl);
    long sleeps[8];
    assert_int_equal(fake_clock_sleeps(sleeps, 8), 2);
    assert_int_equal(sleeps[0], 2000);
    assert_int_equal(sleeps[1], 2000);
    assert_int_equal(emu_count(e, "/api/2.1/clusters/get"), 3);
    dbx_client_free(c);

    /* out of attempts: the error says so */
    int attempts = 2;
    c = emu_client_with(e, tweak_attempts, &attempts);
    emu_fault(e, "{\"path\":\"/api/2.1/clusters/get\",\"times\":-1,\"action\":\"status\",\"status\":429,"
                 "\"headers\":{\"Retry-After\":\"3\"},"
                 "\"body\":{\"error_code\":\"REQUEST_LIMIT_EXCEEDED\",\"message\":\"slow down\"}}");
    assert_int_equal(dbx_clusters_get(&cl, c, id), DBX_ERATELIMITED);
    const dbx_error *err = dbx_client_last_error(c);
    assert_int_equal(err->http_status, 429);
    assert_string_equal(err->error_code, "REQUEST_LIMIT_EXCEEDED");
    /* the last server error, with what retrying cost */
    assert_non_null(strstr(err->message, "slow down (HTTP 429; 2 attempts over "));
    assert_non_null(strstr(err->message, "attempt limit reached"));
    assert_int_equal(err->attempts, 2);
    assert_int_equal(err->retry_after_ms, 3000);
    dbx_client_free(c);
    dbx_free(id);
}

static void test_retry_after_http_date_and_budget(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client(e); /* retry budget 60 s in the harness */
    /* a Retry-After past the budget is not waited for */
    emu_fault(e, "{\"path\":\"/api/2.1/clusters/spark-versions\",\"times\":1,\"action\":\"status\","
                 "\"status\":503,\"headers\":{\"Retry-After\":\"120\"}}");
    dbx_spark_versions *v = NULL;
    assert_int_equal(dbx_clusters_spark_versions(&v, c), DBX_EUNAVAILABLE);
    assert_non_null(strstr(dbx_client_last_error(c)->message, "retry budget exhausted"));
    assert_int_equal(fake_clock_slept_total(), 0);
    assert_int_equal(dbx_client_last_error(c)->retry_after_ms, 120000);

    /* an HTTP-date Retry-After */
    char date[64], fault[256];
    time_t t = time(NULL) + 5;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    snprintf(fault, sizeof fault,
             "{\"path\":\"/api/2.1/clusters/spark-versions\",\"times\":1,\"action\":\"status\","
             "\"status\":503,\"headers\":{\"Retry-After\":\"%s\"}}", date);
    emu_fault(e, fault);
    assert_int_equal(dbx_clusters_spark_versions(&v, c), DBX_OK);
    dbx_spark_versions_free(v);
    long sleeps[4];
    assert_int_equal(fake_clock_sleeps(sleeps, 4), 1);
    assert_true(sleeps[0] >= 3000 && sleeps[0] <= 5000);
    dbx_client_free(c);
}

static void test_503_retries_post_but_500_does_not(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client(e);
    /* 503: the server did not process it, so even a create is retried */
    emu_fault(e, "{\"path\":\"/api/2.1/clusters/create\",\"action\":\"status\",\"status\":503}");
    char *id = make_cluster(c);
    assert_int_equal(emu_count(e, "/api/2.1/clusters/create"), 2);
    long sleeps[4];
    assert_int_equal(fake_clock_sleeps(sleeps, 4), 1);
    assert_true(sleeps[0] >= 500 && sleeps[0] <= 1000); /* backoff with equal jitter */
    dbx_free(id);

    /* 500 on a create: it may have happened, so no retry */
    json_decref(emu_ctl(e, "DELETE", "/__emulator/requests", NULL));
    emu_fault(e, "{\"path\":\"/api/2.1/clusters/create\",\"action\":\"status\",\"status\":500,"
                 "\"body\":{\"error_code\":\"INTERNAL_ERROR\",\"message\":\"oops\"}}");
    dbx_cluster_spec *s;
    dbx_cluster_spec_new(&s);
    dbx_cluster_spec_set_spark_version(s, "x");
    assert_int_equal(dbx_clusters_create(&id, c, s), DBX_ESERVER);
    assert_null(id);
    assert_int_equal(dbx_client_last_error(c)->attempts, 1);
    assert_int_equal(emu_count(e, "/api/2.1/clusters/create"), 1);
    dbx_cluster_spec_free(s);

    /* 500 on a GET is retried */
    emu_fault(e, "{\"path\":\"/api/2.1/clusters/list-node-types\",\"action\":\"status\",\"status\":500}");
    dbx_node_types *nt;
    assert_int_equal(dbx_clusters_list_node_types(&nt, c), DBX_OK);
    dbx_node_types_free(nt);
    assert_int_equal(emu_count(e, "/api/2.1/clusters/list-node-types"), 2);

    /* transient message in a 400 body is retried */
    emu_fault(e, "{\"path\":\"/api/2.1/clusters/spark-versions\",\"action\":\"status\",\"status\":400,"
                 "\"body\":{\"error_code\":\"INVALID_STATE\",\"message\":\"ClusterNotReadyException: wait\"}}");
    dbx_spark_versions *v;
    assert_int_equal(dbx_clusters_spark_versions(&v, c), DBX_OK);
    dbx_spark_versions_free(v);
    dbx_client_free(c);
}

static void test_dropped_connection(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client(e);
    char *id = make_cluster(c);
    emu_fault(e, "{\"path\":\"/api/2.1/clusters/get\",\"action\":\"drop\"}");
    dbx_cluster *cl;
    assert_int_equal(dbx_clusters_get(&cl, c, id), DBX_OK); /* GET: retried */
    dbx_cluster_free(cl);
    dbx_free(id);

    /* POST: libdbx does not retry it, and libcurl is not let resend it
     * either. (libcurl resends on its own when a reused keep-alive
     * connection dies before any byte of the answer; the server may have
     * acted on the request, so a non-idempotent body is never sent twice.)
     * So: one request seen, one attempt. */
    json_decref(emu_ctl(e, "DELETE", "/__emulator/requests", NULL));
    emu_fault(e, "{\"path\":\"/api/2.1/clusters/create\",\"action\":\"drop\",\"times\":2}");
    dbx_cluster_spec *s;
    dbx_cluster_spec_new(&s);
    dbx_cluster_spec_set_spark_version(s, "x");
    assert_int_equal(dbx_clusters_create(&id, c, s), DBX_ETRANSPORT); /* POST: not retried */
    const dbx_error *err = dbx_client_last_error(c);
    assert_int_equal(err->attempts, 1);
    assert_int_equal(err->http_status, 0);
    assert_true(err->transport_code != 0);
    assert_string_equal(err->method, "POST");
    assert_string_equal(err->path, "/api/2.1/clusters/create");
    assert_non_null(strstr(err->message, "not sent again"));
    assert_int_equal(emu_count(e, "/api/2.1/clusters/create"), 1);
    emu_clear_faults(e);

    /* the case that matters: the server created the cluster, then the
     * connection died before the answer. One cluster, never two. */
    size_t before = 0;
    {
        dbx_clusters_iter *it;
        const dbx_cluster *item;
        assert_int_equal(dbx_clusters_list(&it, c, NULL), DBX_OK);
        while (dbx_clusters_iter_next(&item, it) == DBX_OK)
            before++;
        dbx_clusters_iter_free(it);
    }
    emu_fault(e, "{\"path\":\"/api/2.1/clusters/create\",\"action\":\"drop_after\"}");
    assert_int_equal(dbx_clusters_create(&id, c, s), DBX_ETRANSPORT); /* kept-alive connection */
    {
        size_t after = 0;
        dbx_clusters_iter *it;
        const dbx_cluster *item;
        assert_int_equal(dbx_clusters_list(&it, c, NULL), DBX_OK);
        while (dbx_clusters_iter_next(&item, it) == DBX_OK)
            after++;
        dbx_clusters_iter_free(it);
        assert_int_equal(after, before + 1);
    }

    /* on a fresh connection there is no resend at all */
    dbx_client *fresh = emu_client(e);
    json_decref(emu_ctl(e, "DELETE", "/__emulator/requests", NULL));
    emu_fault(e, "{\"path\":\"/api/2.1/clusters/create\",\"action\":\"drop\"}");
    assert_int_equal(dbx_clusters_create(&id, fresh, s), DBX_ETRANSPORT);
    assert_int_equal(emu_count(e, "/api/2.1/clusters/create"), 1);
    dbx_client_free(fresh);
    dbx_cluster_spec_free(s);
    dbx_client_free(c);
}

static void tweak_timeout(dbx_client_options *o, void *ud)
{
    (void)ud;
    o->http_timeout_ms = 300;
}

static void test_request_timeout(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client_with(e, tweak_timeout, NULL);
    emu_fault(e, "{\"path\":\"/api/2.1/clusters/spark-versions\",\"action\":\"delay\",\"delay_ms\":1500}");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    dbx_spark_versions *v = NULL;
    assert_int_equal(dbx_clusters_spark_versions(&v, c), DBX_ETIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    assert_true(ms < 1400);
    assert_null(v);
    assert_int_equal(dbx_client_last_error(c)->transport_code, 28); /* CURLE_OPERATION_TIMEDOUT */
    assert_int_equal(dbx_client_last_error(c)->attempts, 1);
    dbx_client_free(c);
}

static void test_malformed_and_truncated(void **state)
{
    (void)state;
    emu *e = emu_get();
    int attempts = 2;
    dbx_client *c = emu_client_with(e, tweak_attempts, &attempts);
    char *id = make_cluster(c);
    dbx_cluster *cl = (dbx_cluster *)1;

    emu_fault(e, "{\"path\":\"/api/2.1/clusters/get\",\"action\":\"malformed\"}");
    assert_int_equal(dbx_clusters_get(&cl, c, id), DBX_EBADRESPONSE);
    assert_null(cl);
    assert_non_null(strstr(dbx_client_last_error(c)->message, "not valid JSON"));
    assert_int_equal(dbx_client_last_error(c)->http_status, 200);

    emu_fault(e, "{\"path\":\"/api/2.1/clusters/get\",\"action\":\"malformed\",\"body\":\"[1,2,3]\"}");
    assert_int_equal(dbx_clusters_get(&cl, c, id), DBX_EBADRESPONSE);
    assert_non_null(strstr(dbx_client_last_error(c)->message, "not an object"));

    emu_fault(e, "{\"path\":\"/api/2.1/clusters/get\",\"action\":\"malformed\",\"body\":\"{\\\"state\\\":\\\"RUNNING\\\"}\"}");
    assert_int_equal(dbx_clusters_get(&cl, c, id), DBX_EBADRESPONSE);
    assert_non_null(strstr(dbx_client_last_error(c)->message, "no cluster_id"));
    /* a failure found in the content of a good answer names that answer */
    assert_int_equal(dbx_client_last_error(c)->http_status, 200);
    assert_string_equal(dbx_client_last_error(c)->method, "GET");
    assert_string_equal(dbx_client_last_error(c)->path, "/api/2.1/clusters/get");
    assert_true(strlen(dbx_client_last_error(c)->request_id) > 0);

    emu_fault(e, "{\"path\":\"/api/2.1/clusters/get\",\"action\":\"truncate\",\"times\":-1}");
    assert_int_equal(dbx_clusters_get(&cl, c, id), DBX_ETRANSPORT);
    assert_int_equal(dbx_client_last_error(c)->attempts, 2);
    json_decref(emu_ctl(e, "DELETE", "/__emulator/faults", NULL));

    /* a 502 on a GET is retried (idempotent); the last one is reported */
    emu_fault(e, "{\"path\":\"/api/2.1/clusters/get\",\"action\":\"status\",\"status\":502,\"times\":-1,"
                 "\"headers\":{\"Content-Type\":\"text/html\"},"
                 "\"body\":\"<html><body><pre>Bad gateway from the edge</pre></body></html>\"}");
    assert_int_equal(dbx_clusters_get(&cl, c, id), DBX_ESERVER);
    assert_non_null(strstr(dbx_client_last_error(c)->message, "Bad gateway from the edge (HTTP 502; "));
    json_decref(emu_ctl(e, "DELETE", "/__emulator/faults", NULL));

    emu_fault(e, "{\"path\":\"/api/2.1/clusters/get\",\"action\":\"status\",\"status\":404,\"body\":\"\"}");
    assert_int_equal(dbx_clusters_get(&cl, c, id), DBX_ENOTFOUND);
    assert_string_equal(dbx_client_last_error(c)->message, "HTTP 404");

    /* after all that, the client still works */
    assert_int_equal(dbx_clusters_get(&cl, c, id), DBX_OK);
    dbx_cluster_free(cl);
    dbx_free(id);
    dbx_client_free(c);
}

static void test_redirect_never_leaks_credentials(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client(e);
    emu_fault(e, "{\"path\":\"/api/2.1/clusters/spark-versions\",\"action\":\"redirect\",\"status\":302}");
    dbx_spark_versions *v = NULL;
    assert_int_equal(dbx_clusters_spark_versions(&v, c), DBX_EBADRESPONSE);
    assert_non_null(strstr(dbx_client_last_error(c)->message, "redirect"));
    json_t *all = emu_requests(e);
    size_t i;
    json_t *r;
    json_array_foreach(all, i, r) assert_string_not_equal(json_string_value(json_object_get(r, "server")), "other");
    json_decref(all);

    /* followed on request: the other host gets the request without credentials */
    emu_fault(e, "{\"path\":\"/api/2.0/preview/thing\",\"action\":\"redirect\",\"status\":307}");
    dbx_request_options ro = DBX_REQUEST_OPTIONS_INIT;
    ro.follow_redirects = 1;
    dbx_response *resp = NULL;
    assert_int_equal(dbx_request_ex(&resp, c, "GET", "/api/2.0/preview/thing?x=1", &ro), DBX_OK);
    assert_int_equal(dbx_response_status(resp), 200);
    assert_non_null(strstr(dbx_response_body(resp, NULL), "other_host"));
    dbx_response_free(resp);
    all = emu_requests(e);
    int other = 0;
    json_array_foreach(all, i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, "server")), "other") == 0) {
            other++;
            assert_null(emu_req_header(r, "authorization"));
            assert_string_equal(emu_req_query(r, "x"), "1");
        } else if (strcmp(json_string_value(json_object_get(r, "path")), "/api/2.0/preview/thing") == 0) {
            assert_string_equal(emu_req_header(r, "authorization"), "Bearer " EMU_TOKEN);
        }
    }
    assert_int_equal(other, 1);
    json_decref(all);

    /* credentials are refused for absolute URLs to another host */
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.2:%d/x", e->other_port);
    assert_int_equal(dbx_request(&resp, c, "GET", url, NULL), DBX_EINVAL);
    ro.follow_redirects = 0;
    ro.no_auth = 1;
    assert_int_equal(dbx_request_ex(&resp, c, "GET", url, &ro), DBX_OK);
    dbx_response_free(resp);
    json_t *last = emu_last_request(e, "/x");
    assert_null(emu_req_header(last, "authorization"));
    json_decref(last);
    dbx_client_free(c);
}

static void tweak_tls(dbx_client_options *o, void *ud)
{
    emu *e = ud;
    o->host = e->tls_base;
    o->ca_bundle = e->ca_file;
}

static void tweak_tls_nobundle(dbx_client_options *o, void *ud)
{
    emu *e = ud;
    o->host = e->tls_base;
    o->max_attempts = 3;
}

static void tweak_tls_insecure(dbx_client_options *o, void *ud)
{
    emu *e = ud;
    o->host = e->tls_base;
    o->insecure_skip_verify = 1;
}

static void test_https(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client_with(e, tweak_tls, e);
    assert_non_null(strstr(dbx_client_host(c), "https://"));
    char *id = make_cluster(c);
    dbx_cluster *cl;
    assert_int_equal(dbx_clusters_get(&cl, c, id), DBX_OK);
    assert_string_equal(dbx_cluster_id(cl), id);
    dbx_cluster_free(cl);
    json_t *req = emu_last_request(e, "/api/2.1/clusters/get");
    assert_string_equal(json_string_value(json_object_get(req, "server")), "tls");
    json_decref(req);
    dbx_client_free(c);

    /* verification is on by default: the emulator's CA is not trusted */
    c = emu_client_with(e, tweak_tls_nobundle, e);
    assert_int_equal(dbx_clusters_get(&cl, c, id), DBX_ETRANSPORT);
    assert_int_equal(dbx_client_last_error(c)->attempts, 1); /* never retried */
    assert_true(dbx_client_last_error(c)->transport_code == 60 || dbx_client_last_error(c)->transport_code == 35);
    dbx_client_free(c);

    c = emu_client_with(e, tweak_tls_insecure, e);
    assert_int_equal(dbx_clusters_get(&cl, c, id), DBX_OK);
    dbx_cluster_free(cl);
    dbx_client_free(c);
    dbx_free(id);
}

typedef struct logbuf {
    pthread_mutex_t mu;
    char *text;
    size_t len;
    int lines;
} logbuf;

static void collect_log(dbx_log_level lvl, dbx_log_category cat, const char *msg, void *payload)
{
    (void)lvl;
    (void)cat;
    logbuf *b = payload;
    pthread_mutex_lock(&b->mu);
    size_t n = strlen(msg);
    b->text = realloc(b->text, b->len + n + 2);
    memcpy(b->text + b->len, msg, n);
    b->len += n;
    b->text[b->len++] = '\n';
    b->text[b->len] = '\0';
    b->lines++;
    pthread_mutex_unlock(&b->mu);
}

static void tweak_log(dbx_client_options *o, void *ud)
{
    o->log_fn = collect_log;
    o->log_payload = ud;
    o->log_level = DBX_LOG_TRACE;
    o->product = "fraud-scorer/2.1";
}

static void test_logging_redacts_secrets(void **state)
{
    (void)state;
    emu *e = emu_get();
    logbuf lb = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0};
    dbx_client *c = emu_client_with(e, tweak_log, &lb);
    dbx_response *resp = NULL;
    emu_fault(e, "{\"path\":\"/api/2.0/secrets/put\",\"action\":\"status\",\"status\":503,"
                 "\"headers\":{\"Retry-After\":\"1\"}}");
    assert_int_equal(dbx_request(&resp, c, "POST", "/api/2.0/secrets/put",
                                 "{\"scope\":\"s\",\"key\":\"k\",\"string_value\":\"v\","
                                 "\"token\":\"tok-SECRET-1\",\"nested\":{\"client_secret\":\"SECRET-2\"}}"),
                     DBX_ENOTFOUND); /* the emulator has no secrets API */
    assert_null(resp);
    json_t *req = emu_last_request(e, "/api/2.0/secrets/put");
    const char *ua = emu_req_header(req, "user-agent");
    assert_true(strncmp(ua, "libdbx/" DBX_VERSION " libcurl/", 15 + strlen(DBX_VERSION)) == 0);
    assert_non_null(strstr(ua, " auth/pat fraud-scorer/2.1"));
    json_decref(req);
    assert_non_null(lb.text);
    assert_non_null(strstr(lb.text, "> POST /api/2.0/secrets/put"));
    assert_non_null(strstr(lb.text, "Authorization: Bearer **REDACTED**"));
    assert_non_null(strstr(lb.text, "retrying POST /api/2.0/secrets/put in 1000 ms"));
    assert_non_null(strstr(lb.text, "\"scope\":\"s\""));
    assert_null(strstr(lb.text, EMU_TOKEN));
    assert_null(strstr(lb.text, "SECRET-1"));
    assert_null(strstr(lb.text, "SECRET-2"));
    assert_null(strstr(dbx_client_last_error(c)->message, EMU_TOKEN));
    free(lb.text);
    dbx_client_free(c);
}

static void test_dbx_request_escape_hatch(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client(e);
    dbx_response *resp = NULL;
    assert_int_equal(dbx_request(&resp, c, "POST", "/api/2.1/clusters/create", "{\"spark_version\":\"x\"}"),
                     DBX_OK);
    assert_int_equal(dbx_response_status(resp), 200);
    size_t len = 0;
    json_t *j = json_loads(dbx_response_body(resp, &len), 0, NULL);
    assert_true(len > 0);
    const char *id = json_string_value(json_object_get(j, "cluster_id"));
    assert_non_null(id);
    assert_non_null(dbx_response_header(resp, "X-Request-Id"));
    assert_null(dbx_response_header(resp, "x-nope"));
    dbx_response_free(resp);

    char path[128];
    snprintf(path, sizeof path, "/api/2.0/clusters/get?cluster_id=%s", id);
    assert_int_equal(dbx_request(&resp, c, "GET", path, NULL), DBX_OK);
    assert_non_null(strstr(dbx_response_body(resp, NULL), id));
    dbx_response_free(resp);
    json_t *req = emu_last_request(e, "/api/2.0/clusters/get");
    assert_string_equal(emu_req_query(req, "cluster_id"), id);
    json_decref(req);

    /* custom headers, streaming */
    const char *hdrs[] = {"X-Databricks-Workspace-Id: 42", NULL};
    size_t streamed = 0;
    dbx_request_options ro = DBX_REQUEST_OPTIONS_INIT;
    ro.headers = hdrs;
    ro.write_fn = emu_count_sink;
    ro.write_payload = &streamed;
    assert_int_equal(dbx_request_ex(&resp, c, "GET", "/api/2.1/clusters/list-node-types", &ro), DBX_OK);
    assert_true(streamed > 100);
    assert_int_equal(dbx_response_body(resp, &len)[0], '\0');
    dbx_response_free(resp);
    req = emu_last_request(e, "/api/2.1/clusters/list-node-types");
    assert_string_equal(emu_req_header(req, "x-databricks-workspace-id"), "42");
    json_decref(req);

    /* errors map like any call */
    assert_int_equal(dbx_request(&resp, c, "GET", "/api/2.1/nothing/here", NULL), DBX_ENOTFOUND);
    assert_string_equal(dbx_client_last_error(c)->error_code, "ENDPOINT_NOT_FOUND");
    /* bad input is refused before any I/O */
    assert_int_equal(dbx_request(&resp, c, "GET", "/x", "{not json"), DBX_EINVAL);
    assert_int_equal(dbx_request(&resp, c, "BREW", "/x", NULL), DBX_EINVAL);
    assert_int_equal(dbx_request(&resp, c, "GET", "relative/path", NULL), DBX_EINVAL);
    assert_int_equal(dbx_request(&resp, c, "GET", NULL, NULL), DBX_EINVAL);
    static const char *const bad[][2] = {{"X-Evil: a\r\nInjected: b", NULL}, {": no-name", NULL},
                                         {"No colon", NULL}, {"Bad Name: v", NULL}, {"Tab\tName: v", NULL}};
    json_decref(emu_ctl(e, "DELETE", "/__emulator/requests", NULL));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ro.headers = bad[i];
        assert_int_equal(dbx_request_ex(&resp, c, "GET", "/x", &ro), DBX_EINVAL);
        assert_non_null(strstr(dbx_client_last_error(c)->message, "headers[0]"));
    }
    assert_int_equal(emu_count(e, NULL), 0); /* refused before any I/O */
    assert_int_equal(dbx_request(NULL, c, "GET", "/x", NULL), DBX_EINVAL);
    json_decref(j);
    dbx_client_free(c);
}

/* Proxy variables are read once, when the client is made, with libcurl's
 * rules (http_proxy for http URLs, no_proxy honoured, no_env ignores them):
 * the emulator's other-host listener stands in for the proxy. */
static dbx_client *env_client(emu *e, int no_env)
{
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.host = e->base;
    o.token = EMU_TOKEN;
    o.no_env = no_env;
    o.no_config_file = 1;
    o.max_attempts = 1;
    dbx_client *c = NULL;
    assert_int_equal(dbx_client_new(&c, &o), DBX_OK);
    return c;
}

static int via_proxy(dbx_client *c)
{
    dbx_response *r = NULL;
    assert_int_equal(dbx_request(&r, c, "GET", "/api/2.1/clusters/spark-versions", NULL), DBX_OK);
    int proxied = strstr(dbx_response_body(r, NULL), "other_host") != NULL;
    dbx_response_free(r);
    return proxied;
}

static void test_proxy_from_environment(void **state)
{
    (void)state;
    emu *e = emu_get();
    char proxy[64];
    snprintf(proxy, sizeof proxy, "http://127.0.0.2:%d", e->other_port);
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
    setenv("http_proxy", proxy, 1);
    dbx_client *c = env_client(e, 0);
    dbx_client *isolated = env_client(e, 1);
    unsetenv("http_proxy"); /* read once: later changes do not matter */
    assert_true(via_proxy(c));
    assert_true(via_proxy(c)); /* and on a reused handle */
    assert_false(via_proxy(isolated));
    dbx_client_free(c);
    dbx_client_free(isolated);
    /* no_proxy lists the host: direct */
    setenv("http_proxy", proxy, 1);
    setenv("no_proxy", "127.0.0.1", 1);
    c = env_client(e, 0);
    unsetenv("http_proxy");
    unsetenv("no_proxy");
    assert_false(via_proxy(c));
    dbx_client_free(c);
    /* HTTP_PROXY (upper case) is ignored for http URLs, as libcurl does */
    setenv("HTTP_PROXY", proxy, 1);
    c = env_client(e, 0);
    unsetenv("HTTP_PROXY");
    assert_false(via_proxy(c));
    dbx_client_free(c);
}

/* One pooled handle serves every call of this thread: no method, body or
 * custom verb may leak from one call into the next. */
static void test_handle_reuse_across_methods(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client(e);
    dbx_response *r = NULL;
    static const struct {
        const char *method;
        const char *body;
    } seq[] = {{"POST", "{\"a\":1}"}, {"GET", NULL},          {"PUT", "{\"b\":2}"}, {"HEAD", NULL},
               {"GET", NULL},          {"DELETE", NULL},       {"PATCH", "{\"c\":3}"}, {"GET", NULL},
               {"POST", NULL},         {"GET", NULL}};
    size_t n = sizeof seq / sizeof *seq;
    for (size_t i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "/api/2.0/reuse/%zu", i);
        dbx_status st = dbx_request(&r, c, seq[i].method, path, seq[i].body);
        assert_true(st == DBX_ENOTFOUND || st == DBX_EBADREQUEST); /* unknown endpoint (404/405) */
        assert_null(r);
    }
    json_t *all = emu_requests(e);
    assert_int_equal(json_array_size(all), n);
    for (size_t i = 0; i < n; i++) {
        json_t *q = json_array_get(all, i);
        assert_string_equal(json_string_value(json_object_get(q, "method")), seq[i].method);
        const char *body = json_string_value(json_object_get(q, "body"));
        assert_string_equal(body ? body : "", seq[i].body ? seq[i].body : "");
    }
    json_decref(all);
    dbx_client_free(c);
}

#define THREADS 8
#define CALLS 40

typedef struct tctx {
    dbx_client *c;
    const char *id;
    int ok;
    int created_ok;
} tctx;

static void *worker(void *arg)
{
    tctx *t = arg;
    for (int i = 0; i < CALLS; i++) {
        dbx_cluster *cl = NULL;
        if (dbx_clusters_get(&cl, t->c, t->id) == DBX_OK && strcmp(dbx_cluster_id(cl), t->id) == 0)
            t->ok++;
        dbx_cluster_free(cl);
    }
    /* errors stay per thread */
    dbx_cluster *cl = NULL;
    if (dbx_clusters_get(&cl, t->c, "0000-000000-missing0") == DBX_ENOTFOUND &&
        dbx_client_last_error(t->c)->status == DBX_ENOTFOUND)
        t->ok++;
    dbx_cluster_spec *s;
    dbx_cluster_spec_new(&s);
    dbx_cluster_spec_set_spark_version(s, "x");
    char *id = NULL;
    t->created_ok = dbx_clusters_create(&id, t->c, s) == DBX_OK && id;
    dbx_free(id);
    dbx_cluster_spec_free(s);
    return NULL;
}

static void test_eight_threads_share_one_client(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client(e);
    char *id = make_cluster(c);
    pthread_t th[THREADS];
    tctx ctx[THREADS];
    for (int i = 0; i < THREADS; i++) {
        ctx[i] = (tctx){c, id, 0, 0};
        pthread_create(&th[i], NULL, worker, &ctx[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(ctx[i].ok, CALLS + 1);
        assert_true(ctx[i].created_ok);
    }
    /* this thread made no failing call */
    assert_int_equal(dbx_client_last_error(c)->status, DBX_OK);
    assert_int_equal(emu_count(e, "/api/2.1/clusters/get"), THREADS * (CALLS + 1));
    assert_int_equal(emu_count(e, "/api/2.1/clusters/create"), THREADS + 1);
    dbx_free(id);
    dbx_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_429_honours_retry_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_after_http_date_and_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_503_retries_post_but_500_does_not, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dropped_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_and_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redirect_never_leaks_credentials, setup, teardown),
        cmocka_unit_test_setup_teardown(test_https, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logging_redacts_secrets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dbx_request_escape_hatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handle_reuse_across_methods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proxy_from_environment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eight_threads_share_one_client, setup, teardown),
    };
    return cmocka_run_group_tests_name("transport", tests, NULL, NULL);
}
