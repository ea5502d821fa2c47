/*
 * Unit tests for secret redaction in logs and error messages: names,
 * headers, JSON / form / text bodies, query strings, presigned URLs,
 * truncation, hostile input. Every case asserts that the secret never shows.
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

/* Redact with one of the functions under test; the result lives in a
 * static buffer per function (so a failing assertion leaks nothing). */
enum { BODY, QUERY, TEXT, HEADER };

static char *run(int fn, const char *a, const char *b, size_t max)
{
    static char out[4][8192];
    dbx__buf buf = DBX__BUF_INIT;
    switch (fn) {
    case BODY: dbx__redact_body(&buf, a, strlen(a), max); break;
    case QUERY: dbx__redact_query(&buf, a, strlen(a)); break;
    case TEXT: dbx__redact_text(&buf, a, strlen(a)); break;
    default: dbx__redact_header(&buf, a, b); break;
    }
    snprintf(out[fn], sizeof out[fn], "%s", buf.ptr ? buf.ptr : "");
    dbx__buf_dispose(&buf);
    return out[fn];
}

static char *redact(const char *body, size_t max) { return run(BODY, body, NULL, max); }
static char *redact_q(const char *query) { return run(QUERY, query, NULL, 0); }
static char *redact_t(const char *text) { return run(TEXT, text, NULL, 0); }
static const char *redact_hdr(const char *name, const char *value) { return run(HEADER, name, value, 0); }

static const char *fail_message(const char *text)
{
    dbx__fail(NULL, DBX_ERROR, "request failed: %s", text);
    return dbx__error_current()->message;
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
        "{\"a\": \"token\": \"TRUNCSECRET\"}",       /* a key where a value was expected */
        "{\"http_headers\": {\"k\": [\"TRUNCSECRET\"", /* cut inside a headers object */
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

    /* query strings: page_token kept, token gone; a presigned URL's query
     * goes whole (see presigned_queries) */
    o = redact("page_token=PAGEVISIBLE&token=QSECRET&x=1", 4096);
    assert_string_equal(o, "page_token=PAGEVISIBLE&token=" R "&x=1");
    o = redact("page_token=PAGEVISIBLE&token=QSECRET&X-Amz-Signature=SIGSECRET&x=1", 4096);
    assert_string_equal(o, R);

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


/* ---- gaps closed by decoding names and scrubbing text ------------------------ */

static void query_azure_sas(void **state)
{
    (void)state;
    /* an Azure SAS: the whole query goes (sv, se, sr, sp with sig) */
    const char *q = "sv=2021-08-06&se=2024-01-01T00%3A00%3A00Z&sr=b&sp=r&sig=AZSIGSECRET%2Bx%3D";
    assert_string_equal(redact_q(q), R);
    /* sig alone, or first */
    assert_string_equal(redact_q("sig=AZSIGSECRET"), R);
    assert_string_equal(redact_q("sig=AZSIGSECRET&comp=block&blockid=MDAx"), R);
    /* SAS parameters on their own are presigned-URL parameters too */
    assert_string_equal(redact_q("comp=list&sv=2021-08-06&se=2024"), R);
    /* the same through the body path (form data) */
    assert_absent(redact(q, 4096), "AZSIGSECRET");
}

static void query_any_characters(void **state)
{
    (void)state;
    /* a query is k=v&k=v whatever it holds: quotes, braces, blanks */
    assert_string_equal(redact_q("filter={\"a\": 1}&token=QRAWSECRET1&x=y"), "filter={\"a\": 1}&token=" R "&x=y");
    assert_string_equal(redact_q("q=a b c&password=QRAW SECRET2&z=\""), "q=a b c&password=" R "&z=\"");
    assert_string_equal(redact_q("{{{&client_secret=QRAWSECRET3"), "{{{&client_secret=" R);
    char *o = redact_q("  token=QRAWSECRET4\n&a=1");
    assert_absent(o, "QRAWSECRET4");
    /* empty pairs, names without values, values with '=' */
    assert_string_equal(redact_q("a=1&&flag&token=x==y&b="), "a=1&&flag&token=" R "&b=");
    /* nothing to redact: unchanged; empty and NULL add nothing */
    assert_string_equal(redact_q("page_token=abc&max_results=10"), "page_token=abc&max_results=10");
    dbx__buf b = DBX__BUF_INIT;
    dbx__redact_query(&b, "", 0);
    dbx__redact_query(&b, NULL, 3);
    assert_int_equal(b.len, 0);
    dbx__buf_dispose(&b);
}

static void json_keys_decoded(void **state)
{
    (void)state;
    char *o = redact("{\"access_tok\\u0065n\":\"ESCKEYSECRET1\",\"a\":1}", 4096);
    assert_string_equal(o, "{\"access_tok\\u0065n\":\"" R "\",\"a\":1}");
    o = redact("{\"\\u0074\\u006F\\u006B\\u0065\\u006E\":\"ESCKEYSECRET2\"}", 4096);
    assert_absent(o, "ESCKEYSECRET2");
    o = redact("{\"client_\\u0053ECRET\":{\"v\":\"ESCKEYSECRET3\"},\"b\":[1]}", 4096);
    assert_absent(o, "ESCKEYSECRET3");
    assert_non_null(strstr(o, "\"b\":[1]"));
    o = redact("{\"pass\\/word\":12345,\"pass\\u0077ord\":67890}", 4096);
    assert_absent(o, "67890");
    /* a surrogate pair or a bad escape in a key does not hide the rest of it */
    o = redact("{\"\\ud83d\\ude00_token\":\"ESCKEYSECRET4\",\"\\uZZZZ_secret\":\"ESCKEYSECRET5\"}", 4096);
    assert_absent(o, "ESCKEYSECRET4");
    assert_absent(o, "ESCKEYSECRET5");
}

static void param_names_decoded(void **state)
{
    (void)state;
    /* percent-encoding and '+' in query and form names */
    assert_string_equal(redact_q("client%5Fsecret=PCTSECRET1&x=1"), "client%5Fsecret=" R "&x=1");
    assert_absent(redact_q("%70assword=PCTSECRET2"), "PCTSECRET2");
    assert_absent(redact_q("refresh+token=PCTSECRET3"), "PCTSECRET3");
    assert_absent(redact("grant_type=x&client%5fassertion=PCTSECRET4", 4096), "PCTSECRET4");
    /* a presigned parameter spelled with escapes still makes the query presigned */
    assert_string_equal(redact_q("a=1&%73ig=PCTSECRET5"), R);
    assert_string_equal(redact_q("X%2DAmz%2DSignature=PCTSECRET6&b=2"), R);
}

static void presigned_queries(void **state)
{
    (void)state;
    /* AWS SigV4: every parameter goes, X-Amz-Date and X-Amz-Expires too */
    const char *aws = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20240101%2Fus-east-1"
                      "%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=900"
                      "&X-Amz-Security-Token=AWSSESSIONSECRET&X-Amz-SignedHeaders=host"
                      "&X-Amz-Signature=AWSSIGSECRET";
    assert_string_equal(redact_q(aws), R);
    /* AWS V2 and CloudFront */
    assert_string_equal(redact_q("AWSAccessKeyId=AKIAEXAMPLE&Expires=1700000000&Signature=V2SIGSECRET"), R);
    assert_string_equal(redact_q("Expires=1&Key-Pair-Id=K2JCJMDEHXQW5F&Signature=CFSIGSECRET"), R);
    /* GCS V4 and V2 */
    assert_string_equal(redact_q("X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=sa%40p.iam&X-Goog-Date=1"
                                 "&X-Goog-Signature=GCSSIGSECRET"),
                        R);
    assert_string_equal(redact_q("GoogleAccessId=sa@p.iam&Expires=1&Signature=GCSV2SECRET"), R);
}

static void presigned_urls_in_json(void **state)
{
    (void)state;
    /* Files API create-download-url */
    char *o = redact("{\"url\":\"https://bucket.s3.us-west-2.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                     "&X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=JSONURLSECRET1\",\"expires_at\":1}",
                     4096);
    assert_string_equal(o, "{\"url\":\"https://bucket.s3.us-west-2.amazonaws.com/k?" R "\",\"expires_at\":1}");
    /* SQL external link, Azure SAS, '&' escaped as \u0026 (Go's encoder does this) */
    o = redact("{\"external_links\":[{\"chunk_index\":0,\"external_link\":\"https://a.blob.core.windows.net/c/f"
               "?sv=2021\\u0026se=2024\\u0026sr=b\\u0026sp=r\\u0026sig=JSONURLSECRET2\"}]}",
               4096);
    assert_absent(o, "JSONURLSECRET2");
    assert_non_null(strstr(o, "\"external_link\":\"https://a.blob.core.windows.net/c/f?" R "\""));
    /* a URL in a message, a key, an array, pretty printed; escaped names */
    o = redact("{\"message\": \"upload to https://b.storage.googleapis.com/o?X-Goog-Signature=JSONURLSECRET3 "
               "failed\",\n \"https://x/y?sig=JSONURLSECRET4\": 1, \"l\": [\"https://x?s\\u0069g=JSONURLSECRET5\"]}",
               4096);
    assert_absent(o, "JSONURLSECRET3");
    assert_absent(o, "JSONURLSECRET4");
    assert_absent(o, "JSONURLSECRET5");
    assert_non_null(strstr(o, "failed\""));
    /* not valid JSON: a bare URL as a value */
    assert_absent(redact("{\"a\": https://x?sig=JSONURLSECRET6}", 4096), "JSONURLSECRET6");
}

static void presigned_urls_in_text(void **state)
{
    (void)state;
    char *o = redact("Service unavailable: see https://x/y?sv=1&sig=TEXTURLSECRET1 for details", 4096);
    assert_string_equal(o, "Service unavailable: see https://x/y?" R " for details");
    o = redact_t("GET https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA&X-Amz-Signature=TEXTURLSECRET2, retrying");
    assert_absent(o, "TEXTURLSECRET2");
    assert_non_null(strstr(o, "https://b.s3.amazonaws.com/k?" R));
    /* a presigned URL as a redirect target in a header */
    assert_string_equal(redact_hdr("Location", "https://b.s3.amazonaws.com/k?X-Amz-Signature=TEXTURLSECRET3"),
                        "Location: https://b.s3.amazonaws.com/k?" R);
    /* a credential parameter without the '?' (a cut URL) */
    assert_absent(redact_t("...&X-Amz-Signature=TEXTURLSECRET4&X-Amz-Date=1"), "TEXTURLSECRET4");
    assert_absent(redact_t("cut: sig=TEXTURLSECRET5"), "TEXTURLSECRET5");
}

static void encoded_urls_in_values(void **state)
{
    (void)state;
    /* a presigned URL passed, percent-encoded, as a parameter value */
    assert_string_equal(redact_q("next=https%3A%2F%2Fb.s3.amazonaws.com%2Fk%3FX-Amz-Signature%3DNESTEDSECRET1&x=1"), "next=" R "&x=1");
    /* encoded twice */
    assert_string_equal(redact_q("next=https%253A%252F%252Fb%252Fk%253Fsig%253DNESTEDSECRET2&x=1"), "next=" R "&x=1");
    /* in free text and in a form body */
    assert_absent(redact_t("redirect_uri=https%3A%2F%2Fh%2Fp%3Fsig%3DNESTEDSECRET3 rest"), "NESTEDSECRET3");
    assert_absent(redact("state=x&target=https%3A%2F%2Fh%3Ftoken%3DNESTEDSECRET4", 4096), "NESTEDSECRET4");
    /* a plain encoded URL is kept */
    assert_string_equal(redact_q("next=https%3A%2F%2Fh%2Fp%3Fpage%3D2"), "next=https%3A%2F%2Fh%2Fp%3Fpage%3D2");
}

static void error_messages_scrubbed(void **state)
{
    (void)state;
    const char *m = fail_message("PUT https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA&X-Amz-Signature=ERRSECRET1");
    assert_absent(m, "ERRSECRET1");
    assert_string_equal(m, "request failed: PUT https://b.s3.amazonaws.com/k?" R);
    m = fail_message("invalid token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.ERRSECRET2 (Authorization: Bearer dapiERRSECRET3)");
    assert_absent(m, "ERRSECRET2");
    assert_absent(m, "ERRSECRET3");
    m = fail_message("body was {\"client_secret\": \"ERRSECRET4\", \"grant_type\": \"x\"}");
    assert_absent(m, "ERRSECRET4");
    m = fail_message("Personal access token dapi0123456789abcdef0123456789abcdef is expired");
    assert_absent(m, "dapi0123456789abcdef");
    assert_string_equal(m, "request failed: Personal access token " R " is expired");
    /* scrubbed before it is cut to the record's size: a URL straddling
     * the cut does not leave its credential behind */
    char big[1100];
    memset(big, 'a', sizeof big);
    snprintf(big + 980, sizeof big - 980, " https://h/k?X-Amz-Date=1&X-Amz-Signature=ERRSECRET5");
    m = fail_message(big);
    assert_absent(m, "ERRSECRET5");
    assert_absent(m, "ERRSEC");
    /* a prefix added later keeps the message scrubbed */
    fail_message("see https://h/k?sig=ERRSECRET6");
    dbx__error_prefix("waiting for %s", "https://h/x?sig=ERRSECRET7");
    m = dbx__error_current()->message;
    assert_absent(m, "ERRSECRET6");
    assert_absent(m, "ERRSECRET7");
    assert_string_equal(m, "waiting for https://h/x?" R " request failed: see https://h/k?" R);
    /* ordinary messages are untouched */
    assert_string_equal(fail_message("Cluster 0101-abc does not exist"), "request failed: Cluster 0101-abc does not exist");
}

static void always_redact_list(void **state)
{
    (void)state;
    /* headers */
    assert_string_equal(redact_hdr("Authorization", "Bearer dapiHDRSECRET1"), "Authorization: Bearer " R);
    assert_string_equal(redact_hdr("X-Databricks-GCP-SA-Access-Token", "ya29.HDRSECRET2"),
                        "X-Databricks-GCP-SA-Access-Token: " R);
    /* OAuth form fields */
    char *o = redact("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=FORMSECRET1"
                     "&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt&client_assertion=FORMSECRET2"
                     "&assertion=FORMSECRET3&refresh_token=FORMSECRET4&client_secret=FORMSECRET5",
                     4096);
    for (int k = 1; k <= 5; k++) {
        char secret[16];
        snprintf(secret, sizeof secret, "FORMSECRET%d", k);
        assert_absent(o, secret);
    }
    assert_non_null(strstr(o, "subject_token_type=urn%3Aietf")); /* a type, not a token */
    /* SQL external links' http_headers: header names kept, values gone */
    o = redact("{\"external_link\":\"https://x/y\",\"http_headers\":{\"x-ms-encryption-key\":\"HHSECRET1\","
               "\"x-amz-server-side-encryption-customer-key\":\"HHSECRET2\",\"n\":7}},\"next\":\"visible\"}",
               4096);
    assert_string_equal(o, "{\"external_link\":\"https://x/y\",\"http_headers\":{\"x-ms-encryption-key\":\"" R "\","
                           "\"x-amz-server-side-encryption-customer-key\":\"" R "\",\"n\":\"" R "\"}},"
                           "\"next\":\"visible\"}");
    /* Files API create-*-url headers: [{"name", "value"}] */
    o = redact("{\"url\":\"https://x/y\",\"headers\":[{\"name\":\"x-ms-encryption-key\",\"value\":\"HHSECRET3\"},"
               "{\"name\":\"x-ms-blob-type\",\"value\":\"BlockBlob\"}],\"z\":\"visible\"}",
               4096);
    assert_string_equal(o, "{\"url\":\"https://x/y\",\"headers\":[{\"name\":\"x-ms-encryption-key\",\"value\":\"" R
                           "\"},{\"name\":\"x-ms-blob-type\",\"value\":\"" R "\"}],\"z\":\"visible\"}");
    /* UC temporary credentials */
    const char *uc[] = {"aws_temp_credentials", "azure_user_delegation_sas", "gcp_oauth_token", "azure_aad",
                        "r2_temp_credentials", "sas_token", "session_token", "secret_access_key", "access_key_id",
                        "oauth_token", "aad_token"};
    for (size_t i = 0; i < sizeof uc / sizeof *uc; i++)
        if (!secret_name(uc[i]) && strcmp(uc[i], "azure_aad") != 0)
            fail_msg("\"%s\" should be secret", uc[i]);
    o = redact("{\"aws_temp_credentials\":{\"access_key_id\":\"AKIAUCSECRET\",\"secret_access_key\":\"UCSECRET2\","
               "\"session_token\":\"UCSECRET3\"},\"azure_user_delegation_sas\":{\"sas_token\":\"UCSECRET4\"},"
               "\"azure_aad\":{\"aad_token\":\"UCSECRET5\"},\"gcp_oauth_token\":{\"oauth_token\":\"UCSECRET6\"},"
               "\"expiration_time\":1700000000000}",
               4096);
    assert_absent(o, "UCSECRET");
    assert_non_null(strstr(o, "\"expiration_time\":1700000000000"));
}

static void tokens_in_text(void **state)
{
    (void)state;
    char *o = redact("{\"error\":\"invalid_token\",\"error_description\":\"token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0."
                     "TOKSECRET1 expired\"}",
                     4096);
    assert_string_equal(o, "{\"error\":\"invalid_token\",\"error_description\":\"token " R " expired\"}");
    o = redact_t("curl -H 'Authorization: Bearer TOKSECRET2' https://h");
    assert_absent(o, "TOKSECRET2");
    o = redact_t("Basic dXNlcjpUT0tTRUNSRVQz");
    assert_string_equal(o, "Basic " R);
    /* schemes in a row (found by fuzz_redact) */
    assert_string_equal(redact_t("Bearer  Basic TOKSECRET13 x"), "Bearer  Basic " R " x");
    /* JSON quoted inside a JSON string (stringified settings) */
    o = redact("{\"settings\":\"{\\\"token\\\": \\\"TOKSECRET4\\\", \\\"n\\\": 1}\"}", 4096);
    assert_string_equal(o, "{\"settings\":\"{\\\"token\\\": \\\"" R "\\\", \\\"n\\\": 1}\"}");
    /* "name": value in text, blanks and all */
    assert_absent(redact_t("got {\"password\"  :   \"TOKSECRET5\"}"), "TOKSECRET5");
    assert_absent(redact_t("\"api_key\": TOKSECRET6, next"), "TOKSECRET6");
    assert_absent(redact_t("\"credentials\": {\"k\": \"TOKSECRET7\"}"), "TOKSECRET7");
    /* a quoted key in text is recognised up to 128 bytes as written
     * (found by fuzz_redact: exactly 128 was one too many) */
    char key[200];
    for (int n = 126; n <= 128; n++) {
        snprintf(key, sizeof key, "{\"%0*d\\u0074oken\": \"TOKSECRET12\"}", n - 10, 0);
        assert_absent(redact_t(key), "TOKSECRET12");
    }
    /* name = value with blanks, and header lines echoed by a proxy */
    assert_string_equal(redact_t("password = TOKSECRET8, next"), "password = " R " next");
    assert_string_equal(redact_t("GET /x HTTP/1.1\r\nX-Api-Key: TOK SECRET9\r\nCookie: sid=TOKSECRET10; a=b\r\n"),
                        "GET /x HTTP/1.1\r\nX-Api-Key: " R "\r\nCookie: " R "\r\n");
    assert_absent(redact("<html><pre>X-Databricks-Azure-SP-Management-Token: TOKSECRET11</pre>", 4096), "TOKSECRET11");
}

static void false_positives(void **state)
{
    (void)state;
    const char *names[] = {"page_token", "next_page_token", "token_type", "signal", "design", "sig", "sv",
                           "max_tokens", "prompt_tokens", "completion_tokens", "total_tokens", "sasl_mechanism",
                           "subject_token_type", "client_assertion_type", "expiration_time"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (secret_name(names[i]))
            fail_msg("\"%s\" should not be secret", names[i]);
    /* a key named sig is only special as a query parameter */
    const char *j = "{\"sig\":\"kept\",\"signal\":\"SIGTERM\",\"design\":\"d\",\"page_token\":\"p\","
                    "\"token_type\":\"Bearer\",\"usage\":{\"prompt_tokens\":5,\"max_tokens\":9}}";
    assert_string_equal(redact(j, 4096), j);
    assert_string_equal(redact_q("signal=1&design=2&page_token=p&token_type=t"),
                        "signal=1&design=2&page_token=p&token_type=t");
    /* readable text stays readable */
    const char *t[] = {
        "Bearer token expired; Basic authentication is disabled",
        "Invalid request? Try again. x=1, y=2",
        "Invalid token: expired. a == b, token == x",
        "Content-Type: application/x-www-form-urlencoded; charset=utf-8",
        "https://h/api/2.1/jobs/list?page_token=CAEQ&limit=25",
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        assert_string_equal(redact_t(t[i]), t[i]);
    assert_string_equal(redact_hdr("WWW-Authenticate", "Bearer realm=\"dbx\", error=\"invalid_token\""),
                        "WWW-Authenticate: Bearer realm=\"dbx\", error=\"invalid_token\"");
    /* a JSON string without credentials keeps its escapes as written */
    j = "{\"m\":\"caf\\u00e9 \\\"q\\\" \\/ \\n\"}";
    assert_string_equal(redact(j, 4096), j);
    /* a scrubbed string with escapes is re-encoded as valid JSON */
    char *o = redact("{\"m\":\"\\u00e9\\t\\\"x\\\" https://h?sig=RESCSECRET\"}", 4096);
    assert_string_equal(o, "{\"m\":\"\xc3\xa9\\u0009\\\"x\\\" https://h?" R "\"}");
}

/* Every input of up to 3 bytes over the characters the scanners care about,
 * in a buffer of exactly its size: no read past the end (under ASan and
 * valgrind). Found by fuzz_redact: a quote as the last byte of free text. */
static void short_inputs(void **state)
{
    (void)state;
    static const char alphabet[] = "\"\\?=:{[&%a ";
    size_t k = sizeof alphabet - 1;
    for (size_t len = 1; len <= 3; len++) {
        size_t total = len == 1 ? k : len == 2 ? k * k : k * k * k;
        for (size_t code = 0; code < total; code++) {
            char *in = malloc(len);
            assert_non_null(in);
            for (size_t i = 0, c = code; i < len; i++, c /= k)
                in[i] = alphabet[c % k];
            dbx__buf b = DBX__BUF_INIT;
            dbx__redact_body(&b, in, len, 2048);
            dbx__redact_query(&b, in, len);
            dbx__redact_text(&b, in, len);
            dbx__buf_dispose(&b);
            free(in);
        }
    }
}

/* Hostile shapes: linear time, no recursion (deep nesting would overflow
 * the stack otherwise), bounded output. The first few are 1 MiB, the rest
 * (and all under valgrind) 64 KiB, which is enough to see quadratic time. */
static void hostile_bodies(void **state)
{
    (void)state;
    const char *units[] = {"{", "[", "\\u", "\"\\u", "{\"a\":", "\"token\":", "a=", "a=%", "\"", "\\\"",
                           "?", "?a=b&", "Bearer ", "\"t\": ", "%25", "eyJ.", "dapi"};
    int valgrind = getenv("DBX_TEST_UNDER_VALGRIND") != NULL;
    char *big = malloc((1u << 20) + 2);
    assert_non_null(big);
    for (size_t u = 0; u < sizeof units / sizeof *units; u++) {
        size_t n = u < 4 && !valgrind ? 1u << 20 : 1u << 16;
        size_t ul = strlen(units[u]);
        for (int lead = 0; lead < 2; lead++) {
            /* as JSON ({ first), as text or form, and inside a JSON string */
            size_t k = 0;
            if (lead)
                big[k++] = '{', big[k++] = '"';
            while (k + ul <= n)
                memcpy(big + k, units[u], ul), k += ul;
            dbx__buf b = DBX__BUF_INIT;
            dbx__redact_body(&b, big, k, 2048);
            assert_true(b.len <= 2048 + 32);
            dbx__buf_clear(&b);
            dbx__redact_query(&b, big, k);
            dbx__buf_clear(&b);
            dbx__redact_text(&b, big, k);
            dbx__buf_dispose(&b);
        }
    }
    free(big);
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
        cmocka_unit_test(query_azure_sas),
        cmocka_unit_test(query_any_characters),
        cmocka_unit_test(json_keys_decoded),
        cmocka_unit_test(param_names_decoded),
        cmocka_unit_test(presigned_queries),
        cmocka_unit_test(presigned_urls_in_json),
        cmocka_unit_test(presigned_urls_in_text),
        cmocka_unit_test(encoded_urls_in_values),
        cmocka_unit_test(error_messages_scrubbed),
        cmocka_unit_test(always_redact_list),
        cmocka_unit_test(tokens_in_text),
        cmocka_unit_test(false_positives),
        cmocka_unit_test(short_inputs),
        cmocka_unit_test(hostile_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
