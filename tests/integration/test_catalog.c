/*
 * Unity Catalog (catalogs, schemas, tables, volumes) against the emulator
 * over HTTP: every public function of include/dbx/catalog.h, asserting on
 * the request libdbx sent (the emulator's request log) and on the result.
 * Paging with short and empty pages is scripted with fault rules (canned
 * 200 pages), so it does not depend on the emulator's page size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define UC "/api/2.1/unity-catalog"

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

static const char *code(void) { return dbx_client_last_error(C)->error_code; }

/* Run SQL through the Statement Execution API (not wrapped here: dbx_request). */
static void sql(const char *statement)
{
    json_t *b = json_pack("{s:s,s:s,s:s}", "warehouse_id", "5eedc0ffee000001", "statement", statement, "wait_timeout", "30s");
    char *text = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    dbx_response *r = NULL;
    dbx_status st = dbx_request(&r, C, "POST", "/api/2.0/sql/statements", text);
    free(text);
    if (st != DBX_OK)
        fail_msg("SQL request failed: %s", dbx_client_last_error(C)->message);
    size_t len;
    const char *body = dbx_response_body(r, &len);
    json_t *j = json_loadb(body, len, 0, NULL);
    const char *state = json_string_value(json_object_get(json_object_get(j, "status"), "state"));
    if (!state || strcmp(state, "SUCCEEDED") != 0)
        fail_msg("SQL did not succeed: %.*s", (int)len, body);
    json_decref(j);
    dbx_response_free(r);
}

static json_t *last(const char *path)
{
    json_t *r = emu_last_request(emu_get(), path);
    assert_non_null(r);
    return r;
}

static const char *req_method(const json_t *r) { return json_string_value(json_object_get(r, "method")); }

static void expect_query(const json_t *r, const char *name, const char *want)
{
    const char *v = emu_req_query(r, name);
    if (!want) {
        assert_null(v);
        return;
    }
    assert_non_null(v);
    assert_string_equal(v, want);
}

static const char *jstr(const json_t *r, const char *name) { return json_string_value(emu_req_json(r, name)); }

/* ---- names and arguments ----------------------------------------------------------- */

static void test_bad_arguments(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_clear_requests(e);
    dbx_catalog *cat = (dbx_catalog *)1;
    dbx_schema *sch = (dbx_schema *)1;
    dbx_table *t = (dbx_table *)1;
    dbx_volume *v = (dbx_volume *)1;
    int ex = 7;

    assert_int_equal(dbx_catalogs_get(&cat, NULL, "main"), DBX_EINVAL);
    assert_null(cat);
    assert_int_equal(dbx_catalogs_get(NULL, C, "main"), DBX_EINVAL);
    assert_int_equal(dbx_catalogs_get(&cat, C, NULL), DBX_EINVAL);
    assert_int_equal(dbx_catalogs_get(&cat, C, ""), DBX_EINVAL);
    assert_int_equal(dbx_catalogs_get(&cat, C, "a.b"), DBX_EINVAL);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "name"));
    assert_int_equal(dbx_catalogs_get(&cat, C, "\xff"), DBX_EINVAL);
    assert_int_equal(dbx_schemas_get(&sch, C, "main"), DBX_EINVAL);
    assert_null(sch);
    assert_int_equal(dbx_schemas_get(&sch, C, "main."), DBX_EINVAL);
    assert_int_equal(dbx_schemas_get(&sch, C, ".default"), DBX_EINVAL);
    assert_int_equal(dbx_schemas_get(&sch, C, "main.default.x"), DBX_EINVAL);
    assert_int_equal(dbx_tables_get(&t, C, "main.default"), DBX_EINVAL);
    assert_null(t);
    assert_int_equal(dbx_tables_get(&t, C, "main..t"), DBX_EINVAL);
    assert_int_equal(dbx_tables_get(&t, C, "a.b.c.d"), DBX_EINVAL);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "full_name"));
    assert_int_equal(dbx_tables_exists(&ex, C, "a.b"), DBX_EINVAL);
    assert_int_equal(ex, 0);
    assert_int_equal(dbx_tables_exists(NULL, C, "a.b.c"), DBX_EINVAL);
    assert_int_equal(dbx_tables_delete(C, "a.b"), DBX_EINVAL);
    assert_int_equal(dbx_volumes_read(&v, C, "a.b"), DBX_EINVAL);
    assert_null(v);
    assert_int_equal(dbx_volumes_delete(C, "a"), DBX_EINVAL);
    assert_int_equal(dbx_catalogs_delete(C, "", 0), DBX_EINVAL);
    assert_int_equal(dbx_schemas_delete(C, "x", 1), DBX_EINVAL);

    /* create: single names, options the object does not take, versions */
    assert_int_equal(dbx_schemas_create(NULL, C, "main", "a.b", NULL), DBX_EINVAL);
    assert_int_equal(dbx_volumes_create(NULL, C, "main", "default", "v", DBX_VOLUME_TYPE_UNKNOWN, NULL), DBX_EINVAL);
    dbx_uc_create_options co = DBX_UC_CREATE_OPTIONS_INIT;
    co.storage_location = "s3://bucket/x";
    assert_int_equal(dbx_catalogs_create(NULL, C, "c1", &co), DBX_EINVAL);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "storage_location"));
    assert_int_equal(dbx_volumes_create(NULL, C, "main", "default", "v", DBX_VOLUME_TYPE_MANAGED, &co), DBX_EINVAL);
    co.storage_location = NULL;
    assert_int_equal(dbx_volumes_create(NULL, C, "main", "default", "v", DBX_VOLUME_TYPE_EXTERNAL, &co), DBX_EINVAL);
    const char *odd[] = {"k", NULL};
    co.properties = odd;
    assert_int_equal(dbx_catalogs_create(NULL, C, "c1", &co), DBX_EINVAL);
    co.properties = NULL;
    co.provider_name = "p";
    assert_int_equal(dbx_catalogs_create(NULL, C, "c1", &co), DBX_EINVAL); /* without share_name */
    co.provider_name = NULL;
    co.version = 99;
    assert_int_equal(dbx_catalogs_create(NULL, C, "c1", &co), DBX_EINVAL);

    /* update: nothing set, a field the object does not take, bad enum values */
    dbx_uc_update_options uo = DBX_UC_UPDATE_OPTIONS_INIT;
    assert_int_equal(dbx_catalogs_update(NULL, C, "main", NULL), DBX_EINVAL);
    assert_int_equal(dbx_catalogs_update(NULL, C, "main", &uo), DBX_EINVAL);
    uo.comment = "x";
    assert_int_equal(dbx_tables_update(C, "main.default.t", &uo), DBX_EINVAL);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "comment"));
    uo.comment = NULL;
    uo.isolation_mode = "CLOSED";
    assert_int_equal(dbx_catalogs_update(NULL, C, "main", &uo), DBX_EINVAL);
    uo.isolation_mode = "OPEN";
    assert_int_equal(dbx_schemas_update(NULL, C, "main.default", &uo), DBX_EINVAL);
    uo.isolation_mode = NULL;
    uo.new_name = "a.b";
    assert_int_equal(dbx_volumes_update(NULL, C, "main.default.v", &uo), DBX_EINVAL);

    /* lists */
    dbx_uc_list_options lo = DBX_UC_LIST_OPTIONS_INIT;
    lo.page_size = -1;
    dbx_catalogs_iter *ci = (dbx_catalogs_iter *)1;
    assert_int_equal(dbx_catalogs_list(&ci, C, &lo), DBX_EINVAL);
    assert_null(ci);
    dbx_tables_iter *ti = NULL;
    assert_int_equal(dbx_tables_list(&ti, C, "main", "a.b", NULL), DBX_EINVAL);
    assert_int_equal(dbx_tables_list(&ti, C, NULL, "default", NULL), DBX_EINVAL);
    const dbx_table *item = (const dbx_table *)1;
    assert_int_equal(dbx_tables_iter_next(&item, NULL), DBX_EINVAL);
    assert_null(item);

    /* external tables: columns checked locally */
    dbx_column_def cols[] = {{"id", "bigint", DBX_COLUMN_TYPE_UNKNOWN, 0, 0, 0, NULL, 0},
                             {"x", "geometry_thing", DBX_COLUMN_TYPE_UNKNOWN, 0, 0, 0, NULL, 0}};
    co = (dbx_uc_create_options)DBX_UC_CREATE_OPTIONS_INIT;
    co.storage_location = "s3://bucket/t";
    assert_int_equal(dbx_tables_create_external(NULL, C, "main", "default", "t", cols, 2, &co), DBX_EINVAL);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "columns[1]"));
    cols[1].type_text = "decimal(40,2)";
    assert_int_equal(dbx_tables_create_external(NULL, C, "main", "default", "t", cols, 2, &co), DBX_EINVAL);
    cols[1].type_text = "";
    assert_int_equal(dbx_tables_create_external(NULL, C, "main", "default", "t", cols, 2, &co), DBX_EINVAL);
    assert_int_equal(dbx_tables_create_external(NULL, C, "main", "default", "t", cols, 1, NULL), DBX_EINVAL);

    /* nothing of the above reached the server */
    assert_int_equal(emu_count(e, NULL), 0);

    /* free functions take NULL; accessors of NULL are "" / 0 */
    dbx_catalog_free(NULL);
    dbx_schema_free(NULL);
    dbx_table_free(NULL);
    dbx_volume_free(NULL);
    dbx_catalogs_iter_free(NULL);
    dbx_schemas_iter_free(NULL);
    dbx_tables_iter_free(NULL);
    dbx_volumes_iter_free(NULL);
    dbx_table_summaries_iter_free(NULL);
    assert_string_equal(dbx_table_full_name(NULL), "");
    assert_int_equal(dbx_table_column_count(NULL), 0);
    assert_null(dbx_table_column(NULL, 0));
    assert_int_equal(dbx_column_nullable(NULL), 1);
    assert_int_equal(dbx_column_position(NULL), -1);
    assert_null(dbx_catalog_property(NULL, "k"));
    assert_string_equal(dbx_table_type_name(DBX_TABLE_TYPE_METRIC_VIEW), "METRIC_VIEW");
    assert_string_equal(dbx_table_type_name((dbx_table_type_t)99), "UNKNOWN");
    assert_string_equal(dbx_data_source_format_name(DBX_DATA_SOURCE_FORMAT_TERADATA_FORMAT), "TERADATA_FORMAT");
    assert_string_equal(dbx_column_type_name(DBX_COLUMN_TYPE_GEOMETRY), "GEOMETRY");
    assert_string_equal(dbx_volume_type_name(DBX_VOLUME_TYPE_EXTERNAL), "EXTERNAL");
}

/* ---- catalogs ------------------------------------------------------------------------ */

static void test_catalogs(void **state)
{
    (void)state;
    emu *e = emu_get();
    const char *props[] = {"team", "data", "tier", "gold", NULL};
    dbx_uc_create_options co = DBX_UC_CREATE_OPTIONS_INIT;
    co.comment = "sales data";
    co.properties = props;
    dbx_catalog *cat = NULL;
    assert_int_equal(dbx_catalogs_create(&cat, C, "sales", &co), DBX_OK);
    json_t *r = last(UC "/catalogs");
    assert_string_equal(req_method(r), "POST");
    assert_string_equal(jstr(r, "name"), "sales");
    assert_string_equal(jstr(r, "comment"), "sales data");
    assert_string_equal(json_string_value(json_object_get(emu_req_json(r, "properties"), "tier")), "gold");
    assert_null(emu_req_json(r, "storage_root"));
    json_decref(r);
    assert_string_equal(dbx_catalog_name(cat), "sales");
    assert_string_equal(dbx_catalog_comment(cat), "sales data");
    assert_string_equal(dbx_catalog_property(cat, "team"), "data");
    assert_null(dbx_catalog_property(cat, "nope"));
    assert_int_equal(dbx_catalog_property_count(cat), 2);
    const char *k, *v;
    int seen = 0;
    for (size_t i = 0; dbx_catalog_property_at(cat, i, &k, &v); i++)
        seen |= (strcmp(k, "team") == 0 && strcmp(v, "data") == 0) ? 1 : (strcmp(k, "tier") == 0 && strcmp(v, "gold") == 0) ? 2 : 4;
    assert_int_equal(seen, 3);
    assert_int_equal(dbx_catalog_property_at(cat, 2, &k, &v), 0);
    assert_null(k);
    assert_true(*dbx_catalog_owner(cat));
    assert_true(dbx_catalog_created_at(cat) > 0);
    assert_non_null(strstr(dbx_catalog_json(cat), "\"sales\""));
    dbx_catalog_free(cat);

    /* get */
    cat = NULL;
    assert_int_equal(dbx_catalogs_get(&cat, C, "sales"), DBX_OK);
    r = last(UC "/catalogs/sales");
    assert_string_equal(req_method(r), "GET");
    json_decref(r);
    assert_string_equal(dbx_catalog_name(cat), "sales");
    assert_string_equal(dbx_catalog_property(cat, "tier"), "gold");
    int64_t created = dbx_catalog_created_at(cat);
    dbx_catalog_free(cat);

    /* the seed catalog */
    assert_int_equal(dbx_catalogs_get(&cat, C, "main"), DBX_OK);
    assert_string_equal(dbx_catalog_name(cat), "main");
    dbx_catalog_free(cat);

    /* duplicate, missing */
    assert_int_equal(dbx_catalogs_create(NULL, C, "sales", NULL), DBX_EEXISTS);
    cat = (dbx_catalog *)1;
    assert_int_equal(dbx_catalogs_get(&cat, C, "nothere"), DBX_ENOTFOUND);
    assert_null(cat);
    assert_int_equal(dbx_client_last_error(C)->http_status, 404);

    /* update: comment, owner, properties, isolation mode, then a rename */
    emu_advance(e, 5000);
    const char *props2[] = {"tier", "silver", NULL};
    dbx_uc_update_options uo = DBX_UC_UPDATE_OPTIONS_INIT;
    uo.comment = "renamed soon";
    uo.owner = "data-team";
    uo.properties = props2;
    uo.isolation_mode = "ISOLATED";
    assert_int_equal(dbx_catalogs_update(&cat, C, "sales", &uo), DBX_OK);
    r = last(UC "/catalogs/sales");
    assert_string_equal(req_method(r), "PATCH");
    assert_string_equal(jstr(r, "comment"), "renamed soon");
    assert_string_equal(jstr(r, "owner"), "data-team");
    assert_string_equal(jstr(r, "isolation_mode"), "ISOLATED");
    assert_string_equal(json_string_value(json_object_get(emu_req_json(r, "properties"), "tier")), "silver");
    assert_null(emu_req_json(r, "new_name"));
    json_decref(r);
    assert_string_equal(dbx_catalog_comment(cat), "renamed soon");
    assert_string_equal(dbx_catalog_owner(cat), "data-team");
    assert_string_equal(dbx_catalog_property(cat, "tier"), "silver");
    assert_string_equal(dbx_catalog_isolation_mode(cat), "ISOLATED");
    assert_true(dbx_catalog_updated_at(cat) >= created);
    dbx_catalog_free(cat);

    uo = (dbx_uc_update_options)DBX_UC_UPDATE_OPTIONS_INIT;
    uo.new_name = "sales2";
    assert_int_equal(dbx_catalogs_update(NULL, C, "sales", &uo), DBX_OK);
    r = last(UC "/catalogs/sales");
    assert_string_equal(jstr(r, "new_name"), "sales2");
    json_decref(r);
    assert_int_equal(dbx_catalogs_get(&cat, C, "sales"), DBX_ENOTFOUND);
    assert_int_equal(dbx_catalogs_get(&cat, C, "sales2"), DBX_OK);
    assert_string_equal(dbx_catalog_comment(cat), "renamed soon");
    dbx_catalog_free(cat);

    /* delete: not empty without force, then with force */
    assert_int_equal(dbx_schemas_create(NULL, C, "sales2", "s1", NULL), DBX_OK);
    assert_int_equal(dbx_catalogs_delete(C, "sales2", 0), DBX_EINVALIDSTATE);
    r = last(UC "/catalogs/sales2");
    assert_string_equal(req_method(r), "DELETE");
    expect_query(r, "force", NULL);
    json_decref(r);
    assert_int_equal(dbx_catalogs_delete(C, "sales2", 1), DBX_OK);
    r = last(UC "/catalogs/sales2");
    expect_query(r, "force", "true");
    json_decref(r);
    assert_int_equal(dbx_catalogs_get(&cat, C, "sales2"), DBX_ENOTFOUND);
    assert_int_equal(dbx_catalogs_delete(C, "sales2", 0), DBX_ENOTFOUND);
}

/* Names are sent as they are, percent-encoded in the path: '-', '%', '?',
 * '#', '&', '+' and non-ASCII survive the round trip (the emulator, like
 * the service, refuses blanks, '/' and control characters). */
static void test_names_encoded(void **state)
{
    (void)state;
    const char *name = "my-cat_\xc3\xa9+%?#&=x";
    dbx_catalog *cat = NULL;
    assert_int_equal(dbx_catalogs_create(NULL, C, name, NULL), DBX_OK);
    assert_int_equal(dbx_catalogs_get(&cat, C, name), DBX_OK);
    assert_string_equal(dbx_catalog_name(cat), name);
    dbx_catalog_free(cat);
    char path[128];
    snprintf(path, sizeof path, UC "/catalogs/%s", name);
    json_t *r = last(path);
    json_decref(r);
    assert_int_equal(dbx_schemas_create(NULL, C, name, "a%b", NULL), DBX_OK);
    char full[128];
    snprintf(full, sizeof full, "%s.a%%b", name);
    dbx_schema *s = NULL;
    assert_int_equal(dbx_schemas_get(&s, C, full), DBX_OK);
    assert_string_equal(dbx_schema_full_name(s), full);
    assert_string_equal(dbx_schema_catalog_name(s), name);
    dbx_schema_free(s);
    assert_int_equal(dbx_catalogs_delete(C, name, 1), DBX_OK);
}

/* Several real pages from the emulator: max_results sent, page_token followed. */
static void test_catalogs_list_pages(void **state)
{
    (void)state;
    emu *e = emu_get();
    char name[32];
    for (int i = 0; i < 7; i++) {
        snprintf(name, sizeof name, "pc%d", i);
        assert_int_equal(dbx_catalogs_create(NULL, C, name, NULL), DBX_OK);
    }
    emu_clear_requests(e);
    dbx_uc_list_options lo = DBX_UC_LIST_OPTIONS_INIT;
    lo.page_size = 2;
    dbx_catalogs_iter *it = NULL;
    assert_int_equal(dbx_catalogs_list(&it, C, &lo), DBX_OK);
    assert_int_equal(emu_count(e, NULL), 0); /* no request before the first _next */
    const dbx_catalog *cat;
    int found = 0, n = 0, main_seen = 0;
    dbx_status st;
    while ((st = dbx_catalogs_iter_next(&cat, it)) == DBX_OK) {
        n++;
        if (strncmp(dbx_catalog_name(cat), "pc", 2) == 0)
            found |= 1 << (dbx_catalog_name(cat)[2] - '0');
        main_seen |= strcmp(dbx_catalog_name(cat), "main") == 0;
    }
    assert_int_equal(st, DBX_DONE);
    assert_int_equal(dbx_catalogs_iter_next(&cat, it), DBX_DONE);
    dbx_catalogs_iter_free(it);
    assert_int_equal(found, 0x7f);
    assert_true(main_seen);
    json_t *reqs = emu_requests_to(e, UC "/catalogs");
    size_t pages = json_array_size(reqs);
    assert_true(pages >= 4); /* >= 8 catalogs, 2 per page */
    for (size_t i = 0; i < pages; i++) {
        json_t *r = json_array_get(reqs, i);
        expect_query(r, "max_results", "2");
        if (i == 0)
            expect_query(r, "page_token", NULL);
        else
            assert_non_null(emu_req_query(r, "page_token"));
    }
    json_decref(reqs);

    /* max_items stops early; default page_size sends max_results=0 */
    emu_clear_requests(e);
    lo = (dbx_uc_list_options)DBX_UC_LIST_OPTIONS_INIT;
    lo.max_items = 3;
    lo.include_browse = 1;
    lo.include_unbound = 1;
    lo.omit_columns = 1; /* not a catalogs option: not sent */
    assert_int_equal(dbx_catalogs_list(&it, C, &lo), DBX_OK);
    n = 0;
    while ((st = dbx_catalogs_iter_next(&cat, it)) == DBX_OK)
        n++;
    assert_int_equal(st, DBX_DONE);
    assert_int_equal(n, 3);
    dbx_catalogs_iter_free(it);
    json_t *r = emu_requests_to(e, UC "/catalogs");
    json_t *r0 = json_array_get(r, 0);
    expect_query(r0, "max_results", "0");
    expect_query(r0, "include_browse", "true");
    expect_query(r0, "include_unbound", "true");
    expect_query(r0, "omit_columns", NULL);
    json_decref(r);
}

/* Short and empty pages (canned by fault rules): the iterator keeps going
 * while next_page_token comes back and stops only when it is absent. */
static void test_paging_short_and_empty_pages(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_fault(e, "{\"rules\": ["
                 "{\"method\":\"GET\",\"path\":\"" UC "/schemas\",\"action\":\"status\",\"status\":200,"
                 " \"body\":{\"schemas\":[],\"next_page_token\":\"t1\"}},"
                 "{\"method\":\"GET\",\"path\":\"" UC "/schemas\",\"action\":\"status\",\"status\":200,"
                 " \"body\":{\"schemas\":[{\"name\":\"a\",\"full_name\":\"main.a\"}],\"next_page_token\":\"t2\"}},"
                 "{\"method\":\"GET\",\"path\":\"" UC "/schemas\",\"action\":\"status\",\"status\":200,"
                 " \"body\":{\"next_page_token\":\"t3\"}},"
                 "{\"method\":\"GET\",\"path\":\"" UC "/schemas\",\"action\":\"status\",\"status\":200,"
                 " \"body\":{\"schemas\":[{\"name\":\"b\",\"full_name\":\"main.b\"},"
                 "{\"name\":\"c\",\"full_name\":\"main.c\"}],\"next_page_token\":\"\"}}]}");
    dbx_uc_list_options lo = DBX_UC_LIST_OPTIONS_INIT;
    lo.page_size = 5;
    dbx_schemas_iter *it = NULL;
    assert_int_equal(dbx_schemas_list(&it, C, "main", &lo), DBX_OK);
    const dbx_schema *s;
    char got[16] = "";
    dbx_status st;
    while ((st = dbx_schemas_iter_next(&s, it)) == DBX_OK)
        strcat(got, dbx_schema_name(s));
    assert_int_equal(st, DBX_DONE);
    dbx_schemas_iter_free(it);
    assert_string_equal(got, "abc");
    json_t *reqs = emu_requests_to(e, UC "/schemas");
    assert_int_equal(json_array_size(reqs), 4);
    const char *tokens[] = {NULL, "t1", "t2", "t3"};
    for (size_t i = 0; i < 4; i++) {
        json_t *r = json_array_get(reqs, i);
        expect_query(r, "catalog_name", "main");
        expect_query(r, "max_results", "5");
        expect_query(r, "page_token", tokens[i]);
    }
    json_decref(reqs);
}

/* A page that fails is fetched again by the next _next; a malformed page is
 * DBX_EBADRESPONSE. */
static void test_paging_errors(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_fault(e, "{\"rules\": ["
                 "{\"method\":\"GET\",\"path\":\"" UC "/catalogs\",\"action\":\"status\",\"status\":200,"
                 " \"body\":{\"catalogs\":[{\"name\":\"x1\"}],\"next_page_token\":\"p2\"}},"
                 "{\"method\":\"GET\",\"path\":\"" UC "/catalogs\",\"action\":\"status\",\"status\":403,"
                 " \"body\":{\"error_code\":\"PERMISSION_DENIED\",\"message\":\"no\"}},"
                 "{\"method\":\"GET\",\"path\":\"" UC "/catalogs\",\"action\":\"status\",\"status\":200,"
                 " \"body\":{\"catalogs\":[{\"name\":\"x2\"}]}},"
                 "{\"method\":\"GET\",\"path\":\"" UC "/volumes\",\"action\":\"status\",\"status\":200,"
                 " \"body\":{\"volumes\":{\"name\":\"v\"}}}]}");
    dbx_catalogs_iter *it = NULL;
    assert_int_equal(dbx_catalogs_list(&it, C, NULL), DBX_OK);
    const dbx_catalog *cat;
    assert_int_equal(dbx_catalogs_iter_next(&cat, it), DBX_OK);
    assert_string_equal(dbx_catalog_name(cat), "x1");
    assert_int_equal(dbx_catalogs_iter_next(&cat, it), DBX_EPERMISSION);
    assert_null(cat);
    assert_int_equal(dbx_catalogs_iter_next(&cat, it), DBX_OK);
    assert_string_equal(dbx_catalog_name(cat), "x2");
    assert_int_equal(dbx_catalogs_iter_next(&cat, it), DBX_DONE);
    dbx_catalogs_iter_free(it);
    json_t *reqs = emu_requests_to(e, UC "/catalogs");
    assert_int_equal(json_array_size(reqs), 3);
    expect_query(json_array_get(reqs, 1), "page_token", "p2");
    expect_query(json_array_get(reqs, 2), "page_token", "p2");
    json_decref(reqs);

    dbx_volumes_iter *vi = NULL;
    assert_int_equal(dbx_volumes_list(&vi, C, "main", "default", NULL), DBX_OK);
    const dbx_volume *vol;
    assert_int_equal(dbx_volumes_iter_next(&vol, vi), DBX_EBADRESPONSE);
    dbx_volumes_iter_free(vi);
}

/* ---- schemas ----------------------------------------------------------------------------- */

static void test_schemas(void **state)
{
    (void)state;
    emu *e = emu_get();
    const char *props[] = {"owner_team", "etl", NULL};
    dbx_uc_create_options co = DBX_UC_CREATE_OPTIONS_INIT;
    co.comment = "raw data";
    co.properties = props;
    dbx_schema *s = NULL;
    assert_int_equal(dbx_schemas_create(&s, C, "main", "raw", &co), DBX_OK);
    json_t *r = last(UC "/schemas");
    assert_string_equal(req_method(r), "POST");
    assert_string_equal(jstr(r, "name"), "raw");
    assert_string_equal(jstr(r, "catalog_name"), "main");
    assert_string_equal(jstr(r, "comment"), "raw data");
    assert_string_equal(json_string_value(json_object_get(emu_req_json(r, "properties"), "owner_team")), "etl");
    json_decref(r);
    assert_string_equal(dbx_schema_name(s), "raw");
    assert_string_equal(dbx_schema_catalog_name(s), "main");
    assert_string_equal(dbx_schema_full_name(s), "main.raw");
    assert_string_equal(dbx_schema_comment(s), "raw data");
    assert_string_equal(dbx_schema_property(s, "owner_team"), "etl");
    assert_int_equal(dbx_schema_property_count(s), 1);
    assert_true(*dbx_schema_owner(s));
    assert_true(dbx_schema_created_at(s) > 0);
    dbx_schema_free(s);

    assert_int_equal(dbx_schemas_create(NULL, C, "main", "raw", NULL), DBX_EEXISTS);
    assert_int_equal(dbx_schemas_create(NULL, C, "nocat", "raw", NULL), DBX_ENOTFOUND);
    assert_int_equal(dbx_schemas_get(&s, C, "main.nothere"), DBX_ENOTFOUND);

    assert_int_equal(dbx_schemas_get(&s, C, "main.raw"), DBX_OK);
    r = last(UC "/schemas/main.raw");
    assert_string_equal(req_method(r), "GET");
    json_decref(r);
    assert_string_equal(dbx_schema_full_name(s), "main.raw");
    dbx_schema_free(s);

    /* list: paged */
    for (int i = 0; i < 4; i++) {
        char n[16];
        snprintf(n, sizeof n, "ps%d", i);
        assert_int_equal(dbx_schemas_create(NULL, C, "main", n, NULL), DBX_OK);
    }
    emu_clear_requests(e);
    dbx_uc_list_options lo = DBX_UC_LIST_OPTIONS_INIT;
    lo.page_size = 2;
    lo.include_browse = 1;
    dbx_schemas_iter *it = NULL;
    assert_int_equal(dbx_schemas_list(&it, C, "main", &lo), DBX_OK);
    const dbx_schema *item;
    int n = 0, raw = 0, def = 0;
    dbx_status st;
    while ((st = dbx_schemas_iter_next(&item, it)) == DBX_OK) {
        n++;
        raw += strcmp(dbx_schema_full_name(item), "main.raw") == 0;
        def += strcmp(dbx_schema_name(item), "default") == 0;
        assert_string_equal(dbx_schema_catalog_name(item), "main");
    }
    assert_int_equal(st, DBX_DONE);
    dbx_schemas_iter_free(it);
    assert_true(n >= 6);
    assert_int_equal(raw, 1);
    assert_int_equal(def, 1);
    json_t *reqs = emu_requests_to(e, UC "/schemas");
    assert_true(json_array_size(reqs) >= 3);
    expect_query(json_array_get(reqs, 0), "catalog_name", "main");
    expect_query(json_array_get(reqs, 0), "max_results", "2");
    expect_query(json_array_get(reqs, 0), "include_browse", "true");
    json_decref(reqs);
    assert_int_equal(dbx_schemas_list(&it, C, "nocat", NULL), DBX_OK);
    assert_int_equal(dbx_schemas_iter_next(&item, it), DBX_ENOTFOUND);
    dbx_schemas_iter_free(it);

    /* update, rename */
    dbx_uc_update_options uo = DBX_UC_UPDATE_OPTIONS_INIT;
    uo.comment = "curated";
    uo.owner = "etl-sp";
    uo.enable_predictive_optimization = "ENABLE";
    assert_int_equal(dbx_schemas_update(&s, C, "main.raw", &uo), DBX_OK);
    r = last(UC "/schemas/main.raw");
    assert_string_equal(req_method(r), "PATCH");
    assert_string_equal(jstr(r, "comment"), "curated");
    assert_string_equal(jstr(r, "owner"), "etl-sp");
    assert_string_equal(jstr(r, "enable_predictive_optimization"), "ENABLE");
    json_decref(r);
    assert_string_equal(dbx_schema_comment(s), "curated");
    assert_string_equal(dbx_schema_owner(s), "etl-sp");
    dbx_schema_free(s);
    uo = (dbx_uc_update_options)DBX_UC_UPDATE_OPTIONS_INIT;
    uo.new_name = "bronze";
    assert_int_equal(dbx_schemas_update(&s, C, "main.raw", &uo), DBX_OK);
    assert_string_equal(dbx_schema_full_name(s), "main.bronze");
    dbx_schema_free(s);
    assert_int_equal(dbx_schemas_get(&s, C, "main.raw"), DBX_ENOTFOUND);

    /* delete: a schema holding a volume needs force */
    assert_int_equal(dbx_volumes_create(NULL, C, "main", "bronze", "files", DBX_VOLUME_TYPE_MANAGED, NULL), DBX_OK);
    assert_int_equal(dbx_schemas_delete(C, "main.bronze", 0), DBX_EINVALIDSTATE);
    assert_int_equal(dbx_schemas_delete(C, "main.bronze", 1), DBX_OK);
    r = last(UC "/schemas/main.bronze");
    assert_string_equal(req_method(r), "DELETE");
    expect_query(r, "force", "true");
    json_decref(r);
    assert_int_equal(dbx_schemas_get(&s, C, "main.bronze"), DBX_ENOTFOUND);
    dbx_volume *v = NULL;
    assert_int_equal(dbx_volumes_read(&v, C, "main.bronze.files"), DBX_ENOTFOUND);
}

/* ---- volumes ----------------------------------------------------------------------------- */

static void test_volumes(void **state)
{
    (void)state;
    emu *e = emu_get();
    dbx_uc_create_options co = DBX_UC_CREATE_OPTIONS_INIT;
    co.comment = "landing files";
    dbx_volume *v = NULL;
    assert_int_equal(dbx_volumes_create(&v, C, "main", "default", "landing", DBX_VOLUME_TYPE_MANAGED, &co), DBX_OK);
    json_t *r = last(UC "/volumes");
    assert_string_equal(req_method(r), "POST");
    assert_string_equal(jstr(r, "catalog_name"), "main");
    assert_string_equal(jstr(r, "schema_name"), "default");
    assert_string_equal(jstr(r, "name"), "landing");
    assert_string_equal(jstr(r, "volume_type"), "MANAGED");
    assert_string_equal(jstr(r, "comment"), "landing files");
    assert_null(emu_req_json(r, "storage_location"));
    json_decref(r);
    assert_string_equal(dbx_volume_full_name(v), "main.default.landing");
    assert_string_equal(dbx_volume_name(v), "landing");
    assert_string_equal(dbx_volume_catalog_name(v), "main");
    assert_string_equal(dbx_volume_schema_name(v), "default");
    assert_int_equal(dbx_volume_type(v), DBX_VOLUME_TYPE_MANAGED);
    assert_string_equal(dbx_volume_type_str(v), "MANAGED");
    assert_string_equal(dbx_volume_comment(v), "landing files");
    assert_true(*dbx_volume_id(v));
    assert_true(*dbx_volume_storage_location(v));
    assert_true(*dbx_volume_owner(v));
    assert_true(dbx_volume_created_at(v) > 0);
    assert_non_null(strstr(dbx_volume_json(v), "landing"));
    dbx_volume_free(v);

    co = (dbx_uc_create_options)DBX_UC_CREATE_OPTIONS_INIT;
    co.storage_location = "s3://bucket/ext/vol";
    assert_int_equal(dbx_volumes_create(&v, C, "main", "default", "ext", DBX_VOLUME_TYPE_EXTERNAL, &co), DBX_OK);
    r = last(UC "/volumes");
    assert_string_equal(jstr(r, "volume_type"), "EXTERNAL");
    assert_string_equal(jstr(r, "storage_location"), "s3://bucket/ext/vol");
    json_decref(r);
    assert_int_equal(dbx_volume_type(v), DBX_VOLUME_TYPE_EXTERNAL);
    assert_string_equal(dbx_volume_storage_location(v), "s3://bucket/ext/vol");
    dbx_volume_free(v);

    assert_int_equal(dbx_volumes_create(NULL, C, "main", "default", "landing", DBX_VOLUME_TYPE_MANAGED, NULL), DBX_EEXISTS);
    assert_int_equal(dbx_volumes_create(NULL, C, "main", "noschema", "x", DBX_VOLUME_TYPE_MANAGED, NULL), DBX_ENOTFOUND);

    assert_int_equal(dbx_volumes_read(&v, C, "main.default.landing"), DBX_OK);
    r = last(UC "/volumes/main.default.landing");
    assert_string_equal(req_method(r), "GET");
    json_decref(r);
    assert_string_equal(dbx_volume_full_name(v), "main.default.landing");
    dbx_volume_free(v);
    assert_int_equal(dbx_volumes_read(&v, C, "main.default.nothere"), DBX_ENOTFOUND);

    /* list (paged) */
    assert_int_equal(dbx_volumes_create(NULL, C, "main", "default", "third", DBX_VOLUME_TYPE_MANAGED, NULL), DBX_OK);
    emu_clear_requests(e);
    dbx_uc_list_options lo = DBX_UC_LIST_OPTIONS_INIT;
    lo.page_size = 1;
    dbx_volumes_iter *it = NULL;
    assert_int_equal(dbx_volumes_list(&it, C, "main", "default", &lo), DBX_OK);
    const dbx_volume *item;
    int seen = 0;
    dbx_status st;
    while ((st = dbx_volumes_iter_next(&item, it)) == DBX_OK) {
        const char *n = dbx_volume_name(item);
        seen |= strcmp(n, "landing") == 0 ? 1 : strcmp(n, "ext") == 0 ? 2 : strcmp(n, "third") == 0 ? 4 : 8;
    }
    assert_int_equal(st, DBX_DONE);
    dbx_volumes_iter_free(it);
    assert_int_equal(seen, 7);
    json_t *reqs = emu_requests_to(e, UC "/volumes");
    assert_true(json_array_size(reqs) >= 3);
    expect_query(json_array_get(reqs, 0), "catalog_name", "main");
    expect_query(json_array_get(reqs, 0), "schema_name", "default");
    expect_query(json_array_get(reqs, 0), "max_results", "1");
    json_decref(reqs);

    /* update */
    dbx_uc_update_options uo = DBX_UC_UPDATE_OPTIONS_INIT;
    uo.comment = "raw landing";
    uo.owner = "ingest";
    uo.new_name = "landing2";
    assert_int_equal(dbx_volumes_update(&v, C, "main.default.landing", &uo), DBX_OK);
    r = last(UC "/volumes/main.default.landing");
    assert_string_equal(req_method(r), "PATCH");
    assert_string_equal(jstr(r, "new_name"), "landing2");
    assert_string_equal(jstr(r, "comment"), "raw landing");
    assert_string_equal(jstr(r, "owner"), "ingest");
    json_decref(r);
    assert_string_equal(dbx_volume_full_name(v), "main.default.landing2");
    assert_string_equal(dbx_volume_owner(v), "ingest");
    dbx_volume_free(v);

    /* delete */
    assert_int_equal(dbx_volumes_delete(C, "main.default.landing2"), DBX_OK);
    r = last(UC "/volumes/main.default.landing2");
    assert_string_equal(req_method(r), "DELETE");
    json_decref(r);
    assert_int_equal(dbx_volumes_read(&v, C, "main.default.landing2"), DBX_ENOTFOUND);
    assert_int_equal(dbx_volumes_delete(C, "main.default.landing2"), DBX_ENOTFOUND);
}

/* ---- tables -------------------------------------------------------------------------------- */

static void test_tables_from_sql(void **state)
{
    (void)state;
    emu *e = emu_get();
    sql("CREATE TABLE main.default.orders (id BIGINT NOT NULL, customer STRING, amount DECIMAL(10,2), "
        "qty INT, paid BOOLEAN, day DATE, at TIMESTAMP, score DOUBLE) USING DELTA COMMENT 'all orders' "
        "TBLPROPERTIES ('quality' = 'gold')");

    int ex = -1;
    assert_int_equal(dbx_tables_exists(&ex, C, "main.default.orders"), DBX_OK);
    assert_int_equal(ex, 1);
    json_t *r = last(UC "/tables/main.default.orders/exists");
    assert_string_equal(req_method(r), "GET");
    json_decref(r);
    assert_int_equal(dbx_tables_exists(&ex, C, "main.default.nothere"), DBX_OK);
    assert_int_equal(ex, 0);

    dbx_table *t = NULL;
    assert_int_equal(dbx_tables_get(&t, C, "main.default.orders"), DBX_OK);
    r = last(UC "/tables/main.default.orders");
    assert_string_equal(req_method(r), "GET");
    json_decref(r);
    assert_string_equal(dbx_table_full_name(t), "main.default.orders");
    assert_string_equal(dbx_table_name(t), "orders");
    assert_string_equal(dbx_table_catalog_name(t), "main");
    assert_string_equal(dbx_table_schema_name(t), "default");
    assert_int_equal(dbx_table_type(t), DBX_TABLE_TYPE_MANAGED);
    assert_string_equal(dbx_table_type_str(t), "MANAGED");
    assert_int_equal(dbx_table_data_source_format(t), DBX_DATA_SOURCE_FORMAT_DELTA);
    assert_string_equal(dbx_table_data_source_format_str(t), "DELTA");
    assert_true(*dbx_table_storage_location(t));
    assert_true(*dbx_table_owner(t));
    assert_true(dbx_table_created_at(t) > 0);
    assert_true(dbx_table_updated_at(t) >= dbx_table_created_at(t));
    assert_string_equal(dbx_table_comment(t), "all orders");
    assert_string_equal(dbx_table_property(t, "quality"), "gold");
    assert_true(dbx_table_property_count(t) >= 1);
    const char *k, *v;
    int found = 0;
    for (size_t i = 0; dbx_table_property_at(t, i, &k, &v); i++)
        found += strcmp(k, "quality") == 0 && strcmp(v, "gold") == 0;
    assert_int_equal(found, 1);

    assert_int_equal(dbx_table_column_count(t), 8);
    static const struct {
        const char *name;
        dbx_column_type_t type;
        const char *type_name;
        int nullable;
    } want[] = {{"id", DBX_COLUMN_TYPE_LONG, "LONG", 0},        {"customer", DBX_COLUMN_TYPE_STRING, "STRING", 1},
                {"amount", DBX_COLUMN_TYPE_DECIMAL, "DECIMAL", 1}, {"qty", DBX_COLUMN_TYPE_INT, "INT", 1},
                {"paid", DBX_COLUMN_TYPE_BOOLEAN, "BOOLEAN", 1}, {"day", DBX_COLUMN_TYPE_DATE, "DATE", 1},
                {"at", DBX_COLUMN_TYPE_TIMESTAMP, "TIMESTAMP", 1}, {"score", DBX_COLUMN_TYPE_DOUBLE, "DOUBLE", 1}};
    for (size_t i = 0; i < 8; i++) {
        const dbx_column *col = dbx_table_column(t, i);
        assert_non_null(col);
        assert_string_equal(dbx_column_name(col), want[i].name);
        assert_int_equal(dbx_column_type(col), want[i].type);
        assert_string_equal(dbx_column_type_str(col), want[i].type_name);
        assert_true(*dbx_column_type_text(col));
        assert_int_equal(dbx_column_nullable(col), want[i].nullable);
        assert_int_equal(dbx_column_position(col), (int)i);
        assert_int_equal(dbx_column_partition_index(col), -1);
        assert_ptr_equal(dbx_table_column_by_name(t, want[i].name), col);
    }
    assert_null(dbx_table_column(t, 8));
    assert_null(dbx_table_column_by_name(t, "nope"));
    const dbx_column *amount = dbx_table_column_by_name(t, "amount");
    assert_int_equal(dbx_column_precision(amount), 10);
    assert_int_equal(dbx_column_scale(amount), 2);
    assert_string_equal(dbx_column_type_text(amount), "decimal(10,2)");
    assert_string_equal(dbx_column_type_text(dbx_table_column(t, 0)), "bigint");
    assert_non_null(strstr(dbx_table_json(t), "\"columns\""));
    dbx_table_free(t);

    assert_int_equal(dbx_tables_get(&t, C, "main.default.nothere"), DBX_ENOTFOUND);
    assert_null(t);

    /* a second table, then list (paged; omit flags sent) and summaries */
    sql("CREATE TABLE main.default.customers (id BIGINT, name STRING) USING DELTA");
    sql("CREATE TABLE main.default.items (sku STRING) USING DELTA");
    emu_clear_requests(e);
    dbx_uc_list_options lo = DBX_UC_LIST_OPTIONS_INIT;
    lo.page_size = 2;
    dbx_tables_iter *it = NULL;
    assert_int_equal(dbx_tables_list(&it, C, "main", "default", &lo), DBX_OK);
    const dbx_table *ti;
    int seen = 0;
    dbx_status st;
    while ((st = dbx_tables_iter_next(&ti, it)) == DBX_OK) {
        const char *n = dbx_table_name(ti);
        if (strcmp(n, "orders") == 0) {
            seen |= 1;
            assert_int_equal(dbx_table_column_count(ti), 8);
            assert_int_equal(dbx_column_type(dbx_table_column(ti, 2)), DBX_COLUMN_TYPE_DECIMAL);
            assert_string_equal(dbx_table_property(ti, "quality"), "gold");
        } else if (strcmp(n, "customers") == 0) {
            seen |= 2;
            assert_int_equal(dbx_table_column_count(ti), 2);
        } else if (strcmp(n, "items") == 0) {
            seen |= 4;
        }
        assert_int_equal(dbx_table_type(ti), DBX_TABLE_TYPE_MANAGED);
    }
    assert_int_equal(st, DBX_DONE);
    dbx_tables_iter_free(it);
    assert_int_equal(seen, 7);
    json_t *reqs = emu_requests_to(e, UC "/tables");
    assert_true(json_array_size(reqs) >= 2);
    expect_query(json_array_get(reqs, 0), "catalog_name", "main");
    expect_query(json_array_get(reqs, 0), "schema_name", "default");
    expect_query(json_array_get(reqs, 0), "max_results", "2");
    expect_query(json_array_get(reqs, 0), "omit_columns", NULL);
    json_decref(reqs);

    lo = (dbx_uc_list_options)DBX_UC_LIST_OPTIONS_INIT;
    lo.omit_columns = 1;
    lo.omit_properties = 1;
    lo.omit_username = 1;
    lo.include_unbound = 1; /* not a tables option: not sent */
    assert_int_equal(dbx_tables_list(&it, C, "main", "default", &lo), DBX_OK);
    int n = 0;
    while ((st = dbx_tables_iter_next(&ti, it)) == DBX_OK) {
        n++;
        assert_int_equal(dbx_table_column_count(ti), 0);
        assert_int_equal(dbx_table_property_count(ti), 0);
    }
    assert_int_equal(st, DBX_DONE);
    assert_int_equal(n, 3);
    dbx_tables_iter_free(it);
    r = last(UC "/tables");
    expect_query(r, "omit_columns", "true");
    expect_query(r, "omit_properties", "true");
    expect_query(r, "omit_username", "true");
    expect_query(r, "include_unbound", NULL);
    json_decref(r);

    dbx_table_summaries_iter *si = NULL;
    assert_int_equal(dbx_tables_list_summaries(&si, C, "main", "def%", "c%", NULL), DBX_OK);
    const dbx_table_summary *sum;
    n = 0;
    while ((st = dbx_table_summaries_iter_next(&sum, si)) == DBX_OK) {
        n++;
        assert_string_equal(dbx_table_summary_full_name(sum), "main.default.customers");
        assert_int_equal(dbx_table_summary_type(sum), DBX_TABLE_TYPE_MANAGED);
        assert_string_equal(dbx_table_summary_type_str(sum), "MANAGED");
        assert_non_null(strstr(dbx_table_summary_json(sum), "customers"));
    }
    assert_int_equal(st, DBX_DONE);
    assert_int_equal(n, 1);
    dbx_table_summaries_iter_free(si);
    r = last(UC "/table-summaries");
    expect_query(r, "catalog_name", "main");
    expect_query(r, "schema_name_pattern", "def%");
    expect_query(r, "table_name_pattern", "c%");
    expect_query(r, "max_results", "0");
    json_decref(r);

    /* update owner */
    dbx_uc_update_options uo = DBX_UC_UPDATE_OPTIONS_INIT;
    uo.owner = "analysts";
    assert_int_equal(dbx_tables_update(C, "main.default.orders", &uo), DBX_OK);
    r = last(UC "/tables/main.default.orders");
    assert_string_equal(req_method(r), "PATCH");
    assert_string_equal(jstr(r, "owner"), "analysts");
    assert_int_equal(json_object_size(json_object_get(r, "json")), 1);
    json_decref(r);
    assert_int_equal(dbx_tables_get(&t, C, "main.default.orders"), DBX_OK);
    assert_string_equal(dbx_table_owner(t), "analysts");
    dbx_table_free(t);

    /* delete */
    assert_int_equal(dbx_tables_delete(C, "main.default.orders"), DBX_OK);
    r = last(UC "/tables/main.default.orders");
    assert_string_equal(req_method(r), "DELETE");
    json_decref(r);
    assert_int_equal(dbx_tables_exists(&ex, C, "main.default.orders"), DBX_OK);
    assert_int_equal(ex, 0);
    assert_int_equal(dbx_tables_delete(C, "main.default.orders"), DBX_ENOTFOUND);
}

static void test_tables_create_external(void **state)
{
    (void)state;
    dbx_column_def cols[] = {
        {"id", "bigint", DBX_COLUMN_TYPE_UNKNOWN, 0, 0, 1, "key", 0},
        {"price", "DECIMAL(12, 3)", DBX_COLUMN_TYPE_UNKNOWN, 0, 0, 0, NULL, 0},
        {"note", "STRING", DBX_COLUMN_TYPE_UNKNOWN, 0, 0, 0, NULL, 0},
        {"day", "date", DBX_COLUMN_TYPE_UNKNOWN, 0, 0, 0, NULL, 1},
    };
    const char *props[] = {"source", "s3", NULL};
    dbx_uc_create_options co = DBX_UC_CREATE_OPTIONS_INIT;
    co.storage_location = "s3://bucket/tables/ext1";
    co.comment = "external";
    co.properties = props;
    dbx_table *t = NULL;
    assert_int_equal(dbx_tables_create_external(&t, C, "main", "default", "ext1", cols, 4, &co), DBX_OK);
    json_t *r = last(UC "/tables");
    assert_string_equal(req_method(r), "POST");
    assert_string_equal(jstr(r, "name"), "ext1");
    assert_string_equal(jstr(r, "catalog_name"), "main");
    assert_string_equal(jstr(r, "schema_name"), "default");
    assert_string_equal(jstr(r, "table_type"), "EXTERNAL");
    assert_string_equal(jstr(r, "data_source_format"), "DELTA");
    assert_string_equal(jstr(r, "storage_location"), "s3://bucket/tables/ext1");
    assert_string_equal(jstr(r, "comment"), "external");
    assert_string_equal(json_string_value(json_object_get(emu_req_json(r, "properties"), "source")), "s3");
    json_t *jc = emu_req_json(r, "columns");
    assert_int_equal(json_array_size(jc), 4);
    json_t *c0 = json_array_get(jc, 0), *c1 = json_array_get(jc, 1), *c2 = json_array_get(jc, 2),
           *c3 = json_array_get(jc, 3);
    assert_string_equal(json_string_value(json_object_get(c0, "type_name")), "LONG");
    assert_string_equal(json_string_value(json_object_get(c0, "type_text")), "bigint");
    assert_true(json_is_false(json_object_get(c0, "nullable")));
    assert_int_equal(json_integer_value(json_object_get(c0, "position")), 0);
    assert_string_equal(json_string_value(json_object_get(c0, "comment")), "key");
    json_t *tj = json_loads(json_string_value(json_object_get(c0, "type_json")), 0, NULL);
    assert_string_equal(json_string_value(json_object_get(tj, "type")), "long");
    assert_string_equal(json_string_value(json_object_get(tj, "name")), "id");
    assert_true(json_is_false(json_object_get(tj, "nullable")));
    json_decref(tj);
    assert_string_equal(json_string_value(json_object_get(c1, "type_name")), "DECIMAL");
    assert_int_equal(json_integer_value(json_object_get(c1, "type_precision")), 12);
    assert_int_equal(json_integer_value(json_object_get(c1, "type_scale")), 3);
    assert_true(json_is_true(json_object_get(c1, "nullable")));
    assert_string_equal(json_string_value(json_object_get(c2, "type_name")), "STRING");
    assert_string_equal(json_string_value(json_object_get(c2, "type_text")), "STRING");
    assert_string_equal(json_string_value(json_object_get(c3, "type_name")), "DATE");
    assert_int_equal(json_integer_value(json_object_get(c3, "partition_index")), 0);
    assert_int_equal(json_integer_value(json_object_get(c3, "position")), 3);
    assert_null(json_object_get(c1, "partition_index"));
    json_decref(r);

    assert_string_equal(dbx_table_full_name(t), "main.default.ext1");
    assert_int_equal(dbx_table_type(t), DBX_TABLE_TYPE_EXTERNAL);
    assert_int_equal(dbx_table_data_source_format(t), DBX_DATA_SOURCE_FORMAT_DELTA);
    assert_string_equal(dbx_table_storage_location(t), "s3://bucket/tables/ext1");
    assert_int_equal(dbx_table_column_count(t), 4);
    assert_int_equal(dbx_column_nullable(dbx_table_column(t, 0)), 0);
    assert_int_equal(dbx_column_precision(dbx_table_column(t, 1)), 12);
    /* (the emulator does not keep partition_index: the request carries it, above) */
    dbx_table_free(t);

    int ex = 0;
    assert_int_equal(dbx_tables_exists(&ex, C, "main.default.ext1"), DBX_OK);
    assert_int_equal(ex, 1);
    assert_int_equal(dbx_tables_create_external(NULL, C, "main", "default", "ext1", cols, 4, &co), DBX_EEXISTS);

    /* complex and explicit types (the emulator's SQL has no arrays, maps or
     * structs: the request is answered by a canned page to see what was sent) */
    emu_fault(emu_get(), "{\"method\":\"POST\",\"path\":\"" UC "/tables\",\"action\":\"status\",\"status\":200,"
                         "\"body\":{\"name\":\"cx\"}}");
    dbx_column_def cx[] = {
        {"a", "array<string>", DBX_COLUMN_TYPE_UNKNOWN, 0, 0, 0, NULL, 0},
        {"m", "MAP<string, int>", DBX_COLUMN_TYPE_UNKNOWN, 0, 0, 0, NULL, 0},
        {"s", "struct<x:int>", DBX_COLUMN_TYPE_UNKNOWN, 0, 0, 0, NULL, 0},
        {"c", "char(3)", DBX_COLUMN_TYPE_UNKNOWN, 0, 0, 0, NULL, 0},
        {"g", "geometry(4326)", DBX_COLUMN_TYPE_GEOMETRY, 0, 0, 0, NULL, 0},
        {"d", "decimal", DBX_COLUMN_TYPE_UNKNOWN, 0, 0, 0, NULL, 0},
        {"n", "numeric", DBX_COLUMN_TYPE_UNKNOWN, 20, 4, 0, NULL, 0},
        {"i", "interval day to second", DBX_COLUMN_TYPE_UNKNOWN, 0, 0, 0, NULL, 0},
        {"t", "TIMESTAMP_NTZ", DBX_COLUMN_TYPE_UNKNOWN, 0, 0, 0, NULL, 0},
    };
    co = (dbx_uc_create_options)DBX_UC_CREATE_OPTIONS_INIT;
    co.storage_location = "s3://bucket/tables/cx";
    assert_int_equal(dbx_tables_create_external(&t, C, "main", "default", "cx", cx, 9, &co), DBX_OK);
    assert_string_equal(dbx_table_name(t), "cx");
    dbx_table_free(t);
    r = last(UC "/tables");
    jc = emu_req_json(r, "columns");
    static const char *want_type[] = {"ARRAY", "MAP", "STRUCT", "CHAR", "GEOMETRY", "DECIMAL", "DECIMAL", "INTERVAL", "TIMESTAMP_NTZ"};
    static const char *want_json[] = {NULL, NULL, NULL, NULL, NULL, "decimal(10,0)", "decimal(20,4)", NULL, "timestamp_ntz"};
    for (size_t i = 0; i < 9; i++) {
        json_t *col = json_array_get(jc, i);
        assert_string_equal(json_string_value(json_object_get(col, "type_name")), want_type[i]);
        assert_string_equal(json_string_value(json_object_get(col, "type_text")), cx[i].type_text);
        const char *tjs = json_string_value(json_object_get(col, "type_json"));
        if (!want_json[i]) {
            assert_null(tjs);
            continue;
        }
        json_t *tjv = json_loads(tjs, 0, NULL);
        assert_string_equal(json_string_value(json_object_get(tjv, "type")), want_json[i]);
        json_decref(tjv);
    }
    assert_int_equal(json_integer_value(json_object_get(json_array_get(jc, 5), "type_precision")), 10);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(jc, 6), "type_scale")), 4);
    json_decref(r);
}

/* Values the service adds later map to UNKNOWN and keep the raw text;
 * odd shapes read as absent, never crash. */
static void test_unknown_enums_and_odd_shapes(void **state)
{
    (void)state;
    emu *e = emu_get();
    emu_fault(e, "{\"method\":\"GET\",\"path\":\"" UC "/tables/main.default.odd\",\"action\":\"status\","
                 "\"status\":200,\"body\":{\"name\":\"odd\",\"full_name\":\"main.default.odd\","
                 "\"table_type\":\"HOLOGRAPHIC\",\"data_source_format\":\"CUNEIFORM\",\"created_at\":\"1700000000123\","
                 "\"properties\":{\"a\":\"1\",\"b\":2},"
                 "\"columns\":[{\"name\":\"c\",\"type_name\":\"QUBIT\",\"nullable\":false,\"position\":\"0\","
                 "\"type_precision\":99999999999},{\"name\":\"d\"},7]}}");
    dbx_table *t = NULL;
    assert_int_equal(dbx_tables_get(&t, C, "main.default.odd"), DBX_OK);
    assert_int_equal(dbx_table_type(t), DBX_TABLE_TYPE_UNKNOWN);
    assert_string_equal(dbx_table_type_str(t), "HOLOGRAPHIC");
    assert_int_equal(dbx_table_data_source_format(t), DBX_DATA_SOURCE_FORMAT_UNKNOWN);
    assert_string_equal(dbx_table_data_source_format_str(t), "CUNEIFORM");
    assert_int_equal(dbx_table_created_at(t), 1700000000123LL);
    assert_string_equal(dbx_table_property(t, "b"), "");
    assert_int_equal(dbx_table_property_count(t), 2);
    assert_int_equal(dbx_table_column_count(t), 3);
    const dbx_column *c = dbx_table_column(t, 0);
    assert_int_equal(dbx_column_type(c), DBX_COLUMN_TYPE_UNKNOWN);
    assert_string_equal(dbx_column_type_str(c), "QUBIT");
    assert_int_equal(dbx_column_nullable(c), 0);
    assert_int_equal(dbx_column_position(c), 0);
    assert_int_equal(dbx_column_precision(c), 2147483647);
    const dbx_column *d = dbx_table_column(t, 1);
    assert_int_equal(dbx_column_nullable(d), 1);
    assert_int_equal(dbx_column_position(d), -1);
    assert_string_equal(dbx_column_type_text(d), "");
    assert_string_equal(dbx_column_name(dbx_table_column(t, 2)), "");
    dbx_table_free(t);

    /* an answer without the object's name is a bad response */
    emu_fault(e, "{\"method\":\"GET\",\"path\":\"" UC "/catalogs/main\",\"action\":\"status\",\"status\":200,"
                 "\"body\":{\"comment\":\"no name\"}}");
    dbx_catalog *cat = (dbx_catalog *)1;
    assert_int_equal(dbx_catalogs_get(&cat, C, "main"), DBX_EBADRESPONSE);
    assert_null(cat);
    emu_fault(e, "{\"method\":\"GET\",\"path\":\"" UC "/tables/main.default.x/exists\",\"action\":\"status\","
                 "\"status\":200,\"body\":{\"table_exists\":\"yes\"}}");
    int ex = 5;
    assert_int_equal(dbx_tables_exists(&ex, C, "main.default.x"), DBX_EBADRESPONSE);
    assert_int_equal(ex, 0);
    /* UC error codes map by family */
    emu_fault(e, "{\"method\":\"DELETE\",\"path\":\"" UC "/schemas/main.s\",\"action\":\"status\",\"status\":400,"
                 "\"body\":{\"error_code\":\"SCHEMA_NOT_EMPTY\",\"message\":\"Schema main.s is not empty.\"}}");
    assert_int_equal(dbx_schemas_delete(C, "main.s", 0), DBX_EINVALIDSTATE);
    assert_string_equal(code(), "SCHEMA_NOT_EMPTY");
    emu_fault(e, "{\"method\":\"GET\",\"path\":\"" UC "/schemas/main.s\",\"action\":\"status\",\"status\":404,"
                 "\"body\":{\"error_code\":\"SCHEMA_DOES_NOT_EXIST\",\"message\":\"Schema 'main.s' does not exist.\"}}");
    dbx_schema *s = NULL;
    assert_int_equal(dbx_schemas_get(&s, C, "main.s"), DBX_ENOTFOUND);
    assert_string_equal(code(), "SCHEMA_DOES_NOT_EXIST");
    emu_fault(e, "{\"method\":\"POST\",\"path\":\"" UC "/catalogs\",\"action\":\"status\",\"status\":409,"
                 "\"body\":{\"error_code\":\"CATALOG_ALREADY_EXISTS\",\"message\":\"Catalog 'x' already exists\"}}");
    assert_int_equal(dbx_catalogs_create(NULL, C, "x", NULL), DBX_EEXISTS);
    assert_string_equal(code(), "CATALOG_ALREADY_EXISTS");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_catalogs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_encoded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_catalogs_list_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paging_short_and_empty_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paging_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schemas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_volumes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tables_from_sql, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tables_create_external, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_enums_and_odd_shapes, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    emu_stop_all();
    return rc;
}
