/*
 * R glue: Delta table helpers (include/dbx/delta.h; see dbx_r.h).
 *
 * Every libdbx resource held while R allocates (a table spec, a row set, a
 * row iterator, a history) sits in an external pointer whose finaliser was
 * made BEFORE the resource, so an R allocation failure (a longjmp) never
 * leaks it; each is freed at once when the call ends.
 *
 * Row values arrive as column vectors R/delta.R prepared: logical, integer,
 * double (sent as BOOLEAN, BIGINT, DOUBLE) or character (STRING), plus a type
 * per column (NA: from the vector; else the value is sent as text of that
 * type: DATE, TIMESTAMP, DECIMAL(p,s), ...). NA is SQL NULL of the column's
 * type. Rows read back (dbx_delta_read) become typed column vectors as
 * dbx_sql_fetch makes them (R/sql.R's .dbx_sql_frame adds the classes).
 */
#include <R_ext/Utils.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbx_r.h"

static void spec_finalize(SEXP h)
{
    dbx_delta_table_spec *p = R_ExternalPtrAddr(h);
    if (p) {
        dbx_delta_table_spec_free(p);
        R_ClearExternalPtr(h);
    }
}

static void rowset_finalize(SEXP h)
{
    dbx_delta_rowset *p = R_ExternalPtrAddr(h);
    if (p) {
        dbx_delta_rowset_free(p);
        R_ClearExternalPtr(h);
    }
}

static void history_finalize(SEXP h)
{
    dbx_delta_history *p = R_ExternalPtrAddr(h);
    if (p) {
        dbx_delta_history_free(p);
        R_ClearExternalPtr(h);
    }
}

static const char *chr_at(SEXP v, R_xlen_t i)
{
    if (Rf_isNull(v) || !Rf_isString(v) || i >= XLENGTH(v) || STRING_ELT(v, i) == NA_STRING)
        return NULL;
    return Rf_translateCharUTF8(STRING_ELT(v, i));
}

static double real_or(SEXP v, double dflt)
{
    if (Rf_isNull(v) || XLENGTH(v) < 1)
        return dflt;
    double d = Rf_asReal(v);
    return ISNAN(d) ? dflt : d;
}

static int64_t int64_of(double d)
{
    if (d > 9.2e18)
        return INT64_MAX;
    if (d < -9.2e18)
        return INT64_MIN;
    return (int64_t)d;
}

/* A character vector as a const char * array (R_alloc'd); *n its length. */
static const char **chr_array(SEXP v, size_t *n)
{
    *n = Rf_isNull(v) ? 0 : (size_t)XLENGTH(v);
    if (!*n)
        return NULL;
    const char **a = (const char **)R_alloc(*n, sizeof *a);
    for (size_t i = 0; i < *n; i++)
        a[i] = chr_at(v, (R_xlen_t)i);
    return a;
}

/* opts: list(catalog, schema, batch_rows, max_statement_bytes, cancel_on_wait_end). */
static void delta_opts(dbx_delta_options *o, SEXP opts, dbx_wait_options *wo)
{
    dbx_delta_options_init(o);
    o->catalog = chr_at(VECTOR_ELT(opts, 0), 0);
    o->schema = chr_at(VECTOR_ELT(opts, 1), 0);
    o->batch_rows = (long)real_or(VECTOR_ELT(opts, 2), 0);
    o->max_statement_bytes = (long)real_or(VECTOR_ELT(opts, 3), 0);
    o->cancel_on_wait_end = Rf_asLogical(VECTOR_ELT(opts, 4)) == 1;
    o->wait = wo;
}

/* ---- quoting ---------------------------------------------------------------------------- */

static void chars_finalize(SEXP h)
{
    char *p = R_ExternalPtrAddr(h);
    if (p) {
        dbx_free(p);
        R_ClearExternalPtr(h);
    }
}

/* A char * libdbx allocated, held by `h` (a chars holder): character(1), then freed. */
static SEXP take_chars(SEXP h, char *s)
{
    R_SetExternalPtrAddr(h, s);
    SEXP v = PROTECT(Rf_ScalarString(dbx_r_mkutf8(s)));
    chars_finalize(h);
    UNPROTECT(1);
    return v;
}

SEXP r_dbx_delta_quote(SEXP kind, SEXP text)
{
    SEXP h = PROTECT(dbx_r_holder("dbx_chars", chars_finalize));
    const char *k = dbx_r_str(kind), *t = chr_at(text, 0);
    char *out = NULL;
    dbx_status st;
    if (!k) {
        UNPROTECT(1);
        return dbx_r_failure(NULL, DBX_EINVAL);
    }
    if (!strcmp(k, "name"))
        st = dbx_delta_quote_name(&out, t);
    else if (!strcmp(k, "column"))
        st = dbx_delta_quote_column(&out, t);
    else
        st = dbx_delta_quote_literal(&out, t);
    SEXP v = st == DBX_OK ? take_chars(h, out) : dbx_r_failure(NULL, st);
    UNPROTECT(1);
    return v;
}

/* ---- table specs ------------------------------------------------------------------------ */

/*
 * spec: list(text, names, types, not_null, comments, partitions, comment, prop_keys,
 * prop_values, if_not_exists). Fills the spec in `h` (created here); a failure status.
 */
static dbx_status build_spec(SEXP h, SEXP spec)
{
    const char *text = chr_at(VECTOR_ELT(spec, 0), 0);
    size_t n = 0, np = 0, nk = 0, nv = 0, nt = 0, nc = 0;
    const char **names = chr_array(VECTOR_ELT(spec, 1), &n);
    const char **types = chr_array(VECTOR_ELT(spec, 2), &nt);
    SEXP nn = VECTOR_ELT(spec, 3);
    const char **comments = chr_array(VECTOR_ELT(spec, 4), &nc);
    const char **parts = chr_array(VECTOR_ELT(spec, 5), &np);
    const char *comment = chr_at(VECTOR_ELT(spec, 6), 0);
    const char **keys = chr_array(VECTOR_ELT(spec, 7), &nk);
    const char **vals = chr_array(VECTOR_ELT(spec, 8), &nv);
    int ine = Rf_asLogical(VECTOR_ELT(spec, 9)) == 1;
    if (nt != n || nc != n || (size_t)XLENGTH(nn) != n || nk != nv)
        return DBX_EINVAL; /* R/delta.R makes them equal */
    int *notnull = LOGICAL(nn);
    dbx_delta_table_spec *s = NULL;
    dbx_status st = dbx_delta_table_spec_new(&s);
    if (st != DBX_OK)
        return st;
    R_SetExternalPtrAddr(h, s);
    if (text)
        st = dbx_delta_table_spec_add_columns(s, text);
    for (size_t i = 0; st == DBX_OK && i < n; i++)
        st = dbx_delta_table_spec_add_column(s, names[i], types[i], notnull[i] == 1, comments[i]);
    for (size_t i = 0; st == DBX_OK && i < np; i++)
        st = dbx_delta_table_spec_add_partition_column(s, parts[i]);
    if (st == DBX_OK && comment)
        st = dbx_delta_table_spec_set_comment(s, comment);
    for (size_t i = 0; st == DBX_OK && i < nk; i++)
        st = dbx_delta_table_spec_set_property(s, keys[i], vals[i]);
    if (st == DBX_OK && ine)
        st = dbx_delta_table_spec_set_if_not_exists(s, 1);
    return st;
}

SEXP r_dbx_delta_spec_sql(SEXP table, SEXP spec)
{
    SEXP h = PROTECT(dbx_r_holder("dbx_delta_table_spec", spec_finalize));
    SEXP ch = PROTECT(dbx_r_holder("dbx_chars", chars_finalize));
    const char *t = chr_at(table, 0);
    dbx_status st = build_spec(h, spec);
    char *out = NULL;
    if (st == DBX_OK)
        st = dbx_delta_table_spec_to_sql(&out, R_ExternalPtrAddr(h), t);
    SEXP v = PROTECT(st == DBX_OK ? take_chars(ch, out) : dbx_r_failure(NULL, st));
    spec_finalize(h);
    UNPROTECT(3);
    return v;
}

SEXP r_dbx_delta_create(SEXP x, SEXP warehouse_id, SEXP table, SEXP spec, SEXP opts, SEXP timeout,
                        SEXP poll_interval, SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    SEXP h = PROTECT(dbx_r_holder("dbx_delta_table_spec", spec_finalize));
    const char *wh = chr_at(warehouse_id, 0), *t = chr_at(table, 0);
    dbx_wait_options wo;
    dbx_r_wait w = {0};
    dbx_r_wait_opts(&wo, &w, timeout, poll_interval, progress);
    dbx_delta_options o;
    delta_opts(&o, opts, &wo);
    dbx_status st = build_spec(h, spec);
    if (st != DBX_OK) {
        SEXP f = PROTECT(dbx_r_failure(NULL, st));
        spec_finalize(h);
        UNPROTECT(2);
        return f;
    }
    st = dbx_delta_create_table(c, wh, t, R_ExternalPtrAddr(h), &o);
    SEXP ans = PROTECT(dbx_r_wait_answer(c, st, Rf_ScalarLogical(1), &w));
    spec_finalize(h);
    UNPROTECT(2);
    return ans;
}

/* ---- bulk load ------------------------------------------------------------------------------ */

/* load: list(format, fo_keys, fo_values, co_keys, co_values, keep_staged_file). Wait-answer
 * shape; result list(rows_loaded, staged_path). */
SEXP r_dbx_delta_load(SEXP x, SEXP warehouse_id, SEXP table, SEXP local_path, SEXP volume_dir, SEXP load,
                      SEXP opts, SEXP timeout, SEXP poll_interval, SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    const char *wh = chr_at(warehouse_id, 0), *t = chr_at(table, 0), *vd = chr_at(volume_dir, 0);
    const char *lp = Rf_isString(local_path) && XLENGTH(local_path) == 1 && STRING_ELT(local_path, 0) != NA_STRING
                         ? R_ExpandFileName(Rf_translateChar(STRING_ELT(local_path, 0)))
                         : NULL;
    if (lp) { /* R_ExpandFileName's buffer is static: copy it */
        size_t len = strlen(lp);
        char *cp = R_alloc(len + 1, 1);
        memcpy(cp, lp, len + 1);
        lp = cp;
    }
    dbx_delta_load_options lo;
    dbx_delta_load_options_init(&lo);
    lo.format = (dbx_delta_file_format_t)Rf_asInteger(VECTOR_ELT(load, 0));
    size_t nfk = 0, nfv = 0, nck = 0, ncv = 0;
    const char **fk = chr_array(VECTOR_ELT(load, 1), &nfk), **fv = chr_array(VECTOR_ELT(load, 2), &nfv);
    const char **ck = chr_array(VECTOR_ELT(load, 3), &nck), **cv = chr_array(VECTOR_ELT(load, 4), &ncv);
    if (nfk != nfv || nck != ncv)
        return dbx_r_failure(NULL, DBX_EINVAL);
    dbx_delta_kv *fo = nfk ? (dbx_delta_kv *)R_alloc(nfk, sizeof *fo) : NULL;
    dbx_delta_kv *co = nck ? (dbx_delta_kv *)R_alloc(nck, sizeof *co) : NULL;
    for (size_t i = 0; i < nfk; i++)
        fo[i].key = fk[i], fo[i].value = fv[i];
    for (size_t i = 0; i < nck; i++)
        co[i].key = ck[i], co[i].value = cv[i];
    lo.format_options = fo;
    lo.n_format_options = nfk;
    lo.copy_options = co;
    lo.n_copy_options = nck;
    lo.keep_staged_file = Rf_asLogical(VECTOR_ELT(load, 5)) == 1;
    const char *names[] = {"rows_loaded", "staged_path", ""};
    SEXP res = PROTECT(Rf_mkNamed(VECSXP, names));
    SEXP path = PROTECT(Rf_allocVector(STRSXP, 1));
    dbx_wait_options wo;
    dbx_r_wait w = {0};
    dbx_r_wait_opts(&wo, &w, timeout, poll_interval, progress);
    dbx_delta_options o;
    delta_opts(&o, opts, &wo);
    int64_t loaded = -1;
    char *staged = NULL;
    dbx_status st = dbx_delta_load_file(&loaded, &staged, c, wh, t, lp, vd, &lo, &o);
    /* no R allocation while `staged` is held: it is copied into a buffer R frees */
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", staged ? staged : "");
    int has_path = staged != NULL;
    dbx_free(staged);
    SET_STRING_ELT(path, 0, has_path ? dbx_r_mkutf8(buf) : NA_STRING);
    SET_VECTOR_ELT(res, 0, Rf_ScalarReal((double)loaded));
    SET_VECTOR_ELT(res, 1, path);
    SEXP ans = dbx_r_wait_answer(c, st, res, &w);
    UNPROTECT(2);
    return ans;
}

/* ---- append / upsert ------------------------------------------------------------------------ */

static void check_interrupt(void *unused)
{
    (void)unused;
    R_CheckUserInterrupt();
}

/* One value (row i of column vector v) into the row set; `type` NULL: from the vector. */
static dbx_status add_value(dbx_delta_rowset *rs, SEXP v, R_xlen_t i, const char *type)
{
    switch (TYPEOF(v)) {
    case LGLSXP: {
        int b = LOGICAL(v)[i];
        if (b == NA_LOGICAL)
            return dbx_delta_rowset_add_value(rs, NULL, type ? type : "BOOLEAN");
        return type ? dbx_delta_rowset_add_value(rs, b ? "true" : "false", type) : dbx_delta_rowset_add_bool(rs, b);
    }
    case INTSXP: {
        int n = INTEGER(v)[i];
        if (n == NA_INTEGER)
            return dbx_delta_rowset_add_value(rs, NULL, type ? type : "BIGINT");
        if (type) {
            char b[32];
            snprintf(b, sizeof b, "%d", n);
            return dbx_delta_rowset_add_value(rs, b, type);
        }
        return dbx_delta_rowset_add_int64(rs, n);
    }
    case REALSXP: {
        double d = REAL(v)[i];
        if (ISNAN(d))
            return dbx_delta_rowset_add_value(rs, NULL, type ? type : "DOUBLE");
        if (type) {
            char b[40];
            snprintf(b, sizeof b, "%.15g", d);
            return dbx_delta_rowset_add_value(rs, b, type);
        }
        return dbx_delta_rowset_add_double(rs, d);
    }
    case STRSXP: {
        const char *s = chr_at(v, i);
        if (!s)
            return dbx_delta_rowset_add_value(rs, NULL, type ? type : "STRING");
        return type ? dbx_delta_rowset_add_value(rs, s, type) : dbx_delta_rowset_add_string(rs, s);
    }
    default:
        return DBX_EINVAL;
    }
}

/*
 * mode "append" / "upsert". cols: a list of equal-length column vectors; names, types
 * (NA: from the vector) character vectors; keys (upsert). Wait-answer shape; result: the
 * rows written / affected (a failure carries the rows written so far as its `last`).
 */
SEXP r_dbx_delta_write(SEXP x, SEXP mode, SEXP warehouse_id, SEXP table, SEXP cols, SEXP names, SEXP types,
                       SEXP keys, SEXP opts, SEXP timeout, SEXP poll_interval, SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    SEXP h = PROTECT(dbx_r_holder("dbx_delta_rowset", rowset_finalize));
    int upsert = !strcmp(dbx_r_str(mode) ? dbx_r_str(mode) : "", "upsert");
    const char *wh = chr_at(warehouse_id, 0), *t = chr_at(table, 0);
    size_t ncol = 0, nkeys = 0, ntypes = 0;
    const char **cn = chr_array(names, &ncol);
    const char **ct = chr_array(types, &ntypes);
    const char **kn = chr_array(keys, &nkeys);
    R_xlen_t nrow = ncol ? XLENGTH(VECTOR_ELT(cols, 0)) : 0;
    if (ntypes != ncol || (size_t)XLENGTH(cols) != ncol) {
        UNPROTECT(1);
        return dbx_r_failure(NULL, DBX_EINVAL);
    }
    for (size_t j = 0; j < ncol; j++) {
        SEXP v = VECTOR_ELT(cols, (R_xlen_t)j);
        int k = TYPEOF(v);
        if (XLENGTH(v) != nrow || (k != LGLSXP && k != INTSXP && k != REALSXP && k != STRSXP)) {
            UNPROTECT(1);
            return dbx_r_failure(NULL, DBX_EINVAL);
        }
    }
    dbx_wait_options wo;
    dbx_r_wait w = {0};
    dbx_r_wait_opts(&wo, &w, timeout, poll_interval, progress);
    dbx_delta_options o;
    delta_opts(&o, opts, &wo);

    dbx_delta_rowset *rs = NULL;
    dbx_status st = dbx_delta_rowset_new(&rs, cn, ncol);
    if (st != DBX_OK) {
        UNPROTECT(1);
        return dbx_r_failure(NULL, st);
    }
    R_SetExternalPtrAddr(h, rs);
    for (R_xlen_t i = 0; st == DBX_OK && i < nrow; i++) {
        for (size_t j = 0; st == DBX_OK && j < ncol; j++)
            st = add_value(rs, VECTOR_ELT(cols, (R_xlen_t)j), i, ct[j]);
        if (st == DBX_OK)
            st = dbx_delta_rowset_end_row(rs);
        if (st == DBX_OK && (i & 4095) == 4095 && !R_ToplevelExec(check_interrupt, NULL)) {
            w.interrupted = 1;
            st = DBX_ECANCELLED;
        }
    }
    if (st != DBX_OK) {
        SEXP ans = PROTECT(dbx_r_wait_answer(NULL, st, R_NilValue, &w));
        rowset_finalize(h);
        UNPROTECT(2);
        return ans;
    }
    int64_t n = 0;
    st = upsert ? dbx_delta_upsert(&n, c, wh, t, kn, nkeys, rs, &o) : dbx_delta_append(&n, c, wh, t, rs, &o);
    SEXP ans = PROTECT(dbx_r_wait_answer(c, st, Rf_ScalarReal((double)n), &w));
    rowset_finalize(h);
    UNPROTECT(2);
    return ans;
}

/* ---- read ------------------------------------------------------------------------------------ */


/*
 * read: list(as_of, version, timestamp, columns, limit, row_limit, byte_limit, max_chunks,
 * truncated_is_error). Wait-answer shape; result list(columns = <typed vectors>, names,
 * type_names, truncated).
 */
SEXP r_dbx_delta_read(SEXP x, SEXP warehouse_id, SEXP table, SEXP read, SEXP opts, SEXP timeout,
                      SEXP poll_interval, SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    SEXP rh = PROTECT(dbx_r_holder("dbx_sql_rows", dbx_r_rows_finalize));
    const char *wh = chr_at(warehouse_id, 0), *t = chr_at(table, 0);
    dbx_delta_read_options ro;
    dbx_delta_read_options_init(&ro);
    ro.as_of = (dbx_delta_as_of_t)Rf_asInteger(VECTOR_ELT(read, 0));
    ro.table_version = int64_of(real_or(VECTOR_ELT(read, 1), 0));
    ro.timestamp = chr_at(VECTOR_ELT(read, 2), 0);
    ro.columns = chr_array(VECTOR_ELT(read, 3), &ro.n_columns);
    ro.limit = int64_of(real_or(VECTOR_ELT(read, 4), 0));
    dbx_sql_execute_options eo = DBX_SQL_EXECUTE_OPTIONS_INIT;
    eo.row_limit = int64_of(real_or(VECTOR_ELT(read, 5), 0));
    eo.byte_limit = int64_of(real_or(VECTOR_ELT(read, 6), 0));
    ro.execute = &eo;
    dbx_sql_rows_options rwo = DBX_SQL_ROWS_OPTIONS_INIT;
    rwo.max_chunks = (int)real_or(VECTOR_ELT(read, 7), 0);
    rwo.truncated_is_error = Rf_asLogical(VECTOR_ELT(read, 8)) == 1;
    ro.rows = &rwo;
    dbx_wait_options wo;
    dbx_r_wait w = {0};
    dbx_r_wait_opts(&wo, &w, timeout, poll_interval, progress);
    dbx_delta_options o;
    delta_opts(&o, opts, &wo);

    dbx_sql_rows *rows = NULL;
    dbx_status st = dbx_delta_read(&rows, c, wh, t, &ro, &o);
    if (st != DBX_OK) {
        SEXP ans = dbx_r_wait_answer(c, st, R_NilValue, &w);
        UNPROTECT(1);
        return ans;
    }
    R_SetExternalPtrAddr(rh, rows);
    const dbx_sql_statement *stmt = dbx_sql_rows_statement(rows);
    int ncol = dbx_sql_statement_column_count(stmt);
    int *kinds = (int *)R_alloc(ncol ? (size_t)ncol : 1, sizeof *kinds);
    SEXP nm = PROTECT(Rf_allocVector(STRSXP, ncol)), tn = PROTECT(Rf_allocVector(STRSXP, ncol));
    for (int i = 0; i < ncol; i++) {
        kinds[i] = dbx_r_sql_kind(dbx_sql_statement_column_type(stmt, i));
        SET_STRING_ELT(nm, i, dbx_r_mkutf8(dbx_sql_statement_column_name(stmt, i)));
        SET_STRING_ELT(tn, i, dbx_r_mkutf8(dbx_sql_statement_column_type_name(stmt, i)));
    }
    R_xlen_t cap = 1024, n = 0;
    SEXP cols = PROTECT(Rf_allocVector(VECSXP, ncol));
    for (int i = 0; i < ncol; i++)
        SET_VECTOR_ELT(cols, i, Rf_allocVector(dbx_r_sql_sexptype(kinds[i]), cap));
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
        SEXP ans = PROTECT(dbx_r_wait_answer(c, st, R_NilValue, &w));
        dbx_r_rows_finalize(rh); /* closes the statement */
        UNPROTECT(5);
        return ans;
    }
    dbx_r_rows_finalize(rh);
    for (int i = 0; i < ncol; i++)
        SET_VECTOR_ELT(cols, i, Rf_lengthgets(VECTOR_ELT(cols, i), n));
    const char *rn[] = {"columns", "names", "type_names", "truncated", ""};
    SEXP res = PROTECT(Rf_mkNamed(VECSXP, rn));
    SET_VECTOR_ELT(res, 0, cols);
    SET_VECTOR_ELT(res, 1, nm);
    SET_VECTOR_ELT(res, 2, tn);
    SET_VECTOR_ELT(res, 3, Rf_ScalarLogical(truncated));
    SEXP ans = dbx_r_wait_answer(c, DBX_OK, res, &w);
    UNPROTECT(5);
    return ans;
}

/* ---- history ----------------------------------------------------------------------------- */

SEXP r_dbx_delta_history(SEXP x, SEXP warehouse_id, SEXP table, SEXP limit, SEXP opts, SEXP timeout,
                         SEXP poll_interval, SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    SEXP hh = PROTECT(dbx_r_holder("dbx_delta_history", history_finalize));
    const char *wh = chr_at(warehouse_id, 0), *t = chr_at(table, 0);
    dbx_wait_options wo;
    dbx_r_wait w = {0};
    dbx_r_wait_opts(&wo, &w, timeout, poll_interval, progress);
    dbx_delta_options o;
    delta_opts(&o, opts, &wo);
    dbx_delta_history *h = NULL;
    dbx_status st = dbx_delta_describe_history(&h, c, wh, t, int64_of(real_or(limit, 0)), &o);
    if (st != DBX_OK) {
        SEXP ans = dbx_r_wait_answer(c, st, R_NilValue, &w);
        UNPROTECT(1);
        return ans;
    }
    R_SetExternalPtrAddr(hh, h);
    R_xlen_t n = (R_xlen_t)dbx_delta_history_count(h);
    const char *names[] = {"version", "timestamp_ms", "timestamp_text", "operation", "user",
                           "operation_parameters", "operation_metrics", ""};
    SEXP res = PROTECT(Rf_mkNamed(VECSXP, names));
    SEXP ver = Rf_allocVector(REALSXP, n);
    SET_VECTOR_ELT(res, 0, ver);
    SEXP ms = Rf_allocVector(REALSXP, n);
    SET_VECTOR_ELT(res, 1, ms);
    for (int k = 2; k < 7; k++)
        SET_VECTOR_ELT(res, k, Rf_allocVector(STRSXP, n));
    for (R_xlen_t i = 0; i < n; i++) {
        size_t ix = (size_t)i;
        REAL(ver)[i] = (double)dbx_delta_history_version(h, ix);
        int64_t m = dbx_delta_history_timestamp_ms(h, ix);
        REAL(ms)[i] = m < 0 ? NA_REAL : (double)m;
        SET_STRING_ELT(VECTOR_ELT(res, 2), i, dbx_r_mkutf8(dbx_delta_history_timestamp(h, ix)));
        SET_STRING_ELT(VECTOR_ELT(res, 3), i, dbx_r_mkutf8(dbx_delta_history_operation(h, ix)));
        SET_STRING_ELT(VECTOR_ELT(res, 4), i, dbx_r_mkutf8(dbx_delta_history_user(h, ix)));
        SET_STRING_ELT(VECTOR_ELT(res, 5), i, dbx_r_mkutf8(dbx_delta_history_operation_parameters(h, ix)));
        SET_STRING_ELT(VECTOR_ELT(res, 6), i, dbx_r_mkutf8(dbx_delta_history_operation_metrics(h, ix)));
    }
    history_finalize(hh);
    SEXP ans = dbx_r_wait_answer(c, DBX_OK, res, &w);
    UNPROTECT(2);
    return ans;
}

/* ---- maintenance ----------------------------------------------------------------------------- */

/* kind "optimize" (arg: zorder columns) or "vacuum" (arg: retain hours, NULL: the table's). */
SEXP r_dbx_delta_maintain(SEXP x, SEXP kind, SEXP warehouse_id, SEXP table, SEXP arg, SEXP opts, SEXP timeout,
                          SEXP poll_interval, SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    const char *k = dbx_r_str(kind);
    const char *wh = chr_at(warehouse_id, 0), *t = chr_at(table, 0);
    if (!k)
        return dbx_r_failure(NULL, DBX_EINVAL);
    int vacuum = !strcmp(k, "vacuum");
    size_t nz = 0;
    const char **z = vacuum ? NULL : chr_array(arg, &nz);
    int64_t hours = vacuum ? int64_of(real_or(arg, -1)) : -1;
    dbx_wait_options wo;
    dbx_r_wait w = {0};
    dbx_r_wait_opts(&wo, &w, timeout, poll_interval, progress);
    dbx_delta_options o;
    delta_opts(&o, opts, &wo);
    dbx_status st = vacuum ? dbx_delta_vacuum(c, wh, t, hours, &o) : dbx_delta_optimize(c, wh, t, z, nz, &o);
    return dbx_r_wait_answer(c, st, Rf_ScalarLogical(1), &w);
}

const R_CallMethodDef dbx_r_calls_delta[] = {
    {"r_dbx_delta_quote", (DL_FUNC)&r_dbx_delta_quote, 2},
    {"r_dbx_delta_spec_sql", (DL_FUNC)&r_dbx_delta_spec_sql, 2},
    {"r_dbx_delta_create", (DL_FUNC)&r_dbx_delta_create, 8},
    {"r_dbx_delta_load", (DL_FUNC)&r_dbx_delta_load, 10},
    {"r_dbx_delta_write", (DL_FUNC)&r_dbx_delta_write, 12},
    {"r_dbx_delta_read", (DL_FUNC)&r_dbx_delta_read, 8},
    {"r_dbx_delta_history", (DL_FUNC)&r_dbx_delta_history, 8},
    {"r_dbx_delta_maintain", (DL_FUNC)&r_dbx_delta_maintain, 9},
    {NULL, NULL, 0}};
