/* libdbx internal: jansson request bodies (serialiser, deep free, UTF-8). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

/* ---- UTF-8 --------------------------------------------------------------------- */

int dbx__utf8_len(const unsigned char *s, const unsigned char *end)
{
    unsigned c = s[0], cp;
    int n;
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

int dbx__utf8_valid(const char *str)
{
    const unsigned char *s = (const unsigned char *)str, *end = s + strlen(str);
    while (s < end) {
        if (*s < 0x80) {
            s++;
            continue;
        }
        int n = dbx__utf8_len(s, end);
        if (!n)
            return 0;
        s += n;
    }
    return 1;
}

/* ---- setters ---------------------------------------------------------------------- */

int dbx__json_set_str(json_t *obj, const char *key, const char *value)
{
    json_t *s = value ? json_string(value) : NULL;
    if (!s)
        return -1;
    return json_object_set_new(obj, key, s);
}

int dbx__json_set_int(json_t *obj, const char *key, int64_t value)
{
    json_t *v = json_integer((json_int_t)value);
    if (!v)
        return -1;
    return json_object_set_new(obj, key, v);
}

/* ---- serialiser -------------------------------------------------------------------- */

void dbx__json_put_string(dbx__buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    dbx__buf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        dbx__buf_put(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': dbx__buf_puts(b, "\\\""); break;
        case '\\': dbx__buf_puts(b, "\\\\"); break;
        case '\b': dbx__buf_puts(b, "\\b"); break;
        case '\f': dbx__buf_puts(b, "\\f"); break;
        case '\n': dbx__buf_puts(b, "\\n"); break;
        case '\r': dbx__buf_puts(b, "\\r"); break;
        case '\t': dbx__buf_puts(b, "\\t"); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            dbx__buf_put(b, u, 6);
        }
        }
    }
    dbx__buf_put(b, s + run, n - run);
    dbx__buf_putc(b, '"');
}

static void put_scalar(dbx__buf *b, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING: dbx__json_put_string(b, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER: dbx__buf_printf(b, "%lld", (long long)json_integer_value(v)); break;
    case JSON_REAL: {
        char num[40];
        int n = snprintf(num, sizeof num, "%.17g", json_real_value(v));
        /* '.'-decimal whatever the locale, and always recognisably a real */
        for (int i = 0; i < n; i++)
            if (num[i] == ',')
                num[i] = '.';
        dbx__buf_put(b, num, (size_t)n);
        if (!strpbrk(num, ".eE"))
            dbx__buf_puts(b, ".0");
        break;
    }
    case JSON_TRUE: dbx__buf_puts(b, "true"); break;
    case JSON_FALSE: dbx__buf_puts(b, "false"); break;
    default: dbx__buf_puts(b, "null"); break;
    }
}

typedef struct dframe {
    const json_t *c;
    void *it;     /* object iterator */
    size_t idx;   /* array index / members written */
} dframe;

char *dbx__json_dump(const json_t *root)
{
    if (!root)
        return NULL;
    dbx__buf b = DBX__BUF_INIT;
    dframe small[32], *st = small;
    size_t depth = 0, cap = 32;
    const json_t *v = root;
    int oom = 0;
    for (;;) {
        /* write v */
        if (json_is_object(v) || json_is_array(v)) {
            dbx__buf_putc(&b, json_is_object(v) ? '{' : '[');
            if (depth == cap) {
                dframe *ns = dbx__array_grow(st, small, depth, &cap, depth + 1, sizeof *st);
                if (!ns) {
                    oom = 1;
                    break;
                }
                st = ns;
            }
            st[depth].c = v;
            st[depth].it = json_is_object(v) ? json_object_iter((json_t *)v) : NULL;
            st[depth].idx = 0;
            depth++;
        } else {
            put_scalar(&b, v);
        }
        /* find the next value to write, closing finished containers */
        v = NULL;
        while (depth) {
            dframe *f = &st[depth - 1];
            if (json_is_object(f->c)) {
                if (!f->it) {
                    dbx__buf_putc(&b, '}');
                    depth--;
                    continue;
                }
                if (f->idx++)
                    dbx__buf_putc(&b, ',');
                const char *k = json_object_iter_key(f->it);
                dbx__json_put_string(&b, k, json_object_iter_key_len(f->it));
                dbx__buf_putc(&b, ':');
                v = json_object_iter_value(f->it);
                f->it = json_object_iter_next((json_t *)f->c, f->it);
                break;
            }
            if (f->idx >= json_array_size(f->c)) {
                dbx__buf_putc(&b, ']');
                depth--;
                continue;
            }
            if (f->idx)
                dbx__buf_putc(&b, ',');
            v = json_array_get(f->c, f->idx++);
            break;
        }
        if (!v || b.oom)
            break;
    }
    if (st != small)
        dbx__free(st);
    if (oom || b.oom || depth) {
        dbx__buf_dispose(&b);
        return NULL;
    }
    return dbx__buf_detach(&b);
}

/* ---- deep free ------------------------------------------------------------------------ */

void dbx__json_decref_deep(json_t *v)
{
    json_t *small[64], **st = small;
    size_t n = 0, cap = 64;
    if (!v)
        return;
    st[n++] = v;
    while (n) {
        json_t *x = st[--n];
        int container = json_is_object(x) || json_is_array(x);
        if (!container || x->refcount != 1) {
            json_decref(x); /* a scalar, or still referenced elsewhere */
            continue;
        }
        size_t kids = json_is_object(x) ? json_object_size(x) : json_array_size(x);
        if (n + kids > cap) {
            json_t **ns = dbx__array_grow(st, small, n, &cap, n + kids, sizeof *st);
            if (!ns) {
                json_decref(x); /* no memory for the walk: jansson's own (recursive) free */
                continue;
            }
            st = ns;
        }
        /* keep the children alive, empty the container, free it flat */
        if (json_is_array(x)) {
            for (size_t i = 0; i < kids; i++)
                st[n++] = json_incref(json_array_get(x, i));
            json_array_clear(x);
        } else {
            const char *k;
            json_t *c;
            json_object_foreach(x, k, c)
                st[n++] = json_incref(c);
            json_object_clear(x);
        }
        json_decref(x);
    }
    if (st != small)
        dbx__free(st);
}
