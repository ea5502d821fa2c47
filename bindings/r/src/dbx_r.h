/*
 * R glue for libdbx: what the area files share (src/common.c). Conventions:
 *  - No R error is ever raised from C while libdbx resources are held: a
 *    failing call returns a "dbx_failure" list (dbx_r_failure) and R code
 *    (R/errors.R) signals the classed condition.
 *  - Owned C objects are converted to R values at once (JSON text -> R,
 *    without recursion: dbx_r_json) and freed; long-lived ones live in
 *    external pointers with finalisers.
 *  - Waits use dbx_r_wait_opts / dbx_r_wait_answer: Ctrl-C and the progress
 *    callback's errors stop the wait through on_poll, never by unwinding.
 *  - Each area file (src/<area>.c) defines its .Call entry points and a
 *    NULL-terminated table `dbx_r_calls_<area>` that src/init.c registers.
 */
#ifndef DBX_R_H
#define DBX_R_H

#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>
#include <R_ext/Rdynload.h>

#include "dbx/dbx.h"

SEXP dbx_r_failure(const dbx_client *c, int status);
SEXP dbx_r_mkstr_or_na(const char *s);
/* A character(1) argument as UTF-8, or NULL for NULL / NA / empty vector. */
const char *dbx_r_str(SEXP s);
/* JSON text -> R (objects: named lists; scalar arrays: atomic vectors). */
SEXP dbx_r_json(const char *text);
/* The dbx_client of an external pointer, or NULL when closed / not one. */
dbx_client *dbx_r_client(SEXP x);

typedef struct dbx_r_wait {
    SEXP progress;
    int interrupted;
    int callback_failed;
    SEXP callback_error;
} dbx_r_wait;
void dbx_r_wait_opts(dbx_wait_options *o, dbx_r_wait *w, SEXP timeout, SEXP poll_interval, SEXP progress);
/* list(result, failure, interrupted, callback_error) for R/errors.R's .dbx_wait_result */
SEXP dbx_r_wait_answer(dbx_client *c, dbx_status st, SEXP snapshot, const dbx_r_wait *w);

#define DBX_R_NEED_CLIENT(c, x)                                                            \
    dbx_client *c = dbx_r_client(x);                                                       \
    if (!c)                                                                                \
        return dbx_r_failure(NULL, DBX_EINVAL)

/* An empty external pointer with a finaliser, for a C object made after it, so that
 * the object is freed whatever happens next (the caller protects it). */
SEXP dbx_r_holder(const char *tag, R_CFinalizer_t fin);
/* The finaliser of a holder of a dbx_sql_rows (SQL and Delta reads). */
void dbx_r_rows_finalize(SEXP h);
/* A CHARSXP in UTF-8 ("" for NULL). */
SEXP dbx_r_mkutf8(const char *s);

/* An int64 from an R number (NULL, length 0 or NA: dflt), clamped to the int64 range. */
int64_t dbx_r_int64_or(SEXP v, int64_t dflt);

/* A growing R list of results (an iterator drained into R): init PROTECTs the list (one
 * entry on the protect stack, which the caller pops after done); push protects `v` while
 * the list grows; done trims the list to its length and returns it (still protected). */
typedef struct dbx_r_acc {
    SEXP list;
    PROTECT_INDEX pi;
    R_xlen_t n, cap;
} dbx_r_acc;
void dbx_r_acc_init(dbx_r_acc *a);
void dbx_r_acc_push(dbx_r_acc *a, SEXP v);
SEXP dbx_r_acc_done(dbx_r_acc *a);

/* A download into memory (bytes of any length, grown by doubling from 64 KiB). Owned by an
 * external pointer made with dbx_r_holder(tag, dbx_r_membuf_finalize), so that an R error
 * (an allocation failure) unwinding past the call still frees it. */
typedef struct dbx_r_membuf {
    char *buf;
    size_t len, cap;
} dbx_r_membuf;
/* Allocate the buffer into `holder` (PROTECTed by the caller). NULL when out of memory. */
dbx_r_membuf *dbx_r_membuf_attach(SEXP holder);
/* Append; 0, or 1 when out of memory or past R's vector length (a sink's "stop"). */
int dbx_r_membuf_append(dbx_r_membuf *m, const char *data, size_t len);
/* A raw vector holding a copy of the bytes (unprotected). */
SEXP dbx_r_membuf_raw(const dbx_r_membuf *m);
/* The finaliser; also called directly to free early. */
void dbx_r_membuf_finalize(SEXP holder);

/* SQL values into R columns (src/sql.c; also used by src/delta.c, so that both give the
 * same column types): the column kind of a SQL type, its R vector type, and one value of
 * the iterator's current row into column vector `v` at `n`. */
enum { DBX_R_K_LGL, DBX_R_K_INT, DBX_R_K_I64, DBX_R_K_DBL, DBX_R_K_DATE, DBX_R_K_TIME, DBX_R_K_STR };
/* Serving inputs from a data.frame (serving.c): the table read once, with an R error for a bad
 * one raised here, before any libdbx object exists (so none can leak); then rows appended to a
 * dbx_serving_input (a builder failure is its status: read it with dbx_client_last_error(NULL)). */
typedef struct dbx_r_table {
    SEXP df;
    R_xlen_t nc, nr;
    const char **names; /* R_alloc'd */
    const char **cells; /* character cells, column-major; NULL for NA */
} dbx_r_table;
void dbx_r_table_read(dbx_r_table *t, SEXP df);
/* set_columns, then rows [from, to) */
dbx_status dbx_r_table_to_input(dbx_serving_input *in, const dbx_r_table *t, R_xlen_t from, R_xlen_t to);
/* Finalizer of an external pointer holding a dbx_serving_input (also safe to call directly). */
void dbx_r_serving_input_finalize(SEXP h);
int dbx_r_sql_kind(dbx_sql_type_t t);
SEXPTYPE dbx_r_sql_sexptype(int k);
dbx_status dbx_r_sql_put_value(SEXP v, R_xlen_t n, int k, const dbx_sql_rows *r, int i);

#endif
