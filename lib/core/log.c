/* libdbx internal: logging and redaction of secrets. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core.h"

static const char *level_names[] = {"off", "error", "warn", "info", "debug", "trace"};

dbx_log_level dbx__log_level_parse(const char *s)
{
    if (dbx__empty(s))
        return DBX_LOG_OFF;
    for (int i = 0; i <= DBX_LOG_TRACE; i++)
        if (dbx__strcasecmp(s, level_names[i]) == 0)
            return (dbx_log_level)i;
    if (dbx__strcasecmp(s, "warning") == 0)
        return DBX_LOG_WARN;
    long v;
    if (dbx__parse_long(s, &v) == 0 && v >= 0 && v <= DBX_LOG_TRACE)
        return (dbx_log_level)v;
    return (dbx_log_level)-1;
}

void dbx__log(const dbx__logger *lg, dbx_log_level lvl, dbx_log_category cat, const char *fmt, ...)
{
    if (!DBX__LOG_ENABLED(lg, lvl))
        return;
    dbx__buf b = DBX__BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    dbx__buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (!b.oom && b.ptr) {
        if (lg->fn)
            lg->fn(lvl, cat, b.ptr, lg->payload);
        else
            fprintf(stderr, "[libdbx %s] %s\n", level_names[lvl], b.ptr);
    }
    dbx__buf_dispose(&b);
}

/* ---- redaction ------------------------------------------------------------ */

#define REDACTED "**REDACTED**"

/* Case-insensitive, and '-' matches '_' (header names vs JSON keys). */
static int name_eq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int ca = tolower((unsigned char)a[i]), cb = tolower((unsigned char)b[i]);
        if (ca == '-')
            ca = '_';
        if (cb == '-')
            cb = '_';
        if (ca != cb)
            return 0;
    }
    return 1;
}

static int ends_with_ci(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && name_eq(s + len - n, suffix, n);
}

static int contains_ci(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (name_eq(s + i, needle, n))
            return 1;
    return 0;
}

int dbx__is_secret_name(const char *name, size_t len)
{
    static const char *not_secret[] = {"page_token", "token_type", "token_endpoint",
                                       "idempotency_token", "token_id", "token_expiry_time"};
    static const char *secret[] = {"token", "secret", "password", "passwd", "authorization",
                                   "credential", "api_key", "apikey", "private_key", "access_key",
                                   "cookie", "assertion", "signature", "x-amz-security"};
    for (size_t i = 0; i < sizeof not_secret / sizeof *not_secret; i++)
        if (ends_with_ci(name, len, not_secret[i]))
            return 0;
    for (size_t i = 0; i < sizeof secret / sizeof *secret; i++)
        if (contains_ci(name, len, secret[i]))
            return 1;
    return 0;
}

void dbx__redact_header(dbx__buf *out, const char *name, const char *value)
{
    dbx__buf_printf(out, "%s: ", name);
    if (!dbx__is_secret_name(name, strlen(name))) {
        dbx__buf_puts(out, value);
        return;
    }
    /* keep a known auth scheme ("Bearer", "Basic"), which helps debugging;
     * everything else about a secret header goes */
    static const char *schemes[] = {"Bearer ", "Basic ", "Digest ", "Negotiate ", "NTLM "};
    if (value && (dbx__strcasecmp(name, "Authorization") == 0 ||
                  dbx__strcasecmp(name, "Proxy-Authorization") == 0)) {
        for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++) {
            size_t n = strlen(schemes[i]);
            if (dbx__strncasecmp(value, schemes[i], n) == 0) {
                dbx__buf_put(out, value, n);
                break;
            }
        }
    }
    dbx__buf_puts(out, REDACTED);
}

/* Scan JSON text without parsing it fully (it may be truncated or invalid):
 * copy it, replacing the contents of scalar values whose key is secret. */
static void redact_json(dbx__buf *out, const char *s, size_t len)
{
    size_t i = 0;
    const char *key = NULL;
    size_t key_len = 0;
    int expect_value = 0; /* just saw "key": */
    while (i < len) {
        char c = s[i];
        if (c == '"') {
            size_t start = i++;
            while (i < len && s[i] != '"') {
                if (s[i] == '\\' && i + 1 < len)
                    i++;
                i++;
            }
            size_t end = i < len ? i + 1 : len; /* past the closing quote */
            if (expect_value && dbx__is_secret_name(key, key_len)) {
                dbx__buf_puts(out, "\"" REDACTED "\"");
                expect_value = 0;
                i = end;
                continue;
            }
            dbx__buf_put(out, s + start, end - start);
            /* a string followed by ':' is a key */
            size_t j = end;
            while (j < len && isspace((unsigned char)s[j]))
                j++;
            if (j < len && s[j] == ':') {
                key = s + start + 1;
                key_len = end - start >= 2 ? end - start - 2 : 0;
            }
            expect_value = 0;
            i = end;
            continue;
        }
        if (c == ':') {
            expect_value = key != NULL;
            dbx__buf_putc(out, c);
            i++;
            continue;
        }
        if (expect_value && (c == '{' || c == '[') && dbx__is_secret_name(key, key_len)) {
            /* a secret key holding an object or array: drop the whole value */
            int depth = 0;
            while (i < len) {
                char d = s[i];
                if (d == '"') {
                    i++;
                    while (i < len && s[i] != '"') {
                        if (s[i] == '\\' && i + 1 < len)
                            i++;
                        i++;
                    }
                } else if (d == '{' || d == '[') {
                    depth++;
                } else if (d == '}' || d == ']') {
                    if (--depth == 0) {
                        i++;
                        break;
                    }
                }
                i++;
            }
            dbx__buf_puts(out, "\"" REDACTED "\"");
            expect_value = 0;
            continue;
        }
        if (expect_value && !isspace((unsigned char)c) && dbx__is_secret_name(key, key_len)) {
            /* number / literal value of a secret key */
            while (i < len && s[i] != ',' && s[i] != '}' && s[i] != ']' && !isspace((unsigned char)s[i]))
                i++;
            dbx__buf_puts(out, "\"" REDACTED "\"");
            expect_value = 0;
            continue;
        }
        if (!isspace((unsigned char)c))
            expect_value = 0;
        dbx__buf_putc(out, c);
        i++;
    }
}

/* application/x-www-form-urlencoded (or a query string) */
static void redact_form(dbx__buf *out, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t amp = i;
        while (amp < len && s[amp] != '&')
            amp++;
        size_t eq = i;
        while (eq < amp && s[eq] != '=')
            eq++;
        dbx__buf_put(out, s + i, eq - i);
        if (eq < amp) {
            dbx__buf_putc(out, '=');
            if (dbx__is_secret_name(s + i, eq - i))
                dbx__buf_puts(out, REDACTED);
            else
                dbx__buf_put(out, s + eq + 1, amp - eq - 1);
        }
        if (amp < len)
            dbx__buf_putc(out, '&');
        i = amp + 1;
    }
}

/* Form data: k=v pairs joined by '&', no blanks (trailing ones aside). */
static int looks_like_form(const char *s, size_t len)
{
    if (!memchr(s, '=', len))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (isspace((unsigned char)s[i]) || s[i] == '{' || s[i] == '"')
            return 0;
    return 1;
}

void dbx__redact_body(dbx__buf *out, const char *body, size_t len, size_t max)
{
    if (!body || len == 0)
        return;
    dbx__buf tmp = DBX__BUF_INIT;
    size_t k = 0;
    while (k < len && isspace((unsigned char)body[k]))
        k++;
    size_t end = len; /* ignore trailing blanks when sniffing the format */
    while (end > k && isspace((unsigned char)body[end - 1]))
        end--;
    if (k < len && (body[k] == '{' || body[k] == '['))
        redact_json(&tmp, body, len);
    else if (end > k && looks_like_form(body + k, end - k)) {
        dbx__buf_put(&tmp, body, k);
        redact_form(&tmp, body + k, end - k);
        dbx__buf_put(&tmp, body + end, len - end);
    } else
        dbx__buf_put(&tmp, body, len);
    if (tmp.len > max) {
        dbx__buf_put(out, tmp.ptr, max);
        dbx__buf_printf(out, "...(%zu bytes)", len);
    } else if (tmp.ptr) {
        dbx__buf_put(out, tmp.ptr, tmp.len);
    }
    dbx__buf_dispose(&tmp);
}
