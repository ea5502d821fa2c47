"""client.clusters against the emulator: requests sent and results read."""

import pytest

import libdbx
from libdbx.clusters import Cluster

SPEC = {"cluster_name": "fraud-train", "spark_version": "15.4.x-scala2.12",
        "node_type_id": "i3.xlarge", "num_workers": 2}


def test_create_get_and_the_request_sent(client, emu):
    cid = client.clusters.create(SPEC, custom_tags={"team": "fraud"}, autotermination_minutes=30)
    body = emu.last("/api/2.1/clusters/create")["json"]
    assert body["spark_version"] == "15.4.x-scala2.12"
    assert body["custom_tags"] == {"team": "fraud"}
    assert body["autotermination_minutes"] == 30
    cl = client.clusters.get(cid)
    assert isinstance(cl, Cluster)
    assert cl.cluster_id == cid
    assert cl.cluster_name == "fraud-train"
    assert cl.state == "PENDING"
    assert cl.num_workers == 2 and cl.autoscale is None
    assert cl.custom_tags == {"team": "fraud"}
    assert cl.raw["cluster_id"] == cid
    assert emu.last("/api/2.1/clusters/get")["query"]["cluster_id"] == [cid]


def test_spec_is_validated_locally(client, emu):
    with pytest.raises(libdbx.InvalidArgument) as ei:
        client.clusters.create(SPEC, num_workers=2, autoscale={"min_workers": 1, "max_workers": 3})
    assert "autoscale" in str(ei.value) or "num_workers" in str(ei.value)
    with pytest.raises(libdbx.InvalidArgument):
        client.clusters.create({"spark_version": 15})
    assert emu.requests("/api/2.1/clusters/create") == []


def test_wait_running_with_progress(client, emu):
    cid = client.clusters.create(SPEC)
    states = []

    def progress(cluster_id, state):
        assert cluster_id == cid
        states.append(state)
        emu.advance(600)  # the emulator's virtual clock: PENDING -> RUNNING after 1 s

    cl = client.clusters.wait_running(cid, timeout=60, progress=progress, poll_interval=0.01,
                                      poll_max=0.02)
    assert cl.state == "RUNNING"
    assert states[0] == "PENDING" and states[-1] == "RUNNING"


def test_wait_failure_raises_with_last_snapshot(client, emu):
    emu.config(start_fails_with="CLOUD_PROVIDER_LAUNCH_FAILURE")
    cid = client.clusters.create(SPEC)
    with pytest.raises(libdbx.OperationFailed) as ei:
        client.clusters.wait_running(cid, timeout=60, poll_interval=0.01, poll_max=0.02,
                                     progress=lambda i, s: emu.advance(600))
    assert ei.value.last.state == "TERMINATED"
    assert "CLOUD_PROVIDER_LAUNCH_FAILURE" in str(ei.value)


def test_keyboard_interrupt_stops_a_wait(client, emu):
    cid = client.clusters.create(SPEC)
    calls = []

    def progress(cluster_id, state):
        calls.append(state)
        if len(calls) == 2:
            raise KeyboardInterrupt  # what Ctrl-C raises inside the callback

    with pytest.raises(KeyboardInterrupt):
        client.clusters.wait_running(cid, timeout=60, progress=progress, poll_interval=0.01,
                                     poll_max=0.02)
    assert len(calls) == 2  # no poll after the interrupt


def test_wait_timeout(client, emu):
    cid = client.clusters.create(SPEC)
    with pytest.raises(libdbx.Timeout):
        client.clusters.wait_running(cid, timeout=0.05, poll_interval=0.01, poll_max=0.02)
    with pytest.raises(libdbx.InvalidArgument):
        client.clusters.wait_running(cid, timeout=0)


def test_list_pages_lazily_with_filters(client, emu):
    emu.config(page_size_clusters=2)
    ids = [client.clusters.create(SPEC, cluster_name="c%d" % i) for i in range(5)]
    got = [c.cluster_id for c in client.clusters.list(page_size=2)]
    assert sorted(got) == sorted(ids)
    pages = emu.requests("/api/2.1/clusters/list")
    assert len(pages) == 3
    assert pages[1]["query"]["page_token"]
    it = client.clusters.list(states=["PENDING", "RUNNING"], sort_by="CLUSTER_NAME",
                              sort_direction="DESC", max_items=3)
    first = next(it)
    q = emu.last("/api/2.1/clusters/list")["query"]
    assert q["filter_by.cluster_states"] == ["PENDING", "RUNNING"]
    assert q["sort_by.field"] == ["CLUSTER_NAME"] and q["sort_by.direction"] == ["DESC"]
    assert first.cluster_name == "c4"
    it.close()
    assert list(it) == []
    with pytest.raises(libdbx.InvalidArgument):
        client.clusters.list(states=["SLEEPING"])


def test_lifecycle_calls(client, emu):
    cid = client.clusters.create(SPEC)
    emu.advance(2000)
    client.clusters.resize(cid, 4)
    assert emu.last("/api/2.1/clusters/resize")["json"] == {"cluster_id": cid, "num_workers": 4}
    emu.advance(2000)
    client.clusters.resize(cid, autoscale=(1, 5))
    assert emu.last("/api/2.1/clusters/resize")["json"]["autoscale"] == {"min_workers": 1, "max_workers": 5}
    with pytest.raises(libdbx.InvalidArgument):
        client.clusters.resize(cid)
    emu.advance(2000)
    client.clusters.update(cid, ["num_workers", "autoscale"], num_workers=3)
    assert emu.last("/api/2.1/clusters/update")["json"]["update_mask"] == "num_workers,autoscale"
    client.clusters.pin(cid)
    client.clusters.unpin(cid)
    client.clusters.restart(cid)
    emu.advance(2000)
    client.clusters.delete(cid)
    emu.advance(2000)
    assert client.clusters.wait_terminated(cid, timeout=5).state == "TERMINATED"
    client.clusters.start(cid)
    assert emu.last("/api/2.1/clusters/start")["json"] == {"cluster_id": cid}
    events = list(client.clusters.events(cid, order="ASC", max_items=50))
    assert events and events[0].type
    client.clusters.permanent_delete(cid)
    with pytest.raises(libdbx.NotFound):
        client.clusters.get(cid)


def test_node_types_and_versions(client):
    versions = client.clusters.spark_versions()
    assert all(isinstance(k, str) and isinstance(n, str) for k, n in versions)
    nts = client.clusters.list_node_types()
    assert nts and "node_type_id" in nts[0]


def test_a_real_sigint_while_c_waits_stops_the_wait(client, emu):
    """Ctrl-C arriving while libdbx sleeps between polls (no Python frame running): the
    interrupt is recorded, the next poll callback stops the wait, and KeyboardInterrupt is
    raised once libdbx has returned (not lost inside the ctypes callback)."""
    import os
    import signal
    import threading

    cid = client.clusters.create(SPEC)  # stays PENDING: the virtual clock is not advanced
    polls = []
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            client.clusters.wait_running(cid, timeout=30, poll_interval=0.05, poll_max=0.05,
                                         progress=lambda i, s: polls.append(s))
    finally:
        timer.cancel()
    assert polls and set(polls) == {"PENDING"}
    # the handler is restored: a later wait is unaffected
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_lazy_fields_outlive_the_client_and_iteration(emu):
    """Typed attributes come from the C accessors; raw / maps are parsed on first use, from the
    C result the object keeps (freed with it) or, for list items, from their JSON text."""
    import gc
    with libdbx.Client(host=emu.base, token="dapi-emulator-token", no_env=True, no_config_file=True) as c:
        cid = c.clusters.create(SPEC, custom_tags={"k": "v"}, spark_conf={"a.b": "1"})
        got = c.clusters.get(cid)
        listed = list(c.clusters.list())
    gc.collect()
    assert got.raw["cluster_id"] == cid and got.custom_tags == {"k": "v"} and got.spark_conf == {"a.b": "1"}
    assert listed[0].raw["cluster_id"] == cid and listed[0].custom_tags == {"k": "v"}
    assert got.termination_reason is None
    assert Cluster.from_dict(got.raw) == got  # equal on the typed fields
