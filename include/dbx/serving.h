/*
 * libdbx - Model Serving endpoints (/api/2.0/serving-endpoints) and
 * queries (/serving-endpoints/{name}/invocations).
 *
 * An endpoint serves one or more registered model versions ("served
 * entities": a workspace-registry model or a Unity Catalog model
 * catalog.schema.model) and splits traffic between them by percentage.
 * Create, get, list, update the config, change tags, delete, read build
 * and server logs; wait until it is READY and NOT_UPDATING; query it.
 *
 * Thread-safety: functions taking a dbx_client may be called from any
 * thread. Results (dbx_serving_endpoint, dbx_serving_result) are immutable
 * and may be read from many threads. Builders (dbx_serving_config,
 * dbx_serving_input) and iterators are used by one thread at a time.
 *
 * Errors common to every call: DBX_EINVAL (NULL or empty required
 * argument, invalid UTF-8, an invalid config or input; checked before any
 * I/O, the message names the argument), the HTTP-derived codes of
 * errors.h (a missing endpoint is DBX_ENOTFOUND; a name that is taken is
 * DBX_EEXISTS; a config update while another is IN_PROGRESS is
 * DBX_ECONFLICT; a model's refusal of its input is DBX_EBADREQUEST with
 * the endpoint's message), DBX_ETRANSPORT, DBX_ETIMEOUT, DBX_EBADRESPONSE,
 * DBX_ENOMEM.
 */
#ifndef DBX_SERVING_H
#define DBX_SERVING_H

#include "common.h"
#include "errors.h"
#include "registry.h"

DBX_BEGIN_DECL

/* ------------------------------------------------------------------ */
/* Enums                                                                */

/** state.ready. Values the server adds later map to _UNKNOWN; the
 *  _str accessors keep the raw text. */
typedef enum dbx_serving_ready {
    DBX_SERVING_READY_UNKNOWN = 0,
    DBX_SERVING_READY_READY,
    DBX_SERVING_READY_NOT_READY
} dbx_serving_ready_t;

/** state.config_update. */
typedef enum dbx_serving_config_update {
    DBX_SERVING_CONFIG_UPDATE_UNKNOWN = 0,
    DBX_SERVING_CONFIG_UPDATE_NOT_UPDATING,
    DBX_SERVING_CONFIG_UPDATE_IN_PROGRESS,
    DBX_SERVING_CONFIG_UPDATE_UPDATE_FAILED,
    DBX_SERVING_CONFIG_UPDATE_UPDATE_CANCELED
} dbx_serving_config_update_t;

/** A served entity's state.deployment. */
typedef enum dbx_serving_deployment {
    DBX_SERVING_DEPLOYMENT_UNKNOWN = 0,
    DBX_SERVING_DEPLOYMENT_CREATING,   /**< DEPLOYMENT_CREATING */
    DBX_SERVING_DEPLOYMENT_RECOVERING, /**< DEPLOYMENT_RECOVERING */
    DBX_SERVING_DEPLOYMENT_READY,      /**< DEPLOYMENT_READY */
    DBX_SERVING_DEPLOYMENT_FAILED,     /**< DEPLOYMENT_FAILED */
    DBX_SERVING_DEPLOYMENT_ABORTED     /**< DEPLOYMENT_ABORTED */
} dbx_serving_deployment_t;

/** Server spellings ("READY", "IN_PROGRESS", "DEPLOYMENT_READY");
 *  "UNKNOWN" for out-of-range values. Static strings. */
DBX_API const char *dbx_serving_ready_name(dbx_serving_ready_t v);
DBX_API const char *dbx_serving_config_update_name(dbx_serving_config_update_t v);
DBX_API const char *dbx_serving_deployment_name(dbx_serving_deployment_t v);

/** Which config of an endpoint an accessor reads: the one serving now
 *  (`config`) or the one being deployed (`pending_config`, present only
 *  while an update is in progress or after it failed). */
typedef enum dbx_serving_which {
    DBX_SERVING_ACTIVE = 0,
    DBX_SERVING_PENDING = 1
} dbx_serving_which;

/* ------------------------------------------------------------------ */
/* Config (EndpointCoreConfigInput: the body of update-config, and the  */
/* `config` of create)                                                  */

/**
 * Served entities and the traffic split, under construction. Build it with
 * the functions below or from JSON; it is copied when sent, so one config
 * may serve many calls.
 *
 * Checked locally (by the builder, from_json, and again when sent): at
 * least one served entity; entity_name and entity_version non-empty
 * strings (a number is accepted as entity_version in JSON); names
 * [A-Za-z0-9_-] and distinct (an unnamed entity is named
 * <entity_name>-<entity_version> by the service, with the dots of a UC name
 * turned into '-', and that is the name its route must use); at most 30
 * environment variables per entity, all strings; routes naming entities of
 * the config, integer percentages 0..100 that sum to exactly 100. Without
 * routes the service sends everything to a single entity. workload_size and
 * workload_type are passed through unchecked, so values the service adds
 * later work.
 *
 * Errors of config functions: DBX_EINVAL (the message names the problem),
 * DBX_ENOMEM. They take no client: read their error detail with
 * dbx_client_last_error(NULL).
 */
typedef struct dbx_serving_config dbx_serving_config;

/** New empty config. Caller frees with dbx_serving_config_free(). */
DBX_API dbx_status dbx_serving_config_new(dbx_serving_config **out);
/** New config from an EndpointCoreConfigInput JSON object
 *  ({"served_entities": [...], "traffic_config": {"routes": [...]}},
 *  legacy "served_models" accepted), validated as above. Unknown fields
 *  pass through untouched. */
DBX_API dbx_status dbx_serving_config_from_json(dbx_serving_config **out, const char *json);
DBX_API void dbx_serving_config_free(dbx_serving_config *cfg);

/**
 * Add a served entity: a model (workspace registry name, or UC
 * "catalog.schema.model") and its version ("3"). *index (may be NULL)
 * receives its position for the entity setters below. The service defaults
 * workload_size to "Small" and scale_to_zero_enabled to false.
 */
DBX_API dbx_status dbx_serving_config_add_entity(size_t *index, dbx_serving_config *cfg,
                                                 const char *entity_name, const char *entity_version);
/** The served entity's name ([A-Za-z0-9_-], unique in the endpoint). */
DBX_API dbx_status dbx_serving_config_entity_set_name(dbx_serving_config *cfg, size_t index, const char *name);
/** workload_size: "Small" (4 concurrent requests), "Medium", "Large". */
DBX_API dbx_status dbx_serving_config_entity_set_workload_size(dbx_serving_config *cfg, size_t index,
                                                               const char *size);
/** workload_type: "CPU", "GPU_SMALL", "GPU_MEDIUM", ... */
DBX_API dbx_status dbx_serving_config_entity_set_workload_type(dbx_serving_config *cfg, size_t index,
                                                               const char *type);
DBX_API dbx_status dbx_serving_config_entity_set_scale_to_zero(dbx_serving_config *cfg, size_t index,
                                                               int enabled);
/** Add or replace one environment variable (value may reference a secret:
 *  "{{secrets/scope/key}}"; it is sent as given). */
DBX_API dbx_status dbx_serving_config_entity_set_env(dbx_serving_config *cfg, size_t index, const char *key,
                                                     const char *value);
/** Route `percentage` (0..100) of the traffic to the served entity named
 *  `served_entity_name`; a second route to the same name replaces it. */
DBX_API dbx_status dbx_serving_config_add_route(dbx_serving_config *cfg, const char *served_entity_name,
                                                int percentage);
/** The config as compact JSON (validated first). Caller frees with dbx_free(). */
DBX_API dbx_status dbx_serving_config_to_json(char **out, const dbx_serving_config *cfg);

/* ------------------------------------------------------------------ */
/* Endpoint (result)                                                    */

/** ServingEndpointDetailed (get, create, update config) or ServingEndpoint
 *  (list items: fewer fields). Immutable. */
typedef struct dbx_serving_endpoint dbx_serving_endpoint;

DBX_API void dbx_serving_endpoint_free(dbx_serving_endpoint *ep);

/* Accessors. Strings are borrowed from the endpoint ("" when absent, never
 * NULL, unless said otherwise); numbers are 0 when absent; an index out of
 * range reads as absent. NULL `ep` reads as an empty endpoint. */
DBX_API const char *dbx_serving_endpoint_name(const dbx_serving_endpoint *ep);
DBX_API const char *dbx_serving_endpoint_id(const dbx_serving_endpoint *ep);
DBX_API const char *dbx_serving_endpoint_creator(const dbx_serving_endpoint *ep);
/** Milliseconds since the epoch. */
DBX_API int64_t dbx_serving_endpoint_creation_timestamp(const dbx_serving_endpoint *ep);
DBX_API int64_t dbx_serving_endpoint_last_updated_timestamp(const dbx_serving_endpoint *ep);
DBX_API dbx_serving_ready_t dbx_serving_endpoint_ready(const dbx_serving_endpoint *ep);
DBX_API const char *dbx_serving_endpoint_ready_str(const dbx_serving_endpoint *ep);
DBX_API dbx_serving_config_update_t dbx_serving_endpoint_config_update(const dbx_serving_endpoint *ep);
DBX_API const char *dbx_serving_endpoint_config_update_str(const dbx_serving_endpoint *ep);
/** 1 when the endpoint has that config (the pending one exists only during
 *  or after a failed update), else 0. */
DBX_API int dbx_serving_endpoint_has_config(const dbx_serving_endpoint *ep, dbx_serving_which which);
/** config_version of that config (the pending one: the version it will get). */
DBX_API int64_t dbx_serving_endpoint_config_version(const dbx_serving_endpoint *ep, dbx_serving_which which);
/** Served entities of that config (served_entities; legacy served_models
 *  when an answer has only those). */
DBX_API size_t dbx_serving_endpoint_entity_count(const dbx_serving_endpoint *ep, dbx_serving_which which);
/** The served entity's own name ("fraud-1"). */
DBX_API const char *dbx_serving_endpoint_entity_name(const dbx_serving_endpoint *ep, dbx_serving_which which,
                                                     size_t i);
/** The model it serves (entity_name, or legacy model_name) and its version. */
DBX_API const char *dbx_serving_endpoint_entity_model(const dbx_serving_endpoint *ep, dbx_serving_which which,
                                                      size_t i);
DBX_API const char *dbx_serving_endpoint_entity_version(const dbx_serving_endpoint *ep,
                                                        dbx_serving_which which, size_t i);
DBX_API const char *dbx_serving_endpoint_entity_workload_size(const dbx_serving_endpoint *ep,
                                                              dbx_serving_which which, size_t i);
DBX_API const char *dbx_serving_endpoint_entity_workload_type(const dbx_serving_endpoint *ep,
                                                              dbx_serving_which which, size_t i);
/** 1 true, 0 false or absent. */
DBX_API int dbx_serving_endpoint_entity_scale_to_zero(const dbx_serving_endpoint *ep, dbx_serving_which which,
                                                      size_t i);
/** The value of environment variable `key`, or NULL when it has none. */
DBX_API const char *dbx_serving_endpoint_entity_env(const dbx_serving_endpoint *ep, dbx_serving_which which,
                                                    size_t i, const char *key);
DBX_API dbx_serving_deployment_t dbx_serving_endpoint_entity_deployment(const dbx_serving_endpoint *ep,
                                                                        dbx_serving_which which, size_t i);
DBX_API const char *dbx_serving_endpoint_entity_deployment_str(const dbx_serving_endpoint *ep,
                                                               dbx_serving_which which, size_t i);
DBX_API const char *dbx_serving_endpoint_entity_deployment_message(const dbx_serving_endpoint *ep,
                                                                   dbx_serving_which which, size_t i);
/** Traffic routes of that config: the served entity's name (served_entity_name,
 *  or legacy served_model_name) and its percentage. */
DBX_API size_t dbx_serving_endpoint_route_count(const dbx_serving_endpoint *ep, dbx_serving_which which);
DBX_API const char *dbx_serving_endpoint_route_name(const dbx_serving_endpoint *ep, dbx_serving_which which,
                                                    size_t i);
DBX_API int dbx_serving_endpoint_route_percentage(const dbx_serving_endpoint *ep, dbx_serving_which which,
                                                  size_t i);
/** 1 when the endpoint is route-optimized. */
DBX_API int dbx_serving_endpoint_route_optimized(const dbx_serving_endpoint *ep);
/** The route-optimized query URL ("" for other endpoints). */
DBX_API const char *dbx_serving_endpoint_endpoint_url(const dbx_serving_endpoint *ep);
/** Tags: count, key and value at i ("" for a tag without value), and the
 *  value of `key` (NULL when there is no such tag). */
DBX_API size_t dbx_serving_endpoint_tag_count(const dbx_serving_endpoint *ep);
DBX_API const char *dbx_serving_endpoint_tag_key(const dbx_serving_endpoint *ep, size_t i);
DBX_API const char *dbx_serving_endpoint_tag_value(const dbx_serving_endpoint *ep, size_t i);
DBX_API const char *dbx_serving_endpoint_tag(const dbx_serving_endpoint *ep, const char *key);
/** The whole answer as compact JSON, for fields without an accessor. Borrowed. */
DBX_API const char *dbx_serving_endpoint_json(const dbx_serving_endpoint *ep);
/** Where the endpoint's requests are logged, read with statement execution:
 *  "<catalog>.<schema>.<prefix>_payload" from the AI gateway's enabled
 *  inference_table_config (the prefix defaults to the endpoint name), else
 *  from the config's legacy auto_capture_config (the service's
 *  payload_table name when it reports one); lower case. "" when neither is
 *  enabled (or for NULL). Borrowed. */
DBX_API const char *dbx_serving_endpoint_inference_table(const dbx_serving_endpoint *ep);

/* ------------------------------------------------------------------ */
/* Operations                                                           */

/** A tag: key (required) and value (NULL: a tag without value). */
typedef struct dbx_serving_tag {
    const char *key;
    const char *value;
} dbx_serving_tag;

typedef struct dbx_serving_create_options {
    unsigned int version;        /**< DBX_SERVING_CREATE_OPTIONS_VERSION */
    const dbx_serving_tag *tags; /**< n_tags tags, or NULL */
    size_t n_tags;
    int route_optimized;         /**< non-zero: a route-optimized endpoint */
    const char *description;     /**< NULL: none */
    /** A JSON object whose members are added to the create body, for fields
     *  without an option (ai_gateway, budget_policy_id, email_notifications):
     *  "{\"ai_gateway\": {...}}". NULL: none. May not repeat name or config. */
    const char *extra_json;
} dbx_serving_create_options;

#define DBX_SERVING_CREATE_OPTIONS_VERSION 1
#define DBX_SERVING_CREATE_OPTIONS_INIT {DBX_SERVING_CREATE_OPTIONS_VERSION, NULL, 0, 0, NULL, NULL}

/**
 * Create an endpoint (POST /api/2.0/serving-endpoints). `name`:
 * [A-Za-z0-9_-], unique in the workspace. The answer shows it NOT_READY and
 * IN_PROGRESS with the config in pending_config; wait with
 * dbx_serving_wait_ready(). `opts` may be NULL.
 * Ownership: `out` may be NULL; when given, *out is the answer (caller
 * frees with dbx_serving_endpoint_free(); NULL on failure).
 * Not retried after a connection failure or a 500 (it could create twice).
 */
DBX_API dbx_status dbx_serving_create(dbx_serving_endpoint **out, dbx_client *c, const char *name,
                                      const dbx_serving_config *cfg, const dbx_serving_create_options *opts);

/** Get an endpoint (GET .../{name}). Caller frees *out with dbx_serving_endpoint_free(). */
DBX_API dbx_status dbx_serving_get(dbx_serving_endpoint **out, dbx_client *c, const char *name);

/**
 * Replace the served entities and traffic of an endpoint (PUT .../{name}/config).
 * The old config keeps serving until the new one is deployed; the answer
 * carries it in pending_config. Another update in progress: DBX_ECONFLICT.
 * `out` may be NULL (else as create).
 */
DBX_API dbx_status dbx_serving_update_config(dbx_serving_endpoint **out, dbx_client *c, const char *name,
                                             const dbx_serving_config *cfg);

/**
 * Add and remove tags in one call (PATCH .../{name}/tags): `add` (n_add
 * tags, replacing the values of existing keys) and `remove` (n_remove
 * keys). At least one of them. Retried on failure (the same patch twice
 * gives the same tags).
 */
DBX_API dbx_status dbx_serving_patch_tags(dbx_client *c, const char *name, const dbx_serving_tag *add,
                                          size_t n_add, const char *const *remove, size_t n_remove);

/** Delete an endpoint (DELETE .../{name}). */
DBX_API dbx_status dbx_serving_delete(dbx_client *c, const char *name);

/**
 * Enable (or disable) the endpoint's inference table: every scored request
 * is then appended to "<catalog>.<schema>.<prefix>_payload" (read it back
 * with dbx_serving_endpoint_inference_table and the SQL API). PUT
 * .../{name}/ai-gateway with the endpoint's current gateway settings (rate
 * limits, guardrails, usage tracking, fallbacks: read with a GET first and
 * sent back unchanged, as the PUT replaces them all) and its
 * inference_table_config set: the arguments given over the current ones
 * (`table_name_prefix` NULL: kept, or the endpoint name by default;
 * disabling keeps the location). The catalog and schema must exist.
 * Errors: DBX_EINVAL (name; catalog_name / schema_name missing when
 * enabling), DBX_ENOTFOUND (endpoint, catalog or schema), ...
 */
DBX_API dbx_status dbx_serving_set_inference_table(dbx_client *c, const char *name, const char *catalog_name,
                                                   const char *schema_name, const char *table_name_prefix,
                                                   int enabled);

/**
 * Recent log lines of one served entity: its environment build
 * (GET .../{name}/served-models/{served}/build-logs) or its model server
 * (.../logs). `served` is the served entity's name ("fraud-1").
 * Ownership: *logs is caller-owned text, freed with dbx_free(); NULL on failure.
 */
DBX_API dbx_status dbx_serving_build_logs(char **logs, dbx_client *c, const char *name, const char *served);
DBX_API dbx_status dbx_serving_server_logs(char **logs, dbx_client *c, const char *name, const char *served);

/* ------------------------------------------------------------------ */
/* Listing                                                              */

typedef struct dbx_serving_iter dbx_serving_iter;

/**
 * List the workspace's endpoints (GET /api/2.0/serving-endpoints: one
 * answer, the service does not page). No request is made until the first
 * dbx_serving_iter_next(). Items are ServingEndpoint objects: name, id,
 * creator, timestamps, state, tags, and per config entity names, models and
 * versions only. Caller frees with dbx_serving_iter_free().
 */
DBX_API dbx_status dbx_serving_list(dbx_serving_iter **out, dbx_client *c);
/** Next endpoint: DBX_OK with *item (borrowed until the next _next or
 *  _free), DBX_DONE, or an error (calling again retries). */
DBX_API dbx_status dbx_serving_iter_next(const dbx_serving_endpoint **item, dbx_serving_iter *it);
DBX_API void dbx_serving_iter_free(dbx_serving_iter *it);

/* ------------------------------------------------------------------ */
/* Waiter                                                               */

/**
 * Poll until the endpoint is READY and its config NOT_UPDATING (GET
 * .../{name} with backoff, until `opts->timeout_ms`, default 20 min): a new
 * endpoint is deployed, or a config update has finished. on_poll sees the
 * state as "<ready>/<config_update>" ("NOT_READY/IN_PROGRESS").
 * Fails fast with DBX_ESTATE on UPDATE_FAILED or UPDATE_CANCELED; the
 * message carries each failed served entity's name and
 * deployment_state_message (read from pending_config, where the failed
 * config stays visible). `opts` may be NULL.
 *
 * Ownership: `out` may be NULL. When given, *out receives the last snapshot
 * on DBX_OK and also on DBX_ESTATE, DBX_ETIMEOUT and DBX_ECANCELLED (NULL
 * when no poll succeeded); the caller frees it with dbx_serving_endpoint_free().
 * Errors: DBX_ESTATE, DBX_ETIMEOUT, DBX_ECANCELLED (on_poll returned
 * non-zero), or the error of a failed poll (DBX_ENOTFOUND, ...).
 */
DBX_API dbx_status dbx_serving_wait_ready(dbx_serving_endpoint **out, dbx_client *c, const char *name,
                                          const dbx_wait_options *opts);

/* ------------------------------------------------------------------ */
/* Query (POST /serving-endpoints/{name}/invocations)                   */

/** The payload limit of one query (16 MB, protocols.md 4), checked locally. */
#define DBX_SERVING_MAX_PAYLOAD_BYTES (16u * 1024u * 1024u)

/** Input formats of a custom (pyfunc) model. */
typedef enum dbx_serving_format {
    DBX_SERVING_DATAFRAME_SPLIT = 1, /**< {"dataframe_split": {"columns": [...], "data": [[...], ...]}}
                                          (keeps column order: the recommended one) */
    DBX_SERVING_DATAFRAME_RECORDS,   /**< {"dataframe_records": [{"col": v, ...}, ...]} */
    DBX_SERVING_INSTANCES,           /**< {"instances": [{"col": v, ...}, ...]} (TF-serving rows) */
    DBX_SERVING_INPUTS               /**< {"inputs": {"col": [v, ...], ...}} (TF-serving columns) */
} dbx_serving_format;

/**
 * A table of rows to score, under construction: name the columns, then add
 * rows cell by cell in column order. Serialised in the chosen format when
 * sent; one input may serve many queries.
 * Checked locally: columns set once, before the first row, non-empty and
 * distinct; no more cells in a row than columns, and every row complete
 * when sent; finite doubles only (JSON has no NaN or infinity).
 * Errors: DBX_EINVAL (naming the problem), DBX_ENOMEM; read them with
 * dbx_client_last_error(NULL).
 */
typedef struct dbx_serving_input dbx_serving_input;

DBX_API dbx_status dbx_serving_input_new(dbx_serving_input **out, dbx_serving_format format);
DBX_API void dbx_serving_input_free(dbx_serving_input *in);
DBX_API dbx_status dbx_serving_input_set_columns(dbx_serving_input *in, const char *const *names, size_t n);
/** Start a new row (the cells below go into it). */
DBX_API dbx_status dbx_serving_input_add_row(dbx_serving_input *in);
DBX_API dbx_status dbx_serving_input_add_double(dbx_serving_input *in, double v);
DBX_API dbx_status dbx_serving_input_add_int(dbx_serving_input *in, int64_t v);
DBX_API dbx_status dbx_serving_input_add_string(dbx_serving_input *in, const char *v);
DBX_API dbx_status dbx_serving_input_add_bool(dbx_serving_input *in, int v);
DBX_API dbx_status dbx_serving_input_add_null(dbx_serving_input *in);
/** "params": a JSON object of inference parameters (NULL: none). */
DBX_API dbx_status dbx_serving_input_set_params(dbx_serving_input *in, const char *json_object);
/** "client_request_id", recorded in the inference table (NULL: none). */
DBX_API dbx_status dbx_serving_input_set_client_request_id(dbx_serving_input *in, const char *id);
/** The request body as compact JSON. Caller frees with dbx_free(). */
DBX_API dbx_status dbx_serving_input_to_json(char **out, const dbx_serving_input *in);

typedef struct dbx_serving_query_options {
    unsigned int version; /**< DBX_SERVING_QUERY_OPTIONS_VERSION */
    /** Time allowed for one attempt (models may take close to 300 s);
     *  default 300000. Separate from the client's retry budget, which bounds
     *  the whole call with its retries (429 and 503 answers, which the
     *  service did not process, are retried honouring Retry-After). */
    long timeout_ms;
} dbx_serving_query_options;

#define DBX_SERVING_QUERY_OPTIONS_VERSION 1
#define DBX_SERVING_QUERY_OPTIONS_INIT {DBX_SERVING_QUERY_OPTIONS_VERSION, 0}

/** A query's answer. Immutable. */
typedef struct dbx_serving_result dbx_serving_result;

/**
 * Query an endpoint with a JSON body as given (any format the endpoint
 * takes, also chat / completions / embeddings bodies): `body` must be a
 * JSON object of at most DBX_SERVING_MAX_PAYLOAD_BYTES (checked before any
 * I/O: DBX_EINVAL naming body). `opts` may be NULL.
 * Not retried after a connection failure or a 500 (a model call may have
 * side effects); retried on 429/503.
 * Errors: the model's refusal of the input is DBX_EBADREQUEST with the
 * endpoint's message; a missing endpoint DBX_ENOTFOUND; an endpoint not
 * ready yet DBX_EUNAVAILABLE; an attempt past timeout_ms DBX_ETIMEOUT; an
 * answer that is not a JSON object DBX_EBADRESPONSE.
 * Ownership: *out is caller-owned, freed with dbx_serving_result_free(); NULL on failure.
 */
DBX_API dbx_status dbx_serving_query(dbx_serving_result **out, dbx_client *c, const char *name, const char *body,
                                     const dbx_serving_query_options *opts);

/** The same with the body built from `in` (the size limit applies to the
 *  serialised body: DBX_EINVAL naming input). */
DBX_API dbx_status dbx_serving_query_input(dbx_serving_result **out, dbx_client *c, const char *name,
                                           const dbx_serving_input *in, const dbx_serving_query_options *opts);

DBX_API void dbx_serving_result_free(dbx_serving_result *r);

/** JSON type of a prediction. */
typedef enum dbx_serving_value_type {
    DBX_SERVING_VALUE_ABSENT = 0, /**< index out of range */
    DBX_SERVING_VALUE_NULL,
    DBX_SERVING_VALUE_BOOL,
    DBX_SERVING_VALUE_NUMBER,
    DBX_SERVING_VALUE_STRING,
    DBX_SERVING_VALUE_ARRAY,
    DBX_SERVING_VALUE_OBJECT
} dbx_serving_value_type;

/* Accessors of the "predictions" array (custom models). A NULL result reads
 * as empty; an index out of range as absent. */
/** Number of predictions (0 when "predictions" is absent or not an array). */
DBX_API size_t dbx_serving_result_count(const dbx_serving_result *r);
DBX_API dbx_serving_value_type dbx_serving_result_type(const dbx_serving_result *r, size_t i);
/** Prediction i as a double (any JSON number); NaN when it is not a number. */
DBX_API double dbx_serving_result_double(const dbx_serving_result *r, size_t i);
/** Prediction i as an integer (an integral number or a decimal string); `fallback` otherwise. */
DBX_API int64_t dbx_serving_result_int(const dbx_serving_result *r, size_t i, int64_t fallback);
/** Prediction i as a string (borrowed); NULL when it is not a string. */
DBX_API const char *dbx_serving_result_string(const dbx_serving_result *r, size_t i);
/** 1 when prediction i is JSON null. */
DBX_API int dbx_serving_result_is_null(const dbx_serving_result *r, size_t i);
/** Member `key` of prediction i when it is an object ({"probability": p,
 *  "label": l}): as a double (NaN when not a number) or a string (NULL when
 *  not a string). */
DBX_API double dbx_serving_result_field_double(const dbx_serving_result *r, size_t i, const char *key);
DBX_API const char *dbx_serving_result_field_string(const dbx_serving_result *r, size_t i, const char *key);
/** The "predictions" value as compact JSON ("" when absent). Borrowed. */
DBX_API const char *dbx_serving_result_predictions_json(const dbx_serving_result *r);
/** The whole answer as compact JSON (for "outputs", "choices", ...). Borrowed. */
DBX_API const char *dbx_serving_result_json(const dbx_serving_result *r);
/** The served entity that answered (the served-model-name header; "" when absent). */
DBX_API const char *dbx_serving_result_served_model_name(const dbx_serving_result *r);
/** Milliseconds the call took, retries and their waits included. */
DBX_API int64_t dbx_serving_result_latency_ms(const dbx_serving_result *r);

/* ------------------------------------------------------------------ */
/* Real-time scorer                                                     */

/**
 * Many queries to one endpoint in flight at once from the calling thread
 * (libdbx starts no thread): submit queries as they come, drive the I/O
 * with dbx_serving_scorer_poll (callback style) or dbx_serving_scorer_next
 * (poll style), and get each query's outcome once, in the order queries
 * end. At most max_in_flight queries are sent at a time; the rest wait in
 * a queue, in submission order.
 *
 * Each query is POST /serving-endpoints/{name}/invocations, as
 * dbx_serving_query: retried on 429/503 honouring Retry-After under the
 * client's retry rules (a query waiting for its retry holds no other up),
 * never after a connection failure or a 500 (a model call may have side
 * effects). Connections: HTTP/2 where the server offers it (https, ALPN),
 * all queries multiplexed on one connection; else (plain http, or
 * DBX_SERVING_HTTP1_1) a pool of at most max_in_flight HTTP/1.1
 * connections, kept alive between queries.
 *
 * Thread-safety: a scorer is used by one thread at a time; many scorers
 * (on as many threads) may share a client. Errors of the scorer's own
 * calls are read with dbx_client_last_error(c); a query's failure is in
 * its completion, never in the thread's record.
 */
typedef struct dbx_serving_scorer dbx_serving_scorer;

/** The outcome of one query. Caller-owned in poll style
 *  (dbx_serving_completion_free); lent to the callback in callback style. */
typedef struct dbx_serving_completion dbx_serving_completion;

/** Called once per query as it ends (from inside dbx_serving_scorer_poll,
 *  _drain, on the caller's thread). `done` is valid during the call only
 *  (take the result with dbx_serving_completion_take_result to keep it).
 *  The callback may submit and cancel queries; it must not poll, drain or
 *  free the scorer. */
typedef void (*dbx_serving_complete_fn)(dbx_serving_completion *done, void *payload);

typedef enum dbx_serving_http_version {
    DBX_SERVING_HTTP_AUTO = 0, /**< HTTP/2 multiplexing where offered (https), else HTTP/1.1 */
    DBX_SERVING_HTTP1_1        /**< HTTP/1.1 only: up to max_in_flight connections */
} dbx_serving_http_version;

typedef struct dbx_serving_scorer_options {
    unsigned int version;    /**< DBX_SERVING_SCORER_OPTIONS_VERSION */
    int max_in_flight;       /**< queries sent at once: 1..4096; 0 = 64 */
    /** Deadline of each query from its submission: time queued, attempts and
     *  retry waits included; past it the query ends with DBX_ETIMEOUT.
     *  0 = 300000. */
    long timeout_ms;
    /** Time allowed for one attempt; 0 = timeout_ms. */
    long attempt_timeout_ms;
    dbx_serving_http_version http_version;
    /** Callback style (NULL: poll style, completions read with
     *  dbx_serving_scorer_next). */
    dbx_serving_complete_fn on_complete;
    void *payload;
} dbx_serving_scorer_options;

#define DBX_SERVING_SCORER_OPTIONS_VERSION 1
#define DBX_SERVING_SCORER_OPTIONS_INIT {DBX_SERVING_SCORER_OPTIONS_VERSION, 0, 0, 0, DBX_SERVING_HTTP_AUTO, NULL, NULL}
#define DBX_SERVING_SCORER_MAX_IN_FLIGHT 4096

/**
 * A scorer for endpoint `name` on client `c` (which must outlive it).
 * `opts` may be NULL. No I/O.
 * Errors: DBX_EINVAL (naming the argument or option), DBX_ENOMEM.
 * Ownership: *out is caller-owned, freed with dbx_serving_scorer_free(); NULL on failure.
 */
DBX_API dbx_status dbx_serving_scorer_new(dbx_serving_scorer **out, dbx_client *c, const char *name,
                                          const dbx_serving_scorer_options *opts);

/**
 * Queue a query with a JSON body as given (a JSON object of at most
 * DBX_SERVING_MAX_PAYLOAD_BYTES, checked now: DBX_EINVAL naming body). The
 * body is copied. `user` is handed back in the completion. *id (may be
 * NULL) receives the query's id (1, 2, ...). Sent by the next poll / next /
 * drain. The query's target comes from the client's per-endpoint cache:
 * the first query to an endpoint (and the first after a data-plane token
 * nears expiry) does a blocking GET of the endpoint (and, route-optimized,
 * a token exchange) inside this call, so its errors are this call's.
 * Errors: DBX_EINVAL, DBX_ENOTFOUND (no such endpoint), DBX_ECONFIG
 * (route-optimized without OAuth), the lookup's other errors, DBX_ENOMEM
 * (nothing queued then).
 */
DBX_API dbx_status dbx_serving_scorer_submit(uint64_t *id, dbx_serving_scorer *s, const char *json_body, void *user);
/** The same with the body built from `in` (DBX_EINVAL naming input for a
 *  bad or oversized input). */
DBX_API dbx_status dbx_serving_scorer_submit_input(uint64_t *id, dbx_serving_scorer *s, const dbx_serving_input *in,
                                                   void *user);

/**
 * Drive the I/O for up to wait_ms (0: only what is ready now; < 0: until a
 * query ends) and run the callback for each query that ended; returns once
 * at least one ended (after collecting the others ready then) or the time
 * is up. In poll style, the ended queries are kept for
 * dbx_serving_scorer_next. *completed (may be NULL): how many ended.
 * Errors: DBX_EINVAL (from inside the callback).
 */
DBX_API dbx_status dbx_serving_scorer_poll(size_t *completed, dbx_serving_scorer *s, long wait_ms);

/**
 * Poll style: the next ended query, driving the I/O for up to wait_ms (0:
 * only what is ready; < 0: until one ends). *out is NULL when none ended in
 * time or none is pending (see _in_flight / _queued).
 * Ownership: *out is caller-owned, freed with dbx_serving_completion_free().
 * Errors: DBX_EINVAL (a scorer with on_complete: its completions go to the callback).
 */
DBX_API dbx_status dbx_serving_scorer_next(dbx_serving_completion **out, dbx_serving_scorer *s, long wait_ms);

/**
 * End a query now: queued, or in flight (its transfer is abandoned; a model
 * may already have received it). Its completion still comes, with
 * DBX_ECANCELLED. Errors: DBX_ENOTFOUND (no pending query has that id:
 * unknown, or already ended).
 */
DBX_API dbx_status dbx_serving_scorer_cancel(dbx_serving_scorer *s, uint64_t id);

/**
 * Drive the I/O until no query is pending (callbacks run; in poll style the
 * completions are kept for _next), for at most timeout_ms (< 0: no limit).
 * Errors: DBX_ETIMEOUT (queries still pending), DBX_EINVAL (from the callback).
 */
DBX_API dbx_status dbx_serving_scorer_drain(dbx_serving_scorer *s, long timeout_ms);

/** Queries being sent or waiting for a retry. */
DBX_API size_t dbx_serving_scorer_in_flight(const dbx_serving_scorer *s);
/** Queries waiting for a free slot. */
DBX_API size_t dbx_serving_scorer_queued(const dbx_serving_scorer *s);

typedef struct dbx_serving_scorer_stats {
    unsigned int version;   /**< DBX_SERVING_SCORER_STATS_VERSION (set by the caller) */
    uint64_t submitted;
    uint64_t succeeded;
    uint64_t failed;        /**< ended with an error, cancelled and timed-out queries included */
    uint64_t cancelled;
    uint64_t timed_out;
    uint64_t retried;       /**< attempts after a query's first (retries after 429/503) */
    uint64_t connections;   /**< connections opened */
    /** Latency (submission to answer) of the last 4096 successful queries,
     *  in ms; 0 when none. */
    double latency_p50_ms;
    double latency_p99_ms;
} dbx_serving_scorer_stats;

#define DBX_SERVING_SCORER_STATS_VERSION 1
#define DBX_SERVING_SCORER_STATS_INIT {DBX_SERVING_SCORER_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0}

/** Counters since the scorer was made. Errors: DBX_EINVAL (version). */
DBX_API dbx_status dbx_serving_scorer_stats_get(dbx_serving_scorer_stats *out, const dbx_serving_scorer *s);

/** Free the scorer: pending queries are cancelled (no callback runs),
 *  completions not read are dropped. NULL ok. Not from the callback. */
DBX_API void dbx_serving_scorer_free(dbx_serving_scorer *s);

/* Completion accessors. A NULL completion reads as empty. */
DBX_API uint64_t dbx_serving_completion_id(const dbx_serving_completion *d);
DBX_API void *dbx_serving_completion_user(const dbx_serving_completion *d);
/** DBX_OK, or the query's failure (as dbx_serving_query's errors; DBX_ECANCELLED, DBX_ETIMEOUT). */
DBX_API dbx_status dbx_serving_completion_status(const dbx_serving_completion *d);
/** The answer (same accessors as dbx_serving_query's); NULL on failure or
 *  once taken. Borrowed from the completion. */
DBX_API const dbx_serving_result *dbx_serving_completion_result(const dbx_serving_completion *d);
/** Move the answer out: the caller frees it with dbx_serving_result_free(). */
DBX_API dbx_serving_result *dbx_serving_completion_take_result(dbx_serving_completion *d);
/** The failure's detail (message, error_code, http_status, ...), the
 *  completion's own copy; NULL on success. Borrowed from the completion. */
DBX_API const dbx_error *dbx_serving_completion_error(const dbx_serving_completion *d);
DBX_API void dbx_serving_completion_free(dbx_serving_completion *d);
/* Champion / challenger                                                */

/** The traffic split of an endpoint's active config, read back: one row per
 *  served entity (entities without a route read as 0 %). Immutable. */
typedef struct dbx_serving_traffic dbx_serving_traffic;

/**
 * The current routes of endpoint `name` (GET .../{name}): per served entity
 * of the config now serving, its name, model, version and percentage.
 * An endpoint with no deployed config yet has no rows.
 * Ownership: *out is caller-owned, freed with dbx_serving_traffic_free(); NULL on failure.
 */
DBX_API dbx_status dbx_serving_traffic_get(dbx_serving_traffic **out, dbx_client *c, const char *name);
DBX_API void dbx_serving_traffic_free(dbx_serving_traffic *t);
/* Accessors: strings borrowed from t ("" out of range), percentages 0 out of range. */
DBX_API size_t dbx_serving_traffic_count(const dbx_serving_traffic *t);
/** The served entity's name ("fraud-2"). */
DBX_API const char *dbx_serving_traffic_entity(const dbx_serving_traffic *t, size_t i);
DBX_API const char *dbx_serving_traffic_model(const dbx_serving_traffic *t, size_t i);
DBX_API const char *dbx_serving_traffic_version(const dbx_serving_traffic *t, size_t i);
DBX_API int dbx_serving_traffic_percentage(const dbx_serving_traffic *t, size_t i);
/** The config now serving, as an EndpointCoreConfigInput JSON object (served
 *  entities with their settings, and the routes): what dbx_serving_rollback
 *  or dbx_serving_config_from_json take back. Borrowed. */
DBX_API const char *dbx_serving_traffic_config_json(const dbx_serving_traffic *t);

typedef struct dbx_serving_traffic_options {
    unsigned int version;          /**< DBX_SERVING_TRAFFIC_OPTIONS_VERSION */
    int no_wait;                   /**< non-zero: return once the update is accepted (IN_PROGRESS) */
    const dbx_wait_options *wait;  /**< the wait until READY / NOT_UPDATING (NULL: defaults, 20 min) */
} dbx_serving_traffic_options;

#define DBX_SERVING_TRAFFIC_OPTIONS_VERSION 1
#define DBX_SERVING_TRAFFIC_OPTIONS_INIT {DBX_SERVING_TRAFFIC_OPTIONS_VERSION, 0, NULL}

/**
 * Split traffic between two served entities of endpoint `name`: the config
 * is updated (PUT .../config) keeping every served entity as it is, with
 * routes champion = 100 - challenger_pct, challenger = challenger_pct and
 * 0 for any other entity. Then (unless opts->no_wait) waits as
 * dbx_serving_wait_ready. The old config keeps serving during the update.
 * Errors: DBX_EINVAL (empty or equal names, challenger_pct outside 0..100;
 * before any I/O), DBX_ENOTFOUND naming champion or challenger when the
 * endpoint serves no such entity, the errors of update and wait.
 * Ownership: `out` may be NULL; else the last endpoint snapshot (as
 * dbx_serving_wait_ready; the update's answer with no_wait).
 */
DBX_API dbx_status dbx_serving_traffic_shift(dbx_serving_endpoint **out, dbx_client *c, const char *name,
                                             const char *champion, const char *challenger, int challenger_pct,
                                             const dbx_serving_traffic_options *opts);

typedef struct dbx_serving_promote_options {
    unsigned int version;          /**< DBX_SERVING_PROMOTE_OPTIONS_VERSION */
    /** Non-zero: the other served entities stay in the config at 0 %;
     *  0 (default): they are removed, only the challenger stays. */
    int keep_others;
    const dbx_wait_options *wait;  /**< the wait until READY (NULL: defaults) */
    /** The registry alias to move to the challenger's version (e.g.
     *  "champion"); NULL: no alias is moved. */
    const char *alias;
    /** The model whose alias moves; NULL: the challenger's entity_name. */
    const char *model_name;
    dbx_registry_t registry;       /**< which registry (DBX_REGISTRY_DEFAULT: the client option, else by the name's shape) */
    /** Workspace models: move the challenger's version to this stage
     *  ("Production"), archiving the versions in it. NULL: none. */
    const char *stage;
} dbx_serving_promote_options;

#define DBX_SERVING_PROMOTE_OPTIONS_VERSION 1
#define DBX_SERVING_PROMOTE_OPTIONS_INIT {DBX_SERVING_PROMOTE_OPTIONS_VERSION, 0, NULL, NULL, NULL, DBX_REGISTRY_DEFAULT, NULL}

/** What dbx_serving_promote did, with what dbx_serving_rollback needs. Immutable. */
typedef struct dbx_serving_promotion dbx_serving_promotion;

/**
 * Promote served entity `challenger` of endpoint `name`: update the config
 * so that it takes 100 % (the others kept at 0 % or removed: opts), wait
 * until READY, then (opts->alias) point the alias at the challenger's
 * version (dbx_registry_alias_set) and (opts->stage) transition the stage.
 * The previous config and the alias's previous version are kept in the
 * result for dbx_serving_rollback. `opts` may be NULL (no alias, others removed).
 * Errors: DBX_EINVAL (before any I/O), DBX_ENOTFOUND naming challenger,
 * DBX_EBADRESPONSE (an entity_version that is not a number, with an alias),
 * the errors of update, wait, alias and stage calls. When a later step
 * fails the earlier ones stay done (the config stays promoted): the
 * error message says which step failed.
 * Ownership: `out` may be NULL; *out freed with dbx_serving_promotion_free(); NULL on failure.
 */
DBX_API dbx_status dbx_serving_promote(dbx_serving_promotion **out, dbx_client *c, const char *name,
                                       const char *challenger, const dbx_serving_promote_options *opts);
DBX_API void dbx_serving_promotion_free(dbx_serving_promotion *p);
/** The endpoint once promoted (READY). Borrowed from p. */
DBX_API const dbx_serving_endpoint *dbx_serving_promotion_endpoint(const dbx_serving_promotion *p);
/** The config before the promotion, EndpointCoreConfigInput JSON (persist it;
 *  dbx_serving_config_from_json makes it a config again). Borrowed. */
DBX_API const char *dbx_serving_promotion_previous_config_json(const dbx_serving_promotion *p);
/** The model and alias moved ("" when none), the version it points at now,
 *  and the version it pointed at before (0: the alias did not exist). */
DBX_API const char *dbx_serving_promotion_model(const dbx_serving_promotion *p);
DBX_API const char *dbx_serving_promotion_alias(const dbx_serving_promotion *p);
DBX_API int64_t dbx_serving_promotion_alias_version(const dbx_serving_promotion *p);
DBX_API int64_t dbx_serving_promotion_previous_alias_version(const dbx_serving_promotion *p);

typedef struct dbx_serving_rollback_options {
    unsigned int version;          /**< DBX_SERVING_ROLLBACK_OPTIONS_VERSION */
    const dbx_wait_options *wait;  /**< the wait until READY (NULL: defaults) */
    /** Move this alias of model_name back: to alias_version when > 0, or
     *  delete it when 0 (it did not exist before). NULL: no alias change. */
    const char *alias;
    const char *model_name;        /**< required with alias */
    dbx_registry_t registry;
    int64_t alias_version;
} dbx_serving_rollback_options;

#define DBX_SERVING_ROLLBACK_OPTIONS_VERSION 1
#define DBX_SERVING_ROLLBACK_OPTIONS_INIT {DBX_SERVING_ROLLBACK_OPTIONS_VERSION, NULL, NULL, NULL, DBX_REGISTRY_DEFAULT, 0}

/**
 * Restore a previous config of endpoint `name` (PUT .../config with
 * `previous`, from dbx_serving_promotion_previous_config_json or any saved
 * config), wait until READY, then move the alias back (opts).
 * Ownership: `out` may be NULL; else the last endpoint snapshot (as wait_ready).
 */
DBX_API dbx_status dbx_serving_rollback(dbx_serving_endpoint **out, dbx_client *c, const char *name,
                                        const dbx_serving_config *previous, const dbx_serving_rollback_options *opts);

/** Rollback of a promotion in one call: its previous config and alias version. */
DBX_API dbx_status dbx_serving_rollback_promotion(dbx_serving_endpoint **out, dbx_client *c, const char *name,
                                                  const dbx_serving_promotion *p, const dbx_wait_options *wait);

/* ------------------------------------------------------------------ */
/* Metrics (GET /api/2.0/serving-endpoints/{name}/metrics)              */

/** A metric family's type, from its "# TYPE" line (untyped without one). */
typedef enum dbx_metric_type {
    DBX_METRIC_UNTYPED = 0,
    DBX_METRIC_COUNTER,
    DBX_METRIC_GAUGE,
    DBX_METRIC_HISTOGRAM,
    DBX_METRIC_SUMMARY
} dbx_metric_type;

/** "counter", "gauge", "histogram", "summary", "untyped". Static. */
DBX_API const char *dbx_metric_type_name(dbx_metric_type t);

/** Samples of a Prometheus text exposition (format 0.0.4). Immutable. */
typedef struct dbx_serving_metrics dbx_serving_metrics;

/**
 * The endpoint's metrics (GET .../{name}/metrics), parsed: one sample per
 * line "name{label="value",...} value [timestamp]", in order. The parser is
 * bounded (lines of at most 64 KiB, 64 labels per sample, 1,000,000
 * samples), not recursive, and reads escapes in label values (\\ \" \n);
 * comments, HELP lines and blank lines are skipped. A malformed line fails
 * the call with DBX_EBADRESPONSE naming its line number.
 * Ownership: *out freed with dbx_serving_metrics_free(); NULL on failure.
 */
DBX_API dbx_status dbx_serving_metrics_get(dbx_serving_metrics **out, dbx_client *c, const char *name);
/** The same parser on text the caller has (len bytes; no client: read the
 *  error detail with dbx_client_last_error(NULL)). DBX_EINVAL for NULL
 *  arguments, DBX_EBADRESPONSE for malformed text. */
DBX_API dbx_status dbx_serving_metrics_parse(dbx_serving_metrics **out, const char *text, size_t len);
DBX_API void dbx_serving_metrics_free(dbx_serving_metrics *m);

/* Accessors: strings borrowed from m ("" out of range), NULL m reads as empty. */
DBX_API size_t dbx_serving_metrics_count(const dbx_serving_metrics *m);
/** The sample's name as written ("request_latency_ms_bucket"). */
DBX_API const char *dbx_serving_metrics_name(const dbx_serving_metrics *m, size_t i);
/** The type of its family (a histogram's _bucket, _sum and _count samples,
 *  a summary's _sum and _count, are of the histogram / summary). */
DBX_API dbx_metric_type dbx_serving_metrics_type(const dbx_serving_metrics *m, size_t i);
/** The value: NaN, +Inf and -Inf as Prometheus spells them; NaN out of range. */
DBX_API double dbx_serving_metrics_value(const dbx_serving_metrics *m, size_t i);
/** 1 when the sample carries a timestamp (ms since the epoch), then in *ms. */
DBX_API int dbx_serving_metrics_timestamp(const dbx_serving_metrics *m, size_t i, int64_t *ms);
DBX_API size_t dbx_serving_metrics_label_count(const dbx_serving_metrics *m, size_t i);
DBX_API const char *dbx_serving_metrics_label_key(const dbx_serving_metrics *m, size_t i, size_t j);
DBX_API const char *dbx_serving_metrics_label_value(const dbx_serving_metrics *m, size_t i, size_t j);
/** The value of label `key` of sample i, or NULL when it has none. */
DBX_API const char *dbx_serving_metrics_label(const dbx_serving_metrics *m, size_t i, const char *key);
/**
 * The index of the first sample named `name` whose label `label_key` is
 * `label_value` (label_key NULL: any labels; label_value NULL: any value of
 * label_key), or -1 when none.
 */
DBX_API long dbx_serving_metrics_find(const dbx_serving_metrics *m, const char *name, const char *label_key,
                                      const char *label_value);
/** The sum of the values of every such sample (0 when none). */
DBX_API double dbx_serving_metrics_sum(const dbx_serving_metrics *m, const char *name, const char *label_key,
                                       const char *label_value);

/* ------------------------------------------------------------------ */
/* Batch scoring and the boolean accessor                               */

/** Prediction i as a boolean: JSON true / false, or the numbers 1 / 0;
 *  `fallback` for anything else (and out of range). */
DBX_API int dbx_serving_result_bool(const dbx_serving_result *r, size_t i, int fallback);

typedef struct dbx_serving_batch_options {
    unsigned int version;  /**< DBX_SERVING_BATCH_OPTIONS_VERSION */
    long timeout_ms;       /**< per request, as dbx_serving_query_options (0: 300000) */
    int max_parallel;      /**< requests in flight at once (0: 4; at most 16) */
    /** The body size of one request (0: DBX_SERVING_MAX_PAYLOAD_BYTES; larger
     *  values are lowered to it). */
    size_t max_bytes_per_request;
} dbx_serving_batch_options;

#define DBX_SERVING_BATCH_OPTIONS_VERSION 1
#define DBX_SERVING_BATCH_OPTIONS_INIT {DBX_SERVING_BATCH_OPTIONS_VERSION, 0, 0, 0}

/**
 * Score a large input in several requests: its rows are split into chunks
 * whose bodies stay under the payload limit (and, when max_rows_per_request
 * > 0, of at most that many rows), sent in parallel (bounded by
 * opts->max_parallel, on the calling thread), and the predictions are
 * returned in input order as one result (the dbx_serving_result accessors;
 * served_model_name is that of the first chunk, latency_ms the whole call).
 * Every chunk carries the input's params and client_request_id.
 * Errors: DBX_EINVAL (an incomplete input; a row whose body alone exceeds
 * the limit, naming the row; checked before any I/O), a chunk's error
 * (the first failed chunk in input order; the others are not reported),
 * DBX_EBADRESPONSE when an answer's "predictions" has not one entry per row.
 * Ownership: *out freed with dbx_serving_result_free(); NULL on failure.
 */
DBX_API dbx_status dbx_serving_query_batch(dbx_serving_result **out, dbx_client *c, const char *name,
                                           const dbx_serving_input *in, size_t max_rows_per_request,
                                           const dbx_serving_batch_options *opts);

DBX_END_DECL

#endif /* DBX_SERVING_H */
