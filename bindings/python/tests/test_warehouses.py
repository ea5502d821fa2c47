"""client.warehouses against the emulator: requests sent, results read, waits."""

import os
import signal
import threading

import pytest

import libdbx
from libdbx.warehouses import Warehouse

BASE = "/api/2.0/sql/warehouses"
SEED = "5eedc0ffee000001"
FAST = dict(poll_interval=0.01, poll_max=0.02)


def test_create_get_and_the_request_sent(client, emu):
    wid = client.warehouses.create({"name": "etl", "cluster_size": "Small"}, auto_stop_mins=15,
                                   min_num_clusters=1, max_num_clusters=3, enable_photon=False,
                                   warehouse_type="PRO", spot_instance_policy="RELIABILITY_OPTIMIZED",
                                   channel="CHANNEL_NAME_PREVIEW", tags={"team": "data", "env": "dev"})
    body = emu.last(BASE)["json"]
    assert body["name"] == "etl" and body["cluster_size"] == "Small"
    assert body["auto_stop_mins"] == 15 and body["min_num_clusters"] == 1 and body["max_num_clusters"] == 3
    assert body["enable_photon"] is False and body["warehouse_type"] == "PRO"
    assert body["spot_instance_policy"] == "RELIABILITY_OPTIMIZED"
    assert body["channel"] == {"name": "CHANNEL_NAME_PREVIEW"}
    assert body["tags"] == {"custom_tags": [{"key": "team", "value": "data"}, {"key": "env", "value": "dev"}]}
    assert isinstance(wid, str) and len(wid) == 16

    wh = client.warehouses.get(wid)
    assert emu.last(BASE + "/" + wid)["method"] == "GET"
    assert isinstance(wh, Warehouse)
    assert (wh.id, wh.name, wh.state, wh.cluster_size) == (wid, "etl", "STARTING", "Small")
    assert (wh.min_num_clusters, wh.max_num_clusters, wh.num_clusters, wh.auto_stop_mins) == (1, 3, 0, 15)
    assert wh.enable_photon is False and wh.enable_serverless_compute is False
    assert wh.warehouse_type == "PRO" and wh.spot_instance_policy == "RELIABILITY_OPTIMIZED"
    assert wh.channel_name == "CHANNEL_NAME_PREVIEW"
    assert wh.custom_tags == {"team": "data", "env": "dev"}
    assert wh.health_status == "HEALTHY" and wh.health_summary == ""
    assert wh.odbc_path == "/sql/1.0/warehouses/" + wid and wh.odbc_port > 0 and wh.odbc_hostname
    assert wh.odbc_protocol in ("http", "https") and wh.jdbc_url.startswith("jdbc:databricks://")
    assert wh.creator_name and wh.raw["id"] == wid


def test_the_seed_warehouse(client):
    wh = client.warehouses.get(SEED)
    assert wh.state == "RUNNING" and wh.enable_serverless_compute and wh.warehouse_type == "PRO"
    assert wh.num_clusters >= 1


def test_spec_is_validated_locally(client, emu):
    n0 = len(emu.requests(BASE))
    with pytest.raises(libdbx.InvalidArgument) as ei:
        client.warehouses.create(name="x", cluster_size="Small", auto_stop_mins=5)
    assert "auto_stop_mins" in str(ei.value)
    with pytest.raises(libdbx.InvalidArgument):
        client.warehouses.create(name="x", cluster_size="Small", min_num_clusters=3, max_num_clusters=2)
    with pytest.raises(libdbx.InvalidArgument):
        client.warehouses.create({"name": "x", "cluster_size": "Small", "max_num_clusters": 41})
    with pytest.raises(libdbx.InvalidArgument):
        client.warehouses.create('{"name": 5}')
    with pytest.raises(libdbx.InvalidArgument):
        client.warehouses.create(name="x", cluster_size="Small", warehouse_type="CLASSIC",
                                 enable_serverless_compute=True)
    with pytest.raises(TypeError):
        client.warehouses.create(name="x", cluster_size="Small", colour="blue")
    assert len(emu.requests(BASE)) == n0
    # the service's own checks come back as InvalidParameter / AlreadyExists
    with pytest.raises(libdbx.InvalidParameter):
        client.warehouses.create(name="x", cluster_size="Gigantic")
    client.warehouses.create(name="dup", cluster_size="Small")
    with pytest.raises(libdbx.AlreadyExists):
        client.warehouses.create(name="dup", cluster_size="Small")


def test_spec_to_json(client, emu):
    n0 = len(emu.requests())
    s = client.warehouses.spec({"name": "a", "instance_profile_arn": "arn:x"}, cluster_size="Medium",
                               min_num_clusters=2, channel="CHANNEL_NAME_CUSTOM", dbsql_version="2025.35",
                               enable_serverless_compute=True, warehouse_type="PRO", tags={"k": "v"})
    assert s["name"] == "a" and s["cluster_size"] == "Medium" and s["min_num_clusters"] == 2
    assert s["instance_profile_arn"] == "arn:x"  # unknown fields pass through
    assert s["channel"] == {"name": "CHANNEL_NAME_CUSTOM", "dbsql_version": "2025.35"}
    assert s["enable_serverless_compute"] is True and s["tags"]["custom_tags"] == [{"key": "k", "value": "v"}]
    assert client.warehouses.spec(max_num_clusters=4) == {"max_num_clusters": 4}
    assert client.warehouses.spec() == {}
    assert len(emu.requests()) == n0


def test_edit_start_stop_delete_and_waits(client, emu):
    wid = client.warehouses.create(name="life", cluster_size="Small", auto_stop_mins=0)
    states = []

    def progress(i, state):
        assert i == wid
        states.append(state)
        emu.advance(800)  # virtual clock: STARTING -> RUNNING after 2 s

    wh = client.warehouses.wait_running(wid, timeout=60, progress=progress, **FAST)
    assert wh.state == "RUNNING" and wh.num_clusters == 1
    assert states[0] == "STARTING" and states[-1] == "RUNNING"

    client.warehouses.edit(wid, cluster_size="Large", max_num_clusters=2, tags={"a": "b"})
    r = emu.last(BASE + "/" + wid + "/edit")
    assert r["method"] == "POST"
    assert r["json"] == {"cluster_size": "Large", "max_num_clusters": 2,
                         "tags": {"custom_tags": [{"key": "a", "value": "b"}]}}
    got = client.warehouses.get(wid)
    assert got.cluster_size == "Large" and got.max_num_clusters == 2 and got.state == "RUNNING"
    assert got.custom_tags == {"a": "b"}

    client.warehouses.stop(wid)
    assert emu.last(BASE + "/" + wid + "/stop")["method"] == "POST"
    wh = client.warehouses.wait_stopped(wid, timeout=60, progress=lambda i, s: emu.advance(600), **FAST)
    assert wh.state == "STOPPED" and wh.num_clusters == 0
    # a STOPPED warehouse is a failure for wait_running: start it first
    with pytest.raises(libdbx.OperationFailed) as ei:
        client.warehouses.wait_running(wid, timeout=60, **FAST)
    assert ei.value.last.state == "STOPPED"

    client.warehouses.start(wid)
    assert emu.last(BASE + "/" + wid + "/start")["method"] == "POST"
    assert client.warehouses.get(wid).state == "STARTING"

    client.warehouses.delete(wid)
    assert emu.last(BASE + "/" + wid)["method"] == "DELETE"
    with pytest.raises(libdbx.OperationFailed) as ei:
        client.warehouses.wait_stopped(wid, timeout=60, **FAST)
    assert ei.value.last.state in ("DELETING", "DELETED")
    emu.advance(1000)
    assert client.warehouses.get(wid).state == "DELETED"
    with pytest.raises(libdbx.InvalidState):
        client.warehouses.start(wid)
    with pytest.raises(libdbx.NotFound):
        client.warehouses.get("0123456789abcdef")


def test_health_failure_raises_with_the_last_snapshot(client, emu):
    wid = client.warehouses.create(name="sick", cluster_size="Small")
    emu.ctl("POST", "/__emulator/warehouses/%s/health" % wid,
            {"status": "FAILED", "summary": "Cluster failed to launch",
             "failure_reason": {"code": "INSTANCE_POOL_MAX_CAPACITY_REACHED", "type": "CLOUD_FAILURE"}})
    with pytest.raises(libdbx.OperationFailed) as ei:
        client.warehouses.wait_running(wid, timeout=60, **FAST)
    e = ei.value
    assert "Cluster failed to launch" in str(e) and e.error_code == "INSTANCE_POOL_MAX_CAPACITY_REACHED"
    assert e.last.health_status == "FAILED" and e.last.health_failure_type == "CLOUD_FAILURE"
    assert e.last.health_failure_code == "INSTANCE_POOL_MAX_CAPACITY_REACHED"
    emu.ctl("POST", "/__emulator/warehouses/%s/health" % wid,
            {"status": "DEGRADED", "summary": "slow", "details": "d", "state": "RUNNING"})
    wh = client.warehouses.wait_running(wid, timeout=60, **FAST)
    assert (wh.health_status, wh.health_summary, wh.health_details) == ("DEGRADED", "slow", "d")


def test_wait_timeout_callback_error_and_keyboard_interrupt(client, emu):
    wid = client.warehouses.create(name="slow", cluster_size="Small")
    with pytest.raises(libdbx.Timeout) as ei:
        client.warehouses.wait_running(wid, timeout=0.05, **FAST)
    assert ei.value.last.state == "STARTING"
    with pytest.raises(libdbx.InvalidArgument):
        client.warehouses.wait_running(wid, timeout=0)

    calls = []

    def boom(i, s):
        calls.append(s)
        raise ValueError("stop here")

    with pytest.raises(ValueError, match="stop here"):
        client.warehouses.wait_running(wid, timeout=60, progress=boom, **FAST)
    assert len(calls) == 1

    calls = []

    def ctrl_c(i, s):
        calls.append(s)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        client.warehouses.wait_running(wid, timeout=60, progress=ctrl_c, **FAST)
    assert calls == ["STARTING", "STARTING"]


def test_a_real_sigint_while_c_waits_stops_the_wait(client, emu):
    wid = client.warehouses.create(name="sigint", cluster_size="Small")  # STARTING: clock not moved
    polls = []
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            client.warehouses.wait_running(wid, timeout=30, poll_interval=0.05, poll_max=0.05,
                                           progress=lambda i, s: polls.append(s))
    finally:
        timer.cancel()
    assert polls and set(polls) == {"STARTING"}
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_list_pages_lazily(client, emu):
    emu.config(page_size_warehouses=2)
    ids = [client.warehouses.create(name="w%d" % i, cluster_size="X-Small") for i in range(4)]
    n0 = len(emu.requests(BASE))
    it = client.warehouses.list(page_size=2)
    assert len(emu.requests(BASE)) == n0
    got = [w.id for w in it]
    assert got == [SEED] + ids
    gets = [r for r in emu.requests(BASE)[n0:] if r["method"] == "GET"]
    assert len(gets) == 3 and gets[0]["query"]["page_size"] == ["2"] and gets[1]["query"]["page_token"]
    it = client.warehouses.list(max_items=2)
    assert [w.name for w in it] == ["Serverless Starter Warehouse", "w0"]
    it = client.warehouses.list()
    assert next(it).id == SEED
    it.close()
    assert list(it) == []
    client.warehouses.delete(ids[0])
    emu.advance(1000)
    assert ids[0] not in [w.id for w in client.warehouses.list()]
