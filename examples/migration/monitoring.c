/*
 * Migration program 5: model monitoring, drift and accuracy by window.
 *
 * On DataRobot a deployment's monitoring tab shows data drift per feature
 * (against the training data) and accuracy over time once actuals are
 * uploaded. On Databricks the same comes from Delta tables and SQL: the
 * training data is the baseline; inference records (features, prediction,
 * request id, timestamp) are appended to a Delta table (this program writes
 * them itself with dbx_delta_append, one record per scored row: the
 * predictions come from the serving endpoint through
 * dbx_serving_query_batch; a workspace could equally let the endpoint log
 * them to its inference table); actuals arrive later, some late, into a
 * second Delta table. The program generates 14 days of transactions
 * (txgen.h): days 1-7 are the training data, days 8-14 are scored with an
 * injected shift (amounts x1.8, and three quarters of the transactions
 * moved to terminals of regions R0-R2, a terminal-mix change). It computes
 * in SQL:
 *   (a) the population stability index (PSI) of each feature's later
 *       window against the training baseline: numeric features in decile
 *       bins of the baseline (NTILE(10), bin edges = each decile's maximum,
 *       both windows binned by those edges), categorical features by
 *       category; PSI = sum over bins (a - e) * ln(a / e), with a bin's
 *       share floored at EPSILON = 0.0001 so empty bins stay finite;
 *   (b) accuracy, precision and recall at the 0.5 threshold per day,
 *       joining predictions and actuals on the request id.
 * Checks: the shifted features' PSI > 0.25 (flagged), the unshifted ones'
 * < 0.1, an accuracy window for every day with actuals, SQL's accuracy per
 * day equal to the one computed in C, the late actuals counted (arrived
 * more than 2 days after the prediction) equal to those sent. Then a
 * Lakehouse quality monitor (dbx/monitors.h) on the inference table, with
 * the training data as its baseline, computes its own
 * population_stability_index: flagged for the amount, and equal to ours for
 * the terminal region (the same category bins and epsilon).
 *
 * Result: <out>/monitoring.json and .html (drift per feature). Exit code 0
 * only when every check passed.
 *
 * Configuration: the workspace and credentials as for every libdbx program, and
 *   DBX_MIGRATION_CATALOG / DBX_MIGRATION_SCHEMA  (default main / fraud_migration)
 *   DBX_MIGRATION_WAREHOUSE  SQL warehouse id (default: the first one listed)
 *   DBX_MIGRATION_ENDPOINT   endpoint name (default "fraud-monitoring-migration";
 *                            a leftover one of that name is deleted first)
 *   DBX_MIGRATION_ROWS       transactions over the 14 days (default 4000); DBX_MIGRATION_SEED (13)
 *   DBX_MIGRATION_APPEND_BATCH  rows per INSERT of dbx_delta_append (default 0: the library's, 500)
 *   DBX_MIGRATION_QUALITY_MONITOR=0  skip the Lakehouse quality monitor (default: one is
 *                            created on the inference table, refreshed, its drift table read
 *                            and the monitor deleted; a real refresh takes minutes;
 *                            dbx_monitor_drift_read reads the table's struct columns as the
 *                            real service has them: window.start, ks_test.pvalue, ...)
 *   DBX_MIGRATION_KEEP=1     keep the endpoint at the end (default: deleted)
 *   DBX_MIGRATION_OUT        directory of the results (default "migration-results")
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

#define DAYS 14
#define BASELINE_DAYS 7
#define START_EPOCH 1767225600 /* 2026-01-01 00:00:00 UTC */
#define PSI_FLAG 0.25
#define PSI_STABLE 0.1
#define EPSILON "0.0001"
#define LATE_S (2 * 86400)

static long append_batch;



/* One generated transaction, as the programs' tables hold it. */
typedef struct rec {
    int64_t id, epoch_s;
    double x[MMODEL_NFEATURES]; /* tx_amount, tx_during_weekend, tx_during_night */
    int seconds_of_day, region, label, later;
    double prediction;
    int actual; /* 0 none, 1 on time, 2 late */
    int64_t arrived_s;
} rec;

/* The features whose drift is measured. */
typedef struct feature {
    const char *name;
    int numeric; /* 1: decile bins of the baseline; 0: one bin per category */
    int shifted; /* the injected shift changes it */
} feature;

static const feature features[] = {
    {"tx_amount", 1, 1},         {"tx_seconds_of_day", 1, 0}, {"terminal_region", 0, 1},
    {"tx_during_night", 0, 0},   {"tx_during_weekend", 0, 0},
};
#define NFEAT (sizeof features / sizeof features[0])

static double feature_value(const rec *r, size_t f)
{
    switch (f) {
    case 0: return r->x[0];
    case 1: return r->seconds_of_day;
    case 2: return r->region;
    case 3: return r->x[2];
    default: return r->x[1];
    }
}

static void append(const char *table, const dbx_delta_rowset *rows, const char *what)
{
    dbx_delta_options dopt = DBX_DELTA_OPTIONS_INIT;
    dopt.batch_rows = append_batch;
    int64_t written = -1;
    dbx_status st = dbx_delta_append(&written, client, wh, table, rows, &dopt);
    if (st != DBX_OK)
        die(what, st);
    if (written != (int64_t)dbx_delta_rowset_count(rows)) {
        mreport_step_end(rep, 0, "%s: %" PRId64 " rows written of %zu", what, written, dbx_delta_rowset_count(rows));
        finish(1);
    }
}

static void add_features(dbx_delta_rowset *rs, const rec *r)
{
    char region[8];
    snprintf(region, sizeof region, "R%d", r->region);
    CHECK(dbx_delta_rowset_add_double(rs, r->x[0]));
    CHECK(dbx_delta_rowset_add_int64(rs, (int64_t)r->x[1]));
    CHECK(dbx_delta_rowset_add_int64(rs, (int64_t)r->x[2]));
    CHECK(dbx_delta_rowset_add_int64(rs, r->seconds_of_day));
    CHECK(dbx_delta_rowset_add_string(rs, region));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double share(size_t n, size_t total)
{
    double s = total ? (double)n / (double)total : 0;
    return s > atof(EPSILON) ? s : atof(EPSILON);
}

/* The same PSI in C, from the generator's rows (the SQL's cross-check):
 * NTILE(10) groups of the sorted baseline (the first n % 10 one larger),
 * each bin (previous maximum, its maximum], the last one open above. */
static double psi_in_c(const rec *recs, size_t n, size_t f)
{
    size_t nb = 0, nc = 0;
    for (size_t i = 0; i < n; i++)
        recs[i].later ? nc++ : nb++;
    double *b = malloc((nb ? nb : 1) * sizeof *b);
    if (!b)
        return NAN;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!recs[i].later)
            b[k++] = feature_value(&recs[i], f);
    size_t cb[10] = {0}, cc[10] = {0};
    int nbins = 10;
    double hi[10];
    if (features[f].numeric) {
        qsort(b, nb, sizeof *b, cmp_double);
        size_t end = 0;
        for (int g = 0; g < 10; g++) {
            end += nb / 10 + ((size_t)g < nb % 10);
            hi[g] = b[end - 1];
        }
    }
    for (size_t i = 0; i < n; i++) {
        double v = feature_value(&recs[i], f);
        int bin;
        if (features[f].numeric) {
            bin = 9;
            for (int g = 0; g < 10; g++)
                if ((g == 0 || v > hi[g - 1]) && v <= hi[g]) {
                    bin = g;
                    break;
                }
            if (v <= hi[0])
                bin = 0;
        } else {
            bin = (int)v; /* categories 0..9 */
        }
        recs[i].later ? cc[bin]++ : cb[bin]++;
    }
    free(b);
    double psi = 0;
    for (int g = 0; g < nbins; g++) {
        if (!features[f].numeric && !cb[g] && !cc[g])
            continue; /* a category neither window has is no bin */
        double e = share(cb[g], nb), a = share(cc[g], nc);
        psi += (a - e) * log(a / e);
    }
    return psi;
}

/* The PSI of a feature in SQL (see the top of the file). */
static double psi_in_sql(const char *base, const char *infer, size_t f)
{
    char stmt[4096];
    const char *c = features[f].name;
    if (features[f].numeric)
        snprintf(stmt, sizeof stmt,
                 "WITH b AS (SELECT CAST(%s AS DOUBLE) AS v FROM %s), "
                 "c AS (SELECT CAST(%s AS DOUBLE) AS v FROM %s), "
                 "deciles AS (SELECT v, NTILE(10) OVER (ORDER BY v) AS bin FROM b), "
                 "edges AS (SELECT bin, max(v) AS hi FROM deciles GROUP BY bin), "
                 "bins AS (SELECT bin, hi, LAG(hi) OVER (ORDER BY bin) AS lo FROM edges), "
                 "bn AS (SELECT bins.bin, count(b.v) AS n FROM bins LEFT JOIN b "
                 "ON (bins.lo IS NULL OR b.v > bins.lo) AND (bins.bin = 10 OR b.v <= bins.hi) GROUP BY bins.bin), "
                 "cn AS (SELECT bins.bin, count(c.v) AS n FROM bins LEFT JOIN c "
                 "ON (bins.lo IS NULL OR c.v > bins.lo) AND (bins.bin = 10 OR c.v <= bins.hi) GROUP BY bins.bin), "
                 "shares AS (SELECT greatest(CAST(bn.n AS DOUBLE) / (SELECT count(*) FROM b), " EPSILON ") AS e, "
                 "greatest(CAST(cn.n AS DOUBLE) / (SELECT count(*) FROM c), " EPSILON ") AS a "
                 "FROM bn JOIN cn ON bn.bin = cn.bin) "
                 "SELECT sum((a - e) * ln(a / e)) AS population_stability_index FROM shares",
                 c, base, c, infer);
    else
        snprintf(stmt, sizeof stmt,
                 "WITH b AS (SELECT CAST(%s AS STRING) AS k FROM %s), "
                 "c AS (SELECT CAST(%s AS STRING) AS k FROM %s), "
                 "cats AS (SELECT k FROM b UNION SELECT k FROM c), "
                 "bn AS (SELECT k, count(*) AS n FROM b GROUP BY k), "
                 "cn AS (SELECT k, count(*) AS n FROM c GROUP BY k), "
                 "shares AS (SELECT greatest(CAST(coalesce(bn.n, 0) AS DOUBLE) / (SELECT count(*) FROM b), " EPSILON
                 ") AS e, greatest(CAST(coalesce(cn.n, 0) AS DOUBLE) / (SELECT count(*) FROM c), " EPSILON ") AS a "
                 "FROM cats LEFT JOIN bn ON bn.k = cats.k LEFT JOIN cn ON cn.k = cats.k) "
                 "SELECT sum((a - e) * ln(a / e)) AS population_stability_index FROM shares",
                 c, base, c, infer);
    dbx_sql_statement *st = sql(stmt);
    dbx_sql_rows *rows;
    CHECK(dbx_sql_rows_open(&rows, client, st, NULL));
    double v = NAN;
    if (dbx_sql_rows_next(rows) == DBX_OK && !dbx_sql_rows_is_null(rows, 0))
        CHECK(dbx_sql_rows_double(&v, rows, 0));
    dbx_sql_rows_free(rows);
    dbx_sql_statement_free(st);
    return v;
}

/* A quality monitor (inference log, weekly windows, the training data as
 * its baseline) on the inference table: its BASELINE drift row's
 * population_stability_index for the shifted numeric feature (its bins:
 * interpolated baseline deciles, so near ours, not equal) and the shifted
 * categorical one (the same bins and epsilon as ours: equal). */
static void quality_monitor(const char *base, const char *infer, const double *psi_sql)
{
    mreport_step_begin(rep, "Lakehouse quality monitor on the inference table");
    dbx_status st = dbx_monitor_delete(client, infer);
    if (st != DBX_OK && st != DBX_ENOTFOUND)
        die("delete the leftover monitor", st);
    char output_schema[300], assets[400];
    snprintf(output_schema, sizeof output_schema, "%s.%s", catalog, schema);
    snprintf(assets, sizeof assets, "/Shared/libdbx-migration/monitoring");
    CHECK(dbx_workspace_mkdirs(client, assets));
    dbx_monitor_spec *spec;
    CHECK(dbx_monitor_spec_new(&spec));
    CHECK(dbx_monitor_spec_set_assets_dir(spec, assets));
    CHECK(dbx_monitor_spec_set_output_schema(spec, output_schema));
    /* the prediction is a probability: profiled as a number (regression) */
    CHECK(dbx_monitor_spec_set_inference_log(spec, DBX_MONITOR_PROBLEM_REGRESSION, "request_time", "prediction",
                                             "model_version", NULL, NULL));
    CHECK(dbx_monitor_spec_add_granularity(spec, "1 week"));
    CHECK(dbx_monitor_spec_set_baseline_table(spec, base));
    CHECK(dbx_monitor_spec_set_warehouse_id(spec, wh));
    CHECK(dbx_monitor_spec_set_skip_builtin_dashboard(spec, 1));
    dbx_monitor *m = NULL;
    st = dbx_monitor_create(&m, client, infer, spec);
    dbx_monitor_spec_free(spec);
    dbx_monitor_free(m);
    if (st != DBX_OK)
        die("dbx_monitor_create", st);
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.timeout_ms = 60L * 60 * 1000;
    CHECK(dbx_monitor_wait_active(NULL, client, infer, &w));
    dbx_monitor_refresh *r = NULL;
    CHECK(dbx_monitor_refresh_run(&r, client, infer));
    int64_t rid = dbx_monitor_refresh_id(r);
    dbx_monitor_refresh_free(r);
    CHECK(dbx_monitor_refresh_wait(NULL, client, infer, rid, &w));
    double mon[2] = {NAN, NAN};
    static const size_t which[2] = {0, 2}; /* tx_amount, terminal_region */
    for (int k = 0; k < 2; k++) {
        dbx_monitor_read_options ro = DBX_MONITOR_READ_OPTIONS_INIT;
        ro.column_name = features[which[k]].name;
        ro.granularity = "1 week";
        ro.drift_type = DBX_MONITOR_DRIFT_BASELINE;
        ro.model_id = "*";
        dbx_monitor_drift *d;
        CHECK(dbx_monitor_drift_read(&d, client, infer, wh, &ro));
        /* the later period is one week (2026-01-08 is a Thursday: weeks start then) */
        if (dbx_monitor_drift_count(d) >= 1)
            mon[k] = dbx_monitor_drift_at(d, dbx_monitor_drift_count(d) - 1)->population_stability_index;
        dbx_monitor_drift_free(d);
    }
    st = dbx_monitor_delete(client, infer);
    mreport_step_end(rep, st == DBX_OK,
                     "refresh %" PRId64 ": population_stability_index tx_amount %.6f (ours %.6f), terminal_region "
                     "%.6f (ours %.6f); monitor deleted, its metric tables kept",
                     rid, mon[0], psi_sql[0], mon[1], psi_sql[2]);
    mreport_check(rep, "monitor PSI tx_amount (shifted) flagged", mon[0], ">", PSI_FLAG, "");
    mreport_check(rep, "|monitor PSI terminal_region - ours| (same bins)", fabs(mon[1] - psi_sql[2]), "<=", 1e-6, "");
}

/* Per-day accuracy computed in C. */
typedef struct day_acc {
    char day[11];
    int64_t n, correct, late;
} day_acc;

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    mc_program = "monitoring";
    catalog = env_or("DBX_MIGRATION_CATALOG", "main");
    schema = env_or("DBX_MIGRATION_SCHEMA", "fraud_migration");
    endpoint = env_or("DBX_MIGRATION_ENDPOINT", "fraud-monitoring-migration");
    int64_t nrows = strtoll(env_or("DBX_MIGRATION_ROWS", "4000"), NULL, 10);
    uint64_t seed = strtoull(env_or("DBX_MIGRATION_SEED", "13"), NULL, 10);
    append_batch = strtol(env_or("DBX_MIGRATION_APPEND_BATCH", "0"), NULL, 10);
    snprintf(out_dir, sizeof out_dir, "%s", env_or("DBX_MIGRATION_OUT", "migration-results"));
    mkdir(out_dir, 0777);
    if (nrows < 200 || nrows > 1000000 || append_batch < 0) {
        fprintf(stderr, "DBX_MIGRATION_ROWS must be 200..1000000 and DBX_MIGRATION_APPEND_BATCH >= 0\n");
        return 2;
    }

    mc_start("Migration 5: monitoring, drift (PSI) and accuracy by day", "dbx-migration-monitoring/1.0");
    char base[300], infer[300], actuals[300], stmt[4096], err[300];
    snprintf(base, sizeof base, "%s.%s.monitoring_baseline", catalog, schema);
    snprintf(infer, sizeof infer, "%s.%s.monitoring_inference", catalog, schema);
    snprintf(actuals, sizeof actuals, "%s.%s.monitoring_actuals", catalog, schema);
    const mmodel model = {-4.0, {0.02, 0.3, 0.8}};

    /* 1. data: the training period as is, the later period shifted */
    mreport_step_begin(rep, "generate transactions (later days shifted)");
    txgen_options go = {0};
    go.seed = seed;
    go.rows = nrows;
    go.days = DAYS;
    go.start_epoch_s = START_EPOCH;
    go.customers = nrows / 10 > 50 ? (int)(nrows / 10) : 50;
    go.terminals = nrows / 5 > 100 ? (int)(nrows / 5) : 100;
    txgen *g = txgen_new(&go, err, sizeof err);
    rec *recs = calloc((size_t)nrows, sizeof *recs);
    if (!g || !recs) {
        mreport_step_end(rep, 0, "%s", g ? "out of memory" : err);
        finish(1);
    }
    size_t n = 0, n_base = 0, n_later = 0, n_late = 0, n_on_time = 0;
    txgen_tx t;
    while (n < (size_t)nrows && txgen_next(g, &t)) {
        rec *r = &recs[n++];
        r->later = (t.epoch_s - START_EPOCH) / 86400 >= BASELINE_DAYS;
        if (r->later) {
            t.amount_cents = t.amount_cents * 18 / 10;              /* amounts x1.8 */
            if (t.id % 4 != 0)                                       /* terminal mix: regions R0-R2 */
                t.terminal = t.terminal - t.terminal % 10 + t.terminal % 3;
        }
        r->id = t.id;
        r->epoch_s = t.epoch_s;
        mmodel_features(&t, r->x);
        r->seconds_of_day = (int)(t.epoch_s % 86400);
        r->region = t.terminal % 10;
        r->label = t.fraud;
        if (r->later) {
            n_later++;
            /* actuals: most the next day, every fifth late (4 days on), some never */
            if (t.id % 7 == 3) {
                r->actual = 0;
            } else if (t.id % 5 == 0) {
                r->actual = 2;
                r->arrived_s = t.epoch_s + 4 * 86400;
                n_late++;
            } else {
                r->actual = 1;
                r->arrived_s = t.epoch_s + 86400;
                n_on_time++;
            }
        } else {
            n_base++;
        }
    }
    txgen_free(g);
    mreport_step_end(rep, n_base > 0 && n_later > 0,
                     "%zu baseline rows (days 1-%d), %zu later rows (days %d-%d: amounts x1.8, 3/4 moved to "
                     "regions R0-R2), seed %" PRIu64,
                     n_base, BASELINE_DAYS, n_later, BASELINE_DAYS + 1, DAYS, seed);

    mreport_step_begin(rep, "SQL warehouse, schema and tables");
    wh = pick_warehouse();
    if (!exists_or_ok(dbx_schemas_create(NULL, client, catalog, schema, NULL)))
        die("create schema", DBX_ERROR);
    static const char *const ddl[3][2] = {
        {"monitoring_baseline", "transaction_id BIGINT, tx_datetime TIMESTAMP, tx_amount DOUBLE, tx_during_weekend "
                                "INT, tx_during_night INT, tx_seconds_of_day INT, terminal_region STRING, tx_fraud INT"},
        {"monitoring_inference", "request_id STRING, request_time TIMESTAMP, transaction_id BIGINT, tx_amount DOUBLE, "
                                 "tx_during_weekend INT, tx_during_night INT, tx_seconds_of_day INT, "
                                 "terminal_region STRING, prediction DOUBLE, model_version STRING"},
        {"monitoring_actuals", "request_id STRING, label INT, arrived_at TIMESTAMP"},
    };
    const char *tables[3] = {base, infer, actuals};
    for (int i = 0; i < 3; i++) {
        snprintf(stmt, sizeof stmt, "DROP TABLE IF EXISTS %s", tables[i]);
        dbx_sql_statement_free(sql(stmt));
        dbx_delta_table_spec *spec;
        CHECK(dbx_delta_table_spec_new(&spec));
        CHECK(dbx_delta_table_spec_add_columns(spec, ddl[i][1]));
        CHECK(dbx_delta_table_spec_set_comment(spec, "libdbx migration program 5 (monitoring)"));
        CHECK(dbx_delta_create_table(client, wh, tables[i], spec, NULL));
        dbx_delta_table_spec_free(spec);
    }
    mreport_step_end(rep, 1, "warehouse %s; %s, %s, %s", wh, base, infer, actuals);

    mreport_step_begin(rep, "baseline: the training data");
    static const char *const base_cols[] = {"transaction_id",  "tx_datetime",       "tx_amount",
                                            "tx_during_weekend", "tx_during_night", "tx_seconds_of_day",
                                            "terminal_region", "tx_fraud"};
    dbx_delta_rowset *rs;
    CHECK(dbx_delta_rowset_new(&rs, base_cols, 8));
    char ts[32];
    for (size_t i = 0; i < n; i++) {
        if (recs[i].later)
            continue;
        txgen_utc(recs[i].epoch_s, ts);
        CHECK(dbx_delta_rowset_add_int64(rs, recs[i].id));
        CHECK(dbx_delta_rowset_add_value(rs, ts, "TIMESTAMP"));
        add_features(rs, &recs[i]);
        CHECK(dbx_delta_rowset_add_int64(rs, recs[i].label));
        CHECK(dbx_delta_rowset_end_row(rs));
    }
    append(base, rs, "append the baseline");
    dbx_delta_rowset_free(rs);
    mreport_step_end(rep, 1, "%zu rows appended to %s", n_base, base);

    /* 2. the model and its endpoint */
    mreport_step_begin(rep, "register the model");
    char dir[600], name[300];
    snprintf(dir, sizeof dir, "%s/monitoring_model", out_dir);
    if (mmodel_write(&model, dir, err, sizeof err) != 0) {
        mreport_step_end(rep, 0, "%s", err);
        finish(1);
    }
    snprintf(name, sizeof name, "%s.%s.fraud_monitoring", catalog, schema);
    int64_t version = 0;
    CHECK(mmodel_register(&version, client, name, dir, "libdbx migration program 5: fixed logistic model"));
    mreport_step_end(rep, 1, "%s version %" PRId64, name, version);

    mreport_step_begin(rep, "create the serving endpoint and wait for READY");
    char entity[100];
    snprintf(entity, sizeof entity, "monitored-%" PRId64, version);
    dbx_serving_endpoint *ep = mc_endpoint_serve_one(name, version, entity, NULL);
    int ready = dbx_serving_endpoint_ready(ep) == DBX_SERVING_READY_READY;
    mreport_step_end(rep, ready, "%s %s, serving %s", endpoint, dbx_serving_endpoint_ready_str(ep), entity);
    dbx_serving_endpoint_free(ep);
    if (!ready)
        finish(1);

    /* 3. score the later period and log the inference records */
    mreport_step_begin(rep, "score the later period, append the inference records");
    dbx_serving_input *in;
    CHECK(dbx_serving_input_new(&in, DBX_SERVING_DATAFRAME_SPLIT));
    CHECK(dbx_serving_input_set_columns(in, mmodel_feature_names, MMODEL_NFEATURES));
    for (size_t i = 0; i < n; i++) {
        if (!recs[i].later)
            continue;
        CHECK(dbx_serving_input_add_row(in));
        for (int k = 0; k < MMODEL_NFEATURES; k++)
            CHECK(dbx_serving_input_add_double(in, recs[i].x[k]));
    }
    dbx_serving_batch_options bo = DBX_SERVING_BATCH_OPTIONS_INIT;
    bo.timeout_ms = 120000;
    dbx_serving_result *res;
    CHECK(dbx_serving_query_batch(&res, client, endpoint, in, 500, &bo));
    dbx_serving_input_free(in);
    if (dbx_serving_result_count(res) != n_later) {
        mreport_step_end(rep, 0, "%zu predictions for %zu rows", dbx_serving_result_count(res), n_later);
        dbx_serving_result_free(res);
        finish(1);
    }
    static const char *const inf_cols[] = {"request_id",       "request_time",    "transaction_id",
                                           "tx_amount",        "tx_during_weekend", "tx_during_night",
                                           "tx_seconds_of_day", "terminal_region", "prediction",
                                           "model_version"};
    CHECK(dbx_delta_rowset_new(&rs, inf_cols, 10));
    double max_diff = 0;
    char req[64], mv[320];
    snprintf(mv, sizeof mv, "%s/%" PRId64, name, version);
    for (size_t i = 0, j = 0; i < n; i++) {
        rec *r = &recs[i];
        if (!r->later)
            continue;
        r->prediction = dbx_serving_result_type(res, j) == DBX_SERVING_VALUE_NUMBER ? dbx_serving_result_double(res, j)
                                                                                    : NAN;
        j++;
        double d = fabs(r->prediction - mmodel_predict(&model, r->x));
        if (!(d <= max_diff))
            max_diff = d;
        snprintf(req, sizeof req, "req-%08" PRId64, r->id);
        txgen_utc(r->epoch_s, ts);
        CHECK(dbx_delta_rowset_add_string(rs, req));
        CHECK(dbx_delta_rowset_add_value(rs, ts, "TIMESTAMP"));
        CHECK(dbx_delta_rowset_add_int64(rs, r->id));
        add_features(rs, r);
        CHECK(dbx_delta_rowset_add_double(rs, r->prediction));
        CHECK(dbx_delta_rowset_add_string(rs, mv));
        CHECK(dbx_delta_rowset_end_row(rs));
    }
    dbx_serving_result_free(res);
    append(infer, rs, "append the inference records");
    dbx_delta_rowset_free(rs);
    mreport_step_end(rep, max_diff <= 1e-6, "%zu predictions logged to %s, max |served - C model| %.3g", n_later, infer,
                     max_diff);
    mreport_check(rep, "max |served prediction - C model|", max_diff, "<=", 1e-6, "");

    /* 4. actuals: on time, then the late ones in a second load */
    mreport_step_begin(rep, "actuals: on time, then late");
    static const char *const act_cols[] = {"request_id", "label", "arrived_at"};
    int64_t labelled[2];
    for (int pass = 1; pass <= 2; pass++) {
        CHECK(dbx_delta_rowset_new(&rs, act_cols, 3));
        for (size_t i = 0; i < n; i++) {
            if (recs[i].actual != pass)
                continue;
            snprintf(req, sizeof req, "req-%08" PRId64, recs[i].id);
            txgen_utc(recs[i].arrived_s, ts);
            CHECK(dbx_delta_rowset_add_string(rs, req));
            CHECK(dbx_delta_rowset_add_int64(rs, recs[i].label));
            CHECK(dbx_delta_rowset_add_value(rs, ts, "TIMESTAMP"));
            CHECK(dbx_delta_rowset_end_row(rs));
        }
        append(actuals, rs, pass == 1 ? "append the on-time actuals" : "append the late actuals");
        dbx_delta_rowset_free(rs);
        snprintf(stmt, sizeof stmt, "SELECT count(*) FROM %s i JOIN %s a ON a.request_id = i.request_id", infer,
                 actuals);
        labelled[pass - 1] = sql_int(stmt);
    }
    snprintf(stmt, sizeof stmt,
             "SELECT count(*) FROM %s a JOIN %s i ON a.request_id = i.request_id "
             "WHERE unix_timestamp(a.arrived_at) - unix_timestamp(i.request_time) > %d",
             actuals, infer, LATE_S);
    int64_t late_sql = sql_int(stmt);
    snprintf(stmt, sizeof stmt,
             "SELECT count(*) FROM %s a LEFT JOIN %s i ON a.request_id = i.request_id WHERE i.request_id IS NULL",
             actuals, infer);
    int64_t orphans = sql_int(stmt);
    mreport_step_end(rep, 1,
                     "%zu on time, %zu late (> 2 days), %zu never arrived; predictions with an actual: %" PRId64
                     " before the late load, %" PRId64 " after",
                     n_on_time, n_late, n_later - n_on_time - n_late, labelled[0], labelled[1]);
    mreport_check(rep, "late actuals counted in SQL = sent", (double)late_sql, "==", (double)n_late, "rows");
    mreport_check(rep, "labelled predictions added by the late load", (double)(labelled[1] - labelled[0]), "==",
                  (double)n_late, "rows");
    mreport_check(rep, "actuals without a prediction", (double)orphans, "==", 0, "rows");

    /* 5. drift: PSI per feature */
    mreport_step_begin(rep, "drift: population stability index per feature (SQL)");
    char detail[1024] = "";
    size_t dl = 0;
    double max_sql_c = 0, psi_sql[NFEAT];
    for (size_t f = 0; f < NFEAT; f++) {
        double v = psi_sql[f] = psi_in_sql(base, infer, f), vc = psi_in_c(recs, n, f);
        double d = fabs(v - vc);
        if (!(d <= max_sql_c))
            max_sql_c = d;
        mreport_drift(rep, "population stability index", PSI_FLAG, features[f].name, v);
        char cname[200];
        if (features[f].shifted) {
            snprintf(cname, sizeof cname, "PSI %s (shifted) flagged", features[f].name);
            mreport_check(rep, cname, v, ">", PSI_FLAG, "");
        } else {
            snprintf(cname, sizeof cname, "PSI %s (unshifted) stable", features[f].name);
            mreport_check(rep, cname, v, "<", PSI_STABLE, "");
        }
        dl += (size_t)snprintf(detail + dl, sizeof detail - dl, "%s%s %.4f", f ? ", " : "", features[f].name, v);
        if (dl >= sizeof detail)
            dl = sizeof detail - 1;
        printf("PSI %-20s SQL %.6f  C %.6f\n", features[f].name, v, vc);
    }
    mreport_step_end(rep, 1, "%s (bins: baseline deciles / categories, epsilon %s)", detail, EPSILON);
    mreport_check(rep, "max |PSI in SQL - PSI in C|", max_sql_c, "<=", 1e-9, "");

    /* 5b. the same drift from a Lakehouse quality monitor on the inference table */
    if (atoi(env_or("DBX_MIGRATION_QUALITY_MONITOR", "1")))
        quality_monitor(base, infer, psi_sql);

    /* 6. accuracy by day */
    mreport_step_begin(rep, "accuracy, precision and recall at 0.5 by day (SQL)");
    day_acc days[DAYS] = {{{0}, 0, 0, 0}};
    int ndays = 0;
    for (size_t i = 0; i < n; i++) {
        const rec *r = &recs[i];
        if (!r->later || !r->actual)
            continue;
        char d[20];
        txgen_utc(r->epoch_s, d);
        d[10] = 0;
        int k = 0;
        while (k < ndays && strcmp(days[k].day, d) != 0)
            k++;
        if (k == ndays) {
            if (ndays == DAYS)
                continue;
            memcpy(days[ndays++].day, d, 11);
        }
        days[k].n++;
        days[k].correct += (r->prediction >= 0.5) == (r->label == 1);
        days[k].late += r->actual == 2;
    }
    snprintf(stmt, sizeof stmt,
             "SELECT CAST(to_date(i.request_time) AS STRING) AS day, count(*) AS n, "
             "avg(CASE WHEN (i.prediction >= 0.5 AND a.label = 1) OR (i.prediction < 0.5 AND a.label = 0) "
             "THEN 1.0 ELSE 0.0 END) AS accuracy, "
             "try_divide(sum(CASE WHEN i.prediction >= 0.5 AND a.label = 1 THEN 1 ELSE 0 END), "
             "sum(CASE WHEN i.prediction >= 0.5 THEN 1 ELSE 0 END)) AS precision_at_05, "
             "try_divide(sum(CASE WHEN i.prediction >= 0.5 AND a.label = 1 THEN 1 ELSE 0 END), sum(a.label)) "
             "AS recall_at_05, "
             "sum(CASE WHEN unix_timestamp(a.arrived_at) - unix_timestamp(i.request_time) > %d THEN 1 ELSE 0 END) "
             "AS late FROM %s i JOIN %s a ON a.request_id = i.request_id "
             "GROUP BY CAST(to_date(i.request_time) AS STRING) ORDER BY day",
             LATE_S, infer, actuals);
    dbx_sql_statement *st = sql(stmt);
    dbx_sql_rows *it;
    CHECK(dbx_sql_rows_open(&it, client, st, NULL));
    int windows = 0, matched = 0;
    char acc_detail[1024] = "";
    size_t al = 0;
    double max_acc_diff = 0;
    int64_t late_windows = 0;
    dbx_status rs_;
    while ((rs_ = dbx_sql_rows_next(it)) == DBX_OK) {
        const char *day = dbx_sql_rows_str(it, 0);
        int64_t cnt = 0, late = 0;
        double acc = NAN, prec = NAN, rec_ = NAN;
        CHECK(dbx_sql_rows_int64(&cnt, it, 1));
        CHECK(dbx_sql_rows_double(&acc, it, 2));
        if (!dbx_sql_rows_is_null(it, 3))
            CHECK(dbx_sql_rows_double(&prec, it, 3));
        if (!dbx_sql_rows_is_null(it, 4))
            CHECK(dbx_sql_rows_double(&rec_, it, 4));
        CHECK(dbx_sql_rows_int64(&late, it, 5));
        windows++;
        late_windows += late;
        for (int k = 0; k < ndays; k++)
            if (day && strcmp(days[k].day, day) == 0) {
                double d = fabs(acc - (double)days[k].correct / (double)days[k].n);
                if (!(d <= max_acc_diff))
                    max_acc_diff = d;
                matched += cnt == days[k].n && late == days[k].late;
            }
        if (al < sizeof acc_detail)
            al += (size_t)snprintf(acc_detail + al, sizeof acc_detail - al, "%s%s %.3f", windows > 1 ? ", " : "",
                                   day ? day : "?", acc);
        printf("%s  n %4" PRId64 "  accuracy %.4f  precision@0.5 %.4f  recall@0.5 %.4f  late actuals %" PRId64 "\n",
               day ? day : "?", cnt, acc, prec, rec_, late);
    }
    if (rs_ != DBX_DONE)
        die("dbx_sql_rows_next", rs_);
    dbx_sql_rows_free(it);
    dbx_sql_statement_free(st);
    snprintf(stmt, sizeof stmt,
             "SELECT count(DISTINCT CAST(to_date(i.request_time) AS STRING)) FROM %s i JOIN %s a "
             "ON a.request_id = i.request_id",
             infer, actuals);
    int64_t days_with_actuals = sql_int(stmt);
    mreport_step_end(rep, 1, "%d daily windows, %d agree with C (rows and late actuals), max |accuracy SQL - C| %.3g; "
                     "accuracy %s",
                     windows, matched, max_acc_diff, acc_detail);
    mreport_check(rep, "accuracy windows = days with actuals", (double)windows, "==", (double)days_with_actuals,
                  "days");
    mreport_check(rep, "days with actuals = later days", (double)days_with_actuals, "==", (double)(DAYS - BASELINE_DAYS),
                  "days");
    mreport_check(rep, "windows whose rows and late actuals agree with C", (double)matched, "==", (double)ndays,
                  "days");
    mreport_check(rep, "max |accuracy in SQL - in C|", max_acc_diff, "<=", 1e-9, "");
    mreport_check(rep, "late actuals in the windows = sent", (double)late_windows, "==", (double)n_late, "rows");

    free(recs);
    finish(0);
    return 0;
}
