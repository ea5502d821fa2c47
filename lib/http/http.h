/*
 * libdbx internal: the HTTP pipeline.
 *
 *   dbx__pipeline_send: auth -> user agent -> retry -> log -> transport
 *
 * The transport is a seam (a two-function vtable) with a libcurl
 * implementation; unit tests plug in a scripted one. Nothing here knows
 * about dbx_client: the client owns a dbx__pipeline and passes itself as
 * the `owner` that error records are tagged with.
 */
#ifndef DBX_HTTP_H
#define DBX_HTTP_H

#include <stddef.h>

#include "../core/core.h"

/* ---- requests and responses as the transport sees them -------------------- */

typedef size_t (*dbx__write_fn)(const char *data, size_t len, void *payload);

/* A request body streamed from a dbx_source (uploads of any size). The
 * transport reads it through libcurl's read callback, sends Content-Length
 * when `len` is known (>= 0) and chunked encoding otherwise, and maps
 * libcurl's own rewinds to src->rewind. What happened during the attempt
 * is recorded here for the pipeline's retry rule. */
typedef struct dbx__upload {
    const dbx_source *src;
    int64_t len;         /* -1: unknown (chunked) */
    uint64_t sent;       /* bytes read from the source in this attempt */
    int refused;         /* the read callback refused: DBX__TX_ABORTED */
    int bad;             /* the source broke its contract (too many / too few bytes): DBX__TX_LOCAL */
    int rewind_failed;   /* libcurl asked for a rewind the source could not do */
} dbx__upload;

typedef struct dbx__http_req {
    const char *method;
    const char *url;                 /* absolute */
    const char *const *headers;      /* "Name: value" */
    size_t n_headers;
    const char *body;                /* NULL: no body */
    size_t body_len;
    long timeout_ms;
    long connect_timeout_ms;
    dbx__write_fn write_fn;          /* NULL: buffer into resp->body */
    void *write_payload;
    int accept_gzip;                 /* offer (and decode) gzip */
    dbx__upload *upload;             /* non-NULL: the body comes from a source (body unused) */
    int idle_timeout;                /* timeout_ms bounds inactivity (< 1 byte/s), not the whole
                                        transfer: for file transfers of any size */
    int no_replay;                   /* not idempotent: once any byte of the body was sent,
                                        libcurl must not resend it on its own (it does, on a
                                        reused connection that dies before the answer); the
                                        attempt then fails (DBX__TX_FAILED) and the pipeline's
                                        rule for non-idempotent calls applies */
} dbx__http_req;

/* Response headers live in one arena ("name\0value\0" pairs) with an
 * index of offsets: capturing a header never allocates on its own, and the
 * first DBX__HDR_INLINE headers need no allocation at all. */
#define DBX__HDR_INLINE 24
#define DBX__HDR_ARENA_INLINE 1024
/* Hostile-server bounds on what is buffered. */
#define DBX__MAX_HEADER_BYTES (128u << 10) /* all response header lines together */
#define DBX__MAX_HEADERS 500
#define DBX__ERROR_BODY_KEEP (64u << 10)  /* of a non-2xx body, this much is kept */
#define DBX__ERROR_BODY_READ (1u << 20)   /* and at most this much read */

typedef struct dbx__http_resp {
    int status;
    dbx__buf body;
    size_t max_body;    /* 0: no limit; else a longer 2xx body fails (DBX__TX_BODY_TOO_LARGE) */
    dbx__buf hdr;       /* header arena */
    uint32_t *hidx;     /* name offsets in hdr (value follows the name's NUL) */
    size_t n_headers, cap_headers;
    size_t delivered;   /* bytes handed to write_fn */
    uint32_t hsmall[DBX__HDR_INLINE];
    char arena_small[DBX__HDR_ARENA_INLINE];
} dbx__http_resp;

void dbx__resp_init(dbx__http_resp *r);
void dbx__resp_reset(dbx__http_resp *r); /* keep allocations, drop content */
void dbx__resp_dispose(dbx__http_resp *r);
int dbx__resp_add_header(dbx__http_resp *r, const char *name, size_t nlen, const char *value,
                         size_t vlen);
const char *dbx__resp_header(const dbx__http_resp *r, const char *name);
/* Header i's name and value (i < n_headers). */
const char *dbx__resp_header_name(const dbx__http_resp *r, size_t i);
const char *dbx__resp_header_value(const dbx__http_resp *r, size_t i);

typedef enum dbx__tx_kind {
    DBX__TX_OK = 0,
    DBX__TX_NOT_SENT,  /* resolve/connect failed: the server never saw the request */
    DBX__TX_FAILED,    /* failed after the request may have been sent */
    DBX__TX_TIMEOUT,
    DBX__TX_TLS,       /* certificate / handshake problem: never retried */
    DBX__TX_ABORTED,   /* the write callback refused data */
    DBX__TX_NOMEM,
    DBX__TX_LOCAL,     /* a problem with the request itself (bad URL): never retried */
    DBX__TX_BODY_TOO_LARGE,    /* decoded 2xx body over max_body: never retried */
    DBX__TX_HEADERS_TOO_LARGE  /* header lines over DBX__MAX_HEADER_BYTES/DBX__MAX_HEADERS */
} dbx__tx_kind;

typedef struct dbx__tx_result {
    dbx__tx_kind kind;
    int code;           /* CURLcode */
    char message[256];  /* transport's text (no secrets: it never sees bodies) */
    int new_connections; /* connections the transport opened for this attempt */
} dbx__tx_result;

/* How a multi shares connections (dbx__transport.multi_new; NULL: the
 * defaults, 0 fields too). */
typedef struct dbx__tx_multi_opts {
    int http_version;      /* 0: the transport's default; 1: HTTP/1.1 only; 2: HTTP/2 where the
                              server offers it (ALPN on https, HTTP/1.1 on plain http), new
                              transfers waiting for a multiplexed connection (PIPEWAIT) */
    int max_host_connections; /* 0: no cap */
} dbx__tx_multi_opts;

typedef struct dbx__transport dbx__transport;
/* Many transfers in flight on the calling thread (libcurl multi). */
typedef struct dbx__tx_multi dbx__tx_multi;
struct dbx__transport {
    void (*send)(dbx__transport *t, const dbx__http_req *req, dbx__http_resp *resp,
                 dbx__tx_result *res);
    void (*destroy)(dbx__transport *t);
    /* Optional (NULL: the batch path sends one request at a time through
     * `send`, with the same rules). A multi is used by one thread at a
     * time; the transport may keep it (and its live connections) for the
     * next batch.
     *   multi_new: NULL on failure; `o` may be NULL.
     *   multi_add: start a transfer; req, resp and res must stay put until
     *     it ends; 0, or -1 when it could not start (res then says why and
     *     the transfer is over).
     *   multi_run: drive the transfers until one ends (its res filled) or
     *     timeout_ms passes (0: only what is ready); returns the ended
     *     transfer's tag, or NULL. Call it again with 0 to collect others.
     *   multi_remove: abandon one transfer (by tag), running or ended and
     *     not yet returned; 0, or -1 when no such transfer.
     *   multi_free: abandons transfers still running. */
    dbx__tx_multi *(*multi_new)(dbx__transport *t, const dbx__tx_multi_opts *o);
    int (*multi_add)(dbx__tx_multi *m, const dbx__http_req *req, dbx__http_resp *resp,
                     dbx__tx_result *res, void *tag);
    void *(*multi_run)(dbx__tx_multi *m, long timeout_ms);
    void (*multi_free)(dbx__tx_multi *m);
    int (*multi_remove)(dbx__tx_multi *m, void *tag);
};

/* Proxies are resolved once per client (explicitly given, else from the
 * environment as libcurl reads it) and handed to libcurl explicitly, so it
 * does not read the environment on every request. NULL or "": none. */
typedef struct dbx__curl_options {
    const char *ca_bundle;
    int insecure;
    const char *proxy_https; /* for https:// URLs */
    const char *proxy_http;  /* for http:// URLs */
    const char *noproxy;     /* hosts that bypass the proxy (no_proxy syntax) */
    int max_idle_handles;    /* 0 = 32 */
} dbx__curl_options;

/* NULL on failure (message in err). */
dbx__transport *dbx__transport_curl_new(const dbx__curl_options *o, char *err, size_t errlen);

/* ---- retry arithmetic (pure; unit-tested) ------------------------------------ */

/* Retry-After: delta-seconds or an HTTP date. -1 when absent or unparsable. */
long dbx__parse_retry_after(const char *value, int64_t wall_now_ms);
/* An HTTP date (RFC 9110: IMF-fixdate and the obsolete forms) as epoch ms;
 * -1 when absent or unparsable. */
int64_t dbx__http_date_ms(const char *value);
/* An attempt cut short by an inherited deadline still gets this long. */
#define DBX__MIN_ATTEMPT_MS 1000
/* No retry ever waits less than this, whatever the server says. */
#define DBX__RETRY_FLOOR_MS 100
/* Backoff before retry number `retry` (1 = first retry): exponential from
 * `initial` (doubling), capped at `max`, with "equal jitter" (uniform in
 * [d/2, d]), never below DBX__RETRY_FLOOR_MS. */
long dbx__backoff_ms(int retry, long initial, long max);
/* The delay before retry `retry`: the backoff, raised to the server's
 * Retry-After (ms, -1 when none) when that is longer. */
long dbx__retry_delay_ms(int retry, long initial, long max, long retry_after_ms);
/* Does this error text match one of the transient messages the official
 * SDKs retry on (ClusterNotReadyException, "Timed out after ", ...)? */
int dbx__is_transient_message(const char *text);

/* ---- URLs (pure; unit-tested) ---------------------------------------------------- */

/* 1 when `url` is http:// or https:// to a loopback host: "localhost",
 * 127.0.0.0/8 as a dotted quad, or the IPv6 literal [::1] (also
 * [::ffff:127.x.y.z]); userinfo, a port and upper case are allowed. Anything
 * ambiguous is 0. NULL-safe; never reads past the string. */
int dbx__url_is_loopback(const char *url);
/* 1 when secrets may be sent to `url`: https://, or http:// to a loopback
 * host (dbx__url_is_loopback). 0 otherwise, and for NULL. */
int dbx__url_secure(const char *url);

/* ---- auth ----------------------------------------------------------------------- */

typedef struct dbx__pipeline dbx__pipeline;
typedef struct dbx__auth dbx__auth;

typedef struct dbx__auth_config {
    dbx_auth_type type;
    const char *host;
    const char *token;
    const char *client_id;
    const char *client_secret;
    const char *tenant_id;  /* Azure; NULL: discovered from {host}/aad/auth */
    const char *login_url;  /* Azure Entra base URL, with trailing slash */
} dbx__auth_config;

dbx__auth *dbx__auth_new(const dbx__auth_config *cfg);
void dbx__auth_free(dbx__auth *a);
/* Append "Authorization: ..." for the next request to `line`; may fetch or
 * refresh a token through `p` (single-flight across threads). `deadline_ms`
 * is the calling request's absolute deadline (dbx__now_ms() clock; <= 0:
 * none, 1 min): a token fetch made for it ends its retries by then (and
 * within 1 min), a wait for another thread's fetch ends by then with
 * DBX_ETIMEOUT. When the fetch this thread waited for fails, this thread
 * fails with that fetch's error record (copied into its own). After a
 * failed proactive refresh the current token is used, with no new attempt
 * for 1 min while it stays valid. On failure the error record is filled. */
dbx_status dbx__auth_header(dbx__auth *a, dbx__pipeline *p, int64_t deadline_ms, dbx__buf *line);
const char *dbx__auth_type_name(dbx_auth_type t);
/* A token's lifetime in ms from the server's answer (pure, total: any
 * int64 inputs). `expires_in_s` when >= 0; else `expires_on_s` (epoch
 * seconds) when > 0, less the wall clock (0 when in the past); else 1 h.
 * The result is clamped to 0 .. 366 days. */
int64_t dbx__token_ttl_ms(int64_t expires_in_s, int64_t expires_on_s, int64_t wall_now_ms);

/* ---- pipeline -------------------------------------------------------------------- */

/* scheme://host:port of a URL, parsed once. */
typedef struct dbx__origin {
    char scheme[8];
    char host[256];
    int port;
    const char *path; /* into the parsed URL: "/..." or "" */
} dbx__origin;

/* 0 on success. Accepts http and https URLs only. */
int dbx__origin_parse(const char *url, dbx__origin *o);
int dbx__origin_same(const dbx__origin *a, const dbx__origin *b);

/* A per-call retry policy (dbx__call.retry; NULL: the pipeline's own
 * settings). Used by the MLflow calls, whose endpoints are rate-limited
 * per workspace and get a longer budget and backoff. Zero fields take the
 * pipeline's value. */
typedef struct dbx__retry_policy {
    long timeout_ms;        /* retry budget of one call */
    long initial_delay_ms;  /* first backoff (doubling, equal jitter) */
    long max_delay_ms;      /* longest backoff (a longer Retry-After is honoured) */
    int max_attempts;       /* attempts per call (instead of the pipeline's) */
    int warn_throttle;      /* log each 429 at WARN (else INFO, as other retries) */
} dbx__retry_policy;

typedef struct dbx__pipeline_config {
    char *host;       /* "https://example.net" (no trailing slash) */
    char *user_agent_header; /* "User-Agent: libdbx/..." (built once per client) */
    long http_timeout_ms;
    long connect_timeout_ms;
    long retry_timeout_ms;
    long retry_initial_delay_ms;
    long retry_max_delay_ms;
    int max_attempts;        /* >= 1 */
    size_t max_response_bytes; /* buffered 2xx bodies; 0: no limit */
    dbx_throttle_fn throttle_fn; /* called before each retry after a 429, or NULL */
    void *throttle_payload;
} dbx__pipeline_config;

struct dbx__pipeline {
    const void *owner; /* tag for error records (the dbx_client) */
    dbx__pipeline_config cfg;
    dbx__origin home;  /* cfg.host, parsed once (dbx__pipeline_prepare) */
    int have_home;
    dbx__logger log;
    dbx__transport *tx;
    dbx__auth *auth;   /* NULL: no credentials */
};

typedef struct dbx__call {
    const char *method;
    const char *path;          /* "/api/..." (+query), or an absolute URL */
    const char *body;
    size_t body_len;
    const char *content_type;  /* default application/json when body set */
    const char *const *headers;/* extra, NULL-terminated, may be NULL */
    int no_auth;
    int idempotent;            /* 1 yes, -1 no, 0 by method (GET/HEAD) */
    long timeout_ms;           /* 0: pipeline default */
    int follow_redirects;
    int redirect_ok;           /* a 3xx answer is returned as success (not followed) */
    dbx__write_fn write_fn;
    void *write_payload;
    int accept_gzip;           /* offer gzip: for answers expected to be large (list
                                  pages, exports); small ones are cheaper uncompressed */
    int64_t deadline_ms;       /* absolute (dbx__now_ms clock) end of the whole call,
                                  retries included; 0: now + the pipeline's retry budget.
                                  Nested calls (token fetches) pass their caller's. */
    /* A body streamed from a source instead of `body` (Content-Length when
     * upload->size >= 0, else chunked). Retry rule: before a retry or a
     * redirect that resends it, a body that has been (partly) read is
     * rewound; when the source has no rewind (or it fails) the call is not
     * retried and fails with the transport's or server's error and a
     * message saying the body could not be re-read. A read callback that
     * refuses ends the call with DBX_ECANCELLED (never retried). */
    const dbx_source *upload;
    int idle_timeout;          /* the timeout is one of inactivity (transfers of any size) */
    int max_attempts;          /* > 0: at most this many (below the pipeline's own limit) */
    int secret_headers;        /* the values of `headers` are secret (a presigned link's
                                  http_headers): TRACE logs show their names only */
    const dbx__retry_policy *retry; /* NULL: the pipeline's budget, backoff and attempts */
} dbx__call;

/* Per-client work done once, after cfg is set: parse the home origin. */
void dbx__pipeline_prepare(dbx__pipeline *p);

/* Send a call. DBX_OK for 2xx. Otherwise the mapped status, with the
 * thread's error record filled for p->owner; resp holds the last response
 * (status 0 when none). The caller disposes resp either way. */
dbx_status dbx__pipeline_send(dbx__pipeline *p, const dbx__call *call, dbx__http_resp *resp);

/* ---- many calls at once (curl multi) -------------------------------------------------- */

/* One call of a batch. The caller sets `call` and initialises `resp`
 * (dbx__resp_init); the batch fills `status` and, for a failure, `error`
 * (that call's own error record; NULL when it succeeded or when saving it
 * ran out of memory). Dispose with dbx__batch_dispose, then the resps. */
typedef struct dbx__batch_item {
    const dbx__call *call;
    dbx__http_resp *resp;
    dbx_status status;
    dbx__errsave *error;
} dbx__batch_item;

#define DBX__BATCH_DEFAULT_PARALLEL 4

/* Send n calls with at most max_parallel (<= 0: the default) in flight at
 * once, on the calling thread (libcurl multi; libdbx starts no thread).
 * Every call goes through the same steps as dbx__pipeline_send: auth
 * scoping, redaction in logs, retries with their delays (a call waiting
 * for its retry does not hold the others up), redirects, error mapping.
 * A streaming write_fn is called as bytes arrive, interleaved between
 * calls but in order within each. Returns DBX_OK when every call
 * succeeded; else the status of the first failed call in the items'
 * order, whose error record becomes the thread's (the others' are in
 * their items). DBX_ENOMEM when the batch itself cannot start. */
dbx_status dbx__pipeline_send_many(dbx__pipeline *p, dbx__batch_item *items, size_t n, int max_parallel);
void dbx__batch_dispose(dbx__batch_item *items, size_t n);

/* ---- the incremental engine (what send_many runs on) ---------------------------------- */

/* Calls submitted at any time, at most max_in_flight of them in flight
 * (the rest queued in submission order), driven on the calling thread by
 * dbx__engine_step, which hands ended calls back one at a time. Every call
 * goes through the same steps as dbx__pipeline_send (auth, retries with
 * delays that do not hold the others up, redirects, logging, error
 * mapping). A call's deadline_ms (dbx__now_ms clock) bounds it whole:
 * time queued, attempts and retry waits; past it, the call ends with
 * DBX_ETIMEOUT. One thread at a time; `p` must outlive the engine. */
typedef struct dbx__engine dbx__engine;

typedef struct dbx__engine_opts {
    int max_in_flight;  /* <= 0: DBX__BATCH_DEFAULT_PARALLEL */
    int http_version;   /* dbx__tx_multi_opts.http_version */
    int cap_connections; /* cap the connections per host at max_in_flight */
} dbx__engine_opts;

/* An ended call. `error`: its own error record for a failure (the
 * receiver frees it with dbx__errsave_free; NULL on success, or when saving
 * it ran out of memory). */
typedef struct dbx__engine_done {
    void *tag;
    dbx_status status;
    dbx__errsave *error;
} dbx__engine_done;

/* NULL on OOM (recorded for p->owner). `o` may be NULL. */
dbx__engine *dbx__engine_new(dbx__pipeline *p, const dbx__engine_opts *o);
/* Queue a call (sent by the next steps). call and resp (initialised by
 * the caller) must stay put, and the call unchanged, until it ends or is
 * cancelled. DBX_OK or
 * DBX_ENOMEM (recorded). */
dbx_status dbx__engine_submit(dbx__engine *e, const dbx__call *call, dbx__http_resp *resp, void *tag);
/* Drive I/O until a call ends (1, *out filled) or wait_ms pass (0;
 * wait_ms 0: only what is ready; < 0: until one ends). 0 at once when
 * nothing is pending. Changes the thread's error record. */
int dbx__engine_step(dbx__engine *e, long wait_ms, dbx__engine_done *out);
/* End a call now: queued or in flight, it is handed back by a later step
 * with DBX_ECANCELLED. 0, or -1 when no pending call has that tag. */
int dbx__engine_cancel(dbx__engine *e, void *tag);
/* Calls submitted and not yet handed back; of them, those in flight
 * (sending, or waiting for a retry) and those queued. */
size_t dbx__engine_pending(const dbx__engine *e);
size_t dbx__engine_flying(const dbx__engine *e);
size_t dbx__engine_queued(const dbx__engine *e);
/* Attempts made after the first (retries and redirects), connections the
 * transport opened. */
uint64_t dbx__engine_retries(const dbx__engine *e);
uint64_t dbx__engine_connections(const dbx__engine *e);
/* Abandons every pending call (their resps are left as they are). NULL ok. */
void dbx__engine_free(dbx__engine *e);

/* Extract error_code / message / request id from an error response.
 * -1 when an allocation failed (the fields are then incomplete). */
int dbx__parse_error_body(const dbx__http_resp *resp, dbx__buf *code, dbx__buf *message,
                          dbx__buf *request_id);

#endif
