/*
 * libdbx internal: what the MLflow areas share (tracking in mlflow.c, the
 * model registries in registry.c).
 *
 * dbx__mlflow_call is dbx__api_call under the MLflow retry policy: the
 * client's own retry budget and backoff for /api/2.0/mlflow/ (client
 * options mlflow_retry_timeout_ms / _initial_delay_ms / _max_delay_ms,
 * defaults 15 min / 2 s / 60 s), a WARN log line and the throttle callback
 * on each 429, Retry-After honoured. Use it for every MLflow endpoint
 * (tracking, artifacts, workspace registry, the legacy UC registry path).
 */
#ifndef DBX_MLFLOW_INTERNAL_H
#define DBX_MLFLOW_INTERNAL_H

#include "api.h"

/* As dbx__api_call (flags DBX__CALL_IDEMPOTENT / DBX__CALL_LARGE; `out`
 * may be NULL), under the client's MLflow retry policy. */
dbx_status dbx__mlflow_call(dbx_client *c, const char *method, const char *path, const json_t *body, int flags,
                            dbx__jdoc *out);

/* The same with a body the caller serialised (body_len bytes; NULL: none). */
dbx_status dbx__mlflow_call_text(dbx_client *c, const char *method, const char *path, const char *body,
                                 size_t body_len, int flags, dbx__jdoc *out);

/* The client's MLflow retry policy, for a dbx__call built by hand (artifact
 * transfers to signed URLs, which share MLflow's throttling). Borrowed. */
const dbx__retry_policy *dbx__mlflow_retry_policy(const dbx_client *c);

/* The registry_uri client option as resolved ("databricks",
 * "databricks-uc"), or NULL when unset (declared in client_impl.h). */
const char *dbx__client_registry_uri(const dbx_client *c);

/* For the fuzz target: a result read from an answer's text, as the calls
 * build it: kind 0 an experiment ({"experiment": {...}}), 1 a run
 * ({"run": {...}}), 2 a metric and 3 an artifact entry (the object itself).
 * NULL when the text is not such an answer (or on OOM). Free with the
 * matching public _free (dbx__view_free for metrics and entries). */
void *dbx__mlflow_result_from_text(int kind, const char *text, size_t len);
/* NULL when `name` passes MLflow's metric / param / tag key rule, else why not. */
const char *dbx__mlflow_name_problem(const char *name);

#endif
