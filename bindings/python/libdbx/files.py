"""The Files API for Unity Catalog volumes and workspace files: ``client.files``.

Paths are absolute remote paths (``/Volumes/<catalog>/<schema>/<volume>/dir/file.csv``); libdbx
checks them before any request. Transfers stream: given a local path or a binary file object,
neither an upload nor a download holds the file in Python memory (libdbx holds at most one
multipart part, or one libcurl buffer).

    f = client.files
    f.upload("/Volumes/main/default/vol/data.csv", "data.csv")           # a local path
    f.upload("/Volumes/main/default/vol/blob.bin", b"bytes", overwrite=True)
    with open("big.parquet", "rb") as src:                                # a binary file object
        f.upload("/Volumes/main/default/vol/big.parquet", src, progress=print)
    data = f.download("/Volumes/main/default/vol/blob.bin")              # bytes
    f.download("/Volumes/main/default/vol/big.parquet", "copy.parquet")  # into a local file
    for e in f.list_directory_contents("/Volumes/main/default/vol"):
        print(e.name, e.is_directory, e.file_size)

Callbacks (a file object's ``read``/``readinto``/``seek``/``write``, a download callable, the
``progress`` callable) run on the calling thread while libdbx is inside the call. An exception
they raise (``KeyboardInterrupt`` from Ctrl-C included) stops the transfer (a multipart upload
is aborted) and is re-raised once libdbx has returned.
"""

import ctypes
import dataclasses
import io
import json
import os
from typing import Any, Callable, Dict, Iterator, Optional, Union

from . import _base, _native, errors

c_void_p, c_char_p, c_int, c_uint = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint
c_int64, c_long, c_size_t = ctypes.c_int64, ctypes.c_long, ctypes.c_size_t
POINTER = ctypes.POINTER

# int (*)(void *payload, int64_t done, int64_t total)    dbx_files_progress_fn (files.h)
PROGRESS_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_int64, c_int64)
# dbx_source and dbx_sink_fn (common.h): shared with the other areas that stream
READ_FN, REWIND_FN, SINK_FN = _native.SOURCE_READ_FN, _native.SOURCE_REWIND_FN, _native.SINK_FN
_Source = _native.Source


class _UploadOptions(ctypes.Structure):
    """``dbx_files_upload_options`` version 1 (include/dbx/files.h; append-only)."""
    _fields_ = [
        ("version", c_uint),
        ("overwrite", c_int),
        ("multipart_threshold", c_int64),
        ("part_size", c_int64),
        ("progress", PROGRESS_FN),
        ("progress_payload", c_void_p),
    ]


class _DownloadOptions(ctypes.Structure):
    """``dbx_files_download_options`` version 1 (include/dbx/files.h; append-only)."""
    _fields_ = [
        ("version", c_uint),
        ("overwrite", c_int),
        ("max_resumes", c_int),
        ("progress", PROGRESS_FN),
        ("progress_payload", c_void_p),
    ]


class _ListOptions(ctypes.Structure):
    """``dbx_files_list_options`` version 1 (include/dbx/files.h; append-only)."""
    _fields_ = [
        ("version", c_uint),
        ("page_size", c_long),
        ("max_items", c_long),
    ]


#: the C functions this module calls (declared on first use by _native.declare)
PROTOS = [
    ("dbx_files_upload", c_int, c_void_p, c_char_p, POINTER(_Source), POINTER(_UploadOptions)),
    ("dbx_files_upload_file", c_int, c_void_p, c_char_p, c_char_p, POINTER(_UploadOptions)),
    ("dbx_files_upload_buffer", c_int, c_void_p, c_char_p, c_void_p, c_size_t, POINTER(_UploadOptions)),
    ("dbx_files_download", c_int, c_void_p, c_char_p, SINK_FN, c_void_p, POINTER(_DownloadOptions)),
    ("dbx_files_download_file", c_int, c_void_p, c_char_p, c_char_p, POINTER(_DownloadOptions)),
    ("dbx_files_get_metadata", c_int, POINTER(c_void_p), c_void_p, c_char_p),
    ("dbx_file_info_free", None, c_void_p),
    ("dbx_file_info_size", c_int64, c_void_p),
    ("dbx_file_info_content_type", c_char_p, c_void_p),
    ("dbx_file_info_last_modified", c_int64, c_void_p),
    ("dbx_file_info_last_modified_str", c_char_p, c_void_p),
    ("dbx_files_delete", c_int, c_void_p, c_char_p),
    ("dbx_files_create_directory", c_int, c_void_p, c_char_p),
    ("dbx_files_delete_directory", c_int, c_void_p, c_char_p),
    ("dbx_files_get_directory_metadata", c_int, c_void_p, c_char_p),
    ("dbx_files_list_directory", c_int, POINTER(c_void_p), c_void_p, c_char_p, POINTER(_ListOptions)),
    ("dbx_files_list_iter_next", c_int, POINTER(c_void_p), c_void_p),
    ("dbx_files_list_iter_free", None, c_void_p),
    ("dbx_directory_entry_path", c_char_p, c_void_p),
    ("dbx_directory_entry_name", c_char_p, c_void_p),
    ("dbx_directory_entry_is_directory", c_int, c_void_p),
    ("dbx_directory_entry_file_size", c_int64, c_void_p),
    ("dbx_directory_entry_last_modified", c_int64, c_void_p),
    ("dbx_directory_entry_json", c_char_p, c_void_p),
]


@dataclasses.dataclass(frozen=True)
class FileInfo:
    """What HEAD says about a file. ``last_modified`` is epoch milliseconds (None when the
    server sent none); ``last_modified_str`` the HTTP date as sent."""
    path: str
    size: Optional[int]
    content_type: str
    last_modified: Optional[int]
    last_modified_str: str


@dataclasses.dataclass(frozen=True)
class DirectoryEntry:
    """One entry of a directory listing. ``file_size`` is None for directories;
    ``last_modified`` is epoch milliseconds (None when absent)."""
    path: str
    name: str
    is_directory: bool
    file_size: Optional[int]
    last_modified: Optional[int]
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False)


def _opt_int(v):
    return None if v < 0 else int(v)


def _int_arg(value, name):
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s must be an int (bytes), not %s" % (name, type(value).__name__))
    return value


class _Transfer:
    """The callbacks of one transfer. Each turns an exception into "stop" for libdbx and keeps
    it (the first one) for :meth:`finish` to re-raise after the C call has returned."""

    def __init__(self, progress):
        if progress is not None and not callable(progress):
            raise TypeError("progress must be callable as progress(done, total)")
        self.user_progress = progress
        self.pending = None
        self.done = 0
        # always installed, also without a user callback: a pending Ctrl-C is then raised
        # inside it, which stops the transfer instead of waiting for its end
        self.progress = PROGRESS_FN(self._on_progress)

    def _keep(self, exc):
        if self.pending is None:
            self.pending = exc
        return 1

    def _on_progress(self, payload, done, total):
        if self.pending is not None:  # a Ctrl-C recorded by CtrlC, or an earlier error
            return 1
        try:
            self.done = done
            if self.user_progress is not None:
                self.user_progress(int(done), None if total < 0 else int(total))
            return 0
        except BaseException as exc:  # noqa: B902 - KeyboardInterrupt must stop the transfer
            return self._keep(exc)

    def finish(self, lib, client_ptr, status):
        if self.pending is not None:
            exc, self.pending = self.pending, None
            raise exc
        return errors.check(lib, client_ptr, status)


class _FileObjectSource(_Transfer):
    """A ``dbx_source`` reading a binary file object in the pieces libdbx asks for: ``readinto``
    straight into libdbx's buffer when the object has it, else ``read``. Seekable objects
    are rewound (so failed requests are re-sent) and their remaining size is announced."""

    def __init__(self, fobj, progress):
        super().__init__(progress)
        if isinstance(fobj, io.TextIOBase):
            raise TypeError("upload needs a binary file object (open(..., 'rb')), not a text one")
        self.f = fobj
        self.src = _Source()
        self.src.version = 1
        self.src.size = -1
        self._read = READ_FN(self._on_read)
        self.src.read = self._read
        self._rewind = None
        seekable = False
        try:
            seekable = bool(fobj.seekable()) if hasattr(fobj, "seekable") else False
        except (OSError, ValueError):
            seekable = False
        if seekable:
            self.start = fobj.tell()
            end = fobj.seek(0, io.SEEK_END)
            fobj.seek(self.start)
            self.src.size = max(0, end - self.start)
            self._rewind = REWIND_FN(self._on_rewind)
            self.src.rewind = self._rewind
        self.readinto = getattr(fobj, "readinto", None)

    def _on_read(self, payload, buf, cap, n_out):
        if self.pending is not None:  # a Ctrl-C recorded by CtrlC, or an earlier error
            return 1
        try:
            if self.readinto is not None:
                view = memoryview((ctypes.c_char * cap).from_address(buf)).cast("B")
                try:
                    n = self.readinto(view)
                finally:
                    view.release()
                if n is None:
                    raise BlockingIOError("the file object has no data now (non-blocking); "
                                          "upload needs a blocking stream")
            else:
                data = self.f.read(cap)
                if data is None:
                    raise BlockingIOError("the file object has no data now (non-blocking); "
                                          "upload needs a blocking stream")
                if not isinstance(data, (bytes, bytearray, memoryview)):
                    raise TypeError("read() returned %s, not bytes (open the file in binary mode)"
                                    % type(data).__name__)
                n = len(data)
                if n > cap:
                    raise ValueError("read(%d) returned %d bytes" % (cap, n))
                if n:
                    ctypes.memmove(buf, bytes(data) if isinstance(data, memoryview) else data, n)
            n_out[0] = n
            return 0
        except BaseException as exc:  # noqa: B902
            n_out[0] = 0
            return self._keep(exc)

    def _on_rewind(self, payload):
        if self.pending is not None:  # a Ctrl-C recorded by CtrlC, or an earlier error
            return 1
        try:
            self.f.seek(self.start)
            return 0
        except BaseException as exc:  # noqa: B902
            return self._keep(exc)


class _Sink(_Transfer):
    """A ``dbx_sink_fn`` handing each received piece (a bytes copy of libdbx's buffer) to
    ``write``: a file object's ``write`` (short writes completed), a callable, or a list."""

    def __init__(self, progress, write=None, chunks=None):
        super().__init__(progress)
        self.write = write
        self.chunks = chunks
        self.received = 0
        self.sink = SINK_FN(self._on_data)

    def _on_data(self, payload, data, length):
        if self.pending is not None:  # a Ctrl-C recorded by CtrlC, or an earlier error
            return 1
        try:
            piece = ctypes.string_at(data, length) if length else b""
            self.received += length
            if self.chunks is not None:
                self.chunks.append(piece)
            else:
                self.write(piece)
            return 0
        except BaseException as exc:  # noqa: B902
            return self._keep(exc)


def _write_all(fobj):
    """A binary file object's ``write``; raw (unbuffered) streams may take part of a piece, so
    the rest is written again."""
    write = fobj.write
    if not isinstance(fobj, io.RawIOBase):
        return write

    def w(piece):
        view = memoryview(piece)
        while view:
            n = write(view)
            if n is None:  # a non-blocking raw stream that took nothing
                raise BlockingIOError("the file object accepted no data (non-blocking)")
            view = view[n:]
    return w


def _is_local_path(x):
    return isinstance(x, (str, os.PathLike))


class FilesAPI(_base.Area):
    """Files and directories in Unity Catalog volumes (``/api/2.0/fs/files``,
    ``/api/2.0/fs/directories``)."""

    PROTOS = PROTOS

    def _path(self, remote_path, name="path"):
        if isinstance(remote_path, os.PathLike):
            remote_path = os.fspath(remote_path)
        return _native.arg(remote_path, name)

    # ---- upload -----------------------------------------------------------------------------
    def upload(self, path, contents, *, overwrite: Optional[bool] = None,
               multipart_threshold: Optional[int] = None, part_size: Optional[int] = None,
               progress: Optional[Callable[[int, Optional[int]], Any]] = None) -> None:
        """Upload ``contents`` to the remote ``path``.

        ``contents`` is a local file path (``str`` or ``os.PathLike``), bytes-like data, or a
        binary file object (read from its current position with ``readinto``/``read``; when it
        is seekable its size is announced and it is rewound to re-send after a failure).

        ``overwrite``: None leaves it to the service (which replaces), True replaces, False
        fails with :class:`~libdbx.AlreadyExists` when the file exists.
        ``multipart_threshold`` / ``part_size`` (bytes): sizes at or above the threshold
        (default 50 MiB; negative: never) use the multipart protocol with parts of
        ``part_size`` (>= 5 MiB; default chosen from the size). ``progress(done, total)`` is
        called as bytes are read (``total`` None when unknown)."""
        opts = _UploadOptions()
        opts.version = 1
        opts.overwrite = 0 if overwrite is None else (1 if overwrite else -1)
        opts.multipart_threshold = _int_arg(multipart_threshold, "multipart_threshold")
        opts.part_size = _int_arg(part_size, "part_size")
        rpath = self._path(path)
        lib = self._lib
        if _is_local_path(contents):
            t = _Transfer(progress)
            opts.progress = t.progress
            with _base.CtrlC(t):
                st = lib.dbx_files_upload_file(self._ptr(), rpath, os.fsencode(contents), ctypes.byref(opts))
        elif isinstance(contents, bytes):
            t = _Transfer(progress)
            opts.progress = t.progress
            with _base.CtrlC(t):
                st = lib.dbx_files_upload_buffer(self._ptr(), rpath, contents or None, len(contents),
                                                 ctypes.byref(opts))
        elif isinstance(contents, (bytearray, memoryview)):
            view = memoryview(contents).cast("B")
            t = _Transfer(progress)
            opts.progress = t.progress
            if view.readonly or not view.c_contiguous:
                data = bytes(view)
                with _base.CtrlC(t):
                    st = lib.dbx_files_upload_buffer(self._ptr(), rpath, data or None, len(data),
                                                     ctypes.byref(opts))
            else:  # borrowed for the call, no copy
                n = len(view)
                buf = (ctypes.c_char * n).from_buffer(view) if n else None
                with _base.CtrlC(t):
                    st = lib.dbx_files_upload_buffer(self._ptr(), rpath, buf, n, ctypes.byref(opts))
                del buf
            view.release()
        elif hasattr(contents, "read"):
            t = _FileObjectSource(contents, progress)
            opts.progress = t.progress
            with _base.CtrlC(t):
                st = lib.dbx_files_upload(self._ptr(), rpath, ctypes.byref(t.src), ctypes.byref(opts))
        else:
            raise TypeError("contents must be a local path, bytes-like data or a binary file "
                            "object, not %s" % type(contents).__name__)
        t.finish(lib, self._client._ptr, st)

    # ---- download ---------------------------------------------------------------------------
    def download(self, path, destination=None, *, overwrite: bool = False,
                 max_resumes: Optional[int] = None,
                 progress: Optional[Callable[[int, Optional[int]], Any]] = None
                 ) -> Union[bytes, int]:
        """Download the remote ``path``.

        ``destination`` None returns the bytes. Otherwise the bytes are streamed (never the
        whole file in memory) to: a local path (``str``/``os.PathLike``; written beside it and
        renamed into place when complete, an existing file replaced only with
        ``overwrite=True``), a binary file object (its ``write``), or a callable receiving
        each piece as bytes; the number of bytes is returned. A dropped connection resumes
        where it stopped (at most ``max_resumes`` times, default 5; negative: never), and a
        file changed meanwhile raises :class:`~libdbx.Conflict`."""
        opts = _DownloadOptions()
        opts.version = 1
        opts.overwrite = 1 if overwrite else 0
        if max_resumes is not None:
            m = _int_arg(max_resumes, "max_resumes")
            opts.max_resumes = -1 if m <= 0 else m
        rpath = self._path(path)
        lib = self._lib
        if _is_local_path(destination):
            t = _Transfer(progress)
            opts.progress = t.progress
            with _base.CtrlC(t):
                st = lib.dbx_files_download_file(self._ptr(), rpath, os.fsencode(destination),
                                                 ctypes.byref(opts))
            t.finish(lib, self._client._ptr, st)
            return os.path.getsize(destination)
        if destination is None:
            t = _Sink(progress, chunks=[])
        elif hasattr(destination, "write"):
            if isinstance(destination, io.TextIOBase):
                raise TypeError("download needs a binary file object (open(..., 'wb')), not a text one")
            t = _Sink(progress, write=_write_all(destination))
        elif callable(destination):
            t = _Sink(progress, write=destination)
        else:
            raise TypeError("destination must be None, a local path, a binary file object or a "
                            "callable, not %s" % type(destination).__name__)
        opts.progress = t.progress
        with _base.CtrlC(t):
            st = lib.dbx_files_download(self._ptr(), rpath, t.sink, None, ctypes.byref(opts))
        t.finish(lib, self._client._ptr, st)
        if destination is None:
            return b"".join(t.chunks)
        return t.received

    # ---- metadata, delete -------------------------------------------------------------------
    def get_metadata(self, path) -> FileInfo:
        """HEAD a file: size, content type, last modification. Missing: NotFound."""
        lib = self._lib
        out = c_void_p()
        rpath = self._path(path)
        self._check(lib.dbx_files_get_metadata(ctypes.byref(out), self._ptr(), rpath))
        try:
            return FileInfo(
                path=_native.text(rpath), size=_opt_int(lib.dbx_file_info_size(out)),
                content_type=_native.text(lib.dbx_file_info_content_type(out)) or "",
                last_modified=_opt_int(lib.dbx_file_info_last_modified(out)),
                last_modified_str=_native.text(lib.dbx_file_info_last_modified_str(out)) or "")
        finally:
            lib.dbx_file_info_free(out)

    def exists(self, path) -> bool:
        """Whether the file exists (HEAD; only NotFound means False)."""
        try:
            self.get_metadata(path)
            return True
        except errors.NotFound:
            return False

    def delete(self, path) -> None:
        """Delete a file. Missing: NotFound."""
        self._check(self._lib.dbx_files_delete(self._ptr(), self._path(path)))

    # ---- directories ------------------------------------------------------------------------
    def create_directory(self, path) -> None:
        """Create a directory and its parents (an existing one is fine)."""
        self._check(self._lib.dbx_files_create_directory(self._ptr(), self._path(path)))

    def delete_directory(self, path) -> None:
        """Delete an empty directory. Missing: NotFound; not empty: the service's error."""
        self._check(self._lib.dbx_files_delete_directory(self._ptr(), self._path(path)))

    def get_directory_metadata(self, path) -> None:
        """HEAD a directory: returns when it exists, raises NotFound when not."""
        self._check(self._lib.dbx_files_get_directory_metadata(self._ptr(), self._path(path)))

    def directory_exists(self, path) -> bool:
        try:
            self.get_directory_metadata(path)
            return True
        except errors.NotFound:
            return False

    def list_directory_contents(self, path, *, page_size: Optional[int] = None,
                                max_items: Optional[int] = None) -> Iterator[DirectoryEntry]:
        """A directory's entries (not recursive), lazily, a page at a time. Nothing is sent
        before the first ``next()``; a missing directory raises NotFound from there."""
        o = _ListOptions()
        o.version = 1
        o.page_size = _int_arg(page_size, "page_size")
        o.max_items = _int_arg(max_items, "max_items")
        lib = self._lib

        def convert(e):
            return DirectoryEntry(
                path=_native.text(lib.dbx_directory_entry_path(e)),
                name=_native.text(lib.dbx_directory_entry_name(e)),
                is_directory=bool(lib.dbx_directory_entry_is_directory(e)),
                file_size=_opt_int(lib.dbx_directory_entry_file_size(e)),
                last_modified=_opt_int(lib.dbx_directory_entry_last_modified(e)),
                raw=json.loads(_native.text(lib.dbx_directory_entry_json(e)) or "{}"))

        it = _base.CIterator(self._client, lib.dbx_files_list_iter_next, lib.dbx_files_list_iter_free,
                             convert)
        return it._start(lib.dbx_files_list_directory(ctypes.byref(it._it), self._ptr(),
                                                      self._path(path), ctypes.byref(o)))

    list_directory = list_directory_contents
