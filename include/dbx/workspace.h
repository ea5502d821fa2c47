/*
 * libdbx - Workspace API (/api/2.0/workspace/ *): notebooks, files and
 * directories of the workspace tree.
 *
 * Thread-safety: functions taking a dbx_client may be called from any
 * thread. Result objects are immutable and may be read from many threads.
 * Iterators are used by one thread at a time.
 *
 * Remote paths (every `path` argument) are checked before any I/O: they
 * must be absolute ("/Users/me/x"), valid UTF-8, at most 4096 bytes, with
 * no empty segment ("//" or a trailing '/', except the root "/") and no
 * "." or ".." segment. Anything else is DBX_EINVAL naming `path` and why.
 *
 * Errors common to every call: DBX_EINVAL (bad argument, before any I/O),
 * DBX_ENOMEM, and the HTTP-derived codes of errors.h: a missing path is
 * DBX_ENOTFOUND (RESOURCE_DOES_NOT_EXIST), an existing one DBX_EEXISTS
 * (RESOURCE_ALREADY_EXISTS, sent with HTTP 400 by this API), a bad format or
 * language DBX_EINVALIDPARAM; DIRECTORY_NOT_EMPTY and
 * MAX_NOTEBOOK_SIZE_EXCEEDED are DBX_EBADREQUEST with the server's
 * error_code in dbx_client_last_error(). Also DBX_ETRANSPORT, DBX_ETIMEOUT,
 * DBX_EBADRESPONSE.
 */
#ifndef DBX_WORKSPACE_H
#define DBX_WORKSPACE_H

#include "common.h"
#include "errors.h"

DBX_BEGIN_DECL

/* ------------------------------------------------------------------ */
/* Enums                                                                */

/** ObjectType. Values the server adds later map to _UNKNOWN; the raw text
 *  is kept (dbx_workspace_object_type_str). */
typedef enum dbx_workspace_object_type {
    DBX_WORKSPACE_OBJECT_UNKNOWN = 0,
    DBX_WORKSPACE_OBJECT_NOTEBOOK,
    DBX_WORKSPACE_OBJECT_DIRECTORY,
    DBX_WORKSPACE_OBJECT_LIBRARY,
    DBX_WORKSPACE_OBJECT_FILE,
    DBX_WORKSPACE_OBJECT_REPO,
    DBX_WORKSPACE_OBJECT_DASHBOARD
} dbx_workspace_object_type_t;

/** Notebook language. As input, _NONE means "not sent"; as a result, _NONE
 *  means the object has no language (not a notebook) and _UNKNOWN a value
 *  this library does not know (raw text: dbx_workspace_object_language_str). */
typedef enum dbx_workspace_language {
    DBX_WORKSPACE_LANGUAGE_NONE = 0,
    DBX_WORKSPACE_LANGUAGE_PYTHON,
    DBX_WORKSPACE_LANGUAGE_SCALA,
    DBX_WORKSPACE_LANGUAGE_SQL,
    DBX_WORKSPACE_LANGUAGE_R,
    DBX_WORKSPACE_LANGUAGE_UNKNOWN
} dbx_workspace_language_t;

/** ImportFormat / ExportFormat. _DEFAULT is not sent: the server then uses
 *  SOURCE. The wire values are case-sensitive ("SOURCE", "R_MARKDOWN"). */
typedef enum dbx_workspace_format {
    DBX_WORKSPACE_FORMAT_DEFAULT = 0,
    DBX_WORKSPACE_FORMAT_SOURCE,
    DBX_WORKSPACE_FORMAT_HTML,
    DBX_WORKSPACE_FORMAT_JUPYTER,
    DBX_WORKSPACE_FORMAT_DBC,
    DBX_WORKSPACE_FORMAT_RAW,
    DBX_WORKSPACE_FORMAT_R_MARKDOWN,
    DBX_WORKSPACE_FORMAT_AUTO
} dbx_workspace_format_t;

/** Server spellings ("NOTEBOOK", "PYTHON", "JUPYTER"). Static; "UNKNOWN"
 *  for out-of-range values, "" for LANGUAGE_NONE and FORMAT_DEFAULT. */
DBX_API const char *dbx_workspace_object_type_name(dbx_workspace_object_type_t t);
DBX_API const char *dbx_workspace_language_name(dbx_workspace_language_t l);
DBX_API const char *dbx_workspace_format_name(dbx_workspace_format_t f);

/** Largest content import takes (decoded bytes, 10 MiB): more is DBX_EINVAL
 *  naming `content`, before any I/O. The reference says "10 MB" without
 *  saying which; above this the server's own check (MAX_NOTEBOOK_SIZE_EXCEEDED)
 *  decides anyway. */
#define DBX_WORKSPACE_MAX_CONTENT_BYTES (10L * 1024 * 1024)

/* ------------------------------------------------------------------ */
/* Object (ObjectInfo)                                                  */

/** One object of the workspace tree, as get-status and list return it. Immutable. */
typedef struct dbx_workspace_object dbx_workspace_object;

DBX_API void dbx_workspace_object_free(dbx_workspace_object *obj);

/* Accessors: strings borrowed from the object ("" when absent, never NULL),
 * numbers 0 when absent. Safe with a NULL object. */
DBX_API dbx_workspace_object_type_t dbx_workspace_object_type(const dbx_workspace_object *o);
DBX_API const char *dbx_workspace_object_type_str(const dbx_workspace_object *o);
DBX_API const char *dbx_workspace_object_path(const dbx_workspace_object *o);
DBX_API dbx_workspace_language_t dbx_workspace_object_language(const dbx_workspace_object *o);
DBX_API const char *dbx_workspace_object_language_str(const dbx_workspace_object *o);
DBX_API int64_t dbx_workspace_object_id(const dbx_workspace_object *o);
/** Epoch milliseconds (files and notebooks; 0 when the server leaves it out). */
DBX_API int64_t dbx_workspace_object_created_at(const dbx_workspace_object *o);
DBX_API int64_t dbx_workspace_object_modified_at(const dbx_workspace_object *o);
/** Bytes (files). */
DBX_API int64_t dbx_workspace_object_size(const dbx_workspace_object *o);
DBX_API const char *dbx_workspace_object_resource_id(const dbx_workspace_object *o);
/** The whole ObjectInfo as compact JSON, for fields without an accessor.
 *  Borrowed; NULL only when out of memory. */
DBX_API const char *dbx_workspace_object_json(const dbx_workspace_object *o);

/* ------------------------------------------------------------------ */
/* Simple operations                                                    */

/** Status of one path (GET /workspace/get-status). Caller frees *out with
 *  dbx_workspace_object_free(). Missing path: DBX_ENOTFOUND. */
DBX_API dbx_status dbx_workspace_get_status(dbx_workspace_object **out, dbx_client *c, const char *path);

/** Create a directory and its missing parents (POST /workspace/mkdirs).
 *  Idempotent; a file or notebook in the way is DBX_EEXISTS. */
DBX_API dbx_status dbx_workspace_mkdirs(dbx_client *c, const char *path);

/** Delete an object (POST /workspace/delete). A non-empty directory needs
 *  `recursive` non-zero, else DBX_EBADREQUEST with error_code
 *  DIRECTORY_NOT_EMPTY. A recursive delete is not atomic on the server. */
DBX_API dbx_status dbx_workspace_delete(dbx_client *c, const char *path, int recursive);

/* ------------------------------------------------------------------ */
/* Listing                                                              */

typedef struct dbx_workspace_list_options {
    unsigned int version;             /**< DBX_WORKSPACE_LIST_OPTIONS_VERSION */
    int64_t notebooks_modified_after; /**< epoch ms; 0 = not sent */
} dbx_workspace_list_options;

#define DBX_WORKSPACE_LIST_OPTIONS_VERSION 1
#define DBX_WORKSPACE_LIST_OPTIONS_INIT {DBX_WORKSPACE_LIST_OPTIONS_VERSION, 0}

typedef struct dbx_workspace_iter dbx_workspace_iter;

/**
 * List a directory (GET /workspace/list). The API answers with every
 * object at once (no paging); the iterator walks that one answer in the
 * server's order. No request is made until the first _iter_next. `opts`
 * may be NULL. Listing a notebook or file yields that object.
 * Caller frees *out with dbx_workspace_iter_free(); the iterator holds a
 * reference on the client.
 */
DBX_API dbx_status dbx_workspace_list(dbx_workspace_iter **out, dbx_client *c, const char *path,
                                      const dbx_workspace_list_options *opts);

/** Next object: DBX_OK with *item (borrowed until the next _next or _free),
 *  DBX_DONE, or an error (calling again then retries the request). */
DBX_API dbx_status dbx_workspace_iter_next(const dbx_workspace_object **item, dbx_workspace_iter *it);

DBX_API void dbx_workspace_iter_free(dbx_workspace_iter *it);

/* ------------------------------------------------------------------ */
/* Recursive walk                                                       */

typedef struct dbx_workspace_walk_options {
    unsigned int version;             /**< DBX_WORKSPACE_WALK_OPTIONS_VERSION */
    /** Descend at most this many directory levels below the root: objects
     *  at depth max_depth are yielded, directories there are not listed
     *  (like find -maxdepth). 0 = 1000. */
    int max_depth;
    /** Fail with DBX_ETOOLARGE once more objects than this were listed (a
     *  bound against a server that lists without end). 0 = 1000000. */
    long max_objects;
    int64_t notebooks_modified_after; /**< passed to every list call; 0 = not sent */
} dbx_workspace_walk_options;

#define DBX_WORKSPACE_WALK_OPTIONS_VERSION 1
#define DBX_WORKSPACE_WALK_OPTIONS_INIT {DBX_WORKSPACE_WALK_OPTIONS_VERSION, 0, 0, 0}

typedef struct dbx_workspace_walk_iter dbx_workspace_walk_iter;

/**
 * Walk a directory tree, without recursion in C: an explicit stack of
 * directories to list, one list call per directory.
 *
 * Order (deterministic, whatever order the server lists in): the entries
 * of a directory sorted by path (byte order), then each subdirectory of
 * it in that order, depth first. DIRECTORY and REPO objects are descended
 * into. The root itself is not yielded, unless it is not a directory
 * (then it is the only object, at depth 0).
 *
 * Every listed path must be "<listed directory>/<name>" with a name that
 * is not empty, ".", ".." and holds no '/': anything else (a hostile or
 * broken server, or a cycle) fails with DBX_EBADRESPONSE naming it.
 *
 * An iterator rather than a callback: bindings (Python generators, R)
 * drive it without C calling back into them, a caller can stop at any
 * item by freeing it, and Ctrl-C is honoured between items; the callback
 * form dbx_workspace_walk_each is built on it for C callers.
 * No request is made until the first _next. Caller frees with
 * dbx_workspace_walk_free(). Memory: the current directory's listing plus
 * the paths of the directories still to list.
 */
DBX_API dbx_status dbx_workspace_walk(dbx_workspace_walk_iter **out, dbx_client *c, const char *path,
                                      const dbx_workspace_walk_options *opts);

/** Next object: DBX_OK with *item (borrowed until the next _next or _free)
 *  and *depth (1 for the root's entries; may be NULL), DBX_DONE, or an
 *  error. After an error other than DBX_EBADRESPONSE / DBX_ETOOLARGE,
 *  calling again retries the failed list call. */
DBX_API dbx_status dbx_workspace_walk_next(const dbx_workspace_object **item, int *depth,
                                           dbx_workspace_walk_iter *it);

DBX_API void dbx_workspace_walk_free(dbx_workspace_walk_iter *it);

/** Called for each object of a walk, on the calling thread. Non-zero stops
 *  the walk: dbx_workspace_walk_each then returns DBX_ECANCELLED. */
typedef int (*dbx_workspace_walk_fn)(const dbx_workspace_object *obj, int depth, void *payload);

/** The walk above with a callback per object. DBX_OK when the whole tree
 *  was visited. */
DBX_API dbx_status dbx_workspace_walk_each(dbx_client *c, const char *path,
                                           const dbx_workspace_walk_options *opts,
                                           dbx_workspace_walk_fn fn, void *payload);

/* ------------------------------------------------------------------ */
/* Import                                                               */

typedef struct dbx_workspace_import_options {
    unsigned int version;             /**< DBX_WORKSPACE_IMPORT_OPTIONS_VERSION */
    dbx_workspace_format_t format;    /**< DEFAULT: not sent (the server uses SOURCE) */
    /** Required for SOURCE (and DEFAULT) import of one notebook: DBX_EINVAL
     *  naming `language` otherwise, unless the content is a zip archive (a
     *  directory import, where the language must be unset). */
    dbx_workspace_language_t language;
    /** Replace an existing object. Not allowed with DBC (DBX_EINVAL). Without
     *  it an existing path is DBX_EEXISTS. */
    int overwrite;
} dbx_workspace_import_options;

#define DBX_WORKSPACE_IMPORT_OPTIONS_VERSION 1
#define DBX_WORKSPACE_IMPORT_OPTIONS_INIT \
    {DBX_WORKSPACE_IMPORT_OPTIONS_VERSION, DBX_WORKSPACE_FORMAT_DEFAULT, DBX_WORKSPACE_LANGUAGE_NONE, 0}

/**
 * Import `len` bytes (any bytes) as a notebook or file at `path` (POST
 * /workspace/import); libdbx base64-encodes them. `content` may be NULL
 * only when len is 0. At most DBX_WORKSPACE_MAX_CONTENT_BYTES, else
 * DBX_EINVAL naming `content`. The parent directory must exist
 * (DBX_ENOTFOUND). `opts` may be NULL (SOURCE without a language: only for
 * archives, see above). Retried after a failure mid-flight only with
 * overwrite (otherwise a retry could see its own import as DBX_EEXISTS).
 */
DBX_API dbx_status dbx_workspace_import(dbx_client *c, const char *path, const void *content, size_t len,
                                        const dbx_workspace_import_options *opts);

/** The same with the content read from a local file (a regular file; a
 *  missing one is DBX_ENOTFOUND, a too large one DBX_EINVAL naming
 *  `local_file`, both before any request). */
DBX_API dbx_status dbx_workspace_import_file(dbx_client *c, const char *path, const char *local_file,
                                             const dbx_workspace_import_options *opts);

/* ------------------------------------------------------------------ */
/* Export                                                               */

typedef struct dbx_workspace_export_options {
    unsigned int version;          /**< DBX_WORKSPACE_EXPORT_OPTIONS_VERSION */
    dbx_workspace_format_t format; /**< DEFAULT: not sent (the server uses SOURCE) */
    int overwrite;                 /**< _export_file / _export_dir: replace existing local files */
} dbx_workspace_export_options;

#define DBX_WORKSPACE_EXPORT_OPTIONS_VERSION 1
#define DBX_WORKSPACE_EXPORT_OPTIONS_INIT \
    {DBX_WORKSPACE_EXPORT_OPTIONS_VERSION, DBX_WORKSPACE_FORMAT_DEFAULT, 0}

/**
 * Export an object (GET /workspace/export) into memory. On DBX_OK,
 * *content holds *len decoded bytes (binary; a NUL is added after them for
 * convenience), freed with dbx_free(); *file_type (when file_type is not
 * NULL) is the server's file_type ("py", "ipynb", ...; "" when absent),
 * freed with dbx_free(). On failure both are NULL and *len 0.
 * A directory can be exported only as DBC, SOURCE or AUTO (an archive).
 * Content that is not strict base64 is DBX_EBADRESPONSE. gzip is offered.
 */
DBX_API dbx_status dbx_workspace_export(char **content, size_t *len, char **file_type, dbx_client *c,
                                        const char *path, const dbx_workspace_export_options *opts);

/**
 * Export an object into the local file `local_file`: written beside it
 * and renamed over it only when complete, so a failure never leaves a
 * partial file under that name. An existing local file without
 * opts->overwrite is DBX_EEXISTS (checked before the request). file_type
 * as for dbx_workspace_export (may be NULL).
 */
DBX_API dbx_status dbx_workspace_export_file(char **file_type, dbx_client *c, const char *path,
                                             const char *local_file,
                                             const dbx_workspace_export_options *opts);

typedef struct dbx_workspace_export_dir_options {
    unsigned int version;          /**< DBX_WORKSPACE_EXPORT_DIR_OPTIONS_VERSION */
    /** Notebook format: DEFAULT/SOURCE (file name + ".py", ".scala", ".sql"
     *  or ".r" by language, as the Databricks CLI names them), JUPYTER
     *  (".ipynb"), HTML (".html"), R_MARKDOWN (".Rmd"), DBC (".dbc").
     *  Files are exported as AUTO (byte for byte) and keep their names. */
    dbx_workspace_format_t format;
    int overwrite;                 /**< replace existing local files */
    int max_depth;                 /**< as dbx_workspace_walk_options */
    long max_objects;              /**< as dbx_workspace_walk_options */
} dbx_workspace_export_dir_options;

#define DBX_WORKSPACE_EXPORT_DIR_OPTIONS_VERSION 1
#define DBX_WORKSPACE_EXPORT_DIR_OPTIONS_INIT \
    {DBX_WORKSPACE_EXPORT_DIR_OPTIONS_VERSION, DBX_WORKSPACE_FORMAT_DEFAULT, 0, 0, 0}

/**
 * Export a directory tree into the local directory `local_dir` (created
 * when missing; its parent must exist), built on dbx_workspace_walk: a
 * local subdirectory per directory (and repo), a file per notebook and
 * file; libraries and dashboards are skipped. Every listed name must be
 * usable as a local file name (not empty, ".", "..", no '/', '\', control
 * characters, at most 255 bytes) and lie directly under the directory that
 * listed it, else the call fails with DBX_EBADRESPONSE naming it before
 * anything is written for it: a hostile server cannot make libdbx write
 * outside local_dir. Not atomic: files written before a failure stay.
 */
DBX_API dbx_status dbx_workspace_export_dir(dbx_client *c, const char *remote_dir, const char *local_dir,
                                            const dbx_workspace_export_dir_options *opts);

typedef struct dbx_workspace_import_dir_options {
    unsigned int version; /**< DBX_WORKSPACE_IMPORT_DIR_OPTIONS_VERSION */
    int overwrite;        /**< replace existing notebooks and files */
    /** Descend at most this many local directory levels (0 = 1000). */
    int max_depth;
} dbx_workspace_import_dir_options;

#define DBX_WORKSPACE_IMPORT_DIR_OPTIONS_VERSION 1
#define DBX_WORKSPACE_IMPORT_DIR_OPTIONS_INIT {DBX_WORKSPACE_IMPORT_DIR_OPTIONS_VERSION, 0, 0}

/**
 * Import a local directory tree into the workspace under `remote_dir`
 * (created with its parents), the reverse of dbx_workspace_export_dir and
 * how migrated pipelines are uploaded. Entries are visited in name order
 * (byte order), without recursion in C:
 *  - a directory becomes a workspace directory;
 *  - a ".py", ".scala", ".sql" or ".r" file whose first line is the
 *    Databricks source header ("# Databricks notebook source", "//" for
 *    Scala, "--" for SQL) becomes a notebook of that language named
 *    without the extension (SOURCE);
 *  - a ".ipynb" file becomes a notebook named without the extension (JUPYTER);
 *  - any other regular file is imported byte for byte under its name (RAW).
 * Skipped, as the Databricks CLI does with names it cannot upload: names
 * that are not safe file names or not valid UTF-8, symbolic links and
 * special files. *n_imported (may be NULL) counts notebooks and files imported.
 * Errors: as dbx_workspace_import_file for each file (a file over 10 MiB is
 * DBX_EINVAL naming it), DBX_ENOTFOUND for a missing local_dir, DBX_EEXISTS
 * for an existing object without overwrite. Not atomic: what was imported
 * before a failure stays.
 */
DBX_API dbx_status dbx_workspace_import_dir(long *n_imported, dbx_client *c, const char *local_dir,
                                            const char *remote_dir,
                                            const dbx_workspace_import_dir_options *opts);

DBX_END_DECL

#endif /* DBX_WORKSPACE_H */
