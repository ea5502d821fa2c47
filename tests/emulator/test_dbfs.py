"""Tests for the emulator's DBFS API 2.0 (docs/emulator.md, "DBFS")."""

import base64
import glob
import os
import urllib.parse

import tempfile

import pytest

from test_emulator import Emu, assert_error, start_emulator, stop_emulator

P = "/api/2.0/dbfs/"
MB = 1024 * 1024


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    proc, info = start_emulator(tmp_path_factory.mktemp("emu"))
    try:
        yield Emu(info)
    finally:
        stop_emulator(proc)


@pytest.fixture(autouse=True)
def _reset(emu):
    emu.ctl("POST", "reset")
    yield


def post(emu, op, body):
    return emu.call("POST", P + op, body)


def get(emu, op, **query):
    return emu.call("GET", P + op + "?" + urllib.parse.urlencode(query))


def b64(data):
    return base64.b64encode(data).decode()


def test_put_get_status_read_list(emu):
    assert post(emu, "put", {"path": "dbfs:/a/b/f.txt", "contents": b64(b"hello")}) == (200, {})
    st, info = get(emu, "get-status", path="/a/b/f.txt")
    assert st == 200
    assert info["path"] == "/a/b/f.txt" and info["is_dir"] is False and info["file_size"] == 5
    assert isinstance(info["modification_time"], int)
    st, d = get(emu, "get-status", path="/a/b")
    assert d["is_dir"] is True and d["file_size"] == 0
    st, r = get(emu, "read", path="/a/b/f.txt", offset=1, length=3)
    assert (st, r) == (200, {"bytes_read": 3, "data": b64(b"ell")})
    st, r = get(emu, "read", path="/a/b/f.txt", offset=10, length=3)
    assert (st, r) == (200, {"bytes_read": 0, "data": ""})
    st, ls = get(emu, "list", path="/a")
    assert [f["path"] for f in ls["files"]] == ["/a/b"]
    st, ls = get(emu, "list", path="/a/b/f.txt")  # a file lists as itself
    assert ls["files"][0]["file_size"] == 5
    post(emu, "mkdirs", {"path": "/empty"})
    assert get(emu, "list", path="/empty") == (200, {})


def test_put_errors(emu):
    post(emu, "put", {"path": "/f", "contents": b64(b"x")})
    st, body = post(emu, "put", {"path": "/f", "contents": b64(b"y")})
    assert_error(st, body, 400, "RESOURCE_ALREADY_EXISTS")
    assert post(emu, "put", {"path": "/f", "contents": b64(b"y"), "overwrite": True})[0] == 200
    st, body = post(emu, "put", {"path": "/g", "contents": b64(b"\0" * (MB + 1))})
    assert_error(st, body, 400, "MAX_BLOCK_SIZE_EXCEEDED")
    st, body = post(emu, "put", {"path": "rel/x", "contents": ""})
    assert_error(st, body, 400, "INVALID_PARAMETER_VALUE")
    st, body = post(emu, "put", {"path": "/h", "contents": "not base64!"})
    assert_error(st, body, 400, "INVALID_PARAMETER_VALUE")


def test_read_errors(emu):
    post(emu, "put", {"path": "/f", "contents": b64(b"abc")})
    assert_error(*get(emu, "read", path="/nope"), 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(*get(emu, "read", path="/f", length=MB + 1), 400, "MAX_READ_SIZE_EXCEEDED")
    assert_error(*get(emu, "read", path="/f", offset=-1), 400, "INVALID_PARAMETER_VALUE")
    assert_error(*get(emu, "read", path="/", length=1), 400, "INVALID_PARAMETER_VALUE")
    assert_error(*get(emu, "get-status", path="/nope"), 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(*get(emu, "list", path="/nope"), 404, "RESOURCE_DOES_NOT_EXIST")


def test_stream_handles(emu):
    st, body = post(emu, "create", {"path": "/s/big", "overwrite": False})
    h = body["handle"]
    assert st == 200 and h > 2 ** 32
    for part in (b"a" * MB, b"b" * 10):
        assert post(emu, "add-block", {"handle": h, "data": b64(part)}) == (200, {})
    st, body = post(emu, "add-block", {"handle": h, "data": b64(b"c" * (MB + 1))})
    assert_error(st, body, 400, "MAX_BLOCK_SIZE_EXCEEDED")
    assert post(emu, "close", {"handle": h}) == (200, {})
    assert_error(*post(emu, "close", {"handle": h}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert get(emu, "get-status", path="/s/big")[1]["file_size"] == MB + 10
    st, r = get(emu, "read", path="/s/big", offset=MB - 2, length=5)
    assert base64.b64decode(r["data"]) == b"aabbb"
    assert_error(*post(emu, "create", {"path": "/s/big"}), 400, "RESOURCE_ALREADY_EXISTS")
    # overwrite truncates
    h2 = post(emu, "create", {"path": "/s/big", "overwrite": True})[1]["handle"]
    assert h2 != h
    assert get(emu, "get-status", path="/s/big")[1]["file_size"] == 0
    # idle timeout: 10 min on the virtual clock
    emu.advance(10 * 60 * 1000 + 1)
    assert_error(*post(emu, "add-block", {"handle": h2, "data": b64(b"x")}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(*post(emu, "add-block", {"handle": 123, "data": ""}), 404, "RESOURCE_DOES_NOT_EXIST")


def test_contents_live_on_disk_and_log_is_short(emu):
    h = post(emu, "create", {"path": "/d/f"})[1]["handle"]
    block = os.urandom(MB)
    post(emu, "add-block", {"handle": h, "data": b64(block)})
    post(emu, "close", {"handle": h})
    blobs = [p for p in glob.glob(os.path.join(tempfile.gettempdir(), "dbx-emulator-dbfs-*", "b*")) if os.path.getsize(p) == MB]
    assert any(open(p, "rb").read() == block for p in blobs)
    reqs = [r for r in emu.requests() if r["path"] == P + "add-block"]
    assert len(reqs[0]["body"]) < 5000 and "bytes)" in reqs[0]["body"]
    assert reqs[0]["json"]["handle"] == h
    assert len(reqs[0]["json"]["data"]) < 200
    small = [r for r in emu.requests() if r["path"] == P + "create"][0]
    assert small["json"] == {"path": "/d/f"}


def test_mkdirs_delete_move(emu):
    assert post(emu, "mkdirs", {"path": "/x/y/z"}) == (200, {})
    assert post(emu, "mkdirs", {"path": "/x/y"}) == (200, {})  # existing: fine
    post(emu, "put", {"path": "/x/file", "contents": ""})
    assert_error(*post(emu, "mkdirs", {"path": "/x/file/sub"}), 400, "RESOURCE_ALREADY_EXISTS")
    assert_error(*post(emu, "delete", {"path": "/x"}), 400, "IO_ERROR")
    assert post(emu, "move", {"source_path": "/x", "destination_path": "/m/x2"}) == (200, {})
    assert get(emu, "get-status", path="/m/x2/y/z")[1]["is_dir"] is True
    assert_error(*get(emu, "get-status", path="/x"), 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(*post(emu, "move", {"source_path": "/x", "destination_path": "/q"}), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    post(emu, "put", {"path": "/other", "contents": ""})
    assert_error(*post(emu, "move", {"source_path": "/other", "destination_path": "/m/x2/file"}), 400,
                 "RESOURCE_ALREADY_EXISTS")
    assert post(emu, "delete", {"path": "/m", "recursive": True}) == (200, {})
    assert_error(*get(emu, "get-status", path="/m/x2/file"), 404, "RESOURCE_DOES_NOT_EXIST")
    assert post(emu, "delete", {"path": "/never"}) == (200, {})


def test_partial_delete(emu):
    for i in range(10):
        post(emu, "put", {"path": "/big/f%d" % i, "contents": ""})
    emu.ctl("POST", "config", {"dbfs_delete_batch": 4})
    rounds = 0
    while True:
        st, body = post(emu, "delete", {"path": "/big", "recursive": True})
        rounds += 1
        if st == 200:
            break
        assert_error(st, body, 503, "PARTIAL_DELETE")
    assert rounds == 3  # 11 entries, 4 per call
    assert_error(*get(emu, "get-status", path="/big"), 404, "RESOURCE_DOES_NOT_EXIST")
