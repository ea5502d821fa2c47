/*
 * SQL warehouses against the emulator over HTTP: every public function,
 * asserting on the request libdbx sent (from the emulator's request log)
 * and on the result. Waits use libdbx's fake clock and the emulator's
 * virtual clock: nothing really sleeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "dbx/sys/json.h"
#include "harness.h"

#define API "/api/2.0/sql/warehouses"
#define SEED "5eedc0ffee000001"
#define BOGUS "0123456789abcdef"

static dbx_client *C;

static int setup(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_reset(e);
    emu_config(e, "{\"warehouse_starting_ms\": 2000, \"warehouse_stopping_ms\": 1000, "
                  "\"warehouse_deleting_ms\": 500}");
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

/* A call that must fail before any I/O: DBX_EINVAL, a last error (of `owner`;
 * NULL for spec functions) whose message names `needle`, and no request. */
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

static dbx_warehouse_spec *spec_from(const char *json)
{
    dbx_warehouse_spec *s = NULL;
    assert_int_equal(dbx_warehouse_spec_from_json(&s, json), DBX_OK);
    return s;
}

static char *create_named(const char *name)
{
    dbx_warehouse_spec *s = NULL;
    assert_int_equal(dbx_warehouse_spec_new(&s), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_name(s, name), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_cluster_size(s, "2X-Small"), DBX_OK);
    char *id = NULL;
    assert_int_equal(dbx_warehouses_create(&id, C, s), DBX_OK);
    dbx_warehouse_spec_free(s);
    assert_non_null(id);
    return id;
}

static dbx_warehouse *get_wh(const char *id)
{
    dbx_warehouse *wh = NULL;
    assert_int_equal(dbx_warehouses_get(&wh, C, id), DBX_OK);
    return wh;
}

static void expect_state(const char *id, dbx_warehouse_state_t want)
{
    dbx_warehouse *wh = get_wh(id);
    assert_string_equal(dbx_warehouse_state_str(wh), dbx_warehouse_state_name(want));
    assert_int_equal(dbx_warehouse_state(wh), want);
    dbx_warehouse_free(wh);
}

static void force_health(const char *id, const char *body)
{
    char path[128];
    snprintf(path, sizeof path, "/__emulator/warehouses/%s/health", id);
    json_decref(emu_ctl(emu_get(), "POST", path, body));
}

/* ---- spec -------------------------------------------------------------------------- */

static void test_spec_builder(void **state)
{
    (void)state;
    dbx_warehouse_spec *s = NULL;
    assert_int_equal(dbx_warehouse_spec_new(&s), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_name(s, "etl"), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_cluster_size(s, "Small"), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_num_clusters(s, 2, 5), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_auto_stop_mins(s, 0), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_enable_photon(s, 0), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_enable_serverless_compute(s, 1), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_warehouse_type(s, "PRO"), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_spot_instance_policy(s, "RELIABILITY_OPTIMIZED"), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_channel(s, "CHANNEL_NAME_CUSTOM", "2025.30"), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_tag(s, "team", "fraud"), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_tag(s, "env", "dev"), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_tag(s, "team", "risk"), DBX_OK); /* replaces */
    char *j = NULL;
    assert_int_equal(dbx_warehouse_spec_to_json(&j, s), DBX_OK);
    json_t *o = json_loads(j, 0, NULL);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "name")), "etl");
    assert_string_equal(json_string_value(json_object_get(o, "cluster_size")), "Small");
    assert_int_equal(json_integer_value(json_object_get(o, "min_num_clusters")), 2);
    assert_int_equal(json_integer_value(json_object_get(o, "max_num_clusters")), 5);
    assert_int_equal(json_integer_value(json_object_get(o, "auto_stop_mins")), 0);
    assert_true(json_is_false(json_object_get(o, "enable_photon")));
    assert_true(json_is_true(json_object_get(o, "enable_serverless_compute")));
    assert_string_equal(json_string_value(json_object_get(o, "warehouse_type")), "PRO");
    assert_string_equal(json_string_value(json_object_get(o, "spot_instance_policy")), "RELIABILITY_OPTIMIZED");
    json_t *ch = json_object_get(o, "channel");
    assert_string_equal(json_string_value(json_object_get(ch, "name")), "CHANNEL_NAME_CUSTOM");
    assert_string_equal(json_string_value(json_object_get(ch, "dbsql_version")), "2025.30");
    json_t *ct = json_object_get(json_object_get(o, "tags"), "custom_tags");
    assert_int_equal(json_array_size(ct), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(ct, 0), "key")), "team");
    assert_string_equal(json_string_value(json_object_get(json_array_get(ct, 0), "value")), "risk");
    assert_string_equal(json_string_value(json_object_get(json_array_get(ct, 1), "key")), "env");
    json_decref(o);

    /* the pair rules, checked when both sides are there; a refused set leaves the spec as it was */
    expect_local_einval(dbx_warehouse_spec_set_warehouse_type(s, "CLASSIC"), NULL, "warehouse_type PRO");
    assert_string_equal(json_string_value(json_object_get(dbx_warehouse_spec_jansson(s), "warehouse_type")), "PRO");
    expect_local_einval(dbx_warehouse_spec_set_json(s, "max_num_clusters", "1"), NULL,
                        "max_num_clusters must be >= min_num_clusters");
    assert_int_equal(json_integer_value(json_object_get(dbx_warehouse_spec_jansson(s), "max_num_clusters")), 5);
    char *j2 = NULL;
    assert_int_equal(dbx_warehouse_spec_to_json(&j2, s), DBX_OK);
    assert_string_equal(j, j2);
    dbx_free(j2);
    dbx_free(j);

    /* single-field rules */
    expect_local_einval(dbx_warehouse_spec_set_num_clusters(s, 0, 2), NULL, "min_clusters");
    expect_local_einval(dbx_warehouse_spec_set_num_clusters(s, 3, 2), NULL, "min_clusters <= max_clusters");
    expect_local_einval(dbx_warehouse_spec_set_num_clusters(s, 1, 41), NULL, "40");
    expect_local_einval(dbx_warehouse_spec_set_auto_stop_mins(s, 5), NULL, "auto_stop_mins");
    expect_local_einval(dbx_warehouse_spec_set_auto_stop_mins(s, -1), NULL, "auto_stop_mins");
    expect_local_einval(dbx_warehouse_spec_set_name(s, ""), NULL, "$.name");
    char longname[128];
    memset(longname, 'n', 100);
    longname[100] = '\0';
    expect_local_einval(dbx_warehouse_spec_set_name(s, longname), NULL, "100 characters");
    longname[99] = '\0';
    assert_int_equal(dbx_warehouse_spec_set_name(s, longname), DBX_OK);
    expect_local_einval(dbx_warehouse_spec_set_name(s, NULL), NULL, "name");
    expect_local_einval(dbx_warehouse_spec_set_name(s, "\xff"), NULL, "UTF-8");
    expect_local_einval(dbx_warehouse_spec_set_channel(s, NULL, NULL), NULL, "channel");
    expect_local_einval(dbx_warehouse_spec_set_tag(s, "", "v"), NULL, "tags");
    expect_local_einval(dbx_warehouse_spec_set_tag(s, "k", NULL), NULL, "tags");
    expect_local_einval(dbx_warehouse_spec_set_json(s, "enable_photon", "\"yes\""), NULL, "$.enable_photon must be a boolean");
    expect_local_einval(dbx_warehouse_spec_set_json(s, "tags", "{\"custom_tags\":[{\"key\":\"a\"},{\"key\":\"a\"}]}"),
                        NULL, "repeated");
    expect_local_einval(dbx_warehouse_spec_set_json(s, "tags", "{\"custom_tags\":[{\"value\":\"x\"}]}"), NULL,
                        "custom_tags[0]");
    expect_local_einval(dbx_warehouse_spec_set_json(s, "channel", "{\"name\":1}"), NULL, "channel.name");
    expect_local_einval(dbx_warehouse_spec_set_json(s, "x", "{"), NULL, "not valid JSON");
    expect_local_einval(dbx_warehouse_spec_set_json(s, NULL, "1"), NULL, "field");
    /* unknown fields pass through */
    assert_int_equal(dbx_warehouse_spec_set_json(s, "future_field", "{\"a\":[1]}"), DBX_OK);
    dbx_warehouse_spec_free(s);

    /* from_json */
    dbx_warehouse_spec *t = NULL;
    expect_local_einval(dbx_warehouse_spec_from_json(&t, "[1]"), NULL, "JSON object");
    assert_null(t);
    expect_local_einval(dbx_warehouse_spec_from_json(&t, "{\"name\":\"a\",}"), NULL, "not valid JSON");
    /* a repeated key: the last one wins, as in answers */
    t = spec_from("{\"name\":\"a\",\"name\":\"b\"}");
    assert_string_equal(json_string_value(json_object_get(dbx_warehouse_spec_jansson(t), "name")), "b");
    dbx_warehouse_spec_free(t);
    t = NULL;
    expect_local_einval(dbx_warehouse_spec_from_json(&t, "{\"min_num_clusters\":\"2\"}"), NULL,
                        "$.min_num_clusters must be an integer");
    expect_local_einval(dbx_warehouse_spec_from_json(&t, "{\"min_num_clusters\":3,\"max_num_clusters\":2}"), NULL,
                        "max_num_clusters must be >= min_num_clusters");
    expect_local_einval(dbx_warehouse_spec_from_json(&t, "{\"enable_serverless_compute\":true,"
                                                         "\"warehouse_type\":\"CLASSIC\"}"),
                        NULL, "PRO");
    expect_local_einval(dbx_warehouse_spec_from_json(&t, NULL), NULL, "json");
    expect_local_einval(dbx_warehouse_spec_from_json(NULL, "{}"), NULL, "out");
    expect_local_einval(dbx_warehouse_spec_new(NULL), NULL, "out");
    expect_local_einval(dbx_warehouse_spec_to_json(NULL, NULL), NULL, "out");
    t = spec_from("{\"name\":\"x\",\"cluster_size\":\"Medium\",\"unknown\":{\"deep\":[true]}}");
    assert_int_equal(dbx_warehouse_spec_to_json(&j, t), DBX_OK);
    assert_non_null(strstr(j, "\"unknown\":{\"deep\":[true]}"));
    dbx_free(j);
    dbx_warehouse_spec_free(t);
    dbx_warehouse_spec_free(NULL);
}

/* ---- create / get ------------------------------------------------------------------- */

static void test_create_sends_spec_and_get_reads_every_field(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_warehouse_spec *s = NULL;
    assert_int_equal(dbx_warehouse_spec_new(&s), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_name(s, "etl wh"), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_cluster_size(s, "Medium"), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_num_clusters(s, 2, 4), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_auto_stop_mins(s, 45), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_enable_photon(s, 0), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_spot_instance_policy(s, "RELIABILITY_OPTIMIZED"), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_channel(s, "CHANNEL_NAME_PREVIEW", NULL), DBX_OK);
    assert_int_equal(dbx_warehouse_spec_set_tag(s, "team", "fraud"), DBX_OK);
    char *id = NULL;
    assert_int_equal(dbx_warehouses_create(&id, C, s), DBX_OK);
    dbx_warehouse_spec_free(s);
    assert_non_null(id);
    assert_int_equal(strlen(id), 16);

    json_t *req = emu_last_request(e, API);
    assert_non_null(req);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "POST");
    assert_string_equal(json_string_value(emu_req_json(req, "name")), "etl wh");
    assert_string_equal(json_string_value(emu_req_json(req, "cluster_size")), "Medium");
    assert_int_equal(json_integer_value(emu_req_json(req, "min_num_clusters")), 2);
    assert_int_equal(json_integer_value(emu_req_json(req, "max_num_clusters")), 4);
    assert_int_equal(json_integer_value(emu_req_json(req, "auto_stop_mins")), 45);
    assert_true(json_is_false(emu_req_json(req, "enable_photon")));
    assert_null(emu_req_json(req, "enable_serverless_compute"));
    assert_string_equal(json_string_value(json_object_get(emu_req_json(req, "channel"), "name")), "CHANNEL_NAME_PREVIEW");
    assert_null(json_object_get(emu_req_json(req, "channel"), "dbsql_version"));
    assert_string_equal(emu_req_header(req, "content-type"), "application/json");
    json_decref(req);

    dbx_warehouse *wh = get_wh(id);
    req = emu_last_request(e, NULL);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "GET");
    char path[128];
    snprintf(path, sizeof path, API "/%s", id);
    assert_string_equal(json_string_value(json_object_get(req, "path")), path);
    json_decref(req);
    assert_string_equal(dbx_warehouse_id(wh), id);
    assert_string_equal(dbx_warehouse_name(wh), "etl wh");
    assert_int_equal(dbx_warehouse_state(wh), DBX_WAREHOUSE_STATE_STARTING);
    assert_string_equal(dbx_warehouse_state_str(wh), "STARTING");
    assert_string_equal(dbx_warehouse_cluster_size(wh), "Medium");
    assert_int_equal(dbx_warehouse_num_clusters(wh), 0);
    assert_int_equal(dbx_warehouse_min_num_clusters(wh), 2);
    assert_int_equal(dbx_warehouse_max_num_clusters(wh), 4);
    assert_int_equal(dbx_warehouse_auto_stop_mins(wh), 45);
    assert_int_equal(dbx_warehouse_enable_photon(wh), 0);
    assert_int_equal(dbx_warehouse_enable_serverless_compute(wh), 0);
    assert_string_equal(dbx_warehouse_warehouse_type(wh), "CLASSIC");
    assert_string_equal(dbx_warehouse_spot_instance_policy(wh), "RELIABILITY_OPTIMIZED");
    assert_string_equal(dbx_warehouse_channel_name(wh), "CHANNEL_NAME_PREVIEW");
    assert_true(strlen(dbx_warehouse_channel_dbsql_version(wh)) > 0);
    assert_true(strlen(dbx_warehouse_creator_name(wh)) > 0);
    assert_int_equal(dbx_warehouse_health_status(wh), DBX_WAREHOUSE_HEALTH_HEALTHY);
    assert_string_equal(dbx_warehouse_health_status_str(wh), "HEALTHY");
    assert_string_equal(dbx_warehouse_health_summary(wh), "");
    assert_string_equal(dbx_warehouse_health_details(wh), "");
    assert_string_equal(dbx_warehouse_health_failure_code(wh), "");
    assert_string_equal(dbx_warehouse_health_failure_type(wh), "");
    assert_string_equal(dbx_warehouse_odbc_hostname(wh), "127.0.0.1");
    snprintf(path, sizeof path, "/sql/1.0/warehouses/%s", id);
    assert_string_equal(dbx_warehouse_odbc_path(wh), path);
    assert_int_equal(dbx_warehouse_odbc_port(wh), e->http_port);
    assert_string_equal(dbx_warehouse_odbc_protocol(wh), "http");
    assert_non_null(strstr(dbx_warehouse_jdbc_url(wh), path));
    assert_string_equal(dbx_warehouse_custom_tag(wh, "team"), "fraud");
    assert_null(dbx_warehouse_custom_tag(wh, "nope"));
    assert_null(dbx_warehouse_custom_tag(wh, NULL));
    const char *js = dbx_warehouse_json(wh);
    assert_non_null(strstr(js, "\"odbc_params\""));
    assert_ptr_equal(js, dbx_warehouse_json(wh)); /* cached */
    const json_t *jj = dbx_warehouse_jansson(wh);
    assert_string_equal(json_string_value(json_object_get(jj, "id")), id);
    dbx_warehouse_free(wh);

    /* NULL reads as empty */
    assert_string_equal(dbx_warehouse_id(NULL), "");
    assert_int_equal(dbx_warehouse_state(NULL), DBX_WAREHOUSE_STATE_UNKNOWN);
    assert_int_equal(dbx_warehouse_health_status(NULL), DBX_WAREHOUSE_HEALTH_UNKNOWN);
    assert_int_equal(dbx_warehouse_odbc_port(NULL), 0);
    assert_null(dbx_warehouse_json(NULL));
    assert_null(dbx_warehouse_jansson(NULL));
    dbx_warehouse_free(NULL);
    dbx_free(id);
}

static void test_seed_warehouse(void **state)
{
    (void)state;
    dbx_warehouse *wh = get_wh(SEED);
    assert_int_equal(dbx_warehouse_state(wh), DBX_WAREHOUSE_STATE_RUNNING);
    assert_int_equal(dbx_warehouse_enable_serverless_compute(wh), 1);
    assert_string_equal(dbx_warehouse_warehouse_type(wh), "PRO");
    assert_int_equal(dbx_warehouse_num_clusters(wh), 1);
    dbx_warehouse_free(wh);
}

static void test_create_errors(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_clear_requests(e);
    char *id = (char *)"stale";
    dbx_warehouse_spec *s = spec_from("{\"cluster_size\":\"Small\"}");
    expect_local_einval(dbx_warehouses_create(&id, C, s), C, "name is required");
    assert_null(id);
    dbx_warehouse_spec_free(s);
    s = spec_from("{\"name\":\"x\"}");
    expect_local_einval(dbx_warehouses_create(&id, C, s), C, "cluster_size is required");
    dbx_warehouse_spec_free(s);
    s = spec_from("{\"name\":\"x\",\"cluster_size\":\"Small\",\"enable_serverless_compute\":true}");
    expect_local_einval(dbx_warehouses_create(&id, C, s), C, "warehouse_type PRO");
    dbx_warehouse_spec_free(s);
    expect_local_einval(dbx_warehouses_create(&id, C, NULL), C, "spec");
    expect_local_einval(dbx_warehouses_create(NULL, C, NULL), C, "id");
    expect_local_einval(dbx_warehouses_create(&id, NULL, NULL), NULL, "client");

    /* the service's refusals: a taken name, an unknown size */
    s = spec_from("{\"name\":\"Serverless Starter Warehouse\",\"cluster_size\":\"Small\"}");
    assert_int_equal(dbx_warehouses_create(&id, C, s), DBX_EEXISTS);
    assert_null(id);
    const dbx_error *err = dbx_client_last_error(C);
    assert_string_equal(err->error_code, "RESOURCE_ALREADY_EXISTS");
    assert_string_equal(err->method, "POST");
    assert_string_equal(err->path, API);
    dbx_warehouse_spec_free(s);
    s = spec_from("{\"name\":\"n\",\"cluster_size\":\"Gigantic\"}");
    assert_int_equal(dbx_warehouses_create(&id, C, s), DBX_EINVALIDPARAM);
    assert_string_equal(dbx_client_last_error(C)->error_code, "INVALID_PARAMETER_VALUE");
    assert_non_null(strstr(dbx_client_last_error(C)->message, "cluster_size"));

    /* create is not retried after a 500 (it could create twice) */
    emu_clear_requests(e);
    emu_fault(e, "{\"method\":\"POST\",\"path\":\"" API "\",\"action\":\"status\",\"status\":500}");
    dbx_warehouse_spec_free(s);
    s = spec_from("{\"name\":\"n\",\"cluster_size\":\"Small\"}");
    assert_int_equal(dbx_warehouses_create(&id, C, s), DBX_ESERVER);
    assert_int_equal(emu_count(e, API), 1);
    dbx_warehouse_spec_free(s);

    /* an answer without an id */
    emu_fault(e, "{\"method\":\"POST\",\"path\":\"" API "\",\"action\":\"status\",\"status\":200,\"body\":{}}");
    s = spec_from("{\"name\":\"n2\",\"cluster_size\":\"Small\"}");
    assert_int_equal(dbx_warehouses_create(&id, C, s), DBX_EBADRESPONSE);
    assert_null(id);
    dbx_warehouse_spec_free(s);
}

static void test_get_missing_and_encoded_ids(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_warehouse *wh = (dbx_warehouse *)1;
    assert_int_equal(dbx_warehouses_get(&wh, C, BOGUS), DBX_ENOTFOUND);
    assert_null(wh);
    const dbx_error *err = dbx_client_last_error(C);
    assert_int_equal(err->http_status, 404);
    assert_string_equal(err->error_code, "RESOURCE_DOES_NOT_EXIST");
    assert_non_null(strstr(err->message, BOGUS));
    assert_string_equal(err->method, "GET");

    /* a caller id goes into the path percent-encoded */
    assert_int_equal(dbx_warehouses_get(&wh, C, "a b?c"), DBX_ENOTFOUND);
    json_t *req = emu_last_request(e, API "/a b?c");
    assert_non_null(req);
    json_decref(req);
    assert_int_equal(dbx_warehouses_start(C, "x#y"), DBX_ENOTFOUND);
    req = emu_last_request(e, API "/x#y/start");
    assert_non_null(req);
    json_decref(req);

    /* an answer without an id is a bad response */
    emu_fault(e, "{\"method\":\"GET\",\"path\":\"" API "/" SEED "\",\"action\":\"status\",\"status\":200,"
                 "\"body\":{\"name\":\"x\"}}");
    assert_int_equal(dbx_warehouses_get(&wh, C, SEED), DBX_EBADRESPONSE);
    assert_null(wh);
}

/* ---- edit ------------------------------------------------------------------------------ */

static void test_edit(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *id = create_named("before");
    dbx_warehouse_spec *s = spec_from("{\"name\":\"after\",\"min_num_clusters\":1,\"max_num_clusters\":3}");
    assert_int_equal(dbx_warehouse_spec_set_tag(s, "k", "v"), DBX_OK);
    assert_int_equal(dbx_warehouses_edit(C, id, s), DBX_OK);
    char path[128];
    snprintf(path, sizeof path, API "/%s/edit", id);
    json_t *req = emu_last_request(e, path);
    assert_non_null(req);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "POST");
    json_t *body = json_object_get(req, "json");
    assert_int_equal(json_object_size(body), 4);
    assert_string_equal(json_string_value(json_object_get(body, "name")), "after");
    assert_int_equal(json_integer_value(json_object_get(body, "max_num_clusters")), 3);
    json_decref(req);
    dbx_warehouse *wh = get_wh(id);
    assert_string_equal(dbx_warehouse_name(wh), "after");
    assert_string_equal(dbx_warehouse_cluster_size(wh), "2X-Small"); /* kept */
    assert_int_equal(dbx_warehouse_max_num_clusters(wh), 3);
    assert_string_equal(dbx_warehouse_custom_tag(wh, "k"), "v");
    dbx_warehouse_free(wh);

    /* the service's checks over the merged warehouse */
    dbx_warehouse_spec_free(s);
    s = spec_from("{\"min_num_clusters\":5}");
    assert_int_equal(dbx_warehouses_edit(C, id, s), DBX_EINVALIDPARAM);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "max_num_clusters"));
    dbx_warehouse_spec_free(s);
    s = spec_from("{\"name\":\"Serverless Starter Warehouse\"}");
    assert_int_equal(dbx_warehouses_edit(C, id, s), DBX_EEXISTS);
    assert_int_equal(dbx_warehouses_edit(C, BOGUS, s), DBX_ENOTFOUND);

    /* local checks */
    emu_clear_requests(e);
    expect_local_einval(dbx_warehouses_edit(C, id, NULL), C, "spec");
    expect_local_einval(dbx_warehouses_edit(C, "", s), C, "id");
    expect_local_einval(dbx_warehouses_edit(NULL, id, s), NULL, "client");
    dbx_warehouse_spec_free(s);

    /* a deleted warehouse cannot be edited */
    assert_int_equal(dbx_warehouses_delete(C, id), DBX_OK);
    s = spec_from("{\"auto_stop_mins\":20}");
    assert_int_equal(dbx_warehouses_edit(C, id, s), DBX_EINVALIDSTATE);
    assert_string_equal(dbx_client_last_error(C)->error_code, "INVALID_STATE");
    dbx_warehouse_spec_free(s);
    dbx_free(id);
}

/* ---- lifecycle and waiters ------------------------------------------------------------ */

static void test_lifecycle_and_waiters(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *id = create_named("life");
    char path[128];

    /* the caller's deadline: STARTING for longer than 3 s is a timeout with the last snapshot */
    dbx_warehouse *wh = NULL;
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.timeout_ms = 3000;
    assert_int_equal(dbx_warehouses_wait_running(&wh, C, id, &w), DBX_ETIMEOUT);
    assert_non_null(wh);
    assert_int_equal(dbx_warehouse_state(wh), DBX_WAREHOUSE_STATE_STARTING);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "last state STARTING"));
    dbx_warehouse_free(wh);

    emu_advance(e, 2000);
    assert_int_equal(dbx_warehouses_wait_running(&wh, C, id, &w), DBX_OK);
    assert_int_equal(dbx_warehouse_state(wh), DBX_WAREHOUSE_STATE_RUNNING);
    assert_int_equal(dbx_warehouse_num_clusters(wh), 1);
    dbx_warehouse_free(wh);

    /* stop: POST {} to .../stop; STOPPING, then STOPPED */
    assert_int_equal(dbx_warehouses_stop(C, id), DBX_OK);
    snprintf(path, sizeof path, API "/%s/stop", id);
    json_t *req = emu_last_request(e, path);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "POST");
    assert_string_equal(json_string_value(json_object_get(req, "body")), "{}");
    json_decref(req);
    expect_state(id, DBX_WAREHOUSE_STATE_STOPPING);
    assert_int_equal(dbx_warehouses_stop(C, id), DBX_OK); /* idempotent */
    /* waiting for RUNNING while it stops: keeps waiting until STOPPED, then fails fast */
    emu_advance(e, 1000);
    assert_int_equal(dbx_warehouses_wait_running(&wh, C, id, NULL), DBX_ESTATE);
    assert_int_equal(dbx_warehouse_state(wh), DBX_WAREHOUSE_STATE_STOPPED);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "is STOPPED, not RUNNING (start it first)"));
    dbx_warehouse_free(wh);
    assert_int_equal(dbx_warehouses_wait_stopped(&wh, C, id, NULL), DBX_OK);
    assert_int_equal(dbx_warehouse_num_clusters(wh), 0);
    dbx_warehouse_free(wh);

    /* start: POST {} to .../start; idempotent */
    assert_int_equal(dbx_warehouses_start(C, id), DBX_OK);
    snprintf(path, sizeof path, API "/%s/start", id);
    req = emu_last_request(e, path);
    assert_string_equal(json_string_value(json_object_get(req, "body")), "{}");
    json_decref(req);
    assert_int_equal(dbx_warehouses_start(C, id), DBX_OK);
    expect_state(id, DBX_WAREHOUSE_STATE_STARTING);
    /* waiting for STOPPED while it starts: times out (nothing stops it) */
    assert_int_equal(dbx_warehouses_wait_stopped(NULL, C, id, &w), DBX_ETIMEOUT);
    emu_advance(e, 2000);
    assert_int_equal(dbx_warehouses_wait_running(NULL, C, id, NULL), DBX_OK);

    /* start and stop are retried after a 500 (they are idempotent) */
    emu_clear_requests(e);
    char fault[256];
    snprintf(fault, sizeof fault, "{\"path\":\"%s\",\"action\":\"status\",\"status\":500}", path);
    emu_fault(e, fault);
    assert_int_equal(dbx_warehouses_start(C, id), DBX_OK);
    assert_int_equal(emu_count(e, path), 2);

    /* delete: DELETE .../{id}; DELETING then DELETED; both waiters fail fast */
    assert_int_equal(dbx_warehouses_delete(C, id), DBX_OK);
    snprintf(path, sizeof path, API "/%s", id);
    req = emu_last_request(e, path);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "DELETE");
    json_decref(req);
    assert_int_equal(dbx_warehouses_wait_running(&wh, C, id, NULL), DBX_ESTATE);
    assert_int_equal(dbx_warehouse_state(wh), DBX_WAREHOUSE_STATE_DELETING);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "is DELETING, not RUNNING"));
    dbx_warehouse_free(wh);
    emu_advance(e, 500);
    assert_int_equal(dbx_warehouses_wait_stopped(&wh, C, id, NULL), DBX_ESTATE);
    assert_int_equal(dbx_warehouse_state(wh), DBX_WAREHOUSE_STATE_DELETED);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "is DELETED, not STOPPED"));
    dbx_warehouse_free(wh);
    assert_int_equal(dbx_warehouses_start(C, id), DBX_EINVALIDSTATE);
    assert_int_equal(dbx_warehouses_stop(C, id), DBX_EINVALIDSTATE);
    assert_int_equal(dbx_warehouses_delete(C, id), DBX_OK);
    assert_int_equal(dbx_warehouses_delete(C, BOGUS), DBX_ENOTFOUND);
    assert_int_equal(dbx_warehouses_stop(C, BOGUS), DBX_ENOTFOUND);
    dbx_free(id);
}

static int cancel_after_two(const char *id, const char *st, void *payload)
{
    (void)id;
    int *n = payload;
    assert_string_equal(st, "STARTING");
    return ++*n >= 2;
}

static void test_waiter_health_cancel_and_errors(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *id = create_named("health");

    /* cancel from on_poll */
    int polls = 0;
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.on_poll = cancel_after_two;
    w.payload = &polls;
    dbx_warehouse *wh = NULL;
    assert_int_equal(dbx_warehouses_wait_running(&wh, C, id, &w), DBX_ECANCELLED);
    assert_int_equal(polls, 2);
    assert_int_equal(dbx_warehouse_state(wh), DBX_WAREHOUSE_STATE_STARTING);
    dbx_warehouse_free(wh);
    long sleeps[8];
    assert_int_equal(fake_clock_sleeps(sleeps, 8), 1);
    assert_true(sleeps[0] >= 1050 && sleeps[0] <= 1750);

    /* health FAILED while STARTING: fail fast with the summary and the reason */
    force_health(id, "{\"status\":\"FAILED\",\"summary\":\"Cluster failed to launch\","
                     "\"failure_reason\":{\"code\":\"INSTANCE_POOL_MAX_CAPACITY_REACHED\",\"type\":\"CLOUD_FAILURE\"}}");
    assert_int_equal(dbx_warehouses_wait_running(&wh, C, id, NULL), DBX_ESTATE);
    const dbx_error *err = dbx_client_last_error(C);
    assert_non_null(strstr(err->message, "Cluster failed to launch"));
    assert_non_null(strstr(err->message, "INSTANCE_POOL_MAX_CAPACITY_REACHED, CLOUD_FAILURE"));
    assert_non_null(strstr(err->message, "health FAILED"));
    assert_string_equal(err->error_code, "INSTANCE_POOL_MAX_CAPACITY_REACHED");
    assert_int_equal(dbx_warehouse_health_status(wh), DBX_WAREHOUSE_HEALTH_FAILED);
    assert_string_equal(dbx_warehouse_health_failure_type(wh), "CLOUD_FAILURE");
    dbx_warehouse_free(wh);
    /* ... even when the state says RUNNING */
    force_health(id, "{\"status\":\"FAILED\",\"summary\":\"broken\",\"details\":\"d\",\"state\":\"RUNNING\"}");
    assert_int_equal(dbx_warehouses_wait_running(&wh, C, id, NULL), DBX_ESTATE);
    assert_string_equal(dbx_warehouse_health_details(wh), "d");
    assert_non_null(strstr(dbx_client_last_error(C)->message, "broken"));
    dbx_warehouse_free(wh);
    /* the stopped waiter does not look at health */
    force_health(id, "{\"status\":\"FAILED\",\"summary\":\"broken\",\"state\":\"STOPPED\"}");
    assert_int_equal(dbx_warehouses_wait_stopped(NULL, C, id, NULL), DBX_OK);
    /* and a STOPPED failed warehouse reports its health, not "start it first" */
    assert_int_equal(dbx_warehouses_wait_running(NULL, C, id, NULL), DBX_ESTATE);
    assert_null(strstr(dbx_client_last_error(C)->message, "start it first"));

    /* DEGRADED is not a failure */
    force_health(id, "{\"status\":\"DEGRADED\",\"summary\":\"slow\",\"state\":\"RUNNING\"}");
    assert_int_equal(dbx_warehouses_wait_running(&wh, C, id, NULL), DBX_OK);
    assert_int_equal(dbx_warehouse_health_status(wh), DBX_WAREHOUSE_HEALTH_DEGRADED);
    assert_string_equal(dbx_warehouse_health_summary(wh), "slow");
    dbx_warehouse_free(wh);

    /* an unknown health status keeps its text */
    emu_fault(e, "{\"method\":\"GET\",\"path\":\"" API "/" SEED "\",\"action\":\"status\",\"status\":200,"
                 "\"body\":{\"id\":\"" SEED "\",\"state\":\"HIBERNATING\",\"health\":{\"status\":\"WOBBLY\"}}}");
    wh = get_wh(SEED);
    assert_int_equal(dbx_warehouse_state(wh), DBX_WAREHOUSE_STATE_UNKNOWN);
    assert_string_equal(dbx_warehouse_state_str(wh), "HIBERNATING");
    assert_int_equal(dbx_warehouse_health_status(wh), DBX_WAREHOUSE_HEALTH_UNKNOWN);
    assert_string_equal(dbx_warehouse_health_status_str(wh), "WOBBLY");
    dbx_warehouse_free(wh);

    /* a failed poll ends the wait with its error */
    wh = (dbx_warehouse *)1;
    assert_int_equal(dbx_warehouses_wait_running(&wh, C, BOGUS, NULL), DBX_ENOTFOUND);
    assert_null(wh);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "waiting for warehouse " BOGUS));

    /* bad arguments */
    emu_clear_requests(e);
    expect_local_einval(dbx_warehouses_wait_running(&wh, C, NULL, NULL), C, "id");
    expect_local_einval(dbx_warehouses_wait_stopped(&wh, C, "", NULL), C, "id");
    expect_local_einval(dbx_warehouses_wait_stopped(&wh, NULL, id, NULL), NULL, "client");
    dbx_wait_options bad = DBX_WAIT_OPTIONS_INIT;
    bad.version = 99;
    expect_local_einval(dbx_warehouses_wait_running(&wh, C, id, &bad), C, "version");
    assert_null(wh);
    dbx_free(id);
}

/* ---- list -------------------------------------------------------------------------- */

static void test_list_pages(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *ids[4];
    for (int i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "w%d", i);
        ids[i] = create_named(name);
    }
    emu_config(e, "{\"page_size_warehouses\": 2}");
    emu_clear_requests(e);
    dbx_warehouses_iter *it = NULL;
    assert_int_equal(dbx_warehouses_list(&it, C, NULL), DBX_OK);
    assert_int_equal(emu_count(e, NULL), 0); /* no request before the first _next */
    const char *want[] = {"Serverless Starter Warehouse", "w0", "w1", "w2", "w3"};
    const dbx_warehouse *item;
    size_t n = 0;
    dbx_status st;
    while ((st = dbx_warehouses_iter_next(&item, it)) == DBX_OK) {
        assert_true(n < 5);
        assert_string_equal(dbx_warehouse_name(item), want[n]);
        assert_true(strlen(dbx_warehouse_odbc_path(item)) > 0);
        n++;
    }
    assert_int_equal(st, DBX_DONE);
    assert_int_equal(n, 5);
    assert_int_equal(dbx_warehouses_iter_next(&item, it), DBX_DONE);
    dbx_warehouses_iter_free(it);
    json_t *reqs = emu_requests_to(e, API);
    assert_int_equal(json_array_size(reqs), 3);
    assert_null(emu_req_query(json_array_get(reqs, 0), "page_token"));
    assert_null(emu_req_query(json_array_get(reqs, 0), "page_size"));
    assert_non_null(emu_req_query(json_array_get(reqs, 1), "page_token"));
    assert_non_null(emu_req_query(json_array_get(reqs, 2), "page_token"));
    json_decref(reqs);

    /* page_size sent, max_items stops early */
    emu_clear_requests(e);
    dbx_warehouses_list_options o = DBX_WAREHOUSES_LIST_OPTIONS_INIT;
    o.page_size = 1;
    o.max_items = 3;
    assert_int_equal(dbx_warehouses_list(&it, C, &o), DBX_OK);
    n = 0;
    while ((st = dbx_warehouses_iter_next(&item, it)) == DBX_OK)
        assert_string_equal(dbx_warehouse_name(item), want[n++]);
    assert_int_equal(st, DBX_DONE);
    assert_int_equal(n, 3);
    dbx_warehouses_iter_free(it);
    reqs = emu_requests_to(e, API);
    assert_int_equal(json_array_size(reqs), 3);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(emu_req_query(json_array_get(reqs, i), "page_size"), "1");
    json_decref(reqs);

    /* deleted warehouses leave the list */
    assert_int_equal(dbx_warehouses_delete(C, ids[1]), DBX_OK);
    emu_advance(e, 1000);
    assert_int_equal(dbx_warehouses_list(&it, C, NULL), DBX_OK);
    n = 0;
    while ((st = dbx_warehouses_iter_next(&item, it)) == DBX_OK) {
        assert_string_not_equal(dbx_warehouse_id(item), ids[1]);
        n++;
    }
    assert_int_equal(n, 4);
    dbx_warehouses_iter_free(it);

    /* an error mid-way, then the same page again */
    assert_int_equal(dbx_warehouses_list(&it, C, NULL), DBX_OK);
    assert_int_equal(dbx_warehouses_iter_next(&item, it), DBX_OK);
    assert_int_equal(dbx_warehouses_iter_next(&item, it), DBX_OK);
    emu_fault(e, "{\"path\":\"" API "\",\"action\":\"status\",\"status\":403}");
    assert_int_equal(dbx_warehouses_iter_next(&item, it), DBX_EPERMISSION);
    assert_int_equal(dbx_warehouses_iter_next(&item, it), DBX_OK);
    assert_string_equal(dbx_warehouse_name(item), "w2");
    dbx_warehouses_iter_free(it);

    /* bad options */
    emu_clear_requests(e);
    it = (dbx_warehouses_iter *)1;
    o.version = 0;
    expect_local_einval(dbx_warehouses_list(&it, C, &o), C, "version");
    assert_null(it);
    o.version = DBX_WAREHOUSES_LIST_OPTIONS_VERSION;
    o.page_size = -1;
    expect_local_einval(dbx_warehouses_list(&it, C, &o), C, "negative");
    expect_local_einval(dbx_warehouses_list(NULL, C, NULL), C, "out");
    expect_local_einval(dbx_warehouses_list(&it, NULL, NULL), NULL, "client");
    expect_local_einval(dbx_warehouses_iter_next(&item, NULL), NULL, "");
    dbx_warehouses_iter_free(NULL);
    for (int i = 0; i < 4; i++)
        dbx_free(ids[i]);
}

/* ---- arguments and enums ---------------------------------------------------------------- */

static void test_null_arguments_and_enums(void **state)
{
    (void)state;
    emu_clear_requests(emu_get());
    dbx_warehouse *wh = NULL;
    expect_local_einval(dbx_warehouses_get(NULL, C, SEED), C, "out");
    expect_local_einval(dbx_warehouses_get(&wh, C, NULL), C, "id");
    expect_local_einval(dbx_warehouses_get(&wh, C, "\xc3\x28"), C, "UTF-8");
    expect_local_einval(dbx_warehouses_get(&wh, NULL, SEED), NULL, "client");
    expect_local_einval(dbx_warehouses_start(C, NULL), C, "id");
    expect_local_einval(dbx_warehouses_start(NULL, SEED), NULL, "client");
    expect_local_einval(dbx_warehouses_stop(C, ""), C, "id");
    expect_local_einval(dbx_warehouses_stop(NULL, SEED), NULL, "client");
    expect_local_einval(dbx_warehouses_delete(C, NULL), C, "id");
    expect_local_einval(dbx_warehouses_delete(NULL, SEED), NULL, "client");

    assert_string_equal(dbx_warehouse_state_name(DBX_WAREHOUSE_STATE_STARTING), "STARTING");
    assert_string_equal(dbx_warehouse_state_name(DBX_WAREHOUSE_STATE_DELETED), "DELETED");
    assert_string_equal(dbx_warehouse_state_name((dbx_warehouse_state_t)99), "UNKNOWN");
    assert_string_equal(dbx_warehouse_state_name((dbx_warehouse_state_t)-1), "UNKNOWN");
    assert_string_equal(dbx_warehouse_health_name(DBX_WAREHOUSE_HEALTH_FAILED), "FAILED");
    assert_string_equal(dbx_warehouse_health_name((dbx_warehouse_health_t)7), "UNKNOWN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_spec_builder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_sends_spec_and_get_reads_every_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seed_warehouse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_missing_and_encoded_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lifecycle_and_waiters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waiter_health_cancel_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_arguments_and_enums, setup, teardown),
    };
    return cmocka_run_group_tests_name("warehouses", tests, NULL, NULL);
}
