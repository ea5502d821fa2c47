/*
 * Fuzz target: the MLflow tracking area's readers of untrusted text
 * (lib/api/mlflow.c).
 *
 * 1. Server answers read as an experiment, a run, a metric and an artifact
 *    entry, through every accessor (by index past the end too, by key).
 * 2. The key rule (MLflow's name check) on the same bytes.
 *
 * Oracles: string accessors never return NULL where the header promises a
 * string; by-index accessors return NULL exactly past the count; the run
 * status enum agrees with the raw text; a key the rule accepts is 1..250
 * bytes, does not start with '/' or "..", and has no empty, "." or ".."
 * component.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/mlflow_internal.h"
#include "dbx/mlflow.h"
#include "fuzz.h"

static void must(int cond)
{
    if (!cond)
        abort();
}

static void read_experiment(const dbx_mlflow_experiment *e)
{
    must(dbx_mlflow_experiment_id(e) && dbx_mlflow_experiment_name(e));
    must(dbx_mlflow_experiment_artifact_location(e) && dbx_mlflow_experiment_lifecycle_stage(e));
    (void)(dbx_mlflow_experiment_creation_time(e) ^ dbx_mlflow_experiment_last_update_time(e));
    size_t n = dbx_mlflow_experiment_tag_count(e);
    for (size_t i = 0; i < n && i < 64; i++)
        must(dbx_mlflow_experiment_tag_key(e, i) && dbx_mlflow_experiment_tag_value(e, i));
    must(dbx_mlflow_experiment_tag_key(e, n) == NULL);
    (void)dbx_mlflow_experiment_tag(e, "k");
    (void)dbx_mlflow_experiment_json(e);
}

static void read_run(const dbx_mlflow_run *r)
{
    must(dbx_mlflow_run_id(r) && dbx_mlflow_run_name(r) && dbx_mlflow_run_experiment_id(r));
    must(dbx_mlflow_run_user_id(r) && dbx_mlflow_run_artifact_uri(r) && dbx_mlflow_run_lifecycle_stage(r));
    const char *raw = dbx_mlflow_run_status_str(r);
    must(raw != NULL);
    dbx_mlflow_run_status_t s = dbx_mlflow_run_status(r);
    must(s == DBX_MLFLOW_RUN_STATUS_UNKNOWN || strcmp(dbx_mlflow_run_status_name(s), raw) == 0);
    (void)(dbx_mlflow_run_start_time(r) ^ dbx_mlflow_run_end_time(r));
    size_t n = dbx_mlflow_run_metric_count(r);
    for (size_t i = 0; i < n && i < 64; i++) {
        must(dbx_mlflow_run_metric_key(r, i) != NULL);
        (void)dbx_mlflow_run_metric_value(r, i);
        (void)(dbx_mlflow_run_metric_timestamp(r, i) ^ dbx_mlflow_run_metric_step(r, i));
    }
    must(dbx_mlflow_run_metric_key(r, n) == NULL);
    double v;
    (void)dbx_mlflow_run_metric(r, "m", &v);
    n = dbx_mlflow_run_param_count(r);
    for (size_t i = 0; i < n && i < 64; i++)
        must(dbx_mlflow_run_param_key(r, i) && dbx_mlflow_run_param_value(r, i));
    must(dbx_mlflow_run_param_key(r, n) == NULL);
    (void)dbx_mlflow_run_param(r, "p");
    n = dbx_mlflow_run_tag_count(r);
    for (size_t i = 0; i < n && i < 64; i++)
        must(dbx_mlflow_run_tag_key(r, i) && dbx_mlflow_run_tag_value(r, i));
    must(dbx_mlflow_run_tag_value(r, n) == NULL);
    (void)dbx_mlflow_run_tag(r, "mlflow.user");
    n = dbx_mlflow_run_dataset_count(r);
    for (size_t i = 0; i < n && i < 64; i++)
        must(dbx_mlflow_run_dataset_name(r, i) && dbx_mlflow_run_dataset_digest(r, i));
    must(dbx_mlflow_run_dataset_name(r, n) == NULL);
    (void)dbx_mlflow_run_inputs_json(r);
    (void)dbx_mlflow_run_json(r);
}

static int rel_ok(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > 250 || k[0] == '/' || strncmp(k, "..", 2) == 0)
        return 0;
    for (const char *q = k;;) {
        size_t l = strcspn(q, "/");
        if (l == 0 || (l == 1 && q[0] == '.') || (l == 2 && q[0] == '.' && q[1] == '.'))
            return 0;
        if (!q[l])
            return 1;
        q += l + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    dbx_mlflow_experiment *e = dbx__mlflow_result_from_text(0, text, size);
    if (e)
        read_experiment(e);
    dbx_mlflow_experiment_free(e);
    dbx_mlflow_run *r = dbx__mlflow_result_from_text(1, text, size);
    if (r)
        read_run(r);
    dbx_mlflow_run_free(r);
    dbx_mlflow_metric *m = dbx__mlflow_result_from_text(2, text, size);
    if (m) {
        must(dbx_mlflow_metric_key(m) != NULL);
        (void)dbx_mlflow_metric_value(m);
        (void)(dbx_mlflow_metric_timestamp(m) ^ dbx_mlflow_metric_step(m));
        (void)dbx_mlflow_metric_json(m);
    }
    dbx_mlflow_artifact *a = dbx__mlflow_result_from_text(3, text, size);
    if (a) {
        must(dbx_mlflow_artifact_path(a) != NULL);
        int64_t s = dbx_mlflow_artifact_file_size(a);
        must(!dbx_mlflow_artifact_is_dir(a) || s == -1);
        (void)dbx_mlflow_artifact_json(a);
    }
    /* metrics and entries are plain views */
    dbx__view_free(m);
    dbx__view_free(a);
    if (!dbx__mlflow_name_problem(text))
        must(rel_ok(text));
    free(text);
    return 0;
}
