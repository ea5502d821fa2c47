"""The Clusters API: ``client.clusters``."""

import ctypes
import dataclasses
import json
from typing import Any, Dict, Iterator, List, Optional, Tuple

from . import _base, _native, errors

c_void_p = ctypes.c_void_p
c_int = ctypes.c_int

c_char_p, c_size_t, c_uint = ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint
POINTER = ctypes.POINTER
WaitOptions = _native.WaitOptions

#: the C functions this module calls (declared on first use by _native.declare)
PROTOS = [
    ("dbx_cluster_id", c_char_p, c_void_p),
    ("dbx_cluster_name", c_char_p, c_void_p),
    ("dbx_cluster_state_str", c_char_p, c_void_p),
    ("dbx_cluster_state_message", c_char_p, c_void_p),
    ("dbx_cluster_spark_version", c_char_p, c_void_p),
    ("dbx_cluster_node_type_id", c_char_p, c_void_p),
    ("dbx_cluster_driver_node_type_id", c_char_p, c_void_p),
    ("dbx_cluster_num_workers", c_int, c_void_p),
    ("dbx_cluster_autoscale", c_int, c_void_p, POINTER(c_int), POINTER(c_int)),
    ("dbx_cluster_autotermination_minutes", c_int, c_void_p),
    ("dbx_cluster_creator_user_name", c_char_p, c_void_p),
    ("dbx_cluster_source", c_char_p, c_void_p),
    ("dbx_cluster_start_time", ctypes.c_int64, c_void_p),
    ("dbx_cluster_terminated_time", ctypes.c_int64, c_void_p),
    ("dbx_cluster_spec_new", c_int, POINTER(c_void_p)),
    ("dbx_cluster_spec_from_json", c_int, POINTER(c_void_p), c_char_p),
    ("dbx_cluster_spec_free", None, c_void_p),
    ("dbx_cluster_spec_set_json", c_int, c_void_p, c_char_p, c_char_p),
    ("dbx_cluster_spec_to_json", c_int, POINTER(c_void_p), c_void_p),
    ("dbx_cluster_free", None, c_void_p),
    ("dbx_cluster_json", c_char_p, c_void_p),
    ("dbx_clusters_create", c_int, POINTER(c_void_p), c_void_p, c_void_p),
    ("dbx_clusters_edit", c_int, c_void_p, c_char_p, c_void_p),
    ("dbx_clusters_update", c_int, c_void_p, c_char_p, c_char_p, c_void_p),
    ("dbx_clusters_get", c_int, POINTER(c_void_p), c_void_p, c_char_p),
    ("dbx_clusters_start", c_int, c_void_p, c_char_p),
    ("dbx_clusters_restart", c_int, c_void_p, c_char_p, c_char_p),
    ("dbx_clusters_resize", c_int, c_void_p, c_char_p, c_int),
    ("dbx_clusters_resize_autoscale", c_int, c_void_p, c_char_p, c_int, c_int),
    ("dbx_clusters_delete", c_int, c_void_p, c_char_p),
    ("dbx_clusters_permanent_delete", c_int, c_void_p, c_char_p),
    ("dbx_clusters_pin", c_int, c_void_p, c_char_p),
    ("dbx_clusters_unpin", c_int, c_void_p, c_char_p),
    ("dbx_clusters_wait_running", c_int, POINTER(c_void_p), c_void_p, c_char_p, POINTER(WaitOptions)),
    ("dbx_clusters_wait_terminated", c_int, POINTER(c_void_p), c_void_p, c_char_p, POINTER(WaitOptions)),
    ("dbx_clusters_list", c_int, POINTER(c_void_p), c_void_p, c_void_p),
    ("dbx_clusters_iter_next", c_int, POINTER(c_void_p), c_void_p),
    ("dbx_clusters_iter_free", None, c_void_p),
    ("dbx_clusters_events", c_int, POINTER(c_void_p), c_void_p, c_char_p, c_void_p),
    ("dbx_cluster_events_iter_next", c_int, POINTER(c_void_p), c_void_p),
    ("dbx_cluster_events_iter_free", None, c_void_p),
    ("dbx_cluster_event_json", c_char_p, c_void_p),
    ("dbx_clusters_spark_versions", c_int, POINTER(c_void_p), c_void_p),
    ("dbx_spark_versions_count", c_size_t, c_void_p),
    ("dbx_spark_versions_key", c_char_p, c_void_p, c_size_t),
    ("dbx_spark_versions_name", c_char_p, c_void_p, c_size_t),
    ("dbx_spark_versions_free", None, c_void_p),
    ("dbx_clusters_list_node_types", c_int, POINTER(c_void_p), c_void_p),
    ("dbx_node_types_count", c_size_t, c_void_p),
    ("dbx_node_types_json", c_char_p, c_void_p, c_size_t),
    ("dbx_node_types_free", None, c_void_p),
]

STATES = ("UNKNOWN", "PENDING", "RUNNING", "RESTARTING", "RESIZING", "TERMINATING", "TERMINATED",
          "ERROR")
SOURCES = {"UI": 1, "API": 2, "JOB": 3, "MODELS": 4, "PIPELINE": 5, "PIPELINE_MAINTENANCE": 6,
           "SQL": 7}
SORT_FIELDS = {"CLUSTER_NAME": 1, "DEFAULT": 2}
SORT_DIRECTIONS = {"ASC": 1, "DESC": 2}


class _ListOptions(ctypes.Structure):
    """``dbx_clusters_list_options`` version 2 (append-only; read by its version)."""
    _fields_ = [
        ("version", ctypes.c_uint), ("page_size", c_int), ("max_items", ctypes.c_long),
        ("states", ctypes.POINTER(c_int)), ("n_states", ctypes.c_size_t),
        ("policy_id", ctypes.c_char_p),
        ("sources", ctypes.POINTER(c_int)), ("n_sources", ctypes.c_size_t),
        ("is_pinned", c_int), ("sort_field", c_int), ("sort_direction", c_int),
    ]


class _EventsOptions(ctypes.Structure):
    """``dbx_cluster_events_options`` version 2."""
    _fields_ = [
        ("version", ctypes.c_uint), ("start_time", ctypes.c_int64), ("end_time", ctypes.c_int64),
        ("ascending", c_int), ("event_types", ctypes.POINTER(ctypes.c_char_p)),
        ("page_size", c_int), ("max_items", ctypes.c_long), ("order", c_int),
    ]


class _COwner:
    """An owned C result kept alive for a Python object's lazy fields; freed with it."""

    __slots__ = ("ptr", "free")

    def __init__(self, ptr, free):
        self.ptr, self.free = ptr, free

    def __del__(self):
        if self.ptr:
            self.free(self.ptr)
            self.ptr = None


@dataclasses.dataclass(frozen=True)
class Cluster:
    """ClusterDetails. The typed attributes are read through libdbx's accessors; ``raw`` (the
    whole answer, for fields without an attribute), ``spark_conf``, ``custom_tags`` and
    ``termination_reason`` are parsed on first use."""
    cluster_id: str
    cluster_name: str
    state: str
    state_message: str
    spark_version: str
    node_type_id: str
    driver_node_type_id: str
    num_workers: Optional[int]
    autoscale: Optional[Tuple[int, int]]
    autotermination_minutes: int
    creator_user_name: str
    cluster_source: str
    start_time: int
    terminated_time: int
    # where `raw` comes from: a dict, JSON bytes, or (lib, _COwner) of the C result
    _src: Any = dataclasses.field(default=None, repr=False, compare=False)
    _raw: Any = dataclasses.field(default=None, init=False, repr=False, compare=False)

    @property
    def raw(self) -> Dict[str, Any]:
        r = self._raw
        if r is None:
            src = self._src
            if isinstance(src, dict):
                r = src
            elif isinstance(src, (bytes, str)):
                r = json.loads(src)
            elif src is not None:
                lib, owner = src
                r = json.loads(_native.text(lib.dbx_cluster_json(owner.ptr)) or "{}")
            else:
                r = {}
            object.__setattr__(self, "_raw", r)
        return r

    @property
    def spark_conf(self) -> Dict[str, str]:
        return dict(self.raw.get("spark_conf") or {})

    @property
    def custom_tags(self) -> Dict[str, str]:
        return dict(self.raw.get("custom_tags") or {})

    @property
    def termination_reason(self) -> Optional[Dict[str, Any]]:
        return self.raw.get("termination_reason")

    @classmethod
    def from_dict(cls, d):
        auto = d.get("autoscale")
        autoscale = (int(auto.get("min_workers", 0)), int(auto.get("max_workers", 0))) if auto else None
        return cls(
            cluster_id=d.get("cluster_id", ""), cluster_name=d.get("cluster_name", ""),
            state=d.get("state", "UNKNOWN"), state_message=d.get("state_message", ""),
            spark_version=d.get("spark_version", ""), node_type_id=d.get("node_type_id", ""),
            driver_node_type_id=d.get("driver_node_type_id", ""),
            num_workers=None if autoscale else int(d.get("num_workers", 0)),
            autoscale=autoscale,
            autotermination_minutes=int(d.get("autotermination_minutes", 0)),
            creator_user_name=d.get("creator_user_name", ""),
            cluster_source=d.get("cluster_source", ""),
            start_time=int(d.get("start_time", 0)), terminated_time=int(d.get("terminated_time", 0)),
            _src=d)

    @classmethod
    def _from_c(cls, lib, p, owned):
        """From a C dbx_cluster: typed fields through the accessors (no JSON parse in Python).
        An owned result is kept (and freed with the object) for the lazy fields; a borrowed
        iterator item leaves its JSON text instead."""
        t = _native.text
        lo, hi = c_int(), c_int()
        auto = (lo.value, hi.value) if lib.dbx_cluster_autoscale(p, ctypes.byref(lo), ctypes.byref(hi)) else None
        src = (lib, _COwner(p, lib.dbx_cluster_free)) if owned else lib.dbx_cluster_json(p)
        return cls(
            cluster_id=t(lib.dbx_cluster_id(p)), cluster_name=t(lib.dbx_cluster_name(p)),
            state=t(lib.dbx_cluster_state_str(p)) or "UNKNOWN",
            state_message=t(lib.dbx_cluster_state_message(p)),
            spark_version=t(lib.dbx_cluster_spark_version(p)), node_type_id=t(lib.dbx_cluster_node_type_id(p)),
            driver_node_type_id=t(lib.dbx_cluster_driver_node_type_id(p)),
            num_workers=None if auto else lib.dbx_cluster_num_workers(p), autoscale=auto,
            autotermination_minutes=lib.dbx_cluster_autotermination_minutes(p),
            creator_user_name=t(lib.dbx_cluster_creator_user_name(p)), cluster_source=t(lib.dbx_cluster_source(p)),
            start_time=lib.dbx_cluster_start_time(p), terminated_time=lib.dbx_cluster_terminated_time(p),
            _src=src)


@dataclasses.dataclass(frozen=True)
class ClusterEvent:
    cluster_id: str
    timestamp: int
    type: str
    details: Dict[str, Any]
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, d):
        return cls(cluster_id=d.get("cluster_id", ""), timestamp=int(d.get("timestamp", 0)),
                   type=d.get("type", ""), details=d.get("details") or {}, raw=d)


def _int_array(values, table, what):
    if not values:
        return None, 0
    if isinstance(values, str):
        values = [values]
    codes = []
    for v in values:
        key = v.upper() if isinstance(v, str) else v
        if key not in table:
            raise errors.InvalidArgument("unknown %s %r (one of %s)" % (what, v, ", ".join(table)),
                                         status=-2, status_name="DBX_EINVAL")
        codes.append(table[key])
    return (c_int * len(codes))(*codes), len(codes)


class ClustersAPI(_base.Area):
    """Create, change, list and wait for clusters (``/api/2.1/clusters/*``)."""

    PROTOS = PROTOS

    # ---- specs ------------------------------------------------------------------------------
    def _spec(self, spec, fields):
        """A C cluster spec from a dict / JSON text and keyword fields (validated by libdbx)."""
        if spec is None:
            spec = {}
        if isinstance(spec, (str, bytes)):
            spec = json.loads(spec)
        if not isinstance(spec, dict):
            raise TypeError("spec must be a dict or JSON text")
        merged = dict(spec)
        merged.update({k: v for k, v in fields.items() if v is not None})
        out = c_void_p()
        st = self._lib.dbx_cluster_spec_from_json(ctypes.byref(out), json.dumps(merged).encode())
        errors.check(self._lib, None, st)
        return out

    def _with_spec(self, spec, fields, call):
        s = self._spec(spec, fields)
        try:
            return call(s)
        finally:
            self._lib.dbx_cluster_spec_free(s)

    # ---- operations -------------------------------------------------------------------------
    def create(self, spec=None, **fields) -> str:
        """Create a cluster; returns its id at once (state PENDING). ``spec`` is a ClusterSpec
        dict or JSON; keywords add or override fields (``spark_version`` is required)."""
        def call(s):
            out = c_void_p()
            self._check(self._lib.dbx_clusters_create(ctypes.byref(out), self._ptr(), s))
            return _native.take_string(self._lib, out.value)
        return self._with_spec(spec, fields, call)

    def edit(self, cluster_id, spec=None, **fields) -> None:
        """Replace a cluster's configuration (a RUNNING cluster restarts)."""
        self._with_spec(spec, fields, lambda s: self._check(
            self._lib.dbx_clusters_edit(self._ptr(), _native.arg(cluster_id, "cluster_id"), s)))

    def update(self, cluster_id, update_mask, spec=None, **fields) -> None:
        """Change the fields named by ``update_mask`` ("num_workers,custom_tags" or "*")."""
        if isinstance(update_mask, (list, tuple)):
            update_mask = ",".join(update_mask)
        self._with_spec(spec, fields, lambda s: self._check(self._lib.dbx_clusters_update(
            self._ptr(), _native.arg(cluster_id, "cluster_id"), _native.arg(update_mask, "update_mask"), s)))

    def get(self, cluster_id) -> Cluster:
        out = c_void_p()
        self._check(self._lib.dbx_clusters_get(ctypes.byref(out), self._ptr(),
                                               _native.arg(cluster_id, "cluster_id")))
        return Cluster._from_c(self._lib, out.value, True)

    def start(self, cluster_id) -> None:
        self._check(self._lib.dbx_clusters_start(self._ptr(), _native.arg(cluster_id, "cluster_id")))

    def restart(self, cluster_id, restart_user=None) -> None:
        self._check(self._lib.dbx_clusters_restart(self._ptr(), _native.arg(cluster_id, "cluster_id"),
                                                   _native.arg(restart_user, "restart_user")))

    def resize(self, cluster_id, num_workers=None, *, autoscale=None) -> None:
        """Resize to ``num_workers``, or to ``autoscale=(min_workers, max_workers)``."""
        cid = _native.arg(cluster_id, "cluster_id")
        if (num_workers is None) == (autoscale is None):
            raise errors.InvalidArgument("give exactly one of num_workers and autoscale",
                                         status=-2, status_name="DBX_EINVAL")
        if autoscale is not None:
            lo, hi = autoscale
            self._check(self._lib.dbx_clusters_resize_autoscale(self._ptr(), cid, int(lo), int(hi)))
        else:
            self._check(self._lib.dbx_clusters_resize(self._ptr(), cid, int(num_workers)))

    def delete(self, cluster_id) -> None:
        """Terminate a cluster (it can be started again)."""
        self._check(self._lib.dbx_clusters_delete(self._ptr(), _native.arg(cluster_id, "cluster_id")))

    terminate = delete

    def permanent_delete(self, cluster_id) -> None:
        self._check(self._lib.dbx_clusters_permanent_delete(self._ptr(), _native.arg(cluster_id, "cluster_id")))

    def pin(self, cluster_id) -> None:
        self._check(self._lib.dbx_clusters_pin(self._ptr(), _native.arg(cluster_id, "cluster_id")))

    def unpin(self, cluster_id) -> None:
        self._check(self._lib.dbx_clusters_unpin(self._ptr(), _native.arg(cluster_id, "cluster_id")))

    # ---- listing ----------------------------------------------------------------------------
    def list(self, *, states=None, sources=None, policy_id=None, is_pinned=None, sort_by=None,
             sort_direction=None, page_size=None, max_items=None) -> Iterator[Cluster]:
        """Clusters, lazily, a page at a time (``filter_by`` / ``sort_by`` as keywords)."""
        o = _ListOptions()
        o.version = 2
        o.page_size = int(page_size or 0)
        o.max_items = int(max_items or 0)
        st_arr, o.n_states = _int_array(states, {s: i for i, s in enumerate(STATES) if i}, "state")
        src_arr, o.n_sources = _int_array(sources, SOURCES, "cluster source")
        if st_arr is not None:
            o.states = st_arr
        if src_arr is not None:
            o.sources = src_arr
        o.policy_id = _native.arg(policy_id, "policy_id")
        o.is_pinned = 0 if is_pinned is None else (1 if is_pinned else 2)
        if sort_by is not None:
            o.sort_field = _int_array([sort_by], SORT_FIELDS, "sort field")[0][0]
        if sort_direction is not None:
            o.sort_direction = _int_array([sort_direction], SORT_DIRECTIONS, "sort direction")[0][0]
        lib = self._lib
        it = _base.CIterator(self._client, lib.dbx_clusters_iter_next, lib.dbx_clusters_iter_free,
                             lambda p: Cluster._from_c(lib, p.value, False))
        return it._start(lib.dbx_clusters_list(ctypes.byref(it._it), self._ptr(), ctypes.byref(o)))

    def events(self, cluster_id, *, start_time=None, end_time=None, order=None, event_types=None,
               page_size=None, max_items=None) -> Iterator[ClusterEvent]:
        """A cluster's events (newest first unless ``order="ASC"``)."""
        o = _EventsOptions()
        o.version = 2
        o.start_time = int(start_time or 0)
        o.end_time = int(end_time or 0)
        o.page_size = int(page_size or 0)
        o.max_items = int(max_items or 0)
        if order is not None:
            o.order = _int_array([order], SORT_DIRECTIONS, "order")[0][0]
        keep = None
        if event_types:
            if isinstance(event_types, str):
                event_types = [event_types]
            keep = (ctypes.c_char_p * (len(event_types) + 1))(
                *[_native.arg(t, "event_types") for t in event_types], None)
            o.event_types = keep
        lib = self._lib
        it = _base.CIterator(self._client, lib.dbx_cluster_events_iter_next, lib.dbx_cluster_events_iter_free,
                             lambda p: ClusterEvent.from_dict(json.loads(_native.text(lib.dbx_cluster_event_json(p)))))
        it._keep = keep
        return it._start(lib.dbx_clusters_events(ctypes.byref(it._it), self._ptr(),
                                                 _native.arg(cluster_id, "cluster_id"), ctypes.byref(o)))

    def spark_versions(self) -> List[Tuple[str, str]]:
        """``[(key, name), ...]``."""
        lib = self._lib
        out = c_void_p()
        self._check(lib.dbx_clusters_spark_versions(ctypes.byref(out), self._ptr()))
        try:
            return [(_native.text(lib.dbx_spark_versions_key(out, i)), _native.text(lib.dbx_spark_versions_name(out, i)))
                    for i in range(lib.dbx_spark_versions_count(out))]
        finally:
            lib.dbx_spark_versions_free(out)

    def list_node_types(self) -> List[Dict[str, Any]]:
        lib = self._lib
        out = c_void_p()
        self._check(lib.dbx_clusters_list_node_types(ctypes.byref(out), self._ptr()))
        try:
            return [json.loads(_native.text(lib.dbx_node_types_json(out, i)))
                    for i in range(lib.dbx_node_types_count(out))]
        finally:
            lib.dbx_node_types_free(out)

    # ---- waiting ----------------------------------------------------------------------------
    def _wait(self, fn, cluster_id, timeout, progress, poll_interval, poll_max):
        w = _base.Waiter(self._lib, timeout, progress, poll_interval, poll_max)
        out = c_void_p()
        with _base.CtrlC(w):
            st = fn(ctypes.byref(out), self._ptr(), _native.arg(cluster_id, "cluster_id"), ctypes.byref(w.opts))
        last = None
        if out:
            last = Cluster._from_c(self._lib, out.value, True)
        w.raise_pending()  # KeyboardInterrupt (Ctrl-C) or the callback's own exception
        if st < 0:
            exc = errors.from_last(self._lib, self._client._ptr, st)
            exc.last = last
            raise exc
        return last

    def wait_running(self, cluster_id, *, timeout=None, progress=None, poll_interval=None,
                     poll_max=None) -> Cluster:
        """Poll until RUNNING. ``timeout`` in seconds (default 20 min); ``progress(cluster_id,
        state)`` is called after every poll. A terminal failure raises
        :class:`~libdbx.errors.OperationFailed` with ``.last`` the last snapshot."""
        return self._wait(self._lib.dbx_clusters_wait_running, cluster_id, timeout, progress,
                          poll_interval, poll_max)

    def wait_terminated(self, cluster_id, *, timeout=None, progress=None, poll_interval=None,
                        poll_max=None) -> Cluster:
        return self._wait(self._lib.dbx_clusters_wait_terminated, cluster_id, timeout, progress,
                          poll_interval, poll_max)
