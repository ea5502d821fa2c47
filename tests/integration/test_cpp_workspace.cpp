/*
 * The C++17 layer of the Workspace API (include/dbx/cpp/workspace.hpp) against the emulator:
 * RAII owners of objects, iterators and exported bytes; range-for over list and walk;
 * walk_each with a lambda (stopping, and an exception crossing back over the C frames);
 * dbx::error with the C error record. Built with -Wall -Wextra -Werror.
 */
/* the C++ library first: cmocka defines macros (fail, ...) that clash with <ios> */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <utility>
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

#define API "/api/2.0/workspace"

static const std::string PY_NB = "# Databricks notebook source\nprint('hi')\n";

static dbx::client make_client(emu *e)
{
    dbx::options o;
    o.set("host", e->base).set("token", EMU_TOKEN).set("no_env", "1").set("no_config_file", "1");
    o.set("retry_initial_delay_ms", "10").set("retry_max_delay_ms", "20");
    return dbx::client(o);
}

static dbx_workspace_import_options source_python()
{
    dbx_workspace_import_options o = DBX_WORKSPACE_IMPORT_OPTIONS_INIT;
    o.format = DBX_WORKSPACE_FORMAT_SOURCE;
    o.language = DBX_WORKSPACE_LANGUAGE_PYTHON;
    return o;
}

static dbx_workspace_import_options raw()
{
    dbx_workspace_import_options o = DBX_WORKSPACE_IMPORT_OPTIONS_INIT;
    o.format = DBX_WORKSPACE_FORMAT_RAW;
    return o;
}

static void make_tree(const dbx::client &c)
{
    dbx::workspace_mkdirs(c, "/Shared/w/a/b");
    dbx_workspace_import_options r = raw(), py = source_python();
    dbx::workspace_import(c, "/Shared/w/z.txt", "zz", &r);
    dbx::workspace_import(c, "/Shared/w/m", PY_NB, &py);
    dbx::workspace_import(c, "/Shared/w/a/b/f", std::string_view("x\0y", 3), &r);
}

static void objects_and_simple_calls(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    dbx::workspace_mkdirs(c, "/Shared/cpp/dir");
    json_t *req = emu_last_request(e, API "/mkdirs");
    assert_string_equal(json_string_value(emu_req_json(req, "path")), "/Shared/cpp/dir");
    json_decref(req);

    dbx::workspace_object o = dbx::workspace_get_status(c, "/Shared/cpp/dir");
    assert_true(dbx::workspace_object_path(o.get()) == "/Shared/cpp/dir");
    assert_int_equal(dbx_workspace_object_type(o.get()), DBX_WORKSPACE_OBJECT_DIRECTORY);
    assert_true(dbx::workspace_object_type_str(o.get()) == "DIRECTORY");
    assert_true(dbx::workspace_object_language_str(o.get()).empty());
    assert_true(dbx::workspace_object_resource_id(o.get()) == std::to_string(dbx_workspace_object_id(o.get())));
    assert_true(dbx::workspace_object_json(o.get()).find("\"object_type\":\"DIRECTORY\"") != std::string_view::npos);
    assert_true(dbx::workspace_name(DBX_WORKSPACE_FORMAT_JUPYTER) == "JUPYTER");
    assert_true(dbx::workspace_name(DBX_WORKSPACE_LANGUAGE_SQL) == "SQL");
    assert_true(dbx::workspace_name(DBX_WORKSPACE_OBJECT_NOTEBOOK) == "NOTEBOOK");
    req = emu_last_request(e, API "/get-status");
    assert_string_equal(emu_req_query(req, "path"), "/Shared/cpp/dir");
    json_decref(req);

    /* import / export through memory, binary-safe, with the owned result's views */
    dbx_workspace_import_options r = raw();
    const std::string bin("a\0b\xff", 4);
    dbx::workspace_import(c, "/Shared/cpp/bin", bin, &r);
    req = emu_last_request(e, API "/import");
    assert_string_equal(json_string_value(emu_req_json(req, "format")), "RAW");
    json_decref(req);
    dbx::workspace_export_result x = dbx::workspace_export(c, "/Shared/cpp/bin");
    assert_true(x.content() == bin);
    assert_true(x.file_type().empty());
    dbx_workspace_import_options py = source_python();
    dbx::workspace_import(c, "/Shared/cpp/nb", PY_NB, &py);
    dbx_workspace_export_options eo = DBX_WORKSPACE_EXPORT_OPTIONS_INIT;
    eo.format = DBX_WORKSPACE_FORMAT_SOURCE;
    dbx::workspace_export_result nb = dbx::workspace_export(c, "/Shared/cpp/nb", &eo);
    assert_true(nb.content() == PY_NB);
    assert_true(nb.file_type() == "py");
    req = emu_last_request(e, API "/export");
    assert_string_equal(emu_req_query(req, "format"), "SOURCE");
    json_decref(req);

    /* through local files */
    char dir[] = "/tmp/dbx-cpp-ws-XXXXXX";
    assert_non_null(mkdtemp(dir));
    std::string in = std::string(dir) + "/in.csv", out = std::string(dir) + "/out.csv";
    {
        std::ofstream f(in, std::ios::binary);
        f << "a,b\n";
    }
    dbx::workspace_import_file(c, "/Shared/cpp/data.csv", in, &r);
    assert_true(dbx::workspace_export_file(c, "/Shared/cpp/data.csv", out) == "csv");
    std::ifstream g(out, std::ios::binary);
    std::stringstream ss;
    ss << g.rdbuf();
    assert_true(ss.str() == "a,b\n");
    std::remove(in.c_str());
    std::remove(out.c_str());

    /* export_dir / import_dir */
    std::string tree = std::string(dir) + "/tree";
    dbx::workspace_export_dir(c, "/Shared/cpp", tree);
    assert_int_equal(access((tree + "/nb.py").c_str(), F_OK), 0);
    assert_int_equal(dbx::workspace_import_dir(c, tree, "/Shared/copy"), 3); /* bin, nb.py, data.csv */
    assert_true(dbx::workspace_export(c, "/Shared/copy/nb").content() == PY_NB);
    std::string cmd = std::string("rm -rf ") + dir;
    assert_int_equal(std::system(cmd.c_str()), 0);

    dbx::workspace_delete(c, "/Shared/cpp", true);
    req = emu_last_request(e, API "/delete");
    assert_true(json_is_true(emu_req_json(req, "recursive")));
    json_decref(req);
}

static void errors_are_exceptions(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    bool thrown = false;
    try {
        dbx::workspace_get_status(c, "/Shared/nope");
    } catch (const dbx::error &err) {
        thrown = true;
        assert_int_equal(err.status(), DBX_ENOTFOUND);
        assert_int_equal(err.http_status(), 404);
        assert_true(err.error_code() == "RESOURCE_DOES_NOT_EXIST");
        assert_true(err.path() == API "/get-status");
    }
    assert_true(thrown);
    thrown = false;
    try {
        dbx::workspace_mkdirs(c, "relative/path");
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_EINVAL && std::strstr(err.what(), "path") != nullptr;
    }
    assert_true(thrown);
    dbx::workspace_mkdirs(c, "/Shared/d/e");
    thrown = false;
    try {
        dbx::workspace_delete(c, "/Shared/d");
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_EBADREQUEST && err.error_code() == "DIRECTORY_NOT_EMPTY";
    }
    assert_true(thrown);
    thrown = false;
    try {
        dbx_workspace_import_options py = source_python();
        dbx::workspace_import(c, "/Shared/d", PY_NB, &py);
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_EEXISTS;
    }
    assert_true(thrown);
}

static void ranges_and_walks(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    make_tree(c);
    std::vector<std::string> listed;
    for (const dbx_workspace_object *o : dbx::workspace_list(c, "/Shared/w"))
        listed.emplace_back(dbx::workspace_object_path(o));
    assert_int_equal(listed.size(), 3);
    json_t *req = emu_last_request(e, API "/list");
    assert_string_equal(emu_req_query(req, "path"), "/Shared/w");
    json_decref(req);

    static const char *const order[] = {"/Shared/w/a", "/Shared/w/m", "/Shared/w/z.txt", "/Shared/w/a/b",
                                        "/Shared/w/a/b/f"};
    static const int depths[] = {1, 1, 1, 2, 3};
    size_t i = 0;
    for (dbx::workspace_walk_entry en : dbx::workspace_walk(c, "/Shared/w")) {
        assert_true(i < 5);
        assert_true(dbx::workspace_object_path(en.object) == order[i]);
        assert_int_equal(en.depth, depths[i]);
        i++;
    }
    assert_int_equal(i, 5);

    /* breaking out of a range frees its C iterator (valgrind / ASan check it) */
    for (dbx::workspace_walk_entry en : dbx::workspace_walk(c, "/Shared/w")) {
        (void)en;
        break;
    }

    /* walk_each with a lambda: all, stopped, and an exception carried over the C frames */
    std::vector<std::pair<std::string, int>> seen;
    assert_true(dbx::workspace_walk_each(c, "/Shared/w", [&](const dbx_workspace_object *o, int depth) {
        seen.emplace_back(std::string(dbx::workspace_object_path(o)), depth);
        return false;
    }));
    assert_int_equal(seen.size(), 5);
    assert_true(seen[3].first == "/Shared/w/a/b" && seen[3].second == 2);
    int n = 0;
    auto stop_at_two = [&n](const dbx_workspace_object *, int) { return ++n == 2; };
    assert_false(dbx::workspace_walk_each(c, "/Shared/w", stop_at_two));
    assert_int_equal(n, 2);
    bool caught = false;
    try {
        dbx::workspace_walk_each(c, "/Shared/w", [](const dbx_workspace_object *o, int) -> bool {
            throw std::runtime_error(std::string("stop at ") + std::string(dbx::workspace_object_path(o)));
        });
    } catch (const std::runtime_error &err) {
        caught = std::string(err.what()) == "stop at /Shared/w/a";
    }
    assert_true(caught);

    /* options pass through; a failing list throws from the range (its iterator still freed) */
    dbx_workspace_walk_options wo = DBX_WORKSPACE_WALK_OPTIONS_INIT;
    wo.max_objects = 2;
    bool thrown = false;
    try {
        for (dbx::workspace_walk_entry en : dbx::workspace_walk(c, "/Shared/w", &wo))
            (void)en;
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_ETOOLARGE;
    }
    assert_true(thrown);
    emu_fault(e, "{\"path\":\"" API "/list\",\"action\":\"status\",\"status\":403,\"times\":-1}");
    thrown = false;
    try {
        for (const dbx_workspace_object *o : dbx::workspace_list(c, "/Shared/w"))
            (void)o;
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_EPERMISSION;
    }
    assert_true(thrown);
    thrown = false;
    try {
        dbx::workspace_walk_each(c, "/Shared/w", [](const dbx_workspace_object *, int) { return false; });
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_EPERMISSION;
    }
    assert_true(thrown);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(objects_and_simple_calls, emu_fixture_setup, emu_fixture_teardown),
        cmocka_unit_test_setup_teardown(errors_are_exceptions, emu_fixture_setup, emu_fixture_teardown),
        cmocka_unit_test_setup_teardown(ranges_and_walks, emu_fixture_setup, emu_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
