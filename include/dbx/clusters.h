/*
 * libdbx - Clusters API (/api/2.1/clusters/ *).
 *
 * Pattern shared by every API area:
 *   typed input (a builder, or JSON text validated locally) -> request;
 *   response -> an owned, immutable result object with typed accessors and a
 *   raw-JSON accessor; list calls -> an iterator holding one page; starting
 *   an operation and waiting for it are separate calls.
 *
 * Thread-safety: functions taking a dbx_client may be called from any
 * thread. Result objects are immutable and may be read from many threads.
 * Specs (dbx_cluster_spec) and iterators are used by one thread at a time.
 *
 * Errors common to every call: DBX_EINVAL (NULL or empty required argument,
 * checked before any I/O), the HTTP-derived codes of errors.h (a missing
 * cluster is DBX_ENOTFOUND; an operation in the wrong state is
 * DBX_EINVALIDSTATE), DBX_ETRANSPORT, DBX_ETIMEOUT, DBX_EBADRESPONSE.
 */
#ifndef DBX_CLUSTERS_H
#define DBX_CLUSTERS_H

#include "common.h"
#include "errors.h"

DBX_BEGIN_DECL

/* ------------------------------------------------------------------ */
/* Enums                                                                */

/** Cluster state. Values the server adds later map to DBX_CLUSTER_STATE_UNKNOWN;
 *  dbx_cluster_state_str() keeps the raw text. */
typedef enum dbx_cluster_state {
    DBX_CLUSTER_STATE_UNKNOWN = 0,
    DBX_CLUSTER_STATE_PENDING,
    DBX_CLUSTER_STATE_RUNNING,
    DBX_CLUSTER_STATE_RESTARTING,
    DBX_CLUSTER_STATE_RESIZING,
    DBX_CLUSTER_STATE_TERMINATING,
    DBX_CLUSTER_STATE_TERMINATED,
    DBX_CLUSTER_STATE_ERROR
} dbx_cluster_state_t;

/** Server spelling of a state ("RUNNING"); "UNKNOWN" for out-of-range values. Static. */
DBX_API const char *dbx_cluster_state_name(dbx_cluster_state_t state);

/** Who created a cluster (ClusterSource), for list filters. */
typedef enum dbx_cluster_source {
    DBX_CLUSTER_SOURCE_UI = 1,
    DBX_CLUSTER_SOURCE_API,
    DBX_CLUSTER_SOURCE_JOB,
    DBX_CLUSTER_SOURCE_MODELS,
    DBX_CLUSTER_SOURCE_PIPELINE,
    DBX_CLUSTER_SOURCE_PIPELINE_MAINTENANCE,
    DBX_CLUSTER_SOURCE_SQL
} dbx_cluster_source_t;

/** Sort direction of list and event calls; 0 leaves it to the server. */
typedef enum dbx_sort_direction {
    DBX_SORT_DEFAULT = 0,
    DBX_SORT_ASC = 1,
    DBX_SORT_DESC = 2
} dbx_sort_direction_t;

/* ------------------------------------------------------------------ */
/* Cluster spec (create / edit input)                                   */

/**
 * A cluster specification under construction. Build it with the setters or
 * from JSON; it is copied when sent, so one spec may create many clusters.
 * Setters replace previous values; every string is copied.
 * Errors of setters: DBX_EINVAL (NULL spec/key, out-of-range number),
 * DBX_ENOMEM. Spec functions take no client, so their error detail is read
 * with dbx_client_last_error(NULL); dbx_clusters_create/edit validate the
 * spec again and record problems on the client.
 */
typedef struct dbx_cluster_spec dbx_cluster_spec;

/** New empty spec. Caller frees with dbx_cluster_spec_free(). */
DBX_API dbx_status dbx_cluster_spec_new(dbx_cluster_spec **out);

/**
 * New spec from a ClusterSpec JSON object (the body of clusters/create).
 * Validated locally: must be an object; known fields must have the right
 * JSON type; num_workers and autoscale are exclusive; autoscale needs
 * 0 <= min_workers < max_workers. Unknown fields pass through untouched.
 * Errors: DBX_EINVAL with the JSON path of the problem in the message.
 */
DBX_API dbx_status dbx_cluster_spec_from_json(dbx_cluster_spec **out, const char *json);

DBX_API void dbx_cluster_spec_free(dbx_cluster_spec *spec);

DBX_API dbx_status dbx_cluster_spec_set_spark_version(dbx_cluster_spec *spec, const char *key);
DBX_API dbx_status dbx_cluster_spec_set_cluster_name(dbx_cluster_spec *spec, const char *name);
DBX_API dbx_status dbx_cluster_spec_set_node_type_id(dbx_cluster_spec *spec, const char *id);
DBX_API dbx_status dbx_cluster_spec_set_driver_node_type_id(dbx_cluster_spec *spec, const char *id);
/** Fixed size; clears autoscale. n >= 0 (0 = single node). */
DBX_API dbx_status dbx_cluster_spec_set_num_workers(dbx_cluster_spec *spec, int n);
/** Autoscaling range; clears num_workers. 0 <= min < max (the service's rule). */
DBX_API dbx_status dbx_cluster_spec_set_autoscale(dbx_cluster_spec *spec, int min_workers,
                                                  int max_workers);
/** 0 disables auto-termination; otherwise 10..10000. */
DBX_API dbx_status dbx_cluster_spec_set_autotermination_minutes(dbx_cluster_spec *spec, int minutes);
DBX_API dbx_status dbx_cluster_spec_set_policy_id(dbx_cluster_spec *spec, const char *policy_id);
DBX_API dbx_status dbx_cluster_spec_set_instance_pool_id(dbx_cluster_spec *spec, const char *pool_id);
/** "SINGLE_USER", "USER_ISOLATION", "NONE", ... (server enum text, passed through). */
DBX_API dbx_status dbx_cluster_spec_set_data_security_mode(dbx_cluster_spec *spec, const char *mode);
DBX_API dbx_status dbx_cluster_spec_set_single_user_name(dbx_cluster_spec *spec, const char *user);
/** "STANDARD" or "PHOTON". */
DBX_API dbx_status dbx_cluster_spec_set_runtime_engine(dbx_cluster_spec *spec, const char *engine);
/** Add or replace one entry of spark_conf / spark_env_vars / custom_tags. */
DBX_API dbx_status dbx_cluster_spec_set_spark_conf(dbx_cluster_spec *spec, const char *key,
                                                   const char *value);
DBX_API dbx_status dbx_cluster_spec_set_spark_env_var(dbx_cluster_spec *spec, const char *key,
                                                      const char *value);
DBX_API dbx_status dbx_cluster_spec_set_custom_tag(dbx_cluster_spec *spec, const char *key,
                                                   const char *value);
/**
 * Set any top-level field from JSON text, for fields without a setter
 * (aws_attributes, azure_attributes, init_scripts, ...):
 * dbx_cluster_spec_set_json(s, "azure_attributes", "{\"availability\":\"SPOT_AZURE\"}").
 * Errors: DBX_EINVAL for invalid JSON or a value of the wrong type for a known field.
 */
DBX_API dbx_status dbx_cluster_spec_set_json(dbx_cluster_spec *spec, const char *field,
                                             const char *json);

/**
 * The spec as compact JSON. Caller frees with dbx_free().
 */
DBX_API dbx_status dbx_cluster_spec_to_json(char **out, const dbx_cluster_spec *spec);

/* ------------------------------------------------------------------ */
/* Cluster (result)                                                     */

/** ClusterDetails as returned by get/list. Immutable. */
typedef struct dbx_cluster dbx_cluster;

DBX_API void dbx_cluster_free(dbx_cluster *cluster);

/* Accessors. Strings are borrowed from the cluster ("" when absent, never
 * NULL); numbers are 0 when absent unless noted. */
DBX_API const char *dbx_cluster_id(const dbx_cluster *cl);
DBX_API const char *dbx_cluster_name(const dbx_cluster *cl);
DBX_API dbx_cluster_state_t dbx_cluster_state(const dbx_cluster *cl);
DBX_API const char *dbx_cluster_state_str(const dbx_cluster *cl);
DBX_API const char *dbx_cluster_state_message(const dbx_cluster *cl);
DBX_API const char *dbx_cluster_spark_version(const dbx_cluster *cl);
DBX_API const char *dbx_cluster_node_type_id(const dbx_cluster *cl);
DBX_API const char *dbx_cluster_driver_node_type_id(const dbx_cluster *cl);
/** Target worker count; -1 when the cluster autoscales. */
DBX_API int dbx_cluster_num_workers(const dbx_cluster *cl);
/** Autoscale bounds; returns 0 and sets both to -1 when not autoscaling, 1 otherwise. */
DBX_API int dbx_cluster_autoscale(const dbx_cluster *cl, int *min_workers, int *max_workers);
DBX_API int dbx_cluster_autotermination_minutes(const dbx_cluster *cl);
DBX_API const char *dbx_cluster_creator_user_name(const dbx_cluster *cl);
DBX_API const char *dbx_cluster_source(const dbx_cluster *cl);
/** Epoch milliseconds. */
DBX_API int64_t dbx_cluster_start_time(const dbx_cluster *cl);
DBX_API int64_t dbx_cluster_terminated_time(const dbx_cluster *cl);
/** termination_reason.code / .type ("" when not terminated). */
DBX_API const char *dbx_cluster_termination_code(const dbx_cluster *cl);
DBX_API const char *dbx_cluster_termination_type(const dbx_cluster *cl);
/** One entry of spark_conf / custom_tags, or NULL when absent. */
DBX_API const char *dbx_cluster_spark_conf(const dbx_cluster *cl, const char *key);
DBX_API const char *dbx_cluster_custom_tag(const dbx_cluster *cl, const char *key);
/** The whole ClusterDetails object as compact JSON, for fields without an accessor. */
DBX_API const char *dbx_cluster_json(const dbx_cluster *cl);

/* ------------------------------------------------------------------ */
/* Operations                                                           */

/**
 * Create a cluster (POST /clusters/create). Returns as soon as the server
 * accepts it, in state PENDING; wait with dbx_clusters_wait_running().
 * Requires spark_version in the spec.
 * Ownership: *cluster_id is caller-owned, freed with dbx_free().
 * Not retried after a connection failure or a 500 (it could create twice);
 * retried on 429/503, where the server did not process it.
 */
DBX_API dbx_status dbx_clusters_create(char **cluster_id, dbx_client *c,
                                       const dbx_cluster_spec *spec);

/** Replace a cluster's configuration (POST /clusters/edit). A RUNNING cluster
 *  restarts; a TERMINATED one stays terminated. Other states: DBX_EINVALIDSTATE.
 *  `clone_from` is create-only and is left out of the request. */
DBX_API dbx_status dbx_clusters_edit(dbx_client *c, const char *cluster_id,
                                     const dbx_cluster_spec *spec);

/**
 * Change some fields of a cluster (POST /clusters/update). `update_mask`
 * names the top-level fields to change, comma-separated without blanks
 * ("num_workers,custom_tags"), or "*" to replace the whole spec; a masked
 * field absent from `spec` is unset. State rules as edit.
 * Errors: DBX_EINVAL for a malformed mask (checked locally), else as edit.
 */
DBX_API dbx_status dbx_clusters_update(dbx_client *c, const char *cluster_id,
                                       const char *update_mask, const dbx_cluster_spec *spec);

/** Pin a cluster so that it stays in the list after termination
 *  (POST /clusters/pin; workspace admins only: DBX_EPERMISSION otherwise). */
DBX_API dbx_status dbx_clusters_pin(dbx_client *c, const char *cluster_id);

/** Unpin a cluster (POST /clusters/unpin). */
DBX_API dbx_status dbx_clusters_unpin(dbx_client *c, const char *cluster_id);

/** Get a cluster (GET /clusters/get). Caller frees *out with dbx_cluster_free(). */
DBX_API dbx_status dbx_clusters_get(dbx_cluster **out, dbx_client *c, const char *cluster_id);

/** Start a TERMINATED cluster (POST /clusters/start). */
DBX_API dbx_status dbx_clusters_start(dbx_client *c, const char *cluster_id);

/** Restart a RUNNING cluster (POST /clusters/restart). restart_user may be NULL. */
DBX_API dbx_status dbx_clusters_restart(dbx_client *c, const char *cluster_id,
                                        const char *restart_user);

/** Resize a RUNNING cluster to a fixed size (POST /clusters/resize). */
DBX_API dbx_status dbx_clusters_resize(dbx_client *c, const char *cluster_id, int num_workers);

/** Resize a RUNNING cluster to an autoscaling range (POST /clusters/resize).
 *  0 <= min_workers < max_workers. */
DBX_API dbx_status dbx_clusters_resize_autoscale(dbx_client *c, const char *cluster_id,
                                                 int min_workers, int max_workers);

/** Terminate a cluster (POST /clusters/delete); it can be started again. */
DBX_API dbx_status dbx_clusters_delete(dbx_client *c, const char *cluster_id);

/** Terminate and remove a cluster for good (POST /clusters/permanent-delete). */
DBX_API dbx_status dbx_clusters_permanent_delete(dbx_client *c, const char *cluster_id);

/* ------------------------------------------------------------------ */
/* Listing                                                              */

/** sort_by.field of clusters/list. */
typedef enum dbx_clusters_sort_field {
    DBX_CLUSTERS_SORT_UNSET = 0,        /**< not sent */
    DBX_CLUSTERS_SORT_CLUSTER_NAME = 1, /**< "CLUSTER_NAME" */
    DBX_CLUSTERS_SORT_DEFAULT = 2       /**< "DEFAULT" */
} dbx_clusters_sort_field_t;

typedef struct dbx_clusters_list_options {
    unsigned int version;            /**< DBX_CLUSTERS_LIST_OPTIONS_VERSION */
    int page_size;                   /**< 0 = server default */
    long max_items;                  /**< stop after this many; 0 = all */
    const dbx_cluster_state_t *states; /**< filter_by.cluster_states, or NULL */
    size_t n_states;
    const char *policy_id;           /**< filter_by.policy_id, or NULL */
    /* version 2 */
    const dbx_cluster_source_t *sources; /**< filter_by.cluster_sources, or NULL */
    size_t n_sources;
    int is_pinned;                   /**< filter_by.is_pinned: 0 not sent, 1 true, 2 false */
    dbx_clusters_sort_field_t sort_field;  /**< sort_by.field; 0 not sent */
    dbx_sort_direction_t sort_direction;   /**< sort_by.direction; 0 not sent */
} dbx_clusters_list_options;

#define DBX_CLUSTERS_LIST_OPTIONS_VERSION 2
#define DBX_CLUSTERS_LIST_OPTIONS_INIT \
    {DBX_CLUSTERS_LIST_OPTIONS_VERSION, 0, 0, NULL, 0, NULL, NULL, 0, 0, DBX_CLUSTERS_SORT_UNSET, DBX_SORT_DEFAULT}

typedef struct dbx_clusters_iter dbx_clusters_iter;

/**
 * Start listing clusters (GET /clusters/list, following next_page_token).
 * No request is made until the first dbx_clusters_iter_next(). `opts` may
 * be NULL. The iterator holds a reference on the client and at most one
 * page in memory. Caller frees with dbx_clusters_iter_free().
 */
DBX_API dbx_status dbx_clusters_list(dbx_clusters_iter **out, dbx_client *c,
                                     const dbx_clusters_list_options *opts);

/**
 * Next cluster: DBX_OK with *item set, DBX_DONE at the end, or an error.
 * After an error, calling again retries the same page.
 * Ownership: *item is borrowed, valid until the next _next or _free.
 */
DBX_API dbx_status dbx_clusters_iter_next(const dbx_cluster **item, dbx_clusters_iter *it);

DBX_API void dbx_clusters_iter_free(dbx_clusters_iter *it);

/* ------------------------------------------------------------------ */
/* Events                                                               */

typedef struct dbx_cluster_event dbx_cluster_event;

/** Epoch milliseconds. */
DBX_API int64_t dbx_cluster_event_timestamp(const dbx_cluster_event *ev);
/** EventType text: "CREATING", "RUNNING", "TERMINATING", ... Borrowed. */
DBX_API const char *dbx_cluster_event_type(const dbx_cluster_event *ev);
DBX_API const char *dbx_cluster_event_cluster_id(const dbx_cluster_event *ev);
/** The event's `details` object as JSON ("{}" when absent). Borrowed. */
DBX_API const char *dbx_cluster_event_details_json(const dbx_cluster_event *ev);
/** The whole event as JSON. Borrowed. */
DBX_API const char *dbx_cluster_event_json(const dbx_cluster_event *ev);

typedef struct dbx_cluster_events_options {
    unsigned int version;          /**< DBX_CLUSTER_EVENTS_OPTIONS_VERSION */
    int64_t start_time;            /**< epoch ms; 0 = unset */
    int64_t end_time;              /**< epoch ms; 0 = unset */
    int ascending;                 /**< non-zero: oldest first (same as order = DBX_SORT_ASC;
                                        with order = DBX_SORT_DESC it is DBX_EINVAL) */
    const char *const *event_types; /**< NULL-terminated EventType names, or NULL */
    int page_size;                 /**< 0 = server default (max 500) */
    long max_items;                /**< 0 = all */
    /* version 2 */
    dbx_sort_direction_t order;    /**< `order`; DBX_SORT_DEFAULT: not sent (the service's default is newest first) */
} dbx_cluster_events_options;

#define DBX_CLUSTER_EVENTS_OPTIONS_VERSION 2
#define DBX_CLUSTER_EVENTS_OPTIONS_INIT {DBX_CLUSTER_EVENTS_OPTIONS_VERSION, 0, 0, 0, NULL, 0, 0, DBX_SORT_DEFAULT}

typedef struct dbx_cluster_events_iter dbx_cluster_events_iter;

/** List a cluster's events (POST /clusters/events, paged). As dbx_clusters_list. */
DBX_API dbx_status dbx_clusters_events(dbx_cluster_events_iter **out, dbx_client *c,
                                       const char *cluster_id,
                                       const dbx_cluster_events_options *opts);
DBX_API dbx_status dbx_cluster_events_iter_next(const dbx_cluster_event **item,
                                                dbx_cluster_events_iter *it);
DBX_API void dbx_cluster_events_iter_free(dbx_cluster_events_iter *it);

/* ------------------------------------------------------------------ */
/* Spark versions and node types                                        */

typedef struct dbx_spark_versions dbx_spark_versions;

/** GET /clusters/spark-versions. Caller frees with dbx_spark_versions_free(). */
DBX_API dbx_status dbx_clusters_spark_versions(dbx_spark_versions **out, dbx_client *c);
DBX_API size_t dbx_spark_versions_count(const dbx_spark_versions *v);
/** Key ("13.3.x-scala2.12") and display name of entry i; NULL when i is out of range. */
DBX_API const char *dbx_spark_versions_key(const dbx_spark_versions *v, size_t i);
DBX_API const char *dbx_spark_versions_name(const dbx_spark_versions *v, size_t i);
DBX_API void dbx_spark_versions_free(dbx_spark_versions *v);

typedef struct dbx_node_types dbx_node_types;

/** GET /clusters/list-node-types. Caller frees with dbx_node_types_free(). */
DBX_API dbx_status dbx_clusters_list_node_types(dbx_node_types **out, dbx_client *c);
DBX_API size_t dbx_node_types_count(const dbx_node_types *nt);
/** Entry i (NULL when out of range); strings borrowed from nt. */
DBX_API const char *dbx_node_types_id(const dbx_node_types *nt, size_t i);
DBX_API const char *dbx_node_types_description(const dbx_node_types *nt, size_t i);
DBX_API int dbx_node_types_memory_mb(const dbx_node_types *nt, size_t i);
DBX_API double dbx_node_types_num_cores(const dbx_node_types *nt, size_t i);
/** Entry i as JSON, for fields without an accessor. */
DBX_API const char *dbx_node_types_json(const dbx_node_types *nt, size_t i);
DBX_API void dbx_node_types_free(dbx_node_types *nt);

/* ------------------------------------------------------------------ */
/* Waiters                                                              */

/**
 * Poll until the cluster is RUNNING (GET /clusters/get with backoff).
 * PENDING, RESTARTING and RESIZING keep waiting. TERMINATING, TERMINATED and
 * ERROR fail fast with DBX_ESTATE; the message carries the state message and
 * termination reason. `opts` may be NULL (20 min timeout).
 *
 * Ownership: `out` may be NULL. When given, *out receives the last snapshot
 * on DBX_OK and also on DBX_ESTATE, DBX_ETIMEOUT and DBX_ECANCELLED (NULL when
 * no poll succeeded); the caller frees it with dbx_cluster_free().
 * Errors: DBX_ESTATE, DBX_ETIMEOUT, DBX_ECANCELLED (on_poll returned
 * non-zero), or the error of a failed poll.
 */
DBX_API dbx_status dbx_clusters_wait_running(dbx_cluster **out, dbx_client *c,
                                             const char *cluster_id,
                                             const dbx_wait_options *opts);

/** Poll until the cluster is TERMINATED. ERROR fails with DBX_ESTATE. As above. */
DBX_API dbx_status dbx_clusters_wait_terminated(dbx_cluster **out, dbx_client *c,
                                                const char *cluster_id,
                                                const dbx_wait_options *opts);

DBX_END_DECL

#endif /* DBX_CLUSTERS_H */
