/*
 * libdbx internal: the parts of lib/api/serving.c that the fuzz target and
 * tests reach without the network.
 */
#ifndef DBX_SERVING_INTERNAL_H
#define DBX_SERVING_INTERNAL_H

#include "api.h"
#include "dbx/serving.h"

/* An endpoint answer (moved in) as a result in *out (NULL: checked, then
 * discarded). DBX_EBADRESPONSE when it names no endpoint; DBX_ENOMEM.
 * `what` names the call for the message. c may be NULL. */
dbx_status dbx__serving_endpoint_from_doc(dbx_serving_endpoint **out, dbx_client *c, dbx__jdoc *doc,
                                          const char *what);

/* An invocations answer (moved in) as a result: the predictions indexed,
 * `served` (the served-model-name header, NULL: "") copied. DBX_ENOMEM. */
dbx_status dbx__serving_result_from_doc(dbx_serving_result **out, dbx_client *c, dbx__jdoc *doc,
                                        const char *served, int64_t latency_ms);

/* ---- route-optimized endpoints: the query target (serving-extras; the scorer uses it) ---- */

/*
 * Where a query to endpoint `name` goes, and how it authenticates:
 * - a route-optimized endpoint: *url = its data-plane URL (absolute, https or
 *   loopback http), *auth = "Authorization: Bearer <data-plane token>" (a
 *   SECRET: send it as an extra header with secret_headers = 1, never log it
 *   or put it in a message), *no_auth = 1 (no workspace credentials);
 * - any other endpoint: *url = "/serving-endpoints/{name}/invocations" (a
 *   path on the workspace host), *auth empty, *no_auth = 0.
 * `url` and `auth` are caller-initialised buffers (dbx__buf_init*), appended
 * to. The endpoint's URL and authorization details are fetched once (GET
 * the endpoint) and cached per client and name with the token (mutex
 * inside; any thread); the token is refreshed 1 min before its expiry.
 * Errors (error record filled for c): DBX_ECONFIG (route-optimized but the
 * client does not use OAuth), DBX_EBADRESPONSE (a data-plane URL that is not
 * secure), the GET's or token request's error, DBX_ENOMEM.
 */
dbx_status dbx__serving_query_target(dbx_client *c, const char *name, dbx__buf *url, dbx__buf *auth, int *no_auth);

/* After a 401 or 403 from the data plane: forget the cached token (and URL)
 * of `name`, so that the next dbx__serving_query_target fetches them again.
 * Retry such a query once, not more. */
void dbx__serving_target_drop(dbx_client *c, const char *name);

/* Free a client's cache of query targets (dbx_client_free). NULL-safe. */
void dbx__serving_targets_free(dbx_client *c);

/* ---- /metrics (serving_metrics.c) ---- */

/* Parse a Prometheus text exposition (len bytes, need not be NUL-terminated).
 * DBX_EBADRESPONSE naming the line for malformed text, DBX_ENOMEM; the error
 * record is filled for `owner` (NULL: the thread's). */
dbx_status dbx__prom_parse(dbx_serving_metrics **out, const void *owner, const char *text, size_t len);

/* dbx__serving_query_target as an owned struct (the scorer keeps one per query):
 * `url` is a workspace path ("/serving-endpoints/{name}/invocations") or
 * an absolute URL (a route-optimized endpoint's data plane); `auth_header`
 * an extra "Authorization: ..." line (a data-plane token; NULL: none) sent
 * with no_auth set, so the client's own credentials stay home. Owned:
 * dbx__serving_target_dispose (zeroes the credential). DBX_ENOMEM. */
typedef struct dbx__serving_target {
    char *url;
    char *auth_header;
    int no_auth;
} dbx__serving_target;

dbx_status dbx__serving_target_get(dbx__serving_target *t, dbx_client *c, const char *name);
void dbx__serving_target_dispose(dbx__serving_target *t);
/* Point a POST call at the target; `headers2` (2 slots, kept while the
 * call is) holds the extra header line. */
void dbx__serving_target_call(dbx__call *call, const dbx__serving_target *t, const char **headers2);
/* A 2xx invocations answer (resp->body moved out) as a result, the error
 * record noting the answer. DBX_EBADRESPONSE (not a JSON object), DBX_ENOMEM. */
dbx_status dbx__serving_answer(dbx_serving_result **out, dbx_client *c, const dbx__call *call, dbx__http_resp *resp,
                               int64_t latency_ms);
/* A query body the caller gave: at most DBX_SERVING_MAX_PAYLOAD_BYTES, a
 * JSON object. DBX_EINVAL naming `fn` and body; DBX_ENOMEM. */
dbx_status dbx__serving_check_body(dbx_client *c, const char *fn, const char *body, size_t len);
/* An input as a query body (caller frees *out with dbx__free), its size
 * limit checked. DBX_EINVAL naming `fn` and input; DBX_ENOMEM. */
dbx_status dbx__serving_input_text(char **out, size_t *len, dbx_client *c, const char *fn,
                                   const dbx_serving_input *in);

#endif
