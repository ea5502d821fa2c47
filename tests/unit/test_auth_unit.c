/*
 * Unit tests for the auth layer's pure functions: a token's lifetime from
 * hostile expires_in / expires_on values (run under UBSan by
 * .ci/test --sanitize: no overflow for any int64), and the URL predicates
 * that decide where secrets may be sent (run under ASan: no read past the
 * string, for every truncation of every case).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

#define YEAR_MS (366LL * 24 * 3600 * 1000) /* the longest lifetime believed */
#define HOUR_MS (3600LL * 1000)
/* 2023-11-14T22:13:20Z */
#define NOW_S 1700000000LL
#define NOW_MS (NOW_S * 1000)

#define assert_ttl(in, on, now, want)                                                                  \
    do {                                                                                               \
        int64_t got_ = dbx__token_ttl_ms((in), (on), (now));                                           \
        if (got_ != (int64_t)(want))                                                                   \
            fail_msg("dbx__token_ttl_ms(%s, %s, %s) = %lld, want %lld", #in, #on, #now, (long long)got_, \
                     (long long)(want));                                                               \
    } while (0)

/* ---- token lifetime ------------------------------------------------------------------ */

static void ttl_expires_in(void **state)
{
    (void)state;
    assert_ttl(3600, -1, NOW_MS, HOUR_MS);
    assert_ttl(1, -1, NOW_MS, 1000);
    assert_ttl(0, -1, NOW_MS, 0);
    /* expires_in wins over expires_on */
    assert_ttl(600, NOW_S + 60, NOW_MS, 600000);
    /* a year is the most believed */
    assert_ttl(YEAR_MS / 1000, -1, NOW_MS, YEAR_MS);
    assert_ttl(YEAR_MS / 1000 + 1, -1, NOW_MS, YEAR_MS);
    assert_ttl(9300000000000000LL, -1, NOW_MS, YEAR_MS); /* 9.3e15 s: * 1000 overflows int64 */
    assert_ttl(INT64_MAX / 1000, -1, NOW_MS, YEAR_MS);
    assert_ttl(INT64_MAX / 1000 + 1, -1, NOW_MS, YEAR_MS);
    assert_ttl(INT64_MAX, -1, NOW_MS, YEAR_MS);
    assert_ttl(INT64_MAX, INT64_MAX, INT64_MIN, YEAR_MS);
}

static void ttl_missing_or_negative(void **state)
{
    (void)state;
    assert_ttl(-1, -1, NOW_MS, HOUR_MS);
    assert_ttl(-5, 0, NOW_MS, HOUR_MS);
    assert_ttl(INT64_MIN, INT64_MIN, NOW_MS, HOUR_MS);
    assert_ttl(INT64_MIN, -1, INT64_MIN, HOUR_MS);
    assert_ttl(-1, -1, INT64_MAX, HOUR_MS);
}

static void ttl_expires_on(void **state)
{
    (void)state;
    assert_ttl(-1, NOW_S + 600, NOW_MS, 600000);
    assert_ttl(-1, NOW_S + 600, NOW_MS + 999, 600000); /* whole seconds */
    /* in the past, or now: expired */
    assert_ttl(-1, NOW_S, NOW_MS, 0);
    assert_ttl(-1, NOW_S - 1, NOW_MS, 0);
    assert_ttl(-1, 1, NOW_MS, 0);
    assert_ttl(-1, 1, INT64_MAX, 0);
    /* far future */
    assert_ttl(-1, NOW_S + YEAR_MS / 1000, NOW_MS, YEAR_MS);
    assert_ttl(-1, 9300000000000000LL, NOW_MS, YEAR_MS);
    assert_ttl(-1, INT64_MAX / 1000 + 1, NOW_MS, YEAR_MS);
    assert_ttl(-1, INT64_MAX, NOW_MS, YEAR_MS);
    /* a wall clock before the epoch (or garbage) counts as the epoch */
    assert_ttl(-1, INT64_MAX, -1, YEAR_MS);
    assert_ttl(-1, INT64_MAX, INT64_MIN, YEAR_MS);
    assert_ttl(-1, 600, INT64_MIN, 600000);
}

/* Every combination of edge values: defined (UBSan) and within 0 .. a year. */
static void ttl_total(void **state)
{
    (void)state;
    static const int64_t v[] = {INT64_MIN, INT64_MIN + 1, -9300000000000000LL, -NOW_MS, -1001, -1000, -999,
                                -1, 0, 1, 999, 1000, 1001, 3600, NOW_S, NOW_MS, YEAR_MS, 9300000000000000LL,
                                INT64_MAX / 1000, INT64_MAX / 1000 + 1, INT64_MAX - 1, INT64_MAX};
    const size_t n = sizeof v / sizeof *v;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            for (size_t k = 0; k < n; k++) {
                int64_t t = dbx__token_ttl_ms(v[i], v[j], v[k]);
                if (t < 0 || t > YEAR_MS)
                    fail_msg("dbx__token_ttl_ms(%lld, %lld, %lld) = %lld", (long long)v[i], (long long)v[j],
                             (long long)v[k], (long long)t);
            }
}

/* ---- URLs ------------------------------------------------------------------------------- */

static const char *const loopback[] = {
    "http://127.0.0.1",
    "http://127.0.0.1/",
    "http://127.0.0.1:8080/oidc/v1/token",
    "http://127.0.0.1:/",
    "http://127.1.2.3/x",
    "http://127.255.255.255?q=1",
    "http://localhost",
    "http://localhost#frag",
    "HTTP://LOCALHOST:1/",
    "http://LocalHost:65535/a/b",
    "http://user:pw@127.0.0.1:5/p",
    "http://user@localhost/",
    "http://[::1]",
    "http://[::1]:8443/x",
    "http://user@[::1]:1/",
    "https://[0:0:0:0:0:0:0:1]/",
    "http://[::ffff:127.0.0.1]/",
    "https://127.0.0.1/",
};

static const char *const not_loopback[] = {
    "",
    "h",
    "http",
    "http:",
    "http:/",
    "http://",
    "http:///x",
    "http:/127.0.0.1",
    "127.0.0.1",
    "//127.0.0.1/",
    "ftp://127.0.0.1/",
    "file://localhost/etc/passwd",
    "httpx://127.0.0.1/",
    "http://128.0.0.1/",
    "http://126.255.255.255/",
    "http://0.0.0.0/",
    "http://10.255.255.1/oidc/v1/token",
    "http://example.com/",
    "http://127.0.0.1.example.com/",
    "http://localhost.example.com/",
    "http://localhost./",
    "http://localhostx/",
    "http://xlocalhost/",
    "http://127.0.0.1@example.com/",
    "http://localhost:1@example.com/",
    "http://a@b@127.0.0.1/",
    "http://example.com\\@127.0.0.1/",
    "http://127.0.0.1\\@example.com/",
    "http://127.0.0.1\\",
    "http://127.0.0.1 /",
    "http://127.0.0.1%2f@example.com/",
    "http://127.0.0.1\t/",
    "http://[::1",
    "http://[::1]x/",
    "http://[::1]:80x/",
    "http://[::2]/",
    "http://[::]/",
    "http://[fe80::1%25lo]/",
    "http://[127.0.0.1]/",
    "http://::1/",
    "http://127.1/",
    "http://127.0.1/",
    "http://0x7f.0.0.1/",
    "http://0177.0.0.1/",
    "http://2130706433/",
    "http://127.0.0.1.1/",
    "http://127.0.0.256/",
    "http://127.0.0.1:80x/",
    "http://127.0.0.1:-1/",
    "http://127.0.0.1::80/",
    "http://localhost:port/",
    "http://@/",
    "http://:80/",
};

#define N(a) (sizeof(a) / sizeof *(a))

/* f(url) == want for every url of the list */
static void expect_all(int (*f)(const char *), const char *name, const char *const *urls, size_t n, int want)
{
    for (size_t i = 0; i < n; i++)
        if (f(urls[i]) != want)
            fail_msg("%s(\"%s\") != %d", name, urls[i], want);
}

static void url_loopback(void **state)
{
    (void)state;
    expect_all(dbx__url_is_loopback, "dbx__url_is_loopback", loopback, N(loopback), 1);
    expect_all(dbx__url_is_loopback, "dbx__url_is_loopback", not_loopback, N(not_loopback), 0);
    assert_int_equal(dbx__url_is_loopback(NULL), 0);

    /* a host name longer than any host */
    char big[400];
    snprintf(big, sizeof big, "http://%0300d/", 0);
    assert_int_equal(dbx__url_is_loopback(big), 0);
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "http://", 7);
    assert_int_equal(dbx__url_is_loopback(big), 0);
}

static void url_secure(void **state)
{
    (void)state;
    static const char *const yes[] = {"https://example.com/", "HTTPS://EXAMPLE.COM", "https://10.0.0.1:8443/x",
                                      "Https://a", "http://127.0.0.1:9/t", "HTTP://[::1]/",
                                      "http://localhost/oidc/v1/token"};
    static const char *const no[] = {"", "https", "https:/x", "http://example.com/", "http://10.255.255.1/t",
                                     "http://0.0.0.0:1/", "HTTP://EXAMPLE.COM", "ftp://example.com/",
                                     "httpsx://example.com/", " https://example.com/",
                                     "http://127.0.0.1@example.com/"};
    expect_all(dbx__url_secure, "dbx__url_secure", yes, N(yes), 1);
    expect_all(dbx__url_secure, "dbx__url_secure", no, N(no), 0);
    assert_int_equal(dbx__url_secure(NULL), 0);
    /* secure = https, or loopback over http */
    expect_all(dbx__url_secure, "dbx__url_secure", loopback, N(loopback), 1);
}

/* Every prefix of every case in an allocation of its exact size: ASan
 * reports any read past the NUL. */
static void url_never_reads_past_the_string(void **state)
{
    (void)state;
    const char *const *lists[] = {loopback, not_loopback};
    const size_t counts[] = {N(loopback), N(not_loopback)};
    for (size_t l = 0; l < 2; l++)
        for (size_t i = 0; i < counts[l]; i++) {
            size_t len = strlen(lists[l][i]);
            for (size_t n = 0; n <= len; n++) {
                char *s = malloc(n + 1);
                assert_non_null(s);
                memcpy(s, lists[l][i], n);
                s[n] = '\0';
                int lb = dbx__url_is_loopback(s), sec = dbx__url_secure(s);
                assert_true(lb == 0 || lb == 1);
                assert_true(sec == 0 || sec == 1);
                assert_true(!lb || sec);
                free(s);
            }
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ttl_expires_in),
        cmocka_unit_test(ttl_missing_or_negative),
        cmocka_unit_test(ttl_expires_on),
        cmocka_unit_test(ttl_total),
        cmocka_unit_test(url_loopback),
        cmocka_unit_test(url_secure),
        cmocka_unit_test(url_never_reads_past_the_string),
    };
    return cmocka_run_group_tests_name("auth_unit", tests, NULL, NULL);
}
