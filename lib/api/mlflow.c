/* libdbx: MLflow tracking (first commit: the internal call; the API follows). */
#include <string.h>

#include "dbx/mlflow.h"
#include "mlflow_internal.h"

dbx_status dbx__mlflow_call_text(dbx_client *c, const char *method, const char *path, const char *body,
                                 size_t body_len, int flags, dbx__jdoc *out)
{
    return dbx__api_call_text_retry(c, method, path, body, body_len, flags, &c->mlflow_retry, out);
}

dbx_status dbx__mlflow_call(dbx_client *c, const char *method, const char *path, const json_t *body, int flags,
                            dbx__jdoc *out)
{
    return dbx__api_call_retry(c, method, path, body, flags, &c->mlflow_retry, out);
}

const dbx__retry_policy *dbx__mlflow_retry_policy(const dbx_client *c) { return &c->mlflow_retry; }

DBX_API const char * dbx_mlflow_run_status_name(dbx_mlflow_run_status_t status)
{
    (void)status;
    return NULL;
}

DBX_API void dbx_mlflow_experiment_free(dbx_mlflow_experiment *e)
{
    (void)e;

}

DBX_API const char * dbx_mlflow_experiment_id(const dbx_mlflow_experiment *e)
{
    (void)e;
    return NULL;
}

DBX_API const char * dbx_mlflow_experiment_name(const dbx_mlflow_experiment *e)
{
    (void)e;
    return NULL;
}

DBX_API const char * dbx_mlflow_experiment_artifact_location(const dbx_mlflow_experiment *e)
{
    (void)e;
    return NULL;
}

DBX_API const char * dbx_mlflow_experiment_lifecycle_stage(const dbx_mlflow_experiment *e)
{
    (void)e;
    return NULL;
}

DBX_API int64_t dbx_mlflow_experiment_creation_time(const dbx_mlflow_experiment *e)
{
    (void)e;
    return 0;
}

DBX_API int64_t dbx_mlflow_experiment_last_update_time(const dbx_mlflow_experiment *e)
{
    (void)e;
    return 0;
}

DBX_API size_t dbx_mlflow_experiment_tag_count(const dbx_mlflow_experiment *e)
{
    (void)e;
    return 0;
}

DBX_API const char * dbx_mlflow_experiment_tag_key(const dbx_mlflow_experiment *e, size_t i)
{
    (void)e;
    (void)i;
    return NULL;
}

DBX_API const char * dbx_mlflow_experiment_tag_value(const dbx_mlflow_experiment *e, size_t i)
{
    (void)e;
    (void)i;
    return NULL;
}

DBX_API const char * dbx_mlflow_experiment_tag(const dbx_mlflow_experiment *e, const char *key)
{
    (void)e;
    (void)key;
    return NULL;
}

DBX_API const char * dbx_mlflow_experiment_json(const dbx_mlflow_experiment *e)
{
    (void)e;
    return NULL;
}

DBX_API dbx_status dbx_mlflow_experiment_create(char **experiment_id, dbx_client *c, const char *name, const char *artifact_location, const dbx_mlflow_tag *tags, size_t n_tags)
{
    (void)experiment_id;
    (void)c;
    (void)name;
    (void)artifact_location;
    (void)tags;
    (void)n_tags;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_experiment_create: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_experiment_get(dbx_mlflow_experiment **out, dbx_client *c, const char *experiment_id)
{
    (void)out;
    (void)c;
    (void)experiment_id;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_experiment_get: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_experiment_get_by_name(dbx_mlflow_experiment **out, dbx_client *c, const char *name)
{
    (void)out;
    (void)c;
    (void)name;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_experiment_get_by_name: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_experiment_update(dbx_client *c, const char *experiment_id, const char *new_name)
{
    (void)c;
    (void)experiment_id;
    (void)new_name;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_experiment_update: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_experiment_delete(dbx_client *c, const char *experiment_id)
{
    (void)c;
    (void)experiment_id;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_experiment_delete: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_experiment_restore(dbx_client *c, const char *experiment_id)
{
    (void)c;
    (void)experiment_id;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_experiment_restore: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_experiment_set_tag(dbx_client *c, const char *experiment_id, const char *key, const char *value)
{
    (void)c;
    (void)experiment_id;
    (void)key;
    (void)value;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_experiment_set_tag: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_experiment_delete_tag(dbx_client *c, const char *experiment_id, const char *key)
{
    (void)c;
    (void)experiment_id;
    (void)key;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_experiment_delete_tag: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_experiments_search(dbx_mlflow_experiments_iter **out, dbx_client *c, const dbx_mlflow_search_options *opts)
{
    (void)out;
    (void)c;
    (void)opts;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_experiments_search: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_experiments_iter_next(const dbx_mlflow_experiment **item, dbx_mlflow_experiments_iter *it)
{
    (void)item;
    (void)it;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_experiments_iter_next: not implemented yet");
}

DBX_API void dbx_mlflow_experiments_iter_free(dbx_mlflow_experiments_iter *it)
{
    (void)it;

}

DBX_API void dbx_mlflow_run_free(dbx_mlflow_run *r)
{
    (void)r;

}

DBX_API const char * dbx_mlflow_run_id(const dbx_mlflow_run *r)
{
    (void)r;
    return NULL;
}

DBX_API const char * dbx_mlflow_run_name(const dbx_mlflow_run *r)
{
    (void)r;
    return NULL;
}

DBX_API const char * dbx_mlflow_run_experiment_id(const dbx_mlflow_run *r)
{
    (void)r;
    return NULL;
}

DBX_API const char * dbx_mlflow_run_user_id(const dbx_mlflow_run *r)
{
    (void)r;
    return NULL;
}

DBX_API dbx_mlflow_run_status_t dbx_mlflow_run_status(const dbx_mlflow_run *r)
{
    (void)r;
    return 0;
}

DBX_API const char * dbx_mlflow_run_status_str(const dbx_mlflow_run *r)
{
    (void)r;
    return NULL;
}

DBX_API int64_t dbx_mlflow_run_start_time(const dbx_mlflow_run *r)
{
    (void)r;
    return 0;
}

DBX_API int64_t dbx_mlflow_run_end_time(const dbx_mlflow_run *r)
{
    (void)r;
    return 0;
}

DBX_API const char * dbx_mlflow_run_artifact_uri(const dbx_mlflow_run *r)
{
    (void)r;
    return NULL;
}

DBX_API const char * dbx_mlflow_run_lifecycle_stage(const dbx_mlflow_run *r)
{
    (void)r;
    return NULL;
}

DBX_API size_t dbx_mlflow_run_metric_count(const dbx_mlflow_run *r)
{
    (void)r;
    return 0;
}

DBX_API const char * dbx_mlflow_run_metric_key(const dbx_mlflow_run *r, size_t i)
{
    (void)r;
    (void)i;
    return NULL;
}

DBX_API double dbx_mlflow_run_metric_value(const dbx_mlflow_run *r, size_t i)
{
    (void)r;
    (void)i;
    return 0.0;
}

DBX_API int64_t dbx_mlflow_run_metric_timestamp(const dbx_mlflow_run *r, size_t i)
{
    (void)r;
    (void)i;
    return 0;
}

DBX_API int64_t dbx_mlflow_run_metric_step(const dbx_mlflow_run *r, size_t i)
{
    (void)r;
    (void)i;
    return 0;
}

DBX_API int dbx_mlflow_run_metric(const dbx_mlflow_run *r, const char *key, double *value)
{
    (void)r;
    (void)key;
    (void)value;
    return 0;
}

DBX_API size_t dbx_mlflow_run_param_count(const dbx_mlflow_run *r)
{
    (void)r;
    return 0;
}

DBX_API const char * dbx_mlflow_run_param_key(const dbx_mlflow_run *r, size_t i)
{
    (void)r;
    (void)i;
    return NULL;
}

DBX_API const char * dbx_mlflow_run_param_value(const dbx_mlflow_run *r, size_t i)
{
    (void)r;
    (void)i;
    return NULL;
}

DBX_API const char * dbx_mlflow_run_param(const dbx_mlflow_run *r, const char *key)
{
    (void)r;
    (void)key;
    return NULL;
}

DBX_API size_t dbx_mlflow_run_tag_count(const dbx_mlflow_run *r)
{
    (void)r;
    return 0;
}

DBX_API const char * dbx_mlflow_run_tag_key(const dbx_mlflow_run *r, size_t i)
{
    (void)r;
    (void)i;
    return NULL;
}

DBX_API const char * dbx_mlflow_run_tag_value(const dbx_mlflow_run *r, size_t i)
{
    (void)r;
    (void)i;
    return NULL;
}

DBX_API const char * dbx_mlflow_run_tag(const dbx_mlflow_run *r, const char *key)
{
    (void)r;
    (void)key;
    return NULL;
}

DBX_API size_t dbx_mlflow_run_dataset_count(const dbx_mlflow_run *r)
{
    (void)r;
    return 0;
}

DBX_API const char * dbx_mlflow_run_dataset_name(const dbx_mlflow_run *r, size_t i)
{
    (void)r;
    (void)i;
    return NULL;
}

DBX_API const char * dbx_mlflow_run_dataset_digest(const dbx_mlflow_run *r, size_t i)
{
    (void)r;
    (void)i;
    return NULL;
}

DBX_API const char * dbx_mlflow_run_inputs_json(const dbx_mlflow_run *r)
{
    (void)r;
    return NULL;
}

DBX_API const char * dbx_mlflow_run_json(const dbx_mlflow_run *r)
{
    (void)r;
    return NULL;
}

DBX_API dbx_status dbx_mlflow_run_create(dbx_mlflow_run **out, dbx_client *c, const char *experiment_id, const dbx_mlflow_run_create_options *opts)
{
    (void)out;
    (void)c;
    (void)experiment_id;
    (void)opts;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_run_create: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_run_get(dbx_mlflow_run **out, dbx_client *c, const char *run_id)
{
    (void)out;
    (void)c;
    (void)run_id;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_run_get: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_run_update(dbx_client *c, const char *run_id, dbx_mlflow_run_status_t status, int64_t end_time, const char *run_name)
{
    (void)c;
    (void)run_id;
    (void)status;
    (void)end_time;
    (void)run_name;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_run_update: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_run_delete(dbx_client *c, const char *run_id)
{
    (void)c;
    (void)run_id;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_run_delete: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_run_restore(dbx_client *c, const char *run_id)
{
    (void)c;
    (void)run_id;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_run_restore: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_run_set_tag(dbx_client *c, const char *run_id, const char *key, const char *value)
{
    (void)c;
    (void)run_id;
    (void)key;
    (void)value;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_run_set_tag: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_run_delete_tag(dbx_client *c, const char *run_id, const char *key)
{
    (void)c;
    (void)run_id;
    (void)key;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_run_delete_tag: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_run_log_param(dbx_client *c, const char *run_id, const char *key, const char *value)
{
    (void)c;
    (void)run_id;
    (void)key;
    (void)value;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_run_log_param: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_run_log_metric(dbx_client *c, const char *run_id, const char *key, double value, int64_t timestamp, int64_t step)
{
    (void)c;
    (void)run_id;
    (void)key;
    (void)value;
    (void)timestamp;
    (void)step;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_run_log_metric: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_run_log_batch(dbx_client *c, const char *run_id, const dbx_mlflow_metric_point *metrics, size_t n_metrics, const dbx_mlflow_tag *params, size_t n_params, const dbx_mlflow_tag *tags, size_t n_tags)
{
    (void)c;
    (void)run_id;
    (void)metrics;
    (void)n_metrics;
    (void)params;
    (void)n_params;
    (void)tags;
    (void)n_tags;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_run_log_batch: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_run_log_inputs(dbx_client *c, const char *run_id, const dbx_mlflow_dataset_input *datasets, size_t n_datasets)
{
    (void)c;
    (void)run_id;
    (void)datasets;
    (void)n_datasets;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_run_log_inputs: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_runs_search(dbx_mlflow_runs_iter **out, dbx_client *c, const char *const *experiment_ids, const dbx_mlflow_search_options *opts)
{
    (void)out;
    (void)c;
    (void)experiment_ids;
    (void)opts;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_runs_search: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_runs_iter_next(const dbx_mlflow_run **item, dbx_mlflow_runs_iter *it)
{
    (void)item;
    (void)it;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_runs_iter_next: not implemented yet");
}

DBX_API void dbx_mlflow_runs_iter_free(dbx_mlflow_runs_iter *it)
{
    (void)it;

}

DBX_API const char * dbx_mlflow_metric_key(const dbx_mlflow_metric *m)
{
    (void)m;
    return NULL;
}

DBX_API double dbx_mlflow_metric_value(const dbx_mlflow_metric *m)
{
    (void)m;
    return 0.0;
}

DBX_API int64_t dbx_mlflow_metric_timestamp(const dbx_mlflow_metric *m)
{
    (void)m;
    return 0;
}

DBX_API int64_t dbx_mlflow_metric_step(const dbx_mlflow_metric *m)
{
    (void)m;
    return 0;
}

DBX_API const char * dbx_mlflow_metric_json(const dbx_mlflow_metric *m)
{
    (void)m;
    return NULL;
}

DBX_API dbx_status dbx_mlflow_metric_history(dbx_mlflow_metrics_iter **out, dbx_client *c, const char *run_id, const char *metric_key, int page_size, long max_items)
{
    (void)out;
    (void)c;
    (void)run_id;
    (void)metric_key;
    (void)page_size;
    (void)max_items;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_metric_history: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_metrics_iter_next(const dbx_mlflow_metric **item, dbx_mlflow_metrics_iter *it)
{
    (void)item;
    (void)it;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_metrics_iter_next: not implemented yet");
}

DBX_API void dbx_mlflow_metrics_iter_free(dbx_mlflow_metrics_iter *it)
{
    (void)it;

}

DBX_API dbx_status dbx_mlflow_logger_new(dbx_mlflow_logger **out, dbx_client *c, const char *run_id, const dbx_mlflow_logger_options *opts)
{
    (void)out;
    (void)c;
    (void)run_id;
    (void)opts;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_logger_new: not implemented yet");
}

DBX_API void dbx_mlflow_logger_free(dbx_mlflow_logger *lg)
{
    (void)lg;

}

DBX_API dbx_status dbx_mlflow_logger_add_metric(dbx_mlflow_logger *lg, const char *key, double value, int64_t timestamp, int64_t step)
{
    (void)lg;
    (void)key;
    (void)value;
    (void)timestamp;
    (void)step;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_logger_add_metric: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_logger_add_param(dbx_mlflow_logger *lg, const char *key, const char *value)
{
    (void)lg;
    (void)key;
    (void)value;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_logger_add_param: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_logger_add_tag(dbx_mlflow_logger *lg, const char *key, const char *value)
{
    (void)lg;
    (void)key;
    (void)value;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_logger_add_tag: not implemented yet");
}

DBX_API size_t dbx_mlflow_logger_pending(const dbx_mlflow_logger *lg)
{
    (void)lg;
    return 0;
}

DBX_API dbx_status dbx_mlflow_logger_flush(dbx_mlflow_logger *lg)
{
    (void)lg;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_logger_flush: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_logger_last_failure(const dbx_mlflow_logger *lg, size_t *first, size_t *count)
{
    (void)lg;
    (void)first;
    (void)count;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_logger_last_failure: not implemented yet");
}

DBX_API uint64_t dbx_mlflow_logger_requests(const dbx_mlflow_logger *lg)
{
    (void)lg;
    return 0;
}

DBX_API const char * dbx_mlflow_artifact_path(const dbx_mlflow_artifact *a)
{
    (void)a;
    return NULL;
}

DBX_API int dbx_mlflow_artifact_is_dir(const dbx_mlflow_artifact *a)
{
    (void)a;
    return 0;
}

DBX_API int64_t dbx_mlflow_artifact_file_size(const dbx_mlflow_artifact *a)
{
    (void)a;
    return 0;
}

DBX_API const char * dbx_mlflow_artifact_json(const dbx_mlflow_artifact *a)
{
    (void)a;
    return NULL;
}

DBX_API dbx_status dbx_mlflow_artifacts_list(dbx_mlflow_artifacts_iter **out, dbx_client *c, const char *run_id, const char *path)
{
    (void)out;
    (void)c;
    (void)run_id;
    (void)path;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_artifacts_list: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_artifacts_iter_next(const dbx_mlflow_artifact **item, dbx_mlflow_artifacts_iter *it)
{
    (void)item;
    (void)it;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_artifacts_iter_next: not implemented yet");
}

DBX_API void dbx_mlflow_artifacts_iter_free(dbx_mlflow_artifacts_iter *it)
{
    (void)it;

}

DBX_API dbx_status dbx_mlflow_artifact_upload(dbx_client *c, const char *run_id, const char *artifact_path, const dbx_source *src)
{
    (void)c;
    (void)run_id;
    (void)artifact_path;
    (void)src;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_artifact_upload: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_artifact_upload_file(dbx_client *c, const char *run_id, const char *artifact_path, const char *local_path)
{
    (void)c;
    (void)run_id;
    (void)artifact_path;
    (void)local_path;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_artifact_upload_file: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_artifact_upload_dir(dbx_client *c, const char *run_id, const char *artifact_dir, const char *local_dir)
{
    (void)c;
    (void)run_id;
    (void)artifact_dir;
    (void)local_dir;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_artifact_upload_dir: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_artifact_download(dbx_client *c, const char *run_id, const char *artifact_path, dbx_sink_fn sink, void *payload)
{
    (void)c;
    (void)run_id;
    (void)artifact_path;
    (void)sink;
    (void)payload;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_artifact_download: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_artifact_download_file(dbx_client *c, const char *run_id, const char *artifact_path, const char *local_path)
{
    (void)c;
    (void)run_id;
    (void)artifact_path;
    (void)local_path;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_artifact_download_file: not implemented yet");
}

DBX_API dbx_status dbx_mlflow_artifact_download_dir(dbx_client *c, const char *run_id, const char *artifact_dir, const char *local_dir)
{
    (void)c;
    (void)run_id;
    (void)artifact_dir;
    (void)local_dir;
    return dbx__fail(NULL, DBX_ENOTIMPLEMENTED, "dbx_mlflow_artifact_download_dir: not implemented yet");
}
