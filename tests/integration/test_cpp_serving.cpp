/*
 * The C++17 layer of Model Serving (include/dbx/cpp/serving.hpp) against the emulator: the
 * config and input builders (and their exceptions), owners of endpoints and results, the range
 * over endpoints, string_view accessors, the wait, typed and raw queries, exceptions carrying
 * the C error record. Built with -Wall -Wextra -Werror.
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

#define API "/api/2.0/serving-endpoints"
static const char MODEL_A[] = "{\"flavor\":\"logistic\",\"features\":[\"amount\",\"hour\"],\"intercept\":-3.2,"
                              "\"coefficients\":[0.8,0.1],\"categorical\":{\"channel\":{\"web\":0.7,\"pos\":-0.2}}}";
static const char MLMODEL[] = "artifact_path: model\nflavors:\n  python_function:\n    loader_module: x\n";
#define A_ROW0 0.6899744811276125
#define A_ROW1 0.01798620996209156

static dbx::client make_client(emu *e)
{
    dbx::options o;
    o.set("host", e->base).set("token", EMU_TOKEN).set("no_env", "1").set("no_config_file", "1");
    o.set("retry_initial_delay_ms", "10").set("retry_max_delay_ms", "20");
    return dbx::client(o);
}

static int setup(void **state) { return emu_fixture_setup(state); }
static int teardown(void **state) { return emu_fixture_teardown(state); }

static std::string b64(const std::string &in)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (size_t i = 0; i < in.size(); i += 3) {
        unsigned v = (unsigned char)in[i] << 16;
        if (i + 1 < in.size())
            v |= (unsigned char)in[i + 1] << 8;
        if (i + 2 < in.size())
            v |= (unsigned char)in[i + 2];
        out += tab[(v >> 18) & 63];
        out += tab[(v >> 12) & 63];
        out += i + 1 < in.size() ? tab[(v >> 6) & 63] : '=';
        out += i + 2 < in.size() ? tab[v & 63] : '=';
    }
    return out;
}

static void register_version(const dbx::client &c, const char *model, const char *model_json, int dir)
{
    try {
        c.request("POST", "/api/2.0/mlflow/registered-models/create", (std::string("{\"name\":\"") + model + "\"}").c_str());
    } catch (const dbx::error &) { /* exists */
    }
    std::string path = std::string("/models/") + model + "/c" + std::to_string(dir);
    std::string body = "{\"path\":\"" + path + "/MLmodel\",\"contents\":\"" + b64(MLMODEL) + "\",\"overwrite\":true}";
    c.request("POST", "/api/2.0/dbfs/put", body.c_str());
    body = "{\"path\":\"" + path + "/model.json\",\"contents\":\"" + b64(model_json) + "\",\"overwrite\":true}";
    c.request("POST", "/api/2.0/dbfs/put", body.c_str());
    body = std::string("{\"name\":\"") + model + "\",\"source\":\"dbfs:" + path + "\"}";
    c.request("POST", "/api/2.0/mlflow/model-versions/create", body.c_str());
}

static std::string last_method(const char *path)
{
    json_t *r = emu_last_request(emu_get(), path);
    const char *s = r ? json_string_value(json_object_get(r, "method")) : nullptr;
    std::string out = s ? s : "";
    json_decref(r);
    return out;
}

static void builders(void **state)
{
    (void)state;
    dbx::serving_config cfg;
    size_t i = cfg.add_entity("fraud", "1");
    cfg.name(i, "a").workload_size(i, "Small").workload_type(i, "CPU").scale_to_zero(i, true).env(i, "K", "v");
    size_t j = cfg.add_entity("fraud", "2");
    cfg.route("a", 70).route("fraud-2", 30);
    assert_int_equal(j, 1);
    std::string js = cfg.to_json();
    assert_non_null(strstr(js.c_str(), "\"scale_to_zero_enabled\":true"));
    assert_non_null(strstr(js.c_str(), "\"traffic_percentage\":70"));
    try {
        cfg.route("a", 101);
        fail_msg("no exception");
    } catch (const dbx::error &e) {
        assert_int_equal(e.status(), DBX_EINVAL);
        assert_non_null(strstr(e.what(), "percentage"));
    }
    dbx::serving_config c2 = dbx::serving_config::from_json("{\"served_entities\":[{\"entity_name\":\"m\",\"entity_version\":\"3\"}]}");
    assert_non_null(strstr(c2.to_json().c_str(), "\"entity_version\":\"3\""));

    dbx::serving_input in(DBX_SERVING_DATAFRAME_RECORDS);
    in.columns({"a", "b", "c", "d", "e"}).row().add(1.5).add(2).add("s").add(true).add(nullptr);
    in.params("{\"t\":1}").client_request_id("r1");
    std::string ij = in.to_json();
    assert_non_null(strstr(ij.c_str(), "\"dataframe_records\":[{\"a\":1.5,\"b\":2,\"c\":\"s\",\"d\":true,\"e\":null}]"));
    assert_non_null(strstr(ij.c_str(), "\"client_request_id\":\"r1\""));
    try {
        in.add(std::nan(""));
        fail_msg("no exception");
    } catch (const dbx::error &e) {
        assert_int_equal(e.status(), DBX_EINVAL);
    }
    assert_true(dbx::serving_ready_name(DBX_SERVING_READY_READY) == "READY");
    assert_true(dbx::serving_config_update_name(DBX_SERVING_CONFIG_UPDATE_IN_PROGRESS) == "IN_PROGRESS");
    assert_true(dbx::serving_deployment_name(DBX_SERVING_DEPLOYMENT_READY) == "DEPLOYMENT_READY");
}

static void endpoints_and_queries(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    register_version(c, "fraud", MODEL_A, 1);
    register_version(c, "fraud", MODEL_A, 2);

    dbx::serving_config cfg;
    cfg.env(cfg.add_entity("fraud", "1"), "MODE", "fast");
    dbx_serving_tag tags[] = {{"team", "risk"}};
    dbx_serving_create_options o = DBX_SERVING_CREATE_OPTIONS_INIT;
    o.tags = tags;
    o.n_tags = 1;
    dbx::serving_endpoint ep = dbx::serving_create(c, "cpp-ep", cfg, &o);
    assert_true(ep.name() == "cpp-ep");
    assert_true(ep.ready_str() == "NOT_READY");
    assert_true(ep.has_config(DBX_SERVING_PENDING));
    assert_true(ep.entity_env(0, "MODE", DBX_SERVING_PENDING) == "fast");
    assert_true(ep.tag("team") == "risk" && ep.has_tag("team") && !ep.has_tag("x"));
    assert_true(last_method(API) == "POST");

    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    dbx::serving_endpoint ready = dbx::serving_wait_ready(c, "cpp-ep", &w);
    assert_int_equal(ready.ready(), DBX_SERVING_READY_READY);
    assert_int_equal(ready.config_update(), DBX_SERVING_CONFIG_UPDATE_NOT_UPDATING);
    assert_int_equal(ready.config_version(), 1);
    assert_true(ready.entity_name(0) == "fraud-1" && ready.entity_model(0) == "fraud" && ready.entity_version(0) == "1");
    assert_int_equal(ready.entity_deployment(0), DBX_SERVING_DEPLOYMENT_READY);
    assert_int_equal(ready.route_count(), 1);
    assert_true(ready.route_name(0) == "fraud-1");
    assert_int_equal(ready.route_percentage(0), 100);
    assert_int_equal(ready.id().size(), 32);
    assert_true(ready.creation_timestamp() > 0);

    int n = 0;
    for (dbx::serving_endpoint_view v : dbx::serving_list(c)) {
        assert_true(v.name() == "cpp-ep");
        n++;
    }
    assert_int_equal(n, 1);

    dbx::serving_config two;
    two.add_entity("fraud", "1");
    two.add_entity("fraud", "2");
    two.route("fraud-1", 50).route("fraud-2", 50);
    dbx::serving_endpoint up = dbx::serving_update_config(c, "cpp-ep", two);
    assert_int_equal(up.config_version(DBX_SERVING_PENDING), 2);
    assert_true(last_method(API "/cpp-ep/config") == "PUT");
    dbx::serving_wait_ready(c, "cpp-ep");

    dbx::serving_patch_tags(c, "cpp-ep", {{"a", "1"}}, {"team"});
    assert_true(last_method(API "/cpp-ep/tags") == "PATCH");
    dbx::serving_endpoint got = dbx::serving_get(c, "cpp-ep");
    assert_int_equal(got.tag_count(), 1);
    assert_true(got.tag_key(0) == "a" && got.tag_value(0) == "1");
    assert_false(dbx::serving_build_logs(c, "cpp-ep", "fraud-2").empty());
    (void)dbx::serving_server_logs(c, "cpp-ep", "fraud-1");

    dbx::serving_input in(DBX_SERVING_DATAFRAME_SPLIT);
    in.columns({"amount", "hour", "channel"});
    in.row().add(2.5).add(13).add("web");
    in.row().add(-1.0).add(2).add("pos");
    dbx::serving_result r = dbx::serving_query(c, "cpp-ep", in);
    assert_int_equal(r.size(), 2);
    assert_int_equal(r.type(0), DBX_SERVING_VALUE_NUMBER);
    std::vector<double> d = r.doubles();
    assert_true(std::fabs(d[0] - A_ROW0) < 1e-9 && std::fabs(d[1] - A_ROW1) < 1e-9);
    assert_false(r.served_model_name().empty());
    assert_true(r.latency_ms() >= 0);
    assert_non_null(strstr(std::string(r.json()).c_str(), "predictions"));

    dbx::serving_result raw = dbx::serving_query(c, "cpp-ep", "{\"inputs\":{\"amount\":[2.5],\"hour\":[13],\"channel\":[\"web\"]}}");
    assert_true(std::fabs(raw.as_double(0) - A_ROW0) < 1e-9);
    assert_false(raw.predictions_json().empty());
    assert_true(raw.as_string(0).empty() && !raw.is_null(0));
    assert_true(std::isnan(raw.field_double(0, "x")) && raw.field_string(0, "x").empty());
    assert_int_equal(raw.as_int(5, -7), -7);

    try {
        dbx::serving_query(c, "cpp-ep", "{\"dataframe_records\":[{\"amount\":1}]}");
        fail_msg("no exception");
    } catch (const dbx::error &err) {
        assert_int_equal(err.status(), DBX_EBADREQUEST);
        assert_int_equal(err.http_status(), 400);
    }
    assert_true(dbx::serving_get(c, "cpp-ep").inference_table().empty());
    dbx::serving_set_inference_table(c, "cpp-ep", "main", "default");
    assert_true(last_method(API "/cpp-ep/ai-gateway") == "PUT");
    assert_true(dbx::serving_get(c, "cpp-ep").inference_table() == "main.default.cpp-ep_payload");
    dbx::serving_set_inference_table(c, "cpp-ep", "", "", "", false);
    assert_true(dbx::serving_get(c, "cpp-ep").inference_table().empty());
    dbx::serving_delete(c, "cpp-ep");
    assert_true(last_method(API "/cpp-ep") == "DELETE");
    try {
        dbx::serving_get(c, "cpp-ep");
        fail_msg("no exception");
    } catch (const dbx::error &err) {
        assert_int_equal(err.status(), DBX_ENOTFOUND);
        assert_int_equal(err.http_status(), 404);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builders),
        cmocka_unit_test_setup_teardown(endpoints_and_queries, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    emu_stop_all();
    return rc;
}
