/*
 * Allocation-failure sweep (issue 5, section 5): a fixed scenario against
 * the emulator runs once to count its allocations (libdbx's own and
 * jansson's, routed to libdbx's test seam with json_set_alloc_funcs), then
 * once per N with the N-th allocation failing. Every call must either fail
 * with DBX_ENOMEM or return exactly what the clean run returned; an
 * iterator that failed once must, when called again, continue where it
 * was (no item skipped, none repeated); nothing may crash or leak (the
 * sanitizer and valgrind passes check leaks).
 *
 * N runs over every allocation (the scenario makes a few hundred), or
 * every DBX_SWEEP_STRIDE-th; under valgrind a sample spread over the
 * whole range keeps the run short.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "dbx/sys/json.h"
#include "harness.h"

/* ---- jansson's allocations through the seam ------------------------------------------- */

static void *j_malloc(size_t n) { return dbx__alloc_hook() ? NULL : malloc(n); }
static void j_free(void *p) { free(p); }

/* ---- the fixed world the scenario reads -------------------------------------------------- */

#define N_CLUSTERS 4
typedef struct world {
    char ids[N_CLUSTERS][64];
    char terminated[2][64]; /* ids[2], ids[3], in list order */
    int n_events;           /* of ids[0] */
    char event_types[32][32];
    char spark_key0[64];
    size_t n_spark;
} world;

static world W;
static emu *E;

static dbx_client *plain_client(dbx_status *st, int m2m)
{
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.host = E->base;
    if (m2m) {
        o.client_id = EMU_CLIENT_ID;
        o.client_secret = EMU_CLIENT_SECRET;
    } else {
        o.token = EMU_TOKEN;
    }
    o.no_env = 1;
    o.no_config_file = 1;
    o.max_attempts = 1; /* nothing to retry here; keeps runs short and alike */
    dbx_client *c = NULL;
    *st = dbx_client_new(&c, &o);
    return c;
}

/* Workspace: /Shared/sw = {d/ (empty), f.bin ("abc"), nb (a Python notebook)}. */
static void workspace_world(dbx_client *c)
{
    assert_int_equal(dbx_workspace_mkdirs(c, "/Shared/sw/d"), DBX_OK);
    dbx_workspace_import_options io = DBX_WORKSPACE_IMPORT_OPTIONS_INIT;
    io.format = DBX_WORKSPACE_FORMAT_RAW;
    assert_int_equal(dbx_workspace_import(c, "/Shared/sw/f.bin", "abc", 3, &io), DBX_OK);
    io.format = DBX_WORKSPACE_FORMAT_SOURCE;
    io.language = DBX_WORKSPACE_LANGUAGE_PYTHON;
    assert_int_equal(dbx_workspace_import(c, "/Shared/sw/nb", "print(1)\n", 9, &io), DBX_OK);
}

/* Reset the emulator and build the world with an unarmed client. */
static void build_world(void)
{
    emu_reset(E);
    emu_config(E, "{\"page_size_clusters\":1,\"page_size_events\":2}");
    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    assert_int_equal(st, DBX_OK);
    for (int i = 0; i < N_CLUSTERS; i++) {
        dbx_cluster_spec *s;
        assert_int_equal(dbx_cluster_spec_new(&s), DBX_OK);
        char name[32];
        snprintf(name, sizeof name, "sweep-%d", i);
        assert_int_equal(dbx_cluster_spec_set_cluster_name(s, name), DBX_OK);
        assert_int_equal(dbx_cluster_spec_set_spark_version(s, "15.4.x-scala2.12"), DBX_OK);
        assert_int_equal(dbx_cluster_spec_set_num_workers(s, i), DBX_OK);
        char *id;
        assert_int_equal(dbx_clusters_create(&id, c, s), DBX_OK);
        snprintf(W.ids[i], sizeof W.ids[i], "%s", id);
        dbx_free(id);
        dbx_cluster_spec_free(s);
    }
    emu_advance(E, 5000);
    assert_int_equal(dbx_clusters_delete(c, W.ids[2]), DBX_OK);
    assert_int_equal(dbx_clusters_delete(c, W.ids[3]), DBX_OK);
    emu_advance(E, 5000);
    workspace_world(c);
    dbx_client_free(c);
}

/* ---- the scenario -------------------------------------------------------------------------- */

typedef struct tally {
    int calls, enomem;
} tally;

/* A call's status: OK, or ENOMEM and nothing else. */
static int check(tally *t, dbx_status st, const char *what)
{
    t->calls++;
    if (st == DBX_OK)
        return 1;
    if (st != DBX_ENOMEM)
        fail_msg("%s: %s (%s) under allocation failure; only DBX_ENOMEM is acceptable", what, dbx_status_name(st),
                 dbx__error_current()->message);
    t->enomem++;
    return 0;
}

/* Workspace calls: results exact or DBX_ENOMEM; iterators retried after
 * DBX_ENOMEM continue without skipping or repeating. */
static void workspace_scenario(tally *t, dbx_client *c)
{
    dbx_workspace_object *o = NULL;
    if (check(t, dbx_workspace_get_status(&o, c, "/Shared/sw/f.bin"), "workspace_get_status")) {
        assert_int_equal(dbx_workspace_object_type(o), DBX_WORKSPACE_OBJECT_FILE);
        assert_int_equal(dbx_workspace_object_size(o), 3);
    }
    dbx_workspace_object_free(o);
    static const char *const want[] = {"/Shared/sw/d", "/Shared/sw/f.bin", "/Shared/sw/nb"};
    dbx_workspace_walk_iter *w = NULL;
    if (check(t, dbx_workspace_walk(&w, c, "/Shared/sw", NULL), "workspace_walk")) {
        size_t i = 0;
        const dbx_workspace_object *item;
        dbx_status st;
        for (int tries = 0; tries < 100; tries++) {
            st = dbx_workspace_walk_next(&item, NULL, w);
            if (st == DBX_DONE)
                break;
            if (!check(t, st, "workspace_walk_next"))
                continue;
            assert_true(i < 3);
            assert_string_equal(dbx_workspace_object_path(item), want[i]);
            i++;
        }
        assert_int_equal(st, DBX_DONE);
        assert_int_equal(i, 3);
    }
    dbx_workspace_walk_free(w);
    dbx_workspace_iter *it = NULL;
    if (check(t, dbx_workspace_list(&it, c, "/Shared/sw", NULL), "workspace_list")) {
        size_t n = 0;
        const dbx_workspace_object *item;
        dbx_status st;
        for (int tries = 0; tries < 100; tries++) {
            st = dbx_workspace_iter_next(&item, it);
            if (st == DBX_DONE)
                break;
            if (check(t, st, "workspace_iter_next"))
                n++;
        }
        assert_int_equal(st, DBX_DONE);
        assert_int_equal(n, 3);
    }
    dbx_workspace_iter_free(it);
    dbx_workspace_import_options io = DBX_WORKSPACE_IMPORT_OPTIONS_INIT;
    io.format = DBX_WORKSPACE_FORMAT_RAW;
    io.overwrite = 1;
    check(t, dbx_workspace_import(c, "/Shared/sw/g.bin", "\0\1\2", 3, &io), "workspace_import");
    char *data = NULL, *ft = NULL;
    size_t len = 0;
    if (check(t, dbx_workspace_export(&data, &len, &ft, c, "/Shared/sw/f.bin", NULL), "workspace_export")) {
        assert_int_equal(len, 3);
        assert_memory_equal(data, "abc", 3);
        assert_string_equal(ft, "bin");
    } else {
        assert_null(data);
        assert_null(ft);
    }
    dbx_free(data);
    dbx_free(ft);
}

static int sweep_sink(void *payload, const char *data, size_t len)
{
    dbx__buf *b = payload;
    return dbx__buf_put(b, data, len) == 0 ? 0 : 1;
}

static void dbfs_scenario(tally *t, dbx_client *c)
{
    if (check(t, dbx_dbfs_put(c, "/sweep/small", "hello", 5, 0), "dbfs_put")) {
        dbx_dbfs_file_info *fi = NULL;
        if (check(t, dbx_dbfs_get_status(&fi, c, "/sweep/small"), "dbfs_get_status"))
            assert_int_equal(dbx_dbfs_file_info_file_size(fi), 5);
        dbx_dbfs_file_info_free(fi);
    }
    dbx__mem_source ms;
    dbx__mem_source_init(&ms, "streamed bytes", 14);
    dbx_dbfs_upload_options uo = DBX_DBFS_UPLOAD_OPTIONS_INIT;
    uo.overwrite = 1; /* a create whose answer was lost is then cleaned up too */
    if (check(t, dbx_dbfs_upload(c, "/sweep/streamed", &ms.src, &uo), "dbfs_upload")) {
        dbx__buf got = DBX__BUF_INIT;
        dbx_status st = dbx_dbfs_download(c, "/sweep/streamed", sweep_sink, &got, NULL);
        /* a sink that could not grow its buffer refuses: DBX_ECANCELLED */
        if (st == DBX_ECANCELLED && got.oom)
            st = DBX_ENOMEM;
        if (check(t, st, "dbfs_download")) {
            assert_int_equal(got.len, 14);
            assert_memory_equal(got.ptr, "streamed bytes", 14);
        }
        dbx__buf_dispose(&got);
    } else {
        /* a failed upload leaves no file behind */
        dbx_dbfs_file_info *fi = NULL;
        dbx_status st = dbx_dbfs_get_status(&fi, c, "/sweep/streamed");
        if (st != DBX_ENOTFOUND && st != DBX_ENOMEM)
            fail_msg("after a failed upload: %s", dbx_status_name(st));
        dbx_dbfs_file_info_free(fi);
    }
}

static void scenario(tally *t)
{
    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    if (st != DBX_OK) {
        assert_int_equal(st, DBX_ENOMEM); /* creating the client failed cleanly */
        assert_null(c);
        t->enomem++;
        return;
    }
    /* get: the right cluster, its fields, its JSON text and jansson view */
    dbx_cluster *cl = NULL;
    if (check(t, dbx_clusters_get(&cl, c, W.ids[1]), "clusters_get")) {
        assert_string_equal(dbx_cluster_id(cl), W.ids[1]);
        assert_string_equal(dbx_cluster_name(cl), "sweep-1");
        assert_int_equal(dbx_cluster_num_workers(cl), 1);
        assert_int_equal(dbx_cluster_state(cl), DBX_CLUSTER_STATE_RUNNING);
        const char *j = dbx_cluster_json(cl);
        if (j)
            assert_non_null(strstr(j, W.ids[1]));
        const json_t *jj = dbx_cluster_jansson(cl);
        if (jj)
            assert_string_equal(json_string_value(json_object_get(jj, "cluster_id")), W.ids[1]);
    } else {
        assert_null(cl);
    }
    dbx_cluster_free(cl);

    /* list TERMINATED, one per page: exactly ids[2], ids[3] (a dropped filter
     * would let RUNNING ones in; a dropped page token would repeat one) */
    dbx_cluster_state_t states[] = {DBX_CLUSTER_STATE_TERMINATED};
    dbx_clusters_list_options lo = DBX_CLUSTERS_LIST_OPTIONS_INIT;
    lo.states = states;
    lo.n_states = 1;
    lo.page_size = 1;
    dbx_clusters_iter *it = NULL;
    if (check(t, dbx_clusters_list(&it, c, &lo), "clusters_list")) {
        int got = 0, failures = 0;
        const dbx_cluster *item;
        for (;;) {
            st = dbx_clusters_iter_next(&item, it);
            if (st == DBX_DONE)
                break;
            if (!check(t, st, "clusters_iter_next")) {
                assert_true(++failures <= 2);
                continue;
            }
            assert_true(got < 2);
            assert_string_equal(dbx_cluster_id(item), W.terminated[got]);
            assert_int_equal(dbx_cluster_state(item), DBX_CLUSTER_STATE_TERMINATED);
            got++;
        }
        assert_int_equal(got, 2);
    }
    dbx_clusters_iter_free(it);

    /* events of ids[0], two per page, body-token paging */
    dbx_cluster_events_iter *ev = NULL;
    dbx_cluster_events_options eo = DBX_CLUSTER_EVENTS_OPTIONS_INIT;
    eo.order = DBX_SORT_ASC;
    if (check(t, dbx_clusters_events(&ev, c, W.ids[0], &eo), "clusters_events")) {
        int got = 0, failures = 0;
        const dbx_cluster_event *e;
        for (;;) {
            st = dbx_cluster_events_iter_next(&e, ev);
            if (st == DBX_DONE)
                break;
            if (!check(t, st, "events_iter_next")) {
                assert_true(++failures <= 2);
                continue;
            }
            assert_true(got < W.n_events);
            assert_string_equal(dbx_cluster_event_type(e), W.event_types[got]);
            got++;
        }
        assert_int_equal(got, W.n_events);
    }
    dbx_cluster_events_iter_free(ev);

    /* a listing read whole */
    dbx_spark_versions *sv = NULL;
    if (check(t, dbx_clusters_spark_versions(&sv, c), "spark_versions")) {
        assert_int_equal(dbx_spark_versions_count(sv), W.n_spark);
        assert_string_equal(dbx_spark_versions_key(sv, 0), W.spark_key0);
    }
    dbx_spark_versions_free(sv);

    /* an error answer: its body is parsed too */
    cl = NULL;
    st = dbx_clusters_get(&cl, c, "0000-000000-nosuchcl");
    t->calls++;
    if (st != DBX_ENOTFOUND && st != DBX_ENOMEM)
        fail_msg("missing cluster: %s", dbx_status_name(st));
    assert_null(cl);

    /* the escape hatch */
    dbx_response *r = NULL;
    st = dbx_request(&r, c, "GET", "/api/2.1/clusters/get?cluster_id=x", NULL);
    t->calls++;
    if (st != DBX_ENOTFOUND && st != DBX_ENOMEM)
        fail_msg("dbx_request of a missing cluster: %s", dbx_status_name(st));
    assert_null(r);
    char path[160];
    snprintf(path, sizeof path, "/api/2.1/clusters/get?cluster_id=%s", W.ids[0]);
    if (check(t, dbx_request(&r, c, "GET", path, NULL), "dbx_request")) {
        assert_int_equal(dbx_response_status(r), 200);
        assert_non_null(strstr(dbx_response_body(r, NULL), W.ids[0]));
        assert_non_null(dbx_response_header(r, "x-request-id"));
    }
    dbx_response_free(r);

    /* a request body built from a spec */
    dbx_cluster_spec *s = NULL;
    if (check(t, dbx_cluster_spec_new(&s), "spec_new")) {
        if (check(t, dbx_cluster_spec_set_spark_version(s, "15.4.x-scala2.12"), "spec_set") &&
            check(t, dbx_cluster_spec_set_custom_tag(s, "team", "fraud"), "spec_set") &&
            check(t, dbx_cluster_spec_set_autoscale(s, 1, 3), "spec_set")) {
            char *id = NULL;
            if (check(t, dbx_clusters_create(&id, c, s), "clusters_create"))
                assert_true(strlen(id) > 10);
            dbx_free(id);
        }
    }
    dbx_cluster_spec_free(s);
    workspace_scenario(t, c);

    /* DBFS: put, get-status, a streamed upload and download (one block each) */
    dbfs_scenario(t, c);
    dbx_client_free(c);

    /* OAuth M2M: discovery, token, then the call */
    c = plain_client(&st, 1);
    if (st != DBX_OK) {
        assert_int_equal(st, DBX_ENOMEM);
        t->enomem++;
        return;
    }
    cl = NULL;
    if (check(t, dbx_clusters_get(&cl, c, W.ids[0]), "m2m clusters_get"))
        assert_string_equal(dbx_cluster_id(cl), W.ids[0]);
    dbx_cluster_free(cl);
    dbx_client_free(c);
}

/* Record what a clean run returns (ids are random per world). */
static void record_expectations(void)
{
    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    assert_int_equal(st, DBX_OK);
    dbx_cluster_state_t states[] = {DBX_CLUSTER_STATE_TERMINATED};
    dbx_clusters_list_options lo = DBX_CLUSTERS_LIST_OPTIONS_INIT;
    lo.states = states;
    lo.n_states = 1;
    dbx_clusters_iter *it;
    assert_int_equal(dbx_clusters_list(&it, c, &lo), DBX_OK);
    const dbx_cluster *item;
    int n = 0;
    while (dbx_clusters_iter_next(&item, it) == DBX_OK) {
        assert_true(n < 2);
        snprintf(W.terminated[n++], sizeof W.terminated[0], "%s", dbx_cluster_id(item));
    }
    assert_int_equal(n, 2);
    dbx_clusters_iter_free(it);
    dbx_cluster_events_iter *ev;
    dbx_cluster_events_options eo = DBX_CLUSTER_EVENTS_OPTIONS_INIT;
    eo.order = DBX_SORT_ASC;
    assert_int_equal(dbx_clusters_events(&ev, c, W.ids[0], &eo), DBX_OK);
    const dbx_cluster_event *e;
    W.n_events = 0;
    while (dbx_cluster_events_iter_next(&e, ev) == DBX_OK && W.n_events < 32)
        snprintf(W.event_types[W.n_events++], sizeof W.event_types[0], "%s", dbx_cluster_event_type(e));
    dbx_cluster_events_iter_free(ev);
    assert_true(W.n_events >= 2);
    dbx_spark_versions *sv;
    assert_int_equal(dbx_clusters_spark_versions(&sv, c), DBX_OK);
    W.n_spark = dbx_spark_versions_count(sv);
    snprintf(W.spark_key0, sizeof W.spark_key0, "%s", dbx_spark_versions_key(sv, 0));
    dbx_spark_versions_free(sv);
    dbx_client_free(c);
}

static long env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : dflt;
}

static void sweep(void **state)
{
    (void)state;
    E = emu_get();
    json_set_alloc_funcs(j_malloc, j_free);
    /* one world per run: the emulator's ids are random, so each run builds
     * its world and records its expectations unarmed, then runs armed */
    build_world();
    record_expectations();
    tally t = {0, 0};
    dbx__alloc_count_start();
    scenario(&t);
    long total = dbx__alloc_count_stop();
    assert_int_equal(t.enomem, 0);
    assert_true(total > 100);

    long stride = env_long("DBX_SWEEP_STRIDE", 0);
    if (stride <= 0)
        stride = getenv("DBX_TEST_UNDER_VALGRIND") ? total / 12 + 1 : 1;
    long runs = 0, failed_calls = 0;
    for (long n = 1; n <= total + 1; n += stride) {
        build_world();
        record_expectations();
        tally r = {0, 0};
        dbx__alloc_fail_after(n);
        scenario(&r);
        dbx__alloc_fail_after(0);
        runs++;
        failed_calls += r.enomem;
    }
    json_set_alloc_funcs(malloc, free);
    printf("alloc sweep: %ld allocations in the scenario (libdbx + jansson), %ld runs (stride %ld), "
           "%ld calls failed with DBX_ENOMEM, none wrong\n",
           total, runs, stride, failed_calls);
    /* the sweep reached failures: allocations really were made to fail */
    assert_true(failed_calls > 0);
}

/* ---- Files API ------------------------------------------------------------------------------ */

#define FVOL "/Volumes/sweep/s/v"
#define MP_BYTES (5L * 1024 * 1024 + 10)
static char *MP_DATA;

static void files_world(void)
{
    emu_reset(E);
    emu_config(E, "{\"page_size_files\":2}");
    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    assert_int_equal(st, DBX_OK);
    for (int i = 0; i < 3; i++) {
        char p[64];
        snprintf(p, sizeof p, FVOL "/d/f%d", i);
        assert_int_equal(dbx_files_upload_buffer(c, p, "xyz", 3, NULL), DBX_OK);
    }
    dbx_client_free(c);
}

static int sum_sink(void *payload, const char *data, size_t len)
{
    size_t *n = payload;
    for (size_t i = 0; i < len; i++)
        n[1] += (unsigned char)data[i];
    n[0] += len;
    return 0;
}

static void files_scenario(tally *t, int multipart)
{
    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    if (st != DBX_OK) {
        assert_int_equal(st, DBX_ENOMEM);
        t->enomem++;
        return;
    }
    if (multipart) {
        dbx_files_upload_options uo = DBX_FILES_UPLOAD_OPTIONS_INIT;
        uo.multipart_threshold = 1;
        uo.part_size = 5L * 1024 * 1024;
        if (check(t, dbx_files_upload_buffer(c, FVOL "/mp.bin", MP_DATA, MP_BYTES, &uo), "files multipart")) {
            size_t got[2] = {0, 0};
            if (check(t, dbx_files_download(c, FVOL "/mp.bin", sum_sink, got, NULL), "files download mp"))
                assert_int_equal(got[0], MP_BYTES);
        }
        dbx_client_free(c);
        return;
    }
    if (check(t, dbx_files_upload_buffer(c, FVOL "/a.bin", "hello", 5, NULL), "files upload")) {
        size_t got[2] = {0, 0};
        if (check(t, dbx_files_download(c, FVOL "/a.bin", sum_sink, got, NULL), "files download")) {
            assert_int_equal(got[0], 5);
            assert_int_equal(got[1], 'h' + 'e' + 'l' + 'l' + 'o');
        }
        dbx_file_info *fi = NULL;
        if (check(t, dbx_files_get_metadata(&fi, c, FVOL "/a.bin"), "files metadata"))
            assert_int_equal(dbx_file_info_size(fi), 5);
        else
            assert_null(fi);
        dbx_file_info_free(fi);
        check(t, dbx_files_delete(c, FVOL "/a.bin"), "files delete");
    }
    dbx_files_list_iter *it = NULL;
    if (check(t, dbx_files_list_directory(&it, c, FVOL "/d", NULL), "files list")) {
        int got = 0, failures = 0;
        const dbx_directory_entry *e;
        for (;;) {
            st = dbx_files_list_iter_next(&e, it);
            if (st == DBX_DONE)
                break;
            if (!check(t, st, "files_list_iter_next")) {
                assert_true(++failures <= 3);
                continue;
            }
            char want[16];
            snprintf(want, sizeof want, "f%d", got);
            assert_string_equal(dbx_directory_entry_name(e), want);
            got++;
        }
        assert_int_equal(got, 3);
    }
    dbx_files_list_iter_free(it);
    check(t, dbx_files_create_directory(c, FVOL "/d2"), "files mkdir");
    dbx_client_free(c);
}

static void sweep_files(void **state)
{
    (void)state;
    E = emu_get();
    MP_DATA = calloc(1, MP_BYTES);
    assert_non_null(MP_DATA);
    for (int multipart = 0; multipart < 2; multipart++) {
        files_world();
        tally t = {0, 0};
        dbx__alloc_count_start();
        files_scenario(&t, multipart);
        long total = dbx__alloc_count_stop();
        assert_int_equal(t.enomem, 0);
        /* a multipart run moves 5 MiB: sample it */
        long stride = getenv("DBX_TEST_UNDER_VALGRIND") ? total / 12 + 1 : multipart ? total / 40 + 1 : 1;
        long runs = 0, failed = 0;
        for (long n = 1; n <= total + 1; n += stride) {
            files_world();
            tally r = {0, 0};
            dbx__alloc_fail_after(n);
            files_scenario(&r, multipart);
            dbx__alloc_fail_after(0);
            runs++;
            failed += r.enomem;
        }
        printf("alloc sweep (files%s): %ld allocations, %ld runs (stride %ld), %ld calls failed with "
               "DBX_ENOMEM, none wrong\n", multipart ? ", multipart" : "", total, runs, stride, failed);
        assert_true(failed > 0);
    }
    free(MP_DATA);
}

/* ---- Jobs API: the same sweep over its main calls ------------------------------------------ */

typedef struct jobs_world {
    int64_t job_id, other_job, run_id, task_run_a, started;
} jobs_world;

static jobs_world JW;

static const char *JOB_JSON =
    "{\"name\":\"sweep-job\",\"max_concurrent_runs\":5,\"parameters\":[{\"name\":\"env\",\"default\":\"dev\"}],"
    "\"tasks\":[{\"task_key\":\"a\",\"notebook_task\":{\"notebook_path\":\"/sweep/a\"}},"
    "{\"task_key\":\"b\",\"depends_on\":[{\"task_key\":\"a\"}],\"spark_python_task\":{\"python_file\":\"/b.py\"}}]}";

/* A job with two tasks (two pages of tasks in jobs/get: page size 1), a
 * second job, and a finished run of the first. */
static void build_jobs_world(void)
{
    emu_reset(E);
    emu_config(E, "{\"jobs_page_size_max\":1}");
    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    assert_int_equal(st, DBX_OK);
    dbx_job_settings *s = NULL;
    assert_int_equal(dbx_job_settings_from_json(&s, JOB_JSON), DBX_OK);
    assert_int_equal(dbx_jobs_create(&JW.job_id, c, s), DBX_OK);
    assert_int_equal(dbx_jobs_create(&JW.other_job, c, s), DBX_OK);
    dbx_job_settings_free(s);
    dbx_run_started rs;
    assert_int_equal(dbx_jobs_run_now(&rs, c, JW.job_id, NULL), DBX_OK);
    JW.run_id = rs.run_id;
    emu_advance(E, 60000);
    dbx_run *r = NULL;
    assert_int_equal(dbx_jobs_get_run(&r, c, JW.run_id), DBX_OK);
    assert_int_equal(dbx_run_result_state(r), DBX_RUN_RESULT_SUCCESS);
    JW.task_run_a = dbx_run_task_run_id_by_key(r, "a");
    dbx_run_free(r);
    /* the run the scenario's run-now (fixed token) gets back every time */
    dbx_jobs_run_now_options o = DBX_JOBS_RUN_NOW_OPTIONS_INIT;
    o.idempotency_token = "sweep-token";
    assert_int_equal(dbx_jobs_run_now(&rs, c, JW.other_job, &o), DBX_OK);
    JW.started = rs.run_id;
    dbx_client_free(c);
}

static void jobs_scenario(tally *t)
{
    dbx_status st;
    /* local: settings from JSON and built */
    dbx_job_settings *s = NULL;
    if (check(t, dbx_job_settings_from_json(&s, JOB_JSON), "job_settings_from_json")) {
        dbx_job_task *task = NULL;
        if (check(t, dbx_job_task_new(&task, "c"), "job_task_new") &&
            check(t, dbx_job_task_set_notebook(task, "/sweep/c", NULL), "job_task_set_notebook") &&
            check(t, dbx_job_task_add_depends_on(task, "b", NULL), "job_task_add_depends_on") &&
            check(t, dbx_job_settings_add_task(s, task), "job_settings_add_task"))
            check(t, dbx_job_settings_validate(s), "job_settings_validate");
        dbx_job_task_free(task);
    } else {
        assert_null(s);
    }
    dbx_job_settings_free(s);

    dbx_client *c = plain_client(&st, 0);
    if (st != DBX_OK) {
        assert_int_equal(st, DBX_ENOMEM);
        t->enomem++;
        return;
    }
    /* get: two pages of tasks merged */
    dbx_job *job = NULL;
    if (check(t, dbx_jobs_get(&job, c, JW.job_id), "jobs_get")) {
        assert_true(dbx_job_id(job) == JW.job_id);
        assert_string_equal(dbx_job_name(job), "sweep-job");
        assert_int_equal(dbx_job_task_count(job), 2);
        assert_string_equal(dbx_job_task_key(job, 1), "b");
    } else {
        assert_null(job);
    }
    dbx_job_free(job);

    /* list, one job per page: exactly the two jobs, once each */
    dbx_jobs_list_options lo = DBX_JOBS_LIST_OPTIONS_INIT;
    lo.limit = 1;
    dbx_jobs_iter *it = NULL;
    if (check(t, dbx_jobs_list(&it, c, &lo), "jobs_list")) {
        int got = 0, failures = 0, seen_a = 0, seen_b = 0;
        const dbx_job *item;
        for (;;) {
            st = dbx_jobs_iter_next(&item, it);
            if (st == DBX_DONE)
                break;
            if (!check(t, st, "jobs_iter_next")) {
                assert_true(++failures <= 2);
                continue;
            }
            seen_a += dbx_job_id(item) == JW.job_id;
            seen_b += dbx_job_id(item) == JW.other_job;
            got++;
        }
        assert_int_equal(got, 2);
        assert_int_equal(seen_a, 1);
        assert_int_equal(seen_b, 1);
    }
    dbx_jobs_iter_free(it);

    /* runs/get (task pages merged), the waiter on a finished run, get-output */
    dbx_run *r = NULL;
    if (check(t, dbx_jobs_get_run(&r, c, JW.run_id), "jobs_get_run")) {
        assert_int_equal(dbx_run_life_cycle_state(r), DBX_RUN_LIFE_CYCLE_TERMINATED);
        assert_int_equal(dbx_run_task_count(r), 2);
        assert_true(dbx_run_task_run_id_by_key(r, "a") == JW.task_run_a);
    }
    dbx_run_free(r);
    r = NULL;
    if (check(t, dbx_jobs_wait_run(&r, c, JW.run_id, NULL), "jobs_wait_run"))
        assert_int_equal(dbx_run_result_state(r), DBX_RUN_RESULT_SUCCESS);
    dbx_run_free(r);
    dbx_run_output *out = NULL;
    if (check(t, dbx_jobs_get_run_output(&out, c, JW.task_run_a), "jobs_get_run_output"))
        assert_true(dbx_run_output_run_id(out) == JW.task_run_a);
    dbx_run_output_free(out);

    /* runs list of the first job, completed only */
    dbx_jobs_runs_list_options ro = DBX_JOBS_RUNS_LIST_OPTIONS_INIT;
    ro.job_id = JW.job_id;
    ro.completed_only = 1;
    dbx_runs_iter *ri = NULL;
    if (check(t, dbx_jobs_list_runs(&ri, c, &ro), "jobs_list_runs")) {
        int got = 0, failures = 0;
        const dbx_run *item;
        for (;;) {
            st = dbx_runs_iter_next(&item, ri);
            if (st == DBX_DONE)
                break;
            if (!check(t, st, "runs_iter_next")) {
                assert_true(++failures <= 2);
                continue;
            }
            assert_true(dbx_run_id(item) == JW.run_id);
            got++;
        }
        assert_int_equal(got, 1);
    }
    dbx_runs_iter_free(ri);

    /* run-now with a fixed token: always the same run */
    dbx_jobs_run_now_options o = DBX_JOBS_RUN_NOW_OPTIONS_INIT;
    o.idempotency_token = "sweep-token";
    dbx_run_started rs;
    if (check(t, dbx_jobs_run_now(&rs, c, JW.other_job, &o), "jobs_run_now"))
        assert_true(rs.run_id == JW.started);
    else
        assert_true(rs.run_id == 0);

    /* an error answer */
    job = NULL;
    st = dbx_jobs_get(&job, c, 424242);
    t->calls++;
    if (st != DBX_ENOTFOUND && st != DBX_ENOMEM)
        fail_msg("missing job: %s", dbx_status_name(st));
    assert_null(job);
    dbx_client_free(c);
}

static void sweep_jobs(void **state)
{
    (void)state;
    E = emu_get();
    json_set_alloc_funcs(j_malloc, j_free);
    build_jobs_world();
    tally t = {0, 0};
    dbx__alloc_count_start();
    jobs_scenario(&t);
    long total = dbx__alloc_count_stop();
    assert_int_equal(t.enomem, 0);
    assert_true(total > 100);
    long stride = env_long("DBX_SWEEP_STRIDE", 0);
    if (stride <= 0)
        stride = getenv("DBX_TEST_UNDER_VALGRIND") ? total / 12 + 1 : 1;
    long runs = 0, failed_calls = 0;
    for (long n = 1; n <= total + 1; n += stride) {
        build_jobs_world();
        tally r = {0, 0};
        dbx__alloc_fail_after(n);
        jobs_scenario(&r);
        dbx__alloc_fail_after(0);
        runs++;
        failed_calls += r.enomem;
    }
    json_set_alloc_funcs(malloc, free);
    printf("alloc sweep (jobs): %ld allocations in the scenario, %ld runs (stride %ld), "
           "%ld calls failed with DBX_ENOMEM, none wrong\n",
           total, runs, stride, failed_calls);
    assert_true(failed_calls > 0);
}

/* ---- SQL warehouses: the same sweep over its main calls ------------------------------------ */

static char WH_IDS[2][64];

/* Two warehouses besides the seed, RUNNING, one per list page. */
static void build_warehouses_world(void)
{
    emu_reset(E);
    emu_config(E, "{\"page_size_warehouses\":1}");
    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    assert_int_equal(st, DBX_OK);
    for (int i = 0; i < 2; i++) {
        char json[128];
        snprintf(json, sizeof json, "{\"name\":\"sweep-%d\",\"cluster_size\":\"Small\",\"auto_stop_mins\":0}", i);
        dbx_warehouse_spec *s = NULL;
        assert_int_equal(dbx_warehouse_spec_from_json(&s, json), DBX_OK);
        char *id = NULL;
        assert_int_equal(dbx_warehouses_create(&id, c, s), DBX_OK);
        snprintf(WH_IDS[i], sizeof WH_IDS[i], "%s", id);
        dbx_free(id);
        dbx_warehouse_spec_free(s);
    }
    emu_advance(E, 5000);
    dbx_client_free(c);
}

static void warehouses_scenario(tally *t)
{
    dbx_status st;
    /* local: a spec built and dumped */
    dbx_warehouse_spec *s = NULL;
    int built = 0;
    if (check(t, dbx_warehouse_spec_new(&s), "warehouse_spec_new")) {
        char *j = NULL;
        if ((built = check(t, dbx_warehouse_spec_set_name(s, "sweep-new"), "wh spec_set") &&
                     check(t, dbx_warehouse_spec_set_cluster_size(s, "X-Small"), "wh spec_set")) &&
            check(t, dbx_warehouse_spec_set_num_clusters(s, 1, 2), "wh spec_set") &&
            check(t, dbx_warehouse_spec_set_channel(s, "CHANNEL_NAME_CURRENT", NULL), "wh spec_set") &&
            check(t, dbx_warehouse_spec_set_tag(s, "team", "fraud"), "wh spec_set") &&
            check(t, dbx_warehouse_spec_to_json(&j, s), "wh spec_to_json"))
            assert_non_null(strstr(j, "\"custom_tags\":[{\"key\":\"team\",\"value\":\"fraud\"}]"));
        dbx_free(j);
    }
    dbx_client *c = plain_client(&st, 0);
    if (st != DBX_OK) {
        assert_int_equal(st, DBX_ENOMEM);
        t->enomem++;
        dbx_warehouse_spec_free(s);
        return;
    }
    /* get */
    dbx_warehouse *wh = NULL;
    if (check(t, dbx_warehouses_get(&wh, c, WH_IDS[1]), "warehouses_get")) {
        assert_string_equal(dbx_warehouse_id(wh), WH_IDS[1]);
        assert_string_equal(dbx_warehouse_name(wh), "sweep-1");
        assert_int_equal(dbx_warehouse_state(wh), DBX_WAREHOUSE_STATE_RUNNING);
        const char *j = dbx_warehouse_json(wh);
        if (j)
            assert_non_null(strstr(j, WH_IDS[1]));
    } else {
        assert_null(wh);
    }
    dbx_warehouse_free(wh);

    /* list, one per page: the seed and both warehouses, once each, in order */
    dbx_warehouses_iter *it = NULL;
    if (check(t, dbx_warehouses_list(&it, c, NULL), "warehouses_list")) {
        int got = 0, failures = 0;
        const dbx_warehouse *item;
        for (;;) {
            st = dbx_warehouses_iter_next(&item, it);
            if (st == DBX_DONE)
                break;
            if (!check(t, st, "warehouses_iter_next")) {
                assert_true(++failures <= 3);
                continue;
            }
            if (got > 0)
                assert_string_equal(dbx_warehouse_id(item), WH_IDS[got - 1]);
            got++;
        }
        assert_int_equal(got, 3);
    }
    dbx_warehouses_iter_free(it);

    /* the waiter on a RUNNING warehouse, start (a no-op), edit, create */
    wh = NULL;
    if (check(t, dbx_warehouses_wait_running(&wh, c, WH_IDS[0], NULL), "warehouses_wait_running"))
        assert_int_equal(dbx_warehouse_num_clusters(wh), 1);
    dbx_warehouse_free(wh);
    check(t, dbx_warehouses_start(c, WH_IDS[0]), "warehouses_start");
    dbx_warehouse_spec *e = NULL;
    if (check(t, dbx_warehouse_spec_from_json(&e, "{\"auto_stop_mins\":20}"), "wh spec_from_json"))
        check(t, dbx_warehouses_edit(c, WH_IDS[0], e), "warehouses_edit");
    dbx_warehouse_spec_free(e);
    if (built) { /* name and size set (a later setter may have failed: still a valid spec) */
        char *id = NULL;
        if (check(t, dbx_warehouses_create(&id, c, s), "warehouses_create"))
            assert_int_equal(strlen(id), 16);
        else
            assert_null(id);
        dbx_free(id);
    }
    dbx_warehouse_spec_free(s);

    /* an error answer */
    wh = NULL;
    st = dbx_warehouses_get(&wh, c, "0123456789abcdef");
    t->calls++;
    if (st != DBX_ENOTFOUND && st != DBX_ENOMEM)
        fail_msg("missing warehouse: %s", dbx_status_name(st));
    assert_null(wh);
    dbx_client_free(c);
}

static void sweep_warehouses(void **state)
{
    (void)state;
    E = emu_get();
    json_set_alloc_funcs(j_malloc, j_free);
    build_warehouses_world();
    tally t = {0, 0};
    dbx__alloc_count_start();
    warehouses_scenario(&t);
    long total = dbx__alloc_count_stop();
    assert_int_equal(t.enomem, 0);
    assert_true(total > 30);
    long stride = env_long("DBX_SWEEP_STRIDE", 0);
    if (stride <= 0)
        stride = getenv("DBX_TEST_UNDER_VALGRIND") ? total / 12 + 1 : 1;
    long runs = 0, failed_calls = 0;
    for (long n = 1; n <= total + 1; n += stride) {
        build_warehouses_world();
        tally r = {0, 0};
        dbx__alloc_fail_after(n);
        warehouses_scenario(&r);
        dbx__alloc_fail_after(0);
        runs++;
        failed_calls += r.enomem;
    }
    json_set_alloc_funcs(malloc, free);
    printf("alloc sweep (warehouses): %ld allocations in the scenario, %ld runs (stride %ld), "
           "%ld calls failed with DBX_ENOMEM, none wrong\n",
           total, runs, stride, failed_calls);
    assert_true(failed_calls > 0);
}

/* ---- Unity Catalog: the same sweep over its main calls ------------------------------------ */

typedef struct uc_world {
    char schemas[8][32]; /* schemas of swc in list order (recorded by the clean run) */
    int n_schemas;
    int recorded;
} uc_world;

static uc_world UW;

static const dbx_column_def UC_COLS[] = {
    {"id", "bigint", DBX_COLUMN_TYPE_UNKNOWN, 0, 0, 1, NULL, 0},
    {"amount", "decimal(10,2)", DBX_COLUMN_TYPE_UNKNOWN, 0, 0, 0, "money", 0},
    {"day", "date", DBX_COLUMN_TYPE_UNKNOWN, 0, 0, 0, NULL, 1},
};

/* Catalog swc {a=1, b=2} with schemas default (made with it) and s1..s3;
 * swc.s1 holds volume v1 and the external table t1 (UC_COLS). */
static void build_uc_world(void)
{
    emu_reset(E);
    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    assert_int_equal(st, DBX_OK);
    const char *props[] = {"a", "1", "b", "2", NULL};
    dbx_uc_create_options co = DBX_UC_CREATE_OPTIONS_INIT;
    co.properties = props;
    assert_int_equal(dbx_catalogs_create(NULL, c, "swc", &co), DBX_OK);
    for (int i = 1; i <= 3; i++) {
        char n[8];
        snprintf(n, sizeof n, "s%d", i);
        assert_int_equal(dbx_schemas_create(NULL, c, "swc", n, NULL), DBX_OK);
    }
    assert_int_equal(dbx_volumes_create(NULL, c, "swc", "s1", "v1", DBX_VOLUME_TYPE_MANAGED, NULL), DBX_OK);
    co = (dbx_uc_create_options)DBX_UC_CREATE_OPTIONS_INIT;
    co.storage_location = "s3://sweep/t1";
    assert_int_equal(dbx_tables_create_external(NULL, c, "swc", "s1", "t1", UC_COLS, 3, &co), DBX_OK);
    dbx_client_free(c);
}

static void uc_expect_t1(const dbx_table *tb)
{
    assert_string_equal(dbx_table_full_name(tb), "swc.s1.t1");
    assert_int_equal(dbx_table_type(tb), DBX_TABLE_TYPE_EXTERNAL);
    assert_int_equal(dbx_table_column_count(tb), 3);
    assert_int_equal(dbx_column_type(dbx_table_column(tb, 0)), DBX_COLUMN_TYPE_LONG);
    assert_int_equal(dbx_column_nullable(dbx_table_column(tb, 0)), 0);
    assert_int_equal(dbx_column_scale(dbx_table_column_by_name(tb, "amount")), 2);
}

static void uc_scenario(tally *t)
{
    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    if (st != DBX_OK) {
        assert_int_equal(st, DBX_ENOMEM);
        t->enomem++;
        return;
    }
    dbx_catalog *cat = NULL;
    if (check(t, dbx_catalogs_get(&cat, c, "swc"), "catalogs_get")) {
        assert_string_equal(dbx_catalog_name(cat), "swc");
        assert_int_equal(dbx_catalog_property_count(cat), 2);
        assert_string_equal(dbx_catalog_property(cat, "b"), "2");
        const char *j = dbx_catalog_json(cat);
        if (j)
            assert_non_null(strstr(j, "\"swc\""));
    }
    dbx_catalog_free(cat);

    /* schemas, one per page: exactly the recorded list, none skipped or repeated */
    dbx_uc_list_options lo = DBX_UC_LIST_OPTIONS_INIT;
    lo.page_size = 1;
    dbx_schemas_iter *si = NULL;
    if (check(t, dbx_schemas_list(&si, c, "swc", &lo), "schemas_list")) {
        int got = 0, failures = 0;
        const dbx_schema *item;
        for (;;) {
            st = dbx_schemas_iter_next(&item, si);
            if (st == DBX_DONE)
                break;
            if (!check(t, st, "schemas_iter_next")) {
                assert_true(++failures <= 2);
                continue;
            }
            assert_true(got < 8);
            if (!UW.recorded)
                snprintf(UW.schemas[UW.n_schemas++], sizeof UW.schemas[0], "%s", dbx_schema_name(item));
            else
                assert_string_equal(dbx_schema_name(item), UW.schemas[got]);
            got++;
        }
        assert_int_equal(got, UW.n_schemas);
    }
    dbx_schemas_iter_free(si);
    UW.recorded = 1;

    dbx_table *tb = NULL;
    if (check(t, dbx_tables_get(&tb, c, "swc.s1.t1"), "tables_get"))
        uc_expect_t1(tb);
    dbx_table_free(tb);

    dbx_tables_iter *ti = NULL;
    if (check(t, dbx_tables_list(&ti, c, "swc", "s1", &lo), "tables_list")) {
        int got = 0, failures = 0;
        const dbx_table *item;
        for (;;) {
            st = dbx_tables_iter_next(&item, ti);
            if (st == DBX_DONE)
                break;
            if (!check(t, st, "tables_iter_next")) {
                assert_true(++failures <= 2);
                continue;
            }
            uc_expect_t1(item);
            got++;
        }
        assert_int_equal(got, 1);
    }
    dbx_tables_iter_free(ti);

    int ex = -1;
    if (check(t, dbx_tables_exists(&ex, c, "swc.s1.t1"), "tables_exists"))
        assert_int_equal(ex, 1);

    dbx_volume *v = NULL;
    if (check(t, dbx_volumes_read(&v, c, "swc.s1.v1"), "volumes_read"))
        assert_int_equal(dbx_volume_type(v), DBX_VOLUME_TYPE_MANAGED);
    dbx_volume_free(v);

    dbx_uc_update_options uo = DBX_UC_UPDATE_OPTIONS_INIT;
    uo.comment = "swept";
    if (check(t, dbx_schemas_update(NULL, c, "swc.s2", &uo), "schemas_update")) {
        dbx_schema *s = NULL;
        if (check(t, dbx_schemas_get(&s, c, "swc.s2"), "schemas_get"))
            assert_string_equal(dbx_schema_comment(s), "swept");
        dbx_schema_free(s);
    }

    /* a create: the new table, or DBX_ENOMEM (then it may exist or not) */
    dbx_uc_create_options co = DBX_UC_CREATE_OPTIONS_INIT;
    co.storage_location = "s3://sweep/t2";
    if (check(t, dbx_tables_create_external(&tb, c, "swc", "s1", "t2", UC_COLS, 3, &co), "tables_create_external")) {
        assert_string_equal(dbx_table_full_name(tb), "swc.s1.t2");
        assert_int_equal(dbx_table_column_count(tb), 3);
    }
    dbx_table_free(tb);
    dbx_client_free(c);
}

static void sweep_catalog(void **state)
{
    (void)state;
    E = emu_get();
    json_set_alloc_funcs(j_malloc, j_free);
    memset(&UW, 0, sizeof UW);
    build_uc_world();
    tally t = {0, 0};
    dbx__alloc_count_start();
    uc_scenario(&t);
    long total = dbx__alloc_count_stop();
    assert_int_equal(t.enomem, 0);
    assert_int_equal(UW.n_schemas, 4);
    assert_true(total > 100);
    long stride = env_long("DBX_SWEEP_STRIDE", 0);
    if (stride <= 0)
        stride = getenv("DBX_TEST_UNDER_VALGRIND") ? total / 12 + 1 : 1;
    long runs = 0, failed_calls = 0;
    for (long n = 1; n <= total + 1; n += stride) {
        build_uc_world();
        tally r = {0, 0};
        dbx__alloc_fail_after(n);
        uc_scenario(&r);
        dbx__alloc_fail_after(0);
        runs++;
        failed_calls += r.enomem;
    }
    json_set_alloc_funcs(malloc, free);
    printf("alloc sweep (catalog): %ld allocations in the scenario, %ld runs (stride %ld), "
           "%ld calls failed with DBX_ENOMEM, none wrong\n",
           total, runs, stride, failed_calls);
    assert_true(failed_calls > 0);
}

/* ---- SQL statements ------------------------------------------------------------------------ */

typedef struct sql_world {
    char inline_id[128], ext_id[128];
} sql_world;

static sql_world SW;

static void sql_world_exec(dbx_client *c, const char *sql, const dbx_sql_execute_options *o, char *id_out)
{
    dbx_sql_statement *st = NULL;
    assert_int_equal(dbx_sql_run(&st, c, "5eedc0ffee000001", sql, NULL, o, NULL), DBX_OK);
    if (id_out)
        snprintf(id_out, 128, "%s", dbx_sql_statement_id(st));
    dbx_sql_statement_free(st);
}

/* A table of ten rows and two finished SELECTs of it, 3 rows per chunk:
 * INLINE and EXTERNAL_LINKS. */
static void build_sql_world(void)
{
    emu_reset(E);
    emu_config(E, "{\"sql_chunk_rows\": 3}");
    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    assert_int_equal(st, DBX_OK);
    sql_world_exec(c, "CREATE TABLE main.default.sweep (id BIGINT, name STRING) USING DELTA", NULL, NULL);
    sql_world_exec(c, "INSERT INTO main.default.sweep VALUES (0,'a'),(1,'b'),(2,NULL),(3,'d'),(4,'e'),(5,'f'),"
                      "(6,'g'),(7,'h'),(8,'i'),(9,'j')", NULL, NULL);
    dbx_sql_execute_options o = DBX_SQL_EXECUTE_OPTIONS_INIT;
    sql_world_exec(c, "SELECT id, name FROM main.default.sweep ORDER BY id", &o, SW.inline_id);
    o.disposition = DBX_SQL_DISPOSITION_EXTERNAL_LINKS;
    sql_world_exec(c, "SELECT id, name FROM main.default.sweep ORDER BY id", &o, SW.ext_id);
    dbx_client_free(c);
}

/* Every row of a finished statement, in order, whatever fails on the way
 * (a failed next is retried: no row skipped or repeated). */
static void sql_read_all(tally *t, dbx_client *c, const char *id)
{
    dbx_sql_statement *st = NULL;
    if (!check(t, dbx_sql_get(&st, c, id), "sql_get")) {
        assert_null(st);
        return;
    }
    dbx_sql_rows_options ro = DBX_SQL_ROWS_OPTIONS_INIT;
    ro.max_chunks = 2;
    dbx_sql_rows *it = NULL;
    if (check(t, dbx_sql_rows_open(&it, c, st, &ro), "sql_rows_open")) {
        int64_t want = 0;
        int failures = 0;
        for (;;) {
            dbx_status rs = dbx_sql_rows_next(it);
            if (rs == DBX_DONE)
                break;
            if (!check(t, rs, "sql_rows_next")) {
                assert_true(++failures <= 20);
                continue;
            }
            int64_t v = -1;
            assert_int_equal(dbx_sql_rows_int64(&v, it, 0), DBX_OK);
            assert_true(v == want);
            assert_int_equal(dbx_sql_rows_is_null(it, 1), want == 2);
            want++;
        }
        assert_true(want == 10);
    }
    dbx_sql_rows_free(it);
    dbx_sql_statement_free(st);
}

static void sql_scenario(tally *t)
{
    dbx_status st;
    dbx_sql_params *p = NULL;
    int have_params = check(t, dbx_sql_params_new(&p), "sql_params_new") &&
                      check(t, dbx_sql_params_add(p, "s", "x'; --", "STRING"), "sql_params_add") &&
                      check(t, dbx_sql_params_add_int64(p, "n", 3), "sql_params_add_int64");
    dbx_client *c = plain_client(&st, 0);
    if (st != DBX_OK) {
        assert_int_equal(st, DBX_ENOMEM);
        t->enomem++;
        dbx_sql_params_free(p);
        return;
    }
    dbx_sql_statement *s = NULL;
    if (have_params) { /* a parameter missing would fail the statement (unbound marker) */
        if (check(t, dbx_sql_execute(&s, c, "5eedc0ffee000001", "SELECT :s AS s, :n AS n", p, NULL), "sql_execute"))
            assert_int_equal(dbx_sql_statement_state(s), DBX_SQL_STATE_SUCCEEDED);
        else
            assert_null(s);
    }
    dbx_sql_statement_free(s);
    dbx_sql_params_free(p);
    sql_read_all(t, c, SW.inline_id);
    sql_read_all(t, c, SW.ext_id);
    /* a FAILED statement: DBX_ESTATE with the statement, or DBX_ENOMEM */
    s = NULL;
    st = dbx_sql_execute(&s, c, "5eedc0ffee000001", "SELECT * FROM main.default.nope", NULL, NULL);
    t->calls++;
    if (st == DBX_ESTATE)
        assert_int_equal(dbx_sql_statement_state(s), DBX_SQL_STATE_FAILED);
    else if (st == DBX_ENOMEM)
        t->enomem++;
    else
        fail_msg("failed statement: %s", dbx_status_name(st));
    dbx_sql_statement_free(s);
    dbx_client_free(c);
}

static void sweep_sql(void **state)
{
    (void)state;
    E = emu_get();
    json_set_alloc_funcs(j_malloc, j_free);
    build_sql_world();
    tally t = {0, 0};
    dbx__alloc_count_start();
    sql_scenario(&t);
    long total = dbx__alloc_count_stop();
    assert_int_equal(t.enomem, 0);
    assert_true(total > 50);
    long stride = env_long("DBX_SWEEP_STRIDE", 0);
    if (stride <= 0)
        stride = getenv("DBX_TEST_UNDER_VALGRIND") ? total / 12 + 1 : 1;
    long runs = 0, failed_calls = 0;
    for (long n = 1; n <= total + 1; n += stride) {
        tally r = {0, 0};
        dbx__alloc_fail_after(n);
        sql_scenario(&r);
        dbx__alloc_fail_after(0);
        runs++;
        failed_calls += r.enomem;
    }
    json_set_alloc_funcs(malloc, free);
    printf("alloc sweep (sql): %ld allocations in the scenario, %ld runs (stride %ld), "
           "%ld calls failed with DBX_ENOMEM, none wrong\n",
           total, runs, stride, failed_calls);
    assert_true(failed_calls > 0);
}

/* ---- Delta helpers: builders, quoting and the statement-running calls ---------------------- */

#define DT "main.default.sweep_t"
#define DWH "5eedc0ffee000001"

/* A table with versions 0 (create), 1 (two rows), 2 (a third row). */
static void build_delta_world(void)
{
    emu_reset(E);
    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    assert_int_equal(st, DBX_OK);
    static const char *const sqls[] = {
        "CREATE TABLE " DT " (id BIGINT, name STRING) USING DELTA",
        "INSERT INTO " DT " VALUES (1, 'a'), (2, 'b')",
        "INSERT INTO " DT " VALUES (3, 'c')",
    };
    for (size_t i = 0; i < 3; i++) {
        dbx_sql_statement *s = NULL;
        assert_int_equal(dbx_sql_run(&s, c, DWH, sqls[i], NULL, NULL, NULL), DBX_OK);
        dbx_sql_statement_free(s);
    }
    dbx_client_free(c);
}

static void delta_scenario(tally *t)
{
    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    if (!check(t, st, "client_new"))
        return;
    char *q = NULL;
    if (check(t, dbx_delta_quote_name(&q, "main.`a``b`.t"), "delta_quote_name")) {
        assert_string_equal(q, "`main`.`a``b`.`t`");
        dbx_free(q);
    }
    if (check(t, dbx_delta_quote_literal(&q, "it's"), "delta_quote_literal")) {
        assert_string_equal(q, "'it\\'s'");
        dbx_free(q);
    }
    dbx_delta_table_spec *spec = NULL;
    if (check(t, dbx_delta_table_spec_new(&spec), "delta_table_spec_new")) {
        int ok = check(t, dbx_delta_table_spec_add_column(spec, "id", "bigint", 1, "k"), "spec_add_column") &&
                 check(t, dbx_delta_table_spec_add_column(spec, "d", "decimal(5,2)", 0, NULL), "spec_add_column") &&
                 check(t, dbx_delta_table_spec_add_partition_column(spec, "d"), "spec_add_partition") &&
                 check(t, dbx_delta_table_spec_set_comment(spec, "c"), "spec_set_comment") &&
                 check(t, dbx_delta_table_spec_set_property(spec, "k", "v"), "spec_set_property") &&
                 check(t, dbx_delta_table_spec_add_columns(spec, "e string comment 'x', f INT"), "spec_add_columns");
        if (ok && check(t, dbx_delta_table_spec_to_sql(&q, spec, "x.y.z"), "spec_to_sql")) {
            assert_string_equal(q, "CREATE TABLE `x`.`y`.`z` (`id` BIGINT NOT NULL COMMENT 'k', `d` DECIMAL(5,2), "
                                   "`e` STRING COMMENT 'x', `f` INT) "
                                   "USING DELTA PARTITIONED BY (`d`) COMMENT 'c' TBLPROPERTIES ('k' = 'v')");
            dbx_free(q);
        }
        dbx_delta_table_spec_free(spec);
    }
    /* history: three entries, newest first */
    dbx_delta_history *h = NULL;
    if (check(t, dbx_delta_describe_history(&h, c, DWH, DT, 0, NULL), "delta_describe_history")) {
        assert_int_equal(dbx_delta_history_count(h), 3);
        assert_int_equal(dbx_delta_history_version(h, 0), 2);
        assert_string_equal(dbx_delta_history_operation(h, 2), "CREATE TABLE");
        dbx_delta_history_free(h);
    }
    /* time travel to version 1 */
    dbx_delta_read_options ro = DBX_DELTA_READ_OPTIONS_INIT;
    ro.as_of = DBX_DELTA_AS_OF_VERSION;
    ro.table_version = 1;
    dbx_sql_rows *rows = NULL;
    if (check(t, dbx_delta_read(&rows, c, DWH, DT, &ro, NULL), "delta_read")) {
        int n = 0;
        for (;;) {
            st = dbx_sql_rows_next(rows);
            if (st == DBX_DONE)
                break;
            if (!check(t, st, "sql_rows_next"))
                continue; /* retried: continues where it was */
            n++;
        }
        assert_int_equal(n, 2);
        dbx_sql_rows_free(rows);
    }
    /* writes: DBX_OK or DBX_ENOMEM (the world is rebuilt for each run) */
    static const char *const cols[] = {"id", "name"};
    dbx_delta_rowset *rs = NULL;
    if (check(t, dbx_delta_rowset_new(&rs, cols, 2), "delta_rowset_new")) {
        int ok = 1;
        for (int i = 0; i < 3 && ok; i++)
            ok = check(t, dbx_delta_rowset_add_int64(rs, 10 + i), "rowset_add_int64") &&
                 check(t, dbx_delta_rowset_add_string(rs, "v'; --"), "rowset_add_string") &&
                 check(t, dbx_delta_rowset_end_row(rs), "rowset_end_row");
        if (ok) {
            dbx_delta_options o = DBX_DELTA_OPTIONS_INIT;
            o.batch_rows = 2;
            int64_t n = -1;
            if (check(t, dbx_delta_append(&n, c, DWH, DT, rs, &o), "delta_append"))
                assert_int_equal(n, 3);
            static const char *const keys[] = {"id"};
            if (check(t, dbx_delta_upsert(&n, c, DWH, DT, keys, 1, rs, &o), "delta_upsert"))
                assert_int_equal(n, 3);
        }
        dbx_delta_rowset_free(rs);
    }
    check(t, dbx_delta_optimize(c, DWH, DT, cols, 1, NULL), "delta_optimize");
    dbx_client_free(c);
}

static void sweep_delta(void **state)
{
    (void)state;
    E = emu_get();
    json_set_alloc_funcs(j_malloc, j_free);
    build_delta_world();
    tally t = {0, 0};
    dbx__alloc_count_start();
    delta_scenario(&t);
    long total = dbx__alloc_count_stop();
    assert_int_equal(t.enomem, 0);
    assert_true(total > 100);
    long stride = env_long("DBX_SWEEP_STRIDE", 0);
    if (stride <= 0)
        stride = getenv("DBX_TEST_UNDER_VALGRIND") ? total / 12 + 1 : 1;
    long runs = 0, failed_calls = 0;
    for (long n = 1; n <= total + 1; n += stride) {
        build_delta_world();
        tally r = {0, 0};
        dbx__alloc_fail_after(n);
        delta_scenario(&r);
        dbx__alloc_fail_after(0);
        runs++;
        failed_calls += r.enomem;
    }
    json_set_alloc_funcs(malloc, free);
    printf("alloc sweep (delta): %ld allocations in the scenario, %ld runs (stride %ld), "
           "%ld calls failed with DBX_ENOMEM, none wrong\n",
           total, runs, stride, failed_calls);
    assert_true(failed_calls > 0);
}

/* ---- MLflow tracking: the same sweep over its main calls ---------------------------------- */

typedef struct ml_world {
    char exp[64];
    char runs[2][40]; /* in runs/search order (start_time DESC: runs[1] first) */
} ml_world;

static ml_world MW;

/* Experiment /Shared/swml with two runs; runs[0] has param lr=0.1 and 5 values of loss. */
static void build_mlflow_world(void)
{
    emu_reset(E);
    emu_config(E, "{\"page_size_mlflow_search\": 1, \"page_size_mlflow_history\": 2}");
    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    assert_int_equal(st, DBX_OK);
    char *id = NULL;
    assert_int_equal(dbx_mlflow_experiment_create(&id, c, "/Shared/swml", NULL, NULL, 0), DBX_OK);
    snprintf(MW.exp, sizeof MW.exp, "%s", id);
    dbx_free(id);
    for (int i = 0; i < 2; i++) {
        dbx_mlflow_run_create_options o = DBX_MLFLOW_RUN_CREATE_OPTIONS_INIT;
        o.start_time = 1000 + i;
        dbx_mlflow_run *r = NULL;
        assert_int_equal(dbx_mlflow_run_create(&r, c, MW.exp, &o), DBX_OK);
        snprintf(MW.runs[i], sizeof MW.runs[i], "%s", dbx_mlflow_run_id(r));
        dbx_mlflow_run_free(r);
    }
    assert_int_equal(dbx_mlflow_run_log_param(c, MW.runs[0], "lr", "0.1"), DBX_OK);
    for (int i = 0; i < 5; i++)
        assert_int_equal(dbx_mlflow_run_log_metric(c, MW.runs[0], "loss", 5 - i, 100 + i, i), DBX_OK);
    dbx_client_free(c);
}

static void mlflow_scenario(tally *t)
{
    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    if (st != DBX_OK) {
        assert_int_equal(st, DBX_ENOMEM);
        t->enomem++;
        return;
    }
    dbx_mlflow_run *r = NULL;
    if (check(t, dbx_mlflow_run_get(&r, c, MW.runs[0]), "mlflow_run_get")) {
        assert_string_equal(dbx_mlflow_run_id(r), MW.runs[0]);
        assert_string_equal(dbx_mlflow_run_param(r, "lr"), "0.1");
        double v = 0;
        assert_int_equal(dbx_mlflow_run_metric(r, "loss", &v), 1);
        assert_true(v == 1.0);
    } else {
        assert_null(r);
    }
    dbx_mlflow_run_free(r);
    dbx_mlflow_experiment *x = NULL;
    if (check(t, dbx_mlflow_experiment_get_by_name(&x, c, "/Shared/swml"), "mlflow_experiment_get_by_name"))
        assert_string_equal(dbx_mlflow_experiment_id(x), MW.exp);
    dbx_mlflow_experiment_free(x);
    /* runs/search, one per page: runs[1] then runs[0] */
    const char *exps[] = {MW.exp, NULL};
    dbx_mlflow_runs_iter *it = NULL;
    if (check(t, dbx_mlflow_runs_search(&it, c, exps, NULL), "mlflow_runs_search")) {
        int got = 0, failures = 0;
        const dbx_mlflow_run *item;
        for (;;) {
            st = dbx_mlflow_runs_iter_next(&item, it);
            if (st == DBX_DONE)
                break;
            if (!check(t, st, "mlflow_runs_iter_next")) {
                assert_true(++failures <= 2);
                continue;
            }
            assert_true(got < 2);
            assert_string_equal(dbx_mlflow_run_id(item), MW.runs[1 - got]);
            got++;
        }
        assert_int_equal(got, 2);
    }
    dbx_mlflow_runs_iter_free(it);
    /* metric history, two per page: 5, 4, 3, 2, 1 */
    dbx_mlflow_metrics_iter *mi = NULL;
    if (check(t, dbx_mlflow_metric_history(&mi, c, MW.runs[0], "loss", 0, 0), "mlflow_metric_history")) {
        int got = 0, failures = 0;
        const dbx_mlflow_metric *m;
        for (;;) {
            st = dbx_mlflow_metrics_iter_next(&m, mi);
            if (st == DBX_DONE)
                break;
            if (!check(t, st, "mlflow_metrics_iter_next")) {
                assert_true(++failures <= 2);
                continue;
            }
            assert_true(dbx_mlflow_metric_value(m) == 5.0 - got);
            got++;
        }
        assert_int_equal(got, 5);
    }
    dbx_mlflow_metrics_iter_free(mi);
    /* the logging buffer: adds and a flush either work or fail with ENOMEM */
    dbx_mlflow_logger *lg = NULL;
    if (check(t, dbx_mlflow_logger_new(&lg, c, MW.runs[1], NULL), "mlflow_logger_new")) {
        for (int i = 0; i < 3; i++)
            check(t, dbx_mlflow_logger_add_metric(lg, "acc", 0.5 + i, 10 + i, i), "mlflow_logger_add_metric");
        check(t, dbx_mlflow_logger_add_param(lg, "depth", "3"), "mlflow_logger_add_param");
        check(t, dbx_mlflow_logger_add_tag(lg, "phase", "train"), "mlflow_logger_add_tag");
        size_t pending = dbx_mlflow_logger_pending(lg);
        assert_true(pending <= 5);
        if (check(t, dbx_mlflow_logger_flush(lg), "mlflow_logger_flush"))
            assert_int_equal(dbx_mlflow_logger_pending(lg), 0);
        else
            assert_int_equal(dbx_mlflow_logger_pending(lg), pending); /* nothing lost */
    } else {
        assert_null(lg);
    }
    dbx_mlflow_logger_free(lg);
    dbx_mlflow_metric_point mp[] = {{"f1", 0.25, 1, 0}};
    dbx_mlflow_tag tg[] = {{"k", "v"}};
    check(t, dbx_mlflow_run_log_batch(c, MW.runs[1], mp, 1, NULL, 0, tg, 1), "mlflow_run_log_batch");
    dbx_client_free(c);
}

static void sweep_mlflow(void **state)
{
    (void)state;
    E = emu_get();
    json_set_alloc_funcs(j_malloc, j_free);
    build_mlflow_world();
    tally t = {0, 0};
    dbx__alloc_count_start();
    mlflow_scenario(&t);
    long total = dbx__alloc_count_stop();
    assert_int_equal(t.enomem, 0);
    assert_true(total > 30);
    long stride = env_long("DBX_SWEEP_STRIDE", 0);
    if (stride <= 0)
        stride = getenv("DBX_TEST_UNDER_VALGRIND") ? total / 12 + 1 : 1;
    long runs = 0, failed_calls = 0;
    for (long n = 1; n <= total + 1; n += stride) {
        build_mlflow_world();
        tally r = {0, 0};
        dbx__alloc_fail_after(n);
        mlflow_scenario(&r);
        dbx__alloc_fail_after(0);
        runs++;
        failed_calls += r.enomem;
    }
    json_set_alloc_funcs(malloc, free);
    printf("alloc sweep (mlflow): %ld allocations in the scenario, %ld runs (stride %ld), "
           "%ld calls failed with DBX_ENOMEM, none wrong\n",
           total, runs, stride, failed_calls);
    assert_true(failed_calls > 0);
}

/* ---- model registry (issue 8) ------------------------------------------------------------------ */

static const char REG_MLMODEL[] = "signature:\n  inputs: '[1]'\n  outputs: '[2]'\n";

/* Workspace model "swm" with versions 1..3 READY, alias champ -> 2; UC
 * model swr.s1.m with version 1 READY (registered from a local directory). */
static void build_registry_world(void)
{
    emu_reset(E);
    emu_config(E, "{\"registry_page_size\":1}");
    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    assert_int_equal(st, DBX_OK);
    assert_int_equal(dbx_files_upload_buffer(c, "/Volumes/swr/s1/v/m/MLmodel", REG_MLMODEL, strlen(REG_MLMODEL), NULL),
                     DBX_OK);
    assert_int_equal(dbx_registry_model_create(NULL, c, DBX_REGISTRY_WORKSPACE, "swm", NULL), DBX_OK);
    for (int v = 1; v <= 3; v++) {
        assert_int_equal(dbx_registry_version_create(NULL, c, DBX_REGISTRY_WORKSPACE, "swm", "dbfs:/Volumes/swr/s1/v/m",
                                                     NULL),
                         DBX_OK);
        assert_int_equal(dbx_registry_version_wait_ready(NULL, c, DBX_REGISTRY_WORKSPACE, "swm", v, NULL), DBX_OK);
    }
    assert_int_equal(dbx_registry_alias_set(c, DBX_REGISTRY_WORKSPACE, "swm", "champ", 2), DBX_OK);
    assert_int_equal(dbx_catalogs_create(NULL, c, "swr", NULL), DBX_OK);
    assert_int_equal(dbx_schemas_create(NULL, c, "swr", "s1", NULL), DBX_OK);
    char dir[] = "/tmp/dbx-sweep-reg-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char p[64];
    snprintf(p, sizeof p, "%s/MLmodel", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(REG_MLMODEL, f);
    fclose(f);
    dbx_registry_register_options ro = DBX_REGISTRY_REGISTER_OPTIONS_INIT;
    ro.create_model = 1;
    assert_int_equal(dbx_registry_register_uc_version(NULL, NULL, c, "swr.s1.m", dir, &ro), DBX_OK);
    unlink(p);
    rmdir(dir);
    dbx_client_free(c);
}

static void registry_scenario(tally *t)
{
    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    if (st != DBX_OK) {
        assert_int_equal(st, DBX_ENOMEM);
        t->enomem++;
        return;
    }
    dbx_registered_model *m = NULL;
    if (check(t, dbx_registry_model_get(&m, c, DBX_REGISTRY_WORKSPACE, "swm"), "registry_model_get")) {
        assert_string_equal(dbx_registered_model_name(m), "swm");
        assert_int_equal(dbx_registered_model_alias_count(m), 1);
        const char *j = dbx_registered_model_json(m);
        if (j)
            assert_non_null(strstr(j, "swm"));
    } else {
        assert_null(m);
    }
    dbx_registered_model_free(m);
    dbx_model_version *mv = NULL;
    if (check(t, dbx_registry_version_get_by_alias(&mv, c, DBX_REGISTRY_WORKSPACE, "swm", "champ"), "get_by_alias"))
        assert_int_equal(dbx_model_version_version(mv), 2);
    dbx_model_version_free(mv);
    mv = NULL;
    if (check(t, dbx_registry_version_get(&mv, c, DBX_REGISTRY_UC, "swr.s1.m", 1), "uc version_get")) {
        assert_string_equal(dbx_model_version_name(mv), "swr.s1.m");
        assert_int_equal(dbx_model_version_status(mv), DBX_MODEL_VERSION_STATUS_READY);
    }
    dbx_model_version_free(mv);
    /* versions of swm, one per page: 1, 2, 3 exactly once each */
    dbx_model_versions_iter *it = NULL;
    if (check(t, dbx_registry_versions_search(&it, c, DBX_REGISTRY_WORKSPACE, "swm", NULL), "versions_search")) {
        int seen = 0, n = 0;
        const dbx_model_version *item;
        for (int tries = 0; tries < 200; tries++) {
            st = dbx_model_versions_iter_next(&item, it);
            if (st == DBX_DONE)
                break;
            if (!check(t, st, "versions_iter_next"))
                continue;
            int64_t v = dbx_model_version_version(item);
            assert_true(v >= 1 && v <= 3 && !(seen & (1 << v)));
            seen |= 1 << (int)v;
            n++;
        }
        assert_int_equal(st, DBX_DONE);
        assert_int_equal(n, 3);
    }
    dbx_model_versions_iter_free(it);
    /* UC versions (native shape: the full name is built per item) */
    it = NULL;
    if (check(t, dbx_registry_versions_search(&it, c, DBX_REGISTRY_UC, "swr.s1.m", NULL), "uc versions_search")) {
        int n = 0;
        const dbx_model_version *item;
        for (int tries = 0; tries < 200; tries++) {
            st = dbx_model_versions_iter_next(&item, it);
            if (st == DBX_DONE)
                break;
            if (!check(t, st, "uc versions_iter_next"))
                continue;
            assert_string_equal(dbx_model_version_name(item), "swr.s1.m");
            n++;
        }
        assert_int_equal(st, DBX_DONE);
        assert_int_equal(n, 1);
    }
    dbx_model_versions_iter_free(it);
    dbx_registered_models_iter *mit = NULL;
    if (check(t, dbx_registry_models_search(&mit, c, DBX_REGISTRY_WORKSPACE, NULL), "models_search")) {
        int n = 0;
        const dbx_registered_model *item;
        for (int tries = 0; tries < 200; tries++) {
            st = dbx_registered_models_iter_next(&item, mit);
            if (st == DBX_DONE)
                break;
            if (check(t, st, "models_iter_next"))
                n++;
        }
        assert_int_equal(st, DBX_DONE);
        assert_int_equal(n, 1);
    }
    dbx_registered_models_iter_free(mit);
    check(t, dbx_registry_version_set_tag(c, DBX_REGISTRY_WORKSPACE, "swm", 1, "k", "v"), "version_set_tag");
    dbx_client_free(c);
}

static void sweep_registry(void **state)
{
    (void)state;
    E = emu_get();
    json_set_alloc_funcs(j_malloc, j_free);
    build_registry_world();
    tally t = {0, 0};
    dbx__alloc_count_start();
    registry_scenario(&t);
    long total = dbx__alloc_count_stop();
    assert_int_equal(t.enomem, 0);
    assert_true(total > 50);
    long stride = env_long("DBX_SWEEP_STRIDE", 0);
    if (stride <= 0)
        stride = getenv("DBX_TEST_UNDER_VALGRIND") ? total / 12 + 1 : 1;
    long runs = 0, failed_calls = 0;
    /* the scenario only reads (and sets one tag idempotently): one world serves every run */
    for (long n = 1; n <= total + 1; n += stride) {
        tally r = {0, 0};
        dbx__alloc_fail_after(n);
        registry_scenario(&r);
        dbx__alloc_fail_after(0);
        runs++;
        failed_calls += r.enomem;
    }
    json_set_alloc_funcs(malloc, free);
    printf("alloc sweep (registry): %ld allocations in the scenario, %ld runs (stride %ld), "
           "%ld calls failed with DBX_ENOMEM, none wrong\n",
           total, runs, stride, failed_calls);
    assert_true(failed_calls > 0);
}


/* ---- Model serving: the same sweep over its main calls ------------------------------------ */

/* A workspace model version scoring with a logistic model.json, and the
 * deployed endpoint sw-ep serving it. */
static void build_serving_world(void)
{
    emu_reset(E);
    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    assert_int_equal(st, DBX_OK);
    /* base64 of "artifact_path: model\n" and of {"flavor":"logistic","features":["x"],"coefficients":[1.0]} */
    static const char *reqs[][2] = {
        {"/api/2.0/mlflow/registered-models/create", "{\"name\":\"swm\"}"},
        {"/api/2.0/dbfs/put", "{\"path\":\"/sw/m/MLmodel\",\"contents\":\"YXJ0aWZhY3RfcGF0aDogbW9kZWwK\"}"},
        {"/api/2.0/dbfs/put", "{\"path\":\"/sw/m/model.json\",\"contents\":"
                              "\"eyJmbGF2b3IiOiJsb2dpc3RpYyIsImZlYXR1cmVzIjpbIngiXSwiY29lZmZpY2llbnRzIjpbMS4wXX0=\"}"},
        {"/api/2.0/mlflow/model-versions/create", "{\"name\":\"swm\",\"source\":\"dbfs:/sw/m\"}"},
        {"/api/2.0/serving-endpoints", "{\"name\":\"sw-ep\",\"config\":{\"served_entities\":[{\"entity_name\":\"swm\","
                                       "\"entity_version\":\"1\"}]},\"tags\":[{\"key\":\"team\",\"value\":\"risk\"}]}"},
    };
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
        dbx_response *r = NULL;
        assert_int_equal(dbx_request(&r, c, "POST", reqs[i][0], reqs[i][1]), DBX_OK);
        dbx_response_free(r);
    }
    dbx_client_free(c);
}

static void serving_scenario(tally *t)
{
    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    if (!check(t, st, "client_new"))
        return;

    /* the config builder */
    dbx_serving_config *cfg = NULL;
    if (check(t, dbx_serving_config_new(&cfg), "serving_config_new")) {
        size_t i = 0;
        char *j = NULL;
        if (check(t, dbx_serving_config_add_entity(&i, cfg, "swm", "1"), "serving_config_add_entity") &&
            check(t, dbx_serving_config_entity_set_env(cfg, i, "K", "v"), "serving_config_entity_set_env") &&
            check(t, dbx_serving_config_add_route(cfg, "swm-1", 100), "serving_config_add_route") &&
            check(t, dbx_serving_config_to_json(&j, cfg), "serving_config_to_json"))
            assert_string_equal(j, "{\"served_entities\":[{\"entity_name\":\"swm\",\"entity_version\":\"1\","
                                   "\"environment_vars\":{\"K\":\"v\"}}],\"traffic_config\":{\"routes\":"
                                   "[{\"served_entity_name\":\"swm-1\",\"traffic_percentage\":100}]}}");
        else
            assert_null(j);
        dbx_free(j);
    }
    dbx_serving_config_free(cfg);

    /* get, the waiter (already READY), list */
    dbx_serving_endpoint *ep = NULL;
    if (check(t, dbx_serving_wait_ready(&ep, c, "sw-ep", NULL), "serving_wait_ready")) {
        assert_int_equal(dbx_serving_endpoint_ready(ep), DBX_SERVING_READY_READY);
        assert_string_equal(dbx_serving_endpoint_entity_name(ep, DBX_SERVING_ACTIVE, 0), "swm-1");
        assert_string_equal(dbx_serving_endpoint_tag(ep, "team"), "risk");
    }
    dbx_serving_endpoint_free(ep);
    ep = NULL;
    if (check(t, dbx_serving_get(&ep, c, "sw-ep"), "serving_get"))
        assert_int_equal(dbx_serving_endpoint_config_version(ep, DBX_SERVING_ACTIVE), 1);
    else
        assert_null(ep);
    dbx_serving_endpoint_free(ep);
    dbx_serving_iter *it = NULL;
    if (check(t, dbx_serving_list(&it, c), "serving_list")) {
        int got = 0, failures = 0;
        const dbx_serving_endpoint *item;
        for (;;) {
            st = dbx_serving_iter_next(&item, it);
            if (st == DBX_DONE)
                break;
            if (!check(t, st, "serving_iter_next")) {
                assert_true(++failures <= 3);
                continue;
            }
            assert_string_equal(dbx_serving_endpoint_name(item), "sw-ep");
            got++;
        }
        assert_int_equal(got, 1);
    }
    dbx_serving_iter_free(it);

    /* queries: typed input and raw body; p = sigmoid(x) */
    dbx_serving_input *in = NULL;
    const char *cols[] = {"x"};
    if (check(t, dbx_serving_input_new(&in, DBX_SERVING_DATAFRAME_RECORDS), "serving_input_new")) {
        if (check(t, dbx_serving_input_set_columns(in, cols, 1), "serving_input_set_columns") &&
            check(t, dbx_serving_input_add_row(in), "serving_input_add_row") &&
            check(t, dbx_serving_input_add_int(in, 0), "serving_input_add_int") &&
            check(t, dbx_serving_input_set_client_request_id(in, "r1"), "serving_input_set_client_request_id")) {
            dbx_serving_result *r = NULL;
            if (check(t, dbx_serving_query_input(&r, c, "sw-ep", in, NULL), "serving_query_input")) {
                assert_int_equal(dbx_serving_result_count(r), 1);
                assert_true(dbx_serving_result_double(r, 0) == 0.5);
                assert_string_equal(dbx_serving_result_served_model_name(r), "swm-1");
            } else {
                assert_null(r);
            }
            dbx_serving_result_free(r);
        }
    }
    dbx_serving_input_free(in);
    dbx_serving_result *r = NULL;
    if (check(t, dbx_serving_query(&r, c, "sw-ep", "{\"inputs\":{\"x\":[0,0]}}", NULL), "serving_query")) {
        assert_int_equal(dbx_serving_result_count(r), 2);
        assert_true(dbx_serving_result_double(r, 1) == 0.5);
        const char *pj = dbx_serving_result_predictions_json(r);
        if (*pj)
            assert_string_equal(pj, "[0.5,0.5]");
    } else {
        assert_null(r);
    }
    dbx_serving_result_free(r);

    /* the real-time scorer: two queries in flight, every completion exact or DBX_ENOMEM */
    dbx_serving_scorer *sc = NULL;
    if (check(t, dbx_serving_scorer_new(&sc, c, "sw-ep", NULL), "serving_scorer_new")) {
        int submitted = 0, ended = 0;
        submitted += check(t, dbx_serving_scorer_submit(NULL, sc, "{\"inputs\":{\"x\":[0]}}", NULL),
                           "serving_scorer_submit");
        dbx_serving_input *si = NULL;
        if (check(t, dbx_serving_input_new(&si, DBX_SERVING_INPUTS), "serving_input_new") &&
            check(t, dbx_serving_input_set_columns(si, cols, 1), "serving_input_set_columns") &&
            check(t, dbx_serving_input_add_row(si), "serving_input_add_row") &&
            check(t, dbx_serving_input_add_int(si, 0), "serving_input_add_int"))
            submitted += check(t, dbx_serving_scorer_submit_input(NULL, sc, si, NULL), "serving_scorer_submit_input");
        dbx_serving_input_free(si);
        dbx_serving_completion *d = NULL;
        while (dbx_serving_scorer_next(&d, sc, -1) == DBX_OK && d) {
            if (check(t, dbx_serving_completion_status(d), "serving_scorer completion")) {
                assert_int_equal(dbx_serving_result_count(dbx_serving_completion_result(d)), 1);
                assert_true(dbx_serving_result_double(dbx_serving_completion_result(d), 0) == 0.5);
            } else {
                assert_non_null(dbx_serving_completion_error(d)->message);
            }
            dbx_serving_completion_free(d);
            ended++;
        }
        assert_int_equal(ended, submitted);
        dbx_serving_scorer_stats ss = DBX_SERVING_SCORER_STATS_INIT;
        if (check(t, dbx_serving_scorer_stats_get(&ss, sc), "serving_scorer_stats_get"))
            assert_int_equal(ss.submitted, (uint64_t)submitted);
    }
    dbx_serving_scorer_free(sc);
    r = NULL;
    char *logs = NULL;
    if (check(t, dbx_serving_build_logs(&logs, c, "sw-ep", "swm-1"), "serving_build_logs"))
        assert_non_null(strstr(logs, "Build succeeded"));
    else
        assert_null(logs);
    dbx_free(logs);

    /* serving extras: traffic read back, /metrics, batch scoring */
    dbx_serving_traffic *tr = NULL;
    if (check(t, dbx_serving_traffic_get(&tr, c, "sw-ep"), "serving_traffic_get")) {
        assert_int_equal(dbx_serving_traffic_count(tr), 1);
        assert_int_equal(dbx_serving_traffic_percentage(tr, 0), 100);
    } else {
        assert_null(tr);
    }
    dbx_serving_traffic_free(tr);
    dbx_serving_metrics *mt = NULL;
    if (check(t, dbx_serving_metrics_get(&mt, c, "sw-ep"), "serving_metrics_get"))
        assert_true(dbx_serving_metrics_find(mt, "request_count_total", "served_entity_name", "swm-1") >= 0);
    else
        assert_null(mt);
    dbx_serving_metrics_free(mt);
    in = NULL;
    if (check(t, dbx_serving_input_new(&in, DBX_SERVING_DATAFRAME_SPLIT), "serving_input_new")) {
        int ok = check(t, dbx_serving_input_set_columns(in, cols, 1), "serving_input_set_columns");
        for (int k = 0; ok && k < 3; k++)
            ok = check(t, dbx_serving_input_add_row(in), "serving_input_add_row") &&
                 check(t, dbx_serving_input_add_int(in, 0), "serving_input_add_int");
        r = NULL;
        if (ok && check(t, dbx_serving_query_batch(&r, c, "sw-ep", in, 2, NULL), "serving_query_batch")) {
            assert_int_equal(dbx_serving_result_count(r), 3);
            assert_true(dbx_serving_result_double(r, 2) == 0.5);
        } else {
            assert_null(r);
        }
        dbx_serving_result_free(r);
    }
    dbx_serving_input_free(in);

    /* an error answer */
    ep = NULL;
    st = dbx_serving_get(&ep, c, "missing");
    t->calls++;
    if (st != DBX_ENOTFOUND && st != DBX_ENOMEM)
        fail_msg("missing endpoint: %s", dbx_status_name(st));
    assert_null(ep);
    dbx_client_free(c);
}

static void sweep_serving(void **state)
{
    (void)state;
    E = emu_get();
    json_set_alloc_funcs(j_malloc, j_free);
    build_serving_world();
    tally t = {0, 0};
    dbx__alloc_count_start();
    serving_scenario(&t);
    long total = dbx__alloc_count_stop();
    assert_int_equal(t.enomem, 0);
    assert_true(total > 50);
    long stride = env_long("DBX_SWEEP_STRIDE", 0);
    if (stride <= 0)
        stride = getenv("DBX_TEST_UNDER_VALGRIND") ? total / 12 + 1 : 1;
    long runs = 0, failed_calls = 0;
    /* the scenario only reads and scores: one world serves every run */
    for (long n = 1; n <= total + 1; n += stride) {
        tally r = {0, 0};
        dbx__alloc_fail_after(n);
        serving_scenario(&r);
        dbx__alloc_fail_after(0);
        runs++;
        failed_calls += r.enomem;
    }
    json_set_alloc_funcs(malloc, free);
    printf("alloc sweep (serving): %ld allocations in the scenario, %ld runs (stride %ld), "
           "%ld calls failed with DBX_ENOMEM, none wrong\n",
           total, runs, stride, failed_calls);
    assert_true(failed_calls > 0);
}


/* ---- Model serving extras: traffic shift, promote, rollback, metrics parsing ------------------- */

/* sw-ep's world plus version 2 of swm and the endpoint sw-cc serving versions 1 and 2. */
static void build_serving_cc_world(void)
{
    build_serving_world();
    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    assert_int_equal(st, DBX_OK);
    static const char *reqs[][2] = {
        {"/api/2.0/mlflow/model-versions/create", "{\"name\":\"swm\",\"source\":\"dbfs:/sw/m\"}"},
        {"/api/2.0/serving-endpoints",
         "{\"name\":\"sw-cc\",\"config\":{\"served_entities\":[{\"entity_name\":\"swm\",\"entity_version\":\"1\"},"
         "{\"entity_name\":\"swm\",\"entity_version\":\"2\"}],\"traffic_config\":{\"routes\":["
         "{\"served_entity_name\":\"swm-1\",\"traffic_percentage\":100},"
         "{\"served_entity_name\":\"swm-2\",\"traffic_percentage\":0}]}}}"},
    };
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
        dbx_response *r = NULL;
        assert_int_equal(dbx_request(&r, c, "POST", reqs[i][0], reqs[i][1]), DBX_OK);
        dbx_response_free(r);
    }
    dbx_client_free(c);
}

/* Every run starts with a shift to 50/50, which works from any state a failed run left
 * (both entities always stay served: the promotion keeps the others at 0 %). */
static void serving_cc_scenario(tally *t)
{
    dbx_serving_metrics *m = NULL;
    static const char prom[] = "# TYPE a counter\na{x=\"1\",y=\"q\\\"\"} 3 17\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\n";
    if (check(t, dbx_serving_metrics_parse(&m, prom, sizeof prom - 1), "serving_metrics_parse")) {
        assert_int_equal(dbx_serving_metrics_count(m), 2);
        assert_string_equal(dbx_serving_metrics_label(m, 0, "y"), "q\"");
        assert_int_equal(dbx_serving_metrics_type(m, 1), DBX_METRIC_HISTOGRAM);
    } else {
        assert_null(m);
    }
    dbx_serving_metrics_free(m);

    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    if (!check(t, st, "client_new"))
        return;
    dbx_serving_endpoint *ep = NULL;
    if (check(t, dbx_serving_traffic_shift(&ep, c, "sw-cc", "swm-1", "swm-2", 50, NULL), "serving_traffic_shift")) {
        assert_int_equal(dbx_serving_endpoint_route_percentage(ep, DBX_SERVING_ACTIVE, 1), 50);
        dbx_serving_endpoint_free(ep);
        dbx_serving_promote_options po = DBX_SERVING_PROMOTE_OPTIONS_INIT;
        po.keep_others = 1;
        po.alias = "champ";
        po.registry = DBX_REGISTRY_WORKSPACE;
        dbx_serving_promotion *p = NULL;
        if (check(t, dbx_serving_promote(&p, c, "sw-cc", "swm-2", &po), "serving_promote")) {
            assert_int_equal(dbx_serving_promotion_alias_version(p), 2);
            assert_non_null(strstr(dbx_serving_promotion_previous_config_json(p), "\"traffic_percentage\":50"));
            ep = NULL;
            if (check(t, dbx_serving_rollback_promotion(&ep, c, "sw-cc", p, NULL), "serving_rollback_promotion"))
                assert_int_equal(dbx_serving_endpoint_route_percentage(ep, DBX_SERVING_ACTIVE, 0), 50);
            else
                assert_null(ep);
            dbx_serving_endpoint_free(ep);
        } else {
            assert_null(p);
        }
        dbx_serving_promotion_free(p);
    } else {
        assert_null(ep);
    }
    dbx_client_free(c);
}

static void sweep_serving_cc(void **state)
{
    (void)state;
    E = emu_get();
    json_set_alloc_funcs(j_malloc, j_free);
    build_serving_cc_world();
    tally t = {0, 0};
    dbx__alloc_count_start();
    serving_cc_scenario(&t);
    long total = dbx__alloc_count_stop();
    assert_int_equal(t.enomem, 0);
    assert_true(total > 50);
    long stride = env_long("DBX_SWEEP_STRIDE", 0);
    if (stride <= 0)
        stride = getenv("DBX_TEST_UNDER_VALGRIND") ? total / 12 + 1 : 1;
    long runs = 0, failed_calls = 0;
    for (long n = 1; n <= total + 1; n += stride) {
        tally r = {0, 0};
        dbx__alloc_fail_after(n);
        serving_cc_scenario(&r);
        dbx__alloc_fail_after(0);
        runs++;
        failed_calls += r.enomem;
    }
    json_set_alloc_funcs(malloc, free);
    printf("alloc sweep (serving extras): %ld allocations in the scenario, %ld runs (stride %ld), "
           "%ld calls failed with DBX_ENOMEM, none wrong\n",
           total, runs, stride, failed_calls);
    assert_true(failed_calls > 0);
}

/* ---- Quality monitors: the same sweep over their main calls ------------------------------- */

#define SWM_T "main.default.swmon"
#define SWM_WH "5eedc0ffee000001"

/* A small table, a time-series monitor on it and its first refresh done. */
static void build_monitors_world(void)
{
    emu_reset(E);
    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    assert_int_equal(st, DBX_OK);
    static const char *stmts[] = {
        "CREATE SCHEMA IF NOT EXISTS main.swmon",
        "CREATE TABLE " SWM_T " (ts TIMESTAMP, amount DOUBLE, channel STRING)",
        "INSERT INTO " SWM_T " VALUES ('2024-03-01 01:00:00', 1.0, 'web'), ('2024-03-01 02:00:00', 2.0, 'pos'), "
        "('2024-03-02 01:00:00', 3.0, 'web'), ('2024-03-02 02:00:00', 5.0, 'web')",
    };
    for (size_t i = 0; i < sizeof stmts / sizeof *stmts; i++) {
        dbx_sql_statement *sq = NULL;
        assert_int_equal(dbx_sql_run(&sq, c, SWM_WH, stmts[i], NULL, NULL, NULL), DBX_OK);
        dbx_sql_statement_free(sq);
    }
    dbx_response *r = NULL;
    assert_int_equal(dbx_request(&r, c, "POST", "/api/2.1/unity-catalog/tables/" SWM_T "/monitor",
                                 "{\"assets_dir\":\"/x\",\"output_schema_name\":\"main.swmon\",\"time_series\":"
                                 "{\"timestamp_col\":\"ts\",\"granularities\":[\"1 day\"]}}"),
                     DBX_OK);
    dbx_response_free(r);
    dbx_monitor_refresh *rf = NULL;
    assert_int_equal(dbx_monitor_refresh_wait(&rf, c, SWM_T, 1, NULL), DBX_OK);
    dbx_monitor_refresh_free(rf);
    dbx_client_free(c);
}

static void monitors_scenario(tally *t)
{
    dbx_status st;
    dbx_client *c = plain_client(&st, 0);
    if (!check(t, st, "client_new"))
        return;
    dbx_monitor_spec *s = NULL;
    if (check(t, dbx_monitor_spec_new(&s), "monitor_spec_new")) {
        char *j = NULL;
        if (check(t, dbx_monitor_spec_set_output_schema(s, "main.swmon"), "monitor_spec_set_output_schema") &&
            check(t, dbx_monitor_spec_set_time_series(s, "ts"), "monitor_spec_set_time_series") &&
            check(t, dbx_monitor_spec_add_granularity(s, "1 day"), "monitor_spec_add_granularity") &&
            check(t, dbx_monitor_spec_add_failure_email(s, "a@example.com"), "monitor_spec_add_failure_email") &&
            check(t, dbx_monitor_spec_to_json(&j, s), "monitor_spec_to_json"))
            assert_string_equal(j, "{\"output_schema_name\":\"main.swmon\",\"time_series\":{\"timestamp_col\":\"ts\","
                                   "\"granularities\":[\"1 day\"]},\"notifications\":{\"on_failure\":"
                                   "{\"email_addresses\":[\"a@example.com\"]}}}");
        else
            assert_null(j);
        dbx_free(j);
    }
    dbx_monitor_spec_free(s);
    dbx_monitor *m = NULL;
    if (check(t, dbx_monitor_get(&m, c, SWM_T), "monitor_get"))
        assert_string_equal(dbx_monitor_drift_metrics_table_name(m), "main.swmon.swmon_drift_metrics");
    else
        assert_null(m);
    dbx_monitor_free(m);
    dbx_monitor_refresh *r = NULL;
    if (check(t, dbx_monitor_refresh_get(&r, c, SWM_T, 1), "monitor_refresh_get"))
        assert_int_equal(dbx_monitor_refresh_state(r), DBX_MONITOR_REFRESH_SUCCESS);
    else
        assert_null(r);
    dbx_monitor_refresh_free(r);
    dbx_monitor_refresh_iter *it = NULL;
    if (check(t, dbx_monitor_refresh_list(&it, c, SWM_T), "monitor_refresh_list")) {
        int got = 0, failures = 0;
        const dbx_monitor_refresh *item;
        for (;;) {
            st = dbx_monitor_refresh_iter_next(&item, it);
            if (st == DBX_DONE)
                break;
            if (!check(t, st, "monitor_refresh_iter_next")) {
                assert_true(++failures <= 3);
                continue;
            }
            assert_int_equal(dbx_monitor_refresh_id(item), 1);
            got++;
        }
        assert_int_equal(got, 1);
    }
    dbx_monitor_refresh_iter_free(it);
    dbx_monitor_read_options o = DBX_MONITOR_READ_OPTIONS_INIT;
    o.column_name = "amount";
    o.drift_type = DBX_MONITOR_DRIFT_CONSECUTIVE;
    dbx_monitor_drift *d = NULL;
    if (check(t, dbx_monitor_drift_read(&d, c, SWM_T, SWM_WH, &o), "monitor_drift_read")) {
        assert_int_equal(dbx_monitor_drift_count(d), 1);
        assert_true(dbx_monitor_drift_at(d, 0)->avg_delta == 2.5);
        assert_string_equal(dbx_monitor_drift_at(d, 0)->granularity, "1 day");
    } else {
        assert_null(d);
    }
    dbx_monitor_drift_free(d);
    dbx_monitor_profile *p = NULL;
    if (check(t, dbx_monitor_profile_read(&p, c, SWM_T, SWM_WH, &o), "monitor_profile_read")) {
        assert_int_equal(dbx_monitor_profile_count(p), 2);
        assert_true(dbx_monitor_profile_at(p, 1)->avg == 4.0);
    } else {
        assert_null(p);
    }
    dbx_monitor_profile_free(p);
    m = NULL;
    st = dbx_monitor_get(&m, c, "main.default.nomonitor");
    t->calls++;
    if (st != DBX_ENOTFOUND && st != DBX_ENOMEM)
        fail_msg("missing monitor: %s", dbx_status_name(st));
    assert_null(m);
    dbx_client_free(c);
}

static void sweep_monitors(void **state)
{
    (void)state;
    E = emu_get();
    json_set_alloc_funcs(j_malloc, j_free);
    build_monitors_world();
    tally t = {0, 0};
    dbx__alloc_count_start();
    monitors_scenario(&t);
    long total = dbx__alloc_count_stop();
    assert_int_equal(t.enomem, 0);
    assert_true(total > 50);
    long stride = env_long("DBX_SWEEP_STRIDE", 0);
    if (stride <= 0)
        stride = getenv("DBX_TEST_UNDER_VALGRIND") ? total / 12 + 1 : 1;
    long runs = 0, failed_calls = 0;
    /* the scenario only reads: one world serves every run */
    for (long n = 1; n <= total + 1; n += stride) {
        tally r = {0, 0};
        dbx__alloc_fail_after(n);
        monitors_scenario(&r);
        dbx__alloc_fail_after(0);
        runs++;
        failed_calls += r.enomem;
    }
    json_set_alloc_funcs(malloc, free);
    printf("alloc sweep (monitors): %ld allocations in the scenario, %ld runs (stride %ld), "
           "%ld calls failed with DBX_ENOMEM, none wrong\n",
           total, runs, stride, failed_calls);
    assert_true(failed_calls > 0);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sweep),
        cmocka_unit_test(sweep_files),
        cmocka_unit_test(sweep_jobs),
        cmocka_unit_test(sweep_warehouses),
        cmocka_unit_test(sweep_catalog),
        cmocka_unit_test(sweep_sql),
        cmocka_unit_test(sweep_delta),
        cmocka_unit_test(sweep_mlflow),
        cmocka_unit_test(sweep_registry),
        cmocka_unit_test(sweep_serving),
        cmocka_unit_test(sweep_serving_cc),
        cmocka_unit_test(sweep_monitors),
    };
    return cmocka_run_group_tests_name("alloc_sweep", tests, NULL, NULL);
}
