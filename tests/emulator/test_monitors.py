"""Tests for the emulator's Lakehouse Monitoring (apis/monitors.py): monitor CRUD and errors,
refresh states on the virtual clock, and the profile / drift metric tables computed for real
(read back through statement execution), with hand-computed numbers.

Run: /usr/bin/python3 -m pytest tests/emulator/test_monitors.py -q
"""

import json
import math
import random

import pytest

from test_emulator import Emu, start_emulator, stop_emulator
from dbx_emulator.apis import monitors as M

S = "/api/2.0/sql/statements"
WH = "5eedc0ffee000001"
UC = "/api/2.1/unity-catalog/tables/"
D1, D2 = "2024-03-01T00:00:00.000Z", "2024-03-02T00:00:00.000Z"


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    proc, info = start_emulator(tmp_path_factory.mktemp("emu-monitors"))
    try:
        yield Emu(info)
    finally:
        stop_emulator(proc)


@pytest.fixture(autouse=True)
def _reset(emu):
    emu.ctl("POST", "reset")
    yield


def sql(emu, text):
    st, b = emu.call("POST", S, {"statement": text, "warehouse_id": WH, "wait_timeout": "30s"})
    assert st == 200, b
    assert b["status"]["state"] == "SUCCEEDED", b
    out = []
    res = b.get("result")
    while res is not None:
        out.extend(res.get("data_array", []))
        nxt = res.get("next_chunk_internal_link")
        if not nxt:
            break
        st, res = emu.call("GET", nxt)
        assert st == 200, res
    return out


def mon(emu, method, table, suffix="", body=None):
    return emu.call(method, UC + table + "/monitor" + suffix, body)


def ok(emu, method, table, suffix="", body=None):
    st, b = mon(emu, method, table, suffix, body)
    assert st == 200, b
    return b


def err(emu, method, table, suffix="", body=None, status=400, code="INVALID_PARAMETER_VALUE"):
    st, b = mon(emu, method, table, suffix, body)
    assert (st, b["error_code"]) == (status, code), b
    return b


def insert(emu, table, rows, batch=500):
    for i in range(0, len(rows), batch):
        sql(emu, "INSERT INTO %s VALUES %s" % (table, ", ".join(rows[i:i + batch])))


def f(v):
    return None if v is None else float(v)


def setup_ts(emu):
    sql(emu, "CREATE SCHEMA IF NOT EXISTS main.mon")
    sql(emu, "CREATE TABLE main.default.tx (ts TIMESTAMP, amount DOUBLE, channel STRING)")
    return {"assets_dir": "/Workspace/Users/me/monitors", "output_schema_name": "main.mon",
            "time_series": {"timestamp_col": "ts", "granularities": ["1 day"]}}


def wait_refresh(emu, table, rid):
    r = ok(emu, "GET", table, "/refreshes/%d" % rid)
    assert r["state"] == "SUCCESS", r
    return r


# ---- CRUD and errors --------------------------------------------------------------------------

def test_create_get_update_delete(emu):
    body = setup_ts(emu)
    body["slicing_exprs"] = ["channel"]
    body["schedule"] = {"quartz_cron_expression": "0 0 * * * ?", "timezone_id": "UTC"}
    body["notifications"] = {"on_failure": {"email_addresses": ["a@example.com"]}}
    body["custom_metrics"] = [{"name": "big", "definition": "avg(`{{input_column}}` > 10)",
                               "input_columns": ["amount"], "output_data_type": "double",
                               "type": "CUSTOM_METRIC_TYPE_AGGREGATE"}]
    m = ok(emu, "POST", "main.default.tx", body=body)
    assert m["table_name"] == "main.default.tx"
    assert m["status"] == "MONITOR_STATUS_PENDING"
    assert m["monitor_version"] == "0"
    assert m["profile_metrics_table_name"] == "main.mon.tx_profile_metrics"
    assert m["drift_metrics_table_name"] == "main.mon.tx_drift_metrics"
    assert m["time_series"] == {"timestamp_col": "ts", "granularities": ["1 day"]}
    assert m["assets_dir"] == "/Workspace/Users/me/monitors"
    assert m["schedule"]["pause_status"] == "UNPAUSED"
    assert m["slicing_exprs"] == ["channel"] and m["custom_metrics"][0]["name"] == "big"
    assert m["dashboard_id"]
    g = ok(emu, "GET", "main.default.tx")
    assert g["status"] == "MONITOR_STATUS_ACTIVE"
    err(emu, "POST", "main.default.tx", body=body, status=409, code="RESOURCE_ALREADY_EXISTS")
    u = ok(emu, "PUT", "main.default.tx", body={
        "output_schema_name": "main.mon",
        "time_series": {"timestamp_col": "ts", "granularities": ["1 hour", "1 day"]}})
    assert u["monitor_version"] == "1"
    assert u["time_series"]["granularities"] == ["1 hour", "1 day"]
    assert u["slicing_exprs"] == ["channel"]        # absent fields keep their value
    err(emu, "PUT", "main.default.tx", body={"output_schema_name": "main.mon", "snapshot": {}})
    err(emu, "PUT", "main.default.tx", body={"output_schema_name": "main.default"})
    d = ok(emu, "POST", "main.default.tx", "/dashboard", {"warehouse_id": WH})
    assert d["parent_folder"] == "/Workspace/Users/me/monitors" and d["dashboard_id"] != m["dashboard_id"]
    assert ok(emu, "DELETE", "main.default.tx") == {}
    err(emu, "GET", "main.default.tx", status=404, code="RESOURCE_DOES_NOT_EXIST")
    err(emu, "DELETE", "main.default.tx", status=404, code="RESOURCE_DOES_NOT_EXIST")
    # the metric tables of the first refresh stay after the delete
    assert sql(emu, "SELECT count(*) FROM main.mon.tx_profile_metrics") == [["0"]]


def test_create_errors(emu):
    body = setup_ts(emu)
    err(emu, "POST", "main.default.nope", body=body, status=404, code="TABLE_DOES_NOT_EXIST")
    err(emu, "GET", "main.default.nope", status=404, code="TABLE_DOES_NOT_EXIST")
    err(emu, "GET", "main.default.tx", status=404, code="RESOURCE_DOES_NOT_EXIST")
    err(emu, "GET", "main.default.tx", "/refreshes", status=404, code="RESOURCE_DOES_NOT_EXIST")
    err(emu, "POST", "tx", body=body)
    b = dict(body, output_schema_name="main.missing")
    err(emu, "POST", "main.default.tx", body=b, status=404, code="SCHEMA_DOES_NOT_EXIST")
    b = dict(body, output_schema_name="nocat.mon")
    err(emu, "POST", "main.default.tx", body=b, status=404, code="CATALOG_DOES_NOT_EXIST")
    b = dict(body, time_series={"timestamp_col": "when", "granularities": ["1 day"]})
    e = err(emu, "POST", "main.default.tx", body=b)
    assert "when" in e["message"]
    b = dict(body, time_series={"timestamp_col": "ts", "granularities": ["2 days"]})
    err(emu, "POST", "main.default.tx", body=b)
    b = dict(body, snapshot={})
    err(emu, "POST", "main.default.tx", body=b)
    b = {k: v for k, v in body.items() if k != "assets_dir"}
    err(emu, "POST", "main.default.tx", body=b)
    b = dict(body, baseline_table_name="main.default.nobase")
    err(emu, "POST", "main.default.tx", body=b, status=404, code="TABLE_DOES_NOT_EXIST")
    for bad in ("no_such_col > 1", "amount) FROM main.default.other --", "1; DROP TABLE tx",
                "(amount", "amount FROM main.default.tx", ["amount"], ""):
        err(emu, "POST", "main.default.tx", body=dict(body, slicing_exprs=[bad]))
    il = {"problem_type": "PROBLEM_TYPE_CLASSIFICATION", "timestamp_col": "ts",
          "granularities": ["1 day"], "prediction_col": "amount", "model_id_col": "model"}
    b = {"assets_dir": "/x", "output_schema_name": "main.mon", "inference_log": il}
    e = err(emu, "POST", "main.default.tx", body=b)
    assert "model" in e["message"]
    b["inference_log"] = dict(il, model_id_col="channel", problem_type="PROBLEM_TYPE_RANKING")
    err(emu, "POST", "main.default.tx", body=b)
    b["inference_log"] = dict(il, model_id_col="channel", problem_type="PROBLEM_TYPE_REGRESSION",
                              label_col="channel")
    err(emu, "POST", "main.default.tx", body=b)
    # nothing was created by the failures
    err(emu, "GET", "main.default.tx", status=404, code="RESOURCE_DOES_NOT_EXIST")
    # a monitor goes with its table: a new table under the same name has none
    ok(emu, "POST", "main.default.tx", body=body)
    sql(emu, "DROP TABLE main.default.tx")
    err(emu, "GET", "main.default.tx", status=404, code="TABLE_DOES_NOT_EXIST")
    sql(emu, "CREATE TABLE main.default.tx (ts TIMESTAMP, amount DOUBLE, channel STRING)")
    err(emu, "GET", "main.default.tx", status=404, code="RESOURCE_DOES_NOT_EXIST")
    ok(emu, "POST", "main.default.tx", body=body)


# ---- refreshes ----------------------------------------------------------------------------------

def test_refresh_states_on_the_virtual_clock(emu):
    body = setup_ts(emu)
    emu.ctl("POST", "config", {"monitor_refresh_ms": 5000})
    ok(emu, "POST", "main.default.tx", body=body)
    first = ok(emu, "GET", "main.default.tx", "/refreshes")["refreshes"]
    assert [r["refresh_id"] for r in first] == [1] and first[0]["trigger"] == "MANUAL"
    assert first[0]["state"] == "RUNNING" and "end_time_ms" not in first[0]
    r2 = ok(emu, "POST", "main.default.tx", "/refreshes")
    assert (r2["refresh_id"], r2["state"], r2["trigger"]) == (2, "PENDING", "MANUAL")
    emu.advance(5000)
    r1 = ok(emu, "GET", "main.default.tx", "/refreshes/1")
    assert r1["state"] == "SUCCESS" and r1["end_time_ms"] - r1["start_time_ms"] >= 5000
    assert ok(emu, "GET", "main.default.tx", "/refreshes/2")["state"] == "RUNNING"
    emu.advance(5000)
    assert ok(emu, "GET", "main.default.tx", "/refreshes/2")["state"] == "SUCCESS"
    r3 = ok(emu, "POST", "main.default.tx", "/refreshes")
    assert ok(emu, "POST", "main.default.tx", "/refreshes/3/cancel") == {}
    c = ok(emu, "GET", "main.default.tx", "/refreshes/3")
    assert c["state"] == "CANCELED" and c["end_time_ms"] >= r3["start_time_ms"]
    err(emu, "POST", "main.default.tx", "/refreshes/3/cancel")
    err(emu, "GET", "main.default.tx", "/refreshes/99", status=404, code="RESOURCE_DOES_NOT_EXIST")
    err(emu, "GET", "main.default.tx", "/refreshes/abc")
    lst = ok(emu, "GET", "main.default.tx", "/refreshes")["refreshes"]
    assert [r["refresh_id"] for r in lst] == [3, 2, 1]      # newest first
    for _ in range(30):
        ok(emu, "POST", "main.default.tx", "/refreshes")
    assert len(ok(emu, "GET", "main.default.tx", "/refreshes")["refreshes"]) == 25


def test_refresh_fails_when_the_output_schema_is_gone(emu):
    body = setup_ts(emu)
    ok(emu, "POST", "main.default.tx", body=body)
    wait_refresh(emu, "main.default.tx", 1)
    sql(emu, "DROP SCHEMA main.mon CASCADE")
    r = ok(emu, "POST", "main.default.tx", "/refreshes")
    r = ok(emu, "GET", "main.default.tx", "/refreshes/%d" % r["refresh_id"])
    assert r["state"] == "FAILED" and "main.mon" in r["message"]


# ---- the metric tables ------------------------------------------------------------------------

def test_profile_metrics_numbers(emu):
    body = setup_ts(emu)
    insert(emu, "main.default.tx", [
        "('2024-03-01 10:00:00', 1.0, 'web')", "('2024-03-01 11:00:00', 2.0, 'web')",
        "('2024-03-01 12:00:00', 4.0, 'pos')", "('2024-03-01 13:00:00', NULL, NULL)",
        "('2024-03-02 10:00:00', 0.0, 'web')"])
    ok(emu, "POST", "main.default.tx", body=body)
    wait_refresh(emu, "main.default.tx", 1)
    rows = sql(emu, "SELECT window.start, window.`end`, granularity, log_type, column_name, count, "
                    "num_nulls, avg, min, max, stddev, median, distinct_count, percent_null, "
                    "num_zeros, frequent_items, data_type, monitor_version, slice_key, "
                    "logging_table_commit_version, window FROM main.mon.tx_profile_metrics "
                    "WHERE window.start = '2024-03-01 00:00:00' ORDER BY column_name")
    by = {r[4]: r for r in rows}
    assert set(by) == {":table", "amount", "channel"}
    t = by[":table"]
    assert t[:6] == [D1, D2, "1 day", "INPUT", ":table", "4"]
    assert t[20] == '{"start":"%s","end":"%s"}' % (D1, D2)
    a = by["amount"]
    assert a[5:7] == ["4", "1"]
    assert f(a[7]) == pytest.approx(7 / 3.0)
    assert (f(a[8]), f(a[9]), f(a[11])) == (1.0, 4.0, 2.0)
    assert f(a[10]) == pytest.approx(math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 2))
    assert a[12] == "3" and f(a[13]) == 25.0 and a[14] == "0" and a[16] == "double"
    assert a[17] == "0" and a[18] is None and a[19] == "1"
    c = by["channel"]
    assert c[15] == '[{"item":"web","count":2},{"item":"pos","count":1}]'
    assert c[7] is None and c[16] == "string"
    zero = sql(emu, "SELECT num_zeros, percent_zeros FROM main.mon.tx_profile_metrics WHERE "
                    "window.start = '2024-03-02 00:00:00' AND column_name = 'amount'")
    assert zero == [["1", "100.0"]]
    # consecutive drift: day 2 against day 1 (adjacent windows); no baseline given
    d = sql(emu, "SELECT drift_type, window_cmp.start, window_cmp.end, count_delta, avg_delta "
                 "FROM main.mon.tx_drift_metrics WHERE column_name = 'amount'")
    assert len(d) == 1 and d[0][:4] == ["CONSECUTIVE", D1, D2, "-3"]
    assert f(d[0][4]) == pytest.approx(-7 / 3.0)
    # the metric tables are ordinary UC tables
    st, info = emu.call("GET", UC + "main.mon.tx_profile_metrics")
    assert st == 200 and info["data_source_format"] == "DELTA"
    wc = [c for c in info["columns"] if c["name"] == "window"]
    assert wc[0]["type_name"] == "STRUCT" and wc[0]["type_text"] == "struct<start:timestamp,end:timestamp>"
    assert json.loads(wc[0]["type_json"])["type"]["fields"][0] == {
        "name": "start", "type": "timestamp", "nullable": True, "metadata": {}}
    assert not any(c["name"] in ("window_start", "ks_test_pvalue") for c in info["columns"])


def test_drift_numbers_by_hand(emu):
    body = setup_ts(emu)
    # day 1 (the comparison window): amount 1..10, channel 50 a / 50 b (in 100 rows)
    rows = []
    for k in range(100):
        rows.append("('2024-03-01 %02d:%02d:00', %s, '%s')" % (k // 60, k % 60,
                                                               "%d.0" % (k % 10 + 1) if k < 10 else "NULL",
                                                               "a" if k % 2 else "b"))
    # day 2: amount five 1s and five 2s, channel 80 a / 20 b
    for k in range(100):
        rows.append("('2024-03-02 %02d:%02d:00', %s, '%s')" % (k // 60, k % 60,
                                                               ("1.0" if k < 5 else "2.0") if k < 10 else "NULL",
                                                               "a" if k < 80 else "b"))
    insert(emu, "main.default.tx", rows)
    ok(emu, "POST", "main.default.tx", body=body)
    wait_refresh(emu, "main.default.tx", 1)
    got = sql(emu, "SELECT column_name, ks_test.statistic, ks_test.pvalue, wasserstein_distance, "
                   "population_stability_index, js_distance, chi_squared_test.statistic, "
                   "chi_squared_test.pvalue, tv_distance, l_infinity_distance, ks_test, "
                   "percent_null_delta FROM main.mon.tx_drift_metrics WHERE drift_type = "
                   "'CONSECUTIVE' AND column_name <> ':table' ORDER BY column_name")
    amount, channel = got
    # PSI: deciles of 1..10 (linear interpolation) put each reference value in its own bin;
    # the current values fall in bins 0 and 1 (0.5 each), the 8 empty bins count as 1e-4
    psi = 2 * (0.5 - 0.1) * math.log(0.5 / 0.1) + 8 * (1e-4 - 0.1) * math.log(1e-4 / 0.1)
    assert f(amount[4]) == pytest.approx(psi, rel=1e-12)
    assert f(amount[4]) == pytest.approx(6.8082, abs=1e-4)
    # JS distance (base 2) on the same bins: P = (.5, .5, 0 x 8), Q = (.1 x 10)
    mix = [0.3, 0.3] + [0.05] * 8
    p = [0.5, 0.5] + [0.0] * 8
    q = [0.1] * 10
    jsd = 0.5 * sum(a * math.log2(a / m) for a, m in zip(p, mix) if a) + \
        0.5 * sum(b * math.log2(b / m) for b, m in zip(q, mix))
    assert f(amount[5]) == pytest.approx(math.sqrt(jsd), rel=1e-12)
    # KS: the CDFs differ most at 2 (1.0 against 0.2); Wasserstein: mean shift 5.5 -> 1.5
    assert f(amount[1]) == pytest.approx(0.8)
    assert f(amount[3]) == pytest.approx(4.0)
    en = math.sqrt(10 * 10 / 20.0)
    assert f(amount[2]) == pytest.approx(M._probks((en + 0.12 + 0.11 / en) * 0.8), rel=1e-9)
    assert f(amount[2]) < 0.01
    assert amount[10] == '{"statistic":%r,"pvalue":%r}' % (f(amount[1]), f(amount[2])) or \
        '"statistic"' in amount[10]
    assert f(amount[11]) == 0.0
    assert amount[6] is None and amount[8] is None
    # chi-squared on (80, 20) against (50, 50): expected 65 / 35 in each row
    stat = 2 * 15 ** 2 / 65.0 + 2 * 15 ** 2 / 35.0
    assert f(channel[6]) == pytest.approx(stat, rel=1e-12)
    assert f(channel[7]) == pytest.approx(math.erfc(math.sqrt(stat / 2)), rel=1e-9)
    assert f(channel[8]) == pytest.approx(0.3) and f(channel[9]) == pytest.approx(0.3)
    cpsi = (0.8 - 0.5) * math.log(0.8 / 0.5) + (0.2 - 0.5) * math.log(0.2 / 0.5)
    assert f(channel[4]) == pytest.approx(cpsi, rel=1e-12)
    assert channel[1] is None and channel[3] is None


def test_statistics_functions():
    assert M.chi2_sf(2.0, 2) == pytest.approx(math.exp(-1.0), rel=1e-12)
    assert M.chi2_sf(3.841458820694124, 1) == pytest.approx(0.05, rel=1e-9)
    assert M.chi2_sf(18.307038053275146, 10) == pytest.approx(0.05, rel=1e-9)
    assert M.chi2_sf(0.5, 7) == pytest.approx(0.9994, abs=1e-4)
    assert M._probks(1.3580986393225505) == pytest.approx(0.05, rel=1e-6)
    assert M._probks(0.0) == 1.0
    assert M.roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert M.roc_auc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]) == pytest.approx(0.875)
    assert M.wasserstein([0, 1, 3], [5, 6, 8]) == pytest.approx(5.0)
    assert M.psi_edges([1, 1, 1, 1, 2]) == [1, 1.4000000000000004, 1.8000000000000007] or \
        len(M.psi_edges([1, 1, 1, 1, 2])) == 3
    assert M.js_distance([1.0, 0.0], [0.0, 1.0]) == pytest.approx(1.0)
    assert M.psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    d, p = M.ks_2samp([1, 2, 3], [1, 2, 3])
    assert d == 0.0 and p == 1.0


def test_injected_shift_stands_out_against_the_baseline(emu):
    setup_ts(emu)
    sql(emu, "CREATE TABLE main.default.tx2 (ts TIMESTAMP, amount DOUBLE, hour BIGINT, "
             "channel STRING, score DOUBLE)")
    sql(emu, "CREATE TABLE main.default.base (ts TIMESTAMP, amount DOUBLE, hour BIGINT, "
             "channel STRING, score DOUBLE)")
    rng = random.Random(20240301)

    def row(day, k, shift):
        return "('2024-03-%02d %02d:%02d:%02d', %r, %d, '%s', %r)" % (
            day, k % 24, k % 60, k % 59, rng.gauss(50.0 + shift, 10.0), rng.randrange(24),
            rng.choice(["web", "web", "pos", "app"]), rng.random())
    insert(emu, "main.default.base", [row(1, k, 0) for k in range(2000)])
    insert(emu, "main.default.tx2", [row(2, k, 0) for k in range(1500)] +
           [row(3, k, 15.0) for k in range(1500)])
    body = {"assets_dir": "/x", "output_schema_name": "main.mon",
            "time_series": {"timestamp_col": "ts", "granularities": ["1 day"]},
            "baseline_table_name": "main.default.base"}
    ok(emu, "POST", "main.default.tx2", body=body)
    wait_refresh(emu, "main.default.tx2", 1)
    got = sql(emu, "SELECT window.start, drift_type, column_name, population_stability_index, "
                   "ks_test.pvalue FROM main.mon.tx2_drift_metrics WHERE column_name <> ':table'")
    psi = {(r[0][8:10], r[1], r[2]): f(r[3]) for r in got}
    # day 3: amount shifted by 1.5 standard deviations
    assert psi[("03", "BASELINE", "amount")] > 0.25
    assert psi[("03", "CONSECUTIVE", "amount")] > 0.25
    for col in ("hour", "channel", "score"):
        for day, kind in (("02", "BASELINE"), ("03", "BASELINE"), ("03", "CONSECUTIVE")):
            assert psi[(day, kind, col)] < 0.1, (day, kind, col, psi[(day, kind, col)])
    assert psi[("02", "BASELINE", "amount")] < 0.1
    assert ("02", "CONSECUTIVE", "amount") not in psi     # no window before day 2
    pv = {(r[0][8:10], r[1], r[2]): f(r[4]) for r in got if r[4] is not None}
    assert pv[("03", "BASELINE", "amount")] < 1e-6
    # the baseline's own profile rows
    b = sql(emu, "SELECT count, window.start FROM main.mon.tx2_profile_metrics WHERE "
                 "log_type = 'BASELINE' AND column_name = ':table'")
    assert b == [["2000", None]]


def test_inference_log_classification_quality(emu):
    sql(emu, "CREATE SCHEMA main.mon")
    sql(emu, "CREATE TABLE main.default.inf (ts TIMESTAMP, model STRING, amount DOUBLE, "
             "pred BIGINT, label BIGINT, proba DOUBLE)")
    # model v1: 4 rows, 3 right; model v2: 2 rows, 1 right
    insert(emu, "main.default.inf", [
        "('2024-03-01 01:00:00', 'v1', 10.0, 1, 1, 0.9)",
        "('2024-03-01 02:00:00', 'v1', 20.0, 0, 0, 0.2)",
        "('2024-03-01 03:00:00', 'v1', 30.0, 1, 0, 0.6)",
        "('2024-03-01 04:00:00', 'v1', 40.0, 0, 0, 0.1)",
        "('2024-03-01 05:00:00', 'v2', 50.0, 1, 1, 0.7)",
        "('2024-03-01 06:00:00', 'v2', 60.0, 1, 0, 0.8)",
        "('2024-03-01 07:00:00', 'v2', 70.0, 0, NULL, 0.3)"])
    body = {"assets_dir": "/x", "output_schema_name": "main.mon", "inference_log": {
        "problem_type": "PROBLEM_TYPE_CLASSIFICATION", "timestamp_col": "ts",
        "granularities": ["1 day"], "prediction_col": "pred", "label_col": "label",
        "model_id_col": "model", "prediction_proba_col": "proba"}}
    m = ok(emu, "POST", "main.default.inf", body=body)
    assert m["inference_log"]["problem_type"] == "PROBLEM_TYPE_CLASSIFICATION"
    wait_refresh(emu, "main.default.inf", 1)
    rows = sql(emu, "SELECT model, count, accuracy_score, precision.macro, recall.macro, "
                    "f1_score.macro, precision.weighted, roc_auc_score, confusion_matrix "
                    "FROM main.mon.inf_profile_metrics WHERE column_name = ':table' "
                    "AND slice_key IS NULL ORDER BY model")
    by = {r[0]: r for r in rows}
    assert set(by) == {"*", "v1", "v2"}
    # all models: 6 labelled rows, 4 right; class 1: tp 2 fp 2 fn 0; class 0: tp 2 fp 0 fn 2
    a = by["*"]
    assert a[1] == "7" and f(a[2]) == pytest.approx(4 / 6.0)
    assert f(a[3]) == pytest.approx((0.5 + 1.0) / 2)
    assert f(a[4]) == pytest.approx((1.0 + 0.5) / 2)
    assert f(a[5]) == pytest.approx((2 * 0.5 / 1.5 + 2 * 0.5 / 1.5) / 2)
    assert f(a[6]) == pytest.approx((0.5 * 2 + 1.0 * 4) / 6.0)
    # AUC over the 6 labelled rows: positives 0.9, 0.7; negatives 0.2, 0.6, 0.1, 0.8: 0.9 beats
    # all 4, 0.7 beats 3 of them
    assert f(a[7]) == pytest.approx(7 / 8.0)
    assert a[8] == '{"labels":["0","1"],"matrix":[[2,2],[0,2]]}'
    assert f(by["v1"][2]) == pytest.approx(0.75) and f(by["v2"][2]) == pytest.approx(0.5)
    # label and prediction are categorical in a classification monitor
    fi = sql(emu, "SELECT frequent_items FROM main.mon.inf_profile_metrics WHERE model = '*' "
                  "AND column_name = 'pred'")
    assert fi == [['[{"item":"1","count":4},{"item":"0","count":3}]']]


def test_inference_log_regression_and_slices(emu):
    sql(emu, "CREATE SCHEMA main.mon")
    sql(emu, "CREATE TABLE main.default.reg (ts TIMESTAMP, model_version STRING, x DOUBLE, "
             "pred DOUBLE, label DOUBLE)")
    insert(emu, "main.default.reg", [
        "('2024-03-01 01:00:00', '1', 1.0, 2.0, 1.0)", "('2024-03-01 02:00:00', '1', 2.0, 2.0, 3.0)",
        "('2024-03-01 03:00:00', '1', 3.0, 5.0, 5.0)", "('2024-03-01 04:00:00', '1', 4.0, 4.0, 7.0)"])
    body = {"assets_dir": "/x", "output_schema_name": "main.mon", "inference_log": {
        "problem_type": "PROBLEM_TYPE_REGRESSION", "timestamp_col": "ts",
        "granularities": ["1 day", "1 hour"], "prediction_col": "pred", "label_col": "label",
        "model_id_col": "model_version"}, "slicing_exprs": ["x > 2"]}
    ok(emu, "POST", "main.default.reg", body=body)
    wait_refresh(emu, "main.default.reg", 1)
    r = sql(emu, "SELECT mean_squared_error, root_mean_squared_error, mean_absolute_error, r2_score, "
                 "mean_absolute_percentage_error FROM main.mon.reg_profile_metrics WHERE "
                 "column_name = ':table' AND model_version = '*' AND granularity = '1 day' "
                 "AND slice_key IS NULL")
    # errors 1, -1, 0, -3: mse 11/4, mae 5/4; labels mean 4, sst 20
    mse, rmse, mae, r2, mape = (f(x) for x in r[0])
    assert mse == pytest.approx(11 / 4.0) and rmse == pytest.approx(math.sqrt(11 / 4.0))
    assert mae == pytest.approx(5 / 4.0) and r2 == pytest.approx(1 - 11 / 20.0)
    assert mape == pytest.approx((1 + 1 / 3.0 + 0 + 3 / 7.0) / 4)
    s = sql(emu, "SELECT slice_value, count FROM main.mon.reg_profile_metrics WHERE "
                 "column_name = ':table' AND model_version = '*' AND granularity = '1 day' "
                 "AND slice_key = 'x > 2' ORDER BY slice_value")
    assert s == [["false", "2"], ["true", "2"]]
    hours = sql(emu, "SELECT count(*) FROM main.mon.reg_profile_metrics WHERE granularity = '1 hour' "
                     "AND column_name = ':table' AND slice_key IS NULL AND model_version = '*'")
    assert hours == [["4"]]
    # hourly windows are adjacent: consecutive drift rows for hours 2..4
    cons = sql(emu, "SELECT count(*) FROM main.mon.reg_drift_metrics WHERE granularity = '1 hour' "
                    "AND column_name = ':table' AND slice_key IS NULL AND model_version = '*' "
                    "AND drift_type = 'CONSECUTIVE'")
    assert cons == [["3"]]


def test_snapshot_refreshes_add_windows(emu):
    sql(emu, "CREATE SCHEMA main.mon")
    sql(emu, "CREATE TABLE main.default.snap (v DOUBLE, c STRING)")
    insert(emu, "main.default.snap", ["(%d.0, 'a')" % k for k in range(10)])
    ok(emu, "POST", "main.default.snap", body={"assets_dir": "/x", "output_schema_name": "main.mon",
                                                "snapshot": {}})
    wait_refresh(emu, "main.default.snap", 1)
    assert sql(emu, "SELECT count(*) FROM main.mon.snap_drift_metrics") == [["0"]]
    insert(emu, "main.default.snap", ["(%d.0, 'b')" % k for k in range(100, 110)])
    emu.advance(2000)
    r = ok(emu, "POST", "main.default.snap", "/refreshes")
    wait_refresh(emu, "main.default.snap", r["refresh_id"])
    w = sql(emu, "SELECT count, window.start FROM main.mon.snap_profile_metrics WHERE "
                 "column_name = ':table' ORDER BY window.start")
    assert [x[0] for x in w] == ["10", "20"] and w[0][1] < w[1][1]
    d = sql(emu, "SELECT count_delta, drift_type FROM main.mon.snap_drift_metrics WHERE "
                 "column_name = ':table'")
    assert d == [["10", "CONSECUTIVE"]]
    h = sql(emu, "DESCRIBE HISTORY main.mon.snap_profile_metrics")
    assert len(h) >= 3


# ---- STRUCT columns of the metric tables (the engine's field access) ----------------------------

def stmt(emu, text, params=None):
    body = {"statement": text, "warehouse_id": WH, "wait_timeout": "30s"}
    if params:
        body["parameters"] = params
    st, b = emu.call("POST", S, body)
    assert st == 200, b
    return b


def two_days(emu):
    body = setup_ts(emu)
    insert(emu, "main.default.tx", [
        "('2024-03-01 10:00:00', 1.0, 'web')", "('2024-03-01 11:00:00', 2.0, 'pos')",
        "('2024-03-02 10:00:00', 9.0, 'web')", "('2024-03-02 11:00:00', 8.0, 'web')"])
    ok(emu, "POST", "main.default.tx", body=body)
    wait_refresh(emu, "main.default.tx", 1)


def test_struct_field_typed_and_named(emu):
    two_days(emu)
    b = stmt(emu, "SELECT window.start, window.end AS e, ks_test.pvalue, column_name "
                  "FROM main.mon.tx_drift_metrics WHERE column_name = 'amount'")
    assert b["status"]["state"] == "SUCCEEDED", b
    cols = b["manifest"]["schema"]["columns"]
    assert [(c["name"], c["type_name"], c["type_text"]) for c in cols] == [
        ("start", "TIMESTAMP", "TIMESTAMP"), ("e", "TIMESTAMP", "TIMESTAMP"),
        ("pvalue", "DOUBLE", "DOUBLE"), ("column_name", "STRING", "STRING")]
    assert b["result"]["data_array"][0][:2] == [D2, "2024-03-03T00:00:00.000Z"]
    assert 0.0 <= f(b["result"]["data_array"][0][2]) <= 1.0
    # quoted parts, alias.col.field, nested path through the table name
    q = sql(emu, "SELECT `window`.`start`, m.window.start, m.`window_cmp`.`start` "
                 "FROM main.mon.tx_drift_metrics m WHERE m.column_name = 'amount'")
    assert q == [[D2, D2, D1]]
    q = sql(emu, "SELECT a.window.start, tx_drift_metrics.window_cmp.start FROM "
                 "main.mon.tx_drift_metrics a JOIN main.mon.tx_drift_metrics ON a.column_name = "
                 "tx_drift_metrics.column_name WHERE a.column_name = 'amount'")
    assert q == [[D2, D1]]


def test_struct_field_compares_and_sorts_as_time(emu):
    two_days(emu)
    b = stmt(emu, "SELECT count FROM main.mon.tx_profile_metrics WHERE window.start >= :since "
                  "AND column_name = ':table'",
             [{"name": "since", "value": "2024-03-01T12:00:00.000Z", "type": "TIMESTAMP"}])
    assert b["status"]["state"] == "SUCCEEDED", b
    assert b["result"]["data_array"] == [["2"]]
    got = sql(emu, "SELECT window.start FROM main.mon.tx_profile_metrics WHERE column_name = "
                   "':table' ORDER BY window.start DESC")
    assert got == [[D2], [D1]]
    got = sql(emu, "SELECT column_name FROM main.mon.tx_profile_metrics WHERE column_name <> "
                   "':table' AND window.start < TIMESTAMP '2024-03-02' ORDER BY window.end, column_name")
    assert got == [["amount"], ["channel"]]


def test_whole_struct_and_complex_columns(emu):
    two_days(emu)
    b = stmt(emu, "SELECT window, ks_test, non_null_columns_delta FROM main.mon.tx_drift_metrics "
                  "WHERE column_name = 'amount'")
    assert b["status"]["state"] == "SUCCEEDED", b
    cols = b["manifest"]["schema"]["columns"]
    assert [(c["type_name"], c["type_text"]) for c in cols] == [
        ("STRUCT", "STRUCT<start: TIMESTAMP, end: TIMESTAMP>"),
        ("STRUCT", "STRUCT<statistic: DOUBLE, pvalue: DOUBLE>"),
        ("STRUCT", "STRUCT<added: INT, missing: INT>")]
    w, ks, _ = b["result"]["data_array"][0]
    assert json.loads(w) == {"start": D2, "end": "2024-03-03T00:00:00.000Z"}
    assert set(json.loads(ks)) == {"statistic", "pvalue"}
    b = stmt(emu, "SELECT quantiles, frequent_items FROM main.mon.tx_profile_metrics "
                  "WHERE column_name = 'amount' AND window.start = '2024-03-01 00:00:00'")
    cols = b["manifest"]["schema"]["columns"]
    assert [(c["type_name"], c["type_text"]) for c in cols] == [
        ("ARRAY", "ARRAY<DOUBLE>"), ("ARRAY", "ARRAY<STRUCT<item: STRING, count: BIGINT>>")]
    assert json.loads(b["result"]["data_array"][0][0])[0] == 1.0
    # SELECT * carries the struct types too
    b = stmt(emu, "SELECT * FROM main.mon.tx_drift_metrics LIMIT 1")
    c0 = b["manifest"]["schema"]["columns"][0]
    assert (c0["name"], c0["type_name"]) == ("window", "STRUCT")


def test_struct_field_errors(emu):
    two_days(emu)
    b = stmt(emu, "SELECT window.begin FROM main.mon.tx_drift_metrics")
    assert b["status"]["state"] == "FAILED", b
    e = b["status"]["error"]
    assert e["error_code"] == "BAD_REQUEST" and "[FIELD_NOT_FOUND]" in e["message"]
    assert "`begin`" in e["message"] and "`start`, `end`" in e["message"]
    b = stmt(emu, "SELECT count(*) FROM main.mon.tx_drift_metrics WHERE ks_test.pvalue.x > 0")
    assert b["status"]["state"] == "FAILED" and "[INVALID_EXTRACT_BASE_FIELD_TYPE]" in \
        b["status"]["error"]["message"], b
    # the flattened columns of earlier emulator versions are gone
    b = stmt(emu, "SELECT window_start FROM main.mon.tx_drift_metrics")
    assert b["status"]["state"] == "FAILED", b


def test_table_alias_named_like_a_struct_column(emu):
    two_days(emu)
    # `ks_test` names the table here: ks_test.column_name is the table's column and
    # ks_test.ks_test.pvalue the struct field
    got = sql(emu, "SELECT ks_test.column_name, CASE WHEN ks_test.ks_test.pvalue IS NULL THEN 'no' ELSE 'yes' END "
                   "FROM main.mon.tx_drift_metrics AS ks_test WHERE ks_test.column_name <> ':table' "
                   "ORDER BY ks_test.column_name")
    assert got == [["amount", "yes"], ["channel", "no"]]
    # `window` stays a column name (WINDOW is also a clause keyword)
    got = sql(emu, "SELECT count(window), count(*) FROM main.mon.tx_drift_metrics GROUP BY window")
    assert got == [["3", "3"]]


def test_struct_nested_path_in_process():
    from dbx_emulator import apis
    from dbx_emulator.sql_exec import run_statement
    from dbx_emulator.sql_lexer import SqlError
    from dbx_emulator.sql_types import parse_complex
    from dbx_emulator.state import State
    state = State(reset_hooks=apis.load_all())
    eng = state.uc
    try:
        c = parse_complex("STRUCT<a STRUCT<b: TIMESTAMP, ok: BOOLEAN>, n: BIGINT>")   # no colon: ok
        assert c.type_text() == "STRUCT<a: STRUCT<b: TIMESTAMP, ok: BOOLEAN>, n: BIGINT>"
        assert c.uc_type_text() == "struct<a:struct<b:timestamp,ok:boolean>,n:bigint>"
        c.name = "s"
        from dbx_emulator.sql_types import Col
        t = eng.new_table("main", "default", "nest", [c, Col("id", "LONG")], "u", state.now_ms())
        eng.db.execute('INSERT INTO "%s" VALUES (?, 1), (?, 2)' % t.sq, (
            json.dumps({"a": {"b": "2024-01-02 03:04:05", "ok": True}, "n": 5}),
            json.dumps({"a": {"b": "2023-01-01 00:00:00", "ok": False}, "n": 7})))

        def run(q):
            r = run_statement(eng, q, {}, None, None, "u", state.now_ms())
            vals = eng.db.execute('SELECT * FROM "%s"' % r.table).fetchall()
            return [(x.name, x.type_name) for x in r.cols], vals
        cols, vals = run("SELECT s.a.b, s.A.OK AS k, nest.s.n FROM nest ORDER BY s.a.b")
        assert cols == [("b", "TIMESTAMP"), ("k", "BOOLEAN"), ("n", "LONG")]
        assert vals == [("2023-01-01 00:00:00", 0, 7), ("2024-01-02 03:04:05", 1, 5)]
        cols, vals = run("SELECT s.a FROM nest WHERE s.a.ok")
        assert cols == [("a", "STRUCT")]
        assert json.loads(vals[0][0]) == {"b": "2024-01-02 03:04:05", "ok": True}
        from dbx_emulator.sql_types import complex_out_text
        assert json.loads(complex_out_text(vals[0][0], "STRUCT<b: TIMESTAMP, ok: BOOLEAN>")) == \
            {"b": "2024-01-02T03:04:05.000Z", "ok": True}
        with pytest.raises(SqlError) as e:
            run("SELECT s.a.zz FROM nest")
        assert (e.value.error_class, e.value.sql_state) == ("FIELD_NOT_FOUND", "42704")
    finally:
        eng.close()


def test_struct_field_in_cte_and_subquery(emu):
    two_days(emu)
    b = stmt(emu, "WITH d AS (SELECT window.start, ks_test.pvalue FROM main.mon.tx_drift_metrics "
                  "WHERE column_name = 'amount') SELECT start, pvalue IS NOT NULL AS has_p FROM d")
    assert b["status"]["state"] == "SUCCEEDED", b
    assert [c["name"] for c in b["manifest"]["schema"]["columns"]] == ["start", "has_p"]
    assert b["result"]["data_array"][0][0].startswith("2024-03-02")
    got = sql(emu, "SELECT count(*) FROM (SELECT DISTINCT window.start FROM "
                   "main.mon.tx_profile_metrics) q WHERE q.start >= '2024-03-02 00:00:00'")
    assert got == [["1"]]
