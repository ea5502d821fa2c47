#define _POSIX_C_SOURCE 200809L
/*
 * MLflow tracking against the emulator over HTTP: every public function of
 * include/dbx/mlflow.h, asserting on the request libdbx sent (from the
 * emulator's request log) and on the result, errors included; the MLflow
 * retry policy (fake clock: no real sleeping); the logging buffer at each
 * log-batch limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

#define API "/api/2.0/mlflow"

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

/* A call that must fail before any I/O: DBX_EINVAL naming `needle`, no request sent. */
#define expect_local_einval(call, owner, needle) expect_local_einval_at((call), (owner), (needle), #call, __LINE__)

static void expect_local_einval_at(dbx_status st, const dbx_client *owner, const char *needle, const char *what,
                                   int line)
{
    const dbx_error *err = dbx_client_last_error(owner);
    size_t sent = emu_count(emu_get(), NULL);
    if (st != DBX_EINVAL || err->status != DBX_EINVAL || !strstr(err->message, needle) || sent != 0)
        fail_msg("line %d: %s: %s, last error %s \"%s\"; want DBX_EINVAL naming \"%s\" and no request (%zu sent)",
                 line, what, dbx_status_name(st), dbx_status_name(err->status), err->message, needle, sent);
}

/* The server's error: status, HTTP status, error_code, and a piece of the message. */
static void expect_server_error(dbx_status st, dbx_status want, int http, const char *code, const char *needle)
{
    const dbx_error *err = dbx_client_last_error(C);
    if (st != want || err->http_status != http || strcmp(err->error_code, code) != 0 ||
        (needle && !strstr(err->message, needle)))
        fail_msg("%s (HTTP %d %s \"%s\"); want %s (HTTP %d %s \"%s\")", dbx_status_name(st), err->http_status,
                 err->error_code, err->message, dbx_status_name(want), http, code, needle ? needle : "");
}

static char *make_experiment(const char *name)
{
    char *id = NULL;
    assert_int_equal(dbx_mlflow_experiment_create(&id, C, name, NULL, NULL, 0), DBX_OK);
    assert_non_null(id);
    return id;
}

static dbx_mlflow_run *make_run(const char *exp_id)
{
    dbx_mlflow_run *r = NULL;
    assert_int_equal(dbx_mlflow_run_create(&r, C, exp_id, NULL), DBX_OK);
    assert_non_null(r);
    return r;
}

static json_t *last(const char *op)
{
    char path[128];
    snprintf(path, sizeof path, API "/%s", op);
    json_t *req = emu_last_request(emu_get(), path);
    if (!req)
        fail_msg("no request to %s", path);
    return req;
}

static const char *jstr(const json_t *req, const char *field) { return json_string_value(emu_req_json(req, field)); }

/* ---- experiments ------------------------------------------------------------------------ */

static void test_experiment_lifecycle(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_mlflow_tag tags[] = {{"team", "fraud"}, {"stage", "dev"}};
    char *id = NULL;
    assert_int_equal(dbx_mlflow_experiment_create(&id, C, "/Users/me@example.com/fraud", NULL, tags, 2), DBX_OK);
    json_t *req = last("experiments/create");
    assert_string_equal(json_string_value(json_object_get(req, "method")), "POST");
    assert_string_equal(jstr(req, "name"), "/Users/me@example.com/fraud");
    assert_null(emu_req_json(req, "artifact_location"));
    json_t *jt = emu_req_json(req, "tags");
    assert_int_equal(json_array_size(jt), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(jt, 1), "key")), "stage");
    assert_string_equal(json_string_value(json_object_get(json_array_get(jt, 1), "value")), "dev");
    json_decref(req);

    dbx_mlflow_experiment *x = NULL;
    assert_int_equal(dbx_mlflow_experiment_get(&x, C, id), DBX_OK);
    req = last("experiments/get");
    assert_string_equal(emu_req_query(req, "experiment_id"), id);
    json_decref(req);
    assert_string_equal(dbx_mlflow_experiment_id(x), id);
    assert_string_equal(dbx_mlflow_experiment_name(x), "/Users/me@example.com/fraud");
    char loc[128];
    snprintf(loc, sizeof loc, "dbfs:/databricks/mlflow-tracking/%s", id);
    assert_string_equal(dbx_mlflow_experiment_artifact_location(x), loc);
    assert_string_equal(dbx_mlflow_experiment_lifecycle_stage(x), "active");
    assert_true(dbx_mlflow_experiment_creation_time(x) > 0);
    assert_true(dbx_mlflow_experiment_last_update_time(x) >= dbx_mlflow_experiment_creation_time(x));
    assert_string_equal(dbx_mlflow_experiment_tag(x, "team"), "fraud");
    assert_null(dbx_mlflow_experiment_tag(x, "nope"));
    size_t nt = dbx_mlflow_experiment_tag_count(x);
    assert_true(nt >= 2);
    int seen = 0;
    for (size_t i = 0; i < nt; i++)
        if (strcmp(dbx_mlflow_experiment_tag_key(x, i), "stage") == 0 &&
            strcmp(dbx_mlflow_experiment_tag_value(x, i), "dev") == 0)
            seen = 1;
    assert_true(seen);
    assert_null(dbx_mlflow_experiment_tag_key(x, nt));
    assert_non_null(strstr(dbx_mlflow_experiment_json(x), "\"experiment_id\""));
    dbx_mlflow_experiment_free(x);

    /* by name */
    assert_int_equal(dbx_mlflow_experiment_get_by_name(&x, C, "/Users/me@example.com/fraud"), DBX_OK);
    req = last("experiments/get-by-name");
    assert_string_equal(emu_req_query(req, "experiment_name"), "/Users/me@example.com/fraud");
    json_decref(req);
    assert_string_equal(dbx_mlflow_experiment_id(x), id);
    dbx_mlflow_experiment_free(x);

    /* rename, tags */
    assert_int_equal(dbx_mlflow_experiment_update(C, id, "/Users/me@example.com/fraud2"), DBX_OK);
    req = last("experiments/update");
    assert_string_equal(jstr(req, "experiment_id"), id);
    assert_string_equal(jstr(req, "new_name"), "/Users/me@example.com/fraud2");
    json_decref(req);
    assert_int_equal(dbx_mlflow_experiment_set_tag(C, id, "owner", "me"), DBX_OK);
    req = last("experiments/set-experiment-tag");
    assert_string_equal(jstr(req, "key"), "owner");
    assert_string_equal(jstr(req, "value"), "me");
    json_decref(req);
    assert_int_equal(dbx_mlflow_experiment_delete_tag(C, id, "team"), DBX_OK);
    req = last("experiments/delete-experiment-tag");
    assert_string_equal(jstr(req, "key"), "team");
    json_decref(req);
    assert_int_equal(dbx_mlflow_experiment_get(&x, C, id), DBX_OK);
    assert_string_equal(dbx_mlflow_experiment_name(x), "/Users/me@example.com/fraud2");
    assert_string_equal(dbx_mlflow_experiment_tag(x, "owner"), "me");
    assert_null(dbx_mlflow_experiment_tag(x, "team"));
    dbx_mlflow_experiment_free(x);

    /* delete and restore */
    assert_int_equal(dbx_mlflow_experiment_delete(C, id), DBX_OK);
    req = last("experiments/delete");
    assert_string_equal(jstr(req, "experiment_id"), id);
    json_decref(req);
    assert_int_equal(dbx_mlflow_experiment_get(&x, C, id), DBX_OK);
    assert_string_equal(dbx_mlflow_experiment_lifecycle_stage(x), "deleted");
    dbx_mlflow_experiment_free(x);
    /* the name stays taken while deleted */
    char *id2 = (char *)"unchanged";
    assert_int_equal(dbx_mlflow_experiment_create(&id2, C, "/Users/me@example.com/fraud2", NULL, NULL, 0),
                     DBX_EEXISTS);
    assert_null(id2);
    expect_server_error(DBX_EEXISTS, DBX_EEXISTS, 400, "RESOURCE_ALREADY_EXISTS", "already exists");
    assert_int_equal(dbx_mlflow_experiment_restore(C, id), DBX_OK);
    req = last("experiments/restore");
    assert_string_equal(jstr(req, "experiment_id"), id);
    json_decref(req);
    assert_int_equal(dbx_mlflow_experiment_get(&x, C, id), DBX_OK);
    assert_string_equal(dbx_mlflow_experiment_lifecycle_stage(x), "active");
    dbx_mlflow_experiment_free(x);
    (void)e;
    dbx_free(id);
}

static void test_experiment_errors(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_mlflow_experiment *x = (dbx_mlflow_experiment *)&x;
    dbx_status st = dbx_mlflow_experiment_get(&x, C, "123456789");
    assert_null(x);
    expect_server_error(st, DBX_ENOTFOUND, 404, "RESOURCE_DOES_NOT_EXIST", NULL);
    st = dbx_mlflow_experiment_get_by_name(&x, C, "/Shared/none");
    expect_server_error(st, DBX_ENOTFOUND, 404, "RESOURCE_DOES_NOT_EXIST", NULL);
    /* a relative name: the server refuses it */
    char *id = NULL;
    st = dbx_mlflow_experiment_create(&id, C, "relative", NULL, NULL, 0);
    expect_server_error(st, DBX_EINVALIDPARAM, 400, "INVALID_PARAMETER_VALUE", NULL);

    /* local checks, before any I/O */
    emu_clear_requests(e);
    expect_local_einval(dbx_mlflow_experiment_create(&id, C, NULL, NULL, NULL, 0), C, "name");
    char big[6000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    big[0] = '/';
    expect_local_einval(dbx_mlflow_experiment_create(&id, C, big, NULL, NULL, 0), C, "name");
    dbx_mlflow_tag bad[] = {{"ok", "v"}, {"k", big}};
    expect_local_einval(dbx_mlflow_experiment_create(&id, C, "/Shared/x", NULL, bad, 2), C, "tags[1].value");
    dbx_mlflow_tag badk[] = {{"a//b", "v"}};
    expect_local_einval(dbx_mlflow_experiment_create(&id, C, "/Shared/x", NULL, badk, 1), C, "tags[0].key");
    expect_local_einval(dbx_mlflow_experiment_create(&id, C, "/Shared/x", NULL, NULL, 3), C, "tags");
    expect_local_einval(dbx_mlflow_experiment_get(&x, C, ""), C, "experiment_id");
    expect_local_einval(dbx_mlflow_experiment_get(&x, C, "12&x=1"), C, "experiment_id");
    expect_local_einval(dbx_mlflow_experiment_update(C, "1", NULL), C, "new_name");
    expect_local_einval(dbx_mlflow_experiment_set_tag(C, "1", "k", big), C, "value");
    expect_local_einval(dbx_mlflow_experiment_set_tag(C, "1", "../k", "v"), C, "key");
    expect_local_einval(dbx_mlflow_experiment_delete_tag(C, "1", "k\x01"), C, "key");
    expect_local_einval(dbx_mlflow_experiment_delete(C, NULL), C, "experiment_id");
    expect_local_einval(dbx_mlflow_experiment_restore(C, "-1"), C, "experiment_id");
    assert_int_equal(dbx_mlflow_experiment_get(NULL, C, "1"), DBX_EINVAL);
    assert_int_equal(dbx_mlflow_experiment_get(&x, NULL, "1"), DBX_EINVAL);
    assert_int_equal(emu_count(e, NULL), 0);
}

static void test_experiments_search_pages(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_config(e, "{\"page_size_mlflow_search\": 2}");
    char name[64];
    char *ids[5];
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "/Shared/search-%d", i);
        ids[i] = make_experiment(name);
    }
    char *other = make_experiment("/Shared/other");
    dbx_mlflow_experiment_delete(C, ids[4]);
    emu_clear_requests(e);

    dbx_mlflow_search_options o = DBX_MLFLOW_SEARCH_OPTIONS_INIT;
    const char *order[] = {"name ASC", NULL};
    o.filter = "name LIKE '/Shared/search-%'";
    o.order_by = order;
    o.page_size = 10;
    dbx_mlflow_experiments_iter *it = NULL;
    assert_int_equal(dbx_mlflow_experiments_search(&it, C, &o), DBX_OK);
    assert_int_equal(emu_count(e, NULL), 0); /* nothing until the first next */
    const dbx_mlflow_experiment *x;
    int n = 0;
    dbx_status st;
    while ((st = dbx_mlflow_experiments_iter_next(&x, it)) == DBX_OK) {
        snprintf(name, sizeof name, "/Shared/search-%d", n);
        assert_string_equal(dbx_mlflow_experiment_name(x), name);
        assert_string_equal(dbx_mlflow_experiment_id(x), ids[n]);
        n++;
    }
    assert_int_equal(st, DBX_DONE);
    assert_int_equal(n, 4); /* the deleted one is not ACTIVE_ONLY */
    dbx_mlflow_experiments_iter_free(it);
    json_t *reqs = emu_requests_to(e, API "/experiments/search");
    assert_int_equal(json_array_size(reqs), 2); /* pages of 2 */
    json_t *r0 = json_array_get(reqs, 0), *r1 = json_array_get(reqs, 1);
    assert_string_equal(json_string_value(json_object_get(r0, "method")), "POST");
    assert_string_equal(jstr(r0, "filter"), "name LIKE '/Shared/search-%'");
    assert_string_equal(json_string_value(json_array_get(emu_req_json(r0, "order_by"), 0)), "name ASC");
    assert_int_equal(json_integer_value(emu_req_json(r0, "max_results")), 10);
    assert_null(emu_req_json(r0, "page_token"));
    assert_null(emu_req_json(r0, "view_type"));
    assert_non_null(jstr(r1, "page_token"));
    assert_string_equal(jstr(r1, "filter"), "name LIKE '/Shared/search-%'");
    json_decref(reqs);

    /* deleted only, max_items */
    o.view_type = DBX_MLFLOW_VIEW_DELETED_ONLY;
    o.max_items = 1;
    assert_int_equal(dbx_mlflow_experiments_search(&it, C, &o), DBX_OK);
    assert_int_equal(dbx_mlflow_experiments_iter_next(&x, it), DBX_OK);
    assert_string_equal(dbx_mlflow_experiment_id(x), ids[4]);
    assert_int_equal(dbx_mlflow_experiments_iter_next(&x, it), DBX_DONE);
    dbx_mlflow_experiments_iter_free(it);
    json_t *req = last("experiments/search");
    assert_string_equal(jstr(req, "view_type"), "DELETED_ONLY");
    json_decref(req);

    /* a filter the server does not understand */
    o.view_type = 0;
    o.max_items = 0;
    o.filter = "name ~ 'x'";
    assert_int_equal(dbx_mlflow_experiments_search(&it, C, &o), DBX_OK);
    st = dbx_mlflow_experiments_iter_next(&x, it);
    expect_server_error(st, DBX_EINVALIDPARAM, 400, "INVALID_PARAMETER_VALUE", NULL);
    dbx_mlflow_experiments_iter_free(it);

    /* bad options */
    emu_clear_requests(e);
    o.filter = NULL;
    o.view_type = (dbx_mlflow_view_type_t)9;
    expect_local_einval(dbx_mlflow_experiments_search(&it, C, &o), C, "view_type");
    assert_null(it);
    o.view_type = 0;
    o.version = 99;
    expect_local_einval(dbx_mlflow_experiments_search(&it, C, &o), C, "version");
    for (int i = 0; i < 5; i++)
        dbx_free(ids[i]);
    dbx_free(other);
}

/* ---- runs --------------------------------------------------------------------------------- */

static void test_run_lifecycle(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *exp = make_experiment("/Shared/runs");
    dbx_mlflow_run_create_options o = DBX_MLFLOW_RUN_CREATE_OPTIONS_INIT;
    dbx_mlflow_tag tags[] = {{"mlflow.source.type", "JOB"}};
    o.run_name = "first";
    o.start_time = 1700000000000LL;
    o.tags = tags;
    o.n_tags = 1;
    dbx_mlflow_run *r = NULL;
    assert_int_equal(dbx_mlflow_run_create(&r, C, exp, &o), DBX_OK);
    json_t *req = last("runs/create");
    assert_string_equal(jstr(req, "experiment_id"), exp);
    assert_string_equal(jstr(req, "run_name"), "first");
    assert_int_equal(json_integer_value(emu_req_json(req, "start_time")), 1700000000000LL);
    assert_string_equal(json_string_value(json_object_get(json_array_get(emu_req_json(req, "tags"), 0), "key")),
                        "mlflow.source.type");
    json_decref(req);
    char rid[64];
    snprintf(rid, sizeof rid, "%s", dbx_mlflow_run_id(r));
    assert_int_equal(strlen(rid), 32);
    assert_string_equal(dbx_mlflow_run_name(r), "first");
    assert_string_equal(dbx_mlflow_run_experiment_id(r), exp);
    assert_int_equal(dbx_mlflow_run_status(r), DBX_MLFLOW_RUN_STATUS_RUNNING);
    assert_string_equal(dbx_mlflow_run_status_str(r), "RUNNING");
    assert_int_equal(dbx_mlflow_run_start_time(r), 1700000000000LL);
    assert_int_equal(dbx_mlflow_run_end_time(r), 0);
    assert_string_equal(dbx_mlflow_run_lifecycle_stage(r), "active");
    char uri[160];
    snprintf(uri, sizeof uri, "dbfs:/databricks/mlflow-tracking/%s/%s/artifacts", exp, rid);
    assert_string_equal(dbx_mlflow_run_artifact_uri(r), uri);
    assert_string_equal(dbx_mlflow_run_tag(r, "mlflow.runName"), "first");
    assert_string_equal(dbx_mlflow_run_tag(r, "mlflow.source.type"), "JOB");
    assert_non_null(dbx_mlflow_run_tag(r, "mlflow.user"));
    assert_int_equal(dbx_mlflow_run_metric_count(r), 0);
    assert_int_equal(dbx_mlflow_run_param_count(r), 0);
    assert_string_equal(dbx_mlflow_run_inputs_json(r), "{}");
    dbx_mlflow_run_free(r);

    /* params, metrics, tags */
    assert_int_equal(dbx_mlflow_run_log_param(C, rid, "lr", "0.01"), DBX_OK);
    req = last("runs/log-parameter");
    assert_string_equal(jstr(req, "run_id"), rid);
    assert_string_equal(jstr(req, "key"), "lr");
    assert_string_equal(jstr(req, "value"), "0.01");
    json_decref(req);
    assert_int_equal(dbx_mlflow_run_log_param(C, rid, "lr", "0.01"), DBX_OK); /* same value: fine */
    dbx_status st = dbx_mlflow_run_log_param(C, rid, "lr", "0.02");
    expect_server_error(st, DBX_EINVALIDPARAM, 400, "INVALID_PARAMETER_VALUE", "Changing param values is not allowed");

    assert_int_equal(dbx_mlflow_run_log_metric(C, rid, "loss", 0.5, 1000, 1), DBX_OK);
    req = last("runs/log-metric");
    assert_string_equal(jstr(req, "key"), "loss");
    assert_true(json_real_value(emu_req_json(req, "value")) == 0.5);
    assert_int_equal(json_integer_value(emu_req_json(req, "timestamp")), 1000);
    assert_int_equal(json_integer_value(emu_req_json(req, "step")), 1);
    json_decref(req);
    assert_int_equal(dbx_mlflow_run_log_metric(C, rid, "loss", 0.25, 2000, 2), DBX_OK);
    assert_int_equal(dbx_mlflow_run_log_metric(C, rid, "odd", NAN, 1000, 0), DBX_OK);
    req = last("runs/log-metric");
    assert_string_equal(jstr(req, "value"), "NaN");
    json_decref(req);
    assert_int_equal(dbx_mlflow_run_log_metric(C, rid, "big", -INFINITY, 1000, 0), DBX_OK);
    req = last("runs/log-metric");
    assert_string_equal(jstr(req, "value"), "-Infinity");
    json_decref(req);
    assert_int_equal(dbx_mlflow_run_log_metric(C, rid, "third", 0.1, 1000, 0), DBX_OK);
    req = last("runs/log-metric");
    assert_non_null(strstr(json_string_value(json_object_get(req, "body")), "\"value\":0.1,"));
    json_decref(req);

    assert_int_equal(dbx_mlflow_run_set_tag(C, rid, "note", "hello"), DBX_OK);
    req = last("runs/set-tag");
    assert_string_equal(jstr(req, "key"), "note");
    assert_string_equal(jstr(req, "value"), "hello");
    json_decref(req);
    assert_int_equal(dbx_mlflow_run_set_tag(C, rid, "gone", "x"), DBX_OK);
    assert_int_equal(dbx_mlflow_run_delete_tag(C, rid, "gone"), DBX_OK);
    req = last("runs/delete-tag");
    assert_string_equal(jstr(req, "run_id"), rid);
    assert_string_equal(jstr(req, "key"), "gone");
    json_decref(req);
    st = dbx_mlflow_run_delete_tag(C, rid, "gone");
    expect_server_error(st, DBX_ENOTFOUND, 404, "RESOURCE_DOES_NOT_EXIST", NULL);

    /* inputs */
    dbx_mlflow_tag itags[] = {{"mlflow.data.context", "training"}};
    dbx_mlflow_dataset_input ds[] = {{"train", "abc123", "local", "{\"uri\":\"/tmp/x\"}", NULL, NULL, itags, 1}};
    assert_int_equal(dbx_mlflow_run_log_inputs(C, rid, ds, 1), DBX_OK);
    req = last("runs/log-inputs");
    json_t *d0 = json_array_get(emu_req_json(req, "datasets"), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(d0, "dataset"), "name")), "train");
    assert_string_equal(json_string_value(json_object_get(json_object_get(d0, "dataset"), "source_type")), "local");
    assert_null(json_object_get(json_object_get(d0, "dataset"), "schema"));
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(d0, "tags"), 0), "value")),
                        "training");
    json_decref(req);

    /* update */
    assert_int_equal(dbx_mlflow_run_update(C, rid, DBX_MLFLOW_RUN_STATUS_FINISHED, 1700000100000LL, "renamed"), DBX_OK);
    req = last("runs/update");
    assert_string_equal(jstr(req, "run_id"), rid);
    assert_string_equal(jstr(req, "status"), "FINISHED");
    assert_int_equal(json_integer_value(emu_req_json(req, "end_time")), 1700000100000LL);
    assert_string_equal(jstr(req, "run_name"), "renamed");
    json_decref(req);
    assert_int_equal(dbx_mlflow_run_update(C, rid, DBX_MLFLOW_RUN_STATUS_UNKNOWN, 0, NULL), DBX_OK);
    req = last("runs/update");
    assert_int_equal(json_object_size(json_object_get(req, "json")), 1); /* run_id only */
    json_decref(req);

    /* get: the latest metric per key, params, tags, inputs */
    assert_int_equal(dbx_mlflow_run_get(&r, C, rid), DBX_OK);
    req = last("runs/get");
    assert_string_equal(emu_req_query(req, "run_id"), rid);
    json_decref(req);
    assert_string_equal(dbx_mlflow_run_id(r), rid);
    assert_string_equal(dbx_mlflow_run_name(r), "renamed");
    assert_int_equal(dbx_mlflow_run_status(r), DBX_MLFLOW_RUN_STATUS_FINISHED);
    assert_int_equal(dbx_mlflow_run_end_time(r), 1700000100000LL);
    double v = 0;
    assert_int_equal(dbx_mlflow_run_metric(r, "loss", &v), 1);
    assert_true(v == 0.25);
    assert_int_equal(dbx_mlflow_run_metric(r, "odd", &v), 1);
    assert_true(isnan(v));
    assert_int_equal(dbx_mlflow_run_metric(r, "big", &v), 1);
    assert_true(isinf(v) && v < 0);
    assert_int_equal(dbx_mlflow_run_metric(r, "third", &v), 1);
    assert_true(v == 0.1);
    assert_int_equal(dbx_mlflow_run_metric(r, "none", NULL), 0);
    assert_int_equal(dbx_mlflow_run_metric_count(r), 4);
    int found = 0;
    for (size_t i = 0; i < dbx_mlflow_run_metric_count(r); i++) {
        if (strcmp(dbx_mlflow_run_metric_key(r, i), "loss") == 0) {
            assert_true(dbx_mlflow_run_metric_value(r, i) == 0.25);
            assert_int_equal(dbx_mlflow_run_metric_timestamp(r, i), 2000);
            assert_int_equal(dbx_mlflow_run_metric_step(r, i), 2);
            found = 1;
        }
    }
    assert_true(found);
    assert_null(dbx_mlflow_run_metric_key(r, 99));
    assert_int_equal(dbx_mlflow_run_param_count(r), 1);
    assert_string_equal(dbx_mlflow_run_param_key(r, 0), "lr");
    assert_string_equal(dbx_mlflow_run_param_value(r, 0), "0.01");
    assert_string_equal(dbx_mlflow_run_param(r, "lr"), "0.01");
    assert_null(dbx_mlflow_run_param(r, "none"));
    assert_string_equal(dbx_mlflow_run_tag(r, "note"), "hello");
    assert_null(dbx_mlflow_run_tag(r, "gone"));
    assert_true(dbx_mlflow_run_tag_count(r) >= 3);
    assert_non_null(dbx_mlflow_run_tag_key(r, 0));
    assert_non_null(dbx_mlflow_run_tag_value(r, 0));
    assert_int_equal(dbx_mlflow_run_dataset_count(r), 1);
    assert_string_equal(dbx_mlflow_run_dataset_name(r, 0), "train");
    assert_string_equal(dbx_mlflow_run_dataset_digest(r, 0), "abc123");
    assert_null(dbx_mlflow_run_dataset_name(r, 1));
    assert_non_null(strstr(dbx_mlflow_run_inputs_json(r), "\"dataset_inputs\""));
    assert_non_null(strstr(dbx_mlflow_run_json(r), rid));
    dbx_mlflow_run_free(r);

    /* delete: writes are refused; restore */
    assert_int_equal(dbx_mlflow_run_delete(C, rid), DBX_OK);
    req = last("runs/delete");
    assert_string_equal(jstr(req, "run_id"), rid);
    json_decref(req);
    assert_int_equal(dbx_mlflow_run_get(&r, C, rid), DBX_OK);
    assert_string_equal(dbx_mlflow_run_lifecycle_stage(r), "deleted");
    dbx_mlflow_run_free(r);
    st = dbx_mlflow_run_log_metric(C, rid, "loss", 1, 3000, 3);
    expect_server_error(st, DBX_EINVALIDPARAM, 400, "INVALID_PARAMETER_VALUE", "active");
    st = dbx_mlflow_run_set_tag(C, rid, "k", "v");
    expect_server_error(st, DBX_EINVALIDPARAM, 400, "INVALID_PARAMETER_VALUE", NULL);
    assert_int_equal(dbx_mlflow_run_restore(C, rid), DBX_OK);
    req = last("runs/restore");
    assert_string_equal(jstr(req, "run_id"), rid);
    json_decref(req);
    assert_int_equal(dbx_mlflow_run_log_metric(C, rid, "loss", 1, 3000, 3), DBX_OK);
    (void)e;
    dbx_free(exp);
}

static void test_run_errors(void **state)
{
    (void)state;
    emu *e = emu_get();
    const char *bogus = "0123456789abcdef0123456789abcdef";
    dbx_mlflow_run *r = (dbx_mlflow_run *)&r;
    dbx_status st = dbx_mlflow_run_get(&r, C, bogus);
    assert_null(r);
    expect_server_error(st, DBX_ENOTFOUND, 404, "RESOURCE_DOES_NOT_EXIST", bogus);
    st = dbx_mlflow_run_create(&r, C, "99999", NULL);
    expect_server_error(st, DBX_ENOTFOUND, 404, "RESOURCE_DOES_NOT_EXIST", NULL);
    st = dbx_mlflow_run_log_param(C, bogus, "k", "v");
    expect_server_error(st, DBX_ENOTFOUND, 404, "RESOURCE_DOES_NOT_EXIST", NULL);

    /* local checks */
    emu_clear_requests(e);
    char big[6000];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char key251[252];
    memset(key251, 'k', 251);
    key251[251] = '\0';
    char v501[502];
    memset(v501, 'p', 501);
    v501[501] = '\0';
    expect_local_einval(dbx_mlflow_run_create(&r, C, NULL, NULL), C, "experiment_id");
    dbx_mlflow_run_create_options o = DBX_MLFLOW_RUN_CREATE_OPTIONS_INIT;
    o.start_time = -1;
    expect_local_einval(dbx_mlflow_run_create(&r, C, "1", &o), C, "start_time");
    expect_local_einval(dbx_mlflow_run_get(&r, C, "../etc"), C, "run_id");
    expect_local_einval(dbx_mlflow_run_log_param(C, bogus, key251, "v"), C, "key");
    expect_local_einval(dbx_mlflow_run_log_param(C, bogus, "k", v501), C, "value");
    v501[500] = '\0'; /* 500 bytes: at the limit */
    expect_local_einval(dbx_mlflow_run_log_param(C, bogus, "", v501), C, "key");
    expect_local_einval(dbx_mlflow_run_set_tag(C, bogus, "k", big), C, "value");
    expect_local_einval(dbx_mlflow_run_set_tag(C, bogus, "/abs", "v"), C, "key");
    expect_local_einval(dbx_mlflow_run_set_tag(C, bogus, "a/./b", "v"), C, "key");
    expect_local_einval(dbx_mlflow_run_set_tag(C, bogus, "k;drop", "v"), C, "key");
    expect_local_einval(dbx_mlflow_run_log_metric(C, bogus, "m", 1, -5, 0), C, "timestamp");
    expect_local_einval(dbx_mlflow_run_log_metric(C, bogus, NULL, 1, 0, 0), C, "key");
    expect_local_einval(dbx_mlflow_run_update(C, bogus, (dbx_mlflow_run_status_t)42, 0, NULL), C, "status");
    expect_local_einval(dbx_mlflow_run_update(C, bogus, 0, -1, NULL), C, "end_time");
    expect_local_einval(dbx_mlflow_run_delete(C, ""), C, "run_id");
    expect_local_einval(dbx_mlflow_run_restore(C, NULL), C, "run_id");
    expect_local_einval(dbx_mlflow_run_delete_tag(C, bogus, ""), C, "key");
    expect_local_einval(dbx_mlflow_run_log_inputs(C, bogus, NULL, 0), C, "datasets");
    dbx_mlflow_dataset_input ds[] = {{"n", NULL, "local", "{}", NULL, NULL, NULL, 0}};
    expect_local_einval(dbx_mlflow_run_log_inputs(C, bogus, ds, 1), C, "datasets[0].digest");
    /* at the limit the call goes out: a 500-byte param value and a 250-byte key */
    key251[250] = '\0';
    st = dbx_mlflow_run_log_param(C, bogus, key251, v501);
    assert_int_equal(st, DBX_ENOTFOUND);
    assert_int_equal(emu_count(e, API "/runs/log-parameter"), 1);
}

static void test_log_batch(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *exp = make_experiment("/Shared/batch");
    dbx_mlflow_run *r = make_run(exp);
    const char *rid = dbx_mlflow_run_id(r);
    dbx_mlflow_metric_point m[] = {{"acc", 0.9, 10, 0}, {"acc", 0.95, 20, 1}, {"loss", INFINITY, 10, 0}};
    dbx_mlflow_tag p[] = {{"depth", "3"}, {"lr", "0.1"}};
    dbx_mlflow_tag t[] = {{"phase", "train"}};
    assert_int_equal(dbx_mlflow_run_log_batch(C, rid, m, 3, p, 2, t, 1), DBX_OK);
    json_t *req = last("runs/log-batch");
    assert_string_equal(jstr(req, "run_id"), rid);
    json_t *jm = emu_req_json(req, "metrics");
    assert_int_equal(json_array_size(jm), 3);
    assert_true(json_real_value(json_object_get(json_array_get(jm, 1), "value")) == 0.95);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(jm, 1), "step")), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(jm, 2), "value")), "Infinity");
    assert_int_equal(json_array_size(emu_req_json(req, "params")), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(emu_req_json(req, "tags"), 0), "value")),
                        "train");
    json_decref(req);

    /* nothing to log: no request */
    emu_clear_requests(e);
    assert_int_equal(dbx_mlflow_run_log_batch(C, rid, NULL, 0, NULL, 0, NULL, 0), DBX_OK);
    assert_int_equal(emu_count(e, NULL), 0);

    /* a param again with another value: the server refuses the batch */
    dbx_mlflow_tag p2[] = {{"depth", "4"}};
    dbx_status st = dbx_mlflow_run_log_batch(C, rid, NULL, 0, p2, 1, NULL, 0);
    expect_server_error(st, DBX_EINVALIDPARAM, 400, "INVALID_PARAMETER_VALUE", "Changing param values");

    /* local limits */
    emu_clear_requests(e);
    dbx_mlflow_tag dup[] = {{"a", "1"}, {"a", "1"}};
    expect_local_einval(dbx_mlflow_run_log_batch(C, rid, NULL, 0, dup, 2, NULL, 0), C, "params[1].key");
    static dbx_mlflow_metric_point many[1001];
    for (size_t i = 0; i < 1001; i++)
        many[i] = (dbx_mlflow_metric_point){"m", (double)i, 1, (int64_t)i};
    expect_local_einval(dbx_mlflow_run_log_batch(C, rid, many, 1001, NULL, 0, NULL, 0), C, "n_metrics");
    static dbx_mlflow_tag tags101[101];
    static char keys[101][8];
    for (int i = 0; i < 101; i++) {
        snprintf(keys[i], sizeof keys[i], "t%d", i);
        tags101[i] = (dbx_mlflow_tag){keys[i], "v"};
    }
    expect_local_einval(dbx_mlflow_run_log_batch(C, rid, NULL, 0, NULL, 0, tags101, 101), C, "n_tags");
    expect_local_einval(dbx_mlflow_run_log_batch(C, rid, NULL, 0, tags101, 101, NULL, 0), C, "n_params");
    expect_local_einval(dbx_mlflow_run_log_batch(C, rid, many, 1000, NULL, 0, tags101, 1), C, "at most 1000");
    many[5].timestamp = -1;
    expect_local_einval(dbx_mlflow_run_log_batch(C, rid, many, 10, NULL, 0, NULL, 0), C, "metrics[5].key");
    many[5].timestamp = 1;
    /* over 1 MB of JSON: 100 tags of 5000 bytes and 100 params... are under; build 1000 metrics
     * with 250-byte keys (~300 KB) plus 100 tags of 5000 bytes (~500 KB) and 100 params of 500 bytes:
     * still under; use the exact rule: the serialised body over 1,000,000 bytes */
    static char bigkey[251];
    memset(bigkey, 'k', 250);
    static char bigval[5001];
    memset(bigval, 'x', 5000);
    static dbx_mlflow_tag bigtags[100];
    static char tk[100][16];
    for (int i = 0; i < 100; i++) {
        snprintf(tk[i], sizeof tk[i], "t%d", i);
        bigtags[i] = (dbx_mlflow_tag){tk[i], bigval};
    }
    for (size_t i = 0; i < 900; i++)
        many[i] = (dbx_mlflow_metric_point){bigkey, 1.0 / 3.0, 1700000000000LL, (int64_t)i};
    /* 900 metrics of ~330 bytes (~300 KB) + 100 tags of ~5 KB (~500 KB): under 1 MB, accepted */
    assert_int_equal(dbx_mlflow_run_log_batch(C, rid, many, 900, NULL, 0, bigtags, 100), DBX_OK);
    req = last("runs/log-batch");
    size_t body_len = strlen(json_string_value(json_object_get(req, "body")));
    assert_true(body_len < 1000000 && body_len > 700000);
    json_decref(req);
    /* the same tags with values escaped 6x (control characters): over 1 MB, refused locally */
    static char ctlval[5001];
    memset(ctlval, '\x01', 5000);
    for (int i = 0; i < 100; i++)
        bigtags[i].value = ctlval;
    emu_clear_requests(e);
    expect_local_einval(dbx_mlflow_run_log_batch(C, rid, many, 900, NULL, 0, bigtags, 100), C, "bytes");
    dbx_mlflow_run_free(r);
    dbx_free(exp);
}

static void test_runs_search_and_history(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_config(e, "{\"page_size_mlflow_search\": 2, \"page_size_mlflow_history\": 3}");
    char *exp = make_experiment("/Shared/search-runs");
    char ids[5][33];
    for (int i = 0; i < 5; i++) {
        dbx_mlflow_run *r = make_run(exp);
        snprintf(ids[i], sizeof ids[i], "%s", dbx_mlflow_run_id(r));
        dbx_mlflow_run_free(r);
        assert_int_equal(dbx_mlflow_run_log_metric(C, ids[i], "rmse", 1.0 + i, 1000, 0), DBX_OK);
    }
    emu_clear_requests(e);
    const char *exps[] = {exp, NULL};
    const char *order[] = {"metrics.rmse ASC", NULL};
    dbx_mlflow_search_options o = DBX_MLFLOW_SEARCH_OPTIONS_INIT;
    o.filter = "metrics.rmse < 4.5";
    o.order_by = order;
    dbx_mlflow_runs_iter *it = NULL;
    assert_int_equal(dbx_mlflow_runs_search(&it, C, exps, &o), DBX_OK);
    const dbx_mlflow_run *r;
    int n = 0;
    dbx_status st;
    while ((st = dbx_mlflow_runs_iter_next(&r, it)) == DBX_OK) {
        assert_string_equal(dbx_mlflow_run_id(r), ids[n]);
        double v = 0;
        assert_int_equal(dbx_mlflow_run_metric(r, "rmse", &v), 1);
        assert_true(v == 1.0 + n);
        n++;
    }
    assert_int_equal(st, DBX_DONE);
    assert_int_equal(n, 4);
    dbx_mlflow_runs_iter_free(it);
    json_t *reqs = emu_requests_to(e, API "/runs/search");
    assert_int_equal(json_array_size(reqs), 2);
    json_t *r0 = json_array_get(reqs, 0);
    assert_string_equal(json_string_value(json_array_get(emu_req_json(r0, "experiment_ids"), 0)), exp);
    assert_string_equal(jstr(r0, "filter"), "metrics.rmse < 4.5");
    assert_string_equal(json_string_value(json_array_get(emu_req_json(r0, "order_by"), 0)), "metrics.rmse ASC");
    assert_null(emu_req_json(r0, "run_view_type"));
    assert_non_null(jstr(json_array_get(reqs, 1), "page_token"));
    json_decref(reqs);

    /* deleted runs */
    assert_int_equal(dbx_mlflow_run_delete(C, ids[2]), DBX_OK);
    o.filter = NULL;
    o.view_type = DBX_MLFLOW_VIEW_DELETED_ONLY;
    assert_int_equal(dbx_mlflow_runs_search(&it, C, exps, &o), DBX_OK);
    assert_int_equal(dbx_mlflow_runs_iter_next(&r, it), DBX_OK);
    assert_string_equal(dbx_mlflow_run_id(r), ids[2]);
    assert_int_equal(dbx_mlflow_runs_iter_next(&r, it), DBX_DONE);
    dbx_mlflow_runs_iter_free(it);
    json_t *req = last("runs/search");
    assert_string_equal(jstr(req, "run_view_type"), "DELETED_ONLY");
    json_decref(req);

    /* history: 7 values, pages of 3 */
    for (int i = 0; i < 7; i++)
        assert_int_equal(dbx_mlflow_run_log_metric(C, ids[0], "loss", 10.0 - i, 2000 + i, i), DBX_OK);
    emu_clear_requests(e);
    dbx_mlflow_metrics_iter *mi = NULL;
    assert_int_equal(dbx_mlflow_metric_history(&mi, C, ids[0], "loss", 0, 0), DBX_OK);
    const dbx_mlflow_metric *m;
    n = 0;
    while ((st = dbx_mlflow_metrics_iter_next(&m, mi)) == DBX_OK) {
        assert_string_equal(dbx_mlflow_metric_key(m), "loss");
        assert_true(dbx_mlflow_metric_value(m) == 10.0 - n);
        assert_int_equal(dbx_mlflow_metric_timestamp(m), 2000 + n);
        assert_int_equal(dbx_mlflow_metric_step(m), n);
        assert_non_null(strstr(dbx_mlflow_metric_json(m), "\"loss\""));
        n++;
    }
    assert_int_equal(st, DBX_DONE);
    assert_int_equal(n, 7);
    dbx_mlflow_metrics_iter_free(mi);
    reqs = emu_requests_to(e, API "/metrics/get-history");
    assert_int_equal(json_array_size(reqs), 3);
    r0 = json_array_get(reqs, 0);
    assert_string_equal(emu_req_query(r0, "run_id"), ids[0]);
    assert_string_equal(emu_req_query(r0, "metric_key"), "loss");
    assert_null(emu_req_query(r0, "page_token"));
    assert_non_null(emu_req_query(json_array_get(reqs, 2), "page_token"));
    json_decref(reqs);
    /* max_items and page_size */
    assert_int_equal(dbx_mlflow_metric_history(&mi, C, ids[0], "loss", 2, 3), DBX_OK);
    n = 0;
    while (dbx_mlflow_metrics_iter_next(&m, mi) == DBX_OK)
        n++;
    assert_int_equal(n, 3);
    dbx_mlflow_metrics_iter_free(mi);
    req = emu_last_request(e, API "/metrics/get-history");
    assert_string_equal(emu_req_query(req, "max_results"), "2");
    json_decref(req);
    /* an unknown run: the first next fails */
    assert_int_equal(dbx_mlflow_metric_history(&mi, C, "0123456789abcdef0123456789abcdef", "loss", 0, 0), DBX_OK);
    st = dbx_mlflow_metrics_iter_next(&m, mi);
    expect_server_error(st, DBX_ENOTFOUND, 404, "RESOURCE_DOES_NOT_EXIST", NULL);
    dbx_mlflow_metrics_iter_free(mi);

    emu_clear_requests(e);
    const char *none[] = {NULL};
    expect_local_einval(dbx_mlflow_runs_search(&it, C, none, NULL), C, "experiment_ids");
    expect_local_einval(dbx_mlflow_runs_search(&it, C, NULL, NULL), C, "experiment_ids");
    const char *badids[] = {"1", "x y", NULL};
    expect_local_einval(dbx_mlflow_runs_search(&it, C, badids, NULL), C, "experiment_ids[1]");
    expect_local_einval(dbx_mlflow_metric_history(&mi, C, ids[0], "", 0, 0), C, "metric_key");
    expect_local_einval(dbx_mlflow_metric_history(&mi, C, ids[0], "loss", -1, 0), C, "page_size");
    dbx_free(exp);
}

/* ---- the MLflow retry policy -------------------------------------------------------------- */

typedef struct throttle_log {
    int calls;
    char method[8], path[128];
    int attempt[8];
    long delay[8];
} throttle_log;

static void on_throttle(const char *method, const char *path, int attempt, long delay_ms, void *payload)
{
    throttle_log *t = payload;
    if (t->calls < 8) {
        t->attempt[t->calls] = attempt;
        t->delay[t->calls] = delay_ms;
    }
    snprintf(t->method, sizeof t->method, "%s", method);
    snprintf(t->path, sizeof t->path, "%s", path);
    t->calls++;
}

typedef struct warn_log {
    int warns;
    char last[512];
} warn_log;

static void on_log(dbx_log_level level, dbx_log_category cat, const char *msg, void *payload)
{
    (void)cat;
    warn_log *w = payload;
    if (level == DBX_LOG_WARN) {
        w->warns++;
        snprintf(w->last, sizeof w->last, "%s", msg);
    }
}

typedef struct policy_ud {
    throttle_log *t;
    warn_log *w;
    const char *budget_ms;
} policy_ud;

static void tweak_policy(dbx_client_options *o, void *ud)
{
    policy_ud *p = ud;
    assert_int_equal(dbx_client_options_set_throttle(o, on_throttle, p->t), DBX_OK);
    assert_int_equal(dbx_client_options_set_log(o, on_log, p->w), DBX_OK);
    o->log_level = DBX_LOG_WARN;
    if (p->budget_ms)
        assert_int_equal(dbx_client_options_set(o, "mlflow_retry_timeout_ms", p->budget_ms), DBX_OK);
}

static void test_retry_policy_429(void **state)
{
    (void)state;
    emu *e = emu_get();
    throttle_log t = {0};
    warn_log w = {0};
    policy_ud ud = {&t, &w, NULL};
    dbx_client *c = emu_client_with(e, tweak_policy, &ud);
    char *exp = make_experiment("/Shared/throttled");

    /* Retry-After honoured; each 429 a WARN line and a callback */
    emu_fault(e, "{\"path\":\"" API "/experiments/get\",\"times\":2,\"action\":\"status\",\"status\":429,"
                 "\"headers\":{\"Retry-After\":\"7\"},"
                 "\"body\":{\"error_code\":\"REQUEST_LIMIT_EXCEEDED\",\"message\":\"too many\"}}");
    fake_clock_reset_sleeps();
    dbx_mlflow_experiment *x = NULL;
    assert_int_equal(dbx_mlflow_experiment_get(&x, c, exp), DBX_OK);
    dbx_mlflow_experiment_free(x);
    long sleeps[16];
    assert_int_equal(fake_clock_sleeps(sleeps, 16), 2);
    assert_int_equal(sleeps[0], 7000);
    assert_int_equal(sleeps[1], 7000);
    assert_int_equal(t.calls, 2);
    assert_string_equal(t.method, "GET");
    assert_string_equal(t.path, API "/experiments/get"); /* no query string */
    assert_int_equal(t.attempt[0], 1);
    assert_int_equal(t.attempt[1], 2);
    assert_int_equal(t.delay[0], 7000);
    assert_int_equal(w.warns, 2);
    assert_non_null(strstr(w.last, "429"));
    assert_non_null(strstr(w.last, API "/experiments/get"));
    assert_null(strstr(w.last, "experiment_id=")); /* no query */
    assert_null(strstr(w.last, EMU_TOKEN));

    /* no Retry-After: MLflow's backoff, from 2 s (equal jitter: 1..2 s, then 2..4 s, ...) */
    t.calls = 0;
    emu_fault(e, "{\"path\":\"" API "/runs/create\",\"times\":3,\"action\":\"status\",\"status\":429}");
    fake_clock_reset_sleeps();
    dbx_mlflow_run *r = NULL;
    assert_int_equal(dbx_mlflow_run_create(&r, c, exp, NULL), DBX_OK); /* a 429 was not processed: retried */
    dbx_mlflow_run_free(r);
    assert_int_equal(fake_clock_sleeps(sleeps, 16), 3);
    assert_true(sleeps[0] >= 1000 && sleeps[0] <= 2000);
    assert_true(sleeps[1] >= 2000 && sleeps[1] <= 4000);
    assert_true(sleeps[2] >= 4000 && sleeps[2] <= 8000);
    assert_int_equal(t.calls, 3);
    assert_string_equal(t.method, "POST");

    /* the MLflow budget (15 min by default) outlasts the client's general one (5 min):
     * 429s for 10 minutes of Retry-After are waited out */
    emu_fault(e, "{\"path\":\"" API "/experiments/get\",\"times\":10,\"action\":\"status\",\"status\":429,"
                 "\"headers\":{\"Retry-After\":\"60\"}}");
    fake_clock_reset_sleeps();
    assert_int_equal(dbx_mlflow_experiment_get(&x, c, exp), DBX_OK);
    dbx_mlflow_experiment_free(x);
    assert_int_equal(fake_clock_sleeps(sleeps, 16), 10);
    assert_int_equal(fake_clock_slept_total(), 600000);

    /* other areas keep the client's own policy: the same faults end at 5 min */
    dbx_cluster *cl = NULL;
    emu_fault(e, "{\"path\":\"/api/2.1/clusters/get\",\"times\":10,\"action\":\"status\",\"status\":429,"
                 "\"headers\":{\"Retry-After\":\"60\"}}");
    fake_clock_reset_sleeps();
    assert_int_equal(dbx_clusters_get(&cl, c, "0000-000000-abcdefgh"), DBX_ERATELIMITED);
    assert_true(fake_clock_slept_total() <= 300000);
    emu_clear_faults(e);
    dbx_client_free(c);

    /* a smaller MLflow budget (by name) ends sooner, with the last error */
    ud.budget_ms = "30000";
    c = emu_client_with(e, tweak_policy, &ud);
    emu_fault(e, "{\"path\":\"" API "/experiments/get\",\"times\":-1,\"action\":\"status\",\"status\":429,"
                 "\"headers\":{\"Retry-After\":\"20\"},"
                 "\"body\":{\"error_code\":\"REQUEST_LIMIT_EXCEEDED\",\"message\":\"too many\"}}");
    fake_clock_reset_sleeps();
    assert_int_equal(dbx_mlflow_experiment_get(&x, c, exp), DBX_ERATELIMITED);
    assert_null(x);
    const dbx_error *err = dbx_client_last_error(c);
    assert_int_equal(err->http_status, 429);
    assert_non_null(strstr(err->message, "retry budget exhausted"));
    assert_int_equal(fake_clock_sleeps(sleeps, 16), 1);
    emu_clear_faults(e);

    /* iterators page under the MLflow policy too */
    emu_fault(e, "{\"path\":\"" API "/experiments/search\",\"times\":1,\"action\":\"status\",\"status\":429,"
                 "\"headers\":{\"Retry-After\":\"25\"}}");
    fake_clock_reset_sleeps();
    dbx_mlflow_experiments_iter *it = NULL;
    assert_int_equal(dbx_mlflow_experiments_search(&it, c, NULL), DBX_OK);
    const dbx_mlflow_experiment *cx;
    assert_int_equal(dbx_mlflow_experiments_iter_next(&cx, it), DBX_OK);
    dbx_mlflow_experiments_iter_free(it);
    assert_int_equal(fake_clock_sleeps(sleeps, 16), 1);
    assert_int_equal(sleeps[0], 25000);
    dbx_client_free(c);
    dbx_free(exp);
}

static void test_client_options_v3(void **state)
{
    (void)state;
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    assert_int_equal(o.version, 3);
    assert_null(o.registry_uri);
    assert_int_equal(dbx_client_options_set(&o, "registry_uri", "databricks-uc"), DBX_OK);
    assert_string_equal(o.registry_uri, "databricks-uc");
    assert_int_equal(dbx_client_options_set(&o, "mlflow_retry_initial_delay_ms", "500"), DBX_OK);
    assert_int_equal(o.mlflow_retry_initial_delay_ms, 500);
    assert_int_equal(dbx_client_options_set(&o, "mlflow_retry_max_delay_ms", "x"), DBX_EINVAL);
    dbx_client_options_dispose(&o);
    /* a version 2 struct has no such fields */
    dbx_client_options o2;
    assert_int_equal(dbx_client_options_init(&o2, 2), DBX_OK);
    assert_int_equal(dbx_client_options_set(&o2, "registry_uri", "databricks"), DBX_EINVAL);
    assert_non_null(strstr(dbx_client_last_error(NULL)->message, "version 3"));
    assert_int_equal(dbx_client_options_set_throttle(&o2, on_throttle, NULL), DBX_EINVAL);
    assert_int_equal(dbx_client_options_set_throttle(NULL, on_throttle, NULL), DBX_EINVAL);
    dbx_client_options_dispose(&o2);

    /* env MLFLOW_REGISTRY_URI, and the option over it */
    emu *e = emu_get();
    setenv("MLFLOW_REGISTRY_URI", "databricks", 1);
    dbx_client_options eo = DBX_CLIENT_OPTIONS_INIT;
    eo.host = e->base;
    eo.token = EMU_TOKEN;
    eo.no_config_file = 1;
    dbx_client *c = NULL;
    assert_int_equal(dbx_client_new(&c, &eo), DBX_OK);
    assert_string_equal(dbx_client_config_source(c, "registry_uri"), "env");
    dbx_client_free(c);
    eo.registry_uri = "databricks-uc";
    assert_int_equal(dbx_client_new(&c, &eo), DBX_OK);
    assert_string_equal(dbx_client_config_source(c, "registry_uri"), "option");
    dbx_client_free(c);
    unsetenv("MLFLOW_REGISTRY_URI");
    eo.registry_uri = NULL;
    assert_int_equal(dbx_client_new(&c, &eo), DBX_OK);
    assert_null(dbx_client_config_source(c, "registry_uri"));
    dbx_client_free(c);
}

/* ---- the logging buffer ------------------------------------------------------------------- */

/* Sizes (metrics, params, tags) and body bytes of every log-batch request, in order. */
static size_t batch_requests(size_t (*counts)[4], size_t max)
{
    json_t *reqs = emu_requests_to(emu_get(), API "/runs/log-batch");
    size_t n = json_array_size(reqs);
    for (size_t i = 0; i < n && i < max; i++) {
        json_t *r = json_array_get(reqs, i);
        counts[i][0] = json_array_size(emu_req_json(r, "metrics"));
        counts[i][1] = json_array_size(emu_req_json(r, "params"));
        counts[i][2] = json_array_size(emu_req_json(r, "tags"));
        counts[i][3] = strlen(json_string_value(json_object_get(r, "body")));
    }
    json_decref(reqs);
    return n;
}

static void test_logger_limits(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *exp = make_experiment("/Shared/logger");
    dbx_mlflow_run *run = make_run(exp);
    const char *rid = dbx_mlflow_run_id(run);
    dbx_mlflow_logger *lg = NULL;
    assert_int_equal(dbx_mlflow_logger_new(&lg, C, rid, NULL), DBX_OK);
    assert_int_equal(emu_count(e, NULL), 2); /* no request */
    static size_t counts[64][4];
    char key[32];

    /* 2500 metrics: 1000 + 1000 + 500, in order */
    for (int i = 0; i < 2500; i++)
        assert_int_equal(dbx_mlflow_logger_add_metric(lg, "m", (double)i, 1000 + i, i), DBX_OK);
    assert_int_equal(dbx_mlflow_logger_pending(lg), 2500);
    emu_clear_requests(e);
    assert_int_equal(dbx_mlflow_logger_flush(lg), DBX_OK);
    assert_int_equal(dbx_mlflow_logger_pending(lg), 0);
    assert_int_equal(batch_requests(counts, 64), 3);
    assert_int_equal(counts[0][0], 1000);
    assert_int_equal(counts[1][0], 1000);
    assert_int_equal(counts[2][0], 500);
    assert_int_equal(dbx_mlflow_logger_requests(lg), 3);
    json_t *reqs = emu_requests_to(e, API "/runs/log-batch");
    json_t *m0 = json_array_get(emu_req_json(json_array_get(reqs, 1), "metrics"), 0);
    assert_int_equal(json_integer_value(json_object_get(m0, "step")), 1000); /* order kept */
    json_decref(reqs);
    /* an empty flush sends nothing */
    emu_clear_requests(e);
    assert_int_equal(dbx_mlflow_logger_flush(lg), DBX_OK);
    assert_int_equal(emu_count(e, NULL), 0);

    /* 250 params: 100 + 100 + 50; 150 tags with them; 1000 entities at most */
    for (int i = 0; i < 250; i++) {
        snprintf(key, sizeof key, "p%d", i);
        assert_int_equal(dbx_mlflow_logger_add_param(lg, key, "v"), DBX_OK);
    }
    for (int i = 0; i < 150; i++) {
        snprintf(key, sizeof key, "t%d", i);
        assert_int_equal(dbx_mlflow_logger_add_tag(lg, key, "v"), DBX_OK);
    }
    emu_clear_requests(e);
    assert_int_equal(dbx_mlflow_logger_flush(lg), DBX_OK);
    size_t n = batch_requests(counts, 64);
    /* params 0..99 | params 100..199 | params 200..249 + tags 0..99 (100 tags) | tags 100..149 */
    assert_int_equal(n, 4);
    assert_int_equal(counts[0][1], 100);
    assert_int_equal(counts[0][2], 0);
    assert_int_equal(counts[1][1], 100);
    assert_int_equal(counts[2][1], 50);
    assert_int_equal(counts[2][2], 100);
    assert_int_equal(counts[3][2], 50);

    /* the entity limit: 950 metrics then 100 params -> 950 + 50 | 50 */
    for (int i = 0; i < 950; i++)
        assert_int_equal(dbx_mlflow_logger_add_metric(lg, "e", 1, 1, i), DBX_OK);
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "q%d", i);
        assert_int_equal(dbx_mlflow_logger_add_param(lg, key, "v"), DBX_OK);
    }
    emu_clear_requests(e);
    assert_int_equal(dbx_mlflow_logger_flush(lg), DBX_OK);
    assert_int_equal(batch_requests(counts, 64), 2);
    assert_int_equal(counts[0][0] + counts[0][1], 1000);
    assert_int_equal(counts[0][1], 50);
    assert_int_equal(counts[1][1], 50);

    /* the byte limit: tags of 5000 bytes escaped to 30000 (control characters): 33 per request */
    static char ctl[5001];
    memset(ctl, '\x02', 5000);
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "big%d", i);
        assert_int_equal(dbx_mlflow_logger_add_tag(lg, key, ctl), DBX_OK);
    }
    emu_clear_requests(e);
    assert_int_equal(dbx_mlflow_logger_flush(lg), DBX_OK);
    n = batch_requests(counts, 64);
    assert_int_equal(n, 4);
    assert_int_equal(counts[0][2], 33);
    assert_int_equal(counts[1][2], 33);
    assert_int_equal(counts[2][2], 33);
    assert_int_equal(counts[3][2], 1);
    for (size_t i = 0; i < n; i++)
        assert_true(counts[i][3] <= 1000000);
    assert_true(counts[0][3] > 950000); /* as full as the limit allows */

    dbx_mlflow_run *got = NULL;
    assert_int_equal(dbx_mlflow_run_get(&got, C, rid), DBX_OK);
    assert_int_equal(dbx_mlflow_run_param_count(got), 350);
    assert_true(strlen(dbx_mlflow_run_tag(got, "big99")) == 5000);
    dbx_mlflow_run_free(got);
    dbx_mlflow_logger_free(lg);
    dbx_mlflow_run_free(run);
    dbx_free(exp);
}

static void test_logger_params_and_checks(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *exp = make_experiment("/Shared/logger2");
    dbx_mlflow_run *run = make_run(exp);
    const char *rid = dbx_mlflow_run_id(run);
    dbx_mlflow_logger *lg = NULL;
    assert_int_equal(dbx_mlflow_logger_new(&lg, C, rid, NULL), DBX_OK);
    emu_clear_requests(e);
    assert_int_equal(dbx_mlflow_logger_add_param(lg, "lr", "0.1"), DBX_OK);
    assert_int_equal(dbx_mlflow_logger_add_param(lg, "lr", "0.1"), DBX_OK); /* deduplicated */
    assert_int_equal(dbx_mlflow_logger_pending(lg), 1);
    expect_local_einval(dbx_mlflow_logger_add_param(lg, "lr", "0.2"), C, "lr");
    char v501[502];
    memset(v501, 'p', 501);
    v501[501] = '\0';
    expect_local_einval(dbx_mlflow_logger_add_param(lg, "x", v501), C, "value");
    expect_local_einval(dbx_mlflow_logger_add_metric(lg, "m", 1, -1, 0), C, "timestamp");
    expect_local_einval(dbx_mlflow_logger_add_tag(lg, "..", "v"), C, "key");
    expect_local_einval(dbx_mlflow_logger_add_tag(lg, "k", NULL), C, "value");
    assert_int_equal(dbx_mlflow_logger_pending(lg), 1);
    /* the copy: the caller's buffers may change after add */
    char k[8] = "kk", v[8] = "vv";
    assert_int_equal(dbx_mlflow_logger_add_tag(lg, k, v), DBX_OK);
    strcpy(k, "zz");
    strcpy(v, "zz");
    assert_int_equal(dbx_mlflow_logger_flush(lg), DBX_OK);
    json_t *req = last("runs/log-batch");
    json_t *t0 = json_array_get(emu_req_json(req, "tags"), 0);
    assert_string_equal(json_string_value(json_object_get(t0, "key")), "kk");
    assert_string_equal(json_string_value(json_object_get(t0, "value")), "vv");
    assert_int_equal(json_array_size(emu_req_json(req, "params")), 1);
    json_decref(req);
    /* after the flush the buffer no longer knows lr: another value goes to the server, which refuses */
    assert_int_equal(dbx_mlflow_logger_add_param(lg, "lr", "0.3"), DBX_OK);
    dbx_status st = dbx_mlflow_logger_flush(lg);
    expect_server_error(st, DBX_EINVALIDPARAM, 400, "INVALID_PARAMETER_VALUE", "Changing param values");
    assert_int_equal(dbx_mlflow_logger_pending(lg), 1);

    assert_int_equal(dbx_mlflow_logger_new(NULL, C, rid, NULL), DBX_EINVAL);
    dbx_mlflow_logger *l2 = (dbx_mlflow_logger *)&l2;
    assert_int_equal(dbx_mlflow_logger_new(&l2, C, "bad id!", NULL), DBX_EINVAL);
    assert_null(l2);
    assert_int_equal(dbx_mlflow_logger_flush(NULL), DBX_EINVAL);
    assert_int_equal(dbx_mlflow_logger_add_metric(NULL, "m", 1, 1, 1), DBX_EINVAL);
    assert_int_equal(dbx_mlflow_logger_pending(NULL), 0);
    dbx_mlflow_logger_free(NULL);
    dbx_mlflow_logger_free(lg); /* with an item pending: freed, not sent */
    dbx_mlflow_run_free(run);
    dbx_free(exp);
}

static void test_logger_failure_and_retry(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *exp = make_experiment("/Shared/logger3");
    dbx_mlflow_run *run = make_run(exp);
    const char *rid = dbx_mlflow_run_id(run);
    dbx_mlflow_logger *lg = NULL;
    assert_int_equal(dbx_mlflow_logger_new(&lg, C, rid, NULL), DBX_OK);
    for (int i = 0; i < 3500; i++)
        assert_int_equal(dbx_mlflow_logger_add_metric(lg, "m", (double)i, 1, i), DBX_OK);
    /* the second request fails (not retried: a 400) */
    emu_fault(e, "{\"path\":\"" API "/runs/log-batch\",\"after\":1,\"times\":1,\"action\":\"status\","
                 "\"status\":400,\"body\":{\"error_code\":\"INVALID_PARAMETER_VALUE\",\"message\":\"nope\"}}");
    emu_clear_requests(e);
    dbx_status st = dbx_mlflow_logger_flush(lg);
    expect_server_error(st, DBX_EINVALIDPARAM, 400, "INVALID_PARAMETER_VALUE", "nope");
    size_t first = 99, count = 99;
    assert_int_equal(dbx_mlflow_logger_last_failure(lg, &first, &count), DBX_EINVALIDPARAM);
    assert_int_equal(first, 1000);
    assert_int_equal(count, 1000);
    assert_int_equal(dbx_mlflow_logger_pending(lg), 2500); /* the failed one and the later ones */
    assert_int_equal(emu_count(e, API "/runs/log-batch"), 2); /* stopped at the failure */
    /* retry: only what failed and what followed is sent */
    emu_clear_requests(e);
    assert_int_equal(dbx_mlflow_logger_flush(lg), DBX_OK);
    assert_int_equal(dbx_mlflow_logger_last_failure(lg, &first, &count), DBX_OK);
    assert_int_equal(count, 0);
    static size_t counts[8][4];
    assert_int_equal(batch_requests(counts, 8), 3);
    json_t *req = emu_requests_to(e, API "/runs/log-batch");
    json_t *m0 = json_array_get(emu_req_json(json_array_get(req, 0), "metrics"), 0);
    assert_int_equal(json_integer_value(json_object_get(m0, "step")), 1000);
    json_decref(req);
    /* every value arrived exactly once */
    dbx_mlflow_metrics_iter *mi = NULL;
    assert_int_equal(dbx_mlflow_metric_history(&mi, C, rid, "m", 0, 0), DBX_OK);
    const dbx_mlflow_metric *m;
    int n = 0;
    while (dbx_mlflow_metrics_iter_next(&m, mi) == DBX_OK) {
        assert_int_equal(dbx_mlflow_metric_step(m), n);
        n++;
    }
    assert_int_equal(n, 3500);
    dbx_mlflow_metrics_iter_free(mi);
    dbx_mlflow_logger_free(lg);
    dbx_mlflow_run_free(run);
    dbx_free(exp);
}

static void test_logger_auto_flush(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *exp = make_experiment("/Shared/logger4");
    dbx_mlflow_run *run = make_run(exp);
    const char *rid = dbx_mlflow_run_id(run);
    dbx_mlflow_logger_options o = DBX_MLFLOW_LOGGER_OPTIONS_INIT;
    o.auto_flush = 1;
    dbx_mlflow_logger *lg = NULL;
    assert_int_equal(dbx_mlflow_logger_new(&lg, C, rid, &o), DBX_OK);
    emu_clear_requests(e);
    for (int i = 0; i < 999; i++)
        assert_int_equal(dbx_mlflow_logger_add_metric(lg, "m", 1, 1, i), DBX_OK);
    assert_int_equal(emu_count(e, NULL), 0);
    assert_int_equal(dbx_mlflow_logger_add_metric(lg, "m", 1, 1, 999), DBX_OK); /* the 1000th fills it */
    assert_int_equal(emu_count(e, API "/runs/log-batch"), 1);
    assert_int_equal(dbx_mlflow_logger_pending(lg), 0);
    for (int i = 0; i < 100; i++) {
        char k[16];
        snprintf(k, sizeof k, "p%d", i);
        assert_int_equal(dbx_mlflow_logger_add_param(lg, k, "v"), DBX_OK);
    }
    assert_int_equal(emu_count(e, API "/runs/log-batch"), 2);
    /* a failing auto-flush: the add reports it, its item stays buffered */
    assert_int_equal(dbx_mlflow_logger_add_metric(lg, "z", 1, 1, 0), DBX_OK);
    emu_fault(e, "{\"path\":\"" API "/runs/log-batch\",\"times\":1,\"action\":\"status\",\"status\":400}");
    static char ctl[5001];
    memset(ctl, '\x03', 5000);
    dbx_status st = DBX_OK;
    int i;
    for (i = 0; i < 40 && st == DBX_OK; i++) {
        char k[16];
        snprintf(k, sizeof k, "b%d", i);
        st = dbx_mlflow_logger_add_tag(lg, k, ctl); /* the 34th does not fit with the first 33 */
    }
    assert_int_equal(st, DBX_EBADREQUEST);
    assert_int_equal(i, 34);
    assert_int_equal(dbx_mlflow_logger_pending(lg), 35);
    assert_int_equal(dbx_mlflow_logger_flush(lg), DBX_OK);
    assert_int_equal(dbx_mlflow_logger_pending(lg), 0);
    dbx_mlflow_logger_free(lg);
    dbx_mlflow_run_free(run);
    dbx_free(exp);
}

/* ---- artifacts ------------------------------------------------------------------------------ */

typedef struct membuf {
    char data[4096];
    size_t len;
} membuf;

static int mem_sink(void *payload, const char *data, size_t len)
{
    membuf *m = payload;
    if (m->len + len > sizeof m->data)
        return 1;
    memcpy(m->data + m->len, data, len);
    m->len += len;
    return 0;
}

typedef struct src_state {
    const char *p;
    size_t len, pos;
} src_state;

static int src_read(void *payload, char *buf, size_t cap, size_t *n)
{
    src_state *s = payload;
    size_t k = s->len - s->pos < cap ? s->len - s->pos : cap;
    memcpy(buf, s->p + s->pos, k);
    s->pos += k;
    *n = k;
    return 0;
}

static int src_rewind(void *payload)
{
    ((src_state *)payload)->pos = 0;
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static const char *tmpdir(const char *tag)
{
    static char dirs[8][400]; /* a few live at once */
    static int next;
    char *dir = dirs[next++ % 8];
    snprintf(dir, sizeof dirs[0], "%.300s/mlflow-%.20s-XXXXXX", emu_get()->dir, tag);
    assert_non_null(mkdtemp(dir));
    return dir;
}

/* Every request to the storage host went without the workspace credentials. */
static void expect_storage_requests_unauthenticated(size_t at_least)
{
    json_t *reqs = emu_requests(emu_get());
    size_t n = 0, i;
    json_t *r;
    json_array_foreach(reqs, i, r)
    {
        const char *srv = json_string_value(json_object_get(r, "server"));
        if (srv && strcmp(srv, "other") == 0) {
            assert_null(emu_req_header(r, "authorization"));
            n++;
        }
    }
    json_decref(reqs);
    assert_true(n >= at_least);
}

static void test_artifacts_signed_urls(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *exp = make_experiment("/Shared/artifacts");
    dbx_mlflow_run *run = make_run(exp);
    const char *rid = dbx_mlflow_run_id(run);

    /* a model directory: MLmodel, a nested file */
    const char *dir = tmpdir("model");
    char path[512];
    snprintf(path, sizeof path, "%s/MLmodel", dir);
    write_file(path, "artifact_path: model\nflavors:\n  python_function: {}\n");
    snprintf(path, sizeof path, "%s/data", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/data/model.pkl", dir);
    write_file(path, "PICKLE-BYTES");
    emu_clear_requests(e);
    assert_int_equal(dbx_mlflow_artifact_upload_dir(C, rid, "model", dir), DBX_OK);
    json_t *req = last("artifacts/credentials-for-write");
    assert_string_equal(jstr(req, "run_id"), rid);
    assert_int_equal(json_array_size(emu_req_json(req, "path")), 1);
    json_decref(req);
    assert_int_equal(emu_count(e, API "/artifacts/credentials-for-write"), 2);
    assert_int_equal(emu_count_requests(e, NULL, "other"), 2);
    expect_storage_requests_unauthenticated(2);

    /* one file from a caller's source, one from a local file */
    const char *text = "hello artifacts";
    src_state ss = {text, strlen(text), 0};
    dbx_source src = DBX_SOURCE_INIT;
    src.read = src_read;
    src.rewind = src_rewind;
    src.payload = &ss;
    src.size = (int64_t)strlen(text);
    assert_int_equal(dbx_mlflow_artifact_upload(C, rid, "from-source.txt", &src), DBX_OK);
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    write_file(path, text);
    assert_int_equal(dbx_mlflow_artifact_upload_file(C, rid, "notes.txt", path), DBX_OK);

    /* list: one level, sorted, relative to the root */
    dbx_mlflow_artifacts_iter *it = NULL;
    assert_int_equal(dbx_mlflow_artifacts_list(&it, C, rid, NULL), DBX_OK);
    const dbx_mlflow_artifact *a;
    assert_int_equal(dbx_mlflow_artifacts_iter_next(&a, it), DBX_OK);
    assert_string_equal(dbx_mlflow_artifact_path(a), "from-source.txt");
    assert_int_equal(dbx_mlflow_artifact_file_size(a), (int64_t)strlen(text));
    assert_int_equal(dbx_mlflow_artifacts_iter_next(&a, it), DBX_OK);
    assert_string_equal(dbx_mlflow_artifact_path(a), "model");
    assert_true(dbx_mlflow_artifact_is_dir(a));
    assert_int_equal(dbx_mlflow_artifact_file_size(a), -1);
    assert_int_equal(dbx_mlflow_artifacts_iter_next(&a, it), DBX_OK);
    assert_string_equal(dbx_mlflow_artifact_path(a), "notes.txt");
    assert_false(dbx_mlflow_artifact_is_dir(a));
    assert_int_equal(dbx_mlflow_artifact_file_size(a), (int64_t)strlen(text));
    assert_non_null(strstr(dbx_mlflow_artifact_json(a), "notes.txt"));
    assert_int_equal(dbx_mlflow_artifacts_iter_next(&a, it), DBX_DONE);
    dbx_mlflow_artifacts_iter_free(it);
    req = last("artifacts/list");
    assert_string_equal(emu_req_query(req, "run_id"), rid);
    assert_null(emu_req_query(req, "path"));
    json_decref(req);
    assert_int_equal(dbx_mlflow_artifacts_list(&it, C, rid, "model"), DBX_OK);
    assert_int_equal(dbx_mlflow_artifacts_iter_next(&a, it), DBX_OK);
    assert_string_equal(dbx_mlflow_artifact_path(a), "model/MLmodel");
    dbx_mlflow_artifacts_iter_free(it);
    req = last("artifacts/list");
    assert_string_equal(emu_req_query(req, "path"), "model");
    json_decref(req);

    /* download to a sink, a file, a directory */
    membuf mb = {{0}, 0};
    emu_clear_requests(e);
    assert_int_equal(dbx_mlflow_artifact_download(C, rid, "model/data/model.pkl", mem_sink, &mb), DBX_OK);
    assert_int_equal(mb.len, 12);
    assert_memory_equal(mb.data, "PICKLE-BYTES", 12);
    req = last("artifacts/credentials-for-read");
    assert_string_equal(json_string_value(json_array_get(emu_req_json(req, "path"), 0)), "model/data/model.pkl");
    json_decref(req);
    expect_storage_requests_unauthenticated(1);
    const char *out = tmpdir("out");
    snprintf(path, sizeof path, "%s/notes-copy.txt", out);
    assert_int_equal(dbx_mlflow_artifact_download_file(C, rid, "notes.txt", path), DBX_OK);
    assert_string_equal(read_file(path), text);
    assert_int_equal(dbx_mlflow_artifact_download_dir(C, rid, "model", out), DBX_OK);
    snprintf(path, sizeof path, "%s/MLmodel", out);
    assert_non_null(strstr(read_file(path), "python_function"));
    snprintf(path, sizeof path, "%s/data/model.pkl", out);
    assert_string_equal(read_file(path), "PICKLE-BYTES");
    /* the whole tree (root) */
    const char *all = tmpdir("all");
    assert_int_equal(dbx_mlflow_artifact_download_dir(C, rid, NULL, all), DBX_OK);
    snprintf(path, sizeof path, "%s/model/data/model.pkl", all);
    assert_string_equal(read_file(path), "PICKLE-BYTES");

    /* missing artifact: the store's 404 */
    mb.len = 0;
    assert_int_equal(dbx_mlflow_artifact_download(C, rid, "none.txt", mem_sink, &mb), DBX_ENOTFOUND);
    assert_null(strstr(dbx_client_last_error(C)->message, "X-Amz-Signature"));

    /* an expired URL (403): a fresh credential, once */
    emu_fault(e, "{\"server\":\"other\",\"path_prefix\":\"/mlflow-store/\",\"times\":1,\"action\":\"status\",\"status\":403,"
                 "\"headers\":{\"Content-Type\":\"application/xml\"},"
                 "\"body\":\"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>\"}");
    emu_clear_requests(e);
    mb.len = 0;
    assert_int_equal(dbx_mlflow_artifact_download(C, rid, "notes.txt", mem_sink, &mb), DBX_OK);
    assert_int_equal(mb.len, strlen(text));
    assert_int_equal(emu_count(e, API "/artifacts/credentials-for-read"), 2);
    /* the same for an upload (a rewindable file source) */
    emu_fault(e, "{\"server\":\"other\",\"path_prefix\":\"/mlflow-store/\",\"times\":1,\"action\":\"status\",\"status\":403,"
                 "\"body\":\"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>\"}");
    emu_clear_requests(e);
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    assert_int_equal(dbx_mlflow_artifact_upload_file(C, rid, "again.txt", path), DBX_OK);
    assert_int_equal(emu_count(e, API "/artifacts/credentials-for-write"), 2);
    /* a 403 that is not an expiry is not retried */
    emu_fault(e, "{\"server\":\"other\",\"path_prefix\":\"/mlflow-store/\",\"times\":1,\"action\":\"status\",\"status\":403,"
                 "\"body\":\"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>\"}");
    emu_clear_requests(e);
    assert_int_equal(dbx_mlflow_artifact_upload_file(C, rid, "again.txt", path), DBX_EPERMISSION);
    assert_int_equal(emu_count(e, API "/artifacts/credentials-for-write"), 1);
    emu_clear_faults(e);

    /* a hostile listing: "../x" is refused before anything is written */
    emu_fault(e, "{\"path\":\"" API "/artifacts/list\",\"times\":1,\"action\":\"status\",\"status\":200,"
                 "\"body\":{\"root_uri\":\"x\",\"files\":[{\"path\":\"../evil\",\"is_dir\":false,\"file_size\":3}]}}");
    const char *hostile = tmpdir("hostile");
    emu_clear_requests(e);
    assert_int_equal(dbx_mlflow_artifact_download_dir(C, rid, NULL, hostile), DBX_EBADRESPONSE);
    assert_int_equal(emu_count(e, API "/artifacts/credentials-for-read"), 0);
    snprintf(path, sizeof path, "%s/../evil", hostile);
    assert_null(read_file(path));
    emu_fault(e, "{\"path\":\"" API "/artifacts/list\",\"times\":1,\"action\":\"status\",\"status\":200,"
                 "\"body\":{\"files\":[{\"path\":\"other/x\",\"is_dir\":false,\"file_size\":3}]}}");
    assert_int_equal(dbx_mlflow_artifact_download_dir(C, rid, "model", hostile), DBX_EBADRESPONSE);

    /* local checks */
    emu_clear_requests(e);
    expect_local_einval(dbx_mlflow_artifact_upload_file(C, rid, "../x", path), C, "artifact_path");
    expect_local_einval(dbx_mlflow_artifact_upload_file(C, rid, "/abs", path), C, "artifact_path");
    expect_local_einval(dbx_mlflow_artifact_upload_file(C, rid, "a//b", path), C, "artifact_path");
    expect_local_einval(dbx_mlflow_artifact_upload_file(C, rid, "ok", NULL), C, "local_path");
    expect_local_einval(dbx_mlflow_artifact_upload(C, rid, "ok", NULL), C, "");
    expect_local_einval(dbx_mlflow_artifact_download(C, rid, "ok", NULL, NULL), C, "sink");
    expect_local_einval(dbx_mlflow_artifact_download_dir(C, rid, "..", hostile), C, "artifact_dir");
    expect_local_einval(dbx_mlflow_artifacts_list(&it, C, rid, "a/../b"), C, "path");
    expect_local_einval(dbx_mlflow_artifact_upload_dir(C, rid, NULL, "/nonexistent-dir-xyz"), C, "local_dir");
    dbx_mlflow_run_free(run);
    dbx_free(exp);
}

static void test_artifacts_azure_and_volume(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_config(e, "{\"mlflow_artifact_credential_type\": \"AZURE_SAS_URI\"}");
    char *exp = make_experiment("/Shared/azure");
    dbx_mlflow_run *run = make_run(exp);
    const char *rid = dbx_mlflow_run_id(run);
    const char *dir = tmpdir("az");
    char path[512];
    snprintf(path, sizeof path, "%s/MLmodel", dir);
    write_file(path, "flavors: {}\n");
    emu_clear_requests(e);
    assert_int_equal(dbx_mlflow_artifact_upload_file(C, rid, "model/MLmodel", path), DBX_OK);
    json_t *reqs = emu_requests(e);
    size_t i;
    json_t *r;
    int puts = 0;
    json_array_foreach(reqs, i, r)
    {
        const char *srv = json_string_value(json_object_get(r, "server"));
        if (srv && strcmp(srv, "other") == 0) {
            assert_string_equal(json_string_value(json_object_get(r, "method")), "PUT");
            assert_string_equal(emu_req_header(r, "x-ms-blob-type"), "BlockBlob");
            assert_null(emu_req_header(r, "authorization"));
            puts++;
        }
    }
    json_decref(reqs);
    assert_int_equal(puts, 1);
    membuf mb = {{0}, 0};
    assert_int_equal(dbx_mlflow_artifact_download(C, rid, "model/MLmodel", mem_sink, &mb), DBX_OK);
    assert_int_equal(mb.len, strlen("flavors: {}\n"));
    dbx_mlflow_run_free(run);
    dbx_free(exp);

    /* an experiment on a UC volume: its runs' artifacts go through the Files API */
    char *vexp = NULL;
    assert_int_equal(dbx_mlflow_experiment_create(&vexp, C, "/Shared/on-volume", "dbfs:/Volumes/main/default/vol/mlruns",
                                                  NULL, 0), DBX_OK);
    json_t *req = last("experiments/create");
    assert_string_equal(jstr(req, "artifact_location"), "dbfs:/Volumes/main/default/vol/mlruns");
    json_decref(req);
    run = make_run(vexp);
    rid = dbx_mlflow_run_id(run);
    char files_path[256];
    snprintf(files_path, sizeof files_path, "/api/2.0/fs/files/Volumes/main/default/vol/mlruns/%s/artifacts/model/MLmodel",
             rid);
    emu_clear_requests(e);
    dbx_status st = dbx_mlflow_artifact_upload_file(C, rid, "model/MLmodel", path);
    if (st != DBX_OK)
        fail_msg("volume upload: %s", dbx_client_last_error(C)->message);
    assert_int_equal(emu_count(e, API "/artifacts/credentials-for-write"), 0);
    assert_int_equal(emu_count(e, files_path), 1);
    req = emu_last_request(e, files_path);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "PUT");
    json_decref(req);
    mb.len = 0;
    assert_int_equal(dbx_mlflow_artifact_download(C, rid, "model/MLmodel", mem_sink, &mb), DBX_OK);
    assert_int_equal(mb.len, strlen("flavors: {}\n"));
    dbx_mlflow_artifacts_iter *it = NULL;
    const dbx_mlflow_artifact *a;
    assert_int_equal(dbx_mlflow_artifacts_list(&it, C, rid, "model"), DBX_OK);
    assert_int_equal(dbx_mlflow_artifacts_iter_next(&a, it), DBX_OK);
    assert_string_equal(dbx_mlflow_artifact_path(a), "model/MLmodel");
    dbx_mlflow_artifacts_iter_free(it);
    dbx_mlflow_run_free(run);
    dbx_free(vexp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_experiment_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_experiment_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_experiments_search_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runs_search_and_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_policy_429, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_options_v3, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logger_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logger_params_and_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logger_failure_and_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logger_auto_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_artifacts_signed_urls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_artifacts_azure_and_volume, setup, teardown),
    };
    return cmocka_run_group_tests_name("mlflow", tests, NULL, NULL);
}
