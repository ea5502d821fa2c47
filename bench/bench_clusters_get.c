/*
 * bench_clusters_get: libdbx's per-call cost for GET /api/2.1/clusters/get
 * against a raw libcurl keep-alive loop doing the same request.
 *
 *   bench_clusters_get [options] BASE_URL [ITERATIONS [WARMUP]]
 *
 * BASE_URL is a server answering /api/2.1/clusters/get with the fixed
 * ClusterDetails of bench/nginx.conf.in (bench/run.sh starts one).
 *
 * Latency phases, each call timed alone with CLOCK_MONOTONIC:
 *   raw    one libcurl easy handle, options set once, curl_easy_perform in
 *          a loop; the body is collected into a buffer reset per call.
 *   parse  the same, plus json_loadb of the body and reading cluster_id and
 *          state: what any client that parses the answer has to pay.
 *   dbx    one dbx_client; dbx_clusters_get + dbx_cluster_state +
 *          dbx_cluster_free.
 * ITERATIONS calls per phase are split into --rounds rounds; the phases
 * alternate within and across rounds (raw, parse, dbx, then dbx, parse,
 * raw, ...) so that drift hits them alike. Each statistic is reported as the
 * median over rounds; ratios are the median of the per-round ratios.
 *
 * Throughput phase (tp): T threads (--threads, default 1,2,8) sharing one
 * dbx_client, against T threads with one raw easy handle each, for
 * --tp-calls calls in all per run, alternating over the rounds.
 *
 * Every response is checked (HTTP 200, the expected body, state RUNNING):
 * the first failure stops the benchmark with exit status 1, so it cannot
 * silently measure errors. Nothing is asserted about timings.
 *
 * Options:
 *   --phase=LIST     comma-separated subset of raw,parse,dbx,tp (default all)
 *   --rounds=N       rounds (default 5)
 *   --threads=LIST   thread counts for tp (default 1,2,8)
 *   --tp-calls=N     calls per throughput run, all threads together (default 10000)
 */
#define _GNU_SOURCE /* sched_getaffinity, pthread_barrier */
#include <curl/curl.h>
#include <dbx/dbx.h>
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

#ifndef DBX_BENCH_BUILD_TYPE
#define DBX_BENCH_BUILD_TYPE "?"
#endif

#define CLUSTER_ID "0123-456789-bench000"
#define TOKEN "dapi0123456789abcdef0123456789abcdef"
#define MAX_THREADS 64

/* ---- options ---------------------------------------------------------------- */

static const char *base_url;
static long iterations = 20000, warmup = 2000, rounds = 5, tp_calls = 10000;
static int do_raw = 1, do_parse = 1, do_dbx = 1, do_tp = 1;
static int thread_counts[16] = {1, 2, 8};
static int n_thread_counts = 3;

static char url[1024];     /* BASE_URL/api/2.1/clusters/get?cluster_id=... */
static char auth_hdr[128]; /* Authorization: Bearer ... */
static char ua_hdr[256];   /* the User-Agent libdbx sends, so requests have the same size */

static size_t expected_len; /* body length seen on the first (validated) call */

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

static long parse_pos(const char *s, const char *what)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < 0)
        die("%s must be a non-negative integer, not '%s'", what, s);
    return v;
}

static void parse_args(int argc, char **argv)
{
    int pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--phase=", 8) == 0) {
            do_raw = do_parse = do_dbx = do_tp = 0;
            char *list = strdup(a + 8), *save = NULL;
            for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (strcmp(t, "raw") == 0) do_raw = 1;
                else if (strcmp(t, "parse") == 0) do_parse = 1;
                else if (strcmp(t, "dbx") == 0) do_dbx = 1;
                else if (strcmp(t, "tp") == 0) do_tp = 1;
                else if (strcmp(t, "all") == 0) do_raw = do_parse = do_dbx = do_tp = 1;
                else die("unknown phase '%s' (raw, parse, dbx, tp, all)", t);
            }
            free(list);
        } else if (strncmp(a, "--rounds=", 9) == 0) {
            rounds = parse_pos(a + 9, "--rounds");
            if (rounds < 1)
                rounds = 1;
        } else if (strncmp(a, "--tp-calls=", 11) == 0) {
            tp_calls = parse_pos(a + 11, "--tp-calls");
        } else if (strncmp(a, "--threads=", 10) == 0) {
            n_thread_counts = 0;
            char *list = strdup(a + 10), *save = NULL;
            for (char *t = strtok_r(list, ",", &save); t && n_thread_counts < 16; t = strtok_r(NULL, ",", &save)) {
                long n = parse_pos(t, "--threads");
                if (n < 1 || n > MAX_THREADS)
                    die("thread counts must be 1..64, not '%s'", t);
                thread_counts[n_thread_counts++] = (int)n;
            }
            free(list);
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf("usage: %s [--phase=raw,parse,dbx,tp] [--rounds=N] [--threads=1,2,8] [--tp-calls=N]\n"
                   "          BASE_URL [ITERATIONS [WARMUP]]\n", argv[0]);
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
    if (!base_url)
        die("usage: bench_clusters_get [options] BASE_URL [ITERATIONS [WARMUP]]");
    size_t bl = strlen(base_url);
    while (bl && base_url[bl - 1] == '/')
        bl--;
    if (bl > 900)
        die("base URL too long");
    snprintf(url, sizeof url, "%.*s/api/2.1/clusters/get?cluster_id=" CLUSTER_ID, (int)bl, base_url);
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

static double median_of(double *v, size_t n)
{
    if (!n)
        return 0;
    double *c = malloc(n * sizeof *c);
    memcpy(c, v, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_double);
    double m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    free(c);
    return m;
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
    char err[CURL_ERROR_SIZE];
} raw_client;

static void raw_open(raw_client *r)
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

/* One raw request; returns 0 when it got HTTP 200 with the expected body. */
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
    if (r->body.len != expected_len) {
        snprintf(why, whylen, "body of %zu bytes, expected %zu", r->body.len, expected_len);
        return -1;
    }
    return 0;
}

/* The parse baseline: what a minimal client does with the body. */
static int parse_check(const raw_client *r, char *why, size_t whylen)
{
    json_error_t err;
    json_t *j = json_loadb(r->body.p, r->body.len, 0, &err);
    if (!json_is_object(j)) {
        snprintf(why, whylen, "body is not a JSON object: %s", j ? "" : err.text);
        json_decref(j);
        return -1;
    }
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

/* ---- libdbx --------------------------------------------------------------------------- */

static dbx_client *dbx_open(void)
{
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.host = base_url;
    o.token = TOKEN;
    o.no_env = 1;
    o.no_config_file = 1;
    o.max_attempts = 1; /* a failure must surface, not be retried away */
    dbx_client *c = NULL;
    if (dbx_client_new(&c, &o) != DBX_OK)
        die("dbx_client_new: %s", dbx_client_last_error(NULL)->message);
    return c;
}

static int dbx_call(dbx_client *c, char *why, size_t whylen)
{
    dbx_cluster *cl = NULL;
    dbx_status st = dbx_clusters_get(&cl, c, CLUSTER_ID);
    if (st != DBX_OK) {
        const dbx_error *e = dbx_client_last_error(c);
        snprintf(why, whylen, "dbx_clusters_get: %s (%s, HTTP %d)", e->message, dbx_status_name(st),
                 e->http_status);
        return -1;
    }
    int ok = dbx_cluster_state(cl) == DBX_CLUSTER_STATE_RUNNING;
    dbx_cluster_free(cl);
    if (!ok) {
        snprintf(why, whylen, "dbx_cluster_state is not RUNNING");
        return -1;
    }
    return 0;
}

/* ---- latency phases ----------------------------------------------------------------- */

enum { PH_RAW, PH_PARSE, PH_DBX, PH_N };
static const char *ph_name[PH_N] = {"raw libcurl", "raw libcurl + jansson", "libdbx"};

static raw_client raw;
static dbx_client *client;

static int one_call(int ph, char *why, size_t whylen)
{
    switch (ph) {
    case PH_RAW: return raw_call(&raw, why, whylen);
    case PH_PARSE: return raw_call(&raw, why, whylen) || parse_check(&raw, why, whylen);
    default: return dbx_call(client, why, whylen);
    }
}

static void run_calls(int ph, long n, uint64_t *samples)
{
    char why[512];
    for (long i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        int bad = one_call(ph, why, sizeof why);
        uint64_t t1 = now_ns();
        if (bad) {
            fprintf(stderr, "bench_clusters_get: %s: call %ld failed: %s\n", ph_name[ph], i, why);
            exit(1);
        }
        if (samples)
            samples[i] = t1 - t0;
    }
}

static void print_stats_row(const char *name, const stats *s)
{
    printf("  %-24s %9.1f %9.1f %9.1f %9.1f\n", name, s->median, s->p90, s->p99, s->mean);
}

static void latency(void)
{
    int on[PH_N] = {do_raw, do_parse, do_dbx};
    long per_round = iterations / rounds;
    if (per_round < 1)
        per_round = 1;
    uint64_t *samples = malloc((size_t)per_round * sizeof *samples);
    stats *st[PH_N];
    for (int p = 0; p < PH_N; p++)
        st[p] = calloc((size_t)rounds, sizeof **st);
    if (!samples || !st[0] || !st[1] || !st[2])
        die("out of memory");

    for (int p = 0; p < PH_N; p++)
        if (on[p])
            run_calls(p, warmup, NULL);

    for (long r = 0; r < rounds; r++) {
        for (int k = 0; k < PH_N; k++) {
            int p = r % 2 ? PH_N - 1 - k : k; /* alternate the order */
            if (!on[p])
                continue;
            run_calls(p, per_round, samples);
            st[p][r] = compute(samples, (size_t)per_round);
        }
    }

    printf("\nLatency per call, microseconds (%ld rounds x %ld calls per phase, %ld warmup; "
           "median over rounds)\n", rounds, per_round, warmup);
    printf("  %-24s %9s %9s %9s %9s\n", "phase", "median", "p90", "p99", "mean");
    stats agg[PH_N];
    double *v = malloc((size_t)rounds * sizeof *v);
    for (int p = 0; p < PH_N; p++) {
        if (!on[p])
            continue;
#define AGG(field)                                \
    for (long r = 0; r < rounds; r++)             \
        v[r] = st[p][r].field;                    \
    agg[p].field = median_of(v, (size_t)rounds);
        AGG(median) AGG(p90) AGG(p99) AGG(mean)
#undef AGG
        print_stats_row(ph_name[p], &agg[p]);
    }
    printf("  per-round medians:");
    for (int p = 0; p < PH_N; p++) {
        if (!on[p])
            continue;
        printf("\n    %-22s", ph_name[p]);
        for (long r = 0; r < rounds; r++)
            printf(" %7.1f", st[p][r].median);
    }
    printf("\n");

    if (on[PH_DBX] && (on[PH_RAW] || on[PH_PARSE])) {
        printf("\nRatios (median of the per-round ratios)\n");
        for (int b = PH_RAW; b <= PH_PARSE; b++) {
            if (!on[b])
                continue;
            size_t nr = (size_t)rounds;
            double *rm = malloc(nr * sizeof *rm), *rmean = malloc(nr * sizeof *rmean),
                   *dm = malloc(nr * sizeof *dm);
            if (!rm || !rmean || !dm)
                die("out of memory");
            for (size_t r = 0; r < nr; r++) {
                rm[r] = st[PH_DBX][r].median / st[b][r].median;
                rmean[r] = st[PH_DBX][r].mean / st[b][r].mean;
                dm[r] = st[PH_DBX][r].median - st[b][r].median;
            }
            printf("  libdbx / %-22s median %.3f  mean %.3f  (median overhead %+.1f us per call)\n",
                   ph_name[b], median_of(rm, nr), median_of(rmean, nr),
                   median_of(dm, nr));
            free(rm);
            free(rmean);
            free(dm);
        }
    }
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
        raw_open(&r);
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
    if (atomic_load(&tp_failed)) {
        fprintf(stderr, "bench_clusters_get: throughput (%s, %d threads) failed: %s\n",
                dbx ? "libdbx" : "raw libcurl", threads, tp_why);
        exit(1);
    }
    return (double)(per * threads) / ((double)(t1 - t0) / 1e9);
}

static void throughput(void)
{
    printf("\nThroughput, calls/s (%ld calls per run, %ld rounds alternating; median over rounds)\n",
           tp_calls, rounds);
    printf("  %-8s %14s %14s %16s\n", "threads", "raw libcurl", "libdbx", "libdbx / raw");
    double *vr = malloc((size_t)rounds * sizeof *vr), *vd = malloc((size_t)rounds * sizeof *vd),
           *vq = malloc((size_t)rounds * sizeof *vq);
    for (int t = 0; t < n_thread_counts; t++) {
        int n = thread_counts[t];
        for (long r = 0; r < rounds; r++) {
            if (r % 2 == 0) {
                vr[r] = tp_run(0, n);
                vd[r] = tp_run(1, n);
            } else {
                vd[r] = tp_run(1, n);
                vr[r] = tp_run(0, n);
            }
            vq[r] = vd[r] / vr[r];
        }
        printf("  %-8d %14.0f %14.0f %16.3f\n", n, median_of(vr, (size_t)rounds), median_of(vd, (size_t)rounds),
               median_of(vq, (size_t)rounds));
    }
    free(vr);
    free(vd);
    free(vq);
}

/* ---- main ------------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    if (dbx_global_init() != DBX_OK)
        die("dbx_global_init failed");

    printf("bench_clusters_get: GET %s\n", url);
    printf("libdbx %s (build type %s), %s, jansson %s\n", dbx_version_str(), DBX_BENCH_BUILD_TYPE,
           curl_version(), JANSSON_VERSION);
#ifdef __linux__
    {
        cpu_set_t set;
        if (sched_getaffinity(0, sizeof set, &set) == 0) {
            printf("CPU affinity:");
            for (int i = 0; i < CPU_SETSIZE; i++)
                if (CPU_ISSET(i, &set))
                    printf(" %d", i);
            printf("\n");
        }
    }
#endif
    fflush(stdout);

    /* Validate one response fully before timing anything. */
    char why[512];
    raw_open(&raw);
    expected_len = (size_t)-1;
    raw.body.len = 0;
    CURLcode rc = curl_easy_perform(raw.h);
    long code = 0;
    curl_easy_getinfo(raw.h, CURLINFO_RESPONSE_CODE, &code);
    if (rc != CURLE_OK)
        die("cannot reach the server: %s", raw.err[0] ? raw.err : curl_easy_strerror(rc));
    if (code != 200)
        die("the server answered HTTP %ld, not 200", code);
    expected_len = raw.body.len;
    if (parse_check(&raw, why, sizeof why) != 0)
        die("the server's body is not the expected ClusterDetails: %s", why);
    printf("response: HTTP 200, %zu bytes of JSON, state RUNNING\n", expected_len);

    client = dbx_open();
    if (dbx_call(client, why, sizeof why) != 0)
        die("libdbx: %s", why);

    if (do_raw || do_parse || do_dbx)
        latency();
    if (do_tp)
        throughput();
    fflush(stdout);

    dbx_client_free(client);
    raw_close(&raw);
    dbx_global_cleanup();
    return 0;
}
