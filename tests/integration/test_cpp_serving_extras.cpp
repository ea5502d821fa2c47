/*
 * The C++17 layer of the serving extras (include/dbx/cpp/serving_extras.hpp) against the
 * emulator: traffic owners and accessors, shift / promote / rollback, metrics (owner, find,
 * parse exceptions), batch scoring and as_bool. Built with -Wall -Wextra -Werror.
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
#include <cstring>
#include <string>

#include "dbx/dbx.hpp"

static const char MODEL_A[] = "{\"flavor\":\"logistic\",\"features\":[\"amount\",\"hour\"],\"intercept\":-3.2,"
                              "\"coefficients\":[0.8,0.1]}";
static const char MODEL_B[] = "{\"flavor\":\"logistic\",\"features\":[\"amount\",\"hour\"],\"intercept\":1.0,"
                              "\"coefficients\":[0,0]}";
static const char MODEL_L[] = "{\"flavor\":\"logistic\",\"features\":[\"amount\",\"hour\"],\"intercept\":-3.2,"
                              "\"coefficients\":[0.8,0.1],\"output\":\"label\"}";
static const char MLMODEL[] = "artifact_path: model\nflavors:\n  python_function:\n    loader_module: x\n";

static dbx::client make_client(emu *e)
{
    dbx::options o;
    o.set("host", e->base).set("token", EMU_TOKEN).set("no_env", "1").set("no_config_file", "1");
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

static void register_version(const dbx::client &c, const char *model, const char *model_json)
{
    static int dir;
    try {
        c.request("POST", "/api/2.0/mlflow/registered-models/create", (std::string("{\"name\":\"") + model + "\"}").c_str());
    } catch (const dbx::error &) { /* exists */
    }
    std::string path = std::string("/models/") + model + "/e" + std::to_string(++dir);
    std::string body = "{\"path\":\"" + path + "/MLmodel\",\"contents\":\"" + b64(MLMODEL) + "\",\"overwrite\":true}";
    c.request("POST", "/api/2.0/dbfs/put", body.c_str());
    body = "{\"path\":\"" + path + "/model.json\",\"contents\":\"" + b64(model_json) + "\",\"overwrite\":true}";
    c.request("POST", "/api/2.0/dbfs/put", body.c_str());
    body = std::string("{\"name\":\"") + model + "\",\"source\":\"dbfs:" + path + "\"}";
    c.request("POST", "/api/2.0/mlflow/model-versions/create", body.c_str());
}

static int advance(const char *, const char *, void *)
{
    emu_advance(emu_get(), 2000);
    return 0;
}

static void champion_challenger(void **state)
{
    (void)state;
    dbx::client c = make_client(emu_get());
    register_version(c, "fraud", MODEL_A);
    register_version(c, "fraud", MODEL_B);
    dbx::serving_config cfg;
    cfg.add_entity("fraud", "1");
    cfg.add_entity("fraud", "2");
    cfg.route("fraud-1", 100).route("fraud-2", 0);
    dbx::serving_create(c, "cc", cfg);
    dbx::serving_wait_ready(c, "cc");

    dbx::serving_traffic t = dbx::serving_traffic_get(c, "cc");
    assert_int_equal(t.size(), 2);
    assert_true(t.entity(1) == "fraud-2" && t.model(1) == "fraud" && t.version(1) == "2");
    assert_int_equal(t.percentage_of("fraud-1"), 100);
    assert_int_equal(t.percentage_of("nope"), -1);
    std::string saved(t.config_json());

    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.on_poll = advance;
    dbx_serving_traffic_options to = DBX_SERVING_TRAFFIC_OPTIONS_INIT;
    to.wait = &w;
    emu_config(emu_get(), "{\"serving_deploy_ms\": 3000}");
    dbx::serving_endpoint ep = dbx::serving_traffic_shift(c, "cc", "fraud-1", "fraud-2", 40, &to);
    assert_true(ep.config_update() == DBX_SERVING_CONFIG_UPDATE_NOT_UPDATING);
    assert_int_equal(dbx::serving_traffic_get(c, "cc").percentage_of("fraud-2"), 40);
    try {
        dbx::serving_traffic_shift(c, "cc", "fraud-1", "ghost", 10, &to);
        fail_msg("no exception");
    } catch (const dbx::error &e) {
        assert_int_equal(e.status(), DBX_ENOTFOUND);
        assert_non_null(strstr(e.what(), "'ghost' (the challenger)"));
    }

    dbx::registry_alias_set(c, DBX_REGISTRY_WORKSPACE, "fraud", "champion", 1);
    dbx_serving_promote_options po = DBX_SERVING_PROMOTE_OPTIONS_INIT;
    po.wait = &w;
    po.alias = "champion";
    po.registry = DBX_REGISTRY_WORKSPACE;
    dbx::serving_promotion p = dbx::serving_promote(c, "cc", "fraud-2", &po);
    assert_true(p.endpoint().ready() == DBX_SERVING_READY_READY);
    assert_true(p.alias() == "champion" && p.model() == "fraud");
    assert_int_equal(p.alias_version(), 2);
    assert_int_equal(p.previous_alias_version(), 1);
    assert_int_equal(dbx::serving_traffic_get(c, "cc").size(), 1);
    dbx::serving_rollback(c, "cc", p, &w);
    assert_int_equal(dbx::serving_traffic_get(c, "cc").percentage_of("fraud-2"), 40);
    /* and to the config saved before the shift */
    dbx_serving_rollback_options ro = DBX_SERVING_ROLLBACK_OPTIONS_INIT;
    ro.wait = &w;
    dbx::serving_rollback(c, "cc", dbx::serving_config::from_json(saved), &ro);
    assert_int_equal(dbx::serving_traffic_get(c, "cc").percentage_of("fraud-1"), 100);
}

static void metrics_batch_bool(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    register_version(c, "fraud", MODEL_A);
    register_version(c, "lab", MODEL_L);
    dbx::serving_config cfg;
    cfg.add_entity("fraud", "1");
    dbx::serving_create(c, "m", cfg);
    dbx::serving_wait_ready(c, "m");

    dbx::serving_input in;
    in.columns({"amount", "hour"});
    for (int i = 0; i < 250; i++)
        in.row().add(static_cast<double>(i % 10)).add(i % 24);
    emu_clear_requests(e);
    dbx::serving_result r = dbx::serving_query_batch(c, "m", in, 100);
    assert_int_equal(r.size(), 250);
    assert_int_equal(emu_count(e, "/serving-endpoints/m/invocations"), 3);
    assert_true(r.as_double(11) == r.as_double(131)); /* (1, 11) both: rows repeat every 120 */
    assert_true(r.as_double(11) != r.as_double(12));

    dbx::serving_metrics m = dbx::serving_metrics_get(c, "m");
    long i = m.find("request_count_total", "served_entity_name", "fraud-1");
    assert_true(i >= 0);
    assert_true(m.value(static_cast<size_t>(i)) == 3);
    assert_true(m.type_name(static_cast<size_t>(i)) == "counter");
    assert_true(m.label(static_cast<size_t>(i), "endpoint_name") == "m");
    assert_true(m.sum("request_latency_ms_count") == 3);
    dbx::serving_metrics p = dbx::serving_metrics_parse("x{a=\"1\"} +Inf 5\n");
    int64_t ts = 0;
    assert_true(std::isinf(p.value(0)) && p.timestamp(0, &ts) && ts == 5);
    assert_true(p.has_label(0, "a") && !p.has_label(0, "b"));
    try {
        dbx::serving_metrics_parse("ok 1\nbad{ 2\n");
        fail_msg("no exception");
    } catch (const dbx::error &err) {
        assert_int_equal(err.status(), DBX_EBADRESPONSE);
        assert_non_null(strstr(err.what(), "line 2"));
    }

    dbx::serving_config lc;
    lc.add_entity("lab", "1");
    dbx::serving_create(c, "lb", lc);
    dbx::serving_wait_ready(c, "lb");
    dbx::serving_result lr =
        dbx::serving_query(c, "lb", "{\"dataframe_split\":{\"columns\":[\"amount\",\"hour\"],\"data\":[[2.5,13],[-1,2]]}}");
    assert_true(lr.as_bool(0) && !lr.as_bool(1, true));
    assert_true(lr.as_bool(7, true) && !lr.as_bool(7));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(champion_challenger, setup, teardown),
        cmocka_unit_test_setup_teardown(metrics_batch_bool, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    emu_stop_all();
    return rc;
}
