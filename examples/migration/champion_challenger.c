/*
 * Migration program 4: champion / challenger with promotion and rollback.
 *
 * On DataRobot the firm runs a challenger model beside the deployed
 * champion, then replaces the champion and, when it misbehaves, rolls the
 * replacement back. On Databricks: two versions of a Unity Catalog model
 * served by one endpoint, the traffic split between them by the endpoint's
 * routes, the `champion` alias moved with the promotion. This program
 * registers v1 (the champion) and v2 (different coefficients; mmodel.h),
 * creates one endpoint serving both (v1 100 %, v2 0 %), shifts traffic to
 * 90/10 and checks the challenger's share over 200 queries (and that each
 * answer is the answering version's own prediction), promotes v2 (config
 * update + alias move) while a scorer on another thread keeps queries in
 * flight, then rolls the promotion back, again under load, and checks that
 * the alias and the routes are back and that no query failed.
 *
 * Result: <out>/champion_challenger.json and .html (checks, timeline,
 * latency of the queries of each phase). Exit code 0 only when every check
 * passed.
 *
 * Configuration: the workspace and credentials as for every libdbx program, and
 *   DBX_MIGRATION_CATALOG / DBX_MIGRATION_SCHEMA  (default main / fraud_migration)
 *   DBX_MIGRATION_CC_ENDPOINT  endpoint name (default "fraud-champion-challenger";
 *                              a leftover one of that name is deleted first)
 *   DBX_MIGRATION_QUERIES      queries of each split measurement (default 200)
 *   DBX_MIGRATION_LOAD_QPS     rate of the queries kept flowing during the promotion and
 *                              the rollback (default 200 per second, at most 16 in flight;
 *                              a config change on a workspace takes minutes)
 *   DBX_MIGRATION_KEEP=1       keep the endpoint at the end (default: deleted)
 *   DBX_MIGRATION_OUT          directory of the results (default "migration-results")
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <dbx/dbx.h>

#include "mmodel.h"
#include "mcommon.h"
#include "mreport.h"
#include "txgen.h"

#define NROWS 256         /* distinct transactions the queries cycle through */
#define LOAD_IN_FLIGHT 16 /* queries the background scorer keeps out */
#define MAX_LAT 200000    /* latencies kept per phase */


static const mmodel model_v1 = {-4.0, {0.02, 0.3, 0.8}};
static const mmodel model_v2 = {-3.5, {0.015, 0.1, 1.2}};
static char entity_v1[64], entity_v2[64];
static double load_qps = 200;
static double xs[NROWS][MMODEL_NFEATURES];


/* ------------------------------------------------------------------ */
/* Queries and their tally                                              */

typedef struct tally {
    size_t ok, failed, v1, v2, other, wrong; /* wrong: not the answering version's prediction */
    int last;                                /* 1 or 2: the version that answered last (0: other) */
    double *ms;
    size_t n_ms;
    char first_error[300];
} tally;

static void tally_init(tally *t)
{
    memset(t, 0, sizeof *t);
    t->ms = malloc(MAX_LAT * sizeof *t->ms);
    if (!t->ms) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
}

static dbx_status submit_row(dbx_serving_scorer *sc, size_t i, double *sent_at)
{
    dbx_serving_input *in;
    dbx_status st = dbx_serving_input_new(&in, DBX_SERVING_DATAFRAME_SPLIT);
    if (st == DBX_OK)
        st = dbx_serving_input_set_columns(in, mmodel_feature_names, MMODEL_NFEATURES);
    if (st == DBX_OK)
        st = dbx_serving_input_add_row(in);
    for (int k = 0; st == DBX_OK && k < MMODEL_NFEATURES; k++)
        st = dbx_serving_input_add_double(in, xs[i % NROWS][k]);
    sent_at[i % NROWS] = now_ms();
    if (st == DBX_OK)
        st = dbx_serving_scorer_submit_input(NULL, sc, in, (void *)(uintptr_t)(i % NROWS + 1));
    dbx_serving_input_free(in);
    return st;
}

/* Record one completion: which version answered, and whether the answer is
 * that version's prediction of the row. */
static void tally_add(tally *t, dbx_serving_completion *d, const double *sent_at)
{
    size_t i = (size_t)(uintptr_t)dbx_serving_completion_user(d) - 1;
    if (t->n_ms < MAX_LAT)
        t->ms[t->n_ms++] = now_ms() - sent_at[i];
    const dbx_serving_result *r = dbx_serving_completion_result(d);
    if (dbx_serving_completion_status(d) != DBX_OK || dbx_serving_result_count(r) != 1) {
        if (!t->failed++) {
            const dbx_error *e = dbx_serving_completion_error(d);
            snprintf(t->first_error, sizeof t->first_error, "%s: %s",
                     dbx_status_name(dbx_serving_completion_status(d)), e ? e->message : "not one prediction");
        }
        return;
    }
    t->ok++;
    const char *who = dbx_serving_result_served_model_name(r);
    const mmodel *m = NULL;
    if (strcmp(who, entity_v1) == 0) {
        t->v1++;
        t->last = 1;
        m = &model_v1;
    } else if (strcmp(who, entity_v2) == 0) {
        t->v2++;
        t->last = 2;
        m = &model_v2;
    } else {
        t->other++;
        t->last = 0;
    }
    if (!m || fabs(dbx_serving_result_double(r, 0) - mmodel_predict(m, xs[i])) > 1e-9)
        t->wrong++;
}

/* n queries through a scorer (LOAD_IN_FLIGHT out at a time), on this thread. */
static void run_queries(tally *t, size_t n)
{
    dbx_serving_scorer *sc;
    dbx_serving_scorer_options so = DBX_SERVING_SCORER_OPTIONS_INIT;
    so.max_in_flight = LOAD_IN_FLIGHT;
    so.timeout_ms = 120000;
    CHECK(dbx_serving_scorer_new(&sc, client, endpoint, &so));
    double sent_at[NROWS];
    size_t next = 0, done = 0;
    while (done < n) {
        while (next < n && next - done < LOAD_IN_FLIGHT)
            CHECK(submit_row(sc, next++, sent_at));
        dbx_serving_completion *d = NULL;
        CHECK(dbx_serving_scorer_next(&d, sc, 1000));
        if (d) {
            tally_add(t, d, sent_at);
            dbx_serving_completion_free(d);
            done++;
        }
    }
    dbx_serving_scorer_free(sc);
}

/* The background load: queries kept in flight until told to stop. */
typedef struct load {
    pthread_t thread;
    pthread_mutex_t mu;
    int stop;
    dbx_status error; /* the scorer's own failure (not a query's) */
    tally t;
} load;

static void *load_main(void *arg)
{
    load *l = arg;
    dbx_serving_scorer *sc;
    dbx_serving_scorer_options so = DBX_SERVING_SCORER_OPTIONS_INIT;
    so.max_in_flight = LOAD_IN_FLIGHT;
    so.timeout_ms = 120000;
    l->error = dbx_serving_scorer_new(&sc, client, endpoint, &so);
    if (l->error != DBX_OK)
        return NULL;
    double sent_at[NROWS], t0 = now_ms();
    size_t next = 0, done = 0;
    for (;;) {
        pthread_mutex_lock(&l->mu);
        int stop = l->stop;
        pthread_mutex_unlock(&l->mu);
        if (stop && done == next)
            break;
        /* paced: query k goes out k / qps seconds after the start */
        while (!stop && next - done < LOAD_IN_FLIGHT && (double)next < (now_ms() - t0) * load_qps / 1000.0) {
            if ((l->error = submit_row(sc, next, sent_at)) != DBX_OK)
                goto out;
            next++;
        }
        dbx_serving_completion *d = NULL;
        if ((l->error = dbx_serving_scorer_next(&d, sc, next == done ? 5 : 200)) != DBX_OK)
            goto out;
        if (d) {
            tally_add(&l->t, d, sent_at);
            dbx_serving_completion_free(d);
            done++;
        }
    }
out:
    dbx_serving_scorer_free(sc);
    return NULL;
}

static void load_start(load *l)
{
    memset(l, 0, sizeof *l);
    tally_init(&l->t);
    pthread_mutex_init(&l->mu, NULL);
    if (pthread_create(&l->thread, NULL, load_main, l) != 0) {
        fprintf(stderr, "cannot start the load thread\n");
        exit(2);
    }
}

static void load_stop(load *l)
{
    pthread_mutex_lock(&l->mu);
    l->stop = 1;
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->thread, NULL);
    pthread_mutex_destroy(&l->mu);
}

/* The routes now serving: the percentages of v1 and v2. */
static void routes(int *p1, int *p2)
{
    dbx_serving_traffic *tr;
    CHECK(dbx_serving_traffic_get(&tr, client, endpoint));
    *p1 = *p2 = -1;
    for (size_t i = 0; i < dbx_serving_traffic_count(tr); i++) {
        if (strcmp(dbx_serving_traffic_entity(tr, i), entity_v1) == 0)
            *p1 = dbx_serving_traffic_percentage(tr, i);
        else if (strcmp(dbx_serving_traffic_entity(tr, i), entity_v2) == 0)
            *p2 = dbx_serving_traffic_percentage(tr, i);
    }
    dbx_serving_traffic_free(tr);
}

static int64_t champion_version(const char *model)
{
    dbx_model_version *mv;
    CHECK(dbx_registry_version_get_by_alias(&mv, client, DBX_REGISTRY_UC, model, "champion"));
    int64_t v = dbx_model_version_version(mv);
    dbx_model_version_free(mv);
    return v;
}

static void split_checks(const char *when, const tally *t, size_t n)
{
    char name[200];
    double share = t->ok ? 100.0 * (double)t->v2 / (double)t->ok : NAN;
    snprintf(name, sizeof name, "%s: challenger share >= 5 %%", when);
    mreport_check(rep, name, share, ">=", 5, "%");
    snprintf(name, sizeof name, "%s: challenger share <= 15 %%", when);
    mreport_check(rep, name, share, "<=", 15, "%");
    snprintf(name, sizeof name, "%s: queries answered by v1 or v2", when);
    mreport_check(rep, name, (double)(t->v1 + t->v2), "==", (double)n, "queries");
    snprintf(name, sizeof name, "%s: answers not the answering version's prediction", when);
    mreport_check(rep, name, (double)t->wrong, "==", 0, "queries");
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    mc_program = "champion_challenger";
    mc_global_cleanup = 1; /* mc_start() calls dbx_global_init(), finish() pairs it */
    const char *catalog = env_or("DBX_MIGRATION_CATALOG", "main");
    const char *schema = env_or("DBX_MIGRATION_SCHEMA", "fraud_migration");
    endpoint = env_or("DBX_MIGRATION_CC_ENDPOINT", "fraud-champion-challenger");
    long nq = strtol(env_or("DBX_MIGRATION_QUERIES", "200"), NULL, 10);
    load_qps = strtod(env_or("DBX_MIGRATION_LOAD_QPS", "200"), NULL);
    snprintf(out_dir, sizeof out_dir, "%s", env_or("DBX_MIGRATION_OUT", "migration-results"));
    mkdir(out_dir, 0777);
    if (nq < 20 || nq > 1000000) {
        fprintf(stderr, "DBX_MIGRATION_QUERIES must be 20..1000000\n");
        return 2;
    }
    if (!(load_qps >= 1 && load_qps <= 100000)) {
        fprintf(stderr, "DBX_MIGRATION_LOAD_QPS must be 1..100000\n");
        return 2;
    }

    mc_start("Migration 4: champion / challenger, promotion and rollback", "dbx-migration-champion-challenger/1.0");

    /* the transactions the queries cycle through */
    char err[300];
    txgen_options go = {0};
    go.seed = 11;
    go.rows = NROWS;
    txgen *g = txgen_new(&go, err, sizeof err);
    txgen_tx t;
    for (size_t i = 0; g && i < NROWS && txgen_next(g, &t); i++)
        mmodel_features(&t, xs[i]);
    txgen_free(g);

    /* 1. two versions, v1 the champion */
    mreport_step_begin(rep, "register v1 (champion) and v2 (challenger)");
    char name[300], dir[600];
    snprintf(name, sizeof name, "%s.%s.fraud_challenger", catalog, schema);
    dbx_status ss = dbx_schemas_create(NULL, client, catalog, schema, NULL);
    if (ss != DBX_OK && ss != DBX_EEXISTS)
        die("create schema", ss);
    int64_t v1 = 0, v2 = 0;
    snprintf(dir, sizeof dir, "%s/champion_challenger_v1", out_dir);
    if (mmodel_write(&model_v1, dir, err, sizeof err) != 0) {
        mreport_step_end(rep, 0, "%s", err);
        finish(1);
    }
    CHECK(mmodel_register(&v1, client, name, dir, "libdbx migration program 4: champion"));
    snprintf(dir, sizeof dir, "%s/champion_challenger_v2", out_dir);
    if (mmodel_write(&model_v2, dir, err, sizeof err) != 0) {
        mreport_step_end(rep, 0, "%s", err);
        finish(1);
    }
    CHECK(mmodel_register(&v2, client, name, dir, "libdbx migration program 4: challenger"));
    CHECK(dbx_registry_alias_set(client, DBX_REGISTRY_UC, name, "champion", v1));
    mreport_step_end(rep, 1, "%s v%" PRId64 " (champion), v%" PRId64, name, v1, v2);
    mreport_check(rep, "champion alias on v1", (double)champion_version(name), "==", (double)v1, "");

    /* 2. one endpoint serving both: v1 100 %, v2 0 % */
    mreport_step_begin(rep, "create the endpoint (v1 100 %, v2 0 %)");
    snprintf(entity_v1, sizeof entity_v1, "fraud-v%" PRId64, v1);
    snprintf(entity_v2, sizeof entity_v2, "fraud-v%" PRId64, v2);
    dbx_status ds = mc_endpoint_delete_leftover();
    dbx_serving_config *cfg;
    CHECK(dbx_serving_config_new(&cfg));
    mc_config_add_entity(cfg, name, v1, entity_v1);
    mc_config_add_entity(cfg, name, v2, entity_v2);
    CHECK(dbx_serving_config_add_route(cfg, entity_v1, 100));
    CHECK(dbx_serving_config_add_route(cfg, entity_v2, 0));
    mc_endpoint_create(cfg, ds);
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT; /* also of the traffic moves below */
    w.timeout_ms = 45L * 60 * 1000;
    w.poll_max_ms = 2000;
    CHECK(dbx_serving_wait_ready(NULL, client, endpoint, &w));
    int p1, p2;
    routes(&p1, &p2);
    mreport_step_end(rep, 1, "%s READY: %s %d %%, %s %d %%", endpoint, entity_v1, p1, entity_v2, p2);
    mreport_check(rep, "initial route of v1", p1, "==", 100, "%");
    mreport_check(rep, "initial route of v2", p2, "==", 0, "%");

    /* 3. 90/10 */
    mreport_step_begin(rep, "shift traffic 90/10");
    dbx_serving_traffic_options to = DBX_SERVING_TRAFFIC_OPTIONS_INIT;
    to.wait = &w;
    CHECK(dbx_serving_traffic_shift(NULL, client, endpoint, entity_v1, entity_v2, 10, &to));
    routes(&p1, &p2);
    mreport_step_end(rep, p1 == 90 && p2 == 10, "%s %d %%, %s %d %%", entity_v1, p1, entity_v2, p2);
    mreport_check(rep, "route of v1 after the shift", p1, "==", 90, "%");
    mreport_check(rep, "route of v2 after the shift", p2, "==", 10, "%");

    mreport_step_begin(rep, "measure the split");
    tally split;
    tally_init(&split);
    run_queries(&split, (size_t)nq);
    mreport_step_end(rep, split.failed == 0, "%ld queries: v1 %zu, v2 %zu, other %zu, failed %zu", nq, split.v1,
                     split.v2, split.other, split.failed);
    split_checks("90/10", &split, (size_t)nq);

    /* 4. promote v2 while queries flow */
    mreport_step_begin(rep, "promote v2 (config + alias) under load");
    load lp;
    load_start(&lp);
    dbx_serving_promote_options po = DBX_SERVING_PROMOTE_OPTIONS_INIT;
    po.keep_others = 1;
    po.wait = &w;
    po.alias = "champion";
    po.model_name = name;
    po.registry = DBX_REGISTRY_UC;
    dbx_serving_promotion *promo = NULL;
    double t0 = now_ms();
    dbx_status pst = dbx_serving_promote(&promo, client, endpoint, entity_v2, &po);
    double promote_ms = now_ms() - t0;
    char promote_err[512] = "";
    if (pst != DBX_OK)
        snprintf(promote_err, sizeof promote_err, "%s", dbx_client_last_error(client)->message);
    /* a few more queries on the promoted config */
    struct timespec pause = {0, 300 * 1000000L};
    nanosleep(&pause, NULL);
    load_stop(&lp);
    if (pst != DBX_OK) {
        fprintf(stderr, "promote: %s\n", promote_err);
        mreport_step_end(rep, 0, "promote: %s (%s)", promote_err, dbx_status_name(pst));
        finish(1);
    }
    routes(&p1, &p2);
    int64_t champ = champion_version(name);
    mreport_step_end(rep, lp.error == DBX_OK,
                     "%.1f s; %zu queries under load (v1 %zu, v2 %zu, failed %zu); alias champion v%" PRId64
                     " (was v%" PRId64 ")",
                     promote_ms / 1000.0, lp.t.ok + lp.t.failed, lp.t.v1, lp.t.v2, lp.t.failed, champ,
                     dbx_serving_promotion_previous_alias_version(promo));
    if (lp.t.failed)
        fprintf(stderr, "promotion: first failed query: %s\n", lp.t.first_error);
    mreport_check(rep, "failed queries during the promotion", (double)lp.t.failed, "==", 0, "queries");
    mreport_check(rep, "queries answered during the promotion", (double)lp.t.ok, ">=", 1, "queries");
    mreport_check(rep, "promotion: answers by v1 before the switch", (double)lp.t.v1, ">=", 1, "queries");
    mreport_check(rep, "promotion: last answer by v2", lp.t.last, "==", 2, "");
    mreport_check(rep, "promotion: wrong predictions", (double)lp.t.wrong, "==", 0, "queries");
    mreport_check(rep, "route of v2 after the promotion", p2, "==", 100, "%");
    mreport_check(rep, "champion alias on v2 after the promotion", (double)champ, "==", (double)v2, "");

    /* 5. roll back while queries flow */
    mreport_step_begin(rep, "roll back the promotion under load");
    load lr;
    load_start(&lr);
    t0 = now_ms();
    dbx_status rst = dbx_serving_rollback_promotion(NULL, client, endpoint, promo, &w);
    double rollback_ms = now_ms() - t0;
    char rollback_err[512] = "";
    if (rst != DBX_OK)
        snprintf(rollback_err, sizeof rollback_err, "%s", dbx_client_last_error(client)->message);
    nanosleep(&pause, NULL);
    load_stop(&lr);
    dbx_serving_promotion_free(promo);
    if (rst != DBX_OK) {
        mreport_step_end(rep, 0, "rollback: %s (%s)", rollback_err, dbx_status_name(rst));
        finish(1);
    }
    routes(&p1, &p2);
    champ = champion_version(name);
    mreport_step_end(rep, lr.error == DBX_OK,
                     "%.1f s; %zu queries under load (v1 %zu, v2 %zu, failed %zu); routes %d/%d, alias champion v%" PRId64,
                     rollback_ms / 1000.0, lr.t.ok + lr.t.failed, lr.t.v1, lr.t.v2, lr.t.failed, p1, p2, champ);
    if (lr.t.failed)
        fprintf(stderr, "rollback: first failed query: %s\n", lr.t.first_error);
    mreport_check(rep, "failed queries during the rollback", (double)lr.t.failed, "==", 0, "queries");
    mreport_check(rep, "queries answered during the rollback", (double)lr.t.ok, ">=", 1, "queries");
    mreport_check(rep, "rollback: answers by v1 after the switch", (double)lr.t.v1, ">=", 1, "queries");
    mreport_check(rep, "rollback: wrong predictions", (double)lr.t.wrong, "==", 0, "queries");
    mreport_check(rep, "route of v1 after the rollback", p1, "==", 90, "%");
    mreport_check(rep, "route of v2 after the rollback", p2, "==", 10, "%");
    mreport_check(rep, "champion alias back on v1", (double)champ, "==", (double)v1, "");

    mreport_step_begin(rep, "measure the split after the rollback");
    tally after;
    tally_init(&after);
    run_queries(&after, (size_t)nq);
    mreport_step_end(rep, after.failed == 0, "%ld queries: v1 %zu, v2 %zu, other %zu, failed %zu", nq, after.v1,
                     after.v2, after.other, after.failed);
    split_checks("after the rollback", &after, (size_t)nq);
    mreport_check(rep, "failed queries overall", (double)(split.failed + lp.t.failed + lr.t.failed + after.failed),
                  "==", 0, "queries");

    mreport_latency(rep, "90/10 split", split.ms, split.n_ms);
    mreport_latency(rep, "during the promotion", lp.t.ms, lp.t.n_ms);
    mreport_latency(rep, "during the rollback", lr.t.ms, lr.t.n_ms);
    printf("split 90/10: v1 %zu, v2 %zu of %ld; promotion %.1f s under load: %zu queries (v1 %zu, v2 %zu), %zu "
           "failed, p50 %.2f p99 %.2f ms; rollback %.1f s: %zu queries (v1 %zu, v2 %zu), %zu failed, p50 %.2f p99 "
           "%.2f ms; after rollback: v1 %zu, v2 %zu\n",
           split.v1, split.v2, nq, promote_ms / 1000, lp.t.ok + lp.t.failed, lp.t.v1, lp.t.v2, lp.t.failed,
           mreport_percentile(lp.t.ms, lp.t.n_ms, 50), mreport_percentile(lp.t.ms, lp.t.n_ms, 99),
           rollback_ms / 1000, lr.t.ok + lr.t.failed, lr.t.v1, lr.t.v2, lr.t.failed,
           mreport_percentile(lr.t.ms, lr.t.n_ms, 50), mreport_percentile(lr.t.ms, lr.t.n_ms, 99), after.v1,
           after.v2);
    free(split.ms);
    free(lp.t.ms);
    free(lr.t.ms);
    free(after.ms);
    finish(0);
    return 0;
}
