/*
 * The migration programs' results: one machine-readable JSON document per
 * run (steps with timings, checks with their threshold and outcome, and the
 * data behind the figures) and one self-contained HTML page rendered from
 * that JSON (inline CSS and SVG, no script, no network asset).
 *
 * Result JSON (the contract other tools read):
 *   {"program", "title", "workspace", "started_at" (UTC ISO 8601), "passed",
 *    "steps": [{"name", "start_ms", "duration_ms", "ok", "detail"}],
 *    "checks": [{"name", "value", "op" ("<=", "<", ">=", ">", "=="),
 *                "threshold", "unit", "passed"}],
 *      a check that was not evaluated (mreport_skip) has value and threshold
 *      null, op "", "passed": true, "skipped": true and its "reason";
 *    "parity": {"tolerance", "old": [...], "new": [...]}           (optional)
 *    "latency": [{"series", "ms": [...]}]                            (optional)
 *    "drift": {"statistic", "threshold", "features": [{"name", "value",
 *              "flagged"}]}                                          (optional)}
 * A run passes when every step is ok and every check passed (a skipped check
 * never fails it).
 *
 * The HTML page's sections, in order, each under a solid colour band (the
 * screenshot test finds them by these colours): summary #1D3557, checks
 * #2A9D8F, timeline #8E44AD, parity #F4A261, latency #264653, drift #E76F51.
 * Sections without data are left out.
 *
 * Not thread-safe: one report per program, used by one thread.
 */
#ifndef MREPORT_H
#define MREPORT_H

#include <stddef.h>
#include <stdio.h>

typedef struct mreport mreport;

/* NULL when out of memory. */
mreport *mreport_new(const char *program, const char *title);
void mreport_free(mreport *r);
void mreport_set_workspace(mreport *r, const char *host);

/* Steps: begin one, then end it (ok 1/0, a printf-style detail or NULL).
 * A step begun while another is open ends that one first (ok). */
void mreport_step_begin(mreport *r, const char *name);
void mreport_step_end(mreport *r, int ok, const char *detail_fmt, ...);

/* A check: value op threshold (op "<=", "<", ">=", ">", "=="); returns
 * whether it passed (NaN never passes). */
int mreport_check(mreport *r, const char *name, double value, const char *op, double threshold, const char *unit);

/* A check that was not evaluated here (not configured, too small a run to
 * mean anything), with the reason (printf-style); shown as skipped, never
 * fails the run. */
void mreport_skip(mreport *r, const char *name, const char *reason_fmt, ...);

/* Figures' data (copied). */
void mreport_parity(mreport *r, double tolerance, const double *old_v, const double *new_v, size_t n);
void mreport_latency(mreport *r, const char *series, const double *ms, size_t n);
void mreport_drift(mreport *r, const char *statistic, double threshold, const char *feature, double value);

/* 1 when every step and check so far passed. */
int mreport_passed(const mreport *r);

/* Write the JSON and the HTML page (either path may be NULL). 0, or -1 with
 * errno-style failure printed to stderr. */
int mreport_write(mreport *r, const char *json_path, const char *html_path);

/* Render a result JSON document (text) as the HTML page. 0, or -1 when the
 * text is not a result document (message in err). */
int mreport_render(const char *json_text, FILE *out, char *err, size_t errlen);

/* One line on a result document (program, PASSED/FAILED, checks passed,
 * skipped, run time) for a console summary. 0, or -1 when it is not one. */
int mreport_summary(const char *json_text, char *line, size_t cap);

/* An index page of several runs: one row per result document (json_texts[i],
 * linked to links[i], its report page), each with its outcome, checks and run
 * time, under the summary (#1D3557) and checks (#2A9D8F) colour bands.
 * 0, or -1 with the reason in err. */
int mreport_render_index(const char *const *json_texts, const char *const *links, size_t n, FILE *out, char *err,
                         size_t errlen);

/* Nearest-rank percentile (p in 0..100) of n values (sorted copy); NaN for n == 0. */
double mreport_percentile(const double *v, size_t n, double p);

#endif
