/*
 * The C++17 layer of MLflow tracking (include/dbx/cpp/mlflow.hpp) against the emulator: RAII
 * owners (experiment, run, iterators, the logger), range-for over paged searches and histories,
 * the active-run scope (FINISHED / FAILED), std::istream uploads and callable sinks with
 * exceptions rethrown after the C call, dbx::error with the C error record.
 * Built with -Wall -Wextra -Werror.
 */
/* the C++ headers first: cmocka defines fail() as a macro, which <ios> declares */
#include <cstdio>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>

#include "harness.h"
}

#include "dbx/dbx.hpp"

#define API "/api/2.0/mlflow"

static dbx::client make_client(emu *e)
{
    dbx::options o;
    o.set("host", e->base).set("token", EMU_TOKEN).set("no_env", "1").set("no_config_file", "1");
    o.set("retry_initial_delay_ms", "10").set("retry_max_delay_ms", "20");
    return dbx::client(o);
}

static std::string jstr(json_t *req, const char *field)
{
    const char *s = json_string_value(emu_req_json(req, field));
    return s ? s : "";
}

static void experiments_and_runs(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    std::string exp = dbx::mlflow_experiment_create(c, "/Shared/cpp", nullptr, {{"team", "fraud"}});
    json_t *r = emu_last_request(e, API "/experiments/create");
    assert_true(jstr(r, "name") == "/Shared/cpp");
    json_decref(r);
    {
        dbx::mlflow_experiment ex = dbx::mlflow_experiment_get(c, exp);
        assert_true(dbx::mlflow_experiment_id(ex.get()) == exp);
        assert_true(dbx::mlflow_experiment_name(ex.get()) == "/Shared/cpp");
        assert_true(dbx::mlflow_experiment_tag(ex.get(), "team") == "fraud");
        assert_true(dbx::mlflow_experiment_lifecycle_stage(ex.get()) == "active");
    }
    dbx::mlflow_experiment_update(c, exp, "/Shared/cpp2");
    dbx::mlflow_experiment_set_tag(c, exp, "k", "v");
    assert_true(dbx::mlflow_experiment_tag(dbx::mlflow_experiment_get_by_name(c, "/Shared/cpp2").get(), "k") == "v");

    /* the active-run scope: FINISHED on a normal exit, FAILED when an exception leaves it */
    std::string ok_id, failed_id;
    {
        dbx::mlflow_active_run run(c, exp, "ok", {{"src", "cpp"}});
        ok_id = run.id();
        assert_true(dbx::mlflow_run_status_str(run.created()) == "RUNNING");
        dbx::mlflow_run_log_param(c, run.id(), "lr", "0.1");
        dbx::mlflow_run_log_metric(c, run.id(), "loss", 0.5, 1000, 1);
        dbx::mlflow_run_log_batch(c, run.id(), {{"acc", 0.9, 1000, 1}}, {{"p", "1"}}, {{"t", "x"}});
    }
    r = emu_last_request(e, API "/runs/update");
    assert_true(jstr(r, "status") == "FINISHED");
    json_decref(r);
    try {
        dbx::mlflow_active_run run(c, exp, "bad");
        failed_id = run.id();
        throw std::runtime_error("boom");
    } catch (const std::runtime_error &) {
    }
    dbx::mlflow_run got = dbx::mlflow_run_get(c, failed_id);
    assert_true(dbx::mlflow_run_status_str(got.get()) == "FAILED");
    got = dbx::mlflow_run_get(c, ok_id);
    assert_int_equal(dbx_mlflow_run_status(got.get()), DBX_MLFLOW_RUN_STATUS_FINISHED);
    assert_true(dbx::mlflow_run_param(got.get(), "lr") == "0.1");
    assert_true(dbx::mlflow_run_tag(got.get(), "src") == "cpp");
    double v = 0;
    assert_true(dbx_mlflow_run_metric(got.get(), "acc", &v) && v == 0.9);

    /* a paged search as a range */
    emu_config(e, "{\"page_size_mlflow_search\": 1}");
    dbx_mlflow_search_options so = DBX_MLFLOW_SEARCH_OPTIONS_INIT;
    const char *order[] = {"attributes.run_name ASC", nullptr};
    so.order_by = order;
    std::vector<std::string> names;
    for (const dbx_mlflow_run *run : dbx::mlflow_runs_search(c, {exp}, &so))
        names.emplace_back(dbx::mlflow_run_name(run));
    assert_int_equal(names.size(), 2);
    assert_true(names[0] == "bad" && names[1] == "ok");
    assert_int_equal(emu_count(e, API "/runs/search"), 2);
    size_t n_exp = 0;
    for (const dbx_mlflow_experiment *ex : dbx::mlflow_experiments_search(c))
        n_exp += dbx::mlflow_experiment_id(ex) == exp;
    assert_int_equal(n_exp, 1);

    /* errors carry the C record */
    bool thrown = false;
    try {
        dbx::mlflow_run_log_param(c, ok_id, "lr", "0.2");
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_EINVALIDPARAM && err.http_status() == 400 &&
                 err.error_code() == "INVALID_PARAMETER_VALUE";
    }
    assert_true(thrown);
    thrown = false;
    try {
        dbx::mlflow_experiment_create(c, "/Shared/cpp2");
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_EEXISTS;
    }
    assert_true(thrown);
    dbx::mlflow_run_delete(c, ok_id);
    dbx::mlflow_run_restore(c, ok_id);
    dbx::mlflow_experiment_delete(c, exp);
    dbx::mlflow_experiment_restore(c, exp);
}

static void logger_and_history(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    std::string exp = dbx::mlflow_experiment_create(c, "/Shared/cpp-log");
    std::string rid(dbx::mlflow_run_id(dbx::mlflow_run_create(c, exp).get()));
    {
        dbx::mlflow_logger log(c, rid);
        for (int i = 0; i < 1500; i++)
            log.add_metric("m", i, 1, i);
        log.add_param("p", "1");
        bool thrown = false;
        try {
            log.add_param("p", "2");
        } catch (const dbx::error &err) {
            thrown = err.status() == DBX_EINVAL;
        }
        assert_true(thrown);
        assert_int_equal(log.pending(), 1501);
        log.flush();
        assert_int_equal(log.requests(), 2);
        assert_int_equal(log.last_failure(), DBX_OK);
    }
    assert_int_equal(emu_count(e, API "/runs/log-batch"), 2);
    emu_config(e, "{\"page_size_mlflow_history\": 400}");
    long n = 0;
    for (const dbx_mlflow_metric *m : dbx::mlflow_metric_history(c, rid, "m")) {
        assert_true(dbx::mlflow_metric_key(m) == "m");
        assert_int_equal(dbx_mlflow_metric_step(m), n);
        n++;
    }
    assert_int_equal(n, 1500);
    assert_int_equal(emu_count(e, API "/metrics/get-history"), 4);
    /* a range that is not exhausted frees its iterator (valgrind / ASan would see a leak) */
    for (const dbx_mlflow_metric *m : dbx::mlflow_metric_history(c, rid, "m")) {
        (void)m;
        break;
    }
}

static void artifacts(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    std::string exp = dbx::mlflow_experiment_create(c, "/Shared/cpp-art");
    std::string rid(dbx::mlflow_run_id(dbx::mlflow_run_create(c, exp).get()));
    std::string payload(200000, 'a');
    for (size_t i = 0; i < payload.size(); i++)
        payload[i] = static_cast<char>(i * 31);
    std::istringstream in(payload);
    dbx::mlflow_artifact_upload(c, rid, "dir/blob.bin", in);
    json_t *r = emu_last_request(e, API "/artifacts/credentials-for-write");
    assert_true(jstr(r, "run_id") == rid);
    json_decref(r);
    assert_true(dbx::mlflow_artifact_download_string(c, rid, "dir/blob.bin") == payload);
    std::vector<std::string> listed;
    for (const dbx_mlflow_artifact *a : dbx::mlflow_artifacts_list(c, rid, "dir")) {
        listed.emplace_back(dbx::mlflow_artifact_path(a));
        assert_int_equal(dbx_mlflow_artifact_file_size(a), 200000);
    }
    assert_int_equal(listed.size(), 1);
    assert_true(listed[0] == "dir/blob.bin");
    /* an exception in the sink stops the download and is rethrown */
    bool thrown = false;
    try {
        dbx::mlflow_artifact_download(c, rid, "dir/blob.bin", [](std::string_view) { throw std::logic_error("sink"); });
    } catch (const std::logic_error &err) {
        thrown = std::strcmp(err.what(), "sink") == 0;
    }
    assert_true(thrown);
    thrown = false;
    try {
        (void)dbx::mlflow_artifact_download_string(c, rid, "none.bin");
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_ENOTFOUND;
    }
    assert_true(thrown);
    thrown = false;
    try {
        dbx::mlflow_artifact_upload_file(c, rid, "/abs.txt", "/nonexistent");
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_EINVAL;
    }
    assert_true(thrown);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(experiments_and_runs, emu_fixture_setup, emu_fixture_teardown),
        cmocka_unit_test_setup_teardown(logger_and_history, emu_fixture_setup, emu_fixture_teardown),
        cmocka_unit_test_setup_teardown(artifacts, emu_fixture_setup, emu_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
