"""Jobs API 2.1 / 2.2 (reference section 5) with run state machines on the virtual clock.

Model
- A job holds its JobSettings (normalised with the service's defaults). A run (job run from
  run-now, or one-time run from runs/submit) holds a snapshot of the settings it started with
  and one task run per task (each with its own run_id; job run ids and task run ids share one
  counter, so every run_id is unique).
- Everything moves on the virtual clock and is evaluated lazily: ``advance(state, now)`` applies
  every transition due by ``now`` in time order (each at its own due time), so timestamps and
  durations are exact whatever the polling pattern.
- Task life cycle: BLOCKED (waiting for depends_on) -> PENDING (``run_pending_ms``, cluster /
  context setup) -> RUNNING (``run_running_ms`` or the task-outcome rule's ``running_ms``) ->
  TERMINATING (``run_terminating_ms``) -> TERMINATED with a result. A task whose run_if is not
  met goes straight to TERMINATED with UPSTREAM_FAILED / UPSTREAM_CANCELED / EXCLUDED.
- Job run life cycle: [QUEUED] -> PENDING (no task running yet) -> RUNNING (a task started) ->
  TERMINATING (no task will start any more; until the last task run is terminated) ->
  TERMINATED with the job's result. SKIPPED when max_concurrent_runs is reached and queueing is
  off.
- Task execution goes through an executor (``SimulatedExecutor`` by default; ``ProcessExecutor``
  runs a spark_python_task's python_file as a local process when the config key
  ``jobs_execute_python`` is true). See docs/emulator.md, "Jobs".
"""

import atexit
import base64
import binascii
import copy
import io
import json
import os
import random
import re
import subprocess
import sys
import shutil
import tempfile
import zipfile

from . import files, on_reset, route
from ..errors import ApiError, invalid_param, invalid_state
from ..state import register_config

register_config("run_pending_ms", 1000, (int, float), 0)
register_config("run_running_ms", 2000, (int, float), 0)
register_config("run_terminating_ms", 500, (int, float), 0)
# caps every jobs page (jobs/list, runs/list and the 2.2 array pages of get / runs/get); the
# default 100 leaves the real maxima (100, 24, 100) in force. Tests set it small to page.
register_config("jobs_page_size_max", 100, (int,), 1)
# when true, a spark_python_task whose python_file is a local file runs as a local process
register_config("jobs_execute_python", False, None)
# when true, a task process gets no PYTHONPATH / LIBDBX_PATH of the emulator's own: as on a
# cluster, what it imports comes from the task's `libraries` (whl files, installed per run)
register_config("jobs_task_isolated_env", False, None)

TASK_TYPES = (
    "notebook_task", "spark_python_task", "python_wheel_task", "spark_jar_task",
    "spark_submit_task", "sql_task", "dbt_task", "pipeline_task", "run_job_task",
    "condition_task", "for_each_task", "dashboard_task", "power_bi_task",
    "clean_rooms_notebook_task", "dbt_cloud_task", "dbt_platform_task", "gen_ai_compute_task",
    "ai_runtime_task", "alert_task", "python_operator_task",
)
RUN_IFS = ("ALL_SUCCESS", "AT_LEAST_ONE_SUCCESS", "NONE_FAILED", "ALL_DONE",
           "AT_LEAST_ONE_FAILED", "ALL_FAILED")
CONDITION_OPS = ("EQUAL_TO", "NOT_EQUAL", "GREATER_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN",
                 "LESS_THAN_OR_EQUAL")
RUN_TYPES = ("JOB_RUN", "WORKFLOW_RUN", "SUBMIT_RUN")
ACTIVE = ("QUEUED", "PENDING", "RUNNING", "TERMINATING", "BLOCKED", "WAITING_FOR_RETRY")
TERMINAL = ("TERMINATED", "SKIPPED", "INTERNAL_ERROR")
RULE_RESULTS = ("SUCCESS", "FAILED", "TIMEDOUT", "CANCELED")
# legacy life cycle -> RunStatus.state (reference 5.4, "suggested mapping")
_V2_STATE = {"QUEUED": "QUEUED", "PENDING": "PENDING", "RUNNING": "RUNNING",
             "TERMINATING": "TERMINATING", "TERMINATED": "TERMINATED", "SKIPPED": "TERMINATED",
             "INTERNAL_ERROR": "TERMINATED", "BLOCKED": "BLOCKED", "WAITING_FOR_RETRY": "WAITING"}
# result_state -> (termination code, type). From the reference's suggested mapping and the
# TerminationCodeCode docs of the SDKs; TIMEDOUT -> CANCELED ("canceled by the platform, e.g.
# the maximum run duration was exceeded"), with type CLIENT_ERROR (the run's own timeout:
# the reference does not say which type, this is a guess).
_TERMINATION = {
    "SUCCESS": ("SUCCESS", "SUCCESS"),
    "SUCCESS_WITH_FAILURES": ("SUCCESS_WITH_FAILURES", "SUCCESS"),
    "FAILED": ("RUN_EXECUTION_ERROR", "CLIENT_ERROR"),
    "CANCELED": ("USER_CANCELED", "SUCCESS"),
    "TIMEDOUT": ("CANCELED", "CLIENT_ERROR"),
    "MAXIMUM_CONCURRENT_RUNS_REACHED": ("MAX_CONCURRENT_RUNS_EXCEEDED", "CLIENT_ERROR"),
    "UPSTREAM_FAILED": ("SKIPPED", "SUCCESS"),
    "UPSTREAM_CANCELED": ("SKIPPED", "SUCCESS"),
    "EXCLUDED": ("SKIPPED", "SUCCESS"),
    "DISABLED": ("DISABLED", "SUCCESS"),
}
_FAILED = ("FAILED", "TIMEDOUT", "UPSTREAM_FAILED", "MAXIMUM_CONCURRENT_RUNS_REACHED")
_CANCELED = ("CANCELED", "UPSTREAM_CANCELED")
_DEFAULT_FAIL_MESSAGE = "Workload failed, see run output for details"
OUTPUT_CAP = 5 * 1024 * 1024          # notebook result (first 5 MB) and logs (last 5 MB)
MAX_TASKS = 1000
MAX_RUN_JOB_DEPTH = 10               # run_job_task nesting (a job may trigger itself)
MAX_FOREACH_CONCURRENCY = 100
MAX_FOREACH_INPUTS = 5000
_NESTED_OK = object()                 # _validate_tasks: nested task, no job_clusters check
MAX_RETRIES_FOREVER = 100            # max_retries -1 in the emulator
MAX_QUEUED_RUNS = 1000                # per job; more -> SKIPPED MAX_JOB_QUEUE_SIZE_EXCEEDED
GET_ARRAY_PAGE = 100                  # 2.2 paging of get / runs/get arrays
JOBS_LIST_MAX, JOBS_LIST_DEFAULT = 100, 20
RUNS_LIST_MAX, RUNS_LIST_DEFAULT = 24, 20
JOB_ID_BASE = 1000000000000           # > 2^32 so that int32 truncation in a client shows
RUN_ID_BASE = 5000000000000
# task_key / job_cluster_key / environment_key: letters, digits, '_' and '-', at most 100 characters.
# The reference gives only the length; the character set is our reading of the service's rule
# (^[\w\-]+$ as a Java regex, whose \w is ASCII), the same one libdbx checks locally. Unverified
# against a live workspace.
_KEY_RX = re.compile(r"^[A-Za-z0-9_\-]{1,100}$")
_PARAM_NAME_RX = re.compile(r"^[A-Za-z0-9_.\-]+$")
_TOKEN_RX = re.compile(r"^(j|r|g|x):(\d{1,12})$")


# ---- stores -------------------------------------------------------------------------------------
@on_reset
def _reset(state):
    for r in getattr(state, "job_runs", {}).values():  # stop local processes of the old state
        for t in r.all_tasks:
            if t.execution is not None:
                t.execution.cancel()
    state.jobs = {}            # job_id -> job dict (creation order)
    state.job_runs = {}        # job run id -> JobRun
    state.task_runs = {}       # task run id -> TaskRun
    state.jobs_active = []     # JobRuns not yet terminal, creation order
    state.jobs_idem = {}       # idempotency token -> job run id
    state.jobs_rules = []      # task outcome rules
    state.jobs_next_job = JOB_ID_BASE
    state.jobs_next_run = RUN_ID_BASE


def _new_job_id(state):
    state.jobs_next_job += 1
    return state.jobs_next_job


def _new_run_id(state):
    state.jobs_next_run += 1
    return state.jobs_next_run


class TaskRun:
    def __init__(self, run_id, spec, parent):
        self.run_id = run_id
        self.key = spec["task_key"]
        self.spec = spec
        self.parent = parent
        self.lc = "BLOCKED"
        self.result = None
        self.msg = ""
        self.user_cancel = False
        self.pending_result = None
        self.pending_msg = ""
        self.due = None
        self.kind = None
        self.deadline = None
        self.t_start = self.t_run = self.t_term = self.t_end = 0
        self.outcome = None
        self.execution = None
        self.cluster_instance = None
        self.attempt = 0
        self.cond_outcome = None
        self.original_attempt = None
        self.child_run_id = None
        self.fe_parent = None       # for-each iteration: its for-each task run
        self.fe_index = None
        self.fe_inputs = None       # for-each task run: the inputs, iterations started so far
        self.iterations = []


class JobRun:
    def __init__(self, run_id, job_id, run_type, settings, creator, base_url, ts):
        self.run_id = run_id
        self.job_id = job_id
        self.run_type = run_type
        self.settings = settings      # snapshot
        self.creator = creator
        self.base_url = base_url
        self.created = ts
        self.start_time = ts
        self.end_time = 0
        self.lc = "PENDING"
        self.result = None
        self.msg = ""
        self.user_cancel = False
        self.stop_reason = None       # "cancel" / "timeout"
        self.queue_reason = None
        self.queue_code = None
        self.queued_at = None
        self.queue_duration = 0
        self.due = None
        self.kind = None
        self.deadline = None
        self.tasks = []               # current task run of each task, settings order
        self.all_tasks = []           # every task run ever made (repairs add)
        self.job_parameters = []
        self.overriding = {}
        self.only = None
        self.repairs = []             # [{"id", "start_time", "end_time", "task_run_ids", ...}]
        self.original_task_run_ids = []
        self.idem = None
        self.run_name = settings.get("name") or settings.get("run_name") or "Untitled"
        self.trigger = "ONE_TIME"
        self.parent_task = None       # the run_job_task that started this run


# ---- small helpers ------------------------------------------------------------------------------
def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _int_arg(args, name, required=False, minimum=None):
    v = args.get(name)
    if v is None or v == "":
        if required:
            raise invalid_param("Missing required field: %s" % name)
        return None
    if isinstance(v, str) and re.fullmatch(r"\s*-?\d{1,19}\s*", v):
        v = int(v)
    if not _is_int(v):
        raise invalid_param("Invalid value for %s: %s" % (name, json.dumps(v)))
    if minimum is not None and v < minimum:
        raise invalid_param("Invalid value for %s: %d (must be >= %d)" % (name, v, minimum))
    return v


def _bool_arg(args, name):
    v = args.get(name)
    if v is None or v == "":
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    raise invalid_param("Invalid value for %s: %s (expected true or false)" % (name, v))


def _encode_token(kind, offset):
    return base64.urlsafe_b64encode(("%s:%d" % (kind, offset)).encode()).decode().rstrip("=")


def _decode_token(kind, token):
    if not isinstance(token, str):
        raise invalid_param("Invalid page token")
    try:
        t = token.strip().replace("+", "-").replace("/", "_").rstrip("=")
        raw = base64.urlsafe_b64decode(t + "=" * (-len(t) % 4)).decode("ascii")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raw = ""
    m = _TOKEN_RX.match(raw)
    if not m or m.group(1) != kind:
        raise invalid_param("Invalid page token: %s" % token)
    return int(m.group(2))


def _dump(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def _is_v22(req):
    return req.path.startswith("/api/2.2/")


def _page_cap(state, real_max):
    return max(1, min(real_max, state.config["jobs_page_size_max"]))


def _user(req):
    return req.principal or "emulator-user@example.com"


def _job_not_found(job_id):
    # reference 1.4: the real service answers 400 INVALID_PARAMETER_VALUE for a missing job
    # (the SDKs override it to not-found; libdbx maps it to DBX_ENOTFOUND).
    return invalid_param("Job %d does not exist." % job_id)


def _run_not_found(run_id):
    return invalid_param("Run %d does not exist." % run_id)


def _get_job(state, job_id):
    j = state.jobs.get(job_id)
    if j is None:
        raise _job_not_found(job_id)
    return j


def _task_type(task):
    return [t for t in TASK_TYPES if task.get(t) is not None]


# ---- settings validation and normalisation ------------------------------------------------------
def _check_str_map(v, what):
    if v is None:
        return
    if not isinstance(v, dict) or not all(isinstance(k, str) for k in v):
        raise invalid_param("%s must be an object of strings" % what)


def _validate_tasks(tasks, job_clusters):
    if tasks is None:
        return
    if not isinstance(tasks, list):
        raise invalid_param("tasks must be an array")
    if len(tasks) > MAX_TASKS:
        raise invalid_param("A job can have at most %d tasks, got %d" % (MAX_TASKS, len(tasks)))
    keys = {}
    for i, t in enumerate(tasks):
        if not isinstance(t, dict):
            raise invalid_param("tasks[%d] must be an object" % i)
        k = t.get("task_key")
        if k is None or k == "":
            raise invalid_param("Task key must be specified for every task (tasks[%d])" % i)
        if not isinstance(k, str) or not _KEY_RX.match(k):
            raise invalid_param("Invalid task_key %s: 1..100 characters of letters, digits, "
                                "'_', '-' and '.'" % json.dumps(k))
        if k in keys:
            raise invalid_param("Task key %s is used by more than one task; task keys must be "
                                "unique within a job" % k)
        keys[k] = t
        types = _task_type(t)
        if not types:
            raise invalid_param("Task %s must specify exactly one task type (one of %s)"
                                % (k, ", ".join(TASK_TYPES[:10])))
        if len(types) > 1:
            raise invalid_param("Task %s specifies more than one task type: %s"
                                % (k, ", ".join(types)))
        if not isinstance(t[types[0]], dict):
            raise invalid_param("Task %s: %s must be an object" % (k, types[0]))
        _validate_task_type(k, types[0], t[types[0]])
        ri = t.get("run_if")
        if ri is not None and ri not in RUN_IFS:
            raise invalid_param("Task %s: invalid run_if %s (one of %s)"
                                % (k, json.dumps(ri), ", ".join(RUN_IFS)))
        to = t.get("timeout_seconds")
        if to is not None and (not _is_int(to) or to < 0):
            raise invalid_param("Task %s: timeout_seconds must be an integer >= 0" % k)
        mr = t.get("max_retries")
        if mr is not None and (not _is_int(mr) or mr < -1):
            raise invalid_param("Task %s: max_retries must be an integer >= -1" % k)
        for f in ("existing_cluster_id", "job_cluster_key", "environment_key", "description"):
            if t.get(f) is not None and not isinstance(t[f], str):
                raise invalid_param("Task %s: %s must be a string" % (k, f))
        for f, typ, what in (("new_cluster", dict, "an object"), ("libraries", list, "an array"),
                             ("disabled", bool, "true or false"),
                             ("retry_on_timeout", bool, "true or false")):
            if t.get(f) is not None and not isinstance(t[f], typ):
                raise invalid_param("Task %s: %s must be %s" % (k, f, what))
        mri = t.get("min_retry_interval_millis")
        if mri is not None and (not _is_int(mri) or mri < 0):
            raise invalid_param("Task %s: min_retry_interval_millis must be an integer >= 0" % k)
        computes = [c for c in ("existing_cluster_id", "new_cluster", "job_cluster_key")
                    if t.get(c) is not None]
        if len(computes) > 1:
            raise invalid_param("Task %s: only one of existing_cluster_id, new_cluster and "
                                "job_cluster_key may be set" % k)
        jck = t.get("job_cluster_key")
        if jck is not None and job_clusters is not _NESTED_OK:
            known = {c.get("job_cluster_key") for c in (job_clusters or [])
                     if isinstance(c, dict)}
            if jck not in known:
                raise invalid_param("Task %s refers to job_cluster_key %s, which is not defined "
                                    "in job_clusters" % (k, json.dumps(jck)))
    for k, t in keys.items():
        deps = t.get("depends_on")
        if deps is None:
            continue
        if not isinstance(deps, list):
            raise invalid_param("Task %s: depends_on must be an array" % k)
        seen = set()
        for d in deps:
            if not isinstance(d, dict) or not isinstance(d.get("task_key"), str):
                raise invalid_param("Task %s: every depends_on entry needs a task_key" % k)
            dk = d["task_key"]
            if dk not in keys:
                raise invalid_param("Task %s depends on %s, which is not a task of this job"
                                    % (k, dk))
            if dk == k:
                raise invalid_param("Task %s depends on itself" % k)
            if dk in seen:
                raise invalid_param("Task %s lists %s more than once in depends_on" % (k, dk))
            seen.add(dk)
            oc = d.get("outcome")
            if oc is not None and oc not in ("true", "false"):
                raise invalid_param("Task %s: depends_on outcome must be \"true\" or \"false\"" % k)
    # cycles: Kahn's algorithm (iterative)
    indeg = {k: len(t.get("depends_on") or []) for k, t in keys.items()}
    users = {k: [] for k in keys}
    for k, t in keys.items():
        for d in t.get("depends_on") or []:
            users[d["task_key"]].append(k)
    ready = [k for k, n in indeg.items() if n == 0]
    done = 0
    while ready:
        k = ready.pop()
        done += 1
        for u in users[k]:
            indeg[u] -= 1
            if indeg[u] == 0:
                ready.append(u)
    if done != len(keys):
        cyc = sorted(k for k, n in indeg.items() if n > 0)
        raise invalid_param("The task dependencies contain a cycle (tasks involved: %s)"
                            % ", ".join(cyc))


def _validate_task_type(k, ttype, body):
    need = {"notebook_task": "notebook_path", "spark_python_task": "python_file",
            "python_wheel_task": "package_name", "pipeline_task": "pipeline_id",
            "run_job_task": "job_id", "dbt_task": "commands", "sql_task": "warehouse_id"}
    f = need.get(ttype)
    if f and (body.get(f) is None or body.get(f) == "" or body.get(f) == []):
        raise invalid_param("Task %s: %s.%s is required" % (k, ttype, f))
    if ttype == "python_wheel_task" and not body.get("entry_point"):
        raise invalid_param("Task %s: python_wheel_task.entry_point is required" % k)
    if ttype == "condition_task":
        if body.get("op") not in CONDITION_OPS:
            raise invalid_param("Task %s: condition_task.op must be one of %s"
                                % (k, ", ".join(CONDITION_OPS)))
        for side in ("left", "right"):
            if not isinstance(body.get(side), str):
                raise invalid_param("Task %s: condition_task.%s is required" % (k, side))
    if ttype == "for_each_task":
        if not isinstance(body.get("inputs"), str) or not body["inputs"]:
            raise invalid_param("Task %s: for_each_task.inputs is required (a JSON array or a "
                                "parameter reference)" % k)
        nested = body.get("task")
        if not isinstance(nested, dict):
            raise invalid_param("Task %s: for_each_task.task is required" % k)
        if nested.get("for_each_task") is not None:
            raise invalid_param("Task %s: a for_each_task cannot contain another for_each_task"
                                % k)
        if nested.get("depends_on"):
            raise invalid_param("Task %s: the nested task of a for_each_task cannot have "
                                "depends_on" % k)
        _validate_tasks([nested], _NESTED_OK)
        c = body.get("concurrency")
        if c is not None and (not _is_int(c) or not 1 <= c <= MAX_FOREACH_CONCURRENCY):
            raise invalid_param("Task %s: for_each_task.concurrency must be between 1 and %d"
                                % (k, MAX_FOREACH_CONCURRENCY))
    if ttype == "notebook_task":
        _check_str_map(body.get("base_parameters"), "notebook_task.base_parameters")
    if ttype in ("spark_python_task", "spark_jar_task", "spark_submit_task"):
        p = body.get("parameters")
        if p is not None and (not isinstance(p, list) or
                              not all(isinstance(x, str) for x in p)):
            raise invalid_param("Task %s: %s.parameters must be an array of strings" % (k, ttype))


def _validate_settings(s):
    if not isinstance(s, dict):
        raise invalid_param("Job settings must be a JSON object")
    name = s.get("name")
    if name is not None:
        if not isinstance(name, str):
            raise invalid_param("name must be a string")
        if len(name.encode("utf-8")) > 4096:
            raise invalid_param("name is too long (max 4096 bytes)")
    jc = s.get("job_clusters")
    if jc is not None:
        if not isinstance(jc, list):
            raise invalid_param("job_clusters must be an array")
        seen = set()
        for c in jc:
            if not isinstance(c, dict) or not isinstance(c.get("job_cluster_key"), str) \
                    or not c["job_cluster_key"]:
                raise invalid_param("Every job cluster needs a job_cluster_key")
            if c["job_cluster_key"] in seen:
                raise invalid_param("job_cluster_key %s is defined more than once"
                                    % c["job_cluster_key"])
            seen.add(c["job_cluster_key"])
    _validate_tasks(s.get("tasks"), jc)
    mcr = s.get("max_concurrent_runs")
    if mcr is not None and (not _is_int(mcr) or not 0 <= mcr <= 1000):
        raise invalid_param("max_concurrent_runs must be an integer between 0 and 1000")
    to = s.get("timeout_seconds")
    if to is not None and (not _is_int(to) or to < 0):
        raise invalid_param("timeout_seconds must be an integer >= 0")
    params = s.get("parameters")
    if params is not None:
        if not isinstance(params, list):
            raise invalid_param("parameters must be an array")
        seen = set()
        for p in params:
            if not isinstance(p, dict) or not isinstance(p.get("name"), str) \
                    or not _PARAM_NAME_RX.match(p["name"]):
                raise invalid_param("Every job parameter needs a name of letters, digits, '_', "
                                    "'-' and '.'")
            if "default" not in p or not isinstance(p["default"], str):
                raise invalid_param("Job parameter %s needs a string default" % p["name"])
            if p["name"] in seen:
                raise invalid_param("Job parameter %s is defined more than once" % p["name"])
            seen.add(p["name"])
    tags = s.get("tags")
    if tags is not None:
        _check_str_map(tags, "tags")
        if len(tags) > 25:
            raise invalid_param("A job can have at most 25 tags")
    sch = s.get("schedule")
    if sch is not None:
        if not isinstance(sch, dict) or not sch.get("quartz_cron_expression") \
                or not sch.get("timezone_id"):
            raise invalid_param("schedule needs quartz_cron_expression and timezone_id")
    q = s.get("queue")
    if q is not None and (not isinstance(q, dict) or not isinstance(q.get("enabled"), bool)):
        raise invalid_param("queue must be {\"enabled\": true|false}")
    env = s.get("environments")
    if env is not None:
        if not isinstance(env, list) or not all(
                isinstance(e, dict) and isinstance(e.get("environment_key"), str) for e in env):
            raise invalid_param("Every environment needs an environment_key")


def _normalise(s):
    """The settings as the service stores and returns them (its defaults filled in)."""
    s = {k: copy.deepcopy(v) for k, v in s.items() if v is not None}  # null = absent
    for k in ("access_control_list", "job_id", "idempotency_token"):
        s.pop(k, None)
    s.setdefault("name", "Untitled")
    s.setdefault("email_notifications", {})
    s.setdefault("webhook_notifications", {})
    s.setdefault("timeout_seconds", 0)
    s.setdefault("max_concurrent_runs", 1)
    s["format"] = "MULTI_TASK"  # ignored on write; 2.1+ jobs are multi-task
    for t in s.get("tasks") or []:
        t.setdefault("run_if", "ALL_SUCCESS")
        t.setdefault("timeout_seconds", 0)
        t.setdefault("email_notifications", {})
        nb = t.get("notebook_task")
        if isinstance(nb, dict):
            nb.setdefault("source", "GIT" if s.get("git_source") else "WORKSPACE")
    return s


# ---- task outcome rules and executors -----------------------------------------------------------
def _match_texts(task, run):
    out = [task.get("task_key") or "", run.run_name or ""]
    for ttype, f in (("notebook_task", "notebook_path"), ("spark_python_task", "python_file"),
                     ("python_wheel_task", "package_name")):
        b = task.get(ttype)
        if isinstance(b, dict) and isinstance(b.get(f), str):
            out.append(b[f])
    return out


def _rule_for(state, task, run):
    texts = _match_texts(task, run)
    for rule in state.jobs_rules:
        if rule.get("times") == 0:
            continue
        m = rule.get("match") or ""
        if any(m in t for t in texts):
            if rule.get("times") is not None:
                rule["times"] -= 1
            return rule
    return None


def _default_outcome():
    return {"result_state": "SUCCESS", "state_message": "", "notebook_result": "", "logs": "",
            "error": None, "error_trace": None}


def _condition_outcome(body):
    left, right, op = body.get("left", ""), body.get("right", ""), body.get("op")
    if op in ("EQUAL_TO", "NOT_EQUAL"):
        eq = left == right
        return eq if op == "EQUAL_TO" else not eq
    try:
        a, b = float(left), float(right)
    except ValueError:
        return None
    return {"GREATER_THAN": a > b, "GREATER_THAN_OR_EQUAL": a >= b, "LESS_THAN": a < b,
            "LESS_THAN_OR_EQUAL": a <= b}[op]


class SimulatedExecution:
    """A task execution whose end is known in advance on the virtual clock."""

    def __init__(self, due_ms, outcome):
        self.due_ms = due_ms
        self.outcome = outcome

    def poll(self):
        return self.outcome

    def cancel(self, ts=None):
        pass


class ChildRunExecution:
    """A run_job_task: the job run it triggered. Ends when that run ends (see _finish_run)."""

    def __init__(self, state, child):
        self.due_ms = None
        self.state = state
        self.child = child
        self.outcome = None

    def poll(self):
        return self.outcome

    def cancel(self, ts=None):
        if ts is not None and self.child.lc not in TERMINAL:
            _cancel_run(self.state, self.child, ts, "The parent run was cancelled.")


class SimulatedExecutor:
    """Today's executor: the outcome comes from the task-outcome rules (default SUCCESS)."""

    def start(self, state, run, task, ts):
        spec = task.spec
        out = _default_outcome()
        running = state.config["run_running_ms"]
        rule = _rule_for(state, spec, run)
        if spec.get("condition_task") is not None:
            running = 0
            val = _condition_outcome(spec["condition_task"])
            if val is None:
                out.update(result_state="FAILED", state_message="The condition operands of a "
                           "numeric comparison are not numbers", error="Invalid condition")
            else:
                task.cond_outcome = "true" if val else "false"
        if rule is not None:
            for k in ("result_state", "state_message", "notebook_result", "logs", "error",
                      "error_trace"):
                if rule.get(k) is not None:
                    out[k] = rule[k]
            if rule.get("running_ms") is not None:
                running = rule["running_ms"]
        if out["result_state"] == "FAILED":
            if not out["state_message"]:
                out["state_message"] = _DEFAULT_FAIL_MESSAGE
            if out["error"] is None:
                out["error"] = "Exception: task %s failed" % task.key
            if out["error_trace"] is None:
                out["error_trace"] = "Traceback (most recent call last):\n  ...\n%s" % out["error"]
        return SimulatedExecution(ts + int(running), out)


_LIVE = set()  # running ProcessExecutions, killed when the emulator exits


@atexit.register
def _kill_live():
    for ex in list(_LIVE):
        ex.cancel()


class ProcessExecution:
    """A local process; its end is not known in advance (due_ms None: polled)."""

    def __init__(self, proc, log_path, temp_script=None, temp_dir=None):
        _LIVE.add(self)
        self.temp_dir = temp_dir  # the run's installed libraries
        self.due_ms = None
        self.proc = proc
        self.log_path = log_path
        self.temp_script = temp_script
        self.outcome = None

    def _cleanup(self):
        _LIVE.discard(self)
        for p in (self.log_path, self.temp_script):
            if p:
                try:
                    os.unlink(p)
                except OSError:
                    pass
        if self.temp_dir:
            shutil.rmtree(self.temp_dir, ignore_errors=True)
            self.temp_dir = None

    def poll(self):
        if self.outcome is not None:
            return self.outcome
        rc = self.proc.poll()
        if rc is None:
            return None
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - OUTPUT_CAP))
                data = f.read()
        except OSError:
            data, size = b"", 0
        finally:
            self._cleanup()
        text = data.decode("utf-8", "replace")
        out = _default_outcome()
        out["logs"] = text
        out["logs_truncated"] = size > OUTPUT_CAP
        if rc != 0:
            out["result_state"] = "FAILED"
            out["state_message"] = _DEFAULT_FAIL_MESSAGE
            out["error"] = "Process exited with code %d" % rc
            out["error_trace"] = text[-4096:]
        self.outcome = out
        return out

    def cancel(self, ts=None):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.outcome is None:
            self._cleanup()


def workspace_file_bytes(state, path):
    """The content of a FILE in the workspace emulator's tree (apis/workspace.py, state.ws), or
    None. ``/Workspace/Users/x.py`` and ``/Users/x.py`` name the same file."""
    ws = getattr(state, "ws", None)
    if not isinstance(ws, dict):
        return None
    if path.startswith("/Workspace/"):
        path = path[len("/Workspace"):]
    node = ws.get(path)
    if node is None or getattr(node, "kind", None) != "FILE":
        return None
    return bytes(node.content)


def resolve_python_file(state, path, materialise=False):
    """(local file to execute for python_file, is_temp) or None. A workspace file (see
    workspace_file_bytes; copied to a temp file when ``materialise``) or, failing that, an
    existing local absolute path (also with a ``file:`` prefix)."""
    if not isinstance(path, str):
        return None
    p = path[5:] if path.startswith("file:") else path
    if not path.startswith("file:"):
        data = workspace_file_bytes(state, p)
        if data is not None:
            if not materialise:
                return p, False
            fd, tmp = tempfile.mkstemp(prefix="dbx-emu-job-", suffix=".py")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            return tmp, True
    if os.path.isabs(p) and os.path.isfile(p):
        return p, False
    return None


MAX_LIBRARY_BYTES = 256 << 20  # one whl library; larger ones fail the install
MAX_LIBRARY_FILES = 10000       # members of one wheel


def library_file_bytes(state, path):
    """The bytes of a library file a task names: a Unity Catalog volume file (/Volumes/..., the
    Files API's store) or a workspace file (/Workspace/..., /Users/..., /Shared/...), or None."""
    if not isinstance(path, str):
        return None
    if path.startswith("dbfs:/Volumes/"):
        path = path[len("dbfs:"):]
    if path.startswith("/Volumes/"):
        data = files.read_file(state, path, MAX_LIBRARY_BYTES + 1)
        return b"" if data is not None and len(data) > MAX_LIBRARY_BYTES else data  # b"": not a wheel
    return workspace_file_bytes(state, path)


def install_libraries(state, libraries):
    """Installs a task's whl libraries for one run: each wheel (a zip) is unpacked into one temp
    directory the task's PYTHONPATH starts with, as pip installs them on a cluster. Returns
    (directory or None, error message or None). Other library kinds (pypi, maven, jar,
    requirements) are accepted and not installed: the emulator has no package index.
    (unclear: the real state_message of a failed library install; the emulator's wording is its
    own, with the library path.)"""
    wheels = [lib["whl"] for lib in (libraries or []) if isinstance(lib, dict) and isinstance(lib.get("whl"), str)]
    if not wheels:
        return None, None
    target = tempfile.mkdtemp(prefix="dbx-emu-libs-")
    for path in wheels:
        data = library_file_bytes(state, path)
        if data is None:
            shutil.rmtree(target, ignore_errors=True)
            return None, "Library installation failed: %s does not exist" % path
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                members = z.infolist()
                if len(members) > MAX_LIBRARY_FILES or sum(m.file_size for m in members) > 4 * MAX_LIBRARY_BYTES:
                    raise zipfile.BadZipFile("too large")
                if not any(m.filename.endswith(".dist-info/WHEEL") for m in members):
                    raise zipfile.BadZipFile("no .dist-info/WHEEL")
                root = os.path.realpath(target)
                for m in members:
                    dest = os.path.realpath(os.path.join(root, m.filename))
                    if not dest.startswith(root + os.sep):  # ../ or absolute member names
                        raise zipfile.BadZipFile("member outside the wheel: %r" % m.filename)
                    if m.is_dir():
                        os.makedirs(dest, exist_ok=True)
                        continue
                    os.makedirs(os.path.dirname(dest), exist_ok=True)
                    with z.open(m) as src, open(dest, "wb") as out:
                        shutil.copyfileobj(src, out)
        except (zipfile.BadZipFile, OSError, ValueError) as e:
            shutil.rmtree(target, ignore_errors=True)
            return None, "Library installation failed: %s is not a valid wheel (%s)" % (path, e)
    return target, None


def task_environment(state, run, task=None, libdir=None):
    """The environment of a task process: the emulator's own (PATH, PYTHONPATH, LIBDBX_PATH, ...)
    without any Databricks or Azure credentials or config file of the caller, plus
    DATABRICKS_HOST (the URL the run was submitted to) and DATABRICKS_TOKEN (a token this
    emulator accepts), as a task on a workspace finds its workspace through its notebook
    context: the task's code reaches the emulator through the REST API like any client. A run
    submitted over HTTPS gets the https URL; the task then needs the emulator's CA
    (DATABRICKS_CA_BUNDLE is kept when the emulator's environment has it)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABRICKS_", "ARM_", "AZURE_")) or k == "DATABRICKS_CA_BUNDLE"}
    env["DATABRICKS_HOST"] = run.base_url
    env["DATABRICKS_TOKEN"] = sorted(state.pats)[0] if state.pats else ""
    env["DATABRICKS_CONFIG_FILE"] = os.devnull
    env["DATABRICKS_RUNTIME_VERSION"] = "15.4"  # what a task on a cluster sees
    if state.config.get("jobs_task_isolated_env") is True:
        env.pop("PYTHONPATH", None)
        env.pop("LIBDBX_PATH", None)
    if libdir:
        env["PYTHONPATH"] = libdir + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    # the task's new cluster's spark_env_vars, as a cluster's driver processes see them
    # ({{secrets/scope/key}} references are passed as written: the emulator has no secrets)
    cluster = (task.spec.get("new_cluster") if task is not None else None) or {}
    for k, v in (cluster.get("spark_env_vars") or {}).items():
        if isinstance(k, str) and isinstance(v, str):
            env[k] = v
    return env


class ProcessExecutor:
    """Runs a spark_python_task's python_file with its parameters as a local process; stdout
    and stderr become the task's logs, exit code 0 -> SUCCESS, else FAILED."""

    def start(self, state, run, task, ts):
        body = task.spec.get("spark_python_task") or {}
        path, is_temp = resolve_python_file(state, body.get("python_file"), materialise=True)
        params = list(body.get("parameters") or [])
        if run.overriding.get("python_params") is not None:
            params = list(run.overriding["python_params"])
        params = [x if isinstance(x, str) else json.dumps(x) for x in params]
        libdir, lib_error = install_libraries(state, task.spec.get("libraries"))
        if lib_error:  # the run fails before the task starts, as on a cluster
            if is_temp:
                try:
                    os.unlink(path)
                except OSError:
                    pass
            out = _default_outcome()
            out.update(result_state="FAILED", state_message=lib_error, error=lib_error, error_trace="")
            return SimulatedExecution(ts, out)
        fd, log_path = tempfile.mkstemp(prefix="dbx-emu-job-", suffix=".log")
        try:
            with os.fdopen(fd, "wb") as logf:
                proc = subprocess.Popen([sys.executable, path] + params,
                                        stdin=subprocess.DEVNULL, stdout=logf,
                                        stderr=subprocess.STDOUT, cwd=os.path.dirname(path),
                                        env=task_environment(state, run, task, libdir))
        except (OSError, ValueError) as e:  # could not start: the task fails at once
            for p in (log_path, path if is_temp else None):
                if p:
                    try:
                        os.unlink(p)
                    except OSError:
                        pass
            if libdir:
                shutil.rmtree(libdir, ignore_errors=True)
            out = _default_outcome()
            out.update(result_state="FAILED", state_message="Could not start the task process",
                       error="%s: %s" % (type(e).__name__, e), error_trace="")
            return SimulatedExecution(ts, out)
        return ProcessExecution(proc, log_path, path if is_temp else None, libdir)


_SIMULATED = SimulatedExecutor()
_PROCESS = ProcessExecutor()


def executor_for(state, run, task):
    """The one seam through which every task execution starts."""
    if state.config.get("jobs_execute_python") is True:
        body = task.spec.get("spark_python_task")
        if isinstance(body, dict) and resolve_python_file(state, body.get("python_file")):
            return _PROCESS
    return _SIMULATED


# ---- the state machine --------------------------------------------------------------------------
def _events(r):
    if r.due is not None:
        yield r.due, r.kind, None
    if r.deadline is not None:
        yield r.deadline, "run_timeout", None
    for t in r.tasks:
        for it in t.iterations:  # before their for-each task: they settle first at equal times
            if it.due is not None:
                yield it.due, it.kind, it
            if it.deadline is not None:
                yield it.deadline, "task_timeout", it
        if t.due is not None:
            yield t.due, t.kind, t
        if t.deadline is not None:
            yield t.deadline, "task_timeout", t


def advance(state, now):
    """Apply every transition due by ``now``, each at its own time, in time order."""
    while True:
        best = None
        for r in state.jobs_active:
            for ts, kind, t in _events(r):
                if ts <= now and (best is None or ts < best[0]):
                    best = (ts, kind, t, r)
        if best is None:
            break
        ts, kind, t, r = best
        _apply(state, r, t, kind, ts)
    # executions with no known end (local processes): poll them now
    for r in list(state.jobs_active):
        for t in r.tasks:
            if t.lc == "RUNNING" and t.due is None and t.execution is not None:
                out = t.execution.poll()
                if out is not None:
                    _finish_running(state, r, t, now, out)


def _apply(state, r, t, kind, ts):
    if kind == "task_pending_done":
        t.lc = "RUNNING"
        t.t_run = ts
        t.due = None
        t.cluster_instance = _cluster_instance(r, t)
        if r.lc == "PENDING":
            r.lc = "RUNNING"
        t.kind = "task_run_done"
        if t.spec.get("run_job_task") is not None:
            _start_child_run(state, r, t, ts)
        elif t.spec.get("for_each_task") is not None:
            _start_for_each(state, r, t, ts)
        else:
            t.execution = executor_for(state, r, t).start(state, r, t, ts)
            t.due = t.execution.due_ms
    elif kind == "task_run_done":
        t.due = None
        out = t.execution.poll()
        _finish_running(state, r, t, ts, out)
    elif kind == "task_term_done":
        t.due = None
        t.lc = "TERMINATED"
        t.result = t.pending_result
        t.msg = t.pending_msg
        t.t_end = ts
        if t.fe_parent is not None:
            _for_each_step(state, r, t.fe_parent, ts)
        else:
            _maybe_retry(state, r, t, ts)
            _resolve(state, r, ts)
    elif kind == "task_retry_start":
        _start_task(state, r, t, ts)
    elif kind == "task_timeout":
        t.deadline = None
        if t.lc in ("PENDING", "RUNNING"):
            secs = t.spec.get("timeout_seconds") or 0
            _stop_task(state, t, ts, "TIMEDOUT", "Task timed out after %d seconds." % secs)
            if t.fe_parent is None:
                _progress(state, r, ts)
    elif kind == "run_timeout":
        r.deadline = None
        secs = r.settings.get("timeout_seconds") or 0
        r.stop_reason = "timeout"
        r.user_cancel = True
        _stop_all(state, r, ts, "TIMEDOUT", "Run timed out after %d seconds." % secs)
    elif kind == "run_term_done":
        r.due = None
        _finish_run(state, r, ts)
    else:  # pragma: no cover
        raise AssertionError(kind)


def _resolve_refs(text, r):
    """{{job.parameters.<name>}} -> the run's value (other references stay as they are)."""
    for p in r.job_parameters:
        text = text.replace("{{job.parameters.%s}}" % p["name"], p["value"])
    return text


def _substitute(obj, value):
    """The nested task spec of one iteration: {{input}} replaced in every string."""
    if isinstance(obj, str):
        return obj.replace("{{input}}", value)
    if isinstance(obj, list):
        return [_substitute(x, value) for x in obj]
    if isinstance(obj, dict):
        return {k: _substitute(v, value) for k, v in obj.items()}
    return obj


def _start_for_each(state, r, t, ts):
    """for_each_task: run the nested task once per input, ``concurrency`` at a time; the task
    succeeds when every iteration succeeded."""
    body = t.spec["for_each_task"]
    try:
        inputs = json.loads(_resolve_refs(body["inputs"], r))
    except ValueError:
        inputs = None
    if not isinstance(inputs, list) or len(inputs) > MAX_FOREACH_INPUTS:
        t.execution = SimulatedExecution(ts, _failed_outcome(
            "for_each_task.inputs must be a JSON array of at most %d items"
            % MAX_FOREACH_INPUTS))
        t.due = ts
        return
    t.fe_inputs = inputs
    t.due = None
    _for_each_step(state, r, t, ts)


def _for_each_step(state, r, t, ts):
    if t.lc != "RUNNING" or t.fe_inputs is None:
        return
    body = t.spec["for_each_task"]
    conc = body.get("concurrency") or 1
    active = sum(1 for it in t.iterations if it.lc not in TERMINAL)
    while active < conc and len(t.iterations) < len(t.fe_inputs):
        i = len(t.iterations)
        v = t.fe_inputs[i]
        spec = _substitute(copy.deepcopy(body["task"]), v if isinstance(v, str) else
                           json.dumps(v, separators=(",", ":")))
        it = TaskRun(_new_run_id(state), spec, r)
        it.fe_parent = t
        it.fe_index = i
        t.iterations.append(it)
        state.task_runs[it.run_id] = it
        _start_task(state, r, it, ts)
        active += 1
    if active == 0 and len(t.iterations) == len(t.fe_inputs):
        failed = [it for it in t.iterations if it.result != "SUCCESS"]
        if failed:
            out = _failed_outcome("%d of %d iterations failed." % (len(failed),
                                                                  len(t.iterations)))
        else:
            out = _default_outcome()
        t.execution = SimulatedExecution(ts, out)
        _finish_running(state, r, t, ts, out)


def _for_each_stats(t):
    its = t.iterations
    done = [it for it in its if it.lc in TERMINAL]
    ok = sum(1 for it in done if it.result == "SUCCESS")
    return {"task_run_stats": {
        "total_iterations": len(t.fe_inputs) if t.fe_inputs is not None else 0,
        "scheduled_iterations": len(its),
        "active_iterations": len(its) - len(done),
        "completed_iterations": len(done),
        "succeeded_iterations": ok,
        "failed_iterations": len(done) - ok}}


def _failed_outcome(msg):
    out = _default_outcome()
    out.update(result_state="FAILED", state_message=msg, error=msg, error_trace="")
    return out


def _start_child_run(state, r, t, ts):
    """run_job_task: trigger a run of the job (trigger RUN_JOB_TASK, the job's own concurrency
    and queue settings); the task ends when that run ends."""
    body = t.spec["run_job_task"]
    depth, x = 0, r
    while x.parent_task is not None:
        depth += 1
        x = x.parent_task.parent
    try:
        if depth >= MAX_RUN_JOB_DEPTH:
            raise invalid_param("Run job tasks are nested more than %d levels deep."
                                % MAX_RUN_JOB_DEPTH)
        jid = _int_arg(body, "job_id", required=True)
        job = _get_job(state, jid)
        settings = copy.deepcopy(job["settings"])
        if not settings.get("tasks"):
            raise invalid_param("Job %d has no tasks to run." % jid)
        over, resolved = _param_overrides(body, settings)
    except ApiError as e:
        t.execution = SimulatedExecution(ts, _failed_outcome(e.message))
        t.due = ts
        return
    child = _new_run(state, r.creator, r.base_url, jid, "JOB_RUN", settings, ts)
    child.trigger = "RUN_JOB_TASK"
    child.parent_task = t
    child.overriding = over
    child.job_parameters = resolved
    t.child_run_id = child.run_id
    t.execution = ChildRunExecution(state, child)
    t.due = None
    _launch(state, child, ts, (settings.get("queue") or {}).get("enabled", False),
            settings.get("max_concurrent_runs", 1))
    if child.lc in TERMINAL:  # skipped at once
        _child_done(state, child, ts)


def _child_done(state, child, ts):
    t = child.parent_task
    if t is None or t.lc != "RUNNING" or t.child_run_id != child.run_id:
        return
    if child.result in ("SUCCESS", "SUCCESS_WITH_FAILURES"):
        out = _default_outcome()
    elif child.result == "CANCELED":
        out = _default_outcome()
        out.update(result_state="CANCELED", state_message="The triggered run %d was cancelled."
                   % child.run_id)
    else:
        out = _failed_outcome("The triggered run %d ended %s: %s" % (
            child.run_id, child.result, child.msg or ""))
    t.execution.outcome = out
    _finish_running(state, t.parent, t, ts, out)


def _will_retry(r, t, result):
    """Whether an attempt ending with ``result`` is followed by another attempt."""
    spec = t.spec
    if r.stop_reason is not None or t.fe_parent is not None:  # no retries of iterations here
        return False
    if not (result == "FAILED" or result == "TIMEDOUT" and spec.get("retry_on_timeout")):
        return False
    mr = spec.get("max_retries") or 0
    limit = MAX_RETRIES_FOREVER if mr == -1 else mr
    return _is_int(limit) and t.attempt < limit


def _maybe_retry(state, r, t, ts):
    """A failed attempt with retries left: a new task run (attempt_number + 1) replaces it in
    the run's tasks, WAITING_FOR_RETRY until min_retry_interval_millis after the failed
    attempt's start. max_retries -1 ("forever") is capped at MAX_RETRIES_FOREVER here."""
    spec = t.spec
    if not _will_retry(r, t, t.result):
        return
    nt = TaskRun(_new_run_id(state), copy.deepcopy(spec), r)
    nt.attempt = t.attempt + 1
    nt.original_attempt = t.original_attempt or t.run_id
    nt.lc = "WAITING_FOR_RETRY"
    nt.msg = "Waiting for retry"
    interval = spec.get("min_retry_interval_millis") or 0
    nt.due = max(ts, t.t_start + int(interval)) if _is_int(interval) else ts
    nt.kind = "task_retry_start"
    r.tasks[r.tasks.index(t)] = nt
    r.all_tasks.append(nt)
    state.task_runs[nt.run_id] = nt


def _cluster_instance(r, t):
    spec = t.spec
    if spec.get("existing_cluster_id"):
        cid = spec["existing_cluster_id"]
    elif spec.get("new_cluster") is not None or spec.get("job_cluster_key"):
        cid = "%s-%06d-%s" % ("0101", r.run_id % 1000000,
                              "".join(random.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=8)))
        if spec.get("job_cluster_key"):  # one cluster per job cluster per run
            cache = r.__dict__.setdefault("_job_clusters", {})
            cid = cache.setdefault(spec["job_cluster_key"], cid)
    else:
        return None  # serverless: no cluster_instance
    return {"cluster_id": cid, "spark_context_id": str(random.getrandbits(62))}


def _finish_running(state, r, t, ts, out):
    t.outcome = out
    t.execution_done = True
    t.pending_result = out["result_state"]
    t.pending_msg = out.get("state_message") or ""
    if t.pending_result in ("CANCELED", "TIMEDOUT"):
        t.user_cancel = True
    t.lc = "TERMINATING"
    t.t_term = ts
    t.deadline = None
    t.due = ts + int(state.config["run_terminating_ms"])
    t.kind = "task_term_done"
    _progress(state, r, ts)


def _stop_task(state, t, ts, result, msg):
    """Stop an active task: PENDING/RUNNING -> TERMINATING (then TERMINATED with result);
    BLOCKED/QUEUED -> TERMINATED at once."""
    if t.lc in ("PENDING", "RUNNING"):
        if t.execution is not None:
            t.execution.cancel(ts)
        for it in t.iterations:
            _stop_task(state, it, ts, result, msg)
        if t.lc == "PENDING":
            t.t_run = ts
        t.lc = "TERMINATING"
        t.t_term = ts
        t.pending_result = result
        t.pending_msg = msg
        t.user_cancel = True
        t.deadline = None
        t.due = ts + int(state.config["run_terminating_ms"])
        t.kind = "task_term_done"
    elif t.lc in ("BLOCKED", "QUEUED", "WAITING_FOR_RETRY"):
        t.lc = "TERMINATED"
        t.result = result
        t.msg = msg
        t.user_cancel = True
        t.due = t.deadline = None
        t.t_end = ts


def _stop_all(state, r, ts, result, msg):
    for t in r.tasks:
        _stop_task(state, t, ts, result, msg)
    r.msg = msg
    if r.lc == "QUEUED":
        r.queue_duration = ts - (r.queued_at or ts)
        r.lc = "TERMINATING"
        _finish_run(state, r, ts)
        return
    _progress(state, r, ts, force_terminating=True)


def _deps_done(by_key, t):
    for d in t.spec.get("depends_on") or []:
        u = by_key.get(d["task_key"])
        if u is not None and u.lc not in TERMINAL:
            return False
    return True


def _run_if(by_key, t):
    """(True, None) to start the task, else (False, result_state, message)."""
    ok = failed = canceled = 0
    deps = t.spec.get("depends_on") or []
    for d in deps:
        u = by_key[d["task_key"]]
        res = u.result
        if d.get("outcome") is not None and u.spec.get("condition_task") is not None:
            # a condition task's branch: met only on the given outcome
            if res == "SUCCESS" and u.cond_outcome == d["outcome"]:
                ok += 1
            elif res in _CANCELED:
                canceled += 1
            elif res in _FAILED:
                failed += 1
            else:
                return False, "EXCLUDED", "The condition of an upstream task was not met."
            continue
        if res in _FAILED:
            failed += 1
        elif res in _CANCELED:
            canceled += 1
        else:  # SUCCESS, SUCCESS_WITH_FAILURES, EXCLUDED, DISABLED
            ok += 1
    n = len(deps)
    rule = t.spec.get("run_if") or "ALL_SUCCESS"
    up_fail = (False, "UPSTREAM_FAILED", "Upstream task(s) failed.")
    up_cancel = (False, "UPSTREAM_CANCELED", "Upstream task(s) were canceled.")
    excluded = (False, "EXCLUDED", "The run_if condition %s was not met." % rule)
    if rule == "ALL_SUCCESS":
        if ok == n:
            return True, None, None
        return up_fail if failed else up_cancel
    if rule == "AT_LEAST_ONE_SUCCESS":
        if ok or n == 0:
            return True, None, None
        return up_fail if failed else up_cancel
    if rule == "NONE_FAILED":
        if not failed:
            return (True, None, None) if ok or not canceled else up_cancel
        return up_fail
    if rule == "ALL_DONE":
        return True, None, None
    if rule == "AT_LEAST_ONE_FAILED":
        return (True, None, None) if failed else excluded
    if rule == "ALL_FAILED":
        return (True, None, None) if failed == n and n else excluded
    return True, None, None


def _start_task(state, r, t, ts):
    t.lc = "PENDING"
    t.t_start = ts
    pending = (0 if t.spec.get("condition_task") is not None
               or t.spec.get("for_each_task") is not None else state.config["run_pending_ms"])
    t.due = ts + int(pending)
    t.kind = "task_pending_done"
    to = t.spec.get("timeout_seconds") or 0
    if to > 0:
        t.deadline = ts + to * 1000


def _resolve(state, r, ts):
    """Start (or settle) every blocked task whose upstream tasks are all terminated."""
    changed = True
    while changed:
        changed = False
        by_key = {x.key: x for x in r.tasks}
        for t in r.tasks:
            if t.lc != "BLOCKED" or not _deps_done(by_key, t):
                continue
            changed = True
            if t.spec.get("disabled"):
                t.lc, t.result, t.msg, t.t_start, t.t_end = (
                    "TERMINATED", "DISABLED", "The task is disabled.", ts, ts)
                continue
            go, res, msg = _run_if(by_key, t)
            if go:
                _start_task(state, r, t, ts)
            else:
                t.lc, t.result, t.msg, t.t_start, t.t_end = "TERMINATED", res, msg, ts, ts
    _progress(state, r, ts)


def _progress(state, r, ts, force_terminating=False):
    if r.lc in TERMINAL or r.lc == "QUEUED":
        return
    lcs = [t.lc for t in r.tasks]
    if all(x in TERMINAL for x in lcs):
        if r.lc == "TERMINATING" and r.due is None and not force_terminating:
            _finish_run(state, r, ts)
        elif r.due is None:
            # nothing was terminating (every task settled at once): the run still cleans up
            r.lc = "TERMINATING"
            r.due = ts + int(state.config["run_terminating_ms"])
            r.kind = "run_term_done"
    elif all(t.lc in TERMINAL or t.lc == "TERMINATING"
             and not _will_retry(r, t, t.pending_result) for t in r.tasks):
        r.lc = "TERMINATING"
    elif force_terminating:
        r.lc = "TERMINATING"


def _job_result(r):
    if r.stop_reason == "cancel":
        return "CANCELED", r.msg or "Run was cancelled by a user."
    if r.stop_reason == "timeout":
        return "TIMEDOUT", r.msg
    upstream = {d["task_key"] for t in r.tasks for d in (t.spec.get("depends_on") or [])}
    leaves = [t for t in r.tasks if t.key not in upstream]
    verbs = {"FAILED": "failed", "TIMEDOUT": "timed out", "CANCELED": "was canceled"}
    for res_set, job_res in ((("FAILED", "UPSTREAM_FAILED", "MAXIMUM_CONCURRENT_RUNS_REACHED"),
                              "FAILED"),
                             (("TIMEDOUT",), "TIMEDOUT"),
                             (_CANCELED, "CANCELED")):
        bad = [t for t in leaves if t.result in res_set]
        if bad:
            first = [t for t in r.tasks if t.result in verbs]
            culprit = (first or bad)[0]
            msg = "Task %s %s with message: %s." % (
                culprit.key, verbs.get(culprit.result, "failed"),
                (culprit.msg or _DEFAULT_FAIL_MESSAGE).rstrip("."))
            if any(t.result in ("UPSTREAM_FAILED", "UPSTREAM_CANCELED") for t in r.tasks):
                msg += " This caused all downstream tasks to get skipped."
            return job_res, msg
    if any(t.result in ("FAILED", "TIMEDOUT", "CANCELED") for t in r.tasks):
        return "SUCCESS_WITH_FAILURES", "Some tasks failed; all leaf tasks succeeded."
    return "SUCCESS", ""


def _finish_run(state, r, ts):
    for t in r.tasks:  # defensive: no iteration outlives its run
        for it in t.iterations:
            if it.lc not in TERMINAL:
                it.lc, it.due, it.deadline, it.t_end = "TERMINATED", None, None, ts
                it.result = it.pending_result or "CANCELED"
                it.msg = it.pending_msg
    r.lc = "TERMINATED"
    r.end_time = ts
    r.due = r.deadline = None
    r.result, r.msg = _job_result(r)
    if r.repairs:
        r.repairs[-1]["end_time"] = ts
    if r in state.jobs_active:
        state.jobs_active.remove(r)
    if r.parent_task is not None:
        _child_done(state, r, ts)
    if r.job_id is not None and r.run_type == "JOB_RUN":
        _start_queued(state, r.job_id, ts)


def _active_count(state, job_id):
    return sum(1 for x in state.jobs_active
               if x.job_id == job_id and x.lc != "QUEUED" and x.run_type == "JOB_RUN")


def _start_queued(state, job_id, ts):
    job = state.jobs.get(job_id)
    queued = [x for x in state.jobs_active if x.job_id == job_id and x.lc == "QUEUED"]
    for q in queued:
        limit = (job["settings"] if job else q.settings).get("max_concurrent_runs", 1)
        if _active_count(state, job_id) >= limit:
            break
        q.queue_duration = ts - q.queued_at
        q.queue_reason = q.queue_code = None
        _begin(state, q, ts)


def _begin(state, r, ts):
    """The run leaves the queue (or starts at once): PENDING, tasks start."""
    r.lc = "PENDING"
    for t in r.tasks:
        if t.lc == "QUEUED":
            t.lc = "BLOCKED"
    to = r.settings.get("timeout_seconds") or 0
    if to > 0:
        r.deadline = ts + to * 1000
    if r.only is not None:
        for t in r.tasks:
            if t.key not in r.only and t.lc == "BLOCKED":
                t.lc, t.result, t.msg, t.t_start, t.t_end = (
                    "TERMINATED", "EXCLUDED", "The task was not selected to run.", ts, ts)
    _resolve(state, r, ts)


def _new_run(state, creator, base_url, job_id, run_type, settings, ts):
    run_id = _new_run_id(state)
    r = JobRun(run_id, job_id, run_type, settings, creator, base_url, ts)
    for spec in settings.get("tasks") or []:
        t = TaskRun(_new_run_id(state), copy.deepcopy(spec), r)
        r.tasks.append(t)
        r.all_tasks.append(t)
        state.task_runs[t.run_id] = t
    r.original_task_run_ids = [t.run_id for t in r.tasks]
    state.job_runs[run_id] = r
    return r


def _launch(state, r, ts, queue_enabled, limit):
    """Admission: start, queue or skip the new run (max_concurrent_runs)."""
    if r.run_type == "JOB_RUN" and _active_count(state, r.job_id) >= limit:
        queued = sum(1 for x in state.jobs_active if x.job_id == r.job_id and x.lc == "QUEUED")
        if queue_enabled and limit > 0 and queued < MAX_QUEUED_RUNS:
            r.lc = "QUEUED"
            r.queued_at = ts
            r.queue_code = "MAX_CONCURRENT_RUNS_REACHED"
            r.queue_reason = "Queued due to reaching maximum concurrent runs of %d." % limit
            for t in r.tasks:
                t.lc = "QUEUED"
            state.jobs_active.append(r)
            return
        if queue_enabled and limit > 0:
            msg = "Skipping this run because the queue of job %d is full (%d runs)." % (
                r.job_id, MAX_QUEUED_RUNS)
            code = "MAX_JOB_QUEUE_SIZE_EXCEEDED"
        else:
            msg = ("Skipping this run because the limit of %d maximum concurrent runs has been "
                   "reached." % limit)
            code = "MAX_CONCURRENT_RUNS_EXCEEDED"
        r.lc = "SKIPPED"
        r.result = "MAXIMUM_CONCURRENT_RUNS_REACHED"
        r.msg = msg
        r.skip_code = code
        r.end_time = ts
        for t in r.tasks:
            t.lc, t.result, t.msg, t.t_end = "SKIPPED", "MAXIMUM_CONCURRENT_RUNS_REACHED", msg, ts
        return
    state.jobs_active.append(r)
    _begin(state, r, ts)


# ---- views --------------------------------------------------------------------------------------
def _state_obj(lc, result, msg, user_cancel, queue_reason=None):
    s = {"life_cycle_state": lc, "state_message": msg or "",
         "user_cancelled_or_timedout": bool(user_cancel)}
    if result is not None and lc in TERMINAL:
        s["result_state"] = result
    if queue_reason:
        s["queue_reason"] = queue_reason
    return s


def _status_obj(lc, result, msg, queue_code=None, queue_reason=None, code_override=None):
    st = {"state": _V2_STATE.get(lc, lc)}
    if lc in TERMINAL and result is not None:
        code, typ = _TERMINATION.get(result, ("INTERNAL_ERROR", "INTERNAL_ERROR"))
        if code_override:
            code = code_override
        st["termination_details"] = {"code": code, "type": typ, "message": msg or ""}
    if lc == "QUEUED" and queue_code:
        st["queue_details"] = {"code": queue_code, "message": queue_reason or ""}
    return st


def _page_url(r, run_id, state):
    ws = state.config.get("workspace_id")
    q = "?o=%s" % ws if ws else ""
    return "%s/%s#job/%s/run/%d" % (r.base_url, q, r.job_id if r.job_id is not None else "",
                                    run_id)


def _task_view(state, t):
    r = t.parent
    d = copy.deepcopy(t.spec)
    if t.cond_outcome is not None and isinstance(d.get("condition_task"), dict):
        d["condition_task"]["outcome"] = t.cond_outcome
    if t.fe_inputs is not None and isinstance(d.get("for_each_task"), dict):
        d["for_each_task"]["stats"] = _for_each_stats(t)
    d["run_id"] = t.run_id
    d["state"] = _state_obj(t.lc, t.result, t.msg, t.user_cancel)
    d["status"] = _status_obj(t.lc, t.result, t.msg)
    d["attempt_number"] = t.attempt
    d["start_time"] = t.t_start
    d["end_time"] = t.t_end if t.lc in TERMINAL else 0
    setup = (t.t_run - t.t_start) if t.t_run else 0
    execution = (t.t_term - t.t_run) if t.t_term and t.t_run else 0
    cleanup = (t.t_end - t.t_term) if t.t_end and t.t_term else 0
    d["setup_duration"] = max(0, setup)
    d["execution_duration"] = max(0, execution)
    d["cleanup_duration"] = max(0, cleanup)
    d["run_duration"] = (t.t_end - t.t_start) if t.lc in TERMINAL and t.t_start else 0
    d["queue_duration"] = r.queue_duration
    if t.cluster_instance is not None:
        d["cluster_instance"] = dict(t.cluster_instance)
    d["run_page_url"] = _page_url(r, t.run_id, state)
    return d


def _slice(arr, off, size):
    return arr[off:off + size]


def _run_view(state, r, expand_tasks=True, offset=None, size=None, include_history=False,
              list_view=False):
    d = {
        "job_id": r.job_id,
        "run_id": r.run_id,
        # SDK docs: for job runs job_run_id is the run's own id, for task runs the parent's
        "job_run_id": r.run_id,
        "number_in_job": r.run_id,
        "original_attempt_run_id": r.run_id,
        "attempt_number": 0,
        "creator_user_name": r.creator,
        "run_name": r.run_name,
        "run_type": r.run_type,
        "trigger": r.trigger,
        "format": "MULTI_TASK",
        "state": _state_obj(r.lc, r.result, r.msg, r.user_cancel, r.queue_reason),
        "status": _status_obj(r.lc, r.result, r.msg, r.queue_code, r.queue_reason,
                              getattr(r, "skip_code", None)),
        "start_time": r.start_time,
        "end_time": r.end_time if r.lc in TERMINAL else 0,
        # multi-task runs: setup/execution/cleanup are 0, the total is run_duration
        "setup_duration": 0,
        "execution_duration": 0,
        "cleanup_duration": 0,
        "run_duration": (r.end_time - r.start_time) if r.lc in TERMINAL else 0,
        "queue_duration": r.queue_duration,
        "run_page_url": _page_url(r, r.run_id, state),
    }
    if r.job_id is None:
        del d["job_id"]
    s = r.settings
    if s.get("description"):
        d["description"] = s["description"]
    if s.get("git_source") is not None:
        d["git_source"] = copy.deepcopy(s["git_source"])
    if r.overriding:
        d["overriding_parameters"] = copy.deepcopy(r.overriding)
    arrays = {}
    if expand_tasks:
        arrays["tasks"] = [_task_view(state, t) for t in r.tasks]
    if s.get("job_clusters") is not None and not list_view:
        arrays["job_clusters"] = copy.deepcopy(s["job_clusters"])
    if r.job_parameters and not list_view:
        arrays["job_parameters"] = copy.deepcopy(r.job_parameters)
    if include_history and not list_view:
        arrays["repair_history"] = _repair_history(state, r)
    more = False
    for k, arr in arrays.items():
        if offset is not None:
            more = more or len(arr) > offset + size
            arr = _slice(arr, offset, size)
        d[k] = arr
    if offset is not None and more:
        if list_view:
            d["has_more"] = True
        else:
            d["next_page_token"] = _encode_token("x", offset + size)
    elif list_view and expand_tasks:
        d["has_more"] = False
    return d


def _repair_history(state, r):
    first_end = r.repairs[0]["prev_end"] if r.repairs else (
        r.end_time if r.lc in TERMINAL else 0)
    orig_state = r.repairs[0]["prev_state"] if r.repairs else None
    if orig_state is None:
        orig = {"type": "ORIGINAL", "start_time": r.start_time, "end_time": first_end,
                "state": _state_obj(r.lc, r.result, r.msg, r.user_cancel, r.queue_reason),
                "status": _status_obj(r.lc, r.result, r.msg, r.queue_code, r.queue_reason),
                "task_run_ids": list(r.original_task_run_ids)}
    else:
        orig = {"type": "ORIGINAL", "start_time": r.start_time, "end_time": first_end,
                "state": orig_state[0], "status": orig_state[1],
                "task_run_ids": list(r.original_task_run_ids)}
    out = [orig]
    for i, rep in enumerate(r.repairs):
        last = i == len(r.repairs) - 1
        if last:
            st = _state_obj(r.lc, r.result, r.msg, r.user_cancel)
            ss = _status_obj(r.lc, r.result, r.msg)
            end = r.end_time if r.lc in TERMINAL else 0
        else:
            st, ss = r.repairs[i + 1]["prev_state"]
            end = r.repairs[i + 1]["prev_end"]
        out.append({"type": "REPAIR", "id": rep["id"], "start_time": rep["start_time"],
                    "end_time": end, "state": st, "status": ss,
                    "task_run_ids": list(rep["task_run_ids"])})
    return out


def _task_run_as_run(state, t):
    """runs/get and get-output metadata for a task run id: the task run in Run shape."""
    r = t.parent
    tv = _task_view(state, t)
    d = dict(tv)
    d.update({"job_id": r.job_id, "job_run_id": r.run_id, "number_in_job": t.run_id,
              "original_attempt_run_id": t.original_attempt or t.run_id,
              "creator_user_name": r.creator,
              "run_name": t.key, "run_type": r.run_type, "trigger": r.trigger,
              "format": "MULTI_TASK", "tasks": [tv]})
    if r.job_id is None:
        del d["job_id"]
    if t.spec.get("for_each_task") is not None:
        # SDK docs: "iterations: only populated by for each iterations; the parent for each
        # task is located in tasks array"
        d["iterations"] = [_task_view(state, it) for it in t.iterations]
    return d


# ---- routes -------------------------------------------------------------------------------------
def _both(op):
    return ("/api/2.1/jobs/" + op, "/api/2.2/jobs/" + op)


def _job_base(job, expand_tasks=False, cap=GET_ARRAY_PAGE):
    s = copy.deepcopy(job["settings"])
    d = {"job_id": job["job_id"], "creator_user_name": job["creator_user_name"],
         "created_time": job["created_time"]}
    more = False
    if expand_tasks:
        for k in ("tasks", "job_clusters"):
            if k in s:
                more = more or len(s[k]) > cap
                s[k] = s[k][:cap]
        d["has_more"] = more
    else:
        s.pop("tasks", None)
        s.pop("job_clusters", None)
    d["settings"] = s
    return d


@route("POST", *_both("create"))
def create(req):
    body = req.json_obj()
    _validate_settings(body)
    state = req.state
    user = req.principal or "emulator-user@example.com"
    run_as = body.get("run_as") or {}
    with state.lock:
        job_id = _new_job_id(state)
        state.jobs[job_id] = {
            "job_id": job_id,
            "creator_user_name": user,
            "run_as_user_name": run_as.get("user_name") or run_as.get("service_principal_name")
            or user,
            "created_time": state.now_ms(),
            "settings": _normalise(body),
        }
    return 200, None, {"job_id": job_id}


@route("GET", *_both("get"))
def get(req):
    args = req.args()
    job_id = _int_arg(args, "job_id", required=True)
    token = args.get("page_token") or ""
    state = req.state
    with state.lock:
        job = _get_job(state, job_id)
        d = {k: copy.deepcopy(v) for k, v in job.items()}
        if _is_v22(req):
            size = _page_cap(state, GET_ARRAY_PAGE)
            off = _decode_token("g", token) if token else 0
            s = d["settings"]
            more = False
            for k in ("tasks", "job_clusters", "environments", "parameters"):
                if k in s:
                    more = more or len(s[k]) > off + size
                    s[k] = s[k][off:off + size]
            if more:
                d["next_page_token"] = _encode_token("g", off + size)
        return 200, None, _dump(d)


def _list_limit(args, real_max):
    limit = _int_arg(args, "limit")
    if limit is None or limit == 0:
        # jobs/list: 0 is not documented (the SDK docs say 1..100); treated as the default.
        # runs/list: the SDK docs say 0 means the service maximum.
        return None
    if limit < 0 or limit > real_max:
        raise invalid_param("limit must be between 1 and %d, got %d" % (real_max, limit))
    return limit


@route("GET", *_both("list"))
def list_jobs(req):
    args = req.args()
    limit = _list_limit(args, JOBS_LIST_MAX) or JOBS_LIST_DEFAULT
    token = args.get("page_token") or ""
    offset = _decode_token("j", token) if token else (_int_arg(args, "offset", minimum=0) or 0)
    name = args.get("name")
    if name is not None and not isinstance(name, str):
        raise invalid_param("name must be a string")
    expand = _bool_arg(args, "expand_tasks")
    state = req.state
    with state.lock:
        size = min(limit, state.config["jobs_page_size_max"])
        # Order: the reference does not say; creation (job_id) order here.
        sel = [j for j in state.jobs.values()
               if not name or (j["settings"].get("name") or "").lower() == name.lower()]
        page = sel[offset:offset + size]
        out = {}
        if page:
            out["jobs"] = [_job_base(j, expand, _page_cap(state, GET_ARRAY_PAGE)) for j in page]
        out["has_more"] = offset + size < len(sel)
        if out["has_more"]:
            out["next_page_token"] = _encode_token("j", offset + size)
        if offset > 0:
            out["prev_page_token"] = _encode_token("j", max(0, offset - size))
        return 200, None, _dump(out)


def _settings_arg(v, name):
    if not isinstance(v, dict):
        raise invalid_param("%s must be an object" % name)
    return v


def _merge_by_key(current, changes, key):
    out = [copy.deepcopy(x) for x in (current or [])]
    index = {x.get(key): i for i, x in enumerate(out)}
    for c in changes:
        if not isinstance(c, dict):
            raise invalid_param("Every entry must be an object")
        k = c.get(key)
        if k in index:
            out[index[k]] = copy.deepcopy(c)
        else:
            index[k] = len(out)
            out.append(copy.deepcopy(c))
    return out


@route("POST", *_both("update"))
def update(req):
    body = req.json_obj()
    job_id = _int_arg(body, "job_id", required=True)
    new = body.get("new_settings")
    new = {} if new is None else _settings_arg(new, "new_settings")
    remove = body.get("fields_to_remove") or []
    if not isinstance(remove, list) or not all(isinstance(x, str) for x in remove):
        raise invalid_param("fields_to_remove must be an array of strings")
    state = req.state
    with state.lock:
        now = state.now_ms()
        advance(state, now)
        job = _get_job(state, job_id)
        s = copy.deepcopy(job["settings"])
        for k, v in new.items():
            if k == "tasks" and isinstance(v, list):
                s["tasks"] = _merge_by_key(s.get("tasks"), v, "task_key")
            elif k == "job_clusters" and isinstance(v, list):
                s["job_clusters"] = _merge_by_key(s.get("job_clusters"), v, "job_cluster_key")
            else:
                s[k] = copy.deepcopy(v)
        for f in remove:
            head, sep, tail = f.partition("/")
            keyname = {"tasks": "task_key", "job_clusters": "job_cluster_key",
                       "environments": "environment_key"}.get(head)
            if sep:
                if keyname is None or not tail:
                    raise invalid_param("Invalid field in fields_to_remove: %s" % f)
                arr = s.get(head) or []
                if not any(x.get(keyname) == tail for x in arr):
                    raise invalid_param("Cannot remove %s: no such entry in %s" % (f, head))
                s[head] = [x for x in arr if x.get(keyname) != tail]
            else:
                s.pop(f, None)
        _validate_settings(s)
        job["settings"] = _normalise(s)
        _start_queued(state, job_id, now)  # a higher max_concurrent_runs frees slots
    return 200, None, {}


@route("POST", *_both("reset"))
def reset(req):
    body = req.json_obj()
    job_id = _int_arg(body, "job_id", required=True)
    new = body.get("new_settings")
    if new is None:
        raise invalid_param("Missing required field: new_settings")
    _settings_arg(new, "new_settings")
    _validate_settings(new)
    state = req.state
    with state.lock:
        job = _get_job(state, job_id)
        job["settings"] = _normalise(new)
    return 200, None, {}


@route("POST", *_both("delete"))
def delete(req):
    body = req.json_obj()
    job_id = _int_arg(body, "job_id", required=True)
    state = req.state
    with state.lock:
        now = state.now_ms()
        advance(state, now)
        _get_job(state, job_id)
        # the job's active runs are cancelled; its runs stay readable by run id
        for r in [x for x in state.jobs_active if x.job_id == job_id]:
            _cancel_run(state, r, now, "The job was deleted.")
        del state.jobs[job_id]
    return 200, None, {}


# ---- run-now / submit ---------------------------------------------------------------------------
_LEGACY_PARAMS = {"notebook_params": dict, "python_params": list, "python_named_params": dict,
                  "jar_params": list, "spark_submit_params": list, "sql_params": dict,
                  "dbt_commands": list, "pipeline_params": dict}


def _idem_arg(body):
    tok = body.get("idempotency_token")
    if tok is None or tok == "":
        return None
    if not isinstance(tok, str):
        raise invalid_param("idempotency_token must be a string")
    if len(tok) > 64:
        raise invalid_param("idempotency_token must be at most 64 characters, got %d"
                            % len(tok))
    return tok


def _param_overrides(body, settings):
    """(overriding_parameters, resolved job_parameters) for run-now / repair."""
    over = {}
    for k, typ in _LEGACY_PARAMS.items():
        v = body.get(k)
        if v is None:
            continue
        if not isinstance(v, typ):
            raise invalid_param("%s must be %s" % (k, "an object" if typ is dict else "an array"))
        over[k] = copy.deepcopy(v)
    jp = body.get("job_parameters")
    defined = settings.get("parameters") or []
    names = {p["name"] for p in defined}
    if jp is not None:
        _check_str_map(jp, "job_parameters")
        unknown = sorted(set(jp) - names)
        if unknown:
            raise invalid_param("Job parameters %s are not defined in the job."
                                % ", ".join(unknown))
        over["job_parameters"] = copy.deepcopy(jp)
    if defined and any(k in over for k in _LEGACY_PARAMS):
        # the service does not mix job parameters with task-level parameter maps
        raise invalid_param("Task-level parameters (notebook_params, python_params, ...) cannot "
                            "be used for a job that defines job parameters; use job_parameters")
    jp = jp or {}
    resolved = [{"name": p["name"], "default": p["default"],
                 "value": jp.get(p["name"], p["default"])} for p in defined]
    return over, resolved


@route("POST", *_both("run-now"))
def run_now(req):
    body = req.json_obj()
    job_id = _int_arg(body, "job_id", required=True)
    tok = _idem_arg(body)
    only = body.get("only")
    if only is not None and (not isinstance(only, list) or
                             not all(isinstance(x, str) for x in only)):
        raise invalid_param("only must be an array of task keys")
    q = body.get("queue")
    if q is not None and (not isinstance(q, dict) or not isinstance(q.get("enabled"), bool)):
        raise invalid_param("queue must be {\"enabled\": true|false}")
    state = req.state
    with state.lock:
        now = state.now_ms()
        advance(state, now)
        job = _get_job(state, job_id)
        if tok is not None and tok in state.jobs_idem:
            rid = state.jobs_idem[tok]
            return 200, None, {"run_id": rid, "number_in_job": rid}
        settings = copy.deepcopy(job["settings"])
        keys = [t["task_key"] for t in settings.get("tasks") or []]
        if only is not None:
            bad = [k for k in only if k not in keys]
            if bad:
                raise invalid_param("Task key(s) %s in 'only' are not tasks of job %d"
                                    % (", ".join(bad), job_id))
        over, resolved = _param_overrides(body, settings)
        if not keys:
            raise invalid_param("Job %d has no tasks to run." % job_id)
        r = _new_run(state, _user(req), req.base_url, job_id, "JOB_RUN", settings, now)
        r.overriding = over
        r.job_parameters = resolved
        r.only = set(only) if only is not None else None
        if body.get("performance_target"):
            r.settings["performance_target"] = body["performance_target"]
        if tok is not None:
            r.idem = tok
            state.jobs_idem[tok] = r.run_id
        queue_enabled = (q if q is not None else settings.get("queue") or {}).get("enabled",
                                                                                 False)
        _launch(state, r, now, queue_enabled, settings.get("max_concurrent_runs", 1))
        return 200, None, {"run_id": r.run_id, "number_in_job": r.run_id}


@route("POST", *_both("runs/submit"))
def submit(req):
    body = req.json_obj()
    tok = _idem_arg(body)
    tasks = body.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        raise invalid_param("tasks must be a non-empty array")
    s = {k: copy.deepcopy(v) for k, v in body.items()
         if k not in ("access_control_list", "idempotency_token")}
    for k in ("max_concurrent_runs", "parameters", "schedule", "trigger", "continuous"):
        s.pop(k, None)
    _validate_settings(s)
    rn = s.pop("run_name", None)
    if rn is not None and not isinstance(rn, str):
        raise invalid_param("run_name must be a string")
    s["name"] = rn or "Untitled"
    state = req.state
    with state.lock:
        now = state.now_ms()
        advance(state, now)
        if tok is not None and tok in state.jobs_idem:
            return 200, None, {"run_id": state.jobs_idem[tok]}
        settings = _normalise(s)
        settings.pop("max_concurrent_runs", None)
        # One-time runs belong to a hidden one-time job in the real service, so they carry a
        # job_id that jobs/get does not know. (Reference: "one-time run, not saved as a job".)
        r = _new_run(state, _user(req), req.base_url, _new_job_id(state), "SUBMIT_RUN",
                     settings, now)
        if tok is not None:
            r.idem = tok
            state.jobs_idem[tok] = r.run_id
        _launch(state, r, now, False, 0)
        return 200, None, {"run_id": r.run_id}


# ---- runs: read ---------------------------------------------------------------------------------
def _lookup_run(state, run_id):
    """(job run, None) or (None, task run); 400 when neither exists."""
    r = state.job_runs.get(run_id)
    if r is not None:
        return r, None
    t = state.task_runs.get(run_id)
    if t is not None and t.parent.run_id in state.job_runs:
        return None, t
    raise _run_not_found(run_id)


@route("GET", *_both("runs/get"))
def runs_get(req):
    args = req.args()
    run_id = _int_arg(args, "run_id", required=True)
    history = _bool_arg(args, "include_history")
    _bool_arg(args, "include_resolved_values")
    token = args.get("page_token") or ""
    state = req.state
    with state.lock:
        advance(state, state.now_ms())
        r, t = _lookup_run(state, run_id)
        if t is not None:
            d = _task_run_as_run(state, t)
            if _is_v22(req) and "iterations" in d:  # 2.2 pages iterations like tasks
                size = _page_cap(state, GET_ARRAY_PAGE)
                off = _decode_token("x", token) if token else 0
                if len(d["iterations"]) > off + size:
                    d["next_page_token"] = _encode_token("x", off + size)
                d["iterations"] = d["iterations"][off:off + size]
            return 200, None, _dump(d)
        if _is_v22(req):
            size = _page_cap(state, GET_ARRAY_PAGE)
            off = _decode_token("x", token) if token else 0
            d = _run_view(state, r, True, off, size, history)
        else:
            d = _run_view(state, r, True, None, None, history)
        return 200, None, _dump(d)


@route("GET", *_both("runs/list"))
def runs_list(req):
    args = req.args()
    job_id = _int_arg(args, "job_id")
    active_only = _bool_arg(args, "active_only")
    completed_only = _bool_arg(args, "completed_only")
    if active_only and completed_only:
        raise invalid_param("active_only and completed_only cannot both be true")
    limit = _list_limit(args, RUNS_LIST_MAX)
    if limit is None:
        raw = _int_arg(args, "limit")
        limit = RUNS_LIST_MAX if raw == 0 else RUNS_LIST_DEFAULT
    run_type = args.get("run_type")
    if run_type is not None and run_type != "" and run_type not in RUN_TYPES:
        raise invalid_param("run_type must be one of %s" % ", ".join(RUN_TYPES))
    expand = _bool_arg(args, "expand_tasks")
    t_from = _int_arg(args, "start_time_from")
    t_to = _int_arg(args, "start_time_to")
    token = args.get("page_token") or ""
    offset = _decode_token("r", token) if token else (_int_arg(args, "offset", minimum=0) or 0)
    state = req.state
    with state.lock:
        advance(state, state.now_ms())
        if job_id is not None:
            _get_job(state, job_id)
        size = min(limit, state.config["jobs_page_size_max"])
        sel = []
        for r in state.job_runs.values():
            if job_id is not None and r.job_id != job_id:
                continue
            if active_only and r.lc not in ACTIVE:
                continue
            if completed_only and r.lc in ACTIVE:
                continue
            if run_type and r.run_type != run_type:
                continue
            if t_from is not None and r.start_time < t_from:
                continue
            if t_to is not None and r.start_time > t_to:
                continue
            sel.append(r)
        sel.sort(key=lambda x: (x.start_time, x.run_id), reverse=True)  # newest first
        page = sel[offset:offset + size]
        out = {}
        if page:
            cap = _page_cap(state, GET_ARRAY_PAGE)
            out["runs"] = [_run_view(state, r, expand, 0 if _is_v22(req) else None, cap,
                                     list_view=True) for r in page]
        out["has_more"] = offset + size < len(sel)
        if out["has_more"]:
            out["next_page_token"] = _encode_token("r", offset + size)
        if offset > 0:
            out["prev_page_token"] = _encode_token("r", max(0, offset - size))
        return 200, None, _dump(out)


def _output(state, t):
    out = {"metadata": _task_run_as_run(state, t)}
    if t.child_run_id is not None:  # known as soon as the triggered run exists
        out["run_job_output"] = {"run_id": t.child_run_id}
    o = t.outcome
    if o is None or t.lc not in TERMINAL:
        return out
    spec = t.spec
    if spec.get("notebook_task") is not None:
        res = o.get("notebook_result") or ""
        nb = {"truncated": len(res.encode("utf-8")) > OUTPUT_CAP}
        if t.result == "SUCCESS":
            nb["result"] = res.encode("utf-8")[:OUTPUT_CAP].decode("utf-8", "ignore")
        out["notebook_output"] = nb
    elif any(spec.get(k) is not None for k in
             ("spark_python_task", "python_wheel_task", "spark_jar_task")):
        logs = o.get("logs") or ""
        raw = logs.encode("utf-8")
        out["logs"] = raw[-OUTPUT_CAP:].decode("utf-8", "ignore")
        out["logs_truncated"] = bool(o.get("logs_truncated")) or len(raw) > OUTPUT_CAP
    elif spec.get("sql_task") is not None:
        out["sql_output"] = {}
    elif spec.get("dbt_task") is not None:
        out["dbt_output"] = {"artifacts_headers": {}}

    if t.result in ("FAILED", "TIMEDOUT") and o.get("error"):
        out["error"] = o["error"]
        if o.get("error_trace"):
            out["error_trace"] = o["error_trace"]
    return out


@route("GET", *_both("runs/get-output"))
def runs_get_output(req):
    args = req.args()
    run_id = _int_arg(args, "run_id", required=True)
    state = req.state
    with state.lock:
        advance(state, state.now_ms())
        r, t = _lookup_run(state, run_id)
        if r is not None:
            if len(r.tasks) != 1:
                raise invalid_param(
                    "Retrieving the output of runs with multiple tasks is not supported. "
                    "Please retrieve the output of each individual task run instead.")
            # A single-task job run: the reference only says a *multi-task* parent is
            # rejected; here it answers with its one task's output.
            t = r.tasks[0]
        return 200, None, _dump(_output(state, t))


@route("GET", *_both("runs/export"))
def runs_export(req):
    args = req.args()
    run_id = _int_arg(args, "run_id", required=True)
    views = args.get("views_to_export") or "CODE"
    if views not in ("CODE", "DASHBOARDS", "ALL"):
        raise invalid_param("views_to_export must be CODE, DASHBOARDS or ALL")
    state = req.state
    with state.lock:
        advance(state, state.now_ms())
        r, t = _lookup_run(state, run_id)
        if r is not None:
            if len(r.tasks) != 1:
                raise invalid_param("Exporting runs with multiple tasks is not supported. "
                                    "Please export each individual task run instead.")
            t = r.tasks[0]
        nb = t.spec.get("notebook_task")
        if nb is None:
            raise invalid_param("Only notebook task runs can be exported.")
        out = []
        if views in ("CODE", "ALL"):
            path = nb.get("notebook_path", "")
            out.append({"name": path.rsplit("/", 1)[-1], "type": "NOTEBOOK",
                        "content": "<!DOCTYPE html><html><head><title>%s</title></head><body>"
                                   "<!-- run %d --></body></html>" % (path, t.run_id)})
        return 200, None, {"views": out}


# ---- runs: cancel / delete / repair -------------------------------------------------------------
def _cancel_run(state, r, ts, msg="Run was cancelled by a user."):
    if r.lc in TERMINAL:
        return
    r.stop_reason = "cancel"
    r.user_cancel = True
    _stop_all(state, r, ts, "CANCELED", msg)


@route("POST", *_both("runs/cancel"))
def runs_cancel(req):
    body = req.json_obj()
    run_id = _int_arg(body, "run_id", required=True)
    state = req.state
    with state.lock:
        now = state.now_ms()
        advance(state, now)
        r, t = _lookup_run(state, run_id)
        if r is not None:
            _cancel_run(state, r, now)
        elif t.lc not in TERMINAL and t.parent.lc not in TERMINAL:
            if t.parent.lc == "QUEUED":
                _cancel_run(state, t.parent, now)
            else:
                _stop_task(state, t, now, "CANCELED", "Task was cancelled by a user.")
                if t.lc == "TERMINATED":
                    _resolve(state, t.parent, now)
                else:
                    _progress(state, t.parent, now)
    return 200, None, {}


@route("POST", *_both("runs/cancel-all"))
def runs_cancel_all(req):
    body = req.json_obj()
    job_id = _int_arg(body, "job_id")
    all_queued = _bool_arg(body, "all_queued_runs")
    if job_id is None and not all_queued:
        raise invalid_param("Either job_id or all_queued_runs must be specified")
    state = req.state
    with state.lock:
        now = state.now_ms()
        advance(state, now)
        if job_id is not None:
            _get_job(state, job_id)
            victims = [r for r in state.jobs_active if r.job_id == job_id]
        else:
            victims = [r for r in state.jobs_active if r.lc == "QUEUED"]
        # queued runs first, so that cancelling an active run does not start a queued one
        victims.sort(key=lambda x: x.lc != "QUEUED")
        for r in victims:
            _cancel_run(state, r, now)
    return 200, None, {}


@route("POST", *_both("runs/delete"))
def runs_delete(req):
    body = req.json_obj()
    run_id = _int_arg(body, "run_id", required=True)
    state = req.state
    with state.lock:
        advance(state, state.now_ms())
        r, t = _lookup_run(state, run_id)
        if r is None:
            raise invalid_param("Run %d is a task run; delete its job run %d instead."
                                % (run_id, t.parent.run_id))
        if r.lc not in TERMINAL:
            raise invalid_state("Cannot delete run %d because it is still active (%s)."
                                % (run_id, r.lc))
        del state.job_runs[run_id]
        for x in r.all_tasks:
            state.task_runs.pop(x.run_id, None)
        if r.idem is not None and state.jobs_idem.get(r.idem) == run_id:
            del state.jobs_idem[r.idem]
    return 200, None, {}


_RERUN_FAILED = ("FAILED", "TIMEDOUT", "CANCELED", "UPSTREAM_FAILED", "UPSTREAM_CANCELED",
                 "MAXIMUM_CONCURRENT_RUNS_REACHED")


@route("POST", *_both("runs/repair"))
def runs_repair(req):
    body = req.json_obj()
    run_id = _int_arg(body, "run_id", required=True)
    rerun = body.get("rerun_tasks")
    if rerun is not None and (not isinstance(rerun, list) or
                              not all(isinstance(x, str) for x in rerun)):
        raise invalid_param("rerun_tasks must be an array of task keys")
    all_failed = _bool_arg(body, "rerun_all_failed_tasks")
    dependents = _bool_arg(body, "rerun_dependent_tasks")
    latest = _int_arg(body, "latest_repair_id")
    if not rerun and not all_failed:
        raise invalid_param("Either rerun_tasks or rerun_all_failed_tasks must be specified")
    if rerun and all_failed:
        raise invalid_param("rerun_tasks and rerun_all_failed_tasks cannot both be specified")
    state = req.state
    with state.lock:
        now = state.now_ms()
        advance(state, now)
        r, t = _lookup_run(state, run_id)
        if r is None:
            raise invalid_param("Run %d is a task run; repair its job run %d instead."
                                % (run_id, t.parent.run_id))
        if r.lc not in TERMINAL:
            raise invalid_state("Run %d is still active (%s); only finished runs can be "
                                "repaired." % (run_id, r.lc))
        if r.repairs:
            if latest is None:
                raise invalid_param("latest_repair_id must be given when repairing run %d "
                                    "again (latest repair: %d)" % (run_id, r.repairs[-1]["id"]))
            if latest != r.repairs[-1]["id"]:
                raise invalid_param("latest_repair_id %d is not the latest repair of run %d "
                                    "(latest: %d)" % (latest, run_id, r.repairs[-1]["id"]))
        elif latest is not None:
            raise invalid_param("Run %d has no repair with id %d" % (run_id, latest))
        keys = [x.key for x in r.tasks]
        if rerun:
            bad = [k for k in rerun if k not in keys]
            if bad:
                raise invalid_param("Task key(s) %s are not tasks of run %d"
                                    % (", ".join(bad), run_id))
            chosen = set(rerun)
        else:
            chosen = {x.key for x in r.tasks if x.result in _RERUN_FAILED}
            if not chosen:
                raise invalid_param("Run %d has no failed tasks to repair." % run_id)
        if dependents:
            users = {}
            for x in r.tasks:
                for d in x.spec.get("depends_on") or []:
                    users.setdefault(d["task_key"], []).append(x.key)
            stack = list(chosen)
            while stack:
                for u in users.get(stack.pop(), []):
                    if u not in chosen:
                        chosen.add(u)
                        stack.append(u)
        over, resolved = _param_overrides(body, r.settings)
        if over:
            r.overriding.update(over)
            if "job_parameters" in over:
                r.job_parameters = resolved
        repair_id = _new_run_id(state)
        prev = (_state_obj(r.lc, r.result, r.msg, r.user_cancel),
                _status_obj(r.lc, r.result, r.msg))
        new_ids = []
        for i, x in enumerate(r.tasks):
            if x.key not in chosen:
                continue
            nt = TaskRun(_new_run_id(state), copy.deepcopy(x.spec), r)
            r.tasks[i] = nt
            r.all_tasks.append(nt)
            state.task_runs[nt.run_id] = nt
            new_ids.append(nt.run_id)
        r.repairs.append({"id": repair_id, "start_time": now, "end_time": 0,
                          "task_run_ids": new_ids, "prev_state": prev, "prev_end": r.end_time})
        r.lc = "PENDING"
        r.result = None
        r.msg = ""
        r.user_cancel = False
        r.stop_reason = None
        r.end_time = 0
        r.__dict__.pop("skip_code", None)
        r.only = None
        state.jobs_active.append(r)
        _begin(state, r, now)
        return 200, None, {"repair_id": repair_id}


# ---- control: task outcomes ---------------------------------------------------------------------
_RULE_KEYS = {"match", "result_state", "state_message", "notebook_result", "logs", "error",
              "error_trace", "running_ms", "times"}


@route("POST", "/__emulator/jobs/task-outcomes")
def add_outcomes(req):
    body = req.json_obj()
    rules = body.get("rules") if "rules" in body else [body]
    if not isinstance(rules, list):
        raise invalid_param("'rules' must be a list")
    clean = []
    for rule in rules:
        if not isinstance(rule, dict):
            raise invalid_param("A task outcome rule must be an object")
        unknown = set(rule) - _RULE_KEYS
        if unknown:
            raise invalid_param("Unknown task outcome field(s): %s" % ", ".join(sorted(unknown)))
        if not isinstance(rule.get("match"), str):
            raise invalid_param("A task outcome rule needs a string 'match'")
        rs = rule.get("result_state", "SUCCESS")
        if rs not in RULE_RESULTS:
            raise invalid_param("result_state must be one of %s" % ", ".join(RULE_RESULTS))
        for k in ("state_message", "notebook_result", "logs", "error", "error_trace"):
            if rule.get(k) is not None and not isinstance(rule[k], str):
                raise invalid_param("'%s' must be a string" % k)
        rm = rule.get("running_ms")
        if rm is not None and (isinstance(rm, bool) or not isinstance(rm, (int, float))
                               or rm < 0):
            raise invalid_param("'running_ms' must be a number >= 0")
        tm = rule.get("times")
        if tm is not None and (not _is_int(tm) or tm < 0):
            raise invalid_param("'times' must be an integer >= 0")
        clean.append(copy.deepcopy(rule))
    with req.state.lock:
        req.state.jobs_rules.extend(clean)
        return 200, None, {"rules": copy.deepcopy(req.state.jobs_rules)}


@route("GET", "/__emulator/jobs/task-outcomes")
def list_outcomes(req):
    with req.state.lock:
        return 200, None, {"rules": copy.deepcopy(req.state.jobs_rules)}


@route("DELETE", "/__emulator/jobs/task-outcomes")
def clear_outcomes(req):
    with req.state.lock:
        req.state.jobs_rules = []
    return 200, None, {}
