/*
 * bench_fixture: the ListClustersResponse pages that bench/run.sh serves
 * from nginx as static files. Deterministic: cluster i is the same bytes in
 * every run, so the benchmark can regenerate what it expects to receive.
 */
#ifndef DBX_BENCH_FIXTURE_H
#define DBX_BENCH_FIXTURE_H

#include <stdio.h>

/* Cluster i's cluster_id ("0123-456789-b0000007"); buf holds 32 bytes. */
void fixture_cluster_id(long i, char buf[32]);
/* Cluster i's state: "RUNNING" for two clusters in three, else "TERMINATED". */
const char *fixture_cluster_state(long i);

/* Write {"clusters":[...]} (no next_page_token) to f: exactly `clusters`
 * ClusterDetails objects when clusters > 0, else as many as it takes to
 * reach min_bytes. Returns the number of clusters written, -1 on an I/O
 * error; *bytes gets the page's length. */
long fixture_write_page(FILE *f, long clusters, long long min_bytes, long long *bytes);

/* The page of `clusters` clusters in memory (malloc'd, NUL-terminated), or NULL. */
char *fixture_page(long clusters, size_t *len);

#endif
