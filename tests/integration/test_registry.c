#define _POSIX_C_SOURCE 200809L
/*
 * Model registries against the emulator over HTTP: every public function of
 * include/dbx/registry.h in the workspace registry and in Unity Catalog,
 * asserting on the request libdbx sent (the emulator's request log) and on
 * the result; stage transitions with archiving, alias moves, search paging,
 * the READY waiter (virtual clock, fake sleep), UC registration end to end
 * and its failures, and the calls one registry does not have.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define WS "/api/2.0/mlflow"
#define UCL "/api/2.0/mlflow/unity-catalog"
#define UCN "/api/2.1/unity-catalog/models"

static dbx_client *C;

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

#define expect_local(call, want, needle) expect_local_at((call), (want), (needle), #call, __LINE__)

/* A call that must fail before any I/O with `want` naming `needle`. */
static void expect_local_at(dbx_status st, dbx_status want, const char *needle, const char *what, int line)
{
    const dbx_error *err = dbx_client_last_error(C);
    size_t sent = emu_count(emu_get(), NULL);
    if (st != want || err->status != want || !strstr(err->message, needle) || sent != 0)
        fail_msg("line %d: %s: %s \"%s\"; want %s naming \"%s\" and no request (%zu sent)", line, what,
                 dbx_status_name(st), err->message, dbx_status_name(want), needle, sent);
}

static void expect_server(dbx_status st, dbx_status want, int http, const char *code, const char *needle)
{
    const dbx_error *err = dbx_client_last_error(C);
    if (st != want || err->http_status != http || strcmp(err->error_code, code) != 0 ||
        (needle && !strstr(err->message, needle)))
        fail_msg("%s http %d %s \"%s\"; want %s %d %s \"%s\"", dbx_status_name(st), err->http_status,
                 err->error_code, err->message, dbx_status_name(want), http, code, needle ? needle : "");
}

static const char *jstr(const json_t *req, const char *name)
{
    return json_string_value(emu_req_json(req, name));
}

/* A model directory for the workspace registry: MLmodel in the Files store. */
static const char MLMODEL_SIG[] = "artifact_path: model\n"
                                  "flavors:\n"
                                  "  python_function:\n"
                                  "    loader_module: mlflow.sklearn\n"
                                  "signature:\n"
                                  "  inputs: '[{\"type\": \"double\", \"name\": \"x\"}]'\n"
                                  "  outputs: '[{\"type\": \"double\"}]'\n"
                                  "  params: null\n"
                                  "mlflow_version: 2.9.2\n";

static void put_volume_model(const char *dir)
{
    char p[256];
    snprintf(p, sizeof p, "%s/MLmodel", dir);
    assert_int_equal(dbx_files_upload_buffer(C, p, MLMODEL_SIG, strlen(MLMODEL_SIG), NULL), DBX_OK);
    snprintf(p, sizeof p, "%s/model.pkl", dir);
    assert_int_equal(dbx_files_upload_buffer(C, p, "pickle", 6, NULL), DBX_OK);
}

#define SRC_DIR "/Volumes/main/default/v/model"
#define SRC "dbfs:" SRC_DIR

static int64_t ws_version(const char *name)
{
    dbx_model_version *mv = NULL;
    assert_int_equal(dbx_registry_version_create(&mv, C, DBX_REGISTRY_WORKSPACE, name, SRC, NULL), DBX_OK);
    int64_t v = dbx_model_version_version(mv);
    dbx_model_version_free(mv);
    return v;
}

/* ---- workspace: models ---------------------------------------------------------------------- */

static void test_ws_models(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_registered_model *m = NULL;
    dbx_registry_tag tags[] = {{"team", "risk"}, {"tier", "1"}};
    dbx_registry_model_create_options co = DBX_REGISTRY_MODEL_CREATE_OPTIONS_INIT;
    co.description = "fraud model";
    co.tags = tags;
    co.n_tags = 2;
    assert_int_equal(dbx_registry_model_create(&m, C, DBX_REGISTRY_WORKSPACE, "fraud", &co), DBX_OK);
    json_t *req = emu_last_request(e, WS "/registered-models/create");
    assert_non_null(req);
    assert_string_equal(jstr(req, "name"), "fraud");
    assert_string_equal(jstr(req, "description"), "fraud model");
    json_t *jt = emu_req_json(req, "tags");
    assert_int_equal(json_array_size(jt), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(jt, 1), "key")), "tier");
    json_decref(req);
    assert_int_equal(dbx_registered_model_registry(m), DBX_REGISTRY_WORKSPACE);
    assert_string_equal(dbx_registered_model_name(m), "fraud");
    assert_string_equal(dbx_registered_model_description(m), "fraud model");
    assert_string_equal(dbx_registered_model_catalog_name(m), "");
    assert_int_equal(dbx_registered_model_tag_count(m), 2);
    assert_string_equal(dbx_registered_model_tag(m, "team"), "risk");
    assert_null(dbx_registered_model_tag(m, "nope"));
    assert_string_equal(dbx_registered_model_tag_key(m, 1), "tier");
    assert_string_equal(dbx_registered_model_tag_value(m, 1), "1");
    assert_null(dbx_registered_model_tag_key(m, 2));
    assert_true(dbx_registered_model_creation_timestamp(m) > 0);
    assert_non_null(strstr(dbx_registered_model_json(m), "\"fraud\""));
    dbx_registered_model_free(m);

    /* duplicate: 400 RESOURCE_ALREADY_EXISTS -> DBX_EEXISTS */
    expect_server(dbx_registry_model_create(NULL, C, DBX_REGISTRY_WORKSPACE, "fraud", NULL), DBX_EEXISTS, 400,
                  "RESOURCE_ALREADY_EXISTS", "fraud");

    /* get: query name */
    assert_int_equal(dbx_registry_model_get(&m, C, DBX_REGISTRY_WORKSPACE, "fraud"), DBX_OK);
    req = emu_last_request(e, WS "/registered-models/get");
    assert_string_equal(emu_req_query(req, "name"), "fraud");
    json_decref(req);
    assert_string_equal(dbx_registered_model_owner(m), dbx_registered_model_owner(m));
    dbx_registered_model_free(m);

    /* update */
    assert_int_equal(dbx_registry_model_update(&m, C, DBX_REGISTRY_WORKSPACE, "fraud", "v2 text"), DBX_OK);
    req = emu_last_request(e, WS "/registered-models/update");
    assert_string_equal(json_string_value(json_object_get(req, "method")), "PATCH");
    assert_string_equal(jstr(req, "description"), "v2 text");
    json_decref(req);
    assert_string_equal(dbx_registered_model_description(m), "v2 text");
    dbx_registered_model_free(m);

    /* tags */
    assert_int_equal(dbx_registry_model_set_tag(C, DBX_REGISTRY_WORKSPACE, "fraud", "owner", "ann"), DBX_OK);
    req = emu_last_request(e, WS "/registered-models/set-tag");
    assert_string_equal(jstr(req, "key"), "owner");
    assert_string_equal(jstr(req, "value"), "ann");
    json_decref(req);
    assert_int_equal(dbx_registry_model_delete_tag(C, DBX_REGISTRY_WORKSPACE, "fraud", "team"), DBX_OK);
    req = emu_last_request(e, WS "/registered-models/delete-tag");
    assert_string_equal(json_string_value(json_object_get(req, "method")), "DELETE");
    assert_string_equal(emu_req_query(req, "key"), "team");
    json_decref(req);
    assert_int_equal(dbx_registry_model_get(&m, C, DBX_REGISTRY_WORKSPACE, "fraud"), DBX_OK);
    assert_string_equal(dbx_registered_model_tag(m, "owner"), "ann");
    assert_null(dbx_registered_model_tag(m, "team"));
    dbx_registered_model_free(m);

    /* rename */
    assert_int_equal(dbx_registry_model_rename(&m, C, DBX_REGISTRY_WORKSPACE, "fraud", "fraud2"), DBX_OK);
    req = emu_last_request(e, WS "/registered-models/rename");
    assert_string_equal(jstr(req, "new_name"), "fraud2");
    json_decref(req);
    assert_string_equal(dbx_registered_model_name(m), "fraud2");
    dbx_registered_model_free(m);
    m = (dbx_registered_model *)1;
    expect_server(dbx_registry_model_get(&m, C, DBX_REGISTRY_WORKSPACE, "fraud"), DBX_ENOTFOUND, 404,
                  "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=fraud not found");
    assert_null(m);

    /* delete */
    assert_int_equal(dbx_registry_model_delete(C, DBX_REGISTRY_WORKSPACE, "fraud2"), DBX_OK);
    req = emu_last_request(e, WS "/registered-models/delete");
    assert_string_equal(emu_req_query(req, "name"), "fraud2");
    json_decref(req);
    expect_server(dbx_registry_model_delete(C, DBX_REGISTRY_WORKSPACE, "fraud2"), DBX_ENOTFOUND, 404,
                  "RESOURCE_DOES_NOT_EXIST", NULL);
}

static void test_ws_models_search_paging(void **state)
{
    (void)state;
    emu *e = emu_get();
    char name[32];
    for (int i = 0; i < 7; i++) {
        snprintf(name, sizeof name, "churn-%d", i);
        assert_int_equal(dbx_registry_model_create(NULL, C, DBX_REGISTRY_WORKSPACE, name, NULL), DBX_OK);
    }
    assert_int_equal(dbx_registry_model_create(NULL, C, DBX_REGISTRY_WORKSPACE, "other", NULL), DBX_OK);
    emu_clear_requests(e);
    dbx_registered_models_iter *it = NULL;
    const char *order[] = {"name DESC", NULL};
    dbx_registry_models_search_options so = DBX_REGISTRY_MODELS_SEARCH_OPTIONS_INIT;
    so.filter = "name LIKE 'churn-%'";
    so.order_by = order;
    so.page_size = 3;
    assert_int_equal(dbx_registry_models_search(&it, C, DBX_REGISTRY_WORKSPACE, &so), DBX_OK);
    assert_int_equal(emu_count(e, NULL), 0); /* no request until the first _next */
    const dbx_registered_model *m;
    int n = 0;
    dbx_status st;
    while ((st = dbx_registered_models_iter_next(&m, it)) == DBX_OK) {
        snprintf(name, sizeof name, "churn-%d", 6 - n);
        assert_string_equal(dbx_registered_model_name(m), name);
        n++;
    }
    assert_int_equal(st, DBX_DONE);
    assert_int_equal(n, 7);
    dbx_registered_models_iter_free(it);
    json_t *reqs = emu_requests_to(e, WS "/registered-models/search");
    assert_int_equal(json_array_size(reqs), 3);
    json_t *r0 = json_array_get(reqs, 0), *r1 = json_array_get(reqs, 1);
    assert_string_equal(emu_req_query(r0, "filter"), "name LIKE 'churn-%'");
    assert_string_equal(emu_req_query(r0, "order_by"), "name DESC");
    assert_string_equal(emu_req_query(r0, "max_results"), "3");
    assert_null(emu_req_query(r0, "page_token"));
    assert_non_null(emu_req_query(r1, "page_token"));
    json_decref(reqs);

    /* max_items stops early; a bad filter is the server's 400 */
    so.max_items = 2;
    so.order_by = NULL;
    assert_int_equal(dbx_registry_models_search(&it, C, DBX_REGISTRY_WORKSPACE, &so), DBX_OK);
    n = 0;
    while (dbx_registered_models_iter_next(&m, it) == DBX_OK)
        n++;
    assert_int_equal(n, 2);
    dbx_registered_models_iter_free(it);
    so.filter = "bogus ~~ 1";
    so.max_items = 0;
    assert_int_equal(dbx_registry_models_search(&it, C, DBX_REGISTRY_WORKSPACE, &so), DBX_OK);
    expect_server(dbx_registered_models_iter_next(&m, it), DBX_EINVALIDPARAM, 400, "INVALID_PARAMETER_VALUE", NULL);
    dbx_registered_models_iter_free(it);
}

/* ---- workspace: versions --------------------------------------------------------------------- */

static void test_ws_versions(void **state)
{
    (void)state;
    emu *e = emu_get();
    put_volume_model(SRC_DIR);
    assert_int_equal(dbx_registry_model_create(NULL, C, DBX_REGISTRY_WORKSPACE, "m", NULL), DBX_OK);
    dbx_model_version *mv = NULL;
    dbx_registry_tag tags[] = {{"k", "v"}};
    dbx_registry_version_create_options vo = DBX_REGISTRY_VERSION_CREATE_OPTIONS_INIT;
    vo.description = "first";
    vo.tags = tags;
    vo.n_tags = 1;
    vo.run_link = "https://example/run";
    assert_int_equal(dbx_registry_version_create(&mv, C, DBX_REGISTRY_WORKSPACE, "m", SRC, &vo), DBX_OK);
    json_t *req = emu_last_request(e, WS "/model-versions/create");
    assert_string_equal(jstr(req, "name"), "m");
    assert_string_equal(jstr(req, "source"), SRC);
    assert_string_equal(jstr(req, "description"), "first");
    assert_string_equal(jstr(req, "run_link"), "https://example/run");
    assert_int_equal(json_array_size(emu_req_json(req, "tags")), 1);
    json_decref(req);
    assert_int_equal(dbx_model_version_version(mv), 1);
    assert_int_equal(dbx_model_version_status(mv), DBX_MODEL_VERSION_STATUS_PENDING_REGISTRATION);
    assert_string_equal(dbx_model_version_status_str(mv), "PENDING_REGISTRATION");
    assert_string_equal(dbx_model_version_stage(mv), "None");
    assert_string_equal(dbx_model_version_name(mv), "m");
    assert_string_equal(dbx_model_version_source(mv), SRC);
    assert_string_equal(dbx_model_version_description(mv), "first");
    assert_string_equal(dbx_model_version_tag(mv, "k"), "v");
    assert_string_equal(dbx_model_version_storage_location(mv), "");
    assert_int_equal(dbx_model_version_registry(mv), DBX_REGISTRY_WORKSPACE);
    dbx_model_version_free(mv);

    /* wait: READY on the next read (registry_pending_ms 0) */
    assert_int_equal(dbx_registry_version_wait_ready(&mv, C, DBX_REGISTRY_WORKSPACE, "m", 1, NULL), DBX_OK);
    assert_int_equal(dbx_model_version_status(mv), DBX_MODEL_VERSION_STATUS_READY);
    dbx_model_version_free(mv);
    req = emu_last_request(e, WS "/model-versions/get");
    assert_string_equal(emu_req_query(req, "version"), "1");
    json_decref(req);

    /* get / update / tags / download uri */
    assert_int_equal(dbx_registry_version_update(&mv, C, DBX_REGISTRY_WORKSPACE, "m", 1, "better"), DBX_OK);
    req = emu_last_request(e, WS "/model-versions/update");
    assert_string_equal(jstr(req, "version"), "1");
    assert_string_equal(jstr(req, "description"), "better");
    json_decref(req);
    assert_string_equal(dbx_model_version_description(mv), "better");
    dbx_model_version_free(mv);
    assert_int_equal(dbx_registry_version_set_tag(C, DBX_REGISTRY_WORKSPACE, "m", 1, "q", "9"), DBX_OK);
    req = emu_last_request(e, WS "/model-versions/set-tag");
    assert_string_equal(jstr(req, "version"), "1");
    assert_string_equal(jstr(req, "key"), "q");
    json_decref(req);
    assert_int_equal(dbx_registry_version_delete_tag(C, DBX_REGISTRY_WORKSPACE, "m", 1, "k"), DBX_OK);
    req = emu_last_request(e, WS "/model-versions/delete-tag");
    assert_string_equal(emu_req_query(req, "key"), "k");
    json_decref(req);
    assert_int_equal(dbx_registry_version_get(&mv, C, DBX_REGISTRY_WORKSPACE, "m", 1), DBX_OK);
    assert_string_equal(dbx_model_version_tag(mv, "q"), "9");
    assert_null(dbx_model_version_tag(mv, "k"));
    assert_int_equal(dbx_model_version_tag_count(mv), 1);
    assert_true(dbx_model_version_last_updated_timestamp(mv) >= dbx_model_version_creation_timestamp(mv));
    dbx_model_version_free(mv);
    char *uri = NULL;
    assert_int_equal(dbx_registry_version_download_uri(&uri, C, DBX_REGISTRY_WORKSPACE, "m", 1), DBX_OK);
    assert_string_equal(uri, SRC);
    dbx_free(uri);
    req = emu_last_request(e, WS "/model-versions/get-download-uri");
    assert_string_equal(emu_req_query(req, "name"), "m");
    json_decref(req);

    /* search versions, paged (page size 2) */
    for (int i = 0; i < 4; i++)
        ws_version("m");
    emu_clear_requests(e);
    dbx_model_versions_iter *it = NULL;
    dbx_registry_versions_search_options so = DBX_REGISTRY_VERSIONS_SEARCH_OPTIONS_INIT;
    so.page_size = 2;
    assert_int_equal(dbx_registry_versions_search(&it, C, DBX_REGISTRY_WORKSPACE, "m", &so), DBX_OK);
    const dbx_model_version *item;
    int seen[6] = {0}, n = 0;
    while (dbx_model_versions_iter_next(&item, it) == DBX_OK) {
        int64_t v = dbx_model_version_version(item);
        assert_true(v >= 1 && v <= 5);
        seen[v]++;
        n++;
    }
    dbx_model_versions_iter_free(it);
    assert_int_equal(n, 5);
    for (int i = 1; i <= 5; i++)
        assert_int_equal(seen[i], 1);
    json_t *reqs = emu_requests_to(e, WS "/model-versions/search");
    assert_int_equal(json_array_size(reqs), 3);
    assert_string_equal(emu_req_query(json_array_get(reqs, 0), "filter"), "name = 'm'");
    json_decref(reqs);

    /* delete; unknown version and model */
    assert_int_equal(dbx_registry_version_delete(C, DBX_REGISTRY_WORKSPACE, "m", 5), DBX_OK);
    req = emu_last_request(e, WS "/model-versions/delete");
    assert_string_equal(emu_req_query(req, "version"), "5");
    json_decref(req);
    expect_server(dbx_registry_version_get(&mv, C, DBX_REGISTRY_WORKSPACE, "m", 5), DBX_ENOTFOUND, 404,
                  "RESOURCE_DOES_NOT_EXIST", "Model Version (name=m, version=5) not found");
    expect_server(dbx_registry_version_get(&mv, C, DBX_REGISTRY_WORKSPACE, "nope", 1), DBX_ENOTFOUND, 404,
                  "RESOURCE_DOES_NOT_EXIST", NULL);
    expect_server(dbx_registry_version_create(NULL, C, DBX_REGISTRY_WORKSPACE, "nope", SRC, NULL), DBX_ENOTFOUND, 404,
                  "RESOURCE_DOES_NOT_EXIST", NULL);
}

static int advance_on_poll(const char *id, const char *state, void *payload)
{
    (void)id;
    (void)state;
    int *polls = payload;
    (*polls)++;
    emu_advance(emu_get(), 1000);
    return 0;
}

static void test_ws_wait(void **state)
{
    (void)state;
    emu *e = emu_get();
    put_volume_model(SRC_DIR);
    emu_config(e, "{\"registry_pending_ms\": 3500}");
    assert_int_equal(dbx_registry_model_create(NULL, C, DBX_REGISTRY_WORKSPACE, "w", NULL), DBX_OK);
    ws_version("w");
    int polls = 0;
    dbx_wait_options wo = DBX_WAIT_OPTIONS_INIT;
    wo.on_poll = advance_on_poll;
    wo.payload = &polls;
    fake_clock_reset_sleeps();
    dbx_model_version *mv = NULL;
    assert_int_equal(dbx_registry_version_wait_ready(&mv, C, DBX_REGISTRY_WORKSPACE, "w", 1, &wo), DBX_OK);
    assert_int_equal(dbx_model_version_status(mv), DBX_MODEL_VERSION_STATUS_READY);
    dbx_model_version_free(mv);
    assert_int_equal(polls, 5); /* pending at 0, 1000, 2000, 3000 ms; ready at 4000 */
    assert_int_equal(emu_count(e, WS "/model-versions/get"), 5);
    assert_true(fake_clock_slept_total() > 0);

    /* FAILED_REGISTRATION: DBX_ESTATE with the status message, snapshot kept */
    emu_config(e, "{\"registry_pending_ms\": 0}");
    assert_int_equal(dbx_registry_version_create(NULL, C, DBX_REGISTRY_WORKSPACE, "w", "dbfs:/nowhere/model", NULL),
                     DBX_OK);
    dbx_status st = dbx_registry_version_wait_ready(&mv, C, DBX_REGISTRY_WORKSPACE, "w", 2, NULL);
    assert_int_equal(st, DBX_ESTATE);
    const dbx_error *err = dbx_client_last_error(C);
    assert_non_null(strstr(err->message, "FAILED_REGISTRATION"));
    assert_non_null(strstr(err->message, "dbfs:/nowhere/model"));
    assert_non_null(mv);
    assert_int_equal(dbx_model_version_status(mv), DBX_MODEL_VERSION_STATUS_FAILED_REGISTRATION);
    assert_non_null(strstr(dbx_model_version_status_message(mv), "dbfs:/nowhere/model"));
    dbx_model_version_free(mv);

    /* timeout with the virtual clock standing still */
    emu_config(e, "{\"registry_pending_ms\": 999999999}");
    ws_version("w");
    wo.on_poll = NULL;
    wo.timeout_ms = 30000;
    assert_int_equal(dbx_registry_version_wait_ready(&mv, C, DBX_REGISTRY_WORKSPACE, "w", 3, &wo), DBX_ETIMEOUT);
    assert_int_equal(dbx_model_version_status(mv), DBX_MODEL_VERSION_STATUS_PENDING_REGISTRATION);
    dbx_model_version_free(mv);
}

static void test_ws_stages(void **state)
{
    (void)state;
    emu *e = emu_get();
    put_volume_model(SRC_DIR);
    assert_int_equal(dbx_registry_model_create(NULL, C, DBX_REGISTRY_WORKSPACE, "s", NULL), DBX_OK);
    for (int i = 0; i < 3; i++)
        ws_version("s");
    for (int v = 1; v <= 3; v++)
        assert_int_equal(dbx_registry_version_wait_ready(NULL, C, DBX_REGISTRY_WORKSPACE, "s", v, NULL), DBX_OK);
    dbx_model_version *mv = NULL;
    assert_int_equal(dbx_registry_version_transition_stage(&mv, C, DBX_REGISTRY_WORKSPACE, "s", 1, "production", 0,
                                                           "go live"),
                     DBX_OK);
    json_t *req = emu_last_request(e, WS "/databricks/model-versions/transition-stage");
    assert_non_null(req);
    assert_string_equal(jstr(req, "stage"), "Production");
    assert_string_equal(jstr(req, "version"), "1");
    assert_string_equal(jstr(req, "comment"), "go live");
    assert_true(json_is_false(emu_req_json(req, "archive_existing_versions")));
    json_decref(req);
    assert_string_equal(dbx_model_version_stage(mv), "Production");
    dbx_model_version_free(mv);
    assert_int_equal(dbx_registry_version_transition_stage(NULL, C, DBX_REGISTRY_WORKSPACE, "s", 2, "Staging", 0, NULL),
                     DBX_OK);
    /* v3 to Production archiving v1 */
    assert_int_equal(dbx_registry_version_transition_stage(&mv, C, DBX_REGISTRY_WORKSPACE, "s", 3, "Production", 1,
                                                           NULL),
                     DBX_OK);
    req = emu_last_request(e, WS "/databricks/model-versions/transition-stage");
    assert_true(json_is_true(emu_req_json(req, "archive_existing_versions")));
    assert_null(emu_req_json(req, "comment"));
    json_decref(req);
    dbx_model_version_free(mv);
    assert_int_equal(dbx_registry_version_get(&mv, C, DBX_REGISTRY_WORKSPACE, "s", 1), DBX_OK);
    assert_string_equal(dbx_model_version_stage(mv), "Archived");
    dbx_model_version_free(mv);
    assert_int_equal(dbx_registry_version_get(&mv, C, DBX_REGISTRY_WORKSPACE, "s", 2), DBX_OK);
    assert_string_equal(dbx_model_version_stage(mv), "Staging"); /* other stages untouched */
    dbx_model_version_free(mv);

    /* latest per stage */
    dbx_model_versions_iter *it = NULL;
    const char *want[] = {"production", "Staging", NULL};
    assert_int_equal(dbx_registry_versions_latest(&it, C, DBX_REGISTRY_WORKSPACE, "s", want), DBX_OK);
    const dbx_model_version *item;
    int got = 0;
    while (dbx_model_versions_iter_next(&item, it) == DBX_OK) {
        if (strcmp(dbx_model_version_stage(item), "Production") == 0)
            assert_int_equal(dbx_model_version_version(item), 3);
        else
            assert_int_equal(dbx_model_version_version(item), 2);
        got++;
    }
    dbx_model_versions_iter_free(it);
    assert_int_equal(got, 2);
    req = emu_last_request(e, WS "/registered-models/get-latest-versions");
    assert_string_equal(json_string_value(json_object_get(req, "method")), "POST");
    json_t *js = emu_req_json(req, "stages");
    assert_int_equal(json_array_size(js), 2);
    assert_string_equal(json_string_value(json_array_get(js, 0)), "Production");
    json_decref(req);
    assert_int_equal(dbx_registry_versions_latest(&it, C, DBX_REGISTRY_WORKSPACE, "s", NULL), DBX_OK);
    got = 0;
    while (dbx_model_versions_iter_next(&item, it) == DBX_OK)
        got++;
    dbx_model_versions_iter_free(it);
    assert_int_equal(got, 3); /* Archived v1, Staging v2, Production v3 */

    /* invalid stage: local; and the server's own check through the escape hatch */
    emu_clear_requests(e);
    expect_local(dbx_registry_version_transition_stage(NULL, C, DBX_REGISTRY_WORKSPACE, "s", 1, "Prod", 0, NULL),
                 DBX_EINVAL, "stage 'Prod'");
    const char *bad[] = {"Live", NULL};
    expect_local(dbx_registry_versions_latest(&it, C, DBX_REGISTRY_WORKSPACE, "s", bad), DBX_EINVAL, "stages[0]");
    assert_null(it);
    dbx_response *resp = NULL;
    dbx_status st = dbx_request(&resp, C, "POST", WS "/databricks/model-versions/transition-stage",
                                "{\"name\":\"s\",\"version\":\"1\",\"stage\":\"Prod\",\"archive_existing_versions\":false}");
    expect_server(st, DBX_EINVALIDPARAM, 400, "INVALID_PARAMETER_VALUE", NULL);
    dbx_response_free(resp);
    /* unknown version on transition */
    expect_server(dbx_registry_version_transition_stage(NULL, C, DBX_REGISTRY_WORKSPACE, "s", 42, "Staging", 0, NULL),
                  DBX_ENOTFOUND, 404, "RESOURCE_DOES_NOT_EXIST", NULL);
}

static void test_ws_aliases(void **state)
{
    (void)state;
    emu *e = emu_get();
    put_volume_model(SRC_DIR);
    assert_int_equal(dbx_registry_model_create(NULL, C, DBX_REGISTRY_WORKSPACE, "a", NULL), DBX_OK);
    ws_version("a");
    ws_version("a");
    assert_int_equal(dbx_registry_alias_set(C, DBX_REGISTRY_WORKSPACE, "a", "champion", 1), DBX_OK);
    json_t *req = emu_last_request(e, WS "/registered-models/alias");
    assert_string_equal(json_string_value(json_object_get(req, "method")), "POST");
    assert_string_equal(jstr(req, "alias"), "champion");
    assert_string_equal(jstr(req, "version"), "1");
    json_decref(req);
    dbx_model_version *mv = NULL;
    assert_int_equal(dbx_registry_version_get_by_alias(&mv, C, DBX_REGISTRY_WORKSPACE, "a", "champion"), DBX_OK);
    assert_int_equal(dbx_model_version_version(mv), 1);
    assert_int_equal(dbx_model_version_alias_count(mv), 1);
    assert_string_equal(dbx_model_version_alias(mv, 0), "champion");
    assert_null(dbx_model_version_alias(mv, 1));
    dbx_model_version_free(mv);
    req = emu_last_request(e, WS "/registered-models/alias");
    assert_string_equal(json_string_value(json_object_get(req, "method")), "GET");
    assert_string_equal(emu_req_query(req, "alias"), "champion");
    json_decref(req);
    /* the alias moves */
    assert_int_equal(dbx_registry_alias_set(C, DBX_REGISTRY_WORKSPACE, "a", "champion", 2), DBX_OK);
    assert_int_equal(dbx_registry_version_get_by_alias(&mv, C, DBX_REGISTRY_WORKSPACE, "a", "champion"), DBX_OK);
    assert_int_equal(dbx_model_version_version(mv), 2);
    dbx_model_version_free(mv);
    assert_int_equal(dbx_registry_version_get(&mv, C, DBX_REGISTRY_WORKSPACE, "a", 1), DBX_OK);
    assert_int_equal(dbx_model_version_alias_count(mv), 0);
    dbx_model_version_free(mv);
    dbx_registered_model *m = NULL;
    assert_int_equal(dbx_registry_model_get(&m, C, DBX_REGISTRY_WORKSPACE, "a"), DBX_OK);
    assert_int_equal(dbx_registered_model_alias_count(m), 1);
    assert_string_equal(dbx_registered_model_alias(m, 0), "champion");
    assert_int_equal(dbx_registered_model_alias_version(m, 0), 2);
    assert_int_equal(dbx_registered_model_alias_version(m, 1), -1);
    dbx_registered_model_free(m);
    /* delete */
    assert_int_equal(dbx_registry_alias_delete(C, DBX_REGISTRY_WORKSPACE, "a", "champion"), DBX_OK);
    req = emu_last_request(e, WS "/registered-models/alias");
    assert_string_equal(json_string_value(json_object_get(req, "method")), "DELETE");
    json_decref(req);
    expect_server(dbx_registry_version_get_by_alias(&mv, C, DBX_REGISTRY_WORKSPACE, "a", "champion"), DBX_ENOTFOUND,
                  404, "RESOURCE_DOES_NOT_EXIST", NULL);
    /* local alias rules */
    emu_clear_requests(e);
    expect_local(dbx_registry_alias_set(C, DBX_REGISTRY_WORKSPACE, "a", "latest", 1), DBX_EINVAL, "reserved");
    expect_local(dbx_registry_alias_set(C, DBX_REGISTRY_WORKSPACE, "a", "V12", 1), DBX_EINVAL, "reserved");
    expect_local(dbx_registry_alias_set(C, DBX_REGISTRY_WORKSPACE, "a", "has space", 1), DBX_EINVAL, "letters");
    expect_local(dbx_registry_alias_set(C, DBX_REGISTRY_WORKSPACE, "a", "ok", 0), DBX_EINVAL, "version");
    assert_int_equal(dbx_registry_alias_set(C, DBX_REGISTRY_WORKSPACE, "a", "v1x", 1), DBX_OK);
}

/* A server answer whose version is not an integer: DBX_EBADRESPONSE. */
static void test_ws_bad_version(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_fault(e, "{\"path\": \"" WS "/model-versions/get\", \"action\": \"status\", \"status\": 200,"
                 " \"body\": {\"model_version\": {\"name\": \"m\", \"version\": \"1a\", \"status\": \"READY\"}}}");
    dbx_model_version *mv = (dbx_model_version *)1;
    assert_int_equal(dbx_registry_version_get(&mv, C, DBX_REGISTRY_WORKSPACE, "m", 1), DBX_EBADRESPONSE);
    assert_null(mv);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "version"));
    emu_fault(e, "{\"path\": \"" WS "/model-versions/search\", \"action\": \"status\", \"status\": 200,"
                 " \"body\": {\"model_versions\": [{\"name\": \"m\", \"version\": \"2\"}, {\"name\": \"m\"}]}}");
    dbx_model_versions_iter *it = NULL;
    assert_int_equal(dbx_registry_versions_search(&it, C, DBX_REGISTRY_WORKSPACE, "m", NULL), DBX_OK);
    const dbx_model_version *item;
    assert_int_equal(dbx_model_versions_iter_next(&item, it), DBX_OK);
    assert_int_equal(dbx_model_version_version(item), 2);
    assert_int_equal(dbx_model_versions_iter_next(&item, it), DBX_EBADRESPONSE);
    assert_null(item);
    dbx_model_versions_iter_free(it);
}

/* ---- registry choice and calls one registry lacks --------------------------------------------- */

static void set_uc(dbx_client_options *o, void *ud)
{
    o->registry_uri = ud;
}

static void test_default_registry(void **state)
{
    (void)state;
    emu *e = emu_get();
    /* by shape */
    dbx_registered_model *m = NULL;
    assert_int_equal(dbx_registry_model_get(&m, C, DBX_REGISTRY_DEFAULT, "plain"), DBX_ENOTFOUND);
    assert_int_equal(emu_count(e, WS "/registered-models/get"), 1);
    assert_int_equal(dbx_registry_model_get(&m, C, DBX_REGISTRY_DEFAULT, "c.s.m"), DBX_ENOTFOUND);
    assert_int_equal(emu_count(e, UCN "/c.s.m"), 1);
    /* by the client option */
    dbx_client *uc = emu_client_with(e, set_uc, "databricks-uc");
    emu_clear_requests(e);
    assert_int_equal(dbx_registry_model_get(&m, uc, DBX_REGISTRY_DEFAULT, "plain"), DBX_EINVAL);
    assert_non_null(strstr(dbx_client_last_error(uc)->message, "catalog.schema.model"));
    assert_int_equal(emu_count(e, NULL), 0);
    dbx_client_free(uc);
    dbx_client *ws = emu_client_with(e, set_uc, "databricks");
    assert_int_equal(dbx_registry_model_get(&m, ws, DBX_REGISTRY_DEFAULT, "c.s.m"), DBX_ENOTFOUND);
    json_t *req = emu_last_request(e, WS "/registered-models/get");
    assert_string_equal(emu_req_query(req, "name"), "c.s.m");
    json_decref(req);
    dbx_client_free(ws);
    assert_string_equal(dbx_registry_name(DBX_REGISTRY_UC), "uc");
    assert_string_equal(dbx_registry_name((dbx_registry_t)9), "unknown");
    assert_string_equal(dbx_model_version_status_name(DBX_MODEL_VERSION_STATUS_READY), "READY");
    assert_string_equal(dbx_model_version_status_name((dbx_model_version_status_t)9), "UNKNOWN");
}

static void test_unsupported_and_args(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_clear_requests(e);
    dbx_model_version *mv = NULL;
    dbx_model_versions_iter *it = NULL;
    expect_local(dbx_registry_version_transition_stage(&mv, C, DBX_REGISTRY_UC, "c.s.m", 1, "Staging", 0, NULL),
                 DBX_ENOTIMPLEMENTED, "Unity Catalog");
    expect_local(dbx_registry_versions_latest(&it, C, DBX_REGISTRY_UC, "c.s.m", NULL), DBX_ENOTIMPLEMENTED,
                 "Unity Catalog");
    expect_local(dbx_registry_version_finalize(&mv, C, DBX_REGISTRY_WORKSPACE, "m", 1), DBX_ENOTIMPLEMENTED,
                 "workspace");
    dbx_registry_model_create_options co = DBX_REGISTRY_MODEL_CREATE_OPTIONS_INIT;
    co.storage_location = "s3://b/x";
    expect_local(dbx_registry_model_create(NULL, C, DBX_REGISTRY_WORKSPACE, "m", &co), DBX_ENOTIMPLEMENTED,
                 "workspace");
    dbx_registry_models_search_options so = DBX_REGISTRY_MODELS_SEARCH_OPTIONS_INIT;
    dbx_registered_models_iter *mit = NULL;
    so.filter = "name = 'x'";
    expect_local(dbx_registry_models_search(&mit, C, DBX_REGISTRY_UC, &so), DBX_ENOTIMPLEMENTED, "Unity Catalog");
    so.filter = NULL;
    so.catalog_name = "c";
    expect_local(dbx_registry_models_search(&mit, C, DBX_REGISTRY_UC, &so), DBX_EINVAL, "both");
    expect_local(dbx_registry_models_search(&mit, C, DBX_REGISTRY_WORKSPACE, &so), DBX_ENOTIMPLEMENTED, "workspace");
    /* arguments */
    expect_local(dbx_registry_model_get(NULL, C, DBX_REGISTRY_WORKSPACE, "m"), DBX_EINVAL, "out");
    expect_local(dbx_registry_model_create(NULL, C, DBX_REGISTRY_WORKSPACE, "", NULL), DBX_EINVAL, "name");
    expect_local(dbx_registry_model_create(NULL, C, DBX_REGISTRY_UC, "c.s", NULL), DBX_EINVAL, "catalog.schema.model");
    expect_local(dbx_registry_model_create(NULL, C, DBX_REGISTRY_UC, "c..m", NULL), DBX_EINVAL, "catalog.schema.model");
    expect_local(dbx_registry_model_create(NULL, C, (dbx_registry_t)7, "m", NULL), DBX_EINVAL, "registry");
    expect_local(dbx_registry_version_get(&mv, C, DBX_REGISTRY_WORKSPACE, "m", 0), DBX_EINVAL, "version");
    expect_local(dbx_registry_version_create(NULL, C, DBX_REGISTRY_WORKSPACE, "m", NULL, NULL), DBX_EINVAL, "source");
    dbx_registry_tag bad_tag = {"", "v"};
    dbx_registry_version_create_options vo = DBX_REGISTRY_VERSION_CREATE_OPTIONS_INIT;
    vo.tags = &bad_tag;
    vo.n_tags = 1;
    expect_local(dbx_registry_version_create(NULL, C, DBX_REGISTRY_WORKSPACE, "m", "runs:/x/m", &vo), DBX_EINVAL,
                 "tags[0].key");
    vo.n_tags = 0;
    vo.version = 99;
    expect_local(dbx_registry_version_create(NULL, C, DBX_REGISTRY_WORKSPACE, "m", "runs:/x/m", &vo), DBX_EINVAL,
                 "version 99");
    expect_local(dbx_registry_model_update(NULL, C, DBX_REGISTRY_WORKSPACE, "m", NULL), DBX_EINVAL, "description");
    expect_local(dbx_registry_model_rename(NULL, C, DBX_REGISTRY_UC, "c.s.m", "d.s.n"), DBX_EINVAL, "same catalog");
    expect_local(dbx_registry_model_set_tag(C, DBX_REGISTRY_WORKSPACE, "m", "k", NULL), DBX_EINVAL, "value");
    expect_local(dbx_registry_versions_search(&it, C, DBX_REGISTRY_UC, NULL, NULL), DBX_EINVAL, "name");
    expect_local(dbx_registry_version_download_uri(NULL, C, DBX_REGISTRY_WORKSPACE, "m", 1), DBX_EINVAL, "out");
    assert_int_equal(dbx_registry_model_delete(NULL, DBX_REGISTRY_WORKSPACE, "m"), DBX_EINVAL);
    assert_int_equal(dbx_registered_models_iter_next(NULL, NULL), DBX_EINVAL);
    /* NULL-safe accessors and frees */
    assert_string_equal(dbx_model_version_name(NULL), "");
    assert_null(dbx_model_version_stage(NULL));
    assert_int_equal(dbx_model_version_version(NULL), -1);
    assert_string_equal(dbx_registered_model_name(NULL), "");
    dbx_model_version_free(NULL);
    dbx_registered_model_free(NULL);
    dbx_model_versions_iter_free(NULL);
    dbx_registered_models_iter_free(NULL);
}

/* ---- Unity Catalog ---------------------------------------------------------------------------- */

static void uc_schema(const char *cat, const char *sch)
{
    assert_int_equal(dbx_catalogs_create(NULL, C, cat, NULL), DBX_OK);
    assert_int_equal(dbx_schemas_create(NULL, C, cat, sch, NULL), DBX_OK);
}

static void test_uc_models(void **state)
{
    (void)state;
    emu *e = emu_get();
    uc_schema("ml", "prod");
    dbx_registered_model *m = NULL;
    dbx_registry_tag tags[] = {{"team", "risk"}};
    dbx_registry_model_create_options co = DBX_REGISTRY_MODEL_CREATE_OPTIONS_INIT;
    co.description = "uc fraud";
    co.tags = tags;
    co.n_tags = 1;
    assert_int_equal(dbx_registry_model_create(&m, C, DBX_REGISTRY_UC, "ml.prod.fraud", &co), DBX_OK);
    json_t *req = emu_last_request(e, UCN);
    assert_string_equal(jstr(req, "catalog_name"), "ml");
    assert_string_equal(jstr(req, "schema_name"), "prod");
    assert_string_equal(jstr(req, "name"), "fraud");
    assert_string_equal(jstr(req, "comment"), "uc fraud");
    json_decref(req);
    req = emu_last_request(e, UCL "/registered-models/set-tag");
    assert_string_equal(jstr(req, "name"), "ml.prod.fraud");
    assert_string_equal(jstr(req, "key"), "team");
    json_decref(req);
    assert_int_equal(dbx_registered_model_registry(m), DBX_REGISTRY_UC);
    assert_string_equal(dbx_registered_model_name(m), "ml.prod.fraud");
    assert_string_equal(dbx_registered_model_catalog_name(m), "ml");
    assert_string_equal(dbx_registered_model_schema_name(m), "prod");
    assert_string_equal(dbx_registered_model_description(m), "uc fraud");
    assert_true(strncmp(dbx_registered_model_storage_location(m), "s3://", 5) == 0);
    assert_true(dbx_registered_model_creation_timestamp(m) > 0);
    dbx_registered_model_free(m);
    expect_server(dbx_registry_model_create(NULL, C, DBX_REGISTRY_UC, "ml.prod.fraud", NULL), DBX_EEXISTS, 409,
                  "RESOURCE_ALREADY_EXISTS", NULL);
    expect_server(dbx_registry_model_create(NULL, C, DBX_REGISTRY_UC, "ml.nope.fraud", NULL), DBX_ENOTFOUND, 404,
                  "SCHEMA_DOES_NOT_EXIST", NULL);

    /* get asks for aliases */
    assert_int_equal(dbx_registry_model_get(&m, C, DBX_REGISTRY_UC, "ml.prod.fraud"), DBX_OK);
    req = emu_last_request(e, UCN "/ml.prod.fraud");
    assert_string_equal(emu_req_query(req, "include_aliases"), "true");
    json_decref(req);
    dbx_registered_model_free(m);

    /* update, rename (leaf and full name), list paged */
    assert_int_equal(dbx_registry_model_update(&m, C, DBX_REGISTRY_UC, "ml.prod.fraud", "new comment"), DBX_OK);
    req = emu_last_request(e, UCN "/ml.prod.fraud");
    assert_string_equal(json_string_value(json_object_get(req, "method")), "PATCH");
    assert_string_equal(jstr(req, "comment"), "new comment");
    json_decref(req);
    assert_string_equal(dbx_registered_model_description(m), "new comment");
    dbx_registered_model_free(m);
    assert_int_equal(dbx_registry_model_rename(&m, C, DBX_REGISTRY_UC, "ml.prod.fraud", "ml.prod.fraud2"), DBX_OK);
    req = emu_last_request(e, UCN "/ml.prod.fraud");
    assert_string_equal(jstr(req, "new_name"), "fraud2");
    json_decref(req);
    assert_string_equal(dbx_registered_model_name(m), "ml.prod.fraud2");
    dbx_registered_model_free(m);
    assert_int_equal(dbx_registry_model_rename(NULL, C, DBX_REGISTRY_UC, "ml.prod.fraud2", "fraud"), DBX_OK);
    char name[32];
    for (int i = 0; i < 6; i++) {
        snprintf(name, sizeof name, "ml.prod.m%d", i);
        assert_int_equal(dbx_registry_model_create(NULL, C, DBX_REGISTRY_UC, name, NULL), DBX_OK);
    }
    emu_clear_requests(e);
    dbx_registry_models_search_options so = DBX_REGISTRY_MODELS_SEARCH_OPTIONS_INIT;
    so.catalog_name = "ml";
    so.schema_name = "prod";
    so.page_size = 3;
    dbx_registered_models_iter *it = NULL;
    assert_int_equal(dbx_registry_models_search(&it, C, DBX_REGISTRY_DEFAULT, &so), DBX_OK); /* catalog -> UC */
    const dbx_registered_model *item;
    int n = 0;
    while (dbx_registered_models_iter_next(&item, it) == DBX_OK) {
        assert_int_equal(dbx_registered_model_registry(item), DBX_REGISTRY_UC);
        assert_true(strncmp(dbx_registered_model_name(item), "ml.prod.", 8) == 0);
        n++;
    }
    dbx_registered_models_iter_free(it);
    assert_int_equal(n, 7);
    json_t *reqs = emu_requests_to(e, UCN);
    assert_int_equal(json_array_size(reqs), 3);
    assert_string_equal(emu_req_query(json_array_get(reqs, 0), "catalog_name"), "ml");
    assert_string_equal(emu_req_query(json_array_get(reqs, 0), "max_results"), "3");
    json_decref(reqs);

    /* tags through the MLflow path; delete */
    assert_int_equal(dbx_registry_model_set_tag(C, DBX_REGISTRY_UC, "ml.prod.m0", "a", "b"), DBX_OK);
    assert_int_equal(dbx_registry_model_delete_tag(C, DBX_REGISTRY_UC, "ml.prod.m0", "a"), DBX_OK);
    req = emu_last_request(e, UCL "/registered-models/delete-tag");
    assert_string_equal(emu_req_query(req, "key"), "a");
    json_decref(req);
    assert_int_equal(dbx_registry_model_delete(C, DBX_REGISTRY_UC, "ml.prod.m0"), DBX_OK);
    req = emu_last_request(e, UCN "/ml.prod.m0");
    assert_string_equal(json_string_value(json_object_get(req, "method")), "DELETE");
    json_decref(req);
    expect_server(dbx_registry_model_get(&m, C, DBX_REGISTRY_UC, "ml.prod.m0"), DBX_ENOTFOUND, 404,
                  "RESOURCE_DOES_NOT_EXIST", NULL);
}

/* A local MLflow model directory: MLmodel (+ signature unless !sig), files, a subdirectory. */
static void make_model_dir(char *dir, size_t cap, int sig)
{
    snprintf(dir, cap, "/tmp/dbx-reg-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char p[512];
    snprintf(p, sizeof p, "%s/MLmodel", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(sig ? MLMODEL_SIG : "artifact_path: model\nflavors:\n  python_function: {}\n", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/model.pkl", dir);
    f = fopen(p, "wb");
    for (int i = 0; i < 100000; i++)
        fputc(i & 0xff, f);
    fclose(f);
    snprintf(p, sizeof p, "%s/code", dir);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/code/util.py", dir);
    f = fopen(p, "w");
    fputs("x = 1\n", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/requirements.txt", dir);
    f = fopen(p, "w");
    fputs("mlflow\n", f);
    fclose(f);
}

static void rm_model_dir(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static int count_sink(void *payload, const char *data, size_t len)
{
    (void)data;
    *(size_t *)payload += len;
    return 0;
}

static int stop_at_second(void *payload, const char *rel, int64_t size)
{
    (void)rel;
    (void)size;
    return ++*(int *)payload >= 2;
}

static int count_files(void *payload, const char *rel, int64_t size)
{
    (void)rel;
    (void)size;
    (*(int *)payload)++;
    return 0;
}

static void test_uc_register(void **state)
{
    (void)state;
    emu *e = emu_get();
    uc_schema("ml", "prod");
    char dir[64];
    make_model_dir(dir, sizeof dir, 1);
    dbx_model_version *mv = NULL;
    int64_t v = -1;
    int files = 0;
    dbx_registry_tag tags[] = {{"git", "abc"}};
    dbx_registry_register_options ro = DBX_REGISTRY_REGISTER_OPTIONS_INIT;
    ro.create_model = 1;
    ro.run_id = "0123456789abcdef0123456789abcdef";
    ro.description = "registered by libdbx";
    ro.tags = tags;
    ro.n_tags = 1;
    ro.on_file = count_files;
    ro.payload = &files;
    assert_int_equal(dbx_registry_register_uc_version(&mv, &v, C, "ml.prod.fraud", dir, &ro), DBX_OK);
    assert_int_equal(v, 1);
    assert_int_equal(files, 4);
    assert_int_equal(dbx_model_version_version(mv), 1);
    assert_int_equal(dbx_model_version_status(mv), DBX_MODEL_VERSION_STATUS_READY);
    assert_null(dbx_model_version_stage(mv));
    assert_string_equal(dbx_model_version_name(mv), "ml.prod.fraud");
    assert_string_equal(dbx_model_version_description(mv), "registered by libdbx");
    assert_string_equal(dbx_model_version_run_id(mv), "0123456789abcdef0123456789abcdef");
    assert_true(strncmp(dbx_model_version_storage_location(mv), "s3://", 5) == 0);
    dbx_model_version_free(mv);
    /* the requests: model create (missing), version create, 4 PUTs, finalize, get */
    json_t *req = emu_last_request(e, UCL "/model-versions/create");
    assert_string_equal(jstr(req, "name"), "ml.prod.fraud");
    assert_string_equal(jstr(req, "source"), "runs:/0123456789abcdef0123456789abcdef/model");
    assert_string_equal(jstr(req, "run_id"), "0123456789abcdef0123456789abcdef");
    assert_int_equal(json_array_size(emu_req_json(req, "tags")), 1);
    json_decref(req);
    assert_int_equal(emu_count(e, UCN), 1);
    assert_int_equal(emu_count(e, "/api/2.0/fs/files/Models/ml/prod/fraud/1/MLmodel"), 1);
    assert_int_equal(emu_count(e, "/api/2.0/fs/files/Models/ml/prod/fraud/1/code/util.py"), 1);
    assert_int_equal(emu_count(e, "/api/2.0/fs/files/Models/ml/prod/fraud/1/model.pkl"), 1);
    req = emu_last_request(e, UCL "/model-versions/finalize");
    assert_string_equal(jstr(req, "version"), "1");
    json_decref(req);
    /* the uploaded bytes are the model's */
    size_t got = 0;
    assert_int_equal(dbx_files_download(C, "/Models/ml/prod/fraud/1/model.pkl", count_sink, &got, NULL),
                     DBX_OK);
    assert_int_equal(got, 100000);

    /* a second version into the existing model (no create), default source = the directory */
    emu_clear_requests(e);
    ro = (dbx_registry_register_options)DBX_REGISTRY_REGISTER_OPTIONS_INIT;
    ro.create_model = 1;
    assert_int_equal(dbx_registry_register_uc_version(NULL, &v, C, "ml.prod.fraud", dir, &ro), DBX_OK);
    assert_int_equal(v, 2);
    assert_int_equal(emu_count(e, UCN), 0);
    req = emu_last_request(e, UCL "/model-versions/create");
    assert_true(strncmp(jstr(req, "source"), "file:///", 8) == 0);
    json_decref(req);

    /* UC versions: get, list, update, aliases, delete */
    assert_int_equal(dbx_registry_version_get(&mv, C, DBX_REGISTRY_UC, "ml.prod.fraud", 2), DBX_OK);
    assert_string_equal(dbx_model_version_name(mv), "ml.prod.fraud");
    assert_int_equal(dbx_model_version_registry(mv), DBX_REGISTRY_UC);
    dbx_model_version_free(mv);
    req = emu_last_request(e, UCN "/ml.prod.fraud/versions/2");
    assert_string_equal(emu_req_query(req, "include_aliases"), "true");
    json_decref(req);
    assert_int_equal(dbx_registry_version_update(&mv, C, DBX_REGISTRY_UC, "ml.prod.fraud", 2, "second"), DBX_OK);
    req = emu_last_request(e, UCN "/ml.prod.fraud/versions/2");
    assert_string_equal(json_string_value(json_object_get(req, "method")), "PATCH");
    assert_string_equal(jstr(req, "comment"), "second");
    json_decref(req);
    assert_string_equal(dbx_model_version_description(mv), "second");
    dbx_model_version_free(mv);
    dbx_model_versions_iter *it = NULL;
    dbx_registry_versions_search_options so = DBX_REGISTRY_VERSIONS_SEARCH_OPTIONS_INIT;
    so.page_size = 1;
    assert_int_equal(dbx_registry_versions_search(&it, C, DBX_REGISTRY_DEFAULT, "ml.prod.fraud", &so), DBX_OK);
    const dbx_model_version *item;
    int n = 0;
    while (dbx_model_versions_iter_next(&item, it) == DBX_OK) {
        assert_string_equal(dbx_model_version_name(item), "ml.prod.fraud");
        n++;
    }
    dbx_model_versions_iter_free(it);
    assert_int_equal(n, 2);
    assert_int_equal(emu_count(e, UCN "/ml.prod.fraud/versions"), 2);

    assert_int_equal(dbx_registry_alias_set(C, DBX_REGISTRY_UC, "ml.prod.fraud", "champion", 1), DBX_OK);
    req = emu_last_request(e, UCN "/ml.prod.fraud/aliases/champion");
    assert_string_equal(json_string_value(json_object_get(req, "method")), "PUT");
    assert_int_equal(json_integer_value(emu_req_json(req, "version_num")), 1);
    json_decref(req);
    assert_int_equal(dbx_registry_alias_set(C, DBX_REGISTRY_UC, "ml.prod.fraud", "champion", 2), DBX_OK);
    assert_int_equal(dbx_registry_version_get_by_alias(&mv, C, DBX_REGISTRY_UC, "ml.prod.fraud", "champion"), DBX_OK);
    assert_int_equal(dbx_model_version_version(mv), 2);
    assert_int_equal(dbx_model_version_alias_count(mv), 1);
    assert_string_equal(dbx_model_version_alias(mv, 0), "champion");
    dbx_model_version_free(mv);
    dbx_registered_model *m = NULL;
    assert_int_equal(dbx_registry_model_get(&m, C, DBX_REGISTRY_UC, "ml.prod.fraud"), DBX_OK);
    assert_int_equal(dbx_registered_model_alias_count(m), 1);
    assert_int_equal(dbx_registered_model_alias_version(m, 0), 2);
    dbx_registered_model_free(m);
    char *uri = NULL;
    assert_int_equal(dbx_registry_version_download_uri(&uri, C, DBX_REGISTRY_UC, "ml.prod.fraud", 2), DBX_OK);
    assert_true(strlen(uri) > 0);
    dbx_free(uri);
    assert_int_equal(dbx_registry_version_set_tag(C, DBX_REGISTRY_UC, "ml.prod.fraud", 2, "k", "v"), DBX_OK);
    req = emu_last_request(e, UCL "/model-versions/set-tag");
    assert_string_equal(jstr(req, "version"), "2");
    json_decref(req);
    assert_int_equal(dbx_registry_version_delete_tag(C, DBX_REGISTRY_UC, "ml.prod.fraud", 2, "k"), DBX_OK);
    assert_int_equal(dbx_registry_alias_delete(C, DBX_REGISTRY_UC, "ml.prod.fraud", "champion"), DBX_OK);
    req = emu_last_request(e, UCN "/ml.prod.fraud/aliases/champion");
    assert_string_equal(json_string_value(json_object_get(req, "method")), "DELETE");
    json_decref(req);
    expect_server(dbx_registry_version_get_by_alias(&mv, C, DBX_REGISTRY_UC, "ml.prod.fraud", "champion"),
                  DBX_ENOTFOUND, 404, "RESOURCE_DOES_NOT_EXIST", NULL);
    assert_int_equal(dbx_registry_version_delete(C, DBX_REGISTRY_UC, "ml.prod.fraud", 1), DBX_OK);
    expect_server(dbx_registry_version_get(&mv, C, DBX_REGISTRY_UC, "ml.prod.fraud", 1), DBX_ENOTFOUND, 404,
                  "RESOURCE_DOES_NOT_EXIST", NULL);
    rm_model_dir(dir);
}

static void test_uc_register_local_checks(void **state)
{
    (void)state;
    char dir[64];
    make_model_dir(dir, sizeof dir, 0);
    dbx_model_version *mv = NULL;
    int64_t v = -1;
    expect_local(dbx_registry_register_uc_version(&mv, &v, C, "ml.prod.fraud", dir, NULL), DBX_EINVAL,
                 "Unity Catalog requires a model signature");
    assert_int_equal(v, 0);
    assert_null(mv);
    /* signature without outputs */
    char p[512];
    snprintf(p, sizeof p, "%s/MLmodel", dir);
    FILE *f = fopen(p, "w");
    fputs("signature:\n  inputs: '[{\"type\": \"long\"}]'\n  outputs: null\nflavors: {}\n", f);
    fclose(f);
    expect_local(dbx_registry_register_uc_version(&mv, &v, C, "ml.prod.fraud", dir, NULL), DBX_EINVAL,
                 "without 'outputs'");
    /* no MLmodel at all */
    unlink(p);
    expect_local(dbx_registry_register_uc_version(&mv, &v, C, "ml.prod.fraud", dir, NULL), DBX_EINVAL, "no MLmodel");
    expect_local(dbx_registry_register_uc_version(&mv, &v, C, "fraud", dir, NULL), DBX_EINVAL, "catalog.schema.model");
    expect_local(dbx_registry_register_uc_version(&mv, &v, C, "ml.prod.fraud", NULL, NULL), DBX_EINVAL, "local_dir");
    rm_model_dir(dir);
}

static void test_uc_register_failures(void **state)
{
    (void)state;
    emu *e = emu_get();
    uc_schema("ml", "prod");
    char dir[64];
    make_model_dir(dir, sizeof dir, 1);
    dbx_model_version *mv = NULL;
    int64_t v = -1;
    /* model missing and create_model == 0: the version create fails, nothing created */
    assert_int_equal(dbx_registry_register_uc_version(&mv, &v, C, "ml.prod.fraud", dir, NULL), DBX_ENOTFOUND);
    assert_int_equal(v, 0);
    assert_int_equal(emu_count(e, "/api/2.0/fs/files/Models/ml/prod/fraud/1/MLmodel"), 0);

    /* an upload fails after the version exists: *version tells which, it stays pending */
    assert_int_equal(dbx_registry_model_create(NULL, C, DBX_REGISTRY_UC, "ml.prod.fraud", NULL), DBX_OK);
    emu_fault(e, "{\"method\": \"PUT\", \"path\": \"/api/2.0/fs/files/Models/ml/prod/fraud/1/model.pkl\","
                 " \"action\": \"status\", \"status\": 403, \"times\": -1,"
                 " \"body\": {\"error_code\": \"PERMISSION_DENIED\", \"message\": \"no\"}}");
    dbx_status st = dbx_registry_register_uc_version(&mv, &v, C, "ml.prod.fraud", dir, NULL);
    assert_int_equal(st, DBX_EPERMISSION);
    assert_int_equal(v, 1);
    assert_null(mv);
    const dbx_error *err = dbx_client_last_error(C);
    assert_non_null(strstr(err->message, "version 1 was created"));
    assert_non_null(strstr(err->message, "model.pkl"));
    assert_int_equal(emu_count(e, UCL "/model-versions/finalize"), 0);
    assert_int_equal(dbx_registry_version_get(&mv, C, DBX_REGISTRY_UC, "ml.prod.fraud", 1), DBX_OK);
    assert_int_equal(dbx_model_version_status(mv), DBX_MODEL_VERSION_STATUS_PENDING_REGISTRATION);
    dbx_model_version_free(mv);
    emu_clear_faults(e);

    /* the server refuses the files at finalize: FAILED_REGISTRATION -> DBX_ESTATE, snapshot */
    emu_fault(e, "{\"method\": \"PUT\", \"path\": \"/api/2.0/fs/files/Models/ml/prod/fraud/2/MLmodel\","
                 " \"action\": \"status\", \"status\": 204, \"body\": \"\"}");
    st = dbx_registry_register_uc_version(&mv, &v, C, "ml.prod.fraud", dir, NULL);
    assert_int_equal(st, DBX_ESTATE);
    assert_int_equal(v, 2);
    assert_non_null(mv);
    assert_int_equal(dbx_model_version_status(mv), DBX_MODEL_VERSION_STATUS_FAILED_REGISTRATION);
    assert_true(strlen(dbx_model_version_status_message(mv)) > 0);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "version 2 was created"));
    dbx_model_version_free(mv);

    /* on_file cancels after the first file */
    int calls = 0;
    dbx_registry_register_options ro = DBX_REGISTRY_REGISTER_OPTIONS_INIT;
    ro.on_file = stop_at_second;
    ro.payload = &calls;
    emu_clear_requests(e);
    assert_int_equal(dbx_registry_register_uc_version(&mv, &v, C, "ml.prod.fraud", dir, &ro), DBX_ECANCELLED);
    assert_int_equal(v, 3);
    assert_null(mv);
    assert_int_equal(calls, 2);
    assert_int_equal(emu_count(e, UCL "/model-versions/finalize"), 0);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "version 3 was created"));
    rm_model_dir(dir);
}

/* Every registry request, pages included, goes by the MLflow retry policy:
 * 429s for 3 minutes of Retry-After outlast the harness client's general
 * budget (60 s) but not MLflow's (15 min). */
static void test_mlflow_retry_policy(void **state)
{
    (void)state;
    emu *e = emu_get();
    uc_schema("ml", "prod");
    assert_int_equal(dbx_registry_model_create(NULL, C, DBX_REGISTRY_WORKSPACE, "r", NULL), DBX_OK);
    assert_int_equal(dbx_registry_model_create(NULL, C, DBX_REGISTRY_UC, "ml.prod.r", NULL), DBX_OK);
    const char *paths[] = {WS "/registered-models/get", WS "/registered-models/search", UCN "/ml.prod.r"};
    for (int i = 0; i < 3; i++) {
        char rule[256];
        snprintf(rule, sizeof rule,
                 "{\"path\":\"%s\",\"times\":3,\"action\":\"status\",\"status\":429,"
                 "\"headers\":{\"Retry-After\":\"60\"}}",
                 paths[i]);
        emu_fault(e, rule);
    }
    fake_clock_reset_sleeps();
    dbx_registered_model *m = NULL;
    assert_int_equal(dbx_registry_model_get(&m, C, DBX_REGISTRY_WORKSPACE, "r"), DBX_OK);
    dbx_registered_model_free(m);
    assert_int_equal(dbx_registry_model_get(&m, C, DBX_REGISTRY_UC, "ml.prod.r"), DBX_OK);
    dbx_registered_model_free(m);
    dbx_registered_models_iter *it = NULL;
    assert_int_equal(dbx_registry_models_search(&it, C, DBX_REGISTRY_WORKSPACE, NULL), DBX_OK);
    const dbx_registered_model *item;
    assert_int_equal(dbx_registered_models_iter_next(&item, it), DBX_OK);
    assert_string_equal(dbx_registered_model_name(item), "r");
    dbx_registered_models_iter_free(it);
    long sleeps[16];
    assert_int_equal(fake_clock_sleeps(sleeps, 16), 9);
    for (int i = 0; i < 9; i++)
        assert_int_equal(sleeps[i], 60000);
    for (int i = 0; i < 3; i++)
        assert_int_equal(emu_count(e, paths[i]), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ws_models, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_models_search_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_stages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_aliases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_bad_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_registry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_and_args, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uc_models, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uc_register, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uc_register_local_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uc_register_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mlflow_retry_policy, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    emu_stop_all();
    return rc;
}
