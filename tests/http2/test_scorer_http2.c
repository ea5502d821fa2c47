/*
 * The real-time scorer's HTTP/2 path, against nginx (tests/http2/run.sh starts it; the emulator
 * speaks HTTP/1.1 only): N queries with bodies of distinct lengths, many in flight. nginx answers
 * each with its body's length, so every completion is checked against its own query:
 *   1. HTTP/2 (ALPN over TLS): every answer right and delivered to its query, one connection;
 *   2. HTTP/1.1 forced: the same answers over a pool (more than one connection);
 *   3. sequential dbx_serving_query on an HTTP/2 client: the same answer for one query.
 *   test_scorer_http2 https://127.0.0.1:PORT CA.pem
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dbx/dbx.h>

#define N 400
#define IN_FLIGHT 48

static int failures;
#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* query i's body: its length is unique to i (a padding of i characters) */
static char *body_of(int i)
{
    char *b = malloc(128 + (size_t)i);
    if (!b)
        abort();
    int n = sprintf(b, "{\"dataframe_split\":{\"columns\":[\"x\"],\"data\":[[%d]]},\"pad\":\"", i);
    memset(b + n, 'p', (size_t)i);
    strcpy(b + n + i, "\"}");
    return b;
}

static dbx_client *client(const char *url, const char *ca)
{
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.host = url;
    o.token = "http2-test-token";
    o.ca_bundle = ca;
    o.no_env = 1;
    o.no_config_file = 1;
    dbx_client *c = NULL;
    if (dbx_client_new(&c, &o) != DBX_OK) {
        fprintf(stderr, "client: %s\n", dbx_client_last_error(NULL)->message);
        exit(1);
    }
    return c;
}

static void run(dbx_client *c, dbx_serving_http_version v, const char *what, uint64_t *connections)
{
    dbx_serving_scorer_options so = DBX_SERVING_SCORER_OPTIONS_INIT;
    so.max_in_flight = IN_FLIGHT;
    so.http_version = v;
    dbx_serving_scorer *s = NULL;
    if (dbx_serving_scorer_new(&s, c, "fraud", &so) != DBX_OK) {
        fprintf(stderr, "%s: scorer: %s\n", what, dbx_client_last_error(c)->message);
        exit(1);
    }
    static size_t len[N];
    static int seen[N];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < N; i++) {
        char *b = body_of(i);
        len[i] = strlen(b);
        dbx_status st = dbx_serving_scorer_submit(NULL, s, b, &len[i]);
        EXPECT(st == DBX_OK, "%s: submit %d: %s", what, i, dbx_client_last_error(c)->message);
        free(b);
    }
    dbx_serving_completion *d = NULL;
    int done = 0;
    while (dbx_serving_scorer_next(&d, s, -1) == DBX_OK && d) {
        size_t *want = dbx_serving_completion_user(d);
        int i = (int)(want - len);
        const dbx_serving_result *r = dbx_serving_completion_result(d);
        EXPECT(i >= 0 && i < N && !seen[i], "%s: completion for query %d", what, i);
        if (i >= 0 && i < N)
            seen[i] = 1;
        EXPECT(r != NULL, "%s: query %d: %s", what, i, r ? "" : dbx_serving_completion_error(d)->message);
        if (r) {
            EXPECT(dbx_serving_result_double(r, 0) == (double)*want, "%s: query %d got the answer %g, its body is %zu",
                   what, i, dbx_serving_result_double(r, 0), *want);
            EXPECT(strcmp(dbx_serving_result_served_model_name(r) ? dbx_serving_result_served_model_name(r) : "",
                          "nginx-1") == 0, "%s: served-model-name", what);
        }
        dbx_serving_completion_free(d);
        done++;
    }
    EXPECT(done == N, "%s: %d completions of %d", what, done, N);
    dbx_serving_scorer_stats st = DBX_SERVING_SCORER_STATS_INIT;
    dbx_serving_scorer_stats_get(&st, s);
    *connections = st.connections;
    printf("%s: %d answers, each to its own query; %llu connection(s)\n", what, done,
           (unsigned long long)st.connections);
    dbx_serving_scorer_free(s);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_scorer_http2 https://127.0.0.1:PORT CA.pem\n");
        return 2;
    }
    uint64_t conns = 0;
    dbx_client *c = client(argv[1], argv[2]);
    run(c, DBX_SERVING_HTTP_AUTO, "HTTP/2", &conns);
    EXPECT(conns == 1, "HTTP/2: %llu connections, want 1 (multiplexed)", (unsigned long long)conns);
    dbx_client_free(c);

    c = client(argv[1], argv[2]);
    run(c, DBX_SERVING_HTTP1_1, "HTTP/1.1", &conns);
    /* a pool: more than one connection, and never more than max_in_flight over the run (the
     * multi's connection cache keeps them all: with libcurl's default size it closed some
     * between transfers and opened new ones, up to 60 for 48 in flight) */
    EXPECT(conns > 1 && conns <= IN_FLIGHT, "HTTP/1.1: %llu connections, want 2..%d", (unsigned long long)conns,
           IN_FLIGHT);
    dbx_client_free(c);

    c = client(argv[1], argv[2]);
    char *b = body_of(7);
    dbx_serving_result *r = NULL;
    dbx_status st = dbx_serving_query(&r, c, "fraud", b, NULL);
    EXPECT(st == DBX_OK, "query: %s", dbx_client_last_error(c)->message);
    EXPECT(r && dbx_serving_result_double(r, 0) == (double)strlen(b), "sequential query answer");
    dbx_serving_result_free(r);
    free(b);
    dbx_client_free(c);
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    else
        printf("scorer over HTTP/2 and HTTP/1.1 against nginx: all answers right\n");
    return failures ? 1 : 0;
}
