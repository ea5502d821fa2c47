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

#endif
