/*
 * The C++17 layer of the Jobs API (include/dbx/cpp/jobs.hpp) against the emulator: owners of
 * settings, tasks, jobs, runs and outputs; ranges over jobs and runs; exceptions carrying the
 * C error record, the idempotency token of a failed run-now, and the last snapshot of a
 * failed wait. Built with -Wall -Wextra -Werror.
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

#define API "/api/2.2/jobs"

static const char *SETTINGS = "{\"name\":\"cpp-etl\",\"max_concurrent_runs\":5,\"tasks\":["
                              "{\"task_key\":\"a\",\"notebook_task\":{\"notebook_path\":\"/a\"}},"
                              "{\"task_key\":\"b\",\"depends_on\":[{\"task_key\":\"a\"}],"
                              "\"spark_python_task\":{\"python_file\":\"/b.py\"}}]}";

static dbx::client make_client(emu *e)
{
    dbx::options o;
    o.set("host", e->base).set("token", EMU_TOKEN).set("no_env", "1").set("no_config_file", "1");
    o.set("retry_initial_delay_ms", "10").set("retry_max_delay_ms", "20");
    return dbx::client(o);
}

static int advance(const char *, const char *, void *)
{
    emu_advance(emu_get(), 2500);
    return 0;
}

static int setup(void **state)
{
    int rc = emu_fixture_setup(state);
    fake_clock_install(); /* the waiter's sleeps cost nothing */
    return rc;
}

static int teardown(void **state)
{
    fake_clock_remove();
    return emu_fixture_teardown(state);
}

static void builders_and_jobs(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);

    /* builders are owners; their setters are checked with dbx::check */
    dbx::job_task t = dbx::job_task_new("ingest");
    dbx::check(dbx_job_task_set_notebook(t.get(), "/Repos/etl/ingest", nullptr));
    dbx::check(dbx_job_task_add_library_pypi(t.get(), "requests", nullptr));
    std::string tj = dbx::job_task_to_json(t.get());
    assert_non_null(std::strstr(tj.c_str(), "\"notebook_path\":\"/Repos/etl/ingest\""));
    dbx::job_settings s = dbx::job_settings_new();
    dbx::check(dbx_job_settings_set_name(s.get(), "built"));
    dbx::check(dbx_job_settings_add_task(s.get(), t.get()));
    assert_non_null(std::strstr(dbx::job_settings_to_json(s.get()).c_str(), "\"built\""));
    int64_t built = dbx::jobs_create(c, s.get());
    json_t *req = emu_last_request(e, API "/create");
    assert_string_equal(json_string_value(emu_req_json(req, "name")), "built");
    json_decref(req);

    dbx::job_settings full = dbx::job_settings_from_json(SETTINGS);
    int64_t id = dbx::jobs_create(c, full.get());
    dbx::job j = dbx::jobs_get(c, id);
    assert_true(dbx_job_id(j.get()) == id);
    assert_true(dbx::str(dbx_job_name(j.get())) == "cpp-etl");
    assert_int_equal(dbx_job_task_count(j.get()), 2);
    assert_true(dbx::str(dbx_job_task_key(j.get(), 1)) == "b");

    /* update (partial) and reset */
    dbx::job_settings partial = dbx::job_settings_new();
    dbx::check(dbx_job_settings_set_name(partial.get(), "cpp-etl-2"));
    dbx::jobs_update(c, id, partial.get());
    req = emu_last_request(e, API "/update");
    assert_string_equal(json_string_value(json_object_get(emu_req_json(req, "new_settings"), "name")), "cpp-etl-2");
    json_decref(req);
    assert_true(dbx::str(dbx_job_name(dbx::jobs_get(c, id).get())) == "cpp-etl-2");
    dbx::jobs_reset(c, id, full.get());
    assert_true(dbx::str(dbx_job_name(dbx::jobs_get(c, id).get())) == "cpp-etl");

    /* range-for over jobs (two pages of one) */
    dbx_jobs_list_options lo = DBX_JOBS_LIST_OPTIONS_INIT;
    lo.limit = 1;
    std::set<int64_t> seen;
    for (const dbx_job *item : dbx::jobs_list(c, &lo))
        seen.insert(dbx_job_id(item));
    assert_true(seen == (std::set<int64_t>{built, id}));
    assert_true(emu_count(e, API "/list") >= 2);

    dbx::jobs_delete(c, built);
    bool thrown = false;
    try {
        dbx::jobs_get(c, built);
    } catch (const dbx::error &err) {
        thrown = true;
        assert_int_equal(err.status(), DBX_ENOTFOUND);
        assert_true(err.path() == API "/get");
        assert_true(err.error_code() == "INVALID_PARAMETER_VALUE");
        assert_non_null(std::strstr(err.what(), "does not exist"));
    }
    assert_true(thrown);

    /* builder errors: DBX_EINVAL naming the JSON path, before any request */
    thrown = false;
    try {
        dbx::job_settings_from_json("{\"tasks\":[{\"task_key\":\"a\",\"notebook_task\":{\"notebook_path\":\"/a\"},"
                                    "\"depends_on\":[{\"task_key\":\"zz\"}]}]}");
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_EINVAL && std::strstr(err.what(), "$.tasks[0].depends_on[0].task_key");
    }
    assert_true(thrown);
    thrown = false;
    try {
        dbx::job_task_new("no spaces allowed");
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_EINVAL;
    }
    assert_true(thrown);
}

static void runs_and_waits(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    dbx::job_settings s = dbx::job_settings_from_json(SETTINGS);
    int64_t id = dbx::jobs_create(c, s.get());

    dbx::run_started st = dbx::jobs_run_now(c, id);
    assert_true(st.run_id > 0);
    assert_int_equal(st.idempotency_token.size(), 32);
    json_t *req = emu_last_request(e, API "/run-now");
    assert_true(st.idempotency_token == json_string_value(emu_req_json(req, "idempotency_token")));
    json_decref(req);

    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.on_poll = advance;
    dbx::run done = dbx::jobs_wait_run(c, st.run_id, &w);
    assert_int_equal(dbx_run_result_state(done.get()), DBX_RUN_RESULT_SUCCESS);
    int64_t task_a = dbx_run_task_run_id_by_key(done.get(), "a");
    dbx::run_output out = dbx::jobs_get_run_output(c, task_a);
    assert_true(dbx_run_output_run_id(out.get()) == task_a);
    assert_true(dbx::str(dbx_run_output_result_state(out.get())) == "SUCCESS");
    dbx::run again = dbx::jobs_get_run(c, st.run_id);
    assert_true(dbx_run_id(again.get()) == st.run_id);

    /* a failed run-now keeps the token it sent */
    bool thrown = false;
    try {
        dbx::jobs_run_now(c, 123456789);
    } catch (const dbx::run_start_error &err) {
        thrown = err.status() == DBX_ENOTFOUND && err.idempotency_token().size() == 32;
    }
    assert_true(thrown);

    /* a failed wait carries the last snapshot */
    json_decref(emu_ctl(e, "POST", "/__emulator/jobs/task-outcomes",
                        "{\"rules\":[{\"match\":\"/a\",\"result_state\":\"FAILED\",\"error\":\"boom\"}]}"));
    dbx::run_started failing = dbx::jobs_run_now(c, id);
    thrown = false;
    try {
        dbx::jobs_wait_run(c, failing.run_id, &w);
    } catch (const dbx::run_wait_error &err) {
        thrown = err.status() == DBX_ESTATE && err.last() != nullptr &&
                 dbx_run_result_state(err.last()) == DBX_RUN_RESULT_FAILED;
        dbx::run_wait_error copy = err; /* copyable: the snapshot is shared */
        assert_true(copy.last() == err.last());
    }
    assert_true(thrown);
    json_decref(emu_ctl(e, "DELETE", "/__emulator/jobs/task-outcomes", nullptr));

    /* repair, cancel, cancel-all, submit, delete-run */
    dbx_jobs_repair_options ro = DBX_JOBS_REPAIR_OPTIONS_INIT;
    ro.rerun_all_failed_tasks = 1;
    ro.rerun_dependent_tasks = 1;
    assert_true(dbx::jobs_repair_run(c, failing.run_id, &ro) > 0);
    dbx::run repaired = dbx::jobs_wait_run(c, failing.run_id, &w);
    assert_int_equal(dbx_run_result_state(repaired.get()), DBX_RUN_RESULT_SUCCESS);
    dbx::run_started victim = dbx::jobs_run_now(c, id);
    dbx::jobs_cancel_run(c, victim.run_id);
    dbx::jobs_run_now(c, id);
    dbx::jobs_cancel_all_runs(c, id);
    req = emu_last_request(e, API "/runs/cancel-all");
    assert_true(json_integer_value(emu_req_json(req, "job_id")) == id);
    json_decref(req);
    dbx::job_settings one = dbx::job_settings_from_json(
        "{\"name\":\"adhoc\",\"tasks\":[{\"task_key\":\"x\",\"existing_cluster_id\":\"0101-abc\","
        "\"spark_python_task\":{\"python_file\":\"/x.py\"}}]}");
    dbx_jobs_submit_options so = DBX_JOBS_SUBMIT_OPTIONS_INIT;
    so.idempotency_token = "cpp-submit-1";
    dbx::run_started sub = dbx::jobs_submit(c, one.get(), &so);
    assert_true(sub.idempotency_token == "cpp-submit-1");
    emu_advance(e, 60000);
    dbx::jobs_delete_run(c, sub.run_id);

    /* range-for over runs, most recent first */
    dbx_jobs_runs_list_options lo = DBX_JOBS_RUNS_LIST_OPTIONS_INIT;
    lo.job_id = id;
    lo.limit = 2;
    std::vector<int64_t> runs;
    for (const dbx_run *r : dbx::jobs_list_runs(c, &lo))
        runs.push_back(dbx_run_id(r));
    assert_int_equal(runs.size(), 4); /* st, failing, victim and the one cancel-all stopped */
    assert_true(runs.back() == st.run_id);
    assert_true(runs.front() > runs.back());
    /* a failing page throws from the range; the C iterator is still freed */
    emu_fault(e, "{\"path\":\"" API "/runs/list\",\"action\":\"status\",\"status\":403,\"times\":-1}");
    thrown = false;
    try {
        for (const dbx_run *r : dbx::jobs_list_runs(c, &lo))
            (void)r;
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_EPERMISSION;
    }
    assert_true(thrown);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(builders_and_jobs, setup, teardown),
        cmocka_unit_test_setup_teardown(runs_and_waits, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
