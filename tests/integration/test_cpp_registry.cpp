/*
 * The C++17 layer of the model registries (include/dbx/cpp/registry.hpp) against the emulator:
 * owners of models, versions and iterators; ranges over searches, latest versions, tags and
 * aliases; exceptions carrying the C error record; the last snapshot of a failed wait and the
 * version left behind by a failed UC registration. Built with -Wall -Wextra -Werror.
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
#include <map>
#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "dbx/dbx.hpp"

#define WS "/api/2.0/mlflow"
#define UCL "/api/2.0/mlflow/unity-catalog"
#define UCN "/api/2.1/unity-catalog/models"
#define SRC_DIR "/Volumes/main/default/v/model"
#define SRC "dbfs:" SRC_DIR

static const char MLMODEL[] = "artifact_path: model\n"
                              "flavors:\n"
                              "  python_function:\n"
                              "    loader_module: mlflow.sklearn\n"
                              "signature:\n"
                              "  inputs: '[{\"type\": \"double\", \"name\": \"x\"}]'\n"
                              "  outputs: '[{\"type\": \"double\"}]'\n"
                              "mlflow_version: 2.9.2\n";

static dbx::client make_client(emu *e)
{
    dbx::options o;
    o.set("host", e->base).set("token", EMU_TOKEN).set("no_env", "1").set("no_config_file", "1");
    o.set("retry_initial_delay_ms", "10").set("retry_max_delay_ms", "20");
    return dbx::client(o);
}

static int setup(void **state) { return emu_fixture_setup(state); }
static int teardown(void **state) { return emu_fixture_teardown(state); }

static std::string req_str(const char *path, const char *field)
{
    json_t *r = emu_last_request(emu_get(), path);
    const char *s = r ? json_string_value(emu_req_json(r, field)) : nullptr;
    std::string out = s ? s : "";
    json_decref(r);
    return out;
}

static int advance(const char *, const char *, void *payload)
{
    (*static_cast<int *>(payload))++;
    emu_advance(emu_get(), 1000);
    return 0;
}

static void workspace_models_versions_aliases(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    assert_int_equal(dbx_files_upload_buffer(c, SRC_DIR "/MLmodel", MLMODEL, strlen(MLMODEL), nullptr), DBX_OK);

    dbx_registry_tag tags[] = {{"team", "risk"}, {"tier", "gold"}};
    dbx_registry_model_create_options mo = DBX_REGISTRY_MODEL_CREATE_OPTIONS_INIT;
    mo.description = "fraud model";
    mo.tags = tags;
    mo.n_tags = 2;
    dbx::registered_model m = dbx::registry_model_create(c, DBX_REGISTRY_WORKSPACE, "fraud", &mo);
    assert_true(req_str(WS "/registered-models/create", "description") == "fraud model");
    assert_true(dbx::str(dbx_registered_model_name(m.get())) == "fraud");
    std::map<std::string, std::string> got;
    for (auto [k, v] : dbx::tags(m.get()))
        got[std::string(k)] = std::string(v);
    assert_true(got == (std::map<std::string, std::string>{{"team", "risk"}, {"tier", "gold"}}));
    assert_int_equal(dbx::tags(m.get()).size(), 2);

    dbx::registry_model_set_tag(c, DBX_REGISTRY_WORKSPACE, "fraud", "k", "v");
    assert_true(req_str(WS "/registered-models/set-tag", "value") == "v");
    dbx::registry_model_delete_tag(c, DBX_REGISTRY_WORKSPACE, "fraud", "team");
    dbx::registered_model up = dbx::registry_model_update(c, DBX_REGISTRY_WORKSPACE, "fraud", "better");
    assert_true(dbx::str(dbx_registered_model_description(up.get())) == "better");

    /* versions: create, wait with progress on the virtual clock, search as a range */
    emu_config(e, "{\"registry_pending_ms\": 2500}");
    for (int i = 0; i < 3; i++)
        dbx::registry_version_create(c, DBX_REGISTRY_DEFAULT, "fraud", SRC);
    int polls = 0;
    dbx_wait_options wo = DBX_WAIT_OPTIONS_INIT;
    wo.on_poll = advance;
    wo.payload = &polls;
    dbx::model_version v = dbx::registry_version_wait_ready(c, DBX_REGISTRY_WORKSPACE, "fraud", 3, &wo);
    assert_int_equal(dbx_model_version_status(v.get()), DBX_MODEL_VERSION_STATUS_READY);
    assert_true(polls >= 3);
    std::set<int64_t> seen;
    dbx_registry_versions_search_options so = DBX_REGISTRY_VERSIONS_SEARCH_OPTIONS_INIT;
    so.page_size = 2;
    for (const dbx_model_version *mv : dbx::registry_versions_search(c, DBX_REGISTRY_WORKSPACE, "fraud", &so))
        seen.insert(dbx_model_version_version(mv));
    assert_true(seen == (std::set<int64_t>{1, 2, 3}));
    assert_int_equal(emu_count(e, WS "/model-versions/search"), 2);

    dbx::registry_version_set_tag(c, DBX_REGISTRY_WORKSPACE, "fraud", 1, "q", "9");
    dbx::model_version v1 = dbx::registry_version_update(c, DBX_REGISTRY_WORKSPACE, "fraud", 1, "first");
    assert_true(dbx::str(dbx_model_version_description(v1.get())) == "first");
    for (auto [k, val] : dbx::tags(v1.get()))
        assert_true(k == "q" && val == "9");
    dbx::registry_version_delete_tag(c, DBX_REGISTRY_WORKSPACE, "fraud", 1, "q");
    assert_true(dbx::registry_version_download_uri(c, DBX_REGISTRY_WORKSPACE, "fraud", 1) == SRC);

    /* stages and latest versions */
    dbx::model_version st =
        dbx::registry_version_transition_stage(c, DBX_REGISTRY_WORKSPACE, "fraud", 3, "production", false, "go");
    assert_true(dbx::str(dbx_model_version_stage(st.get())) == "Production");
    const char *stages[] = {"Production", nullptr};
    int n = 0;
    for (const dbx_model_version *mv : dbx::registry_versions_latest(c, DBX_REGISTRY_WORKSPACE, "fraud", stages)) {
        assert_int_equal(dbx_model_version_version(mv), 3);
        n++;
    }
    assert_int_equal(n, 1);

    /* aliases */
    dbx::registry_alias_set(c, DBX_REGISTRY_WORKSPACE, "fraud", "champion", 2);
    dbx::model_version a = dbx::registry_version_get_by_alias(c, DBX_REGISTRY_WORKSPACE, "fraud", "champion");
    assert_int_equal(dbx_model_version_version(a.get()), 2);
    for (std::string_view al : dbx::aliases(a.get()))
        assert_true(al == "champion");
    dbx::registered_model mm = dbx::registry_model_get(c, DBX_REGISTRY_WORKSPACE, "fraud");
    for (auto [al, ver] : dbx::aliases(mm.get()))
        assert_true(al == "champion" && ver == 2);
    assert_int_equal(dbx::aliases(mm.get()).size(), 1);
    dbx::registry_alias_delete(c, DBX_REGISTRY_WORKSPACE, "fraud", "champion");
    try {
        dbx::registry_version_get_by_alias(c, DBX_REGISTRY_WORKSPACE, "fraud", "champion");
        fail_msg("an unknown alias must throw");
    } catch (const dbx::error &err) {
        assert_int_equal(err.status(), DBX_ENOTFOUND);
        assert_int_equal(err.http_status(), 404);
        assert_true(err.error_code() == "RESOURCE_DOES_NOT_EXIST");
    }

    /* a failed registration: registry_wait_error with the last snapshot */
    emu_config(e, "{\"registry_pending_ms\": 0}");
    dbx::registry_version_create(c, DBX_REGISTRY_WORKSPACE, "fraud", "dbfs:/nowhere/model");
    try {
        dbx::registry_version_wait_ready(c, DBX_REGISTRY_WORKSPACE, "fraud", 4);
        fail_msg("FAILED_REGISTRATION must throw");
    } catch (const dbx::registry_wait_error &err) {
        assert_int_equal(err.status(), DBX_ESTATE);
        assert_non_null(err.last());
        assert_int_equal(dbx_model_version_status(err.last()), DBX_MODEL_VERSION_STATUS_FAILED_REGISTRATION);
        assert_non_null(strstr(err.what(), "dbfs:/nowhere/model"));
    }

    /* models: search range, rename, delete; local errors */
    dbx::registry_model_create(c, DBX_REGISTRY_WORKSPACE, "other");
    std::vector<std::string> names;
    for (const dbx_registered_model *x : dbx::registry_models_search(c, DBX_REGISTRY_WORKSPACE))
        names.emplace_back(dbx::str(dbx_registered_model_name(x)));
    assert_true(names == (std::vector<std::string>{"fraud", "other"}));
    dbx::registered_model r = dbx::registry_model_rename(c, DBX_REGISTRY_WORKSPACE, "other", "other2");
    assert_true(dbx::str(dbx_registered_model_name(r.get())) == "other2");
    dbx::registry_version_delete(c, DBX_REGISTRY_WORKSPACE, "fraud", 4);
    dbx::registry_model_delete(c, DBX_REGISTRY_WORKSPACE, "other2");
    try {
        dbx::registry_version_transition_stage(c, DBX_REGISTRY_UC, "a.b.c", 1, "Staging");
        fail_msg("stages are workspace-only");
    } catch (const dbx::error &err) {
        assert_int_equal(err.status(), DBX_ENOTIMPLEMENTED);
    }
}

static int stop_on_second(void *payload, const char *, int64_t)
{
    return ++*static_cast<int *>(payload) >= 2;
}

static void uc_register_and_versions(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    assert_int_equal(dbx_catalogs_create(nullptr, c, "ml", nullptr), DBX_OK);
    assert_int_equal(dbx_schemas_create(nullptr, c, "ml", "prod", nullptr), DBX_OK);
    char dir[] = "/tmp/dbx-cpp-reg-XXXXXX";
    assert_non_null(mkdtemp(dir));
    std::string d = dir;
    FILE *f = fopen((d + "/MLmodel").c_str(), "w");
    fputs(MLMODEL, f);
    fclose(f);
    f = fopen((d + "/model.pkl").c_str(), "wb");
    for (int i = 0; i < 5000; i++)
        fputc(i & 0xff, f);
    fclose(f);

    dbx_registry_register_options ro = DBX_REGISTRY_REGISTER_OPTIONS_INIT;
    ro.create_model = 1;
    ro.run_id = "0123456789abcdef0123456789abcdef";
    dbx::model_version v = dbx::registry_register_uc_version(c, "ml.prod.fraud", d, &ro);
    assert_int_equal(dbx_model_version_version(v.get()), 1);
    assert_int_equal(dbx_model_version_registry(v.get()), DBX_REGISTRY_UC);
    assert_null(dbx_model_version_stage(v.get()));
    assert_true(req_str(UCL "/model-versions/create", "source") == "runs:/0123456789abcdef0123456789abcdef/model");
    assert_int_equal(emu_count(e, "/api/2.0/fs/files/Models/ml/prod/fraud/1/model.pkl"), 1);

    /* a failure after the version exists: the exception names it */
    int files = 0;
    ro = DBX_REGISTRY_REGISTER_OPTIONS_INIT;
    ro.on_file = stop_on_second;
    ro.payload = &files;
    try {
        dbx::registry_register_uc_version(c, "ml.prod.fraud", d, &ro);
        fail_msg("a stopped upload must throw");
    } catch (const dbx::registry_wait_error &err) {
        assert_int_equal(err.status(), DBX_ECANCELLED);
        assert_int_equal(err.version(), 2);
        assert_null(err.last());
    }
    /* finish it by hand: upload, finalize, wait */
    assert_int_equal(dbx_files_upload_buffer(c, "/Models/ml/prod/fraud/2/MLmodel", MLMODEL, strlen(MLMODEL), nullptr),
                     DBX_OK);
    dbx::model_version fin = dbx::registry_version_finalize(c, DBX_REGISTRY_UC, "ml.prod.fraud", 2);
    assert_true(req_str(UCL "/model-versions/finalize", "version") == "2");
    assert_int_equal(dbx_model_version_version(fin.get()), 2);
    dbx::model_version ready = dbx::registry_version_wait_ready(c, DBX_REGISTRY_UC, "ml.prod.fraud", 2);
    assert_int_equal(dbx_model_version_status(ready.get()), DBX_MODEL_VERSION_STATUS_READY);

    dbx_registry_models_search_options mo = DBX_REGISTRY_MODELS_SEARCH_OPTIONS_INIT;
    mo.catalog_name = "ml";
    mo.schema_name = "prod";
    int n = 0;
    for (const dbx_registered_model *m : dbx::registry_models_search(c, DBX_REGISTRY_UC, &mo)) {
        assert_true(dbx::str(dbx_registered_model_catalog_name(m)) == "ml");
        n++;
    }
    assert_int_equal(n, 1);
    n = 0;
    for (const dbx_model_version *mv : dbx::registry_versions_search(c, DBX_REGISTRY_UC, "ml.prod.fraud")) {
        assert_true(dbx::str(dbx_model_version_name(mv)) == "ml.prod.fraud");
        n++;
    }
    assert_int_equal(n, 2);
    std::string cmd = "rm -rf '" + d + "'";
    assert_int_equal(system(cmd.c_str()), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(workspace_models_versions_aliases, setup, teardown),
        cmocka_unit_test_setup_teardown(uc_register_and_versions, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    emu_stop_all();
    return rc;
}
