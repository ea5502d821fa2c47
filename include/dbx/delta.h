/*
 * libdbx - Delta table helpers, built on SQL statement execution (sql.h)
 * and the Files API (files.h).
 *
 *   create a table from a column spec         dbx_delta_create_table
 *   bulk load a local CSV / JSON / Parquet    dbx_delta_load_file   (upload + COPY INTO)
 *   append rows in batches                    dbx_delta_append      (INSERT ... VALUES)
 *   upsert by key                             dbx_delta_upsert      (MERGE INTO)
 *   read, with time travel                    dbx_delta_read        (VERSION / TIMESTAMP AS OF)
 *   history as typed entries                  dbx_delta_describe_history
 *   maintenance                               dbx_delta_optimize, dbx_delta_vacuum
 *
 * No SQL injection through these helpers. Caller text reaches a statement
 * in three ways only:
 *   - names (tables, columns) are validated and every part is quoted with
 *     backticks, a backtick inside being doubled (dbx_delta_quote_name);
 *     control characters, NUL, invalid UTF-8 and invisible formatting
 *     characters are refused, and a part is 1..255 characters;
 *   - SQL types are parsed by an allow-list grammar and written back in
 *     the library's own spelling (see dbx_delta_table_spec_add_column;
 *     column specs given as text are parsed the same way and re-written,
 *     never sent as written);
 *   - text that SQL only takes as a literal (table and column COMMENT,
 *     TBLPROPERTIES, the COPY INTO path and options, TIMESTAMP AS OF) is
 *     escaped as a Spark SQL string literal (dbx_delta_quote_literal).
 * Row values and keys are never in the text: they are named parameters
 * (:p0, :p1, ...) bound by the server.
 *
 * Table names: "t", "schema.t" or "catalog.schema.t". A part is bare
 * (ASCII letters, digits, '_', and non-ASCII characters) or written in
 * backticks ("`my-table`", "`a``b`" for a`b) when it holds anything else,
 * a '.' included. Column names are taken as they are (a column named
 * "a.b" is one column): they are not parsed.
 *
 * Every statement goes through dbx_sql_run: the warehouse id is required,
 * the options give the default catalog / schema and the wait for each
 * statement (dbx_delta_options.wait: the caller's deadline). A statement
 * that ends FAILED or CANCELED is DBX_ESTATE, the server's error code,
 * message and SQL state in the error record's message. When the wait
 * ends first (DBX_ETIMEOUT, or DBX_ECANCELLED from on_poll) the statement
 * may still run on the warehouse, unless cancel_on_wait_end asks the
 * server to cancel it.
 *
 * Thread-safety: functions taking a dbx_client may be called from any
 * thread. Specs, row sets and history objects are used by one thread at a
 * time while being built; a history is immutable once returned.
 * Errors common to every call: DBX_EINVAL (bad argument, checked before
 * any I/O, the message naming it), DBX_ESTATE (the statement failed), the
 * HTTP-derived codes of errors.h (an unknown warehouse is DBX_ENOTFOUND),
 * DBX_ETRANSPORT, DBX_ETIMEOUT, DBX_EBADRESPONSE, DBX_ENOMEM.
 */
#ifndef DBX_DELTA_H
#define DBX_DELTA_H

#include "common.h"
#include "errors.h"
#include "files.h"
#include "sql.h"

DBX_BEGIN_DECL

/* ------------------------------------------------------------------ */
/* Quoting (what the helpers use; public for callers who write SQL)     */

/**
 * Validate a 1..3 part name (syntax above) and write it with every part in
 * backticks: "main.default.t" -> "`main`.`default`.`t`", "`a``b`" ->
 * "`a``b`". Caller frees *out with dbx_free().
 * Errors: DBX_EINVAL (empty, more than 3 parts, empty part, unterminated
 * backtick, a character that needs quoting in a bare part, a control or
 * invisible character, invalid UTF-8, a part over 255 characters; the
 * message says which, at which byte), DBX_ENOMEM. Read the detail with
 * dbx_client_last_error(NULL).
 */
DBX_API dbx_status dbx_delta_quote_name(char **out, const char *name);

/** Quote one raw name (a column) as it is: "a`b" -> "`a``b`". Same checks
 *  as one part of dbx_delta_quote_name. Caller frees *out with dbx_free(). */
DBX_API dbx_status dbx_delta_quote_column(char **out, const char *column);

/**
 * A Spark SQL string literal holding `text` exactly: '...' with \\ \' \n \r
 * \t and \u00XX escapes (Spark SQL reads backslash escapes; '' is not a
 * quote there). `text` must be valid UTF-8. Caller frees with dbx_free().
 */
DBX_API dbx_status dbx_delta_quote_literal(char **out, const char *text);

/* ------------------------------------------------------------------ */
/* Options shared by every call                                         */

typedef struct dbx_delta_options {
    unsigned int version;   /**< DBX_DELTA_OPTIONS_VERSION */
    const char *catalog;    /**< default catalog of the statements (as USE CATALOG), or NULL */
    const char *schema;     /**< default schema (as USE SCHEMA), or NULL */
    /** The wait of each statement (deadline, backoff, on_poll); NULL: the
     *  waiters' defaults. */
    const dbx_wait_options *wait;
    /** dbx_delta_append / dbx_delta_upsert: rows per statement; 0: 500. */
    long batch_rows;
    /** dbx_delta_append / dbx_delta_upsert: bound on one statement's size,
     *  its text plus its parameters as JSON, in bytes; 0: 1 MiB; at most
     *  16 MiB (the service's limit), at least 4 KiB. A batch ends before
     *  the row that would pass it; a single row above it is DBX_EINVAL. */
    long max_statement_bytes;
    /** 1: when the wait ends before the statement does (DBX_ETIMEOUT, or
     *  DBX_ECANCELLED from on_poll), ask the server to cancel it (best
     *  effort: it may have committed already). 0: leave it running. */
    int cancel_on_wait_end;
} dbx_delta_options;

#define DBX_DELTA_OPTIONS_VERSION 1
#define DBX_DELTA_OPTIONS_INIT {DBX_DELTA_OPTIONS_VERSION, NULL, NULL, NULL, 0, 0, 0}
DBX_API void dbx_delta_options_init(dbx_delta_options *o);

/* ------------------------------------------------------------------ */
/* Table spec and create                                                */

/**
 * A table definition under construction. Every string is copied and
 * checked when added (DBX_EINVAL naming the argument; detail with
 * dbx_client_last_error(NULL)).
 */
typedef struct dbx_delta_table_spec dbx_delta_table_spec;

/** New empty spec. Caller frees with dbx_delta_table_spec_free(). */
DBX_API dbx_status dbx_delta_table_spec_new(dbx_delta_table_spec **out);
DBX_API void dbx_delta_table_spec_free(dbx_delta_table_spec *spec);

/**
 * Add a column. `name`: the raw column name (quoted by the library).
 * `type`: one of the allow-list, case-insensitive: BOOLEAN, TINYINT (BYTE),
 * SMALLINT (SHORT), INT (INTEGER), BIGINT (LONG), FLOAT (REAL), DOUBLE,
 * DECIMAL[(p[,s])] (DEC, NUMERIC; 1 <= p <= 38, 0 <= s <= p; default
 * (10,0)), STRING, DATE, TIMESTAMP, TIMESTAMP_NTZ, BINARY. `not_null`
 * adds NOT NULL. `comment` may be NULL. A name added twice is DBX_EINVAL.
 */
DBX_API dbx_status dbx_delta_table_spec_add_column(dbx_delta_table_spec *spec, const char *name,
                                                   const char *type, int not_null, const char *comment);
/**
 * Add columns written as text, the column-spec grammar:
 *   "id BIGINT NOT NULL COMMENT 'the key', `first name` STRING, amount DECIMAL(10, 2)"
 * A definition is a name (bare: ASCII letters, digits, '_' and non-ASCII
 * characters; else in backticks, `` for a backtick), a type of the
 * allow-list above, then NOT NULL and COMMENT '<Spark SQL string literal,
 * backslash escapes>' in any order, each at most once; keywords in any
 * case; definitions separated by ','. Nothing of the text is sent as
 * written: the statement is re-written from what was parsed. All or
 * nothing: on an error no column is added.
 * Errors: DBX_EINVAL (the reason and the byte offset in the message;
 * a name already in the spec), DBX_ENOMEM.
 */
DBX_API dbx_status dbx_delta_table_spec_add_columns(dbx_delta_table_spec *spec, const char *columns);
/** Partition by this column (in the order of the calls); it must be one of
 *  the columns when the table is created. */
DBX_API dbx_status dbx_delta_table_spec_add_partition_column(dbx_delta_table_spec *spec, const char *name);
/** Table COMMENT (NULL clears it). */
DBX_API dbx_status dbx_delta_table_spec_set_comment(dbx_delta_table_spec *spec, const char *comment);
/** Add or replace one TBLPROPERTIES entry ("delta.appendOnly" = "true"). */
DBX_API dbx_status dbx_delta_table_spec_set_property(dbx_delta_table_spec *spec, const char *key,
                                                     const char *value);
/** 1: CREATE TABLE IF NOT EXISTS (an existing table is then not an error). */
DBX_API dbx_status dbx_delta_table_spec_set_if_not_exists(dbx_delta_table_spec *spec, int if_not_exists);

/**
 * The CREATE TABLE statement for `table` (what dbx_delta_create_table
 * sends). Caller frees *out with dbx_free().
 * Errors: DBX_EINVAL (bad table name, no column, a partition column that
 * is not a column), DBX_ENOMEM.
 */
DBX_API dbx_status dbx_delta_table_spec_to_sql(char **out, const dbx_delta_table_spec *spec,
                                               const char *table);

/** CREATE TABLE [IF NOT EXISTS] table (cols) USING DELTA [PARTITIONED BY
 *  (...)] [COMMENT '...'] [TBLPROPERTIES (...)]. An existing table without
 *  if_not_exists: DBX_ESTATE (TABLE_OR_VIEW_ALREADY_EXISTS in the message). */
DBX_API dbx_status dbx_delta_create_table(dbx_client *c, const char *warehouse_id, const char *table,
                                          const dbx_delta_table_spec *spec, const dbx_delta_options *opts);

/* ------------------------------------------------------------------ */
/* Bulk load                                                            */

typedef enum dbx_delta_file_format {
    DBX_DELTA_FORMAT_CSV = 1,
    DBX_DELTA_FORMAT_JSON = 2,
    DBX_DELTA_FORMAT_PARQUET = 3
} dbx_delta_file_format_t;

/** One key / value pair of FORMAT_OPTIONS or COPY_OPTIONS. */
typedef struct dbx_delta_kv {
    const char *key;
    const char *value;
} dbx_delta_kv;

typedef struct dbx_delta_load_options {
    unsigned int version;            /**< DBX_DELTA_LOAD_OPTIONS_VERSION */
    dbx_delta_file_format_t format;  /**< 0: CSV */
    /** FORMAT_OPTIONS ('header' = 'true', ...), or NULL. Keys and values
     *  are escaped literals. */
    const dbx_delta_kv *format_options;
    size_t n_format_options;
    /** COPY_OPTIONS ('mergeSchema' = 'true', ...), or NULL. */
    const dbx_delta_kv *copy_options;
    size_t n_copy_options;
    /** 1: leave the staged file in the volume (default: deleted once COPY
     *  INTO has run, whether it succeeded or failed). */
    int keep_staged_file;
    /** Upload options of the staged file (NULL: defaults). */
    const dbx_files_upload_options *upload;
} dbx_delta_load_options;

#define DBX_DELTA_LOAD_OPTIONS_VERSION 1
#define DBX_DELTA_LOAD_OPTIONS_INIT {DBX_DELTA_LOAD_OPTIONS_VERSION, (dbx_delta_file_format_t)0, NULL, 0, NULL, 0, 0, NULL}
DBX_API void dbx_delta_load_options_init(dbx_delta_load_options *o);

/**
 * Bulk load a local file: upload it (Files API) to
 * "<volume_dir>/dbx-load-<random>.<csv|json|parquet>", run
 * COPY INTO table FROM '<that path>' FILEFORMAT = <format>
 * [FORMAT_OPTIONS (...)] [COPY_OPTIONS (...)], then delete the staged file
 * (unless keep_staged_file). `volume_dir` is "/Volumes/<catalog>/<schema>/
 * <volume>" or a directory below it, without glob or URI characters
 * (* ? [ ] { } \ % #: COPY INTO reads the path as a pattern). *rows_loaded (may be NULL) gets the
 * num_affected_rows of the COPY INTO result (-1 when the result has none).
 * `staged_path` (may be NULL) receives the staged file's path (caller
 * frees with dbx_free(); set as soon as the upload succeeded, so that a
 * kept file can be found after a failure).
 * Once COPY INTO succeeded the call succeeds: a staged file that cannot be
 * deleted then is left behind with a warning in the log (failing would
 * invite a retry that loads the rows twice).
 * Errors: DBX_EINVAL (bad path, format, options), the Files API's errors
 * (a missing local file is DBX_ENOTFOUND), DBX_ESTATE (COPY INTO failed;
 * the staged file is deleted all the same unless keep_staged_file).
 */
DBX_API dbx_status dbx_delta_load_file(int64_t *rows_loaded, char **staged_path, dbx_client *c,
                                       const char *warehouse_id, const char *table, const char *local_path,
                                       const char *volume_dir, const dbx_delta_load_options *load,
                                       const dbx_delta_options *opts);

/* ------------------------------------------------------------------ */
/* Row sets: typed values for append and upsert                          */

/**
 * Rows of typed values for a fixed list of columns. Add one value per
 * column, in order, then end the row. Every value is sent as a named
 * parameter with its type; nothing is spliced into SQL. Strings are
 * copied. Errors: DBX_EINVAL (a NULL set, a value past the last column,
 * ending a row that lacks values, invalid UTF-8, a type outside the
 * allow-list, a non-finite double), DBX_ENOMEM; detail with
 * dbx_client_last_error(NULL).
 */
typedef struct dbx_delta_rowset dbx_delta_rowset;

/** New empty set for `n_columns` raw column names (copied; validated as
 *  by dbx_delta_quote_column; no duplicates). Free with dbx_delta_rowset_free(). */
DBX_API dbx_status dbx_delta_rowset_new(dbx_delta_rowset **out, const char *const *columns, size_t n_columns);
DBX_API void dbx_delta_rowset_free(dbx_delta_rowset *rows);
/** Complete rows so far. */
DBX_API size_t dbx_delta_rowset_count(const dbx_delta_rowset *rows);
/** Remove every row (keeps the columns and the allocation). */
DBX_API void dbx_delta_rowset_clear(dbx_delta_rowset *rows);

/** SQL NULL, sent with the type of the column's first typed value in the
 *  set (STRING when there is none); dbx_delta_rowset_add_value(rows, NULL,
 *  type) gives the type explicitly. */
DBX_API dbx_status dbx_delta_rowset_add_null(dbx_delta_rowset *rows);
/** STRING (NULL pointer: SQL NULL, as dbx_delta_rowset_add_null). */
DBX_API dbx_status dbx_delta_rowset_add_string(dbx_delta_rowset *rows, const char *value);
/** BIGINT. */
DBX_API dbx_status dbx_delta_rowset_add_int64(dbx_delta_rowset *rows, int64_t value);
/** DOUBLE (finite values only). */
DBX_API dbx_status dbx_delta_rowset_add_double(dbx_delta_rowset *rows, double value);
/** BOOLEAN. */
DBX_API dbx_status dbx_delta_rowset_add_bool(dbx_delta_rowset *rows, int value);
/** A value as text with its SQL type from the allow-list ("12.50",
 *  "DECIMAL(10,2)"; "2024-01-31", "DATE"; "2024-01-31T10:00:00Z",
 *  "TIMESTAMP"); the server casts it. NULL value: SQL NULL of that type. */
DBX_API dbx_status dbx_delta_rowset_add_value(dbx_delta_rowset *rows, const char *value, const char *type);
/** End the current row: it must have a value for every column. */
DBX_API dbx_status dbx_delta_rowset_end_row(dbx_delta_rowset *rows);

/**
 * Append the complete rows of `rows` to `table`: each batch one
 * INSERT INTO table (cols) VALUES (:p0, :p1), (:p2, :p3), ... with at most
 * batch_rows rows and max_statement_bytes bytes (see dbx_delta_options).
 * Batches run in order, each its own transaction: after a failure the
 * earlier batches stay written, and *rows_written (may be NULL) says how
 * many rows they held. An empty set sends nothing.
 */
DBX_API dbx_status dbx_delta_append(int64_t *rows_written, dbx_client *c, const char *warehouse_id,
                                    const char *table, const dbx_delta_rowset *rows,
                                    const dbx_delta_options *opts);

/**
 * Upsert by key: for each batch (as for append),
 *   MERGE INTO table AS t
 *   USING (SELECT :p0 AS `a`, :p1 AS `b` UNION ALL SELECT :p2, :p3 ...) AS s
 *   ON t.`k1` = s.`k1` [AND ...]
 *   WHEN MATCHED THEN UPDATE SET `b` = s.`b`, ...   (the non-key columns; left
 *                                                  out when every column is a key)
 *   WHEN NOT MATCHED THEN INSERT (`a`, `b`) VALUES (s.`a`, s.`b`)
 * `keys` (n_keys >= 1) must be columns of the set. A NULL key never
 * matches (the row is inserted). Two rows with the same key values (as
 * text) are refused with DBX_EINVAL before anything is sent: the service
 * fails a MERGE where two source rows match one target row.
 * *rows_affected (may be NULL): the sum of the batches' num_affected_rows
 * (-1 when the server reports none).
 */
DBX_API dbx_status dbx_delta_upsert(int64_t *rows_affected, dbx_client *c, const char *warehouse_id,
                                    const char *table, const char *const *keys, size_t n_keys,
                                    const dbx_delta_rowset *rows, const dbx_delta_options *opts);

/* ------------------------------------------------------------------ */
/* Read (time travel)                                                   */

typedef enum dbx_delta_as_of {
    DBX_DELTA_AS_OF_LATEST = 0,    /**< the current version */
    DBX_DELTA_AS_OF_VERSION = 1,   /**< VERSION AS OF <version> */
    DBX_DELTA_AS_OF_TIMESTAMP = 2  /**< TIMESTAMP AS OF '<timestamp>' */
} dbx_delta_as_of_t;

typedef struct dbx_delta_read_options {
    unsigned int version;         /**< DBX_DELTA_READ_OPTIONS_VERSION */
    dbx_delta_as_of_t as_of;
    int64_t table_version;        /**< for DBX_DELTA_AS_OF_VERSION (>= 0) */
    /** For DBX_DELTA_AS_OF_TIMESTAMP: "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS[.f]]"
     *  (or with 'T'), optionally "Z" or "+hh:mm" / "-hh:mm". */
    const char *timestamp;
    const char *const *columns;   /**< raw column names to select, or NULL for * */
    size_t n_columns;
    int64_t limit;                /**< 0: no LIMIT */
    /** The statement's execution options (disposition, row/byte limit...;
     *  catalog / schema come from dbx_delta_options); NULL: defaults. */
    const dbx_sql_execute_options *execute;
    /** Options of the row iterator (NULL: defaults); close_statement is
     *  always set: freeing the iterator closes the statement. */
    const dbx_sql_rows_options *rows;
} dbx_delta_read_options;

#define DBX_DELTA_READ_OPTIONS_VERSION 1
#define DBX_DELTA_READ_OPTIONS_INIT \
    {DBX_DELTA_READ_OPTIONS_VERSION, DBX_DELTA_AS_OF_LATEST, 0, NULL, NULL, 0, 0, NULL, NULL}
DBX_API void dbx_delta_read_options_init(dbx_delta_read_options *o);

/**
 * SELECT cols FROM table [VERSION AS OF n | TIMESTAMP AS OF '...'] [LIMIT n],
 * waited for, then a row iterator over the result (see sql.h). Caller
 * frees *out with dbx_sql_rows_free(), which closes the statement.
 * Errors: DBX_EINVAL (bad table, column, version < 0, timestamp not of the
 * accepted forms), DBX_ESTATE (e.g. a version that does not exist).
 */
DBX_API dbx_status dbx_delta_read(dbx_sql_rows **out, dbx_client *c, const char *warehouse_id,
                                  const char *table, const dbx_delta_read_options *read,
                                  const dbx_delta_options *opts);

/* ------------------------------------------------------------------ */
/* History                                                              */

/** DESCRIBE HISTORY as typed entries, newest first (the server's order). Immutable. */
typedef struct dbx_delta_history dbx_delta_history;

/**
 * DESCRIBE HISTORY table [LIMIT n] (limit 0: every entry the table keeps;
 * at most 100000 entries are read: more is DBX_ETOOLARGE). Caller frees
 * *out with dbx_delta_history_free().
 */
DBX_API dbx_status dbx_delta_describe_history(dbx_delta_history **out, dbx_client *c, const char *warehouse_id,
                                              const char *table, int64_t limit, const dbx_delta_options *opts);
DBX_API void dbx_delta_history_free(dbx_delta_history *h);
DBX_API size_t dbx_delta_history_count(const dbx_delta_history *h);
/* Entry i (0-based). Strings are borrowed from the history ("" when the
 * server sent none or i is out of range); numbers -1 then. */
DBX_API int64_t dbx_delta_history_version(const dbx_delta_history *h, size_t i);
/** The commit time as the server wrote it. */
DBX_API const char *dbx_delta_history_timestamp(const dbx_delta_history *h, size_t i);
/** The commit time in epoch milliseconds (-1 when absent or unreadable). */
DBX_API int64_t dbx_delta_history_timestamp_ms(const dbx_delta_history *h, size_t i);
/** "CREATE TABLE", "WRITE", "MERGE", "OPTIMIZE", "VACUUM START", ... */
DBX_API const char *dbx_delta_history_operation(const dbx_delta_history *h, size_t i);
/** userName, or userId when the server sent no name. */
DBX_API const char *dbx_delta_history_user(const dbx_delta_history *h, size_t i);
/** operationParameters as JSON text ("{}" when absent). */
DBX_API const char *dbx_delta_history_operation_parameters(const dbx_delta_history *h, size_t i);
/** operationMetrics as JSON text ("{}" when absent). */
DBX_API const char *dbx_delta_history_operation_metrics(const dbx_delta_history *h, size_t i);

/* ------------------------------------------------------------------ */
/* Maintenance                                                          */

/** OPTIMIZE table [ZORDER BY (cols)] (zorder may be NULL when n_zorder is 0). */
DBX_API dbx_status dbx_delta_optimize(dbx_client *c, const char *warehouse_id, const char *table,
                                      const char *const *zorder, size_t n_zorder, const dbx_delta_options *opts);

/** VACUUM table [RETAIN n HOURS]; retain_hours < 0: the table's retention
 *  (the service refuses less than 168 hours unless its check is disabled). */
DBX_API dbx_status dbx_delta_vacuum(dbx_client *c, const char *warehouse_id, const char *table,
                                    int64_t retain_hours, const dbx_delta_options *opts);

DBX_END_DECL

#endif /* DBX_DELTA_H */
