"""client.jobs against the emulator: requests sent and results read."""

import gc
import re

import pytest

import libdbx
from libdbx.jobs import Job, JobSettings, Run, RunOutput, RunStarted, Task

API = "/api/2.2/jobs"
HEX32 = re.compile(r"^[0-9a-f]{32}$")

MULTI = {
    "name": "etl", "max_concurrent_runs": 1, "tags": {"team": "data"},
    "parameters": [{"name": "env", "default": "dev"}],
    "job_clusters": [{"job_cluster_key": "shared", "new_cluster": {
        "spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "num_workers": 2}}],
    "tasks": [
        {"task_key": "ingest", "notebook_task": {"notebook_path": "/Repos/etl/ingest"},
         "job_cluster_key": "shared"},
        {"task_key": "transform", "depends_on": [{"task_key": "ingest"}],
         "spark_python_task": {"python_file": "/Workspace/t.py"}, "job_cluster_key": "shared"},
    ],
}


def simple(name, **extra):
    d = {"name": name, "max_concurrent_runs": 5,
         "tasks": [{"task_key": "main", "notebook_task": {"notebook_path": "/Shared/" + name}}]}
    d.update(extra)
    return d


def fast(emu, step=2500):
    """Wait options for tests: short real polls (libdbx adds 50-750 ms of jitter to each), the
    emulator's virtual clock moved on by `step` ms after each."""
    def progress(run_id, state):
        emu.advance(step)
    return dict(poll_interval=0.01, poll_max=0.02, progress=progress)


# ---- builders and local validation -----------------------------------------------------------

def test_task_and_settings_builders_produce_the_json(client, emu):
    nb = (Task("ingest").notebook("/Repos/etl/ingest", source="WORKSPACE",
                                  parameters={"date": "{{job.start_time.iso_date}}"})
          .job_cluster("shared").pypi("requests").pypi("private", repo="https://pypi.example.com")
          .whl("/Volumes/m/l/a.whl").jar("/Volumes/m/l/a.jar")
          .library({"maven": {"coordinates": "a:b:1"}})
          .timeout(600).retries(2, 1000, retry_on_timeout=True).description("load"))
    py = (Task("transform").spark_python("/Workspace/t.py", ["--date", "today"])
          .new_cluster({"spark_version": "15.4.x-scala2.12", "num_workers": 1})
          .existing_cluster("0101-abc").depends_on("ingest"))
    whl = (Task("wheel").python_wheel("pkg", "main", named_parameters={"mode": "full"})
           .environment("py").depends_on("transform").run_if("ALL_DONE"))
    sql = Task("report").sql_query("wh1", "q1").sql_file("wh1", "/Shared/r.sql", "WORKSPACE",
                                                         parameters={"p": 1}).depends_on("wheel")
    child = Task("child").run_job(42, job_parameters={"a": "b"}).depends_on("report").set("disabled", False)
    d = nb.to_dict()
    assert d["notebook_task"] == {"notebook_path": "/Repos/etl/ingest", "source": "WORKSPACE",
                                  "base_parameters": {"date": "{{job.start_time.iso_date}}"}}
    assert d["libraries"] == [{"pypi": {"package": "requests"}},
                              {"pypi": {"package": "private", "repo": "https://pypi.example.com"}},
                              {"whl": "/Volumes/m/l/a.whl"}, {"jar": "/Volumes/m/l/a.jar"},
                              {"maven": {"coordinates": "a:b:1"}}]
    assert d["max_retries"] == 2 and d["min_retry_interval_millis"] == 1000 and d["retry_on_timeout"] is True
    assert d["timeout_seconds"] == 600 and d["description"] == "load"
    p = py.to_dict()
    assert "new_cluster" not in p and p["existing_cluster_id"] == "0101-abc"  # compute replaced
    assert p["spark_python_task"]["parameters"] == ["--date", "today"]
    assert whl.to_dict()["python_wheel_task"]["named_parameters"] == {"mode": "full"}
    s = sql.to_dict()["sql_task"]
    assert "query" not in s and s["file"]["path"] == "/Shared/r.sql" and s["parameters"] == {"p": "1"}
    assert child.to_dict()["run_job_task"] == {"job_id": 42, "job_parameters": {"a": "b"}}

    settings = (JobSettings("nightly").description("the nightly load")
                .job_cluster("shared", {"spark_version": "15.4.x-scala2.12", "num_workers": 2})
                .environment("py", "2", ["pandas==2.2"])
                .parameter("env", "dev").parameter("env", "prod")
                .schedule("0 0 3 * * ?", "Europe/Paris", paused=True)
                .email("on_failure", "ops@example.com", "me@example.com")
                .max_concurrent_runs(3).queue(True).tag("team", "data").timeout(3600)
                .set("git_source", {"git_url": "https://example.com/r.git", "git_provider": "gitHub",
                                    "git_branch": "main"})
                .task(nb, py, whl, sql, child).validate())
    sd = settings.to_dict()
    assert [t["task_key"] for t in sd["tasks"]] == ["ingest", "transform", "wheel", "report", "child"]
    assert sd["parameters"] == [{"name": "env", "default": "prod"}]
    assert sd["schedule"]["pause_status"] == "PAUSED"
    assert sd["email_notifications"]["on_failure"] == ["ops@example.com", "me@example.com"]

    job_id = client.jobs.create(settings)
    sent = emu.last(API + "/create")["json"]
    assert sent["name"] == "nightly" and len(sent["tasks"]) == 5 and sent["queue"] == {"enabled": True}
    assert sent["environments"][0]["spec"]["dependencies"] == ["pandas==2.2"]
    job = client.jobs.get(job_id)
    assert job.task_keys == ("ingest", "transform", "wheel", "report", "child")
    assert job.tags == {"team": "data"} and job.max_concurrent_runs == 3
    assert job.settings["schedule"]["timezone_id"] == "Europe/Paris"
    for b in (nb, py, whl, sql, child, settings):
        b.close()
    with pytest.raises(libdbx.InvalidArgument):
        nb.to_dict()  # closed


def test_builder_errors_name_the_problem_before_any_request(client, emu):
    with pytest.raises(libdbx.InvalidArgument, match='task_key "has space"'):
        Task("has space")
    with Task("t") as t:
        with pytest.raises(libdbx.InvalidArgument, match="no task type with named parameters"):
            t.parameter("a", "b")
        with pytest.raises(libdbx.InvalidArgument, match='run_if "MAYBE"'):
            t.run_if("MAYBE")
        with pytest.raises(libdbx.InvalidArgument, match="job_id must be > 0"):
            t.run_job(0)
        with pytest.raises(libdbx.InvalidArgument, match="needs a task type"):
            JobSettings().task(t)
    with pytest.raises(libdbx.InvalidArgument, match="max_concurrent_runs must be 0..1000"):
        JobSettings().max_concurrent_runs(1001)
    with pytest.raises(libdbx.InvalidArgument, match="unknown email event"):
        JobSettings().email("on_tuesday", "a@b")
    with pytest.raises(libdbx.InvalidArgument, match=r"\$.schedule must be an object"):
        JobSettings().set("schedule", [])
    bad = {"name": "x", "tasks": [
        {"task_key": "a", "notebook_task": {"notebook_path": "/a"}, "depends_on": [{"task_key": "zz"}]}]}
    with pytest.raises(libdbx.InvalidArgument, match=r'\$.tasks\[0\].depends_on\[0\].task_key: no task has key "zz"'):
        client.jobs.create(bad)
    with pytest.raises(libdbx.InvalidArgument, match="depends_on forms a cycle"):
        client.jobs.validate({"tasks": [{"task_key": "a", "notebook_task": {"notebook_path": "/a"},
                                         "depends_on": [{"task_key": "a"}]}]})
    client.jobs.validate(MULTI)
    with pytest.raises(TypeError):
        client.jobs.create(42)
    assert emu.requests(API + "/create") == []
    gc.collect()


# ---- jobs -------------------------------------------------------------------------------------

def test_create_get_delete(client, emu):
    job_id = client.jobs.create(MULTI)
    sent = emu.last(API + "/create")["json"]
    assert sent["name"] == "etl" and sent["tasks"][1]["depends_on"] == [{"task_key": "ingest"}]
    job = client.jobs.get(job_id)
    assert isinstance(job, Job)
    assert emu.last(API + "/get")["query"]["job_id"] == [str(job_id)]
    assert job.job_id == job_id and job.name == "etl" and job.max_concurrent_runs == 1
    assert job.task_keys == ("ingest", "transform")
    assert job.tags == {"team": "data"}
    assert job.created_time > 0 and job.creator_user_name
    assert job.settings["job_clusters"][0]["job_cluster_key"] == "shared"
    assert job.raw["job_id"] == job_id
    # keywords override fields of the dict
    other = client.jobs.create(MULTI, name="etl-copy")
    assert emu.last(API + "/create")["json"]["name"] == "etl-copy"
    assert client.jobs.get(other).name == "etl-copy"
    client.jobs.delete(job_id)
    assert emu.last(API + "/delete")["json"] == {"job_id": job_id}
    with pytest.raises(libdbx.NotFound, match="does not exist") as ei:
        client.jobs.get(job_id)
    assert ei.value.path == API + "/get"
    with pytest.raises(libdbx.InvalidArgument, match="job_id must be > 0"):
        client.jobs.get(0)


def test_get_follows_task_pages(client, emu):
    emu.config(jobs_page_size_max=2)
    tasks = [{"task_key": "t%d" % i, "notebook_task": {"notebook_path": "/n%d" % i}} for i in range(5)]
    job_id = client.jobs.create({"name": "wide", "tasks": tasks})
    job = client.jobs.get(job_id)
    assert job.task_keys == tuple("t%d" % i for i in range(5))
    assert len(emu.requests(API + "/get")) == 3


def test_list_pages_lazily_with_filters(client, emu):
    ids = [client.jobs.create(simple(n)) for n in ("alpha", "beta", "Gamma", "beta", "delta")]
    it = client.jobs.list(limit=2)
    assert emu.requests(API + "/list") == []  # lazy: nothing before the first item
    got = [j.job_id for j in it]
    assert sorted(got) == sorted(ids)
    pages = emu.requests(API + "/list")
    assert len(pages) == 3 and pages[0]["query"]["limit"] == ["2"] and pages[2]["query"]["page_token"]
    betas = list(client.jobs.list(name="BETA", expand_tasks=True))
    assert [j.name for j in betas] == ["beta", "beta"] and betas[0].task_keys == ("main",)
    q = emu.last(API + "/list")["query"]
    assert q["name"] == ["BETA"] and q["expand_tasks"] == ["true"]
    assert len(list(client.jobs.list(max_items=3))) == 3
    it = client.jobs.list()
    next(it)
    it.close()
    assert list(it) == []
    with pytest.raises(libdbx.InvalidArgument, match="limit 0..100"):
        client.jobs.list(limit=101)


def test_update_and_reset(client, emu):
    job_id = client.jobs.create(MULTI)
    # partial settings: a task merged by key, its dependency outside the update
    client.jobs.update(job_id, {"name": "etl-2", "tasks": [
        {"task_key": "transform", "timeout_seconds": 60, "depends_on": [{"task_key": "ingest"}],
         "spark_python_task": {"python_file": "/Workspace/t2.py"}}]}, fields_to_remove=["tags"])
    sent = emu.last(API + "/update")["json"]
    assert sent["job_id"] == job_id and sent["new_settings"]["name"] == "etl-2"
    assert sent["fields_to_remove"] == ["tags"]
    job = client.jobs.get(job_id)
    assert job.name == "etl-2" and job.tags == {} and len(job.task_keys) == 2
    assert "/Workspace/t2.py" in str(job.settings)
    client.jobs.update(job_id, fields_to_remove=["tasks/transform"])
    assert client.jobs.get(job_id).task_keys == ("ingest",)
    client.jobs.update(job_id, JobSettings().max_concurrent_runs(4))
    assert client.jobs.get(job_id).max_concurrent_runs == 4
    with pytest.raises(libdbx.InvalidArgument, match="max_concurrent_runs must be 0..1000"):
        client.jobs.update(job_id, {"max_concurrent_runs": 5000})
    with pytest.raises(libdbx.InvalidArgument, match="new_settings or fields_to_remove is required"):
        client.jobs.update(job_id)
    client.jobs.reset(job_id, {"name": "fresh", "tasks": [
        {"task_key": "only", "spark_python_task": {"python_file": "/x.py"}}]})
    sent = emu.last(API + "/reset")["json"]
    assert sent["job_id"] == job_id and sent["new_settings"]["name"] == "fresh"
    job = client.jobs.get(job_id)
    assert job.name == "fresh" and job.task_keys == ("only",)
    with pytest.raises(libdbx.NotFound):
        client.jobs.reset(999999, {"name": "x"})


# ---- runs -------------------------------------------------------------------------------------

def test_run_now_wait_and_output(client, emu):
    # the emulator's clock is real time plus what tests add, and libdbx adds 50-750 ms of jitter
    # to every poll: phases longer than one poll's worth (500 + 760 ms) are always seen
    emu.config(run_pending_ms=2000, run_running_ms=200, run_terminating_ms=2000)
    job_id = client.jobs.create({
        "name": "params", "max_concurrent_runs": 3,
        "parameters": [{"name": "env", "default": "dev"}, {"name": "day", "default": "mon"}],
        "tasks": [{"task_key": "a", "notebook_task": {"notebook_path": "/a"}},
                  {"task_key": "b", "depends_on": [{"task_key": "a"}],
                   "spark_python_task": {"python_file": "/b.py"}}]})
    started = client.jobs.run_now(job_id, job_parameters={"env": "prod"})
    assert isinstance(started, RunStarted)
    assert started.run_id > 0 and started.number_in_job > 0 and HEX32.match(started.idempotency_token)
    sent = emu.last(API + "/run-now")["json"]
    assert sent["job_id"] == job_id and sent["job_parameters"] == {"env": "prod"}
    assert sent["idempotency_token"] == started.idempotency_token
    second = client.jobs.run_now(job_id)
    assert second.idempotency_token != started.idempotency_token and second.run_id != started.run_id

    states = []

    def progress(run_id, state):
        assert run_id == str(started.run_id)
        states.append(state)
        emu.advance(500)

    run = client.jobs.wait_run(started.run_id, timeout=60, progress=progress, poll_interval=0.01, poll_max=0.02)
    assert isinstance(run, Run)
    assert {"PENDING", "RUNNING", "TERMINATING"} <= set(states) and states[-1] == "TERMINATED"
    assert run.life_cycle_state == "TERMINATED" and run.result_state == "SUCCESS"
    assert run.is_terminal and run.is_success
    assert run.status == "TERMINATED" and run.termination_code == "SUCCESS" and run.termination_type == "SUCCESS"
    assert run.run_id == started.run_id and run.job_id == job_id and run.number_in_job == started.number_in_job
    assert run.run_name == "params" and run.run_type == "JOB_RUN" and run.run_page_url
    assert run.end_time >= run.start_time > 0 and run.run_duration > 0
    assert [t.task_key for t in run.tasks] == ["a", "b"]
    assert run.tasks[1].life_cycle_state == "TERMINATED" and run.tasks[1].result_state == "SUCCESS"
    assert run.job_parameters == {"env": "prod", "day": "mon"}
    assert run.task_run_ids == {"a": run.tasks[0].run_id, "b": run.tasks[1].run_id}
    assert run.raw["run_id"] == started.run_id

    again = client.jobs.get_run(started.run_id)
    assert again.run_id == run.run_id and emu.last(API + "/runs/get")["query"]["run_id"] == [str(run.run_id)]
    out = client.jobs.get_run_output(run.task("a").run_id)
    assert isinstance(out, RunOutput)
    assert emu.last(API + "/runs/get-output")["query"]["run_id"] == [str(run.task("a").run_id)]
    assert out.run_id == run.task("a").run_id and out.result_state == "SUCCESS"
    assert out.error == "" and out.notebook_truncated is False and out.metadata["task_key"] == "a"
    assert run.task("zz") is None
    with pytest.raises(libdbx.InvalidParameter):
        client.jobs.get_run_output(started.run_id)  # a multi-task parent has no output
    assert client.jobs.LIFE_CYCLE_STATES[5] == "TERMINATED"
    assert client.jobs.RESULT_STATES[2] == "SUCCESS" and client.jobs.RESULT_STATES[1] == ""


def test_run_now_options(client, emu):
    job_id = client.jobs.create({"name": "legacy", "max_concurrent_runs": 1, "tasks": [
        {"task_key": "nb", "notebook_task": {"notebook_path": "/nb"}},
        {"task_key": "py", "spark_python_task": {"python_file": "/py.py"}}]})
    started = client.jobs.run_now(job_id, only=["py"], queue=True, notebook_params={"k": "v"},
                                  python_params=["--flag", "x"], idempotency_token="my-token")
    sent = emu.last(API + "/run-now")["json"]
    assert sent["only"] == ["py"] and sent["queue"] == {"enabled": True}
    assert sent["notebook_params"] == {"k": "v"} and sent["python_params"] == ["--flag", "x"]
    assert sent["idempotency_token"] == "my-token" and started.idempotency_token == "my-token"
    run = client.jobs.get_run(started.run_id)
    assert run.task("nb").result_state == "EXCLUDED"
    # the same token again: the same run, never a second one
    assert client.jobs.run_now(job_id, idempotency_token="my-token").run_id == started.run_id
    skipped = client.jobs.run_now(job_id, queue=False)
    assert emu.last(API + "/run-now")["json"]["queue"] == {"enabled": False}
    with pytest.raises(libdbx.OperationFailed, match="SKIPPED") as ei:
        client.jobs.wait_run(skipped.run_id, timeout=60, **fast(emu))
    assert ei.value.last.life_cycle_state == "SKIPPED" and ei.value.last.is_terminal
    with pytest.raises(libdbx.InvalidArgument, match="idempotency_token must be 1..64"):
        client.jobs.run_now(job_id, idempotency_token="a" * 65)


def test_run_now_is_idempotent_across_retries(client, emu):
    job_id = client.jobs.create(simple("once"))
    emu.fault(path=API + "/run-now", action="drop_after")  # the run starts, the answer is lost
    started = client.jobs.run_now(job_id)
    reqs = emu.requests(API + "/run-now")
    assert len(reqs) == 2
    assert reqs[0]["json"]["idempotency_token"] == reqs[1]["json"]["idempotency_token"] == started.idempotency_token
    assert len(list(client.jobs.list_runs(job_id))) == 1

    # a failure after the request was built: the exception carries the token to retry with
    client2 = libdbx.Client(host=emu.base, token="dapi-emulator-token", no_env=True, no_config_file=True,
                            retry_timeout=0.2, retry_initial_delay=0.01, retry_max_delay=0.02, max_attempts=1)
    emu.fault(path=API + "/run-now", action="drop_after")
    with pytest.raises(libdbx.TransportError) as ei:
        client2.jobs.run_now(job_id)
    token = ei.value.idempotency_token
    assert HEX32.match(token)
    retried = client.jobs.run_now(job_id, idempotency_token=token)
    assert len(list(client.jobs.list_runs(job_id))) == 2  # the dropped run, found again by its token
    assert retried.idempotency_token == token
    client2.close()

    with pytest.raises(libdbx.NotFound) as ei:
        client.jobs.run_now(123456789)
    assert HEX32.match(ei.value.idempotency_token)


def test_submit_and_delete_run(client, emu):
    spec = {"name": "adhoc", "timeout_seconds": 600, "tasks": [
        {"task_key": "x", "spark_python_task": {"python_file": "/adhoc.py"}, "existing_cluster_id": "0101-abc"}]}
    started = client.jobs.submit(spec)
    assert started.number_in_job == 0 and HEX32.match(started.idempotency_token)
    sent = emu.last(API + "/runs/submit")["json"]
    assert sent["run_name"] == "adhoc" and "name" not in sent and sent["timeout_seconds"] == 600
    assert sent["idempotency_token"] == started.idempotency_token
    run = client.jobs.wait_run(started.run_id, timeout=60, **fast(emu))
    assert run.run_type == "SUBMIT_RUN" and run.run_name == "adhoc"
    named = client.jobs.submit(spec, run_name="named", idempotency_token="sub-1")
    sent = emu.last(API + "/runs/submit")["json"]
    assert sent["run_name"] == "named" and sent["idempotency_token"] == "sub-1"
    assert client.jobs.submit(spec, run_name="named", idempotency_token="sub-1").run_id == named.run_id
    with pytest.raises(libdbx.InvalidArgument, match=r"\$.job_clusters belongs to a saved job"):
        client.jobs.submit(MULTI)
    with pytest.raises(libdbx.InvalidState):
        client.jobs.delete_run(named.run_id)  # still active
    emu.advance(60000)
    client.jobs.delete_run(named.run_id)
    assert emu.last(API + "/runs/delete")["json"] == {"run_id": named.run_id}
    with pytest.raises(libdbx.NotFound):
        client.jobs.get_run(named.run_id)


def test_failure_output_and_repair(client, emu):
    job_id = client.jobs.create({"name": "flaky", "tasks": [
        {"task_key": "extract", "spark_python_task": {"python_file": "/extract.py"}},
        {"task_key": "load", "depends_on": [{"task_key": "extract"}], "notebook_task": {"notebook_path": "/load"}}]})
    emu.ctl("POST", "/__emulator/jobs/task-outcomes", {"rules": [
        {"match": "extract", "result_state": "FAILED", "state_message": "extract blew up",
         "logs": "reading s3://b/x\n", "error": "ValueError: bad row 17", "error_trace": "Traceback\n  x"}]})
    started = client.jobs.run_now(job_id)
    with pytest.raises(libdbx.OperationFailed) as ei:
        client.jobs.wait_run(started.run_id, timeout=60, **fast(emu))
    msg = str(ei.value)
    assert "FAILED" in msg and "RUN_EXECUTION_ERROR" in msg
    last = ei.value.last
    assert last.result_state == "FAILED" and not last.is_success and last.is_terminal
    assert last.task("extract").state_message == "extract blew up"
    assert last.task("load").result_state == "UPSTREAM_FAILED"
    out = client.jobs.get_run_output(last.task("extract").run_id)
    assert out.error == "ValueError: bad row 17" and out.error_trace.startswith("Traceback")
    assert out.logs == "reading s3://b/x\n" and out.logs_truncated is False and out.result_state == "FAILED"

    emu.ctl("DELETE", "/__emulator/jobs/task-outcomes")
    repair_id = client.jobs.repair_run(started.run_id, rerun_all_failed_tasks=True, rerun_dependent_tasks=True)
    sent = emu.last(API + "/runs/repair")["json"]
    assert repair_id > 0 and sent["run_id"] == started.run_id
    assert sent["rerun_all_failed_tasks"] is True and sent["rerun_dependent_tasks"] is True
    run = client.jobs.wait_run(started.run_id, timeout=60, **fast(emu))
    assert run.result_state == "SUCCESS" and run.task("load").result_state == "SUCCESS"
    second = client.jobs.repair_run(started.run_id, rerun_tasks=["load"], latest_repair_id=repair_id)
    sent = emu.last(API + "/runs/repair")["json"]
    assert second != repair_id and sent["rerun_tasks"] == ["load"] and sent["latest_repair_id"] == repair_id
    with pytest.raises(libdbx.InvalidArgument, match="exactly one of rerun_tasks and rerun_all_failed_tasks"):
        client.jobs.repair_run(started.run_id)
    emu.advance(60000)


def test_run_now_and_wait_failure_carries_the_start(client, emu):
    job_id = client.jobs.create(simple("timeouts"))
    emu.ctl("POST", "/__emulator/jobs/task-outcomes",
            {"rules": [{"match": "/Shared/timeouts", "result_state": "TIMEDOUT"}]})
    with pytest.raises(libdbx.OperationFailed, match="TIMEDOUT") as ei:
        client.jobs.run_now_and_wait(job_id, timeout=60, job_parameters=None, **fast(emu))
    assert ei.value.started.run_id == ei.value.last.run_id
    assert ei.value.last.result_state == "TIMEDOUT"


def test_wait_interrupts_timeouts_and_callback_errors(client, emu):
    job_id = client.jobs.create(simple("slow"))
    run_id = client.jobs.run_now(job_id).run_id
    calls = []

    def ctrl_c(rid, state):
        calls.append(state)
        if len(calls) == 2:
            raise KeyboardInterrupt  # what Ctrl-C raises inside the callback

    with pytest.raises(KeyboardInterrupt):
        client.jobs.wait_run(run_id, progress=ctrl_c, poll_interval=0.01, poll_max=0.02)
    assert len(calls) == 2  # no poll after the interrupt
    with pytest.raises(ZeroDivisionError):
        client.jobs.wait_run(run_id, progress=lambda r, s: 1 / 0, poll_interval=0.01)
    with pytest.raises(libdbx.Timeout) as ei:
        client.jobs.wait_run(run_id, timeout=0.05, poll_interval=0.01, poll_max=0.02)
    assert ei.value.last.run_id == run_id and not ei.value.last.is_terminal
    with pytest.raises(libdbx.InvalidArgument):
        client.jobs.wait_run(run_id, timeout=0)
    with pytest.raises(libdbx.NotFound, match="123456789"):
        client.jobs.wait_run(123456789)


def test_cancel_and_cancel_all(client, emu):
    job_id = client.jobs.create(simple("cancel-me"))
    run_id = client.jobs.run_now(job_id).run_id
    client.jobs.cancel_run(run_id)
    assert emu.last(API + "/runs/cancel")["json"] == {"run_id": run_id}
    with pytest.raises(libdbx.OperationFailed, match="CANCELED") as ei:
        client.jobs.wait_run(run_id, timeout=60, **fast(emu))
    assert ei.value.last.result_state == "CANCELED"
    a, b = client.jobs.run_now(job_id).run_id, client.jobs.run_now(job_id).run_id
    client.jobs.cancel_all_runs(job_id)
    assert emu.last(API + "/runs/cancel-all")["json"] == {"job_id": job_id}
    emu.advance(5000)
    assert client.jobs.get_run(a).result_state == client.jobs.get_run(b).result_state == "CANCELED"
    client.jobs.cancel_all_runs(all_queued_runs=True)
    assert emu.last(API + "/runs/cancel-all")["json"] == {"all_queued_runs": True}
    with pytest.raises(libdbx.InvalidArgument, match="job_id"):
        client.jobs.cancel_all_runs()
    with pytest.raises(libdbx.NotFound):
        client.jobs.cancel_run(999999)


def test_list_runs_filters_and_pages(client, emu):
    job_id = client.jobs.create(simple("serial", max_concurrent_runs=1, queue={"enabled": True}))
    other = client.jobs.create(simple("other"))
    first = client.jobs.run_now(job_id).run_id
    emu.advance(10)
    second = client.jobs.run_now(job_id).run_id
    assert client.jobs.get_run(second).life_cycle_state == "QUEUED"
    client.jobs.wait_run(first, timeout=60, **fast(emu))
    done = client.jobs.wait_run(second, timeout=60, **fast(emu))
    assert done.queue_duration > 0
    o1 = client.jobs.run_now(other).run_id
    client.jobs.wait_run(o1, timeout=60, **fast(emu))
    emu.advance(10)
    third = client.jobs.run_now(job_id).run_id
    emu.advance(10)
    fourth = client.jobs.run_now(job_id).run_id

    active = [r.run_id for r in client.jobs.list_runs(job_id, active_only=True)]
    assert active == [fourth, third]  # most recent first
    q = emu.last(API + "/runs/list")["query"]
    assert q["job_id"] == [str(job_id)] and q["active_only"] == ["true"] and "completed_only" not in q
    before = len(emu.requests(API + "/runs/list"))
    completed = list(client.jobs.list_runs(completed_only=True, limit=1, expand_tasks=True))
    assert [r.run_id for r in completed] == [o1, second, first]
    assert all(r.is_terminal and len(r.tasks) == 1 for r in completed)
    assert len(emu.requests(API + "/runs/list")) - before >= 3
    q = emu.last(API + "/runs/list")["query"]
    assert q["completed_only"] == ["true"] and q["limit"] == ["1"] and q["expand_tasks"] == ["true"]
    window = list(client.jobs.list_runs(start_time_from=done.start_time, start_time_to=done.start_time,
                                        run_type="JOB_RUN"))
    assert [r.run_id for r in window] == [second]
    q = emu.last(API + "/runs/list")["query"]
    assert q["start_time_from"] == [str(done.start_time)] and q["run_type"] == ["JOB_RUN"]
    assert len(list(client.jobs.list_runs(max_items=2))) == 2
    with pytest.raises(libdbx.InvalidArgument, match="mutually exclusive"):
        client.jobs.list_runs(active_only=True, completed_only=True)
    with pytest.raises(libdbx.InvalidArgument, match="run_type must be"):
        client.jobs.list_runs(run_type="NIGHTLY")
    emu.advance(60000)


def test_settings_builder_accepts_task_dicts_and_keywords(client, emu):
    with JobSettings("mixed") as s:
        s.task({"task_key": "a", "notebook_task": {"notebook_path": "/a"}},
               Task("b").spark_python("/b.py").depends_on("a"))
        s.task({"task_key": "a", "notebook_task": {"notebook_path": "/a2"}})  # same key: replaced
        d = s.to_dict()
        assert [t["task_key"] for t in d["tasks"]] == ["a", "b"]
        assert d["tasks"][0]["notebook_task"]["notebook_path"] == "/a2"
        with pytest.raises(TypeError):
            s.task({"notebook_task": {}})
        job_id = client.jobs.create(s, tags={"k": "v"})  # keywords over a builder
    sent = emu.last(API + "/create")["json"]
    assert sent["name"] == "mixed" and sent["tags"] == {"k": "v"} and len(sent["tasks"]) == 2
    assert client.jobs.get(job_id).tags == {"k": "v"}
    job2 = client.jobs.create(name="kw-only", tasks=[{"task_key": "x", "notebook_task": {"notebook_path": "/x"}}])
    assert client.jobs.get(job2).name == "kw-only"
    assert JobSettings.from_dict(MULTI).to_dict()["name"] == "etl"
    with pytest.raises(libdbx.InvalidArgument, match=r"\$.name must be a string"):
        JobSettings.from_dict('{"name": 3}')
