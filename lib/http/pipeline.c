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
 * Delays: Retry-After when given, else linear backoff from 1 s by 1 s up to
 * 10 s plus 50-750 ms jitter, all within the retry budget (300 s).
 *
 * Redirects are not followed unless the call asks; when followed, the
 * credentials go only to the origin (scheme, host, port) they were meant
 * for, and https never downgrades to http.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "../json/json_util.h"
#include "http.h"

#define MAX_REDIRECTS 8
#define MAX_HEADERS 32

/* ---- URLs and origins ----------------------------------------------------- */

typedef struct origin {
    char scheme[8];
    char host[256];
    int port;
    const char *path; /* into the URL */
} origin;

static int parse_origin(const char *url, origin *o)
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

static int same_origin(const origin *a, const origin *b)
{
    return strcmp(a->scheme, b->scheme) == 0 && strcmp(a->host, b->host) == 0 && a->port == b->port;
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
    origin o;
    if (loc[0] != '/' || parse_origin(current, &o) != 0)
        return NULL;
    if (loc[1] == '/') /* scheme-relative */
        return dbx__sprintf("%s:%s", o.scheme, loc);
    return dbx__sprintf("%.*s%s", (int)(o.path - current), current, loc);
}

/* ---- error bodies ------------------------------------------------------------ */

static void put_trimmed(dbx__buf *b, const char *s, size_t n, size_t max)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n > max) {
        dbx__buf_put(b, s, max);
        dbx__buf_puts(b, "...");
    } else {
        dbx__buf_put(b, s, n);
    }
}

void dbx__parse_error_body(const dbx__http_resp *resp, dbx__buf *code, dbx__buf *message,
                           dbx__buf *request_id)
{
    const char *body = resp->body.ptr ? resp->body.ptr : "";
    size_t len = resp->body.len;
    json_t *j = len ? json_loadb(body, len, 0, NULL) : NULL;
    if (json_is_object(j)) {
        json_t *ec = json_object_get(j, "error_code");
        if (json_is_string(ec))
            dbx__buf_puts(code, json_string_value(ec));
        else if (json_is_integer(ec))
            dbx__buf_printf(code, "%lld", (long long)json_integer_value(ec));
        const char *msg = dbx__json_str(j, "message", NULL);
        if (!ec && json_is_string(json_object_get(j, "error"))) {
            /* legacy 1.2 {"error": "..."} and OAuth {"error", "error_description"} */
            const char *err = dbx__json_str(j, "error", "");
            const char *desc = dbx__json_str(j, "error_description", NULL);
            if (desc) {
                dbx__buf_puts(code, err);
                msg = desc;
            } else {
                msg = err;
            }
        } else if (!ec && json_is_string(json_object_get(j, "detail"))) {
            /* SCIM */
            dbx__buf_printf(code, "SCIM_%s", dbx__json_str(j, "status", "ERROR"));
            msg = dbx__json_str(j, "detail", "");
        }
        if (msg)
            put_trimmed(message, msg, strlen(msg), 900);
        json_t *details = json_object_get(j, "details");
        size_t i;
        json_t *d;
        json_array_foreach(details, i, d)
        {
            const char *type = dbx__json_str(d, "@type", "");
            if (strstr(type, "google.rpc.RequestInfo")) {
                dbx__buf_puts(request_id, dbx__json_str(d, "request_id", ""));
                break;
            }
        }
    } else if (len) {
        const char *pre = strstr(body, "<pre>");
        if (pre) {
            const char *endp = strstr(pre, "</pre>");
            pre += 5;
            put_trimmed(message, pre, endp ? (size_t)(endp - pre) : strlen(pre), 900);
        } else if (!strstr(body, "<html") && !strstr(body, "<HTML")) {
            /* plain text, possibly "ERROR_CODE: message" */
            size_t k = 0;
            while (k < len && (isupper((unsigned char)body[k]) || body[k] == '_'))
                k++;
            if (k > 2 && k + 1 < len && body[k] == ':') {
                dbx__buf_put(code, body, k);
                put_trimmed(message, body + k + 1, len - k - 1, 900);
            } else {
                put_trimmed(message, body, len, 900);
            }
        }
    }
    json_decref(j);
    if (request_id->len == 0) {
        const char *h = dbx__resp_header(resp, "x-request-id");
        if (!h)
            h = dbx__resp_header(resp, "x-databricks-request-id");
        if (h)
            dbx__buf_puts(request_id, h);
    }
    if (message->len == 0)
        dbx__buf_printf(message, "HTTP %d", resp->status);
}

/* ---- logging helpers ----------------------------------------------------------- */

static void log_request(dbx__pipeline *p, const char *method, const char *url,
                        const char *const *headers, size_t n_headers, const dbx__call *call,
                        int attempt)
{
    if (!DBX__LOG_ENABLED(&p->log, DBX_LOG_DEBUG))
        return;
    dbx__buf b = DBX__BUF_INIT;
    origin o;
    const char *path = parse_origin(url, &o) == 0 ? o.path : url;
    size_t plen = strcspn(path, "?");
    dbx__buf_printf(&b, "> %s %.*s", method, (int)plen, path);
    if (path[plen] == '?') {
        dbx__buf_putc(&b, '?');
        dbx__redact_query(&b, path + plen + 1, strlen(path + plen + 1));
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
            dbx__redact_header(&b, name, c + 1 + (c[1] == ' '));
        }
        if (call->body && call->body_len) {
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
    dbx__buf_printf(&b, "< %d %s %s (%.1f ms, attempt %d%s%s)", resp->status, method, log_path, ms,
                    attempt, rid ? ", request-id " : "", rid ? rid : "");
    if (DBX__LOG_ENABLED(&p->log, DBX_LOG_TRACE)) {
        for (size_t i = 0; i < resp->n_headers; i++) {
            dbx__buf_puts(&b, "\n< ");
            dbx__redact_header(&b, resp->headers[i].name, resp->headers[i].value);
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
static void make_log_path(dbx__buf *out, const char *url, const origin *home, int have_home)
{
    origin cur;
    dbx__buf_clear(out);
    const char *pp = parse_origin(url, &cur) == 0 ? cur.path : url;
    if (!have_home || !same_origin(&cur, home))
        dbx__buf_printf(out, "%s://%s:%d", cur.scheme, cur.host, cur.port);
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
    default: return DBX_ETRANSPORT;
    }
}

dbx_status dbx__pipeline_send(dbx__pipeline *p, const dbx__call *call, dbx__http_resp *resp)
{
    const void *owner = p->owner;
    if (!call->method || !method_ok(call->method))
        return dbx__fail(owner, DBX_EINVAL, "unsupported HTTP method");
    if (dbx__empty(call->path) || (!is_absolute(call->path) && call->path[0] != '/'))
        return dbx__fail(owner, DBX_EINVAL, "path must start with '/' or be an absolute URL");

    char *url = is_absolute(call->path) ? dbx__strdup(call->path)
                                        : dbx__sprintf("%s%s", p->cfg.host, call->path);
    if (!url)
        return dbx__fail(owner, DBX_ENOMEM, "out of memory");
    origin home, target;
    int have_home = parse_origin(p->cfg.host, &home) == 0;
    if (parse_origin(url, &target) != 0) {
        dbx__free(url);
        return dbx__fail(owner, DBX_EINVAL, "malformed URL");
    }
    /* Credentials only ever go to the workspace origin. */
    int send_auth = !call->no_auth && p->auth && have_home && same_origin(&home, &target);
    if (!call->no_auth && p->auth && !send_auth) {
        dbx__free(url);
        return dbx__fail(owner, DBX_EINVAL, "refusing to send credentials to another host: "
                                            "use no_auth for absolute URLs");
    }
    const char *method = call->method;
    int with_body = call->body != NULL;
    int idempotent = call->idempotent > 0 ||
                     (call->idempotent == 0 && (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0));
    long timeout = call->timeout_ms > 0 ? call->timeout_ms : p->cfg.http_timeout_ms;

    dbx__buf auth_line = DBX__BUF_INIT, ct_line = DBX__BUF_INIT;
    dbx__buf code = DBX__BUF_INIT, msg = DBX__BUF_INIT, rid = DBX__BUF_INIT, log_path = DBX__BUF_INIT;
    const char *ct = "Content-Type: application/json";
    if (call->content_type) {
        dbx__buf_printf(&ct_line, "Content-Type: %s", call->content_type);
        ct = ct_line.ptr;
    }
    const int debug = DBX__LOG_ENABLED(&p->log, DBX_LOG_DEBUG);
#define NEED_LOG_PATH()                                                                            \
    do {                                                                                           \
        if (log_path.len == 0)                                                                     \
            make_log_path(&log_path, url, &home, have_home);                                       \
    } while (0)

    int64_t start = dbx__now_ms();
    int64_t deadline = start + (p->cfg.retry_timeout_ms > 0 ? p->cfg.retry_timeout_ms : 300000);
    if (call->deadline_ms > 0 && call->deadline_ms < deadline)
        deadline = call->deadline_ms;
    int attempt = 0, redirects = 0;
    long retry_after = -1;
    dbx_status st = DBX_OK;

    for (;;) {
        attempt++;
        dbx__resp_reset(resp);
        if (debug)
            NEED_LOG_PATH();

        const char *headers[MAX_HEADERS];
        size_t nh = 0;
        if (send_auth) {
            dbx__buf_clear(&auth_line);
            st = dbx__auth_header(p->auth, p, deadline, &auth_line);
            if (st != DBX_OK)
                goto out; /* the auth layer recorded why */
            headers[nh++] = auth_line.ptr;
        }
        headers[nh++] = p->cfg.user_agent_header;
        headers[nh++] = "Accept: application/json";
        if (with_body)
            headers[nh++] = ct;
        for (size_t i = 0; call->headers && call->headers[i] && nh < MAX_HEADERS; i++)
            headers[nh++] = call->headers[i];
        if (ct_line.oom || log_path.oom) {
            st = dbx__fail(owner, DBX_ENOMEM, "out of memory");
            goto out;
        }

        dbx__http_req req = {method, url, headers, nh,
                             with_body ? call->body : NULL, with_body ? call->body_len : 0,
                             timeout, p->cfg.connect_timeout_ms, call->write_fn, call->write_payload};
        log_request(p, method, url, headers, nh, call, attempt);
        dbx__tx_result tr;
        int64_t t0 = dbx__now_ms();
        p->tx->send(p->tx, &req, resp, &tr);
        double ms = (double)(dbx__now_ms() - t0);

        int retriable = 0;
        retry_after = -1;
        dbx__buf_clear(&code);
        dbx__buf_clear(&msg);
        dbx__buf_clear(&rid);
        if (tr.kind != DBX__TX_OK) {
            NEED_LOG_PATH();
            st = tx_status(tr.kind);
            retriable = (tr.kind == DBX__TX_NOT_SENT) || (tr.kind == DBX__TX_FAILED && idempotent);
            dbx__buf_puts(&msg, tr.message);
            dbx__log(&p->log, DBX_LOG_DEBUG, DBX_LOGCAT_HTTP_RESPONSE, "< %s %s failed: %s (attempt %d)",
                     method, log_path.ptr, tr.message, attempt);
        } else {
            log_response(p, method, log_path.ptr, resp, ms, attempt);
            int s = resp->status;
            if ((s >= 200 && s < 300) || (s >= 300 && s < 400 && call->redirect_ok)) {
                st = DBX_OK;
                goto out;
            }
            NEED_LOG_PATH();
            const char *location = dbx__resp_header(resp, "Location");
            if (s >= 300 && s < 400 && call->follow_redirects && location) {
                char *next = resolve_location(url, location);
                origin nto;
                if (!next || parse_origin(next, &nto) != 0) {
                    dbx__free(next);
                    st = dbx__fail(owner, DBX_EBADRESPONSE, "redirect to an invalid location");
                    goto fail_detail;
                }
                if (strcmp(target.scheme, "https") == 0 && strcmp(nto.scheme, "http") == 0) {
                    dbx__free(next);
                    st = dbx__fail(owner, DBX_ETRANSPORT, "refusing a redirect from https to http");
                    goto fail_detail;
                }
                if (++redirects > MAX_REDIRECTS) {
                    dbx__free(next);
                    st = dbx__fail(owner, DBX_EBADRESPONSE, "too many redirects");
                    goto fail_detail;
                }
                if (send_auth && !same_origin(&nto, &home)) {
                    send_auth = 0; /* never hand credentials to another host */
                    dbx__log(&p->log, DBX_LOG_DEBUG, DBX_LOGCAT_HTTP_REQUEST,
                             "redirected to another host (%s): credentials dropped", nto.host);
                }
                if (s == 303 || ((s == 301 || s == 302) && strcmp(method, "POST") == 0)) {
                    method = "GET";
                    with_body = 0;
                }
                dbx__free(url);
                url = next;
                target = nto;
                dbx__buf_clear(&log_path);
                attempt--; /* a redirect is not a retry */
                continue;
            }
            if (s >= 300 && s < 400) {
                st = dbx__fail(owner, DBX_EBADRESPONSE,
                               "unexpected redirect (HTTP %d)%s; not followed", s,
                               location ? " to another location" : "");
                goto fail_detail;
            }
            dbx__parse_error_body(resp, &code, &msg, &rid);
            st = dbx__status_from_http(s, code.ptr, method, log_path.ptr, msg.ptr);
            if (st == DBX_OK)
                st = DBX_ERROR;
            retriable = s == 429 || s == 503 || ((s == 500 || s == 504) && idempotent) ||
                        dbx__is_transient_message(msg.ptr);
            retry_after = dbx__parse_retry_after(dbx__resp_header(resp, "Retry-After"), dbx__wall_ms());
        }

        if (retriable && resp->delivered == 0 &&
            (p->cfg.max_attempts <= 0 || attempt < p->cfg.max_attempts)) {
            long delay = retry_after >= 0 ? retry_after
                                          : dbx__backoff_ms(attempt, p->cfg.retry_initial_delay_ms,
                                                            p->cfg.retry_max_delay_ms);
            int64_t now = dbx__now_ms();
            if (now + delay <= deadline) {
                dbx__log(&p->log, DBX_LOG_INFO, DBX_LOGCAT_RETRY,
                         "retrying %s %s in %ld ms (attempt %d failed: %s%s%s)", method, log_path.ptr,
                         delay, attempt, code.len ? code.ptr : "", code.len ? " " : "", msg.ptr ? msg.ptr : "");
                dbx__sleep_ms(delay);
                continue;
            }
            dbx__buf_puts(&msg, " (retry budget exhausted)");
        }

        /* final failure */
        dbx__fail(owner, st, "%s", msg.ptr ? msg.ptr : dbx_status_str(st));
        if (tr.kind != DBX__TX_OK)
            dbx__error_set_transport(tr.code);
    fail_detail:
        dbx__error_set_request(method, log_path.ptr);
        dbx__error_set_http(resp->status, code.ptr, rid.ptr);
        dbx__error_set_attempts(attempt, retry_after);
        goto out;
    }
out:
    dbx__free(url);
    dbx__buf_dispose(&auth_line);
    dbx__buf_dispose(&ct_line);
    dbx__buf_dispose(&code);
    dbx__buf_dispose(&msg);
    dbx__buf_dispose(&rid);
    dbx__buf_dispose(&log_path);
    return st;
#undef NEED_LOG_PATH
}
