"""client.mlflow against the emulator: the requests sent and the results, for experiments,
runs, the buffered logger, searches, metric history and run artifacts (signed URLs and UC
volumes), with callbacks' exceptions and bounded memory."""

import io
import math
import os
import random
import tracemalloc

import pytest

import libdbx
from libdbx.mlflow import Dataset, Experiment, FileInfo, Metric, Run

API = "/api/2.0/mlflow"
MiB = 1024 * 1024


def query(req, name):
    v = req["query"].get(name)
    return v[0] if v else None


def header(req, name):
    for k, v in req["headers"].items():
        if k.lower() == name:
            return v
    return None


def last(emu, endpoint):
    return emu.last(API + "/" + endpoint)


def storage(emu):
    return [r for r in emu.requests() if r.get("server") == "other"]


@pytest.fixture
def ml(client):
    return client.mlflow


@pytest.fixture
def exp_id(ml):
    return ml.create_experiment("/Shared/py-exp")


# ---- experiments -------------------------------------------------------------------------

def test_experiment_lifecycle(ml, emu):
    eid = ml.create_experiment("/Shared/e1", artifact_location=None, tags={"team": "fraud", "n": 3})
    req = last(emu, "experiments/create")
    assert req["method"] == "POST"
    assert req["json"]["name"] == "/Shared/e1"
    assert "artifact_location" not in req["json"]
    assert {"key": "n", "value": "3"} in req["json"]["tags"]
    assert isinstance(eid, str) and eid.isdigit()

    e = ml.get_experiment(eid)
    assert isinstance(e, Experiment)
    assert query(last(emu, "experiments/get"), "experiment_id") == eid
    assert e.experiment_id == eid and e.name == "/Shared/e1"
    assert e.lifecycle_stage == "active"
    assert e.artifact_location == "dbfs:/databricks/mlflow-tracking/" + eid
    assert e.tags["team"] == "fraud" and e.tags["n"] == "3"
    assert isinstance(e.creation_time, int) and e.creation_time > 0
    assert e.raw["experiment_id"] == eid

    by_name = ml.get_experiment_by_name("/Shared/e1")
    assert query(last(emu, "experiments/get-by-name"), "experiment_name") == "/Shared/e1"
    assert by_name.experiment_id == eid
    assert ml.get_experiment_by_name("/Shared/none") is None

    ml.rename_experiment(eid, "/Shared/e1-renamed")
    assert last(emu, "experiments/update")["json"] == {"experiment_id": eid, "new_name": "/Shared/e1-renamed"}
    assert ml.get_experiment(eid).name == "/Shared/e1-renamed"

    ml.set_experiment_tag(eid, "stage", "dev")
    assert last(emu, "experiments/set-experiment-tag")["json"] == {"experiment_id": eid, "key": "stage",
                                                                   "value": "dev"}
    assert ml.get_experiment(eid).tags["stage"] == "dev"
    ml.delete_experiment_tag(eid, "stage")
    assert last(emu, "experiments/delete-experiment-tag")["json"] == {"experiment_id": eid, "key": "stage"}
    assert "stage" not in ml.get_experiment(eid).tags

    ml.delete_experiment(eid)
    assert last(emu, "experiments/delete")["json"] == {"experiment_id": eid}
    assert ml.get_experiment(eid).lifecycle_stage == "deleted"
    ml.restore_experiment(eid)
    assert last(emu, "experiments/restore")["json"] == {"experiment_id": eid}
    assert ml.get_experiment(eid).lifecycle_stage == "active"


def test_experiment_errors(ml, emu):
    ml.create_experiment("/Shared/dup")
    with pytest.raises(libdbx.AlreadyExists) as ei:
        ml.create_experiment("/Shared/dup")
    assert ei.value.http_status == 400 and ei.value.error_code == "RESOURCE_ALREADY_EXISTS"
    with pytest.raises(libdbx.NotFound) as ei:
        ml.get_experiment("12345")
    assert ei.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    n = len(emu.requests())
    with pytest.raises(libdbx.InvalidArgument, match="name"):
        ml.create_experiment("x" * 600)
    with pytest.raises(libdbx.InvalidArgument):
        ml.set_experiment_tag("1", "bad key!", "v")
    assert len(emu.requests()) == n  # refused before any request
    with pytest.raises(TypeError):
        ml.create_experiment("/Shared/t", tags=[1, 2])


def test_search_experiments_pages_lazily(ml, emu):
    emu.config(page_size_mlflow_search=2)
    ids = [ml.create_experiment("/Shared/s%d" % i, tags={"i": str(i)}) for i in range(5)]
    n = len(emu.requests())
    it = ml.search_experiments("name LIKE '/Shared/s%'", order_by=["name ASC"], view_type="ACTIVE_ONLY",
                               page_size=2)
    assert len(emu.requests()) == n  # nothing before the first next()
    first = next(it)
    assert first.name == "/Shared/s0"
    req = last(emu, "experiments/search")
    assert req["json"]["filter"] == "name LIKE '/Shared/s%'"
    assert req["json"]["order_by"] == ["name ASC"]
    assert req["json"]["view_type"] == "ACTIVE_ONLY"
    assert req["json"]["max_results"] == 2
    rest = list(it)
    assert [e.name for e in rest] == ["/Shared/s%d" % i for i in range(1, 5)]
    assert len(emu.requests(API + "/experiments/search")) == 3  # paged
    # max_results stops early; deleted ones with view_type
    assert len(list(ml.search_experiments(max_results=3))) == 3
    ml.delete_experiment(ids[0])
    deleted = list(ml.search_experiments(view_type="deleted_only"))
    assert [e.experiment_id for e in deleted] == [ids[0]]
    assert last(emu, "experiments/search")["json"]["view_type"] == "DELETED_ONLY"
    with pytest.raises(libdbx.InvalidArgument):
        ml.search_experiments(view_type="SOME")
    with pytest.raises(libdbx.InvalidParameter):
        list(ml.search_experiments("name OR x"))


# ---- runs --------------------------------------------------------------------------------

def test_run_lifecycle(ml, emu, exp_id):
    r = ml.create_run(exp_id, run_name="first", start_time=1700000000000, tags={"src": "py"})
    req = last(emu, "runs/create")
    assert req["json"]["experiment_id"] == exp_id
    assert req["json"]["run_name"] == "first"
    assert int(req["json"]["start_time"]) == 1700000000000
    assert {"key": "src", "value": "py"} in req["json"]["tags"]
    assert isinstance(r, Run)
    assert r.run_name == "first" and r.experiment_id == exp_id
    assert r.status == "RUNNING" and r.status_code == libdbx.mlflow.RUN_STATUSES["RUNNING"]
    assert r.start_time == 1700000000000 and r.end_time is None
    assert r.lifecycle_stage == "active"
    assert r.artifact_uri.endswith("/%s/artifacts" % r.run_id)
    assert r.tags["src"] == "py" and r.tags["mlflow.runName"] == "first"
    assert r.user_id

    rid = r.run_id
    ml.log_param(rid, "lr", 0.01)
    assert last(emu, "runs/log-parameter")["json"] == {"run_id": rid, "key": "lr", "value": "0.01"}
    ml.log_metric(rid, "loss", 0.5, timestamp=1000, step=3)
    req = last(emu, "runs/log-metric")
    assert req["json"]["key"] == "loss" and req["json"]["value"] == 0.5
    assert int(req["json"]["timestamp"]) == 1000 and int(req["json"]["step"]) == 3
    ml.log_metric(rid, "nan", float("nan"))  # timestamp defaults to now
    req = last(emu, "runs/log-metric")
    assert req["json"]["value"] == "NaN" and int(req["json"]["timestamp"]) > 1600000000000
    ml.set_tag(rid, "k", "v")
    assert last(emu, "runs/set-tag")["json"] == {"run_id": rid, "key": "k", "value": "v"}

    got = ml.get_run(rid)
    assert query(last(emu, "runs/get"), "run_id") == rid
    assert got.params == {"lr": "0.01"}
    assert got.metrics["loss"] == 0.5 and math.isnan(got.metrics["nan"])
    assert got.metric_details["loss"] == Metric("loss", 0.5, 1000, 3)
    assert got.tags["k"] == "v"
    assert got.raw["info"]["run_id"] == rid

    ml.delete_tag(rid, "k")
    assert last(emu, "runs/delete-tag")["json"] == {"run_id": rid, "key": "k"}
    assert "k" not in ml.get_run(rid).tags

    ml.update_run(rid, name="renamed")
    req = last(emu, "runs/update")
    assert req["json"]["run_name"] == "renamed" and "status" not in req["json"]
    assert "end_time" not in req["json"]
    ml.set_terminated(rid, "KILLED", end_time=1700000005000)
    req = last(emu, "runs/update")
    assert req["json"]["status"] == "KILLED" and int(req["json"]["end_time"]) == 1700000005000
    got = ml.get_run(rid)
    assert got.status == "KILLED" and got.end_time == 1700000005000 and got.run_name == "renamed"
    with pytest.raises(libdbx.InvalidArgument):
        ml.update_run(rid, status="DONE")

    ml.delete_run(rid)
    assert last(emu, "runs/delete")["json"] == {"run_id": rid}
    assert ml.get_run(rid).lifecycle_stage == "deleted"
    with pytest.raises(libdbx.InvalidParameter, match="active"):
        ml.log_param(rid, "x", "1")
    ml.restore_run(rid)
    assert last(emu, "runs/restore")["json"] == {"run_id": rid}
    assert ml.get_run(rid).lifecycle_stage == "active"


def test_run_errors(ml, emu, exp_id):
    rid = ml.create_run(exp_id).run_id
    ml.log_param(rid, "p", "1")
    with pytest.raises(libdbx.InvalidParameter) as ei:
        ml.log_param(rid, "p", "2")
    assert ei.value.error_code == "INVALID_PARAMETER_VALUE" and ei.value.http_status == 400
    with pytest.raises(libdbx.NotFound):
        ml.get_run("0" * 32)
    n = len(emu.requests())
    with pytest.raises(libdbx.InvalidArgument, match="key"):
        ml.log_metric(rid, "bad key!", 1.0)
    with pytest.raises(libdbx.InvalidArgument):
        ml.log_param(rid, "p2", "x" * 501)
    with pytest.raises(TypeError):
        ml.log_metric(rid, "m", "1.0")
    assert len(emu.requests()) == n


def test_start_run_context_manager(ml, emu, exp_id):
    with ml.start_run(exp_id, run_name="ctx", tags={"a": "b"}) as run:
        assert last(emu, "runs/create")["json"]["run_name"] == "ctx"
        run.log_param("alpha", 1)
        run.log_metric("m", 2.0, step=1)
        run.set_tag("t", "x")
        run.log_batch(metrics=[("b", 1.5)], params={"beta": "2"})
        assert run.get().status == "RUNNING"
    req = last(emu, "runs/update")
    assert req["json"]["run_id"] == run.run_id and req["json"]["status"] == "FINISHED"
    got = ml.get_run(run.run_id)
    assert got.status == "FINISHED" and got.end_time
    assert got.params == {"alpha": "1", "beta": "2"} and got.metrics == {"m": 2.0, "b": 1.5}

    with pytest.raises(ZeroDivisionError):
        with ml.start_run(exp_id) as failed:
            1 / 0
    assert last(emu, "runs/update")["json"]["status"] == "FAILED"
    assert ml.get_run(failed.run_id).status == "FAILED"

    # resuming a run: RUNNING again, then FINISHED at the end of the block
    with ml.start_run(run_id=failed.run_id) as resumed:
        assert last(emu, "runs/update")["json"] == {"run_id": failed.run_id, "status": "RUNNING"}
        assert resumed.info.status == "RUNNING"
    assert ml.get_run(failed.run_id).status == "FINISHED"
    with pytest.raises(libdbx.InvalidArgument, match="experiment_id"):
        ml.start_run()


def test_log_batch_and_inputs(ml, emu, exp_id):
    rid = ml.create_run(exp_id).run_id
    ml.log_batch(rid, metrics=[Metric("acc", 0.9, 10, 1), ("acc", 0.95, 20, 2), ("inf", float("inf"))],
                 params=[("p1", "a"), ("p2", 7)], tags={"t1": "x"})
    req = last(emu, "runs/log-batch")["json"]
    assert req["run_id"] == rid
    assert [(m["key"], m["value"], int(m["timestamp"]), int(m["step"])) for m in req["metrics"][:2]] == \
        [("acc", 0.9, 10, 1), ("acc", 0.95, 20, 2)]
    assert req["metrics"][2]["value"] == "Infinity"
    assert req["params"] == [{"key": "p1", "value": "a"}, {"key": "p2", "value": "7"}]
    assert req["tags"] == [{"key": "t1", "value": "x"}]
    r = ml.get_run(rid)
    assert r.metrics["acc"] == 0.95 and r.metrics["inf"] == float("inf")
    assert r.params == {"p1": "a", "p2": "7"}
    n = len(emu.requests())
    with pytest.raises(libdbx.InvalidArgument):
        ml.log_batch(rid, params={"k%d" % i: "v" for i in range(101)})
    with pytest.raises(libdbx.InvalidArgument):
        ml.log_batch(rid, params=[("d", "1"), ("d", "2")])
    assert len(emu.requests()) == n

    ml.log_inputs(rid, [Dataset("train", "abc123", "local", {"uri": "/tmp/train.csv"},
                                schema='{"mlflow_colspec": []}', tags={"mlflow.data.context": "training"}),
                        {"name": "eval", "digest": "def456", "source_type": "code", "source": "{}"}])
    req = last(emu, "runs/log-inputs")["json"]
    assert req["run_id"] == rid
    d0 = req["datasets"][0]
    assert d0["dataset"]["name"] == "train" and d0["dataset"]["digest"] == "abc123"
    assert d0["dataset"]["source"] == '{"uri": "/tmp/train.csv"}'
    assert d0["dataset"]["schema"] == '{"mlflow_colspec": []}'
    assert d0["tags"] == [{"key": "mlflow.data.context", "value": "training"}]
    assert "profile" not in d0["dataset"]
    assert req["datasets"][1]["dataset"]["name"] == "eval"
    r = ml.get_run(rid)
    assert r.datasets == [("train", "abc123"), ("eval", "def456")]
    assert len(r.inputs["dataset_inputs"]) == 2
    with pytest.raises(libdbx.InvalidArgument):
        ml.log_inputs(rid, [])


def test_search_runs_and_metric_history(ml, emu, exp_id):
    emu.config(page_size_mlflow_search=2, page_size_mlflow_history=3)
    other = ml.create_experiment("/Shared/py-other")
    ids = []
    for i in range(5):
        r = ml.create_run(exp_id if i % 2 == 0 else other, run_name="r%d" % i, start_time=1000 + i)
        ml.log_metric(r.run_id, "rmse", float(i), timestamp=5, step=0)
        ids.append(r.run_id)
    n = len(emu.requests())
    it = ml.search_runs([exp_id, other], "metrics.rmse < 4", order_by=["metrics.rmse DESC"],
                        run_view_type="ALL", page_size=2)
    assert len(emu.requests()) == n
    runs = list(it)
    assert [r.run_name for r in runs] == ["r3", "r2", "r1", "r0"]
    assert all(isinstance(r, Run) for r in runs)
    assert runs[0].metrics == {"rmse": 3.0}
    reqs = emu.requests(API + "/runs/search")
    assert len(reqs) == 2
    body = reqs[0]["json"]
    assert body["experiment_ids"] == [exp_id, other]
    assert body["filter"] == "metrics.rmse < 4"
    assert body["order_by"] == ["metrics.rmse DESC"]
    assert body["run_view_type"] == "ALL"
    assert body["max_results"] == 2
    assert reqs[1]["json"]["page_token"]
    assert [r.run_name for r in ml.search_runs(exp_id, max_results=1)] == ["r4"]  # a single id, start_time DESC
    with pytest.raises(libdbx.InvalidParameter):
        next(ml.search_runs(exp_id, "metrics.rmse ~ 1"))

    rid = ids[0]
    for s in range(1, 8):
        ml.log_metric(rid, "loss", 1.0 / s, timestamp=100 + s, step=s)
    hist = ml.get_metric_history(rid, "loss")
    pts = list(hist)
    assert [m.step for m in pts] == list(range(1, 8))
    assert pts[1] == Metric("loss", 0.5, 102, 2)
    reqs = emu.requests(API + "/metrics/get-history")
    assert len(reqs) == 3
    assert query(reqs[0], "run_id") == rid and query(reqs[0], "metric_key") == "loss"
    assert query(reqs[1], "page_token")
    assert len(list(ml.get_metric_history(rid, "loss", max_results=4, page_size=2))) == 4
    assert query(last(emu, "metrics/get-history"), "max_results") == "2"
    # closing an iterator early frees it; it then stays empty
    it = ml.get_metric_history(rid, "loss")
    next(it)
    it.close()
    assert list(it) == []


# ---- the logger --------------------------------------------------------------------------

def test_logger_batches_and_flushes_on_exit(ml, emu, exp_id):
    rid = ml.create_run(exp_id).run_id
    with ml.logger(rid) as log:
        for i in range(2500):
            log.log_metric("m", float(i), timestamp=1, step=i)
        log.log_params({"a": 1, "b": "two"})
        log.set_tags({"t": "x"})
        log.log_metrics({"x": 1.0, "y": 2.0}, step=9)
        assert log.pending == 2500 + 2 + 1 + 2
        assert emu.requests(API + "/runs/log-batch") == []
    reqs = emu.requests(API + "/runs/log-batch")
    assert len(reqs) == 3
    assert [len(r["json"].get("metrics", [])) for r in reqs] == [1000, 1000, 502]
    assert reqs[2]["json"]["params"] == [{"key": "a", "value": "1"}, {"key": "b", "value": "two"}]
    assert reqs[2]["json"]["tags"] == [{"key": "t", "value": "x"}]
    assert log.pending == 0 and log.requests == 0  # closed: the C logger is gone
    r = ml.get_run(rid)
    assert r.metrics["m"] == 2499.0 and r.params == {"a": "1", "b": "two"} and r.tags["t"] == "x"
    assert len(list(ml.get_metric_history(rid, "m"))) == 2500
    with pytest.raises(libdbx.InvalidArgument, match="closed"):
        log.log_metric("m", 1.0)


def test_logger_checks_failure_and_retry(ml, emu, exp_id):
    rid = ml.create_run(exp_id).run_id
    log = ml.logger(rid)
    log.log_param("p", "1")
    log.log_param("p", "1")  # the same value is not added again
    with pytest.raises(libdbx.InvalidArgument):
        log.log_param("p", "2")
    with pytest.raises(libdbx.InvalidArgument):
        log.set_tag("bad key!", "v")
    assert log.pending == 1
    for i in range(1500):
        log.log_metric("m", float(i), timestamp=1, step=i)
    emu.fault(path=API + "/runs/log-batch", after=1, times=1, action="status", status=400,
              body={"error_code": "INVALID_PARAMETER_VALUE", "message": "nope"})
    with pytest.raises(libdbx.InvalidParameter, match="nope"):
        log.flush()
    assert log.last_failure == (1000, 501)
    assert log.pending == 501
    assert log.requests == 1
    log.flush()
    assert log.last_failure is None and log.pending == 0 and log.requests == 2
    assert len(list(ml.get_metric_history(rid, "m"))) == 1500
    log.close()
    log.close()  # idempotent


def test_logger_auto_flush_and_flush_error_in_with(ml, emu, exp_id):
    rid = ml.create_run(exp_id).run_id
    with ml.logger(rid, auto_flush=True) as log:
        for i in range(1000):
            log.log_metric("m", float(i), timestamp=1, step=i)
        assert len(emu.requests(API + "/runs/log-batch")) == 1  # a full request went at once
        assert log.pending == 0
    # the body raises and the exit flush fails too: the body's exception wins, the flush
    # error is attached to it
    emu.fault(path=API + "/runs/log-batch", times=1, action="status", status=400,
              body={"error_code": "INVALID_PARAMETER_VALUE", "message": "refused"})
    with pytest.raises(KeyError) as ei:
        with ml.logger(rid) as log:
            log.log_metric("z", 1.0)
            raise KeyError("body")
    assert isinstance(ei.value.flush_error, libdbx.InvalidParameter)
    # the run context manager and its logger together
    with ml.start_run(exp_id) as run:
        with run.logger() as log:
            log.log_metric("q", 1.0, step=0)
    assert ml.get_run(run.run_id).metrics == {"q": 1.0}


# ---- artifacts ---------------------------------------------------------------------------

def test_artifacts_signed_urls(ml, emu, exp_id, tmp_path):
    rid = ml.create_run(exp_id).run_id
    model = tmp_path / "model"
    (model / "data").mkdir(parents=True)
    (model / "MLmodel").write_text("artifact_path: model\n")
    (model / "data" / "model.pkl").write_bytes(b"PICKLE")
    ml.log_artifacts(rid, model, artifact_path="model")
    req = last(emu, "artifacts/credentials-for-write")
    assert req["json"]["run_id"] == rid
    puts = [r for r in storage(emu) if r["method"] == "PUT"]
    assert len(puts) == 2 and all(header(r, "authorization") is None for r in puts)

    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"hello notes")
    ml.log_artifact(rid, notes, artifact_path="docs")
    assert last(emu, "artifacts/credentials-for-write")["json"]["path"] == ["docs/notes.txt"]
    ml.upload_artifact(rid, "raw.bin", b"\x00\x01bytes")
    assert last(emu, "artifacts/credentials-for-write")["json"]["path"] == ["raw.bin"]
    ml.upload_artifact(rid, "fobj.bin", io.BytesIO(b"from a file object"))
    ml.upload_artifact(rid, "ba.bin", bytearray(b"ba"))
    ml.upload_artifact(rid, "viapath.txt", str(notes))

    root = list(ml.list_artifacts(rid))
    assert query(last(emu, "artifacts/list"), "run_id") == rid
    assert query(last(emu, "artifacts/list"), "path") is None
    assert [f.path for f in root] == ["ba.bin", "docs", "fobj.bin", "model", "raw.bin", "viapath.txt"]
    assert root[1] == FileInfo("docs", True, None, {})
    assert root[4].file_size == 7 and not root[4].is_dir
    assert root[4].raw["path"] == "raw.bin"
    sub = list(ml.list_artifacts(rid, "model"))
    assert query(last(emu, "artifacts/list"), "path") == "model"
    assert [f.path for f in sub] == ["model/MLmodel", "model/data"]

    assert ml.download_artifact(rid, "raw.bin") == b"\x00\x01bytes"
    assert last(emu, "artifacts/credentials-for-read")["json"]["path"] == ["raw.bin"]
    assert ml.download_artifact(rid, "fobj.bin") == b"from a file object"
    out = tmp_path / "copy.txt"
    assert ml.download_artifact(rid, "docs/notes.txt", out) == 11
    assert out.read_bytes() == b"hello notes"
    buf = io.BytesIO()
    assert ml.download_artifact(rid, "model/data/model.pkl", buf) == 6
    assert buf.getvalue() == b"PICKLE"
    pieces = []
    ml.download_artifact(rid, "viapath.txt", pieces.append)
    assert b"".join(pieces) == b"hello notes"
    dest = ml.download_artifacts(rid, "model", tmp_path / "dl")
    assert dest == str(tmp_path / "dl")
    assert (tmp_path / "dl" / "data" / "model.pkl").read_bytes() == b"PICKLE"
    ml.download_artifacts(rid, None, tmp_path / "all")
    assert (tmp_path / "all" / "model" / "MLmodel").read_text() == "artifact_path: model\n"

    with pytest.raises(libdbx.NotFound):
        ml.download_artifact(rid, "none.bin")
    n = len(emu.requests())
    with pytest.raises(libdbx.InvalidArgument):
        ml.upload_artifact(rid, "/abs.txt", b"x")
    with pytest.raises(libdbx.InvalidArgument):
        ml.download_artifact(rid, "a/../b")
    assert len(emu.requests()) == n
    with pytest.raises(TypeError):
        ml.upload_artifact(rid, "x", 42)
    with pytest.raises(TypeError):
        ml.upload_artifact(rid, "x", io.StringIO("text"))


def test_artifact_callbacks_errors_are_reraised(ml, emu, exp_id):
    rid = ml.create_run(exp_id).run_id
    ml.upload_artifact(rid, "a.bin", b"x" * 100000)

    class Boom(Exception):
        pass

    class BadReader(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, b):
            raise Boom("reader")

    with pytest.raises(Boom, match="reader"):
        ml.upload_artifact(rid, "b.bin", BadReader())

    def bad_sink(piece):
        raise Boom("sink")

    with pytest.raises(Boom, match="sink"):
        ml.download_artifact(rid, "a.bin", bad_sink)


def test_artifacts_bounded_memory(ml, emu, exp_id, tmp_path):
    rid = ml.create_run(exp_id).run_id
    size = 24 * MiB + 17
    local = tmp_path / "big.bin"
    rnd = random.Random(3)
    with open(local, "wb") as f:
        for _ in range(24):
            f.write(rnd.randbytes(MiB))
        f.write(b"z" * 17)
    tracemalloc.start()
    try:
        with open(local, "rb") as f:
            ml.upload_artifact(rid, "big.bin", f)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MiB
    put = [r for r in storage(emu) if r["method"] == "PUT"][-1]
    assert header(put, "content-length") == str(size)
    tracemalloc.start()
    try:
        with open(tmp_path / "back.bin", "wb") as out:
            assert ml.download_artifact(rid, "big.bin", out) == size
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MiB
    assert os.path.getsize(tmp_path / "back.bin") == size
    with open(local, "rb") as a, open(tmp_path / "back.bin", "rb") as b:
        while True:
            x, y = a.read(MiB), b.read(MiB)
            assert x == y
            if not x:
                break


def test_artifacts_uc_volume(ml, emu):
    eid = ml.create_experiment("/Shared/vol", artifact_location="dbfs:/Volumes/main/default/vol/mlruns")
    assert last(emu, "experiments/create")["json"]["artifact_location"] == "dbfs:/Volumes/main/default/vol/mlruns"
    rid = ml.create_run(eid).run_id
    ml.upload_artifact(rid, "m/x.txt", b"volume bytes")
    path = "/api/2.0/fs/files/Volumes/main/default/vol/mlruns/%s/artifacts/m/x.txt" % rid
    assert emu.last(path)["method"] == "PUT"
    assert [f.path for f in ml.list_artifacts(rid)] == ["m"]
    assert ml.download_artifact(rid, "m/x.txt") == b"volume bytes"


def test_run_status_name(ml):
    assert ml.run_status_name(3) == "FINISHED"
    assert ml.run_status_name(99) == "UNKNOWN"


def test_keyboard_interrupt_in_a_transfer_callback_stops_it(ml, emu, exp_id):
    rid = ml.create_run(exp_id).run_id
    ml.upload_artifact(rid, "k.bin", b"k" * 300000)
    calls = []

    def sink(piece):
        calls.append(len(piece))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ml.download_artifact(rid, "k.bin", sink)
    assert len(calls) == 1  # stopped at the first piece, not called again
    # the client still works afterwards
    assert ml.download_artifact(rid, "k.bin") == b"k" * 300000


def test_client_mlflow_retry_policy_and_registry_uri_keywords(emu):
    """The MLflow retry keywords reach the C client: with a 10 ms MLflow backoff (the default
    is 2 s), three 429s on an MLflow call are waited out at once (4 requests), even with a
    general retry budget too small for them; registry_uri picks the registry."""
    emu.ctl("POST", "/__emulator/reset", {})
    with libdbx.Client(host=emu.base, token="dapi-emulator-token", no_env=True,
                       no_config_file=True, retry_timeout=0.001, retry_initial_delay=0.01,
                       retry_max_delay=0.02, mlflow_retry_timeout=30,
                       mlflow_retry_initial_delay=0.01, mlflow_retry_max_delay=0.02,
                       registry_uri="databricks-uc") as c:
        exp = c.mlflow.create_experiment("/Shared/retry-keywords")
        emu.fault(path=API + "/experiments/get", times=3, action="status", status=429,
                  body={"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow down"})
        assert c.mlflow.get_experiment(exp).name == "/Shared/retry-keywords"
        assert len(emu.requests(API + "/experiments/get")) == 4
        # registry_uri="databricks-uc": a one-part name is not a UC name (refused locally)
        with pytest.raises(libdbx.InvalidArgument):
            c.registry.get_model("fraud")
        assert emu.requests("/api/2.0/mlflow/registered-models/get") == []


def test_client_mlflow_retry_timeout_keyword_bounds_mlflow_calls(emu):
    """A tiny MLflow budget gives up on the first 429 (the 15 min default would wait it out)."""
    emu.ctl("POST", "/__emulator/reset", {})
    with libdbx.Client(host=emu.base, token="dapi-emulator-token", no_env=True,
                       no_config_file=True, mlflow_retry_timeout=0.001) as c:
        exp = c.mlflow.create_experiment("/Shared/retry-budget")
        emu.fault(path=API + "/experiments/get", times=3, action="status", status=429,
                  body={"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow down"})
        with pytest.raises(libdbx.RateLimited):
            c.mlflow.get_experiment(exp)
        assert len(emu.requests(API + "/experiments/get")) == 1
