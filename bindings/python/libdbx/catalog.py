"""Unity Catalog: ``client.catalog`` with ``.catalogs``, ``.schemas``, ``.tables`` and ``.volumes``.

    for t in client.catalog.tables.list("main", "sales"):
        print(t.full_name, t.table_type, [c.name for c in t.columns])
    vol = client.catalog.volumes.create("main", "sales", "raw")          # MANAGED
    client.catalog.tables.exists("main.sales.orders")                   # True / False

Names are Unity Catalog's: one part for a catalog ("main"), two for a schema ("main.sales"),
three for a table or a volume ("main.sales.orders"), checked by libdbx before any request.
Calls taking a full name also accept its parts: ``tables.get("main", "sales", "orders")``.

Results are frozen dataclasses whose typed fields are read through libdbx's accessors; the C
result is freed at once. ``raw`` (the whole answer as a dict, for fields without an attribute)
is parsed from a copy of its JSON text on first use. Times are epoch milliseconds (0: absent).
"""

import ctypes
import dataclasses
import json
from typing import Any, Dict, Iterator, List, Optional

from . import _base, _native, errors

c_void_p, c_char_p, c_int, c_size_t, c_int64 = (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                                                 ctypes.c_size_t, ctypes.c_int64)
POINTER = ctypes.POINTER
_PP = POINTER(c_char_p)


def _protos():
    p = []
    strs = {
        "catalog": ("name", "full_name", "type", "comment", "owner", "storage_root", "storage_location",
                    "metastore_id", "isolation_mode", "created_by", "updated_by", "json"),
        "schema": ("name", "catalog_name", "full_name", "id", "comment", "owner", "storage_root",
                   "storage_location", "metastore_id", "created_by", "updated_by", "json"),
        "table": ("name", "catalog_name", "schema_name", "full_name", "id", "type_str",
                  "data_source_format_str", "storage_location", "view_definition", "comment", "owner",
                  "metastore_id", "created_by", "updated_by", "json"),
        "volume": ("name", "catalog_name", "schema_name", "full_name", "id", "type_str",
                   "storage_location", "comment", "owner", "metastore_id", "created_by", "updated_by",
                   "json"),
        "column": ("name", "type_str", "type_text", "type_json", "comment"),
        "table_summary": ("full_name", "type_str", "json"),
    }
    for obj, fields in strs.items():
        p += [("dbx_%s_%s" % (obj, f), c_char_p, c_void_p) for f in fields]
    for obj in ("catalog", "schema", "table", "volume"):
        p += [("dbx_%s_created_at" % obj, c_int64, c_void_p), ("dbx_%s_updated_at" % obj, c_int64, c_void_p),
              ("dbx_%s_free" % obj, None, c_void_p)]
    for obj in ("catalog", "schema", "table"):
        p += [("dbx_%s_property" % obj, c_char_p, c_void_p, c_char_p),
              ("dbx_%s_property_count" % obj, c_size_t, c_void_p),
              ("dbx_%s_property_at" % obj, c_int, c_void_p, c_size_t, _PP, _PP)]
    p += [(n, c_char_p, c_int) for n in ("dbx_table_type_name", "dbx_data_source_format_name",
                                         "dbx_column_type_name", "dbx_volume_type_name")]
    p += [(n, c_int, c_void_p) for n in (
        "dbx_table_type", "dbx_table_data_source_format", "dbx_volume_type", "dbx_column_type",
        "dbx_column_precision", "dbx_column_scale", "dbx_column_nullable", "dbx_column_position",
        "dbx_column_partition_index", "dbx_table_summary_type")]
    p += [
        ("dbx_table_column_count", c_size_t, c_void_p),
        ("dbx_table_column", c_void_p, c_void_p, c_size_t),
        ("dbx_table_column_by_name", c_void_p, c_void_p, c_char_p),
        # catalogs
        ("dbx_catalogs_list", c_int, POINTER(c_void_p), c_void_p, c_void_p),
        ("dbx_catalogs_iter_next", c_int, POINTER(c_void_p), c_void_p),
        ("dbx_catalogs_iter_free", None, c_void_p),
        ("dbx_catalogs_get", c_int, POINTER(c_void_p), c_void_p, c_char_p),
        ("dbx_catalogs_create", c_int, POINTER(c_void_p), c_void_p, c_char_p, c_void_p),
        ("dbx_catalogs_update", c_int, POINTER(c_void_p), c_void_p, c_char_p, c_void_p),
        ("dbx_catalogs_delete", c_int, c_void_p, c_char_p, c_int),
        # schemas
        ("dbx_schemas_list", c_int, POINTER(c_void_p), c_void_p, c_char_p, c_void_p),
        ("dbx_schemas_iter_next", c_int, POINTER(c_void_p), c_void_p),
        ("dbx_schemas_iter_free", None, c_void_p),
        ("dbx_schemas_get", c_int, POINTER(c_void_p), c_void_p, c_char_p),
        ("dbx_schemas_create", c_int, POINTER(c_void_p), c_void_p, c_char_p, c_char_p, c_void_p),
        ("dbx_schemas_update", c_int, POINTER(c_void_p), c_void_p, c_char_p, c_void_p),
        ("dbx_schemas_delete", c_int, c_void_p, c_char_p, c_int),
        # tables
        ("dbx_tables_list", c_int, POINTER(c_void_p), c_void_p, c_char_p, c_char_p, c_void_p),
        ("dbx_tables_iter_next", c_int, POINTER(c_void_p), c_void_p),
        ("dbx_tables_iter_free", None, c_void_p),
        ("dbx_tables_list_summaries", c_int, POINTER(c_void_p), c_void_p, c_char_p, c_char_p, c_char_p,
         c_void_p),
        ("dbx_table_summaries_iter_next", c_int, POINTER(c_void_p), c_void_p),
        ("dbx_table_summaries_iter_free", None, c_void_p),
        ("dbx_tables_get", c_int, POINTER(c_void_p), c_void_p, c_char_p),
        ("dbx_tables_exists", c_int, POINTER(c_int), c_void_p, c_char_p),
        ("dbx_tables_delete", c_int, c_void_p, c_char_p),
        ("dbx_tables_update", c_int, c_void_p, c_char_p, c_void_p),
        ("dbx_tables_create_external", c_int, POINTER(c_void_p), c_void_p, c_char_p, c_char_p, c_char_p,
         c_void_p, c_size_t, c_void_p),
        # volumes
        ("dbx_volumes_list", c_int, POINTER(c_void_p), c_void_p, c_char_p, c_char_p, c_void_p),
        ("dbx_volumes_iter_next", c_int, POINTER(c_void_p), c_void_p),
        ("dbx_volumes_iter_free", None, c_void_p),
        ("dbx_volumes_read", c_int, POINTER(c_void_p), c_void_p, c_char_p),
        ("dbx_volumes_create", c_int, POINTER(c_void_p), c_void_p, c_char_p, c_char_p, c_char_p, c_int,
         c_void_p),
        ("dbx_volumes_update", c_int, POINTER(c_void_p), c_void_p, c_char_p, c_void_p),
        ("dbx_volumes_delete", c_int, c_void_p, c_char_p),
    ]
    return p


#: the C functions this module calls (declared on first use by _native.declare)
PROTOS = _protos()


# ---- ctypes mirrors of the C option structs (append-only, versioned) -------------------------

class _ListOptions(ctypes.Structure):
    """``dbx_uc_list_options`` version 1 (include/dbx/catalog.h)."""
    _fields_ = [
        ("version", ctypes.c_uint), ("page_size", c_int), ("max_items", ctypes.c_long),
        ("include_browse", c_int), ("include_unbound", c_int), ("omit_columns", c_int),
        ("omit_properties", c_int), ("omit_username", c_int),
    ]


class _CreateOptions(ctypes.Structure):
    """``dbx_uc_create_options`` version 1 (include/dbx/catalog.h)."""
    _fields_ = [
        ("version", ctypes.c_uint), ("comment", c_char_p), ("properties", _PP),
        ("storage_root", c_char_p), ("storage_location", c_char_p), ("provider_name", c_char_p),
        ("share_name", c_char_p), ("connection_name", c_char_p), ("options", _PP),
    ]


class _UpdateOptions(ctypes.Structure):
    """``dbx_uc_update_options`` version 1 (include/dbx/catalog.h)."""
    _fields_ = [
        ("version", ctypes.c_uint), ("new_name", c_char_p), ("comment", c_char_p), ("owner", c_char_p),
        ("properties", _PP), ("isolation_mode", c_char_p), ("enable_predictive_optimization", c_char_p),
    ]


class _ColumnDef(ctypes.Structure):
    """``dbx_column_def`` (include/dbx/catalog.h; passed as an array, not versioned)."""
    _fields_ = [
        ("name", c_char_p), ("type_text", c_char_p), ("type", c_int), ("precision", c_int),
        ("scale", c_int), ("not_null", c_int), ("comment", c_char_p), ("partition_index", c_int),
    ]


def _inval(msg):
    return errors.InvalidArgument(msg, status=-2, status_name="DBX_EINVAL")


def _pairs(d, name, keep):
    """A dict of str -> str as a NULL-terminated C array {k1, v1, k2, v2, NULL}."""
    if d is None:
        return None
    if not isinstance(d, dict):
        raise TypeError("%s must be a dict of str to str" % name)
    flat = []
    for k, v in d.items():
        flat += [_native.arg(k, name), _native.arg(v if isinstance(v, (str, bytes)) else str(v), name)]
    arr = (c_char_p * (len(flat) + 1))(*flat, None)
    keep.append(arr)
    return ctypes.cast(arr, _PP)


def _list_options(page_size, max_items, include_browse=False, include_unbound=False, omit_columns=False,
                  omit_properties=False, omit_username=False):
    o = _ListOptions()
    o.version = 1
    o.page_size = int(page_size or 0)
    o.max_items = int(max_items or 0)
    o.include_browse = 1 if include_browse else 0
    o.include_unbound = 1 if include_unbound else 0
    o.omit_columns = 1 if omit_columns else 0
    o.omit_properties = 1 if omit_properties else 0
    o.omit_username = 1 if omit_username else 0
    return o


def _create_options(keep, comment=None, properties=None, storage_root=None, storage_location=None,
                    provider_name=None, share_name=None, connection_name=None, options=None):
    o = _CreateOptions()
    o.version = 1
    o.comment = _native.arg(comment, "comment")
    o.properties = _pairs(properties, "properties", keep)
    o.storage_root = _native.arg(storage_root, "storage_root")
    o.storage_location = _native.arg(storage_location, "storage_location")
    o.provider_name = _native.arg(provider_name, "provider_name")
    o.share_name = _native.arg(share_name, "share_name")
    o.connection_name = _native.arg(connection_name, "connection_name")
    o.options = _pairs(options, "options", keep)
    return o


def _update_options(keep, new_name=None, comment=None, owner=None, properties=None, isolation_mode=None,
                    enable_predictive_optimization=None):
    o = _UpdateOptions()
    o.version = 1
    o.new_name = _native.arg(new_name, "new_name")
    o.comment = _native.arg(comment, "comment")
    o.owner = _native.arg(owner, "owner")
    o.properties = _pairs(properties, "properties", keep)
    o.isolation_mode = _native.arg(isolation_mode, "isolation_mode")
    o.enable_predictive_optimization = _native.arg(enable_predictive_optimization,
                                                   "enable_predictive_optimization")
    return o


def _full(parts, what, n):
    """A full name from one argument ("c.s.t") or its parts ("c", "s", "t")."""
    parts = [p for p in parts if p is not None]
    if len(parts) == 1:
        return _native.arg(parts[0], what)
    if len(parts) == n:
        for p in parts:
            if not isinstance(p, str):
                raise TypeError("%s parts must be str" % what)
        return ".".join(parts).encode("utf-8")
    raise TypeError("%s: give the full name or its %d parts" % (what, n))


def _enum_names(fn):
    """The server spellings of a C enum, by value (0: "UNKNOWN")."""
    names = []
    for i in range(256):
        n = _native.text(fn(i))
        if i and n == "UNKNOWN":
            break
        names.append(n)
    return tuple(names)


def _enum_text(name_fn, value, raw_fn, p):
    """An enum field: its known spelling, or (a value libdbx does not know yet) the raw text."""
    if value:
        return _native.text(name_fn(value))
    return _native.text(raw_fn(p)) or "UNKNOWN"


def _properties(lib, kind, p):
    at = getattr(lib, "dbx_%s_property_at" % kind)
    out = {}
    k, v = c_char_p(), c_char_p()
    for i in range(getattr(lib, "dbx_%s_property_count" % kind)(p)):
        if not at(p, i, ctypes.byref(k), ctypes.byref(v)):
            break
        if k.value is not None:
            out[_native.text(k.value)] = _native.text(v.value) if v.value is not None else ""
    return out


class _Raw:
    """Mixin: ``raw``, the whole answer as a dict, parsed on first use from the JSON text kept."""

    @property
    def raw(self) -> Dict[str, Any]:
        r = self._raw
        if r is None:
            src = self._src
            r = src if isinstance(src, dict) else json.loads(src or b"{}")
            object.__setattr__(self, "_raw", r)
        return r


def _raw_fields():
    return (dataclasses.field(default=None, repr=False, compare=False),
            dataclasses.field(default=None, init=False, repr=False, compare=False))


@dataclasses.dataclass(frozen=True)
class CatalogInfo(_Raw):
    """A CatalogInfo."""
    name: str
    full_name: str
    catalog_type: str
    comment: str
    owner: str
    storage_root: str
    storage_location: str
    metastore_id: str
    isolation_mode: str
    created_at: int
    created_by: str
    updated_at: int
    updated_by: str
    properties: Dict[str, str]
    _src: Any = _raw_fields()[0]
    _raw: Any = _raw_fields()[1]

    @classmethod
    def _from_c(cls, lib, p):
        t = _native.text
        return cls(
            name=t(lib.dbx_catalog_name(p)), full_name=t(lib.dbx_catalog_full_name(p)),
            catalog_type=t(lib.dbx_catalog_type(p)), comment=t(lib.dbx_catalog_comment(p)),
            owner=t(lib.dbx_catalog_owner(p)), storage_root=t(lib.dbx_catalog_storage_root(p)),
            storage_location=t(lib.dbx_catalog_storage_location(p)),
            metastore_id=t(lib.dbx_catalog_metastore_id(p)), isolation_mode=t(lib.dbx_catalog_isolation_mode(p)),
            created_at=lib.dbx_catalog_created_at(p), created_by=t(lib.dbx_catalog_created_by(p)),
            updated_at=lib.dbx_catalog_updated_at(p), updated_by=t(lib.dbx_catalog_updated_by(p)),
            properties=_properties(lib, "catalog", p), _src=lib.dbx_catalog_json(p))


@dataclasses.dataclass(frozen=True)
class SchemaInfo(_Raw):
    """A SchemaInfo."""
    name: str
    catalog_name: str
    full_name: str
    schema_id: str
    comment: str
    owner: str
    storage_root: str
    storage_location: str
    metastore_id: str
    created_at: int
    created_by: str
    updated_at: int
    updated_by: str
    properties: Dict[str, str]
    _src: Any = _raw_fields()[0]
    _raw: Any = _raw_fields()[1]

    @classmethod
    def _from_c(cls, lib, p):
        t = _native.text
        return cls(
            name=t(lib.dbx_schema_name(p)), catalog_name=t(lib.dbx_schema_catalog_name(p)),
            full_name=t(lib.dbx_schema_full_name(p)), schema_id=t(lib.dbx_schema_id(p)),
            comment=t(lib.dbx_schema_comment(p)), owner=t(lib.dbx_schema_owner(p)),
            storage_root=t(lib.dbx_schema_storage_root(p)), storage_location=t(lib.dbx_schema_storage_location(p)),
            metastore_id=t(lib.dbx_schema_metastore_id(p)),
            created_at=lib.dbx_schema_created_at(p), created_by=t(lib.dbx_schema_created_by(p)),
            updated_at=lib.dbx_schema_updated_at(p), updated_by=t(lib.dbx_schema_updated_by(p)),
            properties=_properties(lib, "schema", p), _src=lib.dbx_schema_json(p))


@dataclasses.dataclass(frozen=True)
class ColumnInfo:
    """A ColumnInfo of a table. ``type_name`` is Unity Catalog's ColumnTypeName ("LONG"),
    ``type_text`` the SQL type ("bigint", "decimal(10,2)"). ``position`` and
    ``partition_index`` are None when absent / not a partition column."""
    name: str
    type_name: str
    type_text: str
    type_json: str
    precision: int
    scale: int
    nullable: bool
    position: Optional[int]
    comment: str
    partition_index: Optional[int]

    @classmethod
    def _from_c(cls, lib, col):
        t = _native.text
        pos, part = lib.dbx_column_position(col), lib.dbx_column_partition_index(col)
        return cls(
            name=t(lib.dbx_column_name(col)),
            type_name=_enum_text(lib.dbx_column_type_name, lib.dbx_column_type(col), lib.dbx_column_type_str, col),
            type_text=t(lib.dbx_column_type_text(col)), type_json=t(lib.dbx_column_type_json(col)),
            precision=lib.dbx_column_precision(col), scale=lib.dbx_column_scale(col),
            nullable=bool(lib.dbx_column_nullable(col)), position=None if pos < 0 else pos,
            comment=t(lib.dbx_column_comment(col)), partition_index=None if part < 0 else part)


@dataclasses.dataclass(frozen=True)
class TableInfo(_Raw):
    """A TableInfo; ``columns`` in the server's order (empty when a list omitted them)."""
    name: str
    catalog_name: str
    schema_name: str
    full_name: str
    table_id: str
    table_type: str
    data_source_format: str
    storage_location: str
    view_definition: str
    comment: str
    owner: str
    metastore_id: str
    created_at: int
    created_by: str
    updated_at: int
    updated_by: str
    properties: Dict[str, str]
    columns: List[ColumnInfo]
    _src: Any = _raw_fields()[0]
    _raw: Any = _raw_fields()[1]

    def column(self, name) -> Optional[ColumnInfo]:
        """The column called ``name`` (exact match, first one), or None."""
        for c in self.columns:
            if c.name == name:
                return c
        return None

    @classmethod
    def _from_c(cls, lib, p):
        t = _native.text
        cols = []
        for i in range(lib.dbx_table_column_count(p)):
            col = lib.dbx_table_column(p, i)
            if col:
                cols.append(ColumnInfo._from_c(lib, col))
        return cls(
            name=t(lib.dbx_table_name(p)), catalog_name=t(lib.dbx_table_catalog_name(p)),
            schema_name=t(lib.dbx_table_schema_name(p)), full_name=t(lib.dbx_table_full_name(p)),
            table_id=t(lib.dbx_table_id(p)),
            table_type=_enum_text(lib.dbx_table_type_name, lib.dbx_table_type(p), lib.dbx_table_type_str, p),
            data_source_format=_enum_text(lib.dbx_data_source_format_name, lib.dbx_table_data_source_format(p),
                                          lib.dbx_table_data_source_format_str, p),
            storage_location=t(lib.dbx_table_storage_location(p)),
            view_definition=t(lib.dbx_table_view_definition(p)), comment=t(lib.dbx_table_comment(p)),
            owner=t(lib.dbx_table_owner(p)), metastore_id=t(lib.dbx_table_metastore_id(p)),
            created_at=lib.dbx_table_created_at(p), created_by=t(lib.dbx_table_created_by(p)),
            updated_at=lib.dbx_table_updated_at(p), updated_by=t(lib.dbx_table_updated_by(p)),
            properties=_properties(lib, "table", p), columns=cols, _src=lib.dbx_table_json(p))


@dataclasses.dataclass(frozen=True)
class TableSummary(_Raw):
    """A TableSummary: full name and type."""
    full_name: str
    table_type: str
    _src: Any = _raw_fields()[0]
    _raw: Any = _raw_fields()[1]

    @classmethod
    def _from_c(cls, lib, p):
        return cls(full_name=_native.text(lib.dbx_table_summary_full_name(p)),
                   table_type=_enum_text(lib.dbx_table_type_name, lib.dbx_table_summary_type(p),
                                         lib.dbx_table_summary_type_str, p),
                   _src=lib.dbx_table_summary_json(p))


@dataclasses.dataclass(frozen=True)
class VolumeInfo(_Raw):
    """A VolumeInfo. Its files: ``client.files`` at ``/Volumes/<catalog>/<schema>/<volume>/...``."""
    name: str
    catalog_name: str
    schema_name: str
    full_name: str
    volume_id: str
    volume_type: str
    storage_location: str
    comment: str
    owner: str
    metastore_id: str
    created_at: int
    created_by: str
    updated_at: int
    updated_by: str
    _src: Any = _raw_fields()[0]
    _raw: Any = _raw_fields()[1]

    @property
    def path(self) -> str:
        """The volume's path for the Files API: ``/Volumes/<catalog>/<schema>/<volume>``."""
        return "/Volumes/%s/%s/%s" % (self.catalog_name, self.schema_name, self.name)

    @classmethod
    def _from_c(cls, lib, p):
        t = _native.text
        return cls(
            name=t(lib.dbx_volume_name(p)), catalog_name=t(lib.dbx_volume_catalog_name(p)),
            schema_name=t(lib.dbx_volume_schema_name(p)), full_name=t(lib.dbx_volume_full_name(p)),
            volume_id=t(lib.dbx_volume_id(p)),
            volume_type=_enum_text(lib.dbx_volume_type_name, lib.dbx_volume_type(p), lib.dbx_volume_type_str, p),
            storage_location=t(lib.dbx_volume_storage_location(p)), comment=t(lib.dbx_volume_comment(p)),
            owner=t(lib.dbx_volume_owner(p)), metastore_id=t(lib.dbx_volume_metastore_id(p)),
            created_at=lib.dbx_volume_created_at(p), created_by=t(lib.dbx_volume_created_by(p)),
            updated_at=lib.dbx_volume_updated_at(p), updated_by=t(lib.dbx_volume_updated_by(p)),
            _src=lib.dbx_volume_json(p))


@dataclasses.dataclass
class Column:
    """A column of a new external table (:meth:`Tables.create_external`). ``type_text`` is the
    SQL type ("bigint", "decimal(10,2)", "array<string>"); ``type_name`` (ColumnTypeName,
    "LONG") is derived from it when not given; ``partition_index`` counts from 0."""
    name: str
    type_text: str
    type_name: Optional[str] = None
    precision: int = 0
    scale: int = 0
    nullable: bool = True
    comment: Optional[str] = None
    partition_index: Optional[int] = None


# ---- the namespaces -----------------------------------------------------------------------------

class _Part:
    def __init__(self, area):
        self._area = area
        self._lib = area._lib

    def _ptr(self):
        return self._area._ptr()

    def _check(self, st):
        return self._area._check(st)

    def _owned(self, fn, free, cls, *args):
        """Call ``fn(&out, client, *args)``; convert the owned result, free it at once."""
        out = c_void_p()
        self._check(fn(ctypes.byref(out), self._ptr(), *args))
        try:
            return cls._from_c(self._lib, out.value)
        finally:
            free(out.value)

    def _iter(self, next_fn, free_fn, cls, start, *args):
        lib = self._lib
        it = _base.CIterator(self._area._client, next_fn, free_fn, lambda p: cls._from_c(lib, p.value))
        return it._start(start(ctypes.byref(it._it), self._ptr(), *args))


class Catalogs(_Part):
    """``client.catalog.catalogs``: ``/api/2.1/unity-catalog/catalogs``."""

    def list(self, *, include_browse=False, include_unbound=False, page_size=None,
             max_items=None) -> Iterator[CatalogInfo]:
        """Catalogs, lazily, a page at a time (sorted by the service)."""
        lib = self._lib
        o = _list_options(page_size, max_items, include_browse=include_browse, include_unbound=include_unbound)
        return self._iter(lib.dbx_catalogs_iter_next, lib.dbx_catalogs_iter_free, CatalogInfo,
                          lib.dbx_catalogs_list, ctypes.byref(o))

    def get(self, name) -> CatalogInfo:
        lib = self._lib
        return self._owned(lib.dbx_catalogs_get, lib.dbx_catalog_free, CatalogInfo, _native.arg(name, "name"))

    def create(self, name, *, comment=None, properties=None, storage_root=None, provider_name=None,
               share_name=None, connection_name=None, options=None) -> CatalogInfo:
        """Create a catalog (a Delta Sharing catalog with ``provider_name`` + ``share_name``, a
        foreign one with ``connection_name`` + ``options``)."""
        keep = []
        o = _create_options(keep, comment=comment, properties=properties, storage_root=storage_root,
                            provider_name=provider_name, share_name=share_name, connection_name=connection_name,
                            options=options)
        lib = self._lib
        return self._owned(lib.dbx_catalogs_create, lib.dbx_catalog_free, CatalogInfo,
                           _native.arg(name, "name"), ctypes.byref(o))

    def update(self, name, *, new_name=None, comment=None, owner=None, properties=None, isolation_mode=None,
               enable_predictive_optimization=None) -> CatalogInfo:
        """Change a catalog; ``properties`` replaces its properties. Returns the updated catalog."""
        keep = []
        o = _update_options(keep, new_name, comment, owner, properties, isolation_mode,
                            enable_predictive_optimization)
        lib = self._lib
        return self._owned(lib.dbx_catalogs_update, lib.dbx_catalog_free, CatalogInfo,
                           _native.arg(name, "name"), ctypes.byref(o))

    def delete(self, name, *, force=False) -> None:
        """Delete a catalog; a non-empty one needs ``force=True`` (else :class:`InvalidState`)."""
        self._check(self._lib.dbx_catalogs_delete(self._ptr(), _native.arg(name, "name"), 1 if force else 0))


class Schemas(_Part):
    """``client.catalog.schemas``: ``/api/2.1/unity-catalog/schemas``."""

    def list(self, catalog_name, *, include_browse=False, page_size=None,
             max_items=None) -> Iterator[SchemaInfo]:
        lib = self._lib
        o = _list_options(page_size, max_items, include_browse=include_browse)
        return self._iter(lib.dbx_schemas_iter_next, lib.dbx_schemas_iter_free, SchemaInfo, lib.dbx_schemas_list,
                          _native.arg(catalog_name, "catalog_name"), ctypes.byref(o))

    def get(self, full_name, schema=None) -> SchemaInfo:
        """``get("main.sales")`` or ``get("main", "sales")``."""
        lib = self._lib
        return self._owned(lib.dbx_schemas_get, lib.dbx_schema_free, SchemaInfo,
                           _full((full_name, schema), "full_name", 2))

    def create(self, catalog_name, name, *, comment=None, properties=None, storage_root=None) -> SchemaInfo:
        keep = []
        o = _create_options(keep, comment=comment, properties=properties, storage_root=storage_root)
        lib = self._lib
        return self._owned(lib.dbx_schemas_create, lib.dbx_schema_free, SchemaInfo,
                           _native.arg(catalog_name, "catalog_name"), _native.arg(name, "name"), ctypes.byref(o))

    def update(self, full_name, *, new_name=None, comment=None, owner=None, properties=None,
               enable_predictive_optimization=None) -> SchemaInfo:
        keep = []
        o = _update_options(keep, new_name, comment, owner, properties, None, enable_predictive_optimization)
        lib = self._lib
        return self._owned(lib.dbx_schemas_update, lib.dbx_schema_free, SchemaInfo,
                           _native.arg(full_name, "full_name"), ctypes.byref(o))

    def delete(self, full_name, *, force=False) -> None:
        self._check(self._lib.dbx_schemas_delete(self._ptr(), _native.arg(full_name, "full_name"),
                                                 1 if force else 0))


class Tables(_Part):
    """``client.catalog.tables``: ``/api/2.1/unity-catalog/tables`` and ``/table-summaries``."""

    def list(self, catalog_name, schema_name, *, include_browse=False, omit_columns=False,
             omit_properties=False, omit_username=False, page_size=None,
             max_items=None) -> Iterator[TableInfo]:
        """The tables of a schema, lazily (no ordering guarantee)."""
        lib = self._lib
        o = _list_options(page_size, max_items, include_browse=include_browse, omit_columns=omit_columns,
                          omit_properties=omit_properties, omit_username=omit_username)
        return self._iter(lib.dbx_tables_iter_next, lib.dbx_tables_iter_free, TableInfo, lib.dbx_tables_list,
                          _native.arg(catalog_name, "catalog_name"), _native.arg(schema_name, "schema_name"),
                          ctypes.byref(o))

    def summaries(self, catalog_name, *, schema_name_pattern=None, table_name_pattern=None, page_size=None,
                  max_items=None) -> Iterator[TableSummary]:
        """Full names and types of a catalog's tables; patterns are SQL LIKE ('%', '_')."""
        lib = self._lib
        o = _list_options(page_size, max_items)
        return self._iter(lib.dbx_table_summaries_iter_next, lib.dbx_table_summaries_iter_free, TableSummary,
                          lib.dbx_tables_list_summaries, _native.arg(catalog_name, "catalog_name"),
                          _native.arg(schema_name_pattern, "schema_name_pattern"),
                          _native.arg(table_name_pattern, "table_name_pattern"), ctypes.byref(o))

    def get(self, full_name, schema=None, table=None) -> TableInfo:
        """``get("main.sales.orders")`` or ``get("main", "sales", "orders")``."""
        lib = self._lib
        return self._owned(lib.dbx_tables_get, lib.dbx_table_free, TableInfo,
                           _full((full_name, schema, table), "full_name", 3))

    def exists(self, full_name, schema=None, table=None) -> bool:
        ex = c_int()
        self._check(self._lib.dbx_tables_exists(ctypes.byref(ex), self._ptr(),
                                                _full((full_name, schema, table), "full_name", 3)))
        return bool(ex.value)

    def delete(self, full_name, schema=None, table=None) -> None:
        self._check(self._lib.dbx_tables_delete(self._ptr(), _full((full_name, schema, table), "full_name", 3)))

    def update(self, full_name, *, owner) -> None:
        """Change a table's owner (the only field the service lets this call change)."""
        keep = []
        o = _update_options(keep, owner=owner)
        self._check(self._lib.dbx_tables_update(self._ptr(), _native.arg(full_name, "full_name"), ctypes.byref(o)))

    def create_external(self, catalog_name, schema_name, name, columns, *, storage_location, comment=None,
                        properties=None) -> TableInfo:
        """Register an EXTERNAL Delta table at ``storage_location``. ``columns``: :class:`Column`
        objects, dicts with the same keys, or ``(name, type_text)`` pairs."""
        lib = self._lib
        cols = list(columns)
        arr = (_ColumnDef * max(1, len(cols)))()
        keep = []
        for i, c in enumerate(cols):
            if isinstance(c, (tuple, list)):
                c = Column(*c)
            elif isinstance(c, dict):
                c = Column(**c)
            elif not isinstance(c, Column):
                raise TypeError("columns must be Column objects, dicts or (name, type_text) pairs")
            d = arr[i]
            d.name = _native.arg(c.name, "columns.name")
            d.type_text = _native.arg(c.type_text, "columns.type_text")
            d.type = self._column_type(c.type_name)
            d.precision, d.scale = int(c.precision or 0), int(c.scale or 0)
            d.not_null = 0 if c.nullable else 1
            d.comment = _native.arg(c.comment, "columns.comment")
            d.partition_index = 0 if c.partition_index is None else int(c.partition_index) + 1
            keep.append(d.name)
        o = _create_options(keep, comment=comment, properties=properties, storage_location=storage_location)
        return self._owned(lib.dbx_tables_create_external, lib.dbx_table_free, TableInfo,
                           _native.arg(catalog_name, "catalog_name"), _native.arg(schema_name, "schema_name"),
                           _native.arg(name, "name"), arr, len(cols), ctypes.byref(o))

    def _column_type(self, type_name):
        if type_name is None:
            return 0
        names = _enum_names(self._lib.dbx_column_type_name)
        key = type_name.upper() if isinstance(type_name, str) else type_name
        if key not in names[1:]:
            raise _inval("unknown column type_name %r (one of %s)" % (type_name, ", ".join(names[1:])))
        return names.index(key)


class Volumes(_Part):
    """``client.catalog.volumes``: ``/api/2.1/unity-catalog/volumes``."""

    def list(self, catalog_name, schema_name, *, include_browse=False, page_size=None,
             max_items=None) -> Iterator[VolumeInfo]:
        lib = self._lib
        o = _list_options(page_size, max_items, include_browse=include_browse)
        return self._iter(lib.dbx_volumes_iter_next, lib.dbx_volumes_iter_free, VolumeInfo, lib.dbx_volumes_list,
                          _native.arg(catalog_name, "catalog_name"), _native.arg(schema_name, "schema_name"),
                          ctypes.byref(o))

    def get(self, full_name, schema=None, volume=None) -> VolumeInfo:
        """``get("main.sales.raw")`` or ``get("main", "sales", "raw")`` (the service's "read")."""
        lib = self._lib
        return self._owned(lib.dbx_volumes_read, lib.dbx_volume_free, VolumeInfo,
                           _full((full_name, schema, volume), "full_name", 3))

    read = get

    def create(self, catalog_name, schema_name, name, volume_type="MANAGED", *, storage_location=None,
               comment=None) -> VolumeInfo:
        """A MANAGED volume, or an EXTERNAL one at ``storage_location``."""
        names = _enum_names(self._lib.dbx_volume_type_name)
        key = volume_type.upper() if isinstance(volume_type, str) else volume_type
        if key not in names[1:]:
            raise _inval("volume_type must be one of %s, not %r" % (", ".join(names[1:]), volume_type))
        keep = []
        o = _create_options(keep, comment=comment, storage_location=storage_location)
        lib = self._lib
        return self._owned(lib.dbx_volumes_create, lib.dbx_volume_free, VolumeInfo,
                           _native.arg(catalog_name, "catalog_name"), _native.arg(schema_name, "schema_name"),
                           _native.arg(name, "name"), names.index(key), ctypes.byref(o))

    def update(self, full_name, *, new_name=None, comment=None, owner=None) -> VolumeInfo:
        keep = []
        o = _update_options(keep, new_name, comment, owner)
        lib = self._lib
        return self._owned(lib.dbx_volumes_update, lib.dbx_volume_free, VolumeInfo,
                           _native.arg(full_name, "full_name"), ctypes.byref(o))

    def delete(self, full_name, schema=None, volume=None) -> None:
        self._check(self._lib.dbx_volumes_delete(self._ptr(), _full((full_name, schema, volume), "full_name", 3)))


class CatalogAPI(_base.Area):
    """Unity Catalog (``/api/2.1/unity-catalog/*``): ``.catalogs``, ``.schemas``, ``.tables``,
    ``.volumes``."""

    PROTOS = PROTOS

    def __init__(self, client):
        super().__init__(client)
        self.catalogs = Catalogs(self)
        self.schemas = Schemas(self)
        self.tables = Tables(self)
        self.volumes = Volumes(self)

    @property
    def table_types(self):
        """The table types this libdbx knows ("MANAGED", "EXTERNAL", "VIEW", ...)."""
        return _enum_names(self._lib.dbx_table_type_name)[1:]

    @property
    def data_source_formats(self):
        return _enum_names(self._lib.dbx_data_source_format_name)[1:]

    @property
    def column_types(self):
        """ColumnTypeName values ("BOOLEAN", "LONG", "DECIMAL", ...)."""
        return _enum_names(self._lib.dbx_column_type_name)[1:]

    @property
    def volume_types(self):
        return _enum_names(self._lib.dbx_volume_type_name)[1:]
