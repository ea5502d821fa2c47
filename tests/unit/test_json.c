/*
 * lib/json: the indexer must accept exactly what
 * json_loadb(JSON_DECODE_ANY | JSON_ALLOW_NUL) accepts, its jansson views
 * must equal what jansson builds, and its re-serialised text must read back
 * as the same value. Checked on a hand-picked corpus, on generated
 * documents dumped in several styles, and on random mutations of them.
 * Also the typed getters the API files read responses with, the request
 * serialiser, the non-recursive free, and a 64 KiB thread stack.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json_util.h"

/* The indexer, then its jansson view: NULL when rejected (err, *pos set).
 * Also checks that the re-serialised text reads back as the same value. */
static json_t *idx_parse(const char *text, size_t len, char *err, size_t errlen, size_t *pos)
{
    char *copy = malloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    dbx__jdoc doc;
    dbx__jerr je;
    dbx_status st = dbx__jdoc_parse(&doc, copy, len, 1, &je);
    if (st != DBX_OK) {
        assert_int_equal(st, DBX_EBADRESPONSE);
        if (err)
            snprintf(err, errlen, "%s", je.msg);
        if (pos)
            *pos = je.pos;
        free(copy);
        return NULL;
    }
    json_t *v = dbx__jv_to_jansson(dbx__jdoc_root(&doc));
    assert_non_null(v);
    char *dump = dbx__jv_dump(dbx__jdoc_root(&doc));
    assert_non_null(dump);
    json_error_t e;
    json_t *back = json_loads(dump, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!back || !json_equal(back, v))
        fail_msg("dump does not read back: %s (%s)", dump, back ? "differs" : e.text);
    json_decref(back);
    dbx__free(dump);
    dbx__jdoc_dispose(&doc);
    return v;
}

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
        json_t *b = idx_parse(text, len, err, sizeof err, NULL);
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
    char err[96] = "";
    size_t pos = 0;
    json_t *b = idx_parse(text, len, err, sizeof err, &pos);
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
        {"1e-318", 1}, {"4.9e-324", 1}, {"-2.2250738585072014e-308", 1}, {"1.7976931348623157e308", 1},
        {"1.7976931348623159e308", 0}, {"0.00000000000000000000000000001e330", 1}, {"123456789012345678901234567890.5", 1},
        {"-9223372036854775809", 0}, {"99999999999999999999", 0}, {"[1e99999999999999999999]", 0},
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

static char *nested(size_t d, const char *inner, size_t *len)
{
    size_t il = strlen(inner);
    char *buf = malloc(2 * d + il + 1);
    memset(buf, '[', d);
    memcpy(buf + d, inner, il);
    memset(buf + d + il, ']', d);
    *len = 2 * d + il;
    buf[*len] = '\0';
    return buf;
}

static void test_depth(void **state)
{
    (void)state;
    /* jansson's rule: a value (scalar or container) deeper than 2048 levels */
    size_t n = DBX__JSON_MAX_DEPTH;
    for (size_t d = n - 1; d <= n + 1; d++) {
        size_t len;
        char *buf = nested(d, "", &len);
        assert_true(agree(buf, len, NULL));
        free(buf);
        buf = nested(d, "1", &len);
        assert_true(agree(buf, len, NULL));
        free(buf);
    }
    size_t len;
    char *buf = nested(n, "", &len);
    int acc = 0;
    assert_true(agree(buf, len, &acc));
    assert_true(acc); /* 2048 empty arrays: fine */
    free(buf);
    buf = nested(n, "1", &len);
    assert_true(agree(buf, len, &acc));
    assert_false(acc); /* a scalar at depth 2049: rejected, as jansson does */
    free(buf);
    /* very deep input is an error, not a stack overflow */
    size_t big = 200000;
    buf = malloc(big + 1);
    memset(buf, '[', big);
    buf[big] = '\0';
    char err[96];
    assert_null(idx_parse(buf, big, err, sizeof err, NULL));
    assert_non_null(strstr(err, "depth"));
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
        json_t *back = idx_parse(text, len, err, sizeof err, NULL);
        assert_true(json_equal(back, doc));
        json_decref(back);
        /* the request serialiser writes what jansson reads back equal */
        char *mine = dbx__json_dump(doc);
        assert_non_null(mine);
        json_t *again = json_loads(mine, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        assert_true(json_equal(again, doc));
        json_decref(again);
        dbx__free(mine);
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

static dbx__jdoc parse_ok(const char *t)
{
    dbx__jdoc doc;
    char *copy = dbx__strdup(t);
    assert_int_equal(dbx__jdoc_parse(&doc, copy, strlen(copy), 1, NULL), DBX_OK);
    return doc;
}

static void test_getters(void **state)
{
    (void)state;
    dbx__jdoc doc = parse_ok("{\"s\":\"x\",\"i\":42,\"r\":2.0,\"rs\":2.5,\"is\":\"3599\",\"bad\":\"12a\","
                             "\"big\":1e30,\"o\":{\"a\":{\"b\":\"deep\"}},\"n\":null,\"neg\":\"-7\","
                             "\"lz\":\"007\",\"huge\":\"9223372036854775808\",\"t\":true,\"f\":false,"
                             "\"esc\":\"a\\\"b\\u00e9\\ud83d\\ude00\",\"nul\":\"a\\u0000b\",\"dup\":1,\"dup\":2,"
                             "\"arr\":[1,{\"x\":[]},\"three\"],\"min\":-9223372036854775808}");
    dbx__jv j = dbx__jdoc_root(&doc);
    assert_int_equal(dbx__jv_type(j), DBX__J_OBJECT);
    assert_string_equal(dbx__jv_get_str(j, "s", "-"), "x");
    assert_string_equal(dbx__jv_get_str(j, "i", "-"), "-");
    assert_string_equal(dbx__jv_get_str(j, "missing", "-"), "-");
    assert_null(dbx__jv_get_str(DBX__JV_ABSENT, "s", NULL));
    assert_int_equal(dbx__jv_get_int(j, "i", -1), 42);
    assert_int_equal(dbx__jv_get_int(j, "r", -1), 2);       /* integral real */
    assert_int_equal(dbx__jv_get_int(j, "rs", -1), -1);     /* not integral */
    assert_int_equal(dbx__jv_get_int(j, "is", -1), 3599);   /* int64 sent as a string */
    assert_int_equal(dbx__jv_get_int(j, "neg", -1), -7);
    assert_int_equal(dbx__jv_get_int(j, "lz", -1), -1);
    assert_int_equal(dbx__jv_get_int(j, "huge", -1), -1);
    assert_int_equal(dbx__jv_get_int(j, "bad", -1), -1);
    assert_int_equal(dbx__jv_get_int(j, "big", -1), -1);    /* out of range */
    assert_int_equal(dbx__jv_get_int(j, "n", -1), -1);
    assert_true(dbx__jv_get_int(j, "min", 0) == INT64_MIN);
    assert_true(dbx__jv_get_real(j, "rs", 0) == 2.5);
    assert_true(dbx__jv_get_real(j, "i", 0) == 42.0);
    assert_true(dbx__jv_get_real(j, "s", -1) == -1);
    assert_int_equal(dbx__jv_get_bool(j, "t", -1), 1);
    assert_int_equal(dbx__jv_get_bool(j, "f", -1), 0);
    assert_int_equal(dbx__jv_get_bool(j, "n", -1), -1);
    assert_string_equal(dbx__jv_get_str(j, "esc", "-"), "a\"b\xc3\xa9\xf0\x9f\x98\x80");
    assert_int_equal(dbx__jv_strlen(dbx__jv_get(j, "nul")), 3);
    assert_int_equal(dbx__jv_get_int(j, "dup", -1), 2); /* the last one wins, as in jansson */
    assert_string_equal(dbx__jv_str(dbx__jv_path(j, "o.a.b"), "-"), "deep");
    assert_string_equal(dbx__jv_str(dbx__jv_path(j, "o.a.c"), "-"), "-");
    assert_string_equal(dbx__jv_str(dbx__jv_path(j, "s.x"), "-"), "-");
    assert_false(dbx__jv_present(dbx__jv_path(j, "o.missing.b")));
    dbx__jv arr = dbx__jv_get(j, "arr");
    assert_int_equal(dbx__jv_count(arr), 3);
    assert_int_equal(dbx__jv_count(j), 20);
    dbx__jit it;
    dbx__jv e;
    dbx__jv_iter(arr, &it);
    assert_true(dbx__jit_next(&it, &e, NULL));
    assert_int_equal(dbx__jv_int(e, 0), 1);
    assert_true(dbx__jit_next(&it, &e, NULL));
    assert_int_equal(dbx__jv_type(dbx__jv_get(e, "x")), DBX__J_ARRAY);
    assert_true(dbx__jit_next(&it, &e, NULL));
    assert_string_equal(dbx__jv_str(e, ""), "three");
    assert_false(dbx__jit_next(&it, &e, NULL));
    dbx__jv_iter(dbx__jv_get(j, "o"), &it);
    const char *key = NULL;
    assert_true(dbx__jit_next(&it, &e, &key));
    assert_string_equal(key, "a");
    assert_false(dbx__jit_next(&it, &e, &key));
    dbx__jv_iter(dbx__jv_get(j, "s"), &it); /* a scalar walks nothing */
    assert_false(dbx__jit_next(&it, &e, NULL));
    char *d = dbx__jv_dump(dbx__jv_get(j, "o"));
    assert_string_equal(d, "{\"a\":{\"b\":\"deep\"}}");
    dbx__free(d);
    d = dbx__jv_dump(dbx__jv_get(j, "esc"));
    assert_string_equal(d, "\"a\\\"b\xc3\xa9\xf0\x9f\x98\x80\"");
    dbx__free(d);
    dbx__jdoc_dispose(&doc);

    /* response bodies: empty is {}, non-objects and garbage are rejected */
    dbx__buf b = DBX__BUF_INIT;
    dbx__buf_puts(&b, "  \n");
    assert_int_equal(dbx__jdoc_parse_object(&doc, NULL, &b), DBX_OK);
    assert_int_equal(dbx__jv_count(dbx__jdoc_root(&doc)), 0);
    assert_null(b.ptr); /* the document took the bytes */
    dbx__jdoc_dispose(&doc);
    dbx__buf_puts(&b, "[1]");
    assert_int_equal(dbx__jdoc_parse_object(&doc, NULL, &b), DBX_EBADRESPONSE);
    dbx__buf_clear(&b);
    dbx__buf_puts(&b, "{\"token\":\"SEKRIT\",");
    assert_int_equal(dbx__jdoc_parse_object(&doc, NULL, &b), DBX_EBADRESPONSE);
    const dbx_error *er = dbx_client_last_error(NULL);
    assert_non_null(strstr(er->message, "not valid JSON"));
    assert_null(strstr(er->message, "SEKRIT")); /* the quoted snippet is redacted */
    dbx__buf_dispose(&b);
}

/* Deep values through every path that walks them, on a 64 KiB stack:
 * index, dump, jansson view, deep free, and the request serialiser. */
static void *deep_worker(void *arg)
{
    (void)arg;
    size_t len;
    char *text = nested(DBX__JSON_MAX_DEPTH, "", &len);
    dbx__jdoc doc;
    if (dbx__jdoc_parse(&doc, text, len, 1, NULL) != DBX_OK)
        return (void *)"parse";
    char *d = dbx__jv_dump(dbx__jdoc_root(&doc));
    json_t *j = dbx__jv_to_jansson(dbx__jdoc_root(&doc));
    char *d2 = dbx__json_dump(j);
    int ok = d && d2 && strcmp(d, d2) == 0 && strlen(d) == len;
    dbx__free(d);
    dbx__free(d2);
    dbx__json_decref_deep(j);
    dbx__jdoc_dispose(&doc);
    /* a much deeper jansson tree (caller-built) is freed flat too */
    json_t *root = json_array(), *cur = root;
    for (int i = 0; i < 100000; i++) {
        json_t *next = json_array();
        json_array_append_new(cur, next);
        cur = next;
    }
    dbx__json_decref_deep(root);
    return ok ? NULL : (void *)"mismatch";
}

static void test_small_stack(void **state)
{
    (void)state;
    pthread_attr_t a;
    pthread_attr_init(&a);
    assert_int_equal(pthread_attr_setstacksize(&a, 64 * 1024), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, &a, deep_worker, NULL), 0);
    void *res = (void *)"x";
    pthread_join(t, &res);
    pthread_attr_destroy(&a);
    assert_null(res);
}

/* A failed allocation during indexing is DBX_ENOMEM, never "bad response",
 * and leaves nothing behind (valgrind / ASan check the leaks). */
static void test_oom_is_enomem(void **state)
{
    (void)state;
    /* 2 bytes per token: the token array must grow several times */
    size_t len;
    char *big = malloc(40001);
    big[0] = '[';
    for (size_t i = 0; i < 19999; i++) {
        big[1 + 2 * i] = '1';
        big[2 + 2 * i] = ',';
    }
    big[39999] = '1';
    big[40000] = ']';
    len = 40001;
    char *text = malloc(len + 1);
    for (long n = 1; n <= 8; n++) {
        memcpy(text, big, len);
        text[len] = '\0';
        dbx__jdoc doc;
        dbx__jerr err;
        dbx__alloc_fail_after(n);
        dbx_status st = dbx__jdoc_parse(&doc, text, len, 0, &err);
        dbx__alloc_fail_after(0);
        if (st == DBX_OK) {
            assert_true(n > 1); /* the first allocation is always needed */
            assert_int_equal(dbx__jv_count(dbx__jdoc_root(&doc)), 20000);
            dbx__jdoc_dispose(&doc);
        } else {
            assert_int_equal(st, DBX_ENOMEM);
            assert_non_null(strstr(err.msg, "memory"));
        }
    }
    /* the jansson view and the dumps fail cleanly too */
    dbx__jdoc doc;
    memcpy(text, big, len);
    assert_int_equal(dbx__jdoc_parse(&doc, text, len, 0, NULL), DBX_OK);
    for (long n = 1; n <= 3; n++) {
        dbx__alloc_fail_after(n);
        char *d = dbx__jv_dump(dbx__jdoc_root(&doc));
        dbx__alloc_fail_after(0);
        if (d)
            assert_int_equal(strlen(d), len);
        dbx__free(d);
    }
    dbx__jdoc_dispose(&doc);
    free(text);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_generated_and_mutated),
        cmocka_unit_test(test_getters),
        cmocka_unit_test(test_small_stack),
        cmocka_unit_test(test_oom_is_enomem),
    };
    return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
