"""client.files against the emulator: the requests sent (the storage host's included), the
results, streaming through file objects and callables, multipart uploads, callbacks' errors."""

import io
import os
import random
import tracemalloc

import pytest

import libdbx
from libdbx.files import DirectoryEntry, FileInfo

VOL = "/Volumes/main/default/vol"
FILES = "/api/2.0/fs/files"
DIRS = "/api/2.0/fs/directories"
MiB = 1024 * 1024


def data(n, seed=1):
    return random.Random(seed).randbytes(n)


def header(req, name):
    for k, v in req["headers"].items():
        if k.lower() == name:
            return v
    return None


def query(req, name):
    v = req["query"].get(name)
    return v[0] if v else None


def part_puts(emu):
    return [r for r in emu.requests() if r.get("server") == "other" and r["method"] == "PUT"
            and r["path"].startswith("/presigned/")]


class OneWay(io.RawIOBase):
    """A readable, non-seekable stream (a pipe, a socket): only readinto."""

    def __init__(self, payload):
        self._b = io.BytesIO(payload)
        self.reads = 0

    def readable(self):
        return True

    def readinto(self, b):
        self.reads += 1
        return self._b.readinto(b)


class ReadOnly:
    """Duck-typed: only read(n) (no readinto, no seek)."""

    def __init__(self, payload):
        self._b = io.BytesIO(payload)
        self.caps = []

    def read(self, n):
        self.caps.append(n)
        return self._b.read(n)


# ---- upload / download round trips ------------------------------------------------------

def test_upload_bytes_download_bytes_and_the_request_sent(client, emu):
    payload = data(300000)
    client.files.upload(VOL + "/dir one/a.bin", payload)
    put = emu.last(FILES + VOL + "/dir one/a.bin")  # the space was percent-encoded and decoded
    assert put["method"] == "PUT"
    assert header(put, "content-length") == "300000"
    assert header(put, "content-type") == "application/octet-stream"
    assert "overwrite" not in put["query"]
    assert client.files.download(VOL + "/dir one/a.bin") == payload
    get = emu.last(FILES + VOL + "/dir one/a.bin")
    assert get["method"] == "GET" and get["status"] == 200


def test_upload_bytes_like_and_empty(client, emu):
    client.files.upload(VOL + "/ba.bin", bytearray(b"from a bytearray"))
    client.files.upload(VOL + "/mv.bin", memoryview(b"xxfrom a read-only viewxx")[2:-2])
    client.files.upload(VOL + "/empty.bin", b"")
    assert client.files.download(VOL + "/ba.bin") == b"from a bytearray"
    assert client.files.download(VOL + "/mv.bin") == b"from a read-only view"
    assert client.files.download(VOL + "/empty.bin") == b""
    assert header(emu.requests(FILES + VOL + "/empty.bin")[0], "content-length") == "0"


def test_upload_path_download_path_and_overwrite(client, emu, tmp_path):
    payload = data(200000, 2)
    local = tmp_path / "a.bin"
    local.write_bytes(payload)
    client.files.upload(VOL + "/p.bin", str(local), overwrite=True)
    assert query(emu.last(FILES + VOL + "/p.bin"), "overwrite") == "true"
    with pytest.raises(libdbx.AlreadyExists) as ei:
        client.files.upload(VOL + "/p.bin", local, overwrite=False)  # os.PathLike
    assert ei.value.http_status == 409
    assert query(emu.last(FILES + VOL + "/p.bin"), "overwrite") == "false"
    # into a local file: an existing one is kept unless asked
    with pytest.raises(libdbx.AlreadyExists):
        client.files.download(VOL + "/p.bin", local)
    assert client.files.download(VOL + "/p.bin", local, overwrite=True) == 200000
    assert local.read_bytes() == payload
    # a missing remote file leaves no local file
    missing = tmp_path / "missing.bin"
    with pytest.raises(libdbx.NotFound) as ei:
        client.files.download(VOL + "/missing.bin", missing)
    assert ei.value.http_status == 404 and ei.value.method == "GET"
    assert not missing.exists()


def test_seekable_file_object_announces_its_size_and_is_rewound_for_a_retry(client, emu):
    payload = data(300000, 3)
    f = io.BytesIO(b"HEADER" + payload)
    f.seek(6)  # uploaded from the current position
    emu.fault(method="PUT", path=FILES + VOL + "/rw.bin", action="status", status=503)
    client.files.upload(VOL + "/rw.bin", f)
    puts = emu.requests(FILES + VOL + "/rw.bin")
    assert len(puts) == 2 and puts[0]["status"] == 503 and puts[1]["status"] == 204
    assert header(puts[1], "content-length") == "300000"
    assert client.files.download(VOL + "/rw.bin") == payload


def test_non_seekable_stream_is_never_resent(client, emu):
    src = OneWay(data(300000, 4))
    emu.fault(method="PUT", path=FILES + VOL + "/nr.bin", action="status", status=503)
    with pytest.raises(libdbx.Unavailable) as ei:
        client.files.upload(VOL + "/nr.bin", src, multipart_threshold=-1)  # streamed as read
    assert "could not be re-read" in str(ei.value)
    puts = emu.requests(FILES + VOL + "/nr.bin")
    assert len(puts) == 1 and header(puts[0], "transfer-encoding") == "chunked"
    assert not client.files.exists(VOL + "/nr.bin")
    # the same stream kind, without a fault: streamed in pieces, byte-exact
    payload = data(300000, 5)
    src = ReadOnly(payload)
    client.files.upload(VOL + "/ro.bin", src, multipart_threshold=-1)
    assert len(src.caps) > 1
    assert client.files.download(VOL + "/ro.bin") == payload


def test_download_to_a_file_object_and_to_a_callable(client, emu):
    payload = data(2 * MiB + 5, 6)
    client.files.upload(VOL + "/d.bin", payload)
    out = io.BytesIO()
    assert client.files.download(VOL + "/d.bin", out) == len(payload)
    assert out.getvalue() == payload
    pieces = []
    assert client.files.download(VOL + "/d.bin", pieces.append) == len(payload)
    assert len(pieces) > 1 and all(isinstance(p, bytes) for p in pieces)
    assert b"".join(pieces) == payload
    raw = io.FileIO(os.devnull, "wb")  # an unbuffered stream: short writes completed
    try:
        assert client.files.download(VOL + "/d.bin", raw) == len(payload)
    finally:
        raw.close()
    with pytest.raises(TypeError):
        client.files.download(VOL + "/d.bin", io.StringIO())
    with pytest.raises(TypeError):
        client.files.download(VOL + "/d.bin", 42)


def test_progress_reports_bytes_and_total(client, emu):
    payload = data(3 * MiB, 7)
    seen = []
    client.files.upload(VOL + "/pr.bin", io.BytesIO(payload), progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1] == (len(payload), len(payload))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    seen.clear()
    client.files.upload(VOL + "/pr2.bin", OneWay(payload), progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (len(payload), None)  # unknown size
    seen.clear()
    client.files.download(VOL + "/pr.bin", lambda piece: None, progress=lambda d, t: seen.append((d, t)))
    assert len(seen) > 1 and seen[-1] == (len(payload), len(payload))


# ---- multipart ----------------------------------------------------------------------------

def test_multipart_upload_from_a_file_object_stays_bounded(client, emu, tmp_path):
    size = 12 * MiB + 333
    local = tmp_path / "big.bin"
    with open(local, "wb") as f:
        for i in range(13):
            f.write(data(MiB if i < 12 else 333, 100 + i))
    tracemalloc.start()
    try:
        with open(local, "rb") as f:
            client.files.upload(VOL + "/mp/big.bin", f, overwrite=True,
                                multipart_threshold=6 * MiB, part_size=5 * MiB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MiB  # libdbx read straight into its part buffer: no Python copy of a part
    reqs = emu.requests(FILES + VOL + "/mp/big.bin")
    assert query(reqs[0], "action") == "initiate-upload"
    assert query(reqs[0], "overwrite") == "true"
    complete = reqs[-1]
    assert complete["method"] == "POST" and query(complete, "action") == "complete-upload"
    assert query(complete, "upload_type") == "multipart"
    parts = complete["json"]["parts"]
    assert [p["part_number"] for p in parts] == [1, 2, 3]
    assert all(p["etag"] for p in parts)
    urls = emu.requests("/api/2.0/fs/create-upload-part-urls")
    assert urls[0]["json"]["path"] == VOL + "/mp/big.bin"
    assert urls[0]["json"]["start_part_number"] == 1
    puts = part_puts(emu)
    assert [query(r, "partNumber") for r in puts] == ["1", "2", "3"]
    assert [header(r, "content-length") for r in puts] == [str(5 * MiB), str(5 * MiB), str(2 * MiB + 333)]
    for r in puts:
        assert header(r, "authorization") is None  # never the workspace's credentials
        assert header(r, "x-amz-server-side-encryption") == "AES256"
    # downloaded into a file object, also bounded
    tracemalloc.start()
    try:
        with open(tmp_path / "back.bin", "wb") as out:
            assert client.files.download(VOL + "/mp/big.bin", out) == size
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MiB
    assert (tmp_path / "back.bin").read_bytes() == local.read_bytes()


def test_multipart_upload_from_a_path_and_from_bytes(client, emu, tmp_path):
    payload = data(11 * MiB, 9)
    local = tmp_path / "m.bin"
    local.write_bytes(payload)
    client.files.upload(VOL + "/m1.bin", local, multipart_threshold=6 * MiB, part_size=5 * MiB)
    assert len(part_puts(emu)) == 3
    assert client.files.get_metadata(VOL + "/m1.bin").size == len(payload)
    client.files.upload(VOL + "/m2.bin", payload, multipart_threshold=6 * MiB, part_size=5 * MiB)
    assert len(part_puts(emu)) == 6
    assert client.files.download(VOL + "/m2.bin") == payload


def test_interrupt_in_progress_aborts_a_multipart_upload(client, emu):
    calls = []

    def progress(done, total):
        calls.append(done)
        if done > 6 * MiB:
            raise KeyboardInterrupt  # what Ctrl-C raises inside the callback

    with pytest.raises(KeyboardInterrupt):
        client.files.upload(VOL + "/ki.bin", io.BytesIO(data(12 * MiB, 10)), progress=progress,
                            multipart_threshold=6 * MiB, part_size=5 * MiB)
    assert calls[-1] > 6 * MiB and calls.count(calls[-1]) == 1  # no progress after the interrupt
    assert len(emu.requests("/api/2.0/fs/create-abort-upload-url")) == 1
    assert not client.files.exists(VOL + "/ki.bin")


# ---- callbacks' own errors are re-raised, not swallowed ------------------------------------

def test_errors_inside_callbacks_are_reraised(client, emu):
    class Broken(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, b):
            raise OSError("disk on fire")

    with pytest.raises(OSError, match="disk on fire"):
        client.files.upload(VOL + "/x.bin", Broken())
    assert not client.files.exists(VOL + "/x.bin")

    class Texty:
        def read(self, n):
            return "text"

    with pytest.raises(TypeError, match="binary"):
        client.files.upload(VOL + "/x.bin", Texty())
    with pytest.raises(TypeError):
        client.files.upload(VOL + "/x.bin", io.StringIO("text"))

    client.files.upload(VOL + "/y.bin", data(MiB, 11))

    def sink(piece):
        raise ValueError("no room")

    with pytest.raises(ValueError, match="no room"):
        client.files.download(VOL + "/y.bin", sink)

    def progress(done, total):
        raise RuntimeError("progress broke")

    with pytest.raises(RuntimeError, match="progress broke"):
        client.files.download(VOL + "/y.bin", progress=progress)
    with pytest.raises(RuntimeError, match="progress broke"):
        client.files.upload(VOL + "/z.bin", b"abc", progress=progress)
    assert not client.files.exists(VOL + "/z.bin")


# ---- resumed and changed downloads -----------------------------------------------------------

def test_download_resumes_after_a_dropped_connection(client, emu):
    payload = data(2 * MiB + 5, 12)
    client.files.upload(VOL + "/dl.bin", payload)
    emu.fault(method="GET", path=FILES + VOL + "/dl.bin", action="truncate")
    assert client.files.download(VOL + "/dl.bin") == payload
    gets = [r for r in emu.requests(FILES + VOL + "/dl.bin") if r["method"] == "GET"]
    assert len(gets) == 2
    assert header(gets[1], "range") == "bytes=%d-" % (len(payload) // 2)
    assert "GMT" in header(gets[1], "if-unmodified-since")
    emu.fault(method="GET", path=FILES + VOL + "/dl.bin", action="truncate")
    with pytest.raises(libdbx.TransportError):
        client.files.download(VOL + "/dl.bin", max_resumes=0)


def test_download_of_a_file_changed_meanwhile_conflicts(client, emu):
    client.files.upload(VOL + "/chg.bin", data(MiB, 13))
    emu.fault(method="GET", path=FILES + VOL + "/chg.bin", action="truncate")
    first = []

    def sink(piece):
        if not first:
            first.append(1)
            emu.advance(3000)
            client.files.upload(VOL + "/chg.bin", b"changed")

    with pytest.raises(libdbx.Conflict) as ei:
        client.files.download(VOL + "/chg.bin", sink)
    assert ei.value.http_status == 412


# ---- metadata, delete --------------------------------------------------------------------------

def test_get_metadata_exists_and_delete(client, emu):
    client.files.upload(VOL + "/m.bin", data(12345, 14))
    info = client.files.get_metadata(VOL + "/m.bin")
    assert isinstance(info, FileInfo)
    head = emu.last(FILES + VOL + "/m.bin")
    assert head["method"] == "HEAD"
    assert info.path == VOL + "/m.bin"
    assert info.size == 12345
    assert info.content_type == "application/octet-stream"
    assert "GMT" in info.last_modified_str
    now = emu.ctl("GET", "/__emulator/clock")["now_ms"]
    assert now - 5000 < info.last_modified <= now
    assert client.files.exists(VOL + "/m.bin") is True
    assert client.files.exists(VOL + "/nope.bin") is False
    with pytest.raises(libdbx.NotFound):
        client.files.get_metadata(VOL + "/nope.bin")
    client.files.delete(VOL + "/m.bin")
    assert emu.last(FILES + VOL + "/m.bin")["method"] == "DELETE"
    assert not client.files.exists(VOL + "/m.bin")
    with pytest.raises(libdbx.NotFound) as ei:
        client.files.delete(VOL + "/m.bin")
    assert ei.value.http_status == 404


# ---- directories ------------------------------------------------------------------------------

def test_directories_create_list_exists_delete(client, emu):
    files = client.files
    files.create_directory(VOL + "/tree/sub")
    assert emu.last(DIRS + VOL + "/tree/sub")["method"] == "PUT"
    files.create_directory(VOL + "/tree/sub")  # like mkdir -p
    files.get_directory_metadata(VOL + "/tree")
    assert emu.last(DIRS + VOL + "/tree")["method"] == "HEAD"
    assert files.directory_exists(VOL + "/tree") is True
    assert files.directory_exists(VOL + "/nodir") is False
    with pytest.raises(libdbx.NotFound):
        files.get_directory_metadata(VOL + "/nodir")
    for i in range(12):
        files.upload(VOL + "/tree/f%02d" % i, b"abcdefghijklmnop"[:i])
    n_before = len(emu.requests())
    it = files.list_directory_contents(VOL + "/tree")
    assert len(emu.requests()) == n_before  # lazy: nothing sent before next()
    entries = list(it)
    assert all(isinstance(e, DirectoryEntry) for e in entries)
    dirs = [e for e in entries if e.is_directory]
    plain = [e for e in entries if not e.is_directory]
    assert [e.name for e in dirs] == ["sub"] and dirs[0].file_size is None
    assert [e.name for e in plain] == ["f%02d" % i for i in range(12)]
    assert [e.file_size for e in plain] == list(range(12))
    assert plain[3].path == VOL + "/tree/f03"
    assert all(e.last_modified and e.last_modified > 0 for e in plain)
    assert plain[3].raw["name"] == "f03" and plain[3].raw["is_directory"] is False
    # 13 entries at the emulator's 5 per page: 3 requests, page tokens passed along
    pages = emu.requests(DIRS + VOL + "/tree")[-3:]
    assert [r["method"] for r in pages] == ["GET"] * 3
    assert "page_token" not in pages[0]["query"] and query(pages[1], "page_token")
    got = list(files.list_directory(VOL + "/tree", page_size=2, max_items=3))
    assert len(got) == 3
    assert query(emu.last(DIRS + VOL + "/tree"), "page_size") == "2"
    # a missing directory fails from next(), not from the call
    it = files.list_directory_contents(VOL + "/nodir")
    with pytest.raises(libdbx.NotFound):
        next(it)
    it.close()
    # delete: not empty fails, empty works
    with pytest.raises(libdbx.DatabricksError) as ei:
        files.delete_directory(VOL + "/tree")
    assert ei.value.http_status == 400
    files.delete_directory(VOL + "/tree/sub")
    assert emu.last(DIRS + VOL + "/tree/sub")["method"] == "DELETE"
    assert files.directory_exists(VOL + "/tree/sub") is False
    with pytest.raises(libdbx.NotFound):
        files.delete_directory(VOL + "/tree/sub")


def test_a_listing_stopped_early_frees_its_iterator(client, emu):
    for i in range(7):
        client.files.upload(VOL + "/few/f%d" % i, b"x")
    with client.files.list_directory_contents(VOL + "/few") as it:
        first = next(it)
    assert first.name == "f0"
    assert list(it) == []  # closed: exhausted, nothing more sent
    assert len(emu.requests(DIRS + VOL + "/few")) == 1


# ---- bad input ------------------------------------------------------------------------------------

def test_bad_input_is_refused_before_any_request(client, emu):
    f = client.files
    n0 = len(emu.requests())
    with pytest.raises(libdbx.InvalidArgument, match="remote_path"):
        f.upload("Volumes/x/y/z/f", b"a")
    with pytest.raises(libdbx.InvalidArgument, match="'..'"):
        f.upload(VOL + "/../etc/f", b"a")
    with pytest.raises(libdbx.InvalidArgument, match="part_size"):
        f.upload(VOL + "/f", b"a", part_size=1024)
    with pytest.raises(libdbx.InvalidArgument, match="remote_path"):
        f.download("relative")
    with pytest.raises(libdbx.InvalidArgument):
        f.get_metadata("/a/./b")
    with pytest.raises(libdbx.InvalidArgument):
        f.delete(VOL + "/a/../b")
    with pytest.raises(libdbx.InvalidArgument, match="dir_path"):
        f.create_directory("")
    with pytest.raises(libdbx.InvalidArgument):
        f.delete_directory("x")
    with pytest.raises(libdbx.InvalidArgument):
        f.get_directory_metadata("/a//b")
    with pytest.raises(libdbx.InvalidArgument):
        f.list_directory_contents("nope")
    with pytest.raises(TypeError):
        f.upload(VOL + "/f", 12)
    with pytest.raises(TypeError):
        f.upload(VOL + "/f", b"a", part_size="5MiB")
    with pytest.raises(TypeError):
        f.delete(42)
    with pytest.raises(TypeError):
        f.upload(VOL + "/f", b"a", progress="not callable")
    assert len(emu.requests()) == n0


def test_a_real_sigint_stops_a_transfer(client, emu):
    import signal

    class Interrupting(io.RawIOBase):
        """Sends this process SIGINT (what Ctrl-C does) while libdbx is reading it."""

        def __init__(self, payload):
            self._b = io.BytesIO(payload)
            self.reads = 0

        def readable(self):
            return True

        def readinto(self, b):
            self.reads += 1
            if self.reads == 3:
                os.kill(os.getpid(), signal.SIGINT)
            return self._b.readinto(b)

    src = Interrupting(data(12 * MiB, 15))
    with pytest.raises(KeyboardInterrupt):
        client.files.upload(VOL + "/sig.bin", src, multipart_threshold=6 * MiB, part_size=5 * MiB)
    assert src.reads <= 4  # stopped at once, not at the end of 12 MiB
    assert not client.files.exists(VOL + "/sig.bin")
