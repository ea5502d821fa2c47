/* libdbx internal: JSON calls and the generic request escape hatch. */
#include <string.h>

#include "api.h"

int dbx__query_add(dbx__buf *q, const char *key, const char *value)
{
    /* works on a bare query or on a path that may already carry one */
    dbx__buf_putc(q, q->len && memchr(q->ptr, '?', q->len) ? '&' : '?');
    dbx__buf_put_urlenc(q, key);
    dbx__buf_putc(q, '=');
    dbx__buf_put_urlenc(q, value ? value : "");
    return q->oom ? -1 : 0;
}

int dbx__query_add_int(dbx__buf *q, const char *key, long long value)
{
    char num[32];
    snprintf(num, sizeof num, "%lld", value);
    return dbx__query_add(q, key, num);
}

dbx_status dbx__api_call_text(dbx_client *c, const char *method, const char *path, const char *body,
                              size_t body_len, int flags, dbx__jdoc *out)
{
    return dbx__api_call_text_retry(c, method, path, body, body_len, flags, NULL, out);
}

dbx_status dbx__api_call_text_retry(dbx_client *c, const char *method, const char *path, const char *body,
                                    size_t body_len, int flags, const dbx__retry_policy *retry, dbx__jdoc *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    dbx__call call = {0};
    call.method = method;
    call.path = path;
    call.body = body;
    call.body_len = body ? body_len : 0;
    call.idempotent = (flags & DBX__CALL_IDEMPOTENT) ? 1 : 0;
    call.accept_gzip = (flags & DBX__CALL_LARGE) != 0;
    call.retry = retry;
    dbx__http_resp resp;
    dbx__resp_init(&resp);
    dbx_status st = dbx__pipeline_send(&c->pipe, &call, &resp);
    if (st == DBX_OK)
        dbx__error_note_answer(method, path, resp.status, dbx__resp_header(&resp, "x-request-id"));
    if (st == DBX_OK && out) {
        st = dbx__jdoc_parse_object(out, c, &resp.body);
        if (st != DBX_OK) {
            dbx__error_set_request(method, path);
            dbx__error_set_http(resp.status, "", dbx__resp_header(&resp, "x-request-id"));
        }
    }
    dbx__resp_dispose(&resp);
    return st;
}

dbx_status dbx__api_call(dbx_client *c, const char *method, const char *path, const json_t *body,
                         int flags, dbx__jdoc *out)
{
    return dbx__api_call_retry(c, method, path, body, flags, NULL, out);
}

dbx_status dbx__api_call_retry(dbx_client *c, const char *method, const char *path, const json_t *body,
                               int flags, const dbx__retry_policy *retry, dbx__jdoc *out)
{
    char *text = NULL;
    if (body && !(text = dbx__json_dump(body))) {
        if (out)
            memset(out, 0, sizeof *out);
        return dbx__fail(c, DBX_ENOMEM, "out of memory while writing the request body");
    }
    dbx_status st = dbx__api_call_text_retry(c, method, path, text, text ? strlen(text) : 0, flags, retry, out);
    dbx__free(text);
    return st;
}

/* ---- dbx_request ------------------------------------------------------------------- */

struct dbx_response {
    int status;
    char *body;
    size_t len;
    char *hdr;        /* "name\0value\0" pairs */
    uint32_t *hidx;
    size_t n_headers;
};

DBX_API int dbx_response_status(const dbx_response *r) { return r ? r->status : 0; }

DBX_API const char *dbx_response_body(const dbx_response *r, size_t *len)
{
    if (len)
        *len = r ? r->len : 0;
    return r ? r->body : NULL;
}

DBX_API const char *dbx_response_header(const dbx_response *r, const char *name)
{
    if (!r || !name)
        return NULL;
    for (size_t i = r->n_headers; i-- > 0;) {
        const char *n = r->hdr + r->hidx[i];
        if (dbx__strcasecmp(n, name) == 0)
            return n + strlen(n) + 1;
    }
    return NULL;
}

DBX_API void dbx_response_free(dbx_response *r)
{
    if (!r)
        return;
    dbx__free(r->hdr);
    dbx__free(r->hidx);
    dbx__free(r->body);
    dbx__free(r);
}

static dbx_response *response_from(dbx__http_resp *resp)
{
    dbx_response *r = dbx__calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->status = resp->status;
    r->n_headers = resp->n_headers;
    r->hidx = dbx__malloc((resp->n_headers ? resp->n_headers : 1) * sizeof *r->hidx);
    r->len = resp->body.len;
    r->body = dbx__buf_detach(&resp->body);
    r->hdr = dbx__buf_detach(&resp->hdr);
    if (!r->hidx || !r->body || !r->hdr) {
        dbx_response_free(r);
        return NULL;
    }
    if (resp->n_headers)
        memcpy(r->hidx, resp->hidx, resp->n_headers * sizeof *r->hidx);
    return r;
}

DBX_API dbx_status dbx_request_ex(dbx_response **out, dbx_client *client, const char *method,
                                  const char *path, const dbx_request_options *opts)
{
    if (out)
        *out = NULL;
    DBX__ENTER(client);
    DBX__REQUIRE_PTR(client, out);
    DBX__REQUIRE_STR(client, method);
    DBX__REQUIRE_STR(client, path);
    if (opts && (opts->version == 0 || opts->version > DBX_REQUEST_OPTIONS_VERSION))
        return dbx__fail(client, DBX_EINVAL, "dbx_request_options version %u is not supported",
                         opts->version);
    for (size_t i = 0; opts && opts->headers && opts->headers[i]; i++) {
        const char *h = opts->headers[i];
        size_t name = strcspn(h, ":");
        if (strpbrk(h, "\r\n") || !h[name] || name == 0 || strcspn(h, " \t") < name)
            return dbx__fail(client, DBX_EINVAL, "headers[%zu] is not a single 'Name: value' line", i);
        if (i >= 16)
            return dbx__fail(client, DBX_EINVAL, "at most 16 extra headers");
    }
    if (opts && opts->content_type && strpbrk(opts->content_type, "\r\n"))
        return dbx__fail(client, DBX_EINVAL, "content_type must be a single line");
    dbx__call call = {0};
    call.method = method;
    call.path = path;
    if (opts) {
        call.headers = opts->headers;
        call.content_type = opts->content_type;
        call.body = opts->body;
        call.body_len = opts->body ? (opts->body_len ? opts->body_len : strlen(opts->body)) : 0;
        call.no_auth = opts->no_auth;
        call.idempotent = opts->idempotent;
        call.timeout_ms = opts->timeout_ms;
        call.follow_redirects = opts->follow_redirects;
        call.write_fn = opts->write_fn;
        call.write_payload = opts->write_payload;
    }
    dbx__http_resp resp;
    dbx__resp_init(&resp);
    dbx_status st = dbx__pipeline_send(&client->pipe, &call, &resp);
    if (st == DBX_OK && !(*out = response_from(&resp)))
        st = dbx__fail(client, DBX_ENOMEM, "out of memory");
    dbx__resp_dispose(&resp);
    return st;
}

DBX_API dbx_status dbx_request(dbx_response **out, dbx_client *client, const char *method,
                               const char *path, const char *body_json)
{
    if (out)
        *out = NULL;
    DBX__ENTER(client);
    if (body_json) {
        /* validated with the (non-recursive) indexer, on a copy */
        char *copy = dbx__strdup(body_json);
        if (!copy)
            return dbx__fail(client, DBX_ENOMEM, "out of memory");
        dbx__jdoc doc;
        dbx__jerr err;
        dbx_status st = dbx__jdoc_parse(&doc, copy, strlen(copy), 1, &err);
        if (st == DBX_OK)
            dbx__jdoc_dispose(&doc);
        else
            dbx__free(copy);
        if (st == DBX_ENOMEM)
            return dbx__fail(client, DBX_ENOMEM, "out of memory");
        if (st != DBX_OK)
            return dbx__fail(client, DBX_EINVAL, "body_json is not valid JSON: %s at byte %zu", err.msg, err.pos);
    }
    dbx_request_options o = DBX_REQUEST_OPTIONS_INIT;
    o.body = body_json;
    return dbx_request_ex(out, client, method, path, body_json ? &o : NULL);
}
