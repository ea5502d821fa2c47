"""Tests for the emulator's model registries: the workspace registry (apis/registry.py) and Unity
Catalog models (apis/uc_models.py).

Run: /usr/bin/python3 -m pytest tests/emulator -q -p no:cacheprovider
"""

import base64
import json
import urllib.parse

import pytest

from test_emulator import Emu, start_emulator, stop_emulator

M = "/api/2.0/mlflow"
MLMODEL = (b"artifact_path: model\nflavors:\n  python_function:\n    loader_module: x\n"
           b"signature:\n  inputs: '[{\"type\": \"double\", \"name\": \"x\"}]'\n"
           b"  outputs: '[{\"type\": \"double\"}]'\n")


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    proc, info = start_emulator(tmp_path_factory.mktemp("emu-registry"))
    try:
        yield Emu(info)
    finally:
        stop_emulator(proc)


@pytest.fixture(autouse=True)
def _reset(emu):
    emu.ctl("POST", "reset")
    yield


def call(emu, method, op, body=None, query=None, base=M):
    path = base + op
    if query:
        path += "?" + urllib.parse.urlencode(query, doseq=True)
    return emu.call(method, path, body)


def ok(emu, method, op, body=None, query=None, base=M):
    st, b = call(emu, method, op, body, query, base)
    assert st == 200, (st, b)
    return b


def err(emu, method, op, body=None, query=None, status=400, code="INVALID_PARAMETER_VALUE",
        base=M):
    st, b = call(emu, method, op, body, query, base)
    assert (st, b["error_code"]) == (status, code), (st, b)
    return b["message"]


def dbfs_put(emu, path, data):
    st, b = emu.call("POST", "/api/2.0/dbfs/put", {
        "path": path, "contents": base64.b64encode(data).decode(), "overwrite": True})
    assert st == 200, b


def files_put(emu, path, data):
    st, _, body = emu.raw("PUT", "/api/2.0/fs/files" + path, data,
                          headers={"Content-Type": "application/octet-stream"})
    assert st == 204, body


def mv(emu, name, v):
    return ok(emu, "GET", "/model-versions/get", query={"name": name, "version": v})["model_version"]


# ---- workspace registry: registered models -------------------------------------------------------

def test_model_create_get_update_rename_delete(emu):
    r = ok(emu, "POST", "/registered-models/create",
           {"name": "fraud", "description": "d", "tags": [{"key": "team", "value": "risk"}]})
    m = r["registered_model"]
    assert m["name"] == "fraud" and m["description"] == "d"
    assert m["tags"] == [{"key": "team", "value": "risk"}]
    assert isinstance(m["creation_timestamp"], int) and m["user_id"]
    assert "latest_versions" not in m and "aliases" not in m
    msg = err(emu, "POST", "/registered-models/create", {"name": "fraud"},
              code="RESOURCE_ALREADY_EXISTS")
    assert msg == "Registered Model (name=fraud) already exists."
    err(emu, "POST", "/registered-models/create", {})
    err(emu, "POST", "/registered-models/create", {"name": "x", "tags": [{"key": "k" * 251,
                                                                          "value": "v"}]})
    g = ok(emu, "GET", "/registered-models/get", query={"name": "fraud"})["registered_model"]
    assert g == m
    msg = err(emu, "GET", "/registered-models/get", query={"name": "nope"}, status=404,
              code="RESOURCE_DOES_NOT_EXIST")
    assert msg == "Registered Model with name=nope not found"
    emu.advance(1000)
    u = ok(emu, "PATCH", "/registered-models/update", {"name": "fraud", "description": "new"})
    assert u["registered_model"]["description"] == "new"
    assert u["registered_model"]["last_updated_timestamp"] > m["last_updated_timestamp"]
    ok(emu, "POST", "/registered-models/create", {"name": "other"})
    err(emu, "POST", "/registered-models/rename", {"name": "fraud", "new_name": "other"},
        code="RESOURCE_ALREADY_EXISTS")
    ok(emu, "POST", "/model-versions/create", {"name": "fraud", "source": "dbfs:/nowhere"})
    r = ok(emu, "POST", "/registered-models/rename", {"name": "fraud", "new_name": "fraud2"})
    assert r["registered_model"]["name"] == "fraud2"
    assert mv(emu, "fraud2", "1")["name"] == "fraud2"
    err(emu, "GET", "/registered-models/get", query={"name": "fraud"}, status=404,
        code="RESOURCE_DOES_NOT_EXIST")
    # delete takes query parameters (or a JSON body) and cascades to versions
    ok(emu, "DELETE", "/registered-models/delete", query={"name": "fraud2"})
    err(emu, "GET", "/model-versions/get", query={"name": "fraud2", "version": "1"}, status=404,
        code="RESOURCE_DOES_NOT_EXIST")
    st, b = emu.call("DELETE", M + "/registered-models/delete", {"name": "other"})
    assert st == 200 and b == {}
    err(emu, "DELETE", "/registered-models/delete", query={"name": "other"}, status=404,
        code="RESOURCE_DOES_NOT_EXIST")


def test_databricks_get_and_preview_alias(emu):
    ok(emu, "POST", "/registered-models/create", {"name": "m"}, base="/api/2.0/preview/mlflow")
    d = ok(emu, "GET", "/registered-models/get", query={"name": "m"},
           base=M + "/databricks")["registered_model_databricks"]
    assert d["name"] == "m" and d["permission_level"] == "CAN_MANAGE" and len(d["id"]) == 32


def test_model_tags(emu):
    ok(emu, "POST", "/registered-models/create", {"name": "m"})
    ok(emu, "POST", "/registered-models/set-tag", {"name": "m", "key": "a", "value": "1"})
    ok(emu, "POST", "/registered-models/set-tag", {"name": "m", "key": "a", "value": "2"})
    ok(emu, "POST", "/registered-models/set-tag", {"name": "m", "key": "b", "value": ""})
    m = ok(emu, "GET", "/registered-models/get", query={"name": "m"})["registered_model"]
    assert m["tags"] == [{"key": "a", "value": "2"}, {"key": "b", "value": ""}]
    err(emu, "POST", "/registered-models/set-tag", {"name": "m", "key": "a", "value": "v" * 5001})
    err(emu, "POST", "/registered-models/set-tag", {"name": "m", "key": "a"})
    err(emu, "POST", "/registered-models/set-tag", {"name": "zz", "key": "a", "value": "1"},
        status=404, code="RESOURCE_DOES_NOT_EXIST")
    ok(emu, "DELETE", "/registered-models/delete-tag", query={"name": "m", "key": "a"})
    ok(emu, "DELETE", "/registered-models/delete-tag", query={"name": "m", "key": "a"})
    m = ok(emu, "GET", "/registered-models/get", query={"name": "m"})["registered_model"]
    assert m["tags"] == [{"key": "b", "value": ""}]


# ---- versions: the registration state machine ----------------------------------------------------

def test_version_ready_from_dbfs_and_files_sources(emu):
    ok(emu, "POST", "/registered-models/create", {"name": "m"})
    dbfs_put(emu, "/models/m1/MLmodel", MLMODEL)
    dbfs_put(emu, "/models/m1/data/model.pkl", b"\x00\x01pickle")
    r = ok(emu, "POST", "/model-versions/create",
           {"name": "m", "source": "dbfs:/models/m1", "run_id": "abc", "description": "first",
            "tags": [{"key": "k", "value": "v"}]})["model_version"]
    assert r["version"] == "1" and r["status"] == "PENDING_REGISTRATION"
    assert r["current_stage"] == "None" and r["source"] == "dbfs:/models/m1"
    assert r["run_id"] == "abc" and r["description"] == "first"
    assert r["tags"] == [{"key": "k", "value": "v"}]
    v = mv(emu, "m", "1")
    assert v["status"] == "READY" and "status_message" not in v
    files_put(emu, "/Volumes/main/default/vol/mdl/MLmodel", MLMODEL)
    files_put(emu, "/Volumes/main/default/vol/mdl/conda.yaml", b"name: x\n")
    r = ok(emu, "POST", "/model-versions/create",
           {"name": "m", "source": "dbfs:/Volumes/main/default/vol/mdl"})["model_version"]
    assert r["version"] == "2" and r["status"] == "PENDING_REGISTRATION"
    assert mv(emu, "m", 2)["status"] == "READY"
    u = ok(emu, "GET", "/model-versions/get-download-uri", query={"name": "m", "version": "2"})
    assert u == {"artifact_uri": "dbfs:/Volumes/main/default/vol/mdl"}
    u = ok(emu, "GET", "/model-versions/get-download-uri", query={"name": "m", "version": "1"})
    assert u == {"artifact_uri": "dbfs:/models/m1"}
    # the files were copied at registration: later changes to the source do not matter
    dbfs_put(emu, "/models/m1/MLmodel", b"changed")
    st, files = emu.call("GET", "/__emulator/registry/files?name=m&version=1", token=None)
    assert st == 200 and base64.b64decode(files["files"]["MLmodel"]) == MLMODEL
    assert sorted(files["files"]) == ["MLmodel", "data/model.pkl"]


def test_version_failed_registration(emu):
    ok(emu, "POST", "/registered-models/create", {"name": "m"})
    ok(emu, "POST", "/model-versions/create", {"name": "m", "source": "dbfs:/missing/model"})
    v = mv(emu, "m", "1")
    assert v["status"] == "FAILED_REGISTRATION"
    assert "dbfs:/missing/model" in v["status_message"]
    dbfs_put(emu, "/nomlmodel/x.txt", b"x")
    ok(emu, "POST", "/model-versions/create", {"name": "m", "source": "dbfs:/nomlmodel"})
    v = mv(emu, "m", "2")
    assert v["status"] == "FAILED_REGISTRATION" and "MLmodel" in v["status_message"]
    ok(emu, "POST", "/model-versions/create", {"name": "m", "source": "runs:/0123abcd/model"})
    v = mv(emu, "m", "3")
    assert v["status"] == "FAILED_REGISTRATION" and "runs:/0123abcd/model" in v["status_message"]
    ok(emu, "POST", "/model-versions/create", {"name": "m", "source": "models:/m/1"})
    assert mv(emu, "m", "4")["status"] == "FAILED_REGISTRATION"
    err(emu, "POST", "/model-versions/create", {"name": "m"})
    err(emu, "POST", "/model-versions/create", {"name": "zz", "source": "dbfs:/x"}, status=404,
        code="RESOURCE_DOES_NOT_EXIST")
    msg = err(emu, "GET", "/model-versions/get", query={"name": "m", "version": "9"}, status=404,
              code="RESOURCE_DOES_NOT_EXIST")
    assert msg == "Model Version (name=m, version=9) not found"
    err(emu, "GET", "/model-versions/get", query={"name": "m", "version": "x"})


def test_pending_on_the_virtual_clock(emu):
    emu.ctl("POST", "config", {"registry_pending_ms": 5000})
    ok(emu, "POST", "/registered-models/create", {"name": "m"})
    dbfs_put(emu, "/mm/MLmodel", MLMODEL)
    ok(emu, "POST", "/model-versions/create", {"name": "m", "source": "dbfs:/mm"})
    assert mv(emu, "m", "1")["status"] == "PENDING_REGISTRATION"
    emu.advance(4000)
    assert mv(emu, "m", "1")["status"] == "PENDING_REGISTRATION"
    # not READY: not among the latest versions
    assert ok(emu, "POST", "/registered-models/get-latest-versions", {"name": "m"}) == {}
    emu.advance(1500)
    assert mv(emu, "m", "1")["status"] == "READY"


def test_version_numbers_update_delete_tags(emu):
    ok(emu, "POST", "/registered-models/create", {"name": "m"})
    for _ in range(3):
        ok(emu, "POST", "/model-versions/create", {"name": "m", "source": "dbfs:/x"})
    ok(emu, "DELETE", "/model-versions/delete", query={"name": "m", "version": "3"})
    r = ok(emu, "POST", "/model-versions/create", {"name": "m", "source": "dbfs:/x"})
    assert r["model_version"]["version"] == "4"  # numbers are never reused
    r = ok(emu, "PATCH", "/model-versions/update", {"name": "m", "version": "2",
                                                     "description": "two"})
    assert r["model_version"]["description"] == "two"
    ok(emu, "POST", "/model-versions/set-tag", {"name": "m", "version": "2", "key": "k",
                                                "value": "v"})
    assert mv(emu, "m", "2")["tags"] == [{"key": "k", "value": "v"}]
    err(emu, "POST", "/model-versions/set-tag", {"name": "m", "version": "2", "key": "k",
                                                 "value": "v" * 5001})
    ok(emu, "DELETE", "/model-versions/delete-tag", query={"name": "m", "version": "2", "key": "k"})
    assert "tags" not in mv(emu, "m", "2")
    err(emu, "DELETE", "/model-versions/delete", query={"name": "m", "version": "3"}, status=404,
        code="RESOURCE_DOES_NOT_EXIST")


def _run_with_model(emu):
    """A run whose artifacts hold model/MLmodel and model/data/w.bin, uploaded the MLflow way
    (credentials-for-write, then PUT to the signed URL without the workspace token)."""
    eid = ok(emu, "POST", "/experiments/create", {"name": "/Users/u@example.com/reg"})
    eid = eid["experiment_id"]
    run = ok(emu, "POST", "/runs/create", {"experiment_id": eid})["run"]["info"]
    files = {"model/MLmodel": MLMODEL, "model/data/w.bin": b"\x01" * 64}
    infos = ok(emu, "POST", "/artifacts/credentials-for-write",
               {"run_id": run["run_id"], "path": list(files)})["credential_infos"]
    for info in infos:
        u = urllib.parse.urlsplit(info["signed_uri"])
        st, _, body = emu.raw("PUT", u.path + "?" + u.query, files[info["path"]], token=None,
                              server="other")
        assert st == 200, body
    return run


def test_version_from_run_artifacts(emu):
    run = _run_with_model(emu)
    rid = run["run_id"]
    ok(emu, "POST", "/registered-models/create", {"name": "m"})
    r = ok(emu, "POST", "/model-versions/create",
           {"name": "m", "source": "runs:/%s/model" % rid, "run_id": rid})["model_version"]
    assert r["status"] == "PENDING_REGISTRATION"
    assert mv(emu, "m", "1")["status"] == "READY"
    u = ok(emu, "GET", "/model-versions/get-download-uri", query={"name": "m", "version": "1"})
    assert u["artifact_uri"] == run["artifact_uri"] + "/model"
    assert u["artifact_uri"].startswith("dbfs:/databricks/mlflow-tracking/")
    st, files = emu.call("GET", "/__emulator/registry/files?name=m&version=1", token=None)
    assert st == 200 and sorted(files["files"]) == ["MLmodel", "data/w.bin"]
    # the artifact URI form of the same source
    ok(emu, "POST", "/model-versions/create",
       {"name": "m", "source": run["artifact_uri"] + "/model"})
    assert mv(emu, "m", "2")["status"] == "READY"
    # a path with no artifacts under it fails
    ok(emu, "POST", "/model-versions/create", {"name": "m", "source": "runs:/%s/nothing" % rid})
    v = mv(emu, "m", "3")
    assert v["status"] == "FAILED_REGISTRATION" and "runs:/%s/nothing" % rid in v["status_message"]
    ok(emu, "POST", "/model-versions/create", {"name": "m", "source": "runs:/%s/model" % ("0" * 32)})
    assert mv(emu, "m", "4")["status"] == "FAILED_REGISTRATION"


# ---- stages --------------------------------------------------------------------------------------

def _ready_versions(emu, name, n):
    dbfs_put(emu, "/src/MLmodel", MLMODEL)
    ok(emu, "POST", "/registered-models/create", {"name": name})
    for _ in range(n):
        ok(emu, "POST", "/model-versions/create", {"name": name, "source": "dbfs:/src"})


def test_stages_archiving_and_latest(emu):
    _ready_versions(emu, "m", 4)
    r = ok(emu, "POST", "/model-versions/transition-stage",
           {"name": "m", "version": "1", "stage": "production", "archive_existing_versions": False})
    assert r["model_version"]["current_stage"] == "Production"
    ok(emu, "POST", "/model-versions/transition-stage",
       {"name": "m", "version": "2", "stage": "PRODUCTION", "archive_existing_versions": False})
    assert mv(emu, "m", "1")["current_stage"] == "Production"
    ok(emu, "POST", "/model-versions/transition-stage",
       {"name": "m", "version": "3", "stage": "Staging", "archive_existing_versions": False})
    # latest: one per stage (highest READY version), in stage order
    lv = ok(emu, "POST", "/registered-models/get-latest-versions", {"name": "m"})["model_versions"]
    assert [(v["current_stage"], v["version"]) for v in lv] == [
        ("None", "4"), ("Staging", "3"), ("Production", "2")]
    lv = ok(emu, "GET", "/registered-models/get-latest-versions",
            query={"name": "m", "stages": ["production", "Staging"]})["model_versions"]
    assert [v["version"] for v in lv] == ["3", "2"]
    m = ok(emu, "GET", "/registered-models/get", query={"name": "m"})["registered_model"]
    assert [v["version"] for v in m["latest_versions"]] == ["4", "3", "2"]
    # archive_existing_versions moves the others in the target stage to Archived
    r = ok(emu, "POST", "/model-versions/transition-stage",
           {"name": "m", "version": "4", "stage": "Production", "archive_existing_versions": True})
    assert r["model_version"]["current_stage"] == "Production"
    assert [mv(emu, "m", v)["current_stage"] for v in "1234"] == [
        "Archived", "Archived", "Staging", "Production"]
    err(emu, "POST", "/model-versions/transition-stage",
        {"name": "m", "version": "1", "stage": "Prod", "archive_existing_versions": False})
    err(emu, "POST", "/model-versions/transition-stage",
        {"name": "m", "version": "1", "stage": "Archived", "archive_existing_versions": True})
    err(emu, "POST", "/model-versions/transition-stage", {"name": "m", "version": "1",
                                                          "stage": "Staging"})
    err(emu, "POST", "/registered-models/get-latest-versions", {"name": "m", "stages": ["x"]})
    # the Databricks variant answers model_version_databricks
    r = ok(emu, "POST", "/model-versions/transition-stage",
           {"name": "m", "version": "1", "stage": "none", "archive_existing_versions": False,
            "comment": "back"}, base=M + "/databricks")
    assert r["model_version_databricks"]["current_stage"] == "None"
    assert r["model_version_databricks"]["permission_level"] == "CAN_MANAGE"


# ---- aliases -------------------------------------------------------------------------------------

def test_aliases_move_and_drop(emu):
    _ready_versions(emu, "m", 2)
    ok(emu, "POST", "/registered-models/alias", {"name": "m", "alias": "champion", "version": "1"})
    assert mv(emu, "m", "1")["aliases"] == ["champion"]
    got = ok(emu, "GET", "/registered-models/alias", query={"name": "m", "alias": "champion"})
    assert got["model_version"]["version"] == "1"
    ok(emu, "POST", "/registered-models/alias", {"name": "m", "alias": "champion", "version": "2"})
    assert "aliases" not in mv(emu, "m", "1") and mv(emu, "m", "2")["aliases"] == ["champion"]
    m = ok(emu, "GET", "/registered-models/get", query={"name": "m"})["registered_model"]
    assert m["aliases"] == [{"alias": "champion", "version": "2"}]
    for bad in ("latest", "LATEST", "v1", "V12", "a b", "x" * 256, "a.b"):
        err(emu, "POST", "/registered-models/alias", {"name": "m", "alias": bad, "version": "1"})
    err(emu, "POST", "/registered-models/alias", {"name": "m", "alias": "a", "version": "7"},
        status=404, code="RESOURCE_DOES_NOT_EXIST")
    ok(emu, "DELETE", "/registered-models/alias", query={"name": "m", "alias": "champion"})
    err(emu, "GET", "/registered-models/alias", query={"name": "m", "alias": "champion"},
        status=404, code="RESOURCE_DOES_NOT_EXIST")
    ok(emu, "POST", "/registered-models/alias", {"name": "m", "alias": "c-1_x", "version": "2"})
    ok(emu, "DELETE", "/model-versions/delete", query={"name": "m", "version": "2"})
    err(emu, "GET", "/registered-models/alias", query={"name": "m", "alias": "c-1_x"},
        status=404, code="RESOURCE_DOES_NOT_EXIST")


# ---- search --------------------------------------------------------------------------------------

def _all_pages(emu, op, key, query):
    out, token, pages = [], None, 0
    while True:
        q = dict(query)
        if token:
            q["page_token"] = token
        b = ok(emu, "GET", op, query=q)
        out += b.get(key, [])
        pages += 1
        token = b.get("next_page_token")
        if not token:
            return out, pages


def test_search_models_filter_order_paging(emu):
    names = ["alpha", "beta", "fraud-a", "fraud-b", "Fraud-C", "gamma", "delta"]
    for n in names:
        ok(emu, "POST", "/registered-models/create", {"name": n})
        emu.advance(10)
    got, pages = _all_pages(emu, "/registered-models/search", "registered_models", {})
    assert [m["name"] for m in got] == sorted(names) and pages == 2  # page size 5
    got, _ = _all_pages(emu, "/registered-models/search", "registered_models",
                        {"filter": "name LIKE 'fraud%'"})
    assert [m["name"] for m in got] == ["fraud-a", "fraud-b"]
    got, _ = _all_pages(emu, "/registered-models/search", "registered_models",
                        {"filter": "name ILIKE '%FRAUD%'"})
    assert [m["name"] for m in got] == ["Fraud-C", "fraud-a", "fraud-b"]
    got, _ = _all_pages(emu, "/registered-models/search", "registered_models",
                        {"filter": "name = 'beta'"})
    assert [m["name"] for m in got] == ["beta"]
    got, _ = _all_pages(emu, "/registered-models/search", "registered_models", {"filter": "raud"})
    assert len(got) == 3
    got, _ = _all_pages(emu, "/registered-models/search", "registered_models",
                        {"order_by": ["last_updated_timestamp DESC"]})
    assert [m["name"] for m in got] == list(reversed(names))
    b = ok(emu, "GET", "/registered-models/search", query={"max_results": 2})
    assert len(b["registered_models"]) == 2 and b["next_page_token"]
    err(emu, "GET", "/registered-models/search", query={"max_results": 1001})
    err(emu, "GET", "/registered-models/search", query={"filter": "name > 'a'"})
    err(emu, "GET", "/registered-models/search", query={"filter": "owner = 'a'"})
    err(emu, "GET", "/registered-models/search", query={"order_by": "owner"})
    err(emu, "GET", "/registered-models/search", query={"page_token": "!!"})
    assert ok(emu, "GET", "/registered-models/search", query={"filter": "name = 'zz'"}) == {}


def test_search_versions(emu):
    ok(emu, "POST", "/registered-models/create", {"name": "a"})
    ok(emu, "POST", "/registered-models/create", {"name": "b"})
    for i in range(4):
        ok(emu, "POST", "/model-versions/create",
           {"name": "a", "source": "dbfs:/x", "run_id": "r%d" % (i % 2)})
        emu.advance(5)
    ok(emu, "POST", "/model-versions/create", {"name": "b", "source": "dbfs:/y", "run_id": "r0"})
    got, _ = _all_pages(emu, "/model-versions/search", "model_versions", {"filter": "name='a'"})
    # default order: newest first
    assert [v["version"] for v in got] == ["4", "3", "2", "1"]
    got, _ = _all_pages(emu, "/model-versions/search", "model_versions",
                        {"filter": "run_id = 'r0'", "order_by": ["name", "version_number ASC"]})
    assert [(v["name"], v["version"]) for v in got] == [("a", "1"), ("a", "3"), ("b", "1")]
    got, _ = _all_pages(emu, "/model-versions/search", "model_versions",
                        {"filter": "name = 'a' AND run_id IN ('r1', 'zz')"})
    assert sorted(v["version"] for v in got) == ["2", "4"]
    got, pages = _all_pages(emu, "/model-versions/search", "model_versions", {})
    assert len(got) == 5 and pages == 1
    got, pages = _all_pages(emu, "/model-versions/search", "model_versions", {"max_results": 2})
    assert len(got) == 5 and pages == 3
    err(emu, "GET", "/model-versions/search", query={"filter": "name = a"})


# ---- Unity Catalog models ------------------------------------------------------------------------

UC = "/api/2.1/unity-catalog"
L = "/api/2.0/mlflow/unity-catalog"
FILES = "/api/2.0/fs/files"


def uc(emu, method, path, body=None, query=None):
    if query:
        path += "?" + urllib.parse.urlencode(query, doseq=True)
    return emu.call(method, UC + path, body)


def uc_ok(emu, method, path, body=None, query=None):
    st, b = uc(emu, method, path, body, query)
    assert st == 200, (st, b)
    return b


def leg_ok(emu, method, op, body=None, query=None):
    return ok(emu, method, op, body, query, base=L)


def leg_version(emu, name, v):
    return leg_ok(emu, "GET", "/model-versions/get", query={"name": name,
                                                            "version": v})["model_version"]


def register(emu, name, files, finalize=True):
    """The MLflow UC flow: create the version, upload files, finalize. Returns the version."""
    v = leg_ok(emu, "POST", "/model-versions/create", {"name": name, "source": "runs:/abc/model",
                                                       "run_id": "abc"})["model_version"]
    root = "/Models/" + name.replace(".", "/") + "/" + v["version"]
    for rel, data in files.items():
        st, _, body = emu.raw("PUT", FILES + root + "/" + rel, data,
                              headers={"Content-Type": "application/octet-stream"})
        assert st == 204, body
    if finalize:
        f = leg_ok(emu, "POST", "/model-versions/finalize", {"name": name,
                                                             "version": v["version"]})
        assert f["model_version"]["status"] == "PENDING_REGISTRATION"
    return v


def test_uc_models_native_crud(emu):
    m = uc_ok(emu, "POST", "/models", {"catalog_name": "main", "schema_name": "default",
                                       "name": "Churn", "comment": "c"})
    assert m["full_name"] == "main.default.churn" and m["comment"] == "c"
    assert m["storage_location"].startswith("s3://") and m["metastore_id"]
    assert isinstance(m["created_at"], int) and m["owner"]
    st, b = uc(emu, "POST", "/models", {"catalog_name": "main", "schema_name": "default",
                                        "name": "churn"})
    assert (st, b["error_code"]) == (409, "RESOURCE_ALREADY_EXISTS")
    st, b = uc(emu, "POST", "/models", {"catalog_name": "main", "schema_name": "nope",
                                        "name": "x"})
    assert (st, b["error_code"]) == (404, "SCHEMA_DOES_NOT_EXIST")
    st, b = uc(emu, "POST", "/models", {"catalog_name": "zz", "schema_name": "default",
                                        "name": "x"})
    assert (st, b["error_code"]) == (404, "CATALOG_DOES_NOT_EXIST")
    assert uc_ok(emu, "GET", "/models/main.default.churn") == m
    st, b = uc(emu, "GET", "/models/main.default.nope")
    assert (st, b["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    for i in range(6):
        uc_ok(emu, "POST", "/models", {"catalog_name": "main", "schema_name": "default",
                                       "name": "m%d" % i})
    b = uc_ok(emu, "GET", "/models", query={"catalog_name": "main", "schema_name": "default"})
    assert len(b["registered_models"]) == 5 and b["next_page_token"]  # page_size_uc = 5
    b2 = uc_ok(emu, "GET", "/models", query={"catalog_name": "main", "schema_name": "default",
                                             "page_token": b["next_page_token"]})
    assert [x["name"] for x in b["registered_models"] + b2["registered_models"]] == [
        "churn", "m0", "m1", "m2", "m3", "m4", "m5"] and "next_page_token" not in b2
    st, _ = uc(emu, "GET", "/models", query={"catalog_name": "main"})
    assert st == 400
    u = uc_ok(emu, "PATCH", "/models/main.default.churn", {"new_name": "churn2", "comment": "d"})
    assert u["full_name"] == "main.default.churn2" and u["comment"] == "d"
    uc_ok(emu, "DELETE", "/models/main.default.churn2")
    st, _ = uc(emu, "GET", "/models/main.default.churn2")
    assert st == 404


def test_uc_registration_end_to_end(emu):
    leg_ok(emu, "POST", "/registered-models/create", {"name": "main.default.fraud",
                                                      "description": "d"})
    assert leg_ok(emu, "GET", "/registered-models:is-databricks-sdk-models-artifact-repository-"
                  "enabled") == {"is_databricks_sdk_models_artifact_repository_enabled": True}
    v = register(emu, "main.default.fraud", {"MLmodel": MLMODEL, "data/w.bin": b"\x00" * 100},
                 finalize=False)
    assert v["version"] == "1" and v["status"] == "PENDING_REGISTRATION"
    assert v["storage_location"].startswith("s3://") and v["source"] == "runs:/abc/model"
    c = leg_ok(emu, "POST", "/model-versions/generate-temporary-credentials",
               {"name": "main.default.fraud", "version": "1",
                "operation": "MODEL_VERSION_OPERATION_READ_WRITE"})
    assert c["credentials"]["storage_mode"] == "DEFAULT_STORAGE"
    # the files are readable and listable through the Files API
    st, _, body = emu.raw("GET", FILES + "/Models/main/default/fraud/1/data/w.bin")
    assert st == 200 and body == b"\x00" * 100
    st, d = emu.call("GET", "/api/2.0/fs/directories/Models/main/default/fraud/1")
    assert st == 200 and [e["name"] for e in d["contents"]] == ["MLmodel", "data"]
    leg_ok(emu, "POST", "/model-versions/finalize", {"name": "main.default.fraud", "version": "1"})
    # no writes after finalize
    st, _, body = emu.raw("PUT", FILES + "/Models/main/default/fraud/1/late", b"x")
    assert st == 403 and json.loads(body)["error_code"] == "PERMISSION_DENIED"
    got = leg_version(emu, "main.default.fraud", "1")
    assert got["status"] == "READY"
    n = uc_ok(emu, "GET", "/models/main.default.fraud/versions/1")
    assert n["version"] == 1 and n["status"] == "READY" and n["model_name"] == "fraud"
    assert n["run_id"] == "abc" and n["storage_location"] == got["storage_location"]
    st, files = emu.call("GET", "/__emulator/registry/files?full_name=main.default.fraud&"
                         "version=1", token=None)
    assert st == 200 and sorted(files["files"]) == ["MLmodel", "data/w.bin"]
    u = leg_ok(emu, "GET", "/model-versions/get-download-uri", {"name": "main.default.fraud",
                                                               "version": "1"})
    assert u["artifact_uri"] == got["storage_location"]
    st, b = emu.call("POST", L + "/model-versions/finalize", {"name": "main.default.fraud",
                                                              "version": "1"})
    assert (st, b["error_code"]) == (400, "INVALID_STATE")
    # unknown model / version in the Files API
    st, _, _ = emu.raw("GET", FILES + "/Models/main/default/fraud/9/MLmodel")
    assert st == 404
    st, _, _ = emu.raw("PUT", FILES + "/Models/main/default/nope/1/MLmodel", b"x")
    assert st == 404
    st, _, _ = emu.raw("PUT", FILES + "/Models/main/default/fraud", b"x")
    assert st == 400


def test_uc_registration_failures(emu):
    leg_ok(emu, "POST", "/registered-models/create", {"name": "main.default.m"})
    register(emu, "main.default.m", {"MLmodel": b"flavors: {}\n"})
    v = leg_version(emu, "main.default.m", "1")
    assert v["status"] == "FAILED_REGISTRATION" and "signature" in v["status_message"]
    register(emu, "main.default.m", {"model.pkl": b"x"})
    v = leg_version(emu, "main.default.m", "2")
    assert v["status"] == "FAILED_REGISTRATION" and "MLmodel" in v["status_message"]
    n = uc_ok(emu, "GET", "/models/main.default.m/versions/2")
    assert n["status"] == "FAILED_REGISTRATION" and "MLmodel" in n["status_message"]
    # inputs without outputs
    register(emu, "main.default.m", {"MLmodel": b"signature:\n  inputs: '[]'\nflavors: {}\n"})
    assert leg_version(emu, "main.default.m", "3")["status"] == "FAILED_REGISTRATION"


def test_uc_pending_clock_and_limit(emu):
    emu.ctl("POST", "config", {"registry_pending_ms": 3000, "uc_max_pending_versions": 3})
    leg_ok(emu, "POST", "/registered-models/create", {"name": "main.default.m"})
    register(emu, "main.default.m", {"MLmodel": MLMODEL})
    emu.advance(2000)
    assert leg_version(emu, "main.default.m", "1")["status"] == "PENDING_REGISTRATION"
    register(emu, "main.default.m", {}, finalize=False)
    register(emu, "main.default.m", {}, finalize=False)
    st, b = emu.call("POST", L + "/model-versions/create", {"name": "main.default.m",
                                                            "source": "x"})
    assert (st, b["error_code"]) == (429, "RESOURCE_EXHAUSTED")
    emu.advance(1000)
    assert leg_version(emu, "main.default.m", "1")["status"] == "READY"
    leg_ok(emu, "POST", "/model-versions/create", {"name": "main.default.m", "source": "x"})


def test_uc_aliases_tags_versions(emu):
    uc_ok(emu, "POST", "/models", {"catalog_name": "main", "schema_name": "default",
                                   "name": "m"})
    for _ in range(3):
        register(emu, "main.default.m", {"MLmodel": MLMODEL})
    a = uc_ok(emu, "PUT", "/models/main.default.m/aliases/Champion", {"version_num": 1})
    assert a["alias_name"] == "champion" and a["version_num"] == 1
    uc_ok(emu, "PUT", "/models/main.default.m/aliases/champion", {"version_num": 2})
    got = uc_ok(emu, "GET", "/models/main.default.m/aliases/champion",
                query={"include_aliases": "true"})
    assert got["version"] == 2 and [x["alias_name"] for x in got["aliases"]] == ["champion"]
    m = uc_ok(emu, "GET", "/models/main.default.m", query={"include_aliases": "true"})
    assert [(x["alias_name"], x["version_num"]) for x in m["aliases"]] == [("champion", 2)]
    assert "aliases" not in uc_ok(emu, "GET", "/models/main.default.m")
    st, b = uc(emu, "PUT", "/models/main.default.m/aliases/latest", {"version_num": 1})
    assert (st, b["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    st, b = uc(emu, "PUT", "/models/main.default.m/aliases/x", {"version_num": 9})
    assert (st, b["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    # the legacy path shares the store: same alias, versions as strings
    lm = leg_ok(emu, "GET", "/registered-models/get", {"name": "main.default.m"})
    assert lm["registered_model"]["aliases"] == [{"alias": "champion", "version": "2"}]
    leg_ok(emu, "POST", "/registered-models/alias", {"name": "main.default.m", "alias": "chall",
                                                     "version": "3"})
    v = leg_ok(emu, "GET", "/registered-models/alias", {"name": "main.default.m",
                                                        "alias": "chall"})["model_version"]
    assert v["version"] == "3"
    leg_ok(emu, "DELETE", "/registered-models/alias", {"name": "main.default.m", "alias": "chall"})
    st, b = emu.call("DELETE", L + "/registered-models/alias?name=main.default.m&alias=chall")
    assert st == 404
    # tags
    leg_ok(emu, "POST", "/model-versions/set-tag", {"name": "main.default.m", "version": "1",
                                                    "key": "k", "value": "v"})
    assert leg_version(emu, "main.default.m", "1")["tags"] == [{"key": "k", "value": "v"}]
    leg_ok(emu, "DELETE", "/model-versions/delete-tag", {"name": "main.default.m",
                                                        "version": "1", "key": "k"})
    leg_ok(emu, "POST", "/registered-models/set-tag", {"name": "main.default.m", "key": "t",
                                                       "value": "1"})
    # versions: list paged newest first, update, delete drops the alias and the files
    b = uc_ok(emu, "GET", "/models/main.default.m/versions", query={"max_results": 2})
    assert [x["version"] for x in b["model_versions"]] == [3, 2] and b["next_page_token"]
    u = uc_ok(emu, "PATCH", "/models/main.default.m/versions/2", {"comment": "two"})
    assert u["comment"] == "two"
    s = leg_ok(emu, "GET", "/model-versions/search", {"filter": "name='main.default.m'"})
    assert [x["version"] for x in s["model_versions"]] == ["3", "2", "1"]
    uc_ok(emu, "DELETE", "/models/main.default.m/versions/2")
    st, _ = uc(emu, "GET", "/models/main.default.m/aliases/champion")
    assert st == 404
    st, _, _ = emu.raw("GET", FILES + "/Models/main/default/m/2/MLmodel")
    assert st == 404
    # deleting the model deletes its versions and files
    uc_ok(emu, "DELETE", "/models/main.default.m")
    st, _ = uc(emu, "GET", "/models/main.default.m/versions/1")
    assert st == 404
    st, _, _ = emu.raw("GET", FILES + "/Models/main/default/m/1/MLmodel")
    assert st == 404


def test_uc_native_create_finalize_and_schema_delete(emu):
    uc_ok(emu, "POST", "/catalogs", {"name": "ml"})
    uc_ok(emu, "POST", "/schemas", {"catalog_name": "ml", "name": "s"})
    uc_ok(emu, "POST", "/models", {"catalog_name": "ml", "schema_name": "s", "name": "m"})
    v = uc_ok(emu, "POST", "/models/versions", {"catalog_name": "ml", "schema_name": "s",
                                                "model_name": "m", "source": "runs:/r/model"})
    assert v["version"] == 1 and v["status"] == "PENDING_REGISTRATION"
    files_put(emu, "/Models/ml/s/m/1/MLmodel", MLMODEL)
    f = uc_ok(emu, "PATCH", "/models/ml.s.m/versions/1/finalize")
    assert f["status"] == "PENDING_REGISTRATION"
    assert uc_ok(emu, "GET", "/models/ml.s.m/versions/1")["status"] == "READY"
    # a schema holding a model is not empty
    st, b = uc(emu, "DELETE", "/schemas/ml.s")
    assert (st, b["error_code"]) == (400, "SCHEMA_NOT_EMPTY")
    # renaming the schema carries the model and its files
    uc_ok(emu, "PATCH", "/schemas/ml.s", {"new_name": "t"})
    assert uc_ok(emu, "GET", "/models/ml.t.m")["schema_name"] == "t"
    st, _, body = emu.raw("GET", FILES + "/Models/ml/t/m/1/MLmodel")
    assert st == 200 and body == MLMODEL
    uc_ok(emu, "DELETE", "/schemas/ml.t", query={"force": "true"})
    st, _ = uc(emu, "GET", "/models/ml.t.m")
    assert st == 404
