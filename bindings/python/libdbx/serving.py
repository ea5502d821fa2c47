"""Model Serving: ``client.serving`` (endpoints under ``/api/2.0/serving-endpoints`` and their
queries, ``POST /serving-endpoints/{name}/invocations``)."""

import ctypes
import dataclasses
import json
import math
from typing import Any, Dict, Iterator, List, Optional

from . import _base, _native, errors

c_void_p, c_int, c_char_p = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
c_size_t, c_uint, c_long, c_int64, c_double = (ctypes.c_size_t, ctypes.c_uint, ctypes.c_long,
                                               ctypes.c_int64, ctypes.c_double)
POINTER = ctypes.POINTER
WaitOptions = _native.WaitOptions
P = POINTER(c_void_p)

_EP = [("dbx_serving_endpoint_" + n, r, c_void_p) for n, r in (
    ("name", c_char_p), ("id", c_char_p), ("creator", c_char_p),
    ("creation_timestamp", c_int64), ("last_updated_timestamp", c_int64),
    ("ready", c_int), ("ready_str", c_char_p), ("config_update", c_int),
    ("config_update_str", c_char_p), ("route_optimized", c_int), ("endpoint_url", c_char_p),
    ("tag_count", c_size_t), ("json", c_char_p), ("inference_table", c_char_p))]
_EP_W = [("dbx_serving_endpoint_" + n, r, c_void_p, c_int) for n, r in (
    ("has_config", c_int), ("config_version", c_int64), ("entity_count", c_size_t),
    ("route_count", c_size_t))]
_EP_WI = [("dbx_serving_endpoint_" + n, r, c_void_p, c_int, c_size_t) for n, r in (
    ("entity_name", c_char_p), ("entity_model", c_char_p), ("entity_version", c_char_p),
    ("entity_workload_size", c_char_p), ("entity_workload_type", c_char_p),
    ("entity_scale_to_zero", c_int), ("entity_deployment", c_int),
    ("entity_deployment_str", c_char_p), ("entity_deployment_message", c_char_p),
    ("route_name", c_char_p), ("route_percentage", c_int))]

#: the C functions this module calls (declared on first use by _native.declare)
PROTOS = _EP + _EP_W + _EP_WI + [
    ("dbx_serving_ready_name", c_char_p, c_int),
    ("dbx_serving_config_update_name", c_char_p, c_int),
    ("dbx_serving_deployment_name", c_char_p, c_int),
    ("dbx_serving_config_new", c_int, P),
    ("dbx_serving_config_from_json", c_int, P, c_char_p),
    ("dbx_serving_config_free", None, c_void_p),
    ("dbx_serving_config_add_entity", c_int, POINTER(c_size_t), c_void_p, c_char_p, c_char_p),
    ("dbx_serving_config_entity_set_name", c_int, c_void_p, c_size_t, c_char_p),
    ("dbx_serving_config_entity_set_workload_size", c_int, c_void_p, c_size_t, c_char_p),
    ("dbx_serving_config_entity_set_workload_type", c_int, c_void_p, c_size_t, c_char_p),
    ("dbx_serving_config_entity_set_scale_to_zero", c_int, c_void_p, c_size_t, c_int),
    ("dbx_serving_config_entity_set_env", c_int, c_void_p, c_size_t, c_char_p, c_char_p),
    ("dbx_serving_config_add_route", c_int, c_void_p, c_char_p, c_int),
    ("dbx_serving_config_to_json", c_int, P, c_void_p),
    ("dbx_serving_endpoint_free", None, c_void_p),
    ("dbx_serving_endpoint_entity_env", c_char_p, c_void_p, c_int, c_size_t, c_char_p),
    ("dbx_serving_endpoint_tag_key", c_char_p, c_void_p, c_size_t),
    ("dbx_serving_endpoint_tag_value", c_char_p, c_void_p, c_size_t),
    ("dbx_serving_endpoint_tag", c_char_p, c_void_p, c_char_p),
    ("dbx_serving_create", c_int, P, c_void_p, c_char_p, c_void_p, c_void_p),
    ("dbx_serving_get", c_int, P, c_void_p, c_char_p),
    ("dbx_serving_update_config", c_int, P, c_void_p, c_char_p, c_void_p),
    ("dbx_serving_patch_tags", c_int, c_void_p, c_char_p, c_void_p, c_size_t, POINTER(c_char_p), c_size_t),
    ("dbx_serving_delete", c_int, c_void_p, c_char_p),
    ("dbx_serving_set_inference_table", c_int, c_void_p, c_char_p, c_char_p, c_char_p, c_char_p, c_int),
    ("dbx_serving_build_logs", c_int, P, c_void_p, c_char_p, c_char_p),
    ("dbx_serving_server_logs", c_int, P, c_void_p, c_char_p, c_char_p),
    ("dbx_serving_list", c_int, P, c_void_p),
    ("dbx_serving_iter_next", c_int, P, c_void_p),
    ("dbx_serving_iter_free", None, c_void_p),
    ("dbx_serving_wait_ready", c_int, P, c_void_p, c_char_p, POINTER(WaitOptions)),
    ("dbx_serving_input_new", c_int, P, c_int),
    ("dbx_serving_input_free", None, c_void_p),
    ("dbx_serving_input_set_columns", c_int, c_void_p, POINTER(c_char_p), c_size_t),
    ("dbx_serving_input_add_row", c_int, c_void_p),
    ("dbx_serving_input_add_double", c_int, c_void_p, c_double),
    ("dbx_serving_input_add_int", c_int, c_void_p, c_int64),
    ("dbx_serving_input_add_string", c_int, c_void_p, c_char_p),
    ("dbx_serving_input_add_bool", c_int, c_void_p, c_int),
    ("dbx_serving_input_add_null", c_int, c_void_p),
    ("dbx_serving_input_set_params", c_int, c_void_p, c_char_p),
    ("dbx_serving_input_set_client_request_id", c_int, c_void_p, c_char_p),
    ("dbx_serving_input_to_json", c_int, P, c_void_p),
    ("dbx_serving_query", c_int, P, c_void_p, c_char_p, c_char_p, c_void_p),
    ("dbx_serving_query_input", c_int, P, c_void_p, c_char_p, c_void_p, c_void_p),
    ("dbx_serving_result_free", None, c_void_p),
    ("dbx_serving_result_count", c_size_t, c_void_p),
    ("dbx_serving_result_type", c_int, c_void_p, c_size_t),
    ("dbx_serving_result_double", c_double, c_void_p, c_size_t),
    ("dbx_serving_result_int", c_int64, c_void_p, c_size_t, c_int64),
    ("dbx_serving_result_string", c_char_p, c_void_p, c_size_t),
    ("dbx_serving_result_is_null", c_int, c_void_p, c_size_t),
    ("dbx_serving_result_field_double", c_double, c_void_p, c_size_t, c_char_p),
    ("dbx_serving_result_field_string", c_char_p, c_void_p, c_size_t, c_char_p),
    ("dbx_serving_result_predictions_json", c_char_p, c_void_p),
    ("dbx_serving_result_json", c_char_p, c_void_p),
    ("dbx_serving_result_served_model_name", c_char_p, c_void_p),
    ("dbx_serving_result_latency_ms", c_int64, c_void_p),
    # serving extras: route-optimized endpoints need nothing here (dbx_serving_query does it)
    ("dbx_serving_result_bool", c_int, c_void_p, c_size_t, c_int),
    ("dbx_serving_traffic_get", c_int, P, c_void_p, c_char_p),
    ("dbx_serving_traffic_free", None, c_void_p),
    ("dbx_serving_traffic_count", c_size_t, c_void_p),
    ("dbx_serving_traffic_entity", c_char_p, c_void_p, c_size_t),
    ("dbx_serving_traffic_model", c_char_p, c_void_p, c_size_t),
    ("dbx_serving_traffic_version", c_char_p, c_void_p, c_size_t),
    ("dbx_serving_traffic_percentage", c_int, c_void_p, c_size_t),
    ("dbx_serving_traffic_config_json", c_char_p, c_void_p),
    ("dbx_serving_traffic_shift", c_int, P, c_void_p, c_char_p, c_char_p, c_char_p, c_int, c_void_p),
    ("dbx_serving_promote", c_int, P, c_void_p, c_char_p, c_char_p, c_void_p),
    ("dbx_serving_promotion_free", None, c_void_p),
    ("dbx_serving_promotion_endpoint", c_void_p, c_void_p),
    ("dbx_serving_promotion_previous_config_json", c_char_p, c_void_p),
    ("dbx_serving_promotion_model", c_char_p, c_void_p),
    ("dbx_serving_promotion_alias", c_char_p, c_void_p),
    ("dbx_serving_promotion_alias_version", c_int64, c_void_p),
    ("dbx_serving_promotion_previous_alias_version", c_int64, c_void_p),
    ("dbx_serving_rollback", c_int, P, c_void_p, c_char_p, c_void_p, c_void_p),
    ("dbx_serving_rollback_promotion", c_int, P, c_void_p, c_char_p, c_void_p, POINTER(WaitOptions)),
    ("dbx_metric_type_name", c_char_p, c_int),
    ("dbx_serving_metrics_get", c_int, P, c_void_p, c_char_p),
    ("dbx_serving_metrics_parse", c_int, P, c_char_p, c_size_t),
    ("dbx_serving_metrics_free", None, c_void_p),
    ("dbx_serving_metrics_count", c_size_t, c_void_p),
    ("dbx_serving_metrics_name", c_char_p, c_void_p, c_size_t),
    ("dbx_serving_metrics_type", c_int, c_void_p, c_size_t),
    ("dbx_serving_metrics_value", c_double, c_void_p, c_size_t),
    ("dbx_serving_metrics_timestamp", c_int, c_void_p, c_size_t, POINTER(c_int64)),
    ("dbx_serving_metrics_label_count", c_size_t, c_void_p, c_size_t),
    ("dbx_serving_metrics_label_key", c_char_p, c_void_p, c_size_t, c_size_t),
    ("dbx_serving_metrics_label_value", c_char_p, c_void_p, c_size_t, c_size_t),
    ("dbx_serving_metrics_label", c_char_p, c_void_p, c_size_t, c_char_p),
    ("dbx_serving_metrics_find", c_long, c_void_p, c_char_p, c_char_p, c_char_p),
    ("dbx_serving_metrics_sum", c_double, c_void_p, c_char_p, c_char_p, c_char_p),
    ("dbx_serving_query_batch", c_int, P, c_void_p, c_char_p, c_void_p, c_size_t, c_void_p),
]

ACTIVE, PENDING = 0, 1
FORMATS = {"dataframe_split": 1, "dataframe_records": 2, "instances": 3, "inputs": 4}
# dbx_serving_value_type
_ABSENT, _NULL, _BOOL, _NUMBER, _STRING = 0, 1, 2, 3, 4


class _Tag(ctypes.Structure):
    """``dbx_serving_tag`` (include/dbx/serving.h; not versioned: two pointers)."""
    _fields_ = [("key", c_char_p), ("value", c_char_p)]


class _CreateOptions(ctypes.Structure):
    """``dbx_serving_create_options`` version 1."""
    _fields_ = [("version", c_uint), ("tags", POINTER(_Tag)), ("n_tags", c_size_t),
                ("route_optimized", c_int), ("description", c_char_p), ("extra_json", c_char_p)]


class _QueryOptions(ctypes.Structure):
    """``dbx_serving_query_options`` version 1."""
    _fields_ = [("version", c_uint), ("timeout_ms", c_long)]


class _TrafficOptions(ctypes.Structure):
    """``dbx_serving_traffic_options`` version 1."""
    _fields_ = [("version", c_uint), ("no_wait", c_int), ("wait", POINTER(WaitOptions))]


class _PromoteOptions(ctypes.Structure):
    """``dbx_serving_promote_options`` version 1."""
    _fields_ = [("version", c_uint), ("keep_others", c_int), ("wait", POINTER(WaitOptions)),
                ("alias", c_char_p), ("model_name", c_char_p), ("registry", c_int), ("stage", c_char_p)]


class _RollbackOptions(ctypes.Structure):
    """``dbx_serving_rollback_options`` version 1."""
    _fields_ = [("version", c_uint), ("wait", POINTER(WaitOptions)), ("alias", c_char_p),
                ("model_name", c_char_p), ("registry", c_int), ("alias_version", c_int64)]


class _BatchOptions(ctypes.Structure):
    """``dbx_serving_batch_options`` version 1."""
    _fields_ = [("version", c_uint), ("timeout_ms", c_long), ("max_parallel", c_int),
                ("max_bytes_per_request", c_size_t)]


REGISTRIES = {None: 0, "default": 0, "workspace": 1, "uc": 2}
METRIC_TYPES = ("untyped", "counter", "gauge", "histogram", "summary")


class _COwner:
    """An owned C result kept alive for a Python object's lazy accessors; freed with it."""

    __slots__ = ("ptr", "free")

    def __init__(self, ptr, free):
        self.ptr, self.free = ptr, free

    def __del__(self):
        if self.ptr:
            self.free(self.ptr)
            self.ptr = None


def state_name(kind, value):
    """The server spelling of an enum value: ``kind`` "ready", "config_update" or "deployment"."""
    lib = _native.load()
    _native.declare(lib, PROTOS)
    fn = {"ready": lib.dbx_serving_ready_name, "config_update": lib.dbx_serving_config_update_name,
          "deployment": lib.dbx_serving_deployment_name}[kind]
    return _native.text(fn(int(value)))


# ---- results ---------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class ServedEntity:
    """A served entity of an endpoint's config (``name`` is what routes and logs use)."""
    name: str
    entity_name: str
    entity_version: str
    workload_size: str
    workload_type: str
    scale_to_zero_enabled: bool
    environment_vars: Dict[str, str]
    deployment: str
    deployment_message: str


@dataclasses.dataclass(frozen=True)
class Route:
    served_entity_name: str
    traffic_percentage: int


@dataclasses.dataclass(frozen=True)
class EndpointConfig:
    config_version: int
    served_entities: List[ServedEntity]
    routes: List[Route]


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """ServingEndpointDetailed (get / create / update_config / wait_ready) or ServingEndpoint
    (list items, fewer fields). ``config`` is the one serving, ``pending_config`` the one being
    deployed (or the failed one); ``raw`` is the whole answer."""
    name: str
    id: str
    creator: str
    creation_timestamp: int
    last_updated_timestamp: int
    ready: str
    config_update: str
    config: Optional[EndpointConfig]
    pending_config: Optional[EndpointConfig]
    tags: Dict[str, str]
    route_optimized: bool
    endpoint_url: str
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False)
    #: where scored requests are logged ("catalog.schema.prefix_payload"), "" when not enabled
    inference_table: str = ""

    @property
    def is_ready(self) -> bool:
        return self.ready == "READY" and self.config_update == "NOT_UPDATING"

    @classmethod
    def _from_c(cls, lib, p):
        t = _native.text
        raw = json.loads(t(lib.dbx_serving_endpoint_json(p)) or "{}")

        def conf(which):
            if not lib.dbx_serving_endpoint_has_config(p, which):
                return None
            rc = raw.get("pending_config" if which else "config") or {}
            ents_raw = rc.get("served_entities") or rc.get("served_models") or []
            ents = []
            for i in range(lib.dbx_serving_endpoint_entity_count(p, which)):
                env_keys = list(((ents_raw[i] if i < len(ents_raw) else {}) or {}).get("environment_vars") or {})
                env = {k: t(lib.dbx_serving_endpoint_entity_env(p, which, i, k.encode())) for k in env_keys}
                ents.append(ServedEntity(
                    name=t(lib.dbx_serving_endpoint_entity_name(p, which, i)),
                    entity_name=t(lib.dbx_serving_endpoint_entity_model(p, which, i)),
                    entity_version=t(lib.dbx_serving_endpoint_entity_version(p, which, i)),
                    workload_size=t(lib.dbx_serving_endpoint_entity_workload_size(p, which, i)),
                    workload_type=t(lib.dbx_serving_endpoint_entity_workload_type(p, which, i)),
                    scale_to_zero_enabled=bool(lib.dbx_serving_endpoint_entity_scale_to_zero(p, which, i)),
                    environment_vars=env,
                    deployment=t(lib.dbx_serving_endpoint_entity_deployment_str(p, which, i)) or "UNKNOWN",
                    deployment_message=t(lib.dbx_serving_endpoint_entity_deployment_message(p, which, i))))
            routes = [Route(t(lib.dbx_serving_endpoint_route_name(p, which, i)),
                            lib.dbx_serving_endpoint_route_percentage(p, which, i))
                      for i in range(lib.dbx_serving_endpoint_route_count(p, which))]
            return EndpointConfig(lib.dbx_serving_endpoint_config_version(p, which), ents, routes)

        tags = {}
        for i in range(lib.dbx_serving_endpoint_tag_count(p)):
            k = t(lib.dbx_serving_endpoint_tag_key(p, i))
            tags[k] = t(lib.dbx_serving_endpoint_tag_value(p, i))
        return cls(
            name=t(lib.dbx_serving_endpoint_name(p)), id=t(lib.dbx_serving_endpoint_id(p)),
            creator=t(lib.dbx_serving_endpoint_creator(p)),
            creation_timestamp=lib.dbx_serving_endpoint_creation_timestamp(p),
            last_updated_timestamp=lib.dbx_serving_endpoint_last_updated_timestamp(p),
            ready=t(lib.dbx_serving_endpoint_ready_str(p)) or "UNKNOWN",
            config_update=t(lib.dbx_serving_endpoint_config_update_str(p)) or "UNKNOWN",
            config=conf(ACTIVE), pending_config=conf(PENDING), tags=tags,
            route_optimized=bool(lib.dbx_serving_endpoint_route_optimized(p)),
            endpoint_url=t(lib.dbx_serving_endpoint_endpoint_url(p)), raw=raw,
            inference_table=t(lib.dbx_serving_endpoint_inference_table(p)))

    @classmethod
    def _take(cls, lib, ptr):
        if not ptr:
            return None
        try:
            return cls._from_c(lib, ptr)
        finally:
            lib.dbx_serving_endpoint_free(ptr)


@dataclasses.dataclass(frozen=True)
class TrafficRoute:
    """One served entity of the config now serving and its share of the traffic."""
    served_entity_name: str
    entity_name: str
    entity_version: str
    traffic_percentage: int


@dataclasses.dataclass(frozen=True)
class Traffic:
    """An endpoint's traffic split; ``config`` is the config now serving as an
    EndpointCoreConfigInput dict (what :meth:`ServingAPI.rollback` takes back)."""
    routes: List[TrafficRoute]
    config: Dict[str, Any]

    def percentages(self) -> Dict[str, int]:
        return {r.served_entity_name: r.traffic_percentage for r in self.routes}


@dataclasses.dataclass(frozen=True)
class Promotion:
    """What :meth:`ServingAPI.promote` did; ``previous_config`` (a JSON-able dict) and
    ``previous_alias_version`` (0: the alias did not exist) are what a rollback needs."""
    endpoint: Endpoint
    previous_config: Dict[str, Any]
    model: str
    alias: str
    alias_version: int
    previous_alias_version: int
    registry: str = "default"


@dataclasses.dataclass(frozen=True)
class MetricSample:
    """One sample of a Prometheus exposition: ``type`` of its family ("counter", "gauge",
    "histogram", "summary", "untyped"), ``labels``, ``value`` (nan / inf as written),
    ``timestamp`` (ms) or None."""
    name: str
    type: str
    labels: Dict[str, str]
    value: float
    timestamp: Optional[int]


class Metrics(list):
    """The samples of an endpoint's /metrics, in order, with lookups."""

    def find(self, name, label=None, value=None) -> Optional[MetricSample]:
        """The first sample named ``name`` (whose label ``label`` is ``value``, when given)."""
        for s in self:
            if s.name == name and (label is None or (label in s.labels and (value is None or s.labels[label] == value))):
                return s
        return None

    def sum(self, name, label=None, value=None) -> float:
        """The sum of the values of every such sample (0 when none)."""
        return sum(s.value for s in self if s.name == name and (
            label is None or (label in s.labels and (value is None or s.labels[label] == value))))


def _metrics_take(lib, ptr):
    try:
        t = _native.text
        out = Metrics()
        ts = c_int64()
        for i in range(lib.dbx_serving_metrics_count(ptr)):
            labels = {t(lib.dbx_serving_metrics_label_key(ptr, i, j)): t(lib.dbx_serving_metrics_label_value(ptr, i, j))
                      for j in range(lib.dbx_serving_metrics_label_count(ptr, i))}
            has = lib.dbx_serving_metrics_timestamp(ptr, i, ctypes.byref(ts))
            out.append(MetricSample(t(lib.dbx_serving_metrics_name(ptr, i)),
                                    t(lib.dbx_metric_type_name(lib.dbx_serving_metrics_type(ptr, i))),
                                    labels, lib.dbx_serving_metrics_value(ptr, i), ts.value if has else None))
        return out
    finally:
        lib.dbx_serving_metrics_free(ptr)


def parse_metrics(text) -> Metrics:
    """Parse Prometheus text (format 0.0.4) with libdbx's bounded parser (no request)."""
    lib = _native.load()
    _native.declare(lib, PROTOS)
    data = text.encode() if isinstance(text, str) else bytes(text)
    out = c_void_p()
    errors.check(lib, None, lib.dbx_serving_metrics_parse(ctypes.byref(out), data, len(data)))
    return _metrics_take(lib, out.value)


class QueryResult:
    """A query's answer: ``predictions`` (a list of Python values), ``served_model_name`` (the
    served entity that answered), ``latency_ms`` (retries included), ``raw`` (the whole answer,
    for "outputs", "choices", ...). ``field(i, key)`` reads a member of an object prediction."""

    def __init__(self, lib, ptr):
        self._lib = lib
        self._owner = _COwner(ptr, lib.dbx_serving_result_free)
        t = _native.text
        self.served_model_name = t(lib.dbx_serving_result_served_model_name(ptr))
        self.latency_ms = lib.dbx_serving_result_latency_ms(ptr)
        self.raw = json.loads(t(lib.dbx_serving_result_json(ptr)) or "{}")
        pj = t(lib.dbx_serving_result_predictions_json(ptr))
        parsed = json.loads(pj) if pj else None
        preds = []
        for i in range(lib.dbx_serving_result_count(ptr)):
            ty = lib.dbx_serving_result_type(ptr, i)
            if ty == _NULL and lib.dbx_serving_result_is_null(ptr, i):
                preds.append(None)
            elif ty == _STRING:
                preds.append(t(lib.dbx_serving_result_string(ptr, i)))
            elif ty == _NUMBER:
                v = parsed[i]
                if isinstance(v, int) and not isinstance(v, bool) and -2**63 <= v < 2**63:
                    preds.append(lib.dbx_serving_result_int(ptr, i, v))
                elif isinstance(v, int):
                    preds.append(v)
                else:
                    preds.append(lib.dbx_serving_result_double(ptr, i))
            else:  # bool, array, object
                preds.append(parsed[i])
        self.predictions = preds if parsed is not None or preds else None

    def __len__(self):
        return len(self.predictions or ())

    def field(self, i, key) -> Any:
        """Member ``key`` of object prediction ``i``: a float, a str, or None."""
        p = self._owner.ptr
        k = _native.arg(key, "key")
        s = self._lib.dbx_serving_result_field_string(p, i, k)
        if s is not None:
            return _native.text(s)
        d = self._lib.dbx_serving_result_field_double(p, i, k)
        return None if math.isnan(d) else d

    def as_bool(self, i, fallback=None) -> Any:
        """Prediction ``i`` as a bool (JSON true / false, or the numbers 1 / 0), else ``fallback``."""
        v = self._lib.dbx_serving_result_bool(self._owner.ptr, int(i), -1)
        return fallback if v < 0 else bool(v)

    def __repr__(self):
        return "QueryResult(predictions=%r, served_model_name=%r, latency_ms=%r)" % (
            self.predictions, self.served_model_name, self.latency_ms)


# ---- the API ---------------------------------------------------------------------------------
def _cell_ok(v):
    return v is None or isinstance(v, (bool, int, float, str))


class ServingAPI(_base.Area):
    """Serving endpoints: create, get, list, update the config, tags, delete, logs, wait until
    ready, and query."""

    PROTOS = PROTOS

    # ---- configs ----------------------------------------------------------------------------
    def _config(self, config, entities, routes):
        """A C dbx_serving_config from a dict / JSON (EndpointCoreConfigInput), or from
        ``entities`` (dicts with entity_name, entity_version and optional name, workload_size,
        workload_type, scale_to_zero_enabled, environment_vars) and ``routes``
        ({served_entity_name: percentage}). Validated by libdbx."""
        lib = self._lib
        out = c_void_p()
        if config is not None:
            if entities is not None:
                raise errors.InvalidArgument("give config or entities, not both", status=-2,
                                             status_name="DBX_EINVAL")
            if not isinstance(config, (str, bytes)):
                config = json.dumps(config)
            errors.check(lib, None, lib.dbx_serving_config_from_json(ctypes.byref(out),
                                                                     _native.arg(config, "config")))
            if routes:
                try:
                    for n, pct in dict(routes).items():
                        errors.check(lib, None, lib.dbx_serving_config_add_route(out, _native.arg(n, "routes"), int(pct)))
                except BaseException:
                    lib.dbx_serving_config_free(out)
                    raise
            return out
        errors.check(lib, None, lib.dbx_serving_config_new(ctypes.byref(out)))
        try:
            for e in entities or ():
                if isinstance(e, (tuple, list)):
                    e = {"entity_name": e[0], "entity_version": e[1]}
                idx = c_size_t()
                ver = e.get("entity_version")
                errors.check(lib, None, lib.dbx_serving_config_add_entity(
                    ctypes.byref(idx), out, _native.arg(e.get("entity_name"), "entity_name"),
                    _native.arg(None if ver is None else str(ver), "entity_version")))
                i = idx.value
                if e.get("name") is not None:
                    errors.check(lib, None, lib.dbx_serving_config_entity_set_name(out, i, _native.arg(e["name"], "name")))
                if e.get("workload_size") is not None:
                    errors.check(lib, None, lib.dbx_serving_config_entity_set_workload_size(
                        out, i, _native.arg(e["workload_size"], "workload_size")))
                if e.get("workload_type") is not None:
                    errors.check(lib, None, lib.dbx_serving_config_entity_set_workload_type(
                        out, i, _native.arg(e["workload_type"], "workload_type")))
                if e.get("scale_to_zero_enabled") is not None:
                    errors.check(lib, None, lib.dbx_serving_config_entity_set_scale_to_zero(
                        out, i, 1 if e["scale_to_zero_enabled"] else 0))
                for k, v in (e.get("environment_vars") or {}).items():
                    errors.check(lib, None, lib.dbx_serving_config_entity_set_env(
                        out, i, _native.arg(k, "environment_vars"), _native.arg(v, "environment_vars")))
            for n, pct in dict(routes or {}).items():
                errors.check(lib, None, lib.dbx_serving_config_add_route(out, _native.arg(n, "routes"), int(pct)))
        except BaseException:
            lib.dbx_serving_config_free(out)
            raise
        return out

    def config_json(self, config=None, *, entities=None, routes=None) -> Dict[str, Any]:
        """The EndpointCoreConfigInput libdbx would send (validated locally, no request)."""
        cfg = self._config(config, entities, routes)
        try:
            out = c_void_p()
            errors.check(self._lib, None, self._lib.dbx_serving_config_to_json(ctypes.byref(out), cfg))
            return json.loads(_native.take_string(self._lib, out.value))
        finally:
            self._lib.dbx_serving_config_free(cfg)

    # ---- operations -------------------------------------------------------------------------
    def create(self, name, config=None, *, entities=None, routes=None, tags=None,
               route_optimized=False, description=None, extra=None) -> Endpoint:
        """Create an endpoint; returns the answer (NOT_READY / IN_PROGRESS, the config in
        ``pending_config``): follow with :meth:`wait_ready`. ``tags``: a dict (None values: tags
        without value); ``extra``: a dict of further body fields (ai_gateway, ...)."""
        o = _CreateOptions()
        o.version = 1
        tag_items = list((tags or {}).items())
        tarr = (_Tag * max(1, len(tag_items)))()
        for i, (k, v) in enumerate(tag_items):
            tarr[i].key = _native.arg(k, "tags")
            tarr[i].value = _native.arg(v, "tags")
        if tag_items:
            o.tags = tarr
            o.n_tags = len(tag_items)
        o.route_optimized = 1 if route_optimized else 0
        o.description = _native.arg(description, "description")
        if extra is not None:
            o.extra_json = _native.arg(extra if isinstance(extra, (str, bytes)) else json.dumps(extra), "extra")
        cfg = self._config(config, entities, routes)
        try:
            out = c_void_p()
            self._check(self._lib.dbx_serving_create(ctypes.byref(out), self._ptr(),
                                                     _native.arg(name, "name"), cfg, ctypes.byref(o)))
        finally:
            self._lib.dbx_serving_config_free(cfg)
        return Endpoint._take(self._lib, out.value)

    def get(self, name) -> Endpoint:
        out = c_void_p()
        self._check(self._lib.dbx_serving_get(ctypes.byref(out), self._ptr(), _native.arg(name, "name")))
        return Endpoint._take(self._lib, out.value)

    def update_config(self, name, config=None, *, entities=None, routes=None) -> Endpoint:
        """Replace the served entities and traffic; the old config serves until the new one is
        deployed (the answer has it in ``pending_config``). Another update running: Conflict."""
        cfg = self._config(config, entities, routes)
        try:
            out = c_void_p()
            self._check(self._lib.dbx_serving_update_config(ctypes.byref(out), self._ptr(),
                                                            _native.arg(name, "name"), cfg))
        finally:
            self._lib.dbx_serving_config_free(cfg)
        return Endpoint._take(self._lib, out.value)

    def patch_tags(self, name, add=None, remove=None) -> None:
        """Add (a dict; None values: tags without value) and remove (keys) tags in one call."""
        items = list((add or {}).items())
        tarr = (_Tag * max(1, len(items)))()
        for i, (k, v) in enumerate(items):
            tarr[i].key = _native.arg(k, "add")
            tarr[i].value = _native.arg(v, "add")
        if isinstance(remove, str):
            remove = [remove]
        rem = list(remove or ())
        rarr = (c_char_p * max(1, len(rem)))(*[_native.arg(k, "remove") for k in rem])
        self._check(self._lib.dbx_serving_patch_tags(
            self._ptr(), _native.arg(name, "name"), ctypes.cast(tarr, c_void_p) if items else None,
            len(items), rarr if rem else None, len(rem)))

    def delete(self, name) -> None:
        self._check(self._lib.dbx_serving_delete(self._ptr(), _native.arg(name, "name")))

    def set_inference_table(self, name, catalog_name=None, schema_name=None, table_name_prefix=None, *,
                            enabled=True) -> None:
        """Log every scored request of endpoint ``name`` to the Delta table
        ``<catalog>.<schema>.<prefix>_payload`` (the AI gateway's inference table; its other
        settings are kept), or stop with ``enabled=False`` (the location is kept). Read where
        it lands from :attr:`Endpoint.inference_table`."""
        self._check(self._lib.dbx_serving_set_inference_table(
            self._ptr(), _native.arg(name, "name"), _native.arg(catalog_name, "catalog_name"),
            _native.arg(schema_name, "schema_name"), _native.arg(table_name_prefix, "table_name_prefix"),
            1 if enabled else 0))

    def _logs(self, fn, name, served):
        out = c_void_p()
        self._check(fn(ctypes.byref(out), self._ptr(), _native.arg(name, "name"), _native.arg(served, "served")))
        return _native.take_string(self._lib, out.value)

    def build_logs(self, name, served) -> str:
        """The environment build log of served entity ``served`` (its name, e.g. "fraud-1")."""
        return self._logs(self._lib.dbx_serving_build_logs, name, served)

    def server_logs(self, name, served) -> str:
        """The model server log of served entity ``served``."""
        return self._logs(self._lib.dbx_serving_server_logs, name, served)

    logs = server_logs

    def list(self) -> Iterator[Endpoint]:
        """The workspace's endpoints, lazily (ServingEndpoint items: fewer fields than get)."""
        lib = self._lib
        it = _base.CIterator(self._client, lib.dbx_serving_iter_next, lib.dbx_serving_iter_free,
                             lambda p: Endpoint._from_c(lib, p.value))
        return it._start(lib.dbx_serving_list(ctypes.byref(it._it), self._ptr()))

    # ---- waiting ----------------------------------------------------------------------------
    def wait_ready(self, name, *, timeout=None, progress=None, poll_interval=None,
                   poll_max=None) -> Endpoint:
        """Poll until READY and NOT_UPDATING. ``timeout`` in seconds (default 20 min);
        ``progress(name, "<ready>/<config_update>")`` after every poll (an exception in it, or
        Ctrl-C, stops the wait and is re-raised). A failed update raises
        :class:`~libdbx.errors.OperationFailed` naming the failed entities; ``.last`` on the
        exception is the last snapshot."""
        w = _base.Waiter(self._lib, timeout, progress, poll_interval, poll_max)
        out = c_void_p()
        with _base.CtrlC(w):
            st = self._lib.dbx_serving_wait_ready(ctypes.byref(out), self._ptr(), _native.arg(name, "name"),
                                                  ctypes.byref(w.opts))
        last = Endpoint._take(self._lib, out.value)
        w.raise_pending()
        if st < 0:
            exc = errors.from_last(self._lib, self._client._ptr, st)
            exc.last = last
            raise exc
        return last

    # ---- queries ----------------------------------------------------------------------------
    def _input(self, fmt, columns, rows, params, client_request_id):
        """A C dbx_serving_input (typed cells), or None when a cell is not a scalar."""
        lib = self._lib
        if not all(_cell_ok(v) for r in rows for v in r):
            return None
        inp = c_void_p()
        errors.check(lib, None, lib.dbx_serving_input_new(ctypes.byref(inp), FORMATS[fmt]))
        try:
            names = (c_char_p * max(1, len(columns)))(*[_native.arg(c, "columns") for c in columns])
            errors.check(lib, None, lib.dbx_serving_input_set_columns(inp, names, len(columns)))
            for r in rows:
                errors.check(lib, None, lib.dbx_serving_input_add_row(inp))
                for v in r:
                    if v is None:
                        st = lib.dbx_serving_input_add_null(inp)
                    elif isinstance(v, bool):
                        st = lib.dbx_serving_input_add_bool(inp, 1 if v else 0)
                    elif isinstance(v, int) and -2**63 <= v < 2**63:
                        st = lib.dbx_serving_input_add_int(inp, v)
                    elif isinstance(v, (int, float)):
                        st = lib.dbx_serving_input_add_double(inp, float(v))
                    else:
                        st = lib.dbx_serving_input_add_string(inp, _native.arg(v, "value"))
                    errors.check(lib, None, st)
            if params is not None:
                errors.check(lib, None, lib.dbx_serving_input_set_params(
                    inp, _native.arg(params if isinstance(params, (str, bytes)) else json.dumps(params), "params")))
            if client_request_id is not None:
                errors.check(lib, None, lib.dbx_serving_input_set_client_request_id(
                    inp, _native.arg(client_request_id, "client_request_id")))
        except BaseException:
            lib.dbx_serving_input_free(inp)
            raise
        return inp

    @staticmethod
    def _table(fmt, value):
        """(columns, rows) of a format's value, or None when it is not a table of scalars."""
        if fmt == "dataframe_split" and isinstance(value, dict) and set(value) <= {"columns", "data"} \
                and "columns" in value and "data" in value:
            return list(value["columns"]), [list(r) for r in value["data"]]
        if fmt in ("dataframe_records", "instances") and isinstance(value, list) and value \
                and all(isinstance(r, dict) for r in value):
            cols = []
            for r in value:
                for k in r:
                    if k not in cols:
                        cols.append(k)
            if all(len(r) == len(cols) for r in value):
                return cols, [[r[c] for c in cols] for r in value]
        if fmt == "inputs" and isinstance(value, dict) and value \
                and all(isinstance(v, list) for v in value.values()):
            lens = {len(v) for v in value.values()}
            if len(lens) == 1:
                cols = list(value)
                n = lens.pop()
                return cols, [[value[c][i] for c in cols] for i in range(n)]
        return None

    def query(self, name, body=None, *, dataframe_split=None, dataframe_records=None, instances=None,
              inputs=None, params=None, client_request_id=None, timeout=None) -> QueryResult:
        """Query an endpoint. Give exactly one of: ``body`` (a dict or JSON text, sent as given:
        any format, also chat / completions / embeddings bodies), ``dataframe_split``
        ({"columns": [...], "data": [[...]]}), ``dataframe_records`` ([{col: v}]),
        ``instances`` or ``inputs``. ``params`` (a dict), ``client_request_id`` (a str) are added
        to the body; ``timeout`` (seconds) bounds one attempt (default 300 s). Returns a
        :class:`QueryResult`; a model's refusal of its input raises BadRequest."""
        given = {k: v for k, v in (("dataframe_split", dataframe_split), ("dataframe_records", dataframe_records),
                                   ("instances", instances), ("inputs", inputs)) if v is not None}
        if (body is not None) + len(given) != 1:
            raise errors.InvalidArgument("give exactly one of body, dataframe_split, dataframe_records, "
                                         "instances, inputs", status=-2, status_name="DBX_EINVAL")
        o = _QueryOptions()
        o.version = 1
        if timeout is not None:
            if timeout <= 0:
                raise errors.InvalidArgument("timeout must be > 0 seconds", status=-2, status_name="DBX_EINVAL")
            o.timeout_ms = max(1, int(timeout * 1000))
        lib = self._lib
        out = c_void_p()
        if given:
            fmt, value = next(iter(given.items()))
            table = self._table(fmt, value)
            inp = self._input(fmt, table[0], table[1], params, client_request_id) if table else None
            if inp is not None:
                try:
                    self._check(lib.dbx_serving_query_input(ctypes.byref(out), self._ptr(), _native.arg(name, "name"),
                                                            inp, ctypes.byref(o)))
                finally:
                    lib.dbx_serving_input_free(inp)
                return QueryResult(lib, out.value)
            body = {fmt: value}
        if isinstance(body, (str, bytes)):
            if params is not None or client_request_id is not None:
                body = json.loads(body)
        if not isinstance(body, (str, bytes)):
            body = dict(body)
            if params is not None:
                body["params"] = params
            if client_request_id is not None:
                body["client_request_id"] = client_request_id
            body = json.dumps(body)
        self._check(lib.dbx_serving_query(ctypes.byref(out), self._ptr(), _native.arg(name, "name"),
                                          _native.arg(body, "body"), ctypes.byref(o)))
        return QueryResult(lib, out.value)

    def predict(self, name, rows, columns=None, **kw) -> List[Any]:
        """Score a table and return the predictions: ``rows`` a list of dicts, or with
        ``columns`` a list of row lists (sent as dataframe_split, which keeps column order)."""
        if columns is None:
            cols = []
            for r in rows:
                for k in r:
                    if k not in cols:
                        cols.append(k)
            rows = [[r.get(c) for c in cols] for r in rows]
            columns = cols
        return self.query(name, dataframe_split={"columns": list(columns), "data": [list(r) for r in rows]},
                          **kw).predictions

    def input_json(self, fmt, columns, rows, *, params=None, client_request_id=None) -> Dict[str, Any]:
        """The body libdbx would send for a typed table in format ``fmt`` (no request)."""
        inp = self._input(fmt, list(columns), [list(r) for r in rows], params, client_request_id)
        if inp is None:
            raise errors.InvalidArgument("cells must be None, bool, int, float or str", status=-2,
                                         status_name="DBX_EINVAL")
        try:
            out = c_void_p()
            errors.check(self._lib, None, self._lib.dbx_serving_input_to_json(ctypes.byref(out), inp))
            return json.loads(_native.take_string(self._lib, out.value))
        finally:
            self._lib.dbx_serving_input_free(inp)

    def scorer(self, name, max_in_flight=64, timeout=None, *, attempt_timeout=None, http1=False):
        """A real-time scorer for endpoint ``name``: many queries in flight at once from this
        thread (:class:`libdbx.serving_scorer.Scorer`; ``timeout`` in seconds bounds each query
        from submission, retries included; ``http1`` forces HTTP/1.1 instead of HTTP/2 where
        the server offers it). Use it as a context manager, or close() it."""
        from .serving_scorer import Scorer
        return Scorer(self, name, max_in_flight=max_in_flight, timeout=timeout,
                      attempt_timeout=attempt_timeout, http1=http1)

    # ---- champion / challenger ---------------------------------------------------------------
    def traffic(self, name) -> Traffic:
        """The traffic split of the config now serving (one route per served entity)."""
        lib = self._lib
        out = c_void_p()
        self._check(lib.dbx_serving_traffic_get(ctypes.byref(out), self._ptr(), _native.arg(name, "name")))
        p = out.value
        try:
            t = _native.text
            routes = [TrafficRoute(t(lib.dbx_serving_traffic_entity(p, i)), t(lib.dbx_serving_traffic_model(p, i)),
                                   t(lib.dbx_serving_traffic_version(p, i)), lib.dbx_serving_traffic_percentage(p, i))
                      for i in range(lib.dbx_serving_traffic_count(p))]
            return Traffic(routes, json.loads(t(lib.dbx_serving_traffic_config_json(p)) or "{}"))
        finally:
            lib.dbx_serving_traffic_free(p)

    def _waited(self, fn, timeout, progress, poll_interval, poll_max):
        """Run fn(wait_options_pointer) -> status under a Waiter; re-raise a progress exception."""
        w = _base.Waiter(self._lib, timeout, progress, poll_interval, poll_max)
        with _base.CtrlC(w):
            st = fn(ctypes.pointer(w.opts))
        w.raise_pending()
        self._check(st)

    def shift_traffic(self, name, champion, challenger, challenger_pct, *, wait=True, timeout=None,
                      progress=None, poll_interval=None, poll_max=None) -> Endpoint:
        """Route ``challenger_pct`` % to served entity ``challenger`` and the rest to ``champion``
        (other entities stay served at 0 %); with ``wait`` (default) until READY / NOT_UPDATING.
        The old config keeps serving during the update. Unknown entities raise NotFound naming
        which one."""
        o = _TrafficOptions()
        o.version = 1
        o.no_wait = 0 if wait else 1
        out = c_void_p()
        args = (_native.arg(name, "name"), _native.arg(champion, "champion"), _native.arg(challenger, "challenger"))

        def run(wp):
            o.wait = wp
            return self._lib.dbx_serving_traffic_shift(ctypes.byref(out), self._ptr(), *args, int(challenger_pct),
                                                       ctypes.byref(o))
        try:
            self._waited(run, timeout, progress, poll_interval, poll_max)
        except BaseException:
            Endpoint._take(self._lib, out.value)
            raise
        return Endpoint._take(self._lib, out.value)

    def promote(self, name, challenger, *, alias=None, model_name=None, registry=None, stage=None,
                keep_others=False, timeout=None, progress=None, poll_interval=None, poll_max=None) -> Promotion:
        """Give served entity ``challenger`` 100 % of the traffic (the others removed, or kept
        at 0 % with ``keep_others``), wait until READY, then point registry ``alias`` of
        ``model_name`` (default: the challenger's model) at its version and (workspace models)
        move it to ``stage``. Returns a :class:`Promotion` to persist for :meth:`rollback`."""
        lib = self._lib
        o = _PromoteOptions()
        o.version = 1
        o.keep_others = 1 if keep_others else 0
        o.alias = _native.arg(alias, "alias")
        o.model_name = _native.arg(model_name, "model_name")
        o.registry = REGISTRIES[registry]
        o.stage = _native.arg(stage, "stage")
        out = c_void_p()

        def run(wp):
            o.wait = wp
            return lib.dbx_serving_promote(ctypes.byref(out), self._ptr(), _native.arg(name, "name"),
                                           _native.arg(challenger, "challenger"), ctypes.byref(o))
        self._waited(run, timeout, progress, poll_interval, poll_max)
        p = out.value
        try:
            t = _native.text
            ep = Endpoint._from_c(lib, lib.dbx_serving_promotion_endpoint(p))
            return Promotion(ep, json.loads(t(lib.dbx_serving_promotion_previous_config_json(p)) or "{}"),
                             t(lib.dbx_serving_promotion_model(p)), t(lib.dbx_serving_promotion_alias(p)),
                             lib.dbx_serving_promotion_alias_version(p),
                             lib.dbx_serving_promotion_previous_alias_version(p), registry or "default")
        finally:
            lib.dbx_serving_promotion_free(p)

    def rollback(self, name, previous, *, alias=None, model_name=None, alias_version=None, registry=None,
                 timeout=None, progress=None, poll_interval=None, poll_max=None) -> Endpoint:
        """Restore a previous config: a :class:`Promotion` (its config and alias), a
        :class:`Traffic`, or an EndpointCoreConfigInput dict / JSON text. Waits until READY,
        then moves ``alias`` of ``model_name`` back to ``alias_version`` (0: delete it)."""
        lib = self._lib
        if isinstance(previous, Promotion):
            if alias is None and previous.alias:
                alias, model_name = previous.alias, previous.model
                alias_version = previous.previous_alias_version
                registry = registry or previous.registry
            previous = previous.previous_config
        elif isinstance(previous, Traffic):
            previous = previous.config
        o = _RollbackOptions()
        o.version = 1
        o.alias = _native.arg(alias, "alias")
        o.model_name = _native.arg(model_name, "model_name")
        o.registry = REGISTRIES[None if registry == "default" else registry]
        o.alias_version = int(alias_version or 0)
        cfg = self._config(previous, None, None)
        out = c_void_p()
        try:
            def run(wp):
                o.wait = wp
                return lib.dbx_serving_rollback(ctypes.byref(out), self._ptr(), _native.arg(name, "name"), cfg,
                                                ctypes.byref(o))
            self._waited(run, timeout, progress, poll_interval, poll_max)
        finally:
            lib.dbx_serving_config_free(cfg)
        return Endpoint._take(lib, out.value)

    # ---- metrics -----------------------------------------------------------------------------
    def metrics(self, name) -> Metrics:
        """The endpoint's /metrics (Prometheus text), parsed into :class:`MetricSample` items."""
        out = c_void_p()
        self._check(self._lib.dbx_serving_metrics_get(ctypes.byref(out), self._ptr(), _native.arg(name, "name")))
        return _metrics_take(self._lib, out.value)

    parse_metrics = staticmethod(parse_metrics)

    # ---- batch scoring -----------------------------------------------------------------------
    def query_batch(self, name, rows, columns=None, *, format="dataframe_split", max_rows_per_request=0,
                    max_bytes_per_request=0, max_parallel=0, params=None, client_request_id=None,
                    timeout=None) -> QueryResult:
        """Score a large table in several requests (chunks under the 16 MB limit and
        ``max_rows_per_request``, sent in parallel) and return one :class:`QueryResult` with
        the predictions in input order. ``rows``: dicts, or lists with ``columns``."""
        if columns is None:
            cols = []
            for r in rows:
                for k in r:
                    if k not in cols:
                        cols.append(k)
            rows = [[r.get(c) for c in cols] for r in rows]
            columns = cols
        inp = self._input(format, list(columns), [list(r) for r in rows], params, client_request_id)
        if inp is None:
            raise errors.InvalidArgument("cells must be None, bool, int, float or str", status=-2,
                                         status_name="DBX_EINVAL")
        o = _BatchOptions()
        o.version = 1
        if timeout is not None:
            o.timeout_ms = max(1, int(timeout * 1000))
        o.max_parallel = int(max_parallel)
        o.max_bytes_per_request = int(max_bytes_per_request)
        out = c_void_p()
        try:
            self._check(self._lib.dbx_serving_query_batch(ctypes.byref(out), self._ptr(), _native.arg(name, "name"),
                                                          inp, int(max_rows_per_request), ctypes.byref(o)))
        finally:
            self._lib.dbx_serving_input_free(inp)
        return QueryResult(self._lib, out.value)
