/*
 * Fuzz target: the Jobs API's parsers of untrusted text (lib/api/jobs.c).
 *
 * 1. Job settings JSON (caller input, but it must never crash, recurse
 *    without bound or leak): dbx_job_settings_from_json and the
 *    validation in its full, partial (jobs/update) and submit modes.
 * 2. Server answers: the same bytes as a jobs/get, runs/get and
 *    runs/get-output answer, read through every accessor, the waiter's
 *    outcome and failure message included.
 *
 * Oracles: accessors never return NULL where the header promises a string;
 * settings that from_json accepts round-trip through _to_json and are
 * accepted again; the enum mapping agrees with the raw text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/jobs_internal.h"
#include "fuzz.h"

static void must(int cond)
{
    if (!cond)
        abort();
}

static void read_run(const dbx_run *r)
{
    must(dbx_run_name(r) && dbx_run_type(r) && dbx_run_state_message(r) && dbx_run_status_state(r));
    must(dbx_run_termination_code(r) && dbx_run_termination_type(r) && dbx_run_termination_message(r));
    must(dbx_run_page_url(r) != NULL);
    const char *lc = dbx_run_life_cycle_state_str(r), *rs = dbx_run_result_state_str(r);
    must(lc && rs);
    dbx_run_life_cycle_state_t l = dbx_run_life_cycle_state(r);
    must(l == DBX_RUN_LIFE_CYCLE_UNKNOWN || strcmp(dbx_run_life_cycle_state_name(l), lc) == 0);
    dbx_run_result_state_t s = dbx_run_result_state(r);
    must(s == DBX_RUN_RESULT_UNKNOWN || strcmp(dbx_run_result_state_name(s), rs) == 0);
    (void)(dbx_run_id(r) ^ dbx_run_job_id(r) ^ dbx_run_number_in_job(r) ^ dbx_run_start_time(r) ^
           dbx_run_end_time(r) ^ dbx_run_setup_duration(r) ^ dbx_run_execution_duration(r) ^
           dbx_run_cleanup_duration(r) ^ dbx_run_run_duration(r) ^ dbx_run_queue_duration(r));
    size_t n = dbx_run_task_count(r);
    for (size_t i = 0; i < n && i < 64; i++) {
        (void)dbx_run_task_run_id(r, i);
        (void)dbx_run_task_key(r, i);
        (void)dbx_run_task_life_cycle_state(r, i);
        (void)dbx_run_task_result_state(r, i);
        (void)dbx_run_task_state_message(r, i);
    }
    must(dbx_run_task_key(r, n) == NULL);
    (void)dbx_run_task_run_id_by_key(r, "a");
    (void)dbx_run_job_parameter(r, "a");
    (void)dbx_run_json(r);
    int out = dbx__jobs_run_outcome(r);
    must(out >= -1 && out <= 1);
    dbx__buf m = DBX__BUF_INIT;
    must(dbx__jobs_run_failure_text(&m, dbx_run_id(r), r) == 0 || m.oom);
    dbx__buf_dispose(&m);
}

static void read_job(const dbx_job *j)
{
    must(dbx_job_name(j) && dbx_job_creator_user_name(j) && dbx_job_run_as_user_name(j));
    (void)(dbx_job_id(j) ^ dbx_job_created_time(j) ^ dbx_job_max_concurrent_runs(j));
    size_t n = dbx_job_task_count(j);
    for (size_t i = 0; i < n && i < 64; i++)
        must(dbx_job_task_key(j, i) != NULL);
    must(dbx_job_task_key(j, n) == NULL);
    (void)dbx_job_tag(j, "a");
    (void)dbx_job_settings_json(j);
    (void)dbx_job_json(j);
}

static void read_output(const dbx_run_output *o)
{
    must(dbx_run_output_notebook_result(o) && dbx_run_output_logs(o) && dbx_run_output_error(o));
    must(dbx_run_output_error_trace(o) && dbx_run_output_result_state(o));
    (void)(dbx_run_output_notebook_truncated(o) ^ dbx_run_output_logs_truncated(o) ^ dbx_run_output_run_id(o));
    (void)dbx_run_output_metadata_json(o);
    (void)dbx_run_output_json(o);
}

/* Parse a fresh copy as an answer (the parser unescapes in place). */
static int parse(dbx__jdoc *doc, const uint8_t *data, size_t size)
{
    char *t = fuzz_text(data, size);
    if (!t)
        return -1;
    dbx__jerr err;
    if (dbx__jdoc_parse(doc, t, size, 1, &err) != DBX_OK) {
        free(t);
        return -1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    /* 1. settings */
    dbx_job_settings *s = NULL;
    if (dbx_job_settings_from_json(&s, text) == DBX_OK) {
        char *again = NULL;
        must(dbx_job_settings_to_json(&again, s) == DBX_OK);
        dbx_job_settings *s2 = NULL;
        must(dbx_job_settings_from_json(&s2, again) == DBX_OK);
        must(dbx_job_settings_validate(s2) == DBX_OK);
        dbx_job_settings_free(s2);
        dbx_free(again);
    } else {
        must(s == NULL);
    }
    dbx_job_settings_free(s);
    char msg[400];
    (void)dbx__jobs_check_settings_text(text, msg, sizeof msg);
    free(text);

    /* 2. answers */
    dbx__jdoc doc;
    if (parse(&doc, data, size) == 0) {
        dbx_run *r = dbx__jobs_run_from_doc(&doc);
        if (r)
            read_run(r);
        dbx_run_free(r);
    }
    if (parse(&doc, data, size) == 0) {
        dbx_job *j = dbx__jobs_job_from_doc(&doc);
        if (j)
            read_job(j);
        dbx_job_free(j);
    }
    if (parse(&doc, data, size) == 0) {
        dbx_run_output *o = dbx__jobs_output_from_doc(&doc);
        if (o)
            read_output(o);
        dbx_run_output_free(o);
    }
    return 0;
}
