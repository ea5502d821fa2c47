"""Tests for the emulator's Files API (apis/files.py): fs/files, fs/directories, the multipart
flow with presigned part URLs on the second host, and faults aimed at that host.

Run: /usr/bin/python3 -m pytest tests/emulator -q
"""

import json
import os
import urllib.parse

import pytest

from test_emulator import Emu, TOKEN, start_emulator, stop_emulator

F = "/api/2.0/fs/files"
D = "/api/2.0/fs/directories"
VOL = "/Volumes/main/default/vol"


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    proc, info = start_emulator(tmp_path_factory.mktemp("emu-files"))
    try:
        yield Emu(info)
    finally:
        stop_emulator(proc)


@pytest.fixture(autouse=True)
def _reset(emu):
    emu.ctl("POST", "reset")
    yield


def put(emu, path, data, query=""):
    return emu.raw("PUT", F + path + query, data,
                   headers={"Content-Type": "application/octet-stream"})


def test_put_get_head_delete(emu):
    data = os.urandom(5000)
    st, _, _ = put(emu, VOL + "/d/a b.bin".replace(" ", "%20"), data)
    assert st == 204
    st, h, body = emu.raw("GET", F + VOL + "/d/a%20b.bin")
    assert st == 200 and body == data
    assert h["content-type"] == "application/octet-stream"
    assert h["content-length"] == "5000"
    assert h["last-modified"].endswith("GMT") and h["etag"].startswith('"')
    st, h, body = emu.raw("HEAD", F + VOL + "/d/a%20b.bin")
    assert st == 200 and body == b"" and h["content-length"] == "5000"
    # the log keeps a placeholder, never the bytes
    log = [r for r in emu.requests() if r["method"] == "PUT"]
    assert log[0]["body"] == "<5000 bytes>"
    st, _, _ = emu.raw("DELETE", F + VOL + "/d/a%20b.bin")
    assert st == 204
    st, _, body = emu.raw("GET", F + VOL + "/d/a%20b.bin")
    assert st == 404 and json.loads(body)["error_code"] == "NOT_FOUND"
    st, _, body = emu.raw("HEAD", F + VOL + "/d/a%20b.bin")
    assert st == 404 and body == b""  # HEAD errors have no body
    st, _, _ = emu.raw("DELETE", F + VOL + "/d/a%20b.bin")
    assert st == 404


def test_overwrite_and_paths(emu):
    assert put(emu, VOL + "/x", b"1")[0] == 204
    st, _, body = put(emu, VOL + "/x", b"2", "?overwrite=false")
    assert st == 409 and json.loads(body)["error_code"] == "ALREADY_EXISTS"
    assert put(emu, VOL + "/x", b"3", "?overwrite=true")[0] == 204
    assert emu.raw("GET", F + VOL + "/x")[2] == b"3"
    st, _, body = put(emu, "/Volumes/main/x", b"1")
    assert st == 400 and json.loads(body)["error_code"] == "INVALID_PARAMETER_VALUE"
    st, _, _ = emu.raw("GET", F + VOL + "/x", token=None)
    assert st == 401


def test_range_and_if_unmodified_since(emu):
    data = bytes(range(256)) * 10
    put(emu, VOL + "/r", data)
    st, h, body = emu.raw("GET", F + VOL + "/r", headers={"Range": "bytes=100-"})
    assert st == 206 and body == data[100:]
    assert h["content-range"] == "bytes 100-2559/2560"
    st, h, body = emu.raw("GET", F + VOL + "/r", headers={"Range": "bytes=10-19"})
    assert st == 206 and body == data[10:20] and h["content-length"] == "10"
    st, h, _ = emu.raw("GET", F + VOL + "/r", headers={"Range": "bytes=9999-"})
    assert st == 416 and h["content-range"] == "bytes */2560"
    lm = emu.raw("HEAD", F + VOL + "/r")[1]["last-modified"]
    st, _, _ = emu.raw("GET", F + VOL + "/r", headers={"If-Unmodified-Since": lm})
    assert st == 200
    emu.advance(5000)
    put(emu, VOL + "/r", b"new")
    st, _, body = emu.raw("GET", F + VOL + "/r", headers={"Range": "bytes=5-",
                                                         "If-Unmodified-Since": lm})
    assert st == 412


def test_directories_paging(emu):
    assert emu.raw("PUT", D + VOL + "/t/sub")[0] == 204
    for i in range(7):
        put(emu, VOL + "/t/f%d" % i, b"x" * i)
    names, token, pages = [], None, 0
    while True:
        q = "?page_token=" + urllib.parse.quote(token) if token else ""
        st, _, body = emu.raw("GET", D + VOL + "/t" + q)
        assert st == 200
        b = json.loads(body)
        pages += 1
        names += [e["name"] for e in b["contents"]]
        token = b.get("next_page_token")
        if not token:
            break
    assert pages == 2 and names == ["f%d" % i for i in range(7)] + ["sub"]
    b = json.loads(emu.raw("GET", D + VOL + "/t?page_size=2")[2])
    assert len(b["contents"]) == 2
    e = b["contents"][1]
    assert e == {"path": VOL + "/t/f1", "name": "f1", "is_directory": False, "file_size": 1,
                 "last_modified": e["last_modified"]}
    assert emu.raw("HEAD", D + VOL + "/t")[0] == 200
    assert emu.raw("HEAD", D + VOL + "/none")[0] == 404
    assert emu.raw("GET", D + VOL + "/none")[0] == 404
    st, _, body = emu.raw("DELETE", D + VOL + "/t")
    assert st == 400 and json.loads(body)["error_code"] == "DIRECTORY_NOT_EMPTY"
    assert emu.raw("DELETE", D + VOL + "/t/sub")[0] == 204


def _initiate(emu, path):
    st, _, body = emu.raw("POST", F + path + "?action=initiate-upload")
    assert st == 200, body
    return json.loads(body)["multipart_upload"]["session_token"]


def _urls(emu, path, tok, first, count):
    st, _, body = emu.raw("POST", "/api/2.0/fs/create-upload-part-urls",
                          {"path": path, "session_token": tok, "start_part_number": first,
                           "count": count, "expire_time": "2030-01-01T00:00:00Z"})
    assert st == 200, body
    return json.loads(body)["upload_part_urls"]


def _put_part(emu, u, data, auth=False):
    parsed = urllib.parse.urlsplit(u["url"])
    assert parsed.hostname in ("127.0.0.2", "127.0.0.1") and "X-Amz-Signature=" in parsed.query
    headers = {h["name"]: h["value"] for h in u["headers"]}
    return emu.raw("PUT", parsed.path + "?" + parsed.query, data, token=TOKEN if auth else None,
                   headers=headers, server="other")


def test_multipart_flow(emu):
    path = VOL + "/mp/big"
    tok = _initiate(emu, path)
    urls = _urls(emu, path, tok, 1, 2)
    assert [u["part_number"] for u in urls] == [1, 2]
    p1, p2 = os.urandom(5 * 1024 * 1024), os.urandom(1000)
    # the workspace's credentials are refused by the storage host
    st, h, body = _put_part(emu, urls[0], p1, auth=True)
    assert st == 403 and b"<Code>AccessDenied</Code>" in body
    assert h["content-type"] == "application/xml"
    st, h1, _ = _put_part(emu, urls[0], p1)
    assert st == 200 and h1["etag"].startswith('"')
    st, h2, _ = _put_part(emu, urls[1], p2)
    assert st == 200
    # a wrong ETag or order is refused
    q = "?action=complete-upload&upload_type=multipart&session_token=" + tok
    st, _, _ = emu.raw("POST", F + path + q, {"parts": [{"part_number": 1, "etag": "x"}]})
    assert st == 400
    st, _, _ = emu.raw("POST", F + path + q, {"parts": [{"part_number": 2, "etag": h2["etag"]},
                                                       {"part_number": 1, "etag": h1["etag"]}]})
    assert st == 400
    st, _, body = emu.raw("POST", F + path + q, {"parts": [{"part_number": 1, "etag": h1["etag"]},
                                                          {"part_number": 2, "etag": h2["etag"]}]})
    assert st == 200, body
    assert emu.raw("GET", F + path)[2] == p1 + p2
    # the session is gone
    st, _, _ = emu.raw("POST", F + path + q, {"parts": [{"part_number": 1, "etag": h1["etag"]}]})
    assert st == 404
    other = [r for r in emu.requests() if r["server"] == "other"]
    assert other[1]["body"] == "<5242880 bytes>"


def test_expired_url_and_abort(emu):
    path = VOL + "/mp/exp"
    tok = _initiate(emu, path)
    u = _urls(emu, path, tok, 1, 1)[0]
    emu.advance(3601 * 1000)
    st, _, body = _put_part(emu, u, b"abc")
    assert st == 403 and b"Request has expired" in body
    tampered = dict(u, url=u["url"].replace("X-Amz-Expires=3600", "X-Amz-Expires=99999"))
    st, _, body = _put_part(emu, tampered, b"abc")
    assert st == 403 and b"SignatureDoesNotMatch" in body
    st, _, body = emu.raw("POST", "/api/2.0/fs/create-abort-upload-url",
                          {"path": path, "session_token": tok,
                           "expire_time": "2030-01-01T00:00:00Z"})
    a = json.loads(body)["abort_upload_url"]
    parsed = urllib.parse.urlsplit(a["url"])
    st, _, _ = emu.raw("DELETE", parsed.path + "?" + parsed.query, token=None,
                       headers={h["name"]: h["value"] for h in a["headers"]}, server="other")
    assert st == 204
    st, _, _ = emu.raw("POST", "/api/2.0/fs/create-upload-part-urls",
                       {"path": path, "session_token": tok, "start_part_number": 1, "count": 1,
                        "expire_time": "2030-01-01T00:00:00Z"})
    assert st == 404


def test_presigned_off_and_other_host_faults(emu):
    emu.ctl("POST", "config", {"files_presigned_urls": False})
    st, _, _ = emu.raw("POST", F + VOL + "/z?action=initiate-upload")
    assert st == 501
    emu.ctl("POST", "config", {"files_presigned_urls": True})
    tok = _initiate(emu, VOL + "/z")
    u = _urls(emu, VOL + "/z", tok, 1, 1)[0]
    emu.ctl("POST", "faults", {"server": "other", "method": "PUT",
                               "path_prefix": "/presigned/", "action": "status",
                               "status": 500})
    assert _put_part(emu, u, b"abc")[0] == 500
    assert _put_part(emu, u, b"abc")[0] == 200
    # a rule without "server" never touches the storage host
    emu.ctl("POST", "faults", {"method": "PUT", "action": "status", "status": 503})
    assert _put_part(emu, u, b"abc")[0] == 200
    st, _, body = emu.raw("POST", "/__emulator/faults", {"server": "x", "action": "drop"},
                          token=None)
    assert st == 400


def test_truncated_download(emu):
    data = os.urandom(100000)
    put(emu, VOL + "/t.bin", data)
    emu.ctl("POST", "faults", {"method": "GET", "path": F + VOL + "/t.bin", "action": "truncate"})
    conn = emu.conn()
    conn.request("GET", F + VOL + "/t.bin", headers={"Authorization": "Bearer " + TOKEN})
    r = conn.getresponse()
    got = b""
    try:
        while True:
            c = r.read(4096)
            if not c:
                break
            got += c
    except Exception:
        pass
    conn.close()
    assert got == data[:50000]
