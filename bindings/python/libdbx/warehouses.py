"""SQL warehouses: ``client.warehouses`` (``/api/2.0/sql/warehouses``).

    wid = client.warehouses.create(name="etl", cluster_size="Small", auto_stop_mins=10,
                                   tags={"team": "data"})
    wh = client.warehouses.wait_running(wid, timeout=600, progress=lambda i, s: print(s))
    print(wh.state, wh.jdbc_url)
    client.warehouses.stop(wid); client.warehouses.wait_stopped(wid)

Create and edit take a spec (an EndpointInfo dict or JSON text) and/or keyword fields; libdbx
checks it locally (sizes, cluster counts, auto-stop, serverless needs PRO, tags) before any
request, so a bad spec raises :class:`~libdbx.errors.InvalidArgument` without I/O.
"""

import ctypes
import dataclasses
import json
from typing import Any, Dict, Iterator, Optional

from . import _base, _native, errors

c_void_p, c_char_p, c_int = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
POINTER = ctypes.POINTER
WaitOptions = _native.WaitOptions

_STR_FIELDS = ("id", "name", "state_str", "cluster_size", "warehouse_type", "spot_instance_policy",
               "channel_name", "channel_dbsql_version", "creator_name", "health_status_str",
               "health_summary", "health_details", "health_failure_code", "health_failure_type",
               "odbc_hostname", "odbc_path", "odbc_protocol", "jdbc_url", "json")
_INT_FIELDS = ("num_clusters", "min_num_clusters", "max_num_clusters", "auto_stop_mins", "enable_photon",
               "enable_serverless_compute", "odbc_port", "state", "health_status")

#: the C functions this module calls (declared on first use by _native.declare)
PROTOS = [("dbx_warehouse_%s" % f, c_char_p, c_void_p) for f in _STR_FIELDS] + \
    [("dbx_warehouse_%s" % f, c_int, c_void_p) for f in _INT_FIELDS] + [
    ("dbx_warehouse_custom_tag", c_char_p, c_void_p, c_char_p),
    ("dbx_warehouse_free", None, c_void_p),
    ("dbx_warehouse_state_name", c_char_p, c_int),
    ("dbx_warehouse_health_name", c_char_p, c_int),
    ("dbx_warehouse_spec_new", c_int, POINTER(c_void_p)),
    ("dbx_warehouse_spec_from_json", c_int, POINTER(c_void_p), c_char_p),
    ("dbx_warehouse_spec_free", None, c_void_p),
    ("dbx_warehouse_spec_set_name", c_int, c_void_p, c_char_p),
    ("dbx_warehouse_spec_set_cluster_size", c_int, c_void_p, c_char_p),
    ("dbx_warehouse_spec_set_num_clusters", c_int, c_void_p, c_int, c_int),
    ("dbx_warehouse_spec_set_auto_stop_mins", c_int, c_void_p, c_int),
    ("dbx_warehouse_spec_set_enable_photon", c_int, c_void_p, c_int),
    ("dbx_warehouse_spec_set_enable_serverless_compute", c_int, c_void_p, c_int),
    ("dbx_warehouse_spec_set_warehouse_type", c_int, c_void_p, c_char_p),
    ("dbx_warehouse_spec_set_spot_instance_policy", c_int, c_void_p, c_char_p),
    ("dbx_warehouse_spec_set_channel", c_int, c_void_p, c_char_p, c_char_p),
    ("dbx_warehouse_spec_set_tag", c_int, c_void_p, c_char_p, c_char_p),
    ("dbx_warehouse_spec_set_json", c_int, c_void_p, c_char_p, c_char_p),
    ("dbx_warehouse_spec_to_json", c_int, POINTER(c_void_p), c_void_p),
    ("dbx_warehouses_create", c_int, POINTER(c_void_p), c_void_p, c_void_p),
    ("dbx_warehouses_edit", c_int, c_void_p, c_char_p, c_void_p),
    ("dbx_warehouses_get", c_int, POINTER(c_void_p), c_void_p, c_char_p),
    ("dbx_warehouses_start", c_int, c_void_p, c_char_p),
    ("dbx_warehouses_stop", c_int, c_void_p, c_char_p),
    ("dbx_warehouses_delete", c_int, c_void_p, c_char_p),
    ("dbx_warehouses_list", c_int, POINTER(c_void_p), c_void_p, c_void_p),
    ("dbx_warehouses_iter_next", c_int, POINTER(c_void_p), c_void_p),
    ("dbx_warehouses_iter_free", None, c_void_p),
    ("dbx_warehouses_wait_running", c_int, POINTER(c_void_p), c_void_p, c_char_p, POINTER(WaitOptions)),
    ("dbx_warehouses_wait_stopped", c_int, POINTER(c_void_p), c_void_p, c_char_p, POINTER(WaitOptions)),
]


class _ListOptions(ctypes.Structure):
    """``dbx_warehouses_list_options`` version 1 (include/dbx/warehouses.h)."""
    _fields_ = [("version", ctypes.c_uint), ("page_size", c_int), ("max_items", ctypes.c_long)]


@dataclasses.dataclass(frozen=True)
class Warehouse:
    """An EndpointInfo. Typed fields come from libdbx's accessors; ``custom_tags`` and ``raw``
    (the whole answer, for fields without an attribute) from the JSON text kept with it."""
    id: str
    name: str
    state: str
    cluster_size: str
    num_clusters: int
    min_num_clusters: int
    max_num_clusters: int
    auto_stop_mins: int
    enable_photon: bool
    enable_serverless_compute: bool
    warehouse_type: str
    spot_instance_policy: str
    channel_name: str
    channel_dbsql_version: str
    creator_name: str
    health_status: str
    health_summary: str
    health_details: str
    health_failure_code: str
    health_failure_type: str
    odbc_hostname: str
    odbc_path: str
    odbc_port: int
    odbc_protocol: str
    jdbc_url: str
    custom_tags: Dict[str, str]
    _src: Any = dataclasses.field(default=None, repr=False, compare=False)
    _raw: Any = dataclasses.field(default=None, init=False, repr=False, compare=False)

    @property
    def raw(self) -> Dict[str, Any]:
        r = self._raw
        if r is None:
            r = json.loads(self._src or b"{}")
            object.__setattr__(self, "_raw", r)
        return r

    @classmethod
    def _from_c(cls, lib, p):
        t = _native.text
        raw_json = lib.dbx_warehouse_json(p)
        # the keys of tags.custom_tags from the JSON, their values through the accessor
        tags = {}
        for entry in ((json.loads(raw_json or b"{}").get("tags") or {}).get("custom_tags") or []):
            key = entry.get("key") if isinstance(entry, dict) else None
            if isinstance(key, str):
                v = lib.dbx_warehouse_custom_tag(p, key.encode("utf-8"))
                if v is not None:
                    tags[key] = t(v)
        st, hs = lib.dbx_warehouse_state(p), lib.dbx_warehouse_health_status(p)
        return cls(
            id=t(lib.dbx_warehouse_id(p)), name=t(lib.dbx_warehouse_name(p)),
            state=t(lib.dbx_warehouse_state_name(st)) if st else (t(lib.dbx_warehouse_state_str(p)) or "UNKNOWN"),
            cluster_size=t(lib.dbx_warehouse_cluster_size(p)),
            num_clusters=lib.dbx_warehouse_num_clusters(p), min_num_clusters=lib.dbx_warehouse_min_num_clusters(p),
            max_num_clusters=lib.dbx_warehouse_max_num_clusters(p),
            auto_stop_mins=lib.dbx_warehouse_auto_stop_mins(p),
            enable_photon=bool(lib.dbx_warehouse_enable_photon(p)),
            enable_serverless_compute=bool(lib.dbx_warehouse_enable_serverless_compute(p)),
            warehouse_type=t(lib.dbx_warehouse_warehouse_type(p)),
            spot_instance_policy=t(lib.dbx_warehouse_spot_instance_policy(p)),
            channel_name=t(lib.dbx_warehouse_channel_name(p)),
            channel_dbsql_version=t(lib.dbx_warehouse_channel_dbsql_version(p)),
            creator_name=t(lib.dbx_warehouse_creator_name(p)),
            health_status=t(lib.dbx_warehouse_health_name(hs)) if hs
            else (t(lib.dbx_warehouse_health_status_str(p)) or "UNKNOWN"),
            health_summary=t(lib.dbx_warehouse_health_summary(p)),
            health_details=t(lib.dbx_warehouse_health_details(p)),
            health_failure_code=t(lib.dbx_warehouse_health_failure_code(p)),
            health_failure_type=t(lib.dbx_warehouse_health_failure_type(p)),
            odbc_hostname=t(lib.dbx_warehouse_odbc_hostname(p)), odbc_path=t(lib.dbx_warehouse_odbc_path(p)),
            odbc_port=lib.dbx_warehouse_odbc_port(p), odbc_protocol=t(lib.dbx_warehouse_odbc_protocol(p)),
            jdbc_url=t(lib.dbx_warehouse_jdbc_url(p)), custom_tags=tags, _src=raw_json)


#: keyword fields of create / edit / spec, applied through libdbx's setters
SPEC_FIELDS = ("name", "cluster_size", "min_num_clusters", "max_num_clusters", "auto_stop_mins",
               "enable_photon", "enable_serverless_compute", "warehouse_type", "spot_instance_policy",
               "channel", "dbsql_version", "tags")


class WarehousesAPI(_base.Area):
    """Create, change, list, start, stop, delete and wait for SQL warehouses."""

    PROTOS = PROTOS

    # ---- specs --------------------------------------------------------------------------------
    def _spec(self, spec, fields):
        """A C spec from a dict / JSON text (dbx_warehouse_spec_from_json), then the keyword
        fields through the setters. Every step is validated by libdbx."""
        lib = self._lib
        unknown = set(fields) - set(SPEC_FIELDS)
        if unknown:
            raise TypeError("unknown warehouse field(s): %s (put other fields in spec)" % ", ".join(sorted(unknown)))
        if isinstance(spec, dict):
            spec = json.dumps(spec)
        elif spec is not None and not isinstance(spec, (str, bytes)):
            raise TypeError("spec must be a dict or JSON text")
        out = c_void_p()
        if spec is None:
            errors.check(lib, None, lib.dbx_warehouse_spec_new(ctypes.byref(out)))
        else:
            errors.check(lib, None, lib.dbx_warehouse_spec_from_json(ctypes.byref(out), _native.arg(spec, "spec")))
        s = out.value
        try:
            self._apply(s, {k: v for k, v in fields.items() if v is not None})
        except BaseException:
            lib.dbx_warehouse_spec_free(s)
            raise
        return s

    def _apply(self, s, f):
        lib = self._lib

        def ok(st):
            errors.check(lib, None, st)

        a = _native.arg
        if "name" in f:
            ok(lib.dbx_warehouse_spec_set_name(s, a(f["name"], "name")))
        if "cluster_size" in f:
            ok(lib.dbx_warehouse_spec_set_cluster_size(s, a(f["cluster_size"], "cluster_size")))
        lo, hi = f.get("min_num_clusters"), f.get("max_num_clusters")
        if lo is not None and hi is not None:
            ok(lib.dbx_warehouse_spec_set_num_clusters(s, int(lo), int(hi)))
        elif lo is not None:
            ok(lib.dbx_warehouse_spec_set_json(s, b"min_num_clusters", str(int(lo)).encode()))
        elif hi is not None:
            ok(lib.dbx_warehouse_spec_set_json(s, b"max_num_clusters", str(int(hi)).encode()))
        if "auto_stop_mins" in f:
            ok(lib.dbx_warehouse_spec_set_auto_stop_mins(s, int(f["auto_stop_mins"])))
        if "warehouse_type" in f:
            ok(lib.dbx_warehouse_spec_set_warehouse_type(s, a(f["warehouse_type"], "warehouse_type")))
        if "enable_photon" in f:
            ok(lib.dbx_warehouse_spec_set_enable_photon(s, 1 if f["enable_photon"] else 0))
        if "enable_serverless_compute" in f:
            ok(lib.dbx_warehouse_spec_set_enable_serverless_compute(s, 1 if f["enable_serverless_compute"] else 0))
        if "spot_instance_policy" in f:
            ok(lib.dbx_warehouse_spec_set_spot_instance_policy(s, a(f["spot_instance_policy"], "spot_instance_policy")))
        if "channel" in f or "dbsql_version" in f:
            ok(lib.dbx_warehouse_spec_set_channel(s, a(f.get("channel", "CHANNEL_NAME_CUSTOM"), "channel"),
                                                  a(f.get("dbsql_version"), "dbsql_version")))
        tags = f.get("tags")
        if tags is not None:
            if not isinstance(tags, dict):
                raise TypeError("tags must be a dict of str to str")
            for k, v in tags.items():
                ok(lib.dbx_warehouse_spec_set_tag(s, a(k, "tags"), a(v, "tags")))

    def _with_spec(self, spec, fields, call):
        s = self._spec(spec, fields)
        try:
            return call(s)
        finally:
            self._lib.dbx_warehouse_spec_free(s)

    def spec(self, spec=None, **fields) -> Dict[str, Any]:
        """The spec create / edit would send, validated locally (no request), as a dict."""
        def call(s):
            out = c_void_p()
            errors.check(self._lib, None, self._lib.dbx_warehouse_spec_to_json(ctypes.byref(out), s))
            return json.loads(_native.take_string(self._lib, out.value))
        return self._with_spec(spec, fields, call)

    # ---- operations ---------------------------------------------------------------------------
    def create(self, spec=None, **fields) -> str:
        """Create a warehouse; returns its id at once (it is STARTING: see :meth:`wait_running`).
        ``name`` and ``cluster_size`` are required; ``tags`` is a dict; ``channel`` a channel
        name ("CHANNEL_NAME_PREVIEW"), ``dbsql_version`` with "CHANNEL_NAME_CUSTOM"."""
        def call(s):
            out = c_void_p()
            self._check(self._lib.dbx_warehouses_create(ctypes.byref(out), self._ptr(), s))
            return _native.take_string(self._lib, out.value)
        return self._with_spec(spec, fields, call)

    def edit(self, warehouse_id, spec=None, **fields) -> None:
        """Change a warehouse: the fields given replace the stored ones."""
        self._with_spec(spec, fields, lambda s: self._check(
            self._lib.dbx_warehouses_edit(self._ptr(), _native.arg(warehouse_id, "warehouse_id"), s)))

    def get(self, warehouse_id) -> Warehouse:
        lib = self._lib
        out = c_void_p()
        self._check(lib.dbx_warehouses_get(ctypes.byref(out), self._ptr(), _native.arg(warehouse_id, "warehouse_id")))
        try:
            return Warehouse._from_c(lib, out.value)
        finally:
            lib.dbx_warehouse_free(out.value)

    def start(self, warehouse_id) -> None:
        """Start a warehouse (a no-op when starting or running)."""
        self._check(self._lib.dbx_warehouses_start(self._ptr(), _native.arg(warehouse_id, "warehouse_id")))

    def stop(self, warehouse_id) -> None:
        self._check(self._lib.dbx_warehouses_stop(self._ptr(), _native.arg(warehouse_id, "warehouse_id")))

    def delete(self, warehouse_id) -> None:
        self._check(self._lib.dbx_warehouses_delete(self._ptr(), _native.arg(warehouse_id, "warehouse_id")))

    def list(self, *, page_size=None, max_items=None) -> Iterator[Warehouse]:
        """Warehouses (not the deleted ones), lazily, a page at a time."""
        o = _ListOptions()
        o.version = 1
        o.page_size = int(page_size or 0)
        o.max_items = int(max_items or 0)
        lib = self._lib
        it = _base.CIterator(self._client, lib.dbx_warehouses_iter_next, lib.dbx_warehouses_iter_free,
                             lambda p: Warehouse._from_c(lib, p.value))
        return it._start(lib.dbx_warehouses_list(ctypes.byref(it._it), self._ptr(), ctypes.byref(o)))

    # ---- waiting ------------------------------------------------------------------------------
    def _wait(self, fn, warehouse_id, timeout, progress, poll_interval, poll_max) -> Optional[Warehouse]:
        lib = self._lib
        w = _base.Waiter(lib, timeout, progress, poll_interval, poll_max)
        wid = _native.arg(warehouse_id, "warehouse_id")
        out = c_void_p()
        with _base.CtrlC(w):
            st = fn(ctypes.byref(out), self._ptr(), wid, ctypes.byref(w.opts))
        last = None
        if out:
            try:
                last = Warehouse._from_c(lib, out.value)
            finally:
                lib.dbx_warehouse_free(out.value)
        w.raise_pending()  # KeyboardInterrupt (Ctrl-C) or the callback's own exception
        if st < 0:
            exc = errors.from_last(lib, self._client._ptr, st)
            exc.last = last
            raise exc
        return last

    def wait_running(self, warehouse_id, *, timeout=None, progress=None, poll_interval=None,
                     poll_max=None) -> Warehouse:
        """Poll until RUNNING (``timeout`` in seconds, default 20 min; ``progress(id, state)``
        after every poll). STOPPED, DELETING, DELETED or health FAILED raise
        :class:`~libdbx.errors.OperationFailed` at once, with ``.last`` the last snapshot."""
        return self._wait(self._lib.dbx_warehouses_wait_running, warehouse_id, timeout, progress,
                          poll_interval, poll_max)

    def wait_stopped(self, warehouse_id, *, timeout=None, progress=None, poll_interval=None,
                     poll_max=None) -> Warehouse:
        """Poll until STOPPED (DELETING / DELETED raise OperationFailed)."""
        return self._wait(self._lib.dbx_warehouses_wait_stopped, warehouse_id, timeout, progress,
                          poll_interval, poll_max)
