/*
 * Threads sharing clients (run under ThreadSanitizer by `.ci/test --tsan`):
 * eight threads make mixed calls on one PAT client and one OAuth M2M
 * client whose tokens live one second (so refreshes race with calls);
 * every result is checked, and results read from many threads at once
 * (text dumps and jansson views built lazily) agree.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbx/sys/json.h"
#include "harness.h"

#define N_THREADS 8
#define N_CLUSTERS 3

static char ids[N_CLUSTERS][64];

typedef struct worker {
    dbx_client *c;
    int rounds;
    int failures;
    char why[256];
} worker;

static void note(worker *w, const char *what, dbx_status st)
{
    if (!w->failures++)
        snprintf(w->why, sizeof w->why, "%s: %s (%s)", what, dbx_status_name(st),
                 dbx_client_last_error(w->c)->message);
}

static void *work(void *arg)
{
    worker *w = arg;
    for (int r = 0; r < w->rounds; r++) {
        const char *id = ids[r % N_CLUSTERS];
        dbx_cluster *cl = NULL;
        dbx_status st = dbx_clusters_get(&cl, w->c, id);
        if (st != DBX_OK || strcmp(dbx_cluster_id(cl), id) != 0)
            note(w, "get", st);
        dbx_cluster_free(cl);

        dbx_clusters_iter *it = NULL;
        dbx_clusters_list_options lo = DBX_CLUSTERS_LIST_OPTIONS_INIT;
        lo.page_size = 1;
        st = dbx_clusters_list(&it, w->c, &lo);
        int n = 0;
        const dbx_cluster *item;
        while (st == DBX_OK && (st = dbx_clusters_iter_next(&item, it)) == DBX_OK)
            n++;
        if (st != DBX_DONE || n != N_CLUSTERS)
            note(w, "list", st);
        dbx_clusters_iter_free(it);

        cl = NULL;
        st = dbx_clusters_get(&cl, w->c, "0000-000000-missing0");
        if (st != DBX_ENOTFOUND || dbx_client_last_error(w->c)->status != DBX_ENOTFOUND)
            note(w, "missing", st);

        dbx_response *resp = NULL;
        st = dbx_request(&resp, w->c, "GET", "/api/2.1/clusters/spark-versions", NULL);
        if (st != DBX_OK || dbx_response_status(resp) != 200)
            note(w, "request", st);
        dbx_response_free(resp);
    }
    return NULL;
}

static void run_threads(dbx_client *c, int rounds)
{
    worker w[N_THREADS];
    pthread_t th[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        w[i] = (worker){c, rounds, 0, ""};
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < N_THREADS; i++)
        if (w[i].failures)
            fail_msg("thread %d: %d failures, first: %s", i, w[i].failures, w[i].why);
}

static void make_world(emu *e)
{
    emu_config(e, "{\"page_size_clusters\":1}");
    dbx_client *c = emu_client(e);
    for (int i = 0; i < N_CLUSTERS; i++) {
        dbx_cluster_spec *s;
        assert_int_equal(dbx_cluster_spec_new(&s), DBX_OK);
        assert_int_equal(dbx_cluster_spec_set_spark_version(s, "15.4.x-scala2.12"), DBX_OK);
        char *id;
        assert_int_equal(dbx_clusters_create(&id, c, s), DBX_OK);
        snprintf(ids[i], sizeof ids[i], "%s", id);
        dbx_free(id);
        dbx_cluster_spec_free(s);
    }
    dbx_client_free(c);
}

static void test_pat_client_shared(void **state)
{
    (void)state;
    emu *e = emu_get();
    make_world(e);
    dbx_client *c = emu_client(e);
    run_threads(c, getenv("DBX_TEST_UNDER_VALGRIND") ? 3 : 15);
    dbx_client_free(c);
}

static void tweak_m2m(dbx_client_options *o, void *ud)
{
    (void)ud;
    o->token = NULL;
    o->client_id = EMU_CLIENT_ID;
    o->client_secret = EMU_CLIENT_SECRET;
}

static void test_m2m_refresh_races_calls(void **state)
{
    (void)state;
    fake_clock_remove(); /* token lifetimes against the real clock */
    emu *e = emu_get();
    make_world(e);
    /* one-second tokens: refreshed every half second while calls go on */
    emu_config(e, "{\"oauth_token_ttl_s\":1}");
    dbx_client *c = emu_client_with(e, tweak_m2m, NULL);
    run_threads(c, getenv("DBX_TEST_UNDER_VALGRIND") ? 3 : 25);
    dbx_client_free(c);
    assert_true(emu_count(e, "/oidc/v1/token") >= 1);
}

/* Lazily made parts of one result (its JSON text, its jansson view) read
 * by many threads at once: one wins, all see the same. */
typedef struct reader {
    const dbx_cluster *cl;
    const char *text;
    const json_t *view;
} reader;

static void *read_result(void *arg)
{
    reader *r = arg;
    r->text = dbx_cluster_json(r->cl);
    r->view = dbx_cluster_jansson(r->cl);
    return NULL;
}

static void test_result_read_by_many_threads(void **state)
{
    (void)state;
    emu *e = emu_get();
    make_world(e);
    dbx_client *c = emu_client(e);
    dbx_cluster *cl;
    assert_int_equal(dbx_clusters_get(&cl, c, ids[0]), DBX_OK);
    reader r[N_THREADS];
    pthread_t th[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        r[i] = (reader){cl, NULL, NULL};
        assert_int_equal(pthread_create(&th[i], NULL, read_result, &r[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < N_THREADS; i++) {
        assert_ptr_equal(r[i].text, r[0].text);
        assert_ptr_equal(r[i].view, r[0].view);
    }
    assert_non_null(strstr(r[0].text, ids[0]));
    assert_string_equal(json_string_value(json_object_get(r[0].view, "cluster_id")), ids[0]);
    dbx_cluster_free(cl);
    dbx_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pat_client_shared, emu_fixture_setup, emu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_m2m_refresh_races_calls, emu_fixture_setup, emu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_result_read_by_many_threads, emu_fixture_setup, emu_fixture_teardown),
    };
    return cmocka_run_group_tests_name("concurrency", tests, NULL, NULL);
}
