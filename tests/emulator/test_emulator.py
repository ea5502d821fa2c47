"""Tests for the dbx-emulator (docs/emulator.md).

Run: /usr/bin/python3 -m pytest tests/emulator -q
The emulator runs as a subprocess (with --ready-file and --exit-on-stdin-eof); all state
changes use the virtual clock, so nothing here sleeps for cluster transitions.
"""

import base64
import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
import zlib

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCHER = os.path.join(HERE, "dbx-emulator")
TOKEN = "dapi-emulator-token"
AZ_RESOURCE = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"
SPEC = {"cluster_name": "c1", "spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge",
        "num_workers": 2}


def start_emulator(tmp_dir, *extra):
    ready = os.path.join(str(tmp_dir), "ready-%d.json" % time.monotonic_ns())
    python = os.environ.get("DBX_EMULATOR_PYTHON", sys.executable)  # to try other interpreters
    proc = subprocess.Popen(
        [python, LAUNCHER, "--quiet", "--exit-on-stdin-eof", "--ready-file", ready,
         *extra],
        stdin=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while not os.path.exists(ready):
        if proc.poll() is not None:
            raise RuntimeError("emulator exited with %s" % proc.returncode)
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("emulator did not become ready")
        time.sleep(0.02)
    with open(ready) as f:
        info = json.loads(f.read())
    return proc, info


def stop_emulator(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdin:
        proc.stdin.close()


class Emu:
    def __init__(self, info):
        self.info = info
        self.port = info["http_port"]

    def conn(self, server="main", timeout=10):
        if server == "tls":
            ctx = ssl.create_default_context(cafile=self.info["ca_file"])
            return http.client.HTTPSConnection("127.0.0.1", self.info["tls_port"], context=ctx,
                                               timeout=timeout)
        if server == "other":
            return http.client.HTTPConnection("127.0.0.2", self.info["other_port"],
                                              timeout=timeout)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def raw(self, method, path, body=None, token=TOKEN, headers=None, server="main", conn=None):
        """Returns (status, headers with lower-case names, body bytes)."""
        hdrs = {"Accept": "application/json"}
        if token:
            hdrs["Authorization"] = "Bearer " + token
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        own = conn is None
        c = conn or self.conn(server)
        try:
            c.request(method, path, body=body, headers=hdrs)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            if own:
                c.close()

    def call(self, method, path, body=None, **kw):
        status, headers, data = self.raw(method, path, body, **kw)
        return status, (json.loads(data) if data else None)

    def api(self, method, op, body=None, query=None, **kw):
        path = "/api/2.1/clusters/" + op
        if query:
            path += "?" + urllib.parse.urlencode(query, doseq=True)
        return self.call(method, path, body, **kw)

    def ctl(self, method, what, body=None):
        status, data = self.call(method, "/__emulator/" + what, body, token=None)
        assert status == 200, (status, data)
        return data

    def advance(self, ms):
        return self.ctl("POST", "clock", {"advance_ms": ms})["now_ms"]

    def cluster(self, cid):
        status, body = self.api("GET", "get", query={"cluster_id": cid})
        assert status == 200, body
        return body

    def requests(self):
        return self.ctl("GET", "requests")["requests"]


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    proc, info = start_emulator(tmp_path_factory.mktemp("emu"), "--tls")
    try:
        yield Emu(info)
    finally:
        stop_emulator(proc)


@pytest.fixture(autouse=True)
def _reset(emu):
    emu.ctl("POST", "reset")
    yield


def assert_error(status, body, want_status, code, msg_part=None):
    assert status == want_status, body
    assert body["error_code"] == code, body
    if msg_part:
        assert msg_part in body["message"], body
    assert body["details"][0]["@type"] == "type.googleapis.com/google.rpc.RequestInfo"


# ---- basics -------------------------------------------------------------------------------------
def test_health_and_ready_file(emu):
    assert emu.ctl("GET", "health") == {"ok": True}
    info = emu.info
    assert set(info) == {"http_port", "tls_port", "other_port", "ca_file", "pid"}
    assert os.path.isfile(info["ca_file"])


def test_pat_auth(emu):
    status, headers, data = emu.raw("GET", "/api/2.1/clusters/list", token=None)
    body = json.loads(data)
    assert_error(status, body, 401, "UNAUTHENTICATED")
    assert headers["x-request-id"] == body["details"][0]["request_id"]
    status, body = emu.api("GET", "list", token="dapi-wrong")
    assert_error(status, body, 401, "UNAUTHENTICATED")
    status, body = emu.api("GET", "list", headers={"Authorization": "Basic Zm9vOmJhcg=="},
                           token=None)
    assert status == 401
    status, body = emu.api("GET", "list")
    assert status == 200 and body == {}
    # no auth on control / oidc / aad paths
    assert emu.call("GET", "/oidc/.well-known/oauth-authorization-server", token=None)[0] == 200


def test_routing_errors(emu):
    status, body = emu.call("GET", "/api/2.1/clusters/nope")
    assert_error(status, body, 404, "ENDPOINT_NOT_FOUND")
    status, headers, data = emu.raw("POST", "/api/2.1/clusters/get", body={})
    assert status == 405 and "GET" in headers["allow"]
    status, body = emu.call("POST", "/api/2.1/clusters/create", body="{not json",
                            headers={"Content-Type": "application/json"})
    assert_error(status, body, 400, "MALFORMED_REQUEST")
    status, body = emu.call("POST", "/api/2.0/clusters/create", body=[1])
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE")
    status, body = emu.call("POST", "/api/2.0/clusters/create", body={"num_workers": 1})
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE", "spark_version")
    status, body = emu.call("POST", "/api/2.0/clusters/create",
                            body=dict(SPEC, autoscale={"min_workers": 1, "max_workers": 2}))
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE")
    status, body = emu.call("GET", "/api/2.0/clusters/spark-versions")
    assert status == 200 and len(body["versions"]) >= 4
    status, body = emu.call("GET", "/api/2.0/clusters/list-node-types")
    nodes = {n["node_type_id"]: n for n in body["node_types"]}
    assert len(nodes) >= 4
    assert nodes["i3.xlarge"]["memory_mb"] == 31232 and nodes["i3.xlarge"]["num_cores"] == 4
    assert nodes["Standard_DS3_v2"]["memory_mb"] == 14336


def test_keep_alive_and_get_with_body(emu):
    c = emu.conn()
    try:
        t0 = time.monotonic()
        for _ in range(100):
            status, _, _ = emu.raw("GET", "/api/2.1/clusters/spark-versions", conn=c)
            assert status == 200
        # 100 kept-alive requests: no Nagle/delayed-ACK stalls (~40 ms each)
        assert time.monotonic() - t0 < 2.0
        status, body = emu.call("POST", "/api/2.1/clusters/create", SPEC, conn=c)
        cid = body["cluster_id"]
        # GET with a JSON body on the same connection
        status, _, data = emu.raw("GET", "/api/2.1/clusters/get?cluster_id=" + cid,
                                  body=json.dumps({"x": 1}), conn=c)
        assert status == 200 and json.loads(data)["cluster_id"] == cid
        status, _, _ = emu.raw("GET", "/__emulator/health", conn=c)
        assert status == 200
    finally:
        c.close()


# ---- clusters -----------------------------------------------------------------------------------
def test_cluster_lifecycle(emu):
    status, body = emu.api("POST", "create", SPEC)
    assert status == 200
    cid = body["cluster_id"]
    assert re.fullmatch(r"\d{4}-\d{6}-[a-z0-9]{8}", cid)
    c = emu.cluster(cid)
    assert c["state"] == "PENDING" and c["state_message"] == "Starting cluster"
    assert c["spark_version"] == SPEC["spark_version"] and c["num_workers"] == 2
    assert c["spec"]["cluster_name"] == "c1"
    assert "driver" not in c

    emu.advance(500)  # (real time passes too, so stay well below 1000 ms)
    assert emu.cluster(cid)["state"] == "PENDING"
    emu.advance(500)
    c = emu.cluster(cid)
    assert c["state"] == "RUNNING"
    assert c["start_time"] > 0 and "node_id" in c["driver"] and "spark_context_id" in c

    # resize
    status, body = emu.api("POST", "resize", {"cluster_id": cid})
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE")
    status, body = emu.api("POST", "resize", {"cluster_id": cid, "num_workers": 3,
                                              "autoscale": {"min_workers": 1, "max_workers": 2}})
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE")
    assert emu.api("POST", "resize", {"cluster_id": cid, "num_workers": 4}) == (200, {})
    assert emu.cluster(cid)["state"] == "RESIZING"
    status, body = emu.api("POST", "resize", {"cluster_id": cid, "num_workers": 5})
    assert_error(status, body, 400, "INVALID_STATE", "unexpected state RESIZING")
    emu.advance(500)
    c = emu.cluster(cid)
    assert c["state"] == "RUNNING" and c["num_workers"] == 4

    # restart
    assert emu.api("POST", "restart", {"cluster_id": cid}) == (200, {})
    assert emu.cluster(cid)["state"] == "RESTARTING"
    status, body = emu.api("POST", "edit", dict(SPEC, cluster_id=cid))
    assert_error(status, body, 400, "INVALID_STATE",
                 "Cluster %s is in unexpected state RESTARTING." % cid)
    emu.advance(1000)
    assert emu.cluster(cid)["state"] == "RUNNING"

    # edit while running -> restarts with the new spec
    new_spec = dict(SPEC, cluster_name="c1-edited", num_workers=1, cluster_id=cid)
    assert emu.api("POST", "edit", new_spec) == (200, {})
    c = emu.cluster(cid)
    assert c["state"] == "RESTARTING" and c["cluster_name"] == "c1-edited"
    emu.advance(1000)
    c = emu.cluster(cid)
    assert c["state"] == "RUNNING" and c["num_workers"] == 1

    # delete
    assert emu.api("POST", "delete", {"cluster_id": cid}) == (200, {})
    assert emu.cluster(cid)["state"] == "TERMINATING"
    emu.advance(500)
    c = emu.cluster(cid)
    assert c["state"] == "TERMINATED"
    assert c["termination_reason"]["code"] == "USER_REQUEST"
    assert c["termination_reason"]["type"] == "SUCCESS"
    assert "username" in c["termination_reason"]["parameters"]
    assert c["terminated_time"] >= c["start_time"]
    assert emu.api("POST", "delete", {"cluster_id": cid}) == (200, {})
    status, body = emu.api("POST", "restart", {"cluster_id": cid})
    assert_error(status, body, 400, "INVALID_STATE", "TERMINATED")
    status, body = emu.api("POST", "resize", {"cluster_id": cid, "num_workers": 1})
    assert_error(status, body, 400, "INVALID_STATE")

    # edit while terminated: spec replaced, stays terminated
    assert emu.api("POST", "edit", dict(new_spec, num_workers=3)) == (200, {})
    c = emu.cluster(cid)
    assert c["state"] == "TERMINATED" and c["num_workers"] == 3

    # start
    assert emu.api("POST", "start", {"cluster_id": cid}) == (200, {})
    c = emu.cluster(cid)
    assert c["state"] == "PENDING" and "termination_reason" not in c
    assert emu.api("POST", "start", {"cluster_id": cid}) == (200, {})
    emu.advance(1000)
    assert emu.cluster(cid)["state"] == "RUNNING"

    status, body = emu.api("POST", "events", {"cluster_id": cid, "order": "ASC"})
    types = [e["type"] for e in body["events"]]
    assert types == ["CREATING", "RUNNING", "RESIZING", "UPSIZE_COMPLETED", "RESTARTING",
                     "RUNNING", "EDITED", "RUNNING", "TERMINATING", "EDITED", "STARTING",
                     "RUNNING"]
    ts = [e["timestamp"] for e in body["events"]]
    assert ts == sorted(ts)
    assert all(e["cluster_id"] == cid and isinstance(e["details"], dict) for e in body["events"])

    # permanent delete
    assert emu.api("POST", "permanent-delete", {"cluster_id": cid}) == (200, {})
    status, body = emu.api("GET", "get", query={"cluster_id": cid})
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE", "Cluster %s does not exist" % cid)
    status, body = emu.api("GET", "get")
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE")
    # 2.0 prefix serves the same store
    status, body = emu.call("GET", "/api/2.0/clusters/get?cluster_id=" + cid)
    assert status == 400


def test_start_failure_and_forced_state(emu):
    emu.ctl("POST", "config", {"start_fails_with": "CLOUD_PROVIDER_LAUNCH_FAILURE"})
    cid = emu.api("POST", "create", SPEC)[1]["cluster_id"]
    emu.advance(1000)
    c = emu.cluster(cid)
    assert c["state"] == "TERMINATED"
    assert c["termination_reason"]["code"] == "CLOUD_PROVIDER_LAUNCH_FAILURE"
    assert c["termination_reason"]["type"] == "CLOUD_FAILURE"
    emu.ctl("POST", "config", {"start_fails_with": None})
    emu.ctl("POST", "clusters/%s/state" % cid,
            {"state": "ERROR", "state_message": "boom",
             "termination_reason": {"code": "DRIVER_UNREACHABLE", "type": "SERVICE_FAULT"}})
    c = emu.cluster(cid)
    assert c["state"] == "ERROR" and c["state_message"] == "boom"
    assert c["termination_reason"]["code"] == "DRIVER_UNREACHABLE"
    status, body = emu.call("POST", "/__emulator/clusters/nope/state", {"state": "ERROR"},
                            token=None)
    assert status == 400
    status, body = emu.call("POST", "/__emulator/config", {"no_such_key": 1}, token=None)
    assert status == 400


def test_list_paging(emu):
    emu.ctl("POST", "config", {"page_size_clusters": 2})
    ids = [emu.api("POST", "create", dict(SPEC, cluster_name="c%d" % i))[1]["cluster_id"]
           for i in range(5)]
    emu.advance(1000)
    emu.api("POST", "delete", {"cluster_id": ids[1]})
    seen, token, pages = [], None, 0
    while True:
        q = {"page_size": 10}
        if token:
            q["page_token"] = token
        status, body = emu.api("GET", "list", query=q)
        assert status == 200
        pages += 1
        assert len(body["clusters"]) <= 2
        if pages > 1:
            assert body["prev_page_token"]
        else:
            assert "prev_page_token" not in body
        seen += [c["cluster_id"] for c in body["clusters"]]
        token = body.get("next_page_token")
        if not token:
            break
    assert pages == 3 and seen == ids  # creation order
    status, body = emu.api("GET", "list", query={"filter_by.cluster_states": ["TERMINATING",
                                                                               "PENDING"]})
    assert [c["cluster_id"] for c in body["clusters"]] == [ids[1]]
    status, body = emu.api("GET", "list", query={"filter_by.cluster_states": "RUNNING",
                                                 "page_size": 1})
    assert len(body["clusters"]) == 1 and body["next_page_token"]
    status, body = emu.api("GET", "list", query={"page_token": "garbage!"})
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE")


def test_events_paging(emu):
    emu.ctl("POST", "config", {"page_size_events": 3})
    cid = emu.api("POST", "create", SPEC)[1]["cluster_id"]
    emu.advance(1000)
    for _ in range(3):
        emu.api("POST", "restart", {"cluster_id": cid})
        emu.advance(1000)
    # CREATING RUNNING + 3 x (RESTARTING RUNNING) = 8 events
    got, token, pages = [], None, 0
    while True:
        req = {"cluster_id": cid, "page_size": 100}
        if token:
            req["page_token"] = token
        status, body = emu.api("POST", "events", req)
        assert status == 200 and body["total_count"] == 8
        assert len(body["events"]) <= 3
        got += body["events"]
        pages += 1
        token = body.get("next_page_token")
        if not token:
            break
    assert pages == 3 and len(got) == 8
    assert got[0]["type"] == "RUNNING" and got[-1]["type"] == "CREATING"  # DESC default
    status, body = emu.api("POST", "events", {"cluster_id": cid, "order": "ASC",
                                              "event_types": ["RESTARTING"]})
    assert body["total_count"] == 3 and [e["type"] for e in body["events"]] == ["RESTARTING"] * 3
    assert "next_page_token" not in body
    status, body = emu.api("POST", "events", {"cluster_id": cid, "order": "ASC",
                                              "offset": 6, "limit": 3})
    assert [e["type"] for e in body["events"]] == ["RESTARTING", "RUNNING"]
    first = got[-1]["timestamp"]
    status, body = emu.api("POST", "events", {"cluster_id": cid, "start_time": first + 1,
                                              "end_time": first + 1000, "order": "ASC"})
    # RUNNING is due exactly 1000 ms after CREATING (a RESTARTING may share its ms)
    assert [e["type"] for e in body["events"]][0] == "RUNNING"
    assert all(first < e["timestamp"] <= first + 1000 for e in body["events"])
    status, body = emu.api("POST", "events", {"cluster_id": cid, "end_time": str(first)})
    assert [e["type"] for e in body["events"]] == ["CREATING"]
    status, body = emu.api("POST", "events", {"cluster_id": cid, "page_token": "bad"})
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE")


def _running(emu, spec=SPEC):
    cid = emu.api("POST", "create", spec)[1]["cluster_id"]
    emu.advance(1000)
    assert emu.cluster(cid)["state"] == "RUNNING"
    return cid


def _event_types(emu, cid):
    return [e["type"] for e in emu.api("POST", "events", {"cluster_id": cid,
                                                          "order": "ASC"})[1]["events"]]


def test_autoscale_needs_max_above_min(emu):
    status, body = emu.api("POST", "create", {"spark_version": SPEC["spark_version"],
                                              "autoscale": {"min_workers": 2, "max_workers": 2}})
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE", "max_workers")
    status, body = emu.api("POST", "create", {"spark_version": SPEC["spark_version"],
                                              "autoscale": {"min_workers": 2, "max_workers": 3}})
    assert status == 200


def test_pin_unpin(emu):
    cid = emu.api("POST", "create", SPEC)[1]["cluster_id"]
    other = emu.api("POST", "create", dict(SPEC, cluster_name="c2"))[1]["cluster_id"]
    assert "pinned_by_user_name" not in emu.cluster(cid)
    assert emu.api("POST", "pin", {"cluster_id": cid}) == (200, {})
    assert emu.call("POST", "/api/2.0/clusters/pin", {"cluster_id": cid}) == (200, {})  # no-op
    assert emu.cluster(cid)["pinned_by_user_name"] == "emulator-user@example.com"
    ids = lambda q: [c["cluster_id"] for c in emu.api("GET", "list", query=q)[1].get(
        "clusters", [])]
    assert ids({"filter_by.is_pinned": "true"}) == [cid]
    assert ids({"filter_by.is_pinned": "false"}) == [other]
    assert emu.api("POST", "unpin", {"cluster_id": cid}) == (200, {})
    assert emu.api("POST", "unpin", {"cluster_id": cid}) == (200, {})  # no-op
    assert "pinned_by_user_name" not in emu.cluster(cid)
    assert ids({"filter_by.is_pinned": "true"}) == []
    assert _event_types(emu, cid) == ["CREATING", "PINNED", "UNPINNED"]
    for op in ("pin", "unpin"):
        status, body = emu.api("POST", op, {"cluster_id": "nope"})
        assert_error(status, body, 400, "INVALID_PARAMETER_VALUE", "Cluster nope does not exist")
        status, body = emu.call("POST", "/api/2.0/clusters/" + op, {})
        assert_error(status, body, 400, "INVALID_PARAMETER_VALUE", "cluster_id")


def test_update_with_masks(emu):
    cid = _running(emu, dict(SPEC, spark_conf={"a": "1"}, custom_tags={"t": "x"}))
    upd = lambda mask, cluster=None, **kw: emu.api("POST", "update", dict(
        {"cluster_id": cid, "update_mask": mask}, **({"cluster": cluster} if cluster is not None
                                                     else {}), **kw))
    # only the masked fields change; a masked field absent from `cluster` is removed
    assert upd("num_workers,spark_conf,custom_tags",
               {"num_workers": 5, "spark_conf": {"b": "2"}, "cluster_name": "ignored"}) == (200, {})
    c = emu.cluster(cid)
    assert c["state"] == "RESTARTING"
    assert c["num_workers"] == 5 and c["spark_conf"] == {"b": "2"} and "custom_tags" not in c
    assert c["cluster_name"] == "c1" and c["spec"]["num_workers"] == 5
    assert "custom_tags" not in c["spec"]
    # only RUNNING / TERMINATED may be updated
    status, body = upd("num_workers", {"num_workers": 1})
    assert_error(status, body, 400, "INVALID_STATE", "unexpected state RESTARTING")
    emu.advance(1000)
    assert emu.cluster(cid)["state"] == "RUNNING"
    # validated like edit: num_workers and autoscale both present after the update
    status, body = upd("autoscale", {"autoscale": {"min_workers": 1, "max_workers": 3}})
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE")
    # switch to autoscale: mask both, give only autoscale; then a sub-field path
    assert upd("num_workers,autoscale", {"autoscale": {"min_workers": 1, "max_workers": 3}})[0] == 200
    emu.advance(1000)
    assert upd("autoscale.max_workers", {"autoscale": {"max_workers": 6, "min_workers": 0}})[0] \
        == 200
    c = emu.cluster(cid)
    assert "num_workers" not in c and c["autoscale"] == {"min_workers": 1, "max_workers": 6}
    emu.advance(1000)
    # "*" replaces the whole spec
    assert upd("*", {"spark_version": "14.3.x-scala2.12", "num_workers": 1})[0] == 200
    c = emu.cluster(cid)
    assert c["spark_version"] == "14.3.x-scala2.12" and c["num_workers"] == 1
    assert "cluster_name" not in c["spec"] and "autoscale" not in c and "spark_conf" not in c
    emu.advance(1000)
    # bad requests
    status, body = upd("*", {"num_workers": 1})
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE", "spark_version")
    status, body = upd("spark_version")  # removing a required field
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE", "spark_version")
    status, body = emu.api("POST", "update", {"cluster_id": cid, "cluster": {"num_workers": 2}})
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE", "update_mask")
    status, body = emu.api("POST", "update", {"update_mask": "num_workers",
                                              "cluster": {"num_workers": 2}})
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE", "cluster_id")
    for mask in ("num_workers, spark_version", "cluster_id", "state", "spark_conf.a", "a..b",
                 "*,num_workers"):
        status, body = upd(mask, {"num_workers": 2})
        assert_error(status, body, 400, "INVALID_PARAMETER_VALUE")
    status, body = upd("num_workers", [1])
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE")
    status, body = emu.api("POST", "update", {"cluster_id": "nope", "update_mask": "num_workers",
                                              "cluster": {"num_workers": 2}})
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE", "Cluster nope does not exist")
    assert emu.cluster(cid)["num_workers"] == 1  # nothing above changed it
    # TERMINATED: updated, stays terminated; 2.0 prefix too
    emu.api("POST", "delete", {"cluster_id": cid})
    emu.advance(500)
    assert emu.call("POST", "/api/2.0/clusters/update", {
        "cluster_id": cid, "update_mask": "num_workers", "cluster": {"num_workers": 4}})[0] == 200
    c = emu.cluster(cid)
    assert c["state"] == "TERMINATED" and c["num_workers"] == 4
    assert _event_types(emu, cid).count("EDITED") == 5


def test_list_filters_and_sort(emu):
    emu.ctl("POST", "config", {"page_size_clusters": 2})
    names = ["delta", "alpha", "Echo", "charlie", "bravo"]
    ids = [emu.api("POST", "create", dict(SPEC, cluster_name=n))[1]["cluster_id"] for n in names]
    by_name = dict(zip(names, ids))
    emu.api("POST", "pin", {"cluster_id": by_name["alpha"]})
    emu.api("POST", "pin", {"cluster_id": by_name["charlie"]})

    def listed(**q):
        seen, token = [], None
        while True:
            query = dict(q, **({"page_token": token} if token else {}))
            status, body = emu.api("GET", "list", query=query)
            assert status == 200, body
            assert len(body.get("clusters", [])) <= 2
            seen += [c["cluster_name"] for c in body.get("clusters", [])]
            token = body.get("next_page_token")
            if not token:
                return seen

    assert listed() == names  # DEFAULT: creation order
    assert listed(**{"sort_by.field": "DEFAULT"}) == names
    assert listed(**{"sort_by.direction": "DESC"}) == names[::-1]
    assert listed(**{"sort_by.field": "CLUSTER_NAME"}) == sorted(names)
    assert listed(**{"sort_by.field": "CLUSTER_NAME", "sort_by.direction": "ASC"}) == sorted(names)
    assert listed(**{"sort_by.field": "CLUSTER_NAME", "sort_by.direction": "DESC"}) == \
        sorted(names, reverse=True)
    assert listed(**{"sort_by.field": "CLUSTER_NAME", "filter_by.is_pinned": "true"}) == \
        ["alpha", "charlie"]
    assert listed(**{"sort_by.field": "CLUSTER_NAME", "sort_by.direction": "DESC",
                     "filter_by.is_pinned": "false"}) == ["delta", "bravo", "Echo"]
    assert listed(**{"filter_by.cluster_sources": ["UI", "API"]}) == names  # create sets API
    assert listed(**{"filter_by.cluster_sources": "JOB"}) == []
    assert listed(**{"filter_by.cluster_sources": "UI,JOB"}) == []
    # GET with the filters in a JSON body (some clients send it so)
    status, _, data = emu.raw("GET", "/api/2.1/clusters/list", body=json.dumps(
        {"filter_by": {"is_pinned": True}, "sort_by": {"field": "CLUSTER_NAME",
                                                      "direction": "DESC"}}))
    assert [c["cluster_name"] for c in json.loads(data)["clusters"]] == ["charlie", "alpha"]
    for q in ({"sort_by.field": "NAME"}, {"sort_by.direction": "UP"},
              {"filter_by.cluster_sources": "BOGUS"}, {"filter_by.is_pinned": "maybe"},
              {"filter_by.cluster_states": "RUNNING,NOPE"}):
        status, body = emu.api("GET", "list", query=q)
        assert_error(status, body, 400, "INVALID_PARAMETER_VALUE")


# ---- OAuth / Azure --------------------------------------------------------------------------------
def _form(d):
    return urllib.parse.urlencode(d)


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_host_metadata(emu):
    path = "/.well-known/databricks-config"
    status, body = emu.call("GET", path, token=None)  # no auth needed
    base = "http://127.0.0.1:%d" % emu.port
    assert status == 200
    assert body == {"oidc_endpoint": base + "/oidc", "workspace_id": "1234567890123456",
                    "account_id": "11111111-2222-4333-8444-555555555555", "cloud": "aws",
                    "host_type": "WORKSPACE_HOST",
                    "token_federation_default_oidc_audiences": [base + "/oidc/v1/token"]}
    # the advertised OIDC endpoint serves the discovery document
    oidc = urllib.parse.urlsplit(body["oidc_endpoint"]).path
    assert emu.call("GET", oidc + "/.well-known/oauth-authorization-server", token=None)[0] == 200
    emu.ctl("POST", "config", {"workspace_id": None, "cloud": "GCP", "host_type": "workspace",
                               "account_id": "acc-1"})
    status, body = emu.call("GET", path, token="dapi-wrong")  # a bad token does not matter
    assert status == 200 and "workspace_id" not in body
    assert (body["cloud"], body["host_type"], body["account_id"]) == ("GCP", "workspace", "acc-1")
    status, body = emu.call("POST", "/__emulator/config", {"cloud": 5}, token=None)
    assert status == 400
    c = emu.conn("tls")
    try:
        status, _, data = emu.raw("GET", path, conn=c, token=None)
        assert json.loads(data)["oidc_endpoint"] == "https://127.0.0.1:%d/oidc" % \
            emu.info["tls_port"]
    finally:
        c.close()
    # logged like any request, and faults match it
    emu.ctl("POST", "faults", {"path": path, "action": "status", "status": 404})
    status, body = emu.call("GET", path, token=None)
    assert_error(status, body, 404, "NOT_FOUND")
    log = [e for e in emu.requests() if e["path"] == path]
    assert [e["status"] for e in log] == [200, 200, 200, 404]
    assert log[-1]["fault"] is not None and log[0]["fault"] is None


def test_oauth_m2m(emu):
    status, body = emu.call("GET", "/oidc/.well-known/oauth-authorization-server", token=None)
    base = "http://127.0.0.1:%d" % emu.port
    assert body == {"issuer": base + "/oidc", "authorization_endpoint": base + "/oidc/v1/authorize",
                    "token_endpoint": base + "/oidc/v1/token"}
    emu.ctl("POST", "config", {"oauth_token_ttl_s": 60})
    basic = lambda i, s: {"Authorization": "Basic " + base64.b64encode(
        ("%s:%s" % (i, s)).encode()).decode(), **FORM}
    form = _form({"grant_type": "client_credentials", "scope": "all-apis"})
    status, body = emu.call("POST", "/oidc/v1/token", form, token=None,
                            headers=basic("emu-client", "wrong"))
    assert status == 401 and body["error"] == "invalid_client"
    status, body = emu.call("POST", "/oidc/v1/token", _form({"grant_type": "password",
                                                             "scope": "all-apis"}),
                            token=None, headers=basic("emu-client", "emu-secret"))
    assert status == 400 and body["error"] == "unsupported_grant_type"
    # credentials as form fields work too
    status, body = emu.call("POST", "/oidc/v1/token", _form({
        "grant_type": "client_credentials", "scope": "all-apis", "client_id": "emu-client",
        "client_secret": "emu-secret"}), token=None, headers=FORM)
    assert status == 200
    status, body = emu.call("POST", "/oidc/v1/token", form, token=None,
                            headers=basic("emu-client", "emu-secret"))
    assert status == 200
    assert body["token_type"] == "Bearer" and body["expires_in"] == 60
    assert body["scope"] == "all-apis"
    tok = body["access_token"]
    assert emu.api("GET", "list", token=tok)[0] == 200
    emu.advance(59_000)
    assert emu.api("GET", "list", token=tok)[0] == 200
    emu.advance(1_000)
    status, body = emu.api("GET", "list", token=tok)
    assert_error(status, body, 401, "UNAUTHENTICATED")


def test_azure(emu):
    status, headers, _ = emu.raw("GET", "/aad/auth", token=None)
    assert status == 302
    loc = urllib.parse.urlsplit(headers["location"])
    assert loc.path == "/emu-tenant/oauth2/authorize"
    assert "client_id=" in loc.query
    tenant = loc.path.split("/")[1]

    def tok(path, **fields):
        f = {"grant_type": "client_credentials", "client_id": "emu-client",
             "client_secret": "emu-secret"}
        f.update(fields)
        return emu.call("POST", path, _form(f), token=None, headers=FORM)

    v1 = "/%s/oauth2/token" % tenant
    status, body = tok("/nobody/oauth2/token", resource=AZ_RESOURCE)
    assert status == 400 and body["error"] == "invalid_request" and "AADSTS90002" in \
        body["error_description"]
    status, body = tok(v1, resource=AZ_RESOURCE, client_secret="bad")
    assert status == 401 and body["error"] == "invalid_client"
    status, body = tok(v1, resource="https://management.core.windows.net/")
    assert status == 400 and body["error"] == "invalid_resource"
    now_s = emu.ctl("GET", "clock")["now_ms"] // 1000
    status, body = tok(v1, resource=AZ_RESOURCE)
    assert status == 200
    assert body["expires_in"] == "3600" and body["ext_expires_in"] == "3600"
    assert body["token_type"] == "Bearer" and body["resource"] == AZ_RESOURCE
    assert abs(int(body["expires_on"]) - (now_s + 3600)) <= 2
    assert emu.api("GET", "list", token=body["access_token"])[0] == 200
    status, body = tok("/%s/oauth2/v2.0/token" % tenant, scope=AZ_RESOURCE + "/.default")
    assert status == 200 and body["access_token"]
    assert emu.api("GET", "list", token=body["access_token"])[0] == 200
    status, body = tok("/%s/oauth2/v2.0/token" % tenant, scope="other/.default")
    assert status == 400 and body["error"] == "invalid_resource"


# ---- faults -------------------------------------------------------------------------------------
GET_PATH = "/api/2.1/clusters/spark-versions"


def test_fault_status(emu):
    ids = emu.ctl("POST", "faults", {
        "method": "GET", "path": GET_PATH, "times": 2, "action": "status", "status": 429,
        "headers": {"Retry-After": "1"},
        "body": {"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow down"}})["ids"]
    assert len(ids) == 1
    for _ in range(2):
        status, headers, data = emu.raw("GET", GET_PATH)
        assert status == 429 and headers["retry-after"] == "1"
        assert json.loads(data)["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert emu.raw("GET", GET_PATH)[0] == 200
    rules = emu.ctl("GET", "faults")["rules"]
    assert rules[0]["id"] == ids[0] and rules[0]["remaining"] == 0
    # no body -> a Databricks error body; "after" lets requests through first; POST
    # method mismatch does not match
    emu.ctl("POST", "faults", {"rules": [
        {"path_prefix": "/api/2.1/clusters/", "method": "GET", "after": 1, "action": "status",
         "status": 503}]})
    assert emu.raw("GET", GET_PATH)[0] == 200
    status, data = emu.call("GET", GET_PATH)
    assert_error(status, data, 503, "TEMPORARILY_UNAVAILABLE")
    assert emu.raw("GET", GET_PATH)[0] == 200
    # faults fire before auth; control paths never match
    emu.ctl("POST", "faults", {"path_prefix": "/", "times": -1, "action": "status",
                               "status": 500})
    assert emu.raw("GET", GET_PATH, token=None)[0] == 500
    assert emu.ctl("GET", "health") == {"ok": True}
    emu.ctl("DELETE", "faults")
    assert emu.ctl("GET", "faults") == {"rules": []}
    assert emu.raw("GET", GET_PATH)[0] == 200
    status, data = emu.call("POST", "/__emulator/faults", {"action": "explode"}, token=None)
    assert status == 400


def test_fault_delay(emu):
    emu.ctl("POST", "faults", {"path": GET_PATH, "action": "delay", "delay_ms": 300})
    t0 = time.monotonic()
    assert emu.raw("GET", GET_PATH)[0] == 200
    assert time.monotonic() - t0 >= 0.3
    t0 = time.monotonic()
    assert emu.raw("GET", GET_PATH)[0] == 200
    assert time.monotonic() - t0 < 0.25


def test_fault_drop(emu):
    emu.ctl("POST", "faults", {"path": "/api/2.1/clusters/create", "action": "drop"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        emu.raw("POST", "/api/2.1/clusters/create", SPEC)
    assert emu.api("GET", "list")[1] == {}  # not processed
    log = emu.requests()
    assert log[0]["status"] is None and log[0]["fault"] is not None


def test_fault_truncate(emu):
    emu.ctl("POST", "faults", {"path": GET_PATH, "action": "truncate"})
    full = emu.raw("GET", "/api/2.0/clusters/spark-versions")[2]
    c = emu.conn()
    try:
        c.request("GET", GET_PATH, headers={"Authorization": "Bearer " + TOKEN})
        r = c.getresponse()
        assert r.status == 200 and int(r.getheader("Content-Length")) == len(full)
        with pytest.raises(http.client.IncompleteRead) as ei:
            r.read()
        assert len(ei.value.partial) == len(full) // 2
    finally:
        c.close()


def test_fault_malformed(emu):
    emu.ctl("POST", "faults", {"rules": [
        {"path": "/api/2.1/clusters/get", "action": "malformed"},
        {"path": "/api/2.1/clusters/get", "action": "malformed", "body": "<html>oops</html>"}]})
    status, headers, data = emu.raw("GET", "/api/2.1/clusters/get?cluster_id=x")
    assert status == 200 and headers["content-type"] == "application/json"
    assert data == b'{"cluster_id": "abc", "state": '
    with pytest.raises(ValueError):
        json.loads(data)
    assert emu.raw("GET", "/api/2.1/clusters/get?cluster_id=x")[2] == b"<html>oops</html>"


def test_fault_redirect_to_other_host(emu):
    emu.ctl("POST", "faults", {"path": "/api/2.1/clusters/list", "action": "redirect"})
    status, headers, _ = emu.raw("GET", "/api/2.1/clusters/list?page_size=5")
    assert status == 302
    loc = headers["location"]
    assert loc.startswith("http://127.0.0.2:%d/" % emu.info["other_port"])
    u = urllib.parse.urlsplit(loc)
    assert u.path == "/api/2.1/clusters/list" and u.query == "page_size=5"
    # follow it the way a careful client does: no credentials to another host
    status, body = emu.call("GET", u.path + "?" + u.query, token=None, server="other")
    assert status == 200 and body == {"other_host": True}
    log = emu.requests()
    assert [(e["server"], e["status"]) for e in log] == [("main", 302), ("other", 200)]
    assert log[0]["fault"] is not None and "authorization" in log[0]["headers"]
    assert "authorization" not in log[1]["headers"]
    assert log[1]["query"] == {"page_size": ["5"]}
    emu.ctl("POST", "faults", {"path": GET_PATH, "action": "redirect", "status": 307,
                               "location": "http://example.invalid/x"})
    status, headers, _ = emu.raw("GET", GET_PATH)
    assert status == 307 and headers["location"] == "http://example.invalid/x"


def test_fault_retry_after_sent_verbatim(emu):
    past = "Wed, 21 Oct 2015 07:28:00 GMT"
    emu.ctl("POST", "faults", {"rules": [
        {"path": GET_PATH, "action": "status", "status": 429, "headers": {"Retry-After": "0"}},
        {"path": GET_PATH, "action": "status", "status": 503, "headers": {"Retry-After": past}}]})
    status, headers, _ = emu.raw("GET", GET_PATH)
    assert status == 429 and headers["retry-after"] == "0"
    status, headers, _ = emu.raw("GET", GET_PATH)
    assert status == 503 and headers["retry-after"] == past


def _raw_exchange(emu, request, limit=None, timeout=10):
    """Send raw request bytes; read until EOF (or `limit` bytes). Returns the pieces recv()
    returned."""
    s = socket.create_connection(("127.0.0.1", emu.port), timeout=timeout)
    pieces, total = [], 0
    try:
        s.sendall(request)
        while limit is None or total < limit:
            data = s.recv(65536)
            if not data:
                break
            pieces.append(data)
            total += len(data)
    finally:
        s.close()
    return pieces


def _get_request(path, close=True):
    return ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n%s\r\n" % (
        path, TOKEN, "Connection: close\r\n" if close else "")).encode()


def _check_huge(data, n):
    assert len(data) >= n
    clusters = json.loads(data)["clusters"]
    assert clusters and all(c["state"] == "RUNNING" for c in clusters)
    assert len({c["cluster_id"] for c in clusters}) == len(clusters)


def test_fault_huge(emu):
    n = 3 * 1024 * 1024 + 5
    path = "/api/2.1/clusters/list"
    emu.ctl("POST", "faults", {"rules": [
        {"path": path, "action": "huge", "bytes": n},
        {"path": path, "action": "huge", "bytes": n, "chunked": True, "status": 500},
        {"path": path, "action": "huge", "bytes": n, "gzip": True}]})
    c = emu.conn()
    try:
        status, headers, data = emu.raw("GET", path, conn=c)
        assert status == 200 and int(headers["content-length"]) == len(data)
        assert headers["content-type"] == "application/json"
        _check_huge(data, n)
        # properly framed: the kept-alive connection still works
        assert emu.raw("GET", GET_PATH, conn=c)[0] == 200
        status, headers, data = emu.raw("GET", path, conn=c)  # http.client undoes the chunks
        assert status == 500 and headers["transfer-encoding"] == "chunked"
        assert "content-length" not in headers
        _check_huge(data, n)
        status, headers, data = emu.raw("GET", path, conn=c)
        assert status == 200 and headers["content-encoding"] == "gzip"
        assert headers["transfer-encoding"] == "chunked" and len(data) < n // 10
        _check_huge(zlib.decompress(data, 31), n)
    finally:
        c.close()
    log = emu.requests()
    assert [(e["path"], e["status"], e["fault"] is not None) for e in log] == [
        (path, 200, True), (GET_PATH, 200, False), (path, 500, True), (path, 200, True)]
    # a tiny size still gives a valid (empty) object
    emu.ctl("POST", "faults", {"path": path, "action": "huge", "bytes": 1})
    assert json.loads(emu.raw("GET", path)[2]) == {"clusters": []}


def test_fault_gzip_bomb(emu):
    n = 64 * 1024 * 1024 + 3
    emu.ctl("POST", "faults", {"path": GET_PATH, "action": "gzip_bomb", "bytes": n})
    status, headers, data = emu.raw("GET", GET_PATH)
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert int(headers["content-length"]) == len(data) < n // 500
    d = zlib.decompressobj(31)
    raw = d.decompress(data) + d.flush()
    assert d.eof and len(raw) == n
    body = json.loads(raw)
    assert body["cluster_id"] == "bomb" and body["state"] == "RUNNING"


def _depth(v):
    d = 0
    while True:
        d += 1
        inner = v[0] if isinstance(v, list) and v else v.get("a") if isinstance(v, dict) else None
        if inner is None:
            return d
        v = inner


def test_fault_deep(emu):
    emu.ctl("POST", "faults", {"rules": [
        {"path": GET_PATH, "action": "deep", "depth": 200},
        {"path": GET_PATH, "action": "deep", "depth": 150, "shape": "object", "status": 400},
        {"path": GET_PATH, "action": "deep", "depth": 5, "status": 503,
         "error_code": "TEMPORARILY_UNAVAILABLE"},
        {"path": GET_PATH, "action": "deep", "depth": 1000000}]})
    status, headers, data = emu.raw("GET", GET_PATH)
    assert status == 200 and data == b"[" * 200 + b"]" * 200
    assert _depth(json.loads(data)) == 200
    status, headers, data = emu.raw("GET", GET_PATH)
    body = json.loads(data)
    assert status == 400 and body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert body["message"] == "deep" and _depth(body["details"]) == 150
    status, headers, data = emu.raw("GET", GET_PATH)
    body = json.loads(data)
    assert status == 503 and body["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert body["details"] == [[[[[]]]]]
    status, headers, data = emu.raw("GET", GET_PATH)  # deeper than any parser should follow
    assert int(headers["content-length"]) == len(data) == 2000000
    assert data == b"[" * 1000000 + b"]" * 1000000


def test_fault_endless_headers(emu):
    n = 200000
    emu.ctl("POST", "faults", {"rules": [
        {"path": GET_PATH, "action": "endless_headers", "header_bytes": n},
        {"path": GET_PATH, "action": "endless_headers", "header_bytes": -1}]})
    data = b"".join(_raw_exchange(emu, _get_request(GET_PATH)))
    assert len(data) == n and data.startswith(b"HTTP/1.1 200 OK\r\nX-Filler-0: ")
    assert b"\r\n\r\n" not in data
    # -1: header lines keep coming until the client gives up
    want = 1024 * 1024
    data = b"".join(_raw_exchange(emu, _get_request(GET_PATH), limit=want))
    assert len(data) >= want and b"\r\n\r\n" not in data
    assert re.fullmatch(rb"X-Filler-\d+: [0-9a-f]{64}", data.split(b"\r\n")[1000])
    assert emu.ctl("GET", "health") == {"ok": True}
    log = emu.requests()
    assert [(e["status"], e["fault"] is not None) for e in log] == [(200, True)] * 2


def test_fault_drip(emu):
    emu.ctl("POST", "faults", {"path": GET_PATH, "action": "drip", "interval_ms": 1,
                               "chunk": 50})
    pieces = _raw_exchange(emu, _get_request(GET_PATH))
    assert len(pieces) > 5  # arrived in pieces (no timing asserted)
    head, _, body = b"".join(pieces).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
    assert len(body) == length
    assert json.loads(body) == emu.call("GET", GET_PATH)[1]  # the normal, full response
    # default chunk 1 byte; headers included in the drip
    emu.ctl("POST", "faults", {"path": GET_PATH, "action": "drip", "interval_ms": 0})
    status, _, data = emu.raw("GET", GET_PATH)
    assert status == 200 and json.loads(data)["versions"]
    assert [e["status"] for e in emu.requests()] == [200, 200, 200]


def test_hostile_fault_validation(emu):
    for rule in ({"action": "huge"}, {"action": "huge", "bytes": -1},
                 {"action": "huge", "bytes": 10, "chunked": "yes"},
                 {"action": "huge", "bytes": 10, "status": 204},
                 {"action": "gzip_bomb", "bytes": 1 << 50}, {"action": "deep", "depth": 0},
                 {"action": "deep", "depth": 3, "shape": "tree"},
                 {"action": "deep", "depth": 3, "error_code": 7},
                 {"action": "endless_headers"}, {"action": "endless_headers", "header_bytes": 0},
                 {"action": "drip", "chunk": 0}, {"action": "drip", "interval_ms": -1},
                 {"action": "drip", "bogus": 1}):
        status, body = emu.call("POST", "/__emulator/faults", rule, token=None)
        assert status == 400, rule
    assert emu.ctl("GET", "faults") == {"rules": []}


# ---- request log, TLS, reset --------------------------------------------------------------------
def test_request_log(emu):
    emu.api("POST", "create", SPEC)
    emu.api("GET", "list", query={"page_size": 3, "filter_by.cluster_states": ["A", "B"]})
    emu.call("GET", "/api/2.1/clusters/list?page_token=", token=None)
    log = emu.requests()
    assert len(log) == 3  # control requests are not logged
    a, b, c = log
    assert a["seq"] < b["seq"] < c["seq"]
    assert a["server"] == "main" and a["method"] == "POST"
    assert a["path"] == "/api/2.1/clusters/create" and a["query"] == {}
    assert a["json"] == SPEC and json.loads(a["body"]) == SPEC
    assert a["headers"]["authorization"] == "Bearer " + TOKEN
    assert a["headers"]["content-type"] == "application/json"
    assert a["status"] == 200 and a["fault"] is None
    assert b["query"] == {"page_size": ["3"], "filter_by.cluster_states": ["A", "B"]}
    assert b["json"] is None and b["body"] == "" and b["status"] == 400
    assert c["query"] == {"page_token": [""]} and c["status"] == 401
    emu.ctl("DELETE", "requests")
    assert emu.requests() == []


def test_https(emu):
    ctx = ssl.create_default_context(cafile=emu.info["ca_file"])
    for host in ("127.0.0.1", "localhost"):
        c = http.client.HTTPSConnection(host, emu.info["tls_port"], context=ctx, timeout=10)
        try:
            status, _, data = emu.raw("GET", GET_PATH, conn=c)
            assert status == 200 and json.loads(data)["versions"]
            status, _, data = emu.raw("GET", "/oidc/.well-known/oauth-authorization-server",
                                      conn=c)
            assert json.loads(data)["token_endpoint"].startswith("https://%s:" % host)
        finally:
            c.close()
    assert [e["server"] for e in emu.requests()] == ["tls"] * 4
    # the plain default trust store must reject the throwaway CA
    c = http.client.HTTPSConnection("127.0.0.1", emu.info["tls_port"],
                                    context=ssl.create_default_context(), timeout=10)
    with pytest.raises(ssl.SSLError):
        c.request("GET", "/__emulator/health")
    c.close()


def test_reset(emu):
    emu.ctl("POST", "config", {"page_size_clusters": 1})
    emu.api("POST", "create", SPEC)
    emu.ctl("POST", "faults", {"path": "/nope", "action": "drop"})
    form = _form({"grant_type": "client_credentials", "scope": "all-apis",
                  "client_id": "emu-client", "client_secret": "emu-secret"})
    tok = emu.call("POST", "/oidc/v1/token", form, token=None, headers=FORM)[1]["access_token"]
    before = emu.advance(10_000_000)
    emu.ctl("POST", "reset")
    assert emu.ctl("GET", "config")["page_size_clusters"] == 100
    assert emu.ctl("GET", "faults") == {"rules": []}
    assert emu.requests() == []
    assert emu.api("GET", "list")[1] == {}
    assert emu.api("GET", "list", token=tok)[0] == 401
    assert emu.ctl("GET", "clock")["now_ms"] < before - 9_000_000


# ---- process lifecycle ----------------------------------------------------------------------------
def test_sigterm_removes_temp_dir(tmp_path):
    proc, info = start_emulator(tmp_path, "--tls")
    state_dir = os.path.dirname(info["ca_file"])
    assert os.path.isdir(state_dir) and info["pid"] == proc.pid
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    proc.stdin.close()
    assert not os.path.exists(state_dir)


def test_stdin_eof_exits(tmp_path):
    sd = tmp_path / "state"
    proc, info = start_emulator(tmp_path, "--tls", "--state-dir", str(sd))
    assert sorted(os.listdir(sd)) == ["ca.pem", "server.key", "server.pem"]
    proc.stdin.close()
    assert proc.wait(10) == 0
    assert os.path.exists(sd / "ca.pem")  # a given --state-dir is kept
