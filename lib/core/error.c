/* libdbx internal: status text, the per-thread error record, HTTP mapping. */
#include <stdio.h>
#include <string.h>

#include "core.h"

/* ---- status text ----------------------------------------------------------- */

static const struct {
    int status;
    const char *name;
    const char *text;
} status_table[] = {
    {DBX_OK, "DBX_OK", "success"},
    {DBX_DONE, "DBX_DONE", "no more items"},
    {DBX_ERROR, "DBX_ERROR", "unclassified error"},
    {DBX_EINVAL, "DBX_EINVAL", "invalid argument"},
    {DBX_ENOMEM, "DBX_ENOMEM", "out of memory"},
    {DBX_ECONFIG, "DBX_ECONFIG", "invalid or incomplete configuration"},
    {DBX_ETRANSPORT, "DBX_ETRANSPORT", "transport error"},
    {DBX_ETIMEOUT, "DBX_ETIMEOUT", "timed out"},
    {DBX_ECANCELLED, "DBX_ECANCELLED", "cancelled"},
    {DBX_EBADRESPONSE, "DBX_EBADRESPONSE", "malformed or unexpected response"},
    {DBX_EBADREQUEST, "DBX_EBADREQUEST", "bad request"},
    {DBX_EUNAUTHENTICATED, "DBX_EUNAUTHENTICATED", "not authenticated"},
    {DBX_EPERMISSION, "DBX_EPERMISSION", "permission denied"},
    {DBX_ENOTFOUND, "DBX_ENOTFOUND", "resource not found"},
    {DBX_ECONFLICT, "DBX_ECONFLICT", "conflict with the current state of the resource"},
    {DBX_ERATELIMITED, "DBX_ERATELIMITED", "rate limited or resource exhausted"},
    {DBX_ESERVER, "DBX_ESERVER", "internal server error"},
    {DBX_ENOTIMPLEMENTED, "DBX_ENOTIMPLEMENTED", "not implemented or feature disabled"},
    {DBX_EUNAVAILABLE, "DBX_EUNAVAILABLE", "service temporarily unavailable"},
    {DBX_ESTATE, "DBX_ESTATE", "resource reached a terminal failure state"},
    {DBX_EEXISTS, "DBX_EEXISTS", "resource already exists"},
    {DBX_EINVALIDPARAM, "DBX_EINVALIDPARAM", "invalid parameter value"},
    {DBX_EINVALIDSTATE, "DBX_EINVALIDSTATE", "resource is in an invalid state for this operation"},
    {DBX_ETOOLARGE, "DBX_ETOOLARGE", "response larger than the configured limit"},
};

DBX_API const char *dbx_status_str(int status)
{
    for (size_t i = 0; i < sizeof status_table / sizeof *status_table; i++)
        if (status_table[i].status == status)
            return status_table[i].text;
    return "unknown status";
}

DBX_API const char *dbx_status_name(int status)
{
    for (size_t i = 0; i < sizeof status_table / sizeof *status_table; i++)
        if (status_table[i].status == status)
            return status_table[i].name;
    return "DBX_UNKNOWN";
}

/* ---- per-thread record ------------------------------------------------------- */

typedef struct errslot {
    const void *owner;
    dbx_error e;
    char code[128];
    char msg[1024];
    char request_id[128];
    char method[16];
    char path[512];
} errslot;

static _Thread_local errslot slot;

static const dbx_error no_error = {DBX_ERROR_VERSION, DBX_OK, 0, "", "no error", "", "", "", 0, 0, -1, 0};

static void slot_reset(const void *owner, dbx_status st)
{
    slot.owner = owner;
    slot.code[0] = slot.msg[0] = slot.request_id[0] = slot.method[0] = slot.path[0] = '\0';
    slot.e.version = DBX_ERROR_VERSION;
    slot.e.status = st;
    slot.e.http_status = 0;
    slot.e.error_code = slot.code;
    slot.e.message = slot.msg;
    slot.e.request_id = slot.request_id;
    slot.e.method = slot.method;
    slot.e.path = slot.path;
    slot.e.transport_code = 0;
    slot.e.attempts = 0;
    slot.e.retry_after_ms = -1;
    slot.e.waited_ms = 0;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    if (!src)
        src = "";
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void dbx__error_clear(const void *owner)
{
    (void)owner;
    slot.owner = NULL;
    slot.e.status = DBX_OK;
}

/* Record a message, with credentials scrubbed (messages quote servers,
 * which may echo presigned URLs or tokens), cut to the record's size after
 * scrubbing. When memory is short, the status text stands in for it. */
static void set_message(const dbx__buf *text, dbx_status st)
{
    dbx__buf clean = DBX__BUF_INIT;
    if (!text->oom)
        dbx__redact_text(&clean, text->ptr, text->len);
    copy_str(slot.msg, sizeof slot.msg, text->oom || clean.oom ? dbx_status_str(st) : clean.ptr);
    dbx__buf_dispose(&clean);
}

dbx_status dbx__vfail(const void *owner, dbx_status st, const char *fmt, va_list ap)
{
    slot_reset(owner, st);
    dbx__buf msg = DBX__BUF_INIT;
    dbx__buf_vprintf(&msg, fmt, ap);
    set_message(&msg, st);
    dbx__buf_dispose(&msg);
    return st;
}

dbx_status dbx__fail(const void *owner, dbx_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dbx__vfail(owner, st, fmt, ap);
    va_end(ap);
    return st;
}

void dbx__error_set_request(const char *method, const char *path)
{
    copy_str(slot.method, sizeof slot.method, method);
    /* never keep a query string: it may carry secrets (presigned URLs) */
    size_t n = path ? strcspn(path, "?#") : 0;
    if (n >= sizeof slot.path)
        n = sizeof slot.path - 1;
    if (path)
        memcpy(slot.path, path, n);
    slot.path[n] = '\0';
}

void dbx__error_set_http(int http_status, const char *error_code, const char *request_id)
{
    slot.e.http_status = http_status;
    copy_str(slot.code, sizeof slot.code, error_code);
    copy_str(slot.request_id, sizeof slot.request_id, request_id);
}

void dbx__error_set_transport(int code) { slot.e.transport_code = code; }

void dbx__error_set_status(dbx_status st) { slot.e.status = st; }

void dbx__error_set_attempts(int attempts, long retry_after_ms)
{
    slot.e.attempts = attempts;
    slot.e.retry_after_ms = retry_after_ms;
}

void dbx__error_set_waited(long waited_ms) { slot.e.waited_ms = waited_ms; }

typedef struct answer_note {
    char method[16];
    char path[512];
    char request_id[128];
    int http_status;
} answer_note;

static _Thread_local answer_note note;

void dbx__error_note_answer(const char *method, const char *path, int http_status, const char *request_id)
{
    copy_str(note.method, sizeof note.method, method);
    size_t n = path ? strcspn(path, "?#") : 0; /* never a query string */
    if (n >= sizeof note.path)
        n = sizeof note.path - 1;
    if (path)
        memcpy(note.path, path, n);
    note.path[n] = '\0';
    copy_str(note.request_id, sizeof note.request_id, request_id);
    note.http_status = http_status;
}

dbx_status dbx__fail_answer(const void *owner, dbx_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dbx__vfail(owner, st, fmt, ap);
    va_end(ap);
    dbx__error_set_request(note.method, note.path);
    dbx__error_set_http(note.http_status, "", note.request_id);
    return st;
}

void dbx__error_prefix(const char *fmt, ...)
{
    char pre[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    /* "<pre>: <old>", truncated to the record's size */
    dbx__buf msg = DBX__BUF_INIT;
    dbx__buf_printf(&msg, "%s: %s", pre, slot.msg);
    set_message(&msg, slot.e.status);
    dbx__buf_dispose(&msg);
}

const dbx_error *dbx__error_current(void) { return slot.e.message ? &slot.e : &no_error; }

DBX_API const dbx_error *dbx_client_last_error(const dbx_client *client)
{
    if (slot.e.status == DBX_OK || slot.owner != (const void *)client || !slot.e.message)
        return &no_error;
    return &slot.e;
}

/* ---- HTTP -> status ------------------------------------------------------------ */

static dbx_status from_code(const char *code)
{
    static const struct {
        const char *code;
        dbx_status st;
    } map[] = {
        {"INVALID_PARAMETER_VALUE", DBX_EINVALIDPARAM},
        {"MALFORMED_REQUEST", DBX_EINVALIDPARAM},
        {"INVALID_STATE", DBX_EINVALIDSTATE},
        {"INVALID_STATE_TRANSITION", DBX_EINVALIDSTATE},
        {"BAD_REQUEST", DBX_EBADREQUEST},
        {"UNAUTHENTICATED", DBX_EUNAUTHENTICATED},
        {"CUSTOMER_UNAUTHORIZED", DBX_EUNAUTHENTICATED},
        {"PERMISSION_DENIED", DBX_EPERMISSION},
        {"NOT_FOUND", DBX_ENOTFOUND},
        {"RESOURCE_DOES_NOT_EXIST", DBX_ENOTFOUND},
        {"ENDPOINT_NOT_FOUND", DBX_ENOTFOUND},
        {"ALREADY_EXISTS", DBX_EEXISTS},
        {"RESOURCE_ALREADY_EXISTS", DBX_EEXISTS},
        {"RESOURCE_CONFLICT", DBX_ECONFLICT},
        {"ABORTED", DBX_ECONFLICT},
        {"REQUEST_LIMIT_EXCEEDED", DBX_ERATELIMITED},
        {"RESOURCE_EXHAUSTED", DBX_ERATELIMITED},
        {"QUOTA_EXCEEDED", DBX_ERATELIMITED},
        {"RESOURCE_LIMIT_EXCEEDED", DBX_ERATELIMITED},
        {"CANCELLED", DBX_ECANCELLED},
        {"INTERNAL_ERROR", DBX_ESERVER},
        {"UNKNOWN", DBX_ESERVER},
        {"DATA_LOSS", DBX_ESERVER},
        {"IO_ERROR", DBX_ESERVER},
        {"NOT_IMPLEMENTED", DBX_ENOTIMPLEMENTED},
        {"FEATURE_DISABLED", DBX_ENOTIMPLEMENTED},
        {"TEMPORARILY_UNAVAILABLE", DBX_EUNAVAILABLE},
        {"WORKSPACE_TEMPORARILY_UNAVAILABLE", DBX_EUNAVAILABLE},
        {"SERVICE_UNDER_MAINTENANCE", DBX_EUNAVAILABLE},
        {"DEADLINE_EXCEEDED", DBX_ETIMEOUT},
    };
    if (dbx__empty(code))
        return DBX_OK;
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strcmp(map[i].code, code) == 0)
            return map[i].st;
    /* Unity Catalog families: CATALOG_DOES_NOT_EXIST, TABLE_ALREADY_EXISTS, ... */
    size_t n = strlen(code);
    if (n > 15 && strcmp(code + n - 15, "_DOES_NOT_EXIST") == 0)
        return DBX_ENOTFOUND;
    if (n > 15 && strcmp(code + n - 15, "_ALREADY_EXISTS") == 0)
        return DBX_EEXISTS;
    return DBX_OK;
}

static dbx_status from_http(int http)
{
    switch (http) {
    case 400: return DBX_EBADREQUEST;
    case 401: return DBX_EUNAUTHENTICATED;
    case 403: return DBX_EPERMISSION;
    case 404: return DBX_ENOTFOUND;
    case 409: return DBX_ECONFLICT;
    case 429: return DBX_ERATELIMITED;
    case 499: return DBX_ECANCELLED;
    case 501: return DBX_ENOTIMPLEMENTED;
    case 503: return DBX_EUNAVAILABLE;
    case 504: return DBX_ETIMEOUT;
    default: break;
    }
    if (http >= 500)
        return DBX_ESERVER;
    if (http >= 400)
        return DBX_EBADREQUEST;
    if (http >= 300)
        return DBX_EBADRESPONSE;
    return DBX_OK;
}

/* Known service quirks: these "get" endpoints answer 400
 * INVALID_PARAMETER_VALUE "<Thing> <id> does not exist" for a missing
 * resource (the official SDKs override them to not-found). The Clusters
 * API answers every operation on a missing cluster that way ("Cluster <id>
 * does not exist"): libdbx reports DBX_ENOTFOUND for all of them, as
 * clusters.h promises, while the raw error_code stays in the record.
 * The Jobs API does the same for jobs and runs ("Job <id> does not exist.")
 * on the calls whose subject is that job or run. */
static int quirk_not_found(const char *method, const char *path, const char *code, const char *msg)
{
    static const char *paths[] = {"/clusters/get", "/jobs/get", "/jobs/runs/get",
                                  "/jobs/runs/get-output"};
    if (!dbx__streq(code, "INVALID_PARAMETER_VALUE") || !path || !msg || !strstr(msg, "does not exist") ||
        strncmp(path, "/api/2.", 7) != 0)
        return 0;
    size_t plen = strcspn(path, "?");
    if (strncmp(msg, "Cluster ", 8) == 0) {
        const char *c = strstr(path, "/clusters/");
        if (c && c < path + plen)
            return 1;
    }
    /* The Jobs API answers the POST calls whose subject is a job or run id
     * the same way ("Job 12 does not exist.", "Run 34 does not exist."). */
    static const char *job_posts[] = {"/jobs/update", "/jobs/reset", "/jobs/delete", "/jobs/run-now",
                                      "/jobs/runs/cancel", "/jobs/runs/cancel-all", "/jobs/runs/delete",
                                      "/jobs/runs/repair"};
    if (dbx__streq(method, "POST") && (strncmp(msg, "Job ", 4) == 0 || strncmp(msg, "Run ", 4) == 0)) {
        for (size_t i = 0; i < sizeof job_posts / sizeof *job_posts; i++) {
            size_t n = strlen(job_posts[i]);
            if (plen > n && strncmp(path + plen - n, job_posts[i], n) == 0)
                return 1;
        }
    }
    if (!dbx__streq(method, "GET"))
        return 0;
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        size_t n = strlen(paths[i]);
        if (plen > n && strncmp(path + plen - n, paths[i], n) == 0)
            return 1;
    }
    return 0;
}

dbx_status dbx__status_from_http(int http_status, const char *error_code, const char *method,
                                 const char *path, const char *message)
{
    if (quirk_not_found(method, path, error_code, message))
        return DBX_ENOTFOUND;
    dbx_status base = from_http(http_status);
    dbx_status refined = from_code(error_code);
    if (refined != DBX_OK)
        return refined;
    return base;
}

/* ---- saved records (many calls in flight: lib/http batch) ------------------ */

struct dbx__errsave {
    errslot s;
};

dbx__errsave *dbx__error_save(void)
{
    dbx__errsave *sv = dbx__malloc(sizeof *sv);
    if (!sv)
        return NULL;
    sv->s = slot;
    sv->s.e.error_code = sv->s.code;
    sv->s.e.message = sv->s.msg;
    sv->s.e.request_id = sv->s.request_id;
    sv->s.e.method = sv->s.method;
    sv->s.e.path = sv->s.path;
    return sv;
}

void dbx__error_restore(const dbx__errsave *sv)
{
    if (!sv)
        return;
    slot = sv->s;
    /* the record's strings point into the thread's own slot */
    slot.e.error_code = slot.code;
    slot.e.message = slot.msg;
    slot.e.request_id = slot.request_id;
    slot.e.method = slot.method;
    slot.e.path = slot.path;
}

const dbx_error *dbx__errsave_record(const dbx__errsave *sv) { return sv ? &sv->s.e : NULL; }

void dbx__errsave_free(dbx__errsave *sv) { dbx__free(sv); }
