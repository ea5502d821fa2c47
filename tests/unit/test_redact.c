/*
 * Unit tests for secret redaction in logs: names, headers, JSON / form /
 * text bodies, truncation. Every case asserts that the secret never shows.
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

#include "core/core.h"

#define R "**REDACTED**"

static int secret_name(const char *s) { return dbx__is_secret_name(s, strlen(s)); }

static void assert_absent(const char *out, const char *secret)
{
    if (out && strstr(out, secret))
        fail_msg("secret \"%s\" leaked in: %s", secret, out);
}

/* Redact a NUL-terminated body; the result lives in a static buffer (so a
 * failing assertion leaks nothing). */
static char *redact(const char *body, size_t max)
{
    static char out[8192];
    dbx__buf b = DBX__BUF_INIT;
    dbx__redact_body(&b, body, strlen(body), max);
    snprintf(out, sizeof out, "%s", b.ptr ? b.ptr : "");
    dbx__buf_dispose(&b);
    return out;
}

/* Same for headers. */
static const char *redact_hdr(const char *name, const char *value)
{
    static char out[1024];
    dbx__buf b = DBX__BUF_INIT;
    dbx__redact_header(&b, name, value);
    snprintf(out, sizeof out, "%s", b.ptr ? b.ptr : "");
    dbx__buf_dispose(&b);
    return out;
}

static void secret_names(void **state)
{
    (void)state;
    const char *secret[] = {"token", "client_secret", "password", "Authorization", "authorization",
                            "AUTHORIZATION", "access_token", "refresh_token", "id_token",
                            "Access_Token", "api_key", "X-Databricks-Azure-SP-Management-Token",
                            "Cookie", "Set-Cookie", "private_key", "azure_client_secret",
                            "client_assertion", "passwd"};
    const char *not_secret[] = {"page_token", "next_page_token", "prev_page_token", "token_type",
                                "idempotency_token", "Content-Type", "User-Agent", "cluster_id",
                                "host", "grant_type", "scope", "message", "error_code",
                                "x-request-id", "token_id", "expires_in", ""};
    for (size_t i = 0; i < sizeof secret / sizeof *secret; i++)
        if (!secret_name(secret[i]))
            fail_msg("\"%s\" should be secret", secret[i]);
    for (size_t i = 0; i < sizeof not_secret / sizeof *not_secret; i++)
        if (secret_name(not_secret[i]))
            fail_msg("\"%s\" should not be secret", not_secret[i]);
    /* the length is honoured: only the first `len` bytes are the name */
    assert_false(dbx__is_secret_name("scopetoken", 5));
    assert_true(dbx__is_secret_name("token_typeXYZ", 5));
    assert_false(dbx__is_secret_name("page_token=abc", 10));
}

static void header_redaction(void **state)
{
    (void)state;
    dbx__buf b = DBX__BUF_INIT;
    dbx__redact_header(&b, "Authorization", "Bearer abc");
    assert_string_equal(b.ptr, "Authorization: Bearer " R);
    assert_absent(b.ptr, "abc");
    dbx__buf_clear(&b);

    dbx__redact_header(&b, "authorization", "Basic ZW11LWNsaWVudDplbXUtc2VjcmV0");
    assert_string_equal(b.ptr, "authorization: Basic " R);
    assert_absent(b.ptr, "ZW11LWNsaWVudDplbXUtc2VjcmV0");
    dbx__buf_clear(&b);

    /* no scheme: everything goes */
    dbx__redact_header(&b, "X-Databricks-Azure-SP-Management-Token", "eyJhbGciOiJSUzI1NiJ9.payload");
    assert_string_equal(b.ptr, "X-Databricks-Azure-SP-Management-Token: " R);
    assert_absent(b.ptr, "eyJhbGci");
    dbx__buf_clear(&b);

    /* a long first word is not a scheme */
    dbx__redact_header(&b, "Authorization", "dapiVERYLONGSECRETVALUE0123456789 extra");
    assert_absent(b.ptr, "dapiVERYLONGSECRETVALUE");
    dbx__buf_clear(&b);

    /* non-secret headers are kept verbatim */
    dbx__redact_header(&b, "Content-Type", "application/json");
    assert_string_equal(b.ptr, "Content-Type: application/json");
    dbx__buf_clear(&b);

    dbx__redact_header(&b, "Authorization", NULL);
    assert_string_equal(b.ptr, "Authorization: " R);
    dbx__buf_dispose(&b);
}

static void cookie_header_redaction(void **state)
{
    (void)state;
    /* cookie values have no auth scheme: the first cookie must not be kept */
    assert_absent(redact_hdr("Cookie", "sid=verylongcookievalue0123456789; theme=dark"), "verylongcookievalue");
    assert_absent(redact_hdr("Cookie", "sid=C00KSEC; theme=dark"), "C00KSEC");
    assert_absent(redact_hdr("Set-Cookie", "s=C00KSEC; Path=/; HttpOnly"), "C00KSEC");
    /* any secret header whose value merely contains a space */
    assert_absent(redact_hdr("X-Api-Key", "K3YSEC tail"), "K3YSEC");
}

static void json_flat_and_nested(void **state)
{
    (void)state;
    char *o = redact("{\"access_token\":\"eyJSECRET1\",\"token_type\":\"Bearer\",\"expires_in\":3600}", 4096);
    assert_string_equal(o, "{\"access_token\":\"" R "\",\"token_type\":\"Bearer\",\"expires_in\":3600}");
    assert_absent(o, "eyJSECRET1");

    o = redact("{\"a\":{\"b\":{\"client_secret\":\"DEEPSECRET\",\"name\":\"n\"}},\"next_page_token\":\"PAGE1\"}",
               4096);
    assert_string_equal(o, "{\"a\":{\"b\":{\"client_secret\":\"" R "\",\"name\":\"n\"}},\"next_page_token\":\"PAGE1\"}");
    assert_absent(o, "DEEPSECRET");

    /* arrays of objects */
    o = redact("[{\"token\":\"ARRSECRET1\"},{\"password\":\"ARRSECRET2\",\"user\":\"u\"}]", 4096);
    assert_string_equal(o, "[{\"token\":\"" R "\"},{\"password\":\"" R "\",\"user\":\"u\"}]");
    assert_absent(o, "ARRSECRET1");
    assert_absent(o, "ARRSECRET2");

    o = redact("{\"items\":[1,2,{\"refresh_token\":\"RTSECRET\"}],\"n\":[\"token\",\"x\"]}", 4096);
    assert_absent(o, "RTSECRET");
    assert_non_null(strstr(o, "[\"token\",\"x\"]")); /* "token" as a value is not a key */
}

static void json_secret_array_value(void **state)
{
    (void)state;
    /* a secret-named key whose value is an array or an object */
    char *o = redact("{\"tokens\":[\"ARRVALSECRET\"],\"ok\":1}", 4096);
    assert_absent(o, "ARRVALSECRET");
    o = redact("{\"client_secret\":{\"value\":\"OBJVALSECRET\"}}", 4096);
    assert_absent(o, "OBJVALSECRET");
}

static void json_scalars_and_escapes(void **state)
{
    (void)state;
    /* numbers, booleans, null as secret values */
    char *o = redact("{\"password\":12345678,\"pin_secret\":-42.5e3,\"api_key\":true,\"token\":null}", 4096);
    assert_string_equal(o, "{\"password\":\"" R "\",\"pin_secret\":\"" R "\",\"api_key\":\"" R "\",\"token\":\"" R "\"}");
    assert_absent(o, "12345678");
    assert_absent(o, "42.5");

    /* escaped quotes inside strings (values and keys) */
    o = redact("{\"note\":\"say \\\"hi\\\": token\",\"token\":\"ab\\\"ESCSECRET\\\"cd\",\"x\":\"y\"}", 4096);
    assert_string_equal(o, "{\"note\":\"say \\\"hi\\\": token\",\"token\":\"" R "\",\"x\":\"y\"}");
    assert_absent(o, "ESCSECRET");
    o = redact("{\"my\\\"token\":\"KEYESCSECRET\"}", 4096);
    assert_absent(o, "KEYESCSECRET");
    o = redact("{\"token\":\"BACKSLASHSECRET\\\\\",\"b\":\"visible\"}", 4096);
    assert_string_equal(o, "{\"token\":\"" R "\",\"b\":\"visible\"}");

    /* whitespace around colons, pretty printed */
    o = redact("{\n  \"client_secret\"  :  \"WSSECRET\",\n  \"password\"\t:\n 998877 ,\n  \"a\" : \"b\"\n}", 4096);
    assert_absent(o, "WSSECRET");
    assert_absent(o, "998877");
    assert_non_null(strstr(o, "\"a\" : \"b\""));

    /* leading whitespace before the JSON */
    o = redact("  \n{\"token\":\"LEADSECRET\"}", 4096);
    assert_absent(o, "LEADSECRET");
}

static void json_truncated_or_invalid(void **state)
{
    (void)state;
    const char *cases[] = {
        "{\"token\":\"TRUNCSECRET",               /* cut inside the value */
        "{\"a\":1,\"access_token\": \"TRUNCSECRET", /* after whitespace */
        "{\"password\":TRUNCSECRET",             /* unquoted literal, cut */
        "{\"token\":\"TRUNCSECRET\\",            /* cut after a backslash */
        "{\"x\":[1,2,{\"token\":\"TRUNCSECRET\"", /* nested, cut */
        "{\"token\":\"TRUNCSECRET\" garbage ]]] {{",
        "[\"a\", {\"client_secret\" : TRUNCSECRET}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *o = redact(cases[i], 4096);
        assert_absent(o, "TRUNCSECRET");
        assert_non_null(strstr(o, R));
    }
    /* truncated with an explicit length shorter than the text */
    const char *full = "{\"token\":\"LENSECRET\",\"b\":2}";
    dbx__buf b = DBX__BUF_INIT;
    dbx__redact_body(&b, full, 14, 4096); /* {"token":"LENS */
    assert_absent(b.ptr, "LENS");
    dbx__buf_dispose(&b);
}

static void form_bodies(void **state)
{
    (void)state;
    char *o = redact("grant_type=client_credentials&client_secret=s3cr3t&scope=all-apis", 4096);
    assert_string_equal(o, "grant_type=client_credentials&client_secret=" R "&scope=all-apis");
    assert_absent(o, "s3cr3t");

    o = redact("client_id=abc&client_secret=FORMSECRET&resource=2ff814a6", 4096);
    assert_string_equal(o, "client_id=abc&client_secret=" R "&resource=2ff814a6");

    /* query strings: page_token kept, token and signatures gone */
    o = redact("page_token=PAGEVISIBLE&token=QSECRET&X-Amz-Signature=SIGSECRET&x=1", 4096);
    assert_string_equal(o, "page_token=PAGEVISIBLE&token=" R "&X-Amz-Signature=" R "&x=1");

    /* empty pairs, trailing '&', key without value */
    o = redact("a=1&&password=PWSECRET&flag&", 4096);
    assert_string_equal(o, "a=1&&password=" R "&flag&");

    /* value containing '=' */
    o = redact("token=abc==SECRETB64==&z=9", 4096);
    assert_string_equal(o, "token=" R "&z=9");
    assert_absent(o, "SECRETB64");
}

static void form_body_trailing_newline(void **state)
{
    (void)state;
    char *o = redact("grant_type=client_credentials&client_secret=NLSECRET\n", 4096);
    assert_absent(o, "NLSECRET");
}

static void plain_text(void **state)
{
    (void)state;
    char *o = redact("Service temporarily unavailable, try later.", 4096);
    assert_string_equal(o, "Service temporarily unavailable, try later.");
    o = redact("<html><body><pre>oops</pre></body></html>", 4096);
    assert_string_equal(o, "<html><body><pre>oops</pre></body></html>");
    /* empty / NULL body adds nothing */
    dbx__buf b = DBX__BUF_INIT;
    dbx__redact_body(&b, "", 0, 10);
    dbx__redact_body(&b, NULL, 5, 10);
    assert_int_equal(b.len, 0);
    dbx__buf_dispose(&b);
}

static void truncation(void **state)
{
    (void)state;
    /* plain text longer than max */
    char *o = redact("0123456789abcdefghij", 10);
    assert_string_equal(o, "0123456789...(20 bytes)");
    /* exactly max: untouched */
    o = redact("0123456789", 10);
    assert_string_equal(o, "0123456789");

    /* JSON: redaction happens before truncation; N is the original length */
    const char *json = "{\"token\":\"TRSECRETTRSECRETTRSECRET\",\"cluster_id\":\"0101-abc\"}";
    size_t len = strlen(json);
    for (size_t max = 0; max < len + 10; max++) {
        o = redact(json, max);
        assert_absent(o, "TRSECRET");
        assert_absent(o, "TRSEC");
    }
    o = redact(json, 20);
    char want[128];
    snprintf(want, sizeof want, "{\"token\":\"**REDACTED...(%zu bytes)", len);
    assert_string_equal(o, want);

    /* form */
    o = redact("client_secret=FTSECRET&scope=all-apis", 16);
    assert_absent(o, "FTSECRET");
    assert_string_equal(o, "client_secret=**...(37 bytes)");

    /* appends to what the buffer holds */
    dbx__buf b = DBX__BUF_INIT;
    dbx__buf_puts(&b, "> ");
    dbx__redact_body(&b, "{\"password\":\"APPSECRET\"}", 24, 2048);
    assert_string_equal(b.ptr, "> {\"password\":\"" R "\"}");
    dbx__buf_dispose(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(secret_names),
        cmocka_unit_test(header_redaction),
        cmocka_unit_test(cookie_header_redaction),
        cmocka_unit_test(json_flat_and_nested),
        cmocka_unit_test(json_secret_array_value),
        cmocka_unit_test(json_scalars_and_escapes),
        cmocka_unit_test(json_truncated_or_invalid),
        cmocka_unit_test(form_bodies),
        cmocka_unit_test(form_body_trailing_newline),
        cmocka_unit_test(plain_text),
        cmocka_unit_test(truncation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
