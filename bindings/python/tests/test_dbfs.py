"""client.dbfs against the emulator: requests sent, results read, streams of any size."""

import base64
import io
import os
import subprocess
import sys
import textwrap

import pytest

import libdbx
from libdbx.dbfs import FileInfo, MAX_BLOCK

API = "/api/2.0/dbfs"
MB = 1024 * 1024


def pattern(n, seed=1):
    """n pseudo-random bytes (cheap: a repeated 4 KB random-looking block, shifted by seed)."""
    block = bytes((i * 131 + seed * 7 + (i >> 8) * 17) & 0xFF for i in range(4093))
    return (block * (n // len(block) + 1))[:n]


def test_put_get_status_list_mkdirs(client, emu):
    client.dbfs.put("/t/a.txt", b"hello")
    req = emu.last(API + "/put")
    assert req["method"] == "POST"
    assert req["json"] == {"path": "/t/a.txt", "contents": "aGVsbG8=", "overwrite": False}

    fi = client.dbfs.get_status("dbfs:/t/a.txt")
    assert emu.last(API + "/get-status")["query"]["path"] == ["dbfs:/t/a.txt"]
    assert isinstance(fi, FileInfo)
    assert fi.path == "/t/a.txt" and fi.is_dir is False and fi.file_size == 5
    assert fi.modification_time > 1600000000000
    assert fi.raw["file_size"] == 5

    client.dbfs.mkdirs("/t/sub/deeper")
    assert emu.last(API + "/mkdirs")["json"] == {"path": "/t/sub/deeper"}
    sub = client.dbfs.get_status("/t/sub")
    assert sub.is_dir and sub.file_size == 0
    with pytest.raises(libdbx.AlreadyExists) as ei:
        client.dbfs.mkdirs("/t/a.txt/x")
    assert ei.value.error_code == "RESOURCE_ALREADY_EXISTS"

    n = len(emu.requests(API + "/list"))
    it = client.dbfs.list("/t")
    assert len(emu.requests(API + "/list")) == n  # lazy: nothing sent yet
    entries = list(it)
    assert [(e.path, e.is_dir, e.file_size) for e in entries] == [("/t/a.txt", False, 5), ("/t/sub", True, 0)]
    assert emu.last(API + "/list")["query"]["path"] == ["/t"]
    assert list(client.dbfs.list("/t/sub/deeper")) == []
    with pytest.raises(libdbx.NotFound):
        next(client.dbfs.list("/nope"))
    with pytest.raises(libdbx.NotFound) as ei:
        client.dbfs.get_status("/t/none")
    assert ei.value.http_status == 404 and ei.value.path == API + "/get-status"
    assert client.dbfs.exists("/t/a.txt") and not client.dbfs.exists("/t/none")


def test_put_overwrite_limits_and_types(client, emu):
    client.dbfs.put("/p/f", "one")
    with pytest.raises(libdbx.AlreadyExists):
        client.dbfs.put("/p/f", b"two!")
    assert client.dbfs.download("/p/f") == b"one"
    client.dbfs.put("/p/f", bytearray(b"two!"), overwrite=True)
    assert emu.last(API + "/put")["json"]["overwrite"] is True
    assert client.dbfs.read("/p/f") == b"two!"
    client.dbfs.put("/p/empty", b"")
    assert emu.last(API + "/put")["json"]["contents"] == ""
    assert client.dbfs.download("/p/empty") == b""
    data = pattern(MAX_BLOCK)
    client.dbfs.put("/p/mb", memoryview(data))
    assert client.dbfs.download("/p/mb") == data
    before = len(emu.requests())
    with pytest.raises(libdbx.InvalidArgument):
        client.dbfs.put("/p/over", data + b"x")
    with pytest.raises(libdbx.InvalidArgument) as ei:
        client.dbfs.put("relative/path", b"x")
    assert "path" in str(ei.value)
    with pytest.raises(libdbx.InvalidArgument):
        client.dbfs.get_status("/a/../b")
    with pytest.raises(TypeError):
        client.dbfs.mkdirs(42)
    assert len(emu.requests()) == before  # all refused locally


def test_move_and_delete(client, emu):
    client.dbfs.put("/m/a", b"A")
    client.dbfs.move("/m/a", "dbfs:/m/dir/b")
    assert emu.last(API + "/move")["json"] == {"source_path": "/m/a", "destination_path": "dbfs:/m/dir/b"}
    assert client.dbfs.download("/m/dir/b") == b"A"
    with pytest.raises(libdbx.NotFound):
        client.dbfs.move("/m/a", "/m/c")
    client.dbfs.put("/m/c", b"C")
    with pytest.raises(libdbx.AlreadyExists):
        client.dbfs.move("/m/c", "/m/dir/b")

    with pytest.raises(libdbx.DatabricksError) as ei:
        client.dbfs.delete("/m/dir")  # non-empty, not recursive
    assert ei.value.error_code == "IO_ERROR"
    assert emu.last(API + "/delete")["json"] == {"path": "/m/dir", "recursive": False}
    client.dbfs.delete("/m/dir", recursive=True)
    assert emu.last(API + "/delete")["json"] == {"path": "/m/dir", "recursive": True}
    assert not client.dbfs.exists("/m/dir")
    client.dbfs.delete("/m/never-there")  # the service: a missing path is not an error


def test_recursive_delete_continues_after_partial_delete(client, emu):
    for i in range(7):
        client.dbfs.put("/big/d%d/f" % i, b"x")
    emu.config(dbfs_delete_batch=4)
    n = len(emu.requests(API + "/delete"))
    client.dbfs.delete("/big", recursive=True)
    dels = emu.requests(API + "/delete")[n:]
    assert len(dels) >= 3
    assert [d["status"] for d in dels[:-1]] == [503] * (len(dels) - 1) and dels[-1]["status"] == 200
    assert not client.dbfs.exists("/big")


def test_upload_bytes_in_blocks_with_progress(client, emu):
    data = pattern(2 * MB + 12345, seed=3)
    seen = []
    client.dbfs.upload("/u/bytes", data, progress=lambda done, total: seen.append((done, total)))
    create = emu.last(API + "/create")["json"]
    assert create == {"path": "/u/bytes", "overwrite": False}
    blocks = emu.requests(API + "/add-block")
    assert len(blocks) == 3
    assert all(b["json"]["handle"] == create_handle(emu) for b in blocks)
    assert emu.last(API + "/close")["json"] == {"handle": create_handle(emu)}
    assert seen == [(MB, len(data)), (2 * MB, len(data)), (len(data), len(data))]
    assert client.dbfs.get_status("/u/bytes").file_size == len(data)
    assert client.dbfs.download("/u/bytes") == data
    with pytest.raises(libdbx.AlreadyExists):
        client.dbfs.upload("/u/bytes", b"again")
    client.dbfs.upload("/u/bytes", b"again", overwrite=True)
    assert emu.last(API + "/create")["json"]["overwrite"] is True
    assert client.dbfs.download("/u/bytes") == b"again"
    client.dbfs.upload("/u/empty", b"")
    assert client.dbfs.get_status("/u/empty").file_size == 0


def create_handle(emu):
    return [r for r in emu.requests(API + "/add-block")][0]["json"]["handle"]


def test_upload_from_path_and_file_object(client, emu, tmp_path):
    data = pattern(MB + 7, seed=5)
    local = tmp_path / "in.bin"
    local.write_bytes(data)
    seen = []
    client.dbfs.upload("/u/path", local, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (len(data), len(data))  # a local file's size is known
    assert client.dbfs.download("/u/path") == data
    client.dbfs.upload("/u/strpath", str(local))
    assert client.dbfs.download("/u/strpath") == data
    with open(local, "rb") as f:
        f.seek(7)  # an upload starts where the file object is
        client.dbfs.upload("/u/fobj", f)
    assert client.dbfs.download("/u/fobj") == data[7:]
    with pytest.raises(libdbx.NotFound):
        client.dbfs.upload("/u/x", tmp_path / "missing.bin")
    with pytest.raises(TypeError):
        client.dbfs.upload("/u/x", 3.5)
    with open(local, "r", encoding="latin-1") as text:  # a text-mode file: refused, nothing left
        with pytest.raises(TypeError, match="binary"):
            client.dbfs.upload("/u/text", text)
    assert not client.dbfs.exists("/u/text")
    seen = []
    client.dbfs.upload("/u/nonseek", ReadOnly(data), progress=lambda d, t: seen.append((d, t)))
    assert seen == [(MB, None), (len(data), None)]  # a stream's size is not known
    with pytest.raises(libdbx.InvalidArgument):
        client.dbfs.upload("/u/x", b"x", max_restarts=11)


class ReadOnly(io.RawIOBase):
    """A non-seekable binary stream (a pipe, a socket) with an optional failure."""

    def __init__(self, data, fail_at=None):
        self.data, self.pos, self.fail_at = data, 0, fail_at

    def readable(self):
        return True

    def readinto(self, b):
        if self.fail_at is not None and self.pos >= self.fail_at:
            raise OSError("disk on fire")
        n = min(len(b), len(self.data) - self.pos)
        b[:n] = self.data[self.pos:self.pos + n]
        self.pos += n
        return n


class ReadOnlyNoReadinto:
    def __init__(self, data):
        self.f = io.BytesIO(data)

    def read(self, n):
        return self.f.read(min(n, 1000))  # short reads


def test_upload_restarts_a_seekable_source_from_where_it_started(client, emu):
    data = pattern(3 * MB, seed=9)
    f = io.BytesIO(b"HEAD" + data)
    f.seek(4)
    emu.fault(method="POST", path=API + "/add-block", after=1, times=1, action="status", status=500)
    client.dbfs.upload("/r/f", f)
    assert len(emu.requests(API + "/create")) == 2  # the whole upload started again
    assert client.dbfs.download("/r/f") == data


def test_upload_of_a_non_seekable_source_is_not_restarted(client, emu):
    data = pattern(2 * MB + 1, seed=11)
    client.dbfs.upload("/r/pipe", ReadOnly(data))
    assert client.dbfs.download("/r/pipe") == data
    client.dbfs.upload("/r/short-reads", ReadOnlyNoReadinto(data))
    assert client.dbfs.download("/r/short-reads") == data
    emu.fault(method="POST", path=API + "/add-block", after=1, times=1, action="status", status=500)
    n = len(emu.requests(API + "/create"))
    with pytest.raises(libdbx.ServerError):
        client.dbfs.upload("/r/pipe2", ReadOnly(data))
    assert len(emu.requests(API + "/create")) == n + 1
    assert not client.dbfs.exists("/r/pipe2")  # no partial file left


def test_exceptions_in_source_and_progress_are_reraised(client, emu):
    data = pattern(3 * MB, seed=2)
    with pytest.raises(OSError, match="disk on fire"):
        client.dbfs.upload("/e/src", ReadOnly(data, fail_at=MB + 10))
    assert not client.dbfs.exists("/e/src")
    assert emu.last(API + "/delete")["json"]["path"] == "/e/src"

    calls = []

    def progress(done, total):
        calls.append(done)
        raise KeyboardInterrupt  # what Ctrl-C raises inside the callback

    n = len(emu.requests(API + "/add-block"))
    with pytest.raises(KeyboardInterrupt):
        client.dbfs.upload("/e/prog", data, progress=progress)
    assert calls == [MB]
    assert len(emu.requests(API + "/add-block")) == n + 1  # nothing sent after the interrupt
    assert not client.dbfs.exists("/e/prog")


def test_download_to_path_file_object_and_callable(client, emu, tmp_path):
    data = pattern(2 * MB + 99, seed=4)
    client.dbfs.upload("/d/f", data)
    n = len(emu.requests(API + "/read"))
    seen = []
    assert client.dbfs.download("/d/f", progress=lambda d, t: seen.append((d, t))) == data
    reads = emu.requests(API + "/read")[n:]
    assert [(r["query"]["offset"], r["query"]["length"]) for r in reads] == [
        (["0"], [str(MB)]), ([str(MB)], [str(MB)]), ([str(2 * MB)], ["99"])]
    assert seen == [(MB, len(data)), (2 * MB, len(data)), (len(data), len(data))]

    out = tmp_path / "out.bin"
    assert client.dbfs.download("/d/f", out) is None
    assert out.read_bytes() == data
    with pytest.raises(libdbx.AlreadyExists):
        client.dbfs.download("/d/f", str(out))
    client.dbfs.put("/d/small", b"small")
    client.dbfs.download("/d/small", out, overwrite=True)
    assert out.read_bytes() == b"small"

    buf = io.BytesIO()
    client.dbfs.download("/d/f", buf)
    assert buf.getvalue() == data
    chunks = []
    client.dbfs.download("/d/f", chunks.append)
    assert [len(c) for c in chunks] == [MB, MB, 99] and b"".join(chunks) == data
    with pytest.raises(TypeError):
        client.dbfs.download("/d/f", 12)
    client.dbfs.mkdirs("/d/dir")
    with pytest.raises(libdbx.InvalidParameter):
        client.dbfs.download("/d/dir")
    with pytest.raises(libdbx.NotFound):
        client.dbfs.download("/d/missing", tmp_path / "never.bin")
    assert not (tmp_path / "never.bin").exists()


def test_exception_in_sink_is_reraised_and_stops_the_download(client, emu, tmp_path):
    data = pattern(3 * MB, seed=6)
    client.dbfs.upload("/s/f", data)
    got = []

    def sink(b):
        got.append(b)
        raise ValueError("sink full")

    n = len(emu.requests(API + "/read"))
    with pytest.raises(ValueError, match="sink full"):
        client.dbfs.download("/s/f", sink)
    assert len(got) == 1 and len(emu.requests(API + "/read")) == n + 1

    def progress(done, total):
        raise KeyboardInterrupt

    out = tmp_path / "partial.bin"
    with pytest.raises(KeyboardInterrupt):
        client.dbfs.download("/s/f", out, progress=progress)
    assert not out.exists() and os.listdir(tmp_path) == []  # no partial file


def test_hostile_read_answer_is_a_bad_response(client, emu):
    client.dbfs.put("/h/f", b"hello")
    emu.fault(method="GET", path=API + "/read", action="status", status=200,
              body={"bytes_read": 5, "data": base64.b64encode(b"hell").decode()})
    with pytest.raises(libdbx.BadResponse):
        client.dbfs.download("/h/f")


CHILD = textwrap.dedent("""
    import hashlib, io, resource, sys, tracemalloc
    sys.path.insert(0, sys.argv[1])
    import libdbx

    SIZE = int(sys.argv[4])

    class Gen(io.RawIOBase):
        # SIZE bytes generated on the fly: nothing but the block in flight is in memory
        def __init__(self):
            self.pos = 0
        def readable(self):
            return True
        def readinto(self, b):
            # short reads, each inside one 64 KiB run of a single byte value
            n = min(len(b), SIZE - self.pos, 65536 - self.pos % 65536)
            b[:n] = bytes([self.pos // 65536 % 251]) * n
            self.pos += n
            return n

    def peak_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

    c = libdbx.Client(host=sys.argv[2], token="dapi-emulator-token", no_env=True, no_config_file=True)
    c.dbfs.put("/warm/up", b"x")
    c.dbfs.download("/warm/up")
    base = peak_mb()
    tracemalloc.start()
    c.dbfs.upload("/mem/gen", Gen())
    c.dbfs.upload("/mem/path", sys.argv[3])
    h = hashlib.sha256()
    c.dbfs.download("/mem/gen", h.update)
    with open(sys.argv[3] + ".back", "wb") as f:
        c.dbfs.download("/mem/path", f)
    bounded = peak_mb() - base
    py_peak = tracemalloc.get_traced_memory()[1] / 1048576.0
    tracemalloc.reset_peak()
    whole = len(c.dbfs.download("/mem/gen"))  # the control: bytes in memory do show
    control = tracemalloc.get_traced_memory()[1] / 1048576.0
    print(c.dbfs.get_status("/mem/gen").file_size, c.dbfs.get_status("/mem/path").file_size,
          h.hexdigest(), bounded, py_peak, control, whole)
""")


def test_large_transfers_stay_bounded_in_memory(emu, tmp_path):
    size = 96 * MB
    local = tmp_path / "big.bin"
    with open(local, "wb") as f:
        for i in range(size // MB):
            f.write(bytes([i % 256]) * MB)
    pkg = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
    out = subprocess.run([sys.executable, "-c", CHILD, pkg, emu.base, str(local), str(size)],
                         capture_output=True, text=True, timeout=600, env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    gen_size, path_size, digest, grew_mb, py_peak_mb, control_mb, whole = out.stdout.split()
    assert int(gen_size) == size and int(path_size) == size
    import hashlib
    want = hashlib.sha256()
    for pos in range(0, size, 65536):
        want.update(bytes([pos // 65536 % 251]) * 65536)
    assert digest == want.hexdigest()
    with open(str(local) + ".back", "rb") as a, open(local, "rb") as b:
        while True:
            x, y = a.read(MB), b.read(MB)
            assert x == y
            if not x:
                break
    # one block (1 MB), its base64 body and the answer: a few MB, never the 48 MB file
    print("4 x %d MB transfers: peak RSS growth %s MB, Python peak %s MB" % (size // MB, grew_mb, py_peak_mb))
    # the process (C blocks included) and the Python objects of the binding: a few MB at most
    assert float(grew_mb) < 16, "peak RSS grew by %s MB" % grew_mb
    assert float(py_peak_mb) < 8, "Python allocations peaked at %s MB" % py_peak_mb
    # the measure works: returning the file as bytes does cost its size
    assert int(whole) == size and float(control_mb) >= size / MB


def _ctrl_c_during(emu, endpoint, call):
    """SIGINT to this process once the first `endpoint` request was logged; the second one is
    held 1 s by the emulator, so the signal lands during the transfer whatever the timing."""
    import signal
    import threading
    emu.fault(path=API + endpoint, after=1, times=1, action="delay", delay_ms=1000)
    done = threading.Event()

    def ctrl_c():
        while not done.is_set() and not emu.requests(API + endpoint):
            done.wait(0.005)
        if not done.is_set():
            os.kill(os.getpid(), signal.SIGINT)

    t = threading.Thread(target=ctrl_c)
    t.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            call()
    finally:
        done.set()
        t.join()


def test_ctrl_c_stops_transfers_without_a_progress_callback(client, emu, tmp_path):
    local = tmp_path / "five.bin"
    data = pattern(5 * MB, seed=12)
    local.write_bytes(data)
    _ctrl_c_during(emu, "/add-block", lambda: client.dbfs.upload("/c/five", local))
    assert len(emu.requests(API + "/add-block")) <= 2  # stopped after the block in flight
    assert not client.dbfs.exists("/c/five")

    client.dbfs.upload("/c/five", data)
    out = tmp_path / "back.bin"
    n = len(emu.requests(API + "/read"))
    _ctrl_c_during(emu, "/read", lambda: client.dbfs.download("/c/five", out))
    assert len(emu.requests(API + "/read")) <= n + 2
    assert not out.exists()
