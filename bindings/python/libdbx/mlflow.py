"""MLflow tracking: ``client.mlflow`` (experiments, runs, metrics/params/tags, artifacts).

    ml = client.mlflow
    exp_id = ml.create_experiment("/Users/me@example.com/fraud")
    with ml.start_run(experiment_id=exp_id, run_name="baseline") as run:   # FINISHED, or FAILED
        run.log_param("lr", 0.01)                                           # on an exception
        with run.logger() as log:                  # buffered, sent with few log-batch requests
            for step in range(100):
                log.log_metric("loss", 1.0 / (step + 1), step=step)
        run.log_artifact("model.pkl", artifact_path="model")               # a local file
        run.upload_artifact("notes/readme.txt", b"hello")                   # bytes / file object
    for r in ml.search_runs([exp_id], filter_string="metrics.loss < 0.1", order_by=["metrics.loss"]):
        print(r.run_id, r.metrics["loss"])

Results are frozen dataclasses (:class:`Experiment`, :class:`Run`, :class:`Metric`,
:class:`FileInfo`); searches, listings and metric histories are lazy iterators (a page at a
time). Names follow MLflow's ``MlflowClient`` where it has them. Keys, values and limits are
checked by libdbx before any request (:class:`~libdbx.errors.InvalidArgument`).

Artifacts stream: a local path or a binary file object is never read whole into Python memory.
A file object's ``read``/``readinto``/``seek``/``write`` (and a download callable) run on the
calling thread inside the C call; an exception they raise (``KeyboardInterrupt`` from Ctrl-C
included) stops the transfer and is re-raised once libdbx has returned.
"""

import ctypes
import dataclasses
import io
import json
import math
import os
import time
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from . import _base, _native, errors
from .files import _FileObjectSource, _Sink, _Transfer, _write_all

c_void_p, c_char_p, c_int, c_uint = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint
c_int64, c_long, c_size_t, c_double, c_uint64 = (ctypes.c_int64, ctypes.c_long, ctypes.c_size_t,
                                                  ctypes.c_double, ctypes.c_uint64)
POINTER = ctypes.POINTER
_Source = _native.Source
SINK_FN = _native.SINK_FN


class _Tag(ctypes.Structure):
    """``dbx_mlflow_tag`` (include/dbx/mlflow.h; a plain pair, not versioned)."""
    _fields_ = [("key", c_char_p), ("value", c_char_p)]


class _MetricPoint(ctypes.Structure):
    """``dbx_mlflow_metric_point`` (include/dbx/mlflow.h; a plain input record)."""
    _fields_ = [("key", c_char_p), ("value", c_double), ("timestamp", c_int64), ("step", c_int64)]


class _DatasetInput(ctypes.Structure):
    """``dbx_mlflow_dataset_input`` (include/dbx/mlflow.h; a plain input record)."""
    _fields_ = [("name", c_char_p), ("digest", c_char_p), ("source_type", c_char_p),
                ("source", c_char_p), ("schema", c_char_p), ("profile", c_char_p),
                ("tags", POINTER(_Tag)), ("n_tags", c_size_t)]


class _SearchOptions(ctypes.Structure):
    """``dbx_mlflow_search_options`` version 1 (include/dbx/mlflow.h; append-only)."""
    _fields_ = [("version", c_uint), ("filter", c_char_p), ("order_by", POINTER(c_char_p)),
                ("view_type", c_int), ("page_size", c_int), ("max_items", c_long)]


class _RunCreateOptions(ctypes.Structure):
    """``dbx_mlflow_run_create_options`` version 1 (include/dbx/mlflow.h; append-only)."""
    _fields_ = [("version", c_uint), ("run_name", c_char_p), ("start_time", c_int64),
                ("tags", POINTER(_Tag)), ("n_tags", c_size_t)]


class _LoggerOptions(ctypes.Structure):
    """``dbx_mlflow_logger_options`` version 1 (include/dbx/mlflow.h; append-only)."""
    _fields_ = [("version", c_uint), ("auto_flush", c_int)]


PP = POINTER(c_void_p)

#: the C functions this module calls (declared on first use by _native.declare)
PROTOS = [
    ("dbx_mlflow_run_status_name", c_char_p, c_int),
    # experiments
    ("dbx_mlflow_experiment_free", None, c_void_p),
    ("dbx_mlflow_experiment_id", c_char_p, c_void_p),
    ("dbx_mlflow_experiment_name", c_char_p, c_void_p),
    ("dbx_mlflow_experiment_artifact_location", c_char_p, c_void_p),
    ("dbx_mlflow_experiment_lifecycle_stage", c_char_p, c_void_p),
    ("dbx_mlflow_experiment_creation_time", c_int64, c_void_p),
    ("dbx_mlflow_experiment_last_update_time", c_int64, c_void_p),
    ("dbx_mlflow_experiment_tag_count", c_size_t, c_void_p),
    ("dbx_mlflow_experiment_tag_key", c_char_p, c_void_p, c_size_t),
    ("dbx_mlflow_experiment_tag_value", c_char_p, c_void_p, c_size_t),
    ("dbx_mlflow_experiment_tag", c_char_p, c_void_p, c_char_p),
    ("dbx_mlflow_experiment_json", c_char_p, c_void_p),
    ("dbx_mlflow_experiment_create", c_int, PP, c_void_p, c_char_p, c_char_p, POINTER(_Tag), c_size_t),
    ("dbx_mlflow_experiment_get", c_int, PP, c_void_p, c_char_p),
    ("dbx_mlflow_experiment_get_by_name", c_int, PP, c_void_p, c_char_p),
    ("dbx_mlflow_experiment_update", c_int, c_void_p, c_char_p, c_char_p),
    ("dbx_mlflow_experiment_delete", c_int, c_void_p, c_char_p),
    ("dbx_mlflow_experiment_restore", c_int, c_void_p, c_char_p),
    ("dbx_mlflow_experiment_set_tag", c_int, c_void_p, c_char_p, c_char_p, c_char_p),
    ("dbx_mlflow_experiment_delete_tag", c_int, c_void_p, c_char_p, c_char_p),
    ("dbx_mlflow_experiments_search", c_int, PP, c_void_p, POINTER(_SearchOptions)),
    ("dbx_mlflow_experiments_iter_next", c_int, PP, c_void_p),
    ("dbx_mlflow_experiments_iter_free", None, c_void_p),
    # runs
    ("dbx_mlflow_run_free", None, c_void_p),
    ("dbx_mlflow_run_id", c_char_p, c_void_p),
    ("dbx_mlflow_run_name", c_char_p, c_void_p),
    ("dbx_mlflow_run_experiment_id", c_char_p, c_void_p),
    ("dbx_mlflow_run_user_id", c_char_p, c_void_p),
    ("dbx_mlflow_run_status", c_int, c_void_p),
    ("dbx_mlflow_run_status_str", c_char_p, c_void_p),
    ("dbx_mlflow_run_start_time", c_int64, c_void_p),
    ("dbx_mlflow_run_end_time", c_int64, c_void_p),
    ("dbx_mlflow_run_artifact_uri", c_char_p, c_void_p),
    ("dbx_mlflow_run_lifecycle_stage", c_char_p, c_void_p),
    ("dbx_mlflow_run_metric_count", c_size_t, c_void_p),
    ("dbx_mlflow_run_metric_key", c_char_p, c_void_p, c_size_t),
    ("dbx_mlflow_run_metric_value", c_double, c_void_p, c_size_t),
    ("dbx_mlflow_run_metric_timestamp", c_int64, c_void_p, c_size_t),
    ("dbx_mlflow_run_metric_step", c_int64, c_void_p, c_size_t),
    ("dbx_mlflow_run_metric", c_int, c_void_p, c_char_p, POINTER(c_double)),
    ("dbx_mlflow_run_param_count", c_size_t, c_void_p),
    ("dbx_mlflow_run_param_key", c_char_p, c_void_p, c_size_t),
    ("dbx_mlflow_run_param_value", c_char_p, c_void_p, c_size_t),
    ("dbx_mlflow_run_param", c_char_p, c_void_p, c_char_p),
    ("dbx_mlflow_run_tag_count", c_size_t, c_void_p),
    ("dbx_mlflow_run_tag_key", c_char_p, c_void_p, c_size_t),
    ("dbx_mlflow_run_tag_value", c_char_p, c_void_p, c_size_t),
    ("dbx_mlflow_run_tag", c_char_p, c_void_p, c_char_p),
    ("dbx_mlflow_run_dataset_count", c_size_t, c_void_p),
    ("dbx_mlflow_run_dataset_name", c_char_p, c_void_p, c_size_t),
    ("dbx_mlflow_run_dataset_digest", c_char_p, c_void_p, c_size_t),
    ("dbx_mlflow_run_inputs_json", c_char_p, c_void_p),
    ("dbx_mlflow_run_json", c_char_p, c_void_p),
    ("dbx_mlflow_run_create", c_int, PP, c_void_p, c_char_p, POINTER(_RunCreateOptions)),
    ("dbx_mlflow_run_get", c_int, PP, c_void_p, c_char_p),
    ("dbx_mlflow_run_update", c_int, c_void_p, c_char_p, c_int, c_int64, c_char_p),
    ("dbx_mlflow_run_delete", c_int, c_void_p, c_char_p),
    ("dbx_mlflow_run_restore", c_int, c_void_p, c_char_p),
    ("dbx_mlflow_run_set_tag", c_int, c_void_p, c_char_p, c_char_p, c_char_p),
    ("dbx_mlflow_run_delete_tag", c_int, c_void_p, c_char_p, c_char_p),
    ("dbx_mlflow_run_log_param", c_int, c_void_p, c_char_p, c_char_p, c_char_p),
    ("dbx_mlflow_run_log_metric", c_int, c_void_p, c_char_p, c_char_p, c_double, c_int64, c_int64),
    ("dbx_mlflow_run_log_batch", c_int, c_void_p, c_char_p, POINTER(_MetricPoint), c_size_t,
     POINTER(_Tag), c_size_t, POINTER(_Tag), c_size_t),
    ("dbx_mlflow_run_log_inputs", c_int, c_void_p, c_char_p, POINTER(_DatasetInput), c_size_t),
    ("dbx_mlflow_runs_search", c_int, PP, c_void_p, POINTER(c_char_p), POINTER(_SearchOptions)),
    ("dbx_mlflow_runs_iter_next", c_int, PP, c_void_p),
    ("dbx_mlflow_runs_iter_free", None, c_void_p),
    # metric history
    ("dbx_mlflow_metric_key", c_char_p, c_void_p),
    ("dbx_mlflow_metric_value", c_double, c_void_p),
    ("dbx_mlflow_metric_timestamp", c_int64, c_void_p),
    ("dbx_mlflow_metric_step", c_int64, c_void_p),
    ("dbx_mlflow_metric_json", c_char_p, c_void_p),
    ("dbx_mlflow_metric_history", c_int, PP, c_void_p, c_char_p, c_char_p, c_int, c_long),
    ("dbx_mlflow_metrics_iter_next", c_int, PP, c_void_p),
    ("dbx_mlflow_metrics_iter_free", None, c_void_p),
    # logger
    ("dbx_mlflow_logger_new", c_int, PP, c_void_p, c_char_p, POINTER(_LoggerOptions)),
    ("dbx_mlflow_logger_free", None, c_void_p),
    ("dbx_mlflow_logger_add_metric", c_int, c_void_p, c_char_p, c_double, c_int64, c_int64),
    ("dbx_mlflow_logger_add_param", c_int, c_void_p, c_char_p, c_char_p),
    ("dbx_mlflow_logger_add_tag", c_int, c_void_p, c_char_p, c_char_p),
    ("dbx_mlflow_logger_pending", c_size_t, c_void_p),
    ("dbx_mlflow_logger_flush", c_int, c_void_p),
    ("dbx_mlflow_logger_last_failure", c_int, c_void_p, POINTER(c_size_t), POINTER(c_size_t)),
    ("dbx_mlflow_logger_requests", c_uint64, c_void_p),
    # artifacts
    ("dbx_mlflow_artifact_path", c_char_p, c_void_p),
    ("dbx_mlflow_artifact_is_dir", c_int, c_void_p),
    ("dbx_mlflow_artifact_file_size", c_int64, c_void_p),
    ("dbx_mlflow_artifact_json", c_char_p, c_void_p),
    ("dbx_mlflow_artifacts_list", c_int, PP, c_void_p, c_char_p, c_char_p),
    ("dbx_mlflow_artifacts_iter_next", c_int, PP, c_void_p),
    ("dbx_mlflow_artifacts_iter_free", None, c_void_p),
    ("dbx_mlflow_artifact_upload", c_int, c_void_p, c_char_p, c_char_p, POINTER(_Source)),
    ("dbx_mlflow_artifact_upload_file", c_int, c_void_p, c_char_p, c_char_p, c_char_p),
    ("dbx_mlflow_artifact_upload_dir", c_int, c_void_p, c_char_p, c_char_p, c_char_p),
    ("dbx_mlflow_artifact_download", c_int, c_void_p, c_char_p, c_char_p, SINK_FN, c_void_p),
    ("dbx_mlflow_artifact_download_file", c_int, c_void_p, c_char_p, c_char_p, c_char_p),
    ("dbx_mlflow_artifact_download_dir", c_int, c_void_p, c_char_p, c_char_p, c_char_p),
]

#: RunStatus names by their dbx_mlflow_run_status_t code
RUN_STATUSES = {"RUNNING": 1, "SCHEDULED": 2, "FINISHED": 3, "FAILED": 4, "KILLED": 5}
#: ViewType names by their dbx_mlflow_view_type_t code
VIEW_TYPES = {"ACTIVE_ONLY": 1, "DELETED_ONLY": 2, "ALL": 3}


def _invalid(msg):
    return errors.InvalidArgument(msg, status=-2, status_name="DBX_EINVAL")


def _now_ms():
    return int(time.time() * 1000)


def _opt_time(v):
    return None if not v else int(v)


def _str(value, name):
    """A key or a value: str as is; numbers and bools as MLflow writes them (str())."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)):
        return _native.arg(value, name)
    if isinstance(value, (int, float, bool)):
        return str(value).encode("utf-8")
    raise TypeError("%s must be a str (or a number), not %s" % (name, type(value).__name__))


def _int(value, name, default=0):
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s must be an int, not %s" % (name, type(value).__name__))
    return value


def _float(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("%s must be a number, not %s" % (name, type(value).__name__))
    return float(value)


def _pairs(items, name):
    """A dict or an iterable of (key, value) / objects with .key/.value as a C dbx_mlflow_tag
    array (kept alive by the returned tuple)."""
    if not items:
        return None, 0, ()
    if isinstance(items, Mapping):
        items = list(items.items())
    keep = []
    for it in items:
        if isinstance(it, tuple) and len(it) == 2:
            k, v = it
        elif hasattr(it, "key") and hasattr(it, "value"):
            k, v = it.key, it.value
        else:
            raise TypeError("%s must be a dict or (key, value) pairs" % name)
        keep.append((_str(k, name + " key"), _str(v, name + " value")))
    arr = (_Tag * len(keep))(*[_Tag(k, v) for k, v in keep])
    return arr, len(keep), keep


def _status_code(status):
    if status is None:
        return 0
    if isinstance(status, str) and status.upper() in RUN_STATUSES:
        return RUN_STATUSES[status.upper()]
    raise _invalid("unknown run status %r (one of %s)" % (status, ", ".join(RUN_STATUSES)))


def _view_type(view):
    if view is None:
        return 0
    if isinstance(view, str) and view.upper() in VIEW_TYPES:
        return VIEW_TYPES[view.upper()]
    raise _invalid("unknown view type %r (one of %s)" % (view, ", ".join(VIEW_TYPES)))


def _search_options(filter_string, order_by, view_type, page_size, max_results):
    o = _SearchOptions()
    o.version = 1
    o.filter = _native.arg(filter_string, "filter_string")
    keep = None
    if order_by:
        if isinstance(order_by, str):
            order_by = [order_by]
        keep = (c_char_p * (len(order_by) + 1))(*[_native.arg(x, "order_by") for x in order_by], None)
        o.order_by = ctypes.cast(keep, POINTER(c_char_p))
    o.view_type = _view_type(view_type)
    o.page_size = _int(page_size, "page_size")
    o.max_items = _int(max_results, "max_results")
    return o, keep


# ---- results ---------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Experiment:
    """An MLflow Experiment. Times are epoch milliseconds (None when absent)."""
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str
    creation_time: Optional[int]
    last_update_time: Optional[int]
    tags: Dict[str, str]
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def _from_c(cls, lib, p):
        t = _native.text
        tags = {t(lib.dbx_mlflow_experiment_tag_key(p, i)): t(lib.dbx_mlflow_experiment_tag_value(p, i))
                for i in range(lib.dbx_mlflow_experiment_tag_count(p))}
        return cls(experiment_id=t(lib.dbx_mlflow_experiment_id(p)), name=t(lib.dbx_mlflow_experiment_name(p)),
                   artifact_location=t(lib.dbx_mlflow_experiment_artifact_location(p)),
                   lifecycle_stage=t(lib.dbx_mlflow_experiment_lifecycle_stage(p)),
                   creation_time=_opt_time(lib.dbx_mlflow_experiment_creation_time(p)),
                   last_update_time=_opt_time(lib.dbx_mlflow_experiment_last_update_time(p)),
                   tags=tags, raw=json.loads(t(lib.dbx_mlflow_experiment_json(p)) or "{}"))


@dataclasses.dataclass(frozen=True)
class Metric:
    """One logged metric value (``value`` may be NaN or an infinity)."""
    key: str
    value: float
    timestamp: int
    step: int = 0


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A dataset input for :meth:`MlflowAPI.log_inputs` (``source``, ``schema`` and
    ``profile`` are JSON text, or dicts serialised for you). ``tags`` e.g.
    ``{"mlflow.data.context": "training"}``."""
    name: str
    digest: str
    source_type: str
    source: Any
    schema: Any = None
    profile: Any = None
    tags: Optional[Mapping[str, str]] = None


@dataclasses.dataclass(frozen=True)
class Run:
    """An MLflow Run: ``info`` fields flat, ``metrics`` (latest value per key, as runs/get
    shows them; details with timestamp and step in ``metric_details``), ``params``,
    ``tags``, ``datasets`` ((name, digest) of each dataset input) and ``inputs`` (the whole
    ``inputs`` object). ``status`` is the server's text; times epoch ms (None when absent)."""
    run_id: str
    run_name: str
    experiment_id: str
    user_id: str
    status: str
    status_code: int  # dbx_mlflow_run_status_t: RUN_STATUSES[status], 0 for a status libdbx does not know
    start_time: Optional[int]
    end_time: Optional[int]
    artifact_uri: str
    lifecycle_stage: str
    metrics: Dict[str, float]
    params: Dict[str, str]
    tags: Dict[str, str]
    metric_details: Dict[str, Metric] = dataclasses.field(repr=False)
    datasets: List[Tuple[str, str]] = dataclasses.field(repr=False)
    inputs: Dict[str, Any] = dataclasses.field(repr=False, compare=False)
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def _from_c(cls, lib, p):
        t = _native.text
        details = {}
        for i in range(lib.dbx_mlflow_run_metric_count(p)):
            k = t(lib.dbx_mlflow_run_metric_key(p, i))
            details[k] = Metric(k, lib.dbx_mlflow_run_metric_value(p, i),
                                lib.dbx_mlflow_run_metric_timestamp(p, i), lib.dbx_mlflow_run_metric_step(p, i))
        params = {t(lib.dbx_mlflow_run_param_key(p, i)): t(lib.dbx_mlflow_run_param_value(p, i))
                  for i in range(lib.dbx_mlflow_run_param_count(p))}
        tags = {t(lib.dbx_mlflow_run_tag_key(p, i)): t(lib.dbx_mlflow_run_tag_value(p, i))
                for i in range(lib.dbx_mlflow_run_tag_count(p))}
        datasets = [(t(lib.dbx_mlflow_run_dataset_name(p, i)), t(lib.dbx_mlflow_run_dataset_digest(p, i)))
                    for i in range(lib.dbx_mlflow_run_dataset_count(p))]
        return cls(run_id=t(lib.dbx_mlflow_run_id(p)), run_name=t(lib.dbx_mlflow_run_name(p)),
                   experiment_id=t(lib.dbx_mlflow_run_experiment_id(p)), user_id=t(lib.dbx_mlflow_run_user_id(p)),
                   status=t(lib.dbx_mlflow_run_status_str(p)) or "UNKNOWN",
                   status_code=lib.dbx_mlflow_run_status(p),
                   start_time=_opt_time(lib.dbx_mlflow_run_start_time(p)),
                   end_time=_opt_time(lib.dbx_mlflow_run_end_time(p)),
                   artifact_uri=t(lib.dbx_mlflow_run_artifact_uri(p)),
                   lifecycle_stage=t(lib.dbx_mlflow_run_lifecycle_stage(p)),
                   metrics={k: m.value for k, m in details.items()}, params=params, tags=tags,
                   metric_details=details, datasets=datasets,
                   inputs=json.loads(t(lib.dbx_mlflow_run_inputs_json(p)) or "{}"),
                   raw=json.loads(t(lib.dbx_mlflow_run_json(p)) or "{}"))


@dataclasses.dataclass(frozen=True)
class FileInfo:
    """One entry of an artifact listing: ``path`` relative to the run's artifact root
    (``model/MLmodel``); ``file_size`` None for directories."""
    path: str
    is_dir: bool
    file_size: Optional[int]
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False)


def _metric_from_c(lib, p):
    return Metric(_native.text(lib.dbx_mlflow_metric_key(p)), lib.dbx_mlflow_metric_value(p),
                  lib.dbx_mlflow_metric_timestamp(p), lib.dbx_mlflow_metric_step(p))


def _artifact_from_c(lib, p):
    size = lib.dbx_mlflow_artifact_file_size(p)
    return FileInfo(path=_native.text(lib.dbx_mlflow_artifact_path(p)),
                    is_dir=bool(lib.dbx_mlflow_artifact_is_dir(p)),
                    file_size=None if size < 0 else int(size),
                    raw=json.loads(_native.text(lib.dbx_mlflow_artifact_json(p)) or "{}"))


def _json_text(v, name):
    if v is None:
        return None
    if isinstance(v, (str, bytes)):
        return _native.arg(v, name)
    return json.dumps(v).encode("utf-8")


# ---- the logging buffer ----------------------------------------------------------------------

class RunLogger:
    """A buffer of metrics, params and tags for one run, sent with as few ``runs/log-batch``
    requests as MLflow's limits allow (1000 metrics, 100 params, 100 tags, 1 MB per request).

    Use it as a context manager: the buffer is flushed (and the C logger freed) on exit. With
    ``auto_flush=True`` an add that fills a request sends it at once. A failed flush raises;
    the items not accepted stay buffered (:attr:`last_failure` says which) and another
    :meth:`flush` retries them. Not thread-safe: one thread at a time.

    If the ``with`` body raises, the buffer is still flushed; a flush failure then is attached
    to the body's exception (as a note and ``exc.flush_error``) instead of replacing it."""

    def __init__(self, api, run_id, auto_flush=False):
        self._api = api
        self._lib = api._lib
        self.run_id = run_id
        o = _LoggerOptions(1, 1 if auto_flush else 0)
        out = c_void_p()
        api._check(self._lib.dbx_mlflow_logger_new(ctypes.byref(out), api._ptr(),
                                                    _native.arg(run_id, "run_id"), ctypes.byref(o)))
        self._lg = out

    def _h(self):
        if not self._lg:
            raise _invalid("the logger is closed")
        return self._lg

    def log_metric(self, key, value, timestamp=None, step=0) -> None:
        """Buffer a metric value (``timestamp`` epoch ms, default now)."""
        ts = _now_ms() if timestamp is None else _int(timestamp, "timestamp")
        self._api._check(self._lib.dbx_mlflow_logger_add_metric(
            self._h(), _str(key, "key"), _float(value, "value"), ts, _int(step, "step")))

    def log_metrics(self, metrics: Mapping[str, float], step=0, timestamp=None) -> None:
        ts = _now_ms() if timestamp is None else timestamp
        for k, v in metrics.items():
            self.log_metric(k, v, ts, step)

    def log_param(self, key, value) -> None:
        """Buffer a param (write-once: another value for a buffered key is InvalidArgument)."""
        self._api._check(self._lib.dbx_mlflow_logger_add_param(self._h(), _str(key, "key"),
                                                               _str(value, "value")))

    def log_params(self, params: Mapping[str, Any]) -> None:
        for k, v in params.items():
            self.log_param(k, v)

    def set_tag(self, key, value) -> None:
        self._api._check(self._lib.dbx_mlflow_logger_add_tag(self._h(), _str(key, "key"), _str(value, "value")))

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        for k, v in tags.items():
            self.set_tag(k, v)

    @property
    def pending(self) -> int:
        """Items waiting in the buffer."""
        return int(self._lib.dbx_mlflow_logger_pending(self._lg)) if self._lg else 0

    @property
    def requests(self) -> int:
        """log-batch requests this logger sent successfully."""
        return int(self._lib.dbx_mlflow_logger_requests(self._lg)) if self._lg else 0

    @property
    def last_failure(self) -> Optional[Tuple[int, int]]:
        """``(first, count)``: the items (numbered in the order added, within the buffer as it
        was when the last flush started) of the last flush's failed request; None when it
        succeeded. After the failure they are the first ``count`` items of the buffer."""
        if not self._lg:
            return None
        first, count = c_size_t(), c_size_t()
        st = self._lib.dbx_mlflow_logger_last_failure(self._lg, ctypes.byref(first), ctypes.byref(count))
        return None if st == 0 else (first.value, count.value)

    def flush(self) -> None:
        """Send everything buffered."""
        self._api._check(self._lib.dbx_mlflow_logger_flush(self._h()))

    def close(self) -> None:
        """Flush, then free the C logger (also when the flush fails: then it raises and the
        unsent items are lost). Idempotent."""
        if not self._lg:
            return
        try:
            self.flush()
        finally:
            self._free()

    def _free(self):
        if self._lg:
            self._lib.dbx_mlflow_logger_free(self._lg)
            self._lg = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None:
            self.close()
            return False
        try:
            self.close()
        except Exception as flush_exc:  # noqa: B902 - attached to the body's exception
            exc.flush_error = flush_exc
            if hasattr(exc, "add_note"):
                exc.add_note("libdbx: flushing the MLflow logger failed too: %r" % (flush_exc,))
        return False

    def __del__(self):
        try:
            self._free()  # never a request from the garbage collector
        except Exception:
            pass


# ---- an active run ---------------------------------------------------------------------------

class ActiveRun:
    """A run started by :meth:`MlflowAPI.start_run`. As a context manager it ends the run on
    exit: ``FINISHED``, or ``FAILED`` when the body raised (``KILLED`` on
    KeyboardInterrupt), like MLflow's fluent API. The calls below act on this run."""

    def __init__(self, api, run):
        self._api = api
        self.info = run
        self.run_id = run.run_id

    def __repr__(self):
        return "<ActiveRun %s>" % self.run_id

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            status = "FINISHED"
        elif issubclass(exc_type, KeyboardInterrupt):
            status = "KILLED"
        else:
            status = "FAILED"
        try:
            self.end(status)
        except Exception as end_exc:  # noqa: B902
            if exc is None:
                raise
            if hasattr(exc, "add_note"):
                exc.add_note("libdbx: ending the MLflow run failed too: %r" % (end_exc,))
        return False

    def end(self, status="FINISHED", end_time=None) -> None:
        self._api.set_terminated(self.run_id, status, end_time)

    def get(self) -> Run:
        return self._api.get_run(self.run_id)

    def log_metric(self, key, value, timestamp=None, step=0):
        self._api.log_metric(self.run_id, key, value, timestamp, step)

    def log_param(self, key, value):
        self._api.log_param(self.run_id, key, value)

    def set_tag(self, key, value):
        self._api.set_tag(self.run_id, key, value)

    def log_batch(self, metrics=(), params=(), tags=()):
        self._api.log_batch(self.run_id, metrics, params, tags)

    def logger(self, auto_flush=False) -> RunLogger:
        return self._api.logger(self.run_id, auto_flush=auto_flush)

    def log_artifact(self, local_path, artifact_path=None):
        self._api.log_artifact(self.run_id, local_path, artifact_path)

    def log_artifacts(self, local_dir, artifact_path=None):
        self._api.log_artifacts(self.run_id, local_dir, artifact_path)

    def upload_artifact(self, artifact_path, contents):
        self._api.upload_artifact(self.run_id, artifact_path, contents)


# ---- the API ---------------------------------------------------------------------------------

class MlflowAPI(_base.Area):
    """MLflow tracking (``/api/2.0/mlflow/*``): experiments, runs and their artifacts."""

    PROTOS = PROTOS

    # ---- experiments ----------------------------------------------------------------------
    def create_experiment(self, name, artifact_location=None, tags=None) -> str:
        """Create an experiment (``name`` an absolute workspace path); returns its id. A taken
        name (also by a deleted experiment) raises :class:`~libdbx.AlreadyExists`."""
        arr, n, keep = _pairs(tags, "tags")
        out = c_void_p()
        self._check(self._lib.dbx_mlflow_experiment_create(
            ctypes.byref(out), self._ptr(), _native.arg(name, "name"),
            _native.arg(artifact_location, "artifact_location"), arr, n))
        del keep
        return _native.take_string(self._lib, out.value)

    def _experiment(self, fn, arg):
        out = c_void_p()
        self._check(fn(ctypes.byref(out), self._ptr(), arg))
        try:
            return Experiment._from_c(self._lib, out)
        finally:
            self._lib.dbx_mlflow_experiment_free(out)

    def get_experiment(self, experiment_id) -> Experiment:
        """An experiment by id (deleted ones too); unknown: :class:`~libdbx.NotFound`."""
        return self._experiment(self._lib.dbx_mlflow_experiment_get, _native.arg(experiment_id, "experiment_id"))

    def get_experiment_by_name(self, name) -> Optional[Experiment]:
        """An experiment by name (an active one preferred), or None when there is none (like
        MlflowClient)."""
        try:
            return self._experiment(self._lib.dbx_mlflow_experiment_get_by_name, _native.arg(name, "name"))
        except errors.NotFound:
            return None

    def rename_experiment(self, experiment_id, new_name) -> None:
        self._check(self._lib.dbx_mlflow_experiment_update(
            self._ptr(), _native.arg(experiment_id, "experiment_id"), _native.arg(new_name, "new_name")))

    update_experiment = rename_experiment

    def delete_experiment(self, experiment_id) -> None:
        """Soft-delete an experiment and its runs."""
        self._check(self._lib.dbx_mlflow_experiment_delete(self._ptr(), _native.arg(experiment_id, "experiment_id")))

    def restore_experiment(self, experiment_id) -> None:
        self._check(self._lib.dbx_mlflow_experiment_restore(self._ptr(), _native.arg(experiment_id, "experiment_id")))

    def set_experiment_tag(self, experiment_id, key, value) -> None:
        self._check(self._lib.dbx_mlflow_experiment_set_tag(
            self._ptr(), _native.arg(experiment_id, "experiment_id"), _str(key, "key"), _str(value, "value")))

    def delete_experiment_tag(self, experiment_id, key) -> None:
        self._check(self._lib.dbx_mlflow_experiment_delete_tag(
            self._ptr(), _native.arg(experiment_id, "experiment_id"), _str(key, "key")))

    def search_experiments(self, filter_string=None, *, order_by=None, view_type=None,
                           max_results=None, page_size=None) -> Iterator[Experiment]:
        """Experiments, lazily, a page at a time (nothing is sent before the first ``next``).
        ``view_type``: "ACTIVE_ONLY" (the server's default), "DELETED_ONLY" or "ALL";
        ``max_results``: stop after that many (None: all)."""
        o, keep = _search_options(filter_string, order_by, view_type, page_size, max_results)
        lib = self._lib
        it = _base.CIterator(self._client, lib.dbx_mlflow_experiments_iter_next,
                             lib.dbx_mlflow_experiments_iter_free, lambda p: Experiment._from_c(lib, p))
        it._keep = (o, keep)
        return it._start(lib.dbx_mlflow_experiments_search(ctypes.byref(it._it), self._ptr(), ctypes.byref(o)))

    # ---- runs -----------------------------------------------------------------------------
    def create_run(self, experiment_id, *, run_name=None, start_time=None, tags=None) -> Run:
        """Create a run (status RUNNING). ``start_time`` epoch ms (None: the server's now)."""
        arr, n, keep = _pairs(tags, "tags")
        o = _RunCreateOptions()
        o.version = 1
        o.run_name = _native.arg(run_name, "run_name")
        o.start_time = _int(start_time, "start_time")
        if arr is not None:
            o.tags = arr
        o.n_tags = n
        out = c_void_p()
        self._check(self._lib.dbx_mlflow_run_create(ctypes.byref(out), self._ptr(),
                                                    _native.arg(experiment_id, "experiment_id"), ctypes.byref(o)))
        del keep
        return self._take_run(out)

    def _take_run(self, out):
        try:
            return Run._from_c(self._lib, out)
        finally:
            self._lib.dbx_mlflow_run_free(out)

    def start_run(self, experiment_id=None, *, run_id=None, run_name=None, start_time=None,
                  tags=None) -> ActiveRun:
        """Create a run in ``experiment_id`` (or resume ``run_id``: its status goes back to
        RUNNING, like MLflow's ``start_run(run_id=...)``) and return an :class:`ActiveRun`;
        ``with`` it to end the run FINISHED (FAILED when the body raises)."""
        if run_id is not None:
            self.update_run(run_id, "RUNNING", name=run_name)
            return ActiveRun(self, self.get_run(run_id))
        if experiment_id is None:
            raise _invalid("start_run needs experiment_id (or run_id to resume a run)")
        return ActiveRun(self, self.create_run(experiment_id, run_name=run_name, start_time=start_time, tags=tags))

    def get_run(self, run_id) -> Run:
        out = c_void_p()
        self._check(self._lib.dbx_mlflow_run_get(ctypes.byref(out), self._ptr(), _native.arg(run_id, "run_id")))
        return self._take_run(out)

    def update_run(self, run_id, status=None, end_time=None, name=None) -> None:
        """Change a run's ``status`` ("FINISHED", ...), ``end_time`` (epoch ms) or ``name``;
        None leaves a field unchanged."""
        self._check(self._lib.dbx_mlflow_run_update(self._ptr(), _native.arg(run_id, "run_id"),
                                                    _status_code(status), _int(end_time, "end_time"),
                                                    _native.arg(name, "name")))

    def set_terminated(self, run_id, status="FINISHED", end_time=None) -> None:
        """End a run: ``status`` (default FINISHED) and ``end_time`` (epoch ms, default now)."""
        self.update_run(run_id, status, _now_ms() if end_time is None else end_time)

    def delete_run(self, run_id) -> None:
        self._check(self._lib.dbx_mlflow_run_delete(self._ptr(), _native.arg(run_id, "run_id")))

    def restore_run(self, run_id) -> None:
        self._check(self._lib.dbx_mlflow_run_restore(self._ptr(), _native.arg(run_id, "run_id")))

    def set_tag(self, run_id, key, value) -> None:
        self._check(self._lib.dbx_mlflow_run_set_tag(self._ptr(), _native.arg(run_id, "run_id"),
                                                     _str(key, "key"), _str(value, "value")))

    def delete_tag(self, run_id, key) -> None:
        self._check(self._lib.dbx_mlflow_run_delete_tag(self._ptr(), _native.arg(run_id, "run_id"), _str(key, "key")))

    def log_param(self, run_id, key, value) -> None:
        """Log a param (write-once: another value raises :class:`~libdbx.InvalidParameter`).
        Numbers are logged as ``str(value)``, like MLflow."""
        self._check(self._lib.dbx_mlflow_run_log_param(self._ptr(), _native.arg(run_id, "run_id"),
                                                       _str(key, "key"), _str(value, "value")))

    def log_metric(self, run_id, key, value, timestamp=None, step=0) -> None:
        """Log one metric value (``timestamp`` epoch ms, default now). For many values use
        :meth:`logger` or :meth:`log_batch`."""
        ts = _now_ms() if timestamp is None else _int(timestamp, "timestamp")
        self._check(self._lib.dbx_mlflow_run_log_metric(self._ptr(), _native.arg(run_id, "run_id"),
                                                        _str(key, "key"), _float(value, "value"), ts,
                                                        _int(step, "step")))

    def log_batch(self, run_id, metrics: Iterable = (), params=(), tags=()) -> None:
        """One ``runs/log-batch`` request. ``metrics``: :class:`Metric` objects or
        ``(key, value, timestamp, step)`` tuples (timestamp/step optional); ``params`` and
        ``tags``: dicts or ``(key, value)`` pairs. Within MLflow's limits (else
        InvalidArgument; use :meth:`logger` for more)."""
        pts = []
        keep = []
        now = None
        for m in metrics or ():
            if isinstance(m, Metric):
                k, v, ts, step = m.key, m.value, m.timestamp, m.step
            elif isinstance(m, tuple) and 2 <= len(m) <= 4:
                k, v = m[0], m[1]
                ts = m[2] if len(m) > 2 else None
                step = m[3] if len(m) > 3 else 0
            else:
                raise TypeError("metrics must be Metric objects or (key, value[, timestamp[, step]]) tuples")
            if ts is None:
                now = now if now is not None else _now_ms()
                ts = now
            kb = _str(k, "metric key")
            keep.append(kb)
            pts.append(_MetricPoint(kb, _float(v, "metric value"), _int(ts, "timestamp"), _int(step, "step")))
        marr = (_MetricPoint * len(pts))(*pts) if pts else None
        parr, np_, pkeep = _pairs(params, "params")
        tarr, nt, tkeep = _pairs(tags, "tags")
        self._check(self._lib.dbx_mlflow_run_log_batch(self._ptr(), _native.arg(run_id, "run_id"),
                                                       marr, len(pts), parr, np_, tarr, nt))
        del keep, pkeep, tkeep

    def log_inputs(self, run_id, datasets: Sequence[Dataset]) -> None:
        """Log dataset inputs (``runs/log-inputs``): :class:`Dataset` objects (or dicts with
        its fields)."""
        if isinstance(datasets, (Dataset, Mapping)):
            datasets = [datasets]
        recs, keep = [], []
        for d in datasets:
            if isinstance(d, Mapping):
                d = Dataset(**d)
            if not isinstance(d, Dataset):
                raise TypeError("datasets must be Dataset objects or dicts")
            tarr, nt, tk = _pairs(d.tags, "dataset tags")
            rec = _DatasetInput(_native.arg(d.name, "name"), _native.arg(d.digest, "digest"),
                                _native.arg(d.source_type, "source_type"), _json_text(d.source, "source"),
                                _json_text(d.schema, "schema"), _json_text(d.profile, "profile"),
                                tarr, nt)
            keep.append((tarr, tk, rec.name, rec.digest, rec.source_type, rec.source, rec.schema, rec.profile))
            recs.append(rec)
        arr = (_DatasetInput * len(recs))(*recs) if recs else None
        self._check(self._lib.dbx_mlflow_run_log_inputs(self._ptr(), _native.arg(run_id, "run_id"), arr, len(recs)))
        del keep

    def search_runs(self, experiment_ids, filter_string=None, *, run_view_type=None, order_by=None,
                    max_results=None, page_size=None) -> Iterator[Run]:
        """Runs of the experiments, lazily, a page at a time (nothing is sent before the first
        ``next``). ``filter_string`` like "metrics.rmse < 1 AND params.model = 'tree'";
        ``order_by`` e.g. ["metrics.rmse DESC"]; ``max_results``: stop after that many."""
        if isinstance(experiment_ids, (str, bytes)):
            experiment_ids = [experiment_ids]
        ids = [_native.arg(x, "experiment_ids") for x in experiment_ids]
        id_arr = (c_char_p * (len(ids) + 1))(*ids, None)
        o, keep = _search_options(filter_string, order_by, run_view_type, page_size, max_results)
        lib = self._lib
        it = _base.CIterator(self._client, lib.dbx_mlflow_runs_iter_next, lib.dbx_mlflow_runs_iter_free,
                             lambda p: Run._from_c(lib, p))
        it._keep = (o, keep, id_arr)
        return it._start(lib.dbx_mlflow_runs_search(ctypes.byref(it._it), self._ptr(),
                                                    ctypes.cast(id_arr, POINTER(c_char_p)), ctypes.byref(o)))

    def get_metric_history(self, run_id, key, *, max_results=None, page_size=None) -> Iterator[Metric]:
        """Every value logged for a metric, in logged order, lazily."""
        lib = self._lib
        it = _base.CIterator(self._client, lib.dbx_mlflow_metrics_iter_next, lib.dbx_mlflow_metrics_iter_free,
                             lambda p: _metric_from_c(lib, p))
        return it._start(lib.dbx_mlflow_metric_history(ctypes.byref(it._it), self._ptr(),
                                                       _native.arg(run_id, "run_id"), _str(key, "key"),
                                                       _int(page_size, "page_size"),
                                                       _int(max_results, "max_results")))

    def logger(self, run_id, *, auto_flush=False) -> RunLogger:
        """A :class:`RunLogger` (buffered log-batch) for the run; no request is made yet."""
        return RunLogger(self, run_id, auto_flush)

    # ---- artifacts ------------------------------------------------------------------------
    def list_artifacts(self, run_id, path=None) -> Iterator[FileInfo]:
        """One directory level of a run's artifacts (``path`` None: the root), lazily."""
        lib = self._lib
        it = _base.CIterator(self._client, lib.dbx_mlflow_artifacts_iter_next, lib.dbx_mlflow_artifacts_iter_free,
                             lambda p: _artifact_from_c(lib, p))
        return it._start(lib.dbx_mlflow_artifacts_list(ctypes.byref(it._it), self._ptr(),
                                                       _native.arg(run_id, "run_id"), _native.arg(path, "path")))

    def upload_artifact(self, run_id, artifact_path, contents) -> None:
        """Store ``contents`` as the artifact ``artifact_path`` (a relative path such as
        "model/MLmodel"; replaces an existing one). ``contents``: a local file path
        (``str``/``os.PathLike``), bytes-like data, or a binary file object (read from its
        position in pieces; rewound for a retry when seekable)."""
        rid, ap = _native.arg(run_id, "run_id"), _native.arg(artifact_path, "artifact_path")
        lib = self._lib
        if isinstance(contents, (str, os.PathLike)):
            self._check(lib.dbx_mlflow_artifact_upload_file(self._ptr(), rid, ap, os.fsencode(contents)))
            return
        if isinstance(contents, (bytes, bytearray, memoryview)):
            contents = io.BytesIO(contents)  # shares the bytes object's buffer; pieces are copied
        elif not hasattr(contents, "read"):
            raise TypeError("contents must be a local path, bytes-like data or a binary file "
                            "object, not %s" % type(contents).__name__)
        t = _FileObjectSource(contents, None)
        with _base.CtrlC(t):
            st = lib.dbx_mlflow_artifact_upload(self._ptr(), rid, ap, ctypes.byref(t.src))
        t.finish(lib, self._client._ptr, st)

    def log_artifact(self, run_id, local_path, artifact_path=None) -> None:
        """MLflow's log_artifact: the local file goes to ``<artifact_path>/<its name>``
        (``artifact_path`` None: the root)."""
        name = os.path.basename(os.fspath(local_path))
        if isinstance(name, bytes):
            name = os.fsdecode(name)
        dest = name if not artifact_path else "%s/%s" % (str(artifact_path).rstrip("/"), name)
        self.upload_artifact(run_id, dest, os.fspath(local_path))

    def log_artifacts(self, run_id, local_dir, artifact_path=None) -> None:
        """Upload every regular file under ``local_dir`` (recursively; symlinks not followed)
        to ``artifact_path`` (None: the root)."""
        self._check(self._lib.dbx_mlflow_artifact_upload_dir(
            self._ptr(), _native.arg(run_id, "run_id"), _native.arg(artifact_path, "artifact_path"),
            os.fsencode(os.fspath(local_dir))))

    def download_artifact(self, run_id, artifact_path, destination=None) -> Union[bytes, int]:
        """Download one artifact file. ``destination`` None returns the bytes; otherwise they
        stream (never whole in memory) to a local path (written beside it and renamed into
        place; replaced when it exists), a binary file object (its ``write``) or a callable
        receiving each piece; the number of bytes is returned."""
        rid, ap = _native.arg(run_id, "run_id"), _native.arg(artifact_path, "artifact_path")
        lib = self._lib
        if isinstance(destination, (str, os.PathLike)):
            self._check(lib.dbx_mlflow_artifact_download_file(self._ptr(), rid, ap, os.fsencode(destination)))
            return os.path.getsize(destination)
        if destination is None:
            t = _Sink(None, chunks=[])
        elif hasattr(destination, "write"):
            if isinstance(destination, io.TextIOBase):
                raise TypeError("download needs a binary file object (open(..., 'wb')), not a text one")
            t = _Sink(None, write=_write_all(destination))
        elif callable(destination):
            t = _Sink(None, write=destination)
        else:
            raise TypeError("destination must be None, a local path, a binary file object or a "
                            "callable, not %s" % type(destination).__name__)
        with _base.CtrlC(t):
            st = lib.dbx_mlflow_artifact_download(self._ptr(), rid, ap, t.sink, None)
        t.finish(lib, self._client._ptr, st)
        return b"".join(t.chunks) if destination is None else t.received

    def download_artifacts(self, run_id, path, dst_path) -> str:
        """Download the artifact directory ``path`` ("" or None: everything) recursively into
        the local directory ``dst_path`` (created when missing); returns ``dst_path``."""
        self._check(self._lib.dbx_mlflow_artifact_download_dir(
            self._ptr(), _native.arg(run_id, "run_id"), _native.arg(path, "path"),
            os.fsencode(os.fspath(dst_path))))
        return os.fspath(dst_path)

    # ---- misc -----------------------------------------------------------------------------
    def run_status_name(self, code: int) -> str:
        """The server spelling of a RunStatus code (1 -> "RUNNING"; "UNKNOWN" when out of range)."""
        return _native.text(self._lib.dbx_mlflow_run_status_name(int(code)))


__all__ = ["MlflowAPI", "Experiment", "Run", "Metric", "Dataset", "FileInfo", "RunLogger", "ActiveRun",
           "RUN_STATUSES", "VIEW_TYPES"]
