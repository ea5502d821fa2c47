/*
 * bench_clusters_get: libdbx's per-call cost for GET /api/2.1/clusters/get
 * and for one 48 KB page of GET /api/2.1/clusters/list, against raw libcurl
 * keep-alive loops doing the same requests.
 *
 *   bench_clusters_get [options] BASE_URL [ITERATIONS [WARMUP]]
 *
 * BASE_URL is a server answering /api/2.1/clusters/get with the fixed
 * ClusterDetails of bench/nginx.conf.in and /api/2.1/clusters/list with the
 * page that `--write-list` makes (bench/run.sh starts one).
 *
 * Latency phases, each call timed alone with CLOCK_MONOTONIC:
 *   raw         clusters/get: one libcurl easy handle, options set once,
 *               curl_easy_perform in a loop; the body is collected into a
 *               buffer reset per call.
 *   parse       the same, plus json_loadb of the body and reading
 *               cluster_id and state: what any client that parses pays.
 *   dbx         one dbx_client; dbx_clusters_get + dbx_cluster_state +
 *               dbx_cluster_free.
 *   list-raw    clusters/list (the 48 KB page, transport only) as `raw`.
 *   list-parse  the same plus json_loadb and cluster_id + state of every item.
 *   list-dbx    dbx_clusters_list + dbx_clusters_iter_next over every item,
 *               reading dbx_cluster_id and dbx_cluster_state + iter_free.
 *   list-gzip   list-dbx against --gzip-url, a server that gzips the page
 *               (libdbx sends Accept-Encoding).
 * The get phases make ITERATIONS calls each and the list phases
 * --list-iterations (list-parse a tenth of that), split into --rounds
 * rounds; the phases alternate within and across rounds (forward, then
 * backward) so that drift hits them alike. Each statistic is the median
 * over rounds; each ratio is the median of the per-round ratios.
 *
 * Throughput phase (tp): T threads (--threads, default 1,2,8) sharing one
 * dbx_client for clusters/get, against T threads with one raw easy handle
 * each, --tp-calls calls in all per run, alternating over --tp-rounds rounds.
 *
 * Every response is checked (HTTP 200, the expected length, the expected
 * ids, states and item count): the first failure stops the benchmark with
 * exit status 1, so it cannot silently measure errors. Nothing is asserted
 * about timings.
 *
 * Other modes (one per process):
 *   --count=PHASE      WARMUP untimed calls of one phase, then ITERATIONS
 *                      more; prints heap allocations per call over those:
 *                      libdbx's own (the build bench_clusters_get_static
 *                      only) and the whole process's (when the
 *                      libbench_malloc_count.so shim is preloaded). Run under
 *                      callgrind by run.sh for instructions per call.
 *   --peak=dbx|jansson one clusters/list of a big page (--list-clusters
 *                      items, --page-bytes long): peak resident memory above
 *                      the process's baseline, libdbx (max_response_bytes
 *                      256 MiB) or raw libcurl + json_loadb.
 *   --write-list=FILE  write the list page (--list-clusters items, or
 *                      --list-bytes bytes at least) and print
 *                      "CLUSTERS BYTES".
 *
 * Options:
 *   --phase=LIST          subset of raw,parse,dbx,list-raw,list-parse,list-dbx,
 *                         list-gzip,tp; get, list and all name groups (all)
 *   --rounds=N            rounds of the latency phases (40)
 *   --list-iterations=N   calls per list phase (5000)
 *   --list-clusters=N     items on the list page (21)
 *   --gzip-url=URL        a server like BASE_URL that gzips application/json
 *   --threads=LIST        thread counts for tp (1,2,8)
 *   --tp-calls=N          calls per throughput run, all threads together (10000)
 *   --tp-rounds=N         rounds of the throughput phase (5)
 *   --results=FILE        append "key value" lines for run.sh's summary
 */
#define _GNU_SOURCE /* sched_getaffinity, pthread_barrier, RTLD_DEFAULT */
#include <curl/curl.h>
#include <dbx/dbx.h>
#include <dlfcn.h>
#include <jansson.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_fixture.h"

#ifdef DBX_BENCH_STATIC
#include "core/core.h" /* dbx__alloc_count_start/stop: reachable from the static library only */
#endif

#ifndef DBX_BENCH_BUILD_TYPE
#define DBX_BENCH_BUILD_TYPE "?"
#endif

#define CLUSTER_ID "0123-456789-bench000"
#define TOKEN "dapi0123456789abcdef0123456789abcdef"
#define MAX_THREADS 64

/* ---- phases ---------------------------------------------------------------------- */

enum { PH_RAW, PH_PARSE, PH_DBX, PH_LRAW, PH_LPARSE, PH_LDBX, PH_LGZ, PH_N };

/* share: the phase makes 1/share of its group's calls per round (json_loadb
 * of the 48 KB page takes 25 times as long as the request itself) */
static const struct {
    const char *key, *name;
    int list, share;
} ph[PH_N] = {
    {"raw", "get: raw libcurl", 0, 1},
    {"parse", "get: raw libcurl + jansson", 0, 1},
    {"dbx", "get: libdbx", 0, 1},
    {"list-raw", "list: raw libcurl", 1, 1},
    {"list-parse", "list: raw libcurl + jansson", 1, 10},
    {"list-dbx", "list: libdbx", 1, 1},
    {"list-gzip", "list: libdbx, gzip", 1, 1},
};

/* The ratios printed (and handed to run.sh): num / den, per round. */
static const struct {
    int num, den;
    const char *key;
} ratios[] = {
    {PH_DBX, PH_RAW, "get"},           {PH_DBX, PH_PARSE, "get_vs_jansson"},
    {PH_LDBX, PH_LRAW, "list"},        {PH_LDBX, PH_LPARSE, "list_vs_jansson"},
    {PH_LGZ, PH_LDBX, "gzip_vs_plain"}, {PH_LGZ, PH_LRAW, "gzip_vs_raw"},
};

/* ---- options ---------------------------------------------------------------- */

static const char *base_url, *gzip_url, *results_path, *write_path;
static long iterations = 20000, warmup = 2000, rounds = 40, tp_rounds = 5, tp_calls = 10000;
static long list_iterations = 5000, list_clusters = 21;
static long long list_bytes, page_bytes;
static int on[PH_N], do_tp;
static int count_phase = -1; /* --count */
static const char *peak_kind; /* --peak */
static int thread_counts[16] = {1, 2, 8};
static int n_thread_counts = 3;

static char get_url[1024];  /* BASE_URL/api/2.1/clusters/get?cluster_id=... */
static char list_url[1024]; /* BASE_URL/api/2.1/clusters/list */
static char gz_list_url[1024];
static char auth_hdr[128]; /* Authorization: Bearer ... */
static char ua_hdr[256];   /* the User-Agent libdbx sends, so requests have the same size */

static FILE *results;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_clusters_get: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static void result(const char *key, double value)
{
    if (results)
        fprintf(results, "%s %.6g\n", key, value);
}

static void result_text(const char *key, const char *value)
{
    if (results)
        fprintf(results, "%s %s\n", key, value);
}

static long parse_pos(const char *s, const char *what)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < 0)
        die("%s must be a non-negative integer, not '%s'", what, s);
    return v;
}

static int phase_index(const char *key)
{
    for (int p = 0; p < PH_N; p++)
        if (strcmp(key, ph[p].key) == 0)
            return p;
    return -1;
}

static void parse_phases(const char *arg)
{
    memset(on, 0, sizeof on);
    do_tp = 0;
    char *list = strdup(arg), *save = NULL;
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int p = phase_index(t);
        int all = strcmp(t, "all") == 0;
        if (p >= 0)
            on[p] = 1;
        else if (strcmp(t, "tp") == 0)
            do_tp = 1;
        else if (all || strcmp(t, "get") == 0 || strcmp(t, "list") == 0) {
            for (int q = 0; q < PH_N; q++)
                if (all || ph[q].list == (t[0] == 'l'))
                    on[q] = 1;
            do_tp |= all;
        } else
            die("unknown phase '%s' (raw, parse, dbx, list-raw, list-parse, list-dbx, list-gzip, tp; "
                "get, list, all)", t);
    }
    free(list);
}

static const char *opt(const char *a, const char *name)
{
    size_t n = strlen(name);
    return strncmp(a, name, n) == 0 ? a + n : NULL;
}

static void url_for(char *out, size_t cap, const char *base, const char *path)
{
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    if (bl > 900)
        die("base URL too long");
    snprintf(out, cap, "%.*s%s", (int)bl, base, path);
}

static void parse_args(int argc, char **argv)
{
    int pos = 0;
    const char *v;
    parse_phases("all");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((v = opt(a, "--phase="))) {
            parse_phases(v);
        } else if ((v = opt(a, "--rounds="))) {
            rounds = parse_pos(v, "--rounds");
            if (rounds < 1)
                rounds = 1;
        } else if ((v = opt(a, "--tp-rounds="))) {
            tp_rounds = parse_pos(v, "--tp-rounds");
            if (tp_rounds < 1)
                tp_rounds = 1;
        } else if ((v = opt(a, "--tp-calls="))) {
            tp_calls = parse_pos(v, "--tp-calls");
        } else if ((v = opt(a, "--list-iterations="))) {
            list_iterations = parse_pos(v, "--list-iterations");
        } else if ((v = opt(a, "--list-clusters="))) {
            list_clusters = parse_pos(v, "--list-clusters");
        } else if ((v = opt(a, "--list-bytes="))) {
            list_bytes = parse_pos(v, "--list-bytes");
            list_clusters = 0;
        } else if ((v = opt(a, "--page-bytes="))) {
            page_bytes = parse_pos(v, "--page-bytes");
        } else if ((v = opt(a, "--gzip-url="))) {
            gzip_url = v;
        } else if ((v = opt(a, "--results="))) {
            results_path = v;
        } else if ((v = opt(a, "--write-list="))) {
            write_path = v;
        } else if ((v = opt(a, "--count="))) {
            if ((count_phase = phase_index(v)) < 0)
                die("--count: unknown phase '%s'", v);
        } else if ((v = opt(a, "--peak="))) {
            if (strcmp(v, "dbx") != 0 && strcmp(v, "jansson") != 0)
                die("--peak is dbx or jansson, not '%s'", v);
            peak_kind = v;
        } else if ((v = opt(a, "--threads="))) {
            n_thread_counts = 0;
            char *list = strdup(v), *save = NULL;
            for (char *t = strtok_r(list, ",", &save); t && n_thread_counts < 16; t = strtok_r(NULL, ",", &save)) {
                long n = parse_pos(t, "--threads");
                if (n < 1 || n > MAX_THREADS)
                    die("thread counts must be 1..64, not '%s'", t);
                thread_counts[n_thread_counts++] = (int)n;
            }
            free(list);
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf("usage: %s [--phase=LIST] [--rounds=N] [--list-iterations=N] [--list-clusters=N]\n"
                   "          [--gzip-url=URL] [--threads=1,2,8] [--tp-calls=N] [--tp-rounds=N] [--results=FILE]\n"
                   "          BASE_URL [ITERATIONS [WARMUP]]\n"
                   "       %s --count=PHASE [...] BASE_URL CALLS [WARMUP]\n"
                   "       %s --peak=dbx|jansson --list-clusters=N --page-bytes=N BASE_URL\n"
                   "       %s --write-list=FILE [--list-clusters=N | --list-bytes=N]\n"
                   "phases: raw, parse, dbx, list-raw, list-parse, list-dbx, list-gzip, tp;\n"
                   "        get, list and all name groups. See the comment at the top of\n"
                   "        bench/bench_clusters_get.c and bench/README.md.\n",
                   argv[0], argv[0], argv[0], argv[0]);
            exit(0);
        } else if (a[0] == '-' && a[1] == '-') {
            die("unknown option '%s'", a);
        } else if (pos == 0) {
            base_url = a, pos++;
        } else if (pos == 1) {
            iterations = parse_pos(a, "ITERATIONS"), pos++;
        } else if (pos == 2) {
            warmup = parse_pos(a, "WARMUP"), pos++;
        } else {
            die("too many arguments ('%s')", a);
        }
    }
    if (write_path)
        return;
    if (!base_url)
        die("usage: bench_clusters_get [options] BASE_URL [ITERATIONS [WARMUP]]");
    if (list_clusters < 1)
        die("--list-clusters must be at least 1");
    url_for(get_url, sizeof get_url, base_url, "/api/2.1/clusters/get?cluster_id=" CLUSTER_ID);
    url_for(list_url, sizeof list_url, base_url, "/api/2.1/clusters/list");
    if (gzip_url)
        url_for(gz_list_url, sizeof gz_list_url, gzip_url, "/api/2.1/clusters/list");
    else if (on[PH_LGZ] && count_phase < 0 && !peak_kind)
        on[PH_LGZ] = 0; /* nothing to measure it against: skipped, unless asked for by --count */
    if (count_phase == PH_LGZ && !gzip_url)
        die("--count=list-gzip needs --gzip-url");
    snprintf(auth_hdr, sizeof auth_hdr, "Authorization: Bearer " TOKEN);
    snprintf(ua_hdr, sizeof ua_hdr, "User-Agent: libdbx/%s libcurl/%s os/linux auth/pat", dbx_version_str(),
             curl_version_info(CURLVERSION_NOW)->version);
}

/* ---- time and statistics ------------------------------------------------------- */

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

typedef struct stats {
    double median, p90, p99, mean; /* microseconds */
} stats;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* nearest-rank percentile of sorted samples */
static double pct(const uint64_t *s, size_t n, double p)
{
    size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return (double)s[k - 1] / 1000.0;
}

static stats compute(uint64_t *s, size_t n)
{
    stats st = {0, 0, 0, 0};
    if (!n)
        return st;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)s[i];
    qsort(s, n, sizeof *s, cmp_u64);
    st.median = n % 2 ? (double)s[n / 2] / 1000.0 : ((double)s[n / 2 - 1] + (double)s[n / 2]) / 2000.0;
    st.p90 = pct(s, n, 90);
    st.p99 = pct(s, n, 99);
    st.mean = sum / (double)n / 1000.0;
    return st;
}

/* The q-quantile of v (0.5: the median), interpolated between neighbours. */
static double quantile_of(const double *v, size_t n, double q)
{
    if (!n)
        return 0;
    double *c = malloc(n * sizeof *c);
    if (!c)
        die("out of memory");
    memcpy(c, v, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_double);
    double x = q * (double)(n - 1);
    size_t i = (size_t)x;
    double m = i + 1 < n ? c[i] + (x - (double)i) * (c[i + 1] - c[i]) : c[i];
    free(c);
    return m;
}

static double median_of(const double *v, size_t n) { return quantile_of(v, n, 0.5); }

static double *dalloc(size_t n)
{
    double *v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        die("out of memory");
    return v;
}

/* ---- the expected list page ----------------------------------------------------------- */

static size_t get_len;       /* clusters/get body length seen on the first (validated) call */
static size_t list_len;      /* the list page's length (regenerated here) */
static char (*exp_id)[32];   /* cluster i's id */
static char *exp_running;    /* cluster i is RUNNING (else TERMINATED) */

static void expect_list(long n)
{
    exp_id = malloc((size_t)n * sizeof *exp_id);
    exp_running = malloc((size_t)n);
    if (!exp_id || !exp_running)
        die("out of memory");
    for (long i = 0; i < n; i++) {
        fixture_cluster_id(i, exp_id[i]);
        exp_running[i] = strcmp(fixture_cluster_state(i), "RUNNING") == 0;
    }
}

/* Item i of a list page as the client read it: 0 when it is the expected one. */
static int check_item(long i, const char *id, int running, char *why, size_t whylen)
{
    if (i >= list_clusters) {
        snprintf(why, whylen, "more than the %ld items expected", list_clusters);
        return -1;
    }
    if (!id || strcmp(id, exp_id[i]) != 0 || running != exp_running[i]) {
        snprintf(why, whylen, "item %ld: cluster_id %s or its state is not the expected one", i, id ? id : "(none)");
        return -1;
    }
    return 0;
}

static int check_count(long n, char *why, size_t whylen)
{
    if (n != list_clusters) {
        snprintf(why, whylen, "%ld items, expected %ld", n, list_clusters);
        return -1;
    }
    return 0;
}

/* ---- raw libcurl ------------------------------------------------------------------ */

typedef struct rbuf {
    char *p;
    size_t len, cap;
} rbuf;

static size_t on_write(char *data, size_t size, size_t n, void *ud)
{
    rbuf *b = ud;
    size_t len = size * n;
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return 0;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = '\0';
    return len;
}

typedef struct raw_client {
    CURL *h;
    struct curl_slist *hdrs;
    rbuf body;
    size_t expect_len;
    char err[CURL_ERROR_SIZE];
} raw_client;

static void raw_open(raw_client *r, const char *url, size_t expect_len)
{
    memset(r, 0, sizeof *r);
    r->h = curl_easy_init();
    if (!r->h)
        die("curl_easy_init failed");
    r->hdrs = curl_slist_append(r->hdrs, auth_hdr);
    r->hdrs = curl_slist_append(r->hdrs, "Accept: application/json");
    r->hdrs = curl_slist_append(r->hdrs, ua_hdr);
    if (!r->hdrs)
        die("out of memory");
    r->expect_len = expect_len;
    curl_easy_setopt(r->h, CURLOPT_URL, url);
    curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, r->hdrs);
    curl_easy_setopt(r->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(r->h, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(r->h, CURLOPT_ERRORBUFFER, r->err);
}

static void raw_close(raw_client *r)
{
    curl_easy_cleanup(r->h);
    curl_slist_free_all(r->hdrs);
    free(r->body.p);
}

/* One raw request: 0 when it got HTTP 200 with a body of the expected
 * length ((size_t)-1: any length). */
static int raw_call(raw_client *r, char *why, size_t whylen)
{
    r->body.len = 0;
    r->err[0] = '\0';
    CURLcode rc = curl_easy_perform(r->h);
    if (rc != CURLE_OK) {
        snprintf(why, whylen, "libcurl: %s", r->err[0] ? r->err : curl_easy_strerror(rc));
        return -1;
    }
    long code = 0;
    curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &code);
    if (code != 200) {
        snprintf(why, whylen, "HTTP %ld", code);
        return -1;
    }
    if (r->expect_len != (size_t)-1 && r->body.len != r->expect_len) {
        snprintf(why, whylen, "body of %zu bytes, expected %zu", r->body.len, r->expect_len);
        return -1;
    }
    return 0;
}

static json_t *load_object(const raw_client *r, char *why, size_t whylen)
{
    json_error_t err;
    json_t *j = json_loadb(r->body.p, r->body.len, 0, &err);
    if (!json_is_object(j)) {
        snprintf(why, whylen, "body is not a JSON object: %s", j ? "" : err.text);
        json_decref(j);
        return NULL;
    }
    return j;
}

/* The get parse baseline: what a minimal client does with the body. */
static int parse_check(const raw_client *r, char *why, size_t whylen)
{
    json_t *j = load_object(r, why, whylen);
    if (!j)
        return -1;
    const char *id = json_string_value(json_object_get(j, "cluster_id"));
    const char *state = json_string_value(json_object_get(j, "state"));
    int ok = id && strcmp(id, CLUSTER_ID) == 0 && state && strcmp(state, "RUNNING") == 0;
    json_decref(j);
    if (!ok) {
        snprintf(why, whylen, "unexpected cluster_id or state");
        return -1;
    }
    return 0;
}

/* The list parse baseline: json_loadb and every item's cluster_id and state. */
static int list_parse_check(const raw_client *r, char *why, size_t whylen)
{
    json_t *j = load_object(r, why, whylen);
    if (!j)
        return -1;
    json_t *items = json_object_get(j, "clusters");
    size_t i;
    json_t *item;
    int bad = 0;
    json_array_foreach(items, i, item)
    {
        const char *state = json_string_value(json_object_get(item, "state"));
        if ((bad = check_item((long)i, json_string_value(json_object_get(item, "cluster_id")),
                              state && strcmp(state, "RUNNING") == 0, why, whylen)))
            break;
    }
    if (!bad)
        bad = check_count((long)json_array_size(items), why, whylen);
    json_decref(j);
    return bad;
}

/* ---- libdbx --------------------------------------------------------------------------- */

static dbx_client *dbx_open(const char *host, long long max_response_bytes)
{
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.host = host;
    o.token = TOKEN;
    o.no_env = 1;
    o.no_config_file = 1;
    o.max_attempts = 1; /* a failure must surface, not be retried away */
    o.max_response_bytes = max_response_bytes;
    dbx_client *c = NULL;
    if (dbx_client_new(&c, &o) != DBX_OK)
        die("dbx_client_new: %s", dbx_client_last_error(NULL)->message);
    return c;
}

static int dbx_failed(dbx_client *c, const char *what, dbx_status st, char *why, size_t whylen)
{
    const dbx_error *e = dbx_client_last_error(c);
    snprintf(why, whylen, "%s: %s (%s, HTTP %d)", what, e->message, dbx_status_name(st), e->http_status);
    return -1;
}

static int dbx_call(dbx_client *c, char *why, size_t whylen)
{
    dbx_cluster *cl = NULL;
    dbx_status st = dbx_clusters_get(&cl, c, CLUSTER_ID);
    if (st != DBX_OK)
        return dbx_failed(c, "dbx_clusters_get", st, why, whylen);
    int ok = dbx_cluster_state(cl) == DBX_CLUSTER_STATE_RUNNING;
    dbx_cluster_free(cl);
    if (!ok) {
        snprintf(why, whylen, "dbx_cluster_state is not RUNNING");
        return -1;
    }
    return 0;
}

/* One list call: every item of the page, its id and state read and checked. */
static int dbx_list_call(dbx_client *c, char *why, size_t whylen)
{
    dbx_clusters_iter *it = NULL;
    dbx_status st = dbx_clusters_list(&it, c, NULL);
    if (st != DBX_OK)
        return dbx_failed(c, "dbx_clusters_list", st, why, whylen);
    const dbx_cluster *cl;
    long n = 0;
    int bad = 0;
    while (!bad && (st = dbx_clusters_iter_next(&cl, it)) == DBX_OK)
        bad = check_item(n++, dbx_cluster_id(cl), dbx_cluster_state(cl) == DBX_CLUSTER_STATE_RUNNING, why, whylen);
    if (!bad && st != DBX_DONE)
        bad = dbx_failed(c, "dbx_clusters_iter_next", st, why, whylen);
    dbx_clusters_iter_free(it);
    return bad ? -1 : check_count(n, why, whylen);
}

/* ---- one call of a phase -------------------------------------------------------------- */

static raw_client raw_get, raw_list;
static dbx_client *client, *client_gz;

static int one_call(int p, char *why, size_t whylen)
{
    switch (p) {
    case PH_RAW: return raw_call(&raw_get, why, whylen);
    case PH_PARSE: return raw_call(&raw_get, why, whylen) || parse_check(&raw_get, why, whylen);
    case PH_DBX: return dbx_call(client, why, whylen);
    case PH_LRAW: return raw_call(&raw_list, why, whylen);
    case PH_LPARSE: return raw_call(&raw_list, why, whylen) || list_parse_check(&raw_list, why, whylen);
    case PH_LDBX: return dbx_list_call(client, why, whylen);
    default: return dbx_list_call(client_gz, why, whylen);
    }
}

static void run_calls(int p, long n, uint64_t *samples)
{
    char why[512];
    for (long i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        int bad = one_call(p, why, sizeof why);
        uint64_t t1 = now_ns();
        if (bad)
            die("%s: call %ld failed: %s", ph[p].name, i, why);
        if (samples)
            samples[i] = t1 - t0;
    }
}

/* ---- latency ------------------------------------------------------------------------ */


static long per_round(int p)
{
    long n = (ph[p].list ? list_iterations : iterations) / rounds / ph[p].share;
    return n < 1 ? 1 : n;
}

static void latency(void)
{
    size_t nr = (size_t)rounds;
    long most = 1;
    stats *st[PH_N];
    for (int p = 0; p < PH_N; p++) {
        st[p] = calloc(nr, sizeof **st);
        if (!st[p])
            die("out of memory");
        if (on[p] && per_round(p) > most)
            most = per_round(p);
    }
    uint64_t *samples = malloc((size_t)most * sizeof *samples);
    if (!samples)
        die("out of memory");

    for (int p = 0; p < PH_N; p++)
        if (on[p])
            run_calls(p, (ph[p].list ? (warmup + 3) / 4 : warmup) / ph[p].share, NULL);

    for (long r = 0; r < rounds; r++) {
        for (int k = 0; k < PH_N; k++) {
            int p = r % 2 ? PH_N - 1 - k : k; /* alternate the order */
            if (!on[p])
                continue;
            run_calls(p, per_round(p), samples);
            st[p][r] = compute(samples, (size_t)per_round(p));
        }
    }

    printf("\nLatency per call, microseconds (%ld rounds; get: %ld calls per round and phase, list: %ld; "
           "median over rounds; best: the fastest round's median)\n",
           rounds, per_round(PH_RAW), per_round(PH_LRAW));
    printf("  %-28s %9s %9s %9s %9s %9s\n", "phase", "median", "p90", "p99", "mean", "best");
    double *v = dalloc(nr);
    for (int p = 0; p < PH_N; p++) {
        if (!on[p])
            continue;
        stats agg;
#define AGG(field)                      \
    for (size_t r = 0; r < nr; r++)     \
        v[r] = st[p][r].field;          \
    agg.field = median_of(v, nr);
        AGG(median) AGG(p90) AGG(p99) AGG(mean)
#undef AGG
        double best = 0;
        for (size_t r = 0; r < nr; r++)
            if (r == 0 || st[p][r].median < best)
                best = st[p][r].median;
        printf("  %-28s %9.1f %9.1f %9.1f %9.1f %9.1f\n", ph[p].name, agg.median, agg.p90, agg.p99, agg.mean, best);
        char key[64];
        snprintf(key, sizeof key, "wall.%s.us", ph[p].key);
        result(key, agg.median);
        snprintf(key, sizeof key, "wall.%s.best", ph[p].key);
        result(key, best);
    }
    if (nr <= 20) {
        printf("  per-round medians:");
        for (int p = 0; p < PH_N; p++) {
            if (!on[p])
                continue;
            printf("\n    %-26s", ph[p].name);
            for (size_t r = 0; r < nr; r++)
                printf(" %7.1f", st[p][r].median);
        }
        printf("\n");
    }
    int header = 0;
    double *rm = dalloc(nr), *rmean = dalloc(nr), *dm = dalloc(nr);
    for (size_t k = 0; k < sizeof ratios / sizeof *ratios; k++) {
        int a = ratios[k].num, b = ratios[k].den;
        if (!on[a] || !on[b])
            continue;
        if (!header++)
            printf("\nRatios (median of the per-round ratios of medians; in brackets the middle half of the rounds)\n");
        for (size_t r = 0; r < nr; r++) {
            rm[r] = st[a][r].median / st[b][r].median;
            rmean[r] = st[a][r].mean / st[b][r].mean;
            dm[r] = st[a][r].median - st[b][r].median;
        }
        char label[80], key[64];
        snprintf(label, sizeof label, "%s / %s", ph[a].name, ph[b].name + (ph[a].list ? 6 : 5));
        double q1 = quantile_of(rm, nr, 0.25), q3 = quantile_of(rm, nr, 0.75);
        printf("  %-46s median %.3f [%.3f %.3f]  mean %.3f  (%+.1f us per call)\n", label, median_of(rm, nr), q1, q3,
               median_of(rmean, nr), median_of(dm, nr));
        snprintf(key, sizeof key, "wall.ratio.%s", ratios[k].key);
        result(key, median_of(rm, nr));
        snprintf(key, sizeof key, "wall.ratio.%s.q1", ratios[k].key);
        result(key, q1);
        snprintf(key, sizeof key, "wall.ratio.%s.q3", ratios[k].key);
        result(key, q3);
        snprintf(key, sizeof key, "wall.delta.%s", ratios[k].key);
        result(key, median_of(dm, nr));
    }
    free(rm);
    free(rmean);
    free(dm);
    free(v);
    free(samples);
    for (int p = 0; p < PH_N; p++)
        free(st[p]);
}

/* ---- throughput ------------------------------------------------------------------------- */

typedef struct tp_arg {
    int dbx; /* 1: shared client, 0: own raw handle */
    long calls, warm;
    pthread_barrier_t *start;
} tp_arg;

static atomic_int tp_failed;
static char tp_why[512];
static pthread_mutex_t tp_mu = PTHREAD_MUTEX_INITIALIZER;

static void tp_fail(const char *why)
{
    pthread_mutex_lock(&tp_mu);
    if (!atomic_exchange(&tp_failed, 1))
        snprintf(tp_why, sizeof tp_why, "%s", why);
    pthread_mutex_unlock(&tp_mu);
}

static void *tp_thread(void *ud)
{
    tp_arg *a = ud;
    char why[512];
    raw_client r;
    if (!a->dbx)
        raw_open(&r, get_url, get_len);
    for (long i = 0; i < a->warm; i++)
        if ((a->dbx ? dbx_call(client, why, sizeof why) : raw_call(&r, why, sizeof why)) != 0) {
            tp_fail(why);
            break;
        }
    pthread_barrier_wait(a->start);
    for (long i = 0; i < a->calls && !atomic_load(&tp_failed); i++)
        if ((a->dbx ? dbx_call(client, why, sizeof why) : raw_call(&r, why, sizeof why)) != 0) {
            tp_fail(why);
            break;
        }
    if (!a->dbx)
        raw_close(&r);
    return NULL;
}

/* calls per second of one run */
static double tp_run(int dbx, int threads)
{
    pthread_t tid[MAX_THREADS];
    tp_arg args[MAX_THREADS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    long per = tp_calls / threads;
    if (per < 1)
        per = 1;
    long warm = warmup / threads < 200 ? warmup / threads : 200;
    for (int i = 0; i < threads; i++) {
        args[i] = (tp_arg){dbx, per, warm, &start};
        if (pthread_create(&tid[i], NULL, tp_thread, &args[i]) != 0)
            die("pthread_create failed");
    }
    pthread_barrier_wait(&start);
    uint64_t t0 = now_ns();
    for (int i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    uint64_t t1 = now_ns();
    pthread_barrier_destroy(&start);
    if (atomic_load(&tp_failed))
        die("throughput (%s, %d threads) failed: %s", dbx ? "libdbx" : "raw libcurl", threads, tp_why);
    return (double)(per * threads) / ((double)(t1 - t0) / 1e9);
}

static void throughput(void)
{
    printf("\nThroughput of clusters/get, calls/s (%ld calls per run, %ld rounds alternating; median over rounds)\n",
           tp_calls, tp_rounds);
    printf("  %-8s %14s %14s %16s\n", "threads", "raw libcurl", "libdbx", "libdbx / raw");
    size_t nr = (size_t)tp_rounds;
    double *vr = dalloc(nr), *vd = dalloc(nr), *vq = dalloc(nr);
    for (int t = 0; t < n_thread_counts; t++) {
        int n = thread_counts[t];
        for (size_t r = 0; r < nr; r++) {
            if (r % 2 == 0) {
                vr[r] = tp_run(0, n);
                vd[r] = tp_run(1, n);
            } else {
                vd[r] = tp_run(1, n);
                vr[r] = tp_run(0, n);
            }
            vq[r] = vd[r] / vr[r];
        }
        double q = median_of(vq, nr);
        printf("  %-8d %14.0f %14.0f %16.3f\n", n, median_of(vr, nr), median_of(vd, nr), q);
        char key[64];
        snprintf(key, sizeof key, "tp.%d.raw", n);
        result(key, median_of(vr, nr));
        snprintf(key, sizeof key, "tp.%d.dbx", n);
        result(key, median_of(vd, nr));
        snprintf(key, sizeof key, "tp.%d.ratio", n);
        result(key, q);
    }
    free(vr);
    free(vd);
    free(vq);
}

/* ---- --count: allocations per call ------------------------------------------------------ */

/* The whole process's allocation calls and bytes, from the
 * libbench_malloc_count.so shim when it is preloaded; NULL without it. */
typedef unsigned long (*heap_counter_fn)(void);

static void count_mode(void)
{
    int p = count_phase;
    heap_counter_fn heap = (heap_counter_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "bench_heap_allocs");
    heap_counter_fn heap_bytes = (heap_counter_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "bench_heap_bytes");
    if (!heap_bytes)
        heap = NULL;
    run_calls(p, warmup, NULL);
    unsigned long h0 = heap ? heap() : 0, b0 = heap ? heap_bytes() : 0;
#ifdef DBX_BENCH_STATIC
    dbx__alloc_count_start();
#endif
    run_calls(p, iterations, NULL);
#ifdef DBX_BENCH_STATIC
    long own = dbx__alloc_count_stop();
#endif
    unsigned long h1 = heap ? heap() : 0, b1 = heap ? heap_bytes() : 0;
    double n = iterations > 0 ? (double)iterations : 1;
    printf("%s: %ld calls after %ld warm-up calls", ph[p].name, iterations, warmup);
    char key[64];
#ifdef DBX_BENCH_STATIC
    printf("; libdbx's own allocations per call %.2f", (double)own / n);
    snprintf(key, sizeof key, "alloc.%s.own", ph[p].key);
    result(key, (double)own / n);
#endif
    if (heap) {
        printf("; process allocations per call %.2f (%.0f bytes)", (double)(h1 - h0) / n, (double)(b1 - b0) / n);
        snprintf(key, sizeof key, "alloc.%s.total", ph[p].key);
        result(key, (double)(h1 - h0) / n);
        snprintf(key, sizeof key, "alloc.%s.bytes", ph[p].key);
        result(key, (double)(b1 - b0) / n);
    }
    printf("\n");
}

/* ---- --peak: peak memory for a big list page ------------------------------------------------ */

/* A "VmRSS:" / "VmHWM:" line of /proc/self/status, in bytes; -1 if unreadable. */
static long long proc_status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long long v = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0) {
            v = atoll(line + n) * 1024;
            break;
        }
    fclose(f);
    return v;
}

static void peak_mode(void)
{
    char why[512];
    int dbx = strcmp(peak_kind, "dbx") == 0;
    raw_client r;
    dbx_client *c = NULL;
    if (dbx)
        c = dbx_open(base_url, 256LL << 20);
    else
        raw_open(&r, list_url, page_bytes > 0 ? (size_t)page_bytes : (size_t)-1);
    long long base = proc_status_kb("VmRSS:");
    uint64_t t0 = now_ns();
    int bad = dbx ? dbx_list_call(c, why, sizeof why)
                  : raw_call(&r, why, sizeof why) || list_parse_check(&r, why, sizeof why);
    uint64_t t1 = now_ns();
    long long hwm = proc_status_kb("VmHWM:");
    if (bad)
        die("--peak=%s: %s", peak_kind, why);
    if (base < 0 || hwm < 0)
        die("cannot read VmRSS / VmHWM from /proc/self/status");
    double above = (double)(hwm - base);
    printf("%s: %ld clusters, %lld-byte page in %.2f s: RSS %.1f MB before, peak %.1f MB: "
           "%.1f MB above the baseline = %.2f x the page\n",
           dbx ? "libdbx (dbx_clusters_list, max_response_bytes 256 MiB)" : "raw libcurl + json_loadb",
           list_clusters, page_bytes, (double)(t1 - t0) / 1e9, (double)base / 1e6, (double)hwm / 1e6, above / 1e6,
           page_bytes > 0 ? above / (double)page_bytes : 0.0);
    result(dbx ? "peak.dbx.bytes" : "peak.jansson.bytes", above);
    if (page_bytes > 0)
        result(dbx ? "peak.dbx.ratio" : "peak.jansson.ratio", above / (double)page_bytes);
    if (dbx)
        dbx_client_free(c);
    else
        raw_close(&r);
}

/* ---- main ------------------------------------------------------------------------------------ */

static void write_mode(void)
{
    FILE *f = fopen(write_path, "w");
    if (!f)
        die("cannot write %s", write_path);
    long long bytes = 0;
    long n = fixture_write_page(f, list_clusters, list_bytes, &bytes);
    if (n < 0 || fclose(f) != 0)
        die("error writing %s", write_path);
    printf("%ld %lld\n", n, bytes);
}

static void print_setup(void)
{
    printf("bench_clusters_get: GET %s\n", get_url);
    printf("libdbx %s (build type %s), %s, jansson %s\n", dbx_version_str(), DBX_BENCH_BUILD_TYPE, curl_version(),
           JANSSON_VERSION);
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        printf("CPU affinity:");
        for (int i = 0; i < CPU_SETSIZE; i++)
            if (CPU_ISSET(i, &set))
                printf(" %d", i);
        printf("\n");
    }
#endif
    fflush(stdout);
}

/* Validate one response of each kind fully before timing anything. */
static void validate(int verbose)
{
    char why[512];
    raw_open(&raw_get, get_url, (size_t)-1);
    if (raw_call(&raw_get, why, sizeof why) != 0)
        die("clusters/get: %s", why);
    get_len = raw_get.expect_len = raw_get.body.len;
    if (parse_check(&raw_get, why, sizeof why) != 0)
        die("the server's clusters/get body is not the expected ClusterDetails: %s", why);

    char *page = fixture_page(list_clusters, &list_len);
    if (!page)
        die("out of memory");
    raw_open(&raw_list, list_url, list_len);
    if (raw_call(&raw_list, why, sizeof why) != 0)
        die("clusters/list (%s): %s (is --list-clusters the same as the page's?)", list_url, why);
    if (memcmp(raw_list.body.p, page, list_len) != 0)
        die("clusters/list: the page differs from the one --write-list makes");
    free(page);

    client = dbx_open(base_url, 0);
    if (dbx_call(client, why, sizeof why) != 0 || dbx_list_call(client, why, sizeof why) != 0)
        die("libdbx: %s", why);
    double gz_bytes = 0;
    if (gzip_url) {
        /* the gzip server must really compress for a client that accepts it */
        raw_client z;
        raw_open(&z, gz_list_url, list_len);
        curl_easy_setopt(z.h, CURLOPT_ACCEPT_ENCODING, "");
        curl_off_t wire = 0;
        if (raw_call(&z, why, sizeof why) != 0)
            die("%s with Accept-Encoding: %s", gz_list_url, why);
        curl_easy_getinfo(z.h, CURLINFO_SIZE_DOWNLOAD_T, &wire);
        if ((size_t)wire >= list_len)
            die("%s did not compress the page (%ld bytes on the wire)", gz_list_url, (long)wire);
        gz_bytes = (double)wire;
        raw_close(&z);
        client_gz = dbx_open(gzip_url, 0);
        if (dbx_list_call(client_gz, why, sizeof why) != 0)
            die("libdbx, gzip: %s", why);
    }
    if (verbose) {
        printf("clusters/get: HTTP 200, %zu bytes of JSON, state RUNNING\n", get_len);
        printf("clusters/list: HTTP 200, %zu bytes of JSON, %ld clusters", list_len, list_clusters);
        if (gz_bytes > 0)
            printf("; gzipped by %s: %.0f bytes on the wire", gzip_url, gz_bytes);
        printf("\n");
    }
    result("size.get", (double)get_len);
    result("size.list", (double)list_len);
    if (gz_bytes > 0)
        result("size.list_gzip", gz_bytes);
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    if (write_path) {
        write_mode();
        return 0;
    }
    if (dbx_global_init() != DBX_OK)
        die("dbx_global_init failed");
    if (results_path && !(results = fopen(results_path, "a")))
        die("cannot append to %s", results_path);
    expect_list(list_clusters);
    result_text("info.libdbx", dbx_version_str());
    result_text("info.build", DBX_BENCH_BUILD_TYPE);
    result_text("info.libcurl", curl_version_info(CURLVERSION_NOW)->version);

    if (peak_kind) {
        peak_mode();
    } else {
        if (count_phase < 0)
            print_setup();
        validate(count_phase < 0);
        if (count_phase >= 0) {
            count_mode();
        } else {
            int any = 0;
            for (int p = 0; p < PH_N; p++)
                any |= on[p];
            if (any)
                latency();
            if (do_tp)
                throughput();
        }
        dbx_client_free(client);
        dbx_client_free(client_gz);
        raw_close(&raw_get);
        raw_close(&raw_list);
    }
    fflush(stdout);
    if (results)
        fclose(results);
    free(exp_id);
    free(exp_running);
    dbx_global_cleanup();
    return 0;
}
