/*
 * libdbx - Files API for Unity Catalog volumes and workspace files
 * (/api/2.0/fs/files, /api/2.0/fs/directories).
 *
 * Paths are absolute: "/Volumes/<catalog>/<schema>/<volume>/dir/file.csv"
 * (or a workspace file path). They are checked locally before any I/O
 * (absolute, valid UTF-8, no NUL, no empty, "." or ".." segment, at most
 * 4096 bytes: DBX_EINVAL naming the argument) and each segment is
 * percent-encoded on the wire.
 *
 * Transfers stream: memory stays at one part (multipart uploads) or one
 * libcurl buffer (single PUT, downloads), whatever the file size.
 *
 * Uploads
 *  - below the multipart threshold (default 50 MiB), or when the size is
 *    unknown and the data ends within one part: one PUT streamed from the
 *    source (Content-Length when the size is known, else chunked);
 *  - otherwise the multipart protocol: initiate, part URLs fetched as
 *    needed, each part PUT to its presigned URL with the headers the
 *    workspace returned and never the workspace's credentials (one part
 *    buffered, so a part can be re-sent with a fresh URL after an expired
 *    URL or a cloud error, at most 3 times), complete with the ETags in
 *    order. A failure after the first part aborts the upload (best effort)
 *    and returns the error. When the workspace offers no presigned URLs
 *    (initiate or the first part fails), libdbx falls back to one PUT of
 *    the buffered first part followed by the rest of the source.
 *  - The GCP resumable-upload protocol (initiate answering
 *    "resumable_upload") is NOT implemented: such uploads fall back to a
 *    single PUT (limited to 5 GB by the service).
 *  - A source that cannot rewind (rewind == NULL) is never re-sent once
 *    read: a failed single PUT is then not retried (the call fails with
 *    the server's or transport's error, and the message says the body could
 *    not be re-read), so the service never stores a short or empty file.
 *
 * Downloads are streamed to a callback; after a dropped connection they
 * resume (at most max_resumes times) with "Range: bytes=<delivered>-" and
 * "If-Unmodified-Since: <Last-Modified>"; a file that changed in between
 * fails with DBX_ECONFLICT. No byte is delivered twice.
 *
 * Thread-safety: every call may run concurrently on a shared client; a
 * source, sink or iterator is used by one call at a time.
 * Errors: DBX_EINVAL (bad argument), DBX_ENOTFOUND (no such file or
 * directory), DBX_EEXISTS (overwrite = -1 and the file exists),
 * DBX_ECANCELLED (a callback refused), DBX_ECONFLICT (changed during a
 * download), DBX_EBADRESPONSE (inconsistent answer), and the transport and
 * HTTP statuses of errors.h.
 */
#ifndef DBX_FILES_H
#define DBX_FILES_H

#include "dbx/client.h"
#include "dbx/common.h"

DBX_BEGIN_DECL

/**
 * Progress of a transfer: bytes done so far and the total (-1 when not
 * known). Called on the calling thread; return non-zero to stop (the call
 * then fails with DBX_ECANCELLED; a multipart upload is aborted).
 */
typedef int (*dbx_files_progress_fn)(void *payload, int64_t done, int64_t total);

typedef struct dbx_files_upload_options {
    unsigned int version;        /**< DBX_FILES_UPLOAD_OPTIONS_VERSION */
    /** 0: not sent (the service overwrites); 1: overwrite=true;
     *  -1: overwrite=false (an existing file fails with DBX_EEXISTS). */
    int overwrite;
    /** Sizes at or above this use the multipart protocol; 0: 50 MiB;
     *  < 0: never (always one PUT). */
    int64_t multipart_threshold;
    /** Multipart part size (>= 5 MiB, the cloud minimum; <= 4 GiB); 0: the
     *  smallest of 10, 20, 50, 100, 200, 500 MiB, 1, 2, 4 GiB giving at most
     *  100 parts when the size is known, else 10 MiB. Memory use is one part. */
    int64_t part_size;
    dbx_files_progress_fn progress; /**< may be NULL */
    void *progress_payload;
} dbx_files_upload_options;

#define DBX_FILES_UPLOAD_OPTIONS_VERSION 1
#define DBX_FILES_UPLOAD_OPTIONS_INIT {DBX_FILES_UPLOAD_OPTIONS_VERSION, 0, 0, 0, NULL, NULL}

/**
 * Upload the bytes of `src` to `remote_path`. `src` (see dbx_source in
 * common.h) is read on the calling thread; with a known size it must
 * deliver exactly that many bytes (else DBX_EINVAL). `opts` may be NULL.
 * Errors: as at the top of this file.
 */
DBX_API dbx_status dbx_files_upload(dbx_client *c, const char *remote_path, const dbx_source *src,
                                    const dbx_files_upload_options *opts);

/** Upload a local file (opened read-only; rewindable, so retries re-send it). */
DBX_API dbx_status dbx_files_upload_file(dbx_client *c, const char *remote_path, const char *local_path,
                                         const dbx_files_upload_options *opts);

/** Upload `len` bytes of memory (borrowed for the call; `data` may be NULL when len is 0). */
DBX_API dbx_status dbx_files_upload_buffer(dbx_client *c, const char *remote_path, const void *data,
                                           size_t len, const dbx_files_upload_options *opts);

typedef struct dbx_files_download_options {
    unsigned int version;  /**< DBX_FILES_DOWNLOAD_OPTIONS_VERSION */
    /** dbx_files_download_file: replace an existing local file (else DBX_EEXISTS). */
    int overwrite;
    /** Resumes after dropped connections; 0: 5; < 0: none. */
    int max_resumes;
    dbx_files_progress_fn progress; /**< may be NULL */
    void *progress_payload;
} dbx_files_download_options;

#define DBX_FILES_DOWNLOAD_OPTIONS_VERSION 1
#define DBX_FILES_DOWNLOAD_OPTIONS_INIT {DBX_FILES_DOWNLOAD_OPTIONS_VERSION, 0, 0, NULL, NULL}

/**
 * Download `remote_path`, handing its bytes in order to `sink` (see
 * dbx_sink_fn). Nothing is buffered beyond libcurl's receive buffer.
 * Resumes after a dropped connection (see the top of this file); a length
 * that does not match Content-Length / Content-Range is DBX_EBADRESPONSE.
 * On failure the sink may have received part of the file.
 */
DBX_API dbx_status dbx_files_download(dbx_client *c, const char *remote_path, dbx_sink_fn sink,
                                      void *payload, const dbx_files_download_options *opts);

/** Download into a local file, written beside it and renamed into place
 *  only when complete (a failed download leaves no partial file). */
DBX_API dbx_status dbx_files_download_file(dbx_client *c, const char *remote_path, const char *local_path,
                                           const dbx_files_download_options *opts);

/** What HEAD says about a file. Immutable; free with dbx_file_info_free. */
typedef struct dbx_file_info dbx_file_info;

/** HEAD /api/2.0/fs/files{path}. A missing file is DBX_ENOTFOUND. */
DBX_API dbx_status dbx_files_get_metadata(dbx_file_info **out, dbx_client *c, const char *remote_path);
DBX_API void dbx_file_info_free(dbx_file_info *info);
/** Content-Length in bytes (-1 when the server sent none). */
DBX_API int64_t dbx_file_info_size(const dbx_file_info *info);
/** Content-Type ("" when none). Borrowed. */
DBX_API const char *dbx_file_info_content_type(const dbx_file_info *info);
/** Last-Modified as epoch ms (-1 when absent or unparsable). */
DBX_API int64_t dbx_file_info_last_modified(const dbx_file_info *info);
/** Last-Modified as the server wrote it (an HTTP date; "" when none). Borrowed. */
DBX_API const char *dbx_file_info_last_modified_str(const dbx_file_info *info);

/** DELETE a file. Missing: DBX_ENOTFOUND. */
DBX_API dbx_status dbx_files_delete(dbx_client *c, const char *remote_path);

/** Create a directory and its parents (like mkdir -p; an existing one is fine). */
DBX_API dbx_status dbx_files_create_directory(dbx_client *c, const char *dir_path);

/** DELETE an empty directory. Missing: DBX_ENOTFOUND; not empty: the server's 4xx. */
DBX_API dbx_status dbx_files_delete_directory(dbx_client *c, const char *dir_path);

/** HEAD a directory: DBX_OK when it exists, DBX_ENOTFOUND when not. */
DBX_API dbx_status dbx_files_get_directory_metadata(dbx_client *c, const char *dir_path);

/** One entry of a directory listing (valid until the iterator's next _next or _free). */
typedef struct dbx_directory_entry dbx_directory_entry;
typedef struct dbx_files_list_iter dbx_files_list_iter;

typedef struct dbx_files_list_options {
    unsigned int version; /**< DBX_FILES_LIST_OPTIONS_VERSION */
    long page_size;       /**< entries per request; 0: the server's default */
    long max_items;       /**< stop after this many; 0: all */
} dbx_files_list_options;

#define DBX_FILES_LIST_OPTIONS_VERSION 1
#define DBX_FILES_LIST_OPTIONS_INIT {DBX_FILES_LIST_OPTIONS_VERSION, 0, 0}

/**
 * List a directory's entries (not recursive), page by page (page_token).
 * Makes no request; the first _next does. A missing directory is
 * DBX_ENOTFOUND from _next. Free with dbx_files_list_iter_free.
 */
DBX_API dbx_status dbx_files_list_directory(dbx_files_list_iter **out, dbx_client *c, const char *dir_path,
                                            const dbx_files_list_options *opts);
/** DBX_OK with *entry, DBX_DONE, or an error (calling again retries the page). */
DBX_API dbx_status dbx_files_list_iter_next(const dbx_directory_entry **entry, dbx_files_list_iter *it);
DBX_API void dbx_files_list_iter_free(dbx_files_list_iter *it);

/** Absolute path of the entry. Borrowed. */
DBX_API const char *dbx_directory_entry_path(const dbx_directory_entry *e);
/** Last path component. Borrowed (check it with care before using it as a local name). */
DBX_API const char *dbx_directory_entry_name(const dbx_directory_entry *e);
DBX_API int dbx_directory_entry_is_directory(const dbx_directory_entry *e);
/** File size in bytes; -1 for directories (the field is absent). */
DBX_API int64_t dbx_directory_entry_file_size(const dbx_directory_entry *e);
/** Last modification, epoch ms; -1 when absent. */
DBX_API int64_t dbx_directory_entry_last_modified(const dbx_directory_entry *e);
/** The entry as JSON text. Borrowed. */
DBX_API const char *dbx_directory_entry_json(const dbx_directory_entry *e);

DBX_END_DECL

#endif /* DBX_FILES_H */
