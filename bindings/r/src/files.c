/*
 * R glue: the Files API for Unity Catalog volumes (see dbx_r.h).
 *
 * Transfers call back into R (a progress function, a connection reader or
 * writer made by R/files.R) only through R_ToplevelExec, and the R side wraps
 * each function in tryCatch: an R error comes back as a value and stops the
 * transfer (the callback returns non-zero), Ctrl-C is seen by the progress
 * callback (always installed), and nothing ever unwinds through libdbx. The
 * answer is the wait-style list of dbx_r_wait_answer, so R/errors.R's
 * .dbx_wait_result re-raises the callback's error, the interrupt, or the
 * libdbx failure once libdbx has returned.
 */
#include <R_ext/Utils.h>
#include <stdlib.h>
#include <string.h>

#include "dbx_r.h"

/* ---- one transfer's callbacks ----------------------------------------------------------- */

typedef struct xfer {
    dbx_r_wait w;   /* progress, interrupted, callback_error (as the waits) */
    SEXP reader;    /* function(n) -> raw | condition | dbx_interrupt marker, or NULL */
    SEXP writer;    /* function(raw) -> NULL | condition | marker, or NULL */
    dbx_r_membuf *mem; /* a download into memory */
} xfer;

/* The value a wrapped R callback returned: NULL (fine), a condition (kept for R), or the
 * interrupt marker. Returns 0 to go on, 1 to stop. `v` must be protected by the caller. */
static int outcome(xfer *x, SEXP v)
{
    if (Rf_isNull(v))
        return 0;
    if (Rf_inherits(v, "dbx_interrupt")) {
        x->w.interrupted = 1;
        return 1;
    }
    if (Rf_inherits(v, "condition")) {
        if (!x->w.callback_error) {
            R_PreserveObject(v); /* released by dbx_r_wait_answer */
            x->w.callback_error = v;
            x->w.callback_failed = 1;
        }
        return 1;
    }
    return 0;
}

static void check_interrupt(void *unused)
{
    (void)unused;
    R_CheckUserInterrupt();
}

typedef struct pcall {
    xfer *x;
    double done, total;
    int stop;
} pcall;

static void run_progress(void *p)
{
    pcall *pc = p;
    SEXP call = PROTECT(Rf_lang3(pc->x->w.progress, Rf_ScalarReal(pc->done), Rf_ScalarReal(pc->total)));
    SEXP v = PROTECT(Rf_eval(call, R_GlobalEnv));
    pc->stop = outcome(pc->x, v);
    UNPROTECT(2);
}

static int on_progress(void *payload, int64_t done, int64_t total)
{
    xfer *x = payload;
    if (!R_ToplevelExec(check_interrupt, NULL)) {
        x->w.interrupted = 1;
        return 1;
    }
    if (!x->w.progress)
        return 0;
    pcall pc = {x, (double)done, total < 0 ? NA_REAL : (double)total, 0};
    if (!R_ToplevelExec(run_progress, &pc)) {
        x->w.interrupted = 1; /* only an interrupt gets past the wrapper's tryCatch */
        return 1;
    }
    return pc.stop;
}

typedef struct rcall {
    xfer *x;
    char *buf;
    size_t cap, n;
    int stop;
} rcall;

static void run_reader(void *p)
{
    rcall *rc = p;
    /* at most 1 MiB per call (short reads are allowed): readBin allocates what is asked */
    double want = rc->cap > (size_t)1 << 20 ? (double)((size_t)1 << 20) : (double)rc->cap;
    SEXP call = PROTECT(Rf_lang2(rc->x->reader, Rf_ScalarReal(want)));
    SEXP v = PROTECT(Rf_eval(call, R_GlobalEnv));
    if (TYPEOF(v) == RAWSXP) {
        size_t n = (size_t)XLENGTH(v);
        if (n > rc->cap) {
            rc->stop = 1; /* more than asked: a broken reader */
        } else {
            if (n)
                memcpy(rc->buf, RAW(v), n);
            rc->n = n;
        }
    } else {
        rc->stop = outcome(rc->x, v);
        if (!rc->stop)
            rc->stop = 1; /* neither raw nor a condition */
    }
    UNPROTECT(2);
}

static int on_read(void *payload, char *buf, size_t cap, size_t *n)
{
    xfer *x = payload;
    *n = 0;
    rcall rc = {x, buf, cap, 0, 0};
    if (!R_ToplevelExec(run_reader, &rc)) {
        x->w.interrupted = 1;
        return 1;
    }
    *n = rc.n;
    return rc.stop;
}

typedef struct wcall {
    xfer *x;
    const char *data;
    size_t len;
    int stop;
} wcall;

static void run_writer(void *p)
{
    wcall *wc = p;
    SEXP raw = PROTECT(Rf_allocVector(RAWSXP, (R_xlen_t)wc->len));
    if (wc->len)
        memcpy(RAW(raw), wc->data, wc->len);
    SEXP call = PROTECT(Rf_lang2(wc->x->writer, raw));
    SEXP v = PROTECT(Rf_eval(call, R_GlobalEnv));
    wc->stop = outcome(wc->x, v);
    UNPROTECT(3);
}

static int on_write(void *payload, const char *data, size_t len)
{
    xfer *x = payload;
    wcall wc = {x, data, len, 0};
    if (!R_ToplevelExec(run_writer, &wc)) {
        x->w.interrupted = 1;
        return 1;
    }
    return wc.stop;
}

static int on_memory(void *payload, const char *data, size_t len)
{
    /* 1 (DBX_ECANCELLED) when out of memory: rare enough not to refine */
    return dbx_r_membuf_append(((xfer *)payload)->mem, data, len);
}

static void xfer_init(xfer *x, SEXP progress)
{
    memset(x, 0, sizeof *x);
    x->w.progress = Rf_isFunction(progress) ? progress : NULL;
}


/* ---- upload ----------------------------------------------------------------------------- */

/* `file`: character(1) local path, a raw vector, or a reader function(n) (a connection,
 * wrapped by R/files.R). overwrite: NULL / TRUE / FALSE. */
SEXP r_dbx_files_upload(SEXP x, SEXP path, SEXP file, SEXP overwrite, SEXP threshold, SEXP part_size,
                        SEXP size, SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    xfer t;
    xfer_init(&t, progress);
    dbx_files_upload_options o = DBX_FILES_UPLOAD_OPTIONS_INIT;
    o.overwrite = Rf_isNull(overwrite) || Rf_asLogical(overwrite) == NA_LOGICAL ? 0
                  : Rf_asLogical(overwrite)                                     ? 1
                                                                                : -1;
    o.multipart_threshold = dbx_r_int64_or(threshold, 0);
    o.part_size = dbx_r_int64_or(part_size, 0);
    o.progress = on_progress;
    o.progress_payload = &t;
    const char *rp = dbx_r_str(path);
    dbx_status st;
    if (TYPEOF(file) == RAWSXP) {
        st = dbx_files_upload_buffer(c, rp, XLENGTH(file) ? (const void *)RAW(file) : NULL,
                                     (size_t)XLENGTH(file), &o);
    } else if (Rf_isFunction(file)) {
        t.reader = file;
        dbx_source src = DBX_SOURCE_INIT;
        src.read = on_read;
        src.payload = &t;
        src.size = dbx_r_int64_or(size, -1);
        st = dbx_files_upload(c, rp, &src, &o);
    } else if (Rf_isString(file) && XLENGTH(file) == 1 && STRING_ELT(file, 0) != NA_STRING) {
        st = dbx_files_upload_file(c, rp, R_ExpandFileName(Rf_translateChar(STRING_ELT(file, 0))), &o);
    } else {
        return dbx_r_failure(NULL, DBX_EINVAL);
    }
    return dbx_r_wait_answer(c, st, Rf_ScalarLogical(1), &t.w);
}

/* ---- download --------------------------------------------------------------------------- */

/* `destination`: NULL (a raw vector comes back), character(1) local path, or a writer
 * function(raw) (a connection, wrapped by R/files.R). */
SEXP r_dbx_files_download(SEXP x, SEXP path, SEXP destination, SEXP overwrite, SEXP max_resumes,
                          SEXP progress)
{
    DBX_R_NEED_CLIENT(c, x);
    xfer t;
    xfer_init(&t, progress);
    dbx_files_download_options o = DBX_FILES_DOWNLOAD_OPTIONS_INIT;
    o.overwrite = Rf_asLogical(overwrite) == 1;
    if (!Rf_isNull(max_resumes)) {
        int m = Rf_asInteger(max_resumes);
        o.max_resumes = m == NA_INTEGER || m <= 0 ? -1 : m;
    }
    o.progress = on_progress;
    o.progress_payload = &t;
    const char *rp = dbx_r_str(path);
    dbx_status st;
    if (Rf_isNull(destination)) {
        SEXP holder = PROTECT(dbx_r_holder("dbx_membuf", dbx_r_membuf_finalize));
        dbx_r_membuf *m = dbx_r_membuf_attach(holder);
        if (!m) {
            UNPROTECT(1);
            return dbx_r_failure(NULL, DBX_ENOMEM);
        }
        t.mem = m;
        st = dbx_files_download(c, rp, on_memory, &t, &o);
        SEXP out = R_NilValue;
        if (st == DBX_OK) {
            out = PROTECT(dbx_r_membuf_raw(m));
        } else {
            PROTECT(out);
        }
        SEXP ans = PROTECT(dbx_r_wait_answer(c, st, out, &t.w));
        dbx_r_membuf_finalize(holder);
        UNPROTECT(3);
        return ans;
    }
    if (Rf_isFunction(destination)) {
        t.writer = destination;
        st = dbx_files_download(c, rp, on_write, &t, &o);
    } else if (Rf_isString(destination) && XLENGTH(destination) == 1 && STRING_ELT(destination, 0) != NA_STRING) {
        st = dbx_files_download_file(c, rp, R_ExpandFileName(Rf_translateChar(STRING_ELT(destination, 0))), &o);
    } else {
        return dbx_r_failure(NULL, DBX_EINVAL);
    }
    return dbx_r_wait_answer(c, st, Rf_ScalarLogical(1), &t.w);
}

/* ---- metadata, delete, directories ---------------------------------------------------------- */

static SEXP num_or_na(int64_t v) { return Rf_ScalarReal(v < 0 ? NA_REAL : (double)v); }

SEXP r_dbx_files_get_metadata(SEXP x, SEXP path)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_file_info *fi = NULL;
    dbx_status st = dbx_files_get_metadata(&fi, c, dbx_r_str(path));
    if (st != DBX_OK)
        return dbx_r_failure(c, st);
    const char *names[] = {"size", "content_type", "last_modified", "last_modified_str", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, num_or_na(dbx_file_info_size(fi)));
    SET_VECTOR_ELT(out, 1, Rf_mkString(dbx_file_info_content_type(fi)));
    SET_VECTOR_ELT(out, 2, num_or_na(dbx_file_info_last_modified(fi)));
    SET_VECTOR_ELT(out, 3, Rf_mkString(dbx_file_info_last_modified_str(fi)));
    dbx_file_info_free(fi);
    UNPROTECT(1);
    return out;
}

SEXP r_dbx_files_action(SEXP x, SEXP action, SEXP path)
{
    DBX_R_NEED_CLIENT(c, x);
    const char *a = dbx_r_str(action);
    const char *p = dbx_r_str(path);
    dbx_status st;
    if (!a)
        return dbx_r_failure(NULL, DBX_EINVAL);
    if (!strcmp(a, "delete"))
        st = dbx_files_delete(c, p);
    else if (!strcmp(a, "create_directory"))
        st = dbx_files_create_directory(c, p);
    else if (!strcmp(a, "delete_directory"))
        st = dbx_files_delete_directory(c, p);
    else if (!strcmp(a, "get_directory_metadata"))
        st = dbx_files_get_directory_metadata(c, p);
    else
        return dbx_r_failure(NULL, DBX_EINVAL);
    return st == DBX_OK ? Rf_ScalarLogical(1) : dbx_r_failure(c, st);
}

static void list_finalize(SEXP h)
{
    dbx_files_list_iter *it = R_ExternalPtrAddr(h);
    if (it) {
        dbx_files_list_iter_free(it);
        R_ClearExternalPtr(h);
    }
}

/* Every entry (following pages) as columns: list(path, name, is_directory, file_size,
 * last_modified), the sizes and times as doubles (NA when absent). */
SEXP r_dbx_files_list(SEXP x, SEXP path, SEXP page_size, SEXP max_items)
{
    DBX_R_NEED_CLIENT(c, x);
    dbx_files_list_options o = DBX_FILES_LIST_OPTIONS_INIT;
    o.page_size = Rf_isNull(page_size) ? 0 : (long)Rf_asReal(page_size);
    o.max_items = Rf_isNull(max_items) ? 0 : (long)Rf_asReal(max_items);
    /* R allocations below could unwind: the iterator lives in an external pointer with a
     * finaliser until it is freed here */
    SEXP holder = PROTECT(R_MakeExternalPtr(NULL, R_NilValue, R_NilValue));
    R_RegisterCFinalizerEx(holder, list_finalize, TRUE);
    R_xlen_t n = 0, cap = 16;
    const char *names[] = {"path", "name", "is_directory", "file_size", "last_modified", ""};
    SEXP cols = PROTECT(Rf_mkNamed(VECSXP, names));
    dbx_files_list_iter *it = NULL;
    dbx_status st = dbx_files_list_directory(&it, c, dbx_r_str(path), &o);
    if (st != DBX_OK) {
        UNPROTECT(2);
        return dbx_r_failure(c, st);
    }
    R_SetExternalPtrAddr(holder, it);
    SET_VECTOR_ELT(cols, 0, Rf_allocVector(STRSXP, cap));
    SET_VECTOR_ELT(cols, 1, Rf_allocVector(STRSXP, cap));
    SET_VECTOR_ELT(cols, 2, Rf_allocVector(LGLSXP, cap));
    SET_VECTOR_ELT(cols, 3, Rf_allocVector(REALSXP, cap));
    SET_VECTOR_ELT(cols, 4, Rf_allocVector(REALSXP, cap));
    const dbx_directory_entry *e;
    while ((st = dbx_files_list_iter_next(&e, it)) == DBX_OK) {
        if (n == cap) {
            cap *= 2;
            for (int k = 0; k < 5; k++)
                SET_VECTOR_ELT(cols, k, Rf_lengthgets(VECTOR_ELT(cols, k), cap));
        }
        SET_STRING_ELT(VECTOR_ELT(cols, 0), n, Rf_mkCharCE(dbx_directory_entry_path(e), CE_UTF8));
        SET_STRING_ELT(VECTOR_ELT(cols, 1), n, Rf_mkCharCE(dbx_directory_entry_name(e), CE_UTF8));
        LOGICAL(VECTOR_ELT(cols, 2))[n] = dbx_directory_entry_is_directory(e) != 0;
        int64_t sz = dbx_directory_entry_file_size(e), lm = dbx_directory_entry_last_modified(e);
        REAL(VECTOR_ELT(cols, 3))[n] = sz < 0 ? NA_REAL : (double)sz;
        REAL(VECTOR_ELT(cols, 4))[n] = lm < 0 ? NA_REAL : (double)lm;
        n++;
    }
    if (st != DBX_DONE) {
        SEXP f = PROTECT(dbx_r_failure(c, st));
        list_finalize(holder);
        UNPROTECT(3);
        return f;
    }
    list_finalize(holder);
    for (int k = 0; k < 5; k++)
        SET_VECTOR_ELT(cols, k, Rf_lengthgets(VECTOR_ELT(cols, k), n));
    UNPROTECT(2);
    return cols;
}

const R_CallMethodDef dbx_r_calls_files[] = {
    {"r_dbx_files_upload", (DL_FUNC)&r_dbx_files_upload, 8},
    {"r_dbx_files_download", (DL_FUNC)&r_dbx_files_download, 6},
    {"r_dbx_files_get_metadata", (DL_FUNC)&r_dbx_files_get_metadata, 2},
    {"r_dbx_files_action", (DL_FUNC)&r_dbx_files_action, 3},
    {"r_dbx_files_list", (DL_FUNC)&r_dbx_files_list, 4},
    {NULL, NULL, 0}};
