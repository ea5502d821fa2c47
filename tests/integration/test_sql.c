/*
 * SQL Statement Execution against the emulator over HTTP: every public
 * function of sql.h, asserting on the requests libdbx sent (the emulator's
 * request log, the second host's included) and on the results: multi-chunk
 * results INLINE and EXTERNAL_LINKS (>= 20 chunks, read with parallel
 * prefetch), expired links renewed, an expired result, nulls and every
 * type, hostile parameter strings, cancellation, FAILED statements, async
 * states, raw CSV / Arrow chunks, truncation, and no presigned URL or link
 * header in TRACE logs or error messages.
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

#define WH "5eedc0ffee000001" /* the emulator's seed warehouse */
#define API "/api/2.0/sql/statements"
#define T "main.default.numbers"

static dbx_client *C;

static int setup(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_reset(e);
    emu_config(e, "{\"sql_chunk_rows\": 5}");
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

static void ok(dbx_status st)
{
    if (st != DBX_OK)
        fail_msg("status %s: %s", dbx_status_name(st), dbx_client_last_error(C)->message);
}

/* Run a statement to SUCCEEDED and hand it back. */
static dbx_sql_statement *run(const char *sql, const dbx_sql_params *p, const dbx_sql_execute_options *o)
{
    dbx_sql_statement *st = NULL;
    ok(dbx_sql_run(&st, C, WH, sql, p, o, NULL));
    assert_non_null(st);
    assert_int_equal(dbx_sql_statement_state(st), DBX_SQL_STATE_SUCCEEDED);
    return st;
}

static void exec_ok(const char *sql)
{
    dbx_sql_statement_free(run(sql, NULL, NULL));
}

/* T with ids 0..n-1, name "n<id>", and a NULL name every 7th row. */
static void make_numbers(int n)
{
    exec_ok("CREATE TABLE IF NOT EXISTS " T " (id BIGINT, name STRING) USING DELTA");
    char *sql = malloc((size_t)n * 32 + 64);
    size_t len = (size_t)sprintf(sql, "INSERT INTO " T " VALUES ");
    for (int i = 0; i < n; i++) {
        if (i % 7 == 3)
            len += (size_t)sprintf(sql + len, "%s(%d, NULL)", i ? ", " : "", i);
        else
            len += (size_t)sprintf(sql + len, "%s(%d, 'n%d')", i ? ", " : "", i, i);
    }
    exec_ok(sql);
    free(sql);
}

static char *chunk_path(const char *id, int n)
{
    static char p[512];
    snprintf(p, sizeof p, API "/%s/result/chunks/%d", id, n);
    return p;
}

/* Read every row of `st` with `max_chunks`, checking ids 0..n-1 in order. */
static void read_numbers(const dbx_sql_statement *st, int n, int max_chunks)
{
    dbx_sql_rows_options ro = DBX_SQL_ROWS_OPTIONS_INIT;
    ro.max_chunks = max_chunks;
    dbx_sql_rows *it = NULL;
    ok(dbx_sql_rows_open(&it, C, st, &ro));
    assert_int_equal(dbx_sql_rows_column_count(it), 2);
    assert_int_equal(dbx_sql_rows_column_index(it, "name"), 1);
    assert_int_equal(dbx_sql_rows_column_index(it, "nope"), -1);
    assert_int_equal(dbx_sql_rows_row_index(it), -1);
    int i = 0;
    dbx_status rc;
    while ((rc = dbx_sql_rows_next(it)) == DBX_OK) {
        int64_t id = -1;
        ok(dbx_sql_rows_int64(&id, it, 0));
        assert_int_equal(id, i);
        assert_int_equal(dbx_sql_rows_row_index(it), i);
        if (i % 7 == 3) {
            assert_int_equal(dbx_sql_rows_is_null(it, 1), 1);
            assert_null(dbx_sql_rows_str(it, 1));
        } else {
            char want[32];
            snprintf(want, sizeof want, "n%d", i);
            assert_int_equal(dbx_sql_rows_is_null(it, 1), 0);
            assert_string_equal(dbx_sql_rows_str(it, 1), want);
        }
        i++;
    }
    if (rc != DBX_DONE)
        fail_msg("rows_next: %s: %s", dbx_status_name(rc), dbx_client_last_error(C)->message);
    assert_int_equal(i, n);
    assert_int_equal(dbx_sql_rows_next(it), DBX_DONE); /* stays done */
    assert_int_equal(dbx_sql_rows_truncated(it), 0);
    dbx_sql_rows_free(it);
}

/* ---- execute: the request and the manifest ---------------------------------------------- */

static void execute_request_and_manifest(void **state)
{
    (void)state;
    make_numbers(12);
    dbx_sql_execute_options o = DBX_SQL_EXECUTE_OPTIONS_INIT;
    o.catalog = "main";
    o.schema = "default";
    o.wait_timeout_s = 30;
    o.on_wait_timeout = DBX_SQL_ON_WAIT_TIMEOUT_CONTINUE;
    o.disposition = DBX_SQL_DISPOSITION_INLINE;
    o.format = DBX_SQL_FORMAT_JSON_ARRAY;
    dbx_sql_query_tag tags[] = {{"team", "fraud"}, {"adhoc", NULL}};
    o.query_tags = tags;
    o.n_query_tags = 2;
    dbx_sql_params *p = NULL;
    ok(dbx_sql_params_new(&p));
    ok(dbx_sql_params_add_int64(p, "lo", 2));
    assert_int_equal(dbx_sql_params_count(p), 1);
    dbx_sql_statement *st = NULL;
    ok(dbx_sql_execute(&st, C, WH, "SELECT id, name FROM numbers WHERE id >= :lo ORDER BY id", p, &o));
    json_t *req = emu_last_request(emu_get(), API);
    assert_non_null(req);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "POST");
    assert_string_equal(json_string_value(emu_req_json(req, "warehouse_id")), WH);
    assert_string_equal(json_string_value(emu_req_json(req, "statement")),
                        "SELECT id, name FROM numbers WHERE id >= :lo ORDER BY id");
    assert_string_equal(json_string_value(emu_req_json(req, "catalog")), "main");
    assert_string_equal(json_string_value(emu_req_json(req, "schema")), "default");
    assert_string_equal(json_string_value(emu_req_json(req, "wait_timeout")), "30s");
    assert_string_equal(json_string_value(emu_req_json(req, "on_wait_timeout")), "CONTINUE");
    assert_string_equal(json_string_value(emu_req_json(req, "disposition")), "INLINE");
    assert_string_equal(json_string_value(emu_req_json(req, "format")), "JSON_ARRAY");
    json_t *ps = emu_req_json(req, "parameters");
    assert_int_equal(json_array_size(ps), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(ps, 0), "name")), "lo");
    assert_string_equal(json_string_value(json_object_get(json_array_get(ps, 0), "value")), "2");
    assert_string_equal(json_string_value(json_object_get(json_array_get(ps, 0), "type")), "BIGINT");
    json_t *qt = emu_req_json(req, "query_tags");
    assert_int_equal(json_array_size(qt), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(qt, 0), "key")), "team");
    assert_string_equal(json_string_value(json_object_get(json_array_get(qt, 0), "value")), "fraud");
    assert_null(json_object_get(json_array_get(qt, 1), "value"));
    assert_null(emu_req_json(req, "row_limit"));
    json_decref(req);

    assert_int_equal(dbx_sql_statement_state(st), DBX_SQL_STATE_SUCCEEDED);
    assert_string_equal(dbx_sql_statement_state_str(st), "SUCCEEDED");
    assert_true(strlen(dbx_sql_statement_id(st)) > 0);
    assert_int_equal(dbx_sql_statement_has_manifest(st), 1);
    assert_string_equal(dbx_sql_statement_format(st), "JSON_ARRAY");
    assert_int_equal(dbx_sql_statement_disposition(st), DBX_SQL_DISPOSITION_INLINE);
    assert_int_equal(dbx_sql_statement_column_count(st), 2);
    assert_string_equal(dbx_sql_statement_column_name(st, 0), "id");
    assert_string_equal(dbx_sql_statement_column_name(st, 1), "name");
    assert_int_equal(dbx_sql_statement_column_type(st, 0), DBX_SQL_TYPE_LONG);
    assert_string_equal(dbx_sql_statement_column_type_name(st, 0), "LONG");
    assert_string_equal(dbx_sql_statement_column_type_name(st, 1), "STRING");
    assert_int_equal(dbx_sql_statement_column_type(st, 1), DBX_SQL_TYPE_STRING);
    assert_string_equal(dbx_sql_statement_column_name(st, 2), "");
    assert_int_equal(dbx_sql_statement_column_index(st, "name"), 1);
    assert_int_equal(dbx_sql_statement_total_row_count(st), 10);
    assert_int_equal(dbx_sql_statement_total_chunk_count(st), 2);
    assert_int_equal(dbx_sql_statement_truncated(st), 0);
    assert_string_equal(dbx_sql_statement_error_code(st), "");
    assert_non_null(strstr(dbx_sql_statement_json(st), "\"manifest\""));

    /* get: the same statement */
    dbx_sql_statement *g = NULL;
    ok(dbx_sql_get(&g, C, dbx_sql_statement_id(st)));
    assert_string_equal(dbx_sql_statement_id(g), dbx_sql_statement_id(st));
    assert_int_equal(dbx_sql_statement_state(g), DBX_SQL_STATE_SUCCEEDED);
    assert_int_equal(dbx_sql_statement_total_row_count(g), 10);
    char path[256];
    snprintf(path, sizeof path, API "/%s", dbx_sql_statement_id(st));
    assert_int_equal(emu_count(emu_get(), path), 1);
    dbx_sql_statement_free(g);
    dbx_sql_statement_free(st);
    dbx_sql_params_free(p);
}

/* ---- >= 20 chunks, INLINE and EXTERNAL_LINKS ------------------------------------------- */

static void inline_many_chunks(void **state)
{
    (void)state;
    make_numbers(110); /* 22 chunks of 5 rows */
    dbx_sql_execute_options o = DBX_SQL_EXECUTE_OPTIONS_INIT;
    o.disposition = DBX_SQL_DISPOSITION_INLINE;
    dbx_sql_statement *st = run("SELECT id, name FROM " T " ORDER BY id", NULL, &o);
    assert_int_equal(dbx_sql_statement_total_chunk_count(st), 22);
    const char *id = dbx_sql_statement_id(st);
    emu_clear_requests(emu_get());
    /* one chunk of a parallel window is throttled once: that call alone
     * is retried after its backoff (the same rules as a single call) */
    char fault[1024];
    snprintf(fault, sizeof fault, "{\"path\": \"%s\", \"action\": \"status\", \"status\": 503, "
                                  "\"headers\": {\"Retry-After\": \"2\"}}", chunk_path(id, 6));
    emu_fault(emu_get(), fault);
    fake_clock_reset_sleeps();
    read_numbers(st, 110, 4); /* windows of 4 chunks fetched in parallel */
    long sl[8];
    assert_int_equal(fake_clock_sleeps(sl, 8), 1);
    assert_true(sl[0] >= 2000);
    /* chunk 0 came with the statement; every other chunk exactly once */
    assert_int_equal(emu_count(emu_get(), chunk_path(id, 0)), 0);
    for (int n = 1; n < 22; n++)
        assert_int_equal(emu_count(emu_get(), chunk_path(id, n)), n == 6 ? 2 : 1);
    json_t *req = emu_last_request(emu_get(), chunk_path(id, 21));
    assert_string_equal(emu_req_header(req, "authorization"), "Bearer " EMU_TOKEN);
    json_decref(req);
    /* one chunk at a time reads the same rows */
    read_numbers(st, 110, 1);
    dbx_sql_statement_free(st);
}

static void external_links_many_chunks(void **state)
{
    (void)state;
    make_numbers(110);
    dbx_sql_execute_options o = DBX_SQL_EXECUTE_OPTIONS_INIT;
    o.disposition = DBX_SQL_DISPOSITION_EXTERNAL_LINKS;
    dbx_sql_statement *st = run("SELECT id, name FROM " T " ORDER BY id", NULL, &o);
    assert_int_equal(dbx_sql_statement_disposition(st), DBX_SQL_DISPOSITION_EXTERNAL_LINKS);
    assert_int_equal(dbx_sql_statement_total_chunk_count(st), 22);
    emu_clear_requests(emu_get());
    read_numbers(st, 110, 3);
    /* 22 downloads from the second host, none carrying Authorization, each
     * with the link's own headers */
    json_t *all = emu_requests(emu_get());
    size_t i, other = 0;
    json_t *r;
    json_array_foreach(all, i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, "server")), "other") != 0)
            continue;
        other++;
        assert_null(emu_req_header(r, "authorization"));
        assert_non_null(emu_req_header(r, "x-amz-server-side-encryption-customer-key"));
        assert_int_equal(json_integer_value(json_object_get(r, "status")), 200);
    }
    json_decref(all);
    assert_int_equal(other, 22);
    dbx_sql_statement_free(st);
    /* an empty result, both ways: done at once */
    for (int k = 0; k < 2; k++) {
        o.disposition = k ? DBX_SQL_DISPOSITION_EXTERNAL_LINKS : DBX_SQL_DISPOSITION_INLINE;
        st = run("SELECT id, name FROM " T " WHERE id < 0", NULL, &o);
        assert_int_equal(dbx_sql_statement_total_row_count(st), 0);
        dbx_sql_rows *it = NULL;
        ok(dbx_sql_rows_open(&it, C, st, NULL));
        assert_int_equal(dbx_sql_rows_next(it), DBX_DONE);
        dbx_sql_rows_free(it);
        dbx_sql_statement_free(st);
    }
}

/* ---- links: expired (403) and close to expiry ------------------------------------------ */

static size_t other_requests(int status)
{
    json_t *all = emu_requests(emu_get());
    size_t i, n = 0;
    json_t *r;
    json_array_foreach(all, i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, "server")), "other") == 0 &&
            (status == 0 || json_integer_value(json_object_get(r, "status")) == status))
            n++;
    }
    json_decref(all);
    return n;
}

static void expired_link_renewed(void **state)
{
    (void)state;
    make_numbers(12);
    dbx_sql_execute_options o = DBX_SQL_EXECUTE_OPTIONS_INIT;
    o.disposition = DBX_SQL_DISPOSITION_EXTERNAL_LINKS;
    dbx_sql_statement *st = run("SELECT id, name FROM " T " ORDER BY id", NULL, &o);
    const char *id = dbx_sql_statement_id(st);
    /* the link that came with the statement expires on the server */
    emu_advance(emu_get(), 1000L * 1000);
    emu_clear_requests(emu_get());
    read_numbers(st, 12, 1);
    /* chunk 0: its link answered 403, was renewed through the chunk endpoint,
     * and fetched again */
    assert_int_equal(other_requests(403), 1);
    assert_int_equal(emu_count(emu_get(), chunk_path(id, 0)), 1);
    assert_int_equal(other_requests(200), 3);
    dbx_sql_statement_free(st);
}

static void link_near_expiry_renewed_first(void **state)
{
    (void)state;
    emu_config(emu_get(), "{\"sql_link_ttl_s\": 30}"); /* inside the 60 s margin */
    make_numbers(12);
    dbx_sql_execute_options o = DBX_SQL_EXECUTE_OPTIONS_INIT;
    o.disposition = DBX_SQL_DISPOSITION_EXTERNAL_LINKS;
    dbx_sql_statement *st = run("SELECT id, name FROM " T " ORDER BY id", NULL, &o);
    const char *id = dbx_sql_statement_id(st);
    emu_clear_requests(emu_get());
    read_numbers(st, 12, 2);
    /* the statement's own link was renewed before use: no 403 at all, and
     * a link just obtained is used as it is (no renewal loop) */
    assert_int_equal(other_requests(403), 0);
    assert_int_equal(emu_count(emu_get(), chunk_path(id, 0)), 1);
    assert_int_equal(emu_count(emu_get(), chunk_path(id, 1)), 1);
    assert_int_equal(emu_count(emu_get(), chunk_path(id, 2)), 1);
    dbx_sql_statement_free(st);
}

/* ---- result expiry: 404, a distinct error ---------------------------------------------- */

static void expired_result_is_distinct(void **state)
{
    (void)state;
    emu_config(emu_get(), "{\"sql_result_ttl_s\": 60}");
    make_numbers(12);
    dbx_sql_statement *st = run("SELECT id, name FROM " T " ORDER BY id", NULL, NULL);
    dbx_sql_rows *it = NULL;
    dbx_sql_rows_options ro = DBX_SQL_ROWS_OPTIONS_INIT;
    ro.max_chunks = 1; /* no prefetch: chunk 1 is asked for after the expiry */
    ok(dbx_sql_rows_open(&it, C, st, &ro));
    for (int i = 0; i < 5; i++) /* chunk 0 came with the statement */
        ok(dbx_sql_rows_next(it));
    emu_advance(emu_get(), 120 * 1000);
    assert_int_equal(dbx_sql_rows_next(it), DBX_ENOTFOUND);
    assert_int_equal(dbx_sql_rows_result_expired(it), 1);
    const dbx_error *e = dbx_client_last_error(C);
    assert_int_equal(e->http_status, 404);
    assert_string_equal(e->error_code, "NOT_FOUND");
    assert_non_null(strstr(e->message, "expired"));
    assert_non_null(strstr(e->message, dbx_sql_statement_id(st)));
    /* calling again retries the same chunk, and fails the same way */
    assert_int_equal(dbx_sql_rows_next(it), DBX_ENOTFOUND);
    dbx_sql_rows_free(it);
    dbx_sql_statement *g = NULL;
    ok(dbx_sql_get(&g, C, dbx_sql_statement_id(st)));
    assert_int_equal(dbx_sql_statement_state(g), DBX_SQL_STATE_CLOSED);
    dbx_sql_statement_free(g);
    dbx_sql_statement_free(st);
}

/* ---- every type and nulls ---------------------------------------------------------------- */

static void every_type_and_nulls(void **state)
{
    (void)state;
    exec_ok("CREATE TABLE main.default.typed (i INT, b BIGINT, d DOUBLE, m DECIMAL(10,2), s STRING, "
            "f BOOLEAN, dt DATE, ts TIMESTAMP) USING DELTA");
    dbx_sql_params *p = NULL;
    ok(dbx_sql_params_new(&p));
    ok(dbx_sql_params_add(p, "i", "-42", "INT"));
    ok(dbx_sql_params_add_int64(p, "b", INT64_C(9007199254740993)));
    ok(dbx_sql_params_add_double(p, "d", 2.5));
    ok(dbx_sql_params_add(p, "m", "12345678.90", "DECIMAL(10,2)"));
    ok(dbx_sql_params_add(p, "s", "Zürich", "STRING"));
    ok(dbx_sql_params_add_bool(p, "f", 1));
    ok(dbx_sql_params_add(p, "dt", "2024-02-29", "DATE"));
    ok(dbx_sql_params_add(p, "ts", "2024-02-29T12:34:56.789Z", "TIMESTAMP"));
    dbx_sql_statement_free(
        run("INSERT INTO main.default.typed VALUES (:i, :b, :d, :m, :s, :f, :dt, :ts)", p, NULL));
    dbx_sql_params_clear(p);
    assert_int_equal(dbx_sql_params_count(p), 0);
    const char *names[] = {"i", "b", "d", "m", "s", "f", "dt", "ts"};
    const char *types[] = {"INT", "BIGINT", "DOUBLE", "DECIMAL(10,2)", "STRING", "BOOLEAN", "DATE", "TIMESTAMP"};
    for (int k = 0; k < 8; k++)
        ok(dbx_sql_params_add(p, names[k], NULL, types[k])); /* SQL NULL */
    dbx_sql_statement_free(
        run("INSERT INTO main.default.typed VALUES (:i, :b, :d, :m, :s, :f, :dt, :ts)", p, NULL));
    json_t *req = emu_last_request(emu_get(), API);
    json_t *p0 = json_array_get(emu_req_json(req, "parameters"), 0);
    assert_null(json_object_get(p0, "value")); /* NULL: value left out */
    assert_string_equal(json_string_value(json_object_get(p0, "type")), "INT");
    json_decref(req);

    dbx_sql_statement *st = run("SELECT * FROM main.default.typed ORDER BY i NULLS LAST", NULL, NULL);
    const char *tn[] = {"INT", "LONG", "DOUBLE", "DECIMAL", "STRING", "BOOLEAN", "DATE", "TIMESTAMP"};
    dbx_sql_type_t te[] = {DBX_SQL_TYPE_INT,    DBX_SQL_TYPE_LONG,    DBX_SQL_TYPE_DOUBLE, DBX_SQL_TYPE_DECIMAL,
                           DBX_SQL_TYPE_STRING, DBX_SQL_TYPE_BOOLEAN, DBX_SQL_TYPE_DATE,   DBX_SQL_TYPE_TIMESTAMP};
    assert_int_equal(dbx_sql_statement_column_count(st), 8);
    for (int k = 0; k < 8; k++) {
        assert_string_equal(dbx_sql_statement_column_name(st, k), names[k]);
        assert_string_equal(dbx_sql_statement_column_type_name(st, k), tn[k]);
        assert_int_equal(dbx_sql_statement_column_type(st, k), te[k]);
    }
    assert_string_equal(dbx_sql_statement_column_type_text(st, 3), "DECIMAL(10,2)");
    assert_int_equal(dbx_sql_statement_column_precision(st, 3), 10);
    assert_int_equal(dbx_sql_statement_column_scale(st, 3), 2);

    dbx_sql_rows *it = NULL;
    ok(dbx_sql_rows_open(&it, C, st, NULL));
    int64_t v = 0;
    double d = 0;
    int b = -1;
    assert_int_equal(dbx_sql_rows_int64(&v, it, 0), DBX_EINVAL); /* no current row */
    ok(dbx_sql_rows_next(it));
    ok(dbx_sql_rows_int64(&v, it, 0));
    assert_int_equal(v, -42);
    ok(dbx_sql_rows_int64(&v, it, 1));
    assert_true(v == INT64_C(9007199254740993));
    ok(dbx_sql_rows_double(&d, it, 2));
    assert_true(d == 2.5);
    assert_string_equal(dbx_sql_rows_decimal(it, 3), "12345678.90");
    assert_string_equal(dbx_sql_rows_str(it, 4), "Zürich");
    assert_int_equal(dbx_sql_rows_strlen(it, 4), strlen("Zürich"));
    ok(dbx_sql_rows_bool(&b, it, 5));
    assert_int_equal(b, 1);
    assert_string_equal(dbx_sql_rows_str(it, 6), "2024-02-29");
    ok(dbx_sql_rows_epoch_ms(&v, it, 6));
    assert_true(v == INT64_C(1709164800000));
    ok(dbx_sql_rows_epoch_ms(&v, it, 7));
    assert_true(v == INT64_C(1709210096789));
    ok(dbx_sql_rows_epoch_us(&v, it, 7));
    assert_true(v == INT64_C(1709210096789000));
    /* text that is not a number */
    assert_int_equal(dbx_sql_rows_int64(&v, it, 4), DBX_EBADRESPONSE);
    assert_int_equal(v, 0);
    assert_int_equal(dbx_sql_rows_bool(&b, it, 4), DBX_EBADRESPONSE);
    assert_int_equal(dbx_sql_rows_epoch_ms(&v, it, 4), DBX_EBADRESPONSE);
    assert_int_equal(dbx_sql_rows_is_null(it, 8), -1);
    assert_null(dbx_sql_rows_str(it, 8));
    /* the NULL row */
    ok(dbx_sql_rows_next(it));
    for (int k = 0; k < 8; k++) {
        assert_int_equal(dbx_sql_rows_is_null(it, k), 1);
        assert_null(dbx_sql_rows_str(it, k));
    }
    assert_int_equal(dbx_sql_rows_int64(&v, it, 0), DBX_EINVAL);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "NULL"));
    assert_int_equal(dbx_sql_rows_double(&d, it, 2), DBX_EINVAL);
    assert_int_equal(dbx_sql_rows_epoch_us(&v, it, 7), DBX_EINVAL);
    assert_int_equal(dbx_sql_rows_next(it), DBX_DONE);
    dbx_sql_rows_free(it);
    dbx_sql_statement_free(st);
    dbx_sql_params_free(p);
}

/* ---- hostile parameter strings round-trip exactly --------------------------------------- */

static void hostile_parameters_round_trip(void **state)
{
    (void)state;
    exec_ok("CREATE TABLE main.default.notes (k INT, v STRING) USING DELTA");
    const char *hostile[] = {
        "'; DROP TABLE main.default.notes; --",
        "x' OR '1'='1",
        "/* not a comment */ -- nor this",
        "a\"b`c`\\d",
        ";;;",
        ":s :k ?",
        "line1\nline2\r\n\ttab",
        "ünïcödé ✓ 𝄞",
        "",
    };
    dbx_sql_params *p = NULL;
    ok(dbx_sql_params_new(&p));
    for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
        dbx_sql_params_clear(p);
        ok(dbx_sql_params_add(p, "k", "0", "INT"));
        ok(dbx_sql_params_add(p, "k", "7", "INT")); /* replaces */
        assert_int_equal(dbx_sql_params_count(p), 1);
        ok(dbx_sql_params_add(p, "s", hostile[i], NULL));
        /* the statement text never holds the value */
        dbx_sql_statement *st = run("SELECT :s AS s, :k AS k", p, NULL);
        json_t *req = emu_last_request(emu_get(), API);
        assert_string_equal(json_string_value(emu_req_json(req, "statement")), "SELECT :s AS s, :k AS k");
        json_decref(req);
        dbx_sql_rows *it = NULL;
        ok(dbx_sql_rows_open(&it, C, st, NULL));
        ok(dbx_sql_rows_next(it));
        assert_string_equal(dbx_sql_rows_str(it, 0), hostile[i]);
        int64_t k = 0;
        ok(dbx_sql_rows_int64(&k, it, 1));
        assert_int_equal(k, 7);
        assert_int_equal(dbx_sql_rows_next(it), DBX_DONE);
        dbx_sql_rows_free(it);
        dbx_sql_statement_free(st);
        /* and stored and read back through a table */
        dbx_sql_statement_free(run("INSERT INTO main.default.notes VALUES (:k, :s)", p, NULL));
        st = run("SELECT v FROM main.default.notes WHERE v = :s", p, NULL);
        assert_int_equal(dbx_sql_statement_total_row_count(st), 1);
        dbx_sql_statement_free(st);
        exec_ok("DELETE FROM main.default.notes");
    }
    /* the table is still there */
    dbx_sql_statement_free(run("SELECT COUNT(*) AS n FROM main.default.notes", NULL, NULL));
    dbx_sql_params_free(p);
}

/* ---- FAILED statements --------------------------------------------------------------------- */

static void failed_statement_has_sql_state(void **state)
{
    (void)state;
    dbx_sql_statement *st = NULL;
    assert_int_equal(dbx_sql_execute(&st, C, WH, "SELECT * FROM main.default.does_not_exist", NULL, NULL),
                     DBX_ESTATE);
    assert_non_null(st); /* handed back, as waiters do */
    assert_int_equal(dbx_sql_statement_state(st), DBX_SQL_STATE_FAILED);
    assert_true(strlen(dbx_sql_statement_error_code(st)) > 0);
    assert_true(strlen(dbx_sql_statement_error_message(st)) > 0);
    assert_true(strlen(dbx_sql_statement_sql_state(st)) == 5);
    const dbx_error *e = dbx_client_last_error(C);
    assert_int_equal(e->status, DBX_ESTATE);
    assert_string_equal(e->error_code, dbx_sql_statement_error_code(st));
    assert_non_null(strstr(e->message, "FAILED"));
    assert_non_null(strstr(e->message, dbx_sql_statement_sql_state(st)));
    assert_int_equal(dbx_sql_statement_has_manifest(st), 0);
    /* no rows to read */
    dbx_sql_rows *it = (dbx_sql_rows *)1;
    assert_int_equal(dbx_sql_rows_open(&it, C, st, NULL), DBX_EINVAL);
    assert_null(it);
    /* wait on it: DBX_ESTATE with the snapshot */
    dbx_sql_statement *w = NULL;
    assert_int_equal(dbx_sql_wait(&w, C, dbx_sql_statement_id(st), NULL), DBX_ESTATE);
    assert_non_null(w);
    assert_int_equal(dbx_sql_statement_state(w), DBX_SQL_STATE_FAILED);
    dbx_sql_statement_free(w);
    dbx_sql_statement_free(st);
    /* run: the same */
    assert_int_equal(dbx_sql_run(&st, C, WH, "SELEC nonsense", NULL, NULL, NULL), DBX_ESTATE);
    assert_int_equal(dbx_sql_statement_state(st), DBX_SQL_STATE_FAILED);
    dbx_sql_statement_free(st);
    /* an unknown warehouse is refused by HTTP */
    st = (dbx_sql_statement *)1;
    assert_int_equal(dbx_sql_execute(&st, C, "missing-wh", "SELECT 1", NULL, NULL), DBX_ENOTFOUND);
    assert_null(st);
}

/* ---- async states, wait with the caller's deadline, cancel ---------------------------- */

static int advance_on_poll(const char *id, const char *state, void *payload)
{
    (void)id;
    (void)state;
    emu_advance(emu_get(), *(long *)payload);
    return 0;
}

static void async_states_and_wait(void **state)
{
    (void)state;
    emu_config(emu_get(), "{\"sql_pending_ms\": 2000, \"sql_running_ms\": 2000}");
    dbx_sql_execute_options o = DBX_SQL_EXECUTE_OPTIONS_INIT;
    o.wait_timeout_s = DBX_SQL_NO_WAIT;
    dbx_sql_statement *st = NULL;
    ok(dbx_sql_execute(&st, C, WH, "SELECT 1 AS one", NULL, &o));
    json_t *req = emu_last_request(emu_get(), API);
    assert_string_equal(json_string_value(emu_req_json(req, "wait_timeout")), "0s");
    json_decref(req);
    assert_int_equal(dbx_sql_statement_state(st), DBX_SQL_STATE_PENDING);
    assert_int_equal(dbx_sql_statement_has_manifest(st), 0);
    char *id = strdup(dbx_sql_statement_id(st));
    dbx_sql_statement_free(st);
    /* not reading rows of an unfinished statement */
    ok(dbx_sql_get(&st, C, id));
    assert_int_equal(dbx_sql_statement_state(st), DBX_SQL_STATE_PENDING);
    dbx_sql_rows *it = NULL;
    assert_int_equal(dbx_sql_rows_open(&it, C, st, NULL), DBX_EINVAL);
    dbx_sql_statement_free(st);
    emu_advance(emu_get(), 2500);
    ok(dbx_sql_get(&st, C, id));
    assert_int_equal(dbx_sql_statement_state(st), DBX_SQL_STATE_RUNNING);
    dbx_sql_statement_free(st);
    /* the caller's deadline: nothing moves, so the wait times out and
     * hands back the last snapshot */
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.timeout_ms = 5000;
    assert_int_equal(dbx_sql_wait(&st, C, id, &w), DBX_ETIMEOUT);
    assert_non_null(st);
    assert_int_equal(dbx_sql_statement_state(st), DBX_SQL_STATE_RUNNING);
    dbx_sql_statement_free(st);
    assert_true(fake_clock_slept_total() <= 5000);
    /* time passes on the server while we poll */
    long step = 1000;
    w.timeout_ms = 60000;
    w.on_poll = advance_on_poll;
    w.payload = &step;
    ok(dbx_sql_wait(&st, C, id, &w));
    assert_int_equal(dbx_sql_statement_state(st), DBX_SQL_STATE_SUCCEEDED);
    dbx_sql_rows *rows = NULL;
    ok(dbx_sql_rows_open(&rows, C, st, NULL));
    ok(dbx_sql_rows_next(rows));
    assert_string_equal(dbx_sql_rows_str(rows, 0), "1");
    dbx_sql_rows_free(rows);
    dbx_sql_statement_free(st);
    free(id);
}

static int stop_on_poll(const char *id, const char *state, void *payload)
{
    (void)id;
    (void)state;
    (void)payload;
    return 1;
}

static void cancel_statement(void **state)
{
    (void)state;
    emu_config(emu_get(), "{\"sql_pending_ms\": 600000}");
    dbx_sql_execute_options o = DBX_SQL_EXECUTE_OPTIONS_INIT;
    o.wait_timeout_s = DBX_SQL_NO_WAIT;
    dbx_sql_statement *st = NULL;
    ok(dbx_sql_execute(&st, C, WH, "SELECT 1", NULL, &o));
    char *id = strdup(dbx_sql_statement_id(st));
    dbx_sql_statement_free(st);
    /* on_poll stops the wait (not the statement) */
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.on_poll = stop_on_poll;
    assert_int_equal(dbx_sql_wait(&st, C, id, &w), DBX_ECANCELLED);
    assert_int_equal(dbx_sql_statement_state(st), DBX_SQL_STATE_PENDING);
    dbx_sql_statement_free(st);
    ok(dbx_sql_cancel(C, id));
    char path[256];
    snprintf(path, sizeof path, API "/%s/cancel", id);
    json_t *req = emu_last_request(emu_get(), path);
    assert_non_null(req);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "POST");
    json_decref(req);
    assert_int_equal(dbx_sql_wait(&st, C, id, NULL), DBX_ESTATE);
    assert_int_equal(dbx_sql_statement_state(st), DBX_SQL_STATE_CANCELED);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "CANCELED"));
    dbx_sql_statement_free(st);
    free(id);
    assert_int_equal(dbx_sql_cancel(C, "no-such-statement"), DBX_ENOTFOUND);
}

/* ---- close ---------------------------------------------------------------------------------- */

static void close_statement(void **state)
{
    (void)state;
    make_numbers(12);
    dbx_sql_statement *st = run("SELECT id, name FROM " T " ORDER BY id", NULL, NULL);
    const char *id = dbx_sql_statement_id(st);
    /* an iterator freed with close_statement closes it */
    dbx_sql_rows_options ro = DBX_SQL_ROWS_OPTIONS_INIT;
    ro.close_statement = 1;
    dbx_sql_rows *it = NULL;
    ok(dbx_sql_rows_open(&it, C, st, &ro));
    for (int i = 0; i < 12; i++)
        ok(dbx_sql_rows_next(it));
    char path[256];
    snprintf(path, sizeof path, API "/%s", id);
    assert_int_equal(emu_count(emu_get(), path), 0); /* not before the caller is done */
    assert_int_equal(dbx_sql_rows_next(it), DBX_DONE);
    dbx_sql_rows_free(it);
    json_t *req = emu_last_request(emu_get(), path);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "DELETE");
    json_decref(req);
    /* closing again is fine; chunks are gone */
    ok(dbx_sql_close(C, id));
    ok(dbx_sql_rows_open(&it, C, st, NULL));
    dbx_status rc;
    while ((rc = dbx_sql_rows_next(it)) == DBX_OK)
        ;
    assert_int_equal(rc, DBX_ENOTFOUND);
    dbx_sql_rows_free(it);
    dbx_sql_statement_free(st);
}

/* ---- truncation is never silent ------------------------------------------------------------ */

static void truncated_result(void **state)
{
    (void)state;
    make_numbers(12);
    dbx_sql_execute_options o = DBX_SQL_EXECUTE_OPTIONS_INIT;
    o.row_limit = 7;
    dbx_sql_statement *st = run("SELECT id, name FROM " T " ORDER BY id", NULL, &o);
    json_t *req = emu_last_request(emu_get(), API);
    assert_int_equal(json_integer_value(emu_req_json(req, "row_limit")), 7);
    json_decref(req);
    assert_int_equal(dbx_sql_statement_truncated(st), 1);
    assert_int_equal(dbx_sql_statement_total_row_count(st), 7);
    dbx_sql_rows *it = NULL;
    ok(dbx_sql_rows_open(&it, C, st, NULL));
    int n = 0;
    while (dbx_sql_rows_next(it) == DBX_OK)
        n++;
    assert_int_equal(n, 7);
    assert_int_equal(dbx_sql_rows_truncated(it), 1);
    dbx_sql_rows_free(it);
    dbx_sql_rows_options ro = DBX_SQL_ROWS_OPTIONS_INIT;
    ro.truncated_is_error = 1;
    ok(dbx_sql_rows_open(&it, C, st, &ro));
    dbx_status rc;
    n = 0;
    while ((rc = dbx_sql_rows_next(it)) == DBX_OK)
        n++;
    assert_int_equal(n, 7);
    assert_int_equal(rc, DBX_ETOOLARGE);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "truncated"));
    dbx_sql_rows_free(it);
    dbx_sql_statement_free(st);
}

/* ---- raw chunks: CSV and ARROW_STREAM ----------------------------------------------------- */

typedef struct collected {
    char *data;
    size_t len;
    int last_index, ends, bad_order;
} collected;

static int collect(void *payload, int chunk_index, const char *data, size_t len)
{
    collected *c = payload;
    if (chunk_index != c->ends) /* every byte of chunk i, then its end, then chunk i + 1 */
        c->bad_order = 1;
    if (!data) {
        c->ends++;
        c->last_index = chunk_index;
        return 0;
    }
    c->data = realloc(c->data, c->len + len + 1);
    memcpy(c->data + c->len, data, len);
    c->len += len;
    c->data[c->len] = '\0';
    return 0;
}

static int stop_at_once(void *payload, int chunk_index, const char *data, size_t len)
{
    (void)payload;
    (void)chunk_index;
    (void)data;
    (void)len;
    return 1;
}

static void csv_chunks_streamed(void **state)
{
    (void)state;
    make_numbers(110);
    dbx_sql_execute_options o = DBX_SQL_EXECUTE_OPTIONS_INIT;
    o.disposition = DBX_SQL_DISPOSITION_EXTERNAL_LINKS;
    o.format = DBX_SQL_FORMAT_CSV;
    dbx_sql_statement *st = run("SELECT id, name FROM " T " ORDER BY id", NULL, &o);
    assert_string_equal(dbx_sql_statement_format(st), "CSV");
    /* not rows */
    dbx_sql_rows *it = NULL;
    assert_int_equal(dbx_sql_rows_open(&it, C, st, NULL), DBX_EINVAL);
    collected c = {NULL, 0, -1, 0, 0};
    dbx_sql_rows_options ro = DBX_SQL_ROWS_OPTIONS_INIT;
    ro.max_chunks = 5;
    ok(dbx_sql_chunks_stream(C, st, &ro, collect, &c));
    assert_int_equal(c.ends, 22);
    assert_int_equal(c.last_index, 21);
    assert_int_equal(c.bad_order, 0);
    /* a header row, then 110 lines in order */
    int lines = 0;
    for (size_t i = 0; i < c.len; i++)
        lines += c.data[i] == '\n';
    assert_int_equal(lines, 111);
    assert_true(strncmp(c.data, "id,name", 7) == 0);
    assert_non_null(strstr(c.data, "\n0,n0"));
    assert_non_null(strstr(c.data, "\n109,n109"));
    assert_true(strstr(c.data, "\n108,n108") < strstr(c.data, "\n109,n109"));
    /* the same bytes into a file */
    char path[] = "/tmp/dbx-sql-csv-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    assert_int_equal(dbx_sql_chunks_to_file(C, st, NULL, path, 0), DBX_EEXISTS);
    ok(dbx_sql_chunks_to_file(C, st, NULL, path, 1));
    FILE *f = fopen(path, "rb");
    char *buf = malloc(c.len + 16);
    size_t got = fread(buf, 1, c.len + 16, f);
    fclose(f);
    unlink(path);
    assert_int_equal(got, c.len);
    assert_memory_equal(buf, c.data, c.len);
    free(buf);
    free(c.data);
    /* the callback stops the stream */
    assert_int_equal(dbx_sql_chunks_stream(C, st, NULL, stop_at_once, NULL), DBX_ECANCELLED);
    dbx_sql_statement_free(st);
    /* INLINE has no raw chunks */
    st = run("SELECT 1 AS one", NULL, NULL);
    assert_int_equal(dbx_sql_chunks_stream(C, st, NULL, collect, &c), DBX_EINVAL);
    dbx_sql_statement_free(st);
}

static void arrow_chunks_streamed(void **state)
{
    (void)state;
    make_numbers(12);
    dbx_sql_execute_options o = DBX_SQL_EXECUTE_OPTIONS_INIT;
    o.disposition = DBX_SQL_DISPOSITION_EXTERNAL_LINKS;
    o.format = DBX_SQL_FORMAT_ARROW_STREAM;
    dbx_sql_statement *st = NULL;
    ok(dbx_sql_run(&st, C, WH, "SELECT id, name FROM " T " ORDER BY id", NULL, &o, NULL));
    assert_string_equal(dbx_sql_statement_format(st), "ARROW_STREAM");
    collected c = {NULL, 0, -1, 0, 0};
    ok(dbx_sql_chunks_stream(C, st, NULL, collect, &c));
    assert_int_equal(c.ends, dbx_sql_statement_total_chunk_count(st));
    /* an Arrow IPC stream starts with the continuation marker 0xFFFFFFFF */
    assert_true(c.len > 8);
    assert_true((unsigned char)c.data[0] == 0xff && (unsigned char)c.data[3] == 0xff);
    free(c.data);
    dbx_sql_statement_free(st);
}

/* ---- secrets stay out of logs and errors ----------------------------------------------------- */

typedef struct logbuf {
    char *text;
    size_t len;
} logbuf;

static void capture(dbx_log_level level, dbx_log_category cat, const char *msg, void *payload)
{
    (void)level;
    (void)cat;
    logbuf *b = payload;
    size_t n = strlen(msg);
    b->text = realloc(b->text, b->len + n + 2);
    memcpy(b->text + b->len, msg, n);
    b->len += n;
    b->text[b->len++] = '\n';
    b->text[b->len] = '\0';
}

static void trace_tweak(dbx_client_options *o, void *ud)
{
    o->log_fn = capture;
    o->log_level = DBX_LOG_TRACE;
    o->log_payload = ud;
}

/* The presigned query and header value of chunk 0's link. */
static void link_secrets(const dbx_sql_statement *st, char *query, size_t qn, char *hval, size_t hn)
{
    json_error_t je;
    json_t *j = json_loads(dbx_sql_statement_json(st), 0, &je);
    json_t *l = json_array_get(json_object_get(json_object_get(j, "result"), "external_links"), 0);
    const char *url = json_string_value(json_object_get(l, "external_link"));
    assert_non_null(url);
    const char *q = strchr(url, '?');
    assert_non_null(q);
    snprintf(query, qn, "%s", q + 1);
    const char *key;
    json_t *v;
    hval[0] = '\0';
    json_object_foreach(json_object_get(l, "http_headers"), key, v) snprintf(hval, hn, "%s", json_string_value(v));
    assert_true(strlen(hval) >= 8);
    json_decref(j);
}

static void no_secrets_in_trace_logs(void **state)
{
    (void)state;
    make_numbers(12);
    logbuf lb = {NULL, 0};
    dbx_client *tc = emu_client_with(emu_get(), trace_tweak, &lb);
    dbx_sql_execute_options o = DBX_SQL_EXECUTE_OPTIONS_INIT;
    o.disposition = DBX_SQL_DISPOSITION_EXTERNAL_LINKS;
    dbx_sql_statement *st = NULL;
    ok(dbx_sql_run(&st, tc, WH, "SELECT id, name FROM " T " ORDER BY id", NULL, &o, NULL));
    char query[2048], hval[512];
    link_secrets(st, query, sizeof query, hval, sizeof hval);
    emu_advance(emu_get(), 1000L * 1000); /* the first link expires: a 403 and a renewal are logged too */
    dbx_sql_rows *it = NULL;
    ok(dbx_sql_rows_open(&it, tc, st, NULL));
    int n = 0;
    while (dbx_sql_rows_next(it) == DBX_OK)
        n++;
    assert_int_equal(n, 12);
    dbx_sql_rows_free(it);
    assert_non_null(lb.text);
    assert_non_null(strstr(lb.text, "x-amz-server-side-encryption-customer-key")); /* names are logged */
    assert_null(strstr(lb.text, query));
    assert_null(strstr(lb.text, hval));
    /* a failing download: the error names the chunk, never the link */
    emu_fault(emu_get(), "{\"server\": \"other\", \"path_prefix\": \"/sql-results/\", \"action\": \"status\", \"status\": 500, "
                        "\"times\": 100}");
    ok(dbx_sql_rows_open(&it, tc, st, NULL));
    dbx_status rc;
    while ((rc = dbx_sql_rows_next(it)) == DBX_OK)
        ;
    assert_true(rc < 0);
    const dbx_error *e = dbx_client_last_error(tc);
    assert_null(strstr(e->message, query));
    assert_null(strstr(e->message, hval));
    assert_null(strchr(e->path, '?'));
    assert_non_null(strstr(e->message, "chunk 0"));
    dbx_sql_rows_free(it);
    emu_clear_faults(emu_get());
    assert_null(strstr(lb.text, query));
    assert_null(strstr(lb.text, hval));
    dbx_sql_statement_free(st);
    dbx_client_free(tc);
    free(lb.text);
}

/* ---- bad input: DBX_EINVAL before any I/O ------------------------------------------------- */

static void invalid_arguments(void **state)
{
    (void)state;
    emu_clear_requests(emu_get());
    dbx_sql_statement *st = (dbx_sql_statement *)1;
    assert_int_equal(dbx_sql_execute(&st, NULL, WH, "SELECT 1", NULL, NULL), DBX_EINVAL);
    assert_null(st);
    assert_int_equal(dbx_sql_execute(&st, C, NULL, "SELECT 1", NULL, NULL), DBX_EINVAL);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "warehouse_id"));
    assert_int_equal(dbx_sql_execute(&st, C, WH, "", NULL, NULL), DBX_EINVAL);
    assert_int_equal(dbx_sql_execute(NULL, C, WH, "SELECT 1", NULL, NULL), DBX_EINVAL);
    dbx_sql_execute_options o = DBX_SQL_EXECUTE_OPTIONS_INIT;
    o.wait_timeout_s = 3;
    assert_int_equal(dbx_sql_execute(&st, C, WH, "SELECT 1", NULL, &o), DBX_EINVAL);
    dbx_sql_execute_options_init(&o);
    o.format = DBX_SQL_FORMAT_CSV; /* needs EXTERNAL_LINKS */
    assert_int_equal(dbx_sql_execute(&st, C, WH, "SELECT 1", NULL, &o), DBX_EINVAL);
    dbx_sql_execute_options_init(&o);
    o.row_limit = -1;
    assert_int_equal(dbx_sql_execute(&st, C, WH, "SELECT 1", NULL, &o), DBX_EINVAL);
    dbx_sql_execute_options_init(&o);
    dbx_sql_query_tag bad_tag = {"", "v"};
    o.query_tags = &bad_tag;
    o.n_query_tags = 1;
    assert_int_equal(dbx_sql_execute(&st, C, WH, "SELECT 1", NULL, &o), DBX_EINVAL);
    o.version = 99;
    assert_int_equal(dbx_sql_execute(&st, C, WH, "SELECT 1", NULL, &o), DBX_EINVAL);
    assert_int_equal(dbx_sql_execute(&st, C, WH, "SELECT \xff", NULL, NULL), DBX_EINVAL);
    assert_int_equal(dbx_sql_get(&st, C, ""), DBX_EINVAL);
    assert_int_equal(dbx_sql_wait(&st, C, NULL, NULL), DBX_EINVAL);
    assert_int_equal(dbx_sql_cancel(C, NULL), DBX_EINVAL);
    assert_int_equal(dbx_sql_close(C, ""), DBX_EINVAL);
    assert_int_equal(dbx_sql_chunks_stream(C, NULL, NULL, collect, NULL), DBX_EINVAL);
    assert_int_equal(dbx_sql_chunks_to_file(C, NULL, NULL, "/tmp/x", 0), DBX_EINVAL);
    dbx_sql_params *p = NULL;
    ok(dbx_sql_params_new(&p));
    assert_int_equal(dbx_sql_params_add(p, ":x", "1", NULL), DBX_EINVAL);
    assert_int_equal(dbx_sql_params_add(p, "a b", "1", NULL), DBX_EINVAL);
    assert_int_equal(dbx_sql_params_add(p, "x", "\xc3", NULL), DBX_EINVAL);
    assert_int_equal(dbx_sql_params_add(p, "x", "1", ""), DBX_EINVAL);
    assert_int_equal(dbx_sql_params_add(NULL, "x", "1", NULL), DBX_EINVAL);
    assert_int_equal(dbx_sql_params_add_double(p, "x", 1.0 / 0.0), DBX_EINVAL);
    assert_int_equal(dbx_sql_params_count(p), 0);
    assert_int_equal(dbx_sql_params_new(NULL), DBX_EINVAL);
    dbx_sql_params_free(p);
    dbx_sql_params_free(NULL);
    dbx_sql_statement_free(NULL);
    dbx_sql_rows_free(NULL);
    assert_int_equal(dbx_sql_rows_next(NULL), DBX_EINVAL);
    assert_int_equal(dbx_sql_rows_is_null(NULL, 0), -1);
    assert_null(dbx_sql_rows_str(NULL, 0));
    assert_string_equal(dbx_sql_statement_id(NULL), "");
    assert_string_equal(dbx_sql_state_name(DBX_SQL_STATE_CANCELED), "CANCELED");
    assert_string_equal(dbx_sql_state_name((dbx_sql_state_t)99), "UNKNOWN");
    dbx_sql_rows_options ro;
    dbx_sql_rows_options_init(&ro);
    assert_int_equal(ro.version, DBX_SQL_ROWS_OPTIONS_VERSION);
    /* nothing reached the server */
    assert_int_equal(emu_count(emu_get(), NULL), 0);
    /* rows options out of range */
    st = run("SELECT 1 AS one", NULL, NULL);
    dbx_sql_rows *it = NULL;
    ro.max_chunks = 65;
    assert_int_equal(dbx_sql_rows_open(&it, C, st, &ro), DBX_EINVAL);
    ro.max_chunks = 0;
    ro.version = 0;
    assert_int_equal(dbx_sql_rows_open(&it, C, st, &ro), DBX_EINVAL);
    assert_int_equal(dbx_sql_rows_open(&it, C, NULL, NULL), DBX_EINVAL);
    dbx_sql_statement_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(execute_request_and_manifest, setup, teardown),
        cmocka_unit_test_setup_teardown(inline_many_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(external_links_many_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(expired_link_renewed, setup, teardown),
        cmocka_unit_test_setup_teardown(link_near_expiry_renewed_first, setup, teardown),
        cmocka_unit_test_setup_teardown(expired_result_is_distinct, setup, teardown),
        cmocka_unit_test_setup_teardown(every_type_and_nulls, setup, teardown),
        cmocka_unit_test_setup_teardown(hostile_parameters_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_statement_has_sql_state, setup, teardown),
        cmocka_unit_test_setup_teardown(async_states_and_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(cancel_statement, setup, teardown),
        cmocka_unit_test_setup_teardown(close_statement, setup, teardown),
        cmocka_unit_test_setup_teardown(truncated_result, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_chunks_streamed, setup, teardown),
        cmocka_unit_test_setup_teardown(arrow_chunks_streamed, setup, teardown),
        cmocka_unit_test_setup_teardown(no_secrets_in_trace_logs, setup, teardown),
        cmocka_unit_test_setup_teardown(invalid_arguments, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    emu_stop_all();
    return rc;
}
