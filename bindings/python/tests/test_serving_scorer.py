"""client.serving.scorer against the emulator: many queries in flight, as_completed, score_many
in input order, cancel, timeouts, model errors, closing with queries pending, bad arguments.
Assertions are on counts (request log, stats), never on elapsed time."""

import base64
import json
import math

import pytest

import libdbx
from libdbx import serving_scorer as ss

INV = "/serving-endpoints/sc-ep/invocations"
MODEL = {"flavor": "logistic", "features": ["amount", "hour"], "intercept": -3.2,
         "coefficients": [0.8, 0.1], "categorical": {"channel": {"web": 0.7, "pos": -0.2}}}
MLMODEL = "artifact_path: model\nflavors:\n  python_function:\n    loader_module: x\n"
COLS = ["amount", "hour", "channel"]


def expected(amount, hour, channel):
    z = -3.2 + 0.8 * amount + 0.1 * hour + {"web": 0.7, "pos": -0.2}.get(channel, 0.0)
    return 1 / (1 + math.exp(-z))


@pytest.fixture
def ep(emu, client):
    client.request("POST", "/api/2.0/mlflow/registered-models/create", {"name": "fraud"})
    for fname, data in (("MLmodel", MLMODEL), ("model.json", json.dumps(MODEL))):
        client.request("POST", "/api/2.0/dbfs/put", {"path": "/models/fraud/s1/" + fname, "overwrite": True,
                                                     "contents": base64.b64encode(data.encode()).decode()})
    client.request("POST", "/api/2.0/mlflow/model-versions/create",
                   {"name": "fraud", "source": "dbfs:/models/fraud/s1"})
    client.serving.create("sc-ep", entities=[{"entity_name": "fraud", "entity_version": "1"}])
    client.serving.wait_ready("sc-ep")
    emu.ctl("DELETE", "/__emulator/requests")
    return "sc-ep"


def rows(n):
    return [[i / 4.0 - 2.0, i % 24, "web" if i % 3 else "pos"] for i in range(n)]


def test_many_in_flight_and_as_completed(emu, client, ep):
    emu.config(serving_model_latency_ms=150)
    data = rows(40)
    with client.serving.scorer(ep, max_in_flight=8) as s:
        ids = {}
        for i, r in enumerate(data):
            qid = s.submit(dataframe_split={"columns": COLS, "data": [r]}, user=("row", i))
            ids[qid] = i
        assert sorted(ids) == list(range(1, 41))
        assert s.pending == 40 and s.queued == 40
        got = {}
        for d in s.as_completed():
            assert isinstance(d, ss.Completion) and d.ok and d.error is None
            assert d.user == ("row", ids[d.id])
            got[ids[d.id]] = d.predictions[0]
            assert d.result.served_model_name == "fraud-1"
        assert s.pending == 0 and s.in_flight == 0
        for i, r in enumerate(data):
            assert got[i] == pytest.approx(expected(*r), abs=1e-12)
        st = s.stats()
        assert (st.submitted, st.succeeded, st.failed, st.retried) == (40, 40, 0, 0)
        assert 2 <= st.connections <= 8          # overlap, on at most max_in_flight connections
        assert st.latency_p99_ms >= st.latency_p50_ms >= 150
    reqs = emu.requests(INV)
    assert len(reqs) == 40
    assert all(r["method"] == "POST" and r["headers"]["authorization"].startswith("Bearer ") for r in reqs)
    assert sorted(r["json"]["dataframe_split"]["data"][0][1] for r in reqs) == sorted(r[1] for r in data)


def test_score_many_in_input_order_matches_query(emu, client, ep):
    data = rows(12)
    want = client.serving.predict(ep, data, columns=COLS)
    with client.serving.scorer(ep, max_in_flight=4, http1=True) as s:
        got = s.score_many(data, columns=COLS)
        assert got == want
        recs = [dict(zip(COLS, r)) for r in data]
        assert s.score_many(recs, format="dataframe_records") == want
        assert s.stats().submitted == 24
    assert len(emu.requests(INV)) == 1 + 24  # predict: one query of 12 rows; the scorer: one per row


def test_raw_body_model_error_and_retry(emu, client, ep):
    emu.fault(method="POST", path=INV, action="status", status=429, headers={"Retry-After": "0"},
              body={"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow down"})
    s = client.serving.scorer(ep)
    try:
        a = s.submit('{"inputs": {"amount": [2.5], "hour": [13], "channel": ["web"]}}')
        b = s.submit({"dataframe_records": [{"amount": 1}]}, user="bad")
        out = {d.id: d for d in s.drain()}
        assert out[a].ok and out[a].predictions[0] == pytest.approx(expected(2.5, 13, "web"))
        e = out[b].error
        assert isinstance(e, libdbx.BadRequest) and e.http_status == 400 and e.error_code == "BAD_REQUEST"
        assert "Model is missing inputs" in e.message and out[b].user == "bad"
        with pytest.raises(libdbx.BadRequest):
            out[b].unwrap()
        assert s.stats().retried == 1
        assert len(emu.requests(INV)) == 3
        # score_many raises the first failure
        with pytest.raises(libdbx.BadRequest):
            s.score_many([{"amount": 1.0}])
    finally:
        s.close()
    s.close()  # idempotent


def test_timeout_cancel_and_close_pending(emu, client, ep):
    emu.fault(method="POST", path=INV, action="delay", delay_ms=3000, times=1)
    with client.serving.scorer(ep, max_in_flight=4, timeout=1.0) as s:
        ids = [s.submit(inputs={"amount": [1.0], "hour": [1], "channel": ["web"]}) for _ in range(3)]
        res = s.drain()
        errs = [d.error for d in res if not d.ok]
        assert len(res) == 3 and len(errs) == 1 and isinstance(errs[0], libdbx.Timeout)
        assert "deadline" in errs[0].message
        assert sorted(d.id for d in res) == ids
        assert s.stats().timed_out == 1
    emu.config(serving_model_latency_ms=300)
    with client.serving.scorer(ep, max_in_flight=1) as s:
        q = [s.submit(inputs={"amount": [1.0], "hour": [1], "channel": ["web"]}) for _ in range(3)]
        assert s.next(0) is None            # drives I/O: the first goes out
        assert s.in_flight == 1 and s.queued == 2
        assert s.cancel(q[2]) and s.cancel(q[0])
        assert not s.cancel(q[0]) and not s.cancel(999)
        res = {d.id: d for d in s.drain()}
        assert isinstance(res[q[0]].error, libdbx.Cancelled) and isinstance(res[q[2]].error, libdbx.Cancelled)
        assert res[q[1]].ok
        assert s.stats().cancelled == 2
    s = client.serving.scorer(ep, max_in_flight=2)
    for _ in range(4):
        s.submit(inputs={"amount": [1.0], "hour": [1], "channel": ["web"]})
    s.next(0)
    with pytest.raises(libdbx.Timeout):
        list(s.as_completed(timeout=0.01))
    s.close()                               # cancels what is pending
    with pytest.raises(libdbx.InvalidArgument, match="closed"):
        s.submit("{}")


def test_bad_arguments(emu, client, ep):
    with pytest.raises(libdbx.InvalidArgument, match="max_in_flight"):
        client.serving.scorer(ep, max_in_flight=5000)
    with pytest.raises(libdbx.InvalidArgument, match="name is required"):
        client.serving.scorer("")
    with pytest.raises(libdbx.InvalidArgument, match="timeout"):
        client.serving.scorer(ep, timeout=0)
    with client.serving.scorer(ep) as s:
        with pytest.raises(libdbx.InvalidArgument, match="body must be a JSON object"):
            s.submit("[1]")
        with pytest.raises(libdbx.InvalidArgument, match="exactly one"):
            s.submit()
        with pytest.raises(libdbx.InvalidArgument, match="format"):
            s.score_many([[1]], columns=["x"], format="csv")
        assert s.pending == 0
    # nothing sent (an earlier test's abandoned queries may still reach the log: other bodies)
    assert not [r for r in emu.requests(INV) if r["json"] == [1] or r["json"] == {}]


def test_client_closed_under_the_scorer(emu, ep):
    c = libdbx.Client(host=emu.base, token="dapi-emulator-token", no_env=True, no_config_file=True)
    s = c.serving.scorer(ep)
    s.submit(inputs={"amount": [1.0], "hour": [1], "channel": ["web"]})
    c.close()
    with pytest.raises(libdbx.InvalidArgument, match="client is closed"):
        s.next(0)
    s.close()  # no use of the freed client
    assert s.in_flight == 0
