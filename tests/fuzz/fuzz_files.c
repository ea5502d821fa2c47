#define _GNU_SOURCE
/*
 * Fuzz target: fuzzed server answers replayed through a real client into
 * the Files API: downloads (Content-Length / Content-Range / Last-Modified
 * checks, resumes after a "drop"), metadata (HEAD headers, HTTP dates),
 * directory listings, and the multipart upload (initiate, part-URL and
 * abort-URL answers with their headers, part ETags, complete).
 *
 * The input is a scenario byte, then answers separated by "\n---\n". An
 * answer is "<status>\n<header lines>\n\n<body>": status as decimal text
 * (anything else is 200; "0" is a connection dropped after half the body).
 * The transport hands the answers out in order (then 500s), streams 2xx
 * bodies to the call's write_fn, and drains a streamed upload body.
 *
 * Oracle: no crash, no leak, no undefined behaviour, no hang; a failure
 * has a non-empty message that never holds a presigned URL's query; a
 * download never delivers more bytes than the answers held.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "dbx/files.h"
#include "fuzz.h"

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
    size_t body_bytes; /* all 2xx body bytes offered */
} fuzz_tx;

static void fx_send(dbx__transport *t, const dbx__http_req *req, dbx__http_resp *resp, dbx__tx_result *res)
{
    fuzz_tx *f = (fuzz_tx *)t;
    memset(res, 0, sizeof *res);
    if (req->upload) { /* read what a PUT would send (bounded) */
        char buf[4096];
        for (int i = 0; i < 64; i++) {
            size_t got = 0;
            if (req->upload->src->read(req->upload->src->payload, buf, sizeof buf, &got) != 0) {
                res->kind = DBX__TX_ABORTED;
                snprintf(res->message, sizeof res->message, "read refused");
                return;
            }
            req->upload->sent += got;
            if (!got)
                break;
        }
    }
    if (f->next >= f->n) {
        resp->status = 500;
        dbx__buf_puts(&resp->body, "{\"error_code\":\"EXHAUSTED\",\"message\":\"no more answers\"}");
        return;
    }
    const answer *a = &f->a[f->next++];
    int drop = a->status == 0;
    resp->status = drop ? 200 : a->status;
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
    int ok = resp->status >= 200 && resp->status < 300;
    size_t n = drop ? a->body_len / 2 : a->body_len;
    if (ok && req->write_fn && strcmp(req->method, "HEAD") != 0) {
        f->body_bytes += n;
        for (size_t off = 0; off < n;) {
            size_t k = n - off < 1000 ? n - off : 1000;
            if (req->write_fn(a->body + off, k, req->write_payload) != k) {
                res->kind = DBX__TX_ABORTED;
                snprintf(res->message, sizeof res->message, "consumer stopped");
                return;
            }
            resp->delivered += k;
            off += k;
        }
    } else {
        if (ok && resp->max_body && n > resp->max_body) {
            res->kind = DBX__TX_BODY_TOO_LARGE;
            return;
        }
        if (!ok && n > DBX__ERROR_BODY_KEEP)
            n = DBX__ERROR_BODY_KEEP;
        if (dbx__buf_put(&resp->body, a->body, n) != 0)
            res->kind = DBX__TX_NOMEM;
    }
    if (drop && res->kind == DBX__TX_OK) {
        res->kind = DBX__TX_FAILED;
        res->code = 18; /* CURLE_PARTIAL_FILE */
        snprintf(res->message, sizeof res->message, "transfer closed with bytes remaining");
    }
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

static size_t sunk;
static int count_sink(void *payload, const char *data, size_t len)
{
    (void)payload;
    (void)data;
    sunk += len;
    return 0;
}

static void check_failure(dbx_client *c, dbx_status st)
{
    if (st >= 0)
        return;
    const dbx_error *e = dbx_client_last_error(c);
    if (!e->message || !e->message[0] || e->status != st || strchr(e->path, '?'))
        abort();
    /* a presigned URL's signature may be named in a message, never shown: what follows
     * "X-Amz-Signature=" is the redaction mark, or no value at all (the message's snippet of
     * the answer may end right there, or the value may be empty) */
    for (const char *p = e->message; (p = strstr(p, "X-Amz-Signature=")) != NULL; p++) {
        const char *v = p + 16;
        int value_char = (*v >= '0' && *v <= '9') || (*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
                         (*v && strchr("%+-_./~", *v));
        if (value_char && strncmp(v, "**REDACTED**", 12) != 0)
            abort();
    }
}

/* 12 MiB of zeros, read in pieces: a multipart upload at the smallest sizes */
typedef struct zsrc {
    int64_t left;
} zsrc;
static int zread(void *p, char *buf, size_t cap, size_t *n)
{
    zsrc *z = p;
    size_t k = (int64_t)cap < z->left ? cap : (size_t)z->left;
    memset(buf, 0, k);
    z->left -= (int64_t)k;
    *n = k;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    static int inited;
    if (!inited) {
        dbx_global_init();
        inited = 1;
    }
    int scenario = data[0] % 4;
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
        if (!(a->status == 0 && num[0] == '0') && (a->status < 100 || a->status > 599))
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
    o.token = "dapi-fuzz";
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
    case 0: { /* download, with resumes */
        sunk = 0;
        st = dbx_files_download(c, "/Volumes/a/b/c/f.bin", count_sink, NULL, NULL);
        check_failure(c, st);
        if (sunk > tx.body_bytes)
            abort();
        break;
    }
    case 1: { /* metadata */
        dbx_file_info *fi = NULL;
        st = dbx_files_get_metadata(&fi, c, "/Volumes/a/b/c/f.bin");
        check_failure(c, st);
        if (st == DBX_OK) {
            (void)dbx_file_info_size(fi);
            if (!dbx_file_info_content_type(fi) || !dbx_file_info_last_modified_str(fi))
                abort();
            (void)dbx_file_info_last_modified(fi);
        } else if (fi) {
            abort();
        }
        dbx_file_info_free(fi);
        break;
    }
    case 2: { /* listing */
        dbx_files_list_iter *it = NULL;
        st = dbx_files_list_directory(&it, c, "/Volumes/a/b/c", NULL);
        if (st != DBX_OK)
            abort();
        const dbx_directory_entry *e;
        for (int i = 0; i < 1000 && (st = dbx_files_list_iter_next(&e, it)) == DBX_OK; i++) {
            (void)dbx_directory_entry_path(e);
            (void)dbx_directory_entry_name(e);
            (void)dbx_directory_entry_is_directory(e);
            (void)dbx_directory_entry_file_size(e);
            (void)dbx_directory_entry_last_modified(e);
            (void)dbx_directory_entry_json(e);
        }
        check_failure(c, st);
        dbx_files_list_iter_free(it);
        break;
    }
    default: { /* multipart upload: 12 MiB in 5 MiB parts */
        zsrc z = {12 * 1024 * 1024};
        dbx_source src = DBX_SOURCE_INIT;
        src.read = zread;
        src.payload = &z;
        src.size = z.left;
        dbx_files_upload_options uo = DBX_FILES_UPLOAD_OPTIONS_INIT;
        uo.multipart_threshold = 1;
        uo.part_size = 5 * 1024 * 1024;
        st = dbx_files_upload(c, "/Volumes/a/b/c/up.bin", &src, &uo);
        check_failure(c, st);
        break;
    }
    }
    if (getenv("DBX_FUZZ_VERBOSE")) /* to check what a seed reaches */
        fprintf(stderr, "scenario %d: %s %s (delivered %zu)\n", scenario, dbx_status_name(st),
                st < 0 ? dbx_client_last_error(c)->message : "", sunk);
    dbx_client_free(c);
    dbx__platform_set_hooks(NULL);
    return 0;
}
