/*
 * libdbx - DBFS API 2.0 (/api/2.0/dbfs/ *).
 *
 * Paths are absolute DBFS paths, "/tmp/x" or "dbfs:/tmp/x" (sent as
 * given). They are checked locally before any I/O: non-empty, valid UTF-8,
 * absolute after an optional "dbfs:" prefix, at most 4096 bytes, without
 * control characters and without "." or ".." segments. A bad path is
 * DBX_EINVAL naming the argument.
 *
 * Files of any size move in blocks of at most 1 MB (the service's limit
 * per call): dbx_dbfs_upload* (create / add-block / close) and
 * dbx_dbfs_download* (get-status, then ranged reads). Memory stays bounded
 * by one block whatever the file's size: one block buffer and one request
 * body (about 1.4 MB of base64) are reused for the whole transfer.
 *
 * Thread-safety: functions taking a dbx_client may be called from any
 * thread. Results are immutable and may be read from many threads;
 * iterators are used by one thread at a time. Callbacks (sources, sinks,
 * progress) run on the calling thread.
 *
 * Errors common to every call: DBX_EINVAL (NULL or malformed argument,
 * checked before any I/O), DBX_ENOTFOUND (RESOURCE_DOES_NOT_EXIST),
 * DBX_EEXISTS (RESOURCE_ALREADY_EXISTS), DBX_EINVALIDPARAM
 * (INVALID_PARAMETER_VALUE), the other HTTP-derived codes of errors.h,
 * DBX_ETRANSPORT, DBX_ETIMEOUT, DBX_EBADRESPONSE, DBX_ENOMEM.
 */
#ifndef DBX_DBFS_H
#define DBX_DBFS_H

#include "common.h"
#include "errors.h"

DBX_BEGIN_DECL

/* ------------------------------------------------------------------ */
/* File info (result)                                                   */

/** A DBFS FileInfo (get-status, list). Immutable. */
typedef struct dbx_dbfs_file_info dbx_dbfs_file_info;

DBX_API void dbx_dbfs_file_info_free(dbx_dbfs_file_info *fi);

/* Accessors. Strings are borrowed from fi ("" when absent, never NULL);
 * numbers are 0 when absent. NULL fi reads as absent. */
/** Absolute path, as the server spells it ("/tmp/x"). */
DBX_API const char *dbx_dbfs_file_info_path(const dbx_dbfs_file_info *fi);
/** 1 for a directory, 0 for a file. */
DBX_API int dbx_dbfs_file_info_is_dir(const dbx_dbfs_file_info *fi);
/** Size in bytes (0 for directories). */
DBX_API int64_t dbx_dbfs_file_info_file_size(const dbx_dbfs_file_info *fi);
/** Last modification, epoch milliseconds. */
DBX_API int64_t dbx_dbfs_file_info_modification_time(const dbx_dbfs_file_info *fi);
/** The whole FileInfo object as compact JSON. Borrowed; NULL only on OOM or NULL fi. */
DBX_API const char *dbx_dbfs_file_info_json(const dbx_dbfs_file_info *fi);

/* ------------------------------------------------------------------ */
/* Metadata                                                             */

/**
 * Status of a file or directory (GET /dbfs/get-status).
 * Ownership: caller frees *out with dbx_dbfs_file_info_free().
 * Errors: DBX_ENOTFOUND when nothing is at `path`.
 */
DBX_API dbx_status dbx_dbfs_get_status(dbx_dbfs_file_info **out, dbx_client *c, const char *path);

typedef struct dbx_dbfs_iter dbx_dbfs_iter;

/**
 * List a directory (GET /dbfs/list; the service answers in one page; a
 * file lists as itself). No request is made until the first
 * dbx_dbfs_iter_next(). The iterator holds a reference on the client and
 * the one answer. Caller frees it with dbx_dbfs_iter_free().
 * Errors (from _next): DBX_ENOTFOUND when nothing is at `path`.
 */
DBX_API dbx_status dbx_dbfs_list(dbx_dbfs_iter **out, dbx_client *c, const char *path);

/**
 * Next entry: DBX_OK with *item set, DBX_DONE at the end, or an error
 * (calling again after an error repeats the request).
 * Ownership: *item is borrowed, valid until the next _next or _free.
 */
DBX_API dbx_status dbx_dbfs_iter_next(const dbx_dbfs_file_info **item, dbx_dbfs_iter *it);

DBX_API void dbx_dbfs_iter_free(dbx_dbfs_iter *it);

/**
 * Create a directory and its missing parents (POST /dbfs/mkdirs). An
 * existing directory is fine, so the call is retried like a GET.
 * Errors: DBX_EEXISTS when a file is in the way.
 */
DBX_API dbx_status dbx_dbfs_mkdirs(dbx_client *c, const char *path);

/**
 * Delete a file or directory (POST /dbfs/delete). A non-empty directory
 * needs `recursive` non-zero (without it the service answers IO_ERROR).
 * A large recursive delete may be cut short by the service with HTTP 503
 * PARTIAL_DELETE, which means "call again": this call then calls again
 * until the delete is complete or the client's retry budget
 * (retry_timeout_ms, default 5 min) is spent; in the latter case it fails
 * with DBX_EUNAVAILABLE and error_code "PARTIAL_DELETE" (part of the tree
 * is gone; calling again continues). Deleting is idempotent, so the call
 * is retried like a GET; a missing path is not an error for the service.
 */
DBX_API dbx_status dbx_dbfs_delete(dbx_client *c, const char *path, int recursive);

/**
 * Move a file or directory (POST /dbfs/move; directories move with their
 * contents). Errors: DBX_ENOTFOUND (no source), DBX_EEXISTS (destination
 * exists).
 */
DBX_API dbx_status dbx_dbfs_move(dbx_client *c, const char *source_path, const char *destination_path);

/* ------------------------------------------------------------------ */
/* Small files                                                          */

/** Largest content dbx_dbfs_put takes (the service's 1 MB block limit). */
#define DBX_DBFS_MAX_BLOCK (1024 * 1024)

/**
 * Write a small file in one call (POST /dbfs/put with base64 contents).
 * `data` may be NULL when len is 0 (an empty file). len <= DBX_DBFS_MAX_BLOCK,
 * checked locally (DBX_EINVAL naming len); use dbx_dbfs_upload for more.
 * Errors: DBX_EEXISTS when the file exists and `overwrite` is 0.
 * Retried on 429/503; after a dropped connection or a 5xx only with
 * `overwrite` (then sending it again is harmless).
 */
DBX_API dbx_status dbx_dbfs_put(dbx_client *c, const char *path, const void *data, size_t len,
                                int overwrite);

/* ------------------------------------------------------------------ */
/* Streamed upload and download                                         */

/**
 * Progress of a transfer: bytes done so far and the total (-1 when not
 * known in advance). Called after every block, on the calling thread;
 * after an upload restarts, `done` starts again from the first block.
 * Return non-zero to stop: the call fails with DBX_ECANCELLED.
 */
typedef int (*dbx_dbfs_progress_fn)(void *payload, uint64_t done, int64_t total);

typedef struct dbx_dbfs_upload_options {
    unsigned int version;      /**< DBX_DBFS_UPLOAD_OPTIONS_VERSION */
    int overwrite;             /**< non-zero: replace an existing file (else DBX_EEXISTS) */
    /**
     * Whole-upload restarts after a failure that may have left the file
     * corrupted (see dbx_dbfs_upload). 0 = the default (2); -1 = never;
     * at most 10. Only a source with a rewind callback is ever restarted.
     */
    int max_restarts;
    dbx_dbfs_progress_fn on_progress; /**< may be NULL */
    void *payload;                    /**< passed to on_progress */
} dbx_dbfs_upload_options;

#define DBX_DBFS_UPLOAD_OPTIONS_VERSION 1
#define DBX_DBFS_UPLOAD_OPTIONS_INIT {DBX_DBFS_UPLOAD_OPTIONS_VERSION, 0, 0, NULL, NULL}

/**
 * Upload from a source of any size: POST /dbfs/create, then add-block with
 * at most DBX_DBFS_MAX_BLOCK bytes each, then close. `opts` may be NULL.
 *
 * add-block appends and is not idempotent: after a dropped connection, a
 * client timeout or a 5xx answer the block may or may not have been
 * appended, so a block is never sent twice. Such a failure (or one of
 * close) ends the attempt: the handle is closed (best effort) and the file
 * deleted; then, when the source has a rewind callback and restarts remain
 * (max_restarts), the whole upload starts again from the rewound source
 * (create again, same overwrite flag); otherwise the call fails with that
 * error. A source without rewind is never retried. Any failed upload
 * closes its handle and deletes the file it created (best effort), so no
 * partial or corrupted file is left under `path`. A create whose answer
 * was lost (connection, 5xx, out of memory) is not restarted; the file it
 * may have made is deleted when `overwrite` is set, and left alone
 * otherwise (it could be another writer's).
 *
 * Errors: DBX_EINVAL (NULL or unusable source; a source delivering more or
 * fewer bytes than its declared size), DBX_ECANCELLED (the source's read
 * or the progress callback stopped it), DBX_EEXISTS (exists, !overwrite),
 * the error of the failed request.
 */
DBX_API dbx_status dbx_dbfs_upload(dbx_client *c, const char *path, const dbx_source *src,
                                   const dbx_dbfs_upload_options *opts);

/**
 * Upload a local file (as dbx_dbfs_upload; a file is rewindable).
 * Errors also: DBX_ENOTFOUND when the local file does not exist,
 * DBX_EINVAL when it is not a regular file.
 */
DBX_API dbx_status dbx_dbfs_upload_file(dbx_client *c, const char *path, const char *local_path,
                                        const dbx_dbfs_upload_options *opts);

typedef struct dbx_dbfs_download_options {
    unsigned int version;      /**< DBX_DBFS_DOWNLOAD_OPTIONS_VERSION */
    int overwrite;             /**< _file only: replace an existing local file (else DBX_EEXISTS) */
    dbx_dbfs_progress_fn on_progress; /**< may be NULL */
    void *payload;                    /**< passed to on_progress */
} dbx_dbfs_download_options;

#define DBX_DBFS_DOWNLOAD_OPTIONS_VERSION 1
#define DBX_DBFS_DOWNLOAD_OPTIONS_INIT {DBX_DBFS_DOWNLOAD_OPTIONS_VERSION, 0, NULL, NULL}

/**
 * Download a file of any size into `sink`: GET /dbfs/get-status for the
 * size, then GET /dbfs/read of at most DBX_DBFS_MAX_BLOCK bytes per call
 * (reads are retried like any GET). Exactly the size seen by get-status
 * is delivered, in order, each byte once. `opts` may be NULL.
 * Errors: DBX_EINVAL (NULL sink), DBX_ENOTFOUND, DBX_EINVALIDPARAM (a
 * directory), DBX_ECANCELLED (the sink or the progress callback stopped),
 * DBX_EBADRESPONSE (an answer that is not strict base64, whose bytes_read
 * disagrees with its data or the length asked, or no progress before the
 * known size: the file shrank while being read).
 */
DBX_API dbx_status dbx_dbfs_download(dbx_client *c, const char *path, dbx_sink_fn sink, void *payload,
                                     const dbx_dbfs_download_options *opts);

/**
 * Download into a local file: written beside it under a temporary name
 * and renamed over `local_path` only on success, so a failed download
 * leaves no partial file. Errors also: DBX_EEXISTS (the local file exists
 * and opts->overwrite is 0), DBX_ERROR (a local write failed).
 */
DBX_API dbx_status dbx_dbfs_download_file(dbx_client *c, const char *path, const char *local_path,
                                          const dbx_dbfs_download_options *opts);

DBX_END_DECL

#endif /* DBX_DBFS_H */
