/*
 * R glue: the DBFS API 2.0 (see dbx_r.h).
 *
 * Transfers: uploads read a local file (libdbx reads it) or an R raw vector
 * (a dbx_source over its bytes, no copy); downloads write a local file
 * (libdbx writes it beside, then renames) or collect into C memory owned by
 * an external pointer (freed by R's GC if building the raw vector fails),
 * copied into one raw vector once libdbx has returned. The progress
 * callback runs under R_ToplevelExec (errors and Ctrl-C come back as values
 * and stop the transfer through on_progress, never by unwinding through
 * libdbx); answers use dbx_r_wait_answer, read by R's .dbx_wait_result.
 */
#include <R_ext/Utils.h>
#include <stdlib.h>
#include <string.h>

#include "dbx_r.h"

/* ---- file info ------------------------------------------------------------------------ */

static SEXP file_info(const dbx_dbfs_file_info *fi)
{
    const char *names[] = {"path", "is_dir", "file_size", "modification_time", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, Rf_ScalarString(Rf_mkCharCE(dbx_dbfs_file_info_path(fi), CE_UTF8)));
    SET_VECTOR_ELT(out, 1, Rf_ScalarLogical(dbx_dbfs_file_info_is_dir(fi)));
    SET_VECTOR_ELT(out, 2, Rf_ScalarReal((double)dbx_dbfs_file_info_file_size(fi)));
    SET_VECTOR_ELT(out, 3, Rf_ScalarReal((double)dbx_dbfs_file_info_modification_time(fi)));
    /* the whole FileInfo object as the service sent it (fields the accessors do not cover) */
    SEXP raw = PROTECT(dbx_r_json(dbx_dbfs_file_info_json(fi)));
    Rf_setAttrib(out, Rf_install("raw"), raw);
    UNPROTECT(2);
    return out;
}

static void info_finalize(SEXP p)
{
    dbx_dbfs_file_info *fi = R_ExternalPtrAddr(p);
    if (fi) {
        dbx_dbfs_file_info_free(fi);
        R_ClearExternalPtr(p);
    }
}

SEXP r_dbx_dbfs_get_status(SEXP x, SEXP path)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_dbfs_file_info *fi = NULL;
    dbx_status st = dbx_dbfs_get_status(&fi, c, dbx_r_str(path));
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    /* owned by an external pointer while R allocates: an R error cannot leak it */
    SEXP holder = PROTECT(R_MakeExternalPtr(fi, R_NilValue, R_NilValue));
    R_RegisterCFinalizerEx(holder, info_finalize, TRUE);
    SEXP out = PROTECT(file_info(fi));
    info_finalize(holder);
    UNPROTECT(2);
    return out;
}

/* ---- list ----------------------------------------------------------------------------- */

static void iter_finalize(SEXP p)
{
    dbx_dbfs_iter *it = R_ExternalPtrAddr(p);
    if (it) {
        dbx_dbfs_iter_free(it);
        R_ClearExternalPtr(p);
    }
}

/* The entries as a list of FileInfo lists. The iterator lives in an external
 * pointer with a finaliser while R allocates, so an R error cannot leak it. */
SEXP r_dbx_dbfs_list(SEXP x, SEXP path)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_dbfs_iter *it = NULL;
    dbx_status st = dbx_dbfs_list(&it, c, dbx_r_str(path));
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    SEXP holder = PROTECT(R_MakeExternalPtr(it, R_NilValue, R_NilValue));
    R_RegisterCFinalizerEx(holder, iter_finalize, TRUE);
    R_xlen_t n = 0, cap = 16;
    PROTECT_INDEX pi;
    SEXP acc;
    PROTECT_WITH_INDEX(acc = Rf_allocVector(VECSXP, cap), &pi);
    const dbx_dbfs_file_info *fi;
    while ((st = dbx_dbfs_iter_next(&fi, it)) == DBX_OK) {
        if (n == cap) {
            cap *= 2;
            REPROTECT(acc = Rf_lengthgets(acc, cap), pi);
        }
        SET_VECTOR_ELT(acc, n++, file_info(fi));
    }
    SEXP out = st == DBX_DONE ? Rf_lengthgets(acc, n) : dbx_r_failure(c, st);
    iter_finalize(holder);
    UNPROTECT(2);
    return out;
}

/* ---- small calls ---------------------------------------------------------------------- */

SEXP r_dbx_dbfs_mkdirs(SEXP x, SEXP path)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_status st = dbx_dbfs_mkdirs(c, dbx_r_str(path));
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

SEXP r_dbx_dbfs_delete(SEXP x, SEXP path, SEXP recursive)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_status st = dbx_dbfs_delete(c, dbx_r_str(path), Rf_asLogical(recursive) == 1);
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

SEXP r_dbx_dbfs_move(SEXP x, SEXP source_path, SEXP destination_path)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_status st = dbx_dbfs_move(c, dbx_r_str(source_path), dbx_r_str(destination_path));
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

/* contents: a raw vector (R turns text into raw first) */
SEXP r_dbx_dbfs_put(SEXP x, SEXP path, SEXP contents, SEXP overwrite)
{
    DBX_R_NEED_CLIENT(c, x);
    if (TYPEOF(contents) != RAWSXP)
        return dbx_r_failure(NULL, DBX_EINVAL);
    size_t len = (size_t)XLENGTH(contents);
    dbx_status st = dbx_dbfs_put(c, dbx_r_str(path), len ? RAW(contents) : NULL, len,
                                 Rf_asLogical(overwrite) == 1);
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

/* ---- progress ------------------------------------------------------------------------- */

typedef struct transfer {
    dbx_r_wait w; /* progress fn, interrupted, callback_error: read by dbx_r_wait_answer */
} transfer;

static void check_interrupt(void *unused)
{
    (void)unused;
    R_CheckUserInterrupt();
}

typedef struct call_progress {
    SEXP fn;
    double done, total;
    SEXP result;
} call_progress;

/* The R wrapper (.dbx_dbfs_progress) returns NULL, a "dbx_interrupt" marker
 * or the condition the user's function raised. */
static void run_progress(void *p)
{
    call_progress *cp = p;
    SEXP done = PROTECT(Rf_ScalarReal(cp->done));
    SEXP total = PROTECT(Rf_ScalarReal(cp->total));
    SEXP call = PROTECT(Rf_lang3(cp->fn, done, total));
    cp->result = Rf_eval(call, R_GlobalEnv);
    if (!Rf_isNull(cp->result))
        R_PreserveObject(cp->result);
    UNPROTECT(3);
}

static int on_progress(void *payload, uint64_t done, int64_t total)
{
    transfer *t = payload;
    if (!R_ToplevelExec(check_interrupt, NULL)) {
        t->w.interrupted = 1;
        return 1;
    }
    if (!t->w.progress)
        return 0;
    call_progress cp = {t->w.progress, (double)done, total < 0 ? NA_REAL : (double)total, R_NilValue};
    if (!R_ToplevelExec(run_progress, &cp)) {
        t->w.interrupted = 1; /* only an interrupt gets past the wrapper's tryCatch */
        return 1;
    }
    if (Rf_isNull(cp.result))
        return 0;
    if (Rf_inherits(cp.result, "dbx_interrupt")) {
        t->w.interrupted = 1;
        R_ReleaseObject(cp.result);
    } else {
        t->w.callback_failed = 1;
        t->w.callback_error = cp.result; /* released by dbx_r_wait_answer */
    }
    return 1;
}

static void transfer_init(transfer *t, SEXP progress)
{
    memset(t, 0, sizeof *t);
    t->w.progress = Rf_isFunction(progress) ? progress : NULL;
}

/* ---- upload --------------------------------------------------------------------------- */

typedef struct raw_source {
    const unsigned char *data;
    size_t len, pos;
} raw_source;

static int raw_read(void *payload, char *buf, size_t cap, size_t *n)
{
    raw_source *r = payload;
    size_t k = r->len - r->pos < cap ? r->len - r->pos : cap;
    if (k)
        memcpy(buf, r->data + r->pos, k);
    r->pos += k;
    *n = k;
    return 0;
}

static int raw_rewind(void *payload)
{
    ((raw_source *)payload)->pos = 0;
    return 0;
}

/* source: a local path (character) or a raw vector; answer as dbx_r_wait_answer */
SEXP r_dbx_dbfs_upload(SEXP x, SEXP path, SEXP source, SEXP overwrite, SEXP max_restarts, SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    transfer t;
    transfer_init(&t, progress);
    dbx_dbfs_upload_options o = DBX_DBFS_UPLOAD_OPTIONS_INIT;
    o.overwrite = Rf_asLogical(overwrite) == 1;
    if (!Rf_isNull(max_restarts)) {
        int m = Rf_asInteger(max_restarts);
        o.max_restarts = m == NA_INTEGER ? -2 /* refused by libdbx */ : m == 0 ? -1 : m;
    }
    o.on_progress = on_progress;
    o.payload = &t;
    dbx_status st;
    if (TYPEOF(source) == RAWSXP) {
        raw_source r = {XLENGTH(source) ? RAW(source) : NULL, (size_t)XLENGTH(source), 0};
        dbx_source src = DBX_SOURCE_INIT;
        src.read = raw_read;
        src.rewind = raw_rewind;
        src.payload = &r;
        src.size = (int64_t)r.len;
        st = dbx_dbfs_upload(c, dbx_r_str(path), &src, &o);
    } else {
        st = dbx_dbfs_upload_file(c, dbx_r_str(path), dbx_r_str(source), &o);
    }
    return dbx_r_wait_answer(c, st, Rf_ScalarLogical(st == DBX_OK), &t.w);
}

/* ---- download ------------------------------------------------------------------------- */

typedef struct mem_sink {
    transfer t;
    unsigned char *data;
    size_t len, cap;
    double skip, left; /* bytes still to skip (offset), bytes still wanted (<0: all) */
    int oom, enough;
} mem_sink;

static void sink_finalize(SEXP p)
{
    mem_sink *m = R_ExternalPtrAddr(p);
    if (m) {
        free(m->data);
        free(m);
        R_ClearExternalPtr(p);
    }
}

static int mem_sink_fn(void *payload, const char *data, size_t len)
{
    mem_sink *m = payload;
    if (m->skip > 0) {
        size_t s = m->skip >= (double)len ? len : (size_t)m->skip;
        m->skip -= (double)s;
        data += s;
        len -= s;
    }
    if (m->left >= 0 && (double)len > m->left)
        len = (size_t)m->left;
    if (len) {
        if (m->len + len > m->cap) {
            size_t cap = m->cap ? m->cap : 1024 * 1024;
            while (cap < m->len + len)
                cap *= 2;
            unsigned char *p = realloc(m->data, cap);
            if (!p) {
                m->oom = 1;
                return 1;
            }
            m->data = p;
            m->cap = cap;
        }
        memcpy(m->data + m->len, data, len);
        m->len += len;
    }
    if (m->left >= 0) {
        m->left -= (double)len;
        if (m->left <= 0) {
            m->enough = 1; /* the bytes asked for are here: stop reading */
            return 1;
        }
    }
    return 0;
}

static int mem_progress(void *payload, uint64_t done, int64_t total)
{
    return on_progress(&((mem_sink *)payload)->t, done, total);
}

/* destination: a local path (written by libdbx) or NULL (a raw vector is
 * returned); offset/length (bytes, length < 0: to the end) only for raw. */
SEXP r_dbx_dbfs_download(SEXP x, SEXP path, SEXP destination, SEXP overwrite, SEXP offset, SEXP length,
                         SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_dbfs_download_options o = DBX_DBFS_DOWNLOAD_OPTIONS_INIT;
    o.overwrite = Rf_asLogical(overwrite) == 1;
    if (!Rf_isNull(destination)) {
        transfer t;
        transfer_init(&t, progress);
        o.on_progress = on_progress;
        o.payload = &t;
        dbx_status st = dbx_dbfs_download_file(c, dbx_r_str(path), dbx_r_str(destination), &o);
        return dbx_r_wait_answer(c, st, Rf_ScalarLogical(st == DBX_OK), &t.w);
    }
    mem_sink *m = calloc(1, sizeof *m);
    if (!m)
        return dbx_r_failure(NULL, DBX_ENOMEM);
    SEXP holder = PROTECT(R_MakeExternalPtr(m, R_NilValue, R_NilValue));
    R_RegisterCFinalizerEx(holder, sink_finalize, TRUE);
    transfer_init(&m->t, progress);
    m->skip = Rf_isNull(offset) ? 0 : Rf_asReal(offset);
    m->left = Rf_isNull(length) ? -1 : Rf_asReal(length);
    o.on_progress = mem_progress;
    o.payload = m;
    dbx_status st = dbx_dbfs_download(c, dbx_r_str(path), mem_sink_fn, m, &o);
    if (st == DBX_ECANCELLED && m->enough && !m->t.w.interrupted && !m->t.w.callback_failed)
        st = DBX_OK; /* stopped on purpose after `length` bytes */
    SEXP raw = R_NilValue;
    if (st == DBX_OK) {
        raw = Rf_allocVector(RAWSXP, (R_xlen_t)m->len);
        if (m->len)
            memcpy(RAW(raw), m->data, m->len);
    }
    PROTECT(raw);
    SEXP out = PROTECT(dbx_r_wait_answer(c, st == DBX_ECANCELLED && m->oom ? DBX_ENOMEM : st, raw, &m->t.w));
    sink_finalize(holder);
    UNPROTECT(3);
    return out;
}

const R_CallMethodDef dbx_r_calls_dbfs[] = {
    {"r_dbx_dbfs_get_status", (DL_FUNC)&r_dbx_dbfs_get_status, 2},
    {"r_dbx_dbfs_list", (DL_FUNC)&r_dbx_dbfs_list, 2},
    {"r_dbx_dbfs_mkdirs", (DL_FUNC)&r_dbx_dbfs_mkdirs, 2},
    {"r_dbx_dbfs_delete", (DL_FUNC)&r_dbx_dbfs_delete, 3},
    {"r_dbx_dbfs_move", (DL_FUNC)&r_dbx_dbfs_move, 3},
    {"r_dbx_dbfs_put", (DL_FUNC)&r_dbx_dbfs_put, 4},
    {"r_dbx_dbfs_upload", (DL_FUNC)&r_dbx_dbfs_upload, 6},
    {"r_dbx_dbfs_download", (DL_FUNC)&r_dbx_dbfs_download, 7},
    {NULL, NULL, 0}};
