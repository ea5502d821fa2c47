/*
 * libdbx internal: the request pipeline.
 *
 *   auth -> user agent -> retry -> log -> transport
 *
 * What is retried, and why:
 *  - HTTP 429 and 503, for every method: the server says it did not process
 *    the request. Retry-After (seconds or an HTTP date) is honoured.
 *  - error bodies matching the transient messages the official SDKs retry
 *    on (ClusterNotReadyException, "Timed out after ", ...), every method.
 *  - connection failures before the request was sent (DNS, connect), for
 *    every method: the server never saw it.
 *  - failures after sending (reset, empty reply) and HTTP 500/504 only for
 *    idempotent calls (GET/HEAD, or marked idempotent: a call carrying an
 *    idempotency token), because the server may have acted on the request.
 *  - never: a TLS failure, a client timeout, other 4xx, or a streamed
 *    response that already delivered bytes.
 *  Below this policy, libcurl resends a request once, on a fresh
 *  connection, when a reused keep-alive connection closes before any byte
 *  of the answer arrives: the race with a server closing an idle
 *  connection. That resend applies to every method.
 *  - never: a local problem with the request (bad URL), a response over
 *    max_response_bytes, response headers over their bound.
 * Delays: exponential backoff from 1 s (doubling, at most 10 s) with equal
 * jitter, raised to the server's Retry-After when that is longer, and never
 * below DBX__RETRY_FLOOR_MS whatever the server says ("Retry-After: 0" and
 * dates in the past included). At most max_attempts attempts (default 10),
 * all within the retry budget (300 s). A Retry-After that would end past
 * the budget stops at once. When retries end, the error is the LAST server
 * error (HTTP status, error_code, message) with the attempt count and the
 * time spent waiting.
 *
 * Redirects are not followed unless the call asks; when followed, the
 * credentials go only to the origin (scheme, host, port) they were meant
 * for, and https never downgrades to http.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "../json/jdoc.h"
#include "../json/json_util.h"
#include "http.h"

#define MAX_REDIRECTS 8
#define MAX_HEADERS 32

/* ---- URLs and origins ----------------------------------------------------- */

int dbx__origin_parse(const char *url, dbx__origin *o)
{
    const char *p = strstr(url, "://");
    if (!p || p - url >= (long)sizeof o->scheme)
        return -1;
    size_t sl = (size_t)(p - url);
    for (size_t i = 0; i < sl; i++)
        o->scheme[i] = (char)tolower((unsigned char)url[i]);
    o->scheme[sl] = '\0';
    if (strcmp(o->scheme, "http") != 0 && strcmp(o->scheme, "https") != 0)
        return -1;
    const char *h = p + 3;
    const char *end = h + strcspn(h, "/?#");
    const char *at = memchr(h, '@', (size_t)(end - h));
    if (at)
        h = at + 1; /* userinfo is not part of the origin */
    const char *colon = NULL;
    if (*h == '[') {
        const char *rb = memchr(h, ']', (size_t)(end - h));
        if (!rb)
            return -1;
        colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
    }
    const char *hend = colon ? colon : end;
    if (hend == h || (size_t)(hend - h) >= sizeof o->host)
        return -1;
    for (size_t i = 0; i < (size_t)(hend - h); i++)
        o->host[i] = (char)tolower((unsigned char)h[i]);
    o->host[hend - h] = '\0';
    o->port = strcmp(o->scheme, "https") == 0 ? 443 : 80;
    if (colon) {
        long port = 0;
        char tmp[8];
        size_t n = (size_t)(end - colon - 1);
        if (n == 0 || n >= sizeof tmp)
            return -1;
        memcpy(tmp, colon + 1, n);
        tmp[n] = '\0';
        if (dbx__parse_long(tmp, &port) != 0 || port <= 0 || port > 65535)
            return -1;
        o->port = (int)port;
    }
    o->path = end;
    return 0;
}

int dbx__origin_same(const dbx__origin *a, const dbx__origin *b)
{
    return strcmp(a->scheme, b->scheme) == 0 && strcmp(a->host, b->host) == 0 && a->port == b->port;
}

void dbx__pipeline_prepare(dbx__pipeline *p)
{
    p->have_home = p->cfg.host && dbx__origin_parse(p->cfg.host, &p->home) == 0;
}

static int is_absolute(const char *s)
{
    return dbx__strncasecmp(s, "http://", 7) == 0 || dbx__strncasecmp(s, "https://", 8) == 0;
}

/* Resolve a Location against the current URL (absolute, or absolute-path). */
static char *resolve_location(const char *current, const char *loc)
{
    if (is_absolute(loc))
        return dbx__strdup(loc);
    dbx__origin o;
    if (loc[0] != '/' || dbx__origin_parse(current, &o) != 0)
        return NULL;
    if (loc[1] == '/') /* scheme-relative */
        return dbx__sprintf("%s:%s", o.scheme, loc);
    return dbx__sprintf("%.*s%s", (int)(o.path - current), current, loc);
}

/* Bytes a URL must carry percent-encoded: controls and NUL, space, DEL,
 * non-ASCII, and " # < > \\ ^ ` { | } */
static const unsigned char bad_url[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0,
    1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* A request target libdbx will put on the wire as given: no byte that a
 * URL must percent-encode (API files encode what they insert). Returns the
 * offset of the first bad byte, or -1 when fine. */
static long bad_url_byte(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (!bad_url[*p])
        p++;
    return *p ? (long)((const char *)p - s) : -1;
}

/* ---- error bodies ------------------------------------------------------------ */

/* Server text for the error record: trimmed, at most `max` bytes, and
 * printable: NUL and other control bytes (tab and newline aside) and
 * invalid UTF-8 become '?', so a message is never cut short or empty and
 * never breaks a binding that decodes it as UTF-8. */
static void put_trimmed(dbx__buf *b, const char *s, size_t n, size_t max)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    int cut = n > max;
    const unsigned char *p = (const unsigned char *)s, *end = p + (cut ? max : n);
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && *p >= 0x20 && *p < 0x7f)
            p++;
        dbx__buf_put(b, run, (size_t)(p - run));
        if (p >= end)
            break;
        int k = *p >= 0x80 ? dbx__utf8_len(p, end) : 0;
        if (k) {
            dbx__buf_put(b, p, (size_t)k);
            p += k;
        } else {
            dbx__buf_putc(b, *p == '\t' || *p == '\n' ? (char)*p : '?');
            p++;
        }
    }
    if (cut)
        dbx__buf_puts(b, "...");
}

/* A JSON string value, all of it (a \u0000 inside included), as put_trimmed. */
static void put_text(dbx__buf *b, dbx__jv v, size_t max)
{
    put_trimmed(b, dbx__jv_str(v, ""), dbx__jv_strlen(v), max);
}

int dbx__parse_error_body(const dbx__http_resp *resp, dbx__buf *code, dbx__buf *message,
                          dbx__buf *request_id)
{
    const char *body = resp->body.ptr ? resp->body.ptr : "";
    size_t len = resp->body.len;
    /* Parsed through the indexer (no recursion, bounded: the transport keeps
     * at most DBX__ERROR_BODY_KEEP bytes of an error body), on a copy
     * because the indexer unescapes strings in place. */
    dbx__jdoc doc;
    int have = 0;
    const char *t = body;
    while (t < body + len && isspace((unsigned char)*t))
        t++;
    if (t < body + len && *t == '{') {
        char *copy = dbx__strndup(body, len);
        dbx_status pst = copy ? dbx__jdoc_parse(&doc, copy, len, 1, NULL) : DBX_ENOMEM;
        if (pst == DBX_OK)
            have = 1;
        else
            dbx__free(copy);
        if (pst == DBX_ENOMEM)
            return -1; /* never mistake a body we could not read for plain text */
    }
    if (have) {
        dbx__jv j = dbx__jdoc_root(&doc);
        dbx__jv ec = dbx__jv_get(j, "error_code");
        if (dbx__jv_type(ec) == DBX__J_STRING)
            put_text(code, ec, 120);
        else if (dbx__jv_type(ec) == DBX__J_INTEGER)
            dbx__buf_printf(code, "%lld", (long long)dbx__jv_int(ec, 0));
        dbx__jv msg = dbx__jv_get(j, "message");
        dbx__jv err = dbx__jv_get(j, "error"), detail = dbx__jv_get(j, "detail");
        if (!dbx__jv_present(ec) && dbx__jv_type(err) == DBX__J_STRING) {
            /* legacy 1.2 {"error": "..."} and OAuth {"error", "error_description"} */
            dbx__jv desc = dbx__jv_get(j, "error_description");
            if (dbx__jv_type(desc) == DBX__J_STRING) {
                put_text(code, err, 120);
                msg = desc;
            } else {
                msg = err;
            }
        } else if (!dbx__jv_present(ec) && dbx__jv_type(detail) == DBX__J_STRING) {
            /* SCIM */
            dbx__jv status = dbx__jv_get(j, "status");
            dbx__buf_puts(code, "SCIM_");
            if (dbx__jv_type(status) == DBX__J_STRING)
                put_text(code, status, 100);
            else
                dbx__buf_puts(code, "ERROR");
            msg = detail;
        }
        if (dbx__jv_type(msg) == DBX__J_STRING)
            put_text(message, msg, 900);
        dbx__jit it;
        dbx__jv d;
        dbx__jv_iter(dbx__jv_get(j, "details"), &it);
        while (dbx__jit_next(&it, &d, NULL)) {
            if (strstr(dbx__jv_get_str(d, "@type", ""), "google.rpc.RequestInfo")) {
                dbx__jv rq = dbx__jv_get(d, "request_id");
                if (dbx__jv_type(rq) == DBX__J_STRING)
                    put_text(request_id, rq, 120);
                break;
            }
        }
        dbx__jdoc_dispose(&doc);
    } else if (len) {
        const char *pre = strstr(body, "<pre>");
        if (pre) {
            const char *endp = strstr(pre, "</pre>");
            pre += 5;
            put_trimmed(message, pre, endp ? (size_t)(endp - pre) : strlen(pre), 900);
        } else if (!strstr(body, "<html") && !strstr(body, "<HTML")) {
            /* plain text, possibly "ERROR_CODE: message" */
            size_t k = 0;
            while (k < len && k < 128 && (isupper((unsigned char)body[k]) || body[k] == '_'))
                k++;
            if (k > 2 && k + 1 < len && body[k] == ':') {
                dbx__buf_put(code, body, k);
                put_trimmed(message, body + k + 1, len - k - 1, 900);
            } else {
                put_trimmed(message, body, len, 900);
            }
        }
    }
    if (request_id->len == 0) {
        const char *h = dbx__resp_header(resp, "x-request-id");
        if (!h)
            h = dbx__resp_header(resp, "x-databricks-request-id");
        if (h)
            put_trimmed(request_id, h, strlen(h), 120);
    }
    if (message->len == 0)
        dbx__buf_printf(message, "HTTP %d", resp->status);
    return code->oom || message->oom || request_id->oom ? -1 : 0;
}

/* ---- logging helpers ----------------------------------------------------------- */

static void log_request(dbx__pipeline *p, const char *method, const char *url,
                        const char *const *headers, size_t n_headers, const dbx__call *call,
                        int with_body, int attempt)
{
    if (!DBX__LOG_ENABLED(&p->log, DBX_LOG_DEBUG))
        return;
    dbx__buf b = DBX__BUF_INIT;
    dbx__origin o;
    const char *path = dbx__origin_parse(url, &o) == 0 ? o.path : url;
    size_t plen = strcspn(path, "?");
    dbx__buf_printf(&b, "> %s %.*s", method, (int)plen, path);
    if (path[plen] == '?') {
        dbx__buf_putc(&b, '?');
        size_t before = b.len;
        dbx__redact_query(&b, path + plen + 1, strlen(path + plen + 1));
        if (!b.oom && b.len - before > 512) { /* cut after redaction: never reveals */
            b.len = before + 512;
            b.ptr[b.len] = '\0';
            dbx__buf_puts(&b, "...");
        }
    }
    dbx__buf_printf(&b, " (attempt %d)", attempt);
    if (DBX__LOG_ENABLED(&p->log, DBX_LOG_TRACE)) {
        for (size_t i = 0; i < n_headers; i++) {
            const char *c = strchr(headers[i], ':');
            if (!c)
                continue;
            char name[64];
            size_t nl = (size_t)(c - headers[i]) < sizeof name - 1 ? (size_t)(c - headers[i]) : sizeof name - 1;
            memcpy(name, headers[i], nl);
            name[nl] = '\0';
            dbx__buf_puts(&b, "\n> ");
            if (call->secret_headers && dbx__strcasecmp(name, "User-Agent") != 0 &&
                dbx__strcasecmp(name, "Accept") != 0 && dbx__strcasecmp(name, "Content-Type") != 0 &&
                dbx__strcasecmp(name, "Authorization") != 0)
                dbx__buf_printf(&b, "%s: **REDACTED**", name);
            else
                dbx__redact_header(&b, name, c + 1 + (c[1] == ' '));
        }
        if (with_body && call->body && call->body_len) {
            dbx__buf_puts(&b, "\n> ");
            dbx__redact_body(&b, call->body, call->body_len, 2048);
        }
    }
    dbx__log(&p->log, DBX_LOG_DEBUG, DBX_LOGCAT_HTTP_REQUEST, "%s", b.ptr ? b.ptr : "");
    dbx__buf_dispose(&b);
}

static void log_response(dbx__pipeline *p, const char *method, const char *log_path,
                         const dbx__http_resp *resp, double ms, int attempt)
{
    if (!DBX__LOG_ENABLED(&p->log, DBX_LOG_DEBUG))
        return;
    dbx__buf b = DBX__BUF_INIT;
    const char *rid = dbx__resp_header(resp, "x-request-id");
    dbx__buf_printf(&b, "< %d %s %s (%.1f ms, attempt %d%s%.120s)", resp->status, method, log_path, ms,
                    attempt, rid ? ", request-id " : "", rid ? rid : "");
    if (DBX__LOG_ENABLED(&p->log, DBX_LOG_TRACE)) {
        for (size_t i = 0; i < resp->n_headers; i++) {
            dbx__buf_puts(&b, "\n< ");
            dbx__redact_header(&b, dbx__resp_header_name(resp, i), dbx__resp_header_value(resp, i));
        }
        if (resp->body.len) {
            dbx__buf_puts(&b, "\n< ");
            dbx__redact_body(&b, resp->body.ptr, resp->body.len, 2048);
        }
    }
    dbx__log(&p->log, DBX_LOG_DEBUG, DBX_LOGCAT_HTTP_RESPONSE, "%s", b.ptr ? b.ptr : "");
    dbx__buf_dispose(&b);
}

/* ---- the pipeline ------------------------------------------------------------------ */

/* "/api/2.1/clusters/get" for the workspace, "https://other:443/path" for
 * another host; never the query string. */
static void make_log_path(dbx__buf *out, const char *url, const dbx__origin *cur, const dbx__pipeline *p)
{
    dbx__buf_clear(out);
    const char *pp = cur->path ? cur->path : url;
    if (!p->have_home || !dbx__origin_same(cur, &p->home))
        dbx__buf_printf(out, "%s://%s:%d", cur->scheme, cur->host, cur->port);
    dbx__buf_put(out, pp, strcspn(pp, "?#"));
    if (out->len == 0)
        dbx__buf_putc(out, '/');
}

static int method_ok(const char *m)
{
    static const char *ok[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (strcmp(m, ok[i]) == 0)
            return 1;
    return 0;
}

static dbx_status tx_status(dbx__tx_kind k)
{
    switch (k) {
    case DBX__TX_TIMEOUT: return DBX_ETIMEOUT;
    case DBX__TX_ABORTED: return DBX_ECANCELLED;
    case DBX__TX_NOMEM: return DBX_ENOMEM;
    case DBX__TX_LOCAL: return DBX_EINVAL;
    case DBX__TX_BODY_TOO_LARGE: return DBX_ETOOLARGE;
    case DBX__TX_HEADERS_TOO_LARGE: return DBX_EBADRESPONSE;
    default: return DBX_ETRANSPORT;
    }
}

/* Is a secret-named header ("Name: value") among the caller's? Such headers
 * never follow a redirect to another origin. */
static int header_is_secret(const char *line)
{
    size_t n = strcspn(line, ":");
    return dbx__is_secret_name(line, n);
}

/* ---- one call in flight ------------------------------------------------------------ */

/* The state of one call through the pipeline: what dbx__pipeline_send
 * keeps between attempts. The synchronous path keeps it on its stack; the
 * batch path (dbx__pipeline_send_many) keeps one per call in flight, so
 * that every call follows exactly the same rules. Buffers start in the
 * struct's own storage: a flight must not move once begun. */
typedef struct flight {
    dbx__pipeline *p;
    const dbx__call *call;
    dbx__http_resp *resp;
    const void *owner;
    char url_small[512];
    dbx__buf urlb;
    dbx__origin target;
    int send_auth, cross_origin, with_body, idempotent, max_attempts, debug;
    int deadline_cut; /* the engine ends the call at its deadline: attempts are not shortened to it */
    const char *method;
    dbx__upload up;
    long timeout;
    char auth_small[2560];
    dbx__buf auth_line, ct_line;
    const char *ct;
    char code_s[128], msg_s[1024], rid_s[128], lp_s[256];
    dbx__buf code, msg, rid, log_path;
    int64_t start, deadline, t0;
    int attempt, redirects;
    long retry_after, waited;
    const char *headers[MAX_HEADERS];
    dbx__http_req req;
    dbx__tx_result tr;
    dbx_status st;
} flight;

enum { F_DONE, F_AGAIN, F_RETRY };

static void flight_init(flight *f, dbx__pipeline *p, const dbx__call *call, dbx__http_resp *resp)
{
    f->p = p;
    f->call = call;
    f->resp = resp;
    f->owner = p->owner;
    f->deadline_cut = 0;
    dbx__buf_init_fixed(&f->urlb, f->url_small, sizeof f->url_small);
    dbx__buf_init_fixed(&f->auth_line, f->auth_small, sizeof f->auth_small);
    f->ct_line = (dbx__buf)DBX__BUF_INIT;
    dbx__buf_init_fixed(&f->code, f->code_s, sizeof f->code_s);
    dbx__buf_init_fixed(&f->msg, f->msg_s, sizeof f->msg_s);
    dbx__buf_init_fixed(&f->rid, f->rid_s, sizeof f->rid_s);
    dbx__buf_init_fixed(&f->log_path, f->lp_s, sizeof f->lp_s);
    f->st = DBX_OK;
}

static void flight_end(flight *f)
{
    dbx__buf_dispose(&f->urlb);
    memset(f->auth_line.ptr, 0, f->auth_line.len); /* the credential does not outlive the call */
    dbx__buf_dispose(&f->auth_line);
    dbx__buf_dispose(&f->ct_line);
    dbx__buf_dispose(&f->code);
    dbx__buf_dispose(&f->msg);
    dbx__buf_dispose(&f->rid);
    dbx__buf_dispose(&f->log_path);
}

/* Check the call and work out the URL. DBX_OK, or the failure (recorded). */
static dbx_status flight_begin(flight *f)
{
    dbx__pipeline *p = f->p;
    const dbx__call *call = f->call;
    const void *owner = f->owner;
    if (!call->method || !method_ok(call->method))
        return dbx__fail(owner, DBX_EINVAL, "unsupported HTTP method");
    if (dbx__empty(call->path) || (!is_absolute(call->path) && call->path[0] != '/'))
        return dbx__fail(owner, DBX_EINVAL, "path must start with '/' or be an absolute URL");
    long bad = bad_url_byte(call->path);
    if (bad >= 0)
        return dbx__fail(owner, DBX_EINVAL, "path: byte %ld (0x%02x) must be percent-encoded", bad,
                         (unsigned char)call->path[bad]);

    /* the URL: the client's base (parsed once per client) + the path */
    if (is_absolute(call->path)) {
        dbx__buf_puts(&f->urlb, call->path);
    } else {
        if (!p->have_home)
            return dbx__fail(owner, DBX_ECONFIG, "the client has no valid host");
        dbx__buf_puts(&f->urlb, p->cfg.host);
        dbx__buf_puts(&f->urlb, call->path);
    }
    if (f->urlb.oom)
        return dbx__fail(owner, DBX_ENOMEM, "out of memory");
    if (is_absolute(call->path)) {
        if (dbx__origin_parse(f->urlb.ptr, &f->target) != 0)
            return dbx__fail(owner, DBX_EINVAL, "malformed URL");
    } else {
        f->target = p->home;
        f->target.path = f->urlb.ptr + strlen(p->cfg.host);
    }
    /* Credentials only ever go to the workspace origin. */
    f->send_auth = !call->no_auth && p->auth && p->have_home && dbx__origin_same(&p->home, &f->target);
    if (!call->no_auth && p->auth && !f->send_auth)
        return dbx__fail(owner, DBX_EINVAL, "refusing to send credentials to another host: "
                                            "use no_auth for absolute URLs");
    f->cross_origin = 0; /* after a redirect to another origin */
    f->method = call->method;
    f->with_body = call->body != NULL || call->upload != NULL;
    /* a streamed body: the state of the attempt in flight */
    memset(&f->up, 0, sizeof f->up);
    if (call->upload) {
        f->up.src = call->upload;
        f->up.len = call->upload->size >= 0 ? call->upload->size : -1;
    }
    f->idempotent = call->idempotent > 0 ||
                    (call->idempotent == 0 && (strcmp(f->method, "GET") == 0 || strcmp(f->method, "HEAD") == 0));
    f->timeout = call->timeout_ms > 0 ? call->timeout_ms : p->cfg.http_timeout_ms;
    f->max_attempts = p->cfg.max_attempts > 0 ? p->cfg.max_attempts : DBX_DEFAULT_MAX_ATTEMPTS;
    if (call->retry && call->retry->max_attempts > 0)
        f->max_attempts = call->retry->max_attempts;
    if (call->max_attempts > 0 && call->max_attempts < f->max_attempts)
        f->max_attempts = call->max_attempts;

    f->ct = "Content-Type: application/json";
    if (call->content_type) {
        dbx__buf_printf(&f->ct_line, "Content-Type: %s", call->content_type);
        f->ct = f->ct_line.ptr;
    }
    f->debug = DBX__LOG_ENABLED(&p->log, DBX_LOG_DEBUG);
    f->resp->max_body = call->write_fn ? 0 : p->cfg.max_response_bytes;

    f->start = dbx__now_ms();
    long budget = p->cfg.retry_timeout_ms > 0 ? p->cfg.retry_timeout_ms : 300000;
    if (call->retry && call->retry->timeout_ms > 0)
        budget = call->retry->timeout_ms;
    f->deadline = f->start + budget;
    if (call->deadline_ms > 0 && call->deadline_ms < f->deadline)
        f->deadline = call->deadline_ms;
    f->attempt = f->redirects = 0;
    f->retry_after = -1;
    f->waited = 0;
    return DBX_OK;
}

/* The failure's detail: request, HTTP answer, attempts (after dbx__fail). */
static dbx_status fail_detail(flight *f)
{
    dbx__error_set_request(f->method, f->log_path.ptr);
    dbx__error_set_http(f->resp->status, f->code.ptr, f->rid.ptr);
    dbx__error_set_attempts(f->attempt, f->retry_after);
    dbx__error_set_waited(f->waited);
    return f->st;
}

/* Get the next attempt ready in f->req. DBX_OK, or the failure (recorded). */
static dbx_status flight_prepare(flight *f)
{
    dbx__pipeline *p = f->p;
    const dbx__call *call = f->call;
    const void *owner = f->owner;
    f->attempt++;
    dbx__resp_reset(f->resp);
    if (call->upload && f->with_body && f->up.sent > 0) {
        /* a resend (retry or redirect): the source must start over */
        if (!f->up.src->rewind || f->up.src->rewind(f->up.src->payload) != 0) {
            if (f->log_path.len == 0)
                make_log_path(&f->log_path, f->urlb.ptr, &f->target, p);
            f->st = dbx__fail(owner, DBX_ETRANSPORT, "the request body could not be re-read "
                              "(the source %s): not resent", f->up.src->rewind ? "failed to rewind"
                                                                                : "cannot rewind");
            return fail_detail(f);
        }
        f->up.sent = 0;
    }
    f->up.refused = f->up.bad = f->up.rewind_failed = 0;
    if (f->debug && f->log_path.len == 0)
        make_log_path(&f->log_path, f->urlb.ptr, &f->target, p);

    size_t nh = 0;
    if (f->send_auth) {
        dbx__buf_clear(&f->auth_line);
        dbx_status st = dbx__auth_header(p->auth, p, f->deadline, &f->auth_line);
        if (st != DBX_OK)
            return f->st = st; /* the auth layer recorded why */
        f->headers[nh++] = f->auth_line.ptr;
    }
    f->headers[nh++] = p->cfg.user_agent_header;
    f->headers[nh++] = "Accept: application/json";
    if (f->with_body)
        f->headers[nh++] = f->ct;
    for (size_t i = 0; call->headers && call->headers[i] && nh < MAX_HEADERS; i++)
        if (!f->cross_origin || !header_is_secret(call->headers[i]))
            f->headers[nh++] = call->headers[i];
    if (f->ct_line.oom || f->log_path.oom)
        return f->st = dbx__fail(owner, DBX_ENOMEM, "out of memory");

    long attempt_timeout = f->timeout;
    if (call->deadline_ms > 0 && !f->deadline_cut) {
        /* a nested call (a token fetch) ends by its caller's deadline,
         * the attempt in flight included; an attempt made is given
         * enough time to be worth making, so the call ends at most
         * DBX__MIN_ATTEMPT_MS past the deadline */
        int64_t left = f->deadline - dbx__now_ms();
        if (left < attempt_timeout)
            attempt_timeout = left > DBX__MIN_ATTEMPT_MS ? (long)left : DBX__MIN_ATTEMPT_MS;
    }
    dbx__http_req req = {f->method, f->urlb.ptr, f->headers, nh,
                         f->with_body ? call->body : NULL, f->with_body ? call->body_len : 0,
                         attempt_timeout, p->cfg.connect_timeout_ms, call->write_fn, call->write_payload,
                         call->accept_gzip, call->upload && f->with_body ? &f->up : NULL, call->idle_timeout,
                         !f->idempotent};
    f->req = req;
    log_request(p, f->method, f->urlb.ptr, f->headers, nh, call, f->with_body, f->attempt);
    f->t0 = f->debug ? dbx__now_ms() : 0;
    memset(&f->tr, 0, sizeof f->tr);
    return DBX_OK;
}

/* Judge the attempt the transport just ended (f->tr, f->resp): F_DONE
 * (f->st is the outcome, a failure recorded), F_AGAIN (a redirect: send at
 * once) or F_RETRY (send again after *delay ms). */
static int flight_judge(flight *f, long *delay_out)
{
    dbx__pipeline *p = f->p;
    const dbx__call *call = f->call;
    const void *owner = f->owner;
    dbx__http_resp *resp = f->resp;
    dbx__tx_result *tr = &f->tr;
    if (tr->kind == DBX__TX_OK && (resp->body.oom || resp->hdr.oom)) {
        tr->kind = DBX__TX_NOMEM; /* a response missing bytes is never a success */
        snprintf(tr->message, sizeof tr->message, "out of memory while receiving the response");
    }
    double ms = f->debug ? (double)(dbx__now_ms() - f->t0) : 0;

    int retriable = 0;
    f->retry_after = -1;
    dbx__buf_clear(&f->code);
    dbx__buf_clear(&f->msg);
    dbx__buf_clear(&f->rid);
    if (tr->kind != DBX__TX_OK || (resp->status < 200 || resp->status >= 300)) {
        if (f->log_path.len == 0)
            make_log_path(&f->log_path, f->urlb.ptr, &f->target, p);
    }
    if (tr->kind != DBX__TX_OK) {
        f->st = tx_status(tr->kind);
        retriable = (tr->kind == DBX__TX_NOT_SENT) || (tr->kind == DBX__TX_FAILED && f->idempotent);
        dbx__buf_puts(&f->msg, tr->message);
        dbx__log(&p->log, DBX_LOG_DEBUG, DBX_LOGCAT_HTTP_RESPONSE, "< %s %s failed: %s (attempt %d)",
                 f->method, f->log_path.ptr, tr->message, f->attempt);
    } else {
        log_response(p, f->method, f->log_path.ptr, resp, ms, f->attempt);
        int s = resp->status;
        if ((s >= 200 && s < 300) || (s >= 300 && s < 400 && call->redirect_ok)) {
            f->st = DBX_OK;
            return F_DONE;
        }
        const char *location = dbx__resp_header(resp, "Location");
        if (s >= 300 && s < 400 && call->follow_redirects && location) {
            char *next = resolve_location(f->urlb.ptr, location);
            dbx__origin nto;
            if (!next || dbx__origin_parse(next, &nto) != 0 || bad_url_byte(next) >= 0) {
                dbx__free(next);
                f->st = dbx__fail(owner, DBX_EBADRESPONSE, "redirect to an invalid location");
                fail_detail(f);
                return F_DONE;
            }
            if (strcmp(f->target.scheme, "https") == 0 && strcmp(nto.scheme, "http") == 0) {
                dbx__free(next);
                f->st = dbx__fail(owner, DBX_ETRANSPORT, "refusing a redirect from https to http");
                fail_detail(f);
                return F_DONE;
            }
            if (++f->redirects > MAX_REDIRECTS) {
                dbx__free(next);
                f->st = dbx__fail(owner, DBX_EBADRESPONSE, "too many redirects");
                fail_detail(f);
                return F_DONE;
            }
            int to_get = s == 303 || ((s == 301 || s == 302) && strcmp(f->method, "POST") == 0);
            int other = !p->have_home || !dbx__origin_same(&nto, &p->home);
            if (other && f->with_body && !to_get) {
                /* 307/308 (or a PUT/PATCH/DELETE) would resend the body:
                 * a request body never goes to another origin */
                dbx__free(next);
                f->st = dbx__fail(owner, DBX_ETRANSPORT,
                                  "refusing to resend the request body to another host (HTTP %d redirect)", s);
                fail_detail(f);
                return F_DONE;
            }
            if (other) {
                f->cross_origin = 1;
                if (f->send_auth) {
                    f->send_auth = 0; /* never hand credentials to another host */
                    dbx__log(&p->log, DBX_LOG_DEBUG, DBX_LOGCAT_HTTP_REQUEST,
                             "redirected to another host (%s): credentials dropped", nto.host);
                }
            }
            if (to_get) {
                f->method = "GET";
                f->with_body = 0;
            }
            dbx__buf_clear(&f->urlb);
            dbx__buf_puts(&f->urlb, next);
            dbx__free(next);
            if (f->urlb.oom) {
                f->st = dbx__fail(owner, DBX_ENOMEM, "out of memory");
                return F_DONE;
            }
            dbx__origin_parse(f->urlb.ptr, &f->target);
            dbx__buf_clear(&f->log_path);
            f->attempt--; /* a redirect is not a retry */
            return F_AGAIN;
        }
        if (s >= 300 && s < 400) {
            f->st = dbx__fail(owner, DBX_EBADRESPONSE, "unexpected redirect (HTTP %d)%s; not followed", s,
                              location ? " to another location" : "");
            fail_detail(f);
            return F_DONE;
        }
        if (dbx__parse_error_body(resp, &f->code, &f->msg, &f->rid) != 0) {
            f->st = dbx__fail(owner, DBX_ENOMEM, "out of memory while reading an HTTP %d answer", s);
            fail_detail(f);
            return F_DONE;
        }
        f->st = dbx__status_from_http(s, f->code.ptr, f->method, f->log_path.ptr, f->msg.ptr);
        if (f->st == DBX_OK)
            f->st = DBX_ERROR;
        retriable = s == 429 || s == 503 || ((s == 500 || s == 502 || s == 504) && f->idempotent) ||
                    dbx__is_transient_message(f->msg.ptr);
        f->retry_after = dbx__parse_retry_after(dbx__resp_header(resp, "Retry-After"), dbx__wall_ms());
    }

    const char *why = NULL;
    if (retriable && resp->delivered == 0) {
        if (call->upload && f->up.sent > 0 && !f->up.src->rewind) {
            /* never resend a body that was consumed: the server would
             * get a short or empty file */
            why = "the request body could not be re-read (the source cannot rewind)";
        } else if (f->attempt >= f->max_attempts) {
            why = "attempt limit reached";
        } else {
            const dbx__retry_policy *rp = call->retry;
            long initial = rp && rp->initial_delay_ms > 0 ? rp->initial_delay_ms : p->cfg.retry_initial_delay_ms;
            long maxd = rp && rp->max_delay_ms > 0 ? rp->max_delay_ms : p->cfg.retry_max_delay_ms;
            long delay = dbx__retry_delay_ms(f->attempt, initial, maxd, f->retry_after);
            int64_t now = dbx__now_ms();
            if (now + delay <= f->deadline) {
                if (resp->status == 429) {
                    /* throttled: tell the caller (metrics, back-pressure); no query string, no secret */
                    if (f->log_path.len == 0)
                        make_log_path(&f->log_path, f->urlb.ptr, &f->target, p);
                    if (rp && rp->warn_throttle)
                        dbx__log(&p->log, DBX_LOG_WARN, DBX_LOGCAT_RETRY,
                                 "rate limited (HTTP 429) on %s %s: attempt %d, retrying in %ld ms", f->method,
                                 f->log_path.ptr ? f->log_path.ptr : "", f->attempt, delay);
                    if (p->cfg.throttle_fn)
                        p->cfg.throttle_fn(f->method, f->log_path.ptr ? f->log_path.ptr : "", f->attempt, delay,
                                           p->cfg.throttle_payload);
                }
                dbx__log(&p->log, DBX_LOG_INFO, DBX_LOGCAT_RETRY, "retrying %s %s in %ld ms (attempt %d failed: %s%s%s)",
                         f->method, f->log_path.ptr, delay, f->attempt, f->code.len ? f->code.ptr : "",
                         f->code.len ? " " : "", f->msg.ptr ? f->msg.ptr : "");
                *delay_out = delay;
                return F_RETRY;
            }
            why = f->retry_after > 0 && now + f->retry_after > f->deadline
                      ? "retry budget exhausted: the server's Retry-After ends past it"
                      : "retry budget exhausted";
        }
    }

    /* final failure: the last error, and what retrying cost */
    if (f->attempt > 1 || why) {
        if (resp->status)
            dbx__buf_printf(&f->msg, " (HTTP %d; %d attempt%s over %.1f s; %s)", resp->status, f->attempt,
                            f->attempt == 1 ? "" : "s", (double)(dbx__now_ms() - f->start) / 1000.0,
                            why ? why : "not retried further");
        else
            dbx__buf_printf(&f->msg, " (%d attempt%s over %.1f s; %s)", f->attempt, f->attempt == 1 ? "" : "s",
                            (double)(dbx__now_ms() - f->start) / 1000.0, why ? why : "not retried further");
    }
    dbx__fail(owner, f->st, "%s", f->msg.len ? f->msg.ptr : dbx_status_str(f->st));
    if (tr->kind != DBX__TX_OK)
        dbx__error_set_transport(tr->code);
    fail_detail(f);
    return F_DONE;
}

dbx_status dbx__pipeline_send(dbx__pipeline *p, const dbx__call *call, dbx__http_resp *resp)
{
    flight f;
    flight_init(&f, p, call, resp);
    dbx_status st = flight_begin(&f);
    while (st == DBX_OK) {
        st = flight_prepare(&f);
        if (st != DBX_OK)
            break;
        p->tx->send(p->tx, &f.req, resp, &f.tr);
        long delay = 0;
        int j = flight_judge(&f, &delay);
        if (j == F_DONE) {
            st = f.st;
            break;
        }
        if (j == F_RETRY) {
            dbx__sleep_ms(delay);
            f.waited += delay;
        }
    }
    flight_end(&f);
    return st;
}

/* ---- the incremental engine -------------------------------------------------------- */

enum { E_QUEUED, E_ACTIVE, E_DONE };  /* which list a call is on */
enum { S_READY, S_FLYING };           /* an active call: to send at ready_at, or in the transport */

typedef struct ecall {
    struct ecall *prev, *next;
    const dbx__call *call;
    dbx__http_resp *resp;
    void *tag;
    int where, state;
    int64_t ready_at;
    flight *f;            /* while active (a flight must not move: its own allocation) */
    dbx_status status;    /* once done */
    dbx__errsave *error;
} ecall;

typedef struct elist {
    ecall *head, *tail;
    size_t n;
} elist;

struct dbx__engine {
    dbx__pipeline *p;
    dbx__tx_multi *m;  /* NULL: every attempt is a single send */
    int max;
    size_t flying;     /* active calls in the transport */
    elist queued, active, done;
    int64_t q_due;     /* no queued call's deadline is before this (-1: none has one); kept
                          low, so that a long queue is only scanned when one may be due */
    uint64_t retries, connections;
};

static void el_push(elist *l, ecall *c)
{
    c->next = NULL;
    c->prev = l->tail;
    if (l->tail)
        l->tail->next = c;
    else
        l->head = c;
    l->tail = c;
    l->n++;
}

static void el_unlink(elist *l, ecall *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        l->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        l->tail = c->prev;
    c->prev = c->next = NULL;
    l->n--;
}

static elist *el_of(dbx__engine *e, ecall *c)
{
    return c->where == E_QUEUED ? &e->queued : c->where == E_ACTIVE ? &e->active : &e->done;
}

/* The call is over with `st` (its failure, if any, is the thread's record
 * now): keep the outcome for the next step. */
static void e_finish(dbx__engine *e, ecall *c, dbx_status st)
{
    if (c->where == E_ACTIVE && c->state == S_FLYING) {
        if (e->m)
            e->p->tx->multi_remove(e->m, c);
        e->flying--;
    }
    el_unlink(el_of(e, c), c);
    c->status = st;
    c->error = st != DBX_OK ? dbx__error_save() : NULL;
    if (c->f) {
        flight_end(c->f);
        dbx__free(c->f);
        c->f = NULL;
    }
    c->where = E_DONE;
    el_push(&e->done, c);
}

/* A call that ended without the transport's verdict: cancelled or past its deadline. */
static void e_stop(dbx__engine *e, ecall *c, dbx_status st)
{
    const void *owner = e->p->owner;
    flight *f = c->f;
    const char *what = st == DBX_ECANCELLED ? "cancelled" : "its deadline passed";
    if (!f) {
        const char *path = c->call->path && !is_absolute(c->call->path) ? c->call->path : "(another host)";
        dbx__fail(owner, st, "%s %.*s: %s while queued", c->call->method ? c->call->method : "",
                  (int)strcspn(path, "?#"), path, what); /* never a query string */
        e_finish(e, c, st);
        return;
    }
    if (f->log_path.len == 0)
        make_log_path(&f->log_path, f->urlb.ptr, &f->target, e->p);
    f->st = dbx__fail(owner, st, "%s %s: %s (%d attempt%s over %.1f s%s)", f->method, f->log_path.ptr ? f->log_path.ptr : "",
                      what, f->attempt, f->attempt == 1 ? "" : "s", (double)(dbx__now_ms() - f->start) / 1000.0,
                      c->state == S_READY && f->attempt > 0 ? "; waiting to retry" : "");
    fail_detail(f);
    e_finish(e, c, st);
}

/* The transport ended the attempt of c (f->tr): judge it. */
static void e_judged(dbx__engine *e, ecall *c)
{
    flight *f = c->f;
    long delay = 0;
    e->connections += (uint64_t)(f->tr.new_connections > 0 ? f->tr.new_connections : 0);
    int j = flight_judge(f, &delay);
    if (j == F_DONE) {
        e_finish(e, c, f->st);
        return;
    }
    c->state = S_READY;
    c->ready_at = dbx__now_ms() + (j == F_RETRY ? delay : 0);
    if (j == F_RETRY)
        f->waited += delay;
}

static void e_start(dbx__engine *e, ecall *c, int64_t now)
{
    el_unlink(&e->queued, c);
    c->where = E_ACTIVE;
    c->state = S_READY;
    c->ready_at = now;
    el_push(&e->active, c);
    c->f = dbx__malloc(sizeof *c->f);
    if (!c->f) {
        e_finish(e, c, dbx__fail(e->p->owner, DBX_ENOMEM, "out of memory"));
        return;
    }
    flight_init(c->f, e->p, c->call, c->resp);
    c->f->deadline_cut = 1;
    dbx_status st = flight_begin(c->f);
    if (st != DBX_OK)
        e_finish(e, c, st);
}

static void e_send(dbx__engine *e, ecall *c)
{
    flight *f = c->f;
    dbx__pipeline *p = e->p;
    dbx_status st = flight_prepare(f);
    if (st != DBX_OK) {
        e_finish(e, c, st);
        return;
    }
    if (f->attempt > 1)
        e->retries++;
    if (e->m && p->tx->multi_add(e->m, &f->req, f->resp, &f->tr, c) == 0) {
        c->state = S_FLYING;
        e->flying++;
        return;
    }
    /* no multi transport (or it could not take the transfer): this attempt
     * runs to its end here, as a single send */
    if (!e->m)
        p->tx->send(p->tx, &f->req, f->resp, &f->tr);
    e_judged(e, c);
}

/* Everything that needs no waiting: deadlines, queued calls into free
 * slots, due attempts out. */
static void e_pump(dbx__engine *e)
{
    for (int round = 0; round < 64; round++) {
        int64_t now = dbx__now_ms();
        int moved = 0;
        ecall *n;
        if (e->q_due >= 0 && now >= e->q_due) {
            e->q_due = -1;
            for (ecall *c = e->queued.head; c; c = n) {
                n = c->next;
                int64_t d = c->call->deadline_ms;
                if (d > 0 && now >= d) {
                    e_stop(e, c, DBX_ETIMEOUT);
                    moved = 1;
                } else if (d > 0 && (e->q_due < 0 || d < e->q_due)) {
                    e->q_due = d;
                }
            }
        }
        for (ecall *c = e->active.head; c; c = n) {
            n = c->next;
            if (c->call->deadline_ms > 0 && now >= c->call->deadline_ms) {
                e_stop(e, c, DBX_ETIMEOUT);
                moved = 1;
            }
        }
        while (e->active.n < (size_t)e->max && e->queued.head) {
            e_start(e, e->queued.head, now);
            moved = 1;
        }
        for (ecall *c = e->active.head; c; c = n) {
            n = c->next;
            if (c->state == S_READY && c->ready_at <= now) {
                e_send(e, c);
                moved = 1;
                now = dbx__now_ms();
            }
        }
        /* a call that ended here freed a slot for a queued one */
        if (!moved || !e->queued.head || e->active.n >= (size_t)e->max)
            break;
    }
}

/* The earliest moment something is due without I/O: a retry, a deadline. -1: none. */
static int64_t e_next_due(const dbx__engine *e)
{
    int64_t t = -1;
    for (const ecall *c = e->active.head; c; c = c->next) {
        if (c->state == S_READY && (t < 0 || c->ready_at < t))
            t = c->ready_at;
        if (c->call->deadline_ms > 0 && (t < 0 || c->call->deadline_ms < t))
            t = c->call->deadline_ms;
    }
    if (e->q_due >= 0 && (t < 0 || e->q_due < t))
        t = e->q_due;
    return t;
}

dbx__engine *dbx__engine_new(dbx__pipeline *p, const dbx__engine_opts *o)
{
    dbx__engine *e = dbx__calloc(1, sizeof *e);
    if (!e) {
        dbx__fail(p->owner, DBX_ENOMEM, "out of memory");
        return NULL;
    }
    e->p = p;
    e->q_due = -1;
    e->max = o && o->max_in_flight > 0 ? o->max_in_flight : DBX__BATCH_DEFAULT_PARALLEL;
    dbx__tx_multi_opts mo = {o ? o->http_version : 0, o && o->cap_connections ? e->max : 0};
    e->m = p->tx->multi_new ? p->tx->multi_new(p->tx, &mo) : NULL;
    return e;
}

dbx_status dbx__engine_submit(dbx__engine *e, const dbx__call *call, dbx__http_resp *resp, void *tag)
{
    ecall *c = dbx__calloc(1, sizeof *c);
    if (!c)
        return dbx__fail(e->p->owner, DBX_ENOMEM, "out of memory");
    c->call = call;
    c->resp = resp;
    c->tag = tag;
    c->where = E_QUEUED;
    el_push(&e->queued, c);
    if (call->deadline_ms > 0 && (e->q_due < 0 || call->deadline_ms < e->q_due))
        e->q_due = call->deadline_ms;
    return DBX_OK;
}

static int e_pop(dbx__engine *e, dbx__engine_done *out)
{
    ecall *c = e->done.head;
    if (!c)
        return 0;
    el_unlink(&e->done, c);
    out->tag = c->tag;
    out->status = c->status;
    out->error = c->error;
    dbx__free(c);
    return 1;
}

int dbx__engine_step(dbx__engine *e, long wait_ms, dbx__engine_done *out)
{
    memset(out, 0, sizeof *out);
    int64_t end = wait_ms < 0 ? -1 : dbx__now_ms() + wait_ms;
    for (;;) {
        if (e_pop(e, out))
            return 1;
        e_pump(e);
        if (e_pop(e, out))
            return 1;
        if (e->active.n == 0)
            return 0;
        int64_t now = dbx__now_ms();
        long slice = end < 0 ? 1000 : end - now > 0 ? (long)(end - now) : 0;
        int full = end >= 0; /* this pass waits all that is left of wait_ms */
        int64_t due = e_next_due(e);
        if (due >= 0) {
            int64_t d = due - now;
            if (d < 0)
                d = 0;
            if (d < slice || (end < 0 && e->flying == 0)) {
                slice = (long)(d > LONG_MAX ? LONG_MAX : d);
                full = 0;
            }
        }
        if (e->flying > 0) {
            void *tag = e->p->tx->multi_run(e->m, slice);
            while (tag) {
                ecall *c = tag;
                c->state = S_READY;
                e->flying--;
                e_judged(e, c);
                tag = e->p->tx->multi_run(e->m, 0);
            }
        } else if (slice > 0) {
            dbx__sleep_ms(slice);
        }
        if (e->done.head)
            continue;
        if (full || (end >= 0 && dbx__now_ms() >= end)) {
            e_pump(e); /* what came due while waiting */
            return e_pop(e, out);
        }
    }
}

int dbx__engine_cancel(dbx__engine *e, void *tag)
{
    for (int k = 0; k < 2; k++)
        for (ecall *c = (k ? e->active.head : e->queued.head); c; c = c->next)
            if (c->tag == tag) {
                e_stop(e, c, DBX_ECANCELLED);
                return 0;
            }
    return -1;
}

size_t dbx__engine_pending(const dbx__engine *e) { return e->queued.n + e->active.n + e->done.n; }
size_t dbx__engine_flying(const dbx__engine *e) { return e->active.n; }
size_t dbx__engine_queued(const dbx__engine *e) { return e->queued.n; }
uint64_t dbx__engine_retries(const dbx__engine *e) { return e->retries; }
uint64_t dbx__engine_connections(const dbx__engine *e) { return e->connections; }

void dbx__engine_free(dbx__engine *e)
{
    if (!e)
        return;
    ecall *c;
    while ((c = e->active.head) != NULL) {
        if (c->state == S_FLYING && e->m)
            e->p->tx->multi_remove(e->m, c);
        el_unlink(&e->active, c);
        if (c->f) {
            flight_end(c->f);
            dbx__free(c->f);
        }
        dbx__free(c);
    }
    while ((c = e->queued.head) != NULL) {
        el_unlink(&e->queued, c);
        dbx__free(c);
    }
    while ((c = e->done.head) != NULL) {
        el_unlink(&e->done, c);
        dbx__errsave_free(c->error);
        dbx__free(c);
    }
    if (e->m)
        e->p->tx->multi_free(e->m);
    dbx__free(e);
}

/* ---- many calls at once: a batch through the engine -------------------------------------- */

dbx_status dbx__pipeline_send_many(dbx__pipeline *p, dbx__batch_item *items, size_t n, int max_parallel)
{
    const void *owner = p->owner;
    if (n == 0)
        return DBX_OK;
    for (size_t i = 0; i < n; i++) {
        items[i].status = DBX_ERROR;
        items[i].error = NULL;
    }
    dbx__engine_opts o = {max_parallel, 0, 0};
    dbx__engine *e = dbx__engine_new(p, &o);
    if (!e) {
        for (size_t i = 0; i < n; i++)
            items[i].status = DBX_ENOMEM;
        return DBX_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (dbx__engine_submit(e, items[i].call, items[i].resp, &items[i]) != DBX_OK) {
            items[i].status = DBX_ENOMEM;
            items[i].error = dbx__error_save();
        }
    }
    dbx__engine_done d;
    while (dbx__engine_step(e, -1, &d)) {
        dbx__batch_item *it = d.tag;
        it->status = d.status;
        it->error = d.error;
    }
    dbx__engine_free(e);
    /* the thread's record: the first failure in the items' order */
    for (size_t i = 0; i < n; i++) {
        if (items[i].status != DBX_OK) {
            if (items[i].error)
                dbx__error_restore(items[i].error);
            else
                dbx__fail(owner, items[i].status, "%s", dbx_status_str(items[i].status));
            return items[i].status;
        }
    }
    dbx__error_clear(owner);
    return DBX_OK;
}

void dbx__batch_dispose(dbx__batch_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dbx__errsave_free(items[i].error);
        items[i].error = NULL;
    }
}
