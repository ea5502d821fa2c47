/*
 * libdbx: Files API (/api/2.0/fs/files, /api/2.0/fs/directories) for Unity
 * Catalog volumes. Streamed single PUT, the multipart protocol with
 * presigned part URLs (protocols.md section 1), ranged resumable
 * downloads, metadata, directories.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "files_internal.h"
#include "dbx/files.h"

#define FILES "/api/2.0/fs/files"
#define DIRS "/api/2.0/fs/directories"
#define MiB (1024LL * 1024)
#define DEFAULT_THRESHOLD (50 * MiB)
#define DEFAULT_PART (10 * MiB)
#define MIN_PART (5 * MiB)
#define MAX_PART (4096 * MiB)
#define MAX_PARTS 10000          /* S3's limit */
#define PART_RETRIES 3           /* fresh-URL retries per part */
#define MAX_PATH_BYTES 4096
#define DEFAULT_RESUMES 5
#define URL_TTL_MS (3600 * 1000LL)

/* ---- paths ------------------------------------------------------------------------- */

/* Check a remote path and append prefix + the path with each segment
 * percent-encoded ('/' kept). `what` names the argument. */
static dbx_status put_path(dbx_client *c, dbx__buf *out, const char *prefix, const char *path,
                           const char *fn, const char *what)
{
    if (dbx__empty(path))
        return dbx__fail(c, DBX_EINVAL, "%s: %s is required", fn, what);
    if (!dbx__utf8_valid(path))
        return dbx__fail(c, DBX_EINVAL, "%s: %s is not valid UTF-8", fn, what);
    size_t n = strlen(path);
    if (path[0] != '/')
        return dbx__fail(c, DBX_EINVAL, "%s: %s must be absolute (start with '/')", fn, what);
    if (n > MAX_PATH_BYTES)
        return dbx__fail(c, DBX_EINVAL, "%s: %s is longer than %d bytes", fn, what, MAX_PATH_BYTES);
    dbx__buf_puts(out, prefix);
    const char *p = path + 1;
    char seg_small[256];
    for (;;) {
        size_t k = strcspn(p, "/");
        int last = p[k] == '\0';
        if (k == 0 && last && p != path + 1)
            break; /* a trailing slash on a directory path */
        if (k == 0 || (k == 1 && p[0] == '.') || (k == 2 && p[0] == '.' && p[1] == '.'))
            return dbx__fail(c, DBX_EINVAL, "%s: %s has an empty, '.' or '..' segment", fn, what);
        dbx__buf seg;
        dbx__buf_init_fixed(&seg, seg_small, sizeof seg_small);
        dbx__buf_put(&seg, p, k);
        dbx__buf_putc(out, '/');
        dbx__buf_put_urlenc(out, seg.ptr ? seg.ptr : "");
        int oom = seg.oom;
        dbx__buf_dispose(&seg);
        if (oom)
            out->oom = 1;
        if (last)
            break;
        p += k + 1;
    }
    if (out->oom)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    return DBX_OK;
}

/* ---- simple calls ------------------------------------------------------------------- */

/* A call without a JSON answer (HEAD, DELETE, PUT directory). */
static dbx_status plain_call(dbx_client *c, const char *method, const char *url, dbx__http_resp *resp)
{
    dbx__call call = {0};
    call.method = method;
    call.path = url;
    call.idempotent = strcmp(method, "POST") != 0 ? 1 : 0;
    dbx_status st = dbx__pipeline_send(&c->pipe, &call, resp);
    if (st == DBX_OK)
        dbx__error_note_answer(method, url, resp->status, dbx__resp_header(resp, "x-request-id"));
    return st;
}

static dbx_status simple(dbx_client *c, const char *method, const char *prefix, const char *path,
                         const char *fn, const char *what)
{
    char small[512];
    dbx__buf url;
    dbx__buf_init_fixed(&url, small, sizeof small);
    dbx_status st = put_path(c, &url, prefix, path, fn, what);
    if (st == DBX_OK) {
        dbx__http_resp resp;
        dbx__resp_init(&resp);
        st = plain_call(c, method, url.ptr, &resp);
        dbx__resp_dispose(&resp);
    }
    dbx__buf_dispose(&url);
    return st;
}

DBX_API dbx_status dbx_files_delete(dbx_client *c, const char *remote_path)
{
    DBX__ENTER(c);
    return simple(c, "DELETE", FILES, remote_path, __func__, "remote_path");
}

DBX_API dbx_status dbx_files_create_directory(dbx_client *c, const char *dir_path)
{
    DBX__ENTER(c);
    return simple(c, "PUT", DIRS, dir_path, __func__, "dir_path");
}

DBX_API dbx_status dbx_files_delete_directory(dbx_client *c, const char *dir_path)
{
    DBX__ENTER(c);
    return simple(c, "DELETE", DIRS, dir_path, __func__, "dir_path");
}

DBX_API dbx_status dbx_files_get_directory_metadata(dbx_client *c, const char *dir_path)
{
    DBX__ENTER(c);
    return simple(c, "HEAD", DIRS, dir_path, __func__, "dir_path");
}

/* ---- metadata ----------------------------------------------------------------------- */

struct dbx_file_info {
    int64_t size;
    int64_t last_modified;
    char *content_type;
    char *last_modified_str;
};

/* A non-negative decimal (no sign, no blanks), or -1. */
static int64_t parse_size(const char *s)
{
    if (!s || !isdigit((unsigned char)*s))
        return -1;
    int64_t v = 0;
    for (; isdigit((unsigned char)*s); s++) {
        if (v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*s - '0');
    }
    while (*s == ' ' || *s == '\t')
        s++;
    return *s ? -1 : v;
}

static int64_t http_date_ms(const char *s) { return dbx__http_date_ms(s); }

DBX_API dbx_status dbx_files_get_metadata(dbx_file_info **out, dbx_client *c, const char *remote_path)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    char small[512];
    dbx__buf url;
    dbx__buf_init_fixed(&url, small, sizeof small);
    dbx_status st = put_path(c, &url, FILES, remote_path, __func__, "remote_path");
    if (st != DBX_OK) {
        dbx__buf_dispose(&url);
        return st;
    }
    dbx__http_resp resp;
    dbx__resp_init(&resp);
    st = plain_call(c, "HEAD", url.ptr, &resp);
    dbx__buf_dispose(&url);
    if (st == DBX_OK) {
        dbx_file_info *fi = dbx__calloc(1, sizeof *fi);
        const char *ct = dbx__resp_header(&resp, "Content-Type");
        const char *lm = dbx__resp_header(&resp, "Last-Modified");
        if (fi) {
            fi->content_type = dbx__strdup(ct ? ct : "");
            fi->last_modified_str = dbx__strdup(lm ? lm : "");
            fi->size = parse_size(dbx__resp_header(&resp, "Content-Length"));
            fi->last_modified = http_date_ms(lm);
        }
        if (!fi || !fi->content_type || !fi->last_modified_str) {
            dbx_file_info_free(fi);
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
        } else {
            *out = fi;
        }
    }
    dbx__resp_dispose(&resp);
    return st;
}

DBX_API void dbx_file_info_free(dbx_file_info *info)
{
    if (!info)
        return;
    dbx__free(info->content_type);
    dbx__free(info->last_modified_str);
    dbx__free(info);
}

DBX_API int64_t dbx_file_info_size(const dbx_file_info *info) { return info ? info->size : -1; }
DBX_API const char *dbx_file_info_content_type(const dbx_file_info *info)
{
    return info && info->content_type ? info->content_type : "";
}
DBX_API int64_t dbx_file_info_last_modified(const dbx_file_info *info) { return info ? info->last_modified : -1; }
DBX_API const char *dbx_file_info_last_modified_str(const dbx_file_info *info)
{
    return info && info->last_modified_str ? info->last_modified_str : "";
}

/* ---- directory listing ------------------------------------------------------------- */

struct dbx_directory_entry {
    dbx__view v;
};

struct dbx_files_list_iter {
    dbx__iter base;
};

DBX_API dbx_status dbx_files_list_directory(dbx_files_list_iter **out, dbx_client *c, const char *dir_path,
                                            const dbx_files_list_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    if (o && (o->version == 0 || o->version > DBX_FILES_LIST_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "dbx_files_list_options version %u is not supported", o->version);
    if (o && (o->page_size < 0 || o->max_items < 0))
        return dbx__fail(c, DBX_EINVAL, "%s: page_size and max_items must be >= 0", __func__);
    char small[512];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    dbx_status st = put_path(c, &path, DIRS, dir_path, __func__, "dir_path");
    if (st == DBX_OK) {
        *out = (dbx_files_list_iter *)dbx__iter_new(c, DBX__PAGE_TOKEN_QUERY, "GET", path.ptr, NULL, "contents",
                                                    "page_size", o ? o->page_size : 0, o ? o->max_items : 0);
        st = *out ? DBX_OK : DBX_ENOMEM;
    }
    dbx__buf_dispose(&path);
    return st;
}

DBX_API dbx_status dbx_files_list_iter_next(const dbx_directory_entry **entry, dbx_files_list_iter *it)
{
    return dbx__iter_next(it ? &it->base : NULL, (const dbx__view **)entry);
}

DBX_API void dbx_files_list_iter_free(dbx_files_list_iter *it) { dbx__iter_free(it ? &it->base : NULL); }

DBX_API const char *dbx_directory_entry_path(const dbx_directory_entry *e)
{
    return e ? dbx__jv_get_str(e->v.v, "path", "") : "";
}
DBX_API const char *dbx_directory_entry_name(const dbx_directory_entry *e)
{
    return e ? dbx__jv_get_str(e->v.v, "name", "") : "";
}
DBX_API int dbx_directory_entry_is_directory(const dbx_directory_entry *e)
{
    return e ? dbx__jv_get_bool(e->v.v, "is_directory", 0) : 0;
}
DBX_API int64_t dbx_directory_entry_file_size(const dbx_directory_entry *e)
{
    return e ? dbx__jv_get_int(e->v.v, "file_size", -1) : -1;
}
DBX_API int64_t dbx_directory_entry_last_modified(const dbx_directory_entry *e)
{
    return e ? dbx__jv_get_int(e->v.v, "last_modified", -1) : -1;
}
DBX_API const char *dbx_directory_entry_json(const dbx_directory_entry *e)
{
    return e ? dbx__view_text(&e->v, 0, e->v.v) : NULL;
}

/* ---- download ---------------------------------------------------------------------- */

typedef struct dl {
    dbx__http_resp *resp;     /* the response being received (its headers) */
    dbx_sink_fn sink;
    void *payload;
    const dbx_files_download_options *o;
    int64_t delivered;        /* bytes handed to the sink, all attempts */
    int64_t total;            /* the file's size (-1: not known) */
    int64_t expect_end;       /* this attempt ends at this offset (-1: not known) */
    int first_seen;           /* this attempt's headers were checked */
    int resuming;             /* this attempt asked for a range */
    char last_modified[64];
    int bad;                  /* stopped: the answer is inconsistent (message in why) */
    int cancelled;
    char why[160];
} dl;

/* "bytes a-b/total" (total may be '*'): 0 on success. */
static int parse_content_range(const char *s, int64_t *a, int64_t *b, int64_t *total)
{
    if (!s || dbx__strncasecmp(s, "bytes ", 6) != 0)
        return -1;
    s += 6;
    char *e;
    if (!isdigit((unsigned char)*s))
        return -1;
    unsigned long long x = strtoull(s, &e, 10);
    if (*e != '-' || !isdigit((unsigned char)e[1]))
        return -1;
    unsigned long long y = strtoull(e + 1, &e, 10);
    if (*e != '/' || x > (unsigned long long)INT64_MAX || y > (unsigned long long)INT64_MAX || y < x)
        return -1;
    *a = (int64_t)x;
    *b = (int64_t)y;
    if (e[1] == '*' && e[2] == '\0') {
        *total = -1;
        return 0;
    }
    int64_t t = parse_size(e + 1);
    if (t < 0 || t <= *b)
        return -1;
    *total = t;
    return 0;
}

/* Check an attempt's headers when its first body byte arrives. */
static int dl_check_headers(dl *d)
{
    const dbx__http_resp *r = d->resp;
    const char *cl_s = dbx__resp_header(r, "Content-Length");
    const char *enc = dbx__resp_header(r, "Content-Encoding");
    int64_t cl = cl_s && !enc ? parse_size(cl_s) : -1;
    if (cl_s && !enc && cl < 0) {
        snprintf(d->why, sizeof d->why, "download: invalid Content-Length");
        return -1;
    }
    const char *cr = dbx__resp_header(r, "Content-Range");
    if (d->resuming && cr) {
        int64_t a, b, t;
        if (parse_content_range(cr, &a, &b, &t) != 0 || a != d->delivered || (d->total >= 0 && t >= 0 && t != d->total) ||
            (cl >= 0 && cl != b - a + 1)) {
            snprintf(d->why, sizeof d->why, "download: the resumed answer's Content-Range does not match "
                                            "the range asked for");
            return -1;
        }
        d->expect_end = b + 1;
        if (d->total < 0)
            d->total = t;
    } else if (d->resuming) {
        /* a 200 to a range request: the whole file again; not supported
         * (we would deliver bytes twice) */
        snprintf(d->why, sizeof d->why, "download: the server ignored the Range of a resumed download");
        return -1;
    } else {
        d->total = cl;
        d->expect_end = cl;
        const char *lm = dbx__resp_header(r, "Last-Modified");
        if (lm && strlen(lm) < sizeof d->last_modified && !strpbrk(lm, "\r\n"))
            snprintf(d->last_modified, sizeof d->last_modified, "%s", lm);
    }
    return 0;
}

static size_t dl_write(const char *data, size_t len, void *payload)
{
    dl *d = payload;
    if (!d->first_seen) {
        d->first_seen = 1;
        if (dl_check_headers(d) != 0) {
            d->bad = 1;
            return 0;
        }
    }
    if (d->expect_end >= 0 && (int64_t)len > d->expect_end - d->delivered) {
        snprintf(d->why, sizeof d->why, "download: the server sent more bytes than its Content-Length");
        d->bad = 1;
        return 0;
    }
    if (d->sink(d->payload, data, len) != 0) {
        d->cancelled = 1;
        return 0;
    }
    d->delivered += (int64_t)len;
    if (d->o && d->o->progress && d->o->progress(d->o->progress_payload, d->delivered, d->total) != 0) {
        d->cancelled = 1;
        return 0;
    }
    return len;
}

static dbx_status download(dbx_client *c, const char *fn, const char *remote_path, dbx_sink_fn sink,
                           void *payload, const dbx_files_download_options *o)
{
    char small[512];
    dbx__buf url;
    dbx__buf_init_fixed(&url, small, sizeof small);
    dbx_status st = put_path(c, &url, FILES, remote_path, fn, "remote_path");
    if (st != DBX_OK) {
        dbx__buf_dispose(&url);
        return st;
    }
    int max_resumes = o && o->max_resumes ? (o->max_resumes < 0 ? 0 : o->max_resumes) : DEFAULT_RESUMES;
    dbx__http_resp resp;
    dbx__resp_init(&resp);
    dl d;
    memset(&d, 0, sizeof d);
    d.resp = &resp;
    d.sink = sink;
    d.payload = payload;
    d.o = o;
    d.total = d.expect_end = -1;
    char range[64], ius[96];
    const char *hdrs[3] = {NULL, NULL, NULL};
    for (int resumes = 0;; resumes++) {
        dbx__call call = {0};
        call.method = "GET";
        call.path = url.ptr;
        call.write_fn = dl_write;
        call.write_payload = &d;
        call.idle_timeout = 1;
        if (resumes > 0) {
            snprintf(range, sizeof range, "Range: bytes=%lld-", (long long)d.delivered);
            snprintf(ius, sizeof ius, "If-Unmodified-Since: %s", d.last_modified);
            hdrs[0] = range;
            hdrs[1] = ius;
            call.headers = hdrs;
            d.resuming = 1;
        }
        d.first_seen = 0;
        int64_t before = d.delivered;
        st = dbx__pipeline_send(&c->pipe, &call, &resp);
        if (d.bad) {
            st = dbx__fail(c, DBX_EBADRESPONSE, "%s", d.why);
            dbx__error_set_request("GET", url.ptr);
            dbx__error_set_http(resp.status, "", dbx__resp_header(&resp, "x-request-id"));
            break;
        }
        if (d.cancelled) {
            st = dbx__fail(c, DBX_ECANCELLED, "%s: the sink or progress callback stopped the download", fn);
            break;
        }
        if (st == DBX_OK) {
            if (d.expect_end >= 0 && d.delivered != d.expect_end) {
                /* a clean end short of Content-Length is libcurl's error;
                 * an empty body with a length is ours to catch */
                if (d.delivered < d.expect_end && resumes < max_resumes && d.last_modified[0] &&
                    d.delivered > before)
                    continue;
                st = dbx__fail(c, DBX_EBADRESPONSE, "%s: the body ended after %lld of %lld bytes", fn,
                               (long long)d.delivered, (long long)d.expect_end);
            } else if (!d.first_seen && d.resuming && d.delivered != d.total) {
                st = dbx__fail(c, DBX_EBADRESPONSE, "%s: the resumed answer was empty", fn);
            }
            break;
        }
        if (resp.status == 412 && d.resuming) {
            st = dbx__fail(c, DBX_ECONFLICT, "%s: the file changed during the download "
                                             "(If-Unmodified-Since failed after %lld bytes)",
                           fn, (long long)d.delivered);
            dbx__error_set_request("GET", url.ptr);
            dbx__error_set_http(412, "", dbx__resp_header(&resp, "x-request-id"));
            break;
        }
        /* a connection dropped mid-body: resume where the sink left off */
        const dbx_error *e = dbx__error_current();
        int dropped = st == DBX_ETRANSPORT && e->transport_code != 0 && d.delivered > before;
        if (!dropped || resumes >= max_resumes || !d.last_modified[0])
            break;
    }
    dbx__resp_dispose(&resp);
    dbx__buf_dispose(&url);
    return st;
}

static dbx_status check_download_opts(dbx_client *c, const dbx_files_download_options *o)
{
    if (o && (o->version == 0 || o->version > DBX_FILES_DOWNLOAD_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "dbx_files_download_options version %u is not supported", o->version);
    return DBX_OK;
}

DBX_API dbx_status dbx_files_download(dbx_client *c, const char *remote_path, dbx_sink_fn sink, void *payload,
                                      const dbx_files_download_options *opts)
{
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, sink);
    dbx_status st = check_download_opts(c, opts);
    return st != DBX_OK ? st : download(c, __func__, remote_path, sink, payload, opts);
}

DBX_API dbx_status dbx_files_download_file(dbx_client *c, const char *remote_path, const char *local_path,
                                           const dbx_files_download_options *opts)
{
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, local_path);
    dbx_status st = check_download_opts(c, opts);
    if (st != DBX_OK)
        return st;
    /* the remote path is checked before a local file is made */
    char small[512];
    dbx__buf url;
    dbx__buf_init_fixed(&url, small, sizeof small);
    st = put_path(c, &url, FILES, remote_path, __func__, "remote_path");
    dbx__buf_dispose(&url);
    if (st != DBX_OK)
        return st;
    dbx__file_sink fs;
    st = dbx__file_sink_open(&fs, c, __func__, local_path, opts && opts->overwrite);
    if (st != DBX_OK)
        return st;
    st = download(c, __func__, remote_path, dbx__file_sink_write, &fs, opts);
    if (st == DBX_ECANCELLED && fs.err) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s: cannot write local file '%s': %s", __func__, local_path, strerror(fs.err));
        st = dbx__fail(c, DBX_ERROR, "%s", msg);
    }
    if (st == DBX_OK)
        st = dbx__file_sink_commit(&fs, c, __func__);
    else
        dbx__file_sink_abort(&fs);
    return st;
}

/* ---- upload: sources ------------------------------------------------------------------ */

/* The caller's source seen through the progress callback, and, for the
 * fallback PUT, after bytes already taken out of it (head). */
typedef struct up_src {
    dbx_source src;
    const dbx_source *inner;
    const char *head;         /* bytes read before (the buffered first part) */
    size_t head_len, head_pos;
    int restarted;            /* rewound: the inner source gives everything */
    int64_t done, total;
    const dbx_files_upload_options *o;
} up_src;

static int up_read(void *payload, char *buf, size_t cap, size_t *n)
{
    up_src *u = payload;
    *n = 0;
    if (!u->restarted && u->head_pos < u->head_len) {
        size_t k = u->head_len - u->head_pos < cap ? u->head_len - u->head_pos : cap;
        memcpy(buf, u->head + u->head_pos, k);
        u->head_pos += k;
        *n = k;
    } else if (u->inner->read(u->inner->payload, buf, cap, n) != 0) {
        return -1;
    } else if (*n > cap) {
        return 0; /* the transport reports the broken contract */
    }
    u->done += (int64_t)*n;
    if (u->o && u->o->progress && *n && u->o->progress(u->o->progress_payload, u->done, u->total) != 0)
        return -1;
    return 0;
}

static int up_rewind(void *payload)
{
    up_src *u = payload;
    if (!u->inner->rewind || u->inner->rewind(u->inner->payload) != 0)
        return -1;
    u->restarted = 1;
    u->done = 0;
    return 0;
}

static void up_src_init(up_src *u, const dbx_source *inner, const char *head, size_t head_len,
                        const dbx_files_upload_options *o)
{
    memset(u, 0, sizeof *u);
    u->inner = inner;
    u->head = head;
    u->head_len = head_len;
    u->o = o;
    u->total = inner->size;
    u->src.version = DBX_SOURCE_VERSION;
    u->src.read = up_read;
    u->src.rewind = inner->rewind ? up_rewind : NULL;
    u->src.payload = u;
    u->src.size = inner->size;
}

/* PUT /api/2.0/fs/files{path}: one streamed request. */
static dbx_status single_put(dbx_client *c, const char *base_url, int overwrite, const dbx_source *src)
{
    char small[512];
    dbx__buf url;
    dbx__buf_init_fixed(&url, small, sizeof small);
    dbx__buf_puts(&url, base_url);
    if (overwrite)
        dbx__query_add(&url, "overwrite", overwrite > 0 ? "true" : "false");
    if (url.oom) {
        dbx__buf_dispose(&url);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx__call call = {0};
    call.method = "PUT";
    call.path = url.ptr;
    call.upload = src;
    call.content_type = "application/octet-stream";
    call.idle_timeout = 1;
    /* replacing a file with the same bytes is idempotent; with
     * overwrite=false a resend after success would fail with EEXISTS */
    call.idempotent = overwrite >= 0 ? 1 : -1;
    dbx__http_resp resp;
    dbx__resp_init(&resp);
    dbx_status st = dbx__pipeline_send(&c->pipe, &call, &resp);
    dbx__resp_dispose(&resp);
    dbx__buf_dispose(&url);
    return st;
}

/* ---- upload: multipart ------------------------------------------------------------------ */

/* The error record, kept across best-effort cleanup calls (abort). */
typedef struct saved_error {
    dbx_status st;
    int http_status, transport_code, attempts;
    long retry_after_ms, waited_ms;
    char code[128], msg[1024], rid[128], method[16], path[512];
} saved_error;

static void error_save(saved_error *s)
{
    const dbx_error *e = dbx__error_current();
    s->st = (dbx_status)e->status;
    s->http_status = e->http_status;
    s->transport_code = e->transport_code;
    s->attempts = e->attempts;
    s->retry_after_ms = e->retry_after_ms;
    s->waited_ms = e->waited_ms;
    snprintf(s->code, sizeof s->code, "%s", e->error_code);
    snprintf(s->msg, sizeof s->msg, "%s", e->message);
    snprintf(s->rid, sizeof s->rid, "%s", e->request_id);
    snprintf(s->method, sizeof s->method, "%s", e->method);
    snprintf(s->path, sizeof s->path, "%s", e->path);
}

static dbx_status error_restore(const void *owner, const saved_error *s)
{
    dbx__fail(owner, s->st, "%s", s->msg);
    dbx__error_set_request(s->method, s->path);
    dbx__error_set_http(s->http_status, s->code, s->rid);
    dbx__error_set_transport(s->transport_code);
    dbx__error_set_attempts(s->attempts, s->retry_after_ms);
    dbx__error_set_waited(s->waited_ms);
    return s->st;
}

typedef struct mp {
    dbx_client *c;
    const char *path;        /* the caller's remote path (JSON bodies) */
    const char *base_url;    /* FILES + encoded path */
    char *session;
    dbx__jdoc urls;          /* the last create-upload-part-urls answer */
    int batch;               /* URLs per request */
    json_t *parts;           /* [{part_number, etag}] */
} mp;

static void expire_time(char *out, size_t cap)
{
    time_t t = (time_t)((dbx__wall_ms() + URL_TTL_MS) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Fetch URLs for parts [first, first + count). */
static dbx_status fetch_urls(mp *m, long first, int count)
{
    char exp[40];
    expire_time(exp, sizeof exp);
    json_t *body = json_object();
    if (!body || dbx__json_set_str(body, "path", m->path) != 0 ||
        dbx__json_set_str(body, "session_token", m->session) != 0 ||
        dbx__json_set_int(body, "start_part_number", first) != 0 || dbx__json_set_int(body, "count", count) != 0 ||
        dbx__json_set_str(body, "expire_time", exp) != 0) {
        dbx__json_decref_deep(body);
        return dbx__fail(m->c, DBX_ENOMEM, "out of memory");
    }
    dbx__jdoc_dispose(&m->urls);
    dbx_status st = dbx__api_call(m->c, "POST", "/api/2.0/fs/create-upload-part-urls", body, 0, &m->urls);
    dbx__json_decref_deep(body);
    if (st == DBX_OK && !dbx__jv_is_array(dbx__jv_get(dbx__jdoc_root(&m->urls), "upload_part_urls"))) {
        dbx__jdoc_dispose(&m->urls);
        return dbx__fail_answer(m->c, DBX_EBADRESPONSE, "create-upload-part-urls: no upload_part_urls array");
    }
    return st;
}

/* The URL entry for part n in the cached answer, or absent. */
static dbx__jv find_url(const mp *m, long n)
{
    if (!m->urls.text)
        return DBX__JV_ABSENT;
    dbx__jit it;
    dbx__jv e;
    dbx__jv_iter(dbx__jv_get(dbx__jdoc_root(&m->urls), "upload_part_urls"), &it);
    while (dbx__jit_next(&it, &e, NULL))
        if (dbx__jv_get_int(e, "part_number", -1) == n && !dbx__empty(dbx__jv_get_str(e, "url", NULL)))
            return e;
    return DBX__JV_ABSENT;
}

/* "Name: value" lines of a headers array [{name, value}] into lines[]
 * (storage in buf), but a Content-Type's value into *ctype (borrowed from
 * the document; the pipeline writes that header); -1 when one is unusable
 * (hostile server). */
#define MAX_PART_HEADERS 16
static int header_lines(dbx__jv arr, dbx__buf *buf, const char **lines, size_t *n, const char **ctype)
{
    size_t offs[MAX_PART_HEADERS];
    dbx__jit it;
    dbx__jv h;
    *n = 0;
    dbx__jv_iter(arr, &it);
    while (dbx__jit_next(&it, &h, NULL)) {
        const char *name = dbx__jv_get_str(h, "name", "");
        const char *value = dbx__jv_get_str(h, "value", "");
        if (*n >= MAX_PART_HEADERS || !*name || strpbrk(name, "\r\n: \t") || strpbrk(value, "\r\n") ||
            dbx__strcasecmp(name, "Authorization") == 0 || dbx__strcasecmp(name, "Content-Length") == 0 ||
            dbx__strcasecmp(name, "Host") == 0)
            return -1;
        if (dbx__strcasecmp(name, "Content-Type") == 0) {
            *ctype = value;
            continue;
        }
        offs[*n] = buf->len;
        dbx__buf_printf(buf, "%s: %s", name, value);
        dbx__buf_putc(buf, '\0');
        (*n)++;
    }
    if (buf->oom)
        return -2;
    for (size_t i = 0; i < *n; i++)
        lines[i] = buf->ptr + offs[i];
    lines[*n] = NULL;
    return 0;
}

static int is_expired(const dbx__http_resp *r)
{
    if (r->status != 403 || !r->body.ptr)
        return 0;
    const char *b = r->body.ptr;
    return (strstr(b, "AccessDenied") && strstr(b, "Request has expired")) ||
           (strstr(b, "AuthenticationFailed") && strstr(b, "Signature not valid in the specified time frame"));
}

/* Shared with other areas that PUT/GET at presigned URLs (files_internal.h). */
int dbx__presigned_headers(dbx__jv arr, dbx__buf *buf, const char **lines, size_t *n, const char **ctype)
{
    return header_lines(arr, buf, lines, n, ctype);
}

int dbx__presigned_expired(const dbx__http_resp *r) { return is_expired(r); }

/* PUT one part (n, bytes in buf) to presigned URLs, with a fresh URL for
 * each retry after an expired URL or a cloud error. DBX_OK appends its
 * ETag to m->parts. */
static dbx_status put_part(mp *m, long n, const char *data, size_t len)
{
    dbx_status st = DBX_OK;
    for (int attempt = 0;; attempt++) {
        dbx__jv e = attempt == 0 ? find_url(m, n) : DBX__JV_ABSENT;
        if (!dbx__jv_present(e)) {
            st = fetch_urls(m, n, attempt == 0 ? m->batch : 1);
            if (st != DBX_OK) {
                dbx__error_prefix("multipart upload part %ld: ", n);
                return st;
            }
            e = find_url(m, n);
            if (!dbx__jv_present(e))
                return dbx__fail_answer(m->c, DBX_EBADRESPONSE,
                                        "create-upload-part-urls: no URL for part %ld", n);
        }
        const char *url = dbx__jv_get_str(e, "url", "");
        dbx__origin o;
        if (dbx__origin_parse(url, &o) != 0 || strpbrk(url, " \r\n"))
            return dbx__fail_answer(m->c, DBX_EBADRESPONSE, "create-upload-part-urls: part %ld's URL is not "
                                                            "an http(s) URL", n);
        char hsmall[512];
        dbx__buf hb;
        dbx__buf_init_fixed(&hb, hsmall, sizeof hsmall);
        const char *lines[MAX_PART_HEADERS + 1];
        size_t nl;
        const char *ctype = "application/octet-stream";
        int hr = header_lines(dbx__jv_get(e, "headers"), &hb, lines, &nl, &ctype);
        if (hr != 0) {
            dbx__buf_dispose(&hb);
            return hr == -2 ? dbx__fail(m->c, DBX_ENOMEM, "out of memory")
                            : dbx__fail_answer(m->c, DBX_EBADRESPONSE,
                                               "create-upload-part-urls: part %ld has an unusable header", n);
        }
        dbx__call call = {0};
        call.method = "PUT";
        call.path = url;
        call.no_auth = 1; /* presigned: the URL is the credential, ours never goes along */
        call.headers = lines;
        call.body = data ? data : "";
        call.body_len = len;
        call.content_type = ctype;
        call.idempotent = -1; /* 500 and resets: retried below, with a fresh URL */
        call.max_attempts = 3; /* the cloud's own retries (429, 503) on this URL */
        call.idle_timeout = 1;
        dbx__http_resp resp;
        dbx__resp_init(&resp);
        st = dbx__pipeline_send(&m->c->pipe, &call, &resp);
        dbx__buf_dispose(&hb);
        if (st == DBX_OK) {
            const char *etag = dbx__resp_header(&resp, "ETag");
            json_t *p = json_object();
            if (!etag || !*etag) {
                st = dbx__fail(m->c, DBX_EBADRESPONSE, "multipart upload part %ld: the storage answer has no "
                                                       "ETag", n);
            } else if (!p || dbx__json_set_int(p, "part_number", n) != 0 ||
                       dbx__json_set_str(p, "etag", etag) != 0 || json_array_append(m->parts, p) != 0) {
                st = dbx__fail(m->c, DBX_ENOMEM, "out of memory");
            }
            dbx__json_decref_deep(p);
            dbx__resp_dispose(&resp);
            return st;
        }
        int s = resp.status;
        int retry = is_expired(&resp) || s == 408 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504 ||
                    (s == 0 && st == DBX_ETRANSPORT);
        dbx__resp_dispose(&resp);
        /* the message names the part, never the (presigned) URL */
        dbx__error_prefix("multipart upload part %ld: ", n);
        if (!retry || attempt >= PART_RETRIES)
            return st;
        dbx__log(&m->c->pipe.log, DBX_LOG_INFO, DBX_LOGCAT_RETRY,
                 "multipart upload part %ld: retrying with a fresh URL (HTTP %d)", n, s);
    }
}

static dbx_status complete(mp *m)
{
    char small[512];
    dbx__buf url;
    dbx__buf_init_fixed(&url, small, sizeof small);
    dbx__buf_puts(&url, m->base_url);
    dbx__query_add(&url, "action", "complete-upload");
    dbx__query_add(&url, "upload_type", "multipart");
    dbx__query_add(&url, "session_token", m->session);
    json_t *body = json_object();
    dbx_status st;
    if (url.oom || !body || json_object_set(body, "parts", m->parts) != 0)
        st = dbx__fail(m->c, DBX_ENOMEM, "out of memory");
    else
        st = dbx__api_call(m->c, "POST", url.ptr, body, 0, NULL);
    dbx__json_decref_deep(body);
    dbx__buf_dispose(&url);
    return st;
}

/* Best effort: the caller's error record is kept whatever happens here. */
static void abort_upload(mp *m)
{
    saved_error se;
    error_save(&se);
    char exp[40];
    expire_time(exp, sizeof exp);
    json_t *body = json_object();
    dbx__jdoc doc;
    memset(&doc, 0, sizeof doc);
    if (body && dbx__json_set_str(body, "path", m->path) == 0 &&
        dbx__json_set_str(body, "session_token", m->session) == 0 && dbx__json_set_str(body, "expire_time", exp) == 0 &&
        dbx__api_call(m->c, "POST", "/api/2.0/fs/create-abort-upload-url", body, 0, &doc) == DBX_OK) {
        dbx__jv a = dbx__jv_get(dbx__jdoc_root(&doc), "abort_upload_url");
        const char *url = dbx__jv_get_str(a, "url", "");
        char hsmall[512];
        dbx__buf hb;
        dbx__buf_init_fixed(&hb, hsmall, sizeof hsmall);
        const char *lines[MAX_PART_HEADERS + 1];
        size_t nl;
        const char *ctype = NULL;
        dbx__origin o;
        if (dbx__origin_parse(url, &o) == 0 && !strpbrk(url, " \r\n") &&
            header_lines(dbx__jv_get(a, "headers"), &hb, lines, &nl, &ctype) == 0) {
            dbx__call call = {0};
            call.method = "DELETE";
            call.path = url;
            call.no_auth = 1;
            call.headers = lines;
            dbx__http_resp resp;
            dbx__resp_init(&resp);
            dbx__pipeline_send(&m->c->pipe, &call, &resp);
            dbx__resp_dispose(&resp);
        }
        dbx__buf_dispose(&hb);
    }
    dbx__jdoc_dispose(&doc);
    dbx__json_decref_deep(body);
    error_restore(m->c, &se);
}

/* Part size rule (protocols.md): the smallest of the ladder giving <= 100
 * parts for a known size, else 10 MiB. */
static int64_t choose_part_size(int64_t size)
{
    static const int64_t ladder[] = {10, 20, 50, 100, 200, 500, 1024, 2048, 4096};
    if (size < 0)
        return DEFAULT_PART;
    for (size_t i = 0; i < sizeof ladder / sizeof *ladder; i++)
        if ((size + ladder[i] * MiB - 1) / (ladder[i] * MiB) <= 100)
            return ladder[i] * MiB;
    return MAX_PART;
}

/* May an initiate failure mean "no presigned URLs here"? An answer with an
 * HTTP status that is not about credentials, an existing file or load.
 * Where the reference is silent (what exactly such a workspace answers),
 * falling back is harmless: the single PUT surfaces any real problem. */
static int fallback_ok(dbx_status st)
{
    const dbx_error *e = dbx__error_current();
    return e->http_status >= 400 && e->http_status != 401 && e->http_status != 409 && e->http_status != 429 &&
           st != DBX_EEXISTS && st != DBX_ECANCELLED && st != DBX_ENOMEM;
}

static dbx_status upload(dbx_client *c, const char *fn, const char *remote_path, const dbx_source *src,
                         const dbx_files_upload_options *o)
{
    if (o && (o->version == 0 || o->version > DBX_FILES_UPLOAD_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "dbx_files_upload_options version %u is not supported", o->version);
    if (o && (o->overwrite < -1 || o->overwrite > 1))
        return dbx__fail(c, DBX_EINVAL, "%s: opts->overwrite must be -1, 0 or 1", fn);
    if (o && o->part_size && (o->part_size < MIN_PART || o->part_size > MAX_PART))
        return dbx__fail(c, DBX_EINVAL, "%s: opts->part_size must be 5 MiB .. 4 GiB", fn);
    dbx_status st = dbx__source_check(c, fn, src);
    if (st != DBX_OK)
        return st;
    char small[512];
    dbx__buf url;
    dbx__buf_init_fixed(&url, small, sizeof small);
    st = put_path(c, &url, FILES, remote_path, fn, "remote_path");
    if (st != DBX_OK) {
        dbx__buf_dispose(&url);
        return st;
    }
    int overwrite = o ? o->overwrite : 0;
    int64_t threshold = o && o->multipart_threshold ? o->multipart_threshold : DEFAULT_THRESHOLD;
    int64_t size = src->size;
    up_src us;
    if (threshold < 0 || (size >= 0 && size < threshold)) {
        up_src_init(&us, src, NULL, 0, o);
        st = single_put(c, url.ptr, overwrite, &us.src);
        dbx__buf_dispose(&url);
        return st;
    }
    int64_t psize = o && o->part_size ? o->part_size : choose_part_size(size);
    if (size >= 0 && (size + psize - 1) / psize > MAX_PARTS) {
        dbx__buf_dispose(&url);
        return dbx__fail(c, DBX_EINVAL, "%s: %lld bytes in parts of %lld would exceed %d parts", fn,
                         (long long)size, (long long)psize, MAX_PARTS);
    }
    char *buf = dbx__malloc((size_t)psize);
    if (!buf) {
        dbx__buf_dispose(&url);
        return dbx__fail(c, DBX_ENOMEM, "out of memory (a %lld-byte part buffer)", (long long)psize);
    }
    /* part 1 first: an unknown-size source that ends within it is one PUT */
    up_src_init(&us, src, NULL, 0, o);
    size_t n = 0;
    int eof = 0;
    st = dbx__source_fill(c, fn, &us.src, buf, (size_t)psize, &n, &eof);
    mp m;
    memset(&m, 0, sizeof m);
    m.c = c;
    m.path = remote_path;
    m.base_url = url.ptr;
    if (st != DBX_OK)
        goto out;
    if (eof && size < 0) {
        dbx__mem_source ms;
        dbx__mem_source_init(&ms, buf, n);
        st = single_put(c, url.ptr, overwrite, &ms.src);
        goto out;
    }
    int64_t parts_known = size >= 0 ? (size + psize - 1) / psize : -1;
    m.batch = 1;
    if (parts_known > 1)
        while ((int64_t)m.batch * m.batch < parts_known && m.batch < 100)
            m.batch++;
    if (!(m.parts = json_array())) {
        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
        goto out;
    }
    /* initiate */
    {
        char ismall[512];
        dbx__buf iu;
        dbx__buf_init_fixed(&iu, ismall, sizeof ismall);
        dbx__buf_puts(&iu, url.ptr);
        dbx__query_add(&iu, "action", "initiate-upload");
        if (overwrite)
            dbx__query_add(&iu, "overwrite", overwrite > 0 ? "true" : "false");
        dbx__jdoc doc;
        memset(&doc, 0, sizeof doc);
        st = iu.oom ? dbx__fail(c, DBX_ENOMEM, "out of memory") : dbx__api_call(c, "POST", iu.ptr, NULL, 0, &doc);
        dbx__buf_dispose(&iu);
        const char *tok = st == DBX_OK ? dbx__jv_str(dbx__jv_path(dbx__jdoc_root(&doc), "multipart_upload.session_token"), NULL)
                                       : NULL;
        if (st == DBX_OK && !dbx__empty(tok) && !(m.session = dbx__strdup(tok)))
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
        dbx__jdoc_dispose(&doc);
        if ((st == DBX_OK && !m.session) || (st != DBX_OK && fallback_ok(st)))
            goto fallback; /* no multipart here (or GCP resumable, not implemented) */
        if (st != DBX_OK)
            goto out;
    }
    for (long part = 1;; part++) {
        if (part > 1) {
            st = dbx__source_fill(c, fn, &us.src, buf, (size_t)psize, &n, &eof);
            if (st != DBX_OK)
                goto abort;
            if (n == 0)
                break;
            if (part > MAX_PARTS) {
                st = dbx__fail(c, DBX_EINVAL, "%s: the source needs more than %d parts of %lld bytes", fn,
                               MAX_PARTS, (long long)psize);
                goto abort;
            }
        }
        if (size >= 0 && us.done > size) {
            st = dbx__fail(c, DBX_EINVAL, "%s: the source delivered more bytes than its size (%lld)", fn,
                           (long long)size);
            goto abort;
        }
        st = put_part(&m, part, buf, n);
        if (st != DBX_OK) {
            if (part == 1 && st != DBX_ECANCELLED && st != DBX_ENOMEM) {
                abort_upload(&m);
                goto fallback;
            }
            goto abort;
        }
        if (eof)
            break;
    }
    if (size >= 0 && us.done != size) {
        st = dbx__fail(c, DBX_EINVAL, "%s: the source delivered %lld bytes, not its size (%lld)", fn,
                       (long long)us.done, (long long)size);
        goto abort;
    }
    st = complete(&m);
    if (st == DBX_OK)
        goto out;
abort:
    abort_upload(&m);
    goto out;
fallback : {
    /* one PUT: the buffered first part, then the rest of the source */
    dbx__log(&c->pipe.log, DBX_LOG_INFO, DBX_LOGCAT_HTTP_REQUEST,
             "%s: multipart upload not available here; using a single PUT", fn);
    dbx__error_clear(c);
    up_src rest;
    up_src_init(&rest, &us.src, buf, n, NULL);
    st = single_put(c, url.ptr, overwrite, &rest.src);
}
out:
    dbx__jdoc_dispose(&m.urls);
    dbx__json_decref_deep(m.parts);
    dbx__free(m.session);
    dbx__free(buf);
    dbx__buf_dispose(&url);
    return st;
}

DBX_API dbx_status dbx_files_upload(dbx_client *c, const char *remote_path, const dbx_source *src,
                                    const dbx_files_upload_options *opts)
{
    DBX__ENTER(c);
    return upload(c, __func__, remote_path, src, opts);
}

DBX_API dbx_status dbx_files_upload_file(dbx_client *c, const char *remote_path, const char *local_path,
                                         const dbx_files_upload_options *opts)
{
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, local_path);
    dbx__file_source fs;
    dbx_status st = dbx__file_source_open(&fs, c, __func__, local_path);
    if (st != DBX_OK)
        return st;
    st = upload(c, __func__, remote_path, &fs.src, opts);
    if (st == DBX_ECANCELLED && fs.err)
        st = dbx__fail(c, DBX_ERROR, "%s: cannot read local file '%s': %s", __func__, local_path, strerror(fs.err));
    dbx__file_source_close(&fs);
    return st;
}

DBX_API dbx_status dbx_files_upload_buffer(dbx_client *c, const char *remote_path, const void *data, size_t len,
                                           const dbx_files_upload_options *opts)
{
    DBX__ENTER(c);
    if (!data && len)
        return dbx__fail(c, DBX_EINVAL, "%s: data is NULL", __func__);
    dbx__mem_source ms;
    dbx__mem_source_init(&ms, data, len);
    return upload(c, __func__, remote_path, &ms.src, opts);
}
