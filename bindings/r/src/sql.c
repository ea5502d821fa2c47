/*
 * R glue: SQL statement execution (see dbx_r.h).
 *
 * A statement is handed to R as a list whose "ptr" element is an external
 * pointer owning the C dbx_sql_statement (freed by its finaliser), so rows and
 * raw chunks can be read from it later. Every libdbx resource held while R
 * allocates (a parameter list, a statement just returned, a row iterator) sits
 * in an external pointer with a finaliser made BEFORE the resource, so an R
 * allocation failure (a longjmp) never leaks it.
 *
 * Rows are read into typed column vectors in C (one .Call for the whole
 * result, every chunk followed): BOOLEAN -> logical; TINYINT / SMALLINT / INT
 * -> integer; BIGINT, FLOAT, DOUBLE, DECIMAL -> double; DATE -> days and
 * TIMESTAMP -> seconds since the epoch (R/sql.R adds the classes); anything
 * else -> character (UTF-8). SQL NULL is NA. Ctrl-C is polled every few
 * thousand rows and between raw chunk pieces; R callbacks (progress, a
 * connection writer) run through R_ToplevelExec and never unwind through
 * libdbx.
 */
#include <R_ext/Utils.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dbx_r.h"

/* ---- external pointers ------------------------------------------------------------------ */

static void stmt_finalize(SEXP h)
{
    dbx_sql_statement *st = R_ExternalPtrAddr(h);
    if (st) {
        dbx_sql_statement_free(st);
        R_ClearExternalPtr(h);
    }
}

static void params_finalize(SEXP h)
{
    dbx_sql_params *p = R_ExternalPtrAddr(h);
    if (p) {
        dbx_sql_params_free(p);
        R_ClearExternalPtr(h);
    }
}

static SEXP str1(const char *s)
{
    return s && *s ? Rf_ScalarString(dbx_r_mkutf8(s)) : Rf_ScalarString(NA_STRING);
}

/* The statement in `h` (owned by it) as an R list; R_NilValue when `h` holds none. */
static SEXP stmt_value(SEXP h)
{
    const dbx_sql_statement *st = R_ExternalPtrAddr(h);
    if (!st)
        return R_NilValue;
    const char *names[] = {"statement_id", "state", "error_code", "error_message", "sql_state",
                           "has_result", "format", "disposition", "columns", "total_row_count",
                           "total_byte_count", "total_chunk_count", "truncated", "ptr", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    int has = dbx_sql_statement_has_manifest(st);
    SET_VECTOR_ELT(out, 0, str1(dbx_sql_statement_id(st)));
    SET_VECTOR_ELT(out, 1, str1(dbx_sql_statement_state_str(st)));
    SET_VECTOR_ELT(out, 2, str1(dbx_sql_statement_error_code(st)));
    SET_VECTOR_ELT(out, 3, str1(dbx_sql_statement_error_message(st)));
    SET_VECTOR_ELT(out, 4, str1(dbx_sql_statement_sql_state(st)));
    SET_VECTOR_ELT(out, 5, Rf_ScalarLogical(has));
    SET_VECTOR_ELT(out, 6, str1(dbx_sql_statement_format(st)));
    SET_VECTOR_ELT(out, 7, str1(!has ? NULL
                                : dbx_sql_statement_disposition(st) == DBX_SQL_DISPOSITION_EXTERNAL_LINKS
                                    ? "EXTERNAL_LINKS"
                                    : "INLINE"));
    int n = dbx_sql_statement_column_count(st);
    const char *cnames[] = {"name", "type_name", "type_text", "precision", "scale", ""};
    SEXP cols = PROTECT(Rf_mkNamed(VECSXP, cnames));
    SEXP nm = PROTECT(Rf_allocVector(STRSXP, n)), tn = PROTECT(Rf_allocVector(STRSXP, n));
    SEXP tt = PROTECT(Rf_allocVector(STRSXP, n)), pr = PROTECT(Rf_allocVector(INTSXP, n));
    SEXP sc = PROTECT(Rf_allocVector(INTSXP, n));
    for (int i = 0; i < n; i++) {
        SET_STRING_ELT(nm, i, dbx_r_mkutf8(dbx_sql_statement_column_name(st, i)));
        SET_STRING_ELT(tn, i, dbx_r_mkutf8(dbx_sql_statement_column_type_name(st, i)));
        SET_STRING_ELT(tt, i, dbx_r_mkutf8(dbx_sql_statement_column_type_text(st, i)));
        INTEGER(pr)[i] = dbx_sql_statement_column_precision(st, i);
        INTEGER(sc)[i] = dbx_sql_statement_column_scale(st, i);
    }
    SET_VECTOR_ELT(cols, 0, nm);
    SET_VECTOR_ELT(cols, 1, tn);
    SET_VECTOR_ELT(cols, 2, tt);
    SET_VECTOR_ELT(cols, 3, pr);
    SET_VECTOR_ELT(cols, 4, sc);
    SET_VECTOR_ELT(out, 8, cols);
    SET_VECTOR_ELT(out, 9, Rf_ScalarReal((double)dbx_sql_statement_total_row_count(st)));
    SET_VECTOR_ELT(out, 10, Rf_ScalarReal((double)dbx_sql_statement_total_byte_count(st)));
    SET_VECTOR_ELT(out, 11, Rf_ScalarInteger(dbx_sql_statement_total_chunk_count(st)));
    SET_VECTOR_ELT(out, 12, Rf_ScalarLogical(dbx_sql_statement_truncated(st)));
    SET_VECTOR_ELT(out, 13, h);
    UNPROTECT(7);
    return out;
}


static int int_or(SEXP v, int dflt)
{
    if (Rf_isNull(v) || XLENGTH(v) < 1)
        return dflt;
    int i = Rf_asInteger(v);
    return i == NA_INTEGER ? dflt : i;
}

static const char *chr_at(SEXP v, R_xlen_t i)
{
    if (Rf_isNull(v) || i >= XLENGTH(v) || STRING_ELT(v, i) == NA_STRING)
        return NULL;
    return Rf_translateCharUTF8(STRING_ELT(v, i));
}

/* ---- execute / get / wait / cancel / close ---------------------------------------------- */

/*
 * params: list(names, values, types) of character vectors (NA value: SQL NULL; NA type: the
 * server's default). opts: list(catalog, schema, wait_timeout_s, on_wait_timeout, row_limit,
 * byte_limit, disposition, format, tag_keys, tag_values), the enums as integers (R/sql.R maps
 * the names). wait: TRUE runs dbx_sql_run (execute, then wait), FALSE dbx_sql_execute.
 */
SEXP r_dbx_sql_execute(SEXP x, SEXP warehouse_id, SEXP statement, SEXP params, SEXP opts, SEXP wait,
                       SEXP timeout, SEXP poll_interval, SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    /* every R allocation and translation before the first libdbx resource */
    SEXP sth = PROTECT(dbx_r_holder("dbx_sql_statement", stmt_finalize));
    SEXP ph = PROTECT(dbx_r_holder("dbx_sql_params", params_finalize));
    dbx_sql_execute_options o = DBX_SQL_EXECUTE_OPTIONS_INIT;
    o.catalog = chr_at(VECTOR_ELT(opts, 0), 0);
    o.schema = chr_at(VECTOR_ELT(opts, 1), 0);
    o.wait_timeout_s = int_or(VECTOR_ELT(opts, 2), 0);
    o.on_wait_timeout = (dbx_sql_on_wait_timeout_t)int_or(VECTOR_ELT(opts, 3), 0);
    o.row_limit = dbx_r_int64_or(VECTOR_ELT(opts, 4), 0);
    o.byte_limit = dbx_r_int64_or(VECTOR_ELT(opts, 5), 0);
    o.disposition = (dbx_sql_disposition_t)int_or(VECTOR_ELT(opts, 6), 0);
    o.format = (dbx_sql_format_t)int_or(VECTOR_ELT(opts, 7), 0);
    SEXP tk = VECTOR_ELT(opts, 8), tv = VECTOR_ELT(opts, 9);
    R_xlen_t nt = Rf_isNull(tk) ? 0 : XLENGTH(tk);
    if (nt) {
        dbx_sql_query_tag *tags = (dbx_sql_query_tag *)R_alloc((size_t)nt, sizeof *tags);
        for (R_xlen_t i = 0; i < nt; i++) {
            tags[i].key = chr_at(tk, i);
            tags[i].value = chr_at(tv, i);
        }
        o.query_tags = tags;
        o.n_query_tags = (size_t)nt;
    }
    SEXP pn = VECTOR_ELT(params, 0), pv = VECTOR_ELT(params, 1), pt = VECTOR_ELT(params, 2);
    R_xlen_t np = Rf_isNull(pn) ? 0 : XLENGTH(pn);
    const char **pstr = np ? (const char **)R_alloc((size_t)np * 3, sizeof *pstr) : NULL;
    for (R_xlen_t i = 0; i < np; i++) {
        pstr[3 * i] = chr_at(pn, i);
        pstr[3 * i + 1] = chr_at(pv, i);
        pstr[3 * i + 2] = chr_at(pt, i);
    }
    const char *wh = dbx_r_str(warehouse_id), *sql = dbx_r_str(statement);
    dbx_wait_options wo;
    dbx_r_wait w = {0};
    dbx_r_wait_opts(&wo, &w, timeout, poll_interval, progress);

    dbx_sql_params *p = NULL;
    dbx_status st;
    if (np) {
        if ((st = dbx_sql_params_new(&p)) != DBX_OK) {
            UNPROTECT(2);
            return dbx_r_failure(NULL, st);
        }
        R_SetExternalPtrAddr(ph, p);
        for (R_xlen_t i = 0; i < np; i++) {
            if ((st = dbx_sql_params_add(p, pstr[3 * i], pstr[3 * i + 1], pstr[3 * i + 2])) != DBX_OK) {
                SEXP f = PROTECT(dbx_r_failure(NULL, st));
                params_finalize(ph);
                UNPROTECT(3);
                return f;
            }
        }
    }
    dbx_sql_statement *out = NULL;
    st = Rf_asLogical(wait) == 1 ? dbx_sql_run(&out, c, wh, sql, p, &o, &wo) : dbx_sql_execute(&out, c, wh, sql, p, &o);
    R_SetExternalPtrAddr(sth, out);
    params_finalize(ph);
    SEXP val = PROTECT(stmt_value(sth));
    SEXP ans = dbx_r_wait_answer(c, st, val, &w);
    UNPROTECT(3);
    return ans;
}

SEXP r_dbx_sql_get(SEXP x, SEXP id)
{
    DBX_R_NEED_CLIENT(c, x);
    SEXP sth = PROTECT(dbx_r_holder("dbx_sql_statement", stmt_finalize));
    dbx_sql_statement *out = NULL;
    dbx_status st = dbx_sql_get(&out, c, dbx_r_str(id));
    if (st != DBX_OK) {
        UNPROTECT(1);
        return dbx_r_failure(c, st);
    }
    R_SetExternalPtrAddr(sth, out);
    SEXP val = stmt_value(sth);
    UNPROTECT(1);
    return val;
}

SEXP r_dbx_sql_wait(SEXP x, SEXP id, SEXP timeout, SEXP poll_interval, SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    SEXP sth = PROTECT(dbx_r_holder("dbx_sql_statement", stmt_finalize));
    const char *sid = dbx_r_str(id);
    dbx_wait_options wo;
    dbx_r_wait w = {0};
    dbx_r_wait_opts(&wo, &w, timeout, poll_interval, progress);
    dbx_sql_statement *out = NULL;
    dbx_status st = dbx_sql_wait(&out, c, sid, &wo);
    R_SetExternalPtrAddr(sth, out);
    SEXP val = PROTECT(stmt_value(sth));
    SEXP ans = dbx_r_wait_answer(c, st, val, &w);
    UNPROTECT(2);
    return ans;
}

SEXP r_dbx_sql_action(SEXP x, SEXP action, SEXP id)
{
    DBX_R_NEED_CLIENT(c, x);
    const char *a = dbx_r_str(action);
    if (!a)
        return dbx_r_failure(NULL, DBX_EINVAL);
    dbx_status st;
    if (!strcmp(a, "cancel"))
        st = dbx_sql_cancel(c, dbx_r_str(id));
    else if (!strcmp(a, "close"))
        st = dbx_sql_close(c, dbx_r_str(id));
    else
        return dbx_r_failure(NULL, DBX_EINVAL);
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

/* ---- rows -> typed columns --------------------------------------------------------------- */


int dbx_r_sql_kind(dbx_sql_type_t t)
{
    switch (t) {
    case DBX_SQL_TYPE_BOOLEAN:
        return DBX_R_K_LGL;
    case DBX_SQL_TYPE_BYTE:
    case DBX_SQL_TYPE_SHORT:
    case DBX_SQL_TYPE_INT:
        return DBX_R_K_INT;
    case DBX_SQL_TYPE_LONG:
        return DBX_R_K_I64;
    case DBX_SQL_TYPE_FLOAT:
    case DBX_SQL_TYPE_DOUBLE:
    case DBX_SQL_TYPE_DECIMAL:
        return DBX_R_K_DBL;
    case DBX_SQL_TYPE_DATE:
        return DBX_R_K_DATE;
    case DBX_SQL_TYPE_TIMESTAMP:
    case DBX_SQL_TYPE_TIMESTAMP_NTZ:
        return DBX_R_K_TIME;
    default:
        return DBX_R_K_STR;
    }
}

SEXPTYPE dbx_r_sql_sexptype(int k)
{
    return k == DBX_R_K_LGL ? LGLSXP : k == DBX_R_K_INT ? INTSXP : k == DBX_R_K_STR ? STRSXP : REALSXP;
}

static void check_interrupt(void *unused)
{
    (void)unused;
    R_CheckUserInterrupt();
}

/* One value of the current row into column vector `v` at `n`; a status on a bad value. */
dbx_status dbx_r_sql_put_value(SEXP v, R_xlen_t n, int k, const dbx_sql_rows *r, int i)
{
    if (dbx_sql_rows_is_null(r, i) == 1) {
        switch (k) {
        case DBX_R_K_LGL: LOGICAL(v)[n] = NA_LOGICAL; break;
        case DBX_R_K_INT: INTEGER(v)[n] = NA_INTEGER; break;
        case DBX_R_K_STR: SET_STRING_ELT(v, n, NA_STRING); break;
        default: REAL(v)[n] = NA_REAL; break;
        }
        return DBX_OK;
    }
    dbx_status st = DBX_OK;
    int64_t i64 = 0;
    double d = 0;
    int b = 0;
    switch (k) {
    case DBX_R_K_LGL:
        st = dbx_sql_rows_bool(&b, r, i);
        LOGICAL(v)[n] = b ? 1 : 0;
        break;
    case DBX_R_K_INT:
        st = dbx_sql_rows_int64(&i64, r, i);
        if (st == DBX_OK && (i64 > INT32_MAX || i64 <= INT32_MIN)) /* INT32_MIN is NA in R */
            st = DBX_EBADRESPONSE;
        INTEGER(v)[n] = (int)i64;
        break;
    case DBX_R_K_I64:
        st = dbx_sql_rows_int64(&i64, r, i);
        REAL(v)[n] = (double)i64;
        break;
    case DBX_R_K_DBL:
        st = dbx_sql_rows_double(&d, r, i);
        REAL(v)[n] = d;
        break;
    case DBX_R_K_DATE:
        st = dbx_sql_rows_epoch_ms(&i64, r, i);
        REAL(v)[n] = floor((double)i64 / 86400000.0);
        break;
    case DBX_R_K_TIME:
        st = dbx_sql_rows_epoch_us(&i64, r, i);
        REAL(v)[n] = (double)i64 / 1e6;
        break;
    default: {
        const char *s = dbx_sql_rows_str(r, i);
        SET_STRING_ELT(v, n, dbx_r_mkutf8(s)); /* a value holding U+0000 ends there */
        break;
    }
    }
    return st;
}

/* Every row of the statement in `sth` as a list of typed column vectors (attribute
 * "truncated"), in the wait-answer shape (Ctrl-C: interrupted). */
SEXP r_dbx_sql_fetch(SEXP x, SEXP sth, SEXP max_chunks, SEXP truncated_is_error, SEXP close_statement)
{
    DBX_R_NEED_CLIENT(c, x);
    const dbx_sql_statement *stmt = TYPEOF(sth) == EXTPTRSXP ? R_ExternalPtrAddr(sth) : NULL;
    if (!stmt)
        return dbx_r_failure(NULL, DBX_EINVAL);
    dbx_r_wait w = {0};
    SEXP rh = PROTECT(dbx_r_holder("dbx_sql_rows", dbx_r_rows_finalize));
    int ncol = dbx_sql_statement_column_count(stmt);
    int *kinds = (int *)R_alloc(ncol ? (size_t)ncol : 1, sizeof *kinds);
    for (int i = 0; i < ncol; i++)
        kinds[i] = dbx_r_sql_kind(dbx_sql_statement_column_type(stmt, i));
    R_xlen_t cap = 1024, n = 0;
    SEXP cols = PROTECT(Rf_allocVector(VECSXP, ncol));
    for (int i = 0; i < ncol; i++)
        SET_VECTOR_ELT(cols, i, Rf_allocVector(dbx_r_sql_sexptype(kinds[i]), cap));
    dbx_sql_rows_options ro = DBX_SQL_ROWS_OPTIONS_INIT;
    ro.max_chunks = int_or(max_chunks, 0);
    ro.truncated_is_error = Rf_asLogical(truncated_is_error) == 1;
    ro.close_statement = Rf_asLogical(close_statement) == 1;
    dbx_sql_rows *rows = NULL;
    dbx_status st = dbx_sql_rows_open(&rows, c, stmt, &ro);
    if (st != DBX_OK) {
        SEXP ans = dbx_r_wait_answer(c, st, R_NilValue, &w);
        UNPROTECT(2);
        return ans;
    }
    R_SetExternalPtrAddr(rh, rows);
    while ((st = dbx_sql_rows_next(rows)) == DBX_OK) {
        if (n == cap) {
            cap *= 2;
            for (int i = 0; i < ncol; i++)
                SET_VECTOR_ELT(cols, i, Rf_lengthgets(VECTOR_ELT(cols, i), cap));
        }
        for (int i = 0; i < ncol && st == DBX_OK; i++)
            st = dbx_r_sql_put_value(VECTOR_ELT(cols, i), n, kinds[i], rows, i);
        if (st != DBX_OK)
            break;
        n++;
        if ((n & 4095) == 0 && !R_ToplevelExec(check_interrupt, NULL)) {
            w.interrupted = 1;
            st = DBX_ECANCELLED;
            break;
        }
    }
    int truncated = dbx_sql_rows_truncated(rows);
    if (st != DBX_DONE) {
        /* the failure record first: freeing the iterator may close the statement */
        SEXP ans = PROTECT(dbx_r_wait_answer(c, st, R_NilValue, &w));
        dbx_r_rows_finalize(rh);
        UNPROTECT(3);
        return ans;
    }
    dbx_r_rows_finalize(rh);
    for (int i = 0; i < ncol; i++)
        SET_VECTOR_ELT(cols, i, Rf_lengthgets(VECTOR_ELT(cols, i), n));
    Rf_setAttrib(cols, Rf_install("truncated"), Rf_ScalarLogical(truncated));
    SEXP ans = dbx_r_wait_answer(c, DBX_OK, cols, &w);
    UNPROTECT(2);
    return ans;
}

/* ---- raw chunks ------------------------------------------------------------------------- */

typedef struct chunk_ctx {
    dbx_r_wait w;
    SEXP writer; /* function(raw) -> NULL | condition | dbx_interrupt marker, or NULL */
    dbx_r_membuf *mem;
} chunk_ctx;

typedef struct wcall {
    chunk_ctx *x;
    const char *data;
    size_t len;
    int stop;
} wcall;

static void run_writer(void *p)
{
    wcall *wc = p;
    SEXP raw = PROTECT(Rf_allocVector(RAWSXP, (R_xlen_t)wc->len));
    memcpy(RAW(raw), wc->data, wc->len);
    SEXP call = PROTECT(Rf_lang2(wc->x->writer, raw));
    SEXP v = PROTECT(Rf_eval(call, R_GlobalEnv));
    if (Rf_inherits(v, "dbx_interrupt")) {
        wc->x->w.interrupted = 1;
        wc->stop = 1;
    } else if (Rf_inherits(v, "condition")) {
        R_PreserveObject(v); /* released by dbx_r_wait_answer */
        wc->x->w.callback_error = v;
        wc->x->w.callback_failed = 1;
        wc->stop = 1;
    }
    UNPROTECT(3);
}

static int on_chunk(void *payload, int chunk_index, const char *data, size_t len)
{
    (void)chunk_index;
    chunk_ctx *x = payload;
    if (!R_ToplevelExec(check_interrupt, NULL)) {
        x->w.interrupted = 1;
        return 1;
    }
    if (!len)
        return 0; /* the end of a chunk */
    if (x->mem) {
        return dbx_r_membuf_append(x->mem, data, len);
    }
    wcall wc = {x, data, len, 0};
    if (!R_ToplevelExec(run_writer, &wc)) {
        x->w.interrupted = 1;
        return 1;
    }
    return wc.stop;
}

/* `destination`: NULL (a raw vector comes back), character(1) local path, or a writer
 * function(raw) (a connection, wrapped by R/sql.R). Wait-answer shape. */
SEXP r_dbx_sql_stream(SEXP x, SEXP sth, SEXP destination, SEXP overwrite, SEXP max_chunks, SEXP close_statement)
{
    DBX_R_NEED_CLIENT(c, x);
    const dbx_sql_statement *stmt = TYPEOF(sth) == EXTPTRSXP ? R_ExternalPtrAddr(sth) : NULL;
    if (!stmt)
        return dbx_r_failure(NULL, DBX_EINVAL);
    chunk_ctx t;
    memset(&t, 0, sizeof t);
    dbx_sql_rows_options ro = DBX_SQL_ROWS_OPTIONS_INIT;
    ro.max_chunks = int_or(max_chunks, 0);
    ro.close_statement = Rf_asLogical(close_statement) == 1;
    dbx_status st;
    if (Rf_isNull(destination)) {
        SEXP mh = PROTECT(dbx_r_holder("dbx_membuf", dbx_r_membuf_finalize));
        dbx_r_membuf *m = dbx_r_membuf_attach(mh);
        if (!m) {
            UNPROTECT(1);
            return dbx_r_failure(NULL, DBX_ENOMEM);
        }
        t.mem = m;
        st = dbx_sql_chunks_stream(c, stmt, &ro, on_chunk, &t);
        SEXP out = R_NilValue;
        if (st == DBX_OK) {
            out = dbx_r_membuf_raw(m);
        }
        PROTECT(out);
        SEXP ans = PROTECT(dbx_r_wait_answer(c, st, out, &t.w));
        dbx_r_membuf_finalize(mh);
        UNPROTECT(3);
        return ans;
    }
    if (Rf_isFunction(destination)) {
        t.writer = destination;
        st = dbx_sql_chunks_stream(c, stmt, &ro, on_chunk, &t);
    } else if (Rf_isString(destination) && XLENGTH(destination) == 1 && STRING_ELT(destination, 0) != NA_STRING) {
        st = dbx_sql_chunks_to_file(c, stmt, &ro, R_ExpandFileName(Rf_translateChar(STRING_ELT(destination, 0))),
                                    Rf_asLogical(overwrite) == 1);
    } else {
        return dbx_r_failure(NULL, DBX_EINVAL);
    }
    return dbx_r_wait_answer(c, st, Rf_ScalarLogical(1), &t.w);
}

const R_CallMethodDef dbx_r_calls_sql[] = {
    {"r_dbx_sql_execute", (DL_FUNC)&r_dbx_sql_execute, 9},
    {"r_dbx_sql_get", (DL_FUNC)&r_dbx_sql_get, 2},
    {"r_dbx_sql_wait", (DL_FUNC)&r_dbx_sql_wait, 5},
    {"r_dbx_sql_action", (DL_FUNC)&r_dbx_sql_action, 3},
    {"r_dbx_sql_fetch", (DL_FUNC)&r_dbx_sql_fetch, 5},
    {"r_dbx_sql_stream", (DL_FUNC)&r_dbx_sql_stream, 6},
    {NULL, NULL, 0}};
