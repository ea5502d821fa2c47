/*
 * The C++ layer of the DBFS API (include/dbx/cpp/dbfs.hpp) against the
 * emulator: owners (FileInfo, iterators), range-for over a listing,
 * exceptions carrying the C error record, string_view accessors, streamed
 * uploads and downloads through callables, and exceptions thrown by those
 * callables rethrown unchanged after libdbx has cleaned up.
 * Built with -Wall -Wextra -Werror.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>

#include "harness.h"
}

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

#include "dbx/dbx.hpp"

static const size_t MB = 1024 * 1024;

static dbx::client make_client(emu *e)
{
    dbx::options o;
    o.set("host", e->base).set("token", EMU_TOKEN).set("no_env", "1").set("no_config_file", "1");
    o.set("retry_initial_delay_ms", "10").set("retry_max_delay_ms", "20");
    return dbx::client(o);
}

static std::string pattern(size_t n, unsigned seed)
{
    std::string s(n, '\0');
    for (size_t i = 0; i < n; i++)
        s[i] = (char)((i * 131 + seed * 7 + (i >> 8) * 17) & 0xFF);
    return s;
}

static void owners_ranges_and_errors(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    dbx::dbfs_put(c, "/cpp/a.txt", "hello");
    json_t *req = emu_last_request(e, "/api/2.0/dbfs/put");
    assert_string_equal(json_string_value(emu_req_json(req, "contents")), "aGVsbG8=");
    json_decref(req);
    dbx::dbfs_mkdirs(c, "/cpp/sub");

    dbx::dbfs_file_info_ptr fi = dbx::dbfs_get_status(c, "dbfs:/cpp/a.txt");
    req = emu_last_request(e, "/api/2.0/dbfs/get-status");
    assert_string_equal(emu_req_query(req, "path"), "dbfs:/cpp/a.txt");
    json_decref(req);
    assert_true(dbx::dbfs_path(fi.get()) == "/cpp/a.txt");
    assert_false(dbx::dbfs_is_dir(fi.get()));
    assert_int_equal(dbx::dbfs_file_size(fi.get()), 5);
    assert_true(dbx::dbfs_modification_time(fi.get()) > 1600000000000LL);
    assert_true(dbx::dbfs_json(fi.get()).find("\"file_size\":5") != std::string_view::npos);

    std::vector<std::string> paths;
    std::vector<bool> dirs;
    for (const dbx_dbfs_file_info *item : dbx::dbfs_list(c, "/cpp")) {
        paths.emplace_back(dbx::dbfs_path(item));
        dirs.push_back(dbx::dbfs_is_dir(item));
    }
    assert_int_equal(paths.size(), 2);
    assert_true(paths[0] == "/cpp/a.txt" && paths[1] == "/cpp/sub");
    assert_false(dirs[0]);
    assert_true(dirs[1]);

    /* a listing that fails throws from begin(); the range frees its C iterator */
    bool thrown = false;
    try {
        for (const dbx_dbfs_file_info *item : dbx::dbfs_list(c, "/cpp/none"))
            (void)item;
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_ENOTFOUND && err.http_status() == 404 &&
                 err.error_code() == "RESOURCE_DOES_NOT_EXIST" && err.path() == "/api/2.0/dbfs/list";
    }
    assert_true(thrown);
    thrown = false;
    try {
        dbx::dbfs_put(c, "/cpp/a.txt", "again");
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_EEXISTS && !err.request_id().empty();
    }
    assert_true(thrown);
    thrown = false;
    try {
        dbx::dbfs_get_status(c, "relative");
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_EINVAL && std::strstr(err.what(), "path") != nullptr;
    }
    assert_true(thrown);

    dbx::dbfs_move(c, "/cpp/a.txt", "/cpp/sub/b.txt");
    req = emu_last_request(e, "/api/2.0/dbfs/move");
    assert_string_equal(json_string_value(emu_req_json(req, "destination_path")), "/cpp/sub/b.txt");
    json_decref(req);
    assert_true(dbx::dbfs_read(c, "/cpp/sub/b.txt") == "hello");
    dbx::dbfs_delete(c, "/cpp", true);
    req = emu_last_request(e, "/api/2.0/dbfs/delete");
    assert_true(json_is_true(emu_req_json(req, "recursive")));
    json_decref(req);
    thrown = false;
    try {
        dbx::dbfs_get_status(c, "/cpp");
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_ENOTFOUND;
    }
    assert_true(thrown);
}

static void streams(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    const std::string data = pattern(2 * MB + 777, 3);

    /* upload from a reader in short reads, rewindable; progress after every block */
    size_t pos = 0;
    std::vector<uint64_t> done;
    dbx::dbfs_upload_options uo;
    uo.progress = [&done](uint64_t d, int64_t total) {
        done.push_back(d);
        assert_int_equal(total, -1);
    };
    dbx::dbfs_upload(
        c, "/s/up",
        [&](char *buf, size_t cap) {
            size_t n = std::min({cap, data.size() - pos, (size_t)300000});
            std::memcpy(buf, data.data() + pos, n);
            pos += n;
            return n;
        },
        uo, [&pos] { pos = 0; });
    assert_int_equal(done.size(), 3);
    assert_int_equal(done.back(), data.size());
    assert_int_equal(emu_count(e, "/api/2.0/dbfs/add-block"), 3);

    /* download through a writer, block by block */
    std::string got;
    size_t blocks = 0;
    dbx::dbfs_download(c, "/s/up", [&](std::string_view b) {
        assert_true(b.size() <= MB);
        got.append(b.data(), b.size());
        blocks++;
    });
    assert_int_equal(blocks, 3);
    assert_true(got == data);

    /* local files both ways */
    char local[512], back[512];
    std::snprintf(local, sizeof local, "%s/cpp-dbfs-%d-in", e->dir, (int)getpid());
    std::snprintf(back, sizeof back, "%s/cpp-dbfs-%d-back", e->dir, (int)getpid());
    std::remove(back);
    FILE *f = std::fopen(local, "wb");
    assert_non_null(f);
    assert_int_equal(std::fwrite(data.data(), 1, data.size(), f), data.size());
    std::fclose(f);
    dbx::dbfs_upload_file(c, "/s/file", local);
    int64_t last_total = 0;
    dbx::dbfs_download_file(c, "/s/file", back, false, [&](uint64_t, int64_t total) { last_total = total; });
    assert_int_equal(last_total, (int64_t)data.size());
    f = std::fopen(back, "rb");
    assert_non_null(f);
    std::string round(data.size() + 1, '\0');
    assert_int_equal(std::fread(&round[0], 1, round.size(), f), data.size());
    std::fclose(f);
    round.resize(data.size());
    assert_true(round == data);
    bool thrown = false;
    try {
        dbx::dbfs_download_file(c, "/s/file", back);
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_EEXISTS;
    }
    assert_true(thrown);
    dbx::dbfs_download_file(c, "/s/up", back, true);
    std::remove(local);
    std::remove(back);
}

static void callback_exceptions(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    const std::string data = pattern(3 * MB, 5);

    /* a reader that throws: rethrown unchanged, nothing left on DBFS */
    size_t pos = 0;
    bool caught = false;
    try {
        dbx::dbfs_upload(c, "/x/up", [&](char *buf, size_t cap) -> size_t {
            if (pos >= MB + 10)
                throw std::runtime_error("disk on fire");
            size_t n = std::min(cap, data.size() - pos);
            std::memcpy(buf, data.data() + pos, n);
            pos += n;
            return n;
        });
    } catch (const std::runtime_error &ex) {
        caught = std::strcmp(ex.what(), "disk on fire") == 0 && dynamic_cast<const dbx::error *>(&ex) == nullptr;
    }
    assert_true(caught);
    json_t *req = emu_last_request(e, "/api/2.0/dbfs/delete");
    assert_string_equal(json_string_value(emu_req_json(req, "path")), "/x/up");
    json_decref(req);

    /* a writer that throws after the first block: no further read */
    dbx::dbfs_upload_options quiet;
    pos = 0;
    dbx::dbfs_upload(
        c, "/x/f",
        [&](char *buf, size_t cap) {
            size_t n = std::min(cap, data.size() - pos);
            std::memcpy(buf, data.data() + pos, n);
            pos += n;
            return n;
        },
        quiet);
    emu_clear_requests(e);
    caught = false;
    try {
        dbx::dbfs_download(c, "/x/f", [](std::string_view) { throw std::logic_error("sink full"); });
    } catch (const std::logic_error &ex) {
        caught = std::strcmp(ex.what(), "sink full") == 0;
    }
    assert_true(caught);
    assert_int_equal(emu_count(e, "/api/2.0/dbfs/read"), 1);

    /* a progress callback that throws stops an upload after one block */
    emu_clear_requests(e);
    dbx::dbfs_upload_options stop;
    stop.progress = [](uint64_t, int64_t) { throw 42; };
    pos = 0;
    caught = false;
    try {
        dbx::dbfs_upload(
            c, "/x/g",
            [&](char *buf, size_t cap) {
                size_t n = std::min(cap, data.size() - pos);
                std::memcpy(buf, data.data() + pos, n);
                pos += n;
                return n;
            },
            stop);
    } catch (int v) {
        caught = v == 42;
    }
    assert_true(caught);
    assert_int_equal(emu_count(e, "/api/2.0/dbfs/add-block"), 1);
    caught = false;
    try {
        dbx::dbfs_get_status(c, "/x/g");
    } catch (const dbx::error &err) {
        caught = err.status() == DBX_ENOTFOUND;
    }
    assert_true(caught);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(owners_ranges_and_errors, emu_fixture_setup, emu_fixture_teardown),
        cmocka_unit_test_setup_teardown(streams, emu_fixture_setup, emu_fixture_teardown),
        cmocka_unit_test_setup_teardown(callback_exceptions, emu_fixture_setup, emu_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
