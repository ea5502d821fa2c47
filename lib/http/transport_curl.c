/*
 * libdbx internal: the libcurl transport.
 *
 * A mutex-guarded pool of easy handles gives every in-flight call its own
 * handle (an easy handle must never be used by two threads at once); each
 * pooled handle keeps its live connections, so calls reuse kept-alive
 * connections. One share handle holds the TLS sessions for
 * all handles. Connections themselves are not shared: libcurl does not
 * support sharing its connection cache between concurrent threads.
 */
#include <curl/curl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

#define DEFAULT_MAX_IDLE 32
#define MAX_IDLE_MULTI 4

typedef struct xfer {
    const dbx__http_req *req;
    dbx__http_resp *resp;
    long status;          /* of the response being received (0: not known yet) */
    long long content_length; /* -1: none */
    int encoded;          /* Content-Encoding present: Content-Length is not the decoded size */
    int started;          /* first body byte seen */
    int headers_done;     /* the blank line ending a final (non-1xx) header block seen */
    size_t header_bytes;
    size_t error_read;    /* bytes of a non-2xx body received */
    int aborted, oom, body_too_large, headers_too_large, error_overflow;
    size_t mem_off;       /* an in-memory body sent through on_read (no_replay) */
    int replay_refused;   /* libcurl wanted to resend a no_replay body */
} xfer;

/* A pooled easy handle, the state of its transfer (the callbacks' data and
 * the error buffer, registered once when the handle is made), and the
 * per-call options it was last left with, so that a call only sets what
 * differs from the previous one on the handle. */
typedef struct hnd {
    CURL *h;
    xfer x;
    char errbuf[CURL_ERROR_SIZE];
    int mode; /* 0 unknown, 1 GET, 2 HEAD, 3 with a body / custom method */
    long timeout_ms, connect_timeout_ms; /* -1: not set yet */
    long low_speed_s; /* 0: not set (libcurl's default) */
    const char *proxy; /* the transport's string last set (NULL: not yet) */
    int httpv;         /* dbx__tx_multi_opts.http_version last set (0: libcurl's default) */
    int pipewait;      /* CURLOPT_PIPEWAIT last set */
} hnd;

typedef struct curl_tx {
    dbx__transport base;
    pthread_mutex_t mu;
    hnd **idle;
    int n_idle, max_idle;
    CURLSH *share;
    pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];
    CURLM *idle_multi[MAX_IDLE_MULTI]; /* kept between batches, with their connections */
    int n_idle_multi;
    char *ca_bundle;
    char *proxy_https, *proxy_http, *noproxy; /* never NULL once made ("" = none) */
    int insecure;
} curl_tx;

/* ---- response helpers (shared with the test transport) ------------------- */

void dbx__resp_init(dbx__http_resp *r)
{
    memset(r, 0, sizeof *r);
    dbx__buf_init_fixed(&r->hdr, r->arena_small, sizeof r->arena_small);
    r->hidx = r->hsmall;
    r->cap_headers = DBX__HDR_INLINE;
}

void dbx__resp_reset(dbx__http_resp *r)
{
    r->status = 0;
    dbx__buf_clear(&r->body);
    r->body.oom = 0;
    dbx__buf_clear(&r->hdr);
    r->hdr.oom = 0;
    r->n_headers = 0;
    r->delivered = 0;
}

void dbx__resp_dispose(dbx__http_resp *r)
{
    dbx__buf_dispose(&r->body);
    dbx__buf_dispose(&r->hdr);
    if (r->hidx != r->hsmall)
        dbx__free(r->hidx);
    dbx__resp_init(r);
}

int dbx__resp_add_header(dbx__http_resp *r, const char *name, size_t nlen, const char *value,
                         size_t vlen)
{
    if (r->n_headers == r->cap_headers) {
        uint32_t *h = dbx__array_grow(r->hidx, r->hsmall, r->n_headers, &r->cap_headers, r->n_headers + 1,
                                      sizeof *h);
        if (!h)
            return -1;
        r->hidx = h;
    }
    size_t off = r->hdr.len;
    if (off > UINT32_MAX - nlen - vlen - 2 || dbx__buf_grow(&r->hdr, nlen + vlen + 2) != 0)
        return -1;
    char *d = r->hdr.ptr + off;
    memcpy(d, name, nlen);
    d[nlen] = '\0';
    memcpy(d + nlen + 1, value, vlen);
    d[nlen + 1 + vlen] = '\0';
    r->hdr.len += nlen + vlen + 2;
    r->hidx[r->n_headers++] = (uint32_t)off;
    return 0;
}

const char *dbx__resp_header_name(const dbx__http_resp *r, size_t i) { return r->hdr.ptr + r->hidx[i]; }

const char *dbx__resp_header_value(const dbx__http_resp *r, size_t i)
{
    const char *n = r->hdr.ptr + r->hidx[i];
    return n + strlen(n) + 1;
}

const char *dbx__resp_header(const dbx__http_resp *r, const char *name)
{
    for (size_t i = r->n_headers; i-- > 0;)
        if (dbx__strcasecmp(dbx__resp_header_name(r, i), name) == 0)
            return dbx__resp_header_value(r, i);
    return NULL;
}

/* ---- share locking ---------------------------------------------------------- */

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access acc, void *ud)
{
    (void)h;
    (void)acc;
    curl_tx *t = ud;
    pthread_mutex_lock(&t->share_mu[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
    (void)h;
    curl_tx *t = ud;
    pthread_mutex_unlock(&t->share_mu[data]);
}

/* ---- pool --------------------------------------------------------------------- */

static size_t on_header(char *data, size_t size, size_t n, void *ud);
static size_t on_body(char *data, size_t size, size_t n, void *ud);
static size_t on_read(char *buf, size_t size, size_t n, void *ud);
static int on_seek(void *ud, curl_off_t offset, int origin);

/* Options that never change for a client are set once, when a handle is
 * made; a pooled handle keeps them (and its live connections) between calls. */
static hnd *new_handle(curl_tx *t)
{
    hnd *x = dbx__calloc(1, sizeof *x);
    if (!x)
        return NULL;
    CURL *h = x->h = curl_easy_init();
    if (!h) {
        dbx__free(x);
        return NULL;
    }
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L); /* the pipeline decides, per origin */
    curl_easy_setopt(h, CURLOPT_SHARE, t->share);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    /* An idle connection is not reused after 50 s (libcurl's default: 118 s),
     * below the usual idle timeouts of load balancers (60 s): fewer requests
     * meet a connection the server is closing, which matters most for the
     * ones that are not resent (no_replay). */
    curl_easy_setopt(h, CURLOPT_MAXAGE_CONN, 50L);
    /* gzip is always decoded (a compressed body is inflated, and limited
     * on its decoded size); whether it is offered is decided per call */
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x->x);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x->x);
    /* streamed request bodies (used only while POSTFIELDS is NULL) */
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &x->x);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &x->x);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
    x->timeout_ms = x->connect_timeout_ms = -1;
    if (t->ca_bundle)
        curl_easy_setopt(h, CURLOPT_CAINFO, t->ca_bundle);
    if (t->insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_easy_setopt(h, CURLOPT_NOPROXY, t->noproxy);
    return x;
}

static void free_handle(hnd *x)
{
    if (x) {
        curl_easy_cleanup(x->h);
        dbx__free(x);
    }
}

static hnd *acquire(curl_tx *t)
{
    hnd *h = NULL;
    pthread_mutex_lock(&t->mu);
    if (t->n_idle > 0)
        h = t->idle[--t->n_idle];
    pthread_mutex_unlock(&t->mu);
    return h ? h : new_handle(t);
}

static void release(curl_tx *t, hnd *h)
{
    pthread_mutex_lock(&t->mu);
    if (t->n_idle < t->max_idle) {
        t->idle[t->n_idle++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&t->mu);
    free_handle(h);
}

/* ---- callbacks ------------------------------------------------------------------ */


static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n;
    x->header_bytes += len;
    if (x->header_bytes > DBX__MAX_HEADER_BYTES || x->resp->n_headers >= DBX__MAX_HEADERS) {
        x->headers_too_large = 1;
        return 0;
    }
    size_t end = len;
    while (end > 0 && (data[end - 1] == '\r' || data[end - 1] == '\n'))
        end--;
    if (end >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        /* a new response (after 100 Continue): forget earlier headers */
        x->resp->n_headers = 0;
        dbx__buf_clear(&x->resp->hdr);
        x->content_length = -1;
        x->encoded = 0;
        x->status = 0;
        const char *sp = memchr(data, ' ', end);
        if (sp && end - (size_t)(sp - data) >= 4)
            x->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
        return len;
    }
    if (end == 0) {
        if (x->status >= 200)
            x->headers_done = 1;
        return len;
    }
    const char *colon = memchr(data, ':', end);
    if (!colon)
        return len;
    size_t nlen = (size_t)(colon - data);
    const char *v = colon + 1;
    while (v < data + end && (*v == ' ' || *v == '\t'))
        v++;
    if (nlen == 14 && dbx__strncasecmp(data, "Content-Length", 14) == 0) {
        char *e;
        unsigned long long cl = strtoull(v, &e, 10);
        x->content_length = e != v && cl <= (unsigned long long)LLONG_MAX ? (long long)cl : -1;
    } else if (nlen == 16 && dbx__strncasecmp(data, "Content-Encoding", 16) == 0) {
        x->encoded = 1;
    }
    if (dbx__resp_add_header(x->resp, data, nlen, v, (size_t)(data + end - v)) != 0) {
        x->oom = 1;
        return 0;
    }
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n;
    dbx__http_resp *r = x->resp;
    int ok = x->status >= 200 && x->status < 300;
    if (!ok) {
        /* An error (or redirect) body: buffered for the error record, but
         * only so much of it kept and read (a server may send endless bytes). */
        x->error_read += len;
        size_t keep = r->body.len < DBX__ERROR_BODY_KEEP ? DBX__ERROR_BODY_KEEP - r->body.len : 0;
        if (keep > len)
            keep = len;
        if (keep && dbx__buf_put(&r->body, data, keep) != 0) {
            x->oom = 1;
            return 0;
        }
        if (x->error_read > DBX__ERROR_BODY_READ) {
            x->error_overflow = 1;
            return 0;
        }
        return len;
    }
    if (x->req->write_fn) {
        size_t got = x->req->write_fn(data, len, x->req->write_payload);
        if (got != len) {
            x->aborted = 1;
            return 0;
        }
        r->delivered += len;
        return len;
    }
    if (!x->started) {
        x->started = 1;
        if (x->content_length >= 0 && !x->encoded) {
            /* one allocation for the whole body, and an early no when the
             * server announces more than we will hold */
            if (r->max_body && (unsigned long long)x->content_length > r->max_body) {
                x->body_too_large = 1;
                return 0;
            }
            dbx__buf_grow(&r->body, (size_t)x->content_length);
        }
    }
    /* the limit is on decoded bytes: a small compressed body can inflate */
    if (r->max_body && (len > r->max_body || r->body.len > r->max_body - len)) {
        x->body_too_large = 1;
        return 0;
    }
    if (dbx__buf_put(&r->body, data, len) != 0) {
        x->oom = 1;
        return 0;
    }
    return len;
}

/* A streamed request body: read from the caller's source, counted, and
 * checked against the size it announced. */
static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    dbx__upload *up = x->req->upload;
    size_t cap = size * n, got = 0;
    if (!up) { /* an in-memory body of a no_replay request */
        size_t left = x->req->body ? x->req->body_len - x->mem_off : 0;
        got = left < cap ? left : cap;
        if (got)
            memcpy(buf, x->req->body + x->mem_off, got);
        x->mem_off += got;
        return got;
    }
    if (up->src->read(up->src->payload, buf, cap, &got) != 0) {
        up->refused = 1;
        return CURL_READFUNC_ABORT;
    }
    if (got > cap || (up->len >= 0 && (uint64_t)got > (uint64_t)up->len - up->sent)) {
        up->bad = 1; /* more than asked for, or than announced */
        return CURL_READFUNC_ABORT;
    }
    if (got == 0 && up->len >= 0 && up->sent != (uint64_t)up->len) {
        up->bad = 2; /* the data ended early */
        return CURL_READFUNC_ABORT;
    }
    up->sent += got;
    return got;
}

/* libcurl's own rewind (a resend on a fresh connection): only to the start,
 * and only when the source can go back. */
static int on_seek(void *ud, curl_off_t offset, int origin)
{
    xfer *x = ud;
    dbx__upload *up = x->req->upload;
    if (x->req->no_replay) {
        /* libcurl's own resend of a body it already sent on a connection
         * that then died: the server may have acted on it */
        x->replay_refused = 1;
        return CURL_SEEKFUNC_CANTSEEK;
    }
    if (!up) { /* an in-memory body: libcurl needs it again from the start */
        if (offset != 0 || origin != SEEK_SET)
            return CURL_SEEKFUNC_CANTSEEK;
        x->mem_off = 0;
        return CURL_SEEKFUNC_OK;
    }
    if (offset != 0 || origin != SEEK_SET || !up->src->rewind)
        return CURL_SEEKFUNC_CANTSEEK;
    if (up->src->rewind(up->src->payload) != 0) {
        up->rewind_failed = 1;
        return CURL_SEEKFUNC_FAIL;
    }
    up->sent = 0;
    return CURL_SEEKFUNC_OK;
}

/* ---- send ------------------------------------------------------------------------- */

static dbx__tx_kind classify(CURLcode rc)
{
    switch (rc) {
    case CURLE_OK: return DBX__TX_OK;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return DBX__TX_NOT_SENT;
    case CURLE_OPERATION_TIMEDOUT: return DBX__TX_TIMEOUT;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
        return DBX__TX_TLS;
    case CURLE_OUT_OF_MEMORY: return DBX__TX_NOMEM;
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_WRITE_ERROR: return DBX__TX_ABORTED;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_NOT_BUILT_IN:
        return DBX__TX_LOCAL;
    default:
#if LIBCURL_VERSION_NUM >= 0x080600
        if (rc == CURLE_TOO_LARGE)
            return DBX__TX_HEADERS_TOO_LARGE;
#endif
        return DBX__TX_FAILED;
    }
}

#define MAX_REQ_HEADERS 40

/* Set a handle up for one transfer. `nodes` (MAX_REQ_HEADERS + 2 of them)
 * hold the header list: libcurl only reads it during the transfer, so no
 * list node needs an allocation. */
static void tx_setup(curl_tx *t, hnd *hx, const dbx__http_req *req, dbx__http_resp *resp,
                     struct curl_slist *nodes, int httpv)
{
    CURL *h = hx->h;
    if (hx->httpv != httpv) {
        /* 2: HTTP/2 over TLS (ALPN), HTTP/1.1 over plain http. 1: HTTP/1.1
         * only. 0: libcurl's default. */
        curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
                         httpv == 2 ? (long)CURL_HTTP_VERSION_2TLS
                                    : httpv == 1 ? (long)CURL_HTTP_VERSION_1_1 : (long)CURL_HTTP_VERSION_NONE);
        hx->httpv = httpv;
    }
    /* HTTP/2 on https: a new transfer waits for a connection being set up
     * that may multiplex it rather than opening another (not on plain http,
     * where it would only wait for a connection that cannot multiplex) */
    int pipewait = httpv == 2 && dbx__strncasecmp(req->url, "https:", 6) == 0;
    if (hx->pipewait != pipewait) {
        curl_easy_setopt(h, CURLOPT_PIPEWAIT, (long)pipewait);
        hx->pipewait = pipewait;
    }
    size_t nn = 0;
    for (size_t i = 0; i < req->n_headers; i++)
        nodes[nn++].data = (char *)req->headers[i];
    nodes[nn++].data = (char *)"Expect:"; /* no 100-continue round trip for larger bodies */
    /* Offer gzip only where the pipeline says it pays (large answers). An
     * empty header removes libcurl's own, which it would otherwise format
     * anew on every request (~7k instructions, more than a small body saves). */
    if (!req->accept_gzip)
        nodes[nn++].data = (char *)"Accept-Encoding:";
    for (size_t i = 0; i < nn; i++)
        nodes[i].next = i + 1 < nn ? &nodes[i + 1] : NULL;

    xfer *xp = &hx->x;
    memset(xp, 0, sizeof *xp);
    xp->req = req;
    xp->resp = resp;
    xp->content_length = -1;
    hx->errbuf[0] = '\0';

    /* per call: everything a previous call on this handle may have set */
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, nodes);
    /* the proxy for this URL's scheme ("" = none, which also keeps libcurl
     * from reading the proxy variables again on every request) */
    const char *px = dbx__strncasecmp(req->url, "https:", 6) == 0 ? t->proxy_https : t->proxy_http;
    if (hx->proxy != px) {
        curl_easy_setopt(h, CURLOPT_PROXY, px);
        hx->proxy = px;
    }
    long to = req->timeout_ms > 0 ? req->timeout_ms : 0L, cto = req->connect_timeout_ms > 0 ? req->connect_timeout_ms : 0L;
    long low = 0;
    if (req->idle_timeout && to > 0) {
        /* a transfer of any size: abort after `to` of (almost) no progress */
        low = (to + 999) / 1000;
        to = 0;
    }
    if (hx->low_speed_s != low) {
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, low ? 1L : 0L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, low);
        hx->low_speed_s = low;
    }
    if (hx->timeout_ms != to) {
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, to);
        hx->timeout_ms = to;
    }
    if (hx->connect_timeout_ms != cto) {
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, cto);
        hx->connect_timeout_ms = cto;
    }

    const char *m = req->method;
    if (strcmp(m, "GET") == 0 && !req->body && !req->upload) {
        if (hx->mode != 1) {
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
            curl_easy_setopt(h, CURLOPT_HTTPGET, 1L); /* also clears NOBODY and POST */
            hx->mode = 1;
        }
    } else if (strcmp(m, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        hx->mode = 2;
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, strcmp(m, "POST") != 0 ? m : NULL); /* PUT/PATCH/DELETE, or GET with a body */
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        if (req->upload) {
            /* no POSTFIELDS: libcurl reads the body through on_read, with
             * Content-Length when known, else chunked (size -1) */
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->upload->len);
        } else if (req->no_replay && req->body && req->body_len) {
            /* through on_read too, so that a resend has to ask on_seek first */
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        } else {
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
        }
        hx->mode = 3;
    }
}

/* The outcome of a transfer that libcurl ended with `rc`; gives the handle
 * back to the pool (or drops it: it may hold a broken connection). */
static void tx_finish(curl_tx *t, hnd *hx, const dbx__http_req *req, dbx__http_resp *resp,
                      dbx__tx_result *res, CURLcode rc)
{
    CURL *h = hx->h;
    xfer *xp = &hx->x;
    char *errbuf = hx->errbuf;
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    resp->status = (int)status;
    long request_size = 0, conns = 0;
    curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &request_size);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &conns);
    res->new_connections = (int)conns;
    res->code = (int)rc;
    if (xp->oom || resp->body.oom || resp->hdr.oom) {
        res->kind = DBX__TX_NOMEM;
        snprintf(res->message, sizeof res->message, "out of memory while receiving the response");
    } else if (xp->headers_too_large) {
        res->kind = DBX__TX_HEADERS_TOO_LARGE;
        snprintf(res->message, sizeof res->message, "response headers exceed %u KiB or %d lines",
                 DBX__MAX_HEADER_BYTES >> 10, DBX__MAX_HEADERS);
    } else if (rc == CURLE_OUT_OF_MEMORY && !xp->headers_done && request_size > 0) {
        /* libcurl before 8.6 fails a single header line (status line
         * included) over its own bound, CURL_MAX_HTTP_HEADER (100 KiB), as
         * "out of memory", before the header callback sees it: the request
         * went out and the answer's header block never completed. That is
         * a hostile server, not an allocation failure (libdbx's own
         * allocations are xp->oom, checked above). */
        res->kind = DBX__TX_HEADERS_TOO_LARGE;
        snprintf(res->message, sizeof res->message, "a response header line exceeds libcurl's limit");
    } else if (xp->body_too_large) {
        res->kind = DBX__TX_BODY_TOO_LARGE;
        snprintf(res->message, sizeof res->message, "response body exceeds max_response_bytes (%zu bytes)",
                 resp->max_body);
    } else if (xp->error_overflow) {
        /* the status is known and the kept part of the body is enough */
        res->kind = DBX__TX_OK;
    } else if (xp->aborted) {
        res->kind = DBX__TX_ABORTED;
        snprintf(res->message, sizeof res->message, "the response consumer stopped the transfer");
    } else if (xp->replay_refused && rc != CURLE_OK) {
        res->kind = DBX__TX_FAILED;
        snprintf(res->message, sizeof res->message,
                 "the connection closed after the request was sent and before any answer; it is not "
                 "sent again, as the server may have acted on it");
    } else if (req->upload && req->upload->refused) {
        res->kind = DBX__TX_ABORTED;
        snprintf(res->message, sizeof res->message, "the source's read callback stopped the upload");
    } else if (req->upload && req->upload->bad) {
        res->kind = DBX__TX_LOCAL;
        snprintf(res->message, sizeof res->message,
                 req->upload->bad == 2 ? "the source ended before its announced size (%lld bytes)"
                                       : "the source delivered more bytes than its announced size "
                                         "(%lld) or than it was asked for",
                 (long long)req->upload->len);
    } else {
        res->kind = classify(rc);
        if (rc != CURLE_OK)
            snprintf(res->message, sizeof res->message, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL); /* the list was the caller's */
    if (rc == CURLE_OK)
        release(t, hx);
    else
        free_handle(hx); /* a failed handle may hold a broken connection */
}

static void tx_send(dbx__transport *base, const dbx__http_req *req, dbx__http_resp *resp,
                    dbx__tx_result *res)
{
    curl_tx *t = (curl_tx *)base;
    memset(res, 0, sizeof *res);
    if (req->n_headers >= MAX_REQ_HEADERS) {
        res->kind = DBX__TX_LOCAL;
        snprintf(res->message, sizeof res->message, "too many request headers");
        return;
    }
    hnd *hx = acquire(t);
    if (!hx) {
        res->kind = DBX__TX_NOMEM;
        snprintf(res->message, sizeof res->message, "cannot create a libcurl handle");
        return;
    }
    struct curl_slist nodes[MAX_REQ_HEADERS + 2]; /* on this stack frame */
    tx_setup(t, hx, req, resp, nodes, 0);
    CURLcode rc = curl_easy_perform(hx->h);
    tx_finish(t, hx, req, resp, res, rc);
}

/* ---- many transfers at once (libcurl multi) -------------------------------------- */

typedef struct mxfer {
    hnd *hx;
    const dbx__http_req *req;
    dbx__http_resp *resp;
    dbx__tx_result *res;
    void *tag;
    struct mxfer *next;
    struct curl_slist nodes[MAX_REQ_HEADERS + 2];
} mxfer;

struct dbx__tx_multi {
    curl_tx *t;
    CURLM *m;
    int httpv;
    mxfer *active;           /* transfers in libcurl's hands */
    mxfer *done, *done_tail; /* ended, not yet handed back */
};

static dbx__tx_multi *mx_new(dbx__transport *base, const dbx__tx_multi_opts *o)
{
    curl_tx *t = (curl_tx *)base;
    dbx__tx_multi *m = dbx__calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->t = t;
    pthread_mutex_lock(&t->mu);
    if (t->n_idle_multi > 0)
        m->m = t->idle_multi[--t->n_idle_multi];
    pthread_mutex_unlock(&t->mu);
    if (!m->m)
        m->m = curl_multi_init();
    if (!m->m) {
        dbx__free(m);
        return NULL;
    }
    /* set every time: a kept multi may have served another engine */
    m->httpv = o ? o->http_version : 0;
    curl_multi_setopt(m->m, CURLMOPT_PIPELINING, m->httpv == 1 ? (long)CURLPIPE_NOTHING : (long)CURLPIPE_MULTIPLEX);
    curl_multi_setopt(m->m, CURLMOPT_MAX_HOST_CONNECTIONS, o && o->max_host_connections > 0 ? (long)o->max_host_connections : 0L);
    /* a capped pool keeps all its connections between transfers: with libcurl's default cache
     * size some were closed and reopened (48 in flight opened up to 60 connections) */
    curl_multi_setopt(m->m, CURLMOPT_MAXCONNECTS, o && o->max_host_connections > 0 ? (long)o->max_host_connections * 2 : 0L);
    return m;
}

static int mx_add(dbx__tx_multi *m, const dbx__http_req *req, dbx__http_resp *resp, dbx__tx_result *res,
                  void *tag)
{
    memset(res, 0, sizeof *res);
    if (req->n_headers >= MAX_REQ_HEADERS) {
        res->kind = DBX__TX_LOCAL;
        snprintf(res->message, sizeof res->message, "too many request headers");
        return -1;
    }
    mxfer *x = dbx__calloc(1, sizeof *x);
    hnd *hx = x ? acquire(m->t) : NULL;
    if (!hx) {
        dbx__free(x);
        res->kind = DBX__TX_NOMEM;
        snprintf(res->message, sizeof res->message, "cannot create a libcurl handle");
        return -1;
    }
    x->hx = hx;
    x->req = req;
    x->resp = resp;
    x->res = res;
    x->tag = tag;
    tx_setup(m->t, hx, req, resp, x->nodes, m->httpv);
    curl_easy_setopt(hx->h, CURLOPT_PRIVATE, (void *)x);
    CURLMcode mc = curl_multi_add_handle(m->m, hx->h);
    if (mc != CURLM_OK) {
        curl_easy_setopt(hx->h, CURLOPT_HTTPHEADER, NULL);
        free_handle(hx);
        dbx__free(x);
        res->kind = mc == CURLM_OUT_OF_MEMORY ? DBX__TX_NOMEM : DBX__TX_LOCAL;
        snprintf(res->message, sizeof res->message, "cannot start the transfer: %s", curl_multi_strerror(mc));
        return -1;
    }
    x->next = m->active;
    m->active = x;
    return 0;
}

/* Move the transfers libcurl ended to the done queue. */
static void mx_collect(dbx__tx_multi *m)
{
    CURLMsg *msg;
    int left = 0;
    while ((msg = curl_multi_info_read(m->m, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *h = msg->easy_handle;
        CURLcode rc = msg->data.result;
        void *priv = NULL;
        curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&priv);
        mxfer *x = priv;
        curl_multi_remove_handle(m->m, h);
        for (mxfer **pp = &m->active; *pp; pp = &(*pp)->next) {
            if (*pp == x) {
                *pp = x->next;
                break;
            }
        }
        tx_finish(m->t, x->hx, x->req, x->resp, x->res, rc);
        x->hx = NULL;
        x->next = NULL;
        if (m->done_tail)
            m->done_tail->next = x;
        else
            m->done = x;
        m->done_tail = x;
    }
}

static void *mx_pop(dbx__tx_multi *m)
{
    mxfer *x = m->done;
    if (!x)
        return NULL;
    m->done = x->next;
    if (!m->done)
        m->done_tail = NULL;
    void *tag = x->tag;
    dbx__free(x);
    return tag;
}

static void *mx_run(dbx__tx_multi *m, long timeout_ms)
{
    if (m->done)
        return mx_pop(m);
    int running = 0;
    curl_multi_perform(m->m, &running);
    mx_collect(m);
    if (!m->done && running && timeout_ms > 0) {
        int ms = timeout_ms > INT_MAX ? INT_MAX : (int)timeout_ms;
#if LIBCURL_VERSION_NUM >= 0x074200
        curl_multi_poll(m->m, NULL, 0, ms, NULL);
#else
        curl_multi_wait(m->m, NULL, 0, ms, NULL);
#endif
        curl_multi_perform(m->m, &running);
        mx_collect(m);
    }
    return mx_pop(m);
}

static int mx_remove(dbx__tx_multi *m, void *tag)
{
    for (mxfer **pp = &m->active; *pp; pp = &(*pp)->next) {
        mxfer *x = *pp;
        if (x->tag != tag)
            continue;
        *pp = x->next;
        curl_multi_remove_handle(m->m, x->hx->h);
        curl_easy_setopt(x->hx->h, CURLOPT_HTTPHEADER, NULL);
        free_handle(x->hx); /* abandoned mid-transfer: its connection is in an unknown state */
        dbx__free(x);
        return 0;
    }
    mxfer *prev = NULL;
    for (mxfer *x = m->done; x; prev = x, x = x->next) {
        if (x->tag != tag)
            continue;
        if (prev)
            prev->next = x->next;
        else
            m->done = x->next;
        if (m->done_tail == x)
            m->done_tail = prev;
        dbx__free(x);
        return 0;
    }
    return -1;
}

static void mx_free(dbx__tx_multi *m)
{
    if (!m)
        return;
    while (m->active) {
        mxfer *x = m->active;
        m->active = x->next;
        curl_multi_remove_handle(m->m, x->hx->h);
        curl_easy_setopt(x->hx->h, CURLOPT_HTTPHEADER, NULL);
        free_handle(x->hx); /* abandoned mid-transfer */
        dbx__free(x);
    }
    while (m->done)
        mx_pop(m);
    curl_tx *t = m->t;
    CURLM *keep = m->m;
    pthread_mutex_lock(&t->mu);
    if (t->n_idle_multi < MAX_IDLE_MULTI) {
        t->idle_multi[t->n_idle_multi++] = keep; /* with its live connections */
        keep = NULL;
    }
    pthread_mutex_unlock(&t->mu);
    if (keep)
        curl_multi_cleanup(keep);
    dbx__free(m);
}

static void tx_destroy(dbx__transport *base)
{
    curl_tx *t = (curl_tx *)base;
    if (!t)
        return;
    for (int i = 0; i < t->n_idle; i++)
        free_handle(t->idle[i]);
    for (int i = 0; i < t->n_idle_multi; i++)
        curl_multi_cleanup(t->idle_multi[i]);
    if (t->share)
        curl_share_cleanup(t->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&t->share_mu[i]);
    pthread_mutex_destroy(&t->mu);
    dbx__free(t->idle);
    dbx__free(t->ca_bundle);
    dbx__free(t->proxy_https);
    dbx__free(t->proxy_http);
    dbx__free(t->noproxy);
    dbx__free(t);
}

dbx__transport *dbx__transport_curl_new(const dbx__curl_options *o, char *err, size_t errlen)
{
    curl_tx *t = dbx__calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->base.send = tx_send;
    t->base.destroy = tx_destroy;
    t->base.multi_new = mx_new;
    t->base.multi_add = mx_add;
    t->base.multi_run = mx_run;
    t->base.multi_free = mx_free;
    t->base.multi_remove = mx_remove;
    pthread_mutex_init(&t->mu, NULL);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&t->share_mu[i], NULL);
    t->max_idle = o && o->max_idle_handles > 0 ? o->max_idle_handles : DEFAULT_MAX_IDLE;
    t->idle = dbx__calloc((size_t)t->max_idle, sizeof *t->idle);
    t->insecure = o ? o->insecure : 0;
    if (o && o->ca_bundle)
        t->ca_bundle = dbx__strdup(o->ca_bundle);
    t->proxy_https = dbx__strdup(o && o->proxy_https ? o->proxy_https : "");
    t->proxy_http = dbx__strdup(o && o->proxy_http ? o->proxy_http : "");
    t->noproxy = dbx__strdup(o && o->noproxy ? o->noproxy : "");
    t->share = curl_share_init();
    if (!t->idle || !t->share || (o && o->ca_bundle && !t->ca_bundle) || !t->proxy_https || !t->proxy_http ||
        !t->noproxy) {
        snprintf(err, errlen, "out of memory");
        tx_destroy(&t->base);
        return NULL;
    }
    curl_share_setopt(t->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(t->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(t->share, CURLSHOPT_USERDATA, t);
    /* TLS sessions only: a new pooled handle resumes a session instead of a
     * full handshake. DNS is not shared: it cost every request ~1k
     * instructions of locking and lookups even on a reused connection, while
     * each handle's own cache (60 s) resolves a host once per handle. */
    curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    return &t->base;
}
