/*
 * Workspace API against the emulator over HTTP: every public function,
 * asserting on the request libdbx sent (from the emulator's request log)
 * and on the result; byte-for-byte round trips of notebooks and files
 * through memory and local files; the walk; export_dir and a hostile
 * listing that tries to escape the local directory.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "harness.h"

static dbx_client *C;
static char TMP[256];

#define API "/api/2.0/workspace"
#define HOME "/Users/emulator-user@example.com"

static const char PY_NB[] = "# Databricks notebook source\nprint('hi')\n\n# COMMAND ----------\n\nx = 1\n";
static const char IPYNB[] = "{\n \"cells\": [{\"cell_type\": \"code\", \"metadata\": {}, \"source\": [\"1 + 1\"]}],\n"
                            " \"metadata\": {\"language_info\": {\"name\": \"python\"}},\n"
                            " \"nbformat\": 4, \"nbformat_minor\": 2\n}\n";

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void rm_tree(const char *dir) { nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

static int setup(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_reset(e);
    C = emu_client(e);
    snprintf(TMP, sizeof TMP, "/tmp/dbx-ws-test-XXXXXX");
    assert_non_null(mkdtemp(TMP));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dbx_client_free(C);
    C = NULL;
    rm_tree(TMP);
    return 0;
}

static const char *msg(void) { return dbx_client_last_error(C)->message; }
static const char *code(void) { return dbx_client_last_error(C)->error_code; }

/* The decoded `content` of the last import request. Caller frees. */
static char *sent_content(size_t *len)
{
    json_t *r = emu_last_request(emu_get(), API "/import");
    assert_non_null(r);
    const char *b64 = json_string_value(emu_req_json(r, "content"));
    assert_non_null(b64);
    dbx__buf out = DBX__BUF_INIT;
    assert_int_equal(dbx__b64_decode(&out, b64, strlen(b64), NULL), 0);
    json_decref(r);
    *len = out.len;
    char *p = dbx__buf_detach(&out);
    assert_non_null(p);
    return p;
}

static void write_local(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* A local file's bytes (malloc'd) or NULL when missing. */
static char *read_local(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    *len = n;
    return buf;
}

static void import_src(const char *path, const char *src, dbx_workspace_language_t lang)
{
    dbx_workspace_import_options o = DBX_WORKSPACE_IMPORT_OPTIONS_INIT;
    o.format = DBX_WORKSPACE_FORMAT_SOURCE;
    o.language = lang;
    assert_int_equal(dbx_workspace_import(C, path, src, strlen(src), &o), DBX_OK);
}

static void import_raw(const char *path, const void *data, size_t len)
{
    dbx_workspace_import_options o = DBX_WORKSPACE_IMPORT_OPTIONS_INIT;
    o.format = DBX_WORKSPACE_FORMAT_RAW;
    assert_int_equal(dbx_workspace_import(C, path, data, len, &o), DBX_OK);
}

static void export_equals(const char *path, dbx_workspace_format_t fmt, const void *want, size_t want_len,
                          const char *want_type)
{
    dbx_workspace_export_options o = DBX_WORKSPACE_EXPORT_OPTIONS_INIT;
    o.format = fmt;
    char *data = NULL, *ft = NULL;
    size_t len = 0;
    assert_int_equal(dbx_workspace_export(&data, &len, &ft, C, path, &o), DBX_OK);
    assert_int_equal(len, want_len);
    assert_memory_equal(data, want, want_len);
    assert_int_equal(data[len], '\0');
    if (want_type)
        assert_string_equal(ft, want_type);
    dbx_free(data);
    dbx_free(ft);
    json_t *r = emu_last_request(emu_get(), API "/export");
    assert_string_equal(emu_req_query(r, "path"), path);
    if (fmt)
        assert_string_equal(emu_req_query(r, "format"), dbx_workspace_format_name(fmt));
    else
        assert_null(emu_req_query(r, "format"));
    json_decref(r);
}

/* ---- get-status, mkdirs, delete ---------------------------------------------------------- */

static void test_get_status(void **state)
{
    (void)state;
    dbx_workspace_object *o = NULL;
    assert_int_equal(dbx_workspace_get_status(&o, C, HOME), DBX_OK);
    assert_int_equal(dbx_workspace_object_type(o), DBX_WORKSPACE_OBJECT_DIRECTORY);
    assert_string_equal(dbx_workspace_object_type_str(o), "DIRECTORY");
    assert_string_equal(dbx_workspace_object_path(o), HOME);
    assert_true(dbx_workspace_object_id(o) > 0);
    char idtext[32];
    snprintf(idtext, sizeof idtext, "%lld", (long long)dbx_workspace_object_id(o));
    assert_string_equal(dbx_workspace_object_resource_id(o), idtext);
    assert_int_equal(dbx_workspace_object_language(o), DBX_WORKSPACE_LANGUAGE_NONE);
    assert_string_equal(dbx_workspace_object_language_str(o), "");
    assert_non_null(strstr(dbx_workspace_object_json(o), "\"object_type\":\"DIRECTORY\""));
    dbx_workspace_object_free(o);
    json_t *r = emu_last_request(emu_get(), API "/get-status");
    assert_string_equal(json_string_value(json_object_get(r, "method")), "GET");
    assert_string_equal(emu_req_query(r, "path"), HOME);
    json_decref(r);

    /* a file: sizes and times */
    import_raw("/Shared/f.bin", "abc", 3);
    assert_int_equal(dbx_workspace_get_status(&o, C, "/Shared/f.bin"), DBX_OK);
    assert_int_equal(dbx_workspace_object_type(o), DBX_WORKSPACE_OBJECT_FILE);
    assert_int_equal(dbx_workspace_object_size(o), 3);
    assert_true(dbx_workspace_object_created_at(o) > 0);
    assert_true(dbx_workspace_object_modified_at(o) >= dbx_workspace_object_created_at(o));
    dbx_workspace_object_free(o);

    o = (dbx_workspace_object *)1;
    assert_int_equal(dbx_workspace_get_status(&o, C, "/Shared/nope"), DBX_ENOTFOUND);
    assert_null(o);
    assert_string_equal(code(), "RESOURCE_DOES_NOT_EXIST");
    assert_int_equal(dbx_client_last_error(C)->http_status, 404);

    /* unknown enum values keep their text */
    emu_fault(emu_get(), "{\"path\":\"" API "/get-status\",\"action\":\"status\",\"status\":200,"
                         "\"body\":{\"path\":\"/x\",\"object_type\":\"GENIE_SPACE\",\"language\":\"COBOL\","
                         "\"object_id\":\"9007199254740993\"}}");
    assert_int_equal(dbx_workspace_get_status(&o, C, "/x"), DBX_OK);
    assert_int_equal(dbx_workspace_object_type(o), DBX_WORKSPACE_OBJECT_UNKNOWN);
    assert_string_equal(dbx_workspace_object_type_str(o), "GENIE_SPACE");
    assert_int_equal(dbx_workspace_object_language(o), DBX_WORKSPACE_LANGUAGE_UNKNOWN);
    assert_string_equal(dbx_workspace_object_language_str(o), "COBOL");
    assert_int_equal(dbx_workspace_object_id(o), 9007199254740993LL); /* int64 as a string */
    dbx_workspace_object_free(o);
    /* an answer without a path */
    emu_fault(emu_get(), "{\"path\":\"" API "/get-status\",\"action\":\"status\",\"status\":200,\"body\":{}}");
    assert_int_equal(dbx_workspace_get_status(&o, C, "/x"), DBX_EBADRESPONSE);
    assert_null(o);
}

static void test_mkdirs_delete(void **state)
{
    (void)state;
    assert_int_equal(dbx_workspace_mkdirs(C, "/Shared/a/b/c"), DBX_OK);
    json_t *r = emu_last_request(emu_get(), API "/mkdirs");
    assert_string_equal(json_string_value(json_object_get(r, "method")), "POST");
    assert_string_equal(json_string_value(emu_req_json(r, "path")), "/Shared/a/b/c");
    json_decref(r);
    assert_int_equal(dbx_workspace_mkdirs(C, "/Shared/a/b/c"), DBX_OK); /* idempotent */
    dbx_workspace_object *o;
    assert_int_equal(dbx_workspace_get_status(&o, C, "/Shared/a/b"), DBX_OK);
    assert_int_equal(dbx_workspace_object_type(o), DBX_WORKSPACE_OBJECT_DIRECTORY);
    dbx_workspace_object_free(o);

    /* mkdirs over a file */
    import_raw("/Shared/file", "x", 1);
    assert_int_equal(dbx_workspace_mkdirs(C, "/Shared/file/sub"), DBX_EEXISTS);
    assert_string_equal(code(), "RESOURCE_ALREADY_EXISTS");

    /* non-empty without recursive */
    assert_int_equal(dbx_workspace_delete(C, "/Shared/a", 0), DBX_EBADREQUEST);
    assert_string_equal(code(), "DIRECTORY_NOT_EMPTY");
    r = emu_last_request(emu_get(), API "/delete");
    assert_string_equal(json_string_value(emu_req_json(r, "path")), "/Shared/a");
    assert_true(json_is_false(emu_req_json(r, "recursive")));
    json_decref(r);
    assert_int_equal(dbx_workspace_delete(C, "/Shared/a", 1), DBX_OK);
    r = emu_last_request(emu_get(), API "/delete");
    assert_true(json_is_true(emu_req_json(r, "recursive")));
    json_decref(r);
    assert_int_equal(dbx_workspace_get_status(&o, C, "/Shared/a/b/c"), DBX_ENOTFOUND);
    assert_int_equal(dbx_workspace_delete(C, "/Shared/a", 1), DBX_ENOTFOUND);
    assert_int_equal(dbx_workspace_delete(C, "/Shared/file", 0), DBX_OK);
    /* the root is refused locally */
    size_t before = emu_count(emu_get(), API "/delete");
    assert_int_equal(dbx_workspace_delete(C, "/", 1), DBX_EINVAL);
    assert_int_equal(emu_count(emu_get(), API "/delete"), before);
}

/* ---- list ------------------------------------------------------------------------------------ */

static void test_list(void **state)
{
    (void)state;
    assert_int_equal(dbx_workspace_mkdirs(C, "/Shared/l/sub"), DBX_OK);
    import_src("/Shared/l/nb", PY_NB, DBX_WORKSPACE_LANGUAGE_PYTHON);
    import_raw("/Shared/l/data.csv", "a,b\n", 4);
    dbx_workspace_iter *it = NULL;
    assert_int_equal(dbx_workspace_list(&it, C, "/Shared/l", NULL), DBX_OK);
    assert_int_equal(emu_count(emu_get(), API "/list"), 0); /* no request before _next */
    const dbx_workspace_object *item;
    int seen = 0, nb = 0, dir = 0, file = 0;
    while (dbx_workspace_iter_next(&item, it) == DBX_OK) {
        seen++;
        const char *p = dbx_workspace_object_path(item);
        if (strcmp(p, "/Shared/l/nb") == 0) {
            nb++;
            assert_int_equal(dbx_workspace_object_type(item), DBX_WORKSPACE_OBJECT_NOTEBOOK);
            assert_int_equal(dbx_workspace_object_language(item), DBX_WORKSPACE_LANGUAGE_PYTHON);
        } else if (strcmp(p, "/Shared/l/sub") == 0) {
            dir++;
            assert_int_equal(dbx_workspace_object_type(item), DBX_WORKSPACE_OBJECT_DIRECTORY);
        } else if (strcmp(p, "/Shared/l/data.csv") == 0) {
            file++;
            assert_int_equal(dbx_workspace_object_size(item), 4);
        }
    }
    assert_int_equal(seen, 3);
    assert_int_equal(nb + dir + file, 3);
    assert_int_equal(dbx_workspace_iter_next(&item, it), DBX_DONE);
    dbx_workspace_iter_free(it);
    assert_int_equal(emu_count(emu_get(), API "/list"), 1);
    json_t *r = emu_last_request(emu_get(), API "/list");
    assert_string_equal(emu_req_query(r, "path"), "/Shared/l");
    assert_null(emu_req_query(r, "notebooks_modified_after"));
    json_decref(r);

    /* notebooks_modified_after is sent and filters notebooks */
    dbx_workspace_list_options lo = DBX_WORKSPACE_LIST_OPTIONS_INIT;
    lo.notebooks_modified_after = 4102444800000LL; /* 2100 */
    assert_int_equal(dbx_workspace_list(&it, C, "/Shared/l", &lo), DBX_OK);
    seen = 0;
    while (dbx_workspace_iter_next(&item, it) == DBX_OK) {
        seen++;
        assert_int_not_equal(dbx_workspace_object_type(item), DBX_WORKSPACE_OBJECT_NOTEBOOK);
    }
    assert_int_equal(seen, 2);
    dbx_workspace_iter_free(it);
    r = emu_last_request(emu_get(), API "/list");
    assert_string_equal(emu_req_query(r, "notebooks_modified_after"), "4102444800000");
    json_decref(r);

    /* an empty directory (objects absent) and a missing one */
    assert_int_equal(dbx_workspace_list(&it, C, "/Shared/l/sub", NULL), DBX_OK);
    assert_int_equal(dbx_workspace_iter_next(&item, it), DBX_DONE);
    dbx_workspace_iter_free(it);
    assert_int_equal(dbx_workspace_list(&it, C, "/Shared/none", NULL), DBX_OK);
    assert_int_equal(dbx_workspace_iter_next(&item, it), DBX_ENOTFOUND);
    assert_null(item);
    dbx_workspace_iter_free(it);
    /* objects that is not an array */
    emu_fault(emu_get(), "{\"path\":\"" API "/list\",\"action\":\"status\",\"status\":200,\"body\":{\"objects\":{}}}");
    assert_int_equal(dbx_workspace_list(&it, C, "/Shared/l", NULL), DBX_OK);
    assert_int_equal(dbx_workspace_iter_next(&item, it), DBX_EBADRESPONSE);
    /* a retry after the error lists again */
    assert_int_equal(dbx_workspace_iter_next(&item, it), DBX_OK);
    dbx_workspace_iter_free(it);
}

/* ---- import / export (memory) ------------------------------------------------------------------- */

static void test_import_export_source(void **state)
{
    (void)state;
    import_src(HOME "/etl", PY_NB, DBX_WORKSPACE_LANGUAGE_PYTHON);
    json_t *r = emu_last_request(emu_get(), API "/import");
    assert_string_equal(json_string_value(json_object_get(r, "method")), "POST");
    assert_string_equal(json_string_value(emu_req_json(r, "path")), HOME "/etl");
    assert_string_equal(json_string_value(emu_req_json(r, "format")), "SOURCE");
    assert_string_equal(json_string_value(emu_req_json(r, "language")), "PYTHON");
    assert_null(emu_req_json(r, "overwrite"));
    json_decref(r);
    size_t n;
    char *sent = sent_content(&n);
    assert_int_equal(n, strlen(PY_NB));
    assert_memory_equal(sent, PY_NB, n);
    dbx__free(sent);
    export_equals(HOME "/etl", DBX_WORKSPACE_FORMAT_SOURCE, PY_NB, strlen(PY_NB), "py");
    export_equals(HOME "/etl", DBX_WORKSPACE_FORMAT_DEFAULT, PY_NB, strlen(PY_NB), "py");
    dbx_workspace_object *o;
    assert_int_equal(dbx_workspace_get_status(&o, C, HOME "/etl"), DBX_OK);
    assert_int_equal(dbx_workspace_object_type(o), DBX_WORKSPACE_OBJECT_NOTEBOOK);
    assert_int_equal(dbx_workspace_object_language(o), DBX_WORKSPACE_LANGUAGE_PYTHON);
    dbx_workspace_object_free(o);

    /* a SCALA notebook; file_type may be left out by the caller */
    import_src(HOME "/s", "// Databricks notebook source\nval x = 1\n", DBX_WORKSPACE_LANGUAGE_SCALA);
    char *data;
    assert_int_equal(dbx_workspace_export(&data, &n, NULL, C, HOME "/s", NULL), DBX_OK);
    assert_string_equal(data, "// Databricks notebook source\nval x = 1\n");
    dbx_free(data);

    /* over an existing path: DBX_EEXISTS, then overwrite */
    dbx_workspace_import_options o2 = DBX_WORKSPACE_IMPORT_OPTIONS_INIT;
    o2.format = DBX_WORKSPACE_FORMAT_SOURCE;
    o2.language = DBX_WORKSPACE_LANGUAGE_PYTHON;
    const char *v2 = "# Databricks notebook source\nprint(2)\n";
    assert_int_equal(dbx_workspace_import(C, HOME "/etl", v2, strlen(v2), &o2), DBX_EEXISTS);
    assert_string_equal(code(), "RESOURCE_ALREADY_EXISTS");
    assert_int_equal(dbx_client_last_error(C)->http_status, 400);
    o2.overwrite = 1;
    assert_int_equal(dbx_workspace_import(C, HOME "/etl", v2, strlen(v2), &o2), DBX_OK);
    r = emu_last_request(emu_get(), API "/import");
    assert_true(json_is_true(emu_req_json(r, "overwrite")));
    json_decref(r);
    export_equals(HOME "/etl", DBX_WORKSPACE_FORMAT_SOURCE, v2, strlen(v2), "py");

    /* a missing parent, a missing object */
    o2.overwrite = 0;
    assert_int_equal(dbx_workspace_import(C, "/Shared/no/such/x", v2, strlen(v2), &o2), DBX_ENOTFOUND);
    assert_int_equal(dbx_workspace_export(&data, &n, NULL, C, "/Shared/none", NULL), DBX_ENOTFOUND);
    assert_null(data);
    assert_int_equal(n, 0);

    /* empty content (the server may leave content out of the export) */
    import_raw("/Shared/empty", NULL, 0);
    export_equals("/Shared/empty", DBX_WORKSPACE_FORMAT_RAW, "", 0, NULL);
}

static void test_round_trip_jupyter(void **state)
{
    (void)state;
    dbx_workspace_import_options o = DBX_WORKSPACE_IMPORT_OPTIONS_INIT;
    o.format = DBX_WORKSPACE_FORMAT_JUPYTER;
    assert_int_equal(dbx_workspace_import(C, HOME "/nb", IPYNB, strlen(IPYNB), &o), DBX_OK);
    json_t *r = emu_last_request(emu_get(), API "/import");
    assert_string_equal(json_string_value(emu_req_json(r, "format")), "JUPYTER");
    assert_null(emu_req_json(r, "language"));
    json_decref(r);
    export_equals(HOME "/nb", DBX_WORKSPACE_FORMAT_JUPYTER, IPYNB, strlen(IPYNB), "ipynb");
    /* SOURCE export of it: the service writes the header */
    dbx_workspace_export_options eo = DBX_WORKSPACE_EXPORT_OPTIONS_INIT;
    eo.format = DBX_WORKSPACE_FORMAT_SOURCE;
    char *data;
    size_t n;
    assert_int_equal(dbx_workspace_export(&data, &n, NULL, C, HOME "/nb", &eo), DBX_OK);
    assert_string_equal(data, "# Databricks notebook source\n1 + 1");
    dbx_free(data);
    /* via local files */
    char in[320], out[320];
    snprintf(in, sizeof in, "%s/in.ipynb", TMP);
    snprintf(out, sizeof out, "%s/out.ipynb", TMP);
    write_local(in, IPYNB, strlen(IPYNB));
    o.overwrite = 1;
    assert_int_equal(dbx_workspace_import_file(C, HOME "/nb2", in, &o), DBX_OK);
    eo.format = DBX_WORKSPACE_FORMAT_JUPYTER;
    char *ft = NULL;
    assert_int_equal(dbx_workspace_export_file(&ft, C, HOME "/nb2", out, &eo), DBX_OK);
    assert_string_equal(ft, "ipynb");
    dbx_free(ft);
    char *back = read_local(out, &n);
    assert_non_null(back);
    assert_int_equal(n, strlen(IPYNB));
    assert_memory_equal(back, IPYNB, n);
    free(back);
}

static void test_round_trip_binary(void **state)
{
    (void)state;
    unsigned char all[512];
    for (int i = 0; i < 512; i++)
        all[i] = (unsigned char)(i < 256 ? i : 511 - i);
    /* AUTO from memory: a file */
    dbx_workspace_import_options o = DBX_WORKSPACE_IMPORT_OPTIONS_INIT;
    o.format = DBX_WORKSPACE_FORMAT_AUTO;
    assert_int_equal(dbx_workspace_import(C, "/Shared/all.bin", all, sizeof all, &o), DBX_OK);
    size_t n;
    char *sent = sent_content(&n);
    assert_int_equal(n, sizeof all);
    assert_memory_equal(sent, all, n);
    dbx__free(sent);
    json_t *r = emu_last_request(emu_get(), API "/import");
    assert_string_equal(json_string_value(emu_req_json(r, "format")), "AUTO");
    json_decref(r);
    dbx_workspace_object *obj;
    assert_int_equal(dbx_workspace_get_status(&obj, C, "/Shared/all.bin"), DBX_OK);
    assert_int_equal(dbx_workspace_object_type(obj), DBX_WORKSPACE_OBJECT_FILE);
    assert_int_equal(dbx_workspace_object_size(obj), sizeof all);
    dbx_workspace_object_free(obj);
    export_equals("/Shared/all.bin", DBX_WORKSPACE_FORMAT_AUTO, all, sizeof all, "bin");
    export_equals("/Shared/all.bin", DBX_WORKSPACE_FORMAT_RAW, all, sizeof all, "bin");

    /* RAW from a local file, back to a local file */
    char in[320], out[320];
    snprintf(in, sizeof in, "%s/all.in", TMP);
    snprintf(out, sizeof out, "%s/all.out", TMP);
    write_local(in, all, sizeof all);
    o.format = DBX_WORKSPACE_FORMAT_RAW;
    assert_int_equal(dbx_workspace_import_file(C, "/Shared/all2", in, &o), DBX_OK);
    sent = sent_content(&n);
    assert_int_equal(n, sizeof all);
    assert_memory_equal(sent, all, n);
    dbx__free(sent);
    dbx_workspace_export_options eo = DBX_WORKSPACE_EXPORT_OPTIONS_INIT;
    eo.format = DBX_WORKSPACE_FORMAT_RAW;
    assert_int_equal(dbx_workspace_export_file(NULL, C, "/Shared/all2", out, &eo), DBX_OK);
    char *back = read_local(out, &n);
    assert_non_null(back);
    assert_int_equal(n, sizeof all);
    assert_memory_equal(back, all, n);
    free(back);

    /* an existing local file needs overwrite; checked before any request */
    size_t before = emu_count(emu_get(), API "/export");
    assert_int_equal(dbx_workspace_export_file(NULL, C, "/Shared/all2", out, &eo), DBX_EEXISTS);
    assert_int_equal(emu_count(emu_get(), API "/export"), before);
    eo.overwrite = 1;
    assert_int_equal(dbx_workspace_export_file(NULL, C, "/Shared/all.bin", out, &eo), DBX_OK);
    /* a failed export leaves the local file as it was, and no partial file */
    assert_int_equal(dbx_workspace_export_file(NULL, C, "/Shared/none", out, &eo), DBX_ENOTFOUND);
    back = read_local(out, &n);
    assert_non_null(back);
    assert_int_equal(n, sizeof all);
    free(back);
    char partial[400];
    snprintf(partial, sizeof partial, "ls %s | grep -c partial > /dev/null", TMP);
    assert_int_not_equal(system(partial), 0);
    /* a local source that does not exist */
    assert_int_equal(dbx_workspace_import_file(C, "/Shared/x", "/nonexistent/dir/f", &o), DBX_ENOTFOUND);
}

static void test_export_bad_answers(void **state)
{
    (void)state;
    char *data = (char *)1, *ft = (char *)1;
    size_t n = 7;
    emu_fault(emu_get(), "{\"path\":\"" API "/export\",\"action\":\"status\",\"status\":200,"
                         "\"body\":{\"content\":\"aGVsbG8=!\",\"file_type\":\"py\"}}");
    assert_int_equal(dbx_workspace_export(&data, &n, &ft, C, "/Shared/x", NULL), DBX_EBADRESPONSE);
    assert_null(data);
    assert_null(ft);
    assert_int_equal(n, 0);
    assert_non_null(strstr(msg(), "base64"));
    emu_fault(emu_get(), "{\"path\":\"" API "/export\",\"action\":\"status\",\"status\":200,"
                         "\"body\":{\"content\":42}}");
    assert_int_equal(dbx_workspace_export(&data, &n, &ft, C, "/Shared/x", NULL), DBX_EBADRESPONSE);
    /* strict: non-zero dropped bits */
    emu_fault(emu_get(), "{\"path\":\"" API "/export\",\"action\":\"status\",\"status\":200,"
                         "\"body\":{\"content\":\"aGVsbG9=\"}}");
    assert_int_equal(dbx_workspace_export(&data, &n, &ft, C, "/Shared/x", NULL), DBX_EBADRESPONSE);
    /* to a file: nothing is left behind */
    char out[320];
    snprintf(out, sizeof out, "%s/bad.out", TMP);
    emu_fault(emu_get(), "{\"path\":\"" API "/export\",\"action\":\"status\",\"status\":200,"
                         "\"body\":{\"content\":\"####\"}}");
    assert_int_equal(dbx_workspace_export_file(NULL, C, "/Shared/x", out, NULL), DBX_EBADRESPONSE);
    assert_int_not_equal(access(out, F_OK), 0);
}

/* ---- bad input ----------------------------------------------------------------------------------- */

static void expect_einval(dbx_status st, const char *needle)
{
    assert_int_equal(st, DBX_EINVAL);
    if (!strstr(msg(), needle))
        fail_msg("message '%s' does not mention '%s'", msg(), needle);
}

static void test_bad_input(void **state)
{
    (void)state;
    emu_clear_requests(emu_get());
    static const char *bad[] = {"", "relative/x", "/a/../b", "/a//b", "/a/", "/a/./b", "/..", "/a/.."};
    dbx_workspace_object *o;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        expect_einval(dbx_workspace_get_status(&o, C, bad[i]), "path");
        expect_einval(dbx_workspace_mkdirs(C, bad[i]), "path");
        expect_einval(dbx_workspace_delete(C, bad[i], 1), "path");
        expect_einval(dbx_workspace_import(C, bad[i], "x", 1, NULL), "path");
        char *d;
        size_t n;
        expect_einval(dbx_workspace_export(&d, &n, NULL, C, bad[i], NULL), "path");
        dbx_workspace_iter *it;
        expect_einval(dbx_workspace_list(&it, C, bad[i], NULL), "path");
        dbx_workspace_walk_iter *w;
        expect_einval(dbx_workspace_walk(&w, C, bad[i], NULL), "path");
        expect_einval(dbx_workspace_export_dir(C, bad[i], TMP, NULL), "remote_dir");
    }
    expect_einval(dbx_workspace_get_status(&o, C, NULL), "path is required");
    expect_einval(dbx_workspace_get_status(&o, C, "/a/../b"), "'..'");
    expect_einval(dbx_workspace_get_status(&o, C, "x"), "absolute");
    expect_einval(dbx_workspace_get_status(&o, C, "/a//b"), "empty segment");
    expect_einval(dbx_workspace_get_status(&o, C, "/\xff"), "UTF-8");
    expect_einval(dbx_workspace_get_status(NULL, C, "/a"), "out");
    assert_int_equal(dbx_workspace_get_status(&o, NULL, "/a"), DBX_EINVAL);
    assert_int_equal(dbx_workspace_mkdirs(NULL, "/a"), DBX_EINVAL);

    /* import options */
    expect_einval(dbx_workspace_import(C, "/Shared/x", "print(1)", 8, NULL), "language");
    dbx_workspace_import_options io = DBX_WORKSPACE_IMPORT_OPTIONS_INIT;
    io.format = DBX_WORKSPACE_FORMAT_SOURCE;
    expect_einval(dbx_workspace_import(C, "/Shared/x", "print(1)", 8, &io), "language");
    io.format = DBX_WORKSPACE_FORMAT_DBC;
    io.overwrite = 1;
    expect_einval(dbx_workspace_import(C, "/Shared/x", "PK\003\004", 4, &io), "overwrite");
    io.overwrite = 0;
    io.format = (dbx_workspace_format_t)99;
    expect_einval(dbx_workspace_import(C, "/Shared/x", "x", 1, &io), "format");
    io.format = DBX_WORKSPACE_FORMAT_RAW;
    io.language = DBX_WORKSPACE_LANGUAGE_UNKNOWN;
    expect_einval(dbx_workspace_import(C, "/Shared/x", "x", 1, &io), "language");
    io.language = DBX_WORKSPACE_LANGUAGE_NONE;
    io.version = 0;
    expect_einval(dbx_workspace_import(C, "/Shared/x", "x", 1, &io), "version");
    io.version = DBX_WORKSPACE_IMPORT_OPTIONS_VERSION;
    expect_einval(dbx_workspace_import(C, "/Shared/x", NULL, 5, &io), "content");
    /* too large: checked locally, before anything is encoded or sent */
    size_t big = (size_t)DBX_WORKSPACE_MAX_CONTENT_BYTES + 1;
    char *blob = calloc(1, big);
    assert_non_null(blob);
    expect_einval(dbx_workspace_import(C, "/Shared/x", blob, big, &io), "content");
    char bigfile[320];
    snprintf(bigfile, sizeof bigfile, "%s/big.bin", TMP);
    write_local(bigfile, blob, big);
    free(blob);
    expect_einval(dbx_workspace_import_file(C, "/Shared/x", bigfile, &io), "local_file");
    expect_einval(dbx_workspace_import_file(C, "/Shared/x", NULL, &io), "local_file");
    expect_einval(dbx_workspace_import_file(C, "/Shared/x", TMP, &io), "not a regular file");
    /* export and walk options */
    dbx_workspace_export_options eo = DBX_WORKSPACE_EXPORT_OPTIONS_INIT;
    eo.format = (dbx_workspace_format_t)-1;
    char *d;
    size_t n;
    expect_einval(dbx_workspace_export(&d, &n, NULL, C, "/Shared/x", &eo), "format");
    expect_einval(dbx_workspace_export(NULL, &n, NULL, C, "/Shared/x", NULL), "content");
    expect_einval(dbx_workspace_export_file(NULL, C, "/Shared/x", "", NULL), "local_file");
    dbx_workspace_walk_options wo = DBX_WORKSPACE_WALK_OPTIONS_INIT;
    wo.max_depth = -1;
    dbx_workspace_walk_iter *w;
    expect_einval(dbx_workspace_walk(&w, C, "/Shared", &wo), "max_depth");
    dbx_workspace_export_dir_options xo = DBX_WORKSPACE_EXPORT_DIR_OPTIONS_INIT;
    xo.format = DBX_WORKSPACE_FORMAT_RAW;
    expect_einval(dbx_workspace_export_dir(C, "/Shared", TMP, &xo), "format");
    expect_einval(dbx_workspace_export_dir(C, "/Shared", NULL, NULL), "local_dir");
    expect_einval(dbx_workspace_walk_each(C, "/Shared", NULL, NULL, NULL), "fn");
    /* nothing reached the server */
    assert_int_equal(emu_count(emu_get(), NULL), 0);
    /* enum names */
    assert_string_equal(dbx_workspace_format_name(DBX_WORKSPACE_FORMAT_R_MARKDOWN), "R_MARKDOWN");
    assert_string_equal(dbx_workspace_format_name(DBX_WORKSPACE_FORMAT_DEFAULT), "");
    assert_string_equal(dbx_workspace_language_name(DBX_WORKSPACE_LANGUAGE_SQL), "SQL");
    assert_string_equal(dbx_workspace_object_type_name(DBX_WORKSPACE_OBJECT_REPO), "REPO");
    assert_string_equal(dbx_workspace_object_type_name((dbx_workspace_object_type_t)77), "UNKNOWN");
    /* accessors are NULL-safe */
    assert_string_equal(dbx_workspace_object_path(NULL), "");
    assert_int_equal(dbx_workspace_object_size(NULL), 0);
    assert_null(dbx_workspace_object_json(NULL));
    dbx_workspace_object_free(NULL);
    dbx_workspace_iter_free(NULL);
    dbx_workspace_walk_free(NULL);
}

/* ---- walk ---------------------------------------------------------------------------------------- */

/* /Shared/w: a/ (b/ (c/ (deep nb)), b.txt), m (nb), z.txt, empty/ */
static void make_tree(void)
{
    assert_int_equal(dbx_workspace_mkdirs(C, "/Shared/w/a/b/c"), DBX_OK);
    assert_int_equal(dbx_workspace_mkdirs(C, "/Shared/w/empty"), DBX_OK);
    import_raw("/Shared/w/z.txt", "zz", 2);
    import_src("/Shared/w/m", "-- Databricks notebook source\nselect 1\n", DBX_WORKSPACE_LANGUAGE_SQL);
    import_raw("/Shared/w/a/b.txt", "bb", 2);
    import_src("/Shared/w/a/b/c/deep", PY_NB, DBX_WORKSPACE_LANGUAGE_PYTHON);
}

static const char *const WALK_ORDER[] = {
    "/Shared/w/a", "/Shared/w/empty", "/Shared/w/m", "/Shared/w/z.txt", /* the root's entries */
    "/Shared/w/a/b", "/Shared/w/a/b.txt",                               /* then a */
    "/Shared/w/a/b/c",                                                  /* then a/b */
    "/Shared/w/a/b/c/deep",                                             /* then a/b/c */
};
static const int WALK_DEPTH[] = {1, 1, 1, 1, 2, 2, 3, 4};

static void test_walk(void **state)
{
    (void)state;
    make_tree();
    emu_clear_requests(emu_get());
    dbx_workspace_walk_iter *w = NULL;
    assert_int_equal(dbx_workspace_walk(&w, C, "/Shared/w", NULL), DBX_OK);
    assert_int_equal(emu_count(emu_get(), NULL), 0);
    const dbx_workspace_object *o;
    int depth;
    size_t i = 0;
    dbx_status st;
    while ((st = dbx_workspace_walk_next(&o, &depth, w)) == DBX_OK) {
        assert_true(i < sizeof WALK_ORDER / sizeof *WALK_ORDER);
        assert_string_equal(dbx_workspace_object_path(o), WALK_ORDER[i]);
        assert_int_equal(depth, WALK_DEPTH[i]);
        i++;
    }
    assert_int_equal(st, DBX_DONE);
    assert_int_equal(i, sizeof WALK_ORDER / sizeof *WALK_ORDER);
    dbx_workspace_walk_free(w);
    /* one list call per directory: w, a, a/b, a/b/c, empty */
    json_t *reqs = emu_requests_to(emu_get(), API "/list");
    assert_int_equal(json_array_size(reqs), 5);
    static const char *const listed[] = {"/Shared/w", "/Shared/w/a", "/Shared/w/a/b", "/Shared/w/a/b/c",
                                         "/Shared/w/empty"};
    for (size_t k = 0; k < 5; k++)
        assert_string_equal(emu_req_query(json_array_get(reqs, k), "path"), listed[k]);
    json_decref(reqs);

    /* max_depth 2: a/b is yielded but not listed */
    dbx_workspace_walk_options wo = DBX_WORKSPACE_WALK_OPTIONS_INIT;
    wo.max_depth = 2;
    wo.notebooks_modified_after = 1;
    emu_clear_requests(emu_get());
    assert_int_equal(dbx_workspace_walk(&w, C, "/Shared/w", &wo), DBX_OK);
    i = 0;
    while (dbx_workspace_walk_next(&o, &depth, w) == DBX_OK) {
        assert_true(depth <= 2);
        i++;
    }
    assert_int_equal(i, 6);
    dbx_workspace_walk_free(w);
    assert_int_equal(emu_count(emu_get(), API "/list"), 3); /* w, a, empty */
    json_t *r = emu_last_request(emu_get(), API "/list");
    assert_string_equal(emu_req_query(r, "notebooks_modified_after"), "1");
    json_decref(r);

    /* max_objects */
    wo = (dbx_workspace_walk_options)DBX_WORKSPACE_WALK_OPTIONS_INIT;
    wo.max_objects = 5;
    assert_int_equal(dbx_workspace_walk(&w, C, "/Shared/w", &wo), DBX_OK);
    i = 0;
    while ((st = dbx_workspace_walk_next(&o, &depth, w)) == DBX_OK)
        i++;
    assert_int_equal(st, DBX_ETOOLARGE);
    assert_int_equal(i, 4);
    assert_int_equal(dbx_workspace_walk_next(&o, &depth, w), DBX_ETOOLARGE); /* sticky */
    dbx_workspace_walk_free(w);

    /* a walk of a notebook yields it at depth 0 */
    assert_int_equal(dbx_workspace_walk(&w, C, "/Shared/w/m", NULL), DBX_OK);
    assert_int_equal(dbx_workspace_walk_next(&o, &depth, w), DBX_OK);
    assert_string_equal(dbx_workspace_object_path(o), "/Shared/w/m");
    assert_int_equal(depth, 0);
    assert_int_equal(dbx_workspace_walk_next(&o, &depth, w), DBX_DONE);
    dbx_workspace_walk_free(w);

    /* an error mid-walk, then a retry of the same directory */
    emu_fault(emu_get(), "{\"path\":\"" API "/list\",\"after\":1,\"action\":\"status\",\"status\":404,"
                         "\"body\":{\"error_code\":\"RESOURCE_DOES_NOT_EXIST\",\"message\":\"gone\"}}");
    assert_int_equal(dbx_workspace_walk(&w, C, "/Shared/w", NULL), DBX_OK);
    i = 0;
    while ((st = dbx_workspace_walk_next(&o, &depth, w)) == DBX_OK)
        i++;
    assert_int_equal(st, DBX_ENOTFOUND);
    assert_int_equal(i, 4);
    while ((st = dbx_workspace_walk_next(&o, &depth, w)) == DBX_OK)
        assert_string_equal(dbx_workspace_object_path(o), WALK_ORDER[i++]);
    assert_int_equal(st, DBX_DONE);
    assert_int_equal(i, 8);
    dbx_workspace_walk_free(w);
}

static int count_until(const dbx_workspace_object *o, int depth, void *payload)
{
    (void)o;
    (void)depth;
    int *n = payload;
    return ++*n == 3;
}

static int count_all(const dbx_workspace_object *o, int depth, void *payload)
{
    assert_true(depth >= 1);
    assert_true(strncmp(dbx_workspace_object_path(o), "/Shared/w/", 10) == 0);
    ++*(int *)payload;
    return 0;
}

static void test_walk_each(void **state)
{
    (void)state;
    make_tree();
    int n = 0;
    assert_int_equal(dbx_workspace_walk_each(C, "/Shared/w", NULL, count_all, &n), DBX_OK);
    assert_int_equal(n, 8);
    n = 0;
    assert_int_equal(dbx_workspace_walk_each(C, "/Shared/w", NULL, count_until, &n), DBX_ECANCELLED);
    assert_int_equal(n, 3);
    assert_non_null(strstr(msg(), "/Shared/w/m"));
    assert_int_equal(dbx_workspace_walk_each(C, "/Shared/none", NULL, count_all, &n), DBX_ENOTFOUND);
}

/* ---- export_dir -------------------------------------------------------------------------------- */

static void expect_local(const char *rel, const void *want, size_t want_len)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", TMP, rel);
    size_t n;
    char *got = read_local(p, &n);
    if (!got)
        fail_msg("missing local file %s", p);
    assert_int_equal(n, want_len);
    assert_memory_equal(got, want, n);
    free(got);
}

static int is_dir(const char *rel)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", TMP, rel);
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_export_dir(void **state)
{
    (void)state;
    make_tree();
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    import_raw("/Shared/w/a/all.bin", all, sizeof all);
    char out[320];
    snprintf(out, sizeof out, "%s/out", TMP);
    assert_int_equal(dbx_workspace_export_dir(C, "/Shared/w", out, NULL), DBX_OK);
    assert_true(is_dir("out/a/b/c"));
    assert_true(is_dir("out/empty"));
    expect_local("out/z.txt", "zz", 2);
    expect_local("out/a/b.txt", "bb", 2);
    expect_local("out/a/all.bin", all, sizeof all);
    expect_local("out/m.sql", "-- Databricks notebook source\nselect 1\n", strlen("-- Databricks notebook source\nselect 1\n"));
    expect_local("out/a/b/c/deep.py", PY_NB, strlen(PY_NB));
    /* notebooks exported as SOURCE, files as AUTO */
    json_t *reqs = emu_requests_to(emu_get(), API "/export");
    size_t k;
    json_t *r;
    json_array_foreach(reqs, k, r)
    {
        const char *p = emu_req_query(r, "path");
        const char *f = emu_req_query(r, "format");
        if (strcmp(p, "/Shared/w/m") == 0 || strcmp(p, "/Shared/w/a/b/c/deep") == 0)
            assert_string_equal(f, "SOURCE");
        else
            assert_string_equal(f, "AUTO");
    }
    assert_int_equal(json_array_size(reqs), 5);
    json_decref(reqs);
    /* again: existing files need overwrite */
    assert_int_equal(dbx_workspace_export_dir(C, "/Shared/w", out, NULL), DBX_EEXISTS);
    dbx_workspace_export_dir_options xo = DBX_WORKSPACE_EXPORT_DIR_OPTIONS_INIT;
    xo.overwrite = 1;
    xo.format = DBX_WORKSPACE_FORMAT_JUPYTER;
    assert_int_equal(dbx_workspace_export_dir(C, "/Shared/w", out, &xo), DBX_OK);
    char p[512];
    snprintf(p, sizeof p, "%s/out/a/b/c/deep.ipynb", TMP);
    size_t n;
    char *nb = read_local(p, &n);
    assert_non_null(nb);
    assert_non_null(strstr(nb, "\"cells\""));
    free(nb);
    /* a remote notebook is not a directory */
    assert_int_equal(dbx_workspace_export_dir(C, "/Shared/w/m", out, &xo), DBX_EINVAL);
    assert_non_null(strstr(msg(), "not a directory"));
}

/* A listing of /Shared/h with one hostile entry: export_dir fails with
 * DBX_EBADRESPONSE naming it and writes nothing outside the local dir. */
static void hostile(const char *entry_json, const char *needle)
{
    emu *e = emu_get();
    emu_clear_faults(e);
    char rule[1024];
    snprintf(rule, sizeof rule,
             "{\"path\":\"" API "/list\",\"action\":\"status\",\"status\":200,\"times\":-1,"
             "\"body\":{\"objects\":[{\"path\":\"/Shared/h/ok.txt\",\"object_type\":\"FILE\"},%s]}}",
             entry_json);
    emu_fault(e, rule);
    char out[320];
    snprintf(out, sizeof out, "%s/h/out", TMP);
    char h[320];
    snprintf(h, sizeof h, "%s/h", TMP);
    mkdir(h, 0777);
    assert_int_equal(dbx_workspace_export_dir(C, "/Shared/h", out, NULL), DBX_EBADRESPONSE);
    if (!strstr(msg(), needle))
        fail_msg("message '%s' does not name '%s'", msg(), needle);
    /* nothing next to out, nothing above it */
    char probe[512];
    static const char *const escapes[] = {"etc", "x", "evil", "..\\evil", "passwd"};
    for (size_t i = 0; i < sizeof escapes / sizeof *escapes; i++) {
        snprintf(probe, sizeof probe, "%s/%s", h, escapes[i]);
        assert_int_not_equal(access(probe, F_OK), 0);
        snprintf(probe, sizeof probe, "%s/%s", TMP, escapes[i]);
        assert_int_not_equal(access(probe, F_OK), 0);
    }
    emu_clear_faults(e);
}

static void test_hostile_listing(void **state)
{
    (void)state;
    assert_int_equal(dbx_workspace_mkdirs(C, "/Shared/h"), DBX_OK);
    import_raw("/Shared/h/ok.txt", "ok", 2);
    hostile("{\"path\":\"/Shared/h/../../etc/x\",\"object_type\":\"FILE\"}", "/Shared/h/../../etc/x");
    hostile("{\"path\":\"../../x\",\"object_type\":\"FILE\"}", "../../x");
    hostile("{\"path\":\"/etc/passwd\",\"object_type\":\"FILE\"}", "/etc/passwd");
    hostile("{\"path\":\"/Shared/h/..\",\"object_type\":\"DIRECTORY\"}", "/Shared/h/..");
    hostile("{\"path\":\"/Shared/h/.\",\"object_type\":\"DIRECTORY\"}", "/Shared/h/.");
    hostile("{\"path\":\"/Shared/h\",\"object_type\":\"DIRECTORY\"}", "listed directory itself");
    hostile("{\"path\":\"/Shared/h/..\\\\evil\",\"object_type\":\"FILE\"}", "safe local");
    hostile("{\"path\":\"/Shared/h/a\\u0000b\",\"object_type\":\"FILE\"}", "NUL");
    hostile("{\"path\":\"/Shared/h/ctl\\u0001\",\"object_type\":\"FILE\"}", "safe local");
    hostile("{\"object_type\":\"FILE\"}", "has no path");
    hostile("{\"path\":\"/Shared/h/ok.txt\",\"object_type\":\"FILE\"}", "listed twice");
    hostile("{\"path\":\"/Shared/hx/y\",\"object_type\":\"FILE\"}", "/Shared/hx/y");
    /* the walk itself refuses entries outside the listed directory */
    emu_fault(emu_get(), "{\"path\":\"" API "/list\",\"action\":\"status\",\"status\":200,"
                         "\"body\":{\"objects\":[{\"path\":\"/Shared\",\"object_type\":\"DIRECTORY\"}]}}");
    dbx_workspace_walk_iter *w;
    assert_int_equal(dbx_workspace_walk(&w, C, "/Shared/h", NULL), DBX_OK);
    const dbx_workspace_object *o;
    assert_int_equal(dbx_workspace_walk_next(&o, NULL, w), DBX_EBADRESPONSE);
    assert_null(o);
    dbx_workspace_walk_free(w);
}


/* ---- import_dir ----------------------------------------------------------------------------------- */

static void test_import_dir_round_trip(void **state)
{
    (void)state;
    /* a local tree as migrated pipelines ship it */
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    char p[512];
    snprintf(p, sizeof p, "%s/src", TMP);
    assert_int_equal(mkdir(p, 0777), 0);
    snprintf(p, sizeof p, "%s/src/jobs", TMP);
    assert_int_equal(mkdir(p, 0777), 0);
    snprintf(p, sizeof p, "%s/src/jobs/deep", TMP);
    assert_int_equal(mkdir(p, 0777), 0);
    snprintf(p, sizeof p, "%s/src/etl.py", TMP);
    write_local(p, PY_NB, strlen(PY_NB));
    snprintf(p, sizeof p, "%s/src/helper.py", TMP); /* no header: a plain file */
    write_local(p, "def f():\n    pass\n", 18);
    snprintf(p, sizeof p, "%s/src/jobs/report.sql", TMP);
    write_local(p, "-- Databricks notebook source\nselect 1\n", 39);
    snprintf(p, sizeof p, "%s/src/jobs/deep/nb.ipynb", TMP);
    write_local(p, IPYNB, strlen(IPYNB));
    snprintf(p, sizeof p, "%s/src/jobs/deep/all.bin", TMP);
    write_local(p, all, sizeof all);
    snprintf(p, sizeof p, "%s/src/bad\001name", TMP); /* not a safe name: skipped */
    write_local(p, "x", 1);
    char link[512];
    snprintf(link, sizeof link, "%s/src/link", TMP); /* a symbolic link: skipped */
    assert_int_equal(symlink("/etc/passwd", link), 0);

    char src[320];
    snprintf(src, sizeof src, "%s/src", TMP);
    long n = -1;
    assert_int_equal(dbx_workspace_import_dir(&n, C, src, "/Shared/mig", NULL), DBX_OK);
    assert_int_equal(n, 5);
    dbx_workspace_object *o;
    assert_int_equal(dbx_workspace_get_status(&o, C, "/Shared/mig/etl"), DBX_OK);
    assert_int_equal(dbx_workspace_object_type(o), DBX_WORKSPACE_OBJECT_NOTEBOOK);
    assert_int_equal(dbx_workspace_object_language(o), DBX_WORKSPACE_LANGUAGE_PYTHON);
    dbx_workspace_object_free(o);
    assert_int_equal(dbx_workspace_get_status(&o, C, "/Shared/mig/helper.py"), DBX_OK);
    assert_int_equal(dbx_workspace_object_type(o), DBX_WORKSPACE_OBJECT_FILE);
    dbx_workspace_object_free(o);
    assert_int_equal(dbx_workspace_get_status(&o, C, "/Shared/mig/jobs/report"), DBX_OK);
    assert_int_equal(dbx_workspace_object_language(o), DBX_WORKSPACE_LANGUAGE_SQL);
    dbx_workspace_object_free(o);
    assert_int_equal(dbx_workspace_get_status(&o, C, "/Shared/mig/jobs/deep/nb"), DBX_OK);
    assert_int_equal(dbx_workspace_object_type(o), DBX_WORKSPACE_OBJECT_NOTEBOOK);
    dbx_workspace_object_free(o);
    assert_int_equal(dbx_workspace_get_status(&o, C, "/Shared/mig/link"), DBX_ENOTFOUND);
    /* the requests: SOURCE with language for notebooks, RAW for files, JUPYTER for ipynb */
    json_t *reqs = emu_requests_to(emu_get(), API "/import");
    assert_int_equal(json_array_size(reqs), 5);
    size_t k;
    json_t *r;
    json_array_foreach(reqs, k, r)
    {
        const char *path = json_string_value(emu_req_json(r, "path"));
        const char *fmt = json_string_value(emu_req_json(r, "format"));
        if (strcmp(path, "/Shared/mig/etl") == 0 || strcmp(path, "/Shared/mig/jobs/report") == 0)
            assert_string_equal(fmt, "SOURCE");
        else if (strcmp(path, "/Shared/mig/jobs/deep/nb") == 0)
            assert_string_equal(fmt, "JUPYTER");
        else
            assert_string_equal(fmt, "RAW");
    }
    json_decref(reqs);
    /* again without overwrite: the first existing object stops it */
    assert_int_equal(dbx_workspace_import_dir(&n, C, src, "/Shared/mig", NULL), DBX_EEXISTS);
    dbx_workspace_import_dir_options io = DBX_WORKSPACE_IMPORT_DIR_OPTIONS_INIT;
    io.overwrite = 1;
    assert_int_equal(dbx_workspace_import_dir(&n, C, src, "/Shared/mig", &io), DBX_OK);
    assert_int_equal(n, 5);

    /* and back: export_dir gives the same bytes under the CLI's names */
    char out[320];
    snprintf(out, sizeof out, "%s/back", TMP);
    assert_int_equal(dbx_workspace_export_dir(C, "/Shared/mig", out, NULL), DBX_OK);
    expect_local("back/etl.py", PY_NB, strlen(PY_NB));
    expect_local("back/helper.py", "def f():\n    pass\n", 18);
    expect_local("back/jobs/report.sql", "-- Databricks notebook source\nselect 1\n", 39);
    expect_local("back/jobs/deep/all.bin", all, sizeof all);
    dbx_workspace_export_dir_options xo = DBX_WORKSPACE_EXPORT_DIR_OPTIONS_INIT;
    xo.format = DBX_WORKSPACE_FORMAT_JUPYTER;
    snprintf(out, sizeof out, "%s/back2", TMP);
    assert_int_equal(dbx_workspace_export_dir(C, "/Shared/mig", out, &xo), DBX_OK);
    expect_local("back2/jobs/deep/nb.ipynb", IPYNB, strlen(IPYNB));

    /* bad input */
    snprintf(p, sizeof p, "%s/src/etl.py", TMP);
    expect_einval(dbx_workspace_import_dir(&n, C, p, "/Shared/x", NULL), "not a directory");
    expect_einval(dbx_workspace_import_dir(&n, C, src, "Shared", NULL), "remote_dir");
    expect_einval(dbx_workspace_import_dir(&n, C, NULL, "/Shared", NULL), "local_dir");
    assert_int_equal(dbx_workspace_import_dir(&n, C, "/nonexistent/dir", "/Shared/x", NULL), DBX_ENOTFOUND);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mkdirs_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_export_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_jupyter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_binary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_bad_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_each, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_listing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_dir_round_trip, setup, teardown),
    };
    int rc = cmocka_run_group_tests_name("workspace", tests, NULL, NULL);
    emu_stop_all();
    return rc;
}
