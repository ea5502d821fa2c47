/*
 * Migration program 2: deploy the champion and check scoring parity.
 *
 * On DataRobot the firm deploys the leaderboard's model and its systems
 * call the deployment's prediction API; the predictions it returned are on
 * record. On Databricks the same is a Model Serving endpoint for the Unity
 * Catalog model's `champion` version. This program makes its own model (so
 * it runs alone): a logistic model with fixed, known coefficients on raw
 * transaction features (mmodel.h), registered as a UC model version with
 * the alias `champion`; it creates an endpoint serving that version, waits
 * for READY, writes the "recorded scoring file" (the rows and the
 * predictions the old platform returned for them, rounded to 6 decimals as
 * its CSV export is) and replays it through invocations: sequentially (one
 * row per request, each timed) and with the real-time scorer (64 queries in
 * flight, each timed from its submission to its completion). Every
 * prediction must match the recorded one within 1e-6 (absolute). The
 * scorer's first 64 queries also open its 64 connections: they make its
 * latency tail (the emulator: a few hundred ms), measured as it is. The
 * check "scorer throughput >= sequential" is evaluated from 500 rows on;
 * below that it is reported as skipped (the connections' opening decides it).
 *
 * Result: <out>/deploy_and_score.json and .html (parity scatter, latency
 * distributions), <out>/recorded_scores.csv. Exit code 0 only when every
 * check passed.
 *
 * Configuration: the workspace and credentials as for every libdbx program, and
 *   DBX_MIGRATION_CATALOG / DBX_MIGRATION_SCHEMA  (default main / fraud_migration)
 *   DBX_MIGRATION_ENDPOINT  endpoint name (default "fraud-scoring-migration"; a
 *                           leftover one of that name is deleted first)
 *   DBX_MIGRATION_ROWS      rows replayed (default 1000); DBX_MIGRATION_SEED (7)
 *   DBX_MIGRATION_KEEP=1    keep the endpoint at the end (default: deleted)
 *   DBX_MIGRATION_OUT       directory of the results (default "migration-results")
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <math.h>
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

#define TOLERANCE 1e-6
#define P99_LIMIT_MS 2000.0
#define IN_FLIGHT 64
/* Below this many rows the scorer's throughput says little: its first queries
 * also open its connections. The comparison is then reported as skipped. */
#define SPEEDUP_MIN_ROWS 500



/* One row of the recorded scoring file. */
typedef struct row {
    int64_t id;
    double x[MMODEL_NFEATURES];
    double old_p;
} row;

static dbx_serving_input *row_input(const row *r)
{
    dbx_serving_input *in;
    CHECK(dbx_serving_input_new(&in, DBX_SERVING_DATAFRAME_SPLIT));
    CHECK(dbx_serving_input_set_columns(in, mmodel_feature_names, MMODEL_NFEATURES));
    CHECK(dbx_serving_input_add_row(in));
    for (int k = 0; k < MMODEL_NFEATURES; k++)
        CHECK(dbx_serving_input_add_double(in, r->x[k]));
    return in;
}

static double max_abs_diff(const double *a, const double *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(a[i] - b[i]);
        if (!(d <= m)) /* NaN propagates */
            m = d;
    }
    return m;
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    mc_program = "deploy_and_score";
    const char *catalog = env_or("DBX_MIGRATION_CATALOG", "main");
    const char *schema = env_or("DBX_MIGRATION_SCHEMA", "fraud_migration");
    endpoint = env_or("DBX_MIGRATION_ENDPOINT", "fraud-scoring-migration");
    int64_t nrows = strtoll(env_or("DBX_MIGRATION_ROWS", "1000"), NULL, 10);
    uint64_t seed = strtoull(env_or("DBX_MIGRATION_SEED", "7"), NULL, 10);
    snprintf(out_dir, sizeof out_dir, "%s", env_or("DBX_MIGRATION_OUT", "migration-results"));
    mkdir(out_dir, 0777);
    if (nrows < 1 || nrows > 10000000) {
        fprintf(stderr, "DBX_MIGRATION_ROWS must be 1..10000000\n");
        return 2;
    }

    mc_start("Migration 2: deploy the champion, replay recorded scores", "dbx-migration-deploy-and-score/1.0");

    /* 1. the model: fixed coefficients on raw features */
    mreport_step_begin(rep, "register the champion model");
    const mmodel model = {-4.0, {0.02, 0.3, 0.8}};
    char dir[600], err[300], name[300];
    snprintf(dir, sizeof dir, "%s/deploy_and_score_model", out_dir);
    if (mmodel_write(&model, dir, err, sizeof err) != 0) {
        mreport_step_end(rep, 0, "%s", err);
        finish(1);
    }
    snprintf(name, sizeof name, "%s.%s.fraud_scoring", catalog, schema);
    dbx_status ss = dbx_schemas_create(NULL, client, catalog, schema, NULL);
    if (ss != DBX_OK && ss != DBX_EEXISTS)
        die("create schema", ss);
    int64_t version = 0;
    CHECK(mmodel_register(&version, client, name, dir, "libdbx migration program 2: fixed logistic model"));
    CHECK(dbx_registry_alias_set(client, DBX_REGISTRY_UC, name, "champion", version));
    dbx_model_version *mv;
    CHECK(dbx_registry_version_get_by_alias(&mv, client, DBX_REGISTRY_UC, name, "champion"));
    int64_t champion = dbx_model_version_version(mv);
    dbx_model_version_free(mv);
    mreport_step_end(rep, 1, "%s version %" PRId64 ", alias champion", name, version);
    mreport_check(rep, "champion alias points at the new version", (double)champion, "==", (double)version, "");

    /* 2. the endpoint */
    mreport_step_begin(rep, "create the serving endpoint and wait for READY");
    char entity[100];
    snprintf(entity, sizeof entity, "champion-%" PRId64, champion);
    double t0;
    dbx_serving_endpoint *ep = mc_endpoint_serve_one(name, champion, entity, &t0);
    int ready = dbx_serving_endpoint_ready(ep) == DBX_SERVING_READY_READY;
    mreport_step_end(rep, ready, "%s %s, serving %s in %.1f s", endpoint, dbx_serving_endpoint_ready_str(ep), entity,
                     (now_ms() - t0) / 1000.0);
    dbx_serving_endpoint_free(ep);
    if (!ready)
        finish(1);

    /* 3. the recorded scoring file: what the old platform returned */
    mreport_step_begin(rep, "write and read the recorded scoring file");
    char csv[600];
    snprintf(csv, sizeof csv, "%s/recorded_scores.csv", out_dir);
    txgen_options go = {0};
    go.seed = seed;
    go.rows = nrows;
    txgen *g = txgen_new(&go, err, sizeof err);
    FILE *f = g ? fopen(csv, "wb") : NULL;
    if (!f) {
        mreport_step_end(rep, 0, "cannot write %s: %s", csv, g ? "I/O error" : err);
        finish(1);
    }
    fprintf(f, "transaction_id,%s,%s,%s,prediction\n", mmodel_feature_names[0], mmodel_feature_names[1],
            mmodel_feature_names[2]);
    txgen_tx t;
    while (txgen_next(g, &t)) {
        double x[MMODEL_NFEATURES];
        mmodel_features(&t, x);
        fprintf(f, "%" PRId64 ",%.2f,%.0f,%.0f,%.6f\n", t.id, x[0], x[1], x[2], mmodel_predict(&model, x));
    }
    txgen_free(g);
    if (fclose(f) != 0) {
        mreport_step_end(rep, 0, "cannot write %s", csv);
        finish(1);
    }
    /* replay the file as recorded (not the generator) */
    row *rows = calloc((size_t)nrows, sizeof *rows);
    size_t n = 0;
    f = fopen(csv, "rb");
    char line[512];
    if (!rows || !f || !fgets(line, sizeof line, f)) {
        mreport_step_end(rep, 0, "cannot read %s", csv);
        finish(1);
    }
    while (n < (size_t)nrows && fgets(line, sizeof line, f)) {
        row *r = &rows[n];
        if (sscanf(line, "%" SCNd64 ",%lf,%lf,%lf,%lf", &r->id, &r->x[0], &r->x[1], &r->x[2], &r->old_p) == 5)
            n++;
    }
    fclose(f);
    mreport_step_end(rep, n == (size_t)nrows, "%zu rows in %s", n, csv);
    mreport_check(rep, "recorded rows", (double)n, "==", (double)nrows, "rows");

    double *old_p = malloc(n * sizeof *old_p), *seq_p = malloc(n * sizeof *seq_p),
           *sc_p = malloc(n * sizeof *sc_p), *seq_ms = malloc(n * sizeof *seq_ms),
           *sc_ms = malloc(n * sizeof *sc_ms), *sent_at = malloc(n * sizeof *sent_at);
    if (!old_p || !seq_p || !sc_p || !seq_ms || !sc_ms || !sent_at) {
        fprintf(stderr, "out of memory\n");
        finish(1);
    }
    for (size_t i = 0; i < n; i++) {
        old_p[i] = rows[i].old_p;
        seq_p[i] = sc_p[i] = NAN;
    }

    /* 4. sequential replay: one row per request */
    mreport_step_begin(rep, "replay sequentially (one row per request)");
    size_t seq_ok = 0, seq_failed = 0;
    double s0 = now_ms();
    for (size_t i = 0; i < n; i++) {
        dbx_serving_input *in = row_input(&rows[i]);
        dbx_serving_result *res = NULL;
        double q0 = now_ms();
        dbx_status st = dbx_serving_query_input(&res, client, endpoint, in, NULL);
        seq_ms[i] = now_ms() - q0;
        dbx_serving_input_free(in);
        if (st == DBX_OK && dbx_serving_result_count(res) == 1 &&
            dbx_serving_result_type(res, 0) == DBX_SERVING_VALUE_NUMBER) {
            seq_p[i] = dbx_serving_result_double(res, 0);
            seq_ok++;
        } else {
            if (seq_failed++ < 5)
                fprintf(stderr, "row %zu: %s: %s\n", i, dbx_status_name(st),
                        st ? dbx_client_last_error(client)->message : "not one number");
        }
        dbx_serving_result_free(res);
    }
    double seq_wall = now_ms() - s0;
    double seq_tput = (double)n / (seq_wall / 1000.0);
    mreport_step_end(rep, seq_failed == 0, "%zu answered, %zu failed, %.0f rows/s, p50 %.2f ms, p99 %.2f ms",
                     seq_ok, seq_failed, seq_tput, mreport_percentile(seq_ms, n, 50), mreport_percentile(seq_ms, n, 99));

    /* 5. the real-time scorer: 64 in flight, each timed from its submission */
    mreport_step_begin(rep, "replay with the real-time scorer (64 in flight)");
    dbx_serving_scorer *sc;
    dbx_serving_scorer_options so = DBX_SERVING_SCORER_OPTIONS_INIT;
    so.max_in_flight = IN_FLIGHT;
    so.timeout_ms = 120000;
    CHECK(dbx_serving_scorer_new(&sc, client, endpoint, &so));
    size_t next = 0, done = 0, sc_ok = 0, sc_failed = 0;
    double c0 = now_ms();
    while (done < n) {
        /* keep IN_FLIGHT queries out (none waits in the scorer's queue, so
         * submission-to-completion is the query's own latency) */
        while (next < n && next - done < IN_FLIGHT) {
            dbx_serving_input *in = row_input(&rows[next]);
            sent_at[next] = now_ms();
            CHECK(dbx_serving_scorer_submit_input(NULL, sc, in, (void *)(uintptr_t)(next + 1)));
            dbx_serving_input_free(in);
            next++;
        }
        dbx_serving_completion *d = NULL;
        CHECK(dbx_serving_scorer_next(&d, sc, 1000));
        if (!d)
            continue;
        double end = now_ms();
        size_t i = (size_t)(uintptr_t)dbx_serving_completion_user(d) - 1;
        const dbx_serving_result *res = dbx_serving_completion_result(d);
        sc_ms[i] = end - sent_at[i];
        if (dbx_serving_completion_status(d) == DBX_OK && dbx_serving_result_count(res) == 1 &&
            dbx_serving_result_type(res, 0) == DBX_SERVING_VALUE_NUMBER) {
            sc_p[i] = dbx_serving_result_double(res, 0);
            sc_ok++;
        } else if (sc_failed++ < 5) {
            const dbx_error *e = dbx_serving_completion_error(d);
            fprintf(stderr, "row %zu (scorer): %s: %s\n", i, dbx_status_name(dbx_serving_completion_status(d)),
                    e ? e->message : "not one number");
        }
        dbx_serving_completion_free(d);
        done++;
    }
    double sc_wall = now_ms() - c0;
    double sc_tput = (double)n / (sc_wall / 1000.0);
    dbx_serving_scorer_stats stats = DBX_SERVING_SCORER_STATS_INIT;
    dbx_serving_scorer_stats_get(&stats, sc);
    dbx_serving_scorer_free(sc);
    mreport_step_end(rep, sc_failed == 0,
                     "%zu answered, %zu failed, %.0f rows/s, p50 %.2f ms, p99 %.2f ms, %" PRIu64 " connections, %" PRIu64
                     " retries",
                     sc_ok, sc_failed, sc_tput, mreport_percentile(sc_ms, n, 50), mreport_percentile(sc_ms, n, 99),
                     stats.connections, stats.retried);

    /* 6. parity and latency */
    mreport_step_begin(rep, "compare with the recorded predictions");
    double d_seq = max_abs_diff(old_p, seq_p, n), d_sc = max_abs_diff(old_p, sc_p, n);
    mreport_parity(rep, TOLERANCE, old_p, seq_p, n);
    mreport_latency(rep, "sequential", seq_ms, n);
    mreport_latency(rep, "real-time scorer, 64 in flight", sc_ms, n);
    mreport_step_end(rep, 1, "max |diff| %.3g sequential, %.3g scorer (tolerance %g)", d_seq, d_sc, TOLERANCE);
    mreport_check(rep, "max |new - recorded| (sequential)", d_seq, "<=", TOLERANCE, "");
    mreport_check(rep, "max |new - recorded| (scorer)", d_sc, "<=", TOLERANCE, "");
    mreport_check(rep, "rows answered (sequential)", (double)seq_ok, "==", (double)n, "rows");
    mreport_check(rep, "rows answered (scorer)", (double)sc_ok, "==", (double)n, "rows");
    mreport_check(rep, "failed queries", (double)(seq_failed + sc_failed), "==", 0, "queries");
    mreport_check(rep, "p99 latency, sequential", mreport_percentile(seq_ms, n, 99), "<=", P99_LIMIT_MS, "ms");
    mreport_check(rep, "p99 latency, scorer", mreport_percentile(sc_ms, n, 99), "<=", P99_LIMIT_MS, "ms");
    if (n >= SPEEDUP_MIN_ROWS)
        mreport_check(rep, "scorer throughput >= sequential", sc_tput, ">=", seq_tput, "rows/s");
    else
        mreport_skip(rep, "scorer throughput >= sequential",
                     "%zu rows: below %d, opening the scorer's %d connections dominates", n, SPEEDUP_MIN_ROWS,
                     IN_FLIGHT);
    printf("parity: max |diff| %.3g sequential, %.3g scorer; sequential p50 %.2f p95 %.2f p99 %.2f ms (%.0f rows/s); "
           "scorer p50 %.2f p95 %.2f p99 %.2f ms (%.0f rows/s)\n",
           d_seq, d_sc, mreport_percentile(seq_ms, n, 50), mreport_percentile(seq_ms, n, 95),
           mreport_percentile(seq_ms, n, 99), seq_tput, mreport_percentile(sc_ms, n, 50),
           mreport_percentile(sc_ms, n, 95), mreport_percentile(sc_ms, n, 99), sc_tput);
    free(rows);
    free(old_p);
    free(seq_p);
    free(sc_p);
    free(seq_ms);
    free(sc_ms);
    free(sent_at);
    finish(0);
    return 0;
}
