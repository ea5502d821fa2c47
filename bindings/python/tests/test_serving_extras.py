"""client.serving extras against the emulator: route-optimized endpoints, champion / challenger,
/metrics, batch scoring, the boolean accessor."""

import math

import pytest

import libdbx
from libdbx import serving as sv
from test_serving import register

API = "/api/2.0/serving-endpoints"
MODEL_A = {"flavor": "logistic", "features": ["amount", "hour"], "intercept": -3.2, "coefficients": [0.8, 0.1]}
MODEL_B = {"flavor": "logistic", "features": ["amount", "hour"], "intercept": 1.0, "coefficients": [0, 0]}
MODEL_L = dict(MODEL_A, output="label")
ROW = {"columns": ["amount", "hour"], "data": [[2.5, 13]]}
TWO = {"served_entities": [{"entity_name": "fraud", "entity_version": "1"},
                           {"entity_name": "fraud", "entity_version": "2"}],
       "traffic_config": {"routes": [{"served_entity_name": "fraud-1", "traffic_percentage": 100},
                                     {"served_entity_name": "fraud-2", "traffic_percentage": 0}]}}


def a_score(amount, hour):
    return 1 / (1 + math.exp(-(-3.2 + 0.8 * amount + 0.1 * hour)))


def make_ep(client, name, config, route_optimized=False):
    client.serving.create(name, config, route_optimized=route_optimized)
    client.serving.wait_ready(name, poll_interval=0.01, poll_max=0.01)


def advancer(emu):
    return lambda name, state: emu.advance(2000)


def test_route_optimized(emu, client):
    register(client, "fraud", MODEL_A)
    make_ep(client, "ro", {"served_entities": [{"entity_name": "fraud", "entity_version": "1"}]}, True)
    with libdbx.Client(host=emu.base, client_id="emu-client", client_secret="emu-secret", no_env=True,
                       no_config_file=True) as m:
        emu.ctl("DELETE", "/__emulator/requests")
        for _ in range(3):
            r = m.serving.query("ro", dataframe_split=ROW)
            assert r.predictions[0] == pytest.approx(a_score(2.5, 13))
        dp = [q for q in emu.requests() if q["server"] == "other"]
        assert len(dp) == 3 and dp[0]["path"].endswith("/serving-endpoints/ro/invocations")
        assert dp[0]["headers"]["authorization"].startswith("Bearer ")
        toks = emu.requests("/oidc/v1/token")
        assert "jwt-bearer" in toks[-1]["body"]
        assert len(emu.requests(API + "/ro")) == 1
    with pytest.raises(libdbx.ConfigError) as ei:
        client.serving.query("ro", dataframe_split=ROW)
    assert "need OAuth" in str(ei.value)


def test_champion_challenger(emu, client):
    register(client, "fraud", MODEL_A)
    register(client, "fraud", MODEL_B)
    make_ep(client, "cc", TWO)
    t = client.serving.traffic("cc")
    assert isinstance(t, sv.Traffic)
    assert t.percentages() == {"fraud-1": 100, "fraud-2": 0}
    assert t.routes[1] == sv.TrafficRoute("fraud-2", "fraud", "2", 0)
    assert t.config["served_entities"][0]["entity_name"] == "fraud"

    emu.config(serving_deploy_ms=4000)
    ep = client.serving.shift_traffic("cc", "fraud-1", "fraud-2", 30, wait=False)
    assert ep.config_update == "IN_PROGRESS"
    put = emu.last(API + "/cc/config")["json"]
    assert [r["traffic_percentage"] for r in put["traffic_config"]["routes"]] == [70, 30]
    ok = 0
    while client.serving.get("cc").config_update != "NOT_UPDATING":
        for _ in range(5):
            client.serving.query("cc", dataframe_split=ROW)  # raises on any failure
            ok += 1
        emu.advance(1000)
    assert ok >= 20
    assert client.serving.traffic("cc").percentages() == {"fraud-1": 70, "fraud-2": 30}
    served = [client.serving.query("cc", dataframe_split=ROW).served_model_name for _ in range(100)]
    assert 25 <= served.count("fraud-2") <= 35
    with pytest.raises(libdbx.NotFound) as ei:
        client.serving.shift_traffic("cc", "fraud-1", "nope", 10)
    assert "(the challenger)" in str(ei.value)
    with pytest.raises(libdbx.InvalidArgument):
        client.serving.shift_traffic("cc", "fraud-1", "fraud-2", 101)
    polls = []
    ep = client.serving.shift_traffic("cc", "fraud-1", "fraud-2", 50,
                                      progress=lambda n, s: (polls.append(s), emu.advance(2000)),
                                      poll_interval=0.01, poll_max=0.01)
    assert ep.is_ready and polls

    # promote with an alias, then roll back
    client.registry.set_alias("fraud", "champion", 1)
    p = client.serving.promote("cc", "fraud-2", alias="champion", registry="workspace", progress=advancer(emu), poll_interval=0.01, poll_max=0.01)
    assert isinstance(p, sv.Promotion)
    assert (p.model, p.alias, p.alias_version, p.previous_alias_version) == ("fraud", "champion", 2, 1)
    assert p.endpoint.is_ready
    assert client.serving.traffic("cc").percentages() == {"fraud-2": 100}
    got = client.request("GET", "/api/2.0/mlflow/registered-models/alias?name=fraud&alias=champion")
    assert got.json()["model_version"]["version"] == "2"
    client.serving.rollback("cc", p, progress=advancer(emu), poll_interval=0.01, poll_max=0.01)
    assert client.serving.traffic("cc").percentages() == {"fraud-1": 50, "fraud-2": 50}
    got = client.request("GET", "/api/2.0/mlflow/registered-models/alias?name=fraud&alias=champion")
    assert got.json()["model_version"]["version"] == "1"
    # a saved config (JSON-able) works too
    saved = client.serving.traffic("cc").config
    client.serving.promote("cc", "fraud-1", keep_others=True, progress=advancer(emu), poll_interval=0.01, poll_max=0.01)
    assert client.serving.traffic("cc").percentages() == {"fraud-1": 100, "fraud-2": 0}
    client.serving.rollback("cc", saved, progress=advancer(emu), poll_interval=0.01, poll_max=0.01)
    assert client.serving.traffic("cc").percentages() == {"fraud-1": 50, "fraud-2": 50}


def test_metrics(emu, client):
    register(client, "fraud", MODEL_A)
    make_ep(client, "met", {"served_entities": [{"entity_name": "fraud", "entity_version": "1"}]})
    for _ in range(7):
        client.serving.query("met", dataframe_split=ROW)
    m = client.serving.metrics("met")
    assert emu.last(API + "/met/metrics")["method"] == "GET"
    assert isinstance(m, sv.Metrics)
    s = m.find("request_count_total", "served_entity_name", "fraud-1")
    assert s.type == "counter" and s.value == 7 and s.labels["endpoint_name"] == "met"
    assert m.sum("request_latency_ms_count") == 7
    assert m.find("request_latency_ms_bucket", "le", "+Inf").type == "histogram"
    parsed = sv.parse_metrics('# TYPE g gauge\ng{a="x\\\\y"} NaN 17\nh -Inf\n')
    assert parsed[0].labels == {"a": "x\\y"} and math.isnan(parsed[0].value) and parsed[0].timestamp == 17
    assert parsed[1].value == -math.inf and parsed[1].type == "untyped"
    with pytest.raises(libdbx.BadResponse) as ei:
        sv.parse_metrics("a 1\nb{x=\"1} 2\n")
    assert "line 2" in str(ei.value)


def test_query_batch_and_bool(emu, client):
    register(client, "fraud", MODEL_A)
    make_ep(client, "bt", {"served_entities": [{"entity_name": "fraud", "entity_version": "1"}]})
    rows = [[(i % 100) / 25.0 - 2.0, i % 24] for i in range(3000)]
    emu.ctl("DELETE", "/__emulator/requests")
    r = client.serving.query_batch("bt", rows, ["amount", "hour"], max_rows_per_request=700,
                                   client_request_id="b-1")
    reqs = emu.requests("/serving-endpoints/bt/invocations")
    assert len(reqs) == 5 and all(q["json"]["client_request_id"] == "b-1" for q in reqs)
    assert len(r) == 3000
    for i in (0, 1, 699, 700, 2999):
        assert r.predictions[i] == pytest.approx(a_score(*rows[i]), abs=1e-12)
    one = client.serving.query("bt", dataframe_split={"columns": ["amount", "hour"], "data": [rows[1234]]})
    assert one.predictions[0] == r.predictions[1234]
    with pytest.raises(libdbx.InvalidArgument) as ei:
        client.serving.query_batch("bt", [{"amount": 1, "hour": 2, "n": "x" * 5000}], max_bytes_per_request=4096)
    assert "input row 0" in str(ei.value)

    register(client, "lab", MODEL_L)
    make_ep(client, "lb", {"served_entities": [{"entity_name": "lab", "entity_version": "1"}]})
    r = client.serving.query("lb", dataframe_split={"columns": ["amount", "hour"], "data": [[2.5, 13], [-1, 2]]})
    assert r.predictions == [1, 0]
    assert (r.as_bool(0), r.as_bool(1), r.as_bool(5, "n/a")) == (True, False, "n/a")
    emu.fault(path="/serving-endpoints/lb/invocations", action="status", status=200,
              body={"predictions": [True, False, "x"]})
    r = client.serving.query("lb", dataframe_split=ROW)
    assert (r.as_bool(0), r.as_bool(1), r.as_bool(2)) == (True, False, None)
