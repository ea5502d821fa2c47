"""client.catalog (Unity Catalog) against the emulator: requests sent and results read."""

import gc

import pytest

import libdbx
from libdbx.catalog import CatalogInfo, Column, ColumnInfo, SchemaInfo, TableInfo, TableSummary, VolumeInfo

UC = "/api/2.1/unity-catalog"
SEED_WAREHOUSE = "5eedc0ffee000001"


def sql(client, statement):
    """Tables are made with SQL (the emulator's statement API shares the Unity Catalog store)."""
    r = client.request("POST", "/api/2.0/sql/statements",
                       {"warehouse_id": SEED_WAREHOUSE, "statement": statement, "wait_timeout": "30s"})
    assert r.json()["status"]["state"] == "SUCCEEDED", r.body


def last(emu, path, method=None):
    reqs = [r for r in emu.requests(path) if method is None or r["method"] == method]
    return reqs[-1] if reqs else None


def test_catalogs_create_get_update_delete(client, emu):
    cats = client.catalog.catalogs
    got = cats.create("sales", comment="all sales", properties={"tier": "gold"})
    r = last(emu, UC + "/catalogs", "POST")
    assert r["json"] == {"name": "sales", "comment": "all sales", "properties": {"tier": "gold"}}
    assert isinstance(got, CatalogInfo)
    assert got.name == "sales" and got.full_name == "sales"
    assert got.comment == "all sales" and got.properties == {"tier": "gold"}
    assert got.catalog_type == "MANAGED_CATALOG"
    assert got.created_at > 0 and got.owner
    assert got.raw["name"] == "sales"

    c = cats.get("sales")
    assert last(emu, UC + "/catalogs/sales")["method"] == "GET"
    assert c == got

    up = cats.update("sales", comment="renamed", owner="finance", properties={"tier": "silver"},
                     isolation_mode="ISOLATED")
    r = last(emu, UC + "/catalogs/sales", "PATCH")
    assert r["json"] == {"comment": "renamed", "owner": "finance", "properties": {"tier": "silver"},
                         "isolation_mode": "ISOLATED"}
    assert up.comment == "renamed" and up.owner == "finance" and up.isolation_mode == "ISOLATED"
    assert up.properties == {"tier": "silver"}
    up = cats.update("sales", new_name="sales2")
    assert last(emu, UC + "/catalogs/sales", "PATCH")["json"] == {"new_name": "sales2"}
    assert up.name == "sales2"

    # a catalog with a schema holding a table is not empty: force is needed
    client.catalog.schemas.create("sales2", "s")
    sql(client, "CREATE TABLE sales2.s.t (id BIGINT) USING DELTA")
    with pytest.raises(libdbx.InvalidState):
        cats.delete("sales2")
    assert "force" not in (last(emu, UC + "/catalogs/sales2", "DELETE")["query"] or {})
    cats.delete("sales2", force=True)
    assert last(emu, UC + "/catalogs/sales2", "DELETE")["query"]["force"] == ["true"]
    with pytest.raises(libdbx.NotFound) as ei:
        cats.get("sales2")
    assert ei.value.error_code == "CATALOG_DOES_NOT_EXIST"
    with pytest.raises(libdbx.AlreadyExists):
        cats.create("main")


def test_bad_names_and_options_fail_before_any_request(client, emu):
    before = len(emu.requests())
    with pytest.raises(libdbx.InvalidArgument):
        client.catalog.catalogs.get("a.b")
    with pytest.raises(libdbx.InvalidArgument):
        client.catalog.schemas.get("main")
    with pytest.raises(libdbx.InvalidArgument):
        client.catalog.tables.get("main.default")
    with pytest.raises(libdbx.InvalidArgument):
        client.catalog.catalogs.create("c", provider_name="p")  # needs share_name too
    with pytest.raises(libdbx.InvalidArgument):
        client.catalog.volumes.create("main", "default", "v", "EXTERNAL")  # needs storage_location
    with pytest.raises(libdbx.InvalidArgument):
        client.catalog.volumes.create("main", "default", "v", "SHARED")
    with pytest.raises(libdbx.InvalidArgument):
        client.catalog.catalogs.update("main")  # nothing to change
    with pytest.raises(TypeError):
        client.catalog.tables.get("main", "default")
    assert len(emu.requests()) == before


def test_catalogs_list_pages_lazily(client, emu):
    for i in range(6):
        client.catalog.catalogs.create("c%d" % i)
    n0 = len(emu.requests(UC + "/catalogs"))
    it = client.catalog.catalogs.list(page_size=2, include_browse=True, include_unbound=True)
    assert len(emu.requests(UC + "/catalogs")) == n0  # nothing sent before the first item
    names = [c.name for c in it]
    assert names == sorted(["main"] + ["c%d" % i for i in range(6)])
    gets = emu.requests(UC + "/catalogs")[n0:]
    assert len(gets) == 4  # 7 catalogs, 2 a page
    q = gets[0]["query"]
    assert q["max_results"] == ["2"] and q["include_browse"] == ["true"] and q["include_unbound"] == ["true"]
    assert "page_token" not in q and gets[1]["query"]["page_token"]
    it = client.catalog.catalogs.list(max_items=3)
    assert isinstance(next(it), CatalogInfo)
    it.close()
    assert list(it) == []
    assert len(list(client.catalog.catalogs.list(max_items=3))) == 3
    assert [r for r in emu.requests(UC + "/catalogs") if r["method"] == "GET"][-1]["query"]["max_results"] == ["0"]


def test_schemas(client, emu):
    sch = client.catalog.schemas
    s = sch.create("main", "etl", comment="pipelines", properties={"owner_team": "etl"})
    r = last(emu, UC + "/schemas", "POST")
    assert r["json"] == {"catalog_name": "main", "name": "etl", "comment": "pipelines",
                         "properties": {"owner_team": "etl"}}
    assert isinstance(s, SchemaInfo)
    assert (s.name, s.catalog_name, s.full_name) == ("etl", "main", "main.etl")
    assert s.properties == {"owner_team": "etl"} and s.schema_id
    assert sch.get("main.etl") == s
    assert sch.get("main", "etl").full_name == "main.etl"
    assert last(emu, UC + "/schemas/main.etl")["method"] == "GET"

    up = sch.update("main.etl", comment="c2", enable_predictive_optimization="ENABLE")
    assert last(emu, UC + "/schemas/main.etl", "PATCH")["json"] == {
        "comment": "c2", "enable_predictive_optimization": "ENABLE"}
    assert up.comment == "c2"
    with pytest.raises(libdbx.InvalidArgument):
        sch.update("main.etl", owner="x", properties=None, new_name="a.b")

    for i in range(5):
        sch.create("main", "s%d" % i)
    got = [x.name for x in sch.list("main", page_size=2)]
    assert got == sorted(["default", "etl"] + ["s%d" % i for i in range(5)])
    q = [r for r in emu.requests(UC + "/schemas") if r["method"] == "GET"][0]["query"]
    assert q["catalog_name"] == ["main"] and q["max_results"] == ["2"]

    sql(client, "CREATE TABLE main.etl.t (id BIGINT) USING DELTA")
    with pytest.raises(libdbx.InvalidState):
        sch.delete("main.etl")
    sch.delete("main.etl", force=True)
    assert last(emu, UC + "/schemas/main.etl", "DELETE")["query"]["force"] == ["true"]
    with pytest.raises(libdbx.NotFound):
        sch.get("main.etl")


def test_tables_from_sql(client, emu):
    sql(client, "CREATE TABLE main.default.orders (id BIGINT NOT NULL, customer STRING, "
                "amount DECIMAL(10,2), day DATE) USING DELTA COMMENT 'all orders' "
                "TBLPROPERTIES ('quality' = 'gold')")
    tables = client.catalog.tables
    assert tables.exists("main.default.orders") is True
    assert last(emu, UC + "/tables/main.default.orders/exists")["method"] == "GET"
    assert tables.exists("main", "default", "nothere") is False

    t = tables.get("main", "default", "orders")
    assert last(emu, UC + "/tables/main.default.orders")["method"] == "GET"
    assert isinstance(t, TableInfo)
    assert (t.name, t.catalog_name, t.schema_name, t.full_name) == ("orders", "main", "default",
                                                                    "main.default.orders")
    assert t.table_type == "MANAGED" and t.data_source_format == "DELTA"
    assert t.comment == "all orders" and t.properties["quality"] == "gold"
    assert t.storage_location and t.owner and t.table_id
    assert t.created_at > 0 and t.updated_at >= t.created_at
    assert [c.name for c in t.columns] == ["id", "customer", "amount", "day"]
    assert all(isinstance(c, ColumnInfo) for c in t.columns)
    idc, amount = t.columns[0], t.column("amount")
    assert (idc.type_name, idc.type_text, idc.nullable, idc.position) == ("LONG", "bigint", False, 0)
    assert idc.partition_index is None
    assert (amount.type_name, amount.type_text, amount.precision, amount.scale) == ("DECIMAL", "decimal(10,2)", 10, 2)
    assert amount.nullable and amount.position == 2
    assert t.column("nope") is None
    assert t.raw["columns"][0]["name"] == "id"

    sql(client, "CREATE TABLE main.default.customers (id BIGINT, name STRING) USING DELTA")
    sql(client, "CREATE TABLE main.default.items (sku STRING) USING DELTA")
    n0 = len(emu.requests(UC + "/tables"))
    listed = {x.name: x for x in tables.list("main", "default", page_size=2)}
    assert set(listed) == {"orders", "customers", "items"}
    assert len(listed["orders"].columns) == 4 and listed["orders"].properties["quality"] == "gold"
    reqs = emu.requests(UC + "/tables")[n0:]
    assert len(reqs) == 2
    assert reqs[0]["query"]["catalog_name"] == ["main"] and reqs[0]["query"]["schema_name"] == ["default"]
    assert reqs[0]["query"]["max_results"] == ["2"] and "omit_columns" not in reqs[0]["query"]

    slim = list(tables.list("main", "default", omit_columns=True, omit_properties=True, omit_username=True))
    assert len(slim) == 3 and all(x.columns == [] and x.properties == {} for x in slim)
    q = last(emu, UC + "/tables")["query"]
    assert q["omit_columns"] == ["true"] and q["omit_properties"] == ["true"] and q["omit_username"] == ["true"]

    sums = list(tables.summaries("main", schema_name_pattern="def%", table_name_pattern="c%"))
    assert sums == [TableSummary(full_name="main.default.customers", table_type="MANAGED")]
    assert sums[0].raw["full_name"] == "main.default.customers"
    q = last(emu, UC + "/table-summaries")["query"]
    assert q["catalog_name"] == ["main"] and q["schema_name_pattern"] == ["def%"]
    assert q["table_name_pattern"] == ["c%"]

    tables.update("main.default.orders", owner="analysts")
    assert last(emu, UC + "/tables/main.default.orders", "PATCH")["json"] == {"owner": "analysts"}
    assert tables.get("main.default.orders").owner == "analysts"

    tables.delete("main.default.orders")
    assert last(emu, UC + "/tables/main.default.orders", "DELETE") is not None
    assert not tables.exists("main.default.orders")
    with pytest.raises(libdbx.NotFound) as ei:
        tables.delete("main", "default", "orders")
    assert ei.value.error_code == "TABLE_DOES_NOT_EXIST"


def test_tables_create_external(client, emu):
    t = client.catalog.tables.create_external(
        "main", "default", "ext1",
        [Column("id", "bigint", nullable=False, comment="key"), ("price", "DECIMAL(12, 3)"),
         {"name": "day", "type_text": "date", "partition_index": 0}, Column("g", "string", type_name="string")],
        storage_location="s3://bucket/tables/ext1", comment="external", properties={"source": "s3"})
    body = last(emu, UC + "/tables", "POST")["json"]
    assert body["table_type"] == "EXTERNAL" and body["data_source_format"] == "DELTA"
    assert body["storage_location"] == "s3://bucket/tables/ext1" and body["properties"] == {"source": "s3"}
    cols = body["columns"]
    assert [c["type_name"] for c in cols] == ["LONG", "DECIMAL", "DATE", "STRING"]
    assert cols[0]["nullable"] is False and cols[0]["comment"] == "key"
    assert cols[1]["type_precision"] == 12 and cols[1]["type_scale"] == 3
    assert cols[2]["partition_index"] == 0 and "partition_index" not in cols[1]
    assert t.table_type == "EXTERNAL" and t.full_name == "main.default.ext1"
    assert t.columns[1].precision == 12 and not t.columns[0].nullable
    with pytest.raises(libdbx.AlreadyExists):
        client.catalog.tables.create_external("main", "default", "ext1", [("id", "bigint")],
                                              storage_location="s3://bucket/tables/ext1")
    with pytest.raises(libdbx.InvalidArgument):
        client.catalog.tables.create_external("main", "default", "x", [("id", "bigint")],
                                              storage_location=None)
    with pytest.raises(libdbx.InvalidArgument):
        client.catalog.tables.create_external("main", "default", "x", [Column("id", "bigint", type_name="HUGE")],
                                              storage_location="s3://b/x")


def test_volumes(client, emu):
    vols = client.catalog.volumes
    v = vols.create("main", "default", "raw", comment="landing")
    assert last(emu, UC + "/volumes", "POST")["json"] == {
        "catalog_name": "main", "schema_name": "default", "name": "raw", "volume_type": "MANAGED",
        "comment": "landing"}
    assert isinstance(v, VolumeInfo)
    assert (v.full_name, v.volume_type, v.comment) == ("main.default.raw", "MANAGED", "landing")
    assert v.path == "/Volumes/main/default/raw" and v.volume_id and v.storage_location
    ext = vols.create("main", "default", "ext", "external", storage_location="s3://bucket/ext")
    assert last(emu, UC + "/volumes", "POST")["json"]["storage_location"] == "s3://bucket/ext"
    assert ext.volume_type == "EXTERNAL" and ext.storage_location == "s3://bucket/ext"

    assert vols.get("main.default.raw") == v
    assert vols.read("main", "default", "raw").name == "raw"
    assert last(emu, UC + "/volumes/main.default.raw")["method"] == "GET"

    up = vols.update("main.default.raw", new_name="raw2", comment="c", owner="ops")
    assert last(emu, UC + "/volumes/main.default.raw", "PATCH")["json"] == {
        "new_name": "raw2", "comment": "c", "owner": "ops"}
    assert (up.name, up.comment, up.owner) == ("raw2", "c", "ops")

    for i in range(4):
        vols.create("main", "default", "v%d" % i)
    names = [x.name for x in vols.list("main", "default", page_size=2, include_browse=True)]
    assert names == sorted(["ext", "raw2"] + ["v%d" % i for i in range(4)])
    gets = [r for r in emu.requests(UC + "/volumes") if r["method"] == "GET"]
    assert len(gets) == 3 and gets[0]["query"]["include_browse"] == ["true"]

    vols.delete("main.default.raw2")
    assert last(emu, UC + "/volumes/main.default.raw2", "DELETE") is not None
    with pytest.raises(libdbx.NotFound):
        vols.get("main.default.raw2")
    with pytest.raises(libdbx.AlreadyExists):
        vols.create("main", "default", "ext", "EXTERNAL", storage_location="s3://bucket/ext")


def test_unknown_enum_values_keep_the_raw_text(client, emu):
    emu.fault(method="GET", path=UC + "/tables/main.default.odd", action="status", status=200,
              body={"name": "odd", "full_name": "main.default.odd", "table_type": "HOLOGRAM",
                    "data_source_format": "QUANTUM",
                    "columns": [{"name": "x", "type_name": "TESSERACT", "type_text": "tesseract"}]})
    t = client.catalog.tables.get("main.default.odd")
    assert t.table_type == "HOLOGRAM" and t.data_source_format == "QUANTUM"
    assert t.columns[0].type_name == "TESSERACT" and t.columns[0].position is None
    assert "MANAGED" in client.catalog.table_types and "DELTA" in client.catalog.data_source_formats
    assert "DECIMAL" in client.catalog.column_types and client.catalog.volume_types == ("MANAGED", "EXTERNAL")


def test_iteration_errors_and_results_outlive_the_client(emu):
    with libdbx.Client(host=emu.base, token="dapi-emulator-token", no_env=True, no_config_file=True,
                       max_attempts=1) as c:
        c.catalog.catalogs.create("zz")
        got = c.catalog.catalogs.get("zz")
        listed = list(c.catalog.catalogs.list())
        emu.fault(method="GET", path=UC + "/schemas", action="status", status=403,
                  body={"error_code": "PERMISSION_DENIED", "message": "no"})
        with pytest.raises(libdbx.PermissionDenied):
            list(c.catalog.schemas.list("main"))
    gc.collect()
    assert got.raw["name"] == "zz" and [x.name for x in listed] == ["main", "zz"]
    assert listed[1].raw["full_name"] == "zz"
