/* The Prometheus text parser of serving /metrics (lib/api/serving_metrics.c): well-formed
 * expositions read back exactly, malformed ones refused with the line named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/serving_internal.h"

static dbx_serving_metrics *parse_ok(const char *text)
{
    dbx_serving_metrics *m = NULL;
    dbx_status st = dbx_serving_metrics_parse(&m, text, strlen(text));
    if (st != DBX_OK)
        fail_msg("parse: %s %s", dbx_status_name(st), dbx_client_last_error(NULL)->message);
    return m;
}

static void test_well_formed(void **state)
{
    (void)state;
    const char *text = "# HELP request_count_total Requests served\n"
                       "# TYPE request_count_total counter\n"
                       "request_count_total{endpoint_name=\"e\",served_entity_name=\"fraud-1\"} 12\n"
                       "request_count_total{endpoint_name=\"e\",served_entity_name=\"fraud-2\",} 3 1700000000000\n"
                       "\n"
                       "# TYPE request_latency_ms histogram\n"
                       "request_latency_ms_bucket{le=\"1\"} 0\n"
                       "request_latency_ms_bucket{le=\"+Inf\"} 5\n"
                       "request_latency_ms_sum 12.5\r\n"
                       "request_latency_ms_count 5\n"
                       "# TYPE g gauge\n"
                       "g{ a = \"x\\\\y\\\"z\\nw\" , b=\"\"}   NaN\n"
                       "g_count +Inf\n"
                       "   untyped_thing -Inf\n"
                       "sci 1.5e-3";
    dbx_serving_metrics *m = parse_ok(text);
    assert_int_equal(dbx_serving_metrics_count(m), 10);
    assert_string_equal(dbx_serving_metrics_name(m, 0), "request_count_total");
    assert_int_equal(dbx_serving_metrics_type(m, 0), DBX_METRIC_COUNTER);
    assert_int_equal(dbx_serving_metrics_label_count(m, 0), 2);
    assert_string_equal(dbx_serving_metrics_label_key(m, 0, 1), "served_entity_name");
    assert_string_equal(dbx_serving_metrics_label_value(m, 0, 1), "fraud-1");
    assert_true(dbx_serving_metrics_value(m, 0) == 12);
    int64_t ts = 0;
    assert_int_equal(dbx_serving_metrics_timestamp(m, 0, &ts), 0);
    assert_int_equal(dbx_serving_metrics_timestamp(m, 1, &ts), 1);
    assert_true(ts == 1700000000000LL);
    assert_int_equal(dbx_serving_metrics_type(m, 2), DBX_METRIC_HISTOGRAM);
    assert_string_equal(dbx_serving_metrics_label(m, 3, "le"), "+Inf");
    assert_int_equal(dbx_serving_metrics_type(m, 4), DBX_METRIC_HISTOGRAM); /* _sum */
    assert_true(dbx_serving_metrics_value(m, 4) == 12.5);
    assert_int_equal(dbx_serving_metrics_type(m, 5), DBX_METRIC_HISTOGRAM); /* _count */
    assert_int_equal(dbx_serving_metrics_type(m, 6), DBX_METRIC_GAUGE);
    assert_string_equal(dbx_serving_metrics_label(m, 6, "a"), "x\\y\"z\nw");
    assert_string_equal(dbx_serving_metrics_label(m, 6, "b"), "");
    assert_null(dbx_serving_metrics_label(m, 6, "c"));
    assert_true(isnan(dbx_serving_metrics_value(m, 6)));
    assert_int_equal(dbx_serving_metrics_type(m, 7), DBX_METRIC_UNTYPED); /* a gauge has no _count */
    assert_true(isinf(dbx_serving_metrics_value(m, 7)) && dbx_serving_metrics_value(m, 7) > 0);
    assert_true(isinf(dbx_serving_metrics_value(m, 8)) && dbx_serving_metrics_value(m, 8) < 0);
    /* find and sum */
    assert_int_equal(dbx_serving_metrics_find(m, "request_count_total", "served_entity_name", "fraud-2"), 1);
    assert_int_equal(dbx_serving_metrics_find(m, "request_count_total", "served_entity_name", NULL), 0);
    assert_int_equal(dbx_serving_metrics_find(m, "request_count_total", "nope", NULL), -1);
    assert_int_equal(dbx_serving_metrics_find(m, "absent", NULL, NULL), -1);
    assert_true(dbx_serving_metrics_sum(m, "request_count_total", NULL, NULL) == 15);
    assert_true(dbx_serving_metrics_sum(m, "request_count_total", "endpoint_name", "e") == 15);
    assert_true(dbx_serving_metrics_sum(m, "absent", NULL, NULL) == 0);
    /* out of range */
    assert_string_equal(dbx_serving_metrics_name(m, 99), "");
    assert_true(isnan(dbx_serving_metrics_value(m, 99)));
    assert_string_equal(dbx_serving_metrics_label_key(m, 0, 9), "");
    assert_string_equal(dbx_metric_type_name(DBX_METRIC_SUMMARY), "summary");
    assert_string_equal(dbx_metric_type_name((dbx_metric_type)42), "untyped");
    dbx_serving_metrics_free(m);
    dbx_serving_metrics_free(NULL);
    assert_int_equal(dbx_serving_metrics_count(NULL), 0);

    /* empty text, only comments: no samples */
    m = parse_ok("");
    assert_int_equal(dbx_serving_metrics_count(m), 0);
    dbx_serving_metrics_free(m);
    m = parse_ok("# just a comment\n\n#\n");
    assert_int_equal(dbx_serving_metrics_count(m), 0);
    dbx_serving_metrics_free(m);
}

static void expect_bad(const char *text, size_t len, const char *line, const char *why)
{
    dbx_serving_metrics *m = (dbx_serving_metrics *)1;
    dbx_status st = dbx_serving_metrics_parse(&m, text, len);
    const char *msg = dbx_client_last_error(NULL)->message;
    if (st != DBX_EBADRESPONSE || m != NULL || !strstr(msg, line) || !strstr(msg, why))
        fail_msg("%s: %s \"%s\"; want DBX_EBADRESPONSE with \"%s\" and \"%s\"", text, dbx_status_name(st), msg, line,
                 why);
}

static void test_malformed(void **state)
{
    (void)state;
#define BAD(t, line, why) expect_bad((t), strlen(t), (line), (why))
    BAD("a 1\nb{x=\"1} 2\n", "line 2", "unterminated label value");
    BAD("a{x=\"\\t\"} 1", "line 1", "unknown escape");
    BAD("a{x=1} 1", "line 1", "not quoted");
    BAD("a{x} 1", "line 1", "without '='");
    BAD("a{1x=\"v\"} 1", "line 1", "bad label name");
    BAD("a{x=\"v\" y=\"w\"} 1", "line 1", "separated");
    BAD("a{x=\"v\",x=\"w\"} 1", "line 1", "twice");
    BAD("a{x=\"v\"", "line 1", "closing");
    BAD("a{x=\"v\" 1", "line 1", "separated");
    BAD("a{x=\"v\"} ", "line 1", "not a number");
    BAD("a", "line 1", "without a value");
    BAD("a 1x", "line 1", "not a number");
    BAD("a 0x10", "line 1", "not a number");
    BAD("a nan", "line 1", "not a number");
    BAD("a 1 2.5", "line 1", "timestamp");
    BAD("a 1 2 3", "line 1", "timestamp");
    BAD("a-b 1", "line 1", "bad character");
    BAD("\n\n9a 1", "line 3", "neither a metric name");
    BAD("{x=\"v\"} 1", "line 1", "neither a metric name");
    BAD("# TYPE a wobbly\n", "line 1", "unknown metric type");
    BAD("# TYPE\n", "line 1", "without a metric name");
    BAD("# TYPE a counter extra\n", "line 1", "trailing text");
    expect_bad("a 1\nb\0 2\n", 9, "line 2", "NUL");
    /* a line over 64 KiB */
    size_t n = 70 * 1024;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'a', n);
    big[n - 2] = ' ';
    big[n - 1] = '1';
    big[n] = '\0';
    BAD(big, "line 1", "longer than 64 KiB");
    /* 65 labels */
    char *many = malloc(65 * 12 + 16);
    assert_non_null(many);
    size_t o = (size_t)sprintf(many, "a{");
    for (int i = 0; i < 65; i++)
        o += (size_t)sprintf(many + o, "l%d=\"v\",", i);
    sprintf(many + o, "} 1");
    BAD(many, "line 1", "more than 64 labels");
    many[0] = 'a';
    free(many);
    free(big);
    /* NULL arguments */
    dbx_serving_metrics *m = NULL;
    assert_int_equal(dbx_serving_metrics_parse(&m, NULL, 0), DBX_EINVAL);
    assert_int_equal(dbx_serving_metrics_parse(NULL, "a 1", 3), DBX_EINVAL);
    /* not NUL-terminated: only len bytes are read */
    m = NULL;
    assert_int_equal(dbx_serving_metrics_parse(&m, "a 12 junk", 4), DBX_OK);
    assert_true(dbx_serving_metrics_value(m, 0) == 12);
    dbx_serving_metrics_free(m);
#undef BAD
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_well_formed),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
