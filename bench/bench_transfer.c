/*
 * Transfer benchmark helper for bench/run_transfer.sh: one 200 MB upload or
 * download through libdbx's Files API per process, and a measuring wrapper
 * that runs any command (libdbx's transfer or the curl command line) and
 * reports its wall time and peak RSS, so both are measured the same way.
 *
 *   bench_transfer mkfile PATH BYTES
 *   bench_transfer upload BASE_URL LOCAL REMOTE_PATH     (single streamed PUT)
 *   bench_transfer download BASE_URL REMOTE_PATH LOCAL
 *   bench_transfer measure CMD [ARGS...]   -> "wall_s maxrss_kb" on stdout
 *
 * `measure` starts CMD with posix_spawn (vfork: the child does not inherit
 * a copy of this process's pages) and reads its peak RSS from wait4.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dbx/dbx.h"

extern char **environ;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static dbx_client *client(const char *base)
{
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.host = base;
    o.token = "dapi-bench";
    o.no_env = 1;
    o.no_config_file = 1;
    dbx_client *c = NULL;
    if (dbx_client_new(&c, &o) != DBX_OK) {
        fprintf(stderr, "bench_transfer: %s\n", dbx_client_last_error(NULL)->message);
        exit(1);
    }
    return c;
}

static int mkfile(const char *path, long long bytes)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return perror(path), 1;
    static char buf[1 << 20];
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (char)(x >> 16);
    }
    for (long long off = 0; off < bytes;) {
        size_t k = bytes - off < (long long)sizeof buf ? (size_t)(bytes - off) : sizeof buf;
        buf[0] = (char)(off >> 20);
        if (write(fd, buf, k) != (ssize_t)k)
            return perror(path), 1;
        off += (long long)k;
    }
    return close(fd) != 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "mkfile") == 0)
        return mkfile(argv[2], atoll(argv[3]));
    if (argc == 5 && (strcmp(argv[1], "upload") == 0 || strcmp(argv[1], "download") == 0)) {
        dbx_client *c = client(argv[2]);
        dbx_status st;
        if (argv[1][0] == 'u') {
            dbx_files_upload_options uo = DBX_FILES_UPLOAD_OPTIONS_INIT;
            /* nginx has no multipart protocol: one streamed PUT, as curl -T */
            uo.multipart_threshold = -1;
            st = dbx_files_upload_file(c, argv[4], argv[3], &uo);
        } else {
            dbx_files_download_options dopt = DBX_FILES_DOWNLOAD_OPTIONS_INIT;
            dopt.overwrite = 1;
            st = dbx_files_download_file(c, argv[3], argv[4], &dopt);
        }
        if (st != DBX_OK)
            fprintf(stderr, "bench_transfer %s: %s\n", argv[1], dbx_client_last_error(c)->message);
        dbx_client_free(c);
        return st == DBX_OK ? 0 : 1;
    }
    if (argc >= 3 && strcmp(argv[1], "measure") == 0) {
        pid_t pid;
        double t0 = now_s();
        int rc = posix_spawnp(&pid, argv[2], NULL, NULL, argv + 2, environ);
        if (rc != 0) {
            fprintf(stderr, "bench_transfer: cannot start %s: %s\n", argv[2], strerror(rc));
            return 1;
        }
        int ws = 0;
        struct rusage ru;
        while (wait4(pid, &ws, 0, &ru) < 0)
            if (errno != EINTR)
                return perror("wait4"), 1;
        double t = now_s() - t0;
        if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
            fprintf(stderr, "bench_transfer: %s failed\n", argv[2]);
            return 1;
        }
        printf("%.4f %ld\n", t, ru.ru_maxrss);
        return 0;
    }
    fprintf(stderr, "usage: see the top of bench/bench_transfer.c\n");
    return 2;
}
