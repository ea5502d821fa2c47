/*
 * libdbx - SQL Statement Execution API 2.0 (/api/2.0/sql/statements).
 *
 * Run a statement on a SQL warehouse, wait for it with your deadline, and
 * read its result:
 *   - rows through an iterator (dbx_sql_rows) that walks every chunk in
 *     order, holding a bounded number of chunks in memory and prefetching
 *     the next ones in parallel (without threads: libcurl multi);
 *   - or, for ARROW_STREAM and CSV (EXTERNAL_LINKS), the raw bytes of every
 *     chunk handed to a callback or written to a file, in order.
 *
 *     dbx_sql_params *p = NULL;
 *     dbx_sql_params_new(&p);
 *     dbx_sql_params_add(p, "city", "Zürich", "STRING");
 *     dbx_sql_statement *st = NULL;
 *     rc = dbx_sql_run(&st, c, "wh-id", "SELECT name, age FROM t WHERE city = :city",
 *                      p, NULL, NULL);
 *     dbx_sql_rows *rows = NULL;
 *     rc = dbx_sql_rows_open(&rows, c, st, NULL);
 *     while ((rc = dbx_sql_rows_next(rows)) == DBX_OK) {
 *         int64_t age;
 *         if (dbx_sql_rows_int64(&age, rows, 1) == DBX_OK) ...
 *     }
 *     // rc == DBX_DONE: every row was read (check dbx_sql_rows_truncated)
 *     dbx_sql_rows_free(rows);
 *     dbx_sql_close(c, dbx_sql_statement_id(st));
 *     dbx_sql_statement_free(st);
 *
 * Values are always passed as named parameters (":name" markers with typed
 * values), never spliced into SQL text.
 *
 * Presigned result URLs (EXTERNAL_LINKS) are fetched with their own
 * http_headers and never with the workspace's Authorization header; neither
 * the URLs nor those headers appear in logs or error messages.
 *
 * Thread-safety: functions taking a dbx_client may be called from any
 * thread. Statement objects are immutable and may be read from many
 * threads. Parameter lists and row iterators are used by one thread at a
 * time.
 *
 * Errors common to every call: DBX_EINVAL (NULL or empty required argument,
 * checked before any I/O), the HTTP-derived codes of errors.h (an unknown
 * statement is DBX_ENOTFOUND, an unknown warehouse too), DBX_ETRANSPORT,
 * DBX_ETIMEOUT, DBX_EBADRESPONSE, DBX_ENOMEM.
 */
#ifndef DBX_SQL_H
#define DBX_SQL_H

#include "common.h"
#include "errors.h"

DBX_BEGIN_DECL

/* ------------------------------------------------------------------ */
/* Enums                                                                */

/** StatementState. Values the server adds later map to
 *  DBX_SQL_STATE_UNKNOWN; dbx_sql_statement_state_str() keeps the raw text. */
typedef enum dbx_sql_state {
    DBX_SQL_STATE_UNKNOWN = 0,
    DBX_SQL_STATE_PENDING,
    DBX_SQL_STATE_RUNNING,
    DBX_SQL_STATE_SUCCEEDED,
    DBX_SQL_STATE_FAILED,
    DBX_SQL_STATE_CANCELED,
    DBX_SQL_STATE_CLOSED
} dbx_sql_state_t;

/** Server spelling ("SUCCEEDED"); "UNKNOWN" for out-of-range values. Static. */
DBX_API const char *dbx_sql_state_name(dbx_sql_state_t state);

/** Result disposition; 0 leaves it to the server (INLINE). */
typedef enum dbx_sql_disposition {
    DBX_SQL_DISPOSITION_DEFAULT = 0,
    DBX_SQL_DISPOSITION_INLINE = 1,        /**< "INLINE": rows in the responses (<= 25 MiB) */
    DBX_SQL_DISPOSITION_EXTERNAL_LINKS = 2 /**< "EXTERNAL_LINKS": presigned URLs per chunk */
} dbx_sql_disposition_t;

/** Result format; 0 leaves it to the server (JSON_ARRAY). */
typedef enum dbx_sql_format {
    DBX_SQL_FORMAT_DEFAULT = 0,
    DBX_SQL_FORMAT_JSON_ARRAY = 1,
    DBX_SQL_FORMAT_ARROW_STREAM = 2, /**< EXTERNAL_LINKS only; read with dbx_sql_chunks_* */
    DBX_SQL_FORMAT_CSV = 3           /**< EXTERNAL_LINKS only; read with dbx_sql_chunks_* */
} dbx_sql_format_t;

/** What the server does when wait_timeout passes; 0 leaves it to the server (CONTINUE). */
typedef enum dbx_sql_on_wait_timeout {
    DBX_SQL_ON_WAIT_TIMEOUT_DEFAULT = 0,
    DBX_SQL_ON_WAIT_TIMEOUT_CONTINUE = 1, /**< return the id, keep running */
    DBX_SQL_ON_WAIT_TIMEOUT_CANCEL = 2    /**< cancel the statement (state CANCELED) */
} dbx_sql_on_wait_timeout_t;

/** ColumnInfo.type_name. Unknown names map to DBX_SQL_TYPE_UNKNOWN
 *  (dbx_sql_statement_column_type_name() keeps the text). */
typedef enum dbx_sql_type {
    DBX_SQL_TYPE_UNKNOWN = 0,
    DBX_SQL_TYPE_BOOLEAN,
    DBX_SQL_TYPE_BYTE,
    DBX_SQL_TYPE_SHORT,
    DBX_SQL_TYPE_INT,
    DBX_SQL_TYPE_LONG,
    DBX_SQL_TYPE_FLOAT,
    DBX_SQL_TYPE_DOUBLE,
    DBX_SQL_TYPE_DATE,
    DBX_SQL_TYPE_TIMESTAMP,
    DBX_SQL_TYPE_STRING,
    DBX_SQL_TYPE_BINARY,
    DBX_SQL_TYPE_DECIMAL,
    DBX_SQL_TYPE_INTERVAL,
    DBX_SQL_TYPE_ARRAY,
    DBX_SQL_TYPE_STRUCT,
    DBX_SQL_TYPE_MAP,
    DBX_SQL_TYPE_CHAR,
    DBX_SQL_TYPE_NULL,
    DBX_SQL_TYPE_USER_DEFINED_TYPE,
    DBX_SQL_TYPE_TIMESTAMP_NTZ
} dbx_sql_type_t;

/* ------------------------------------------------------------------ */
/* Named parameters                                                     */

/**
 * A list of named, typed parameters for the ":name" markers of a
 * statement. The statement text never holds the values: the server binds
 * them, so quotes, semicolons and comment markers in a value are data.
 * Every string is copied. Errors of the builders: DBX_EINVAL (NULL list,
 * empty or invalid name, invalid UTF-8), DBX_ENOMEM; read the detail with
 * dbx_client_last_error(NULL).
 */
typedef struct dbx_sql_params dbx_sql_params;

/** New empty list. Caller frees with dbx_sql_params_free(). */
DBX_API dbx_status dbx_sql_params_new(dbx_sql_params **out);
DBX_API void dbx_sql_params_free(dbx_sql_params *params);
/** Remove every parameter (keeps the allocation, for reuse in batches). */
DBX_API void dbx_sql_params_clear(dbx_sql_params *params);
/** Number of parameters. */
DBX_API size_t dbx_sql_params_count(const dbx_sql_params *params);

/**
 * Add a parameter. `name` is the marker without the colon (letters, digits
 * and '_'). `value` is the value as text, or NULL for SQL NULL. `type` is a
 * SQL type ("INT", "BIGINT", "DOUBLE", "DECIMAL(10,2)", "STRING",
 * "BOOLEAN", "DATE", "TIMESTAMP", ...), or NULL for the server's default
 * (STRING). Adding a name twice replaces the earlier value.
 */
DBX_API dbx_status dbx_sql_params_add(dbx_sql_params *params, const char *name, const char *value,
                                      const char *type);
/** Typed shortcuts: BIGINT, DOUBLE (finite values only), BOOLEAN. */
DBX_API dbx_status dbx_sql_params_add_int64(dbx_sql_params *params, const char *name, int64_t value);
DBX_API dbx_status dbx_sql_params_add_double(dbx_sql_params *params, const char *name, double value);
DBX_API dbx_status dbx_sql_params_add_bool(dbx_sql_params *params, const char *name, int value);

/* ------------------------------------------------------------------ */
/* Execute options                                                      */

/** One query tag (key non-empty; value may be NULL). */
typedef struct dbx_sql_query_tag {
    const char *key;
    const char *value;
} dbx_sql_query_tag;

/** wait_timeout_s value meaning "0s": return at once (asynchronous). */
#define DBX_SQL_NO_WAIT (-1)

typedef struct dbx_sql_execute_options {
    unsigned int version;          /**< DBX_SQL_EXECUTE_OPTIONS_VERSION */
    const char *catalog;           /**< default catalog (as USE CATALOG), or NULL */
    const char *schema;            /**< default schema (as USE SCHEMA), or NULL */
    /** Seconds the server waits before answering: 0 = not sent (server
     *  default 10 s); DBX_SQL_NO_WAIT = "0s"; else 5..50. */
    int wait_timeout_s;
    dbx_sql_on_wait_timeout_t on_wait_timeout;
    int64_t row_limit;             /**< 0 = none; sets truncated when rows are cut */
    int64_t byte_limit;            /**< 0 = none; sets truncated when hit */
    dbx_sql_disposition_t disposition;
    dbx_sql_format_t format;
    const dbx_sql_query_tag *query_tags; /**< or NULL */
    size_t n_query_tags;
} dbx_sql_execute_options;

#define DBX_SQL_EXECUTE_OPTIONS_VERSION 1
#define DBX_SQL_EXECUTE_OPTIONS_INIT \
    {DBX_SQL_EXECUTE_OPTIONS_VERSION, NULL, NULL, 0, DBX_SQL_ON_WAIT_TIMEOUT_DEFAULT, 0, 0, \
     DBX_SQL_DISPOSITION_DEFAULT, DBX_SQL_FORMAT_DEFAULT, NULL, 0}
DBX_API void dbx_sql_execute_options_init(dbx_sql_execute_options *o);

/* ------------------------------------------------------------------ */
/* Statement (result)                                                   */

/** A StatementResponse: id, status, manifest and first chunk. Immutable. */
typedef struct dbx_sql_statement dbx_sql_statement;

/** NULL is a no-op. A row iterator opened on the statement keeps what it
 *  needs: the statement may be freed before the iterator. */
DBX_API void dbx_sql_statement_free(dbx_sql_statement *st);

/* Accessors. Strings are borrowed from the statement ("" when absent,
 * never NULL); numbers are 0 when absent unless noted. */
DBX_API const char *dbx_sql_statement_id(const dbx_sql_statement *st);
DBX_API dbx_sql_state_t dbx_sql_statement_state(const dbx_sql_statement *st);
DBX_API const char *dbx_sql_statement_state_str(const dbx_sql_statement *st);
/** status.error.error_code ("SYNTAX_ERROR"...), status.error.message, and
 *  status.sql_state ("42P01"), set on FAILED. */
DBX_API const char *dbx_sql_statement_error_code(const dbx_sql_statement *st);
DBX_API const char *dbx_sql_statement_error_message(const dbx_sql_statement *st);
DBX_API const char *dbx_sql_statement_sql_state(const dbx_sql_statement *st);
/** 1 when the manifest is present (the statement SUCCEEDED), else 0. */
DBX_API int dbx_sql_statement_has_manifest(const dbx_sql_statement *st);
/** manifest.format ("JSON_ARRAY", "ARROW_STREAM", "CSV"). */
DBX_API const char *dbx_sql_statement_format(const dbx_sql_statement *st);
/** The disposition of the result: EXTERNAL_LINKS when the first chunk (or
 *  the manifest's chunks) carries links, else INLINE. */
DBX_API dbx_sql_disposition_t dbx_sql_statement_disposition(const dbx_sql_statement *st);
DBX_API int dbx_sql_statement_column_count(const dbx_sql_statement *st);
/** Column i (0-based) of the manifest; "" / 0 / UNKNOWN for i out of range. */
DBX_API const char *dbx_sql_statement_column_name(const dbx_sql_statement *st, int i);
DBX_API dbx_sql_type_t dbx_sql_statement_column_type(const dbx_sql_statement *st, int i);
DBX_API const char *dbx_sql_statement_column_type_name(const dbx_sql_statement *st, int i);
/** Full SQL type ("DECIMAL(10,2)", "ARRAY<INT>"). */
DBX_API const char *dbx_sql_statement_column_type_text(const dbx_sql_statement *st, int i);
DBX_API int dbx_sql_statement_column_precision(const dbx_sql_statement *st, int i);
DBX_API int dbx_sql_statement_column_scale(const dbx_sql_statement *st, int i);
/** Index of the first column named `name` (exact match), or -1. */
DBX_API int dbx_sql_statement_column_index(const dbx_sql_statement *st, const char *name);
DBX_API int64_t dbx_sql_statement_total_row_count(const dbx_sql_statement *st);
DBX_API int64_t dbx_sql_statement_total_byte_count(const dbx_sql_statement *st);
DBX_API int dbx_sql_statement_total_chunk_count(const dbx_sql_statement *st);
/** 1 when row_limit / byte_limit cut the result (manifest.truncated). */
DBX_API int dbx_sql_statement_truncated(const dbx_sql_statement *st);
/** The whole StatementResponse as compact JSON (presigned links included:
 *  treat it as secret). */
DBX_API const char *dbx_sql_statement_json(const dbx_sql_statement *st);

/* ------------------------------------------------------------------ */
/* Operations                                                           */

/**
 * Execute a statement (POST /api/2.0/sql/statements). `params` may be NULL;
 * `opts` NULL means all defaults. Returns when the server answers: after
 * up to wait_timeout_s, in any state.
 * Returns DBX_OK with *out for PENDING, RUNNING and SUCCEEDED (wait for the
 * first two with dbx_sql_wait). A statement that ended FAILED, CANCELED or
 * CLOSED is DBX_ESTATE, and then, as with waiters, *out STILL holds the
 * statement (free it) so that its error code, message and SQL state can be
 * read; the error record's message carries them too.
 * Not retried after a connection failure or a 500 (the statement could run
 * twice); retried on 429/503.
 * Errors: DBX_EINVAL (also options out of range: wait_timeout_s not 0,
 * DBX_SQL_NO_WAIT or 5..50; negative limits; a query tag without key;
 * ARROW_STREAM / CSV with INLINE), DBX_ENOTFOUND (unknown warehouse), ...
 */
DBX_API dbx_status dbx_sql_execute(dbx_sql_statement **out, dbx_client *c, const char *warehouse_id,
                                   const char *statement, const dbx_sql_params *params,
                                   const dbx_sql_execute_options *opts);

/** Get a statement's current status, manifest and first chunk
 *  (GET /api/2.0/sql/statements/{id}). Any state is DBX_OK. */
DBX_API dbx_status dbx_sql_get(dbx_sql_statement **out, dbx_client *c, const char *statement_id);

/**
 * Poll a statement until it is terminal, with the caller's deadline
 * (wait->timeout_ms; the waiters' default when 0) and backoff; on_poll may
 * cancel the wait (not the statement: call dbx_sql_cancel for that).
 * DBX_OK with *out on SUCCEEDED. DBX_ESTATE on FAILED, CANCELED or CLOSED,
 * DBX_ETIMEOUT and DBX_ECANCELLED hand back the last snapshot in *out
 * (free it); other errors leave *out NULL.
 */
DBX_API dbx_status dbx_sql_wait(dbx_sql_statement **out, dbx_client *c, const char *statement_id,
                                const dbx_wait_options *wait);

/**
 * Execute, then wait until terminal: dbx_sql_execute followed by
 * dbx_sql_wait when the statement is still PENDING or RUNNING. Returns and
 * hands back *out as those two calls do.
 */
DBX_API dbx_status dbx_sql_run(dbx_sql_statement **out, dbx_client *c, const char *warehouse_id,
                               const char *statement, const dbx_sql_params *params,
                               const dbx_sql_execute_options *opts, const dbx_wait_options *wait);

/** Ask the server to cancel (POST .../cancel). A receipt only: the state
 *  becomes CANCELED later (poll with dbx_sql_get / dbx_sql_wait). */
DBX_API dbx_status dbx_sql_cancel(dbx_client *c, const char *statement_id);

/** Close a statement and free its result (DELETE .../{id}). Chunk calls
 *  fail afterwards: close only when every row or chunk has been read. */
DBX_API dbx_status dbx_sql_close(dbx_client *c, const char *statement_id);

/* ------------------------------------------------------------------ */
/* Row iterator                                                         */

typedef struct dbx_sql_rows_options {
    unsigned int version;    /**< DBX_SQL_ROWS_OPTIONS_VERSION */
    /** Chunks held in memory at once, the one being read included; chunks
     *  after it are fetched in parallel up to this bound. Default 3; 1
     *  fetches one chunk at a time. At most 64. */
    int max_chunks;
    /** 1: rows_next ends with DBX_ETOOLARGE instead of DBX_DONE when the
     *  result was truncated by row_limit / byte_limit. */
    int truncated_is_error;
    /** 1: close the statement (DELETE) when the iterator is freed. */
    int close_statement;
    /** Refresh a presigned link this long before its expiration; default 60000. */
    long link_refresh_margin_ms;
    /** Refreshes of one chunk's link after a 403 (expired link); default 3. */
    int max_link_refreshes;
} dbx_sql_rows_options;

#define DBX_SQL_ROWS_OPTIONS_VERSION 1
#define DBX_SQL_ROWS_OPTIONS_INIT {DBX_SQL_ROWS_OPTIONS_VERSION, 0, 0, 0, 0, 0}
DBX_API void dbx_sql_rows_options_init(dbx_sql_rows_options *o);

/** Rows of a SUCCEEDED JSON_ARRAY result, chunk by chunk. */
typedef struct dbx_sql_rows dbx_sql_rows;

/**
 * Open a row iterator on a SUCCEEDED statement (INLINE or EXTERNAL_LINKS,
 * JSON_ARRAY). Makes no request: the first chunk comes from the statement.
 * INLINE chunks are fetched through the chunk endpoint; EXTERNAL_LINKS
 * chunks from their presigned links (with their http_headers, never the
 * workspace's Authorization), a link near its expiration or answering 403
 * being renewed through the chunk endpoint first.
 * The iterator holds a reference on its client (free it in any order).
 * Errors: DBX_EINVAL (statement not SUCCEEDED, no manifest, a format other
 * than JSON_ARRAY, options out of range), DBX_ENOMEM.
 */
DBX_API dbx_status dbx_sql_rows_open(dbx_sql_rows **out, dbx_client *c, const dbx_sql_statement *st,
                                     const dbx_sql_rows_options *opts);

/**
 * Move to the next row: DBX_OK (the row is current), DBX_DONE after the
 * last row (DBX_ETOOLARGE instead when truncated_is_error and the result
 * was truncated), or an error; calling again after an error retries the
 * chunk that failed. A result that expired on the server (the chunk
 * endpoint answers 404: results are kept about 1 h) is DBX_ENOTFOUND with
 * dbx_sql_rows_result_expired() == 1 and a message saying so; an expired
 * link (403) is renewed, not an error, unless it stays expired after
 * max_link_refreshes renewals (DBX_EPERMISSION).
 */
DBX_API dbx_status dbx_sql_rows_next(dbx_sql_rows *rows);

/** Free the iterator (and close the statement when close_statement). NULL is a no-op. */
DBX_API void dbx_sql_rows_free(dbx_sql_rows *rows);

DBX_API int dbx_sql_rows_column_count(const dbx_sql_rows *rows);
/** Index of the first column named `name`, or -1. */
DBX_API int dbx_sql_rows_column_index(const dbx_sql_rows *rows, const char *name);
/** 0-based index of the current row in the whole result (-1 before the first). */
DBX_API int64_t dbx_sql_rows_row_index(const dbx_sql_rows *rows);
/** manifest.truncated: 1 when row_limit / byte_limit cut the result. */
DBX_API int dbx_sql_rows_truncated(const dbx_sql_rows *rows);
/** 1 after rows_next failed because the result expired on the server. */
DBX_API int dbx_sql_rows_result_expired(const dbx_sql_rows *rows);
/**
 * The statement the iterator reads (its manifest: column names and types;
 * see the dbx_sql_statement_column_* accessors), borrowed: valid until
 * dbx_sql_rows_free (the iterator holds a reference on it). For iterators
 * handed back without their statement, such as dbx_delta_read's. NULL for
 * a NULL iterator.
 */
DBX_API const dbx_sql_statement *dbx_sql_rows_statement(const dbx_sql_rows *rows);

/* Values of the current row. `col` is 0-based. Pointers are borrowed and
 * valid until the next dbx_sql_rows_next or dbx_sql_rows_free. */

/** 1 when the value is SQL NULL, 0 when not, -1 for a bad column or no current row. */
DBX_API int dbx_sql_rows_is_null(const dbx_sql_rows *rows, int col);
/** The value as the server's text (every type: DECIMAL as "12.50", DATE as
 *  "2024-01-31", TIMESTAMP as "2024-01-31T10:00:00.000Z"), or NULL for SQL
 *  NULL and for a bad column. A value holding U+0000 ends early here: use
 *  dbx_sql_rows_strlen for its whole length. */
DBX_API const char *dbx_sql_rows_str(const dbx_sql_rows *rows, int col);
DBX_API size_t dbx_sql_rows_strlen(const dbx_sql_rows *rows, int col);
/** DECIMAL as text: the same as dbx_sql_rows_str, named for readability. */
DBX_API const char *dbx_sql_rows_decimal(const dbx_sql_rows *rows, int col);

/*
 * Typed reads. DBX_OK with *out; DBX_EINVAL for a bad column, no current
 * row or a SQL NULL (test dbx_sql_rows_is_null first); DBX_EBADRESPONSE
 * when the text does not convert (out of range included). *out is 0 on
 * failure. The failure is recorded for the iterator's client.
 */
/** Integer text ("-42"); also a real with an integral value ("3.0"). */
DBX_API dbx_status dbx_sql_rows_int64(int64_t *out, const dbx_sql_rows *rows, int col);
DBX_API dbx_status dbx_sql_rows_double(double *out, const dbx_sql_rows *rows, int col);
/** "true" / "false" (any case), "1" / "0". */
DBX_API dbx_status dbx_sql_rows_bool(int *out, const dbx_sql_rows *rows, int col);
/**
 * DATE ("YYYY-MM-DD", midnight UTC) or TIMESTAMP ("YYYY-MM-DD[T ]HH:MM:SS[.f*]"
 * then "Z", "+hh:mm", "-hh:mm" or nothing for UTC) as epoch milliseconds /
 * microseconds (digits past microseconds are dropped).
 */
DBX_API dbx_status dbx_sql_rows_epoch_ms(int64_t *out, const dbx_sql_rows *rows, int col);
DBX_API dbx_status dbx_sql_rows_epoch_us(int64_t *out, const dbx_sql_rows *rows, int col);

/* ------------------------------------------------------------------ */
/* Raw chunks (ARROW_STREAM, CSV, or JSON_ARRAY through EXTERNAL_LINKS)  */

/**
 * Receives the bytes of the result's chunks in order, on the calling
 * thread: every piece of chunk i (one or more calls with len > 0), then
 * one call with data NULL and len 0 marking its end, before any byte of
 * chunk i + 1. Return 0 to go on, non-zero to stop (the call then fails
 * with DBX_ECANCELLED).
 */
typedef int (*dbx_sql_chunk_fn)(void *payload, int chunk_index, const char *data, size_t len);

/**
 * Stream every chunk of an EXTERNAL_LINKS result (any format) to `fn`, in
 * order (the ARROW_STREAM chunks are each one Arrow IPC stream; CSV chunks
 * carry the header row in the first chunk only). Links are fetched with
 * their own headers and renewed as for dbx_sql_rows_next; `opts` (may be
 * NULL) bounds the chunks in flight (max_chunks) and may close the
 * statement at the end (close_statement). A failure after part of a chunk
 * was delivered is not retried (no byte is delivered twice).
 * Errors: DBX_EINVAL (not SUCCEEDED, or an INLINE result: use
 * dbx_sql_rows_open), DBX_ECANCELLED, DBX_ENOTFOUND (result expired), ...
 */
DBX_API dbx_status dbx_sql_chunks_stream(dbx_client *c, const dbx_sql_statement *st,
                                         const dbx_sql_rows_options *opts, dbx_sql_chunk_fn fn,
                                         void *payload);

/**
 * The chunks concatenated into a local file (written beside it and renamed
 * into place at the end: a failure never leaves a partial file under
 * `path`). Fails with DBX_EEXISTS when `path` exists and !overwrite.
 */
DBX_API dbx_status dbx_sql_chunks_to_file(dbx_client *c, const dbx_sql_statement *st,
                                          const dbx_sql_rows_options *opts, const char *path,
                                          int overwrite);

DBX_END_DECL

#endif /* DBX_SQL_H */
