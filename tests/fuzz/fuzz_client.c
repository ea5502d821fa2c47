#define _GNU_SOURCE
/*
 * Fuzz target: fuzzed server answers replayed through a real client into
 * the public API (clusters get / list / events / spark-versions /
 * node-types, error bodies, the OAuth discovery and token endpoints).
 *
 * The input is a scenario byte, then answers separated by "\n---\n". An
 * answer is "<status>\n<header lines>\n\n<body>": status as decimal text
 * (anything else is 200), header lines "Name: value". The client's
 * transport is replaced by one that hands out the answers in order (then
 * 500s), and its clock by a fake one, so retries never sleep. Every
 * accessor of every result is read, iterators run to their end (bounded),
 * and the error record is read after each failure.
 *
 * Oracle: no crash, no leak, no undefined behaviour, no hang; a failed
 * call leaves *out NULL and a non-empty message; a successful one gives
 * results whose accessors all work.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "fuzz.h"
#include "dbx/sys/json.h"

typedef struct answer {
    int status;
    const char *head;
    size_t head_len;
    const char *body;
    size_t body_len;
} answer;

typedef struct fuzz_tx {
    dbx__transport base;
    answer a[32];
    int n, next;
} fuzz_tx;

static void fx_send(dbx__transport *t, const dbx__http_req *req, dbx__http_resp *resp, dbx__tx_result *res)
{
    fuzz_tx *f = (fuzz_tx *)t;
    (void)req;
    memset(res, 0, sizeof *res);
    if (f->next >= f->n) {
        resp->status = 500;
        dbx__buf_puts(&resp->body, "{\"error_code\":\"EXHAUSTED\",\"message\":\"no more answers\"}");
        return;
    }
    const answer *a = &f->a[f->next++];
    resp->status = a->status;
    /* header lines, as the curl transport captures them */
    const char *h = a->head, *end = a->head + a->head_len;
    while (h < end) {
        const char *eol = memchr(h, '\n', (size_t)(end - h));
        if (!eol)
            eol = end;
        const char *colon = memchr(h, ':', (size_t)(eol - h));
        if (colon) {
            const char *v = colon + 1;
            while (v < eol && *v == ' ')
                v++;
            if (dbx__resp_add_header(resp, h, (size_t)(colon - h), v, (size_t)(eol - v)) != 0) {
                res->kind = DBX__TX_NOMEM;
                return;
            }
        }
        h = eol + 1;
    }
    /* the body, held to the same limits as the real transport */
    int ok = a->status >= 200 && a->status < 300;
    size_t n = a->body_len;
    if (ok && resp->max_body && n > resp->max_body) {
        res->kind = DBX__TX_BODY_TOO_LARGE;
        return;
    }
    if (!ok && n > DBX__ERROR_BODY_KEEP)
        n = DBX__ERROR_BODY_KEEP;
    if (dbx__buf_put(&resp->body, a->body, n) != 0)
        res->kind = DBX__TX_NOMEM;
}

static void fx_destroy(dbx__transport *t) { (void)t; }

static int64_t fake_now;
static int64_t now_ms(void *ud)
{
    (void)ud;
    return fake_now;
}
static void sleep_ms(long ms, void *ud)
{
    (void)ud;
    fake_now += ms;
}

static void read_cluster(const dbx_cluster *cl)
{
    int a, b;
    (void)dbx_cluster_id(cl);
    (void)dbx_cluster_name(cl);
    (void)dbx_cluster_state(cl);
    (void)dbx_cluster_state_str(cl);
    (void)dbx_cluster_state_message(cl);
    (void)dbx_cluster_spark_version(cl);
    (void)dbx_cluster_node_type_id(cl);
    (void)dbx_cluster_num_workers(cl);
    (void)dbx_cluster_autoscale(cl, &a, &b);
    (void)dbx_cluster_start_time(cl);
    (void)dbx_cluster_terminated_time(cl);
    (void)dbx_cluster_termination_code(cl);
    (void)dbx_cluster_termination_type(cl);
    (void)dbx_cluster_spark_conf(cl, "spark.x");
    (void)dbx_cluster_custom_tag(cl, "team");
    (void)dbx_cluster_json(cl);
    (void)dbx_cluster_jansson(cl);
}

static void check_failure(dbx_client *c, dbx_status st)
{
    if (st >= 0)
        return;
    const dbx_error *e = dbx_client_last_error(c);
    if (!e->message || !e->message[0] || e->status != st)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    static int inited;
    if (!inited) {
        dbx_global_init(); /* held for the process: not once per input */
        inited = 1;
    }
    int scenario = data[0] % 8;
    fuzz_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.base.send = fx_send;
    tx.base.destroy = fx_destroy;
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    while (p < end && tx.n < 32) {
        const char *sep = memmem(p, (size_t)(end - p), "\n---\n", 5);
        const char *aend = sep ? sep : end;
        answer *a = &tx.a[tx.n++];
        const char *nl = memchr(p, '\n', (size_t)(aend - p));
        char num[8] = "";
        size_t k = nl ? (size_t)(nl - p) : 0;
        if (k && k < sizeof num)
            memcpy(num, p, k);
        a->status = atoi(num);
        if (a->status < 100 || a->status > 599)
            a->status = 200;
        const char *hb = nl ? nl + 1 : p;
        const char *blank = hb <= aend ? memmem(hb, (size_t)(aend - hb), "\n\n", 2) : NULL;
        a->head = hb;
        a->head_len = blank ? (size_t)(blank - hb) : 0;
        a->body = blank ? blank + 2 : hb;
        a->body_len = (size_t)(aend - a->body);
        p = sep ? sep + 5 : end;
    }

    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.host = "https://fuzz.cloud.databricks.com";
    if (scenario == 7) {
        o.client_id = "id";
        o.client_secret = "secret";
    } else {
        o.token = "dapi-fuzz";
    }
    o.no_env = 1;
    o.no_config_file = 1;
    o.max_attempts = 3;
    o.max_response_bytes = 1 << 20;
    dbx__platform_hooks hooks = {now_ms, sleep_ms, NULL};
    dbx__platform_set_hooks(&hooks);
    dbx_client *c = NULL;
    if (dbx_client_new(&c, &o) != DBX_OK)
        abort();
    c->pipe.tx->destroy(c->pipe.tx);
    c->pipe.tx = &tx.base;

    dbx_status st;
    switch (scenario) {
    case 0:
    case 7: { /* get (after discovery + token for M2M) */
        dbx_cluster *cl = NULL;
        st = dbx_clusters_get(&cl, c, "0101-000000-fuzzfuzz");
        check_failure(c, st);
        if (st == DBX_OK)
            read_cluster(cl);
        else if (cl)
            abort();
        dbx_cluster_free(cl);
        break;
    }
    case 1: { /* list, paged by token */
        dbx_clusters_iter *it = NULL;
        dbx_cluster_state_t states[] = {DBX_CLUSTER_STATE_RUNNING};
        dbx_clusters_list_options lo = DBX_CLUSTERS_LIST_OPTIONS_INIT;
        lo.states = states;
        lo.n_states = 1;
        if (dbx_clusters_list(&it, c, &lo) != DBX_OK)
            abort();
        const dbx_cluster *item;
        for (int i = 0; i < 1000 && (st = dbx_clusters_iter_next(&item, it)) == DBX_OK; i++)
            read_cluster(item);
        check_failure(c, st);
        dbx_clusters_iter_free(it);
        break;
    }
    case 2: { /* events, paged in the body (and the legacy next_page) */
        dbx_cluster_events_iter *it = NULL;
        if (dbx_clusters_events(&it, c, "0101-000000-fuzzfuzz", NULL) != DBX_OK)
            abort();
        const dbx_cluster_event *ev;
        for (int i = 0; i < 1000 && (st = dbx_cluster_events_iter_next(&ev, it)) == DBX_OK; i++) {
            (void)dbx_cluster_event_timestamp(ev);
            (void)dbx_cluster_event_type(ev);
            (void)dbx_cluster_event_cluster_id(ev);
            (void)dbx_cluster_event_details_json(ev);
            (void)dbx_cluster_event_json(ev);
            (void)dbx_cluster_event_jansson(ev);
        }
        check_failure(c, st);
        dbx_cluster_events_iter_free(it);
        break;
    }
    case 3: {
        dbx_spark_versions *v = NULL;
        st = dbx_clusters_spark_versions(&v, c);
        check_failure(c, st);
        for (size_t i = 0; i <= dbx_spark_versions_count(v); i++) {
            (void)dbx_spark_versions_key(v, i);
            (void)dbx_spark_versions_name(v, i);
        }
        dbx_spark_versions_free(v);
        break;
    }
    case 4: {
        dbx_node_types *nt = NULL;
        st = dbx_clusters_list_node_types(&nt, c);
        check_failure(c, st);
        for (size_t i = 0; i <= dbx_node_types_count(nt); i++) {
            (void)dbx_node_types_id(nt, i);
            (void)dbx_node_types_description(nt, i);
            (void)dbx_node_types_memory_mb(nt, i);
            (void)dbx_node_types_num_cores(nt, i);
            (void)dbx_node_types_json(nt, i);
        }
        dbx_node_types_free(nt);
        break;
    }
    case 5: { /* a create: the answer's id, or its error body */
        dbx_cluster_spec *s = NULL;
        dbx_cluster_spec_new(&s);
        dbx_cluster_spec_set_spark_version(s, "15.4.x-scala2.12");
        char *id = NULL;
        st = dbx_clusters_create(&id, c, s);
        check_failure(c, st);
        if ((st == DBX_OK) != (id != NULL))
            abort();
        dbx_free(id);
        dbx_cluster_spec_free(s);
        break;
    }
    default: { /* the escape hatch, with redirects followed */
        dbx_request_options ro = DBX_REQUEST_OPTIONS_INIT;
        ro.follow_redirects = 1;
        dbx_response *r = NULL;
        st = dbx_request_ex(&r, c, "GET", "/api/2.0/anything", &ro);
        check_failure(c, st);
        if (r) {
            size_t len;
            (void)dbx_response_body(r, &len);
            (void)dbx_response_header(r, "x-request-id");
            (void)dbx_response_status(r);
        }
        dbx_response_free(r);
        break;
    }
    }
    dbx_client_free(c);
    dbx__platform_set_hooks(NULL);
    return 0;
}
