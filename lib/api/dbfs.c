/* libdbx: DBFS API 2.0 (/api/2.0/dbfs/ *). Request building, response
 * mapping, and the block loops of streamed uploads and downloads. */
#include <stdio.h>
#include <string.h>

#include "dbfs_internal.h"

#define BASE "/api/2.0/dbfs"
#define BLOCK ((size_t)DBX_DBFS_MAX_BLOCK)
#define MAX_PATH_BYTES 4096
#define MAX_RESTARTS 10
#define DEFAULT_RESTARTS 2
#define PARTIAL_PAUSE_MS 1000 /* between PARTIAL_DELETE rounds */

/* ---- paths ------------------------------------------------------------------------ */

/* "/x" or "dbfs:/x": absolute, valid UTF-8, no control characters, no "."
 * or ".." segments, bounded. `name` is the argument's name for messages. */
static dbx_status check_path(dbx_client *c, const char *fn, const char *name, const char *p)
{
    if (!p)
        return dbx__fail(c, DBX_EINVAL, "%s: %s is NULL", fn, name);
    if (!*p)
        return dbx__fail(c, DBX_EINVAL, "%s: %s is empty", fn, name);
    size_t n = strlen(p);
    if (n > MAX_PATH_BYTES)
        return dbx__fail(c, DBX_EINVAL, "%s: %s is longer than %d bytes", fn, name, MAX_PATH_BYTES);
    if (!dbx__utf8_valid(p))
        return dbx__fail(c, DBX_EINVAL, "%s: %s is not valid UTF-8", fn, name);
    const char *s = strncmp(p, "dbfs:", 5) == 0 ? p + 5 : p;
    if (*s != '/')
        return dbx__fail(c, DBX_EINVAL, "%s: %s must be absolute (\"/...\" or \"dbfs:/...\")", fn, name);
    for (const char *q = s; *q; q++)
        if ((unsigned char)*q < 0x20 || *q == 0x7f)
            return dbx__fail(c, DBX_EINVAL, "%s: %s holds a control character", fn, name);
    for (const char *seg = s + 1;;) {
        size_t k = strcspn(seg, "/");
        if ((k == 1 && seg[0] == '.') || (k == 2 && seg[0] == '.' && seg[1] == '.'))
            return dbx__fail(c, DBX_EINVAL, "%s: %s must not hold \".\" or \"..\" segments", fn, name);
        if (!seg[k])
            break;
        seg += k + 1;
    }
    return DBX_OK;
}

#define CHECK_PATH(c, p)                                                                   \
    do {                                                                                   \
        dbx_status st_ = check_path((c), __func__, #p, (p));                               \
        if (st_ != DBX_OK)                                                                 \
            return st_;                                                                    \
    } while (0)

/* BASE "/op?path=<p>" into q (caller storage first). -1 on OOM. */
static int path_query(dbx__buf *q, const char *op, const char *path)
{
    dbx__buf_clear(q);
    dbx__buf_printf(q, BASE "/%s", op);
    return dbx__query_add(q, "path", path);
}

/* ---- error record kept across best-effort cleanup calls ---------------------------- */

typedef struct saved_err {
    dbx_status st;
    int http, transport, attempts;
    long retry_after;
    char code[64], msg[512], rid[96], method[16], path[160];
} saved_err;

static void err_save(saved_err *s, dbx_status st)
{
    const dbx_error *e = dbx__error_current();
    s->st = st;
    s->http = e->http_status;
    s->transport = e->transport_code;
    s->attempts = e->attempts;
    s->retry_after = e->retry_after_ms;
    snprintf(s->code, sizeof s->code, "%s", e->error_code ? e->error_code : "");
    snprintf(s->msg, sizeof s->msg, "%s", e->message ? e->message : "");
    snprintf(s->rid, sizeof s->rid, "%s", e->request_id ? e->request_id : "");
    snprintf(s->method, sizeof s->method, "%s", e->method ? e->method : "");
    snprintf(s->path, sizeof s->path, "%s", e->path ? e->path : "");
}

static dbx_status err_restore(dbx_client *c, const saved_err *s)
{
    dbx__fail(c, s->st, "%s", s->msg);
    if (s->method[0])
        dbx__error_set_request(s->method, s->path);
    if (s->http || s->code[0] || s->rid[0])
        dbx__error_set_http(s->http, s->code, s->rid);
    if (s->transport)
        dbx__error_set_transport(s->transport);
    if (s->attempts)
        dbx__error_set_attempts(s->attempts, s->retry_after);
    return s->st;
}

/* ---- file info --------------------------------------------------------------------- */

struct dbx_dbfs_file_info {
    dbx__view v; /* first: the pointer is also a dbx__view * */
};

DBX_API void dbx_dbfs_file_info_free(dbx_dbfs_file_info *fi) { dbx__view_free(fi); }

DBX_API const char *dbx_dbfs_file_info_path(const dbx_dbfs_file_info *fi)
{
    return fi ? dbx__jv_get_str(fi->v.v, "path", "") : "";
}

DBX_API int dbx_dbfs_file_info_is_dir(const dbx_dbfs_file_info *fi)
{
    return fi ? dbx__jv_get_bool(fi->v.v, "is_dir", 0) : 0;
}

DBX_API int64_t dbx_dbfs_file_info_file_size(const dbx_dbfs_file_info *fi)
{
    return fi ? dbx__jv_get_int(fi->v.v, "file_size", 0) : 0;
}

DBX_API int64_t dbx_dbfs_file_info_modification_time(const dbx_dbfs_file_info *fi)
{
    return fi ? dbx__jv_get_int(fi->v.v, "modification_time", 0) : 0;
}

DBX_API const char *dbx_dbfs_file_info_json(const dbx_dbfs_file_info *fi)
{
    return fi ? dbx__view_text(&fi->v, 0, fi->v.v) : NULL;
}

dbx_status dbx__dbfs_file_info_from(dbx_dbfs_file_info **out, const void *owner, dbx__jdoc *doc)
{
    *out = NULL;
    dbx__jv root = dbx__jdoc_root(doc);
    dbx__jv path = dbx__jv_get(root, "path");
    dbx__jv dir = dbx__jv_get(root, "is_dir");
    dbx__jv size = dbx__jv_get(root, "file_size");
    const char *why = NULL;
    if (dbx__jv_type(path) != DBX__J_STRING || dbx__jv_strlen(path) == 0)
        why = "no path";
    else if (dbx__jv_present(dir) && dbx__jv_type(dir) != DBX__J_TRUE && dbx__jv_type(dir) != DBX__J_FALSE)
        why = "is_dir is not a boolean";
    else if (dbx__jv_present(size) && dbx__jv_int(size, -1) < 0)
        why = "file_size is not a non-negative integer";
    if (why) {
        dbx__jdoc_dispose(doc);
        return dbx__fail_answer(owner, DBX_EBADRESPONSE, "dbfs/get-status: FileInfo has %s", why);
    }
    *out = dbx__view_new(sizeof **out, doc);
    return *out ? DBX_OK : dbx__fail(owner, DBX_ENOMEM, "out of memory");
}

DBX_API dbx_status dbx_dbfs_get_status(dbx_dbfs_file_info **out, dbx_client *c, const char *path)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    CHECK_PATH(c, path);
    char small[512];
    dbx__buf q;
    dbx__buf_init_fixed(&q, small, sizeof small);
    if (path_query(&q, "get-status", path) != 0) {
        dbx__buf_dispose(&q);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx__jdoc doc;
    dbx_status st = dbx__api_call(c, "GET", q.ptr, NULL, DBX__CALL_IDEMPOTENT, &doc);
    dbx__buf_dispose(&q);
    if (st != DBX_OK)
        return st;
    return dbx__dbfs_file_info_from(out, c, &doc);
}

/* ---- list ----------------------------------------------------------------------------- */

struct dbx_dbfs_iter {
    dbx__iter base;
};

DBX_API dbx_status dbx_dbfs_list(dbx_dbfs_iter **out, dbx_client *c, const char *path)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    CHECK_PATH(c, path);
    char small[512];
    dbx__buf q;
    dbx__buf_init_fixed(&q, small, sizeof small);
    if (path_query(&q, "list", path) != 0) {
        dbx__buf_dispose(&q);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    /* one answer: no size parameter, and the answer carries no next_page_token */
    *out = (dbx_dbfs_iter *)dbx__iter_new(c, DBX__PAGE_TOKEN_QUERY, "GET", q.ptr, NULL, "files", NULL, 0, 0);
    dbx__buf_dispose(&q);
    return *out ? DBX_OK : DBX_ENOMEM;
}

DBX_API dbx_status dbx_dbfs_iter_next(const dbx_dbfs_file_info **item, dbx_dbfs_iter *it)
{
    return dbx__iter_next(it ? &it->base : NULL, (const dbx__view **)item);
}

DBX_API void dbx_dbfs_iter_free(dbx_dbfs_iter *it) { dbx__iter_free(it ? &it->base : NULL); }

/* ---- simple mutations ---------------------------------------------------------------- */

/* POST a body built with jansson (taken); the answer into *out (NULL: discarded). */
static dbx_status post_f(dbx_client *c, const char *op, json_t *body, int flags, dbx__jdoc *out)
{
    char path[64];
    snprintf(path, sizeof path, BASE "/%s", op);
    if (!body)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    dbx_status st = dbx__api_call(c, "POST", path, body, flags, out);
    dbx__json_decref_deep(body);
    return st;
}

static dbx_status post(dbx_client *c, const char *op, json_t *body, dbx__jdoc *out)
{
    return post_f(c, op, body, 0, out);
}

static json_t *path_body(const char *key, const char *path)
{
    json_t *b = json_object();
    if (b && dbx__json_set_str(b, key, path) != 0) {
        json_decref(b);
        return NULL;
    }
    return b;
}

static json_t *with_bool(json_t *b, const char *key, int v)
{
    if (b && json_object_set_new(b, key, json_boolean(v)) != 0) {
        json_decref(b);
        return NULL;
    }
    return b;
}

DBX_API dbx_status dbx_dbfs_mkdirs(dbx_client *c, const char *path)
{
    DBX__ENTER(c);
    CHECK_PATH(c, path);
    /* idempotent: a repeated mkdirs finds the directories made */
    return post_f(c, "mkdirs", path_body("path", path), DBX__CALL_IDEMPOTENT, NULL);
}

DBX_API dbx_status dbx_dbfs_move(dbx_client *c, const char *source_path, const char *destination_path)
{
    DBX__ENTER(c);
    CHECK_PATH(c, source_path);
    CHECK_PATH(c, destination_path);
    json_t *b = path_body("source_path", source_path);
    if (b && dbx__json_set_str(b, "destination_path", destination_path) != 0) {
        json_decref(b);
        b = NULL;
    }
    return post(c, "move", b, NULL);
}

/* One POST through the pipeline, ending by `deadline_ms` (retries included). */
static dbx_status post_by(dbx_client *c, const char *path, const char *body, size_t len, int64_t deadline_ms)
{
    dbx__call call = {0};
    call.method = "POST";
    call.path = path;
    call.body = body;
    call.body_len = len;
    call.deadline_ms = deadline_ms;
    call.idempotent = 1; /* a repeated delete finds less to delete, or nothing (success) */
    dbx__http_resp resp;
    dbx__resp_init(&resp);
    dbx_status st = dbx__pipeline_send(&c->pipe, &call, &resp);
    if (st == DBX_OK)
        dbx__error_note_answer("POST", path, resp.status, dbx__resp_header(&resp, "x-request-id"));
    dbx__resp_dispose(&resp);
    return st;
}

DBX_API dbx_status dbx_dbfs_delete(dbx_client *c, const char *path, int recursive)
{
    DBX__ENTER(c);
    CHECK_PATH(c, path);
    json_t *b = with_bool(path_body("path", path), "recursive", recursive != 0);
    char *text = b ? dbx__json_dump(b) : NULL;
    dbx__json_decref_deep(b);
    if (!text)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    /* 503 PARTIAL_DELETE: the service deleted part of a large tree and asks
     * to be called again. The pipeline already retries a 503 (with
     * backoff); when its attempts run out we call again, all within one
     * retry budget. Each call deletes more, so this ends. */
    long budget = c->pipe.cfg.retry_timeout_ms > 0 ? c->pipe.cfg.retry_timeout_ms : 300000;
    int64_t deadline = dbx__now_ms() + budget;
    dbx_status st;
    int rounds = 0;
    for (;;) {
        st = post_by(c, BASE "/delete", text, strlen(text), deadline);
        if (st != DBX_EUNAVAILABLE || !dbx__streq(dbx__error_current()->error_code, "PARTIAL_DELETE"))
            break;
        rounds++;
        /* a short pause between rounds, and only while the budget lasts:
         * the loop always ends, even against a server that answers at once */
        if (dbx__now_ms() + PARTIAL_PAUSE_MS > deadline) {
            dbx__error_prefix("dbfs/delete of %.200s not complete after %d rounds within the retry budget "
                              "(call again to continue): ", path, rounds);
            break;
        }
        dbx__sleep_ms(PARTIAL_PAUSE_MS);
    }
    dbx__free(text);
    return st;
}

/* ---- put -------------------------------------------------------------------------------- */

/* {"path":"<p>","overwrite":<b>,"contents":"<base64 of data>"} as text: no
 * jansson tree holding a 1.4 MB string. */
DBX_API dbx_status dbx_dbfs_put(dbx_client *c, const char *path, const void *data, size_t len, int overwrite)
{
    DBX__ENTER(c);
    CHECK_PATH(c, path);
    if (!data && len)
        return dbx__fail(c, DBX_EINVAL, "%s: data is NULL but len is %zu", __func__, len);
    if (len > BLOCK)
        return dbx__fail(c, DBX_EINVAL, "%s: len %zu is over the 1 MB put limit (%zu); use dbx_dbfs_upload",
                         __func__, len, BLOCK);
    dbx__buf b = DBX__BUF_INIT;
    if (dbx__buf_grow(&b, strlen(path) * 6 + dbx__b64_encoded_len(len) + 64) == 0) {
        dbx__buf_puts(&b, "{\"path\":");
        dbx__json_put_string(&b, path, strlen(path));
        dbx__buf_puts(&b, overwrite ? ",\"overwrite\":true,\"contents\":\"" : ",\"overwrite\":false,\"contents\":\"");
        dbx__b64_encode(&b, data, len);
        dbx__buf_puts(&b, "\"}");
    }
    if (b.oom || !b.ptr) {
        dbx__buf_dispose(&b);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    /* with overwrite, sending the same contents again is harmless */
    dbx_status st = dbx__api_call_text(c, "POST", BASE "/put", b.ptr, b.len, overwrite ? DBX__CALL_IDEMPOTENT : 0, NULL);
    dbx__buf_dispose(&b);
    return st;
}

/* ---- upload --------------------------------------------------------------------------- */

typedef struct upload {
    dbx_client *c;
    const char *path;
    const dbx_source *src;
    const dbx_dbfs_upload_options *o;
    char *block;   /* one block, reused */
    dbx__buf body; /* one add-block body, reused */
} upload;

/* Failures after which add-block or close may have acted on the server (or
 * whose answer we could not read): the file's content is unknown. */
static int ambiguous(dbx_status st)
{
    return st == DBX_ETRANSPORT || st == DBX_ETIMEOUT || st == DBX_ESERVER || st == DBX_EBADRESPONSE ||
           st == DBX_EUNAVAILABLE /* 502 from a gateway, or 503 after the pipeline's retries */ ||
           st == DBX_ERROR;
}

static dbx_status close_handle(dbx_client *c, int64_t handle)
{
    char text[64];
    int n = snprintf(text, sizeof text, "{\"handle\":%lld}", (long long)handle);
    return dbx__api_call_text(c, "POST", BASE "/close", text, (size_t)n, 0, NULL);
}

/* Best effort: close the handle and delete the file, keeping the error
 * record of the failure that got us here. */
static dbx_status abort_upload(upload *u, int64_t handle, dbx_status st)
{
    saved_err s;
    err_save(&s, st);
    if (handle >= 0)
        (void)close_handle(u->c, handle);
    json_t *b = with_bool(path_body("path", u->path), "recursive", 0);
    if (b) {
        (void)dbx__api_call(u->c, "POST", BASE "/delete", b, 0, NULL);
        dbx__json_decref_deep(b);
    }
    return err_restore(u->c, &s);
}

/* One attempt: create, add-block*, close. *restartable says whether the
 * failure may be retried by starting over (never for the caller's own
 * refusals, bad sources or definite server answers). */
static dbx_status upload_once(upload *u, int *restartable)
{
    dbx_client *c = u->c;
    *restartable = 0;
    json_t *cb = with_bool(path_body("path", u->path), "overwrite", u->o && u->o->overwrite);
    dbx__jdoc doc;
    dbx_status st = post(c, "create", cb, &doc);
    if (st != DBX_OK) {
        /* Not restarted. When the server may have created the file and we
         * lost its answer (connection, 5xx, out of memory reading it), the
         * file may exist empty: with overwrite it is ours to delete (any old
         * one was replaced); without, it may be someone else's, so it stays. */
        if (u->o && u->o->overwrite && (ambiguous(st) || st == DBX_ENOMEM))
            return abort_upload(u, -1, st);
        return st;
    }
    dbx__jv h = dbx__jv_get(dbx__jdoc_root(&doc), "handle");
    int64_t handle = dbx__jv_int(h, -1);
    dbx__jdoc_dispose(&doc);
    if (!dbx__jv_present(h) || handle < 0) {
        st = dbx__fail_answer(c, DBX_EBADRESPONSE, "dbfs/create: the answer has no valid handle");
        return abort_upload(u, -1, st);
    }
    const char *fn = "dbx_dbfs_upload";
    int64_t size = u->src->size;
    uint64_t total = 0;
    for (int eof = 0; !eof;) {
        size_t n = 0;
        st = dbx__source_fill(c, fn, u->src, u->block, BLOCK, &n, &eof);
        if (st != DBX_OK)
            return abort_upload(u, handle, st);
        total += n;
        if (size >= 0 && total > (uint64_t)size)
            return abort_upload(u, handle, dbx__fail(c, DBX_EINVAL, "%s: the source delivered more than its "
                                                     "declared size %lld", fn, (long long)size));
        if (n == 0)
            break;
        dbx__buf *b = &u->body;
        dbx__buf_clear(b);
        dbx__buf_printf(b, "{\"handle\":%lld,\"data\":\"", (long long)handle);
        size_t enc = dbx__b64_encoded_len(n);
        if (!b->oom && dbx__buf_grow(b, enc + 3) == 0) {
            b->len += dbx__b64_encode_to(b->ptr + b->len, u->block, n);
            b->ptr[b->len] = '\0';
            dbx__buf_puts(b, "\"}");
        }
        if (b->oom)
            return abort_upload(u, handle, dbx__fail(c, DBX_ENOMEM, "out of memory"));
        /* not idempotent: never resent by the pipeline after it may have arrived */
        st = dbx__api_call_text(c, "POST", BASE "/add-block", b->ptr, b->len, 0, NULL);
        if (st != DBX_OK) {
            *restartable = ambiguous(st);
            return abort_upload(u, handle, st);
        }
        if (u->o && u->o->on_progress && u->o->on_progress(u->o->payload, total, size) != 0)
            return abort_upload(u, handle, dbx__fail(c, DBX_ECANCELLED, "%s: stopped by on_progress", fn));
    }
    if (size >= 0 && total != (uint64_t)size)
        return abort_upload(u, handle, dbx__fail(c, DBX_EINVAL, "%s: the source delivered %llu bytes, not its "
                                                 "declared size %lld", fn, (unsigned long long)total,
                                                 (long long)size));
    st = close_handle(c, handle);
    if (st != DBX_OK) {
        *restartable = ambiguous(st);
        return abort_upload(u, handle, st);
    }
    return DBX_OK;
}

static dbx_status upload_run(dbx_client *c, const char *path, const dbx_source *src,
                             const dbx_dbfs_upload_options *o)
{
    int restarts = !o || o->max_restarts == 0 ? DEFAULT_RESTARTS : o->max_restarts < 0 ? 0 : o->max_restarts;
    if (!src->rewind)
        restarts = 0; /* a body that cannot be re-read is never retried */
    upload u = {c, path, src, o, NULL, DBX__BUF_INIT};
    u.block = dbx__malloc(BLOCK);
    if (!u.block)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    dbx_status st;
    for (int attempt = 0;; attempt++) {
        int restartable = 0;
        st = upload_once(&u, &restartable);
        if (st == DBX_OK || !restartable || attempt >= restarts)
            break;
        saved_err s;
        err_save(&s, st);
        if (src->rewind(src->payload) != 0) {
            err_restore(c, &s);
            dbx__error_prefix("dbx_dbfs_upload: the source could not be rewound for a restart: ");
            break;
        }
        dbx__error_clear(c);
    }
    dbx__buf_dispose(&u.body);
    dbx__free(u.block);
    return st;
}

static dbx_status check_upload_opts(dbx_client *c, const dbx_dbfs_upload_options *o)
{
    if (o && (o->version == 0 || o->version > DBX_DBFS_UPLOAD_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "dbx_dbfs_upload_options version %u is not supported", o->version);
    if (o && (o->max_restarts < -1 || o->max_restarts > MAX_RESTARTS))
        return dbx__fail(c, DBX_EINVAL, "opts->max_restarts must be -1..%d", MAX_RESTARTS);
    return DBX_OK;
}

DBX_API dbx_status dbx_dbfs_upload(dbx_client *c, const char *path, const dbx_source *src,
                                   const dbx_dbfs_upload_options *opts)
{
    DBX__ENTER(c);
    CHECK_PATH(c, path);
    dbx_status st = dbx__source_check(c, __func__, src);
    if (st == DBX_OK)
        st = check_upload_opts(c, opts);
    return st == DBX_OK ? upload_run(c, path, src, opts) : st;
}

DBX_API dbx_status dbx_dbfs_upload_file(dbx_client *c, const char *path, const char *local_path,
                                        const dbx_dbfs_upload_options *opts)
{
    DBX__ENTER(c);
    CHECK_PATH(c, path);
    DBX__REQUIRE_PTR(c, local_path);
    dbx_status st = check_upload_opts(c, opts);
    if (st != DBX_OK)
        return st;
    dbx__file_source fs;
    st = dbx__file_source_open(&fs, c, __func__, local_path);
    if (st != DBX_OK)
        return st;
    st = upload_run(c, path, &fs.src, opts);
    dbx__file_source_close(&fs);
    return st;
}

/* ---- download ------------------------------------------------------------------------ */

dbx_status dbx__dbfs_read_map(const void *owner, dbx__jv root, size_t asked, dbx__buf *out)
{
    dbx__buf_clear(out);
    dbx__jv br = dbx__jv_get(root, "bytes_read");
    dbx__jv d = dbx__jv_get(root, "data");
    int64_t n = dbx__jv_int(br, -1);
    if (!dbx__jv_present(br) || n < 0)
        return dbx__fail_answer(owner, DBX_EBADRESPONSE, "dbfs/read: bytes_read is missing or invalid");
    if ((uint64_t)n > asked)
        return dbx__fail_answer(owner, DBX_EBADRESPONSE, "dbfs/read: bytes_read %lld is more than the %zu asked",
                                (long long)n, asked);
    if (!dbx__jv_present(d) && n == 0)
        return DBX_OK;
    if (dbx__jv_type(d) != DBX__J_STRING)
        return dbx__fail_answer(owner, DBX_EBADRESPONSE, "dbfs/read: data is not a string");
    size_t len = dbx__jv_strlen(d);
    /* bounded before decoding: base64 of `asked` bytes, plus line breaks at worst */
    if (len > dbx__b64_encoded_len(asked) * 2 + 4)
        return dbx__fail_answer(owner, DBX_EBADRESPONSE, "dbfs/read: data is longer than %zu bytes encode to",
                                asked);
    size_t bad = 0;
    int rc = dbx__b64_decode(out, dbx__jv_str(d, ""), len, &bad);
    if (rc == -1)
        return dbx__fail(owner, DBX_ENOMEM, "out of memory");
    if (rc != 0)
        return dbx__fail_answer(owner, DBX_EBADRESPONSE, "dbfs/read: data is not valid base64 (at offset %zu)", bad);
    if (out->len != (size_t)n) {
        size_t got = out->len;
        dbx__buf_clear(out);
        return dbx__fail_answer(owner, DBX_EBADRESPONSE, "dbfs/read: bytes_read %lld but data holds %zu bytes",
                                (long long)n, got);
    }
    return DBX_OK;
}

static dbx_status download_run(dbx_client *c, const char *fn, const char *path, dbx_sink_fn sink, void *payload,
                               const dbx_dbfs_download_options *o)
{
    dbx_dbfs_file_info *fi = NULL;
    dbx_status st = dbx_dbfs_get_status(&fi, c, path);
    if (st != DBX_OK)
        return st;
    int is_dir = dbx_dbfs_file_info_is_dir(fi);
    int64_t size = dbx_dbfs_file_info_file_size(fi);
    dbx_dbfs_file_info_free(fi);
    if (is_dir)
        return dbx__fail_answer(c, DBX_EINVALIDPARAM, "%s: %.200s is a directory", fn, path);
    char small[512];
    dbx__buf q, data = DBX__BUF_INIT;
    dbx__buf_init_fixed(&q, small, sizeof small);
    int64_t off = 0;
    while (off < size) {
        size_t want = size - off < (int64_t)BLOCK ? (size_t)(size - off) : BLOCK;
        path_query(&q, "read", path);
        dbx__query_add_int(&q, "offset", off);
        dbx__query_add_int(&q, "length", (long long)want);
        if (q.oom) {
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
            break;
        }
        dbx__jdoc doc;
        st = dbx__api_call(c, "GET", q.ptr, NULL, DBX__CALL_IDEMPOTENT | DBX__CALL_LARGE, &doc);
        if (st != DBX_OK)
            break;
        st = dbx__dbfs_read_map(c, dbx__jdoc_root(&doc), want, &data);
        dbx__jdoc_dispose(&doc);
        if (st != DBX_OK)
            break;
        if (data.len == 0) {
            st = dbx__fail_answer(c, DBX_EBADRESPONSE, "%s: read 0 bytes at offset %lld of %lld: the file shrank "
                                  "while being read", fn, (long long)off, (long long)size);
            break;
        }
        if (sink(payload, data.ptr, data.len) != 0) {
            st = dbx__fail(c, DBX_ECANCELLED, "%s: the sink stopped the download", fn);
            break;
        }
        off += (int64_t)data.len;
        if (o && o->on_progress && o->on_progress(o->payload, (uint64_t)off, size) != 0) {
            st = dbx__fail(c, DBX_ECANCELLED, "%s: stopped by on_progress", fn);
            break;
        }
    }
    dbx__buf_dispose(&q);
    dbx__buf_dispose(&data);
    return st;
}

static dbx_status check_download_opts(dbx_client *c, const dbx_dbfs_download_options *o)
{
    if (o && (o->version == 0 || o->version > DBX_DBFS_DOWNLOAD_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "dbx_dbfs_download_options version %u is not supported", o->version);
    return DBX_OK;
}

DBX_API dbx_status dbx_dbfs_download(dbx_client *c, const char *path, dbx_sink_fn sink, void *payload,
                                     const dbx_dbfs_download_options *opts)
{
    DBX__ENTER(c);
    CHECK_PATH(c, path);
    DBX__REQUIRE_PTR(c, sink);
    dbx_status st = check_download_opts(c, opts);
    return st == DBX_OK ? download_run(c, __func__, path, sink, payload, opts) : st;
}

DBX_API dbx_status dbx_dbfs_download_file(dbx_client *c, const char *path, const char *local_path,
                                          const dbx_dbfs_download_options *opts)
{
    DBX__ENTER(c);
    CHECK_PATH(c, path);
    DBX__REQUIRE_PTR(c, local_path);
    dbx_status st = check_download_opts(c, opts);
    if (st != DBX_OK)
        return st;
    dbx__file_sink fs;
    st = dbx__file_sink_open(&fs, c, __func__, local_path, opts && opts->overwrite);
    if (st != DBX_OK)
        return st;
    st = download_run(c, __func__, path, dbx__file_sink_write, &fs, opts);
    if (st == DBX_OK)
        return dbx__file_sink_commit(&fs, c, __func__);
    if (st == DBX_ECANCELLED && fs.err) {
        int e = fs.err;
        dbx__file_sink_abort(&fs);
        return dbx__fail(c, DBX_ERROR, "%s: cannot write local file '%s': %s", __func__, local_path, strerror(e));
    }
    dbx__file_sink_abort(&fs);
    return st;
}
