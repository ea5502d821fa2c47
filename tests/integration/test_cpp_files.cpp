/*
 * The C++17 layer of the Files API (include/dbx/cpp/files.hpp) against the emulator: RAII
 * owners (file_info, the listing's iterator), range-for over a paged listing, std::istream
 * uploads (size announced, rewound for a retry, multipart), callable sinks, exceptions thrown
 * by callables rethrown after the C call, dbx::error with the C error record.
 * Built with -Wall -Wextra -Werror.
 */
/* the C++ headers first: cmocka defines fail() as a macro, which <ios> declares */
#include <cstdio>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>

#include "harness.h"
}

#include "dbx/dbx.hpp"

#define VOL "/Volumes/main/default/vol"
#define FILES_API "/api/2.0/fs/files"
#define DIRS_API "/api/2.0/fs/directories"
static const int64_t MiB = 1024 * 1024;

static dbx::client make_client(emu *e)
{
    dbx::options o;
    o.set("host", e->base).set("token", EMU_TOKEN).set("no_env", "1").set("no_config_file", "1");
    o.set("retry_initial_delay_ms", "10").set("retry_max_delay_ms", "20");
    return dbx::client(o);
}

static std::string make_data(size_t n, unsigned seed)
{
    std::string d(n, '\0');
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        d[i] = static_cast<char>(x >> 16);
    }
    return d;
}

static std::string method_of(json_t *r) { return json_string_value(json_object_get(r, "method")); }

static void upload_download_and_metadata(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    std::string payload = make_data(300000, 1);
    dbx::files_upload_buffer(c, VOL "/a.bin", payload);
    json_t *r = emu_last_request(e, FILES_API VOL "/a.bin");
    assert_true(method_of(r) == "PUT");
    assert_string_equal(emu_req_header(r, "content-length"), "300000");
    json_decref(r);
    assert_true(dbx::files_download_string(c, VOL "/a.bin") == payload);
    /* a callable sink sees the pieces in order */
    std::vector<std::string> pieces;
    dbx::files_download(c, VOL "/a.bin", [&](std::string_view p) { pieces.emplace_back(p); });
    std::string joined;
    for (const auto &p : pieces)
        joined += p;
    assert_true(joined == payload);
    /* the owner frees the info; string_view accessors */
    dbx::file_info fi = dbx::files_get_metadata(c, VOL "/a.bin");
    r = emu_last_request(e, FILES_API VOL "/a.bin");
    assert_true(method_of(r) == "HEAD");
    json_decref(r);
    assert_int_equal(dbx_file_info_size(fi.get()), 300000);
    assert_true(dbx::file_info_content_type(fi) == "application/octet-stream");
    assert_true(dbx::file_info_last_modified_str(fi).find("GMT") != std::string_view::npos);
    assert_true(dbx_file_info_last_modified(fi.get()) > 0);
    assert_true(dbx::files_exists(c, VOL "/a.bin"));
    assert_false(dbx::files_exists(c, VOL "/none.bin"));
    /* local files */
    char local[] = "/tmp/dbx-cpp-files-XXXXXX";
    int fd = mkstemp(local);
    assert_true(fd >= 0);
    close(fd);
    unlink(local);
    dbx::files_download_file(c, VOL "/a.bin", local);
    dbx_files_upload_options uo = DBX_FILES_UPLOAD_OPTIONS_INIT;
    uo.overwrite = 1;
    dbx::files_upload_file(c, VOL "/b.bin", local, &uo);
    r = emu_last_request(e, FILES_API VOL "/b.bin");
    assert_string_equal(emu_req_query(r, "overwrite"), "true");
    json_decref(r);
    unlink(local);
    assert_true(dbx::files_download_string(c, VOL "/b.bin") == payload);
    dbx::files_delete(c, VOL "/b.bin");
    r = emu_last_request(e, FILES_API VOL "/b.bin");
    assert_true(method_of(r) == "DELETE");
    json_decref(r);
    assert_false(dbx::files_exists(c, VOL "/b.bin"));
}

static void streams_rewind_and_multipart(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    /* a seekable stream: its size is announced and it is rewound after a 503 */
    std::string payload = make_data(300000, 2);
    std::istringstream in("HEAD" + payload);
    in.seekg(4);
    emu_fault(e, "{\"method\": \"PUT\", \"path\": \"" FILES_API VOL "/rw.bin\", \"action\": \"status\", "
                 "\"status\": 503}");
    dbx::files_upload(c, VOL "/rw.bin", in);
    json_t *reqs = emu_requests_to(e, FILES_API VOL "/rw.bin");
    assert_int_equal(json_array_size(reqs), 2);
    assert_string_equal(emu_req_header(json_array_get(reqs, 1), "content-length"), "300000");
    json_decref(reqs);
    assert_true(dbx::files_download_string(c, VOL "/rw.bin") == payload);
    /* multipart from a stream */
    std::string big = make_data(static_cast<size_t>(11 * MiB + 7), 3);
    std::istringstream bin(big);
    dbx_files_upload_options o = DBX_FILES_UPLOAD_OPTIONS_INIT;
    o.multipart_threshold = 6 * MiB;
    o.part_size = 5 * MiB;
    dbx::files_upload(c, VOL "/mp.bin", bin, &o);
    json_t *last = emu_last_request(e, FILES_API VOL "/mp.bin");
    assert_string_equal(emu_req_query(last, "action"), "complete-upload");
    assert_int_equal(json_array_size(emu_req_json(last, "parts")), 3);
    json_decref(last);
    assert_true(dbx::files_download_string(c, VOL "/mp.bin") == big);
}

struct sink_full : std::runtime_error {
    sink_full() : std::runtime_error("sink full") {}
};

static void exceptions(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    dbx::files_upload_buffer(c, VOL "/x.bin", make_data(MiB, 4));
    /* a callable's exception is rethrown as is, after libdbx returned */
    int calls = 0;
    bool thrown = false;
    try {
        dbx::files_download(c, VOL "/x.bin", [&](std::string_view) {
            calls++;
            throw sink_full();
        });
    } catch (const sink_full &) {
        thrown = true;
    }
    assert_true(thrown);
    assert_int_equal(calls, 1);
    /* libdbx failures are dbx::error with the C record */
    thrown = false;
    try {
        dbx::files_get_metadata(c, VOL "/none.bin");
    } catch (const dbx::error &err) {
        thrown = true;
        assert_int_equal(err.status(), DBX_ENOTFOUND);
        assert_int_equal(err.http_status(), 404);
        assert_true(err.method() == "HEAD");
        assert_true(err.path().find("/none.bin") != std::string::npos);
    }
    assert_true(thrown);
    thrown = false;
    try {
        dbx_files_upload_options uo = DBX_FILES_UPLOAD_OPTIONS_INIT;
        uo.overwrite = -1;
        dbx::files_upload_buffer(c, VOL "/x.bin", "again", &uo);
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_EEXISTS && err.http_status() == 409;
    }
    assert_true(thrown);
    thrown = false;
    try {
        dbx::files_delete(c, "relative/path");
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_EINVAL && std::strstr(err.what(), "remote_path") != nullptr;
    }
    assert_true(thrown);
    /* a stream that goes bad mid-way: the upload stops, nothing is stored */
    struct bad_buf : std::streambuf {
        int n = 0;
        int_type underflow() override
        {
            if (n++ > 2)
                throw std::runtime_error("device gone");
            static char chunk[4096];
            setg(chunk, chunk, chunk + sizeof chunk);
            return traits_type::to_int_type(chunk[0]);
        }
    } bb;
    std::istream bad(&bb);
    bad.exceptions(std::ios::badbit);
    thrown = false;
    try {
        dbx::files_upload(c, VOL "/bad.bin", bad);
    } catch (const std::ios_base::failure &) {
        thrown = true; /* the stream's own exception (badbit), rethrown */
    } catch (const std::runtime_error &) {
        thrown = true;
    }
    assert_true(thrown);
    assert_false(dbx::files_exists(c, VOL "/bad.bin"));
}

static void directories_and_ranges(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    dbx::files_create_directory(c, VOL "/tree/sub");
    json_t *r = emu_last_request(e, DIRS_API VOL "/tree/sub");
    assert_true(method_of(r) == "PUT");
    json_decref(r);
    dbx::files_get_directory_metadata(c, VOL "/tree");
    assert_true(dbx::files_directory_exists(c, VOL "/tree"));
    assert_false(dbx::files_directory_exists(c, VOL "/nodir"));
    for (int i = 0; i < 12; i++) {
        char p[96];
        std::snprintf(p, sizeof p, VOL "/tree/f%02d", i);
        dbx::files_upload_buffer(c, p, std::string_view("abcdefghijklmnop", static_cast<size_t>(i)));
    }
    int files = 0, dirs = 0;
    for (const dbx_directory_entry *en : dbx::files_list_directory(c, VOL "/tree")) {
        if (dbx_directory_entry_is_directory(en)) {
            dirs++;
            assert_true(dbx::directory_entry_name(en) == "sub");
            continue;
        }
        char want[16];
        std::snprintf(want, sizeof want, "f%02d", files);
        assert_true(dbx::directory_entry_name(en) == want);
        assert_true(dbx::directory_entry_path(en) == std::string(VOL "/tree/") + want);
        assert_int_equal(dbx_directory_entry_file_size(en), files);
        assert_true(dbx::directory_entry_json(en).find("\"is_directory\"") != std::string_view::npos);
        files++;
    }
    assert_int_equal(files, 12);
    assert_int_equal(dirs, 1);
    json_t *reqs = emu_requests_to(e, DIRS_API VOL "/tree");
    size_t gets = 0;
    for (size_t i = 0; i < json_array_size(reqs); i++)
        gets += method_of(json_array_get(reqs, i)) == "GET";
    json_decref(reqs);
    assert_int_equal(gets, 3); /* 13 entries, 5 per page */
    /* a range left early frees its iterator (the owner) */
    dbx_files_list_options lo = DBX_FILES_LIST_OPTIONS_INIT;
    lo.page_size = 2;
    {
        dbx::files_range rg = dbx::files_list_directory(c, VOL "/tree", &lo);
        for (const dbx_directory_entry *en : rg) {
            (void)en;
            break;
        }
    }
    r = emu_last_request(e, DIRS_API VOL "/tree");
    assert_string_equal(emu_req_query(r, "page_size"), "2");
    json_decref(r);
    /* a missing directory throws from begin() */
    bool thrown = false;
    try {
        for (const dbx_directory_entry *en : dbx::files_list_directory(c, VOL "/nodir"))
            (void)en;
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_ENOTFOUND;
    }
    assert_true(thrown);
    thrown = false;
    try {
        dbx::files_delete_directory(c, VOL "/tree");
    } catch (const dbx::error &err) {
        thrown = err.http_status() == 400;
    }
    assert_true(thrown);
    dbx::files_delete_directory(c, VOL "/tree/sub");
    r = emu_last_request(e, DIRS_API VOL "/tree/sub");
    assert_true(method_of(r) == "DELETE");
    json_decref(r);
    assert_false(dbx::files_directory_exists(c, VOL "/tree/sub"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(upload_download_and_metadata, emu_fixture_setup, emu_fixture_teardown),
        cmocka_unit_test_setup_teardown(streams_rewind_and_multipart, emu_fixture_setup, emu_fixture_teardown),
        cmocka_unit_test_setup_teardown(exceptions, emu_fixture_setup, emu_fixture_teardown),
        cmocka_unit_test_setup_teardown(directories_and_ranges, emu_fixture_setup, emu_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
