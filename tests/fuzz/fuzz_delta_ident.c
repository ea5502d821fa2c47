/*
 * Fuzz target: the SQL text of the Delta helpers (lib/api/delta_sql.c),
 * the only place where caller text becomes statement text.
 *
 * The first byte chooses the mode, the rest is the input:
 *   0-2  a dotted name with at most 1 + (mode) parts, parsed, validated and
 *        quoted (dbx__delta_name_parse + dbx__delta_put_name);
 *   3    a raw identifier part (a column name) quoted with dbx__delta_put_part;
 *   4    a string literal (dbx__delta_put_literal);
 *   5    a SQL type for the allow-list grammar (dbx__delta_type_canon);
 *   6    a TIMESTAMP AS OF literal check (dbx__delta_timestamp_ok);
 *   7    column definitions in the column-spec grammar (dbx__delta_coldefs_parse).
 *
 * Oracles: no crash / UB / leak. Quoted names: outside backticks only '.'
 * between parts (so no quote, semicolon, comment marker, blank or newline
 * can act as SQL), no control character anywhere, and the output parses
 * back to exactly the same parts. Literals: Spark's unescaping of the
 * literal ends at its last byte and gives back the input. Types: the
 * output is a canonical spelling, accepted again unchanged. Accepted
 * timestamps hold only digits and "-:T .Z+". Column definitions: every
 * accepted one is re-written (dbx__delta_put_coldef) as text holding no
 * control character, which parses back to the same definitions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/delta_internal.h"
#include "fuzz.h"

/* The quoted text is a sequence of `...` parts joined by '.', with every
 * inner backtick doubled and no control character. */
static void check_quoted(const char *q, size_t len, int parts)
{
    size_t i = 0;
    int seen = 0;
    for (;;) {
        if (i >= len || q[i] != '`')
            abort();
        i++;
        for (;;) {
            if (i >= len)
                abort(); /* unterminated */
            unsigned char c = (unsigned char)q[i];
            if (c < 0x20 || c == 0x7F)
                abort();
            if (c == '`') {
                if (i + 1 < len && q[i + 1] == '`') {
                    i += 2;
                    continue;
                }
                i++;
                break;
            }
            i++;
        }
        seen++;
        if (i == len)
            break;
        if (q[i] != '.')
            abort(); /* something outside the quotes */
        i++;
    }
    if (seen != parts)
        abort();
}

static void name_mode(const char *s, size_t n, int max_parts)
{
    dbx__delta_name a, b;
    const char *why = NULL;
    size_t at = 0;
    int rc = dbx__delta_name_parse(&a, s, n, max_parts, &why, &at);
    if (rc == -1) {
        if (!why || !*why || at > n)
            abort();
        return;
    }
    if (rc != 0)
        return; /* OOM */
    if (a.n < 1 || a.n > max_parts)
        abort();
    dbx__buf q = DBX__BUF_INIT;
    if (dbx__delta_put_name(&q, &a) == 0) {
        check_quoted(q.ptr, q.len, a.n);
        if (dbx__delta_name_parse(&b, q.ptr, q.len, max_parts, NULL, NULL) != 0)
            abort();
        if (b.n != a.n)
            abort();
        for (int i = 0; i < a.n; i++) {
            if (strcmp(a.part[i], b.part[i]) != 0)
                abort();
            if (dbx__delta_part_problem(a.part[i], strlen(a.part[i])))
                abort();
        }
        dbx__delta_name_dispose(&b);
    }
    dbx__buf_dispose(&q);
    dbx__delta_name_dispose(&a);
}

static void part_mode(const char *s, size_t n)
{
    if (dbx__delta_part_problem(s, n))
        return;
    if (memchr(s, 0, n))
        abort(); /* a NUL was accepted */
    dbx__buf q = DBX__BUF_INIT;
    if (dbx__delta_put_part(&q, s, n) == 0) {
        check_quoted(q.ptr, q.len, 1);
        dbx__delta_name back;
        if (dbx__delta_name_parse(&back, q.ptr, q.len, 1, NULL, NULL) != 0)
            abort();
        if (back.n != 1 || strlen(back.part[0]) != n || memcmp(back.part[0], s, n) != 0)
            abort();
        dbx__delta_name_dispose(&back);
    }
    dbx__buf_dispose(&q);
}

static void literal_mode(const char *s, size_t n)
{
    dbx__buf q = DBX__BUF_INIT, back = DBX__BUF_INIT;
    if (dbx__delta_put_literal(&q, s, n) == 0) {
        for (size_t i = 0; i < q.len; i++) {
            unsigned char c = (unsigned char)q.ptr[i];
            if (c < 0x20 || c == 0x7F)
                abort(); /* a raw control character (newline) in the text */
        }
        if (dbx__delta_literal_read(&back, q.ptr, q.len) != q.len)
            abort(); /* the literal ends early: the rest would be SQL */
        if (!back.oom && (back.len != n || (n && memcmp(back.ptr, s, n) != 0)))
            abort();
    }
    dbx__buf_dispose(&q);
    dbx__buf_dispose(&back);
}

static void type_mode(const char *s)
{
    dbx__buf t = DBX__BUF_INIT, t2 = DBX__BUF_INIT;
    const char *why = NULL;
    int rc = dbx__delta_type_canon(&t, s, &why);
    if (rc == -1 && (!why || t.len))
        abort();
    if (rc == 0) {
        for (size_t i = 0; i < t.len; i++) {
            char c = t.ptr[i];
            if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '(' || c == ')' || c == ','))
                abort();
        }
        if (dbx__delta_type_canon(&t2, t.ptr, NULL) == 0 && strcmp(t.ptr, t2.ptr) != 0)
            abort();
    }
    dbx__buf_dispose(&t);
    dbx__buf_dispose(&t2);
}

static void coldefs_mode(const char *s, size_t n)
{
    dbx__delta_coldef *a = NULL, *b = NULL;
    size_t na = 0, nb = 0, at = 0;
    const char *why = NULL;
    int rc = dbx__delta_coldefs_parse(&a, &na, s, n, &why, &at);
    if (rc == -1 && (!why || !*why || at > n || a))
        abort();
    if (rc != 0)
        return;
    if (na < 1 || na > DBX__DELTA_MAX_COLUMNS)
        abort();
    dbx__buf t = DBX__BUF_INIT;
    for (size_t i = 0; i < na; i++) {
        if (i)
            dbx__buf_puts(&t, ", ");
        dbx__delta_put_coldef(&t, &a[i]);
        if (dbx__delta_part_problem(a[i].name, strlen(a[i].name)))
            abort();
    }
    if (!t.oom) {
        for (size_t i = 0; i < t.len; i++) {
            unsigned char c = (unsigned char)t.ptr[i];
            if (c < 0x20 || c == 0x7F)
                abort();
        }
        if (dbx__delta_coldefs_parse(&b, &nb, t.ptr, t.len, NULL, NULL) == 0) {
            if (nb != na)
                abort();
            for (size_t i = 0; i < na; i++) {
                if (strcmp(a[i].name, b[i].name) || strcmp(a[i].type, b[i].type) || a[i].not_null != b[i].not_null ||
                    !a[i].comment != !b[i].comment || (a[i].comment && strcmp(a[i].comment, b[i].comment)))
                    abort();
            }
            dbx__delta_coldefs_free(b, nb);
        } else {
            abort(); /* what was written must parse (OOM aside, which the replay never sees) */
        }
    }
    dbx__buf_dispose(&t);
    dbx__delta_coldefs_free(a, na);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    int mode = data[0] % 8;
    char *text = fuzz_text(data + 1, size - 1);
    if (!text)
        return 0;
    size_t n = size - 1;
    switch (mode) {
    case 0:
    case 1:
    case 2: name_mode(text, n, mode + 1); break;
    case 3: part_mode(text, n); break;
    case 4: literal_mode(text, n); break;
    case 5: type_mode(text); break;
    case 7: coldefs_mode(text, n); break;
    default:
        if (dbx__delta_timestamp_ok(text) && text[strspn(text, "0123456789-:T .Z+")] != '\0')
            abort();
        break;
    }
    free(text);
    return 0;
}
