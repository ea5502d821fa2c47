/*
 * Unit tests for the core layer: status text, HTTP -> status mapping, the
 * per-thread error record, byte buffers and string helpers.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

#define assert_between(v, lo, hi)                                                          \
    do {                                                                                   \
        long long v_ = (long long)(v);                                                     \
        if (v_ < (long long)(lo) || v_ > (long long)(hi))                                  \
            fail_msg("%s = %lld not in [%lld, %lld]", #v, v_, (long long)(lo), (long long)(hi)); \
    } while (0)

/* ---- status text --------------------------------------------------------------------- */

static const struct {
    int st;
    const char *name;
    const char *text;
} statuses[] = {
    {DBX_OK, "DBX_OK", "success"},
    {DBX_DONE, "DBX_DONE", "no more items"},
    {DBX_ERROR, "DBX_ERROR", "unclassified error"},
    {DBX_EINVAL, "DBX_EINVAL", "invalid argument"},
    {DBX_ENOMEM, "DBX_ENOMEM", "out of memory"},
    {DBX_ECONFIG, "DBX_ECONFIG", "invalid or incomplete configuration"},
    {DBX_ETRANSPORT, "DBX_ETRANSPORT", "transport error"},
    {DBX_ETIMEOUT, "DBX_ETIMEOUT", "timed out"},
    {DBX_ECANCELLED, "DBX_ECANCELLED", "cancelled"},
    {DBX_EBADRESPONSE, "DBX_EBADRESPONSE", "malformed or unexpected response"},
    {DBX_EBADREQUEST, "DBX_EBADREQUEST", "bad request"},
    {DBX_EUNAUTHENTICATED, "DBX_EUNAUTHENTICATED", "not authenticated"},
    {DBX_EPERMISSION, "DBX_EPERMISSION", "permission denied"},
    {DBX_ENOTFOUND, "DBX_ENOTFOUND", "resource not found"},
    {DBX_ECONFLICT, "DBX_ECONFLICT", "conflict with the current state of the resource"},
    {DBX_ERATELIMITED, "DBX_ERATELIMITED", "rate limited or resource exhausted"},
    {DBX_ESERVER, "DBX_ESERVER", "internal server error"},
    {DBX_ENOTIMPLEMENTED, "DBX_ENOTIMPLEMENTED", "not implemented or feature disabled"},
    {DBX_EUNAVAILABLE, "DBX_EUNAVAILABLE", "service temporarily unavailable"},
    {DBX_ESTATE, "DBX_ESTATE", "resource reached a terminal failure state"},
    {DBX_EEXISTS, "DBX_EEXISTS", "resource already exists"},
    {DBX_EINVALIDPARAM, "DBX_EINVALIDPARAM", "invalid parameter value"},
    {DBX_EINVALIDSTATE, "DBX_EINVALIDSTATE", "resource is in an invalid state for this operation"},
};
#define N_STATUSES (sizeof statuses / sizeof *statuses)

static void status_text_every_status(void **state)
{
    (void)state;
    /* the enum is dense from DBX_EINVALIDSTATE to DBX_DONE: every value is covered */
    assert_int_equal(N_STATUSES, (size_t)(DBX_DONE - DBX_EINVALIDSTATE + 1));
    for (size_t i = 0; i < N_STATUSES; i++) {
        assert_string_equal(dbx_status_name(statuses[i].st), statuses[i].name);
        assert_string_equal(dbx_status_str(statuses[i].st), statuses[i].text);
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(dbx_status_str(statuses[i].st), dbx_status_str(statuses[j].st));
            assert_string_not_equal(dbx_status_name(statuses[i].st), dbx_status_name(statuses[j].st));
        }
    }
}

static void status_text_unknown(void **state)
{
    (void)state;
    const int unknown[] = {2, 42, -99, -1000, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
        assert_non_null(dbx_status_str(unknown[i]));
        assert_string_equal(dbx_status_str(unknown[i]), "unknown status");
        assert_string_equal(dbx_status_name(unknown[i]), "DBX_UNKNOWN");
    }
}

/* ---- HTTP -> status --------------------------------------------------------------------- */

static void http_base_codes(void **state)
{
    (void)state;
    static const struct {
        int http;
        dbx_status st;
    } t[] = {
        {400, DBX_EBADREQUEST}, {401, DBX_EUNAUTHENTICATED}, {403, DBX_EPERMISSION},
        {404, DBX_ENOTFOUND},   {409, DBX_ECONFLICT},        {429, DBX_ERATELIMITED},
        {499, DBX_ECANCELLED},  {500, DBX_ESERVER},          {501, DBX_ENOTIMPLEMENTED},
        {503, DBX_EUNAVAILABLE}, {504, DBX_ETIMEOUT},        {502, DBX_ESERVER},
        {505, DBX_ESERVER},     {418, DBX_EBADREQUEST},      {405, DBX_EBADREQUEST},
        {302, DBX_EBADRESPONSE}, {301, DBX_EBADRESPONSE},    {200, DBX_OK},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        dbx_status got = dbx__status_from_http(t[i].http, NULL, "GET", "/api/2.0/x", "m");
        if (got != t[i].st)
            fail_msg("HTTP %d: got %s, want %s", t[i].http, dbx_status_name(got), dbx_status_name(t[i].st));
        /* an empty error_code refines nothing */
        assert_int_equal(dbx__status_from_http(t[i].http, "", "POST", "/api/2.0/x", ""), t[i].st);
    }
}

static void http_error_code_refinement(void **state)
{
    (void)state;
    static const struct {
        int http;
        const char *code;
        dbx_status st;
    } t[] = {
        {400, "RESOURCE_ALREADY_EXISTS", DBX_EEXISTS},
        {409, "RESOURCE_ALREADY_EXISTS", DBX_EEXISTS},
        {409, "ALREADY_EXISTS", DBX_EEXISTS},
        {400, "INVALID_PARAMETER_VALUE", DBX_EINVALIDPARAM},
        {400, "MALFORMED_REQUEST", DBX_EINVALIDPARAM},
        {400, "INVALID_STATE", DBX_EINVALIDSTATE},
        {409, "INVALID_STATE", DBX_EINVALIDSTATE},
        {400, "INVALID_STATE_TRANSITION", DBX_EINVALIDSTATE},
        {404, "RESOURCE_DOES_NOT_EXIST", DBX_ENOTFOUND},
        {400, "RESOURCE_DOES_NOT_EXIST", DBX_ENOTFOUND},
        {404, "ENDPOINT_NOT_FOUND", DBX_ENOTFOUND},
        {403, "PERMISSION_DENIED", DBX_EPERMISSION},
        {401, "UNAUTHENTICATED", DBX_EUNAUTHENTICATED},
        {409, "RESOURCE_CONFLICT", DBX_ECONFLICT},
        {409, "ABORTED", DBX_ECONFLICT},
        {429, "REQUEST_LIMIT_EXCEEDED", DBX_ERATELIMITED},
        {400, "RESOURCE_EXHAUSTED", DBX_ERATELIMITED},
        {400, "QUOTA_EXCEEDED", DBX_ERATELIMITED},
        {500, "INTERNAL_ERROR", DBX_ESERVER},
        {400, "FEATURE_DISABLED", DBX_ENOTIMPLEMENTED},
        {503, "TEMPORARILY_UNAVAILABLE", DBX_EUNAVAILABLE},
        {500, "DEADLINE_EXCEEDED", DBX_ETIMEOUT},
        {400, "CANCELLED", DBX_ECANCELLED},
        /* suffix families (Unity Catalog) */
        {400, "CATALOG_DOES_NOT_EXIST", DBX_ENOTFOUND},
        {404, "TABLE_DOES_NOT_EXIST", DBX_ENOTFOUND},
        {400, "SCHEMA_ALREADY_EXISTS", DBX_EEXISTS},
        {409, "TABLE_ALREADY_EXISTS", DBX_EEXISTS},
        /* the bare suffix is not a family member; unknown codes keep the base */
        {400, "_DOES_NOT_EXIST", DBX_EBADREQUEST},
        {409, "_ALREADY_EXISTS", DBX_ECONFLICT},
        {403, "SOMETHING_NEW", DBX_EPERMISSION},
        {500, "WHATEVER", DBX_ESERVER},
        {400, "resource_already_exists", DBX_EBADREQUEST},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        dbx_status got = dbx__status_from_http(t[i].http, t[i].code, "POST", "/api/2.0/x", "msg");
        if (got != t[i].st)
            fail_msg("%d %s: got %s, want %s", t[i].http, t[i].code, dbx_status_name(got),
                     dbx_status_name(t[i].st));
    }
}

static void http_get_not_found_quirk(void **state)
{
    (void)state;
    const char *msg = "Cluster 0101-abc does not exist";
    const char *quirk_paths[] = {"/api/2.1/clusters/get", "/api/2.0/clusters/get?cluster_id=0101-abc",
                                 "/api/2.1/jobs/get?job_id=5", "/api/2.1/jobs/runs/get",
                                 "/api/2.2/jobs/runs/get?run_id=7"};
    for (size_t i = 0; i < sizeof quirk_paths / sizeof *quirk_paths; i++) {
        dbx_status got = dbx__status_from_http(400, "INVALID_PARAMETER_VALUE", "GET", quirk_paths[i], msg);
        if (got != DBX_ENOTFOUND)
            fail_msg("%s: got %s", quirk_paths[i], dbx_status_name(got));
    }
    /* a missing cluster is not found for every Clusters API operation, any method */
    const char *cluster_ops[] = {"/api/2.1/clusters/edit", "/api/2.1/clusters/delete", "/api/2.0/clusters/pin",
                                 "/api/2.1/clusters/update"};
    for (size_t i = 0; i < sizeof cluster_ops / sizeof *cluster_ops; i++)
        assert_int_equal(dbx__status_from_http(400, "INVALID_PARAMETER_VALUE", "POST", cluster_ops[i], msg),
                         DBX_ENOTFOUND);
    /* ...but another thing that does not exist is a bad parameter there */
    assert_int_equal(dbx__status_from_http(400, "INVALID_PARAMETER_VALUE", "POST", "/api/2.1/clusters/create",
                                           "Policy p-1 does not exist"),
                     DBX_EINVALIDPARAM);
    /* jobs: GET only, and only the get endpoints */
    const char *jmsg = "Job 5 does not exist";
    assert_int_equal(dbx__status_from_http(400, "INVALID_PARAMETER_VALUE", "POST", "/api/2.1/jobs/get", jmsg),
                     DBX_EINVALIDPARAM);
    const char *other[] = {"/api/2.1/jobs/runs/list", "/api/2.1/jobs/get-x", "/jobs/get", "/api/2.1/jobs/getfoo",
                           "/api/2.1/jobs/list"};
    for (size_t i = 0; i < sizeof other / sizeof *other; i++) {
        dbx_status got = dbx__status_from_http(400, "INVALID_PARAMETER_VALUE", "GET", other[i], jmsg);
        if (got != DBX_EINVALIDPARAM)
            fail_msg("%s: got %s", other[i], dbx_status_name(got));
    }
    /* ...and the POST calls whose subject is a job or run id */
    const char *job_posts[] = {"/api/2.2/jobs/update", "/api/2.2/jobs/reset", "/api/2.1/jobs/delete",
                               "/api/2.2/jobs/run-now", "/api/2.2/jobs/runs/cancel", "/api/2.2/jobs/runs/delete",
                               "/api/2.2/jobs/runs/repair", "/api/2.2/jobs/runs/cancel-all"};
    for (size_t i = 0; i < sizeof job_posts / sizeof *job_posts; i++) {
        assert_int_equal(dbx__status_from_http(400, "INVALID_PARAMETER_VALUE", "POST", job_posts[i], jmsg),
                         DBX_ENOTFOUND);
        assert_int_equal(dbx__status_from_http(400, "INVALID_PARAMETER_VALUE", "POST", job_posts[i],
                                               "Run 7 does not exist."),
                         DBX_ENOTFOUND);
        assert_int_equal(dbx__status_from_http(400, "INVALID_PARAMETER_VALUE", "POST", job_posts[i],
                                               "Task x does not exist"),
                         DBX_EINVALIDPARAM);
    }
    assert_int_equal(dbx__status_from_http(400, "INVALID_PARAMETER_VALUE", "POST", "/api/2.2/jobs/create", jmsg),
                     DBX_EINVALIDPARAM);
    /* outside the API prefix: no quirk */
    assert_int_equal(dbx__status_from_http(400, "INVALID_PARAMETER_VALUE", "GET", "/clusters/get", msg),
                     DBX_EINVALIDPARAM);
    /* not without "does not exist", nor with another code */
    assert_int_equal(dbx__status_from_http(400, "INVALID_PARAMETER_VALUE", "GET", "/api/2.1/clusters/get",
                                           "cluster_id is malformed"),
                     DBX_EINVALIDPARAM);
    assert_int_equal(dbx__status_from_http(400, "BAD_REQUEST", "GET", "/api/2.1/clusters/get", msg),
                     DBX_EBADREQUEST);
    assert_int_equal(dbx__status_from_http(400, "INVALID_PARAMETER_VALUE", "GET", NULL, msg), DBX_EINVALIDPARAM);
    assert_int_equal(dbx__status_from_http(400, "INVALID_PARAMETER_VALUE", "GET", "/api/2.1/clusters/get", NULL),
                     DBX_EINVALIDPARAM);
}

/* ---- per-thread error record ---------------------------------------------------------- */

static int owner_a, owner_b;
#define OWNER_A ((const dbx_client *)(const void *)&owner_a)
#define OWNER_B ((const dbx_client *)(const void *)&owner_b)

static void assert_no_error(const dbx_error *e)
{
    assert_non_null(e);
    assert_int_equal(e->status, DBX_OK);
    assert_string_equal(e->message, "no error");
    assert_int_equal(e->http_status, 0);
    assert_string_equal(e->error_code, "");
    assert_string_equal(e->path, "");
    assert_int_equal(e->retry_after_ms, -1);
}

static void error_record_owner(void **state)
{
    (void)state;
    assert_int_equal(dbx__fail(&owner_a, DBX_ENOTFOUND, "cluster %s is gone (%d)", "abc", 7), DBX_ENOTFOUND);
    dbx__error_set_request("GET", "/api/2.1/clusters/get");
    dbx__error_set_http(404, "RESOURCE_DOES_NOT_EXIST", "req-1");
    dbx__error_set_transport(0);
    dbx__error_set_attempts(3, 2000);

    const dbx_error *e = dbx_client_last_error(OWNER_A);
    assert_int_equal(e->version, DBX_ERROR_VERSION);
    assert_int_equal(e->status, DBX_ENOTFOUND);
    assert_string_equal(e->message, "cluster abc is gone (7)");
    assert_int_equal(e->http_status, 404);
    assert_string_equal(e->error_code, "RESOURCE_DOES_NOT_EXIST");
    assert_string_equal(e->request_id, "req-1");
    assert_string_equal(e->method, "GET");
    assert_string_equal(e->path, "/api/2.1/clusters/get");
    assert_int_equal(e->attempts, 3);
    assert_int_equal(e->retry_after_ms, 2000);
    assert_ptr_equal(dbx__error_current(), e);

    assert_no_error(dbx_client_last_error(OWNER_B));
    assert_no_error(dbx_client_last_error(NULL));

    dbx__error_set_status(DBX_ESERVER);
    assert_int_equal(dbx_client_last_error(OWNER_A)->status, DBX_ESERVER);

    /* a failure without a client is read with NULL */
    dbx__fail(NULL, DBX_ECONFIG, "host is not set");
    assert_int_equal(dbx_client_last_error(NULL)->status, DBX_ECONFIG);
    assert_string_equal(dbx_client_last_error(NULL)->message, "host is not set");
    assert_no_error(dbx_client_last_error(OWNER_A));

    /* a new failure resets the details of the previous one */
    dbx__fail(&owner_b, DBX_EINVAL, "x");
    e = dbx_client_last_error(OWNER_B);
    assert_int_equal(e->http_status, 0);
    assert_string_equal(e->error_code, "");
    assert_string_equal(e->request_id, "");
    assert_string_equal(e->method, "");
    assert_int_equal(e->attempts, 0);
    assert_int_equal(e->retry_after_ms, -1);

    dbx__error_clear(&owner_b);
    assert_no_error(dbx_client_last_error(OWNER_B));
}

typedef struct thread_view {
    int status_for_a;
    char message_for_a[64];
    int current_status;
    char current_message[64];
    int own_status;
} thread_view;

static void *other_thread(void *arg)
{
    thread_view *v = arg;
    const dbx_error *e = dbx_client_last_error(OWNER_A);
    v->status_for_a = e->status;
    snprintf(v->message_for_a, sizeof v->message_for_a, "%s", e->message);
    e = dbx__error_current();
    v->current_status = e->status;
    snprintf(v->current_message, sizeof v->current_message, "%s", e->message);
    /* a failure here must not touch the main thread's record */
    dbx__fail(&owner_a, DBX_ETIMEOUT, "thread's own failure");
    v->own_status = dbx_client_last_error(OWNER_A)->status;
    return NULL;
}

static void error_record_per_thread(void **state)
{
    (void)state;
    dbx__fail(&owner_a, DBX_EPERMISSION, "main thread failure");
    thread_view v;
    memset(&v, 0, sizeof v);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_thread, &v), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(v.status_for_a, DBX_OK);
    assert_string_equal(v.message_for_a, "no error");
    assert_int_equal(v.current_status, DBX_OK);
    assert_string_equal(v.current_message, "no error");
    assert_int_equal(v.own_status, DBX_ETIMEOUT);
    const dbx_error *e = dbx_client_last_error(OWNER_A);
    assert_int_equal(e->status, DBX_EPERMISSION);
    assert_string_equal(e->message, "main thread failure");
}

static void error_message_truncated(void **state)
{
    (void)state;
    char big[3000];
    memset(big, 'm', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    dbx__fail(&owner_a, DBX_ERROR, "%s", big);
    const dbx_error *e = dbx_client_last_error(OWNER_A);
    assert_int_equal(strlen(e->message), 1023);
    assert_int_equal(e->message[0], 'm');
    assert_int_equal(e->message[1022], 'm');
}

static void error_prefix(void **state)
{
    (void)state;
    dbx__fail(&owner_a, DBX_ETIMEOUT, "deadline passed");
    dbx__error_prefix("waiting for cluster %s", "c-1");
    assert_string_equal(dbx_client_last_error(OWNER_A)->message, "waiting for cluster c-1: deadline passed");
    assert_int_equal(dbx_client_last_error(OWNER_A)->status, DBX_ETIMEOUT);

    /* long message + short prefix: truncated at 1023 bytes, prefix intact */
    char old[1100];
    memset(old, 'o', sizeof old - 1);
    old[sizeof old - 1] = '\0';
    dbx__fail(&owner_a, DBX_ERROR, "%s", old);
    dbx__error_prefix("ctx");
    const char *m = dbx_client_last_error(OWNER_A)->message;
    assert_int_equal(strlen(m), 1023);
    assert_memory_equal(m, "ctx: ooo", 8);
    assert_int_equal(m[1022], 'o');

    /* huge prefix (longer than the record): no overflow, bounded length */
    char pre[2500];
    memset(pre, 'p', sizeof pre - 1);
    pre[sizeof pre - 1] = '\0';
    dbx__fail(&owner_a, DBX_ERROR, "%s", old);
    dbx__error_prefix("%s", pre);
    m = dbx_client_last_error(OWNER_A)->message;
    size_t n = strlen(m);
    assert_true(n <= 1023);
    assert_int_equal(m[0], 'p');
    const char *sep = strstr(m, ": ");
    assert_non_null(sep);
    for (const char *q = m; q < sep; q++)
        assert_int_equal(*q, 'p');
    for (const char *q = sep + 2; *q; q++)
        assert_int_equal(*q, 'o');

    /* prefix on an empty message */
    dbx__fail(&owner_a, DBX_ERROR, "%s", "");
    dbx__error_prefix("only");
    assert_string_equal(dbx_client_last_error(OWNER_A)->message, "only: ");
}

static void error_set_request_drops_query(void **state)
{
    (void)state;
    dbx__fail(&owner_a, DBX_ENOTFOUND, "x");
    dbx__error_set_request("GET", "/api/2.0/fs/files/a?token=s3cr3t&x=1");
    assert_string_equal(dbx_client_last_error(OWNER_A)->path, "/api/2.0/fs/files/a");
    dbx__error_set_request("POST", "/api/2.0/x#frag?y");
    assert_string_equal(dbx_client_last_error(OWNER_A)->path, "/api/2.0/x");
    assert_string_equal(dbx_client_last_error(OWNER_A)->method, "POST");
    dbx__error_set_request("GET", "?only=query");
    assert_string_equal(dbx_client_last_error(OWNER_A)->path, "");
    dbx__error_set_request(NULL, NULL);
    assert_string_equal(dbx_client_last_error(OWNER_A)->path, "");
    assert_string_equal(dbx_client_last_error(OWNER_A)->method, "");

    /* long path and method: truncated, never overflowing */
    char path[2000];
    path[0] = '/';
    memset(path + 1, 'a', sizeof path - 2);
    path[sizeof path - 1] = '\0';
    dbx__error_set_request("AVERYLONGMETHODNAMEINDEED", path);
    assert_int_equal(strlen(dbx_client_last_error(OWNER_A)->path), 511);
    assert_int_equal(strlen(dbx_client_last_error(OWNER_A)->method), 15);

    /* long error code / request id truncated too */
    char code[400];
    memset(code, 'C', sizeof code - 1);
    code[sizeof code - 1] = '\0';
    dbx__error_set_http(400, code, code);
    assert_int_equal(strlen(dbx_client_last_error(OWNER_A)->error_code), 127);
    assert_int_equal(strlen(dbx_client_last_error(OWNER_A)->request_id), 127);
}

/* ---- buffers -------------------------------------------------------------------------- */

static void buf_growth(void **state)
{
    (void)state;
    dbx__buf b = DBX__BUF_INIT;
    assert_null(b.ptr);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(dbx__buf_putc(&b, (char)('a' + i % 26)), 0);
    assert_int_equal(b.len, 10000);
    assert_true(b.cap >= b.len + 1);
    assert_int_equal(b.ptr[10000], '\0');
    for (int i = 0; i < 10000; i++)
        if (b.ptr[i] != (char)('a' + i % 26))
            fail_msg("byte %d corrupted", i);
    assert_int_equal(b.oom, 0);

    /* grow reserves without changing content */
    size_t len = b.len;
    assert_int_equal(dbx__buf_grow(&b, 100000), 0);
    assert_true(b.cap >= len + 100001);
    assert_int_equal(b.len, len);

    /* an impossible size is refused and sticks */
    assert_int_equal(dbx__buf_grow(&b, SIZE_MAX), -1);
    assert_int_equal(b.oom, 1);
    assert_int_equal(dbx__buf_puts(&b, "more"), -1);
    assert_int_equal(b.len, len);

    dbx__buf_clear(&b);
    assert_int_equal(b.len, 0);
    dbx__buf_dispose(&b);
    assert_null(b.ptr);
    assert_int_equal(b.oom, 0);

    /* put with embedded NULs and zero length */
    assert_int_equal(dbx__buf_put(&b, "a\0b", 3), 0);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.ptr, "a\0b\0", 4);
    assert_int_equal(dbx__buf_put(&b, "zzz", 0), 0);
    assert_int_equal(b.len, 3);
    assert_int_equal(dbx__buf_puts(&b, NULL), 0);
    assert_int_equal(b.len, 3);
    dbx__buf_clear(&b);
    assert_string_equal(b.ptr, "");
    dbx__buf_dispose(&b);

    /* detach */
    dbx__buf e = DBX__BUF_INIT;
    char *s = dbx__buf_detach(&e);
    assert_non_null(s);
    assert_string_equal(s, "");
    dbx__free(s);
    dbx__buf_puts(&e, "hello");
    s = dbx__buf_detach(&e);
    assert_string_equal(s, "hello");
    assert_null(e.ptr);
    assert_int_equal(e.len, 0);
    dbx__free(s);
}

/* A buffer that lost a write never hands out its (partial or empty) contents. */
static void buf_detach_after_oom(void **state)
{
    (void)state;
    dbx__buf b = DBX__BUF_INIT;
    dbx__alloc_fail_after(1);
    assert_int_equal(dbx__buf_puts(&b, "abc"), -1);
    dbx__alloc_fail_after(0);
    assert_null(dbx__buf_detach(&b)); /* was "" */
    assert_null(b.ptr);
    assert_int_equal(b.oom, 0);
    dbx__buf_puts(&b, "abc");
    dbx__alloc_fail_after(1);
    assert_int_equal(dbx__buf_grow(&b, 1u << 20), -1);
    b.oom = 1; /* as every writer sets it */
    dbx__alloc_fail_after(0);
    assert_null(dbx__buf_detach(&b)); /* was "abc": a partial result */
    char small[8];
    dbx__buf f;
    dbx__buf_init_fixed(&f, small, sizeof small);
    dbx__buf_puts(&f, "xy");
    char *p = dbx__buf_detach(&f);
    assert_string_equal(p, "xy");
    dbx__free(p);
}

static void buf_printf_long(void **state)
{
    (void)state;
    dbx__buf b = DBX__BUF_INIT;
    assert_int_equal(dbx__buf_printf(&b, "%s-%d", "short", 42), 0);
    assert_string_equal(b.ptr, "short-42");

    /* exactly around the 256-byte internal buffer */
    for (size_t n = 250; n < 262; n++) {
        char *s = malloc(n + 1);
        memset(s, 'x', n);
        s[n] = '\0';
        dbx__buf_clear(&b);
        assert_int_equal(dbx__buf_printf(&b, "%s", s), 0);
        assert_int_equal(b.len, n);
        assert_string_equal(b.ptr, s);
        free(s);
    }

    /* long strings appended after existing content */
    char big[5000];
    memset(big, 'L', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    dbx__buf_clear(&b);
    dbx__buf_puts(&b, "head:");
    assert_int_equal(dbx__buf_printf(&b, "[%s|%s]%d", big, big, 7), 0);
    assert_int_equal(b.len, 5 + 1 + 4999 + 1 + 4999 + 1 + 1);
    assert_memory_equal(b.ptr, "head:[LLL", 9);
    assert_int_equal(b.ptr[5 + 1 + 4999], '|');
    assert_string_equal(b.ptr + b.len - 2, "]7");
    dbx__buf_dispose(&b);

    char *s = dbx__sprintf("%s/%s", big, "tail");
    assert_int_equal(strlen(s), 4999 + 5);
    assert_string_equal(s + 4999, "/tail");
    dbx__free(s);
}

static void buf_urlenc(void **state)
{
    (void)state;
    dbx__buf b = DBX__BUF_INIT;
    assert_int_equal(dbx__buf_put_urlenc(&b, "AZaz09-_.~"), 0);
    assert_string_equal(b.ptr, "AZaz09-_.~");
    dbx__buf_clear(&b);
    assert_int_equal(dbx__buf_put_urlenc(&b, " !\"#$%&'()*+,/:;=?@[\\]^`{|}"), 0);
    assert_string_equal(b.ptr, "%20%21%22%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5C%5D%5E%60%7B%7C%7D");
    dbx__buf_clear(&b);
    /* UTF-8 bytes are encoded one by one, upper-case hex */
    assert_int_equal(dbx__buf_put_urlenc(&b, "caf\xc3\xa9 \xe2\x82\xac\xff\x01\x7f"), 0);
    assert_string_equal(b.ptr, "caf%C3%A9%20%E2%82%AC%FF%01%7F");
    dbx__buf_clear(&b);
    assert_int_equal(dbx__buf_put_urlenc(&b, "a=b&c"), 0);
    assert_string_equal(b.ptr, "a%3Db%26c");
    dbx__buf_dispose(&b);
    /* NULL and "" add nothing */
    assert_int_equal(dbx__buf_put_urlenc(&b, NULL), 0);
    assert_int_equal(dbx__buf_put_urlenc(&b, ""), 0);
    assert_int_equal(b.len, 0);
    dbx__buf_dispose(&b);
}

/* ---- strings ---------------------------------------------------------------------------- */

static void parse_long_edges(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int rc;
        long v;
    } t[] = {
        {"0", 0, 0},          {"42", 0, 42},         {"  42  ", 0, 42},    {"\t-7\n", 0, -7},
        {"+15", 0, 15},       {"007", 0, 7},          {"", -1, 0},          {"   ", -1, 0},
        {"12a", -1, 0},       {"a12", -1, 0},         {"1 2", -1, 0},       {"-", -1, 0},
        {"+", -1, 0},         {"0x10", -1, 0},        {"1.5", -1, 0},       {"1e3", -1, 0},
        {"99999999999999999999999", -1, 0},           {"-99999999999999999999999", -1, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        long v = 12345;
        int rc = dbx__parse_long(t[i].s, &v);
        if (rc != t[i].rc)
            fail_msg("parse_long(\"%s\") rc %d, want %d", t[i].s, rc, t[i].rc);
        if (rc == 0 && v != t[i].v)
            fail_msg("parse_long(\"%s\") = %ld, want %ld", t[i].s, v, t[i].v);
        if (rc != 0 && v != 12345)
            fail_msg("parse_long(\"%s\") wrote its output on failure", t[i].s);
    }
    long v = 0;
    assert_int_equal(dbx__parse_long(NULL, &v), -1);
    char buf[64];
    snprintf(buf, sizeof buf, "%ld", LONG_MAX);
    assert_int_equal(dbx__parse_long(buf, &v), 0);
    assert_true(v == LONG_MAX);
    snprintf(buf, sizeof buf, "%ld", LONG_MIN);
    assert_int_equal(dbx__parse_long(buf, &v), 0);
    assert_true(v == LONG_MIN);
}

static void parse_bool_edges(void **state)
{
    (void)state;
    const char *yes[] = {"1", "true", "TRUE", "True", "yes", "YES", "on", "On", "y", "t"};
    const char *no[] = {"0", "false", "FALSE", "no", "No", "off", "OFF", "", "n", "f"};
    const char *bad[] = {"2", "truee", "tru", "yess", "enable", "-1", "nope", "of"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (dbx__parse_bool(yes[i]) != 1)
            fail_msg("parse_bool(\"%s\") != 1", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (dbx__parse_bool(no[i]) != 0)
            fail_msg("parse_bool(\"%s\") != 0", no[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (dbx__parse_bool(bad[i]) != -1)
            fail_msg("parse_bool(\"%s\") != -1", bad[i]);
    assert_int_equal(dbx__parse_bool(NULL), 0);
}

static void strcasestr_cases(void **state)
{
    (void)state;
    const char *hay = "Content-Type: Application/JSON";
    assert_ptr_equal(dbx__strcasestr(hay, "application/json"), hay + 14);
    assert_ptr_equal(dbx__strcasestr(hay, "CONTENT"), hay);
    assert_ptr_equal(dbx__strcasestr(hay, "json"), hay + 26);
    assert_null(dbx__strcasestr(hay, "xml"));
    assert_null(dbx__strcasestr(hay, "JSONX"));
    assert_ptr_equal(dbx__strcasestr(hay, ""), hay);
    const char *empty = "";
    assert_ptr_equal(dbx__strcasestr(empty, ""), empty);
    assert_null(dbx__strcasestr(empty, "a"));
    assert_null(dbx__strcasestr("ab", "abc"));
    const char *rep = "aaab";
    assert_ptr_equal(dbx__strcasestr(rep, "AAB"), rep + 1);

    assert_int_equal(dbx__strcasecmp("Bearer", "bEARER"), 0);
    assert_true(dbx__strcasecmp("a", "b") < 0);
    assert_true(dbx__strcasecmp("abc", "ab") > 0);
    assert_int_equal(dbx__strncasecmp("HTTPS://x", "https://y", 8), 0);
    assert_true(dbx__strncasecmp("HTTPS://x", "https://y", 9) != 0);
    assert_true(dbx__streq(NULL, NULL));
    assert_false(dbx__streq("a", NULL));
    assert_false(dbx__streq(NULL, "a"));
    assert_true(dbx__streq("a", "a"));
    assert_false(dbx__streq("a", "A"));
    assert_true(dbx__empty(NULL));
    assert_true(dbx__empty(""));
    assert_false(dbx__empty(" "));

    char *d = dbx__strndup("abcdef", 3);
    assert_string_equal(d, "abc");
    dbx__free(d);
    assert_null(dbx__strdup(NULL));
    assert_null(dbx__strndup(NULL, 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_detach_after_oom),
        cmocka_unit_test(status_text_every_status),
        cmocka_unit_test(status_text_unknown),
        cmocka_unit_test(http_base_codes),
        cmocka_unit_test(http_error_code_refinement),
        cmocka_unit_test(http_get_not_found_quirk),
        cmocka_unit_test(error_record_owner),
        cmocka_unit_test(error_record_per_thread),
        cmocka_unit_test(error_message_truncated),
        cmocka_unit_test(error_prefix),
        cmocka_unit_test(error_set_request_drops_query),
        cmocka_unit_test(buf_growth),
        cmocka_unit_test(buf_printf_long),
        cmocka_unit_test(buf_urlenc),
        cmocka_unit_test(parse_long_edges),
        cmocka_unit_test(parse_bool_edges),
        cmocka_unit_test(strcasestr_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
