/* libdbx internal: memory, buffers and string helpers. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

void *dbx__malloc(size_t n) { return malloc(n ? n : 1); }
void *dbx__calloc(size_t n, size_t size) { return calloc(n ? n : 1, size ? size : 1); }
void *dbx__realloc(void *p, size_t n) { return realloc(p, n ? n : 1); }
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

/* ---- buffer ------------------------------------------------------------ */

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
    char *p = dbx__realloc(b->ptr, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->ptr = p;
    b->cap = cap;
    return 0;
}

int dbx__buf_put(dbx__buf *b, const void *data, size_t n)
{
    if (dbx__buf_grow(b, n) != 0)
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

int dbx__buf_put_urlenc(dbx__buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            if (dbx__buf_putc(b, (char)*p) != 0)
                return -1;
        } else {
            char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            if (dbx__buf_put(b, enc, 3) != 0)
                return -1;
        }
    }
    return b->oom ? -1 : 0;
}

int dbx__buf_put_utf8(dbx__buf *b, uint32_t cp)
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
    return dbx__buf_put(b, u, n);
}

void dbx__buf_clear(dbx__buf *b)
{
    b->len = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
}

void dbx__buf_dispose(dbx__buf *b)
{
    dbx__free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}

char *dbx__buf_detach(dbx__buf *b)
{
    char *p = b->ptr;
    if (!p)
        p = dbx__strdup("");
    b->ptr = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
    return p;
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
