"""Tests for the emulator's SQL warehouses (docs/emulator.md, "SQL warehouses").

States move on the virtual clock (POST /__emulator/clock); nothing sleeps.
"""

import urllib.parse

import pytest

from test_emulator import Emu, assert_error, start_emulator, stop_emulator

BASE = "/api/2.0/sql/warehouses"
SEED = "5eedc0ffee000001"
STARTING, STOPPING, DELETING = 2000, 1000, 500


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    proc, info = start_emulator(tmp_path_factory.mktemp("emu"))
    try:
        yield WhEmu(info)
    finally:
        stop_emulator(proc)


@pytest.fixture(autouse=True)
def _reset(emu):
    emu.ctl("POST", "reset")
    yield


class WhEmu(Emu):
    def wh(self, method, suffix="", body=None, query=None):
        path = BASE + suffix
        if query:
            path += "?" + urllib.parse.urlencode(query, doseq=True)
        return self.call(method, path, body)

    def ok(self, method, suffix="", body=None, query=None):
        status, data = self.wh(method, suffix, body, query)
        assert status == 200, (status, data)
        return data

    def create(self, **kw):
        kw.setdefault("name", "wh")
        kw.setdefault("cluster_size", "X-Small")
        return self.ok("POST", "", kw)["id"]

    def get(self, wid):
        return self.ok("GET", "/" + wid)

    def state(self, wid):
        return self.get(wid)["state"]


def test_seed_warehouse_is_running_serverless(emu):
    w = emu.get(SEED)
    assert w["state"] == "RUNNING"
    assert w["enable_serverless_compute"] is True and w["warehouse_type"] == "PRO"
    assert w["name"] == "Serverless Starter Warehouse"
    assert w["num_clusters"] == 1
    assert w["health"]["status"] == "HEALTHY"
    assert w["odbc_params"]["path"] == "/sql/1.0/warehouses/" + SEED
    assert w["odbc_params"]["hostname"] == "127.0.0.1"
    assert w["odbc_params"]["port"] == emu.port and w["odbc_params"]["protocol"] == "http"
    assert "httpPath=/sql/1.0/warehouses/%s;" % SEED in w["jdbc_url"]


def test_create_shape_and_state_machine(emu):
    wid = emu.create(name="etl", cluster_size="Small", min_num_clusters=1, max_num_clusters=3,
                     auto_stop_mins=0, enable_photon=False, spot_instance_policy="RELIABILITY_OPTIMIZED",
                     channel={"name": "CHANNEL_NAME_PREVIEW"},
                     tags={"custom_tags": [{"key": "team", "value": "fraud"}]})
    assert len(wid) == 16
    w = emu.get(wid)
    for k in ("id", "name", "cluster_size", "min_num_clusters", "max_num_clusters", "num_clusters",
              "num_active_sessions", "auto_stop_mins", "enable_photon", "enable_serverless_compute",
              "warehouse_type", "spot_instance_policy", "channel", "tags", "creator_name",
              "jdbc_url", "odbc_params", "health", "state"):
        assert k in w, k
    assert w["state"] == "STARTING" and w["num_clusters"] == 0
    assert w["channel"]["name"] == "CHANNEL_NAME_PREVIEW" and w["channel"]["dbsql_version"]
    assert w["tags"]["custom_tags"] == [{"key": "team", "value": "fraud"}]
    assert w["warehouse_type"] == "CLASSIC" and w["enable_photon"] is False
    assert w["creator_name"]
    emu.advance(STARTING)
    w = emu.get(wid)
    assert w["state"] == "RUNNING" and w["num_clusters"] == 1
    # stop -> STOPPING -> STOPPED; stop again is a no-op
    emu.ok("POST", "/%s/stop" % wid, {})
    assert emu.state(wid) == "STOPPING"
    emu.ok("POST", "/%s/stop" % wid, {})
    emu.advance(STOPPING)
    w = emu.get(wid)
    assert w["state"] == "STOPPED" and w["num_clusters"] == 0
    # start is idempotent
    emu.ok("POST", "/%s/start" % wid, {})
    emu.ok("POST", "/%s/start" % wid, {})
    assert emu.state(wid) == "STARTING"
    emu.advance(STARTING)
    emu.ok("POST", "/%s/start" % wid, {})
    assert emu.state(wid) == "RUNNING"
    # delete -> DELETING -> DELETED, gone from list, still readable, refuses start
    assert emu.ok("DELETE", "/" + wid) == {}
    assert emu.state(wid) == "DELETING"
    emu.advance(DELETING)
    assert emu.state(wid) == "DELETED"
    ids = [x["id"] for x in emu.ok("GET")["warehouses"]]
    assert wid not in ids and SEED in ids
    status, body = emu.wh("POST", "/%s/start" % wid, {})
    assert_error(status, body, 400, "INVALID_STATE", "DELETED")
    assert emu.ok("DELETE", "/" + wid) == {}


def test_auto_stop(emu):
    wid = emu.create(auto_stop_mins=10)
    emu.advance(STARTING)
    assert emu.state(wid) == "RUNNING"
    emu.advance(9 * 60000)
    assert emu.state(wid) == "RUNNING"
    emu.advance(60000)
    assert emu.state(wid) == "STOPPING"
    emu.advance(STOPPING)
    assert emu.state(wid) == "STOPPED"


def test_validation_errors(emu):
    def bad(body, code, part, status=400):
        s, b = emu.wh("POST", "", body)
        assert_error(s, b, status, code, part)

    bad({"cluster_size": "Small"}, "INVALID_PARAMETER_VALUE", "name")
    bad({"name": "x"}, "INVALID_PARAMETER_VALUE", "cluster_size")
    bad({"name": "x", "cluster_size": "Huge"}, "INVALID_PARAMETER_VALUE", "cluster_size")
    bad({"name": "x" * 100, "cluster_size": "Small"}, "INVALID_PARAMETER_VALUE", "100")
    bad({"name": "x", "cluster_size": "Small", "min_num_clusters": 3, "max_num_clusters": 2},
        "INVALID_PARAMETER_VALUE", "max_num_clusters")
    bad({"name": "x", "cluster_size": "Small", "min_num_clusters": 0}, "INVALID_PARAMETER_VALUE",
        "min_num_clusters")
    bad({"name": "x", "cluster_size": "Small", "max_num_clusters": 41}, "INVALID_PARAMETER_VALUE",
        "40")
    bad({"name": "x", "cluster_size": "Small", "auto_stop_mins": 5}, "INVALID_PARAMETER_VALUE",
        "auto_stop_mins")
    bad({"name": "x", "cluster_size": "Small", "enable_serverless_compute": True},
        "INVALID_PARAMETER_VALUE", "PRO")
    bad({"name": "x", "cluster_size": "Small", "warehouse_type": "BIG"}, "INVALID_PARAMETER_VALUE",
        "warehouse_type")
    bad({"name": "x", "cluster_size": "Small", "channel": {"name": "NOPE"}},
        "INVALID_PARAMETER_VALUE", "channel")
    bad({"name": "x", "cluster_size": "Small", "tags": {"custom_tags": [{"key": 1}]}},
        "INVALID_PARAMETER_VALUE", "tags")
    bad({"name": "Serverless Starter Warehouse", "cluster_size": "Small"},
        "RESOURCE_ALREADY_EXISTS", "already exists", status=409)
    # serverless with PRO and auto_stop 0 is fine
    emu.create(name="sv", warehouse_type="PRO", enable_serverless_compute=True, auto_stop_mins=0)


def test_edit_and_missing(emu):
    wid = emu.create(name="a")
    emu.advance(STARTING)
    emu.ok("POST", "/%s/edit" % wid, {"name": "b", "min_num_clusters": 2, "max_num_clusters": 4})
    w = emu.get(wid)
    assert w["name"] == "b" and w["cluster_size"] == "X-Small" and w["num_clusters"] == 2
    s, b = emu.wh("POST", "/%s/edit" % wid, {"max_num_clusters": 1})
    assert_error(s, b, 400, "INVALID_PARAMETER_VALUE", "max_num_clusters")
    s, b = emu.wh("POST", "/%s/edit" % wid, {"name": "Serverless Starter Warehouse"})
    assert_error(s, b, 409, "RESOURCE_ALREADY_EXISTS")
    emu.ok("POST", "/%s/edit" % wid, {"name": "b"})  # its own name
    for method, suffix in (("GET", ""), ("DELETE", ""), ("POST", "/start"), ("POST", "/stop"),
                           ("POST", "/edit")):
        s, b = emu.wh(method, "/0123456789abcdef" + suffix, {} if method == "POST" else None)
        assert_error(s, b, 404, "RESOURCE_DOES_NOT_EXIST", "0123456789abcdef")


def test_paging(emu):
    for i in range(7):
        emu.create(name="w%d" % i)
    emu.ctl("POST", "config", {"page_size_warehouses": 3})
    seen, token, pages = [], None, 0
    while True:
        q = {"page_size": 10}
        if token:
            q["page_token"] = token
        page = emu.ok("GET", query=q)
        pages += 1
        assert len(page["warehouses"]) <= 3
        seen += [w["name"] for w in page["warehouses"]]
        token = page.get("next_page_token")
        if not token:
            break
    assert pages == 3
    assert seen == ["Serverless Starter Warehouse"] + ["w%d" % i for i in range(7)]
    assert len(emu.ok("GET", query={"page_size": 2})["warehouses"]) == 2
    s, b = emu.wh("GET", query={"page_token": "garbage"})
    assert_error(s, b, 400, "INVALID_PARAMETER_VALUE")


def test_health_control(emu):
    wid = emu.create()
    emu.ctl("POST", "warehouses/%s/health" % wid,
            {"status": "FAILED", "summary": "Cluster failed to start",
             "failure_reason": {"code": "INSTANCE_UNREACHABLE", "type": "CLOUD_FAILURE"},
             "state": "STOPPED"})
    w = emu.get(wid)
    assert w["state"] == "STOPPED"
    assert w["health"] == {"status": "FAILED", "summary": "Cluster failed to start",
                           "failure_reason": {"code": "INSTANCE_UNREACHABLE",
                                              "type": "CLOUD_FAILURE"}}
    # a new start clears the failure
    emu.ok("POST", "/%s/start" % wid, {})
    assert emu.get(wid)["health"] == {"status": "HEALTHY"}
    emu.ctl("POST", "warehouses/%s/health" % wid, {"status": "DEGRADED", "summary": "slow"})
    emu.advance(STARTING)
    w = emu.get(wid)
    assert w["state"] == "RUNNING" and w["health"]["status"] == "DEGRADED"
    s, b = emu.call("POST", "/__emulator/warehouses/%s/health" % wid, {"status": "BAD"},
                    token=None)
    assert s == 400


def test_module_api():
    """known_warehouse / warehouse_state / start_warehouse / touch_warehouse on a State."""
    from dbx_emulator import apis
    from dbx_emulator.state import State
    from dbx_emulator.apis import warehouses as wh
    st = State(reset_hooks=apis.load_all())
    assert wh.warehouse_state(st, SEED) == "RUNNING"
    info = wh.known_warehouse(st, SEED)
    assert info["id"] == SEED and info["state"] == "RUNNING"
    info["name"] = "changed"  # a copy
    assert wh.known_warehouse(st, SEED)["name"] == "Serverless Starter Warehouse"
    assert wh.known_warehouse(st, "missing-1") is None
    assert wh.warehouse_state(st, "nope") is None
    assert info["auto_stop_mins"] == 0  # the seed never stops by itself
    st.warehouses[SEED].d["auto_stop_mins"] = 10
    st.warehouses[SEED].d["state"] = "STOPPED"
    assert wh.start_warehouse(st, SEED) == "STARTING"
    assert wh.start_warehouse(st, SEED) == "STARTING"
    st.advance(STARTING)
    assert wh.warehouse_state(st, SEED) == "RUNNING"
    # auto-stop after 10 idle minutes, unless touched
    st.advance(9 * 60000)
    wh.touch_warehouse(st, SEED)
    st.advance(2 * 60000)
    assert wh.warehouse_state(st, SEED) == "RUNNING"
    st.advance(7 * 60000)
    assert wh.warehouse_state(st, SEED) == "RUNNING"
    st.advance(60000)
    assert wh.warehouse_state(st, SEED) == "STOPPING"
