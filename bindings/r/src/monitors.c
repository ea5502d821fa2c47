/* R glue: quality monitors (see dbx_r.h). Monitors and refreshes come back as their JSON
 * (parsed to R); the drift and profile metric rows as data.frames built here. Specs are
 * built through libdbx's spec builder from a flat named list made by R/monitors.R. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "dbx_r.h"

/* ---- specs -------------------------------------------------------------------------------- */

static SEXP lget(SEXP l, const char *name)
{
    SEXP nm = Rf_getAttrib(l, R_NamesSymbol);
    if (TYPEOF(l) != VECSXP || Rf_isNull(nm))
        return R_NilValue;
    for (R_xlen_t i = 0; i < XLENGTH(l); i++)
        if (!strcmp(CHAR(STRING_ELT(nm, i)), name))
            return VECTOR_ELT(l, i);
    return R_NilValue;
}

static const char *lstr(SEXP l, const char *name) { return dbx_r_str(lget(l, name)); }

static int lflag(SEXP l, const char *name, int *set)
{
    SEXP v = lget(l, name);
    *set = !Rf_isNull(v) && XLENGTH(v) > 0 && Rf_asLogical(v) != NA_LOGICAL;
    return *set ? Rf_asLogical(v) == 1 : 0;
}

static const char *nth_str(SEXP v, R_xlen_t i)
{
    if (TYPEOF(v) != STRSXP || i >= XLENGTH(v) || STRING_ELT(v, i) == NA_STRING)
        return NULL;
    return Rf_translateCharUTF8(STRING_ELT(v, i));
}

static void spec_finalize(SEXP h)
{
    dbx_monitor_spec *s = R_ExternalPtrAddr(h);
    if (s) {
        dbx_monitor_spec_free(s);
        R_ClearExternalPtr(h);
    }
}

/* The spec from list(json = <text>) or from the flat list of R/monitors.R, owned by the
 * holder `h` (PROTECTed by the caller). */
static dbx_status spec_from_r(dbx_monitor_spec **out, SEXP h, SEXP l)
{
    *out = NULL;
    const char *json = lstr(l, "json");
    dbx_monitor_spec *s = NULL;
    dbx_status st = json ? dbx_monitor_spec_from_json(&s, json) : dbx_monitor_spec_new(&s);
    if (st != DBX_OK)
        return st;
    R_SetExternalPtrAddr(h, s);
    *out = s;
    if (json)
        return DBX_OK;
    const char *v;
    if (st == DBX_OK && (v = lstr(l, "assets_dir")))
        st = dbx_monitor_spec_set_assets_dir(s, v);
    if (st == DBX_OK && (v = lstr(l, "output_schema_name")))
        st = dbx_monitor_spec_set_output_schema(s, v);
    const char *profile = lstr(l, "profile");
    if (st == DBX_OK && profile) {
        if (!strcmp(profile, "inference_log")) {
            const char *pt = lstr(l, "problem_type");
            dbx_monitor_problem_type_t p = DBX_MONITOR_PROBLEM_UNKNOWN;
            if (pt && (!strcmp(pt, "CLASSIFICATION") || !strcmp(pt, "PROBLEM_TYPE_CLASSIFICATION")))
                p = DBX_MONITOR_PROBLEM_CLASSIFICATION;
            else if (pt && (!strcmp(pt, "REGRESSION") || !strcmp(pt, "PROBLEM_TYPE_REGRESSION")))
                p = DBX_MONITOR_PROBLEM_REGRESSION;
            st = dbx_monitor_spec_set_inference_log(s, p, lstr(l, "timestamp_col"), lstr(l, "prediction_col"),
                                                    lstr(l, "model_id_col"), lstr(l, "label_col"),
                                                    lstr(l, "prediction_proba_col"));
        } else if (!strcmp(profile, "time_series")) {
            st = dbx_monitor_spec_set_time_series(s, lstr(l, "timestamp_col"));
        } else {
            st = dbx_monitor_spec_set_snapshot(s);
        }
    }
    SEXP g = lget(l, "granularities");
    for (R_xlen_t i = 0; st == DBX_OK && TYPEOF(g) == STRSXP && i < XLENGTH(g); i++)
        st = dbx_monitor_spec_add_granularity(s, nth_str(g, i));
    if (st == DBX_OK && (v = lstr(l, "baseline_table_name")))
        st = dbx_monitor_spec_set_baseline_table(s, v);
    SEXP se = lget(l, "slicing_exprs");
    for (R_xlen_t i = 0; st == DBX_OK && TYPEOF(se) == STRSXP && i < XLENGTH(se); i++)
        st = dbx_monitor_spec_add_slicing_expr(s, nth_str(se, i));
    const char *cron = lstr(l, "cron");
    int set = 0;
    int paused = lflag(l, "paused", &set);
    if (st == DBX_OK && cron)
        st = dbx_monitor_spec_set_schedule(s, cron, lstr(l, "timezone_id"), paused);
    if (st == DBX_OK && (v = lstr(l, "warehouse_id")))
        st = dbx_monitor_spec_set_warehouse_id(s, v);
    int skip = lflag(l, "skip_builtin_dashboard", &set);
    if (st == DBX_OK && set)
        st = dbx_monitor_spec_set_skip_builtin_dashboard(s, skip);
    SEXP em = lget(l, "notification_emails");
    for (R_xlen_t i = 0; st == DBX_OK && TYPEOF(em) == STRSXP && i < XLENGTH(em); i++)
        st = dbx_monitor_spec_add_failure_email(s, nth_str(em, i));
    if (st == DBX_OK && (v = lstr(l, "custom_metrics_json")))
        st = dbx_monitor_spec_set_custom_metrics_json(s, v);
    return st;
}

static SEXP monitor_answer(dbx_client *c, dbx_status st, dbx_monitor *m)
{
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    SEXP out = dbx_r_json(dbx_monitor_json(m));
    dbx_monitor_free(m);
    return out;
}

static SEXP refresh_answer(dbx_client *c, dbx_status st, dbx_monitor_refresh *r)
{
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    SEXP out = dbx_r_json(dbx_monitor_refresh_json(r));
    dbx_monitor_refresh_free(r);
    return out;
}

/* create (update = 0) or update (1) */
SEXP r_dbx_monitor_put(SEXP x, SEXP table, SEXP spec, SEXP update)
{
    DBX_R_NEED_CLIENT(c, x);
    const char *t = dbx_r_str(table);
    SEXP h = PROTECT(dbx_r_holder("dbx_monitor_spec", spec_finalize));
    dbx_monitor_spec *s = NULL;
    dbx_status st = spec_from_r(&s, h, spec);
    if (st != DBX_OK) {
        spec_finalize(h);
        UNPROTECT(1);
        return dbx_r_failure(NULL, st);
    }
    dbx_monitor *m = NULL;
    st = Rf_asLogical(update) == 1 ? dbx_monitor_update(&m, c, t, s) : dbx_monitor_create(&m, c, t, s);
    spec_finalize(h);
    UNPROTECT(1);
    return monitor_answer(c, st, m);
}

SEXP r_dbx_monitor_spec_json(SEXP spec)
{
    SEXP h = PROTECT(dbx_r_holder("dbx_monitor_spec", spec_finalize));
    dbx_monitor_spec *s = NULL;
    dbx_status st = spec_from_r(&s, h, spec);
    char *out = NULL;
    if (st == DBX_OK)
        st = dbx_monitor_spec_to_json(&out, s);
    spec_finalize(h);
    UNPROTECT(1);
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    SEXP r = PROTECT(Rf_ScalarString(dbx_r_mkutf8(out)));
    dbx_free(out);
    UNPROTECT(1);
    return r;
}

SEXP r_dbx_monitor_get(SEXP x, SEXP table)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_monitor *m = NULL;
    dbx_status st = dbx_monitor_get(&m, c, dbx_r_str(table));
    return monitor_answer(c, st, m);
}

SEXP r_dbx_monitor_delete(SEXP x, SEXP table)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_status st = dbx_monitor_delete(c, dbx_r_str(table));
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

SEXP r_dbx_monitor_regenerate_dashboard(SEXP x, SEXP table, SEXP warehouse_id)
{
    DBX_R_NEED_CLIENT(c, x);
    char *id = NULL;
    dbx_status st = dbx_monitor_regenerate_dashboard(&id, c, dbx_r_str(table), dbx_r_str(warehouse_id));
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    SEXP s = PROTECT(Rf_ScalarString(dbx_r_mkutf8(id)));
    dbx_free(id);
    UNPROTECT(1);
    return s;
}

SEXP r_dbx_monitor_wait_active(SEXP x, SEXP table, SEXP timeout, SEXP poll_interval, SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_wait_options o;
    dbx_r_wait w = {0};
    dbx_r_wait_opts(&o, &w, timeout, poll_interval, progress);
    dbx_monitor *m = NULL;
    dbx_status st = dbx_monitor_wait_active(&m, c, dbx_r_str(table), &o);
    SEXP snap = R_NilValue;
    if (m) {
        snap = dbx_r_json(dbx_monitor_json(m));
        dbx_monitor_free(m);
    }
    PROTECT(snap);
    SEXP out = dbx_r_wait_answer(c, st, snap, &w);
    UNPROTECT(1);
    return out;
}

SEXP r_dbx_monitor_refresh_run(SEXP x, SEXP table)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_monitor_refresh *r = NULL;
    dbx_status st = dbx_monitor_refresh_run(&r, c, dbx_r_str(table));
    return refresh_answer(c, st, r);
}

SEXP r_dbx_monitor_refresh_get(SEXP x, SEXP table, SEXP id)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_monitor_refresh *r = NULL;
    dbx_status st = dbx_monitor_refresh_get(&r, c, dbx_r_str(table), dbx_r_int64_or(id, 0));
    return refresh_answer(c, st, r);
}

SEXP r_dbx_monitor_refresh_cancel(SEXP x, SEXP table, SEXP id)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_status st = dbx_monitor_refresh_cancel(c, dbx_r_str(table), dbx_r_int64_or(id, 0));
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

SEXP r_dbx_monitor_refresh_wait(SEXP x, SEXP table, SEXP id, SEXP timeout, SEXP poll_interval, SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_wait_options o;
    dbx_r_wait w = {0};
    dbx_r_wait_opts(&o, &w, timeout, poll_interval, progress);
    dbx_monitor_refresh *r = NULL;
    dbx_status st = dbx_monitor_refresh_wait(&r, c, dbx_r_str(table), dbx_r_int64_or(id, 0), &o);
    SEXP snap = R_NilValue;
    if (r) {
        snap = dbx_r_json(dbx_monitor_refresh_json(r));
        dbx_monitor_refresh_free(r);
    }
    PROTECT(snap);
    SEXP out = dbx_r_wait_answer(c, st, snap, &w);
    UNPROTECT(1);
    return out;
}

static void iter_finalize(SEXP h)
{
    dbx_monitor_refresh_iter *it = R_ExternalPtrAddr(h);
    if (it) {
        dbx_monitor_refresh_iter_free(it);
        R_ClearExternalPtr(h);
    }
}

/* A list of refreshes (parsed JSON), newest first. */
SEXP r_dbx_monitor_refresh_list(SEXP x, SEXP table)
{
    DBX_R_NEED_CLIENT(c, x);
    SEXP h = PROTECT(dbx_r_holder("dbx_monitor_refresh_iter", iter_finalize));
    dbx_monitor_refresh_iter *it = NULL;
    dbx_status st = dbx_monitor_refresh_list(&it, c, dbx_r_str(table));
    if (st != DBX_OK) {
        UNPROTECT(1);
        return dbx_r_failure(c, st);
    }
    R_SetExternalPtrAddr(h, it);
    dbx_r_acc acc;
    dbx_r_acc_init(&acc);
    const dbx_monitor_refresh *r = NULL;
    while ((st = dbx_monitor_refresh_iter_next(&r, it)) == DBX_OK)
        dbx_r_acc_push(&acc, dbx_r_json(dbx_monitor_refresh_json(r)));
    SEXP out = st == DBX_DONE ? dbx_r_acc_done(&acc) : dbx_r_failure(c, st);
    PROTECT(out);
    iter_finalize(h);
    UNPROTECT(3);
    return out;
}

/* ---- metric tables ------------------------------------------------------------------------- */

enum { K_TIME, K_STR, K_DBL, K_I64 };
typedef struct rcol {
    const char *name;
    int kind;
    size_t off;
} rcol;

#define D(f) offsetof(dbx_monitor_drift_row, f)
static const rcol drift_cols[] = {
    {"window_start", K_TIME, D(window_start_ms)},
    {"window_end", K_TIME, D(window_end_ms)},
    {"granularity", K_STR, D(granularity)},
    {"column_name", K_STR, D(column_name)},
    {"drift_type", K_STR, D(drift_type_str)},
    {"data_type", K_STR, D(data_type)},
    {"model_id", K_STR, D(model_id)},
    {"slice_key", K_STR, D(slice_key)},
    {"slice_value", K_STR, D(slice_value)},
    {"window_cmp_start", K_TIME, D(window_cmp_start_ms)},
    {"window_cmp_end", K_TIME, D(window_cmp_end_ms)},
    {"monitor_version", K_I64, D(monitor_version)},
    {"count_delta", K_DBL, D(count_delta)},
    {"avg_delta", K_DBL, D(avg_delta)},
    {"percent_null_delta", K_DBL, D(percent_null_delta)},
    {"percent_zeros_delta", K_DBL, D(percent_zeros_delta)},
    {"percent_distinct_delta", K_DBL, D(percent_distinct_delta)},
    {"population_stability_index", K_DBL, D(population_stability_index)},
    {"ks_test_statistic", K_DBL, D(ks_test_statistic)},
    {"ks_test_pvalue", K_DBL, D(ks_test_pvalue)},
    {"chi_squared_test_statistic", K_DBL, D(chi_squared_test_statistic)},
    {"chi_squared_test_pvalue", K_DBL, D(chi_squared_test_pvalue)},
    {"js_distance", K_DBL, D(js_distance)},
    {"wasserstein_distance", K_DBL, D(wasserstein_distance)},
    {"tv_distance", K_DBL, D(tv_distance)},
    {"l_infinity_distance", K_DBL, D(l_infinity_distance)},
};
#undef D

#define PR(f) offsetof(dbx_monitor_profile_row, f)
static const rcol profile_cols[] = {
    {"window_start", K_TIME, PR(window_start_ms)},
    {"window_end", K_TIME, PR(window_end_ms)},
    {"granularity", K_STR, PR(granularity)},
    {"column_name", K_STR, PR(column_name)},
    {"log_type", K_STR, PR(log_type)},
    {"data_type", K_STR, PR(data_type)},
    {"model_id", K_STR, PR(model_id)},
    {"slice_key", K_STR, PR(slice_key)},
    {"slice_value", K_STR, PR(slice_value)},
    {"monitor_version", K_I64, PR(monitor_version)},
    {"count", K_DBL, PR(count)},
    {"num_nulls", K_DBL, PR(num_nulls)},
    {"distinct_count", K_DBL, PR(distinct_count)},
    {"num_zeros", K_DBL, PR(num_zeros)},
    {"avg", K_DBL, PR(avg)},
    {"stddev", K_DBL, PR(stddev)},
    {"min", K_DBL, PR(min)},
    {"max", K_DBL, PR(max)},
    {"median", K_DBL, PR(median)},
    {"percent_null", K_DBL, PR(percent_null)},
    {"percent_distinct", K_DBL, PR(percent_distinct)},
    {"percent_zeros", K_DBL, PR(percent_zeros)},
    {"accuracy_score", K_DBL, PR(accuracy_score)},
    {"precision_macro", K_DBL, PR(precision_macro)},
    {"precision_weighted", K_DBL, PR(precision_weighted)},
    {"recall_macro", K_DBL, PR(recall_macro)},
    {"recall_weighted", K_DBL, PR(recall_weighted)},
    {"f1_score_macro", K_DBL, PR(f1_score_macro)},
    {"f1_score_weighted", K_DBL, PR(f1_score_weighted)},
    {"roc_auc_score", K_DBL, PR(roc_auc_score)},
    {"mean_squared_error", K_DBL, PR(mean_squared_error)},
    {"root_mean_squared_error", K_DBL, PR(root_mean_squared_error)},
    {"mean_absolute_error", K_DBL, PR(mean_absolute_error)},
    {"mean_absolute_percentage_error", K_DBL, PR(mean_absolute_percentage_error)},
    {"r2_score", K_DBL, PR(r2_score)},
};
#undef PR

/* A data.frame of n rows (row i at rows(i)) with the columns of `cols`: times as POSIXct
 * (UTC; NA when absent), strings as character (NA for NULL), numbers as double (NA for NULL). */
static SEXP frame(const rcol *cols, size_t ncols, size_t n, const void *set, const void *(*row)(const void *, size_t))
{
    SEXP df = PROTECT(Rf_allocVector(VECSXP, (R_xlen_t)ncols));
    SEXP nm = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)ncols));
    SEXP tcls = PROTECT(Rf_allocVector(STRSXP, 2));
    SET_STRING_ELT(tcls, 0, Rf_mkChar("POSIXct"));
    SET_STRING_ELT(tcls, 1, Rf_mkChar("POSIXt"));
    for (size_t j = 0; j < ncols; j++) {
        const rcol *f = &cols[j];
        SET_STRING_ELT(nm, (R_xlen_t)j, Rf_mkChar(f->name));
        SEXP v = Rf_allocVector(f->kind == K_STR ? STRSXP : REALSXP, (R_xlen_t)n);
        SET_VECTOR_ELT(df, (R_xlen_t)j, v);
        for (size_t i = 0; i < n; i++) {
            const char *base = row(set, i);
            if (f->kind == K_STR) {
                const char *s;
                memcpy(&s, base + f->off, sizeof s);
                SET_STRING_ELT(v, (R_xlen_t)i, s ? dbx_r_mkutf8(s) : NA_STRING);
            } else if (f->kind == K_DBL) {
                double d;
                memcpy(&d, base + f->off, sizeof d);
                REAL(v)[i] = isnan(d) ? NA_REAL : d;
            } else {
                int64_t t;
                memcpy(&t, base + f->off, sizeof t);
                REAL(v)[i] = f->kind == K_TIME ? (t == DBX_MONITOR_NO_TIME ? NA_REAL : (double)t / 1000.0) : (double)t;
            }
        }
        if (f->kind == K_TIME) {
            Rf_setAttrib(v, R_ClassSymbol, tcls);
            Rf_setAttrib(v, Rf_install("tzone"), Rf_mkString("UTC"));
        }
    }
    Rf_setAttrib(df, R_NamesSymbol, nm);
    SEXP rn = PROTECT(Rf_allocVector(INTSXP, 2));
    INTEGER(rn)[0] = NA_INTEGER;
    INTEGER(rn)[1] = -(int)n;
    Rf_setAttrib(df, R_RowNamesSymbol, rn);
    Rf_setAttrib(df, R_ClassSymbol, Rf_mkString("data.frame"));
    UNPROTECT(4);
    return df;
}

static const void *drift_row(const void *set, size_t i) { return dbx_monitor_drift_at(set, i); }
static const void *profile_row(const void *set, size_t i) { return dbx_monitor_profile_at(set, i); }

static void drift_finalize(SEXP h)
{
    dbx_monitor_drift *d = R_ExternalPtrAddr(h);
    if (d) {
        dbx_monitor_drift_free(d);
        R_ClearExternalPtr(h);
    }
}

static void profile_finalize(SEXP h)
{
    dbx_monitor_profile *p = R_ExternalPtrAddr(h);
    if (p) {
        dbx_monitor_profile_free(p);
        R_ClearExternalPtr(h);
    }
}

/* The read options from a named list (column, granularity, drift_type, since_ms, model_id,
 * slice_key, all_slices, log_type, max_rows); strings stay valid for the call. */
static void read_opts(dbx_monitor_read_options *o, SEXP l)
{
    dbx_monitor_read_options_init(o);
    o->column_name = lstr(l, "column");
    o->granularity = lstr(l, "granularity");
    const char *dt = lstr(l, "drift_type");
    o->drift_type = !dt ? DBX_MONITOR_DRIFT_ANY
                    : !strcmp(dt, "CONSECUTIVE") ? DBX_MONITOR_DRIFT_CONSECUTIVE
                    : !strcmp(dt, "BASELINE")    ? DBX_MONITOR_DRIFT_BASELINE
                                                 : (dbx_monitor_drift_type_t)99; /* refused by libdbx */
    o->since_ms = dbx_r_int64_or(lget(l, "since_ms"), 0);
    o->model_id = lstr(l, "model_id");
    o->slice_key = lstr(l, "slice_key");
    int set = 0;
    o->all_slices = lflag(l, "all_slices", &set);
    o->log_type = lstr(l, "log_type");
    o->max_rows = (long)dbx_r_int64_or(lget(l, "max_rows"), 0);
}

SEXP r_dbx_monitor_read(SEXP x, SEXP table, SEXP warehouse_id, SEXP opts, SEXP drift)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_monitor_read_options o;
    read_opts(&o, opts);
    const char *t = dbx_r_str(table), *wh = dbx_r_str(warehouse_id);
    int is_drift = Rf_asLogical(drift) == 1;
    SEXP h = PROTECT(dbx_r_holder(is_drift ? "dbx_monitor_drift" : "dbx_monitor_profile",
                                  is_drift ? drift_finalize : profile_finalize));
    dbx_status st;
    SEXP out;
    if (is_drift) {
        dbx_monitor_drift *d = NULL;
        st = dbx_monitor_drift_read(&d, c, t, wh, &o);
        R_SetExternalPtrAddr(h, d);
        out = st != DBX_OK ? dbx_r_failure(c, st)
                           : frame(drift_cols, sizeof drift_cols / sizeof *drift_cols, dbx_monitor_drift_count(d), d,
                                   drift_row);
        PROTECT(out);
        drift_finalize(h);
    } else {
        dbx_monitor_profile *p = NULL;
        st = dbx_monitor_profile_read(&p, c, t, wh, &o);
        R_SetExternalPtrAddr(h, p);
        out = st != DBX_OK ? dbx_r_failure(c, st)
                           : frame(profile_cols, sizeof profile_cols / sizeof *profile_cols,
                                   dbx_monitor_profile_count(p), p, profile_row);
        PROTECT(out);
        profile_finalize(h);
    }
    UNPROTECT(2);
    return out;
}

/* Enum spellings and the granularity check. kind: 0 status, 1 refresh state, 2 problem
 * type, 3 profile type, 4 drift type. */
SEXP r_dbx_monitor_enum_name(SEXP kind, SEXP value)
{
    int v = Rf_asInteger(value);
    const char *s;
    switch (Rf_asInteger(kind)) {
    case 0: s = dbx_monitor_status_name((dbx_monitor_status_t)v); break;
    case 1: s = dbx_monitor_refresh_state_name((dbx_monitor_refresh_state_t)v); break;
    case 2: s = dbx_monitor_problem_type_name((dbx_monitor_problem_type_t)v); break;
    case 3: s = dbx_monitor_profile_type_name((dbx_monitor_profile_type_t)v); break;
    default: s = dbx_monitor_drift_type_name((dbx_monitor_drift_type_t)v); break;
    }
    return Rf_ScalarString(dbx_r_mkutf8(s));
}

SEXP r_dbx_monitor_granularity_valid(SEXP g)
{
    R_xlen_t n = TYPEOF(g) == STRSXP ? XLENGTH(g) : 0;
    SEXP out = PROTECT(Rf_allocVector(LGLSXP, n));
    for (R_xlen_t i = 0; i < n; i++)
        LOGICAL(out)[i] = dbx_monitor_granularity_valid(nth_str(g, i));
    UNPROTECT(1);
    return out;
}

const R_CallMethodDef dbx_r_calls_monitors[] = {
    {"r_dbx_monitor_put", (DL_FUNC)&r_dbx_monitor_put, 4},
    {"r_dbx_monitor_spec_json", (DL_FUNC)&r_dbx_monitor_spec_json, 1},
    {"r_dbx_monitor_get", (DL_FUNC)&r_dbx_monitor_get, 2},
    {"r_dbx_monitor_delete", (DL_FUNC)&r_dbx_monitor_delete, 2},
    {"r_dbx_monitor_regenerate_dashboard", (DL_FUNC)&r_dbx_monitor_regenerate_dashboard, 3},
    {"r_dbx_monitor_wait_active", (DL_FUNC)&r_dbx_monitor_wait_active, 5},
    {"r_dbx_monitor_refresh_run", (DL_FUNC)&r_dbx_monitor_refresh_run, 2},
    {"r_dbx_monitor_refresh_get", (DL_FUNC)&r_dbx_monitor_refresh_get, 3},
    {"r_dbx_monitor_refresh_cancel", (DL_FUNC)&r_dbx_monitor_refresh_cancel, 3},
    {"r_dbx_monitor_refresh_wait", (DL_FUNC)&r_dbx_monitor_refresh_wait, 6},
    {"r_dbx_monitor_refresh_list", (DL_FUNC)&r_dbx_monitor_refresh_list, 2},
    {"r_dbx_monitor_read", (DL_FUNC)&r_dbx_monitor_read, 5},
    {"r_dbx_monitor_enum_name", (DL_FUNC)&r_dbx_monitor_enum_name, 2},
    {"r_dbx_monitor_granularity_valid", (DL_FUNC)&r_dbx_monitor_granularity_valid, 1},
    {NULL, NULL, 0}};
