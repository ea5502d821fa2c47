"""Lakehouse Monitoring (quality monitors, issue 9): /api/2.1/unity-catalog/tables/{table_name}/
monitor (create POST, get, update PUT, delete), its refreshes (run, list, get, cancel) and the
dashboard regeneration, over the SQL engine's Unity Catalog store (sql_engine.Engine, state.uc).

A refresh computes the two metric tables for real and writes them as ordinary UC Delta tables
of the engine (Engine.new_table / before_write / commit, as CREATE TABLE and INSERT do), so
statement execution reads them:
  <output_schema>.<table>_profile_metrics and <output_schema>.<table>_drift_metrics.
The source rows are read through the SQL engine too (a SELECT of the columns plus the slicing
expressions), so a slicing expression is any expression the engine's SQL subset evaluates.

The columns are the real ones, STRUCT / ARRAY / MAP included (the engine stores a complex value
as JSON text with its type known from the column type; see sql_types.py): `window` and
`window_cmp` STRUCT<start: TIMESTAMP, end: TIMESTAMP>, `ks_test` / `chi_squared_test`
STRUCT<statistic: DOUBLE, pvalue: DOUBLE>, precision / recall / f1_score STRUCT<one_vs_all:
MAP<STRING, DOUBLE>, macro: DOUBLE, weighted: DOUBLE>, quantiles ARRAY<DOUBLE>, frequent_items
ARRAY<STRUCT<item: STRING, count: BIGINT>>, non_null_columns ARRAY<STRING>,
non_null_columns_delta STRUCT<added: INT, missing: INT>, confusion_matrix (the emulator's shape,
unclear in the reference) STRUCT<labels: ARRAY<STRING>, matrix: ARRAY<ARRAY<BIGINT>>>. So the
reference's queries work as written: `SELECT window.start, ks_test.pvalue ... WHERE window.start
>= ...`.

States run on the virtual clock: a monitor is MONITOR_STATUS_PENDING for monitor_create_ms
(observed by a later request), then ACTIVE; a refresh is PENDING when queued, RUNNING from its
start until start + monitor_refresh_ms, then it runs (in the first monitor request that observes
it due) and ends SUCCESS or FAILED. Refreshes of one monitor run one after the other.
"""

import bisect
import calendar
import datetime
import json
import math
import re
import threading
import uuid

from . import on_reset, route
from ..errors import ApiError, invalid_param
from ..sql_exec import run_statement
from ..sql_lexer import SqlError, quote_ident, tokenize
from ..sql_types import Col, parse_complex
from ..state import register_config

BASE = "/api/2.1/unity-catalog/tables/{table_name}/monitor"

register_config("monitor_create_ms", 0, (int, float), 0)
register_config("monitor_refresh_ms", 0, (int, float), 0)

MAX_REFRESHES_LISTED = 25     # the reference: "the history of the most recent refreshes (up to 25)"
PSI_BINS = 10                 # numeric PSI / JS: deciles of the comparison distribution
PSI_EPS = 1e-4                # proportion used for an empty bin / unseen category in PSI
TOP_ITEMS = 10                # frequent_items kept per column
MAX_SLICE_VALUES = 100        # the reference: top 100 values by frequency per slicing expression

# the granularities the reference lists; fixed ones in seconds (windows aligned on the epoch),
# months and years on the calendar
GRANULARITIES = {"5 minutes": 300, "30 minutes": 1800, "1 hour": 3600, "1 day": 86400,
                 "1 week": 7 * 86400, "2 weeks": 14 * 86400, "3 weeks": 21 * 86400,
                 "4 weeks": 28 * 86400, "1 month": "month", "1 year": "year"}
PROBLEM_TYPES = ("PROBLEM_TYPE_CLASSIFICATION", "PROBLEM_TYPE_REGRESSION")
METRIC_TYPES = ("CUSTOM_METRIC_TYPE_AGGREGATE", "CUSTOM_METRIC_TYPE_DERIVED",
                "CUSTOM_METRIC_TYPE_DRIFT")
NUMERIC = ("LONG", "INT", "SHORT", "BYTE", "DOUBLE", "FLOAT", "DECIMAL")
CATEGORICAL = ("STRING", "BOOLEAN")
TERMINAL = ("SUCCESS", "FAILED", "CANCELED")


@on_reset
def _reset(state):
    state.monitors = {}
    state.monitors_lock = threading.RLock()


# ---- helpers -------------------------------------------------------------------------------

def _bt(name):
    return "`" + name.replace("`", "``") + "`"


def _table(eng, full):
    parts = full.lower().split(".")
    if len(parts) != 3 or not all(parts):
        raise invalid_param("Invalid table full name '%s': expected <catalog>.<schema>.<table>." % full)
    t = eng.tables.get(full.lower())
    if t is None:
        raise ApiError(404, "TABLE_DOES_NOT_EXIST", "Table '%s' does not exist." % full)
    return t


def _monitor(req, t):
    m = req.state.monitors.get(t.full_name)
    if m is not None and m["table_id"] != t.table_id:
        # the table was dropped and another one created under its name: the monitor went with it
        del req.state.monitors[t.full_name]
        m = None
    if m is None:
        # the real message names internal ids ("Cannot find Monitor with ID: /metastores:<id>/
        # tables:<id>/"); the code is RESOURCE_DOES_NOT_EXIST (404)
        raise ApiError(404, "RESOURCE_DOES_NOT_EXIST",
                       "Cannot find Monitor with ID: /metastores:%s/tables:%s/ (table '%s' has "
                       "no monitor)." % (_metastore(), t.table_id, t.full_name))
    return m


def _metastore():
    from ..sql_engine import METASTORE_ID
    return METASTORE_ID


def _str(v, what, required=True):
    if v is None and not required:
        return None
    if not isinstance(v, str) or not v.strip():
        raise invalid_param("%s is required and must be a non-empty string." % what)
    return v


def _col(t, name, what):
    for c in t.cols:
        if c.name.lower() == name.lower():
            return c
    raise invalid_param("Column '%s' given as %s does not exist in table '%s'. Columns: [%s]."
                        % (name, what, t.full_name, ", ".join(c.name for c in t.cols)))


def _granularities(v, what):
    if not isinstance(v, list) or not v:
        raise invalid_param("%s.granularities is required: a non-empty list of strings." % what)
    out = []
    for g in v:
        if g not in GRANULARITIES:
            raise invalid_param("Invalid granularity '%s' in %s.granularities: must be one of %s."
                                % (g, what, ", ".join(GRANULARITIES)))
        if g not in out:
            out.append(g)
    return out


def _ts_col_ok(c, what):
    if c.type_name not in ("TIMESTAMP", "TIMESTAMP_NTZ", "DATE", "STRING") + NUMERIC:
        raise invalid_param("Column '%s' given as %s has type %s: it must be a timestamp (or "
                            "convertible to one)." % (c.name, what, c.uc_type_text()))


def _validate(eng, t, b, old=None):
    """Checks a create (old None) or update body against the table; returns the config dict
    (the MonitorInfo fields the caller controls)."""
    cfg = {} if old is None else json.loads(json.dumps(old))
    if old is None:
        cfg["assets_dir"] = _str(b.get("assets_dir"), "assets_dir")
    out_schema = _str(b.get("output_schema_name"), "output_schema_name")
    parts = out_schema.lower().split(".")
    if len(parts) != 2 or not all(parts):
        raise invalid_param("output_schema_name must be <catalog>.<schema>, got '%s'." % out_schema)
    if parts[0] not in eng.catalogs:
        raise ApiError(404, "CATALOG_DOES_NOT_EXIST", "Catalog '%s' does not exist." % parts[0])
    if ".".join(parts) not in eng.schemas:
        raise ApiError(404, "SCHEMA_DOES_NOT_EXIST", "Schema '%s' does not exist." % ".".join(parts))
    if old is not None and old["output_schema_name"] != ".".join(parts):
        # the reference: output asset identifiers cannot be updated (unclear: the real code)
        raise invalid_param("output_schema_name cannot be changed by an update (monitor writes "
                            "to '%s')." % old["output_schema_name"])
    cfg["output_schema_name"] = ".".join(parts)
    kinds = [k for k in ("inference_log", "time_series", "snapshot") if b.get(k) is not None]
    if old is None and len(kinds) != 1:
        raise invalid_param("Exactly one of inference_log, time_series or snapshot must be given "
                            "(got %s)." % (", ".join(kinds) or "none"))
    if old is not None and kinds:
        if len(kinds) != 1 or kinds[0] not in old:
            raise invalid_param("The profile type of a monitor cannot be changed (it is %s)."
                                % [k for k in ("inference_log", "time_series", "snapshot") if k in old][0])
    for k in kinds:
        v = b[k]
        if not isinstance(v, dict):
            raise invalid_param("%s must be an object." % k)
        for o in ("inference_log", "time_series", "snapshot"):
            cfg.pop(o, None)
        if k == "snapshot":
            cfg["snapshot"] = {}
        elif k == "time_series":
            ts = _str(v.get("timestamp_col"), "time_series.timestamp_col")
            _ts_col_ok(_col(t, ts, "time_series.timestamp_col"), "time_series.timestamp_col")
            cfg["time_series"] = {"timestamp_col": ts,
                                  "granularities": _granularities(v.get("granularities"), "time_series")}
        else:
            pt = v.get("problem_type")
            if pt not in PROBLEM_TYPES:
                raise invalid_param("inference_log.problem_type must be one of %s, got %s."
                                    % (", ".join(PROBLEM_TYPES), json.dumps(pt)))
            il = {"problem_type": pt}
            ts = _str(v.get("timestamp_col"), "inference_log.timestamp_col")
            _ts_col_ok(_col(t, ts, "inference_log.timestamp_col"), "inference_log.timestamp_col")
            il["timestamp_col"] = ts
            il["granularities"] = _granularities(v.get("granularities"), "inference_log")
            for f, req in (("prediction_col", True), ("model_id_col", True), ("label_col", False),
                           ("prediction_proba_col", False)):
                name = _str(v.get(f), "inference_log." + f, required=req)
                if name is not None:
                    c = _col(t, name, "inference_log." + f)
                    if f == "prediction_proba_col" and c.type_name not in NUMERIC:
                        # (unclear: the real one is a map or array of class probabilities; the
                        # emulator takes the probability of the positive class)
                        raise invalid_param("inference_log.prediction_proba_col '%s' must be numeric "
                                            "(the probability of the positive class)." % name)
                    if pt == "PROBLEM_TYPE_REGRESSION" and f in ("prediction_col", "label_col") \
                            and c.type_name not in NUMERIC:
                        raise invalid_param("inference_log.%s '%s' must be numeric for "
                                            "PROBLEM_TYPE_REGRESSION (it is %s)."
                                            % (f, name, c.uc_type_text()))
                    il[f] = name
            cfg["inference_log"] = il
    if "baseline_table_name" in b:
        bl = b.get("baseline_table_name")
        if bl in (None, ""):
            cfg.pop("baseline_table_name", None)
        else:
            bt = _table(eng, _str(bl, "baseline_table_name"))
            cfg["baseline_table_name"] = bt.full_name
    if "slicing_exprs" in b:
        se = b.get("slicing_exprs")
        if se is None:
            se = []
        if not isinstance(se, list) or not all(isinstance(x, str) and x.strip() for x in se):
            raise invalid_param("slicing_exprs must be a list of non-empty strings.")
        for x in se:
            _eval_check(eng, t, x)
        cfg["slicing_exprs"] = list(se)
    if "custom_metrics" in b:
        cms = b.get("custom_metrics") or []
        if not isinstance(cms, list):
            raise invalid_param("custom_metrics must be a list.")
        for i, cm in enumerate(cms):
            if not isinstance(cm, dict):
                raise invalid_param("custom_metrics[%d] must be an object." % i)
            for f in ("name", "definition", "output_data_type"):
                _str(cm.get(f), "custom_metrics[%d].%s" % (i, f))
            if cm.get("type") not in METRIC_TYPES:
                raise invalid_param("custom_metrics[%d].type must be one of %s."
                                    % (i, ", ".join(METRIC_TYPES)))
            ic = cm.get("input_columns")
            if not isinstance(ic, list) or not ic or not all(isinstance(x, str) for x in ic):
                raise invalid_param("custom_metrics[%d].input_columns must be a non-empty list of "
                                    "strings." % i)
        cfg["custom_metrics"] = cms
    if "schedule" in b:
        s = b.get("schedule")
        if s is None:
            cfg.pop("schedule", None)
        else:
            if not isinstance(s, dict):
                raise invalid_param("schedule must be an object.")
            _str(s.get("quartz_cron_expression"), "schedule.quartz_cron_expression")
            _str(s.get("timezone_id"), "schedule.timezone_id")
            ps = s.get("pause_status", "UNPAUSED")
            if ps not in ("PAUSED", "UNPAUSED"):
                raise invalid_param("schedule.pause_status must be PAUSED or UNPAUSED.")
            cfg["schedule"] = {"quartz_cron_expression": s["quartz_cron_expression"],
                               "timezone_id": s["timezone_id"], "pause_status": ps}
    if "notifications" in b:
        n = b.get("notifications")
        if n is not None and not isinstance(n, dict):
            raise invalid_param("notifications must be an object.")
        for k, v in (n or {}).items():
            addrs = (v or {}).get("email_addresses") if isinstance(v, dict) else None
            if not isinstance(v, dict) or not isinstance(addrs, list) or \
                    not all(isinstance(a, str) for a in addrs):
                raise invalid_param("notifications.%s must be {\"email_addresses\": [strings]}." % k)
        if n:
            cfg["notifications"] = n
        else:
            cfg.pop("notifications", None)
    return cfg


def _eval_check(eng, t, expr):
    """A slicing expression must be one expression over the table's columns: balanced
    parentheses, no top-level FROM / SELECT / ';' (it is spliced into a SELECT list)."""
    try:
        toks = tokenize(expr)
    except SqlError as e:
        raise invalid_param("Invalid slicing expression '%s': %s" % (expr, e.message))
    depth = 0
    for tk in toks:
        if tk.kind == "op" and tk.value == "(":
            depth += 1
        elif tk.kind == "op" and tk.value == ")":
            depth -= 1
        if depth < 0 or (tk.kind == "op" and tk.value == ";") or \
                (depth == 0 and tk.is_kw("FROM", "SELECT", "LIMIT", "WHERE", "UNION")):
            raise invalid_param("Invalid slicing expression '%s': it must be a single expression "
                                "over the columns of %s." % (expr, t.full_name))
    if depth != 0:
        raise invalid_param("Invalid slicing expression '%s': unbalanced parentheses." % expr)
    try:
        _run(eng, "SELECT (%s) FROM %s LIMIT 0" % (expr, ".".join(_bt(p) for p in t.parts())))
    except SqlError as e:
        raise invalid_param("Invalid slicing expression '%s': %s" % (expr, e.message))


def _run(eng, sql):
    """Runs a statement through the SQL engine; returns (cols, rows)."""
    ctx = eng.ctx
    res = run_statement(eng, sql, {}, "main", "default", ctx.get("user", "monitor"),
                        eng.state.now_ms())
    try:
        rows = eng.db.execute("SELECT %s FROM %s" % (", ".join(quote_ident(n) for n in res.sqnames),
                                                     quote_ident(res.table))).fetchall() \
            if res.table else []
    finally:
        if res.table:
            eng.db.execute("DROP TABLE IF EXISTS %s" % quote_ident(res.table))
        eng.ctx = ctx
    return res.cols, rows


def _info(state, m):
    cfg = m["cfg"]
    tbl = m["table"].split(".")[2]
    d = {"table_name": m["table"], "status": m["status"], "monitor_version": str(m["version"]),
         "assets_dir": cfg["assets_dir"], "output_schema_name": cfg["output_schema_name"],
         "profile_metrics_table_name": "%s.%s_profile_metrics" % (cfg["output_schema_name"], tbl),
         "drift_metrics_table_name": "%s.%s_drift_metrics" % (cfg["output_schema_name"], tbl)}
    for k in ("inference_log", "time_series", "snapshot", "baseline_table_name", "slicing_exprs",
              "custom_metrics", "schedule", "notifications"):
        if k in cfg and cfg[k] not in (None, []):
            d[k] = json.loads(json.dumps(cfg[k]))
    if m.get("dashboard_id"):
        d["dashboard_id"] = m["dashboard_id"]
    if m.get("failure_msg"):
        d["latest_monitor_failure_msg"] = m["failure_msg"]
    return d


def _refresh_info(r):
    d = {"refresh_id": r["refresh_id"], "state": r["state"], "start_time_ms": r["start_time_ms"],
         "trigger": r["trigger"]}
    if r.get("end_time_ms") is not None:
        d["end_time_ms"] = r["end_time_ms"]
    if r.get("message"):
        d["message"] = r["message"]
    return d


def _queue_refresh(m, now, trigger="MANUAL"):
    m["next_refresh"] += 1
    r = {"refresh_id": m["next_refresh"], "state": "PENDING", "start_time_ms": now,
         "trigger": trigger, "end_time_ms": None, "message": None}
    m["refreshes"].append(r)
    return r


def _tick(state, m):
    """Moves the monitor and its refreshes along the virtual clock (a refresh due is computed
    here, in the request that observes it)."""
    now = state.now_ms()
    cfgd = state.config
    if m["status"] == "MONITOR_STATUS_PENDING":
        if now >= m["created_ms"] + cfgd["monitor_create_ms"]:
            m["status"] = "MONITOR_STATUS_ACTIVE"
            m["active_ms"] = m["created_ms"] + cfgd["monitor_create_ms"]
        else:
            return
    busy_until = m["active_ms"]
    for r in m["refreshes"]:
        if r["state"] in TERMINAL:
            busy_until = max(busy_until, r["end_time_ms"] or 0)
            continue
        run_start = max(r["start_time_ms"], busy_until)
        due = run_start + cfgd["monitor_refresh_ms"]
        if now >= due:
            try:
                compute(state, m, r, due)
                r["state"] = "SUCCESS"
                r["message"] = None
            except _Fail as e:
                r["state"] = "FAILED"
                r["message"] = e.args[0]
            except SqlError as e:
                r["state"] = "FAILED"
                r["message"] = e.message
            r["end_time_ms"] = due
            busy_until = due
        elif now >= run_start:
            r["state"] = "RUNNING"
            break
        else:
            break


class _Fail(Exception):
    pass


# ---- endpoints -------------------------------------------------------------------------------

@route("POST", BASE)
def create_monitor(req):
    b = req.json_obj()
    state = req.state
    eng = state.uc
    with eng.lock, state.monitors_lock:
        t = _table(eng, req.params["table_name"])
        if t.is_view:
            raise invalid_param("Cannot create a monitor on view '%s'." % t.full_name)
        if t.full_name in state.monitors and state.monitors[t.full_name]["table_id"] == t.table_id:
            # (unclear: the real code; RESOURCE_ALREADY_EXISTS as other UC securables)
            raise ApiError(409, "RESOURCE_ALREADY_EXISTS",
                           "Monitor already exists for table '%s'." % t.full_name)
        for k in ("skip_builtin_dashboard",):
            if k in b and not isinstance(b[k], bool):
                raise invalid_param("%s must be a boolean." % k)
        if b.get("warehouse_id") is not None and not isinstance(b.get("warehouse_id"), str):
            raise invalid_param("warehouse_id must be a string.")
        cfg = _validate(eng, t, b)
        now = state.now_ms()
        m = {"table": t.full_name, "table_id": t.table_id, "cfg": cfg,
             "status": "MONITOR_STATUS_PENDING", "version": 0, "created_ms": now,
             "active_ms": None, "refreshes": [], "next_refresh": 0, "failure_msg": None,
             "principal": req.principal or "emulator-user@example.com",
             "dashboard_id": None if b.get("skip_builtin_dashboard") else uuid.uuid4().hex[:32],
             "snapshots": []}
        state.monitors[t.full_name] = m
        # creating a monitor queues its first refresh (assumed: the real service builds the
        # metric tables right after creation)
        _queue_refresh(m, now)
        return 200, None, _info(state, m)


@route("GET", BASE)
def get_monitor(req):
    state = req.state
    eng = state.uc
    with eng.lock, state.monitors_lock:
        t = _table(eng, req.params["table_name"])
        m = _monitor(req, t)
        _tick(state, m)
        return 200, None, _info(state, m)


@route("PUT", BASE)
def update_monitor(req):
    """Fields absent from the body keep their value (unclear in the reference: PUT may replace
    the whole config); output_schema_name is required and cannot change, nor the profile type."""
    b = req.json_obj()
    state = req.state
    eng = state.uc
    with eng.lock, state.monitors_lock:
        t = _table(eng, req.params["table_name"])
        m = _monitor(req, t)
        _tick(state, m)
        if b.get("dashboard_id") is not None and not isinstance(b.get("dashboard_id"), str):
            raise invalid_param("dashboard_id must be a string.")
        m["cfg"] = _validate(eng, t, b, old=m["cfg"])
        if b.get("dashboard_id"):
            m["dashboard_id"] = b["dashboard_id"]
        m["version"] += 1
        return 200, None, _info(state, m)


@route("DELETE", BASE)
def delete_monitor(req):
    """The metric tables and the dashboard stay (as the real service: they are deleted by hand)."""
    state = req.state
    eng = state.uc
    with eng.lock, state.monitors_lock:
        t = _table(eng, req.params["table_name"])
        _monitor(req, t)
        del state.monitors[t.full_name]
    return 200, None, {}


@route("POST", BASE + "/dashboard")
def regenerate_dashboard(req):
    b = req.json_obj() if req.body else {}
    state = req.state
    eng = state.uc
    with eng.lock, state.monitors_lock:
        t = _table(eng, req.params["table_name"])
        m = _monitor(req, t)
        if b.get("warehouse_id") is not None and not isinstance(b.get("warehouse_id"), str):
            raise invalid_param("warehouse_id must be a string.")
        m["dashboard_id"] = uuid.uuid4().hex[:32]
        return 200, None, {"dashboard_id": m["dashboard_id"], "parent_folder": m["cfg"]["assets_dir"]}


@route("POST", BASE + "/refreshes")
def run_refresh(req):
    state = req.state
    eng = state.uc
    with eng.lock, state.monitors_lock:
        t = _table(eng, req.params["table_name"])
        m = _monitor(req, t)
        _tick(state, m)
        r = _queue_refresh(m, state.now_ms())
        return 200, None, _refresh_info(r)


@route("GET", BASE + "/refreshes")
def list_refreshes(req):
    state = req.state
    eng = state.uc
    with eng.lock, state.monitors_lock:
        t = _table(eng, req.params["table_name"])
        m = _monitor(req, t)
        _tick(state, m)
        items = [_refresh_info(r) for r in reversed(m["refreshes"])][:MAX_REFRESHES_LISTED]
        return 200, None, {"refreshes": items}


def _refresh(req, m):
    rid = req.params["refresh_id"]
    if not re.match(r"^[0-9]{1,18}$", rid):
        raise invalid_param("refresh_id must be an integer, got '%s'." % rid)
    for r in m["refreshes"]:
        if r["refresh_id"] == int(rid):
            return r
    raise ApiError(404, "RESOURCE_DOES_NOT_EXIST",
                   "Refresh %s does not exist for the monitor of table '%s'." % (rid, m["table"]))


@route("GET", BASE + "/refreshes/{refresh_id}")
def get_refresh(req):
    state = req.state
    eng = state.uc
    with eng.lock, state.monitors_lock:
        t = _table(eng, req.params["table_name"])
        m = _monitor(req, t)
        _tick(state, m)
        return 200, None, _refresh_info(_refresh(req, m))


@route("POST", BASE + "/refreshes/{refresh_id}/cancel")
def cancel_refresh(req):
    state = req.state
    eng = state.uc
    with eng.lock, state.monitors_lock:
        t = _table(eng, req.params["table_name"])
        m = _monitor(req, t)
        _tick(state, m)
        r = _refresh(req, m)
        if r["state"] in TERMINAL:
            # (unclear: the real code for cancelling a finished refresh)
            raise invalid_param("Refresh %d is already in a terminal state (%s)."
                                % (r["refresh_id"], r["state"]))
        r["state"] = "CANCELED"
        r["end_time_ms"] = state.now_ms()
        r["message"] = "Refresh canceled by the user."
    return 200, None, {}


# ---- the computation -------------------------------------------------------------------------

def _fmt_ts(sec):
    return datetime.datetime.fromtimestamp(sec, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _to_sec(v, type_name):
    """Epoch seconds of a timestamp-column value (None when it cannot be read)."""
    if v is None:
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)   # numbers: epoch seconds (as to_timestamp of a number)
    s = str(v).strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    try:
        d = datetime.datetime.fromisoformat(s)
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d.timestamp()


def _window(sec, gran):
    step = GRANULARITIES[gran]
    if isinstance(step, int):
        start = math.floor(sec / step) * step
        return start, start + step
    d = datetime.datetime.fromtimestamp(sec, datetime.timezone.utc)
    if step == "month":
        s = datetime.datetime(d.year, d.month, 1, tzinfo=datetime.timezone.utc)
        e = datetime.datetime(d.year + (d.month == 12), d.month % 12 + 1, 1, tzinfo=datetime.timezone.utc)
    else:
        s = datetime.datetime(d.year, 1, 1, tzinfo=datetime.timezone.utc)
        e = datetime.datetime(d.year + 1, 1, 1, tzinfo=datetime.timezone.utc)
    return calendar.timegm(s.timetuple()), calendar.timegm(e.timetuple())


def _cat(v):
    """Categorical value as text (booleans as true/false, integral floats as integers)."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _quantile(sorted_vals, q):
    """Linear interpolation between closest ranks (numpy's default)."""
    n = len(sorted_vals)
    if n == 0:
        return None
    pos = (n - 1) * q
    lo = int(math.floor(pos))
    hi = min(lo + 1, n - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (pos - lo)


# -- statistics (each checked against hand-computed values in tests/emulator/test_monitors.py)

def ks_2samp(a, b):
    """Two-sample Kolmogorov-Smirnov: (D, p). p from the asymptotic Kolmogorov distribution
    with the small-sample correction of Stephens (Numerical Recipes' probks)."""
    a, b = sorted(a), sorted(b)
    n, m = len(a), len(b)
    i = j = 0
    d = 0.0
    while i < n and j < m:
        x = min(a[i], b[j])
        while i < n and a[i] == x:
            i += 1
        while j < m and b[j] == x:
            j += 1
        d = max(d, abs(i / n - j / m))
    en = math.sqrt(n * m / (n + m))
    return d, _probks((en + 0.12 + 0.11 / en) * d)


def _probks(lam):
    if lam < 1e-3:
        return 1.0
    total, sign, prev = 0.0, 1.0, 0.0
    for j in range(1, 101):
        term = sign * 2.0 * math.exp(-2.0 * j * j * lam * lam)
        total += term
        if abs(term) <= 1e-10 * abs(total) or abs(term) <= 1e-12 * prev:
            return min(1.0, max(0.0, total))
        sign = -sign
        prev = abs(term)
    return 1.0   # not converged: lam tiny, the distributions are indistinguishable


def wasserstein(a, b):
    """1-Wasserstein distance between two empirical distributions: the area between CDFs."""
    a, b = sorted(a), sorted(b)
    pts = sorted(set(a) | set(b))
    total = 0.0
    for k in range(len(pts) - 1):
        fa = bisect.bisect_right(a, pts[k]) / len(a)
        fb = bisect.bisect_right(b, pts[k]) / len(b)
        total += abs(fa - fb) * (pts[k + 1] - pts[k])
    return total


def psi_edges(ref):
    """Bin edges for numeric PSI / JS: the deciles of the comparison (reference) values, linear
    interpolation, duplicates removed; bins (-inf, e1], (e1, e2], ..., (ek, +inf)."""
    s = sorted(ref)
    edges = []
    for k in range(1, PSI_BINS):
        e = _quantile(s, k / PSI_BINS)
        if not edges or e > edges[-1]:
            edges.append(e)
    return edges


def _binned(vals, edges):
    counts = [0] * (len(edges) + 1)
    for v in vals:
        counts[bisect.bisect_left(edges, v)] += 1
    n = float(len(vals))
    return [c / n for c in counts]


def psi(cur_p, ref_p):
    """sum (c - r) * ln(c / r), an empty bin / unseen category counted as PSI_EPS."""
    total = 0.0
    for c, r in zip(cur_p, ref_p):
        c = c if c > 0 else PSI_EPS
        r = r if r > 0 else PSI_EPS
        total += (c - r) * math.log(c / r)
    return total


def js_distance(p, q):
    """Jensen-Shannon distance (square root of the divergence, base-2 logs: in [0, 1])."""
    def kl(x, y):
        return sum(xi * math.log2(xi / yi) for xi, yi in zip(x, y) if xi > 0)
    mm = [(x + y) / 2 for x, y in zip(p, q)]
    return math.sqrt(max(0.0, 0.5 * kl(p, mm) + 0.5 * kl(q, mm)))


def chi2_homogeneity(cur_counts, ref_counts):
    """Chi-squared test of homogeneity on the 2 x k table (current, reference) x category:
    (statistic, pvalue), k - 1 degrees of freedom."""
    keys = [k for k in set(cur_counts) | set(ref_counts)
            if cur_counts.get(k, 0) + ref_counts.get(k, 0) > 0]
    n1, n2 = sum(cur_counts.values()), sum(ref_counts.values())
    n = n1 + n2
    if len(keys) < 2 or n1 == 0 or n2 == 0:
        return 0.0, 1.0
    stat = 0.0
    for k in keys:
        col = cur_counts.get(k, 0) + ref_counts.get(k, 0)
        for obs, row in ((cur_counts.get(k, 0), n1), (ref_counts.get(k, 0), n2)):
            e = row * col / n
            stat += (obs - e) ** 2 / e
    return stat, chi2_sf(stat, len(keys) - 1)


def chi2_sf(x, dof):
    if x <= 0:
        return 1.0
    return _gammaq(dof / 2.0, x / 2.0)


def _gammaq(a, x):
    """Regularized upper incomplete gamma Q(a, x) (series / continued fraction)."""
    gln = math.lgamma(a)
    if x < a + 1.0:
        ap, s = a, 1.0 / a
        d = s
        for _ in range(10000):
            ap += 1.0
            d *= x / ap
            s += d
            if abs(d) < abs(s) * 1e-15:
                break
        return max(0.0, min(1.0, 1.0 - s * math.exp(-x + a * math.log(x) - gln)))
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return max(0.0, min(1.0, math.exp(-x + a * math.log(x) - gln) * h))


def roc_auc(labels01, scores):
    """Area under the ROC curve (Mann-Whitney U with mid-ranks for ties)."""
    pairs = sorted(zip(scores, labels01))
    npos = sum(1 for _, y in pairs if y)
    nneg = len(pairs) - npos
    if npos == 0 or nneg == 0:
        return None
    rank_sum = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        mid = (i + 1 + j) / 2.0
        rank_sum += mid * sum(1 for k in range(i, j) if pairs[k][1])
        i = j
    return (rank_sum - npos * (npos + 1) / 2.0) / (npos * nneg)


# -- metric rows

WINDOW_T = "STRUCT<start: TIMESTAMP, end: TIMESTAMP>"
TEST_T = "STRUCT<statistic: DOUBLE, pvalue: DOUBLE>"
SCORE_T = "STRUCT<one_vs_all: MAP<STRING, DOUBLE>, macro: DOUBLE, weighted: DOUBLE>"
PROFILE_BASE = [("window", WINDOW_T),
                ("log_type", "STRING"), ("logging_table_commit_version", "INT"),
                ("monitor_version", "LONG"), ("granularity", "STRING")]
PROFILE_STATS = [("slice_key", "STRING"), ("slice_value", "STRING"), ("column_name", "STRING"),
                 ("count", "LONG"), ("data_type", "STRING"), ("num_nulls", "LONG"),
                 ("avg", "DOUBLE"), ("quantiles", "ARRAY<DOUBLE>"), ("min", "DOUBLE"), ("max", "DOUBLE"),
                 ("stddev", "DOUBLE"), ("num_zeros", "LONG"), ("num_nan", "LONG"),
                 ("min_length", "DOUBLE"), ("max_length", "DOUBLE"), ("avg_length", "DOUBLE"),
                 ("non_null_columns", "ARRAY<STRING>"),
                 ("frequent_items", "ARRAY<STRUCT<item: STRING, count: BIGINT>>"), ("median", "DOUBLE"),
                 ("distinct_count", "LONG"), ("percent_nan", "DOUBLE"), ("percent_null", "DOUBLE"),
                 ("percent_zeros", "DOUBLE"), ("percent_distinct", "DOUBLE")]
PROFILE_QUALITY = [("accuracy_score", "DOUBLE"),
                   ("confusion_matrix", "STRUCT<labels: ARRAY<STRING>, matrix: ARRAY<ARRAY<BIGINT>>>"),
                   ("precision", SCORE_T), ("recall", SCORE_T), ("f1_score", SCORE_T),
                   ("roc_auc_score", "DOUBLE"),
                   ("mean_squared_error", "DOUBLE"), ("root_mean_squared_error", "DOUBLE"),
                   ("mean_absolute_error", "DOUBLE"), ("mean_average_error", "DOUBLE"),
                   ("mean_absolute_percentage_error", "DOUBLE"), ("r2_score", "DOUBLE")]
DRIFT_BASE = [("window", WINDOW_T),
              ("granularity", "STRING"), ("monitor_version", "LONG")]
DRIFT_STATS = [("slice_key", "STRING"), ("slice_value", "STRING"), ("column_name", "STRING"),
               ("data_type", "STRING"), ("window_cmp", WINDOW_T), ("drift_type", "STRING"), ("count_delta", "LONG"),
               ("avg_delta", "DOUBLE"), ("percent_null_delta", "DOUBLE"),
               ("percent_zeros_delta", "DOUBLE"), ("percent_distinct_delta", "DOUBLE"),
               ("non_null_columns_delta", "STRUCT<added: INT, missing: INT>"), ("js_distance", "DOUBLE"),
               ("ks_test", TEST_T), ("wasserstein_distance", "DOUBLE"),
               ("population_stability_index", "DOUBLE"), ("chi_squared_test", TEST_T),
               ("tv_distance", "DOUBLE"),
               ("l_infinity_distance", "DOUBLE")]


def _j(v):
    return json.dumps(v, separators=(",", ":"))


def _pct(a, b):
    return None if not b else 100.0 * a / b


def _kind(c, il):
    """'num', 'cat' or None (profiled for counts only)."""
    if il and il["problem_type"] == "PROBLEM_TYPE_CLASSIFICATION" and \
            c.name.lower() in (il["prediction_col"].lower(), (il.get("label_col") or "").lower()):
        return "cat"
    if c.type_name in NUMERIC:
        return "num"
    if c.type_name in CATEGORICAL:
        return "cat"
    return None


def _num(v):
    if v is None or isinstance(v, (str, bytes)):
        return None
    f = float(v)
    return None if math.isnan(f) else f


def _col_profile(c, kind, vals):
    n = len(vals)
    nn = [v for v in vals if v is not None]
    d = {"count": n, "data_type": c.uc_type_text(), "num_nulls": n - len(nn),
         "percent_null": _pct(n - len(nn), n)}
    if kind == "num" and c.type_name in NUMERIC:
        xs = sorted(x for x in (_num(v) for v in nn) if x is not None)
        d["num_nan"] = len(nn) - len(xs)
        d["percent_nan"] = _pct(d["num_nan"], len(nn))
        zeros = sum(1 for x in xs if x == 0)
        d["num_zeros"], d["percent_zeros"] = zeros, _pct(zeros, len(nn))
        if xs:
            mean = sum(xs) / len(xs)
            d["avg"], d["min"], d["max"] = mean, xs[0], xs[-1]
            d["median"] = _quantile(xs, 0.5)
            d["quantiles"] = _j([_quantile(xs, k / 10.0) for k in range(11)])
            if len(xs) > 1:
                d["stddev"] = math.sqrt(sum((x - mean) ** 2 for x in xs) / (len(xs) - 1))
    cats = [_cat(v) for v in nn]
    distinct = len(set(cats))
    d["distinct_count"], d["percent_distinct"] = distinct, _pct(distinct, len(nn))
    if c.type_name == "STRING" and nn:
        lens = [len(str(v)) for v in nn]
        d["min_length"], d["max_length"] = float(min(lens)), float(max(lens))
        d["avg_length"] = sum(lens) / float(len(lens))
    if kind == "cat" and cats:
        freq = {}
        for k in cats:
            freq[k] = freq.get(k, 0) + 1
        top = sorted(freq.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ITEMS]
        d["frequent_items"] = _j([{"item": k, "count": v} for k, v in top])
    return d


def _quality(il, rows, ix):
    """Model quality metrics on the rows with a prediction and a label."""
    if not il.get("label_col"):
        return {}
    pi, li = ix[il["prediction_col"].lower()], ix[il["label_col"].lower()]
    pairs = [(r[pi], r[li], r) for r in rows if r[pi] is not None and r[li] is not None]
    if not pairs:
        return {}
    d = {}
    if il["problem_type"] == "PROBLEM_TYPE_REGRESSION":
        pr = [(float(p), float(y)) for p, y, _ in pairs]
        n = len(pr)
        mse = sum((p - y) ** 2 for p, y in pr) / n
        d["mean_squared_error"] = mse
        d["root_mean_squared_error"] = math.sqrt(mse)
        d["mean_absolute_error"] = d["mean_average_error"] = sum(abs(p - y) for p, y in pr) / n
        nz = [(p, y) for p, y in pr if y != 0]
        if nz:
            d["mean_absolute_percentage_error"] = sum(abs((y - p) / y) for p, y in nz) / len(nz)
        mean_y = sum(y for _, y in pr) / n
        sst = sum((y - mean_y) ** 2 for _, y in pr)
        if sst > 0:
            d["r2_score"] = 1.0 - sum((y - p) ** 2 for p, y in pr) / sst
        return d
    pl = [(_cat(p), _cat(y)) for p, y, _ in pairs]
    n = len(pl)
    classes = sorted({p for p, _ in pl} | {y for _, y in pl})
    d["accuracy_score"] = sum(1 for p, y in pl if p == y) / float(n)
    per = {}
    support = {}
    for k in classes:
        tp = sum(1 for p, y in pl if p == k and y == k)
        fp = sum(1 for p, y in pl if p == k and y != k)
        fn = sum(1 for p, y in pl if p != k and y == k)
        pr = tp / float(tp + fp) if tp + fp else 0.0
        rc = tp / float(tp + fn) if tp + fn else 0.0
        f1 = 2 * pr * rc / (pr + rc) if pr + rc else 0.0
        per[k] = (pr, rc, f1)
        support[k] = tp + fn
    for i, name in enumerate(("precision", "recall", "f1_score")):
        macro = sum(v[i] for v in per.values()) / len(per)
        weighted = sum(per[k][i] * support[k] for k in classes) / float(n)
        d[name] = _j({"one_vs_all": {k: per[k][i] for k in classes}, "macro": macro,
                      "weighted": weighted})
    d["confusion_matrix"] = _j({"labels": classes, "matrix": [
        [sum(1 for p, y in pl if y == a and p == b) for b in classes] for a in classes]})
    if il.get("prediction_proba_col") and len(classes) == 2:
        qi = ix[il["prediction_proba_col"].lower()]
        pos = classes[1]    # the greater class ("1", "true") is the positive one
        sc = [(_num(r[qi]), yc == pos) for (_, yc), (_, _, r) in zip(pl, pairs)
              if _num(r[qi]) is not None]
        if sc:
            d["roc_auc_score"] = roc_auc([y for _, y in sc], [s for s, _ in sc])
    return d


def _prep(c, kind, vals):
    """The comparison side of a drift computation, prepared once per (sample, column)."""
    p = {"profile": _col_profile(c, kind, vals)}
    if kind == "num":
        p["nums"] = sorted(x for x in (_num(v) for v in vals) if x is not None)
        if p["nums"]:
            p["edges"] = psi_edges(p["nums"])
            p["bins"] = _binned(p["nums"], p["edges"])
    elif kind == "cat":
        counts = {}
        for v in vals:
            if v is not None:
                k = _cat(v)
                counts[k] = counts.get(k, 0) + 1
        p["counts"] = counts
    return p


def _drift(c, kind, cur, ref):
    """Drift statistics of one column: current values against a prepared comparison (_prep)."""
    d = {}
    pc, pr = _col_profile(c, kind, cur), ref["profile"]
    d["data_type"] = c.uc_type_text()
    d["count_delta"] = pc["count"] - pr["count"]
    for k in ("avg", "percent_null", "percent_zeros", "percent_distinct"):
        if pc.get(k) is not None and pr.get(k) is not None:
            d[k + "_delta"] = pc[k] - pr[k]
    if kind == "num":
        a = [x for x in (_num(v) for v in cur) if x is not None]
        b = ref["nums"]
        if a and b:
            st, pv = ks_2samp(a, b)
            d["ks_test"] = _j({"statistic": st, "pvalue": pv})
            d["wasserstein_distance"] = wasserstein(a, b)
            cp, rp = _binned(a, ref["edges"]), ref["bins"]
            d["population_stability_index"] = psi(cp, rp)
            d["js_distance"] = js_distance(cp, rp)
    elif kind == "cat":
        ca, cb = {}, ref["counts"]
        for v in cur:
            if v is not None:
                k = _cat(v)
                ca[k] = ca.get(k, 0) + 1
        na, nb = sum(ca.values()), sum(cb.values())
        if na and nb:
            keys = sorted(set(ca) | set(cb))
            p = [ca.get(k, 0) / float(na) for k in keys]
            q = [cb.get(k, 0) / float(nb) for k in keys]
            st, pv = chi2_homogeneity(ca, cb)
            d["chi_squared_test"] = _j({"statistic": st, "pvalue": pv})
            d["tv_distance"] = 0.5 * sum(abs(x - y) for x, y in zip(p, q))
            d["l_infinity_distance"] = max(abs(x - y) for x, y in zip(p, q))
            d["js_distance"] = js_distance(p, q)
            d["population_stability_index"] = psi(p, q)
    return d


def _non_null(cols, rows):
    return [c.name for i, c in enumerate(cols) if any(r[i] is not None for r in rows)]


_PRED_OPS = {"=", "==", "<", ">", "<=", ">=", "<>", "!=", "<=>"}
_PRED_WORDS = ("AND", "OR", "NOT", "IN", "BETWEEN", "IS", "LIKE", "ILIKE", "RLIKE", "EXISTS")


def _is_predicate(expr):
    """A slicing expression that is a condition (the engine types comparisons as integers;
    Databricks slices them as true / false)."""
    try:
        toks = tokenize(expr)
    except SqlError:
        return False
    depth = 0
    for t in toks:
        if t.kind == "op" and t.value == "(":
            depth += 1
        elif t.kind == "op" and t.value == ")":
            depth -= 1
        elif depth == 0 and ((t.kind == "op" and t.value in _PRED_OPS) or t.is_kw(*_PRED_WORDS)):
            return True
    return False


def _read(eng, t, cols, exprs):
    sel = [_bt(c.name) for c in cols] + ["(%s)" % e for e in exprs]
    rcols, rows = _run(eng, "SELECT %s FROM %s" % (", ".join(sel), ".".join(_bt(p) for p in t.parts())))
    rows = [list(r) for r in rows]
    for k in range(len(exprs)):
        i = len(cols) + k
        boolean = rcols[i].type_name == "BOOLEAN" or _is_predicate(exprs[k])
        for r in rows:
            r[i] = None if r[i] is None else ("true" if r[i] else "false") if boolean else _cat(r[i])
    return rows


def compute(state, m, r, end_ms):
    """Recomputes both metric tables of monitor m (refresh r) and writes them."""
    eng = state.uc
    cfg = m["cfg"]
    t = eng.tables.get(m["table"])
    if t is None or t.table_id != m["table_id"]:
        raise _Fail("Table '%s' does not exist." % m["table"])
    osch = cfg["output_schema_name"]
    if osch not in eng.schemas:
        raise _Fail("Output schema '%s' does not exist." % osch)
    il = cfg.get("inference_log")
    prof = il or cfg.get("time_series")
    ts_name = prof["timestamp_col"].lower() if prof else None
    model_name = il["model_id_col"].lower() if il else None
    exprs = cfg.get("slicing_exprs") or []
    cols = list(t.cols)
    ix = {c.name.lower(): i for i, c in enumerate(cols)}
    for need in [ts_name, model_name] + ([il[k].lower() for k in ("prediction_col", "label_col",
                                                                    "prediction_proba_col")
                                          if il.get(k)] if il else []):
        if need is not None and need not in ix:
            raise _Fail("Column '%s' does not exist in table '%s' any more." % (need, t.full_name))
    rows = _read(eng, t, cols, exprs)
    profiled = [(i, c, _kind(c, il)) for i, c in enumerate(cols)
                if c.name.lower() not in (ts_name, model_name)]
    base_rows = None
    bcols = None
    if cfg.get("baseline_table_name"):
        bt = eng.tables.get(cfg["baseline_table_name"])
        if bt is None:
            raise _Fail("Baseline table '%s' does not exist." % cfg["baseline_table_name"])
        bix = {c.name.lower(): c for c in bt.cols}
        bcols = [bix[c.name.lower()] for _, c, _ in profiled if c.name.lower() in bix]
        base_rows = _read(eng, bt, bcols, [])
        bpos = {c.name.lower(): i for i, c in enumerate(bcols)}
    version = m["version"]
    commit_version = t.latest()
    mcol = il["model_id_col"] if il else None

    # windows: (granularity, start, end) -> row indices
    windows = {}
    if prof:
        ti = ix[ts_name]
        for g in prof["granularities"]:
            for k, row in enumerate(rows):
                sec = _to_sec(row[ti], cols[ti].type_name)
                if sec is None:
                    continue
                s, e = _window(sec, g)
                windows.setdefault((g, s, e), []).append(k)
    else:
        snap_sec = end_ms // 1000
        windows[(None, snap_sec, snap_sec)] = list(range(len(rows)))

    def groups(idx, rows=rows):
        """(model id value, slice key, slice value) -> indices into rows."""
        out = {("*", None, None): idx}
        models = {}
        if il:
            mi = ix[model_name]
            for k in idx:
                models.setdefault(_cat(rows[k][mi]), []).append(k)
            for mv, ks in models.items():
                if mv is not None:
                    out[(mv, None, None)] = ks
        for n, e in enumerate(exprs):
            col = len(cols) + n
            for mv, ks in [("*", idx)] + ([(a, b) for a, b in models.items() if a is not None]):
                by = {}
                for k in ks:
                    if rows[k][col] is not None:
                        by.setdefault(rows[k][col], []).append(k)
                top = sorted(by.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:MAX_SLICE_VALUES]
                for sv, sks in top:
                    out[(mv, e, sv)] = sks
        return out

    prof_rows, drift_rows = [], []

    def wdict(g, s, e):
        # a struct value holds TIMESTAMPs in the engine's canonical text (sql_types.py); "_ws"
        # (not a column) keys the snapshot bookkeeping below
        if s is None:
            return {"window": None, "_ws": None, "granularity": g}
        return {"window": _j({"start": _fmt_ts(s), "end": _fmt_ts(e)}), "_ws": _fmt_ts(s),
                "granularity": g}

    def profile_rows(common, sub):
        table_row = dict(common, column_name=":table", count=len(sub),
                         non_null_columns=_j(_non_null(cols, sub)))
        if il:
            table_row.update(_quality(il, sub, ix))
        out = [table_row]
        for i, c, kind in profiled:
            out.append(dict(common, column_name=c.name, **_col_profile(c, kind, [r[i] for r in sub])))
        return out

    grouped = {}
    for (g, s, e), idx in sorted(windows.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        for (mv, sk, sv), ks in groups(idx).items():
            sub = [rows[k] for k in ks]
            grouped.setdefault((g, mv, sk, sv), []).append((s, e, sub))
            common = dict(wdict(g, s, e), log_type="INPUT", logging_table_commit_version=commit_version,
                          monitor_version=version, slice_key=sk, slice_value=sv)
            if mcol:
                common[mcol] = mv
            prof_rows.extend(profile_rows(common, sub))

    if base_rows is not None:
        for g in (prof["granularities"] if prof else [None]):
            common = dict(wdict(g, None, None), log_type="BASELINE", logging_table_commit_version=None,
                          monitor_version=version, slice_key=None, slice_value=None)
            if mcol:
                common[mcol] = "*"
            brow = dict(common, column_name=":table", count=len(base_rows),
                        non_null_columns=_j(_non_null(bcols, base_rows)))
            prof_rows.append(brow)
            for i, c, kind in profiled:
                if c.name.lower() in bpos:
                    vals = [r[bpos[c.name.lower()]] for r in base_rows]
                    prof_rows.append(dict(common, column_name=c.name, **_col_profile(c, kind, vals)))

    if not prof:
        # snapshot: each refresh adds a window (the refresh time); the earlier snapshots' rows
        # stay, and consecutive drift compares with the previous snapshot's data
        cur_sec = end_ms // 1000
        snaps = [sn for sn in m["snapshots"] if sn["exprs"] == exprs and sn["sec"] < cur_sec][-1:]
        if snaps:
            prev_rows = snaps[0]["rows"]
            prev_groups = groups(list(range(len(prev_rows))), prev_rows)
            for key, seq in grouped.items():
                if key[1:] in prev_groups:
                    seq.insert(0, (snaps[0]["sec"], snaps[0]["sec"],
                                   [prev_rows[k] for k in prev_groups[key[1:]]]))
        m["snapshots"] = snaps + [{"sec": cur_sec, "rows": rows, "exprs": list(exprs)}]
        keep = [x for x in m.get("snapshot_prof", [])
                if x["log_type"] == "INPUT" and x["_ws"] != _fmt_ts(cur_sec)]
        m["snapshot_prof"] = keep + prof_rows
        prof_rows = list(m["snapshot_prof"])

    prepared = {}

    def drift_row(common, cur, ref, drift_type, cmp_window):
        out = []
        ccnt, rcnt = len(cur), len(ref)
        nn_c, nn_r = set(_non_null(cols, cur)), set(_non_null(cols, ref) if ref is not base_rows
                                                      else _non_null(bcols, base_rows))
        row = dict(common, column_name=":table", drift_type=drift_type, count_delta=ccnt - rcnt,
                   non_null_columns_delta=_j({"added": len(nn_c - nn_r), "missing": len(nn_r - nn_c)}),
                   **cmp_window)
        out.append(row)
        for i, c, kind in profiled:
            key = (id(ref), i)
            if key not in prepared:
                if ref is base_rows:
                    if c.name.lower() not in bpos:
                        continue
                    rv = [r[bpos[c.name.lower()]] for r in ref]
                else:
                    rv = [r[i] for r in ref]
                prepared[key] = (ref, _prep(c, kind, rv))   # ref kept alive: ids stay unique
            d = _drift(c, kind, [r[i] for r in cur], prepared[key][1])
            out.append(dict(common, column_name=c.name, drift_type=drift_type, **dict(d, **cmp_window)))
        return out

    for (g, mv, sk, sv), seq in grouped.items():
        prev = None
        for s, e, sub in seq:
            common = dict(wdict(g, s, e), monitor_version=version, slice_key=sk, slice_value=sv)
            if mcol:
                common[mcol] = mv
            if prev is not None and (prev[1] == s or not prof):
                cw = wdict(g, prev[0], prev[1])
                drift_rows.extend(drift_row(common, sub, prev[2], "CONSECUTIVE",
                                            {"window_cmp": cw["window"]}))
            if base_rows is not None:
                drift_rows.extend(drift_row(common, sub, base_rows, "BASELINE",
                                            {"window_cmp": None}))
            prev = (s, e, sub)
    if not prof:
        cur = _fmt_ts(end_ms // 1000)
        keep = [x for x in m.get("snapshot_drift", []) if x["_ws"] != cur]
        m["snapshot_drift"] = keep + [x for x in drift_rows if x["_ws"] == cur]
        drift_rows = list(m["snapshot_drift"])

    mid = [(mcol, "STRING")] if mcol else []
    pcols = PROFILE_BASE + mid + PROFILE_STATS + (PROFILE_QUALITY if il else [])
    dcols = DRIFT_BASE + mid + DRIFT_STATS
    tbl = m["table"].split(".")[2]
    cat, sch = osch.split(".")
    _write(eng, m, cat, sch, tbl + "_profile_metrics", pcols, prof_rows, end_ms)
    _write(eng, m, cat, sch, tbl + "_drift_metrics", dcols, drift_rows, end_ms)


def _write(eng, m, cat, sch, name, spec, rows, now):
    """(Re)writes a metric table as a UC Delta table of the SQL engine: created (CREATE TABLE)
    the first time, overwritten (a WRITE in its history) on later refreshes."""
    cols = [_mkcol(n, tname) for n, tname in spec]
    full = "%s.%s.%s" % (cat, sch, name)
    eng.db.execute("BEGIN")
    created = False
    try:
        t = eng.tables.get(full)
        if t is not None and (t.is_view or [(c.name, c.type_text()) for c in t.cols] !=
                              [(c.name, c.type_text()) for c in cols]):
            eng.drop_table(t)
            t = None
        if t is None:
            t = eng.new_table(cat, sch, name, cols, m["principal"], now,
                              comment="Lakehouse monitoring metrics of %s (emulator)" % m["table"])
            created = True
        else:
            eng.before_write(t, now)
            eng.db.execute("DELETE FROM %s" % quote_ident(t.sq))
        if rows:
            eng.db.executemany("INSERT INTO %s (%s) VALUES (%s)" % (
                quote_ident(t.sq), ", ".join(quote_ident(n) for n, _ in spec),
                ", ".join("?" for _ in spec)), [tuple(r.get(n) for n, _ in spec) for r in rows])
        if rows or not created:
            eng.commit(t, "WRITE", {"mode": "Overwrite", "partitionBy": "[]"},
                       {"numFiles": "1", "numOutputRows": len(rows),
                        "numOutputBytes": len(rows) * 16 * len(spec)}, now)
        eng.db.execute("COMMIT")
    except BaseException:
        eng.db.execute("ROLLBACK")
        if created:
            eng.tables.pop(full, None)
        raise


def _mkcol(name, type_text):
    """A metric table column: a ColumnTypeName (LONG, STRING, ...) or a complex type text."""
    if "<" in type_text:
        c = parse_complex(type_text)
        c.name = name
        return c
    return Col(name, type_text)
