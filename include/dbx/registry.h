/*
 * libdbx - MLflow model registries: the workspace registry
 * (/api/2.0/mlflow/registered-models/ *, /api/2.0/mlflow/model-versions/ *)
 * and Unity Catalog models (/api/2.1/unity-catalog/models..., plus the
 * MLflow "unity-catalog" endpoints that only MLflow clients use:
 * /api/2.0/mlflow/unity-catalog/...), behind one API.
 *
 * Choosing the registry. Every call takes a dbx_registry right after the
 * client:
 *  - DBX_REGISTRY_WORKSPACE: the workspace registry (names "fraud");
 *  - DBX_REGISTRY_UC: Unity Catalog (names "catalog.schema.model");
 *  - DBX_REGISTRY_DEFAULT: the client option `registry_uri` ("databricks"
 *    -> workspace, "databricks-uc" -> UC; env MLFLOW_REGISTRY_URI, as
 *    MLflow reads it); when it is unset, by the name's shape: three
 *    non-empty dot-separated parts -> UC, anything else -> workspace.
 *    Calls without a model name (dbx_registry_models_search) then use the
 *    workspace registry unless opts->catalog_name is set.
 * A call that exists in one registry only fails with DBX_ENOTIMPLEMENTED
 * (before any I/O, the message naming the registry) when asked of the
 * other: stages, stage transitions and latest versions are workspace-only;
 * finalize and the UC registration are UC-only.
 *
 * Shared results. Both registries answer with dbx_registered_model and
 * dbx_model_version objects; the accessors hide the differences: version
 * numbers are int64 in both (the workspace registry's strings are parsed
 * strictly: a version that is not a decimal integer fails the call that
 * received it with DBX_EBADRESPONSE), description means the workspace
 * `description` or the UC `comment`, timestamps are epoch ms in both.
 *
 * Thread-safety: functions taking a dbx_client may be called from any
 * thread. Result objects are immutable and may be read from many threads;
 * iterators are used by one thread at a time.
 *
 * Errors common to every call: DBX_EINVAL (NULL or empty required argument,
 * a UC name that is not three parts, a version < 1, an invalid stage or
 * alias: checked before any I/O), DBX_ENOTIMPLEMENTED (a call the chosen
 * registry does not have), DBX_ENOTFOUND (unknown model or version:
 * RESOURCE_DOES_NOT_EXIST), DBX_EEXISTS (duplicate model:
 * RESOURCE_ALREADY_EXISTS), DBX_EINVALIDPARAM (the server refused a value:
 * INVALID_PARAMETER_VALUE), DBX_ERATELIMITED (429 after the MLflow retry
 * budget), DBX_ETRANSPORT, DBX_ETIMEOUT, DBX_EBADRESPONSE, DBX_ENOMEM.
 * Every request goes through the MLflow retry policy (see mlflow.h).
 */
#ifndef DBX_REGISTRY_H
#define DBX_REGISTRY_H

#include "common.h"
#include "errors.h"

DBX_BEGIN_DECL

/* ------------------------------------------------------------------ */
/* Enums and small input types                                          */

/** Which model registry a call addresses. */
typedef enum dbx_registry {
    DBX_REGISTRY_DEFAULT = 0,   /**< client option registry_uri, else by the name's shape */
    DBX_REGISTRY_WORKSPACE = 1, /**< the workspace model registry */
    DBX_REGISTRY_UC = 2         /**< Unity Catalog models */
} dbx_registry_t;

/** Static name of a registry: "workspace", "uc", "default"; "unknown" otherwise. */
DBX_API const char *dbx_registry_name(dbx_registry_t reg);

/** ModelVersionStatus. Values the server adds later (and UC's
 *  MODEL_VERSION_STATUS_UNKNOWN) map to _UNKNOWN; the raw text is kept. */
typedef enum dbx_model_version_status {
    DBX_MODEL_VERSION_STATUS_UNKNOWN = 0,
    DBX_MODEL_VERSION_STATUS_PENDING_REGISTRATION,
    DBX_MODEL_VERSION_STATUS_READY,
    DBX_MODEL_VERSION_STATUS_FAILED_REGISTRATION
} dbx_model_version_status_t;

/** Server spelling ("READY"); "UNKNOWN" for out-of-range values. Static. */
DBX_API const char *dbx_model_version_status_name(dbx_model_version_status_t status);

/** A tag given to a create call. Both strings are required and copied. */
typedef struct dbx_registry_tag {
    const char *key;   /**< <= 250 bytes on the server */
    const char *value; /**< <= 5000 bytes on the server */
} dbx_registry_tag;

/* ------------------------------------------------------------------ */
/* Registered model (result)                                            */

/** A registered model: the workspace RegisteredModel (or
 *  registered_model_databricks), the UC RegisteredModelInfo, or the UC
 *  legacy RegisteredModel. Immutable; free with dbx_registered_model_free(). */
typedef struct dbx_registered_model dbx_registered_model;

DBX_API void dbx_registered_model_free(dbx_registered_model *m);

/* Accessors. Strings are borrowed from the model ("" when absent, never
 * NULL, unless noted); numbers are 0 when absent. */

/** The registry the model came from (WORKSPACE or UC). */
DBX_API dbx_registry_t dbx_registered_model_registry(const dbx_registered_model *m);
/** The name to address the model with: "fraud" (workspace) or
 *  "catalog.schema.model" (UC, the full name). */
DBX_API const char *dbx_registered_model_name(const dbx_registered_model *m);
/** UC parts ("" for the workspace registry). */
DBX_API const char *dbx_registered_model_catalog_name(const dbx_registered_model *m);
DBX_API const char *dbx_registered_model_schema_name(const dbx_registered_model *m);
/** workspace `description` / UC `comment`. */
DBX_API const char *dbx_registered_model_description(const dbx_registered_model *m);
/** workspace `user_id` / UC `owner`. */
DBX_API const char *dbx_registered_model_owner(const dbx_registered_model *m);
/** UC `storage_location` ("" for the workspace registry). */
DBX_API const char *dbx_registered_model_storage_location(const dbx_registered_model *m);
/** Epoch ms: creation_timestamp / created_at and last_updated_timestamp / updated_at. */
DBX_API int64_t dbx_registered_model_creation_timestamp(const dbx_registered_model *m);
DBX_API int64_t dbx_registered_model_last_updated_timestamp(const dbx_registered_model *m);
/** Number of aliases, then alias i and its version (NULL / -1 when i is out of range).
 *  UC answers carry aliases only when asked (get does ask). */
DBX_API size_t dbx_registered_model_alias_count(const dbx_registered_model *m);
DBX_API const char *dbx_registered_model_alias(const dbx_registered_model *m, size_t i);
DBX_API int64_t dbx_registered_model_alias_version(const dbx_registered_model *m, size_t i);
/** Tags: count, key/value of entry i (NULL when out of range), value of
 *  `key` (NULL when missing). UC's native answers carry no tags. */
DBX_API size_t dbx_registered_model_tag_count(const dbx_registered_model *m);
DBX_API const char *dbx_registered_model_tag_key(const dbx_registered_model *m, size_t i);
DBX_API const char *dbx_registered_model_tag_value(const dbx_registered_model *m, size_t i);
DBX_API const char *dbx_registered_model_tag(const dbx_registered_model *m, const char *key);
/** The whole model object as compact JSON (latest_versions, permission_level, ...). */
DBX_API const char *dbx_registered_model_json(const dbx_registered_model *m);

/* ------------------------------------------------------------------ */
/* Model version (result)                                               */

/** A model version: the workspace ModelVersion (or model_version_databricks),
 *  the UC ModelVersionInfo, or the UC legacy ModelVersion. Immutable; free
 *  with dbx_model_version_free(). */
typedef struct dbx_model_version dbx_model_version;

DBX_API void dbx_model_version_free(dbx_model_version *v);

DBX_API dbx_registry_t dbx_model_version_registry(const dbx_model_version *v);
/** The model's name: "fraud" or "catalog.schema.model" (UC full name). */
DBX_API const char *dbx_model_version_name(const dbx_model_version *v);
/** The version number (>= 1) in both registries. */
DBX_API int64_t dbx_model_version_version(const dbx_model_version *v);
DBX_API dbx_model_version_status_t dbx_model_version_status(const dbx_model_version *v);
/** Raw status text ("READY"). */
DBX_API const char *dbx_model_version_status_str(const dbx_model_version *v);
/** Why registration failed or is pending ("" when none). */
DBX_API const char *dbx_model_version_status_message(const dbx_model_version *v);
/** Workspace stage, canonical: "None", "Staging", "Production", "Archived".
 *  NULL for UC (no stages). */
DBX_API const char *dbx_model_version_stage(const dbx_model_version *v);
/** workspace `description` / UC `comment`. */
DBX_API const char *dbx_model_version_description(const dbx_model_version *v);
/** The artifact URI the version was registered from ("runs:/<id>/model", ...). */
DBX_API const char *dbx_model_version_source(const dbx_model_version *v);
DBX_API const char *dbx_model_version_run_id(const dbx_model_version *v);
/** UC storage_location (where the files live); "" for the workspace registry. */
DBX_API const char *dbx_model_version_storage_location(const dbx_model_version *v);
/** workspace `user_id` / UC `created_by`. */
DBX_API const char *dbx_model_version_user_id(const dbx_model_version *v);
/** Epoch ms: creation_timestamp / created_at, last_updated_timestamp / updated_at. */
DBX_API int64_t dbx_model_version_creation_timestamp(const dbx_model_version *v);
DBX_API int64_t dbx_model_version_last_updated_timestamp(const dbx_model_version *v);
/** Aliases pointing at this version: count and alias i (NULL when out of range). */
DBX_API size_t dbx_model_version_alias_count(const dbx_model_version *v);
DBX_API const char *dbx_model_version_alias(const dbx_model_version *v, size_t i);
/** Tags, as dbx_registered_model_tag_*. */
DBX_API size_t dbx_model_version_tag_count(const dbx_model_version *v);
DBX_API const char *dbx_model_version_tag_key(const dbx_model_version *v, size_t i);
DBX_API const char *dbx_model_version_tag_value(const dbx_model_version *v, size_t i);
DBX_API const char *dbx_model_version_tag(const dbx_model_version *v, const char *key);
/** The whole version object as compact JSON. */
DBX_API const char *dbx_model_version_json(const dbx_model_version *v);

/* ------------------------------------------------------------------ */
/* Registered models                                                    */

typedef struct dbx_registry_model_create_options {
    unsigned int version;         /**< DBX_REGISTRY_MODEL_CREATE_OPTIONS_VERSION */
    const char *description;      /**< workspace description / UC comment; NULL: none */
    const dbx_registry_tag *tags; /**< NULL or n_tags entries */
    size_t n_tags;
    const char *storage_location; /**< UC only (NULL: the schema's default);
                                       DBX_ENOTIMPLEMENTED for the workspace registry */
} dbx_registry_model_create_options;

#define DBX_REGISTRY_MODEL_CREATE_OPTIONS_VERSION 1
#define DBX_REGISTRY_MODEL_CREATE_OPTIONS_INIT \
    {DBX_REGISTRY_MODEL_CREATE_OPTIONS_VERSION, NULL, NULL, 0, NULL}

/**
 * Create a registered model. Workspace: POST registered-models/create.
 * UC: POST /api/2.1/unity-catalog/models (catalog and schema must exist),
 * then, when tags are given, one legacy set-tag per tag (UC's native create
 * takes no tags). `opts` may be NULL.
 * Ownership: `out` may be NULL; else caller frees *out with dbx_registered_model_free().
 * Errors: DBX_EEXISTS for a duplicate name; as at the top of this file.
 */
DBX_API dbx_status dbx_registry_model_create(dbx_registered_model **out, dbx_client *c,
                                             dbx_registry_t reg, const char *name,
                                             const dbx_registry_model_create_options *opts);

/** Get a model. Workspace: GET registered-models/get (the MLflow shape,
 *  which carries aliases; latest_versions are in _json). UC:
 *  GET /api/2.1/unity-catalog/models/{full_name}?include_aliases=true.
 *  Caller frees *out with dbx_registered_model_free(). */
DBX_API dbx_status dbx_registry_model_get(dbx_registered_model **out, dbx_client *c,
                                          dbx_registry_t reg, const char *name);

/**
 * Rename a model. Workspace: POST registered-models/rename. UC: PATCH
 * /api/2.1/unity-catalog/models/{full_name} with new_name; `new_name` is
 * either the new model part ("fraud2") or a full name in the same catalog
 * and schema (else DBX_EINVAL: UC cannot move a model between schemas).
 * `out` may be NULL.
 */
DBX_API dbx_status dbx_registry_model_rename(dbx_registered_model **out, dbx_client *c,
                                             dbx_registry_t reg, const char *name,
                                             const char *new_name);

/** Set a model's description (workspace PATCH registered-models/update;
 *  UC PATCH models/{full_name} with comment). `description` may be "" to
 *  clear it, not NULL. `out` may be NULL. */
DBX_API dbx_status dbx_registry_model_update(dbx_registered_model **out, dbx_client *c,
                                             dbx_registry_t reg, const char *name,
                                             const char *description);

/** Delete a model and all its versions (workspace DELETE
 *  registered-models/delete; UC DELETE models/{full_name}). */
DBX_API dbx_status dbx_registry_model_delete(dbx_client *c, dbx_registry_t reg, const char *name);

/** Set a tag on a model (workspace registered-models/set-tag; UC the MLflow
 *  path /api/2.0/mlflow/unity-catalog/registered-models/set-tag). */
DBX_API dbx_status dbx_registry_model_set_tag(dbx_client *c, dbx_registry_t reg, const char *name,
                                              const char *key, const char *value);

/** Delete a model's tag (DELETE .../registered-models/delete-tag). */
DBX_API dbx_status dbx_registry_model_delete_tag(dbx_client *c, dbx_registry_t reg,
                                                 const char *name, const char *key);

typedef struct dbx_registry_models_search_options {
    unsigned int version;     /**< DBX_REGISTRY_MODELS_SEARCH_OPTIONS_VERSION */
    const char *filter;       /**< workspace only: "name LIKE '%fraud%'"; NULL: all */
    const char *const *order_by; /**< workspace only: NULL-terminated ("name ASC",
                                      "last_updated_timestamp DESC"), or NULL */
    const char *catalog_name; /**< UC only: list this catalog's schema (with schema_name) */
    const char *schema_name;  /**< UC only: both or neither */
    int page_size;            /**< max_results; 0 = server default */
    long max_items;           /**< stop after this many; 0 = all */
} dbx_registry_models_search_options;

#define DBX_REGISTRY_MODELS_SEARCH_OPTIONS_VERSION 1
#define DBX_REGISTRY_MODELS_SEARCH_OPTIONS_INIT \
    {DBX_REGISTRY_MODELS_SEARCH_OPTIONS_VERSION, NULL, NULL, NULL, NULL, 0, 0}

typedef struct dbx_registered_models_iter dbx_registered_models_iter;

/**
 * Search (workspace: GET registered-models/search) or list (UC: GET
 * /api/2.1/unity-catalog/models, all models the caller may see, or one
 * schema's) registered models, following next_page_token. No request is
 * made until the first _next. `opts` may be NULL. A filter or order_by
 * asked of UC, or a catalog/schema asked of the workspace registry, is
 * DBX_ENOTIMPLEMENTED. Caller frees with dbx_registered_models_iter_free().
 */
DBX_API dbx_status dbx_registry_models_search(dbx_registered_models_iter **out, dbx_client *c,
                                              dbx_registry_t reg,
                                              const dbx_registry_models_search_options *opts);

/** Next model: DBX_OK with *item (borrowed until the next _next or _free),
 *  DBX_DONE, or an error (calling again retries the same page). */
DBX_API dbx_status dbx_registered_models_iter_next(const dbx_registered_model **item,
                                                   dbx_registered_models_iter *it);
DBX_API void dbx_registered_models_iter_free(dbx_registered_models_iter *it);

/* ------------------------------------------------------------------ */
/* Model versions                                                       */

typedef struct dbx_registry_version_create_options {
    unsigned int version;         /**< DBX_REGISTRY_VERSION_CREATE_OPTIONS_VERSION */
    const char *run_id;           /**< NULL: none */
    const char *description;      /**< NULL: none */
    const dbx_registry_tag *tags; /**< NULL or n_tags entries */
    size_t n_tags;
    const char *run_link;         /**< workspace only; NULL: none */
} dbx_registry_version_create_options;

#define DBX_REGISTRY_VERSION_CREATE_OPTIONS_VERSION 1
#define DBX_REGISTRY_VERSION_CREATE_OPTIONS_INIT \
    {DBX_REGISTRY_VERSION_CREATE_OPTIONS_VERSION, NULL, NULL, NULL, 0, NULL}

/**
 * Create a version of an existing model from `source`, an artifact URI
 * ("runs:/<run_id>/model", "dbfs:/...").
 * Workspace: POST model-versions/create; the version starts
 * PENDING_REGISTRATION and the server copies the files: wait with
 * dbx_registry_version_wait_ready().
 * UC: POST /api/2.0/mlflow/unity-catalog/model-versions/create only; the
 * version stays PENDING_REGISTRATION until its files are uploaded and it is
 * finalized: use dbx_registry_register_uc_version() for the whole flow.
 * Ownership: `out` may be NULL; else caller frees *out with dbx_model_version_free().
 */
DBX_API dbx_status dbx_registry_version_create(dbx_model_version **out, dbx_client *c,
                                               dbx_registry_t reg, const char *name,
                                               const char *source,
                                               const dbx_registry_version_create_options *opts);

/** Get a version (workspace GET model-versions/get; UC GET
 *  models/{full_name}/versions/{v}?include_aliases=true). version >= 1.
 *  Caller frees *out with dbx_model_version_free(). */
DBX_API dbx_status dbx_registry_version_get(dbx_model_version **out, dbx_client *c,
                                            dbx_registry_t reg, const char *name, int64_t version);

/** Set a version's description (workspace PATCH model-versions/update; UC
 *  PATCH .../versions/{v} with comment). "" clears it. `out` may be NULL. */
DBX_API dbx_status dbx_registry_version_update(dbx_model_version **out, dbx_client *c,
                                               dbx_registry_t reg, const char *name,
                                               int64_t version, const char *description);

/** Delete a version (and the aliases pointing at it). */
DBX_API dbx_status dbx_registry_version_delete(dbx_client *c, dbx_registry_t reg,
                                               const char *name, int64_t version);

typedef struct dbx_registry_versions_search_options {
    unsigned int version;        /**< DBX_REGISTRY_VERSIONS_SEARCH_OPTIONS_VERSION */
    const char *filter;          /**< workspace only: "run_id = '...'"; ANDed after the
                                      name condition when a name is given */
    const char *const *order_by; /**< workspace only: NULL-terminated, or NULL */
    int page_size;               /**< max_results; 0 = server default */
    long max_items;              /**< 0 = all */
} dbx_registry_versions_search_options;

#define DBX_REGISTRY_VERSIONS_SEARCH_OPTIONS_VERSION 1
#define DBX_REGISTRY_VERSIONS_SEARCH_OPTIONS_INIT \
    {DBX_REGISTRY_VERSIONS_SEARCH_OPTIONS_VERSION, NULL, NULL, 0, 0}

typedef struct dbx_model_versions_iter dbx_model_versions_iter;

/**
 * Search versions. Workspace: GET model-versions/search with the filter
 * "name = '<name>'" (quotes in the name escaped) when `name` is given,
 * ANDed with opts->filter; `name` may be NULL there. UC: GET
 * models/{full_name}/versions (`name` required; filter/order_by:
 * DBX_ENOTIMPLEMENTED). As dbx_registry_models_search otherwise.
 */
DBX_API dbx_status dbx_registry_versions_search(dbx_model_versions_iter **out, dbx_client *c,
                                                dbx_registry_t reg, const char *name,
                                                const dbx_registry_versions_search_options *opts);

/**
 * Latest READY version per stage (workspace only: POST
 * registered-models/get-latest-versions). `stages`: NULL-terminated stage
 * names (checked locally, case-insensitive), or NULL for every stage. The
 * answer is one page; the iterator makes the request on its first _next.
 */
DBX_API dbx_status dbx_registry_versions_latest(dbx_model_versions_iter **out, dbx_client *c,
                                                dbx_registry_t reg, const char *name,
                                                const char *const *stages);

/** Next version, as dbx_registered_models_iter_next. A version number that
 *  is not an integer fails with DBX_EBADRESPONSE. */
DBX_API dbx_status dbx_model_versions_iter_next(const dbx_model_version **item,
                                                dbx_model_versions_iter *it);
DBX_API void dbx_model_versions_iter_free(dbx_model_versions_iter *it);

/**
 * Move a version to `stage` (workspace only: POST
 * /api/2.0/mlflow/databricks/model-versions/transition-stage). `stage` is
 * "None", "Staging", "Production" or "Archived", case-insensitive (else
 * DBX_EINVAL before any I/O). `archive_existing_versions` non-zero moves the
 * model's other versions in that stage to Archived. `comment` may be NULL.
 * `out` may be NULL.
 */
DBX_API dbx_status dbx_registry_version_transition_stage(dbx_model_version **out, dbx_client *c,
                                                         dbx_registry_t reg, const char *name,
                                                         int64_t version, const char *stage,
                                                         int archive_existing_versions,
                                                         const char *comment);

/** The URI the version's files can be read from (GET
 *  model-versions/get-download-uri; UC: the legacy path). Caller frees
 *  *out with dbx_free(). */
DBX_API dbx_status dbx_registry_version_download_uri(char **out, dbx_client *c, dbx_registry_t reg,
                                                     const char *name, int64_t version);

/** Set / delete a version's tag (model-versions/set-tag, delete-tag; UC the legacy path). */
DBX_API dbx_status dbx_registry_version_set_tag(dbx_client *c, dbx_registry_t reg, const char *name,
                                                int64_t version, const char *key, const char *value);
DBX_API dbx_status dbx_registry_version_delete_tag(dbx_client *c, dbx_registry_t reg,
                                                   const char *name, int64_t version,
                                                   const char *key);

/**
 * Mark a UC version's upload complete (UC only: POST
 * /api/2.0/mlflow/unity-catalog/model-versions/finalize). The server then
 * checks the files and the version becomes READY or FAILED_REGISTRATION:
 * wait with dbx_registry_version_wait_ready(). `out` may be NULL.
 */
DBX_API dbx_status dbx_registry_version_finalize(dbx_model_version **out, dbx_client *c,
                                                 dbx_registry_t reg, const char *name,
                                                 int64_t version);

/**
 * Poll a version until it is READY (dbx_registry_version_get with backoff).
 * PENDING_REGISTRATION keeps waiting; FAILED_REGISTRATION fails fast with
 * DBX_ESTATE, the message carrying the server's status_message. `opts` may
 * be NULL (20 min timeout).
 * Ownership: `out` may be NULL. When given, *out receives the last snapshot
 * on DBX_OK and also on DBX_ESTATE, DBX_ETIMEOUT and DBX_ECANCELLED (NULL
 * when no poll succeeded); the caller frees it with dbx_model_version_free().
 */
DBX_API dbx_status dbx_registry_version_wait_ready(dbx_model_version **out, dbx_client *c,
                                                   dbx_registry_t reg, const char *name,
                                                   int64_t version, const dbx_wait_options *opts);

/* ------------------------------------------------------------------ */
/* Aliases                                                              */

/**
 * Point `alias` at `version`, moving it from any other version (workspace
 * POST registered-models/alias; UC PUT models/{full_name}/aliases/{alias}).
 * Aliases are checked locally: 1..255 bytes of [A-Za-z0-9_-], not "latest"
 * (any case) nor "v<digits>" (reserved): DBX_EINVAL.
 */
DBX_API dbx_status dbx_registry_alias_set(dbx_client *c, dbx_registry_t reg, const char *name,
                                          const char *alias, int64_t version);

/** Remove an alias (workspace DELETE registered-models/alias; UC DELETE .../aliases/{alias}). */
DBX_API dbx_status dbx_registry_alias_delete(dbx_client *c, dbx_registry_t reg, const char *name,
                                             const char *alias);

/** The version an alias points at (workspace GET registered-models/alias;
 *  UC GET .../aliases/{alias}?include_aliases=true). Unknown alias:
 *  DBX_ENOTFOUND. Caller frees *out with dbx_model_version_free(). */
DBX_API dbx_status dbx_registry_version_get_by_alias(dbx_model_version **out, dbx_client *c,
                                                     dbx_registry_t reg, const char *name,
                                                     const char *alias);

/* ------------------------------------------------------------------ */
/* Unity Catalog registration in one call                               */

typedef struct dbx_registry_register_options {
    unsigned int version;         /**< DBX_REGISTRY_REGISTER_OPTIONS_VERSION */
    /** Recorded as the version's source; NULL: "runs:/<run_id>/model" when
     *  run_id is set, else the local directory as a file: URI. */
    const char *source;
    const char *run_id;           /**< NULL: none */
    const char *description;      /**< NULL: none */
    const dbx_registry_tag *tags; /**< version tags; NULL or n_tags entries */
    size_t n_tags;
    /** Non-zero: create the registered model first when it does not exist
     *  (DBX_ENOTFOUND on get). */
    int create_model;
    /** How long to wait for READY after finalize; NULL: 20 min. Its
     *  on_poll also sees each poll. */
    const dbx_wait_options *wait;
    /** Called before each file is uploaded with its path relative to the
     *  directory; non-zero stops with DBX_ECANCELLED. May be NULL. */
    int (*on_file)(void *payload, const char *relpath, int64_t size);
    void *payload;
} dbx_registry_register_options;

#define DBX_REGISTRY_REGISTER_OPTIONS_VERSION 1
#define DBX_REGISTRY_REGISTER_OPTIONS_INIT \
    {DBX_REGISTRY_REGISTER_OPTIONS_VERSION, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL}

/**
 * Register a local MLflow model directory as a new version of the UC model
 * `name` ("catalog.schema.model"), which no official SDK does:
 *  0. locally, before any request: `local_dir`/MLmodel must exist and hold
 *     a `signature:` with `inputs` and `outputs` (UC requires a model
 *     signature); else DBX_EINVAL with a message saying so;
 *  1. (opts->create_model) create the model when it is missing;
 *  2. create the version (POST /api/2.0/mlflow/unity-catalog/model-versions/create);
 *  3. upload every regular file under `local_dir` (recursively, streamed,
 *     one at a time) through the Files API to
 *     /Models/<catalog>/<schema>/<model>/<version>/<relative path>;
 *     symbolic links are skipped; names that are not safe ("..", control
 *     bytes) fail with DBX_EINVAL;
 *  4. finalize (POST .../model-versions/finalize);
 *  5. wait until READY with opts->wait (FAILED_REGISTRATION: DBX_ESTATE
 *     with the server's status_message).
 *
 * Ownership: `out` may be NULL; else *out is the READY version on DBX_OK,
 * the last snapshot on DBX_ESTATE / DBX_ETIMEOUT / DBX_ECANCELLED of the
 * wait, NULL otherwise (free with dbx_model_version_free()).
 * `version` may be NULL; else *version is set to the new version number as
 * soon as step 2 succeeds, and left 0 when the call failed before that. A
 * failure after step 2 (upload, finalize, wait) leaves that version on the
 * server, PENDING_REGISTRATION or FAILED_REGISTRATION: libdbx does not
 * delete it (the caller decides: dbx_registry_version_delete with
 * *version); the error message names the version too.
 * Errors: DBX_EINVAL (no MLmodel / no signature / bad name or options),
 * DBX_ENOTFOUND (model missing and create_model == 0), DBX_ESTATE,
 * DBX_ETIMEOUT, DBX_ECANCELLED, and the errors of the Files API and at the
 * top of this file.
 */
DBX_API dbx_status dbx_registry_register_uc_version(dbx_model_version **out, int64_t *version,
                                                    dbx_client *c, const char *name,
                                                    const char *local_dir,
                                                    const dbx_registry_register_options *opts);

DBX_END_DECL

#endif /* DBX_REGISTRY_H */
