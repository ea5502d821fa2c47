#define _POSIX_C_SOURCE 200809L
/*
 * The real-time scorer against sequential dbx_serving_query: N queries
 * (default 2000) to /serving-endpoints/bench/invocations on a server given
 * on the command line (bench/run_scorer.sh: nginx with a fixed 20 ms model
 * latency). Phases: "seq" (one dbx_serving_query after another), "h1" (the
 * scorer, HTTP/1.1 connection pool), "h2" (the scorer, HTTP/2 where the
 * server offers it). Prints seconds, queries/s, p50/p99 latency and, for the
 * scorer, the connections it opened; exit 1 on any failed query or a wrong
 * prediction.
 *
 *   bench_scorer <base-url> [N] --phase=seq|h1|h2 [--inflight=64] [--ca=<pem>]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbx/dbx.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, long n, int p)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    long k = (n * p + 99) / 100;
    return n ? v[k ? k - 1 : 0] : 0;
}

#define BODY "{\"dataframe_split\":{\"columns\":[\"amount\",\"hour\"],\"data\":[[2.5,13]]}}"
#define WANT 0.25 /* the fixed answer nginx gives */

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_scorer <base-url> [N] --phase=seq|h1|h2 [--inflight=64] [--ca=<pem>]\n");
        return 2;
    }
    long n = argv[2][0] != '-' ? atol(argv[2]) : 2000;
    const char *phase = "h1", *ca = NULL;
    int inflight = 64;
    for (int i = 2; i < argc; i++) {
        if (strncmp(argv[i], "--phase=", 8) == 0)
            phase = argv[i] + 8;
        else if (strncmp(argv[i], "--inflight=", 11) == 0)
            inflight = atoi(argv[i] + 11);
        else if (strncmp(argv[i], "--ca=", 5) == 0)
            ca = argv[i] + 5;
    }
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.host = argv[1];
    o.token = "bench-token";
    o.no_env = 1;
    o.no_config_file = 1;
    o.ca_bundle = ca;
    dbx_client *c = NULL;
    if (dbx_client_new(&c, &o) != DBX_OK) {
        fprintf(stderr, "client: %s\n", dbx_client_last_error(NULL)->message);
        return 1;
    }
    double *lat = calloc((size_t)n, sizeof *lat);
    long bad = 0, got = 0;
    unsigned long long conns = 0;
    double t0 = now_s(), t;
    if (strcmp(phase, "seq") == 0) {
        for (long i = 0; i < n; i++) {
            dbx_serving_result *r = NULL;
            if (dbx_serving_query(&r, c, "bench", BODY, NULL) != DBX_OK) {
                if (!bad)
                    fprintf(stderr, "query: %s\n", dbx_client_last_error(c)->message);
                bad++;
                continue;
            }
            bad += dbx_serving_result_double(r, 0) != WANT;
            lat[got++] = (double)dbx_serving_result_latency_ms(r);
            dbx_serving_result_free(r);
        }
        t = now_s() - t0;
    } else {
        dbx_serving_scorer_options so = DBX_SERVING_SCORER_OPTIONS_INIT;
        so.max_in_flight = inflight;
        so.http_version = strcmp(phase, "h2") == 0 ? DBX_SERVING_HTTP_AUTO : DBX_SERVING_HTTP1_1;
        dbx_serving_scorer *s = NULL;
        if (dbx_serving_scorer_new(&s, c, "bench", &so) != DBX_OK) {
            fprintf(stderr, "scorer: %s\n", dbx_client_last_error(c)->message);
            return 1;
        }
        for (long i = 0; i < n; i++)
            if (dbx_serving_scorer_submit(NULL, s, BODY, NULL) != DBX_OK)
                bad++;
        dbx_serving_completion *d = NULL;
        while (dbx_serving_scorer_next(&d, s, -1) == DBX_OK && d) {
            const dbx_serving_result *r = dbx_serving_completion_result(d);
            if (!r) {
                if (!bad)
                    fprintf(stderr, "query: %s\n", dbx_serving_completion_error(d)->message);
                bad++;
            } else {
                bad += dbx_serving_result_double(r, 0) != WANT;
                lat[got++] = (double)dbx_serving_result_latency_ms(r);
            }
            dbx_serving_completion_free(d);
        }
        t = now_s() - t0;
        dbx_serving_scorer_stats st = DBX_SERVING_SCORER_STATS_INIT;
        dbx_serving_scorer_stats_get(&st, s);
        conns = (unsigned long long)st.connections;
        dbx_serving_scorer_free(s);
    }
    printf("%s.seconds %.6f\n%s.qps %.1f\n%s.p50_ms %.1f\n%s.p99_ms %.1f\n", phase, t, phase, (double)n / t, phase,
           pct(lat, got, 50), phase, pct(lat, got, 99));
    if (strcmp(phase, "seq") != 0)
        printf("%s.connections %llu\n", phase, conns);
    free(lat);
    dbx_client_free(c);
    if (bad || got != n) {
        fprintf(stderr, "%s: %ld bad answers, %ld of %ld good\n", phase, bad, got, n);
        return 1;
    }
    return 0;
}
