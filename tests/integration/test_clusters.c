/*
 * Clusters API against the emulator over HTTP: every public function,
 * asserting on the request libdbx sent (from the emulator's request log)
 * and on the result.
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

static dbx_client *C;

static int setup(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_reset(e);
    emu_config(e, "{\"cluster_pending_ms\": 1000, \"cluster_restarting_ms\": 1000, "
                  "\"cluster_resizing_ms\": 500, \"cluster_terminating_ms\": 500}");
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

static char *create_cluster(const char *name, int workers)
{
    dbx_cluster_spec *s;
    assert_int_equal(dbx_cluster_spec_new(&s), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_spark_version(s, "15.4.x-scala2.12"), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_cluster_name(s, name), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_node_type_id(s, "i3.xlarge"), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_num_workers(s, workers), DBX_OK);
    char *id = NULL;
    assert_int_equal(dbx_clusters_create(&id, C, s), DBX_OK);
    dbx_cluster_spec_free(s);
    assert_non_null(id);
    return id;
}

static void wait_running(const char *id)
{
    emu_advance(emu_get(), 5000);
    dbx_cluster *cl = NULL;
    assert_int_equal(dbx_clusters_wait_running(&cl, C, id, NULL), DBX_OK);
    assert_int_equal(dbx_cluster_state(cl), DBX_CLUSTER_STATE_RUNNING);
    dbx_cluster_free(cl);
}

static void test_create_sends_spec_and_returns_id(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_cluster_spec *s;
    assert_int_equal(dbx_cluster_spec_new(&s), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_spark_version(s, "15.4.x-scala2.12"), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_cluster_name(s, "fraud-train"), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_node_type_id(s, "i3.xlarge"), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_driver_node_type_id(s, "i3.2xlarge"), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_autoscale(s, 2, 8), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_autotermination_minutes(s, 60), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_spark_conf(s, "spark.speculation", "true"), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_spark_env_var(s, "ENV", "prod"), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_custom_tag(s, "team", "fraud"), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_data_security_mode(s, "SINGLE_USER"), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_single_user_name(s, "svc@example.com"), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_runtime_engine(s, "PHOTON"), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_policy_id(s, "POL1"), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_instance_pool_id(s, "pool-1"), DBX_OK);
    assert_string_equal(json_string_value(json_object_get(dbx_cluster_spec_jansson(s), "instance_pool_id")), "pool-1");
    assert_int_equal(dbx_cluster_spec_set_json(s, "aws_attributes", "{\"availability\":\"SPOT_WITH_FALLBACK\"}"), DBX_OK);
    char *id = NULL;
    assert_int_equal(dbx_clusters_create(&id, C, s), DBX_OK);
    dbx_cluster_spec_free(s);
    assert_non_null(id);
    assert_true(strlen(id) > 10);

    json_t *req = emu_last_request(e, "/api/2.1/clusters/create");
    assert_non_null(req);
    const char *tls = getenv("DBX_TEST_TLS");
    assert_string_equal(json_string_value(json_object_get(req, "server")), tls && *tls == '1' ? "tls" : "main");
    assert_string_equal(json_string_value(json_object_get(req, "method")), "POST");
    assert_string_equal(emu_req_header(req, "authorization"), "Bearer " EMU_TOKEN);
    assert_string_equal(emu_req_header(req, "content-type"), "application/json");
    assert_non_null(strstr(emu_req_header(req, "user-agent"), "libdbx/" DBX_VERSION));
    json_t *b = json_object_get(req, "json");
    assert_string_equal(json_string_value(json_object_get(b, "spark_version")), "15.4.x-scala2.12");
    assert_string_equal(json_string_value(json_object_get(b, "instance_pool_id")), "pool-1");
    assert_string_equal(json_string_value(json_object_get(b, "policy_id")), "POL1");
    assert_string_equal(json_string_value(json_object_get(b, "data_security_mode")), "SINGLE_USER");
    assert_string_equal(json_string_value(json_object_get(b, "single_user_name")), "svc@example.com");
    assert_string_equal(json_string_value(json_object_get(b, "runtime_engine")), "PHOTON");
    assert_string_equal(json_string_value(json_object_get(b, "cluster_name")), "fraud-train");
    assert_string_equal(json_string_value(json_object_get(b, "driver_node_type_id")), "i3.2xlarge");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(b, "autoscale"), "max_workers")), 8);
    assert_null(json_object_get(b, "num_workers"));
    assert_int_equal(json_integer_value(json_object_get(b, "autotermination_minutes")), 60);
    assert_string_equal(json_string_value(json_object_get(json_object_get(b, "spark_conf"), "spark.speculation")), "true");
    assert_string_equal(json_string_value(json_object_get(json_object_get(b, "custom_tags"), "team")), "fraud");
    assert_string_equal(json_string_value(json_object_get(json_object_get(b, "spark_env_vars"), "ENV")), "prod");
    assert_string_equal(json_string_value(json_object_get(json_object_get(b, "aws_attributes"), "availability")),
                        "SPOT_WITH_FALLBACK");
    json_decref(req);

    dbx_cluster *cl = NULL;
    assert_int_equal(dbx_clusters_get(&cl, C, id), DBX_OK);
    assert_string_equal(dbx_cluster_id(cl), id);
    assert_string_equal(dbx_cluster_name(cl), "fraud-train");
    assert_int_equal(dbx_cluster_state(cl), DBX_CLUSTER_STATE_PENDING);
    assert_string_equal(dbx_cluster_state_str(cl), "PENDING");
    assert_string_equal(dbx_cluster_state_message(cl), "Starting cluster");
    assert_string_equal(dbx_cluster_creator_user_name(cl), "emulator-user@example.com");
    assert_string_equal(dbx_cluster_source(cl), "API");
    const json_t *jv = dbx_cluster_jansson(cl);
    assert_string_equal(json_string_value(json_object_get(jv, "cluster_id")), id);
    assert_string_equal(dbx_cluster_spark_version(cl), "15.4.x-scala2.12");
    assert_string_equal(dbx_cluster_node_type_id(cl), "i3.xlarge");
    assert_string_equal(dbx_cluster_driver_node_type_id(cl), "i3.2xlarge");
    int mn, mx;
    assert_int_equal(dbx_cluster_autoscale(cl, &mn, &mx), 1);
    assert_int_equal(mn, 2);
    assert_int_equal(mx, 8);
    assert_int_equal(dbx_cluster_num_workers(cl), -1);
    assert_int_equal(dbx_cluster_autotermination_minutes(cl), 60);
    assert_string_equal(dbx_cluster_spark_conf(cl, "spark.speculation"), "true");
    assert_null(dbx_cluster_spark_conf(cl, "nope"));
    assert_string_equal(dbx_cluster_custom_tag(cl, "team"), "fraud");
    json_t *raw = json_loads(dbx_cluster_json(cl), 0, NULL);
    assert_non_null(raw);
    assert_string_equal(json_string_value(json_object_get(raw, "cluster_id")), id);
    json_decref(raw);
    dbx_cluster_free(cl);

    req = emu_last_request(e, "/api/2.1/clusters/get");
    assert_string_equal(json_string_value(json_object_get(req, "method")), "GET");
    assert_string_equal(emu_req_query(req, "cluster_id"), id);
    json_decref(req);
    dbx_free(id);
}

static void test_create_from_json_and_validation(void **state)
{
    (void)state;
    dbx_cluster_spec *s = NULL;
    assert_int_equal(dbx_cluster_spec_from_json(&s, "{\"spark_version\": 5}"), DBX_EINVAL);
    assert_null(s);
    assert_non_null(strstr(dbx_client_last_error(NULL)->message, "$.spark_version must be a string"));
    assert_int_equal(dbx_cluster_spec_from_json(&s, "{\"spark_version\":\"x\",\"num_workers\":1,"
                                                    "\"autoscale\":{\"min_workers\":1,\"max_workers\":2}}"),
                     DBX_EINVAL);
    assert_non_null(strstr(dbx_client_last_error(NULL)->message, "mutually exclusive"));
    assert_int_equal(dbx_cluster_spec_from_json(&s, "{\"custom_tags\":{\"a\":1}}"), DBX_EINVAL);
    assert_non_null(strstr(dbx_client_last_error(NULL)->message, "$.custom_tags.a"));
    assert_int_equal(dbx_cluster_spec_from_json(&s, "[1,2]"), DBX_EINVAL);
    assert_int_equal(dbx_cluster_spec_from_json(&s, "{\"spark_version\":"), DBX_EINVAL);
    assert_int_equal(dbx_cluster_spec_from_json(&s, "{\"autotermination_minutes\": 5}"), DBX_EINVAL);

    assert_int_equal(dbx_cluster_spec_from_json(&s, "{\"cluster_name\":\"from-json\",\"num_workers\":3,"
                                                    "\"unknown_future_field\":{\"x\":1}}"),
                     DBX_OK);
    char *id = NULL;
    /* spark_version is required for create: checked locally, no request sent */
    json_t *before = emu_requests_to(emu_get(), "/api/2.1/clusters/create");
    assert_int_equal(dbx_clusters_create(&id, C, s), DBX_EINVAL);
    assert_null(id);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "spark_version is required"));
    json_t *after = emu_requests_to(emu_get(), "/api/2.1/clusters/create");
    assert_int_equal(json_array_size(before), json_array_size(after));
    json_decref(before);
    json_decref(after);

    assert_int_equal(dbx_cluster_spec_set_spark_version(s, "15.4.x-scala2.12"), DBX_OK);
    char *text = NULL;
    assert_int_equal(dbx_cluster_spec_to_json(&text, s), DBX_OK);
    assert_non_null(strstr(text, "\"unknown_future_field\""));
    dbx_free(text);
    assert_int_equal(dbx_clusters_create(&id, C, s), DBX_OK);
    json_t *req = emu_last_request(emu_get(), "/api/2.1/clusters/create");
    json_t *b = json_object_get(req, "json");
    assert_int_equal(json_integer_value(json_object_get(b, "num_workers")), 3);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(b, "unknown_future_field"), "x")), 1);
    json_decref(req);
    dbx_cluster_spec_free(s);
    dbx_free(id);

    /* setters refuse bad values */
    assert_int_equal(dbx_cluster_spec_new(&s), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_num_workers(s, -1), DBX_EINVAL);
    assert_int_equal(dbx_cluster_spec_set_autoscale(s, 5, 2), DBX_EINVAL);
    assert_int_equal(dbx_cluster_spec_set_cluster_name(s, NULL), DBX_EINVAL);
    assert_int_equal(dbx_cluster_spec_set_custom_tag(s, "", "v"), DBX_EINVAL);
    assert_int_equal(dbx_cluster_spec_set_json(s, "num_workers", "\"three\""), DBX_EINVAL);
    assert_int_equal(dbx_cluster_spec_set_json(s, "init_scripts", "not json"), DBX_EINVAL);
    dbx_cluster_spec_free(s);
}

static void test_null_arguments(void **state)
{
    (void)state;
    dbx_cluster *cl = (dbx_cluster *)1;
    assert_int_equal(dbx_clusters_get(&cl, NULL, "x"), DBX_EINVAL);
    assert_null(cl);
    assert_int_equal(dbx_clusters_get(&cl, C, NULL), DBX_EINVAL);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "cluster_id is required"));
    assert_int_equal(dbx_clusters_get(&cl, C, ""), DBX_EINVAL);
    assert_int_equal(dbx_clusters_get(NULL, C, "x"), DBX_EINVAL);
    assert_int_equal(dbx_clusters_start(C, NULL), DBX_EINVAL);
    assert_int_equal(dbx_clusters_restart(C, "", NULL), DBX_EINVAL);
    assert_int_equal(dbx_clusters_resize(C, "x", -2), DBX_EINVAL);
    assert_int_equal(dbx_clusters_resize_autoscale(C, "x", 3, 1), DBX_EINVAL);
    assert_int_equal(dbx_clusters_delete(C, NULL), DBX_EINVAL);
    assert_int_equal(dbx_clusters_permanent_delete(C, NULL), DBX_EINVAL);
    assert_int_equal(dbx_clusters_edit(C, "x", NULL), DBX_EINVAL);
    char *id = (char *)1;
    assert_int_equal(dbx_clusters_create(&id, C, NULL), DBX_EINVAL);
    assert_null(id);
    assert_int_equal(dbx_clusters_list(NULL, C, NULL), DBX_EINVAL);
    assert_int_equal(dbx_clusters_events(NULL, C, "x", NULL), DBX_EINVAL);
    assert_int_equal(dbx_clusters_wait_running(NULL, C, NULL, NULL), DBX_EINVAL);
    const dbx_cluster *item;
    assert_int_equal(dbx_clusters_iter_next(&item, NULL), DBX_EINVAL);
    /* accessors are NULL-safe */
    assert_string_equal(dbx_cluster_id(NULL), "");
    assert_int_equal(dbx_cluster_state(NULL), DBX_CLUSTER_STATE_UNKNOWN);
    assert_null(dbx_cluster_json(NULL));
    dbx_cluster_free(NULL);
    dbx_clusters_iter_free(NULL);
    dbx_cluster_spec_free(NULL);
}

static void test_enums_and_version(void **state)
{
    (void)state;
    static const char *names[] = {"UNKNOWN", "PENDING", "RUNNING", "RESTARTING", "RESIZING",
                                  "TERMINATING", "TERMINATED", "ERROR"};
    for (int i = 0; i <= DBX_CLUSTER_STATE_ERROR; i++)
        assert_string_equal(dbx_cluster_state_name((dbx_cluster_state_t)i), names[i]);
    assert_string_equal(dbx_cluster_state_name((dbx_cluster_state_t)99), "UNKNOWN");

    int maj = -1, min = -1, pat = -1;
    dbx_version(&maj, &min, &pat);
    assert_int_equal(maj, DBX_VERSION_MAJOR);
    assert_int_equal(min, DBX_VERSION_MINOR);
    assert_int_equal(pat, DBX_VERSION_PATCH);
    dbx_version(NULL, NULL, NULL);
    assert_string_equal(dbx_version_str(), DBX_VERSION);
    assert_true(DBX_VERSION_AT_LEAST(0, 1, 0));
    assert_false(DBX_VERSION_AT_LEAST(99, 0, 0));
    const char *d = dbx_version_details();
    assert_true(strncmp(d, "libdbx/" DBX_VERSION " libcurl/", strlen("libdbx/" DBX_VERSION " libcurl/")) == 0);
    assert_non_null(strstr(d, "jansson/"));

    /* global init is reference-counted; clients keep working across it */
    assert_int_equal(dbx_global_init(), DBX_OK);
    assert_int_equal(dbx_global_init(), DBX_OK);
    dbx_global_cleanup();
    dbx_spark_versions *v = NULL;
    assert_int_equal(dbx_clusters_spark_versions(&v, C), DBX_OK);
    dbx_spark_versions_free(v);
    dbx_global_cleanup();
}

static void test_get_missing_is_not_found(void **state)
{
    (void)state;
    dbx_cluster *cl = NULL;
    assert_int_equal(dbx_clusters_get(&cl, C, "0000-000000-nothere0"), DBX_ENOTFOUND);
    assert_null(cl);
    const dbx_error *e = dbx_client_last_error(C);
    assert_int_equal(e->status, DBX_ENOTFOUND);
    assert_int_equal(e->http_status, 400);
    assert_string_equal(e->error_code, "INVALID_PARAMETER_VALUE");
    assert_non_null(strstr(e->message, "does not exist"));
    assert_string_equal(e->method, "GET");
    assert_string_equal(e->path, "/api/2.1/clusters/get");
    assert_true(strlen(e->request_id) > 0);
    assert_int_equal(e->attempts, 1);
    /* another thread's view, or another client's, is clean */
    assert_int_equal(dbx_client_last_error(NULL)->status, DBX_OK);
}

static void test_lifecycle_and_waiters(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *id = create_cluster("life", 2);

    /* waiter polls through PENDING; the emulator clock moves on between polls */
    dbx_cluster *cl = NULL;
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.timeout_ms = 3000;
    assert_int_equal(dbx_clusters_wait_running(&cl, C, id, &w), DBX_ETIMEOUT);
    assert_non_null(cl); /* last snapshot */
    assert_int_equal(dbx_cluster_state(cl), DBX_CLUSTER_STATE_PENDING);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "last state PENDING"));
    dbx_cluster_free(cl);
    wait_running(id);

    /* resize */
    assert_int_equal(dbx_clusters_resize(C, id, 5), DBX_OK);
    json_t *req = emu_last_request(e, "/api/2.1/clusters/resize");
    assert_string_equal(json_string_value(json_object_get(json_object_get(req, "json"), "cluster_id")), id);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(req, "json"), "num_workers")), 5);
    json_decref(req);
    assert_int_equal(dbx_clusters_get(&cl, C, id), DBX_OK);
    assert_int_equal(dbx_cluster_state(cl), DBX_CLUSTER_STATE_RESIZING);
    dbx_cluster_free(cl);
    wait_running(id);
    assert_int_equal(dbx_clusters_get(&cl, C, id), DBX_OK);
    assert_int_equal(dbx_cluster_num_workers(cl), 5);
    dbx_cluster_free(cl);

    assert_int_equal(dbx_clusters_resize_autoscale(C, id, 1, 4), DBX_OK);
    req = emu_last_request(e, "/api/2.1/clusters/resize");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(req, "json"), "autoscale"),
                                                        "max_workers")), 4);
    json_decref(req);
    wait_running(id);

    /* restart */
    assert_int_equal(dbx_clusters_restart(C, id, "ops@example.com"), DBX_OK);
    req = emu_last_request(e, "/api/2.1/clusters/restart");
    assert_string_equal(json_string_value(json_object_get(json_object_get(req, "json"), "restart_user")),
                        "ops@example.com");
    json_decref(req);
    assert_int_equal(dbx_clusters_get(&cl, C, id), DBX_OK);
    assert_int_equal(dbx_cluster_state(cl), DBX_CLUSTER_STATE_RESTARTING);
    dbx_cluster_free(cl);
    wait_running(id);

    /* edit a running cluster: it restarts with the new spec */
    dbx_cluster_spec *s;
    assert_int_equal(dbx_cluster_spec_from_json(&s, "{\"spark_version\":\"15.4.x-scala2.12\","
                                                    "\"cluster_name\":\"life-2\",\"num_workers\":1,"
                                                    "\"node_type_id\":\"i3.xlarge\"}"),
                     DBX_OK);
    assert_int_equal(dbx_clusters_edit(C, id, s), DBX_OK);
    req = emu_last_request(e, "/api/2.1/clusters/edit");
    assert_string_equal(json_string_value(json_object_get(json_object_get(req, "json"), "cluster_id")), id);
    assert_string_equal(json_string_value(json_object_get(json_object_get(req, "json"), "cluster_name")), "life-2");
    json_decref(req);
    wait_running(id);
    assert_int_equal(dbx_clusters_get(&cl, C, id), DBX_OK);
    assert_string_equal(dbx_cluster_name(cl), "life-2");
    dbx_cluster_free(cl);

    /* terminate, wait, start again */
    assert_int_equal(dbx_clusters_delete(C, id), DBX_OK);
    req = emu_last_request(e, "/api/2.1/clusters/delete");
    assert_string_equal(json_string_value(json_object_get(json_object_get(req, "json"), "cluster_id")), id);
    json_decref(req);
    emu_advance(e, 2000);
    assert_int_equal(dbx_clusters_wait_terminated(&cl, C, id, NULL), DBX_OK);
    assert_int_equal(dbx_cluster_state(cl), DBX_CLUSTER_STATE_TERMINATED);
    assert_string_equal(dbx_cluster_termination_code(cl), "USER_REQUEST");
    assert_string_equal(dbx_cluster_termination_type(cl), "SUCCESS");
    assert_true(dbx_cluster_terminated_time(cl) > 0);
    dbx_cluster_free(cl);

    /* resizing a terminated cluster is an invalid state */
    assert_int_equal(dbx_clusters_resize(C, id, 3), DBX_EINVALIDSTATE);
    assert_string_equal(dbx_client_last_error(C)->error_code, "INVALID_STATE");
    /* editing a terminated cluster keeps it terminated */
    assert_int_equal(dbx_clusters_edit(C, id, s), DBX_OK);
    dbx_cluster_spec_free(s);

    /* waiting for RUNNING on a terminated cluster fails fast with the reason */
    assert_int_equal(dbx_clusters_wait_running(&cl, C, id, NULL), DBX_ESTATE);
    assert_non_null(cl);
    assert_int_equal(dbx_cluster_state(cl), DBX_CLUSTER_STATE_TERMINATED);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "USER_REQUEST"));
    dbx_cluster_free(cl);

    assert_int_equal(dbx_clusters_start(C, id), DBX_OK);
    req = emu_last_request(e, "/api/2.1/clusters/start");
    assert_string_equal(json_string_value(json_object_get(json_object_get(req, "json"), "cluster_id")), id);
    json_decref(req);
    wait_running(id);
    assert_int_equal(dbx_clusters_get(&cl, C, id), DBX_OK);
    assert_true(dbx_cluster_start_time(cl) > 0);
    dbx_cluster_free(cl);

    /* permanent delete: gone */
    assert_int_equal(dbx_clusters_permanent_delete(C, id), DBX_OK);
    req = emu_last_request(e, "/api/2.1/clusters/permanent-delete");
    assert_string_equal(json_string_value(json_object_get(json_object_get(req, "json"), "cluster_id")), id);
    json_decref(req);
    assert_int_equal(dbx_clusters_get(&cl, C, id), DBX_ENOTFOUND);
    dbx_free(id);
}

static int cancel_after_two(const char *id, const char *st, void *payload)
{
    (void)id;
    int *n = payload;
    assert_string_equal(st, "PENDING");
    return ++*n >= 2;
}

static void test_waiter_cancel_and_error_state(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *id = create_cluster("cancel", 1);
    int polls = 0;
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.on_poll = cancel_after_two;
    w.payload = &polls;
    dbx_cluster *cl = NULL;
    assert_int_equal(dbx_clusters_wait_running(&cl, C, id, &w), DBX_ECANCELLED);
    assert_int_equal(polls, 2);
    assert_non_null(cl);
    dbx_cluster_free(cl);

    /* backoff: 1 s then 2 s (+50..750 ms jitter), never a real sleep */
    long sleeps[8];
    int n = fake_clock_sleeps(sleeps, 8);
    assert_true(n >= 1);
    assert_true(sleeps[0] >= 1050 && sleeps[0] <= 1750);

    /* a launch failure ends in TERMINATED with a reason: fail fast */
    char body[256];
    snprintf(body, sizeof body, "/__emulator/clusters/%s/state", id);
    json_decref(emu_ctl(e, "POST", body,
                        "{\"state\":\"TERMINATED\",\"state_message\":\"Instances unavailable\","
                        "\"termination_reason\":{\"code\":\"CLOUD_PROVIDER_LAUNCH_FAILURE\","
                        "\"type\":\"CLOUD_FAILURE\"}}"));
    assert_int_equal(dbx_clusters_wait_running(&cl, C, id, NULL), DBX_ESTATE);
    const dbx_error *err = dbx_client_last_error(C);
    assert_non_null(strstr(err->message, "CLOUD_PROVIDER_LAUNCH_FAILURE"));
    assert_non_null(strstr(err->message, "Instances unavailable"));
    assert_string_equal(err->error_code, "CLOUD_PROVIDER_LAUNCH_FAILURE");
    assert_string_equal(dbx_cluster_termination_type(cl), "CLOUD_FAILURE");
    dbx_cluster_free(cl);

    json_decref(emu_ctl(e, "POST", body, "{\"state\":\"ERROR\",\"state_message\":\"boom\"}"));
    assert_int_equal(dbx_clusters_wait_terminated(NULL, C, id, NULL), DBX_ESTATE);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "boom"));
    dbx_free(id);
}

static void test_list_pages_and_filters(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_config(e, "{\"page_size_clusters\": 2}");
    char *ids[5];
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", i);
        ids[i] = create_cluster(name, 1);
    }
    json_decref(emu_ctl(e, "DELETE", "/__emulator/requests", NULL));

    dbx_clusters_iter *it = NULL;
    assert_int_equal(dbx_clusters_list(&it, C, NULL), DBX_OK);
    /* no request until the first next() */
    json_t *reqs = emu_requests_to(e, "/api/2.1/clusters/list");
    assert_int_equal(json_array_size(reqs), 0);
    json_decref(reqs);
    const dbx_cluster *cl;
    int n = 0;
    dbx_status st;
    while ((st = dbx_clusters_iter_next(&cl, it)) == DBX_OK) {
        assert_string_equal(dbx_cluster_id(cl), ids[n]);
        assert_non_null(dbx_cluster_json(cl));
        n++;
    }
    assert_int_equal(st, DBX_DONE);
    assert_int_equal(n, 5);
    assert_int_equal(dbx_clusters_iter_next(&cl, it), DBX_DONE);
    dbx_clusters_iter_free(it);
    reqs = emu_requests_to(e, "/api/2.1/clusters/list");
    assert_int_equal(json_array_size(reqs), 3);
    assert_null(emu_req_query(json_array_get(reqs, 0), "page_token"));
    assert_non_null(emu_req_query(json_array_get(reqs, 1), "page_token"));
    assert_non_null(emu_req_query(json_array_get(reqs, 2), "page_token"));
    json_decref(reqs);

    /* max_items stops early without fetching more pages; page_size and filters are sent */
    json_decref(emu_ctl(e, "DELETE", "/__emulator/requests", NULL));
    dbx_cluster_state_t states[] = {DBX_CLUSTER_STATE_PENDING, DBX_CLUSTER_STATE_RUNNING};
    dbx_clusters_list_options lo = DBX_CLUSTERS_LIST_OPTIONS_INIT;
    lo.page_size = 2;
    lo.max_items = 3;
    lo.states = states;
    lo.n_states = 2;
    assert_int_equal(dbx_clusters_list(&it, C, &lo), DBX_OK);
    n = 0;
    while (dbx_clusters_iter_next(&cl, it) == DBX_OK)
        n++;
    dbx_clusters_iter_free(it);
    assert_int_equal(n, 3);
    reqs = emu_requests_to(e, "/api/2.1/clusters/list");
    assert_int_equal(json_array_size(reqs), 2);
    json_t *r0 = json_array_get(reqs, 0);
    assert_string_equal(emu_req_query(r0, "page_size"), "2");
    json_t *sv = json_object_get(json_object_get(r0, "query"), "filter_by.cluster_states");
    assert_int_equal(json_array_size(sv), 2);
    assert_string_equal(json_string_value(json_array_get(sv, 0)), "PENDING");
    assert_string_equal(json_string_value(json_array_get(sv, 1)), "RUNNING");
    json_decref(reqs);

    /* filter that matches nothing */
    dbx_cluster_state_t term[] = {DBX_CLUSTER_STATE_TERMINATED};
    lo.max_items = 0;
    lo.states = term;
    lo.n_states = 1;
    assert_int_equal(dbx_clusters_list(&it, C, &lo), DBX_OK);
    assert_int_equal(dbx_clusters_iter_next(&cl, it), DBX_DONE);
    dbx_clusters_iter_free(it);

    /* a failing page is retried by calling next() again: nothing lost */
    assert_int_equal(dbx_clusters_list(&it, C, NULL), DBX_OK);
    assert_int_equal(dbx_clusters_iter_next(&cl, it), DBX_OK);
    assert_int_equal(dbx_clusters_iter_next(&cl, it), DBX_OK);
    emu_fault(e, "{\"path\":\"/api/2.1/clusters/list\",\"action\":\"status\",\"status\":403,"
                 "\"body\":{\"error_code\":\"PERMISSION_DENIED\",\"message\":\"nope\"}}");
    assert_int_equal(dbx_clusters_iter_next(&cl, it), DBX_EPERMISSION);
    assert_null(cl);
    n = 2;
    while (dbx_clusters_iter_next(&cl, it) == DBX_OK)
        assert_string_equal(dbx_cluster_id(cl), ids[n++]);
    assert_int_equal(n, 5);
    dbx_clusters_iter_free(it);

    /* the iterator keeps its client alive: free the client first */
    dbx_client *c2 = emu_client(e);
    assert_int_equal(dbx_clusters_list(&it, c2, NULL), DBX_OK);
    dbx_client_free(c2);
    assert_int_equal(dbx_clusters_iter_next(&cl, it), DBX_OK);
    dbx_clusters_iter_free(it);

    for (int i = 0; i < 5; i++)
        dbx_free(ids[i]);
}

static void test_events(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_config(e, "{\"page_size_events\": 2}");
    char *id = create_cluster("ev", 1);
    wait_running(id);
    assert_int_equal(dbx_clusters_resize(C, id, 3), DBX_OK);
    wait_running(id);
    assert_int_equal(dbx_clusters_delete(C, id), DBX_OK);
    emu_advance(e, 2000);
    assert_int_equal(dbx_clusters_wait_terminated(NULL, C, id, NULL), DBX_OK);
    json_decref(emu_ctl(e, "DELETE", "/__emulator/requests", NULL));

    dbx_cluster_events_iter *it = NULL;
    dbx_cluster_events_options eo = DBX_CLUSTER_EVENTS_OPTIONS_INIT;
    eo.ascending = 1;
    assert_int_equal(dbx_clusters_events(&it, C, id, &eo), DBX_OK);
    const dbx_cluster_event *ev;
    int n = 0;
    int64_t prev = 0;
    char first[32] = "";
    while (dbx_cluster_events_iter_next(&ev, it) == DBX_OK) {
        assert_string_equal(dbx_cluster_event_cluster_id(ev), id);
        assert_true(dbx_cluster_event_timestamp(ev) >= prev);
        prev = dbx_cluster_event_timestamp(ev);
        assert_non_null(dbx_cluster_event_json(ev));
        assert_non_null(dbx_cluster_event_details_json(ev));
        assert_int_equal(json_integer_value(json_object_get(dbx_cluster_event_jansson(ev), "timestamp")),
                         dbx_cluster_event_timestamp(ev));
        if (n == 0)
            snprintf(first, sizeof first, "%s", dbx_cluster_event_type(ev));
        n++;
    }
    dbx_cluster_events_iter_free(it);
    assert_string_equal(first, "CREATING");
    assert_true(n >= 5);
    json_t *reqs = emu_requests_to(e, "/api/2.1/clusters/events");
    assert_true(json_array_size(reqs) >= 3); /* pages of 2 */
    json_t *b0 = json_object_get(json_array_get(reqs, 0), "json");
    assert_string_equal(json_string_value(json_object_get(b0, "cluster_id")), id);
    assert_string_equal(json_string_value(json_object_get(b0, "order")), "ASC");
    assert_null(json_object_get(b0, "page_token"));
    json_t *b1 = json_object_get(json_array_get(reqs, 1), "json");
    assert_non_null(json_string_value(json_object_get(b1, "page_token")));
    json_decref(reqs);

    /* filters and limits */
    const char *types[] = {"RESIZING", NULL};
    dbx_cluster_events_options fo = DBX_CLUSTER_EVENTS_OPTIONS_INIT;
    fo.event_types = types;
    fo.page_size = 10;
    fo.start_time = 1;
    fo.end_time = INT64_C(9999999999999);
    assert_int_equal(dbx_clusters_events(&it, C, id, &fo), DBX_OK);
    n = 0;
    while (dbx_cluster_events_iter_next(&ev, it) == DBX_OK) {
        assert_string_equal(dbx_cluster_event_type(ev), "RESIZING");
        n++;
    }
    dbx_cluster_events_iter_free(it);
    assert_int_equal(n, 1);
    json_t *req = emu_last_request(e, "/api/2.1/clusters/events");
    json_t *b = json_object_get(req, "json");
    assert_string_equal(json_string_value(json_array_get(json_object_get(b, "event_types"), 0)), "RESIZING");
    assert_int_equal(json_integer_value(json_object_get(b, "start_time")), 1);
    assert_int_equal(json_integer_value(json_object_get(b, "page_size")), 10);
    assert_null(json_object_get(b, "order")); /* only sent when asked */
    json_decref(req);
    fo.order = DBX_SORT_DESC;
    assert_int_equal(dbx_clusters_events(&it, C, id, &fo), DBX_OK);
    while (dbx_cluster_events_iter_next(&ev, it) == DBX_OK) {
    }
    dbx_cluster_events_iter_free(it);
    req = emu_last_request(e, "/api/2.1/clusters/events");
    assert_string_equal(json_string_value(json_object_get(json_object_get(req, "json"), "order")), "DESC");
    json_decref(req);
    fo.order = DBX_SORT_DEFAULT;

    fo.page_size = 501;
    assert_int_equal(dbx_clusters_events(&it, C, id, &fo), DBX_EINVAL);
    assert_null(it);
    dbx_free(id);
}

static void test_spark_versions_and_node_types(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_spark_versions *v = NULL;
    assert_int_equal(dbx_clusters_spark_versions(&v, C), DBX_OK);
    assert_true(dbx_spark_versions_count(v) >= 4);
    int found = 0;
    for (size_t i = 0; i < dbx_spark_versions_count(v); i++) {
        assert_true(strlen(dbx_spark_versions_key(v, i)) > 0);
        assert_true(strlen(dbx_spark_versions_name(v, i)) > 0);
        found |= strcmp(dbx_spark_versions_key(v, i), "15.4.x-scala2.12") == 0;
    }
    assert_true(found);
    assert_null(dbx_spark_versions_key(v, 1000));
    dbx_spark_versions_free(v);
    json_t *req = emu_last_request(e, "/api/2.1/clusters/spark-versions");
    assert_string_equal(json_string_value(json_object_get(req, "method")), "GET");
    json_decref(req);

    dbx_node_types *nt = NULL;
    assert_int_equal(dbx_clusters_list_node_types(&nt, C), DBX_OK);
    assert_true(dbx_node_types_count(nt) >= 4);
    found = 0;
    for (size_t i = 0; i < dbx_node_types_count(nt); i++) {
        if (strcmp(dbx_node_types_id(nt, i), "i3.xlarge") == 0) {
            found = 1;
            assert_int_equal(dbx_node_types_memory_mb(nt, i), 31232);
            assert_true(dbx_node_types_num_cores(nt, i) == 4.0);
            assert_true(strlen(dbx_node_types_description(nt, i)) > 0);
            assert_non_null(strstr(dbx_node_types_json(nt, i), "\"node_type_id\""));
        }
    }
    assert_true(found);
    assert_null(dbx_node_types_id(nt, 999));
    dbx_node_types_free(nt);
    req = emu_last_request(e, "/api/2.1/clusters/list-node-types");
    assert_non_null(req);
    json_decref(req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_sends_spec_and_returns_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_from_json_and_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enums_and_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_missing_is_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lifecycle_and_waiters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waiter_cancel_and_error_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_pages_and_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spark_versions_and_node_types, setup, teardown),
    };
    return cmocka_run_group_tests_name("clusters", tests, NULL, NULL);
}
