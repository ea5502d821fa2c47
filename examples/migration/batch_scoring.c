/*
 * Migration program 3: batch scoring into a predictions Delta table.
 *
 * On DataRobot the firm's nightly job sends a table of transactions to a
 * batch prediction job and writes the scores back next to the rows. On
 * Databricks the same is: the transactions as a Delta table, the model's
 * serving endpoint scored in chunks (dbx_serving_query_batch, predictions
 * in input order), and the predictions appended to a Delta table with the
 * rows' identifying columns passed through. This program generates N
 * transactions (txgen.h), lands them with COPY INTO (dbx_delta_load_file),
 * registers the fixed logistic model of mmodel.h and serves it, reads the
 * rows back with SQL (features computed in SQL), scores them in chunks,
 * appends <catalog>.<schema>.transaction_predictions (transaction_id,
 * customer_id, terminal_id, tx_amount, tx_datetime, prediction,
 * model_version, scored_at) with dbx_delta_append, and reconciles in SQL:
 * equal row counts, every transaction_id once (anti-joins both ways empty),
 * passthrough columns equal to the source (join and compare), no NULL
 * prediction, and every stored prediction equal to the model computed in C
 * on the generator's own transactions within 1e-6.
 *
 * Result: <out>/batch_scoring.json and .html. Exit code 0 only when every
 * check passed.
 *
 * Configuration: the workspace and credentials as for every libdbx program, and
 *   DBX_MIGRATION_CATALOG / DBX_MIGRATION_SCHEMA  (default main / fraud_migration)
 *   DBX_MIGRATION_WAREHOUSE  SQL warehouse id (default: the first one listed)
 *   DBX_MIGRATION_ENDPOINT   endpoint name (default "fraud-batch-scoring-migration";
 *                            a leftover one of that name is deleted first)
 *   DBX_MIGRATION_REUSE_ENDPOINT=1  score with the existing endpoint DBX_MIGRATION_ENDPOINT
 *                            (which must serve the same fixed model) instead of creating one
 *   DBX_MIGRATION_ROWS       transactions (default 2000); DBX_MIGRATION_SEED (11)
 *   DBX_MIGRATION_CHUNK      rows per scoring request (default 500)
 *   DBX_MIGRATION_APPEND_BATCH  rows per INSERT of dbx_delta_append (default 0: the library's, 500)
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

#define TOLERANCE 1e-6




/* A source row as read back with SQL. */
typedef struct src_row {
    int64_t id;
    char *customer, *terminal, *datetime;
    double amount, x[MMODEL_NFEATURES];
} src_row;

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    mc_program = "batch_scoring";
    catalog = env_or("DBX_MIGRATION_CATALOG", "main");
    schema = env_or("DBX_MIGRATION_SCHEMA", "fraud_migration");
    endpoint = env_or("DBX_MIGRATION_ENDPOINT", "fraud-batch-scoring-migration");
    int reuse = atoi(env_or("DBX_MIGRATION_REUSE_ENDPOINT", "0"));
    int64_t nrows = strtoll(env_or("DBX_MIGRATION_ROWS", "2000"), NULL, 10);
    uint64_t seed = strtoull(env_or("DBX_MIGRATION_SEED", "11"), NULL, 10);
    long chunk = strtol(env_or("DBX_MIGRATION_CHUNK", "500"), NULL, 10);
    long append_batch = strtol(env_or("DBX_MIGRATION_APPEND_BATCH", "0"), NULL, 10);
    snprintf(out_dir, sizeof out_dir, "%s", env_or("DBX_MIGRATION_OUT", "migration-results"));
    mkdir(out_dir, 0777);
    if (nrows < 1 || nrows > 10000000 || chunk < 1 || append_batch < 0) {
        fprintf(stderr, "DBX_MIGRATION_ROWS must be 1..10000000, DBX_MIGRATION_CHUNK >= 1, DBX_MIGRATION_APPEND_BATCH >= 0\n");
        return 2;
    }

    mc_start("Migration 3: batch scoring into a predictions Delta table", "dbx-migration-batch-scoring/1.0");
    char src[300], dst[300], stmt[4096], err[300];
    snprintf(src, sizeof src, "%s.%s.transactions_to_score", catalog, schema);
    snprintf(dst, sizeof dst, "%s.%s.transaction_predictions", catalog, schema);

    /* 1. data, and the old platform's side: the model computed in C on the generator's rows */
    const mmodel model = {-4.0, {0.02, 0.3, 0.8}};
    mreport_step_begin(rep, "generate transactions");
    char csv[600];
    snprintf(csv, sizeof csv, "%s/transactions_to_score.csv", out_dir);
    txgen_options go = {0};
    go.seed = seed;
    go.rows = nrows;
    go.customers = nrows / 10 > 50 ? (int)(nrows / 10 < 1000000 ? nrows / 10 : 1000000) : 50;
    go.terminals = nrows / 5 > 100 ? (int)(nrows / 5 < 1000000 ? nrows / 5 : 1000000) : 100;
    txgen *g = txgen_new(&go, err, sizeof err);
    FILE *f = g ? fopen(csv, "wb") : NULL;
    if (!f || txgen_write_csv(g, f) != 0 || fclose(f) != 0) {
        mreport_step_end(rep, 0, "cannot write %s: %s", csv, g ? "I/O error" : err);
        finish(1);
    }
    txgen_free(g);
    double *ref = malloc((size_t)nrows * sizeof *ref);
    if (!ref) {
        fprintf(stderr, "out of memory\n");
        finish(1);
    }
    g = txgen_new(&go, err, sizeof err);
    txgen_tx t;
    int64_t gen = 0;
    while (g && txgen_next(g, &t) && t.id < nrows) {
        double x[MMODEL_NFEATURES];
        mmodel_features(&t, x);
        ref[t.id] = mmodel_predict(&model, x);
        gen++;
    }
    txgen_free(g);
    mreport_step_end(rep, gen == nrows, "%" PRId64 " rows, seed %" PRIu64 ", %s", gen, seed, csv);

    mreport_step_begin(rep, "SQL warehouse, schema and landing volume");
    wh = pick_warehouse();
    if (!exists_or_ok(dbx_schemas_create(NULL, client, catalog, schema, NULL)))
        die("create schema", DBX_ERROR);
    dbx_status vs = dbx_volumes_create(NULL, client, catalog, schema, "landing", DBX_VOLUME_TYPE_MANAGED, NULL);
    if (!exists_or_ok(vs))
        die("create volume", vs);
    mreport_step_end(rep, 1, "warehouse %s, %s.%s, volume landing", wh, catalog, schema);

    /* 2. the table to score, typed, landed with COPY INTO */
    mreport_step_begin(rep, "land the transactions as a Delta table");
    snprintf(stmt, sizeof stmt, "DROP TABLE IF EXISTS %s", src);
    dbx_sql_statement_free(sql(stmt));
    char volume_dir[400];
    snprintf(volume_dir, sizeof volume_dir, "/Volumes/%s/%s/landing/transactions_to_score", catalog, schema);
    int64_t loaded = mc_create_and_load_csv(src,
                                            "transaction_id BIGINT, tx_datetime TIMESTAMP, customer_id STRING, "
                                            "terminal_id STRING, tx_amount DOUBLE, tx_fraud INT, "
                                            "tx_fraud_scenario INT",
                                            "transactions to score (libdbx migration program 3)", csv, volume_dir);
    mreport_step_end(rep, loaded == nrows, "%" PRId64 " rows loaded into %s", loaded, src);
    mreport_check(rep, "landed rows = generated rows", (double)loaded, "==", (double)nrows, "rows");

    /* 3. the model and its endpoint */
    int64_t version = 0;
    if (reuse) {
        mreport_step_begin(rep, "reuse the serving endpoint");
        dbx_serving_endpoint *ep;
        CHECK(dbx_serving_get(&ep, client, endpoint));
        int ready = dbx_serving_endpoint_ready(ep) == DBX_SERVING_READY_READY;
        mreport_step_end(rep, ready, "%s %s", endpoint, dbx_serving_endpoint_ready_str(ep));
        dbx_serving_endpoint_free(ep);
        if (!ready)
            finish(1);
    } else {
        mreport_step_begin(rep, "register the model");
        char dir[600], name[300];
        snprintf(dir, sizeof dir, "%s/batch_scoring_model", out_dir);
        if (mmodel_write(&model, dir, err, sizeof err) != 0) {
            mreport_step_end(rep, 0, "%s", err);
            finish(1);
        }
        snprintf(name, sizeof name, "%s.%s.fraud_batch_scoring", catalog, schema);
        CHECK(mmodel_register(&version, client, name, dir, "libdbx migration program 3: fixed logistic model"));
        mreport_step_end(rep, 1, "%s version %" PRId64, name, version);

        mreport_step_begin(rep, "create the serving endpoint and wait for READY");
        char entity[100];
        snprintf(entity, sizeof entity, "batch-%" PRId64, version);
        double t0;
        dbx_serving_endpoint *ep = mc_endpoint_serve_one(name, version, entity, &t0);
        int ready = dbx_serving_endpoint_ready(ep) == DBX_SERVING_READY_READY;
        mreport_step_end(rep, ready, "%s %s, serving %s in %.1f s", endpoint, dbx_serving_endpoint_ready_str(ep),
                         entity, (now_ms() - t0) / 1000.0);
        dbx_serving_endpoint_free(ep);
        if (!ready)
            finish(1);
    }

    /* 4. read the rows back, features computed in SQL */
    mreport_step_begin(rep, "read the rows back with SQL");
    snprintf(stmt, sizeof stmt,
             "SELECT transaction_id, CAST(tx_datetime AS STRING) AS tx_datetime, customer_id, terminal_id, tx_amount, "
             "CASE WHEN ((CAST(unix_timestamp(tx_datetime) / 86400 AS BIGINT) + 4) %% 7) IN (0, 6) THEN 1 ELSE 0 END, "
             "CASE WHEN hour(tx_datetime) < 6 THEN 1 ELSE 0 END FROM %s ORDER BY transaction_id",
             src);
    src_row *rows = calloc((size_t)nrows, sizeof *rows);
    if (!rows) {
        fprintf(stderr, "out of memory\n");
        finish(1);
    }
    dbx_sql_statement *st = sql(stmt);
    dbx_sql_rows *it;
    CHECK(dbx_sql_rows_open(&it, client, st, NULL));
    size_t n = 0;
    dbx_status rs;
    while ((rs = dbx_sql_rows_next(it)) == DBX_OK && n < (size_t)nrows) {
        src_row *r = &rows[n];
        double wk = 0, nt = 0;
        CHECK(dbx_sql_rows_int64(&r->id, it, 0));
        r->datetime = strdup(dbx_sql_rows_str(it, 1));
        r->customer = strdup(dbx_sql_rows_str(it, 2));
        r->terminal = strdup(dbx_sql_rows_str(it, 3));
        CHECK(dbx_sql_rows_double(&r->amount, it, 4));
        CHECK(dbx_sql_rows_double(&wk, it, 5));
        CHECK(dbx_sql_rows_double(&nt, it, 6));
        if (!r->datetime || !r->customer || !r->terminal) {
            fprintf(stderr, "out of memory\n");
            finish(1);
        }
        r->x[0] = r->amount;
        r->x[1] = wk;
        r->x[2] = nt;
        n++;
    }
    if (rs != DBX_OK && rs != DBX_DONE)
        die("dbx_sql_rows_next", rs);
    dbx_sql_rows_free(it);
    dbx_sql_statement_free(st);
    mreport_step_end(rep, n == (size_t)nrows, "%zu rows from %s", n, src);

    /* 5. score in chunks, predictions in input order */
    mreport_step_begin(rep, "score with dbx_serving_query_batch");
    dbx_serving_input *in;
    CHECK(dbx_serving_input_new(&in, DBX_SERVING_DATAFRAME_SPLIT));
    CHECK(dbx_serving_input_set_columns(in, mmodel_feature_names, MMODEL_NFEATURES));
    for (size_t i = 0; i < n; i++) {
        CHECK(dbx_serving_input_add_row(in));
        for (int k = 0; k < MMODEL_NFEATURES; k++)
            CHECK(dbx_serving_input_add_double(in, rows[i].x[k]));
    }
    dbx_serving_batch_options bo = DBX_SERVING_BATCH_OPTIONS_INIT;
    bo.max_parallel = 4;
    bo.timeout_ms = 120000;
    dbx_serving_result *res = NULL;
    double b0 = now_ms();
    CHECK(dbx_serving_query_batch(&res, client, endpoint, in, (size_t)chunk, &bo));
    double batch_ms = now_ms() - b0;
    dbx_serving_input_free(in);
    size_t answered = dbx_serving_result_count(res), numbers = 0;
    for (size_t i = 0; i < answered; i++)
        numbers += dbx_serving_result_type(res, i) == DBX_SERVING_VALUE_NUMBER;
    const char *served = dbx_serving_result_served_model_name(res);
    mreport_step_end(rep, answered == n && numbers == n,
                     "%zu predictions (%zu numbers) in %.0f ms, %zu requests of <= %ld rows, served by %s", answered,
                     numbers, batch_ms, (n + (size_t)chunk - 1) / (size_t)chunk, chunk, served ? served : "?");
    mreport_check(rep, "predictions returned = rows", (double)answered, "==", (double)n, "rows");

    /* 6. append the predictions */
    mreport_step_begin(rep, "append to transaction_predictions (dbx_delta_append)");
    dbx_delta_table_spec *spec;
    CHECK(dbx_delta_table_spec_new(&spec));
    CHECK(dbx_delta_table_spec_add_columns(spec, "transaction_id BIGINT, customer_id STRING, terminal_id STRING, "
                                                 "tx_amount DOUBLE, tx_datetime TIMESTAMP, prediction DOUBLE, "
                                                 "model_version STRING, scored_at TIMESTAMP"));
    CHECK(dbx_delta_table_spec_set_comment(spec, "fraud scores of transactions_to_score (libdbx migration program 3)"));
    snprintf(stmt, sizeof stmt, "DROP TABLE IF EXISTS %s", dst);
    dbx_sql_statement_free(sql(stmt));
    CHECK(dbx_delta_create_table(client, wh, dst, spec, NULL));
    dbx_delta_table_spec_free(spec);
    static const char *const cols[] = {"transaction_id", "customer_id", "terminal_id", "tx_amount",
                                       "tx_datetime",    "prediction",  "model_version", "scored_at"};
    dbx_delta_rowset *rset;
    CHECK(dbx_delta_rowset_new(&rset, cols, 8));
    char scored_at[32], model_version[200];
    txgen_utc((int64_t)time(NULL), scored_at);
    if (reuse)
        snprintf(model_version, sizeof model_version, "%s", served ? served : endpoint);
    else
        snprintf(model_version, sizeof model_version, "%s.%s.fraud_batch_scoring/%" PRId64, catalog, schema, version);
    for (size_t i = 0; i < n && i < answered; i++) {
        CHECK(dbx_delta_rowset_add_int64(rset, rows[i].id));
        CHECK(dbx_delta_rowset_add_string(rset, rows[i].customer));
        CHECK(dbx_delta_rowset_add_string(rset, rows[i].terminal));
        CHECK(dbx_delta_rowset_add_double(rset, rows[i].amount));
        CHECK(dbx_delta_rowset_add_value(rset, rows[i].datetime, "TIMESTAMP"));
        if (dbx_serving_result_type(res, i) == DBX_SERVING_VALUE_NUMBER)
            CHECK(dbx_delta_rowset_add_double(rset, dbx_serving_result_double(res, i)));
        else
            CHECK(dbx_delta_rowset_add_null(rset));
        CHECK(dbx_delta_rowset_add_string(rset, model_version));
        CHECK(dbx_delta_rowset_add_value(rset, scored_at, "TIMESTAMP"));
        CHECK(dbx_delta_rowset_end_row(rset));
    }
    dbx_serving_result_free(res);
    dbx_delta_options dopt = DBX_DELTA_OPTIONS_INIT;
    dopt.batch_rows = append_batch;
    int64_t written = -1;
    double a0 = now_ms();
    CHECK(dbx_delta_append(&written, client, wh, dst, rset, &dopt));
    dbx_delta_rowset_free(rset);
    mreport_step_end(rep, written == (int64_t)n, "%" PRId64 " rows appended to %s in %.0f ms (model %s)", written, dst,
                     now_ms() - a0, model_version);

    /* 7. reconcile in SQL */
    mreport_step_begin(rep, "reconcile with SQL");
    snprintf(stmt, sizeof stmt, "SELECT count(*) FROM %s", src);
    int64_t c_src = sql_int(stmt);
    snprintf(stmt, sizeof stmt, "SELECT count(*) FROM %s", dst);
    int64_t c_dst = sql_int(stmt);
    snprintf(stmt, sizeof stmt, "SELECT count(*) FROM (SELECT transaction_id FROM %s GROUP BY transaction_id HAVING count(*) > 1) d",
             dst);
    int64_t dup = sql_int(stmt);
    snprintf(stmt, sizeof stmt,
             "SELECT count(*) FROM %s s LEFT JOIN %s p ON s.transaction_id = p.transaction_id WHERE p.transaction_id IS NULL",
             src, dst);
    int64_t missing = sql_int(stmt);
    snprintf(stmt, sizeof stmt,
             "SELECT count(*) FROM %s p LEFT JOIN %s s ON s.transaction_id = p.transaction_id WHERE s.transaction_id IS NULL",
             dst, src);
    int64_t extra = sql_int(stmt);
    snprintf(stmt, sizeof stmt,
             "SELECT count(*) FROM %s s JOIN %s p ON s.transaction_id = p.transaction_id WHERE NOT ("
             "s.customer_id <=> p.customer_id AND s.terminal_id <=> p.terminal_id AND s.tx_amount <=> p.tx_amount "
             "AND s.tx_datetime <=> p.tx_datetime)",
             src, dst);
    int64_t differ = sql_int(stmt);
    snprintf(stmt, sizeof stmt, "SELECT count(*) FROM %s WHERE prediction IS NULL OR model_version IS NULL", dst);
    int64_t nulls = sql_int(stmt);
    /* the stored predictions against the model computed in C on the generator's rows */
    snprintf(stmt, sizeof stmt, "SELECT transaction_id, prediction FROM %s ORDER BY transaction_id", dst);
    st = sql(stmt);
    CHECK(dbx_sql_rows_open(&it, client, st, NULL));
    double max_diff = 0;
    size_t compared = 0;
    double *old_v = malloc(n * sizeof *old_v), *new_v = malloc(n * sizeof *new_v);
    if (!old_v || !new_v) {
        fprintf(stderr, "out of memory\n");
        finish(1);
    }
    while ((rs = dbx_sql_rows_next(it)) == DBX_OK) {
        int64_t id;
        double p = NAN;
        CHECK(dbx_sql_rows_int64(&id, it, 0));
        if (!dbx_sql_rows_is_null(it, 1))
            CHECK(dbx_sql_rows_double(&p, it, 1));
        double d = id >= 0 && id < nrows ? fabs(p - ref[id]) : INFINITY;
        if (!(d <= max_diff))
            max_diff = d;
        if (compared < n && id >= 0 && id < nrows) {
            old_v[compared] = ref[id];
            new_v[compared] = p;
            compared++;
        }
    }
    if (rs != DBX_DONE)
        die("dbx_sql_rows_next", rs);
    dbx_sql_rows_free(it);
    dbx_sql_statement_free(st);
    mreport_parity(rep, TOLERANCE, old_v, new_v, compared);
    mreport_step_end(rep, 1,
                     "source %" PRId64 ", predictions %" PRId64 ", duplicates %" PRId64 ", missing %" PRId64
                     ", extra %" PRId64 ", passthrough differences %" PRId64 ", NULL predictions %" PRId64
                     ", max |table - C model| %.3g",
                     c_src, c_dst, dup, missing, extra, differ, nulls, max_diff);
    mreport_check(rep, "prediction rows = source rows", (double)c_dst, "==", (double)c_src, "rows");
    mreport_check(rep, "transaction_ids scored more than once", (double)dup, "==", 0, "ids");
    mreport_check(rep, "source rows without a prediction (anti-join)", (double)missing, "==", 0, "rows");
    mreport_check(rep, "predictions without a source row (anti-join)", (double)extra, "==", 0, "rows");
    mreport_check(rep, "passthrough columns differing from the source", (double)differ, "==", 0, "rows");
    mreport_check(rep, "NULL predictions", (double)nulls, "==", 0, "rows");
    mreport_check(rep, "predictions compared with the C model", (double)compared, "==", (double)nrows, "rows");
    mreport_check(rep, "max |stored prediction - C model|", max_diff, "<=", TOLERANCE, "");
    printf("batch scoring: %zu rows, %.0f ms scoring (%.0f rows/s), max |diff| %.3g\n", n, batch_ms,
           (double)n / (batch_ms / 1000.0), max_diff);

    for (size_t i = 0; i < n; i++) {
        free(rows[i].customer);
        free(rows[i].terminal);
        free(rows[i].datetime);
    }
    free(rows);
    free(ref);
    free(old_v);
    free(new_v);
    finish(0);
    return 0;
}
