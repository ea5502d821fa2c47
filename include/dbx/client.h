/*
 * libdbx - the client: configuration, authentication, transport, and the
 * generic request escape hatch.
 *
 * A dbx_client is bound to one Databricks workspace. It resolves its
 * configuration the way the official Databricks SDKs do:
 *
 *   1. explicit options (this struct, or dbx_client_options_set),
 *   2. DATABRICKS_* environment variables (and ARM_* for Azure),
 *   3. a profile of the config file (~/.databrickscfg, or
 *      DATABRICKS_CONFIG_FILE; profile from options, DATABRICKS_CONFIG_PROFILE,
 *      else [DEFAULT]).
 *
 * The config file is not read when the host and credentials are fully given
 * already and no profile is named. Attribute names are those of the SDKs:
 *
 *   key                    environment variable          meaning
 *   host                   DATABRICKS_HOST               workspace URL
 *   token                  DATABRICKS_TOKEN              personal access token
 *   client_id              DATABRICKS_CLIENT_ID          OAuth M2M client id
 *   client_secret          DATABRICKS_CLIENT_SECRET      OAuth M2M secret
 *   azure_client_id        ARM_CLIENT_ID                 Entra app (client) id
 *   azure_client_secret    ARM_CLIENT_SECRET             Entra client secret
 *   azure_tenant_id        ARM_TENANT_ID                 Entra tenant (else discovered)
 *   azure_environment      ARM_ENVIRONMENT               PUBLIC, USGOVERNMENT, CHINA
 *   azure_login_url        AZURE_AUTHORITY_HOST          Entra login base URL override
 *   auth_type              DATABRICKS_AUTH_TYPE          pat, oauth-m2m, azure-client-secret
 *   profile                DATABRICKS_CONFIG_PROFILE     config file section
 *   config_file            DATABRICKS_CONFIG_FILE        config file path
 *   http_timeout_seconds   DATABRICKS_HTTP_TIMEOUT_SECONDS   per-request timeout (60)
 *   retry_timeout_seconds  DATABRICKS_RETRY_TIMEOUT_SECONDS  total retry budget (300)
 *   skip_verify            DATABRICKS_SKIP_VERIFY        true: no TLS verification
 *   ca_bundle              DATABRICKS_CA_BUNDLE          PEM file of trusted CAs
 *   proxy                  (https_proxy, http_proxy, all_proxy, no_proxy: read once)
 *   product                -                             "name/version" for User-Agent
 *   log_level              DBX_LOG                       error, warn, info, debug, trace
 *   registry_uri           MLFLOW_REGISTRY_URI           MLflow registry: databricks, databricks-uc
 *
 * Authentication: `auth_type` forces one method; otherwise the first whose
 * attributes are present wins, in the SDKs' order: pat (token), oauth-m2m
 * (client_id + client_secret), azure-client-secret (azure_client_id +
 * azure_client_secret, with an Azure host or a tenant id).
 *
 * Thread-safety: a client may be shared by any number of threads for every
 * request function. Its configuration is immutable after dbx_client_new; a
 * mutex-guarded pool gives each in-flight call its own libcurl handle (each
 * keeping its connections alive); OAuth tokens are refreshed by one thread
 * at a time. libdbx starts no threads of its own. Callbacks (log_fn,
 * on_poll) run on the calling thread and must be reentrant.
 */
#ifndef DBX_CLIENT_H
#define DBX_CLIENT_H

#include "common.h"
#include "errors.h"

DBX_BEGIN_DECL

/* ------------------------------------------------------------------ */
/* Global initialisation                                                */

/**
 * Initialise libdbx's dependencies (libcurl). Reference-counted: every call
 * must be matched by dbx_global_cleanup(). dbx_client_new() calls it for you
 * when you did not, but libcurl's global init is only thread-safe on builds
 * with its "threadsafe" feature, so a program that creates clients on
 * several threads at once should call it first, from main().
 * Errors: DBX_ETRANSPORT when libcurl cannot be initialised.
 */
DBX_API dbx_status dbx_global_init(void);

/** Release what dbx_global_init() set up, once the count reaches zero.
 *  Call it exactly once per successful dbx_global_init(): clients hold
 *  their own reference, and an extra call would take theirs away. */
DBX_API void dbx_global_cleanup(void);

/* ------------------------------------------------------------------ */
/* Logging                                                              */

typedef enum dbx_log_level {
    DBX_LOG_OFF = 0,
    DBX_LOG_ERROR = 1,
    DBX_LOG_WARN = 2,
    DBX_LOG_INFO = 3,
    DBX_LOG_DEBUG = 4, /**< one line per HTTP request/response, retries, token refreshes */
    DBX_LOG_TRACE = 5  /**< also headers and (truncated) bodies */
} dbx_log_level;

typedef enum dbx_log_category {
    DBX_LOGCAT_GENERAL = 0,
    DBX_LOGCAT_HTTP_REQUEST = 1,
    DBX_LOGCAT_HTTP_RESPONSE = 2,
    DBX_LOGCAT_RETRY = 3,
    DBX_LOGCAT_AUTH = 4,
    DBX_LOGCAT_WAIT = 5
} dbx_log_category;

/**
 * Log callback. `msg` is valid during the call only. Secrets are redacted
 * before the callback sees them: the Authorization header, tokens, client
 * secrets, and JSON fields whose names look like token/secret/password.
 * Called on the thread that made the request; must be reentrant.
 */
typedef void (*dbx_log_fn)(dbx_log_level level, dbx_log_category category, const char *msg,
                           void *payload);

/**
 * Throttle callback: the server answered 429 (Too Many Requests) to
 * `method` `path` (the path without its query string), and the call will be
 * retried after `delay_ms` (Retry-After honoured); `attempt` is the number
 * of the attempt that was refused (1 = the first). Called on the thread
 * that made the request, before it sleeps; must be reentrant and quick.
 * For metrics and back-pressure (slow down a producer).
 */
typedef void (*dbx_throttle_fn)(const char *method, const char *path, int attempt, long delay_ms,
                                void *payload);

/* ------------------------------------------------------------------ */
/* Client options                                                       */

typedef enum dbx_auth_type {
    DBX_AUTH_AUTO = 0,            /**< choose from the attributes present */
    DBX_AUTH_PAT = 1,             /**< "pat" */
    DBX_AUTH_OAUTH_M2M = 2,       /**< "oauth-m2m" */
    DBX_AUTH_AZURE_CLIENT_SECRET = 3, /**< "azure-client-secret" */
    DBX_AUTH_NONE = 4             /**< send no credentials (tests, proxies that add them) */
} dbx_auth_type;

/**
 * Client options. Zero (NULL) means "not set here": the attribute is then
 * taken from the environment or the config file, else its default.
 * Strings are copied by dbx_client_new(); the struct may be discarded after.
 *
 * Initialise with DBX_CLIENT_OPTIONS_INIT or dbx_client_options_init().
 * Fields are only ever appended.
 */
typedef struct dbx_client_options {
    unsigned int version; /**< DBX_CLIENT_OPTIONS_VERSION */

    const char *host;
    dbx_auth_type auth_type;
    const char *token;
    const char *client_id;
    const char *client_secret;
    const char *azure_client_id;
    const char *azure_client_secret;
    const char *azure_tenant_id;
    const char *azure_environment;
    const char *azure_login_url;
    const char *profile;
    const char *config_file;

    long http_timeout_ms;    /**< per attempt; default 60000 */
    long connect_timeout_ms; /**< default 30000 */
    long retry_timeout_ms;   /**< total budget for retries of one call; default 300000 */
    int max_attempts;        /**< attempts per call, retries included; 0 = DBX_DEFAULT_MAX_ATTEMPTS (10); 1 = never retry */
    long retry_initial_delay_ms; /**< first backoff; default 1000 (doubling, with jitter) */
    long retry_max_delay_ms;     /**< longest backoff; default 10000 (a longer Retry-After is honoured) */

    const char *ca_bundle;   /**< PEM bundle; default: the system store */
    int insecure_skip_verify; /**< non-zero disables TLS verification: local tests only */
    const char *proxy;       /**< default: the environment as libcurl reads it (https_proxy /
                                  HTTPS_PROXY, http_proxy, all_proxy, no_proxy), read once
                                  when the client is made (not at all with no_env) */
    const char *product;     /**< "name/version" appended to the User-Agent:
                                  "libdbx/0.1.0 libcurl/7.88.1 os/linux auth/pat name/version" */

    dbx_log_fn log_fn;       /**< NULL: log to stderr if log_level (or DBX_LOG) is set */
    void *log_payload;
    dbx_log_level log_level; /**< 0: from DBX_LOG, else off */

    int no_env;              /**< non-zero: ignore environment variables */
    int no_config_file;      /**< non-zero: never read a config file */

    void *_owned;            /**< private: strings owned through dbx_client_options_set */

    /* version 2 */
    /** Largest response body held in memory, counted after decompression
     *  (a small gzip body can inflate to gigabytes). A longer one fails with
     *  DBX_ETOOLARGE and is not retried; streamed bodies (write_fn) are not
     *  limited. 0: DBX_DEFAULT_MAX_RESPONSE_BYTES (64 MiB); at most
     *  DBX_MAX_RESPONSE_BYTES_LIMIT (2 GiB - 1). */
    long long max_response_bytes;
    /** Non-zero: accept an http:// host that is not loopback (credentials
     *  then cross the network in clear). Off: such a host is DBX_ECONFIG. */
    int insecure_allow_http;

    /* version 3 */
    /** MLflow model registry to use by default: "databricks" (the workspace
     *  registry) or "databricks-uc" (Unity Catalog), as MLflow's
     *  MLFLOW_REGISTRY_URI. NULL: from MLFLOW_REGISTRY_URI, the config
     *  file key registry_uri, else chosen by the model name's shape. */
    const char *registry_uri;
    /** Retry budget of one MLflow call (/api/2.0/mlflow/ *), for 429 and
     *  503 answers and the other retryable failures; default 900000
     *  (15 min: MLflow endpoints are rate-limited per workspace). */
    long mlflow_retry_timeout_ms;
    /** First backoff of MLflow calls; default 2000 (doubling, with jitter). */
    long mlflow_retry_initial_delay_ms;
    /** Longest backoff of MLflow calls; default 60000 (a longer Retry-After is honoured). */
    long mlflow_retry_max_delay_ms;
    /** Called before each retry after a 429 (any call; see dbx_throttle_fn).
     *  Set with dbx_client_options_set_throttle(). */
    dbx_throttle_fn throttle_fn;
    void *throttle_payload;
} dbx_client_options;

#define DBX_DEFAULT_MAX_RESPONSE_BYTES (64LL << 20)
#define DBX_MAX_RESPONSE_BYTES_LIMIT (2147483647LL)
/** Attempts per call when max_attempts is 0 (retries included). */
#define DBX_DEFAULT_MAX_ATTEMPTS 10

#define DBX_CLIENT_OPTIONS_VERSION 3
#define DBX_CLIENT_OPTIONS_INIT                                                        \
    {DBX_CLIENT_OPTIONS_VERSION, NULL, DBX_AUTH_AUTO, NULL, NULL, NULL, NULL, NULL, NULL, \
     NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, NULL, 0, NULL, NULL, NULL, NULL,           \
     DBX_LOG_OFF, 0, 0, NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL}

/**
 * Initialise `opts` to defaults for the given DBX_CLIENT_OPTIONS_VERSION.
 * Errors: DBX_EINVAL for a NULL pointer or a version newer than the library.
 */
DBX_API dbx_status dbx_client_options_init(dbx_client_options *opts, unsigned int version);

/**
 * Set one option by its key (the table above, plus "http_timeout_ms",
 * "connect_timeout_ms", "retry_timeout_ms", "max_attempts",
 * "retry_initial_delay_ms", "retry_max_delay_ms", "no_env",
 * "no_config_file", and with version 3 "registry_uri",
 * "mlflow_retry_timeout_ms", "mlflow_retry_initial_delay_ms",
 * "mlflow_retry_max_delay_ms"). Numbers and booleans are given as text ("30", "true").
 * This is how bindings configure a client without mirroring the struct.
 *
 * Ownership: `value` is copied into storage owned by `opts`; release it with
 * dbx_client_options_dispose(). A NULL value unsets the option.
 * Errors: DBX_EINVAL for an unknown key or a malformed number (the message
 * names the key, never the value).
 */
DBX_API dbx_status dbx_client_options_set(dbx_client_options *opts, const char *key,
                                          const char *value);

/** Free the strings dbx_client_options_set() copied. The struct itself is yours. */
DBX_API void dbx_client_options_dispose(dbx_client_options *opts);

/**
 * A heap-allocated options struct of this library's latest version,
 * initialised to defaults: for bindings, which then never need to know the
 * struct's size or layout (set fields with dbx_client_options_set() and
 * dbx_client_options_set_log()).
 * Ownership: *out is caller-owned, freed with dbx_client_options_free()
 * (which also releases the strings set by name). Errors: DBX_EINVAL, DBX_ENOMEM.
 */
DBX_API dbx_status dbx_client_options_new(dbx_client_options **out);

/** Dispose and free an options struct from dbx_client_options_new(). NULL is a no-op. */
DBX_API void dbx_client_options_free(dbx_client_options *opts);

/**
 * Set the log callback and its payload (the one option that is not text).
 * `fn` NULL removes it. The callback must stay callable for the lifetime of
 * every client made from these options; see dbx_log_fn for the threads it
 * is called on. Errors: DBX_EINVAL for NULL or uninitialised opts.
 */
DBX_API dbx_status dbx_client_options_set_log(dbx_client_options *opts, dbx_log_fn fn, void *payload);

/**
 * Set the throttle callback (see dbx_throttle_fn) and its payload. `fn`
 * NULL removes it. Needs options version 3.
 * Errors: DBX_EINVAL for NULL, uninitialised or older opts.
 */
DBX_API dbx_status dbx_client_options_set_throttle(dbx_client_options *opts, dbx_throttle_fn fn,
                                                   void *payload);

/* ------------------------------------------------------------------ */
/* Client                                                               */

/**
 * Create a client. `opts` may be NULL (everything from the environment and
 * the config file). Resolution, validation and the choice of auth method
 * happen here; no network request is made (OAuth tokens are fetched on the
 * first call that needs one).
 *
 * Ownership: *out is caller-owned, freed with dbx_client_free().
 * Errors: DBX_ECONFIG when the host or credentials are missing, the profile
 * does not exist, or attributes conflict (the message names the attribute,
 * never its value); DBX_EINVAL for bad arguments. Detail:
 * dbx_client_last_error(NULL).
 */
DBX_API dbx_status dbx_client_new(dbx_client **out, const dbx_client_options *opts);

/**
 * Free a client. NULL is a no-op. Objects that came from the client
 * (results, iterators) keep what they need: iterators hold a reference, so
 * freeing the client first is safe in any order (garbage-collected bindings).
 * No call on the client may be in flight on another thread.
 */
DBX_API void dbx_client_free(dbx_client *client);

/** Resolved host, e.g. "https://adb-1.2.azuredatabricks.net". Borrowed. */
DBX_API const char *dbx_client_host(const dbx_client *client);

/** Resolved auth method, e.g. "pat", "oauth-m2m", "azure-client-secret". Borrowed, static. */
DBX_API const char *dbx_client_auth_type(const dbx_client *client);

/**
 * Where an attribute came from: "option", "env", "config", "default" or
 * NULL when unset. For diagnostics ("token came from env"); never a value.
 */
DBX_API const char *dbx_client_config_source(const dbx_client *client, const char *key);

/* ------------------------------------------------------------------ */
/* Generic requests (escape hatch)                                      */

/** An HTTP response. Immutable; read it from any thread. */
typedef struct dbx_response dbx_response;

/** HTTP status code of the response. */
DBX_API int dbx_response_status(const dbx_response *resp);

/** Body, NUL-terminated for convenience. Borrowed. `len` may be NULL. */
DBX_API const char *dbx_response_body(const dbx_response *resp, size_t *len);

/** Value of a response header (case-insensitive name), or NULL. Borrowed. */
DBX_API const char *dbx_response_header(const dbx_response *resp, const char *name);

/** Free a response. NULL is a no-op. */
DBX_API void dbx_response_free(dbx_response *resp);

/**
 * Per-request options for dbx_request_ex(). Zero means default.
 */
typedef struct dbx_request_options {
    unsigned int version;       /**< DBX_REQUEST_OPTIONS_VERSION */
    const char *const *headers; /**< NULL-terminated "Name: value" lines, or NULL */
    const char *content_type;   /**< default "application/json" when a body is given */
    const void *body;           /**< request body, or NULL */
    size_t body_len;            /**< 0 with a body: strlen(body) */
    int no_auth;                /**< non-zero: send no credentials (presigned URLs) */
    int idempotent;             /**< 1: safe to retry after a failure mid-flight,
                                     -1: never; 0: by method (GET and HEAD only) */
    long timeout_ms;            /**< per attempt; 0 = the client's */
    int follow_redirects;       /**< non-zero: follow 3xx (credentials only to the same origin) */
    /** Stream the response body instead of buffering it. Return the number
     *  of bytes consumed; anything else aborts with DBX_ECANCELLED. A
     *  streamed request is never retried once bytes were delivered. */
    size_t (*write_fn)(const char *data, size_t len, void *payload);
    void *write_payload;
} dbx_request_options;

#define DBX_REQUEST_OPTIONS_VERSION 1
#define DBX_REQUEST_OPTIONS_INIT \
    {DBX_REQUEST_OPTIONS_VERSION, NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL}

/**
 * Send any request to the workspace through the client's pipeline:
 * authentication, User-Agent, retries with backoff, logging, error mapping.
 * For endpoints libdbx does not wrap yet.
 *
 * `method` is "GET", "POST", "PUT", "PATCH", "DELETE" or "HEAD". `path` is
 * relative to the host and may carry a query ("/api/2.1/clusters/get?cluster_id=x");
 * an absolute http(s) URL is accepted only for another host with no_auth set.
 * `body_json` may be NULL; when given it must be valid JSON (checked before
 * sending).
 *
 * Ownership: on DBX_OK *out is a new response, freed with dbx_response_free().
 * A non-2xx answer is a failure: *out is NULL and the status and detail come
 * from the HTTP status and the error body (dbx_client_last_error).
 * Retries: 429 and 503 always (honouring Retry-After); connection failures
 * and 500/504 only for idempotent methods. Thread-safe.
 */
DBX_API dbx_status dbx_request(dbx_response **out, dbx_client *client, const char *method,
                               const char *path, const char *body_json);

/** dbx_request() with per-request options (headers, raw bodies, auth off,
 *  idempotency, timeout, redirects, streaming). `opts` may be NULL. */
DBX_API dbx_status dbx_request_ex(dbx_response **out, dbx_client *client, const char *method,
                                  const char *path, const dbx_request_options *opts);

/* ------------------------------------------------------------------ */
/* Waiting                                                              */

/** Initialise wait options to defaults. Errors: DBX_EINVAL. */
DBX_API dbx_status dbx_wait_options_init(dbx_wait_options *opts, unsigned int version);

DBX_END_DECL

#endif /* DBX_CLIENT_H */
