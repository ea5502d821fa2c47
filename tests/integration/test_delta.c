/*
 * Delta helpers (include/dbx/delta.h) against the emulator over HTTP:
 * every public function, asserting on the statements sent (text and
 * parameters, from the emulator's request log) and on the results read
 * back; hostile strings as values and as identifiers never change the
 * statement; a bronze -> silver -> gold flow (load a CSV, upsert, read a
 * previous version, history).
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

#include "harness.h"

static dbx_client *C;
#define WH "5eedc0ffee000001"
#define STMTS "/api/2.0/sql/statements"
#define VOL "/Volumes/main/default/landing"
#define T "main.default.t"
#define TQ "`main`.`default`.`t`"

static int setup(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_reset(e);
    C = emu_client(e);
    fake_clock_install();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fake_clock_remove();
    dbx_client_free(C);
    C = NULL;
    return 0;
}

static const char *msg(void)
{
    return dbx_client_last_error(C)->message;
}

#define OK(expr)                                                                             \
    do {                                                                                     \
        dbx_status rc_ = (expr);                                                             \
        if (rc_ != DBX_OK)                                                                   \
            fail_msg("%s: %s: %s", #expr, dbx_status_name(rc_), dbx_client_last_error(C)->message); \
    } while (0)

#define OKN(expr)                                                                            \
    do {                                                                                     \
        dbx_status rc_ = (expr);                                                             \
        if (rc_ != DBX_OK)                                                                   \
            fail_msg("%s: %s: %s", #expr, dbx_status_name(rc_), dbx_client_last_error(NULL)->message); \
    } while (0)

/* ---- request log helpers -------------------------------------------------------------- */

static json_t *last_stmt(void)
{
    json_t *r = emu_last_request(emu_get(), STMTS);
    assert_non_null(r);
    return r;
}

static const char *stmt_text(const json_t *req)
{
    const char *s = json_string_value(emu_req_json(req, "statement"));
    assert_non_null(s);
    return s;
}

/* The parameter named `name` of a logged execute request, or NULL. */
static json_t *param(const json_t *req, const char *name)
{
    json_t *ps = emu_req_json(req, "parameters");
    size_t i;
    json_t *p;
    json_array_foreach(ps, i, p)
    {
        if (!strcmp(json_string_value(json_object_get(p, "name")), name))
            return p;
    }
    return NULL;
}

static const char *param_value(const json_t *req, const char *name)
{
    json_t *p = param(req, name);
    assert_non_null(p);
    return json_string_value(json_object_get(p, "value"));
}

static const char *param_type(const json_t *req, const char *name)
{
    json_t *p = param(req, name);
    assert_non_null(p);
    return json_string_value(json_object_get(p, "type"));
}

/* Every execute request's statement text, in order (caller decrefs). */
static json_t *all_stmts(void)
{
    return emu_requests_to(emu_get(), STMTS);
}

/* ---- SQL helpers for checks ------------------------------------------------------------ */

/* Run `sql` and return every row as "v1|v2|...\n" (NULL as "<null>"). */
static char *query(const char *sql)
{
    dbx_sql_statement *st = NULL;
    OK(dbx_sql_run(&st, C, WH, sql, NULL, NULL, NULL));
    dbx_sql_rows *rows = NULL;
    OK(dbx_sql_rows_open(&rows, C, st, NULL));
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    dbx_status rc;
    while ((rc = dbx_sql_rows_next(rows)) == DBX_OK) {
        for (int i = 0; i < dbx_sql_rows_column_count(rows); i++) {
            const char *v = dbx_sql_rows_str(rows, i);
            fprintf(f, "%s%s", i ? "|" : "", v ? v : "<null>");
        }
        fputc('\n', f);
    }
    assert_int_equal(rc, DBX_DONE);
    fclose(f);
    dbx_sql_rows_free(rows);
    dbx_sql_statement_free(st);
    return out;
}

/* Rows of a delta read, as query() prints them. */
static char *read_rows(dbx_sql_rows *rows)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    dbx_status rc;
    while ((rc = dbx_sql_rows_next(rows)) == DBX_OK) {
        for (int i = 0; i < dbx_sql_rows_column_count(rows); i++) {
            const char *v = dbx_sql_rows_str(rows, i);
            fprintf(f, "%s%s", i ? "|" : "", v ? v : "<null>");
        }
        fputc('\n', f);
    }
    assert_int_equal(rc, DBX_DONE);
    fclose(f);
    return out;
}

/* A table t (id BIGINT NOT NULL, name STRING, score DOUBLE). */
static void make_table(const char *name)
{
    dbx_delta_table_spec *spec = NULL;
    OKN(dbx_delta_table_spec_new(&spec));
    OKN(dbx_delta_table_spec_add_column(spec, "id", "BIGINT", 1, NULL));
    OKN(dbx_delta_table_spec_add_column(spec, "name", "STRING", 0, NULL));
    OKN(dbx_delta_table_spec_add_column(spec, "score", "DOUBLE", 0, NULL));
    OK(dbx_delta_create_table(C, WH, name, spec, NULL));
    dbx_delta_table_spec_free(spec);
}

static dbx_delta_rowset *rows3(void)
{
    static const char *const cols[] = {"id", "name", "score"};
    dbx_delta_rowset *rs = NULL;
    OKN(dbx_delta_rowset_new(&rs, cols, 3));
    return rs;
}

static void add_row(dbx_delta_rowset *rs, int64_t id, const char *name, double score)
{
    OKN(dbx_delta_rowset_add_int64(rs, id));
    OKN(dbx_delta_rowset_add_string(rs, name));
    OKN(dbx_delta_rowset_add_double(rs, score));
    OKN(dbx_delta_rowset_end_row(rs));
}

/* ---- quoting --------------------------------------------------------------------------- */

static void test_quote_functions(void **state)
{
    (void)state;
    char *q = NULL;
    OKN(dbx_delta_quote_name(&q, "main.default.t"));
    assert_string_equal(q, "`main`.`default`.`t`");
    dbx_free(q);
    OKN(dbx_delta_quote_name(&q, "c.`we``ird; --`.t"));
    assert_string_equal(q, "`c`.`we``ird; --`.`t`");
    dbx_free(q);
    assert_int_equal(dbx_delta_quote_name(&q, "t; DROP TABLE x"), DBX_EINVAL);
    assert_null(q);
    assert_non_null(strstr(dbx_client_last_error(NULL)->message, "backtick"));
    assert_int_equal(dbx_delta_quote_name(&q, "a.b.c.d"), DBX_EINVAL);
    assert_int_equal(dbx_delta_quote_name(&q, "`t\n`"), DBX_EINVAL);
    assert_int_equal(dbx_delta_quote_name(&q, NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_quote_name(NULL, "t"), DBX_EINVAL);

    OKN(dbx_delta_quote_column(&q, "a`b.c"));
    assert_string_equal(q, "`a``b.c`");
    dbx_free(q);
    assert_int_equal(dbx_delta_quote_column(&q, ""), DBX_EINVAL);
    assert_int_equal(dbx_delta_quote_column(&q, "a\x01"), DBX_EINVAL);

    OKN(dbx_delta_quote_literal(&q, "it's a \\ test\n"));
    assert_string_equal(q, "'it\\'s a \\\\ test\\n'");
    dbx_free(q);
    assert_int_equal(dbx_delta_quote_literal(&q, "\xff"), DBX_EINVAL);
}

/* ---- create ---------------------------------------------------------------------------- */

static void test_spec_to_sql(void **state)
{
    (void)state;
    dbx_delta_table_spec *spec = NULL;
    OKN(dbx_delta_table_spec_new(&spec));
    OKN(dbx_delta_table_spec_add_column(spec, "id", "bigint", 1, "the key"));
    OKN(dbx_delta_table_spec_add_column(spec, "amount", "decimal(10, 2)", 0, NULL));
    OKN(dbx_delta_table_spec_add_column(spec, "day", "DATE", 0, "it's \"the\" day"));
    OKN(dbx_delta_table_spec_add_column(spec, "at", "timestamp_ntz", 0, NULL));
    OKN(dbx_delta_table_spec_add_column(spec, "ok", "Boolean", 0, NULL));
    OKN(dbx_delta_table_spec_add_partition_column(spec, "day"));
    OKN(dbx_delta_table_spec_set_comment(spec, "bronze'; DROP TABLE x; --"));
    OKN(dbx_delta_table_spec_set_property(spec, "delta.appendOnly", "false"));
    OKN(dbx_delta_table_spec_set_property(spec, "team", "risk"));
    OKN(dbx_delta_table_spec_set_property(spec, "delta.appendOnly", "true")); /* replaces */
    OKN(dbx_delta_table_spec_set_if_not_exists(spec, 1));
    char *sql = NULL;
    OKN(dbx_delta_table_spec_to_sql(&sql, spec, "main.default.events"));
    assert_string_equal(sql, "CREATE TABLE IF NOT EXISTS `main`.`default`.`events` ("
                             "`id` BIGINT NOT NULL COMMENT 'the key', `amount` DECIMAL(10,2), "
                             "`day` DATE COMMENT 'it\\'s \"the\" day', `at` TIMESTAMP_NTZ, `ok` BOOLEAN) "
                             "USING DELTA PARTITIONED BY (`day`) COMMENT 'bronze\\'; DROP TABLE x; --' "
                             "TBLPROPERTIES ('delta.appendOnly' = 'true', 'team' = 'risk')");
    dbx_free(sql);

    /* errors, each naming the argument */
    assert_int_equal(dbx_delta_table_spec_add_column(spec, "id", "INT", 0, NULL), DBX_EINVAL); /* twice */
    assert_int_equal(dbx_delta_table_spec_add_column(spec, "x", "VARCHAR(10)", 0, NULL), DBX_EINVAL);
    assert_non_null(strstr(dbx_client_last_error(NULL)->message, "type"));
    assert_int_equal(dbx_delta_table_spec_add_column(spec, "x", "INT); DROP TABLE t; --", 0, NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_table_spec_add_column(spec, "x", "DECIMAL(39,2)", 0, NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_table_spec_add_column(spec, "x\n", "INT", 0, NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_table_spec_add_column(spec, NULL, "INT", 0, NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_table_spec_add_column(spec, "x", "INT", 0, "\xc3"), DBX_EINVAL);
    assert_int_equal(dbx_delta_table_spec_add_column(NULL, "x", "INT", 0, NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_table_spec_set_property(spec, "", "v"), DBX_EINVAL);
    assert_int_equal(dbx_delta_table_spec_set_property(spec, "k", NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_table_spec_add_partition_column(spec, "day"), DBX_EINVAL); /* twice */
    assert_int_equal(dbx_delta_table_spec_to_sql(&sql, spec, "a.b.c.d"), DBX_EINVAL);
    assert_null(sql);
    assert_int_equal(dbx_delta_table_spec_to_sql(&sql, spec, "bad name"), DBX_EINVAL);
    OKN(dbx_delta_table_spec_add_partition_column(spec, "nope"));
    assert_int_equal(dbx_delta_table_spec_to_sql(&sql, spec, "t"), DBX_EINVAL);
    assert_non_null(strstr(dbx_client_last_error(NULL)->message, "partition"));
    dbx_delta_table_spec_free(spec);

    OKN(dbx_delta_table_spec_new(&spec));
    assert_int_equal(dbx_delta_table_spec_to_sql(&sql, spec, "t"), DBX_EINVAL); /* no column */
    dbx_delta_table_spec_free(spec);
    dbx_delta_table_spec_free(NULL);
}

static void test_create_table(void **state)
{
    (void)state;
    dbx_delta_table_spec *spec = NULL;
    OKN(dbx_delta_table_spec_new(&spec));
    OKN(dbx_delta_table_spec_add_column(spec, "id", "BIGINT", 1, "key"));
    OKN(dbx_delta_table_spec_add_column(spec, "amount", "DECIMAL(10,2)", 0, NULL));
    OKN(dbx_delta_table_spec_set_comment(spec, "payments"));
    OKN(dbx_delta_table_spec_set_property(spec, "quality", "bronze"));
    dbx_delta_options o = DBX_DELTA_OPTIONS_INIT;
    o.catalog = "main";
    o.schema = "default";
    OK(dbx_delta_create_table(C, WH, "payments", spec, &o));
    json_t *req = last_stmt();
    assert_string_equal(stmt_text(req),
                        "CREATE TABLE `payments` (`id` BIGINT NOT NULL COMMENT 'key', `amount` DECIMAL(10,2)) "
                        "USING DELTA COMMENT 'payments' TBLPROPERTIES ('quality' = 'bronze')");
    assert_string_equal(json_string_value(emu_req_json(req, "warehouse_id")), WH);
    assert_string_equal(json_string_value(emu_req_json(req, "catalog")), "main");
    assert_string_equal(json_string_value(emu_req_json(req, "schema")), "default");
    assert_null(emu_req_json(req, "parameters"));
    json_decref(req);

    /* The table exists and is empty; creating it again fails, unless IF NOT EXISTS. */
    char *rows = query("SELECT COUNT(*) FROM main.default.payments");
    assert_string_equal(rows, "0\n");
    free(rows);
    assert_int_equal(dbx_delta_create_table(C, WH, "main.default.payments", spec, NULL), DBX_ESTATE);
    OKN(dbx_delta_table_spec_set_if_not_exists(spec, 1));
    OK(dbx_delta_create_table(C, WH, "main.default.payments", spec, NULL));
    req = last_stmt();
    assert_non_null(strstr(stmt_text(req), "CREATE TABLE IF NOT EXISTS `main`.`default`.`payments` ("));
    json_decref(req);

    /* bad arguments: no request */
    size_t before = emu_count(emu_get(), STMTS);
    assert_int_equal(dbx_delta_create_table(C, WH, "x; DROP TABLE payments", spec, NULL), DBX_EINVAL);
    assert_non_null(strstr(msg(), "table"));
    assert_int_equal(dbx_delta_create_table(C, NULL, "t", spec, NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_create_table(C, WH, "t", NULL, NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_create_table(NULL, WH, "t", spec, NULL), DBX_EINVAL);
    dbx_delta_options bad = DBX_DELTA_OPTIONS_INIT;
    bad.max_statement_bytes = 10;
    assert_int_equal(dbx_delta_create_table(C, WH, "t", spec, &bad), DBX_EINVAL);
    bad.max_statement_bytes = 0;
    bad.version = 0;
    assert_int_equal(dbx_delta_create_table(C, WH, "t", spec, &bad), DBX_EINVAL);
    assert_int_equal(emu_count(emu_get(), STMTS), before);
    dbx_delta_table_spec_free(spec);
}

/* ---- append ---------------------------------------------------------------------------- */

static void test_rowset_errors(void **state)
{
    (void)state;
    static const char *const cols[] = {"a", "b"};
    static const char *const dup[] = {"a", "a"};
    static const char *const badcol[] = {"a", "b\r"};
    dbx_delta_rowset *rs = NULL;
    assert_int_equal(dbx_delta_rowset_new(&rs, dup, 2), DBX_EINVAL);
    assert_int_equal(dbx_delta_rowset_new(&rs, badcol, 2), DBX_EINVAL);
    assert_int_equal(dbx_delta_rowset_new(&rs, cols, 0), DBX_EINVAL);
    assert_int_equal(dbx_delta_rowset_new(&rs, NULL, 2), DBX_EINVAL);
    assert_null(rs);
    OKN(dbx_delta_rowset_new(&rs, cols, 2));
    assert_int_equal(dbx_delta_rowset_end_row(rs), DBX_EINVAL); /* no values */
    OKN(dbx_delta_rowset_add_int64(rs, 1));
    assert_int_equal(dbx_delta_rowset_end_row(rs), DBX_EINVAL); /* one value of two */
    assert_int_equal(dbx_delta_rowset_add_double(rs, 1.0 / 0.0), DBX_EINVAL);
    assert_int_equal(dbx_delta_rowset_add_string(rs, "\xc3("), DBX_EINVAL);
    assert_int_equal(dbx_delta_rowset_add_value(rs, "1", "ARRAY<INT>"), DBX_EINVAL);
    OKN(dbx_delta_rowset_add_value(rs, "1.50", "decimal(5,2)"));
    assert_int_equal(dbx_delta_rowset_add_null(rs), DBX_EINVAL); /* a third value */
    OKN(dbx_delta_rowset_end_row(rs));
    assert_int_equal(dbx_delta_rowset_count(rs), 1);
    OKN(dbx_delta_rowset_add_null(rs)); /* an open row is not counted */
    assert_int_equal(dbx_delta_rowset_count(rs), 1);
    dbx_delta_rowset_clear(rs);
    assert_int_equal(dbx_delta_rowset_count(rs), 0);
    dbx_delta_rowset_free(rs);
    dbx_delta_rowset_free(NULL);
    assert_int_equal(dbx_delta_rowset_add_null(NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_rowset_count(NULL), 0);
}

static void test_append_batches(void **state)
{
    (void)state;
    make_table(T);
    dbx_delta_rowset *rs = rows3();
    for (int i = 0; i < 7; i++) {
        char name[16];
        snprintf(name, sizeof name, "n%d", i);
        add_row(rs, i, name, i + 0.5);
    }
    OKN(dbx_delta_rowset_add_int64(rs, 99)); /* an open row: not sent */
    emu_clear_requests(emu_get());
    dbx_delta_options o = DBX_DELTA_OPTIONS_INIT;
    o.batch_rows = 3;
    int64_t written = -5;
    OK(dbx_delta_append(&written, C, WH, T, rs, &o));
    assert_int_equal(written, 7);
    json_t *reqs = all_stmts();
    assert_int_equal(json_array_size(reqs), 3); /* 3 + 3 + 1 */
    const json_t *r0 = json_array_get(reqs, 0), *r2 = json_array_get(reqs, 2);
    assert_string_equal(stmt_text(r0), "INSERT INTO " TQ " (`id`, `name`, `score`) VALUES "
                                       "(:p0, :p1, :p2), (:p3, :p4, :p5), (:p6, :p7, :p8)");
    assert_string_equal(stmt_text(r2), "INSERT INTO " TQ " (`id`, `name`, `score`) VALUES (:p0, :p1, :p2)");
    assert_int_equal(json_array_size(emu_req_json(r0, "parameters")), 9);
    assert_string_equal(param_value(r0, "p3"), "1");
    assert_string_equal(param_type(r0, "p3"), "BIGINT");
    assert_string_equal(param_value(r0, "p4"), "n1");
    assert_string_equal(param_type(r0, "p4"), "STRING");
    assert_string_equal(param_value(r0, "p5"), "1.5");
    assert_string_equal(param_type(r0, "p5"), "DOUBLE");
    assert_string_equal(param_value(r2, "p0"), "6");
    json_decref(reqs);
    char *got = query("SELECT id, name, score FROM " T " ORDER BY id");
    assert_string_equal(got, "0|n0|0.5\n1|n1|1.5\n2|n2|2.5\n3|n3|3.5\n4|n4|4.5\n5|n5|5.5\n6|n6|6.5\n");
    free(got);

    /* max_statement_bytes splits batches by size */
    dbx_delta_rowset_clear(rs);
    char big[1500];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    for (int i = 0; i < 6; i++)
        add_row(rs, 100 + i, big, 0);
    emu_clear_requests(emu_get());
    o.batch_rows = 0;
    o.max_statement_bytes = 4096;
    OK(dbx_delta_append(&written, C, WH, T, rs, &o));
    assert_int_equal(written, 6);
    reqs = all_stmts();
    assert_true(json_array_size(reqs) >= 3); /* at most 2 rows of 1.5 KB per 4 KiB */
    size_t i;
    json_t *r;
    json_array_foreach(reqs, i, r)
    {
        char *ps = json_dumps(emu_req_json(r, "parameters"), JSON_COMPACT);
        size_t sz = strlen(stmt_text(r)) + strlen(ps);
        free(ps);
        assert_true(sz <= 4096);
    }
    json_decref(reqs);
    got = query("SELECT COUNT(*) FROM " T " WHERE id >= 100");
    assert_string_equal(got, "6\n");
    free(got);

    /* a row larger than the bound alone: EINVAL, nothing sent */
    dbx_delta_rowset_clear(rs);
    char huge[5000];
    memset(huge, 'y', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    add_row(rs, 1, "small", 1);
    add_row(rs, 2, huge, 1);
    size_t before = emu_count(emu_get(), STMTS);
    assert_int_equal(dbx_delta_append(&written, C, WH, T, rs, &o), DBX_EINVAL);
    assert_non_null(strstr(msg(), "max_statement_bytes"));
    assert_int_equal(written, 0);
    assert_int_equal(emu_count(emu_get(), STMTS), before);

    /* empty: nothing sent */
    dbx_delta_rowset_clear(rs);
    OK(dbx_delta_append(&written, C, WH, T, rs, NULL));
    assert_int_equal(written, 0);
    assert_int_equal(emu_count(emu_get(), STMTS), before);

    /* a failing batch: the earlier ones stay written, rows_written says so */
    for (int k = 0; k < 4; k++)
        add_row(rs, 200 + k, "ok", 1);
    OKN(dbx_delta_rowset_add_null(rs)); /* id is NOT NULL: this batch fails */
    OKN(dbx_delta_rowset_add_string(rs, "bad"));
    OKN(dbx_delta_rowset_add_double(rs, 1));
    OKN(dbx_delta_rowset_end_row(rs));
    o.batch_rows = 2;
    o.max_statement_bytes = 0;
    assert_int_equal(dbx_delta_append(&written, C, WH, T, rs, &o), DBX_ESTATE);
    assert_int_equal(written, 4);
    assert_non_null(strstr(msg(), "batch of rows 4..4"));
    got = query("SELECT COUNT(*) FROM " T " WHERE id >= 200");
    assert_string_equal(got, "4\n");
    free(got);

    /* typed values: NULLs, booleans, decimals, dates, timestamps */
    dbx_delta_table_spec *spec = NULL;
    OKN(dbx_delta_table_spec_new(&spec));
    OKN(dbx_delta_table_spec_add_column(spec, "b", "BOOLEAN", 0, NULL));
    OKN(dbx_delta_table_spec_add_column(spec, "d", "DECIMAL(10,2)", 0, NULL));
    OKN(dbx_delta_table_spec_add_column(spec, "day", "DATE", 0, NULL));
    OKN(dbx_delta_table_spec_add_column(spec, "at", "TIMESTAMP", 0, NULL));
    OKN(dbx_delta_table_spec_add_column(spec, "n", "INT", 0, NULL));
    OK(dbx_delta_create_table(C, WH, "main.default.typed", spec, NULL));
    dbx_delta_table_spec_free(spec);
    static const char *const tcols[] = {"b", "d", "day", "at", "n"};
    dbx_delta_rowset *ts = NULL;
    OKN(dbx_delta_rowset_new(&ts, tcols, 5));
    OKN(dbx_delta_rowset_add_bool(ts, 1));
    OKN(dbx_delta_rowset_add_value(ts, "12.50", "DECIMAL(10,2)"));
    OKN(dbx_delta_rowset_add_value(ts, "2024-01-31", "date"));
    OKN(dbx_delta_rowset_add_value(ts, "2024-01-31T10:00:00Z", "TIMESTAMP"));
    OKN(dbx_delta_rowset_add_value(ts, NULL, "INT"));
    OKN(dbx_delta_rowset_end_row(ts));
    OK(dbx_delta_append(&written, C, WH, "main.default.typed", ts, NULL));
    json_t *req = last_stmt();
    assert_string_equal(param_type(req, "p0"), "BOOLEAN");
    assert_string_equal(param_value(req, "p0"), "true");
    assert_string_equal(param_type(req, "p1"), "DECIMAL(10,2)");
    assert_string_equal(param_type(req, "p2"), "DATE");
    assert_string_equal(param_type(req, "p3"), "TIMESTAMP");
    assert_string_equal(param_type(req, "p4"), "INT");
    json_t *p4 = param(req, "p4");
    assert_true(json_object_get(p4, "value") == NULL || json_is_null(json_object_get(p4, "value")));
    json_decref(req);
    got = query("SELECT b, d, day, n FROM main.default.typed");
    assert_string_equal(got, "true|12.50|2024-01-31|<null>\n");
    free(got);
    dbx_delta_rowset_free(ts);

    /* bad arguments: no request */
    before = emu_count(emu_get(), STMTS);
    assert_int_equal(dbx_delta_append(&written, C, WH, "t;", rs, NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_append(&written, C, WH, T, NULL, NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_append(&written, C, "", T, rs, NULL), DBX_EINVAL);
    o.batch_rows = -1;
    assert_int_equal(dbx_delta_append(&written, C, WH, T, rs, &o), DBX_EINVAL);
    assert_int_equal(emu_count(emu_get(), STMTS), before);
    dbx_delta_rowset_free(rs);
}

/* ---- hostile strings ------------------------------------------------------------------------ */

static const char *const hostile[] = {
    "'",
    "''",
    "\\'",
    "\\",
    "'); DROP TABLE main.default.t; --",
    "x' OR '1'='1",
    "`",
    "``; DROP TABLE t; --",
    "; DELETE FROM t",
    "-- comment",
    "/* open comment",
    "*/",
    "line1\nline2\r\n",
    "tab\there",
    ":p0",
    "$1 ? %s %n",
    "caf\xc3\xa9 \xe8\xa1\xa8 \xf0\x9f\x98\x80",
    "\xe2\x80\xae reversed",
    "\"double\" quotes",
    "NULL",
};
#define N_HOSTILE (sizeof hostile / sizeof hostile[0])

static void test_hostile_values(void **state)
{
    (void)state;
    make_table(T);
    dbx_delta_rowset *rs = rows3();
    for (size_t i = 0; i < N_HOSTILE; i++)
        add_row(rs, (int64_t)i, hostile[i], 1);
    dbx_delta_options o = DBX_DELTA_OPTIONS_INIT;
    o.batch_rows = 1000;
    emu_clear_requests(emu_get());
    int64_t written = 0;
    OK(dbx_delta_append(&written, C, WH, T, rs, &o));
    assert_int_equal(written, N_HOSTILE);
    /* The statement is the same as with benign values: only markers. */
    json_t *req = last_stmt();
    const char *text = stmt_text(req);
    dbx_delta_rowset *plain = rows3();
    for (size_t i = 0; i < N_HOSTILE; i++)
        add_row(plain, (int64_t)(1000 + i), "plain", 1);
    char *t1 = strdup(text);
    json_decref(req);
    OK(dbx_delta_append(&written, C, WH, T, plain, &o));
    req = last_stmt();
    assert_string_equal(stmt_text(req), t1);
    json_decref(req);
    free(t1);
    /* Every value reads back byte for byte. */
    for (size_t i = 0; i < N_HOSTILE; i++) {
        dbx_sql_params *p = NULL;
        OKN(dbx_sql_params_new(&p));
        OKN(dbx_sql_params_add_int64(p, "id", (int64_t)i));
        dbx_sql_statement *st = NULL;
        OK(dbx_sql_run(&st, C, WH, "SELECT name FROM " T " WHERE id = :id", p, NULL, NULL));
        dbx_sql_rows *rows = NULL;
        OK(dbx_sql_rows_open(&rows, C, st, NULL));
        OK(dbx_sql_rows_next(rows));
        assert_string_equal(dbx_sql_rows_str(rows, 0), hostile[i]);
        assert_int_equal(dbx_sql_rows_next(rows), DBX_DONE);
        dbx_sql_rows_free(rows);
        dbx_sql_statement_free(st);
        dbx_sql_params_free(p);
    }
    char *got = query("SELECT COUNT(*) FROM " T);
    char want[32];
    snprintf(want, sizeof want, "%zu\n", 2 * N_HOSTILE);
    assert_string_equal(got, want);
    free(got);

    /* Hostile keys in an upsert are values too. */
    dbx_delta_rowset_clear(rs);
    for (size_t i = 0; i < N_HOSTILE; i++)
        add_row(rs, (int64_t)i, hostile[N_HOSTILE - 1 - i], 2);
    static const char *const keys[] = {"id"};
    OK(dbx_delta_upsert(NULL, C, WH, T, keys, 1, rs, &o));
    got = query("SELECT COUNT(*) FROM " T " WHERE score = 2");
    snprintf(want, sizeof want, "%zu\n", N_HOSTILE);
    assert_string_equal(got, want);
    free(got);
    static const char *const keys2[] = {"name"};
    dbx_delta_rowset_clear(rs);
    for (size_t i = 0; i < N_HOSTILE; i++)
        add_row(rs, (int64_t)(5000 + i), hostile[i], 3);
    OK(dbx_delta_upsert(NULL, C, WH, T, keys2, 1, rs, &o));
    got = query("SELECT COUNT(*) FROM " T " WHERE score = 3");
    assert_string_equal(got, want); /* matched by name: updated, not inserted */
    free(got);
    got = query("SELECT COUNT(*) FROM " T);
    snprintf(want, sizeof want, "%zu\n", 2 * N_HOSTILE);
    assert_string_equal(got, want);
    free(got);
    dbx_delta_rowset_free(rs);
    dbx_delta_rowset_free(plain);
}

/* Hostile strings where SQL takes a literal (COMMENT): escaped, they reach
 * the server as the same text, and the statement keeps its shape. */
static void test_hostile_literals(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_HOSTILE; i++) {
        dbx_delta_table_spec *spec = NULL;
        OKN(dbx_delta_table_spec_new(&spec));
        OKN(dbx_delta_table_spec_add_column(spec, "id", "BIGINT", 0, hostile[i]));
        OKN(dbx_delta_table_spec_set_comment(spec, hostile[i]));
        OKN(dbx_delta_table_spec_set_property(spec, hostile[i], hostile[N_HOSTILE - 1 - i]));
        char name[32];
        snprintf(name, sizeof name, "main.default.lit%zu", i);
        OK(dbx_delta_create_table(C, WH, name, spec, NULL));
        dbx_delta_table_spec_free(spec);
        char sql[96];
        snprintf(sql, sizeof sql, "DESCRIBE TABLE EXTENDED %s", name);
        char *got = query(sql);
        char want[256];
        snprintf(want, sizeof want, "id|bigint|%s\n", hostile[i]);
        assert_int_equal(strncmp(got, want, strlen(want)), 0);
        snprintf(want, sizeof want, "\nComment|%s|\n", hostile[i]);
        assert_non_null(strstr(got, want));
        free(got);
        snprintf(sql, sizeof sql, "SHOW TBLPROPERTIES %s", name);
        got = query(sql);
        snprintf(want, sizeof want, "%s|%s\n", hostile[i], hostile[N_HOSTILE - 1 - i]);
        /* keys compared without case: the emulator lowercases them */
        if (!strcasestr(got, want))
            fail_msg("property %zu: want [%s] in [%s]", i, want, got);
        free(got);
    }
    /* one table per string: nothing else was created or dropped */
    char *got = query("SHOW TABLES IN main.default");
    size_t lines = 0;
    for (const char *p = got; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, N_HOSTILE);
    free(got);
}

/* Hostile identifiers: rejected before any request, or quoted so that the
 * whole string is one name. */
static void test_hostile_identifiers(void **state)
{
    (void)state;
    static const char *const bad_tables[] = {
        "t; DROP TABLE x",  "t--",          "t/*",         "t'",          "t\"",      "a b",
        "`t`; DROP TABLE x", "`t\n`",        "`t",          "a.b.c.d",     "",         "t.",
        "`\xe2\x80\xaet`",   "t\xff",        "`a`.`b`x",    ".t",
    };
    dbx_delta_table_spec *spec = NULL;
    OKN(dbx_delta_table_spec_new(&spec));
    OKN(dbx_delta_table_spec_add_column(spec, "id", "BIGINT", 0, NULL));
    size_t before = emu_count(emu_get(), STMTS);
    for (size_t i = 0; i < sizeof bad_tables / sizeof bad_tables[0]; i++) {
        if (dbx_delta_create_table(C, WH, bad_tables[i], spec, NULL) != DBX_EINVAL)
            fail_msg("table name %zu accepted", i);
        if (dbx_delta_optimize(C, WH, bad_tables[i], NULL, 0, NULL) != DBX_EINVAL)
            fail_msg("table name %zu accepted by optimize", i);
    }
    assert_int_equal(emu_count(emu_get(), STMTS), before);
    dbx_delta_table_spec_free(spec);

    /* Quoted: hostile text inside backticks is just a (strange) name. */
    static const char *const cols[] = {"id", "it's", "a`b; DROP TABLE x; --", "/* c */", "caf\xc3\xa9", "x\"y"};
    OKN(dbx_delta_table_spec_new(&spec));
    for (size_t i = 0; i < 6; i++)
        OKN(dbx_delta_table_spec_add_column(spec, cols[i], i ? "STRING" : "BIGINT", 0, NULL));
    OK(dbx_delta_create_table(C, WH, "main.default.`we``ird; --`", spec, NULL));
    json_t *req = last_stmt();
    assert_string_equal(stmt_text(req), "CREATE TABLE `main`.`default`.`we``ird; --` (`id` BIGINT, `it's` STRING, "
                                        "`a``b; DROP TABLE x; --` STRING, `/* c */` STRING, `caf\xc3\xa9` STRING, "
                                        "`x\"y` STRING) USING DELTA");
    json_decref(req);
    dbx_delta_table_spec_free(spec);
    dbx_delta_rowset *rs = NULL;
    OKN(dbx_delta_rowset_new(&rs, cols, 6));
    OKN(dbx_delta_rowset_add_int64(rs, 1));
    for (size_t i = 1; i < 6; i++)
        OKN(dbx_delta_rowset_add_string(rs, hostile[i]));
    OKN(dbx_delta_rowset_end_row(rs));
    OK(dbx_delta_append(NULL, C, WH, "main.default.`we``ird; --`", rs, NULL));
    dbx_delta_read_options ro = DBX_DELTA_READ_OPTIONS_INIT;
    ro.columns = cols + 1;
    ro.n_columns = 2;
    dbx_sql_rows *rows = NULL;
    OK(dbx_delta_read(&rows, C, WH, "main.default.`we``ird; --`", &ro, NULL));
    req = last_stmt();
    assert_string_equal(stmt_text(req), "SELECT `it's`, `a``b; DROP TABLE x; --` FROM `main`.`default`.`we``ird; --`");
    json_decref(req);
    assert_int_equal(dbx_sql_rows_column_count(rows), 2);
    char *got = read_rows(rows);
    char want[64];
    snprintf(want, sizeof want, "%s|%s\n", hostile[1], hostile[2]);
    assert_string_equal(got, want);
    free(got);
    dbx_sql_rows_free(rows);

    /* hostile column names where a list of columns is taken */
    static const char *const badcols[] = {"ok", "bad\ncol"};
    before = emu_count(emu_get(), STMTS);
    ro.columns = badcols;
    ro.n_columns = 2;
    assert_int_equal(dbx_delta_read(&rows, C, WH, T, &ro, NULL), DBX_EINVAL);
    assert_null(rows);
    assert_non_null(strstr(msg(), "read->columns[1]"));
    assert_int_equal(dbx_delta_optimize(C, WH, T, badcols, 2, NULL), DBX_EINVAL);
    static const char *const keys[] = {"nope"};
    assert_int_equal(dbx_delta_upsert(NULL, C, WH, T, keys, 1, rs, NULL), DBX_EINVAL);
    assert_int_equal(emu_count(emu_get(), STMTS), before);
    dbx_delta_rowset_free(rs);
}

/* ---- upsert ------------------------------------------------------------------------------ */

static void test_upsert(void **state)
{
    (void)state;
    make_table(T);
    dbx_delta_rowset *rs = rows3();
    add_row(rs, 1, "one", 1);
    add_row(rs, 2, "two", 2);
    add_row(rs, 3, "three", 3);
    OK(dbx_delta_append(NULL, C, WH, T, rs, NULL));
    dbx_delta_rowset_clear(rs);
    add_row(rs, 2, "TWO", 20);
    add_row(rs, 3, "THREE", 30);
    add_row(rs, 4, "four", 4);
    static const char *const keys[] = {"id"};
    int64_t affected = 0;
    emu_clear_requests(emu_get());
    OK(dbx_delta_upsert(&affected, C, WH, T, keys, 1, rs, NULL));
    json_t *req = last_stmt();
    assert_string_equal(stmt_text(req),
                        "MERGE INTO " TQ " AS t USING (SELECT :p0 AS `id`, :p1 AS `name`, :p2 AS `score` "
                        "UNION ALL SELECT :p3, :p4, :p5 UNION ALL SELECT :p6, :p7, :p8) AS s ON t.`id` = s.`id` "
                        "WHEN MATCHED THEN UPDATE SET `name` = s.`name`, `score` = s.`score` "
                        "WHEN NOT MATCHED THEN INSERT (`id`, `name`, `score`) VALUES (s.`id`, s.`name`, s.`score`)");
    assert_string_equal(param_value(req, "p6"), "4");
    assert_string_equal(param_type(req, "p6"), "BIGINT");
    json_decref(req);
    assert_int_equal(affected, 3);
    char *got = query("SELECT id, name, score FROM " T " ORDER BY id");
    assert_string_equal(got, "1|one|1.0\n2|TWO|20.0\n3|THREE|30.0\n4|four|4.0\n");
    free(got);

    /* in batches, with a two-column key */
    dbx_delta_rowset_clear(rs);
    for (int i = 0; i < 5; i++)
        add_row(rs, i, i < 3 ? "k" : "z", 100 + i);
    static const char *const keys2[] = {"id", "name"};
    dbx_delta_options o = DBX_DELTA_OPTIONS_INIT;
    o.batch_rows = 2;
    emu_clear_requests(emu_get());
    OK(dbx_delta_upsert(&affected, C, WH, T, keys2, 2, rs, &o));
    json_t *reqs = all_stmts();
    size_t n_merge = 0, i;
    json_t *r;
    json_array_foreach(reqs, i, r)
    {
        if (!strncmp(stmt_text(r), "MERGE INTO", 10)) {
            n_merge++;
            assert_non_null(strstr(stmt_text(r), "ON t.`id` = s.`id` AND t.`name` = s.`name` "
                                                 "WHEN MATCHED THEN UPDATE SET `score` = s.`score` "));
        }
    }
    assert_int_equal(n_merge, 3);
    json_decref(reqs);
    assert_int_equal(affected, 5);
    got = query("SELECT COUNT(*) FROM " T);
    assert_string_equal(got, "9\n"); /* nothing matched (id, name): 4 + 5 */
    free(got);

    /* every column a key: no UPDATE clause */
    static const char *const all[] = {"id", "name", "score"};
    OK(dbx_delta_upsert(&affected, C, WH, T, all, 3, rs, NULL));
    req = last_stmt();
    assert_null(strstr(stmt_text(req), "WHEN MATCHED"));
    json_decref(req);

    /* bad keys: no request */
    size_t before = emu_count(emu_get(), STMTS);
    dbx_delta_rowset *dup = rows3();
    add_row(dup, 7, "a", 1);
    add_row(dup, 8, "b", 1);
    add_row(dup, 7, "c", 1);
    assert_int_equal(dbx_delta_upsert(&affected, C, WH, T, keys, 1, dup, NULL), DBX_EINVAL);
    assert_non_null(strstr(msg(), "rows 0 and 2 have the same key"));
    OK(dbx_delta_upsert(&affected, C, WH, T, keys2, 2, dup, NULL)); /* (id, name) differ */
    OK(dbx_delta_upsert(&affected, C, WH, T, all, 3, dup, NULL)); /* whole rows differ */
    dbx_delta_rowset_clear(dup);
    for (int k = 0; k < 3; k++) { /* NULL keys never match: not duplicates */
        OKN(dbx_delta_rowset_add_null(dup));
        OKN(dbx_delta_rowset_add_string(dup, "n"));
        OKN(dbx_delta_rowset_add_double(dup, 1));
        OKN(dbx_delta_rowset_end_row(dup));
    }
    /* sent (not refused as duplicates); the table's NOT NULL id refuses them */
    assert_int_equal(dbx_delta_upsert(&affected, C, WH, T, keys, 1, dup, NULL), DBX_ESTATE);
    assert_non_null(strstr(msg(), "NOT_NULL"));
    static const char *const namekey[] = {"name"};
    assert_int_equal(dbx_delta_upsert(&affected, C, WH, T, namekey, 1, dup, NULL), DBX_EINVAL);
    dbx_delta_rowset_free(dup);
    before = emu_count(emu_get(), STMTS);
    static const char *const twice[] = {"id", "id"};
    assert_int_equal(dbx_delta_upsert(&affected, C, WH, T, twice, 2, rs, NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_upsert(&affected, C, WH, T, NULL, 0, rs, NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_upsert(&affected, C, WH, T, keys, 1, NULL, NULL), DBX_EINVAL);
    assert_int_equal(emu_count(emu_get(), STMTS), before);
    dbx_delta_rowset_free(rs);
}

/* ---- read, history, maintenance ----------------------------------------------------------- */

static void test_read_time_travel(void **state)
{
    (void)state;
    make_table(T); /* version 0 */
    dbx_delta_rowset *rs = rows3();
    add_row(rs, 1, "a", 1);
    OK(dbx_delta_append(NULL, C, WH, T, rs, NULL)); /* version 1 */
    dbx_delta_rowset_clear(rs);
    add_row(rs, 2, "b", 2);
    OK(dbx_delta_append(NULL, C, WH, T, rs, NULL)); /* version 2 */
    dbx_delta_rowset_free(rs);

    dbx_sql_rows *rows = NULL;
    OK(dbx_delta_read(&rows, C, WH, T, NULL, NULL));
    json_t *req = last_stmt();
    assert_string_equal(stmt_text(req), "SELECT * FROM " TQ);
    json_decref(req);
    /* the iterator's statement: the columns' names and types of a SELECT * */
    const dbx_sql_statement *rst = dbx_sql_rows_statement(rows);
    assert_non_null(rst);
    assert_int_equal(dbx_sql_statement_column_count(rst), 3);
    assert_string_equal(dbx_sql_statement_column_name(rst, 1), "name");
    assert_int_equal(dbx_sql_statement_column_type(rst, 0), DBX_SQL_TYPE_LONG);
    assert_int_equal(dbx_sql_statement_column_type(rst, 2), DBX_SQL_TYPE_DOUBLE);
    assert_null(dbx_sql_rows_statement(NULL));
    char *got = read_rows(rows);
    assert_true(!strcmp(got, "1|a|1.0\n2|b|2.0\n") || !strcmp(got, "2|b|2.0\n1|a|1.0\n"));
    free(got);
    dbx_sql_rows_free(rows);

    dbx_delta_read_options ro = DBX_DELTA_READ_OPTIONS_INIT;
    ro.as_of = DBX_DELTA_AS_OF_VERSION;
    ro.table_version = 1;
    static const char *const cols[] = {"name"};
    ro.columns = cols;
    ro.n_columns = 1;
    ro.limit = 10;
    OK(dbx_delta_read(&rows, C, WH, T, &ro, NULL));
    req = last_stmt();
    assert_string_equal(stmt_text(req), "SELECT `name` FROM " TQ " VERSION AS OF 1 LIMIT 10");
    json_decref(req);
    got = read_rows(rows);
    assert_string_equal(got, "a\n");
    free(got);
    dbx_sql_rows_free(rows);
    /* freeing the iterator closed the statement */
    assert_true(emu_count(emu_get(), NULL) > 0);

    ro.table_version = 0;
    OK(dbx_delta_read(&rows, C, WH, T, &ro, NULL));
    got = read_rows(rows);
    assert_string_equal(got, "");
    free(got);
    dbx_sql_rows_free(rows);

    ro.table_version = 99;
    assert_int_equal(dbx_delta_read(&rows, C, WH, T, &ro, NULL), DBX_ESTATE);
    assert_null(rows);

    /* TIMESTAMP AS OF: the version current at that time */
    dbx_delta_history *h = NULL;
    OK(dbx_delta_describe_history(&h, C, WH, T, 0, NULL));
    const char *ts1 = NULL;
    for (size_t i = 0; i < dbx_delta_history_count(h); i++)
        if (dbx_delta_history_version(h, i) == 1)
            ts1 = dbx_delta_history_timestamp(h, i);
    assert_non_null(ts1);
    ro.as_of = DBX_DELTA_AS_OF_TIMESTAMP;
    ro.columns = NULL;
    ro.n_columns = 0;
    ro.limit = 0;
    char ts[64];
    snprintf(ts, sizeof ts, "%s", ts1);
    ro.timestamp = ts;
    dbx_status rc = dbx_delta_read(&rows, C, WH, T, &ro, NULL);
    if (rc == DBX_EINVAL) {
        /* the emulator's timestamp spelling is not one of the accepted forms */
        fail_msg("history timestamp %s not accepted for TIMESTAMP AS OF: %s", ts, msg());
    }
    OK(rc);
    req = last_stmt();
    char want[160];
    snprintf(want, sizeof want, "SELECT * FROM " TQ " TIMESTAMP AS OF '%s'", ts);
    assert_string_equal(stmt_text(req), want);
    json_decref(req);
    got = read_rows(rows);
    assert_string_equal(got, "1|a|1.0\n");
    free(got);
    dbx_sql_rows_free(rows);
    dbx_delta_history_free(h);

    /* bad input: no request */
    size_t before = emu_count(emu_get(), STMTS);
    ro.timestamp = "2024-01-01' OR '1'='1";
    assert_int_equal(dbx_delta_read(&rows, C, WH, T, &ro, NULL), DBX_EINVAL);
    assert_non_null(strstr(msg(), "read->timestamp"));
    ro.timestamp = NULL;
    assert_int_equal(dbx_delta_read(&rows, C, WH, T, &ro, NULL), DBX_EINVAL);
    ro.as_of = DBX_DELTA_AS_OF_VERSION;
    ro.table_version = -1;
    assert_int_equal(dbx_delta_read(&rows, C, WH, T, &ro, NULL), DBX_EINVAL);
    ro.table_version = 0;
    ro.limit = -1;
    assert_int_equal(dbx_delta_read(&rows, C, WH, T, &ro, NULL), DBX_EINVAL);
    ro.limit = 0;
    ro.as_of = (dbx_delta_as_of_t)7;
    assert_int_equal(dbx_delta_read(&rows, C, WH, T, &ro, NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_read(NULL, C, WH, T, NULL, NULL), DBX_EINVAL);
    dbx_sql_execute_options eo = DBX_SQL_EXECUTE_OPTIONS_INIT;
    eo.disposition = DBX_SQL_DISPOSITION_EXTERNAL_LINKS;
    eo.format = DBX_SQL_FORMAT_CSV;
    dbx_delta_read_options r2 = DBX_DELTA_READ_OPTIONS_INIT;
    r2.execute = &eo;
    assert_int_equal(dbx_delta_read(&rows, C, WH, T, &r2, NULL), DBX_EINVAL);
    assert_non_null(strstr(msg(), "JSON_ARRAY"));
    assert_int_equal(emu_count(emu_get(), STMTS), before);

    /* execute options pass through: a row limit, reported as truncation */
    eo.format = DBX_SQL_FORMAT_DEFAULT;
    eo.disposition = DBX_SQL_DISPOSITION_DEFAULT;
    eo.row_limit = 1;
    OK(dbx_delta_read(&rows, C, WH, T, &r2, NULL));
    req = last_stmt();
    assert_int_equal(json_integer_value(emu_req_json(req, "row_limit")), 1);
    json_decref(req);
    got = read_rows(rows);
    assert_int_equal(strlen(got) > 0 && strchr(got, '\n') == got + strlen(got) - 1, 1); /* one row */
    free(got);
    assert_int_equal(dbx_sql_rows_truncated(rows), 1);
    dbx_sql_rows_free(rows);
}

static void test_history(void **state)
{
    (void)state;
    make_table(T);
    dbx_delta_rowset *rs = rows3();
    add_row(rs, 1, "a", 1);
    OK(dbx_delta_append(NULL, C, WH, T, rs, NULL));
    static const char *const keys[] = {"id"};
    OK(dbx_delta_upsert(NULL, C, WH, T, keys, 1, rs, NULL));
    dbx_delta_rowset_free(rs);

    dbx_delta_history *h = NULL;
    OK(dbx_delta_describe_history(&h, C, WH, T, 0, NULL));
    json_t *req = last_stmt();
    assert_string_equal(stmt_text(req), "DESCRIBE HISTORY " TQ);
    json_decref(req);
    assert_int_equal(dbx_delta_history_count(h), 3);
    /* newest first */
    assert_int_equal(dbx_delta_history_version(h, 0), 2);
    assert_string_equal(dbx_delta_history_operation(h, 0), "MERGE");
    assert_int_equal(dbx_delta_history_version(h, 1), 1);
    assert_string_equal(dbx_delta_history_operation(h, 1), "WRITE");
    assert_int_equal(dbx_delta_history_version(h, 2), 0);
    assert_string_equal(dbx_delta_history_operation(h, 2), "CREATE TABLE");
    for (size_t i = 0; i < 3; i++) {
        assert_true(dbx_delta_history_timestamp_ms(h, i) > 0);
        assert_true(strlen(dbx_delta_history_timestamp(h, i)) >= 10);
        assert_true(strlen(dbx_delta_history_user(h, i)) > 0);
        assert_int_equal(dbx_delta_history_operation_parameters(h, i)[0], '{');
        assert_int_equal(dbx_delta_history_operation_metrics(h, i)[0], '{');
    }
    assert_true(dbx_delta_history_timestamp_ms(h, 0) >= dbx_delta_history_timestamp_ms(h, 2));
    /* out of range */
    assert_int_equal(dbx_delta_history_version(h, 3), -1);
    assert_string_equal(dbx_delta_history_operation(h, 3), "");
    assert_string_equal(dbx_delta_history_user(NULL, 0), "");
    assert_int_equal(dbx_delta_history_count(NULL), 0);
    dbx_delta_history_free(h);

    OK(dbx_delta_describe_history(&h, C, WH, T, 1, NULL));
    req = last_stmt();
    assert_string_equal(stmt_text(req), "DESCRIBE HISTORY " TQ " LIMIT 1");
    json_decref(req);
    assert_int_equal(dbx_delta_history_count(h), 1);
    assert_int_equal(dbx_delta_history_version(h, 0), 2);
    dbx_delta_history_free(h);
    dbx_delta_history_free(NULL);

    assert_int_equal(dbx_delta_describe_history(&h, C, WH, "main.default.nope", 0, NULL), DBX_ESTATE);
    assert_null(h);
    assert_int_equal(dbx_delta_describe_history(&h, C, WH, T, -1, NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_describe_history(&h, C, WH, "x y", 0, NULL), DBX_EINVAL);
}

static void test_optimize_vacuum(void **state)
{
    (void)state;
    make_table(T);
    OK(dbx_delta_optimize(C, WH, T, NULL, 0, NULL));
    json_t *req = last_stmt();
    assert_string_equal(stmt_text(req), "OPTIMIZE " TQ);
    json_decref(req);
    static const char *const z[] = {"id", "name"};
    OK(dbx_delta_optimize(C, WH, T, z, 2, NULL));
    req = last_stmt();
    assert_string_equal(stmt_text(req), "OPTIMIZE " TQ " ZORDER BY (`id`, `name`)");
    json_decref(req);
    OK(dbx_delta_vacuum(C, WH, T, -1, NULL));
    req = last_stmt();
    assert_string_equal(stmt_text(req), "VACUUM " TQ);
    json_decref(req);
    OK(dbx_delta_vacuum(C, WH, T, 168, NULL));
    req = last_stmt();
    assert_string_equal(stmt_text(req), "VACUUM " TQ " RETAIN 168 HOURS");
    json_decref(req);
    /* a missing table is the statement's failure */
    assert_int_equal(dbx_delta_optimize(C, WH, "main.default.nope", NULL, 0, NULL), DBX_ESTATE);
    assert_int_equal(dbx_delta_vacuum(C, WH, "main.default.nope", -1, NULL), DBX_ESTATE);
    size_t before = emu_count(emu_get(), STMTS);
    assert_int_equal(dbx_delta_optimize(C, WH, T, NULL, 2, NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_vacuum(C, WH, "t;", 1, NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_vacuum(C, NULL, T, 1, NULL), DBX_EINVAL);
    assert_int_equal(emu_count(emu_get(), STMTS), before);
}

/* ---- bulk load ----------------------------------------------------------------------------- */

static char *write_temp(const char *content)
{
    char *path = strdup("/tmp/dbx_delta_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(content);
    assert_int_equal(write(fd, content, n), (ssize_t)n);
    close(fd);
    return path;
}

static void test_load_file(void **state)
{
    (void)state;
    make_table(T);
    char *csv = write_temp("id,name,score\n1,alice,1.5\n2,\"o'brien; --\",2.5\n3,carol,3.5\n");
    dbx_delta_load_options lo = DBX_DELTA_LOAD_OPTIONS_INIT;
    dbx_delta_kv fo[] = {{"header", "true"}, {"sep", ","}};
    lo.format_options = fo;
    lo.n_format_options = 2;
    int64_t loaded = 0;
    char *staged = NULL;
    emu_clear_requests(emu_get());
    OK(dbx_delta_load_file(&loaded, &staged, C, WH, T, csv, VOL "/in/", &lo, NULL));
    assert_int_equal(loaded, 3);
    assert_non_null(staged);
    assert_int_equal(strncmp(staged, VOL "/in/dbx-load-", strlen(VOL "/in/dbx-load-")), 0);
    assert_int_equal(strlen(staged), strlen(VOL "/in/dbx-load-") + 16 + 4);
    assert_string_equal(staged + strlen(staged) - 4, ".csv");
    /* the upload, the statement, the delete */
    char fpath[512];
    snprintf(fpath, sizeof fpath, "/api/2.0/fs/files%s", staged);
    json_t *up = emu_last_request(emu_get(), fpath);
    assert_non_null(up);
    assert_string_equal(json_string_value(json_object_get(up, "method")), "DELETE");
    json_decref(up);
    assert_int_equal(emu_count(emu_get(), fpath), 2); /* PUT, DELETE */
    json_t *req = last_stmt();
    char want[1024];
    snprintf(want, sizeof want,
             "COPY INTO " TQ " FROM '%s' FILEFORMAT = CSV FORMAT_OPTIONS ('header' = 'true', 'sep' = ',')", staged);
    assert_string_equal(stmt_text(req), want);
    json_decref(req);
    dbx_free(staged);
    char *got = query("SELECT id, name FROM " T " ORDER BY id");
    assert_string_equal(got, "1|alice\n2|o'brien; --\n3|carol\n");
    free(got);

    /* JSON, the staged file kept */
    char *js = write_temp("{\"id\": 10, \"name\": \"j\", \"score\": 1}\n{\"id\": 11, \"name\": \"k\", \"score\": 2}\n");
    dbx_delta_load_options lj = DBX_DELTA_LOAD_OPTIONS_INIT;
    lj.format = DBX_DELTA_FORMAT_JSON;
    lj.keep_staged_file = 1;
    OK(dbx_delta_load_file(&loaded, &staged, C, WH, T, js, VOL, &lj, NULL));
    assert_int_equal(loaded, 2);
    assert_string_equal(staged + strlen(staged) - 5, ".json");
    dbx_file_info *info = NULL;
    OK(dbx_files_get_metadata(&info, C, staged));
    dbx_file_info_free(info);
    req = last_stmt();
    assert_non_null(strstr(stmt_text(req), " FILEFORMAT = JSON"));
    assert_null(strstr(stmt_text(req), "FORMAT_OPTIONS"));
    json_decref(req);
    dbx_free(staged);

    /* COPY INTO fails (no such table): the staged file is deleted anyway,
     * and the error is the statement's */
    emu_clear_requests(emu_get());
    assert_int_equal(dbx_delta_load_file(&loaded, &staged, C, WH, "main.default.nope", csv, VOL, NULL, NULL),
                     DBX_ESTATE);
    assert_null(staged);
    assert_int_equal(loaded, -1);
    assert_string_equal(dbx_client_last_error(C)->path, STMTS);
    json_t *all = emu_requests(emu_get());
    json_t *lastreq = json_array_get(all, json_array_size(all) - 1);
    assert_string_equal(json_string_value(json_object_get(lastreq, "method")), "DELETE");
    json_decref(all);

    /* bad input: nothing sent */
    emu_clear_requests(emu_get());
    assert_int_equal(dbx_delta_load_file(&loaded, NULL, C, WH, T, csv, "/Volumes/main/default", NULL, NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_load_file(&loaded, NULL, C, WH, T, csv, "/tmp/x", NULL, NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_load_file(&loaded, NULL, C, WH, T, csv, VOL "/../x", NULL, NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_load_file(&loaded, NULL, C, WH, T, csv, VOL "/a\nb", NULL, NULL), DBX_EINVAL);
    static const char *const globby[] = {VOL "/*", VOL "/a?b", "/Volumes/main/default/[l]anding", VOL "/{a,b}",
                                         VOL "/a%2Fb", VOL "/a#b", VOL "/a\\b"};
    for (size_t i = 0; i < sizeof globby / sizeof globby[0]; i++)
        assert_int_equal(dbx_delta_load_file(&loaded, NULL, C, WH, T, csv, globby[i], NULL, NULL), DBX_EINVAL);
    OK(dbx_delta_load_file(&loaded, NULL, C, WH, T, csv, VOL "/it's; -- ok", &lo, NULL)); /* escaped, and a path */
    emu_clear_requests(emu_get());
    assert_int_equal(dbx_delta_load_file(&loaded, NULL, C, WH, T, NULL, VOL, NULL, NULL), DBX_EINVAL);
    dbx_delta_load_options lb = DBX_DELTA_LOAD_OPTIONS_INIT;
    lb.format = (dbx_delta_file_format_t)9;
    assert_int_equal(dbx_delta_load_file(&loaded, NULL, C, WH, T, csv, VOL, &lb, NULL), DBX_EINVAL);
    lb.format = DBX_DELTA_FORMAT_CSV;
    dbx_delta_kv badkv[] = {{"", "x"}};
    lb.format_options = badkv;
    lb.n_format_options = 1;
    assert_int_equal(dbx_delta_load_file(&loaded, NULL, C, WH, T, csv, VOL, &lb, NULL), DBX_EINVAL);
    lb.n_format_options = 0;
    lb.n_copy_options = 1; /* NULL array */
    assert_int_equal(dbx_delta_load_file(&loaded, NULL, C, WH, T, csv, VOL, &lb, NULL), DBX_EINVAL);
    assert_int_equal(emu_count(emu_get(), NULL), 0);
    /* a missing local file: the Files API's error, no statement */
    assert_int_equal(dbx_delta_load_file(&loaded, NULL, C, WH, T, "/nonexistent/file.csv", VOL, NULL, NULL),
                     DBX_ENOTFOUND);
    assert_int_equal(emu_count(emu_get(), STMTS), 0);

    /* the rows are loaded but the staged file cannot be deleted: the call
     * succeeds (a retry would load the rows twice), the file stays */
    emu_fault(emu_get(), "{\"method\": \"DELETE\", \"path_prefix\": \"/api/2.0/fs/files" VOL "/\", "
                         "\"action\": \"status\", \"status\": 403}");
    OK(dbx_delta_load_file(&loaded, &staged, C, WH, T, csv, VOL, &lo, NULL));
    assert_int_equal(loaded, 3);
    OK(dbx_files_get_metadata(&info, C, staged));
    dbx_file_info_free(info);
    dbx_free(staged);
    got = query("SELECT COUNT(*) FROM " T);
    assert_string_equal(got, "11\n"); /* 3 + 2 + 3 + 3 */
    free(got);

    /* hostile option values are literals */
    dbx_delta_kv hk[] = {{"header", "true"}, {"comment", "'); DROP TABLE t; --"}};
    lo.format_options = hk;
    lo.n_format_options = 2;
    dbx_delta_kv co[] = {{"mergeSchema", "false"}};
    lo.copy_options = co;
    lo.n_copy_options = 1;
    dbx_status rc = dbx_delta_load_file(&loaded, &staged, C, WH, T, csv, VOL, &lo, NULL);
    req = last_stmt();
    assert_non_null(strstr(stmt_text(req), "FORMAT_OPTIONS ('header' = 'true', 'comment' = '\\'); DROP TABLE t; --') "
                                           "COPY_OPTIONS ('mergeSchema' = 'false')"));
    json_decref(req);
    if (rc == DBX_OK)
        dbx_free(staged);
    unlink(csv);
    unlink(js);
    free(csv);
    free(js);
}

/* ---- bronze -> silver -> gold ------------------------------------------------------------- */

static void test_medallion_flow(void **state)
{
    (void)state;
    dbx_delta_options o = DBX_DELTA_OPTIONS_INIT;
    o.catalog = "main";
    o.schema = "default";
    /* bronze: raw payments from a CSV file */
    dbx_delta_table_spec *spec = NULL;
    OKN(dbx_delta_table_spec_new(&spec));
    OKN(dbx_delta_table_spec_add_column(spec, "id", "BIGINT", 1, NULL));
    OKN(dbx_delta_table_spec_add_column(spec, "account", "STRING", 0, NULL));
    OKN(dbx_delta_table_spec_add_column(spec, "amount", "DOUBLE", 0, NULL));
    OKN(dbx_delta_table_spec_set_comment(spec, "bronze"));
    OK(dbx_delta_create_table(C, WH, "bronze_payments", spec, &o));
    OKN(dbx_delta_table_spec_set_comment(spec, "silver"));
    OK(dbx_delta_create_table(C, WH, "silver_payments", spec, &o));
    dbx_delta_table_spec_free(spec);
    char *csv = write_temp("id,account,amount\n1,acc-1,10.0\n2,acc-2,20.0\n3,acc-1,30.0\n");
    dbx_delta_load_options lo = DBX_DELTA_LOAD_OPTIONS_INIT;
    dbx_delta_kv fo[] = {{"header", "true"}};
    lo.format_options = fo;
    lo.n_format_options = 1;
    int64_t loaded = 0;
    OK(dbx_delta_load_file(&loaded, NULL, C, WH, "bronze_payments", csv, VOL, &lo, &o));
    assert_int_equal(loaded, 3);

    /* silver: upsert the bronze rows (read through the helper), then a correction */
    static const char *const cols[] = {"id", "account", "amount"};
    dbx_delta_rowset *rs = NULL;
    OKN(dbx_delta_rowset_new(&rs, cols, 3));
    dbx_sql_rows *rows = NULL;
    OK(dbx_delta_read(&rows, C, WH, "bronze_payments", NULL, &o));
    dbx_status rc;
    while ((rc = dbx_sql_rows_next(rows)) == DBX_OK) {
        int64_t id;
        double amount;
        OK(dbx_sql_rows_int64(&id, rows, 0));
        OK(dbx_sql_rows_double(&amount, rows, 2));
        OKN(dbx_delta_rowset_add_int64(rs, id));
        OKN(dbx_delta_rowset_add_string(rs, dbx_sql_rows_str(rows, 1)));
        OKN(dbx_delta_rowset_add_double(rs, amount));
        OKN(dbx_delta_rowset_end_row(rs));
    }
    assert_int_equal(rc, DBX_DONE);
    dbx_sql_rows_free(rows);
    static const char *const keys[] = {"id"};
    OK(dbx_delta_upsert(NULL, C, WH, "silver_payments", keys, 1, rs, &o)); /* version 1 */
    dbx_delta_rowset_clear(rs);
    OKN(dbx_delta_rowset_add_int64(rs, 2));
    OKN(dbx_delta_rowset_add_string(rs, "acc-2"));
    OKN(dbx_delta_rowset_add_double(rs, 25.0));
    OKN(dbx_delta_rowset_end_row(rs));
    OKN(dbx_delta_rowset_add_int64(rs, 4));
    OKN(dbx_delta_rowset_add_string(rs, "acc-2"));
    OKN(dbx_delta_rowset_add_double(rs, 5.0));
    OKN(dbx_delta_rowset_end_row(rs));
    int64_t affected = 0;
    OK(dbx_delta_upsert(&affected, C, WH, "silver_payments", keys, 1, rs, &o)); /* version 2 */
    assert_int_equal(affected, 2);
    dbx_delta_rowset_free(rs);

    /* gold: totals per account */
    char *got = query("SELECT account, SUM(amount) FROM main.default.silver_payments GROUP BY account ORDER BY account");
    assert_string_equal(got, "acc-1|40.0\nacc-2|30.0\n");
    free(got);

    /* the previous version of silver still has the first amounts */
    dbx_delta_read_options ro = DBX_DELTA_READ_OPTIONS_INIT;
    ro.as_of = DBX_DELTA_AS_OF_VERSION;
    ro.table_version = 1;
    static const char *const amt[] = {"amount"};
    ro.columns = amt;
    ro.n_columns = 1;
    OK(dbx_delta_read(&rows, C, WH, "silver_payments", &ro, &o));
    double total = 0;
    while ((rc = dbx_sql_rows_next(rows)) == DBX_OK) {
        double a;
        OK(dbx_sql_rows_double(&a, rows, 0));
        total += a;
    }
    assert_int_equal(rc, DBX_DONE);
    assert_true(total > 59.99 && total < 60.01);
    dbx_sql_rows_free(rows);

    /* history of silver: CREATE TABLE, MERGE, MERGE */
    dbx_delta_history *h = NULL;
    OK(dbx_delta_describe_history(&h, C, WH, "silver_payments", 0, &o));
    assert_int_equal(dbx_delta_history_count(h), 3);
    assert_string_equal(dbx_delta_history_operation(h, 0), "MERGE");
    assert_string_equal(dbx_delta_history_operation(h, 2), "CREATE TABLE");
    dbx_delta_history_free(h);
    OK(dbx_delta_optimize(C, WH, "silver_payments", keys, 1, &o));
    OK(dbx_delta_vacuum(C, WH, "silver_payments", 168, &o));
    unlink(csv);
    free(csv);
}

/* ---- NULLs, deadlines, failures ------------------------------------------------------------ */

static void test_null_types(void **state)
{
    (void)state;
    make_table(T);
    dbx_delta_rowset *rs = rows3();
    /* row 0: name NULL (untyped), score NULL typed explicitly */
    OKN(dbx_delta_rowset_add_int64(rs, 1));
    OKN(dbx_delta_rowset_add_null(rs));
    OKN(dbx_delta_rowset_add_value(rs, NULL, "DOUBLE"));
    OKN(dbx_delta_rowset_end_row(rs));
    /* row 1: every value NULL but the key; score's untyped NULL takes DOUBLE */
    OKN(dbx_delta_rowset_add_int64(rs, 2));
    OKN(dbx_delta_rowset_add_string(rs, NULL));
    OKN(dbx_delta_rowset_add_null(rs));
    OKN(dbx_delta_rowset_end_row(rs));
    OK(dbx_delta_append(NULL, C, WH, T, rs, NULL));
    json_t *req = last_stmt();
    assert_string_equal(param_type(req, "p1"), "STRING"); /* no typed value in the column */
    assert_string_equal(param_type(req, "p2"), "DOUBLE");
    assert_string_equal(param_type(req, "p5"), "DOUBLE"); /* from row 0's typed NULL */
    assert_string_equal(param_type(req, "p4"), "STRING");
    static const char *const nulls[] = {"p1", "p2", "p4", "p5"};
    for (size_t i = 0; i < 4; i++) {
        json_t *v = json_object_get(param(req, nulls[i]), "value");
        assert_true(v == NULL || json_is_null(v));
    }
    json_decref(req);
    char *got = query("SELECT id, name, score FROM " T " ORDER BY id");
    assert_string_equal(got, "1|<null>|<null>\n2|<null>|<null>\n");
    free(got);
    dbx_delta_rowset_free(rs);
}

static int stop_polling(const char *id, const char *st, void *payload)
{
    (void)id;
    (void)st;
    return ++*(int *)payload >= 2;
}

/* The caller's wait options reach every statement: a deadline, on_poll. */
static void test_wait_options(void **state)
{
    (void)state;
    make_table(T);
    emu_config(emu_get(), "{\"sql_pending_ms\": 600000}");
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.timeout_ms = 30000;
    dbx_delta_options o = DBX_DELTA_OPTIONS_INIT;
    o.wait = &w;
    dbx_delta_rowset *rs = rows3();
    add_row(rs, 1, "a", 1);
    long slept0 = fake_clock_slept_total();
    int64_t written = -1;
    assert_int_equal(dbx_delta_append(&written, C, WH, T, rs, &o), DBX_ETIMEOUT);
    assert_int_equal(written, 0);
    assert_true(fake_clock_slept_total() - slept0 >= 30000 - 11000);
    assert_true(fake_clock_slept_total() - slept0 <= 30000 + 11000);
    /* left running: no cancel request; with cancel_on_wait_end: cancelled */
    json_t *all = emu_requests(emu_get());
    size_t i;
    json_t *r;
    json_array_foreach(all, i, r)
        assert_null(strstr(json_string_value(json_object_get(r, "path")), "/cancel"));
    json_decref(all);
    o.cancel_on_wait_end = 1;
    assert_int_equal(dbx_delta_append(&written, C, WH, T, rs, &o), DBX_ETIMEOUT);
    assert_non_null(strstr(msg(), "statement")); /* the wait's error, not the cancel's */
    all = emu_requests(emu_get());
    r = json_array_get(all, json_array_size(all) - 1);
    const char *path = json_string_value(json_object_get(r, "path"));
    assert_int_equal(strncmp(path, STMTS "/", strlen(STMTS "/")), 0);
    assert_non_null(strstr(path, "/cancel"));
    json_decref(all);
    o.cancel_on_wait_end = 0;
    /* the two statements, from the polls: the first runs on, the second was cancelled */
    char ids[2][128];
    int n_ids = 0;
    all = emu_requests(emu_get());
    json_array_foreach(all, i, r)
    {
        const char *pp = json_string_value(json_object_get(r, "path"));
        if (strncmp(pp, STMTS "/", strlen(STMTS "/")) != 0 || strchr(pp + strlen(STMTS "/"), '/'))
            continue;
        const char *id = pp + strlen(STMTS "/");
        if (n_ids == 0 || (strcmp(ids[n_ids - 1], id) != 0 && n_ids < 2))
            snprintf(ids[n_ids++], sizeof ids[0], "%s", id);
    }
    json_decref(all);
    assert_int_equal(n_ids, 2);
    emu_advance(emu_get(), 700000);
    dbx_sql_statement *st = NULL;
    OK(dbx_sql_get(&st, C, ids[0]));
    assert_int_equal(dbx_sql_statement_state(st), DBX_SQL_STATE_SUCCEEDED);
    dbx_sql_statement_free(st);
    OK(dbx_sql_get(&st, C, ids[1]));
    assert_int_equal(dbx_sql_statement_state(st), DBX_SQL_STATE_CANCELED);
    dbx_sql_statement_free(st);
    emu_config(emu_get(), "{\"sql_pending_ms\": 600000}");
    int polls = 0;
    w.on_poll = stop_polling;
    w.payload = &polls;
    w.timeout_ms = 0;
    assert_int_equal(dbx_delta_optimize(C, WH, T, NULL, 0, &o), DBX_ECANCELLED);
    assert_int_equal(polls, 2);
    dbx_delta_history *h = NULL;
    polls = 0;
    assert_int_equal(dbx_delta_describe_history(&h, C, WH, T, 0, &o), DBX_ECANCELLED);
    assert_null(h);
    dbx_sql_rows *rows = NULL;
    polls = 0;
    assert_int_equal(dbx_delta_read(&rows, C, WH, T, NULL, &o), DBX_ECANCELLED);
    assert_null(rows);
    dbx_delta_rowset_free(rs);
}

/* A statement that fails: DBX_ESTATE with the server's error in the message. */
static void test_failed_statement(void **state)
{
    (void)state;
    dbx_delta_rowset *rs = rows3();
    add_row(rs, 1, "a", 1);
    int64_t written = -1;
    assert_int_equal(dbx_delta_append(&written, C, WH, "main.default.missing_table", rs, NULL), DBX_ESTATE);
    assert_int_equal(written, 0);
    assert_non_null(strstr(msg(), "TABLE_OR_VIEW_NOT_FOUND"));
    assert_non_null(strstr(msg(), "batch of rows 0..0"));
    /* an unknown warehouse is the request's failure */
    assert_int_equal(dbx_delta_append(&written, C, "missing-wh", T, rs, NULL), DBX_ENOTFOUND);
    dbx_delta_rowset_free(rs);
    /* a column the table lacks */
    make_table(T);
    static const char *const cols[] = {"id", "nope"};
    OKN(dbx_delta_rowset_new(&rs, cols, 2));
    OKN(dbx_delta_rowset_add_int64(rs, 1));
    OKN(dbx_delta_rowset_add_int64(rs, 1));
    OKN(dbx_delta_rowset_end_row(rs));
    static const char *const keys[] = {"id"};
    assert_int_equal(dbx_delta_upsert(NULL, C, WH, T, keys, 1, rs, NULL), DBX_ESTATE);
    dbx_delta_rowset_free(rs);
}

/* Parquet: the staged name and FILEFORMAT (the emulator reads only CSV and
 * JSON: COPY INTO fails there, and the staged file is removed). */
static void test_load_parquet(void **state)
{
    (void)state;
    make_table(T);
    char *pq = write_temp("PAR1 not really parquet PAR1");
    dbx_delta_load_options lo = DBX_DELTA_LOAD_OPTIONS_INIT;
    lo.format = DBX_DELTA_FORMAT_PARQUET;
    dbx_status rc = dbx_delta_load_file(NULL, NULL, C, WH, T, pq, VOL, &lo, NULL);
    json_t *req = last_stmt();
    const char *text = stmt_text(req);
    assert_int_equal(strncmp(text, "COPY INTO " TQ " FROM '" VOL "/dbx-load-", strlen("COPY INTO " TQ " FROM '" VOL "/dbx-load-")), 0);
    assert_non_null(strstr(text, ".parquet' FILEFORMAT = PARQUET"));
    json_decref(req);
    if (rc != DBX_OK)
        assert_int_equal(rc, DBX_ESTATE);
    /* nothing left in the volume */
    dbx_files_list_iter *it = NULL;
    OK(dbx_files_list_directory(&it, C, VOL, NULL));
    const dbx_directory_entry *e = NULL;
    assert_int_equal(dbx_files_list_iter_next(&e, it), DBX_DONE);
    dbx_files_list_iter_free(it);
    unlink(pq);
    free(pq);
}

/* History read over several result chunks. */
static void test_history_chunks(void **state)
{
    (void)state;
    emu_config(emu_get(), "{\"sql_chunk_rows\": 2}");
    make_table(T);
    dbx_delta_rowset *rs = rows3();
    for (int i = 0; i < 6; i++) {
        dbx_delta_rowset_clear(rs);
        add_row(rs, i, "x", i);
        OK(dbx_delta_append(NULL, C, WH, T, rs, NULL));
    }
    dbx_delta_rowset_free(rs);
    dbx_delta_history *h = NULL;
    OK(dbx_delta_describe_history(&h, C, WH, T, 0, NULL));
    assert_int_equal(dbx_delta_history_count(h), 7);
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(dbx_delta_history_version(h, i), 6 - (int64_t)i);
    assert_non_null(strstr(dbx_delta_history_operation_parameters(h, 0), "Append"));
    dbx_delta_history_free(h);
    /* and a read over chunks */
    dbx_sql_rows *rows = NULL;
    OK(dbx_delta_read(&rows, C, WH, T, NULL, NULL));
    int n = 0;
    while (dbx_sql_rows_next(rows) == DBX_OK)
        n++;
    assert_int_equal(n, 6);
    dbx_sql_rows_free(rows);
}

/* The column-spec grammar: text in, a re-written statement out. */
static void test_create_from_text(void **state)
{
    (void)state;
    dbx_delta_table_spec *spec = NULL;
    OKN(dbx_delta_table_spec_new(&spec));
    OKN(dbx_delta_table_spec_add_columns(spec, "id bigint not null comment 'the key',\n"
                                               "  `first name` STRING COMMENT 'it\\'s; -- fine',\n"
                                               "  amount decimal(10, 2)"));
    OKN(dbx_delta_table_spec_add_column(spec, "day", "DATE", 0, NULL));
    /* all or nothing */
    assert_int_equal(dbx_delta_table_spec_add_columns(spec, "x INT, y VARCHAR(3)"), DBX_EINVAL);
    assert_non_null(strstr(dbx_client_last_error(NULL)->message, "at byte 9"));
    assert_int_equal(dbx_delta_table_spec_add_columns(spec, "x INT, id INT"), DBX_EINVAL);
    assert_int_equal(dbx_delta_table_spec_add_columns(spec, "x INT, x INT"), DBX_EINVAL);
    assert_int_equal(dbx_delta_table_spec_add_columns(spec, "x INT); DROP TABLE t; --"), DBX_EINVAL);
    assert_int_equal(dbx_delta_table_spec_add_columns(spec, NULL), DBX_EINVAL);
    assert_int_equal(dbx_delta_table_spec_add_columns(NULL, "x INT"), DBX_EINVAL);
    OK(dbx_delta_create_table(C, WH, T, spec, NULL));
    json_t *req = last_stmt();
    assert_string_equal(stmt_text(req), "CREATE TABLE " TQ " (`id` BIGINT NOT NULL COMMENT 'the key', "
                                        "`first name` STRING COMMENT 'it\\'s; -- fine', `amount` DECIMAL(10,2), "
                                        "`day` DATE) USING DELTA");
    json_decref(req);
    dbx_delta_table_spec_free(spec);
    /* the server read the columns and the comment as meant */
    char *got = query("DESCRIBE TABLE " T);
    assert_non_null(strstr(got, "first name|string|it's; -- fine\n"));
    assert_non_null(strstr(got, "amount|decimal(10,2)|"));
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_quote_functions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spec_to_sql, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rowset_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_literals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_identifiers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upsert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_time_travel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_optimize_vacuum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_medallion_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_statement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_parquet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_from_text, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    emu_stop_all();
    return rc;
}
