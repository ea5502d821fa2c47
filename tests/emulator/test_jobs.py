"""Tests for the emulator's Jobs API 2.1 / 2.2 (docs/emulator.md, "Jobs").

Everything moves on the virtual clock (POST /__emulator/clock), nothing sleeps for run states.
"""

import http.client
import os
import time
import urllib.parse

import pytest

from test_emulator import Emu, assert_error, start_emulator, stop_emulator

NB = {"task_key": "nb", "notebook_task": {"notebook_path": "/Users/me/nb"},
      "existing_cluster_id": "0101-000000-abcdefgh"}
PY = {"task_key": "py", "spark_python_task": {"python_file": "/Workspace/main.py",
                                              "parameters": ["a"]},
      "job_cluster_key": "jc"}
JC = [{"job_cluster_key": "jc", "new_cluster": {"spark_version": "15.4.x-scala2.12",
                                                "node_type_id": "i3.xlarge", "num_workers": 1}}]
PENDING, RUNNING, TERM = 1000, 2000, 500


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    proc, info = start_emulator(tmp_path_factory.mktemp("emu"))
    try:
        yield JobsEmu(info)
    finally:
        stop_emulator(proc)


@pytest.fixture(autouse=True)
def _reset(emu):
    emu.ctl("POST", "reset")
    yield


class JobsEmu(Emu):
    def jobs(self, method, op, body=None, query=None, version="2.2", **kw):
        path = "/api/%s/jobs/%s" % (version, op)
        if query:
            path += "?" + urllib.parse.urlencode(query, doseq=True)
        return self.call(method, path, body, **kw)

    def ok(self, method, op, body=None, query=None, version="2.2"):
        status, data = self.jobs(method, op, body, query, version)
        assert status == 200, (status, data)
        return data

    def create(self, **settings):
        settings.setdefault("name", "job")
        settings.setdefault("tasks", [NB])
        return self.ok("POST", "create", settings)["job_id"]

    def run_now(self, job_id, **kw):
        kw["job_id"] = job_id
        return self.ok("POST", "run-now", kw)["run_id"]

    def run(self, run_id, **q):
        q["run_id"] = run_id
        return self.ok("GET", "runs/get", query=q)

    def lc(self, run_id):
        return self.run(run_id)["state"]["life_cycle_state"]

    def outcomes(self, *rules):
        self.ctl("POST", "jobs/task-outcomes", {"rules": list(rules)})


# ---- jobs CRUD ----------------------------------------------------------------------------------
def test_create_get_defaults_and_both_prefixes(emu):
    jid = emu.create(name="etl", tasks=[NB, PY], job_clusters=JC, tags={"team": "x"})
    assert jid > 2 ** 32
    for v in ("2.1", "2.2"):
        j = emu.ok("GET", "get", query={"job_id": jid}, version=v)
        assert j["job_id"] == jid
        assert j["creator_user_name"] and j["run_as_user_name"] and j["created_time"] > 0
        s = j["settings"]
        assert s["name"] == "etl" and s["max_concurrent_runs"] == 1
        assert s["format"] == "MULTI_TASK" and s["timeout_seconds"] == 0
        assert [t["task_key"] for t in s["tasks"]] == ["nb", "py"]
        assert s["tasks"][0]["run_if"] == "ALL_SUCCESS"
        assert s["tasks"][0]["notebook_task"]["source"] == "WORKSPACE"
        assert s["job_clusters"] == JC and s["tags"] == {"team": "x"}
        assert "next_page_token" not in j
    assert emu.ok("GET", "get", query={"job_id": emu.create(name=None)})["settings"]["name"] \
        == "Untitled"


def test_missing_job_is_400_invalid_parameter(emu):
    for method, op, args in (("GET", "get", None), ("POST", "delete", None),
                             ("POST", "run-now", None), ("POST", "reset", {"new_settings": {}}),
                             ("POST", "update", {})):
        body = {"job_id": 424242}
        body.update(args or {})
        if method == "GET":
            st, b = emu.jobs(method, op, query=body)
        else:
            st, b = emu.jobs(method, op, body)
        assert_error(st, b, 400, "INVALID_PARAMETER_VALUE", "Job 424242 does not exist.")
    st, b = emu.jobs("GET", "get", query={"job_id": "abc"})
    assert_error(st, b, 400, "INVALID_PARAMETER_VALUE")
    st, b = emu.jobs("GET", "get")
    assert_error(st, b, 400, "INVALID_PARAMETER_VALUE", "job_id")


@pytest.mark.parametrize("tasks,msg", [
    ([{"notebook_task": {"notebook_path": "/x"}}], "Task key"),
    ([{"task_key": "a"}], "exactly one task type"),
    ([{"task_key": "a", "notebook_task": {"notebook_path": "/x"},
       "spark_python_task": {"python_file": "/y"}}], "more than one task type"),
    ([NB, NB], "unique"),
    ([dict(NB, depends_on=[{"task_key": "zz"}])], "zz"),
    ([dict(NB, task_key="a", depends_on=[{"task_key": "b"}]),
      dict(NB, task_key="b", depends_on=[{"task_key": "a"}])], "cycle"),
    ([dict(NB, task_key="a", depends_on=[{"task_key": "a"}])], "itself"),
    ([dict(NB, run_if="SOMETIMES")], "run_if"),
    ([{"task_key": "a", "notebook_task": {}}], "notebook_path"),
    ([dict(PY, job_cluster_key="nope")], "job_cluster_key"),
    ("x", "array"),
])
def test_task_validation(emu, tasks, msg):
    st, b = emu.jobs("POST", "create", {"name": "bad", "tasks": tasks, "job_clusters": JC})
    assert_error(st, b, 400, "INVALID_PARAMETER_VALUE", msg)
    assert emu.ok("GET", "list") == {"has_more": False}


def test_settings_validation(emu):
    for body, msg in (({"max_concurrent_runs": 1001}, "max_concurrent_runs"),
                      ({"max_concurrent_runs": -1}, "max_concurrent_runs"),
                      ({"parameters": [{"name": "a b", "default": ""}]}, "parameter"),
                      ({"parameters": [{"name": "a"}]}, "default"),
                      ({"tags": {str(i): "" for i in range(26)}}, "25"),
                      ({"name": "x" * 4097}, "name"),
                      ({"queue": {}}, "queue")):
        st, b = emu.jobs("POST", "create", body)
        assert_error(st, b, 400, "INVALID_PARAMETER_VALUE", msg)


def test_list_paging_filter_expand(emu):
    ids = [emu.create(name="J%d" % i, tasks=[NB]) for i in range(5)]
    emu.create(name="other")
    page = emu.ok("GET", "list", query={"limit": 2})
    assert [j["job_id"] for j in page["jobs"]] == ids[:2] and page["has_more"] is True
    assert "tasks" not in page["jobs"][0]["settings"]
    seen = []
    q = {"limit": 2}
    while True:
        page = emu.ok("GET", "list", query=q)
        seen += [j["job_id"] for j in page.get("jobs", [])]
        if "next_page_token" not in page:
            assert page["has_more"] is False
            break
        q = {"limit": 2, "page_token": page["next_page_token"]}
        assert "prev_page_token" in emu.ok("GET", "list", query=q)
    assert seen == ids + [ids[-1] + 1]
    # default 20, config cap
    emu.ctl("POST", "config", {"jobs_page_size_max": 3})
    assert len(emu.ok("GET", "list")["jobs"]) == 3
    # name: exact, case-insensitive
    got = emu.ok("GET", "list", query={"name": "j3"})["jobs"]
    assert [j["job_id"] for j in got] == [ids[3]]
    assert emu.ok("GET", "list", query={"name": "J"}) == {"has_more": False}
    ex = emu.ok("GET", "list", query={"name": "J1", "expand_tasks": "true"})["jobs"][0]
    assert ex["settings"]["tasks"][0]["task_key"] == "nb" and ex["has_more"] is False
    for bad in (101, -1):
        st, b = emu.jobs("GET", "list", query={"limit": bad})
        assert_error(st, b, 400, "INVALID_PARAMETER_VALUE", "limit")
    st, b = emu.jobs("GET", "list", query={"page_token": "garbage"})
    assert_error(st, b, 400, "INVALID_PARAMETER_VALUE")


def test_get_22_pages_arrays(emu):
    tasks = [dict(NB, task_key="t%d" % i) for i in range(5)]
    params = [{"name": "p%d" % i, "default": "d"} for i in range(2)]
    jid = emu.create(tasks=tasks, parameters=params)
    emu.ctl("POST", "config", {"jobs_page_size_max": 2})
    j = emu.ok("GET", "get", query={"job_id": jid})
    keys = [t["task_key"] for t in j["settings"]["tasks"]]
    assert keys == ["t0", "t1"] and len(j["settings"]["parameters"]) == 2
    j2 = emu.ok("GET", "get", query={"job_id": jid, "page_token": j["next_page_token"]})
    assert [t["task_key"] for t in j2["settings"]["tasks"]] == ["t2", "t3"]
    assert j2["settings"]["parameters"] == []
    j3 = emu.ok("GET", "get", query={"job_id": jid, "page_token": j2["next_page_token"]})
    assert [t["task_key"] for t in j3["settings"]["tasks"]] == ["t4"]
    assert "next_page_token" not in j3
    # 2.1: whole arrays
    j21 = emu.ok("GET", "get", query={"job_id": jid}, version="2.1")
    assert len(j21["settings"]["tasks"]) == 5 and "next_page_token" not in j21


def test_update_merge_and_remove_reset_delete(emu):
    jid = emu.create(name="a", tasks=[NB, PY], job_clusters=JC, tags={"k": "v"},
                     description="d")
    nb2 = dict(NB, notebook_task={"notebook_path": "/Users/me/nb2"})
    new = dict(NB, task_key="new")
    emu.ok("POST", "update", {"job_id": jid, "new_settings": {"name": "b", "tasks": [nb2, new]},
                              "fields_to_remove": ["tags", "tasks/py"]})
    s = emu.ok("GET", "get", query={"job_id": jid})["settings"]
    assert s["name"] == "b" and "tags" not in s and s["description"] == "d"
    assert [t["task_key"] for t in s["tasks"]] == ["nb", "new"]
    assert s["tasks"][0]["notebook_task"]["notebook_path"] == "/Users/me/nb2"
    st, b = emu.jobs("POST", "update", {"job_id": jid, "fields_to_remove": ["tasks/zz"]})
    assert_error(st, b, 400, "INVALID_PARAMETER_VALUE", "tasks/zz")
    # a merge that leaves a dangling dependency is rejected and changes nothing
    st, b = emu.jobs("POST", "update", {"job_id": jid, "new_settings": {
        "tasks": [dict(NB, task_key="x", depends_on=[{"task_key": "ghost"}])]}})
    assert_error(st, b, 400, "INVALID_PARAMETER_VALUE", "ghost")
    assert len(emu.ok("GET", "get", query={"job_id": jid})["settings"]["tasks"]) == 2
    emu.ok("POST", "reset", {"job_id": jid, "new_settings": {"name": "c", "tasks": [PY],
                                                             "job_clusters": JC}})
    s = emu.ok("GET", "get", query={"job_id": jid})["settings"]
    assert s["name"] == "c" and [t["task_key"] for t in s["tasks"]] == ["py"]
    assert "description" not in s
    st, b = emu.jobs("POST", "reset", {"job_id": jid})
    assert_error(st, b, 400, "INVALID_PARAMETER_VALUE", "new_settings")
    emu.ok("POST", "delete", {"job_id": jid})
    st, b = emu.jobs("GET", "get", query={"job_id": jid})
    assert_error(st, b, 400, "INVALID_PARAMETER_VALUE", "does not exist")


# ---- runs: state machine ------------------------------------------------------------------------
def test_run_state_machine_single_task(emu):
    jid = emu.create(tasks=[NB])
    body = emu.ok("POST", "run-now", {"job_id": jid})
    rid = body["run_id"]
    assert body["number_in_job"] == rid
    r = emu.run(rid)
    assert r["state"] == {"life_cycle_state": "PENDING", "state_message": "",
                          "user_cancelled_or_timedout": False}
    assert r["status"] == {"state": "PENDING"}
    assert r["job_id"] == jid and r["run_type"] == "JOB_RUN" and r["trigger"] == "ONE_TIME"
    assert r["job_run_id"] == rid == r["original_attempt_run_id"]
    assert r["number_in_job"] == rid and r["end_time"] == 0 and r["start_time"] > 0
    assert r["run_page_url"].endswith("#job/%d/run/%d" % (jid, rid))
    (t,) = r["tasks"]
    assert t["task_key"] == "nb" and t["run_id"] != rid
    assert t["state"]["life_cycle_state"] == "PENDING" and t["attempt_number"] == 0
    assert t["notebook_task"]["notebook_path"] == "/Users/me/nb"
    emu.advance(PENDING)
    r = emu.run(rid)
    assert r["state"]["life_cycle_state"] == "RUNNING" and r["status"]["state"] == "RUNNING"
    t = r["tasks"][0]
    assert t["cluster_instance"]["cluster_id"] == "0101-000000-abcdefgh"
    assert t["cluster_instance"]["spark_context_id"]
    assert t["setup_duration"] == PENDING
    emu.advance(RUNNING)
    r = emu.run(rid)
    assert r["state"]["life_cycle_state"] == "TERMINATING"
    assert r["tasks"][0]["state"]["life_cycle_state"] == "TERMINATING"
    assert "result_state" not in r["state"]
    emu.advance(TERM)
    r = emu.run(rid)
    assert r["state"] == {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS",
                          "state_message": "", "user_cancelled_or_timedout": False}
    assert r["status"] == {"state": "TERMINATED", "termination_details": {
        "code": "SUCCESS", "type": "SUCCESS", "message": ""}}
    assert r["end_time"] - r["start_time"] == PENDING + RUNNING + TERM == r["run_duration"]
    t = r["tasks"][0]
    assert (t["setup_duration"], t["execution_duration"], t["cleanup_duration"]) == (
        PENDING, RUNNING, TERM)
    assert t["end_time"] == r["end_time"] and t["state"]["result_state"] == "SUCCESS"
    # the task run id is readable too, in Run shape
    tr = emu.run(t["run_id"])
    assert tr["run_id"] == t["run_id"] and tr["job_run_id"] == rid and tr["task_key"] == "nb"


def test_one_big_advance_gives_exact_times(emu):
    jid = emu.create(tasks=[dict(NB, task_key="a"),
                            dict(NB, task_key="b", depends_on=[{"task_key": "a"}])])
    rid = emu.run_now(jid)
    emu.advance(60000)
    r = emu.run(rid)
    a, b = r["tasks"]
    assert a["end_time"] == b["start_time"]
    assert r["end_time"] - r["start_time"] == 2 * (PENDING + RUNNING + TERM)
    assert r["state"]["result_state"] == "SUCCESS"


def test_dependencies_blocked_and_upstream_failed(emu):
    emu.outcomes({"match": "bad", "result_state": "FAILED", "state_message": "boom",
                  "error": "ValueError: boom", "error_trace": "trace..."})
    tasks = [dict(NB, task_key="bad"),
             dict(NB, task_key="down", depends_on=[{"task_key": "bad"}]),
             dict(NB, task_key="always", run_if="ALL_DONE", depends_on=[{"task_key": "bad"}]),
             dict(NB, task_key="onfail", run_if="AT_LEAST_ONE_FAILED",
                  depends_on=[{"task_key": "bad"}]),
             dict(NB, task_key="ok")]
    jid = emu.create(tasks=tasks)
    rid = emu.run_now(jid)
    r = emu.run(rid)
    states = {t["task_key"]: t["state"]["life_cycle_state"] for t in r["tasks"]}
    assert states == {"bad": "PENDING", "down": "BLOCKED", "always": "BLOCKED",
                      "onfail": "BLOCKED", "ok": "PENDING"}
    assert r["tasks"][1]["status"]["state"] == "BLOCKED"
    emu.advance(PENDING + RUNNING + TERM)
    r = emu.run(rid)
    by = {t["task_key"]: t for t in r["tasks"]}
    assert by["bad"]["state"]["result_state"] == "FAILED"
    assert by["bad"]["state"]["state_message"] == "boom"
    assert by["bad"]["status"]["termination_details"]["code"] == "RUN_EXECUTION_ERROR"
    assert by["down"]["state"]["result_state"] == "UPSTREAM_FAILED"
    assert by["down"]["status"]["termination_details"]["code"] == "SKIPPED"
    assert by["always"]["state"]["life_cycle_state"] == "PENDING"
    assert by["onfail"]["state"]["life_cycle_state"] == "PENDING"
    emu.advance(10000)
    r = emu.run(rid)
    assert r["state"]["result_state"] == "FAILED"
    assert "Task bad failed with message: boom" in r["state"]["state_message"]
    assert r["status"]["termination_details"]["code"] == "RUN_EXECUTION_ERROR"
    # get-output of the failed task
    out = emu.ok("GET", "runs/get-output", query={"run_id": by["bad"]["run_id"]})
    assert out["error"] == "ValueError: boom" and out["error_trace"] == "trace..."
    assert out["metadata"]["run_id"] == by["bad"]["run_id"]
    assert out["metadata"]["state"]["result_state"] == "FAILED"


def test_success_with_failures_and_excluded(emu):
    emu.outcomes({"match": "bad", "result_state": "FAILED"})
    tasks = [dict(NB, task_key="bad"),
             dict(NB, task_key="leaf", run_if="ALL_DONE", depends_on=[{"task_key": "bad"}]),
             dict(NB, task_key="never", run_if="ALL_FAILED", depends_on=[{"task_key": "ok"}]),
             dict(NB, task_key="ok")]
    rid = emu.run_now(emu.create(tasks=tasks))
    emu.advance(60000)
    r = emu.run(rid)
    by = {t["task_key"]: t["state"]["result_state"] for t in r["tasks"]}
    assert by == {"bad": "FAILED", "leaf": "SUCCESS", "never": "EXCLUDED", "ok": "SUCCESS"}
    assert r["state"]["result_state"] == "SUCCESS_WITH_FAILURES"
    assert r["status"]["termination_details"]["code"] == "SUCCESS_WITH_FAILURES"


def test_condition_task_branches(emu):
    tasks = [{"task_key": "cond", "condition_task": {"op": "GREATER_THAN", "left": "5",
                                                     "right": "3"}},
             dict(NB, task_key="yes", depends_on=[{"task_key": "cond", "outcome": "true"}]),
             dict(NB, task_key="no", depends_on=[{"task_key": "cond", "outcome": "false"}])]
    rid = emu.run_now(emu.create(tasks=tasks))
    emu.advance(60000)
    r = emu.run(rid)
    by = {t["task_key"]: t for t in r["tasks"]}
    assert by["cond"]["condition_task"]["outcome"] == "true"
    assert by["yes"]["state"]["result_state"] == "SUCCESS"
    assert by["no"]["state"]["result_state"] == "EXCLUDED"
    assert r["state"]["result_state"] == "SUCCESS"


def test_get_output_by_task_type(emu):
    emu.outcomes({"match": "/Users/me/nb", "notebook_result": "42"},
                 {"match": "main.py", "logs": "hello\n"})
    jid = emu.create(tasks=[NB, PY], job_clusters=JC)
    rid = emu.run_now(jid)
    r = emu.run(rid)
    st, b = emu.jobs("GET", "runs/get-output", query={"run_id": rid})
    assert_error(st, b, 400, "INVALID_PARAMETER_VALUE", "multiple tasks")
    nb_id, py_id = (t["run_id"] for t in r["tasks"])
    out = emu.ok("GET", "runs/get-output", query={"run_id": nb_id})
    assert "notebook_output" not in out and out["metadata"]["state"]["life_cycle_state"] == \
        "PENDING"
    emu.advance(60000)
    out = emu.ok("GET", "runs/get-output", query={"run_id": nb_id})
    assert out["notebook_output"] == {"result": "42", "truncated": False}
    assert "logs" not in out and "error" not in out
    out = emu.ok("GET", "runs/get-output", query={"run_id": py_id}, version="2.1")
    assert out["logs"] == "hello\n" and out["logs_truncated"] is False
    assert out["metadata"]["task_key"] == "py"
    assert out["metadata"]["cluster_instance"]["cluster_id"]
    # single-task job run: its one task's output
    rid1 = emu.run_now(emu.create(tasks=[NB]))
    emu.advance(60000)
    assert emu.ok("GET", "runs/get-output", query={"run_id": rid1})["notebook_output"][
        "result"] == "42"
    st, b = emu.jobs("GET", "runs/get-output", query={"run_id": 77})
    assert_error(st, b, 400, "INVALID_PARAMETER_VALUE", "Run 77 does not exist.")


def test_unknown_run_errors(emu):
    for method, op in (("GET", "runs/get"), ("POST", "runs/cancel"), ("POST", "runs/delete"),
                       ("POST", "runs/repair")):
        if method == "GET":
            st, b = emu.jobs(method, op, query={"run_id": 99})
        else:
            st, b = emu.jobs(method, op, {"run_id": 99, "rerun_all_failed_tasks": True})
        assert_error(st, b, 400, "INVALID_PARAMETER_VALUE", "Run 99 does not exist.")


# ---- concurrency: queue and skip ----------------------------------------------------------------
def test_max_concurrent_skip(emu):
    jid = emu.create()
    r1 = emu.run_now(jid)
    r2 = emu.run_now(jid)
    r = emu.run(r2)
    assert r["state"]["life_cycle_state"] == "SKIPPED"
    assert r["state"]["result_state"] == "MAXIMUM_CONCURRENT_RUNS_REACHED"
    assert "limit of 1 maximum concurrent runs" in r["state"]["state_message"]
    assert r["status"]["state"] == "TERMINATED"
    assert r["status"]["termination_details"]["code"] == "MAX_CONCURRENT_RUNS_EXCEEDED"
    assert emu.lc(r1) == "PENDING"
    # max_concurrent_runs 0: every run is skipped
    j0 = emu.create(max_concurrent_runs=0)
    assert emu.lc(emu.run_now(j0)) == "SKIPPED"


def test_queue_then_start_when_slot_frees(emu):
    jid = emu.create(queue={"enabled": True})
    r1 = emu.run_now(jid)
    r2 = emu.run_now(jid)
    r = emu.run(r2)
    assert r["state"]["life_cycle_state"] == "QUEUED"
    assert r["state"]["queue_reason"].startswith("Queued due to reaching maximum concurrent")
    assert r["status"] == {"state": "QUEUED", "queue_details": {
        "code": "MAX_CONCURRENT_RUNS_REACHED", "message": r["state"]["queue_reason"]}}
    assert r["tasks"][0]["state"]["life_cycle_state"] == "QUEUED"
    # run-now's queue overrides the job's setting
    r3 = emu.run_now(jid, queue={"enabled": False})
    assert emu.lc(r3) == "SKIPPED"
    emu.advance(PENDING + RUNNING + TERM)
    assert emu.lc(r1) == "TERMINATED"
    r = emu.run(r2)
    assert r["state"]["life_cycle_state"] == "PENDING" and "queue_reason" not in r["state"]
    assert r["queue_duration"] == emu.run(r1)["end_time"] - r["start_time"] > 3000
    emu.advance(PENDING + RUNNING + TERM)
    assert emu.run(r2)["state"]["result_state"] == "SUCCESS"
    # run-now queue enabled on a job without queueing
    j2 = emu.create()
    emu.run_now(j2)
    assert emu.lc(emu.run_now(j2, queue={"enabled": True})) == "QUEUED"


def test_max_concurrent_two(emu):
    jid = emu.create(max_concurrent_runs=2)
    a, b, c = emu.run_now(jid), emu.run_now(jid), emu.run_now(jid)
    assert [emu.lc(x) for x in (a, b, c)] == ["PENDING", "PENDING", "SKIPPED"]


# ---- cancel -------------------------------------------------------------------------------------
def test_cancel_run(emu):
    rid = emu.run_now(emu.create(tasks=[dict(NB, task_key="a"),
                                        dict(NB, task_key="b", depends_on=[{"task_key": "a"}])]))
    emu.advance(PENDING)
    emu.ok("POST", "runs/cancel", {"run_id": rid})
    r = emu.run(rid)
    assert r["state"]["life_cycle_state"] == "TERMINATING"
    assert r["tasks"][0]["state"]["life_cycle_state"] == "TERMINATING"
    assert r["tasks"][1]["state"]["life_cycle_state"] == "TERMINATED"
    emu.advance(TERM)
    r = emu.run(rid)
    assert r["state"]["life_cycle_state"] == "TERMINATED"
    assert r["state"]["result_state"] == "CANCELED"
    assert r["state"]["user_cancelled_or_timedout"] is True
    assert r["status"]["termination_details"]["code"] == "USER_CANCELED"
    assert all(t["state"]["result_state"] == "CANCELED" for t in r["tasks"])
    emu.ok("POST", "runs/cancel", {"run_id": rid})  # finished: no-op


def test_cancel_task_run_and_queued(emu):
    jid = emu.create(queue={"enabled": True},
                     tasks=[dict(NB, task_key="a"),
                            dict(NB, task_key="b", depends_on=[{"task_key": "a"}])])
    rid = emu.run_now(jid)
    queued = emu.run_now(jid)
    a = emu.run(rid)["tasks"][0]["run_id"]
    emu.ok("POST", "runs/cancel", {"run_id": a})
    emu.ok("POST", "runs/cancel", {"run_id": queued})
    r = emu.run(queued)
    assert r["state"]["life_cycle_state"] == "TERMINATED"
    assert r["state"]["result_state"] == "CANCELED"
    emu.advance(TERM)
    r = emu.run(rid)
    by = {t["task_key"]: t["state"].get("result_state") for t in r["tasks"]}
    assert by == {"a": "CANCELED", "b": "UPSTREAM_CANCELED"}
    emu.advance(TERM)
    r = emu.run(rid)
    assert r["state"]["life_cycle_state"] == "TERMINATED"
    assert r["state"]["result_state"] == "CANCELED"


def test_cancel_all(emu):
    jid = emu.create(queue={"enabled": True})
    a, b = emu.run_now(jid), emu.run_now(jid)
    other = emu.create(queue={"enabled": True})
    c, d = emu.run_now(other), emu.run_now(other)
    st, body = emu.jobs("POST", "runs/cancel-all", {})
    assert_error(st, body, 400, "INVALID_PARAMETER_VALUE")
    emu.ok("POST", "runs/cancel-all", {"job_id": jid})
    emu.advance(TERM)
    assert [emu.run(x)["state"]["result_state"] for x in (a, b)] == ["CANCELED", "CANCELED"]
    emu.ok("POST", "runs/cancel-all", {"all_queued_runs": True})
    assert emu.lc(c) == "PENDING"
    assert emu.run(d)["state"]["result_state"] == "CANCELED"


def test_timeouts(emu):
    rid = emu.run_now(emu.create(timeout_seconds=2))
    emu.advance(2000)
    r = emu.run(rid)
    assert r["state"]["life_cycle_state"] == "TERMINATING"
    emu.advance(TERM)
    r = emu.run(rid)
    assert r["state"]["result_state"] == "TIMEDOUT"
    assert r["state"]["user_cancelled_or_timedout"] is True
    assert r["status"]["termination_details"]["code"] == "CANCELED"
    # task timeout
    rid = emu.run_now(emu.create(tasks=[dict(NB, timeout_seconds=1)]))
    emu.advance(10000)
    r = emu.run(rid)
    assert r["tasks"][0]["state"]["result_state"] == "TIMEDOUT"
    assert r["state"]["result_state"] == "TIMEDOUT"


# ---- idempotency and drop_after -----------------------------------------------------------------
def test_idempotency_token(emu):
    jid = emu.create(max_concurrent_runs=5)
    a = emu.run_now(jid, idempotency_token="tok-1")
    assert emu.run_now(jid, idempotency_token="tok-1") == a
    assert emu.run_now(jid, idempotency_token="tok-2") != a
    runs = emu.ok("GET", "runs/list", query={"job_id": jid})["runs"]
    assert len(runs) == 2
    s = emu.ok("POST", "runs/submit", {"tasks": [NB], "idempotency_token": "sub"})["run_id"]
    assert emu.ok("POST", "runs/submit", {"tasks": [NB], "idempotency_token": "sub"})[
        "run_id"] == s
    st, b = emu.jobs("POST", "run-now", {"job_id": jid, "idempotency_token": "x" * 65})
    assert_error(st, b, 400, "INVALID_PARAMETER_VALUE", "idempotency_token")
    emu.run_now(jid, idempotency_token="x" * 64)


def test_drop_after_runs_once(emu):
    jid = emu.create()
    emu.ctl("POST", "faults", {"path": "/api/2.2/jobs/run-now", "action": "drop_after"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        emu.raw("POST", "/api/2.2/jobs/run-now", {"job_id": jid, "idempotency_token": "t"})
    runs = emu.ok("GET", "runs/list", query={"job_id": jid})["runs"]
    assert len(runs) == 1  # the request took effect
    again = emu.run_now(jid, idempotency_token="t")  # the retry: same run
    assert again == runs[0]["run_id"]
    assert len(emu.ok("GET", "runs/list", query={"job_id": jid})["runs"]) == 1
    log = [e for e in emu.requests() if e["path"] == "/api/2.2/jobs/run-now"]
    assert log[0]["status"] is None and log[0]["fault"] is not None
    assert log[1]["status"] == 200


# ---- submit, list, delete -----------------------------------------------------------------------
def test_submit(emu):
    rid = emu.ok("POST", "runs/submit", {"run_name": "once", "tasks": [NB, PY],
                                         "job_clusters": JC})["run_id"]
    r = emu.run(rid)
    assert r["run_type"] == "SUBMIT_RUN" and r["run_name"] == "once"
    assert len(r["tasks"]) == 2
    emu.advance(60000)
    assert emu.run(rid)["state"]["result_state"] == "SUCCESS"
    for body in ({}, {"tasks": []}, {"tasks": [{"task_key": "x"}]}):
        st, b = emu.jobs("POST", "runs/submit", body)
        assert_error(st, b, 400, "INVALID_PARAMETER_VALUE")
    assert emu.run(emu.ok("POST", "runs/submit", {"tasks": [NB]})["run_id"])[
        "run_name"] == "Untitled"


def test_runs_list(emu):
    jid = emu.create(max_concurrent_runs=100)
    ids = []
    for _ in range(7):
        ids.append(emu.run_now(jid))
        emu.advance(1000)  # run i ends at 1000 i + 3500: the first 4 are done now
    sub = emu.ok("POST", "runs/submit", {"tasks": [NB]})["run_id"]
    page = emu.ok("GET", "runs/list", query={"job_id": jid, "limit": 3})
    assert [r["run_id"] for r in page["runs"]] == ids[::-1][:3]  # newest first
    assert page["has_more"] is True and "tasks" not in page["runs"][0]
    seen, q = [], {"job_id": jid, "limit": 3}
    while True:
        page = emu.ok("GET", "runs/list", query=q)
        seen += [r["run_id"] for r in page["runs"]]
        if not page["has_more"]:
            assert "next_page_token" not in page
            break
        q = dict(q, page_token=page["next_page_token"])
    assert seen == ids[::-1]
    all_runs = [r["run_id"] for r in emu.ok("GET", "runs/list")["runs"]]
    assert all_runs[0] == sub and len(all_runs) == 8
    active = emu.ok("GET", "runs/list", query={"job_id": jid, "active_only": "true"})["runs"]
    done = emu.ok("GET", "runs/list", query={"job_id": jid, "completed_only": "true"})["runs"]
    assert len(active) == 3 and len(done) == 4
    st, b = emu.jobs("GET", "runs/list", query={"active_only": "true",
                                                "completed_only": "true"})
    assert_error(st, b, 400, "INVALID_PARAMETER_VALUE")
    for bad in (25, -1):
        st, b = emu.jobs("GET", "runs/list", query={"limit": bad})
        assert_error(st, b, 400, "INVALID_PARAMETER_VALUE", "limit")
    assert len(emu.ok("GET", "runs/list", query={"limit": 0})["runs"]) == 8
    subs = emu.ok("GET", "runs/list", query={"run_type": "SUBMIT_RUN"})["runs"]
    assert [r["run_id"] for r in subs] == [sub]
    t0 = emu.run(ids[2])["start_time"]
    win = emu.ok("GET", "runs/list", query={"job_id": jid, "start_time_from": t0,
                                            "start_time_to": t0 + 1500})["runs"]
    assert [r["run_id"] for r in win] == [ids[3], ids[2]]
    exp = emu.ok("GET", "runs/list", query={"job_id": jid, "expand_tasks": "true",
                                            "limit": 1})["runs"][0]
    assert exp["tasks"][0]["task_key"] == "nb"
    emu.ctl("POST", "config", {"jobs_page_size_max": 2})
    assert len(emu.ok("GET", "runs/list")["runs"]) == 2
    st, b = emu.jobs("GET", "runs/list", query={"job_id": 5})
    assert_error(st, b, 400, "INVALID_PARAMETER_VALUE", "Job 5 does not exist.")
    assert emu.ok("GET", "runs/list", query={"job_id": emu.create()}) == {"has_more": False}


def test_runs_delete(emu):
    jid = emu.create()
    rid = emu.run_now(jid, idempotency_token="d")
    st, b = emu.jobs("POST", "runs/delete", {"run_id": rid})
    assert_error(st, b, 400, "INVALID_STATE", "active")
    emu.advance(60000)
    task_id = emu.run(rid)["tasks"][0]["run_id"]
    emu.ok("POST", "runs/delete", {"run_id": rid})
    for x in (rid, task_id):
        st, b = emu.jobs("GET", "runs/get", query={"run_id": x})
        assert_error(st, b, 400, "INVALID_PARAMETER_VALUE", "does not exist")
    assert emu.run_now(jid, idempotency_token="d") != rid  # token freed with the run


def test_delete_job_cancels_its_runs(emu):
    jid = emu.create()
    rid = emu.run_now(jid)
    emu.ok("POST", "delete", {"job_id": jid})
    emu.advance(TERM)
    assert emu.run(rid)["state"]["result_state"] == "CANCELED"


# ---- parameters ---------------------------------------------------------------------------------
def test_job_parameters_and_overrides(emu):
    jid = emu.create(parameters=[{"name": "env", "default": "dev"},
                                 {"name": "n", "default": "1"}])
    rid = emu.run_now(jid, job_parameters={"env": "prod"})
    r = emu.run(rid)
    assert r["job_parameters"] == [{"name": "env", "default": "dev", "value": "prod"},
                                   {"name": "n", "default": "1", "value": "1"}]
    assert r["overriding_parameters"] == {"job_parameters": {"env": "prod"}}
    st, b = emu.jobs("POST", "run-now", {"job_id": jid, "job_parameters": {"zz": "1"}})
    assert_error(st, b, 400, "INVALID_PARAMETER_VALUE", "zz")
    j2 = emu.create(max_concurrent_runs=3)
    r = emu.run(emu.run_now(j2, notebook_params={"a": "b"}, python_params=["x"]))
    assert r["overriding_parameters"] == {"notebook_params": {"a": "b"}, "python_params": ["x"]}
    assert "job_parameters" not in r


def test_only_excludes_tasks(emu):
    jid = emu.create(tasks=[dict(NB, task_key="a"), dict(NB, task_key="b")])
    rid = emu.run_now(jid, only=["b"])
    r = emu.run(rid)
    by = {t["task_key"]: t["state"] for t in r["tasks"]}
    assert by["a"]["result_state"] == "EXCLUDED" and by["b"]["life_cycle_state"] == "PENDING"
    st, b = emu.jobs("POST", "run-now", {"job_id": jid, "only": ["zz"]})
    assert_error(st, b, 400, "INVALID_PARAMETER_VALUE", "zz")


# ---- repair -------------------------------------------------------------------------------------
def test_repair(emu):
    emu.outcomes({"match": "flaky", "result_state": "FAILED"})
    tasks = [dict(NB, task_key="flaky"),
             dict(NB, task_key="after", depends_on=[{"task_key": "flaky"}]),
             dict(NB, task_key="solo")]
    jid = emu.create(tasks=tasks)
    rid = emu.run_now(jid)
    st, b = emu.jobs("POST", "runs/repair", {"run_id": rid, "rerun_all_failed_tasks": True})
    assert_error(st, b, 400, "INVALID_STATE")
    emu.advance(60000)
    r = emu.run(rid)
    assert r["state"]["result_state"] == "FAILED"
    old = {t["task_key"]: t["run_id"] for t in r["tasks"]}
    st, b = emu.jobs("POST", "runs/repair", {"run_id": rid})
    assert_error(st, b, 400, "INVALID_PARAMETER_VALUE")
    emu.ctl("DELETE", "jobs/task-outcomes")
    rep = emu.ok("POST", "runs/repair", {"run_id": rid, "rerun_all_failed_tasks": True})
    rep_id = rep["repair_id"]
    r = emu.run(rid)
    assert r["state"]["life_cycle_state"] == "PENDING" and "result_state" not in r["state"]
    new = {t["task_key"]: t["run_id"] for t in r["tasks"]}
    assert new["solo"] == old["solo"]
    assert new["flaky"] != old["flaky"] and new["after"] != old["after"]
    emu.advance(60000)
    r = emu.run(rid, include_history="true")
    assert r["state"]["result_state"] == "SUCCESS"
    h = r["repair_history"]
    assert [x["type"] for x in h] == ["ORIGINAL", "REPAIR"]
    assert "id" not in h[0] and h[1]["id"] == rep_id
    assert h[0]["state"]["result_state"] == "FAILED"
    assert h[1]["state"]["result_state"] == "SUCCESS"
    assert sorted(h[1]["task_run_ids"]) == sorted([new["flaky"], new["after"]])
    assert sorted(h[0]["task_run_ids"]) == sorted(old.values())
    assert "repair_history" not in emu.run(rid)
    # the old task runs stay readable
    assert emu.run(old["flaky"])["state"]["result_state"] == "FAILED"
    # second repair needs latest_repair_id
    st, b = emu.jobs("POST", "runs/repair", {"run_id": rid, "rerun_tasks": ["solo"]})
    assert_error(st, b, 400, "INVALID_PARAMETER_VALUE", "latest_repair_id")
    st, b = emu.jobs("POST", "runs/repair", {"run_id": rid, "rerun_tasks": ["solo"],
                                             "latest_repair_id": rep_id + 1000})
    assert_error(st, b, 400, "INVALID_PARAMETER_VALUE", "latest_repair_id")
    rep2 = emu.ok("POST", "runs/repair", {"run_id": rid, "rerun_tasks": ["flaky"],
                                          "rerun_dependent_tasks": True,
                                          "latest_repair_id": rep_id})["repair_id"]
    assert rep2 != rep_id
    r = emu.run(rid, include_history="true")
    assert len(r["repair_history"]) == 3
    assert len(r["repair_history"][2]["task_run_ids"]) == 2
    emu.advance(60000)
    st, b = emu.jobs("POST", "runs/repair", {"run_id": rid, "rerun_tasks": ["zz"],
                                             "latest_repair_id": rep2})
    assert_error(st, b, 400, "INVALID_PARAMETER_VALUE")


def test_runs_get_22_pages_tasks(emu):
    tasks = [dict(NB, task_key="t%d" % i) for i in range(5)]
    rid = emu.run_now(emu.create(tasks=tasks))
    emu.ctl("POST", "config", {"jobs_page_size_max": 2})
    seen, q = [], {}
    while True:
        r = emu.run(rid, **q)
        seen += [t["task_key"] for t in r["tasks"]]
        if "next_page_token" not in r:
            break
        q = {"page_token": r["next_page_token"]}
    assert seen == ["t%d" % i for i in range(5)]
    r21 = emu.ok("GET", "runs/get", query={"run_id": rid}, version="2.1")
    assert len(r21["tasks"]) == 5 and "next_page_token" not in r21


def test_export(emu):
    rid = emu.run_now(emu.create())
    emu.advance(60000)
    v = emu.ok("GET", "runs/export", query={"run_id": rid})["views"]
    assert v[0]["type"] == "NOTEBOOK" and v[0]["name"] == "nb" and "<html" in v[0]["content"]


# ---- control ------------------------------------------------------------------------------------
def test_outcome_rules_control_and_running_ms(emu):
    st, b = emu.call("POST", "/__emulator/jobs/task-outcomes", {"rules": [{"match": 1}]},
                     token=None)
    assert st == 400
    st, b = emu.call("POST", "/__emulator/jobs/task-outcomes",
                     {"match": "x", "result_state": "MAYBE"}, token=None)
    assert st == 400
    emu.outcomes({"match": "nb", "running_ms": 10000})
    assert len(emu.ctl("GET", "jobs/task-outcomes")["rules"]) == 1
    rid = emu.run_now(emu.create())
    emu.advance(PENDING + RUNNING + TERM)
    assert emu.lc(rid) == "RUNNING"
    emu.advance(PENDING + 10000 - (PENDING + RUNNING + TERM))
    assert emu.lc(rid) == "TERMINATING"
    emu.ctl("POST", "reset")
    assert emu.ctl("GET", "jobs/task-outcomes")["rules"] == []


def test_config_keys(emu):
    emu.ctl("POST", "config", {"run_pending_ms": 0, "run_running_ms": 5000,
                               "run_terminating_ms": 0})
    rid = emu.run_now(emu.create())
    assert emu.lc(rid) == "RUNNING"
    emu.advance(5000)
    assert emu.run(rid)["state"]["result_state"] == "SUCCESS"


def test_execute_python_locally(emu, tmp_path):
    script = tmp_path / "job.py"
    script.write_text("import sys\nprint('args', sys.argv[1:])\nsys.exit(int(sys.argv[2]))\n")
    emu.ctl("POST", "config", {"jobs_execute_python": True})
    ids = []
    for code in ("0", "3"):
        task = {"task_key": "p", "spark_python_task": {"python_file": str(script),
                                                       "parameters": ["x", code]}}
        ids.append(emu.ok("POST", "runs/submit", {"tasks": [task]})["run_id"])
    emu.advance(PENDING)
    deadline = time.monotonic() + 20
    while any(emu.lc(i) == "RUNNING" for i in ids) and time.monotonic() < deadline:
        time.sleep(0.05)
    emu.advance(TERM)
    ok, bad = (emu.run(i) for i in ids)
    assert ok["state"]["result_state"] == "SUCCESS"
    assert bad["state"]["result_state"] == "FAILED"
    out = emu.ok("GET", "runs/get-output", query={"run_id": ok["tasks"][0]["run_id"]})
    assert out["logs"] == "args ['x', '0']\n"
    out = emu.ok("GET", "runs/get-output", query={"run_id": bad["tasks"][0]["run_id"]})
    assert "code 3" in out["error"] and "args" in out["logs"]


def _run_task(emu, task):
    rid = emu.ok("POST", "runs/submit", {"tasks": [task]})["run_id"]
    emu.advance(PENDING)
    deadline = time.monotonic() + 20
    while emu.lc(rid) == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.05)
    emu.advance(TERM)
    r = emu.run(rid)
    return r, emu.ok("GET", "runs/get-output", query={"run_id": r["tasks"][0]["run_id"]})


def test_execute_python_reaches_the_emulator_back(emu, tmp_path, monkeypatch):
    """A task process gets DATABRICKS_HOST and a token pointing back at this emulator (and none
    of the caller's credentials), so its code can use the REST API as on a workspace."""
    script = tmp_path / "callback.py"
    script.write_text(
        "import json, os, urllib.request\n"
        "h, t = os.environ['DATABRICKS_HOST'], os.environ['DATABRICKS_TOKEN']\n"
        "print('client_id' , os.environ.get('DATABRICKS_CLIENT_ID'))\n"
        "req = urllib.request.Request(h + '/api/2.0/mlflow/experiments/create', method='POST',\n"
        "    data=json.dumps({'name': '/from-task'}).encode(),\n"
        "    headers={'Authorization': 'Bearer ' + t, 'Content-Type': 'application/json'})\n"
        "print('experiment', json.load(urllib.request.urlopen(req))['experiment_id'])\n")
    emu.ctl("POST", "config", {"jobs_execute_python": True})
    r, out = _run_task(emu, {"task_key": "p", "spark_python_task": {"python_file": str(script)}})
    assert r["state"]["result_state"] == "SUCCESS", out
    assert "experiment " in out["logs"] and "client_id None" in out["logs"]
    st, b = emu.call("GET", "/api/2.0/mlflow/experiments/get-by-name?experiment_name=%2Ffrom-task")
    assert st == 200 and b["experiment"]["name"] == "/from-task"
    # the caller's credentials never reach a task
    from dbx_emulator.apis import jobs

    class _S:
        pats = {"dapi-x"}
        config = {}

    class _R:
        base_url = "http://127.0.0.1:1"
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", "leaked")
    monkeypatch.setenv("ARM_CLIENT_SECRET", "leaked")
    monkeypatch.setenv("DATABRICKS_CA_BUNDLE", "/ca.pem")
    env = jobs.task_environment(_S(), _R())
    assert "DATABRICKS_CLIENT_ID" not in env and "ARM_CLIENT_SECRET" not in env
    assert env["DATABRICKS_HOST"] == "http://127.0.0.1:1" and env["DATABRICKS_TOKEN"] == "dapi-x"
    assert env["DATABRICKS_CA_BUNDLE"] == "/ca.pem" and env["PATH"] == os.environ["PATH"]


def test_reset_clears_jobs_and_runs(emu):
    jid = emu.create()
    rid = emu.run_now(jid)
    emu.ctl("POST", "reset")
    st, b = emu.jobs("GET", "get", query={"job_id": jid})
    assert st == 400
    st, b = emu.jobs("GET", "runs/get", query={"run_id": rid})
    assert st == 400
    assert emu.ok("GET", "runs/list") == {"has_more": False}


def test_retries(emu):
    emu.outcomes({"match": "flaky", "result_state": "FAILED", "times": 2})
    task = dict(NB, task_key="flaky", max_retries=3, min_retry_interval_millis=5000)
    rid = emu.run_now(emu.create(tasks=[task, dict(NB, task_key="after",
                                                  depends_on=[{"task_key": "flaky"}])]))
    first = emu.run(rid)["tasks"][0]["run_id"]
    emu.advance(PENDING + RUNNING + TERM)
    r = emu.run(rid)
    t = r["tasks"][0]
    assert t["run_id"] != first
    assert t["state"]["life_cycle_state"] == "WAITING_FOR_RETRY"
    assert t["status"]["state"] == "WAITING" and t["attempt_number"] == 1
    assert emu.run(t["run_id"])["original_attempt_run_id"] == first
    assert r["tasks"][1]["state"]["life_cycle_state"] == "BLOCKED"
    assert r["state"]["life_cycle_state"] == "RUNNING"
    assert emu.run(first)["state"]["result_state"] == "FAILED"
    emu.advance(5000 - 3500)  # 5 s after the failed attempt's start
    assert emu.run(rid)["tasks"][0]["state"]["life_cycle_state"] == "PENDING"
    emu.advance(60000)
    r = emu.run(rid)
    assert r["tasks"][0]["attempt_number"] == 2
    assert r["tasks"][0]["state"]["result_state"] == "SUCCESS"
    assert r["state"]["result_state"] == "SUCCESS"
    # out of retries; a single-task run stays RUNNING while its task is retried
    emu.outcomes({"match": "doomed", "result_state": "FAILED"})
    rid = emu.run_now(emu.create(tasks=[dict(NB, task_key="doomed", max_retries=1)]))
    emu.advance(PENDING + RUNNING)
    r = emu.run(rid)
    assert r["tasks"][0]["state"]["life_cycle_state"] == "TERMINATING"
    assert r["state"]["life_cycle_state"] == "RUNNING"
    emu.advance(TERM)
    assert emu.lc(rid) == "RUNNING"
    emu.advance(PENDING + RUNNING)
    assert emu.lc(rid) == "TERMINATING"  # the last attempt
    emu.advance(60000)
    r = emu.run(rid)
    assert r["tasks"][0]["attempt_number"] == 1 and r["state"]["result_state"] == "FAILED"


def test_update_max_concurrent_starts_queued(emu):
    jid = emu.create(queue={"enabled": True})
    emu.run_now(jid)
    queued = emu.run_now(jid)
    assert emu.lc(queued) == "QUEUED"
    emu.ok("POST", "update", {"job_id": jid, "new_settings": {"max_concurrent_runs": 2}})
    assert emu.lc(queued) == "PENDING"


def test_execute_python_file_prefix_and_python_params(emu, tmp_path):
    script = tmp_path / "echo.py"
    script.write_text("import sys\nprint(' '.join(sys.argv[1:]))\n")
    emu.ctl("POST", "config", {"jobs_execute_python": True,
                               "run_pending_ms": 0, "run_terminating_ms": 0})
    task = {"task_key": "p", "spark_python_task": {"python_file": "file:" + str(script)}}
    jid = emu.create(tasks=[task])
    rid = emu.run_now(jid, python_params=["1", "two"])
    deadline = time.monotonic() + 20
    while emu.lc(rid) != "TERMINATED" and time.monotonic() < deadline:
        time.sleep(0.05)
    r = emu.run(rid)
    assert r["state"]["result_state"] == "SUCCESS"
    out = emu.ok("GET", "runs/get-output", query={"run_id": r["tasks"][0]["run_id"]})
    assert out["logs"] == "1 two\n"
    # a path that is not a local file: simulated as usual
    task = {"task_key": "q", "spark_python_task": {"python_file": "/Workspace/none.py"}}
    rid = emu.ok("POST", "runs/submit", {"tasks": [task]})["run_id"]
    emu.advance(RUNNING)
    assert emu.run(rid)["state"]["result_state"] == "SUCCESS"


def test_run_job_task(emu):
    child_job = emu.create(name="child", parameters=[{"name": "x", "default": "1"}])
    parent = emu.create(name="parent", tasks=[
        {"task_key": "call", "run_job_task": {"job_id": child_job, "job_parameters": {"x": "2"}}},
        dict(NB, task_key="after", depends_on=[{"task_key": "call"}])])
    rid = emu.run_now(parent)
    emu.advance(PENDING)
    r = emu.run(rid)
    call = r["tasks"][0]
    assert call["state"]["life_cycle_state"] == "RUNNING"
    child = emu.ok("GET", "runs/list", query={"job_id": child_job})["runs"][0]
    assert child["trigger"] == "RUN_JOB_TASK" and child["state"]["life_cycle_state"] == "PENDING"
    assert emu.run(child["run_id"])["job_parameters"][0]["value"] == "2"
    emu.advance(PENDING + RUNNING + TERM)  # the child run ends
    assert emu.run(rid)["tasks"][0]["state"]["life_cycle_state"] == "TERMINATING"
    out = emu.ok("GET", "runs/get-output", query={"run_id": call["run_id"]})
    assert out["run_job_output"] == {"run_id": child["run_id"]}
    emu.advance(60000)
    assert emu.run(rid)["state"]["result_state"] == "SUCCESS"
    # the child fails -> the task fails; cancelling the parent cancels the child
    emu.outcomes({"match": "/Users/me/nb", "result_state": "FAILED"})
    rid = emu.run_now(parent)
    emu.advance(60000)
    r = emu.run(rid)
    assert r["tasks"][0]["state"]["result_state"] == "FAILED"
    assert r["tasks"][1]["state"]["result_state"] == "UPSTREAM_FAILED"
    emu.ctl("DELETE", "jobs/task-outcomes")
    rid = emu.run_now(parent)
    emu.advance(PENDING)
    child = emu.ok("GET", "runs/list", query={"job_id": child_job, "active_only": "true"})[
        "runs"][0]["run_id"]
    emu.ok("POST", "runs/cancel", {"run_id": rid})
    emu.advance(TERM)
    assert emu.run(child)["state"]["result_state"] == "CANCELED"
    assert emu.run(rid)["state"]["result_state"] == "CANCELED"
    # a missing job fails the task; a job that triggers itself stops at the nesting limit
    bad = emu.create(tasks=[{"task_key": "call", "run_job_task": {"job_id": 12345}}])
    rid = emu.run_now(bad)
    emu.advance(60000)
    t = emu.run(rid)["tasks"][0]
    assert t["state"]["result_state"] == "FAILED" and "12345" in t["state"]["state_message"]
    selfish = emu.create(max_concurrent_runs=100)
    emu.ok("POST", "reset", {"job_id": selfish, "new_settings": {
        "max_concurrent_runs": 100,
        "tasks": [{"task_key": "me", "run_job_task": {"job_id": selfish}}]}})
    emu.ctl("POST", "config", {"run_pending_ms": 0, "run_terminating_ms": 0})
    rid = emu.run_now(selfish)
    emu.advance(60000)
    assert emu.run(rid)["state"]["result_state"] == "FAILED"
    assert len(emu.ok("GET", "runs/list", query={"job_id": selfish, "limit": 24})["runs"]) == 11


def test_execute_python_from_workspace_file(emu):
    import base64
    src = (b"import sys\nprint('from the workspace', sys.argv[1:])\n"
           b"sys.exit(0 if sys.argv[1:] else 4)\n")
    st, b = emu.call("POST", "/api/2.0/workspace/import", {
        "path": "/Users/emulator-user@example.com/job.py", "format": "RAW",
        "content": base64.b64encode(src).decode()})
    assert st == 200, b
    emu.ctl("POST", "config", {"jobs_execute_python": True})
    ids = []
    for path, params in (("/Workspace/Users/emulator-user@example.com/job.py", ["a"]),
                         ("/Users/emulator-user@example.com/job.py", [])):
        task = {"task_key": "w", "spark_python_task": {"python_file": path,
                                                       "parameters": params}}
        ids.append(emu.ok("POST", "runs/submit", {"tasks": [task]})["run_id"])
    emu.advance(PENDING)
    deadline = time.monotonic() + 20
    while any(emu.lc(i) == "RUNNING" for i in ids) and time.monotonic() < deadline:
        time.sleep(0.05)
    emu.advance(TERM)
    ok, bad = (emu.run(i) for i in ids)
    assert ok["state"]["result_state"] == "SUCCESS"
    out = emu.ok("GET", "runs/get-output", query={"run_id": ok["tasks"][0]["run_id"]})
    assert out["logs"] == "from the workspace ['a']\n"
    assert bad["state"]["result_state"] == "FAILED"
    out = emu.ok("GET", "runs/get-output", query={"run_id": bad["tasks"][0]["run_id"]})
    assert "code 4" in out["error"]


# ---- invariants under random workloads -------------------------------------------------------
def _check_run(r):
    lc = r["state"]["life_cycle_state"]
    tasks = r.get("tasks", [])
    tl = [t["state"]["life_cycle_state"] for t in tasks]
    if lc in ("TERMINATED", "SKIPPED"):
        assert "result_state" in r["state"], r["state"]
        assert all(x in ("TERMINATED", "SKIPPED") for x in tl), tl
        assert r["end_time"] >= r["start_time"] > 0
        assert r["status"]["state"] == "TERMINATED" and "termination_details" in r["status"]
    else:
        assert "result_state" not in r["state"] and r["end_time"] == 0
    if lc == "TERMINATING":
        assert not any(x in ("PENDING", "RUNNING", "BLOCKED", "QUEUED", "WAITING_FOR_RETRY")
                       for x in tl), tl
    for t in tasks:
        st = t["state"]
        if st["life_cycle_state"] in ("TERMINATED", "SKIPPED"):
            assert "result_state" in st and t["end_time"] >= t["start_time"]
            if t["execution_duration"]:
                assert t["run_duration"] == (t["setup_duration"] + t["execution_duration"]
                                             + t["cleanup_duration"])
        else:
            assert "result_state" not in st and t["end_time"] == 0


@pytest.mark.parametrize("seed", range(1, 1 + int(os.environ.get("DBX_EMU_RANDOM_SEEDS", "3"))))
def test_random_workloads_keep_invariants_and_finish(emu, seed):
    import random
    rnd = random.Random(seed)
    emu.outcomes({"match": "f", "result_state": "FAILED", "times": 40},
                 {"match": "s", "running_ms": 7000})
    keys = ["a", "f1", "s1", "b", "f2", "c"]
    jobs = []
    for _ in range(4):
        tasks = []
        for i, k in enumerate(rnd.sample(keys, rnd.randint(1, len(keys)))):
            t = dict(NB, task_key=k, run_if=rnd.choice(
                ["ALL_SUCCESS", "ALL_DONE", "NONE_FAILED", "AT_LEAST_ONE_FAILED"]))
            ups = [x["task_key"] for x in tasks]
            if ups:
                n = rnd.randint(0, min(2, len(ups)))
                t["depends_on"] = [{"task_key": u} for u in rnd.sample(ups, n)]
            if rnd.random() < 0.3:
                t["max_retries"] = rnd.randint(1, 2)
            if rnd.random() < 0.2:
                t["timeout_seconds"] = rnd.randint(1, 5)
            if jobs and rnd.random() < 0.2:
                del t["notebook_task"], t["existing_cluster_id"]
                t["run_job_task"] = {"job_id": rnd.choice(jobs)}
            elif rnd.random() < 0.2:
                del t["notebook_task"]
                t["for_each_task"] = {"inputs": str(list(range(rnd.randint(0, 4)))),
                                      "concurrency": rnd.randint(1, 3),
                                      "task": dict(NB, task_key=rnd.choice(["it", "fit"]))}
            tasks.append(t)
        jobs.append(emu.create(tasks=tasks, max_concurrent_runs=rnd.randint(1, 2),
                               queue={"enabled": rnd.random() < 0.7},
                               timeout_seconds=rnd.choice([0, 0, 8])))
    runs = []
    for _ in range(60):
        op = rnd.random()
        if op < 0.35:
            runs.append(emu.run_now(rnd.choice(jobs)))
        elif op < 0.45 and runs:
            emu.jobs("POST", "runs/cancel", {"run_id": rnd.choice(runs)})
        elif op < 0.55 and runs:
            r = emu.run(rnd.choice(runs), include_history="true")
            body = {"run_id": r["run_id"], "rerun_all_failed_tasks": True}
            if r.get("repair_history", [])[1:]:
                body["latest_repair_id"] = r["repair_history"][-1]["id"]
            emu.jobs("POST", "runs/repair", body)
        elif op < 0.6 and runs:
            tid = rnd.choice(emu.run(rnd.choice(runs))["tasks"])["run_id"]
            emu.jobs("POST", "runs/cancel", {"run_id": tid})
        else:
            emu.advance(rnd.choice([0, 100, 500, 1000, 2500]))
        if runs:
            _check_run(emu.run(rnd.choice(runs)))
    emu.advance(10 ** 7)
    for rid in runs:
        r = emu.run(rid)
        _check_run(r)
        assert r["state"]["life_cycle_state"] in ("TERMINATED", "SKIPPED"), r["state"]
        for t in r["tasks"]:
            if "for_each_task" in t:
                its = emu.run(t["run_id"])["iterations"]
                assert all(i["state"]["life_cycle_state"] == "TERMINATED" for i in its)
    assert emu.ok("GET", "runs/list", query={"active_only": "true"}) == {"has_more": False}


def test_for_each_task(emu):
    emu.outcomes({"match": "/nb/bad", "result_state": "FAILED"})
    fe = {"task_key": "loop", "for_each_task": {
        "inputs": '["a", "b", {"k": 1}]', "concurrency": 2,
        "task": {"task_key": "loop_iteration",
                 "notebook_task": {"notebook_path": "/nb/{{input}}",
                                   "base_parameters": {"v": "{{input}}"}}}}}
    rid = emu.run_now(emu.create(tasks=[fe, dict(NB, task_key="after",
                                                 depends_on=[{"task_key": "loop"}])]))
    r = emu.run(rid)
    loop = r["tasks"][0]
    assert loop["state"]["life_cycle_state"] == "RUNNING"  # no cluster: starts at once
    assert loop["for_each_task"]["stats"]["task_run_stats"] == {
        "total_iterations": 3, "scheduled_iterations": 2, "active_iterations": 2,
        "completed_iterations": 0, "succeeded_iterations": 0, "failed_iterations": 0}
    its = emu.run(loop["run_id"])["iterations"]
    assert [i["notebook_task"]["base_parameters"]["v"] for i in its] == ["a", "b"]
    assert its[0]["task_key"] == "loop_iteration"
    emu.advance(PENDING + RUNNING + TERM)
    its = emu.run(loop["run_id"])["iterations"]
    assert len(its) == 3 and its[2]["notebook_task"]["notebook_path"] == '/nb/{"k":1}'
    emu.advance(60000)
    r = emu.run(rid)
    assert r["tasks"][0]["for_each_task"]["stats"]["task_run_stats"]["succeeded_iterations"] == 3
    emu.ctl("POST", "config", {"jobs_page_size_max": 2})
    page = emu.run(loop["run_id"])
    assert len(page["iterations"]) == 2
    page = emu.run(loop["run_id"], page_token=page["next_page_token"])
    assert len(page["iterations"]) == 1 and "next_page_token" not in page
    emu.ctl("POST", "config", {"jobs_page_size_max": 100})
    assert r["state"]["result_state"] == "SUCCESS"
    # a failing iteration fails the loop; inputs from a job parameter; bad inputs fail the task
    fe["for_each_task"].update(inputs="{{job.parameters.items}}", concurrency=5)
    jid = emu.create(tasks=[fe], parameters=[{"name": "items", "default": '["ok", "bad"]'}])
    rid = emu.run_now(jid)
    emu.advance(60000)
    r = emu.run(rid)
    assert r["tasks"][0]["state"]["result_state"] == "FAILED"
    assert "1 of 2 iterations failed" in r["tasks"][0]["state"]["state_message"]
    rid = emu.run_now(jid, job_parameters={"items": "not json"})
    emu.advance(60000)
    assert emu.run(rid)["tasks"][0]["state"]["result_state"] == "FAILED"
    for bad in ({"inputs": "[]"}, {"inputs": "[]", "task": fe["for_each_task"]["task"],
                                   "concurrency": 0},
                {"inputs": "[]", "task": {"task_key": "x", "for_each_task": {}}}):
        st, b = emu.jobs("POST", "create", {"tasks": [{"task_key": "l", "for_each_task": bad}]})
        assert_error(st, b, 400, "INVALID_PARAMETER_VALUE", "for_each_task")


def _wheel(members):
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    return buf.getvalue()


def test_execute_python_installs_whl_libraries(emu, tmp_path, monkeypatch):
    """A task's {"whl": "/Volumes/..."} library is installed for its run (unpacked, first on the
    task's PYTHONPATH) as on a cluster; with jobs_task_isolated_env the emulator's own
    PYTHONPATH and LIBDBX_PATH do not reach the task; a missing or hostile wheel fails the run
    before the task starts; the new cluster's spark_env_vars reach the task."""
    whl = _wheel({"emumod/__init__.py": "VALUE = 'from the wheel'\n",
                  "emumod-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"})
    assert emu.raw("PUT", "/api/2.0/fs/files/Volumes/main/default/vol/libs/emumod-1.0-py3-none-any.whl", whl,
                   headers={"Content-Type": "application/octet-stream"})[0] == 204
    script = tmp_path / "uses_lib.py"
    script.write_text("import os, emumod\nprint(emumod.VALUE, os.environ.get('LIBDBX_PATH'), "
                      "os.environ.get('MY_SETTING'))\n")
    emu.ctl("POST", "config", {"jobs_execute_python": True, "jobs_task_isolated_env": True})
    task = {"task_key": "p", "spark_python_task": {"python_file": str(script)},
            "new_cluster": {"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "num_workers": 0,
                            "spark_env_vars": {"MY_SETTING": "on"}},
            "libraries": [{"whl": "/Volumes/main/default/vol/libs/emumod-1.0-py3-none-any.whl"}]}
    r, out = _run_task(emu, task)
    assert r["state"]["result_state"] == "SUCCESS", out
    assert out["logs"] == "from the wheel None on\n"
    # a wheel that is not there: the run fails, with the path, and the script never ran
    task["libraries"] = [{"whl": "/Volumes/main/default/vol/libs/missing.whl"}]
    r, out = _run_task(emu, task)
    assert r["state"]["result_state"] == "FAILED"
    assert "Library installation failed" in r["state"]["state_message"] and "missing.whl" in out["error"]
    # a member that would land outside the install directory: refused
    bad = _wheel({"../escape.py": "x = 1\n", "e-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\n"})
    emu.raw("PUT", "/api/2.0/fs/files/Volumes/main/default/vol/libs/bad.whl", bad,
            headers={"Content-Type": "application/octet-stream"})
    task["libraries"] = [{"whl": "/Volumes/main/default/vol/libs/bad.whl"}]
    r, out = _run_task(emu, task)
    assert r["state"]["result_state"] == "FAILED" and "not a valid wheel" in out["error"]
    # not a zip at all
    emu.raw("PUT", "/api/2.0/fs/files/Volumes/main/default/vol/libs/text.whl", b"hello",
            headers={"Content-Type": "application/octet-stream"})
    task["libraries"] = [{"whl": "/Volumes/main/default/vol/libs/text.whl"}]
    r, out = _run_task(emu, task)
    assert r["state"]["result_state"] == "FAILED" and "not a valid wheel" in out["error"]


def test_isolated_task_environment(monkeypatch):
    from dbx_emulator.apis import jobs

    class _S:
        pats = {"dapi-x"}
        config = {"jobs_task_isolated_env": True}

    class _R:
        base_url = "http://127.0.0.1:1"

    class _T:
        spec = {"new_cluster": {"spark_env_vars": {"A": "1", "DATABRICKS_TOKEN": "{{secrets/s/k}}"}}}
    monkeypatch.setenv("PYTHONPATH", "/emulator/own")
    monkeypatch.setenv("LIBDBX_PATH", "/emulator/own/libdbx.so")
    env = jobs.task_environment(_S(), _R(), _T(), "/tmp/libs")
    assert env["PYTHONPATH"] == "/tmp/libs" and "LIBDBX_PATH" not in env
    assert env["A"] == "1" and env["DATABRICKS_TOKEN"] == "{{secrets/s/k}}"  # as a cluster passes them
    _S.config = {}
    env = jobs.task_environment(_S(), _R(), None, "/tmp/libs")
    assert env["PYTHONPATH"] == "/tmp/libs" + os.pathsep + "/emulator/own"
    assert env["LIBDBX_PATH"] == "/emulator/own/libdbx.so"
