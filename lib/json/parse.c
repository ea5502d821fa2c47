/*
 * libdbx internal: a single-pass JSON parser that builds jansson values.
 *
 * Why: jansson's loader reads its input one byte at a time through a
 * stream abstraction (about 180 instructions per byte); for a 2 KB API
 * response that was 72% of a whole clusters/get call. This parser scans
 * the text in place and hands jansson finished strings and numbers, so the
 * rest of libdbx (and sys/json.h users) keep the same json_t trees.
 *
 * It accepts exactly what json_loadb(JSON_DECODE_ANY | JSON_ALLOW_NUL)
 * accepts and builds equal values (a differential test checks this on
 * hand-picked and generated inputs): RFC 8259 grammar, UTF-8 validated
 * (no overlongs, surrogates or code points above U+10FFFF), \uXXXX escapes
 * with surrogate pairs, \u0000 allowed in strings but not in object keys,
 * integers as json_integer (overflow is an error), other numbers as
 * json_real (overflow is an error), duplicate keys keep the last value,
 * nesting at most JSON_PARSER_MAX_DEPTH. Iterative: no recursion, so deep
 * input cannot exhaust a small thread stack.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

#ifndef JSON_PARSER_MAX_DEPTH
#define JSON_PARSER_MAX_DEPTH 2048
#endif

typedef struct parser {
    const unsigned char *p, *end, *start;
    dbx__buf scratch; /* unescaped strings */
    char *err;
    size_t errlen;
    size_t *errpos;
} parser;

static int fail(parser *ps, const char *msg)
{
    if (ps->err && !ps->err[0])
        snprintf(ps->err, ps->errlen, "%s", msg);
    if (ps->errpos)
        *ps->errpos = (size_t)(ps->p - ps->start);
    return -1;
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
        ps->p++;
}

/* Length of a valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static int utf8_len(const unsigned char *s, const unsigned char *end)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    int n;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (end - s < n)
        return 0;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

static int hex4(const unsigned char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = (v << 4) | d;
    }
    *out = v;
    return 0;
}

static void put_utf8(dbx__buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    dbx__buf_put(b, u, n);
}

/* 1 for bytes that end the fast path of a string: control characters,
 * '"', '\\' and every byte >= 0x80 (UTF-8, validated separately). */
static const unsigned char special[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* Scan a string starting after its opening quote. On success *s and *n point
 * either into the input (no escapes) or into ps->scratch. */
static int scan_string(parser *ps, const char **s, size_t *n)
{
    const unsigned char *p = ps->p, *end = ps->end;
    const unsigned char *run = p;
    int escaped = 0;
    for (;;) {
        /* fast path: plain ASCII */
        while (p < end && !special[*p])
            p++;
        if (p >= end) {
            ps->p = p;
            return fail(ps, "premature end of input in a string");
        }
        unsigned c = *p;
        if (c == '"')
            break;
        if (c < 0x20) {
            ps->p = p;
            return fail(ps, "control character in a string");
        }
        if (c >= 0x80) {
            int k = utf8_len(p, end);
            if (!k) {
                ps->p = p;
                return fail(ps, "invalid UTF-8 in a string");
            }
            p += k;
            continue;
        }
        /* backslash */
        if (!escaped) {
            escaped = 1;
            dbx__buf_clear(&ps->scratch);
        }
        dbx__buf_put(&ps->scratch, run, (size_t)(p - run));
        if (end - p < 2) {
            ps->p = p;
            return fail(ps, "premature end of input in an escape");
        }
        unsigned e = p[1];
        p += 2;
        switch (e) {
        case '"': dbx__buf_putc(&ps->scratch, '"'); break;
        case '\\': dbx__buf_putc(&ps->scratch, '\\'); break;
        case '/': dbx__buf_putc(&ps->scratch, '/'); break;
        case 'b': dbx__buf_putc(&ps->scratch, '\b'); break;
        case 'f': dbx__buf_putc(&ps->scratch, '\f'); break;
        case 'n': dbx__buf_putc(&ps->scratch, '\n'); break;
        case 'r': dbx__buf_putc(&ps->scratch, '\r'); break;
        case 't': dbx__buf_putc(&ps->scratch, '\t'); break;
        case 'u': {
            unsigned cp;
            if (end - p < 4 || hex4(p, &cp) != 0) {
                ps->p = p;
                return fail(ps, "invalid \\u escape");
            }
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) != 0 || lo < 0xDC00 ||
                    lo > 0xDFFF) {
                    ps->p = p;
                    return fail(ps, "invalid Unicode: unpaired high surrogate");
                }
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                ps->p = p;
                return fail(ps, "invalid Unicode: unpaired low surrogate");
            }
            put_utf8(&ps->scratch, cp);
            break;
        }
        default:
            ps->p = p;
            return fail(ps, "invalid escape");
        }
        run = p;
    }
    if (escaped) {
        dbx__buf_put(&ps->scratch, run, (size_t)(p - run));
        if (ps->scratch.oom)
            return fail(ps, "out of memory");
        *s = ps->scratch.ptr ? ps->scratch.ptr : "";
        *n = ps->scratch.len;
    } else {
        *s = (const char *)ps->p;
        *n = (size_t)(p - ps->p);
    }
    ps->p = p + 1; /* past the closing quote */
    return 0;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void make_c_locale(void) { c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

static json_t *scan_number(parser *ps)
{
    const unsigned char *p = ps->p, *end = ps->end, *s = p;
    int is_real = 0;
    if (p < end && *p == '-')
        p++;
    if (p < end && *p == '0') {
        p++;
    } else if (p < end && *p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    } else {
        ps->p = p;
        fail(ps, "invalid number");
        return NULL;
    }
    if (p < end && *p == '.') {
        is_real = 1;
        p++;
        if (p >= end || *p < '0' || *p > '9') {
            ps->p = p;
            fail(ps, "invalid number: digits expected after '.'");
            return NULL;
        }
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        is_real = 1;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9') {
            ps->p = p;
            fail(ps, "invalid number: digits expected in the exponent");
            return NULL;
        }
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    char small[64], *num = small;
    size_t n = (size_t)(p - s);
    if (n >= sizeof small && !(num = dbx__malloc(n + 1))) {
        fail(ps, "out of memory");
        return NULL;
    }
    memcpy(num, s, n);
    num[n] = '\0';
    json_t *v = NULL;
    errno = 0;
    if (!is_real) {
        long long ll = strtoll(num, NULL, 10);
        if (errno == ERANGE)
            fail(ps, "too big integer");
        else
            v = json_integer((json_int_t)ll);
    } else {
        /* numbers are always '.'-decimal, whatever the process locale says */
        pthread_once(&c_locale_once, make_c_locale);
        double d = c_locale ? strtod_l(num, NULL, c_locale) : strtod(num, NULL);
        if (errno == ERANGE && d != 0)
            fail(ps, "real number overflow");
        else
            v = json_real(d);
    }
    if (num != small)
        dbx__free(num);
    if (!v && ps->err && !ps->err[0])
        fail(ps, "out of memory");
    ps->p = p;
    return v;
}

static int literal(parser *ps, const char *word, size_t n)
{
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return fail(ps, "invalid token");
    ps->p += n;
    return 0;
}

typedef struct frame {
    json_t *container;
    char *key; /* pending object key (owned) */
    size_t key_len;
} frame;

json_t *dbx__json_parse(const char *text, size_t len, char *err, size_t errlen, size_t *errpos)
{
    parser ps = {(const unsigned char *)text, (const unsigned char *)text + len, (const unsigned char *)text,
                 DBX__BUF_INIT, err, errlen, errpos};
    if (err && errlen)
        err[0] = '\0';
    frame stack_small[32];
    frame *stack = stack_small;
    size_t depth = 0, cap = sizeof stack_small / sizeof *stack_small;
    json_t *root = NULL;

    for (;;) {
        /* ---- a value ---- */
        skip_ws(&ps);
        if (ps.p >= ps.end) {
            fail(&ps, "premature end of input");
            goto error;
        }
        json_t *v = NULL;
        unsigned c = *ps.p;
        if (c == '{' || c == '[') {
            if (depth >= JSON_PARSER_MAX_DEPTH) {
                fail(&ps, "maximum parsing depth reached");
                goto error;
            }
            json_t *cont = c == '{' ? json_object() : json_array();
            if (!cont) {
                fail(&ps, "out of memory");
                goto error;
            }
            if (depth == cap) {
                size_t ncap = cap * 2;
                frame *ns = stack == stack_small ? dbx__malloc(ncap * sizeof *ns)
                                                 : dbx__realloc(stack, ncap * sizeof *ns);
                if (!ns) {
                    json_decref(cont);
                    fail(&ps, "out of memory");
                    goto error;
                }
                if (stack == stack_small)
                    memcpy(ns, stack_small, sizeof stack_small);
                stack = ns;
                cap = ncap;
            }
            stack[depth].container = cont;
            stack[depth].key = NULL;
            depth++;
            ps.p++;
            skip_ws(&ps);
            if (ps.p < ps.end && *ps.p == (c == '{' ? '}' : ']')) {
                ps.p++;
                v = stack[--depth].container; /* empty container is complete */
            } else if (c == '{') {
                goto object_key;
            } else {
                continue; /* first array element */
            }
        } else if (c == '"') {
            const char *s;
            size_t n;
            ps.p++;
            if (scan_string(&ps, &s, &n) != 0)
                goto error;
            if (!(v = json_stringn_nocheck(s, n))) {
                fail(&ps, "out of memory");
                goto error;
            }
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            if (!(v = scan_number(&ps)))
                goto error;
        } else if (c == 't') {
            if (literal(&ps, "true", 4) != 0)
                goto error;
            v = json_true();
        } else if (c == 'f') {
            if (literal(&ps, "false", 5) != 0)
                goto error;
            v = json_false();
        } else if (c == 'n') {
            if (literal(&ps, "null", 4) != 0)
                goto error;
            v = json_null();
        } else {
            fail(&ps, "invalid token");
            goto error;
        }

        /* ---- attach the finished value, then close containers as far as possible ---- */
        for (;;) {
            if (depth == 0) {
                root = v;
                skip_ws(&ps);
                if (ps.p != ps.end) {
                    fail(&ps, "end of input expected");
                    json_decref(root);
                    root = NULL;
                    goto error;
                }
                goto done;
            }
            frame *top = &stack[depth - 1];
            int rc;
            if (json_is_array(top->container)) {
                rc = json_array_append_new(top->container, v);
            } else {
                rc = json_object_setn_new_nocheck(top->container, top->key, top->key_len, v);
                dbx__free(top->key);
                top->key = NULL;
            }
            if (rc != 0) {
                fail(&ps, "out of memory");
                goto error;
            }
            skip_ws(&ps);
            if (ps.p >= ps.end) {
                fail(&ps, "premature end of input");
                goto error;
            }
            int is_obj = json_is_object(top->container);
            if (*ps.p == ',') {
                ps.p++;
                if (is_obj)
                    goto object_key;
                break; /* next array element */
            }
            if (*ps.p == (is_obj ? '}' : ']')) {
                ps.p++;
                v = top->container;
                depth--;
                continue; /* attach the closed container to its parent */
            }
            fail(&ps, is_obj ? "',' or '}' expected" : "',' or ']' expected");
            goto error;
        }
        continue;

    object_key : {
        skip_ws(&ps);
        if (ps.p >= ps.end || *ps.p != '"') {
            fail(&ps, "string or '}' expected");
            goto error;
        }
        ps.p++;
        const char *k;
        size_t kn;
        if (scan_string(&ps, &k, &kn) != 0)
            goto error;
        if (memchr(k, '\0', kn)) {
            fail(&ps, "NUL byte in object key not supported");
            goto error;
        }
        frame *top = &stack[depth - 1];
        if (!(top->key = dbx__strndup(k, kn))) {
            fail(&ps, "out of memory");
            goto error;
        }
        top->key_len = kn;
        skip_ws(&ps);
        if (ps.p >= ps.end || *ps.p != ':') {
            fail(&ps, "':' expected");
            goto error;
        }
        ps.p++;
        continue; /* the member's value */
    }
    }

error:
    while (depth > 0) {
        depth--;
        dbx__free(stack[depth].key);
        json_decref(stack[depth].container);
    }
    root = NULL;
done:
    if (stack != stack_small)
        dbx__free(stack);
    dbx__buf_dispose(&ps.scratch);
    return root;
}
