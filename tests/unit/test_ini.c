/*
 * Unit tests for the ~/.databrickscfg INI parser.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"

/* The last parsed INI, freed by teardown if a failing assertion skipped done(). */
static dbx__ini *g_ini;

static void done(dbx__ini *ini)
{
    if (ini == g_ini)
        g_ini = NULL;
    dbx__ini_free(ini);
}

/* Temp file of load_files, removed even when an assertion fails. */
static char g_path[64];

static int teardown(void **state)
{
    (void)state;
    dbx__ini_free(g_ini);
    g_ini = NULL;
    if (g_path[0])
        unlink(g_path);
    g_path[0] = '\0';
    return 0;
}

static dbx__ini *parse_ok(const char *text)
{
    dbx__ini *ini = (dbx__ini *)(uintptr_t)1;
    char err[160] = "";
    int rc = dbx__ini_parse(&ini, text, strlen(text), err, sizeof err);
    if (rc != 0)
        fail_msg("parse failed (%d):%s", rc, err);
    assert_non_null(ini);
    g_ini = ini;
    return ini;
}

static void parse_fail(const char *text, const char *needle)
{
    dbx__ini *ini = (dbx__ini *)(uintptr_t)1;
    char err[160] = "";
    int rc = dbx__ini_parse(&ini, text, strlen(text), err, sizeof err);
    if (rc != -1) {
        dbx__ini_free(rc == 0 ? ini : NULL);
        fail_msg("parse of \"%s\" should fail, rc %d", text, rc);
    }
    assert_null(ini);
    if (!strstr(err, needle))
        fail_msg("error \"%s\" lacks \"%s\"", err, needle);
}

static void sections_and_keys(void **state)
{
    (void)state;
    dbx__ini *ini = parse_ok("[DEFAULT]\n"
                             "host=https://a.cloud.databricks.com\n"
                             "token=dapi1\n"
                             "\n"
                             "[dev]\n"
                             "host=https://dev.cloud.databricks.com\n"
                             "cluster_id=0101-abc\n"
                             "\n"
                             "[ spaced name ]\n"
                             "k=v\n");
    assert_true(dbx__ini_has_section(ini, "DEFAULT"));
    assert_true(dbx__ini_has_section(ini, "dev"));
    assert_true(dbx__ini_has_section(ini, "spaced name"));
    assert_false(dbx__ini_has_section(ini, "prod"));
    assert_false(dbx__ini_has_section(ini, "Dev")); /* section names are case-sensitive */
    assert_string_equal(dbx__ini_get(ini, "DEFAULT", "host"), "https://a.cloud.databricks.com");
    assert_string_equal(dbx__ini_get(ini, "DEFAULT", "token"), "dapi1");
    assert_string_equal(dbx__ini_get(ini, "dev", "host"), "https://dev.cloud.databricks.com");
    assert_string_equal(dbx__ini_get(ini, "dev", "cluster_id"), "0101-abc");
    assert_string_equal(dbx__ini_get(ini, "spaced name", "k"), "v");
    assert_null(dbx__ini_get(ini, "dev", "token")); /* no inheritance here */
    assert_null(dbx__ini_get(ini, "DEFAULT", "cluster_id"));
    assert_null(dbx__ini_get(ini, "prod", "host"));
    assert_null(dbx__ini_get(ini, "dev", "nope"));
    done(ini);
    assert_false(dbx__ini_has_section(NULL, "DEFAULT"));
    assert_null(dbx__ini_get(NULL, "DEFAULT", "host"));
    dbx__ini_free(NULL);
}

static void comments_and_blank_lines(void **state)
{
    (void)state;
    dbx__ini *ini = parse_ok("# a comment\n"
                             "; another comment\n"
                             "   # indented comment\n"
                             "\t; indented too\n"
                             "\n"
                             "   \n"
                             "[p]\n"
                             "# host=https://commented.out\n"
                             "host=https://real\n"
                             ";token=nope\n");
    assert_string_equal(dbx__ini_get(ini, "p", "host"), "https://real");
    assert_null(dbx__ini_get(ini, "p", "token"));
    assert_null(dbx__ini_get(ini, "p", "# host"));
    assert_false(dbx__ini_has_section(ini, "DEFAULT"));
    done(ini);
}

static void keys_before_section_are_default(void **state)
{
    (void)state;
    dbx__ini *ini = parse_ok("host=https://top\n"
                             "token=t0\n"
                             "[dev]\n"
                             "host=https://dev\n"
                             "[DEFAULT]\n"
                             "extra=1\n");
    assert_true(dbx__ini_has_section(ini, "DEFAULT"));
    assert_string_equal(dbx__ini_get(ini, "DEFAULT", "host"), "https://top");
    assert_string_equal(dbx__ini_get(ini, "DEFAULT", "token"), "t0");
    assert_string_equal(dbx__ini_get(ini, "DEFAULT", "extra"), "1");
    assert_string_equal(dbx__ini_get(ini, "dev", "host"), "https://dev");
    done(ini);
}

static void whitespace_and_separators(void **state)
{
    (void)state;
    dbx__ini *ini = parse_ok("[s]\n"
                             "   host   =    https://x.cloud.databricks.com   \n"
                             "\ttoken\t=\tdapi-tab\t\n"
                             "colon: value-c\n"
                             "colon_spaced   :   value-cs  \n"
                             "nospace=v\n"
                             "empty =\n"
                             "empty2 =    \n");
    assert_string_equal(dbx__ini_get(ini, "s", "host"), "https://x.cloud.databricks.com");
    assert_string_equal(dbx__ini_get(ini, "s", "token"), "dapi-tab");
    assert_string_equal(dbx__ini_get(ini, "s", "colon"), "value-c");
    assert_string_equal(dbx__ini_get(ini, "s", "colon_spaced"), "value-cs");
    assert_string_equal(dbx__ini_get(ini, "s", "nospace"), "v");
    assert_string_equal(dbx__ini_get(ini, "s", "empty"), "");
    assert_string_equal(dbx__ini_get(ini, "s", "empty2"), "");
    done(ini);
}

static void values_with_separators(void **state)
{
    (void)state;
    dbx__ini *ini = parse_ok("[s]\n"
                             "host=https://x.cloud.databricks.com:443/?o=123&a=b\n"
                             "token:abc=def==\n"
                             "url:http://h:80/p\n"
                             "b64=dGVzdA==\n"
                             "inline=value # not a comment\n");
    assert_string_equal(dbx__ini_get(ini, "s", "host"), "https://x.cloud.databricks.com:443/?o=123&a=b");
    assert_string_equal(dbx__ini_get(ini, "s", "token"), "abc=def==");
    assert_string_equal(dbx__ini_get(ini, "s", "url"), "http://h:80/p");
    assert_string_equal(dbx__ini_get(ini, "s", "b64"), "dGVzdA==");
    assert_string_equal(dbx__ini_get(ini, "s", "inline"), "value # not a comment");
    done(ini);
}

static void duplicates(void **state)
{
    (void)state;
    dbx__ini *ini = parse_ok("[a]\n"
                             "k=first\n"
                             "k=second\n"
                             "[b]\n"
                             "k=other\n"
                             "[a]\n"
                             "k=third\n"
                             "j=added\n");
    assert_string_equal(dbx__ini_get(ini, "a", "k"), "third");
    assert_string_equal(dbx__ini_get(ini, "a", "j"), "added");
    assert_string_equal(dbx__ini_get(ini, "b", "k"), "other");
    done(ini);
}

static void bom_and_crlf(void **state)
{
    (void)state;
    dbx__ini *ini = parse_ok("\xEF\xBB\xBF[DEFAULT]\r\n"
                             "host=https://bom\r\n"
                             "token=t-crlf\r\n"
                             "\r\n"
                             "[dev]\r\n"
                             "host=https://dev-crlf\r\n");
    assert_true(dbx__ini_has_section(ini, "DEFAULT"));
    assert_string_equal(dbx__ini_get(ini, "DEFAULT", "host"), "https://bom");
    assert_string_equal(dbx__ini_get(ini, "DEFAULT", "token"), "t-crlf");
    assert_string_equal(dbx__ini_get(ini, "dev", "host"), "https://dev-crlf");
    done(ini);

    /* BOM before a key (goes to DEFAULT, key not polluted) */
    ini = parse_ok("\xEF\xBB\xBFhost=h\n");
    assert_string_equal(dbx__ini_get(ini, "DEFAULT", "host"), "h");
    done(ini);

    /* no trailing newline; explicit length shorter than the text */
    ini = parse_ok("[s]\nk=last");
    assert_string_equal(dbx__ini_get(ini, "s", "k"), "last");
    done(ini);
    char err[64];
    const char *text = "a=1\nb=2\n";
    assert_int_equal(dbx__ini_parse(&ini, text, 4, err, sizeof err), 0); /* "a=1\n" */
    assert_string_equal(dbx__ini_get(ini, "DEFAULT", "a"), "1");
    assert_null(dbx__ini_get(ini, "DEFAULT", "b"));
    done(ini);

    /* empty input */
    ini = parse_ok("");
    assert_false(dbx__ini_has_section(ini, "DEFAULT"));
    done(ini);
}

static void errors(void **state)
{
    (void)state;
    parse_fail("[ok]\nk = v\n[unterminated\nx = y\n", "line 3");
    parse_fail("[ok]\nk = v\n[unterminated\nx = y\n", "unterminated section header");
    parse_fail("[bad", "line 1");
    parse_fail("\r\n\r\n[bad\r\n", "line 3");
    parse_fail("[s]\n = value\n", "line 2");
    parse_fail("[s]\n = value\n", "empty key");
    parse_fail("[s]\n: value\n", "empty key");
    parse_fail("[s]\nk = v\njust some words\n", "line 3");
    /* a tiny error buffer is never overrun */
    dbx__ini *ini;
    char err[8];
    memset(err, 'Z', sizeof err);
    assert_int_equal(dbx__ini_parse(&ini, "[x", 2, err, 5), -1);
    assert_int_equal(err[4], '\0');
    assert_int_equal(err[5], 'Z');
}

static void load_files(void **state)
{
    (void)state;
    dbx__ini *ini = (dbx__ini *)(uintptr_t)1;
    char err[160] = "";
    assert_int_equal(dbx__ini_load(&ini, "/nonexistent-dir-dbx/databrickscfg", err, sizeof err), 1);
    assert_null(ini);
    ini = (dbx__ini *)(uintptr_t)1;
    assert_int_equal(dbx__ini_load(&ini, "/etc/passwd/not-a-dir", err, sizeof err), 1); /* ENOTDIR */
    assert_null(ini);

    char *path = g_path;
    snprintf(g_path, sizeof g_path, "/tmp/dbx-test-ini-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "[p]\r\nhost:https://file\r\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    assert_int_equal(dbx__ini_load(&ini, path, err, sizeof err), 0);
    assert_string_equal(dbx__ini_get(ini, "p", "host"), "https://file");
    done(ini);

    /* a parse error from a file */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("[p]\nhost=x\n[oops\n", f);
    fclose(f);
    assert_int_equal(dbx__ini_load(&ini, path, err, sizeof err), -1);
    assert_null(ini);
    assert_non_null(strstr(err, "line 3"));

    /* an empty file */
    f = fopen(path, "w");
    fclose(f);
    assert_int_equal(dbx__ini_load(&ini, path, err, sizeof err), 0);
    assert_non_null(ini);
    assert_false(dbx__ini_has_section(ini, "DEFAULT"));
    done(ini);

    /* a directory is an error, not "missing" */
    assert_int_equal(dbx__ini_load(&ini, "/tmp", err, sizeof err), -1);
    assert_null(ini);
}

/* A huge config is refused quickly, not parsed in quadratic time. */
static void too_many_keys_or_profiles(void **state)
{
    (void)state;
    dbx__buf b = DBX__BUF_INIT;
    for (int i = 0; i < 5000; i++)
        dbx__buf_printf(&b, "k%d = v\n", i);
    dbx__ini *ini = NULL;
    char err[128];
    assert_int_equal(dbx__ini_parse(&ini, b.ptr, b.len, err, sizeof err), -1);
    assert_null(ini);
    assert_non_null(strstr(err, "more than 4096 keys"));
    dbx__buf_clear(&b);
    for (int i = 0; i < 1100; i++)
        dbx__buf_printf(&b, "[p%d]\n", i);
    assert_int_equal(dbx__ini_parse(&ini, b.ptr, b.len, err, sizeof err), -1);
    assert_non_null(strstr(err, "more than 1024 profiles"));
    /* the same key again and again is one entry: fine */
    dbx__buf_clear(&b);
    for (int i = 0; i < 5000; i++)
        dbx__buf_puts(&b, "host = h\n");
    assert_int_equal(dbx__ini_parse(&ini, b.ptr, b.len, err, sizeof err), 0);
    dbx__ini_free(ini);
    dbx__buf_dispose(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(too_many_keys_or_profiles),
        cmocka_unit_test_teardown(sections_and_keys, teardown),
        cmocka_unit_test_teardown(comments_and_blank_lines, teardown),
        cmocka_unit_test_teardown(keys_before_section_are_default, teardown),
        cmocka_unit_test_teardown(whitespace_and_separators, teardown),
        cmocka_unit_test_teardown(values_with_separators, teardown),
        cmocka_unit_test_teardown(duplicates, teardown),
        cmocka_unit_test_teardown(bom_and_crlf, teardown),
        cmocka_unit_test_teardown(errors, teardown),
        cmocka_unit_test_teardown(load_files, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
