/*
 * Migration test: a DataRobot training worker, on Databricks.
 *
 * On DataRobot the firm starts a modeling worker, scales it up for a
 * training burst, checks what happened, and releases it. On Databricks the
 * same job is a cluster: create, wait until RUNNING, resize, read the event
 * log, terminate, and remove it. The program checks every outcome and exits
 * non-zero on any mismatch, so it doubles as an end-to-end test.
 *
 * Configuration comes from the environment / ~/.databrickscfg as with the
 * official SDKs (DATABRICKS_HOST, DATABRICKS_TOKEN, ...). `.ci/demo` runs it
 * against the local emulator; with real credentials it runs against a real
 * workspace (it creates a small cluster: that costs money).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dbx/dbx.h>

static dbx_client *client;

static void die(const char *what, dbx_status st)
{
    const dbx_error *e = dbx_client_last_error(client);
    fprintf(stderr, "FAILED: %s: %s (%s)", what, e->message, dbx_status_name(st));
    if (e->http_status)
        fprintf(stderr, " [HTTP %d %s, request %s]", e->http_status, e->error_code, e->request_id);
    fprintf(stderr, "\n");
    exit(1);
}

#define CHECK(call)                                                                                \
    do {                                                                                           \
        dbx_status st_ = (call);                                                                   \
        if (st_ != DBX_OK)                                                                         \
            die(#call, st_);                                                                       \
    } while (0)

#define EXPECT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAILED: expected %s\n", #cond);                                       \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static int show_progress(const char *id, const char *state, void *payload)
{
    (void)payload;
    printf("    ... %s is %s\n", id, state);
    return 0; /* non-zero would cancel the wait */
}

int main(void)
{
    int maj;
    dbx_version(&maj, NULL, NULL);
    EXPECT(maj == DBX_VERSION_MAJOR); /* headers match the library */
    printf("%s\n", dbx_version_details());

    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.product = "dbx-migration-demo/1.0";
    if (dbx_client_new(&client, &o) != DBX_OK) {
        fprintf(stderr, "cannot configure a client: %s\n", dbx_client_last_error(NULL)->message);
        return 2;
    }
    printf("workspace %s (auth %s, host from %s)\n", dbx_client_host(client), dbx_client_auth_type(client),
           dbx_client_config_source(client, "host"));

    /* 1. pick a runtime and a node type, as DataRobot picks a worker size */
    dbx_spark_versions *versions;
    CHECK(dbx_clusters_spark_versions(&versions, client));
    EXPECT(dbx_spark_versions_count(versions) > 0);
    const char *runtime = dbx_spark_versions_key(versions, 0);
    for (size_t i = 0; i < dbx_spark_versions_count(versions); i++)
        if (strstr(dbx_spark_versions_name(versions, i), "LTS") && !strstr(dbx_spark_versions_key(versions, i), "ml"))
            runtime = dbx_spark_versions_key(versions, i);
    dbx_node_types *nodes;
    CHECK(dbx_clusters_list_node_types(&nodes, client));
    EXPECT(dbx_node_types_count(nodes) > 0);
    const char *node = dbx_node_types_id(nodes, 0);
    int best_mem = 1 << 30;
    for (size_t i = 0; i < dbx_node_types_count(nodes); i++) {
        int mem = dbx_node_types_memory_mb(nodes, i);
        if (mem >= 8192 && mem < best_mem) { /* smallest node with 8 GB */
            best_mem = mem;
            node = dbx_node_types_id(nodes, i);
        }
    }
    printf("1. runtime %s, node type %s\n", runtime, node);

    /* 2. start the training worker */
    dbx_cluster_spec *spec;
    CHECK(dbx_cluster_spec_new(&spec));
    CHECK(dbx_cluster_spec_set_cluster_name(spec, "dbx-migration-training-worker"));
    CHECK(dbx_cluster_spec_set_spark_version(spec, runtime));
    CHECK(dbx_cluster_spec_set_node_type_id(spec, node));
    CHECK(dbx_cluster_spec_set_num_workers(spec, 1));
    CHECK(dbx_cluster_spec_set_autotermination_minutes(spec, 20));
    CHECK(dbx_cluster_spec_set_custom_tag(spec, "migrated_from", "datarobot"));
    char *id;
    CHECK(dbx_clusters_create(&id, client, spec));
    dbx_cluster_spec_free(spec);
    printf("2. created cluster %s; waiting until RUNNING\n", id);
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.timeout_ms = 30L * 60 * 1000;
    w.on_poll = show_progress;
    dbx_cluster *cl;
    CHECK(dbx_clusters_wait_running(&cl, client, id, &w));
    EXPECT(dbx_cluster_state(cl) == DBX_CLUSTER_STATE_RUNNING);
    EXPECT(strcmp(dbx_cluster_custom_tag(cl, "migrated_from"), "datarobot") == 0);
    dbx_cluster_free(cl);

    /* 3. scale up for the training burst */
    CHECK(dbx_clusters_resize(client, id, 3));
    CHECK(dbx_clusters_wait_running(&cl, client, id, &w));
    EXPECT(dbx_cluster_num_workers(cl) == 3);
    printf("3. resized to %d workers\n", dbx_cluster_num_workers(cl));
    dbx_cluster_free(cl);

    /* 4. it shows up in the workspace's cluster list */
    dbx_clusters_iter *it;
    CHECK(dbx_clusters_list(&it, client, NULL));
    const dbx_cluster *item;
    dbx_status st;
    int seen = 0, total = 0;
    while ((st = dbx_clusters_iter_next(&item, it)) == DBX_OK) {
        total++;
        seen |= strcmp(dbx_cluster_id(item), id) == 0;
    }
    if (st != DBX_DONE)
        die("dbx_clusters_iter_next", st);
    dbx_clusters_iter_free(it);
    EXPECT(seen);
    printf("4. listed %d cluster(s), ours among them\n", total);

    /* 5. release it, and audit what happened */
    CHECK(dbx_clusters_delete(client, id));
    CHECK(dbx_clusters_wait_terminated(&cl, client, id, &w));
    EXPECT(strcmp(dbx_cluster_termination_code(cl), "USER_REQUEST") == 0);
    dbx_cluster_free(cl);
    dbx_cluster_events_iter *ev_it;
    dbx_cluster_events_options eo = DBX_CLUSTER_EVENTS_OPTIONS_INIT;
    eo.ascending = 1;
    CHECK(dbx_clusters_events(&ev_it, client, id, &eo));
    const dbx_cluster_event *ev;
    int resized = 0, n = 0;
    printf("5. terminated; event log:\n");
    while ((st = dbx_cluster_events_iter_next(&ev, ev_it)) == DBX_OK) {
        printf("    %s\n", dbx_cluster_event_type(ev));
        resized |= strcmp(dbx_cluster_event_type(ev), "RESIZING") == 0;
        n++;
    }
    if (st != DBX_DONE)
        die("dbx_cluster_events_iter_next", st);
    dbx_cluster_events_iter_free(ev_it);
    EXPECT(resized && n >= 4);

    CHECK(dbx_clusters_permanent_delete(client, id));
    st = dbx_clusters_get(&cl, client, id);
    EXPECT(st == DBX_ENOTFOUND);
    printf("6. permanently deleted; get now says %s\n", dbx_status_name(st));

    dbx_free(id);
    dbx_spark_versions_free(versions);
    dbx_node_types_free(nodes);
    dbx_client_free(client);
    printf("OK: training-worker migration checks passed\n");
    return 0;
}
