"""The DBFS API 2.0: ``client.dbfs``.

Paths are absolute DBFS paths (``"/tmp/x"`` or ``"dbfs:/tmp/x"``), checked by libdbx before
anything is sent. Files of any size move in blocks of at most 1 MB: :meth:`DbfsAPI.upload`
(create / add-block / close) and :meth:`DbfsAPI.download` (get-status, then ranged reads).
Given a local path or a file object, a transfer holds one block in memory whatever the file's
size; only ``download(path)`` without a destination (which returns ``bytes``) holds the file.

Callbacks (the file object's ``read``/``seek``/``write``, a sink callable, ``progress``) run on
the calling thread. An exception raised in one of them (KeyboardInterrupt from Ctrl-C included)
stops the C call, which cleans up (an upload closes its handle and deletes the partial file; a
download to a local path leaves no partial file), and is then re-raised as it was.
"""

import ctypes
import dataclasses
import io
import json
import os
import signal
import threading
from typing import Any, Callable, Dict, Iterator, Optional, Union

from . import _base, _native, errors

c_void_p, c_int, c_uint = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint
c_char_p, c_size_t, c_int64, c_uint64 = ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int64, ctypes.c_uint64
POINTER = ctypes.POINTER

#: DBX_DBFS_MAX_BLOCK: the largest content :meth:`DbfsAPI.put` takes (the service's limit)
MAX_BLOCK = 1024 * 1024

SOURCE_READ_FN, SOURCE_REWIND_FN, SINK_FN = _native.SOURCE_READ_FN, _native.SOURCE_REWIND_FN, _native.SINK_FN
# dbx_dbfs_progress_fn: int (*)(void *payload, uint64_t done, int64_t total)
PROGRESS_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_uint64, c_int64)


_Source = _native.Source


class _UploadOptions(ctypes.Structure):
    """``dbx_dbfs_upload_options`` version 1 (include/dbx/dbfs.h; append-only)."""
    _fields_ = [("version", c_uint), ("overwrite", c_int), ("max_restarts", c_int),
                ("on_progress", PROGRESS_FN), ("payload", c_void_p)]


class _DownloadOptions(ctypes.Structure):
    """``dbx_dbfs_download_options`` version 1 (include/dbx/dbfs.h; append-only)."""
    _fields_ = [("version", c_uint), ("overwrite", c_int), ("on_progress", PROGRESS_FN),
                ("payload", c_void_p)]


#: the C functions this module calls (declared on first use by _native.declare)
PROTOS = [
    ("dbx_dbfs_file_info_free", None, c_void_p),
    ("dbx_dbfs_file_info_path", c_char_p, c_void_p),
    ("dbx_dbfs_file_info_is_dir", c_int, c_void_p),
    ("dbx_dbfs_file_info_file_size", c_int64, c_void_p),
    ("dbx_dbfs_file_info_modification_time", c_int64, c_void_p),
    ("dbx_dbfs_file_info_json", c_char_p, c_void_p),
    ("dbx_dbfs_get_status", c_int, POINTER(c_void_p), c_void_p, c_char_p),
    ("dbx_dbfs_list", c_int, POINTER(c_void_p), c_void_p, c_char_p),
    ("dbx_dbfs_iter_next", c_int, POINTER(c_void_p), c_void_p),
    ("dbx_dbfs_iter_free", None, c_void_p),
    ("dbx_dbfs_mkdirs", c_int, c_void_p, c_char_p),
    ("dbx_dbfs_delete", c_int, c_void_p, c_char_p, c_int),
    ("dbx_dbfs_move", c_int, c_void_p, c_char_p, c_char_p),
    ("dbx_dbfs_put", c_int, c_void_p, c_char_p, c_void_p, c_size_t, c_int),
    ("dbx_dbfs_upload", c_int, c_void_p, c_char_p, POINTER(_Source), POINTER(_UploadOptions)),
    ("dbx_dbfs_upload_file", c_int, c_void_p, c_char_p, c_char_p, POINTER(_UploadOptions)),
    ("dbx_dbfs_download", c_int, c_void_p, c_char_p, SINK_FN, c_void_p, POINTER(_DownloadOptions)),
    ("dbx_dbfs_download_file", c_int, c_void_p, c_char_p, c_char_p, POINTER(_DownloadOptions)),
]


@dataclasses.dataclass(frozen=True)
class FileInfo:
    """A DBFS FileInfo. ``modification_time`` is epoch milliseconds; ``raw`` the whole object."""
    path: str
    is_dir: bool
    file_size: int
    modification_time: int
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def _from_c(cls, lib, fi):
        """From a borrowed ``dbx_dbfs_file_info *`` (read through its accessors: int64 exact)."""
        return cls(path=_native.text(lib.dbx_dbfs_file_info_path(fi)) or "",
                   is_dir=bool(lib.dbx_dbfs_file_info_is_dir(fi)),
                   file_size=int(lib.dbx_dbfs_file_info_file_size(fi)),
                   modification_time=int(lib.dbx_dbfs_file_info_modification_time(fi)),
                   raw=json.loads(_native.text(lib.dbx_dbfs_file_info_json(fi)) or "{}"))


def _invalid(msg):
    return errors.InvalidArgument(msg, status=-2, status_name="DBX_EINVAL")


class _Callbacks:
    """The ctypes callbacks of one transfer. Each keeps the first exception its Python code
    raised and returns non-zero so that libdbx stops; ``raise_pending()`` re-raises it once the
    C call has returned. The CFUNCTYPE objects live as long as this object (the whole call)."""

    def __init__(self, progress=None):
        self.pending = None
        self.progress = progress
        # installed even without a progress function: running Python code after every block
        # is what lets Ctrl-C (KeyboardInterrupt) stop a long transfer
        self.c_progress = PROGRESS_FN(self._on_progress)

    def _guard(self, fn, *args):
        if self.pending is not None:
            return 1
        try:
            return fn(*args)
        except BaseException as exc:  # noqa: B902 - KeyboardInterrupt must stop the transfer
            self.pending = exc
            return 1

    def _on_progress(self, payload, done, total):
        def call():
            if self.progress is not None:
                self.progress(int(done), None if total < 0 else int(total))
            return 0
        return self._guard(call)

    def raise_pending(self):
        if self.pending is not None:
            exc, self.pending = self.pending, None
            raise exc


class _FileSource(_Callbacks):
    """A ``dbx_source`` over a binary file object: ``readinto`` (or ``read``) straight into
    libdbx's block buffer, so at most one block is in memory; rewindable when seekable (back to
    the position the upload started at)."""

    def __init__(self, f, progress=None):
        super().__init__(progress)
        if not hasattr(f, "read"):
            raise TypeError("source must be a path, bytes or a binary file object with read()")
        self.f = f
        self.start = None
        try:
            if f.seekable():
                self.start = f.tell()
        except (AttributeError, OSError, ValueError):
            self.start = None
        self.c_read = SOURCE_READ_FN(self._read)
        self.c_rewind = SOURCE_REWIND_FN(self._rewind) if self.start is not None else SOURCE_REWIND_FN()
        self.src = _Source(1, self.c_read, self.c_rewind, None, -1)

    def _read(self, payload, buf, cap, n):
        def call():
            view = (ctypes.c_char * cap).from_address(buf)
            readinto = getattr(self.f, "readinto", None)
            if readinto is not None:
                got = readinto(memoryview(view).cast("B"))
                if got is None:
                    raise BlockingIOError("source: a non-blocking file object has no data ready")
            else:
                data = self.f.read(cap)
                if isinstance(data, str):
                    raise TypeError("source: the file object must be opened in binary mode")
                got = len(data)
                if got > cap:
                    raise ValueError("source: read(%d) returned %d bytes" % (cap, got))
                ctypes.memmove(buf, data, got)
            n[0] = got
            return 0
        return self._guard(call)

    def _rewind(self, payload):
        def call():
            self.f.seek(self.start)
            return 0
        return self._guard(call)


class _BufferSource(_Callbacks):
    """A ``dbx_source`` over bytes-like data already in memory: copied a block at a time into
    libdbx's buffer, rewindable, of known size."""

    def __init__(self, data, progress=None):
        super().__init__(progress)
        self.view = memoryview(data).cast("B")
        self.pos = 0
        self.c_read = SOURCE_READ_FN(self._read)
        self.c_rewind = SOURCE_REWIND_FN(self._rewind)
        self.src = _Source(1, self.c_read, self.c_rewind, None, len(self.view))

    def _read(self, payload, buf, cap, n):
        def call():
            k = min(cap, len(self.view) - self.pos)
            if k:
                ctypes.memmove(buf, self.view[self.pos:self.pos + k].tobytes(), k)
            self.pos += k
            n[0] = k
            return 0
        return self._guard(call)

    def _rewind(self, payload):
        self.pos = 0
        return 0


class _Sink(_Callbacks):
    """A ``dbx_sink_fn`` handing each block (<= 1 MB, as bytes) to ``write``."""

    def __init__(self, write, progress=None):
        super().__init__(progress)
        self.write = write
        self.c_sink = SINK_FN(self._sink)

    def _sink(self, payload, data, n):
        def call():
            self.write(ctypes.string_at(data, n))
            return 0
        return self._guard(call)


def _fspath(x):
    """A local path (str or os.PathLike) as the bytes the OS takes, else None."""
    if isinstance(x, (str, os.PathLike)):
        return os.fsencode(x)
    return None


class DbfsAPI(_base.Area):
    """DBFS 2.0 (``/api/2.0/dbfs/*``): status, listing, directories, moves, deletes, and
    memory-bounded uploads and downloads of any size."""

    PROTOS = PROTOS

    # ---- metadata -------------------------------------------------------------------------
    def get_status(self, path) -> FileInfo:
        """The FileInfo of a file or directory. Raises :class:`~libdbx.errors.NotFound`."""
        lib = self._lib
        out = c_void_p()
        self._check(lib.dbx_dbfs_get_status(ctypes.byref(out), self._ptr(), _native.arg(path, "path")))
        try:
            return FileInfo._from_c(lib, out)
        finally:
            lib.dbx_dbfs_file_info_free(out)

    def exists(self, path) -> bool:
        """True when something is at ``path`` (get-status; other errors raise)."""
        try:
            self.get_status(path)
            return True
        except errors.NotFound:
            return False

    def list(self, path) -> Iterator[FileInfo]:
        """The entries of a directory (a file lists as itself), lazily: no request is made until
        the first item is asked for. Raises :class:`~libdbx.errors.NotFound` then."""
        lib = self._lib
        it = _base.CIterator(self._client, lib.dbx_dbfs_iter_next, lib.dbx_dbfs_iter_free,
                             lambda p: FileInfo._from_c(lib, p))
        return it._start(lib.dbx_dbfs_list(ctypes.byref(it._it), self._ptr(), _native.arg(path, "path")))

    def mkdirs(self, path) -> None:
        """Create a directory and its missing parents (an existing directory is fine).
        Raises :class:`~libdbx.errors.AlreadyExists` when a file is in the way."""
        self._check(self._lib.dbx_dbfs_mkdirs(self._ptr(), _native.arg(path, "path")))

    def delete(self, path, recursive=False) -> None:
        """Delete a file or directory (a non-empty directory needs ``recursive=True``). A large
        recursive delete the service cuts short (503 PARTIAL_DELETE) is continued by libdbx
        until complete or the client's retry budget is spent (then
        :class:`~libdbx.errors.Unavailable` with ``error_code == "PARTIAL_DELETE"``)."""
        self._check(self._lib.dbx_dbfs_delete(self._ptr(), _native.arg(path, "path"), 1 if recursive else 0))

    def move(self, source_path, destination_path) -> None:
        """Move a file or directory (with its contents). Raises NotFound / AlreadyExists."""
        self._check(self._lib.dbx_dbfs_move(self._ptr(), _native.arg(source_path, "source_path"),
                                            _native.arg(destination_path, "destination_path")))

    # ---- small files ----------------------------------------------------------------------
    def put(self, path, data, *, overwrite=False) -> None:
        """Write a small file (at most 1 MB) in one call; ``data`` is bytes-like (a str is
        written as UTF-8). Use :meth:`upload` for more."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        buf = memoryview(data).cast("B") if not isinstance(data, bytes) else data
        n = len(buf)
        if n > MAX_BLOCK:
            raise _invalid("put: data is %d bytes, more than the %d put takes (use upload)" % (n, MAX_BLOCK))
        if isinstance(buf, bytes):
            ptr = ctypes.cast(ctypes.c_char_p(buf), c_void_p) if n else None
            keep = buf
        else:
            keep = (ctypes.c_char * n).from_buffer_copy(buf) if n else None
            ptr = ctypes.cast(keep, c_void_p) if n else None
        self._check(self._lib.dbx_dbfs_put(self._ptr(), _native.arg(path, "path"), ptr, n, 1 if overwrite else 0))
        del keep

    # ---- streams --------------------------------------------------------------------------
    def upload(self, path, source, *, overwrite=False, max_restarts=None,
               progress: Optional[Callable[[int, Optional[int]], None]] = None) -> None:
        """Upload ``source`` to ``path`` (create / add-block / close, 1 MB per block).

        ``source`` is a local file path (str or ``os.PathLike``; read by libdbx), bytes-like
        data, or a binary file object (``readinto``/``read``; when it is seekable the upload can
        restart from the position it started at). ``progress(done, total)`` is called after
        every block (``total`` is None when unknown). ``max_restarts``: whole-upload restarts
        after an ambiguous failure (None = libdbx's default of 2, 0 = never, at most 10). A
        failed upload leaves no partial file under ``path``.
        """
        o = _UploadOptions()
        o.version = 1
        o.overwrite = 1 if overwrite else 0
        if max_restarts is not None:
            m = int(max_restarts)
            if m < 0 or m > 10:
                raise _invalid("max_restarts must be 0..10 (or None for the default)")
            o.max_restarts = -1 if m == 0 else m
        local = _fspath(source)
        if local is not None:
            cb = _Callbacks(progress)
            o.on_progress = cb.c_progress
            with _base.CtrlC(cb):
                st = self._lib.dbx_dbfs_upload_file(self._ptr(), _native.arg(path, "path"), local, ctypes.byref(o))
        else:
            if isinstance(source, (bytes, bytearray, memoryview)):
                cb = _BufferSource(source, progress)
            else:
                cb = _FileSource(source, progress)
            o.on_progress = cb.c_progress
            with _base.CtrlC(cb):
                st = self._lib.dbx_dbfs_upload(self._ptr(), _native.arg(path, "path"), ctypes.byref(cb.src),
                                               ctypes.byref(o))
        cb.raise_pending()
        self._check(st)

    def download(self, path, dest=None, *, overwrite=False,
                 progress: Optional[Callable[[int, Optional[int]], None]] = None) -> Union[bytes, None]:
        """Download the file at ``path``.

        ``dest`` None: return its bytes. A local path (str or ``os.PathLike``): written beside
        it under a temporary name and renamed over it only on success (an existing file needs
        ``overwrite=True``). A binary file object: its ``write`` gets each block. A callable:
        called with each block (``bytes`` of at most 1 MB), in order. ``progress(done, total)``
        is called after every block.
        """
        o = _DownloadOptions()
        o.version = 1
        o.overwrite = 1 if overwrite else 0
        local = _fspath(dest)
        if local is not None:
            cb = _Callbacks(progress)
            o.on_progress = cb.c_progress
            with _base.CtrlC(cb):
                st = self._lib.dbx_dbfs_download_file(self._ptr(), _native.arg(path, "path"), local,
                                                      ctypes.byref(o))
            cb.raise_pending()
            self._check(st)
            return None
        collected = None
        if dest is None:
            collected = io.BytesIO()
            write = collected.write
        elif hasattr(dest, "write"):
            write = dest.write
        elif callable(dest):
            write = dest
        else:
            raise TypeError("dest must be None, a path, a binary file object or a callable")
        cb = _Sink(write, progress)
        o.on_progress = cb.c_progress
        with _base.CtrlC(cb):
            st = self._lib.dbx_dbfs_download(self._ptr(), _native.arg(path, "path"), cb.c_sink, None,
                                             ctypes.byref(o))
        cb.raise_pending()
        self._check(st)
        return collected.getvalue() if collected is not None else None

    def read(self, path) -> bytes:
        """The whole file as bytes (``download(path)``)."""
        return self.download(path)
