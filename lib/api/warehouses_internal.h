/*
 * libdbx internal: the parts of lib/api/warehouses.c that the fuzz target
 * and tests reach without the network.
 */
#ifndef DBX_WAREHOUSES_INTERNAL_H
#define DBX_WAREHOUSES_INTERNAL_H

#include "../core/core.h"
#include "../json/jdoc.h"
#include "dbx/warehouses.h"

/* A warehouse from a parsed EndpointInfo answer (the document is moved in;
 * NULL on OOM). */
dbx_warehouse *dbx__warehouse_from_doc(dbx__jdoc *doc);

/* The waiters' verdict on one snapshot, for goal RUNNING or STOPPED:
 * 1 reached, 0 keep waiting, -1 fail fast. */
int dbx__warehouse_verdict(const dbx_warehouse *wh, dbx_warehouse_state_t goal);

/* Append the fail-fast message for `wh` (verdict -1). -1 on OOM. */
int dbx__warehouse_failure_text(dbx__buf *m, const char *id, const dbx_warehouse *wh,
                                dbx_warehouse_state_t goal);

#endif
