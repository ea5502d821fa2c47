"""client.sql against the emulator: the requests sent (the emulator's request log, the storage
host's included) and the results read: typed rows over many chunks (INLINE and
EXTERNAL_LINKS), parameters, FAILED statements, async states and waits, cancel / close,
truncation, raw CSV / Arrow chunks, and pandas only when installed."""

import datetime
import decimal
import io
import sys
import warnings

import pytest

import libdbx
from libdbx.sql import Column, Row, Statement, TruncatedResultWarning

WH = "5eedc0ffee000001"  # the emulator's seed warehouse
API = "/api/2.0/sql/statements"
T = "main.default.numbers"


def chunk_path(sid, n):
    return "%s/%s/result/chunks/%d" % (API, sid, n)


def make_numbers(client, n):
    """T with ids 0..n-1, name "n<id>", and a NULL name every 7th row."""
    client.sql.execute(WH, "CREATE TABLE IF NOT EXISTS %s (id BIGINT, name STRING) USING DELTA" % T)
    values = ", ".join("(%d, %s)" % (i, "NULL" if i % 7 == 3 else "'n%d'" % i) for i in range(n))
    client.sql.execute(WH, "INSERT INTO %s VALUES %s" % (T, values))


def check_numbers(rows, n):
    assert [r.id for r in rows] == list(range(n))
    for r in rows:
        assert r.name == (None if r.id % 7 == 3 else "n%d" % r.id)


def other_requests(emu, status=None):
    return [r for r in emu.requests() if r.get("server") == "other"
            and (status is None or r.get("status") == status)]


def test_execute_request_manifest_and_get(client, emu):
    emu.config(sql_chunk_rows=5)
    make_numbers(client, 12)
    st = client.sql.execute(WH, "SELECT id, name FROM numbers WHERE id >= :lo ORDER BY id", {"lo": 2},
                            catalog="main", schema="default", wait_timeout=30, on_wait_timeout="continue",
                            disposition="INLINE", format="JSON_ARRAY",
                            query_tags={"team": "fraud", "adhoc": None})
    body = emu.last(API)["json"]
    assert emu.last(API)["method"] == "POST"
    assert body["warehouse_id"] == WH
    assert body["statement"] == "SELECT id, name FROM numbers WHERE id >= :lo ORDER BY id"
    assert body["catalog"] == "main" and body["schema"] == "default"
    assert body["wait_timeout"] == "30s" and body["on_wait_timeout"] == "CONTINUE"
    assert body["disposition"] == "INLINE" and body["format"] == "JSON_ARRAY"
    assert body["parameters"] == [{"name": "lo", "value": "2", "type": "BIGINT"}]
    assert body["query_tags"][0] == {"key": "team", "value": "fraud"}
    assert body["query_tags"][1]["key"] == "adhoc" and "value" not in body["query_tags"][1]
    assert "row_limit" not in body

    assert isinstance(st, Statement)
    assert st.state == "SUCCEEDED" and st.has_result
    assert st.statement_id
    assert st.format == "JSON_ARRAY" and st.disposition == "INLINE"
    assert st.column_names == ["id", "name"]
    assert st.columns[0] == Column("id", "LONG", st.columns[0].type_text, 0, 0)
    assert st.columns[1].type_name == "STRING"
    assert st.description[0][:2] == ("id", "LONG")
    assert st.column_index("name") == 1 and st.column_index("nope") == -1
    assert st.total_row_count == 10 and st.total_chunk_count == 2
    assert st.truncated is False
    assert st.error_code is None and st.sql_state is None
    assert st.raw["statement_id"] == st.statement_id
    assert st.statement_id in repr(st)

    g = client.sql.get(st.statement_id)
    assert emu.last("%s/%s" % (API, st.statement_id))["method"] == "GET"
    assert g.statement_id == st.statement_id and g.state == "SUCCEEDED" and g.total_row_count == 10
    assert st.refresh().total_row_count == 10
    with pytest.raises(libdbx.NotFound):
        client.sql.get("no-such-statement")


def test_rows_follow_every_inline_chunk(client, emu):
    emu.config(sql_chunk_rows=5)
    make_numbers(client, 110)  # 22 chunks
    st = client.sql.execute(WH, "SELECT id, name FROM %s ORDER BY id" % T)
    assert st.total_chunk_count == 22
    it = st.rows(max_chunks=4)
    assert it.column_index("name") == 1 and it.row_index == -1
    first = next(it)
    assert first == (0, "n0") and it.row_index == 0
    rows = [first] + list(it)
    check_numbers(rows, 110)
    # chunk 0 came with the statement; every other chunk was fetched once
    assert emu.requests(chunk_path(st.statement_id, 0)) == []
    for n in range(1, 22):
        assert len(emu.requests(chunk_path(st.statement_id, n))) == 1
    r = rows[11]
    assert isinstance(r, Row) and isinstance(r, tuple)
    assert r == (11, "n11")
    assert r[0] == 11 and r[-1] == "n11" and r["name"] == "n11" and r.name == "n11"
    assert r.keys() == ["id", "name"] and r.values() == [11, "n11"]
    assert r._asdict() == {"id": 11, "name": "n11"} and r.items() == [("id", 11), ("name", "n11")]
    assert repr(r) == "Row(id=11, name='n11')"
    assert rows[10].name is None
    with pytest.raises(AttributeError):
        r.nope
    with pytest.raises(KeyError):
        r["nope"]
    # one chunk at a time reads the same rows; iterating twice starts over
    check_numbers(list(st.rows(max_chunks=1)), 110)
    check_numbers(list(st), 110)


def test_fetch_cursor(client, emu):
    emu.config(sql_chunk_rows=5)
    make_numbers(client, 23)
    st = client.sql.execute(WH, "SELECT id, name FROM %s ORDER BY id" % T)
    assert st.fetchone().id == 0
    assert [r.id for r in st.fetchmany(7)] == list(range(1, 8))
    assert st.fetchmany(0) == []
    rest = st.fetchall()
    assert [r.id for r in rest] == list(range(8, 23))
    assert st.fetchone() is None and st.fetchmany(3) == [] and st.fetchall() == []
    with pytest.raises(libdbx.InvalidArgument):
        st.fetchmany(-1)


def test_external_links_rows(client, emu):
    emu.config(sql_chunk_rows=5)
    make_numbers(client, 60)
    st = client.sql.execute(WH, "SELECT id, name FROM %s ORDER BY id" % T, disposition="EXTERNAL_LINKS")
    assert st.disposition == "EXTERNAL_LINKS" and st.total_chunk_count == 12
    before = len(other_requests(emu))
    check_numbers(st.fetchall(), 60)
    downloads = other_requests(emu)[before:]
    assert len(downloads) == 12
    for r in downloads:
        assert "authorization" not in {k.lower() for k in r["headers"]}
        assert r["status"] == 200


def test_every_type_and_nulls(client, emu):
    client.sql.execute(WH, "CREATE TABLE main.default.typed (i INT, b BIGINT, d DOUBLE, m DECIMAL(10,2), "
                           "s STRING, f BOOLEAN, dt DATE, ts TIMESTAMP) USING DELTA")
    params = {"i": (-42, "INT"), "b": 9007199254740993, "d": 2.5, "m": decimal.Decimal("12345678.90"),
              "s": "Zürich", "f": True, "dt": datetime.date(2024, 2, 29),
              "ts": datetime.datetime(2024, 2, 29, 12, 34, 56, 789000, tzinfo=datetime.timezone.utc)}
    sql = "INSERT INTO main.default.typed VALUES (:i, :b, :d, :m, :s, :f, :dt, :ts)"
    client.sql.execute(WH, sql, params)
    sent = {p["name"]: p for p in emu.last(API)["json"]["parameters"]}
    assert sent["i"] == {"name": "i", "value": "-42", "type": "INT"}
    assert sent["b"]["type"] == "BIGINT" and sent["b"]["value"] == "9007199254740993"
    assert sent["d"]["type"] == "DOUBLE"
    assert sent["m"] == {"name": "m", "value": "12345678.90", "type": "DECIMAL(10,2)"}
    assert sent["s"]["value"] == "Zürich"
    assert sent["f"]["type"] == "BOOLEAN" and sent["f"]["value"] == "true"
    assert sent["dt"] == {"name": "dt", "value": "2024-02-29", "type": "DATE"}
    assert sent["ts"]["type"] == "TIMESTAMP" and sent["ts"]["value"] == "2024-02-29T12:34:56.789000Z"
    # SQL NULLs with types, as a list of (name, value, type)
    types = ["INT", "BIGINT", "DOUBLE", "DECIMAL(10,2)", "STRING", "BOOLEAN", "DATE", "TIMESTAMP"]
    client.sql.execute(WH, sql, [(n, None, t) for n, t in zip("i b d m s f dt ts".split(), types)])
    p0 = emu.last(API)["json"]["parameters"][0]
    assert p0 == {"name": "i", "type": "INT"}

    st = client.sql.execute(WH, "SELECT * FROM main.default.typed ORDER BY i NULLS LAST")
    assert [c.type_name for c in st.columns] == ["INT", "LONG", "DOUBLE", "DECIMAL", "STRING", "BOOLEAN",
                                                 "DATE", "TIMESTAMP"]
    assert st.columns[3].type_text == "DECIMAL(10,2)"
    assert (st.columns[3].precision, st.columns[3].scale) == (10, 2)
    full, empty = st.fetchall()
    assert full == (-42, 9007199254740993, 2.5, decimal.Decimal("12345678.90"), "Zürich", True,
                    datetime.date(2024, 2, 29),
                    datetime.datetime(2024, 2, 29, 12, 34, 56, 789000, tzinfo=datetime.timezone.utc))
    assert type(full.i) is int and type(full.f) is bool and type(full.m) is decimal.Decimal
    assert full.ts.tzinfo is not None
    assert empty == (None,) * 8


def test_more_values(client, emu):
    st = client.sql.execute(
        WH, "SELECT 1.0E20 AS big, :nul AS nul, 'a\\0b' AS s, :ntz AS ntz, :neg AS neg, :huge AS huge, "
            ":bin AS bin, CAST(1.5 AS FLOAT) AS f, CAST(1 AS TINYINT) AS t, CAST(3 AS SMALLINT) AS sm",
        {"nul": None, "ntz": (datetime.datetime(2024, 1, 2, 3, 4, 5), "TIMESTAMP"),
         "neg": decimal.Decimal("-0.001"), "huge": 2 ** 70, "bin": ("hi", "BINARY")})
    sent = {p["name"]: p for p in emu.last(API)["json"]["parameters"]}
    assert sent["nul"] == {"name": "nul"}
    assert sent["neg"] == {"name": "neg", "value": "-0.001", "type": "DECIMAL(3,3)"}
    assert sent["huge"] == {"name": "huge", "value": str(2 ** 70), "type": "DECIMAL(38,0)"}
    assert sent["ntz"]["value"] == "2024-01-02T03:04:05"
    (row,) = st.fetchall()
    assert row.big == 1e20 and type(row.big) is float
    assert row.nul is None
    assert row.s == "a\u0000b"  # a value holding U+0000 is read whole
    assert row.ntz == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    assert row.neg == decimal.Decimal("-0.001")
    assert isinstance(row.huge, decimal.Decimal)  # (the emulator computes in doubles)
    assert row.bin == b"hi"  # BINARY comes as base64 in JSON_ARRAY
    assert (row.f, row.t, row.sm) == (1.5, 1, 3)
    assert [c.type_name for c in st.columns][-3:] == ["FLOAT", "BYTE", "SHORT"]


def test_hostile_parameters_round_trip(client, emu):
    client.sql.execute(WH, "CREATE TABLE main.default.notes (k INT, v STRING) USING DELTA")
    hostile = ["'; DROP TABLE main.default.notes; --", "x' OR '1'='1", "/* not a comment */ -- nor this",
               "a\"b`c`\\d", ";;;", ":s :k ?", "line1\nline2\r\n\ttab", "ünïcödé ✓ 𝄞", ""]
    for h in hostile:
        st = client.sql.execute(WH, "SELECT :s AS s, :k AS k", [("s", h), ("k", 7, "INT")])
        assert emu.last(API)["json"]["statement"] == "SELECT :s AS s, :k AS k"
        assert st.fetchall() == [(h, 7)]
        client.sql.execute(WH, "INSERT INTO main.default.notes VALUES (:k, :s)", {"k": 7, "s": h})
        got = client.sql.execute(WH, "SELECT v FROM main.default.notes WHERE v = :s", {"s": h})
        assert got.total_row_count == 1
        client.sql.execute(WH, "DELETE FROM main.default.notes")
    assert client.sql.execute(WH, "SELECT COUNT(*) AS n FROM main.default.notes").fetchone().n == 0


def test_failed_statement_and_errors(client, emu):
    with pytest.raises(libdbx.OperationFailed) as ei:
        client.sql.execute(WH, "SELECT * FROM main.default.does_not_exist")
    e = ei.value
    assert isinstance(e.last, Statement)
    assert e.last.state == "FAILED" and e.last.has_result is False
    assert e.last.error_code and e.last.error_message
    assert len(e.last.sql_state) == 5 and e.sql_state == e.last.sql_state
    assert e.error_code == e.last.error_code
    assert "FAILED" in str(e) and e.sql_state in str(e)
    # no rows to read from it
    with pytest.raises(libdbx.InvalidArgument):
        e.last.fetchall()
    # wait on it: the same
    with pytest.raises(libdbx.OperationFailed) as ei2:
        client.sql.wait(e.last.statement_id)
    assert ei2.value.last.state == "FAILED"
    # without waiting, too
    with pytest.raises(libdbx.OperationFailed):
        client.sql.execute(WH, "SELEC nonsense", wait=False)
    with pytest.raises(libdbx.NotFound):
        client.sql.execute("missing-wh", "SELECT 1")


def test_bad_arguments_are_refused_before_any_request(client, emu):
    n = len(emu.requests(API))
    with pytest.raises(libdbx.InvalidArgument):
        client.sql.execute(WH, "SELECT 1", wait_timeout=3)
    with pytest.raises(libdbx.InvalidArgument):
        client.sql.execute(WH, "SELECT 1", wait_timeout="soon")
    with pytest.raises(libdbx.InvalidArgument):
        client.sql.execute(WH, "SELECT 1", disposition="SIDEWAYS")
    with pytest.raises(libdbx.InvalidArgument):
        client.sql.execute(WH, "SELECT 1", format="CSV")  # needs EXTERNAL_LINKS
    with pytest.raises(libdbx.InvalidArgument):
        client.sql.execute(WH, "SELECT 1", row_limit=-1)
    with pytest.raises(libdbx.InvalidArgument):
        client.sql.execute(WH, "SELECT :x", {"bad name": 1})
    with pytest.raises(libdbx.InvalidArgument):
        client.sql.execute(WH, "SELECT :x", {"x": float("inf")})
    with pytest.raises(libdbx.InvalidArgument):
        client.sql.execute(WH, "")
    with pytest.raises(TypeError):
        client.sql.execute(WH, "SELECT :x", {"x": b"raw"})
    with pytest.raises(TypeError):
        client.sql.execute(WH, "SELECT :x", {"x": object()})
    assert len(emu.requests(API)) == n


def test_async_states_wait_progress_and_timeout(client, emu):
    emu.config(sql_pending_ms=2000, sql_running_ms=2000)
    st = client.sql.execute(WH, "SELECT 1 AS one", wait=False, wait_timeout=0)
    assert emu.last(API)["json"]["wait_timeout"] == "0s"
    assert st.state == "PENDING" and not st.has_result
    with pytest.raises(libdbx.InvalidArgument):
        st.fetchall()  # not finished
    # nothing moves on the server: the caller's deadline passes
    with pytest.raises(libdbx.Timeout) as ei:
        client.sql.wait(st.statement_id, timeout=0.2, poll_interval=0.01, poll_max=0.02)
    assert ei.value.last.state == "PENDING"
    seen = []

    def progress(sid, state):
        assert sid == st.statement_id
        seen.append(state)
        emu.advance(1000)

    n_before = len(emu.requests("%s/%s" % (API, st.statement_id)))
    done = st.wait(timeout=60, progress=progress, poll_interval=0.01, poll_max=0.02)
    assert done.state == "SUCCEEDED" and done.fetchall() == [(1,)]
    assert seen[0] == "PENDING" and seen[-1] == "SUCCEEDED" and "RUNNING" in seen
    assert len(emu.requests("%s/%s" % (API, st.statement_id))) - n_before == len(seen)


def test_execute_waits_with_progress(client, emu):
    emu.config(sql_pending_ms=2000, sql_running_ms=2000)
    seen = []
    st = client.sql.execute(WH, "SELECT 2 AS two", wait_timeout=0, timeout=60, poll_interval=0.01,
                            poll_max=0.02, progress=lambda sid, s: (seen.append(s), emu.advance(1000)))
    assert st.state == "SUCCEEDED" and st.fetchone().two == 2
    assert seen and seen[-1] == "SUCCEEDED"


def test_keyboard_interrupt_stops_a_wait(client, emu):
    emu.config(sql_pending_ms=600000)
    calls = []

    def progress(sid, state):
        calls.append(state)
        if len(calls) == 2:
            raise KeyboardInterrupt  # what Ctrl-C raises inside the callback

    with pytest.raises(KeyboardInterrupt):
        client.sql.execute(WH, "SELECT 1", wait_timeout=0, timeout=60, progress=progress,
                           poll_interval=0.01, poll_max=0.02)
    assert len(calls) == 2  # no poll after the interrupt


def test_cancel(client, emu):
    emu.config(sql_pending_ms=600000)
    st = client.sql.execute(WH, "SELECT 1", wait=False, wait_timeout=0)
    st.cancel()
    req = emu.last("%s/%s/cancel" % (API, st.statement_id))
    assert req["method"] == "POST"
    with pytest.raises(libdbx.OperationFailed) as ei:
        client.sql.wait(st.statement_id, timeout=10)
    assert ei.value.last.state == "CANCELED"
    assert "CANCELED" in str(ei.value)
    assert client.sql.get(st.statement_id).state == "CANCELED"
    with pytest.raises(libdbx.NotFound):
        client.sql.cancel("no-such-statement")


def test_close_and_context_manager(client, emu):
    emu.config(sql_chunk_rows=5)
    make_numbers(client, 12)
    with client.sql.execute(WH, "SELECT id, name FROM %s ORDER BY id" % T) as st:
        path = "%s/%s" % (API, st.statement_id)
        check_numbers(st.fetchall(), 12)
        assert emu.requests(path) == []
    assert emu.last(path)["method"] == "DELETE"
    assert client.sql.get(st.statement_id).state == "CLOSED"
    # chunks are gone now
    with pytest.raises(libdbx.NotFound):
        list(st.rows(max_chunks=1))
    # an iterator that closes the statement when done
    st2 = client.sql.execute(WH, "SELECT id, name FROM %s ORDER BY id" % T)
    it = st2.rows(close=True)
    check_numbers(list(it), 12)
    assert emu.last("%s/%s" % (API, st2.statement_id))["method"] == "DELETE"
    st3 = client.sql.execute(WH, "SELECT 1 AS one")
    client.sql.close(st3.statement_id)
    assert emu.last("%s/%s" % (API, st3.statement_id))["method"] == "DELETE"
    assert st3.refresh().state == "CLOSED"


def test_truncation_is_never_silent(client, emu):
    emu.config(sql_chunk_rows=5)
    make_numbers(client, 30)
    st = client.sql.execute(WH, "SELECT id, name FROM %s ORDER BY id" % T, row_limit=12)
    assert emu.last(API)["json"]["row_limit"] == 12
    assert st.truncated is True
    it = st.rows()
    assert it.truncated is True
    with pytest.warns(TruncatedResultWarning):
        rows = list(it)
    assert [r.id for r in rows] == list(range(12))
    with pytest.raises(libdbx.TooLarge):
        list(st.rows(truncated_is_error=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        full = client.sql.execute(WH, "SELECT id FROM %s" % T, byte_limit=10 ** 9)
        assert emu.last(API)["json"]["byte_limit"] == 10 ** 9
        assert not full.truncated and len(full.fetchall()) == 30


def test_expired_result(client, emu):
    emu.config(sql_chunk_rows=5, sql_result_ttl_s=60)
    make_numbers(client, 12)
    st = client.sql.execute(WH, "SELECT id, name FROM %s ORDER BY id" % T)
    it = st.rows(max_chunks=1)
    for _ in range(5):
        next(it)
    emu.advance(120 * 1000)
    with pytest.raises(libdbx.NotFound) as ei:
        next(it)
    assert it.result_expired is True
    assert "expired" in str(ei.value)
    it.close()


def test_stream_csv_everywhere(client, emu, tmp_path):
    emu.config(sql_chunk_rows=5)
    make_numbers(client, 60)
    st = client.sql.execute(WH, "SELECT id, name FROM %s ORDER BY id" % T, disposition="EXTERNAL_LINKS",
                            format="CSV")
    assert st.format == "CSV"
    with pytest.raises(libdbx.InvalidArgument):
        st.fetchall()  # not rows
    data = st.stream(max_chunks=4)
    lines = data.decode().splitlines()
    assert lines[0] == "id,name" and len(lines) == 61
    assert lines[1] == "0,n0" and lines[-2] == "58,n58" and lines[-1] == "59,null"
    # to a file object, with chunk ends
    buf, ends = io.BytesIO(), []
    assert st.stream(buf, chunk_end=ends.append) is None
    assert buf.getvalue() == data and ends == list(range(12))
    # to a callable
    pieces = []
    st.stream(pieces.append)
    assert b"".join(pieces) == data
    # to a path: no overwrite unless asked
    path = tmp_path / "out.csv"
    client.sql.stream(st, str(path))
    assert path.read_bytes() == data
    with pytest.raises(libdbx.AlreadyExists):
        st.stream(path)
    st.stream(path, overwrite=True)
    assert path.read_bytes() == data
    # an exception in the callable stops the stream and is re-raised as it was
    n = []

    def boom(piece):
        n.append(piece)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        st.stream(boom)
    assert len(n) == 1
    # close=True closes the statement afterwards
    st.stream(io.BytesIO(), close=True)
    assert emu.last("%s/%s" % (API, st.statement_id))["method"] == "DELETE"
    # INLINE results have no raw chunks
    with pytest.raises(libdbx.InvalidArgument):
        client.sql.execute(WH, "SELECT 1 AS one").stream()


def test_stream_arrow(client, emu):
    emu.config(sql_chunk_rows=5)
    make_numbers(client, 12)
    st = client.sql.execute(WH, "SELECT id, name FROM %s ORDER BY id" % T, disposition="EXTERNAL_LINKS",
                            format="ARROW_STREAM")
    assert st.format == "ARROW_STREAM" and st.total_chunk_count == 3
    chunks, cur = [], []

    def end(i):
        chunks.append(b"".join(cur))
        cur.clear()

    st.stream(cur.append, chunk_end=end)
    assert len(chunks) == 3
    for c in chunks:  # each chunk is one Arrow IPC stream: continuation marker, end-of-stream
        assert c[:4] == b"\xff\xff\xff\xff"
        assert c[-8:] == b"\xff\xff\xff\xff\x00\x00\x00\x00"


def test_to_pandas_without_pandas(client, emu, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas -> ImportError
    st = client.sql.execute(WH, "SELECT 1 AS one")
    with pytest.raises(ImportError, match="pandas"):
        st.to_pandas()
    assert st.fetchall() == [(1,)]  # still readable without it


def test_to_pandas(client, emu):
    pd = pytest.importorskip("pandas")
    emu.config(sql_chunk_rows=5)
    make_numbers(client, 12)
    st = client.sql.execute(WH, "SELECT id, name, id %% 2 = 0 AS even, id / 2.0 AS half, "
                                "CAST('2024-01-02T03:04:05Z' AS TIMESTAMP) AS ts FROM %s ORDER BY id" % T)
    df = st.to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["id", "name", "even", "half", "ts"]
    assert len(df) == 12
    assert list(df["id"]) == list(range(12))
    assert str(df["id"].dtype) == "int64"
    assert df["name"][0] == "n0" and df["name"][3] is None
    assert str(df["half"].dtype) == "float64"
    assert str(df["ts"].dtype).startswith("datetime64") and str(df["ts"].dt.tz) == "UTC"
    nulls = client.sql.execute(WH, "SELECT CAST(:v AS BIGINT) AS v", {"v": (None, "BIGINT")}).to_pandas()
    assert str(nulls["v"].dtype) == "Int64" and pd.isna(nulls["v"][0])
