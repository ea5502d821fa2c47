/*
 * Unit tests for the SQL text of the Delta helpers (lib/api/delta_sql.c):
 * identifier parsing, validation and quoting, the string-literal escaper
 * (checked against Spark's unescaping rules), the SQL type allow-list and
 * the TIMESTAMP AS OF literal check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "api/delta_internal.h"

static char *quote_name(const char *s, int max_parts, const char **why)
{
    dbx__delta_name n;
    size_t at = 0;
    if (dbx__delta_name_parse(&n, s, strlen(s), max_parts, why, &at) != 0)
        return NULL;
    dbx__buf b = DBX__BUF_INIT;
    assert_int_equal(dbx__delta_put_name(&b, &n), 0);
    dbx__delta_name_dispose(&n);
    return dbx__buf_detach(&b);
}

static void names_quote(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"t", "`t`"},
        {"main.default.t", "`main`.`default`.`t`"},
        {"s.t", "`s`.`t`"},
        {"`my-table`", "`my-table`"},
        {"`a``b`", "`a``b`"},
        {"c.`x.y`.t", "`c`.`x.y`.`t`"},
        {"`x; DROP TABLE y --`", "`x; DROP TABLE y --`"},
        {"caf\xc3\xa9.\xe8\xa1\xa8", "`caf\xc3\xa9`.`\xe8\xa1\xa8`"},
        {"``````", "``````"}, /* a name made of two backticks */
        {"_1", "`_1`"},
        {"`a b`", "`a b`"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *why = NULL;
        char *q = quote_name(cases[i][0], 3, &why);
        if (!q)
            fail_msg("%s rejected: %s", cases[i][0], why);
        assert_string_equal(q, cases[i][1]);
        dbx__free(q);
    }
}

static void names_rejected(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        ".",
        "a.",
        ".a",
        "a..b",
        "a.b.c.d",                 /* four parts */
        "x; DROP TABLE y",         /* bare special characters need quoting */
        "a b",
        "a-b",
        "t--",
        "t/*",
        "a'b",
        "a\"b",
        "`unterminated",
        "`a`b",                    /* text after a closing backtick */
        "`a`.",
        "``",                      /* empty quoted part */
        "`a\nb`",                  /* control characters, even quoted */
        "`a\tb`",
        "`a\x7f`",
        "`a\xc2\x85`",             /* C1 NEL */
        "`a\xe2\x80\xae`",         /* U+202E right-to-left override */
        "`a\xe2\x80\xa8`",         /* U+2028 */
        "`\xef\xbb\xbf`",          /* BOM */
        "`a\xff`",                 /* invalid UTF-8 */
        "`\xc0\xaf`",              /* overlong '/' */
        "`\xed\xa0\x80`",          /* surrogate */
        "\xf4\x90\x80\x80",        /* > U+10FFFF */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = NULL;
        char *q = quote_name(bad[i], 3, &why);
        if (q)
            fail_msg("case %zu accepted as %s", i, q);
        assert_non_null(why);
    }
    /* max_parts */
    const char *why = NULL;
    assert_null(quote_name("a.b", 1, &why));
    char *q = quote_name("`a.b`", 1, &why);
    assert_string_equal(q, "`a.b`");
    dbx__free(q);
    /* a NUL inside the given length is rejected */
    dbx__delta_name n;
    assert_int_equal(dbx__delta_name_parse(&n, "`a\0b`", 5, 3, &why, NULL), -1);
}

static void length_bounds(void **state)
{
    (void)state;
    char name[600];
    memset(name, 'a', 255);
    name[255] = '\0';
    assert_null(dbx__delta_part_problem(name, 255));
    name[255] = 'a';
    name[256] = '\0';
    assert_non_null(dbx__delta_part_problem(name, 256));
    /* 255 two-byte characters are fine: the bound counts characters */
    for (int i = 0; i < 255; i++) {
        name[2 * i] = (char)0xc3;
        name[2 * i + 1] = (char)0xa9;
    }
    assert_null(dbx__delta_part_problem(name, 510));
    name[510] = (char)0xc3;
    name[511] = (char)0xa9;
    assert_non_null(dbx__delta_part_problem(name, 512));
}

/* Quoting a raw part and parsing it back gives the same part. */
static void raw_parts_round_trip(void **state)
{
    (void)state;
    static const char *const raw[] = {"a", "`", "``", "a`b", "x; DROP TABLE t; --", "/* c */", "it's",
                                      "\"q\"", "a.b", "caf\xc3\xa9 \xf0\x9f\x98\x80", "\\", "`.`"};
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++) {
        assert_null(dbx__delta_part_problem(raw[i], strlen(raw[i])));
        dbx__buf b = DBX__BUF_INIT;
        assert_int_equal(dbx__delta_put_part(&b, raw[i], strlen(raw[i])), 0);
        dbx__delta_name n;
        assert_int_equal(dbx__delta_name_parse(&n, b.ptr, b.len, 1, NULL, NULL), 0);
        assert_int_equal(n.n, 1);
        assert_string_equal(n.part[0], raw[i]);
        dbx__delta_name_dispose(&n);
        dbx__buf_dispose(&b);
    }
}

static void literals(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"", "''"},
        {"plain", "'plain'"},
        {"it's", "'it\\'s'"},
        {"a\\b", "'a\\\\b'"},
        {"\\'", "'\\\\\\''"},
        {"x'; DROP TABLE t; --", "'x\\'; DROP TABLE t; --'"},
        {"l1\nl2\r\t", "'l1\\nl2\\r\\t'"},
        {"\x01\x1f\x7f", "'\\u0001\\u001F\\u007F'"},
        {"caf\xc3\xa9", "'caf\xc3\xa9'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dbx__buf b = DBX__BUF_INIT;
        assert_int_equal(dbx__delta_put_literal(&b, cases[i][0], strlen(cases[i][0])), 0);
        assert_string_equal(b.ptr, cases[i][1]);
        /* Spark's unescaping gives back the input, and the literal ends
         * exactly at its last byte (nothing escapes it). */
        dbx__buf back = DBX__BUF_INIT;
        assert_int_equal(dbx__delta_literal_read(&back, b.ptr, b.len), b.len);
        assert_int_equal(back.len, strlen(cases[i][0]));
        if (back.len)
            assert_memory_equal(back.ptr, cases[i][0], back.len);
        dbx__buf_dispose(&back);
        dbx__buf_dispose(&b);
    }
    /* every byte value 1..255 round-trips */
    char all[256];
    for (int i = 1; i < 256; i++)
        all[i - 1] = (char)i;
    dbx__buf b = DBX__BUF_INIT, back = DBX__BUF_INIT;
    dbx__delta_put_literal(&b, all, 255);
    assert_int_equal(dbx__delta_literal_read(&back, b.ptr, b.len), b.len);
    assert_int_equal(back.len, 255);
    assert_memory_equal(back.ptr, all, 255);
    dbx__buf_dispose(&back);
    dbx__buf_dispose(&b);
}

static void types(void **state)
{
    (void)state;
    static const char *const ok[][2] = {
        {"BOOLEAN", "BOOLEAN"},       {"boolean", "BOOLEAN"},         {"TinyInt", "TINYINT"},
        {"byte", "TINYINT"},          {"SMALLINT", "SMALLINT"},       {"short", "SMALLINT"},
        {"int", "INT"},               {"INTEGER", "INT"},             {"bigint", "BIGINT"},
        {"LONG", "BIGINT"},           {"float", "FLOAT"},             {"REAL", "FLOAT"},
        {"double", "DOUBLE"},         {"string", "STRING"},           {"DATE", "DATE"},
        {"timestamp", "TIMESTAMP"},   {"TIMESTAMP_NTZ", "TIMESTAMP_NTZ"}, {"binary", "BINARY"},
        {"decimal", "DECIMAL(10,0)"}, {"DECIMAL(10,2)", "DECIMAL(10,2)"}, {" decimal ( 38 , 38 ) ", "DECIMAL(38,38)"},
        {"dec(5)", "DECIMAL(5,0)"},   {"NUMERIC(1,0)", "DECIMAL(1,0)"}, {"\tINT\t", "INT"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        dbx__buf b = DBX__BUF_INIT;
        const char *why = NULL;
        if (dbx__delta_type_canon(&b, ok[i][0], &why) != 0)
            fail_msg("%s rejected: %s", ok[i][0], why);
        assert_string_equal(b.ptr, ok[i][1]);
        dbx__buf_dispose(&b);
    }
    static const char *const bad[] = {
        "",        "   ",           "VARCHAR(10)",      "ARRAY<INT>",   "STRUCT<a:INT>",   "MAP<STRING,INT>",
        "INT,",    "INT NOT NULL",  "INT) ; DROP",      "STRING --",    "STRING/*",        "DECIMAL(0,0)",
        "DECIMAL(39,0)", "DECIMAL(5,6)", "DECIMAL(-1,0)", "DECIMAL(10,2", "DECIMAL(,2)",  "DECIMAL(100,2)",
        "DECIMAL(1 0,2)", "DECIMAL()", "INT(10)",        "STRINGS",      "TIMESTAMP_LTZX", "VOID",
        "INTERVAL DAY", "\xc3\xa9",     "INT\n",            "DECIMAL(10,2)x", "DOUBLE PRECISION",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dbx__buf b = DBX__BUF_INIT;
        const char *why = NULL;
        if (dbx__delta_type_canon(&b, bad[i], &why) == 0)
            fail_msg("%s accepted as %s", bad[i], b.ptr);
        assert_non_null(why);
        assert_int_equal(b.len, 0);
        dbx__buf_dispose(&b);
    }
    const char *why = NULL;
    dbx__buf b = DBX__BUF_INIT;
    assert_int_equal(dbx__delta_type_canon(&b, NULL, &why), -1);
}

static void timestamps(void **state)
{
    (void)state;
    static const char *const ok[] = {"2024-01-31", "2024-01-31 12:30", "2024-01-31T12:30:59", "2024-01-31 12:30:59.123",
                                     "2024-01-31T12:30:59.123456Z", "2024-01-31T12:30:59+02:00", "2024-01-31 12:30-05:30"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_true(dbx__delta_timestamp_ok(ok[i]));
    static const char *const bad[] = {"",           "2024",          "2024-1-31",          "2024-01-31x",
                                      "2024-01-31 ", "2024-01-31 1:00", "2024-01-31 12:30:5", "2024-01-31 12:30:59.",
                                      "2024-01-31' OR '1'='1", "2024-01-31T12:30Z ", "2024-01-31T12:30+2", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(dbx__delta_timestamp_ok(bad[i]));
}

static char *coldefs_text(const char *spec, const char **why, size_t *at)
{
    dbx__delta_coldef *d = NULL;
    size_t n = 0;
    if (dbx__delta_coldefs_parse(&d, &n, spec, strlen(spec), why, at) != 0)
        return NULL;
    dbx__buf b = DBX__BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (i)
            dbx__buf_puts(&b, ", ");
        assert_int_equal(dbx__delta_put_coldef(&b, &d[i]), 0);
    }
    dbx__delta_coldefs_free(d, n);
    return dbx__buf_detach(&b);
}

static void column_specs(void **state)
{
    (void)state;
    static const char *const ok[][2] = {
        {"id bigint", "`id` BIGINT"},
        {"id BIGINT NOT NULL, name string", "`id` BIGINT NOT NULL, `name` STRING"},
        {"  a int not null comment 'k' ,b decimal( 10 , 2 )comment'x'", NULL}, /* no blank before comment: error */
        {"a INT COMMENT 'it\\'s' NOT NULL", "`a` INT NOT NULL COMMENT 'it\\'s'"},
        {"`first name` STRING COMMENT 'a, b'", "`first name` STRING COMMENT 'a, b'"},
        {"`a``b` DATE,\n\tc TIMESTAMP_NTZ\n", "`a``b` DATE, `c` TIMESTAMP_NTZ"},
        {"`x; DROP TABLE t; --` BOOLEAN", "`x; DROP TABLE t; --` BOOLEAN"},
        {"d DECIMAL(38,0), e dec, f numeric(5)", "`d` DECIMAL(38,0), `e` DECIMAL(10,0), `f` DECIMAL(5,0)"},
        {"caf\xc3\xa9 STRING COMMENT 'line\\nbreak \\u0041'", "`caf\xc3\xa9` STRING COMMENT 'line\\nbreak A'"},
        {"n NOT NULL", NULL}, /* NOT is not a type */
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        const char *why = NULL;
        size_t at = 0;
        char *t = coldefs_text(ok[i][0], &why, &at);
        if (!ok[i][1]) {
            if (t)
                fail_msg("case %zu accepted as %s", i, t);
            continue;
        }
        if (!t)
            fail_msg("case %zu rejected: %s at %zu", i, why, at);
        assert_string_equal(t, ok[i][1]);
        /* what is written parses back to the same text */
        char *t2 = coldefs_text(t, &why, &at);
        assert_non_null(t2);
        assert_string_equal(t2, t);
        dbx__free(t);
        dbx__free(t2);
    }
    static const char *const bad[] = {
        "",
        "   ",
        "id",
        "id ,",
        "id INT,",
        ",id INT",
        "id INT,,b INT",
        "id INT; DROP TABLE t",
        "id INT -- comment",
        "id INT /* c */",
        "id VARCHAR(10)",
        "id INT NOT",
        "id INT NOT NULL NOT NULL",
        "id INT NULL",
        "id INT COMMENT",
        "id INT COMMENT x",
        "id INT COMMENT \"x\"",
        "id INT COMMENT 'unterminated",
        "id INT COMMENT 'a' COMMENT 'b'",
        "id INT COMMENT 'it''s'", /* Spark does not read '' as a quote */
        "id INT COMMENT '\\u0000'",
        "id INT COMMENT '\\uD800'",
        "`id INT",
        "`` INT",
        "`a\nb` INT",
        "a-b INT",
        "id DECIMAL(10,2",
        "id DECIMAL(39)",
        "id INT DEFAULT 1",
        "id INT GENERATED ALWAYS AS (1)",
        "id ARRAY<INT>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = NULL;
        size_t at = 99999;
        char *t = coldefs_text(bad[i], &why, &at);
        if (t)
            fail_msg("bad case %zu (%s) accepted as %s", i, bad[i], t);
        assert_non_null(why);
        assert_true(at <= strlen(bad[i]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_quote),        cmocka_unit_test(names_rejected), cmocka_unit_test(length_bounds),
        cmocka_unit_test(raw_parts_round_trip), cmocka_unit_test(literals),     cmocka_unit_test(types),
        cmocka_unit_test(timestamps),           cmocka_unit_test(column_specs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
