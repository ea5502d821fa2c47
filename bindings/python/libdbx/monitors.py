"""Lakehouse Monitoring quality monitors: ``client.monitors``
(``/api/2.1/unity-catalog/tables/{table_name}/monitor``): create / get / update / delete a
monitor, run and wait for refreshes, and read the drift and profile metric tables it writes
(through statement execution on a SQL warehouse) as lists of dataclasses."""

import ctypes
import dataclasses
import datetime
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

_M = [("dbx_monitor_" + n, r, c_void_p) for n, r in (
    ("table_name", c_char_p), ("status", c_int), ("status_str", c_char_p), ("version", c_int64),
    ("assets_dir", c_char_p), ("output_schema_name", c_char_p),
    ("profile_metrics_table_name", c_char_p), ("drift_metrics_table_name", c_char_p),
    ("dashboard_id", c_char_p), ("baseline_table_name", c_char_p),
    ("latest_failure_msg", c_char_p), ("profile_type", c_int), ("problem_type", c_int),
    ("problem_type_str", c_char_p), ("timestamp_col", c_char_p), ("prediction_col", c_char_p),
    ("label_col", c_char_p), ("model_id_col", c_char_p), ("prediction_proba_col", c_char_p),
    ("granularity_count", c_size_t), ("slicing_expr_count", c_size_t),
    ("schedule_cron", c_char_p), ("schedule_timezone", c_char_p),
    ("schedule_pause_status", c_char_p), ("json", c_char_p))]
_R = [("dbx_monitor_refresh_" + n, r, c_void_p) for n, r in (
    ("id", c_int64), ("state", c_int), ("state_str", c_char_p), ("message", c_char_p),
    ("start_time_ms", c_int64), ("end_time_ms", c_int64), ("trigger", c_char_p), ("json", c_char_p))]
_SPEC_STR = [("dbx_monitor_spec_" + n, c_int, c_void_p, c_char_p) for n in (
    "set_assets_dir", "set_output_schema", "set_time_series", "add_granularity",
    "set_baseline_table", "add_slicing_expr", "set_warehouse_id", "add_failure_email",
    "set_custom_metrics_json")]


class _ReadOptions(ctypes.Structure):
    """``dbx_monitor_read_options`` version 1 (include/dbx/monitors.h)."""
    _fields_ = [("version", c_uint), ("column_name", c_char_p), ("granularity", c_char_p),
                ("drift_type", c_int), ("since_ms", c_int64), ("model_id", c_char_p),
                ("slice_key", c_char_p), ("all_slices", c_int), ("log_type", c_char_p),
                ("max_rows", c_long)]


class _DriftRow(ctypes.Structure):
    """``dbx_monitor_drift_row`` (include/dbx/monitors.h; reached by pointer only, fields are
    only appended, so this prefix stays valid)."""
    _fields_ = [("window_start_ms", c_int64), ("window_end_ms", c_int64),
                ("window_cmp_start_ms", c_int64), ("window_cmp_end_ms", c_int64),
                ("granularity", c_char_p), ("column_name", c_char_p), ("data_type", c_char_p),
                ("drift_type", c_int), ("drift_type_str", c_char_p), ("model_id", c_char_p),
                ("slice_key", c_char_p), ("slice_value", c_char_p), ("monitor_version", c_int64)] + [
        (n, c_double) for n in (
            "count_delta", "avg_delta", "percent_null_delta", "percent_zeros_delta",
            "percent_distinct_delta", "population_stability_index", "ks_test_statistic",
            "ks_test_pvalue", "chi_squared_test_statistic", "chi_squared_test_pvalue",
            "js_distance", "wasserstein_distance", "tv_distance", "l_infinity_distance")]


_PROFILE_NUMS = ("count", "num_nulls", "distinct_count", "num_zeros", "avg", "stddev", "min", "max",
                 "median", "percent_null", "percent_distinct", "percent_zeros", "accuracy_score",
                 "precision_macro", "precision_weighted", "recall_macro", "recall_weighted",
                 "f1_score_macro", "f1_score_weighted", "roc_auc_score", "mean_squared_error",
                 "root_mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
                 "r2_score")


class _ProfileRow(ctypes.Structure):
    """``dbx_monitor_profile_row`` (include/dbx/monitors.h; by pointer, append-only)."""
    _fields_ = [("window_start_ms", c_int64), ("window_end_ms", c_int64),
                ("granularity", c_char_p), ("column_name", c_char_p), ("data_type", c_char_p),
                ("log_type", c_char_p), ("model_id", c_char_p), ("slice_key", c_char_p),
                ("slice_value", c_char_p), ("monitor_version", c_int64)] + [
        (n, c_double) for n in _PROFILE_NUMS]


#: the C functions this module calls (declared on first use by _native.declare)
PROTOS = _M + _R + _SPEC_STR + [
    ("dbx_monitor_status_name", c_char_p, c_int),
    ("dbx_monitor_refresh_state_name", c_char_p, c_int),
    ("dbx_monitor_problem_type_name", c_char_p, c_int),
    ("dbx_monitor_profile_type_name", c_char_p, c_int),
    ("dbx_monitor_drift_type_name", c_char_p, c_int),
    ("dbx_monitor_granularity_valid", c_int, c_char_p),
    ("dbx_monitor_spec_new", c_int, P),
    ("dbx_monitor_spec_from_json", c_int, P, c_char_p),
    ("dbx_monitor_spec_free", None, c_void_p),
    ("dbx_monitor_spec_set_inference_log", c_int, c_void_p, c_int, c_char_p, c_char_p, c_char_p,
     c_char_p, c_char_p),
    ("dbx_monitor_spec_set_snapshot", c_int, c_void_p),
    ("dbx_monitor_spec_set_schedule", c_int, c_void_p, c_char_p, c_char_p, c_int),
    ("dbx_monitor_spec_set_skip_builtin_dashboard", c_int, c_void_p, c_int),
    ("dbx_monitor_spec_to_json", c_int, P, c_void_p),
    ("dbx_monitor_free", None, c_void_p),
    ("dbx_monitor_granularity", c_char_p, c_void_p, c_size_t),
    ("dbx_monitor_slicing_expr", c_char_p, c_void_p, c_size_t),
    ("dbx_monitor_create", c_int, P, c_void_p, c_char_p, c_void_p),
    ("dbx_monitor_get", c_int, P, c_void_p, c_char_p),
    ("dbx_monitor_update", c_int, P, c_void_p, c_char_p, c_void_p),
    ("dbx_monitor_delete", c_int, c_void_p, c_char_p),
    ("dbx_monitor_wait_active", c_int, P, c_void_p, c_char_p, POINTER(WaitOptions)),
    ("dbx_monitor_regenerate_dashboard", c_int, P, c_void_p, c_char_p, c_char_p),
    ("dbx_monitor_refresh_free", None, c_void_p),
    ("dbx_monitor_refresh_run", c_int, P, c_void_p, c_char_p),
    ("dbx_monitor_refresh_get", c_int, P, c_void_p, c_char_p, c_int64),
    ("dbx_monitor_refresh_cancel", c_int, c_void_p, c_char_p, c_int64),
    ("dbx_monitor_refresh_wait", c_int, P, c_void_p, c_char_p, c_int64, POINTER(WaitOptions)),
    ("dbx_monitor_refresh_list", c_int, P, c_void_p, c_char_p),
    ("dbx_monitor_refresh_iter_next", c_int, P, c_void_p),
    ("dbx_monitor_refresh_iter_free", None, c_void_p),
    ("dbx_monitor_read_options_init", None, POINTER(_ReadOptions)),
    ("dbx_monitor_drift_read", c_int, P, c_void_p, c_char_p, c_char_p, POINTER(_ReadOptions)),
    ("dbx_monitor_drift_count", c_size_t, c_void_p),
    ("dbx_monitor_drift_at", POINTER(_DriftRow), c_void_p, c_size_t),
    ("dbx_monitor_drift_free", None, c_void_p),
    ("dbx_monitor_profile_read", c_int, P, c_void_p, c_char_p, c_char_p, POINTER(_ReadOptions)),
    ("dbx_monitor_profile_count", c_size_t, c_void_p),
    ("dbx_monitor_profile_at", POINTER(_ProfileRow), c_void_p, c_size_t),
    ("dbx_monitor_profile_free", None, c_void_p),
]

PROBLEM_TYPES = {"CLASSIFICATION": 1, "PROBLEM_TYPE_CLASSIFICATION": 1,
                 "REGRESSION": 2, "PROBLEM_TYPE_REGRESSION": 2}
DRIFT_TYPES = {None: 0, "CONSECUTIVE": 1, "BASELINE": 2}
#: the window granularities the service accepts
GRANULARITIES = ("5 minutes", "30 minutes", "1 hour", "1 day", "1 week", "2 weeks", "3 weeks",
                 "4 weeks", "1 month", "1 year")
_NO_TIME = -2 ** 63


def _lib():
    lib = _native.load()
    _native.declare(lib, PROTOS)
    return lib


def granularity_valid(granularity) -> bool:
    """True when the service accepts ``granularity`` ("1 day", ...)."""
    return bool(_lib().dbx_monitor_granularity_valid(_native.arg(granularity, "granularity")))


def enum_name(kind, value) -> str:
    """The server spelling of a C enum value; ``kind``: "status", "refresh_state",
    "problem_type", "profile_type" or "drift_type"."""
    lib = _lib()
    fn = {"status": lib.dbx_monitor_status_name, "refresh_state": lib.dbx_monitor_refresh_state_name,
          "problem_type": lib.dbx_monitor_problem_type_name,
          "profile_type": lib.dbx_monitor_profile_type_name,
          "drift_type": lib.dbx_monitor_drift_type_name}[kind]
    return _native.text(fn(int(value)))


def _ts(ms):
    if ms == _NO_TIME:
        return None
    return datetime.datetime.fromtimestamp(ms / 1000.0, datetime.timezone.utc)


def _num(v):
    return None if math.isnan(v) else v


def _since_ms(since):
    if since is None:
        return 0
    if isinstance(since, datetime.datetime):
        if since.tzinfo is None:
            since = since.replace(tzinfo=datetime.timezone.utc)
        return int(since.timestamp() * 1000)
    if isinstance(since, datetime.date):
        return int(datetime.datetime(since.year, since.month, since.day,
                                     tzinfo=datetime.timezone.utc).timestamp() * 1000)
    return int(since)


# ---- results ---------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Monitor:
    """A MonitorInfo. ``profile_type`` is "inference_log", "time_series" or "snapshot";
    ``status`` the server's text ("MONITOR_STATUS_ACTIVE"); ``raw`` the whole answer
    (custom_metrics, notifications, ...)."""
    table_name: str
    status: str
    monitor_version: int
    profile_type: str
    problem_type: Optional[str]
    timestamp_col: Optional[str]
    prediction_col: Optional[str]
    label_col: Optional[str]
    model_id_col: Optional[str]
    prediction_proba_col: Optional[str]
    granularities: List[str]
    slicing_exprs: List[str]
    baseline_table_name: Optional[str]
    assets_dir: str
    output_schema_name: str
    profile_metrics_table_name: str
    drift_metrics_table_name: str
    dashboard_id: Optional[str]
    latest_monitor_failure_msg: Optional[str]
    schedule: Optional[Dict[str, str]]
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False)

    @property
    def is_active(self) -> bool:
        return self.status == "MONITOR_STATUS_ACTIVE"

    @classmethod
    def _from_c(cls, lib, p):
        def t(fn):
            return _native.text(fn(p)) or None

        cron = t(lib.dbx_monitor_schedule_cron)
        return cls(
            table_name=_native.text(lib.dbx_monitor_table_name(p)),
            status=_native.text(lib.dbx_monitor_status_str(p)) or "UNKNOWN",
            monitor_version=lib.dbx_monitor_version(p),
            profile_type=_native.text(lib.dbx_monitor_profile_type_name(lib.dbx_monitor_profile_type(p))),
            problem_type=t(lib.dbx_monitor_problem_type_str),
            timestamp_col=t(lib.dbx_monitor_timestamp_col),
            prediction_col=t(lib.dbx_monitor_prediction_col),
            label_col=t(lib.dbx_monitor_label_col),
            model_id_col=t(lib.dbx_monitor_model_id_col),
            prediction_proba_col=t(lib.dbx_monitor_prediction_proba_col),
            granularities=[_native.text(lib.dbx_monitor_granularity(p, i))
                           for i in range(lib.dbx_monitor_granularity_count(p))],
            slicing_exprs=[_native.text(lib.dbx_monitor_slicing_expr(p, i))
                           for i in range(lib.dbx_monitor_slicing_expr_count(p))],
            baseline_table_name=t(lib.dbx_monitor_baseline_table_name),
            assets_dir=_native.text(lib.dbx_monitor_assets_dir(p)),
            output_schema_name=_native.text(lib.dbx_monitor_output_schema_name(p)),
            profile_metrics_table_name=_native.text(lib.dbx_monitor_profile_metrics_table_name(p)),
            drift_metrics_table_name=_native.text(lib.dbx_monitor_drift_metrics_table_name(p)),
            dashboard_id=t(lib.dbx_monitor_dashboard_id),
            latest_monitor_failure_msg=t(lib.dbx_monitor_latest_failure_msg),
            schedule=None if cron is None else {
                "quartz_cron_expression": cron, "timezone_id": t(lib.dbx_monitor_schedule_timezone),
                "pause_status": t(lib.dbx_monitor_schedule_pause_status)},
            raw=json.loads(_native.text(lib.dbx_monitor_json(p)) or "{}"))

    @classmethod
    def _take(cls, lib, ptr):
        if not ptr:
            return None
        try:
            return cls._from_c(lib, ptr)
        finally:
            lib.dbx_monitor_free(ptr)


@dataclasses.dataclass(frozen=True)
class Refresh:
    """A MonitorRefreshInfo: ``state`` PENDING / RUNNING / SUCCESS / FAILED / CANCELED; times in
    epoch milliseconds (``end_time_ms`` 0 until it ends)."""
    refresh_id: int
    state: str
    message: Optional[str]
    start_time_ms: int
    end_time_ms: int
    trigger: str
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def _from_c(cls, lib, p):
        return cls(refresh_id=lib.dbx_monitor_refresh_id(p),
                   state=_native.text(lib.dbx_monitor_refresh_state_str(p)) or "UNKNOWN",
                   message=_native.text(lib.dbx_monitor_refresh_message(p)) or None,
                   start_time_ms=lib.dbx_monitor_refresh_start_time_ms(p),
                   end_time_ms=lib.dbx_monitor_refresh_end_time_ms(p),
                   trigger=_native.text(lib.dbx_monitor_refresh_trigger(p)),
                   raw=json.loads(_native.text(lib.dbx_monitor_refresh_json(p)) or "{}"))

    @classmethod
    def _take(cls, lib, ptr):
        if not ptr:
            return None
        try:
            return cls._from_c(lib, ptr)
        finally:
            lib.dbx_monitor_refresh_free(ptr)


@dataclasses.dataclass(frozen=True)
class DriftRow:
    """A row of the drift metrics table. Windows are UTC datetimes; statistics that do not
    apply to the column (KS on a categorical column, chi-squared on a numeric one, ...) and SQL
    NULLs are None. ``window_cmp_*`` is None for BASELINE rows."""
    window_start: Optional[datetime.datetime]
    window_end: Optional[datetime.datetime]
    window_cmp_start: Optional[datetime.datetime]
    window_cmp_end: Optional[datetime.datetime]
    granularity: Optional[str]
    column_name: str
    data_type: Optional[str]
    drift_type: str
    model_id: Optional[str]
    slice_key: Optional[str]
    slice_value: Optional[str]
    monitor_version: int
    count_delta: Optional[float]
    avg_delta: Optional[float]
    percent_null_delta: Optional[float]
    percent_zeros_delta: Optional[float]
    percent_distinct_delta: Optional[float]
    population_stability_index: Optional[float]
    ks_test_statistic: Optional[float]
    ks_test_pvalue: Optional[float]
    chi_squared_test_statistic: Optional[float]
    chi_squared_test_pvalue: Optional[float]
    js_distance: Optional[float]
    wasserstein_distance: Optional[float]
    tv_distance: Optional[float]
    l_infinity_distance: Optional[float]

    @classmethod
    def _from_c(cls, r):
        t = _native.text
        kw = {n: _num(getattr(r, n)) for n, ty in _DriftRow._fields_ if ty is c_double}
        return cls(window_start=_ts(r.window_start_ms), window_end=_ts(r.window_end_ms),
                   window_cmp_start=_ts(r.window_cmp_start_ms), window_cmp_end=_ts(r.window_cmp_end_ms),
                   granularity=t(r.granularity), column_name=t(r.column_name), data_type=t(r.data_type),
                   drift_type=t(r.drift_type_str), model_id=t(r.model_id), slice_key=t(r.slice_key),
                   slice_value=t(r.slice_value), monitor_version=r.monitor_version, **kw)


@dataclasses.dataclass(frozen=True)
class ProfileRow:
    """A row of the profile metrics table (``log_type`` "INPUT" or "BASELINE"; BASELINE rows
    have no window). The model-quality numbers are set on the ":table" rows of an
    inference-log monitor with a label column, else None."""
    window_start: Optional[datetime.datetime]
    window_end: Optional[datetime.datetime]
    granularity: Optional[str]
    column_name: str
    data_type: Optional[str]
    log_type: str
    model_id: Optional[str]
    slice_key: Optional[str]
    slice_value: Optional[str]
    monitor_version: int
    count: Optional[float]
    num_nulls: Optional[float]
    distinct_count: Optional[float]
    num_zeros: Optional[float]
    avg: Optional[float]
    stddev: Optional[float]
    min: Optional[float]
    max: Optional[float]
    median: Optional[float]
    percent_null: Optional[float]
    percent_distinct: Optional[float]
    percent_zeros: Optional[float]
    accuracy_score: Optional[float]
    precision_macro: Optional[float]
    precision_weighted: Optional[float]
    recall_macro: Optional[float]
    recall_weighted: Optional[float]
    f1_score_macro: Optional[float]
    f1_score_weighted: Optional[float]
    roc_auc_score: Optional[float]
    mean_squared_error: Optional[float]
    root_mean_squared_error: Optional[float]
    mean_absolute_error: Optional[float]
    mean_absolute_percentage_error: Optional[float]
    r2_score: Optional[float]

    @classmethod
    def _from_c(cls, r):
        t = _native.text
        kw = {n: _num(getattr(r, n)) for n in _PROFILE_NUMS}
        return cls(window_start=_ts(r.window_start_ms), window_end=_ts(r.window_end_ms),
                   granularity=t(r.granularity), column_name=t(r.column_name), data_type=t(r.data_type),
                   log_type=t(r.log_type), model_id=t(r.model_id), slice_key=t(r.slice_key),
                   slice_value=t(r.slice_value), monitor_version=r.monitor_version, **kw)


# ---- the API ---------------------------------------------------------------------------------
class MonitorsAPI(_base.Area):
    """Quality monitors on Unity Catalog tables (``catalog.schema.table``)."""

    PROTOS = PROTOS

    def _spec(self, spec, kw):
        """A C dbx_monitor_spec from a dict / JSON text (``spec``), or from keyword arguments:
        assets_dir, output_schema_name, inference_log (a dict: problem_type "CLASSIFICATION" /
        "REGRESSION", timestamp_col, prediction_col, model_id_col, label_col,
        prediction_proba_col, granularities), time_series (a dict: timestamp_col,
        granularities), snapshot (True), baseline_table_name, slicing_exprs, schedule (a dict:
        quartz_cron_expression, timezone_id, pause_status), warehouse_id,
        skip_builtin_dashboard, notification_emails (on failure), custom_metrics (a list of
        dicts). Validated by libdbx."""
        lib = self._lib
        out = c_void_p()
        if spec is not None:
            if kw:
                raise errors.InvalidArgument("give spec or keyword arguments, not both", status=-2,
                                             status_name="DBX_EINVAL")
            if not isinstance(spec, (str, bytes)):
                spec = json.dumps(spec)
            errors.check(lib, None, lib.dbx_monitor_spec_from_json(ctypes.byref(out), _native.arg(spec, "spec")))
            return out
        known = {"assets_dir", "output_schema_name", "inference_log", "time_series", "snapshot",
                 "baseline_table_name", "slicing_exprs", "schedule", "warehouse_id",
                 "skip_builtin_dashboard", "notification_emails", "custom_metrics"}
        unknown = set(kw) - known
        if unknown:
            raise TypeError("unexpected keyword argument(s): %s" % ", ".join(sorted(unknown)))
        errors.check(lib, None, lib.dbx_monitor_spec_new(ctypes.byref(out)))

        def ck(st):
            errors.check(lib, None, st)

        a = _native.arg
        try:
            if kw.get("assets_dir") is not None:
                ck(lib.dbx_monitor_spec_set_assets_dir(out, a(kw["assets_dir"], "assets_dir")))
            if kw.get("output_schema_name") is not None:
                ck(lib.dbx_monitor_spec_set_output_schema(out, a(kw["output_schema_name"], "output_schema_name")))
            il, ts = kw.get("inference_log"), kw.get("time_series")
            grans = []
            if il is not None:
                pt = PROBLEM_TYPES.get(str(il.get("problem_type", "")).upper(), 0)
                ck(lib.dbx_monitor_spec_set_inference_log(
                    out, pt, a(il.get("timestamp_col"), "timestamp_col"),
                    a(il.get("prediction_col"), "prediction_col"), a(il.get("model_id_col"), "model_id_col"),
                    a(il.get("label_col"), "label_col"), a(il.get("prediction_proba_col"), "prediction_proba_col")))
                grans = il.get("granularities") or []
            if ts is not None:
                ck(lib.dbx_monitor_spec_set_time_series(out, a(ts.get("timestamp_col"), "timestamp_col")))
                grans = ts.get("granularities") or []
            if kw.get("snapshot"):
                ck(lib.dbx_monitor_spec_set_snapshot(out))
            if isinstance(grans, str):
                grans = [grans]
            for g in grans:
                ck(lib.dbx_monitor_spec_add_granularity(out, a(g, "granularities")))
            if kw.get("baseline_table_name") is not None:
                ck(lib.dbx_monitor_spec_set_baseline_table(out, a(kw["baseline_table_name"], "baseline_table_name")))
            for e in kw.get("slicing_exprs") or ():
                ck(lib.dbx_monitor_spec_add_slicing_expr(out, a(e, "slicing_exprs")))
            sch = kw.get("schedule")
            if sch is not None:
                ck(lib.dbx_monitor_spec_set_schedule(
                    out, a(sch.get("quartz_cron_expression"), "quartz_cron_expression"),
                    a(sch.get("timezone_id", "UTC"), "timezone_id"),
                    1 if sch.get("pause_status") == "PAUSED" else 0))
            if kw.get("warehouse_id") is not None:
                ck(lib.dbx_monitor_spec_set_warehouse_id(out, a(kw["warehouse_id"], "warehouse_id")))
            if kw.get("skip_builtin_dashboard") is not None:
                ck(lib.dbx_monitor_spec_set_skip_builtin_dashboard(out, 1 if kw["skip_builtin_dashboard"] else 0))
            emails = kw.get("notification_emails") or ()
            for e in [emails] if isinstance(emails, str) else emails:
                ck(lib.dbx_monitor_spec_add_failure_email(out, a(e, "notification_emails")))
            if kw.get("custom_metrics") is not None:
                cm = kw["custom_metrics"]
                ck(lib.dbx_monitor_spec_set_custom_metrics_json(
                    out, a(cm if isinstance(cm, (str, bytes)) else json.dumps(cm), "custom_metrics")))
        except BaseException:
            lib.dbx_monitor_spec_free(out)
            raise
        return out

    def spec_json(self, spec=None, **kw) -> Dict[str, Any]:
        """The create / update body libdbx would send (validated locally, no request)."""
        s = self._spec(spec, kw)
        try:
            out = c_void_p()
            errors.check(self._lib, None, self._lib.dbx_monitor_spec_to_json(ctypes.byref(out), s))
            return json.loads(_native.take_string(self._lib, out.value))
        finally:
            self._lib.dbx_monitor_spec_free(s)

    def _with_spec(self, fn, table_name, spec, kw):
        s = self._spec(spec, kw)
        try:
            out = c_void_p()
            self._check(fn(ctypes.byref(out), self._ptr(), _native.arg(table_name, "table_name"), s))
        finally:
            self._lib.dbx_monitor_spec_free(s)
        return Monitor._take(self._lib, out.value)

    def create(self, table_name, spec=None, **kw) -> Monitor:
        """Create a monitor on ``table_name`` (see :meth:`_spec` for the keyword arguments;
        assets_dir, output_schema_name and one profile are required). The answer is
        MONITOR_STATUS_PENDING: follow with :meth:`wait_active`. A monitor that exists:
        :class:`~libdbx.errors.AlreadyExists`."""
        return self._with_spec(self._lib.dbx_monitor_create, table_name, spec, kw)

    def get(self, table_name) -> Monitor:
        """The monitor of ``table_name``; :class:`~libdbx.errors.NotFound` when it has none."""
        out = c_void_p()
        self._check(self._lib.dbx_monitor_get(ctypes.byref(out), self._ptr(), _native.arg(table_name, "table_name")))
        return Monitor._take(self._lib, out.value)

    def update(self, table_name, spec=None, **kw) -> Monitor:
        """Update the monitor (output_schema_name required and unchanged; the profile type
        cannot change). Fields not given keep their value."""
        return self._with_spec(self._lib.dbx_monitor_update, table_name, spec, kw)

    def delete(self, table_name) -> None:
        """Delete the monitor (its metric tables and dashboard stay)."""
        self._check(self._lib.dbx_monitor_delete(self._ptr(), _native.arg(table_name, "table_name")))

    def regenerate_dashboard(self, table_name, warehouse_id=None) -> str:
        """Regenerate the monitor's dashboard; returns the new dashboard id."""
        out = c_void_p()
        self._check(self._lib.dbx_monitor_regenerate_dashboard(
            ctypes.byref(out), self._ptr(), _native.arg(table_name, "table_name"),
            _native.arg(warehouse_id, "warehouse_id")))
        return _native.take_string(self._lib, out.value)

    def _wait(self, call, take, timeout, progress, poll_interval, poll_max):
        w = _base.Waiter(self._lib, timeout, progress, poll_interval, poll_max)
        out = c_void_p()
        with _base.CtrlC(w):
            st = call(ctypes.byref(out), ctypes.byref(w.opts))
        last = take(self._lib, out.value)
        w.raise_pending()
        if st < 0:
            exc = errors.from_last(self._lib, self._client._ptr, st)
            exc.last = last
            raise exc
        return last

    def wait_active(self, table_name, *, timeout=None, progress=None, poll_interval=None,
                    poll_max=None) -> Monitor:
        """Poll until MONITOR_STATUS_ACTIVE. ``timeout`` in seconds (default 20 min);
        ``progress(table_name, status)`` after every poll (an exception in it, or Ctrl-C, stops
        the wait and is re-raised). MONITOR_STATUS_ERROR / FAILED raise
        :class:`~libdbx.errors.OperationFailed`; ``.last`` on the exception is the last
        snapshot."""
        tn = _native.arg(table_name, "table_name")
        return self._wait(lambda o, w: self._lib.dbx_monitor_wait_active(o, self._ptr(), tn, w),
                          Monitor._take, timeout, progress, poll_interval, poll_max)

    # ---- refreshes --------------------------------------------------------------------------
    def run_refresh(self, table_name) -> Refresh:
        """Queue a refresh of the metric tables; returns it (PENDING)."""
        out = c_void_p()
        self._check(self._lib.dbx_monitor_refresh_run(ctypes.byref(out), self._ptr(),
                                                      _native.arg(table_name, "table_name")))
        return Refresh._take(self._lib, out.value)

    def get_refresh(self, table_name, refresh_id) -> Refresh:
        out = c_void_p()
        self._check(self._lib.dbx_monitor_refresh_get(ctypes.byref(out), self._ptr(),
                                                      _native.arg(table_name, "table_name"), int(refresh_id)))
        return Refresh._take(self._lib, out.value)

    def cancel_refresh(self, table_name, refresh_id) -> None:
        """Cancel a PENDING or RUNNING refresh (a finished one: InvalidParameter)."""
        self._check(self._lib.dbx_monitor_refresh_cancel(self._ptr(), _native.arg(table_name, "table_name"),
                                                         int(refresh_id)))

    def list_refreshes(self, table_name) -> Iterator[Refresh]:
        """The most recent refreshes (up to 25), newest first, lazily."""
        lib = self._lib
        it = _base.CIterator(self._client, lib.dbx_monitor_refresh_iter_next, lib.dbx_monitor_refresh_iter_free,
                             lambda p: Refresh._from_c(lib, p.value))
        return it._start(lib.dbx_monitor_refresh_list(ctypes.byref(it._it), self._ptr(),
                                                       _native.arg(table_name, "table_name")))

    def wait_refresh(self, table_name, refresh_id=None, *, timeout=None, progress=None,
                     poll_interval=None, poll_max=None) -> Refresh:
        """Poll the refresh (a :class:`Refresh` or its id) until it ends. SUCCESS returns it;
        FAILED / CANCELED raise :class:`~libdbx.errors.OperationFailed` with its message (and
        ``.last``). ``progress(refresh_id, state)`` after every poll."""
        if isinstance(refresh_id, Refresh):
            refresh_id = refresh_id.refresh_id
        if refresh_id is None:
            raise errors.InvalidArgument("refresh_id is required", status=-2, status_name="DBX_EINVAL")
        tn = _native.arg(table_name, "table_name")
        rid = int(refresh_id)
        return self._wait(lambda o, w: self._lib.dbx_monitor_refresh_wait(o, self._ptr(), tn, rid, w),
                          Refresh._take, timeout, progress, poll_interval, poll_max)

    # ---- metric tables ----------------------------------------------------------------------
    def _opts(self, column, granularity, drift_type, since, model_id, slice_key, all_slices,
              log_type, max_rows):
        o = _ReadOptions()
        self._lib.dbx_monitor_read_options_init(ctypes.byref(o))
        keep = []

        def s(v, name):
            b = _native.arg(v, name)
            keep.append(b)
            return b

        o.column_name = s(column, "column")
        o.granularity = s(granularity, "granularity")
        dt = None if drift_type is None else str(drift_type).upper()
        if dt not in DRIFT_TYPES:
            raise errors.InvalidArgument("drift_type must be CONSECUTIVE, BASELINE or None", status=-2,
                                         status_name="DBX_EINVAL")
        o.drift_type = DRIFT_TYPES[dt]
        o.since_ms = _since_ms(since)
        o.model_id = s(model_id, "model_id")
        o.slice_key = s(slice_key, "slice_key")
        o.all_slices = 1 if all_slices else 0
        o.log_type = s(log_type, "log_type")
        o.max_rows = int(max_rows or 0)
        return o, keep

    def drift(self, table_name, warehouse_id, *, column=None, granularity=None, drift_type=None,
              since=None, model_id=None, slice_key=None, all_slices=False,
              max_rows=None) -> List[DriftRow]:
        """The drift metrics rows of the monitor on ``table_name``, read on ``warehouse_id``:
        filtered by column name, granularity, drift_type ("CONSECUTIVE" / "BASELINE"),
        ``since`` (a datetime / date / epoch ms: windows starting then or later), model id
        (inference logs; "*" is every model pooled), and slice (default: the unsliced rows;
        ``all_slices=True`` for every slice). No table yet: :class:`~libdbx.errors.NotFound`."""
        o, _keep = self._opts(column, granularity, drift_type, since, model_id, slice_key, all_slices,
                              None, max_rows)
        lib = self._lib
        out = c_void_p()
        self._check(lib.dbx_monitor_drift_read(ctypes.byref(out), self._ptr(), _native.arg(table_name, "table_name"),
                                               _native.arg(warehouse_id, "warehouse_id"), ctypes.byref(o)))
        try:
            return [DriftRow._from_c(lib.dbx_monitor_drift_at(out, i).contents)
                    for i in range(lib.dbx_monitor_drift_count(out))]
        finally:
            lib.dbx_monitor_drift_free(out)

    def profile(self, table_name, warehouse_id, *, column=None, granularity=None, since=None,
                model_id=None, slice_key=None, all_slices=False, log_type=None,
                max_rows=None) -> List[ProfileRow]:
        """The profile metrics rows, filtered as :meth:`drift` (``log_type`` "INPUT" /
        "BASELINE" instead of drift_type)."""
        o, _keep = self._opts(column, granularity, None, since, model_id, slice_key, all_slices,
                              log_type, max_rows)
        lib = self._lib
        out = c_void_p()
        self._check(lib.dbx_monitor_profile_read(ctypes.byref(out), self._ptr(),
                                                 _native.arg(table_name, "table_name"),
                                                 _native.arg(warehouse_id, "warehouse_id"), ctypes.byref(o)))
        try:
            return [ProfileRow._from_c(lib.dbx_monitor_profile_at(out, i).contents)
                    for i in range(lib.dbx_monitor_profile_count(out))]
        finally:
            lib.dbx_monitor_profile_free(out)
