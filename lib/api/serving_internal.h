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

/* Where a query for endpoint `name` goes (the one seam for the URL):
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

dbx_status dbx__serving_query_target(dbx__serving_target *t, dbx_client *c, const char *name);
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
