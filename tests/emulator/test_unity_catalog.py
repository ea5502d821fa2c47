"""Tests for the emulator's Unity Catalog endpoints (apis/unity_catalog.py) and their link with
SQL statements (tables created by SQL appear here, catalogs created here are usable in SQL).

Run: /usr/bin/python3 -m pytest tests/emulator -q
"""

import urllib.parse

import pytest

from test_emulator import Emu, start_emulator, stop_emulator

UC = "/api/2.1/unity-catalog"


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    proc, info = start_emulator(tmp_path_factory.mktemp("emu-uc"))
    try:
        yield Emu(info)
    finally:
        stop_emulator(proc)


@pytest.fixture(autouse=True)
def _reset(emu):
    emu.ctl("POST", "reset")
    yield


def sql(emu, text, **kw):
    body = {"statement": text, "warehouse_id": "wh"}
    body.update(kw)
    st, b = emu.call("POST", "/api/2.0/sql/statements", body)
    assert st == 200 and b["status"]["state"] == "SUCCEEDED", b
    return b


def uc(emu, method, path, body=None, query=None):
    if query:
        path += "?" + urllib.parse.urlencode(query)
    return emu.call(method, UC + path, body)


def walk(emu, path, key, query, page=None):
    q = dict(query)
    if page is not None:
        q["max_results"] = page
    out, pages = [], 0
    while True:
        st, b = uc(emu, "GET", path, query=q)
        assert st == 200, b
        pages += 1
        out.extend(b.get(key, []))
        if not b.get("next_page_token"):
            return out, pages
        q["page_token"] = b["next_page_token"]


def test_seed_and_catalog_crud(emu):
    st, b = uc(emu, "GET", "/catalogs/main")
    assert st == 200 and b["name"] == "main" and b["catalog_type"] == "MANAGED_CATALOG"
    assert b["metastore_id"] and isinstance(b["created_at"], int) and b["owner"]
    st, b = uc(emu, "GET", "/schemas/main.default")
    assert st == 200 and b["full_name"] == "main.default" and b["catalog_name"] == "main"
    st, c = uc(emu, "POST", "/catalogs", {"name": "Sales", "comment": "c", "properties": {"k": "v"}})
    assert st == 200 and c["name"] == "sales" and c["comment"] == "c" and c["properties"] == {"k": "v"}
    st, e = uc(emu, "POST", "/catalogs", {"name": "sales"})
    assert st == 409 and e["error_code"] == "CATALOG_ALREADY_EXISTS"
    st, e = uc(emu, "POST", "/catalogs", {"name": "bad.name"})
    assert st == 400 and e["error_code"] == "INVALID_PARAMETER_VALUE"
    st, e = uc(emu, "GET", "/catalogs/nope")
    assert st == 404 and e["error_code"] == "CATALOG_DOES_NOT_EXIST"
    st, c = uc(emu, "PATCH", "/catalogs/sales", {"comment": "new", "owner": "ann", "isolation_mode": "ISOLATED"})
    assert st == 200 and c["comment"] == "new" and c["owner"] == "ann" and c["isolation_mode"] == "ISOLATED"
    # usable in SQL at once
    sql(emu, "CREATE TABLE sales.default.t (id INT)")
    st, e = uc(emu, "DELETE", "/catalogs/sales")
    assert st == 400 and e["error_code"] == "CATALOG_NOT_EMPTY"
    st, c = uc(emu, "PATCH", "/catalogs/sales", {"new_name": "revenue"})
    assert st == 200 and c["name"] == "revenue"
    st, t = uc(emu, "GET", "/tables/revenue.default.t")
    assert st == 200 and t["catalog_name"] == "revenue"
    sql(emu, "INSERT INTO revenue.default.t VALUES (1)")
    assert uc(emu, "DELETE", "/catalogs/revenue", query={"force": "true"}) == (200, {})
    assert uc(emu, "GET", "/catalogs/revenue")[0] == 404
    assert uc(emu, "GET", "/tables/revenue.default.t")[0] == 404


def test_catalog_paging(emu):
    for i in range(12):
        assert uc(emu, "POST", "/catalogs", {"name": "c%02d" % i})[0] == 200
    names, pages = walk(emu, "/catalogs", "catalogs", {})
    assert names and len(names) == 13 and pages == 3  # server page size 5
    assert [c["name"] for c in names] == sorted(c["name"] for c in names)
    names, pages = walk(emu, "/catalogs", "catalogs", {}, page=4)
    assert len(names) == 13 and pages == 4
    st, e = uc(emu, "GET", "/catalogs", query={"max_results": -1})
    assert st == 400 and e["error_code"] == "INVALID_PARAMETER_VALUE"
    st, e = uc(emu, "GET", "/catalogs", query={"page_token": "garbage!"})
    assert st == 400


def test_schema_crud(emu):
    st, s = uc(emu, "POST", "/schemas", {"name": "bronze", "catalog_name": "main", "comment": "raw",
                                         "properties": {"a": "b"}})
    assert st == 200 and s["full_name"] == "main.bronze" and s["comment"] == "raw" and s["schema_id"]
    assert uc(emu, "POST", "/schemas", {"name": "bronze", "catalog_name": "main"})[1]["error_code"] == \
        "SCHEMA_ALREADY_EXISTS"
    st, e = uc(emu, "POST", "/schemas", {"name": "x", "catalog_name": "nope"})
    assert st == 404 and e["error_code"] == "CATALOG_DOES_NOT_EXIST"
    got, _ = walk(emu, "/schemas", "schemas", {"catalog_name": "main"})
    assert [s["name"] for s in got] == ["bronze", "default"]
    st, e = uc(emu, "GET", "/schemas")
    assert st == 400
    st, s = uc(emu, "PATCH", "/schemas/main.bronze", {"new_name": "raw", "comment": "c2"})
    assert st == 200 and s["full_name"] == "main.raw" and s["comment"] == "c2"
    assert uc(emu, "GET", "/schemas/main.bronze")[1]["error_code"] == "SCHEMA_DOES_NOT_EXIST"
    sql(emu, "CREATE TABLE main.raw.t (x INT)")
    st, e = uc(emu, "DELETE", "/schemas/main.raw")
    assert st == 400 and e["error_code"] == "SCHEMA_NOT_EMPTY"
    assert uc(emu, "DELETE", "/schemas/main.raw", query={"force": "true"})[0] == 200
    assert uc(emu, "GET", "/tables/main.raw.t")[0] == 404


def test_tables_from_sql(emu):
    sql(emu, "CREATE TABLE main.default.trips (id BIGINT NOT NULL COMMENT 'key', fare DECIMAL(10,2), "
             "city STRING, at TIMESTAMP) USING DELTA COMMENT 'all trips' TBLPROPERTIES ('team' = 'geo')")
    st, t = uc(emu, "GET", "/tables/main.default.trips")
    assert st == 200
    assert t["full_name"] == "main.default.trips" and t["table_type"] == "MANAGED"
    assert t["data_source_format"] == "DELTA" and t["comment"] == "all trips"
    assert t["storage_location"].startswith("s3://") and t["table_id"]
    assert t["properties"]["team"] == "geo" and t["properties"]["delta.minReaderVersion"] == "1"
    assert t["owner"] and t["created_by"] and isinstance(t["updated_at"], int)
    cols = t["columns"]
    assert [(c["name"], c["type_name"], c["type_text"], c["position"], c["nullable"]) for c in cols] == [
        ("id", "LONG", "bigint", 0, False), ("fare", "DECIMAL", "decimal(10,2)", 1, True),
        ("city", "STRING", "string", 2, True), ("at", "TIMESTAMP", "timestamp", 3, True)]
    assert cols[0]["comment"] == "key" and cols[1]["type_precision"] == 10 and cols[1]["type_scale"] == 2
    assert '"type":"long"' in cols[0]["type_json"]
    assert uc(emu, "GET", "/tables/main.default.trips/exists") == (200, {"table_exists": True})
    assert uc(emu, "GET", "/tables/main.default.nope/exists") == (200, {"table_exists": False})
    st, e = uc(emu, "GET", "/tables/main.default.nope")
    assert st == 404 and e["error_code"] == "TABLE_DOES_NOT_EXIST"
    for i in range(6):
        sql(emu, "CREATE TABLE t%d (x INT)" % i)
    got, pages = walk(emu, "/tables", "tables", {"catalog_name": "main", "schema_name": "default"})
    assert len(got) == 7 and pages == 2
    got, _ = walk(emu, "/tables", "tables", {"catalog_name": "main", "schema_name": "default",
                                             "omit_columns": "true", "omit_properties": "true"}, page=100)
    assert "columns" not in got[0] and "properties" not in got[0]
    st, e = uc(emu, "GET", "/tables", query={"catalog_name": "main"})
    assert st == 400
    st, e = uc(emu, "GET", "/tables", query={"catalog_name": "main", "schema_name": "nope"})
    assert st == 404 and e["error_code"] == "SCHEMA_DOES_NOT_EXIST"
    st, s = uc(emu, "GET", "/table-summaries", query={"catalog_name": "main", "table_name_pattern": "t%", "max_results": 100})
    assert st == 200 and {x["full_name"] for x in s["tables"]} >= {"main.default.trips", "main.default.t0"}
    assert uc(emu, "PATCH", "/tables/main.default.trips", {"owner": "bob"}) == (200, {})
    assert uc(emu, "GET", "/tables/main.default.trips")[1]["owner"] == "bob"
    # history changes the table's version properties
    sql(emu, "INSERT INTO trips (id) VALUES (1)")
    assert uc(emu, "GET", "/tables/main.default.trips")[1]["properties"]["delta.lastUpdateVersion"] == "1"
    assert uc(emu, "DELETE", "/tables/main.default.trips") == (200, {})
    st, b = emu.call("POST", "/api/2.0/sql/statements", {"statement": "SELECT * FROM trips", "warehouse_id": "w"})
    assert b["status"]["state"] == "FAILED" and b["status"]["sql_state"] == "42P01"
    sql(emu, "DROP TABLE t0")
    assert uc(emu, "GET", "/tables/main.default.t0/exists")[1] == {"table_exists": False}


def test_table_create_via_rest(emu):
    body = {"name": "ext", "catalog_name": "main", "schema_name": "default", "table_type": "EXTERNAL",
            "data_source_format": "DELTA", "storage_location": "s3://bucket/ext",
            "columns": [{"name": "id", "type_name": "LONG", "type_text": "bigint", "position": 0},
                        {"name": "amt", "type_name": "DECIMAL", "type_precision": 5, "type_scale": 1}]}
    st, t = uc(emu, "POST", "/tables", body)
    assert st == 200 and t["table_type"] == "EXTERNAL" and t["storage_location"] == "s3://bucket/ext"
    assert t["columns"][1]["type_text"] == "decimal(5,1)"
    assert uc(emu, "POST", "/tables", body)[1]["error_code"] == "TABLE_ALREADY_EXISTS"
    sql(emu, "INSERT INTO ext VALUES (1, 2.25)")
    b = sql(emu, "SELECT * FROM ext")
    assert b["result"]["data_array"] == [["1", "2.3"]]


def test_volumes(emu):
    body = {"catalog_name": "main", "schema_name": "default", "name": "landing", "volume_type": "MANAGED",
            "comment": "drop zone"}
    st, v = uc(emu, "POST", "/volumes", body)
    assert st == 200 and v["full_name"] == "main.default.landing" and v["volume_type"] == "MANAGED"
    assert v["storage_location"] and v["volume_id"] and v["comment"] == "drop zone"
    assert uc(emu, "POST", "/volumes", body)[0] == 409
    st, e = uc(emu, "POST", "/volumes", dict(body, volume_type="EXTERNAL"))
    assert st == 400
    sql(emu, "CREATE VOLUME main.default.v2 COMMENT 'x'")
    got, _ = walk(emu, "/volumes", "volumes", {"catalog_name": "main", "schema_name": "default"})
    assert [v["name"] for v in got] == ["landing", "v2"]
    st, v = uc(emu, "PATCH", "/volumes/main.default.v2", {"new_name": "v3", "comment": "y"})
    assert st == 200 and v["full_name"] == "main.default.v3" and v["comment"] == "y"
    assert uc(emu, "GET", "/volumes/main.default.v2")[0] == 404
    assert uc(emu, "GET", "/volumes/main.default.v3")[0] == 200
    assert uc(emu, "DELETE", "/volumes/main.default.v3") == (200, {})
    st, e = uc(emu, "GET", "/volumes/main.default.v3")
    assert st == 404
    st, e = uc(emu, "GET", "/volumes/bad")
    assert st == 400
