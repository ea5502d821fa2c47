/*
 * Unit tests for base64 (lib/core/base64.c): RFC 4648 vectors, round trips
 * of every length, strictness on server input, OpenSSL as the oracle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

static void rfc4648_vectors(void **state)
{
    (void)state;
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        dbx__buf b = DBX__BUF_INIT;
        assert_int_equal(dbx__b64_encode(&b, plain[i], strlen(plain[i])), 0);
        assert_string_equal(b.ptr, coded[i]);
        assert_int_equal(dbx__b64_encoded_len(strlen(plain[i])), strlen(coded[i]));
        dbx__buf_clear(&b);
        assert_int_equal(dbx__b64_decode(&b, coded[i], strlen(coded[i]), NULL), 0);
        assert_int_equal(b.len, strlen(plain[i]));
        assert_memory_equal(b.ptr ? b.ptr : "", plain[i], b.len);
        /* unpadded is accepted too */
        dbx__buf_clear(&b);
        size_t n = strcspn(coded[i], "=");
        assert_int_equal(dbx__b64_decode(&b, coded[i], n, NULL), 0);
        assert_int_equal(b.len, strlen(plain[i]));
        dbx__buf_dispose(&b);
    }
}

static void round_trips_match_openssl(void **state)
{
    (void)state;
    unsigned char data[1100];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 131 + 7);
    unsigned char ref[1500];
    for (size_t n = 0; n <= sizeof data; n += (n < 64 ? 1 : 37)) {
        dbx__buf b = DBX__BUF_INIT, d = DBX__BUF_INIT;
        assert_int_equal(dbx__b64_encode(&b, data, n), 0);
        int rn = EVP_EncodeBlock(ref, data, (int)n);
        assert_int_equal((size_t)rn, b.len);
        assert_memory_equal(ref, b.ptr, b.len);
        assert_int_equal(dbx__b64_decode(&d, b.ptr, b.len, NULL), 0);
        assert_int_equal(d.len, n);
        if (n)
            assert_memory_equal(d.ptr, data, n);
        dbx__buf_dispose(&b);
        dbx__buf_dispose(&d);
    }
}

static void appends_to_existing_content(void **state)
{
    (void)state;
    dbx__buf b = DBX__BUF_INIT;
    dbx__buf_puts(&b, "{\"data\":\"");
    dbx__b64_encode(&b, "hi", 2);
    dbx__buf_puts(&b, "\"}");
    assert_string_equal(b.ptr, "{\"data\":\"aGk=\"}");
    dbx__buf_clear(&b);
    dbx__buf_puts(&b, "x");
    assert_int_equal(dbx__b64_decode(&b, "aGk=", 4, NULL), 0);
    assert_string_equal(b.ptr, "xhi");
    dbx__buf_dispose(&b);
}

static void rejects_bad_input(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t pos;
    } bad[] = {
        {"Zg=a", 3},     /* data after padding */
        {"Z===", 1},     /* padding after one sextet */
        {"Zg", 2 + 100}, /* (valid, checked below) */
        {"Zh==", 4},     /* non-zero dropped bits */
        {"Zm9=", 4},     /* non-zero dropped bits (3 sextets) */
        {"Zg=", 3},      /* incomplete padding */
        {"Z", 1},        /* a lone sextet */
        {"Zm9v Zg==", 4},/* a blank */
        {"Zm9v-_==", 4}, /* the URL-safe alphabet */
        {"Zm9vYg===", 8},/* too much padding */
        {"====", 0},
        {"Zg==Zg==", 4}, /* concatenated quanta */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        dbx__buf b = DBX__BUF_INIT;
        dbx__buf_puts(&b, "keep");
        size_t pos = 999;
        int rc = dbx__b64_decode(&b, bad[i].text, strlen(bad[i].text), &pos);
        if (bad[i].pos > 100) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, -2);
            assert_int_equal(pos, bad[i].pos);
            assert_int_equal(b.len, 4); /* nothing appended */
            assert_string_equal(b.ptr, "keep");
        }
        dbx__buf_dispose(&b);
    }
    /* CR and LF (MIME line wrapping) are skipped */
    dbx__buf b = DBX__BUF_INIT;
    assert_int_equal(dbx__b64_decode(&b, "Zm9v\r\nYmFy\n", 11, NULL), 0);
    assert_string_equal(b.ptr, "foobar");
    dbx__buf_dispose(&b);
}

static void out_of_memory(void **state)
{
    (void)state;
    dbx__buf b = DBX__BUF_INIT;
    dbx__alloc_fail_after(1);
    assert_int_equal(dbx__b64_encode(&b, "abc", 3), -1);
    assert_true(b.oom);
    dbx__buf_dispose(&b);
    dbx__buf d = DBX__BUF_INIT;
    dbx__alloc_fail_after(1);
    assert_int_equal(dbx__b64_decode(&d, "YWJj", 4, NULL), -1);
    dbx__alloc_fail_after(0);
    dbx__buf_dispose(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc4648_vectors),
        cmocka_unit_test(round_trips_match_openssl),
        cmocka_unit_test(appends_to_existing_content),
        cmocka_unit_test(rejects_bad_input),
        cmocka_unit_test(out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
