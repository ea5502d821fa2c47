/* The migration programs' result JSON and HTML report (see mreport.h). */
#define _POSIX_C_SOURCE 200809L
#include "mreport.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

struct mreport {
    json_t *doc;
    json_t *open_step; /* borrowed from doc.steps, or NULL */
    struct timespec t0, step_t0;
};

static double ms_since(const struct timespec *a)
{
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

mreport *mreport_new(const char *program, const char *title)
{
    mreport *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    r->doc = json_pack("{s:s, s:s, s:s, s:s, s:b, s:[], s:[]}", "program", program, "title", title, "workspace",
                       "", "started_at", when, "passed", 1, "steps", "checks");
    if (!r->doc) {
        free(r);
        return NULL;
    }
    clock_gettime(CLOCK_MONOTONIC, &r->t0);
    return r;
}

void mreport_free(mreport *r)
{
    if (!r)
        return;
    json_decref(r->doc);
    free(r);
}

void mreport_set_workspace(mreport *r, const char *host)
{
    json_object_set_new(r->doc, "workspace", json_string(host ? host : ""));
}

static void fail(mreport *r) { json_object_set_new(r->doc, "passed", json_false()); }

void mreport_step_begin(mreport *r, const char *name)
{
    if (r->open_step)
        mreport_step_end(r, 1, NULL);
    json_t *s = json_pack("{s:s, s:f, s:f, s:b, s:s}", "name", name, "start_ms", ms_since(&r->t0), "duration_ms",
                          0.0, "ok", 0, "detail", "");
    if (s && json_array_append_new(json_object_get(r->doc, "steps"), s) == 0)
        r->open_step = s;
    clock_gettime(CLOCK_MONOTONIC, &r->step_t0);
    printf("== %s\n", name);
    fflush(stdout);
}

void mreport_step_end(mreport *r, int ok, const char *fmt, ...)
{
    if (!r->open_step)
        return;
    char detail[512] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
    }
    double d = ms_since(&r->step_t0);
    json_object_set_new(r->open_step, "duration_ms", json_real(d));
    json_object_set_new(r->open_step, "ok", json_boolean(ok));
    json_object_set_new(r->open_step, "detail", json_string(detail));
    printf("   %s (%.0f ms)%s%s\n", ok ? "ok" : "FAILED", d, detail[0] ? ": " : "", detail);
    fflush(stdout);
    if (!ok)
        fail(r);
    r->open_step = NULL;
}

int mreport_check(mreport *r, const char *name, double value, const char *op, double threshold, const char *unit)
{
    int pass = 0;
    if (!isnan(value) && !isnan(threshold)) {
        if (strcmp(op, "<=") == 0)
            pass = value <= threshold;
        else if (strcmp(op, "<") == 0)
            pass = value < threshold;
        else if (strcmp(op, ">=") == 0)
            pass = value >= threshold;
        else if (strcmp(op, ">") == 0)
            pass = value > threshold;
        else if (strcmp(op, "==") == 0)
            pass = value == threshold;
    }
    json_t *c = json_pack("{s:s, s:o, s:s, s:f, s:s, s:b}", "name", name,
                          "value", isfinite(value) ? json_real(value) : json_null(), "op", op, "threshold", threshold,
                          "unit", unit ? unit : "", "passed", pass);
    if (c)
        json_array_append_new(json_object_get(r->doc, "checks"), c);
    printf("   check %-48s %s %g %s %g %s\n", name, pass ? "PASS" : "FAIL", value, op, threshold, unit ? unit : "");
    if (!pass)
        fail(r);
    return pass;
}

void mreport_skip(mreport *r, const char *name, const char *reason_fmt, ...)
{
    char reason[512] = "";
    if (reason_fmt) {
        va_list ap;
        va_start(ap, reason_fmt);
        vsnprintf(reason, sizeof reason, reason_fmt, ap);
        va_end(ap);
    }
    json_t *c = json_pack("{s:s, s:n, s:s, s:n, s:s, s:b, s:b, s:s}", "name", name, "value", "op", "", "threshold",
                          "unit", "", "passed", 1, "skipped", 1, "reason", reason);
    if (c)
        json_array_append_new(json_object_get(r->doc, "checks"), c);
    printf("   check %-48s SKIPPED (%s)\n", name, reason);
}

static json_t *reals(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, isfinite(v[i]) ? json_real(v[i]) : json_null());
    return a;
}

void mreport_parity(mreport *r, double tolerance, const double *old_v, const double *new_v, size_t n)
{
    json_object_set_new(r->doc, "parity", json_pack("{s:f, s:o, s:o}", "tolerance", tolerance, "old",
                                                    reals(old_v, n), "new", reals(new_v, n)));
}

void mreport_latency(mreport *r, const char *series, const double *ms, size_t n)
{
    json_t *l = json_object_get(r->doc, "latency");
    if (!l) {
        l = json_array();
        json_object_set_new(r->doc, "latency", l);
    }
    json_array_append_new(l, json_pack("{s:s, s:o}", "series", series, "ms", reals(ms, n)));
}

void mreport_drift(mreport *r, const char *statistic, double threshold, const char *feature, double value)
{
    json_t *d = json_object_get(r->doc, "drift");
    if (!d) {
        d = json_pack("{s:s, s:f, s:[]}", "statistic", statistic, "threshold", threshold, "features");
        json_object_set_new(r->doc, "drift", d);
    }
    json_array_append_new(json_object_get(d, "features"),
                          json_pack("{s:s, s:o, s:b}", "name", feature, "value",
                                    isfinite(value) ? json_real(value) : json_null(), "flagged",
                                    isfinite(value) && value > threshold));
}

int mreport_passed(const mreport *r) { return json_is_true(json_object_get(r->doc, "passed")); }

int mreport_write(mreport *r, const char *json_path, const char *html_path)
{
    if (r->open_step)
        mreport_step_end(r, 1, NULL);
    char *text = json_dumps(r->doc, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
    if (!text)
        return -1;
    int rc = 0;
    if (json_path) {
        FILE *f = fopen(json_path, "w");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
            fprintf(stderr, "cannot write %s: %s\n", json_path, strerror(errno));
            rc = -1;
        }
    }
    if (html_path) {
        FILE *f = fopen(html_path, "w");
        char err[128];
        if (!f) {
            fprintf(stderr, "cannot write %s: %s\n", html_path, strerror(errno));
            rc = -1;
        } else {
            if (mreport_render(text, f, err, sizeof err) != 0) {
                fprintf(stderr, "report: %s\n", err);
                rc = -1;
            }
            if (fclose(f) != 0)
                rc = -1;
        }
    }
    free(text);
    return rc;
}

/* ---- statistics ----------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double mreport_percentile(const double *v, size_t n, double p)
{
    if (n == 0)
        return NAN;
    double *s = malloc(n * sizeof *s);
    if (!s)
        return NAN;
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    size_t k = (size_t)ceil(p / 100.0 * (double)n);
    double out = s[k == 0 ? 0 : k - 1 < n ? k - 1 : n - 1];
    free(s);
    return out;
}

/* ---- HTML ------------------------------------------------------------------------- */

static void esc(FILE *o, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", o); break;
        case '>': fputs("&gt;", o); break;
        case '&': fputs("&amp;", o); break;
        case '"': fputs("&quot;", o); break;
        case '\'': fputs("&#39;", o); break;
        default: fputc(*s, o);
        }
    }
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static double num(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* the finite numbers of a JSON array (caller frees); *n their count */
static double *numbers(json_t *a, size_t *n)
{
    size_t m = json_array_size(a);
    double *v = malloc((m ? m : 1) * sizeof *v);
    *n = 0;
    if (!v)
        return NULL;
    for (size_t i = 0; i < m; i++) {
        json_t *x = json_array_get(a, i);
        if (json_is_number(x))
            v[(*n)++] = json_number_value(x);
    }
    return v;
}

static void band(FILE *o, const char *id, const char *color, const char *title)
{
    fprintf(o, "<section id=\"%s\"><div class=\"band\" style=\"background:%s\"></div><h2>", id, color);
    esc(o, title);
    fputs("</h2>\n", o);
}

static void fmt_num(FILE *o, double v)
{
    if (isnan(v))
        fputs("&ndash;", o);
    else if (v != 0 && (fabs(v) < 1e-3 || fabs(v) >= 1e6))
        fprintf(o, "%.3g", v);
    else
        fprintf(o, "%.4g", v);
}

/* counts of a result document's checks: passed, failed, skipped */
static void check_counts(json_t *d, size_t *pass, size_t *fail, size_t *skip)
{
    *pass = *fail = *skip = 0;
    json_t *checks = json_object_get(d, "checks");
    for (size_t i = 0; i < json_array_size(checks); i++) {
        json_t *c = json_array_get(checks, i);
        if (json_is_true(json_object_get(c, "skipped")))
            (*skip)++;
        else if (json_is_true(json_object_get(c, "passed")))
            (*pass)++;
        else
            (*fail)++;
    }
}

/* the end of the last of the steps, in ms (0 for none) */
static double steps_end(json_t *steps)
{
    double end = 0;
    for (size_t i = 0; i < json_array_size(steps); i++) {
        json_t *s = json_array_get(steps, i);
        double e = num(s, "start_ms") + num(s, "duration_ms");
        if (e > end)
            end = e;
    }
    return end;
}

/* the run's length: the end of its last step, in ms */
static double run_ms(json_t *d) { return steps_end(json_object_get(d, "steps")); }

static void section_summary(FILE *o, json_t *d)
{
    int passed = json_is_true(json_object_get(d, "passed"));
    size_t pass, failed, skipped;
    check_counts(d, &pass, &failed, &skipped);
    band(o, "summary", "#1D3557", "Summary");
    fprintf(o, "<p><span class=\"badge %s\">%s</span> ", passed ? "pass" : "fail", passed ? "PASSED" : "FAILED");
    fprintf(o, "%zu of %zu checks passed", pass, pass + failed);
    if (skipped)
        fprintf(o, ", %zu skipped", skipped);
    fputs("</p>\n<table class=\"kv\"><tr><th>Program</th><td>", o);
    esc(o, str(d, "program"));
    fputs("</td></tr><tr><th>Workspace</th><td>", o);
    esc(o, str(d, "workspace"));
    fputs("</td></tr><tr><th>Started</th><td>", o);
    esc(o, str(d, "started_at"));
    fputs("</td></tr></table></section>\n", o);
}

static void section_checks(FILE *o, json_t *checks)
{
    band(o, "checks", "#2A9D8F", "Checks");
    fputs("<table><tr><th>Check</th><th>Value</th><th>Rule</th><th>Outcome</th></tr>\n", o);
    for (size_t i = 0; i < json_array_size(checks); i++) {
        json_t *c = json_array_get(checks, i);
        int p = json_is_true(json_object_get(c, "passed"));
        fputs("<tr><td>", o);
        esc(o, str(c, "name"));
        if (json_is_true(json_object_get(c, "skipped"))) {
            fputs("</td><td colspan=\"2\" class=\"reason\">", o);
            esc(o, str(c, "reason"));
            fputs("</td><td><span class=\"badge skip\">skipped</span></td></tr>\n", o);
            continue;
        }
        fputs("</td><td class=\"n\">", o);
        fmt_num(o, num(c, "value"));
        fputs(" ", o);
        esc(o, str(c, "unit"));
        fputs("</td><td class=\"n\">", o);
        esc(o, str(c, "op"));
        fputs(" ", o);
        fmt_num(o, num(c, "threshold"));
        fprintf(o, "</td><td><span class=\"badge %s\">%s</span></td></tr>\n", p ? "pass" : "fail", p ? "pass" : "FAIL");
    }
    fputs("</table></section>\n", o);
}

#define W 900.0

static void section_timeline(FILE *o, json_t *steps)
{
    size_t n = json_array_size(steps);
    double end = fmax(1, steps_end(steps));
    band(o, "timeline", "#8E44AD", "Step timeline");
    double rowh = 26, left = 260, h = 30 + rowh * (double)n;
    fprintf(o, "<svg width=\"%.0f\" height=\"%.0f\" role=\"img\">\n", W, h);
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(steps, i);
        double x = left + (W - left - 80) * num(s, "start_ms") / end;
        double w = (W - left - 80) * num(s, "duration_ms") / end;
        double y = 10 + rowh * (double)i;
        int ok = json_is_true(json_object_get(s, "ok"));
        fprintf(o, "<text x=\"4\" y=\"%.1f\" class=\"lbl\">", y + 16);
        esc(o, str(s, "name"));
        fprintf(o, "</text><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"18\" fill=\"%s\"><title>", x, y + 2,
                w < 2 ? 2 : w, ok ? "#6A994E" : "#BC4749");
        esc(o, str(s, "detail"));
        fprintf(o, "</title></rect><text x=\"%.1f\" y=\"%.1f\" class=\"lbl\">%.0f ms</text>\n", x + (w < 2 ? 2 : w) + 4,
                y + 16, num(s, "duration_ms"));
    }
    fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" class=\"lbl\">total %.1f s</text></svg>\n", left, h - 4, end / 1000.0);
    fputs("</section>\n", o);
}

static void section_parity(FILE *o, json_t *p)
{
    size_t n1, n2;
    double *a = numbers(json_object_get(p, "old"), &n1), *b = numbers(json_object_get(p, "new"), &n2);
    double tol = num(p, "tolerance");
    size_t n = n1 < n2 ? n1 : n2, outside = 0;
    double lo = INFINITY, hi = -INFINITY, worst = 0;
    for (size_t i = 0; a && b && i < n; i++) {
        lo = fmin(lo, fmin(a[i], b[i]));
        hi = fmax(hi, fmax(a[i], b[i]));
        double d = fabs(a[i] - b[i]);
        worst = fmax(worst, d);
        outside += d > tol;
    }
    if (!(hi > lo)) {
        lo = 0;
        hi = 1;
    }
    band(o, "parity", "#F4A261", "Prediction parity: old platform vs Databricks");
    fprintf(o, "<p>%zu predictions; tolerance &plusmn;", n);
    fmt_num(o, tol);
    fprintf(o, "; largest difference ");
    fmt_num(o, worst);
    fprintf(o, "; %zu outside the band.</p>\n", outside);
    double S = 420, m = 40;
#define PX(v) (m + (S - 2 * m) * ((v) - lo) / (hi - lo))
#define PY(v) (S - m - (S - 2 * m) * ((v) - lo) / (hi - lo))
    fprintf(o, "<svg width=\"%.0f\" height=\"%.0f\" role=\"img\">\n", S, S);
    fprintf(o, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#999\"/>\n", m, m,
            S - 2 * m, S - 2 * m);
    /* the tolerance band around y = x (drawn at least 1 px wide) */
    double t = fmax(tol, (hi - lo) / (S - 2 * m));
    fprintf(o, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"#F4A261\" fill-opacity=\"0.35\"/>\n",
            PX(lo), PY(lo + t), PX(hi - t), PY(hi), PX(hi), PY(hi - t), PX(lo + t), PY(lo));
    fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>\n",
            PX(lo), PY(lo), PX(hi), PY(hi));
    size_t step = n > 4000 ? n / 4000 : 1; /* at most ~4000 dots; every point counts in the text */
    for (size_t i = 0; a && b && i < n; i += step)
        fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\" fill=\"%s\"/>\n", PX(a[i]), PY(b[i]),
                fabs(a[i] - b[i]) > tol ? "#BC4749" : "#1D3557");
    fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" class=\"lbl\">old platform</text>", S / 2 - 40, S - 8);
    fprintf(o, "<text x=\"12\" y=\"%.0f\" class=\"lbl\" transform=\"rotate(-90 12 %.0f)\">Databricks</text>", S / 2 + 30,
            S / 2 + 30);
    fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" class=\"lbl\">", m, S - m + 14);
    fmt_num(o, lo);
    fprintf(o, "</text><text x=\"%.0f\" y=\"%.0f\" class=\"lbl\">", S - m - 30, S - m + 14);
    fmt_num(o, hi);
    fputs("</text></svg>\n", o);
#undef PX
#undef PY
    /* beside it: the difference per row against the tolerance band, where a miss shows */
    double dw = W - S - 20, dh = S, top = fmax(worst, tol) * 1.25;
    if (!(top > 0))
        top = 1;
    fprintf(o, "<svg width=\"%.0f\" height=\"%.0f\" role=\"img\">\n", dw, dh);
#define DX(i) (m + (dw - 2 * m) * (double)(i) / (double)(n > 1 ? n - 1 : 1))
#define DY(v) (dh / 2 - (dh / 2 - m) * (v) / top)
    fprintf(o, "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\" fill=\"#F4A261\" fill-opacity=\"0.35\"/>\n",
            m, DY(tol), dw - 2 * m, DY(-tol) - DY(tol));
    fprintf(o, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>\n", m,
            DY(0), dw - m, DY(0));
    for (size_t i = 0; a && b && i < n; i += step)
        fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\" fill=\"%s\"/>\n", DX(i), DY(b[i] - a[i]),
                fabs(a[i] - b[i]) > tol ? "#BC4749" : "#1D3557");
    fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" class=\"lbl\">difference (Databricks &minus; old) per row, band &plusmn;tolerance</text>",
            m, dh - 8);
    fprintf(o, "<text x=\"2\" y=\"%.1f\" class=\"lbl\">+", DY(top) + 4);
    fmt_num(o, top);
    fprintf(o, "</text><text x=\"2\" y=\"%.1f\" class=\"lbl\">&minus;", DY(-top) + 4);
    fmt_num(o, top);
    fputs("</text></svg></section>\n", o);
#undef DX
#undef DY
    free(a);
    free(b);
}

static const char *const PALETTE[] = {"#264653", "#E76F51", "#2A9D8F", "#8E44AD", "#F4A261"};

static void section_latency(FILE *o, json_t *lat)
{
    size_t ns = json_array_size(lat);
    double lo = INFINITY, hi = 0;
    for (size_t s = 0; s < ns; s++) {
        size_t n;
        double *v = numbers(json_object_get(json_array_get(lat, s), "ms"), &n);
        for (size_t i = 0; v && i < n; i++)
            lo = fmin(lo, v[i]);
        if (v && n)
            hi = fmax(hi, mreport_percentile(v, n, 99.5));
        free(v);
    }
    if (!(hi > lo)) {
        lo = 0;
        hi = hi > 0 ? hi * 2 : 1;
    }
    band(o, "latency", "#264653", "Latency distribution (client side)");
    fputs("<table><tr><th>Series</th><th>Calls</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>max ms</th></tr>\n",
          o);
    for (size_t s = 0; s < ns; s++) {
        json_t *e = json_array_get(lat, s);
        size_t n;
        double *v = numbers(json_object_get(e, "ms"), &n);
        fprintf(o, "<tr><td><span class=\"sw\" style=\"background:%s\"></span>", PALETTE[s % 5]);
        esc(o, str(e, "series"));
        fprintf(o, "</td><td class=\"n\">%zu</td>", n);
        double ps[] = {50, 95, 99, 100};
        for (int k = 0; k < 4; k++) {
            fputs("<td class=\"n\">", o);
            fmt_num(o, v ? mreport_percentile(v, n, ps[k]) : NAN);
            fputs("</td>", o);
        }
        fputs("</tr>\n", o);
        free(v);
    }
    fputs("</table>\n", o);
    /* histograms, 40 bins from the fastest call to the 99.5th percentile (slower ones in the last bin) */
    enum { BINS = 40 };
    double H = 220, left = 50, plotw = W - left - 20;
    fprintf(o, "<svg width=\"%.0f\" height=\"%.0f\" role=\"img\">\n", W, H + 30);
    for (size_t s = 0; s < ns; s++) {
        size_t n, cnt[BINS] = {0}, top = 1;
        double *v = numbers(json_object_get(json_array_get(lat, s), "ms"), &n);
        for (size_t i = 0; v && i < n; i++) {
            int b = (int)((v[i] - lo) / (hi - lo) * BINS);
            cnt[b < 0 ? 0 : b >= BINS ? BINS - 1 : b]++;
        }
        for (int b = 0; b < BINS; b++)
            top = cnt[b] > top ? cnt[b] : top;
        for (int b = 0; b < BINS; b++) {
            double h = (H - 10) * (double)cnt[b] / (double)top;
            fprintf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" fill-opacity=\"0.55\"/>\n",
                    left + plotw * b / BINS, H - h, plotw / BINS - 1, h, PALETTE[s % 5]);
        }
        free(v);
    }
    fprintf(o, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#999\"/>", left, H, left + plotw, H);
    fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" class=\"lbl\">%.1f ms</text>", left, H + 18, lo);
    fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" class=\"lbl\">%.1f ms</text></svg>\n", left + plotw - 60, H + 18, hi);
    fputs("</section>\n", o);
}

static void section_drift(FILE *o, json_t *d)
{
    json_t *fs = json_object_get(d, "features");
    size_t n = json_array_size(fs);
    double thr = num(d, "threshold"), top = isnan(thr) ? 0 : thr * 1.5;
    for (size_t i = 0; i < n; i++) {
        double v = num(json_array_get(fs, i), "value");
        if (!isnan(v) && v > top)
            top = v;
    }
    if (!(top > 0))
        top = 1;
    band(o, "drift", "#E76F51", "Drift per feature");
    fputs("<p>Statistic: <b>", o);
    esc(o, str(d, "statistic"));
    fputs("</b>; threshold ", o);
    fmt_num(o, thr);
    fputs(" (bars past the dashed line are flagged).</p>\n", o);
    double rowh = 24, left = 200, plotw = W - left - 90, h = 20 + rowh * (double)n;
    fprintf(o, "<svg width=\"%.0f\" height=\"%.0f\" role=\"img\">\n", W, h);
    for (size_t i = 0; i < n; i++) {
        json_t *f = json_array_get(fs, i);
        double v = num(f, "value"), y = 6 + rowh * (double)i;
        fprintf(o, "<text x=\"4\" y=\"%.1f\" class=\"lbl\">", y + 14);
        esc(o, str(f, "name"));
        fprintf(o, "</text><rect x=\"%.0f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>", left, y + 2,
                isnan(v) ? 0 : plotw * v / top, json_is_true(json_object_get(f, "flagged")) ? "#BC4749" : "#6A994E");
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" class=\"lbl\">", left + (isnan(v) ? 0 : plotw * v / top) + 4, y + 14);
        fmt_num(o, v);
        fputs("</text>\n", o);
    }
    if (!isnan(thr))
        fprintf(o, "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#333\" stroke-dasharray=\"5 4\"/>",
                left + plotw * thr / top, left + plotw * thr / top, h);
    fputs("</svg></section>\n", o);
}

static void page_head(FILE *o, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>", o);
    esc(o, title);
    fputs("</title>\n<style>\n"
          "body{font:14px/1.45 'DejaVu Sans',Arial,sans-serif;margin:0 auto;max-width:960px;padding:16px;color:#222}\n"
          "h1{font-size:22px;margin:8px 0 16px}h2{font-size:17px;margin:6px 0 10px}\n"
          "section{margin:0 0 28px}.band{height:12px;width:100%}\n"
          "table{border-collapse:collapse;margin:6px 0}td,th{border-bottom:1px solid #ddd;padding:4px 10px;"
          "text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
          "table.kv th{color:#555;font-weight:normal}\n"
          ".badge{display:inline-block;padding:1px 8px;border-radius:3px;color:#fff;font-weight:bold}\n"
          ".pass{background:#6A994E}.fail{background:#BC4749}.skip{background:#8D99AE}\n"
          ".reason{color:#555;font-style:italic}\n"
          ".lbl{font:12px 'DejaVu Sans',Arial,sans-serif;fill:#333}\n"
          ".sw{display:inline-block;width:10px;height:10px;margin-right:6px}\n"
          "</style></head><body>\n<h1>",
          o);
}

int mreport_render(const char *json_text, FILE *o, char *err, size_t errlen)
{
    json_error_t je;
    json_t *d = json_loads(json_text, 0, &je);
    if (!d || !json_is_object(d) || !json_is_array(json_object_get(d, "steps")) ||
        !json_is_array(json_object_get(d, "checks"))) {
        snprintf(err, errlen, "not a result document (%s)", d ? "steps / checks missing" : je.text);
        json_decref(d);
        return -1;
    }
    page_head(o, str(d, "title"));
    esc(o, str(d, "title"));
    fputs("</h1>\n", o);
    section_summary(o, d);
    section_checks(o, json_object_get(d, "checks"));
    section_timeline(o, json_object_get(d, "steps"));
    if (json_is_object(json_object_get(d, "parity")))
        section_parity(o, json_object_get(d, "parity"));
    if (json_array_size(json_object_get(d, "latency")))
        section_latency(o, json_object_get(d, "latency"));
    if (json_is_object(json_object_get(d, "drift")))
        section_drift(o, json_object_get(d, "drift"));
    fputs("</body></html>\n", o);
    json_decref(d);
    return ferror(o) ? -1 : 0;
}

int mreport_summary(const char *json_text, char *line, size_t cap)
{
    json_t *d = json_loads(json_text, 0, NULL);
    if (!d || !json_is_object(d) || !json_is_array(json_object_get(d, "checks"))) {
        json_decref(d);
        snprintf(line, cap, "not a result document");
        return -1;
    }
    size_t pass, fail, skip;
    check_counts(d, &pass, &fail, &skip);
    char sk[40] = "";
    if (skip)
        snprintf(sk, sizeof sk, ", %zu skipped", skip);
    double ms = run_ms(d);
    snprintf(line, cap, "%-24s %-6s %3zu of %zu checks passed%s, %.*f %s", str(d, "program"),
             json_is_true(json_object_get(d, "passed")) ? "PASSED" : "FAILED", pass, pass + fail, sk,
             ms < 1000 ? 0 : 1, ms < 1000 ? ms : ms / 1000.0, ms < 1000 ? "ms" : "s");
    json_decref(d);
    return 0;
}

int mreport_render_index(const char *const *json_texts, const char *const *links, size_t n, FILE *o, char *err,
                         size_t errlen)
{
    json_t **docs = calloc(n ? n : 1, sizeof *docs);
    if (!docs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t passed = 0;
    for (size_t i = 0; i < n; i++) {
        docs[i] = json_loads(json_texts[i], 0, NULL);
        if (!docs[i] || !json_is_object(docs[i]) || !json_is_array(json_object_get(docs[i], "checks")) ||
            !json_is_array(json_object_get(docs[i], "steps"))) {
            snprintf(err, errlen, "result %zu (%s) is not a result document", i + 1, links[i]);
            for (size_t k = 0; k <= i; k++)
                json_decref(docs[k]);
            free(docs);
            return -1;
        }
        passed += json_is_true(json_object_get(docs[i], "passed"));
    }
    page_head(o, "Migration results");
    fputs("<h1>Migration results</h1>\n", o);
    band(o, "summary", "#1D3557", "Summary");
    fprintf(o, "<p><span class=\"badge %s\">%s</span> %zu of %zu programs passed</p></section>\n",
            passed == n ? "pass" : "fail", passed == n ? "PASSED" : "FAILED", passed, n);
    band(o, "checks", "#2A9D8F", "Programs");
    fputs("<table><tr><th>Program</th><th>What it replays</th><th>Outcome</th><th>Checks</th>"
          "<th>Time</th><th>Workspace</th><th>Started</th></tr>\n", o);
    for (size_t i = 0; i < n; i++) {
        json_t *d = docs[i];
        size_t pass, fail, skip;
        check_counts(d, &pass, &fail, &skip);
        int p = json_is_true(json_object_get(d, "passed"));
        fputs("<tr><td><a href=\"", o);
        esc(o, links[i]);
        fputs("\">", o);
        esc(o, str(d, "program"));
        fputs("</a></td><td>", o);
        esc(o, str(d, "title"));
        fprintf(o, "</td><td><span class=\"badge %s\">%s</span></td><td class=\"n\">%zu of %zu",
                p ? "pass" : "fail", p ? "PASSED" : "FAILED", pass, pass + fail);
        if (skip)
            fprintf(o, " <span class=\"reason\">(%zu skipped)</span>", skip);
        double ms = run_ms(d);
        fprintf(o, "</td><td class=\"n\">%.*f %s</td><td>", ms < 1000 ? 0 : 1, ms < 1000 ? ms : ms / 1000.0,
                ms < 1000 ? "ms" : "s");
        esc(o, str(d, "workspace"));
        fputs("</td><td class=\"n\">", o);
        esc(o, str(d, "started_at"));
        fputs("</td></tr>\n", o);
    }
    fputs("</table></section>\n</body></html>\n", o);
    for (size_t i = 0; i < n; i++)
        json_decref(docs[i]);
    free(docs);
    return ferror(o) ? -1 : 0;
}
