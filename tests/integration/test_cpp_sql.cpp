/*
 * The C++ layer of SQL statement execution (include/dbx/cpp/sql.hpp) against
 * the emulator: owners (statement, parameters, rows), the parameter builder,
 * range-for over every row of a multi-chunk result with typed std::optional
 * accessors, dbx::sql_failed carrying the FAILED statement and its SQL state,
 * dbx::error from typed reads and bad calls, cancel / close, and raw chunks
 * streamed to a callable whose exception is rethrown after libdbx returns.
 * Built with -Wall -Wextra -Werror.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>

#include "harness.h"
}

#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

#include "dbx/dbx.hpp"

static const char *WH = "5eedc0ffee000001"; /* the emulator's seed warehouse */
static const char *API = "/api/2.0/sql/statements";

static dbx::client make_client(emu *e)
{
    dbx::options o;
    o.set("host", e->base).set("token", EMU_TOKEN).set("no_env", "1").set("no_config_file", "1");
    o.set("retry_initial_delay_ms", "10").set("retry_max_delay_ms", "20");
    return dbx::client(o);
}

/* main.default.numbers with ids 0..n-1, name "n<id>", NULL every 7th row */
static void make_numbers(const dbx::client &c, int n)
{
    dbx::sql_run(c, WH, "CREATE TABLE main.default.numbers (id BIGINT, name STRING) USING DELTA");
    std::string sql = "INSERT INTO main.default.numbers VALUES ";
    for (int i = 0; i < n; i++) {
        char v[64];
        if (i % 7 == 3)
            snprintf(v, sizeof v, "%s(%d, NULL)", i ? ", " : "", i);
        else
            snprintf(v, sizeof v, "%s(%d, 'n%d')", i ? ", " : "", i, i);
        sql += v;
    }
    dbx::sql_run(c, WH, sql);
}

static void owners_params_and_rows(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_config(e, "{\"sql_chunk_rows\": 5}");
    dbx::client c = make_client(e);
    make_numbers(c, 23);

    dbx::sql_params p;
    p.add("lo", int64_t{2}).add("tag", "x'; DROP TABLE t; --").add("f", 1.5).add("b", true);
    p.add("m", std::string("12.50"), "DECIMAL(10,2)").add_null("z", "INT");
    assert_int_equal(p.size(), 6);
    dbx::sql_statement st = dbx::sql_run(
        c, WH,
        "SELECT id, name, :tag AS tag, :f AS f, :b AS b, :m AS m, :z AS z FROM main.default.numbers "
        "WHERE id >= :lo ORDER BY id",
        &p);
    json_t *req = emu_last_request(e, API);
    json_t *ps = emu_req_json(req, "parameters");
    assert_int_equal(json_array_size(ps), 6);
    assert_string_equal(json_string_value(json_object_get(json_array_get(ps, 0), "type")), "BIGINT");
    assert_string_equal(json_string_value(json_object_get(json_array_get(ps, 1), "value")), "x'; DROP TABLE t; --");
    assert_null(json_object_get(json_array_get(ps, 5), "value"));
    json_decref(req);
    assert_int_equal(dbx_sql_statement_state(st.get()), DBX_SQL_STATE_SUCCEEDED);
    assert_int_equal(dbx_sql_statement_total_row_count(st.get()), 21);
    assert_int_equal(dbx_sql_statement_total_chunk_count(st.get()), 5);
    std::string id(dbx::str(dbx_sql_statement_id(st.get())));

    /* range-for over every chunk, typed optional accessors */
    dbx::sql_rows rows(c, st.get());
    assert_int_equal(rows.columns(), 7);
    assert_int_equal(rows.column_index("name"), 1);
    st.reset(); /* the range keeps what it needs */
    int64_t want = 2;
    for (const dbx::sql_row &row : rows) {
        assert_int_equal(row.index(), want - 2);
        std::optional<int64_t> idv = row.int64(0);
        assert_true(idv.has_value());
        assert_int_equal(*idv, want);
        std::optional<std::string_view> name = row.str(1);
        if (want % 7 == 3) {
            assert_false(name.has_value());
            assert_true(row.is_null(1));
        } else {
            assert_true(*name == "n" + std::to_string(want));
        }
        assert_true(*row.str(2) == "x'; DROP TABLE t; --");
        assert_true(*row.real(3) == 1.5);
        assert_true(*row.boolean(4));
        assert_true(*row.decimal(5) == "12.50");
        assert_false(row.int64(6).has_value());
        /* a typed read of text that does not convert throws the C detail */
        bool thrown = false;
        try {
            (void)row.int64(2);
        } catch (const dbx::error &err) {
            thrown = err.status() == DBX_EBADRESPONSE;
        }
        assert_true(thrown);
        /* a bad column */
        thrown = false;
        try {
            (void)row.str(99);
        } catch (const dbx::error &err) {
            thrown = err.status() == DBX_EINVAL;
        }
        assert_true(thrown);
        want++;
    }
    assert_int_equal(want, 23);
    assert_false(rows.truncated());
    char path[256];
    snprintf(path, sizeof path, "%s/%s/result/chunks/4", API, id.c_str());
    assert_int_equal(emu_count(e, path), 1);

    /* dates and timestamps */
    dbx::sql_params d;
    d.add("dt", "2024-02-29", "DATE").add("ts", "2024-02-29T12:34:56.789Z", "TIMESTAMP");
    dbx::sql_statement t = dbx::sql_run(c, WH, "SELECT :dt AS dt, :ts AS ts", &d);
    int n = 0;
    for (const dbx::sql_row &row : dbx::sql_rows(c, t.get())) {
        assert_true(*row.epoch_ms(0) == INT64_C(1709164800000));
        assert_true(*row.epoch_us(1) == INT64_C(1709210096789000));
        n++;
    }
    assert_int_equal(n, 1);
    /* get: a new owner for the same statement */
    dbx::sql_statement g = dbx::sql_get(c, dbx_sql_statement_id(t.get()));
    assert_true(dbx::str(dbx_sql_statement_id(g.get())) == dbx::str(dbx_sql_statement_id(t.get())));
}

static void failures_cancel_and_close(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    /* FAILED: dbx::sql_failed with the statement */
    bool caught = false;
    try {
        dbx::sql_run(c, WH, "SELECT * FROM main.default.does_not_exist");
    } catch (const dbx::sql_failed &err) {
        caught = err.status() == DBX_ESTATE && err.state() == "FAILED" && err.sql_state().size() == 5 &&
                 !err.statement_error_code().empty() && !err.statement_error_message().empty() &&
                 err.error_code() == err.statement_error_code();
    }
    assert_true(caught);
    /* an unknown warehouse: dbx::error, not sql_failed */
    caught = false;
    try {
        dbx::sql_execute(c, "missing-wh", "SELECT 1");
    } catch (const dbx::sql_failed &) {
        caught = false;
    } catch (const dbx::error &err) {
        caught = err.status() == DBX_ENOTFOUND && err.http_status() == 404;
    }
    assert_true(caught);
    /* rows of a statement that is not SUCCEEDED */
    emu_config(e, "{\"sql_pending_ms\": 600000}");
    dbx_sql_execute_options o = DBX_SQL_EXECUTE_OPTIONS_INIT;
    o.wait_timeout_s = DBX_SQL_NO_WAIT;
    dbx::sql_statement st = dbx::sql_execute(c, WH, "SELECT 1", nullptr, &o);
    assert_int_equal(dbx_sql_statement_state(st.get()), DBX_SQL_STATE_PENDING);
    caught = false;
    try {
        dbx::sql_rows r(c, st.get());
    } catch (const dbx::error &err) {
        caught = err.status() == DBX_EINVAL;
    }
    assert_true(caught);
    std::string id(dbx::str(dbx_sql_statement_id(st.get())));
    dbx::sql_cancel(c, id);
    char path[256];
    snprintf(path, sizeof path, "%s/%s/cancel", API, id.c_str());
    assert_int_equal(emu_count(e, path), 1);
    caught = false;
    try {
        dbx::sql_wait(c, id);
    } catch (const dbx::sql_failed &err) {
        caught = err.state() == "CANCELED";
    }
    assert_true(caught);
    /* close */
    emu_config(e, "{\"sql_pending_ms\": 0}");
    dbx::sql_statement done = dbx::sql_run(c, WH, "SELECT 1 AS one");
    std::string did(dbx::str(dbx_sql_statement_id(done.get())));
    dbx::sql_close(c, did);
    snprintf(path, sizeof path, "%s/%s", API, did.c_str());
    json_t *req = emu_last_request(e, path);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "DELETE");
    json_decref(req);
    assert_int_equal(dbx_sql_statement_state(dbx::sql_get(c, did).get()), DBX_SQL_STATE_CLOSED);
    caught = false;
    try {
        dbx::sql_cancel(c, "");
    } catch (const dbx::error &err) {
        caught = err.status() == DBX_EINVAL;
    }
    assert_true(caught);
}

static void raw_chunks(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_config(e, "{\"sql_chunk_rows\": 5}");
    dbx::client c = make_client(e);
    make_numbers(c, 12);
    dbx_sql_execute_options o = DBX_SQL_EXECUTE_OPTIONS_INIT;
    o.disposition = DBX_SQL_DISPOSITION_EXTERNAL_LINKS;
    o.format = DBX_SQL_FORMAT_CSV;
    dbx::sql_statement st = dbx::sql_run(c, WH, "SELECT id, name FROM main.default.numbers ORDER BY id", nullptr, &o);
    std::string all;
    std::vector<int> ends;
    dbx::sql_chunks_stream(c, st.get(), [&](int chunk, std::string_view piece) {
        if (piece.empty())
            ends.push_back(chunk);
        all.append(piece);
    });
    assert_int_equal(ends.size(), 3);
    assert_int_equal(ends[2], 2);
    assert_true(all.rfind("id,name\n0,n0\n", 0) == 0);
    assert_true(all.find("\n11,n11") != std::string::npos);
    /* to a file */
    char path[] = "/tmp/dbx-cpp-sql-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    bool caught = false;
    try {
        dbx::sql_chunks_to_file(c, st.get(), path);
    } catch (const dbx::error &err) {
        caught = err.status() == DBX_EEXISTS;
    }
    assert_true(caught);
    dbx::sql_chunks_to_file(c, st.get(), path, true);
    FILE *f = fopen(path, "rb");
    std::string back(all.size() + 16, '\0');
    size_t got = fread(&back[0], 1, back.size(), f);
    fclose(f);
    unlink(path);
    assert_int_equal(got, all.size());
    assert_true(back.compare(0, got, all) == 0);
    /* an exception thrown by the callable stops the stream and comes back unchanged */
    int calls = 0;
    caught = false;
    try {
        dbx::sql_chunks_stream(c, st.get(), [&](int, std::string_view) {
            calls++;
            throw std::runtime_error("stop here");
        });
    } catch (const std::runtime_error &err) {
        caught = std::string(err.what()) == "stop here";
    }
    assert_true(caught);
    assert_int_equal(calls, 1);
    /* INLINE has no raw chunks */
    dbx::sql_statement inl = dbx::sql_run(c, WH, "SELECT 1 AS one");
    caught = false;
    try {
        dbx::sql_chunks_stream(c, inl.get(), [](int, std::string_view) {});
    } catch (const dbx::error &err) {
        caught = err.status() == DBX_EINVAL;
    }
    assert_true(caught);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(owners_params_and_rows, emu_fixture_setup, emu_fixture_teardown),
        cmocka_unit_test_setup_teardown(failures_cancel_and_close, emu_fixture_setup, emu_fixture_teardown),
        cmocka_unit_test_setup_teardown(raw_chunks, emu_fixture_setup, emu_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
