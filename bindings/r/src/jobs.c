/* R glue: the Jobs API 2.2 (see dbx_r.h).
 *
 * Arguments are converted to C (R_alloc'd arrays, freed when the .Call
 * returns) before any libdbx object exists, so no R error can leave one
 * behind; every owned libdbx result is converted to R and freed at once.
 * Ids are int64 in C and doubles in R (exact below 2^53; job and run ids
 * are far below), accepted as numbers or decimal strings. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dbx_r.h"

/* ---- argument helpers ------------------------------------------------------------------ */

/* An id from a number or a decimal string; 0 for NULL / NA (libdbx then
 * answers DBX_EINVAL naming the argument). */
static int64_t id_arg(SEXP x)
{
    if (Rf_isNull(x) || XLENGTH(x) < 1)
        return 0;
    if (Rf_isString(x)) {
        if (STRING_ELT(x, 0) == NA_STRING)
            return 0;
        const char *s = CHAR(STRING_ELT(x, 0));
        char *end = NULL;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        return (errno || !end || *end || end == s) ? -1 : (int64_t)v;
    }
    double d = Rf_asReal(x);
    if (ISNAN(d))
        return 0;
    if (d > 9.2e18 || d < -9.2e18)
        return -1;
    return (int64_t)d;
}

static int flag_arg(SEXP x)
{
    return !Rf_isNull(x) && Rf_asLogical(x) == TRUE;
}

static int int_arg(SEXP x, int dflt)
{
    if (Rf_isNull(x) || XLENGTH(x) < 1)
        return dflt;
    int v = Rf_asInteger(x);
    return v == NA_INTEGER ? dflt : v;
}

/* A character vector as a NULL-terminated array (NULL for NULL / empty). */
static const char **strv_arg(SEXP x)
{
    if (Rf_isNull(x) || !Rf_isString(x) || XLENGTH(x) == 0)
        return NULL;
    R_xlen_t n = XLENGTH(x);
    const char **v = (const char **)R_alloc((size_t)n + 1, sizeof *v);
    for (R_xlen_t i = 0; i < n; i++)
        v[i] = STRING_ELT(x, i) == NA_STRING ? "" : Rf_translateCharUTF8(STRING_ELT(x, i));
    v[n] = NULL;
    return v;
}

/* A named character vector as NULL-terminated name, value pairs. */
static const char **pairs_arg(SEXP x)
{
    if (Rf_isNull(x) || !Rf_isString(x) || XLENGTH(x) == 0)
        return NULL;
    SEXP names = Rf_getAttrib(x, R_NamesSymbol);
    R_xlen_t n = XLENGTH(x);
    const char **v = (const char **)R_alloc(2 * (size_t)n + 1, sizeof *v);
    for (R_xlen_t i = 0; i < n; i++) {
        v[2 * i] = Rf_isNull(names) ? "" : Rf_translateCharUTF8(STRING_ELT(names, i));
        v[2 * i + 1] = STRING_ELT(x, i) == NA_STRING ? "" : Rf_translateCharUTF8(STRING_ELT(x, i));
    }
    v[2 * n] = NULL;
    return v;
}

/* Element `name` of a named list, or R_NilValue. */
static SEXP elt(SEXP list, const char *name)
{
    SEXP names = Rf_getAttrib(list, R_NamesSymbol);
    for (R_xlen_t i = 0; !Rf_isNull(names) && i < XLENGTH(list); i++)
        if (strcmp(CHAR(STRING_ELT(names, i)), name) == 0)
            return VECTOR_ELT(list, i);
    return R_NilValue;
}

static SEXP ok(void)
{
    return Rf_ScalarLogical(1);
}

static SEXP id_value(int64_t id)
{
    return Rf_ScalarReal((double)id);
}

/* ---- the task builder ------------------------------------------------------------------- */

/* One step of building a task; stops at the first failure. */
#define STEP(call)                                                                                \
    do {                                                                                          \
        if (st == DBX_OK)                                                                         \
            st = (call);                                                                          \
    } while (0)

/* spec: list(task_key, type, a, b, c, list, params (named chr), field, json, depends_on,
 * outcome, existing_cluster_id, job_cluster_key, new_cluster (JSON), environment_key,
 * libraries (list of character(2): kind, value[, repo]), description, timeout_seconds,
 * retries (numeric(3)), run_if, extra (named chr of JSON texts)).
 * Answers list(json = <compact JSON text>, value = <parsed>), or a failure. */
SEXP r_dbx_job_task_build(SEXP spec)
{
    /* every argument converted before the first libdbx object exists */
    const char *key = dbx_r_str(elt(spec, "task_key"));
    const char *type = dbx_r_str(elt(spec, "type"));
    const char *a = dbx_r_str(elt(spec, "a")), *b = dbx_r_str(elt(spec, "b")), *cc = dbx_r_str(elt(spec, "c"));
    const char **list = strv_arg(elt(spec, "list"));
    const char **params = pairs_arg(elt(spec, "params"));
    const char *field = dbx_r_str(elt(spec, "field")), *json = dbx_r_str(elt(spec, "json"));
    const char **deps = strv_arg(elt(spec, "depends_on"));
    const char *outcome = dbx_r_str(elt(spec, "outcome"));
    const char *existing = dbx_r_str(elt(spec, "existing_cluster_id"));
    const char *jck = dbx_r_str(elt(spec, "job_cluster_key"));
    const char *new_cluster = dbx_r_str(elt(spec, "new_cluster"));
    const char *env_key = dbx_r_str(elt(spec, "environment_key"));
    SEXP libs = elt(spec, "libraries");
    R_xlen_t n_libs = Rf_isNull(libs) ? 0 : XLENGTH(libs);
    const char **lib_kind = (const char **)R_alloc((size_t)n_libs + 1, sizeof(char *));
    const char **lib_val = (const char **)R_alloc((size_t)n_libs + 1, sizeof(char *));
    const char **lib_repo = (const char **)R_alloc((size_t)n_libs + 1, sizeof(char *));
    for (R_xlen_t i = 0; i < n_libs; i++) {
        SEXP l = VECTOR_ELT(libs, i);
        lib_kind[i] = Rf_isString(l) && XLENGTH(l) > 0 ? Rf_translateCharUTF8(STRING_ELT(l, 0)) : "";
        lib_val[i] = Rf_isString(l) && XLENGTH(l) > 1 ? Rf_translateCharUTF8(STRING_ELT(l, 1)) : NULL;
        lib_repo[i] = Rf_isString(l) && XLENGTH(l) > 2 && STRING_ELT(l, 2) != NA_STRING
                          ? Rf_translateCharUTF8(STRING_ELT(l, 2))
                          : NULL;
    }
    const char *desc = dbx_r_str(elt(spec, "description"));
    SEXP timeout = elt(spec, "timeout_seconds");
    SEXP retries = elt(spec, "retries");
    const char *run_if = dbx_r_str(elt(spec, "run_if"));
    const char **extra = pairs_arg(elt(spec, "extra"));
    if (!type)
        return dbx_r_failure(NULL, DBX_EINVAL);

    dbx_job_task *t = NULL;
    dbx_status st = dbx_job_task_new(&t, key);
    if (!strcmp(type, "notebook"))
        STEP(dbx_job_task_set_notebook(t, a, b));
    else if (!strcmp(type, "spark_python"))
        STEP(dbx_job_task_set_spark_python(t, a, list));
    else if (!strcmp(type, "python_wheel"))
        STEP(dbx_job_task_set_python_wheel(t, a, b, list));
    else if (!strcmp(type, "sql_query"))
        STEP(dbx_job_task_set_sql_query(t, a, b));
    else if (!strcmp(type, "sql_file"))
        STEP(dbx_job_task_set_sql_file(t, a, b, cc));
    else if (!strcmp(type, "run_job"))
        STEP(dbx_job_task_set_run_job(t, id_arg(elt(spec, "a"))));
    else
        STEP(dbx_job_task_set_json(t, field, json)); /* any other task type, as JSON */
    for (size_t i = 0; params && params[i]; i += 2)
        STEP(dbx_job_task_set_parameter(t, params[i], params[i + 1]));
    for (size_t i = 0; deps && deps[i]; i++)
        STEP(dbx_job_task_add_depends_on(t, deps[i], outcome));
    if (existing)
        STEP(dbx_job_task_set_existing_cluster_id(t, existing));
    if (jck)
        STEP(dbx_job_task_set_job_cluster_key(t, jck));
    if (env_key)
        STEP(dbx_job_task_set_environment_key(t, env_key));
    if (new_cluster && st == DBX_OK) {
        dbx_cluster_spec *cs = NULL;
        st = dbx_cluster_spec_from_json(&cs, new_cluster);
        STEP(dbx_job_task_set_new_cluster(t, cs));
        dbx_cluster_spec_free(cs);
    }
    for (R_xlen_t i = 0; i < n_libs; i++) {
        if (!strcmp(lib_kind[i], "pypi"))
            STEP(dbx_job_task_add_library_pypi(t, lib_val[i], lib_repo[i]));
        else if (!strcmp(lib_kind[i], "whl"))
            STEP(dbx_job_task_add_library_whl(t, lib_val[i]));
        else if (!strcmp(lib_kind[i], "jar"))
            STEP(dbx_job_task_add_library_jar(t, lib_val[i]));
        else
            STEP(dbx_job_task_add_library_json(t, lib_val[i]));
    }
    if (desc)
        STEP(dbx_job_task_set_description(t, desc));
    if (!Rf_isNull(timeout))
        STEP(dbx_job_task_set_timeout_seconds(t, int_arg(timeout, -1)));
    if (!Rf_isNull(retries) && XLENGTH(retries) == 3)
        STEP(dbx_job_task_set_retries(t, (int)REAL(retries)[0], (int)REAL(retries)[1], REAL(retries)[2] != 0));
    if (run_if)
        STEP(dbx_job_task_set_run_if(t, run_if));
    for (size_t i = 0; extra && extra[i]; i += 2)
        STEP(dbx_job_task_set_json(t, extra[i], extra[i + 1]));
    char *text = NULL;
    STEP(dbx_job_task_to_json(&text, t));
    dbx_job_task_free(t);
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    const char *names[] = {"json", "value", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, Rf_ScalarString(Rf_mkCharCE(text, CE_UTF8)));
    SET_VECTOR_ELT(out, 1, dbx_r_json(text));
    dbx_free(text);
    UNPROTECT(1);
    return out;
}

/* Settings: complete (from_json) or partial (one set_json per field). */
static dbx_status settings_arg(dbx_job_settings **out, SEXP json, SEXP partial_fields)
{
    if (!Rf_isNull(partial_fields)) {
        const char **kv = pairs_arg(partial_fields);
        dbx_status st = dbx_job_settings_new(out);
        for (size_t i = 0; st == DBX_OK && kv && kv[i]; i += 2)
            st = dbx_job_settings_set_json(*out, kv[i], kv[i + 1]);
        if (st != DBX_OK) {
            dbx_job_settings_free(*out);
            *out = NULL;
        }
        return st;
    }
    return dbx_job_settings_from_json(out, dbx_r_str(json));
}

SEXP r_dbx_job_settings_check(SEXP json)
{
    dbx_job_settings *s = NULL;
    dbx_status st = dbx_job_settings_from_json(&s, dbx_r_str(json));
    if (st == DBX_OK)
        st = dbx_job_settings_validate(s);
    char *text = NULL;
    if (st == DBX_OK)
        st = dbx_job_settings_to_json(&text, s);
    dbx_job_settings_free(s);
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    SEXP out = Rf_ScalarString(Rf_mkCharCE(text, CE_UTF8));
    dbx_free(text);
    return out;
}

/* ---- jobs -------------------------------------------------------------------------------- */

SEXP r_dbx_jobs_create(SEXP x, SEXP json)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_job_settings *s = NULL;
    dbx_status st = dbx_job_settings_from_json(&s, dbx_r_str(json));
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    int64_t id = 0;
    st = dbx_jobs_create(&id, c, s);
    dbx_job_settings_free(s);
    return st == DBX_OK ? id_value(id) : dbx_r_failure(c, st);
}

SEXP r_dbx_jobs_get(SEXP x, SEXP id)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_job *j = NULL;
    dbx_status st = dbx_jobs_get(&j, c, id_arg(id));
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    SEXP out = dbx_r_json(dbx_job_json(j));
    dbx_job_free(j);
    return out;
}

/* new_settings: JSON text of partial settings as a named character vector of field -> JSON
 * (NULL: none); remove: character or NULL. */
SEXP r_dbx_jobs_update(SEXP x, SEXP id, SEXP fields, SEXP remove)
{
    DBX_R_NEED_CLIENT(c, x);
    const char **rm = strv_arg(remove);
    int64_t jid = id_arg(id);
    dbx_job_settings *s = NULL;
    if (!Rf_isNull(fields)) {
        dbx_status st = settings_arg(&s, R_NilValue, fields);
        if (st != DBX_OK)
            return dbx_r_failure(NULL, st);
    }
    dbx_status st = dbx_jobs_update(c, jid, s, rm);
    dbx_job_settings_free(s);
    return st == DBX_OK ? ok() : dbx_r_failure(c, st);
}

SEXP r_dbx_jobs_reset(SEXP x, SEXP id, SEXP json)
{
    DBX_R_NEED_CLIENT(c, x);
    int64_t jid = id_arg(id);
    dbx_job_settings *s = NULL;
    dbx_status st = dbx_job_settings_from_json(&s, dbx_r_str(json));
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    st = dbx_jobs_reset(c, jid, s);
    dbx_job_settings_free(s);
    return st == DBX_OK ? ok() : dbx_r_failure(c, st);
}

SEXP r_dbx_jobs_delete(SEXP x, SEXP id)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_status st = dbx_jobs_delete(c, id_arg(id));
    return st == DBX_OK ? ok() : dbx_r_failure(c, st);
}

/* A growable set of columns filled from C accessors, plus the raw items. */
typedef struct cols {
    SEXP v;          /* list of columns + "raw" (protected by the caller) */
    R_xlen_t n, cap;
    int ncols;
} cols;

static void cols_init(cols *k, const char *const *names, const SEXPTYPE *types, PROTECT_INDEX *pi)
{
    int n = 0;
    while (names[n][0])
        n++;
    k->ncols = n;
    k->n = 0;
    k->cap = 16;
    PROTECT_WITH_INDEX(k->v = Rf_mkNamed(VECSXP, (const char **)names), pi);
    for (int i = 0; i < n; i++)
        SET_VECTOR_ELT(k->v, i, Rf_allocVector(types[i], k->cap));
}

static void cols_grow(cols *k)
{
    if (k->n < k->cap)
        return;
    k->cap *= 2;
    for (int i = 0; i < k->ncols; i++)
        SET_VECTOR_ELT(k->v, i, Rf_lengthgets(VECTOR_ELT(k->v, i), k->cap));
}

static void cols_finish(cols *k)
{
    for (int i = 0; i < k->ncols; i++)
        SET_VECTOR_ELT(k->v, i, Rf_lengthgets(VECTOR_ELT(k->v, i), k->n));
}

static void set_str(SEXP col, R_xlen_t i, const char *s, int empty_is_na)
{
    SET_STRING_ELT(col, i, !s || (empty_is_na && !*s) ? NA_STRING : Rf_mkCharCE(s, CE_UTF8));
}

SEXP r_dbx_jobs_list(SEXP x, SEXP name, SEXP expand, SEXP limit, SEXP max_items)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_jobs_list_options o = DBX_JOBS_LIST_OPTIONS_INIT;
    o.name = dbx_r_str(name);
    o.expand_tasks = flag_arg(expand);
    o.limit = int_arg(limit, 0);
    o.max_items = Rf_isNull(max_items) ? 0 : (long)Rf_asReal(max_items);
    static const char *const names[] = {"job_id", "name", "creator_user_name", "created_time",
                                        "max_concurrent_runs", "task_count", "raw", "run_as_user_name", ""};
    static const SEXPTYPE types[] = {REALSXP, STRSXP, STRSXP, REALSXP, INTSXP, INTSXP, VECSXP, STRSXP};
    PROTECT_INDEX pi;
    cols k;
    cols_init(&k, names, types, &pi);
    dbx_jobs_iter *it = NULL;
    dbx_status st = dbx_jobs_list(&it, c, &o);
    const dbx_job *j;
    while (st == DBX_OK && (st = dbx_jobs_iter_next(&j, it)) == DBX_OK) {
        cols_grow(&k);
        R_xlen_t i = k.n++;
        REAL(VECTOR_ELT(k.v, 0))[i] = (double)dbx_job_id(j);
        set_str(VECTOR_ELT(k.v, 1), i, dbx_job_name(j), 0);
        set_str(VECTOR_ELT(k.v, 2), i, dbx_job_creator_user_name(j), 1);
        REAL(VECTOR_ELT(k.v, 3))[i] = (double)dbx_job_created_time(j);
        INTEGER(VECTOR_ELT(k.v, 4))[i] = dbx_job_max_concurrent_runs(j);
        INTEGER(VECTOR_ELT(k.v, 5))[i] = (int)dbx_job_task_count(j);
        SET_VECTOR_ELT(VECTOR_ELT(k.v, 6), i, dbx_r_json(dbx_job_json(j)));
        set_str(VECTOR_ELT(k.v, 7), i, dbx_job_run_as_user_name(j), 1);
    }
    dbx_jobs_iter_free(it);
    if (st != DBX_DONE) {
        UNPROTECT(1);
        return dbx_r_failure(c, st);
    }
    cols_finish(&k);
    UNPROTECT(1);
    return k.v;
}

/* ---- starting runs ------------------------------------------------------------------------- */

static SEXP started_value(dbx_client *c, dbx_status st, const dbx_run_started *s)
{
    if (st != DBX_OK) {
        /* the failure keeps the token: calling again with it never starts a second run */
        SEXP f = PROTECT(dbx_r_failure(c, st));
        SEXP g = PROTECT(Rf_lengthgets(f, XLENGTH(f) + 1));
        SEXP nm = PROTECT(Rf_lengthgets(Rf_getAttrib(f, R_NamesSymbol), XLENGTH(f) + 1));
        SET_STRING_ELT(nm, XLENGTH(f), Rf_mkChar("idempotency_token"));
        SET_VECTOR_ELT(g, XLENGTH(f), s->idempotency_token[0] ? Rf_mkString(s->idempotency_token)
                                                               : Rf_ScalarString(NA_STRING));
        Rf_setAttrib(g, R_NamesSymbol, nm);
        Rf_setAttrib(g, R_ClassSymbol, Rf_mkString("dbx_failure"));
        UNPROTECT(3);
        return g;
    }
    const char *names[] = {"run_id", "number_in_job", "idempotency_token", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, id_value(s->run_id));
    SET_VECTOR_ELT(out, 1, id_value(s->number_in_job));
    SET_VECTOR_ELT(out, 2, Rf_mkString(s->idempotency_token));
    UNPROTECT(1);
    return out;
}

SEXP r_dbx_jobs_run_now(SEXP x, SEXP id, SEXP job_parameters, SEXP only, SEXP queue, SEXP notebook_params,
                        SEXP python_params, SEXP token)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_jobs_run_now_options o = DBX_JOBS_RUN_NOW_OPTIONS_INIT;
    o.idempotency_token = dbx_r_str(token);
    o.job_parameters = pairs_arg(job_parameters);
    o.only = strv_arg(only);
    o.queue = Rf_isNull(queue) ? 0 : (flag_arg(queue) ? 1 : 2);
    o.notebook_params = pairs_arg(notebook_params);
    o.python_params = strv_arg(python_params);
    int64_t jid = id_arg(id);
    dbx_run_started s;
    memset(&s, 0, sizeof s);
    dbx_status st = dbx_jobs_run_now(&s, c, jid, &o);
    return started_value(c, st, &s);
}

SEXP r_dbx_jobs_submit(SEXP x, SEXP json, SEXP run_name, SEXP token)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_jobs_submit_options o = DBX_JOBS_SUBMIT_OPTIONS_INIT;
    o.idempotency_token = dbx_r_str(token);
    o.run_name = dbx_r_str(run_name);
    dbx_job_settings *s = NULL;
    dbx_status st = dbx_job_settings_from_json(&s, dbx_r_str(json));
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    dbx_run_started started;
    memset(&started, 0, sizeof started);
    st = dbx_jobs_submit(&started, c, s, &o);
    dbx_job_settings_free(s);
    return started_value(c, st, &started);
}

/* ---- runs ------------------------------------------------------------------------------- */

/* A Run as R: its JSON as a list, plus "task_runs" (a column list from the accessors). */
static SEXP run_value(const dbx_run *r)
{
    SEXP v = PROTECT(dbx_r_json(dbx_run_json(r)));
    size_t n = dbx_run_task_count(r);
    const char *names[] = {"task_key", "run_id", "life_cycle_state", "result_state", "state_message", ""};
    SEXP t = PROTECT(Rf_mkNamed(VECSXP, names));
    SEXP key = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n));
    SEXP rid = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t)n));
    SEXP lc = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n));
    SEXP rs = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n));
    SEXP msg = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n));
    for (size_t i = 0; i < n; i++) {
        set_str(key, (R_xlen_t)i, dbx_run_task_key(r, i), 0);
        REAL(rid)[i] = (double)dbx_run_task_run_id(r, i);
        set_str(lc, (R_xlen_t)i, dbx_run_task_life_cycle_state(r, i), 1);
        set_str(rs, (R_xlen_t)i, dbx_run_task_result_state(r, i), 1);
        set_str(msg, (R_xlen_t)i, dbx_run_task_state_message(r, i), 0);
    }
    SET_VECTOR_ELT(t, 0, key);
    SET_VECTOR_ELT(t, 1, rid);
    SET_VECTOR_ELT(t, 2, lc);
    SET_VECTOR_ELT(t, 3, rs);
    SET_VECTOR_ELT(t, 4, msg);
    SEXP out = v;
    if (TYPEOF(v) == VECSXP) {
        R_xlen_t m = XLENGTH(v);
        out = PROTECT(Rf_lengthgets(v, m + 1));
        SEXP nm = PROTECT(Rf_lengthgets(Rf_getAttrib(v, R_NamesSymbol), m + 1));
        SET_STRING_ELT(nm, m, Rf_mkChar("task_runs"));
        SET_VECTOR_ELT(out, m, t);
        Rf_setAttrib(out, R_NamesSymbol, nm);
        UNPROTECT(2);
    }
    UNPROTECT(7);
    return out;
}

SEXP r_dbx_jobs_get_run(SEXP x, SEXP id)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_run *r = NULL;
    dbx_status st = dbx_jobs_get_run(&r, c, id_arg(id));
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    SEXP out = run_value(r);
    dbx_run_free(r);
    return out;
}

SEXP r_dbx_jobs_get_run_output(SEXP x, SEXP id)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_run_output *o = NULL;
    dbx_status st = dbx_jobs_get_run_output(&o, c, id_arg(id));
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    const char *names[] = {"run_id", "result_state", "notebook_result", "notebook_truncated", "logs",
                           "logs_truncated", "error", "error_trace", "metadata", "raw", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, id_value(dbx_run_output_run_id(o)));
    const char *rs = dbx_run_output_result_state(o);
    SET_VECTOR_ELT(out, 1, dbx_r_mkstr_or_na(rs && *rs ? rs : NULL));
    SET_VECTOR_ELT(out, 2, Rf_ScalarString(Rf_mkCharCE(dbx_run_output_notebook_result(o), CE_UTF8)));
    SET_VECTOR_ELT(out, 3, Rf_ScalarLogical(dbx_run_output_notebook_truncated(o) != 0));
    SET_VECTOR_ELT(out, 4, Rf_ScalarString(Rf_mkCharCE(dbx_run_output_logs(o), CE_UTF8)));
    SET_VECTOR_ELT(out, 5, Rf_ScalarLogical(dbx_run_output_logs_truncated(o) != 0));
    SET_VECTOR_ELT(out, 6, Rf_ScalarString(Rf_mkCharCE(dbx_run_output_error(o), CE_UTF8)));
    SET_VECTOR_ELT(out, 7, Rf_ScalarString(Rf_mkCharCE(dbx_run_output_error_trace(o), CE_UTF8)));
    SET_VECTOR_ELT(out, 8, dbx_r_json(dbx_run_output_metadata_json(o)));
    SET_VECTOR_ELT(out, 9, dbx_r_json(dbx_run_output_json(o)));
    dbx_run_output_free(o);
    UNPROTECT(1);
    return out;
}

SEXP r_dbx_jobs_run_action(SEXP x, SEXP action, SEXP id, SEXP all_queued)
{
    DBX_R_NEED_CLIENT(c, x);
    const char *a = dbx_r_str(action);
    int64_t rid = id_arg(id);
    dbx_status st;
    if (!a)
        return dbx_r_failure(NULL, DBX_EINVAL);
    if (!strcmp(a, "cancel"))
        st = dbx_jobs_cancel_run(c, rid);
    else if (!strcmp(a, "cancel_all"))
        st = dbx_jobs_cancel_all_runs(c, rid, flag_arg(all_queued));
    else if (!strcmp(a, "delete"))
        st = dbx_jobs_delete_run(c, rid);
    else
        return dbx_r_failure(NULL, DBX_EINVAL);
    return st == DBX_OK ? ok() : dbx_r_failure(c, st);
}

SEXP r_dbx_jobs_repair_run(SEXP x, SEXP id, SEXP rerun_tasks, SEXP all_failed, SEXP dependent, SEXP latest,
                           SEXP job_parameters)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_jobs_repair_options o = DBX_JOBS_REPAIR_OPTIONS_INIT;
    o.rerun_tasks = strv_arg(rerun_tasks);
    o.rerun_all_failed_tasks = flag_arg(all_failed);
    o.rerun_dependent_tasks = flag_arg(dependent);
    o.latest_repair_id = id_arg(latest);
    o.job_parameters = pairs_arg(job_parameters);
    int64_t rid = id_arg(id), repair = 0;
    dbx_status st = dbx_jobs_repair_run(&repair, c, rid, &o);
    return st == DBX_OK ? id_value(repair) : dbx_r_failure(c, st);
}

SEXP r_dbx_jobs_list_runs(SEXP x, SEXP job_id, SEXP active_only, SEXP completed_only, SEXP run_type,
                          SEXP from, SEXP to, SEXP expand, SEXP limit, SEXP max_items)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_jobs_runs_list_options o = DBX_JOBS_RUNS_LIST_OPTIONS_INIT;
    o.job_id = id_arg(job_id);
    o.active_only = flag_arg(active_only);
    o.completed_only = flag_arg(completed_only);
    o.run_type = dbx_r_str(run_type);
    o.start_time_from = id_arg(from);
    o.start_time_to = id_arg(to);
    o.expand_tasks = flag_arg(expand);
    o.limit = int_arg(limit, 0);
    o.max_items = Rf_isNull(max_items) ? 0 : (long)Rf_asReal(max_items);
    static const char *const names[] = {"run_id", "job_id", "run_name", "run_type", "life_cycle_state",
                                        "result_state", "state_message", "start_time", "end_time",
                                        "run_duration", "queue_duration", "number_in_job", "run_page_url",
                                        "raw", "status", "termination_code", "termination_type",
                                        "termination_message", "setup_duration", "execution_duration",
                                        "cleanup_duration", "is_terminal", "is_success", ""};
    static const SEXPTYPE types[] = {REALSXP, REALSXP, STRSXP, STRSXP, STRSXP, STRSXP, STRSXP, REALSXP,
                                     REALSXP, REALSXP, REALSXP, REALSXP, STRSXP, VECSXP, STRSXP, STRSXP,
                                     STRSXP, STRSXP, REALSXP, REALSXP, REALSXP, LGLSXP, LGLSXP};
    PROTECT_INDEX pi;
    cols k;
    cols_init(&k, names, types, &pi);
    dbx_runs_iter *it = NULL;
    dbx_status st = dbx_jobs_list_runs(&it, c, &o);
    const dbx_run *r;
    while (st == DBX_OK && (st = dbx_runs_iter_next(&r, it)) == DBX_OK) {
        cols_grow(&k);
        R_xlen_t i = k.n++;
        REAL(VECTOR_ELT(k.v, 0))[i] = (double)dbx_run_id(r);
        REAL(VECTOR_ELT(k.v, 1))[i] = (double)dbx_run_job_id(r);
        set_str(VECTOR_ELT(k.v, 2), i, dbx_run_name(r), 0);
        set_str(VECTOR_ELT(k.v, 3), i, dbx_run_type(r), 1);
        set_str(VECTOR_ELT(k.v, 4), i, dbx_run_life_cycle_state_str(r), 1);
        set_str(VECTOR_ELT(k.v, 5), i, dbx_run_result_state_str(r), 1);
        set_str(VECTOR_ELT(k.v, 6), i, dbx_run_state_message(r), 0);
        int64_t start = dbx_run_start_time(r), end = dbx_run_end_time(r);
        REAL(VECTOR_ELT(k.v, 7))[i] = start ? (double)start : NA_REAL;
        REAL(VECTOR_ELT(k.v, 8))[i] = end ? (double)end : NA_REAL;
        REAL(VECTOR_ELT(k.v, 9))[i] = (double)dbx_run_run_duration(r);
        REAL(VECTOR_ELT(k.v, 10))[i] = (double)dbx_run_queue_duration(r);
        REAL(VECTOR_ELT(k.v, 11))[i] = (double)dbx_run_number_in_job(r);
        set_str(VECTOR_ELT(k.v, 12), i, dbx_run_page_url(r), 1);
        SET_VECTOR_ELT(VECTOR_ELT(k.v, 13), i, run_value(r));
        set_str(VECTOR_ELT(k.v, 14), i, dbx_run_status_state(r), 1);
        set_str(VECTOR_ELT(k.v, 15), i, dbx_run_termination_code(r), 1);
        set_str(VECTOR_ELT(k.v, 16), i, dbx_run_termination_type(r), 1);
        set_str(VECTOR_ELT(k.v, 17), i, dbx_run_termination_message(r), 1);
        REAL(VECTOR_ELT(k.v, 18))[i] = (double)dbx_run_setup_duration(r);
        REAL(VECTOR_ELT(k.v, 19))[i] = (double)dbx_run_execution_duration(r);
        REAL(VECTOR_ELT(k.v, 20))[i] = (double)dbx_run_cleanup_duration(r);
        dbx_run_life_cycle_state_t lc = dbx_run_life_cycle_state(r);
        dbx_run_result_state_t rs = dbx_run_result_state(r);
        LOGICAL(VECTOR_ELT(k.v, 21))[i] = lc == DBX_RUN_LIFE_CYCLE_TERMINATED || lc == DBX_RUN_LIFE_CYCLE_SKIPPED ||
                                          lc == DBX_RUN_LIFE_CYCLE_INTERNAL_ERROR;
        LOGICAL(VECTOR_ELT(k.v, 22))[i] = lc == DBX_RUN_LIFE_CYCLE_TERMINATED &&
                                          (rs == DBX_RUN_RESULT_SUCCESS || rs == DBX_RUN_RESULT_SUCCESS_WITH_FAILURES);
    }
    dbx_runs_iter_free(it);
    if (st != DBX_DONE) {
        UNPROTECT(1);
        return dbx_r_failure(c, st);
    }
    cols_finish(&k);
    UNPROTECT(1);
    return k.v;
}

SEXP r_dbx_jobs_wait_run(SEXP x, SEXP id, SEXP timeout, SEXP poll_interval, SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    int64_t rid = id_arg(id);
    dbx_wait_options o;
    dbx_r_wait w = {0};
    dbx_r_wait_opts(&o, &w, timeout, poll_interval, progress);
    dbx_run *r = NULL;
    dbx_status st = dbx_jobs_wait_run(&r, c, rid, &o);
    SEXP snap = r ? run_value(r) : R_NilValue;
    PROTECT(snap);
    dbx_run_free(r);
    SEXP out = dbx_r_wait_answer(c, st, snap, &w);
    UNPROTECT(1);
    return out;
}

/* The enum spellings libdbx knows: list(life_cycle = chr, result = chr), by C value. */
SEXP r_dbx_jobs_states(void)
{
    const char *names[] = {"life_cycle", "result", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SEXP lc = PROTECT(Rf_allocVector(STRSXP, 10));
    SEXP rs = PROTECT(Rf_allocVector(STRSXP, 12));
    for (int i = 0; i < 10; i++)
        SET_STRING_ELT(lc, i, Rf_mkChar(dbx_run_life_cycle_state_name((dbx_run_life_cycle_state_t)i)));
    for (int i = 0; i < 12; i++)
        SET_STRING_ELT(rs, i, Rf_mkChar(dbx_run_result_state_name((dbx_run_result_state_t)i)));
    SET_VECTOR_ELT(out, 0, lc);
    SET_VECTOR_ELT(out, 1, rs);
    UNPROTECT(3);
    return out;
}

const R_CallMethodDef dbx_r_calls_jobs[] = {
    {"r_dbx_job_task_build", (DL_FUNC)&r_dbx_job_task_build, 1},
    {"r_dbx_job_settings_check", (DL_FUNC)&r_dbx_job_settings_check, 1},
    {"r_dbx_jobs_create", (DL_FUNC)&r_dbx_jobs_create, 2},
    {"r_dbx_jobs_get", (DL_FUNC)&r_dbx_jobs_get, 2},
    {"r_dbx_jobs_update", (DL_FUNC)&r_dbx_jobs_update, 4},
    {"r_dbx_jobs_reset", (DL_FUNC)&r_dbx_jobs_reset, 3},
    {"r_dbx_jobs_delete", (DL_FUNC)&r_dbx_jobs_delete, 2},
    {"r_dbx_jobs_list", (DL_FUNC)&r_dbx_jobs_list, 5},
    {"r_dbx_jobs_run_now", (DL_FUNC)&r_dbx_jobs_run_now, 8},
    {"r_dbx_jobs_submit", (DL_FUNC)&r_dbx_jobs_submit, 4},
    {"r_dbx_jobs_get_run", (DL_FUNC)&r_dbx_jobs_get_run, 2},
    {"r_dbx_jobs_get_run_output", (DL_FUNC)&r_dbx_jobs_get_run_output, 2},
    {"r_dbx_jobs_run_action", (DL_FUNC)&r_dbx_jobs_run_action, 4},
    {"r_dbx_jobs_repair_run", (DL_FUNC)&r_dbx_jobs_repair_run, 7},
    {"r_dbx_jobs_list_runs", (DL_FUNC)&r_dbx_jobs_list_runs, 10},
    {"r_dbx_jobs_wait_run", (DL_FUNC)&r_dbx_jobs_wait_run, 5},
    {"r_dbx_jobs_states", (DL_FUNC)&r_dbx_jobs_states, 0},
    {NULL, NULL, 0}};
