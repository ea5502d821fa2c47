"""The Workspace API: ``client.workspace`` (notebooks, files and directories of the workspace
tree, ``/api/2.0/workspace/*``).

    ws = client.workspace
    ws.mkdirs("/Users/me/etl")
    ws.import_("/Users/me/etl/clean", b"print(1)\\n", language="PYTHON")
    for obj in ws.walk("/Users/me"):
        print(obj.depth, obj.object_type, obj.path)
    src = ws.export("/Users/me/etl/clean")           # bytes, with .file_type == "py"
    ws.export("/Users/me/etl/clean", to="clean.py")  # or a file object / a callable

Formats (``"SOURCE"``, ``"JUPYTER"``, ...) and languages (``"PYTHON"``, ...) are given as
strings, case-insensitive, and checked against libdbx's own spellings before any request.
"""

import ctypes
import dataclasses
import datetime
import json
import os
from typing import Any, Callable, Dict, Iterator, Optional

from . import _base, _native, errors

c_void_p, c_int, c_long, c_int64 = ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_int64
c_char_p, c_size_t, c_uint = ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint
POINTER = ctypes.POINTER

#: DBX_WORKSPACE_MAX_CONTENT_BYTES: the most bytes an import takes (10 MiB, decoded)
MAX_CONTENT_BYTES = 10 * 1024 * 1024

#: ``dbx_workspace_walk_fn``: int (*)(const dbx_workspace_object *, int depth, void *payload)
WALK_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_int, c_void_p)


class _ListOptions(ctypes.Structure):
    """``dbx_workspace_list_options`` version 1 (include/dbx/workspace.h)."""
    _fields_ = [("version", c_uint), ("notebooks_modified_after", c_int64)]


class _WalkOptions(ctypes.Structure):
    """``dbx_workspace_walk_options`` version 1."""
    _fields_ = [("version", c_uint), ("max_depth", c_int), ("max_objects", c_long),
                ("notebooks_modified_after", c_int64)]


class _ImportOptions(ctypes.Structure):
    """``dbx_workspace_import_options`` version 1 (enums are C ints)."""
    _fields_ = [("version", c_uint), ("format", c_int), ("language", c_int), ("overwrite", c_int)]


class _ExportOptions(ctypes.Structure):
    """``dbx_workspace_export_options`` version 1."""
    _fields_ = [("version", c_uint), ("format", c_int), ("overwrite", c_int)]


class _ExportDirOptions(ctypes.Structure):
    """``dbx_workspace_export_dir_options`` version 1."""
    _fields_ = [("version", c_uint), ("format", c_int), ("overwrite", c_int), ("max_depth", c_int),
                ("max_objects", c_long)]


class _ImportDirOptions(ctypes.Structure):
    """``dbx_workspace_import_dir_options`` version 1."""
    _fields_ = [("version", c_uint), ("overwrite", c_int), ("max_depth", c_int)]


#: the C functions this module calls (declared on first use by _native.declare)
PROTOS = [
    ("dbx_workspace_object_type_name", c_char_p, c_int),
    ("dbx_workspace_language_name", c_char_p, c_int),
    ("dbx_workspace_format_name", c_char_p, c_int),
    ("dbx_workspace_object_free", None, c_void_p),
    ("dbx_workspace_object_type", c_int, c_void_p),
    ("dbx_workspace_object_type_str", c_char_p, c_void_p),
    ("dbx_workspace_object_path", c_char_p, c_void_p),
    ("dbx_workspace_object_language", c_int, c_void_p),
    ("dbx_workspace_object_language_str", c_char_p, c_void_p),
    ("dbx_workspace_object_id", c_int64, c_void_p),
    ("dbx_workspace_object_created_at", c_int64, c_void_p),
    ("dbx_workspace_object_modified_at", c_int64, c_void_p),
    ("dbx_workspace_object_size", c_int64, c_void_p),
    ("dbx_workspace_object_resource_id", c_char_p, c_void_p),
    ("dbx_workspace_object_json", c_char_p, c_void_p),
    ("dbx_workspace_get_status", c_int, POINTER(c_void_p), c_void_p, c_char_p),
    ("dbx_workspace_mkdirs", c_int, c_void_p, c_char_p),
    ("dbx_workspace_delete", c_int, c_void_p, c_char_p, c_int),
    ("dbx_workspace_list", c_int, POINTER(c_void_p), c_void_p, c_char_p, POINTER(_ListOptions)),
    ("dbx_workspace_iter_next", c_int, POINTER(c_void_p), c_void_p),
    ("dbx_workspace_iter_free", None, c_void_p),
    ("dbx_workspace_walk", c_int, POINTER(c_void_p), c_void_p, c_char_p, POINTER(_WalkOptions)),
    ("dbx_workspace_walk_next", c_int, POINTER(c_void_p), POINTER(c_int), c_void_p),
    ("dbx_workspace_walk_free", None, c_void_p),
    ("dbx_workspace_walk_each", c_int, c_void_p, c_char_p, POINTER(_WalkOptions), WALK_FN, c_void_p),
    ("dbx_workspace_import", c_int, c_void_p, c_char_p, c_char_p, c_size_t, POINTER(_ImportOptions)),
    ("dbx_workspace_import_file", c_int, c_void_p, c_char_p, c_char_p, POINTER(_ImportOptions)),
    ("dbx_workspace_export", c_int, POINTER(c_void_p), POINTER(c_size_t), POINTER(c_void_p), c_void_p,
     c_char_p, POINTER(_ExportOptions)),
    ("dbx_workspace_export_file", c_int, POINTER(c_void_p), c_void_p, c_char_p, c_char_p,
     POINTER(_ExportOptions)),
    ("dbx_workspace_export_dir", c_int, c_void_p, c_char_p, c_char_p, POINTER(_ExportDirOptions)),
    ("dbx_workspace_import_dir", c_int, POINTER(c_long), c_void_p, c_char_p, c_char_p,
     POINTER(_ImportDirOptions)),
]

_LANGUAGE_NONE = 0  # DBX_WORKSPACE_LANGUAGE_NONE
_CHUNK = 1 << 20    # bytes handed to a file object / callable per write when exporting


def _einval(msg):
    return errors.InvalidArgument(msg, status=-2, status_name="DBX_EINVAL")


def _names(lib, fn, first, stop_at="UNKNOWN"):
    """{SERVER_SPELLING: enum value} read from libdbx's own name function (values from `first`
    until it answers "UNKNOWN" or "")."""
    table = {}
    for v in range(first, 64):
        name = _native.text(fn(v))
        if not name or name == stop_at:
            break
        table[name] = v
    return table


@dataclasses.dataclass(frozen=True)
class WorkspaceObject:
    """ObjectInfo: one object of the workspace tree. ``object_type`` and ``language`` are the
    server's spellings (a value libdbx does not know is kept as sent); ``raw`` holds the whole
    answer for fields without an attribute. Times are epoch milliseconds."""
    path: str
    object_type: str                 # "DIRECTORY", "NOTEBOOK", "FILE", "LIBRARY", "REPO", ...
    object_id: int
    resource_id: str
    language: Optional[str]          # notebooks: "PYTHON", "SCALA", "SQL", "R"; else None
    created_at: Optional[int]
    modified_at: Optional[int]
    size: Optional[int]              # files
    #: a walk's depth (1 for the root's entries, 0 for a walked non-directory); None elsewhere
    depth: Optional[int] = None
    raw: Dict[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @property
    def is_directory(self) -> bool:
        return self.object_type in ("DIRECTORY", "REPO")

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @classmethod
    def _from_c(cls, lib, p, depth=None):
        """Built from a borrowed C object (typed values from the C accessors, which read
        int64 given as numbers or decimal strings)."""
        raw = json.loads(_native.text(lib.dbx_workspace_object_json(p)) or "{}")
        lang = None
        if lib.dbx_workspace_object_language(p) != _LANGUAGE_NONE:
            lang = _native.text(lib.dbx_workspace_object_language_str(p))
        otype = lib.dbx_workspace_object_type(p)
        type_text = _native.text(lib.dbx_workspace_object_type_str(p))
        if otype != 0 and not type_text:  # defensive: a known type always has its text
            type_text = _native.text(lib.dbx_workspace_object_type_name(otype))
        return cls(
            path=_native.text(lib.dbx_workspace_object_path(p)),
            object_type=type_text,
            object_id=lib.dbx_workspace_object_id(p),
            resource_id=_native.text(lib.dbx_workspace_object_resource_id(p)),
            language=lang,
            created_at=lib.dbx_workspace_object_created_at(p) if "created_at" in raw else None,
            modified_at=lib.dbx_workspace_object_modified_at(p) if "modified_at" in raw else None,
            size=lib.dbx_workspace_object_size(p) if "size" in raw else None,
            depth=depth, raw=raw)


class Exported(bytes):
    """What :meth:`WorkspaceAPI.export` returns: the exported bytes, with the server's
    ``file_type`` ("py", "ipynb", "html", "zip", ...; "" when absent)."""

    file_type = ""

    def __new__(cls, data, file_type):
        self = super().__new__(cls, data)
        self.file_type = file_type
        return self

    def __reduce__(self):
        return (Exported, (bytes(self), self.file_type))


def _epoch_ms(v, name):
    if v is None:
        return 0
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            raise _einval("%s: a datetime needs a time zone" % name)
        return int(v.timestamp() * 1000)
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise _einval("%s must be epoch milliseconds (int >= 0) or an aware datetime" % name)
    return v


def _count(v, name, ctype_max):
    if v is None:
        return 0
    if isinstance(v, bool) or not isinstance(v, int) or v <= 0 or v > ctype_max:
        raise _einval("%s must be a positive int (or None for the default)" % name)
    return v


_INT_MAX = 2 ** 31 - 1
_LONG_MAX = 2 ** (8 * ctypes.sizeof(c_long) - 1) - 1


class WorkspaceAPI(_base.Area):
    """Notebooks, files and directories (``/api/2.0/workspace/*``)."""

    PROTOS = PROTOS

    def __init__(self, client):
        super().__init__(client)
        lib = self._lib
        # the server spellings, from libdbx itself
        self.FORMATS = _names(lib, lib.dbx_workspace_format_name, 1)
        self.LANGUAGES = _names(lib, lib.dbx_workspace_language_name, 1)
        self.OBJECT_TYPES = _names(lib, lib.dbx_workspace_object_type_name, 1)

    # ---- helpers ----------------------------------------------------------------------------
    def _enum(self, value, table, what):
        if value is None:
            return 0
        key = value.upper() if isinstance(value, str) else value
        if key not in table:
            raise _einval("unknown %s %r (one of %s)" % (what, value, ", ".join(table)))
        return table[key]

    def _obj(self, p, depth=None):
        return WorkspaceObject._from_c(self._lib, p, depth)

    # ---- simple operations ------------------------------------------------------------------
    def get_status(self, path) -> WorkspaceObject:
        """The ObjectInfo of ``path``; :class:`~libdbx.errors.NotFound` when missing."""
        lib = self._lib
        out = c_void_p()
        self._check(lib.dbx_workspace_get_status(ctypes.byref(out), self._ptr(), _native.arg(path, "path")))
        try:
            return self._obj(out)
        finally:
            lib.dbx_workspace_object_free(out)

    def exists(self, path) -> bool:
        """Whether ``path`` exists (a get-status that maps NotFound to False)."""
        try:
            self.get_status(path)
            return True
        except errors.NotFound:
            return False

    def mkdirs(self, path) -> None:
        """Create a directory and its missing parents (idempotent)."""
        self._check(self._lib.dbx_workspace_mkdirs(self._ptr(), _native.arg(path, "path")))

    def delete(self, path, recursive=False) -> None:
        """Delete an object; a non-empty directory needs ``recursive=True`` (else
        :class:`~libdbx.errors.BadRequest` with ``error_code`` DIRECTORY_NOT_EMPTY)."""
        self._check(self._lib.dbx_workspace_delete(self._ptr(), _native.arg(path, "path"), 1 if recursive else 0))

    # ---- listing ----------------------------------------------------------------------------
    def list(self, path, *, notebooks_modified_after=None) -> Iterator[WorkspaceObject]:
        """A directory's objects, lazily (no request until the first item). Listing a notebook
        or file yields that object. ``notebooks_modified_after``: epoch ms or an aware datetime."""
        o = _ListOptions(1, _epoch_ms(notebooks_modified_after, "notebooks_modified_after"))
        lib = self._lib
        it = _base.CIterator(self._client, lib.dbx_workspace_iter_next, lib.dbx_workspace_iter_free, self._obj)
        return it._start(lib.dbx_workspace_list(ctypes.byref(it._it), self._ptr(), _native.arg(path, "path"),
                                                ctypes.byref(o)))

    def _walk_opts(self, max_depth, max_objects, notebooks_modified_after):
        return _WalkOptions(1, _count(max_depth, "max_depth", _INT_MAX),
                            _count(max_objects, "max_objects", _LONG_MAX),
                            _epoch_ms(notebooks_modified_after, "notebooks_modified_after"))

    def walk(self, path, *, max_depth=None, max_objects=None,
             notebooks_modified_after=None) -> Iterator[WorkspaceObject]:
        """Every object below ``path``, lazily, one list call per directory: a directory's
        entries sorted by path, then each subdirectory, depth first. Each object's ``depth`` is
        set (1 for the root's entries). The root is not yielded unless it is not a directory.
        ``max_depth`` stops descending (like find -maxdepth); more than ``max_objects`` listed
        raises :class:`~libdbx.errors.TooLarge`. Stop early with ``close()`` or ``break``."""
        o = self._walk_opts(max_depth, max_objects, notebooks_modified_after)
        lib = self._lib
        depth = c_int()

        def next_fn(item_ref, it):
            return lib.dbx_workspace_walk_next(item_ref, ctypes.byref(depth), it)

        it = _base.CIterator(self._client, next_fn, lib.dbx_workspace_walk_free,
                             lambda p: self._obj(p, depth.value))
        return it._start(lib.dbx_workspace_walk(ctypes.byref(it._it), self._ptr(), _native.arg(path, "path"),
                                                ctypes.byref(o)))

    def walk_each(self, path, fn: Callable[[WorkspaceObject], Any], *, max_depth=None, max_objects=None,
                  notebooks_modified_after=None) -> bool:
        """The walk with a callback: ``fn(obj)`` for each object (``obj.depth`` set); a truthy
        return stops the walk. Returns True when the whole tree was visited, False when ``fn``
        stopped it. An exception raised by ``fn`` (KeyboardInterrupt included) stops the walk
        and is re-raised here once libdbx has returned."""
        if not callable(fn):
            raise TypeError("fn must be callable")
        o = self._walk_opts(max_depth, max_objects, notebooks_modified_after)
        lib = self._lib
        class _State:  # .pending is also where CtrlC records a Ctrl-C that arrives in C
            pending = None
            stopped = False

        state = _State()

        def on_obj(p, depth, payload):
            if state.pending is not None:
                return 1
            try:
                if fn(self._obj(p, depth)):
                    state.stopped = True
                    return 1
                return 0
            except BaseException as exc:  # noqa: B902 - re-raised after the C call returns
                state.pending = exc
                return 1

        cb = WALK_FN(on_obj)  # alive for the whole call
        with _base.CtrlC(state):
            st = lib.dbx_workspace_walk_each(self._ptr(), _native.arg(path, "path"), ctypes.byref(o), cb, None)
        if state.pending is not None:
            exc, state.pending = state.pending, None
            raise exc
        if st == -7 and state.stopped:  # DBX_ECANCELLED because fn asked to stop
            return False
        self._check(st)
        return True

    # ---- import -----------------------------------------------------------------------------
    def _import_opts(self, format, language, overwrite):
        return _ImportOptions(1, self._enum(format, self.FORMATS, "format"),
                              self._enum(language, self.LANGUAGES, "language"), 1 if overwrite else 0)

    def import_(self, path, content, *, format=None, language=None, overwrite=False) -> None:
        """Import a notebook or file at ``path`` (its parent must exist).

        ``content`` is bytes (a bytes-like object), a binary file object (read here, at most
        10 MiB + 1 byte), or a local path (str / os.PathLike, read by libdbx). To import text,
        pass ``text.encode()``. ``format``: "SOURCE" (default on the server; needs
        ``language`` "PYTHON" / "SCALA" / "SQL" / "R"), "JUPYTER", "RAW" (a file), "AUTO", "HTML",
        "R_MARKDOWN" or "DBC". Without ``overwrite`` an existing path raises
        :class:`~libdbx.errors.AlreadyExists`. More than 10 MiB raises InvalidArgument before any
        request."""
        o = self._import_opts(format, language, overwrite)
        lib = self._lib
        p = _native.arg(path, "path")
        if isinstance(content, (str, os.PathLike)):
            local = os.fsencode(content)
            self._check(lib.dbx_workspace_import_file(self._ptr(), p, local, ctypes.byref(o)))
            return
        if hasattr(content, "read"):
            data = _read_bounded(content, MAX_CONTENT_BYTES + 1)  # one byte more: libdbx refuses it
        elif isinstance(content, (bytes, bytearray, memoryview)):
            data = bytes(content)
        else:
            raise TypeError("content must be bytes, a binary file object or a local path, not %s"
                            % type(content).__name__)
        self._check(lib.dbx_workspace_import(self._ptr(), p, data, len(data), ctypes.byref(o)))

    upload = import_

    # ---- export -----------------------------------------------------------------------------
    def export(self, path, *, format=None, to=None, overwrite=False):
        """Export a notebook, file or directory (a directory as "SOURCE"/"AUTO" zip or "DBC").

        Without ``to``: returns :class:`Exported` (bytes with ``.file_type``). With ``to``:
        a local path (str / os.PathLike: written beside it and renamed over it when complete;
        an existing file needs ``overwrite=True``), a binary file object (``write``), or a
        callable called with successive chunks of bytes; then the ``file_type`` is returned."""
        lib = self._lib
        o = _ExportOptions(1, self._enum(format, self.FORMATS, "format"), 1 if overwrite else 0)
        p = _native.arg(path, "path")
        if isinstance(to, (str, os.PathLike)):
            ft = c_void_p()
            self._check(lib.dbx_workspace_export_file(ctypes.byref(ft), self._ptr(), p, os.fsencode(to),
                                                      ctypes.byref(o)))
            return _native.take_string(lib, ft.value) or ""
        if to is not None and not hasattr(to, "write") and not callable(to):
            raise TypeError("to must be a path, a binary file object or a callable")
        data, n, ft = c_void_p(), c_size_t(), c_void_p()
        self._check(lib.dbx_workspace_export(ctypes.byref(data), ctypes.byref(n), ctypes.byref(ft),
                                             self._ptr(), p, ctypes.byref(o)))
        try:
            file_type = _native.take_string(lib, ft.value) or ""
            if to is None:
                return Exported(ctypes.string_at(data, n.value) if n.value else b"", file_type)
            write = to.write if hasattr(to, "write") else to
            for off in range(0, n.value, _CHUNK):  # one chunk copied at a time
                write(ctypes.string_at(data.value + off, min(_CHUNK, n.value - off)))
            return file_type
        finally:
            lib.dbx_free(data)

    download = export

    # ---- directory trees --------------------------------------------------------------------
    def export_dir(self, remote_dir, local_dir, *, format=None, overwrite=False, max_depth=None,
                   max_objects=None) -> None:
        """Export a workspace tree into ``local_dir`` (created when missing): a local directory
        per directory, a file per notebook (named with the CLI's extensions: ".py", ".ipynb",
        ...) and per file. A hostile listing cannot write outside ``local_dir``
        (:class:`~libdbx.errors.BadResponse`). Not atomic."""
        o = _ExportDirOptions(1, self._enum(format, self.FORMATS, "format"), 1 if overwrite else 0,
                              _count(max_depth, "max_depth", _INT_MAX),
                              _count(max_objects, "max_objects", _LONG_MAX))
        self._check(self._lib.dbx_workspace_export_dir(self._ptr(), _native.arg(remote_dir, "remote_dir"),
                                                       os.fsencode(local_dir), ctypes.byref(o)))

    def import_dir(self, local_dir, remote_dir, *, overwrite=False, max_depth=None) -> int:
        """Import a local tree under ``remote_dir`` (created with its parents); source files
        with the Databricks header and ".ipynb" files become notebooks, other files are imported
        as they are. Returns how many notebooks and files were imported. Not atomic."""
        o = _ImportDirOptions(1, 1 if overwrite else 0, _count(max_depth, "max_depth", _INT_MAX))
        n = c_long()
        self._check(self._lib.dbx_workspace_import_dir(ctypes.byref(n), self._ptr(), os.fsencode(local_dir),
                                                       _native.arg(remote_dir, "remote_dir"), ctypes.byref(o)))
        return n.value


def _read_bounded(f, limit):
    """Up to ``limit`` bytes of a binary file object, read in chunks."""
    parts, total = [], 0
    while total < limit:
        chunk = f.read(min(_CHUNK, limit - total))
        if not chunk:
            break
        if isinstance(chunk, str):
            raise TypeError("content: the file object must be opened in binary mode")
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)
