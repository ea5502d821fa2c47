/*
 * R glue for libdbx: the shared part (see dbx_r.h). Conventions:
 *  - No R error is ever raised from C while libdbx resources are held: a
 *    failing call returns a "dbx_failure" list (status, status_name,
 *    message, http_status, error_code, request_id, method, path, attempts)
 *    and R code (R/errors.R) signals the classed condition.
 *  - Owned C objects live in external pointers with finalisers; results are
 *    converted to R values at once (JSON text -> R, without recursion) and
 *    freed.
 *  - Waits poll R's interrupt flag through R_ToplevelExec from the on_poll
 *    callback, so Ctrl-C cancels the wait (DBX_ECANCELLED) and R signals an
 *    interrupt after libdbx has cleaned up.
 */
#include <R_ext/Utils.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "dbx_r.h"

/* ---- helpers ------------------------------------------------------------------------ */

SEXP dbx_r_mkstr_or_na(const char *s)
{
    return s ? Rf_mkString(s) : Rf_ScalarString(NA_STRING);
}

const char *dbx_r_str(SEXP s)
{
    if (Rf_isNull(s) || !Rf_isString(s) || XLENGTH(s) < 1 || STRING_ELT(s, 0) == NA_STRING)
        return NULL;
    return Rf_translateCharUTF8(STRING_ELT(s, 0));
}

/* The failure record of the calling thread's last call on `c`. */
SEXP dbx_r_failure(const dbx_client *c, int status)
{
    const dbx_error *e = dbx_client_last_error(c);
    const char *names[] = {"status", "status_name", "message", "http_status", "error_code",
                           "request_id", "method", "path", "attempts", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, Rf_ScalarInteger(status));
    SET_VECTOR_ELT(out, 1, Rf_mkString(dbx_status_name(status)));
    int same = e && e->status == status;
    SET_VECTOR_ELT(out, 2, Rf_mkString(same && e->message ? e->message : dbx_status_str(status)));
    SET_VECTOR_ELT(out, 3, Rf_ScalarInteger(same && e->http_status ? e->http_status : NA_INTEGER));
    SET_VECTOR_ELT(out, 4, dbx_r_mkstr_or_na(same && e->error_code && *e->error_code ? e->error_code : NULL));
    SET_VECTOR_ELT(out, 5, dbx_r_mkstr_or_na(same && e->request_id && *e->request_id ? e->request_id : NULL));
    SET_VECTOR_ELT(out, 6, dbx_r_mkstr_or_na(same && e->method && *e->method ? e->method : NULL));
    SET_VECTOR_ELT(out, 7, dbx_r_mkstr_or_na(same && e->path && *e->path ? e->path : NULL));
    SET_VECTOR_ELT(out, 8, Rf_ScalarInteger(same ? e->attempts : NA_INTEGER));
    Rf_setAttrib(out, R_ClassSymbol, Rf_mkString("dbx_failure"));
    UNPROTECT(1);
    return out;
}

/* ---- JSON -> R, iteratively --------------------------------------------------------- */

/* Arrays whose elements are all strings / all numbers / all booleans become
 * atomic vectors; other arrays and objects become (named) lists; null is
 * NULL in a list and NA in an atomic vector. Numbers are doubles (int64
 * ids beyond 2^53 lose precision: read them with the *_json accessors). */
static int scalar_kind(json_t *v)
{
    if (json_is_string(v))
        return 1;
    if (json_is_number(v))
        return 2;
    if (json_is_boolean(v))
        return 3;
    if (json_is_null(v))
        return 4;
    return 0;
}

static SEXP atomic_array(json_t *arr, int kind)
{
    size_t n = json_array_size(arr);
    SEXP out = PROTECT(Rf_allocVector(kind == 1 ? STRSXP : kind == 2 ? REALSXP : LGLSXP, (R_xlen_t)n));
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        if (kind == 1)
            SET_STRING_ELT(out, (R_xlen_t)i, json_is_null(v) ? NA_STRING
                                                          : Rf_mkCharLenCE(json_string_value(v),
                                                                           (int)json_string_length(v), CE_UTF8));
        else if (kind == 2)
            REAL(out)[i] = json_is_null(v) ? NA_REAL : json_number_value(v);
        else
            LOGICAL(out)[i] = json_is_null(v) ? NA_LOGICAL : json_is_true(v);
    }
    UNPROTECT(1);
    return out;
}

static SEXP scalar(json_t *v)
{
    switch (scalar_kind(v)) {
    case 1:
        return Rf_ScalarString(Rf_mkCharLenCE(json_string_value(v), (int)json_string_length(v), CE_UTF8));
    case 2:
        return Rf_ScalarReal(json_number_value(v));
    case 3:
        return Rf_ScalarLogical(json_is_true(v));
    default:
        return R_NilValue;
    }
}

/* The array's common scalar kind (nulls allowed), or 0. */
static int array_kind(json_t *arr)
{
    size_t n = json_array_size(arr);
    int kind = 0;
    for (size_t i = 0; i < n; i++) {
        int k = scalar_kind(json_array_get(arr, i));
        if (k == 0)
            return 0;
        if (k == 4)
            continue;
        if (kind && k != kind)
            return 0;
        kind = k;
    }
    return n ? (kind ? kind : 0) : 0;
}

#define MAX_DEPTH 2048

typedef struct frame {
    json_t *j;
    SEXP r;       /* the list being filled (protected through `keep`) */
    size_t i, n;
    void *iter;   /* objects: the next member */
} frame;

static SEXP container_shell(json_t *j)
{
    size_t n = json_is_object(j) ? json_object_size(j) : json_array_size(j);
    SEXP r = PROTECT(Rf_allocVector(VECSXP, (R_xlen_t)n));
    if (json_is_object(j)) {
        SEXP names = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t)n));
        size_t i = 0;
        for (void *it = json_object_iter(j); it && i < n; it = json_object_iter_next(j, it), i++)
            SET_STRING_ELT(names, (R_xlen_t)i, Rf_mkCharCE(json_object_iter_key(it), CE_UTF8));
        Rf_setAttrib(r, R_NamesSymbol, names);
        UNPROTECT(1);
    }
    UNPROTECT(1);
    return r;
}

/* Convert without recursion: containers get a shell, then their children
 * are filled from an explicit stack. `keep` (a protected list) holds every
 * shell on the stack. */
static SEXP json_to_r(json_t *root)
{
    if (!json_is_object(root) && !(json_is_array(root) && array_kind(root) == 0))
        return json_is_array(root) ? atomic_array(root, array_kind(root)) : scalar(root);
    frame *stack = calloc(MAX_DEPTH, sizeof *stack);
    if (!stack)
        return R_NilValue;
    SEXP keep = PROTECT(Rf_allocVector(VECSXP, MAX_DEPTH));
    int top = 0;
    SEXP res = container_shell(root);
    SET_VECTOR_ELT(keep, 0, res);
    stack[0] = (frame){root, res, 0, json_is_object(root) ? json_object_size(root) : json_array_size(root),
                       json_is_object(root) ? json_object_iter(root) : NULL};
    while (top >= 0) {
        frame *f = &stack[top];
        if (f->i >= f->n) {
            SET_VECTOR_ELT(keep, top, R_NilValue);
            top--;
            continue;
        }
        json_t *child;
        if (json_is_object(f->j)) {
            child = json_object_iter_value(f->iter);
            f->iter = json_object_iter_next(f->j, f->iter);
        } else {
            child = json_array_get(f->j, f->i);
        }
        size_t at = f->i++;
        int container = json_is_object(child) || (json_is_array(child) && array_kind(child) == 0 &&
                                                  json_array_size(child) > 0);
        if (!container || top + 1 >= MAX_DEPTH) {
            SEXP v = json_is_array(child) ? (json_array_size(child) ? atomic_array(child, array_kind(child))
                                                                    : Rf_allocVector(VECSXP, 0))
                                          : container ? R_NilValue : scalar(child);
            SET_VECTOR_ELT(f->r, (R_xlen_t)at, v);
            continue;
        }
        SEXP shell = container_shell(child);
        SET_VECTOR_ELT(f->r, (R_xlen_t)at, shell); /* protected by its parent from here */
        top++;
        SET_VECTOR_ELT(keep, top, shell);
        stack[top] = (frame){child, shell, 0,
                             json_is_object(child) ? json_object_size(child) : json_array_size(child),
                             json_is_object(child) ? json_object_iter(child) : NULL};
    }
    free(stack);
    UNPROTECT(1);
    return res;
}

SEXP dbx_r_json(const char *text)
{
    json_t *j = json_loads(text ? text : "null", JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!j)
        return R_NilValue;
    SEXP r = PROTECT(json_to_r(j));
    json_decref(j);
    UNPROTECT(1);
    return r;
}

/* ---- client --------------------------------------------------------------------------- */

dbx_client *dbx_r_client(SEXP x)
{
    if (TYPEOF(x) != EXTPTRSXP)
        return NULL;
    return R_ExternalPtrAddr(x);
}

static void client_finalize(SEXP x)
{
    dbx_client *c = R_ExternalPtrAddr(x);
    if (c) {
        dbx_client_free(c);
        R_ClearExternalPtr(x);
    }
}

/* options: a named character vector */
SEXP r_dbx_client_new(SEXP options)
{
    dbx_client_options *o = NULL;
    dbx_status st = dbx_client_options_new(&o);
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    SEXP names = Rf_getAttrib(options, R_NamesSymbol);
    for (R_xlen_t i = 0; i < XLENGTH(options); i++) {
        const char *key = Rf_translateCharUTF8(STRING_ELT(names, i));
        const char *val = STRING_ELT(options, i) == NA_STRING ? NULL : Rf_translateCharUTF8(STRING_ELT(options, i));
        if ((st = dbx_client_options_set(o, key, val)) != DBX_OK) {
            dbx_client_options_free(o);
            return dbx_r_failure(NULL, st);
        }
    }
    dbx_client *c = NULL;
    st = dbx_client_new(&c, o);
    dbx_client_options_free(o);
    if (st != DBX_OK)
        return dbx_r_failure(NULL, st);
    SEXP ptr = PROTECT(R_MakeExternalPtr(c, Rf_install("dbx_client"), R_NilValue));
    R_RegisterCFinalizerEx(ptr, client_finalize, TRUE);
    UNPROTECT(1);
    return ptr;
}

SEXP r_dbx_client_close(SEXP x)
{
    client_finalize(x);
    return R_NilValue;
}

SEXP r_dbx_client_info(SEXP x)
{
    dbx_client *c = dbx_r_client(x);
    const char *names[] = {"host", "auth_type", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, dbx_r_mkstr_or_na(c ? dbx_client_host(c) : NULL));
    SET_VECTOR_ELT(out, 1, dbx_r_mkstr_or_na(c ? dbx_client_auth_type(c) : NULL));
    UNPROTECT(1);
    return out;
}

SEXP r_dbx_client_config_source(SEXP x, SEXP key)
{
    dbx_client *c = dbx_r_client(x);
    return dbx_r_mkstr_or_na(c ? dbx_client_config_source(c, dbx_r_str(key)) : NULL);
}

SEXP r_dbx_version(void)
{
    return Rf_mkString(dbx_version_str());
}


SEXP r_dbx_request(SEXP x, SEXP method, SEXP path, SEXP body)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_response *r = NULL;
    dbx_status st = dbx_request(&r, c, dbx_r_str(method), dbx_r_str(path), dbx_r_str(body));
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    size_t len = 0;
    const char *b = dbx_response_body(r, &len);
    const char *names[] = {"status", "body", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, Rf_ScalarInteger(dbx_response_status(r)));
    SET_VECTOR_ELT(out, 1, Rf_ScalarString(Rf_mkCharLenCE(b ? b : "", (int)len, CE_UTF8)));
    dbx_response_free(r);
    UNPROTECT(1);
    return out;
}

/* ---- waits ---------------------------------------------------------------------------- */

typedef dbx_r_wait wait_ctx;

static void check_interrupt(void *unused)
{
    (void)unused;
    R_CheckUserInterrupt();
}

typedef struct call_progress {
    SEXP fn;
    const char *id, *state;
    SEXP result;
} call_progress;

/* The wrapper (.dbx_progress) returns NULL, a "dbx_interrupt" marker, or the
 * error condition the callback raised: nothing unwinds through libdbx. */
static void run_progress(void *p)
{
    call_progress *cp = p;
    SEXP call = PROTECT(Rf_lang3(cp->fn, Rf_mkString(cp->id ? cp->id : ""), Rf_mkString(cp->state ? cp->state : "")));
    cp->result = Rf_eval(call, R_GlobalEnv);
    if (!Rf_isNull(cp->result))
        R_PreserveObject(cp->result);
    UNPROTECT(1);
}

static int on_poll(const char *id, const char *state, void *payload)
{
    wait_ctx *w = payload;
    if (!R_ToplevelExec(check_interrupt, NULL)) {
        w->interrupted = 1;
        return 1;
    }
    if (w->progress && !Rf_isNull(w->progress)) {
        call_progress cp = {w->progress, id, state, R_NilValue};
        if (!R_ToplevelExec(run_progress, &cp)) {
            w->interrupted = 1; /* only an interrupt gets past the wrapper's tryCatch */
            return 1;
        }
        if (!Rf_isNull(cp.result)) {
            if (Rf_inherits(cp.result, "dbx_interrupt")) {
                w->interrupted = 1;
                R_ReleaseObject(cp.result);
            } else {
                w->callback_failed = 1;
                w->callback_error = cp.result; /* released by wait_answer */
            }
            return 1;
        }
    }
    return 0;
}

void dbx_r_wait_opts(dbx_wait_options *o, wait_ctx *w, SEXP timeout, SEXP poll_interval, SEXP progress)
{
    dbx_wait_options_init(o, DBX_WAIT_OPTIONS_VERSION);
    if (!Rf_isNull(timeout) && Rf_asReal(timeout) > 0)
        o->timeout_ms = (long)(Rf_asReal(timeout) * 1000.0);
    if (!Rf_isNull(poll_interval) && Rf_asReal(poll_interval) > 0) {
        o->poll_initial_ms = (long)(Rf_asReal(poll_interval) * 1000.0);
        o->poll_max_ms = o->poll_initial_ms;
    }
    w->progress = Rf_isFunction(progress) ? progress : NULL;
    o->on_poll = on_poll;
    o->payload = w;
}

/* A wait's answer: list(result = <last snapshot or NULL>, failure = <dbx_failure or NULL>,
 * interrupted = TRUE/FALSE). */
SEXP dbx_r_wait_answer(dbx_client *c, dbx_status st, SEXP snapshot, const wait_ctx *w)
{
    const char *names[] = {"result", "failure", "interrupted", "callback_error", ""};
    PROTECT(snapshot);
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, snapshot);
    SET_VECTOR_ELT(out, 1, st == DBX_OK ? R_NilValue : dbx_r_failure(c, st));
    SET_VECTOR_ELT(out, 2, Rf_ScalarLogical(w->interrupted));
    if (w->callback_error) {
        SET_VECTOR_ELT(out, 3, w->callback_error);
        R_ReleaseObject(w->callback_error);
    }
    UNPROTECT(2);
    return out;
}

SEXP r_dbx_json_parse(SEXP text)
{
    return dbx_r_json(dbx_r_str(text));
}

/* ---- the shared entry points ------------------------------------------------------ */

const R_CallMethodDef dbx_r_calls_common[] = {
    {"r_dbx_version", (DL_FUNC)&r_dbx_version, 0},
    {"r_dbx_client_new", (DL_FUNC)&r_dbx_client_new, 1},
    {"r_dbx_client_close", (DL_FUNC)&r_dbx_client_close, 1},
    {"r_dbx_client_info", (DL_FUNC)&r_dbx_client_info, 1},
    {"r_dbx_client_config_source", (DL_FUNC)&r_dbx_client_config_source, 2},
    {"r_dbx_request", (DL_FUNC)&r_dbx_request, 4},
    {"r_dbx_json_parse", (DL_FUNC)&r_dbx_json_parse, 1},
    {NULL, NULL, 0}};

/* ---- pieces the area files share ---------------------------------------------------- */

void dbx_r_rows_finalize(SEXP h)
{
    dbx_sql_rows *r = R_ExternalPtrAddr(h);
    if (r) {
        dbx_sql_rows_free(r);
        R_ClearExternalPtr(h);
    }
}

SEXP dbx_r_holder(const char *tag, R_CFinalizer_t fin)
{
    SEXP h = PROTECT(R_MakeExternalPtr(NULL, Rf_install(tag), R_NilValue));
    R_RegisterCFinalizerEx(h, fin, TRUE);
    UNPROTECT(1);
    return h;
}

SEXP dbx_r_mkutf8(const char *s)
{
    return Rf_mkCharCE(s ? s : "", CE_UTF8);
}

int64_t dbx_r_int64_or(SEXP v, int64_t dflt)
{
    if (Rf_isNull(v) || XLENGTH(v) < 1)
        return dflt;
    double d = Rf_asReal(v);
    if (ISNAN(d))
        return dflt;
    if (d > 9.2e18)
        return INT64_MAX;
    if (d < -9.2e18)
        return INT64_MIN;
    return (int64_t)d;
}

dbx_r_membuf *dbx_r_membuf_attach(SEXP holder)
{
    dbx_r_membuf *m = calloc(1, sizeof *m);
    if (m)
        R_SetExternalPtrAddr(holder, m);
    return m;
}

int dbx_r_membuf_append(dbx_r_membuf *m, const char *data, size_t len)
{
    if (len > (size_t)R_XLEN_T_MAX - m->len)
        return 1;
    if (m->len + len > m->cap) {
        size_t cap = m->cap ? m->cap : 65536;
        while (cap < m->len + len)
            cap *= 2;
        char *p = realloc(m->buf, cap);
        if (!p)
            return 1;
        m->buf = p;
        m->cap = cap;
    }
    if (len)
        memcpy(m->buf + m->len, data, len);
    m->len += len;
    return 0;
}

SEXP dbx_r_membuf_raw(const dbx_r_membuf *m)
{
    SEXP out = Rf_allocVector(RAWSXP, (R_xlen_t)m->len);
    if (m->len)
        memcpy(RAW(out), m->buf, m->len);
    return out;
}

void dbx_r_membuf_finalize(SEXP holder)
{
    dbx_r_membuf *m = R_ExternalPtrAddr(holder);
    if (m) {
        free(m->buf);
        free(m);
        R_ClearExternalPtr(holder);
    }
}

void dbx_r_acc_init(dbx_r_acc *a)
{
    a->n = 0;
    a->cap = 16;
    PROTECT_WITH_INDEX(a->list = Rf_allocVector(VECSXP, a->cap), &a->pi);
}

void dbx_r_acc_push(dbx_r_acc *a, SEXP v)
{
    PROTECT(v);
    if (a->n == a->cap) {
        a->cap *= 2;
        REPROTECT(a->list = Rf_lengthgets(a->list, a->cap), a->pi);
    }
    SET_VECTOR_ELT(a->list, a->n++, v);
    UNPROTECT(1);
}

SEXP dbx_r_acc_done(dbx_r_acc *a)
{
    REPROTECT(a->list = Rf_lengthgets(a->list, a->n), a->pi);
    return a->list;
}
