/* R glue: Model Serving extras (see dbx_r.h): traffic, shift / promote / rollback (waits
 * answered as dbx_r_wait_answer lists), /metrics as columns, batch scoring of a data.frame. */
#include <math.h>
#include <string.h>

#include "dbx_r.h"

static SEXP named_list(const char **names, int n)
{
    SEXP out = PROTECT(Rf_allocVector(VECSXP, n));
    SEXP nm = PROTECT(Rf_allocVector(STRSXP, n));
    for (int i = 0; i < n; i++)
        SET_STRING_ELT(nm, i, Rf_mkChar(names[i]));
    Rf_setAttrib(out, R_NamesSymbol, nm);
    UNPROTECT(2);
    return out;
}

/* list(served_entity_name, entity_name, entity_version, traffic_percentage, config_json) */
SEXP r_dbx_serving_traffic(SEXP x, SEXP name)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_serving_traffic *t = NULL;
    dbx_status st = dbx_serving_traffic_get(&t, c, dbx_r_str(name));
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    size_t n = dbx_serving_traffic_count(t);
    const char *names[] = {"served_entity_name", "entity_name", "entity_version", "traffic_percentage", "config_json"};
    SEXP out = PROTECT(named_list(names, 5));
    SEXP e = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n)), m = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n)),
         v = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n)), p = PROTECT(Rf_allocVector(INTSXP, (R_xlen_t)n));
    for (size_t i = 0; i < n; i++) {
        SET_STRING_ELT(e, (R_xlen_t)i, dbx_r_mkutf8(dbx_serving_traffic_entity(t, i)));
        SET_STRING_ELT(m, (R_xlen_t)i, dbx_r_mkutf8(dbx_serving_traffic_model(t, i)));
        SET_STRING_ELT(v, (R_xlen_t)i, dbx_r_mkutf8(dbx_serving_traffic_version(t, i)));
        INTEGER(p)[i] = dbx_serving_traffic_percentage(t, i);
    }
    SET_VECTOR_ELT(out, 0, e);
    SET_VECTOR_ELT(out, 1, m);
    SET_VECTOR_ELT(out, 2, v);
    SET_VECTOR_ELT(out, 3, p);
    SET_VECTOR_ELT(out, 4, Rf_ScalarString(dbx_r_mkutf8(dbx_serving_traffic_config_json(t))));
    dbx_serving_traffic_free(t);
    UNPROTECT(5);
    return out;
}

static SEXP ep_snapshot(dbx_serving_endpoint *ep)
{
    SEXP s = ep ? dbx_r_json(dbx_serving_endpoint_json(ep)) : R_NilValue;
    dbx_serving_endpoint_free(ep);
    return s;
}

SEXP r_dbx_serving_shift(SEXP x, SEXP name, SEXP champion, SEXP challenger, SEXP pct, SEXP wait, SEXP timeout,
                         SEXP poll_interval, SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_wait_options o;
    dbx_r_wait w = {0};
    dbx_r_wait_opts(&o, &w, timeout, poll_interval, progress);
    dbx_serving_traffic_options to = DBX_SERVING_TRAFFIC_OPTIONS_INIT;
    to.no_wait = Rf_asLogical(wait) != 1;
    to.wait = &o;
    const char *nm = dbx_r_str(name), *ch = dbx_r_str(champion), *cl = dbx_r_str(challenger);
    int p = Rf_asInteger(pct);
    if (p == NA_INTEGER)
        p = -1;
    dbx_serving_endpoint *ep = NULL;
    dbx_status st = dbx_serving_traffic_shift(&ep, c, nm, ch, cl, p, &to);
    SEXP snap = PROTECT(ep_snapshot(ep));
    SEXP out = dbx_r_wait_answer(c, st, snap, &w);
    UNPROTECT(1);
    return out;
}

static dbx_registry_t reg_of(SEXP registry)
{
    const char *r = dbx_r_str(registry);
    return r && strcmp(r, "workspace") == 0 ? DBX_REGISTRY_WORKSPACE
           : r && strcmp(r, "uc") == 0      ? DBX_REGISTRY_UC
                                            : DBX_REGISTRY_DEFAULT;
}

SEXP r_dbx_serving_promote(SEXP x, SEXP name, SEXP challenger, SEXP alias, SEXP model_name, SEXP registry,
                           SEXP stage, SEXP keep_others, SEXP timeout, SEXP poll_interval, SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_wait_options o;
    dbx_r_wait w = {0};
    dbx_r_wait_opts(&o, &w, timeout, poll_interval, progress);
    dbx_serving_promote_options po = DBX_SERVING_PROMOTE_OPTIONS_INIT;
    po.wait = &o;
    po.alias = dbx_r_str(alias);
    po.model_name = dbx_r_str(model_name);
    po.registry = reg_of(registry);
    po.stage = dbx_r_str(stage);
    po.keep_others = Rf_asLogical(keep_others) == 1;
    const char *nm = dbx_r_str(name), *cl = dbx_r_str(challenger);
    dbx_serving_promotion *p = NULL;
    dbx_status st = dbx_serving_promote(&p, c, nm, cl, &po);
    SEXP res = R_NilValue;
    if (p) {
        const char *names[] = {"endpoint", "previous_config_json", "model", "alias", "alias_version",
                               "previous_alias_version"};
        res = PROTECT(named_list(names, 6));
        SET_VECTOR_ELT(res, 0, dbx_r_json(dbx_serving_endpoint_json(dbx_serving_promotion_endpoint(p))));
        SET_VECTOR_ELT(res, 1, Rf_ScalarString(dbx_r_mkutf8(dbx_serving_promotion_previous_config_json(p))));
        SET_VECTOR_ELT(res, 2, Rf_ScalarString(dbx_r_mkutf8(dbx_serving_promotion_model(p))));
        SET_VECTOR_ELT(res, 3, Rf_ScalarString(dbx_r_mkutf8(dbx_serving_promotion_alias(p))));
        SET_VECTOR_ELT(res, 4, Rf_ScalarReal((double)dbx_serving_promotion_alias_version(p)));
        SET_VECTOR_ELT(res, 5, Rf_ScalarReal((double)dbx_serving_promotion_previous_alias_version(p)));
        dbx_serving_promotion_free(p);
        UNPROTECT(1);
    }
    PROTECT(res);
    SEXP out = dbx_r_wait_answer(c, st, res, &w);
    UNPROTECT(1);
    return out;
}

SEXP r_dbx_serving_rollback(SEXP x, SEXP name, SEXP config_json, SEXP alias, SEXP model_name, SEXP registry,
                            SEXP alias_version, SEXP timeout, SEXP poll_interval, SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_serving_config *cfg = NULL;
    dbx_status st = dbx_serving_config_from_json(&cfg, dbx_r_str(config_json));
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    dbx_wait_options o;
    dbx_r_wait w = {0};
    dbx_r_wait_opts(&o, &w, timeout, poll_interval, progress);
    dbx_serving_rollback_options ro = DBX_SERVING_ROLLBACK_OPTIONS_INIT;
    ro.wait = &o;
    ro.alias = dbx_r_str(alias);
    ro.model_name = dbx_r_str(model_name);
    ro.registry = reg_of(registry);
    ro.alias_version = dbx_r_int64_or(alias_version, 0);
    const char *nm = dbx_r_str(name);
    dbx_serving_endpoint *ep = NULL;
    st = dbx_serving_rollback(&ep, c, nm, cfg, &ro);
    dbx_serving_config_free(cfg);
    SEXP snap = PROTECT(ep_snapshot(ep));
    SEXP out = dbx_r_wait_answer(c, st, snap, &w);
    UNPROTECT(1);
    return out;
}

/* list(name, type, value, timestamp, labels (a list of named character vectors)) */
static SEXP metrics_answer(dbx_serving_metrics *m)
{
    size_t n = dbx_serving_metrics_count(m);
    const char *names[] = {"name", "type", "value", "timestamp", "labels"};
    SEXP out = PROTECT(named_list(names, 5));
    SEXP nm = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n)), ty = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n)),
         va = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t)n)), ts = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t)n)),
         lb = PROTECT(Rf_allocVector(VECSXP, (R_xlen_t)n));
    for (size_t i = 0; i < n; i++) {
        SET_STRING_ELT(nm, (R_xlen_t)i, dbx_r_mkutf8(dbx_serving_metrics_name(m, i)));
        SET_STRING_ELT(ty, (R_xlen_t)i, Rf_mkChar(dbx_metric_type_name(dbx_serving_metrics_type(m, i))));
        REAL(va)[i] = dbx_serving_metrics_value(m, i);
        int64_t t = 0;
        REAL(ts)[i] = dbx_serving_metrics_timestamp(m, i, &t) ? (double)t : NA_REAL;
        size_t nl = dbx_serving_metrics_label_count(m, i);
        SEXP lv = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)nl)), lk = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)nl));
        for (size_t j = 0; j < nl; j++) {
            SET_STRING_ELT(lk, (R_xlen_t)j, dbx_r_mkutf8(dbx_serving_metrics_label_key(m, i, j)));
            SET_STRING_ELT(lv, (R_xlen_t)j, dbx_r_mkutf8(dbx_serving_metrics_label_value(m, i, j)));
        }
        Rf_setAttrib(lv, R_NamesSymbol, lk);
        SET_VECTOR_ELT(lb, (R_xlen_t)i, lv);
        UNPROTECT(2);
    }
    SET_VECTOR_ELT(out, 0, nm);
    SET_VECTOR_ELT(out, 1, ty);
    SET_VECTOR_ELT(out, 2, va);
    SET_VECTOR_ELT(out, 3, ts);
    SET_VECTOR_ELT(out, 4, lb);
    UNPROTECT(6);
    return out;
}

static void metrics_finalize(SEXP h)
{
    dbx_serving_metrics *m = R_ExternalPtrAddr(h);
    if (m) {
        dbx_serving_metrics_free(m);
        R_ClearExternalPtr(h);
    }
}

static SEXP metrics_out(dbx_client *c, dbx_status st, dbx_serving_metrics *m)
{
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    SEXP h = PROTECT(dbx_r_holder("dbx_serving_metrics", metrics_finalize));
    R_SetExternalPtrAddr(h, m); /* freed even if building the answer fails */
    SEXP out = metrics_answer(m);
    metrics_finalize(h);
    UNPROTECT(1);
    return out;
}

SEXP r_dbx_serving_metrics(SEXP x, SEXP name)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_serving_metrics *m = NULL;
    dbx_status st = dbx_serving_metrics_get(&m, c, dbx_r_str(name));
    return metrics_out(c, st, m);
}

SEXP r_dbx_serving_metrics_parse(SEXP text)
{
    if (TYPEOF(text) != STRSXP || XLENGTH(text) != 1 || STRING_ELT(text, 0) == NA_STRING)
        Rf_error("libdbx: text must be one string");
    const char *s = Rf_translateCharUTF8(STRING_ELT(text, 0));
    dbx_serving_metrics *m = NULL;
    dbx_status st = dbx_serving_metrics_parse(&m, s, strlen(s));
    return metrics_out(NULL, st, m);
}

static void result_finalize(SEXP h)
{
    dbx_serving_result *r = R_ExternalPtrAddr(h);
    if (r) {
        dbx_serving_result_free(r);
        R_ClearExternalPtr(h);
    }
}

/* Batch scoring of a data.frame (a named list of equal-length columns): list(predictions (numeric,
 * character, logical, or the parsed JSON), served_model_name, latency_ms, json). */
SEXP r_dbx_serving_query_batch(SEXP x, SEXP name, SEXP df, SEXP format, SEXP params, SEXP crid, SEXP max_rows,
                               SEXP max_bytes, SEXP max_parallel, SEXP timeout_ms)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_r_table t;
    dbx_r_table_read(&t, df);
    const char *p = dbx_r_str(params), *id = dbx_r_str(crid), *nm = dbx_r_str(name);
    dbx_serving_batch_options bo = DBX_SERVING_BATCH_OPTIONS_INIT;
    bo.timeout_ms = (long)dbx_r_int64_or(timeout_ms, 0);
    bo.max_parallel = (int)dbx_r_int64_or(max_parallel, 0);
    bo.max_bytes_per_request = (size_t)dbx_r_int64_or(max_bytes, 0);
    size_t rows_cap = (size_t)dbx_r_int64_or(max_rows, 0);
    SEXP h = PROTECT(dbx_r_holder("dbx_serving_input", dbx_r_serving_input_finalize));
    dbx_serving_input *in = NULL;
    dbx_status st = dbx_serving_input_new(&in, (dbx_serving_format)Rf_asInteger(format));
    R_SetExternalPtrAddr(h, in);
    if (st == DBX_OK)
        st = dbx_r_table_to_input(in, &t, 0, t.nr);
    if (st == DBX_OK && p)
        st = dbx_serving_input_set_params(in, p);
    if (st == DBX_OK && id)
        st = dbx_serving_input_set_client_request_id(in, id);
    if (st != DBX_OK) {
        dbx_r_serving_input_finalize(h);
        UNPROTECT(1);
        return dbx_r_failure(NULL, st);
    }
    dbx_serving_result *r = NULL;
    st = dbx_serving_query_batch(&r, c, nm, in, rows_cap, &bo);
    dbx_r_serving_input_finalize(h);
    UNPROTECT(1);
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    SEXP rh = PROTECT(dbx_r_holder("dbx_serving_result", result_finalize));
    R_SetExternalPtrAddr(rh, r); /* freed even if building the answer fails */
    /* predictions: numbers -> double, strings -> character, booleans -> logical (null: NA) */
    size_t n = dbx_serving_result_count(r);
    int all_num = 1, all_str = 1, all_bool = 1;
    for (size_t i = 0; i < n; i++) {
        dbx_serving_value_type t = dbx_serving_result_type(r, i);
        all_num &= t == DBX_SERVING_VALUE_NUMBER || t == DBX_SERVING_VALUE_NULL;
        all_str &= t == DBX_SERVING_VALUE_STRING || t == DBX_SERVING_VALUE_NULL;
        all_bool &= t == DBX_SERVING_VALUE_BOOL || t == DBX_SERVING_VALUE_NULL;
    }
    SEXP preds;
    if (n && all_num) {
        preds = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t)n));
        for (size_t i = 0; i < n; i++)
            REAL(preds)[i] = dbx_serving_result_is_null(r, i) ? NA_REAL : dbx_serving_result_double(r, i);
    } else if (n && all_bool) {
        preds = PROTECT(Rf_allocVector(LGLSXP, (R_xlen_t)n));
        for (size_t i = 0; i < n; i++)
            LOGICAL(preds)[i] = dbx_serving_result_bool(r, i, NA_LOGICAL);
    } else if (n && all_str) {
        preds = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n));
        for (size_t i = 0; i < n; i++) {
            const char *s = dbx_serving_result_string(r, i);
            SET_STRING_ELT(preds, (R_xlen_t)i, s ? dbx_r_mkutf8(s) : NA_STRING);
        }
    } else {
        const char *pj = dbx_serving_result_predictions_json(r);
        preds = PROTECT(*pj ? dbx_r_json(pj) : R_NilValue);
    }
    const char *onames[] = {"predictions", "served_model_name", "latency_ms", "json"};
    SEXP out = PROTECT(named_list(onames, 4));
    SET_VECTOR_ELT(out, 0, preds);
    SET_VECTOR_ELT(out, 1, Rf_ScalarString(dbx_r_mkutf8(dbx_serving_result_served_model_name(r))));
    SET_VECTOR_ELT(out, 2, Rf_ScalarReal((double)dbx_serving_result_latency_ms(r)));
    SET_VECTOR_ELT(out, 3, Rf_ScalarString(dbx_r_mkutf8(dbx_serving_result_json(r))));
    result_finalize(rh);
    UNPROTECT(3);
    return out;
}

const R_CallMethodDef dbx_r_calls_serving_extras[] = {
    {"r_dbx_serving_traffic", (DL_FUNC)&r_dbx_serving_traffic, 2},
    {"r_dbx_serving_shift", (DL_FUNC)&r_dbx_serving_shift, 9},
    {"r_dbx_serving_promote", (DL_FUNC)&r_dbx_serving_promote, 11},
    {"r_dbx_serving_rollback", (DL_FUNC)&r_dbx_serving_rollback, 10},
    {"r_dbx_serving_metrics", (DL_FUNC)&r_dbx_serving_metrics, 2},
    {"r_dbx_serving_metrics_parse", (DL_FUNC)&r_dbx_serving_metrics_parse, 1},
    {"r_dbx_serving_query_batch", (DL_FUNC)&r_dbx_serving_query_batch, 10},
    {NULL, NULL, 0}};
