/*
 * libdbx internal: the parts of lib/api/registry.c that the fuzz target and
 * tests reach without the network.
 */
#ifndef DBX_REGISTRY_INTERNAL_H
#define DBX_REGISTRY_INTERNAL_H

#include "../core/core.h"
#include "../json/jdoc.h"
#include "dbx/registry.h"

/* The local check of an MLmodel file's text (len bytes, any content): 0
 * when it has a top-level `signature:` holding both `inputs` and
 * `outputs`; else -1 (no signature), -2 (no inputs), -3 (no outputs).
 * Line-based, bounded, no recursion. */
int dbx__registry_mlmodel_check(const char *text, size_t len);

/* A version result from a parsed answer (moved in): `key` names the member
 * holding the version (NULL: the root). DBX_OK with *out, or DBX_EBADRESPONSE
 * / DBX_ENOMEM recorded for no client. */
dbx_status dbx__registry_version_from_doc(dbx_model_version **out, dbx_registry_t reg, dbx__jdoc *doc,
                                          const char *key);
/* The same for a registered model. */
dbx_status dbx__registry_model_from_doc(dbx_registered_model **out, dbx_registry_t reg, dbx__jdoc *doc,
                                        const char *key);

#endif
