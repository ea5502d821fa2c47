/* The migration programs' transaction generator (examples/migration/txgen.c):
 * deterministic, exact sizes, time order, every fraud scenario present. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "txgen.h"

static txgen *make(uint64_t seed, int64_t rows)
{
    txgen_options o = {0};
    o.seed = seed;
    o.rows = rows;
    char err[128];
    txgen *g = txgen_new(&o, err, sizeof err);
    assert_non_null(g);
    return g;
}

static uint64_t digest(uint64_t seed, int64_t rows, int64_t *count, int64_t per[4])
{
    txgen *g = make(seed, rows);
    uint64_t h = 1469598103934665603ull;
    txgen_tx t;
    char line[160];
    int64_t last = -1;
    *count = 0;
    memset(per, 0, 4 * sizeof *per);
    while (txgen_next(g, &t)) {
        assert_int_equal(t.id, *count);
        assert_true(t.epoch_s >= last); /* time order */
        last = t.epoch_s;
        assert_true(t.amount_cents > 0);
        assert_int_equal(t.fraud, t.scenario != 0);
        per[t.scenario]++;
        size_t n = txgen_format(&t, line, sizeof line);
        for (size_t i = 0; i < n; i++)
            h = (h ^ (unsigned char)line[i]) * 1099511628211ull;
        (*count)++;
    }
    txgen_free(g);
    return h;
}

static void same_seed_same_rows_and_scenarios(void **state)
{
    (void)state;
    int64_t n1, n2, n3, p1[4], p2[4], p3[4];
    uint64_t a = digest(7, 20000, &n1, p1), b = digest(7, 20000, &n2, p2), c = digest(8, 20000, &n3, p3);
    assert_int_equal(n1, 20000);
    assert_true(a == b);
    assert_true(a != c);
    for (int s = 1; s <= 3; s++)
        assert_true(p1[s] > 0); /* every scenario occurs */
    int64_t fraud = p1[1] + p1[2] + p1[3];
    assert_true(fraud > 20000 / 200 && fraud < 20000 / 10); /* 0.5 % .. 10 % */
}

static void format_and_dates(void **state)
{
    (void)state;
    char b[20];
    txgen_utc(1767225600, b);
    assert_string_equal(b, "2026-01-01 00:00:00");
    txgen_utc(951868799, b);
    assert_string_equal(b, "2000-02-29 23:59:59");
    txgen_tx t = {12, 1767225600 + 3661, 5, 42, 123405, 1, 3};
    char line[160];
    txgen_format(&t, line, sizeof line);
    assert_string_equal(line, "12,2026-01-01 01:01:01,C000005,T000042,1234.05,1,3");
    txgen *g = make(1, 0);
    assert_int_equal(txgen_next(g, &t), 0);
    txgen_free(g);
    txgen_options o = {0};
    o.days = 5000;
    char err[128];
    assert_null(txgen_new(&o, err, sizeof err));
    assert_non_null(strstr(err, "days"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_rows_and_scenarios),
        cmocka_unit_test(format_and_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
