/*
 * Fuzz target: the SQL statement parsers of untrusted server text
 * (lib/api/sql.c).
 *
 * The same bytes are read three ways:
 * 1. as a StatementResponse (dbx_sql_get's answer): every accessor,
 *    manifest columns included, and out-of-range column indexes;
 * 2. as a result chunk (an INLINE ResultData object, or the bare array of
 *    rows of an EXTERNAL_LINKS JSON_ARRAY chunk), every value through the
 *    typed converters, with 1..12 columns;
 * 3. as a DATE / TIMESTAMP text for the epoch converter.
 *
 * Oracles: accessors never return NULL where the header promises a
 * string; the state enum agrees with the raw text; column lookups by name
 * find the column they name; an epoch converts back to a date in range.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/sql_internal.h"
#include "fuzz.h"

static void must(int cond)
{
    if (!cond)
        abort();
}

static void read_statement(const dbx_sql_statement *st)
{
    must(dbx_sql_statement_id(st) && *dbx_sql_statement_id(st));
    const char *raw = dbx_sql_statement_state_str(st);
    must(raw != NULL);
    dbx_sql_state_t s = dbx_sql_statement_state(st);
    must(s == DBX_SQL_STATE_UNKNOWN || strcmp(dbx_sql_state_name(s), raw) == 0);
    must(dbx_sql_statement_error_code(st) && dbx_sql_statement_error_message(st) &&
         dbx_sql_statement_sql_state(st) && dbx_sql_statement_format(st));
    int n = dbx_sql_statement_column_count(st);
    must(n >= 0);
    for (int i = -1; i <= n && i < 70; i++) {
        const char *name = dbx_sql_statement_column_name(st, i);
        must(name && dbx_sql_statement_column_type_name(st, i) && dbx_sql_statement_column_type_text(st, i));
        (void)dbx_sql_statement_column_type(st, i);
        must(dbx_sql_statement_column_precision(st, i) >= 0 && dbx_sql_statement_column_scale(st, i) >= 0);
        if (i >= 0 && i < n) {
            int k = dbx_sql_statement_column_index(st, name);
            must(k >= 0 && k <= i && strcmp(dbx_sql_statement_column_name(st, k), name) == 0);
        }
    }
    (void)(dbx_sql_statement_total_row_count(st) ^ dbx_sql_statement_total_byte_count(st));
    must(dbx_sql_statement_total_chunk_count(st) >= 0);
    (void)dbx_sql_statement_truncated(st);
    (void)dbx_sql_statement_has_manifest(st);
    (void)dbx_sql_statement_disposition(st);
    must(dbx_sql_statement_json(st) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int owner;
    dbx_sql_statement *st = NULL;
    if (dbx__sql_statement_parse(&st, &owner, (const char *)data, size) == DBX_OK) {
        must(st != NULL);
        read_statement(st);
        dbx_sql_statement_free(st);
    } else {
        must(st == NULL);
    }
    int ncols = size ? 1 + data[0] % 12 : 1;
    long rows = dbx__sql_chunk_walk((const char *)data, size, ncols);
    must(rows >= -1);
    char *text = fuzz_text(data, size);
    if (text) {
        int64_t us;
        if (dbx__sql_parse_time(text, &us) == 0) {
            /* years are 4 digits, maybe signed: within +-10000 years of 1970 */
            must(us > -INT64_C(400000000000000000) && us < INT64_C(400000000000000000));
        }
        free(text);
    }
    return 0;
}
