"""SQL Statement Execution: ``client.sql``.

    st = client.sql.execute(warehouse_id, "SELECT id, name FROM t WHERE city = :city",
                            {"city": "Zürich"}, catalog="main", schema="default")
    for row in st:                    # every chunk, lazily; a Row is a tuple with names
        print(row.id, row["name"], row.keys())
    rows = st.fetchmany(100)          # DB-API style, on one cursor per statement
    df = st.to_pandas()               # only when pandas is installed

Values are always sent as named, typed parameters (``:name`` markers): never spliced into the
SQL text. A ``dict`` maps names to values whose SQL type follows from the Python type (``int``
BIGINT, ``float`` DOUBLE, ``bool`` BOOLEAN, ``Decimal`` DECIMAL(p,s), ``datetime.date`` DATE,
``datetime.datetime`` TIMESTAMP, ``str`` STRING, ``None`` NULL); a value given as
``(value, "TYPE")`` or a list of ``(name, value, "TYPE")`` tuples sets the type.

Rows come back converted by column type: integers as ``int``, FLOAT/DOUBLE as ``float``,
DECIMAL as ``decimal.Decimal``, BOOLEAN as ``bool``, DATE as ``datetime.date``, TIMESTAMP as an
aware ``datetime.datetime`` (UTC), TIMESTAMP_NTZ as a naive one, BINARY as ``bytes``, SQL NULL
as ``None``, everything else (STRING, INTERVAL, ARRAY, MAP, STRUCT as JSON text) as ``str``.

A result cut by ``row_limit`` / ``byte_limit`` is never silent: ``Statement.truncated`` is True
and reading to the end warns with :class:`TruncatedResultWarning` (or raises
:class:`~libdbx.errors.TooLarge` with ``truncated_is_error=True``).

Results in CSV or ARROW_STREAM (EXTERNAL_LINKS only) are read as raw bytes with
:meth:`Statement.stream`, chunk after chunk, to memory, a local path, a file object or a
callable, holding a bounded number of chunks at once.
"""

import base64
import ctypes
import dataclasses
import datetime
import decimal
import io
import json
import os
import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _base, _native, errors

c_void_p, c_int, c_uint, c_long = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_long
c_char_p, c_size_t, c_int64, c_double = ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int64, ctypes.c_double
POINTER = ctypes.POINTER
WaitOptions = _native.WaitOptions

# dbx_sql_chunk_fn: int (*)(void *payload, int chunk_index, const char *data, size_t len);
# data as an address (binary: Arrow IPC holds NUL bytes)
CHUNK_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_int, c_void_p, c_size_t)


class _QueryTag(ctypes.Structure):
    """``dbx_sql_query_tag`` (include/dbx/sql.h)."""
    _fields_ = [("key", c_char_p), ("value", c_char_p)]


class _ExecuteOptions(ctypes.Structure):
    """``dbx_sql_execute_options`` version 1 (include/dbx/sql.h; append-only)."""
    _fields_ = [
        ("version", c_uint), ("catalog", c_char_p), ("schema", c_char_p),
        ("wait_timeout_s", c_int), ("on_wait_timeout", c_int),
        ("row_limit", c_int64), ("byte_limit", c_int64),
        ("disposition", c_int), ("format", c_int),
        ("query_tags", POINTER(_QueryTag)), ("n_query_tags", c_size_t),
    ]


class _RowsOptions(ctypes.Structure):
    """``dbx_sql_rows_options`` version 1 (include/dbx/sql.h; append-only)."""
    _fields_ = [
        ("version", c_uint), ("max_chunks", c_int), ("truncated_is_error", c_int),
        ("close_statement", c_int), ("link_refresh_margin_ms", c_long),
        ("max_link_refreshes", c_int),
    ]


#: the C functions this module calls (declared on first use by _native.declare)
PROTOS = [
    ("dbx_sql_state_name", c_char_p, c_int),
    # parameters
    ("dbx_sql_params_new", c_int, POINTER(c_void_p)),
    ("dbx_sql_params_free", None, c_void_p),
    ("dbx_sql_params_clear", None, c_void_p),
    ("dbx_sql_params_count", c_size_t, c_void_p),
    ("dbx_sql_params_add", c_int, c_void_p, c_char_p, c_char_p, c_char_p),
    ("dbx_sql_params_add_int64", c_int, c_void_p, c_char_p, c_int64),
    ("dbx_sql_params_add_double", c_int, c_void_p, c_char_p, c_double),
    ("dbx_sql_params_add_bool", c_int, c_void_p, c_char_p, c_int),
    ("dbx_sql_execute_options_init", None, POINTER(_ExecuteOptions)),
    # the statement
    ("dbx_sql_statement_free", None, c_void_p),
    ("dbx_sql_statement_id", c_char_p, c_void_p),
    ("dbx_sql_statement_state", c_int, c_void_p),
    ("dbx_sql_statement_state_str", c_char_p, c_void_p),
    ("dbx_sql_statement_error_code", c_char_p, c_void_p),
    ("dbx_sql_statement_error_message", c_char_p, c_void_p),
    ("dbx_sql_statement_sql_state", c_char_p, c_void_p),
    ("dbx_sql_statement_has_manifest", c_int, c_void_p),
    ("dbx_sql_statement_format", c_char_p, c_void_p),
    ("dbx_sql_statement_disposition", c_int, c_void_p),
    ("dbx_sql_statement_column_count", c_int, c_void_p),
    ("dbx_sql_statement_column_name", c_char_p, c_void_p, c_int),
    ("dbx_sql_statement_column_type", c_int, c_void_p, c_int),
    ("dbx_sql_statement_column_type_name", c_char_p, c_void_p, c_int),
    ("dbx_sql_statement_column_type_text", c_char_p, c_void_p, c_int),
    ("dbx_sql_statement_column_precision", c_int, c_void_p, c_int),
    ("dbx_sql_statement_column_scale", c_int, c_void_p, c_int),
    ("dbx_sql_statement_column_index", c_int, c_void_p, c_char_p),
    ("dbx_sql_statement_total_row_count", c_int64, c_void_p),
    ("dbx_sql_statement_total_byte_count", c_int64, c_void_p),
    ("dbx_sql_statement_total_chunk_count", c_int, c_void_p),
    ("dbx_sql_statement_truncated", c_int, c_void_p),
    ("dbx_sql_statement_json", c_char_p, c_void_p),
    # operations
    ("dbx_sql_execute", c_int, POINTER(c_void_p), c_void_p, c_char_p, c_char_p, c_void_p,
     POINTER(_ExecuteOptions)),
    ("dbx_sql_get", c_int, POINTER(c_void_p), c_void_p, c_char_p),
    ("dbx_sql_wait", c_int, POINTER(c_void_p), c_void_p, c_char_p, POINTER(WaitOptions)),
    ("dbx_sql_run", c_int, POINTER(c_void_p), c_void_p, c_char_p, c_char_p, c_void_p,
     POINTER(_ExecuteOptions), POINTER(WaitOptions)),
    ("dbx_sql_cancel", c_int, c_void_p, c_char_p),
    ("dbx_sql_close", c_int, c_void_p, c_char_p),
    # rows
    ("dbx_sql_rows_options_init", None, POINTER(_RowsOptions)),
    ("dbx_sql_rows_open", c_int, POINTER(c_void_p), c_void_p, c_void_p, POINTER(_RowsOptions)),
    ("dbx_sql_rows_next", c_int, c_void_p),
    ("dbx_sql_rows_free", None, c_void_p),
    ("dbx_sql_rows_column_count", c_int, c_void_p),
    ("dbx_sql_rows_column_index", c_int, c_void_p, c_char_p),
    ("dbx_sql_rows_row_index", c_int64, c_void_p),
    ("dbx_sql_rows_truncated", c_int, c_void_p),
    ("dbx_sql_rows_result_expired", c_int, c_void_p),
    ("dbx_sql_rows_is_null", c_int, c_void_p, c_int),
    ("dbx_sql_rows_str", c_char_p, c_void_p, c_int),
    ("dbx_sql_rows_strlen", c_size_t, c_void_p, c_int),
    ("dbx_sql_rows_decimal", c_char_p, c_void_p, c_int),
    ("dbx_sql_rows_int64", c_int, POINTER(c_int64), c_void_p, c_int),
    ("dbx_sql_rows_double", c_int, POINTER(c_double), c_void_p, c_int),
    ("dbx_sql_rows_bool", c_int, POINTER(c_int), c_void_p, c_int),
    ("dbx_sql_rows_epoch_ms", c_int, POINTER(c_int64), c_void_p, c_int),
    ("dbx_sql_rows_epoch_us", c_int, POINTER(c_int64), c_void_p, c_int),
    # raw chunks
    ("dbx_sql_chunks_stream", c_int, c_void_p, c_void_p, POINTER(_RowsOptions), CHUNK_FN, c_void_p),
    ("dbx_sql_chunks_to_file", c_int, c_void_p, c_void_p, POINTER(_RowsOptions), c_char_p, c_int),
]

STATES = ("UNKNOWN", "PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELED", "CLOSED")
DISPOSITIONS = {"INLINE": 1, "EXTERNAL_LINKS": 2}
FORMATS = {"JSON_ARRAY": 1, "ARROW_STREAM": 2, "CSV": 3}
ON_WAIT_TIMEOUT = {"CONTINUE": 1, "CANCEL": 2}
NO_WAIT = -1  # DBX_SQL_NO_WAIT

# dbx_sql_type_t
(T_UNKNOWN, T_BOOLEAN, T_BYTE, T_SHORT, T_INT, T_LONG, T_FLOAT, T_DOUBLE, T_DATE, T_TIMESTAMP,
 T_STRING, T_BINARY, T_DECIMAL, T_INTERVAL, T_ARRAY, T_STRUCT, T_MAP, T_CHAR, T_NULL,
 T_USER_DEFINED_TYPE, T_TIMESTAMP_NTZ) = range(21)

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_UTC = datetime.timezone.utc
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=_UTC)
_EPOCH_NAIVE = datetime.datetime(1970, 1, 1)
_EPOCH_DATE = datetime.date(1970, 1, 1)


class TruncatedResultWarning(UserWarning):
    """Reading a result to its end found it cut by ``row_limit`` / ``byte_limit``."""


def _invalid(msg):
    return errors.InvalidArgument(msg, status=-2, status_name="DBX_EINVAL")


def _enum(value, table, what):
    if value is None:
        return 0
    key = value.upper() if isinstance(value, str) else value
    if key not in table:
        raise _invalid("unknown %s %r (one of %s)" % (what, value, ", ".join(table)))
    return table[key]


# ---- the statement -----------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Column:
    """A column of the result's manifest (``ColumnInfo``)."""
    name: str
    type_name: str      #: "LONG", "DECIMAL", ... ("" when the server sent none)
    type_text: str      #: the full SQL type: "DECIMAL(10,2)", "ARRAY<INT>"
    precision: int      #: DECIMAL precision (0 otherwise)
    scale: int          #: DECIMAL scale (0 otherwise)
    type_code: int = dataclasses.field(default=0, repr=False, compare=False)  #: dbx_sql_type_t


class _COwner:
    """An owned C statement, freed with the last Python object that holds it."""

    __slots__ = ("ptr", "free")

    def __init__(self, ptr, free):
        self.ptr, self.free = ptr, free

    def __del__(self):
        if self.ptr:
            self.free(self.ptr)
            self.ptr = None


class Statement:
    """A statement's state and, once SUCCEEDED, its result (manifest and first chunk).

    The attributes are a snapshot taken when it was fetched (``refresh()`` gets a new one).
    Iterating over a Statement reads every row from the start (a fresh iterator each time);
    ``fetchone`` / ``fetchmany`` / ``fetchall`` share one cursor. Used as a context manager,
    the statement is closed on the server (its result freed) at the end of the block.
    """

    def __init__(self, api, ptr):
        lib = api._lib
        t = _native.text
        self._api = api
        self._owner = _COwner(ptr, lib.dbx_sql_statement_free)
        p = ptr
        self.statement_id: str = t(lib.dbx_sql_statement_id(p))
        self.state: str = t(lib.dbx_sql_statement_state_str(p)) or "UNKNOWN"
        self.error_code: Optional[str] = t(lib.dbx_sql_statement_error_code(p)) or None
        self.error_message: Optional[str] = t(lib.dbx_sql_statement_error_message(p)) or None
        self.sql_state: Optional[str] = t(lib.dbx_sql_statement_sql_state(p)) or None
        self.has_result: bool = bool(lib.dbx_sql_statement_has_manifest(p))
        self.format: Optional[str] = t(lib.dbx_sql_statement_format(p)) or None
        self.disposition: Optional[str] = None
        if self.has_result:
            self.disposition = "EXTERNAL_LINKS" if lib.dbx_sql_statement_disposition(p) == 2 else "INLINE"
        n = lib.dbx_sql_statement_column_count(p)
        self.columns: List[Column] = [
            Column(t(lib.dbx_sql_statement_column_name(p, i)), t(lib.dbx_sql_statement_column_type_name(p, i)),
                   t(lib.dbx_sql_statement_column_type_text(p, i)), lib.dbx_sql_statement_column_precision(p, i),
                   lib.dbx_sql_statement_column_scale(p, i), lib.dbx_sql_statement_column_type(p, i))
            for i in range(n)]
        self.total_row_count: int = lib.dbx_sql_statement_total_row_count(p)
        self.total_byte_count: int = lib.dbx_sql_statement_total_byte_count(p)
        self.total_chunk_count: int = lib.dbx_sql_statement_total_chunk_count(p)
        self.truncated: bool = bool(lib.dbx_sql_statement_truncated(p))
        self._raw = None
        self._cursor = None

    @property
    def _ptr(self):
        return self._owner.ptr

    def column_index(self, name) -> int:
        """Index of the first column named ``name`` (exact match), or -1."""
        return self._api._lib.dbx_sql_statement_column_index(self._ptr, _native.arg(name, "name"))

    @property
    def column_names(self) -> List[str]:
        return [c.name for c in self.columns]

    @property
    def description(self) -> List[Tuple]:
        """DB-API style: ``(name, type_name, None, None, precision, scale, None)`` per column."""
        return [(c.name, c.type_name, None, None, c.precision or None, c.scale or None, None)
                for c in self.columns]

    @property
    def raw(self) -> Dict[str, Any]:
        """The whole StatementResponse (holds presigned links with EXTERNAL_LINKS: secret)."""
        if self._raw is None:
            self._raw = json.loads(_native.text(self._api._lib.dbx_sql_statement_json(self._ptr)) or "{}")
        return self._raw

    def __repr__(self):
        return "<Statement %s %s%s>" % (self.statement_id, self.state,
                                        " rows=%d" % self.total_row_count if self.has_result else "")

    # ---- state -------------------------------------------------------------------------
    def refresh(self) -> "Statement":
        """A new snapshot (``GET /api/2.0/sql/statements/{id}``)."""
        return self._api.get(self.statement_id)

    def wait(self, **kw) -> "Statement":
        """Wait until terminal (see :meth:`SqlAPI.wait`); returns the SUCCEEDED snapshot."""
        return self._api.wait(self.statement_id, **kw)

    def cancel(self) -> None:
        self._api.cancel(self.statement_id)

    def close(self) -> None:
        """Close the statement on the server (its result is freed; read rows first)."""
        if self._cursor is not None:
            self._cursor.close()
        self._api.close(self.statement_id)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if self._cursor is not None:
            self._cursor.close()
        try:
            self._api.close(self.statement_id)
        except errors.DatabricksError:
            if exc_type is None:
                raise

    # ---- rows --------------------------------------------------------------------------
    def rows(self, *, max_chunks=None, truncated_is_error=False, close=False) -> "Rows":
        """A lazy iterator over every row (see :class:`Rows`)."""
        return Rows(self._api, self, max_chunks=max_chunks, truncated_is_error=truncated_is_error,
                    close_statement=close)

    def __iter__(self) -> "Rows":
        return self.rows()

    def _cur(self):
        if self._cursor is None:
            self._cursor = self.rows()
        return self._cursor

    def fetchone(self):
        """The next row of the statement's cursor, or None at the end."""
        return next(self._cur(), None)

    def fetchmany(self, size=1000) -> list:
        """Up to ``size`` next rows of the statement's cursor ([] at the end)."""
        if size < 0:
            raise _invalid("fetchmany: size must be >= 0")
        cur = self._cur()
        out = []
        if size == 0:
            return out
        for row in cur:
            out.append(row)
            if len(out) >= size:
                break
        return out

    def fetchall(self) -> list:
        """Every remaining row of the statement's cursor."""
        return list(self._cur())

    def to_pandas(self, **rows_options):
        """Every row as a ``pandas.DataFrame`` (pandas is imported here, never required by
        libdbx: ImportError when it is not installed). Integer and boolean columns holding
        NULLs get pandas' nullable ``Int64`` / ``boolean`` dtypes; TIMESTAMP columns become
        ``datetime64`` in UTC."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("Statement.to_pandas() needs pandas, which is not installed "
                              "(pip install pandas); fetchall() returns the rows as tuples") from exc
        data = list(self.rows(**rows_options))
        names = self.column_names
        cols = list(zip(*data)) if data else [() for _ in names]
        frame = {}
        for k, (col, values) in enumerate(zip(self.columns, cols)):
            values = list(values)
            has_null = any(v is None for v in values)
            if col.type_code in (T_BYTE, T_SHORT, T_INT, T_LONG):
                series = pd.array(values, dtype="Int64") if has_null or not values else values
            elif col.type_code == T_BOOLEAN:
                series = pd.array(values, dtype="boolean") if has_null or not values else values
            elif col.type_code in (T_FLOAT, T_DOUBLE):
                series = pd.array([float("nan") if v is None else v for v in values], dtype="float64")
            elif col.type_code in (T_TIMESTAMP, T_TIMESTAMP_NTZ):
                series = pd.to_datetime(values, utc=col.type_code == T_TIMESTAMP)
            else:
                series = pd.array(values, dtype=object)
            frame[k] = series
        df = pd.DataFrame(frame)
        df.columns = names
        return df

    # ---- raw chunks --------------------------------------------------------------------
    def stream(self, dest=None, **kw):
        """The raw bytes of every chunk (see :meth:`SqlAPI.stream`)."""
        return self._api.stream(self, dest, **kw)


class Row(tuple):
    """A result row: a tuple of converted values, also readable by column name
    (``row.name``, ``row["name"]``), with ``keys()``, ``values()``, ``items()`` and
    ``_asdict()``. The classes for one result share one name index."""

    __slots__ = ()
    _fields: Tuple[str, ...] = ()
    _index: Dict[str, int] = {}

    def __getitem__(self, key):
        if isinstance(key, str):
            try:
                key = self._index[key]
            except KeyError:
                raise KeyError(key) from None
        return tuple.__getitem__(self, key)

    def __getattr__(self, name):
        try:
            return tuple.__getitem__(self, self._index[name])
        except KeyError:
            raise AttributeError("row has no column %r" % name) from None

    def keys(self):
        return list(self._fields)

    def values(self):
        return list(self)

    def items(self):
        return list(zip(self._fields, self))

    def _asdict(self):
        return dict(zip(self._fields, self))

    def __repr__(self):
        return "Row(%s)" % ", ".join("%s=%r" % kv for kv in zip(self._fields, self))


def _row_class(names):
    index = {}
    for i, n in enumerate(names):
        index.setdefault(n, i)  # the first column of a name, as dbx_sql_rows_column_index
    return type("Row", (Row,), {"__slots__": (), "_fields": tuple(names), "_index": index})


class Rows:
    """A lazy iterator over every row of a SUCCEEDED JSON_ARRAY result, chunk after chunk.

    libdbx holds at most ``max_chunks`` chunks in memory (default 3), fetching the next ones
    in parallel; the C iterator is freed at the end, by ``close()`` or by the garbage
    collector. ``truncated`` says whether row_limit / byte_limit cut the result: reaching the
    end of a truncated result warns with :class:`TruncatedResultWarning` (raises
    :class:`~libdbx.errors.TooLarge` instead with ``truncated_is_error=True``). With
    ``close_statement=True`` the statement is closed on the server when the iterator is freed.
    A result that expired on the server raises :class:`~libdbx.errors.NotFound` with
    ``result_expired`` True.
    """

    def __init__(self, api, statement, *, max_chunks=None, truncated_is_error=False,
                 close_statement=False):
        lib = api._lib
        self._api = api
        self._lib = lib
        self._client = api._client  # keeps the library and the log callback alive
        self._it = c_void_p()
        self.truncated = bool(statement.truncated)
        self.result_expired = False
        self.columns = statement.columns
        o = _RowsOptions()
        lib.dbx_sql_rows_options_init(ctypes.byref(o))
        if max_chunks is not None:
            o.max_chunks = int(max_chunks)
        o.truncated_is_error = 1 if truncated_is_error else 0
        o.close_statement = 1 if close_statement else 0
        api._check(lib.dbx_sql_rows_open(ctypes.byref(self._it), api._ptr(), statement._ptr, ctypes.byref(o)))
        self._row = _row_class([c.name for c in statement.columns])
        self._convs = self._converters()

    # one converter per column: f(col) -> value of the current row, None for SQL NULL
    def _converters(self):
        lib, it = self._lib, self._it.value
        get = lib.dbx_sql_rows_str          # bytes, or None for NULL (one call per value)
        strlen = lib.dbx_sql_rows_strlen
        raw = lib["dbx_sql_rows_str"]      # a second handle: the address, for values holding NUL
        raw.restype, raw.argtypes = c_void_p, [c_void_p, c_int]
        i64, dbl, boo = c_int64(), c_double(), c_int()
        i64_ref, dbl_ref, boo_ref = ctypes.byref(i64), ctypes.byref(dbl), ctypes.byref(boo)
        f_int64, f_double, f_bool = lib.dbx_sql_rows_int64, lib.dbx_sql_rows_double, lib.dbx_sql_rows_bool
        f_us, f_ms = lib.dbx_sql_rows_epoch_us, lib.dbx_sql_rows_epoch_ms
        is_null = lib.dbx_sql_rows_is_null
        bad = self._bad
        timedelta = datetime.timedelta
        Decimal = decimal.Decimal
        fromisoformat = datetime.date.fromisoformat

        def text(i):
            b = get(it, i)
            if b is None:
                return None
            n = strlen(it, i)
            if len(b) != n:
                b = ctypes.string_at(raw(it, i), n)  # a value holding U+0000
            return b.decode("utf-8", "replace")

        def integer(i):
            b = get(it, i)
            if b is None:
                return None
            try:
                return int(b)
            except ValueError:  # "3.0": integral text libdbx reads
                if f_int64(i64_ref, it, i) == 0:
                    return i64.value
                return bad(i)

        def real(i):
            b = get(it, i)
            if b is None:
                return None
            try:
                return float(b)  # also "NaN", "Infinity", "1.0E20"
            except ValueError:
                if f_double(dbl_ref, it, i) == 0:
                    return dbl.value
                return bad(i)

        def boolean(i):
            b = get(it, i)
            if b is None:
                return None
            if b == b"true":
                return True
            if b == b"false":
                return False
            if f_bool(boo_ref, it, i) == 0:
                return bool(boo.value)
            return bad(i)

        get_decimal = lib.dbx_sql_rows_decimal

        def dec(i):
            b = get_decimal(it, i)
            if b is None:
                return None
            try:
                return Decimal(b.decode("ascii"))
            except (decimal.InvalidOperation, UnicodeDecodeError):
                return bad(i)

        def date(i):
            b = get(it, i)
            if b is None:
                return None
            try:
                return fromisoformat(b.decode("ascii"))
            except (ValueError, UnicodeDecodeError):
                pass
            if f_ms(i64_ref, it, i) != 0:  # another spelling libdbx reads ("2024-01-31T00:00:00Z")
                return bad(i)
            try:
                return _EPOCH_DATE + timedelta(days=i64.value // 86400000)
            except OverflowError:  # outside datetime.date's years: the text
                return b.decode("utf-8", "replace")

        def stamp(epoch):
            def conv(i):
                st = f_us(i64_ref, it, i)
                if st != 0:
                    if is_null(it, i) == 1:
                        return None
                    return bad(i)
                try:
                    return epoch + timedelta(microseconds=i64.value)
                except OverflowError:  # outside datetime's years: the text
                    return text(i)
            return conv

        def binary(i):
            b = get(it, i)
            if b is None:
                return None
            try:
                return base64.b64decode(b, validate=True)
            except ValueError:
                return bad(i)

        table = {T_BOOLEAN: boolean, T_BYTE: integer, T_SHORT: integer, T_INT: integer,
                 T_LONG: integer, T_FLOAT: real, T_DOUBLE: real, T_DECIMAL: dec, T_DATE: date,
                 T_TIMESTAMP: stamp(_EPOCH), T_TIMESTAMP_NTZ: stamp(_EPOCH_NAIVE), T_BINARY: binary}
        return [(i, table.get(c.type_code, text)) for i, c in enumerate(self.columns)]

    def _bad(self, i):
        c = self.columns[i]
        raise errors.BadResponse("column %r (%s): the value %r does not convert"
                                 % (c.name, c.type_text or c.type_name,
                                    _native.text(self._lib.dbx_sql_rows_str(self._it.value, i))),
                                 status=-8, status_name="DBX_EBADRESPONSE")

    def __iter__(self):
        return self

    def __next__(self):
        it = self._it.value
        if not it:
            raise StopIteration
        st = self._lib.dbx_sql_rows_next(it)
        if st == 0:
            return self._row([f(i) for i, f in self._convs])
        self.truncated = bool(self._lib.dbx_sql_rows_truncated(it))
        if st == 1:  # DBX_DONE
            self.close()
            if self.truncated:
                warnings.warn(TruncatedResultWarning(
                    "the result was truncated by row_limit / byte_limit: not every row was read"),
                    stacklevel=2)
            raise StopIteration
        self.result_expired = bool(self._lib.dbx_sql_rows_result_expired(it))
        exc = errors.from_last(self._lib, self._client._ptr, st)
        if st == -22:  # DBX_ETOOLARGE: truncated_is_error
            self.close()
        raise exc

    def column_index(self, name) -> int:
        """Index of the first column named ``name``, or -1."""
        return self._lib.dbx_sql_rows_column_index(self._it.value, _native.arg(name, "name")) if self._it else -1

    @property
    def row_index(self) -> int:
        """0-based index of the current row in the whole result (-1 before the first)."""
        return self._lib.dbx_sql_rows_row_index(self._it.value) if self._it else -1

    def close(self):
        if self._it:
            self._lib.dbx_sql_rows_free(self._it)
            self._it = c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass


# ---- parameters ----------------------------------------------------------------------------

def _decimal_type(d):
    sign, digits, exp = d.as_tuple()
    if not isinstance(exp, int):
        raise _invalid("a DECIMAL parameter must be finite, not %s" % d)
    scale = max(0, -exp)
    precision = max(len(digits) + max(exp, 0), scale, 1)
    if precision > 38:
        raise _invalid("a DECIMAL parameter has at most 38 digits: %s" % d)
    return "DECIMAL(%d,%d)" % (precision, scale)


def _param_text(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_UTC)
            return value.replace(tzinfo=None).isoformat() + "Z"
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        raise TypeError("bytes parameters are not supported: send text (for BINARY: unhex(:p))")
    return str(value)


def _add_param(lib, p, name, value, type_):
    n = _native.arg(name, "parameter name")
    if type_ is not None:
        return lib.dbx_sql_params_add(p, n, _native.arg(_param_text(value), "value"), _native.arg(type_, "type"))
    if value is None:
        return lib.dbx_sql_params_add(p, n, None, None)
    if isinstance(value, bool):
        return lib.dbx_sql_params_add_bool(p, n, 1 if value else 0)
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            return lib.dbx_sql_params_add(p, n, str(value).encode(), b"DECIMAL(38,0)")
        return lib.dbx_sql_params_add_int64(p, n, value)
    if isinstance(value, float):
        return lib.dbx_sql_params_add_double(p, n, value)
    if isinstance(value, decimal.Decimal):
        return lib.dbx_sql_params_add(p, n, str(value).encode(), _decimal_type(value).encode())
    if isinstance(value, datetime.datetime):
        return lib.dbx_sql_params_add(p, n, _param_text(value).encode(), b"TIMESTAMP")
    if isinstance(value, datetime.date):
        return lib.dbx_sql_params_add(p, n, value.isoformat().encode(), b"DATE")
    if isinstance(value, str):
        return lib.dbx_sql_params_add(p, n, value.encode("utf-8"), None)  # the server's STRING
    raise TypeError("parameter %r: no SQL type for a %s (give (value, \"TYPE\"))" % (name, type(value).__name__))


def _items(parameters):
    """(name, value, type or None) triples from a dict or a list."""
    if isinstance(parameters, dict):
        for name, v in parameters.items():
            if isinstance(v, tuple):
                if len(v) != 2:
                    raise TypeError("parameter %r: a tuple must be (value, \"TYPE\")" % name)
                yield name, v[0], v[1]
            else:
                yield name, v, None
        return
    for item in parameters:
        if isinstance(item, dict):
            yield item.get("name"), item.get("value"), item.get("type")
        elif len(item) == 3:
            yield item[0], item[1], item[2]
        elif len(item) == 2:
            yield item[0], item[1], None
        else:
            raise TypeError("a parameter must be (name, value) or (name, value, \"TYPE\")")


# ---- raw chunk streaming ---------------------------------------------------------------

class _ChunkSink:
    """The ``dbx_sql_chunk_fn`` of one stream: pieces to ``write``, chunk ends to ``chunk_end``;
    the first exception raised stops libdbx (non-zero) and is re-raised after the call."""

    def __init__(self, write, chunk_end):
        self.write = write
        self.chunk_end = chunk_end
        self.pending = None
        self.c_fn = CHUNK_FN(self._on_chunk)

    def _on_chunk(self, payload, index, data, n):
        if self.pending is not None:  # a Ctrl-C recorded by CtrlC, or an earlier error
            return 1
        try:
            if n:
                self.write(ctypes.string_at(data, n))
            elif self.chunk_end is not None:
                self.chunk_end(index)
            return 0
        except BaseException as exc:  # noqa: B902 - KeyboardInterrupt must stop the stream
            self.pending = exc
            return 1

    def raise_pending(self):
        if self.pending is not None:
            exc, self.pending = self.pending, None
            raise exc


# ---- the API --------------------------------------------------------------------------------

class SqlAPI(_base.Area):
    """Statement execution on SQL warehouses (``/api/2.0/sql/statements``)."""

    PROTOS = PROTOS

    def _params(self, parameters):
        lib = self._lib
        p = c_void_p()
        errors.check(lib, None, lib.dbx_sql_params_new(ctypes.byref(p)))
        try:
            for name, value, type_ in _items(parameters):
                errors.check(lib, None, _add_param(lib, p, name, value, type_))
        except BaseException:
            lib.dbx_sql_params_free(p)
            raise
        return p

    def _options(self, catalog, schema, wait_timeout, on_wait_timeout, row_limit, byte_limit,
                 disposition, format, query_tags):
        o = _ExecuteOptions()
        self._lib.dbx_sql_execute_options_init(ctypes.byref(o))
        o.catalog = _native.arg(catalog, "catalog")
        o.schema = _native.arg(schema, "schema")
        if wait_timeout is not None:
            if isinstance(wait_timeout, str):
                s = wait_timeout.strip().lower()
                if not s.endswith("s") or not s[:-1].isdigit():
                    raise _invalid("wait_timeout must be seconds: 0 or 5..50 (or \"10s\")")
                wait_timeout = int(s[:-1])
            o.wait_timeout_s = NO_WAIT if wait_timeout == 0 else int(wait_timeout)
        o.on_wait_timeout = _enum(on_wait_timeout, ON_WAIT_TIMEOUT, "on_wait_timeout")
        o.row_limit = int(row_limit or 0)
        o.byte_limit = int(byte_limit or 0)
        o.disposition = _enum(disposition, DISPOSITIONS, "disposition")
        o.format = _enum(format, FORMATS, "format")
        keep = None
        if query_tags:
            pairs = list(query_tags.items()) if isinstance(query_tags, dict) else list(query_tags)
            keep = (_QueryTag * len(pairs))(*[
                _QueryTag(_native.arg(k, "query tag key"), _native.arg(v, "query tag value")) for k, v in pairs])
            o.query_tags = keep
            o.n_query_tags = len(pairs)
        return o, keep

    def _finish(self, st, out, waiter=None):
        """A Statement from the C result (freed with it), then the failure, if any, raised with
        the statement as ``last``."""
        last = Statement(self, out.value) if out else None
        if waiter is not None:
            waiter.raise_pending()
        if st < 0:
            exc = errors.from_last(self._lib, self._client._ptr, st)
            exc.last = last
            if last is not None:
                exc.sql_state = last.sql_state
            raise exc
        return last

    def execute(self, warehouse_id, statement, parameters=None, *, catalog=None, schema=None,
                row_limit=None, byte_limit=None, disposition=None, format=None,
                wait_timeout=None, on_wait_timeout=None, query_tags=None, wait=True,
                timeout=None, progress=None, poll_interval=None, poll_max=None) -> Statement:
        """Run ``statement`` on a SQL warehouse.

        ``parameters``: a dict ``{name: value}`` or ``{name: (value, "TYPE")}``, or a list of
        ``(name, value[, "TYPE"])``, for the ``:name`` markers. ``catalog`` / ``schema``: the
        defaults for unqualified names. ``disposition`` "INLINE" (default) or
        "EXTERNAL_LINKS"; ``format`` "JSON_ARRAY" (default), "ARROW_STREAM" or "CSV" (the last
        two with EXTERNAL_LINKS, read with :meth:`Statement.stream`). ``wait_timeout``: seconds
        the server waits before answering (0 or 5..50, or "10s"); ``on_wait_timeout``
        "CONTINUE" or "CANCEL". ``query_tags``: a dict or (key, value) pairs.

        With ``wait=True`` (the default) libdbx then polls until the statement is terminal,
        with ``timeout`` seconds (default 20 min), calling ``progress(statement_id, state)``
        after every poll (Ctrl-C stops the wait, not the statement). With ``wait=False`` the
        statement comes back in whatever state the server answered (PENDING, RUNNING, ...).

        A statement that ends FAILED, CANCELED or CLOSED raises
        :class:`~libdbx.errors.OperationFailed` whose ``last`` is the Statement (its
        ``error_code``, ``error_message`` and ``sql_state``) and ``sql_state`` the SQLSTATE.
        """
        lib = self._lib
        o, keep = self._options(catalog, schema, wait_timeout, on_wait_timeout, row_limit, byte_limit,
                                disposition, format, query_tags)
        wh = _native.arg(warehouse_id, "warehouse_id")
        sql = _native.arg(statement, "statement")
        p = self._params(parameters) if parameters else None
        out = c_void_p()
        try:
            if wait:
                w = _base.Waiter(lib, timeout, progress, poll_interval, poll_max)
                with _base.CtrlC(w):
                    st = lib.dbx_sql_run(ctypes.byref(out), self._ptr(), wh, sql, p, ctypes.byref(o),
                                         ctypes.byref(w.opts))
            else:
                w = None
                st = lib.dbx_sql_execute(ctypes.byref(out), self._ptr(), wh, sql, p, ctypes.byref(o))
        finally:
            if p is not None:
                lib.dbx_sql_params_free(p)
            del keep
        return self._finish(st, out, w)

    def get(self, statement_id) -> Statement:
        """The statement's current state and result (any state; no exception for FAILED)."""
        out = c_void_p()
        self._check(self._lib.dbx_sql_get(ctypes.byref(out), self._ptr(), _native.arg(statement_id, "statement_id")))
        return Statement(self, out.value)

    def wait(self, statement_id, *, timeout=None, progress=None, poll_interval=None,
             poll_max=None) -> Statement:
        """Poll until the statement is terminal; the SUCCEEDED Statement. FAILED / CANCELED /
        CLOSED raise OperationFailed, a passed ``timeout`` raises Timeout (both with ``last``)."""
        w = _base.Waiter(self._lib, timeout, progress, poll_interval, poll_max)
        out = c_void_p()
        with _base.CtrlC(w):
            st = self._lib.dbx_sql_wait(ctypes.byref(out), self._ptr(), _native.arg(statement_id, "statement_id"),
                                        ctypes.byref(w.opts))
        return self._finish(st, out, w)

    def cancel(self, statement_id) -> None:
        """Ask the server to cancel (the state becomes CANCELED later)."""
        self._check(self._lib.dbx_sql_cancel(self._ptr(), _native.arg(statement_id, "statement_id")))

    def close(self, statement_id) -> None:
        """Close the statement and free its result on the server."""
        self._check(self._lib.dbx_sql_close(self._ptr(), _native.arg(statement_id, "statement_id")))

    def rows(self, statement: Statement, **kw) -> Rows:
        """``statement.rows(**kw)``."""
        return statement.rows(**kw)

    def stream(self, statement: Statement, dest=None, *, overwrite=False, max_chunks=None,
               close=False, chunk_end: Optional[Callable[[int], None]] = None):
        """The raw bytes of every chunk of an EXTERNAL_LINKS result (CSV: the header row is in
        the first chunk only; ARROW_STREAM: each chunk is one Arrow IPC stream), in order,
        holding at most ``max_chunks`` chunks in flight.

        ``dest`` None: the bytes are returned. A local path (str or ``os.PathLike``): written
        beside it and renamed into place at the end (an existing file needs
        ``overwrite=True``). A binary file object: its ``write`` gets each piece. A callable:
        called with each piece (``bytes``). ``chunk_end(chunk_index)`` is called after the
        last piece of every chunk (not for a path). ``close=True`` closes the statement on
        the server afterwards. An exception raised by ``write`` / the callable / ``chunk_end``
        (Ctrl-C included) stops the transfer and is re-raised.
        """
        lib = self._lib
        o = _RowsOptions()
        lib.dbx_sql_rows_options_init(ctypes.byref(o))
        if max_chunks is not None:
            o.max_chunks = int(max_chunks)
        o.close_statement = 1 if close else 0
        if isinstance(dest, (str, os.PathLike)):
            if chunk_end is not None:
                raise TypeError("chunk_end is not called when writing to a path")
            self._check(lib.dbx_sql_chunks_to_file(self._ptr(), statement._ptr, ctypes.byref(o),
                                                   os.fsencode(dest), 1 if overwrite else 0))
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
        sink = _ChunkSink(write, chunk_end)
        with _base.CtrlC(sink):
            st = lib.dbx_sql_chunks_stream(self._ptr(), statement._ptr, ctypes.byref(o), sink.c_fn, None)
        sink.raise_pending()
        self._check(st)
        return collected.getvalue() if collected is not None else None
