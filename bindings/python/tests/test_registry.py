"""client.registry (workspace registry and Unity Catalog models) against the emulator: requests
sent and results read."""

import os
import shutil
import tempfile

import pytest

import libdbx
from libdbx.registry import ModelVersion, RegisteredModel

WS = "/api/2.0/mlflow"
UCL = "/api/2.0/mlflow/unity-catalog"
UCN = "/api/2.1/unity-catalog/models"
SRC_DIR = "/Volumes/main/default/v/model"
SRC = "dbfs:" + SRC_DIR
MLMODEL = (b"artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n"
           b"signature:\n  inputs: '[{\"type\": \"double\", \"name\": \"x\"}]'\n"
           b"  outputs: '[{\"type\": \"double\"}]'\n  params: null\nmlflow_version: 2.9.2\n")


def put_volume_model(client):
    client.files.upload(SRC_DIR + "/MLmodel", MLMODEL)
    client.files.upload(SRC_DIR + "/model.pkl", b"pickle")


@pytest.fixture
def model_dir():
    d = tempfile.mkdtemp(prefix="dbx-py-reg-")
    with open(os.path.join(d, "MLmodel"), "wb") as f:
        f.write(MLMODEL)
    with open(os.path.join(d, "model.pkl"), "wb") as f:
        f.write(bytes(range(256)) * 400)
    os.mkdir(os.path.join(d, "code"))
    with open(os.path.join(d, "code", "util.py"), "w") as f:
        f.write("x = 1\n")
    yield d
    shutil.rmtree(d)


def uc_schema(client, cat="ml", sch="prod"):
    client.catalog.catalogs.create(cat)
    client.catalog.schemas.create(cat, sch)


# ---- workspace: models ----------------------------------------------------------------------

def test_ws_model_create_get_update_rename_delete(client, emu):
    reg = client.registry.workspace
    m = reg.create_model("fraud", description="detects fraud", tags={"team": "risk"})
    body = emu.last(WS + "/registered-models/create")["json"]
    assert body["name"] == "fraud" and body["description"] == "detects fraud"
    assert body["tags"] == [{"key": "team", "value": "risk"}]
    assert isinstance(m, RegisteredModel)
    assert m.registry == "workspace" and m.name == "fraud" and m.description == "detects fraud"
    assert m.tags == {"team": "risk"} and m.catalog_name == "" and m.creation_timestamp > 0

    got = reg.get_model("fraud")
    assert got.name == "fraud" and got.tags == {"team": "risk"}
    assert emu.last(WS + "/registered-models/get")["query"]["name"] == ["fraud"]
    assert got.raw["name"] == "fraud"

    up = reg.update_model("fraud", "better")
    assert emu.last(WS + "/registered-models/update")["json"]["description"] == "better"
    assert up.description == "better"

    reg.set_model_tag("fraud", "tier", "gold")
    assert emu.last(WS + "/registered-models/set-tag")["json"] == {"name": "fraud", "key": "tier", "value": "gold"}
    reg.delete_model_tag("fraud", "team")
    assert emu.last(WS + "/registered-models/delete-tag")["query"]["key"] == ["team"]
    assert reg.get_model("fraud").tags == {"tier": "gold"}

    r = reg.rename_model("fraud", "fraud2")
    assert emu.last(WS + "/registered-models/rename")["json"]["new_name"] == "fraud2"
    assert r.name == "fraud2"
    with pytest.raises(libdbx.AlreadyExists):
        reg.create_model("fraud2")
    reg.delete_model("fraud2")
    assert emu.last(WS + "/registered-models/delete")["query"]["name"] == ["fraud2"]
    with pytest.raises(libdbx.NotFound) as ei:
        reg.get_model("fraud2")
    assert ei.value.error_code == "RESOURCE_DOES_NOT_EXIST" and ei.value.http_status == 404


def test_ws_search_models_is_lazy_and_pages(client, emu):
    reg = client.registry.workspace
    for i in range(5):
        reg.create_model("m%d" % i)
    reg.create_model("other")
    n_before = len(emu.requests(WS + "/registered-models/search"))
    it = reg.search_models("name LIKE 'm%'", order_by=["name DESC"], page_size=2)
    assert len(emu.requests(WS + "/registered-models/search")) == n_before  # lazy
    names = [m.name for m in it]
    assert names == ["m4", "m3", "m2", "m1", "m0"]
    reqs = emu.requests(WS + "/registered-models/search")
    assert len(reqs) == 3
    assert reqs[0]["query"]["filter"] == ["name LIKE 'm%'"]
    assert reqs[0]["query"]["order_by"] == ["name DESC"]
    assert reqs[0]["query"]["max_results"] == ["2"]
    assert [m.name for m in reg.search_models(max_items=3)] == ["m0", "m1", "m2"]


# ---- workspace: versions, waits, stages, aliases ---------------------------------------------

def test_ws_versions(client, emu):
    put_volume_model(client)
    reg = client.registry.workspace
    reg.create_model("m")
    mv = reg.create_version("m", SRC, description="first", tags={"k": "v"}, run_link="https://example/run")
    body = emu.last(WS + "/model-versions/create")["json"]
    assert body["source"] == SRC and body["run_link"] == "https://example/run"
    assert body["tags"] == [{"key": "k", "value": "v"}]
    assert isinstance(mv, ModelVersion)
    assert mv.version == 1 and isinstance(mv.version, int)
    assert mv.status == "PENDING_REGISTRATION" and mv.stage == "None" and mv.tags == {"k": "v"}

    ready = reg.wait_ready("m", 1)
    assert ready.status == "READY" and ready.ready
    assert emu.last(WS + "/model-versions/get")["query"]["version"] == ["1"]

    up = reg.update_version("m", 1, "better")
    assert emu.last(WS + "/model-versions/update")["json"]["version"] == "1"
    assert up.description == "better"
    reg.set_version_tag("m", 1, "q", "9")
    assert emu.last(WS + "/model-versions/set-tag")["json"]["key"] == "q"
    reg.delete_version_tag("m", 1, "k")
    assert emu.last(WS + "/model-versions/delete-tag")["query"]["key"] == ["k"]
    assert reg.get_version("m", 1).tags == {"q": "9"}
    assert reg.get_download_uri("m", 1) == SRC
    assert emu.last(WS + "/model-versions/get-download-uri")["query"]["version"] == ["1"]

    for _ in range(4):
        reg.create_version("m", SRC)
    seen = sorted(v.version for v in reg.search_versions("m", page_size=2))
    assert seen == [1, 2, 3, 4, 5]
    reqs = emu.requests(WS + "/model-versions/search")
    assert len(reqs) == 3 and reqs[0]["query"]["filter"] == ["name = 'm'"]
    got = list(reg.search_versions("m", filter="tags.q = '9'"))
    assert [v.version for v in got] == [1]
    assert emu.last(WS + "/model-versions/search")["query"]["filter"] == ["name = 'm' AND tags.q = '9'"]

    reg.delete_version("m", 5)
    assert emu.last(WS + "/model-versions/delete")["query"]["version"] == ["5"]
    with pytest.raises(libdbx.NotFound) as ei:
        reg.get_version("m", 5)
    assert "version=5" in str(ei.value)
    with pytest.raises(libdbx.InvalidArgument):
        reg.get_version("m", 0)
    with pytest.raises(TypeError):
        reg.get_version("m", "one")


def test_ws_wait_progress_failure_timeout_and_interrupt(client, emu):
    put_volume_model(client)
    reg = client.registry  # default registry: a one-part name is the workspace registry
    emu.config(registry_pending_ms=3500)
    reg.create_model("w")
    reg.create_version("w", SRC)
    seen = []

    def progress(name, status):
        seen.append((name, status))
        emu.advance(1000)

    mv = reg.wait_ready("w", 1, timeout=60, progress=progress, poll_interval=0.01, poll_max=0.02)
    assert mv.status == "READY"
    assert len(seen) == 5 and seen[-1][1] == "READY"
    assert seen[0][1] == "PENDING_REGISTRATION"

    emu.config(registry_pending_ms=0)
    reg.create_version("w", "dbfs:/nowhere/model")
    with pytest.raises(libdbx.OperationFailed) as ei:
        reg.wait_ready("w", 2, poll_interval=0.01)
    assert "dbfs:/nowhere/model" in str(ei.value)
    assert ei.value.last.status == "FAILED_REGISTRATION"
    assert "dbfs:/nowhere/model" in ei.value.last.status_message

    emu.config(registry_pending_ms=999999999)
    reg.create_version("w", SRC)
    with pytest.raises(libdbx.Timeout) as ei:
        reg.wait_ready("w", 3, timeout=0.05, poll_interval=0.01, poll_max=0.01)
    assert ei.value.last.status == "PENDING_REGISTRATION"

    calls = []

    def interrupt(name, status):
        calls.append(status)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reg.wait_ready("w", 3, timeout=60, progress=interrupt, poll_interval=0.01, poll_max=0.01)
    assert len(calls) == 2

    class Boom(Exception):
        pass

    def boom(name, status):
        raise Boom("from the callback")

    with pytest.raises(Boom):
        reg.wait_ready("w", 3, timeout=60, progress=boom, poll_interval=0.01)


def test_ws_stages_and_latest_versions(client, emu):
    put_volume_model(client)
    reg = client.registry.workspace
    reg.create_model("s")
    for _ in range(3):
        reg.create_version("s", SRC)
    reg.wait_ready("s", 3)
    mv = reg.transition_stage("s", 1, "staging", comment="go")
    body = emu.last(WS + "/databricks/model-versions/transition-stage")["json"]
    assert body["stage"] == "Staging" and body["comment"] == "go"
    assert body["archive_existing_versions"] is False and body["version"] == "1"
    assert mv.stage == "Staging"
    reg.transition_stage("s", 2, "Staging", archive_existing_versions=True)
    assert reg.get_version("s", 1).stage == "Archived"
    reg.transition_stage("s", 3, "Production")
    latest = reg.get_latest_versions("s")
    assert {v.stage: v.version for v in latest} == {"Staging": 2, "Production": 3, "Archived": 1}
    prod = reg.get_latest_versions("s", stages=["production"])
    assert [v.version for v in prod] == [3]
    assert emu.last(WS + "/registered-models/get-latest-versions")["json"]["stages"] == ["Production"]
    with pytest.raises(libdbx.InvalidArgument):
        reg.transition_stage("s", 1, "Shipping")
    with pytest.raises(libdbx.InvalidArgument):
        reg.get_latest_versions("s", stages=["Shipping"])
    assert [v.version for v in reg.get_model("s").latest_versions] != []


def test_ws_aliases(client, emu):
    put_volume_model(client)
    reg = client.registry.workspace
    reg.create_model("a")
    reg.create_version("a", SRC)
    reg.create_version("a", SRC)
    reg.set_alias("a", "champion", 1)
    body = emu.last(WS + "/registered-models/alias")["json"]
    assert body == {"name": "a", "alias": "champion", "version": "1"}
    reg.set_alias("a", "champion", 2)
    mv = reg.get_version_by_alias("a", "champion")
    assert mv.version == 2 and mv.aliases == ("champion",)
    assert reg.get_model("a").aliases == {"champion": 2}
    reg.delete_alias("a", "champion")
    assert emu.last(WS + "/registered-models/alias")["method"] == "DELETE"
    with pytest.raises(libdbx.NotFound):
        reg.get_version_by_alias("a", "champion")
    n = len(emu.requests())
    with pytest.raises(libdbx.InvalidArgument):
        reg.set_alias("a", "latest", 1)
    assert len(emu.requests()) == n  # checked before any request


def test_registry_choice_and_unsupported_calls(client, emu):
    n = len(emu.requests())
    with pytest.raises(libdbx.NotImplementedByService):
        client.registry.uc.transition_stage("c.s.m", 1, "Staging")
    with pytest.raises(libdbx.NotImplementedByService):
        client.registry.uc.get_latest_versions("c.s.m")
    with pytest.raises(libdbx.NotImplementedByService):
        client.registry.workspace.finalize_version("m", 1)
    with pytest.raises(libdbx.InvalidArgument) as ei:
        client.registry.uc.create_model("c.s")
    assert "catalog.schema.model" in str(ei.value)
    assert len(emu.requests()) == n
    with pytest.raises(libdbx.InvalidArgument):
        libdbx.registry.RegistryAPI(client, "mlflow")
    assert client.registry.registry == "default"
    assert client.registry is client.registry


def test_registry_uri_option(emu):
    from conftest import TOKEN
    with libdbx.Client(host=emu.base, token=TOKEN, no_env=True, no_config_file=True,
                       registry_uri="databricks-uc") as c:
        with pytest.raises(libdbx.InvalidArgument) as ei:
            c.registry.get_model("fraud")  # UC, and not a three-part name
        assert "catalog.schema.model" in str(ei.value)


# ---- Unity Catalog --------------------------------------------------------------------------

def test_uc_models_and_listing(client, emu):
    uc_schema(client)
    reg = client.registry
    m = reg.create_model("ml.prod.fraud", description="uc model")
    body = emu.last(UCN)["json"]
    assert body["catalog_name"] == "ml" and body["schema_name"] == "prod" and body["comment"] == "uc model"
    assert m.registry == "uc" and m.name == "ml.prod.fraud" and m.catalog_name == "ml"
    assert m.schema_name == "prod" and m.description == "uc model"
    reg.create_model("ml.prod.churn")
    names = [x.name for x in reg.search_models(catalog_name="ml", schema_name="prod", page_size=1)]
    assert sorted(names) == ["ml.prod.churn", "ml.prod.fraud"]
    q = emu.last(UCN)["query"]
    assert q["catalog_name"] == ["ml"] and q["schema_name"] == ["prod"]
    up = reg.update_model("ml.prod.fraud", "v2")
    assert emu.last(UCN + "/ml.prod.fraud")["json"]["comment"] == "v2" and up.description == "v2"
    r = reg.rename_model("ml.prod.churn", "churn2")
    assert r.name == "ml.prod.churn2"
    reg.set_model_tag("ml.prod.fraud", "k", "v")
    assert emu.last(UCL + "/registered-models/set-tag")["json"]["key"] == "k"
    reg.delete_model_tag("ml.prod.fraud", "k")
    assert emu.last(UCL + "/registered-models/delete-tag")["query"]["key"] == ["k"]
    with pytest.raises(libdbx.NotImplementedByService):
        list(client.registry.uc.search_models("name LIKE 'x'"))
    reg.delete_model("ml.prod.churn2")
    assert emu.last(UCN + "/ml.prod.churn2")["method"] == "DELETE"


def test_uc_register_version_in_one_call(client, emu, model_dir):
    uc_schema(client)
    files = []
    polls = []
    mv = client.registry.register_uc_version(
        "ml.prod.fraud", model_dir, run_id="0123456789abcdef0123456789abcdef", description="by libdbx",
        tags={"git": "abc"}, create_model=True, on_file=lambda rel, size: files.append((rel, size)),
        progress=lambda name, status: polls.append(status), timeout=60, poll_interval=0.01)
    assert mv.version == 1 and mv.status == "READY" and mv.stage is None
    assert mv.name == "ml.prod.fraud" and mv.description == "by libdbx"
    assert mv.storage_location.startswith("s3://")
    assert sorted(files) == [("MLmodel", len(MLMODEL)), ("code/util.py", 6), ("model.pkl", 102400)]
    assert polls and polls[-1] == "READY"
    body = emu.last(UCL + "/model-versions/create")["json"]
    assert body["source"] == "runs:/0123456789abcdef0123456789abcdef/model"
    assert body["tags"] == [{"key": "git", "value": "abc"}]
    assert emu.last(UCL + "/model-versions/finalize")["json"]["version"] == "1"
    assert len(emu.requests("/api/2.0/fs/files/Models/ml/prod/fraud/1/model.pkl")) == 1

    # a second version, then the UC version calls
    mv2 = client.registry.register_uc_version("ml.prod.fraud", model_dir)
    assert mv2.version == 2
    assert emu.last(UCL + "/model-versions/create")["json"]["source"].startswith("file:///")
    reg = client.registry.uc
    g = reg.get_version("ml.prod.fraud", 2)
    assert g.registry == "uc" and g.version == 2
    assert emu.last(UCN + "/ml.prod.fraud/versions/2")["query"]["include_aliases"] == ["true"]
    assert reg.update_version("ml.prod.fraud", 2, "second").description == "second"
    assert emu.last(UCN + "/ml.prod.fraud/versions/2")["json"]["comment"] == "second"
    assert sorted(v.version for v in reg.search_versions("ml.prod.fraud", page_size=1)) == [1, 2]
    reg.set_alias("ml.prod.fraud", "champion", 2)
    assert emu.last(UCN + "/ml.prod.fraud/aliases/champion")["json"]["version_num"] == 2
    assert reg.get_version_by_alias("ml.prod.fraud", "champion").version == 2
    assert reg.get_model("ml.prod.fraud").aliases == {"champion": 2}
    assert reg.get_download_uri("ml.prod.fraud", 2)
    reg.set_version_tag("ml.prod.fraud", 2, "k", "v")
    assert emu.last(UCL + "/model-versions/set-tag")["json"]["version"] == "2"
    reg.delete_version_tag("ml.prod.fraud", 2, "k")
    reg.delete_alias("ml.prod.fraud", "champion")
    reg.delete_version("ml.prod.fraud", 1)
    with pytest.raises(libdbx.NotFound):
        reg.get_version("ml.prod.fraud", 1)


def test_uc_create_finalize_wait_by_hand(client, emu):
    uc_schema(client)
    reg = client.registry.uc
    reg.create_model("ml.prod.m")
    mv = reg.create_version("ml.prod.m", "runs:/abc/model", run_id="abc")
    assert mv.version == 1 and mv.status == "PENDING_REGISTRATION"
    client.files.upload("/Models/ml/prod/m/1/MLmodel", MLMODEL)
    f = reg.finalize_version("ml.prod.m", 1)
    assert emu.last(UCL + "/model-versions/finalize")["json"] == {"name": "ml.prod.m", "version": "1"}
    assert f.version == 1
    assert reg.wait_ready("ml.prod.m", 1, poll_interval=0.01).status == "READY"


def test_uc_register_failures_keep_the_version(client, emu, model_dir, tmp_path):
    uc_schema(client)
    with pytest.raises(libdbx.NotFound):
        client.registry.register_uc_version("ml.prod.nope", model_dir)
    # no signature: refused locally
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "MLmodel").write_text("artifact_path: model\n")
    n = len(emu.requests())
    with pytest.raises(libdbx.InvalidArgument) as ei:
        client.registry.register_uc_version("ml.prod.x", bare, create_model=True)
    assert "signature" in str(ei.value)
    assert len(emu.requests()) == n

    # an exception from on_file stops the upload; the version stays, its number is reported
    class Stop(Exception):
        pass

    def on_file(rel, size):
        raise Stop(rel)

    with pytest.raises(Stop) as ei:
        client.registry.register_uc_version("ml.prod.fraud", model_dir, create_model=True, on_file=on_file)
    assert ei.value.version == 1
    assert client.registry.get_version("ml.prod.fraud", 1).status == "PENDING_REGISTRATION"
    assert emu.requests(UCL + "/model-versions/finalize") == []
