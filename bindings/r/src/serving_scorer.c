/* R glue: the real-time scorer (include/dbx/serving.h, "Real-time scorer"), poll style.
 * A scorer handle is an external pointer whose protected value is the client's, so the
 * client stays reachable while the scorer is; every call checks the client is still open. */
#include "dbx_r.h"

#include <string.h>

SEXP dbx_r_serving_result_answer(dbx_serving_result *r); /* serving.c */

static void scorer_finalize(SEXP h)
{
    dbx_serving_scorer *s = R_ExternalPtrAddr(h);
    if (!s)
        return;
    /* a scorer must not outlive its client: when the client went first (closed, or
     * collected in the same sweep), the scorer is left (a bounded leak) rather than freed
     * through a dead client */
    if (dbx_r_client(R_ExternalPtrProtected(h)))
        dbx_serving_scorer_free(s);
    R_ClearExternalPtr(h);
}

static dbx_serving_scorer *scorer_of(SEXP h, dbx_client **c)
{
    if (TYPEOF(h) != EXTPTRSXP || !R_ExternalPtrAddr(h))
        Rf_error("libdbx: the scorer is closed");
    *c = dbx_r_client(R_ExternalPtrProtected(h));
    if (!*c)
        Rf_error("libdbx: the scorer's client is closed");
    return R_ExternalPtrAddr(h);
}

SEXP r_dbx_serving_scorer_new(SEXP x, SEXP name, SEXP max_in_flight, SEXP timeout_ms, SEXP attempt_timeout_ms,
                              SEXP http1)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_serving_scorer_options o = DBX_SERVING_SCORER_OPTIONS_INIT;
    o.max_in_flight = Rf_asInteger(max_in_flight);
    if (o.max_in_flight == NA_INTEGER)
        o.max_in_flight = -1;
    o.timeout_ms = (long)dbx_r_int64_or(timeout_ms, 0);
    o.attempt_timeout_ms = (long)dbx_r_int64_or(attempt_timeout_ms, 0);
    o.http_version = Rf_asLogical(http1) == 1 ? DBX_SERVING_HTTP1_1 : DBX_SERVING_HTTP_AUTO;
    SEXP h = PROTECT(R_MakeExternalPtr(NULL, Rf_install("dbx_serving_scorer"), x));
    R_RegisterCFinalizerEx(h, scorer_finalize, TRUE);
    dbx_serving_scorer *s = NULL;
    dbx_status st = dbx_serving_scorer_new(&s, c, dbx_r_str(name), &o);
    if (st != DBX_OK) {
        UNPROTECT(1);
        return dbx_r_failure(c, st);
    }
    R_SetExternalPtrAddr(h, s);
    UNPROTECT(1);
    return h;
}

SEXP r_dbx_serving_scorer_submit(SEXP h, SEXP body)
{
    dbx_client *c;
    dbx_serving_scorer *s = scorer_of(h, &c);
    uint64_t id = 0;
    dbx_status st = dbx_serving_scorer_submit(&id, s, dbx_r_str(body), NULL);
    return st == DBX_OK ? Rf_ScalarReal((double)id) : dbx_r_failure(c, st);
}

/* One query per row of a data.frame (a named list of equal-length numeric, integer,
 * logical or character columns) in `format` (1 split, 2 records, 3 instances, 4 inputs).
 * Returns the ids (doubles) in row order; on a failure, the rows queued so far stay queued
 * and the failure comes back with the attribute "ids" holding their ids. */
SEXP r_dbx_serving_scorer_submit_rows(SEXP h, SEXP df, SEXP format)
{
    dbx_client *c;
    dbx_serving_scorer *s = scorer_of(h, &c);
    dbx_r_table t;
    dbx_r_table_read(&t, df);
    R_xlen_t nr = t.nr;
    int fmt = Rf_asInteger(format);
    SEXP ids = PROTECT(Rf_allocVector(REALSXP, nr));
    SEXP ih = PROTECT(R_MakeExternalPtr(NULL, Rf_install("dbx_serving_input"), R_NilValue));
    R_RegisterCFinalizerEx(ih, dbx_r_serving_input_finalize, TRUE);
    dbx_status st = DBX_OK;
    R_xlen_t i = 0;
    for (; st == DBX_OK && i < nr; i++) {
        dbx_serving_input *in = NULL;
        st = dbx_serving_input_new(&in, (dbx_serving_format)fmt);
        R_SetExternalPtrAddr(ih, in);
        if (st == DBX_OK)
            st = dbx_r_table_to_input(in, &t, i, i + 1);
        const dbx_client *owner = NULL; /* builder failures are recorded without a client */
        uint64_t id = 0;
        if (st == DBX_OK) {
            st = dbx_serving_scorer_submit_input(&id, s, in, NULL);
            owner = c;
        }
        dbx_r_serving_input_finalize(ih);
        if (st != DBX_OK) {
            SEXP f = PROTECT(dbx_r_failure(owner, st));
            SEXP done = PROTECT(Rf_lengthgets(ids, i));
            Rf_setAttrib(f, Rf_install("ids"), done);
            UNPROTECT(4);
            return f;
        }
        REAL(ids)[i] = (double)id;
    }
    UNPROTECT(2);
    return ids;
}

/* A completion's error record as a "dbx_failure" (the shape of dbx_r_failure). */
static SEXP completion_failure(const dbx_serving_completion *d)
{
    int status = dbx_serving_completion_status(d);
    const dbx_error *e = dbx_serving_completion_error(d);
    const char *names[] = {"status", "status_name", "message", "http_status", "error_code",
                           "request_id", "method", "path", "attempts", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, Rf_ScalarInteger(status));
    SET_VECTOR_ELT(out, 1, Rf_mkString(dbx_status_name(status)));
    SET_VECTOR_ELT(out, 2, Rf_ScalarString(dbx_r_mkutf8(e && e->message ? e->message : dbx_status_str(status))));
    SET_VECTOR_ELT(out, 3, Rf_ScalarInteger(e && e->http_status ? e->http_status : NA_INTEGER));
    SET_VECTOR_ELT(out, 4, dbx_r_mkstr_or_na(e && e->error_code && *e->error_code ? e->error_code : NULL));
    SET_VECTOR_ELT(out, 5, dbx_r_mkstr_or_na(e && e->request_id && *e->request_id ? e->request_id : NULL));
    SET_VECTOR_ELT(out, 6, dbx_r_mkstr_or_na(e && e->method && *e->method ? e->method : NULL));
    SET_VECTOR_ELT(out, 7, dbx_r_mkstr_or_na(e && e->path && *e->path ? e->path : NULL));
    SET_VECTOR_ELT(out, 8, Rf_ScalarInteger(e ? e->attempts : NA_INTEGER));
    Rf_setAttrib(out, R_ClassSymbol, Rf_mkString("dbx_failure"));
    UNPROTECT(1);
    return out;
}

static void completion_finalize(SEXP h)
{
    dbx_serving_completion *d = R_ExternalPtrAddr(h);
    if (d) {
        dbx_serving_completion_free(d);
        R_ClearExternalPtr(h);
    }
}

/* NULL, or list(id, ok, result (as dbx_serving_query's answer) or NULL, failure or NULL). */
SEXP r_dbx_serving_scorer_next(SEXP h, SEXP wait_ms)
{
    dbx_client *c;
    dbx_serving_scorer *s = scorer_of(h, &c);
    dbx_serving_completion *d = NULL;
    dbx_status st = dbx_serving_scorer_next(&d, s, (long)dbx_r_int64_or(wait_ms, 0));
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    if (!d)
        return R_NilValue;
    SEXP dh = PROTECT(R_MakeExternalPtr(d, Rf_install("dbx_serving_completion"), R_NilValue));
    R_RegisterCFinalizerEx(dh, completion_finalize, TRUE); /* freed even if building the answer fails */
    const char *names[] = {"id", "ok", "result", "failure", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, Rf_ScalarReal((double)dbx_serving_completion_id(d)));
    int ok = dbx_serving_completion_status(d) == DBX_OK;
    SET_VECTOR_ELT(out, 1, Rf_ScalarLogical(ok));
    const dbx_serving_result *r = dbx_serving_completion_result(d);
    if (ok && r)
        SET_VECTOR_ELT(out, 2, dbx_r_serving_result_answer((dbx_serving_result *)r));
    if (!ok)
        SET_VECTOR_ELT(out, 3, completion_failure(d));
    completion_finalize(dh);
    UNPROTECT(2);
    return out;
}

SEXP r_dbx_serving_scorer_poll(SEXP h, SEXP wait_ms)
{
    dbx_client *c;
    dbx_serving_scorer *s = scorer_of(h, &c);
    size_t n = 0;
    dbx_status st = dbx_serving_scorer_poll(&n, s, (long)dbx_r_int64_or(wait_ms, 0));
    return st == DBX_OK ? Rf_ScalarReal((double)n) : dbx_r_failure(c, st);
}

SEXP r_dbx_serving_scorer_cancel(SEXP h, SEXP id)
{
    dbx_client *c;
    dbx_serving_scorer *s = scorer_of(h, &c);
    double v = Rf_asReal(id);
    if (ISNAN(v) || v < 0)
        return Rf_ScalarLogical(0);
    dbx_status st = dbx_serving_scorer_cancel(s, (uint64_t)v);
    if (st == DBX_ENOTFOUND)
        return Rf_ScalarLogical(0);
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

SEXP r_dbx_serving_scorer_drain(SEXP h, SEXP timeout_ms)
{
    dbx_client *c;
    dbx_serving_scorer *s = scorer_of(h, &c);
    dbx_status st = dbx_serving_scorer_drain(s, (long)dbx_r_int64_or(timeout_ms, -1));
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

SEXP r_dbx_serving_scorer_stats(SEXP h)
{
    dbx_client *c;
    dbx_serving_scorer *s = scorer_of(h, &c);
    dbx_serving_scorer_stats x = DBX_SERVING_SCORER_STATS_INIT;
    dbx_status st = dbx_serving_scorer_stats_get(&x, s);
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    const char *names[] = {"submitted", "succeeded", "failed", "cancelled", "timed_out", "retried",
                           "connections", "latency_p50_ms", "latency_p99_ms", "in_flight", "queued", ""};
    double v[] = {(double)x.submitted, (double)x.succeeded, (double)x.failed, (double)x.cancelled,
                  (double)x.timed_out, (double)x.retried, (double)x.connections, x.latency_p50_ms,
                  x.latency_p99_ms, (double)dbx_serving_scorer_in_flight(s), (double)dbx_serving_scorer_queued(s)};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    for (int i = 0; i < 11; i++)
        SET_VECTOR_ELT(out, i, Rf_ScalarReal(v[i]));
    UNPROTECT(1);
    return out;
}

SEXP r_dbx_serving_scorer_close(SEXP h)
{
    if (TYPEOF(h) == EXTPTRSXP)
        scorer_finalize(h);
    return R_NilValue;
}

const R_CallMethodDef dbx_r_calls_serving_scorer[] = {
    {"r_dbx_serving_scorer_new", (DL_FUNC)&r_dbx_serving_scorer_new, 6},
    {"r_dbx_serving_scorer_submit", (DL_FUNC)&r_dbx_serving_scorer_submit, 2},
    {"r_dbx_serving_scorer_submit_rows", (DL_FUNC)&r_dbx_serving_scorer_submit_rows, 3},
    {"r_dbx_serving_scorer_next", (DL_FUNC)&r_dbx_serving_scorer_next, 2},
    {"r_dbx_serving_scorer_poll", (DL_FUNC)&r_dbx_serving_scorer_poll, 2},
    {"r_dbx_serving_scorer_cancel", (DL_FUNC)&r_dbx_serving_scorer_cancel, 2},
    {"r_dbx_serving_scorer_drain", (DL_FUNC)&r_dbx_serving_scorer_drain, 2},
    {"r_dbx_serving_scorer_stats", (DL_FUNC)&r_dbx_serving_scorer_stats, 1},
    {"r_dbx_serving_scorer_close", (DL_FUNC)&r_dbx_serving_scorer_close, 1},
    {NULL, NULL, 0}};
