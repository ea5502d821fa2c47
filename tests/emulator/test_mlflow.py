"""Tests for the emulator's MLflow tracking and run artifacts (apis/mlflow.py; docs/emulator.md,
"MLflow tracking").

Run: /usr/bin/python3 -m pytest tests/emulator -q
"""

import json
import urllib.parse

import pytest

from test_emulator import Emu, start_emulator, stop_emulator

M = "/api/2.0/mlflow/"
USER = "emulator-user@example.com"


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    proc, info = start_emulator(tmp_path_factory.mktemp("emu-mlflow"))
    try:
        yield Emu(info)
    finally:
        stop_emulator(proc)


@pytest.fixture(autouse=True)
def _reset(emu):
    emu.ctl("POST", "reset")
    yield


def post(emu, op, body):
    return emu.call("POST", M + op, body)


def get(emu, op, **query):
    return emu.call("GET", M + op + "?" + urllib.parse.urlencode(query, doseq=True))


def ok(res):
    status, body = res
    assert status == 200, body
    return body


def err(res, status, code, part=None):
    st, body = res
    assert st == status, body
    assert body["error_code"] == code, body
    if part is not None:
        assert part in body["message"], body
    return body["message"]


def new_exp(emu, name="/Users/u@example.com/fraud", **kw):
    return ok(post(emu, "experiments/create", dict(name=name, **kw)))["experiment_id"]


def new_run(emu, eid, **kw):
    return ok(post(emu, "runs/create", dict(experiment_id=eid, **kw)))["run"]


# ---- experiments -----------------------------------------------------------------------------------

def test_experiment_create_get(emu):
    eid = new_exp(emu, tags=[{"key": "team", "value": "risk"}])
    assert eid.isdigit() and len(eid) >= 16
    eid2 = new_exp(emu, "/Shared/x")
    assert int(eid2) == int(eid) + 1
    e = ok(get(emu, "experiments/get", experiment_id=eid))["experiment"]
    assert e["experiment_id"] == eid and e["name"] == "/Users/u@example.com/fraud"
    assert e["artifact_location"] == "dbfs:/databricks/mlflow-tracking/" + eid
    assert e["lifecycle_stage"] == "active"
    assert isinstance(e["creation_time"], int) and e["last_update_time"] == e["creation_time"]
    tags = {t["key"]: t["value"] for t in e["tags"]}
    assert tags["team"] == "risk" and tags["mlflow.ownerEmail"] == USER
    e2 = ok(get(emu, "experiments/get-by-name", experiment_name="/Shared/x"))["experiment"]
    assert e2["experiment_id"] == eid2
    # the preview alias serves the same store
    st, body = emu.call("GET", "/api/2.0/preview/mlflow/experiments/get?experiment_id=" + eid)
    assert st == 200 and body["experiment"]["experiment_id"] == eid


def test_experiment_errors(emu):
    err(post(emu, "experiments/create", {}), 400, "INVALID_PARAMETER_VALUE",
        "Missing value for required parameter 'name'")
    err(post(emu, "experiments/create", {"name": "fraud"}), 400, "INVALID_PARAMETER_VALUE",
        "absolute path")
    err(post(emu, "experiments/create", {"name": 5}), 400, "INVALID_PARAMETER_VALUE")
    err(post(emu, "experiments/create", {"name": "/Shared/a", "artifact_location": "runs:/x/y"}),
        400, "INVALID_PARAMETER_VALUE", "runs:/")
    eid = new_exp(emu, "/Shared/a")
    err(post(emu, "experiments/create", {"name": "/Shared/a"}), 400, "RESOURCE_ALREADY_EXISTS",
        "Experiment '/Shared/a' already exists.")
    ok(post(emu, "experiments/delete", {"experiment_id": eid}))
    # names are unique among active and deleted experiments
    err(post(emu, "experiments/create", {"name": "/Shared/a"}), 400, "RESOURCE_ALREADY_EXISTS",
        "deleted state")
    err(get(emu, "experiments/get", experiment_id="123"), 404, "RESOURCE_DOES_NOT_EXIST",
        "No Experiment with id=123 exists")
    err(get(emu, "experiments/get"), 400, "INVALID_PARAMETER_VALUE", "'experiment_id'")
    err(get(emu, "experiments/get-by-name", experiment_name="/nope"), 404,
        "RESOURCE_DOES_NOT_EXIST", "Could not find experiment with name '/nope'")
    long_tag = [{"key": "k", "value": "v" * 5001}]
    err(post(emu, "experiments/create", {"name": "/Shared/b", "tags": long_tag}), 400,
        "INVALID_PARAMETER_VALUE", "exceeded length limit of 5000")


def test_experiment_update_delete_restore_tags(emu):
    eid = new_exp(emu, "/Shared/a")
    new_exp(emu, "/Shared/b")
    emu.advance(10)
    ok(post(emu, "experiments/update", {"experiment_id": eid, "new_name": "/Shared/c"}))
    e = ok(get(emu, "experiments/get", experiment_id=eid))["experiment"]
    assert e["name"] == "/Shared/c" and e["last_update_time"] > e["creation_time"]
    err(post(emu, "experiments/update", {"experiment_id": eid, "new_name": "/Shared/b"}), 400,
        "RESOURCE_ALREADY_EXISTS")
    ok(post(emu, "experiments/set-experiment-tag", {"experiment_id": eid, "key": "a", "value": "1"}))
    ok(post(emu, "experiments/set-experiment-tag", {"experiment_id": eid, "key": "a", "value": "2"}))
    tags = {t["key"]: t["value"] for t in
            ok(get(emu, "experiments/get", experiment_id=eid))["experiment"]["tags"]}
    assert tags["a"] == "2"
    ok(post(emu, "experiments/delete-experiment-tag", {"experiment_id": eid, "key": "a"}))
    err(post(emu, "experiments/delete-experiment-tag", {"experiment_id": eid, "key": "a"}), 404,
        "RESOURCE_DOES_NOT_EXIST")
    run = new_run(emu, eid)
    ok(post(emu, "experiments/delete", {"experiment_id": eid}))
    e = ok(get(emu, "experiments/get", experiment_id=eid))["experiment"]
    assert e["lifecycle_stage"] == "deleted"
    r = ok(get(emu, "runs/get", run_id=run["info"]["run_id"]))["run"]
    assert r["info"]["lifecycle_stage"] == "deleted"
    err(post(emu, "runs/create", {"experiment_id": eid}), 400, "INVALID_PARAMETER_VALUE",
        "must be in the 'active' state")
    err(post(emu, "experiments/update", {"experiment_id": eid, "new_name": "/Shared/z"}), 400,
        "INVALID_STATE")
    err(post(emu, "experiments/set-experiment-tag", {"experiment_id": eid, "key": "a",
                                                     "value": "1"}), 400, "INVALID_PARAMETER_VALUE")
    ok(post(emu, "experiments/restore", {"experiment_id": eid}))
    assert ok(get(emu, "experiments/get", experiment_id=eid))["experiment"]["lifecycle_stage"] == \
        "active"
    r = ok(get(emu, "runs/get", run_id=run["info"]["run_id"]))["run"]
    assert r["info"]["lifecycle_stage"] == "active"
    err(post(emu, "experiments/delete", {"experiment_id": "9"}), 404, "RESOURCE_DOES_NOT_EXIST")


# ---- runs ------------------------------------------------------------------------------------------

def test_run_create_get_update(emu):
    eid = new_exp(emu)
    r = new_run(emu, eid, run_name="r1", start_time=1234, tags=[{"key": "t", "value": "v"}])
    info = r["info"]
    rid = info["run_id"]
    assert len(rid) == 32 and all(c in "0123456789abcdef" for c in rid)
    assert info["run_uuid"] == rid and info["experiment_id"] == eid
    assert info["status"] == "RUNNING" and info["lifecycle_stage"] == "active"
    assert info["start_time"] == 1234 and "end_time" not in info
    assert info["run_name"] == "r1" and info["user_id"] == USER
    assert info["artifact_uri"] == "dbfs:/databricks/mlflow-tracking/%s/%s/artifacts" % (eid, rid)
    tags = {t["key"]: t["value"] for t in r["data"]["tags"]}
    assert tags == {"t": "v", "mlflow.runName": "r1", "mlflow.user": USER}
    assert "metrics" not in r["data"] and "params" not in r["data"]
    # defaults: start_time = now on the virtual clock, a generated name
    now = emu.advance(0)
    r2 = new_run(emu, eid)["info"]
    assert abs(r2["start_time"] - now) < 5000 and r2["run_name"]
    # start_time as a decimal string (proto3 JSON int64)
    assert new_run(emu, eid, start_time="77")["info"]["start_time"] == 77
    got = ok(get(emu, "runs/get", run_id=rid))["run"]
    assert got["info"] == info
    assert ok(get(emu, "runs/get", run_uuid=rid))["run"]["info"]["run_id"] == rid
    ri = ok(post(emu, "runs/update", {"run_id": rid, "status": "FINISHED", "end_time": 5000,
                                      "run_name": "r1b"}))["run_info"]
    assert ri["status"] == "FINISHED" and ri["end_time"] == 5000 and ri["run_name"] == "r1b"
    tags = {t["key"]: t["value"] for t in ok(get(emu, "runs/get", run_id=rid))["run"]["data"]["tags"]}
    assert tags["mlflow.runName"] == "r1b"
    err(post(emu, "runs/update", {"run_id": rid, "status": "DONE"}), 400, "INVALID_PARAMETER_VALUE")
    err(get(emu, "runs/get", run_id="0" * 32), 404, "RESOURCE_DOES_NOT_EXIST",
        "Run with id=%s not found" % ("0" * 32))
    err(get(emu, "runs/get"), 400, "INVALID_PARAMETER_VALUE", "'run_id'")
    err(post(emu, "runs/create", {"experiment_id": "42"}), 404, "RESOURCE_DOES_NOT_EXIST")
    err(post(emu, "runs/create", {"experiment_id": eid, "run_name": "a",
                                  "tags": [{"key": "mlflow.runName", "value": "b"}]}),
        400, "INVALID_PARAMETER_VALUE", "different values")


def test_run_delete_restore_and_writes_to_deleted(emu):
    eid = new_exp(emu)
    rid = new_run(emu, eid)["info"]["run_id"]
    ok(post(emu, "runs/delete", {"run_id": rid}))
    assert ok(get(emu, "runs/get", run_id=rid))["run"]["info"]["lifecycle_stage"] == "deleted"
    msg = err(post(emu, "runs/log-metric", {"run_id": rid, "key": "m", "value": 1, "timestamp": 1}),
              400, "INVALID_PARAMETER_VALUE")
    assert msg == "The run %s must be in the 'active' state. Current state is deleted." % rid
    for op, body in (("runs/log-parameter", {"key": "p", "value": "1"}),
                     ("runs/set-tag", {"key": "t", "value": "1"}),
                     ("runs/log-batch", {"metrics": []}),
                     ("runs/update", {"status": "FAILED"}),
                     ("runs/log-inputs", {"datasets": []})):
        err(post(emu, op, dict(run_id=rid, **body)), 400, "INVALID_PARAMETER_VALUE", "'active'")
    ok(post(emu, "runs/restore", {"run_id": rid}))
    ok(post(emu, "runs/log-metric", {"run_id": rid, "key": "m", "value": 1, "timestamp": 1}))
    err(post(emu, "runs/delete", {"run_id": "f" * 32}), 404, "RESOURCE_DOES_NOT_EXIST")


def test_params_tags(emu):
    rid = new_run(emu, new_exp(emu))["info"]["run_id"]
    ok(post(emu, "runs/log-parameter", {"run_id": rid, "key": "lr", "value": "0.1"}))
    ok(post(emu, "runs/log-parameter", {"run_id": rid, "key": "lr", "value": "0.1"}))  # same: ok
    msg = err(post(emu, "runs/log-parameter", {"run_id": rid, "key": "lr", "value": "0.2"}), 400,
              "INVALID_PARAMETER_VALUE", "Changing param values is not allowed")
    assert "key='lr'" in msg and "value='0.1'" in msg and "'0.2'" in msg
    err(post(emu, "runs/log-parameter", {"run_id": rid, "key": "p", "value": "x" * 501}), 400,
        "INVALID_PARAMETER_VALUE", "Param value '%s' had length 501, which exceeded length limit "
        "of 500" % ("x" * 250))
    ok(post(emu, "runs/log-parameter", {"run_id": rid, "key": "p", "value": "x" * 500}))
    emu.ctl("POST", "config", {"mlflow_max_param_value": 6000})
    ok(post(emu, "runs/log-parameter", {"run_id": rid, "key": "p2", "value": "x" * 6000}))
    err(post(emu, "runs/log-parameter", {"run_id": rid, "key": "k" * 251, "value": "1"}), 400,
        "INVALID_PARAMETER_VALUE", "Param key")
    err(post(emu, "runs/log-parameter", {"run_id": rid, "key": "a/../b", "value": "1"}), 400,
        "INVALID_PARAMETER_VALUE", "Invalid parameter name: 'a/../b'")
    err(post(emu, "runs/log-parameter", {"run_id": rid, "key": "a!b", "value": "1"}), 400,
        "INVALID_PARAMETER_VALUE", "Names may only contain")
    err(post(emu, "runs/log-parameter", {"run_id": rid, "key": "q"}), 400,
        "INVALID_PARAMETER_VALUE", "'value'")
    ok(post(emu, "runs/set-tag", {"run_id": rid, "key": "t", "value": "1"}))
    ok(post(emu, "runs/set-tag", {"run_id": rid, "key": "t", "value": "2"}))  # overwrites
    ok(post(emu, "runs/set-tag", {"run_id": rid, "key": "big", "value": "v" * 5000}))
    err(post(emu, "runs/set-tag", {"run_id": rid, "key": "big", "value": "v" * 5001}), 400,
        "INVALID_PARAMETER_VALUE", "Tag value")
    ok(post(emu, "runs/set-tag", {"run_id": rid, "key": "mlflow.runName", "value": "renamed"}))
    run = ok(get(emu, "runs/get", run_id=rid))["run"]
    assert run["info"]["run_name"] == "renamed"
    params = {p["key"]: p["value"] for p in run["data"]["params"]}
    assert params["lr"] == "0.1" and len(params["p2"]) == 6000
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["t"] == "2"
    ok(post(emu, "runs/delete-tag", {"run_id": rid, "key": "t"}))
    err(post(emu, "runs/delete-tag", {"run_id": rid, "key": "t"}), 404, "RESOURCE_DOES_NOT_EXIST",
        "No tag with name: t")
    tags = {t["key"] for t in ok(get(emu, "runs/get", run_id=rid))["run"]["data"]["tags"]}
    assert "t" not in tags


def test_metrics_latest_and_history(emu):
    rid = new_run(emu, new_exp(emu))["info"]["run_id"]

    def log(v, ts, step=None, key="loss"):
        b = {"run_id": rid, "key": key, "value": v, "timestamp": ts}
        if step is not None:
            b["step"] = step
        return post(emu, "runs/log-metric", b)
    ok(log(3.0, 10, 0))
    ok(log(2.0, 20, 1))
    ok(log(5.0, 20, 2))       # same timestamp, larger value: it is the latest
    ok(log(1.0, 15, 3))       # older timestamp: not the latest
    ok(log("NaN", 1, key="n"))
    ok(log("-Infinity", 1, key="i"))
    ok(log(7, 1, key="s", step="9"))
    run = ok(get(emu, "runs/get", run_id=rid))["run"]
    ms = {m["key"]: m for m in run["data"]["metrics"]}
    assert ms["loss"] == {"key": "loss", "value": 5.0, "timestamp": 20, "step": 2}
    assert ms["n"]["value"] == "NaN" and ms["i"]["value"] == "-Infinity"
    assert ms["s"]["step"] == 9 and ms["s"]["value"] == 7.0
    hist = ok(get(emu, "metrics/get-history", run_id=rid, metric_key="loss"))
    assert [m["value"] for m in hist["metrics"]] == [3.0, 2.0, 5.0, 1.0]
    assert "next_page_token" not in hist
    assert ok(get(emu, "metrics/get-history", run_id=rid, metric_key="zzz")) == {}
    # paging
    seen, token = [], None
    while True:
        q = {"run_id": rid, "metric_key": "loss", "max_results": 3}
        if token:
            q["page_token"] = token
        page = ok(get(emu, "metrics/get-history", **q))
        seen += [m["step"] for m in page["metrics"]]
        token = page.get("next_page_token")
        if not token:
            break
    assert seen == [0, 1, 2, 3]
    emu.ctl("POST", "config", {"page_size_mlflow_history": 2})
    page = ok(get(emu, "metrics/get-history", run_id=rid, metric_key="loss"))
    assert len(page["metrics"]) == 2 and page["next_page_token"]
    err(get(emu, "metrics/get-history", run_id=rid, metric_key="loss", page_token="!!"), 400,
        "INVALID_PARAMETER_VALUE", "Invalid page token")
    err(get(emu, "metrics/get-history", run_id="a" * 32, metric_key="loss"), 404,
        "RESOURCE_DOES_NOT_EXIST")
    err(get(emu, "metrics/get-history", run_id=rid), 400, "INVALID_PARAMETER_VALUE", "metric_key")
    # invalid values
    err(log("abc", 1), 400, "INVALID_PARAMETER_VALUE", "Got invalid value abc for metric 'loss'")
    err(log(True, 1), 400, "INVALID_PARAMETER_VALUE", "Got invalid value")
    err(log(1, -1), 400, "INVALID_PARAMETER_VALUE", "Got invalid timestamp -1")
    err(log(1, 1, step="x"), 400, "INVALID_PARAMETER_VALUE", "Got invalid step")
    err(post(emu, "runs/log-metric", {"run_id": rid, "key": "m", "value": 1}), 400,
        "INVALID_PARAMETER_VALUE", "'timestamp'")
    err(log(1, 1, key="m" * 251), 400, "INVALID_PARAMETER_VALUE", "Metric name")


def _metrics(n, key="m"):
    return [{"key": "%s%d" % (key, i), "value": i, "timestamp": 1, "step": 0} for i in range(n)]


def _kv(n, key):
    return [{"key": "%s%d" % (key, i), "value": "v"} for i in range(n)]


def test_log_batch_and_limits(emu):
    rid = new_run(emu, new_exp(emu))["info"]["run_id"]
    ok(post(emu, "runs/log-batch", {"run_id": rid, "metrics": _metrics(900), "params": _kv(50, "p"),
                                    "tags": _kv(50, "t")}))
    run = ok(get(emu, "runs/get", run_id=rid))["run"]
    assert len(run["data"]["metrics"]) == 900 and len(run["data"]["params"]) == 50
    # order kept within a type: the last of two values of a key at the same timestamp/step wins
    # only by value (MLflow's latest rule); history keeps both in order
    ok(post(emu, "runs/log-batch", {"run_id": rid, "metrics": [
        {"key": "x", "value": 2, "timestamp": 5}, {"key": "x", "value": 1, "timestamp": 6}]}))
    hist = ok(get(emu, "metrics/get-history", run_id=rid, metric_key="x"))["metrics"]
    assert [m["value"] for m in hist] == [2.0, 1.0]
    # a retried batch (identical metrics) does not duplicate the history
    ok(post(emu, "runs/log-batch", {"run_id": rid, "metrics": [
        {"key": "x", "value": 2, "timestamp": 5}, {"key": "x", "value": 1, "timestamp": 6},
        {"key": "x", "value": 1, "timestamp": 6, "step": 1}]}))
    hist = ok(get(emu, "metrics/get-history", run_id=rid, metric_key="x"))["metrics"]
    assert [(m["value"], m["step"]) for m in hist] == [(2.0, 0), (1.0, 0), (1.0, 1)]
    msg = err(post(emu, "runs/log-batch", {"run_id": rid, "metrics": _metrics(900),
                                           "params": _kv(50, "q"), "tags": _kv(51, "u")}),
              400, "INVALID_PARAMETER_VALUE")
    assert msg == ("A batch logging request can contain at most 1000 metrics, params, and tags. "
                   "Got 1001 metrics, params, and tags. Please split up metrics, params, and tags "
                   "across multiple requests and try again.")
    err(post(emu, "runs/log-batch", {"run_id": rid, "metrics": _metrics(1001)}), 400,
        "INVALID_PARAMETER_VALUE", "at most 1000 metrics. Got 1001 metrics")
    err(post(emu, "runs/log-batch", {"run_id": rid, "params": _kv(101, "q")}), 400,
        "INVALID_PARAMETER_VALUE", "at most 100 params. Got 101 params")
    err(post(emu, "runs/log-batch", {"run_id": rid, "tags": _kv(101, "u")}), 400,
        "INVALID_PARAMETER_VALUE", "at most 100 tags. Got 101 tags")
    ok(post(emu, "runs/log-batch", {"run_id": rid, "params": _kv(100, "q"), "tags": _kv(100, "u")}))
    big = [{"key": "t%d" % i, "value": "v" * 4990} for i in range(100)]  # ~500 KB
    big2 = [{"key": "s%d" % i, "value": "v" * 4990} for i in range(100)]
    msg = err(post(emu, "runs/log-batch", {"run_id": rid, "tags": big + big2[:0],
                                           "params": [], "metrics": [],
                                           "pad": "x" * 600000}), 400, "INVALID_PARAMETER_VALUE")
    assert msg.startswith("Batched logging API requests must be at most 1000000 bytes, got a "
                          "request of size ")
    ok(post(emu, "runs/log-batch", {"run_id": rid, "tags": big}))  # under 1 MB
    msg = err(post(emu, "runs/log-batch", {"run_id": rid, "params": [
        {"key": "d", "value": "1"}, {"key": "e", "value": "1"}, {"key": "d", "value": "2"}]}),
        400, "INVALID_PARAMETER_VALUE")
    assert msg == ("Duplicate parameter keys have been submitted: ['d']. Please ensure the request "
                   "contains only one param value per param key.")
    # nothing of a failing batch is written
    err(post(emu, "runs/log-batch", {"run_id": rid, "metrics": [{"key": "ok1", "value": 1,
                                                                 "timestamp": 1}],
                                     "params": [{"key": "p0", "value": "changed"}]}),
        400, "INVALID_PARAMETER_VALUE", "Changing param values")
    keys = {m["key"] for m in ok(get(emu, "runs/get", run_id=rid))["run"]["data"]["metrics"]}
    assert "ok1" not in keys
    err(post(emu, "runs/log-batch", {"run_id": rid, "params": [{"key": "z", "value": "x" * 501}]}),
        400, "INVALID_PARAMETER_VALUE", "Param value")
    err(post(emu, "runs/log-batch", {"run_id": rid, "tags": [{"key": "z" * 251, "value": "x"}]}),
        400, "INVALID_PARAMETER_VALUE", "Tag key")
    err(post(emu, "runs/log-batch", {"run_id": rid, "metrics": [{"key": "z", "value": "x",
                                                                 "timestamp": 1}]}),
        400, "INVALID_PARAMETER_VALUE", "Got invalid value")
    err(post(emu, "runs/log-batch", {"run_id": "b" * 32}), 404, "RESOURCE_DOES_NOT_EXIST")
    err(post(emu, "runs/log-batch", {}), 400, "INVALID_PARAMETER_VALUE", "'run_id'")


# ---- search ------------------------------------------------------------------------------------

def _search_runs(emu, **body):
    return post(emu, "runs/search", body)


def _ids(res, names):
    return [names[r["info"]["run_id"]] for r in ok(res).get("runs", [])]


@pytest.fixture
def runs3(emu):
    eid = new_exp(emu)
    names = {}
    specs = [("a", 100, 0.5, "LR", "FINISHED"), ("b", 200, 0.2, "RF", "FAILED"),
             ("c", 300, None, "LR", "RUNNING")]
    for name, start, rmse, cls, status in specs:
        r = new_run(emu, eid, run_name=name, start_time=start,
                    tags=[{"key": "user-name", "value": name.upper()}])
        rid = r["info"]["run_id"]
        names[rid] = name
        if rmse is not None:
            ok(post(emu, "runs/log-metric", {"run_id": rid, "key": "rmse", "value": rmse,
                                             "timestamp": 1}))
        ok(post(emu, "runs/log-parameter", {"run_id": rid, "key": "model_class", "value": cls}))
        if status != "RUNNING":
            ok(post(emu, "runs/update", {"run_id": rid, "status": status, "end_time": start + 50}))
    return eid, names


def test_runs_search_filters(emu, runs3):
    eid, names = runs3
    s = lambda f, **kw: _ids(_search_runs(emu, experiment_ids=[eid], filter=f, **kw), names)
    assert s("") == ["c", "b", "a"]  # default: start_time DESC
    assert s("metrics.rmse < 1") == ["b", "a"]
    assert s("metrics.rmse < 1 and params.model_class = 'LR'") == ["a"]
    assert s("metrics.rmse >= 0.5") == ["a"]
    assert s("params.model_class != 'LR'") == ["b"]
    assert s("tags.\"user-name\" = 'B'") == ["b"]
    assert s("tags.`user-name` ILIKE 'c'") == ["c"]
    assert s("attributes.status = 'FINISHED'") == ["a"]
    assert s("attribute.run_name LIKE 'a%'") == ["a"]
    assert s("run_name ILIKE 'B'") == ["b"]
    assert s("attributes.start_time > 150 AND attributes.start_time <= 300") == ["c", "b"]
    assert s("attributes.end_time < 260") == ["b", "a"]   # the running run has no end_time
    assert s("tags.mlflow.runName = 'c'") == ["c"]
    assert s("params.model_class LIKE '%R%'") == ["c", "b", "a"]
    assert s("params.model_class LIKE '%r%'") == []
    for bad, part in (("metrics.rmse < 'x'", "numeric"),
                      ("params.model_class > 'a'", "comparator"),
                      ("metrics.rmse < 1 OR metrics.rmse > 2", "OR"),
                      ("attributes.color = 'red'", "Invalid attribute key 'color'"),
                      ("foo.bar = 'x'", "Invalid entity type 'foo'"),
                      ("metrics.rmse <", "incomplete"),
                      ("params.x IN ('a')", "IN"),
                      ("attributes.status = FINISHED", "quoted string")):
        err(_search_runs(emu, experiment_ids=[eid], filter=bad), 400, "INVALID_PARAMETER_VALUE",
            part)


def test_runs_search_order_paging_view(emu, runs3):
    eid, names = runs3
    s = lambda *order: _ids(_search_runs(emu, experiment_ids=[eid], order_by=list(order)), names)
    assert s("metrics.rmse") == ["b", "a", "c"]          # missing metric last
    assert s("metrics.rmse DESC") == ["a", "b", "c"]     # ... whatever the direction
    assert s("attributes.start_time ASC") == ["a", "b", "c"]
    assert s("attributes.run_name DESC") == ["c", "b", "a"]
    assert s("params.model_class", "attributes.start_time") == ["a", "c", "b"]
    assert s("tags.`user-name` desc") == ["c", "b", "a"]
    err(_search_runs(emu, experiment_ids=[eid], order_by=["attributes.color"]), 400,
        "INVALID_PARAMETER_VALUE")
    # paging
    got, token = [], None
    while True:
        body = {"experiment_ids": [eid], "max_results": 2, "order_by": ["attributes.start_time"]}
        if token:
            body["page_token"] = token
        page = ok(_search_runs(emu, **body))
        got += [names[r["info"]["run_id"]] for r in page["runs"]]
        token = page.get("next_page_token")
        if not token:
            break
    assert got == ["a", "b", "c"]
    emu.ctl("POST", "config", {"page_size_mlflow_search": 1})
    page = ok(_search_runs(emu, experiment_ids=[eid]))
    assert len(page["runs"]) == 1 and page["next_page_token"]
    emu.ctl("POST", "config", {"page_size_mlflow_search": 50})
    err(_search_runs(emu, experiment_ids=[eid], max_results=50001), 400, "INVALID_PARAMETER_VALUE",
        "at most 50000")
    err(_search_runs(emu, experiment_ids=[eid], page_token="bm9wZQ=="), 400,
        "INVALID_PARAMETER_VALUE", "Invalid page token")
    # run_view_type
    a = [rid for rid, n in names.items() if n == "a"][0]
    ok(post(emu, "runs/delete", {"run_id": a}))
    assert _ids(_search_runs(emu, experiment_ids=[eid]), names) == ["c", "b"]
    assert _ids(_search_runs(emu, experiment_ids=[eid], run_view_type="DELETED_ONLY"), names) == ["a"]
    assert _ids(_search_runs(emu, experiment_ids=[eid], run_view_type="ALL"), names) == \
        ["c", "b", "a"]
    # metrics / params / tags of a searched run are the full run
    r = ok(_search_runs(emu, experiment_ids=[eid], filter="run_name = 'b'"))["runs"][0]
    assert r["data"]["metrics"][0]["key"] == "rmse" and r["data"]["params"][0]["value"] == "RF"
    assert ok(_search_runs(emu, experiment_ids=["1"])) == {}


def test_experiments_search(emu):
    ids = {}
    for i, name in enumerate(["/Shared/alpha", "/Shared/beta", "/Users/u/Alphabet"]):
        ids[new_exp(emu, name, tags=[{"key": "n", "value": str(i)}])] = name
        emu.advance(5)

    def s(**body):
        return [ids[e["experiment_id"]] for e in ok(post(emu, "experiments/search", body))
                .get("experiments", [])]
    assert s() == ["/Users/u/Alphabet", "/Shared/beta", "/Shared/alpha"]  # creation_time DESC
    assert s(filter="name LIKE '%alpha%'") == ["/Shared/alpha"]
    assert s(filter="name ILIKE '%alpha%'") == ["/Users/u/Alphabet", "/Shared/alpha"]
    assert s(filter="name = '/Shared/beta'") == ["/Shared/beta"]
    assert s(filter="tags.n = '2'") == ["/Users/u/Alphabet"]
    assert s(filter="attribute.name != '/Shared/beta' and tags.n != '0'") == ["/Users/u/Alphabet"]
    first = min(ids)
    ct = ok(get(emu, "experiments/get", experiment_id=first))["experiment"]["creation_time"]
    assert s(filter="attributes.creation_time > %d" % ct) == ["/Users/u/Alphabet", "/Shared/beta"]
    assert s(order_by=["name"]) == ["/Shared/alpha", "/Shared/beta", "/Users/u/Alphabet"]
    assert s(order_by=["name DESC"]) == ["/Users/u/Alphabet", "/Shared/beta", "/Shared/alpha"]
    assert s(order_by=["creation_time ASC"]) == ["/Shared/alpha", "/Shared/beta",
                                                 "/Users/u/Alphabet"]
    err(post(emu, "experiments/search", {"filter": "metrics.x > 1"}), 400,
        "INVALID_PARAMETER_VALUE", "Invalid entity type")
    err(post(emu, "experiments/search", {"max_results": 3001}), 400, "INVALID_PARAMETER_VALUE")
    # paging (POST and GET)
    got, token = [], None
    while True:
        body = {"max_results": 2, "order_by": ["name"]}
        if token:
            body["page_token"] = token
        page = ok(post(emu, "experiments/search", body))
        got += [ids[e["experiment_id"]] for e in page["experiments"]]
        token = page.get("next_page_token")
        if not token:
            break
    assert got == ["/Shared/alpha", "/Shared/beta", "/Users/u/Alphabet"]
    page = ok(get(emu, "experiments/search", max_results=1, order_by="name DESC"))
    assert [ids[e["experiment_id"]] for e in page["experiments"]] == ["/Users/u/Alphabet"]
    assert page["next_page_token"]
    # view_type
    ok(post(emu, "experiments/delete", {"experiment_id": first}))
    assert s() == ["/Users/u/Alphabet", "/Shared/beta"]
    assert s(view_type="DELETED_ONLY") == ["/Shared/alpha"]
    assert len(s(view_type="ALL")) == 3
    # legacy list
    lst = ok(get(emu, "experiments/list"))
    assert [ids[e["experiment_id"]] for e in lst["experiments"]] == ["/Shared/beta",
                                                                     "/Users/u/Alphabet"]
    lst = ok(get(emu, "experiments/list", view_type="ALL", max_results=2))
    assert len(lst["experiments"]) == 2 and lst["next_page_token"]
    lst = ok(get(emu, "experiments/list", view_type="ALL", max_results=2,
                 page_token=lst["next_page_token"]))
    assert len(lst["experiments"]) == 1 and "next_page_token" not in lst


# ---- inputs, models, bulk operations -------------------------------------------------------------

def test_log_inputs_and_model(emu):
    rid = new_run(emu, new_exp(emu))["info"]["run_id"]
    ds = {"name": "train", "digest": "abc123", "source_type": "delta", "source": "{\"t\":\"x\"}",
          "schema": "{}"}
    ok(post(emu, "runs/log-inputs", {"run_id": rid, "datasets": [
        {"dataset": ds, "tags": [{"key": "mlflow.data.context", "value": "training"}]}]}))
    ok(post(emu, "runs/log-inputs", {"run_id": rid, "datasets": [{"dataset": ds}]}))  # kept once
    run = ok(get(emu, "runs/get", run_id=rid))["run"]
    dis = run["inputs"]["dataset_inputs"]
    assert len(dis) == 1 and dis[0]["dataset"] == ds
    assert dis[0]["tags"] == [{"key": "mlflow.data.context", "value": "training"}]
    bad = dict(ds)
    del bad["digest"]
    err(post(emu, "runs/log-inputs", {"run_id": rid, "datasets": [{"dataset": bad}]}), 400,
        "INVALID_PARAMETER_VALUE", "Dataset digest cannot be None")
    err(post(emu, "runs/log-inputs", {"run_id": rid, "datasets": [
        {"dataset": dict(ds, digest="d" * 37)}]}), 400, "INVALID_PARAMETER_VALUE", "digest")
    model = {"artifact_path": "model", "flavors": {"python_function": {}}, "run_id": rid,
             "utc_time_created": "2024-01-01 00:00:00.000000"}
    ok(post(emu, "runs/log-model", {"run_id": rid, "model_json": json.dumps(model)}))
    ok(post(emu, "runs/log-model", {"run_id": rid, "model_json": json.dumps(
        dict(model, artifact_path="m2"))}))
    tags = {t["key"]: t["value"] for t in ok(get(emu, "runs/get", run_id=rid))["run"]["data"]["tags"]}
    hist = json.loads(tags["mlflow.log-model.history"])
    assert [m["artifact_path"] for m in hist] == ["model", "m2"]
    err(post(emu, "runs/log-model", {"run_id": rid, "model_json": "{nope"}), 400,
        "INVALID_PARAMETER_VALUE", "Malformed model info")
    err(post(emu, "runs/log-model", {"run_id": rid, "model_json": "{}"}), 400,
        "INVALID_PARAMETER_VALUE", "missing mandatory fields")


def test_bulk_delete_restore_runs(emu):
    eid = new_exp(emu)
    rids = [new_run(emu, eid, start_time=t)["info"]["run_id"] for t in (10, 20, 30, 40)]
    res = ok(post(emu, "databricks/runs/delete-runs", {"experiment_id": eid,
                                                       "max_timestamp_millis": 30, "max_runs": 2}))
    assert res == {"runs_deleted": 2}
    st = [ok(get(emu, "runs/get", run_id=r))["run"]["info"]["lifecycle_stage"] for r in rids]
    assert st == ["deleted", "deleted", "active", "active"]
    t_mid = emu.advance(1000)
    assert ok(post(emu, "databricks/runs/delete-runs", {"experiment_id": eid,
                                                        "max_timestamp_millis": 30})) == \
        {"runs_deleted": 1}
    assert ok(post(emu, "databricks/runs/restore-runs", {"experiment_id": eid,
                                                         "min_timestamp_millis": t_mid})) == \
        {"runs_restored": 1}
    st = [ok(get(emu, "runs/get", run_id=r))["run"]["info"]["lifecycle_stage"] for r in rids]
    assert st == ["deleted", "deleted", "active", "active"]
    err(post(emu, "databricks/runs/delete-runs", {"experiment_id": eid}), 400,
        "INVALID_PARAMETER_VALUE", "max_timestamp_millis")
    err(post(emu, "databricks/runs/delete-runs", {"experiment_id": eid, "max_timestamp_millis": 1,
                                                  "max_runs": 10001}), 400,
        "INVALID_PARAMETER_VALUE")


# ---- artifacts -----------------------------------------------------------------------------------

def _split(url):
    u = urllib.parse.urlsplit(url)
    return u, u.path + "?" + u.query


def _storage(emu, method, url, data=None, headers=None):
    """A request to a signed URL on the second host, without the workspace token."""
    u, target = _split(url)
    assert u.hostname == "127.0.0.2" and u.port == emu.info["other_port"], url
    return emu.raw(method, target, data, token=None, headers=headers, server="other")


def _creds(emu, mode, rid, paths, **kw):
    return post(emu, "artifacts/credentials-for-" + mode, dict(run_id=rid, path=paths, **kw))


FILES = {"model/MLmodel": b"flavors:\n  python_function: {}\n", "model/data/w.bin": bytes(range(256)),
         "metrics.json": b'{"a": 1}'}


def test_artifacts_aws_presigned(emu):
    eid = new_exp(emu)
    rid = new_run(emu, eid)["info"]["run_id"]
    infos = ok(_creds(emu, "write", rid, list(FILES)))["credential_infos"]
    assert [i["path"] for i in infos] == list(FILES)
    for info in infos:
        assert info["run_id"] == rid and info["type"] == "AWS_PRESIGNED_URL"
        assert "headers" not in info
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(info["signed_uri"]).query)
        for k in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                  "X-Amz-Signature"):
            assert k in q, info
        assert q["X-Amz-Expires"] == ["900"]
        st, h, body = _storage(emu, "PUT", info["signed_uri"], FILES[info["path"]])
        assert st == 200 and h["etag"].startswith('"'), body
    # the log keeps a placeholder for streamed bodies
    puts = [r for r in emu.requests() if r["server"] == "other" and r["method"] == "PUT"]
    assert puts[0]["body"].startswith("<") and "authorization" not in puts[0]["headers"]
    # the workspace token never goes to the storage host
    st, _, body = emu.raw("PUT", _split(infos[0]["signed_uri"])[1], b"x", server="other")
    assert st == 403 and b"<Code>AccessDenied</Code>" in body
    # a write URL is not a read URL
    st, _, body = _storage(emu, "GET", infos[0]["signed_uri"])
    assert st == 403 and b"SignatureDoesNotMatch" in body
    # list: one level, sorted, sizes for files
    lst = ok(get(emu, "artifacts/list", run_id=rid))
    assert lst["root_uri"] == "dbfs:/databricks/mlflow-tracking/%s/%s/artifacts" % (eid, rid)
    assert lst["files"] == [{"path": "metrics.json", "is_dir": False, "file_size": 8},
                            {"path": "model", "is_dir": True}]
    lst = ok(get(emu, "artifacts/list", run_id=rid, path="model"))
    assert lst["files"] == [{"path": "model/MLmodel", "is_dir": False,
                             "file_size": len(FILES["model/MLmodel"])},
                            {"path": "model/data", "is_dir": True}]
    assert "files" not in ok(get(emu, "artifacts/list", run_id=rid, path="nope"))
    # read back, whole and ranged
    rinfos = ok(_creds(emu, "read", rid, ["model/data/w.bin", "absent.txt"]))["credential_infos"]
    st, h, body = _storage(emu, "GET", rinfos[0]["signed_uri"])
    assert st == 200 and body == FILES["model/data/w.bin"] and h["content-length"] == "256"
    st, h, body = _storage(emu, "GET", rinfos[0]["signed_uri"], headers={"Range": "bytes=10-19"})
    assert st == 206 and body == bytes(range(10, 20)) and h["content-range"] == "bytes 10-19/256"
    st, _, body = _storage(emu, "GET", rinfos[0]["signed_uri"], headers={"Range": "bytes=300-"})
    assert st == 416
    st, _, body = _storage(emu, "GET", rinfos[1]["signed_uri"])
    assert st == 404 and b"<Code>NoSuchKey</Code>" in body
    # overwrite
    st, _, _ = _storage(emu, "PUT", infos[2]["signed_uri"], b"{}")
    assert st == 200
    st, _, body = _storage(emu, "GET", ok(_creds(emu, "read", rid, ["metrics.json"]))
                           ["credential_infos"][0]["signed_uri"])
    assert body == b"{}"
    # expiry on the virtual clock
    emu.advance(901 * 1000)
    st, _, body = _storage(emu, "GET", rinfos[0]["signed_uri"])
    assert st == 403 and b"Request has expired" in body
    st, _, body = _storage(emu, "PUT", infos[0]["signed_uri"], b"late")
    assert st == 403 and b"Request has expired" in body


def test_artifacts_paging_and_errors(emu):
    eid = new_exp(emu)
    rid = new_run(emu, eid)["info"]["run_id"]
    emu.ctl("POST", "config", {"mlflow_credentials_page": 2, "mlflow_artifacts_page": 2})
    paths = ["a", "b/c", "d"]
    page = ok(_creds(emu, "write", rid, paths))
    assert [i["path"] for i in page["credential_infos"]] == ["a", "b/c"]
    page2 = ok(_creds(emu, "write", rid, paths, page_token=page["next_page_token"]))
    assert [i["path"] for i in page2["credential_infos"]] == ["d"]
    assert "next_page_token" not in page2
    for info in page["credential_infos"] + page2["credential_infos"]:
        assert _storage(emu, "PUT", info["signed_uri"], b"1")[0] == 200
    lst = ok(get(emu, "artifacts/list", run_id=rid))
    assert [f["path"] for f in lst["files"]] == ["a", "b"]
    lst = ok(get(emu, "artifacts/list", run_id=rid, page_token=lst["next_page_token"]))
    assert [f["path"] for f in lst["files"]] == ["d"] and "next_page_token" not in lst
    err(_creds(emu, "write", "c" * 32, ["a"]), 404, "RESOURCE_DOES_NOT_EXIST")
    err(_creds(emu, "write", rid, []), 400, "INVALID_PARAMETER_VALUE", "'path'")
    err(_creds(emu, "read", rid, ["../x"]), 400, "INVALID_PARAMETER_VALUE", "Invalid path")
    err(_creds(emu, "read", rid, ["/abs"]), 400, "INVALID_PARAMETER_VALUE", "Invalid path")
    err(get(emu, "artifacts/list", run_id=rid, path="a/../.."), 400, "INVALID_PARAMETER_VALUE")
    err(get(emu, "artifacts/list", run_id="c" * 32), 404, "RESOURCE_DOES_NOT_EXIST")
    ok(post(emu, "runs/delete", {"run_id": rid}))
    err(_creds(emu, "write", rid, ["a"]), 400, "INVALID_PARAMETER_VALUE", "'active'")
    assert ok(_creds(emu, "read", rid, ["a"]))["credential_infos"][0]["path"] == "a"
    # a forged signature
    url = page["credential_infos"][0]["signed_uri"].replace("X-Amz-Signature=", "X-Amz-Signature=0")
    st, _, body = _storage(emu, "PUT", url, b"1")
    assert st == 403 and b"SignatureDoesNotMatch" in body


def test_artifacts_azure_sas(emu):
    emu.ctl("POST", "config", {"mlflow_artifact_credential_type": "AZURE_SAS_URI"})
    rid = new_run(emu, new_exp(emu))["info"]["run_id"]
    w = ok(_creds(emu, "write", rid, ["model/MLmodel"]))["credential_infos"][0]
    assert w["type"] == "AZURE_SAS_URI"
    assert w["headers"] == [{"name": "x-ms-blob-type", "value": "BlockBlob"}]
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(w["signed_uri"]).query)
    for k in ("sv", "sig", "se", "sp"):
        assert k in q
    st, h, body = _storage(emu, "PUT", w["signed_uri"], b"abc")
    assert st == 400 and h["x-ms-error-code"] == "MissingRequiredHeader"
    st, h, _ = _storage(emu, "PUT", w["signed_uri"], b"abc", headers={"x-ms-blob-type": "BlockBlob"})
    assert st == 201 and h["etag"]
    r = ok(_creds(emu, "read", rid, ["model/MLmodel"]))["credential_infos"][0]
    assert "headers" not in r
    st, _, body = _storage(emu, "GET", r["signed_uri"])
    assert st == 200 and body == b"abc"
    st, _, body = emu.raw("GET", _split(r["signed_uri"])[1], server="other")
    assert st == 403 and b"AuthenticationFailed" in body
    emu.advance(901 * 1000)
    st, h, _ = _storage(emu, "GET", r["signed_uri"])
    assert st == 403 and h["x-ms-error-code"] == "AuthenticationFailed"


def test_artifacts_uc_volume(emu):
    loc = "dbfs:/Volumes/main/default/vol/mlruns"
    eid = new_exp(emu, artifact_location=loc + "/")
    assert ok(get(emu, "experiments/get", experiment_id=eid))["experiment"]["artifact_location"] == loc
    rid = new_run(emu, eid)["info"]["run_id"]
    root = "/Volumes/main/default/vol/mlruns/%s/artifacts" % rid
    for rel, data in FILES.items():
        st, _, _ = emu.raw("PUT", "/api/2.0/fs/files" + root + "/" + rel, data,
                           headers={"Content-Type": "application/octet-stream"})
        assert st == 204
    lst = ok(get(emu, "artifacts/list", run_id=rid))
    assert lst["root_uri"] == "dbfs:" + root
    assert lst["files"] == [{"path": "metrics.json", "is_dir": False, "file_size": 8},
                            {"path": "model", "is_dir": True}]
    assert [f["path"] for f in ok(get(emu, "artifacts/list", run_id=rid, path="model/data"))
            ["files"]] == ["model/data/w.bin"]
    err(_creds(emu, "write", rid, ["x"]), 400, "INVALID_PARAMETER_VALUE", "Files API")
    err(_creds(emu, "read", rid, ["x"]), 400, "INVALID_PARAMETER_VALUE", "Files API")
    err(post(emu, "experiments/create", {"name": "/Shared/v",
                                         "artifact_location": "dbfs:/Volumes/main/default"}),
        400, "INVALID_PARAMETER_VALUE", "UC volume")


def test_cross_module_functions():
    """run_get / artifact_read / artifact_files / resolve_artifact_source, called with the State
    like the registry module does. In a child process: loading every API module here would change
    what other test files' in-process tests import (test_sql fakes apis.warehouses)."""
    import os
    import subprocess
    import sys
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=here + os.pathsep + os.environ.get("PYTHONPATH", ""))
    res = subprocess.run([sys.executable, "-c", "import test_mlflow; test_mlflow._cross_module()"],
                         cwd=here, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


def _cross_module():
    import threading
    from dbx_emulator import apis, server
    from dbx_emulator.apis import mlflow
    from dbx_emulator.state import State
    state = State(reset_hooks=apis.load_all())
    main = server.Server(("127.0.0.1", 0), state, "main", quiet=True)
    other = server.Server(("127.0.0.2", 0), state, "other", quiet=True)
    state.other_base = "http://127.0.0.2:%d" % other.server_address[1]
    threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
               for s in (main, other)]
    for t in threads:
        t.start()
    try:
        emu = Emu({"http_port": main.server_address[1], "other_port": other.server_address[1]})
        eid = new_exp(emu)
        rid = new_run(emu, eid)["info"]["run_id"]
        for info in ok(_creds(emu, "write", rid, list(FILES)))["credential_infos"]:
            assert _storage(emu, "PUT", info["signed_uri"], FILES[info["path"]])[0] == 200
        vid = new_exp(emu, "/Shared/vol", artifact_location="dbfs:/Volumes/c/s/v/ml")
        vrid = new_run(emu, vid)["info"]["run_id"]
        vroot = "/Volumes/c/s/v/ml/%s/artifacts" % vrid
        emu.raw("PUT", "/api/2.0/fs/files" + vroot + "/model/MLmodel", b"mm")

        run = mlflow.run_get(state, rid)
        assert run["info"]["run_id"] == rid and run["info"]["experiment_id"] == eid
        assert mlflow.run_get(state, "0" * 32) is None and mlflow.run_get(state, None) is None
        assert mlflow.artifact_read(state, rid, "model/MLmodel") == FILES["model/MLmodel"]
        assert mlflow.artifact_read(state, rid, "model/nope") is None
        assert mlflow.artifact_read(state, vrid, "model/MLmodel") == b"mm"
        assert mlflow.artifact_files(state, rid, "model") == [
            ("MLmodel", FILES["model/MLmodel"]), ("data/w.bin", FILES["model/data/w.bin"])]
        assert [p for p, _ in mlflow.artifact_files(state, rid, "")] == [
            "metrics.json", "model/MLmodel", "model/data/w.bin"]
        assert mlflow.artifact_files(state, rid, "nope") == []
        assert mlflow.artifact_files(state, vrid, "model") == [("MLmodel", b"mm")]
        r = mlflow.resolve_artifact_source
        assert r(state, "runs:/%s/model" % rid) == (rid, "model")
        assert r(state, "runs:/%s" % rid) == (rid, "")
        assert r(state, "dbfs:/databricks/mlflow-tracking/%s/%s/artifacts/model" % (eid, rid)) == \
            (rid, "model")
        assert r(state, "dbfs:/databricks/mlflow-tracking/1/%s/artifacts/model" % rid) is None
        assert r(state, "dbfs:" + vroot + "/model") == (vrid, "model")
        assert r(state, vroot + "/model") == (vrid, "model")
        assert r(state, "runs:/%s/model" % ("0" * 32)) is None
        assert r(state, "models:/m/1") is None
    finally:
        for s in (main, other):
            s.shutdown()
            s.server_close()
