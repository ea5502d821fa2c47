#define _POSIX_C_SOURCE 200809L
/*
 * The MLflow logging buffer against one runs/log-metric request per value:
 * N metric values (default 100,000) logged through dbx_mlflow_logger (which
 * must send exactly N/1000 log-batch requests) and through
 * dbx_mlflow_run_log_metric, against a server given on the command line
 * (bench/run_mlflow.sh starts a trivial local nginx). Prints wall times,
 * request counts and the ratio; exit 1 when the request count is wrong.
 *
 *   bench_mlflow <base-url> [N] [--phase=logger|single|both]
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

#define RUN_ID "0123456789abcdef0123456789abcdef"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_mlflow <base-url> [N] [--phase=logger|single|both]\n");
        return 2;
    }
    long n = argc > 2 && argv[2][0] != '-' ? atol(argv[2]) : 100000;
    const char *phase = "both";
    for (int i = 2; i < argc; i++)
        if (strncmp(argv[i], "--phase=", 8) == 0)
            phase = argv[i] + 8;
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.host = argv[1];
    o.token = "bench-token";
    o.no_env = 1;
    o.no_config_file = 1;
    dbx_client *c = NULL;
    if (dbx_client_new(&c, &o) != DBX_OK) {
        fprintf(stderr, "client: %s\n", dbx_client_last_error(NULL)->message);
        return 1;
    }
    int rc = 0;
    int64_t ts0 = 1700000000000LL;
    if (strcmp(phase, "single") != 0) {
        dbx_mlflow_logger *lg = NULL;
        double t0 = now_s();
        dbx_status st = dbx_mlflow_logger_new(&lg, c, RUN_ID, NULL);
        for (long i = 0; st == DBX_OK && i < n; i++)
            st = dbx_mlflow_logger_add_metric(lg, "loss", 1.0 / (double)(i + 1), ts0 + i, i);
        if (st == DBX_OK)
            st = dbx_mlflow_logger_flush(lg);
        double t = now_s() - t0;
        unsigned long long reqs = (unsigned long long)dbx_mlflow_logger_requests(lg);
        dbx_mlflow_logger_free(lg);
        if (st != DBX_OK) {
            fprintf(stderr, "logger: %s\n", dbx_client_last_error(c)->message);
            rc = 1;
        }
        printf("logger.seconds %.6f\nlogger.requests %llu\n", t, reqs);
        if (reqs != (unsigned long long)((n + 999) / 1000)) {
            fprintf(stderr, "logger: %llu requests for %ld metrics, want %ld\n", reqs, n, (n + 999) / 1000);
            rc = 1;
        }
    }
    if (strcmp(phase, "logger") != 0) {
        double t0 = now_s();
        dbx_status st = DBX_OK;
        long i;
        for (i = 0; st == DBX_OK && i < n; i++)
            st = dbx_mlflow_run_log_metric(c, RUN_ID, "loss", 1.0 / (double)(i + 1), ts0 + i, i);
        double t = now_s() - t0;
        if (st != DBX_OK) {
            fprintf(stderr, "log_metric: %s\n", dbx_client_last_error(c)->message);
            rc = 1;
        }
        printf("single.seconds %.6f\nsingle.requests %ld\n", t, i);
    }
    dbx_client_free(c);
    return rc;
}
