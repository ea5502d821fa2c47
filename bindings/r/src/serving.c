/* R glue: Model Serving (see dbx_r.h). Endpoints come back as their JSON (parsed to R);
 * queries as list(predictions, served_model_name, latency_ms, json). */
#include <math.h>
#include <string.h>

#include "dbx_r.h"

static SEXP ep_answer(dbx_client *c, dbx_status st, dbx_serving_endpoint *ep)
{
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    SEXP out = PROTECT(dbx_r_json(dbx_serving_endpoint_json(ep)));
    SEXP it = PROTECT(Rf_mkCharCE(dbx_serving_endpoint_inference_table(ep), CE_UTF8));
    Rf_setAttrib(out, Rf_install("inference_table"), Rf_ScalarString(it));
    dbx_serving_endpoint_free(ep);
    UNPROTECT(2);
    return out;
}

static const char *elt(SEXP v, R_xlen_t i)
{
    if (Rf_isNull(v) || i >= XLENGTH(v) || STRING_ELT(v, i) == NA_STRING)
        return NULL;
    return Rf_translateCharUTF8(STRING_ELT(v, i));
}

SEXP r_dbx_serving_create(SEXP x, SEXP name, SEXP config_json, SEXP tag_keys, SEXP tag_values, SEXP route_optimized,
                          SEXP description, SEXP extra_json)
{
    DBX_R_NEED_CLIENT(c, x);
    R_xlen_t n = Rf_isNull(tag_keys) ? 0 : XLENGTH(tag_keys);
    dbx_serving_tag *tags = n ? (dbx_serving_tag *)R_alloc((size_t)n, sizeof *tags) : NULL;
    for (R_xlen_t i = 0; i < n; i++) {
        tags[i].key = elt(tag_keys, i);
        tags[i].value = elt(tag_values, i);
    }
    dbx_serving_create_options o = DBX_SERVING_CREATE_OPTIONS_INIT;
    o.tags = tags;
    o.n_tags = (size_t)n;
    o.route_optimized = Rf_asLogical(route_optimized) == 1;
    o.description = dbx_r_str(description);
    o.extra_json = dbx_r_str(extra_json);
    const char *nm = dbx_r_str(name);
    dbx_serving_config *cfg = NULL;
    dbx_status st = dbx_serving_config_from_json(&cfg, dbx_r_str(config_json));
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    dbx_serving_endpoint *ep = NULL;
    st = dbx_serving_create(&ep, c, nm, cfg, &o);
    dbx_serving_config_free(cfg);
    return ep_answer(c, st, ep);
}

SEXP r_dbx_serving_get(SEXP x, SEXP name)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_serving_endpoint *ep = NULL;
    dbx_status st = dbx_serving_get(&ep, c, dbx_r_str(name));
    return ep_answer(c, st, ep);
}

SEXP r_dbx_serving_update_config(SEXP x, SEXP name, SEXP config_json)
{
    DBX_R_NEED_CLIENT(c, x);
    const char *nm = dbx_r_str(name);
    dbx_serving_config *cfg = NULL;
    dbx_status st = dbx_serving_config_from_json(&cfg, dbx_r_str(config_json));
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    dbx_serving_endpoint *ep = NULL;
    st = dbx_serving_update_config(&ep, c, nm, cfg);
    dbx_serving_config_free(cfg);
    return ep_answer(c, st, ep);
}

/* The config libdbx would send (validated), as JSON text. */
SEXP r_dbx_serving_config_json(SEXP config_json)
{
    dbx_serving_config *cfg = NULL;
    dbx_status st = dbx_serving_config_from_json(&cfg, dbx_r_str(config_json));
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    char *out = NULL;
    st = dbx_serving_config_to_json(&out, cfg);
    dbx_serving_config_free(cfg);
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    SEXP s = PROTECT(Rf_ScalarString(dbx_r_mkutf8(out)));
    dbx_free(out);
    UNPROTECT(1);
    return s;
}

SEXP r_dbx_serving_patch_tags(SEXP x, SEXP name, SEXP add_keys, SEXP add_values, SEXP remove)
{
    DBX_R_NEED_CLIENT(c, x);
    R_xlen_t na = Rf_isNull(add_keys) ? 0 : XLENGTH(add_keys);
    R_xlen_t nr = Rf_isNull(remove) ? 0 : XLENGTH(remove);
    dbx_serving_tag *add = na ? (dbx_serving_tag *)R_alloc((size_t)na, sizeof *add) : NULL;
    const char **rem = nr ? (const char **)R_alloc((size_t)nr, sizeof *rem) : NULL;
    for (R_xlen_t i = 0; i < na; i++) {
        add[i].key = elt(add_keys, i);
        add[i].value = elt(add_values, i);
    }
    for (R_xlen_t i = 0; i < nr; i++)
        rem[i] = elt(remove, i);
    dbx_status st = dbx_serving_patch_tags(c, dbx_r_str(name), add, (size_t)na, rem, (size_t)nr);
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

SEXP r_dbx_serving_delete(SEXP x, SEXP name)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_status st = dbx_serving_delete(c, dbx_r_str(name));
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

SEXP r_dbx_serving_set_inference_table(SEXP x, SEXP name, SEXP catalog, SEXP schema, SEXP prefix, SEXP enabled)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_status st = dbx_serving_set_inference_table(c, dbx_r_str(name), dbx_r_str(catalog), dbx_r_str(schema),
                                                    dbx_r_str(prefix), Rf_asLogical(enabled) == 1);
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

SEXP r_dbx_serving_logs(SEXP x, SEXP name, SEXP served, SEXP build)
{
    DBX_R_NEED_CLIENT(c, x);
    char *logs = NULL;
    dbx_status st = Rf_asLogical(build) == 1 ? dbx_serving_build_logs(&logs, c, dbx_r_str(name), dbx_r_str(served))
                                             : dbx_serving_server_logs(&logs, c, dbx_r_str(name), dbx_r_str(served));
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    SEXP s = PROTECT(Rf_ScalarString(dbx_r_mkutf8(logs)));
    dbx_free(logs);
    UNPROTECT(1);
    return s;
}

static void iter_finalize(SEXP h)
{
    dbx_serving_iter *it = R_ExternalPtrAddr(h);
    if (it) {
        dbx_serving_iter_free(it);
        R_ClearExternalPtr(h);
    }
}

SEXP r_dbx_serving_list(SEXP x)
{
    DBX_R_NEED_CLIENT(c, x);
    SEXP h = PROTECT(dbx_r_holder("dbx_serving_iter", iter_finalize));
    dbx_serving_iter *it = NULL;
    dbx_status st = dbx_serving_list(&it, c);
    if (st != DBX_OK) {
        UNPROTECT(1);
        return dbx_r_failure(c, st);
    }
    R_SetExternalPtrAddr(h, it);
    R_xlen_t n = 0, cap = 16;
    SEXP acc = PROTECT(Rf_allocVector(VECSXP, cap));
    const dbx_serving_endpoint *ep = NULL;
    while ((st = dbx_serving_iter_next(&ep, it)) == DBX_OK) {
        if (n == cap) {
            cap *= 2;
            acc = Rf_lengthgets(acc, cap);
            UNPROTECT(1);
            PROTECT(acc);
        }
        SET_VECTOR_ELT(acc, n++, dbx_r_json(dbx_serving_endpoint_json(ep)));
    }
    if (st != DBX_DONE) {
        SEXP f = dbx_r_failure(c, st);
        iter_finalize(h);
        UNPROTECT(2);
        return f;
    }
    iter_finalize(h);
    acc = Rf_lengthgets(acc, n);
    UNPROTECT(2);
    return acc;
}

SEXP r_dbx_serving_wait(SEXP x, SEXP name, SEXP timeout, SEXP poll_interval, SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_wait_options o;
    dbx_r_wait w = {0};
    dbx_r_wait_opts(&o, &w, timeout, poll_interval, progress);
    dbx_serving_endpoint *ep = NULL;
    dbx_status st = dbx_serving_wait_ready(&ep, c, dbx_r_str(name), &o);
    SEXP snap = R_NilValue;
    if (ep) {
        snap = dbx_r_json(dbx_serving_endpoint_json(ep));
        dbx_serving_endpoint_free(ep);
    }
    PROTECT(snap);
    SEXP out = dbx_r_wait_answer(c, st, snap, &w);
    UNPROTECT(1);
    return out;
}

/* list(predictions, served_model_name, latency_ms, json): numbers -> double, strings ->
 * character (null: NA); anything else (booleans too): the parsed JSON. */
SEXP dbx_r_serving_result_answer(dbx_serving_result *r); /* also the scorer's (serving_scorer.c) */
SEXP dbx_r_serving_result_answer(dbx_serving_result *r)
{
    size_t n = dbx_serving_result_count(r);
    int all_num = 1, all_str = 1;
    for (size_t i = 0; i < n; i++) {
        dbx_serving_value_type t = dbx_serving_result_type(r, i);
        all_num &= t == DBX_SERVING_VALUE_NUMBER || t == DBX_SERVING_VALUE_NULL;
        all_str &= t == DBX_SERVING_VALUE_STRING || t == DBX_SERVING_VALUE_NULL;
    }
    SEXP preds;
    if (n && all_num) {
        preds = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t)n));
        for (size_t i = 0; i < n; i++)
            REAL(preds)[i] = dbx_serving_result_is_null(r, i) ? NA_REAL : dbx_serving_result_double(r, i);
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
    SEXP out = PROTECT(Rf_allocVector(VECSXP, 4));
    SEXP nm = PROTECT(Rf_allocVector(STRSXP, 4));
    SET_VECTOR_ELT(out, 0, preds);
    SET_VECTOR_ELT(out, 1, Rf_ScalarString(dbx_r_mkutf8(dbx_serving_result_served_model_name(r))));
    SET_VECTOR_ELT(out, 2, Rf_ScalarReal((double)dbx_serving_result_latency_ms(r)));
    SET_VECTOR_ELT(out, 3, Rf_ScalarString(dbx_r_mkutf8(dbx_serving_result_json(r))));
    SET_STRING_ELT(nm, 0, Rf_mkChar("predictions"));
    SET_STRING_ELT(nm, 1, Rf_mkChar("served_model_name"));
    SET_STRING_ELT(nm, 2, Rf_mkChar("latency_ms"));
    SET_STRING_ELT(nm, 3, Rf_mkChar("json"));
    Rf_setAttrib(out, R_NamesSymbol, nm);
    UNPROTECT(3);
    return out;
}

static void result_finalize(SEXP h)
{
    dbx_serving_result *r = R_ExternalPtrAddr(h);
    if (r) {
        dbx_serving_result_free(r);
        R_ClearExternalPtr(h);
    }
}

void dbx_r_serving_input_finalize(SEXP h)
{
    dbx_serving_input *in = R_ExternalPtrAddr(h);
    if (in) {
        dbx_serving_input_free(in);
        R_ClearExternalPtr(h);
    }
}

void dbx_r_table_read(dbx_r_table *t, SEXP df)
{
    SEXP cols = Rf_getAttrib(df, R_NamesSymbol);
    if (TYPEOF(df) != VECSXP || Rf_isNull(cols) || XLENGTH(df) == 0)
        Rf_error("libdbx: the table must be a data.frame with named columns");
    t->df = df;
    t->nc = XLENGTH(df);
    t->nr = XLENGTH(VECTOR_ELT(df, 0));
    t->names = (const char **)R_alloc((size_t)t->nc, sizeof *t->names);
    t->cells = (const char **)R_alloc((size_t)(t->nc * (t->nr ? t->nr : 1)), sizeof *t->cells);
    for (R_xlen_t j = 0; j < t->nc; j++) {
        SEXP v = VECTOR_ELT(df, j);
        if (XLENGTH(v) != t->nr || !(Rf_isReal(v) || Rf_isInteger(v) || Rf_isLogical(v) || Rf_isString(v)))
            Rf_error("libdbx: column %d must be numeric, integer, logical or character, of %ld rows", (int)j + 1,
                     (long)t->nr);
        t->names[j] = Rf_translateCharUTF8(STRING_ELT(cols, j));
        if (Rf_isString(v))
            for (R_xlen_t i = 0; i < t->nr; i++)
                t->cells[j * t->nr + i] =
                    STRING_ELT(v, i) == NA_STRING ? NULL : Rf_translateCharUTF8(STRING_ELT(v, i));
    }
}

dbx_status dbx_r_table_to_input(dbx_serving_input *in, const dbx_r_table *t, R_xlen_t from, R_xlen_t to)
{
    dbx_status st = dbx_serving_input_set_columns(in, t->names, (size_t)t->nc);
    for (R_xlen_t i = from; st == DBX_OK && i < to; i++) {
        st = dbx_serving_input_add_row(in);
        for (R_xlen_t j = 0; st == DBX_OK && j < t->nc; j++) {
            SEXP v = VECTOR_ELT(t->df, j);
            if (Rf_isString(v))
                st = t->cells[j * t->nr + i] ? dbx_serving_input_add_string(in, t->cells[j * t->nr + i])
                                             : dbx_serving_input_add_null(in);
            else if (Rf_isLogical(v))
                st = LOGICAL(v)[i] == NA_LOGICAL ? dbx_serving_input_add_null(in)
                                                 : dbx_serving_input_add_bool(in, LOGICAL(v)[i]);
            else if (Rf_isInteger(v))
                st = INTEGER(v)[i] == NA_INTEGER ? dbx_serving_input_add_null(in)
                                                 : dbx_serving_input_add_int(in, INTEGER(v)[i]);
            else
                st = ISNAN(REAL(v)[i]) ? dbx_serving_input_add_null(in) : dbx_serving_input_add_double(in, REAL(v)[i]);
        }
    }
    return st;
}

static SEXP query_answer(dbx_client *c, dbx_status st, dbx_serving_result *r)
{
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    SEXP h = PROTECT(dbx_r_holder("dbx_serving_result", result_finalize));
    R_SetExternalPtrAddr(h, r); /* freed even if building the answer fails */
    SEXP out = dbx_r_serving_result_answer(r);
    result_finalize(h);
    UNPROTECT(1);
    return out;
}

SEXP r_dbx_serving_query(SEXP x, SEXP name, SEXP body, SEXP timeout_ms)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_serving_query_options o = DBX_SERVING_QUERY_OPTIONS_INIT;
    o.timeout_ms = (long)dbx_r_int64_or(timeout_ms, 0);
    dbx_serving_result *r = NULL;
    dbx_status st = dbx_serving_query(&r, c, dbx_r_str(name), dbx_r_str(body), &o);
    return query_answer(c, st, r);
}

/* A data.frame (a named list of equal-length columns) sent through the typed input builder
 * in `format` (1 split, 2 records, 3 instances, 4 inputs). */
SEXP r_dbx_serving_query_table(SEXP x, SEXP name, SEXP df, SEXP format, SEXP params, SEXP crid, SEXP timeout_ms,
                               SEXP dry_run)
{
    dbx_client *c = dbx_r_client(x);
    int dry = Rf_asLogical(dry_run) == 1;
    if (!c && !dry)
        return dbx_r_failure(NULL, DBX_EINVAL);
    dbx_r_table t;
    dbx_r_table_read(&t, df);
    const char *p = dbx_r_str(params), *id = dbx_r_str(crid), *nm = dbx_r_str(name);
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
    if (dry) {
        char *js = NULL;
        st = dbx_serving_input_to_json(&js, in);
        dbx_r_serving_input_finalize(h);
        UNPROTECT(1);
        if (st != DBX_OK)
            return dbx_r_failure(NULL, st);
        SEXP s = PROTECT(Rf_ScalarString(dbx_r_mkutf8(js)));
        dbx_free(js);
        UNPROTECT(1);
        return s;
    }
    dbx_serving_query_options o = DBX_SERVING_QUERY_OPTIONS_INIT;
    o.timeout_ms = (long)dbx_r_int64_or(timeout_ms, 0);
    dbx_serving_result *r = NULL;
    st = dbx_serving_query_input(&r, c, nm, in, &o);
    dbx_r_serving_input_finalize(h);
    UNPROTECT(1);
    return query_answer(c, st, r);
}

const R_CallMethodDef dbx_r_calls_serving[] = {
    {"r_dbx_serving_create", (DL_FUNC)&r_dbx_serving_create, 8},
    {"r_dbx_serving_get", (DL_FUNC)&r_dbx_serving_get, 2},
    {"r_dbx_serving_update_config", (DL_FUNC)&r_dbx_serving_update_config, 3},
    {"r_dbx_serving_config_json", (DL_FUNC)&r_dbx_serving_config_json, 1},
    {"r_dbx_serving_patch_tags", (DL_FUNC)&r_dbx_serving_patch_tags, 5},
    {"r_dbx_serving_delete", (DL_FUNC)&r_dbx_serving_delete, 2},
    {"r_dbx_serving_set_inference_table", (DL_FUNC)&r_dbx_serving_set_inference_table, 6},
    {"r_dbx_serving_logs", (DL_FUNC)&r_dbx_serving_logs, 4},
    {"r_dbx_serving_list", (DL_FUNC)&r_dbx_serving_list, 1},
    {"r_dbx_serving_wait", (DL_FUNC)&r_dbx_serving_wait, 5},
    {"r_dbx_serving_query", (DL_FUNC)&r_dbx_serving_query, 4},
    {"r_dbx_serving_query_table", (DL_FUNC)&r_dbx_serving_query_table, 8},
    {NULL, NULL, 0}};
