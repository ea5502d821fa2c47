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

dbx_status dbx__api_call(dbx_client *c, const char *method, const char *path, const json_t *body,
                         int idempotent, json_t **out)
{
    if (out)
        *out = NULL;
    char *text = NULL;
    if (body && !(text = dbx__json_dump(body)))
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    dbx__call call = {0};
    call.method = method;
    call.path = path;
    call.body = text;
    call.body_len = text ? strlen(text) : 0;
    call.idempotent = idempotent;
    dbx__http_resp resp;
    dbx__resp_init(&resp);
    dbx_status st = dbx__pipeline_send(&c->pipe, &call, &resp);
    dbx__free(text);
    if (st == DBX_OK) {
        json_t *j = NULL;
        st = dbx__json_parse_object(&j, c, resp.body.ptr ? resp.body.ptr : "", resp.body.len);
        if (st != DBX_OK) {
            dbx__error_set_request(method, path);
            dbx__error_set_http(resp.status, "", dbx__resp_header(&resp, "x-request-id"));
        } else if (out) {
            *out = j;
        } else {
            json_decref(j);
        }
    }
    dbx__resp_dispose(&resp);
    return st;
}

/* ---- dbx_request ------------------------------------------------------------------- */

struct dbx_response {
    int status;
    char *body;
    size_t len;
    dbx__header *headers;
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
    for (size_t i = r->n_headers; i-- > 0;)
        if (dbx__strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

DBX_API void dbx_response_free(dbx_response *r)
{
    if (!r)
        return;
    dbx__headers_free(r->headers, r->n_headers);
    dbx__free(r->headers);
    dbx__free(r->body);
    dbx__free(r);
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
        if (strpbrk(h, "\r\n") || !strchr(h, ':'))
            return dbx__fail(client, DBX_EINVAL, "header %zu is not a single 'Name: value' line", i);
        if (i >= 16)
            return dbx__fail(client, DBX_EINVAL, "at most 16 extra headers");
    }
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
    if (st == DBX_OK) {
        dbx_response *r = dbx__calloc(1, sizeof *r);
        if (!r) {
            dbx__resp_dispose(&resp);
            return dbx__fail(client, DBX_ENOMEM, "out of memory");
        }
        r->status = resp.status;
        r->len = resp.body.len;
        r->body = dbx__buf_detach(&resp.body);
        r->headers = resp.headers;
        r->n_headers = resp.n_headers;
        resp.headers = NULL;
        resp.n_headers = resp.cap_headers = 0;
        if (!r->body) {
            dbx_response_free(r);
            dbx__resp_dispose(&resp);
            return dbx__fail(client, DBX_ENOMEM, "out of memory");
        }
        *out = r;
    }
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
        json_error_t err;
        json_t *v = json_loads(body_json, JSON_DECODE_ANY, &err);
        if (!v)
            return dbx__fail(client, DBX_EINVAL, "body_json is not valid JSON: %s (line %d, column %d)",
                             err.text, err.line, err.column);
        json_decref(v);
    }
    dbx_request_options o = DBX_REQUEST_OPTIONS_INIT;
    o.body = body_json;
    return dbx_request_ex(out, client, method, path, body_json ? &o : NULL);
}
