"""client.workspace against the emulator: requests sent and results read."""

import base64
import datetime
import gc
import io
import os
import pickle

import pytest

import libdbx
from libdbx.workspace import Exported, WorkspaceObject

API = "/api/2.0/workspace"
HOME = "/Users/emulator-user@example.com"
PY_NB = b"# Databricks notebook source\nprint('hi')\n\n# COMMAND ----------\n\nx = 1\n"
BINARY = bytes(range(256)) * 3 + b"\x00tail"


def sent_content(emu):
    return base64.b64decode(emu.last(API + "/import")["json"]["content"])


def make_tree(ws):
    """/Shared/w: a/ (b/ (c/ (deep nb)), b.txt), m (nb), z.txt, empty/"""
    ws.mkdirs("/Shared/w/a/b/c")
    ws.mkdirs("/Shared/w/empty")
    ws.import_("/Shared/w/z.txt", b"zz", format="RAW")
    ws.import_("/Shared/w/m", b"-- Databricks notebook source\nselect 1\n", language="sql")
    ws.import_("/Shared/w/a/b.txt", b"bb", format="raw")
    ws.import_("/Shared/w/a/b/c/deep", PY_NB, format="SOURCE", language="PYTHON")


WALK_ORDER = [
    ("/Shared/w/a", 1), ("/Shared/w/empty", 1), ("/Shared/w/m", 1), ("/Shared/w/z.txt", 1),
    ("/Shared/w/a/b", 2), ("/Shared/w/a/b.txt", 2), ("/Shared/w/a/b/c", 3), ("/Shared/w/a/b/c/deep", 4),
]


def test_get_status_and_the_request_sent(client, emu):
    ws = client.workspace
    home = ws.get_status(HOME)
    assert isinstance(home, WorkspaceObject)
    assert home.object_type == "DIRECTORY" and home.is_directory
    assert home.path == HOME and home.name == "emulator-user@example.com"
    assert home.object_id > 0 and home.resource_id == str(home.object_id)
    assert home.language is None and home.size is None and home.depth is None
    assert home.raw["object_type"] == "DIRECTORY"
    req = emu.last(API + "/get-status")
    assert req["method"] == "GET" and req["query"]["path"] == [HOME]

    ws.import_("/Shared/f.bin", b"abc", format="RAW")
    f = ws.get_status("/Shared/f.bin")
    assert f.object_type == "FILE" and not f.is_directory
    assert f.size == 3 and f.created_at > 0 and f.modified_at >= f.created_at
    assert ws.exists("/Shared/f.bin") and not ws.exists("/Shared/nope")

    with pytest.raises(libdbx.NotFound) as ei:
        ws.get_status("/Shared/nope")
    assert ei.value.error_code == "RESOURCE_DOES_NOT_EXIST" and ei.value.http_status == 404
    assert ei.value.path == API + "/get-status"

    # unknown enum values keep their text; int64 ids given as decimal strings are exact
    emu.fault(path=API + "/get-status", action="status", status=200,
              body={"path": "/x", "object_type": "GENIE_SPACE", "language": "COBOL",
                    "object_id": "9007199254740993"})
    odd = ws.get_status("/x")
    assert odd.object_type == "GENIE_SPACE" and odd.language == "COBOL"
    assert odd.object_id == 9007199254740993


def test_bad_paths_fail_before_any_request(client, emu):
    ws = client.workspace
    for bad in ("relative", "/a//b", "/a/../b", "/a/", ""):
        with pytest.raises(libdbx.InvalidArgument) as ei:
            ws.get_status(bad)
        assert "path" in str(ei.value)
    with pytest.raises(TypeError):
        ws.mkdirs(42)
    with pytest.raises(libdbx.InvalidArgument):
        ws.import_("/Shared/x", b"1", format="PDF")
    with pytest.raises(libdbx.InvalidArgument):
        ws.import_("/Shared/x", b"1", language="COBOL")
    with pytest.raises(libdbx.InvalidArgument):
        ws.walk("/Shared", max_depth=0)
    with pytest.raises(libdbx.InvalidArgument):
        ws.list("/Shared", notebooks_modified_after=datetime.datetime(2030, 1, 1))  # naive
    assert emu.requests(API + "/get-status") == [] and emu.requests(API + "/import") == []


def test_mkdirs_and_delete(client, emu):
    ws = client.workspace
    ws.mkdirs("/Shared/a/b/c")
    assert emu.last(API + "/mkdirs")["json"] == {"path": "/Shared/a/b/c"}
    assert ws.get_status("/Shared/a/b").is_directory
    ws.mkdirs("/Shared/a/b/c")  # idempotent
    with pytest.raises(libdbx.BadRequest) as ei:
        ws.delete("/Shared/a")
    assert ei.value.error_code == "DIRECTORY_NOT_EMPTY"
    assert emu.last(API + "/delete")["json"] == {"path": "/Shared/a", "recursive": False}
    ws.delete("/Shared/a", recursive=True)
    assert emu.last(API + "/delete")["json"] == {"path": "/Shared/a", "recursive": True}
    with pytest.raises(libdbx.NotFound):
        ws.get_status("/Shared/a")
    ws.import_("/Shared/nb", PY_NB, language="PYTHON")
    with pytest.raises(libdbx.AlreadyExists):
        ws.mkdirs("/Shared/nb/sub")


def test_list_is_lazy_with_filters(client, emu):
    ws = client.workspace
    ws.mkdirs("/Shared/l/d")
    ws.import_("/Shared/l/nb", PY_NB, language="PYTHON")
    ws.import_("/Shared/l/f.txt", b"x", format="RAW")
    it = ws.list("/Shared/l")
    assert emu.requests(API + "/list") == []  # no request before the first item
    got = {o.path: o for o in it}
    assert set(got) == {"/Shared/l/d", "/Shared/l/nb", "/Shared/l/f.txt"}
    assert got["/Shared/l/nb"].object_type == "NOTEBOOK" and got["/Shared/l/nb"].language == "PYTHON"
    assert got["/Shared/l/f.txt"].size == 1
    req = emu.last(API + "/list")
    assert req["query"]["path"] == ["/Shared/l"] and "notebooks_modified_after" not in req["query"]
    assert list(it) == []

    # a filter as epoch ms and as an aware datetime
    list(ws.list("/Shared/l", notebooks_modified_after=4102444800000))
    assert emu.last(API + "/list")["query"]["notebooks_modified_after"] == ["4102444800000"]
    when = datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)
    names = [o.path for o in ws.list("/Shared/l", notebooks_modified_after=when)]
    assert "/Shared/l/nb" not in names
    assert emu.last(API + "/list")["query"]["notebooks_modified_after"] == ["4102444800000"]

    # listing a notebook yields it; an error comes from the first next()
    assert [o.path for o in ws.list("/Shared/l/nb")] == ["/Shared/l/nb"]
    it = ws.list("/Shared/none")
    with pytest.raises(libdbx.NotFound):
        next(it)
    it.close()
    # a broken answer is BadResponse
    emu.fault(path=API + "/list", action="status", status=200, body={"objects": {}})
    with pytest.raises(libdbx.BadResponse):
        list(ws.list("/Shared/l"))


def test_import_export_source_round_trip(client, emu):
    ws = client.workspace
    ws.import_("/Shared/nb", PY_NB, format="source", language="python")
    body = emu.last(API + "/import")["json"]
    assert body["format"] == "SOURCE" and body["language"] == "PYTHON" and body["path"] == "/Shared/nb"
    assert "overwrite" not in body or body["overwrite"] is False
    assert sent_content(emu) == PY_NB
    out = ws.export("/Shared/nb", format="SOURCE")
    assert isinstance(out, Exported) and isinstance(out, bytes)
    assert out == PY_NB and out.file_type == "py"
    again = pickle.loads(pickle.dumps(out))
    assert again == PY_NB and again.file_type == "py"
    q = emu.last(API + "/export")["query"]
    assert q["path"] == ["/Shared/nb"] and q["format"] == ["SOURCE"]
    ws.export("/Shared/nb")
    assert "format" not in emu.last(API + "/export")["query"]  # DEFAULT is not sent

    with pytest.raises(libdbx.AlreadyExists):
        ws.import_("/Shared/nb", PY_NB, language="PYTHON")
    ws.import_("/Shared/nb", b"# Databricks notebook source\nprint(2)\n", language="PYTHON", overwrite=True)
    assert emu.last(API + "/import")["json"]["overwrite"] is True
    assert b"print(2)" in ws.export("/Shared/nb")
    jup = ws.export("/Shared/nb", format="JUPYTER")
    assert jup.file_type == "ipynb" and b"nbformat" in jup
    with pytest.raises(libdbx.NotFound):
        ws.import_("/Shared/missing/nb", PY_NB, language="PYTHON")
    with pytest.raises(libdbx.InvalidArgument) as ei:
        ws.import_("/Shared/nb2", PY_NB)  # SOURCE without a language
    assert "language" in str(ei.value)


def test_binary_content_from_bytes_file_objects_and_paths(client, emu, tmp_path):
    ws = client.workspace
    ws.import_("/Shared/b1", bytearray(BINARY), format="RAW")
    assert sent_content(emu) == BINARY
    ws.import_("/Shared/b2", io.BytesIO(BINARY), format="RAW")
    assert sent_content(emu) == BINARY
    local = tmp_path / "in.bin"
    local.write_bytes(BINARY)
    ws.import_("/Shared/b3", str(local), format="RAW")
    assert sent_content(emu) == BINARY
    ws.import_("/Shared/b4", local, format="AUTO")  # os.PathLike
    assert emu.last(API + "/import")["json"]["format"] == "AUTO"
    assert ws.export("/Shared/b4") == BINARY
    with pytest.raises(TypeError):
        ws.import_("/Shared/b5", 3.5, format="RAW")
    with pytest.raises(TypeError):
        ws.import_("/Shared/b5", io.StringIO("text"), format="RAW")
    with pytest.raises(libdbx.NotFound):
        ws.import_("/Shared/b5", str(tmp_path / "missing"), format="RAW")

    # over 10 MiB: refused before any request, from a file object and from a path (bounded read)
    n = len(emu.requests(API + "/import"))
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(libdbx.workspace.MAX_CONTENT_BYTES + 1)
    with pytest.raises(libdbx.InvalidArgument) as ei:
        with open(big, "rb") as f:
            ws.import_("/Shared/big", f, format="RAW")
    assert "content" in str(ei.value)
    with pytest.raises(libdbx.InvalidArgument):
        ws.import_("/Shared/big", big, format="RAW")
    assert len(emu.requests(API + "/import")) == n

    # export to a path (atomic, overwrite), to a file object, to a callable
    dest = tmp_path / "out.bin"
    assert ws.export("/Shared/b1", to=str(dest)) == ""  # no extension, no file_type
    assert dest.read_bytes() == BINARY
    with pytest.raises(libdbx.AlreadyExists):
        ws.export("/Shared/b2", to=dest)
    ws.import_("/Shared/b6", b"new", format="RAW")
    ws.export("/Shared/b6", to=dest, overwrite=True)
    assert dest.read_bytes() == b"new"
    buf = io.BytesIO()
    ws.export("/Shared/b1", to=buf)
    assert buf.getvalue() == BINARY
    chunks = []
    assert ws.export("/Shared/b1", to=chunks.append) == ""
    assert b"".join(chunks) == BINARY
    with pytest.raises(TypeError):
        ws.export("/Shared/b1", to=42)


def test_export_file_type_and_exceptions_in_the_sink(client, emu, tmp_path):
    ws = client.workspace
    ws.import_("/Shared/data.csv", b"a,b\n1,2\n", format="RAW")
    assert ws.export("/Shared/data.csv").file_type == "csv"
    assert ws.export("/Shared/data.csv", to=tmp_path / "d.csv") == "csv"

    def boom(chunk):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        ws.export("/Shared/data.csv", to=boom)
    emu.fault(path=API + "/export", action="status", status=200, body={"content": "!!not base64!!"})
    with pytest.raises(libdbx.BadResponse):
        ws.export("/Shared/data.csv")


def test_walk_order_depths_and_bounds(client, emu):
    ws = client.workspace
    make_tree(ws)
    n_before = len(emu.requests(API + "/list"))
    it = ws.walk("/Shared/w")
    assert len(emu.requests(API + "/list")) == n_before
    got = [(o.path, o.depth) for o in it]
    assert got == WALK_ORDER
    listed = [r["query"]["path"][0] for r in emu.requests(API + "/list")[n_before:]]
    assert listed == ["/Shared/w", "/Shared/w/a", "/Shared/w/a/b", "/Shared/w/a/b/c", "/Shared/w/empty"]

    got = list(ws.walk("/Shared/w", max_depth=2, notebooks_modified_after=1))
    assert len(got) == 6 and max(o.depth for o in got) == 2
    assert emu.last(API + "/list")["query"]["notebooks_modified_after"] == ["1"]

    it = ws.walk("/Shared/w", max_objects=5)
    with pytest.raises(libdbx.TooLarge):
        for _ in it:
            pass
    it.close()
    one = list(ws.walk("/Shared/w/m"))
    assert [(o.path, o.depth) for o in one] == [("/Shared/w/m", 0)]

    # stopping early frees the C iterator (close / garbage collection), no further list calls
    n = len(emu.requests(API + "/list"))
    it = ws.walk("/Shared/w")
    assert next(it).path == "/Shared/w/a"
    del it
    gc.collect()
    assert len(emu.requests(API + "/list")) == n + 1

    # a hostile listing (a path outside the listed directory) is BadResponse
    emu.fault(path=API + "/list", action="status", status=200,
              body={"objects": [{"path": "/Shared/h/../../etc/x", "object_type": "FILE", "object_id": 5}]})
    with pytest.raises(libdbx.BadResponse):
        list(ws.walk("/Shared/h"))


def test_walk_each_callback(client, emu):
    ws = client.workspace
    make_tree(ws)
    seen = []
    assert ws.walk_each("/Shared/w", lambda o: seen.append((o.path, o.depth))) is True
    assert seen == WALK_ORDER

    seen = []
    assert ws.walk_each("/Shared/w", lambda o: seen.append(o.path) or len(seen) == 3) is False
    assert len(seen) == 3

    def bad(o):
        raise ValueError("stop at %s" % o.path)

    with pytest.raises(ValueError, match="stop at /Shared/w/a"):
        ws.walk_each("/Shared/w", bad)

    calls = []

    def interrupt(o):
        calls.append(o.path)
        if len(calls) == 2:
            raise KeyboardInterrupt  # what Ctrl-C raises inside the callback

    with pytest.raises(KeyboardInterrupt):
        ws.walk_each("/Shared/w", interrupt)
    assert len(calls) == 2
    with pytest.raises(libdbx.NotFound):
        ws.walk_each("/Shared/none", lambda o: None)
    with pytest.raises(TypeError):
        ws.walk_each("/Shared/w", None)
    last = emu.last(API + "/list")
    assert last["query"]["path"] == ["/Shared/none"]


def test_export_dir_and_import_dir_round_trip(client, emu, tmp_path):
    ws = client.workspace
    make_tree(ws)
    out = tmp_path / "out"
    ws.export_dir("/Shared/w", str(out))
    assert (out / "z.txt").read_bytes() == b"zz"
    assert (out / "a" / "b.txt").read_bytes() == b"bb"
    assert (out / "m.sql").read_bytes() == b"-- Databricks notebook source\nselect 1\n"
    assert (out / "a" / "b" / "c" / "deep.py").read_bytes() == PY_NB
    assert (out / "empty").is_dir()
    exports = emu.requests(API + "/export")
    assert {r["query"]["path"][0] for r in exports} >= {"/Shared/w/m", "/Shared/w/z.txt"}
    with pytest.raises(libdbx.AlreadyExists):
        ws.export_dir("/Shared/w", out)
    ws.export_dir("/Shared/w", out, overwrite=True)
    out2 = tmp_path / "out2"
    ws.export_dir("/Shared/w", out2, format="JUPYTER", max_depth=1)
    assert emu.last(API + "/export")["query"]["format"] == ["AUTO"]  # files: byte for byte
    assert (out2 / "m.ipynb").exists() and (out2 / "a").is_dir()
    assert not (out2 / "a" / "b.txt").exists()  # depth 2: not listed

    n = ws.import_dir(str(out), "/Shared/copy")
    assert n == 4  # z.txt, m.sql, a/b.txt, a/b/c/deep.py
    assert ws.get_status("/Shared/copy/m").object_type == "NOTEBOOK"
    assert ws.get_status("/Shared/copy/z.txt").object_type == "FILE"
    assert ws.export("/Shared/copy/a/b/c/deep") == PY_NB
    imports = [r["json"]["path"] for r in emu.requests(API + "/import")]
    assert "/Shared/copy/a/b/c/deep" in imports
    with pytest.raises(libdbx.AlreadyExists):
        ws.import_dir(out, "/Shared/copy")
    assert ws.import_dir(out, "/Shared/copy", overwrite=True, max_depth=1) == 3  # not a/b/c/deep.py
    with pytest.raises(libdbx.NotFound):
        ws.import_dir(tmp_path / "nope", "/Shared/x")

    # a hostile listing cannot write outside the local directory
    emu.fault(path=API + "/list", action="status", status=200,
              body={"objects": [{"path": "/Shared/h/..", "object_type": "FILE", "object_id": 5}]})
    with pytest.raises(libdbx.BadResponse):
        ws.export_dir("/Shared/h", tmp_path / "h")
    assert not os.path.exists(tmp_path / "x")


def test_enum_tables_come_from_libdbx(client):
    ws = client.workspace
    assert set(ws.FORMATS) == {"SOURCE", "HTML", "JUPYTER", "DBC", "RAW", "R_MARKDOWN", "AUTO"}
    assert set(ws.LANGUAGES) == {"PYTHON", "SCALA", "SQL", "R"}
    assert {"NOTEBOOK", "DIRECTORY", "FILE", "REPO"} <= set(ws.OBJECT_TYPES)
