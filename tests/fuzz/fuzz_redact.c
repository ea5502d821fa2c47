/*
 * Fuzz target: redaction of logs and error messages (lib/core/log.c,
 * lib/core/error.c). The first byte chooses a mode:
 *
 *   0    the rest as arbitrary bytes through dbx__redact_body (several
 *        limits), dbx__redact_query, dbx__redact_text, dbx__redact_header
 *        and an error record: no crash, UB or timeout; output within its
 *        limit; JSON that parsed before still parses after.
 *   1-5  an oracle: the rest of the bytes choose a structure (JSON, a query,
 *        a form body, free text and error messages, a header) and where in
 *        it a MARKER is planted as a secret: the value of a secret-named key
 *        or parameter (names spelled with JSON \u escapes, percent-encoding,
 *        any case), a presigned URL's credential (in a JSON string, a
 *        query, text), a header value of an http_headers / headers object.
 *        abort() if the MARKER comes out.
 *
 * Fuzzer-chosen text never holds the MARKER's first byte, so every MARKER
 * in an input is a planted one.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "fuzz.h"

#define MARKER "Zq8SECRETzQ"
#define COUNT(a) (sizeof(a) / sizeof *(a))

/* ---- reading the fuzzer's choices ----------------------------------------------- */

typedef struct rd {
    const uint8_t *p;
    size_t n;
} rd;

static unsigned take(rd *r)
{
    if (!r->n)
        return 0;
    r->n--;
    return *r->p++;
}

static const char *pick(rd *r, const char *const *list, size_t n) { return list[take(r) % n]; }

/* Up to `max` bytes of fuzzer text, none of them the MARKER's first byte
 * nor in `avoid`. */
static void put_text(dbx__buf *b, rd *r, size_t max, const char *avoid)
{
    size_t n = take(r) % (max + 1);
    for (size_t i = 0; i < n && r->n; i++) {
        char c = (char)take(r);
        if (c == MARKER[0] || (c && strchr(avoid, c)))
            c = '_';
        dbx__buf_putc(b, c);
    }
}

/* ---- spelling names ------------------------------------------------------------- */

static char flip_case(char c, unsigned bit)
{
    if (!bit)
        return c;
    if (c >= 'a' && c <= 'z')
        return (char)(c - 32);
    if (c >= 'A' && c <= 'Z')
        return (char)(c + 32);
    if (c == '-')
        return '_';
    if (c == '_')
        return '-';
    return c;
}

/* A name as a JSON key's contents: each byte as is, case-flipped, or as a
 * \u escape (hex in either case); at most `max` bytes written (else plain). */
static void spell_json(dbx__buf *b, rd *r, const char *name, size_t max)
{
    dbx__buf t = DBX__BUF_INIT;
    for (const char *p = name; *p; p++) {
        unsigned how = take(r) % 4;
        char c = flip_case(*p, how == 1);
        if (how >= 2)
            dbx__buf_printf(&t, how == 2 ? "\\u%04x" : "\\u%04X", (unsigned char)c);
        else
            dbx__buf_putc(&t, c);
    }
    dbx__buf_puts(b, t.len <= max ? t.ptr : name);
    dbx__buf_dispose(&t);
}

/* A name as a query / form parameter: as is, case-flipped or %XX. */
static void spell_param(dbx__buf *b, rd *r, const char *name)
{
    for (const char *p = name; *p; p++) {
        unsigned how = take(r) % 4;
        char c = flip_case(*p, how == 1);
        if (how >= 2)
            dbx__buf_printf(b, how == 2 ? "%%%02x" : "%%%02X", (unsigned char)c);
        else
            dbx__buf_putc(b, c);
    }
}

static const char *const secret_keys[] = {
    "token", "access_token", "refresh_token", "id_token", "client_secret", "password", "api_key",
    "private_key", "client_assertion", "assertion", "subject_token", "aws_temp_credentials",
    "azure_user_delegation_sas", "gcp_oauth_token", "sas_token", "secret_access_key", "session_token",
    "Authorization", "X-Databricks-Azure-SP-Management-Token", "connection_string", "pwd", "cookie",
    "passphrase", "string_value_secret", "x_api_key", "azure_client_secret"};

static const char *const presigned_params[] = {
    "sig", "sv", "se", "sr", "sp", "X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token",
    "X-Amz-Date", "X-Goog-Signature", "X-Goog-Credential", "Signature", "AWSAccessKeyId",
    "GoogleAccessId", "Key-Pair-Id"};

static const char *const secret_headers[] = {
    "Authorization", "Proxy-Authorization", "X-Databricks-Azure-SP-Management-Token",
    "X-Databricks-GCP-SA-Access-Token", "Cookie", "Set-Cookie", "X-Api-Key"};

/* URL-safe fuzzer text: unreserved characters and %XX. */
static void put_url_text(dbx__buf *b, rd *r, size_t max)
{
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY0123456789-._~%/:";
    size_t n = take(r) % (max + 1);
    for (size_t i = 0; i < n && r->n; i++)
        dbx__buf_putc(b, safe[take(r) % (sizeof safe - 1)]);
}

/* The planted secret value: the MARKER, maybe inside URL-safe text. */
static void put_marker(dbx__buf *b, rd *r)
{
    put_url_text(b, r, 4);
    dbx__buf_puts(b, MARKER);
    put_url_text(b, r, 4);
}

/* A presigned URL whose credential is the MARKER: https://host/path?params,
 * one of them a presigned-URL parameter (spelled any way) = MARKER. */
static void put_presigned_url(dbx__buf *b, rd *r)
{
    static const char *const hosts[] = {"bucket.s3.us-west-2.amazonaws.com", "acct.blob.core.windows.net",
                                        "storage.googleapis.com", "d111.cloudfront.net", "h"};
    dbx__buf_printf(b, "https://%s/", pick(r, hosts, COUNT(hosts)));
    put_url_text(b, r, 12);
    dbx__buf_putc(b, '?');
    unsigned before = take(r) % 4, after = take(r) % 4;
    for (unsigned i = 0; i < before + after + 1; i++) {
        if (i)
            dbx__buf_putc(b, '&');
        if (i == before) {
            spell_param(b, r, pick(r, presigned_params, COUNT(presigned_params)));
            dbx__buf_putc(b, '=');
            put_marker(b, r);
        } else {
            put_url_text(b, r, 8);
            dbx__buf_putc(b, '=');
            put_url_text(b, r, 8);
        }
    }
}

/* Text as JSON string contents; any ASCII punctuation ('?', '&', '=', ...)
 * may become a \u escape. Letters and digits stay, so that a planted
 * MARKER is one in the input as written. */
static void put_json_escaped(dbx__buf *b, rd *r, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == '"' || c == '\\' || (c < 0x80 && !isalnum(c) && take(r) % 4 == 0))
            dbx__buf_printf(b, "\\u%04x", c);
        else
            dbx__buf_putc(b, (char)c);
    }
}

/* `text` as a JSON string (quoted, escaped); disposes of `text`. */
static void put_json_string(dbx__buf *b, rd *r, dbx__buf *text)
{
    dbx__buf_putc(b, '"');
    put_json_escaped(b, r, text->ptr ? text->ptr : "", text->len);
    dbx__buf_putc(b, '"');
    dbx__buf_dispose(text);
}

/* ---- the oracles ---------------------------------------------------------------- */

static void check_absent(const dbx__buf *in, const dbx__buf *out, const char *what)
{
    if (out->ptr && strstr(out->ptr, MARKER)) {
        fprintf(stderr, "fuzz_redact: secret leaked by %s:\n%s\n->\n%s\n", what, in->ptr ? in->ptr : "",
                out->ptr);
        abort();
    }
}

/* A JSON document, valid, with secrets planted in it. Non-recursive: the
 * open containers are a stack of at most 8. */
static void gen_json(dbx__buf *b, rd *r)
{
    static const char *const hdr_keys[] = {"http_headers", "headers"};
    static const char *const hdr_names[] = {"x-ms-encryption-key", "x-amz-server-side-encryption-customer-key",
                                            "x-goog-encryption-key", "Content-Type"};
    static const char *const literals[] = {"true", "false", "null", "0", "-1.5e3", "12345678901234567890"};
    char stack[8];
    int depth = 0, need_comma = 0;
    stack[depth++] = '{';
    dbx__buf_putc(b, '{');
    for (int step = 0; step < 48 && r->n && depth > 0; step++) {
        unsigned op = take(r) % 12;
        if (op == 0 && depth > 1) {
            dbx__buf_putc(b, stack[--depth] == '{' ? '}' : ']');
            need_comma = 1;
            continue;
        }
        if (need_comma)
            dbx__buf_putc(b, ',');
        if (take(r) % 4 == 0)
            dbx__buf_puts(b, "\n  ");
        need_comma = 1;
        int in_object = stack[depth - 1] == '{';
        if (in_object && op == 1) { /* "secret": MARKER, or an object / array of it */
            dbx__buf_putc(b, '"');
            spell_json(b, r, pick(r, secret_keys, COUNT(secret_keys)), (size_t)-1);
            dbx__buf_puts(b, take(r) % 2 ? "\": " : "\":");
            unsigned shape = take(r) % 3; /* a string, in an object, in an array */
            dbx__buf_puts(b, shape == 0 ? "\"" : shape == 1 ? "{\"v\":\"" : "[\"");
            put_marker(b, r);
            dbx__buf_puts(b, shape == 0 ? "\"" : shape == 1 ? "\"}" : "\",1]");
            continue;
        }
        if (in_object && op == 2) { /* a headers object or array */
            dbx__buf_putc(b, '"');
            spell_json(b, r, pick(r, hdr_keys, COUNT(hdr_keys)), (size_t)-1);
            dbx__buf_puts(b, "\":");
            unsigned n = take(r) % 3 + 1;
            int array = take(r) % 2;
            dbx__buf_putc(b, array ? '[' : '{');
            for (unsigned i = 0; i < n; i++) {
                dbx__buf_printf(b, array ? "%s{\"name\":\"%s\",\"value\":\"" : "%s\"%s\":\"", i ? "," : "",
                                pick(r, hdr_names, COUNT(hdr_names)));
                put_marker(b, r);
                dbx__buf_puts(b, array ? "\"}" : "\"");
            }
            dbx__buf_putc(b, array ? ']' : '}');
            continue;
        }
        if (in_object) { /* an ordinary key */
            dbx__buf key = DBX__BUF_INIT;
            put_text(&key, r, 12, "");
            put_json_string(b, r, &key);
            dbx__buf_putc(b, ':');
        }
        if (op == 3 || op == 4) { /* a string holding a presigned URL */
            dbx__buf s = DBX__BUF_INIT;
            put_text(&s, r, 12, "");
            dbx__buf_putc(&s, ' ');
            put_presigned_url(&s, r);
            dbx__buf_putc(&s, ' ');
            put_text(&s, r, 12, "");
            put_json_string(b, r, &s);
        } else if ((op == 5 || op == 6) && depth < (int)sizeof stack) {
            stack[depth++] = op == 5 ? '{' : '[';
            dbx__buf_putc(b, op == 5 ? '{' : '[');
            need_comma = 0;
        } else if (op == 7) {
            dbx__buf_puts(b, pick(r, literals, COUNT(literals)));
        } else {
            dbx__buf s = DBX__BUF_INIT;
            put_text(&s, r, 16, "");
            put_json_string(b, r, &s);
        }
    }
    while (depth > 0)
        dbx__buf_putc(b, stack[--depth] == '{' ? '}' : ']');
}

/* k=v&k=v with fuzzer names and values, one secret-named or presigned one. */
static void gen_params(dbx__buf *b, rd *r)
{
    unsigned before = take(r) % 4, after = take(r) % 4;
    for (unsigned i = 0; i < before + after + 1; i++) {
        if (i)
            dbx__buf_putc(b, '&');
        if (i == before) {
            int presigned = take(r) % 2;
            spell_param(b, r, presigned ? pick(r, presigned_params, COUNT(presigned_params))
                                        : pick(r, secret_keys, COUNT(secret_keys)));
            dbx__buf_putc(b, '=');
            put_marker(b, r);
        } else {
            put_text(b, r, 10, "&=");
            dbx__buf_putc(b, '=');
            put_text(b, r, 16, "&");
        }
    }
}

/* Free text with a presigned URL, a "secret": value, name=value, a bearer
 * token or a secret header line in it. Quotes and backslashes stay out of the fuzzer's text: with
 * them, which quote opens a key is a matter of reading. */
static void gen_text(dbx__buf *b, rd *r)
{
    put_text(b, r, 24, "\"\\");
    dbx__buf_putc(b, ' ');
    switch (take(r) % 5) {
    case 0:
        put_presigned_url(b, r);
        break;
    case 4: /* a header line, as echoed by a proxy's error page */
        dbx__buf_printf(b, "\r\n%s: ", pick(r, secret_headers, COUNT(secret_headers)));
        put_marker(b, r);
        dbx__buf_puts(b, take(r) % 2 ? " x" : "\r\n");
        break;
    case 1:
        dbx__buf_puts(b, "{\"");
        spell_json(b, r, pick(r, secret_keys, COUNT(secret_keys)), 128);
        dbx__buf_puts(b, (const char *[]){"\": \"", "\":\"", "\"  :  \"", "\": "}[take(r) % 4]);
        put_marker(b, r);
        dbx__buf_puts(b, "\"}");
        break;
    case 2:
        if (take(r) % 2)
            spell_param(b, r, pick(r, secret_keys, COUNT(secret_keys)));
        else
            spell_param(b, r, pick(r, presigned_params, COUNT(presigned_params)));
        dbx__buf_putc(b, '=');
        put_marker(b, r);
        break;
    default:
        dbx__buf_puts(b, (const char *[]){"Bearer ", "Authorization: Bearer ", "bearer\t", "Basic ", "password = "}[take(r) % 5]);
        put_marker(b, r);
        break;
    }
    dbx__buf_putc(b, ' ');
    put_text(b, r, 24, "");
}

static void oracle(unsigned mode, rd *r)
{
    dbx__buf in = DBX__BUF_INIT, out = DBX__BUF_INIT;
    switch (mode) {
    case 1:
        gen_json(&in, r);
        dbx__redact_body(&out, in.ptr, in.len, (size_t)-1);
        check_absent(&in, &out, "dbx__redact_body (JSON)");
        break;
    case 2:
        gen_params(&in, r);
        dbx__redact_query(&out, in.ptr, in.len);
        check_absent(&in, &out, "dbx__redact_query");
        break;
    case 3:
        dbx__buf_puts(&in, "grant_type=client_credentials&"); /* sniffed as a form */
        gen_params(&in, r);
        dbx__redact_body(&out, in.ptr, in.len, (size_t)-1);
        check_absent(&in, &out, "dbx__redact_body (form)");
        break;
    case 4: {
        gen_text(&in, r);
        dbx__redact_text(&out, in.ptr, in.len);
        check_absent(&in, &out, "dbx__redact_text");
        dbx__fail(NULL, DBX_ERROR, "%s", in.ptr);
        dbx__buf msg = DBX__BUF_INIT;
        dbx__buf_puts(&msg, dbx__error_current()->message);
        check_absent(&in, &msg, "dbx__fail");
        dbx__buf_dispose(&msg);
        break;
    }
    default: {
        int secret = take(r) % 2;
        if (secret) {
            const char *name = pick(r, secret_headers, COUNT(secret_headers));
            char spelled[64];
            size_t k = 0;
            for (; name[k] && k < sizeof spelled - 1; k++)
                spelled[k] = flip_case(name[k], take(r) % 2 && name[k] != '-');
            spelled[k] = '\0';
            put_text(&in, r, 8, "");
            put_marker(&in, r);
            put_text(&in, r, 8, "");
            dbx__redact_header(&out, spelled, in.ptr ? in.ptr : "");
        } else {
            put_presigned_url(&in, r);
            dbx__redact_header(&out, "Location", in.ptr);
        }
        check_absent(&in, &out, "dbx__redact_header");
        break;
    }
    }
    dbx__buf_dispose(&in);
    dbx__buf_dispose(&out);
}

/* ---- arbitrary bytes ------------------------------------------------------------ */

static int parses(const char *s, size_t len)
{
    json_t *j = json_loadb(s, len, JSON_ALLOW_NUL, NULL);
    json_decref(j);
    return j != NULL;
}

static void arbitrary(const char *s, size_t len)
{
    static const size_t limits[] = {0, 1, 60, 2048};
    dbx__buf out = DBX__BUF_INIT;
    char tail[64];
    for (size_t i = 0; i < COUNT(limits); i++) {
        dbx__redact_body(&out, s, len, limits[i]);
        if (out.len > limits[i] + (size_t)snprintf(tail, sizeof tail, "**REDACTED**...(%zu bytes)", len))
            abort();
        dbx__buf_clear(&out);
    }
    /* valid JSON stays valid JSON */
    dbx__redact_body(&out, s, len, (size_t)-1);
    size_t k = 0;
    while (k < len && strchr(" \t\r\n", s[k]) && s[k])
        k++;
    if (k < len && (s[k] == '{' || s[k] == '[') && parses(s, len) && !parses(out.ptr, out.len)) {
        fprintf(stderr, "fuzz_redact: valid JSON became invalid:\n%.*s\n->\n%s\n", (int)len, s, out.ptr);
        abort();
    }
    dbx__buf_clear(&out);
    dbx__redact_query(&out, s, len);
    dbx__buf_clear(&out);
    dbx__redact_text(&out, s, len);
    dbx__buf_clear(&out);
    /* a header: name up to the first ':', NUL-terminated pieces */
    char *copy = malloc(len + 1);
    if (copy) {
        memcpy(copy, s, len);
        copy[len] = '\0';
        char *colon = strchr(copy, ':');
        if (colon)
            *colon = '\0';
        dbx__redact_header(&out, copy, colon ? colon + 1 : NULL);
        dbx__fail(NULL, DBX_ERROR, "%s", copy);
        dbx__error_prefix("%s", colon ? colon + 1 : "");
        free(copy);
    }
    dbx__buf_dispose(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned mode = data[0] % 6;
    if (mode == 0) {
        arbitrary((const char *)data + 1, size - 1);
    } else {
        rd r = {data + 1, size - 1};
        oracle(mode, &r);
    }
    return 0;
}
