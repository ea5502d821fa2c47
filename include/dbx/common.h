/*
 * libdbx - common definitions shared by every public header.
 *
 * Conventions used throughout the API (see docs/conventions.md):
 *  - Every fallible function returns dbx_status (DBX_OK = 0, errors < 0).
 *  - Out parameters come first. A `T **out` receives a new, caller-owned
 *    object on success, freed with dbx_T_free(); on failure *out is NULL.
 *    Every _free function accepts NULL.
 *  - Returned `const` pointers are borrowed from the object they came from
 *    and stay valid until that object is freed (items yielded by an iterator:
 *    until the next _next or _free call on the iterator).
 *  - Inputs are copied before a call returns; libdbx keeps no caller pointer
 *    except callback payloads.
 *  - Buffers the library allocates for you (char * results) are freed with
 *    dbx_free().
 */
#ifndef DBX_COMMON_H
#define DBX_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define DBX_BEGIN_DECL extern "C" {
#define DBX_END_DECL }
#else
#define DBX_BEGIN_DECL
#define DBX_END_DECL
#endif

/* DBX_API marks exported functions. The library is compiled with hidden
 * visibility, so only DBX_API functions leave the shared object. Define
 * DBX_STATIC when linking the static library on Windows. */
#if defined(_WIN32) && !defined(DBX_STATIC)
#if defined(DBX_BUILDING_LIBRARY)
#define DBX_API __declspec(dllexport)
#else
#define DBX_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#define DBX_API __attribute__((visibility("default")))
#else
#define DBX_API
#endif

DBX_BEGIN_DECL

/** A client bound to one Databricks workspace. See client.h. */
typedef struct dbx_client dbx_client;

/**
 * Free a buffer that libdbx allocated and handed to you (for example a
 * cluster id returned by dbx_clusters_create). NULL is a no-op.
 * Never pass such a buffer to free(): libdbx may use another allocator.
 */
DBX_API void dbx_free(void *ptr);

/**
 * Options for functions that wait for a long-running operation
 * (dbx_clusters_wait_running, ...). Zero means default for every field.
 *
 * Initialise with DBX_WAIT_OPTIONS_INIT or dbx_wait_options_init(). New
 * fields are only ever appended; `version` tells the library which fields
 * your code knows about.
 */
typedef int (*dbx_poll_fn)(const char *resource_id, const char *state, void *payload);

typedef struct dbx_wait_options {
    unsigned int version;  /**< DBX_WAIT_OPTIONS_VERSION */
    long timeout_ms;       /**< give up after this long; default 20 min */
    long poll_initial_ms;  /**< first poll interval; default 1000, +1 s per poll */
    long poll_max_ms;      /**< longest poll interval; default 10000 */
    /**
     * Called after every poll with the resource id and the state just seen,
     * on the calling thread. Return non-zero to stop waiting: the waiter then
     * returns DBX_ECANCELLED. This is how bindings honour Ctrl-C. May be NULL.
     */
    dbx_poll_fn on_poll;
    void *payload;         /**< passed to on_poll */
} dbx_wait_options;

#define DBX_WAIT_OPTIONS_VERSION 1
#define DBX_WAIT_OPTIONS_INIT {DBX_WAIT_OPTIONS_VERSION, 0, 0, 0, NULL, NULL}

/**
 * Bytes to upload, read through callbacks (dbx_files_upload, dbx_dbfs_upload,
 * ...). For a local file or memory, the areas offer _file / plain variants
 * that build one of these internally.
 *
 * read:   copy up to `cap` bytes into `buf` and set *n; *n = 0 only at the
 *         end of the data. Return 0, or non-zero to abort the upload (the
 *         call then fails with DBX_ECANCELLED). Called on the calling thread.
 * rewind: go back to the first byte, so that a body can be sent again after
 *         a failure. NULL means the source cannot be re-read: then a body
 *         that has been partly read is never retried (libdbx fails instead
 *         of sending a short or empty file). Return 0 on success.
 * size:   the total number of bytes when known, else -1. A known size lets
 *         libdbx choose the upload protocol up front; the source must then
 *         deliver exactly that many bytes (more or fewer: DBX_EINVAL).
 *
 * Initialise with DBX_SOURCE_INIT; fields are only ever appended.
 */
typedef struct dbx_source {
    unsigned int version; /**< DBX_SOURCE_VERSION */
    int (*read)(void *payload, char *buf, size_t cap, size_t *n);
    int (*rewind)(void *payload);
    void *payload;
    int64_t size;         /**< -1: unknown */
} dbx_source;

#define DBX_SOURCE_VERSION 1
#define DBX_SOURCE_INIT {DBX_SOURCE_VERSION, NULL, NULL, NULL, -1}

/**
 * Receives downloaded bytes in order, on the calling thread (dbx_files_download,
 * dbx_dbfs_download, ...). Return 0 to go on, non-zero to stop: the call then
 * fails with DBX_ECANCELLED. A download that resumes after a dropped
 * connection continues where the sink left off; no byte is delivered twice.
 */
typedef int (*dbx_sink_fn)(void *payload, const char *data, size_t len);

DBX_END_DECL

#endif /* DBX_COMMON_H */
