"""libdbx.compat.datarobot against the emulator: DataRobot's call shapes, Databricks' requests."""

import datetime
import io
import json
import math
import os
import shutil
import tempfile

import pytest

import libdbx
import libdbx.compat.datarobot as dr

from conftest import TOKEN

E = "/api/2.0/serving-endpoints"
WH = "5eedc0ffee000001"
MLMODEL = (b"artifact_path: model\nflavors:\n  python_function:\n    loader_module: x\n"
           b"signature:\n  inputs: '[{\"type\": \"double\", \"name\": \"amount\"}, "
           b"{\"type\": \"double\", \"name\": \"hour\"}]'\n  outputs: '[{\"type\": \"double\"}]'\n")
MODEL_V1 = {"flavor": "logistic", "features": ["amount", "hour"], "intercept": -3.2, "coefficients": [0.8, 0.1]}
MODEL_V2 = {"flavor": "logistic", "features": ["amount", "hour"], "intercept": 1.0, "coefficients": [0.0, 0.0]}
UC = "main.default.fraud"


def p1(amount, hour):
    return 1 / (1 + math.exp(-(-3.2 + 0.8 * amount + 0.1 * hour)))


@pytest.fixture
def drc(emu):
    c = dr.Client(token=TOKEN, endpoint=emu.base, warehouse_id=WH, no_env=True, no_config_file=True,
                  retry_initial_delay=0.01, retry_max_delay=0.05)
    yield c
    c.close()


def register(c, model_json):
    d = tempfile.mkdtemp(prefix="dbx-dr-")
    try:
        with open(os.path.join(d, "MLmodel"), "wb") as f:
            f.write(MLMODEL)
        with open(os.path.join(d, "model.json"), "w") as f:
            json.dump(model_json, f)
        return c.dbx.registry.register_uc_version(UC, d, create_model=True)
    finally:
        shutil.rmtree(d)


def deploy(drc, emu, label="fraud-scoring", **kw):
    register(drc, MODEL_V1)
    return dr.Deployment.create_from_registered_model_version("models:/%s/1" % UC, label, **kw)


# ---- client -----------------------------------------------------------------------------------

def test_client_one_source_rule_and_options(emu, monkeypatch, tmp_path):
    with pytest.raises(dr.ClientError) as ei:
        dr.Client(token=TOKEN, no_env=True, no_config_file=True)
    assert "one source only" in str(ei.value) and ei.value.status_code is None
    with pytest.raises(dr.ClientError):
        dr.Client(endpoint=emu.base)
    with pytest.raises(dr.ClientError, match="not a DataRobot"):
        dr.Client(token=TOKEN, endpoint="https://app.datarobot.com/api/v2")
    # host from the environment, token from a config file: two sources
    cfg = tmp_path / "cfg"
    cfg.write_text("[DEFAULT]\ntoken = %s\n" % TOKEN)
    monkeypatch.setenv("DATABRICKS_HOST", emu.base)
    monkeypatch.delenv("DATABRICKS_TOKEN", raising=False)
    with pytest.raises(dr.ClientError, match="host from env, token from config"):
        dr.Client(config_path=str(cfg))
    # both from the config file: accepted; DataRobot's variables are never read
    cfg.write_text("[DEFAULT]\nhost = %s\ntoken = %s\n" % (emu.base, TOKEN))
    monkeypatch.delenv("DATABRICKS_HOST")
    monkeypatch.setenv("DATAROBOT_ENDPOINT", "https://app.datarobot.com/api/v2")
    monkeypatch.setenv("DATAROBOT_API_TOKEN", "dr-secret")
    c = dr.Client(config_path=str(cfg), max_retries=0, ssl_verify=False)
    try:
        assert c.endpoint == emu.base and dr._default is c
        assert c.dbx.config_source("host") == "config"
        assert list(dr.Deployment.list()) == []
        hdr = {k.lower(): v for k, v in emu.last(E)["headers"].items()}
        assert hdr.get("authorization", "").startswith("Bearer ")  # the request log redacts the value
    finally:
        c.close()
    assert dr._default is None
    with pytest.raises(dr.ClientError, match="ssl_verify"):
        dr.Client(token=TOKEN, endpoint=emu.base, ssl_verify=3)


# ---- deployments ------------------------------------------------------------------------------

def test_create_get_list_delete(drc, emu):
    dep = deploy(drc, emu, importance="HIGH", additional_metadata=[{"key": "team", "value": "risk"}],
                 description="card fraud", max_wait=30)
    body = emu.requests(E)[0]["json"]
    assert body["name"] == "fraud-scoring" and body["description"] == "card fraud"
    assert body["config"]["served_entities"][0]["entity_name"] == UC
    assert body["config"]["served_entities"][0]["entity_version"] == "1"
    assert {"key": "importance", "value": "HIGH"} in body["tags"]
    assert {"key": "team", "value": "risk"} in body["tags"]
    assert dep.id == dep.label == "fraud-scoring" and len(dep.endpoint_id) == 32
    assert dep.status == "READY" and dep.config_update == "NOT_UPDATING"
    assert dep.model == {"name": UC, "version": "1", "served_entity": "main-default-fraud-1",
                         "traffic_percentage": 100}
    assert dep.service_health is None and dep.model_health is None and dep.accuracy_health is None
    # the alias points at the served version
    assert drc.dbx.registry.get_version_by_alias(UC, "champion").version == 1

    got = dr.Deployment.get("fraud-scoring")
    assert got.description == "card fraud" and got.tags["team"] == "risk"
    drc.dbx.serving.create("churn", entities=[{"entity_name": UC, "entity_version": "1"}],
                           description="Churn model")
    assert [d.label for d in dr.Deployment.list(order_by="-label")] == ["fraud-scoring", "churn"]
    assert [d.label for d in dr.Deployment.list(search="CHURN")] == ["churn"]
    assert [d.label for d in dr.Deployment.list(search="card")] == ["fraud-scoring"]
    with pytest.raises(dr.ClientError, match="no such value"):
        dr.Deployment.list(order_by="serviceHealth")
    with pytest.raises(dr.ClientError, match="filters"):
        dr.Deployment.list(filters={"status": "active"})
    with pytest.raises(dr.ClientError, match="prediction servers"):
        dr.Deployment.create_from_registered_model_version("models:/%s/1" % UC, "x",
                                                           default_prediction_server_id="5c0a")
    with pytest.raises(dr.ClientError, match="model reference"):
        dr.Deployment.create_from_registered_model_version("5c0a969859b3d6c0e4a1e4f1", "x")
    dep.delete()
    assert emu.last(E + "/fraud-scoring")["method"] == "DELETE"
    with pytest.raises(dr.ClientError) as ei:
        dr.Deployment.get("fraud-scoring")
    assert ei.value.status_code == 404 and ei.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert isinstance(ei.value.__cause__, libdbx.NotFound)


def test_predict_batch_sources_keep_row_order(drc, emu, tmp_path):
    dep = deploy(drc, emu)
    csv_text = "amount,hour\n" + "".join("%d,%d\n" % (i % 7, i % 24) for i in range(25))
    path = tmp_path / "tx.csv"
    path.write_text(csv_text)
    want = [p1(i % 7, i % 24) for i in range(25)]
    for src in (str(path), io.StringIO(csv_text), io.BytesIO(csv_text.encode()),
                [{"amount": i % 7, "hour": i % 24} for i in range(25)]):
        got = dep.predict_batch(src, max_rows_per_request=10)
        if hasattr(got, "to_dict"):
            got = got.to_dict(orient="records")
        assert [round(r["prediction"], 12) for r in got] == [round(w, 12) for w in want]
    inv = emu.requests("/serving-endpoints/fraud-scoring/invocations")
    assert len(inv) == 4 * 3  # 25 rows in requests of at most 10
    # the chunks go out in parallel: the one holding rows 0..9 is any of the first source's three
    chunks = [r["json"]["dataframe_split"] for r in inv[:3]]
    first = [c for c in chunks if c["data"][0] == [0, 0]]
    assert len(first) == 1 and first[0]["columns"] == ["amount", "hour"] and first[0]["data"][1] == [1, 1]
    assert sorted(len(c["data"]) for c in chunks) == [5, 10, 10]
    with pytest.raises(dr.ClientError, match="line 3 has 1 cells"):
        dep.predict_batch(io.StringIO("amount,hour\n1,2\n3\n"))
    with pytest.raises(dr.ClientError) as ei:
        dep.predict_batch([{"amount": 1}])  # the model's own refusal
    assert ei.value.status_code == 400 and "missing inputs" in ei.value.message


def test_replace_model_updates_config_alias_and_reason(drc, emu):
    dep = deploy(drc, emu)
    register(drc, MODEL_V2)
    with pytest.raises(dr.ClientError, match="reason must be one of"):
        dep.replace_model(2, "because")
    dep.replace_model(2, dr.enums.MODEL_REPLACEMENT_REASON.DATA_DRIFT, max_wait=30)
    put = emu.last(E + "/fraud-scoring/config")["json"]
    ent = put["served_entities"]
    assert len(ent) == 1 and ent[0]["entity_name"] == UC and ent[0]["entity_version"] == "2"
    assert put["traffic_config"]["routes"] == [{"served_entity_name": "main-default-fraud-2",
                                                "traffic_percentage": 100}]
    assert dep.model["version"] == "2" and dep.tags["replacement_reason"] == "DATA_DRIFT"
    assert drc.dbx.registry.get_version_by_alias(UC, "champion").version == 2
    # the new model answers (intercept 1.0, no weights)
    got = dep.predict_batch([{"amount": 5, "hour": 1}])
    got = got.to_dict(orient="records") if hasattr(got, "to_dict") else got
    assert got[0]["prediction"] == pytest.approx(1 / (1 + math.exp(-1.0)))
    # a version that cannot be served: ServerError, the old one keeps serving
    with pytest.raises(dr.ServerError, match="version 9 does not exist"):
        dep.replace_model("models:/%s/9" % UC, "OTHER", max_wait=30)
    again = dr.Deployment.get("fraud-scoring")
    assert again.model["version"] == "2" and again.tags["replacement_reason"] == "DATA_DRIFT"
    assert drc.dbx.registry.get_version_by_alias(UC, "champion").version == 2


def test_submit_actuals_to_delta(drc, emu):
    dep = deploy(drc, emu)
    with pytest.raises(dr.ClientError, match="inference table"):
        dep.submit_actuals([{"association_id": "a", "actual_value": 1}])
    drc.dbx.request("PUT", E + "/fraud-scoring/ai-gateway", {"inference_table_config": {
        "catalog_name": "main", "schema_name": "default", "table_name_prefix": "fraud", "enabled": True}})
    rows = [{"association_id": "t-%d" % i, "actual_value": i % 2, "was_acted_on": i == 0,
             "timestamp": datetime.datetime(2026, 11, 30, 12, 0, i, tzinfo=datetime.timezone.utc)}
            for i in range(5)]
    rows.append({"association_id": "t-5", "actual_value": 1, "timestamp": "2026-11-30T13:00:00"})
    dep.submit_actuals(rows, batch_size=4)
    stmts = [r["json"]["statement"] for r in emu.requests("/api/2.0/sql/statements")]
    assert any("CREATE TABLE IF NOT EXISTS" in s and "fraud_actuals" in s for s in stmts)
    assert sum(1 for s in stmts if s.startswith("INSERT INTO")) == 2  # 6 rows, 4 per statement
    got = drc.dbx.sql.execute(WH, "SELECT association_id, actual_value, was_acted_on, timestamp, deployment_id "
                                  "FROM main.default.fraud_actuals ORDER BY association_id").fetchall()
    assert [r[0] for r in got] == ["t-%d" % i for i in range(6)]
    assert got[1][1] == 1.0 and got[0][2] is True and got[5][2] is None
    assert got[2][3] == datetime.datetime(2026, 11, 30, 12, 0, 2) or str(got[2][3]).startswith("2026-11-30")
    assert got[0][4] == "fraud-scoring"
    for bad, msg in (([{"actual_value": 1}], "association_id is required"),
                     ([{"association_id": "x" * 129, "actual_value": 1}], "128"),
                     ([{"association_id": "a"}], "actual_value is required"),
                     ([{"association_id": "a", "actual_value": 1, "timestamp": "yesterday"}], "ISO 8601")):
        n = len(emu.requests("/api/2.0/sql/statements"))
        with pytest.raises(dr.ClientError, match=msg):
            dep.submit_actuals(bad)
        assert len(emu.requests("/api/2.0/sql/statements")) == n  # nothing sent
    with pytest.raises(dr.ClientError, match="batch_size"):
        dep.submit_actuals(rows, batch_size=10001)


def test_service_stats_are_the_endpoint_counters(drc, emu):
    dep = deploy(drc, emu)
    dep.predict_batch([{"amount": 1, "hour": 2}])
    dep.predict_batch([{"amount": 1, "hour": 2}])
    with pytest.raises(dr.ClientError):
        dep.predict_batch([{"amount": 1}])
    s = dep.get_service_stats()
    assert emu.last(E + "/fraud-scoring/metrics")["method"] == "GET"
    assert s["totalRequests"] == 3 and s["totalPredictions"] == 2
    assert s["userErrorRate"] == pytest.approx(1 / 3) and s["serverErrorRate"] == 0
    assert s["responseTime"] is not None
    for k in ("slowRequests", "cacheHitRatio", "medianLoad", "peakLoad", "numConsumers", "executionTime"):
        assert s[k] is None
    assert dep.get_service_stats(model_id="nope")["totalRequests"] is None
    with pytest.raises(dr.ClientError, match="cumulative"):
        dep.get_service_stats(start_time=datetime.datetime(2026, 1, 1))


# ---- projects and models ----------------------------------------------------------------------

def test_project_get_models_over_run_search(drc, emu):
    ml = drc.dbx.mlflow
    exp = ml.create_experiment("/Users/me/fraud")
    for name, auc in (("gbm", 0.91), ("logit", 0.87), ("rf", 0.89)):
        with ml.start_run(exp, run_name=name) as run:
            run.log_metric("auc", auc)
            run.log_param("algo", name)
    proj = dr.Project.get("/Users/me/fraud")
    assert proj.id == exp and dr.Project.get(exp).project_name == "/Users/me/fraud"
    models = proj.get_models(order_by="-metric", with_metric="auc")
    assert [m.model_type for m in models] == ["gbm", "rf", "logit"]
    assert emu.last("/api/2.0/mlflow/runs/search")["json"]["order_by"] == ["metrics.`auc` DESC"]
    assert models[0].metrics["auc"] == 0.91 and models[0].params["algo"] == "gbm"
    assert models[0].project_id == exp and len(models[0].id) == 32
    assert [m.model_type for m in proj.get_models(search_params={"name": "log"})] == ["logit"]
    with pytest.raises(dr.ClientError, match="with_metric"):
        proj.get_models(order_by="metric")
    assert [p.project_name for p in dr.Project.list(search_params={"project_name": "fraud"})] == ["/Users/me/fraud"]
    with pytest.raises(dr.ClientError) as ei:
        dr.Project.get("/nope")
    assert ei.value.status_code == 404


# ---- MLOps reporting --------------------------------------------------------------------------

def test_mlops_reports_to_delta(drc, emu, monkeypatch):
    monkeypatch.setenv("MLOPS_DEPLOYMENT_ID", "fraud-scoring")
    m = dr.MLOps()
    with pytest.raises(dr.DRApiException, match="set_delta_spooler"):
        m.set_model_id("main.default.fraud/1").init()
    m = dr.MLOps().set_model_id("main.default.fraud/1").set_delta_spooler("main.default").set_async_reporting(True)
    with pytest.raises(dr.DRApiException, match="not initialized"):
        m.report_deployment_stats(1, 2.0)
    m.init()
    with pytest.raises(dr.DRAlreadyInitialized):
        m.init()
    with pytest.raises(dr.DRApiException, match="num_predictions"):
        m.report_deployment_stats("10", 5.0)
    with pytest.raises(dr.DRApiException, match="execution_time_ms"):
        m.report_deployment_stats(10, "fast")
    m.report_deployment_stats(10, 12.5, batch_id="b1")
    m.report_predictions_data(features_df=[{"amount": 1.5, "hour": 3}, {"amount": 2.0, "hour": 4}],
                              predictions=[[0.9, 0.1], [0.2, 0.8]], class_names=["ok", "fraud"],
                              association_ids=["t-1", "t-2"])
    m.report_predictions_data(predictions=[0.25], association_ids=["t-3"])
    with pytest.raises(dr.DRApiException, match="class_names"):
        m.report_predictions_data(predictions=[[0.5, 0.5]])
    with pytest.raises(dr.DRApiException, match="association_ids has 1"):
        m.report_predictions_data(predictions=[0.1, 0.2], association_ids=["x"])
    sql = drc.dbx.sql
    st = sql.execute(WH, "SELECT deployment_id, model_id, batch_id, num_predictions, execution_time_ms, "
                         "user_error FROM main.default.fraud_scoring_deployment_stats").fetchall()
    assert [tuple(r) for r in st] == [("fraud-scoring", "main.default.fraud/1", "b1", 10, 12.5, False)]
    pr = sql.execute(WH, "SELECT association_id, prediction, predicted_class, class_probabilities, features "
                         "FROM main.default.fraud_scoring_predictions ORDER BY association_id").fetchall()
    assert [r[0] for r in pr] == ["t-1", "t-2", "t-3"]
    assert pr[0][1] == 0.1 and pr[0][2] == "ok" and json.loads(pr[1][3]) == {"ok": 0.2, "fraud": 0.8}
    assert json.loads(pr[0][4]) == {"amount": 1.5, "hour": 3}
    assert pr[2][1] == 0.25 and pr[2][2] is None and pr[2][4] is None
    m.shutdown()
    with pytest.raises(dr.DRApiException, match="shut down"):
        m.report_deployment_stats(1, 1.0)
