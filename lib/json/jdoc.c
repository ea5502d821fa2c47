/*
 * libdbx internal: one-pass JSON validation and indexing, typed getters,
 * re-serialisation and lazy jansson views. See jdoc.h for the contract.
 *
 * Layout: every value is one 32-bit word in document order (pre-order),
 * holding the offset of its first byte in the text; the type of a value
 * is that byte: '{', '[', '"', 't', 'f', 'n', else a number. A value that
 * needs more has a second word, flagged by EXTRA in the first: a
 * container's second word is the index just past its subtree (so skipping
 * a member costs O(1)), and a string that holds a NUL (from \u0000) keeps
 * its length there (every other string is a C string: its length is
 * strlen). An object's children are key, value, key, value...
 * For typical API JSON (a value per ~7 bytes) the index is ~0.6x the text.
 *
 * One pass validates and records words; each string, once complete, is
 * unescaped in place (the result is never longer than the escaped text)
 * and NUL-terminated where its closing quote was. Opening quotes stay,
 * which keeps the type byte. The text is therefore modified even when the
 * document turns out to be invalid: callers that quote a failed body keep
 * its first bytes aside first.
 */
#define _GNU_SOURCE
#include "jdoc.h"
#include "json_util.h"

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define EXTRA 0x80000000u /* first word: a second word follows */
#define POS(w) ((w) & ~EXTRA)
#define HI EXTRA           /* scanner flags ride in the same bit */

/* ---- locale-independent strtod ---------------------------------------------- */

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void make_c_locale(void) { c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

static double c_strtod(const char *s)
{
    /* numbers are always '.'-decimal, whatever the process locale says */
    pthread_once(&c_locale_once, make_c_locale);
    return c_locale ? strtod_l(s, NULL, c_locale) : strtod(s, NULL);
}

static size_t unescape(unsigned char *s, size_t n);

/* ---- validate and index --------------------------------------------------------- */

typedef struct ix {
    const unsigned char *s, *end;
    uint32_t *tok;
    uint32_t cap;
    int oom;
    dbx__jerr *err;
} ix;

static int fail_at(ix *x, const unsigned char *at, const char *msg)
{
    if (x->err) {
        snprintf(x->err->msg, sizeof x->err->msg, "%s", msg);
        x->err->pos = (size_t)(at - x->s);
    }
    return -1;
}

/* Make room for two more words (out of line: rare). */
static int grow(ix *x)
{
    uint32_t ncap = x->cap + x->cap / 2 + 16;
    if (ncap < x->cap) /* cannot happen below 2 GiB of text, but never wrap */
        return x->oom = 1, -1;
    uint32_t *t = dbx__realloc(x->tok, (size_t)ncap * sizeof *t);
    if (!t)
        return x->oom = 1, -1;
    x->tok = t;
    x->cap = ncap;
    return 0;
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

/* Four hex digits at s (validated or bounds-checked by the caller). */
static long hex4(const unsigned char *s) { return dbx__hex4((const char *)s); }

/* Eight bytes at a time: a non-zero result flags (in bit 7 of the byte) the
 * first byte that is '"', '\\', below 0x20 or above 0x7F. Bytes above the
 * first flagged one may be flagged spuriously (borrows); the lowest never is. */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
static inline uint64_t special8(uint64_t v)
{
    /* has_less(x, n) = (x - n*ONES) & ~x & HIGHS flags bytes below n; the
     * lowest flagged byte of each term is exact, so the lowest of the OR is */
    uint64_t q = v ^ (ONES * '"'), b = v ^ (ONES * '\\');
    return (((v - ONES * 0x20) & ~v) | ((q - ONES) & ~q) | ((b - ONES) & ~b) | v) & HIGHS;
}

/* The slow part of a string (escapes, UTF-8, errors), from p at a special
 * byte. Returns the closing quote, or NULL (error recorded). */
static const unsigned char *string_rest(ix *x, const unsigned char *p, uint32_t *esc, int *nul, int key)
{
    const unsigned char *end = x->end;
    for (;;) {
        while (p < end && !special[*p])
            p++;
        if (p >= end)
            return fail_at(x, p, "premature end of input in a string"), NULL;
        unsigned c = *p;
        if (c == '"')
            return p;
        if (c < 0x20)
            return fail_at(x, p, "control character in a string"), NULL;
        if (c >= 0x80) {
            int k = dbx__utf8_len(p, end);
            if (!k)
                return fail_at(x, p, "invalid UTF-8 in a string"), NULL;
            p += k;
            continue;
        }
        /* backslash */
        *esc = HI;
        if (end - p < 2)
            return fail_at(x, p, "premature end of input in an escape"), NULL;
        unsigned e = p[1];
        if (e == 'u') {
            long cp;
            if (end - p < 6 || (cp = hex4(p + 2)) < 0)
                return fail_at(x, p, "invalid \\u escape"), NULL;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                long lo;
                if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || (lo = hex4(p + 8)) < 0xDC00 || lo > 0xDFFF)
                    return fail_at(x, p, "invalid Unicode: unpaired high surrogate"), NULL;
                p += 12;
                continue;
            }
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return fail_at(x, p, "invalid Unicode: unpaired low surrogate"), NULL;
            if (cp == 0) {
                if (key)
                    return fail_at(x, p, "NUL byte in object key not supported"), NULL;
                *nul = 1;
            }
            p += 6;
            continue;
        }
        if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't')
            return fail_at(x, p, "invalid escape"), NULL;
        p += 2;
    }
}

/* A string whose opening quote is at q: returns the closing quote (NULL
 * on error), unescaped and NUL-terminated in place; *aux is its length
 * with HI set when it holds a NUL (then the length must be stored). */
#if defined(__GNUC__)
#define DBX__ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define DBX__ALWAYS_INLINE inline
#endif

static DBX__ALWAYS_INLINE const unsigned char *scan_string(ix *x, const unsigned char *q, uint32_t *aux, int key)
{
    const unsigned char *p = q + 1, *end = x->end;
    uint32_t esc = 0;
    int nul = 0;
#if defined(__SSE2__)
    /* 16 bytes at a time: '"', '\\', and (as signed bytes) everything below
     * 0x20 or above 0x7F in one compare */
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), low = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                                   _mm_cmplt_epi8(v, low));
        unsigned m = (unsigned)_mm_movemask_epi8(hit);
        if (m) {
            p += __builtin_ctz(m);
            goto special_byte;
        }
        p += 16;
    }
#endif
    while (end - p >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        uint64_t m = special8(v);
        if (m) {
            p += __builtin_ctzll(m) >> 3;
            goto special_byte;
        }
        p += 8;
    }
special_byte:
    if (!(p < end && *p == '"') && !(p = string_rest(x, p, &esc, &nul, key)))
        return NULL;
    size_t raw = (size_t)(p - q - 1);
    if (raw >= HI)
        return fail_at(x, q, "string too long"), NULL;
    /* Complete: make it a C string in place. The unescaped text is never
     * longer than the escaped one; the opening quote stays (the type byte). */
    unsigned char *body = (unsigned char *)q + 1;
    size_t n = esc ? unescape(body, raw) : raw;
    body[n] = '\0';
    *aux = (uint32_t)n | (nul ? HI : 0);
    return p;
}

/* Does a decimal integer (no sign, no leading zero) overflow int64? */
static int int_overflows(const unsigned char *d, size_t nd, int negative)
{
    static const char max[] = "9223372036854775807", min[] = "9223372036854775808";
    if (nd < 19)
        return 0;
    if (nd > 19)
        return 1;
    return memcmp(d, negative ? min : max, 19) > 0;
}

/* A number starting at s: returns its end (NULL on error). */
static const unsigned char *scan_number(ix *x, const unsigned char *s)
{
    const unsigned char *p = s, *end = x->end;
    int neg = 0, real = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    const unsigned char *digits = p;
    if (p < end && *p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (*p >= '0' && *p <= '9') /* the NUL at text[len] stops it */
            p++;
    } else {
        return fail_at(x, p, "invalid number"), NULL;
    }
    size_t int_digits = (size_t)(p - digits);
    if (p < end && *p == '.') {
        real = 1;
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return fail_at(x, p, "invalid number: digits expected after '.'"), NULL;
        while (*p >= '0' && *p <= '9') /* the NUL at text[len] stops it */
            p++;
    }
    long exp10 = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        real = 1;
        p++;
        int eneg = 0;
        if (p < end && (*p == '+' || *p == '-'))
            eneg = *p++ == '-';
        if (p >= end || *p < '0' || *p > '9')
            return fail_at(x, p, "invalid number: digits expected in the exponent"), NULL;
        while (*p >= '0' && *p <= '9') /* the NUL at text[len] stops it */ {
            if (exp10 < 100000)
                exp10 = exp10 * 10 + (*p - '0');
            p++;
        }
        if (eneg)
            exp10 = -exp10;
    }
    size_t n = (size_t)(p - s);
    if (n >= HI)
        return fail_at(x, s, "number too long"), NULL;
    if (!real) {
        if (int_overflows(digits, int_digits, neg))
            return fail_at(x, s, neg ? "too big negative integer" : "too big integer"), NULL;
    } else if ((long)int_digits + exp10 >= 300) {
        /* only a number this large can overflow a double: check exactly.
         * The text stops at a byte strtod cannot take (validated grammar). */
        if (isinf(c_strtod((const char *)s)))
            return fail_at(x, s, "real number overflow"), NULL;
    }
    return p;
}

static const unsigned char ws[256] = {[' '] = 1, ['\n'] = 1, ['\r'] = 1, ['\t'] = 1};
static inline int is_ws(unsigned c) { return ws[c]; }

/* text[len] is NUL (a precondition), which is not white space: no bound needed */
#define SKIP_WS()                                                                                   \
    do {                                                                                            \
        while (is_ws(*p))                                                                           \
            p++;                                                                                    \
    } while (0)

/* Append a value's word (and a second one when `extra`); the array
 * grows out of line. Jumps to `out` on OOM. */
#define PUSH(at)                                                                                    \
    do {                                                                                            \
        if (x->cap - n < 2 && grow(x) != 0)                                                         \
            goto out;                                                                               \
        x->tok[n++] = (uint32_t)((at) - s);                                                         \
    } while (0)
#define PUSH2(at, second)                                                                           \
    do {                                                                                            \
        if (x->cap - n < 2 && grow(x) != 0)                                                         \
            goto out;                                                                               \
        x->tok[n++] = (uint32_t)((at) - s) | EXTRA;                                                 \
        x->tok[n++] = (second);                                                                     \
    } while (0)

#define OBJ_BIT 0x80000000u /* stack entry: word index | OBJ_BIT for an object */

/* Returns the token count, or 0 on error (recorded in x). */
static uint32_t index_text(ix *x)
{
    const unsigned char *s = x->s, *p = s, *end = x->end;
    uint32_t n = 0, small[64], *stack = small;
    size_t depth = 0, scap = sizeof small / sizeof *small;
    uint32_t result = 0, aux;

    for (;;) {
        /* ---- a value ---- */
        SKIP_WS();
        if (p >= end) {
            fail_at(x, p, "premature end of input");
            goto out;
        }
        if (depth >= DBX__JSON_MAX_DEPTH) {
            fail_at(x, p, "maximum parsing depth reached");
            goto out;
        }
        unsigned c = *p;
        if (c == '"') {
            const unsigned char *q = scan_string(x, p, &aux, 0);
            if (!q)
                goto out;
            if (aux & HI)
                PUSH2(p, aux & ~HI); /* holds a NUL: keep its length */
            else
                PUSH(p);
            p = q + 1;
        } else if (c == '{' || c == '[') {
            PUSH2(p, 0); /* the end is filled in when it closes */
            if (depth == scap) {
                uint32_t *ns = dbx__array_grow(stack, small, depth, &scap, depth + 1, sizeof *stack);
                if (!ns) {
                    x->oom = 1;
                    goto out;
                }
                stack = ns;
            }
            stack[depth++] = (n - 2) | (c == '{' ? OBJ_BIT : 0);
            p++;
            SKIP_WS();
            if (p < end && *p == (c == '{' ? '}' : ']')) {
                p++;
                x->tok[(stack[--depth] & ~OBJ_BIT) + 1] = n; /* empty: complete */
            } else if (c == '{') {
                goto object_key;
            } else {
                continue; /* first element */
            }
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            const unsigned char *q = scan_number(x, p);
            if (!q)
                goto out;
            PUSH(p);
            p = q;
        } else {
            size_t wl = c == 't' ? 4 : c == 'f' ? 5 : c == 'n' ? 4 : 0;
            const char *w = c == 't' ? "true" : c == 'f' ? "false" : "null";
            if (!wl || (size_t)(end - p) < wl || memcmp(p, w, wl) != 0) {
                fail_at(x, p, "invalid token");
                goto out;
            }
            PUSH(p);
            p += wl;
        }

        /* ---- after a value: separators and closers ---- */
        for (;;) {
            if (depth == 0) {
                SKIP_WS();
                if (p != end) {
                    fail_at(x, p, "end of input expected");
                    goto out;
                }
                result = n;
                goto out;
            }
            uint32_t top = stack[depth - 1];
            int is_obj = (top & OBJ_BIT) != 0;
            SKIP_WS();
            if (p >= end) {
                fail_at(x, p, "premature end of input");
                goto out;
            }
            if (*p == ',') {
                p++;
                if (is_obj)
                    goto object_key;
                break; /* next element */
            }
            if (*p == (is_obj ? '}' : ']')) {
                p++;
                x->tok[(top & ~OBJ_BIT) + 1] = n;
                depth--;
                continue;
            }
            fail_at(x, p, is_obj ? "',' or '}' expected" : "',' or ']' expected");
            goto out;
        }
        continue;

    object_key:
        SKIP_WS();
        if (p >= end || *p != '"') {
            fail_at(x, p, "string or '}' expected");
            goto out;
        }
        {
            const unsigned char *q = scan_string(x, p, &aux, 1);
            if (!q)
                goto out;
            PUSH(p); /* a key never holds a NUL */
            p = q + 1;
        }
        SKIP_WS();
        if (p >= end || *p != ':') {
            fail_at(x, p, "':' expected");
            goto out;
        }
        p++;
    }
out:
    if (stack != small)
        dbx__free(stack);
    if (x->oom)
        fail_at(x, p, "out of memory");
    return result;
}

/* ---- unescaping in place ---------------------------------------------------------- */

/* Unescape validated text [s, s+n) in place; returns the new length. */
static size_t unescape(unsigned char *s, size_t n)
{
    unsigned char *o = s, *p = s, *end = s + n;
    while (p < end) {
        unsigned char *bs = memchr(p, '\\', (size_t)(end - p));
        if (!bs)
            bs = end;
        if (o != p)
            memmove(o, p, (size_t)(bs - p));
        o += bs - p;
        p = bs;
        if (p >= end)
            break;
        unsigned e = p[1];
        p += 2;
        switch (e) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            uint32_t cp = (uint32_t)hex4(p); /* validated by the indexer */
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo = (uint32_t)hex4(p + 2);
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            o += dbx__utf8_encode(o, cp);
            break;
        }
        default: *o++ = (unsigned char)e; break; /* " \ / */
        }
    }
    return (size_t)(o - s);
}

dbx_status dbx__jdoc_parse(dbx__jdoc *doc, char *text, size_t len, int take, dbx__jerr *err)
{
    memset(doc, 0, sizeof *doc);
    if (err) {
        err->msg[0] = '\0';
        err->pos = 0;
    }
    ix x = {(const unsigned char *)text, (const unsigned char *)text + len, NULL, 0, 0, err};
    if (len >= EXTRA) {
        fail_at(&x, x.s, "document too large to index (2 GiB at most)");
        return DBX_EBADRESPONSE;
    }
    /* a first guess that fits typical API JSON (a value per ~7 bytes) */
    x.cap = (uint32_t)(len / 6 + 16);
    if (!(x.tok = dbx__malloc((size_t)x.cap * sizeof *x.tok))) {
        fail_at(&x, x.s, "out of memory");
        return DBX_ENOMEM;
    }
    uint32_t n = index_text(&x);
    if (!n) {
        dbx__free(x.tok);
        return x.oom ? DBX_ENOMEM : DBX_EBADRESPONSE;
    }
    /* a large index with much slack gives it back (in place for big blocks) */
    if (x.cap > 4096 && x.cap - n > x.cap / 8) {
        uint32_t *t = dbx__realloc(x.tok, (size_t)n * sizeof *t);
        if (t)
            x.tok = t;
    }
    doc->text = text;
    doc->len = len;
    doc->tok = x.tok;
    doc->n = n;
    doc->owns_text = take;
    return DBX_OK;
}

void dbx__jdoc_dispose(dbx__jdoc *doc)
{
    if (!doc)
        return;
    if (doc->owns_text)
        dbx__free(doc->text);
    dbx__free(doc->tok);
    memset(doc, 0, sizeof *doc);
}

dbx_status dbx__jdoc_parse_object(dbx__jdoc *doc, const void *owner, dbx__buf *body)
{
    memset(doc, 0, sizeof *doc);
    size_t i = 0;
    while (i < body->len && isspace((unsigned char)body->ptr[i]))
        i++;
    if (i == body->len) {
        /* empty body: the empty object */
        dbx__buf_clear(body);
        if (dbx__buf_puts(body, "{}") != 0)
            return dbx__fail(owner, DBX_ENOMEM, "out of memory");
    }
    /* a large buffer grown by doubling: give the slack back before keeping it */
    if (body->cap > (64u << 10) && body->cap - body->len > body->len / 4) {
        char *shrunk = dbx__realloc(body->ptr, body->len + 1);
        if (shrunk) {
            body->ptr = shrunk;
            body->cap = body->len + 1;
        }
    }
    /* the parse rewrites strings in place: keep what an error would quote */
    char head[64];
    size_t head_len = body->len < sizeof head ? body->len : sizeof head;
    memcpy(head, body->ptr, head_len);
    dbx__jerr err;
    dbx_status st = dbx__jdoc_parse(doc, body->ptr, body->len, 1, &err);
    if (st == DBX_ENOMEM)
        return dbx__fail(owner, DBX_ENOMEM, "out of memory while reading the response");
    if (st != DBX_OK) {
        dbx__buf snip = DBX__BUF_INIT;
        dbx__redact_body(&snip, head, head_len, 60);
        dbx__fail(owner, DBX_EBADRESPONSE, "response is not valid JSON (%s at byte %zu of %zu): %s", err.msg,
                  err.pos, body->len, snip.ptr ? snip.ptr : "");
        dbx__buf_dispose(&snip);
        return DBX_EBADRESPONSE;
    }
    if (doc->text[POS(doc->tok[0])] != '{') {
        doc->owns_text = 0; /* the body stays the caller's */
        dbx__jdoc_dispose(doc);
        return dbx__fail(owner, DBX_EBADRESPONSE, "response is JSON but not an object");
    }
    /* the document owns the bytes now */
    body->ptr = NULL;
    body->len = body->cap = 0;
    return DBX_OK;
}

/* ---- values ------------------------------------------------------------------------ */

static inline const char *vtext(const dbx__jdoc *d, uint32_t i) { return d->text + POS(d->tok[i]); }
static inline unsigned char tbyte(const dbx__jdoc *d, uint32_t i) { return (unsigned char)*vtext(d, i); }

/* Index of the value after value i (its subtree skipped). */
static inline uint32_t skip(const dbx__jdoc *d, uint32_t i)
{
    uint32_t w = d->tok[i];
    if (!(w & EXTRA))
        return i + 1;
    unsigned char c = (unsigned char)d->text[POS(w)];
    return c == '{' || c == '[' ? d->tok[i + 1] : i + 2;
}

/* Extent of a number's text (validated: it stops at a delimiter). */
static size_t num_len(const char *s, int *real)
{
    size_t n = 0;
    int r = 0;
    for (;; n++) {
        char c = s[n];
        if (c == '.' || c == 'e' || c == 'E')
            r = 1;
        else if (!((c >= '0' && c <= '9') || c == '-' || c == '+'))
            break;
    }
    if (real)
        *real = r;
    return n;
}

dbx__jv dbx__jdoc_root(const dbx__jdoc *doc)
{
    dbx__jv v = {doc && doc->n ? doc : NULL, 0};
    return v;
}

dbx__jtype dbx__jv_type(dbx__jv v)
{
    if (!v.doc)
        return DBX__J_ABSENT;
    switch (tbyte(v.doc, v.i)) {
    case '{': return DBX__J_OBJECT;
    case '[': return DBX__J_ARRAY;
    case '"': return DBX__J_STRING;
    case 't': return DBX__J_TRUE;
    case 'f': return DBX__J_FALSE;
    case 'n': return DBX__J_NULL;
    default: {
        int real;
        num_len(vtext(v.doc, v.i), &real);
        return real ? DBX__J_REAL : DBX__J_INTEGER;
    }
    }
}

int dbx__jv_is_object(dbx__jv v) { return v.doc && tbyte(v.doc, v.i) == '{'; }
int dbx__jv_is_array(dbx__jv v) { return v.doc && tbyte(v.doc, v.i) == '['; }

/* Does the C string t equal key[0..klen)? (Keys are short: no call.) */
static inline int keq(const char *t, const char *key, size_t klen)
{
    size_t j = 0;
    while (j < klen && t[j] == key[j])
        j++;
    return j == klen && t[klen] == '\0';
}

static dbx__jv get_n(dbx__jv obj, const char *key, size_t klen)
{
    dbx__jv found = DBX__JV_ABSENT;
    if (!dbx__jv_is_object(obj))
        return found;
    const dbx__jdoc *d = obj.doc;
    uint32_t end = d->tok[obj.i + 1];
    char k0 = klen ? key[0] : '\0';
    for (uint32_t k = obj.i + 2; k < end;) {
        /* a key is a C string without NUL inside: compare the first byte,
         * then the rest and the terminator */
        const char *t = d->text + POS(d->tok[k]) + 1;
        if (t[0] == k0 && keq(t, key, klen)) {
            found.doc = d;
            found.i = k + 1; /* keep going: the last duplicate wins */
        }
        k = skip(d, k + 1);
    }
    return found;
}

dbx__jv dbx__jv_get(dbx__jv obj, const char *key)
{
    return key ? get_n(obj, key, strlen(key)) : DBX__JV_ABSENT;
}

dbx__jv dbx__jv_path(dbx__jv obj, const char *path)
{
    dbx__jv cur = obj;
    while (cur.doc && path && *path) {
        size_t n = strcspn(path, ".");
        cur = get_n(cur, path, n);
        path += n;
        if (*path == '.')
            path++;
    }
    return cur;
}

const char *dbx__jv_str(dbx__jv v, const char *fallback)
{
    if (!v.doc || tbyte(v.doc, v.i) != '"')
        return fallback;
    return vtext(v.doc, v.i) + 1;
}

size_t dbx__jv_strlen(dbx__jv v)
{
    if (!v.doc || tbyte(v.doc, v.i) != '"')
        return 0;
    return (v.doc->tok[v.i] & EXTRA) ? v.doc->tok[v.i + 1] : strlen(vtext(v.doc, v.i) + 1);
}

/* A validated JSON integer's text that fits int64 (checked by the indexer). */
static int64_t parse_int_text(const char *s)
{
    int neg = *s == '-';
    s += neg;
    uint64_t u = 0;
    while (*s >= '0' && *s <= '9')
        u = u * 10 + (uint64_t)(*s++ - '0');
    return neg ? (int64_t)(0 - u) : (int64_t)u;
}

int64_t dbx__jv_int(dbx__jv v, int64_t fallback)
{
    if (!v.doc)
        return fallback;
    const char *s = vtext(v.doc, v.i);
    unsigned char c = (unsigned char)*s;
    if (c == '"') {
        /* a decimal string, whole: "123", "-5" */
        const char *p = s + 1;
        size_t n = dbx__jv_strlen(v);
        size_t k = p[0] == '-';
        if (n == k || n - k > 19)
            return fallback;
        for (size_t j = k; j < n; j++)
            if (p[j] < '0' || p[j] > '9')
                return fallback;
        if (p[k] == '0' && n - k > 1)
            return fallback; /* no leading zeros, as JSON */
        if (int_overflows((const unsigned char *)p + k, n - k, k))
            return fallback;
        return parse_int_text(p);
    }
    if (c != '-' && (c < '0' || c > '9'))
        return fallback;
    int real;
    num_len(s, &real);
    if (!real)
        return parse_int_text(s);
    double x = c_strtod(s);
    if (x >= -9.2e18 && x <= 9.2e18 && (double)(int64_t)x == x)
        return (int64_t)x;
    return fallback;
}

double dbx__jv_real(dbx__jv v, double fallback)
{
    if (!v.doc)
        return fallback;
    const char *s = vtext(v.doc, v.i);
    unsigned char c = (unsigned char)*s;
    if (c != '-' && (c < '0' || c > '9'))
        return fallback;
    int real;
    num_len(s, &real);
    return real ? c_strtod(s) : (double)parse_int_text(s);
}

int dbx__jv_bool(dbx__jv v, int fallback)
{
    if (!v.doc)
        return fallback;
    unsigned char c = tbyte(v.doc, v.i);
    return c == 't' ? 1 : c == 'f' ? 0 : fallback;
}

const char *dbx__jv_get_str(dbx__jv obj, const char *key, const char *fallback) { return dbx__jv_str(dbx__jv_get(obj, key), fallback); }
int64_t dbx__jv_get_int(dbx__jv obj, const char *key, int64_t fallback) { return dbx__jv_int(dbx__jv_get(obj, key), fallback); }
double dbx__jv_get_real(dbx__jv obj, const char *key, double fallback) { return dbx__jv_real(dbx__jv_get(obj, key), fallback); }
int dbx__jv_get_bool(dbx__jv obj, const char *key, int fallback) { return dbx__jv_bool(dbx__jv_get(obj, key), fallback); }

/* ---- iteration --------------------------------------------------------------------------- */

void dbx__jv_iter(dbx__jv c, dbx__jit *it)
{
    memset(it, 0, sizeof *it);
    if (!c.doc)
        return;
    unsigned char t = tbyte(c.doc, c.i);
    if (t != '{' && t != '[')
        return;
    it->doc = c.doc;
    it->i = c.i + 2;
    it->end = c.doc->tok[c.i + 1];
    it->obj = t == '{';
}

int dbx__jit_next(dbx__jit *it, dbx__jv *value, const char **key)
{
    if (!it->doc || it->i >= it->end)
        return 0;
    uint32_t v = it->i;
    if (it->obj) {
        if (key)
            *key = vtext(it->doc, v) + 1;
        v++; /* keys are one word */
    }
    value->doc = it->doc;
    value->i = v;
    it->i = skip(it->doc, v);
    return 1;
}

size_t dbx__jv_count(dbx__jv c)
{
    dbx__jit it;
    dbx__jv v;
    size_t n = 0;
    dbx__jv_iter(c, &it);
    while (dbx__jit_next(&it, &v, NULL))
        n++;
    return n;
}

/* ---- re-serialisation ---------------------------------------------------------------------- */


/* Open containers while walking tokens [first, end): their end index and
 * how many children were written. Heap-grown past a small array. */
typedef struct open_c {
    uint32_t end, count;
    int obj;
} open_c;

typedef struct walk {
    open_c small[32], *st;
    size_t depth, cap;
} walk;

static void walk_init(walk *w)
{
    w->st = w->small;
    w->depth = 0;
    w->cap = sizeof w->small / sizeof *w->small;
}

static int walk_push(walk *w, uint32_t end, int obj)
{
    if (w->depth == w->cap) {
        open_c *ns = dbx__array_grow(w->st, w->small, w->depth, &w->cap, w->depth + 1, sizeof *ns);
        if (!ns)
            return -1;
        w->st = ns;
    }
    w->st[w->depth].end = end;
    w->st[w->depth].count = 0;
    w->st[w->depth].obj = obj;
    w->depth++;
    return 0;
}

static void walk_dispose(walk *w)
{
    if (w->st != w->small)
        dbx__free(w->st);
}

/* The word after value k's own words: its first child for a container. */
static inline uint32_t step(const dbx__jdoc *d, uint32_t k) { return k + ((d->tok[k] & EXTRA) ? 2 : 1); }

char *dbx__jv_dump(dbx__jv v)
{
    if (!v.doc)
        return NULL;
    const dbx__jdoc *d = v.doc;
    uint32_t last = skip(d, v.i);
    dbx__buf b = DBX__BUF_INIT;
    walk w;
    walk_init(&w);
    int oom = 0;
    for (uint32_t k = v.i; k < last && !oom; k = step(d, k)) {
        /* close what ends here */
        while (w.depth && w.st[w.depth - 1].end == k) {
            dbx__buf_putc(&b, w.st[w.depth - 1].obj ? '}' : ']');
            w.depth--;
        }
        if (w.depth) {
            open_c *top = &w.st[w.depth - 1];
            if (top->obj)
                dbx__buf_puts(&b, top->count % 2 ? ":" : top->count ? "," : "");
            else if (top->count)
                dbx__buf_putc(&b, ',');
            top->count++;
        }
        const char *s = vtext(d, k);
        switch (*s) {
        case '{':
        case '[': {
            uint32_t end = d->tok[k + 1];
            if (end == k + 2) {
                dbx__buf_puts(&b, *s == '{' ? "{}" : "[]");
            } else {
                dbx__buf_putc(&b, *s);
                oom = walk_push(&w, end, *s == '{') != 0;
            }
            break;
        }
        case '"': dbx__json_put_string(&b, s + 1, dbx__jv_strlen((dbx__jv){d, k})); break;
        case 't': dbx__buf_puts(&b, "true"); break;
        case 'f': dbx__buf_puts(&b, "false"); break;
        case 'n': dbx__buf_puts(&b, "null"); break;
        default: dbx__buf_put(&b, s, num_len(s, NULL)); break;
        }
    }
    while (w.depth) {
        dbx__buf_putc(&b, w.st[w.depth - 1].obj ? '}' : ']');
        w.depth--;
    }
    walk_dispose(&w);
    if (oom || b.oom) {
        dbx__buf_dispose(&b);
        return NULL;
    }
    return dbx__buf_detach(&b);
}

/* ---- jansson --------------------------------------------------------------------------------- */

static json_t *scalar_to_jansson(const dbx__jdoc *d, uint32_t k)
{
    const char *s = vtext(d, k);
    switch (*s) {
    case '"': return json_stringn_nocheck(s + 1, dbx__jv_strlen((dbx__jv){d, k}));
    case 't': return json_true();
    case 'f': return json_false();
    case 'n': return json_null();
    default: {
        int real;
        num_len(s, &real);
        return real ? json_real(c_strtod(s)) : json_integer((json_int_t)parse_int_text(s));
    }
    }
}

json_t *dbx__jv_to_jansson(dbx__jv v)
{
    if (!v.doc)
        return NULL;
    const dbx__jdoc *d = v.doc;
    uint32_t last = skip(d, v.i);
    /* parallel stacks: open containers (walk) and their jansson values */
    walk w;
    walk_init(&w);
    json_t *small[32], **vals = small;
    size_t vcap = 32;
    json_t *root = NULL;
    const char *key = NULL;
    int ok = 1;
    for (uint32_t k = v.i; k < last && ok; k = step(d, k)) {
        while (w.depth && w.st[w.depth - 1].end == k)
            w.depth--;
        open_c *top = w.depth ? &w.st[w.depth - 1] : NULL;
        if (top && top->obj && top->count % 2 == 0) {
            key = vtext(d, k) + 1; /* a member's key: a C string */
            top->count++;
            continue;
        }
        const char *s = vtext(d, k);
        int container = *s == '{' || *s == '[';
        json_t *val = container ? (*s == '{' ? json_object() : json_array()) : scalar_to_jansson(d, k);
        if (!val) {
            ok = 0;
            break;
        }
        if (!top) {
            root = val;
        } else {
            json_t *parent = vals[w.depth - 1];
            int rc = top->obj ? json_object_set_new_nocheck(parent, key, val) : json_array_append_new(parent, val);
            top->count++;
            if (rc != 0) {
                ok = 0;
                break;
            }
        }
        if (container && d->tok[k + 1] > k + 2) {
            if (w.depth == vcap) {
                json_t **nv = dbx__array_grow(vals, small, w.depth, &vcap, w.depth + 1, sizeof *vals);
                if (!nv) {
                    ok = 0;
                    break;
                }
                vals = nv;
            }
            vals[w.depth] = val;
            if (walk_push(&w, d->tok[k + 1], *s == '{') != 0) {
                ok = 0;
                break;
            }
        }
    }
    walk_dispose(&w);
    if (vals != small)
        dbx__free(vals);
    if (!ok) {
        dbx__json_decref_deep(root);
        return NULL;
    }
    return root;
}

dbx_status dbx__json_parse_text(json_t **out, const char *text, char *err, size_t cap)
{
    *out = NULL;
    size_t n = strlen(text);
    char *copy = dbx__strndup(text, n);
    if (!copy)
        return DBX_ENOMEM;
    dbx__jdoc doc;
    dbx__jerr jerr;
    dbx_status st = dbx__jdoc_parse(&doc, copy, n, 1, &jerr);
    if (st != DBX_OK) {
        dbx__free(copy);
        if (st == DBX_ENOMEM)
            return st;
        snprintf(err, cap, "%s at byte %zu", jerr.msg, jerr.pos);
        return DBX_EINVAL;
    }
    *out = dbx__jv_to_jansson(dbx__jdoc_root(&doc));
    dbx__jdoc_dispose(&doc);
    return *out ? DBX_OK : DBX_ENOMEM;
}
