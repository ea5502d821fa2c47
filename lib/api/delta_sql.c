/* libdbx: the SQL text of the Delta helpers: identifier validation and
 * quoting, string literals, the SQL type allow-list (see delta_internal.h). */
#include <string.h>

#include "delta_internal.h"

/* Decode one strict UTF-8 sequence at s (< end): the code point, or -1
 * (overlong, surrogate, > U+10FFFF, truncated, stray continuation). */
static long utf8_next(const unsigned char *s, const unsigned char *end, size_t *n)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *n = 1;
        return c;
    }
    size_t len;
    long cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return -1;
    }
    if ((size_t)(end - s) < len)
        return -1;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *n = len;
    return cp;
}

/* Characters no name may hold: controls, and invisible ones that make a
 * name look like another (bidirectional overrides, line separators, BOM). */
static int cp_forbidden(long cp)
{
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F))
        return 1;
    if (cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069))
        return 1;
    return cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF;
}

const char *dbx__delta_part_problem(const char *p, size_t len)
{
    if (!p || len == 0)
        return "an empty name";
    const unsigned char *s = (const unsigned char *)p, *end = s + len;
    size_t chars = 0;
    while (s < end) {
        size_t n = 0;
        long cp = utf8_next(s, end, &n);
        if (cp < 0)
            return "invalid UTF-8";
        if (cp_forbidden(cp))
            return cp == 0 ? "a NUL character"
                           : "a control or invisible formatting character";
        if (++chars > DBX__DELTA_PART_MAX_CHARS)
            return "more than 255 characters";
        s += n;
    }
    return NULL;
}

void dbx__delta_name_dispose(dbx__delta_name *n)
{
    if (!n)
        return;
    for (int i = 0; i < DBX__DELTA_MAX_PARTS; i++) {
        dbx__free(n->part[i]);
        n->part[i] = NULL;
    }
    n->n = 0;
}

static int bare_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

int dbx__delta_name_parse(dbx__delta_name *out, const char *s, size_t len, int max_parts,
                          const char **why, size_t *at)
{
    memset(out, 0, sizeof *out);
    const char *w = NULL;
    size_t i = 0, where = 0;
    int rc = -1;
    if (max_parts < 1 || max_parts > DBX__DELTA_MAX_PARTS)
        max_parts = DBX__DELTA_MAX_PARTS;
    if (!s || len == 0) {
        w = "an empty name";
        goto fail;
    }
    for (;;) {
        if (out->n == max_parts) {
            w = max_parts == 1 ? "more than one part (a '.' outside backticks)" : "too many '.'-separated parts";
            where = i;
            goto fail;
        }
        dbx__buf part = DBX__BUF_INIT;
        size_t start = i;
        if (i < len && s[i] == '`') {
            i++;
            for (;;) {
                if (i >= len) {
                    dbx__buf_dispose(&part);
                    w = "an unterminated backtick";
                    where = start;
                    goto fail;
                }
                if (s[i] == '`') {
                    if (i + 1 < len && s[i + 1] == '`') {
                        dbx__buf_putc(&part, '`');
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                dbx__buf_putc(&part, s[i]);
                i++;
            }
        } else {
            while (i < len && s[i] != '.') {
                if (!bare_byte((unsigned char)s[i])) {
                    dbx__buf_dispose(&part);
                    w = "a character that needs backtick quoting";
                    where = i;
                    goto fail;
                }
                dbx__buf_putc(&part, s[i]);
                i++;
            }
        }
        if (part.oom) {
            dbx__buf_dispose(&part);
            rc = -2;
            goto fail;
        }
        const char *problem = dbx__delta_part_problem(part.ptr, part.len);
        if (problem) {
            dbx__buf_dispose(&part);
            w = problem;
            where = start;
            goto fail;
        }
        out->part[out->n++] = dbx__buf_detach(&part);
        if (!out->part[out->n - 1]) {
            rc = -2;
            goto fail;
        }
        if (i == len)
            return 0;
        if (s[i] != '.') {
            w = "a character after a closing backtick (expected '.')";
            where = i;
            goto fail;
        }
        i++;
        if (i == len) {
            w = "an empty name after '.'";
            where = i;
            goto fail;
        }
    }
fail:
    dbx__delta_name_dispose(out);
    if (why)
        *why = w ? w : "out of memory";
    if (at)
        *at = where;
    return rc;
}

int dbx__delta_put_part(dbx__buf *b, const char *p, size_t len)
{
    dbx__buf_putc(b, '`');
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '`') {
            dbx__buf_put(b, p + run, i + 1 - run); /* through the backtick */
            dbx__buf_putc(b, '`');
            run = i + 1;
        }
    }
    dbx__buf_put(b, p + run, len - run);
    dbx__buf_putc(b, '`');
    return b->oom ? -1 : 0;
}

int dbx__delta_put_name(dbx__buf *b, const dbx__delta_name *n)
{
    for (int i = 0; i < n->n; i++) {
        if (i)
            dbx__buf_putc(b, '.');
        dbx__delta_put_part(b, n->part[i], strlen(n->part[i]));
    }
    return b->oom ? -1 : 0;
}

int dbx__delta_put_literal(dbx__buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    dbx__buf_putc(b, '\'');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '\'': dbx__buf_put(b, "\\'", 2); break;
        case '\\': dbx__buf_put(b, "\\\\", 2); break;
        case '\n': dbx__buf_put(b, "\\n", 2); break;
        case '\r': dbx__buf_put(b, "\\r", 2); break;
        case '\t': dbx__buf_put(b, "\\t", 2); break;
        default:
            if (c < 0x20 || c == 0x7F) {
                char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                dbx__buf_put(b, e, 6);
            } else {
                dbx__buf_putc(b, (char)c);
            }
        }
    }
    dbx__buf_putc(b, '\'');
    return b->oom ? -1 : 0;
}

/* Spark's ParserUtils.unescapeSQLString, for the escapes above and the
 * ones a reader of Spark SQL would meet. */
size_t dbx__delta_literal_read(dbx__buf *out, const char *s, size_t len)
{
    if (len < 2 || s[0] != '\'')
        return 0;
    size_t i = 1;
    while (i < len) {
        char c = s[i];
        if (c == '\'')
            return i + 1;
        if (c != '\\') {
            dbx__buf_putc(out, c);
            i++;
            continue;
        }
        if (i + 1 >= len)
            return 0;
        char e = s[i + 1];
        if (e == 'u') {
            if (i + 6 > len)
                return 0;
            long v = dbx__hex4(s + i + 2);
            if (v < 0)
                return 0;
            dbx__buf_put_utf8(out, (uint32_t)v);
            i += 6;
            continue;
        }
        switch (e) {
        case 'n': dbx__buf_putc(out, '\n'); break;
        case 'r': dbx__buf_putc(out, '\r'); break;
        case 't': dbx__buf_putc(out, '\t'); break;
        case 'b': dbx__buf_putc(out, '\b'); break;
        case '0': dbx__buf_putc(out, '\0'); break;
        case 'Z': dbx__buf_putc(out, 26); break;
        case '%': dbx__buf_put(out, "\\%", 2); break;
        case '_': dbx__buf_put(out, "\\_", 2); break;
        default: dbx__buf_putc(out, e); break; /* \' \" \\ and any other char as itself */
        }
        i += 2;
    }
    return 0;
}

/* ---- types ------------------------------------------------------------------------ */

static const struct {
    const char *word;
    const char *canon;
} simple_types[] = {
    {"BOOLEAN", "BOOLEAN"},     {"TINYINT", "TINYINT"},   {"BYTE", "TINYINT"},     {"SMALLINT", "SMALLINT"},
    {"SHORT", "SMALLINT"},      {"INT", "INT"},           {"INTEGER", "INT"},      {"BIGINT", "BIGINT"},
    {"LONG", "BIGINT"},         {"FLOAT", "FLOAT"},       {"REAL", "FLOAT"},       {"DOUBLE", "DOUBLE"},
    {"STRING", "STRING"},       {"DATE", "DATE"},         {"TIMESTAMP", "TIMESTAMP"},
    {"TIMESTAMP_NTZ", "TIMESTAMP_NTZ"},                   {"BINARY", "BINARY"},
};

static const char *skip_blank(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* 1..2 decimal digits (no sign, no leading '+'), into *v. */
static const char *read_small(const char *p, int *v)
{
    int n = 0, digits = 0;
    while (*p >= '0' && *p <= '9') {
        if (++digits > 2)
            return NULL;
        n = n * 10 + (*p - '0');
        p++;
    }
    if (!digits)
        return NULL;
    *v = n;
    return p;
}

int dbx__delta_type_canon(dbx__buf *b, const char *type, const char **why)
{
    const char *w = "not a type of the allow-list (BOOLEAN, TINYINT, SMALLINT, INT, BIGINT, FLOAT, "
                    "DOUBLE, DECIMAL(p,s), STRING, DATE, TIMESTAMP, TIMESTAMP_NTZ, BINARY)";
    if (!type)
        goto bad;
    const char *p = skip_blank(type), *word = p;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_')
        p++;
    size_t wl = (size_t)(p - word);
    if (wl == 0 || wl > 16)
        goto bad;
    char up[17];
    for (size_t i = 0; i < wl; i++)
        up[i] = (char)((word[i] >= 'a' && word[i] <= 'z') ? word[i] - 32 : word[i]);
    up[wl] = '\0';
    p = skip_blank(p);
    if (!strcmp(up, "DECIMAL") || !strcmp(up, "DEC") || !strcmp(up, "NUMERIC")) {
        int prec = 10, scale = 0;
        if (*p == '(') {
            p = read_small(skip_blank(p + 1), &prec);
            if (!p)
                goto bad_dec;
            p = skip_blank(p);
            if (*p == ',') {
                p = read_small(skip_blank(p + 1), &scale);
                if (!p)
                    goto bad_dec;
                p = skip_blank(p);
            }
            if (*p != ')')
                goto bad_dec;
            p = skip_blank(p + 1);
        }
        if (*p)
            goto bad;
        if (prec < 1 || prec > 38 || scale < 0 || scale > prec) {
            w = "DECIMAL(p,s) needs 1 <= p <= 38 and 0 <= s <= p";
            goto bad;
        }
        dbx__buf_printf(b, "DECIMAL(%d,%d)", prec, scale);
        return b->oom ? -2 : 0;
    }
    if (*p)
        goto bad;
    for (size_t i = 0; i < sizeof simple_types / sizeof simple_types[0]; i++) {
        if (!strcmp(up, simple_types[i].word)) {
            dbx__buf_puts(b, simple_types[i].canon);
            return b->oom ? -2 : 0;
        }
    }
    goto bad;
bad_dec:
    w = "DECIMAL takes (precision) or (precision, scale) as small integers";
bad:
    if (why)
        *why = w;
    return -1;
}

/* ---- timestamps ------------------------------------------------------------------- */

static int digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int dbx__delta_timestamp_ok(const char *s)
{
    if (!s || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2))
        return 0;
    const char *p = s + 10;
    if (!*p)
        return 1;
    if (*p != ' ' && *p != 'T')
        return 0;
    p++;
    if (!digits(p, 2) || p[2] != ':' || !digits(p + 3, 2))
        return 0;
    p += 5;
    if (*p == ':') {
        if (!digits(p + 1, 2))
            return 0;
        p += 3;
        if (*p == '.') {
            int n = 0;
            p++;
            while (*p >= '0' && *p <= '9' && n < 9) {
                p++;
                n++;
            }
            if (!n)
                return 0;
        }
    }
    if (*p == 'Z')
        return p[1] == '\0';
    if (*p == '+' || *p == '-')
        return digits(p + 1, 2) && p[3] == ':' && digits(p + 4, 2) && p[6] == '\0';
    return *p == '\0';
}

/* ---- column definitions --------------------------------------------------------------- */

static int utf8_ok(const char *p, size_t len)
{
    const unsigned char *s = (const unsigned char *)p, *end = s + len;
    while (s < end) {
        size_t n = 0;
        if (utf8_next(s, end, &n) < 0)
            return 0;
        s += n;
    }
    return 1;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_ws(const char *s, size_t len, size_t i)
{
    while (i < len && is_space(s[i]))
        i++;
    return i;
}

/* A keyword at i (case-insensitive, not followed by an identifier byte). */
static int keyword_at(const char *s, size_t len, size_t i, const char *kw)
{
    size_t k = strlen(kw);
    if (len - i < k)
        return 0;
    for (size_t j = 0; j < k; j++) {
        char c = s[i + j];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 32);
        if (c != kw[j])
            return 0;
    }
    return i + k == len || !bare_byte((unsigned char)s[i + k]);
}

void dbx__delta_coldefs_free(dbx__delta_coldef *defs, size_t n)
{
    if (!defs)
        return;
    for (size_t i = 0; i < n; i++) {
        dbx__free(defs[i].name);
        dbx__free(defs[i].comment);
    }
    dbx__free(defs);
}

int dbx__delta_put_coldef(dbx__buf *b, const dbx__delta_coldef *d)
{
    dbx__delta_put_part(b, d->name, strlen(d->name));
    dbx__buf_putc(b, ' ');
    dbx__buf_puts(b, d->type);
    if (d->not_null)
        dbx__buf_puts(b, " NOT NULL");
    if (d->comment) {
        dbx__buf_puts(b, " COMMENT ");
        dbx__delta_put_literal(b, d->comment, strlen(d->comment));
    }
    return b->oom ? -1 : 0;
}

int dbx__delta_coldefs_parse(dbx__delta_coldef **out, size_t *n, const char *s, size_t len, const char **why,
                             size_t *at)
{
    *out = NULL;
    *n = 0;
    dbx__delta_coldef *defs = NULL;
    size_t count = 0, cap = 0, i = 0, where = 0;
    const char *w = NULL;
    int rc = -1;
    dbx__buf tmp = DBX__BUF_INIT;
    if (!s) {
        w = "no column definitions";
        goto fail;
    }
    i = skip_ws(s, len, 0);
    if (i == len) {
        w = "no column definitions";
        goto fail;
    }
    for (;;) {
        if (count == DBX__DELTA_MAX_COLUMNS) {
            w = "more than 4096 columns";
            where = i;
            goto fail;
        }
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            dbx__delta_coldef *nd = dbx__realloc(defs, ncap * sizeof *nd);
            if (!nd) {
                rc = -2;
                goto fail;
            }
            defs = nd;
            cap = ncap;
        }
        dbx__delta_coldef *d = &defs[count];
        memset(d, 0, sizeof *d);
        count++;
        /* name */
        size_t start = i;
        dbx__buf_clear(&tmp);
        if (i < len && s[i] == '`') {
            i++;
            for (;;) {
                if (i >= len) {
                    w = "an unterminated backtick";
                    where = start;
                    goto fail;
                }
                if (s[i] == '`') {
                    if (i + 1 < len && s[i + 1] == '`') {
                        dbx__buf_putc(&tmp, '`');
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                dbx__buf_putc(&tmp, s[i++]);
            }
        } else {
            while (i < len && bare_byte((unsigned char)s[i]))
                dbx__buf_putc(&tmp, s[i++]);
            if (i == start) {
                w = "expected a column name (bare, or in backticks)";
                where = i;
                goto fail;
            }
        }
        if (tmp.oom) {
            rc = -2;
            goto fail;
        }
        const char *problem = dbx__delta_part_problem(tmp.ptr, tmp.len);
        if (problem) {
            w = problem;
            where = start;
            goto fail;
        }
        if (!(d->name = dbx__buf_detach(&tmp))) {
            rc = -2;
            goto fail;
        }
        /* type: a word, and for DECIMAL an optional (...) */
        i = skip_ws(s, len, i);
        start = i;
        while (i < len && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_'))
            i++;
        size_t j = skip_ws(s, len, i);
        if (i > start && j < len && s[j] == '(') {
            const char *close = memchr(s + j, ')', len - j);
            if (!close || (size_t)(close - s) - start > 40) {
                w = "a type with an unclosed or overlong '('";
                where = j;
                goto fail;
            }
            i = (size_t)(close - s) + 1;
        }
        char type[48];
        if (i == start || i - start >= sizeof type) {
            w = "expected a SQL type";
            where = start;
            goto fail;
        }
        memcpy(type, s + start, i - start);
        type[i - start] = '\0';
        dbx__buf t;
        dbx__buf_init_fixed(&t, d->type, sizeof d->type);
        int trc = dbx__delta_type_canon(&t, type, &problem);
        if (trc == -1) {
            w = problem;
            where = start;
            goto fail;
        }
        if (trc != 0 || t.ptr != d->type) {
            dbx__buf_dispose(&t);
            rc = -2;
            goto fail;
        }
        /* options */
        for (;;) {
            size_t k = skip_ws(s, len, i);
            if (k == i && k < len && s[k] != ',') {
                w = "expected a blank, ',' or the end after the type";
                where = k;
                goto fail;
            }
            i = k;
            if (keyword_at(s, len, i, "NOT")) {
                size_t k2 = skip_ws(s, len, i + 3);
                if (k2 == i + 3 || !keyword_at(s, len, k2, "NULL")) {
                    w = "expected NULL after NOT";
                    where = k2;
                    goto fail;
                }
                if (d->not_null) {
                    w = "NOT NULL given twice";
                    where = i;
                    goto fail;
                }
                d->not_null = 1;
                i = k2 + 4;
            } else if (keyword_at(s, len, i, "COMMENT")) {
                size_t k2 = skip_ws(s, len, i + 7);
                if (d->comment) {
                    w = "COMMENT given twice";
                    where = i;
                    goto fail;
                }
                if (k2 == len || s[k2] != '\'') {
                    w = "expected a '...' string after COMMENT";
                    where = k2;
                    goto fail;
                }
                dbx__buf_clear(&tmp);
                size_t used = dbx__delta_literal_read(&tmp, s + k2, len - k2);
                if (tmp.oom) {
                    rc = -2;
                    goto fail;
                }
                if (!used) {
                    w = "an unterminated or malformed string literal";
                    where = k2;
                    goto fail;
                }
                if (memchr(tmp.ptr ? tmp.ptr : "", 0, tmp.len) || (tmp.ptr && !utf8_ok(tmp.ptr, tmp.len))) {
                    w = "a comment that is not valid UTF-8 or holds NUL";
                    where = k2;
                    goto fail;
                }
                if (!(d->comment = dbx__buf_detach(&tmp))) {
                    rc = -2;
                    goto fail;
                }
                i = k2 + used;
            } else {
                break;
            }
        }
        i = skip_ws(s, len, i);
        if (i == len)
            break;
        if (s[i] != ',') {
            w = "unexpected text (expected ',', NOT NULL, COMMENT or the end)";
            where = i;
            goto fail;
        }
        i = skip_ws(s, len, i + 1);
        if (i == len) {
            w = "a ',' with no column after it";
            where = i;
            goto fail;
        }
    }
    dbx__buf_dispose(&tmp);
    *out = defs;
    *n = count;
    return 0;
fail:
    dbx__buf_dispose(&tmp);
    dbx__delta_coldefs_free(defs, count);
    if (why)
        *why = w ? w : "out of memory";
    if (at)
        *at = where;
    return rc;
}
