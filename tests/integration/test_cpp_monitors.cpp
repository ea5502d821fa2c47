/*
 * The C++17 layer of quality monitors (include/dbx/cpp/monitors.hpp) against the emulator:
 * the spec builder (and its exceptions), owners of monitors, refreshes and row sets, the range
 * over refreshes, range-for over drift and profile rows, the waits, string_view accessors,
 * exceptions carrying the C error record. Built with -Wall -Wextra -Werror.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>

#include "harness.h"
}

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "dbx/dbx.hpp"

#define WH "5eedc0ffee000001"
#define T "main.default.cppmon"
#define MON "/api/2.1/unity-catalog/tables/" T "/monitor"

static dbx::client make_client(emu *e)
{
    dbx::options o;
    o.set("host", e->base).set("token", EMU_TOKEN).set("no_env", "1").set("no_config_file", "1");
    o.set("retry_initial_delay_ms", "10").set("retry_max_delay_ms", "20");
    return dbx::client(o);
}

static int setup(void **state) { return emu_fixture_setup(state); }
static int teardown(void **state) { return emu_fixture_teardown(state); }

static std::string last_method(const char *path)
{
    json_t *r = emu_last_request(emu_get(), path);
    const char *s = r ? json_string_value(json_object_get(r, "method")) : nullptr;
    std::string out = s ? s : "";
    json_decref(r);
    return out;
}

static void sql(const dbx::client &c, const std::string &text)
{
    std::string body = "{\"statement\":\"" + text + "\",\"warehouse_id\":\"" WH "\",\"wait_timeout\":\"30s\"}";
    c.request("POST", "/api/2.0/sql/statements", body.c_str());
}

static void spec_builder(void **state)
{
    (void)state;
    dbx::monitor_spec s;
    s.assets_dir("/a").output_schema("main.mon").time_series("ts").granularity("1 day").granularity("1 hour");
    s.slicing_expr("channel").schedule("0 0 * * * ?", "UTC", true).warehouse_id(WH).skip_builtin_dashboard();
    s.failure_email("ops@example.com").baseline_table("main.default.base");
    s.custom_metrics_json("[{\"name\":\"m\"}]");
    std::string js = s.to_json();
    assert_non_null(strstr(js.c_str(), "\"granularities\":[\"1 day\",\"1 hour\"]"));
    assert_non_null(strstr(js.c_str(), "\"pause_status\":\"PAUSED\""));
    assert_non_null(strstr(js.c_str(), "\"email_addresses\":[\"ops@example.com\"]"));
    s.inference_log(DBX_MONITOR_PROBLEM_REGRESSION, "ts", "p", "m");
    js = s.to_json();
    assert_non_null(strstr(js.c_str(), "\"problem_type\":\"PROBLEM_TYPE_REGRESSION\""));
    assert_null(strstr(js.c_str(), "label_col"));
    s.snapshot();
    assert_non_null(strstr(s.to_json().c_str(), "\"snapshot\":{}"));
    try {
        s.granularity("1 day");
        fail_msg("no exception");
    } catch (const dbx::error &e) {
        assert_int_equal(e.status(), DBX_EINVAL);
        assert_non_null(strstr(e.what(), "set it first"));
    }
    try {
        dbx::monitor_spec::from_json("{\"time_series\":{\"timestamp_col\":\"ts\",\"granularities\":[\"2 days\"]}}");
        fail_msg("no exception");
    } catch (const dbx::error &e) {
        assert_int_equal(e.status(), DBX_EINVAL);
        assert_non_null(strstr(e.what(), "granularities[0]"));
    }
    assert_true(dbx::monitor_granularity_valid("1 month"));
    assert_false(dbx::monitor_granularity_valid("1 minute"));
    assert_true(dbx::monitor_status_name(DBX_MONITOR_STATUS_ACTIVE) == "MONITOR_STATUS_ACTIVE");
    assert_true(dbx::monitor_refresh_state_name(DBX_MONITOR_REFRESH_SUCCESS) == "SUCCESS");
    assert_true(dbx::monitor_problem_type_name(DBX_MONITOR_PROBLEM_CLASSIFICATION) == "PROBLEM_TYPE_CLASSIFICATION");
    assert_true(dbx::monitor_profile_type_name(DBX_MONITOR_PROFILE_SNAPSHOT) == "snapshot");
    assert_true(dbx::monitor_drift_type_name(DBX_MONITOR_DRIFT_CONSECUTIVE) == "CONSECUTIVE");
}

static void monitors_refreshes_and_metrics(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    sql(c, "CREATE SCHEMA IF NOT EXISTS main.mon");
    sql(c, "CREATE TABLE " T " (ts TIMESTAMP, amount DOUBLE, channel STRING)");
    sql(c, "INSERT INTO " T " VALUES ('2024-03-01 01:00:00', 1.0, 'web'), ('2024-03-01 02:00:00', 3.0, 'pos'), "
           "('2024-03-02 01:00:00', 5.0, 'web'), ('2024-03-02 02:00:00', 9.0, 'web')");

    /* errors: bad name before I/O, no monitor */
    try {
        dbx::monitor_get(c, "nodots");
        fail_msg("no exception");
    } catch (const dbx::error &ex) {
        assert_int_equal(ex.status(), DBX_EINVAL);
    }
    try {
        dbx::monitor_get(c, T);
        fail_msg("no exception");
    } catch (const dbx::error &ex) {
        assert_int_equal(ex.status(), DBX_ENOTFOUND);
        assert_int_equal(ex.http_status(), 404);
        assert_true(ex.error_code() == "RESOURCE_DOES_NOT_EXIST");
    }

    emu_config(e, "{\"monitor_create_ms\": 3000}");
    dbx::monitor_spec s;
    s.assets_dir("/x").output_schema("main.mon").time_series("ts").granularity("1 day");
    dbx::monitor m = dbx::monitor_create(c, T, s);
    assert_true(last_method(MON) == "POST");
    assert_true(m.table_name() == T);
    assert_int_equal(m.status(), DBX_MONITOR_STATUS_PENDING);
    assert_int_equal(m.profile_type(), DBX_MONITOR_PROFILE_TIME_SERIES);
    assert_true(m.timestamp_col() == "ts");
    assert_true(m.granularity(0) == "1 day");
    assert_true(m.drift_metrics_table_name() == "main.mon.cppmon_drift_metrics");
    assert_true(m.json().find("\"table_name\"") != std::string_view::npos);

    /* the wait: the fake clock runs, the emulator's clock is moved by on_poll */
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    int polls = 0;
    struct ctx {
        emu *e;
        int *polls;
    } cx = {e, &polls};
    w.on_poll = [](const char *, const char *, void *p) -> int {
        auto *x = static_cast<ctx *>(p);
        (*x->polls)++;
        emu_advance(x->e, 2000);
        return 0;
    };
    w.payload = &cx;
    dbx::monitor active = dbx::monitor_wait_active(c, T, &w);
    assert_int_equal(active.status(), DBX_MONITOR_STATUS_ACTIVE);
    assert_int_equal(polls, 3);

    dbx::monitor_spec u = dbx::monitor_spec::from_json("{\"output_schema_name\":\"main.mon\"}");
    u.slicing_expr("channel");
    dbx::monitor up = dbx::monitor_update(c, T, u);
    assert_true(last_method(MON) == "PUT");
    assert_int_equal(up.version(), 1);
    assert_true(up.slicing_expr(0) == "channel");
    std::string dash = dbx::monitor_regenerate_dashboard(c, T);
    assert_int_equal(dash.size(), 32);
    assert_true(dbx::monitor_get(c, T).dashboard_id() == dash);

    dbx::monitor_refresh r = dbx::monitor_refresh_run(c, T);
    assert_true(last_method(MON "/refreshes") == "POST");
    assert_int_equal(r.id(), 2);
    assert_int_equal(r.state(), DBX_MONITOR_REFRESH_PENDING);
    std::vector<int64_t> ids;
    for (const dbx_monitor_refresh *item : dbx::monitor_refresh_list(c, T))
        ids.push_back(dbx::monitor_refresh_view(item).id());
    assert_int_equal(ids.size(), 2);
    assert_int_equal(ids[0], 2);
    dbx::monitor_refresh done = dbx::monitor_refresh_wait(c, T, 2);
    assert_int_equal(done.state(), DBX_MONITOR_REFRESH_SUCCESS);
    assert_true(done.trigger() == "MANUAL");
    assert_int_equal(dbx::monitor_refresh_get(c, T, 1).state(), DBX_MONITOR_REFRESH_SUCCESS);
    try {
        dbx::monitor_refresh_cancel(c, T, 2);
        fail_msg("no exception");
    } catch (const dbx::error &ex) {
        assert_int_equal(ex.status(), DBX_EINVALIDPARAM);
        assert_true(ex.method() == "POST");
    }

    /* drift: day 2 against day 1 (avg 2 -> 7) */
    dbx_monitor_read_options o = DBX_MONITOR_READ_OPTIONS_INIT;
    o.column_name = "amount";
    dbx::monitor_drift d = dbx::monitor_drift_read(c, T, WH, &o);
    assert_int_equal(d.size(), 1);
    int n = 0;
    for (const dbx_monitor_drift_row &row : d) {
        assert_string_equal(row.drift_type_str, "CONSECUTIVE");
        assert_true(row.avg_delta == 5.0);
        assert_true(row.ks_test_statistic == 1.0);
        assert_true(std::isnan(row.chi_squared_test_pvalue));
        n++;
    }
    assert_int_equal(n, 1);
    dbx::monitor_profile p = dbx::monitor_profile_read(c, T, WH, &o);
    assert_int_equal(p.size(), 2);
    assert_true(p[0].avg == 2.0 && p[1].avg == 7.0);
    assert_true(p[1].max == 9.0 && p[1].count == 2.0);

    dbx::monitor_delete(c, T);
    assert_true(last_method(MON) == "DELETE");
    try {
        dbx::monitor_drift_read(c, T, WH);
        fail_msg("no exception");
    } catch (const dbx::error &ex) {
        assert_int_equal(ex.status(), DBX_ENOTFOUND);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec_builder),
        cmocka_unit_test_setup_teardown(monitors_refreshes_and_metrics, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    emu_stop_all();
    return rc;
}
