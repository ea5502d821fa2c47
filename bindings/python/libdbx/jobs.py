"""The Jobs API 2.2: ``client.jobs``.

Job settings are plain dicts (the JobSettings JSON of the REST API), validated locally by libdbx
(``dbx_job_settings_from_json``: task keys, one task type per task, ``depends_on`` cycles, job
cluster keys, ...) before anything is sent; :class:`JobSettings` and :class:`Task` are optional
fluent builders over libdbx's C builders that produce the same dicts::

    job_id = client.jobs.create({"name": "nightly", "tasks": [
        {"task_key": "ingest", "notebook_task": {"notebook_path": "/Repos/etl/ingest"}}]})
    started = client.jobs.run_now(job_id, job_parameters={"env": "prod"})
    run = client.jobs.wait_run(started.run_id, timeout=3600, progress=print)

No duplicate runs: :meth:`JobsAPI.run_now` and :meth:`JobsAPI.submit` always send an
``idempotency_token`` (yours, or one libdbx draws) and return it in :class:`RunStarted`; libdbx
retries a dropped connection or a 5xx with the same token, and so can you (pass
``idempotency_token=started.idempotency_token``, or ``exc.idempotency_token`` after a failure).
"""

import ctypes
import dataclasses
import json
from typing import Any, Dict, Iterator, List, Optional, Tuple

from . import _base, _native, errors

c_void_p, c_char_p, c_int, c_long = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_long
c_int64, c_size_t, c_uint = ctypes.c_int64, ctypes.c_size_t, ctypes.c_uint
POINTER = ctypes.POINTER
WaitOptions = _native.WaitOptions
P = c_void_p
PP = POINTER(c_void_p)
STRV = POINTER(c_char_p)  # const char *const * (NULL-terminated)


class _RunStarted(ctypes.Structure):
    """``dbx_run_started`` (include/dbx/jobs.h; caller storage, fixed layout)."""
    _fields_ = [("run_id", c_int64), ("number_in_job", c_int64),
                ("idempotency_token", ctypes.c_char * 65)]


class _ListOptions(ctypes.Structure):
    """``dbx_jobs_list_options`` version 1."""
    _fields_ = [("version", c_uint), ("limit", c_int), ("max_items", c_long), ("name", c_char_p),
                ("expand_tasks", c_int)]


class _RunNowOptions(ctypes.Structure):
    """``dbx_jobs_run_now_options`` version 1."""
    _fields_ = [("version", c_uint), ("idempotency_token", c_char_p), ("job_parameters", STRV),
                ("only", STRV), ("queue", c_int), ("notebook_params", STRV),
                ("python_params", STRV)]


class _SubmitOptions(ctypes.Structure):
    """``dbx_jobs_submit_options`` version 1."""
    _fields_ = [("version", c_uint), ("idempotency_token", c_char_p), ("run_name", c_char_p)]


class _RepairOptions(ctypes.Structure):
    """``dbx_jobs_repair_options`` version 1."""
    _fields_ = [("version", c_uint), ("rerun_tasks", STRV), ("rerun_all_failed_tasks", c_int),
                ("rerun_dependent_tasks", c_int), ("latest_repair_id", c_int64),
                ("job_parameters", STRV)]


class _RunsListOptions(ctypes.Structure):
    """``dbx_jobs_runs_list_options`` version 1."""
    _fields_ = [("version", c_uint), ("job_id", c_int64), ("active_only", c_int),
                ("completed_only", c_int), ("run_type", c_char_p), ("start_time_from", c_int64),
                ("start_time_to", c_int64), ("expand_tasks", c_int), ("limit", c_int),
                ("max_items", c_long)]


#: the C functions this module calls (declared on first use by _native.declare)
PROTOS = [
    # enums
    ("dbx_run_life_cycle_state_name", c_char_p, c_int),
    ("dbx_run_result_state_name", c_char_p, c_int),
    # task builder
    ("dbx_job_task_new", c_int, PP, c_char_p),
    ("dbx_job_task_free", None, P),
    ("dbx_job_task_set_notebook", c_int, P, c_char_p, c_char_p),
    ("dbx_job_task_set_spark_python", c_int, P, c_char_p, STRV),
    ("dbx_job_task_set_python_wheel", c_int, P, c_char_p, c_char_p, STRV),
    ("dbx_job_task_set_sql_query", c_int, P, c_char_p, c_char_p),
    ("dbx_job_task_set_sql_file", c_int, P, c_char_p, c_char_p, c_char_p),
    ("dbx_job_task_set_run_job", c_int, P, c_int64),
    ("dbx_job_task_set_parameter", c_int, P, c_char_p, c_char_p),
    ("dbx_job_task_add_depends_on", c_int, P, c_char_p, c_char_p),
    ("dbx_job_task_set_existing_cluster_id", c_int, P, c_char_p),
    ("dbx_job_task_set_job_cluster_key", c_int, P, c_char_p),
    ("dbx_job_task_set_new_cluster", c_int, P, P),
    ("dbx_job_task_set_environment_key", c_int, P, c_char_p),
    ("dbx_job_task_add_library_json", c_int, P, c_char_p),
    ("dbx_job_task_add_library_pypi", c_int, P, c_char_p, c_char_p),
    ("dbx_job_task_add_library_whl", c_int, P, c_char_p),
    ("dbx_job_task_add_library_jar", c_int, P, c_char_p),
    ("dbx_job_task_set_description", c_int, P, c_char_p),
    ("dbx_job_task_set_timeout_seconds", c_int, P, c_int),
    ("dbx_job_task_set_retries", c_int, P, c_int, c_int, c_int),
    ("dbx_job_task_set_run_if", c_int, P, c_char_p),
    ("dbx_job_task_set_json", c_int, P, c_char_p, c_char_p),
    ("dbx_job_task_to_json", c_int, PP, P),
    # settings builder
    ("dbx_job_settings_new", c_int, PP),
    ("dbx_job_settings_from_json", c_int, PP, c_char_p),
    ("dbx_job_settings_free", None, P),
    ("dbx_job_settings_validate", c_int, P),
    ("dbx_job_settings_set_name", c_int, P, c_char_p),
    ("dbx_job_settings_set_description", c_int, P, c_char_p),
    ("dbx_job_settings_add_task", c_int, P, P),
    ("dbx_job_settings_add_job_cluster", c_int, P, c_char_p, P),
    ("dbx_job_settings_add_environment", c_int, P, c_char_p, c_char_p, STRV),
    ("dbx_job_settings_add_parameter", c_int, P, c_char_p, c_char_p),
    ("dbx_job_settings_set_schedule", c_int, P, c_char_p, c_char_p, c_int),
    ("dbx_job_settings_add_email", c_int, P, c_int, c_char_p),
    ("dbx_job_settings_set_max_concurrent_runs", c_int, P, c_int),
    ("dbx_job_settings_set_queue", c_int, P, c_int),
    ("dbx_job_settings_set_tag", c_int, P, c_char_p, c_char_p),
    ("dbx_job_settings_set_timeout_seconds", c_int, P, c_int),
    ("dbx_job_settings_set_json", c_int, P, c_char_p, c_char_p),
    ("dbx_job_settings_to_json", c_int, PP, P),
    # cluster specs (job clusters, new_cluster), declared by the clusters module too
    ("dbx_cluster_spec_from_json", c_int, PP, c_char_p),
    ("dbx_cluster_spec_free", None, P),
    # job (result)
    ("dbx_job_free", None, P),
    ("dbx_job_id", c_int64, P),
    ("dbx_job_name", c_char_p, P),
    ("dbx_job_creator_user_name", c_char_p, P),
    ("dbx_job_run_as_user_name", c_char_p, P),
    ("dbx_job_created_time", c_int64, P),
    ("dbx_job_max_concurrent_runs", c_int, P),
    ("dbx_job_task_count", c_size_t, P),
    ("dbx_job_task_key", c_char_p, P, c_size_t),
    ("dbx_job_tag", c_char_p, P, c_char_p),
    ("dbx_job_settings_json", c_char_p, P),
    ("dbx_job_json", c_char_p, P),
    # run (result)
    ("dbx_run_free", None, P),
    ("dbx_run_id", c_int64, P),
    ("dbx_run_job_id", c_int64, P),
    ("dbx_run_number_in_job", c_int64, P),
    ("dbx_run_name", c_char_p, P),
    ("dbx_run_type", c_char_p, P),
    ("dbx_run_life_cycle_state", c_int, P),
    ("dbx_run_life_cycle_state_str", c_char_p, P),
    ("dbx_run_result_state", c_int, P),
    ("dbx_run_result_state_str", c_char_p, P),
    ("dbx_run_state_message", c_char_p, P),
    ("dbx_run_status_state", c_char_p, P),
    ("dbx_run_termination_code", c_char_p, P),
    ("dbx_run_termination_type", c_char_p, P),
    ("dbx_run_termination_message", c_char_p, P),
    ("dbx_run_start_time", c_int64, P),
    ("dbx_run_end_time", c_int64, P),
    ("dbx_run_setup_duration", c_int64, P),
    ("dbx_run_execution_duration", c_int64, P),
    ("dbx_run_cleanup_duration", c_int64, P),
    ("dbx_run_run_duration", c_int64, P),
    ("dbx_run_queue_duration", c_int64, P),
    ("dbx_run_page_url", c_char_p, P),
    ("dbx_run_task_count", c_size_t, P),
    ("dbx_run_task_run_id", c_int64, P, c_size_t),
    ("dbx_run_task_key", c_char_p, P, c_size_t),
    ("dbx_run_task_life_cycle_state", c_char_p, P, c_size_t),
    ("dbx_run_task_result_state", c_char_p, P, c_size_t),
    ("dbx_run_task_state_message", c_char_p, P, c_size_t),
    ("dbx_run_task_run_id_by_key", c_int64, P, c_char_p),
    ("dbx_run_job_parameter", c_char_p, P, c_char_p),
    ("dbx_run_json", c_char_p, P),
    # run output (result)
    ("dbx_run_output_free", None, P),
    ("dbx_run_output_notebook_result", c_char_p, P),
    ("dbx_run_output_notebook_truncated", c_int, P),
    ("dbx_run_output_logs", c_char_p, P),
    ("dbx_run_output_logs_truncated", c_int, P),
    ("dbx_run_output_error", c_char_p, P),
    ("dbx_run_output_error_trace", c_char_p, P),
    ("dbx_run_output_run_id", c_int64, P),
    ("dbx_run_output_result_state", c_char_p, P),
    ("dbx_run_output_metadata_json", c_char_p, P),
    ("dbx_run_output_json", c_char_p, P),
    # jobs
    ("dbx_jobs_create", c_int, POINTER(c_int64), P, P),
    ("dbx_jobs_get", c_int, PP, P, c_int64),
    ("dbx_jobs_update", c_int, P, c_int64, P, STRV),
    ("dbx_jobs_reset", c_int, P, c_int64, P),
    ("dbx_jobs_delete", c_int, P, c_int64),
    ("dbx_jobs_list", c_int, PP, P, POINTER(_ListOptions)),
    ("dbx_jobs_iter_next", c_int, PP, P),
    ("dbx_jobs_iter_free", None, P),
    # starting runs
    ("dbx_jobs_run_now", c_int, POINTER(_RunStarted), P, c_int64, POINTER(_RunNowOptions)),
    ("dbx_jobs_submit", c_int, POINTER(_RunStarted), P, P, POINTER(_SubmitOptions)),
    # runs
    ("dbx_jobs_get_run", c_int, PP, P, c_int64),
    ("dbx_jobs_get_run_output", c_int, PP, P, c_int64),
    ("dbx_jobs_cancel_run", c_int, P, c_int64),
    ("dbx_jobs_cancel_all_runs", c_int, P, c_int64, c_int),
    ("dbx_jobs_delete_run", c_int, P, c_int64),
    ("dbx_jobs_repair_run", c_int, POINTER(c_int64), P, c_int64, POINTER(_RepairOptions)),
    ("dbx_jobs_list_runs", c_int, PP, P, POINTER(_RunsListOptions)),
    ("dbx_runs_iter_next", c_int, PP, P),
    ("dbx_runs_iter_free", None, P),
    ("dbx_jobs_wait_run", c_int, PP, P, c_int64, POINTER(WaitOptions)),
]

_EINVAL = dict(status=-2, status_name="DBX_EINVAL")
#: dbx_job_email_event_t
EMAIL_EVENTS = {"on_start": 1, "on_success": 2, "on_failure": 3,
                "on_duration_warning_threshold_exceeded": 4, "on_duration_warning": 4}
_TERMINAL = {5, 6, 7}        # TERMINATED, SKIPPED, INTERNAL_ERROR
_SUCCESS = {2, 8}            # SUCCESS, SUCCESS_WITH_FAILURES


def _lib():
    lib = _native.load()
    _native.declare(lib, PROTOS)
    return lib


def _strv(values, name):
    """A NULL-terminated ``char *[]`` from a list of str (None stays None). The caller keeps the
    returned array referenced for as long as C may read it."""
    if values is None:
        return None
    if isinstance(values, (str, bytes)):
        values = [values]
    items = [_native.arg(v if isinstance(v, (str, bytes)) else str(v), name) for v in values]
    return (c_char_p * (len(items) + 1))(*items, None)


def _pairs(mapping, name):
    """``{"env": "prod"}`` -> the C API's NULL-terminated name, value pairs."""
    if mapping is None:
        return None
    if not isinstance(mapping, dict):
        raise TypeError("%s must be a dict of str -> str" % name)
    flat = []
    for k, v in mapping.items():
        flat += [k, v if isinstance(v, str) else json.dumps(v)]
    return _strv(flat, name)


def _pos_id(value, name):
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise TypeError("%s must be an int" % name) from None
    return value


def _json_text(value, what):
    if isinstance(value, (JobSettings, Task)):
        return json.dumps(value.to_dict())
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        raise TypeError("%s must be a dict, JSON text or a %s builder" % (what, what))
    return json.dumps(value)


def _take_text(lib, fn, ptr):
    """A char * from ``fn(&out, ptr)`` as str, freed with dbx_free."""
    out = c_void_p()
    errors.check(lib, None, fn(ctypes.byref(out), ptr))
    return _native.take_string(lib, out.value)


# ---- builders -----------------------------------------------------------------------------

class _Builder:
    """An owned C builder, freed by :meth:`close`, by ``with``, or by the garbage collector."""

    _free_name = ""

    def __init__(self):
        self._lib = _lib()
        self._p = c_void_p()

    def _ptr(self):
        if not self._p:
            raise errors.InvalidArgument("the %s builder is closed" % type(self).__name__, **_EINVAL)
        return self._p

    def _do(self, status):
        errors.check(self._lib, None, status)  # builders record errors on the thread (no client)
        return self

    def close(self):
        if self._p:
            getattr(self._lib, self._free_name)(self._p)
            self._p = c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def to_json(self) -> str:
        raise NotImplementedError

    def to_dict(self) -> Dict[str, Any]:
        return json.loads(self.to_json())


def _cluster_spec(lib, spec):
    if isinstance(spec, (str, bytes)):
        spec = json.loads(spec)
    if not isinstance(spec, dict):
        raise TypeError("a cluster spec must be a dict or JSON text")
    out = c_void_p()
    errors.check(lib, None, lib.dbx_cluster_spec_from_json(ctypes.byref(out), json.dumps(spec).encode()))
    return out


class Task(_Builder):
    """One task of a job, built (and checked field by field) by libdbx's ``dbx_job_task``.

    Every method returns the task, so calls chain::

        Task("ingest").notebook("/Repos/etl/ingest", parameters={"date": "{{job.start_time.iso_date}}"})
                      .job_cluster("shared").pypi("requests").retries(2, 1000)

    Setting a task type replaces the one set before; setting a compute (existing cluster, job
    cluster, new cluster, environment) clears the others. ``to_dict()`` gives the Task JSON.
    """

    _free_name = "dbx_job_task_free"

    def __init__(self, task_key: str):
        super().__init__()
        errors.check(self._lib, None, self._lib.dbx_job_task_new(ctypes.byref(self._p),
                                                                  _native.arg(task_key, "task_key")))

    def _params(self, parameters):
        for k, v in (parameters or {}).items():
            self.parameter(k, v)
        return self

    # task types
    def notebook(self, notebook_path, source=None, parameters=None) -> "Task":
        """notebook_task (``parameters``: base_parameters; ``source``: "WORKSPACE" or "GIT")."""
        self._do(self._lib.dbx_job_task_set_notebook(self._ptr(), _native.arg(notebook_path, "notebook_path"),
                                                     _native.arg(source, "source")))
        return self._params(parameters)

    def spark_python(self, python_file, parameters=None) -> "Task":
        arr = _strv(parameters, "parameters")
        return self._do(self._lib.dbx_job_task_set_spark_python(
            self._ptr(), _native.arg(python_file, "python_file"), arr))

    def python_wheel(self, package_name, entry_point, parameters=None, named_parameters=None) -> "Task":
        arr = _strv(parameters, "parameters")
        self._do(self._lib.dbx_job_task_set_python_wheel(
            self._ptr(), _native.arg(package_name, "package_name"), _native.arg(entry_point, "entry_point"), arr))
        return self._params(named_parameters)

    def sql_query(self, warehouse_id, query_id, parameters=None) -> "Task":
        self._do(self._lib.dbx_job_task_set_sql_query(self._ptr(), _native.arg(warehouse_id, "warehouse_id"),
                                                      _native.arg(query_id, "query_id")))
        return self._params(parameters)

    def sql_file(self, warehouse_id, path, source=None, parameters=None) -> "Task":
        self._do(self._lib.dbx_job_task_set_sql_file(self._ptr(), _native.arg(warehouse_id, "warehouse_id"),
                                                     _native.arg(path, "path"), _native.arg(source, "source")))
        return self._params(parameters)

    def run_job(self, job_id, job_parameters=None) -> "Task":
        self._do(self._lib.dbx_job_task_set_run_job(self._ptr(), _pos_id(job_id, "job_id")))
        return self._params(job_parameters)

    def parameter(self, name, value) -> "Task":
        """One named parameter of the task type set (base_parameters, named_parameters, ...)."""
        return self._do(self._lib.dbx_job_task_set_parameter(self._ptr(), _native.arg(name, "name"),
                                                             _native.arg(str(value), "value")))

    # graph and compute
    def depends_on(self, *task_keys, outcome=None) -> "Task":
        for k in task_keys:
            self._do(self._lib.dbx_job_task_add_depends_on(self._ptr(), _native.arg(k, "task_key"),
                                                           _native.arg(outcome, "outcome")))
        return self

    def existing_cluster(self, cluster_id) -> "Task":
        return self._do(self._lib.dbx_job_task_set_existing_cluster_id(self._ptr(), _native.arg(cluster_id, "cluster_id")))

    def job_cluster(self, job_cluster_key) -> "Task":
        return self._do(self._lib.dbx_job_task_set_job_cluster_key(
            self._ptr(), _native.arg(job_cluster_key, "job_cluster_key")))

    def new_cluster(self, spec) -> "Task":
        """A ClusterSpec dict (validated as ``client.clusters.create`` does)."""
        s = _cluster_spec(self._lib, spec)
        try:
            return self._do(self._lib.dbx_job_task_set_new_cluster(self._ptr(), s))
        finally:
            self._lib.dbx_cluster_spec_free(s)

    def environment(self, environment_key) -> "Task":
        return self._do(self._lib.dbx_job_task_set_environment_key(
            self._ptr(), _native.arg(environment_key, "environment_key")))

    # libraries
    def library(self, library) -> "Task":
        """Any Library object: ``{"maven": {"coordinates": "a:b:1"}}``."""
        text = library if isinstance(library, str) else json.dumps(library)
        return self._do(self._lib.dbx_job_task_add_library_json(self._ptr(), text.encode()))

    def pypi(self, package, repo=None) -> "Task":
        return self._do(self._lib.dbx_job_task_add_library_pypi(self._ptr(), _native.arg(package, "package"),
                                                                 _native.arg(repo, "repo")))

    def whl(self, path) -> "Task":
        return self._do(self._lib.dbx_job_task_add_library_whl(self._ptr(), _native.arg(path, "path")))

    def jar(self, path) -> "Task":
        return self._do(self._lib.dbx_job_task_add_library_jar(self._ptr(), _native.arg(path, "path")))

    # the rest
    def description(self, text) -> "Task":
        return self._do(self._lib.dbx_job_task_set_description(self._ptr(), _native.arg(text, "description")))

    def timeout(self, seconds) -> "Task":
        return self._do(self._lib.dbx_job_task_set_timeout_seconds(self._ptr(), int(seconds)))

    def retries(self, max_retries, min_retry_interval_millis=0, retry_on_timeout=False) -> "Task":
        """``max_retries`` -1 retries forever."""
        return self._do(self._lib.dbx_job_task_set_retries(self._ptr(), int(max_retries),
                                                           int(min_retry_interval_millis),
                                                           1 if retry_on_timeout else 0))

    def run_if(self, condition) -> "Task":
        """"ALL_SUCCESS", "AT_LEAST_ONE_SUCCESS", "NONE_FAILED", "ALL_DONE", ..."""
        return self._do(self._lib.dbx_job_task_set_run_if(self._ptr(), _native.arg(condition, "run_if")))

    def set(self, field, value) -> "Task":
        """Any other Task field (``for_each_task``, ``condition_task``, ``disabled``, ...)."""
        return self._do(self._lib.dbx_job_task_set_json(self._ptr(), _native.arg(field, "field"),
                                                        json.dumps(value).encode()))

    def to_json(self) -> str:
        return _take_text(self._lib, self._lib.dbx_job_task_to_json, self._ptr())


class JobSettings(_Builder):
    """JobSettings built by libdbx's ``dbx_job_settings``; methods chain and return the builder.

    ``JobSettings.from_dict(d)`` validates a complete job; ``JobSettings()`` starts empty (also
    the way to build the partial settings of :meth:`JobsAPI.update`). Wherever the API takes
    settings, a dict works too.
    """

    _free_name = "dbx_job_settings_free"

    def __init__(self, name=None):
        super().__init__()
        errors.check(self._lib, None, self._lib.dbx_job_settings_new(ctypes.byref(self._p)))
        if name is not None:
            self.name(name)

    @classmethod
    def from_dict(cls, settings) -> "JobSettings":
        """Settings from a JobSettings dict or JSON text, validated (InvalidArgument names the
        JSON path of the first problem, e.g. ``$.tasks[1].depends_on[0].task_key``)."""
        self = cls.__new__(cls)
        _Builder.__init__(self)
        text = _json_text(settings, "settings")
        errors.check(self._lib, None, self._lib.dbx_job_settings_from_json(ctypes.byref(self._p), text.encode()))
        return self

    def name(self, name) -> "JobSettings":
        return self._do(self._lib.dbx_job_settings_set_name(self._ptr(), _native.arg(name, "name")))

    def description(self, text) -> "JobSettings":
        return self._do(self._lib.dbx_job_settings_set_description(self._ptr(), _native.arg(text, "description")))

    def task(self, *tasks) -> "JobSettings":
        """Add tasks (:class:`Task` builders or Task dicts); a task with the same key replaces."""
        for t in tasks:
            if isinstance(t, Task):
                self._do(self._lib.dbx_job_settings_add_task(self._ptr(), t._ptr()))
                continue
            if not isinstance(t, dict) or "task_key" not in t:
                raise TypeError("a task must be a Task or a dict with a task_key")
            with Task(t["task_key"]) as built:
                for k, v in t.items():
                    if k != "task_key":
                        built.set(k, v)
                self._do(self._lib.dbx_job_settings_add_task(self._ptr(), built._ptr()))
        return self

    def job_cluster(self, key, spec) -> "JobSettings":
        s = _cluster_spec(self._lib, spec)
        try:
            return self._do(self._lib.dbx_job_settings_add_job_cluster(self._ptr(), _native.arg(key, "key"), s))
        finally:
            self._lib.dbx_cluster_spec_free(s)

    def environment(self, key, client="2", dependencies=None) -> "JobSettings":
        """A serverless environment (``client`` is the environment version)."""
        arr = _strv(dependencies, "dependencies")
        return self._do(self._lib.dbx_job_settings_add_environment(
            self._ptr(), _native.arg(key, "key"), _native.arg(client, "client"), arr))

    def parameter(self, name, default) -> "JobSettings":
        return self._do(self._lib.dbx_job_settings_add_parameter(self._ptr(), _native.arg(name, "name"),
                                                                 _native.arg(str(default), "default")))

    def schedule(self, quartz_cron_expression, timezone_id="UTC", paused=False) -> "JobSettings":
        return self._do(self._lib.dbx_job_settings_set_schedule(
            self._ptr(), _native.arg(quartz_cron_expression, "quartz_cron_expression"),
            _native.arg(timezone_id, "timezone_id"), 1 if paused else 0))

    def email(self, event, *addresses) -> "JobSettings":
        """``event``: "on_start", "on_success", "on_failure" or "on_duration_warning"."""
        code = EMAIL_EVENTS.get(event)
        if code is None:
            raise errors.InvalidArgument("unknown email event %r (one of on_start, on_success, on_failure, "
                                         "on_duration_warning)" % (event,), **_EINVAL)
        for a in addresses:
            self._do(self._lib.dbx_job_settings_add_email(self._ptr(), code, _native.arg(a, "address")))
        return self

    def max_concurrent_runs(self, n) -> "JobSettings":
        return self._do(self._lib.dbx_job_settings_set_max_concurrent_runs(self._ptr(), int(n)))

    def queue(self, enabled=True) -> "JobSettings":
        return self._do(self._lib.dbx_job_settings_set_queue(self._ptr(), 1 if enabled else 0))

    def tag(self, key, value="") -> "JobSettings":
        return self._do(self._lib.dbx_job_settings_set_tag(self._ptr(), _native.arg(key, "key"),
                                                           _native.arg(value, "value")))

    def timeout(self, seconds) -> "JobSettings":
        return self._do(self._lib.dbx_job_settings_set_timeout_seconds(self._ptr(), int(seconds)))

    def set(self, field, value) -> "JobSettings":
        """Any top-level field (git_source, trigger, health, run_as, a partial ``tasks`` list, ...)."""
        return self._do(self._lib.dbx_job_settings_set_json(self._ptr(), _native.arg(field, "field"),
                                                            json.dumps(value).encode()))

    def validate(self) -> "JobSettings":
        """Check a complete job without sending it (InvalidArgument with the JSON path)."""
        return self._do(self._lib.dbx_job_settings_validate(self._ptr()))

    def to_json(self) -> str:
        return _take_text(self._lib, self._lib.dbx_job_settings_to_json, self._ptr())


# ---- results ------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Job:
    """A Job (``get``) or BaseJob (``list`` item; ``task_keys`` only with ``expand_tasks``)."""
    job_id: int
    name: str
    creator_user_name: str
    run_as_user_name: str
    created_time: int
    max_concurrent_runs: int
    task_keys: Tuple[str, ...]
    tags: Dict[str, str]
    settings: Dict[str, Any] = dataclasses.field(repr=False)
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def _from_c(cls, lib, p):
        raw = json.loads(_native.text(lib.dbx_job_json(p)) or "{}")
        settings = json.loads(_native.text(lib.dbx_job_settings_json(p)) or "{}")
        tags = {k: _native.text(lib.dbx_job_tag(p, k.encode())) for k in (settings.get("tags") or {})}
        return cls(job_id=lib.dbx_job_id(p), name=_native.text(lib.dbx_job_name(p)),
                   creator_user_name=_native.text(lib.dbx_job_creator_user_name(p)),
                   run_as_user_name=_native.text(lib.dbx_job_run_as_user_name(p)),
                   created_time=lib.dbx_job_created_time(p),
                   max_concurrent_runs=lib.dbx_job_max_concurrent_runs(p),
                   task_keys=tuple(_native.text(lib.dbx_job_task_key(p, i))
                                   for i in range(lib.dbx_job_task_count(p))),
                   tags=tags, settings=settings, raw=raw)


@dataclasses.dataclass(frozen=True)
class TaskRun:
    """One task run of a job run."""
    task_key: str
    run_id: int
    life_cycle_state: str
    result_state: Optional[str]
    state_message: str


@dataclasses.dataclass(frozen=True)
class Run:
    """A Run (``get_run``, ``wait_run``) or BaseRun (``list_runs`` item). Times are epoch ms,
    durations ms. ``result_state`` is None until the run has finished."""
    run_id: int
    job_id: int
    number_in_job: int
    run_name: str
    run_type: str
    life_cycle_state: str
    result_state: Optional[str]
    state_message: str
    status: str
    termination_code: str
    termination_type: str
    termination_message: str
    start_time: int
    end_time: int
    setup_duration: int
    execution_duration: int
    cleanup_duration: int
    run_duration: int
    queue_duration: int
    run_page_url: str
    tasks: Tuple[TaskRun, ...]
    #: task_key -> task run id (the first, for a key for-each iterations repeat)
    task_run_ids: Dict[str, int]
    job_parameters: Dict[str, str]
    is_terminal: bool
    is_success: bool
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False)

    def task(self, task_key) -> Optional[TaskRun]:
        """The task run with this key (pass its ``run_id`` to ``get_run_output``)."""
        for t in self.tasks:
            if t.task_key == task_key:
                return t
        return None

    @classmethod
    def _from_c(cls, lib, p):
        t = _native.text
        raw = json.loads(t(lib.dbx_run_json(p)) or "{}")
        n = lib.dbx_run_task_count(p)
        tasks = []
        for i in range(n):
            tasks.append(TaskRun(task_key=t(lib.dbx_run_task_key(p, i)), run_id=lib.dbx_run_task_run_id(p, i),
                                 life_cycle_state=t(lib.dbx_run_task_life_cycle_state(p, i)) or "",
                                 result_state=t(lib.dbx_run_task_result_state(p, i)) or None,
                                 state_message=t(lib.dbx_run_task_state_message(p, i)) or ""))
        ids = {k.task_key: lib.dbx_run_task_run_id_by_key(p, k.task_key.encode()) for k in tasks if k.task_key}
        params = {}
        for jp in raw.get("job_parameters") or []:
            name = jp.get("name") if isinstance(jp, dict) else None
            if isinstance(name, str):
                params[name] = t(lib.dbx_run_job_parameter(p, name.encode()))
        lc = lib.dbx_run_life_cycle_state(p)
        rs = lib.dbx_run_result_state(p)
        return cls(run_id=lib.dbx_run_id(p), job_id=lib.dbx_run_job_id(p),
                   number_in_job=lib.dbx_run_number_in_job(p), run_name=t(lib.dbx_run_name(p)),
                   run_type=t(lib.dbx_run_type(p)),
                   life_cycle_state=t(lib.dbx_run_life_cycle_state_str(p)),
                   result_state=t(lib.dbx_run_result_state_str(p)) or None,
                   state_message=t(lib.dbx_run_state_message(p)), status=t(lib.dbx_run_status_state(p)),
                   termination_code=t(lib.dbx_run_termination_code(p)),
                   termination_type=t(lib.dbx_run_termination_type(p)),
                   termination_message=t(lib.dbx_run_termination_message(p)),
                   start_time=lib.dbx_run_start_time(p), end_time=lib.dbx_run_end_time(p),
                   setup_duration=lib.dbx_run_setup_duration(p),
                   execution_duration=lib.dbx_run_execution_duration(p),
                   cleanup_duration=lib.dbx_run_cleanup_duration(p),
                   run_duration=lib.dbx_run_run_duration(p), queue_duration=lib.dbx_run_queue_duration(p),
                   run_page_url=t(lib.dbx_run_page_url(p)), tasks=tuple(tasks), task_run_ids=ids,
                   job_parameters=params,
                   is_terminal=lc in _TERMINAL, is_success=lc == 5 and rs in _SUCCESS, raw=raw)


@dataclasses.dataclass(frozen=True)
class RunOutput:
    """RunOutput of one task run."""
    run_id: int
    result_state: Optional[str]
    notebook_result: str
    notebook_truncated: bool
    logs: str
    logs_truncated: bool
    error: str
    error_trace: str
    metadata: Dict[str, Any] = dataclasses.field(repr=False)
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def _from_c(cls, lib, p):
        t = _native.text
        return cls(run_id=lib.dbx_run_output_run_id(p),
                   result_state=t(lib.dbx_run_output_result_state(p)) or None,
                   notebook_result=t(lib.dbx_run_output_notebook_result(p)),
                   notebook_truncated=bool(lib.dbx_run_output_notebook_truncated(p)),
                   logs=t(lib.dbx_run_output_logs(p)), logs_truncated=bool(lib.dbx_run_output_logs_truncated(p)),
                   error=t(lib.dbx_run_output_error(p)), error_trace=t(lib.dbx_run_output_error_trace(p)),
                   metadata=json.loads(t(lib.dbx_run_output_metadata_json(p)) or "{}"),
                   raw=json.loads(t(lib.dbx_run_output_json(p)) or "{}"))


@dataclasses.dataclass(frozen=True)
class RunStarted:
    """What ``run_now`` / ``submit`` started, and the idempotency token sent: calling again with
    ``idempotency_token=`` this token can never start a second run."""
    run_id: int
    number_in_job: int
    idempotency_token: str


# ---- the API ------------------------------------------------------------------------------

class JobsAPI(_base.Area):
    """Jobs, runs and waits (``/api/2.2/jobs/*``)."""

    PROTOS = PROTOS

    def __init__(self, client):
        super().__init__(client)
        lib = self._lib
        #: every life-cycle / result state libdbx knows, by its C enum value
        self.LIFE_CYCLE_STATES = tuple(_native.text(lib.dbx_run_life_cycle_state_name(i)) for i in range(10))
        self.RESULT_STATES = tuple(_native.text(lib.dbx_run_result_state_name(i)) for i in range(12))

    # ---- settings in --------------------------------------------------------------------------
    def _settings(self, settings, partial=False):
        """An owned C settings object (and whether we must free it)."""
        if isinstance(settings, JobSettings):
            return settings._ptr(), False
        if partial:
            if isinstance(settings, (str, bytes)):
                settings = json.loads(settings)
            if not isinstance(settings, dict):
                raise TypeError("new_settings must be a dict, JSON text or a JobSettings")
            b = JobSettings()
            try:
                for k, v in settings.items():
                    b.set(k, v)
            except BaseException:
                b.close()
                raise
            p, b._p = b._p, c_void_p()  # hand the C object over
            return p, True
        out = c_void_p()
        text = _json_text(settings, "settings")
        errors.check(self._lib, None, self._lib.dbx_job_settings_from_json(ctypes.byref(out), text.encode()))
        return out, True

    def _with_settings(self, settings, call, partial=False):
        p, owned = self._settings(settings, partial)
        try:
            return call(p)
        finally:
            if owned:
                self._lib.dbx_job_settings_free(p)

    @staticmethod
    def validate(settings) -> None:
        """Check complete job settings locally (InvalidArgument naming the JSON path)."""
        if isinstance(settings, JobSettings):
            settings.validate()
        else:
            JobSettings.from_dict(settings).close()

    # ---- jobs ---------------------------------------------------------------------------------
    def create(self, settings=None, **fields) -> int:
        """Create a job; returns its id. ``settings``: a JobSettings dict / JSON / builder;
        keywords add or override top-level fields. Not retried after a dropped connection (the
        service has no idempotency token for jobs/create)."""
        if fields:
            base = json.loads(_json_text(settings or {}, "settings"))
            base.update(fields)
            settings = base
        job_id = c_int64()
        self._with_settings(settings if settings is not None else {}, lambda s: self._check(
            self._lib.dbx_jobs_create(ctypes.byref(job_id), self._ptr(), s)))
        return job_id.value

    def get(self, job_id) -> Job:
        """A job with all its tasks (libdbx follows the 2.2 task pages)."""
        out = c_void_p()
        self._check(self._lib.dbx_jobs_get(ctypes.byref(out), self._ptr(), _pos_id(job_id, "job_id")))
        try:
            return Job._from_c(self._lib, out)
        finally:
            self._lib.dbx_job_free(out)

    def update(self, job_id, new_settings=None, fields_to_remove=None) -> None:
        """Change some settings: top-level fields replace, ``tasks`` / ``job_clusters`` merge by
        key; ``fields_to_remove`` e.g. ``["tags", "tasks/old_task"]``. Partial settings are
        checked field by field."""
        arr = _strv(fields_to_remove, "fields_to_remove")
        jid = _pos_id(job_id, "job_id")
        if new_settings is None:
            self._check(self._lib.dbx_jobs_update(self._ptr(), jid, None, arr))
            return
        self._with_settings(new_settings, lambda s: self._check(
            self._lib.dbx_jobs_update(self._ptr(), jid, s, arr)), partial=True)

    def reset(self, job_id, new_settings) -> None:
        """Replace all settings (validated as for ``create``)."""
        jid = _pos_id(job_id, "job_id")
        self._with_settings(new_settings, lambda s: self._check(self._lib.dbx_jobs_reset(self._ptr(), jid, s)))

    def delete(self, job_id) -> None:
        self._check(self._lib.dbx_jobs_delete(self._ptr(), _pos_id(job_id, "job_id")))

    def list(self, *, name=None, expand_tasks=False, limit=None, max_items=None) -> Iterator[Job]:
        """Jobs, lazily, a page at a time (``name``: exact, case-insensitive)."""
        o = _ListOptions(version=1, limit=int(limit or 0), max_items=int(max_items or 0),
                         name=_native.arg(name, "name"), expand_tasks=1 if expand_tasks else 0)
        lib = self._lib
        it = _base.CIterator(self._client, lib.dbx_jobs_iter_next, lib.dbx_jobs_iter_free,
                             lambda p: Job._from_c(lib, p))
        return it._start(lib.dbx_jobs_list(ctypes.byref(it._it), self._ptr(), ctypes.byref(o)))

    # ---- starting runs ------------------------------------------------------------------------
    def _started(self, rc, started):
        token = started.idempotency_token.decode("ascii", "replace")
        if rc < 0:
            exc = errors.from_last(self._lib, self._client._ptr, rc)
            exc.idempotency_token = token or None  # retry with it: never a second run
            raise exc
        return RunStarted(started.run_id, started.number_in_job, token)

    def run_now(self, job_id, *, job_parameters=None, only=None, queue=None, notebook_params=None,
                python_params=None, idempotency_token=None) -> RunStarted:
        """Trigger a run; returns at once with the run id and the idempotency token sent.

        ``job_parameters``: ``{"name": "value"}``; ``only``: task keys to run; ``queue``:
        True/False overrides the job's queueing. libdbx retries a dropped connection / 5xx / 429
        with the same token; a failure's exception carries ``.idempotency_token`` too."""
        keep = [_pairs(job_parameters, "job_parameters"), _strv(only, "only"),
                _pairs(notebook_params, "notebook_params"), _strv(python_params, "python_params")]
        o = _RunNowOptions(version=1, idempotency_token=_native.arg(idempotency_token, "idempotency_token"),
                           queue=0 if queue is None else (1 if queue else 2))
        o.job_parameters, o.only, o.notebook_params, o.python_params = keep
        started = _RunStarted()
        rc = self._lib.dbx_jobs_run_now(ctypes.byref(started), self._ptr(), _pos_id(job_id, "job_id"),
                                        ctypes.byref(o))
        return self._started(rc, started)

    def submit(self, spec, *, run_name=None, idempotency_token=None) -> RunStarted:
        """A one-time run without a saved job: ``spec`` holds ``tasks`` (with
        ``existing_cluster_id``, ``new_cluster`` or ``environment_key``), and optionally
        ``environments``, ``timeout_seconds``, notifications, ``git_source``, ``run_as``...;
        its ``name`` becomes the run name. Idempotent as :meth:`run_now`."""
        o = _SubmitOptions(version=1, idempotency_token=_native.arg(idempotency_token, "idempotency_token"),
                           run_name=_native.arg(run_name, "run_name"))
        started = _RunStarted()
        rc = self._with_settings(spec, lambda s: self._lib.dbx_jobs_submit(
            ctypes.byref(started), self._ptr(), s, ctypes.byref(o)))
        return self._started(rc, started)

    # ---- runs ---------------------------------------------------------------------------------
    def get_run(self, run_id) -> Run:
        """A run with all its task runs (libdbx follows the 2.2 pages)."""
        out = c_void_p()
        self._check(self._lib.dbx_jobs_get_run(ctypes.byref(out), self._ptr(), _pos_id(run_id, "run_id")))
        try:
            return Run._from_c(self._lib, out)
        finally:
            self._lib.dbx_run_free(out)

    def get_run_output(self, run_id) -> RunOutput:
        """Output of one TASK run (``run.task("key").run_id``); a multi-task parent run is refused
        by the service (InvalidParameter)."""
        out = c_void_p()
        self._check(self._lib.dbx_jobs_get_run_output(ctypes.byref(out), self._ptr(), _pos_id(run_id, "run_id")))
        try:
            return RunOutput._from_c(self._lib, out)
        finally:
            self._lib.dbx_run_output_free(out)

    def cancel_run(self, run_id) -> None:
        """Cancel a run (asynchronous: TERMINATING, then TERMINATED / CANCELED)."""
        self._check(self._lib.dbx_jobs_cancel_run(self._ptr(), _pos_id(run_id, "run_id")))

    def cancel_all_runs(self, job_id=None, *, all_queued_runs=False) -> None:
        """Cancel every active run of ``job_id`` and/or every queued run in the workspace."""
        self._check(self._lib.dbx_jobs_cancel_all_runs(self._ptr(), 0 if job_id is None else _pos_id(job_id, "job_id"),
                                                       1 if all_queued_runs else 0))

    def delete_run(self, run_id) -> None:
        """Delete a finished run."""
        self._check(self._lib.dbx_jobs_delete_run(self._ptr(), _pos_id(run_id, "run_id")))

    def repair_run(self, run_id, *, rerun_tasks=None, rerun_all_failed_tasks=False,
                   rerun_dependent_tasks=False, latest_repair_id=None, job_parameters=None) -> int:
        """Re-run tasks of a finished run (exactly one of ``rerun_tasks`` and
        ``rerun_all_failed_tasks``); returns the repair id (pass it as ``latest_repair_id`` to
        the next repair). Not retried after a dropped connection."""
        keep = [_strv(rerun_tasks, "rerun_tasks"), _pairs(job_parameters, "job_parameters")]
        o = _RepairOptions(version=1, rerun_all_failed_tasks=1 if rerun_all_failed_tasks else 0,
                           rerun_dependent_tasks=1 if rerun_dependent_tasks else 0,
                           latest_repair_id=int(latest_repair_id or 0))
        o.rerun_tasks, o.job_parameters = keep
        repair_id = c_int64()
        self._check(self._lib.dbx_jobs_repair_run(ctypes.byref(repair_id), self._ptr(),
                                                  _pos_id(run_id, "run_id"), ctypes.byref(o)))
        return repair_id.value

    def list_runs(self, job_id=None, *, active_only=False, completed_only=False, run_type=None,
                  start_time_from=None, start_time_to=None, expand_tasks=False, limit=None,
                  max_items=None) -> Iterator[Run]:
        """Runs, most recent first, lazily. Times are epoch ms; ``run_type`` "JOB_RUN",
        "WORKFLOW_RUN" or "SUBMIT_RUN"."""
        o = _RunsListOptions(version=1, job_id=0 if job_id is None else _pos_id(job_id, "job_id"),
                             active_only=1 if active_only else 0, completed_only=1 if completed_only else 0,
                             run_type=_native.arg(run_type, "run_type"),
                             start_time_from=int(start_time_from or 0), start_time_to=int(start_time_to or 0),
                             expand_tasks=1 if expand_tasks else 0, limit=int(limit or 0),
                             max_items=int(max_items or 0))
        lib = self._lib
        it = _base.CIterator(self._client, lib.dbx_runs_iter_next, lib.dbx_runs_iter_free,
                             lambda p: Run._from_c(lib, p))
        return it._start(lib.dbx_jobs_list_runs(ctypes.byref(it._it), self._ptr(), ctypes.byref(o)))

    # ---- waiting ------------------------------------------------------------------------------
    def wait_run(self, run_id, timeout=None, progress=None, *, poll_interval=None, poll_max=None) -> Run:
        """Poll until the run is TERMINATED, SKIPPED or INTERNAL_ERROR.

        ``timeout`` in seconds; None (the default) waits as long as the run takes (jobs run for
        hours): stop it with Ctrl-C or by raising in ``progress(run_id, life_cycle_state)``,
        which is called after every poll. Success (SUCCESS, SUCCESS_WITH_FAILURES) returns the
        final :class:`Run`; any other end raises :class:`~libdbx.errors.OperationFailed`, a
        deadline :class:`~libdbx.errors.Timeout`, both with ``.last`` the last snapshot. The run
        itself is never cancelled by an interrupted wait (use :meth:`cancel_run`)."""
        w = _base.Waiter(self._lib, timeout, progress, poll_interval, poll_max)
        out = c_void_p()
        with _base.CtrlC(w):
            st = self._lib.dbx_jobs_wait_run(ctypes.byref(out), self._ptr(), _pos_id(run_id, "run_id"),
                                             ctypes.byref(w.opts))
        last = None
        if out:
            try:
                last = Run._from_c(self._lib, out)
            finally:
                self._lib.dbx_run_free(out)
        w.raise_pending()  # KeyboardInterrupt (Ctrl-C) or the callback's own exception
        if st < 0:
            exc = errors.from_last(self._lib, self._client._ptr, st)
            exc.last = last
            raise exc
        return last

    def run_now_and_wait(self, job_id, *, timeout=None, progress=None, poll_interval=None,
                         poll_max=None, **run_now_args) -> Run:
        """:meth:`run_now` then :meth:`wait_run`. A failure of the wait carries
        ``.started`` (the :class:`RunStarted`) besides ``.last``."""
        started = self.run_now(job_id, **run_now_args)
        try:
            return self.wait_run(started.run_id, timeout, progress, poll_interval=poll_interval,
                                 poll_max=poll_max)
        except errors.DatabricksError as exc:
            exc.started = started
            raise


__all__ = ["JobsAPI", "JobSettings", "Task", "Job", "Run", "TaskRun", "RunOutput", "RunStarted"]
