"""Emulator tests for the Workspace API (docs/emulator.md, "Workspace")."""

import base64
import io
import json
import urllib.parse
import zipfile

import pytest

from test_emulator import Emu, assert_error, start_emulator, stop_emulator

USER_HOME = "/Users/emulator-user@example.com"
PY_NB = b"# Databricks notebook source\nprint(1)\n\n# COMMAND ----------\n\nprint(2)\n"


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    proc, info = start_emulator(tmp_path_factory.mktemp("emu-ws"))
    try:
        yield Emu(info)
    finally:
        stop_emulator(proc)


@pytest.fixture(autouse=True)
def _reset(emu):
    emu.ctl("POST", "reset")
    yield


def ws(emu, method, op, body=None, query=None):
    path = "/api/2.0/workspace/" + op
    if query:
        path += "?" + urllib.parse.urlencode(query)
    return emu.call(method, path, body)


def imp(emu, path, data, **kw):
    body = {"path": path, "content": base64.b64encode(data).decode()}
    body.update(kw)
    return ws(emu, "POST", "import", body)


def export(emu, path, fmt=None):
    q = {"path": path}
    if fmt:
        q["format"] = fmt
    status, body = ws(emu, "GET", "export", query=q)
    assert status == 200, body
    return base64.b64decode(body["content"]), body["file_type"]


def test_initial_tree_and_get_status(emu):
    status, body = ws(emu, "GET", "list", query={"path": "/"})
    assert status == 200
    paths = sorted(o["path"] for o in body["objects"])
    assert paths == ["/Shared", "/Users"]
    status, body = ws(emu, "GET", "get-status", query={"path": USER_HOME})
    assert status == 200
    assert body["object_type"] == "DIRECTORY" and body["path"] == USER_HOME
    assert isinstance(body["object_id"], int) and body["resource_id"] == str(body["object_id"])
    status, body = ws(emu, "GET", "get-status", query={"path": "/nope"})
    assert_error(status, body, 404, "RESOURCE_DOES_NOT_EXIST", "/nope")
    status, body = ws(emu, "GET", "get-status", query={"path": "/Shared/../x"})
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE")


def test_mkdirs_delete(emu):
    assert ws(emu, "POST", "mkdirs", {"path": "/Shared/a/b/c"}) == (200, {})
    assert ws(emu, "POST", "mkdirs", {"path": "/Shared/a/b/c"}) == (200, {})  # idempotent
    status, body = ws(emu, "GET", "list", query={"path": "/Shared/a/b"})
    assert [o["path"] for o in body["objects"]] == ["/Shared/a/b/c"]
    status, body = ws(emu, "GET", "list", query={"path": "/Shared/a/b/c"})
    assert status == 200 and body == {}  # objects absent when empty
    assert imp(emu, "/Shared/f", b"x", format="RAW")[0] == 200
    status, body = ws(emu, "POST", "mkdirs", {"path": "/Shared/f/g"})
    assert_error(status, body, 400, "RESOURCE_ALREADY_EXISTS")
    status, body = ws(emu, "POST", "delete", {"path": "/Shared/a"})
    assert_error(status, body, 400, "DIRECTORY_NOT_EMPTY")
    assert ws(emu, "POST", "delete", {"path": "/Shared/a", "recursive": True}) == (200, {})
    status, body = ws(emu, "POST", "delete", {"path": "/Shared/a"})
    assert_error(status, body, 404, "RESOURCE_DOES_NOT_EXIST")


def test_import_export_source_round_trip(emu):
    p = USER_HOME + "/nb"
    assert imp(emu, p, PY_NB, format="SOURCE", language="PYTHON") == (200, {})
    data, ftype = export(emu, p, "SOURCE")
    assert data == PY_NB and ftype == "py"
    status, body = ws(emu, "GET", "get-status", query={"path": p})
    assert body["object_type"] == "NOTEBOOK" and body["language"] == "PYTHON"
    assert body["modified_at"] > 0 and body["created_at"] > 0
    # without the header, the export adds it
    assert imp(emu, p + "2", b"print(3)\n", format="SOURCE", language="PYTHON")[0] == 200
    data, _ = export(emu, p + "2")
    assert data == b"# Databricks notebook source\nprint(3)\n"
    # JUPYTER export of a SOURCE notebook is ipynb JSON with the cells
    data, ftype = export(emu, p, "JUPYTER")
    nb = json.loads(data)
    assert ftype == "ipynb" and len(nb["cells"]) == 2
    assert "".join(nb["cells"][1]["source"]).strip() == "print(2)"


def test_import_errors(emu):
    p = USER_HOME + "/nb"
    status, body = imp(emu, p, b"x", format="SOURCE")
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE", "language")
    status, body = imp(emu, p, b"x", format="source", language="PYTHON")
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE", "format")
    status, body = imp(emu, p, b"x", format="SOURCE", language="COBOL")
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE", "language")
    status, body = imp(emu, p, b"x", format="DBC", overwrite=True)
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE", "DBC")
    status, body = ws(emu, "POST", "import", {"path": p, "content": "not base64!", "format": "RAW"})
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE", "base64")
    status, body = imp(emu, "/Shared/missing/x", b"x", format="RAW")
    assert_error(status, body, 404, "RESOURCE_DOES_NOT_EXIST", "parent")
    assert imp(emu, p, b"x", format="RAW")[0] == 200
    status, body = imp(emu, p, b"y", format="RAW")
    assert_error(status, body, 400, "RESOURCE_ALREADY_EXISTS")
    assert imp(emu, p, b"y", format="RAW", overwrite=True)[0] == 200
    assert export(emu, p, "RAW")[0] == b"y"
    emu.ctl("POST", "config", {"workspace_max_content_bytes": 4})
    status, body = imp(emu, p, b"12345", format="RAW", overwrite=True)
    assert_error(status, body, 400, "MAX_NOTEBOOK_SIZE_EXCEEDED")
    status, body = imp(emu, p, b"x", format="HTML")
    assert_error(status, body, 501, "NOT_IMPLEMENTED", "emulate")


def test_auto_and_jupyter(emu):
    blob = bytes(range(256))
    assert imp(emu, "/Shared/blob.bin", blob, format="AUTO")[0] == 200
    st, info = ws(emu, "GET", "get-status", query={"path": "/Shared/blob.bin"})
    assert info["object_type"] == "FILE" and info["size"] == 256 and "language" not in info
    assert export(emu, "/Shared/blob.bin", "AUTO")[0] == blob
    assert export(emu, "/Shared/blob.bin", "RAW")[0] == blob
    ipynb = json.dumps({"cells": [{"cell_type": "code", "source": ["1+1"]}],
                        "metadata": {"language_info": {"name": "python"}},
                        "nbformat": 4, "nbformat_minor": 2}).encode()
    assert imp(emu, "/Shared/j.ipynb", ipynb, format="AUTO")[0] == 200
    st, info = ws(emu, "GET", "get-status", query={"path": "/Shared/j.ipynb"})
    assert info["object_type"] == "NOTEBOOK" and info["language"] == "PYTHON"
    assert export(emu, "/Shared/j.ipynb", "JUPYTER")[0] == ipynb
    assert export(emu, "/Shared/j.ipynb", "SOURCE")[0] == b"# Databricks notebook source\n1+1"
    assert imp(emu, "/Shared/s", b"-- Databricks notebook source\nselect 1", format="AUTO")[0] == 200
    st, info = ws(emu, "GET", "get-status", query={"path": "/Shared/s"})
    assert info["object_type"] == "NOTEBOOK" and info["language"] == "SQL"
    status, body = imp(emu, "/Shared/bad", b"{not json", format="JUPYTER")
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE")


def test_export_directory_and_formats(emu):
    ws(emu, "POST", "mkdirs", {"path": "/Shared/d/sub"})
    imp(emu, "/Shared/d/nb", PY_NB, format="SOURCE", language="PYTHON")
    imp(emu, "/Shared/d/sub/f.txt", b"hello", format="RAW")
    data, ftype = export(emu, "/Shared/d", "SOURCE")
    assert ftype == "zip"
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "d/nb.py" in names and "d/sub/f.txt" in names
    status, body = ws(emu, "GET", "export", query={"path": "/Shared/d", "format": "JUPYTER"})
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE", "Directories")
    status, body = ws(emu, "GET", "export", query={"path": "/Shared/d/nb", "format": "RAW"})
    assert_error(status, body, 400, "INVALID_PARAMETER_VALUE")
    status, body = ws(emu, "GET", "export", query={"path": "/Shared/nope"})
    assert_error(status, body, 404, "RESOURCE_DOES_NOT_EXIST")
    data, ftype = export(emu, "/Shared/d/nb", "HTML")
    assert ftype == "html" and b"print(1)" in data


def test_list_notebooks_modified_after(emu):
    imp(emu, "/Shared/old", PY_NB, format="SOURCE", language="PYTHON")
    st, info = ws(emu, "GET", "get-status", query={"path": "/Shared/old"})
    emu.advance(60000)
    imp(emu, "/Shared/new", PY_NB, format="SOURCE", language="PYTHON")
    status, body = ws(emu, "GET", "list", query={"path": "/Shared",
                                                 "notebooks_modified_after": info["modified_at"]})
    assert [o["path"] for o in body["objects"]] == ["/Shared/new"]
    # listing a notebook answers that notebook
    status, body = ws(emu, "GET", "list", query={"path": "/Shared/old"})
    assert [o["path"] for o in body["objects"]] == ["/Shared/old"]
