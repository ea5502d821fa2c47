/*
 * libdbx - Jobs API 2.2 (/api/2.2/jobs/ *).
 *
 * Job settings are built with dbx_job_settings (typed setters, or JSON text
 * validated locally) and tasks with dbx_job_task; both are copied when used.
 * Jobs and runs come back as immutable result objects with typed accessors
 * and a raw-JSON accessor; list calls return iterators; starting a run and
 * waiting for it are separate calls (dbx_jobs_run_now, dbx_jobs_wait_run).
 *
 * No duplicate runs: dbx_jobs_run_now and dbx_jobs_submit always send an
 * idempotency_token (the caller's, or 32 random hex characters libdbx
 * draws from a CSPRNG) and hand it back in dbx_run_started, so the request
 * is safely retried after a dropped connection or a 5xx with the same body:
 * the service starts at most one run per token.
 *
 * Thread-safety: functions taking a dbx_client may be called from any
 * thread. Result objects are immutable and may be read from many threads.
 * Builders (dbx_job_settings, dbx_job_task) and iterators are used by one
 * thread at a time.
 *
 * Errors common to every call: DBX_EINVAL (NULL or empty required argument,
 * a non-positive id, invalid settings; checked before any I/O, the message
 * names the argument or the JSON path of the problem), the HTTP-derived
 * codes of errors.h (a missing job or run is DBX_ENOTFOUND, whether the
 * service answers 404 or 400 "Job X does not exist"), DBX_ETRANSPORT,
 * DBX_ETIMEOUT, DBX_EBADRESPONSE, DBX_ENOMEM.
 */
#ifndef DBX_JOBS_H
#define DBX_JOBS_H

#include "clusters.h"
#include "common.h"
#include "errors.h"

DBX_BEGIN_DECL

/* ------------------------------------------------------------------ */
/* Enums                                                                */

/** state.life_cycle_state of a run. Unknown values map to _UNKNOWN
 *  (dbx_run_life_cycle_state_str keeps the raw text). */
typedef enum dbx_run_life_cycle_state {
    DBX_RUN_LIFE_CYCLE_UNKNOWN = 0,
    DBX_RUN_LIFE_CYCLE_QUEUED,
    DBX_RUN_LIFE_CYCLE_PENDING,
    DBX_RUN_LIFE_CYCLE_RUNNING,
    DBX_RUN_LIFE_CYCLE_TERMINATING,
    DBX_RUN_LIFE_CYCLE_TERMINATED,     /**< terminal */
    DBX_RUN_LIFE_CYCLE_SKIPPED,        /**< terminal */
    DBX_RUN_LIFE_CYCLE_INTERNAL_ERROR, /**< terminal */
    DBX_RUN_LIFE_CYCLE_BLOCKED,
    DBX_RUN_LIFE_CYCLE_WAITING_FOR_RETRY
} dbx_run_life_cycle_state_t;

/** state.result_state of a run. DBX_RUN_RESULT_NONE: not set (the run has
 *  not finished); unknown values map to _UNKNOWN. */
typedef enum dbx_run_result_state {
    DBX_RUN_RESULT_UNKNOWN = 0,
    DBX_RUN_RESULT_NONE,
    DBX_RUN_RESULT_SUCCESS,
    DBX_RUN_RESULT_FAILED,
    DBX_RUN_RESULT_TIMEDOUT,
    DBX_RUN_RESULT_CANCELED,
    DBX_RUN_RESULT_MAXIMUM_CONCURRENT_RUNS_REACHED,
    DBX_RUN_RESULT_EXCLUDED,
    DBX_RUN_RESULT_SUCCESS_WITH_FAILURES,
    DBX_RUN_RESULT_UPSTREAM_FAILED,
    DBX_RUN_RESULT_UPSTREAM_CANCELED,
    DBX_RUN_RESULT_DISABLED
} dbx_run_result_state_t;

/** Server spelling ("RUNNING", "SUCCESS"); "UNKNOWN" out of range, "" for
 *  DBX_RUN_RESULT_NONE. Static. */
DBX_API const char *dbx_run_life_cycle_state_name(dbx_run_life_cycle_state_t s);
DBX_API const char *dbx_run_result_state_name(dbx_run_result_state_t s);

/* ------------------------------------------------------------------ */
/* Task builder                                                         */

/**
 * One task of a job (Task / SubmitTask). Exactly one task type; setting a
 * type replaces the type set before. Compute: at most one of an existing
 * cluster id, a job cluster key, a new cluster or an environment key;
 * setting one clears the others (none: serverless notebook). Every string
 * is copied. Errors of setters: DBX_EINVAL (NULL task, empty or non-UTF-8
 * string, out-of-range number), DBX_ENOMEM; read with
 * dbx_client_last_error(NULL).
 */
typedef struct dbx_job_task dbx_job_task;

/** New task with a task_key (letters, digits, '_' and '-', 1..100 bytes).
 *  Caller frees with dbx_job_task_free(). */
DBX_API dbx_status dbx_job_task_new(dbx_job_task **out, const char *task_key);
DBX_API void dbx_job_task_free(dbx_job_task *t);

/** notebook_task. `source`: NULL (service default), "WORKSPACE" or "GIT". */
DBX_API dbx_status dbx_job_task_set_notebook(dbx_job_task *t, const char *notebook_path,
                                             const char *source);
/** spark_python_task; `parameters` is NULL-terminated, or NULL. */
DBX_API dbx_status dbx_job_task_set_spark_python(dbx_job_task *t, const char *python_file,
                                                 const char *const *parameters);
/** python_wheel_task; `parameters` is NULL-terminated, or NULL (named
 *  parameters: dbx_job_task_set_parameter). */
DBX_API dbx_status dbx_job_task_set_python_wheel(dbx_job_task *t, const char *package_name,
                                                 const char *entry_point,
                                                 const char *const *parameters);
/** sql_task running a saved query. */
DBX_API dbx_status dbx_job_task_set_sql_query(dbx_job_task *t, const char *warehouse_id,
                                              const char *query_id);
/** sql_task running a SQL file; `source` NULL, "WORKSPACE" or "GIT". */
DBX_API dbx_status dbx_job_task_set_sql_file(dbx_job_task *t, const char *warehouse_id,
                                             const char *path, const char *source);
/** run_job_task: trigger another job (job_id > 0). */
DBX_API dbx_status dbx_job_task_set_run_job(dbx_job_task *t, int64_t job_id);
/**
 * Add or replace one parameter of the task type set: notebook_task
 * base_parameters, python_wheel_task named_parameters, sql_task parameters,
 * run_job_task job_parameters. DBX_EINVAL when no task type is set or the
 * type takes no named parameters (spark_python_task: pass a list).
 */
DBX_API dbx_status dbx_job_task_set_parameter(dbx_job_task *t, const char *name, const char *value);

/** depends_on entry; `outcome` NULL, or "true"/"false" after a condition task. */
DBX_API dbx_status dbx_job_task_add_depends_on(dbx_job_task *t, const char *task_key,
                                               const char *outcome);
DBX_API dbx_status dbx_job_task_set_existing_cluster_id(dbx_job_task *t, const char *cluster_id);
DBX_API dbx_status dbx_job_task_set_job_cluster_key(dbx_job_task *t, const char *job_cluster_key);
/** new_cluster: a copy of the spec (validated as dbx_clusters_create does). */
DBX_API dbx_status dbx_job_task_set_new_cluster(dbx_job_task *t, const dbx_cluster_spec *spec);
/** Serverless environment (an entry of dbx_job_settings_add_environment). */
DBX_API dbx_status dbx_job_task_set_environment_key(dbx_job_task *t, const char *environment_key);

/** libraries: one Library object as JSON ({"pypi":{"package":"x"}}, {"maven":...}). */
DBX_API dbx_status dbx_job_task_add_library_json(dbx_job_task *t, const char *json);
/** {"pypi":{"package":..., "repo":...}}; `repo` may be NULL. */
DBX_API dbx_status dbx_job_task_add_library_pypi(dbx_job_task *t, const char *package,
                                                 const char *repo);
DBX_API dbx_status dbx_job_task_add_library_whl(dbx_job_task *t, const char *path);
DBX_API dbx_status dbx_job_task_add_library_jar(dbx_job_task *t, const char *path);

DBX_API dbx_status dbx_job_task_set_description(dbx_job_task *t, const char *description);
/** 0 = no timeout; >= 0. */
DBX_API dbx_status dbx_job_task_set_timeout_seconds(dbx_job_task *t, int seconds);
/** max_retries (-1 = forever, 0 = never), min_retry_interval_millis (>= 0),
 *  retry_on_timeout (0/1). */
DBX_API dbx_status dbx_job_task_set_retries(dbx_job_task *t, int max_retries,
                                            int min_retry_interval_millis, int retry_on_timeout);
/** "ALL_SUCCESS", "AT_LEAST_ONE_SUCCESS", "NONE_FAILED", "ALL_DONE",
 *  "AT_LEAST_ONE_FAILED" or "ALL_FAILED". */
DBX_API dbx_status dbx_job_task_set_run_if(dbx_job_task *t, const char *run_if);
/** Any top-level Task field from JSON text (escape hatch; validated when
 *  the task is added to settings). */
DBX_API dbx_status dbx_job_task_set_json(dbx_job_task *t, const char *field, const char *json);
/** The task as compact JSON. Caller frees with dbx_free(). */
DBX_API dbx_status dbx_job_task_to_json(char **out, const dbx_job_task *t);

/* ------------------------------------------------------------------ */
/* Job settings builder                                                 */

/**
 * JobSettings under construction (jobs/create body, jobs/reset
 * new_settings; tasks and environments for runs/submit). Setters copy their
 * input and replace earlier values. Errors of setters and builders:
 * DBX_EINVAL, DBX_ENOMEM, read with dbx_client_last_error(NULL); the calls
 * that send settings validate them again and record problems on the client.
 *
 * Local validation (dbx_job_settings_validate, _from_json, every call that
 * sends settings): known fields have the right JSON type; name <= 4096
 * bytes; max_concurrent_runs 0..1000; timeout_seconds >= 0; tags <= 25, all
 * strings; parameters need a name of [A-Za-z0-9_.-] and a default; every
 * task has a unique task_key and exactly one task type with its required
 * fields; at most one compute per task; depends_on keys exist and do not
 * form a cycle; job_cluster_key and environment_key name a job cluster or
 * environment of these settings; job cluster specs are valid cluster specs.
 * Messages give the JSON path: "$.tasks[1].depends_on[0].task_key: ...".
 * Unknown fields pass through untouched.
 */
typedef struct dbx_job_settings dbx_job_settings;

DBX_API dbx_status dbx_job_settings_new(dbx_job_settings **out);
/** New settings from a JobSettings JSON object, validated as above. */
DBX_API dbx_status dbx_job_settings_from_json(dbx_job_settings **out, const char *json);
DBX_API void dbx_job_settings_free(dbx_job_settings *s);
/** Validate without sending (DBX_OK or DBX_EINVAL with the path). */
DBX_API dbx_status dbx_job_settings_validate(const dbx_job_settings *s);

DBX_API dbx_status dbx_job_settings_set_name(dbx_job_settings *s, const char *name);
DBX_API dbx_status dbx_job_settings_set_description(dbx_job_settings *s, const char *description);
/** Append a copy of a task; a task with the same key is replaced. */
DBX_API dbx_status dbx_job_settings_add_task(dbx_job_settings *s, const dbx_job_task *t);
/** job_clusters entry {job_cluster_key, new_cluster}; same key replaces. */
DBX_API dbx_status dbx_job_settings_add_job_cluster(dbx_job_settings *s, const char *key,
                                                    const dbx_cluster_spec *spec);
/** Serverless environments entry {environment_key, spec{client, dependencies}};
 *  `client` is the environment version ("2"); `dependencies` NULL-terminated or NULL. */
DBX_API dbx_status dbx_job_settings_add_environment(dbx_job_settings *s, const char *key,
                                                    const char *client,
                                                    const char *const *dependencies);
/** Job parameter {name, default}; same name replaces. */
DBX_API dbx_status dbx_job_settings_add_parameter(dbx_job_settings *s, const char *name,
                                                  const char *default_value);
/** schedule {quartz_cron_expression, timezone_id, pause_status (PAUSED when paused)}. */
DBX_API dbx_status dbx_job_settings_set_schedule(dbx_job_settings *s, const char *quartz_cron,
                                                 const char *timezone_id, int paused);
/** Which email list of email_notifications. */
typedef enum dbx_job_email_event {
    DBX_JOB_EMAIL_ON_START = 1,
    DBX_JOB_EMAIL_ON_SUCCESS,
    DBX_JOB_EMAIL_ON_FAILURE,
    DBX_JOB_EMAIL_ON_DURATION_WARNING /**< on_duration_warning_threshold_exceeded */
} dbx_job_email_event_t;
/** Append an address to one email_notifications list. */
DBX_API dbx_status dbx_job_settings_add_email(dbx_job_settings *s, dbx_job_email_event_t event,
                                              const char *address);
/** 0..1000 (0: every new run is skipped). */
DBX_API dbx_status dbx_job_settings_set_max_concurrent_runs(dbx_job_settings *s, int n);
/** queue {enabled}: runs beyond max_concurrent_runs wait in QUEUED instead of being skipped. */
DBX_API dbx_status dbx_job_settings_set_queue(dbx_job_settings *s, int enabled);
/** Add or replace a tag (at most 25). */
DBX_API dbx_status dbx_job_settings_set_tag(dbx_job_settings *s, const char *key, const char *value);
/** 0 = none; >= 0. */
DBX_API dbx_status dbx_job_settings_set_timeout_seconds(dbx_job_settings *s, int seconds);
/** Any top-level JobSettings field from JSON text (git_source, trigger,
 *  health, run_as, ...). DBX_EINVAL for invalid JSON or a wrong type. */
DBX_API dbx_status dbx_job_settings_set_json(dbx_job_settings *s, const char *field, const char *json);
/** The settings as compact JSON. Caller frees with dbx_free(). */
DBX_API dbx_status dbx_job_settings_to_json(char **out, const dbx_job_settings *s);

/* ------------------------------------------------------------------ */
/* Job (result)                                                         */

/** A Job (jobs/get) or BaseJob (jobs/list item). Immutable. */
typedef struct dbx_job dbx_job;

DBX_API void dbx_job_free(dbx_job *job);
DBX_API int64_t dbx_job_id(const dbx_job *job);
/** settings.name ("" when absent). Strings are borrowed, never NULL. */
DBX_API const char *dbx_job_name(const dbx_job *job);
DBX_API const char *dbx_job_creator_user_name(const dbx_job *job);
DBX_API const char *dbx_job_run_as_user_name(const dbx_job *job);
/** Epoch ms. */
DBX_API int64_t dbx_job_created_time(const dbx_job *job);
DBX_API int dbx_job_max_concurrent_runs(const dbx_job *job);
/** Number of settings.tasks (all of them for dbx_jobs_get: libdbx follows
 *  the 2.2 task pages; list items carry tasks only with expand_tasks). */
DBX_API size_t dbx_job_task_count(const dbx_job *job);
/** task_key of task i, or NULL when i is out of range. */
DBX_API const char *dbx_job_task_key(const dbx_job *job, size_t i);
/** One settings.tags entry, or NULL. */
DBX_API const char *dbx_job_tag(const dbx_job *job, const char *key);
/** The settings object as JSON (borrowed; "{}" when absent). */
DBX_API const char *dbx_job_settings_json(const dbx_job *job);
/** The whole object as JSON (borrowed). */
DBX_API const char *dbx_job_json(const dbx_job *job);

/* ------------------------------------------------------------------ */
/* Run (result)                                                         */

/** A Run (runs/get, the waiter) or BaseRun (runs/list item). Immutable. */
typedef struct dbx_run dbx_run;

DBX_API void dbx_run_free(dbx_run *run);
DBX_API int64_t dbx_run_id(const dbx_run *run);
DBX_API int64_t dbx_run_job_id(const dbx_run *run);
DBX_API int64_t dbx_run_number_in_job(const dbx_run *run);
DBX_API const char *dbx_run_name(const dbx_run *run);
/** "JOB_RUN", "WORKFLOW_RUN", "SUBMIT_RUN". */
DBX_API const char *dbx_run_type(const dbx_run *run);
DBX_API dbx_run_life_cycle_state_t dbx_run_life_cycle_state(const dbx_run *run);
DBX_API const char *dbx_run_life_cycle_state_str(const dbx_run *run);
DBX_API dbx_run_result_state_t dbx_run_result_state(const dbx_run *run);
DBX_API const char *dbx_run_result_state_str(const dbx_run *run);
DBX_API const char *dbx_run_state_message(const dbx_run *run);
/** status.state (RunLifecycleStateV2State: QUEUED, PENDING, RUNNING, ...). */
DBX_API const char *dbx_run_status_state(const dbx_run *run);
/** status.termination_details.code / .type / .message. */
DBX_API const char *dbx_run_termination_code(const dbx_run *run);
DBX_API const char *dbx_run_termination_type(const dbx_run *run);
DBX_API const char *dbx_run_termination_message(const dbx_run *run);
/** Epoch ms; end_time 0 while running. */
DBX_API int64_t dbx_run_start_time(const dbx_run *run);
DBX_API int64_t dbx_run_end_time(const dbx_run *run);
/** setup / execution / cleanup / run / queue duration in ms. */
DBX_API int64_t dbx_run_setup_duration(const dbx_run *run);
DBX_API int64_t dbx_run_execution_duration(const dbx_run *run);
DBX_API int64_t dbx_run_cleanup_duration(const dbx_run *run);
DBX_API int64_t dbx_run_run_duration(const dbx_run *run);
DBX_API int64_t dbx_run_queue_duration(const dbx_run *run);
DBX_API const char *dbx_run_page_url(const dbx_run *run);
/** Task runs (all of them for dbx_jobs_get_run and the waiter). Index
 *  accessors return NULL / 0 when i is out of range; each walks the task
 *  array (O(i)). */
DBX_API size_t dbx_run_task_count(const dbx_run *run);
DBX_API int64_t dbx_run_task_run_id(const dbx_run *run, size_t i);
DBX_API const char *dbx_run_task_key(const dbx_run *run, size_t i);
DBX_API const char *dbx_run_task_life_cycle_state(const dbx_run *run, size_t i);
DBX_API const char *dbx_run_task_result_state(const dbx_run *run, size_t i);
DBX_API const char *dbx_run_task_state_message(const dbx_run *run, size_t i);
/** run_id of the task run with this task_key, or 0. */
DBX_API int64_t dbx_run_task_run_id_by_key(const dbx_run *run, const char *task_key);
/** The value a job parameter had in this run (job_parameters[].value, else
 *  its default), or NULL when the run has no such parameter. */
DBX_API const char *dbx_run_job_parameter(const dbx_run *run, const char *name);
/** The whole object as JSON (borrowed). */
DBX_API const char *dbx_run_json(const dbx_run *run);

/* ------------------------------------------------------------------ */
/* Run output (result)                                                  */

/** RunOutput of one task run (runs/get-output). Immutable. */
typedef struct dbx_run_output dbx_run_output;

DBX_API void dbx_run_output_free(dbx_run_output *o);
/** notebook_output.result (the dbutils.notebook.exit value); "" when absent. */
DBX_API const char *dbx_run_output_notebook_result(const dbx_run_output *o);
DBX_API int dbx_run_output_notebook_truncated(const dbx_run_output *o);
/** stdout/stderr of python / wheel / jar tasks. */
DBX_API const char *dbx_run_output_logs(const dbx_run_output *o);
DBX_API int dbx_run_output_logs_truncated(const dbx_run_output *o);
DBX_API const char *dbx_run_output_error(const dbx_run_output *o);
DBX_API const char *dbx_run_output_error_trace(const dbx_run_output *o);
/** metadata.run_id and metadata.state.result_state of the task run. */
DBX_API int64_t dbx_run_output_run_id(const dbx_run_output *o);
DBX_API const char *dbx_run_output_result_state(const dbx_run_output *o);
/** The metadata (Run) object as JSON ("{}" when absent). Borrowed. */
DBX_API const char *dbx_run_output_metadata_json(const dbx_run_output *o);
DBX_API const char *dbx_run_output_json(const dbx_run_output *o);

/* ------------------------------------------------------------------ */
/* Jobs                                                                 */

/**
 * Create a job (POST /jobs/create) from validated settings.
 * Not retried after a dropped connection or a 500 (jobs/create has no
 * idempotency token: a retry could create two jobs); retried on 429/503.
 */
DBX_API dbx_status dbx_jobs_create(int64_t *job_id, dbx_client *c, const dbx_job_settings *settings);

/** Get a job (GET /jobs/get), with every page of its tasks, job clusters,
 *  environments and parameters merged (at most 100 pages). Caller frees
 *  *out with dbx_job_free(). */
DBX_API dbx_status dbx_jobs_get(dbx_job **out, dbx_client *c, int64_t job_id);

/**
 * Change some settings (POST /jobs/update): top-level fields of
 * `new_settings` replace the job's, tasks and job clusters are merged by
 * key; `fields_to_remove` (NULL-terminated, or NULL) removes fields
 * ("libraries", "tasks/<task_key>"). At least one of them must be given.
 * Partial settings are validated per field and per task (depends_on may
 * name tasks that are not in the update). Build them with
 * dbx_job_settings_new and the setters (dbx_job_settings_set_json for a
 * tasks array): dbx_job_settings_from_json checks a complete job.
 */
DBX_API dbx_status dbx_jobs_update(dbx_client *c, int64_t job_id, const dbx_job_settings *new_settings,
                                   const char *const *fields_to_remove);

/** Replace all settings (POST /jobs/reset); validated as for create. */
DBX_API dbx_status dbx_jobs_reset(dbx_client *c, int64_t job_id, const dbx_job_settings *new_settings);

/** Delete a job (POST /jobs/delete). */
DBX_API dbx_status dbx_jobs_delete(dbx_client *c, int64_t job_id);

typedef struct dbx_jobs_list_options {
    unsigned int version; /**< DBX_JOBS_LIST_OPTIONS_VERSION */
    int limit;            /**< page size 1..100; 0 = server default (20) */
    long max_items;       /**< stop after this many; 0 = all */
    const char *name;     /**< exact, case-insensitive name filter, or NULL */
    int expand_tasks;     /**< non-zero: include tasks and job clusters */
} dbx_jobs_list_options;

#define DBX_JOBS_LIST_OPTIONS_VERSION 1
#define DBX_JOBS_LIST_OPTIONS_INIT {DBX_JOBS_LIST_OPTIONS_VERSION, 0, 0, NULL, 0}

typedef struct dbx_jobs_iter dbx_jobs_iter;

/** List jobs (GET /jobs/list, following next_page_token). No request is
 *  made until the first _next. `opts` may be NULL. Caller frees with
 *  dbx_jobs_iter_free(). */
DBX_API dbx_status dbx_jobs_list(dbx_jobs_iter **out, dbx_client *c, const dbx_jobs_list_options *opts);
/** DBX_OK with *item (borrowed until the next _next or _free), DBX_DONE, or
 *  an error (calling again retries the same page). */
DBX_API dbx_status dbx_jobs_iter_next(const dbx_job **item, dbx_jobs_iter *it);
DBX_API void dbx_jobs_iter_free(dbx_jobs_iter *it);

/* ------------------------------------------------------------------ */
/* Starting runs                                                        */

/** What run-now / submit started. Caller storage; no free. */
typedef struct dbx_run_started {
    int64_t run_id;         /**< 0 on failure */
    int64_t number_in_job;  /**< run-now only */
    /** The idempotency_token sent (the caller's or the generated one),
     *  NUL-terminated. Filled even when the call fails after the request
     *  was built: call again with this token to retry without risking a
     *  second run. */
    char idempotency_token[65];
} dbx_run_started;

typedef struct dbx_jobs_run_now_options {
    unsigned int version;               /**< DBX_JOBS_RUN_NOW_OPTIONS_VERSION */
    /** Caller's token (1..64 bytes of printable ASCII), or NULL to let
     *  libdbx generate 32 hex characters. */
    const char *idempotency_token;
    /** job_parameters as NULL-terminated name, value pairs:
     *  {"env", "prod", "date", "2026-01-01", NULL}; or NULL. */
    const char *const *job_parameters;
    /** only: run just these task keys (NULL-terminated), or NULL. */
    const char *const *only;
    /** queue.enabled: 0 not sent, 1 true, 2 false. */
    int queue;
    /** Legacy per-task parameters: notebook_params (pairs as above) and
     *  python_params (NULL-terminated list); NULL when unused. */
    const char *const *notebook_params;
    const char *const *python_params;
} dbx_jobs_run_now_options;

#define DBX_JOBS_RUN_NOW_OPTIONS_VERSION 1
#define DBX_JOBS_RUN_NOW_OPTIONS_INIT {DBX_JOBS_RUN_NOW_OPTIONS_VERSION, NULL, NULL, NULL, 0, NULL, NULL}

/**
 * Trigger a run of a job (POST /jobs/run-now). Returns when the run is
 * created (QUEUED or PENDING); wait with dbx_jobs_wait_run().
 * Always carries an idempotency_token and is retried after a dropped
 * connection, a 5xx or a 429 with the same token: never two runs.
 * `started` must not be NULL; `opts` may be NULL.
 * Errors: DBX_EINVAL (job_id <= 0, token too long or not printable ASCII,
 * a parameter name outside [A-Za-z0-9_.-], odd pairs), DBX_ENOTFOUND.
 */
DBX_API dbx_status dbx_jobs_run_now(dbx_run_started *started, dbx_client *c, int64_t job_id,
                                    const dbx_jobs_run_now_options *opts);

typedef struct dbx_jobs_submit_options {
    unsigned int version;          /**< DBX_JOBS_SUBMIT_OPTIONS_VERSION */
    const char *idempotency_token; /**< as for run-now; NULL: generated */
    const char *run_name;          /**< NULL: the settings' name, else the service's "Untitled" */
} dbx_jobs_submit_options;

#define DBX_JOBS_SUBMIT_OPTIONS_VERSION 1
#define DBX_JOBS_SUBMIT_OPTIONS_INIT {DBX_JOBS_SUBMIT_OPTIONS_VERSION, NULL, NULL}

/**
 * One-time run without a saved job (POST /jobs/runs/submit). Takes the
 * tasks, environments, timeout_seconds, email/webhook notifications,
 * notification_settings, health, queue, git_source, run_as and
 * access_control_list of `spec` (its name becomes run_name). Settings only
 * a saved job has (job_clusters, schedule, trigger, continuous, parameters,
 * tags, max_concurrent_runs, ...) are DBX_EINVAL naming the field. Tasks
 * use existing_cluster_id, new_cluster or environment_key.
 * Idempotent as run-now (number_in_job is 0).
 */
DBX_API dbx_status dbx_jobs_submit(dbx_run_started *started, dbx_client *c, const dbx_job_settings *spec,
                                   const dbx_jobs_submit_options *opts);

/* ------------------------------------------------------------------ */
/* Runs                                                                 */

/** Get a run (GET /jobs/runs/get), with every page of its task runs,
 *  job clusters, job parameters and repair history merged (at most 100
 *  pages). Caller frees *out with dbx_run_free(). */
DBX_API dbx_status dbx_jobs_get_run(dbx_run **out, dbx_client *c, int64_t run_id);

/** Output of one TASK run (GET /jobs/runs/get-output): pass a task run id
 *  (dbx_run_task_run_id); the service refuses a multi-task parent run
 *  (DBX_EINVALIDPARAM). Caller frees with dbx_run_output_free(). */
DBX_API dbx_status dbx_jobs_get_run_output(dbx_run_output **out, dbx_client *c, int64_t run_id);

/** Cancel a job run or task run (POST /jobs/runs/cancel). Asynchronous:
 *  the run goes TERMINATING, then TERMINATED with result CANCELED. */
DBX_API dbx_status dbx_jobs_cancel_run(dbx_client *c, int64_t run_id);

/** Cancel all active runs of a job (job_id > 0) and/or all queued runs
 *  (POST /jobs/runs/cancel-all). job_id 0 with !all_queued_runs: DBX_EINVAL. */
DBX_API dbx_status dbx_jobs_cancel_all_runs(dbx_client *c, int64_t job_id, int all_queued_runs);

/** Delete a finished run (POST /jobs/runs/delete); an active one is an error. */
DBX_API dbx_status dbx_jobs_delete_run(dbx_client *c, int64_t run_id);

typedef struct dbx_jobs_repair_options {
    unsigned int version;               /**< DBX_JOBS_REPAIR_OPTIONS_VERSION */
    const char *const *rerun_tasks;     /**< task keys (NULL-terminated), or NULL */
    int rerun_all_failed_tasks;         /**< non-zero: rerun every failed task */
    int rerun_dependent_tasks;          /**< non-zero: also rerun their dependents */
    int64_t latest_repair_id;           /**< required by the service after a first repair; 0 = not sent */
    const char *const *job_parameters;  /**< name, value pairs (NULL-terminated), or NULL */
} dbx_jobs_repair_options;

#define DBX_JOBS_REPAIR_OPTIONS_VERSION 1
#define DBX_JOBS_REPAIR_OPTIONS_INIT {DBX_JOBS_REPAIR_OPTIONS_VERSION, NULL, 0, 0, 0, NULL}

/**
 * Re-run tasks of a finished run (POST /jobs/runs/repair). Exactly one of
 * rerun_tasks and rerun_all_failed_tasks (DBX_EINVAL otherwise). *repair_id
 * (may be NULL) receives the repair id. Not retried after a dropped
 * connection (the service has no idempotency token for repairs).
 */
DBX_API dbx_status dbx_jobs_repair_run(int64_t *repair_id, dbx_client *c, int64_t run_id,
                                       const dbx_jobs_repair_options *opts);

typedef struct dbx_jobs_runs_list_options {
    unsigned int version;    /**< DBX_JOBS_RUNS_LIST_OPTIONS_VERSION */
    int64_t job_id;          /**< 0 = runs of every job */
    int active_only;         /**< QUEUED, PENDING, RUNNING, TERMINATING only */
    int completed_only;      /**< finished runs only (not with active_only) */
    const char *run_type;    /**< "JOB_RUN", "WORKFLOW_RUN", "SUBMIT_RUN", or NULL */
    int64_t start_time_from; /**< epoch ms; 0 = unset */
    int64_t start_time_to;   /**< epoch ms; 0 = unset */
    int expand_tasks;        /**< non-zero: include task runs */
    int limit;               /**< page size 1..24; 0 = server default (20) */
    long max_items;          /**< stop after this many; 0 = all */
} dbx_jobs_runs_list_options;

#define DBX_JOBS_RUNS_LIST_OPTIONS_VERSION 1
#define DBX_JOBS_RUNS_LIST_OPTIONS_INIT {DBX_JOBS_RUNS_LIST_OPTIONS_VERSION, 0, 0, 0, NULL, 0, 0, 0, 0, 0}

typedef struct dbx_runs_iter dbx_runs_iter;

/** List runs, most recent first (GET /jobs/runs/list). As dbx_jobs_list.
 *  Errors: DBX_EINVAL for active_only with completed_only, a bad run_type,
 *  start_time_from > start_time_to, limit outside 0..24. */
DBX_API dbx_status dbx_jobs_list_runs(dbx_runs_iter **out, dbx_client *c,
                                      const dbx_jobs_runs_list_options *opts);
DBX_API dbx_status dbx_runs_iter_next(const dbx_run **item, dbx_runs_iter *it);
DBX_API void dbx_runs_iter_free(dbx_runs_iter *it);

/* ------------------------------------------------------------------ */
/* Waiter                                                               */

/**
 * Poll a run (GET /jobs/runs/get with backoff) until its life cycle is
 * terminal: TERMINATED, SKIPPED or INTERNAL_ERROR.
 *
 * Success (DBX_OK) is TERMINATED with result SUCCESS or
 * SUCCESS_WITH_FAILURES (the service's "succeeded, some tasks failed but
 * were allowed to by run_if"; check dbx_run_result_state). Anything else
 * terminal (FAILED, TIMEDOUT, CANCELED, SKIPPED, INTERNAL_ERROR, ...) is
 * DBX_ESTATE; the message carries the life cycle and result states, the
 * state message and the termination code, type and message.
 *
 * `opts` may be NULL. opts->timeout_ms is the caller's deadline; 0 (or
 * NULL opts) means NO deadline (jobs run for hours; stop with on_poll), not
 * the 20 minutes of other waiters. on_poll is called after every poll with
 * the life cycle state just seen ("QUEUED", "PENDING", "RUNNING",
 * "TERMINATING", "TERMINATED", ...), so every state change a poll observes
 * is reported; a state shorter than the poll interval may be missed (lower
 * poll_max_ms to see more). Its non-zero return stops with DBX_ECANCELLED
 * (the run is not cancelled: call dbx_jobs_cancel_run for that).
 *
 * Ownership: `out` may be NULL. When given, *out receives the last snapshot
 * on DBX_OK, DBX_ESTATE, DBX_ETIMEOUT and DBX_ECANCELLED (NULL when no poll
 * succeeded); the caller frees it with dbx_run_free().
 */
DBX_API dbx_status dbx_jobs_wait_run(dbx_run **out, dbx_client *c, int64_t run_id,
                                     const dbx_wait_options *opts);

DBX_END_DECL

#endif /* DBX_JOBS_H */
