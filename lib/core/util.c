/* libdbx internal: memory, buffers and string helpers. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static _Atomic int hooks_on;       /* either of the two below is active */
static _Atomic long fail_countdown; /* > 0: the allocation that takes it to 0 fails */
static _Atomic int counting;
static _Atomic long counted;

static void hooks_update(void)
{
    atomic_store(&hooks_on, atomic_load(&fail_countdown) > 0 || atomic_load(&counting));
}

void dbx__alloc_fail_after(long n)
{
    atomic_store(&fail_countdown, n > 0 ? n : 0);
    hooks_update();
}

void dbx__alloc_count_start(void)
{
    atomic_store(&counted, 0);
    atomic_store(&counting, 1);
    hooks_update();
}

long dbx__alloc_count_stop(void)
{
    atomic_store(&counting, 0);
    hooks_update();
    return atomic_load(&counted);
}

/* 1 when this allocation must fail (the test seam) */
static int hooked_alloc(void)
{
    if (atomic_load(&counting))
        atomic_fetch_add(&counted, 1);
    long left = atomic_load(&fail_countdown);
    while (left > 0) {
        if (atomic_compare_exchange_weak(&fail_countdown, &left, left - 1)) {
            if (left == 1) {
                hooks_update();
                return 1;
            }
            break;
        }
    }
    return 0;
}

#define HOOK() (atomic_load_explicit(&hooks_on, memory_order_relaxed) && hooked_alloc())

int dbx__alloc_hook(void) { return HOOK(); }

void *dbx__malloc(size_t n) { return HOOK() ? NULL : malloc(n ? n : 1); }
void *dbx__calloc(size_t n, size_t size) { return HOOK() ? NULL : calloc(n ? n : 1, size ? size : 1); }
void *dbx__realloc(void *p, size_t n) { return HOOK() ? NULL : realloc(p, n ? n : 1); }
void dbx__free(void *p) { free(p); }

DBX_API void dbx_free(void *ptr) { dbx__free(ptr); }

char *dbx__strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *d = dbx__malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *dbx__strdup(const char *s) { return s ? dbx__strndup(s, strlen(s)) : NULL; }

char *dbx__sprintf(const char *fmt, ...)
{
    dbx__buf b = DBX__BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    int rc = dbx__buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (rc != 0) {
        dbx__buf_dispose(&b);
        return NULL;
    }
    return dbx__buf_detach(&b);
}

void *dbx__array_grow(void *arr, const void *small, size_t used, size_t *cap, size_t need, size_t elem)
{
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem)
            return NULL;
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / elem)
        return NULL;
    void *n = arr == small ? dbx__malloc(ncap * elem) : dbx__realloc(arr, ncap * elem);
    if (!n)
        return NULL;
    if (arr == small && used)
        memcpy(n, small, used * elem);
    *cap = ncap;
    return n;
}

/* ---- buffer ------------------------------------------------------------ */

void dbx__buf_init_fixed(dbx__buf *b, char *storage, size_t size)
{
    b->ptr = storage;
    b->len = 0;
    b->cap = size;
    b->oom = 0;
    b->fixed = 1;
    storage[0] = '\0';
}

int dbx__buf_grow(dbx__buf *b, size_t extra)
{
    if (b->oom)
        return -1;
    if (extra > SIZE_MAX - b->len - 1) {
        b->oom = 1;
        return -1;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = b->fixed ? dbx__malloc(cap) : dbx__realloc(b->ptr, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    if (b->fixed) {
        memcpy(p, b->ptr, b->len + 1);
        b->fixed = 0;
    }
    b->ptr = p;
    b->cap = cap;
    return 0;
}

int dbx__buf_put(dbx__buf *b, const void *data, size_t n)
{
    if ((b->oom || !b->ptr || n >= b->cap - b->len) && dbx__buf_grow(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->ptr + b->len, data, n);
    b->len += n;
    b->ptr[b->len] = '\0';
    return 0;
}

int dbx__buf_puts(dbx__buf *b, const char *s) { return dbx__buf_put(b, s ? s : "", s ? strlen(s) : 0); }

int dbx__buf_putc(dbx__buf *b, char c) { return dbx__buf_put(b, &c, 1); }

int dbx__buf_vprintf(dbx__buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, cp);
    va_end(cp);
    if (n < 0) {
        b->oom = 1;
        return -1;
    }
    if ((size_t)n < sizeof small)
        return dbx__buf_put(b, small, (size_t)n);
    if (dbx__buf_grow(b, (size_t)n) != 0)
        return -1;
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int dbx__buf_printf(dbx__buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = dbx__buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

/* RFC 3986 unreserved characters: A-Z a-z 0-9 - . _ ~ */
static const unsigned char unreserved[256] = {
    ['-'] = 1, ['.'] = 1, ['_'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1,
    ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
    ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

int dbx__buf_put_urlenc(dbx__buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s;
    while (p && *p) {
        /* runs of unreserved bytes are copied as they are */
        const unsigned char *run = p;
        while (unreserved[*p])
            p++;
        if (p > run && dbx__buf_put(b, run, (size_t)(p - run)) != 0)
            return -1;
        if (!*p)
            break;
        char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        if (dbx__buf_put(b, enc, 3) != 0)
            return -1;
        p++;
    }
    return b->oom ? -1 : 0;
}

size_t dbx__utf8_encode(unsigned char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

int dbx__buf_put_utf8(dbx__buf *b, uint32_t cp)
{
    unsigned char u[4];
    return dbx__buf_put(b, u, dbx__utf8_encode(u, cp));
}

int dbx__hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long dbx__hex4(const char *s)
{
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int h = dbx__hexval((unsigned char)s[k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

void dbx__buf_clear(dbx__buf *b)
{
    b->len = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
}

void dbx__buf_dispose(dbx__buf *b)
{
    if (!b->fixed)
        dbx__free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
    b->fixed = 0;
}

char *dbx__buf_detach(dbx__buf *b)
{
    char *p;
    if (b->oom) { /* a write was lost: never hand out partial (or empty) contents */
        dbx__buf_dispose(b);
        return NULL;
    }
    if (b->fixed) {
        /* caller storage: copy the bytes, NULs included (a header arena holds many) */
        if ((p = dbx__malloc(b->len + 1)) != NULL) {
            memcpy(p, b->ptr, b->len);
            p[b->len] = '\0';
        }
    } else {
        p = b->ptr ? b->ptr : dbx__strdup("");
    }
    b->ptr = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
    b->fixed = 0;
    return p; /* NULL only when an allocation failed */
}

/* ---- strings ------------------------------------------------------------ */

int dbx__strcasecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
        if (ca != cb || !ca)
            return ca - cb;
    }
}

int dbx__strncasecmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int ca = tolower((unsigned char)a[i]), cb = tolower((unsigned char)b[i]);
        if (ca != cb || !ca)
            return ca - cb;
    }
    return 0;
}

const char *dbx__strcasestr(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (dbx__strncasecmp(hay, needle, n) == 0)
            return hay;
    return n == 0 ? hay : NULL;
}

int dbx__streq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

int dbx__empty(const char *s) { return !s || !*s; }

int dbx__parse_long(const char *s, long *out)
{
    if (!s)
        return -1;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s)
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return -1;
    *out = v;
    return 0;
}

int dbx__parse_bool(const char *s)
{
    if (!s || !*s)
        return 0;
    static const char *yes[] = {"1", "true", "yes", "on", "y", "t"};
    static const char *no[] = {"0", "false", "no", "off", "n", "f"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (dbx__strcasecmp(s, yes[i]) == 0)
            return 1;
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (dbx__strcasecmp(s, no[i]) == 0)
            return 0;
    return -1;
}
