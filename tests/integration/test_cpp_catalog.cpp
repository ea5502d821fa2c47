/*
 * The C++17 layers of Unity Catalog (include/dbx/cpp/catalog.hpp) and SQL warehouses
 * (include/dbx/cpp/warehouses.hpp) against the emulator: owners of catalogs, schemas, tables,
 * volumes, warehouses and specs; ranges over lists, columns and properties; exceptions
 * carrying the C error record, and the last snapshot of a failed warehouse wait. Built with
 * -Wall -Wextra -Werror.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>

#include "harness.h"
}

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "dbx/dbx.hpp"

#define UC "/api/2.1/unity-catalog"
#define WH "/api/2.0/sql/warehouses"

static dbx::client make_client(emu *e)
{
    dbx::options o;
    o.set("host", e->base).set("token", EMU_TOKEN).set("no_env", "1").set("no_config_file", "1");
    o.set("retry_initial_delay_ms", "10").set("retry_max_delay_ms", "20");
    return dbx::client(o);
}

static int advance(const char *, const char *, void *)
{
    emu_advance(emu_get(), 1000);
    return 0;
}

static int setup(void **state) { return emu_fixture_setup(state); }
static int teardown(void **state) { return emu_fixture_teardown(state); }

static std::string req_method(const std::string &path)
{
    json_t *r = emu_last_request(emu_get(), path.c_str());
    std::string m = r ? json_string_value(json_object_get(r, "method")) : "";
    json_decref(r);
    return m;
}

static void catalogs_and_schemas(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    const char *props[] = {"tier", "gold", "team", "fin", nullptr};
    dbx_uc_create_options co = DBX_UC_CREATE_OPTIONS_INIT;
    co.comment = "sales";
    co.properties = props;
    dbx::catalog cat = dbx::catalogs_create(c, "sales", &co);
    json_t *r = emu_last_request(e, UC "/catalogs");
    assert_string_equal(json_string_value(emu_req_json(r, "comment")), "sales");
    json_decref(r);
    assert_true(dbx::str(dbx_catalog_name(cat.get())) == "sales");
    std::map<std::string, std::string> got;
    for (auto [k, v] : dbx::properties(cat.get()))
        got[std::string(k)] = std::string(v);
    assert_true(got == (std::map<std::string, std::string>{{"tier", "gold"}, {"team", "fin"}}));
    assert_int_equal(dbx::properties(cat.get()).size(), 2);

    dbx_uc_update_options uo = DBX_UC_UPDATE_OPTIONS_INIT;
    uo.owner = "finance";
    dbx::catalog up = dbx::catalogs_update(c, "sales", uo);
    assert_true(dbx::str(dbx_catalog_owner(up.get())) == "finance");
    assert_true(req_method(UC "/catalogs/sales") == "PATCH");
    assert_true(dbx::str(dbx_catalog_comment(dbx::catalogs_get(c, "sales").get())) == "sales");

    dbx::schema s = dbx::schemas_create(c, "sales", "raw", nullptr);
    assert_true(dbx::str(dbx_schema_full_name(s.get())) == "sales.raw");
    uo = DBX_UC_UPDATE_OPTIONS_INIT;
    uo.comment = "landing";
    assert_true(dbx::str(dbx_schema_comment(dbx::schemas_update(c, "sales.raw", uo).get())) == "landing");
    assert_true(dbx::str(dbx_schema_name(dbx::schemas_get(c, "sales.raw").get())) == "raw");
    assert_int_equal(dbx::properties(s.get()).size(), 0);

    /* ranges page (page size 1) */
    dbx_uc_list_options lo = DBX_UC_LIST_OPTIONS_INIT;
    lo.page_size = 1;
    std::vector<std::string> names;
    for (const dbx_catalog *item : dbx::catalogs_list(c, &lo))
        names.push_back(std::string(dbx::str(dbx_catalog_name(item))));
    assert_true(names == (std::vector<std::string>{"main", "sales"}));
    names.clear();
    for (const dbx_schema *item : dbx::schemas_list(c, "sales", &lo))
        names.push_back(std::string(dbx::str(dbx_schema_name(item))));
    assert_true(names == (std::vector<std::string>{"default", "raw"}));
    assert_true(emu_count(e, UC "/schemas") >= 3); /* one create + two pages */

    dbx::schemas_delete(c, "sales.raw");
    assert_true(req_method(UC "/schemas/sales.raw") == "DELETE");
    dbx::catalogs_delete(c, "sales", true);
    r = emu_last_request(e, UC "/catalogs/sales");
    assert_string_equal(emu_req_query(r, "force"), "true");
    json_decref(r);

    /* errors: the C record, typed */
    bool thrown = false;
    try {
        dbx::catalogs_get(c, "sales");
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_ENOTFOUND && err.error_code() == "CATALOG_DOES_NOT_EXIST" &&
                 err.http_status() == 404 && err.path() == UC "/catalogs/sales";
    }
    assert_true(thrown);
    thrown = false;
    try {
        dbx::schemas_get(c, "only-one-part");
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_EINVAL && std::strstr(err.what(), "full_name") != nullptr;
    }
    assert_true(thrown);
}

static void tables_and_volumes(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    dbx_column_def cols[] = {
        {"id", "bigint", DBX_COLUMN_TYPE_UNKNOWN, 0, 0, 1, "key", 0},
        {"price", "decimal(12,3)", DBX_COLUMN_TYPE_UNKNOWN, 0, 0, 0, nullptr, 0},
    };
    const char *props[] = {"source", "s3", nullptr};
    dbx_uc_create_options co = DBX_UC_CREATE_OPTIONS_INIT;
    co.storage_location = "s3://bucket/t1";
    co.properties = props;
    dbx::table t = dbx::tables_create_external(c, "main", "default", "t1", cols, 2, co);
    assert_true(req_method(UC "/tables") == "POST");
    assert_int_equal(dbx_table_type(t.get()), DBX_TABLE_TYPE_EXTERNAL);
    std::vector<std::string> names, types;
    for (const dbx_column *col : dbx::columns(t.get())) {
        names.push_back(std::string(dbx::str(dbx_column_name(col))));
        types.push_back(std::string(dbx::str(dbx_column_type_str(col))));
    }
    assert_true(names == (std::vector<std::string>{"id", "price"}));
    assert_true(types == (std::vector<std::string>{"LONG", "DECIMAL"}));
    assert_int_equal(dbx::columns(t.get()).size(), 2);
    assert_int_equal(dbx::columns(nullptr).size(), 0);
    bool source = false;
    for (auto [k, v] : dbx::properties(t.get()))
        source = source || (k == "source" && v == "s3");
    assert_true(source);

    assert_true(dbx::tables_exists(c, "main.default.t1"));
    assert_false(dbx::tables_exists(c, "main.default.nope"));
    co.storage_location = "s3://bucket/t2";
    dbx::tables_create_external(c, "main", "default", "t2", cols, 1, co);
    dbx_uc_list_options lo = DBX_UC_LIST_OPTIONS_INIT;
    lo.page_size = 1;
    names.clear();
    for (const dbx_table *item : dbx::tables_list(c, "main", "default", &lo))
        names.push_back(std::string(dbx::str(dbx_table_name(item))));
    assert_int_equal(names.size(), 2);
    int n = 0;
    for (const dbx_table_summary *sum : dbx::tables_list_summaries(c, "main", "def%", "t2")) {
        assert_true(dbx::str(dbx_table_summary_full_name(sum)) == "main.default.t2");
        n++;
    }
    assert_int_equal(n, 1);
    json_t *r = emu_last_request(e, UC "/table-summaries");
    assert_string_equal(emu_req_query(r, "table_name_pattern"), "t2");
    json_decref(r);
    dbx_uc_update_options uo = DBX_UC_UPDATE_OPTIONS_INIT;
    uo.owner = "ops";
    dbx::tables_update(c, "main.default.t1", uo);
    assert_true(dbx::str(dbx_table_owner(dbx::tables_get(c, "main.default.t1").get())) == "ops");
    dbx::tables_delete(c, "main.default.t1");
    assert_false(dbx::tables_exists(c, "main.default.t1"));

    /* volumes */
    dbx::volume v = dbx::volumes_create(c, "main", "default", "raw");
    assert_int_equal(dbx_volume_type(v.get()), DBX_VOLUME_TYPE_MANAGED);
    co = DBX_UC_CREATE_OPTIONS_INIT;
    co.storage_location = "s3://bucket/ext";
    dbx::volume ext = dbx::volumes_create(c, "main", "default", "ext", DBX_VOLUME_TYPE_EXTERNAL, &co);
    assert_true(dbx::str(dbx_volume_storage_location(ext.get())) == "s3://bucket/ext");
    uo = DBX_UC_UPDATE_OPTIONS_INIT;
    uo.comment = "c";
    assert_true(dbx::str(dbx_volume_comment(dbx::volumes_update(c, "main.default.raw", uo).get())) == "c");
    assert_true(dbx::str(dbx_volume_name(dbx::volumes_read(c, "main.default.ext").get())) == "ext");
    n = 0;
    for (const dbx_volume *item : dbx::volumes_list(c, "main", "default", &lo))
        n += item != nullptr;
    assert_int_equal(n, 2);
    dbx::volumes_delete(c, "main.default.raw");
    bool thrown = false;
    try {
        dbx::volumes_read(c, "main.default.raw");
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_ENOTFOUND;
    }
    assert_true(thrown);

    /* a failing page throws from the range; the C iterator is still freed */
    emu_fault(e, "{\"path\":\"" UC "/volumes\",\"action\":\"status\",\"status\":403,\"times\":-1}");
    thrown = false;
    try {
        for (const dbx_volume *item : dbx::volumes_list(c, "main", "default"))
            (void)item;
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_EPERMISSION;
    }
    assert_true(thrown);
}

static void warehouses(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx::client c = make_client(e);
    dbx::warehouse_spec s = dbx::warehouse_spec_new();
    dbx::check(dbx_warehouse_spec_set_name(s.get(), "cpp"));
    dbx::check(dbx_warehouse_spec_set_cluster_size(s.get(), "Small"));
    dbx::check(dbx_warehouse_spec_set_tag(s.get(), "team", "cpp"));
    assert_non_null(std::strstr(dbx::warehouse_spec_to_json(s.get()).c_str(), "\"cluster_size\":\"Small\""));
    std::string id = dbx::warehouses_create(c, s.get());
    assert_int_equal(id.size(), 16);
    json_t *r = emu_last_request(e, WH);
    assert_string_equal(json_string_value(emu_req_json(r, "name")), "cpp");
    json_decref(r);

    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.on_poll = advance;
    dbx::warehouse wh = dbx::warehouses_wait_running(c, id, &w);
    assert_int_equal(dbx_warehouse_state(wh.get()), DBX_WAREHOUSE_STATE_RUNNING);
    assert_true(dbx::str(dbx_warehouse_custom_tag(wh.get(), "team")) == "cpp");

    dbx::warehouse_spec edit = dbx::warehouse_spec_from_json("{\"cluster_size\":\"Large\"}");
    dbx::warehouses_edit(c, id, edit.get());
    assert_true(dbx::str(dbx_warehouse_cluster_size(dbx::warehouses_get(c, id).get())) == "Large");

    dbx_warehouses_list_options lo = DBX_WAREHOUSES_LIST_OPTIONS_INIT;
    lo.page_size = 1;
    std::vector<std::string> ids;
    for (const dbx_warehouse *item : dbx::warehouses_list(c, &lo))
        ids.push_back(std::string(dbx::str(dbx_warehouse_id(item))));
    assert_true(ids == (std::vector<std::string>{"5eedc0ffee000001", id}));

    dbx::warehouses_stop(c, id);
    assert_int_equal(dbx_warehouse_state(dbx::warehouses_wait_stopped(c, id, &w).get()), DBX_WAREHOUSE_STATE_STOPPED);
    /* a STOPPED warehouse: the running wait fails at once, with the snapshot */
    bool thrown = false;
    try {
        dbx::warehouses_wait_running(c, id, &w);
    } catch (const dbx::warehouse_wait_error &err) {
        thrown = err.status() == DBX_ESTATE && err.last() != nullptr &&
                 dbx_warehouse_state(err.last()) == DBX_WAREHOUSE_STATE_STOPPED;
        dbx::warehouse_wait_error copy = err; /* copyable: the snapshot is shared */
        assert_true(copy.last() == err.last());
    }
    assert_true(thrown);
    dbx::warehouses_start(c, id);
    assert_true(req_method(WH "/" + id + "/start") == "POST");
    dbx::warehouses_delete(c, id);
    emu_advance(e, 1000);
    assert_int_equal(dbx_warehouse_state(dbx::warehouses_get(c, id).get()), DBX_WAREHOUSE_STATE_DELETED);

    thrown = false;
    try {
        dbx::warehouse_spec_from_json("{\"name\":\"x\",\"auto_stop_mins\":5}");
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_EINVAL && std::strstr(err.what(), "auto_stop_mins") != nullptr;
    }
    assert_true(thrown);
    thrown = false;
    try {
        dbx::warehouses_get(c, "0123456789abcdef");
    } catch (const dbx::error &err) {
        thrown = err.status() == DBX_ENOTFOUND && err.http_status() == 404;
    }
    assert_true(thrown);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(catalogs_and_schemas, setup, teardown),
        cmocka_unit_test_setup_teardown(tables_and_volumes, setup, teardown),
        cmocka_unit_test_setup_teardown(warehouses, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    emu_stop_all();
    return rc;
}
