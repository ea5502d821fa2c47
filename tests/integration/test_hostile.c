#define _GNU_SOURCE
/*
 * Hostile servers, over real HTTP against the emulator's hostile fault
 * actions (docs/emulator.md): retry storms, unbounded and compressed
 * bodies, deep nesting on a small thread stack, header floods, slow drips,
 * requests that must never leave the process, parser corner cases,
 * redirects that must not leak, and oversized error bodies.
 *
 * Every test names the defect it pins down, and fails (or crashes) on a
 * library without that fix: this was checked by reverting each fix in turn
 * (retry floor and cap, body limit, decoded-byte limit, non-recursive
 * parsing of error, success and request bodies, header bound, whole-transfer
 * timeout, path check, UTF-8 check, error-record clearing, subnormals and
 * string int64, redirect rules, error-body cap). Timings are never asserted as performance: a loose upper bound
 * only proves that a limit or a deadline is respected. Retry sleeps go
 * through the harness's fake clock, so no test really waits between
 * attempts. Under valgrind (DBX_TEST_UNDER_VALGRIND=1) the byte limits are
 * smaller and the memory checks are skipped (valgrind's RSS is its own).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dbx/sys/json.h"
#include "harness.h"
#include "http/http.h" /* DBX__RETRY_FLOOR_MS */

#define setup emu_fixture_setup
#define teardown emu_fixture_teardown

#define KIB 1024LL
#define MIB (1024LL * KIB)
#define GIB (1024LL * MIB)

/* ---- helpers --------------------------------------------------------------- */

static int under_valgrind(void)
{
    const char *v = getenv("DBX_TEST_UNDER_VALGRIND");
    return v && *v == '1';
}

/* Add one fault rule given as a jansson object (stolen). */
static void add_fault(emu *e, json_t *rule)
{
    assert_non_null(rule);
    char *text = json_dumps(rule, JSON_COMPACT);
    assert_non_null(text);
    emu_fault(e, text);
    free(text);
    json_decref(rule);
}

static double real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A field of /proc/self/status in KiB ("VmRSS", "VmHWM"); -1 if unknown. */
static long proc_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            kb = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* Peak-memory probe: how far the process's resident set rose above where it
 * was at memory_probe_start(), in bytes. The peak (VmHWM) is reset through
 * /proc/self/clear_refs so that earlier tests do not count. -1 when the
 * kernel does not tell (the check is then skipped). */
static long probe_rss0;

static void memory_probe_start(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    int reset = f && fputs("5", f) >= 0;
    if (f && fclose(f) != 0)
        reset = 0;
    probe_rss0 = reset ? proc_kb("VmRSS") : -1;
}

static long long memory_probe_rise(void)
{
    long hwm = proc_kb("VmHWM");
    if (probe_rss0 < 0 || hwm < 0)
        return -1;
    return hwm > probe_rss0 ? (long long)(hwm - probe_rss0) * KIB : 0;
}

static void assert_rise_below(long long bound)
{
    long long rise = memory_probe_rise();
    if (under_valgrind() || rise < 0)
        return;
    if (rise >= bound)
        fail_msg("resident memory rose by %lld MiB (bound %lld MiB)", rise / MIB, bound / MIB);
}

/* Client options the tests change; zero fields keep the harness's values. */
typedef struct knobs {
    int max_attempts;
    long http_timeout_ms;
    long retry_timeout_ms; /* -1: the library default (0 in the options) */
    long retry_initial_delay_ms, retry_max_delay_ms;
    long long max_response_bytes;
} knobs;

static void apply_knobs(dbx_client_options *o, void *ud)
{
    const knobs *k = ud;
    if (k->max_attempts)
        o->max_attempts = k->max_attempts;
    if (k->http_timeout_ms)
        o->http_timeout_ms = k->http_timeout_ms;
    if (k->retry_timeout_ms)
        o->retry_timeout_ms = k->retry_timeout_ms < 0 ? 0 : k->retry_timeout_ms;
    if (k->retry_initial_delay_ms)
        o->retry_initial_delay_ms = k->retry_initial_delay_ms;
    if (k->retry_max_delay_ms)
        o->retry_max_delay_ms = k->retry_max_delay_ms;
    if (k->max_response_bytes)
        o->max_response_bytes = k->max_response_bytes;
}

static dbx_client *client_with(emu *e, knobs k) { return emu_client_with(e, apply_knobs, &k); }

/* The error record of the last call, checked field by field. */
static const dbx_error *last_error(dbx_client *c, dbx_status st, int http_status, int attempts)
{
    const dbx_error *err = dbx_client_last_error(c);
    assert_int_equal(err->version, DBX_ERROR_VERSION);
    assert_int_equal(err->status, st);
    assert_int_equal(err->http_status, http_status);
    assert_int_equal(err->attempts, attempts);
    return err;
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (!haystack || !strstr(haystack, needle))
        fail_msg("\"%s\" does not contain \"%s\"", haystack ? haystack : "(null)", needle);
}

static void assert_prefix(const char *s, const char *prefix)
{
    if (!s || strncmp(s, prefix, strlen(prefix)) != 0)
        fail_msg("\"%.80s\" does not start with \"%s\"", s ? s : "(null)", prefix);
}

/* dbx_request_ex, expecting failure `st` and no response. */
static void expect_request_fails(dbx_client *c, const char *method, const char *path,
                                 const dbx_request_options *ro, dbx_status st)
{
    dbx_response *r = (dbx_response *)1;
    assert_int_equal(dbx_request_ex(&r, c, method, path, ro), st);
    assert_null(r);
}

/* ---- 1. retry storms ---------------------------------------------------------- */

/* 200 answers: "forever" for any sane retry policy, yet finite, so that a
 * client without a cap ends (with the real answer, failing the test)
 * instead of looping for ever on the fake clock. */
#define STORM 200

static void storm_fault(emu *e, int status, const char *retry_after, const char *code, const char *msg)
{
    add_fault(e, json_pack("{s:s, s:i, s:s, s:i, s:{s:s}, s:{s:s, s:s}}", "path", "/api/2.1/clusters/get",
                           "times", STORM, "action", "status", "status", status, "headers", "Retry-After",
                           retry_after, "body", "error_code", code, "message", msg));
}

/*
 * Defect: "Retry-After: 0" was obeyed as a 0 ms sleep and max_attempts 0
 * meant "unlimited", so a server answering 503 + Retry-After: 0 forever got
 * hammered back-to-back until the 300 s budget ran out (with the fake
 * clock: STORM requests in a tight loop, then a success). Now: at most
 * DBX_DEFAULT_MAX_ATTEMPTS attempts, every sleep at least the floor, growing
 * backoff, and the final error is the last 503 with the count and the time
 * waited.
 */
static void test_retry_storm_503_retry_after_zero(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = client_with(e, (knobs){.retry_timeout_ms = -1}); /* all defaults */
    storm_fault(e, 503, "0", "TEMPORARILY_UNAVAILABLE", "come back later");
    dbx_cluster *cl = (dbx_cluster *)1;
    assert_int_equal(dbx_clusters_get(&cl, c, "0101-000000-storm000"), DBX_EUNAVAILABLE);
    assert_null(cl);
    const dbx_error *err = last_error(c, DBX_EUNAVAILABLE, 503, DBX_DEFAULT_MAX_ATTEMPTS);
    assert_string_equal(err->error_code, "TEMPORARILY_UNAVAILABLE");
    assert_string_equal(err->method, "GET");
    assert_string_equal(err->path, "/api/2.1/clusters/get");
    assert_int_equal(err->retry_after_ms, 0);
    /* the last server error, then why it stopped */
    assert_prefix(err->message, "come back later (HTTP 503; 10 attempts over ");
    assert_contains(err->message, "attempt limit reached");
    assert_int_equal(emu_count_requests(e, "/api/2.1/clusters/get", NULL), DBX_DEFAULT_MAX_ATTEMPTS);

    long sleeps[32], sum = 0;
    int n = fake_clock_sleeps(sleeps, 32);
    assert_int_equal(n, DBX_DEFAULT_MAX_ATTEMPTS - 1);
    for (int i = 0; i < n; i++) {
        assert_true(sleeps[i] >= DBX__RETRY_FLOOR_MS);
        sum += sleeps[i];
    }
    /* exponential with equal jitter from 1 s: each of the first four is at
     * least the one before (until the 10 s cap), and the last ones are long */
    for (int i = 1; i < 4; i++)
        assert_true(sleeps[i] >= sleeps[i - 1]);
    assert_true(sleeps[n - 1] >= 4 * sleeps[0]);
    assert_int_equal(err->waited_ms, sum);
    assert_int_equal(fake_clock_slept_total(), sum);
    dbx_client_free(c);

    /* a retry budget ends the storm too, and the message says so */
    c = client_with(e, (knobs){.retry_timeout_ms = 2500});
    json_decref(emu_ctl(e, "DELETE", "/__emulator/requests", NULL));
    fake_clock_reset_sleeps();
    assert_int_equal(dbx_clusters_get(&cl, c, "0101-000000-storm000"), DBX_EUNAVAILABLE);
    err = dbx_client_last_error(c);
    assert_contains(err->message, "retry budget exhausted");
    assert_true(err->attempts >= 2 && err->attempts < DBX_DEFAULT_MAX_ATTEMPTS);
    assert_true(err->waited_ms >= (err->attempts - 1) * DBX__RETRY_FLOOR_MS && err->waited_ms <= 2500);
    assert_int_equal(emu_count_requests(e, "/api/2.1/clusters/get", NULL), (size_t)err->attempts);
    dbx_client_free(c);
}

/*
 * Defect: a Retry-After HTTP date in the past parsed to 0 ms and was used
 * as the delay as is (no floor): the same zero-wait storm as above, for
 * 429. With the shortest backoff a client can configure, every sleep is
 * still exactly the floor.
 */
static void test_retry_storm_429_date_in_past(void **state)
{
    (void)state;
    emu *e = emu_get();
    static const char past[] = "Thu, 01 Jan 2015 00:00:00 GMT";
    dbx_client *c = client_with(e, (knobs){.retry_timeout_ms = -1});
    storm_fault(e, 429, past, "REQUEST_LIMIT_EXCEEDED", "slow down");
    dbx_cluster *cl = NULL;
    assert_int_equal(dbx_clusters_get(&cl, c, "0101-000000-storm000"), DBX_ERATELIMITED);
    const dbx_error *err = last_error(c, DBX_ERATELIMITED, 429, DBX_DEFAULT_MAX_ATTEMPTS);
    assert_string_equal(err->error_code, "REQUEST_LIMIT_EXCEEDED");
    assert_int_equal(err->retry_after_ms, 0);
    assert_prefix(err->message, "slow down (HTTP 429; 10 attempts over ");
    assert_contains(err->message, "attempt limit reached");
    assert_int_equal(emu_count_requests(e, "/api/2.1/clusters/get", NULL), DBX_DEFAULT_MAX_ATTEMPTS);
    long sleeps[32];
    int n = fake_clock_sleeps(sleeps, 32);
    assert_int_equal(n, DBX_DEFAULT_MAX_ATTEMPTS - 1);
    for (int i = 0; i < n; i++)
        assert_true(sleeps[i] >= DBX__RETRY_FLOOR_MS);
    assert_int_equal(err->waited_ms, fake_clock_slept_total());
    dbx_client_free(c);

    /* 1 ms backoff: the floor is what keeps the client off the server */
    c = client_with(e, (knobs){.retry_timeout_ms = -1, .retry_initial_delay_ms = 1, .retry_max_delay_ms = 1});
    json_decref(emu_ctl(e, "DELETE", "/__emulator/requests", NULL));
    fake_clock_reset_sleeps();
    assert_int_equal(dbx_clusters_get(&cl, c, "0101-000000-storm000"), DBX_ERATELIMITED);
    err = last_error(c, DBX_ERATELIMITED, 429, DBX_DEFAULT_MAX_ATTEMPTS);
    n = fake_clock_sleeps(sleeps, 32);
    assert_int_equal(n, DBX_DEFAULT_MAX_ATTEMPTS - 1);
    for (int i = 0; i < n; i++)
        assert_int_equal(sleeps[i], DBX__RETRY_FLOOR_MS);
    assert_int_equal(err->waited_ms, (DBX_DEFAULT_MAX_ATTEMPTS - 1) * DBX__RETRY_FLOOR_MS);
    assert_int_equal(emu_count_requests(e, "/api/2.1/clusters/get", NULL), DBX_DEFAULT_MAX_ATTEMPTS);
    dbx_client_free(c);
}

/* ---- 2. unbounded responses ----------------------------------------------------- */

/* One answer of a valid JSON object of at least `bytes` bytes (`times`
 * answers; -1: every one). */
static void huge_fault(emu *e, const char *path, long long bytes, int status, int chunked, int gzip, int times)
{
    add_fault(e, json_pack("{s:s, s:s, s:I, s:i, s:b, s:b, s:i}", "path", path, "action", "huge", "bytes",
                           (json_int_t)bytes, "status", status, "chunked", chunked, "gzip", gzip, "times", times));
}

static void bomb_fault(emu *e, const char *path, long long bytes)
{
    add_fault(e, json_pack("{s:s, s:s, s:I}", "path", path, "action", "gzip_bomb", "bytes", (json_int_t)bytes));
}

#define LIST "/api/2.1/clusters/list"

/* One GET of LIST that must fail with DBX_ETOOLARGE: after one request,
 * with resident memory rising by less than `mem_bound`. */
static void expect_too_large(emu *e, dbx_client *c, long long mem_bound)
{
    json_decref(emu_ctl(e, "DELETE", "/__emulator/requests", NULL));
    double t0 = real_ms();
    memory_probe_start();
    expect_request_fails(c, "GET", LIST, NULL, DBX_ETOOLARGE);
    assert_rise_below(mem_bound);
    const dbx_error *err = last_error(c, DBX_ETOOLARGE, 200, 1);
    assert_contains(err->message, "max_response_bytes");
    assert_int_equal(emu_count_requests(e, LIST, NULL), 1); /* never retried, even as a GET */
    assert_int_equal(fake_clock_slept_total(), 0);
    assert_true(real_ms() - t0 < 60000); /* it stops reading: no GiB transfer */
}

/*
 * Defect: response bodies had no limit. A 1 GiB answer (with
 * Content-Length, or chunked without one) was buffered whole, and a small
 * gzip body inflated to gigabytes in memory. Now every buffered body is
 * capped by max_response_bytes, counted in decoded bytes: DBX_ETOOLARGE,
 * not retried, memory far below the body's size.
 */
static void test_huge_bodies_are_refused(void **state)
{
    (void)state;
    emu *e = emu_get();
    /* the default limit (64 MiB); under valgrind a small one */
    long long limit = under_valgrind() ? 1 * MIB : 0;
    dbx_client *c = client_with(e, (knobs){.max_response_bytes = limit});

    huge_fault(e, LIST, 1 * GIB, 200, 0, 0, 1); /* Content-Length: refused before a byte is kept */
    expect_too_large(e, c, 256 * MIB);
    huge_fault(e, LIST, 1 * GIB, 200, 1, 0, 1); /* chunked: refused at the limit */
    expect_too_large(e, c, 256 * MIB);
    huge_fault(e, LIST, 1 * GIB, 200, 0, 1, 1); /* gzip, chunked */
    expect_too_large(e, c, 256 * MIB);
    /* ~2 MiB on the wire with an exact Content-Length, 2 GiB once inflated */
    bomb_fault(e, LIST, 2 * GIB);
    expect_too_large(e, c, 512 * MIB);
    dbx_client_free(c);
}

/*
 * Defect (same as above, at the boundary): the limit must be exact and on
 * decoded bytes: a body of exactly max_response_bytes succeeds in all three
 * framings, one byte less of limit refuses it; a streamed body (write_fn)
 * is not limited at all.
 */
static void test_response_limit_boundary_and_streaming(void **state)
{
    (void)state;
    emu *e = emu_get();
    /* learn the exact size of a huge body just under 1 MiB */
    dbx_client *c = client_with(e, (knobs){.max_response_bytes = 1 * MIB});
    huge_fault(e, LIST, 1 * MIB - 4 * KIB, 200, 0, 0, 1);
    dbx_response *r = NULL;
    assert_int_equal(dbx_request(&r, c, "GET", LIST, NULL), DBX_OK);
    size_t size = 0;
    assert_non_null(dbx_response_body(r, &size));
    assert_true(size <= 1 * MIB && size >= 1 * MIB - 4 * KIB);
    dbx_response_free(r);
    dbx_client_free(c);

    for (int framing = 0; framing < 3; framing++) {
        c = client_with(e, (knobs){.max_response_bytes = (long long)size});
        huge_fault(e, LIST, 1 * MIB - 4 * KIB, 200, framing == 1, framing == 2, 1);
        assert_int_equal(dbx_request(&r, c, "GET", LIST, NULL), DBX_OK);
        size_t got = 0;
        const char *body = dbx_response_body(r, &got);
        assert_int_equal(got, size);
        assert_true(body[0] == '{' && body[got - 1] == '}' && body[got] == '\0');
        dbx_response_free(r);
        dbx_client_free(c);

        c = client_with(e, (knobs){.max_response_bytes = (long long)size - 1});
        huge_fault(e, LIST, 1 * MIB - 4 * KIB, 200, framing == 1, framing == 2, 1);
        expect_too_large(e, c, 64 * MIB);
        dbx_client_free(c);
    }

    /* streamed: no limit applies */
    c = client_with(e, (knobs){.max_response_bytes = 1 * MIB});
    long long big = under_valgrind() ? 3 * MIB : 16 * MIB;
    huge_fault(e, LIST, big, 200, 1, 0, 1);
    bomb_fault(e, "/api/2.1/clusters/list-node-types", big);
    size_t streamed = 0;
    dbx_request_options ro = DBX_REQUEST_OPTIONS_INIT;
    ro.write_fn = emu_count_sink;
    ro.write_payload = &streamed;
    assert_int_equal(dbx_request_ex(&r, c, "GET", LIST, &ro), DBX_OK);
    assert_true(streamed >= (size_t)big);
    dbx_response_free(r);
    streamed = 0;
    assert_int_equal(dbx_request_ex(&r, c, "GET", "/api/2.1/clusters/list-node-types", &ro), DBX_OK);
    assert_int_equal(streamed, (size_t)big); /* the bomb inflates to exactly `big` bytes */
    dbx_response_free(r);
    dbx_client_free(c);
}

/* ---- 3. deep nesting on a small stack -------------------------------------------- */

/* What a call on the small-stack thread saw (cmocka asserts only on the
 * test's own thread). */
typedef struct outcome {
    dbx_status st;
    int http_status, attempts;
    char code[64], msg[512];
    char *body; /* dbx_request: the response body (malloc'd) */
    size_t len;
} outcome;

typedef struct small_job {
    dbx_client *c;
    const char *method, *path, *body; /* dbx_request when path is set, else dbx_clusters_get */
    outcome out;
} small_job;

static void *small_stack_call(void *arg)
{
    small_job *j = arg;
    dbx_response *r = NULL;
    dbx_cluster *cl = NULL;
    if (j->path)
        j->out.st = dbx_request(&r, j->c, j->method, j->path, j->body);
    else
        j->out.st = dbx_clusters_get(&cl, j->c, "0101-000000-deep0000");
    const dbx_error *err = dbx_client_last_error(j->c);
    j->out.http_status = err->http_status;
    j->out.attempts = err->attempts;
    snprintf(j->out.code, sizeof j->out.code, "%s", err->error_code);
    snprintf(j->out.msg, sizeof j->out.msg, "%s", err->message);
    if (r) {
        const char *b = dbx_response_body(r, &j->out.len);
        j->out.body = malloc(j->out.len + 1);
        if (j->out.body)
            memcpy(j->out.body, b, j->out.len + 1);
    }
    dbx_response_free(r);
    dbx_cluster_free(cl);
    return NULL;
}

#define SMALL_STACK (64 * 1024)

/* Run the job on a thread with a 64 KiB stack: a recursive parser or a
 * recursive free of ~2000 levels does not fit and crashes the process. */
static void run_on_small_stack(small_job *j)
{
    pthread_attr_t a;
    pthread_t th;
    long min = sysconf(_SC_THREAD_STACK_MIN);
    assert_int_equal(pthread_attr_init(&a), 0);
    assert_int_equal(pthread_attr_setstacksize(&a, min > SMALL_STACK ? (size_t)min : SMALL_STACK), 0);
    assert_int_equal(pthread_create(&th, &a, small_stack_call, j), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    pthread_attr_destroy(&a);
}

static void deep_fault(emu *e, const char *path, int depth, const char *shape, int status)
{
    add_fault(e, json_pack("{s:s, s:s, s:i, s:s, s:i}", "path", path, "action", "deep", "depth", depth, "shape",
                           shape, "status", status));
}

static outcome deep_get(emu *e, dbx_client *c, int depth, const char *shape, int status)
{
    deep_fault(e, "/api/2.1/clusters/get", depth, shape, status);
    small_job j = {c, NULL, NULL, NULL, {0}};
    run_on_small_stack(&j);
    return j.out;
}

/* "[[...[]...]]" nested `depth` levels (malloc'd). */
static char *deep_array(int depth)
{
    char *s = malloc((size_t)depth * 2 + 1);
    assert_non_null(s);
    memset(s, '[', (size_t)depth);
    memset(s + depth, ']', (size_t)depth);
    s[depth * 2] = '\0';
    return s;
}

/*
 * Defect: error bodies were parsed with jansson's recursive json_loadb (and
 * freed with its recursive json_decref): a 400 whose details nest 2,047
 * levels blew a 64 KiB thread stack. Now the non-recursive indexer reads
 * them: the mapped status with the body's error_code and message.
 */
static void test_deep_error_body_on_small_stack(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client(e);
    static const char *shapes[] = {"array", "object"};
    for (int i = 0; i < 2; i++) {
        outcome o = deep_get(e, c, 2047, shapes[i], 400);
        assert_int_equal(o.st, DBX_EINVALIDPARAM);
        assert_int_equal(o.http_status, 400);
        assert_int_equal(o.attempts, 1);
        assert_string_equal(o.code, "INVALID_PARAMETER_VALUE");
        assert_string_equal(o.msg, "deep");
    }
    /* nested past any parser's limit (and past the 64 KiB kept of an error
     * body): the HTTP status alone decides, still no crash */
    outcome o = deep_get(e, c, 100000, "array", 400);
    assert_int_equal(o.st, DBX_EBADREQUEST);
    assert_int_equal(o.http_status, 400);
    assert_prefix(o.msg, "{\"error_code\":\"INVALID_PARAMETER_VALUE\",\"message\":\"deep\"");
    assert_int_equal(emu_count_requests(e, "/api/2.1/clusters/get", NULL), 3);
    dbx_client_free(c);
}

/*
 * Defect: success bodies nesting ~2,000 levels were built into (and freed
 * as) recursive jansson trees, which crashed a 64 KiB thread. Now: 2,047
 * (and 2,048) levels are valid JSON and clusters/get simply finds no
 * cluster_id; one level more than 2,048 is refused with "maximum parsing
 * depth", as jansson refuses it.
 */
static void test_deep_success_body_on_small_stack(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client(e);
    static const int depths[] = {2047, 2048};
    for (int i = 0; i < 2; i++) {
        outcome o = deep_get(e, c, depths[i], "object", 200);
        assert_int_equal(o.st, DBX_EBADRESPONSE);
        assert_contains(o.msg, "no cluster_id");
    }
    outcome o = deep_get(e, c, 2047, "array", 200);
    assert_int_equal(o.st, DBX_EBADRESPONSE);
    assert_contains(o.msg, "not an object");
    static const char *shapes[] = {"array", "object"};
    for (int i = 0; i < 2; i++) {
        o = deep_get(e, c, 2049, shapes[i], 200);
        assert_int_equal(o.st, DBX_EBADRESPONSE);
        assert_int_equal(o.http_status, 200);
        assert_contains(o.msg, "maximum parsing depth");
    }
    /* never retried: a bad body stays bad */
    assert_int_equal(emu_count_requests(e, "/api/2.1/clusters/get", NULL), 5);
    dbx_client_free(c);
}

/*
 * Defect: dbx_request validated its JSON argument with jansson's recursive
 * parser, so a deeply nested request body crashed a small thread before it
 * was sent. Now the escape hatch sends a 2,047-level body and hands back a
 * 2,047-level answer intact, on a 64 KiB stack.
 */
static void test_deep_escape_hatch_on_small_stack(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client(e);
    char *deep = deep_array(2047);
    add_fault(e, json_pack("{s:s, s:s, s:s, s:i}", "method", "POST", "path", "/api/2.0/deep", "action", "deep",
                           "depth", 2047));
    small_job j = {c, "POST", "/api/2.0/deep", deep, {0}};
    run_on_small_stack(&j);
    assert_int_equal(j.out.st, DBX_OK);
    assert_int_equal(j.out.len, strlen(deep));
    assert_string_equal(j.out.body, deep);
    free(j.out.body);
    json_t *req = emu_last_request(e, "/api/2.0/deep");
    assert_non_null(req);
    assert_string_equal(json_string_value(json_object_get(req, "body")), deep);
    json_decref(req);
    /* one level too deep for any JSON parser libdbx uses: refused locally */
    char *deeper = deep_array(2049);
    small_job k = {c, "POST", "/api/2.0/deep", deeper, {0}};
    run_on_small_stack(&k);
    assert_int_equal(k.out.st, DBX_EINVAL);
    assert_contains(k.out.msg, "maximum parsing depth");
    assert_int_equal(emu_count_requests(e, "/api/2.0/deep", NULL), 1);
    free(deeper);
    free(deep);
    dbx_client_free(c);
}

/* ---- 4. header floods ------------------------------------------------------------------ */

/* One clusters/get that must fail with DBX_EBADRESPONSE on the headers,
 * at once: one request, no retry, no sleep. */
static void expect_header_flood_refused(emu *e, dbx_client *c, const char *why)
{
    json_decref(emu_ctl(e, "DELETE", "/__emulator/requests", NULL));
    dbx_cluster *cl = NULL;
    double t0 = real_ms();
    assert_int_equal(dbx_clusters_get(&cl, c, "0101-000000-headers0"), DBX_EBADRESPONSE);
    assert_true(real_ms() - t0 < 20000); /* not the 60 s request timeout */
    assert_null(cl);
    /* the status line arrived: the record says what it was */
    const dbx_error *err = last_error(c, DBX_EBADRESPONSE, 200, 1);
    assert_contains(err->message, why);
    assert_string_equal(err->path, "/api/2.1/clusters/get");
    assert_int_equal(emu_count_requests(e, "/api/2.1/clusters/get", NULL), 1);
    assert_int_equal(fake_clock_slept_total(), 0);
}

/*
 * Defect: response headers had no bound. A server that never ends its
 * header block made the old client store header after header (a flood with
 * no end ran until the 60 s timeout); when it hung up, the GET counted as a
 * transport failure and was retried, over and over. Now: over
 * DBX__MAX_HEADER_BYTES the call fails at once with DBX_EBADRESPONSE after
 * one request.
 * Also (found by this suite): one header line over libcurl's own 100 KiB
 * line limit came back as DBX_ENOMEM "Out of memory" from libcurl < 8.6.
 */
static void test_header_floods(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client(e);
    static const long long sizes[] = {-1, 1 * MIB};
    for (int i = 0; i < 2; i++) {
        add_fault(e, json_pack("{s:s, s:s, s:I}", "path", "/api/2.1/clusters/get", "action", "endless_headers",
                               "header_bytes", (json_int_t)sizes[i]));
        expect_header_flood_refused(e, c, "response headers exceed");
    }
    /* a single 200 KiB header line, in an otherwise normal answer */
    size_t n = 200 * KIB;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'a', n);
    big[n] = '\0';
    add_fault(e, json_pack("{s:s, s:s, s:i, s:{s:s}, s:{}}", "path", "/api/2.1/clusters/get", "action", "status",
                           "status", 200, "headers", "X-Big", big, "body"));
    free(big);
    expect_header_flood_refused(e, c, "response header line exceeds");
    dbx_client_free(c);
}

/* ---- 5. slow drip ------------------------------------------------------------------------ */

/*
 * Defect pinned: a per-read (inactivity) timeout, which a server sending
 * one byte every few milliseconds resets forever. The request timeout
 * must bound the whole transfer: a ~15 s drip fails with DBX_ETIMEOUT
 * within a generous bound of the 300 ms timeout, without a retry.
 */
static void test_slow_drip_hits_the_timeout(void **state)
{
    (void)state;
    emu *e = emu_get();
    const char *path = "/api/2.1/clusters/spark-versions";
    dbx_client *c = client_with(e, (knobs){.http_timeout_ms = 300});
    dbx_client *slow = emu_client(e); /* the 60 s default, cut per call */
    dbx_request_options ro = DBX_REQUEST_OPTIONS_INIT;
    ro.timeout_ms = 300;
    for (int i = 0; i < 2; i++) {
        dbx_client *who = i == 0 ? c : slow;
        json_decref(emu_ctl(e, "DELETE", "/__emulator/requests", NULL));
        add_fault(e, json_pack("{s:s, s:s, s:i, s:i}", "path", path, "action", "drip", "interval_ms", 25, "chunk", 1));
        double t0 = real_ms();
        expect_request_fails(who, "GET", path, i == 0 ? NULL : &ro, DBX_ETIMEOUT);
        double ms = real_ms() - t0;
        assert_true(ms < 5000); /* the full drip takes ~15 s */
        const dbx_error *err = dbx_client_last_error(who);
        assert_int_equal(err->status, DBX_ETIMEOUT);
        assert_int_equal(err->attempts, 1); /* a client timeout is never retried */
        assert_int_equal(err->transport_code, 28); /* CURLE_OPERATION_TIMEDOUT */
        assert_int_equal(emu_count_requests(e, path, NULL), 1);
    }
    dbx_client_free(slow);
    dbx_client_free(c);
}

/* ---- 6. request targets that must never leave the process ----------------------------- */

/*
 * Defect: the path went to libcurl as given. A space or a control byte made
 * libcurl fail with "URL malformed", which was classified as a transport
 * failure and retried with backoff; a non-ASCII byte went out raw. Now
 * such a path is DBX_EINVAL naming the path: no request, no retry, no sleep.
 */
static void test_bad_paths_never_sent(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client(e);
    static const char *bad[] = {
        "/api/2.0/x y",            "/api/2.0/x\001y",  "/api/2.0/x\x7f",          "/api/2.0/caf\xc3\xa9",
        "/api/2.0/x\r\nX-Evil: 1", "/api/2.0/x\ty",    "/api/2.0/\xff",           "/api/2.0/x#frag",
    };
    dbx_request_options post = DBX_REQUEST_OPTIONS_INIT;
    post.body = "{}";
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        for (int m = 0; m < 2; m++) {
            expect_request_fails(c, m ? "POST" : "GET", bad[i], m ? &post : NULL, DBX_EINVAL);
            /* "path: byte N (0xXX) must be percent-encoded", or not UTF-8 */
            assert_contains(last_error(c, DBX_EINVAL, 0, 0)->message, "path");
        }
    }
    /* an absolute URL (no credentials) gets the same check */
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.2:%d/x y", e->other_port);
    dbx_request_options na = DBX_REQUEST_OPTIONS_INIT;
    na.no_auth = 1;
    expect_request_fails(c, "GET", url, &na, DBX_EINVAL);
    assert_int_equal(emu_count_requests(e, NULL, NULL), 0);
    assert_int_equal(fake_clock_slept_total(), 0);
    dbx_client_free(c);
}

/* ---- 7. invalid UTF-8 arguments ----------------------------------------------------------- */

/*
 * Defect: a cluster id of "\xff" was percent-encoded and sent (clusters/get)
 * and a restart_user of "\xff" made jansson's json_string() return NULL,
 * which surfaced as DBX_ENOMEM. Now both are DBX_EINVAL naming the
 * argument, before any request.
 */
static void test_invalid_utf8_arguments(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client(e);
    static const char *bad[] = {"\xff", "ok\xc0\xaf", "\xed\xa0\x80", "trunc\xe2\x82"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        dbx_cluster *cl = (dbx_cluster *)1;
        assert_int_equal(dbx_clusters_get(&cl, c, bad[i]), DBX_EINVAL);
        assert_null(cl);
        const dbx_error *err = last_error(c, DBX_EINVAL, 0, 0);
        assert_contains(err->message, "cluster_id");
        assert_contains(err->message, "UTF-8");

        assert_int_equal(dbx_clusters_restart(c, "0101-000000-abcdefgh", bad[i]), DBX_EINVAL);
        err = last_error(c, DBX_EINVAL, 0, 0);
        assert_contains(err->message, "restart_user");
        assert_contains(err->message, "UTF-8");

        assert_int_equal(dbx_clusters_restart(c, bad[i], NULL), DBX_EINVAL);
        assert_contains(dbx_client_last_error(c)->message, "cluster_id");
    }
    assert_int_equal(emu_count_requests(e, NULL, NULL), 0);
    dbx_client_free(c);
}

/* ---- 8. the error record after successful option calls ----------------------------------- */

static void fail_client_new(void)
{
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.no_env = 1;
    o.no_config_file = 1; /* no host anywhere */
    dbx_client *c = NULL;
    assert_int_equal(dbx_client_new(&c, &o), DBX_ECONFIG);
    assert_int_equal(dbx_client_last_error(NULL)->status, DBX_ECONFIG);
}

static void assert_no_error(void)
{
    const dbx_error *err = dbx_client_last_error(NULL);
    assert_int_equal(err->status, DBX_OK);
    assert_string_equal(err->message, "no error");
}

/*
 * Defect: the options functions did not clear the thread's error record,
 * so after a failed call, a successful dbx_client_options_set /
 * dbx_client_options_init / dbx_wait_options_init still showed the old
 * failure through dbx_client_last_error(NULL).
 */
static void test_option_calls_clear_the_error(void **state)
{
    (void)state;
    dbx_client_options o;
    fail_client_new();
    assert_int_equal(dbx_client_options_init(&o, DBX_CLIENT_OPTIONS_VERSION), DBX_OK);
    assert_no_error();

    fail_client_new();
    assert_int_equal(dbx_client_options_set(&o, "host", "https://example.net"), DBX_OK);
    assert_no_error();
    assert_int_equal(dbx_client_options_set(&o, "no_such_key", "1"), DBX_EINVAL);
    assert_int_equal(dbx_client_last_error(NULL)->status, DBX_EINVAL);
    assert_int_equal(dbx_client_options_set(&o, "max_response_bytes", "1048576"), DBX_OK);
    assert_no_error();
    dbx_client_options_dispose(&o);

    fail_client_new();
    dbx_wait_options w;
    assert_int_equal(dbx_wait_options_init(&w, DBX_WAIT_OPTIONS_VERSION), DBX_OK);
    assert_no_error();
}

/* ---- 9. parser equivalence through the API ------------------------------------------------ */

/* A 200 answer with exactly `body` (the malformed action sends any text). */
static void body_fault(emu *e, const char *path, const char *body)
{
    add_fault(e, json_pack("{s:s, s:s, s:s}", "path", path, "action", "malformed", "body", body));
}

/*
 * Defect: the old parser rejected subnormal reals (strtod reports ERANGE
 * for them: "real number overflow"), so a clusters/get answer with
 * 1e-318 failed as DBX_EBADRESPONSE; and int64 fields sent as decimal
 * strings read as 0. jansson accepts both: so must libdbx.
 */
static void test_subnormals_and_string_int64(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client(e);
    body_fault(e, "/api/2.1/clusters/get",
               "{\"cluster_id\":\"0101-000000-subnorm1\",\"state\":\"RUNNING\","
               "\"start_time\":\"1700000000000\",\"terminated_time\":\"9223372036854775807\","
               "\"cluster_cores\":1e-318,\"tiny\":4.9e-324,\"neg_tiny\":-4.9e-324,"
               "\"autotermination_minutes\":\"120\"}");
    dbx_cluster *cl = NULL;
    assert_int_equal(dbx_clusters_get(&cl, c, "0101-000000-subnorm1"), DBX_OK);
    assert_string_equal(dbx_cluster_id(cl), "0101-000000-subnorm1");
    assert_int_equal(dbx_cluster_state(cl), DBX_CLUSTER_STATE_RUNNING);
    assert_true(dbx_cluster_start_time(cl) == INT64_C(1700000000000));
    assert_true(dbx_cluster_terminated_time(cl) == INT64_MAX);
    assert_int_equal(dbx_cluster_autotermination_minutes(cl), 120);
    const json_t *j = dbx_cluster_jansson(cl);
    double cores = json_real_value(json_object_get(j, "cluster_cores"));
    double tiny = json_real_value(json_object_get(j, "tiny"));
    assert_true(json_is_real(json_object_get(j, "cluster_cores")));
    assert_true(cores == strtod("1e-318", NULL) && cores > 0 && fpclassify(cores) == FP_SUBNORMAL);
    assert_true(tiny == strtod("4.9e-324", NULL) && tiny > 0);
    assert_true(json_real_value(json_object_get(j, "neg_tiny")) == -tiny);
    /* the text keeps the server's spelling */
    assert_contains(dbx_cluster_json(cl), "\"cluster_cores\":1e-318");
    assert_contains(dbx_cluster_json(cl), "\"start_time\":\"1700000000000\"");
    dbx_cluster_free(cl);

    /* a typed real getter over the same numbers */
    body_fault(e, "/api/2.1/clusters/list-node-types",
               "{\"node_types\":[{\"node_type_id\":\"tiny\",\"num_cores\":4.9e-324,\"memory_mb\":\"31232\"}]}");
    dbx_node_types *nt = NULL;
    assert_int_equal(dbx_clusters_list_node_types(&nt, c), DBX_OK);
    assert_int_equal(dbx_node_types_count(nt), 1);
    assert_true(dbx_node_types_num_cores(nt, 0) == tiny);
    assert_true(dbx_node_types_memory_mb(nt, 0) == 31232);
    dbx_node_types_free(nt);
    dbx_client_free(c);
}

/* ---- 10. redirects ------------------------------------------------------------------------- */

static const char *const trace_headers[] = {"X-Databricks-Azure-SP-Management-Token: MGMT", "X-Trace: t", NULL};

static void redirect_fault(emu *e, const char *method, int status)
{
    add_fault(e, json_pack("{s:s, s:s, s:s, s:i}", "method", method, "path", "/api/2.0/preview/thing", "action",
                           "redirect", "status", status));
}

/*
 * Defect: a followed redirect to another host resent a POST body on
 * 307/308 and carried every extra header along (only Authorization was
 * dropped), so the Azure SP management token went to whatever host the
 * Location named. Now: a body never follows to another origin
 * (DBX_ETRANSPORT, nothing reaches the other host), and a GET that does
 * follow keeps harmless headers (X-Trace) but loses Authorization and
 * every secret-named one.
 */
static void test_redirects_keep_secrets_home(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client(e);
    dbx_request_options ro = DBX_REQUEST_OPTIONS_INIT;
    ro.follow_redirects = 1;
    ro.headers = trace_headers;
    ro.body = "{\"secret_payload\":\"s3cr3t\"}";
    static const int keep_body[] = {307, 308};
    for (int i = 0; i < 2; i++) {
        redirect_fault(e, "POST", keep_body[i]);
        expect_request_fails(c, "POST", "/api/2.0/preview/thing", &ro, DBX_ETRANSPORT);
        const dbx_error *err = last_error(c, DBX_ETRANSPORT, keep_body[i], 1);
        assert_contains(err->message, "refusing to resend the request body to another host");
    }
    assert_int_equal(emu_count_requests(e, NULL, "other"), 0);
    assert_int_equal(emu_count_requests(e, "/api/2.0/preview/thing", "main"), 2);

    /* 302 on a GET: followed, with the harmless header only */
    redirect_fault(e, "GET", 302);
    ro.body = NULL;
    dbx_response *r = NULL;
    assert_int_equal(dbx_request_ex(&r, c, "GET", "/api/2.0/preview/thing?q=1", &ro), DBX_OK);
    assert_contains(dbx_response_body(r, NULL), "other_host");
    dbx_response_free(r);
    /* 302 on a POST: becomes a GET without the body, and without the secrets */
    redirect_fault(e, "POST", 302);
    ro.body = "{\"secret_payload\":\"s3cr3t\"}";
    assert_int_equal(dbx_request_ex(&r, c, "POST", "/api/2.0/preview/thing", &ro), DBX_OK);
    dbx_response_free(r);

    json_t *all = emu_requests_to(e, "/api/2.0/preview/thing");
    size_t i, other = 0;
    json_t *q;
    json_array_foreach(all, i, q)
    {
        const char *server = json_string_value(json_object_get(q, "server"));
        assert_string_equal(emu_req_header(q, "x-trace"), "t");
        if (strcmp(server, "other") == 0) {
            other++;
            assert_null(emu_req_header(q, "authorization"));
            assert_null(emu_req_header(q, "x-databricks-azure-sp-management-token"));
            assert_string_equal(json_string_value(json_object_get(q, "method")), "GET");
            assert_string_equal(json_string_value(json_object_get(q, "body")), "");
        } else {
            /* the workspace itself gets them all */
            assert_string_equal(emu_req_header(q, "authorization"), "Bearer " EMU_TOKEN);
            assert_string_equal(emu_req_header(q, "x-databricks-azure-sp-management-token"), "MGMT");
        }
    }
    assert_int_equal(other, 2);
    json_decref(all);
    dbx_client_free(c);
}

/* ---- 11. oversized error bodies ---------------------------------------------------------- */

/*
 * Defect: error bodies were buffered whole and then parsed whole into a
 * jansson tree: a 500 with a 10 MiB body cost tens of MiB and the time to
 * read it all. Now at most DBX__ERROR_BODY_READ bytes are read and
 * DBX__ERROR_BODY_KEEP kept: DBX_ESERVER quickly, with a message, one
 * request (a POST 500 is not retried), memory far below the body.
 */
static void test_huge_error_body(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client(e);
    huge_fault(e, "/api/2.1/clusters/create", 10 * MIB, 500, 0, 0, 1);
    double t0 = real_ms();
    memory_probe_start();
    dbx_response *r = (dbx_response *)1;
    assert_int_equal(dbx_request(&r, c, "POST", "/api/2.1/clusters/create", "{\"spark_version\":\"x\"}"),
                     DBX_ESERVER);
    assert_rise_below(8 * MIB);
    assert_true(real_ms() - t0 < 20000);
    assert_null(r);
    const dbx_error *err = last_error(c, DBX_ESERVER, 500, 1);
    /* not JSON once cut: the start of the text, shortened */
    assert_prefix(err->message, "{\"clusters\":[{\"cluster_id\":");
    assert_true(strlen(err->message) < 1024);
    assert_int_equal(emu_count_requests(e, "/api/2.1/clusters/create", NULL), 1);
    /* chunked, and on a GET (retried as a 500, each attempt bounded) */
    dbx_client_free(c);
    c = client_with(e, (knobs){.max_attempts = 2});
    huge_fault(e, LIST, 10 * MIB, 500, 1, 0, -1);
    memory_probe_start();
    expect_request_fails(c, "GET", LIST, NULL, DBX_ESERVER);
    assert_rise_below(8 * MIB);
    last_error(c, DBX_ESERVER, 500, 2);
    assert_int_equal(emu_count_requests(e, LIST, NULL), 2);
    dbx_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_retry_storm_503_retry_after_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_storm_429_date_in_past, setup, teardown),
        cmocka_unit_test_setup_teardown(test_huge_bodies_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_response_limit_boundary_and_streaming, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deep_error_body_on_small_stack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deep_success_body_on_small_stack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deep_escape_hatch_on_small_stack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_floods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_drip_hits_the_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_paths_never_sent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_utf8_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_option_calls_clear_the_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subnormals_and_string_int64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redirects_keep_secrets_home, setup, teardown),
        cmocka_unit_test_setup_teardown(test_huge_error_body, setup, teardown),
    };
    return cmocka_run_group_tests_name("hostile", tests, NULL, NULL);
}
