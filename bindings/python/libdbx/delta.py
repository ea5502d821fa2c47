"""Delta table helpers: ``client.delta``.

    d = client.delta.using("5eedc0ffee000001", catalog="main", schema="default")
    d.create_table("events", [("id", "BIGINT", {"nullable": False}), ("name", "STRING")],
                   comment="raw events", if_not_exists=True)
    n = d.load_file("events", "events.csv", "/Volumes/main/default/landing",
                    format_options={"header": "true"})
    d.append("events", [(1, "a"), (2, "b")], columns=["id", "name"])
    d.upsert("events", [{"id": 2, "name": "B"}], keys=["id"])
    for row in d.read("events", version=1):   # lazy Row tuples, as client.sql returns them
        print(row.id, row["name"])
    for h in d.history("events"):
        print(h.version, h.operation, h.timestamp)
    d.optimize("events", zorder_by=["id"]); d.vacuum("events", retain_hours=168)

Nothing of the caller's text is spliced into SQL: names are validated and quoted by libdbx
(:meth:`DeltaAPI.quote_name`), SQL types parsed by an allow-list grammar, comments, properties
and paths escaped as string literals, and row values are named, typed parameters. Row values
take their SQL type from the Python type: ``int`` BIGINT, ``float`` DOUBLE, ``bool`` BOOLEAN,
``decimal.Decimal`` DECIMAL(p,s), ``str`` STRING, ``datetime.datetime`` TIMESTAMP,
``datetime.date`` DATE, ``bytes`` BINARY (UTF-8 text cast by the server), ``None`` SQL NULL;
``types={"col": "DECIMAL(10,2)"}`` sets a column's type explicitly.

Every call runs its statements on a SQL warehouse and waits for each (``timeout`` seconds per
statement, ``progress(statement_id, state)`` after every poll, Ctrl-C stops the wait). The
warehouse and the defaults (catalog, schema, timeout, ...) come from :meth:`DeltaAPI.using`
or are given to each call as keywords.
"""

import ctypes
import dataclasses
import datetime
import decimal
import json
import os
from typing import Any, Dict, Iterable, List, Optional

from . import _base, _native, errors, sql

c_void_p, c_int, c_uint, c_long = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_long
c_char_p, c_size_t, c_int64, c_double = ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int64, ctypes.c_double
POINTER = ctypes.POINTER
WaitOptions = _native.WaitOptions
PROGRESS_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_int64, c_int64)  # dbx_files_progress_fn


class _Options(ctypes.Structure):
    """``dbx_delta_options`` version 1 (include/dbx/delta.h; append-only)."""
    _fields_ = [
        ("version", c_uint), ("catalog", c_char_p), ("schema", c_char_p),
        ("wait", POINTER(WaitOptions)), ("batch_rows", c_long), ("max_statement_bytes", c_long),
        ("cancel_on_wait_end", c_int),
    ]


class _KV(ctypes.Structure):
    """``dbx_delta_kv``."""
    _fields_ = [("key", c_char_p), ("value", c_char_p)]


class _UploadOptions(ctypes.Structure):
    """``dbx_files_upload_options`` version 1 (include/dbx/files.h; append-only)."""
    _fields_ = [
        ("version", c_uint), ("overwrite", c_int), ("multipart_threshold", c_int64),
        ("part_size", c_int64), ("progress", PROGRESS_FN), ("progress_payload", c_void_p),
    ]


class _LoadOptions(ctypes.Structure):
    """``dbx_delta_load_options`` version 1 (include/dbx/delta.h; append-only)."""
    _fields_ = [
        ("version", c_uint), ("format", c_int),
        ("format_options", POINTER(_KV)), ("n_format_options", c_size_t),
        ("copy_options", POINTER(_KV)), ("n_copy_options", c_size_t),
        ("keep_staged_file", c_int), ("upload", POINTER(_UploadOptions)),
    ]


class _ReadOptions(ctypes.Structure):
    """``dbx_delta_read_options`` version 1 (include/dbx/delta.h; append-only)."""
    _fields_ = [
        ("version", c_uint), ("as_of", c_int), ("table_version", c_int64),
        ("timestamp", c_char_p), ("columns", POINTER(c_char_p)), ("n_columns", c_size_t),
        ("limit", c_int64), ("execute", POINTER(sql._ExecuteOptions)),
        ("rows", POINTER(sql._RowsOptions)),
    ]


P = POINTER(c_void_p)
#: the C functions this module calls (declared on first use by _native.declare)
PROTOS = [
    ("dbx_delta_quote_name", c_int, P, c_char_p),
    ("dbx_delta_quote_column", c_int, P, c_char_p),
    ("dbx_delta_quote_literal", c_int, P, c_char_p),
    ("dbx_delta_options_init", None, POINTER(_Options)),
    ("dbx_delta_table_spec_new", c_int, P),
    ("dbx_delta_table_spec_free", None, c_void_p),
    ("dbx_delta_table_spec_add_column", c_int, c_void_p, c_char_p, c_char_p, c_int, c_char_p),
    ("dbx_delta_table_spec_add_columns", c_int, c_void_p, c_char_p),
    ("dbx_delta_table_spec_add_partition_column", c_int, c_void_p, c_char_p),
    ("dbx_delta_table_spec_set_comment", c_int, c_void_p, c_char_p),
    ("dbx_delta_table_spec_set_property", c_int, c_void_p, c_char_p, c_char_p),
    ("dbx_delta_table_spec_set_if_not_exists", c_int, c_void_p, c_int),
    ("dbx_delta_table_spec_to_sql", c_int, P, c_void_p, c_char_p),
    ("dbx_delta_create_table", c_int, c_void_p, c_char_p, c_char_p, c_void_p, POINTER(_Options)),
    ("dbx_delta_load_options_init", None, POINTER(_LoadOptions)),
    ("dbx_delta_load_file", c_int, POINTER(c_int64), P, c_void_p, c_char_p, c_char_p, c_char_p,
     c_char_p, POINTER(_LoadOptions), POINTER(_Options)),
    ("dbx_delta_rowset_new", c_int, P, POINTER(c_char_p), c_size_t),
    ("dbx_delta_rowset_free", None, c_void_p),
    ("dbx_delta_rowset_count", c_size_t, c_void_p),
    ("dbx_delta_rowset_clear", None, c_void_p),
    ("dbx_delta_rowset_add_null", c_int, c_void_p),
    ("dbx_delta_rowset_add_string", c_int, c_void_p, c_char_p),
    ("dbx_delta_rowset_add_int64", c_int, c_void_p, c_int64),
    ("dbx_delta_rowset_add_double", c_int, c_void_p, c_double),
    ("dbx_delta_rowset_add_bool", c_int, c_void_p, c_int),
    ("dbx_delta_rowset_add_value", c_int, c_void_p, c_char_p, c_char_p),
    ("dbx_delta_rowset_end_row", c_int, c_void_p),
    ("dbx_delta_append", c_int, POINTER(c_int64), c_void_p, c_char_p, c_char_p, c_void_p, POINTER(_Options)),
    ("dbx_delta_upsert", c_int, POINTER(c_int64), c_void_p, c_char_p, c_char_p, POINTER(c_char_p), c_size_t,
     c_void_p, POINTER(_Options)),
    ("dbx_delta_read_options_init", None, POINTER(_ReadOptions)),
    ("dbx_delta_read", c_int, P, c_void_p, c_char_p, c_char_p, POINTER(_ReadOptions), POINTER(_Options)),
    ("dbx_delta_describe_history", c_int, P, c_void_p, c_char_p, c_char_p, c_int64, POINTER(_Options)),
    ("dbx_delta_history_free", None, c_void_p),
    ("dbx_delta_history_count", c_size_t, c_void_p),
    ("dbx_delta_history_version", c_int64, c_void_p, c_size_t),
    ("dbx_delta_history_timestamp", c_char_p, c_void_p, c_size_t),
    ("dbx_delta_history_timestamp_ms", c_int64, c_void_p, c_size_t),
    ("dbx_delta_history_operation", c_char_p, c_void_p, c_size_t),
    ("dbx_delta_history_user", c_char_p, c_void_p, c_size_t),
    ("dbx_delta_history_operation_parameters", c_char_p, c_void_p, c_size_t),
    ("dbx_delta_history_operation_metrics", c_char_p, c_void_p, c_size_t),
    ("dbx_delta_optimize", c_int, c_void_p, c_char_p, c_char_p, POINTER(c_char_p), c_size_t, POINTER(_Options)),
    ("dbx_delta_vacuum", c_int, c_void_p, c_char_p, c_char_p, c_int64, POINTER(_Options)),
    ("dbx_sql_rows_statement", c_void_p, c_void_p),
]

FORMATS = {"CSV": 1, "JSON": 2, "PARQUET": 3}
AS_OF_LATEST, AS_OF_VERSION, AS_OF_TIMESTAMP = 0, 1, 2
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_UTC = datetime.timezone.utc
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=_UTC)

#: keyword options every call takes (defaults from DeltaAPI.using)
_COMMON = ("warehouse_id", "catalog", "schema", "timeout", "progress", "poll_interval", "poll_max",
           "cancel_on_wait_end")
_BATCH = ("batch_rows", "max_statement_bytes")


def _invalid(msg):
    return errors.InvalidArgument(msg, status=-2, status_name="DBX_EINVAL")


def _strings(values, what):
    """A list of str as a C ``const char *const *`` (array, count); None / [] -> (None, 0)."""
    if values is None:
        return None, 0
    if isinstance(values, (str, bytes)):
        values = [values]
    items = [_native.arg(v, what) for v in values]
    if not items:
        return None, 0
    return (c_char_p * len(items))(*items), len(items)


def _kvs(pairs, what):
    if not pairs:
        return None, 0
    items = list(pairs.items()) if isinstance(pairs, dict) else list(pairs)
    arr = (_KV * len(items))()
    for i, (k, v) in enumerate(items):
        if isinstance(v, bool):
            v = "true" if v else "false"
        elif isinstance(v, (int, float)):
            v = str(v)
        arr[i].key = _native.arg(k, what + " key")
        arr[i].value = _native.arg(v, what + " value")
    return arr, len(items)


# ---- results ---------------------------------------------------------------------------

class RowsLoaded(int):
    """The rows a COPY INTO loaded (``num_affected_rows``; -1 when the server reported none),
    an ``int`` that also carries ``staged_path``, the file staged in the volume (deleted
    after the load unless ``keep_staged_file=True``)."""

    staged_path: Optional[str] = None

    def __new__(cls, n, staged_path=None):
        obj = super().__new__(cls, n)
        obj.staged_path = staged_path
        return obj

    def __repr__(self):
        return "RowsLoaded(%d, staged_path=%r)" % (int(self), self.staged_path)


@dataclasses.dataclass(frozen=True)
class HistoryEntry:
    """One commit of ``DESCRIBE HISTORY`` (newest first)."""
    version: int
    #: the commit time (UTC), None when the server sent none
    timestamp: Optional[datetime.datetime]
    #: "CREATE TABLE", "WRITE", "MERGE", "OPTIMIZE", "VACUUM START", ...
    operation: str
    #: userName, or userId when the server sent no name
    user: str
    operation_parameters: Dict[str, Any]
    operation_metrics: Dict[str, Any]
    #: the commit time as the server wrote it
    timestamp_text: str = dataclasses.field(default="", repr=False)


# ---- table specs ---------------------------------------------------------------------------

class TableSpec:
    """A table definition built through libdbx (every string checked when added; nothing of it
    is sent as written). Used by :meth:`DeltaAPI.create_table`, or alone to see the
    statement (:meth:`to_sql`). ``columns``: column-spec text ("id BIGINT NOT NULL, ...") or a
    list whose items are such text, ``(name, type)``, ``(name, type, {"nullable": False,
    "comment": "..."})`` or dicts ``{"name", "type", "nullable", "comment"}``."""

    def __init__(self, columns=None, *, partitioned_by=None, comment=None, properties=None,
                 if_not_exists=False, library=None):
        self._lib = lib = library or _native.load()
        _native.declare(lib, PROTOS)
        p = c_void_p()
        errors.check(lib, None, lib.dbx_delta_table_spec_new(ctypes.byref(p)))
        self._ptr = p
        if columns is not None:
            self.add_columns(columns)
        for name in ([partitioned_by] if isinstance(partitioned_by, str) else partitioned_by or ()):
            self.partition_by(name)
        if comment is not None:
            self.comment(comment)
        for k, v in (properties or {}).items():
            self.property(k, v)
        if if_not_exists:
            self.if_not_exists()

    def _call(self, fn, *args):
        if not self._ptr:
            raise _invalid("the table spec is freed")
        errors.check(self._lib, None, fn(self._ptr, *args))
        return self

    def add_column(self, name, type, *, nullable=True, comment=None) -> "TableSpec":
        """One column: its raw name (quoted by libdbx) and a type of the allow-list."""
        return self._call(self._lib.dbx_delta_table_spec_add_column, _native.arg(name, "name"),
                          _native.arg(type, "type"), 0 if nullable else 1, _native.arg(comment, "comment"))

    def add_columns(self, columns) -> "TableSpec":
        """Column-spec text, or a list of column definitions (see the class)."""
        if isinstance(columns, (str, bytes)):
            return self._call(self._lib.dbx_delta_table_spec_add_columns, _native.arg(columns, "columns"))
        for col in columns:
            if isinstance(col, (str, bytes)):
                self.add_columns(col)
            elif isinstance(col, dict):
                unknown = set(col) - {"name", "type", "nullable", "comment"}
                if unknown:
                    raise TypeError("unknown column key(s): %s" % ", ".join(sorted(unknown)))
                self.add_column(col.get("name"), col.get("type"), nullable=col.get("nullable", True),
                                comment=col.get("comment"))
            elif isinstance(col, (tuple, list)) and len(col) in (2, 3):
                extra = dict(col[2]) if len(col) == 3 and col[2] is not None else {}
                unknown = set(extra) - {"nullable", "comment"}
                if unknown:
                    raise TypeError("unknown column option(s): %s" % ", ".join(sorted(unknown)))
                self.add_column(col[0], col[1], **extra)
            else:
                raise TypeError("a column is column-spec text, (name, type[, {options}]) or a dict, not %r"
                                % (col,))
        return self

    def partition_by(self, name) -> "TableSpec":
        return self._call(self._lib.dbx_delta_table_spec_add_partition_column, _native.arg(name, "partition column"))

    def comment(self, text) -> "TableSpec":
        """The table COMMENT (None clears it)."""
        return self._call(self._lib.dbx_delta_table_spec_set_comment, _native.arg(text, "comment"))

    def property(self, key, value) -> "TableSpec":
        """One TBLPROPERTIES entry (bool values as "true" / "false")."""
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (int, float)):
            value = str(value)
        return self._call(self._lib.dbx_delta_table_spec_set_property, _native.arg(key, "property key"),
                          _native.arg(value, "property value"))

    def if_not_exists(self, flag=True) -> "TableSpec":
        return self._call(self._lib.dbx_delta_table_spec_set_if_not_exists, 1 if flag else 0)

    def to_sql(self, table) -> str:
        """The CREATE TABLE statement libdbx sends for ``table``."""
        out = c_void_p()
        self._call(lambda p, *a: self._lib.dbx_delta_table_spec_to_sql(ctypes.byref(out), p, *a),
                   _native.arg(table, "table"))
        return _native.take_string(self._lib, out.value)

    def close(self):
        if self._ptr:
            self._lib.dbx_delta_table_spec_free(self._ptr)
            self._ptr = c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass


# ---- row values -----------------------------------------------------------------------------

def _decimal_type(d):
    sign, digits, exp = d.as_tuple()
    if not isinstance(exp, int):
        raise _invalid("a DECIMAL value must be finite, not %s" % d)
    scale = max(0, -exp)
    precision = max(len(digits) + max(exp, 0), scale, 1)
    if precision > 38:
        raise _invalid("a DECIMAL value has at most 38 digits: %s" % d)
    return "DECIMAL(%d,%d)" % (precision, scale)


def _timestamp_text(v):
    if v.tzinfo is not None:
        return v.astimezone(_UTC).replace(tzinfo=None).isoformat() + "Z"
    return v.isoformat()


def _value_text(v, column):
    """A value as (text, SQL type or None) for dbx_delta_rowset_add_value."""
    if v is None:
        return None, None
    if isinstance(v, bool):
        return ("true" if v else "false"), "BOOLEAN"
    if isinstance(v, int):
        return str(v), "BIGINT" if _INT64_MIN <= v <= _INT64_MAX else "DECIMAL(38,0)"
    if isinstance(v, decimal.Decimal):
        return str(v), _decimal_type(v)
    if isinstance(v, float):
        return repr(v), "DOUBLE"
    if isinstance(v, datetime.datetime):
        return _timestamp_text(v), "TIMESTAMP"
    if isinstance(v, datetime.date):
        return v.isoformat(), "DATE"
    if isinstance(v, (bytes, bytearray, memoryview)):
        return _binary_text(bytes(v), column), "BINARY"
    if isinstance(v, str):
        return v, "STRING"
    raise TypeError("column %r: no SQL type for a %s (give types={%r: \"TYPE\"} and a str)"
                    % (column, type(v).__name__, column))


def _binary_text(b, column):
    # A BINARY parameter is text the server casts (CAST(STRING AS BINARY): its UTF-8 bytes).
    if b"\0" in b:
        raise _invalid("column %r: a BINARY value cannot hold NUL bytes (it is sent as text)" % column)
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        raise _invalid("column %r: a BINARY value must be valid UTF-8 (it is sent as text the "
                       "server casts to BINARY)" % column) from None


class _RowSet:
    """A C ``dbx_delta_rowset`` for one call, filled from Python rows."""

    def __init__(self, lib, columns, types):
        self._lib = lib
        arr, n = _strings(columns, "column")
        if n == 0:
            raise _invalid("no columns: give columns=[...] (or rows as dicts)")
        p = c_void_p()
        errors.check(lib, None, lib.dbx_delta_rowset_new(ctypes.byref(p), arr, n))
        self.ptr = p
        self.columns = list(columns)
        self.types = [None] * n
        for k, t in (types or {}).items():
            if k not in self.columns:
                raise _invalid("types: %r is not one of the columns" % (k,))
            self.types[self.columns.index(k)] = _native.arg(t, "type")
        self._index = {c: i for i, c in enumerate(self.columns)}
        lib_ = lib
        self._f = (lib_.dbx_delta_rowset_add_null, lib_.dbx_delta_rowset_add_string,
                   lib_.dbx_delta_rowset_add_int64, lib_.dbx_delta_rowset_add_double,
                   lib_.dbx_delta_rowset_add_bool, lib_.dbx_delta_rowset_add_value)

    def add(self, row):
        lib = self._lib
        n = len(self.columns)
        if isinstance(row, dict):
            unknown = [k for k in row if k not in self._index]
            if unknown:
                raise _invalid("row has column(s) not in columns: %s" % ", ".join(map(repr, unknown)))
            values = [row.get(c) for c in self.columns]
        else:
            values = tuple(row)
            if len(values) != n:
                raise _invalid("a row has %d values for %d columns" % (len(values), n))
        add_null, add_str, add_i64, add_dbl, add_bool, add_value = self._f
        p = self.ptr
        for i, v in enumerate(values):
            t = self.types[i]
            if t is not None:  # the caller's type: the value as text
                text, _ = _value_text(v, self.columns[i])
                st = add_value(p, None if text is None else text.encode("utf-8"), t)
            elif v is None:
                st = add_null(p)
            elif isinstance(v, bool):
                st = add_bool(p, 1 if v else 0)
            elif isinstance(v, int) and _INT64_MIN <= v <= _INT64_MAX:
                st = add_i64(p, v)
            elif isinstance(v, float):
                st = add_dbl(p, v)
            elif isinstance(v, str):
                st = add_str(p, v.encode("utf-8"))
            else:
                text, typ = _value_text(v, self.columns[i])
                st = add_value(p, text.encode("utf-8"), typ.encode())
            if st < 0:
                raise errors.from_last(lib, None, st)
        errors.check(lib, None, lib.dbx_delta_rowset_end_row(p))

    def __len__(self):
        return self._lib.dbx_delta_rowset_count(self.ptr)

    def clear(self):
        self._lib.dbx_delta_rowset_clear(self.ptr)

    def close(self):
        if self.ptr:
            self._lib.dbx_delta_rowset_free(self.ptr)
            self.ptr = c_void_p()


def _first_and_columns(rows, columns):
    """(iterator over every row, the column names): names from ``columns``, else from the first
    row (a dict's keys, a sql.Row's fields)."""
    it = iter(rows)
    if columns is not None:
        if isinstance(columns, str):
            columns = [columns]
        return it, list(columns)
    try:
        first = next(it)
    except StopIteration:
        return iter(()), None
    if isinstance(first, dict):
        names = list(first.keys())
    elif isinstance(first, sql.Row) or hasattr(first, "_fields"):
        names = list(first._fields)
    else:
        raise _invalid("rows given as tuples need columns=[...]")

    def chain():
        yield first
        yield from it
    return chain(), names


# ---- the API ---------------------------------------------------------------------------------

class _Call(_base.Waiter):
    """The dbx_delta_options of one call: its waiter (timeout, progress, Ctrl-C) and, for a
    load, the upload's progress callback (stopping on the same pending exception)."""

    def __init__(self, lib, o, upload_progress=None):
        super().__init__(lib, o.get("timeout"), o.get("progress"), o.get("poll_interval"), o.get("poll_max"))
        self._lib = lib
        self.c = _Options()
        lib.dbx_delta_options_init(ctypes.byref(self.c))
        self.c.catalog = _native.arg(o.get("catalog"), "catalog")
        self.c.schema = _native.arg(o.get("schema"), "schema")
        self.c.wait = ctypes.pointer(self.opts)
        self.c.batch_rows = int(o.get("batch_rows") or 0)
        self.c.max_statement_bytes = int(o.get("max_statement_bytes") or 0)
        self.c.cancel_on_wait_end = 1 if o.get("cancel_on_wait_end") else 0
        self.upload_progress = upload_progress

        def on_upload(payload, done, total):
            if self.pending is not None:
                return 1
            try:
                if self.upload_progress is not None:
                    self.upload_progress(int(done), None if total < 0 else int(total))
                return 0
            except BaseException as exc:  # noqa: B902 - KeyboardInterrupt must stop the upload
                self.pending = exc
                return 1

        self.upload_cb = PROGRESS_FN(on_upload)

    def finish(self, client_ptr, status, **attrs):
        """Raise the callback's exception, else the call's failure (with ``attrs`` set on it)."""
        if self.pending is not None:
            exc, self.pending = self.pending, None
            for k, v in attrs.items():
                try:
                    setattr(exc, k, v)
                except AttributeError:
                    pass
            raise exc
        if status < 0:
            exc = errors.from_last(self._lib, client_ptr, status)
            for k, v in attrs.items():
                setattr(exc, k, v)
            raise exc
        return status


class DeltaAPI(_base.Area):
    """Delta tables through SQL statements on a warehouse (include/dbx/delta.h).

    Keyword options of every call (defaults from :meth:`using`): ``warehouse_id`` (required),
    ``catalog`` / ``schema`` (the defaults for unqualified table names), ``timeout`` (seconds,
    per statement), ``progress(statement_id, state)``, ``poll_interval`` / ``poll_max``
    (seconds), ``cancel_on_wait_end`` (when the wait ends first, ask the server to cancel the
    statement). ``append`` / ``upsert`` also take ``batch_rows`` (rows per statement, default
    500) and ``max_statement_bytes`` (default 1 MiB).

    A statement that ends FAILED raises :class:`~libdbx.errors.OperationFailed` (the
    server's error code, message and SQL state in the message).
    """

    PROTOS = PROTOS

    def __init__(self, client, defaults=None):
        super().__init__(client)
        _native.declare(self._lib, sql.PROTOS)
        self._defaults = dict(defaults or {})

    def using(self, warehouse_id=None, **defaults) -> "DeltaAPI":
        """A ``DeltaAPI`` whose calls default to this warehouse and these options."""
        merged = dict(self._defaults)
        if warehouse_id is not None:
            merged["warehouse_id"] = warehouse_id
        for k, v in defaults.items():
            if k not in _COMMON + _BATCH:
                raise TypeError("unknown option %r (one of %s)" % (k, ", ".join(_COMMON + _BATCH)))
            merged[k] = v
        return DeltaAPI(self._client, merged)

    @property
    def warehouse_id(self) -> Optional[str]:
        return self._defaults.get("warehouse_id")

    def _opts(self, kw, allowed=_COMMON):
        unknown = set(kw) - set(allowed)
        if unknown:
            raise TypeError("unknown keyword(s): %s" % ", ".join(sorted(unknown)))
        o = dict(self._defaults)
        o.update({k: v for k, v in kw.items() if v is not None})
        if not o.get("warehouse_id"):
            raise _invalid("warehouse_id is required (give it to the call or to client.delta.using())")
        return o

    def _sql(self):
        return self._client.sql  # the row type and converters of client.sql

    # ---- quoting (no request) -------------------------------------------------------------
    def _quote(self, fn, value, what):
        out = c_void_p()
        errors.check(self._lib, None, fn(ctypes.byref(out), _native.arg(value, what)))
        return _native.take_string(self._lib, out.value)

    def quote_name(self, name) -> str:
        """A 1..3 part table name with every part in backticks ("main.default.t" ->
        "`main`.`default`.`t`"); InvalidArgument for a name libdbx refuses."""
        return self._quote(self._lib.dbx_delta_quote_name, name, "name")

    def quote_column(self, column) -> str:
        """One raw column name in backticks, as it is ("a`b" -> "`a``b`")."""
        return self._quote(self._lib.dbx_delta_quote_column, column, "column")

    def quote_literal(self, text) -> str:
        """A Spark SQL string literal holding ``text`` exactly."""
        return self._quote(self._lib.dbx_delta_quote_literal, text, "text")

    # ---- create -------------------------------------------------------------------------
    def table_spec(self, columns=None, **kw) -> TableSpec:
        """A :class:`TableSpec` (``partitioned_by``, ``comment``, ``properties``, ``if_not_exists``)."""
        return TableSpec(columns, library=self._lib, **kw)

    def create_table(self, table, columns, *, partitioned_by=None, comment=None, properties=None,
                     if_not_exists=False, **options) -> None:
        """CREATE TABLE [IF NOT EXISTS] table (...) USING DELTA [PARTITIONED BY] [COMMENT]
        [TBLPROPERTIES]. ``columns``: a :class:`TableSpec`, column-spec text, or a list of
        column definitions (see :class:`TableSpec`). An existing table without
        ``if_not_exists`` raises OperationFailed (TABLE_OR_VIEW_ALREADY_EXISTS)."""
        o = self._opts(options)
        own = not isinstance(columns, TableSpec)
        spec = self.table_spec(columns, partitioned_by=partitioned_by, comment=comment, properties=properties,
                               if_not_exists=if_not_exists) if own else columns
        if not own and (partitioned_by or comment is not None or properties or if_not_exists):
            raise TypeError("give partitioned_by / comment / properties / if_not_exists to the TableSpec")
        try:
            call = _Call(self._lib, o)
            with _base.CtrlC(call):
                st = self._lib.dbx_delta_create_table(self._ptr(), _native.arg(o["warehouse_id"], "warehouse_id"),
                                                      _native.arg(table, "table"), spec._ptr, ctypes.byref(call.c))
            call.finish(self._client._ptr, st)
        finally:
            if own:
                spec.close()

    # ---- bulk load ----------------------------------------------------------------------
    def load_file(self, table, local_path, volume_dir, file_format="CSV", format_options=None,
                  copy_options=None, *, keep_staged_file=False, upload_progress=None,
                  multipart_threshold=None, part_size=None, **options) -> RowsLoaded:
        """Bulk load a local file: upload it to ``volume_dir`` (a Unity Catalog volume
        directory, "/Volumes/<catalog>/<schema>/<volume>[/...]"), ``COPY INTO table`` from it,
        then delete the staged file (unless ``keep_staged_file``). ``file_format`` "CSV",
        "JSON" or "PARQUET"; ``format_options`` / ``copy_options`` dicts (bool values as
        "true" / "false"). ``upload_progress(done, total)`` is called during the upload.

        Returns the rows loaded (an ``int``, -1 when the server reported none) with
        ``.staged_path``. A failure after the upload has ``staged_path`` set on the exception."""
        o = self._opts(options)
        lib = self._lib
        lo = _LoadOptions()
        lib.dbx_delta_load_options_init(ctypes.byref(lo))
        fmt = file_format.upper() if isinstance(file_format, str) else file_format
        if fmt not in FORMATS:
            raise _invalid("unknown file_format %r (one of %s)" % (file_format, ", ".join(FORMATS)))
        lo.format = FORMATS[fmt]
        fo, lo.n_format_options = _kvs(format_options, "format_options")
        co, lo.n_copy_options = _kvs(copy_options, "copy_options")
        if fo is not None:
            lo.format_options = fo
        if co is not None:
            lo.copy_options = co
        lo.keep_staged_file = 1 if keep_staged_file else 0
        call = _Call(lib, o, upload_progress)
        up = _UploadOptions()
        up.version = 1
        up.multipart_threshold = int(multipart_threshold or 0)
        up.part_size = int(part_size or 0)
        up.progress = call.upload_cb
        lo.upload = ctypes.pointer(up)
        loaded = c_int64(-1)
        staged = c_void_p()
        with _base.CtrlC(call):
            st = lib.dbx_delta_load_file(ctypes.byref(loaded), ctypes.byref(staged), self._ptr(),
                                         _native.arg(o["warehouse_id"], "warehouse_id"), _native.arg(table, "table"),
                                         os.fsencode(local_path), _native.arg(volume_dir, "volume_dir"),
                                         ctypes.byref(lo), ctypes.byref(call.c))
        staged_path = _native.take_string(lib, staged.value)
        call.finish(self._client._ptr, st, staged_path=staged_path)
        return RowsLoaded(loaded.value, staged_path)

    # ---- append / upsert ----------------------------------------------------------------
    def append(self, table, rows: Iterable, columns=None, *, types=None, **options) -> int:
        """Append ``rows`` (tuples in ``columns`` order, dicts, or ``client.sql`` Rows; any
        iterable, read ``batch_rows`` rows at a time) with INSERT INTO ... VALUES statements
        of typed parameters, ``batch_rows`` rows (default 500) and at most
        ``max_statement_bytes`` per statement. Each statement is its own transaction: after
        a failure the earlier ones stay written, and the exception's ``rows_written`` says how
        many rows they held. Returns the rows written."""
        o = self._opts(options, _COMMON + _BATCH)
        it, names = _first_and_columns(rows, columns)
        if names is None:
            return 0
        lib = self._lib
        chunk = int(o.get("batch_rows") or 500)
        if chunk <= 0:
            raise _invalid("batch_rows must be > 0")
        rs = _RowSet(lib, names, types)
        total = 0
        try:
            wh, tb = _native.arg(o["warehouse_id"], "warehouse_id"), _native.arg(table, "table")
            call = _Call(lib, o)
            done = False
            while not done:
                rs.clear()
                for row in it:
                    rs.add(row)
                    if len(rs) >= chunk:
                        break
                else:
                    done = True
                if len(rs) == 0:
                    break
                written = c_int64(0)
                with _base.CtrlC(call):
                    st = lib.dbx_delta_append(ctypes.byref(written), self._ptr(), wh, tb, rs.ptr, ctypes.byref(call.c))
                total += max(0, written.value)
                call.finish(self._client._ptr, st, rows_written=total)
        except errors.DatabricksError as exc:
            if getattr(exc, "rows_written", None) is None:
                exc.rows_written = total
            raise
        finally:
            rs.close()
        return total

    def upsert(self, table, rows: Iterable, keys, columns=None, *, types=None, **options) -> int:
        """MERGE ``rows`` into ``table`` by ``keys`` (column names): matched rows are updated,
        the others inserted, ``batch_rows`` rows per statement. Every row is read and checked
        first: two rows with the same key values raise InvalidArgument before anything is
        sent. Returns the rows affected (the sum of the statements' num_affected_rows; -1 when
        the server reported none)."""
        o = self._opts(options, _COMMON + _BATCH)
        it, names = _first_and_columns(rows, columns)
        if names is None:
            return 0
        karr, nk = _strings(keys, "key")
        if nk == 0:
            raise _invalid("keys: at least one key column")
        lib = self._lib
        rs = _RowSet(lib, names, types)
        try:
            for row in it:
                rs.add(row)
            call = _Call(lib, o)
            affected = c_int64(0)
            with _base.CtrlC(call):
                st = lib.dbx_delta_upsert(ctypes.byref(affected), self._ptr(),
                                          _native.arg(o["warehouse_id"], "warehouse_id"), _native.arg(table, "table"),
                                          karr, nk, rs.ptr, ctypes.byref(call.c))
            call.finish(self._client._ptr, st, rows_affected=affected.value)
            return affected.value
        finally:
            rs.close()

    # ---- read -----------------------------------------------------------------------------
    def read(self, table, version=None, timestamp=None, columns=None, limit=None, *, row_limit=None,
             byte_limit=None, disposition=None, max_chunks=None, truncated_is_error=False,
             **options) -> "sql.Rows":
        """SELECT ``columns`` (default ``*``) FROM ``table`` [VERSION AS OF ``version`` |
        TIMESTAMP AS OF ``timestamp``] [LIMIT ``limit``]: waited for, then a lazy iterator of
        the same Row tuples as ``client.sql`` (typed by column; closing or exhausting it
        closes the statement). ``timestamp``: "YYYY-MM-DD[ HH:MM[:SS[.f]]][Z|+hh:mm]", a
        ``datetime.datetime`` or a ``datetime.date``. ``row_limit`` / ``byte_limit`` /
        ``disposition`` go to the statement; ``max_chunks`` / ``truncated_is_error`` to the
        row iterator (see :class:`libdbx.sql.Rows`)."""
        o = self._opts(options)
        lib = self._lib
        ro = _ReadOptions()
        lib.dbx_delta_read_options_init(ctypes.byref(ro))
        if version is not None and timestamp is not None:
            raise _invalid("give version or timestamp, not both")
        if version is not None:
            if isinstance(version, bool) or not isinstance(version, int):
                raise TypeError("version must be an int")
            ro.as_of, ro.table_version = AS_OF_VERSION, version
        elif timestamp is not None:
            if isinstance(timestamp, datetime.datetime):
                timestamp = _timestamp_text(timestamp)
            elif isinstance(timestamp, datetime.date):
                timestamp = timestamp.isoformat()
            ro.as_of = AS_OF_TIMESTAMP
            ro.timestamp = _native.arg(timestamp, "timestamp")
        carr, ro.n_columns = _strings(columns, "column")
        if carr is not None:
            ro.columns = carr
        ro.limit = int(limit or 0)
        if limit is not None and limit <= 0:
            raise _invalid("limit must be > 0")
        eo = None
        if row_limit is not None or byte_limit is not None or disposition is not None:
            eo = sql._ExecuteOptions()
            lib.dbx_sql_execute_options_init(ctypes.byref(eo))
            eo.row_limit = int(row_limit or 0)
            eo.byte_limit = int(byte_limit or 0)
            eo.disposition = sql._enum(disposition, sql.DISPOSITIONS, "disposition")
            ro.execute = ctypes.pointer(eo)
        rows_o = sql._RowsOptions()
        lib.dbx_sql_rows_options_init(ctypes.byref(rows_o))
        rows_o.max_chunks = int(max_chunks or 0)
        rows_o.truncated_is_error = 1 if truncated_is_error else 0
        ro.rows = ctypes.pointer(rows_o)
        call = _Call(lib, o)
        out = c_void_p()
        rows = None
        with _base.CtrlC(call):
            st = lib.dbx_delta_read(ctypes.byref(out), self._ptr(), _native.arg(o["warehouse_id"], "warehouse_id"),
                                    _native.arg(table, "table"), ctypes.byref(ro), ctypes.byref(call.c))
        if out.value:
            rows = _adopt_rows(self._sql(), out.value)  # freed with `rows` whatever happens next
        call.finish(self._client._ptr, st)
        return rows

    # ---- history ---------------------------------------------------------------------------
    def history(self, table, limit=None, **options) -> List[HistoryEntry]:
        """DESCRIBE HISTORY (every entry the table keeps, or the newest ``limit``), newest first."""
        o = self._opts(options)
        lib = self._lib
        if limit is not None and limit <= 0:
            raise _invalid("limit must be > 0")
        call = _Call(lib, o)
        h = c_void_p()
        with _base.CtrlC(call):
            st = lib.dbx_delta_describe_history(ctypes.byref(h), self._ptr(),
                                                _native.arg(o["warehouse_id"], "warehouse_id"),
                                                _native.arg(table, "table"), int(limit or 0), ctypes.byref(call.c))
        try:
            call.finish(self._client._ptr, st)
            t = _native.text
            out = []
            for i in range(lib.dbx_delta_history_count(h)):
                ms = lib.dbx_delta_history_timestamp_ms(h, i)
                out.append(HistoryEntry(
                    version=lib.dbx_delta_history_version(h, i),
                    timestamp=_EPOCH + datetime.timedelta(milliseconds=ms) if ms >= 0 else None,
                    operation=t(lib.dbx_delta_history_operation(h, i)),
                    user=t(lib.dbx_delta_history_user(h, i)),
                    operation_parameters=json.loads(t(lib.dbx_delta_history_operation_parameters(h, i)) or "{}"),
                    operation_metrics=json.loads(t(lib.dbx_delta_history_operation_metrics(h, i)) or "{}"),
                    timestamp_text=t(lib.dbx_delta_history_timestamp(h, i))))
            return out
        finally:
            lib.dbx_delta_history_free(h)

    # ---- maintenance ---------------------------------------------------------------------
    def optimize(self, table, zorder_by=None, **options) -> None:
        """OPTIMIZE table [ZORDER BY (columns)]."""
        o = self._opts(options)
        arr, n = _strings(zorder_by, "zorder_by column")
        call = _Call(self._lib, o)
        with _base.CtrlC(call):
            st = self._lib.dbx_delta_optimize(self._ptr(), _native.arg(o["warehouse_id"], "warehouse_id"),
                                              _native.arg(table, "table"), arr, n, ctypes.byref(call.c))
        call.finish(self._client._ptr, st)

    def vacuum(self, table, retain_hours=None, **options) -> None:
        """VACUUM table [RETAIN n HOURS] (None: the table's retention; the service refuses
        less than 168 hours unless its check is disabled)."""
        o = self._opts(options)
        if retain_hours is not None and (isinstance(retain_hours, bool) or retain_hours < 0):
            raise _invalid("retain_hours must be >= 0")
        call = _Call(self._lib, o)
        with _base.CtrlC(call):
            st = self._lib.dbx_delta_vacuum(self._ptr(), _native.arg(o["warehouse_id"], "warehouse_id"),
                                            _native.arg(table, "table"),
                                            -1 if retain_hours is None else int(retain_hours), ctypes.byref(call.c))
        call.finish(self._client._ptr, st)


def _adopt_rows(sql_api, ptr):
    """A :class:`libdbx.sql.Rows` over a C row iterator libdbx handed back (dbx_delta_read),
    owning it: the same Row tuples and conversions as ``client.sql``. The columns come from
    the iterator's statement (dbx_sql_rows_statement)."""
    lib = sql_api._lib
    rows = sql.Rows.__new__(sql.Rows)
    rows._it = c_void_p(ptr)  # first: Rows.__del__ frees it should anything below fail
    rows._api, rows._lib, rows._client = sql_api, lib, sql_api._client
    t = _native.text
    st = lib.dbx_sql_rows_statement(ptr)
    rows.columns = [
        sql.Column(t(lib.dbx_sql_statement_column_name(st, i)), t(lib.dbx_sql_statement_column_type_name(st, i)),
                   t(lib.dbx_sql_statement_column_type_text(st, i)), lib.dbx_sql_statement_column_precision(st, i),
                   lib.dbx_sql_statement_column_scale(st, i), lib.dbx_sql_statement_column_type(st, i))
        for i in range(lib.dbx_sql_statement_column_count(st))]
    rows.truncated = bool(lib.dbx_sql_rows_truncated(ptr))
    rows.result_expired = False
    rows._row = sql._row_class([c.name for c in rows.columns])
    rows._convs = rows._converters()
    return rows
