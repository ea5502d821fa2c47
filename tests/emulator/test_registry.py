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
