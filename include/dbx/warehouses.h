/*
 * libdbx - SQL warehouses (/api/2.0/sql/warehouses).
 *
 * A SQL warehouse is the compute that runs SQL statements (sql.h). Create,
 * edit, get, list, start, stop and delete it; wait until it is RUNNING or
 * STOPPED with your own deadline. Starting an operation and waiting for it
 * are separate calls, as in clusters.h.
 *
 * Thread-safety: functions taking a dbx_client may be called from any
 * thread. Result objects are immutable and may be read from many threads.
 * Specs (dbx_warehouse_spec) and iterators are used by one thread at a time.
 *
 * Errors common to every call: DBX_EINVAL (NULL or empty required argument,
 * invalid UTF-8, an invalid spec; checked before any I/O), the HTTP-derived
 * codes of errors.h (a missing warehouse is DBX_ENOTFOUND; a name that is
 * taken is DBX_EEXISTS; start/stop/edit of a deleted warehouse is
 * DBX_EINVALIDSTATE; a value the service refuses is DBX_EINVALIDPARAM),
 * DBX_ETRANSPORT, DBX_ETIMEOUT, DBX_EBADRESPONSE, DBX_ENOMEM.
 */
#ifndef DBX_WAREHOUSES_H
#define DBX_WAREHOUSES_H

#include "common.h"
#include "errors.h"

DBX_BEGIN_DECL

/* ------------------------------------------------------------------ */
/* Enums                                                                */

/** Warehouse state. Values the server adds later map to
 *  DBX_WAREHOUSE_STATE_UNKNOWN; dbx_warehouse_state_str() keeps the raw text. */
typedef enum dbx_warehouse_state {
    DBX_WAREHOUSE_STATE_UNKNOWN = 0,
    DBX_WAREHOUSE_STATE_STARTING,
    DBX_WAREHOUSE_STATE_RUNNING,
    DBX_WAREHOUSE_STATE_STOPPING,
    DBX_WAREHOUSE_STATE_STOPPED,
    DBX_WAREHOUSE_STATE_DELETING,
    DBX_WAREHOUSE_STATE_DELETED
} dbx_warehouse_state_t;

/** Server spelling of a state ("RUNNING"); "UNKNOWN" for out-of-range values. Static. */
DBX_API const char *dbx_warehouse_state_name(dbx_warehouse_state_t state);

/** health.status. An absent health object or a value the server adds later
 *  is DBX_WAREHOUSE_HEALTH_UNKNOWN; dbx_warehouse_health_status_str() keeps the text. */
typedef enum dbx_warehouse_health {
    DBX_WAREHOUSE_HEALTH_UNKNOWN = 0,
    DBX_WAREHOUSE_HEALTH_HEALTHY,
    DBX_WAREHOUSE_HEALTH_DEGRADED,
    DBX_WAREHOUSE_HEALTH_FAILED
} dbx_warehouse_health_t;

/** Server spelling ("FAILED"); "UNKNOWN" for out-of-range values. Static. */
DBX_API const char *dbx_warehouse_health_name(dbx_warehouse_health_t health);

/* ------------------------------------------------------------------ */
/* Warehouse spec (create / edit input)                                 */

/**
 * The writable fields of a warehouse (the body of create and edit), under
 * construction. Build it with the setters or from JSON; it is copied when
 * sent, so one spec may serve many calls. Setters replace previous values;
 * every string is copied.
 *
 * Checked locally (setters, from_json, and again by create/edit): JSON
 * types of the known fields; min_num_clusters >= 1; max_num_clusters
 * 1..40 and >= min_num_clusters; auto_stop_mins 0 (never) or >= 10;
 * enable_serverless_compute true needs warehouse_type "PRO"; name shorter
 * than 100 characters; tags.custom_tags an array of {key, value} strings
 * with distinct keys. Enum texts (cluster_size, warehouse_type,
 * spot_instance_policy, channel.name) are passed through unchecked, so
 * values the service adds later work; the service refuses unknown ones
 * (DBX_EINVALIDPARAM). Unknown fields pass through untouched.
 *
 * Errors of spec functions: DBX_EINVAL (with the JSON path of the problem
 * in the message), DBX_ENOMEM. They take no client, so their error detail
 * is read with dbx_client_last_error(NULL).
 */
typedef struct dbx_warehouse_spec dbx_warehouse_spec;

/** New empty spec. Caller frees with dbx_warehouse_spec_free(). */
DBX_API dbx_status dbx_warehouse_spec_new(dbx_warehouse_spec **out);

/** New spec from a JSON object of EndpointInfo's writable fields
 *  ({"name":"etl","cluster_size":"Small",...}), validated as above. A
 *  repeated key: the last one wins (as jansson and the service read it). */
DBX_API dbx_status dbx_warehouse_spec_from_json(dbx_warehouse_spec **out, const char *json);

DBX_API void dbx_warehouse_spec_free(dbx_warehouse_spec *spec);

/** Unique among the workspace's warehouses, 1..99 characters. */
DBX_API dbx_status dbx_warehouse_spec_set_name(dbx_warehouse_spec *spec, const char *name);
/** "2X-Small", "X-Small", "Small", "Medium", "Large", "X-Large", "2X-Large",
 *  "3X-Large", "4X-Large" or "5X-Large". */
DBX_API dbx_status dbx_warehouse_spec_set_cluster_size(dbx_warehouse_spec *spec, const char *size);
/** Scaling range: 1 <= min_clusters <= max_clusters <= 40. */
DBX_API dbx_status dbx_warehouse_spec_set_num_clusters(dbx_warehouse_spec *spec, int min_clusters,
                                                       int max_clusters);
/** Idle minutes before the warehouse stops by itself: 0 never, else >= 10. */
DBX_API dbx_status dbx_warehouse_spec_set_auto_stop_mins(dbx_warehouse_spec *spec, int minutes);
DBX_API dbx_status dbx_warehouse_spec_set_enable_photon(dbx_warehouse_spec *spec, int enable);
/** Serverless compute; needs warehouse_type "PRO" (checked when both are known). */
DBX_API dbx_status dbx_warehouse_spec_set_enable_serverless_compute(dbx_warehouse_spec *spec, int enable);
/** "PRO" or "CLASSIC". */
DBX_API dbx_status dbx_warehouse_spec_set_warehouse_type(dbx_warehouse_spec *spec, const char *type);
/** "COST_OPTIMIZED" or "RELIABILITY_OPTIMIZED". */
DBX_API dbx_status dbx_warehouse_spec_set_spot_instance_policy(dbx_warehouse_spec *spec, const char *policy);
/** channel.name ("CHANNEL_NAME_CURRENT", "CHANNEL_NAME_PREVIEW", ...) and
 *  channel.dbsql_version (NULL: not sent; used with CHANNEL_NAME_CUSTOM). */
DBX_API dbx_status dbx_warehouse_spec_set_channel(dbx_warehouse_spec *spec, const char *name,
                                                  const char *dbsql_version);
/** Add or replace one entry of tags.custom_tags (key non-empty). */
DBX_API dbx_status dbx_warehouse_spec_set_tag(dbx_warehouse_spec *spec, const char *key,
                                              const char *value);
/**
 * Set any top-level field from JSON text, for fields without a setter:
 * dbx_warehouse_spec_set_json(s, "tags", "{\"custom_tags\":[]}").
 * Errors: DBX_EINVAL for invalid JSON or a value that breaks the rules above.
 */
DBX_API dbx_status dbx_warehouse_spec_set_json(dbx_warehouse_spec *spec, const char *field,
                                               const char *json);
/** The spec as compact JSON. Caller frees with dbx_free(). */
DBX_API dbx_status dbx_warehouse_spec_to_json(char **out, const dbx_warehouse_spec *spec);

/* ------------------------------------------------------------------ */
/* Warehouse (result)                                                   */

/** EndpointInfo as returned by get/list. Immutable. */
typedef struct dbx_warehouse dbx_warehouse;

DBX_API void dbx_warehouse_free(dbx_warehouse *wh);

/* Accessors. Strings are borrowed from the warehouse ("" when absent, never
 * NULL); numbers are 0 when absent. NULL `wh` reads as an empty warehouse. */
DBX_API const char *dbx_warehouse_id(const dbx_warehouse *wh);
DBX_API const char *dbx_warehouse_name(const dbx_warehouse *wh);
DBX_API dbx_warehouse_state_t dbx_warehouse_state(const dbx_warehouse *wh);
DBX_API const char *dbx_warehouse_state_str(const dbx_warehouse *wh);
DBX_API const char *dbx_warehouse_cluster_size(const dbx_warehouse *wh);
/** Clusters running now (0 while stopped). */
DBX_API int dbx_warehouse_num_clusters(const dbx_warehouse *wh);
DBX_API int dbx_warehouse_min_num_clusters(const dbx_warehouse *wh);
DBX_API int dbx_warehouse_max_num_clusters(const dbx_warehouse *wh);
DBX_API int dbx_warehouse_auto_stop_mins(const dbx_warehouse *wh);
/** 1 true, 0 false or absent. */
DBX_API int dbx_warehouse_enable_photon(const dbx_warehouse *wh);
DBX_API int dbx_warehouse_enable_serverless_compute(const dbx_warehouse *wh);
DBX_API const char *dbx_warehouse_warehouse_type(const dbx_warehouse *wh);
DBX_API const char *dbx_warehouse_spot_instance_policy(const dbx_warehouse *wh);
/** channel.name and channel.dbsql_version. */
DBX_API const char *dbx_warehouse_channel_name(const dbx_warehouse *wh);
DBX_API const char *dbx_warehouse_channel_dbsql_version(const dbx_warehouse *wh);
DBX_API const char *dbx_warehouse_creator_name(const dbx_warehouse *wh);
/** health.status, its raw text, health.summary, health.details, and
 *  health.failure_reason.code / .type ("" when absent). */
DBX_API dbx_warehouse_health_t dbx_warehouse_health_status(const dbx_warehouse *wh);
DBX_API const char *dbx_warehouse_health_status_str(const dbx_warehouse *wh);
DBX_API const char *dbx_warehouse_health_summary(const dbx_warehouse *wh);
DBX_API const char *dbx_warehouse_health_details(const dbx_warehouse *wh);
DBX_API const char *dbx_warehouse_health_failure_code(const dbx_warehouse *wh);
DBX_API const char *dbx_warehouse_health_failure_type(const dbx_warehouse *wh);
/** odbc_params: hostname, path ("/sql/1.0/warehouses/<id>"), port, protocol. */
DBX_API const char *dbx_warehouse_odbc_hostname(const dbx_warehouse *wh);
DBX_API const char *dbx_warehouse_odbc_path(const dbx_warehouse *wh);
DBX_API int dbx_warehouse_odbc_port(const dbx_warehouse *wh);
DBX_API const char *dbx_warehouse_odbc_protocol(const dbx_warehouse *wh);
DBX_API const char *dbx_warehouse_jdbc_url(const dbx_warehouse *wh);
/** The value of tags.custom_tags entry `key`, or NULL when there is none. */
DBX_API const char *dbx_warehouse_custom_tag(const dbx_warehouse *wh, const char *key);
/** The whole EndpointInfo as compact JSON, for fields without an accessor. Borrowed. */
DBX_API const char *dbx_warehouse_json(const dbx_warehouse *wh);

/* ------------------------------------------------------------------ */
/* Operations                                                           */

/**
 * Create a warehouse (POST /api/2.0/sql/warehouses). The spec needs name
 * and cluster_size. The service starts it at once (STARTING); wait with
 * dbx_warehouses_wait_running().
 * Ownership: *id is caller-owned, freed with dbx_free(); NULL on failure.
 * Not retried after a connection failure or a 500 (it could create twice);
 * retried on 429/503, where the server did not process it.
 */
DBX_API dbx_status dbx_warehouses_create(char **id, dbx_client *c, const dbx_warehouse_spec *spec);

/** Change a warehouse (POST .../{id}/edit): the fields in `spec` replace
 *  the stored ones. A deleted warehouse: DBX_EINVALIDSTATE. */
DBX_API dbx_status dbx_warehouses_edit(dbx_client *c, const char *id, const dbx_warehouse_spec *spec);

/** Get a warehouse (GET .../{id}). Caller frees *out with dbx_warehouse_free(). */
DBX_API dbx_status dbx_warehouses_get(dbx_warehouse **out, dbx_client *c, const char *id);

/** Start a warehouse (POST .../{id}/start); a no-op when it is already
 *  starting or running. Returns once the service accepted it. Retried on
 *  failures (it is idempotent). */
DBX_API dbx_status dbx_warehouses_start(dbx_client *c, const char *id);

/** Stop a warehouse (POST .../{id}/stop); a no-op when already stopping or
 *  stopped. Retried on failures (it is idempotent). */
DBX_API dbx_status dbx_warehouses_stop(dbx_client *c, const char *id);

/** Delete a warehouse (DELETE .../{id}): DELETING, then DELETED. */
DBX_API dbx_status dbx_warehouses_delete(dbx_client *c, const char *id);

/* ------------------------------------------------------------------ */
/* Listing                                                              */

typedef struct dbx_warehouses_list_options {
    unsigned int version; /**< DBX_WAREHOUSES_LIST_OPTIONS_VERSION */
    int page_size;        /**< page_size sent; 0 = server default */
    long max_items;       /**< stop after this many; 0 = all */
} dbx_warehouses_list_options;

#define DBX_WAREHOUSES_LIST_OPTIONS_VERSION 1
#define DBX_WAREHOUSES_LIST_OPTIONS_INIT {DBX_WAREHOUSES_LIST_OPTIONS_VERSION, 0, 0}

typedef struct dbx_warehouses_iter dbx_warehouses_iter;

/**
 * Start listing warehouses (GET /api/2.0/sql/warehouses, following
 * next_page_token). No request is made until the first
 * dbx_warehouses_iter_next(). `opts` may be NULL. The iterator holds a
 * reference on the client and at most one page in memory. Caller frees
 * with dbx_warehouses_iter_free().
 * Errors: DBX_EINVAL (bad options version, negative sizes).
 */
DBX_API dbx_status dbx_warehouses_list(dbx_warehouses_iter **out, dbx_client *c,
                                       const dbx_warehouses_list_options *opts);

/**
 * Next warehouse: DBX_OK with *item set, DBX_DONE at the end, or an error.
 * After an error, calling again retries the same page.
 * Ownership: *item is borrowed, valid until the next _next or _free.
 */
DBX_API dbx_status dbx_warehouses_iter_next(const dbx_warehouse **item, dbx_warehouses_iter *it);

DBX_API void dbx_warehouses_iter_free(dbx_warehouses_iter *it);

/* ------------------------------------------------------------------ */
/* Waiters                                                              */

/**
 * Poll until the warehouse is RUNNING (GET .../{id} with backoff, until
 * `opts->timeout_ms`, default 20 min). STARTING and STOPPING keep waiting.
 * Fails fast with DBX_ESTATE on STOPPED (start it first: the service moves
 * a started warehouse to STARTING at once, as the official SDKs assume),
 * DELETING, DELETED, and on health FAILED in any state; the message
 * carries the state, the health summary and the failure reason code, and
 * the error record's error_code is the failure reason code when there is
 * one. Health DEGRADED is not a failure. `opts` may be NULL.
 *
 * Ownership: `out` may be NULL. When given, *out receives the last snapshot
 * on DBX_OK and also on DBX_ESTATE, DBX_ETIMEOUT and DBX_ECANCELLED (NULL when
 * no poll succeeded); the caller frees it with dbx_warehouse_free().
 * Errors: DBX_ESTATE, DBX_ETIMEOUT, DBX_ECANCELLED (on_poll returned
 * non-zero), or the error of a failed poll (DBX_ENOTFOUND, ...).
 */
DBX_API dbx_status dbx_warehouses_wait_running(dbx_warehouse **out, dbx_client *c, const char *id,
                                               const dbx_wait_options *opts);

/** Poll until the warehouse is STOPPED. STARTING, RUNNING and STOPPING keep
 *  waiting; DELETING and DELETED fail fast with DBX_ESTATE (health is not
 *  looked at: stopping a failed warehouse is fine). As above otherwise. */
DBX_API dbx_status dbx_warehouses_wait_stopped(dbx_warehouse **out, dbx_client *c, const char *id,
                                               const dbx_wait_options *opts);

DBX_END_DECL

#endif /* DBX_WAREHOUSES_H */
