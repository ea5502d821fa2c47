"""Tests for the emulator's SQL Statement Execution API (apis/sql.py, sql_engine.py,
sql_exec.py): states, chunks, external links on the second host, failures, parameters and the
Databricks SQL subset (MERGE, COPY INTO, time travel, history, OPTIMIZE, VACUUM, windows).

Run: /usr/bin/python3 -m pytest tests/emulator -q
"""

import csv
import io
import json
import urllib.parse

import pytest

from test_emulator import Emu, start_emulator, stop_emulator

S = "/api/2.0/sql/statements"
WH = "5eedc0ffee000001"  # the warehouses module's seed warehouse (any id works without it)


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    proc, info = start_emulator(tmp_path_factory.mktemp("emu-sql"))
    try:
        yield Emu(info)
    finally:
        stop_emulator(proc)


@pytest.fixture(autouse=True)
def _reset(emu):
    emu.ctl("POST", "reset")
    yield


def ex(emu, sql, **kw):
    body = {"statement": sql, "warehouse_id": WH}
    body.update(kw)
    st, b = emu.call("POST", S, body)
    assert st == 200, b
    return b


def ok(emu, sql, **kw):
    b = ex(emu, sql, **kw)
    assert b["status"]["state"] == "SUCCEEDED", b
    return b


def rows(emu, sql, **kw):
    """Every row of a JSON_ARRAY INLINE result, walking the chunks."""
    b = ok(emu, sql, **kw)
    out = []
    res = b.get("result")
    while res is not None:
        out.extend(res.get("data_array", []))
        nxt = res.get("next_chunk_internal_link")
        if not nxt:
            break
        st, res = emu.call("GET", nxt)
        assert st == 200, res
    return out


def failed(emu, sql, sql_state, cls=None, **kw):
    b = ex(emu, sql, **kw)
    assert b["status"]["state"] == "FAILED", b
    assert b["status"]["sql_state"] == sql_state, b
    assert b["status"]["error"]["error_code"] in ("BAD_REQUEST", "INTERNAL_ERROR", "DEADLINE_EXCEEDED")
    if cls:
        assert b["status"]["error"]["message"].startswith("[%s]" % cls), b
    return b


def setup_table(emu):
    ok(emu, "CREATE TABLE main.default.trips (id BIGINT NOT NULL, city STRING, fare DECIMAL(10,2), "
            "paid BOOLEAN, day DATE, at TIMESTAMP, score DOUBLE) USING DELTA COMMENT 'trips'")
    ok(emu, "INSERT INTO trips VALUES (1, 'Paris', 12.5, true, '2024-01-02', '2024-01-02 03:04:05', 1.5),"
            " (2, 'Rome', 7, false, NULL, NULL, NULL), (3, NULL, NULL, NULL, '2024-02-29', "
            "'2024-02-29T23:59:59.5Z', 1e20)")


def test_create_insert_select_inline_and_manifest(emu):
    setup_table(emu)
    b = ok(emu, "SELECT * FROM trips ORDER BY id")
    m = b["manifest"]
    assert m["format"] == "JSON_ARRAY" and m["total_row_count"] == 3 and m["truncated"] is False
    assert m["total_chunk_count"] == 1 and m["chunks"] == [{"chunk_index": 0, "row_offset": 0, "row_count": 3}]
    assert "total_byte_count" not in m
    cols = m["schema"]["columns"]
    assert m["schema"]["column_count"] == 7
    assert [(c["name"], c["type_name"], c["type_text"], c["position"]) for c in cols] == [
        ("id", "LONG", "BIGINT", 0), ("city", "STRING", "STRING", 1),
        ("fare", "DECIMAL", "DECIMAL(10,2)", 2), ("paid", "BOOLEAN", "BOOLEAN", 3),
        ("day", "DATE", "DATE", 4), ("at", "TIMESTAMP", "TIMESTAMP", 5),
        ("score", "DOUBLE", "DOUBLE", 6)]
    assert cols[2]["type_precision"] == 10 and cols[2]["type_scale"] == 2
    r = b["result"]
    assert r["chunk_index"] == 0 and r["row_offset"] == 0 and r["row_count"] == 3
    assert "next_chunk_index" not in r and "next_chunk_internal_link" not in r
    assert r["data_array"] == [
        ["1", "Paris", "12.50", "true", "2024-01-02", "2024-01-02T03:04:05.000Z", "1.5"],
        ["2", "Rome", "7.00", "false", None, None, None],
        ["3", None, None, None, "2024-02-29", "2024-02-29T23:59:59.500Z", "1.0E20"]]
    # INSERT answers the affected-row counts
    b = ok(emu, "INSERT INTO trips (id, city) VALUES (4, 'Oslo')")
    assert [c["name"] for c in b["manifest"]["schema"]["columns"]] == ["num_affected_rows",
                                                                       "num_inserted_rows"]
    assert b["result"]["data_array"] == [["1", "1"]]
    # DDL: no columns, no chunks
    b = ok(emu, "CREATE TABLE IF NOT EXISTS trips (x INT)")
    assert b["manifest"]["schema"]["column_count"] == 0 and b["manifest"]["total_chunk_count"] == 0
    assert "result" not in b


def test_many_chunks_inline_and_links(emu):
    emu.ctl("POST", "config", {"sql_chunk_rows": 50})
    b = ok(emu, "SELECT id, id * 2 AS dbl FROM range(0, 1234) ORDER BY id")
    m = b["manifest"]
    assert m["total_chunk_count"] == 25 and m["total_row_count"] == 1234
    assert m["chunks"][-1] == {"chunk_index": 24, "row_offset": 1200, "row_count": 34}
    assert b["result"]["next_chunk_index"] == 1
    sid = b["statement_id"]
    assert b["result"]["next_chunk_internal_link"] == "%s/%s/result/chunks/1" % (S, sid)
    got = rows(emu, "SELECT id, id * 2 AS dbl FROM range(0, 1234) ORDER BY id")
    assert got == [[str(i), str(2 * i)] for i in range(1234)]
    # chunks in any order, repeatedly
    st, c7 = emu.call("GET", "%s/%s/result/chunks/7" % (S, sid))
    assert st == 200 and c7["row_offset"] == 350 and c7["data_array"][0] == ["350", "700"]
    assert c7["next_chunk_index"] == 8
    st, last = emu.call("GET", "%s/%s/result/chunks/24" % (S, sid))
    assert "next_chunk_index" not in last and "next_chunk_internal_link" not in last
    st, e = emu.call("GET", "%s/%s/result/chunks/25" % (S, sid))
    assert st == 400 and e["error_code"] == "INVALID_PARAMETER_VALUE"


def _fetch_link(emu, link, headers=None, token=None):
    u = urllib.parse.urlsplit(link["external_link"])
    assert u.hostname == "127.0.0.2"
    hdrs = dict(link["http_headers"]) if headers is None else headers
    return emu.raw("GET", u.path + "?" + u.query, token=token, headers=hdrs, server="other")


def test_external_links_json_and_csv(emu):
    emu.ctl("POST", "config", {"sql_chunk_rows": 100})
    b = ok(emu, "SELECT id, CAST(id AS STRING) AS s, NULL AS n FROM range(250)",
           disposition="EXTERNAL_LINKS")
    m = b["manifest"]
    assert m["total_chunk_count"] == 3 and m["total_byte_count"] == sum(c["byte_count"] for c in m["chunks"])
    assert set(b["result"]) == {"external_links"}
    link = b["result"]["external_links"][0]
    assert link["chunk_index"] == 0 and link["row_count"] == 100 and link["next_chunk_index"] == 1
    assert link["expiration"].endswith("Z")
    assert "x-amz-server-side-encryption-customer-key" in link["http_headers"]
    st, h, data = _fetch_link(emu, link)
    assert st == 200 and len(data) == link["byte_count"]
    arr = json.loads(data)
    assert arr[0] == ["0", "0", None] and len(arr) == 100
    # the workspace token must never go to the storage host
    st, h, data = _fetch_link(emu, link, token="dapi-emulator-token")
    assert st == 403 and b"AccessDenied" in data
    # the SSE-C headers are required
    st, h, data = _fetch_link(emu, link, headers={})
    assert st == 400 and b"InvalidRequest" in data
    # a tampered URL
    bad = dict(link, external_link=link["external_link"].replace("X-Amz-Signature=", "X-Amz-Signature=0"))
    assert _fetch_link(emu, bad)[0] == 403
    # chunk 2 through the chunk endpoint: a fresh link
    st, c2 = emu.call("GET", "%s/%s/result/chunks/2" % (S, b["statement_id"]))
    l2 = c2["external_links"][0]
    assert l2["row_offset"] == 200 and l2["row_count"] == 50 and "next_chunk_index" not in l2
    assert json.loads(_fetch_link(emu, l2)[2])[-1] == ["249", "249", None]
    # CSV: header only in the first chunk, NULL as null
    b = ok(emu, "SELECT id, 'a,b' AS s, NULL AS n FROM range(150)", disposition="EXTERNAL_LINKS",
           format="CSV")
    assert b["manifest"]["format"] == "CSV"
    link = b["result"]["external_links"][0]
    st, h, data = _fetch_link(emu, link)
    assert h["content-type"] == "text/csv"
    recs = list(csv.reader(io.StringIO(data.decode())))
    assert recs[0] == ["id", "s", "n"] and recs[1] == ["0", "a,b", "null"] and len(recs) == 101
    st, c1 = emu.call("GET", "%s/%s/result/chunks/1" % (S, b["statement_id"]))
    recs = list(csv.reader(io.StringIO(_fetch_link(emu, c1["external_links"][0])[2].decode())))
    assert recs[0] == ["100", "a,b", "null"] and len(recs) == 50


def test_link_expiry_and_refresh(emu):
    b = ok(emu, "SELECT 1 AS x", disposition="EXTERNAL_LINKS")
    link = b["result"]["external_links"][0]
    emu.advance(901 * 1000)
    st, h, data = _fetch_link(emu, link)
    assert st == 403 and b"Request has expired" in data and h["content-type"] == "application/xml"
    st, c0 = emu.call("GET", "%s/%s/result/chunks/0" % (S, b["statement_id"]))
    assert st == 200
    st, h, data = _fetch_link(emu, c0["external_links"][0])
    assert st == 200 and json.loads(data) == [["1"]]


def test_result_expiry_and_close(emu):
    b = ok(emu, "SELECT 1 AS x")
    sid = b["statement_id"]
    emu.advance(3601 * 1000)
    st, g = emu.call("GET", "%s/%s" % (S, sid))
    assert st == 200 and g["status"]["state"] == "CLOSED" and "manifest" not in g
    st, e = emu.call("GET", "%s/%s/result/chunks/0" % (S, sid))
    assert st == 404 and e["error_code"] == "NOT_FOUND"
    assert e["message"] == "The result of the statement %s was not found." % sid
    # DELETE closes
    b = ok(emu, "SELECT 2 AS x")
    st, _ = emu.call("DELETE", "%s/%s" % (S, b["statement_id"]))
    assert st == 200
    assert emu.call("GET", "%s/%s" % (S, b["statement_id"]))[1]["status"]["state"] == "CLOSED"
    assert emu.call("GET", "%s/%s/result/chunks/0" % (S, b["statement_id"]))[0] == 404
    # after 12 hours the statement is gone
    emu.advance(12 * 3600 * 1000 + 1)
    ok(emu, "SELECT 3")
    assert emu.call("GET", "%s/%s" % (S, sid))[0] == 404


def test_async_states_and_cancel(emu):
    emu.ctl("POST", "config", {"sql_pending_ms": 1000, "sql_running_ms": 2000})
    b = ex(emu, "SELECT 42 AS answer", wait_timeout="0s")
    sid = b["statement_id"]
    assert b["status"]["state"] == "PENDING" and "manifest" not in b
    emu.advance(1000)
    assert emu.call("GET", "%s/%s" % (S, sid))[1]["status"]["state"] == "RUNNING"
    st, e = emu.call("GET", "%s/%s/result/chunks/0" % (S, sid))
    assert st == 400
    emu.advance(2000)
    g = emu.call("GET", "%s/%s" % (S, sid))[1]
    assert g["status"]["state"] == "SUCCEEDED" and g["result"]["data_array"] == [["42"]]
    # a wait_timeout that covers the run answers final
    assert ex(emu, "SELECT 1", wait_timeout="5s")["status"]["state"] == "SUCCEEDED"
    # cancel
    b = ex(emu, "CREATE TABLE never (x INT)", wait_timeout="0s")
    st, body = emu.call("POST", "%s/%s/cancel" % (S, b["statement_id"]))
    assert st == 200 and body == {}
    emu.advance(5000)
    assert emu.call("GET", "%s/%s" % (S, b["statement_id"]))[1]["status"]["state"] == "CANCELED"
    st, t = emu.call("GET", "/api/2.1/unity-catalog/tables/main.default.never/exists")
    assert t == {"table_exists": False}
    # on_wait_timeout=CANCEL
    emu.ctl("POST", "config", {"sql_running_ms": 60000})
    b = ex(emu, "SELECT 1", wait_timeout="5s", on_wait_timeout="CANCEL")
    assert b["status"]["state"] == "CANCELED"
    b = ex(emu, "SELECT 1", wait_timeout="5s")
    assert b["status"]["state"] == "RUNNING"


def test_request_validation(emu):
    for body, msg in (({"warehouse_id": WH}, "statement"), ({"statement": "SELECT 1"}, "warehouse_id"),
                      ({"statement": "SELECT 1", "warehouse_id": WH, "wait_timeout": "3s"}, "wait_timeout"),
                      ({"statement": "SELECT 1", "warehouse_id": WH, "format": "CSV"}, "INLINE"),
                      ({"statement": "SELECT 1", "warehouse_id": WH, "disposition": "X"}, "disposition"),
                      ({"statement": "SELECT 1", "warehouse_id": WH, "row_limit": -1}, "row_limit")):
        st, b = emu.call("POST", S, body)
        assert st == 400 and b["error_code"] == "INVALID_PARAMETER_VALUE" and msg in b["message"], b
    st, b = emu.call("POST", S, {"statement": "SELECT 1", "warehouse_id": "missing-wh"})
    assert st == 404 and b["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    st, b = emu.call("GET", S + "/01f00000-0000-0000-0000-000000000000")
    assert st == 404
    st, b = emu.call("POST", S, {"statement": "SELECT 1", "warehouse_id": WH}, token=None)
    assert st == 401


def test_failures(emu):
    b = failed(emu, "SELECT * FROM nope", "42P01", "TABLE_OR_VIEW_NOT_FOUND")
    assert "`nope`" in b["status"]["error"]["message"]
    assert "manifest" not in b and "result" not in b
    failed(emu, "SELEC 1", "42601", "PARSE_SYNTAX_ERROR")
    failed(emu, "SELECT 'unterminated", "42601", "PARSE_SYNTAX_ERROR")
    failed(emu, "SELECT 1; DROP TABLE x", "42601", "PARSE_SYNTAX_ERROR")
    failed(emu, "SELECT nope_col FROM range(1)", "42703", "UNRESOLVED_COLUMN.WITH_SUGGESTION")
    failed(emu, "SELECT no_such_fn(1)", "42883", "UNRESOLVED_ROUTINE")
    failed(emu, "SELECT :missing", "42P02", "UNBOUND_SQL_PARAMETER")
    failed(emu, "CREATE TABLE nocat.s.t (x INT)", "42704", "NO_SUCH_CATALOG_EXCEPTION")
    failed(emu, "CREATE TABLE main.nos.t (x INT)", "42704", "SCHEMA_NOT_FOUND")
    setup_table(emu)
    failed(emu, "CREATE TABLE trips (x INT)", "42P07", "TABLE_OR_VIEW_ALREADY_EXISTS")
    failed(emu, "INSERT INTO trips (city) VALUES ('x')", "23502", "DELTA_NOT_NULL_CONSTRAINT_VIOLATED")
    failed(emu, "INSERT INTO trips (id) VALUES ('abc')", "22018", "CAST_INVALID_INPUT")
    # a failed statement changes nothing
    failed(emu, "INSERT INTO trips (id) VALUES (9), (NULL)", "23502")
    assert rows(emu, "SELECT count(*) FROM trips") == [["3"]]
    # a statement on a warehouse id the emulator does not know: 404 before anything runs
    st, _ = emu.call("POST", S, {"statement": "SELECT 1", "warehouse_id": "missing"})
    assert st == 404


def test_named_parameters_are_bound_not_spliced(emu):
    setup_table(emu)
    hostile = ["x' OR '1'='1", "'; DROP TABLE trips; --", "a\\' OR 1=1 --", "/* */ ` \" :id",
               "Robert'); DELETE FROM trips; --"]
    for h in hostile:
        b = ok(emu, "INSERT INTO trips (id, city) VALUES (:id, :city)",
               parameters=[{"name": "id", "value": "100", "type": "BIGINT"},
                           {"name": "city", "value": h}])
        got = rows(emu, "SELECT city FROM trips WHERE city = :c -- :id in a comment",
                   parameters=[{"name": "c", "value": h}])
        assert got == [[h]]
        ok(emu, "DELETE FROM trips WHERE id = :id", parameters=[{"name": "id", "value": "100", "type": "INT"}])
    assert rows(emu, "SELECT count(*) FROM trips") == [["3"]]
    # a marker inside a literal or a comment is not a marker
    assert rows(emu, "SELECT ':x' AS a /* :y */", parameters=[]) == [[":x"]]
    # typed values
    got = rows(emu, "SELECT :i AS i, :d AS d, :dec AS dec, :b AS b, :day AS day, :ts AS ts, :n AS n",
               parameters=[{"name": "i", "value": "7", "type": "INT"},
                           {"name": "d", "value": "2.5", "type": "DOUBLE"},
                           {"name": "dec", "value": "3.14159", "type": "DECIMAL(10,2)"},
                           {"name": "b", "value": "true", "type": "BOOLEAN"},
                           {"name": "day", "value": "2024-03-01", "type": "DATE"},
                           {"name": "ts", "value": "2024-03-01T10:00:00Z", "type": "TIMESTAMP"},
                           {"name": "n", "type": "STRING"}])
    assert got == [["7", "2.5", "3.14", "true", "2024-03-01", "2024-03-01T10:00:00.000Z", None]]
    b = ex(emu, "SELECT :i", parameters=[{"name": "i", "value": "abc", "type": "INT"}])
    assert b["status"]["state"] == "FAILED" and b["status"]["sql_state"] == "22018"
    assert rows(emu, "SELECT count(*) FROM trips WHERE day >= :d",
                parameters=[{"name": "d", "value": "2024-02-01", "type": "DATE"}]) == [["1"]]


def test_many_parameters_reused_and_literals_kept(emu):
    # A multi-row INSERT as dbx_delta_append sends it (1,000 rows x 4 parameters), a parameter
    # used more than once, and text that looks like the emulator's own bound markers (:p_...)
    # in literals and quoted identifiers: values land in order, literals stay as written.
    ok(emu, "CREATE TABLE main.default.many (id BIGINT, amount DOUBLE, tag STRING, note STRING)")
    ph, params = [], []
    for r in range(1000):
        ph.append("(:i%d, :a%d, :t%d, :shared)" % (r, r, r))
        params += [{"name": "i%d" % r, "value": str(r), "type": "BIGINT"},
                   {"name": "a%d" % r, "value": "%d.5" % r, "type": "DOUBLE"},
                   {"name": "t%d" % r, "value": "tag-%d" % r}]
    params.append({"name": "shared", "value": "same"})
    ok(emu, "INSERT INTO main.default.many VALUES " + ", ".join(ph), parameters=params)
    got = rows(emu, "SELECT count(*), sum(id), sum(amount), count(DISTINCT tag), min(note), max(note) "
                    "FROM main.default.many")
    assert got == [["1000", str(sum(range(1000))), str(sum(range(1000)) + 500.0), "1000", "same", "same"]]
    got = rows(emu, "SELECT ':p_shared_0' AS `:p_x_1`, :v AS v, :v + 1 AS w, tag FROM main.default.many "
                    "WHERE id = :v", parameters=[{"name": "v", "value": "7", "type": "INT"}])
    b = ok(emu, "SELECT ':p_shared_0' AS `:p_x_1`, :v AS v", parameters=[{"name": "v", "value": "7", "type": "INT"}])
    assert [c["name"] for c in b["manifest"]["schema"]["columns"]] == [":p_x_1", "v"]
    assert got == [[":p_shared_0", "7", "8", "tag-7"]]


def test_row_and_byte_limits(emu):
    emu.ctl("POST", "config", {"sql_chunk_rows": 10})
    b = ok(emu, "SELECT id FROM range(100)", row_limit=25)
    assert b["manifest"]["truncated"] is True and b["manifest"]["total_row_count"] == 25
    assert b["manifest"]["total_chunk_count"] == 3
    b = ok(emu, "SELECT id FROM range(100)", row_limit=100)
    assert b["manifest"]["truncated"] is False
    b = ok(emu, "SELECT id FROM range(100)", byte_limit=60, disposition="EXTERNAL_LINKS")
    m = b["manifest"]
    assert m["truncated"] is True and m["total_byte_count"] <= 60 and m["total_row_count"] < 100
    data = json.loads(_fetch_link(emu, b["result"]["external_links"][0])[2])
    assert data[0] == ["0"]


def test_inline_limit(emu):
    emu.ctl("POST", "config", {"sql_inline_max_bytes": 1000})
    b = ex(emu, "SELECT id FROM range(1000)")
    assert b["status"]["state"] == "FAILED" and "EXTERNAL_LINKS" in b["status"]["error"]["message"]
    assert ok(emu, "SELECT id FROM range(1000)", disposition="EXTERNAL_LINKS")


def test_catalog_and_schema_fields(emu):
    ok(emu, "CREATE CATALOG IF NOT EXISTS sales")
    ok(emu, "CREATE SCHEMA sales.bronze COMMENT 'raw'")
    ok(emu, "CREATE TABLE orders (id INT)", catalog="sales", schema="bronze")
    ok(emu, "INSERT INTO bronze.orders VALUES (1)", catalog="sales")
    assert rows(emu, "SELECT * FROM `sales`.`bronze`.`orders`") == [["1"]]
    assert rows(emu, "SELECT current_catalog(), current_schema()", catalog="sales",
                schema="bronze") == [["sales", "bronze"]]
    assert rows(emu, "SHOW TABLES IN sales.bronze") == [["bronze", "orders", "false"]]
    failed(emu, "CREATE SCHEMA sales.bronze", "42P06", "SCHEMA_ALREADY_EXISTS")
    failed(emu, "DROP SCHEMA sales.bronze", "2BP01", "SCHEMA_NOT_EMPTY")
    ok(emu, "DROP SCHEMA sales.bronze CASCADE")
    failed(emu, "SELECT * FROM sales.bronze.orders", "42P01")


def test_merge(emu):
    ok(emu, "CREATE TABLE tgt (id BIGINT, v STRING, n INT)")
    ok(emu, "INSERT INTO tgt VALUES (1, 'a', 1), (2, 'b', 1), (3, 'c', 1)")
    ok(emu, "CREATE TABLE src (id BIGINT, v STRING, n INT)")
    ok(emu, "INSERT INTO src VALUES (2, 'B', 5), (3, 'DEL', 0), (4, 'D', 7)")
    b = ok(emu, "MERGE INTO tgt t USING src s ON t.id = s.id "
                "WHEN MATCHED AND s.v = 'DEL' THEN DELETE "
                "WHEN MATCHED THEN UPDATE SET t.v = s.v, n = t.n + s.n "
                "WHEN NOT MATCHED THEN INSERT (id, v, n) VALUES (s.id, s.v, s.n)")
    assert [c["name"] for c in b["manifest"]["schema"]["columns"]] == [
        "num_affected_rows", "num_updated_rows", "num_deleted_rows", "num_inserted_rows"]
    assert b["result"]["data_array"] == [["3", "1", "1", "1"]]
    assert rows(emu, "SELECT * FROM tgt ORDER BY id") == [["1", "a", "1"], ["2", "B", "6"], ["4", "D", "7"]]
    # source as a query, UPDATE SET * / INSERT *, NOT MATCHED BY SOURCE
    ok(emu, "MERGE INTO tgt USING (SELECT 4 AS id, 'DD' AS v, 0 AS n UNION ALL SELECT 9, 'N', 9) AS s "
            "ON tgt.id = s.id WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT * "
            "WHEN NOT MATCHED BY SOURCE THEN DELETE")
    assert rows(emu, "SELECT * FROM tgt ORDER BY id") == [["4", "DD", "0"], ["9", "N", "9"]]
    ok(emu, "INSERT INTO src VALUES (9, 'x', 1), (9, 'y', 2)")
    failed(emu, "MERGE INTO tgt USING src ON tgt.id = src.id WHEN MATCHED THEN UPDATE SET *",
           "21506", "DELTA_MULTIPLE_SOURCE_ROW_MATCHING_TARGET_ROW_IN_MERGE")


def test_time_travel_history_optimize_vacuum(emu):
    ok(emu, "CREATE TABLE h (id INT, v STRING)")
    emu.advance(1000)
    ok(emu, "INSERT INTO h VALUES (1, 'a')")
    emu.advance(1000)
    ok(emu, "INSERT INTO h VALUES (2, 'b')")
    emu.advance(1000)
    ok(emu, "UPDATE h SET v = 'z' WHERE id = 1")
    assert rows(emu, "SELECT * FROM h VERSION AS OF 1") == [["1", "a"]]
    assert rows(emu, "SELECT * FROM h VERSION AS OF 2 ORDER BY id") == [["1", "a"], ["2", "b"]]
    assert rows(emu, "SELECT * FROM h ORDER BY id") == [["1", "z"], ["2", "b"]]
    assert rows(emu, "SELECT count(*) FROM h VERSION AS OF 0") == [["0"]]
    # the commit time of version 1, read from the history (no real-time assumption)
    v1 = [r for r in rows(emu, "DESCRIBE HISTORY h") if r[0] == "1"][0][1]
    assert rows(emu, "SELECT * FROM h TIMESTAMP AS OF :ts",
                parameters=[{"name": "ts", "value": v1}]) == [["1", "a"]]
    failed(emu, "SELECT * FROM h VERSION AS OF 9", "22003", "DELTA_VERSION_NOT_FOUND")
    failed(emu, "SELECT * FROM h TIMESTAMP AS OF '2000-01-01'", "42816")
    b = ok(emu, "DESCRIBE HISTORY h")
    cols = [c["name"] for c in b["manifest"]["schema"]["columns"]]
    assert cols[:5] == ["version", "timestamp", "userId", "userName", "operation"]
    assert "operationParameters" in cols and "operationMetrics" in cols
    hist = b["result"]["data_array"]
    assert [r[0] for r in hist] == ["3", "2", "1", "0"]
    assert [r[4] for r in hist] == ["UPDATE", "WRITE", "WRITE", "CREATE TABLE"]
    assert json.loads(hist[1][5])["mode"] == "Append"
    assert hist[0][1].endswith("Z")
    # OPTIMIZE compacts (a new version); a second OPTIMIZE has nothing to do
    b = ok(emu, "OPTIMIZE h ZORDER BY (id)")
    assert [c["name"] for c in b["manifest"]["schema"]["columns"]] == ["path", "metrics"]
    assert json.loads(b["result"]["data_array"][0][1])["numFilesRemoved"] >= 2
    ok(emu, "OPTIMIZE h")
    assert rows(emu, "DESCRIBE HISTORY h LIMIT 1")[0][4] == "OPTIMIZE"
    # VACUUM: the retention check, then old versions are gone for time travel
    failed(emu, "VACUUM h RETAIN 0 HOURS", "22023")
    ok(emu, "VACUUM h")
    assert rows(emu, "SELECT count(*) FROM h VERSION AS OF 1") == [["1"]]
    emu.advance(169 * 3600 * 1000)
    ok(emu, "VACUUM h")
    failed(emu, "SELECT * FROM h VERSION AS OF 1", "42K03")
    assert rows(emu, "SELECT count(*) FROM h") == [["2"]]
    ops = [r[4] for r in rows(emu, "DESCRIBE HISTORY h")]
    assert ops[:2] == ["VACUUM END", "VACUUM START"]


def test_copy_into_from_volume(emu):
    ok(emu, "CREATE TABLE raw (id INT, name STRING, amount DOUBLE)")
    csv_data = b"id,name,amount\n1,alice,1.5\n2,\"bob, jr\",\n3,carol,x\n"
    st, _, _ = emu.raw("PUT", "/api/2.0/fs/files/Volumes/main/default/landing/in/a.csv", csv_data,
                       headers={"Content-Type": "application/octet-stream"})
    assert st == 204
    b = ok(emu, "COPY INTO raw FROM '/Volumes/main/default/landing/in' FILEFORMAT = CSV "
                "FORMAT_OPTIONS ('header' = 'true', 'inferSchema' = 'true') COPY_OPTIONS ('mergeSchema' = 'true')")
    assert [c["name"] for c in b["manifest"]["schema"]["columns"]] == [
        "num_affected_rows", "num_inserted_rows", "num_skipped_corrupt_files"]
    assert b["result"]["data_array"] == [["3", "3", "0"]]
    assert rows(emu, "SELECT * FROM raw ORDER BY id") == [["1", "alice", "1.5"], ["2", "bob, jr", None],
                                                         ["3", "carol", None]]
    # idempotent: loaded files are skipped
    assert ok(emu, "COPY INTO raw FROM '/Volumes/main/default/landing/in' FILEFORMAT = CSV "
                   "FORMAT_OPTIONS ('header' = 'true')")["result"]["data_array"] == [["0", "0", "0"]]
    js = b'{"id": 4, "name": "dan", "amount": 2}\n{"id": 5, "name": null}\n'
    emu.raw("PUT", "/api/2.0/fs/files/Volumes/main/default/landing/j/b.json", js,
            headers={"Content-Type": "application/octet-stream"})
    ok(emu, "COPY INTO raw FROM :p FILEFORMAT = JSON",
       parameters=[{"name": "p", "value": "/Volumes/main/default/landing/j/b.json"}])
    assert rows(emu, "SELECT id, amount FROM raw WHERE id > 3 ORDER BY id") == [["4", "2.0"], ["5", None]]
    failed(emu, "COPY INTO raw FROM '/Volumes/main/default/landing/none' FILEFORMAT = CSV", "42K03",
           "PATH_NOT_FOUND")
    assert rows(emu, "DESCRIBE HISTORY raw LIMIT 1")[0][4] == "COPY INTO"


def test_windows_joins_ctes_functions(emu):
    ok(emu, "CREATE TABLE tx (card STRING, ts TIMESTAMP, amount DOUBLE)")
    ok(emu, "INSERT INTO tx VALUES ('a', '2024-01-01 10:00:00', 10), ('a', '2024-01-01 10:05:00', 30),"
            " ('b', '2024-01-01 11:00:00', 5), ('a', '2024-01-02 09:00:00', 20)")
    got = rows(emu, "SELECT card, amount, "
                    "row_number() OVER (PARTITION BY card ORDER BY ts) AS rn, "
                    "sum(amount) OVER (PARTITION BY card ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running, "
                    "lag(amount, 1) OVER (PARTITION BY card ORDER BY ts) AS prev "
                    "FROM tx ORDER BY card, ts")
    assert got == [["a", "10.0", "1", "10.0", None], ["a", "30.0", "2", "40.0", "10.0"],
                   ["a", "20.0", "3", "60.0", "30.0"], ["b", "5.0", "1", "5.0", None]]
    got = rows(emu, "WITH per AS (SELECT card, count(*) AS n FROM tx GROUP BY card) "
                    "SELECT p.card, p.n, if(p.n > 1, 'many', 'one') AS k, concat(p.card, '-', p.n) AS c "
                    "FROM per p JOIN tx ON tx.card = p.card WHERE tx.amount > 6 ORDER BY p.card")
    assert got == [["a", "3", "many", "a-3"]] * 3
    assert rows(emu, "SELECT date_add(DATE '2024-02-28', 2), datediff('2024-03-01', '2024-02-01'), "
                     "year(TIMESTAMP '2024-05-06 07:08:09'), upper(substring('hello', 2, 3))") == [
        ["2024-03-01", "29", "2024", "ELL"]]
    b = ok(emu, "SELECT CAST(amount AS DECIMAL(8,1)) AS d, CAST('2024-01-01' AS DATE) AS day FROM tx LIMIT 1")
    cols = b["manifest"]["schema"]["columns"]
    assert cols[0]["type_name"] == "DECIMAL" and cols[0]["type_text"] == "DECIMAL(8,1)"
    assert cols[1]["type_name"] == "DATE"
    assert b["result"]["data_array"] == [["10.0", "2024-01-01"]]


def test_big_range_is_served_in_chunks(emu):
    emu.ctl("POST", "config", {"sql_chunk_rows": 5000})
    n = 200000
    b = ok(emu, "SELECT id, id + 1 AS c1, id * 2 AS c2, CAST(id AS STRING) AS c3, id / 3.0 AS c4, "
                "id %% 7 AS c5, 'x' AS c6, id - 1 AS c7, id * id AS c8, id %% 2 = 0 AS c9 FROM range(%d)" % n,
           disposition="EXTERNAL_LINKS")
    m = b["manifest"]
    assert m["total_row_count"] == n and m["total_chunk_count"] == 40
    assert m["schema"]["column_count"] == 10
    st, c = emu.call("GET", "%s/%s/result/chunks/39" % (S, b["statement_id"]))
    data = json.loads(_fetch_link(emu, c["external_links"][0])[2])
    assert len(data) == 5000 and data[-1][0] == str(n - 1)


def test_literals_identifiers_and_comments(emu):
    got = rows(emu, "SELECT 'it''s' AS a, 'back\\'slash' AS b, \"dq ' \" AS c, 'semi;colon -- no' AS d, "
                    "'/* not a comment */' AS e -- trailing ' comment\n /* block ; 'quote */")
    assert got == [["it's", "back'slash", "dq ' ", "semi;colon -- no", "/* not a comment */"]]
    ok(emu, "CREATE TABLE `weird name` (`col ``x```  STRING, `select` INT)")
    ok(emu, "INSERT INTO `main`.`default`.`weird name` VALUES ('v', 1)")
    b = ok(emu, "SELECT `col ``x```, `select` FROM `weird name`")
    assert [c["name"] for c in b["manifest"]["schema"]["columns"]] == ["col `x`", "select"]
    assert b["result"]["data_array"] == [["v", "1"]]
    # duplicate column names keep their names
    b = ok(emu, "SELECT a.`select`, b.`select` FROM `weird name` a JOIN `weird name` b ON a.`select` = b.`select`")
    assert [c["name"] for c in b["manifest"]["schema"]["columns"]] == ["select", "select"]
    assert b["result"]["data_array"] == [["1", "1"]]
    failed(emu, "SELECT 1 /* unclosed", "42601", "UNCLOSED_BRACKETED_COMMENT")
    failed(emu, "SELECT `unclosed", "42601")
    failed(emu, "SELECT ?", "42P02")
    # a literal cannot end the statement early
    ok(emu, "SELECT 'x''; DROP TABLE `weird name`; --'")
    assert rows(emu, "SELECT count(*) FROM `weird name`") == [["1"]]


def test_literal_types(emu):
    b = ok(emu, "SELECT 1 AS i, 10000000000 AS l, 1.50 AS d, 1e2 AS f, 'x' AS s, true AS b, NULL AS n")
    cols = b["manifest"]["schema"]["columns"]
    assert [c["type_text"] for c in cols] == ["INT", "BIGINT", "DECIMAL(3,2)", "DOUBLE", "STRING",
                                              "BOOLEAN", "VOID"]
    assert [c["type_name"] for c in cols][-1] == "NULL"
    assert b["result"]["data_array"] == [["1", "10000000000", "1.50", "100.0", "x", "true", None]]


def test_inline_tables_with_column_aliases(emu):
    assert rows(emu, "SELECT b, a FROM VALUES (1, 'x'), (2, 'y') AS t(a, b) ORDER BY a") == [
        ["x", "1"], ["y", "2"]]
    assert rows(emu, "SELECT t.a + 1 FROM (VALUES (:v)) t(a)",
                parameters=[{"name": "v", "value": "41", "type": "INT"}]) == [["42"]]
    assert rows(emu, "SELECT q.n FROM (SELECT 5 AS x) AS q(n)") == [["5"]]
    ok(emu, "CREATE TABLE kv (k STRING, v INT)")
    ok(emu, "INSERT INTO kv VALUES ('a', 1)")
    b = ok(emu, "MERGE INTO kv USING (VALUES (:k0, :v0), (:k1, :v1)) AS s(k, v) ON kv.k = s.k "
                "WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT (k, v) VALUES (s.k, s.v)",
           parameters=[{"name": "k0", "value": "a"}, {"name": "v0", "value": "10", "type": "INT"},
                       {"name": "k1", "value": "b"}, {"name": "v1", "value": "20", "type": "INT"}])
    assert b["result"]["data_array"] == [["2", "1", "0", "1"]]
    assert rows(emu, "SELECT * FROM kv ORDER BY k") == [["a", "10"], ["b", "20"]]


# ---- ARROW_STREAM: a minimal Arrow IPC reader (FlatBuffers by hand) to check the chunks ----

def _fb_table(buf, pos):
    """(position, field offsets) of the table at pos."""
    import struct
    vt = pos - struct.unpack_from("<i", buf, pos)[0]
    vsize = struct.unpack_from("<H", buf, vt)[0]
    return pos, [struct.unpack_from("<H", buf, vt + 4 + 2 * i)[0] for i in range((vsize - 4) // 2)]


def _fb_field(buf, tbl, i, fmt):
    import struct
    pos, offs = tbl
    if i >= len(offs) or offs[i] == 0:
        return None
    if fmt == "off":
        at = pos + offs[i]
        return at + struct.unpack_from("<I", buf, at)[0]
    return struct.unpack_from(fmt, buf, pos + offs[i])[0]


def _read_arrow(data):
    """[(name, type id)], [rows as Python values] for int64 / utf8 / float64 / bool columns."""
    import struct
    pos, fields, rows = 0, None, []
    while True:
        cont, size = struct.unpack_from("<Ii", data, pos)
        assert cont == 0xFFFFFFFF
        pos += 8
        if size == 0:
            assert pos == len(data)
            return fields, rows
        meta = data[pos:pos + size]
        pos += size
        msg = _fb_table(meta, struct.unpack_from("<I", meta, 0)[0])
        assert _fb_field(meta, msg, 0, "<h") == 4  # V5
        htype = _fb_field(meta, msg, 1, "<B")
        header = _fb_table(meta, _fb_field(meta, msg, 2, "off"))
        body_len = _fb_field(meta, msg, 3, "<q") or 0
        body = data[pos:pos + body_len]
        pos += body_len
        if htype == 1:
            vec = _fb_field(meta, header, 1, "off")
            n = struct.unpack_from("<I", meta, vec)[0]
            fields = []
            for k in range(n):
                at = vec + 4 + 4 * k
                f = _fb_table(meta, at + struct.unpack_from("<I", meta, at)[0])
                s = _fb_field(meta, f, 0, "off")
                name = meta[s + 4:s + 4 + struct.unpack_from("<I", meta, s)[0]].decode()
                fields.append((name, _fb_field(meta, f, 2, "<B")))
            continue
        assert htype == 3
        length = _fb_field(meta, header, 0, "<q")
        nodes = _fb_field(meta, header, 1, "off")
        bufs = _fb_field(meta, header, 2, "off")
        bl = [struct.unpack_from("<qq", meta, bufs + 4 + 16 * k)
              for k in range(struct.unpack_from("<I", meta, bufs)[0])]
        cols, b = [], 0
        for k, (name, tid) in enumerate(fields):
            nulls = struct.unpack_from("<qq", meta, nodes + 4 + 16 * k)[1]
            (vo, vl) = bl[b]
            valid = [True] * length if vl == 0 else [
                bool(body[vo + i // 8] >> (i % 8) & 1) for i in range(length)]
            assert nulls == valid.count(False)
            do, dl = bl[b + 1]
            if tid == 5:  # utf8
                offs = struct.unpack_from("<%di" % (length + 1), body, do)
                so = bl[b + 2][0]
                vals = [body[so + offs[i]:so + offs[i + 1]].decode() for i in range(length)]
                b += 3
            elif tid == 6:
                vals = [bool(body[do + i // 8] >> (i % 8) & 1) for i in range(length)]
                b += 2
            else:
                code = "q" if tid == 2 else "d"
                vals = list(struct.unpack_from("<%d%s" % (length, code), body, do))
                b += 2
            cols.append([v if ok_ else None for v, ok_ in zip(vals, valid)])
        rows.extend(zip(*cols))


def test_arrow_stream_chunks(emu):
    emu.ctl("POST", "config", {"sql_chunk_rows": 40})
    b = ok(emu, "SELECT id, CASE WHEN id % 3 = 0 THEN NULL ELSE concat('v', id) END AS s, id / 2.0 AS d, "
                "CAST(id % 2 = 0 AS BOOLEAN) AS even FROM range(100)", disposition="EXTERNAL_LINKS", format="ARROW_STREAM")
    m = b["manifest"]
    assert m["format"] == "ARROW_STREAM" and m["total_chunk_count"] == 3
    got = []
    for k in range(3):
        st, c = emu.call("GET", "%s/%s/result/chunks/%d" % (S, b["statement_id"], k))
        link = c["external_links"][0]
        st, h, data = _fetch_link(emu, link)
        assert st == 200 and h["content-type"] == "application/vnd.apache.arrow.stream"
        assert len(data) == link["byte_count"]
        fields, rows_ = _read_arrow(data)
        assert fields == [("id", 2), ("s", 5), ("d", 3), ("even", 6)]
        got.extend(rows_)
    assert len(got) == 100
    assert got[4] == (4, "v4", 2.0, True) and got[3] == (3, None, 1.5, False)
    st, e = emu.call("POST", S, {"statement": "SELECT 1", "warehouse_id": WH, "format": "ARROW_STREAM"})
    assert st == 400 and e["error_code"] == "INVALID_PARAMETER_VALUE"


def test_warehouse_module_integration_in_process(monkeypatch):
    """With apis/warehouses.py (h/warehouses) present: a statement on a STOPPED warehouse
    starts it and stays PENDING until it runs; unknown ids per sql_unknown_warehouses."""
    import sys
    import types
    from dbx_emulator import apis
    from dbx_emulator.errors import ApiError
    from dbx_emulator.state import State
    states = {"wh-stopped": "STOPPED"}
    calls = []
    fake = types.ModuleType("dbx_emulator.apis.warehouses")
    fake.known_warehouse = lambda st, wid: {"id": wid} if wid in states else None
    fake.warehouse_state = lambda st, wid: states.get(wid)

    def start(st, wid):
        calls.append(("start", wid))
        states[wid] = "STARTING"
        return "STARTING"
    fake.start_warehouse = start
    fake.touch_warehouse = lambda st, wid: calls.append(("touch", wid))
    monkeypatch.setitem(sys.modules, "dbx_emulator.apis.warehouses", fake)
    from dbx_emulator.apis import sql as sqlapi
    state = State(reset_hooks=apis.load_all())
    # "from . import warehouses" prefers the package attribute, which an earlier in-process
    # load_all() (another test file) has set to the real module
    monkeypatch.setattr(apis, "warehouses", fake, raising=False)

    class Req:
        def __init__(self, body=None, params=None):
            self.body, self.params, self.state, self.principal = body, params or {}, state, "u"

        def json_obj(self):
            return self.body

    def answer(r):
        st, _, body = r
        assert st == 200
        return json.loads(body) if isinstance(body, bytes) else body
    try:
        b = answer(sqlapi.execute(Req({"statement": "SELECT 1 AS x", "warehouse_id": "wh-stopped"})))
        assert b["status"]["state"] == "PENDING"
        assert ("start", "wh-stopped") in calls and ("touch", "wh-stopped") in calls
        g = answer(sqlapi.get_statement(Req(params={"statement_id": b["statement_id"]})))
        assert g["status"]["state"] == "PENDING"
        states["wh-stopped"] = "RUNNING"
        g = answer(sqlapi.get_statement(Req(params={"statement_id": b["statement_id"]})))
        assert g["status"]["state"] == "SUCCEEDED" and g["result"]["data_array"] == [["1"]]
        state.update_config({"sql_unknown_warehouses": "running"})
        b = answer(sqlapi.execute(Req({"statement": "SELECT 2", "warehouse_id": "unknown-id"})))
        assert b["status"]["state"] == "SUCCEEDED"
        for wid, cfg in (("missing-x", "running"), ("unknown-id", "reject")):
            state.update_config({"sql_unknown_warehouses": cfg})
            with pytest.raises(ApiError) as e:
                sqlapi.execute(Req({"statement": "SELECT 2", "warehouse_id": wid}))
            assert e.value.status == 404 and e.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    finally:
        state.uc.close()


def test_random_statements_fail_cleanly():
    """Random token soup through the tokenizer, translator and sqlite: every failure is a
    SqlError (a FAILED statement), never another exception (a 500 or a dropped connection)."""
    import random
    from dbx_emulator import apis
    from dbx_emulator.sql_exec import run_statement
    from dbx_emulator.sql_lexer import SqlError
    from dbx_emulator.state import State
    state = State(reset_hooks=apis.load_all())
    eng = state.uc
    frags = ["SELECT", "*", "FROM", "t", "WHERE", "id", "=", ":p", "'x'", "`s`", "(", ")", ",", "MERGE",
             "INTO", "USING", "ON", "WHEN", "MATCHED", "THEN", "UPDATE", "SET", "INSERT", "VALUES", "AS",
             "OF", "VERSION", "TIMESTAMP", "1", "--", "/*", "*/", "range(3)", "JOIN", "GROUP", "BY",
             "ORDER", "LIMIT", ";", "COPY", "DESCRIBE", "HISTORY", "CREATE", "TABLE", "DROP", "OPTIMIZE",
             "VACUUM", "DELETE", "CAST", "INT", "DECIMAL(5,2)", "NULL", "count(*)", "OVER", "\"", "'",
             "`", "\\", ":", "::", "<=>", "WITH", "main.default.t", "VALUES (1, 2) AS v(a, b)", "SHOW",
             "TABLES", "IF", "NOT", "EXISTS", "TRUNCATE", "FILEFORMAT", "CSV", "?", "\x00", "é"]
    rnd = random.Random(7)
    try:
        run_statement(eng, "CREATE TABLE t (id BIGINT, s STRING)", {}, None, None, "u", state.now_ms())
        for _ in range(1500):
            sql = " ".join(rnd.choice(frags) for _ in range(rnd.randint(1, 12)))
            try:
                r = run_statement(eng, sql, {"p": ("v", None)}, None, None, "u", state.now_ms())
                if r.table:
                    eng.db.execute('DROP TABLE "%s"' % r.table)
            except SqlError as e:
                assert e.sql_state and e.error_class != "INTERNAL_ERROR", (sql, e.message)
    finally:
        eng.close()


def test_division_and_arity(emu):
    assert rows(emu, "SELECT 7 / 2, 1 + 6 / 4 * 2, 10 % 4, try_divide(1, 0), -8 / -(1 + 1) / 2") == [
        ["3.5", "4.0", "2", None, "2.0"]]
    failed(emu, "SELECT 1 / 0", "22012", "DIVIDE_BY_ZERO")
    failed(emu, "SELECT id / (id - id) FROM range(3)", "22012", "DIVIDE_BY_ZERO")
    assert rows(emu, "SELECT sum(id) / count(*), max(id) / CASE WHEN 1 = 1 THEN 2 END, "
                     "id / abs(-2) FROM range(1, 4) GROUP BY id ORDER BY id LIMIT 1") == [["1.0", "0.5", "0.5"]]
    ok(emu, "CREATE TABLE ar (a INT, b INT)")
    failed(emu, "INSERT INTO ar VALUES (1)", "21S01")
    failed(emu, "INSERT INTO ar (a) VALUES (1, 2)", "21S01")


def test_alter_detail_show(emu):
    ok(emu, "CREATE TABLE al (id INT) TBLPROPERTIES ('a' = '1')")
    ok(emu, "INSERT INTO al VALUES (1)")
    ok(emu, "ALTER TABLE al ADD COLUMNS (note STRING COMMENT 'n', amt DECIMAL(6,2))")
    ok(emu, "INSERT INTO al VALUES (2, 'x', 3.5)")
    assert rows(emu, "SELECT * FROM al ORDER BY id") == [["1", None, None], ["2", "x", "3.50"]]
    assert rows(emu, "SELECT * FROM al VERSION AS OF 1") == [["1"]]
    failed(emu, "ALTER TABLE al ADD COLUMN id INT", "42710")
    ok(emu, "ALTER TABLE al SET TBLPROPERTIES ('delta.appendOnly' = 'false', 'b' = '2')")
    ok(emu, "ALTER TABLE al UNSET TBLPROPERTIES ('a')")
    props = dict(tuple(r) for r in rows(emu, "SHOW TBLPROPERTIES al"))
    assert props["b"] == "2" and "a" not in props and props["delta.minReaderVersion"] == "1"
    assert [r[4] for r in rows(emu, "DESCRIBE HISTORY al")][:4] == [
        "UNSET TBLPROPERTIES", "SET TBLPROPERTIES", "WRITE", "ADD COLUMNS"]
    st, t = emu.call("GET", "/api/2.1/unity-catalog/tables/main.default.al")
    assert [c["name"] for c in t["columns"]] == ["id", "note", "amt"] and t["properties"]["b"] == "2"
    b = ok(emu, "DESCRIBE DETAIL al")
    cols = [c["name"] for c in b["manifest"]["schema"]["columns"]]
    assert cols[:5] == ["format", "id", "name", "description", "location"]
    row = b["result"]["data_array"][0]
    assert row[0] == "delta" and row[2] == "main.default.al" and row[cols.index("numFiles")] >= "1"
    assert rows(emu, "SHOW COLUMNS IN al") == [["id"], ["note"], ["amt"]]
    ok(emu, "ALTER TABLE al RENAME TO al2")
    assert rows(emu, "SELECT count(*) FROM al2") == [["2"]]
    failed(emu, "SELECT * FROM al", "42P01")


def test_views(emu):
    ok(emu, "CREATE TABLE base (id INT, amt DOUBLE)")
    ok(emu, "INSERT INTO base VALUES (1, 2.5), (2, 4.0), (3, NULL)")
    ok(emu, "CREATE VIEW gold (id COMMENT 'key', total) COMMENT 'sums' AS "
            "SELECT id, sum(amt) FROM base WHERE amt IS NOT NULL GROUP BY id")
    assert rows(emu, "SELECT * FROM gold ORDER BY id") == [["1", "2.5"], ["2", "4.0"]]
    ok(emu, "INSERT INTO base VALUES (4, 1.0)")
    assert rows(emu, "SELECT count(*) FROM main.default.gold") == [["3"]]
    st, v = emu.call("GET", "/api/2.1/unity-catalog/tables/main.default.gold")
    assert st == 200 and v["table_type"] == "VIEW" and v["comment"] == "sums"
    assert v["view_definition"] == "SELECT id, sum(amt) FROM base WHERE amt IS NOT NULL GROUP BY id"
    assert [(c["name"], c["type_name"]) for c in v["columns"]] == [("id", "INT"), ("total", "DOUBLE")]
    assert v["columns"][0]["comment"] == "key" and "data_source_format" not in v
    failed(emu, "INSERT INTO gold VALUES (9, 9)", "42809", "EXPECT_TABLE_NOT_VIEW.NO_ALTERNATIVE")
    failed(emu, "SELECT * FROM gold VERSION AS OF 0", "0A000")
    failed(emu, "DROP TABLE gold", "42809", "WRONG_COMMAND_FOR_OBJECT_TYPE")
    failed(emu, "CREATE VIEW gold AS SELECT 1", "42P07")
    failed(emu, "CREATE VIEW pv AS SELECT :x", "0A000")
    ok(emu, "CREATE OR REPLACE VIEW gold AS SELECT id FROM base")
    assert rows(emu, "SELECT count(*) FROM gold") == [["4"]]
    ok(emu, "DROP VIEW gold")
    assert emu.call("GET", "/api/2.1/unity-catalog/tables/main.default.gold/exists")[1] == {"table_exists": False}
    failed(emu, "DROP VIEW base", "42809")


def test_timestamps_stored_in_time_order(emu):
    ok(emu, "CREATE TABLE ev (id INT, at TIMESTAMP)")
    ok(emu, "INSERT INTO ev VALUES (1, '2024-01-02T03:04:05Z'), (2, '2024-01-02 01:00:00'), "
            "(3, '2024-01-02T05:00:00+02:00'), (4, '2024-01-02 02:30:00.250'), (5, NULL)")
    assert rows(emu, "SELECT id, at FROM ev WHERE at > '2024-01-02 02:00:00' ORDER BY at") == [
        ["4", "2024-01-02T02:30:00.250Z"], ["3", "2024-01-02T03:00:00.000Z"],
        ["1", "2024-01-02T03:04:05.000Z"]]
    ok(emu, "UPDATE ev SET at = '2024-01-03T00:00:00Z' WHERE id = 2")
    assert rows(emu, "SELECT id FROM ev WHERE at >= '2024-01-03 00:00:00'") == [["2"]]
    failed(emu, "INSERT INTO ev VALUES (6, 'not a time')", "22018")


def test_runaway_query_is_stopped(emu):
    emu.ctl("POST", "config", {"sql_max_exec_s": 1})
    b = failed(emu, "SELECT count(*) FROM range(100000) a CROSS JOIN range(100000) b", "57KD0")
    assert b["status"]["error"]["error_code"] == "DEADLINE_EXCEEDED"
    assert rows(emu, "SELECT 1") == [["1"]]
    st, e = emu.call("POST", S, {"statement": "SELECT 1", "warehouse_id": WH, "query_tags": [{"value": "x"}]})
    assert st == 400
