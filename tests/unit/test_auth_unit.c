/*
 * Unit tests for the auth layer's pure functions: the URL predicates that
 * decide where secrets may be sent (run under ASan: no read past the
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
        cmocka_unit_test(url_loopback),
        cmocka_unit_test(url_secure),
        cmocka_unit_test(url_never_reads_past_the_string),
    };
    return cmocka_run_group_tests_name("auth_unit", tests, NULL, NULL);
}
