/* R glue: SQL warehouses (see dbx_r.h). Specs come from R as JSON text (R/warehouses.R builds
 * it) and are validated by dbx_warehouse_spec_from_json; results are EndpointInfo JSON -> R. */
#include <string.h>

#include "dbx_r.h"

static SEXP warehouse_list(dbx_warehouse *wh)
{
    SEXP out = dbx_r_json(dbx_warehouse_json(wh));
    dbx_warehouse_free(wh);
    return out;
}

/* The spec as libdbx would send it (validated locally), as JSON text. */
SEXP r_dbx_warehouse_spec(SEXP spec_json)
{
    dbx_warehouse_spec *s = NULL;
    dbx_status st = dbx_warehouse_spec_from_json(&s, dbx_r_str(spec_json));
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    char *text = NULL;
    st = dbx_warehouse_spec_to_json(&text, s);
    dbx_warehouse_spec_free(s);
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    SEXP out = PROTECT(Rf_ScalarString(Rf_mkCharCE(text, CE_UTF8)));
    dbx_free(text);
    UNPROTECT(1);
    return out;
}

SEXP r_dbx_warehouses_create(SEXP x, SEXP spec_json)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_warehouse_spec *s = NULL;
    dbx_status st = dbx_warehouse_spec_from_json(&s, dbx_r_str(spec_json));
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    char *id = NULL;
    st = dbx_warehouses_create(&id, c, s);
    dbx_warehouse_spec_free(s);
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    SEXP out = PROTECT(Rf_mkString(id));
    dbx_free(id);
    UNPROTECT(1);
    return out;
}

SEXP r_dbx_warehouses_edit(SEXP x, SEXP id, SEXP spec_json)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_warehouse_spec *s = NULL;
    dbx_status st = dbx_warehouse_spec_from_json(&s, dbx_r_str(spec_json));
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    st = dbx_warehouses_edit(c, dbx_r_str(id), s);
    dbx_warehouse_spec_free(s);
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

SEXP r_dbx_warehouses_get(SEXP x, SEXP id)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_warehouse *wh = NULL;
    dbx_status st = dbx_warehouses_get(&wh, c, dbx_r_str(id));
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    return warehouse_list(wh);
}

SEXP r_dbx_warehouses_action(SEXP x, SEXP action, SEXP id)
{
    DBX_R_NEED_CLIENT(c, x);
    const char *a = dbx_r_str(action);
    const char *wid = dbx_r_str(id);
    dbx_status st;
    if (a && !strcmp(a, "start"))
        st = dbx_warehouses_start(c, wid);
    else if (a && !strcmp(a, "stop"))
        st = dbx_warehouses_stop(c, wid);
    else if (a && !strcmp(a, "delete"))
        st = dbx_warehouses_delete(c, wid);
    else
        return dbx_r_failure(NULL, DBX_EINVAL);
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

/* Every warehouse (following pages) as a list of lists. */
SEXP r_dbx_warehouses_list(SEXP x, SEXP page_size, SEXP max_items)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_warehouses_list_options o = DBX_WAREHOUSES_LIST_OPTIONS_INIT;
    o.page_size = Rf_isNull(page_size) ? 0 : Rf_asInteger(page_size);
    o.max_items = Rf_isNull(max_items) ? 0 : (long)Rf_asReal(max_items);
    dbx_warehouses_iter *it = NULL;
    dbx_status st = dbx_warehouses_list(&it, c, &o);
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    R_xlen_t n = 0, cap = 16;
    PROTECT_INDEX pi;
    SEXP acc;
    PROTECT_WITH_INDEX(acc = Rf_allocVector(VECSXP, cap), &pi);
    const dbx_warehouse *wh;
    while ((st = dbx_warehouses_iter_next(&wh, it)) == DBX_OK) {
        if (n == cap) {
            cap *= 2;
            REPROTECT(acc = Rf_lengthgets(acc, cap), pi);
        }
        SET_VECTOR_ELT(acc, n++, dbx_r_json(dbx_warehouse_json(wh)));
    }
    SEXP out = PROTECT(st == DBX_DONE ? Rf_lengthgets(acc, n) : dbx_r_failure(c, st));
    dbx_warehouses_iter_free(it);
    UNPROTECT(2);
    return out;
}

SEXP r_dbx_warehouses_wait(SEXP x, SEXP id, SEXP target, SEXP timeout, SEXP poll_interval, SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_wait_options o;
    dbx_r_wait w = {0};
    dbx_r_wait_opts(&o, &w, timeout, poll_interval, progress);
    dbx_warehouse *wh = NULL;
    const char *t = dbx_r_str(target);
    dbx_status st = t && !strcmp(t, "stopped") ? dbx_warehouses_wait_stopped(&wh, c, dbx_r_str(id), &o)
                                               : dbx_warehouses_wait_running(&wh, c, dbx_r_str(id), &o);
    SEXP snap = wh ? warehouse_list(wh) : R_NilValue;
    return dbx_r_wait_answer(c, st, snap, &w);
}

/* The server spellings of the state / health enums. */
SEXP r_dbx_warehouse_enum_names(SEXP which)
{
    const char *w = dbx_r_str(which);
    int health = w && !strcmp(w, "health");
    const char *names[64];
    int n = 0;
    for (int i = 1; i < 64; i++) {
        const char *s = health ? dbx_warehouse_health_name((dbx_warehouse_health_t)i)
                               : dbx_warehouse_state_name((dbx_warehouse_state_t)i);
        if (!strcmp(s, "UNKNOWN"))
            break;
        names[n++] = s;
    }
    SEXP out = PROTECT(Rf_allocVector(STRSXP, n));
    for (int i = 0; i < n; i++)
        SET_STRING_ELT(out, i, Rf_mkCharCE(names[i], CE_UTF8));
    UNPROTECT(1);
    return out;
}

const R_CallMethodDef dbx_r_calls_warehouses[] = {
    {"r_dbx_warehouse_spec", (DL_FUNC)&r_dbx_warehouse_spec, 1},
    {"r_dbx_warehouses_create", (DL_FUNC)&r_dbx_warehouses_create, 2},
    {"r_dbx_warehouses_edit", (DL_FUNC)&r_dbx_warehouses_edit, 3},
    {"r_dbx_warehouses_get", (DL_FUNC)&r_dbx_warehouses_get, 2},
    {"r_dbx_warehouses_action", (DL_FUNC)&r_dbx_warehouses_action, 3},
    {"r_dbx_warehouses_list", (DL_FUNC)&r_dbx_warehouses_list, 3},
    {"r_dbx_warehouses_wait", (DL_FUNC)&r_dbx_warehouses_wait, 6},
    {"r_dbx_warehouse_enum_names", (DL_FUNC)&r_dbx_warehouse_enum_names, 1},
    {NULL, NULL, 0}};
