/*
 * Unit tests for the retry arithmetic: Retry-After parsing, backoff bounds,
 * transient error messages.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http/http.h"

#define DAY_MS (24L * 3600 * 1000)
/* 2023-11-14T22:13:20Z */
#define NOW_MS ((int64_t)1700000000 * 1000)

static void http_date(char *out, size_t cap, time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static void retry_after_seconds(void **state)
{
    (void)state;
    assert_int_equal(dbx__parse_retry_after("2", NOW_MS), 2000);
    assert_int_equal(dbx__parse_retry_after("0", NOW_MS), 0);
    assert_int_equal(dbx__parse_retry_after("  5", NOW_MS), 5000);
    assert_int_equal(dbx__parse_retry_after("5 ", NOW_MS), 5000);
    assert_int_equal(dbx__parse_retry_after("120", NOW_MS), 120000);
    assert_int_equal(dbx__parse_retry_after("86400", NOW_MS), DAY_MS);
    /* the wall clock does not matter for delta-seconds */
    assert_int_equal(dbx__parse_retry_after("3", 0), 3000);
}

static void retry_after_invalid(void **state)
{
    (void)state;
    const char *bad[] = {"-1", "-5", "abc", "garbage", "1.5", "12abc", "soon", "   ", "", "+", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        long v = dbx__parse_retry_after(bad[i], NOW_MS);
        if (v != -1)
            fail_msg("Retry-After \"%s\" -> %ld, want -1", bad[i], v);
    }
    assert_int_equal(dbx__parse_retry_after(NULL, NOW_MS), -1);
}

static void retry_after_capped(void **state)
{
    (void)state;
    assert_int_equal(dbx__parse_retry_after("86401", NOW_MS), DAY_MS);
    assert_int_equal(dbx__parse_retry_after("1000000", NOW_MS), DAY_MS);
    assert_int_equal(dbx__parse_retry_after("2147483648", NOW_MS), DAY_MS);
}

static void retry_after_overflowing_number(void **state)
{
    (void)state;
    /* RFC 9111 1.2.2: an overflowing delta-seconds is a very large value, not absent */
    assert_int_equal(dbx__parse_retry_after("99999999999999999999999", NOW_MS), DAY_MS);
}

static void retry_after_http_date(void **state)
{
    (void)state;
    char d[64];
    time_t now = (time_t)(NOW_MS / 1000);
    http_date(d, sizeof d, now + 5);
    assert_string_equal(d, "Tue, 14 Nov 2023 22:13:25 GMT");
    assert_int_equal(dbx__parse_retry_after(d, NOW_MS), 5000);
    /* sub-second wall clock: the delta is exact in ms */
    assert_int_equal(dbx__parse_retry_after(d, NOW_MS + 250), 4750);
    /* now -> 0; past -> 0 */
    http_date(d, sizeof d, now);
    assert_int_equal(dbx__parse_retry_after(d, NOW_MS), 0);
    http_date(d, sizeof d, now - 60);
    assert_int_equal(dbx__parse_retry_after(d, NOW_MS), 0);
    assert_int_equal(dbx__parse_retry_after("Thu, 01 Jan 1998 00:00:00 GMT", NOW_MS), 0);
    /* far future: capped at a day */
    http_date(d, sizeof d, now + 3 * 86400);
    assert_int_equal(dbx__parse_retry_after(d, NOW_MS), DAY_MS);
    /* other date formats curl understands */
    assert_int_equal(dbx__parse_retry_after("Tuesday, 14-Nov-23 22:13:30 GMT", NOW_MS), 10000);
    assert_int_equal(dbx__parse_retry_after("Tue Nov 14 22:13:21 2023", NOW_MS), 1000);
}

static void retry_after_extreme_dates(void **state)
{
    (void)state;
    /* curl accepts years far beyond what fits in int64 milliseconds:
     * 599999999 is ~1.9e16 s, so `when * 1000` used to overflow (UBSan) */
    assert_int_equal(dbx__parse_retry_after("Fri, 31 Dec 599999999 23:59:59 GMT", NOW_MS), DAY_MS);
    assert_int_equal(dbx__parse_retry_after("Fri, 31 Dec 599999999 23:59:59 GMT", 0), DAY_MS);
    assert_int_equal(dbx__parse_retry_after("Fri, 31 Dec 599999999 23:59:59 GMT", INT64_MAX), DAY_MS); /* still later than that */
    /* extreme wall clocks with an ordinary date */
    const char *d = "Tue, 14 Nov 2023 22:13:25 GMT";
    assert_int_equal(dbx__parse_retry_after(d, INT64_MAX), 0);
    assert_int_equal(dbx__parse_retry_after(d, INT64_MIN), DAY_MS);
    assert_int_equal(dbx__parse_retry_after(d, -1), DAY_MS);
    /* a day away, to the millisecond, on both sides of the cap */
    assert_int_equal(dbx__parse_retry_after(d, NOW_MS + 5000 - DAY_MS), DAY_MS);
    assert_int_equal(dbx__parse_retry_after(d, NOW_MS + 5001 - DAY_MS), DAY_MS - 1);
    assert_int_equal(dbx__parse_retry_after(d, NOW_MS + 4999 - DAY_MS), DAY_MS);
    /* 1970 and before */
    assert_int_equal(dbx__parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", 0), 0);
    assert_int_equal(dbx__parse_retry_after("Thu, 01 Jan 1970 00:00:01 GMT", -500), 1500);
}

#define SAMPLES 2000

static void check_backoff(int retry, long initial, long max, long lo, long hi)
{
    long seen_min = LONG_MAX, seen_max = LONG_MIN;
    for (int i = 0; i < SAMPLES; i++) {
        long d = dbx__backoff_ms(retry, initial, max);
        if (d < lo || d > hi)
            fail_msg("backoff(%d, %ld, %ld) = %ld not in [%ld, %ld]", retry, initial, max, d, lo, hi);
        if (d < seen_min)
            seen_min = d;
        if (d > seen_max)
            seen_max = d;
    }
    /* jitter spreads over the range (the upper half of the backoff) */
    long slack = (hi - lo) / 8;
    if (hi > lo && (seen_min > lo + slack || seen_max < hi - slack))
        fail_msg("backoff(%d) jitter too narrow: [%ld, %ld] of [%ld, %ld]", retry, seen_min, seen_max, lo, hi);
}

static void backoff_bounds(void **state)
{
    (void)state;
    /* exponential from `initial`, doubling, capped at `max`; equal jitter [d/2, d] */
    check_backoff(1, 1000, 10000, 500, 1000);
    check_backoff(2, 1000, 10000, 1000, 2000);
    check_backoff(3, 1000, 10000, 2000, 4000);
    check_backoff(4, 1000, 10000, 4000, 8000);
    check_backoff(5, 1000, 10000, 5000, 10000);
    check_backoff(10, 1000, 10000, 5000, 10000);
    check_backoff(50, 1000, 10000, 5000, 10000);
    check_backoff(INT_MAX, 1000, 10000, 5000, 10000);
    check_backoff(3, 500, 2000, 1000, 2000);
    /* retry < 1 is the first retry */
    check_backoff(0, 1000, 10000, 500, 1000);
    check_backoff(-3, 1000, 10000, 500, 1000);
    /* initial <= 0 is 1000 */
    check_backoff(1, 0, 10000, 500, 1000);
    check_backoff(1, -5, 10000, 500, 1000);
    check_backoff(3, 0, 10000, 2000, 4000);
    /* max below initial: initial wins */
    check_backoff(5, 3000, 100, 1500, 3000);
    /* the floor: whatever the configuration, never below DBX__RETRY_FLOOR_MS */
    check_backoff(1, 1, 1, DBX__RETRY_FLOOR_MS, DBX__RETRY_FLOOR_MS);
    check_backoff(7, 10, 40, DBX__RETRY_FLOOR_MS, DBX__RETRY_FLOOR_MS);
}

/* Retry-After is a floor under the backoff: "0" and past dates change
 * nothing, a long one wins. */
static void retry_after_is_a_floor(void **state)
{
    (void)state;
    for (int i = 0; i < 200; i++) {
        long d = dbx__retry_delay_ms(1, 1000, 10000, 0);
        assert_true(d >= 500 && d <= 1000);
        d = dbx__retry_delay_ms(1, 1, 1, 0);
        assert_int_equal(d, DBX__RETRY_FLOOR_MS);
        d = dbx__retry_delay_ms(2, 1000, 10000, -1);
        assert_true(d >= 1000 && d <= 2000);
        assert_int_equal(dbx__retry_delay_ms(1, 1000, 10000, 30000), 30000);
    }
}

static void transient_messages(void **state)
{
    (void)state;
    const char *yes[] = {
        "com.databricks.backend.manager.util.UnknownWorkerEnvironmentException: env x",
        "Workspace 123 does not have any associated worker environments",
        "There is no worker environment with id abc",
        "Unknown worker environment: we-1",
        "ClusterNotReadyException: cluster 0101 is not ready",
        "java.lang.Exception: ClusterNotReadyException",
        "Timed out after 30 seconds",
        "rpc error: deadline exceeded",
        "worker env we-123 not found",
        "the worker env was not found in region",
    };
    const char *no[] = {
        "Cluster 0101 does not exist",
        "timed out after 30 seconds", /* patterns are case-sensitive, like the SDKs */
        "Timed out",
        "Deadline Exceeded",
        "not found",
        "worker env",
        "not found: worker env x",
        "ClusterNotReady",
        "Invalid parameter",
        "",
    };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (!dbx__is_transient_message(yes[i]))
            fail_msg("\"%s\" should be transient", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (dbx__is_transient_message(no[i]))
            fail_msg("\"%s\" should not be transient", no[i]);
    assert_false(dbx__is_transient_message(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(retry_after_seconds),
        cmocka_unit_test(retry_after_invalid),
        cmocka_unit_test(retry_after_capped),
        cmocka_unit_test(retry_after_overflowing_number),
        cmocka_unit_test(retry_after_http_date),
        cmocka_unit_test(retry_after_extreme_dates),
        cmocka_unit_test(backoff_bounds),
        cmocka_unit_test(retry_after_is_a_floor),
        cmocka_unit_test(transient_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
