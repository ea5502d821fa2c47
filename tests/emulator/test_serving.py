"""Tests for the emulator's model serving (apis/serving.py, issue 9).

Run: /usr/bin/python3 -m pytest tests/emulator -q -p no:cacheprovider
"""

import base64
import http.client
import json
import math
import threading
import time
import urllib.parse

import pytest

from test_emulator import Emu, start_emulator, stop_emulator

E = "/api/2.0/serving-endpoints"
M = "/api/2.0/mlflow"
WH = "5eedc0ffee000001"
MLMODEL = (b"artifact_path: model\nflavors:\n  python_function:\n    loader_module: x\n"
           b"signature:\n  inputs: '[{\"type\": \"double\", \"name\": \"amount\"}]'\n"
           b"  outputs: '[{\"type\": \"double\"}]'\n")
MODEL_A = {"flavor": "logistic", "features": ["amount", "hour"], "intercept": -3.2,
           "coefficients": [0.8, 0.1], "categorical": {"channel": {"web": 0.7, "pos": -0.2}},
           "threshold": 0.5, "output": "probability"}
MODEL_B = dict(MODEL_A, intercept=1.0, coefficients=[0.0, 0.0], categorical={})


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    proc, info = start_emulator(tmp_path_factory.mktemp("emu-serving"))
    try:
        yield Emu(info)
    finally:
        stop_emulator(proc)


@pytest.fixture(autouse=True)
def _reset(emu):
    emu.ctl("POST", "reset")
    yield


def expect(model, row):
    z = model["intercept"] + sum(c * row[f] for f, c in zip(model["features"],
                                                          model["coefficients"]))
    for f, w in model.get("categorical", {}).items():
        z += w.get(row.get(f), 0.0)
    return 1.0 / (1.0 + math.exp(-z))


_dirs = [0]


def ws_version(emu, name, model=MODEL_A, files=None):
    """Registers a workspace model version from a DBFS directory holding MLmodel + model.json
    (or the given files); returns the version (a string)."""
    emu.call("POST", M + "/registered-models/create", {"name": name})  # may exist already
    _dirs[0] += 1
    root = "/models/%s/d%d" % (name, _dirs[0])
    if files is None:
        files = {"MLmodel": MLMODEL}
        if model is not None:
            files["model.json"] = json.dumps(model).encode()
    for rel, data in files.items():
        st, b = emu.call("POST", "/api/2.0/dbfs/put", {
            "path": root + "/" + rel, "contents": base64.b64encode(data).decode(),
            "overwrite": True})
        assert st == 200, b
    st, b = emu.call("POST", M + "/model-versions/create", {"name": name,
                                                            "source": "dbfs:" + root})
    assert st == 200, b
    return b["model_version"]["version"]


def create(emu, name, entities, traffic=None, **extra):
    cfg = {"served_entities": entities}
    if traffic is not None:
        cfg["traffic_config"] = {"routes": traffic}
    body = {"name": name, "config": cfg}
    body.update(extra)
    st, b = emu.call("POST", E, body)
    assert st == 200, b
    return b


def get(emu, name):
    st, b = emu.call("GET", E + "/" + name)
    assert st == 200, b
    return b


def invoke(emu, name, body, **kw):
    st, h, data = emu.raw("POST", "/serving-endpoints/%s/invocations" % name, body, **kw)
    return st, h, json.loads(data) if data else None


def predict(emu, name, body):
    st, h, b = invoke(emu, name, body)
    assert st == 200, b
    return h["served-model-name"], b["predictions"]


def err(st_b, status, code):
    st, b = st_b[0], st_b[-1]
    assert (st, b["error_code"]) == (status, code), (st, b)
    return b["message"]


# ---- endpoints and the state machine -------------------------------------------------------------

def test_create_get_list_delete(emu):
    v = ws_version(emu, "fraud")
    c = create(emu, "fraud-ep", [{"entity_name": "fraud", "entity_version": v,
                                  "scale_to_zero_enabled": True,
                                  "environment_vars": {"API_KEY": "{{secrets/s/k}}", "A": "1"}}],
               tags=[{"key": "team", "value": "risk"}], description="fraud scorer")
    assert c["state"] == {"ready": "NOT_READY", "config_update": "IN_PROGRESS"}
    assert "config" not in c
    pc = c["pending_config"]
    assert pc["config_version"] == 1 and isinstance(pc["start_time"], int)
    e = pc["served_entities"][0]
    assert e["name"] == "fraud-%s" % v and e["state"]["deployment"] == "DEPLOYMENT_CREATING"
    assert e["workload_size"] == "Small" and e["workload_type"] == "CPU"
    assert e["scale_to_zero_enabled"] is True
    assert e["environment_vars"] == {"API_KEY": "{{secrets/s/k}}", "A": "1"}
    assert pc["traffic_config"]["routes"] == [{"served_model_name": e["name"],
                                               "served_entity_name": e["name"],
                                               "traffic_percentage": 100}]
    assert len(c["id"]) == 32 and c["creator"] and c["permission_level"] == "CAN_MANAGE"
    assert c["tags"] == [{"key": "team", "value": "risk"}] and c["description"] == "fraud scorer"
    assert c["route_optimized"] is False and "endpoint_url" not in c
    # deploy time 0: the next read settles it
    g = get(emu, "fraud-ep")
    assert g["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
    assert "pending_config" not in g
    assert g["config"]["config_version"] == 1
    assert g["config"]["served_entities"][0]["state"]["deployment"] == "DEPLOYMENT_READY"
    assert g["config"]["served_entities"][0]["environment_vars"]["API_KEY"] == "{{secrets/s/k}}"
    st, lst = emu.call("GET", E)
    item = lst["endpoints"][0]
    assert item["name"] == "fraud-ep" and item["state"]["ready"] == "READY"
    assert item["config"]["served_entities"] == [{"name": "fraud-%s" % v, "entity_name": "fraud",
                                                   "entity_version": v}]
    assert "pending_config" not in item and "permission_level" not in item
    err(emu.call("POST", E, {"name": "fraud-ep", "config": {"served_entities": [
        {"entity_name": "fraud", "entity_version": v}]}}), 409, "RESOURCE_ALREADY_EXISTS")
    for bad in ("has space", "dot.name", "x" * 64, ""):
        err(emu.call("POST", E, {"name": bad, "config": {"served_entities": [
            {"entity_name": "fraud", "entity_version": v}]}}), 400, "INVALID_PARAMETER_VALUE")
    err(emu.call("POST", E, {"name": "x"}), 400, "INVALID_PARAMETER_VALUE")
    err(emu.call("POST", E, {"name": "x", "config": {"served_entities": [
        {"entity_name": "fraud", "entity_version": v, "workload_size": "Huge"}]}}),
        400, "INVALID_PARAMETER_VALUE")
    err(emu.call("POST", E, {"name": "x", "config": {"served_entities": [
        {"entity_name": "fraud", "entity_version": v, "workload_type": "TPU"}]}}),
        400, "INVALID_PARAMETER_VALUE")
    msg = err(emu.call("GET", E + "/nope"), 404, "RESOURCE_DOES_NOT_EXIST")
    assert "nope" in msg
    st, b = emu.call("DELETE", E + "/fraud-ep")
    assert (st, b) == (200, {})
    err(emu.call("GET", E + "/fraud-ep"), 404, "RESOURCE_DOES_NOT_EXIST")
    st, lst = emu.call("GET", E)
    assert st == 200 and lst.get("endpoints", []) == []


def test_deploy_time_on_the_virtual_clock(emu):
    v = ws_version(emu, "m")
    emu.ctl("POST", "config", {"serving_deploy_ms": 60000})
    create(emu, "ep", [{"entity_name": "m", "entity_version": v}])
    emu.advance(59000)
    g = get(emu, "ep")
    assert g["state"] == {"ready": "NOT_READY", "config_update": "IN_PROGRESS"}
    err(invoke(emu, "ep", {"inputs": {"amount": 1, "hour": 2, "channel": "web"}}),
        503, "TEMPORARILY_UNAVAILABLE")
    emu.advance(1000)
    g = get(emu, "ep")
    assert g["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
    assert g["last_updated_timestamp"] >= g["creation_timestamp"] + 60000


def test_update_config_old_serves_until_new_is_ready(emu):
    v1 = ws_version(emu, "m", MODEL_A)
    v2 = ws_version(emu, "m", MODEL_B)
    create(emu, "ep", [{"entity_name": "m", "entity_version": v1}])
    get(emu, "ep")
    emu.ctl("POST", "config", {"serving_deploy_ms": 10000})
    st, u = emu.call("PUT", E + "/ep/config", {"served_entities": [
        {"entity_name": "m", "entity_version": v2, "workload_size": "Medium"}]})
    assert st == 200, u
    assert u["state"] == {"ready": "READY", "config_update": "IN_PROGRESS"}
    assert u["config"]["config_version"] == 1 and u["pending_config"]["config_version"] == 2
    row = {"amount": 2.0, "hour": 3, "channel": "web"}
    name, p = predict(emu, "ep", {"dataframe_records": [row]})
    assert name == "m-%s" % v1 and p[0] == pytest.approx(expect(MODEL_A, row))
    msg = err(emu.call("PUT", E + "/ep/config", {"served_entities": [
        {"entity_name": "m", "entity_version": v1}]}), 409, "RESOURCE_CONFLICT")
    assert "IN_PROGRESS" in msg
    emu.advance(10000)
    g = get(emu, "ep")
    assert g["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
    assert g["config"]["config_version"] == 2
    assert g["config"]["served_entities"][0]["workload_size"] == "Medium"
    name, p = predict(emu, "ep", {"dataframe_records": [row]})
    assert name == "m-%s" % v2 and p[0] == pytest.approx(expect(MODEL_B, row))


def test_bad_entity_update_failed(emu):
    v1 = ws_version(emu, "m")
    nojson = ws_version(emu, "m", model=None)
    badjson = ws_version(emu, "m", files={"MLmodel": MLMODEL, "model.json": b'{"flavor": "x"}'})
    create(emu, "ep", [{"entity_name": "m", "entity_version": v1}])
    get(emu, "ep")
    for ver, reason in (("99", "does not exist"), (nojson, "no model.json"),
                        (badjson, "unsupported flavor")):
        st, u = emu.call("PUT", E + "/ep/config", {"served_entities": [
            {"entity_name": "m", "entity_version": ver}]})
        assert st == 200, u
        g = get(emu, "ep")
        assert g["state"] == {"ready": "READY", "config_update": "UPDATE_FAILED"}, g
        e = g["pending_config"]["served_entities"][0]
        assert e["state"]["deployment"] == "DEPLOYMENT_FAILED"
        assert reason in e["state"]["deployment_state_message"], e
        assert g["config"]["config_version"] == 1
        name, _ = predict(emu, "ep", {"inputs": {"amount": 1, "hour": 1, "channel": "x"}})
        assert name == "m-%s" % v1
    logs = emu.call("GET", E + "/ep/served-models/m-%s/build-logs" % badjson)[1]["logs"]
    assert "unsupported flavor" in logs
    # a first config that fails: NOT_READY
    create(emu, "ep2", [{"entity_name": "nosuch", "entity_version": "1"}])
    g = get(emu, "ep2")
    assert g["state"] == {"ready": "NOT_READY", "config_update": "UPDATE_FAILED"}
    assert "nosuch" in g["pending_config"]["served_entities"][0]["state"][
        "deployment_state_message"]
    # a version still PENDING_REGISTRATION
    emu.ctl("POST", "config", {"registry_pending_ms": 100000})
    st, b = emu.call("POST", M + "/model-versions/create", {"name": "m", "source": "dbfs:/x"})
    pend = b["model_version"]["version"]
    create(emu, "ep3", [{"entity_name": "m", "entity_version": pend}])
    msg = get(emu, "ep3")["pending_config"]["served_entities"][0]["state"][
        "deployment_state_message"]
    assert "not READY" in msg and "PENDING_REGISTRATION" in msg
    # after UPDATE_FAILED a new update is accepted
    st, u = emu.call("PUT", E + "/ep2/config", {"served_entities": [
        {"entity_name": "m", "entity_version": v1}]})
    assert st == 200 and u["state"]["config_update"] == "IN_PROGRESS"
    assert get(emu, "ep2")["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}


def test_uc_model_and_run_layout(emu):
    st, b = emu.call("POST", "/api/2.0/mlflow/unity-catalog/model-versions/create",
                     {"name": "main.default.fraud", "source": "runs:/abc/model"})
    if st == 404 or (st == 400 and "does not exist" in b.get("message", "")):
        st, b = emu.call("POST", "/api/2.1/unity-catalog/models",
                         {"catalog_name": "main", "schema_name": "default", "name": "fraud"})
        assert st == 200, b
        st, b = emu.call("POST", "/api/2.0/mlflow/unity-catalog/model-versions/create",
                         {"name": "main.default.fraud", "source": "runs:/abc/model"})
    assert st == 200, b
    v = b["model_version"]["version"]
    root = "/Models/main/default/fraud/" + v
    for rel, data in (("MLmodel", MLMODEL), ("model.json", json.dumps(MODEL_A).encode())):
        st, _, body = emu.raw("PUT", "/api/2.0/fs/files" + root + "/" + rel, data,
                              headers={"Content-Type": "application/octet-stream"})
        assert st == 204, body
    st, b = emu.call("POST", "/api/2.0/mlflow/unity-catalog/model-versions/finalize",
                     {"name": "main.default.fraud", "version": v})
    assert st == 200, b
    c = create(emu, "uc-ep", [{"entity_name": "main.default.fraud", "entity_version": v}])
    assert c["pending_config"]["served_entities"][0]["name"] == "main-default-fraud-" + v
    g = get(emu, "uc-ep")
    assert g["state"]["ready"] == "READY", g["pending_config"]["served_entities"][0]["state"]
    row = {"amount": 5, "hour": 1, "channel": "pos"}
    name, p = predict(emu, "uc-ep", {"dataframe_split": {"columns": list(row),
                                                         "data": [list(row.values())]}})
    assert name == "main-default-fraud-" + v and p[0] == pytest.approx(expect(MODEL_A, row))
    # model.json under model/ (the layout of a run's root) is accepted too
    vm = ws_version(emu, "m", files={"MLmodel": MLMODEL, "model/MLmodel": MLMODEL,
                                     "model/model.json": json.dumps(MODEL_B).encode()})
    create(emu, "ws-ep", [{"entity_name": "m", "entity_version": vm}])
    assert predict(emu, "ws-ep", {"inputs": row})[1] == pytest.approx([expect(MODEL_B, row)])


def test_legacy_served_models(emu):
    v = ws_version(emu, "m")
    st, b = emu.call("POST", E, {"name": "leg", "config": {"served_models": [
        {"model_name": "m", "model_version": v, "workload_size": "Small"}]}})
    err((st, b), 400, "INVALID_PARAMETER_VALUE")  # scale_to_zero_enabled is required there
    st, b = emu.call("POST", E, {"name": "leg", "config": {"served_models": [
        {"model_name": "m", "model_version": v, "workload_size": "Small",
         "scale_to_zero_enabled": False}]}})
    assert st == 200, b
    g = get(emu, "leg")
    assert g["config"]["served_models"][0]["model_name"] == "m"
    assert g["config"]["served_entities"][0]["entity_name"] == "m"


# ---- traffic ----------------------------------------------------------------------------------

def test_traffic_split_and_validation(emu):
    va = ws_version(emu, "m", MODEL_A)
    vb = ws_version(emu, "m", MODEL_B)
    ents = [{"name": "champion", "entity_name": "m", "entity_version": va},
            {"name": "challenger", "entity_name": "m", "entity_version": vb}]
    for routes in ([{"served_entity_name": "champion", "traffic_percentage": 70}],
                   [{"served_entity_name": "champion", "traffic_percentage": 70},
                    {"served_entity_name": "nope", "traffic_percentage": 30}],
                   [{"served_entity_name": "champion", "traffic_percentage": 50},
                    {"served_entity_name": "champion", "traffic_percentage": 50}],
                   [{"served_entity_name": "champion", "traffic_percentage": 101}]):
        err(emu.call("POST", E, {"name": "ab", "config": {"served_entities": ents,
                                                          "traffic_config": {"routes": routes}}}),
            400, "INVALID_PARAMETER_VALUE")
    err(emu.call("POST", E, {"name": "ab", "config": {"served_entities": ents}}),
        400, "INVALID_PARAMETER_VALUE")
    dup = [dict(ents[0]), dict(ents[0])]
    err(emu.call("POST", E, {"name": "ab", "config": {"served_entities": dup}}),
        400, "INVALID_PARAMETER_VALUE")
    create(emu, "ab", ents, [{"served_entity_name": "champion", "traffic_percentage": 70},
                             {"served_model_name": "challenger", "traffic_percentage": 30}])
    g = get(emu, "ab")
    assert [r["traffic_percentage"] for r in g["config"]["traffic_config"]["routes"]] == [70, 30]
    counts = {"champion": 0, "challenger": 0}
    row = {"amount": 1, "hour": 1, "channel": "web"}
    for _ in range(100):
        name, p = predict(emu, "ab", {"instances": [row]})
        counts[name] += 1
        assert p[0] == pytest.approx(expect(MODEL_A if name == "champion" else MODEL_B, row))
    assert counts == {"champion": 70, "challenger": 30}
    # shift everything to the challenger
    st, _ = emu.call("PUT", E + "/ab/config", {"served_entities": ents, "traffic_config": {
        "routes": [{"served_entity_name": "champion", "traffic_percentage": 0},
                   {"served_entity_name": "challenger", "traffic_percentage": 100}]}})
    assert st == 200
    assert get(emu, "ab")["config"]["config_version"] == 2
    assert {predict(emu, "ab", {"instances": [row]})[0] for _ in range(10)} == {"challenger"}


# ---- invocations -----------------------------------------------------------------------------

def test_four_formats_outputs_and_errors(emu):
    v = ws_version(emu, "m", MODEL_A)
    vl = ws_version(emu, "m", dict(MODEL_A, output="label"))
    vb = ws_version(emu, "m", dict(MODEL_A, output="both"))
    create(emu, "ep", [{"entity_name": "m", "entity_version": v}])
    create(emu, "lab", [{"entity_name": "m", "entity_version": vl}])
    create(emu, "both", [{"entity_name": "m", "entity_version": vb}])
    rows = [{"amount": 4.0, "hour": 2, "channel": "web"},
            {"amount": 0.5, "hour": 23, "channel": "atm"}]
    want = [expect(MODEL_A, r) for r in rows]
    cols = ["amount", "hour", "channel"]
    bodies = [
        {"dataframe_split": {"columns": cols, "data": [[r[c] for c in cols] for r in rows]}},
        {"dataframe_split": {"index": [0, 1], "columns": cols,
                             "data": [[r[c] for c in cols] for r in rows]}},
        {"dataframe_records": rows},
        {"instances": rows},
        {"inputs": {c: [r[c] for r in rows] for c in cols}},
        {"inputs": rows, "params": {"k": 1}, "client_request_id": "abc"},
    ]
    for body in bodies:
        name, p = predict(emu, "ep", body)
        assert name == "m-" + v and p == pytest.approx(want), body
    assert predict(emu, "lab", {"dataframe_records": rows})[1] == [int(w >= 0.5) for w in want]
    both = predict(emu, "both", {"dataframe_records": rows})[1]
    assert [b["label"] for b in both] == [int(w >= 0.5) for w in want]
    assert [b["probability"] for b in both] == pytest.approx(want)
    # errors
    msg = err(invoke(emu, "ep", {"dataframe_records": [{"amount": 1, "channel": "web"}]}),
              400, "BAD_REQUEST")
    assert "Model is missing inputs ['hour']" in msg
    msg = err(invoke(emu, "ep", {"dataframe_records": rows, "instances": rows}), 400,
              "BAD_REQUEST")
    assert "exactly one" in msg
    err(invoke(emu, "ep", {"params": {}}), 400, "BAD_REQUEST")
    err(invoke(emu, "ep", {"inputs": rows, "params": [1]}), 400, "BAD_REQUEST")
    err(invoke(emu, "ep", {"dataframe_records": [{"amount": "x", "hour": 1, "channel": "web"}]}),
        400, "BAD_REQUEST")
    err(invoke(emu, "ep", {"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}}),
        400, "BAD_REQUEST")
    st, h, data = emu.raw("POST", "/serving-endpoints/ep/invocations", b"{not json",
                          headers={"Content-Type": "application/json"})
    assert st == 400 and json.loads(data)["error_code"] == "BAD_REQUEST"
    err(invoke(emu, "nope", {"inputs": rows}), 404, "RESOURCE_DOES_NOT_EXIST")
    st, _, _ = invoke(emu, "ep", {"inputs": rows}, token=None)
    assert st == 401
    # the payload limit (shrunk here; 16 MB by default)
    emu.ctl("POST", "config", {"serving_max_payload_bytes": 200})
    msg = err(invoke(emu, "ep", {"dataframe_records": rows * 10}), 400, "BAD_REQUEST")
    assert "limit" in msg
    emu.ctl("POST", "config", {"serving_max_payload_bytes": 16 * 1024 * 1024})
    # 429 through the fault rules, with Retry-After
    emu.ctl("POST", "faults", {"path": "/serving-endpoints/ep/invocations", "action": "status",
                               "status": 429, "headers": {"Retry-After": "2"}})
    st, h, b = invoke(emu, "ep", {"inputs": rows})
    assert st == 429 and h["retry-after"] == "2" and b["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert predict(emu, "ep", {"inputs": rows})[1] == pytest.approx(want)


def test_model_latency_is_concurrent(emu):
    v = ws_version(emu, "m")
    create(emu, "ep", [{"entity_name": "m", "entity_version": v}])
    get(emu, "ep")
    emu.ctl("POST", "config", {"serving_model_latency_ms": 300})
    n = 8
    results = []

    def one():
        results.append(invoke(emu, "ep", {"inputs": {"amount": 1, "hour": 1,
                                                     "channel": "web"}})[0])
    threads = [threading.Thread(target=one) for _ in range(n)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    assert results == [200] * n
    # sequential would take n * 0.3 = 2.4 s; overlapping calls take about 0.3 s
    assert 0.3 <= elapsed < 1.5, elapsed


# ---- route-optimized ---------------------------------------------------------------------------

def oauth_token(emu):
    basic = base64.b64encode(b"emu-client:emu-secret").decode()
    st, _, data = emu.raw("POST", "/oidc/v1/token", b"grant_type=client_credentials&scope=all-apis",
                          token=None, headers={"Authorization": "Basic " + basic,
                                               "Content-Type": "application/x-www-form-urlencoded"})
    assert st == 200, data
    return json.loads(data)["access_token"]


def exchange(emu, assertion, details):
    form = urllib.parse.urlencode({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                   "assertion": assertion, "authorization_details": details})
    st, _, data = emu.raw("POST", "/oidc/v1/token", form.encode(), token=None,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    return st, json.loads(data)


def dp_call(url, token, body):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    try:
        hdrs = {"Content-Type": "application/json"}
        if token:
            hdrs["Authorization"] = "Bearer " + token
        c.request("POST", u.path, body=json.dumps(body), headers=hdrs)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, json.loads(r.read())
    finally:
        c.close()


def test_route_optimized_data_plane(emu):
    v = ws_version(emu, "m")
    c = create(emu, "ro", [{"entity_name": "m", "entity_version": v}], route_optimized=True)
    create(emu, "ro2", [{"entity_name": "m", "entity_version": v}], route_optimized=True)
    create(emu, "plain", [{"entity_name": "m", "entity_version": v}])
    g = get(emu, "ro")
    assert g["route_optimized"] is True
    url = g["endpoint_url"]
    qi = g["data_plane_info"]["query_info"]
    assert qi["endpoint_url"] == url and url == c["endpoint_url"]
    other = "http://127.0.0.2:%d" % emu.info["other_port"]
    assert url == other + "/1234567890123456/serving-endpoints/ro/invocations"
    details = json.loads(qi["authorization_details"])
    assert details[0]["object_path"] == "/serving-endpoints/" + g["id"]
    assert details[0]["actions"] == ["query_inference_endpoint"]
    body = {"dataframe_records": [{"amount": 1, "hour": 2, "channel": "web"}]}
    # the workspace URL refuses a route-optimized endpoint
    msg = err(invoke(emu, "ro", body), 400, "BAD_REQUEST")
    assert "route-optimized" in msg
    # token exchange: a PAT cannot be exchanged; an emulator-issued OAuth token can
    st, b = exchange(emu, "dapi-emulator-token", qi["authorization_details"])
    assert st == 400 and b["error"] == "invalid_grant"
    cp = oauth_token(emu)
    st, b = exchange(emu, cp, "[]")
    assert st == 400 and b["error"] == "invalid_authorization_details"
    st, tok = exchange(emu, cp, qi["authorization_details"])
    assert st == 200 and tok["token_type"] == "Bearer" and tok["expires_in"] == 3600
    dp = tok["access_token"]
    st, h, b = dp_call(url, dp, body)
    assert st == 200 and h["served-model-name"] == "m-" + v
    assert b["predictions"][0] == pytest.approx(expect(MODEL_A, body["dataframe_records"][0]))
    # PAT, control-plane token, no token -> 401; another endpoint's token -> 403
    for t in ("dapi-emulator-token", cp, None):
        st, _, b = dp_call(url, t, body)
        assert (st, b["error_code"]) == (401, "UNAUTHENTICATED")
    g2 = get(emu, "ro2")
    st, tok2 = exchange(emu, cp, g2["data_plane_info"]["query_info"]["authorization_details"])
    st, _, b = dp_call(url, tok2["access_token"], body)
    assert (st, b["error_code"]) == (403, "PERMISSION_DENIED")
    # the data-plane token is not a workspace token
    st, _ = emu.call("GET", E + "/ro", token=dp)
    assert st == 401
    # client_credentials with authorization_details (the documented curl flow)
    basic = base64.b64encode(b"emu-client:emu-secret").decode()
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": "all-apis",
                                   "authorization_details": qi["authorization_details"]})
    st, _, data = emu.raw("POST", "/oidc/v1/token", form.encode(), token=None,
                          headers={"Authorization": "Basic " + basic,
                                   "Content-Type": "application/x-www-form-urlencoded"})
    assert st == 200
    assert dp_call(url, json.loads(data)["access_token"], body)[0] == 200
    # a plain endpoint is not on the data plane
    st, _, b = dp_call(url.replace("/ro/", "/plain/"), dp, body)
    assert st in (403, 404)
    # expiry on the virtual clock
    emu.advance(3600 * 1000)
    st, _, b = dp_call(url, dp, body)
    assert (st, b["error_code"]) == (401, "UNAUTHENTICATED")


# ---- metrics, logs, tags, AI gateway, inference tables -------------------------------------------

def test_metrics_and_logs(emu):
    v = ws_version(emu, "m")
    create(emu, "ep", [{"entity_name": "m", "entity_version": v}])
    for _ in range(3):
        predict(emu, "ep", {"inputs": {"amount": 1, "hour": 1, "channel": "web"}})
    invoke(emu, "ep", {"inputs": {"amount": 1}})
    st, h, data = emu.raw("GET", E + "/ep/metrics")
    assert st == 200 and h["content-type"].startswith("text/plain")
    text = data.decode()
    lab = '{endpoint_name="ep",served_entity_name="m-%s"}' % v
    assert "# TYPE request_count_total counter" in text
    assert "request_count_total%s 4\n" % lab in text
    assert "request_4xx_count_total%s 1\n" % lab in text
    assert "request_5xx_count_total%s 0\n" % lab in text
    assert "# TYPE request_latency_ms histogram" in text
    assert 'request_latency_ms_bucket{endpoint_name="ep",served_entity_name="m-%s",le="+Inf"} 4' \
        % v in text
    assert "request_latency_ms_count%s 4\n" % lab in text
    assert "provisioned_concurrent_requests_total%s 4\n" % lab in text
    st, b = emu.call("GET", E + "/ep/served-models/m-%s/logs" % v)
    assert st == 200 and "loaded" in b["logs"] and "missing inputs" in b["logs"]
    st, b = emu.call("GET", E + "/ep/served-models/m-%s/build-logs" % v)
    assert st == 200 and "Build succeeded" in b["logs"]
    err(emu.call("GET", E + "/ep/served-models/nope/logs"), 404, "RESOURCE_DOES_NOT_EXIST")
    err(emu.call("GET", E + "/nope/metrics"), 404, "RESOURCE_DOES_NOT_EXIST")


def test_tags_and_ai_gateway(emu):
    v = ws_version(emu, "m")
    create(emu, "ep", [{"entity_name": "m", "entity_version": v}],
           tags=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
    st, b = emu.call("PATCH", E + "/ep/tags", {"add_tags": [{"key": "c", "value": "3"},
                                                            {"key": "a", "value": "9"}],
                                               "delete_tags": ["b"]})
    assert st == 200 and b == {"tags": [{"key": "a", "value": "9"}, {"key": "c", "value": "3"}]}
    assert get(emu, "ep")["tags"] == b["tags"]
    err(emu.call("PATCH", E + "/ep/tags", {"add_tags": [{"value": "x"}]}), 400,
        "INVALID_PARAMETER_VALUE")
    err(emu.call("PATCH", E + "/nope/tags", {}), 404, "RESOURCE_DOES_NOT_EXIST")
    gw = {"usage_tracking_config": {"enabled": True},
          "rate_limits": [{"calls": 100, "key": "user", "renewal_period": "minute"}]}
    st, b = emu.call("PUT", E + "/ep/ai-gateway", gw)
    assert st == 200 and b == gw
    assert get(emu, "ep")["ai_gateway"] == gw
    err(emu.call("PUT", E + "/ep/ai-gateway", {"rate_limits": [{"calls": 1,
                                                                "renewal_period": "hour"}]}),
        400, "INVALID_PARAMETER_VALUE")
    err(emu.call("PUT", E + "/ep/ai-gateway", {"inference_table_config": {
        "catalog_name": "nope", "schema_name": "default", "enabled": True}}),
        404, "CATALOG_DOES_NOT_EXIST")


def sql_rows(emu, sql):
    st, b = emu.call("POST", "/api/2.0/sql/statements", {"statement": sql, "warehouse_id": WH})
    assert st == 200 and b["status"]["state"] == "SUCCEEDED", b
    return b["result"].get("data_array", [])


def test_inference_tables(emu):
    v = ws_version(emu, "m")
    create(emu, "ep", [{"entity_name": "m", "entity_version": v}],
           )
    get(emu, "ep")
    st, b = emu.call("PUT", E + "/ep/ai-gateway", {"inference_table_config": {
        "catalog_name": "main", "schema_name": "default", "table_name_prefix": "fraud",
        "enabled": True}})
    assert st == 200, b
    row = {"amount": 2, "hour": 3, "channel": "web"}
    st, h, _ = invoke(emu, "ep", {"dataframe_records": [row], "client_request_id": "c-1"})
    assert st == 200
    invoke(emu, "ep", {"dataframe_records": [{"amount": 1}]})
    got = sql_rows(emu, "SELECT client_request_id, status_code, sampling_fraction, request, "
                        "response, requester, databricks_request_id, request_date, request_time, "
                        "execution_duration_ms, served_entity_id, logging_error_codes "
                        "FROM main.default.fraud_payload ORDER BY request_time, status_code")
    assert len(got) == 2
    assert got[0][:3] == ["c-1", "200", "1.0"]
    assert json.loads(got[0][3])["client_request_id"] == "c-1"
    assert json.loads(got[0][4])["predictions"][0] == pytest.approx(expect(MODEL_A, row))
    assert got[0][5] == "emulator-user@example.com" and got[0][6] == h["x-request-id"]
    assert got[1][1] == "400" and json.loads(got[1][4])["error_code"] == "BAD_REQUEST"
    assert got[0][11] == "[]"
    # the legacy auto_capture_config in the endpoint config
    create(emu, "leg", [{"entity_name": "m", "entity_version": v}],
           )
    st, u = emu.call("PUT", E + "/leg/config", {
        "served_entities": [{"entity_name": "m", "entity_version": v}],
        "auto_capture_config": {"catalog_name": "main", "schema_name": "default",
                                "enabled": True}})
    assert st == 200, u
    g = get(emu, "leg")
    cap = g["config"]["auto_capture_config"]
    assert cap["state"]["payload_table"]["name"] == "leg_payload"
    invoke(emu, "leg", {"inputs": row})
    assert sql_rows(emu, "SELECT count(*) FROM main.default.leg_payload") == [["1"]]
    err(emu.call("PUT", E + "/leg/config", {
        "served_entities": [{"entity_name": "m", "entity_version": v}],
        "auto_capture_config": {"catalog_name": "main", "schema_name": "nope", "enabled": True}}),
        404, "SCHEMA_DOES_NOT_EXIST")


def test_inference_table_name_in_process():
    """The helper other emulator modules (monitors) use."""
    from dbx_emulator import apis
    from dbx_emulator.apis import serving
    from dbx_emulator.server import Request
    from dbx_emulator.state import State
    state = State(reset_hooks=apis.load_all())

    def call(body):
        req = Request()
        req.body = json.dumps(body).encode()
        req.json, req.json_ok = body, True
        req.principal = "me@example.com"
        req.state = state
        req.params = {}
        return serving.create_endpoint(req)

    st, _, b = call({"name": "ep", "config": {"served_entities": [
        {"entity_name": "m", "entity_version": "1"}]}, "ai_gateway": {"inference_table_config": {
            "catalog_name": "main", "schema_name": "default", "enabled": True}}})
    assert st == 200 and b["creator"] == "me@example.com"
    assert serving.inference_table_name(state, "ep") == "main.default.ep_payload"
    assert serving.inference_table_name(state, "nope") is None
    call({"name": "ep2", "config": {"served_entities": [
        {"entity_name": "m", "entity_version": "1"}]}})
    assert serving.inference_table_name(state, "ep2") is None
    assert "main.default.ep_payload" in state.uc.tables
    state.uc.close()
