/*
 * R glue: MLflow tracking (see dbx_r.h and include/dbx/mlflow.h).
 *
 * Owned C results (experiments, runs) are converted to R lists through their
 * accessors and freed at once. Iterators and the download buffer live in
 * external pointers with finalisers while R allocates, so an R allocation
 * error never leaks them. The logger is a long-lived external pointer whose
 * protected field keeps the client's external pointer alive.
 *
 * Transfers have no R callbacks (the C API takes none for artifacts); the
 * memory source and sink check for Ctrl-C (through R_ToplevelExec, never
 * unwinding through libdbx) and the answer is the wait-style list of
 * dbx_r_wait_answer.
 */
#include <R_ext/Utils.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dbx_r.h"

/* ---- small helpers ---------------------------------------------------------------------- */


static double num_or_na(int64_t v) { return v ? (double)v : NA_REAL; }

static const char *elt_or_null(SEXP v, R_xlen_t i)
{
    if (!Rf_isString(v) || i >= XLENGTH(v) || STRING_ELT(v, i) == NA_STRING)
        return NULL;
    return Rf_translateCharUTF8(STRING_ELT(v, i));
}

/* Parallel character vectors keys/values as a dbx_mlflow_tag array (R_alloc'ed: freed by R
 * at the end of the .Call). NULL with *n 0 when empty; -1 in *n when the lengths differ. */
static dbx_mlflow_tag *tags_of(SEXP keys, SEXP values, size_t *n)
{
    *n = 0;
    if (Rf_isNull(keys) || XLENGTH(keys) == 0)
        return NULL;
    if (!Rf_isString(keys) || !Rf_isString(values) || XLENGTH(keys) != XLENGTH(values)) {
        *n = (size_t)-1;
        return NULL;
    }
    R_xlen_t k = XLENGTH(keys);
    dbx_mlflow_tag *t = (dbx_mlflow_tag *)R_alloc((size_t)k, sizeof *t);
    for (R_xlen_t i = 0; i < k; i++) {
        t[i].key = elt_or_null(keys, i);
        t[i].value = elt_or_null(values, i);
    }
    *n = (size_t)k;
    return t;
}

/* list(<kname> = chr, <vname> = chr) of n pairs read with accessor wrappers. */
typedef const char *(*pair_fn)(const void *, size_t);
static SEXP pairs_list(const void *obj, size_t n, pair_fn key, pair_fn value, const char *kname,
                       const char *vname)
{
    const char *names[] = {kname, vname, ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SEXP k = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n));
    SEXP v = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n));
    for (size_t i = 0; i < n; i++) {
        SET_STRING_ELT(k, (R_xlen_t)i, dbx_r_mkutf8(key(obj, i)));
        SET_STRING_ELT(v, (R_xlen_t)i, dbx_r_mkutf8(value(obj, i)));
    }
    SET_VECTOR_ELT(out, 0, k);
    SET_VECTOR_ELT(out, 1, v);
    UNPROTECT(3);
    return out;
}

static const char *exp_tag_key(const void *o, size_t i) { return dbx_mlflow_experiment_tag_key(o, i); }
static const char *exp_tag_value(const void *o, size_t i) { return dbx_mlflow_experiment_tag_value(o, i); }
static const char *run_param_key(const void *o, size_t i) { return dbx_mlflow_run_param_key(o, i); }
static const char *run_param_value(const void *o, size_t i) { return dbx_mlflow_run_param_value(o, i); }
static const char *run_tag_key(const void *o, size_t i) { return dbx_mlflow_run_tag_key(o, i); }
static const char *run_tag_value(const void *o, size_t i) { return dbx_mlflow_run_tag_value(o, i); }
static const char *run_ds_name(const void *o, size_t i) { return dbx_mlflow_run_dataset_name(o, i); }
static const char *run_ds_digest(const void *o, size_t i) { return dbx_mlflow_run_dataset_digest(o, i); }

static SEXP str1(const char *s) { return Rf_ScalarString(dbx_r_mkutf8(s)); }

/* ---- experiments ----------------------------------------------------------------------- */

static SEXP experiment_to_r(const dbx_mlflow_experiment *e)
{
    const char *names[] = {"experiment_id", "name", "artifact_location", "lifecycle_stage",
                           "creation_time", "last_update_time", "tags", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, str1(dbx_mlflow_experiment_id(e)));
    SET_VECTOR_ELT(out, 1, str1(dbx_mlflow_experiment_name(e)));
    SET_VECTOR_ELT(out, 2, str1(dbx_mlflow_experiment_artifact_location(e)));
    SET_VECTOR_ELT(out, 3, str1(dbx_mlflow_experiment_lifecycle_stage(e)));
    SET_VECTOR_ELT(out, 4, Rf_ScalarReal(num_or_na(dbx_mlflow_experiment_creation_time(e))));
    SET_VECTOR_ELT(out, 5, Rf_ScalarReal(num_or_na(dbx_mlflow_experiment_last_update_time(e))));
    SET_VECTOR_ELT(out, 6, pairs_list(e, dbx_mlflow_experiment_tag_count(e), exp_tag_key, exp_tag_value,
                                      "key", "value"));
    UNPROTECT(1);
    return out;
}

SEXP r_dbx_mlflow_experiment_create(SEXP x, SEXP name, SEXP artifact_location, SEXP tag_keys, SEXP tag_values)
{
    DBX_R_NEED_CLIENT(c, x);
    size_t n;
    dbx_mlflow_tag *t = tags_of(tag_keys, tag_values, &n);
    if (n == (size_t)-1)
        return dbx_r_failure(NULL, DBX_EINVAL);
    char *id = NULL;
    dbx_status st = dbx_mlflow_experiment_create(&id, c, dbx_r_str(name), dbx_r_str(artifact_location), t, n);
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    SEXP out = str1(id);
    dbx_free(id);
    return out;
}

static void experiment_finalize(SEXP h)
{
    dbx_mlflow_experiment_free(R_ExternalPtrAddr(h));
    R_ClearExternalPtr(h);
}

SEXP r_dbx_mlflow_experiment_get(SEXP x, SEXP id, SEXP name)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_mlflow_experiment *e = NULL;
    dbx_status st = Rf_isNull(id) ? dbx_mlflow_experiment_get_by_name(&e, c, dbx_r_str(name))
                                  : dbx_mlflow_experiment_get(&e, c, dbx_r_str(id));
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    SEXP h = PROTECT(dbx_r_holder("dbx_mlflow_experiment", experiment_finalize));
    R_SetExternalPtrAddr(h, e);
    SEXP out = experiment_to_r(e);
    experiment_finalize(h);
    UNPROTECT(1);
    return out;
}

/* update (a = new name), delete, restore, set_tag (a = key, b = value), delete_tag (a = key) */
SEXP r_dbx_mlflow_experiment_action(SEXP x, SEXP action, SEXP id, SEXP a, SEXP b)
{
    DBX_R_NEED_CLIENT(c, x);
    const char *act = dbx_r_str(action), *eid = dbx_r_str(id);
    dbx_status st;
    if (!act)
        return dbx_r_failure(NULL, DBX_EINVAL);
    if (!strcmp(act, "update"))
        st = dbx_mlflow_experiment_update(c, eid, dbx_r_str(a));
    else if (!strcmp(act, "delete"))
        st = dbx_mlflow_experiment_delete(c, eid);
    else if (!strcmp(act, "restore"))
        st = dbx_mlflow_experiment_restore(c, eid);
    else if (!strcmp(act, "set_tag"))
        st = dbx_mlflow_experiment_set_tag(c, eid, dbx_r_str(a), dbx_r_str(b));
    else if (!strcmp(act, "delete_tag"))
        st = dbx_mlflow_experiment_delete_tag(c, eid, dbx_r_str(a));
    else
        return dbx_r_failure(NULL, DBX_EINVAL);
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

/* search options from R; order_by is R_alloc'ed. Returns 0 on a bad view type. */
static int search_opts(dbx_mlflow_search_options *o, SEXP filter, SEXP order_by, SEXP view, SEXP page_size,
                       SEXP max_items)
{
    dbx_mlflow_search_options d = DBX_MLFLOW_SEARCH_OPTIONS_INIT;
    *o = d;
    o->filter = dbx_r_str(filter);
    if (Rf_isString(order_by) && XLENGTH(order_by) > 0) {
        R_xlen_t k = XLENGTH(order_by);
        const char **ob = (const char **)R_alloc((size_t)k + 1, sizeof *ob);
        for (R_xlen_t i = 0; i < k; i++)
            ob[i] = elt_or_null(order_by, i);
        ob[k] = NULL;
        o->order_by = ob;
    }
    const char *v = dbx_r_str(view);
    if (v) {
        if (!strcmp(v, "ACTIVE_ONLY"))
            o->view_type = DBX_MLFLOW_VIEW_ACTIVE_ONLY;
        else if (!strcmp(v, "DELETED_ONLY"))
            o->view_type = DBX_MLFLOW_VIEW_DELETED_ONLY;
        else if (!strcmp(v, "ALL"))
            o->view_type = DBX_MLFLOW_VIEW_ALL;
        else
            return 0;
    }
    o->page_size = Rf_isNull(page_size) ? 0 : Rf_asInteger(page_size);
    o->max_items = Rf_isNull(max_items) ? 0 : (long)Rf_asReal(max_items);
    return 1;
}

/* A growing protected list of converted items. */
static void experiments_iter_finalize(SEXP h)
{
    dbx_mlflow_experiments_iter_free(R_ExternalPtrAddr(h));
    R_ClearExternalPtr(h);
}

SEXP r_dbx_mlflow_experiments_search(SEXP x, SEXP filter, SEXP order_by, SEXP view, SEXP page_size,
                                     SEXP max_items)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_mlflow_search_options o;
    if (!search_opts(&o, filter, order_by, view, page_size, max_items))
        return dbx_r_failure(NULL, DBX_EINVAL);
    SEXP h = PROTECT(dbx_r_holder("dbx_mlflow_experiments_iter", experiments_iter_finalize));
    dbx_mlflow_experiments_iter *it = NULL;
    dbx_status st = dbx_mlflow_experiments_search(&it, c, &o);
    if (st != DBX_OK) {
        UNPROTECT(1);
        return dbx_r_failure(c, st);
    }
    R_SetExternalPtrAddr(h, it);
    dbx_r_acc a;
    dbx_r_acc_init(&a);
    const dbx_mlflow_experiment *e;
    while ((st = dbx_mlflow_experiments_iter_next(&e, it)) == DBX_OK)
        dbx_r_acc_push(&a, experiment_to_r(e));
    SEXP out = st == DBX_DONE ? dbx_r_acc_done(&a) : dbx_r_failure(c, st);
    PROTECT(out);
    experiments_iter_finalize(h);
    UNPROTECT(3);
    return out;
}

/* ---- runs ------------------------------------------------------------------------------- */

static SEXP run_to_r(const dbx_mlflow_run *r)
{
    const char *names[] = {"run_id", "run_name", "experiment_id", "user_id", "status", "start_time",
                           "end_time", "artifact_uri", "lifecycle_stage", "metrics", "params", "tags",
                           "datasets", "inputs_json", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, str1(dbx_mlflow_run_id(r)));
    SET_VECTOR_ELT(out, 1, str1(dbx_mlflow_run_name(r)));
    SET_VECTOR_ELT(out, 2, str1(dbx_mlflow_run_experiment_id(r)));
    SET_VECTOR_ELT(out, 3, str1(dbx_mlflow_run_user_id(r)));
    /* the raw text (a status this library does not know stays visible); the enum is the same
     * for the known ones */
    const char *status = dbx_mlflow_run_status(r) == DBX_MLFLOW_RUN_STATUS_UNKNOWN
                             ? dbx_mlflow_run_status_str(r)
                             : dbx_mlflow_run_status_name(dbx_mlflow_run_status(r));
    SET_VECTOR_ELT(out, 4, str1(status));
    SET_VECTOR_ELT(out, 5, Rf_ScalarReal(num_or_na(dbx_mlflow_run_start_time(r))));
    SET_VECTOR_ELT(out, 6, Rf_ScalarReal(num_or_na(dbx_mlflow_run_end_time(r))));
    SET_VECTOR_ELT(out, 7, str1(dbx_mlflow_run_artifact_uri(r)));
    SET_VECTOR_ELT(out, 8, str1(dbx_mlflow_run_lifecycle_stage(r)));
    /* metrics: list(key, value, timestamp, step) */
    size_t nm = dbx_mlflow_run_metric_count(r);
    const char *mnames[] = {"key", "value", "timestamp", "step", ""};
    SEXP m = PROTECT(Rf_mkNamed(VECSXP, mnames));
    SET_VECTOR_ELT(m, 0, Rf_allocVector(STRSXP, (R_xlen_t)nm));
    SET_VECTOR_ELT(m, 1, Rf_allocVector(REALSXP, (R_xlen_t)nm));
    SET_VECTOR_ELT(m, 2, Rf_allocVector(REALSXP, (R_xlen_t)nm));
    SET_VECTOR_ELT(m, 3, Rf_allocVector(REALSXP, (R_xlen_t)nm));
    for (size_t i = 0; i < nm; i++) {
        SET_STRING_ELT(VECTOR_ELT(m, 0), (R_xlen_t)i, dbx_r_mkutf8(dbx_mlflow_run_metric_key(r, i)));
        REAL(VECTOR_ELT(m, 1))[i] = dbx_mlflow_run_metric_value(r, i);
        REAL(VECTOR_ELT(m, 2))[i] = (double)dbx_mlflow_run_metric_timestamp(r, i);
        REAL(VECTOR_ELT(m, 3))[i] = (double)dbx_mlflow_run_metric_step(r, i);
    }
    SET_VECTOR_ELT(out, 9, m);
    UNPROTECT(1);
    SET_VECTOR_ELT(out, 10, pairs_list(r, dbx_mlflow_run_param_count(r), run_param_key, run_param_value,
                                       "key", "value"));
    SET_VECTOR_ELT(out, 11, pairs_list(r, dbx_mlflow_run_tag_count(r), run_tag_key, run_tag_value,
                                       "key", "value"));
    SET_VECTOR_ELT(out, 12, pairs_list(r, dbx_mlflow_run_dataset_count(r), run_ds_name, run_ds_digest,
                                       "name", "digest"));
    SET_VECTOR_ELT(out, 13, str1(dbx_mlflow_run_inputs_json(r)));
    UNPROTECT(1);
    return out;
}

static void run_finalize(SEXP h)
{
    dbx_mlflow_run_free(R_ExternalPtrAddr(h));
    R_ClearExternalPtr(h);
}

static SEXP take_run(dbx_mlflow_run *r)
{
    SEXP h = PROTECT(dbx_r_holder("dbx_mlflow_run", run_finalize));
    R_SetExternalPtrAddr(h, r);
    SEXP out = run_to_r(r);
    run_finalize(h);
    UNPROTECT(1);
    return out;
}

SEXP r_dbx_mlflow_run_create(SEXP x, SEXP experiment_id, SEXP run_name, SEXP start_time, SEXP tag_keys,
                             SEXP tag_values)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_mlflow_run_create_options o = DBX_MLFLOW_RUN_CREATE_OPTIONS_INIT;
    o.run_name = dbx_r_str(run_name);
    o.start_time = dbx_r_int64_or(start_time, 0);
    o.tags = tags_of(tag_keys, tag_values, &o.n_tags);
    if (o.n_tags == (size_t)-1)
        return dbx_r_failure(NULL, DBX_EINVAL);
    dbx_mlflow_run *r = NULL;
    dbx_status st = dbx_mlflow_run_create(&r, c, dbx_r_str(experiment_id), &o);
    return st == DBX_OK ? take_run(r) : dbx_r_failure(c, st);
}

SEXP r_dbx_mlflow_run_get(SEXP x, SEXP run_id)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_mlflow_run *r = NULL;
    dbx_status st = dbx_mlflow_run_get(&r, c, dbx_r_str(run_id));
    return st == DBX_OK ? take_run(r) : dbx_r_failure(c, st);
}

SEXP r_dbx_mlflow_run_update(SEXP x, SEXP run_id, SEXP status, SEXP end_time, SEXP run_name)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_mlflow_run_status_t s = DBX_MLFLOW_RUN_STATUS_UNKNOWN;
    const char *sn = dbx_r_str(status);
    if (sn) {
        int k;
        for (k = 1; k <= 5; k++)
            if (!strcmp(sn, dbx_mlflow_run_status_name((dbx_mlflow_run_status_t)k)))
                break;
        if (k > 5)
            return dbx_r_failure(NULL, DBX_EINVAL);
        s = (dbx_mlflow_run_status_t)k;
    }
    dbx_status st = dbx_mlflow_run_update(c, dbx_r_str(run_id), s, dbx_r_int64_or(end_time, 0), dbx_r_str(run_name));
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

/* delete, restore, set_tag (key, value), delete_tag (key), log_param (key, value) */
SEXP r_dbx_mlflow_run_action(SEXP x, SEXP action, SEXP run_id, SEXP key, SEXP value)
{
    DBX_R_NEED_CLIENT(c, x);
    const char *act = dbx_r_str(action), *rid = dbx_r_str(run_id);
    dbx_status st;
    if (!act)
        return dbx_r_failure(NULL, DBX_EINVAL);
    if (!strcmp(act, "delete"))
        st = dbx_mlflow_run_delete(c, rid);
    else if (!strcmp(act, "restore"))
        st = dbx_mlflow_run_restore(c, rid);
    else if (!strcmp(act, "set_tag"))
        st = dbx_mlflow_run_set_tag(c, rid, dbx_r_str(key), dbx_r_str(value));
    else if (!strcmp(act, "delete_tag"))
        st = dbx_mlflow_run_delete_tag(c, rid, dbx_r_str(key));
    else if (!strcmp(act, "log_param"))
        st = dbx_mlflow_run_log_param(c, rid, dbx_r_str(key), dbx_r_str(value));
    else
        return dbx_r_failure(NULL, DBX_EINVAL);
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

SEXP r_dbx_mlflow_log_metric(SEXP x, SEXP run_id, SEXP key, SEXP value, SEXP timestamp, SEXP step)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_status st = dbx_mlflow_run_log_metric(c, dbx_r_str(run_id), dbx_r_str(key), Rf_asReal(value),
                                              dbx_r_int64_or(timestamp, 0), dbx_r_int64_or(step, 0));
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

/* metrics as parallel vectors (keys chr, values/timestamps/steps double); params and tags as
 * parallel character vectors */
SEXP r_dbx_mlflow_log_batch(SEXP x, SEXP run_id, SEXP m_keys, SEXP m_values, SEXP m_ts, SEXP m_steps,
                            SEXP p_keys, SEXP p_values, SEXP t_keys, SEXP t_values)
{
    DBX_R_NEED_CLIENT(c, x);
    size_t nm = Rf_isNull(m_keys) ? 0 : (size_t)XLENGTH(m_keys);
    dbx_mlflow_metric_point *m = NULL;
    if (nm) {
        if (!Rf_isString(m_keys) || TYPEOF(m_values) != REALSXP || TYPEOF(m_ts) != REALSXP ||
            TYPEOF(m_steps) != REALSXP || (size_t)XLENGTH(m_values) != nm || (size_t)XLENGTH(m_ts) != nm ||
            (size_t)XLENGTH(m_steps) != nm)
            return dbx_r_failure(NULL, DBX_EINVAL);
        m = (dbx_mlflow_metric_point *)R_alloc(nm, sizeof *m);
        for (size_t i = 0; i < nm; i++) {
            m[i].key = elt_or_null(m_keys, (R_xlen_t)i);
            m[i].value = REAL(m_values)[i];
            double ts = REAL(m_ts)[i], sp = REAL(m_steps)[i];
            m[i].timestamp = ISNAN(ts) ? -1 : (int64_t)ts; /* NA: refused by libdbx (>= 0) */
            m[i].step = ISNAN(sp) ? 0 : (int64_t)sp;
        }
    }
    size_t np, nt;
    dbx_mlflow_tag *p = tags_of(p_keys, p_values, &np);
    dbx_mlflow_tag *t = tags_of(t_keys, t_values, &nt);
    if (np == (size_t)-1 || nt == (size_t)-1)
        return dbx_r_failure(NULL, DBX_EINVAL);
    dbx_status st = dbx_mlflow_run_log_batch(c, dbx_r_str(run_id), m, nm, p, np, t, nt);
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

/* datasets: a list of lists(name, digest, source_type, source, schema, profile, tag_keys,
 * tag_values) (R/mlflow.R builds them) */
SEXP r_dbx_mlflow_log_inputs(SEXP x, SEXP run_id, SEXP datasets)
{
    DBX_R_NEED_CLIENT(c, x);
    if (TYPEOF(datasets) != VECSXP)
        return dbx_r_failure(NULL, DBX_EINVAL);
    size_t n = (size_t)XLENGTH(datasets);
    dbx_mlflow_dataset_input *d = n ? (dbx_mlflow_dataset_input *)R_alloc(n, sizeof *d) : NULL;
    for (size_t i = 0; i < n; i++) {
        SEXP e = VECTOR_ELT(datasets, (R_xlen_t)i);
        if (TYPEOF(e) != VECSXP || XLENGTH(e) != 8)
            return dbx_r_failure(NULL, DBX_EINVAL);
        d[i].name = dbx_r_str(VECTOR_ELT(e, 0));
        d[i].digest = dbx_r_str(VECTOR_ELT(e, 1));
        d[i].source_type = dbx_r_str(VECTOR_ELT(e, 2));
        d[i].source = dbx_r_str(VECTOR_ELT(e, 3));
        d[i].schema = dbx_r_str(VECTOR_ELT(e, 4));
        d[i].profile = dbx_r_str(VECTOR_ELT(e, 5));
        d[i].tags = tags_of(VECTOR_ELT(e, 6), VECTOR_ELT(e, 7), &d[i].n_tags);
        if (d[i].n_tags == (size_t)-1)
            return dbx_r_failure(NULL, DBX_EINVAL);
    }
    dbx_status st = dbx_mlflow_run_log_inputs(c, dbx_r_str(run_id), d, n);
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

static void runs_iter_finalize(SEXP h)
{
    dbx_mlflow_runs_iter_free(R_ExternalPtrAddr(h));
    R_ClearExternalPtr(h);
}

SEXP r_dbx_mlflow_runs_search(SEXP x, SEXP experiment_ids, SEXP filter, SEXP order_by, SEXP view,
                              SEXP page_size, SEXP max_items)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_mlflow_search_options o;
    if (!search_opts(&o, filter, order_by, view, page_size, max_items))
        return dbx_r_failure(NULL, DBX_EINVAL);
    R_xlen_t k = Rf_isString(experiment_ids) ? XLENGTH(experiment_ids) : 0;
    const char **ids = (const char **)R_alloc((size_t)k + 1, sizeof *ids);
    for (R_xlen_t i = 0; i < k; i++)
        ids[i] = elt_or_null(experiment_ids, i);
    ids[k] = NULL;
    SEXP h = PROTECT(dbx_r_holder("dbx_mlflow_runs_iter", runs_iter_finalize));
    dbx_mlflow_runs_iter *it = NULL;
    dbx_status st = dbx_mlflow_runs_search(&it, c, ids, &o);
    if (st != DBX_OK) {
        UNPROTECT(1);
        return dbx_r_failure(c, st);
    }
    R_SetExternalPtrAddr(h, it);
    dbx_r_acc a;
    dbx_r_acc_init(&a);
    const dbx_mlflow_run *r;
    while ((st = dbx_mlflow_runs_iter_next(&r, it)) == DBX_OK)
        dbx_r_acc_push(&a, run_to_r(r));
    SEXP out = st == DBX_DONE ? dbx_r_acc_done(&a) : dbx_r_failure(c, st);
    PROTECT(out);
    runs_iter_finalize(h);
    UNPROTECT(3);
    return out;
}

/* ---- metric history -------------------------------------------------------------------- */

static void metrics_iter_finalize(SEXP h)
{
    dbx_mlflow_metrics_iter_free(R_ExternalPtrAddr(h));
    R_ClearExternalPtr(h);
}

/* list(key, value, timestamp, step) columns */
SEXP r_dbx_mlflow_metric_history(SEXP x, SEXP run_id, SEXP key, SEXP page_size, SEXP max_items)
{
    DBX_R_NEED_CLIENT(c, x);
    SEXP h = PROTECT(dbx_r_holder("dbx_mlflow_metrics_iter", metrics_iter_finalize));
    dbx_mlflow_metrics_iter *it = NULL;
    dbx_status st = dbx_mlflow_metric_history(&it, c, dbx_r_str(run_id), dbx_r_str(key),
                                              Rf_isNull(page_size) ? 0 : Rf_asInteger(page_size),
                                              Rf_isNull(max_items) ? 0 : (long)Rf_asReal(max_items));
    if (st != DBX_OK) {
        UNPROTECT(1);
        return dbx_r_failure(c, st);
    }
    R_SetExternalPtrAddr(h, it);
    R_xlen_t n = 0, cap = 64;
    PROTECT_INDEX pk, pv, pt, ps;
    SEXP k, v, t, s;
    PROTECT_WITH_INDEX(k = Rf_allocVector(STRSXP, cap), &pk);
    PROTECT_WITH_INDEX(v = Rf_allocVector(REALSXP, cap), &pv);
    PROTECT_WITH_INDEX(t = Rf_allocVector(REALSXP, cap), &pt);
    PROTECT_WITH_INDEX(s = Rf_allocVector(REALSXP, cap), &ps);
    const dbx_mlflow_metric *m;
    while ((st = dbx_mlflow_metrics_iter_next(&m, it)) == DBX_OK) {
        if (n == cap) {
            cap *= 2;
            REPROTECT(k = Rf_lengthgets(k, cap), pk);
            REPROTECT(v = Rf_lengthgets(v, cap), pv);
            REPROTECT(t = Rf_lengthgets(t, cap), pt);
            REPROTECT(s = Rf_lengthgets(s, cap), ps);
        }
        SET_STRING_ELT(k, n, dbx_r_mkutf8(dbx_mlflow_metric_key(m)));
        REAL(v)[n] = dbx_mlflow_metric_value(m);
        REAL(t)[n] = (double)dbx_mlflow_metric_timestamp(m);
        REAL(s)[n] = (double)dbx_mlflow_metric_step(m);
        n++;
    }
    SEXP out;
    if (st == DBX_DONE) {
        const char *names[] = {"key", "value", "timestamp", "step", ""};
        out = PROTECT(Rf_mkNamed(VECSXP, names));
        SET_VECTOR_ELT(out, 0, Rf_lengthgets(k, n));
        SET_VECTOR_ELT(out, 1, Rf_lengthgets(v, n));
        SET_VECTOR_ELT(out, 2, Rf_lengthgets(t, n));
        SET_VECTOR_ELT(out, 3, Rf_lengthgets(s, n));
    } else {
        out = PROTECT(dbx_r_failure(c, st));
    }
    metrics_iter_finalize(h);
    UNPROTECT(6);
    return out;
}

/* ---- the logger ------------------------------------------------------------------------ */

static void logger_finalize(SEXP h)
{
    dbx_mlflow_logger_free(R_ExternalPtrAddr(h)); /* without flushing: R/mlflow.R flushes */
    R_ClearExternalPtr(h);
}

/* An external pointer to the logger; its protected field is the client's external pointer
 * (kept alive while the logger is, and used for the error record). */
SEXP r_dbx_mlflow_logger_new(SEXP x, SEXP run_id, SEXP auto_flush)
{
    DBX_R_NEED_CLIENT(c, x);
    SEXP h = PROTECT(R_MakeExternalPtr(NULL, Rf_install("dbx_mlflow_logger"), x));
    R_RegisterCFinalizerEx(h, logger_finalize, TRUE);
    dbx_mlflow_logger_options o = DBX_MLFLOW_LOGGER_OPTIONS_INIT;
    o.auto_flush = Rf_asLogical(auto_flush) == 1;
    dbx_mlflow_logger *lg = NULL;
    dbx_status st = dbx_mlflow_logger_new(&lg, c, dbx_r_str(run_id), &o);
    UNPROTECT(1);
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    R_SetExternalPtrAddr(h, lg);
    return h;
}

static dbx_mlflow_logger *logger_of(SEXP h, dbx_client **c)
{
    *c = NULL;
    if (TYPEOF(h) != EXTPTRSXP)
        return NULL;
    *c = dbx_r_client(R_ExternalPtrProtected(h));
    return R_ExternalPtrAddr(h);
}

/* kind "metric": keys, values (double), timestamps, steps (recycled to the keys' length);
 * "param" / "tag": keys, values (character). Stops at the first failure. */
SEXP r_dbx_mlflow_logger_add(SEXP h, SEXP kind, SEXP keys, SEXP values, SEXP timestamps, SEXP steps)
{
    dbx_client *c;
    dbx_mlflow_logger *lg = logger_of(h, &c);
    const char *k = dbx_r_str(kind);
    if (!lg || !k || !Rf_isString(keys))
        return dbx_r_failure(NULL, DBX_EINVAL);
    int metric = !strcmp(k, "metric"), param = !strcmp(k, "param");
    /* every vector is recycled to the longest; an empty one adds nothing */
    R_xlen_t n = XLENGTH(keys);
    if (metric) {
        if (TYPEOF(values) != REALSXP || TYPEOF(timestamps) != REALSXP || TYPEOF(steps) != REALSXP)
            return dbx_r_failure(NULL, DBX_EINVAL);
        if (!n || !XLENGTH(values) || !XLENGTH(timestamps) || !XLENGTH(steps))
            return Rf_ScalarLogical(1);
        if (XLENGTH(values) > n)
            n = XLENGTH(values);
        if (XLENGTH(timestamps) > n)
            n = XLENGTH(timestamps);
        if (XLENGTH(steps) > n)
            n = XLENGTH(steps);
    } else {
        if (!Rf_isString(values))
            return dbx_r_failure(NULL, DBX_EINVAL);
        if (!n || !XLENGTH(values))
            return Rf_ScalarLogical(1);
        if (XLENGTH(values) > n)
            n = XLENGTH(values);
    }
    for (R_xlen_t i = 0; i < n; i++) {
        const char *key = elt_or_null(keys, i % XLENGTH(keys));
        dbx_status st;
        if (metric) {
            double ts = REAL(timestamps)[i % XLENGTH(timestamps)], sp = REAL(steps)[i % XLENGTH(steps)];
            st = dbx_mlflow_logger_add_metric(lg, key, REAL(values)[i % XLENGTH(values)],
                                              ISNAN(ts) ? -1 : (int64_t)ts, ISNAN(sp) ? 0 : (int64_t)sp);
        } else if (param) {
            st = dbx_mlflow_logger_add_param(lg, key, elt_or_null(values, i % XLENGTH(values)));
        } else {
            st = dbx_mlflow_logger_add_tag(lg, key, elt_or_null(values, i % XLENGTH(values)));
        }
        if (st != DBX_OK)
            return dbx_r_failure(c, st);
    }
    return Rf_ScalarLogical(1);
}

SEXP r_dbx_mlflow_logger_flush(SEXP h)
{
    dbx_client *c;
    dbx_mlflow_logger *lg = logger_of(h, &c);
    if (!lg)
        return dbx_r_failure(NULL, DBX_EINVAL);
    dbx_status st = dbx_mlflow_logger_flush(lg);
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

/* list(pending, requests, failed, first, count); NULL for a closed logger */
SEXP r_dbx_mlflow_logger_info(SEXP h)
{
    dbx_client *c;
    dbx_mlflow_logger *lg = logger_of(h, &c);
    if (!lg)
        return R_NilValue;
    size_t first = 0, count = 0;
    dbx_status st = dbx_mlflow_logger_last_failure(lg, &first, &count);
    const char *names[] = {"pending", "requests", "failed", "first", "count", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, Rf_ScalarReal((double)dbx_mlflow_logger_pending(lg)));
    SET_VECTOR_ELT(out, 1, Rf_ScalarReal((double)dbx_mlflow_logger_requests(lg)));
    SET_VECTOR_ELT(out, 2, st == DBX_OK ? Rf_ScalarString(NA_STRING) : Rf_mkString(dbx_status_name(st)));
    SET_VECTOR_ELT(out, 3, Rf_ScalarReal(st == DBX_OK ? NA_REAL : (double)first));
    SET_VECTOR_ELT(out, 4, Rf_ScalarReal(st == DBX_OK ? NA_REAL : (double)count));
    UNPROTECT(1);
    return out;
}

SEXP r_dbx_mlflow_logger_free(SEXP h)
{
    if (TYPEOF(h) == EXTPTRSXP)
        logger_finalize(h);
    return R_NilValue;
}

/* ---- artifacts ------------------------------------------------------------------------- */

static void artifacts_iter_finalize(SEXP h)
{
    dbx_mlflow_artifacts_iter_free(R_ExternalPtrAddr(h));
    R_ClearExternalPtr(h);
}

/* list(path chr, is_dir lgl, file_size dbl (NA for directories)) */
SEXP r_dbx_mlflow_artifacts_list(SEXP x, SEXP run_id, SEXP path)
{
    DBX_R_NEED_CLIENT(c, x);
    SEXP h = PROTECT(dbx_r_holder("dbx_mlflow_artifacts_iter", artifacts_iter_finalize));
    dbx_mlflow_artifacts_iter *it = NULL;
    dbx_status st = dbx_mlflow_artifacts_list(&it, c, dbx_r_str(run_id), dbx_r_str(path));
    if (st != DBX_OK) {
        UNPROTECT(1);
        return dbx_r_failure(c, st);
    }
    R_SetExternalPtrAddr(h, it);
    R_xlen_t n = 0, cap = 32;
    PROTECT_INDEX pp, pd, ps;
    SEXP p, d, s;
    PROTECT_WITH_INDEX(p = Rf_allocVector(STRSXP, cap), &pp);
    PROTECT_WITH_INDEX(d = Rf_allocVector(LGLSXP, cap), &pd);
    PROTECT_WITH_INDEX(s = Rf_allocVector(REALSXP, cap), &ps);
    const dbx_mlflow_artifact *a;
    while ((st = dbx_mlflow_artifacts_iter_next(&a, it)) == DBX_OK) {
        if (n == cap) {
            cap *= 2;
            REPROTECT(p = Rf_lengthgets(p, cap), pp);
            REPROTECT(d = Rf_lengthgets(d, cap), pd);
            REPROTECT(s = Rf_lengthgets(s, cap), ps);
        }
        SET_STRING_ELT(p, n, dbx_r_mkutf8(dbx_mlflow_artifact_path(a)));
        LOGICAL(d)[n] = dbx_mlflow_artifact_is_dir(a) != 0;
        int64_t sz = dbx_mlflow_artifact_file_size(a);
        REAL(s)[n] = sz < 0 ? NA_REAL : (double)sz;
        n++;
    }
    SEXP out;
    if (st == DBX_DONE) {
        const char *names[] = {"path", "is_dir", "file_size", ""};
        out = PROTECT(Rf_mkNamed(VECSXP, names));
        SET_VECTOR_ELT(out, 0, Rf_lengthgets(p, n));
        SET_VECTOR_ELT(out, 1, Rf_lengthgets(d, n));
        SET_VECTOR_ELT(out, 2, Rf_lengthgets(s, n));
    } else {
        out = PROTECT(dbx_r_failure(c, st));
    }
    artifacts_iter_finalize(h);
    UNPROTECT(5);
    return out;
}

static void check_interrupt(void *unused)
{
    (void)unused;
    R_CheckUserInterrupt();
}

/* a raw vector as a dbx_source (rewindable); Ctrl-C stops it */
typedef struct rawsrc {
    dbx_r_wait w;
    const unsigned char *data;
    size_t len, pos;
} rawsrc;

static int raw_read(void *payload, char *buf, size_t cap, size_t *n)
{
    rawsrc *s = payload;
    *n = 0;
    if (!R_ToplevelExec(check_interrupt, NULL)) {
        s->w.interrupted = 1;
        return 1;
    }
    size_t k = s->len - s->pos < cap ? s->len - s->pos : cap;
    if (k)
        memcpy(buf, s->data + s->pos, k);
    s->pos += k;
    *n = k;
    return 0;
}

static int raw_rewind(void *payload)
{
    ((rawsrc *)payload)->pos = 0;
    return 0;
}

/* `file`: character(1) local path or a raw vector */
SEXP r_dbx_mlflow_artifact_upload(SEXP x, SEXP run_id, SEXP artifact_path, SEXP file)
{
    DBX_R_NEED_CLIENT(c, x);
    rawsrc s;
    memset(&s, 0, sizeof s);
    dbx_status st;
    if (TYPEOF(file) == RAWSXP) {
        s.data = XLENGTH(file) ? RAW(file) : NULL;
        s.len = (size_t)XLENGTH(file);
        dbx_source src = DBX_SOURCE_INIT;
        src.read = raw_read;
        src.rewind = raw_rewind;
        src.payload = &s;
        src.size = (int64_t)s.len;
        st = dbx_mlflow_artifact_upload(c, dbx_r_str(run_id), dbx_r_str(artifact_path), &src);
    } else if (Rf_isString(file) && XLENGTH(file) == 1 && STRING_ELT(file, 0) != NA_STRING) {
        st = dbx_mlflow_artifact_upload_file(c, dbx_r_str(run_id), dbx_r_str(artifact_path),
                                             R_ExpandFileName(Rf_translateChar(STRING_ELT(file, 0))));
    } else {
        return dbx_r_failure(NULL, DBX_EINVAL);
    }
    return dbx_r_wait_answer(c, st, Rf_ScalarLogical(1), &s.w);
}

SEXP r_dbx_mlflow_artifact_upload_dir(SEXP x, SEXP run_id, SEXP artifact_dir, SEXP local_dir)
{
    DBX_R_NEED_CLIENT(c, x);
    const char *ld = dbx_r_str(local_dir);
    if (!ld)
        return dbx_r_failure(NULL, DBX_EINVAL);
    dbx_status st = dbx_mlflow_artifact_upload_dir(c, dbx_r_str(run_id), dbx_r_str(artifact_dir),
                                                   R_ExpandFileName(ld));
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

typedef struct memsink {
    dbx_r_wait w;
    dbx_r_membuf *mem;
} memsink;

static int mem_write(void *payload, const char *data, size_t len)
{
    memsink *m = payload;
    if (!R_ToplevelExec(check_interrupt, NULL)) {
        m->w.interrupted = 1;
        return 1;
    }
    return dbx_r_membuf_append(m->mem, data, len);
}

/* `destination`: NULL (a raw vector comes back) or character(1) local path */
SEXP r_dbx_mlflow_artifact_download(SEXP x, SEXP run_id, SEXP artifact_path, SEXP destination)
{
    DBX_R_NEED_CLIENT(c, x);
    if (!Rf_isNull(destination)) {
        const char *d = dbx_r_str(destination);
        if (!d)
            return dbx_r_failure(NULL, DBX_EINVAL);
        dbx_status st = dbx_mlflow_artifact_download_file(c, dbx_r_str(run_id), dbx_r_str(artifact_path),
                                                          R_ExpandFileName(d));
        return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
    }
    SEXP h = PROTECT(dbx_r_holder("dbx_membuf", dbx_r_membuf_finalize));
    memsink m;
    memset(&m, 0, sizeof m);
    m.mem = dbx_r_membuf_attach(h);
    if (!m.mem) {
        UNPROTECT(1);
        return dbx_r_failure(NULL, DBX_ENOMEM);
    }
    dbx_status st = dbx_mlflow_artifact_download(c, dbx_r_str(run_id), dbx_r_str(artifact_path), mem_write, &m);
    SEXP out = R_NilValue;
    if (st == DBX_OK)
        out = dbx_r_membuf_raw(m.mem);
    PROTECT(out);
    SEXP ans = PROTECT(dbx_r_wait_answer(c, st, out, &m.w));
    dbx_r_membuf_finalize(h);
    UNPROTECT(3);
    return ans;
}

SEXP r_dbx_mlflow_artifact_download_dir(SEXP x, SEXP run_id, SEXP artifact_dir, SEXP local_dir)
{
    DBX_R_NEED_CLIENT(c, x);
    const char *ld = dbx_r_str(local_dir);
    if (!ld)
        return dbx_r_failure(NULL, DBX_EINVAL);
    dbx_status st = dbx_mlflow_artifact_download_dir(c, dbx_r_str(run_id), dbx_r_str(artifact_dir),
                                                     R_ExpandFileName(ld));
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

SEXP r_dbx_mlflow_run_status_name(SEXP code)
{
    return Rf_mkString(dbx_mlflow_run_status_name((dbx_mlflow_run_status_t)Rf_asInteger(code)));
}

const R_CallMethodDef dbx_r_calls_mlflow[] = {
    {"r_dbx_mlflow_experiment_create", (DL_FUNC)&r_dbx_mlflow_experiment_create, 5},
    {"r_dbx_mlflow_experiment_get", (DL_FUNC)&r_dbx_mlflow_experiment_get, 3},
    {"r_dbx_mlflow_experiment_action", (DL_FUNC)&r_dbx_mlflow_experiment_action, 5},
    {"r_dbx_mlflow_experiments_search", (DL_FUNC)&r_dbx_mlflow_experiments_search, 6},
    {"r_dbx_mlflow_run_create", (DL_FUNC)&r_dbx_mlflow_run_create, 6},
    {"r_dbx_mlflow_run_get", (DL_FUNC)&r_dbx_mlflow_run_get, 2},
    {"r_dbx_mlflow_run_update", (DL_FUNC)&r_dbx_mlflow_run_update, 5},
    {"r_dbx_mlflow_run_action", (DL_FUNC)&r_dbx_mlflow_run_action, 5},
    {"r_dbx_mlflow_log_metric", (DL_FUNC)&r_dbx_mlflow_log_metric, 6},
    {"r_dbx_mlflow_log_batch", (DL_FUNC)&r_dbx_mlflow_log_batch, 10},
    {"r_dbx_mlflow_log_inputs", (DL_FUNC)&r_dbx_mlflow_log_inputs, 3},
    {"r_dbx_mlflow_runs_search", (DL_FUNC)&r_dbx_mlflow_runs_search, 7},
    {"r_dbx_mlflow_metric_history", (DL_FUNC)&r_dbx_mlflow_metric_history, 5},
    {"r_dbx_mlflow_logger_new", (DL_FUNC)&r_dbx_mlflow_logger_new, 3},
    {"r_dbx_mlflow_logger_add", (DL_FUNC)&r_dbx_mlflow_logger_add, 6},
    {"r_dbx_mlflow_logger_flush", (DL_FUNC)&r_dbx_mlflow_logger_flush, 1},
    {"r_dbx_mlflow_logger_info", (DL_FUNC)&r_dbx_mlflow_logger_info, 1},
    {"r_dbx_mlflow_logger_free", (DL_FUNC)&r_dbx_mlflow_logger_free, 1},
    {"r_dbx_mlflow_artifacts_list", (DL_FUNC)&r_dbx_mlflow_artifacts_list, 3},
    {"r_dbx_mlflow_artifact_upload", (DL_FUNC)&r_dbx_mlflow_artifact_upload, 4},
    {"r_dbx_mlflow_artifact_upload_dir", (DL_FUNC)&r_dbx_mlflow_artifact_upload_dir, 4},
    {"r_dbx_mlflow_artifact_download", (DL_FUNC)&r_dbx_mlflow_artifact_download, 4},
    {"r_dbx_mlflow_artifact_download_dir", (DL_FUNC)&r_dbx_mlflow_artifact_download_dir, 4},
    {"r_dbx_mlflow_run_status_name", (DL_FUNC)&r_dbx_mlflow_run_status_name, 1},
    {NULL, NULL, 0}};
