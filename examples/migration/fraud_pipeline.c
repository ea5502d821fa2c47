/*
 * Migration program 1: the fraud pipeline, bronze -> silver -> gold -> model.
 *
 * On DataRobot the firm uploads a transactions dataset, lets the platform
 * build features and train, and picks the leaderboard's best model. On
 * Databricks the same work is: generated card transactions uploaded to a
 * Unity Catalog volume and bulk-loaded into a bronze Delta table (COPY
 * INTO), a typed and cleaned silver table, a gold table of per-customer
 * and per-terminal windowed features (SQL window frames), a training job
 * (runs/submit of a Python task: examples/migration/train_fraud.py) that
 * logs its variants to MLflow and registers them in Unity Catalog, the best
 * run picked by run search, and the `champion` alias set on its version.
 *
 * Every step is checked; the result goes to <out>/fraud_pipeline.json and
 * the report to <out>/fraud_pipeline.html; the exit code is 0 only when
 * every check passed.
 *
 * Configuration: the workspace and credentials as for every libdbx program
 * (DATABRICKS_HOST, DATABRICKS_TOKEN or OAuth, ~/.databrickscfg), and
 *   DBX_MIGRATION_WAREHOUSE  SQL warehouse id (default: the first one listed, started)
 *   DBX_MIGRATION_CATALOG    catalog (default "main"); DBX_MIGRATION_SCHEMA (default "fraud_migration")
 *   DBX_MIGRATION_ROWS       transactions to generate (default 1000); DBX_MIGRATION_SEED (7)
 *   DBX_MIGRATION_CLUSTER    an existing cluster for the training task (default: a new job cluster)
 *   DBX_MIGRATION_OUT        directory of the result and the report (default "migration-results")
 *   DBX_MIGRATION_TASK_WHEEL  a wheel of the Python binding with libdbx.so inside
 *                            (bindings/python/make_wheel.py): uploaded to the landing
 *                            volume and installed on the training cluster as a task
 *                            library ({"whl": "/Volumes/..."}); the task imports libdbx from it
 *   DBX_MIGRATION_TASK_TOKEN_SECRET  scope/key of a Databricks secret holding a token for
 *                            the training task: the new job cluster gets DATABRICKS_HOST and
 *                            DATABRICKS_TOKEN={{secrets/scope/key}} as spark_env_vars (a task
 *                            on a cluster has no credentials of its own for libdbx)
 * On a workspace, the training task needs both (or a cluster that has libdbx
 * and credentials: DBX_MIGRATION_CLUSTER). The emulator runs the task as a
 * local process with a token of its own; the CTest installs the wheel
 * there too, in a task environment without the emulator's PYTHONPATH.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <dbx/dbx.h>

#include "mcommon.h"
#include "mreport.h"
#include "txgen.h"

#ifndef DBX_MIGRATION_DIR
#define DBX_MIGRATION_DIR "examples/migration"
#endif




int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    mc_program = "fraud_pipeline";
    catalog = env_or("DBX_MIGRATION_CATALOG", "main");
    schema = env_or("DBX_MIGRATION_SCHEMA", "fraud_migration");
    int64_t nrows = strtoll(env_or("DBX_MIGRATION_ROWS", "1000"), NULL, 10);
    uint64_t seed = strtoull(env_or("DBX_MIGRATION_SEED", "7"), NULL, 10);
    snprintf(out_dir, sizeof out_dir, "%s", env_or("DBX_MIGRATION_OUT", "migration-results"));
    mkdir(out_dir, 0777);

    mc_start("Migration 1: fraud pipeline, bronze to champion model", "dbx-migration-fraud-pipeline/1.0");
    char table[3][300];
    snprintf(table[0], sizeof table[0], "%s.%s.transactions_bronze", catalog, schema);
    snprintf(table[1], sizeof table[1], "%s.%s.transactions_silver", catalog, schema);
    snprintf(table[2], sizeof table[2], "%s.%s.transactions_gold", catalog, schema);

    /* 1. data */
    mreport_step_begin(rep, "generate transactions");
    char csv[600];
    snprintf(csv, sizeof csv, "%s/transactions.csv", out_dir);
    txgen_options go = {0};
    go.seed = seed;
    go.rows = nrows;
    /* a world sized to the data: about 10 transactions per customer and 5 per terminal */
    go.customers = nrows / 10 > 50 ? (int)(nrows / 10 < 1000000 ? nrows / 10 : 1000000) : 50;
    go.terminals = nrows / 5 > 100 ? (int)(nrows / 5 < 1000000 ? nrows / 5 : 1000000) : 100;
    char err[128];
    txgen *g = txgen_new(&go, err, sizeof err);
    FILE *f = g ? fopen(csv, "wb") : NULL;
    if (!f || txgen_write_csv(g, f) != 0 || fclose(f) != 0) {
        mreport_step_end(rep, 0, "cannot write %s: %s", csv, g ? "I/O error" : err);
        finish(1);
    }
    txgen_free(g);
    /* the generator's own count of frauds, to reconcile with the tables */
    int64_t frauds = 0;
    g = txgen_new(&go, err, sizeof err);
    txgen_tx t;
    while (g && txgen_next(g, &t))
        frauds += t.fraud;
    txgen_free(g);
    mreport_step_end(rep, 1, "%" PRId64 " rows, %" PRId64 " fraudulent, seed %" PRIu64, nrows, frauds, seed);

    mreport_step_begin(rep, "SQL warehouse");
    wh = pick_warehouse();
    mreport_step_end(rep, 1, "%s running", wh);

    mreport_step_begin(rep, "schema and landing volume");
    if (!exists_or_ok(dbx_schemas_create(NULL, client, catalog, schema, NULL)))
        die("create schema", DBX_ERROR);
    dbx_status vs = dbx_volumes_create(NULL, client, catalog, schema, "landing", DBX_VOLUME_TYPE_MANAGED, NULL);
    if (!exists_or_ok(vs))
        die("create volume", vs);
    mreport_step_end(rep, 1, "%s.%s, volume landing", catalog, schema);

    /* 2. bronze: the CSV as landed, every column text */
    mreport_step_begin(rep, "bronze: upload and COPY INTO");
    char stmt[4096];
    snprintf(stmt, sizeof stmt, "DROP TABLE IF EXISTS %s", table[0]);
    dbx_sql_statement_free(sql(stmt));
    char volume_dir[400];
    snprintf(volume_dir, sizeof volume_dir, "/Volumes/%s/%s/landing/transactions", catalog, schema);
    int64_t loaded = mc_create_and_load_csv(table[0],
                                            "transaction_id STRING, tx_datetime STRING, customer_id STRING, "
                                            "terminal_id STRING, tx_amount STRING, tx_fraud STRING, "
                                            "tx_fraud_scenario STRING",
                                            "card transactions as landed (libdbx migration program 1)", csv,
                                            volume_dir);
    mreport_step_end(rep, 1, "%" PRId64 " rows loaded into %s", loaded, table[0]);
    mreport_check(rep, "bronze rows = generated rows", (double)loaded, "==", (double)nrows, "rows");

    /* 3. silver: typed, cleaned */
    mreport_step_begin(rep, "silver: typed and cleaned");
    snprintf(stmt, sizeof stmt,
             "CREATE OR REPLACE TABLE %s AS SELECT CAST(transaction_id AS BIGINT) AS transaction_id, "
             "to_timestamp(tx_datetime) AS tx_datetime, customer_id, terminal_id, "
             "CAST(tx_amount AS DOUBLE) AS tx_amount, CAST(tx_fraud AS INT) AS tx_fraud, "
             "CAST(tx_fraud_scenario AS INT) AS tx_fraud_scenario FROM %s "
             "WHERE transaction_id IS NOT NULL AND tx_datetime IS NOT NULL AND CAST(tx_amount AS DOUBLE) > 0",
             table[1], table[0]);
    dbx_sql_statement_free(sql(stmt));
    snprintf(stmt, sizeof stmt, "SELECT count(*) FROM %s", table[1]);
    int64_t silver = sql_int(stmt);
    snprintf(stmt, sizeof stmt, "SELECT sum(tx_fraud) FROM %s", table[1]);
    int64_t silver_fraud = sql_int(stmt);
    mreport_step_end(rep, 1, "%" PRId64 " rows, %" PRId64 " fraudulent", silver, silver_fraud);
    mreport_check(rep, "silver rows = bronze rows", (double)silver, "==", (double)loaded, "rows");
    mreport_check(rep, "silver frauds = generated frauds", (double)silver_fraud, "==", (double)frauds, "rows");

    /* 4. gold: windowed features per customer and terminal; the terminal's
     * risk uses labels known a week later (fraud is confirmed with a delay) */
    mreport_step_begin(rep, "gold: windowed features");
#define TS "unix_timestamp(tx_datetime)"
#define CUST(secs) "OVER (PARTITION BY customer_id ORDER BY " TS " RANGE BETWEEN " secs " PRECEDING AND CURRENT ROW)"
    snprintf(stmt, sizeof stmt,
             "CREATE OR REPLACE TABLE %s AS SELECT transaction_id, tx_datetime, customer_id, terminal_id, "
             "tx_amount, tx_fraud, tx_fraud_scenario, "
             "CASE WHEN ((CAST(" TS " / 86400 AS BIGINT) + 4) %% 7) IN (0, 6) THEN 1 ELSE 0 END AS tx_during_weekend, "
             "CASE WHEN hour(tx_datetime) < 6 THEN 1 ELSE 0 END AS tx_during_night, "
             "count(*) " CUST("86400") " AS customer_nb_tx_1d, "
             "avg(tx_amount) " CUST("86400") " AS customer_avg_amount_1d, "
             "count(*) " CUST("604800") " AS customer_nb_tx_7d, "
             "avg(tx_amount) " CUST("604800") " AS customer_avg_amount_7d, "
             "count(*) OVER (PARTITION BY terminal_id ORDER BY " TS
             " RANGE BETWEEN 604800 PRECEDING AND CURRENT ROW) AS terminal_nb_tx_7d, "
             "coalesce(avg(CAST(tx_fraud AS DOUBLE)) OVER (PARTITION BY terminal_id ORDER BY " TS
             " RANGE BETWEEN 1209600 PRECEDING AND 604800 PRECEDING), 0.0) AS terminal_risk_7d "
             "FROM %s",
             table[2], table[1]);
    dbx_sql_statement_free(sql(stmt));
    snprintf(stmt, sizeof stmt, "SELECT count(*) FROM %s", table[2]);
    int64_t gold = sql_int(stmt);
    snprintf(stmt, sizeof stmt,
             "SELECT count(*) FROM %s WHERE customer_avg_amount_7d IS NULL OR terminal_risk_7d IS NULL "
             "OR customer_nb_tx_1d < 1",
             table[2]);
    int64_t bad = sql_int(stmt);
    mreport_step_end(rep, 1, "%" PRId64 " rows", gold);
    mreport_check(rep, "gold rows = silver rows", (double)gold, "==", (double)silver, "rows");
    mreport_check(rep, "gold rows with missing features", (double)bad, "==", 0, "rows");

    /* 5. training job */
    mreport_step_begin(rep, "training job (runs/submit, Python task)");
    char script[600], ws_dir[] = "/Shared/libdbx-migration", ws_file[300];
    snprintf(script, sizeof script, "%s/train_fraud.py", env_or("DBX_MIGRATION_SCRIPTS", DBX_MIGRATION_DIR));
    snprintf(ws_file, sizeof ws_file, "%s/train_fraud.py", ws_dir);
    CHECK(dbx_workspace_mkdirs(client, ws_dir));
    dbx_workspace_import_options io = DBX_WORKSPACE_IMPORT_OPTIONS_INIT;
    io.format = DBX_WORKSPACE_FORMAT_AUTO;
    io.overwrite = 1;
    CHECK(dbx_workspace_import_file(client, ws_file, script, &io));
    char experiment[] = "/Shared/libdbx-migration/fraud-detection", model[300], py_file[320], seed_s[32];
    snprintf(model, sizeof model, "%s.%s.fraud_detector", catalog, schema);
    snprintf(py_file, sizeof py_file, "/Workspace%s", ws_file);
    snprintf(seed_s, sizeof seed_s, "%" PRIu64, seed);
    const char *params[] = {wh, table[2], experiment, model, seed_s, NULL};
    dbx_job_task *task;
    CHECK(dbx_job_task_new(&task, "train"));
    CHECK(dbx_job_task_set_spark_python(task, py_file, params));
    const char *wheel = env_or("DBX_MIGRATION_TASK_WHEEL", NULL);
    char wheel_path[600] = "";
    if (wheel) { /* the binding, installed on the task's cluster as a library */
        const char *base = strrchr(wheel, '/') ? strrchr(wheel, '/') + 1 : wheel;
        snprintf(wheel_path, sizeof wheel_path, "/Volumes/%s/%s/landing/libs/%s", catalog, schema, base);
        dbx_files_upload_options fo = DBX_FILES_UPLOAD_OPTIONS_INIT;
        fo.overwrite = 1;
        CHECK(dbx_files_upload_file(client, wheel_path, wheel, &fo));
        CHECK(dbx_job_task_add_library_whl(task, wheel_path));
    }
    const char *token_secret = env_or("DBX_MIGRATION_TASK_TOKEN_SECRET", NULL);
    const char *cluster = getenv("DBX_MIGRATION_CLUSTER");
    if (cluster && *cluster) {
        CHECK(dbx_job_task_set_existing_cluster_id(task, cluster));
    } else {
        dbx_spark_versions *versions;
        CHECK(dbx_clusters_spark_versions(&versions, client));
        const char *runtime = dbx_spark_versions_key(versions, 0);
        for (size_t i = 0; i < dbx_spark_versions_count(versions); i++)
            if (strstr(dbx_spark_versions_name(versions, i), "LTS") && strstr(dbx_spark_versions_key(versions, i), "ml"))
                runtime = dbx_spark_versions_key(versions, i);
        dbx_node_types *nodes;
        CHECK(dbx_clusters_list_node_types(&nodes, client));
        const char *node = dbx_node_types_id(nodes, 0);
        int best = 1 << 30;
        for (size_t i = 0; i < dbx_node_types_count(nodes); i++) {
            int mem = dbx_node_types_memory_mb(nodes, i);
            if (mem >= 8192 && mem < best) {
                best = mem;
                node = dbx_node_types_id(nodes, i);
            }
        }
        dbx_cluster_spec *cs;
        CHECK(dbx_cluster_spec_new(&cs));
        CHECK(dbx_cluster_spec_set_spark_version(cs, runtime));
        CHECK(dbx_cluster_spec_set_node_type_id(cs, node));
        CHECK(dbx_cluster_spec_set_num_workers(cs, 0));
        CHECK(dbx_cluster_spec_set_custom_tag(cs, "migrated_from", "datarobot"));
        if (token_secret) { /* the task's credentials: a secret reference, resolved by the cluster */
            char ref[300];
            snprintf(ref, sizeof ref, "{{secrets/%s}}", token_secret);
            CHECK(dbx_cluster_spec_set_spark_env_var(cs, "DATABRICKS_HOST", dbx_client_host(client)));
            CHECK(dbx_cluster_spec_set_spark_env_var(cs, "DATABRICKS_TOKEN", ref));
        }
        CHECK(dbx_job_task_set_new_cluster(task, cs));
        dbx_cluster_spec_free(cs);
        dbx_node_types_free(nodes);
        dbx_spark_versions_free(versions);
    }
    dbx_job_settings *js;
    CHECK(dbx_job_settings_new(&js));
    CHECK(dbx_job_settings_set_name(js, "libdbx migration: train fraud model"));
    CHECK(dbx_job_settings_add_task(js, task));
    dbx_job_task_free(task);
    dbx_run_started started;
    CHECK(dbx_jobs_submit(&started, client, js, NULL));
    dbx_job_settings_free(js);
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.timeout_ms = 60L * 60 * 1000;
    w.poll_max_ms = 5000;
    dbx_run *run = NULL;
    dbx_status ws = dbx_jobs_wait_run(&run, client, started.run_id, &w);
    int64_t task_run = run ? dbx_run_task_run_id_by_key(run, "train") : 0;
    dbx_run_output *out = NULL;
    if (task_run > 0 && dbx_jobs_get_run_output(&out, client, task_run) == DBX_OK) {
        const char *logs = dbx_run_output_logs(out);
        printf("%s", logs ? logs : "");
        if (dbx_run_output_error(out) && *dbx_run_output_error(out))
            fprintf(stderr, "task error: %s\n%s\n", dbx_run_output_error(out), dbx_run_output_error_trace(out));
    }
    dbx_run_output_free(out);
    int ok = ws == DBX_OK && run && dbx_run_result_state(run) == DBX_RUN_RESULT_SUCCESS;
    mreport_step_end(rep, ok, "run %" PRId64 ": %s", started.run_id,
                     run ? dbx_run_result_state_str(run) : dbx_status_name(ws));
    dbx_run_free(run);
    if (!ok)
        finish(1);

    /* 6. the best run, by run search; its version becomes the champion */
    mreport_step_begin(rep, "pick the best run and set the champion alias");
    dbx_mlflow_experiment *exp;
    CHECK(dbx_mlflow_experiment_get_by_name(&exp, client, experiment));
    const char *exp_ids[] = {dbx_mlflow_experiment_id(exp), NULL};
    const char *order[] = {"metrics.auc_roc DESC", NULL};
    dbx_mlflow_search_options so = DBX_MLFLOW_SEARCH_OPTIONS_INIT;
    so.order_by = order;
    so.filter = "tags.`migration.program` = 'fraud_pipeline' AND attributes.status = 'FINISHED'";
    so.max_items = 1;
    dbx_mlflow_runs_iter *ri;
    CHECK(dbx_mlflow_runs_search(&ri, client, exp_ids, &so));
    const dbx_mlflow_run *best;
    CHECK(dbx_mlflow_runs_iter_next(&best, ri));
    double auc = NAN, ap = NAN, pk = NAN;
    dbx_mlflow_run_metric(best, "auc_roc", &auc);
    dbx_mlflow_run_metric(best, "average_precision", &ap);
    dbx_mlflow_run_metric(best, "precision_at_k", &pk);
    const char *ver_s = dbx_mlflow_run_tag(best, "registered_version");
    int64_t version = ver_s ? strtoll(ver_s, NULL, 10) : 0;
    char best_name[200];
    snprintf(best_name, sizeof best_name, "%s", dbx_mlflow_run_name(best));
    dbx_mlflow_runs_iter_free(ri);
    dbx_mlflow_experiment_free(exp);
    if (version <= 0) {
        mreport_step_end(rep, 0, "the best run carries no registered_version tag");
        finish(1);
    }
    CHECK(dbx_registry_alias_set(client, DBX_REGISTRY_UC, model, "champion", version));
    dbx_model_version *mv;
    CHECK(dbx_registry_version_get_by_alias(&mv, client, DBX_REGISTRY_UC, model, "champion"));
    int64_t champion = dbx_model_version_version(mv);
    dbx_model_version_free(mv);
    mreport_step_end(rep, 1, "%s: version %" PRId64 " of %s", best_name, version, model);
    mreport_check(rep, "best run AUC-ROC", auc, ">=", 0.70, "");
    mreport_check(rep, "best run average precision", ap, ">=", 0.2, "");
    mreport_check(rep, "best run precision at top 5%", pk, ">=", 0.2, "");
    mreport_check(rep, "champion alias points at the best version", (double)champion, "==", (double)version, "");
    finish(0);
    return 0;
}
