/*
 * libdbx - status codes and error detail.
 *
 * Every fallible function returns a dbx_status. DBX_OK (0) is success,
 * DBX_DONE (1) means "nothing more" (an exhausted iterator), and every error
 * is negative, so `if (rc < 0)` (or DBX_FAILED(rc)) tests for failure.
 *
 * The numbers are stable: the enum only grows, values are never renumbered
 * or removed, so bindings may hard-code them.
 *
 * How an HTTP failure becomes a status: the HTTP status picks the base code,
 * then the Databricks `error_code` refines it (RESOURCE_ALREADY_EXISTS gives
 * DBX_EEXISTS even when a service answers 400), and a few known service
 * quirks are corrected (any Clusters API call answering 400
 * INVALID_PARAMETER_VALUE "Cluster X does not exist", and the Jobs API's
 * "Job X does not exist." / "Run X does not exist." on the calls about that
 * job or run, are DBX_ENOTFOUND). The raw error_code string is
 * always kept in dbx_error.error_code, so you can branch on codes this enum
 * does not know.
 */
#ifndef DBX_ERRORS_H
#define DBX_ERRORS_H

#include "common.h"

DBX_BEGIN_DECL

typedef enum dbx_status {
    DBX_OK = 0,
    DBX_DONE = 1,                /**< not an error: iterator exhausted */
    DBX_ERROR = -1,              /**< unclassified failure */
    DBX_EINVAL = -2,             /**< bad argument, checked before any I/O */
    DBX_ENOMEM = -3,             /**< out of memory */
    DBX_ECONFIG = -4,            /**< missing or conflicting configuration */
    DBX_ETRANSPORT = -5,         /**< DNS, TCP, TLS or HTTP-level failure */
    DBX_ETIMEOUT = -6,           /**< request or wait deadline passed (also HTTP 504) */
    DBX_ECANCELLED = -7,         /**< a callback asked to stop (also HTTP 499) */
    DBX_EBADRESPONSE = -8,       /**< malformed, truncated or unexpected response */
    DBX_EBADREQUEST = -9,        /**< HTTP 400 not refined below */
    DBX_EUNAUTHENTICATED = -10,  /**< HTTP 401 or a failed token exchange */
    DBX_EPERMISSION = -11,       /**< HTTP 403 */
    DBX_ENOTFOUND = -12,         /**< HTTP 404, RESOURCE_DOES_NOT_EXIST, ... */
    DBX_ECONFLICT = -13,         /**< HTTP 409, ABORTED, RESOURCE_CONFLICT */
    DBX_ERATELIMITED = -14,      /**< HTTP 429 / RESOURCE_EXHAUSTED after retries */
    DBX_ESERVER = -15,           /**< HTTP 500 family */
    DBX_ENOTIMPLEMENTED = -16,   /**< HTTP 501, FEATURE_DISABLED */
    DBX_EUNAVAILABLE = -17,      /**< HTTP 503 after retries */
    DBX_ESTATE = -18,            /**< a waiter saw a terminal failure state */
    DBX_EEXISTS = -19,           /**< ALREADY_EXISTS, RESOURCE_ALREADY_EXISTS, *_ALREADY_EXISTS */
    DBX_EINVALIDPARAM = -20,     /**< INVALID_PARAMETER_VALUE, MALFORMED_REQUEST */
    DBX_EINVALIDSTATE = -21,     /**< INVALID_STATE: the resource is in the wrong state */
    DBX_ETOOLARGE = -22          /**< a response exceeded a size limit (max_response_bytes) */
    /* append only */
} dbx_status;

#define DBX_FAILED(rc) ((rc) < 0)

/** Static English description of a status, e.g. "resource not found". Never NULL. */
DBX_API const char *dbx_status_str(int status);

/** Static enum name of a status, e.g. "DBX_ENOTFOUND" (for bindings and logs). Never NULL. */
DBX_API const char *dbx_status_name(int status);

/**
 * Detail of the most recent failure. Filled by every failing call; a call
 * that succeeds leaves status == DBX_OK.
 *
 * The record is transparent but only ever reached through a pointer that
 * the library owns, so fields can be appended without breaking the ABI:
 * check `version` before reading a field added after version 1.
 * Secrets never appear in it: tokens, client secrets and query strings are
 * left out by construction.
 */
typedef struct dbx_error {
    unsigned int version;   /**< DBX_ERROR_VERSION of the library that filled it */
    int status;             /**< a dbx_status */
    int http_status;        /**< 0 when no HTTP response was received */
    const char *error_code; /**< Databricks error_code ("" if none) */
    const char *message;    /**< human-readable, never NULL */
    const char *request_id; /**< server request id ("" if none) */
    const char *method;     /**< e.g. "GET" ("" if no request was made) */
    const char *path;       /**< e.g. "/api/2.1/clusters/get"; no query string */
    int transport_code;     /**< libcurl CURLcode for DBX_ETRANSPORT/DBX_ETIMEOUT, else 0 */
    int attempts;           /**< HTTP attempts made, retries included */
    long retry_after_ms;    /**< last Retry-After seen, -1 if none */
    /* version 2 */
    long waited_ms;         /**< time spent sleeping between attempts (retries) */
} dbx_error;

#define DBX_ERROR_VERSION 2

/**
 * Detail of the last failure on `client` made by the calling thread.
 *
 * Error detail is kept per thread and per client: a client shared by many
 * threads never mixes up their errors. Failures that happen before a client
 * exists (dbx_client_new) are read with dbx_client_last_error(NULL).
 *
 * Never returns NULL: when this thread's last call was on another client or
 * succeeded, the record has status DBX_OK and message "no error".
 * Ownership: borrowed; the strings stay valid until this thread's next
 * libdbx call. Copy what you need to keep.
 */
DBX_API const dbx_error *dbx_client_last_error(const dbx_client *client);

DBX_END_DECL

#endif /* DBX_ERRORS_H */
