"""Unity Catalog registered models and model versions: the native /api/2.1/unity-catalog/models*
endpoints (databricks-api.md 9.2, versions as ints) and MLflow's legacy
/api/2.0/mlflow/unity-catalog/... routes (protocols.md 3, databricks_uc_registry_*.proto,
versions as strings), over one store.

Models live in schemas of the UC store (state.uc, apis/unity_catalog.py): the catalog and schema
must exist, a schema holding models is not empty for delete, and catalog/schema renames carry
the models along (sql_engine.SECURABLE_HOOKS). Names are lower-cased like other UC names.

Registration (the flow of MLflow's UC registry client):
  1. model-versions/create -> PENDING_REGISTRATION with a storage_location (an s3:// URI under the
     catalog's storage root, else the metastore's);
  2. the client writes the model files through the Files API at
     /api/2.0/fs/files/Models/<catalog>/<schema>/<model>/<version>/<path> (PUT, GET, HEAD,
     directories, multipart): reads need the version to exist (404 NOT_FOUND otherwise); writes
     are allowed only while the version is PENDING_REGISTRATION and not yet finalized (403
     PERMISSION_DENIED after: unclear what the real service answers);
  3. model-versions/finalize: the answer still says PENDING_REGISTRATION; after
     ``registry_pending_ms`` on the virtual clock (0 = the next request) the version becomes
     READY when ``MLmodel`` is at the version root and holds a ``signature:`` with ``inputs`` and
     ``outputs``, else FAILED_REGISTRATION with a status_message. The real server's check is not
     documented; MLflow's client refuses models without a signature before it registers them,
     with the text used here.
At most ``uc_max_pending_versions`` (default 20, the published limit) versions may be
PENDING_REGISTRATION at once; the next create answers 429 RESOURCE_EXHAUSTED. That code/status is
our guess (unconfirmed): the limit is published among the rate limits, so a retryable 429 is the
most likely shape.

Unclear in the references, decided here:
  - duplicates: 409 RESOURCE_ALREADY_EXISTS on the native path (UC style), 400
    RESOURCE_ALREADY_EXISTS on the MLflow path (MLflow's status map);
  - unknown model / version / alias: 404 RESOURCE_DOES_NOT_EXIST on both paths (missing catalog /
    schema: CATALOG_DOES_NOT_EXIST / SCHEMA_DOES_NOT_EXIST); deleting a missing alias is 404 too;
  - finalize of a version that is no longer PENDING_REGISTRATION: 400 INVALID_STATE; a second
    finalize while pending answers the version unchanged;
  - native ModelVersionInfo carries ``status_message`` when there is one (the SDK struct lacks it).
``uc_version_files(state, full_name, version)`` hands a READY version's files to other modules.
"""

import base64
import re
import uuid

from . import on_reset, route
from . import files as files_api
from .registry import (check_alias, check_tag, filter_match, missing, opt_str, page, parse_filter,
                       parse_tags, parse_version, req_str, tag_list)
from .unity_catalog import _api_error
from ..errors import ApiError, invalid_param
from ..sql_engine import METASTORE_ID, SECURABLE_HOOKS, STORAGE_ROOT, StoreError
from ..state import register_config

register_config("uc_max_pending_versions", 20, (int,), 0)

UC = "/api/2.1/unity-catalog"
LEG = "/api/2.0/mlflow/unity-catalog"
MODELS_ROOT = "/Models"
PENDING, READY, FAILED = "PENDING_REGISTRATION", "READY", "FAILED_REGISTRATION"
NATIVE_MAX_PAGE = 1000
_NAME_RX = re.compile(r"^[^.\s/\x00-\x1f`]{1,255}$")

NO_SIGNATURE = ("Model passed for registration did not contain any signature metadata. All "
                "models in the Unity Catalog must be logged with a model signature containing "
                "both input and output type specifications.")


class Store:
    def __init__(self):
        self.models = {}   # full name -> model dict
        self.pending = []  # finalized versions waiting for their ready_at


@on_reset
def _reset(state):
    state.uc_models = Store()


def _store(state):
    return state.uc_models


def _user(req):
    return req.principal or "emulator-user@example.com"


# ---- settle and files --------------------------------------------------------------------------

def _root(m, n):
    return "%s/%s/%s/%s/%d" % (MODELS_ROOT, m["catalog_name"], m["schema_name"], m["name"], n)


def _has_signature(text):
    """A top-level 'signature:' block with 'inputs' and 'outputs' keys under it."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^signature:\s*$", line):
            keys = set()
            for sub in lines[i + 1:]:
                if sub.strip() == "" or sub.lstrip().startswith("#"):
                    continue
                if not sub[:1].isspace():
                    break
                mo = re.match(r"^\s+(\w+):", sub)
                if mo:
                    keys.add(mo.group(1))
            return "inputs" in keys and "outputs" in keys
    return False


def _check_model_files(state, m, n):
    """None when the version's files make a valid UC model, else the failure message."""
    root = _root(m, n)
    data = files_api.read_file(state, root + "/MLmodel", 1 << 20)
    if data is None:
        return ("Unable to find an MLmodel file at the root of the model version's storage "
                "location (%s)." % root)
    text = data.decode("utf-8", "replace")
    if not _has_signature(text):
        return NO_SIGNATURE
    return None


def settle(state):
    store = _store(state)
    if not store.pending:
        return
    now = state.now_ms()
    keep = []
    for m, v in store.pending:
        if v.get("deleted"):
            continue
        if v["ready_at"] > now:
            keep.append((m, v))
            continue
        msg = _check_model_files(state, m, v["version"])
        v["status"] = FAILED if msg else READY
        v["status_message"] = msg
        v["updated_at"] = max(v["updated_at"], v["ready_at"])
    store.pending = keep


def _locks(state):
    """The UC engine lock, then the state lock (the order unity_catalog/sql use)."""
    class _Both:
        def __enter__(self):
            state.uc.lock.acquire()
            state.lock.acquire()

        def __exit__(self, *exc):
            state.lock.release()
            state.uc.lock.release()
    return _Both()


def _files_guard(state, path, op):
    """Files API hook for /Models/<c>/<s>/<m>/<v>/...: the version must exist; writes only while
    it is PENDING_REGISTRATION and not finalized."""
    segs = path.split("/")
    full = ".".join(s.lower() for s in segs[2:5])
    with _locks(state):
        settle(state)
        m = _store(state).models.get(full)
        v = None
        if m is not None and re.match(r"^\d{1,18}$", segs[5]):
            v = m["versions"].get(int(segs[5]))
        if v is None:
            raise ApiError(404, "NOT_FOUND", "Model version '%s' version '%s' does not exist."
                           % (full, segs[5]))
        if op == "write" and (v["status"] != PENDING or v["finalized"]):
            raise ApiError(403, "PERMISSION_DENIED",
                           "Model version '%s' version %d is %s%s: its files can be written "
                           "only while it is PENDING_REGISTRATION, before finalize."
                           % (full, v["version"], v["status"],
                              " (finalized)" if v["finalized"] and v["status"] == PENDING else ""))


files_api.register_area("Models", 5, _files_guard, "/Models/<catalog>/<schema>/<model>/<version>")


def uc_version_files(state, full_name, version):
    """The files of a READY UC model version as {relpath: bytes}; None when the version does not
    exist or is not READY. For other emulator modules (serving)."""
    with _locks(state):
        settle(state)
        m = _store(state).models.get(full_name.lower())
        v = m["versions"].get(int(version)) if m else None
        if v is None or v["status"] != READY:
            return None
        root = _root(m, v["version"])
    return files_api.read_tree(state, root)


# ---- the UC store hooks (schema deletes, renames) ------------------------------------------------

class _Hook:
    @staticmethod
    def children(state, schema_full):
        pre = schema_full + "."
        return [k for k in _store(state).models if k.startswith(pre)]

    @staticmethod
    def drop(state, full):
        m = _store(state).models.get(full)
        if m is not None:
            _drop_model(state, m)

    @staticmethod
    def rename(state, old, new):
        store = _store(state)
        for k in [k for k in store.models if k.startswith(old + ".")]:
            m = store.models.pop(k)
            nk = new + k[len(old):]
            c, s, name = nk.split(".")
            files_api.move_tree(state, "%s/%s/%s/%s" % (MODELS_ROOT, m["catalog_name"],
                                                        m["schema_name"], m["name"]),
                                "%s/%s/%s/%s" % (MODELS_ROOT, c, s, name))
            m["catalog_name"], m["schema_name"], m["full_name"] = c, s, nk
            store.models[nk] = m


SECURABLE_HOOKS.append(_Hook)


def _drop_model(state, m):
    for v in m["versions"].values():
        v["deleted"] = True
    _store(state).models.pop(m["full_name"], None)
    files_api.remove_tree(state, "%s/%s/%s/%s" % (MODELS_ROOT, m["catalog_name"],
                                                  m["schema_name"], m["name"]))


# ---- lookups -------------------------------------------------------------------------------------

def _split(full):
    parts = full.split(".") if isinstance(full, str) else []
    if len(parts) != 3 or not all(_NAME_RX.match(p) for p in parts):
        raise invalid_param("Invalid registered model name '%s': expected "
                            "<catalog>.<schema>.<model>." % full)
    return [p.lower() for p in parts]


def _model(state, full):
    _split(full)
    m = _store(state).models.get(full.lower())
    if m is None:
        raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", "Registered model '%s' does not exist."
                       % full)
    return m


def _version(state, full, n):
    m = _model(state, full)
    v = m["versions"].get(n)
    if v is None:
        raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", "Model version '%s' version %d does not "
                       "exist." % (full, n))
    return m, v


def _touch(req, obj):
    obj["updated_at"] = req.state.now_ms()
    obj["updated_by"] = _user(req)


def _base_location(state, catalog):
    c = state.uc.catalogs.get(catalog) or {}
    if c.get("storage_root"):
        return "%s/__unitystorage/catalogs/%s" % (c["storage_root"].rstrip("/"), c["id"])
    return STORAGE_ROOT


# ---- operations shared by both paths --------------------------------------------------------------

def _create_model(req, full, comment, tags, exists_status):
    c, s, name = _split(full)
    st = req.state
    with _locks(st):
        settle(st)
        try:
            st.uc.need_schema(c, s)
        except StoreError as e:
            raise _api_error(e)
        full = "%s.%s.%s" % (c, s, name)
        store = _store(st)
        if full in store.models or full in st.uc.tables or full in st.uc.volumes:
            raise ApiError(exists_status, "RESOURCE_ALREADY_EXISTS",
                           "Registered model '%s' already exists." % full)
        now, who = st.now_ms(), _user(req)
        mid = str(uuid.uuid4())
        m = {"name": name, "catalog_name": c, "schema_name": s, "full_name": full, "id": mid,
             "comment": comment, "owner": who,
             "storage_location": "%s/models/%s" % (_base_location(st, c), mid),
             "created_at": now, "created_by": who, "updated_at": now, "updated_by": who,
             "tags": tags, "aliases": {}, "versions": {}, "max_version": 0}
        store.models[full] = m
        return m


def _rename(req, m, new_name, exists_status):
    st = req.state
    store = _store(st)
    if "." in new_name:
        c, s, name = _split(new_name)
        if (c, s) != (m["catalog_name"], m["schema_name"]):
            raise invalid_param("A registered model can only be renamed within its schema.")
    else:
        if not _NAME_RX.match(new_name):
            raise invalid_param("Invalid registered model name '%s'." % new_name)
        name = new_name.lower()
    nfull = "%s.%s.%s" % (m["catalog_name"], m["schema_name"], name)
    if nfull == m["full_name"]:
        return
    if nfull in store.models or nfull in st.uc.tables or nfull in st.uc.volumes:
        raise ApiError(exists_status, "RESOURCE_ALREADY_EXISTS",
                       "Registered model '%s' already exists." % nfull)
    files_api.move_tree(st, "%s/%s/%s/%s" % (MODELS_ROOT, m["catalog_name"], m["schema_name"],
                                             m["name"]),
                        "%s/%s/%s/%s" % (MODELS_ROOT, m["catalog_name"], m["schema_name"], name))
    del store.models[m["full_name"]]
    m["name"], m["full_name"] = name, nfull
    store.models[nfull] = m


def _create_version(req, full, source, run_id, comment, tags, run_workspace_id=None,
                    model_id=None):
    st = req.state
    with _locks(st):
        settle(st)
        m = _model(st, full)
        store = _store(st)
        limit = st.config["uc_max_pending_versions"]
        pending = sum(1 for mm in store.models.values() for v in mm["versions"].values()
                      if v["status"] == PENDING)
        if pending >= limit:
            raise ApiError(429, "RESOURCE_EXHAUSTED",
                           "Too many model versions are pending registration in this workspace "
                           "(%d, the limit is %d). Finalize or delete pending versions and try "
                           "again." % (pending, limit))
        m["max_version"] += 1
        n = m["max_version"]
        now, who = st.now_ms(), _user(req)
        vid = str(uuid.uuid4())
        v = {"version": n, "id": vid, "source": source, "run_id": run_id, "comment": comment,
             "run_workspace_id": run_workspace_id, "model_id": model_id,
             "status": PENDING, "status_message": None, "finalized": False, "ready_at": None,
             "storage_location": "%s/versions/%s" % (m["storage_location"], vid),
             "created_at": now, "created_by": who, "updated_at": now, "updated_by": who,
             "tags": tags}
        m["versions"][n] = v
        _touch(req, m)
        return m, v


def _finalize(req, full, n):
    st = req.state
    with _locks(st):
        settle(st)
        m, v = _version(st, full, n)
        if v["status"] != PENDING:
            raise ApiError(400, "INVALID_STATE", "Model version '%s' version %d is %s, not "
                           "PENDING_REGISTRATION." % (m["full_name"], n, v["status"]))
        if not v["finalized"]:
            v["finalized"] = True
            v["ready_at"] = st.now_ms() + int(st.config["registry_pending_ms"])
            _touch(req, v)
            _store(st).pending.append((m, v))
        return m, v


def _delete_version(req, full, n):
    st = req.state
    with _locks(st):
        settle(st)
        m, v = _version(st, full, n)
        v["deleted"] = True
        del m["versions"][n]
        for a in [a for a, x in m["aliases"].items() if x == n]:
            del m["aliases"][a]
        files_api.remove_tree(st, _root(m, n))
        _touch(req, m)


def _set_alias(req, full, alias, n):
    check_alias(alias)
    st = req.state
    with _locks(st):
        settle(st)
        m, v = _version(st, full, n)
        m["aliases"][alias.lower()] = n  # UC alias names are case-insensitive (unclear)
        _touch(req, m)
        return m, v


def _delete_alias(req, full, alias):
    st = req.state
    with _locks(st):
        settle(st)
        m = _model(st, full)
        if m["aliases"].pop(alias.lower(), None) is None:
            raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", "Alias '%s' does not exist on "
                           "registered model '%s'." % (alias, m["full_name"]))
        _touch(req, m)


def _by_alias(st, full, alias):
    m = _model(st, full)
    n = m["aliases"].get(alias.lower())
    if n is None:
        raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", "Alias '%s' does not exist on registered "
                       "model '%s'." % (alias, m["full_name"]))
    return m, m["versions"][n]


# ---- native shapes -------------------------------------------------------------------------------

def _alias_native(m, a, n):
    return {"alias_name": a, "version_num": n, "catalog_name": m["catalog_name"],
            "schema_name": m["schema_name"], "model_name": m["name"]}


def _model_native(m, include_aliases):
    d = {"name": m["name"], "catalog_name": m["catalog_name"], "schema_name": m["schema_name"],
         "full_name": m["full_name"], "owner": m["owner"],
         "storage_location": m["storage_location"], "metastore_id": METASTORE_ID,
         "created_at": m["created_at"], "created_by": m["created_by"],
         "updated_at": m["updated_at"], "updated_by": m["updated_by"], "browse_only": False,
         "id": m["id"]}
    if m.get("comment"):
        d["comment"] = m["comment"]
    if include_aliases and m["aliases"]:
        d["aliases"] = [_alias_native(m, a, n) for a, n in sorted(m["aliases"].items())]
    return d


def _version_native(m, v, include_aliases):
    d = {"id": v["id"], "catalog_name": m["catalog_name"], "schema_name": m["schema_name"],
         "model_name": m["name"], "version": v["version"], "source": v["source"],
         "status": v["status"], "storage_location": v["storage_location"],
         "metastore_id": METASTORE_ID, "created_at": v["created_at"],
         "created_by": v["created_by"], "updated_at": v["updated_at"],
         "updated_by": v["updated_by"]}
    for k in ("run_id", "comment", "status_message"):
        if v.get(k):
            d[k] = v[k]
    if v.get("run_workspace_id") is not None:
        d["run_workspace_id"] = v["run_workspace_id"]
    if include_aliases:
        al = [_alias_native(m, a, n) for a, n in sorted(m["aliases"].items()) if n == v["version"]]
        if al:
            d["aliases"] = al
    return d


def _bool(v):
    return str(v).lower() == "true"


def _native_page(req, items, key):
    """UC paging: max_results unset or 0 -> the server page size (page_size_uc), > 0 ->
    min(value, 1000), < 0 -> 400."""
    a = req.args()
    size = req.state.config["page_size_uc"]
    mr = a.get("max_results")
    if mr not in (None, ""):
        try:
            mr = int(mr)
        except (TypeError, ValueError):
            raise invalid_param("max_results must be an integer")
        if mr < 0:
            raise invalid_param("max_results must be greater than or equal to 0")
        if mr > NATIVE_MAX_PAGE:
            raise invalid_param("max_results must be at most %d" % NATIVE_MAX_PAGE)
        if mr > 0:
            size = min(mr, size)
    start = 0
    tok = a.get("page_token")
    if tok:
        try:
            raw = base64.urlsafe_b64decode(tok.encode() + b"==").decode()
            if not raw.startswith("ucm:"):
                raise ValueError(raw)
            start = int(raw[4:])
        except (ValueError, UnicodeDecodeError):
            raise invalid_param("Invalid page_token.")
    out = {key: items[start:start + size]}
    if start + size < len(items):
        out["next_page_token"] = base64.urlsafe_b64encode(
            ("ucm:%d" % (start + size)).encode()).decode().rstrip("=")
    return out


def _version_path(req):
    try:
        n = int(req.params["version"])
    except ValueError:
        raise invalid_param("Invalid version number '%s'." % req.params["version"])
    if n < 1:
        raise invalid_param("Invalid version number '%s'." % req.params["version"])
    return n


def _comment(b):
    c = b.get("comment")
    if c is not None and not isinstance(c, str):
        raise invalid_param("comment must be a string")
    return c


# ---- native endpoints ----------------------------------------------------------------------------

@route("POST", UC + "/models")
def n_create_model(req):
    b = req.json_obj()
    for k in ("catalog_name", "schema_name", "name"):
        if not isinstance(b.get(k), str) or not b.get(k):
            raise invalid_param("%s is required" % k)
    full = "%s.%s.%s" % (b["catalog_name"], b["schema_name"], b["name"])
    m = _create_model(req, full, _comment(b), {}, 409)
    with _locks(req.state):
        return 200, None, _model_native(m, False)


@route("GET", UC + "/models")
def n_list_models(req):
    a = req.args()
    cat, sch = a.get("catalog_name"), a.get("schema_name")
    if bool(cat) != bool(sch):
        raise invalid_param("catalog_name and schema_name must be given together (or neither)")
    st = req.state
    with _locks(st):
        settle(st)
        if cat:
            try:
                st.uc.need_schema(cat.lower(), sch.lower())
            except StoreError as e:
                raise _api_error(e)
        items = [_model_native(m, False) for k, m in sorted(_store(st).models.items())
                 if not cat or (m["catalog_name"], m["schema_name"]) == (cat.lower(), sch.lower())]
    return 200, None, _native_page(req, items, "registered_models")


@route("GET", UC + "/models/{full_name}")
def n_get_model(req):
    inc = _bool(req.args().get("include_aliases"))
    with _locks(req.state):
        settle(req.state)
        return 200, None, _model_native(_model(req.state, req.params["full_name"]), inc)


@route("PATCH", UC + "/models/{full_name}")
def n_update_model(req):
    b = req.json_obj()
    st = req.state
    with _locks(st):
        settle(st)
        m = _model(st, req.params["full_name"])
        if b.get("new_name"):
            if not isinstance(b["new_name"], str):
                raise invalid_param("new_name must be a string")
            _rename(req, m, b["new_name"], 409)
        if "comment" in b:
            m["comment"] = _comment(b)
        if "owner" in b:
            if not isinstance(b["owner"], str) or not b["owner"]:
                raise invalid_param("owner must be a non-empty string")
            m["owner"] = b["owner"]
        _touch(req, m)
        return 200, None, _model_native(m, False)


@route("DELETE", UC + "/models/{full_name}")
def n_delete_model(req):
    st = req.state
    with _locks(st):
        settle(st)
        _drop_model(st, _model(st, req.params["full_name"]))
    return 200, None, {}


@route("PUT", UC + "/models/{full_name}/aliases/{alias}")
def n_set_alias(req):
    b = req.json_obj()
    n = parse_version(b, "version_num")
    m, _ = _set_alias(req, req.params["full_name"], req.params["alias"], n)
    return 200, None, _alias_native(m, req.params["alias"].lower(), n)


@route("DELETE", UC + "/models/{full_name}/aliases/{alias}")
def n_delete_alias(req):
    _delete_alias(req, req.params["full_name"], req.params["alias"])
    return 200, None, {}


@route("GET", UC + "/models/{full_name}/aliases/{alias}")
def n_get_by_alias(req):
    inc = _bool(req.args().get("include_aliases"))
    with _locks(req.state):
        settle(req.state)
        m, v = _by_alias(req.state, req.params["full_name"], req.params["alias"])
        return 200, None, _version_native(m, v, inc)


@route("GET", UC + "/models/{full_name}/versions")
def n_list_versions(req):
    st = req.state
    with _locks(st):
        settle(st)
        m = _model(st, req.params["full_name"])
        # newest first (unclear: the SDK promises no order)
        items = [_version_native(m, m["versions"][n], False)
                 for n in sorted(m["versions"], reverse=True)]
    return 200, None, _native_page(req, items, "model_versions")


@route("GET", UC + "/models/{full_name}/versions/{version}")
def n_get_version(req):
    inc = _bool(req.args().get("include_aliases"))
    n = _version_path(req)
    with _locks(req.state):
        settle(req.state)
        m, v = _version(req.state, req.params["full_name"], n)
        return 200, None, _version_native(m, v, inc)


@route("PATCH", UC + "/models/{full_name}/versions/{version}")
def n_update_version(req):
    b = req.json_obj()
    n = _version_path(req)
    st = req.state
    with _locks(st):
        settle(st)
        m, v = _version(st, req.params["full_name"], n)
        if "comment" in b:
            v["comment"] = _comment(b)
        _touch(req, v)
        return 200, None, _version_native(m, v, False)


@route("DELETE", UC + "/models/{full_name}/versions/{version}")
def n_delete_version(req):
    _delete_version(req, req.params["full_name"], _version_path(req))
    return 200, None, {}


@route("POST", UC + "/models/versions")
def n_create_version(req):
    """The native create (MLflow's uc_native_rest_store, protocols.md 3; not in the SDKs)."""
    b = req.json_obj()
    for k in ("catalog_name", "schema_name", "model_name", "source"):
        if not isinstance(b.get(k), str) or not b.get(k):
            raise invalid_param("%s is required" % k)
    full = "%s.%s.%s" % (b["catalog_name"], b["schema_name"], b["model_name"])
    m, v = _create_version(req, full, b["source"], opt_str(b, "run_id"), _comment(b),
                           parse_tags(b.get("tags"), "Model version"),
                           b.get("run_tracking_server_id"), opt_str(b, "model_id"))
    with _locks(req.state):
        return 200, None, _version_native(m, v, False)


@route("PATCH", UC + "/models/{full_name}/versions/{version}/finalize")
def n_finalize(req):
    m, v = _finalize(req, req.params["full_name"], _version_path(req))
    with _locks(req.state):
        return 200, None, _version_native(m, v, False)


# ---- MLflow (legacy) shapes and endpoints -------------------------------------------------------

def _model_mlflow(m):
    d = {"name": m["full_name"], "creation_timestamp": m["created_at"],
         "last_updated_timestamp": m["updated_at"], "user_id": m["created_by"]}
    if m.get("comment"):
        d["description"] = m["comment"]
    if m["aliases"]:
        d["aliases"] = [{"alias": a, "version": str(n)} for a, n in sorted(m["aliases"].items())]
    if m["tags"]:
        d["tags"] = tag_list(m["tags"])
    return d


def _version_mlflow(m, v):
    d = {"name": m["full_name"], "version": str(v["version"]),
         "creation_timestamp": v["created_at"], "last_updated_timestamp": v["updated_at"],
         "user_id": v["created_by"]}
    if v.get("comment"):
        d["description"] = v["comment"]
    d["source"] = v["source"]
    for k in ("run_id", "model_id"):
        if v.get(k):
            d[k] = v[k]
    if v.get("run_workspace_id") is not None:
        d["run_tracking_server_id"] = str(v["run_workspace_id"])
    d["status"] = v["status"]
    if v.get("status_message"):
        d["status_message"] = v["status_message"]
    d["storage_location"] = v["storage_location"]
    al = [{"alias": a, "version": str(n)} for a, n in sorted(m["aliases"].items())
          if n == v["version"]]
    if al:
        d["aliases"] = al
    if v["tags"]:
        d["tags"] = tag_list(v["tags"])
    return d


@route("POST", LEG + "/registered-models/create")
def l_create_model(req):
    b = req.json_obj()
    name = req_str(b, "name")
    m = _create_model(req, name, opt_str(b, "description"),
                      parse_tags(b.get("tags"), "Registered model"), 400)
    with _locks(req.state):
        return 200, None, {"registered_model": _model_mlflow(m)}


@route("GET", LEG + "/registered-models/get")
def l_get_model(req):
    name = req_str(req.args(), "name")
    with _locks(req.state):
        settle(req.state)
        return 200, None, {"registered_model": _model_mlflow(_model(req.state, name))}


@route("PATCH", LEG + "/registered-models/update")
def l_update_model(req):
    b = req.json_obj()
    name = req_str(b, "name")
    st = req.state
    with _locks(st):
        settle(st)
        m = _model(st, name)
        new = opt_str(b, "new_name")
        if new:
            _rename(req, m, new, 400)
        if "description" in b:
            m["comment"] = opt_str(b, "description")
        _touch(req, m)
        return 200, None, {"registered_model": _model_mlflow(m)}


@route("DELETE", LEG + "/registered-models/delete")
def l_delete_model(req):
    name = req_str(req.args(), "name")
    st = req.state
    with _locks(st):
        settle(st)
        _drop_model(st, _model(st, name))
    return 200, None, {}


@route("GET", LEG + "/registered-models/search")
def l_search_models(req):
    """max_results (default 100, max 1000) and page_token; the proto has no filter."""
    a = req.args()
    st = req.state
    with _locks(st):
        settle(st)
        items = [_model_mlflow(m) for _, m in sorted(_store(st).models.items())]
    return 200, None, page(st, a, items, "registered_models", 100, 1000)


@route("GET", LEG + "/registered-models:is-databricks-sdk-models-artifact-repository-enabled")
def l_sdk_repo_enabled(req):
    return 200, None, {"is_databricks_sdk_models_artifact_repository_enabled": True}


@route("POST", LEG + "/registered-models/alias")
def l_set_alias(req):
    b = req.json_obj()
    _set_alias(req, req_str(b, "name"), req_str(b, "alias"), parse_version(b))
    return 200, None, {}


@route("DELETE", LEG + "/registered-models/alias")
def l_delete_alias(req):
    a = req.args()
    _delete_alias(req, req_str(a, "name"), req_str(a, "alias"))
    return 200, None, {}


@route("GET", LEG + "/registered-models/alias")
def l_get_by_alias(req):
    a = req.args()
    name, alias = req_str(a, "name"), req_str(a, "alias")
    with _locks(req.state):
        settle(req.state)
        m, v = _by_alias(req.state, name, alias)
        return 200, None, {"model_version": _version_mlflow(m, v)}


def _set_tag(req, with_version):
    b = req.json_obj()
    name = req_str(b, "name")
    n = parse_version(b) if with_version else None
    key = req_str(b, "key")
    value = b.get("value", "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise invalid_param("Invalid value for parameter 'value': it must be a string.")
    check_tag(key, value, "Model version" if with_version else "Registered model")
    st = req.state
    with _locks(st):
        settle(st)
        obj = _version(st, name, n)[1] if with_version else _model(st, name)
        obj["tags"][key] = value
        _touch(req, obj)
    return 200, None, {}


def _delete_tag(req, with_version):
    a = req.args()
    name = req_str(a, "name")
    n = parse_version(a) if with_version else None
    key = req_str(a, "key")
    st = req.state
    with _locks(st):
        settle(st)
        obj = _version(st, name, n)[1] if with_version else _model(st, name)
        if obj["tags"].pop(key, None) is not None:
            _touch(req, obj)
    return 200, None, {}


@route("POST", LEG + "/registered-models/set-tag")
def l_set_model_tag(req):
    return _set_tag(req, False)


@route("DELETE", LEG + "/registered-models/delete-tag")
def l_delete_model_tag(req):
    return _delete_tag(req, False)


@route("POST", LEG + "/model-versions/set-tag")
def l_set_version_tag(req):
    return _set_tag(req, True)


@route("DELETE", LEG + "/model-versions/delete-tag")
def l_delete_version_tag(req):
    return _delete_tag(req, True)


@route("POST", LEG + "/model-versions/create")
def l_create_version(req):
    b = req.json_obj()
    name = req_str(b, "name")
    source = req_str(b, "source")
    rts = opt_str(b, "run_tracking_server_id")
    m, v = _create_version(req, name, source, opt_str(b, "run_id"), opt_str(b, "description"),
                           parse_tags(b.get("tags"), "Model version"),
                           int(rts) if rts and rts.isdigit() else None, opt_str(b, "model_id"))
    with _locks(req.state):
        return 200, None, {"model_version": _version_mlflow(m, v)}


@route("GET", LEG + "/model-versions/get")
def l_get_version(req):
    a = req.args()
    name, n = req_str(a, "name"), parse_version(a)
    with _locks(req.state):
        settle(req.state)
        m, v = _version(req.state, name, n)
        return 200, None, {"model_version": _version_mlflow(m, v)}


@route("PATCH", LEG + "/model-versions/update")
def l_update_version(req):
    b = req.json_obj()
    name, n = req_str(b, "name"), parse_version(b)
    st = req.state
    with _locks(st):
        settle(st)
        m, v = _version(st, name, n)
        if "description" in b:
            v["comment"] = opt_str(b, "description")
        _touch(req, v)
        return 200, None, {"model_version": _version_mlflow(m, v)}


@route("DELETE", LEG + "/model-versions/delete")
def l_delete_version(req):
    a = req.args()
    _delete_version(req, req_str(a, "name"), parse_version(a))
    return 200, None, {}


@route("GET", LEG + "/model-versions/search")
def l_search_versions(req):
    """filter: name = 'c.s.m' (and run_id = / IN, AND-joined); newest first."""
    a = req.args()
    conds = parse_filter(a.get("filter"), ("name", "run_id"))
    st = req.state
    with _locks(st):
        settle(st)
        items = []
        for full, m in sorted(_store(st).models.items()):
            for n in sorted(m["versions"], reverse=True):
                v = m["versions"][n]

                def get(k, m=m, v=v):
                    if k == "name":
                        return m["full_name"]
                    if k.startswith("tags."):
                        return v["tags"].get(k[5:])
                    return v.get(k)
                if filter_match([(k, op, val.lower() if k == "name" and isinstance(val, str)
                                  else val) for k, op, val in conds], get):
                    items.append(_version_mlflow(m, v))
    return 200, None, page(st, a, items, "model_versions", 10000, 10000)


@route("POST", LEG + "/model-versions/finalize")
def l_finalize(req):
    b = req.json_obj()
    m, v = _finalize(req, req_str(b, "name"), parse_version(b))
    with _locks(req.state):
        return 200, None, {"model_version": _version_mlflow(m, v)}


_OPERATIONS = ("MODEL_VERSION_OPERATION_READ", "MODEL_VERSION_OPERATION_READ_WRITE")


@route("POST", LEG + "/model-versions/generate-temporary-credentials")
def l_credentials(req):
    """DEFAULT_STORAGE: the client then uses the Files API (/Models/...), so no cloud
    credentials are handed out. READ_WRITE only for a PENDING_REGISTRATION version."""
    b = req.json_obj()
    name, n = req_str(b, "name"), parse_version(b)
    op = b.get("operation")
    if op is None:
        raise missing("operation")
    if op not in _OPERATIONS:
        raise invalid_param("Invalid value for parameter 'operation': %s (expected one of %s)."
                            % (str(op)[:60], ", ".join(_OPERATIONS)))
    st = req.state
    with _locks(st):
        settle(st)
        m, v = _version(st, name, n)
        if op.endswith("READ_WRITE") and (v["status"] != PENDING or v["finalized"]):
            raise ApiError(400, "INVALID_STATE", "Model version '%s' version %d is %s: "
                           "write credentials are only issued while it is PENDING_REGISTRATION."
                           % (m["full_name"], n, v["status"]))
        return 200, None, {"credentials": {"expiration_time": st.now_ms() + 3600 * 1000,
                                           "storage_mode": "DEFAULT_STORAGE"}}


@route("GET", LEG + "/model-versions/get-download-uri")
def l_download_uri(req):
    a = req.args()
    name, n = req_str(a, "name"), parse_version(a)
    with _locks(req.state):
        settle(req.state)
        _, v = _version(req.state, name, n)
        return 200, None, {"artifact_uri": v["storage_location"]}
