/*
 * Files API against the emulator over HTTP: every public function,
 * asserting on the requests libdbx sent (the emulator's request log, the
 * storage host's included) and on the results; byte-exact round trips,
 * multipart with presigned URLs, retries, fallback, resumed downloads, and
 * the memory bound of 200 MB transfers.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static dbx_client *C;
#define MiB (1024L * 1024)
#define VOL "/Volumes/main/default/vol"
#define FILES_API "/api/2.0/fs/files"
#define DIRS_API "/api/2.0/fs/directories"

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

/* deterministic bytes: a different pattern per seed */
static char *make_data(size_t n, unsigned seed)
{
    char *d = malloc(n ? n : 1);
    assert_non_null(d);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        d[i] = (char)(x >> 16);
    }
    return d;
}

typedef struct membuf {
    char *p;
    size_t len, cap;
    int calls;
    int (*hook)(struct membuf *m); /* called once, at the first chunk */
} membuf;

static int mem_sink(void *payload, const char *data, size_t len)
{
    membuf *m = payload;
    if (m->calls++ == 0 && m->hook && m->hook(m) != 0)
        return 1;
    if (m->len + len > m->cap) {
        m->cap = (m->len + len) * 2;
        m->p = realloc(m->p, m->cap);
        assert_non_null(m->p);
    }
    memcpy(m->p + m->len, data, len);
    m->len += len;
    return 0;
}

static void download_to(const char *path, membuf *m)
{
    memset(m, 0, sizeof *m);
    assert_int_equal(dbx_files_download(C, path, mem_sink, m, NULL), DBX_OK);
}

static void expect_content(const char *path, const char *data, size_t n)
{
    membuf m;
    download_to(path, &m);
    assert_int_equal(m.len, n);
    if (n)
        assert_memory_equal(m.p, data, n);
    free(m.p);
}

static const char *last_message(void) { return dbx_client_last_error(C)->message; }

/* ---- single PUT, GET, HEAD, DELETE -------------------------------------------------------- */

static void test_roundtrip_small_sizes(void **state)
{
    (void)state;
    emu *e = emu_get();
    static const size_t sizes[] = {0, 1, 3 * MiB + 17};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        char path[128];
        snprintf(path, sizeof path, VOL "/dir one/f%zu.bin", i);
        char *d = make_data(sizes[i], (unsigned)i + 1);
        emu_clear_requests(e);
        assert_int_equal(dbx_files_upload_buffer(C, path, d, sizes[i], NULL), DBX_OK);
        json_t *reqs = emu_requests(e);
        assert_int_equal(json_array_size(reqs), 1); /* one PUT: no multipart below the threshold */
        json_t *r = json_array_get(reqs, 0);
        assert_string_equal(json_string_value(json_object_get(r, "method")), "PUT");
        char want[160];
        snprintf(want, sizeof want, FILES_API VOL "/dir one/f%zu.bin", i);
        assert_string_equal(json_string_value(json_object_get(r, "path")), want);
        assert_string_equal(emu_req_header(r, "content-type"), "application/octet-stream");
        char cl[32];
        snprintf(cl, sizeof cl, "%zu", sizes[i]);
        assert_string_equal(emu_req_header(r, "content-length"), cl);
        assert_null(emu_req_query(r, "overwrite"));
        json_decref(reqs);
        expect_content(path, d, sizes[i]);
        free(d);
    }
    /* the space was encoded on the wire */
    json_t *r = emu_last_request(e, FILES_API VOL "/dir one/f2.bin");
    assert_non_null(r);
    json_decref(r);
}

static void test_upload_file_download_file_overwrite(void **state)
{
    (void)state;
    emu *e = emu_get();
    char local[] = "/tmp/dbx-files-test-XXXXXX";
    int fd = mkstemp(local);
    assert_true(fd >= 0);
    char *d = make_data(200000, 7);
    assert_int_equal(write(fd, d, 200000), 200000);
    close(fd);
    dbx_files_upload_options uo = DBX_FILES_UPLOAD_OPTIONS_INIT;
    uo.overwrite = 1;
    assert_int_equal(dbx_files_upload_file(C, VOL "/a.bin", local, &uo), DBX_OK);
    json_t *r = emu_last_request(e, FILES_API VOL "/a.bin");
    assert_string_equal(emu_req_query(r, "overwrite"), "true");
    json_decref(r);
    /* overwrite=false on an existing file */
    uo.overwrite = -1;
    assert_int_equal(dbx_files_upload_file(C, VOL "/a.bin", local, &uo), DBX_EEXISTS);
    r = emu_last_request(e, FILES_API VOL "/a.bin");
    assert_string_equal(emu_req_query(r, "overwrite"), "false");
    json_decref(r);
    /* download into a local file: refused over an existing one unless asked */
    assert_int_equal(dbx_files_download_file(C, VOL "/a.bin", local, NULL), DBX_EEXISTS);
    dbx_files_download_options dopt = DBX_FILES_DOWNLOAD_OPTIONS_INIT;
    dopt.overwrite = 1;
    unlink(local);
    assert_int_equal(dbx_files_download_file(C, VOL "/a.bin", local, &dopt), DBX_OK);
    struct stat st;
    assert_int_equal(stat(local, &st), 0);
    assert_int_equal(st.st_size, 200000);
    char *back = malloc(200000);
    fd = open(local, O_RDONLY);
    assert_int_equal(read(fd, back, 200000), 200000);
    close(fd);
    assert_memory_equal(back, d, 200000);
    /* a missing remote file leaves no local file behind */
    unlink(local);
    assert_int_equal(dbx_files_download_file(C, VOL "/missing.bin", local, NULL), DBX_ENOTFOUND);
    assert_int_not_equal(stat(local, &st), 0);
    free(back);
    free(d);
}

static void test_metadata_and_delete(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *d = make_data(12345, 3);
    assert_int_equal(dbx_files_upload_buffer(C, VOL "/m.bin", d, 12345, NULL), DBX_OK);
    dbx_file_info *fi = NULL;
    assert_int_equal(dbx_files_get_metadata(&fi, C, VOL "/m.bin"), DBX_OK);
    json_t *r = emu_last_request(e, FILES_API VOL "/m.bin");
    assert_string_equal(json_string_value(json_object_get(r, "method")), "HEAD");
    json_decref(r);
    assert_int_equal(dbx_file_info_size(fi), 12345);
    assert_string_equal(dbx_file_info_content_type(fi), "application/octet-stream");
    assert_true(strstr(dbx_file_info_last_modified_str(fi), "GMT") != NULL);
    /* HTTP dates have second precision: within 2 s of the emulator's clock */
    json_t *clk = emu_ctl(e, "GET", "/__emulator/clock", NULL);
    int64_t now = (int64_t)json_integer_value(json_object_get(clk, "now_ms"));
    json_decref(clk);
    assert_true(dbx_file_info_last_modified(fi) <= now && dbx_file_info_last_modified(fi) > now - 5000);
    dbx_file_info_free(fi);
    dbx_file_info_free(NULL);

    fi = (dbx_file_info *)1;
    assert_int_equal(dbx_files_get_metadata(&fi, C, VOL "/nope.bin"), DBX_ENOTFOUND);
    assert_null(fi);
    assert_int_equal(dbx_client_last_error(C)->http_status, 404);

    assert_int_equal(dbx_files_delete(C, VOL "/m.bin"), DBX_OK);
    r = emu_last_request(e, FILES_API VOL "/m.bin");
    assert_string_equal(json_string_value(json_object_get(r, "method")), "DELETE");
    json_decref(r);
    assert_int_equal(dbx_files_delete(C, VOL "/m.bin"), DBX_ENOTFOUND);
    assert_int_equal(dbx_files_get_metadata(&fi, C, VOL "/m.bin"), DBX_ENOTFOUND);
    free(d);
}

/* ---- directories ------------------------------------------------------------------------- */

static void test_directories(void **state)
{
    (void)state;
    emu *e = emu_get();
    assert_int_equal(dbx_files_create_directory(C, VOL "/tree/sub"), DBX_OK);
    json_t *r = emu_last_request(e, DIRS_API VOL "/tree/sub");
    assert_string_equal(json_string_value(json_object_get(r, "method")), "PUT");
    json_decref(r);
    assert_int_equal(dbx_files_create_directory(C, VOL "/tree/sub"), DBX_OK); /* idempotent */
    assert_int_equal(dbx_files_get_directory_metadata(C, VOL "/tree"), DBX_OK);
    assert_int_equal(dbx_files_get_directory_metadata(C, VOL "/nodir"), DBX_ENOTFOUND);
    for (int i = 0; i < 12; i++) {
        char p[96];
        snprintf(p, sizeof p, VOL "/tree/f%02d", i);
        assert_int_equal(dbx_files_upload_buffer(C, p, "abcdefghijklmnop", (size_t)i, NULL), DBX_OK);
    }
    emu_clear_requests(e);
    dbx_files_list_iter *it = NULL;
    assert_int_equal(dbx_files_list_directory(&it, C, VOL "/tree", NULL), DBX_OK);
    assert_int_equal(emu_count(e, NULL), 0); /* no request until _next */
    const dbx_directory_entry *en;
    int n = 0, dirs = 0;
    dbx_status st;
    while ((st = dbx_files_list_iter_next(&en, it)) == DBX_OK) {
        if (dbx_directory_entry_is_directory(en)) {
            dirs++;
            assert_string_equal(dbx_directory_entry_name(en), "sub");
            assert_int_equal(dbx_directory_entry_file_size(en), -1);
        } else {
            char want[16];
            snprintf(want, sizeof want, "f%02d", n);
            assert_string_equal(dbx_directory_entry_name(en), want);
            char wp[96];
            snprintf(wp, sizeof wp, VOL "/tree/f%02d", n);
            assert_string_equal(dbx_directory_entry_path(en), wp);
            assert_int_equal(dbx_directory_entry_file_size(en), n);
            assert_true(dbx_directory_entry_last_modified(en) > 0);
            assert_non_null(strstr(dbx_directory_entry_json(en), "\"is_directory\""));
            n++;
        }
    }
    assert_int_equal(st, DBX_DONE);
    assert_int_equal(n, 12);
    assert_int_equal(dirs, 1);
    dbx_files_list_iter_free(it);
    /* 13 entries at the emulator's 5 per page: 3 pages, tokens passed along */
    json_t *reqs = emu_requests_to(e, DIRS_API VOL "/tree");
    assert_int_equal(json_array_size(reqs), 3);
    assert_null(emu_req_query(json_array_get(reqs, 0), "page_token"));
    assert_non_null(emu_req_query(json_array_get(reqs, 1), "page_token"));
    assert_non_null(emu_req_query(json_array_get(reqs, 2), "page_token"));
    json_decref(reqs);
    /* page_size is sent */
    dbx_files_list_options lo = DBX_FILES_LIST_OPTIONS_INIT;
    lo.page_size = 2;
    lo.max_items = 3;
    assert_int_equal(dbx_files_list_directory(&it, C, VOL "/tree", &lo), DBX_OK);
    n = 0;
    while (dbx_files_list_iter_next(&en, it) == DBX_OK)
        n++;
    assert_int_equal(n, 3);
    r = emu_last_request(e, DIRS_API VOL "/tree");
    assert_string_equal(emu_req_query(r, "page_size"), "2");
    json_decref(r);
    dbx_files_list_iter_free(it);
    /* a missing directory: from _next */
    assert_int_equal(dbx_files_list_directory(&it, C, VOL "/nodir", NULL), DBX_OK);
    assert_int_equal(dbx_files_list_iter_next(&en, it), DBX_ENOTFOUND);
    dbx_files_list_iter_free(it);
    /* delete: not empty, then empty */
    assert_true(DBX_FAILED(dbx_files_delete_directory(C, VOL "/tree")));
    assert_int_equal(dbx_files_delete_directory(C, VOL "/tree/sub"), DBX_OK);
    r = emu_last_request(e, DIRS_API VOL "/tree/sub");
    assert_string_equal(json_string_value(json_object_get(r, "method")), "DELETE");
    json_decref(r);
    assert_int_equal(dbx_files_get_directory_metadata(C, VOL "/tree/sub"), DBX_ENOTFOUND);
    assert_int_equal(dbx_files_delete_directory(C, VOL "/tree/sub"), DBX_ENOTFOUND);
}

/* ---- bad input ---------------------------------------------------------------------------- */

static void test_bad_input(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_clear_requests(e);
    assert_int_equal(dbx_files_upload_buffer(C, "Volumes/x/y/z/f", "a", 1, NULL), DBX_EINVAL);
    assert_non_null(strstr(last_message(), "remote_path"));
    assert_int_equal(dbx_files_upload_buffer(C, VOL "/../etc/f", "a", 1, NULL), DBX_EINVAL);
    assert_non_null(strstr(last_message(), "'..'"));
    assert_int_equal(dbx_files_upload_buffer(C, VOL "//f", "a", 1, NULL), DBX_EINVAL);
    assert_int_equal(dbx_files_upload_buffer(C, VOL "/./f", "a", 1, NULL), DBX_EINVAL);
    assert_int_equal(dbx_files_upload_buffer(C, NULL, "a", 1, NULL), DBX_EINVAL);
    assert_int_equal(dbx_files_upload_buffer(C, VOL "/f", NULL, 1, NULL), DBX_EINVAL);
    assert_non_null(strstr(last_message(), "data"));
    assert_int_equal(dbx_files_upload(C, VOL "/f", NULL, NULL), DBX_EINVAL);
    assert_non_null(strstr(last_message(), "source"));
    dbx_source bad = DBX_SOURCE_INIT;
    assert_int_equal(dbx_files_upload(C, VOL "/f", &bad, NULL), DBX_EINVAL);
    assert_non_null(strstr(last_message(), "read"));
    dbx_files_upload_options uo = DBX_FILES_UPLOAD_OPTIONS_INIT;
    uo.part_size = 1024;
    assert_int_equal(dbx_files_upload_buffer(C, VOL "/f", "a", 1, &uo), DBX_EINVAL);
    assert_non_null(strstr(last_message(), "part_size"));
    uo = (dbx_files_upload_options)DBX_FILES_UPLOAD_OPTIONS_INIT;
    uo.version = 99;
    assert_int_equal(dbx_files_upload_buffer(C, VOL "/f", "a", 1, &uo), DBX_EINVAL);
    membuf m = {0};
    assert_int_equal(dbx_files_download(C, "relative", mem_sink, &m, NULL), DBX_EINVAL);
    assert_non_null(strstr(last_message(), "remote_path"));
    assert_int_equal(dbx_files_download(C, VOL "/f", NULL, &m, NULL), DBX_EINVAL);
    assert_non_null(strstr(last_message(), "sink"));
    assert_int_equal(dbx_files_download_file(C, VOL "/f", NULL, NULL), DBX_EINVAL);
    assert_int_equal(dbx_files_delete(C, VOL "/a/../b"), DBX_EINVAL);
    assert_int_equal(dbx_files_create_directory(C, ""), DBX_EINVAL);
    assert_non_null(strstr(last_message(), "dir_path"));
    assert_int_equal(dbx_files_delete_directory(C, "x"), DBX_EINVAL);
    assert_int_equal(dbx_files_get_directory_metadata(C, "/a/\xff"), DBX_EINVAL);
    dbx_file_info *fi = NULL;
    assert_int_equal(dbx_files_get_metadata(&fi, C, "/a/./b"), DBX_EINVAL);
    assert_int_equal(dbx_files_get_metadata(NULL, C, VOL "/f"), DBX_EINVAL);
    dbx_files_list_iter *it = NULL;
    assert_int_equal(dbx_files_list_directory(&it, C, "nope", NULL), DBX_EINVAL);
    assert_null(it);
    assert_int_equal(dbx_files_upload_buffer(NULL, VOL "/f", "a", 1, NULL), DBX_EINVAL);
    assert_int_equal(emu_count(e, NULL), 0); /* nothing went out */
}

/* ---- sources: rewind, refusal, size --------------------------------------------------- */

typedef struct gen {
    const char *data;
    size_t len, pos;
    int reads, rewinds, refuse_at;
} gen;

static int gen_read(void *payload, char *buf, size_t cap, size_t *n)
{
    gen *g = payload;
    g->reads++;
    if (g->refuse_at && g->reads >= g->refuse_at)
        return -1;
    size_t k = g->len - g->pos < cap ? g->len - g->pos : cap;
    if (k > 65536)
        k = 65536; /* short reads, as a pipe gives */
    memcpy(buf, g->data + g->pos, k);
    g->pos += k;
    *n = k;
    return 0;
}

static int gen_rewind(void *payload)
{
    gen *g = payload;
    g->rewinds++;
    g->pos = 0;
    return 0;
}

static void test_non_rewindable_never_resent(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *d = make_data(300000, 11);
    gen g = {d, 300000, 0, 0, 0, 0};
    dbx_source src = DBX_SOURCE_INIT;
    src.read = gen_read;
    src.payload = &g;
    src.size = -1; /* unknown: chunked */
    emu_fault(e, "{\"method\": \"PUT\", \"path\": \"" FILES_API VOL "/nr.bin\", \"action\": \"status\", "
                 "\"status\": 503}");
    /* streamed as it comes (an unknown size is otherwise pre-read into one part,
     * which makes it re-sendable) */
    dbx_files_upload_options o = DBX_FILES_UPLOAD_OPTIONS_INIT;
    o.multipart_threshold = -1;
    assert_int_equal(dbx_files_upload(C, VOL "/nr.bin", &src, &o), DBX_EUNAVAILABLE);
    assert_int_equal(emu_count(e, FILES_API VOL "/nr.bin"), 1);
    assert_non_null(strstr(last_message(), "could not be re-read"));
    assert_int_equal(dbx_client_last_error(C)->attempts, 1);
    json_t *r = emu_last_request(e, FILES_API VOL "/nr.bin");
    assert_string_equal(emu_req_header(r, "transfer-encoding"), "chunked");
    json_decref(r);
    /* nothing was stored */
    dbx_file_info *fi = NULL;
    assert_int_equal(dbx_files_get_metadata(&fi, C, VOL "/nr.bin"), DBX_ENOTFOUND);
    free(d);
}

static void test_rewindable_retried(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *d = make_data(300000, 12);
    gen g = {d, 300000, 0, 0, 0, 0};
    dbx_source src = DBX_SOURCE_INIT;
    src.read = gen_read;
    src.rewind = gen_rewind;
    src.payload = &g;
    src.size = 300000;
    emu_fault(e, "{\"method\": \"PUT\", \"path\": \"" FILES_API VOL "/rw.bin\", \"action\": \"status\", "
                 "\"status\": 503}");
    assert_int_equal(dbx_files_upload(C, VOL "/rw.bin", &src, NULL), DBX_OK);
    assert_int_equal(emu_count(e, FILES_API VOL "/rw.bin"), 2);
    assert_true(g.rewinds >= 1);
    json_t *r = emu_last_request(e, FILES_API VOL "/rw.bin");
    assert_string_equal(emu_req_header(r, "content-length"), "300000");
    json_decref(r);
    expect_content(VOL "/rw.bin", d, 300000);
    free(d);
}

static void test_source_refusal_and_size(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *d = make_data(300000, 13);
    gen g = {d, 300000, 0, 0, 0, 3};
    dbx_source src = DBX_SOURCE_INIT;
    src.read = gen_read;
    src.rewind = gen_rewind;
    src.payload = &g;
    src.size = 300000;
    assert_int_equal(dbx_files_upload(C, VOL "/cx.bin", &src, NULL), DBX_ECANCELLED);
    /* a source shorter than announced */
    gen g2 = {d, 1000, 0, 0, 0, 0};
    src.payload = &g2;
    src.size = 5000;
    assert_int_equal(dbx_files_upload(C, VOL "/short.bin", &src, NULL), DBX_EINVAL);
    dbx_file_info *fi = NULL;
    assert_int_equal(dbx_files_get_metadata(&fi, C, VOL "/short.bin"), DBX_ENOTFOUND);
    (void)e;
    free(d);
}

/* ---- multipart ----------------------------------------------------------------------------- */

static void mp_opts(dbx_files_upload_options *o)
{
    *o = (dbx_files_upload_options)DBX_FILES_UPLOAD_OPTIONS_INIT;
    o->multipart_threshold = 6 * MiB;
    o->part_size = 5 * MiB;
}

#define MP_SIZE (12 * MiB + 333)

/* The storage host's part PUTs, in order. */
static json_t *part_puts(emu *e)
{
    json_t *all = emu_requests(e), *out = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(all, i, r)
    {
        const char *srv = json_string_value(json_object_get(r, "server"));
        const char *p = json_string_value(json_object_get(r, "path"));
        const char *m = json_string_value(json_object_get(r, "method"));
        if (srv && strcmp(srv, "other") == 0 && strcmp(m, "PUT") == 0 && strncmp(p, "/presigned/", 11) == 0)
            json_array_append(out, r);
    }
    json_decref(all);
    return out;
}

static void test_multipart_upload(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *d = make_data(MP_SIZE, 21);
    dbx_files_upload_options o;
    mp_opts(&o);
    o.overwrite = 1;
    assert_int_equal(dbx_files_upload_buffer(C, VOL "/mp/big.bin", d, MP_SIZE, &o), DBX_OK);
    json_t *init = emu_last_request(e, FILES_API VOL "/mp/big.bin");
    assert_non_null(init);
    assert_string_equal(json_string_value(json_object_get(init, "method")), "POST");
    assert_string_equal(emu_req_query(init, "action"), "complete-upload");
    assert_string_equal(emu_req_query(init, "upload_type"), "multipart");
    assert_non_null(emu_req_query(init, "session_token"));
    json_t *parts = emu_req_json(init, "parts");
    assert_int_equal(json_array_size(parts), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *p = json_array_get(parts, i);
        assert_int_equal(json_integer_value(json_object_get(p, "part_number")), (json_int_t)i + 1);
        assert_true(strlen(json_string_value(json_object_get(p, "etag"))) > 2);
    }
    json_decref(init);
    json_t *reqs = emu_requests_to(e, FILES_API VOL "/mp/big.bin");
    assert_string_equal(emu_req_query(json_array_get(reqs, 0), "action"), "initiate-upload");
    assert_string_equal(emu_req_query(json_array_get(reqs, 0), "overwrite"), "true");
    json_decref(reqs);
    /* URLs: ceil(sqrt(3)) = 2 per request, so two requests */
    reqs = emu_requests_to(e, "/api/2.0/fs/create-upload-part-urls");
    assert_int_equal(json_array_size(reqs), 2);
    json_t *b0 = json_array_get(reqs, 0);
    assert_int_equal(json_integer_value(emu_req_json(b0, "start_part_number")), 1);
    assert_int_equal(json_integer_value(emu_req_json(b0, "count")), 2);
    assert_string_equal(json_string_value(emu_req_json(b0, "path")), VOL "/mp/big.bin");
    assert_non_null(json_string_value(emu_req_json(b0, "expire_time")));
    assert_int_equal(json_integer_value(emu_req_json(json_array_get(reqs, 1), "start_part_number")), 3);
    json_decref(reqs);
    /* parts went to the storage host, in order, with its headers and never ours */
    json_t *puts_ = part_puts(e);
    assert_int_equal(json_array_size(puts_), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *r = json_array_get(puts_, i);
        char num[16];
        snprintf(num, sizeof num, "%zu", i + 1);
        assert_string_equal(emu_req_query(r, "partNumber"), num);
        assert_string_equal(json_string_value(json_object_get(r, "path")), "/presigned/bucket" VOL "/mp/big.bin");
        assert_non_null(emu_req_query(r, "uploadId"));
        assert_null(emu_req_header(r, "authorization"));
        assert_string_equal(emu_req_header(r, "x-amz-server-side-encryption"), "AES256");
        assert_string_equal(emu_req_header(r, "content-type"), "application/octet-stream");
        assert_int_equal(json_integer_value(json_object_get(r, "status")), 200);
        assert_non_null(emu_req_query(r, "X-Amz-Signature"));
    }
    assert_string_equal(emu_req_header(json_array_get(puts_, 2), "content-length"), "2097485");
    json_decref(puts_);
    expect_content(VOL "/mp/big.bin", d, MP_SIZE);
    free(d);
}

/* ---- no presigned URL or session token in logs or errors --------------------------------- */

static char LOGBUF[1 << 20];
static size_t LOGLEN;

static void capture_log(dbx_log_level level, dbx_log_category cat, const char *msg, void *payload)
{
    (void)level;
    (void)cat;
    (void)payload;
    size_t n = strlen(msg);
    if (LOGLEN + n + 2 < sizeof LOGBUF) {
        memcpy(LOGBUF + LOGLEN, msg, n);
        LOGBUF[LOGLEN + n] = '\n';
        LOGLEN += n + 1;
        LOGBUF[LOGLEN] = '\0';
    }
}

static void trace_tweak(dbx_client_options *o, void *ud)
{
    (void)ud;
    o->log_fn = capture_log;
    o->log_level = DBX_LOG_TRACE;
}

static void test_multipart_secrets_never_logged(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_client *c = emu_client_with(e, trace_tweak, NULL);
    LOGLEN = 0;
    LOGBUF[0] = '\0';
    char *d = make_data(MP_SIZE, 26);
    dbx_files_upload_options o;
    mp_opts(&o);
    /* part 3 fails for good: the failure path logs and records errors too */
    emu_fault(e, "{\"server\": \"other\", \"method\": \"PUT\", \"path_prefix\": \"/presigned/\", "
                 "\"after\": 2, \"times\": -1, \"action\": \"status\", \"status\": 503}");
    assert_int_equal(dbx_files_upload_buffer(c, VOL "/mp/sec.bin", d, MP_SIZE, &o), DBX_EUNAVAILABLE);
    const dbx_error *err = dbx_client_last_error(c);
    assert_non_null(strstr(err->message, "part 3"));
    assert_true(LOGLEN > 0);
    json_t *puts_ = part_puts(e);
    /* parts 1 and 2, then part 3: 3 attempts per URL, a fresh URL 3 times */
    assert_int_equal(json_array_size(puts_), 2 + 3 * 4);
    const char *sig = emu_req_query(json_array_get(puts_, 0), "X-Amz-Signature");
    const char *upload_id = emu_req_query(json_array_get(puts_, 0), "uploadId");
    assert_non_null(sig);
    assert_non_null(upload_id);
    assert_null(strstr(LOGBUF, sig));
    assert_null(strstr(LOGBUF, upload_id));
    assert_null(strstr(err->message, sig));
    assert_null(strstr(err->message, upload_id));
    assert_null(strstr(err->path, "?"));
    /* the requests were logged (redacted), so the check above means something */
    assert_non_null(strstr(LOGBUF, "/presigned/bucket"));
    json_decref(puts_);
    dbx_client_free(c);
    free(d);
}

static void test_multipart_part_retried_with_fresh_url(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *d = make_data(MP_SIZE, 22);
    dbx_files_upload_options o;
    mp_opts(&o);
    /* part 2's first PUT fails (500), then a dropped connection on its second */
    emu_fault(e, "{\"rules\": [{\"server\": \"other\", \"method\": \"PUT\", \"path_prefix\": \"/presigned/\", "
                 "\"after\": 1, \"action\": \"status\", \"status\": 500},"
                 "{\"server\": \"other\", \"method\": \"PUT\", \"path_prefix\": \"/presigned/\", "
                 "\"action\": \"drop\"}]}");
    assert_int_equal(dbx_files_upload_buffer(C, VOL "/mp/retry.bin", d, MP_SIZE, &o), DBX_OK);
    json_t *puts_ = part_puts(e);
    /* part 1 dropped once: retried (fresh URL); part 2 failed once: retried */
    assert_int_equal(json_array_size(puts_), 5);
    json_decref(puts_);
    /* first batch, one fresh URL per failure, then the batch for part 3 */
    json_t *reqs = emu_requests_to(e, "/api/2.0/fs/create-upload-part-urls");
    assert_int_equal(json_array_size(reqs), 4);
    assert_int_equal(json_integer_value(emu_req_json(json_array_get(reqs, 1), "count")), 1);
    json_decref(reqs);
    expect_content(VOL "/mp/retry.bin", d, MP_SIZE);
    free(d);
}

static int advance_at_part2(void *payload, int64_t done, int64_t total)
{
    (void)total;
    int *fired = payload;
    if (!*fired && done > 6 * MiB) {
        *fired = 1;
        emu_advance(emu_get(), 2 * 3600 * 1000L); /* part 2's URL (fetched with part 1's) expires */
    }
    return 0;
}

static void test_multipart_expired_url(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *d = make_data(MP_SIZE, 23);
    dbx_files_upload_options o;
    mp_opts(&o);
    int fired = 0;
    o.progress = advance_at_part2;
    o.progress_payload = &fired;
    assert_int_equal(dbx_files_upload_buffer(C, VOL "/mp/exp.bin", d, MP_SIZE, &o), DBX_OK);
    assert_true(fired);
    json_t *puts_ = part_puts(e);
    assert_int_equal(json_array_size(puts_), 4);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(puts_, 1), "status")), 403);
    json_decref(puts_);
    expect_content(VOL "/mp/exp.bin", d, MP_SIZE);
    free(d);
}

static void test_multipart_part_fails_for_good(void **state)
{
    (void)state;
    emu *e = emu_get();
    char *d = make_data(MP_SIZE, 24);
    dbx_files_upload_options o;
    mp_opts(&o);
    emu_fault(e, "{\"server\": \"other\", \"method\": \"PUT\", \"path_prefix\": \"/presigned/\", "
                 "\"after\": 1, \"times\": -1, \"action\": \"status\", \"status\": 500}");
    assert_int_equal(dbx_files_upload_buffer(C, VOL "/mp/fail.bin", d, MP_SIZE, &o), DBX_ESERVER);
    const dbx_error *err = dbx_client_last_error(C);
    assert_non_null(strstr(err->message, "part 2"));
    assert_null(strstr(err->message, "X-Amz"));
    assert_null(strstr(err->path, "?"));
    assert_int_equal(err->http_status, 500);
    /* 1 + 3 retries of part 2 */
    json_t *puts_ = part_puts(e);
    assert_int_equal(json_array_size(puts_), 1 + 4);
    json_decref(puts_);
    /* aborted: an abort URL fetched and DELETEd on the storage host, without our credentials */
    assert_int_equal(emu_count(e, "/api/2.0/fs/create-abort-upload-url"), 1);
    json_t *all = emu_requests(e);
    json_t *last = json_array_get(all, json_array_size(all) - 1);
    assert_string_equal(json_string_value(json_object_get(last, "method")), "DELETE");
    assert_string_equal(json_string_value(json_object_get(last, "server")), "other");
    assert_null(emu_req_header(last, "authorization"));
    assert_int_equal(json_integer_value(json_object_get(last, "status")), 204);
    json_decref(all);
    assert_int_equal(emu_count(e, FILES_API VOL "/mp/fail.bin"), 1); /* initiate only, no complete */
    dbx_file_info *fi = NULL;
    assert_int_equal(dbx_files_get_metadata(&fi, C, VOL "/mp/fail.bin"), DBX_ENOTFOUND);
    free(d);
}

static void test_multipart_fallback_single_put(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_config(e, "{\"files_presigned_urls\": false}");
    char *d = make_data(MP_SIZE, 25);
    gen g = {d, MP_SIZE, 0, 0, 0, 0};
    dbx_source src = DBX_SOURCE_INIT;
    src.read = gen_read;
    src.payload = &g; /* not rewindable: the fallback sends the buffered part, then the rest */
    src.size = MP_SIZE;
    dbx_files_upload_options o;
    mp_opts(&o);
    assert_int_equal(dbx_files_upload(C, VOL "/mp/fb.bin", &src, &o), DBX_OK);
    json_t *reqs = emu_requests_to(e, FILES_API VOL "/mp/fb.bin");
    assert_int_equal(json_array_size(reqs), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(reqs, 0), "method")), "POST");
    json_t *put = json_array_get(reqs, 1);
    assert_string_equal(json_string_value(json_object_get(put, "method")), "PUT");
    char cl[32];
    snprintf(cl, sizeof cl, "%ld", (long)MP_SIZE);
    assert_string_equal(emu_req_header(put, "content-length"), cl);
    json_decref(reqs);
    assert_int_equal(emu_count_requests(e, NULL, "other"), 0);
    expect_content(VOL "/mp/fb.bin", d, MP_SIZE);
    free(d);
}

/* ---- downloads: resume, change ----------------------------------------------------------- */

static void test_download_resumes(void **state)
{
    (void)state;
    emu *e = emu_get();
    size_t n = 2 * MiB + 5;
    char *d = make_data(n, 31);
    assert_int_equal(dbx_files_upload_buffer(C, VOL "/dl.bin", d, n, NULL), DBX_OK);
    emu_clear_requests(e);
    emu_fault(e, "{\"method\": \"GET\", \"path\": \"" FILES_API VOL "/dl.bin\", \"action\": \"truncate\"}");
    expect_content(VOL "/dl.bin", d, n);
    json_t *reqs = emu_requests_to(e, FILES_API VOL "/dl.bin");
    assert_int_equal(json_array_size(reqs), 2); /* truncated, then resumed */
    json_t *r0 = json_array_get(reqs, 0), *r1 = json_array_get(reqs, 1);
    assert_null(emu_req_header(r0, "range"));
    char want[64];
    snprintf(want, sizeof want, "bytes=%zu-", n / 2);
    assert_string_equal(emu_req_header(r1, "range"), want);
    assert_non_null(strstr(emu_req_header(r1, "if-unmodified-since"), "GMT"));
    assert_int_equal(json_integer_value(json_object_get(r1, "status")), 206);
    json_decref(reqs);
    /* resumes disabled: the drop is the error */
    emu_fault(e, "{\"method\": \"GET\", \"path\": \"" FILES_API VOL "/dl.bin\", \"action\": \"truncate\"}");
    dbx_files_download_options o = DBX_FILES_DOWNLOAD_OPTIONS_INIT;
    o.max_resumes = -1;
    membuf m = {0};
    assert_int_equal(dbx_files_download(C, VOL "/dl.bin", mem_sink, &m, &o), DBX_ETRANSPORT);
    free(m.p);
    free(d);
}

static int change_file(membuf *m)
{
    (void)m;
    /* a new version while the download is under way (a second later) */
    emu_advance(emu_get(), 3000);
    return dbx_files_upload_buffer(C, VOL "/chg.bin", "changed", 7, NULL) == DBX_OK ? 0 : 1;
}

static void test_download_file_changed(void **state)
{
    (void)state;
    emu *e = emu_get();
    size_t n = 1 * MiB;
    char *d = make_data(n, 32);
    assert_int_equal(dbx_files_upload_buffer(C, VOL "/chg.bin", d, n, NULL), DBX_OK);
    emu_fault(e, "{\"method\": \"GET\", \"path\": \"" FILES_API VOL "/chg.bin\", \"action\": \"truncate\"}");
    membuf m = {0};
    m.hook = change_file;
    assert_int_equal(dbx_files_download(C, VOL "/chg.bin", mem_sink, &m, NULL), DBX_ECONFLICT);
    assert_non_null(strstr(last_message(), "changed"));
    assert_int_equal(dbx_client_last_error(C)->http_status, 412);
    json_t *r = emu_last_request(e, FILES_API VOL "/chg.bin");
    assert_non_null(emu_req_header(r, "if-unmodified-since"));
    json_decref(r);
    free(m.p);
    free(d);
}

static int refuse_sink(void *payload, const char *data, size_t len)
{
    (void)payload;
    (void)data;
    (void)len;
    return 1;
}

static void test_download_sink_refuses(void **state)
{
    (void)state;
    assert_int_equal(dbx_files_upload_buffer(C, VOL "/r.bin", "hello", 5, NULL), DBX_OK);
    assert_int_equal(dbx_files_download(C, VOL "/r.bin", refuse_sink, NULL, NULL), DBX_ECANCELLED);
    membuf m = {0};
    assert_int_equal(dbx_files_download(C, VOL "/none.bin", mem_sink, &m, NULL), DBX_ENOTFOUND);
    assert_int_equal(m.len, 0);
}

/* ---- memory bound ------------------------------------------------------------------------- */

#define BIG (200L * 1000 * 1000)

static void test_memory_bound_200mb(void **state)
{
    (void)state;
    if (getenv("DBX_TEST_UNDER_VALGRIND")) {
        skip();
        return;
    }
    emu *e = emu_get();
    char local[] = "/tmp/dbx-files-big-XXXXXX";
    int fd = mkstemp(local);
    assert_true(fd >= 0);
    char *chunk = make_data(MiB, 41);
    for (long off = 0; off < BIG; off += MiB) {
        size_t k = BIG - off < MiB ? (size_t)(BIG - off) : (size_t)MiB;
        chunk[0] = (char)(off / MiB);
        assert_int_equal(write(fd, chunk, k), (ssize_t)k);
    }
    close(fd);
    free(chunk);
    char back[sizeof local + 8];
    snprintf(back, sizeof back, "%s.back", local);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* a fresh process image (a forked child would inherit this test
         * process's peak RSS): the transfer and nothing else */
        execl("/proc/self/exe", "integration_test_files", "--transfer-200mb", e->base, local, back, (char *)NULL);
        _exit(127);
    }
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 0);
    long peak_kb = ru.ru_maxrss;
    printf("files: 200 MB upload (multipart, 10 MiB parts) + download: peak RSS %.1f MB "
           "(getrusage RUSAGE_CHILDREN)\n",
           peak_kb / 1024.0);
    /* the transfers went the expected ways */
    assert_true(emu_count_requests(e, NULL, "other") >= 20);
    /* byte-exact */
    FILE *a = fopen(local, "rb"), *b = fopen(back, "rb");
    assert_non_null(a);
    assert_non_null(b);
    char *x = malloc(MiB), *y = malloc(MiB);
    size_t na, nb;
    long total = 0;
    while ((na = fread(x, 1, MiB, a)) > 0) {
        nb = fread(y, 1, MiB, b);
        assert_int_equal(na, nb);
        assert_memory_equal(x, y, na);
        total += (long)na;
    }
    assert_int_equal(fread(y, 1, 1, b), 0);
    assert_int_equal(total, BIG);
    fclose(a);
    fclose(b);
    free(x);
    free(y);
    unlink(local);
    unlink(back);
#if defined(__SANITIZE_ADDRESS__)
    /* ASan's shadow memory and quarantine add tens of MB: a looser bound */
    assert_true(peak_kb < 160 * 1024);
#else
    assert_true(peak_kb < 32 * 1024);
#endif
}

/* The child of test_memory_bound_200mb: upload with default options
 * (multipart at 50 MiB, 10 MiB parts), download into a file. */
static int transfer_child(const char *base, const char *local, const char *back)
{
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.host = base;
    o.token = EMU_TOKEN;
    o.no_env = 1;
    o.no_config_file = 1;
    dbx_client *c = NULL;
    if (dbx_client_new(&c, &o) != DBX_OK)
        return 1;
    int rc = 0;
    if (dbx_files_upload_file(c, VOL "/big/200mb.bin", local, NULL) != DBX_OK)
        rc = 2;
    else if (dbx_files_download_file(c, VOL "/big/200mb.bin", back, NULL) != DBX_OK)
        rc = 3;
    if (rc)
        fprintf(stderr, "child: %s\n", dbx_client_last_error(c)->message);
    dbx_client_free(c);
    /* the peak of this image alone (getrusage in the parent also covers
     * the forked image before exec, i.e. the test process's own peak) */
    FILE *f = fopen("/proc/self/status", "r");
    char line[128];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            printf("files: transfer process VmHWM %s", line + 6);
    if (f)
        fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--transfer-200mb") == 0)
        return transfer_child(argv[2], argv[3], argv[4]);
    const struct CMUnitTest tests[] = {
        /* first: the forked child inherits this process's peak RSS so far */
        cmocka_unit_test_setup_teardown(test_memory_bound_200mb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roundtrip_small_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upload_file_download_file_overwrite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metadata_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directories, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_rewindable_never_resent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewindable_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_refusal_and_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multipart_upload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multipart_part_retried_with_fresh_url, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multipart_expired_url, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multipart_part_fails_for_good, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multipart_secrets_never_logged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multipart_fallback_single_put, setup, teardown),
        cmocka_unit_test_setup_teardown(test_download_resumes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_download_file_changed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_download_sink_refuses, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
