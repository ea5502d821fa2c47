"""client.monitors against the emulator: every call checked on the request sent and the result,
and a refresh whose drift table flags an injected shift."""

import datetime
import random

import pytest

import libdbx
from libdbx import monitors as mo

WH = "5eedc0ffee000001"
T = "main.default.scores"
TB = "main.default.scores_base"
MON = "/api/2.1/unity-catalog/tables/" + T + "/monitor"
STMTS = "/api/2.0/sql/statements"
COLS = ("(ts TIMESTAMP, model_version STRING, amount DOUBLE, channel STRING, score DOUBLE, "
        "region STRING, prediction BIGINT, label BIGINT)")
DAY3 = datetime.datetime(2024, 3, 3, tzinfo=datetime.timezone.utc)


def sql(client, text):
    r = client.request("POST", STMTS, {"statement": text, "warehouse_id": WH, "wait_timeout": "30s"})
    assert r.json()["status"]["state"] == "SUCCEEDED", r.json()


def make_tables(client, n):
    sql(client, "CREATE SCHEMA IF NOT EXISTS main.mon")
    sql(client, "CREATE TABLE %s %s" % (T, COLS))
    sql(client, "CREATE TABLE %s %s" % (TB, COLS))
    rng = random.Random(7)

    def rows(day, shift, p_web):
        out = []
        for k in range(n):
            pred = rng.randrange(2)
            out.append("('2024-03-%02d %02d:%02d:00', 'v1', %r, '%s', %r, '%s', %d, %d)" % (
                day, k % 24, k % 60, rng.gauss(50.0 + shift, 10.0), "web" if rng.random() < p_web else "pos",
                rng.gauss(0, 1), rng.choice("abc"), pred, pred if k % 4 else 1 - pred))
        return out

    for table, day, shift, p_web in ((TB, 1, 0.0, 0.7), (T, 2, 0.0, 0.7), (T, 3, 15.0, 0.3)):
        r = rows(day, shift, p_web)
        for i in range(0, len(r), 300):
            sql(client, "INSERT INTO %s VALUES %s" % (table, ", ".join(r[i:i + 300])))


INFERENCE = {"problem_type": "CLASSIFICATION", "timestamp_col": "ts", "prediction_col": "prediction",
             "model_id_col": "model_version", "label_col": "label", "granularities": ["1 day"]}


def create(client):
    return client.monitors.create(T, assets_dir="/Workspace/Users/me/monitors/scores",
                                  output_schema_name="main.mon", inference_log=INFERENCE,
                                  baseline_table_name=TB)


def test_spec_json_and_local_errors(client, emu):
    j = client.monitors.spec_json(
        assets_dir="/a", output_schema_name="main.mon", time_series={"timestamp_col": "ts",
                                                                     "granularities": ["1 day", "1 hour"]},
        slicing_exprs=["channel"], schedule={"quartz_cron_expression": "0 0 * * * ?", "timezone_id": "UTC",
                                             "pause_status": "PAUSED"},
        warehouse_id=WH, skip_builtin_dashboard=True, notification_emails=["ops@example.com"],
        custom_metrics=[{"name": "big", "definition": "avg(amount)", "input_columns": [":table"],
                         "output_data_type": "double", "type": "CUSTOM_METRIC_TYPE_AGGREGATE"}],
        baseline_table_name=TB)
    assert j["time_series"] == {"timestamp_col": "ts", "granularities": ["1 day", "1 hour"]}
    assert j["schedule"]["pause_status"] == "PAUSED"
    assert j["notifications"] == {"on_failure": {"email_addresses": ["ops@example.com"]}}
    assert j["skip_builtin_dashboard"] is True and j["custom_metrics"][0]["name"] == "big"
    assert client.monitors.spec_json(snapshot=True) == {"snapshot": {}}
    assert client.monitors.spec_json({"output_schema_name": "main.mon", "snapshot": {}, "x": 1})["x"] == 1
    with pytest.raises(libdbx.InvalidArgument, match="2 days"):
        client.monitors.spec_json(time_series={"timestamp_col": "ts", "granularities": ["2 days"]})
    with pytest.raises(libdbx.InvalidArgument, match="only one of"):
        client.monitors.spec_json({"snapshot": {}, "time_series": {"timestamp_col": "ts", "granularities": ["1 day"]}})
    with pytest.raises(libdbx.InvalidArgument, match="problem"):
        client.monitors.spec_json(inference_log=dict(INFERENCE, problem_type="RANKING"))
    with pytest.raises(TypeError):
        client.monitors.spec_json(nope=1)
    with pytest.raises(libdbx.InvalidArgument, match="catalog.schema.table"):
        client.monitors.get("scores")
    with pytest.raises(libdbx.InvalidArgument, match="assets_dir is required"):
        client.monitors.create(T, output_schema_name="main.mon", snapshot=True)
    with pytest.raises(libdbx.InvalidArgument, match="granularity"):
        client.monitors.drift(T, WH, granularity="1 days")
    with pytest.raises(libdbx.InvalidArgument, match="drift_type"):
        client.monitors.drift(T, WH, drift_type="SIDEWAYS")
    assert emu.requests() == []
    assert mo.granularity_valid("1 week") and not mo.granularity_valid("1 minute")
    assert mo.enum_name("status", 2) == "MONITOR_STATUS_ACTIVE"
    assert mo.enum_name("refresh_state", 4) == "FAILED"
    assert mo.enum_name("problem_type", 2) == "PROBLEM_TYPE_REGRESSION"
    assert mo.enum_name("profile_type", 3) == "snapshot"
    assert mo.enum_name("drift_type", 1) == "CONSECUTIVE"


def test_create_get_update_delete(client, emu):
    make_tables(client, 10)
    m = create(client)
    req = emu.last(MON)
    assert req["method"] == "POST"
    assert req["json"]["inference_log"]["problem_type"] == "PROBLEM_TYPE_CLASSIFICATION"
    assert req["json"]["inference_log"]["granularities"] == ["1 day"]
    assert req["json"]["baseline_table_name"] == TB
    assert isinstance(m, mo.Monitor)
    assert m.table_name == T and m.status == "MONITOR_STATUS_PENDING" and not m.is_active
    assert m.monitor_version == 0 and m.profile_type == "inference_log"
    assert m.problem_type == "PROBLEM_TYPE_CLASSIFICATION"
    assert (m.timestamp_col, m.prediction_col, m.label_col, m.model_id_col) == (
        "ts", "prediction", "label", "model_version")
    assert m.prediction_proba_col is None and m.granularities == ["1 day"]
    assert m.drift_metrics_table_name == "main.mon.scores_drift_metrics"
    assert m.profile_metrics_table_name == "main.mon.scores_profile_metrics"
    assert m.baseline_table_name == TB and len(m.dashboard_id) == 32
    assert m.schedule is None and m.raw["table_name"] == T
    with pytest.raises(libdbx.AlreadyExists):
        create(client)

    g = client.monitors.get(T)
    assert emu.last(MON)["method"] == "GET"
    assert g.is_active

    u = client.monitors.update(T, output_schema_name="main.mon", slicing_exprs=["channel"],
                               schedule={"quartz_cron_expression": "0 0 6 * * ?", "timezone_id": "Europe/Zurich"})
    req = emu.last(MON)
    assert req["method"] == "PUT" and "assets_dir" not in req["json"]
    assert req["json"]["slicing_exprs"] == ["channel"]
    assert u.monitor_version == 1 and u.slicing_exprs == ["channel"]
    assert u.schedule == {"quartz_cron_expression": "0 0 6 * * ?", "timezone_id": "Europe/Zurich",
                          "pause_status": "UNPAUSED"}
    with pytest.raises(libdbx.InvalidParameter, match="no_such"):
        client.monitors.update(T, output_schema_name="main.mon",
                               inference_log=dict(INFERENCE, prediction_col="no_such"))

    d = client.monitors.regenerate_dashboard(T, WH)
    assert emu.last(MON + "/dashboard")["json"] == {"warehouse_id": WH}
    assert client.monitors.get(T).dashboard_id == d

    client.monitors.delete(T)
    assert emu.last(MON)["method"] == "DELETE"
    with pytest.raises(libdbx.NotFound):
        client.monitors.get(T)


def test_wait_active(client, emu):
    make_tables(client, 5)
    emu.config(monitor_create_ms=5000)
    create(client)
    seen = []

    def progress(table, status):
        seen.append((table, status))
        emu.advance(2000)

    m = client.monitors.wait_active(T, progress=progress, poll_interval=0.01, poll_max=0.01)
    assert m.is_active
    assert seen[0] == (T, "MONITOR_STATUS_PENDING") and seen[-1] == (T, "MONITOR_STATUS_ACTIVE")
    assert len(seen) == 4

    # an exception in the callback stops the wait and is re-raised
    client.monitors.delete(T)
    create(client)

    def boom(table, status):
        raise KeyError("stop")

    with pytest.raises(KeyError):
        client.monitors.wait_active(T, progress=boom, poll_interval=0.01)
    with pytest.raises(libdbx.Timeout) as ei:
        client.monitors.wait_active(T, timeout=0.05, poll_interval=0.01, poll_max=0.01)
    assert ei.value.last.status == "MONITOR_STATUS_PENDING"


def test_refreshes(client, emu):
    make_tables(client, 5)
    emu.config(monitor_refresh_ms=10000)
    create(client)
    r = client.monitors.run_refresh(T)
    assert emu.last(MON + "/refreshes")["method"] == "POST"
    assert isinstance(r, mo.Refresh)
    assert (r.refresh_id, r.state, r.trigger, r.end_time_ms) == (2, "PENDING", "MANUAL", 0)
    assert r.raw["refresh_id"] == 2
    rs = list(client.monitors.list_refreshes(T))
    assert emu.last(MON + "/refreshes")["method"] == "GET"
    assert [x.refresh_id for x in rs] == [2, 1]
    assert client.monitors.get_refresh(T, 1).state == "RUNNING"
    assert emu.last(MON + "/refreshes/1")["method"] == "GET"
    with pytest.raises(libdbx.NotFound):
        client.monitors.get_refresh(T, 42)

    client.monitors.cancel_refresh(T, 2)
    assert emu.last(MON + "/refreshes/2/cancel")["method"] == "POST"
    with pytest.raises(libdbx.OperationFailed, match="CANCELED") as ei:
        client.monitors.wait_refresh(T, 2, poll_interval=0.01)
    assert ei.value.last.state == "CANCELED" and ei.value.last.message
    with pytest.raises(libdbx.InvalidParameter, match="terminal"):
        client.monitors.cancel_refresh(T, 2)

    states = []

    def progress(rid, state):
        states.append((rid, state))
        emu.advance(4000)

    done = client.monitors.wait_refresh(T, rs[1], progress=progress, poll_interval=0.01, poll_max=0.01)
    assert done.state == "SUCCESS" and done.end_time_ms >= done.start_time_ms + 10000
    assert states[0] == ("1", "RUNNING") and states[-1] == ("1", "SUCCESS")


def test_drift_flags_injected_shift(client, emu):
    make_tables(client, 600)
    create(client)
    r = client.monitors.run_refresh(T)
    assert client.monitors.wait_refresh(T, r, poll_interval=0.01).state == "SUCCESS"

    rows = client.monitors.drift(T, WH, model_id="*", since=DAY3)
    req = emu.last(STMTS)
    assert "FROM `main`.`mon`.`scores_drift_metrics`" in req["json"]["statement"]
    assert "`window`.`start` >= :since" in req["json"]["statement"]
    assert "`ks_test`.`pvalue` AS `ks_test_pvalue`" in req["json"]["statement"]
    params = {p["name"]: p for p in req["json"]["parameters"]}
    assert params["since"]["value"] == "2024-03-03T00:00:00.000Z" and params["since"]["type"] == "TIMESTAMP"
    assert params["model_id"]["value"] == "*"
    assert all(isinstance(x, mo.DriftRow) for x in rows)
    assert {x.window_start for x in rows} == {DAY3}
    by = {(x.column_name, x.drift_type): x for x in rows}
    for kind in ("CONSECUTIVE", "BASELINE"):
        a = by[("amount", kind)]
        assert a.population_stability_index > 0.25 and a.ks_test_pvalue < 0.05
        assert a.chi_squared_test_pvalue is None          # numeric: no chi-squared
        s = by[("score", kind)]
        assert s.population_stability_index < 0.1
        assert s.ks_test_pvalue > 0.05
    c = by[("channel", "CONSECUTIVE")]
    assert c.population_stability_index > 0.25 and c.chi_squared_test_pvalue < 0.05
    assert c.ks_test_pvalue is None
    assert by[("region", "CONSECUTIVE")].population_stability_index < 0.1
    a = by[("amount", "CONSECUTIVE")]
    assert a.window_cmp_start == DAY3 - datetime.timedelta(days=1)
    assert by[("amount", "BASELINE")].window_cmp_start is None
    assert (a.granularity, a.model_id, a.slice_key) == ("1 day", "*", None)

    base = client.monitors.drift(T, WH, column="amount", drift_type="baseline", model_id="*")
    assert [x.drift_type for x in base] == ["BASELINE", "BASELINE"]
    assert base[0].population_stability_index < 0.1 < 0.25 < base[1].population_stability_index
    with pytest.raises(libdbx.TooLarge):
        client.monitors.drift(T, WH, max_rows=2)

    prof = client.monitors.profile(T, WH, column="amount", log_type="INPUT", model_id="*")
    assert [p.window_start.day for p in prof] == [2, 3]
    assert prof[0].count == 600 and abs(prof[0].avg - 50) < 2 and abs(prof[1].avg - 65) < 2
    assert prof[0].accuracy_score is None
    tbl = client.monitors.profile(T, WH, column=":table", log_type="INPUT", model_id="*")
    assert tbl[0].accuracy_score == pytest.approx(0.75)
    base = client.monitors.profile(T, WH, column=":table", log_type="BASELINE", model_id="*")
    assert len(base) == 1 and base[0].window_start is None and base[0].count == 600


def test_read_before_refresh(client, emu):
    make_tables(client, 5)
    with pytest.raises(libdbx.NotFound):
        client.monitors.drift(T, WH)
    emu.config(monitor_refresh_ms=60000)
    create(client)
    with pytest.raises(libdbx.NotFound, match="run a refresh first"):
        client.monitors.profile(T, WH)
