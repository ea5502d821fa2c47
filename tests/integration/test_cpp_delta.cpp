/*
 * The C++ layer of the Delta helpers (include/dbx/cpp/delta.hpp) against the
 * emulator: the owners and builders (table spec, row set with typed / optional /
 * explicit-type values), range-for over a read (time travel, column names from
 * the iterator's statement, values through dbx::sql_row), the history range,
 * load / optimize / vacuum, and the exceptions: dbx::error with the C detail
 * for refused input and FAILED statements, dbx::delta_write_error with the rows
 * of the batches written before a failure. Built with -Wall -Wextra -Werror.
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
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

#include "dbx/dbx.hpp"

static const char *WH = "5eedc0ffee000001"; /* the emulator's seed warehouse */
static const char *API = "/api/2.0/sql/statements";
static const char *T = "main.default.t";
static const std::string TQ = "`main`.`default`.`t`";

static dbx::client make_client(emu *e)
{
    dbx::options o;
    o.set("host", e->base).set("token", EMU_TOKEN).set("no_env", "1").set("no_config_file", "1");
    o.set("retry_initial_delay_ms", "10").set("retry_max_delay_ms", "20");
    return dbx::client(o);
}

static std::string last_statement(emu *e)
{
    json_t *req = emu_last_request(e, API);
    assert_non_null(req);
    std::string s = json_string_value(emu_req_json(req, "statement"));
    json_decref(req);
    return s;
}

/* The status of the dbx::error `fn` throws (0 when none). */
template <class Fn>
static dbx_status thrown_status(Fn fn)
{
    try {
        fn();
    } catch (const dbx::error &err) {
        return err.status();
    }
    return DBX_OK;
}

static void make_table(const dbx::client &c)
{
    dbx::delta_table_spec spec;
    spec.add_column("id", "BIGINT", true).add_columns("name STRING, score DOUBLE");
    dbx::delta_create_table(c, WH, T, spec);
}

static void quoting_and_specs(void **state)
{
    (void)state;
    assert_true(dbx::delta_quote_name("main.default.t") == TQ);
    assert_true(dbx::delta_quote_column("a`b") == "`a``b`");
    assert_true(dbx::delta_quote_literal("it's") == "'it\\'s'");
    assert_int_equal(thrown_status([] { dbx::delta_quote_name("t; DROP TABLE x"); }), DBX_EINVAL);
    try {
        dbx::delta_quote_name("a.b.c.d");
        fail_msg("accepted");
    } catch (const dbx::error &err) {
        assert_non_null(strstr(err.what(), "part")); /* the C detail */
    }

    dbx::delta_table_spec spec;
    spec.add_column("id", "bigint", true, "the key").add_columns("`first name` STRING, day DATE");
    spec.partition_by("day").comment("it's").property("delta.appendOnly", "true").if_not_exists();
    assert_true(spec.to_sql(T) == "CREATE TABLE IF NOT EXISTS " + TQ +
                                      " (`id` BIGINT NOT NULL COMMENT 'the key', `first name` STRING, `day` DATE) "
                                      "USING DELTA PARTITIONED BY (`day`) COMMENT 'it\\'s' "
                                      "TBLPROPERTIES ('delta.appendOnly' = 'true')");
    assert_int_equal(thrown_status([&] { spec.add_column("x", "VARCHAR(3); DROP TABLE t"); }), DBX_EINVAL);
    assert_int_equal(thrown_status([&] { spec.add_column("id", "INT"); }), DBX_EINVAL); /* twice */
    dbx::delta_table_spec empty;
    assert_int_equal(thrown_status([&] { (void)empty.to_sql(T); }), DBX_EINVAL);

    /* a row set: typed values, optional, explicit types, NULLs */
    dbx::delta_rowset rows({"a", "b", "c"});
    rows.row(1, "x", 1.5).row(int64_t{2}, std::string("y"), nullptr);
    rows.row(3u, std::optional<std::string>(), dbx::delta_typed{"12.50", "DECIMAL(10,2)"});
    assert_int_equal(rows.size(), 3);
    rows.add(true);
    assert_int_equal(rows.size(), 3);                                            /* an incomplete row */
    assert_int_equal(thrown_status([&] { rows.end_row(); }), DBX_EINVAL);        /* lacks values */
    assert_int_equal(thrown_status([&] { rows.add(1.0 / 0.0); }), DBX_EINVAL);  /* not finite */
    rows.clear();
    assert_int_equal(rows.size(), 0);
    assert_int_equal(thrown_status([] { dbx::delta_rowset bad({"ok", "bad\ncol"}); }), DBX_EINVAL);
}

static void create_append_upsert(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    make_table(c);
    assert_true(last_statement(e) == "CREATE TABLE " + TQ + " (`id` BIGINT NOT NULL, `name` STRING, `score` DOUBLE) "
                                         "USING DELTA");
    /* an existing table: the statement's failure, with the server's error code */
    try {
        make_table(c);
        fail_msg("created twice");
    } catch (const dbx::error &err) {
        assert_int_equal(err.status(), DBX_ESTATE);
        assert_non_null(strstr(err.what(), "TABLE_OR_VIEW_ALREADY_EXISTS"));
    }

    dbx::delta_rowset rows({"id", "name", "score"});
    rows.row(1, "x'; DROP TABLE t; --", 1.0).row(2, "two", 2.0).row(3, nullptr, std::optional<double>(3.0));
    dbx_delta_options o;
    dbx_delta_options_init(&o);
    o.batch_rows = 2;
    size_t before = emu_count(e, API);
    assert_int_equal(dbx::delta_append(c, WH, T, rows, &o), 3);
    assert_int_equal(emu_count(e, API) - before, 2); /* two batches */
    assert_true(last_statement(e) == "INSERT INTO " + TQ + " (`id`, `name`, `score`) VALUES (:p0, :p1, :p2)");

    dbx::delta_rowset up({"id", "name", "score"});
    up.row(2, "TWO", 20.0).row(4, "four", 4.0);
    assert_int_equal(dbx::delta_upsert(c, WH, T, {"id"}, up), 2);
    assert_int_equal(last_statement(e).rfind("MERGE INTO " + TQ, 0), 0);
    /* duplicate keys: refused before sending */
    before = emu_count(e, API);
    dbx::delta_rowset dup({"id", "name", "score"});
    dup.row(9, "a", 1.0).row(9, "b", 2.0);
    assert_int_equal(thrown_status([&] { dbx::delta_upsert(c, WH, T, {"id"}, dup); }), DBX_EINVAL);
    assert_int_equal(emu_count(e, API), before);

    /* a failing second batch: delta_write_error says what the first one wrote */
    dbx::delta_rowset bad({"id", "name", "score"});
    bad.row(10, "a", 1.0).row(11, "b", 1.0).row(nullptr, "c", 1.0);
    try {
        dbx::delta_append(c, WH, T, bad, &o);
        fail_msg("a NULL id was written");
    } catch (const dbx::delta_write_error &err) {
        assert_int_equal(err.status(), DBX_ESTATE);
        assert_int_equal(err.rows_written(), 2);
    }

    /* read back through the range: column names from the iterator's statement */
    dbx::delta_read_options ro;
    ro.columns = {"id", "name"};
    dbx::delta_rows r = dbx::delta_read(c, WH, T, ro);
    assert_true(last_statement(e) == "SELECT `id`, `name` FROM " + TQ);
    assert_int_equal(r.columns(), 2);
    assert_true(r.column_name(1) == "name");
    assert_int_equal(r.column_type(0), DBX_SQL_TYPE_LONG);
    assert_int_equal(r.column_index("name"), 1);
    int n = 0;
    bool saw_hostile = false, saw_null = false;
    for (const dbx::sql_row &row : r) {
        n++;
        std::optional<std::string_view> name = row.str(1);
        saw_hostile |= name && *name == "x'; DROP TABLE t; --";
        saw_null |= !name && *row.int64(0) == 3;
    }
    assert_int_equal(n, 6);
    assert_true(saw_hostile && saw_null);
}

static void read_history_maintenance(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_config(e, "{\"sql_chunk_rows\": 2}");
    dbx::client c = make_client(e);
    make_table(c); /* version 0 */
    dbx::delta_rowset rows({"id", "name", "score"});
    rows.row(1, "a", 1.0);
    dbx::delta_append(c, WH, T, rows); /* version 1 */
    rows.clear();
    for (int i = 2; i <= 6; i++)
        rows.row(i, "b", 2.0);
    dbx::delta_append(c, WH, T, rows); /* version 2 */

    int64_t sum = 0;
    for (const dbx::sql_row &row : dbx::delta_read(c, WH, T)) /* three chunks */
        sum += *row.int64(0);
    assert_int_equal(sum, 21);
    assert_true(last_statement(e) == "SELECT * FROM " + TQ);

    dbx::delta_read_options v1;
    v1.version = 1;
    v1.limit = 5;
    int n = 0;
    for (const dbx::sql_row &row : dbx::delta_read(c, WH, T, v1)) {
        assert_true(*row.str(1) == "a");
        n++;
    }
    assert_int_equal(n, 1);
    assert_true(last_statement(e) == "SELECT * FROM " + TQ + " VERSION AS OF 1 LIMIT 5");
    v1.version = 99;
    assert_int_equal(thrown_status([&] { dbx::delta_read(c, WH, T, v1); }), DBX_ESTATE);

    dbx::delta_history h = dbx::delta_describe_history(c, WH, T);
    assert_true(last_statement(e) == "DESCRIBE HISTORY " + TQ);
    assert_int_equal(h.size(), 3);
    std::vector<int64_t> versions;
    for (const dbx::delta_history_entry &entry : h) {
        versions.push_back(entry.version());
        assert_true(entry.timestamp_ms() > 0);
        assert_false(entry.user().empty());
        assert_true(entry.operation_parameters().substr(0, 1) == "{");
        assert_true(entry.operation_metrics().substr(0, 1) == "{");
    }
    assert_true((versions == std::vector<int64_t>{2, 1, 0}));
    assert_true(h[2].operation() == "CREATE TABLE");
    assert_true(h[3].operation().empty()); /* out of range: "" */

    /* TIMESTAMP AS OF the second commit */
    dbx::delta_read_options at;
    at.timestamp = std::string(h[1].timestamp());
    n = 0;
    for (const dbx::sql_row &row : dbx::delta_read(c, WH, T, at)) {
        assert_int_equal(*row.int64(0), 1);
        n++;
    }
    assert_int_equal(n, 1);
    at.timestamp = "2024-01-01' OR '1'='1";
    assert_int_equal(thrown_status([&] { dbx::delta_read(c, WH, T, at); }), DBX_EINVAL);

    assert_int_equal(dbx::delta_describe_history(c, WH, T, 1).size(), 1);
    dbx::delta_optimize(c, WH, T, {"id", "name"});
    assert_true(last_statement(e) == "OPTIMIZE " + TQ + " ZORDER BY (`id`, `name`)");
    dbx::delta_optimize(c, WH, T);
    assert_true(last_statement(e) == "OPTIMIZE " + TQ);
    dbx::delta_vacuum(c, WH, T, 168);
    assert_true(last_statement(e) == "VACUUM " + TQ + " RETAIN 168 HOURS");
    dbx::delta_vacuum(c, WH, T);
    assert_true(last_statement(e) == "VACUUM " + TQ);
    assert_int_equal(thrown_status([&] { dbx::delta_vacuum(c, WH, "main.default.nope"); }), DBX_ESTATE);
    assert_int_equal(thrown_status([&] { dbx::delta_optimize(c, WH, "t; DROP TABLE x"); }), DBX_EINVAL);
}

static void load_file(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    make_table(c);
    char path[] = "/tmp/dbx_cpp_delta_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char csv[] = "id,name,score\n1,alice,1.5\n2,bob,2.5\n";
    assert_int_equal(write(fd, csv, sizeof csv - 1), (ssize_t)(sizeof csv - 1));
    close(fd);
    dbx_delta_load_options lo;
    dbx_delta_load_options_init(&lo);
    dbx_delta_kv fo[] = {{"header", "true"}};
    lo.format_options = fo;
    lo.n_format_options = 1;
    dbx::delta_load_result r = dbx::delta_load_file(c, WH, T, path, "/Volumes/main/default/landing", &lo);
    assert_int_equal(r.rows_loaded, 2);
    assert_int_equal(r.staged_path.rfind("/Volumes/main/default/landing/dbx-load-", 0), 0);
    assert_true(last_statement(e) == "COPY INTO " + TQ + " FROM '" + r.staged_path +
                                         "' FILEFORMAT = CSV FORMAT_OPTIONS ('header' = 'true')");
    assert_int_equal(thrown_status([&] { dbx::delta_load_file(c, WH, T, path, "/tmp/x"); }), DBX_EINVAL);
    assert_int_equal(thrown_status([&] { dbx::delta_load_file(c, WH, "main.default.nope", path,
                                                              "/Volumes/main/default/landing"); }),
                     DBX_ESTATE);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quoting_and_specs),
        cmocka_unit_test_setup_teardown(create_append_upsert, emu_fixture_setup, emu_fixture_teardown),
        cmocka_unit_test_setup_teardown(read_history_maintenance, emu_fixture_setup, emu_fixture_teardown),
        cmocka_unit_test_setup_teardown(load_file, emu_fixture_setup, emu_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
