/* R glue: the Workspace API (see dbx_r.h).
 *
 * Listings and walks come back as a named list of typed columns (R/workspace.R makes the
 * data.frame), inside a wait-style answer (dbx_r_wait_answer) so that Ctrl-C between objects
 * and errors raised by a walk_each callback reach R only after the C iterator is freed. */
#include <R_ext/Utils.h>
#include <string.h>

#include "dbx_r.h"

/* ---- enums: R passes the server spelling, checked in R against r_dbx_workspace_names ---- */

/* -1 for an unknown name; 0 (not sent) for NULL. */
static int format_code(SEXP s)
{
    const char *v = dbx_r_str(s);
    if (!v)
        return 0;
    for (int i = DBX_WORKSPACE_FORMAT_SOURCE; i <= DBX_WORKSPACE_FORMAT_AUTO; i++)
        if (!strcmp(v, dbx_workspace_format_name((dbx_workspace_format_t)i)))
            return i;
    return -1;
}

static int language_code(SEXP s)
{
    const char *v = dbx_r_str(s);
    if (!v)
        return 0;
    for (int i = DBX_WORKSPACE_LANGUAGE_PYTHON; i <= DBX_WORKSPACE_LANGUAGE_R; i++)
        if (!strcmp(v, dbx_workspace_language_name((dbx_workspace_language_t)i)))
            return i;
    return -1;
}

/* The spellings libdbx knows: kind "format", "language" or "object_type". */
SEXP r_dbx_workspace_names(SEXP kind)
{
    const char *k = dbx_r_str(kind);
    int which = k && !strcmp(k, "format") ? 0 : k && !strcmp(k, "language") ? 1 : 2;
    int hi = which == 0 ? DBX_WORKSPACE_FORMAT_AUTO
                        : which == 1 ? DBX_WORKSPACE_LANGUAGE_R : DBX_WORKSPACE_OBJECT_DASHBOARD;
    SEXP out = PROTECT(Rf_allocVector(STRSXP, hi));
    for (int i = 1; i <= hi; i++) {
        const char *name = which == 0   ? dbx_workspace_format_name((dbx_workspace_format_t)i)
                           : which == 1 ? dbx_workspace_language_name((dbx_workspace_language_t)i)
                                        : dbx_workspace_object_type_name((dbx_workspace_object_type_t)i);
        SET_STRING_ELT(out, i - 1, Rf_mkCharCE(name, CE_UTF8));
    }
    UNPROTECT(1);
    return out;
}

static int flag(SEXP x) { return !Rf_isNull(x) && Rf_asLogical(x) == TRUE; }
static int int_or_zero(SEXP x) { return Rf_isNull(x) ? 0 : Rf_asInteger(x); }
static int64_t ms_or_zero(SEXP x) { return Rf_isNull(x) ? 0 : (int64_t)Rf_asReal(x); }

/* ---- objects as typed columns ----------------------------------------------------------- */

enum { COL_PATH, COL_TYPE, COL_LANG, COL_ID, COL_RES, COL_CREATED, COL_MODIFIED, COL_SIZE, COL_DEPTH, N_COLS };
static const char *col_names[] = {"path", "object_type", "language", "object_id", "resource_id",
                                        "created_at", "modified_at", "size", "depth", ""};
static const SEXPTYPE col_types[] = {STRSXP, STRSXP, STRSXP, REALSXP, STRSXP, REALSXP, REALSXP, REALSXP, INTSXP};

static SEXP str_or_na(const char *s, int na_if_empty)
{
    return (!s || (na_if_empty && !*s)) ? NA_STRING : Rf_mkCharCE(s, CE_UTF8);
}

/* Row `i` of `cols` (a protected list of columns of at least i + 1 rows). Epoch ms as
 * doubles; 0 (absent) times and the size of non-files are NA. */
static void put_row(SEXP cols, R_xlen_t i, const dbx_workspace_object *o, int depth)
{
    SET_STRING_ELT(VECTOR_ELT(cols, COL_PATH), i, str_or_na(dbx_workspace_object_path(o), 0));
    SET_STRING_ELT(VECTOR_ELT(cols, COL_TYPE), i, str_or_na(dbx_workspace_object_type_str(o), 1));
    SET_STRING_ELT(VECTOR_ELT(cols, COL_LANG), i,
                   dbx_workspace_object_language(o) == DBX_WORKSPACE_LANGUAGE_NONE
                       ? NA_STRING
                       : str_or_na(dbx_workspace_object_language_str(o), 1));
    REAL(VECTOR_ELT(cols, COL_ID))[i] = (double)dbx_workspace_object_id(o);
    SET_STRING_ELT(VECTOR_ELT(cols, COL_RES), i, str_or_na(dbx_workspace_object_resource_id(o), 1));
    int64_t t = dbx_workspace_object_created_at(o);
    REAL(VECTOR_ELT(cols, COL_CREATED))[i] = t ? (double)t : NA_REAL;
    t = dbx_workspace_object_modified_at(o);
    REAL(VECTOR_ELT(cols, COL_MODIFIED))[i] = t ? (double)t : NA_REAL;
    REAL(VECTOR_ELT(cols, COL_SIZE))[i] = dbx_workspace_object_type(o) == DBX_WORKSPACE_OBJECT_FILE
                                              ? (double)dbx_workspace_object_size(o)
                                              : NA_REAL;
    INTEGER(VECTOR_ELT(cols, COL_DEPTH))[i] = depth;
}

static SEXP new_cols(R_xlen_t n)
{
    SEXP cols = PROTECT(Rf_mkNamed(VECSXP, col_names));
    for (int k = 0; k < N_COLS; k++)
        SET_VECTOR_ELT(cols, k, Rf_allocVector(col_types[k], n));
    UNPROTECT(1);
    return cols;
}

static void resize_cols(SEXP cols, R_xlen_t n)
{
    for (int k = 0; k < N_COLS; k++)
        SET_VECTOR_ELT(cols, k, Rf_lengthgets(VECTOR_ELT(cols, k), n));
}

/* Drain a list or walk iterator into columns. The loop runs under R_ToplevelExec, so that
 * neither Ctrl-C (checked every 64 objects) nor an R allocation error can unwind past the C
 * iterator: it is freed here in every case, before the answer is built. */
typedef dbx_status (*next_fn)(const dbx_workspace_object **o, int *depth, void *it);

static dbx_status list_next(const dbx_workspace_object **o, int *depth, void *it)
{
    *depth = NA_INTEGER;
    return dbx_workspace_iter_next(o, it);
}

static dbx_status walk_next(const dbx_workspace_object **o, int *depth, void *it)
{
    return dbx_workspace_walk_next(o, depth, it);
}

typedef struct drain_ctx {
    void *it;
    next_fn next;
    SEXP cols; /* protected by the caller */
    R_xlen_t n, cap;
    dbx_status st;
} drain_ctx;

static void drain_body(void *p)
{
    drain_ctx *d = p;
    const dbx_workspace_object *o;
    int depth;
    while ((d->st = d->next(&o, &depth, d->it)) == DBX_OK) {
        if (d->n == d->cap) {
            d->cap *= 2;
            resize_cols(d->cols, d->cap);
        }
        put_row(d->cols, d->n++, o, depth);
        if ((d->n & 63) == 0)
            R_CheckUserInterrupt();
    }
}

static SEXP drain(dbx_client *c, void *it, next_fn next, void (*free_it)(void *))
{
    dbx_r_wait w = {0};
    SEXP cols = PROTECT(new_cols(64));
    drain_ctx d = {it, next, cols, 0, 64, DBX_OK};
    if (!R_ToplevelExec(drain_body, &d))
        w.interrupted = 1; /* Ctrl-C (or R out of memory: R has reported it) */
    free_it(it);
    SEXP ans = PROTECT(dbx_r_wait_answer(c, d.st == DBX_DONE || w.interrupted ? DBX_OK : d.st,
                                         R_NilValue, &w));
    if (d.st == DBX_DONE && !w.interrupted) {
        resize_cols(cols, d.n);
        SET_VECTOR_ELT(ans, 0, cols);
    }
    UNPROTECT(2);
    return ans;
}

static void free_list_iter(void *it) { dbx_workspace_iter_free(it); }
static void free_walk_iter(void *it) { dbx_workspace_walk_free(it); }

SEXP r_dbx_workspace_list(SEXP x, SEXP path, SEXP after)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_workspace_list_options o = DBX_WORKSPACE_LIST_OPTIONS_INIT;
    o.notebooks_modified_after = ms_or_zero(after);
    dbx_workspace_iter *it = NULL;
    dbx_status st = dbx_workspace_list(&it, c, dbx_r_str(path), &o);
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    return drain(c, it, list_next, free_list_iter);
}

static void walk_opts(dbx_workspace_walk_options *o, SEXP max_depth, SEXP max_objects, SEXP after)
{
    *o = (dbx_workspace_walk_options)DBX_WORKSPACE_WALK_OPTIONS_INIT;
    o->max_depth = int_or_zero(max_depth);
    o->max_objects = Rf_isNull(max_objects) ? 0 : (long)Rf_asReal(max_objects);
    o->notebooks_modified_after = ms_or_zero(after);
}

SEXP r_dbx_workspace_walk(SEXP x, SEXP path, SEXP max_depth, SEXP max_objects, SEXP after)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_workspace_walk_options o;
    walk_opts(&o, max_depth, max_objects, after);
    dbx_workspace_walk_iter *it = NULL;
    dbx_status st = dbx_workspace_walk(&it, c, dbx_r_str(path), &o);
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    return drain(c, it, walk_next, free_walk_iter);
}

/* ---- walk_each: an R callback per object, never unwinding through libdbx --------------- */

typedef struct each_call {
    SEXP fn;
    const dbx_workspace_object *o;
    int depth;
    SEXP result;
} each_call;

static void run_each(void *p)
{
    each_call *ec = p;
    R_CheckUserInterrupt();
    SEXP cols = PROTECT(new_cols(1));
    put_row(cols, 0, ec->o, ec->depth);
    SEXP call = PROTECT(Rf_lang2(ec->fn, cols));
    ec->result = Rf_eval(call, R_GlobalEnv);
    if (!Rf_isNull(ec->result))
        R_PreserveObject(ec->result);
    UNPROTECT(2);
}

typedef struct each_ctx {
    dbx_r_wait w;
    int stopped;
} each_ctx;

/* The wrapper (.dbx_ws_walk_fn) returns NULL (go on), a "dbx_stop" marker, a "dbx_interrupt"
 * marker, or the error condition the callback raised. */
static int on_object(const dbx_workspace_object *o, int depth, void *payload)
{
    each_ctx *e = payload;
    each_call ec = {e->w.progress, o, depth, R_NilValue};
    if (!R_ToplevelExec(run_each, &ec)) {
        e->w.interrupted = 1;
        return 1;
    }
    if (Rf_isNull(ec.result))
        return 0;
    if (Rf_inherits(ec.result, "dbx_stop")) {
        e->stopped = 1;
        R_ReleaseObject(ec.result);
    } else if (Rf_inherits(ec.result, "dbx_interrupt")) {
        e->w.interrupted = 1;
        R_ReleaseObject(ec.result);
    } else {
        e->w.callback_failed = 1;
        e->w.callback_error = ec.result; /* released by dbx_r_wait_answer */
    }
    return 1;
}

SEXP r_dbx_workspace_walk_each(SEXP x, SEXP path, SEXP fn, SEXP max_depth, SEXP max_objects, SEXP after)
{
    DBX_R_NEED_CLIENT(c, x);
    if (!Rf_isFunction(fn))
        return dbx_r_failure(NULL, DBX_EINVAL);
    dbx_workspace_walk_options o;
    walk_opts(&o, max_depth, max_objects, after);
    each_ctx e = {{fn, 0, 0, NULL}, 0};
    dbx_status st = dbx_workspace_walk_each(c, dbx_r_str(path), &o, on_object, &e);
    int stopped_by_fn = st == DBX_ECANCELLED && (e.stopped || e.w.interrupted || e.w.callback_failed);
    SEXP done = PROTECT(Rf_ScalarLogical(st == DBX_OK));
    SEXP ans = dbx_r_wait_answer(c, stopped_by_fn ? DBX_OK : st, done, &e.w);
    UNPROTECT(1);
    return ans;
}

/* ---- simple operations ------------------------------------------------------------------ */

/* R values built from libdbx-owned memory under R_ToplevelExec: an R error there cannot
 * unwind past the owned C result, which the caller frees right after. The value is
 * preserved (the caller releases it); NULL when R failed. */
typedef struct guarded {
    int kind; /* 0: JSON text -> R; 1: bytes -> raw vector; 2: string -> character(1) */
    const char *data;
    size_t len;
    SEXP out;
} guarded;

static void guarded_body(void *p)
{
    guarded *g = p;
    SEXP v;
    if (g->kind == 0) {
        v = dbx_r_json(g->data);
    } else if (g->kind == 1) {
        v = Rf_allocVector(RAWSXP, (R_xlen_t)g->len);
        if (g->len)
            memcpy(RAW(v), g->data, g->len);
    } else {
        v = Rf_mkString(g->data ? g->data : "");
    }
    R_PreserveObject(v);
    g->out = v;
}

static SEXP guarded_value(int kind, const char *data, size_t len)
{
    guarded g = {kind, data, len, NULL};
    if (!R_ToplevelExec(guarded_body, &g))
        return NULL;
    return g.out;
}

/* A preserved value as an ordinary (protected) one. */
static SEXP unpreserve(SEXP v)
{
    PROTECT(v);
    R_ReleaseObject(v);
    UNPROTECT(1);
    return v;
}

SEXP r_dbx_workspace_get_status(SEXP x, SEXP path)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_workspace_object *o = NULL;
    dbx_status st = dbx_workspace_get_status(&o, c, dbx_r_str(path));
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    SEXP out = guarded_value(0, dbx_workspace_object_json(o), 0);
    dbx_workspace_object_free(o);
    return out ? unpreserve(out) : dbx_r_failure(NULL, DBX_ENOMEM);
}

SEXP r_dbx_workspace_mkdirs(SEXP x, SEXP path)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_status st = dbx_workspace_mkdirs(c, dbx_r_str(path));
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

SEXP r_dbx_workspace_delete(SEXP x, SEXP path, SEXP recursive)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_status st = dbx_workspace_delete(c, dbx_r_str(path), flag(recursive));
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

/* ---- import / export -------------------------------------------------------------------- */

/* content: a raw vector (imported as is) or NULL with `file` a local path. */
SEXP r_dbx_workspace_import(SEXP x, SEXP path, SEXP content, SEXP file, SEXP format, SEXP language,
                            SEXP overwrite)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_workspace_import_options o = DBX_WORKSPACE_IMPORT_OPTIONS_INIT;
    int f = format_code(format), l = language_code(language);
    if (f < 0 || l < 0)
        return dbx_r_failure(NULL, DBX_EINVAL);
    o.format = (dbx_workspace_format_t)f;
    o.language = (dbx_workspace_language_t)l;
    o.overwrite = flag(overwrite);
    dbx_status st;
    if (TYPEOF(content) == RAWSXP)
        st = dbx_workspace_import(c, dbx_r_str(path), XLENGTH(content) ? RAW(content) : NULL,
                                  (size_t)XLENGTH(content), &o);
    else
        st = dbx_workspace_import_file(c, dbx_r_str(path), dbx_r_str(file), &o);
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

/* Without `file`: a raw vector with attribute "file_type". With `file`: the file_type. */
SEXP r_dbx_workspace_export(SEXP x, SEXP path, SEXP format, SEXP file, SEXP overwrite)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_workspace_export_options o = DBX_WORKSPACE_EXPORT_OPTIONS_INIT;
    int f = format_code(format);
    if (f < 0)
        return dbx_r_failure(NULL, DBX_EINVAL);
    o.format = (dbx_workspace_format_t)f;
    o.overwrite = flag(overwrite);
    char *ft = NULL;
    if (!Rf_isNull(file)) {
        dbx_status st = dbx_workspace_export_file(&ft, c, dbx_r_str(path), dbx_r_str(file), &o);
        if (st != DBX_OK)
            return dbx_r_failure(c, st);
        SEXP out = guarded_value(2, ft, 0);
        dbx_free(ft);
        return out ? unpreserve(out) : dbx_r_failure(NULL, DBX_ENOMEM);
    }
    char *data = NULL;
    size_t len = 0;
    dbx_status st = dbx_workspace_export(&data, &len, &ft, c, dbx_r_str(path), &o);
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    SEXP out = guarded_value(1, data, len);
    dbx_free(data);
    SEXP fts = out ? guarded_value(2, ft, 0) : NULL;
    dbx_free(ft);
    if (!out || !fts) {
        if (out)
            R_ReleaseObject(out);
        return dbx_r_failure(NULL, DBX_ENOMEM);
    }
    PROTECT(out);
    PROTECT(fts);
    R_ReleaseObject(out);
    R_ReleaseObject(fts);
    Rf_setAttrib(out, Rf_install("file_type"), fts);
    UNPROTECT(2);
    return out;
}

SEXP r_dbx_workspace_export_dir(SEXP x, SEXP remote_dir, SEXP local_dir, SEXP format, SEXP overwrite,
                                SEXP max_depth, SEXP max_objects)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_workspace_export_dir_options o = DBX_WORKSPACE_EXPORT_DIR_OPTIONS_INIT;
    int f = format_code(format);
    if (f < 0)
        return dbx_r_failure(NULL, DBX_EINVAL);
    o.format = (dbx_workspace_format_t)f;
    o.overwrite = flag(overwrite);
    o.max_depth = int_or_zero(max_depth);
    o.max_objects = Rf_isNull(max_objects) ? 0 : (long)Rf_asReal(max_objects);
    dbx_status st = dbx_workspace_export_dir(c, dbx_r_str(remote_dir), dbx_r_str(local_dir), &o);
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

SEXP r_dbx_workspace_import_dir(SEXP x, SEXP local_dir, SEXP remote_dir, SEXP overwrite, SEXP max_depth)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_workspace_import_dir_options o = DBX_WORKSPACE_IMPORT_DIR_OPTIONS_INIT;
    o.overwrite = flag(overwrite);
    o.max_depth = int_or_zero(max_depth);
    long n = 0;
    dbx_status st = dbx_workspace_import_dir(&n, c, dbx_r_str(local_dir), dbx_r_str(remote_dir), &o);
    /* what was imported before a failure stays: the count comes back with the failure */
    if (st != DBX_OK) {
        SEXP f = PROTECT(dbx_r_failure(c, st));
        Rf_setAttrib(f, Rf_install("n_imported"), Rf_ScalarReal((double)n));
        UNPROTECT(1);
        return f;
    }
    return Rf_ScalarReal((double)n);
}

const R_CallMethodDef dbx_r_calls_workspace[] = {
    {"r_dbx_workspace_names", (DL_FUNC)&r_dbx_workspace_names, 1},
    {"r_dbx_workspace_list", (DL_FUNC)&r_dbx_workspace_list, 3},
    {"r_dbx_workspace_walk", (DL_FUNC)&r_dbx_workspace_walk, 5},
    {"r_dbx_workspace_walk_each", (DL_FUNC)&r_dbx_workspace_walk_each, 6},
    {"r_dbx_workspace_get_status", (DL_FUNC)&r_dbx_workspace_get_status, 2},
    {"r_dbx_workspace_mkdirs", (DL_FUNC)&r_dbx_workspace_mkdirs, 2},
    {"r_dbx_workspace_delete", (DL_FUNC)&r_dbx_workspace_delete, 3},
    {"r_dbx_workspace_import", (DL_FUNC)&r_dbx_workspace_import, 7},
    {"r_dbx_workspace_export", (DL_FUNC)&r_dbx_workspace_export, 5},
    {"r_dbx_workspace_export_dir", (DL_FUNC)&r_dbx_workspace_export_dir, 7},
    {"r_dbx_workspace_import_dir", (DL_FUNC)&r_dbx_workspace_import_dir, 5},
    {NULL, NULL, 0}};
