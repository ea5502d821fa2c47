"""client.serving against the emulator: every call checked on the request sent and the result."""

import base64
import json
import math

import pytest

import libdbx
from libdbx import serving as sv

API = "/api/2.0/serving-endpoints"
MODEL_A = {"flavor": "logistic", "features": ["amount", "hour"], "intercept": -3.2,
           "coefficients": [0.8, 0.1], "categorical": {"channel": {"web": 0.7, "pos": -0.2}}}
MLMODEL = "artifact_path: model\nflavors:\n  python_function:\n    loader_module: x\n"
A_ROW0 = 1 / (1 + math.exp(-0.8))   # (2.5, 13, web)
A_ROW1 = 1 / (1 + math.exp(4.0))    # (-1.0, 2, pos)
_dirs = [0]


def register(client, model, model_json):
    try:
        client.request("POST", "/api/2.0/mlflow/registered-models/create", {"name": model})
    except libdbx.AlreadyExists:
        pass
    _dirs[0] += 1
    path = "/models/%s/py%d" % (model, _dirs[0])
    client.request("POST", "/api/2.0/dbfs/put", {"path": path + "/MLmodel", "overwrite": True,
                                                 "contents": base64.b64encode(MLMODEL.encode()).decode()})
    if model_json is not None:
        client.request("POST", "/api/2.0/dbfs/put", {
            "path": path + "/model.json", "overwrite": True,
            "contents": base64.b64encode(json.dumps(model_json).encode()).decode()})
    client.request("POST", "/api/2.0/mlflow/model-versions/create", {"name": model, "source": "dbfs:" + path})


def test_create_get_list_delete(emu, client):
    register(client, "fraud", MODEL_A)
    ep = client.serving.create("fraud-ep", entities=[{"entity_name": "fraud", "entity_version": "1",
                                                      "environment_vars": {"MODE": "fast"},
                                                      "workload_size": "Small", "scale_to_zero_enabled": True}],
                               tags={"team": "risk", "flag": None}, description="card fraud",
                               extra={"budget_policy_id": "bp-1"})
    req = emu.last(API)
    assert req["method"] == "POST"
    body = req["json"]
    assert body["name"] == "fraud-ep" and body["description"] == "card fraud"
    assert body["budget_policy_id"] == "bp-1"
    ent = body["config"]["served_entities"][0]
    assert ent["entity_name"] == "fraud" and ent["entity_version"] == "1"
    assert ent["environment_vars"] == {"MODE": "fast"} and ent["scale_to_zero_enabled"] is True
    assert body["tags"][0] == {"key": "team", "value": "risk"} and "value" not in body["tags"][1]
    assert isinstance(ep, sv.Endpoint)
    assert ep.name == "fraud-ep" and len(ep.id) == 32
    assert (ep.ready, ep.config_update) == ("NOT_READY", "IN_PROGRESS")
    assert ep.config is None and ep.pending_config is not None
    pe = ep.pending_config.served_entities[0]
    assert pe.deployment == "DEPLOYMENT_CREATING" and pe.environment_vars == {"MODE": "fast"}
    assert ep.tags == {"team": "risk", "flag": ""}
    assert not ep.route_optimized and ep.endpoint_url == ""

    got = client.serving.get("fraud-ep")
    assert emu.last(API + "/fraud-ep")["method"] == "GET"
    assert got.is_ready and got.config.config_version == 1
    e0 = got.config.served_entities[0]
    assert (e0.name, e0.entity_name, e0.entity_version) == ("fraud-1", "fraud", "1")
    assert e0.workload_size == "Small" and e0.scale_to_zero_enabled
    assert e0.deployment == "DEPLOYMENT_READY"
    assert got.config.routes == [sv.Route("fraud-1", 100)]
    assert got.creation_timestamp > 0 and got.raw["name"] == "fraud-ep"

    eps = list(client.serving.list())
    assert emu.last(API)["method"] == "GET"
    assert [e.name for e in eps] == ["fraud-ep"]
    assert eps[0].config.served_entities[0].entity_name == "fraud"

    client.serving.delete("fraud-ep")
    assert emu.last(API + "/fraud-ep")["method"] == "DELETE"
    with pytest.raises(libdbx.NotFound):
        client.serving.get("fraud-ep")
    assert list(client.serving.list()) == []


def test_config_builder_and_errors(client):
    s = client.serving
    j = s.config_json(entities=[("fraud", 1), {"entity_name": "m.s.fraud", "entity_version": "2", "name": "b",
                                               "workload_type": "CPU"}],
                      routes={"fraud-1": 70, "b": 30})
    assert j["served_entities"][0] == {"entity_name": "fraud", "entity_version": "1"}
    assert j["served_entities"][1]["workload_type"] == "CPU"
    assert {r["served_entity_name"]: r["traffic_percentage"] for r in j["traffic_config"]["routes"]} == \
        {"fraud-1": 70, "b": 30}
    j2 = s.config_json({"served_entities": [{"entity_name": "x", "entity_version": "3"}]})
    assert j2["served_entities"][0]["entity_version"] == "3"
    with pytest.raises(libdbx.InvalidArgument, match="percentage"):
        s.config_json(entities=[("x", "1")], routes={"x-1": 101})
    with pytest.raises(libdbx.InvalidArgument):
        s.config_json({"served_entities": []})
    with pytest.raises(libdbx.NotFound):
        s.get("nope")
    assert sv.state_name("ready", 1) == "READY"
    assert sv.state_name("config_update", 2) == "IN_PROGRESS"
    assert sv.state_name("deployment", 3) == "DEPLOYMENT_READY"


def test_update_tags_logs(emu, client):
    register(client, "fraud", MODEL_A)
    register(client, "fraud", MODEL_A)
    client.serving.create("u-ep", entities=[("fraud", "1")])
    client.serving.wait_ready("u-ep")
    ep = client.serving.update_config("u-ep", entities=[("fraud", "1"), ("fraud", "2")],
                                      routes={"fraud-1": 70, "fraud-2": 30})
    req = emu.last(API + "/u-ep/config")
    assert req["method"] == "PUT" and len(req["json"]["served_entities"]) == 2
    assert ep.config_update == "IN_PROGRESS" and ep.config.config_version == 1
    assert ep.pending_config.config_version == 2
    ep = client.serving.wait_ready("u-ep")
    assert ep.config.config_version == 2
    assert sorted((r.served_entity_name, r.traffic_percentage) for r in ep.config.routes) == \
        [("fraud-1", 70), ("fraud-2", 30)]

    client.serving.patch_tags("u-ep", add={"a": "1", "b": None}, remove=["c"])
    req = emu.last(API + "/u-ep/tags")
    assert req["method"] == "PATCH"
    assert req["json"]["add_tags"][0] == {"key": "a", "value": "1"}
    assert req["json"]["delete_tags"] == ["c"]
    assert client.serving.get("u-ep").tags == {"a": "1", "b": ""}
    client.serving.patch_tags("u-ep", remove="a")
    assert client.serving.get("u-ep").tags == {"b": ""}

    build = client.serving.build_logs("u-ep", "fraud-2")
    assert emu.last(API + "/u-ep/served-models/fraud-2/build-logs")["method"] == "GET"
    assert isinstance(build, str) and build
    logs = client.serving.server_logs("u-ep", "fraud-1")
    assert emu.last(API + "/u-ep/served-models/fraud-1/logs") is not None
    assert isinstance(logs, str)
    with pytest.raises(libdbx.NotFound):
        client.serving.build_logs("u-ep", "nope")


def test_wait_ready_progress_timeout_failure(emu, client):
    register(client, "fraud", MODEL_A)
    register(client, "fraud", None)  # version 2 fails to deploy
    emu.config(serving_deploy_ms=5000)
    client.serving.create("w-ep", entities=[("fraud", "1")])
    seen = []
    with pytest.raises(libdbx.Timeout) as ei:
        client.serving.wait_ready("w-ep", timeout=0.5, progress=lambda n, s: seen.append((n, s)))
    assert seen[0] == ("w-ep", "NOT_READY/IN_PROGRESS") and ei.value.last.ready == "NOT_READY"

    seen.clear()

    def prog(n, s):
        seen.append(s)
        emu.advance(2000)
    ep = client.serving.wait_ready("w-ep", progress=prog)
    assert ep.is_ready and seen[0] == "NOT_READY/IN_PROGRESS" and seen[-1] == "READY/NOT_UPDATING"
    assert emu.last(API + "/w-ep")["method"] == "GET"

    client.serving.update_config("w-ep", entities=[("fraud", "2")])
    with pytest.raises(libdbx.OperationFailed, match="fraud-2") as ei:
        client.serving.wait_ready("w-ep", progress=lambda n, s: emu.advance(6000))
    assert ei.value.last.config_update == "UPDATE_FAILED"
    assert ei.value.last.pending_config.served_entities[0].deployment == "DEPLOYMENT_FAILED"

    # an exception in the callback (as Ctrl-C's KeyboardInterrupt would be) stops the wait
    client.serving.update_config("w-ep", entities=[("fraud", "1")])

    def boom(n, s):
        raise KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        client.serving.wait_ready("w-ep", progress=boom)


def test_query_formats(emu, client):
    register(client, "fraud", MODEL_A)
    client.serving.create("q-ep", entities=[("fraud", "1")])
    client.serving.wait_ready("q-ep")
    inv = "/serving-endpoints/q-ep/invocations"
    rows = [{"amount": 2.5, "hour": 13, "channel": "web"}, {"amount": -1.0, "hour": 2, "channel": "pos"}]
    cols = ["amount", "hour", "channel"]
    data = [[2.5, 13, "web"], [-1.0, 2, "pos"]]
    inputs = {"amount": [2.5, -1.0], "hour": [13, 2], "channel": ["web", "pos"]}
    for kw in ({"dataframe_split": {"columns": cols, "data": data}}, {"dataframe_records": rows},
               {"instances": rows}, {"inputs": inputs}):
        r = client.serving.query("q-ep", params={"threshold": 0.4}, client_request_id="cr-1", timeout=60, **kw)
        sent = emu.last(inv)["json"]
        key = next(iter(kw))
        assert key in sent and sent["params"] == {"threshold": 0.4} and sent["client_request_id"] == "cr-1"
        assert sent[key] == kw[key]
        assert r.predictions == pytest.approx([A_ROW0, A_ROW1])
        assert r.served_model_name == "fraud-1" and r.latency_ms >= 0 and len(r) == 2
        assert r.raw["predictions"] == pytest.approx([A_ROW0, A_ROW1])

    # raw JSON body, as text and as a dict
    r = client.serving.query("q-ep", json.dumps({"dataframe_records": rows}))
    assert emu.last(inv)["json"] == {"dataframe_records": rows}
    assert r.predictions == pytest.approx([A_ROW0, A_ROW1])
    r = client.serving.query("q-ep", {"inputs": inputs}, client_request_id="x")
    assert emu.last(inv)["json"] == {"inputs": inputs, "client_request_id": "x"}
    # conveniences: list of dicts, (columns, rows)
    assert client.serving.predict("q-ep", rows) == pytest.approx([A_ROW0, A_ROW1])
    assert emu.last(inv)["json"]["dataframe_split"] == {"columns": cols, "data": data}
    assert client.serving.predict("q-ep", data, columns=cols) == pytest.approx([A_ROW0, A_ROW1])
    # typed cells the builder writes
    j = client.serving.input_json("dataframe_records", ["a", "b", "c", "d"], [[True, None, 3, "s"]])
    assert j == {"dataframe_records": [{"a": True, "b": None, "c": 3, "d": "s"}]}

    with pytest.raises(libdbx.BadRequest, match="missing inputs"):
        client.serving.query("q-ep", dataframe_records=[{"amount": 1.0}])
    with pytest.raises(libdbx.InvalidArgument):
        client.serving.query("q-ep")
    with pytest.raises(libdbx.InvalidArgument):
        client.serving.query("q-ep", dataframe_split={"columns": ["a"], "data": [[float("nan")]]})
    with pytest.raises(libdbx.NotFound):
        client.serving.query("nope", instances=rows)


def test_query_typed_outputs(emu, client):
    register(client, "lab", dict(MODEL_A, output="both"))
    register(client, "lab", dict(MODEL_A, output="label"))
    client.serving.create("o-ep", entities=[("lab", "1")])
    client.serving.wait_ready("o-ep")
    rows = [{"amount": 2.5, "hour": 13, "channel": "web"}]
    r = client.serving.query("o-ep", dataframe_records=rows)
    assert r.predictions[0]["label"] == 1 and r.predictions[0]["probability"] == pytest.approx(A_ROW0)
    assert r.field(0, "probability") == pytest.approx(A_ROW0)
    assert r.field(0, "nope") is None
    # canned answers: strings, nulls, integers, booleans
    emu.fault(method="POST", path="/serving-endpoints/o-ep/invocations", action="status", status=200,
              body=json.dumps({"predictions": ["x", None, 7, True, [1, 2]], "extra": 1}))
    r = client.serving.query("o-ep", dataframe_records=rows)
    assert r.predictions == ["x", None, 7, True, [1, 2]] and isinstance(r.predictions[2], int)
    assert r.raw["extra"] == 1
    assert r.field(0, "k") is None


def test_a_real_sigint_while_c_waits_stops_the_wait(emu, client):
    """Ctrl-C while libdbx sleeps between polls: KeyboardInterrupt once the C wait returns."""
    import os
    import signal
    import threading

    register(client, "fraud", MODEL_A)
    emu.config(serving_deploy_ms=600000)  # never deployed: the virtual clock is not advanced
    client.serving.create("c-ep", entities=[("fraud", "1")])
    polls = []
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            client.serving.wait_ready("c-ep", timeout=30, poll_interval=0.05, poll_max=0.05,
                                      progress=lambda n, s: polls.append(s))
    finally:
        timer.cancel()
    assert polls and set(polls) == {"NOT_READY/IN_PROGRESS"}
    with pytest.raises(libdbx.Timeout):
        client.serving.wait_ready("c-ep", timeout=0.1, poll_interval=0.02, poll_max=0.02)


def test_inference_table_enable_read_disable(emu, client):
    register(client, "fraud", MODEL_A)
    client.serving.create("itep", entities=[{"entity_name": "fraud", "entity_version": "1"}],
                          extra={"ai_gateway": {"usage_tracking_config": {"enabled": True}}})
    assert client.serving.wait_ready("itep").inference_table == ""
    with pytest.raises(libdbx.InvalidArgument, match="catalog_name"):
        client.serving.set_inference_table("itep", schema_name="default")
    client.serving.set_inference_table("itep", "main", "default")
    body = emu.last(API + "/itep/ai-gateway")["json"]
    assert body["inference_table_config"] == {"catalog_name": "main", "schema_name": "default", "enabled": True}
    assert body["usage_tracking_config"] == {"enabled": True}
    assert client.serving.get("itep").inference_table == "main.default.itep_payload"
    client.serving.query("itep", dataframe_records=[{"amount": 2.5, "hour": 13, "channel": "web"}],
                         client_request_id="txn-9")
    rows = client.sql.execute("5eedc0ffee000001",
                              "SELECT client_request_id, status_code FROM main.default.itep_payload").fetchall()
    assert [tuple(r) for r in rows] == [("txn-9", 200)]
    client.serving.set_inference_table("itep", enabled=False)
    assert emu.last(API + "/itep/ai-gateway")["json"]["inference_table_config"]["enabled"] is False
    assert client.serving.get("itep").inference_table == ""
