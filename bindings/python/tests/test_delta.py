"""client.delta against the emulator: the statements sent (text and typed parameters, from the
emulator's request log) and the results read back; hostile strings as values and identifiers;
a bronze -> silver -> gold flow; waits, callbacks and errors."""

import datetime
import decimal
import io
import os

import pytest

import libdbx
from libdbx.delta import DeltaAPI, HistoryEntry, RowsLoaded, TableSpec
from libdbx.sql import Row, Rows

WH = "5eedc0ffee000001"  # the emulator's seed warehouse
API = "/api/2.0/sql/statements"
VOL = "/Volumes/main/default/landing"
T = "main.default.t"
TQ = "`main`.`default`.`t`"

HOSTILE = [
    "'; DROP TABLE t; --", "it's", "a\\'b", "\\", "line\nbreak\ttab\r", "`backtick`", "/* c */ x",
    ":p0", "$1 ?", "caf\u00e9 \u2603 \U0001F600", "\u202e rtl", "\"dq\"", "' OR '1'='1",
]


def stmts(emu):
    return [r["json"] for r in emu.requests(API) if r["method"] == "POST"]


def last_stmt(emu):
    return stmts(emu)[-1]


def params(body):
    return {p["name"]: (p.get("value"), p.get("type")) for p in body.get("parameters") or []}


@pytest.fixture
def d(client):
    return client.delta.using(WH)


def make_table(d, name=T):
    d.create_table(name, [("id", "BIGINT", {"nullable": False}), ("name", "STRING"), ("score", "DOUBLE")])


def query(client, text):
    return [tuple(r) for r in client.sql.execute(WH, text)]


# ---- quoting and specs (no request) -----------------------------------------------------------

def test_quoting(client, emu):
    d = client.delta
    assert d.quote_name("main.default.t") == TQ
    assert d.quote_name("`a``b`") == "`a``b`"
    assert d.quote_column("a`b") == "`a``b`"
    assert d.quote_column("a.b") == "`a.b`"
    assert d.quote_literal("it's\n") == "'it\\'s\\n'"
    for bad in ("t; DROP TABLE x", "a.b.c.d", "", "`t", "t\n"):
        with pytest.raises(libdbx.InvalidArgument):
            d.quote_name(bad)
    with pytest.raises(libdbx.InvalidArgument):
        d.quote_column("bad\ncol")
    with pytest.raises(TypeError):
        d.quote_name(5)
    assert stmts(emu) == []


def test_table_spec_to_sql(client):
    spec = client.delta.table_spec(
        [("id", "bigint", {"nullable": False, "comment": "the key"}), "`first name` STRING",
         {"name": "amount", "type": "DECIMAL(10, 2)"}, ("day", "DATE")],
        partitioned_by="day", comment="it's", properties={"delta.appendOnly": True}, if_not_exists=True)
    assert isinstance(spec, TableSpec)
    assert spec.to_sql("main.default.t") == (
        "CREATE TABLE IF NOT EXISTS " + TQ + " (`id` BIGINT NOT NULL COMMENT 'the key', `first name` STRING, "
        "`amount` DECIMAL(10,2), `day` DATE) USING DELTA PARTITIONED BY (`day`) COMMENT 'it\\'s' "
        "TBLPROPERTIES ('delta.appendOnly' = 'true')")
    # the builder checks every piece when it is added
    with pytest.raises(libdbx.InvalidArgument):
        spec.add_column("x", "VARCHAR(10); DROP TABLE t")
    with pytest.raises(libdbx.InvalidArgument, match=""):
        spec.add_column("id", "INT")  # a name added twice
    with pytest.raises(libdbx.InvalidArgument):
        spec.add_columns("a INT,, b INT")
    with pytest.raises(TypeError):
        spec.add_columns([("a", "INT", {"bogus": 1})])
    with spec:
        pass
    with pytest.raises(libdbx.InvalidArgument):
        spec.to_sql("t")  # freed
    empty = TableSpec()
    with pytest.raises(libdbx.InvalidArgument):
        empty.to_sql("t")  # no column


# ---- create ------------------------------------------------------------------------------------

def test_create_table(client, emu, d):
    d.create_table(T, "id BIGINT NOT NULL COMMENT 'k', name STRING", comment="bronze",
                   properties={"team": "fraud"})
    assert last_stmt(emu)["statement"] == ("CREATE TABLE " + TQ + " (`id` BIGINT NOT NULL COMMENT 'k', "
                                           "`name` STRING) USING DELTA COMMENT 'bronze' "
                                           "TBLPROPERTIES ('team' = 'fraud')")
    assert last_stmt(emu)["warehouse_id"] == WH
    desc = query(client, "DESCRIBE TABLE " + T)
    assert [r[:2] for r in desc[:2]] == [("id", "bigint"), ("name", "string")]
    # exists: the statement's failure, with the server's error
    with pytest.raises(libdbx.OperationFailed, match="TABLE_OR_VIEW_ALREADY_EXISTS"):
        d.create_table(T, "id BIGINT")
    d.create_table(T, "id BIGINT", if_not_exists=True)
    assert last_stmt(emu)["statement"].startswith("CREATE TABLE IF NOT EXISTS ")
    # catalog / schema defaults and a TableSpec
    spec = TableSpec([("k", "INT")])
    client.delta.create_table("t2", spec, warehouse_id=WH, catalog="main", schema="default")
    body = last_stmt(emu)
    assert body["statement"] == "CREATE TABLE `t2` (`k` INT) USING DELTA"
    assert body["catalog"] == "main" and body["schema"] == "default"
    spec.close()
    # bad input: nothing sent
    n = len(stmts(emu))
    with pytest.raises(libdbx.InvalidArgument, match="warehouse_id"):
        client.delta.create_table(T, "id BIGINT")
    with pytest.raises(libdbx.InvalidArgument):
        d.create_table("t; DROP TABLE x", "id BIGINT")
    with pytest.raises(libdbx.InvalidArgument):
        d.create_table(T, "id BIGINT", partitioned_by=["nope"])
    with pytest.raises(TypeError):
        d.create_table(T, "id BIGINT", bogus=1)
    assert len(stmts(emu)) == n


# ---- append ------------------------------------------------------------------------------------

def test_append_types_batches_and_values(client, emu, d):
    d.create_table(T, "id BIGINT NOT NULL, name STRING, score DOUBLE, ok BOOLEAN, amount DECIMAL(10,2), "
                      "day DATE, at TIMESTAMP, raw BINARY, big DECIMAL(38,0)")
    cols = ["id", "name", "score", "ok", "amount", "day", "at", "raw", "big"]
    at = datetime.datetime(2024, 1, 31, 10, 0, 0, tzinfo=datetime.timezone.utc)
    rows = [
        (1, "a", 1.5, True, decimal.Decimal("12.50"), datetime.date(2024, 1, 31), at, b"hi", 2 ** 70),
        (2, None, None, None, None, None, None, None, None),
    ]
    written = d.append(T, rows, columns=cols)
    assert written == 2
    body = last_stmt(emu)
    assert body["statement"] == ("INSERT INTO " + TQ + " (" + ", ".join("`%s`" % c for c in cols) + ") VALUES ("
                                 + ", ".join(":p%d" % i for i in range(9)) + "), ("
                                 + ", ".join(":p%d" % i for i in range(9, 18)) + ")")
    p = params(body)
    assert p["p0"] == ("1", "BIGINT")
    assert p["p1"] == ("a", "STRING")
    assert p["p2"][1] == "DOUBLE" and float(p["p2"][0]) == 1.5
    assert p["p3"] == ("true", "BOOLEAN")
    assert p["p4"] == ("12.50", "DECIMAL(4,2)")
    assert p["p5"] == ("2024-01-31", "DATE")
    assert p["p6"] == ("2024-01-31T10:00:00Z", "TIMESTAMP")
    assert p["p7"] == ("hi", "BINARY")
    assert p["p8"] == (str(2 ** 70), "DECIMAL(38,0)")
    # NULLs take the type of the column's typed values
    assert p["p10"][0] is None and p["p11"][0] is None
    assert p["p11"][1] == "DOUBLE" and p["p12"][1] == "BOOLEAN"

    got = list(d.read(T, columns=cols))
    got.sort(key=lambda r: r.id)
    assert got[0].name == "a" and got[0].score == 1.5 and got[0].ok is True
    assert got[0].amount == decimal.Decimal("12.50") and got[0].day == datetime.date(2024, 1, 31)
    assert got[0].at == at and got[0].raw == b"hi"
    # (the emulator keeps DECIMAL in a sqlite REAL: 2**70 comes back rounded)
    assert isinstance(got[0].big, decimal.Decimal) and abs(got[0].big - 2 ** 70) < 10 ** 7
    assert tuple(got[1])[1:] == (None,) * 8

    # dicts, generators, batches of batch_rows rows, explicit types
    n0 = len(stmts(emu))
    gen = ({"id": 100 + i, "name": "n%d" % i, "amount": "1.%02d" % i} for i in range(7))
    assert d.append(T, gen, batch_rows=3, types={"amount": "DECIMAL(10,2)"}) == 7
    sent = stmts(emu)[n0:]
    assert len(sent) == 3
    assert [len(s["parameters"]) for s in sent] == [9, 9, 3]
    assert params(sent[0])["p2"] == ("1.00", "DECIMAL(10,2)")
    (count, total), = query(client, "SELECT COUNT(*), SUM(amount) FROM %s WHERE id >= 100" % T)
    assert count == 7 and round(total, 2) == 7.21  # (a DOUBLE: the emulator sums DECIMAL as REAL)
    # sql Rows read back are rows too (columns from their fields)
    back = list(d.read(T, columns=["id", "name"], limit=2))
    d2 = client.delta.using(WH, catalog="main", schema="default")
    d2.create_table("copy", "id BIGINT, name STRING")
    assert d2.append("copy", ({"id": r.id + 1000, "name": r.name} for r in back)) == 2
    assert d2.append("copy", [Row.__new__(type(back[0]), (5000, "x"))]) == 1
    assert d2.append("copy", []) == 0


def test_append_errors(client, emu, d):
    make_table(d)
    n = len(stmts(emu))
    with pytest.raises(libdbx.InvalidArgument, match="columns"):
        d.append(T, [(1, "a", 1.0)])  # tuples without columns
    with pytest.raises(libdbx.InvalidArgument):
        d.append(T, [(1, "a")], columns=["id", "name", "score"])  # a short row
    with pytest.raises(libdbx.InvalidArgument):
        d.append(T, [(1, "a", float("nan"))], columns=["id", "name", "score"])
    with pytest.raises(libdbx.InvalidArgument):
        d.append(T, [{"id": 1, "nope": 2}], columns=["id", "name"])
    with pytest.raises(libdbx.InvalidArgument):
        d.append(T, [(1,)], columns=["bad\ncol"])
    with pytest.raises(libdbx.InvalidArgument):
        d.append(T, [(1, b"\xff\xfe")], columns=["id", "name"])
    with pytest.raises(TypeError):
        d.append(T, [(1, object())], columns=["id", "name"])
    with pytest.raises(libdbx.InvalidArgument):
        d.append(T, [(1,)], columns=["id"], types={"nope": "INT"})
    assert len(stmts(emu)) == n
    # a failing second batch: the first stays written, rows_written says so
    rows = [(1, "a", 1.0), (2, "b", 2.0), (None, "c", 3.0)]
    with pytest.raises(libdbx.OperationFailed) as ei:
        d.append(T, rows, columns=["id", "name", "score"], batch_rows=2)
    assert ei.value.rows_written == 2
    assert query(client, "SELECT COUNT(*) FROM " + T) == [(2,)]
    # a bad value found after the first batch was sent
    with pytest.raises(TypeError):
        d.append(T, [(3, "a", 1.0), (4, object(), 1.0)], columns=["id", "name", "score"], batch_rows=1)
    assert query(client, "SELECT COUNT(*) FROM " + T) == [(3,)]


def test_hostile_values_and_identifiers(client, emu, d):
    make_table(d)
    rows = [(i, s, float(i)) for i, s in enumerate(HOSTILE)]
    assert d.append(T, rows, columns=["id", "name", "score"]) == len(HOSTILE)
    text = last_stmt(emu)["statement"]
    assert "DROP" not in text and "'" not in text
    assert d.append(T, [(1000 + i, "plain", 1.0) for i in range(len(HOSTILE))], columns=["id", "name", "score"])
    assert last_stmt(emu)["statement"] == text  # only markers: the same statement
    back = {r.id: r.name for r in d.read(T)}
    for i, s in enumerate(HOSTILE):
        assert back[i] == s
    # hostile keys are values too
    assert d.upsert(T, [(5000 + i, s, 3.0) for i, s in enumerate(HOSTILE)], keys=["name"],
                    columns=["id", "name", "score"]) == len(HOSTILE)
    assert query(client, "SELECT COUNT(*) FROM %s WHERE score = 3" % T) == [(len(HOSTILE),)]

    # identifiers: refused before any request, or one (strange) quoted name
    n = len(stmts(emu))
    for bad in ("t; DROP TABLE x", "t--", "t'", "a b", "`t`; DROP TABLE x", "a.b.c.d", "", b"t\xff",
                "`\u202et`"):
        with pytest.raises(libdbx.InvalidArgument):
            d.optimize(bad)
    assert len(stmts(emu)) == n
    cols = ["id", "it's", "a`b; DROP TABLE x; --", "/* c */", "caf\u00e9"]
    weird = "main.default.`we``ird; --`"
    d.create_table(weird, [(c, "BIGINT" if i == 0 else "STRING") for i, c in enumerate(cols)])
    assert last_stmt(emu)["statement"] == ("CREATE TABLE `main`.`default`.`we``ird; --` (`id` BIGINT, `it's` STRING, "
                                           "`a``b; DROP TABLE x; --` STRING, `/* c */` STRING, `caf\u00e9` STRING) "
                                           "USING DELTA")
    d.append(weird, [dict(zip(cols, [1] + HOSTILE[:4]))])
    got = list(d.read(weird, columns=cols[1:3]))
    assert last_stmt(emu)["statement"] == "SELECT `it's`, `a``b; DROP TABLE x; --` FROM `main`.`default`.`we``ird; --`"
    assert got == [(HOSTILE[0], HOSTILE[1])]
    assert got[0].keys() == cols[1:3]
    assert got[0]["a`b; DROP TABLE x; --"] == HOSTILE[1]
    # literals: comments and properties reach the server as the same text
    for i, s in enumerate(HOSTILE[:4]):
        name = "main.default.lit%d" % i
        d.create_table(name, [("id", "BIGINT", {"comment": s})], comment=s, properties={"k": s})
        desc = query(client, "DESCRIBE TABLE EXTENDED " + name)
        assert desc[0] == ("id", "bigint", s)
        assert ("Comment", s, "") in desc or ("Comment", s, None) in desc


# ---- upsert ------------------------------------------------------------------------------------

def test_upsert(client, emu, d):
    make_table(d)
    d.append(T, [(1, "one", 1.0), (2, "two", 2.0), (3, "three", 3.0)], columns=["id", "name", "score"])
    affected = d.upsert(T, [{"id": 2, "name": "TWO", "score": 20.0}, {"id": 3, "name": "THREE", "score": 30.0},
                            {"id": 4, "name": "four", "score": 4.0}], keys=["id"])
    assert affected == 3
    body = last_stmt(emu)
    assert body["statement"] == (
        "MERGE INTO " + TQ + " AS t USING (SELECT :p0 AS `id`, :p1 AS `name`, :p2 AS `score` UNION ALL "
        "SELECT :p3, :p4, :p5 UNION ALL SELECT :p6, :p7, :p8) AS s ON t.`id` = s.`id` "
        "WHEN MATCHED THEN UPDATE SET `name` = s.`name`, `score` = s.`score` "
        "WHEN NOT MATCHED THEN INSERT (`id`, `name`, `score`) VALUES (s.`id`, s.`name`, s.`score`)")
    assert params(body)["p0"] == ("2", "BIGINT")
    assert sorted(query(client, "SELECT id, name FROM " + T)) == [(1, "one"), (2, "TWO"), (3, "THREE"), (4, "four")]
    # batches
    n = len(stmts(emu))
    assert d.upsert(T, [(i, "x", 0.0) for i in range(5)], keys="id", columns=["id", "name", "score"],
                    batch_rows=2) == 5
    assert len(stmts(emu)) - n == 3
    # duplicate keys are refused before anything is sent; so are unknown keys
    n = len(stmts(emu))
    with pytest.raises(libdbx.InvalidArgument):
        d.upsert(T, [(1, "a", 1.0), (1, "b", 2.0)], keys=["id"], columns=["id", "name", "score"])
    with pytest.raises(libdbx.InvalidArgument):
        d.upsert(T, [(1, "a", 1.0)], keys=["nope"], columns=["id", "name", "score"])
    with pytest.raises(libdbx.InvalidArgument):
        d.upsert(T, [(1, "a", 1.0)], keys=[], columns=["id", "name", "score"])
    assert len(stmts(emu)) == n
    assert d.upsert(T, [], keys=["id"]) == 0


# ---- read and history --------------------------------------------------------------------------

def test_read_time_travel_and_history(client, emu, d):
    make_table(d)  # version 0
    d.append(T, [(1, "a", 1.0)], columns=["id", "name", "score"])  # version 1
    d.append(T, [(2, "b", 2.0)], columns=["id", "name", "score"])  # version 2

    rows = d.read(T)
    assert isinstance(rows, Rows)
    assert last_stmt(emu)["statement"] == "SELECT * FROM " + TQ
    assert [c.name for c in rows.columns] == ["id", "name", "score"]
    assert [c.type_name for c in rows.columns] == ["LONG", "STRING", "DOUBLE"]
    assert sorted(rows) == [(1, "a", 1.0), (2, "b", 2.0)]
    # the same Row type and values as client.sql
    via_sql = list(client.sql.execute(WH, "SELECT * FROM " + T + " ORDER BY id"))
    assert type(via_sql[0]).__mro__[1] is Row
    assert sorted(d.read(T)) == via_sql

    rows = d.read(T, version=1, columns=["name"], limit=10)
    assert last_stmt(emu)["statement"] == "SELECT `name` FROM " + TQ + " VERSION AS OF 1 LIMIT 10"
    assert [r.name for r in rows] == ["a"]
    assert list(d.read(T, version=0)) == []
    with pytest.raises(libdbx.OperationFailed):
        d.read(T, version=99)

    hist = d.history(T)
    assert last_stmt(emu)["statement"] == "DESCRIBE HISTORY " + TQ
    assert [h.version for h in hist] == [2, 1, 0]
    assert [h.operation for h in hist] == ["WRITE", "WRITE", "CREATE TABLE"]
    h1 = hist[1]
    assert isinstance(h1, HistoryEntry)
    assert isinstance(h1.timestamp, datetime.datetime) and h1.timestamp.tzinfo is not None
    assert h1.timestamp_text and h1.user
    assert isinstance(h1.operation_parameters, dict) and isinstance(h1.operation_metrics, dict)
    assert hist[0].timestamp >= hist[2].timestamp
    assert [h.version for h in d.history(T, limit=1)] == [2]
    assert last_stmt(emu)["statement"] == "DESCRIBE HISTORY " + TQ + " LIMIT 1"
    with pytest.raises(libdbx.OperationFailed):
        d.history("main.default.nope")

    # TIMESTAMP AS OF: the server's text, and a datetime
    rows = d.read(T, timestamp=h1.timestamp_text)
    assert last_stmt(emu)["statement"] == "SELECT * FROM " + TQ + " TIMESTAMP AS OF '%s'" % h1.timestamp_text
    assert list(rows) == [(1, "a", 1.0)]
    assert list(d.read(T, timestamp=h1.timestamp)) == [(1, "a", 1.0)]
    assert "TIMESTAMP AS OF '" in last_stmt(emu)["statement"]

    # bad input: nothing sent
    n = len(stmts(emu))
    with pytest.raises(libdbx.InvalidArgument):
        d.read(T, timestamp="2024-01-01' OR '1'='1")
    with pytest.raises(libdbx.InvalidArgument):
        d.read(T, version=-1)
    with pytest.raises(libdbx.InvalidArgument):
        d.read(T, version=1, timestamp="2024-01-01")
    with pytest.raises(libdbx.InvalidArgument):
        d.read(T, columns=["ok", "bad\ncol"])
    with pytest.raises(libdbx.InvalidArgument):
        d.history(T, limit=0)
    assert len(stmts(emu)) == n


def test_read_is_lazy_over_chunks_and_closes(client, emu, d):
    emu.config(sql_chunk_rows=2)
    make_table(d)
    d.append(T, [(i, "n%d" % i, float(i)) for i in range(7)], columns=["id", "name", "score"])
    rows = d.read(T, max_chunks=1)
    first = next(rows)
    assert isinstance(first, Row)
    rest = list(rows)
    assert sorted([first.id] + [r.id for r in rest]) == list(range(7))
    chunk_reqs = [r for r in emu.requests() if "/result/chunks/" in r["path"]]
    assert len(chunk_reqs) >= 3
    sid = chunk_reqs[0]["path"].split("/")[5]
    # exhausted: the iterator closed the statement on the server
    assert any(r["method"] == "DELETE" and r["path"] == "%s/%s" % (API, sid) for r in emu.requests())
    # closed early: the statement is closed too
    rows = d.read(T)
    rows.close()
    assert emu.requests()[-1]["method"] == "DELETE"
    # a row limit: truncated
    rows = d.read(T, row_limit=1, truncated_is_error=True)
    assert last_stmt(emu)["row_limit"] == 1
    with pytest.raises(libdbx.TooLarge):
        list(rows)


# ---- load ----------------------------------------------------------------------------------------

def test_load_file(client, emu, d, tmp_path):
    make_table(d)
    csv = tmp_path / "in.csv"
    csv.write_text("id,name,score\n1,alice,1.5\n2,\"o'brien; --\",2.5\n3,carol,3.5\n")
    seen = []
    n = d.load_file(T, str(csv), VOL + "/in/", format_options={"header": True, "sep": ","},
                    upload_progress=lambda done, total: seen.append((done, total)))
    assert isinstance(n, RowsLoaded) and n == 3
    assert n.staged_path.startswith(VOL + "/in/dbx-load-") and n.staged_path.endswith(".csv")
    assert seen and seen[-1][0] == csv.stat().st_size
    fpath = "/api/2.0/fs/files" + n.staged_path
    assert [r["method"] for r in emu.requests(fpath)] == ["PUT", "DELETE"]
    assert last_stmt(emu)["statement"] == ("COPY INTO " + TQ + " FROM '%s' FILEFORMAT = CSV "
                                           "FORMAT_OPTIONS ('header' = 'true', 'sep' = ',')" % n.staged_path)
    assert sorted(query(client, "SELECT id, name FROM " + T)) == [(1, "alice"), (2, "o'brien; --"), (3, "carol")]

    # JSON, kept, with copy options; a path-like
    js = tmp_path / "in.json"
    js.write_text('{"id": 10, "name": "j", "score": 1}\n{"id": 11, "name": "k", "score": 2}\n')
    n = d.load_file(T, js, VOL, file_format="json", copy_options={"mergeSchema": "true"}, keep_staged_file=True)
    assert n == 2 and n.staged_path.endswith(".json")
    assert client.files.get_metadata(n.staged_path) is not None
    assert last_stmt(emu)["statement"].endswith("FILEFORMAT = JSON COPY_OPTIONS ('mergeSchema' = 'true')")

    # COPY INTO fails: the staged file is deleted anyway
    with pytest.raises(libdbx.OperationFailed) as ei:
        d.load_file("main.default.nope", str(csv), VOL)
    assert emu.requests()[-1]["method"] == "DELETE"
    assert ei.value.staged_path is None

    # bad input: nothing sent
    k = len(emu.requests())
    for bad in ("/Volumes/main/default", "/tmp/x", VOL + "/../x", VOL + "/*", VOL + "/a#b"):
        with pytest.raises(libdbx.InvalidArgument):
            d.load_file(T, str(csv), bad)
    with pytest.raises(libdbx.InvalidArgument):
        d.load_file(T, str(csv), VOL, file_format="XML")
    with pytest.raises(libdbx.InvalidArgument):
        d.load_file(T, str(csv), VOL, format_options={"": "x"})
    assert len(emu.requests()) == k
    with pytest.raises(libdbx.NotFound):
        d.load_file(T, str(tmp_path / "missing.csv"), VOL)


def test_load_upload_progress_error_is_reraised(client, emu, d, tmp_path):
    make_table(d)
    csv = tmp_path / "in.csv"
    csv.write_text("id,name,score\n1,a,1\n")

    def boom(done, total):
        raise RuntimeError("stop the upload")

    with pytest.raises(RuntimeError, match="stop the upload"):
        d.load_file(T, str(csv), VOL, format_options={"header": "true"}, upload_progress=boom)
    assert not [s for s in stmts(emu) if s["statement"].startswith("COPY INTO")]


# ---- maintenance ---------------------------------------------------------------------------------

def test_optimize_vacuum(client, emu, d):
    make_table(d)
    d.optimize(T)
    assert last_stmt(emu)["statement"] == "OPTIMIZE " + TQ
    d.optimize(T, zorder_by=["id", "name"])
    assert last_stmt(emu)["statement"] == "OPTIMIZE " + TQ + " ZORDER BY (`id`, `name`)"
    d.optimize(T, zorder_by="id")
    assert last_stmt(emu)["statement"] == "OPTIMIZE " + TQ + " ZORDER BY (`id`)"
    d.vacuum(T)
    assert last_stmt(emu)["statement"] == "VACUUM " + TQ
    d.vacuum(T, retain_hours=168)
    assert last_stmt(emu)["statement"] == "VACUUM " + TQ + " RETAIN 168 HOURS"
    with pytest.raises(libdbx.OperationFailed):
        d.optimize("main.default.nope")
    with pytest.raises(libdbx.OperationFailed):
        d.vacuum("main.default.nope")
    n = len(stmts(emu))
    with pytest.raises(libdbx.InvalidArgument):
        d.vacuum(T, retain_hours=-1)
    with pytest.raises(libdbx.InvalidArgument):
        d.optimize(T, zorder_by=["bad\ncol"])
    assert len(stmts(emu)) == n


# ---- waits -------------------------------------------------------------------------------------

def test_wait_progress_timeout_and_cancel(client, emu, d):
    make_table(d)
    emu.config(sql_pending_ms=600000)
    seen = []

    def progress(sid, state):
        seen.append((sid, state))
        emu.advance(700000)

    d.optimize(T, progress=progress, poll_interval=0.01)
    assert seen and seen[0][1] in ("PENDING", "RUNNING")

    # the wait ends first: Timeout; with cancel_on_wait_end the statement is canceled
    def slow(sid, state):
        emu.advance(1000)

    with pytest.raises(libdbx.Timeout):
        d.vacuum(T, timeout=0.05, progress=slow, poll_interval=0.01, cancel_on_wait_end=True)
    assert emu.requests()[-1]["path"].endswith("/cancel")

    # an exception in the progress callback stops the wait and is re-raised as it was
    def boom(sid, state):
        raise KeyError("from progress")

    with pytest.raises(KeyError, match="from progress"):
        d.append(T, [(1, "a", 1.0)], columns=["id", "name", "score"], progress=boom, poll_interval=0.01)
    # KeyboardInterrupt too
    def interrupt(sid, state):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        d.history(T, progress=interrupt, poll_interval=0.01)
    with pytest.raises(libdbx.InvalidArgument):
        d.optimize(T, timeout=0)


def test_a_real_sigint_stops_the_wait(client, emu, d):
    """SIGINT (what Ctrl-C sends) while a statement is waited for: recorded by the handler,
    the next poll stops the wait, the statement is canceled (cancel_on_wait_end) and
    KeyboardInterrupt is raised once libdbx has returned."""
    import signal
    make_table(d)
    emu.config(sql_pending_ms=600000)  # stays PENDING: the virtual clock is not advanced
    polls = []

    def progress(sid, state):
        polls.append(state)
        if len(polls) == 1:
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        d.optimize(T, progress=progress, poll_interval=0.01, cancel_on_wait_end=True)
    assert polls == ["PENDING"]
    assert emu.requests()[-1]["path"].endswith("/cancel")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# ---- bronze -> silver -> gold ----------------------------------------------------------------

def test_medallion_flow(client, emu, tmp_path):
    d = client.delta.using(WH, catalog="main", schema="default")
    for name, comment in (("bronze_payments", "bronze"), ("silver_payments", "silver")):
        d.create_table(name, [("id", "BIGINT", {"nullable": False}), ("account", "STRING"),
                              ("amount", "DOUBLE")], comment=comment)
    csv = tmp_path / "payments.csv"
    csv.write_text("id,account,amount\n1,acc-1,10.0\n2,acc-2,20.0\n3,acc-1,30.0\n")
    assert d.load_file("bronze_payments", str(csv), VOL, format_options={"header": "true"}) == 3
    # silver: upsert what bronze holds (rows straight from read), then a correction
    assert d.upsert("silver_payments", d.read("bronze_payments"), keys=["id"]) == 3  # version 1
    assert d.upsert("silver_payments", [(2, "acc-2", 25.0), (4, "acc-2", 5.0)], keys=["id"],
                    columns=["id", "account", "amount"]) == 2  # version 2
    gold = query(client, "SELECT account, SUM(amount) FROM main.default.silver_payments "
                         "GROUP BY account ORDER BY account")
    assert gold == [("acc-1", 40.0), ("acc-2", 30.0)]
    assert sum(r.amount for r in d.read("silver_payments", version=1, columns=["amount"])) == 60.0
    hist = d.history("silver_payments")
    assert [h.operation for h in hist] == ["MERGE", "MERGE", "CREATE TABLE"]
    d.optimize("silver_payments", zorder_by=["id"])
    d.vacuum("silver_payments", retain_hours=168)
    assert [h.operation for h in d.history("silver_payments")][:1] in (["VACUUM END"], ["VACUUM START"],
                                                                       ["OPTIMIZE"], ["MERGE"])


def test_using(client):
    d = client.delta.using(WH, catalog="main", timeout=30)
    assert isinstance(d, DeltaAPI) and d.warehouse_id == WH
    assert client.delta.warehouse_id is None
    assert d.using(schema="default").warehouse_id == WH
    with pytest.raises(TypeError):
        client.delta.using(WH, bogus=1)
