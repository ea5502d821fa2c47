/*
 * Model serving endpoints against the emulator over HTTP: every public
 * function of include/dbx/serving.h, asserting on the request libdbx sent
 * (from the emulator's request log) and on the result. Deploys run on the
 * emulator's virtual clock and waits on libdbx's fake clock: nothing
 * really sleeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define API "/api/2.0/serving-endpoints"

static dbx_client *C;

/* Model A: p = sigmoid(-3.2 + 0.8 amount + 0.1 hour + channel weight). Model B: p = sigmoid(1). */
#define MODEL_A                                                                                              \
    "{\"flavor\":\"logistic\",\"features\":[\"amount\",\"hour\"],\"intercept\":-3.2,"                        \
    "\"coefficients\":[0.8,0.1],\"categorical\":{\"channel\":{\"web\":0.7,\"pos\":-0.2}}}"
#define MODEL_B "{\"flavor\":\"logistic\",\"features\":[\"amount\",\"hour\"],\"intercept\":1.0,\"coefficients\":[0,0]}"
#define MLMODEL "artifact_path: model\nflavors:\n  python_function:\n    loader_module: x\n"

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

/* A call that must fail before any I/O: DBX_EINVAL, a last error (of `owner`;
 * NULL for builder functions) whose message names `needle`, and no request. */
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

static void b64(char *out, const char *in)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(in), o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)in[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)in[i + 2];
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = 0;
}

static void req_ok(const char *method, const char *path, const char *body)
{
    dbx_response *r = NULL;
    dbx_status st = dbx_request(&r, C, method, path, body);
    if (st != DBX_OK)
        fail_msg("%s %s: %s %s", method, path, dbx_status_name(st), dbx_client_last_error(C)->message);
    dbx_response_free(r);
}

/* Register a workspace model version scoring with `model_json` (NULL: no
 * model.json, so it fails to deploy). Returns nothing: versions count 1, 2, ... */
static void register_version(const char *model, const char *model_json)
{
    static int dir;
    char body[2048], enc[1024], path[128];
    dbx_response *r = NULL;
    snprintf(body, sizeof body, "{\"name\":\"%s\"}", model);
    dbx_request(&r, C, "POST", "/api/2.0/mlflow/registered-models/create", body); /* may exist */
    dbx_response_free(r);
    snprintf(path, sizeof path, "/models/%s/d%d", model, ++dir);
    b64(enc, MLMODEL);
    snprintf(body, sizeof body, "{\"path\":\"%s/MLmodel\",\"contents\":\"%s\",\"overwrite\":true}", path, enc);
    req_ok("POST", "/api/2.0/dbfs/put", body);
    if (model_json) {
        b64(enc, model_json);
        snprintf(body, sizeof body, "{\"path\":\"%s/model.json\",\"contents\":\"%s\",\"overwrite\":true}", path, enc);
        req_ok("POST", "/api/2.0/dbfs/put", body);
    }
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"source\":\"dbfs:%s\"}", model, path);
    req_ok("POST", "/api/2.0/mlflow/model-versions/create", body);
}

static dbx_serving_config *one_entity(const char *model, const char *version)
{
    dbx_serving_config *cfg = NULL;
    assert_int_equal(dbx_serving_config_new(&cfg), DBX_OK);
    assert_int_equal(dbx_serving_config_add_entity(NULL, cfg, model, version), DBX_OK);
    return cfg;
}

static dbx_serving_endpoint *get_ep(const char *name)
{
    dbx_serving_endpoint *ep = NULL;
    dbx_status st = dbx_serving_get(&ep, C, name);
    if (st != DBX_OK)
        fail_msg("get %s: %s %s", name, dbx_status_name(st), dbx_client_last_error(C)->message);
    return ep;
}

static void create_ep(const char *name, dbx_serving_config *cfg)
{
    assert_int_equal(dbx_serving_create(NULL, C, name, cfg, NULL), DBX_OK);
    dbx_serving_config_free(cfg);
}

/* ---- config builder ------------------------------------------------------------------ */

static void test_config_builder(void **state)
{
    (void)state;
    emu_clear_requests(emu_get());
    dbx_serving_config *cfg = NULL;
    size_t a = 9, b = 9;
    assert_int_equal(dbx_serving_config_new(&cfg), DBX_OK);
    assert_int_equal(dbx_serving_config_add_entity(&a, cfg, "main.default.fraud", "1"), DBX_OK);
    assert_int_equal(dbx_serving_config_add_entity(&b, cfg, "fraud_ws", "3"), DBX_OK);
    assert_int_equal(a, 0);
    assert_int_equal(b, 1);
    assert_int_equal(dbx_serving_config_entity_set_workload_size(cfg, a, "Medium"), DBX_OK);
    assert_int_equal(dbx_serving_config_entity_set_workload_type(cfg, a, "GPU_SMALL"), DBX_OK);
    assert_int_equal(dbx_serving_config_entity_set_scale_to_zero(cfg, a, 1), DBX_OK);
    assert_int_equal(dbx_serving_config_entity_set_env(cfg, a, "TOKEN", "{{secrets/s/k}}"), DBX_OK);
    assert_int_equal(dbx_serving_config_entity_set_env(cfg, a, "MODE", "x"), DBX_OK);
    assert_int_equal(dbx_serving_config_entity_set_env(cfg, a, "MODE", "fast"), DBX_OK); /* replaces */
    assert_int_equal(dbx_serving_config_entity_set_name(cfg, b, "challenger"), DBX_OK);
    /* the UC entity's default name: dots turned into '-' */
    assert_int_equal(dbx_serving_config_add_route(cfg, "main-default-fraud-1", 50), DBX_OK);
    assert_int_equal(dbx_serving_config_add_route(cfg, "challenger", 30), DBX_OK);
    char *j = NULL;
    /* 80 %: refused locally */
    expect_local_einval(dbx_serving_config_to_json(&j, cfg), NULL, "sum to 80, not 100");
    assert_null(j);
    assert_int_equal(dbx_serving_config_add_route(cfg, "main-default-fraud-1", 70), DBX_OK); /* replaces */
    assert_int_equal(dbx_serving_config_to_json(&j, cfg), DBX_OK);
    json_t *o = json_loads(j, 0, NULL);
    dbx_free(j);
    assert_non_null(o);
    json_t *e0 = json_array_get(json_object_get(o, "served_entities"), 0);
    json_t *e1 = json_array_get(json_object_get(o, "served_entities"), 1);
    assert_string_equal(json_string_value(json_object_get(e0, "entity_name")), "main.default.fraud");
    assert_string_equal(json_string_value(json_object_get(e0, "entity_version")), "1");
    assert_string_equal(json_string_value(json_object_get(e0, "workload_size")), "Medium");
    assert_string_equal(json_string_value(json_object_get(e0, "workload_type")), "GPU_SMALL");
    assert_true(json_is_true(json_object_get(e0, "scale_to_zero_enabled")));
    json_t *env = json_object_get(e0, "environment_vars");
    assert_int_equal(json_object_size(env), 2);
    assert_string_equal(json_string_value(json_object_get(env, "TOKEN")), "{{secrets/s/k}}");
    assert_string_equal(json_string_value(json_object_get(env, "MODE")), "fast");
    assert_null(json_object_get(e0, "name"));
    assert_string_equal(json_string_value(json_object_get(e1, "name")), "challenger");
    json_t *routes = json_object_get(json_object_get(o, "traffic_config"), "routes");
    assert_int_equal(json_array_size(routes), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(routes, 0), "served_entity_name")),
                        "main-default-fraud-1");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(routes, 0), "traffic_percentage")), 70);
    json_decref(o);

    /* builder refusals */
    expect_local_einval(dbx_serving_config_add_route(cfg, "x", 101), NULL, "percentage must be 0..100");
    expect_local_einval(dbx_serving_config_add_route(cfg, "a b", 10), NULL, "served_entity_name");
    expect_local_einval(dbx_serving_config_entity_set_name(cfg, 0, "bad.name"), NULL, "name must be");
    expect_local_einval(dbx_serving_config_entity_set_workload_size(cfg, 7, "Small"), NULL, "index names no served entity");
    expect_local_einval(dbx_serving_config_add_entity(NULL, cfg, "m", ""), NULL, "entity_version is required");
    expect_local_einval(dbx_serving_config_add_entity(NULL, cfg, NULL, "1"), NULL, "entity_name is required");
    for (int i = 0; i < 28; i++) {
        char k[16];
        snprintf(k, sizeof k, "V%d", i);
        assert_int_equal(dbx_serving_config_entity_set_env(cfg, a, k, "v"), DBX_OK);
    }
    expect_local_einval(dbx_serving_config_entity_set_env(cfg, a, "ONE_TOO_MANY", "v"), NULL, "at most 30");
    dbx_serving_config_free(cfg);

    /* a route naming no entity; no entity at all */
    cfg = one_entity("m", "1");
    assert_int_equal(dbx_serving_config_add_route(cfg, "m-2", 100), DBX_OK);
    expect_local_einval(dbx_serving_config_to_json(&j, cfg), NULL, "\"m-2\" names no served entity");
    dbx_serving_config_free(cfg);
    assert_int_equal(dbx_serving_config_new(&cfg), DBX_OK);
    expect_local_einval(dbx_serving_create(NULL, C, "ep", cfg, NULL), C, "served_entities must be a non-empty array");
    dbx_serving_config_free(cfg);

    /* from JSON: validated the same way; a number as version is fine */
    cfg = NULL;
    expect_local_einval(dbx_serving_config_from_json(&cfg, "{\"served_entities\":[{\"entity_name\":\"m\"}]}"), NULL,
                        "$.served_entities[0].entity_version is required");
    expect_local_einval(dbx_serving_config_from_json(&cfg, "{\"served_entities\":[{\"entity_name\":\"m\","
                                                           "\"entity_version\":1},{\"entity_name\":\"m\","
                                                           "\"entity_version\":\"1\"}]}"),
                        NULL, "served entity name \"m-1\" is repeated");
    expect_local_einval(dbx_serving_config_from_json(&cfg, "{\"served_entities\":"), NULL, "not valid JSON");
    expect_local_einval(dbx_serving_config_from_json(&cfg, "[]"), NULL, "must be a JSON object");
    assert_null(cfg);
    assert_int_equal(dbx_serving_config_from_json(&cfg, "{\"served_models\":[{\"model_name\":\"m\",\"model_version\":2,"
                                                        "\"scale_to_zero_enabled\":true}],\"traffic_config\":{"
                                                        "\"routes\":[{\"served_model_name\":\"m-2\","
                                                        "\"traffic_percentage\":100}]},\"future\":1}"),
                     DBX_OK);
    assert_int_equal(dbx_serving_config_to_json(&j, cfg), DBX_OK);
    assert_non_null(strstr(j, "\"future\":1"));
    dbx_free(j);
    expect_local_einval(dbx_serving_config_add_entity(NULL, cfg, "m", "3"), NULL, "legacy served_models");
    dbx_serving_config_free(cfg);
}

/* ---- create, get, list ------------------------------------------------------------- */

static void test_create_get_list(void **state)
{
    (void)state;
    emu *e = emu_get();
    register_version("fraud", MODEL_A);
    emu_clear_requests(e);
    dbx_serving_config *cfg = one_entity("fraud", "1");
    assert_int_equal(dbx_serving_config_entity_set_env(cfg, 0, "MODE", "fast"), DBX_OK);
    dbx_serving_tag tags[] = {{"team", "risk"}, {"flag", NULL}};
    dbx_serving_create_options o = DBX_SERVING_CREATE_OPTIONS_INIT;
    o.tags = tags;
    o.n_tags = 2;
    o.description = "card fraud";
    o.extra_json = "{\"budget_policy_id\":\"bp-1\"}";
    dbx_serving_endpoint *ep = NULL;
    assert_int_equal(dbx_serving_create(&ep, C, "fraud-ep", cfg, &o), DBX_OK);
    dbx_serving_config_free(cfg);

    json_t *req = emu_last_request(e, API);
    assert_non_null(req);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "POST");
    assert_string_equal(json_string_value(emu_req_json(req, "name")), "fraud-ep");
    assert_string_equal(json_string_value(emu_req_json(req, "description")), "card fraud");
    assert_string_equal(json_string_value(emu_req_json(req, "budget_policy_id")), "bp-1");
    assert_null(emu_req_json(req, "route_optimized"));
    json_t *sent = json_array_get(json_object_get(emu_req_json(req, "config"), "served_entities"), 0);
    assert_string_equal(json_string_value(json_object_get(sent, "entity_name")), "fraud");
    assert_string_equal(json_string_value(json_object_get(sent, "entity_version")), "1");
    json_t *st = emu_req_json(req, "tags");
    assert_int_equal(json_array_size(st), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(st, 0), "value")), "risk");
    assert_null(json_object_get(json_array_get(st, 1), "value"));
    json_decref(req);

    /* the create answer: deploying */
    assert_string_equal(dbx_serving_endpoint_name(ep), "fraud-ep");
    assert_int_equal(strlen(dbx_serving_endpoint_id(ep)), 32);
    assert_int_equal(dbx_serving_endpoint_ready(ep), DBX_SERVING_READY_NOT_READY);
    assert_string_equal(dbx_serving_endpoint_ready_str(ep), "NOT_READY");
    assert_int_equal(dbx_serving_endpoint_config_update(ep), DBX_SERVING_CONFIG_UPDATE_IN_PROGRESS);
    assert_false(dbx_serving_endpoint_has_config(ep, DBX_SERVING_ACTIVE));
    assert_true(dbx_serving_endpoint_has_config(ep, DBX_SERVING_PENDING));
    assert_int_equal(dbx_serving_endpoint_entity_count(ep, DBX_SERVING_PENDING), 1);
    assert_int_equal(dbx_serving_endpoint_entity_count(ep, DBX_SERVING_ACTIVE), 0);
    assert_int_equal(dbx_serving_endpoint_entity_deployment(ep, DBX_SERVING_PENDING, 0),
                     DBX_SERVING_DEPLOYMENT_CREATING);
    assert_string_equal(dbx_serving_endpoint_tag(ep, "team"), "risk");
    assert_string_equal(dbx_serving_endpoint_tag(ep, "flag"), "");
    assert_null(dbx_serving_endpoint_tag(ep, "nope"));
    assert_int_equal(dbx_serving_endpoint_tag_count(ep), 2);
    assert_string_equal(dbx_serving_endpoint_tag_key(ep, 1), "flag");
    assert_string_equal(dbx_serving_endpoint_tag_value(ep, 0), "risk");
    assert_int_equal(dbx_serving_endpoint_route_optimized(ep), 0);
    assert_string_equal(dbx_serving_endpoint_endpoint_url(ep), "");
    assert_non_null(strstr(dbx_serving_endpoint_json(ep), "\"pending_config\""));
    dbx_serving_endpoint_free(ep);

    /* get: deployed (serving_deploy_ms 0: the next request settles it) */
    emu_clear_requests(e);
    ep = get_ep("fraud-ep");
    req = emu_last_request(e, API "/fraud-ep");
    assert_non_null(req);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "GET");
    json_decref(req);
    assert_int_equal(dbx_serving_endpoint_ready(ep), DBX_SERVING_READY_READY);
    assert_int_equal(dbx_serving_endpoint_config_update(ep), DBX_SERVING_CONFIG_UPDATE_NOT_UPDATING);
    assert_string_equal(dbx_serving_endpoint_config_update_str(ep), "NOT_UPDATING");
    assert_false(dbx_serving_endpoint_has_config(ep, DBX_SERVING_PENDING));
    assert_int_equal(dbx_serving_endpoint_config_version(ep, DBX_SERVING_ACTIVE), 1);
    assert_int_equal(dbx_serving_endpoint_entity_count(ep, DBX_SERVING_ACTIVE), 1);
    assert_string_equal(dbx_serving_endpoint_entity_name(ep, DBX_SERVING_ACTIVE, 0), "fraud-1");
    assert_string_equal(dbx_serving_endpoint_entity_model(ep, DBX_SERVING_ACTIVE, 0), "fraud");
    assert_string_equal(dbx_serving_endpoint_entity_version(ep, DBX_SERVING_ACTIVE, 0), "1");
    assert_string_equal(dbx_serving_endpoint_entity_workload_size(ep, DBX_SERVING_ACTIVE, 0), "Small");
    assert_string_equal(dbx_serving_endpoint_entity_workload_type(ep, DBX_SERVING_ACTIVE, 0), "CPU");
    assert_int_equal(dbx_serving_endpoint_entity_scale_to_zero(ep, DBX_SERVING_ACTIVE, 0), 0);
    assert_string_equal(dbx_serving_endpoint_entity_env(ep, DBX_SERVING_ACTIVE, 0, "MODE"), "fast");
    assert_null(dbx_serving_endpoint_entity_env(ep, DBX_SERVING_ACTIVE, 0, "OTHER"));
    assert_int_equal(dbx_serving_endpoint_entity_deployment(ep, DBX_SERVING_ACTIVE, 0), DBX_SERVING_DEPLOYMENT_READY);
    assert_string_equal(dbx_serving_endpoint_entity_deployment_str(ep, DBX_SERVING_ACTIVE, 0), "DEPLOYMENT_READY");
    assert_string_equal(dbx_serving_endpoint_entity_deployment_message(ep, DBX_SERVING_ACTIVE, 0),
                        "Served entity is ready.");
    assert_int_equal(dbx_serving_endpoint_route_count(ep, DBX_SERVING_ACTIVE), 1);
    assert_string_equal(dbx_serving_endpoint_route_name(ep, DBX_SERVING_ACTIVE, 0), "fraud-1");
    assert_int_equal(dbx_serving_endpoint_route_percentage(ep, DBX_SERVING_ACTIVE, 0), 100);
    /* out of range reads as absent */
    assert_string_equal(dbx_serving_endpoint_entity_name(ep, DBX_SERVING_ACTIVE, 5), "");
    assert_int_equal(dbx_serving_endpoint_entity_deployment(ep, DBX_SERVING_ACTIVE, 5), DBX_SERVING_DEPLOYMENT_UNKNOWN);
    assert_true(dbx_serving_endpoint_creation_timestamp(ep) > 0);
    assert_true(dbx_serving_endpoint_last_updated_timestamp(ep) >= dbx_serving_endpoint_creation_timestamp(ep));
    assert_string_equal(dbx_serving_endpoint_creator(ep), dbx_serving_endpoint_creator(ep));
    dbx_serving_endpoint_free(ep);

    /* a second endpoint; list yields both from one request */
    cfg = one_entity("fraud", "1");
    create_ep("other-ep", cfg);
    emu_clear_requests(e);
    dbx_serving_iter *it = NULL;
    assert_int_equal(dbx_serving_list(&it, C), DBX_OK);
    assert_int_equal(emu_count(e, NULL), 0); /* no request until the first _next */
    const dbx_serving_endpoint *item;
    int seen = 0;
    dbx_status rs;
    while ((rs = dbx_serving_iter_next(&item, it)) == DBX_OK) {
        const char *n = dbx_serving_endpoint_name(item);
        assert_true(strcmp(n, "fraud-ep") == 0 || strcmp(n, "other-ep") == 0);
        assert_string_equal(dbx_serving_endpoint_entity_model(item, DBX_SERVING_ACTIVE, 0), "fraud");
        seen++;
    }
    assert_int_equal(rs, DBX_DONE);
    assert_int_equal(seen, 2);
    dbx_serving_iter_free(it);
    assert_int_equal(emu_count(e, API), 1);

    /* errors: duplicate, unknown, bad names, bad options */
    cfg = one_entity("fraud", "1");
    assert_int_equal(dbx_serving_create(NULL, C, "fraud-ep", cfg, NULL), DBX_EEXISTS);
    assert_int_equal(dbx_serving_get(&ep, C, "missing"), DBX_ENOTFOUND);
    assert_null(ep);
    assert_string_equal(dbx_client_last_error(C)->error_code, "RESOURCE_DOES_NOT_EXIST");
    emu_clear_requests(e);
    expect_local_einval(dbx_serving_create(NULL, C, "bad name", cfg, NULL), C, "name must be made of");
    expect_local_einval(dbx_serving_create(NULL, C, "", cfg, NULL), C, "name is required");
    expect_local_einval(dbx_serving_create(NULL, C, "x", NULL, NULL), C, "cfg is NULL");
    o = (dbx_serving_create_options)DBX_SERVING_CREATE_OPTIONS_INIT;
    o.extra_json = "{\"name\":\"y\"}";
    expect_local_einval(dbx_serving_create(NULL, C, "x", cfg, &o), C, "without name or config");
    o.extra_json = "{";
    expect_local_einval(dbx_serving_create(NULL, C, "x", cfg, &o), C, "extra_json is not valid JSON");
    o.extra_json = NULL;
    o.n_tags = 1;
    expect_local_einval(dbx_serving_create(NULL, C, "x", cfg, &o), C, "tags is NULL");
    o.version = 99;
    expect_local_einval(dbx_serving_create(NULL, C, "x", cfg, &o), C, "version 99");
    expect_local_einval(dbx_serving_get(&ep, C, NULL), C, "name is required");
    expect_local_einval(dbx_serving_list(NULL, C), C, "out is NULL");
    dbx_serving_config_free(cfg);
}

/* ---- update config, tags, logs, delete ------------------------------------------------------ */

static void test_update_tags_logs_delete(void **state)
{
    (void)state;
    emu *e = emu_get();
    register_version("fraud", MODEL_A);
    register_version("fraud", MODEL_B);
    create_ep("ep", one_entity("fraud", "1"));
    dbx_serving_endpoint_free(get_ep("ep")); /* deployed */
    emu_config(e, "{\"serving_deploy_ms\": 5000}");

    /* update: champion 70 / challenger 30 */
    dbx_serving_config *cfg = NULL;
    size_t b;
    assert_int_equal(dbx_serving_config_new(&cfg), DBX_OK);
    assert_int_equal(dbx_serving_config_add_entity(NULL, cfg, "fraud", "1"), DBX_OK);
    assert_int_equal(dbx_serving_config_add_entity(&b, cfg, "fraud", "2"), DBX_OK);
    assert_int_equal(dbx_serving_config_entity_set_name(cfg, b, "challenger"), DBX_OK);
    assert_int_equal(dbx_serving_config_add_route(cfg, "fraud-1", 70), DBX_OK);
    assert_int_equal(dbx_serving_config_add_route(cfg, "challenger", 30), DBX_OK);
    emu_clear_requests(e);
    dbx_serving_endpoint *ep = NULL;
    assert_int_equal(dbx_serving_update_config(&ep, C, "ep", cfg), DBX_OK);
    json_t *req = emu_last_request(e, API "/ep/config");
    assert_non_null(req);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "PUT");
    assert_int_equal(json_array_size(emu_req_json(req, "served_entities")), 2);
    json_t *r1 = json_array_get(json_object_get(emu_req_json(req, "traffic_config"), "routes"), 1);
    assert_string_equal(json_string_value(json_object_get(r1, "served_entity_name")), "challenger");
    assert_int_equal(json_integer_value(json_object_get(r1, "traffic_percentage")), 30);
    json_decref(req);
    assert_int_equal(dbx_serving_endpoint_config_update(ep), DBX_SERVING_CONFIG_UPDATE_IN_PROGRESS);
    assert_int_equal(dbx_serving_endpoint_ready(ep), DBX_SERVING_READY_READY); /* the old config serves */
    assert_int_equal(dbx_serving_endpoint_config_version(ep, DBX_SERVING_ACTIVE), 1);
    assert_int_equal(dbx_serving_endpoint_config_version(ep, DBX_SERVING_PENDING), 2);
    assert_int_equal(dbx_serving_endpoint_route_count(ep, DBX_SERVING_PENDING), 2);
    assert_string_equal(dbx_serving_endpoint_route_name(ep, DBX_SERVING_PENDING, 1), "challenger");
    assert_int_equal(dbx_serving_endpoint_route_percentage(ep, DBX_SERVING_PENDING, 0), 70);
    dbx_serving_endpoint_free(ep);

    /* a second update while IN_PROGRESS: 409 */
    assert_int_equal(dbx_serving_update_config(NULL, C, "ep", cfg), DBX_ECONFLICT);
    assert_string_equal(dbx_client_last_error(C)->error_code, "RESOURCE_CONFLICT");
    dbx_serving_config_free(cfg);
    emu_advance(e, 5000);
    ep = get_ep("ep");
    assert_int_equal(dbx_serving_endpoint_config_update(ep), DBX_SERVING_CONFIG_UPDATE_NOT_UPDATING);
    assert_int_equal(dbx_serving_endpoint_config_version(ep, DBX_SERVING_ACTIVE), 2);
    assert_string_equal(dbx_serving_endpoint_entity_name(ep, DBX_SERVING_ACTIVE, 1), "challenger");
    assert_string_equal(dbx_serving_endpoint_entity_version(ep, DBX_SERVING_ACTIVE, 1), "2");
    dbx_serving_endpoint_free(ep);

    /* tags */
    dbx_serving_tag add[] = {{"team", "risk"}, {"stage", "canary"}};
    emu_clear_requests(e);
    assert_int_equal(dbx_serving_patch_tags(C, "ep", add, 2, NULL, 0), DBX_OK);
    const char *del[] = {"stage"};
    dbx_serving_tag add2[] = {{"team", "fraud"}};
    assert_int_equal(dbx_serving_patch_tags(C, "ep", add2, 1, del, 1), DBX_OK);
    req = emu_last_request(e, API "/ep/tags");
    assert_string_equal(json_string_value(json_object_get(req, "method")), "PATCH");
    assert_string_equal(json_string_value(json_array_get(emu_req_json(req, "delete_tags"), 0)), "stage");
    assert_string_equal(json_string_value(json_object_get(json_array_get(emu_req_json(req, "add_tags"), 0), "key")),
                        "team");
    json_decref(req);
    ep = get_ep("ep");
    assert_int_equal(dbx_serving_endpoint_tag_count(ep), 1);
    assert_string_equal(dbx_serving_endpoint_tag(ep, "team"), "fraud");
    dbx_serving_endpoint_free(ep);
    emu_clear_requests(e);
    expect_local_einval(dbx_serving_patch_tags(C, "ep", NULL, 0, NULL, 0), C, "nothing to add or remove");
    const char *bad[] = {""};
    expect_local_einval(dbx_serving_patch_tags(C, "ep", NULL, 0, bad, 1), C, "remove[0] is required");

    /* logs */
    char *logs = NULL;
    emu_clear_requests(e);
    assert_int_equal(dbx_serving_build_logs(&logs, C, "ep", "challenger"), DBX_OK);
    assert_non_null(strstr(logs, "Build succeeded"));
    dbx_free(logs);
    assert_int_equal(emu_count(e, API "/ep/served-models/challenger/build-logs"), 1);
    assert_int_equal(dbx_serving_server_logs(&logs, C, "ep", "fraud-1"), DBX_OK);
    assert_non_null(strstr(logs, "Model server started; model fraud version 1"));
    dbx_free(logs);
    assert_int_equal(emu_count(e, API "/ep/served-models/fraud-1/logs"), 1);
    assert_int_equal(dbx_serving_server_logs(&logs, C, "ep", "nobody"), DBX_ENOTFOUND);
    assert_null(logs);

    /* delete */
    emu_clear_requests(e);
    assert_int_equal(dbx_serving_delete(C, "ep"), DBX_OK);
    req = emu_last_request(e, API "/ep");
    assert_string_equal(json_string_value(json_object_get(req, "method")), "DELETE");
    json_decref(req);
    assert_int_equal(dbx_serving_get(&ep, C, "ep"), DBX_ENOTFOUND);
    assert_int_equal(dbx_serving_delete(C, "ep"), DBX_ENOTFOUND);
    emu_clear_requests(e);
    expect_local_einval(dbx_serving_delete(C, NULL), C, "name is required");
    expect_local_einval(dbx_serving_build_logs(&logs, C, "ep", ""), C, "served is required");
}

/* ---- waiter ------------------------------------------------------------------------------------ */

typedef struct poll_log {
    int n;
    long advance_ms; /* virtual time to pass after each poll */
    int cancel_at;   /* cancel on this poll (0: never) */
    char states[8][64];
} poll_log;

static int on_poll(const char *id, const char *st, void *payload)
{
    poll_log *p = payload;
    assert_string_equal(id, "w-ep");
    if (p->n < 8)
        snprintf(p->states[p->n], sizeof p->states[0], "%s", st);
    p->n++;
    if (p->advance_ms)
        emu_advance(emu_get(), p->advance_ms);
    return p->cancel_at && p->n >= p->cancel_at;
}

static void test_wait_ready(void **state)
{
    (void)state;
    emu *e = emu_get();
    register_version("fraud", MODEL_A);
    register_version("fraud", NULL); /* version 2: no model.json, fails to deploy */
    emu_config(e, "{\"serving_deploy_ms\": 5000}");
    create_ep("w-ep", one_entity("fraud", "1"));

    /* the virtual clock stands still: the caller's deadline ends the wait */
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.timeout_ms = 3000;
    dbx_serving_endpoint *ep = NULL;
    poll_log pl = {0};
    w.on_poll = on_poll;
    w.payload = &pl;
    assert_int_equal(dbx_serving_wait_ready(&ep, C, "w-ep", &w), DBX_ETIMEOUT);
    assert_non_null(ep); /* the last snapshot */
    assert_int_equal(dbx_serving_endpoint_ready(ep), DBX_SERVING_READY_NOT_READY);
    assert_string_equal(pl.states[0], "NOT_READY/IN_PROGRESS");
    assert_non_null(strstr(dbx_client_last_error(C)->message, "READY and NOT_UPDATING"));
    dbx_serving_endpoint_free(ep);

    /* 2 s of virtual time per poll (deploy due at 5 s): seen at the fourth poll (6 s) */
    emu_clear_requests(e);
    pl = (poll_log){0};
    pl.advance_ms = 2000;
    w.timeout_ms = 0;
    assert_int_equal(dbx_serving_wait_ready(&ep, C, "w-ep", &w), DBX_OK);
    assert_int_equal(pl.n, 4);
    assert_string_equal(pl.states[2], "NOT_READY/IN_PROGRESS");
    assert_string_equal(pl.states[3], "READY/NOT_UPDATING");
    assert_int_equal(emu_count(e, API "/w-ep"), 4);
    assert_int_equal(dbx_serving_endpoint_config_version(ep, DBX_SERVING_ACTIVE), 1);
    dbx_serving_endpoint_free(ep);
    /* already ready: one poll */
    assert_int_equal(dbx_serving_wait_ready(NULL, C, "w-ep", NULL), DBX_OK);

    /* an update to a version that cannot deploy: DBX_ESTATE with the entity's reason */
    dbx_serving_config *cfg = one_entity("fraud", "2");
    assert_int_equal(dbx_serving_update_config(NULL, C, "w-ep", cfg), DBX_OK);
    dbx_serving_config_free(cfg);
    pl = (poll_log){0};
    pl.advance_ms = 2000;
    assert_int_equal(dbx_serving_wait_ready(&ep, C, "w-ep", &w), DBX_ESTATE);
    /* the fourth poll sees UPDATE_FAILED and ends the wait before on_poll */
    assert_int_equal(pl.n, 3);
    assert_string_equal(pl.states[0], "READY/IN_PROGRESS");
    assert_string_equal(pl.states[2], "READY/IN_PROGRESS");
    assert_non_null(ep);
    assert_int_equal(dbx_serving_endpoint_config_update(ep), DBX_SERVING_CONFIG_UPDATE_UPDATE_FAILED);
    assert_int_equal(dbx_serving_endpoint_entity_deployment(ep, DBX_SERVING_PENDING, 0), DBX_SERVING_DEPLOYMENT_FAILED);
    const char *why = dbx_serving_endpoint_entity_deployment_message(ep, DBX_SERVING_PENDING, 0);
    assert_true(strlen(why) > 0);
    const dbx_error *err = dbx_client_last_error(C);
    assert_int_equal(err->status, DBX_ESTATE);
    assert_non_null(strstr(err->message, "config update UPDATE_FAILED: fraud-2 (DEPLOYMENT_FAILED): "));
    assert_non_null(strstr(err->message, why));
    dbx_serving_endpoint_free(ep);
    /* the old config still serves */
    ep = get_ep("w-ep");
    assert_int_equal(dbx_serving_endpoint_ready(ep), DBX_SERVING_READY_READY);
    assert_int_equal(dbx_serving_endpoint_config_version(ep, DBX_SERVING_ACTIVE), 1);
    dbx_serving_endpoint_free(ep);

    /* cancellation from on_poll; a missing endpoint; bad arguments */
    cfg = one_entity("fraud", "1");
    assert_int_equal(dbx_serving_update_config(NULL, C, "w-ep", cfg), DBX_OK);
    dbx_serving_config_free(cfg);
    pl = (poll_log){0};
    pl.cancel_at = 1;
    assert_int_equal(dbx_serving_wait_ready(&ep, C, "w-ep", &w), DBX_ECANCELLED);
    assert_int_equal(dbx_serving_endpoint_config_update(ep), DBX_SERVING_CONFIG_UPDATE_IN_PROGRESS);
    dbx_serving_endpoint_free(ep);
    assert_int_equal(dbx_serving_wait_ready(&ep, C, "nope", NULL), DBX_ENOTFOUND);
    assert_null(ep);
    emu_clear_requests(e);
    expect_local_einval(dbx_serving_wait_ready(&ep, C, "", NULL), C, "name is required");
    w.version = 77;
    assert_int_equal(dbx_serving_wait_ready(&ep, C, "w-ep", &w), DBX_EINVAL);
    assert_int_equal(emu_count(e, NULL), 0);
}

/* ---- query ---------------------------------------------------------------------------------- */

/* Expected scores, computed in Python (no libm here: the test links none):
 * model A on (2.5, 13, web) = sigmoid(0.8), on (-1.0, 2, pos) = sigmoid(-4.0); sigmoid(2). */
#define A_ROW0 0.6899744811276125
#define A_ROW1 0.01798620996209156
#define SIGMOID_2 0.8807970779778823
#define near(a, b) (((a) - (b)) < 1e-9 && ((b) - (a)) < 1e-9)
#define is_nan(x) ((x) != (x))

#define INV "/serving-endpoints/q-ep/invocations"

static dbx_serving_input *table(dbx_serving_format f)
{
    dbx_serving_input *in = NULL;
    const char *cols[] = {"amount", "hour", "channel"};
    assert_int_equal(dbx_serving_input_new(&in, f), DBX_OK);
    assert_int_equal(dbx_serving_input_set_columns(in, cols, 3), DBX_OK);
    assert_int_equal(dbx_serving_input_add_row(in), DBX_OK);
    assert_int_equal(dbx_serving_input_add_double(in, 2.5), DBX_OK);
    assert_int_equal(dbx_serving_input_add_int(in, 13), DBX_OK);
    assert_int_equal(dbx_serving_input_add_string(in, "web"), DBX_OK);
    assert_int_equal(dbx_serving_input_add_row(in), DBX_OK);
    assert_int_equal(dbx_serving_input_add_double(in, -1.0), DBX_OK);
    assert_int_equal(dbx_serving_input_add_int(in, 2), DBX_OK);
    assert_int_equal(dbx_serving_input_add_string(in, "pos"), DBX_OK);
    return in;
}

static void expect_two_predictions(const dbx_serving_result *r)
{
    assert_int_equal(dbx_serving_result_count(r), 2);
    assert_int_equal(dbx_serving_result_type(r, 0), DBX_SERVING_VALUE_NUMBER);
    assert_true(near(dbx_serving_result_double(r, 0), A_ROW0));
    assert_true(near(dbx_serving_result_double(r, 1), A_ROW1));
    assert_string_equal(dbx_serving_result_served_model_name(r), "fraud-1");
}

static void test_query_formats(void **state)
{
    (void)state;
    emu *e = emu_get();
    register_version("fraud", MODEL_A);
    create_ep("q-ep", one_entity("fraud", "1"));
    assert_int_equal(dbx_serving_wait_ready(NULL, C, "q-ep", NULL), DBX_OK);

    static const char *keys[] = {"", "dataframe_split", "dataframe_records", "instances", "inputs"};
    for (int f = DBX_SERVING_DATAFRAME_SPLIT; f <= DBX_SERVING_INPUTS; f++) {
        dbx_serving_input *in = table((dbx_serving_format)f);
        assert_int_equal(dbx_serving_input_set_params(in, "{\"threshold\":0.4}"), DBX_OK);
        assert_int_equal(dbx_serving_input_set_client_request_id(in, "txn-42"), DBX_OK);
        emu_clear_requests(e);
        dbx_serving_result *r = NULL;
        dbx_status st = dbx_serving_query_input(&r, C, "q-ep", in, NULL);
        if (st != DBX_OK)
            fail_msg("format %s: %s %s", keys[f], dbx_status_name(st), dbx_client_last_error(C)->message);
        expect_two_predictions(r);
        assert_true(dbx_serving_result_latency_ms(r) >= 0);
        assert_non_null(strstr(dbx_serving_result_predictions_json(r), "["));
        assert_non_null(strstr(dbx_serving_result_json(r), "\"predictions\""));
        dbx_serving_result_free(r);
        json_t *req = emu_last_request(e, INV);
        assert_non_null(req);
        assert_string_equal(json_string_value(json_object_get(req, "method")), "POST");
        assert_string_equal(json_string_value(emu_req_json(req, "client_request_id")), "txn-42");
        assert_true(json_real_value(json_object_get(emu_req_json(req, "params"), "threshold")) == 0.4);
        json_t *v = emu_req_json(req, keys[f]);
        assert_non_null(v);
        switch (f) {
        case DBX_SERVING_DATAFRAME_SPLIT:
            assert_string_equal(json_string_value(json_array_get(json_object_get(v, "columns"), 2)), "channel");
            assert_int_equal(json_integer_value(json_array_get(json_array_get(json_object_get(v, "data"), 1), 1)), 2);
            break;
        case DBX_SERVING_DATAFRAME_RECORDS:
        case DBX_SERVING_INSTANCES:
            assert_int_equal(json_array_size(v), 2);
            assert_string_equal(json_string_value(json_object_get(json_array_get(v, 1), "channel")), "pos");
            assert_true(json_real_value(json_object_get(json_array_get(v, 0), "amount")) == 2.5);
            break;
        default:
            assert_int_equal(json_array_size(json_object_get(v, "hour")), 2);
            assert_int_equal(json_integer_value(json_array_get(json_object_get(v, "hour"), 0)), 13);
            break;
        }
        json_decref(req);
        dbx_serving_input_free(in);
    }

    /* raw JSON body, sent as given */
    dbx_serving_result *r = NULL;
    const char *raw = "{\"dataframe_split\":{\"columns\":[\"amount\",\"hour\",\"channel\"],"
                      "\"data\":[[2.5,13,\"web\"],[-1.0,2,\"pos\"]]}}";
    emu_clear_requests(e);
    dbx_serving_query_options qo = DBX_SERVING_QUERY_OPTIONS_INIT;
    qo.timeout_ms = 60000;
    assert_int_equal(dbx_serving_query(&r, C, "q-ep", raw, &qo), DBX_OK);
    expect_two_predictions(r);
    assert_null(dbx_serving_result_string(r, 0));
    assert_false(dbx_serving_result_is_null(r, 0));
    assert_int_equal(dbx_serving_result_type(r, 2), DBX_SERVING_VALUE_ABSENT);
    assert_true(is_nan(dbx_serving_result_double(r, 2)));
    dbx_serving_result_free(r);
    json_t *req = emu_last_request(e, INV);
    assert_int_equal(json_array_size(json_object_get(emu_req_json(req, "dataframe_split"), "data")), 2);
    json_decref(req);

    /* the model's refusal, with the endpoint's message */
    assert_int_equal(dbx_serving_query(&r, C, "q-ep", "{\"dataframe_records\":[{\"amount\":1}]}", NULL),
                     DBX_EBADREQUEST);
    assert_null(r);
    const dbx_error *err = dbx_client_last_error(C);
    assert_int_equal(err->http_status, 400);
    assert_string_equal(err->error_code, "BAD_REQUEST");
    assert_non_null(strstr(err->message, "Model is missing inputs"));
    assert_int_equal(dbx_serving_query(&r, C, "nope", raw, NULL), DBX_ENOTFOUND);
    dbx_serving_delete(C, "q-ep");
}

static void test_query_typed_outputs_and_errors(void **state)
{
    (void)state;
    emu *e = emu_get();
    register_version("lbl", "{\"flavor\":\"logistic\",\"features\":[\"x\"],\"coefficients\":[1.0],\"output\":\"both\"}");
    create_ep("q-ep", one_entity("lbl", "1"));
    assert_int_equal(dbx_serving_wait_ready(NULL, C, "q-ep", NULL), DBX_OK);
    dbx_serving_result *r = NULL;
    assert_int_equal(dbx_serving_query(&r, C, "q-ep", "{\"inputs\":{\"x\":[2.0,-2.0]}}", NULL), DBX_OK);
    assert_int_equal(dbx_serving_result_count(r), 2);
    assert_int_equal(dbx_serving_result_type(r, 0), DBX_SERVING_VALUE_OBJECT);
    assert_true(near(dbx_serving_result_field_double(r, 0, "probability"), SIGMOID_2));
    assert_int_equal((int)dbx_serving_result_field_double(r, 0, "label"), 1);
    assert_int_equal((int)dbx_serving_result_field_double(r, 1, "label"), 0);
    assert_true(is_nan(dbx_serving_result_field_double(r, 0, "nope")));
    assert_null(dbx_serving_result_field_string(r, 0, "probability"));
    assert_true(is_nan(dbx_serving_result_double(r, 0)));
    dbx_serving_result_free(r);

    /* other prediction types, from a canned answer (served-model-name header absent) */
    emu_fault(e, "{\"method\":\"POST\",\"path\":\"" INV "\",\"action\":\"status\",\"status\":200,"
                 "\"body\":{\"predictions\":[\"fraud\",null,7,true,[1]]}}");
    assert_int_equal(dbx_serving_query(&r, C, "q-ep", "{\"inputs\":{\"x\":[1]}}", NULL), DBX_OK);
    assert_int_equal(dbx_serving_result_count(r), 5);
    assert_string_equal(dbx_serving_result_string(r, 0), "fraud");
    assert_int_equal(dbx_serving_result_type(r, 1), DBX_SERVING_VALUE_NULL);
    assert_true(dbx_serving_result_is_null(r, 1));
    assert_int_equal(dbx_serving_result_int(r, 2, -1), 7);
    assert_int_equal(dbx_serving_result_int(r, 0, -1), -1);
    assert_int_equal(dbx_serving_result_type(r, 3), DBX_SERVING_VALUE_BOOL);
    assert_int_equal(dbx_serving_result_type(r, 4), DBX_SERVING_VALUE_ARRAY);
    assert_string_equal(dbx_serving_result_predictions_json(r), "[\"fraud\",null,7,true,[1]]");
    assert_string_equal(dbx_serving_result_served_model_name(r), "");
    dbx_serving_result_free(r);
    /* an answer without predictions (e.g. feature serving): count 0, JSON kept */
    emu_fault(e, "{\"method\":\"POST\",\"path\":\"" INV "\",\"action\":\"status\",\"status\":200,"
                 "\"body\":{\"outputs\":[1,2]}}");
    assert_int_equal(dbx_serving_query(&r, C, "q-ep", "{\"inputs\":{\"x\":[1]}}", NULL), DBX_OK);
    assert_int_equal(dbx_serving_result_count(r), 0);
    assert_string_equal(dbx_serving_result_predictions_json(r), "");
    assert_non_null(strstr(dbx_serving_result_json(r), "\"outputs\""));
    dbx_serving_result_free(r);
    /* a malformed answer */
    emu_fault(e, "{\"method\":\"POST\",\"path\":\"" INV "\",\"action\":\"malformed\",\"body\":\"{\\\"predictions\\\": [0.1,\"}");
    assert_int_equal(dbx_serving_query(&r, C, "q-ep", "{\"inputs\":{\"x\":[1]}}", NULL), DBX_EBADRESPONSE);
    assert_null(r);

    /* 429 with Retry-After: retried, and the wait counts in the latency (fake clock) */
    emu_clear_requests(e);
    emu_fault(e, "{\"method\":\"POST\",\"path\":\"" INV "\",\"action\":\"status\",\"status\":429,"
                 "\"headers\":{\"Retry-After\":\"3\"}}");
    assert_int_equal(dbx_serving_query(&r, C, "q-ep", "{\"inputs\":{\"x\":[1]}}", NULL), DBX_OK);
    assert_int_equal(emu_count(e, INV), 2);
    assert_true(dbx_serving_result_latency_ms(r) >= 3000);
    assert_int_equal(dbx_serving_result_count(r), 1);
    dbx_serving_result_free(r);

    /* local refusals: no request */
    emu_clear_requests(e);
    size_t big = DBX_SERVING_MAX_PAYLOAD_BYTES + 1;
    char *huge = malloc(big + 1);
    assert_non_null(huge);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    huge[big] = 0;
    expect_local_einval(dbx_serving_query(&r, C, "q-ep", huge, NULL), C, "body is 16777217 bytes, over the serving payload limit");
    dbx_serving_input *in = NULL;
    const char *col[] = {"x"};
    assert_int_equal(dbx_serving_input_new(&in, DBX_SERVING_INPUTS), DBX_OK);
    assert_int_equal(dbx_serving_input_set_columns(in, col, 1), DBX_OK);
    assert_int_equal(dbx_serving_input_add_row(in), DBX_OK);
    memset(huge, 'a', big);
    assert_int_equal(dbx_serving_input_add_string(in, huge), DBX_OK);
    free(huge);
    expect_local_einval(dbx_serving_query_input(&r, C, "q-ep", in, NULL), C, "input is 16777");
    dbx_serving_input_free(in);
    expect_local_einval(dbx_serving_query(&r, C, "q-ep", "{\"inputs\":", NULL), C, "body is not valid JSON");
    expect_local_einval(dbx_serving_query(&r, C, "q-ep", "[1]", NULL), C, "body must be a JSON object");
    expect_local_einval(dbx_serving_query(&r, C, "", "{}", NULL), C, "name is required");
    dbx_serving_query_options qo = DBX_SERVING_QUERY_OPTIONS_INIT;
    qo.timeout_ms = -1;
    expect_local_einval(dbx_serving_query(&r, C, "q-ep", "{}", &qo), C, "timeout_ms is negative");

    /* input builder refusals */
    assert_int_equal(dbx_serving_input_new(&in, DBX_SERVING_DATAFRAME_SPLIT), DBX_OK);
    expect_local_einval(dbx_serving_query_input(&r, C, "q-ep", in, NULL), C, "it has no columns");
    expect_local_einval(dbx_serving_input_add_row(in), NULL, "set the columns first");
    const char *dup[] = {"a", "a"};
    expect_local_einval(dbx_serving_input_set_columns(in, dup, 2), NULL, "column \"a\" is repeated");
    const char *two[] = {"a", "b"};
    assert_int_equal(dbx_serving_input_set_columns(in, two, 2), DBX_OK);
    expect_local_einval(dbx_serving_input_add_double(in, 1.0), NULL, "add a row first");
    assert_int_equal(dbx_serving_input_add_row(in), DBX_OK);
    expect_local_einval(dbx_serving_input_set_columns(in, two, 2), NULL, "before the first row");
    expect_local_einval(dbx_serving_input_add_double(in, NAN), NULL, "finite");
    assert_int_equal(dbx_serving_input_add_null(in), DBX_OK);
    expect_local_einval(dbx_serving_query_input(&r, C, "q-ep", in, NULL), C, "row 0 has 1 of 2 cells");
    expect_local_einval(dbx_serving_input_add_row(in), NULL, "row 0 has 1 of 2 cells");
    assert_int_equal(dbx_serving_input_add_bool(in, 1), DBX_OK);
    expect_local_einval(dbx_serving_input_add_int(in, 3), NULL, "already has a cell for each");
    expect_local_einval(dbx_serving_input_set_params(in, "[1]"), NULL, "params must be a JSON object");
    char *j = NULL;
    assert_int_equal(dbx_serving_input_to_json(&j, in), DBX_OK);
    assert_string_equal(j, "{\"dataframe_split\":{\"columns\":[\"a\",\"b\"],\"data\":[[null,true]]}}");
    dbx_free(j);
    dbx_serving_input_free(in);
    assert_int_equal(dbx_serving_input_new(&in, (dbx_serving_format)9), DBX_EINVAL);
    assert_null(in);

    /* the per-call timeout: one slow attempt, not retried (last: the emulator answers it later) */
    emu_clear_requests(e);
    emu_fault(e, "{\"method\":\"POST\",\"path\":\"" INV "\",\"action\":\"delay\",\"delay_ms\":1500}");
        qo.timeout_ms = 200;
    assert_int_equal(dbx_serving_query(&r, C, "q-ep", "{\"inputs\":{\"x\":[1]}}", &qo), DBX_ETIMEOUT);
    assert_null(r);
    assert_int_equal(dbx_client_last_error(C)->attempts, 1); /* (the emulator logs it once its delay ends) */

}


/* ---- inference tables ---------------------------------------------------------------- */

static void test_inference_table(void **state)
{
    (void)state;
    emu *e = emu_get();
    register_version("fraud", MODEL_A);
    dbx_serving_create_options co = DBX_SERVING_CREATE_OPTIONS_INIT;
    co.extra_json = "{\"ai_gateway\":{\"usage_tracking_config\":{\"enabled\":true}}}";
    dbx_serving_config *cfg = one_entity("fraud", "1");
    assert_int_equal(dbx_serving_create(NULL, C, "itep", cfg, &co), DBX_OK);
    dbx_serving_config_free(cfg);
    assert_int_equal(dbx_serving_wait_ready(NULL, C, "itep", NULL), DBX_OK);
    dbx_serving_endpoint *ep = get_ep("itep");
    assert_string_equal(dbx_serving_endpoint_inference_table(ep), "");
    dbx_serving_endpoint_free(ep);

    /* bad arguments: before any request */
    emu_clear_requests(e);
    expect_local_einval(dbx_serving_set_inference_table(C, NULL, "main", "default", NULL, 1), C, "name");
    expect_local_einval(dbx_serving_set_inference_table(C, "itep", NULL, "default", NULL, 1), C, "catalog_name");
    expect_local_einval(dbx_serving_set_inference_table(C, "itep", "main", "", NULL, 1), C, "schema_name");

    emu_clear_requests(e);
    assert_int_equal(dbx_serving_set_inference_table(C, "itep", "main", "default", NULL, 1), DBX_OK);
    json_t *req = emu_last_request(e, API "/itep/ai-gateway");
    assert_non_null(req);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "PUT");
    json_t *itc = emu_req_json(req, "inference_table_config");
    assert_string_equal(json_string_value(json_object_get(itc, "catalog_name")), "main");
    assert_string_equal(json_string_value(json_object_get(itc, "schema_name")), "default");
    assert_true(json_is_true(json_object_get(itc, "enabled")));
    assert_null(json_object_get(itc, "table_name_prefix"));
    /* the gateway's other settings are sent back unchanged */
    assert_true(json_is_true(json_object_get(emu_req_json(req, "usage_tracking_config"), "enabled")));
    json_decref(req);
    ep = get_ep("itep");
    assert_string_equal(dbx_serving_endpoint_inference_table(ep), "main.default.itep_payload");
    dbx_serving_endpoint_free(ep);

    /* a scored request lands there, readable by statement execution */
    dbx_serving_result *r = NULL;
    assert_int_equal(dbx_serving_query(&r, C, "itep",
                                       "{\"dataframe_records\":[{\"amount\":2.5,\"hour\":13,\"channel\":\"web\"}],"
                                       "\"client_request_id\":\"txn-7\"}",
                                       NULL),
                     DBX_OK);
    dbx_serving_result_free(r);
    dbx_sql_statement *st = NULL;
    assert_int_equal(dbx_sql_run(&st, C, "5eedc0ffee000001",
                                 "SELECT client_request_id, status_code FROM main.default.itep_payload", NULL, NULL,
                                 NULL),
                     DBX_OK);
    dbx_sql_rows *rows = NULL;
    assert_int_equal(dbx_sql_rows_open(&rows, C, st, NULL), DBX_OK);
    assert_int_equal(dbx_sql_rows_next(rows), DBX_OK);
    assert_string_equal(dbx_sql_rows_str(rows, 0), "txn-7");
    int64_t code = 0;
    assert_int_equal(dbx_sql_rows_int64(&code, rows, 1), DBX_OK);
    assert_int_equal(code, 200);
    assert_int_equal(dbx_sql_rows_next(rows), DBX_DONE);
    dbx_sql_rows_free(rows);
    dbx_sql_statement_free(st);

    /* a prefix, then disabling: the location is kept, the table name goes */
    assert_int_equal(dbx_serving_set_inference_table(C, "itep", "main", "default", "Fraud_Log", 1), DBX_OK);
    ep = get_ep("itep");
    assert_string_equal(dbx_serving_endpoint_inference_table(ep), "main.default.fraud_log_payload");
    dbx_serving_endpoint_free(ep);
    assert_int_equal(dbx_serving_set_inference_table(C, "itep", NULL, NULL, NULL, 0), DBX_OK);
    req = emu_last_request(e, API "/itep/ai-gateway");
    itc = emu_req_json(req, "inference_table_config");
    assert_string_equal(json_string_value(json_object_get(itc, "catalog_name")), "main");
    assert_string_equal(json_string_value(json_object_get(itc, "table_name_prefix")), "Fraud_Log");
    assert_true(json_is_false(json_object_get(itc, "enabled")));
    json_decref(req);
    ep = get_ep("itep");
    assert_string_equal(dbx_serving_endpoint_inference_table(ep), "");
    dbx_serving_endpoint_free(ep);

    /* a missing schema and a missing endpoint */
    assert_int_equal(dbx_serving_set_inference_table(C, "itep", "main", "nope", NULL, 1), DBX_ENOTFOUND);
    assert_int_equal(dbx_serving_set_inference_table(C, "ghost", "main", "default", NULL, 1), DBX_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_builder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_get_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_tags_logs_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_ready, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_formats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_typed_outputs_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inference_table, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    emu_stop_all();
    return rc;
}
