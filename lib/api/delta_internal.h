/*
 * libdbx internal: the SQL text that the Delta helpers (lib/api/delta.c)
 * write themselves, in one small file (lib/api/delta_sql.c) that unit
 * tests (tests/unit/test_delta_sql.c) and the fuzz target
 * (tests/fuzz/fuzz_delta_ident.c) reach directly.
 *
 * The rule of the Delta helpers: only three kinds of caller text ever
 * reach a statement, each through one function here:
 *   - identifiers (table and column names): validated, then every part
 *     backtick-quoted with backticks doubled (dbx__delta_put_part);
 *   - SQL types: parsed by an allow-list grammar and re-written from the
 *     grammar's own spelling (dbx__delta_type_canon): no caller byte;
 *   - string literals where the SQL grammar admits no parameter (COMMENT,
 *     TBLPROPERTIES, COPY INTO paths and options, TIMESTAMP AS OF): escaped
 *     with dbx__delta_put_literal.
 * Values (rows, keys) are never written into the text: they are named
 * parameters (:p0, :p1, ...).
 */
#ifndef DBX_DELTA_INTERNAL_H
#define DBX_DELTA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"

/* Bounds of one identifier part: 1..255 characters (Unity Catalog's limit
 * for names), counted as Unicode code points. */
#define DBX__DELTA_PART_MAX_CHARS 255
#define DBX__DELTA_MAX_PARTS 3

/* NULL when `len` bytes at `p` are acceptable as ONE identifier part (the
 * raw name, without quoting), else a static reason. Rejected: empty, more
 * than 255 code points, invalid UTF-8 (overlong, surrogate, > U+10FFFF),
 * C0 and C1 control characters and DEL, NUL, and the invisible characters
 * that make a name read differently from what it is (U+200E/F, U+202A-E,
 * U+2066-9 bidirectional controls, U+2028/9 line separators, U+FEFF). */
const char *dbx__delta_part_problem(const char *p, size_t len);

/* A parsed multi-part name: n parts, each a NUL-terminated raw name. */
typedef struct dbx__delta_name {
    int n;
    char *part[DBX__DELTA_MAX_PARTS];
} dbx__delta_name;

/* Parse `len` bytes as a dotted name of 1..max_parts parts. A part is
 * either bare (ASCII letters, digits, '_' and non-ASCII characters) or
 * backtick-quoted (any acceptable character; a backtick is written ``).
 * Every part is then checked with dbx__delta_part_problem.
 * Returns 0 (out filled; dispose it), -1 invalid (*why a static reason,
 * *at the byte offset), -2 out of memory. */
int dbx__delta_name_parse(dbx__delta_name *out, const char *s, size_t len, int max_parts,
                          const char **why, size_t *at);
void dbx__delta_name_dispose(dbx__delta_name *n);

/* Append one part backtick-quoted (backticks doubled). The part must have
 * passed dbx__delta_part_problem. -1 on OOM (sticky in the buffer). */
int dbx__delta_put_part(dbx__buf *b, const char *p, size_t len);
/* Append `a`.`b`.`c`. */
int dbx__delta_put_name(dbx__buf *b, const dbx__delta_name *n);

/* Append a Databricks (Spark) SQL string literal holding exactly the `len`
 * bytes at s: '...' with \\ for a backslash, \' for a quote, \n \r \t and
 * \u00XX for the other control characters. Spark reads backslash escapes
 * in literals and does NOT read '' as a quote, so doubling would be wrong.
 * The literal's extent never depends on the server's settings: Spark's
 * lexer always takes a backslash and the next character together, so
 * with the legacy spark.sql.parser.escapedStringLiterals on, the value
 * keeps its backslashes (a different value, not a different statement).
 * The caller checks UTF-8 validity. -1 on OOM. */
int dbx__delta_put_literal(dbx__buf *b, const char *s, size_t len);

/* Undo dbx__delta_put_literal's escapes (Spark's rules, for tests and the
 * fuzz target): `len` bytes starting with the opening quote. Returns the
 * number of bytes consumed through the closing quote, or 0 when the text
 * is not one complete literal. */
size_t dbx__delta_literal_read(dbx__buf *out, const char *s, size_t len);

/* The SQL type allow-list grammar (case-insensitive, blanks allowed around
 * tokens):
 *   BOOLEAN | TINYINT | BYTE | SMALLINT | SHORT | INT | INTEGER | BIGINT |
 *   LONG | FLOAT | REAL | DOUBLE | STRING | DATE | TIMESTAMP |
 *   TIMESTAMP_NTZ | BINARY | (DECIMAL | DEC | NUMERIC) [ '(' p [ ',' s ] ')' ]
 * with 1 <= p <= 38 and 0 <= s <= p (DECIMAL alone is DECIMAL(10,0)).
 * Appends the canonical spelling (BIGINT, DECIMAL(10,2), ...) and returns
 * 0; -1 invalid (*why set, nothing appended), -2 OOM. */
int dbx__delta_type_canon(dbx__buf *b, const char *type, const char **why);

/* One column definition: the raw name, the canonical type, NOT NULL, and
 * the comment (raw text, or NULL). */
typedef struct dbx__delta_coldef {
    char *name;
    char *comment;
    char type[24];
    int not_null;
} dbx__delta_coldef;

#define DBX__DELTA_MAX_COLUMNS 4096

/* Parse column definitions from text (the column-spec grammar):
 *   spec    := coldef ( ',' coldef )*
 *   coldef  := name type ( NOT NULL | COMMENT literal )*   (each at most once)
 *   name    := bare | backtick-quoted          (as one part of a table name)
 *   type    := the allow-list of dbx__delta_type_canon
 *   literal := a Spark SQL string literal '...' with backslash escapes
 * Keywords are case-insensitive; blanks, tabs and line breaks separate
 * tokens. Names are checked with dbx__delta_part_problem, comments must
 * decode to valid UTF-8 without NUL; at most DBX__DELTA_MAX_COLUMNS.
 * Returns 0 (*out: n definitions, free with dbx__delta_coldefs_free), -1
 * invalid (*why a static reason, *at the byte offset), -2 OOM. */
int dbx__delta_coldefs_parse(dbx__delta_coldef **out, size_t *n, const char *s, size_t len, const char **why,
                             size_t *at);
void dbx__delta_coldefs_free(dbx__delta_coldef *defs, size_t n);
/* Append `name` TYPE[ NOT NULL][ COMMENT '...'] (what the parser reads back). */
int dbx__delta_put_coldef(dbx__buf *b, const dbx__delta_coldef *d);

/* A timestamp literal accepted for TIMESTAMP AS OF: a date, or a date and
 * time ("YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS[.fff]" or with a 'T', then an
 * optional "Z" or "+HH:MM"/"-HH:MM"). 1 when acceptable. */
int dbx__delta_timestamp_ok(const char *s);

#endif
