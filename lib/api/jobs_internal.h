/*
 * libdbx internal: the parts of lib/api/jobs.c that the fuzz target and
 * tests reach without the network.
 */
#ifndef DBX_JOBS_INTERNAL_H
#define DBX_JOBS_INTERNAL_H

#include "../core/core.h"
#include "../json/jdoc.h"
#include "dbx/jobs.h"

/* Results from a parsed answer (the document is moved in; NULL on OOM). */
dbx_job *dbx__jobs_job_from_doc(dbx__jdoc *doc);
dbx_run *dbx__jobs_run_from_doc(dbx__jdoc *doc);
dbx_run_output *dbx__jobs_output_from_doc(dbx__jdoc *doc);

/* 0 while the run is active, 1 finished with success, -1 finished otherwise. */
int dbx__jobs_run_outcome(const dbx_run *r);
/* Append the waiter's failure message for a finished run. -1 on OOM. */
int dbx__jobs_run_failure_text(dbx__buf *m, int64_t run_id, const dbx_run *r);

/* Validate JobSettings JSON text in every mode (full, partial, submit):
 * 0 valid (full mode), -1 invalid (message in msg), -2 not JSON. */
int dbx__jobs_check_settings_text(const char *text, char *msg, size_t cap);

#endif
