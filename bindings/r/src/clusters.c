/* R glue: the Clusters API (see dbx_r.h). */
#include <string.h>

#include "dbx_r.h"

SEXP r_dbx_clusters_create(SEXP x, SEXP spec_json)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_cluster_spec *s = NULL;
    dbx_status st = dbx_cluster_spec_from_json(&s, dbx_r_str(spec_json));
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    char *id = NULL;
    st = dbx_clusters_create(&id, c, s);
    dbx_cluster_spec_free(s);
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    SEXP out = Rf_mkString(id);
    dbx_free(id);
    return out;
}

SEXP r_dbx_clusters_get(SEXP x, SEXP id)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_cluster *cl = NULL;
    dbx_status st = dbx_clusters_get(&cl, c, dbx_r_str(id));
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    SEXP out = dbx_r_json(dbx_cluster_json(cl));
    dbx_cluster_free(cl);
    return out;
}

SEXP r_dbx_clusters_action(SEXP x, SEXP action, SEXP id)
{
    DBX_R_NEED_CLIENT(c, x);
    const char *a = dbx_r_str(action);
    const char *cid = dbx_r_str(id);
    dbx_status st;
    if (!a)
        return dbx_r_failure(NULL, DBX_EINVAL);
    if (!strcmp(a, "start"))
        st = dbx_clusters_start(c, cid);
    else if (!strcmp(a, "restart"))
        st = dbx_clusters_restart(c, cid, NULL);
    else if (!strcmp(a, "delete"))
        st = dbx_clusters_delete(c, cid);
    else if (!strcmp(a, "permanent_delete"))
        st = dbx_clusters_permanent_delete(c, cid);
    else if (!strcmp(a, "pin"))
        st = dbx_clusters_pin(c, cid);
    else if (!strcmp(a, "unpin"))
        st = dbx_clusters_unpin(c, cid);
    else
        return dbx_r_failure(NULL, DBX_EINVAL);
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

SEXP r_dbx_clusters_resize(SEXP x, SEXP id, SEXP num_workers, SEXP min_workers, SEXP max_workers)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_status st = Rf_isNull(num_workers)
                        ? dbx_clusters_resize_autoscale(c, dbx_r_str(id), Rf_asInteger(min_workers),
                                                        Rf_asInteger(max_workers))
                        : dbx_clusters_resize(c, dbx_r_str(id), Rf_asInteger(num_workers));
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

/* All clusters (following pages) as a list of lists; states: character or NULL. */
SEXP r_dbx_clusters_list(SEXP x, SEXP states, SEXP page_size, SEXP max_items)
{
    DBX_R_NEED_CLIENT(c, x);
    static const char *const names[] = {"", "PENDING", "RUNNING", "RESTARTING", "RESIZING",
                                        "TERMINATING", "TERMINATED", "ERROR"};
    dbx_cluster_state_t st_codes[8];
    size_t n_states = 0;
    for (R_xlen_t i = 0; !Rf_isNull(states) && i < XLENGTH(states) && n_states < 8; i++) {
        const char *s = Rf_translateCharUTF8(STRING_ELT(states, i));
        size_t k = 1;
        while (k < 8 && strcmp(names[k], s) != 0)
            k++;
        if (k == 8)
            return dbx_r_failure(NULL, DBX_EINVAL);
        st_codes[n_states++] = (dbx_cluster_state_t)k;
    }
    dbx_clusters_list_options o = DBX_CLUSTERS_LIST_OPTIONS_INIT;
    o.states = n_states ? st_codes : NULL;
    o.n_states = n_states;
    o.page_size = Rf_isNull(page_size) ? 0 : Rf_asInteger(page_size);
    o.max_items = Rf_isNull(max_items) ? 0 : (long)Rf_asReal(max_items);
    dbx_clusters_iter *it = NULL;
    dbx_status st = dbx_clusters_list(&it, c, &o);
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    /* grow a protected list by doubling */
    R_xlen_t n = 0, cap = 16;
    PROTECT_INDEX pi;
    SEXP acc;
    PROTECT_WITH_INDEX(acc = Rf_allocVector(VECSXP, cap), &pi);
    const dbx_cluster *cl;
    while ((st = dbx_clusters_iter_next(&cl, it)) == DBX_OK) {
        if (n == cap) {
            cap *= 2;
            REPROTECT(acc = Rf_lengthgets(acc, cap), pi);
        }
        SET_VECTOR_ELT(acc, n++, dbx_r_json(dbx_cluster_json(cl)));
    }
    if (st != DBX_DONE) {
        SEXP f = PROTECT(dbx_r_failure(c, st));
        dbx_clusters_iter_free(it);
        UNPROTECT(2);
        return f;
    }
    dbx_clusters_iter_free(it);
    acc = Rf_lengthgets(acc, n);
    UNPROTECT(1);
    return acc;
}

SEXP r_dbx_clusters_wait(SEXP x, SEXP id, SEXP target, SEXP timeout, SEXP poll_interval, SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_wait_options o;
    dbx_r_wait w = {0};
    dbx_r_wait_opts(&o, &w, timeout, poll_interval, progress);
    dbx_cluster *cl = NULL;
    const char *t = dbx_r_str(target);
    dbx_status st = t && !strcmp(t, "terminated") ? dbx_clusters_wait_terminated(&cl, c, dbx_r_str(id), &o)
                                                  : dbx_clusters_wait_running(&cl, c, dbx_r_str(id), &o);
    SEXP snap = cl ? dbx_r_json(dbx_cluster_json(cl)) : R_NilValue;
    dbx_cluster_free(cl);
    return dbx_r_wait_answer(c, st, snap, &w);
}

const R_CallMethodDef dbx_r_calls_clusters[] = {
    {"r_dbx_clusters_create", (DL_FUNC)&r_dbx_clusters_create, 2},
    {"r_dbx_clusters_get", (DL_FUNC)&r_dbx_clusters_get, 2},
    {"r_dbx_clusters_action", (DL_FUNC)&r_dbx_clusters_action, 3},
    {"r_dbx_clusters_resize", (DL_FUNC)&r_dbx_clusters_resize, 5},
    {"r_dbx_clusters_list", (DL_FUNC)&r_dbx_clusters_list, 4},
    {"r_dbx_clusters_wait", (DL_FUNC)&r_dbx_clusters_wait, 6},
    {NULL, NULL, 0}};
