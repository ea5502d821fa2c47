/* libdbx internal: the SQL statement parsers, for the fuzz target. */
#ifndef DBX_SQL_INTERNAL_H
#define DBX_SQL_INTERNAL_H

#include "api.h"
#include "dbx/sql.h"

/* A statement from a StatementResponse body (copied): as dbx_sql_get
 * builds it. Failures are recorded for owner. */
dbx_status dbx__sql_statement_parse(dbx_sql_statement **out, const void *owner, const char *json,
                                    size_t len);

/* Walk the rows of a parsed chunk document (a ResultData object with
 * data_array, or a bare array of rows as EXTERNAL_LINKS JSON_ARRAY chunks
 * are), reading every value through the typed accessors' converters.
 * Returns the number of rows, or -1 when the chunk is malformed. */
long dbx__sql_chunk_walk(const char *json, size_t len, int ncols);

/* The timestamp / date converter of dbx_sql_rows_epoch_us: 0 with *us set,
 * -1 when `s` is not a DATE or TIMESTAMP text. */
int dbx__sql_parse_time(const char *s, int64_t *us);

#endif
