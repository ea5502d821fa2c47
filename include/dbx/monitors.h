/*
 * libdbx - Lakehouse Monitoring quality monitors
 * (/api/2.1/unity-catalog/tables/{table_name}/monitor).
 *
 * A monitor watches one Unity Catalog table (an inference table, a feature
 * table, ...). Each refresh computes two metric tables in the monitor's
 * output schema: a profile table (count, nulls, mean, stddev, quantiles,
 * model quality per window) and a drift table (population stability index,
 * Kolmogorov-Smirnov, chi-squared, Jensen-Shannon, ... between consecutive
 * windows and against a baseline table). Create, get, update and delete a
 * monitor, wait until it is ACTIVE, run a refresh and wait for it, and read
 * both metric tables as typed rows through statement execution (sql.h).
 *
 *     dbx_monitor_spec *s = NULL;
 *     dbx_monitor_spec_new(&s);
 *     dbx_monitor_spec_set_assets_dir(s, "/Workspace/Users/me/monitors/scores");
 *     dbx_monitor_spec_set_output_schema(s, "main.monitoring");
 *     dbx_monitor_spec_set_inference_log(s, DBX_MONITOR_PROBLEM_CLASSIFICATION, "ts",
 *                                        "prediction", "model_version", "label", NULL);
 *     dbx_monitor_spec_add_granularity(s, "1 day");
 *     dbx_monitor *m = NULL;
 *     rc = dbx_monitor_create(&m, c, "main.ml.scores", s);
 *     dbx_monitor_refresh *r = NULL;
 *     rc = dbx_monitor_refresh_run(&r, c, "main.ml.scores");
 *     rc = dbx_monitor_refresh_wait(&r2, c, "main.ml.scores", dbx_monitor_refresh_id(r), NULL);
 *     dbx_monitor_drift *d = NULL;
 *     rc = dbx_monitor_drift_read(&d, c, "main.ml.scores", "wh-id", NULL);
 *     for (size_t i = 0; i < dbx_monitor_drift_count(d); i++)
 *         ... dbx_monitor_drift_at(d, i)->population_stability_index ...
 *
 * Table names are "catalog.schema.table" (three non-empty parts), checked
 * locally before any I/O.
 *
 * Thread-safety: functions taking a dbx_client may be called from any
 * thread. Results (dbx_monitor, dbx_monitor_refresh, dbx_monitor_drift,
 * dbx_monitor_profile) are immutable and may be read from many threads.
 * Specs and iterators are used by one thread at a time.
 *
 * Errors common to every call: DBX_EINVAL (NULL or empty required
 * argument, invalid UTF-8, a bad table name or spec; checked before any
 * I/O, the message names the argument), the HTTP-derived codes of errors.h
 * (a table without a monitor, an unknown table or refresh: DBX_ENOTFOUND; a
 * monitor that exists: DBX_EEXISTS; a refused config: DBX_EINVALIDPARAM),
 * DBX_ETRANSPORT, DBX_ETIMEOUT, DBX_EBADRESPONSE, DBX_ENOMEM.
 */
#ifndef DBX_MONITORS_H
#define DBX_MONITORS_H

#include "common.h"
#include "errors.h"

DBX_BEGIN_DECL

/* ------------------------------------------------------------------ */
/* Enums                                                                */

/** MonitorInfo.status. Values the server adds later map to _UNKNOWN;
 *  dbx_monitor_status_str() keeps the raw text. */
typedef enum dbx_monitor_status {
    DBX_MONITOR_STATUS_UNKNOWN = 0,
    DBX_MONITOR_STATUS_PENDING,        /**< MONITOR_STATUS_PENDING */
    DBX_MONITOR_STATUS_ACTIVE,         /**< MONITOR_STATUS_ACTIVE */
    DBX_MONITOR_STATUS_DELETE_PENDING, /**< MONITOR_STATUS_DELETE_PENDING */
    DBX_MONITOR_STATUS_ERROR,          /**< MONITOR_STATUS_ERROR */
    DBX_MONITOR_STATUS_FAILED          /**< MONITOR_STATUS_FAILED */
} dbx_monitor_status_t;

/** MonitorRefreshInfo.state. */
typedef enum dbx_monitor_refresh_state {
    DBX_MONITOR_REFRESH_UNKNOWN = 0,
    DBX_MONITOR_REFRESH_PENDING,
    DBX_MONITOR_REFRESH_RUNNING,
    DBX_MONITOR_REFRESH_SUCCESS,
    DBX_MONITOR_REFRESH_FAILED,
    DBX_MONITOR_REFRESH_CANCELED
} dbx_monitor_refresh_state_t;

/** Which profile a monitor computes (exactly one). */
typedef enum dbx_monitor_profile_type {
    DBX_MONITOR_PROFILE_NONE = 0,      /**< none in the answer */
    DBX_MONITOR_PROFILE_INFERENCE_LOG, /**< inference_log */
    DBX_MONITOR_PROFILE_TIME_SERIES,   /**< time_series */
    DBX_MONITOR_PROFILE_SNAPSHOT       /**< snapshot */
} dbx_monitor_profile_type_t;

/** inference_log.problem_type. */
typedef enum dbx_monitor_problem_type {
    DBX_MONITOR_PROBLEM_UNKNOWN = 0,
    DBX_MONITOR_PROBLEM_CLASSIFICATION, /**< PROBLEM_TYPE_CLASSIFICATION */
    DBX_MONITOR_PROBLEM_REGRESSION      /**< PROBLEM_TYPE_REGRESSION */
} dbx_monitor_problem_type_t;

/** Drift table rows: against the previous window, or against the baseline table. */
typedef enum dbx_monitor_drift_type {
    DBX_MONITOR_DRIFT_ANY = 0,     /**< filter: both; in a row: a value this version does not know */
    DBX_MONITOR_DRIFT_CONSECUTIVE, /**< CONSECUTIVE */
    DBX_MONITOR_DRIFT_BASELINE     /**< BASELINE */
} dbx_monitor_drift_type_t;

/** Server spellings ("MONITOR_STATUS_ACTIVE", "SUCCESS",
 *  "PROBLEM_TYPE_REGRESSION", "CONSECUTIVE"; "inference_log" for profile
 *  types); "UNKNOWN" ("" for DBX_MONITOR_PROFILE_NONE and
 *  DBX_MONITOR_DRIFT_ANY) for out-of-range values. Static strings. */
DBX_API const char *dbx_monitor_status_name(dbx_monitor_status_t v);
DBX_API const char *dbx_monitor_refresh_state_name(dbx_monitor_refresh_state_t v);
DBX_API const char *dbx_monitor_problem_type_name(dbx_monitor_problem_type_t v);
DBX_API const char *dbx_monitor_profile_type_name(dbx_monitor_profile_type_t v);
DBX_API const char *dbx_monitor_drift_type_name(dbx_monitor_drift_type_t v);

/** 1 when `granularity` is one the service accepts ("5 minutes",
 *  "30 minutes", "1 hour", "1 day", "1 week", "2 weeks", "3 weeks",
 *  "4 weeks", "1 month", "1 year"), else 0. */
DBX_API int dbx_monitor_granularity_valid(const char *granularity);

/* ------------------------------------------------------------------ */
/* Spec (the body of create and update)                                 */

/**
 * A monitor's configuration under construction, built with the setters or
 * from JSON; copied when sent, so one spec may serve many calls.
 *
 * Checked locally (by the setters, from_json, and again when sent):
 * output_schema_name "catalog.schema"; at most one profile (inference_log,
 * time_series or snapshot; create needs exactly one, and assets_dir);
 * inference_log has problem_type PROBLEM_TYPE_CLASSIFICATION or
 * _REGRESSION, timestamp_col, prediction_col and model_id_col; inference_log
 * and time_series have at least one granularity, each from the list of
 * dbx_monitor_granularity_valid; schedule has quartz_cron_expression and
 * timezone_id, pause_status PAUSED or UNPAUSED; notifications'
 * email_addresses are strings; custom_metrics is an array of objects;
 * slicing_exprs are non-empty strings. Column names and expressions are
 * checked by the service against the table.
 *
 * Errors of spec functions: DBX_EINVAL (the message names the problem),
 * DBX_ENOMEM. They take no client: read their error detail with
 * dbx_client_last_error(NULL).
 */
typedef struct dbx_monitor_spec dbx_monitor_spec;

/** New empty spec. Caller frees with dbx_monitor_spec_free(). */
DBX_API dbx_status dbx_monitor_spec_new(dbx_monitor_spec **out);
/** New spec from a create / update body (a JSON object), validated as
 *  above. Fields this version does not know pass through untouched. */
DBX_API dbx_status dbx_monitor_spec_from_json(dbx_monitor_spec **out, const char *json);
DBX_API void dbx_monitor_spec_free(dbx_monitor_spec *spec);

/** Workspace folder for the monitor's dashboard and assets (create only). */
DBX_API dbx_status dbx_monitor_spec_set_assets_dir(dbx_monitor_spec *spec, const char *assets_dir);
/** "catalog.schema" that receives the metric tables (required by create
 *  and update; an update cannot change it). */
DBX_API dbx_status dbx_monitor_spec_set_output_schema(dbx_monitor_spec *spec, const char *output_schema_name);
/**
 * The profile: an inference log. timestamp_col, prediction_col and
 * model_id_col are required; label_col and prediction_proba_col may be
 * NULL. Replaces any profile set before (granularities of an earlier
 * inference_log or time_series are kept).
 */
DBX_API dbx_status dbx_monitor_spec_set_inference_log(dbx_monitor_spec *spec, dbx_monitor_problem_type_t problem,
                                                      const char *timestamp_col, const char *prediction_col,
                                                      const char *model_id_col, const char *label_col,
                                                      const char *prediction_proba_col);
/** The profile: a time series over timestamp_col (replaces any profile). */
DBX_API dbx_status dbx_monitor_spec_set_time_series(dbx_monitor_spec *spec, const char *timestamp_col);
/** The profile: snapshots of the whole table (replaces any profile). */
DBX_API dbx_status dbx_monitor_spec_set_snapshot(dbx_monitor_spec *spec);
/** Add a window granularity ("1 day") to the inference_log or time_series
 *  profile (set it first); a repeated one is ignored. */
DBX_API dbx_status dbx_monitor_spec_add_granularity(dbx_monitor_spec *spec, const char *granularity);
/** Baseline table "catalog.schema.table" for BASELINE drift; NULL removes it. */
DBX_API dbx_status dbx_monitor_spec_set_baseline_table(dbx_monitor_spec *spec, const char *table_name);
/** Add a slicing expression ("country", "amount > 100"). */
DBX_API dbx_status dbx_monitor_spec_add_slicing_expr(dbx_monitor_spec *spec, const char *expr);
/** Refresh schedule: a Quartz cron expression and a Java time zone id;
 *  paused != 0 sends pause_status PAUSED (else UNPAUSED). */
DBX_API dbx_status dbx_monitor_spec_set_schedule(dbx_monitor_spec *spec, const char *quartz_cron_expression,
                                                 const char *timezone_id, int paused);
/** Warehouse the dashboard runs its queries on. */
DBX_API dbx_status dbx_monitor_spec_set_warehouse_id(dbx_monitor_spec *spec, const char *warehouse_id);
/** skip_builtin_dashboard: 1 creates no dashboard. */
DBX_API dbx_status dbx_monitor_spec_set_skip_builtin_dashboard(dbx_monitor_spec *spec, int skip);
/** Add an address to notifications.on_failure.email_addresses. */
DBX_API dbx_status dbx_monitor_spec_add_failure_email(dbx_monitor_spec *spec, const char *email);
/** custom_metrics as raw JSON: an array of {name, definition,
 *  input_columns, output_data_type, type} objects (passed through; only
 *  the array shape is checked). NULL removes them. */
DBX_API dbx_status dbx_monitor_spec_set_custom_metrics_json(dbx_monitor_spec *spec, const char *json);
/** The spec as compact JSON. Caller frees with dbx_free(). */
DBX_API dbx_status dbx_monitor_spec_to_json(char **out, const dbx_monitor_spec *spec);

/* ------------------------------------------------------------------ */
/* Monitor (result)                                                     */

/** A MonitorInfo. Immutable. */
typedef struct dbx_monitor dbx_monitor;

DBX_API void dbx_monitor_free(dbx_monitor *m);

/* Accessors. Strings are borrowed from the monitor ("" when absent, never
 * NULL); numbers 0 when absent; an index out of range reads as absent.
 * NULL `m` reads as an empty monitor. */
DBX_API const char *dbx_monitor_table_name(const dbx_monitor *m);
DBX_API dbx_monitor_status_t dbx_monitor_status(const dbx_monitor *m);
DBX_API const char *dbx_monitor_status_str(const dbx_monitor *m);
/** monitor_version (sent as a decimal string): 0 at creation, +1 per update. */
DBX_API int64_t dbx_monitor_version(const dbx_monitor *m);
DBX_API const char *dbx_monitor_assets_dir(const dbx_monitor *m);
DBX_API const char *dbx_monitor_output_schema_name(const dbx_monitor *m);
DBX_API const char *dbx_monitor_profile_metrics_table_name(const dbx_monitor *m);
DBX_API const char *dbx_monitor_drift_metrics_table_name(const dbx_monitor *m);
DBX_API const char *dbx_monitor_dashboard_id(const dbx_monitor *m);
DBX_API const char *dbx_monitor_baseline_table_name(const dbx_monitor *m);
DBX_API const char *dbx_monitor_latest_failure_msg(const dbx_monitor *m);
DBX_API dbx_monitor_profile_type_t dbx_monitor_profile_type(const dbx_monitor *m);
/** inference_log.problem_type (UNKNOWN for other profiles) and its text. */
DBX_API dbx_monitor_problem_type_t dbx_monitor_problem_type(const dbx_monitor *m);
DBX_API const char *dbx_monitor_problem_type_str(const dbx_monitor *m);
/** timestamp_col of the inference_log or time_series profile. */
DBX_API const char *dbx_monitor_timestamp_col(const dbx_monitor *m);
/** inference_log columns. */
DBX_API const char *dbx_monitor_prediction_col(const dbx_monitor *m);
DBX_API const char *dbx_monitor_label_col(const dbx_monitor *m);
DBX_API const char *dbx_monitor_model_id_col(const dbx_monitor *m);
DBX_API const char *dbx_monitor_prediction_proba_col(const dbx_monitor *m);
/** Granularities of the inference_log or time_series profile. */
DBX_API size_t dbx_monitor_granularity_count(const dbx_monitor *m);
DBX_API const char *dbx_monitor_granularity(const dbx_monitor *m, size_t i);
DBX_API size_t dbx_monitor_slicing_expr_count(const dbx_monitor *m);
DBX_API const char *dbx_monitor_slicing_expr(const dbx_monitor *m, size_t i);
/** schedule.quartz_cron_expression, schedule.timezone_id, schedule.pause_status. */
DBX_API const char *dbx_monitor_schedule_cron(const dbx_monitor *m);
DBX_API const char *dbx_monitor_schedule_timezone(const dbx_monitor *m);
DBX_API const char *dbx_monitor_schedule_pause_status(const dbx_monitor *m);
/** The whole MonitorInfo as compact JSON (custom_metrics, notifications, ...). */
DBX_API const char *dbx_monitor_json(const dbx_monitor *m);

/* ------------------------------------------------------------------ */
/* Monitor operations                                                   */

/**
 * Create a monitor on `table_name` (POST .../monitor). The spec must hold
 * assets_dir, output_schema_name and exactly one profile. The new monitor
 * is MONITOR_STATUS_PENDING (wait with dbx_monitor_wait_active); the
 * service queues a first refresh. Not retried after a failure mid-flight.
 * Errors: DBX_EEXISTS (the table has a monitor), DBX_ENOTFOUND (no such
 * table, output schema or baseline table), DBX_EINVALIDPARAM (a column the
 * table lacks, ...).
 */
DBX_API dbx_status dbx_monitor_create(dbx_monitor **out, dbx_client *c, const char *table_name,
                                      const dbx_monitor_spec *spec);
/** Get the monitor of `table_name` (GET .../monitor). DBX_ENOTFOUND when
 *  the table has none. */
DBX_API dbx_status dbx_monitor_get(dbx_monitor **out, dbx_client *c, const char *table_name);
/**
 * Update the monitor (PUT .../monitor). The spec must hold
 * output_schema_name (the same as the monitor's); assets_dir is not sent
 * (it cannot change). The profile type cannot change, its fields can.
 * Retried on failure (a PUT of the same config is harmless).
 */
DBX_API dbx_status dbx_monitor_update(dbx_monitor **out, dbx_client *c, const char *table_name,
                                      const dbx_monitor_spec *spec);
/** Delete the monitor (DELETE .../monitor). The metric tables and the
 *  dashboard stay. DBX_ENOTFOUND when the table has no monitor. */
DBX_API dbx_status dbx_monitor_delete(dbx_client *c, const char *table_name);
/**
 * Poll the monitor until it is MONITOR_STATUS_ACTIVE, with the caller's
 * deadline and on_poll (NULL: defaults). DBX_ESTATE on MONITOR_STATUS_ERROR
 * or _FAILED (the message carries latest_monitor_failure_msg). *out (may be
 * NULL) gets the last snapshot on DBX_OK, DBX_ESTATE, DBX_ETIMEOUT and
 * DBX_ECANCELLED.
 */
DBX_API dbx_status dbx_monitor_wait_active(dbx_monitor **out, dbx_client *c, const char *table_name,
                                           const dbx_wait_options *wait);
/** Regenerate the monitor's dashboard (POST .../monitor/dashboard);
 *  warehouse_id may be NULL. *dashboard_id (may be NULL) gets the new
 *  dashboard's id, freed with dbx_free(). */
DBX_API dbx_status dbx_monitor_regenerate_dashboard(char **dashboard_id, dbx_client *c, const char *table_name,
                                                    const char *warehouse_id);

/* ------------------------------------------------------------------ */
/* Refreshes                                                            */

/** A MonitorRefreshInfo. Immutable. */
typedef struct dbx_monitor_refresh dbx_monitor_refresh;

DBX_API void dbx_monitor_refresh_free(dbx_monitor_refresh *r);
/* Accessors: "" / 0 when absent; NULL `r` reads as empty. */
DBX_API int64_t dbx_monitor_refresh_id(const dbx_monitor_refresh *r);
DBX_API dbx_monitor_refresh_state_t dbx_monitor_refresh_state(const dbx_monitor_refresh *r);
DBX_API const char *dbx_monitor_refresh_state_str(const dbx_monitor_refresh *r);
/** Why it FAILED or was CANCELED. */
DBX_API const char *dbx_monitor_refresh_message(const dbx_monitor_refresh *r);
/** Epoch milliseconds; end is 0 until the refresh is terminal. */
DBX_API int64_t dbx_monitor_refresh_start_time_ms(const dbx_monitor_refresh *r);
DBX_API int64_t dbx_monitor_refresh_end_time_ms(const dbx_monitor_refresh *r);
/** "MANUAL" or "SCHEDULE". */
DBX_API const char *dbx_monitor_refresh_trigger(const dbx_monitor_refresh *r);
DBX_API const char *dbx_monitor_refresh_json(const dbx_monitor_refresh *r);

/** Queue a refresh (POST .../monitor/refreshes); *out (may be NULL) gets
 *  the queued refresh (its id: dbx_monitor_refresh_id). Not retried after
 *  a failure mid-flight (it could queue two). */
DBX_API dbx_status dbx_monitor_refresh_run(dbx_monitor_refresh **out, dbx_client *c, const char *table_name);
/** Get one refresh (GET .../refreshes/{id}); refresh_id > 0. */
DBX_API dbx_status dbx_monitor_refresh_get(dbx_monitor_refresh **out, dbx_client *c, const char *table_name,
                                           int64_t refresh_id);
/** Cancel a PENDING or RUNNING refresh (POST .../refreshes/{id}/cancel).
 *  A terminal refresh is refused by the service (DBX_EINVALIDPARAM). */
DBX_API dbx_status dbx_monitor_refresh_cancel(dbx_client *c, const char *table_name, int64_t refresh_id);
/**
 * Poll the refresh until it is terminal, with the caller's deadline and
 * on_poll (NULL: defaults). DBX_OK on SUCCESS; DBX_ESTATE on FAILED or
 * CANCELED with the refresh's message. *out (may be NULL) gets the last
 * snapshot on DBX_OK, DBX_ESTATE, DBX_ETIMEOUT and DBX_ECANCELLED.
 */
DBX_API dbx_status dbx_monitor_refresh_wait(dbx_monitor_refresh **out, dbx_client *c, const char *table_name,
                                            int64_t refresh_id, const dbx_wait_options *wait);

/** The most recent refreshes (up to 25), newest first. */
typedef struct dbx_monitor_refresh_iter dbx_monitor_refresh_iter;
/** Makes no request. The iterator holds a reference on its client. */
DBX_API dbx_status dbx_monitor_refresh_list(dbx_monitor_refresh_iter **out, dbx_client *c, const char *table_name);
/** DBX_OK with *item (borrowed until the next call or _free), DBX_DONE, or an error. */
DBX_API dbx_status dbx_monitor_refresh_iter_next(const dbx_monitor_refresh **item, dbx_monitor_refresh_iter *it);
DBX_API void dbx_monitor_refresh_iter_free(dbx_monitor_refresh_iter *it);

/* ------------------------------------------------------------------ */
/* Reading the metric tables                                            */

/** Marks an absent time in a row (SQL NULL: the BASELINE profile rows
 *  have no window; CONSECUTIVE drift rows have a comparison window). */
#define DBX_MONITOR_NO_TIME INT64_MIN

/**
 * Filters of dbx_monitor_drift_read / dbx_monitor_profile_read. Every
 * value is bound as a statement parameter, never spliced into SQL.
 */
typedef struct dbx_monitor_read_options {
    unsigned int version;             /**< DBX_MONITOR_READ_OPTIONS_VERSION */
    const char *column_name;          /**< one column (":table" for the table row), or NULL: all */
    const char *granularity;          /**< "1 day", or NULL: all */
    dbx_monitor_drift_type_t drift_type; /**< drift only: CONSECUTIVE / BASELINE; ANY: both */
    int64_t since_ms;                 /**< window.start >= this (epoch ms); 0: no bound */
    const char *model_id;             /**< inference logs: one model id ("*": all models pooled), or NULL */
    const char *slice_key;            /**< rows of this slicing expression; NULL: the unsliced rows only */
    int all_slices;                   /**< 1: every slice, the unsliced rows included (slice_key ignored) */
    const char *log_type;             /**< profile only: "INPUT" / "BASELINE", or NULL: both */
    long max_rows;                    /**< stop after this many rows; 0: 100000. More is DBX_ETOOLARGE */
} dbx_monitor_read_options;

#define DBX_MONITOR_READ_OPTIONS_VERSION 1
#define DBX_MONITOR_READ_OPTIONS_INIT \
    {DBX_MONITOR_READ_OPTIONS_VERSION, NULL, NULL, DBX_MONITOR_DRIFT_ANY, 0, NULL, NULL, 0, NULL, 0}
DBX_API void dbx_monitor_read_options_init(dbx_monitor_read_options *o);

/**
 * One row of the drift metrics table. Strings are borrowed from the row
 * set (NULL for SQL NULL); statistics are NaN for SQL NULL (a statistic
 * that does not apply to the column's kind: ks_test on a categorical
 * column, chi_squared_test on a numeric one, ...). Rows are only read
 * through dbx_monitor_drift_at (fields may be appended).
 */
typedef struct dbx_monitor_drift_row {
    int64_t window_start_ms, window_end_ms;         /**< epoch ms */
    int64_t window_cmp_start_ms, window_cmp_end_ms; /**< DBX_MONITOR_NO_TIME for BASELINE */
    const char *granularity;
    const char *column_name;                        /**< ":table" for the table row */
    const char *data_type;
    dbx_monitor_drift_type_t drift_type;
    const char *drift_type_str;
    const char *model_id;                           /**< inference logs: the model id ("*": all); else NULL */
    const char *slice_key, *slice_value;            /**< NULL for the unsliced rows */
    int64_t monitor_version;
    double count_delta, avg_delta, percent_null_delta, percent_zeros_delta, percent_distinct_delta;
    double population_stability_index;
    double ks_test_statistic, ks_test_pvalue;
    double chi_squared_test_statistic, chi_squared_test_pvalue;
    double js_distance, wasserstein_distance, tv_distance, l_infinity_distance;
} dbx_monitor_drift_row;

/** Rows read from a drift metrics table. Immutable. */
typedef struct dbx_monitor_drift dbx_monitor_drift;

/**
 * Read the drift metrics table of the monitor on `table_name`: one GET of
 * the monitor (for the table's name and the model-id column), then one
 * SELECT on `warehouse_id` through statement execution, filters bound as
 * parameters, table name quoted (a backtick in it is refused), ordered by
 * window.start, granularity, column_name, drift_type. `opts` may be NULL.
 * Reads the table's real columns: the struct fields field by field
 * (`window`.`start`, `window`.`end`, `window_cmp`.`start` / `end`,
 * `ks_test`.`statistic` / `pvalue`, `chi_squared_test`.`statistic` /
 * `pvalue`, each `AS` the row field's name) and the plain columns by name;
 * since_ms filters on `window`.`start` (a TIMESTAMP parameter).
 * Errors: DBX_ENOTFOUND (no monitor; no metrics table yet: refresh first),
 * DBX_ETOOLARGE (more than max_rows rows), DBX_ESTATE (the statement
 * failed), ...
 */
DBX_API dbx_status dbx_monitor_drift_read(dbx_monitor_drift **out, dbx_client *c, const char *table_name,
                                          const char *warehouse_id, const dbx_monitor_read_options *opts);
DBX_API size_t dbx_monitor_drift_count(const dbx_monitor_drift *d);
/** Row i (borrowed from the set), or NULL out of range. */
DBX_API const dbx_monitor_drift_row *dbx_monitor_drift_at(const dbx_monitor_drift *d, size_t i);
DBX_API void dbx_monitor_drift_free(dbx_monitor_drift *d);

/**
 * One row of the profile metrics table; the same conventions as drift
 * rows. The model-quality numbers are NaN except on the ":table" rows of
 * an inference-log monitor with a label column (classification: accuracy,
 * precision / recall / f1 macro and weighted averages, roc_auc for a
 * binary problem with a probability column; regression: the errors and r2).
 */
typedef struct dbx_monitor_profile_row {
    int64_t window_start_ms, window_end_ms; /**< DBX_MONITOR_NO_TIME on BASELINE rows */
    const char *granularity;
    const char *column_name;
    const char *data_type;
    const char *log_type;                   /**< "INPUT" or "BASELINE" */
    const char *model_id;
    const char *slice_key, *slice_value;
    int64_t monitor_version;
    double count, num_nulls, distinct_count, num_zeros;
    double avg, stddev, min, max, median;
    double percent_null, percent_distinct, percent_zeros;
    double accuracy_score, precision_macro, precision_weighted, recall_macro, recall_weighted;
    double f1_score_macro, f1_score_weighted, roc_auc_score;
    double mean_squared_error, root_mean_squared_error, mean_absolute_error;
    double mean_absolute_percentage_error, r2_score;
} dbx_monitor_profile_row;

typedef struct dbx_monitor_profile dbx_monitor_profile;

/** Read the profile metrics table, as dbx_monitor_drift_read (drift_type
 *  ignored; log_type filters), ordered by window.start, granularity,
 *  column_name, log_type. The struct fields it selects: `window`.`start` /
 *  `end` and, for an inference log, `precision`, `recall` and `f1_score`
 *  .`macro` / .`weighted`. */
DBX_API dbx_status dbx_monitor_profile_read(dbx_monitor_profile **out, dbx_client *c, const char *table_name,
                                            const char *warehouse_id, const dbx_monitor_read_options *opts);
DBX_API size_t dbx_monitor_profile_count(const dbx_monitor_profile *p);
DBX_API const dbx_monitor_profile_row *dbx_monitor_profile_at(const dbx_monitor_profile *p, size_t i);
DBX_API void dbx_monitor_profile_free(dbx_monitor_profile *p);

DBX_END_DECL

#endif /* DBX_MONITORS_H */
