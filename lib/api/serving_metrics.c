/* libdbx: the Prometheus text exposition (format 0.0.4) of a serving endpoint's
 * /metrics, parsed without recursion and with bounded sizes. */
#define _GNU_SOURCE
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "serving_internal.h"

#define MAX_LINE (64u * 1024u)
#define MAX_LABELS 64u
#define MAX_SAMPLES 1000000u
#define MAX_FAMILIES 4096u

static const char *type_names[] = {"untyped", "counter", "gauge", "histogram", "summary"};

DBX_API const char *dbx_metric_type_name(dbx_metric_type t)
{
    return (unsigned)t < sizeof type_names / sizeof *type_names ? type_names[t] : "untyped";
}

typedef struct sample {
    size_t name;    /* offsets into m->text */
    size_t label0;  /* first label in m->labels */
    size_t nlabels;
    double value;
    int64_t ts;
    int has_ts;
    dbx_metric_type type;
} sample;

typedef struct label {
    size_t key, value; /* offsets into m->text */
} label;

struct dbx_serving_metrics {
    char *text; /* NUL-separated strings */
    sample *s;
    size_t n;
    label *l;
    size_t nl;
};

typedef struct family {
    size_t name; /* offset into the arena */
    dbx_metric_type type;
} family;

typedef struct parser {
    dbx__buf arena;
    sample *s;
    size_t n, cap;
    label *l;
    size_t nl, lcap;
    family *f;
    size_t nf, fcap;
    size_t line;
    const char *why;
} parser;

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void make_c_locale(void) { c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

/* Offset of a NUL-terminated copy of s[0..n) in the arena; (size_t)-1 when out of memory. */
static size_t put_str(parser *p, const char *s, size_t n)
{
    size_t off = p->arena.len;
    if (dbx__buf_put(&p->arena, s, n) != 0 || dbx__buf_putc(&p->arena, '\0') != 0)
        return (size_t)-1;
    return off;
}

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 64;
    while (nc < need)
        nc *= 2;
    void *q = dbx__realloc(*arr, nc * size);
    if (!q)
        return -1;
    *arr = q;
    *cap = nc;
    return 0;
}

static int name_start(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == ':'; }
static int name_char(char ch) { return name_start(ch) || (ch >= '0' && ch <= '9'); }
static int label_start(char ch) { return name_start(ch) && ch != ':'; }
static int label_char(char ch) { return name_char(ch) && ch != ':'; }

/* A float as Prometheus writes it: Go's ParseFloat forms without hex; NaN, +Inf, -Inf (and Inf). */
static int parse_value(const char *s, size_t n, double *out)
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (strcmp(tmp, "NaN") == 0) {
        *out = NAN;
        return 0;
    }
    if (strcmp(tmp, "+Inf") == 0 || strcmp(tmp, "Inf") == 0) {
        *out = INFINITY;
        return 0;
    }
    if (strcmp(tmp, "-Inf") == 0) {
        *out = -INFINITY;
        return 0;
    }
    int digits = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = tmp[i];
        if (ch >= '0' && ch <= '9')
            digits = 1;
        else if (ch != '+' && ch != '-' && ch != '.' && ch != 'e' && ch != 'E')
            return -1;
    }
    if (!digits)
        return -1;
    pthread_once(&c_locale_once, make_c_locale);
    char *end = NULL;
    double v = c_locale ? strtod_l(tmp, &end, c_locale) : strtod(tmp, &end);
    if (!end || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

static int parse_ts(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (n && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i >= n || n - i > 18)
        return -1;
    int64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = neg ? -v : v;
    return 0;
}

static const char *family_name(const parser *p, size_t i) { return p->arena.ptr + p->f[i].name; }

/* The type of a sample name from the families declared so far (latest first). */
static dbx_metric_type type_of(const parser *p, const char *name, size_t n)
{
    for (size_t k = p->nf; k-- > 0;) {
        const char *fam = family_name(p, k);
        size_t fl = strlen(fam);
        if (fl == n && memcmp(fam, name, n) == 0)
            return p->f[k].type;
        if (n > fl && memcmp(fam, name, fl) == 0) {
            const char *suf = name + fl;
            size_t sl = n - fl;
            dbx_metric_type t = p->f[k].type;
            if (t == DBX_METRIC_HISTOGRAM && sl == 7 && memcmp(suf, "_bucket", 7) == 0)
                return t;
            if ((t == DBX_METRIC_HISTOGRAM || t == DBX_METRIC_SUMMARY) &&
                ((sl == 4 && memcmp(suf, "_sum", 4) == 0) || (sl == 6 && memcmp(suf, "_count", 6) == 0)))
                return t;
        }
    }
    return DBX_METRIC_UNTYPED;
}

static const char *skip_blank(const char *s, const char *e)
{
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    return s;
}

/* "# TYPE name type"; other comments (HELP, free text) are skipped. 0 ok, -1 malformed, -2 OOM. */
static int comment_line(parser *p, const char *s, const char *e)
{
    s = skip_blank(s + 1, e);
    if ((size_t)(e - s) < 4 || memcmp(s, "TYPE", 4) != 0 || (e - s > 4 && s[4] != ' ' && s[4] != '\t'))
        return 0;
    s = skip_blank(s + 4, e);
    const char *n0 = s;
    if (s >= e || !name_start(*s)) {
        p->why = "a TYPE line without a metric name";
        return -1;
    }
    while (s < e && name_char(*s))
        s++;
    size_t nl = (size_t)(s - n0);
    s = skip_blank(s, e);
    const char *t0 = s;
    while (s < e && *s != ' ' && *s != '\t')
        s++;
    size_t tl = (size_t)(s - t0);
    if (skip_blank(s, e) != e) {
        p->why = "trailing text after a TYPE line";
        return -1;
    }
    dbx_metric_type t = DBX_METRIC_UNTYPED;
    size_t k;
    for (k = 0; k < sizeof type_names / sizeof *type_names; k++)
        if (strlen(type_names[k]) == tl && memcmp(type_names[k], t0, tl) == 0)
            break;
    if (k == sizeof type_names / sizeof *type_names) {
        p->why = "an unknown metric type in a TYPE line";
        return -1;
    }
    t = (dbx_metric_type)k;
    if (p->nf >= MAX_FAMILIES) {
        p->why = "more than 4096 TYPE lines";
        return -1;
    }
    if (grow((void **)&p->f, &p->fcap, p->nf + 1, sizeof *p->f) != 0)
        return -2;
    size_t off = put_str(p, n0, nl);
    if (off == (size_t)-1)
        return -2;
    p->f[p->nf].name = off;
    p->f[p->nf].type = t;
    p->nf++;
    return 0;
}

/* A label value after the opening quote: unescaped into the arena; *s left after the closing quote. */
static int label_value(parser *p, const char **ps, const char *e, size_t *off)
{
    const char *s = *ps;
    *off = p->arena.len;
    for (;;) {
        if (s >= e) {
            p->why = "an unterminated label value";
            return -1;
        }
        char ch = *s++;
        if (ch == '"')
            break;
        if (ch == '\\') {
            if (s >= e) {
                p->why = "an unterminated label value";
                return -1;
            }
            char x = *s++;
            ch = x == 'n' ? '\n' : x == '\\' ? '\\' : x == '"' ? '"' : 0;
            if (!ch) {
                p->why = "an unknown escape in a label value (only \\\\, \\\" and \\n)";
                return -1;
            }
        }
        if (dbx__buf_putc(&p->arena, ch) != 0)
            return -2;
    }
    if (dbx__buf_putc(&p->arena, '\0') != 0)
        return -2;
    *ps = s;
    return 0;
}

static int sample_line(parser *p, const char *s, const char *e)
{
    const char *n0 = s;
    if (!name_start(*s)) {
        p->why = "a line that starts with neither a metric name nor '#'";
        return -1;
    }
    while (s < e && name_char(*s))
        s++;
    size_t nlen = (size_t)(s - n0);
    if (p->n >= MAX_SAMPLES) {
        p->why = "more than 1000000 samples";
        return -1;
    }
    if (grow((void **)&p->s, &p->cap, p->n + 1, sizeof *p->s) != 0)
        return -2;
    sample *sm = &p->s[p->n];
    memset(sm, 0, sizeof *sm);
    sm->label0 = p->nl;
    sm->type = type_of(p, n0, nlen);
    if ((sm->name = put_str(p, n0, nlen)) == (size_t)-1)
        return -2;
    const char *t = skip_blank(s, e);
    if (t < e && *t == '{') {
        s = skip_blank(t + 1, e);
        while (s < e && *s != '}') {
            const char *k0 = s;
            if (!label_start(*s)) {
                p->why = "a bad label name";
                return -1;
            }
            while (s < e && label_char(*s))
                s++;
            size_t klen = (size_t)(s - k0);
            s = skip_blank(s, e);
            if (s >= e || *s != '=') {
                p->why = "a label without '='";
                return -1;
            }
            s = skip_blank(s + 1, e);
            if (s >= e || *s != '"') {
                p->why = "a label value that is not quoted";
                return -1;
            }
            s++;
            if (sm->nlabels >= MAX_LABELS) {
                p->why = "more than 64 labels on a sample";
                return -1;
            }
            for (size_t j = sm->label0; j < p->nl; j++) {
                const char *k = p->arena.ptr + p->l[j].key;
                if (strlen(k) == klen && memcmp(k, k0, klen) == 0) {
                    p->why = "a label given twice";
                    return -1;
                }
            }
            if (grow((void **)&p->l, &p->lcap, p->nl + 1, sizeof *p->l) != 0)
                return -2;
            size_t koff = put_str(p, k0, klen), voff;
            if (koff == (size_t)-1)
                return -2;
            int rc = label_value(p, &s, e, &voff);
            if (rc != 0)
                return rc;
            p->l[p->nl].key = koff;
            p->l[p->nl].value = voff;
            p->nl++;
            sm->nlabels++;
            s = skip_blank(s, e);
            if (s < e && *s == ',')
                s = skip_blank(s + 1, e);
            else if (s < e && *s != '}') {
                p->why = "labels not separated by ','";
                return -1;
            }
        }
        if (s >= e) {
            p->why = "labels without a closing '}'";
            return -1;
        }
        s++;
    }
    if (s >= e || (*s != ' ' && *s != '\t')) {
        p->why = s >= e ? "a sample without a value" : "a bad character in a metric name";
        return -1;
    }
    s = skip_blank(s, e);
    const char *v0 = s;
    while (s < e && *s != ' ' && *s != '\t')
        s++;
    if (parse_value(v0, (size_t)(s - v0), &sm->value) != 0) {
        p->why = "a value that is not a number";
        return -1;
    }
    s = skip_blank(s, e);
    if (s < e) {
        const char *t0 = s;
        while (s < e && *s != ' ' && *s != '\t')
            s++;
        if (parse_ts(t0, (size_t)(s - t0), &sm->ts) != 0 || skip_blank(s, e) != e) {
            p->why = "a timestamp that is not an integer (milliseconds)";
            return -1;
        }
        sm->has_ts = 1;
    }
    p->n++;
    return 0;
}

static void parser_dispose(parser *p)
{
    dbx__buf_dispose(&p->arena);
    dbx__free(p->s);
    dbx__free(p->l);
    dbx__free(p->f);
}

dbx_status dbx__prom_parse(dbx_serving_metrics **out, const void *owner, const char *text, size_t len)
{
    *out = NULL;
    parser p;
    memset(&p, 0, sizeof p);
    p.arena = (dbx__buf)DBX__BUF_INIT;
    const char *s = text, *end = text + len;
    int rc = 0;
    while (s < end && rc == 0) {
        p.line++;
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *e = nl ? nl : end;
        if ((size_t)(e - s) > MAX_LINE) {
            p.why = "a line longer than 64 KiB";
            rc = -1;
            break;
        }
        const char *le = e;
        if (le > s && le[-1] == '\r')
            le--;
        if (memchr(s, '\0', (size_t)(le - s))) {
            p.why = "a NUL byte";
            rc = -1;
            break;
        }
        const char *b = skip_blank(s, le);
        if (b < le)
            rc = *b == '#' ? comment_line(&p, b, le) : sample_line(&p, b, le);
        s = nl ? nl + 1 : end;
    }
    if (rc == 0 && p.arena.oom)
        rc = -2;
    if (rc != 0) {
        size_t line = p.line;
        const char *why = p.why;
        parser_dispose(&p);
        if (rc == -2)
            return dbx__fail(owner, DBX_ENOMEM, "out of memory");
        return dbx__fail(owner, DBX_EBADRESPONSE, "metrics: line %zu: %s", line, why ? why : "malformed");
    }
    dbx_serving_metrics *m = dbx__calloc(1, sizeof *m);
    if (!m) {
        parser_dispose(&p);
        return dbx__fail(owner, DBX_ENOMEM, "out of memory");
    }
    m->text = p.arena.ptr ? dbx__buf_detach(&p.arena) : NULL;
    if (!m->text && !(m->text = dbx__strdup(""))) {
        dbx__free(m);
        parser_dispose(&p);
        return dbx__fail(owner, DBX_ENOMEM, "out of memory");
    }
    m->s = p.s;
    m->n = p.n;
    m->l = p.l;
    m->nl = p.nl;
    p.s = NULL;
    p.l = NULL;
    parser_dispose(&p);
    *out = m;
    return DBX_OK;
}

DBX_API dbx_status dbx_serving_metrics_parse(dbx_serving_metrics **out, const char *text, size_t len)
{
    dbx__error_clear(NULL);
    if (!out)
        return dbx__fail(NULL, DBX_EINVAL, "%s: out is NULL", __func__);
    *out = NULL;
    if (!text)
        return dbx__fail(NULL, DBX_EINVAL, "%s: text is NULL", __func__);
    return dbx__prom_parse(out, NULL, text, len);
}

DBX_API dbx_status dbx_serving_metrics_get(dbx_serving_metrics **out, dbx_client *c, const char *name)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    DBX__REQUIRE_STR(c, name);
    dbx__buf path = DBX__BUF_INIT;
    dbx__buf_puts(&path, "/api/2.0/serving-endpoints/");
    dbx__buf_put_urlenc(&path, name);
    dbx__buf_puts(&path, "/metrics");
    if (path.oom) {
        dbx__buf_dispose(&path);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx__call call = {0};
    call.method = "GET";
    call.path = path.ptr;
    call.accept_gzip = 1;
    dbx__http_resp resp;
    dbx__resp_init(&resp);
    dbx_status st = dbx__pipeline_send(&c->pipe, &call, &resp);
    if (st == DBX_OK) {
        dbx__error_note_answer("GET", path.ptr, resp.status, dbx__resp_header(&resp, "x-request-id"));
        st = dbx__prom_parse(out, c, resp.body.ptr ? resp.body.ptr : "", resp.body.len);
        if (st != DBX_OK) {
            dbx__error_set_request("GET", path.ptr);
            dbx__error_set_http(resp.status, "", dbx__resp_header(&resp, "x-request-id"));
        }
    }
    dbx__resp_dispose(&resp);
    dbx__buf_dispose(&path);
    return st;
}

DBX_API void dbx_serving_metrics_free(dbx_serving_metrics *m)
{
    if (!m)
        return;
    dbx__free(m->text);
    dbx__free(m->s);
    dbx__free(m->l);
    dbx__free(m);
}

static const sample *at(const dbx_serving_metrics *m, size_t i) { return m && i < m->n ? &m->s[i] : NULL; }

DBX_API size_t dbx_serving_metrics_count(const dbx_serving_metrics *m) { return m ? m->n : 0; }
DBX_API const char *dbx_serving_metrics_name(const dbx_serving_metrics *m, size_t i)
{
    const sample *s = at(m, i);
    return s ? m->text + s->name : "";
}
DBX_API dbx_metric_type dbx_serving_metrics_type(const dbx_serving_metrics *m, size_t i)
{
    const sample *s = at(m, i);
    return s ? s->type : DBX_METRIC_UNTYPED;
}
DBX_API double dbx_serving_metrics_value(const dbx_serving_metrics *m, size_t i)
{
    const sample *s = at(m, i);
    return s ? s->value : NAN;
}
DBX_API int dbx_serving_metrics_timestamp(const dbx_serving_metrics *m, size_t i, int64_t *ms)
{
    const sample *s = at(m, i);
    if (!s || !s->has_ts)
        return 0;
    if (ms)
        *ms = s->ts;
    return 1;
}
DBX_API size_t dbx_serving_metrics_label_count(const dbx_serving_metrics *m, size_t i)
{
    const sample *s = at(m, i);
    return s ? s->nlabels : 0;
}
DBX_API const char *dbx_serving_metrics_label_key(const dbx_serving_metrics *m, size_t i, size_t j)
{
    const sample *s = at(m, i);
    return s && j < s->nlabels ? m->text + m->l[s->label0 + j].key : "";
}
DBX_API const char *dbx_serving_metrics_label_value(const dbx_serving_metrics *m, size_t i, size_t j)
{
    const sample *s = at(m, i);
    return s && j < s->nlabels ? m->text + m->l[s->label0 + j].value : "";
}
DBX_API const char *dbx_serving_metrics_label(const dbx_serving_metrics *m, size_t i, const char *key)
{
    const sample *s = at(m, i);
    if (!s || !key)
        return NULL;
    for (size_t j = 0; j < s->nlabels; j++)
        if (strcmp(m->text + m->l[s->label0 + j].key, key) == 0)
            return m->text + m->l[s->label0 + j].value;
    return NULL;
}

static int matches(const dbx_serving_metrics *m, size_t i, const char *name, const char *key, const char *value)
{
    if (strcmp(m->text + m->s[i].name, name) != 0)
        return 0;
    if (!key)
        return 1;
    const char *v = dbx_serving_metrics_label(m, i, key);
    return v && (!value || strcmp(v, value) == 0);
}

DBX_API long dbx_serving_metrics_find(const dbx_serving_metrics *m, const char *name, const char *label_key,
                                      const char *label_value)
{
    if (!m || !name)
        return -1;
    for (size_t i = 0; i < m->n; i++)
        if (matches(m, i, name, label_key, label_value))
            return (long)i;
    return -1;
}

DBX_API double dbx_serving_metrics_sum(const dbx_serving_metrics *m, const char *name, const char *label_key,
                                       const char *label_value)
{
    double sum = 0;
    if (!m || !name)
        return 0;
    for (size_t i = 0; i < m->n; i++)
        if (matches(m, i, name, label_key, label_value))
            sum += m->s[i].value;
    return sum;
}
