/*
 * DBFS API 2.0 against the emulator over HTTP: every public function,
 * asserting on the requests libdbx sent (the emulator's request log) and on
 * the results; streamed round trips of awkward sizes, the failure and
 * restart rules of uploads, hostile read answers, the PARTIAL_DELETE loop,
 * and the memory bound of a 200 MB upload and download (a forked child's
 * peak RSS).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define API "/api/2.0/dbfs"
#define MB (1024 * 1024)

static dbx_client *C;

static int setup(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_reset(e);
    C = emu_client(e);
    fake_clock_install();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fake_clock_remove();
    dbx_client_free(C);
    C = NULL;
    return 0;
}

/* ---- helpers ------------------------------------------------------------------------------- */

/* Byte i of pseudo-random stream `seed` (cheap, position-addressable). */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x9E3779B97F4A7C15ull;
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    return x ^ (x >> 32);
}

static void fill_pattern(char *dst, uint64_t seed, uint64_t pos, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        uint64_t i = pos + k;
        dst[k] = (char)(mix(seed * 0x100000001ull + i / 8) >> (8 * (i % 8)));
    }
}

/* A generated source: `len` bytes of pattern `seed`, delivered in reads of
 * at most `chunk` bytes; can be made to refuse or to lie about its size. */
typedef struct gen {
    uint64_t seed, len, pos;
    size_t chunk;
    long refuse_at;  /* refuse the read that starts at or after this offset; -1 never */
    int rewinds;
} gen;

static int gen_read(void *payload, char *buf, size_t cap, size_t *n)
{
    gen *g = payload;
    if (g->refuse_at >= 0 && g->pos >= (uint64_t)g->refuse_at)
        return 1;
    size_t k = cap < g->chunk ? cap : g->chunk;
    if (k > g->len - g->pos)
        k = (size_t)(g->len - g->pos);
    fill_pattern(buf, g->seed, g->pos, k);
    g->pos += k;
    *n = k;
    return 0;
}

static int gen_rewind(void *payload)
{
    gen *g = payload;
    g->pos = 0;
    g->rewinds++;
    return 0;
}

static dbx_source gen_source(gen *g, uint64_t seed, uint64_t len, int rewindable, int size_known)
{
    memset(g, 0, sizeof *g);
    g->seed = seed;
    g->len = len;
    g->chunk = 300000; /* not a divisor of 1 MB: blocks are assembled from several reads */
    g->refuse_at = -1;
    dbx_source s = DBX_SOURCE_INIT;
    s.read = gen_read;
    s.rewind = rewindable ? gen_rewind : NULL;
    s.payload = g;
    s.size = size_known ? (int64_t)len : -1;
    return s;
}

static char *pattern(uint64_t seed, size_t len)
{
    char *p = malloc(len ? len : 1);
    assert_non_null(p);
    fill_pattern(p, seed, 0, len);
    return p;
}

/* A sink collecting into memory; refuses after `refuse_after` calls (-1 never). */
typedef struct mem_sink {
    char *data;
    size_t len, cap;
    int calls, refuse_after;
} mem_sink;

static int mem_sink_fn(void *payload, const char *data, size_t len)
{
    mem_sink *m = payload;
    if (m->refuse_after >= 0 && m->calls >= m->refuse_after)
        return 1;
    m->calls++;
    if (m->len + len > m->cap) {
        m->cap = (m->len + len) * 2;
        m->data = realloc(m->data, m->cap);
        assert_non_null(m->data);
    }
    memcpy(m->data + m->len, data, len);
    m->len += len;
    return 0;
}

static void download_expect(const char *path, const char *want, size_t len)
{
    mem_sink m = {NULL, 0, 0, 0, -1};
    assert_int_equal(dbx_dbfs_download(C, path, mem_sink_fn, &m, NULL), DBX_OK);
    assert_int_equal(m.len, len);
    if (len)
        assert_memory_equal(m.data, want, len);
    free(m.data);
}

static void expect_missing(const char *path)
{
    dbx_dbfs_file_info *fi = NULL;
    assert_int_equal(dbx_dbfs_get_status(&fi, C, path), DBX_ENOTFOUND);
    assert_null(fi);
}

static const char *req_str(const json_t *req, const char *field)
{
    return json_string_value(emu_req_json(req, field));
}

/* A call that must fail before any I/O with DBX_EINVAL naming `needle`. */
#define expect_local_einval(call, needle) expect_local_einval_at((call), (needle), #call, __LINE__)

static void expect_local_einval_at(dbx_status st, const char *needle, const char *what, int line)
{
    const dbx_error *err = dbx_client_last_error(C);
    size_t sent = emu_count(emu_get(), NULL);
    if (st != DBX_EINVAL || err->status != DBX_EINVAL || !strstr(err->message, needle) || sent != 0)
        fail_msg("line %d: %s: %s, last error %s \"%s\"; want DBX_EINVAL naming \"%s\" and no request (%zu sent)",
                 line, what, dbx_status_name(st), dbx_status_name(err->status), err->message, needle, sent);
}

static char *temp_path(const char *name)
{
    emu *e = emu_get();
    char *p = NULL;
    assert_true(asprintf(&p, "%s/dbfs-%d-%s", e->dir, (int)getpid(), name) > 0);
    unlink(p);
    return p;
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *d = malloc(n ? (size_t)n : 1);
    assert_non_null(d);
    assert_int_equal(fread(d, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return d;
}

/* No "<base>.dbx-partial-*" file left beside `path`. */
static void expect_no_partial(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[512];
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)))
        if (strncmp(de->d_name, slash + 1, strlen(slash + 1)) == 0 && strstr(de->d_name, ".dbx-partial-"))
            fail_msg("partial download file left: %s", de->d_name);
    closedir(d);
}

/* ---- metadata, put ------------------------------------------------------------------------- */

static void test_put_get_status_list_mkdirs(void **state)
{
    (void)state;
    emu *e = emu_get();
    assert_int_equal(dbx_dbfs_put(C, "/t/a.txt", "hello", 5, 0), DBX_OK);
    json_t *req = emu_last_request(e, API "/put");
    assert_non_null(req);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "POST");
    assert_string_equal(req_str(req, "path"), "/t/a.txt");
    assert_string_equal(req_str(req, "contents"), "aGVsbG8=");
    assert_true(json_is_false(emu_req_json(req, "overwrite")));
    json_decref(req);

    dbx_dbfs_file_info *fi = NULL;
    assert_int_equal(dbx_dbfs_get_status(&fi, C, "dbfs:/t/a.txt"), DBX_OK);
    req = emu_last_request(e, API "/get-status");
    assert_string_equal(json_string_value(json_object_get(req, "method")), "GET");
    assert_string_equal(emu_req_query(req, "path"), "dbfs:/t/a.txt");
    json_decref(req);
    assert_string_equal(dbx_dbfs_file_info_path(fi), "/t/a.txt");
    assert_int_equal(dbx_dbfs_file_info_is_dir(fi), 0);
    assert_int_equal(dbx_dbfs_file_info_file_size(fi), 5);
    assert_true(dbx_dbfs_file_info_modification_time(fi) > 1600000000000LL);
    assert_non_null(strstr(dbx_dbfs_file_info_json(fi), "\"file_size\":5"));
    dbx_dbfs_file_info_free(fi);

    assert_int_equal(dbx_dbfs_mkdirs(C, "/t/sub/deeper"), DBX_OK);
    req = emu_last_request(e, API "/mkdirs");
    assert_string_equal(req_str(req, "path"), "/t/sub/deeper");
    assert_int_equal(json_object_size(json_object_get(req, "json")), 1);
    json_decref(req);
    assert_int_equal(dbx_dbfs_get_status(&fi, C, "/t/sub"), DBX_OK);
    assert_int_equal(dbx_dbfs_file_info_is_dir(fi), 1);
    assert_int_equal(dbx_dbfs_file_info_file_size(fi), 0);
    dbx_dbfs_file_info_free(fi);
    /* a file in the way */
    assert_int_equal(dbx_dbfs_mkdirs(C, "/t/a.txt/x"), DBX_EEXISTS);
    assert_string_equal(dbx_client_last_error(C)->error_code, "RESOURCE_ALREADY_EXISTS");

    dbx_dbfs_iter *it = NULL;
    emu_clear_requests(e);
    assert_int_equal(dbx_dbfs_list(&it, C, "/t"), DBX_OK);
    assert_int_equal(emu_count(e, NULL), 0); /* no request until _next */
    const dbx_dbfs_file_info *item;
    assert_int_equal(dbx_dbfs_iter_next(&item, it), DBX_OK);
    assert_string_equal(dbx_dbfs_file_info_path(item), "/t/a.txt");
    assert_int_equal(dbx_dbfs_file_info_file_size(item), 5);
    assert_int_equal(dbx_dbfs_iter_next(&item, it), DBX_OK);
    assert_string_equal(dbx_dbfs_file_info_path(item), "/t/sub");
    assert_int_equal(dbx_dbfs_file_info_is_dir(item), 1);
    assert_int_equal(dbx_dbfs_iter_next(&item, it), DBX_DONE);
    dbx_dbfs_iter_free(it);
    assert_int_equal(emu_count(e, API "/list"), 1);
    req = emu_last_request(e, API "/list");
    assert_string_equal(emu_req_query(req, "path"), "/t");
    assert_null(emu_req_query(req, "page_token"));
    json_decref(req);

    /* an empty directory: the service leaves "files" out */
    assert_int_equal(dbx_dbfs_list(&it, C, "/t/sub/deeper"), DBX_OK);
    assert_int_equal(dbx_dbfs_iter_next(&item, it), DBX_DONE);
    dbx_dbfs_iter_free(it);
    /* a missing one */
    assert_int_equal(dbx_dbfs_list(&it, C, "/nope"), DBX_OK);
    assert_int_equal(dbx_dbfs_iter_next(&item, it), DBX_ENOTFOUND);
    assert_null(item);
    dbx_dbfs_iter_free(it);
    expect_missing("/t/none");
}

static void test_put_overwrite_and_limits(void **state)
{
    (void)state;
    emu *e = emu_get();
    assert_int_equal(dbx_dbfs_put(C, "/p/f", "one", 3, 0), DBX_OK);
    assert_int_equal(dbx_dbfs_put(C, "/p/f", "two!", 4, 0), DBX_EEXISTS);
    assert_string_equal(dbx_client_last_error(C)->error_code, "RESOURCE_ALREADY_EXISTS");
    download_expect("/p/f", "one", 3);
    assert_int_equal(dbx_dbfs_put(C, "/p/f", "two!", 4, 1), DBX_OK);
    json_t *req = emu_last_request(e, API "/put");
    assert_true(json_is_true(emu_req_json(req, "overwrite")));
    json_decref(req);
    download_expect("/p/f", "two!", 4);
    /* empty, with NULL data */
    assert_int_equal(dbx_dbfs_put(C, "/p/empty", NULL, 0, 0), DBX_OK);
    download_expect("/p/empty", "", 0);
    /* exactly 1 MB is fine */
    char *big = pattern(7, MB + 1);
    assert_int_equal(dbx_dbfs_put(C, "/p/mb", big, MB, 0), DBX_OK);
    download_expect("/p/mb", big, MB);
    emu_clear_requests(e);
    expect_local_einval(dbx_dbfs_put(C, "/p/over", big, MB + 1, 0), "len");
    expect_local_einval(dbx_dbfs_put(C, "/p/null", NULL, 3, 0), "data");
    free(big);
}

static void test_bad_input(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_clear_requests(e);
    dbx_dbfs_file_info *fi = (dbx_dbfs_file_info *)1;
    expect_local_einval(dbx_dbfs_get_status(&fi, C, NULL), "path");
    assert_null(fi);
    expect_local_einval(dbx_dbfs_get_status(NULL, C, "/x"), "out");
    const char *bad[] = {"", "relative/x", "dbfs:x", "dbfs:", "/a/../b", "/a/./b", "/..", "/a/\x01", "/a\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        expect_local_einval(dbx_dbfs_get_status(&fi, C, bad[i]), "path");
        expect_local_einval(dbx_dbfs_mkdirs(C, bad[i]), "path");
        expect_local_einval(dbx_dbfs_delete(C, bad[i], 1), "path");
        expect_local_einval(dbx_dbfs_put(C, bad[i], "x", 1, 0), "path");
    }
    expect_local_einval(dbx_dbfs_get_status(&fi, C, "/a/\xff"), "path");
    expect_local_einval(dbx_dbfs_move(C, "/a", "b"), "destination_path");
    expect_local_einval(dbx_dbfs_move(C, NULL, "/b"), "source_path");
    dbx_dbfs_iter *it = NULL;
    expect_local_einval(dbx_dbfs_list(&it, C, "x"), "path");
    assert_null(it);
    expect_local_einval(dbx_dbfs_upload(C, "/u", NULL, NULL), "source");
    dbx_source nores = DBX_SOURCE_INIT;
    expect_local_einval(dbx_dbfs_upload(C, "/u", &nores, NULL), "read");
    gen g;
    dbx_source s = gen_source(&g, 1, 10, 1, 1);
    expect_local_einval(dbx_dbfs_upload(C, "rel", &s, NULL), "path");
    dbx_dbfs_upload_options uo = DBX_DBFS_UPLOAD_OPTIONS_INIT;
    uo.max_restarts = 11;
    expect_local_einval(dbx_dbfs_upload(C, "/u", &s, &uo), "max_restarts");
    uo.max_restarts = 0;
    uo.version = 99;
    expect_local_einval(dbx_dbfs_upload(C, "/u", &s, &uo), "version");
    expect_local_einval(dbx_dbfs_upload_file(C, "/u", NULL, NULL), "local_path");
    expect_local_einval(dbx_dbfs_download(C, "/u", NULL, NULL, NULL), "sink");
    expect_local_einval(dbx_dbfs_download(C, "u", mem_sink_fn, NULL, NULL), "path");
    expect_local_einval(dbx_dbfs_download_file(C, "/u", NULL, NULL), "local_path");
    dbx_dbfs_download_options dopt = DBX_DBFS_DOWNLOAD_OPTIONS_INIT;
    dopt.version = 0;
    expect_local_einval(dbx_dbfs_download_file(C, "/u", "/tmp/x", &dopt), "version");
    assert_int_equal(dbx_dbfs_mkdirs(NULL, "/x"), DBX_EINVAL);
    /* a long but valid path and "dbfs:/" work */
    assert_int_equal(dbx_dbfs_put(C, "dbfs:/ok/f", "x", 1, 0), DBX_OK);
    json_t *req = emu_last_request(e, API "/put");
    assert_string_equal(req_str(req, "path"), "dbfs:/ok/f");
    json_decref(req);
    /* NULL-safe accessors and frees */
    assert_string_equal(dbx_dbfs_file_info_path(NULL), "");
    assert_int_equal(dbx_dbfs_file_info_file_size(NULL), 0);
    dbx_dbfs_file_info_free(NULL);
    dbx_dbfs_iter_free(NULL);
}

static void test_move_and_delete(void **state)
{
    (void)state;
    emu *e = emu_get();
    assert_int_equal(dbx_dbfs_put(C, "/m/d/f1", "1", 1, 0), DBX_OK);
    assert_int_equal(dbx_dbfs_put(C, "/m/other", "2", 1, 0), DBX_OK);
    assert_int_equal(dbx_dbfs_move(C, "/m/d", "/m/e"), DBX_OK);
    json_t *req = emu_last_request(e, API "/move");
    assert_string_equal(req_str(req, "source_path"), "/m/d");
    assert_string_equal(req_str(req, "destination_path"), "/m/e");
    json_decref(req);
    download_expect("/m/e/f1", "1", 1);
    expect_missing("/m/d");
    assert_int_equal(dbx_dbfs_move(C, "/m/d", "/m/z"), DBX_ENOTFOUND);
    assert_int_equal(dbx_dbfs_move(C, "/m/other", "/m/e/f1"), DBX_EEXISTS);

    /* non-empty directory without recursive: IO_ERROR */
    dbx_status st = dbx_dbfs_delete(C, "/m/e", 0);
    assert_true(st < 0);
    assert_string_equal(dbx_client_last_error(C)->error_code, "IO_ERROR");
    req = emu_last_request(e, API "/delete");
    assert_true(json_is_false(emu_req_json(req, "recursive")));
    assert_string_equal(req_str(req, "path"), "/m/e");
    json_decref(req);
    assert_int_equal(dbx_dbfs_delete(C, "/m/e", 1), DBX_OK);
    req = emu_last_request(e, API "/delete");
    assert_true(json_is_true(emu_req_json(req, "recursive")));
    json_decref(req);
    expect_missing("/m/e/f1");
    assert_int_equal(dbx_dbfs_delete(C, "/m/other", 0), DBX_OK);
    expect_missing("/m/other");
}

/* Which calls the pipeline may repeat after a 500 (the server may have acted). */
static void test_retry_rules(void **state)
{
    (void)state;
    emu *e = emu_get();
    const char *f500 = "{\"method\":\"POST\",\"path_prefix\":\"" API "/\",\"action\":\"status\",\"status\":500,\"times\":1}";
    emu_fault(e, f500);
    assert_int_equal(dbx_dbfs_mkdirs(C, "/r/d"), DBX_OK); /* idempotent: retried */
    assert_int_equal(emu_count(e, API "/mkdirs"), 2);
    emu_fault(e, f500);
    assert_int_equal(dbx_dbfs_put(C, "/r/f", "a", 1, 1), DBX_OK); /* overwrite: retried */
    assert_int_equal(emu_count(e, API "/put"), 2);
    emu_fault(e, f500);
    assert_int_equal(dbx_dbfs_put(C, "/r/g", "a", 1, 0), DBX_ESERVER); /* not retried */
    assert_int_equal(emu_count(e, API "/put"), 3);
    emu_fault(e, f500);
    assert_int_equal(dbx_dbfs_move(C, "/r/f", "/r/h"), DBX_ESERVER); /* not retried */
    assert_int_equal(emu_count(e, API "/move"), 1);
    emu_fault(e, f500);
    assert_int_equal(dbx_dbfs_delete(C, "/r", 1), DBX_OK); /* idempotent: retried */
    assert_int_equal(emu_count(e, API "/delete"), 2);
    expect_missing("/r/f");
}

/* ---- streamed round trips -------------------------------------------------------------------- */

static void round_trip(const char *path, size_t len, int rewindable, int size_known)
{
    emu *e = emu_get();
    emu_clear_requests(e);
    gen g;
    dbx_source s = gen_source(&g, len + 3, len, rewindable, size_known);
    dbx_dbfs_upload_options uo = DBX_DBFS_UPLOAD_OPTIONS_INIT;
    uo.overwrite = 1;
    assert_int_equal(dbx_dbfs_upload(C, path, &s, &uo), DBX_OK);
    size_t blocks = (len + MB - 1) / MB;
    assert_int_equal(emu_count(e, API "/create"), 1);
    assert_int_equal(emu_count(e, API "/add-block"), blocks);
    assert_int_equal(emu_count(e, API "/close"), 1);
    json_t *cr = emu_last_request(e, API "/create");
    assert_string_equal(req_str(cr, "path"), path);
    assert_true(json_is_true(emu_req_json(cr, "overwrite")));
    json_decref(cr);
    json_t *cl = emu_last_request(e, API "/close");
    json_int_t handle = json_integer_value(emu_req_json(cl, "handle"));
    assert_true(handle > ((json_int_t)1 << 32)); /* int64 handles survive */
    assert_int_equal(json_object_size(json_object_get(cl, "json")), 1);
    json_decref(cl);
    json_t *blocks_sent = emu_requests_to(e, API "/add-block");
    for (size_t i = 0; i < json_array_size(blocks_sent); i++)
        assert_int_equal(json_integer_value(emu_req_json(json_array_get(blocks_sent, i), "handle")), handle);
    json_decref(blocks_sent);

    dbx_dbfs_file_info *fi = NULL;
    assert_int_equal(dbx_dbfs_get_status(&fi, C, path), DBX_OK);
    assert_int_equal(dbx_dbfs_file_info_file_size(fi), (int64_t)len);
    dbx_dbfs_file_info_free(fi);

    emu_clear_requests(e);
    char *want = pattern(len + 3, len);
    download_expect(path, want, len);
    free(want);
    assert_int_equal(emu_count(e, API "/get-status"), 1);
    json_t *reads = emu_requests_to(e, API "/read");
    assert_int_equal(json_array_size(reads), blocks);
    for (size_t i = 0; i < blocks; i++) {
        json_t *r = json_array_get(reads, i);
        char off[32], lenq[32];
        snprintf(off, sizeof off, "%zu", i * (size_t)MB);
        snprintf(lenq, sizeof lenq, "%zu", len - i * MB < (size_t)MB ? len - i * MB : (size_t)MB);
        assert_string_equal(emu_req_query(r, "offset"), off);
        assert_string_equal(emu_req_query(r, "length"), lenq);
        assert_string_equal(emu_req_query(r, "path"), path);
    }
    json_decref(reads);
}

static void test_round_trips(void **state)
{
    (void)state;
    const size_t sizes[] = {0, 1, MB - 1, MB, MB + 1, 3 * MB + MB / 2};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        char path[64];
        snprintf(path, sizeof path, "/rt/f%zu", i);
        round_trip(path, sizes[i], (int)(i % 2), i != 2);
    }
}

static int record_progress(void *payload, uint64_t done, int64_t total)
{
    long *p = payload; /* [calls, last done, last total] */
    p[0]++;
    p[1] = (long)done;
    p[2] = (long)total;
    return 0;
}

static void test_file_round_trip(void **state)
{
    (void)state;
    emu *e = emu_get();
    size_t len = 2 * MB + 12345;
    char *data = pattern(99, len);
    char *src = temp_path("up.bin"), *dst = temp_path("down.bin");
    write_file(src, data, len);
    long prog[3] = {0, 0, 0};
    dbx_dbfs_upload_options uo = DBX_DBFS_UPLOAD_OPTIONS_INIT;
    uo.on_progress = record_progress;
    uo.payload = prog;
    assert_int_equal(dbx_dbfs_upload_file(C, "/files/x.bin", src, &uo), DBX_OK);
    assert_int_equal(prog[0], 3);
    assert_int_equal(prog[1], (long)len);
    assert_int_equal(prog[2], (long)len);
    assert_int_equal(emu_count(e, API "/add-block"), 3);
    /* existing without overwrite */
    assert_int_equal(dbx_dbfs_upload_file(C, "/files/x.bin", src, NULL), DBX_EEXISTS);
    assert_int_equal(dbx_dbfs_upload_file(C, "/files/y.bin", "/nonexistent/file", NULL), DBX_ENOTFOUND);

    long dprog[3] = {0, 0, 0};
    dbx_dbfs_download_options dopt = DBX_DBFS_DOWNLOAD_OPTIONS_INIT;
    dopt.on_progress = record_progress;
    dopt.payload = dprog;
    assert_int_equal(dbx_dbfs_download_file(C, "/files/x.bin", dst, &dopt), DBX_OK);
    assert_int_equal(dprog[0], 3);
    assert_int_equal(dprog[1], (long)len);
    size_t got_len;
    char *got = read_file(dst, &got_len);
    assert_int_equal(got_len, len);
    assert_memory_equal(got, data, len);
    free(got);
    /* the local file exists now */
    assert_int_equal(dbx_dbfs_download_file(C, "/files/x.bin", dst, NULL), DBX_EEXISTS);
    dopt.overwrite = 1;
    dopt.on_progress = NULL;
    assert_int_equal(dbx_dbfs_download_file(C, "/files/x.bin", dst, &dopt), DBX_OK);
    /* missing remote file: nothing local is created */
    char *dst2 = temp_path("missing.bin");
    assert_int_equal(dbx_dbfs_download_file(C, "/files/none", dst2, NULL), DBX_ENOTFOUND);
    assert_int_equal(access(dst2, F_OK), -1);
    expect_no_partial(dst2);
    /* a directory cannot be downloaded */
    mem_sink m = {NULL, 0, 0, 0, -1};
    assert_int_equal(dbx_dbfs_download(C, "/files", mem_sink_fn, &m, NULL), DBX_EINVALIDPARAM);
    assert_int_equal(m.calls, 0);
    unlink(src);
    unlink(dst);
    free(src);
    free(dst);
    free(dst2);
    free(data);
}

/* ---- failures --------------------------------------------------------------------------------- */

static void test_nonrewindable_not_retried(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_fault(e, "{\"method\":\"POST\",\"path\":\"" API "/add-block\",\"action\":\"status\",\"status\":500,"
                 "\"after\":1,\"times\":1}");
    gen g;
    dbx_source s = gen_source(&g, 5, 3 * MB, 0, 1);
    assert_int_equal(dbx_dbfs_upload(C, "/f/nr", &s, NULL), DBX_ESERVER);
    const dbx_error *err = dbx_client_last_error(C);
    assert_int_equal(err->http_status, 500);
    assert_string_equal(err->path, API "/add-block"); /* the failure, not the cleanup */
    assert_int_equal(emu_count(e, API "/create"), 1);
    assert_int_equal(emu_count(e, API "/add-block"), 2);
    assert_int_equal(emu_count(e, API "/close"), 1);
    json_t *del = emu_last_request(e, API "/delete");
    assert_non_null(del);
    assert_string_equal(req_str(del, "path"), "/f/nr");
    json_decref(del);
    expect_missing("/f/nr");
    assert_int_equal(g.rewinds, 0);
}

static void test_dropped_block_not_resent(void **state)
{
    (void)state;
    emu *e = emu_get();
    /* the connection dies after the block was sent (twice: libcurl's own
     * resend on a reused connection is dropped too) */
    emu_fault(e, "{\"method\":\"POST\",\"path\":\"" API "/add-block\",\"action\":\"drop\",\"after\":1,\"times\":2}");
    gen g;
    dbx_source s = gen_source(&g, 6, 2 * MB + 5, 0, 0);
    assert_int_equal(dbx_dbfs_upload(C, "/f/drop", &s, NULL), DBX_ETRANSPORT);
    assert_int_equal(emu_count(e, API "/create"), 1);
    assert_true(emu_count(e, API "/add-block") <= 3);
    expect_missing("/f/drop");
}

static void test_rewindable_restarts(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_fault(e, "{\"method\":\"POST\",\"path\":\"" API "/add-block\",\"action\":\"status\",\"status\":500,"
                 "\"after\":2,\"times\":1}");
    gen g;
    size_t len = 3 * MB + 17;
    dbx_source s = gen_source(&g, 8, len, 1, 1);
    assert_int_equal(dbx_dbfs_upload(C, "/f/rw", &s, NULL), DBX_OK);
    assert_int_equal(g.rewinds, 1);
    assert_int_equal(emu_count(e, API "/create"), 2);
    assert_int_equal(emu_count(e, API "/add-block"), 3 + 4);
    char *want = pattern(8, len);
    download_expect("/f/rw", want, len);
    free(want);

    /* the same with restarts disabled */
    emu_clear_requests(e);
    emu_fault(e, "{\"method\":\"POST\",\"path\":\"" API "/close\",\"action\":\"status\",\"status\":500,\"times\":1}");
    dbx_dbfs_upload_options uo = DBX_DBFS_UPLOAD_OPTIONS_INIT;
    uo.max_restarts = -1;
    s = gen_source(&g, 8, 10, 1, 1);
    assert_int_equal(dbx_dbfs_upload(C, "/f/rw2", &s, &uo), DBX_ESERVER);
    assert_int_equal(g.rewinds, 0);
    assert_int_equal(emu_count(e, API "/create"), 1);
    expect_missing("/f/rw2");

    /* a definite answer (4xx) is not restarted either */
    emu_fault(e, "{\"method\":\"POST\",\"path\":\"" API "/add-block\",\"action\":\"status\",\"status\":400,\"times\":1}");
    s = gen_source(&g, 8, 10, 1, 1);
    assert_int_equal(dbx_dbfs_upload(C, "/f/rw3", &s, NULL), DBX_EBADREQUEST);
    assert_int_equal(g.rewinds, 0);
    expect_missing("/f/rw3");
}

/* A source that stalls for 11 minutes (on the emulator's virtual clock)
 * before its second block: the stream handle expires meanwhile. */
static int slow_read(void *payload, char *buf, size_t cap, size_t *n)
{
    gen *g = payload;
    if (g->pos == MB && g->rewinds == 0) {
        emu_advance(emu_get(), 11 * 60 * 1000);
        g->rewinds = -1; /* once */
    }
    return gen_read(payload, buf, cap, n);
}

static void test_handle_expires(void **state)
{
    (void)state;
    emu *e = emu_get();
    gen g;
    dbx_source s = gen_source(&g, 12, 2 * MB, 1, 1);
    s.read = slow_read;
    g.chunk = MB;
    assert_int_equal(dbx_dbfs_upload(C, "/x/slow", &s, NULL), DBX_ENOTFOUND);
    assert_string_equal(dbx_client_last_error(C)->error_code, "RESOURCE_DOES_NOT_EXIST");
    assert_string_equal(dbx_client_last_error(C)->path, API "/add-block");
    assert_int_equal(emu_count(e, API "/create"), 1); /* a definite answer: no restart */
    assert_int_equal(emu_count(e, API "/add-block"), 2);
    expect_missing("/x/slow");
}

static int stop_progress(void *payload, uint64_t done, int64_t total)
{
    (void)payload;
    (void)total;
    return done >= MB;
}

static void test_source_refuses_or_lies(void **state)
{
    (void)state;
    emu *e = emu_get();
    gen g;
    dbx_source s = gen_source(&g, 9, 3 * MB, 1, 1);
    g.refuse_at = MB + 10;
    assert_int_equal(dbx_dbfs_upload(C, "/f/refuse", &s, NULL), DBX_ECANCELLED);
    assert_int_equal(g.rewinds, 0);
    assert_int_equal(emu_count(e, API "/create"), 1);
    assert_int_equal(emu_count(e, API "/add-block"), 1);
    expect_missing("/f/refuse");

    /* more bytes than the declared size */
    s = gen_source(&g, 9, 100, 1, 1);
    s.size = 50;
    dbx_status st = dbx_dbfs_upload(C, "/f/lie", &s, NULL);
    assert_int_equal(st, DBX_EINVAL);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "declared size"));
    expect_missing("/f/lie");
    /* fewer */
    s = gen_source(&g, 9, 100, 1, 1);
    s.size = 150;
    assert_int_equal(dbx_dbfs_upload(C, "/f/lie", &s, NULL), DBX_EINVAL);
    expect_missing("/f/lie");

    /* on_progress stops it */
    dbx_dbfs_upload_options uo = DBX_DBFS_UPLOAD_OPTIONS_INIT;
    uo.on_progress = stop_progress;
    s = gen_source(&g, 9, 3 * MB, 1, 1);
    assert_int_equal(dbx_dbfs_upload(C, "/f/stop", &s, &uo), DBX_ECANCELLED);
    expect_missing("/f/stop");

    /* existing file without overwrite: nothing is deleted */
    assert_int_equal(dbx_dbfs_put(C, "/f/keep", "keep", 4, 0), DBX_OK);
    s = gen_source(&g, 9, 10, 1, 1);
    assert_int_equal(dbx_dbfs_upload(C, "/f/keep", &s, NULL), DBX_EEXISTS);
    download_expect("/f/keep", "keep", 4);
}

static void test_sink_refuses(void **state)
{
    (void)state;
    size_t len = 2 * MB + 1;
    gen g;
    dbx_source s = gen_source(&g, 10, len, 1, 1);
    assert_int_equal(dbx_dbfs_upload(C, "/s/f", &s, NULL), DBX_OK);
    mem_sink m = {NULL, 0, 0, 0, 1};
    assert_int_equal(dbx_dbfs_download(C, "/s/f", mem_sink_fn, &m, NULL), DBX_ECANCELLED);
    assert_int_equal(m.calls, 1);
    assert_int_equal(m.len, MB);
    assert_int_equal(emu_count(emu_get(), API "/read"), 2);
    free(m.data);
    /* into a file: progress refusal removes the partial local file */
    char *dst = temp_path("refused.bin");
    dbx_dbfs_download_options dopt = DBX_DBFS_DOWNLOAD_OPTIONS_INIT;
    dopt.on_progress = stop_progress;
    assert_int_equal(dbx_dbfs_download_file(C, "/s/f", dst, &dopt), DBX_ECANCELLED);
    assert_int_equal(access(dst, F_OK), -1);
    expect_no_partial(dst);
    free(dst);
}

static void expect_bad_read(const char *body, const char *needle)
{
    emu *e = emu_get();
    char rule[512];
    snprintf(rule, sizeof rule,
             "{\"method\":\"GET\",\"path\":\"" API "/read\",\"action\":\"malformed\",\"body\":\"%s\",\"times\":1}", body);
    emu_fault(e, rule);
    mem_sink m = {NULL, 0, 0, 0, -1};
    assert_int_equal(dbx_dbfs_download(C, "/h/f", mem_sink_fn, &m, NULL), DBX_EBADRESPONSE);
    if (!strstr(dbx_client_last_error(C)->message, needle))
        fail_msg("message \"%s\" lacks \"%s\"", dbx_client_last_error(C)->message, needle);
    assert_int_equal(m.calls, 0);
    free(m.data);
    emu_clear_faults(e);
}

static void test_hostile_read_answers(void **state)
{
    (void)state;
    assert_int_equal(dbx_dbfs_put(C, "/h/f", "hello world", 11, 0), DBX_OK);
    /* the file shrank: no progress before the known size */
    expect_bad_read("{\\\"bytes_read\\\":0,\\\"data\\\":\\\"\\\"}", "shrank");
    /* bytes_read disagrees with the data */
    expect_bad_read("{\\\"bytes_read\\\":5,\\\"data\\\":\\\"aGVsbG8h\\\"}", "bytes_read");
    /* more than asked */
    expect_bad_read("{\\\"bytes_read\\\":12,\\\"data\\\":\\\"aGVsbG8gd29ybGQhIQ==\\\"}", "more than");
    /* not strict base64 */
    expect_bad_read("{\\\"bytes_read\\\":3,\\\"data\\\":\\\"a$b=\\\"}", "base64");
    expect_bad_read("{\\\"bytes_read\\\":\\\"x\\\",\\\"data\\\":\\\"\\\"}", "bytes_read");
    expect_bad_read("{\\\"bytes_read\\\":3,\\\"data\\\":7}", "not a string");
    /* int64 as a decimal string is fine */
    emu_fault(emu_get(), "{\"method\":\"GET\",\"path\":\"" API "/read\",\"action\":\"malformed\","
                         "\"body\":\"{\\\"bytes_read\\\":\\\"11\\\",\\\"data\\\":\\\"aGVsbG8gd29ybGQ=\\\"}\"}");
    download_expect("/h/f", "hello world", 11);
    /* a hostile FileInfo */
    emu_fault(emu_get(), "{\"method\":\"GET\",\"path\":\"" API "/get-status\",\"action\":\"malformed\","
                         "\"body\":\"{\\\"path\\\":\\\"/h/f\\\",\\\"file_size\\\":-5}\"}");
    dbx_dbfs_file_info *fi = NULL;
    assert_int_equal(dbx_dbfs_get_status(&fi, C, "/h/f"), DBX_EBADRESPONSE);
    assert_null(fi);
}

/* ---- PARTIAL_DELETE ----------------------------------------------------------------------------- */

static void tweak_budget(dbx_client_options *o, void *ud)
{
    o->retry_timeout_ms = *(long *)ud;
}

static void test_partial_delete_loop(void **state)
{
    (void)state;
    emu *e = emu_get();
    for (int i = 0; i < 40; i++) {
        char p[64];
        snprintf(p, sizeof p, "/big/d%d/f%d", i % 4, i);
        assert_int_equal(dbx_dbfs_put(C, p, "x", 1, 0), DBX_OK);
    }
    /* 45 entries, 3 per call: 15 calls, more than one pipeline's 10 attempts */
    emu_config(e, "{\"dbfs_delete_batch\":3}");
    emu_clear_requests(e);
    /* 14 jittered backoffs take 60..100 s of (fake) time: a budget that holds them all
     * (the harness's clients have 60 s, which the jitter may or may not exceed) */
    long roomy = 300000;
    dbx_client *big = emu_client_with(e, tweak_budget, &roomy);
    assert_int_equal(dbx_dbfs_delete(big, "/big", 1), DBX_OK);
    dbx_client_free(big);
    assert_int_equal(emu_count(e, API "/delete"), 15);
    expect_missing("/big");
    assert_true(fake_clock_slept_total() > 0); /* the pipeline's backoff, on the fake clock */

    /* a small budget runs out: DBX_EUNAVAILABLE with PARTIAL_DELETE, and calling again continues */
    for (int i = 0; i < 40; i++) {
        char p[64];
        snprintf(p, sizeof p, "/big2/f%d", i);
        assert_int_equal(dbx_dbfs_put(C, p, "x", 1, 0), DBX_OK);
    }
    long tight = 5000;
    dbx_client *small = emu_client_with(e, tweak_budget, &tight);
    emu_clear_requests(e);
    assert_int_equal(dbx_dbfs_delete(small, "/big2", 1), DBX_EUNAVAILABLE);
    const dbx_error *err = dbx_client_last_error(small);
    assert_string_equal(err->error_code, "PARTIAL_DELETE");
    size_t calls = emu_count(e, API "/delete");
    assert_true(calls >= 1 && calls < 14);
    emu_config(e, "{\"dbfs_delete_batch\":0}");
    assert_int_equal(dbx_dbfs_delete(small, "/big2", 1), DBX_OK);
    expect_missing("/big2");
    dbx_client_free(small);
}

/* ---- memory bound ------------------------------------------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

typedef struct sum_sink {
    uint64_t n, h;
} sum_sink;

static int sum_fn(void *payload, const char *data, size_t len)
{
    sum_sink *s = payload;
    for (size_t i = 0; i < len; i++)
        s->h = (s->h ^ (unsigned char)data[i]) * 0x100000001b3ull; /* FNV-1a */
    s->n += len;
    return 0;
}

static uint64_t pattern_sum(uint64_t seed, uint64_t len)
{
    char buf[65536];
    sum_sink s = {0, 0xcbf29ce484222325ull};
    for (uint64_t pos = 0; pos < len; pos += sizeof buf) {
        size_t k = len - pos < sizeof buf ? (size_t)(len - pos) : sizeof buf;
        fill_pattern(buf, seed, pos, k);
        sum_fn(&s, buf, k);
    }
    return s.h;
}

/* A client for the emulator at `base` made without the harness (the
 * re-executed child below has no emulator of its own). */
static dbx_client *child_client(const char *base)
{
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.host = base;
    o.token = EMU_TOKEN;
    o.no_env = 1;
    o.no_config_file = 1;
    dbx_client *c = NULL;
    return dbx_client_new(&c, &o) == DBX_OK ? c : NULL;
}

#define BIG_LEN (200ull * MB)

/* What a child does: "baseline" makes one small call, "big" uploads and
 * downloads 200 MB (a generated source, a checksumming sink). */
static int child_work(const char *mode, const char *base)
{
    dbx_client *c = child_client(base);
    if (!c)
        return 1;
    int rc = 0;
    if (strcmp(mode, "baseline") == 0) {
        dbx_dbfs_file_info *fi = NULL;
        rc = dbx_dbfs_get_status(&fi, c, "/") == DBX_OK ? 0 : 1;
        dbx_dbfs_file_info_free(fi);
    } else {
        gen g;
        dbx_source s = gen_source(&g, 4242, BIG_LEN, 1, 1);
        g.chunk = 64 * 1024;
        sum_sink sum = {0, 0xcbf29ce484222325ull};
        if (dbx_dbfs_upload(c, "/mem/big.bin", &s, NULL) != DBX_OK) {
            fprintf(stderr, "upload: %s\n", dbx_client_last_error(c)->message);
            rc = 2;
        } else if (dbx_dbfs_download(c, "/mem/big.bin", sum_fn, &sum, NULL) != DBX_OK) {
            fprintf(stderr, "download: %s\n", dbx_client_last_error(c)->message);
            rc = 3;
        } else if (sum.n != BIG_LEN || sum.h != pattern_sum(4242, BIG_LEN)) {
            rc = 4;
        }
    }
    dbx_client_free(c);
    return rc;
}

/* This process's peak RSS in KB (VmHWM), or -1. */
static long own_hwm_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

/* The re-executed child (ASan builds): the work, then its own VmHWM into
 * the file `out`. */
static int exec_child_main(const char *mode, const char *base, const char *out)
{
    int rc = child_work(mode, base);
    FILE *f = fopen(out, "w");
    if (!f)
        return 5;
    fprintf(f, "%ld\n", own_hwm_kb());
    return fclose(f) == 0 ? rc : 5;
}

/* Run child_work(mode) in a child and return its exit status, with its
 * peak RSS in *rss_kb: RUSAGE_CHILDREN's ru_maxrss after the wait (the
 * largest child so far; a forked child starts with this process's
 * resident pages, so this is an upper bound).
 * Under ASan the child re-executes this program with ASan's quarantine
 * off: the quarantine keeps freed blocks resident by design (256 MB by
 * default), which measures ASan, not libdbx. Linux carries the pre-exec
 * peak into ru_maxrss across execve, so there the child reports its own
 * VmHWM (a fresh address space) through a file. */
static int in_child(const char *mode, long *rss_kb)
{
    const char *base = emu_get()->base;
    char *hwm_file = temp_path(mode);
    /* DBX_TEST_DBFS_EXEC=1: a fresh process in any build (its own VmHWM) */
    int use_exec = UNDER_ASAN || (getenv("DBX_TEST_DBFS_EXEC") && *getenv("DBX_TEST_DBFS_EXEC") == '1');
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (use_exec) {
            char opts[1024];
            const char *old = getenv("ASAN_OPTIONS");
            snprintf(opts, sizeof opts, "%s%squarantine_size_mb=0:thread_local_quarantine_size_kb=0",
                     old ? old : "", old && *old ? ":" : "");
            setenv("ASAN_OPTIONS", opts, 1);
            execl("/proc/self/exe", "test_dbfs", "--dbfs-memory-child", mode, base, hwm_file, (char *)NULL);
            _exit(127);
        }
        _exit(child_work(mode, base));
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    struct rusage ru;
    assert_int_equal(getrusage(RUSAGE_CHILDREN, &ru), 0);
    *rss_kb = ru.ru_maxrss;
    if (use_exec) {
        FILE *f = fopen(hwm_file, "r");
        assert_non_null(f);
        assert_int_equal(fscanf(f, "%ld", rss_kb), 1);
        fclose(f);
        unlink(hwm_file);
    }
    free(hwm_file);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

static void test_memory_bound_200mb(void **state)
{
    (void)state;
    if (getenv("DBX_TEST_UNDER_VALGRIND")) {
        skip();
        return;
    }
    long base_kb = 0, big_kb = 0;
    assert_int_equal(in_child("baseline", &base_kb), 0);
    assert_int_equal(in_child("big", &big_kb), 0);
    long bound_kb = 32 * 1024;
    /* ASan's shadow memory and runtime inflate RSS whatever libdbx holds:
     * there the bound applies to the growth over a child that made one
     * small call (quarantine off, see in_child). */
    long measured = UNDER_ASAN ? big_kb - base_kb : big_kb;
    printf("dbfs memory bound: 200 MB upload + download, peak RSS %ld KB (baseline child %ld KB, "
           "growth %ld KB)%s; bound %ld KB\n", big_kb, base_kb, big_kb - base_kb,
           UNDER_ASAN ? " under ASan: bounding the growth" : "", bound_kb);
    assert_true(measured < bound_kb);
    assert_int_equal(dbx_dbfs_delete(C, "/mem", 1), DBX_OK);
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--dbfs-memory-child") == 0)
        return exec_child_main(argv[2], argv[3], argv[4]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_get_status_list_mkdirs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_overwrite_and_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_move_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonrewindable_not_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dropped_block_not_resent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewindable_restarts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_refuses_or_lies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handle_expires, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sink_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_read_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partial_delete_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_bound_200mb, setup, teardown),
    };
    return cmocka_run_group_tests_name("dbfs", tests, NULL, NULL);
}
