/*
 * lib/json: the fast parser must accept exactly what
 * json_loadb(JSON_DECODE_ANY | JSON_ALLOW_NUL) accepts and build equal
 * values. Checked on a hand-picked corpus, on generated documents dumped in
 * several styles, and on random mutations of them. Also the json_util
 * getters that the API files map responses with.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json_util.h"

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static int rndn(int n) { return (int)(rnd() % (uint64_t)n); }

/* Parse with both; returns 1 if they agree. A raw NUL byte is never valid
 * JSON (RFC 8259): jansson sometimes takes one for the end of the input
 * ("6\0" is accepted); the fast parser must always reject it. */
static int agree(const char *text, size_t len, int *accepted)
{
    if (memchr(text, '\0', len)) {
        char err[96];
        json_t *b = dbx__json_parse(text, len, err, sizeof err, NULL);
        if (accepted)
            *accepted = 0;
        if (b) {
            fprintf(stderr, "accepted a raw NUL byte\n");
            json_decref(b);
            return 0;
        }
        return 1;
    }
    json_error_t je;
    json_t *a = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    char err[96];
    size_t pos = 0;
    json_t *b = dbx__json_parse(text, len, err, sizeof err, &pos);
    int ok = (a == NULL) == (b == NULL);
    if (ok && a)
        ok = json_equal(a, b);
    if (!ok) {
        fprintf(stderr, "DISAGREE on %zu bytes: [", len);
        fwrite(text, 1, len < 300 ? len : 300, stderr);
        fprintf(stderr, "]\n  jansson: %s; dbx: %s\n", a ? "ok" : je.text, b ? "ok" : err);
    }
    if (!b)
        assert_true(err[0] != '\0' && pos <= len);
    if (accepted)
        *accepted = a != NULL;
    json_decref(a);
    json_decref(b);
    return ok;
}

static void check(const char *text, int expect_ok)
{
    int acc = -1;
    assert_true(agree(text, strlen(text), &acc));
    if (acc != expect_ok)
        fprintf(stderr, "unexpected %s for: %s\n", acc ? "acceptance" : "rejection", text);
    assert_int_equal(acc, expect_ok);
}

static void test_corpus(void **state)
{
    (void)state;
    static const struct {
        const char *t;
        int ok;
    } cases[] = {
        {"{}", 1}, {"[]", 1}, {" \n\t\r{ } ", 1}, {"0", 1}, {"-0", 1}, {"-0.0", 1}, {"1e5", 1},
        {"1E+5", 1}, {"1e-5", 1}, {"123.456e-7", 1}, {"9223372036854775807", 1},
        {"-9223372036854775808", 1}, {"9223372036854775808", 0}, {"1e400", 0}, {"1e-400", 1},
        {"01", 0}, {"1.", 0}, {".5", 0}, {"+1", 0}, {"-", 0}, {"1e", 0}, {"1e+", 0}, {"--1", 0},
        {"true", 1}, {"false", 1}, {"null", 1}, {"tru", 0}, {"nul", 0}, {"True", 0}, {"nulll", 0},
        {"\"abc\"", 1}, {"\"\"", 1}, {"\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", 1}, {"\"\\u00e9\\u4e2d\"", 1},
        {"\"\\ud83d\\ude00\"", 1}, {"\"\\ud83d\"", 0}, {"\"\\ude00\"", 0}, {"\"\\ud83d\\u0041\"", 0},
        {"\"\\u0000\"", 1}, {"{\"a\\u0000b\":1}", 0}, {"\"\\x41\"", 0}, {"\"\\u12\"", 0}, {"\"\\u12G4\"", 0},
        {"\"abc", 0}, {"\"a\tb\"", 0}, {"\"a\x01\"", 0}, {"\"\xc3\xa9\"", 1}, {"\"\xe4\xb8\xad\"", 1},
        {"\"\xf0\x9f\x98\x80\"", 1}, {"\"\xc3\"", 0}, {"\"\xc0\xaf\"", 0}, {"\"\xe0\x80\xaf\"", 0},
        {"\"\xed\xa0\x80\"", 0}, {"\"\xf4\x90\x80\x80\"", 0}, {"\"\xff\"", 0}, {"\"\x7f\"", 1},
        {"{\"a\":1,\"a\":2}", 1}, {"{\"a\":1,}", 0}, {"[1,]", 0}, {"[,1]", 0}, {"{,}", 0},
        {"{\"a\" 1}", 0}, {"{\"a\":}", 0}, {"{1:2}", 0}, {"[1 2]", 0}, {"[1,2", 0}, {"{\"a\":[1,{\"b\":null}]}", 1},
        {"", 0}, {"   ", 0}, {"{} x", 0}, {"{}{}", 0}, {"\xef\xbb\xbf{}", 0}, {"[\"\\u0041\\u00DF\\u6771\\uD834\\uDD1E\"]", 1},
        {"{\"k\":\"v\",\"n\":{\"x\":[true,false,null,-1.5e3]}}", 1}, {"/* c */{}", 0}, {"NaN", 0}, {"Infinity", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check(cases[i].t, cases[i].ok);
    /* raw NUL bytes: always rejected */
    int acc = 1;
    assert_true(agree("[1]\0", 4, &acc));
    assert_true(agree("\"a\0b\"", 5, &acc));
    assert_true(agree("6\0", 2, &acc));
    assert_int_equal(acc, 0);
}

static void test_depth(void **state)
{
    (void)state;
    size_t n = JSON_PARSER_MAX_DEPTH;
    char *buf = malloc(2 * (n + 2) + 1);
    for (size_t d = n - 1; d <= n + 1; d++) {
        size_t k = 0;
        for (size_t i = 0; i < d; i++)
            buf[k++] = '[';
        for (size_t i = 0; i < d; i++)
            buf[k++] = ']';
        assert_true(agree(buf, k, NULL));
    }
    free(buf);
    /* very deep input is an error, not a stack overflow */
    size_t big = 200000;
    buf = malloc(big);
    memset(buf, '[', big);
    char err[96];
    assert_null(dbx__json_parse(buf, big, err, sizeof err, NULL));
    assert_non_null(strstr(err, "depth"));
    memset(buf, '{', 1);
    free(buf);
}

static json_t *gen_string(void)
{
    char s[64];
    size_t n = 0, len = (size_t)rndn(12);
    for (size_t i = 0; i < len && n < sizeof s - 4; i++) {
        int kind = rndn(10);
        unsigned cp;
        if (kind < 5)
            cp = 0x20 + (unsigned)rndn(0x5f);
        else if (kind < 6)
            cp = (unsigned)rndn(0x20); /* control chars, escaped on output */
        else if (kind < 7)
            cp = '"' + (rndn(2) ? 0 : '\\' - '"');
        else if (kind < 8)
            cp = 0x80 + (unsigned)rndn(0x780);
        else if (kind < 9)
            cp = 0x800 + (unsigned)rndn(0xD000);
        else
            cp = 0x10000 + (unsigned)rndn(0xFFFFF);
        if (cp >= 0xD800 && cp <= 0xDFFF)
            cp = 'x';
        if (cp < 0x80) {
            s[n++] = (char)cp;
        } else if (cp < 0x800) {
            s[n++] = (char)(0xC0 | (cp >> 6));
            s[n++] = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            s[n++] = (char)(0xE0 | (cp >> 12));
            s[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            s[n++] = (char)(0x80 | (cp & 0x3F));
        } else {
            s[n++] = (char)(0xF0 | (cp >> 18));
            s[n++] = (char)(0x80 | ((cp >> 12) & 0x3F));
            s[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            s[n++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    return json_stringn(s, n);
}

static json_t *gen(int depth)
{
    int k = depth > 4 ? rndn(6) : rndn(8);
    switch (k) {
    case 0: return json_null();
    case 1: return json_boolean(rndn(2));
    case 2: {
        int64_t v = (int64_t)rnd();
        if (rndn(2))
            v %= 1000;
        return json_integer((json_int_t)v);
    }
    case 3: {
        double d = (double)(int64_t)rnd() / (double)(1 + rndn(1000000));
        if (rndn(4) == 0)
            d *= 1e200;
        if (rndn(4) == 0)
            d /= 1e200;
        return json_real(d);
    }
    case 4:
    case 5: return gen_string();
    case 6: {
        json_t *a = json_array();
        for (int i = rndn(5); i > 0; i--)
            json_array_append_new(a, gen(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (int i = rndn(5); i > 0; i--) {
            json_t *key = gen_string();
            if (!memchr(json_string_value(key), '\0', json_string_length(key)))
                json_object_setn_new(o, json_string_value(key), json_string_length(key), gen(depth + 1));
            json_decref(key);
        }
        return o;
    }
    }
}

static void test_generated_and_mutated(void **state)
{
    (void)state;
    static const size_t flags[] = {JSON_COMPACT, JSON_INDENT(2), JSON_ENSURE_ASCII, JSON_COMPACT | JSON_ENSURE_ASCII,
                                   JSON_INDENT(1) | JSON_SORT_KEYS};
    static const char interesting[] = "{}[]\",:\\ u0123456789.eE+-tfn\x80\xc3\xff\x00\t\n";
    int accepted_mutants = 0, rejected_mutants = 0;
    for (int iter = 0; iter < 30000; iter++) {
        json_t *doc = gen(0);
        char *text = json_dumps(doc, flags[iter % 5] | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
        assert_non_null(text);
        size_t len = strlen(text);
        int acc = 0;
        assert_true(agree(text, len, &acc));
        assert_true(acc);
        /* the parsed value equals the generated one */
        char err[96];
        json_t *back = dbx__json_parse(text, len, err, sizeof err, NULL);
        assert_true(json_equal(back, doc));
        json_decref(back);
        /* mutants */
        for (int m = 0; m < 4; m++) {
            char *mut = malloc(len + 8);
            memcpy(mut, text, len);
            size_t ml = len;
            for (int edits = 1 + rndn(3); edits > 0; edits--) {
                int op = rndn(4);
                size_t at = ml ? (size_t)rndn((int)ml) : 0;
                char ch = interesting[rndn((int)sizeof interesting - 1)];
                if (op == 0 && ml) {
                    mut[at] = ch;
                } else if (op == 1 && ml) {
                    memmove(mut + at, mut + at + 1, ml - at - 1);
                    ml--;
                } else if (op == 2 && ml + 1 < len + 8) {
                    memmove(mut + at + 1, mut + at, ml - at);
                    mut[at] = ch;
                    ml++;
                } else {
                    ml = at;
                }
            }
            assert_true(agree(mut, ml, &acc));
            if (acc)
                accepted_mutants++;
            else
                rejected_mutants++;
            free(mut);
        }
        free(text);
        json_decref(doc);
    }
    /* the mutations exercised both outcomes */
    assert_true(accepted_mutants > 2500);
    assert_true(rejected_mutants > 25000);
}

static void test_getters(void **state)
{
    (void)state;
    char err[96];
    const char *t = "{\"s\":\"x\",\"i\":42,\"r\":2.0,\"rs\":2.5,\"is\":\"3599\",\"bad\":\"12a\","
                    "\"big\":1e30,\"o\":{\"a\":{\"b\":\"deep\"}},\"n\":null}";
    json_t *j = dbx__json_parse(t, strlen(t), err, sizeof err, NULL);
    assert_non_null(j);
    assert_string_equal(dbx__json_str(j, "s", "-"), "x");
    assert_string_equal(dbx__json_str(j, "i", "-"), "-");
    assert_string_equal(dbx__json_str(j, "missing", "-"), "-");
    assert_null(dbx__json_str(NULL, "s", NULL));
    assert_int_equal(dbx__json_int(j, "i", -1), 42);
    assert_int_equal(dbx__json_int(j, "r", -1), 2);      /* integral real */
    assert_int_equal(dbx__json_int(j, "rs", -1), -1);    /* not integral */
    assert_int_equal(dbx__json_int(j, "is", -1), 3599);  /* Entra sends numbers as strings */
    assert_int_equal(dbx__json_int(j, "bad", -1), -1);
    assert_int_equal(dbx__json_int(j, "big", -1), -1);   /* out of range */
    assert_int_equal(dbx__json_int(j, "n", -1), -1);
    assert_true(dbx__json_real(j, "rs", 0) == 2.5);
    assert_true(dbx__json_real(j, "i", 0) == 42.0);
    assert_true(dbx__json_real(j, "s", -1) == -1);
    assert_string_equal(dbx__json_path_str(j, "o.a.b", "-"), "deep");
    assert_string_equal(dbx__json_path_str(j, "o.a.c", "-"), "-");
    assert_string_equal(dbx__json_path_str(j, "s.x", "-"), "-");
    assert_null(dbx__json_path(j, "o.missing.b"));
    void *_Atomic slot = NULL;
    const char *d1 = dbx__json_cached_dump(json_object_get(j, "o"), &slot);
    const char *d2 = dbx__json_cached_dump(json_object_get(j, "o"), &slot);
    assert_ptr_equal(d1, d2);
    assert_string_equal(d1, "{\"a\":{\"b\":\"deep\"}}");
    free((void *)d1);
    json_decref(j);

    /* response bodies: empty is {}, non-objects and garbage are rejected */
    json_t *o = NULL;
    assert_int_equal(dbx__json_parse_object(&o, NULL, "  \n", 3), DBX_OK);
    assert_int_equal(json_object_size(o), 0);
    json_decref(o);
    assert_int_equal(dbx__json_parse_object(&o, NULL, "[1]", 3), DBX_EBADRESPONSE);
    assert_null(o);
    assert_int_equal(dbx__json_parse_object(&o, NULL, "{\"token\":\"SEKRIT\",", 18), DBX_EBADRESPONSE);
    const dbx_error *e = dbx_client_last_error(NULL);
    assert_non_null(strstr(e->message, "not valid JSON"));
    assert_null(strstr(e->message, "SEKRIT")); /* the quoted snippet is redacted */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_generated_and_mutated),
        cmocka_unit_test(test_getters),
    };
    return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
