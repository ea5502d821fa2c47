"""Workspace API (/api/2.0/workspace/*): an in-memory tree of directories, notebooks and files.

Reference: databricks-api.md section 2. Where the reference is silent the choice made here is
said in a comment ("unclear").
"""

import base64
import binascii
import html
import io
import json
import posixpath
import zipfile

from . import on_reset, route
from ..errors import ApiError, invalid_param, not_found
from ..state import register_config

USER = "emulator-user@example.com"  # the emulator's caller (clusters' creator_user_name)
FORMATS = ("SOURCE", "HTML", "JUPYTER", "DBC", "RAW", "R_MARKDOWN", "AUTO")
LANGUAGES = ("PYTHON", "SCALA", "SQL", "R")
# first line of a SOURCE notebook, per language (what the real export writes)
HEADERS = {
    "PYTHON": b"# Databricks notebook source",
    "SCALA": b"// Databricks notebook source",
    "SQL": b"-- Databricks notebook source",
    "R": b"# Databricks notebook source",
}
CELL_SEP = {
    "PYTHON": b"\n# COMMAND ----------\n",
    "SCALA": b"\n// COMMAND ----------\n",
    "SQL": b"\n-- COMMAND ----------\n",
    "R": b"\n# COMMAND ----------\n",
}
EXTENSIONS = {"PYTHON": "py", "SCALA": "scala", "SQL": "sql", "R": "r"}

register_config("workspace_max_content_bytes", 10 * 1024 * 1024, (int,), 0)


class Node:
    __slots__ = ("kind", "object_id", "language", "content", "origin", "created_at",
                 "modified_at")

    def __init__(self, kind, object_id, now, language=None, content=b"", origin=None):
        self.kind = kind            # NOTEBOOK, DIRECTORY, FILE
        self.object_id = object_id
        self.language = language    # notebooks
        self.content = content      # bytes as imported
        self.origin = origin        # notebooks: "SOURCE" or "JUPYTER" (how content is held)
        self.created_at = now
        self.modified_at = now


@on_reset
def _reset(state):
    state.ws = {}
    state.ws_next_id = 1000000000000001  # object_id: monotonically assigned (reference 11)
    now = state.now_ms()
    for p in ("/", "/Users", "/Users/" + USER, "/Shared"):
        _add(state, p, Node("DIRECTORY", _next_id(state), now))


def _next_id(state):
    state.ws_next_id += 1
    return state.ws_next_id


def _add(state, path, node):
    state.ws[path] = node


# ---- helpers ------------------------------------------------------------------------------------
def _path_arg(args):
    p = args.get("path")
    if not isinstance(p, str) or not p:
        raise invalid_param("Path must be specified")  # unclear: the exact real message
    if not p.startswith("/"):
        raise invalid_param("Path (%s) must be absolute" % p)
    norm = posixpath.normpath(p)
    if norm != p and not (p == "/" and norm == "/"):
        # "//", "/./", "/../" and a trailing '/': the real service normalises some of these;
        # the emulator refuses them so that clients that send them are caught
        raise invalid_param("Path (%s) is not a normalized absolute path" % p)
    return p


def _get(state, path):
    node = state.ws.get(path)
    if node is None:
        raise not_found("Path (%s) doesn't exist." % path)
    return node


def _info(path, n):
    d = {"object_type": n.kind, "path": path, "object_id": n.object_id,
         "resource_id": str(n.object_id)}
    if n.kind == "NOTEBOOK":
        d["language"] = n.language
    if n.kind in ("NOTEBOOK", "FILE"):
        # the reference lists created_at/modified_at/size for files; notebooks get the
        # times too (notebooks_modified_after filters on them)
        d["created_at"] = n.created_at
        d["modified_at"] = n.modified_at
    if n.kind == "FILE":
        d["size"] = len(n.content)
    return d


def _children(state, path):
    prefix = path if path == "/" else path + "/"
    out = []
    for p in state.ws:  # insertion (creation) order: clients must not rely on any order
        if p != path and p.startswith(prefix) and "/" not in p[len(prefix):]:
            out.append(p)
    return out


def _descendants(state, path):
    prefix = path if path == "/" else path + "/"
    return [p for p in state.ws if p != path and p.startswith(prefix)]


def _bool(v, name):
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    raise invalid_param("Invalid value for %s: %r" % (name, v))


def _too_large(state, n):
    limit = state.config["workspace_max_content_bytes"]
    if n > limit:
        raise ApiError(400, "MAX_NOTEBOOK_SIZE_EXCEEDED",
                       "File size %d exceeds the maximum allowed size of %d bytes" % (n, limit))


def _source_language(content):
    first = content.split(b"\n", 1)[0].rstrip(b"\r")
    for lang in ("PYTHON", "SCALA", "SQL"):
        if first == HEADERS[lang]:
            return lang
    return None


# ---- notebook conversions -------------------------------------------------------------------------
def _source_cells(node):
    """The notebook's cells as bytes (sources without the header)."""
    if node.origin == "JUPYTER":
        nb = json.loads(node.content.decode("utf-8"))
        cells = []
        for c in nb.get("cells", []):
            src = c.get("source", "")
            cells.append(("".join(src) if isinstance(src, list) else str(src)).encode("utf-8"))
        return cells
    body = node.content
    header = HEADERS[node.language]
    if body.startswith(header):
        body = body[len(header):].lstrip(b"\r\n")
    return body.split(CELL_SEP[node.language]) if body else []


def _export_source(node):
    if node.origin == "SOURCE":
        header = HEADERS[node.language]
        if node.content.startswith(header):
            return node.content  # byte-identical round trip
        return header + b"\n" + node.content  # the real service adds the header
    cells = _source_cells(node)
    return HEADERS[node.language] + b"\n" + CELL_SEP[node.language].join(cells)


def _export_jupyter(node):
    if node.origin == "JUPYTER":
        return node.content
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": c.decode("utf-8", "replace").splitlines(True)}
             for c in _source_cells(node)]
    nb = {"cells": cells, "metadata": {"language_info": {"name": node.language.lower()}},
          "nbformat": 4, "nbformat_minor": 0}
    return json.dumps(nb, indent=1).encode("utf-8")


def _export_html(path, node):
    src = _export_source(node).decode("utf-8", "replace")
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>"
            "<body><pre>%s</pre></body></html>\n" % (html.escape(posixpath.basename(path)),
                                                     html.escape(src))).encode("utf-8")


def _zip_dir(state, path, fmt):
    """SOURCE/AUTO/DBC export of a directory: a zip of the tree. Unclear in the reference:
    the real DBC archive holds JSON notebook documents; the emulator stores each notebook as
    its SOURCE text (with the language extension) and each file as is, under the
    directory's name."""
    buf = io.BytesIO()
    base = posixpath.basename(path) or "root"
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(_descendants(state, path)):
            n = state.ws[p]
            rel = base + "/" + p[len(path):].lstrip("/")
            if n.kind == "DIRECTORY":
                z.writestr(rel + "/", b"")
            elif n.kind == "NOTEBOOK":
                z.writestr(rel + "." + EXTENSIONS[n.language], _export_source(n))
            else:
                z.writestr(rel, n.content)
    return buf.getvalue()


# ---- routes -----------------------------------------------------------------------------------------
@route("GET", "/api/2.0/workspace/get-status")
def get_status(req):
    path = _path_arg(req.args())
    with req.state.lock:
        return 200, None, _info(path, _get(req.state, path))


@route("GET", "/api/2.0/workspace/list")
def list_objects(req):
    args = req.args()
    path = _path_arg(args)
    after = args.get("notebooks_modified_after")
    if after is not None:
        try:
            after = int(after)
        except (TypeError, ValueError):
            raise invalid_param("Invalid value for notebooks_modified_after: %r" % (after,))
    state = req.state
    with state.lock:
        node = _get(state, path)
        if node.kind != "DIRECTORY":
            # unclear: listing a notebook or file answers that object (as DBFS list does)
            objs = [_info(path, node)]
        else:
            objs = [_info(p, state.ws[p]) for p in _children(state, path)]
        if after is not None:
            objs = [o for o in objs if o["object_type"] != "NOTEBOOK" or o["modified_at"] > after]
        return 200, None, ({"objects": objs} if objs else {})


@route("POST", "/api/2.0/workspace/mkdirs")
def mkdirs(req):
    path = _path_arg(req.json_obj())
    state = req.state
    with state.lock:
        parts = [p for p in path.split("/") if p]
        cur = ""
        todo = []
        for part in parts:
            cur += "/" + part
            n = state.ws.get(cur)
            if n is None:
                todo.append(cur)
            elif n.kind != "DIRECTORY":
                raise ApiError(400, "RESOURCE_ALREADY_EXISTS",
                               "Cannot create directory %s because %s is an existing %s." % (
                                   path, cur, n.kind.lower()))
        now = state.now_ms()
        for p in todo:
            _add(state, p, Node("DIRECTORY", _next_id(state), now))
    return 200, None, {}


@route("POST", "/api/2.0/workspace/delete")
def delete(req):
    body = req.json_obj()
    path = _path_arg(body)
    recursive = _bool(body.get("recursive"), "recursive")
    state = req.state
    with state.lock:
        node = _get(state, path)
        if path == "/":
            raise invalid_param("Cannot delete the workspace root")
        kids = _descendants(state, path)
        if node.kind == "DIRECTORY" and kids and not recursive:
            raise ApiError(400, "DIRECTORY_NOT_EMPTY", "Folder (%s) is not empty" % path)
        for p in kids:
            del state.ws[p]
        del state.ws[path]
    return 200, None, {}


@route("POST", "/api/2.0/workspace/import")
def import_object(req):
    body = req.json_obj()
    path = _path_arg(body)
    fmt = body.get("format", "SOURCE")
    if fmt is None:
        fmt = "SOURCE"
    if fmt not in FORMATS:  # case-sensitive on the wire
        raise invalid_param("Invalid value for format: %r (expected one of %s)" % (
            fmt, ", ".join(FORMATS)))
    lang = body.get("language")
    if lang is not None and lang not in LANGUAGES:
        raise invalid_param("Invalid value for language: %r (expected one of %s)" % (
            lang, ", ".join(LANGUAGES)))
    overwrite = _bool(body.get("overwrite"), "overwrite")
    raw = body.get("content", "")
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raise invalid_param("Invalid value for content: must be a base64 string")
    try:
        content = binascii.a2b_base64(raw.encode("ascii"), strict_mode=True) if raw else b""
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise invalid_param("Invalid value for content: not valid base64")
    state = req.state
    _too_large(state, len(content))
    if fmt == "DBC" and overwrite:
        # the reference: overwrite is "not supported with DBC"; unclear: the exact answer
        raise invalid_param("Overwrite is not supported for the DBC format")
    if fmt in ("HTML", "R_MARKDOWN", "DBC") or (fmt == "SOURCE" and content[:4] == b"PK\x03\x04"):
        raise ApiError(501, "NOT_IMPLEMENTED",
                       "The emulator does not emulate %s import" % (
                           "directory (archive)" if fmt == "SOURCE" else fmt))
    if fmt == "SOURCE":
        if lang is None:
            raise invalid_param("The language must be specified for a SOURCE import")
        node = Node("NOTEBOOK", 0, 0, lang, content, "SOURCE")
    elif fmt == "JUPYTER":
        node = Node("NOTEBOOK", 0, 0, _ipynb_language(content, lang), content, "JUPYTER")
    elif fmt == "RAW":
        node = Node("FILE", 0, 0, None, content)
    else:  # AUTO: .ipynb or a notebook source header -> notebook, else file
        if path.endswith(".ipynb"):
            node = Node("NOTEBOOK", 0, 0, _ipynb_language(content, lang), content, "JUPYTER")
        elif _source_language(content):
            node = Node("NOTEBOOK", 0, 0, _source_language(content), content, "SOURCE")
        else:
            node = Node("FILE", 0, 0, None, content)
    with state.lock:
        parent = posixpath.dirname(path)
        pnode = state.ws.get(parent)
        if pnode is None or pnode.kind != "DIRECTORY":
            # unclear: whether the real import creates missing parents; the CLI documents
            # that the parent folder must exist
            raise not_found("The parent folder (%s) does not exist." % parent)
        old = state.ws.get(path)
        if old is not None and (not overwrite or old.kind == "DIRECTORY"):
            raise ApiError(400, "RESOURCE_ALREADY_EXISTS", "Path (%s) already exists." % path)
        now = state.now_ms()
        node.object_id = old.object_id if old is not None else _next_id(state)
        node.created_at = old.created_at if old is not None else now
        node.modified_at = now
        _add(state, path, node)
    return 200, None, {}


def _ipynb_language(content, lang):
    try:
        nb = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise invalid_param("Invalid value for content: not a Jupyter notebook (ipynb JSON)")
    if not isinstance(nb, dict) or not isinstance(nb.get("cells", []), list):
        raise invalid_param("Invalid value for content: not a Jupyter notebook (ipynb JSON)")
    if lang:
        return lang
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    name = ""
    for key in ("kernelspec", "language_info"):
        m = meta.get(key)
        if isinstance(m, dict):
            name = str(m.get("language") or m.get("name") or "")
            if name:
                break
    return {"scala": "SCALA", "sql": "SQL", "r": "R"}.get(name.lower(), "PYTHON")


@route("GET", "/api/2.0/workspace/export")
def export_object(req):
    args = req.args()
    path = _path_arg(args)
    fmt = args.get("format") or "SOURCE"
    if fmt not in FORMATS:
        raise invalid_param("Invalid value for format: %r (expected one of %s)" % (
            fmt, ", ".join(FORMATS)))
    state = req.state
    with state.lock:
        node = _get(state, path)
        if node.kind == "DIRECTORY":
            if fmt not in ("DBC", "SOURCE", "AUTO"):
                raise invalid_param("Directories can only be exported in DBC, SOURCE or AUTO "
                                    "format, not %s" % fmt)
            data, ftype = _zip_dir(state, path, fmt), ("dbc" if fmt == "DBC" else "zip")
        elif node.kind == "FILE":
            if fmt not in ("SOURCE", "AUTO", "RAW"):
                raise invalid_param("Files can only be exported in SOURCE, AUTO or RAW format, "
                                    "not %s" % fmt)
            data = node.content
            ext = posixpath.splitext(path)[1]
            ftype = ext[1:] if ext else ""  # unclear: what file_type the service gives files
        else:
            if fmt in ("SOURCE", "AUTO"):
                data, ftype = _export_source(node), EXTENSIONS[node.language]
            elif fmt == "JUPYTER":
                data, ftype = _export_jupyter(node), "ipynb"
            elif fmt == "HTML":
                data, ftype = _export_html(path, node), "html"
            elif fmt == "R_MARKDOWN":
                if node.language != "R":
                    raise invalid_param("R_MARKDOWN export is only for R notebooks")
                data, ftype = _export_source(node), "Rmd"
            elif fmt == "DBC":
                data, ftype = _zip_dir_single(path, node), "dbc"
            else:
                raise invalid_param("Notebooks cannot be exported in RAW format")
        _too_large(state, len(data))
        return 200, None, {"content": base64.b64encode(data).decode("ascii"),
                           "file_type": ftype}


def _zip_dir_single(path, node):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(posixpath.basename(path) + "." + EXTENSIONS[node.language],
                   _export_source(node))
    return buf.getvalue()
