/*
 * libdbx - opt-in jansson access to result objects.
 *
 * For C/C++ services that already use jansson: read any field of a result
 * without re-parsing dbx_*_json() text. This is the only libdbx header that
 * exposes a third-party type; include it explicitly (dbx.h does not).
 *
 * Stability: like libgit2's sys/ headers, stable within a minor version
 * only. The returned values are BORROWED: valid while the result object
 * lives, never to be modified or json_decref()'d (use json_incref() to keep
 * one longer, json_deep_copy() to change one). Thread-safety: read-only
 * access from many threads is safe (jansson's refcounts are atomic).
 */
#ifndef DBX_SYS_JSON_H
#define DBX_SYS_JSON_H

#include <jansson.h>

#include "../clusters.h"
#include "../jobs.h"
#include "../warehouses.h"

DBX_BEGIN_DECL

/** The ClusterDetails object behind a cluster. Borrowed. */
DBX_API const json_t *dbx_cluster_jansson(const dbx_cluster *cl);

/** The ClusterEvent object behind an event. Borrowed (until the iterator moves). */
DBX_API const json_t *dbx_cluster_event_jansson(const dbx_cluster_event *ev);

/** The spec object being built (for inspection). Borrowed. */
DBX_API const json_t *dbx_cluster_spec_jansson(const dbx_cluster_spec *spec);

/** The Job object behind a job (also a list item: until the iterator moves). Borrowed. */
DBX_API const json_t *dbx_job_jansson(const dbx_job *job);

/** The Run object behind a run (also a list item: until the iterator moves). Borrowed. */
DBX_API const json_t *dbx_run_jansson(const dbx_run *run);

/** The JobSettings object being built (for inspection). Borrowed. */
DBX_API const json_t *dbx_job_settings_jansson(const dbx_job_settings *s);

/** The EndpointInfo object behind a warehouse (also a list item: until the iterator moves). Borrowed. */
DBX_API const json_t *dbx_warehouse_jansson(const dbx_warehouse *wh);

/** The warehouse spec object being built (for inspection). Borrowed. */
DBX_API const json_t *dbx_warehouse_spec_jansson(const dbx_warehouse_spec *spec);

DBX_END_DECL

#endif /* DBX_SYS_JSON_H */
