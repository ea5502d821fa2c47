/*
 * The header-only C++17 layer (include/dbx/dbx.hpp) against the emulator:
 * RAII owners, exceptions carrying the C error record, range-for over
 * iterators, string_view accessors. Built with -Wall -Wextra -Werror.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>

#include "harness.h"
}

#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "dbx/dbx.hpp"

static const char *SPEC = "{\"cluster_name\":\"cpp\",\"spark_version\":\"15.4.x-scala2.12\",\"num_workers\":1}";

static dbx::client make_client(emu *e)
{
    dbx::options o;
    o.set("host", e->base).set("token", EMU_TOKEN).set("no_env", "1").set("no_config_file", "1");
    o.set("retry_initial_delay_ms", "10").set("retry_max_delay_ms", "20");
    return dbx::client(o);
}

static void owners_and_calls(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    assert_true(c.host() == std::string_view(e->base));
    assert_true(c.auth_type() == "pat");
    dbx::cluster_spec spec = dbx::cluster_spec_from_json(SPEC);
    std::string id = dbx::clusters_create(c, spec.get());
    assert_false(id.empty());
    json_t *req = emu_last_request(e, "/api/2.1/clusters/create");
    assert_string_equal(json_string_value(emu_req_json(req, "cluster_name")), "cpp");
    json_decref(req);
    dbx::cluster cl = dbx::clusters_get(c, id);
    assert_true(dbx::str(dbx_cluster_id(cl.get())) == id);
    assert_true(dbx::str(dbx_cluster_state_str(cl.get())) == "PENDING");
    dbx::response r = c.request("GET", "/api/2.1/clusters/spark-versions");
    assert_int_equal(dbx_response_status(r.get()), 200);
}

static void errors_are_exceptions(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    bool thrown = false;
    try {
        dbx::clusters_get(c, "no-such-cluster");
    } catch (const dbx::error &err) {
        thrown = true;
        assert_int_equal(err.status(), DBX_ENOTFOUND);
        assert_string_equal(err.status_name(), "DBX_ENOTFOUND");
        assert_int_equal(err.http_status(), 400);
        assert_true(err.error_code() == "INVALID_PARAMETER_VALUE");
        assert_true(err.path() == "/api/2.1/clusters/get");
        assert_false(err.request_id().empty());
        assert_non_null(std::strstr(err.what(), "no-such-cluster"));
    }
    assert_true(thrown);
    thrown = false;
    try {
        dbx::cluster_spec_from_json("{\"num_workers\":1,\"autoscale\":{\"min_workers\":1,\"max_workers\":2}}");
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_EINVAL;
    }
    assert_true(thrown);
    thrown = false;
    try {
        dbx::options o;
        o.set("no_env", "1").set("no_config_file", "1");
        dbx::client bad(o);
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_ECONFIG;
    }
    assert_true(thrown);
}

static void ranges_and_waits(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_config(e, "{\"page_size_clusters\":2}");
    dbx::client c = make_client(e);
    dbx::cluster_spec spec = dbx::cluster_spec_from_json(SPEC);
    std::set<std::string> made;
    for (int i = 0; i < 5; i++)
        made.insert(dbx::clusters_create(c, spec.get()));
    std::set<std::string> seen;
    for (const dbx_cluster *cl : dbx::clusters_list(c))
        seen.insert(std::string(dbx::str(dbx_cluster_id(cl))));
    assert_true(seen == made);
    assert_int_equal(emu_count(e, "/api/2.1/clusters/list"), 3);

    std::string id = *made.begin();
    emu_advance(e, 2000);
    dbx::cluster running = dbx::clusters_wait_running(c, id);
    assert_int_equal(dbx_cluster_state(running.get()), DBX_CLUSTER_STATE_RUNNING);
    dbx::clusters_delete(c, id);
    emu_advance(e, 2000);
    dbx::cluster done = dbx::clusters_wait_terminated(c, id);
    assert_int_equal(dbx_cluster_state(done.get()), DBX_CLUSTER_STATE_TERMINATED);
    std::vector<std::string> types;
    for (const dbx_cluster_event *ev : dbx::clusters_events(c, id))
        types.emplace_back(dbx::str(dbx_cluster_event_type(ev)));
    assert_false(types.empty());

    /* a failing page throws from the range, and the range's C iterator is still freed */
    emu_fault(e, "{\"path\":\"/api/2.1/clusters/list\",\"action\":\"status\",\"status\":403,\"times\":-1}");
    bool thrown = false;
    try {
        for (const dbx_cluster *cl : dbx::clusters_list(c))
            (void)cl;
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_EPERMISSION;
    }
    assert_true(thrown);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(owners_and_calls, emu_fixture_setup, emu_fixture_teardown),
        cmocka_unit_test_setup_teardown(errors_are_exceptions, emu_fixture_setup, emu_fixture_teardown),
        cmocka_unit_test_setup_teardown(ranges_and_waits, emu_fixture_setup, emu_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
