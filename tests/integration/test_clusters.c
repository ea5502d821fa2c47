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

#define API "/api/2.1/clusters"
#define N_OF(a) (sizeof(a) / sizeof *(a))
#define BOGUS_ID "0000-000000-nothere0"

static dbx_cluster_spec *spec_from(const char *json)
{
    dbx_cluster_spec *s = NULL;
    assert_int_equal(dbx_cluster_spec_from_json(&s, json), DBX_OK);
    return s;
}

static char *create_from(const char *json)
{
    dbx_cluster_spec *s = spec_from(json);
    char *id = NULL;
    assert_int_equal(dbx_clusters_create(&id, C, s), DBX_OK);
    dbx_cluster_spec_free(s);
    return id;
}

static dbx_cluster *get_cluster(const char *id)
{
    dbx_cluster *cl = NULL;
    assert_int_equal(dbx_clusters_get(&cl, C, id), DBX_OK);
    return cl;
}

static void expect_state(const char *id, dbx_cluster_state_t want)
{
    dbx_cluster *cl = get_cluster(id);
    assert_string_equal(dbx_cluster_state_str(cl), dbx_cluster_state_name(want));
    dbx_cluster_free(cl);
}

static void expect_autoscale(const dbx_cluster *cl, int min_workers, int max_workers)
{
    int mn, mx;
    assert_int_equal(dbx_cluster_autoscale(cl, &mn, &mx), 1);
    assert_int_equal(mn, min_workers);
    assert_int_equal(mx, max_workers);
    assert_int_equal(dbx_cluster_num_workers(cl), -1);
}

/* The events of `id` whose type is in `types` (NULL-terminated), oldest
 * first, are exactly `want`, in order. */
static void expect_events_of_types(const char *id, const char *const *types, const char *const *want, size_t n)
{
    dbx_cluster_events_options eo = DBX_CLUSTER_EVENTS_OPTIONS_INIT;
    eo.event_types = types;
    eo.order = DBX_SORT_ASC;
    dbx_cluster_events_iter *it = NULL;
    assert_int_equal(dbx_clusters_events(&it, C, id, &eo), DBX_OK);
    const dbx_cluster_event *ev;
    size_t i = 0;
    dbx_status st;
    while ((st = dbx_cluster_events_iter_next(&ev, it)) == DBX_OK) {
        assert_true(i < n);
        assert_string_equal(dbx_cluster_event_type(ev), want[i]);
        i++;
    }
    dbx_cluster_events_iter_free(it);
    assert_int_equal(st, DBX_DONE);
    assert_int_equal(i, n);
}

/* A call that must fail before any I/O: DBX_EINVAL, a last error (of `owner`;
 * NULL for the spec functions) whose message names `needle`, and still no
 * request in the emulator's log, which the caller emptied beforehand. */
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

/* The last request to API/<op> was a POST whose body is exactly {"cluster_id": id}. */
static void expect_id_only_body(const char *op, const char *id)
{
    char path[64];
    snprintf(path, sizeof path, API "/%s", op);
    json_t *req = emu_last_request(emu_get(), path);
    assert_non_null(req);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "POST");
    assert_int_equal(json_object_size(json_object_get(req, "json")), 1);
    assert_string_equal(json_string_value(emu_req_json(req, "cluster_id")), id);
    json_decref(req);
}

/* A missing cluster on a POST call: the emulator answers like the service
 * does for clusters/get (400 INVALID_PARAMETER_VALUE "Cluster <id> does not
 * exist"), but libdbx (like the official SDKs) maps that quirk to
 * DBX_ENOTFOUND for GET clusters/get only, so the public status is
 * DBX_EINVALIDPARAM with the raw code and message kept. */
static void expect_missing_cluster(dbx_status st, const char *op)
{
    char path[64];
    snprintf(path, sizeof path, API "/%s", op);
    const dbx_error *err = dbx_client_last_error(C);
    /* the service's 400 INVALID_PARAMETER_VALUE "Cluster X does not exist":
     * not found, for every clusters operation (clusters.h) */
    assert_int_equal(st, DBX_ENOTFOUND);
    assert_int_equal(err->status, DBX_ENOTFOUND);
    assert_int_equal(err->http_status, 400);
    assert_string_equal(err->error_code, "INVALID_PARAMETER_VALUE");
    assert_non_null(strstr(err->message, "Cluster " BOGUS_ID " does not exist"));
    assert_string_equal(err->method, "POST");
    assert_string_equal(err->path, path);
}

/* List with `o`; the cluster names must be `want`, in order, then DBX_DONE. */
static void expect_list_names(const dbx_clusters_list_options *o, const char *const *want, size_t n)
{
    dbx_clusters_iter *it = NULL;
    assert_int_equal(dbx_clusters_list(&it, C, o), DBX_OK);
    const dbx_cluster *cl;
    size_t i = 0;
    dbx_status st;
    while ((st = dbx_clusters_iter_next(&cl, it)) == DBX_OK) {
        if (i >= n || strcmp(dbx_cluster_name(cl), want[i]) != 0)
            fail_msg("list item %zu is \"%s\", want \"%s\"", i, dbx_cluster_name(cl), i < n ? want[i] : "(end)");
        i++;
    }
    dbx_clusters_iter_free(it);
    assert_int_equal(st, DBX_DONE);
    assert_int_equal(i, n);
}

/* Every clusters/list request in the log sent query parameter `key` with
 * exactly the values `vals`, in order (n == 0: not sent at all). */
static void expect_list_query(const char *key, const char *const *vals, size_t n)
{
    json_t *reqs = emu_requests_to(emu_get(), API "/list");
    assert_true(json_array_size(reqs) > 0);
    size_t i;
    json_t *r;
    json_array_foreach(reqs, i, r)
    {
        json_t *v = json_object_get(json_object_get(r, "query"), key);
        if (json_array_size(v) != n)
            fail_msg("list request %zu sent %zu value(s) of %s, want %zu", i, json_array_size(v), key, n);
        for (size_t k = 0; k < n; k++)
            assert_string_equal(json_string_value(json_array_get(v, k)), vals[k]);
    }
    json_decref(reqs);
}

static void expect_list_query1(const char *key, const char *val) { expect_list_query(key, &val, val ? 1 : 0); }

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
    expect_autoscale(cl, 2, 8);
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
    size_t before = emu_count(emu_get(), "/api/2.1/clusters/create");
    assert_int_equal(dbx_clusters_create(&id, C, s), DBX_EINVAL);
    assert_null(id);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "spark_version is required"));
    assert_int_equal(emu_count(emu_get(), "/api/2.1/clusters/create"), before);

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

    /* a caller polling every 100 ms gets jitter in proportion (5..75 ms), not 50..750 */
    fake_clock_reset_sleeps();
    polls = 0;
    w.poll_initial_ms = w.poll_max_ms = 100;
    assert_int_equal(dbx_clusters_wait_running(&cl, C, id, &w), DBX_ECANCELLED);
    dbx_cluster_free(cl);
    n = fake_clock_sleeps(sleeps, 8);
    assert_int_equal(n, 1);
    assert_true(sleeps[0] >= 105 && sleeps[0] <= 175);

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
    emu_clear_requests(e);

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
    emu_clear_requests(e);
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

/* dbx_cluster_events_options as a caller built against version 1 has it. */
typedef struct events_options_v1 {
    unsigned int version;
    int64_t start_time, end_time;
    int ascending;
    const char *const *event_types;
    int page_size;
    long max_items;
} events_options_v1;
_Static_assert(sizeof(events_options_v1) == offsetof(dbx_cluster_events_options, order),
               "version 1 is the prefix of dbx_cluster_events_options");

/* Read all events of `id` with `o`: `n` of them, newest or oldest first;
 * every page request sent `order` = `sent` (NULL: no `order` at all). */
static void expect_events_order(const char *id, const dbx_cluster_events_options *o, int n, const char *sent,
                                int newest_first)
{
    emu *e = emu_get();
    emu_clear_requests(e);
    dbx_cluster_events_iter *it = NULL;
    assert_int_equal(dbx_clusters_events(&it, C, id, o), DBX_OK);
    const dbx_cluster_event *ev;
    int64_t first = -1, prev = -1, ts = -1;
    int m = 0;
    while (dbx_cluster_events_iter_next(&ev, it) == DBX_OK) {
        ts = dbx_cluster_event_timestamp(ev);
        if (prev >= 0)
            assert_true(newest_first ? ts <= prev : ts >= prev);
        if (first < 0)
            first = ts;
        prev = ts;
        m++;
    }
    dbx_cluster_events_iter_free(it);
    assert_int_equal(m, n);
    assert_true(newest_first ? first > ts : first < ts);
    json_t *reqs = emu_requests_to(e, API "/events");
    assert_true(json_array_size(reqs) >= 2); /* paged */
    size_t i;
    json_t *r;
    json_array_foreach(reqs, i, r)
    {
        if (sent)
            assert_string_equal(json_string_value(emu_req_json(r, "order")), sent);
        else
            assert_null(emu_req_json(r, "order"));
    }
    json_decref(reqs);
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
    emu_clear_requests(e);

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
    const int total = n;
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
    json_decref(req);

    /* `order` is sent only when the caller sets it (version 2 `order`, or the
     * old `ascending`); unset, the service's default is newest first */
    static const struct {
        int ascending;
        dbx_sort_direction_t order;
        const char *sent;
        int newest_first;
    } cases[] = {
        {0, DBX_SORT_DEFAULT, NULL, 1},
        {1, DBX_SORT_DEFAULT, "ASC", 0},
        {0, DBX_SORT_ASC, "ASC", 0},
        {0, DBX_SORT_DESC, "DESC", 1},
    };
    for (size_t k = 0; k < N_OF(cases); k++) {
        dbx_cluster_events_options co = DBX_CLUSTER_EVENTS_OPTIONS_INIT;
        co.ascending = cases[k].ascending;
        co.order = cases[k].order;
        expect_events_order(id, &co, total, cases[k].sent, cases[k].newest_first);
    }

    /* a version 1 struct (no `order` member): only `ascending` is read */
    events_options_v1 *v1 = calloc(1, sizeof *v1);
    assert_non_null(v1);
    v1->version = 1;
    expect_events_order(id, (const dbx_cluster_events_options *)v1, total, NULL, 1);
    v1->ascending = 1;
    expect_events_order(id, (const dbx_cluster_events_options *)v1, total, "ASC", 0);
    free(v1);
    fo.version = 1;
    fo.order = (dbx_sort_direction_t)7; /* not part of version 1: ignored */
    assert_int_equal(dbx_clusters_events(&it, C, id, &fo), DBX_OK);
    dbx_cluster_events_iter_free(it);
    fo.version = DBX_CLUSTER_EVENTS_OPTIONS_VERSION;
    emu_clear_requests(e);
    expect_local_einval(dbx_clusters_events(&it, C, id, &fo), C, "order out of range");
    assert_null(it);
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

static void test_pin_unpin_and_is_pinned_filter(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *a = create_cluster("pin-a", 1), *b = create_cluster("pin-b", 1), *c = create_cluster("pin-c", 1);

    assert_int_equal(dbx_clusters_pin(C, a), DBX_OK);
    expect_id_only_body("pin", a);
    assert_int_equal(dbx_clusters_pin(C, c), DBX_OK);
    expect_id_only_body("pin", c);
    dbx_cluster *cl = get_cluster(a);
    assert_non_null(json_object_get(dbx_cluster_jansson(cl), "pinned_by_user_name"));
    dbx_cluster_free(cl);
    cl = get_cluster(b);
    assert_null(json_object_get(dbx_cluster_jansson(cl), "pinned_by_user_name"));
    dbx_cluster_free(cl);

    dbx_clusters_list_options lo = DBX_CLUSTERS_LIST_OPTIONS_INIT;
    emu_clear_requests(e);
    lo.is_pinned = 1;
    expect_list_names(&lo, (const char *[]){"pin-a", "pin-c"}, 2);
    expect_list_query1("filter_by.is_pinned", "true");
    emu_clear_requests(e);
    lo.is_pinned = 2;
    expect_list_names(&lo, (const char *[]){"pin-b"}, 1);
    expect_list_query1("filter_by.is_pinned", "false");
    emu_clear_requests(e);
    lo.is_pinned = 0;
    expect_list_names(&lo, (const char *[]){"pin-a", "pin-b", "pin-c"}, 3);
    expect_list_query1("filter_by.is_pinned", NULL);

    /* pinning twice and unpinning an unpinned cluster are no-ops */
    assert_int_equal(dbx_clusters_pin(C, a), DBX_OK);
    assert_int_equal(dbx_clusters_unpin(C, a), DBX_OK);
    expect_id_only_body("unpin", a);
    assert_int_equal(dbx_clusters_unpin(C, b), DBX_OK);
    expect_id_only_body("unpin", b);
    lo.is_pinned = 1;
    expect_list_names(&lo, (const char *[]){"pin-c"}, 1);
    lo.is_pinned = 2;
    expect_list_names(&lo, (const char *[]){"pin-a", "pin-b"}, 2);

    /* one PINNED and one UNPINNED event on a: the repeated pin changed nothing */
    static const char *pin_types[] = {"PINNED", "UNPINNED", NULL};
    expect_events_of_types(a, pin_types, pin_types, 2);

    expect_missing_cluster(dbx_clusters_pin(C, BOGUS_ID), "pin");
    expect_missing_cluster(dbx_clusters_unpin(C, BOGUS_ID), "unpin");

    emu_clear_requests(e);
    expect_local_einval(dbx_clusters_pin(C, NULL), C, "cluster_id is required");
    expect_local_einval(dbx_clusters_unpin(C, ""), C, "cluster_id is required");
    expect_local_einval(dbx_clusters_pin(NULL, a), NULL, "client is NULL");
    dbx_free(a);
    dbx_free(b);
    dbx_free(c);
}

#define UPD_SPEC "\"spark_version\":\"15.4.x-scala2.12\",\"node_type_id\":\"i3.xlarge\""

static void test_update_masks(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *id = create_from("{" UPD_SPEC ",\"cluster_name\":\"upd\",\"num_workers\":1,"
                           "\"autotermination_minutes\":60,\"custom_tags\":{\"team\":\"a\"}}");
    wait_running(id);
    dbx_cluster_spec *s = spec_from("{\"num_workers\":4,\"cluster_name\":\"renamed\",\"custom_tags\":{\"team\":\"b\"}}");

    /* one field: only num_workers changes; the request carries the whole spec and the mask */
    assert_int_equal(dbx_clusters_update(C, id, "num_workers", s), DBX_OK);
    json_t *req = emu_last_request(e, API "/update");
    assert_string_equal(json_string_value(json_object_get(req, "method")), "POST");
    assert_int_equal(json_object_size(json_object_get(req, "json")), 3);
    assert_string_equal(json_string_value(emu_req_json(req, "cluster_id")), id);
    assert_string_equal(json_string_value(emu_req_json(req, "update_mask")), "num_workers");
    assert_true(json_equal(emu_req_json(req, "cluster"), (json_t *)dbx_cluster_spec_jansson(s)));
    json_decref(req);
    dbx_cluster *cl = get_cluster(id);
    assert_int_equal(dbx_cluster_num_workers(cl), 4);
    assert_string_equal(dbx_cluster_name(cl), "upd");
    assert_string_equal(dbx_cluster_custom_tag(cl, "team"), "a");
    assert_int_equal(dbx_cluster_autotermination_minutes(cl), 60);
    dbx_cluster_free(cl);
    wait_running(id);

    /* two fields */
    assert_int_equal(dbx_clusters_update(C, id, "cluster_name,custom_tags", s), DBX_OK);
    wait_running(id);
    cl = get_cluster(id);
    assert_string_equal(dbx_cluster_name(cl), "renamed");
    assert_string_equal(dbx_cluster_custom_tag(cl, "team"), "b");
    assert_int_equal(dbx_cluster_num_workers(cl), 4);
    assert_int_equal(dbx_cluster_autotermination_minutes(cl), 60);
    dbx_cluster_free(cl);
    dbx_cluster_spec_free(s);

    /* a masked field that the spec lacks is unset */
    s = spec_from("{\"num_workers\":2}");
    assert_int_equal(dbx_clusters_update(C, id, "num_workers,autotermination_minutes", s), DBX_OK);
    req = emu_last_request(e, API "/update");
    assert_null(json_object_get(emu_req_json(req, "cluster"), "autotermination_minutes"));
    json_decref(req);
    wait_running(id);
    cl = get_cluster(id);
    assert_int_equal(dbx_cluster_num_workers(cl), 2);
    assert_null(json_object_get(dbx_cluster_jansson(cl), "autotermination_minutes"));
    assert_string_equal(dbx_cluster_name(cl), "renamed");
    dbx_cluster_free(cl);
    dbx_cluster_spec_free(s);

    /* "*" replaces the whole spec */
    s = spec_from("{" UPD_SPEC ",\"cluster_name\":\"whole\",\"autoscale\":{\"min_workers\":1,\"max_workers\":3}}");
    assert_int_equal(dbx_clusters_update(C, id, "*", s), DBX_OK);
    req = emu_last_request(e, API "/update");
    assert_string_equal(json_string_value(emu_req_json(req, "update_mask")), "*");
    json_decref(req);
    wait_running(id);
    cl = get_cluster(id);
    assert_string_equal(dbx_cluster_name(cl), "whole");
    expect_autoscale(cl, 1, 3);
    assert_null(dbx_cluster_custom_tag(cl, "team"));
    dbx_cluster_free(cl);
    dbx_cluster_spec_free(s);

    /* a dotted path goes into an object field */
    s = spec_from("{\"autoscale\":{\"min_workers\":0,\"max_workers\":5}}");
    assert_int_equal(dbx_clusters_update(C, id, "autoscale.max_workers", s), DBX_OK);
    wait_running(id);
    cl = get_cluster(id);
    expect_autoscale(cl, 1, 5);
    dbx_cluster_free(cl);

    /* malformed masks never reach the server */
    static const char *bad[] = {"a, b", "a,,b", "a b", ",a", "a,", "*,num_workers", "num_workers ", "a..b",
                                "a.", ".a", "num-workers"};
    emu_clear_requests(e);
    for (size_t i = 0; i < N_OF(bad); i++)
        expect_local_einval(dbx_clusters_update(C, id, bad[i], s), C, "update_mask must be");
    expect_local_einval(dbx_clusters_update(C, id, "", s), C, "update_mask is required");
    expect_local_einval(dbx_clusters_update(C, id, NULL, s), C, "update_mask is required");
    expect_local_einval(dbx_clusters_update(C, NULL, "*", s), C, "cluster_id is required");
    expect_local_einval(dbx_clusters_update(C, id, "*", NULL), C, "spec is NULL");
    dbx_cluster_spec_free(s);
    dbx_free(id);
}

static void test_update_state_rules(void **state)
{
    (void)state;
    emu *e = emu_get();
    /* long enough that real time passing between calls never ends a restart */
    emu_config(e, "{\"cluster_restarting_ms\": 60000}");
    char *id = create_cluster("upd-state", 1);
    dbx_cluster_spec *s = spec_from("{\"num_workers\":3}");

    /* PENDING: refused by the server */
    assert_int_equal(dbx_clusters_update(C, id, "num_workers", s), DBX_EINVALIDSTATE);
    assert_string_equal(dbx_client_last_error(C)->error_code, "INVALID_STATE");
    assert_non_null(strstr(dbx_client_last_error(C)->message, "PENDING"));

    /* RUNNING -> RESTARTING -> RUNNING on the virtual clock */
    emu_advance(e, 5000);
    expect_state(id, DBX_CLUSTER_STATE_RUNNING);
    assert_int_equal(dbx_clusters_update(C, id, "num_workers", s), DBX_OK);
    expect_state(id, DBX_CLUSTER_STATE_RESTARTING);
    assert_int_equal(dbx_clusters_update(C, id, "num_workers", s), DBX_EINVALIDSTATE); /* not while restarting */
    emu_advance(e, 30000);
    expect_state(id, DBX_CLUSTER_STATE_RESTARTING);
    emu_advance(e, 30000);
    dbx_cluster *cl = get_cluster(id);
    assert_int_equal(dbx_cluster_state(cl), DBX_CLUSTER_STATE_RUNNING);
    assert_int_equal(dbx_cluster_num_workers(cl), 3);
    dbx_cluster_free(cl);

    /* TERMINATED: the change applies and the cluster stays terminated */
    assert_int_equal(dbx_clusters_delete(C, id), DBX_OK);
    emu_advance(e, 2000);
    expect_state(id, DBX_CLUSTER_STATE_TERMINATED);
    dbx_cluster_spec_free(s);
    s = spec_from("{\"num_workers\":5}");
    assert_int_equal(dbx_clusters_update(C, id, "num_workers", s), DBX_OK);
    cl = get_cluster(id);
    assert_int_equal(dbx_cluster_state(cl), DBX_CLUSTER_STATE_TERMINATED);
    assert_int_equal(dbx_cluster_num_workers(cl), 5);
    dbx_cluster_free(cl);

    /* the two accepted updates left an EDITED event each, the refused ones none */
    static const char *edited[] = {"EDITED", NULL};
    expect_events_of_types(id, edited, (const char *[]){"EDITED", "EDITED"}, 2);

    expect_missing_cluster(dbx_clusters_update(C, BOGUS_ID, "num_workers", s), "update");
    dbx_cluster_spec_free(s);
    dbx_free(id);
}

static void test_clone_from_is_create_only(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *src = create_cluster("clone-src", 1);
    char json[256];
    snprintf(json, sizeof json, "{" UPD_SPEC ",\"cluster_name\":\"clone\",\"num_workers\":1,"
                                "\"clone_from\":{\"source_cluster_id\":\"%s\"}}", src);
    dbx_cluster_spec *s = spec_from(json);
    char *id = NULL;
    assert_int_equal(dbx_clusters_create(&id, C, s), DBX_OK);
    json_t *req = emu_last_request(e, API "/create");
    assert_string_equal(json_string_value(json_object_get(emu_req_json(req, "clone_from"), "source_cluster_id")), src);
    json_decref(req);
    wait_running(id);

    assert_int_equal(dbx_clusters_edit(C, id, s), DBX_OK);
    req = emu_last_request(e, API "/edit");
    assert_null(emu_req_json(req, "clone_from"));
    assert_string_equal(json_string_value(emu_req_json(req, "cluster_name")), "clone");
    json_decref(req);
    wait_running(id);

    static const char *masks[] = {"*", "num_workers", "cluster_name,clone_from"};
    for (size_t i = 0; i < N_OF(masks); i++) {
        dbx_status st = dbx_clusters_update(C, id, masks[i], s);
        if (i == 2) {
            /* naming it in the mask is the caller's error, caught before sending */
            assert_int_equal(st, DBX_EINVAL);
            assert_non_null(strstr(dbx_client_last_error(C)->message, "clone_from"));
            continue;
        }
        req = emu_last_request(e, API "/update");
        assert_string_equal(json_string_value(emu_req_json(req, "update_mask")), masks[i]);
        assert_non_null(json_object_get(emu_req_json(req, "cluster"), "cluster_name"));
        assert_null(json_object_get(emu_req_json(req, "cluster"), "clone_from"));
        json_decref(req);
        assert_int_equal(st, DBX_OK);
        wait_running(id);
    }
    /* the spec itself is untouched: it can clone again */
    char *text = NULL;
    assert_int_equal(dbx_cluster_spec_to_json(&text, s), DBX_OK);
    assert_non_null(strstr(text, "\"clone_from\""));
    dbx_free(text);
    dbx_cluster_spec_free(s);
    dbx_free(id);
    dbx_free(src);
}

static void expect_spec_json(const dbx_cluster_spec *s, const char *want)
{
    json_t *w = json_loads(want, 0, NULL);
    assert_non_null(w);
    if (!json_equal(w, (json_t *)dbx_cluster_spec_jansson(s))) {
        char *got = NULL;
        assert_int_equal(dbx_cluster_spec_to_json(&got, s), DBX_OK);
        json_decref(w);
        fail_msg("spec is %s, want %s", got, want);
    }
    json_decref(w);
}

static void test_autoscale_needs_max_above_min(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *id = create_cluster("as", 1);
    wait_running(id);
    emu_clear_requests(e);

    static const int bad[][2] = {{2, 2}, {3, 1}};
    dbx_cluster_spec *s, *t = NULL;
    assert_int_equal(dbx_cluster_spec_new(&s), DBX_OK);
    assert_int_equal(dbx_cluster_spec_set_num_workers(s, 2), DBX_OK);
    for (size_t i = 0; i < N_OF(bad); i++) {
        char js[160];
        expect_local_einval(dbx_cluster_spec_set_autoscale(s, bad[i][0], bad[i][1]), NULL,
                            "0 <= min_workers < max_workers");
        snprintf(js, sizeof js, "{\"min_workers\":%d,\"max_workers\":%d}", bad[i][0], bad[i][1]);
        expect_local_einval(dbx_cluster_spec_set_json(s, "autoscale", js), NULL, "$.autoscale");
        snprintf(js, sizeof js, "{\"spark_version\":\"x\",\"autoscale\":{\"min_workers\":%d,\"max_workers\":%d}}",
                 bad[i][0], bad[i][1]);
        expect_local_einval(dbx_cluster_spec_from_json(&t, js), NULL, "$.autoscale");
        assert_null(t);
        expect_local_einval(dbx_clusters_resize_autoscale(C, id, bad[i][0], bad[i][1]), C,
                            "0 <= min_workers < max_workers");
    }
    expect_spec_json(s, "{\"num_workers\":2}"); /* failed setters change nothing */

    /* create/edit/update check the spec again: make one that the setters
     * refuse by writing the JSON behind the (read-only) view */
    dbx_cluster_spec *forged = spec_from("{\"spark_version\":\"15.4.x-scala2.12\"}");
    json_object_set_new((json_t *)dbx_cluster_spec_jansson(forged), "autoscale",
                        json_pack("{s:i,s:i}", "min_workers", 2, "max_workers", 2));
    char *none = NULL;
    expect_local_einval(dbx_clusters_create(&none, C, forged), C, "$.autoscale");
    assert_null(none);
    expect_local_einval(dbx_clusters_edit(C, id, forged), C, "$.autoscale");
    expect_local_einval(dbx_clusters_update(C, id, "autoscale", forged), C, "$.autoscale");
    dbx_cluster_spec_free(forged);

    /* 1-2 is fine everywhere */
    assert_int_equal(dbx_cluster_spec_set_autoscale(s, 1, 2), DBX_OK);
    expect_spec_json(s, "{\"autoscale\":{\"min_workers\":1,\"max_workers\":2}}");
    assert_int_equal(dbx_cluster_spec_set_json(s, "autoscale", "{\"min_workers\":1,\"max_workers\":2}"), DBX_OK);
    dbx_cluster_spec_free(s);
    t = spec_from("{\"spark_version\":\"15.4.x-scala2.12\",\"autoscale\":{\"min_workers\":1,\"max_workers\":2}}");
    char *id2 = NULL;
    assert_int_equal(dbx_clusters_create(&id2, C, t), DBX_OK);
    json_t *req = emu_last_request(e, API "/create");
    assert_true(json_equal(emu_req_json(req, "autoscale"), json_object_get(dbx_cluster_spec_jansson(t), "autoscale")));
    json_decref(req);
    dbx_cluster_spec_free(t);
    assert_int_equal(dbx_clusters_resize_autoscale(C, id, 1, 2), DBX_OK);
    req = emu_last_request(e, API "/resize");
    assert_int_equal(json_integer_value(json_object_get(emu_req_json(req, "autoscale"), "min_workers")), 1);
    assert_int_equal(json_integer_value(json_object_get(emu_req_json(req, "autoscale"), "max_workers")), 2);
    json_decref(req);
    wait_running(id);
    dbx_cluster *cl = get_cluster(id);
    expect_autoscale(cl, 1, 2);
    dbx_cluster_free(cl);
    dbx_free(id2);
    dbx_free(id);
}

static void test_invalid_utf8_is_einval_naming_argument(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_clear_requests(e);
    static const char bad[] = "\xff";

    dbx_cluster *cl = (dbx_cluster *)1;
    expect_local_einval(dbx_clusters_get(&cl, C, bad), C, "cluster_id is not valid UTF-8");
    assert_null(cl);
    expect_local_einval(dbx_clusters_start(C, bad), C, "cluster_id is not valid UTF-8");
    expect_local_einval(dbx_clusters_delete(C, bad), C, "cluster_id is not valid UTF-8");
    expect_local_einval(dbx_clusters_pin(C, bad), C, "cluster_id is not valid UTF-8");
    expect_local_einval(dbx_clusters_unpin(C, bad), C, "cluster_id is not valid UTF-8");
    expect_local_einval(dbx_clusters_restart(C, "x", bad), C, "restart_user is not valid UTF-8");
    expect_local_einval(dbx_clusters_update(C, "x", bad, NULL), C, "update_mask is not valid UTF-8");

    dbx_cluster_spec *s;
    assert_int_equal(dbx_cluster_spec_new(&s), DBX_OK);
    expect_local_einval(dbx_clusters_update(C, bad, "*", s), C, "cluster_id is not valid UTF-8");
    expect_local_einval(dbx_cluster_spec_set_cluster_name(s, bad), NULL, "cluster_name: value is not valid UTF-8");
    expect_local_einval(dbx_cluster_spec_set_custom_tag(s, bad, "v"), NULL, "custom_tags: key is not valid UTF-8");
    expect_local_einval(dbx_cluster_spec_set_custom_tag(s, "k", bad), NULL, "custom_tags: value is not valid UTF-8");
    expect_local_einval(dbx_cluster_spec_set_spark_conf(s, bad, "v"), NULL, "spark_conf: key is not valid UTF-8");
    expect_local_einval(dbx_cluster_spec_set_spark_conf(s, "k", bad), NULL, "spark_conf: value is not valid UTF-8");
    expect_local_einval(dbx_cluster_spec_set_json(s, bad, "1"), NULL, "field is not valid UTF-8");
    expect_spec_json(s, "{}");
    dbx_cluster_spec_free(s);

    dbx_clusters_iter *it = (dbx_clusters_iter *)1;
    dbx_clusters_list_options lo = DBX_CLUSTERS_LIST_OPTIONS_INIT;
    lo.policy_id = bad;
    expect_local_einval(dbx_clusters_list(&it, C, &lo), C, "policy_id is not valid UTF-8");
    assert_null(it);

    dbx_cluster_events_iter *eit = (dbx_cluster_events_iter *)1;
    const char *types[] = {"RUNNING", bad, NULL};
    dbx_cluster_events_options eo = DBX_CLUSTER_EVENTS_OPTIONS_INIT;
    eo.event_types = types;
    expect_local_einval(dbx_clusters_events(&eit, C, "x", &eo), C, "event_types[1] is not valid UTF-8");
    assert_null(eit);
}

static void test_list_sources_filter(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *ids[3];
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "src%d", i);
        ids[i] = create_cluster(name, 1);
    }
    static const char *all[] = {"src0", "src1", "src2"};
    /* the emulator creates every cluster with cluster_source API (it has no
     * UI or jobs to make others): filters that include API keep them all,
     * filters without it drop them all */
    static const struct {
        dbx_cluster_source_t src[2];
        size_t n;
        const char *sent[2];
        size_t n_match;
    } cases[] = {
        {{DBX_CLUSTER_SOURCE_API}, 1, {"API"}, 3},
        {{DBX_CLUSTER_SOURCE_UI}, 1, {"UI"}, 0},
        {{DBX_CLUSTER_SOURCE_UI, DBX_CLUSTER_SOURCE_JOB}, 2, {"UI", "JOB"}, 0},
        {{DBX_CLUSTER_SOURCE_UI, DBX_CLUSTER_SOURCE_API}, 2, {"UI", "API"}, 3},
        {{DBX_CLUSTER_SOURCE_PIPELINE_MAINTENANCE, DBX_CLUSTER_SOURCE_SQL}, 2, {"PIPELINE_MAINTENANCE", "SQL"}, 0},
        {{DBX_CLUSTER_SOURCE_MODELS, DBX_CLUSTER_SOURCE_PIPELINE}, 2, {"MODELS", "PIPELINE"}, 0},
    };
    for (size_t k = 0; k < N_OF(cases); k++) {
        dbx_clusters_list_options lo = DBX_CLUSTERS_LIST_OPTIONS_INIT;
        lo.sources = cases[k].src;
        lo.n_sources = cases[k].n;
        emu_clear_requests(e);
        expect_list_names(&lo, all, cases[k].n_match);
        expect_list_query("filter_by.cluster_sources", cases[k].sent, cases[k].n);
    }
    dbx_clusters_iter *it = NULL;
    const dbx_cluster *cl;
    dbx_clusters_list_options lo = DBX_CLUSTERS_LIST_OPTIONS_INIT;
    lo.sources = cases[0].src;
    lo.n_sources = 1;
    assert_int_equal(dbx_clusters_list(&it, C, &lo), DBX_OK);
    assert_int_equal(dbx_clusters_iter_next(&cl, it), DBX_OK);
    assert_string_equal(dbx_cluster_source(cl), "API");
    dbx_clusters_iter_free(it);

    /* a pointer with n_sources 0 sends nothing */
    emu_clear_requests(e);
    lo.n_sources = 0;
    expect_list_names(&lo, all, 3);
    expect_list_query1("filter_by.cluster_sources", NULL);
    for (int i = 0; i < 3; i++)
        dbx_free(ids[i]);
}

static void test_list_sort_spans_pages(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_config(e, "{\"page_size_clusters\": 2}");
    static const char *created[] = {"delta", "alpha", "echo", "charlie", "bravo"};
    static const char *by_name[] = {"alpha", "bravo", "charlie", "delta", "echo"};
    static const char *by_name_desc[] = {"echo", "delta", "charlie", "bravo", "alpha"};
    static const char *created_desc[] = {"bravo", "charlie", "echo", "alpha", "delta"};
    char *ids[5];
    for (size_t i = 0; i < 5; i++)
        ids[i] = create_cluster(created[i], 1);

    static const struct {
        dbx_clusters_sort_field_t field;
        dbx_sort_direction_t dir;
        const char *sent_field, *sent_dir;
        const char *const *want;
    } cases[] = {
        {DBX_CLUSTERS_SORT_CLUSTER_NAME, DBX_SORT_ASC, "CLUSTER_NAME", "ASC", by_name},
        {DBX_CLUSTERS_SORT_CLUSTER_NAME, DBX_SORT_DESC, "CLUSTER_NAME", "DESC", by_name_desc},
        {DBX_CLUSTERS_SORT_CLUSTER_NAME, DBX_SORT_DEFAULT, "CLUSTER_NAME", NULL, by_name},
        {DBX_CLUSTERS_SORT_DEFAULT, DBX_SORT_DEFAULT, "DEFAULT", NULL, created},
        {DBX_CLUSTERS_SORT_DEFAULT, DBX_SORT_DESC, "DEFAULT", "DESC", created_desc},
        {DBX_CLUSTERS_SORT_UNSET, DBX_SORT_DESC, NULL, "DESC", created_desc},
        {DBX_CLUSTERS_SORT_UNSET, DBX_SORT_DEFAULT, NULL, NULL, created},
    };
    for (size_t k = 0; k < N_OF(cases); k++) {
        dbx_clusters_list_options lo = DBX_CLUSTERS_LIST_OPTIONS_INIT;
        lo.sort_field = cases[k].field;
        lo.sort_direction = cases[k].dir;
        emu_clear_requests(e);
        expect_list_names(&lo, cases[k].want, 5);
        /* three pages of 2, each asking for the same order */
        assert_int_equal(emu_count(e, API "/list"), 3);
        expect_list_query1("sort_by.field", cases[k].sent_field);
        expect_list_query1("sort_by.direction", cases[k].sent_dir);
    }

    /* all filters and the sort in one call, on every page */
    assert_int_equal(dbx_clusters_pin(C, ids[0]), DBX_OK); /* delta */
    assert_int_equal(dbx_clusters_pin(C, ids[3]), DBX_OK); /* charlie */
    assert_int_equal(dbx_clusters_pin(C, ids[4]), DBX_OK); /* bravo */
    dbx_cluster_state_t states[] = {DBX_CLUSTER_STATE_PENDING};
    dbx_cluster_source_t sources[] = {DBX_CLUSTER_SOURCE_API, DBX_CLUSTER_SOURCE_JOB};
    dbx_clusters_list_options lo = DBX_CLUSTERS_LIST_OPTIONS_INIT;
    lo.page_size = 1;
    lo.states = states;
    lo.n_states = 1;
    lo.sources = sources;
    lo.n_sources = 2;
    lo.is_pinned = 1;
    lo.sort_field = DBX_CLUSTERS_SORT_CLUSTER_NAME;
    lo.sort_direction = DBX_SORT_DESC;
    emu_clear_requests(e);
    expect_list_names(&lo, (const char *[]){"delta", "charlie", "bravo"}, 3);
    assert_int_equal(emu_count(e, API "/list"), 3);
    expect_list_query1("page_size", "1");
    expect_list_query1("filter_by.cluster_states", "PENDING");
    expect_list_query("filter_by.cluster_sources", (const char *[]){"API", "JOB"}, 2);
    expect_list_query1("filter_by.is_pinned", "true");
    expect_list_query1("sort_by.field", "CLUSTER_NAME");
    expect_list_query1("sort_by.direction", "DESC");
    for (size_t i = 0; i < 5; i++)
        dbx_free(ids[i]);
}

/* dbx_clusters_list_options as a caller built against version 1 has it. */
typedef struct list_options_v1 {
    unsigned int version;
    int page_size;
    long max_items;
    const dbx_cluster_state_t *states;
    size_t n_states;
    const char *policy_id;
} list_options_v1;
_Static_assert(sizeof(list_options_v1) == offsetof(dbx_clusters_list_options, sources),
               "version 1 is the prefix of dbx_clusters_list_options");

static void test_list_options_validation_and_v1(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *a = create_cluster("v1-a", 1), *b = create_cluster("v1-b", 1);
    emu_clear_requests(e);

    static const dbx_cluster_source_t src_zero[] = {(dbx_cluster_source_t)0};
    static const dbx_cluster_source_t src_high[] = {(dbx_cluster_source_t)(DBX_CLUSTER_SOURCE_SQL + 1)};
    static const struct {
        unsigned version;
        int is_pinned, field, dir;
        const dbx_cluster_source_t *sources;
        size_t n_sources;
        const char *needle;
    } bad[] = {
        {2, 3, 0, 0, NULL, 0, "out of range"},
        {2, -1, 0, 0, NULL, 0, "out of range"},
        {2, 0, 3, 0, NULL, 0, "out of range"},
        {2, 0, -1, 0, NULL, 0, "out of range"},
        {2, 0, 0, 3, NULL, 0, "out of range"},
        {2, 0, 0, -1, NULL, 0, "out of range"},
        {2, 0, 0, 0, src_zero, 1, "sources[0] is not a cluster source"},
        {2, 0, 0, 0, src_high, 1, "sources[0] is not a cluster source"},
        {2, 0, 0, 0, NULL, 1, "sources without a pointer"},
        {0, 0, 0, 0, NULL, 0, "version 0 is not supported"},
        {3, 0, 0, 0, NULL, 0, "version 3 is not supported"},
    };
    for (size_t k = 0; k < N_OF(bad); k++) {
        dbx_clusters_list_options lo = DBX_CLUSTERS_LIST_OPTIONS_INIT;
        lo.version = bad[k].version;
        lo.is_pinned = bad[k].is_pinned;
        lo.sort_field = (dbx_clusters_sort_field_t)bad[k].field;
        lo.sort_direction = (dbx_sort_direction_t)bad[k].dir;
        lo.sources = bad[k].sources;
        lo.n_sources = bad[k].n_sources;
        dbx_clusters_iter *it = (dbx_clusters_iter *)1;
        expect_local_einval(dbx_clusters_list(&it, C, &lo), C, bad[k].needle);
        assert_null(it);
    }

    /* a caller built against version 1 passes the smaller struct: it works and
     * none of the version 2 parameters is read or sent (ASan/valgrind would
     * catch a read past the v1 fields) */
    static const dbx_cluster_state_t pending[] = {DBX_CLUSTER_STATE_PENDING};
    list_options_v1 *v1 = calloc(1, sizeof *v1); /* on the heap: valgrind sees overreads too */
    assert_non_null(v1);
    v1->version = 1;
    v1->page_size = 1;
    v1->states = pending;
    v1->n_states = 1;
    expect_list_names((const dbx_clusters_list_options *)v1, (const char *[]){"v1-a", "v1-b"}, 2);
    free(v1);
    /* a full struct saying version 1: its v2 fields are ignored, even invalid ones */
    dbx_clusters_list_options full = DBX_CLUSTERS_LIST_OPTIONS_INIT;
    full.version = 1;
    full.n_sources = 3;
    full.is_pinned = 7;
    full.sort_field = (dbx_clusters_sort_field_t)9;
    full.sort_direction = (dbx_sort_direction_t)9;
    expect_list_names(&full, (const char *[]){"v1-a", "v1-b"}, 2);
    assert_int_equal(emu_count(e, API "/list"), 3);
    expect_list_query1("filter_by.cluster_sources", NULL);
    expect_list_query1("filter_by.is_pinned", NULL);
    expect_list_query1("sort_by.field", NULL);
    expect_list_query1("sort_by.direction", NULL);
    json_t *reqs = emu_requests_to(e, API "/list");
    for (size_t i = 0; i < 2; i++) { /* the v1 call's two pages */
        assert_string_equal(emu_req_query(json_array_get(reqs, i), "page_size"), "1");
        assert_string_equal(emu_req_query(json_array_get(reqs, i), "filter_by.cluster_states"), "PENDING");
    }
    json_decref(reqs);
    dbx_free(a);
    dbx_free(b);
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
        cmocka_unit_test_setup_teardown(test_pin_unpin_and_is_pinned_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_masks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_state_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clone_from_is_create_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_autoscale_needs_max_above_min, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_utf8_is_einval_naming_argument, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_sources_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_sort_spans_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_options_validation_and_v1, setup, teardown),
    };
    return cmocka_run_group_tests_name("clusters", tests, NULL, NULL);
}
