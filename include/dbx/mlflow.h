/*
 * libdbx - MLflow tracking (/api/2.0/mlflow/ *): experiments, runs,
 * metrics/params/tags, a logging buffer that batches them, and run
 * artifacts.
 *
 * Names: every function is dbx_mlflow_* (the Jobs API owns dbx_run_*).
 *
 * Retries: every MLflow call uses the MLflow retry policy of the client
 * (client options mlflow_retry_timeout_ms, default 15 min;
 * mlflow_retry_initial_delay_ms, default 2 s; mlflow_retry_max_delay_ms,
 * default 60 s): MLflow endpoints are rate-limited per workspace (7 qps for
 * experiment management and runs/search, 47 qps for log-batch), so a 429 is
 * waited out longer than elsewhere. Each 429 logs a WARN line and calls the
 * throttle callback (dbx_client_options_set_throttle).
 *
 * Local checks (before any I/O, DBX_EINVAL naming the argument), using the
 * smaller limit where MLflow OSS and Databricks differ:
 *   metric / param / tag keys: 1..250 bytes, characters [A-Za-z0-9_.- /]
 *     (MLflow's name rule), not "." and not starting with ".." or "/";
 *   param values <= 500 bytes; run tag values <= 5000 bytes;
 *   experiment tag keys <= 250, values <= 5000 bytes;
 *   experiment names <= 500 bytes;
 *   metric timestamps >= 0; metric values finite, NaN or +-Infinity.
 *
 * Thread-safety: functions taking a dbx_client may be called from any
 * thread. Results (experiments, runs, metrics, artifact entries) are
 * immutable and may be read from many threads. Iterators and loggers are
 * used by one thread at a time.
 *
 * Ownership: results are caller-owned and freed with their _free (NULL is a
 * no-op); strings returned by accessors are borrowed from the result, ""
 * when absent, never NULL; *out is NULL on failure.
 *
 * Errors common to every call: DBX_EINVAL (bad argument, before any I/O),
 * DBX_ENOTFOUND (unknown experiment or run: RESOURCE_DOES_NOT_EXIST),
 * DBX_EEXISTS (an experiment name taken), DBX_EINVALIDPARAM (the server
 * refused a value: a param logged again with another value, a write to a
 * deleted run, a limit), DBX_ERATELIMITED (429s beyond the MLflow retry
 * budget), DBX_ENOMEM, DBX_ETRANSPORT, DBX_ETIMEOUT, DBX_EBADRESPONSE, and
 * the other HTTP-derived codes of errors.h.
 */
#ifndef DBX_MLFLOW_H
#define DBX_MLFLOW_H

#include "common.h"
#include "errors.h"

DBX_BEGIN_DECL

/* ------------------------------------------------------------------ */
/* Limits (checked locally, before any I/O)                             */

#define DBX_MLFLOW_MAX_KEY_LEN 250          /**< metric, param and tag keys (bytes) */
#define DBX_MLFLOW_MAX_PARAM_VALUE_LEN 500  /**< param values (Databricks doc; MLflow 2.4) */
#define DBX_MLFLOW_MAX_TAG_VALUE_LEN 5000   /**< run and experiment tag values */
#define DBX_MLFLOW_MAX_EXPERIMENT_NAME_LEN 500
#define DBX_MLFLOW_BATCH_MAX_METRICS 1000   /**< per log-batch request */
#define DBX_MLFLOW_BATCH_MAX_PARAMS 100
#define DBX_MLFLOW_BATCH_MAX_TAGS 100
#define DBX_MLFLOW_BATCH_MAX_ENTITIES 1000  /**< metrics + params + tags */
#define DBX_MLFLOW_BATCH_MAX_BYTES 1000000  /**< serialised JSON request */

/* ------------------------------------------------------------------ */
/* Inputs                                                               */

/** A key/value pair (tags, params). Both borrowed for the call. */
typedef struct dbx_mlflow_tag {
    const char *key;
    const char *value;
} dbx_mlflow_tag;

/** A metric to log. `key` borrowed for the call. */
typedef struct dbx_mlflow_metric_point {
    const char *key;
    double value;      /**< NaN and +-Infinity are sent as "NaN", "Infinity", "-Infinity" */
    int64_t timestamp; /**< epoch ms, >= 0 */
    int64_t step;
} dbx_mlflow_metric_point;

/** A dataset input of runs/log-inputs. Strings borrowed for the call. */
typedef struct dbx_mlflow_dataset_input {
    const char *name;        /**< required, <= 500 bytes */
    const char *digest;      /**< required, <= 36 bytes */
    const char *source_type; /**< required ("local", "delta_table", "code", ...) */
    const char *source;      /**< required (JSON text describing the source, as MLflow writes it) */
    const char *schema;      /**< optional (JSON text) */
    const char *profile;     /**< optional (JSON text) */
    const dbx_mlflow_tag *tags; /**< input tags ("mlflow.data.context" = "training"), or NULL */
    size_t n_tags;              /**< keys <= 255, values <= 500 bytes */
} dbx_mlflow_dataset_input;

/** ViewType of searches. */
typedef enum dbx_mlflow_view_type {
    DBX_MLFLOW_VIEW_DEFAULT = 0,      /**< not sent: the server's default (ACTIVE_ONLY) */
    DBX_MLFLOW_VIEW_ACTIVE_ONLY = 1,
    DBX_MLFLOW_VIEW_DELETED_ONLY = 2,
    DBX_MLFLOW_VIEW_ALL = 3
} dbx_mlflow_view_type_t;

/** RunStatus. Values the server adds later map to _UNKNOWN; the raw text
 *  stays available from dbx_mlflow_run_status_str(). */
typedef enum dbx_mlflow_run_status {
    DBX_MLFLOW_RUN_STATUS_UNKNOWN = 0,
    DBX_MLFLOW_RUN_STATUS_RUNNING = 1,
    DBX_MLFLOW_RUN_STATUS_SCHEDULED = 2,
    DBX_MLFLOW_RUN_STATUS_FINISHED = 3,
    DBX_MLFLOW_RUN_STATUS_FAILED = 4,
    DBX_MLFLOW_RUN_STATUS_KILLED = 5
} dbx_mlflow_run_status_t;

/** Server spelling ("FINISHED"); "UNKNOWN" for out-of-range values. Static. */
DBX_API const char *dbx_mlflow_run_status_name(dbx_mlflow_run_status_t status);

/* ------------------------------------------------------------------ */
/* Experiments                                                          */

/** An Experiment. Immutable. */
typedef struct dbx_mlflow_experiment dbx_mlflow_experiment;

DBX_API void dbx_mlflow_experiment_free(dbx_mlflow_experiment *e);
DBX_API const char *dbx_mlflow_experiment_id(const dbx_mlflow_experiment *e);
DBX_API const char *dbx_mlflow_experiment_name(const dbx_mlflow_experiment *e);
DBX_API const char *dbx_mlflow_experiment_artifact_location(const dbx_mlflow_experiment *e);
/** "active" or "deleted". */
DBX_API const char *dbx_mlflow_experiment_lifecycle_stage(const dbx_mlflow_experiment *e);
/** Epoch ms; 0 when absent. */
DBX_API int64_t dbx_mlflow_experiment_creation_time(const dbx_mlflow_experiment *e);
DBX_API int64_t dbx_mlflow_experiment_last_update_time(const dbx_mlflow_experiment *e);
/** Number of tags; key and value of tag i (NULL when out of range). */
DBX_API size_t dbx_mlflow_experiment_tag_count(const dbx_mlflow_experiment *e);
DBX_API const char *dbx_mlflow_experiment_tag_key(const dbx_mlflow_experiment *e, size_t i);
DBX_API const char *dbx_mlflow_experiment_tag_value(const dbx_mlflow_experiment *e, size_t i);
/** Value of the tag `key`, or NULL when absent. */
DBX_API const char *dbx_mlflow_experiment_tag(const dbx_mlflow_experiment *e, const char *key);
/** The whole Experiment object as compact JSON. Borrowed. */
DBX_API const char *dbx_mlflow_experiment_json(const dbx_mlflow_experiment *e);

/**
 * Create an experiment (POST experiments/create). `name` is required: on
 * Databricks an absolute workspace path ("/Users/me@x.com/fraud").
 * `artifact_location` may be NULL (the server's default,
 * dbfs:/databricks/mlflow-tracking/<id>; a UC volume "dbfs:/Volumes/c/s/v/dir"
 * keeps run artifacts there). `tags` may be NULL when n_tags is 0.
 * Ownership: *experiment_id is caller-owned, freed with dbx_free().
 * Errors: DBX_EEXISTS when the name is taken (by an active or deleted
 * experiment), DBX_EINVALIDPARAM for a name the server refuses.
 */
DBX_API dbx_status dbx_mlflow_experiment_create(char **experiment_id, dbx_client *c, const char *name,
                                                const char *artifact_location, const dbx_mlflow_tag *tags,
                                                size_t n_tags);

/** Get an experiment, deleted ones too (GET experiments/get). Caller frees *out. */
DBX_API dbx_status dbx_mlflow_experiment_get(dbx_mlflow_experiment **out, dbx_client *c,
                                             const char *experiment_id);

/** Get an experiment by name (GET experiments/get-by-name; an active one is
 *  preferred over a deleted one). Caller frees *out. Unknown: DBX_ENOTFOUND. */
DBX_API dbx_status dbx_mlflow_experiment_get_by_name(dbx_mlflow_experiment **out, dbx_client *c,
                                                     const char *name);

/** Rename an experiment (POST experiments/update). */
DBX_API dbx_status dbx_mlflow_experiment_update(dbx_client *c, const char *experiment_id,
                                                const char *new_name);

/** Soft-delete an experiment and its runs (POST experiments/delete). */
DBX_API dbx_status dbx_mlflow_experiment_delete(dbx_client *c, const char *experiment_id);

/** Restore a deleted experiment (POST experiments/restore). */
DBX_API dbx_status dbx_mlflow_experiment_restore(dbx_client *c, const char *experiment_id);

/** Set (overwrite) an experiment tag (POST experiments/set-experiment-tag). */
DBX_API dbx_status dbx_mlflow_experiment_set_tag(dbx_client *c, const char *experiment_id, const char *key,
                                                 const char *value);

/** Delete an experiment tag (POST experiments/delete-experiment-tag). */
DBX_API dbx_status dbx_mlflow_experiment_delete_tag(dbx_client *c, const char *experiment_id,
                                                    const char *key);

typedef struct dbx_mlflow_search_options {
    unsigned int version;           /**< DBX_MLFLOW_SEARCH_OPTIONS_VERSION */
    const char *filter;             /**< e.g. "name LIKE '/Shared/%'", "metrics.rmse < 1"; NULL: none */
    const char *const *order_by;    /**< NULL-terminated ("metrics.rmse DESC"), or NULL */
    dbx_mlflow_view_type_t view_type; /**< view_type / run_view_type; 0: not sent */
    int page_size;                  /**< max_results per request; 0: the server's default */
    long max_items;                 /**< stop after this many; 0: all */
} dbx_mlflow_search_options;

#define DBX_MLFLOW_SEARCH_OPTIONS_VERSION 1
#define DBX_MLFLOW_SEARCH_OPTIONS_INIT {DBX_MLFLOW_SEARCH_OPTIONS_VERSION, NULL, NULL, DBX_MLFLOW_VIEW_DEFAULT, 0, 0}

typedef struct dbx_mlflow_experiments_iter dbx_mlflow_experiments_iter;

/**
 * Search experiments (POST experiments/search, following next_page_token).
 * No request is made until the first _next. `opts` may be NULL. The
 * iterator holds a reference on the client and one page in memory.
 * Caller frees with dbx_mlflow_experiments_iter_free().
 */
DBX_API dbx_status dbx_mlflow_experiments_search(dbx_mlflow_experiments_iter **out, dbx_client *c,
                                                 const dbx_mlflow_search_options *opts);
/** Next experiment: DBX_OK with *item (borrowed until the next call), DBX_DONE,
 *  or an error (calling again retries the same page). */
DBX_API dbx_status dbx_mlflow_experiments_iter_next(const dbx_mlflow_experiment **item,
                                                    dbx_mlflow_experiments_iter *it);
DBX_API void dbx_mlflow_experiments_iter_free(dbx_mlflow_experiments_iter *it);

/* ------------------------------------------------------------------ */
/* Runs                                                                 */

/** A Run (info, data, inputs). Immutable. */
typedef struct dbx_mlflow_run dbx_mlflow_run;

DBX_API void dbx_mlflow_run_free(dbx_mlflow_run *r);
/* info */
DBX_API const char *dbx_mlflow_run_id(const dbx_mlflow_run *r);
DBX_API const char *dbx_mlflow_run_name(const dbx_mlflow_run *r);
DBX_API const char *dbx_mlflow_run_experiment_id(const dbx_mlflow_run *r);
DBX_API const char *dbx_mlflow_run_user_id(const dbx_mlflow_run *r);
DBX_API dbx_mlflow_run_status_t dbx_mlflow_run_status(const dbx_mlflow_run *r);
/** Raw status text ("RUNNING", or a value this library does not know). */
DBX_API const char *dbx_mlflow_run_status_str(const dbx_mlflow_run *r);
/** Epoch ms; 0 when absent (end_time is absent while running). */
DBX_API int64_t dbx_mlflow_run_start_time(const dbx_mlflow_run *r);
DBX_API int64_t dbx_mlflow_run_end_time(const dbx_mlflow_run *r);
/** "dbfs:/databricks/mlflow-tracking/<exp>/<run>/artifacts" or a UC volume URI. */
DBX_API const char *dbx_mlflow_run_artifact_uri(const dbx_mlflow_run *r);
/** "active" or "deleted". */
DBX_API const char *dbx_mlflow_run_lifecycle_stage(const dbx_mlflow_run *r);
/* data: metrics (the latest value per key, as runs/get shows them) */
DBX_API size_t dbx_mlflow_run_metric_count(const dbx_mlflow_run *r);
/** Metric i: key (NULL when out of range), value, timestamp, step (0 when out of range). */
DBX_API const char *dbx_mlflow_run_metric_key(const dbx_mlflow_run *r, size_t i);
DBX_API double dbx_mlflow_run_metric_value(const dbx_mlflow_run *r, size_t i);
DBX_API int64_t dbx_mlflow_run_metric_timestamp(const dbx_mlflow_run *r, size_t i);
DBX_API int64_t dbx_mlflow_run_metric_step(const dbx_mlflow_run *r, size_t i);
/** The metric `key`: 1 with *value set when present, 0 when absent. `value` may be NULL. */
DBX_API int dbx_mlflow_run_metric(const dbx_mlflow_run *r, const char *key, double *value);
/* data: params and tags */
DBX_API size_t dbx_mlflow_run_param_count(const dbx_mlflow_run *r);
DBX_API const char *dbx_mlflow_run_param_key(const dbx_mlflow_run *r, size_t i);
DBX_API const char *dbx_mlflow_run_param_value(const dbx_mlflow_run *r, size_t i);
/** Value of the param `key`, or NULL when absent. */
DBX_API const char *dbx_mlflow_run_param(const dbx_mlflow_run *r, const char *key);
DBX_API size_t dbx_mlflow_run_tag_count(const dbx_mlflow_run *r);
DBX_API const char *dbx_mlflow_run_tag_key(const dbx_mlflow_run *r, size_t i);
DBX_API const char *dbx_mlflow_run_tag_value(const dbx_mlflow_run *r, size_t i);
/** Value of the tag `key` ("mlflow.user", "mlflow.runName", ...), or NULL when absent. */
DBX_API const char *dbx_mlflow_run_tag(const dbx_mlflow_run *r, const char *key);
/* inputs */
/** Number of inputs.dataset_inputs; name and digest of dataset i (NULL when out of range). */
DBX_API size_t dbx_mlflow_run_dataset_count(const dbx_mlflow_run *r);
DBX_API const char *dbx_mlflow_run_dataset_name(const dbx_mlflow_run *r, size_t i);
DBX_API const char *dbx_mlflow_run_dataset_digest(const dbx_mlflow_run *r, size_t i);
/** The run's `inputs` object as JSON ("{}" when absent). Borrowed. */
DBX_API const char *dbx_mlflow_run_inputs_json(const dbx_mlflow_run *r);
/** The whole Run object as compact JSON. Borrowed. */
DBX_API const char *dbx_mlflow_run_json(const dbx_mlflow_run *r);

typedef struct dbx_mlflow_run_create_options {
    unsigned int version;       /**< DBX_MLFLOW_RUN_CREATE_OPTIONS_VERSION */
    const char *run_name;       /**< NULL: the server picks one */
    int64_t start_time;         /**< epoch ms; 0: now (the server's clock) */
    const dbx_mlflow_tag *tags; /**< or NULL */
    size_t n_tags;
} dbx_mlflow_run_create_options;

#define DBX_MLFLOW_RUN_CREATE_OPTIONS_VERSION 1
#define DBX_MLFLOW_RUN_CREATE_OPTIONS_INIT {DBX_MLFLOW_RUN_CREATE_OPTIONS_VERSION, NULL, 0, NULL, 0}

/**
 * Create a run in an experiment (POST runs/create): status RUNNING.
 * `opts` may be NULL. Caller frees *out with dbx_mlflow_run_free().
 * Not retried after a connection failure or a 500 (it could create two runs).
 */
DBX_API dbx_status dbx_mlflow_run_create(dbx_mlflow_run **out, dbx_client *c, const char *experiment_id,
                                         const dbx_mlflow_run_create_options *opts);

/** Get a run (GET runs/get). Caller frees *out. */
DBX_API dbx_status dbx_mlflow_run_get(dbx_mlflow_run **out, dbx_client *c, const char *run_id);

/**
 * Update a run (POST runs/update): `status` (DBX_MLFLOW_RUN_STATUS_UNKNOWN:
 * not sent), `end_time` (epoch ms; 0: not sent), `run_name` (NULL: not sent).
 */
DBX_API dbx_status dbx_mlflow_run_update(dbx_client *c, const char *run_id, dbx_mlflow_run_status_t status,
                                         int64_t end_time, const char *run_name);

/** Soft-delete a run (POST runs/delete). Later writes to it fail (DBX_EINVALIDPARAM). */
DBX_API dbx_status dbx_mlflow_run_delete(dbx_client *c, const char *run_id);
/** Restore a deleted run (POST runs/restore). */
DBX_API dbx_status dbx_mlflow_run_restore(dbx_client *c, const char *run_id);
/** Set (overwrite) a run tag (POST runs/set-tag). value <= 5000 bytes. */
DBX_API dbx_status dbx_mlflow_run_set_tag(dbx_client *c, const char *run_id, const char *key,
                                          const char *value);
/** Delete a run tag (POST runs/delete-tag). */
DBX_API dbx_status dbx_mlflow_run_delete_tag(dbx_client *c, const char *run_id, const char *key);
/** Log a param (POST runs/log-parameter). Params are write-once: the same
 *  value again is accepted, another value is DBX_EINVALIDPARAM. */
DBX_API dbx_status dbx_mlflow_run_log_param(dbx_client *c, const char *run_id, const char *key,
                                            const char *value);
/** Log one metric value (POST runs/log-metric). Metrics append. For many
 *  values use dbx_mlflow_run_log_batch or the logger below. */
DBX_API dbx_status dbx_mlflow_run_log_metric(dbx_client *c, const char *run_id, const char *key, double value,
                                             int64_t timestamp, int64_t step);
/**
 * Log metrics, params and tags in one request (POST runs/log-batch). Each
 * array may be NULL when its count is 0. The counts and the serialised
 * request must be within the DBX_MLFLOW_BATCH_* limits (checked locally,
 * DBX_EINVAL); a param key twice in one batch is DBX_EINVAL. The server may
 * apply part of a batch that fails.
 */
DBX_API dbx_status dbx_mlflow_run_log_batch(dbx_client *c, const char *run_id,
                                            const dbx_mlflow_metric_point *metrics, size_t n_metrics,
                                            const dbx_mlflow_tag *params, size_t n_params,
                                            const dbx_mlflow_tag *tags, size_t n_tags);
/** Log dataset inputs (POST runs/log-inputs). At least one; at most 1000. */
DBX_API dbx_status dbx_mlflow_run_log_inputs(dbx_client *c, const char *run_id,
                                             const dbx_mlflow_dataset_input *datasets, size_t n_datasets);

typedef struct dbx_mlflow_runs_iter dbx_mlflow_runs_iter;

/**
 * Search runs of one or more experiments (POST runs/search, paged).
 * `experiment_ids` is a NULL-terminated array with at least one id. `opts`
 * may be NULL. Iterator as dbx_mlflow_experiments_search. Items are
 * dbx_mlflow_run, borrowed until the next _next.
 */
DBX_API dbx_status dbx_mlflow_runs_search(dbx_mlflow_runs_iter **out, dbx_client *c,
                                          const char *const *experiment_ids,
                                          const dbx_mlflow_search_options *opts);
DBX_API dbx_status dbx_mlflow_runs_iter_next(const dbx_mlflow_run **item, dbx_mlflow_runs_iter *it);
DBX_API void dbx_mlflow_runs_iter_free(dbx_mlflow_runs_iter *it);

/* ------------------------------------------------------------------ */
/* Metric history                                                       */

/** One logged metric value. Immutable. */
typedef struct dbx_mlflow_metric dbx_mlflow_metric;
DBX_API const char *dbx_mlflow_metric_key(const dbx_mlflow_metric *m);
/** The value (NaN / infinities when the server sent "NaN" / "Infinity" / "-Infinity"). */
DBX_API double dbx_mlflow_metric_value(const dbx_mlflow_metric *m);
DBX_API int64_t dbx_mlflow_metric_timestamp(const dbx_mlflow_metric *m);
DBX_API int64_t dbx_mlflow_metric_step(const dbx_mlflow_metric *m);
DBX_API const char *dbx_mlflow_metric_json(const dbx_mlflow_metric *m);

typedef struct dbx_mlflow_metrics_iter dbx_mlflow_metrics_iter;

/**
 * Every value logged for one metric of a run (GET metrics/get-history,
 * paged). `page_size` 0: the server's default; `max_items` 0: all.
 * Iterator as dbx_mlflow_experiments_search.
 */
DBX_API dbx_status dbx_mlflow_metric_history(dbx_mlflow_metrics_iter **out, dbx_client *c, const char *run_id,
                                             const char *metric_key, int page_size, long max_items);
DBX_API dbx_status dbx_mlflow_metrics_iter_next(const dbx_mlflow_metric **item, dbx_mlflow_metrics_iter *it);
DBX_API void dbx_mlflow_metrics_iter_free(dbx_mlflow_metrics_iter *it);

/* ------------------------------------------------------------------ */
/* Logging buffer                                                       */

/**
 * A buffer of metrics, params and tags for one run, sent with as few
 * log-batch requests as the limits allow (1000 metrics, 100 params, 100
 * tags, 1000 entities, 1 MB of JSON per request), in the order added.
 *
 * Adding copies the key and value and checks them (DBX_EINVAL, nothing
 * added): lengths as at the top of this file; a param key already in the
 * buffer with another value is refused (the server would refuse it), with
 * the same value it is not added again.
 *
 * Failures: a flush sends the buffer from its first item; when request k
 * fails, the items of requests before it are removed from the buffer (they
 * were accepted), the failed request's items and every later item stay in
 * it (index 0 on is the failed request's first item), and
 * dbx_mlflow_logger_last_failure() says which items failed. A retry is
 * another flush. The server may have applied part of the failed request.
 *
 * Not thread-safe: one thread at a time per logger. The logger holds a
 * reference on the client.
 */
typedef struct dbx_mlflow_logger dbx_mlflow_logger;

typedef struct dbx_mlflow_logger_options {
    unsigned int version; /**< DBX_MLFLOW_LOGGER_OPTIONS_VERSION */
    /** Non-zero: an add that fills a request (any limit) flushes the full
     *  requests before returning; the add then returns the flush's error
     *  (the item itself is in the buffer either way). */
    int auto_flush;
} dbx_mlflow_logger_options;

#define DBX_MLFLOW_LOGGER_OPTIONS_VERSION 1
#define DBX_MLFLOW_LOGGER_OPTIONS_INIT {DBX_MLFLOW_LOGGER_OPTIONS_VERSION, 0}

/** New logger for `run_id` (no request is made). `opts` may be NULL.
 *  Caller frees with dbx_mlflow_logger_free(). */
DBX_API dbx_status dbx_mlflow_logger_new(dbx_mlflow_logger **out, dbx_client *c, const char *run_id,
                                         const dbx_mlflow_logger_options *opts);
/** Free a logger WITHOUT flushing (flush first). NULL is a no-op. */
DBX_API void dbx_mlflow_logger_free(dbx_mlflow_logger *lg);
/** Add a metric value (copied). Errors: DBX_EINVAL, DBX_ENOMEM, or a flush error with auto_flush. */
DBX_API dbx_status dbx_mlflow_logger_add_metric(dbx_mlflow_logger *lg, const char *key, double value,
                                                int64_t timestamp, int64_t step);
/** Add a param (copied). A key buffered with another value: DBX_EINVAL. */
DBX_API dbx_status dbx_mlflow_logger_add_param(dbx_mlflow_logger *lg, const char *key, const char *value);
/** Add a tag (copied; the server keeps the last value of a key). */
DBX_API dbx_status dbx_mlflow_logger_add_tag(dbx_mlflow_logger *lg, const char *key, const char *value);
/** Items (metrics + params + tags) waiting in the buffer. */
DBX_API size_t dbx_mlflow_logger_pending(const dbx_mlflow_logger *lg);
/** Send everything buffered (see the failure rules above). DBX_OK when
 *  the buffer is empty afterwards. Errors on the logger's client. */
DBX_API dbx_status dbx_mlflow_logger_flush(dbx_mlflow_logger *lg);
/**
 * The last failed request of the last flush: its status (DBX_OK when the
 * last flush succeeded), and in *first / *count the index range of its
 * items within the buffer as it was when that flush started (items are
 * numbered in the order added, metrics, params and tags together). Either
 * pointer may be NULL. After the failure those items are at indexes
 * 0 .. count-1 of the buffer.
 */
DBX_API dbx_status dbx_mlflow_logger_last_failure(const dbx_mlflow_logger *lg, size_t *first, size_t *count);
/** Number of log-batch requests this logger sent successfully (for tests and metrics). */
DBX_API uint64_t dbx_mlflow_logger_requests(const dbx_mlflow_logger *lg);

/* ------------------------------------------------------------------ */
/* Artifacts                                                            */

/**
 * A run's artifacts live under its artifact_uri:
 *   dbfs:/databricks/mlflow-tracking/...  (workspace experiments): files
 *     are sent to and fetched from the cloud store through short-lived
 *     signed URLs (POST artifacts/credentials-for-write / -read), without
 *     the workspace credentials; an expired URL is refreshed once;
 *   dbfs:/Volumes/<catalog>/<schema>/<volume>/... (experiments with a UC
 *     volume artifact_location): through the Files API.
 * Artifact paths are relative ("model/MLmodel"): no leading '/', no "."
 * or ".." component, no empty component (DBX_EINVAL).
 */
typedef struct dbx_mlflow_artifact dbx_mlflow_artifact;
/** Path relative to the run's artifact root ("model/MLmodel"). */
DBX_API const char *dbx_mlflow_artifact_path(const dbx_mlflow_artifact *a);
DBX_API int dbx_mlflow_artifact_is_dir(const dbx_mlflow_artifact *a);
/** Bytes; -1 for a directory or when absent. */
DBX_API int64_t dbx_mlflow_artifact_file_size(const dbx_mlflow_artifact *a);
DBX_API const char *dbx_mlflow_artifact_json(const dbx_mlflow_artifact *a);

typedef struct dbx_mlflow_artifacts_iter dbx_mlflow_artifacts_iter;

/** List one directory level of a run's artifacts (GET artifacts/list,
 *  paged). `path` NULL or "": the root. Iterator as the searches above. */
DBX_API dbx_status dbx_mlflow_artifacts_list(dbx_mlflow_artifacts_iter **out, dbx_client *c, const char *run_id,
                                             const char *path);
DBX_API dbx_status dbx_mlflow_artifacts_iter_next(const dbx_mlflow_artifact **item,
                                                  dbx_mlflow_artifacts_iter *it);
DBX_API void dbx_mlflow_artifacts_iter_free(dbx_mlflow_artifacts_iter *it);

/** Upload the bytes of `src` as the artifact `artifact_path` (streamed;
 *  replaces an existing one). Errors: as at the top, DBX_EPERMISSION when
 *  the store refuses. */
DBX_API dbx_status dbx_mlflow_artifact_upload(dbx_client *c, const char *run_id, const char *artifact_path,
                                              const dbx_source *src);
/** Upload a local file as `artifact_path`. */
DBX_API dbx_status dbx_mlflow_artifact_upload_file(dbx_client *c, const char *run_id, const char *artifact_path,
                                                   const char *local_path);
/** Upload every regular file under `local_dir` (recursively; symbolic
 *  links are not followed) to `artifact_dir` (NULL or "": the root), e.g.
 *  a model directory with its MLmodel. */
DBX_API dbx_status dbx_mlflow_artifact_upload_dir(dbx_client *c, const char *run_id, const char *artifact_dir,
                                                  const char *local_dir);
/** Download an artifact to `sink` (see dbx_sink_fn). */
DBX_API dbx_status dbx_mlflow_artifact_download(dbx_client *c, const char *run_id, const char *artifact_path,
                                                dbx_sink_fn sink, void *payload);
/** Download an artifact into a local file (written beside it and renamed
 *  into place when complete; an existing file is replaced). */
DBX_API dbx_status dbx_mlflow_artifact_download_file(dbx_client *c, const char *run_id,
                                                     const char *artifact_path, const char *local_path);
/** Download an artifact directory (recursively) into `local_dir` (created
 *  when missing). A listed name that is not safe locally ("..", "/x",
 *  control characters) fails the call with DBX_EBADRESPONSE before it is
 *  written. */
DBX_API dbx_status dbx_mlflow_artifact_download_dir(dbx_client *c, const char *run_id,
                                                    const char *artifact_dir, const char *local_dir);

DBX_END_DECL

#endif /* DBX_MLFLOW_H */
