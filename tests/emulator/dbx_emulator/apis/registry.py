"""Workspace model registry (/api/2.0/mlflow/registered-models/*, /api/2.0/mlflow/model-versions/*,
the Databricks variants under /api/2.0/mlflow/databricks/... and the /api/2.0/preview/mlflow/...
aliases), databricks-api.md 9.1 and MLflow's model_registry.proto.

Model versions are strings on the wire ("1", "2", ... max+1, never reused after a delete: the
emulator keeps the highest number ever given, as the SQL store of MLflow does). A new version is
PENDING_REGISTRATION; it settles after config ``registry_pending_ms`` on the virtual clock
(0 = on the next request: the create answer itself still says PENDING_REGISTRATION). Settling
copies the model files out of the source into the version (so later changes to the run's artifacts
do not change a registered version):
  - ``runs:/<run_id>/<path>`` and ``dbfs:/databricks/mlflow-tracking/<exp>/<run>/artifacts/<path>``
    through the tracking module (mlflow.resolve_artifact_source + artifact_files): READY when at
    least one file is there;
  - ``dbfs:/Volumes/...`` or ``/Volumes/...``: the Files API store; other ``dbfs:/...`` paths: the
    DBFS store; READY when the directory holds an ``MLmodel`` file;
  - anything else (``models:/...``, ``s3://...``, a missing path): FAILED_REGISTRATION with a
    ``status_message`` naming the source.
``ws_version_files(state, name, version)`` hands a READY version's files to other modules
(serving, issue 9).

Errors follow MLflow's server texts: unknown model -> 404 RESOURCE_DOES_NOT_EXIST "Registered
Model with name=x not found"; unknown version -> 404 "Model Version (name=x, version=3) not found";
duplicate -> 400 RESOURCE_ALREADY_EXISTS; bad input -> 400 INVALID_PARAMETER_VALUE.

Search filter subset (documented in docs/emulator.md): conditions joined by AND, each
``<key> <op> <value>`` with op one of = != LIKE ILIKE (and IN ('a', 'b') for run_id); keys
``name`` (both searches), ``run_id`` / ``source_path`` (model versions) and ``tags.<key>`` (both);
values single- or double-quoted. Databricks turns a bare word into ``name ILIKE '%word%'``
(registered models only); so does the emulator. Anything else -> 400 INVALID_PARAMETER_VALUE
naming the part it could not read.
"""

import base64
import binascii
import re
import uuid

from . import on_reset, route
from ..errors import ApiError, invalid_param
from ..state import register_config

# PENDING_REGISTRATION -> READY / FAILED_REGISTRATION after this many virtual ms
register_config("registry_pending_ms", 0, (int, float), 0)
# server page size of registry searches (small so that iterators page); the page is
# min(max_results, this)
register_config("registry_page_size", 5, (int,), 1)

MLF = "/api/2.0/mlflow"
PREVIEW = "/api/2.0/preview/mlflow"
DBX = "/api/2.0/mlflow/databricks"

STAGES = ("None", "Staging", "Production", "Archived")
_STAGE_BY_LOWER = {s.lower(): s for s in STAGES}
ACTIVE_STAGES = ("Staging", "Production")

MAX_TAG_KEY = 250        # MAX_MODEL_REGISTRY_TAG_KEY_LENGTH (MLflow validation.py)
MAX_TAG_VALUE = 5000     # MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH
MAX_ALIAS = 255          # protocols.md 3
MAX_MODELS_PAGE = 1000   # registered-models/search max_results
MAX_VERSIONS_PAGE = 10000  # model-versions/search max_results on Databricks

PENDING, READY, FAILED = "PENDING_REGISTRATION", "READY", "FAILED_REGISTRATION"


def _paths(*suffixes):
    out = []
    for s in suffixes:
        out += [MLF + s, PREVIEW + s]
    return out


# ---- the store ---------------------------------------------------------------------------------

class Store:
    def __init__(self):
        self.models = {}   # name -> model dict
        self.pending = []  # version dicts still PENDING_REGISTRATION with a ready_at


@on_reset
def _reset(state):
    state.registry = Store()


def _store(state):
    return state.registry


def _user(req):
    return req.principal or "emulator-user@example.com"


# ---- shared helpers (also used by uc_models) ---------------------------------------------------

def missing(name):
    return invalid_param("Missing value for required parameter '%s'. See the API docs for more "
                         "information about request parameters." % name)


def req_str(args, name):
    v = args.get(name)
    if v is None or v == "":
        raise missing(name)
    if not isinstance(v, str):
        raise invalid_param("Invalid value %s for parameter '%s' supplied: it must be a string."
                            % (_short(v), name))
    return v


def opt_str(args, name):
    v = args.get(name)
    if v is None:
        return None
    if not isinstance(v, str):
        raise invalid_param("Invalid value %s for parameter '%s' supplied: it must be a string."
                            % (_short(v), name))
    return v


def _short(v):
    s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


def parse_version(args, name="version"):
    """A version number sent as a string ("3") or a JSON number; returns the int."""
    v = args.get(name)
    if v is None or v == "":
        raise missing(name)
    if isinstance(v, bool):
        raise invalid_param("Parameter '%s' must be an integer, got '%s'." % (name, v))
    if isinstance(v, int):
        n = v
    elif isinstance(v, str) and re.match(r"^\s*-?\d{1,18}\s*$", v):
        n = int(v)
    else:
        raise invalid_param("Parameter '%s' must be an integer, got '%s'." % (name, _short(v)[:40]))
    if n < 1:
        raise invalid_param("Parameter '%s' must be a positive integer, got '%s'." % (name, v))
    return n


def canonical_stage(v):
    s = _STAGE_BY_LOWER.get(v.lower()) if isinstance(v, str) else None
    if s is None:
        raise invalid_param("Invalid Model Version stage: %s. Value must be one of %s."
                            % (v, ", ".join(STAGES)))
    return s


_ALIAS_RX = re.compile(r"^[\w\-]*$")


def check_alias(alias):
    """MLflow's alias rules (protocols.md 3)."""
    if not _ALIAS_RX.match(alias):
        raise invalid_param("Invalid alias name: '%s'. Names may only contain alphanumerics, "
                            "underscores (_), and dashes (-)." % alias)
    if len(alias) > MAX_ALIAS:
        raise invalid_param("Alias name exceeds the maximum length of %d characters." % MAX_ALIAS)
    if alias.lower() == "latest":
        raise invalid_param("'latest' alias name (case insensitive) is reserved.")
    if re.match(r"^v\d+$", alias, re.IGNORECASE):
        raise invalid_param("Version alias name '%s' is reserved." % alias)


def check_tag(key, value, what):
    if len(key) > MAX_TAG_KEY:
        raise invalid_param("%s tag key '%s...' had length %d, which exceeded length limit of %d"
                            % (what, key[:32], len(key), MAX_TAG_KEY))
    if value is not None and len(value) > MAX_TAG_VALUE:
        raise invalid_param("%s tag value for key '%s' had length %d, which exceeded length "
                            "limit of %d" % (what, key[:64], len(value), MAX_TAG_VALUE))


def parse_tags(v, what):
    """[{key, value}] -> ordered dict."""
    out = {}
    if v is None:
        return out
    if not isinstance(v, list):
        raise invalid_param("Invalid value for parameter 'tags': expected a list of {key, value}.")
    for i, t in enumerate(v):
        if not isinstance(t, dict) or not isinstance(t.get("key"), str) or not t.get("key"):
            raise invalid_param("tags[%d].key is required." % i)
        val = t.get("value", "")
        if val is None:
            val = ""
        if not isinstance(val, str):
            raise invalid_param("tags[%d].value must be a string." % i)
        check_tag(t["key"], val, what)
        out[t["key"]] = val
    return out


def tag_list(tags):
    return [{"key": k, "value": v} for k, v in tags.items()]


# ---- paging --------------------------------------------------------------------------------------

def parse_max_results(args, default, maximum):
    v = args.get("max_results")
    if v is None or v == "":
        return default
    try:
        n = int(v)
    except (TypeError, ValueError):
        raise invalid_param("Invalid value for request parameter max_results: %s" % _short(v))
    if n < 1:
        raise invalid_param("Invalid value for request parameter max_results. It must be a "
                            "positive integer, but got value %d" % n)
    if n > maximum:
        raise invalid_param("Invalid value for request parameter max_results. It must be at "
                            "most %d, but got value %d" % (maximum, n))
    return n


def page(state, args, items, key, default, maximum):
    """Offset paging with an opaque token; the page is min(max_results, registry_page_size)."""
    n = min(parse_max_results(args, default, maximum), state.config["registry_page_size"])
    start = 0
    tok = args.get("page_token")
    if tok:
        try:
            raw = base64.urlsafe_b64decode(tok.encode() + b"==").decode()
            if not raw.startswith("reg:"):
                raise ValueError(raw)
            start = int(raw[4:])
            if start < 0:
                raise ValueError(raw)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise invalid_param("Invalid page token: %s" % tok[:64])
    out = {}
    chunk = items[start:start + n]
    if chunk:
        out[key] = chunk
    if start + n < len(items):
        out["next_page_token"] = base64.urlsafe_b64encode(
            ("reg:%d" % (start + n)).encode()).decode().rstrip("=")
    return out


# ---- search filters ------------------------------------------------------------------------------

_TOKEN_RX = re.compile(r"""\s*(?:
    (?P<str>'(?:[^']|'')*'|"(?:[^"]|"")*")
  | (?P<op>!=|<>|=|\(|\)|,)
  | (?P<word>`[^`]+`|[A-Za-z_][\w.]*(?:\.`[^`]+`)?)
)""", re.VERBOSE)


def _like_rx(pattern, ci):
    out = []
    for ch in pattern:
        if ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return re.compile("^" + "".join(out) + "$", re.S | (re.I if ci else 0))


def parse_filter(text, keys, bare_word_key=None):
    """Returns [(key, op, value-or-list)]; keys = the attribute names allowed besides tags.<k>."""
    text = (text or "").strip()
    if not text:
        return []
    if bare_word_key and re.match(r"^[^\s'\"=<>!()]+$", text) and text.upper() not in (
            "AND", "LIKE", "ILIKE"):
        return [(bare_word_key, "ILIKE", "%" + text + "%")]
    toks = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RX.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise invalid_param("Invalid filter '%s': could not parse '%s'."
                                % (text[:200], text[pos:pos + 40]))
        pos = m.end()
        if m.group("str") is not None:
            s = m.group("str")
            q = s[0]
            toks.append(("str", s[1:-1].replace(q + q, q)))
        elif m.group("op") is not None:
            toks.append(("op", m.group("op")))
        else:
            toks.append(("word", m.group("word")))
    conds = []
    i = 0

    def bad(what):
        return invalid_param("Invalid filter '%s': %s." % (text[:200], what))
    while i < len(toks):
        if conds:
            if toks[i] != ("word", toks[i][1]) or toks[i][1].upper() != "AND":
                raise bad("expected AND, got '%s'" % toks[i][1])
            i += 1
        if i >= len(toks) or toks[i][0] != "word":
            raise bad("expected an attribute")
        key = toks[i][1].replace("`", "")
        low = key.lower()
        if low.startswith("tags.") or low.startswith("tag."):
            key = "tags." + key.split(".", 1)[1]
        elif low in keys:
            key = low
        else:
            raise bad("unsupported attribute '%s' (supported: %s, tags.<key>)"
                      % (key, ", ".join(keys)))
        i += 1
        if i >= len(toks):
            raise bad("expected a comparison after '%s'" % key)
        kind, op = toks[i]
        if kind == "word" and op.upper() in ("LIKE", "ILIKE", "IN"):
            op = op.upper()
        elif kind == "op" and op in ("=", "!=", "<>"):
            op = "!=" if op == "<>" else op
        else:
            raise bad("unsupported comparison '%s'" % op)
        i += 1
        if op == "IN":
            if key != "run_id":
                raise bad("IN is supported for run_id only")
            if i >= len(toks) or toks[i] != ("op", "("):
                raise bad("expected '(' after IN")
            i += 1
            vals = []
            while True:
                if i >= len(toks) or toks[i][0] != "str":
                    raise bad("expected a quoted value in the IN list")
                vals.append(toks[i][1])
                i += 1
                if i < len(toks) and toks[i] == ("op", ","):
                    i += 1
                    continue
                if i < len(toks) and toks[i] == ("op", ")"):
                    i += 1
                    break
                raise bad("expected ',' or ')' in the IN list")
            conds.append((key, op, vals))
            continue
        if i >= len(toks) or toks[i][0] != "str":
            raise bad("expected a quoted value after '%s %s'" % (key, op))
        conds.append((key, op, toks[i][1]))
        i += 1
    return conds


def filter_match(conds, getter):
    """getter(key) -> the string value (None when absent, e.g. a missing tag)."""
    for key, op, val in conds:
        have = getter(key)
        if op == "IN":
            if have not in val:
                return False
            continue
        if have is None:
            if op == "!=":
                continue
            return False
        if op == "=" and have != val:
            return False
        if op == "!=" and have == val:
            return False
        if op in ("LIKE", "ILIKE") and not _like_rx(val, op == "ILIKE").match(have):
            return False
    return True


def parse_order_by(values, allowed, default):
    """order_by items 'key [ASC|DESC]' -> [(key, desc)]; allowed maps accepted names to keys."""
    if values is None:
        return list(default)
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        raise invalid_param("order_by must be a list of strings")
    out = []
    for v in values:
        if not isinstance(v, str):
            raise invalid_param("order_by must be a list of strings")
        parts = v.strip().split()
        if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1].upper() not in (
                "ASC", "DESC")):
            raise invalid_param("Invalid order_by clause '%s'." % v[:100])
        k = allowed.get(parts[0].lower().replace("`", ""))
        if k is None:
            raise invalid_param("Invalid order by key '%s' specified. Valid keys are '%s'"
                                % (parts[0][:100], sorted(set(allowed))))
        out.append((k, len(parts) == 2 and parts[1].upper() == "DESC"))
    for k, d in default:
        if k not in [x[0] for x in out]:
            out.append((k, d))
    return out


def sort_items(items, order, getter):
    for key, desc in reversed(order):
        items.sort(key=lambda it: _sort_key(getter(it, key)), reverse=desc)
    return items


def _sort_key(v):
    return (v is None, v if v is not None else 0)


# ---- the tracking module (h/emu-mlflow), optional ---------------------------------------------

def _mlflow():
    try:
        from . import mlflow
    except ImportError:
        return None
    if not hasattr(mlflow, "resolve_artifact_source"):
        return None
    return mlflow


# ---- sources -----------------------------------------------------------------------------------

def _read_blob(path):
    with open(path, "rb") as f:
        return f.read()


def dbfs_tree(state, path):
    """Files under DBFS directory path (normalised, no trailing slash) -> {relpath: bytes}."""
    store = getattr(state, "dbfs", None)
    if store is None:
        return None
    node = store.nodes.get(path)
    if node is None or not node.is_dir:
        return None
    pre = path.rstrip("/") + "/"
    out = {}
    for p, n in store.nodes.items():
        if p.startswith(pre) and not n.is_dir:
            out[p[len(pre):]] = _read_blob(n.blob) if n.blob else b""
    return out


def files_tree(state, path):
    """Files under a Files API directory -> {relpath: bytes}, or None when it is not a directory."""
    store = getattr(state, "files_store", None)
    if store is None:
        return None
    path = path.rstrip("/")
    pre = path + "/"
    out = {}
    for p, f in store.files.items():
        if p.startswith(pre):
            out[p[len(pre):]] = _read_blob(f["blob"])
    if not out and path not in store.dirs:
        return None
    return out


def _norm_path(p):
    parts = [s for s in p.split("/") if s]
    if any(s in (".", "..") for s in parts) or "\x00" in p:
        return None
    return "/" + "/".join(parts)


def resolve_source(state, source):
    """(files {relpath: bytes}, download uri, None) or (None, None, failure message)."""
    mlf = _mlflow()
    if mlf is not None:
        got = mlf.resolve_artifact_source(state, source)
        if got is not None:
            run_id, rel = got
            files = dict(mlf.artifact_files(state, run_id, rel))
            if not files:
                return None, None, ("Failed to copy model files: the source '%s' holds no "
                                    "artifacts (run %s, path '%s')." % (source, run_id, rel))
            uri = source
            run = mlf.run_get(state, run_id)
            if isinstance(run, dict):
                info = run.get("info") if isinstance(run.get("info"), dict) else run
                base = info.get("artifact_uri")
                if isinstance(base, str) and base:
                    uri = base.rstrip("/") + ("/" + rel.strip("/") if rel.strip("/") else "")
            return files, uri, None
    if source.startswith("runs:/") or source.startswith("dbfs:/databricks/mlflow-tracking/"):
        return None, None, ("Failed to copy model files: the run artifacts at '%s' do not exist."
                            % source)
    if source.startswith("dbfs:/"):
        path = source[5:]
    elif source.startswith("/"):
        path = source
    else:
        return None, None, ("Failed to copy model files: unsupported source '%s' (expected "
                            "runs:/..., dbfs:/... or /Volumes/...)." % source)
    path = _norm_path(path)
    if path is None:
        return None, None, "Failed to copy model files: invalid source path '%s'." % source
    if path.startswith("/Volumes/"):
        files = files_tree(state, path)
        uri = "dbfs:" + path
    else:
        files = dbfs_tree(state, path)
        uri = "dbfs:" + path
    if files is None:
        return None, None, "Failed to copy model files: the source '%s' does not exist." % source
    if "MLmodel" not in files:
        return None, None, ("Failed to copy model files: the source '%s' has no MLmodel file."
                            % source)
    return files, uri, None


def settle(state):
    """Move every pending version whose time has come to READY / FAILED_REGISTRATION."""
    store = _store(state)
    if not store.pending:
        return
    now = state.now_ms()
    keep = []
    for v in store.pending:
        if v.get("deleted"):
            continue
        if v["ready_at"] > now:
            keep.append(v)
            continue
        files, uri, err = resolve_source(state, v["source"])
        if err:
            v["status"] = FAILED
            v["status_message"] = err
        else:
            v["status"] = READY
            v["status_message"] = None
            v["files"] = files
            v["download_uri"] = uri
        v["last_updated_timestamp"] = max(v["last_updated_timestamp"], v["ready_at"])
    store.pending = keep


def ws_version_files(state, name, version):
    """The files of a READY workspace model version as {relpath: bytes}; None when the version
    does not exist or is not READY. For other emulator modules (serving)."""
    with state.lock:
        settle(state)
        m = _store(state).models.get(name)
        v = m["versions"].get(int(version)) if m else None
        if v is None or v["status"] != READY:
            return None
        return dict(v["files"])


@route("GET", "/__emulator/registry/files")
def control_version_files(req):
    """Control: a READY version's files, base64 ({"files": {relpath: b64}}); workspace registry
    with ?name=&version=, Unity Catalog with ?full_name=c.s.m&version= (404 when the version does
    not exist or is not READY)."""
    a = req.args()
    version = parse_version(a)
    if a.get("full_name"):
        from .uc_models import uc_version_files
        files = uc_version_files(req.state, a["full_name"], version)
    else:
        files = ws_version_files(req.state, req_str(a, "name"), version)
    if files is None:
        raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", "No READY model version with these "
                       "parameters.")
    return 200, None, {"files": {k: base64.b64encode(v).decode() for k, v in files.items()}}


# ---- shapes --------------------------------------------------------------------------------------

def _version_out(m, v):
    d = {"name": m["name"], "version": str(v["version"]),
         "creation_timestamp": v["creation_timestamp"],
         "last_updated_timestamp": v["last_updated_timestamp"], "user_id": v["user_id"],
         "current_stage": v["current_stage"]}
    for k in ("description", "source", "run_id", "run_link"):
        if v.get(k):
            d[k] = v[k]
    d["status"] = v["status"]
    if v.get("status_message"):
        d["status_message"] = v["status_message"]
    if v["tags"]:
        d["tags"] = tag_list(v["tags"])
    aliases = sorted(a for a, n in m["aliases"].items() if n == v["version"])
    if aliases:
        d["aliases"] = aliases
    return d


def _latest(m, stages=None):
    """The highest READY version per stage, in stage order."""
    best = {}
    for n, v in m["versions"].items():
        if v["status"] != READY:
            continue
        s = v["current_stage"]
        if stages is not None and s not in stages:
            continue
        if s not in best or n > best[s]["version"]:
            best[s] = v
    return [_version_out(m, best[s]) for s in STAGES if s in best]


def _model_out(m):
    d = {"name": m["name"], "creation_timestamp": m["creation_timestamp"],
         "last_updated_timestamp": m["last_updated_timestamp"], "user_id": m["user_id"]}
    if m.get("description"):
        d["description"] = m["description"]
    lv = _latest(m)
    if lv:
        d["latest_versions"] = lv
    if m["tags"]:
        d["tags"] = tag_list(m["tags"])
    if m["aliases"]:
        d["aliases"] = [{"alias": a, "version": str(n)} for a, n in sorted(m["aliases"].items())]
    return d


def _model(state, name):
    m = _store(state).models.get(name)
    if m is None:
        raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=%s not found"
                       % name)
    return m


def _version(state, name, n):
    m = _model(state, name)
    v = m["versions"].get(n)
    if v is None:
        raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", "Model Version (name=%s, version=%d) "
                       "not found" % (name, n))
    return m, v


def _touch(m, now):
    m["last_updated_timestamp"] = now


# ---- registered models ---------------------------------------------------------------------------

@route("POST", *_paths("/registered-models/create"))
def create_model(req):
    b = req.json_obj()
    name = req_str(b, "name")
    if not name.strip():
        raise invalid_param("Registered model name cannot be empty.")
    desc = opt_str(b, "description")
    tags = parse_tags(b.get("tags"), "Registered model")
    st = req.state
    with st.lock:
        settle(st)
        store = _store(st)
        if name in store.models:
            raise ApiError(400, "RESOURCE_ALREADY_EXISTS",
                           "Registered Model (name=%s) already exists." % name)
        now = st.now_ms()
        m = {"name": name, "id": uuid.uuid4().hex, "creation_timestamp": now,
             "last_updated_timestamp": now, "user_id": _user(req), "description": desc,
             "tags": tags, "aliases": {}, "versions": {}, "max_version": 0}
        store.models[name] = m
        return 200, None, {"registered_model": _model_out(m)}


@route("GET", *_paths("/registered-models/get"))
def get_model(req):
    name = req_str(req.args(), "name")
    with req.state.lock:
        settle(req.state)
        return 200, None, {"registered_model": _model_out(_model(req.state, name))}


@route("GET", DBX + "/registered-models/get")
def get_model_databricks(req):
    name = req_str(req.args(), "name")
    with req.state.lock:
        settle(req.state)
        m = _model(req.state, name)
        d = _model_out(m)
        d.pop("aliases", None)  # RegisteredModelDatabricks has no aliases field
        d["id"] = m["id"]
        d["permission_level"] = "CAN_MANAGE"
        return 200, None, {"registered_model_databricks": d}


@route("POST", *_paths("/registered-models/rename"))
def rename_model(req):
    b = req.json_obj()
    name = req_str(b, "name")
    new = req_str(b, "new_name")
    if not new.strip():
        raise invalid_param("Registered model name cannot be empty.")
    st = req.state
    with st.lock:
        settle(st)
        store = _store(st)
        m = _model(st, name)
        if new != name:
            if new in store.models:
                raise ApiError(400, "RESOURCE_ALREADY_EXISTS",
                               "Registered Model (name=%s) already exists." % new)
            del store.models[name]
            m["name"] = new
            store.models[new] = m
        _touch(m, st.now_ms())
        return 200, None, {"registered_model": _model_out(m)}


@route("PATCH", *_paths("/registered-models/update"))
def update_model(req):
    b = req.json_obj()
    name = req_str(b, "name")
    desc = opt_str(b, "description")
    st = req.state
    with st.lock:
        settle(st)
        m = _model(st, name)
        if "description" in b:
            m["description"] = desc
        _touch(m, st.now_ms())
        return 200, None, {"registered_model": _model_out(m)}


@route("DELETE", *_paths("/registered-models/delete"))
def delete_model(req):
    name = req_str(req.args(), "name")
    st = req.state
    with st.lock:
        settle(st)
        m = _model(st, name)
        for v in m["versions"].values():
            v["deleted"] = True
        del _store(st).models[name]
    return 200, None, {}


_MODEL_ORDER = {"name": "name", "last_updated_timestamp": "last_updated_timestamp",
                "timestamp": "last_updated_timestamp"}


def _model_key(m, key):
    if key.startswith("tags."):
        return m["tags"].get(key[5:])
    return m.get(key)


@route("GET", *_paths("/registered-models/search"))
def search_models(req):
    a = req.args()
    conds = parse_filter(a.get("filter"), ("name",), bare_word_key="name")
    order = parse_order_by(req.query.get("order_by") if req.method == "GET" and "order_by" in
                           req.query else a.get("order_by"), _MODEL_ORDER, [("name", False)])
    st = req.state
    with st.lock:
        settle(st)
        items = [m for m in _store(st).models.values()
                 if filter_match(conds, lambda k, m=m: _model_key(m, k))]
        sort_items(items, order, _model_key)
        out = [_model_out(m) for m in items]
    return 200, None, page(st, a, out, "registered_models", 100, MAX_MODELS_PAGE)


@route("GET", *_paths("/registered-models/list"))
def list_models(req):
    a = req.args()
    st = req.state
    with st.lock:
        settle(st)
        out = [_model_out(m) for _, m in sorted(_store(st).models.items())]
    return 200, None, page(st, a, out, "registered_models", 100, MAX_MODELS_PAGE)


def _stages_arg(req, a):
    if req.method == "GET":
        raw = req.query.get("stages")
        if raw is None and isinstance(a.get("stages"), list):
            raw = a["stages"]
    else:
        raw = a.get("stages")
    if raw is None or raw == []:
        return None
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise invalid_param("stages must be a list of strings")
    return {canonical_stage(s) for s in raw}


@route("POST", *_paths("/registered-models/get-latest-versions"))
@route("GET", *_paths("/registered-models/get-latest-versions"))
def latest_versions(req):
    a = req.args()
    name = req_str(a, "name")
    stages = _stages_arg(req, a)
    with req.state.lock:
        settle(req.state)
        out = _latest(_model(req.state, name), stages)
    return 200, None, ({"model_versions": out} if out else {})


@route("POST", *_paths("/registered-models/set-tag"))
def set_model_tag(req):
    b = req.json_obj()
    name = req_str(b, "name")
    key = req_str(b, "key")
    value = b.get("value")
    if value is None:
        raise missing("value")
    if not isinstance(value, str):
        raise invalid_param("Invalid value for parameter 'value': it must be a string.")
    check_tag(key, value, "Registered model")
    st = req.state
    with st.lock:
        settle(st)
        m = _model(st, name)
        m["tags"][key] = value
        _touch(m, st.now_ms())
    return 200, None, {}


@route("DELETE", *_paths("/registered-models/delete-tag"))
def delete_model_tag(req):
    a = req.args()
    name = req_str(a, "name")
    key = req_str(a, "key")
    st = req.state
    with st.lock:
        settle(st)
        m = _model(st, name)
        # MLflow's SQL store deletes a missing tag without complaint
        if m["tags"].pop(key, None) is not None:
            _touch(m, st.now_ms())
    return 200, None, {}


# ---- aliases ------------------------------------------------------------------------------------

@route("POST", *_paths("/registered-models/alias"))
def set_alias(req):
    b = req.json_obj()
    name = req_str(b, "name")
    alias = req_str(b, "alias")
    n = parse_version(b)
    check_alias(alias)
    st = req.state
    with st.lock:
        settle(st)
        m, _ = _version(st, name, n)
        m["aliases"][alias] = n  # moves the alias when it pointed elsewhere
        _touch(m, st.now_ms())
    return 200, None, {}


@route("DELETE", *_paths("/registered-models/alias"))
def delete_alias(req):
    a = req.args()
    name = req_str(a, "name")
    alias = req_str(a, "alias")
    st = req.state
    with st.lock:
        settle(st)
        m = _model(st, name)
        # MLflow deletes a missing alias without complaint
        if m["aliases"].pop(alias, None) is not None:
            _touch(m, st.now_ms())
    return 200, None, {}


@route("GET", *_paths("/registered-models/alias"))
def get_by_alias(req):
    a = req.args()
    name = req_str(a, "name")
    alias = req_str(a, "alias")
    st = req.state
    with st.lock:
        settle(st)
        m = _model(st, name)
        n = m["aliases"].get(alias)
        if n is None:
            raise ApiError(404, "RESOURCE_DOES_NOT_EXIST",
                           "Registered model alias %s not found." % alias)
        return 200, None, {"model_version": _version_out(m, m["versions"][n])}


# ---- model versions ------------------------------------------------------------------------------

@route("POST", *_paths("/model-versions/create"))
def create_version(req):
    b = req.json_obj()
    name = req_str(b, "name")
    source = req_str(b, "source")
    run_id = opt_str(b, "run_id")
    run_link = opt_str(b, "run_link")
    desc = opt_str(b, "description")
    tags = parse_tags(b.get("tags"), "Model version")
    st = req.state
    with st.lock:
        settle(st)
        m = _model(st, name)
        now = st.now_ms()
        m["max_version"] += 1
        n = m["max_version"]
        v = {"version": n, "creation_timestamp": now, "last_updated_timestamp": now,
             "user_id": _user(req), "current_stage": "None", "description": desc,
             "source": source, "run_id": run_id, "run_link": run_link, "status": PENDING,
             "status_message": None, "tags": tags, "files": None, "download_uri": None,
             "ready_at": now + int(st.config["registry_pending_ms"])}
        m["versions"][n] = v
        _store(st).pending.append(v)
        _touch(m, now)
        return 200, None, {"model_version": _version_out(m, v)}


@route("GET", *_paths("/model-versions/get"))
def get_version(req):
    a = req.args()
    name = req_str(a, "name")
    n = parse_version(a)
    with req.state.lock:
        settle(req.state)
        m, v = _version(req.state, name, n)
        return 200, None, {"model_version": _version_out(m, v)}


@route("PATCH", *_paths("/model-versions/update"))
def update_version(req):
    b = req.json_obj()
    name = req_str(b, "name")
    n = parse_version(b)
    desc = opt_str(b, "description")
    st = req.state
    with st.lock:
        settle(st)
        m, v = _version(st, name, n)
        if "description" in b:
            v["description"] = desc
        v["last_updated_timestamp"] = st.now_ms()
        return 200, None, {"model_version": _version_out(m, v)}


@route("DELETE", *_paths("/model-versions/delete"))
def delete_version(req):
    a = req.args()
    name = req_str(a, "name")
    n = parse_version(a)
    st = req.state
    with st.lock:
        settle(st)
        m, v = _version(st, name, n)
        v["deleted"] = True
        del m["versions"][n]
        for al in [al for al, x in m["aliases"].items() if x == n]:
            del m["aliases"][al]
        _touch(m, st.now_ms())
    return 200, None, {}


def _transition(req):
    b = req.json_obj()
    name = req_str(b, "name")
    n = parse_version(b)
    stage = canonical_stage(req_str(b, "stage"))
    archive = b.get("archive_existing_versions")
    if archive is None:
        raise missing("archive_existing_versions")
    if not isinstance(archive, bool):
        raise invalid_param("Invalid value for parameter 'archive_existing_versions': it must be "
                            "a boolean.")
    if archive and stage not in ACTIVE_STAGES:
        raise invalid_param("Model version transition cannot archive existing model versions "
                            "because '%s' is not an Active stage. Valid stages are %s"
                            % (stage, ", ".join(ACTIVE_STAGES)))
    st = req.state
    with st.lock:
        settle(st)
        m, v = _version(st, name, n)
        now = st.now_ms()
        if archive:
            for other in m["versions"].values():
                if other is not v and other["current_stage"] == stage:
                    other["current_stage"] = "Archived"
                    other["last_updated_timestamp"] = now
        v["current_stage"] = stage
        v["last_updated_timestamp"] = now
        _touch(m, now)
        return m, v


@route("POST", *_paths("/model-versions/transition-stage"))
def transition_stage(req):
    m, v = _transition(req)
    return 200, None, {"model_version": _version_out(m, v)}


@route("POST", DBX + "/model-versions/transition-stage")
def transition_stage_databricks(req):
    m, v = _transition(req)
    d = _version_out(m, v)
    d.pop("aliases", None)
    d["permission_level"] = "CAN_MANAGE"
    return 200, None, {"model_version_databricks": d}


@route("GET", *_paths("/model-versions/get-download-uri"))
def download_uri(req):
    a = req.args()
    name = req_str(a, "name")
    n = parse_version(a)
    with req.state.lock:
        settle(req.state)
        _, v = _version(req.state, name, n)
        return 200, None, {"artifact_uri": v["download_uri"] or v["source"]}


_VERSION_ORDER = {"name": "name", "version_number": "version", "version": "version",
                  "creation_timestamp": "creation_timestamp",
                  "last_updated_timestamp": "last_updated_timestamp",
                  "timestamp": "last_updated_timestamp"}


def _version_key(pair, key):
    m, v = pair
    if key == "name":
        return m["name"]
    if key == "source_path":
        return v["source"]
    if key.startswith("tags."):
        return v["tags"].get(key[5:])
    return v.get(key)


@route("GET", *_paths("/model-versions/search"))
def search_versions(req):
    a = req.args()
    conds = parse_filter(a.get("filter"), ("name", "run_id", "source_path"))
    order = parse_order_by(req.query.get("order_by") if "order_by" in req.query else
                           a.get("order_by"), _VERSION_ORDER,
                           [("last_updated_timestamp", True), ("name", False), ("version", True)])
    st = req.state
    with st.lock:
        settle(st)
        items = [(m, v) for m in _store(st).models.values() for v in m["versions"].values()
                 if filter_match(conds, lambda k, mv=(m, v): _version_key(mv, k))]
        sort_items(items, order, _version_key)
        out = [_version_out(m, v) for m, v in items]
    return 200, None, page(st, a, out, "model_versions", MAX_VERSIONS_PAGE, MAX_VERSIONS_PAGE)


@route("POST", *_paths("/model-versions/set-tag"))
def set_version_tag(req):
    b = req.json_obj()
    name = req_str(b, "name")
    n = parse_version(b)
    key = req_str(b, "key")
    value = b.get("value")
    if value is None:
        raise missing("value")
    if not isinstance(value, str):
        raise invalid_param("Invalid value for parameter 'value': it must be a string.")
    check_tag(key, value, "Model version")
    st = req.state
    with st.lock:
        settle(st)
        _, v = _version(st, name, n)
        v["tags"][key] = value
        v["last_updated_timestamp"] = st.now_ms()
    return 200, None, {}


@route("DELETE", *_paths("/model-versions/delete-tag"))
def delete_version_tag(req):
    a = req.args()
    name = req_str(a, "name")
    n = parse_version(a)
    key = req_str(a, "key")
    st = req.state
    with st.lock:
        settle(st)
        _, v = _version(st, name, n)
        if v["tags"].pop(key, None) is not None:  # a missing tag: no error (as MLflow)
            v["last_updated_timestamp"] = st.now_ms()
    return 200, None, {}


__all__ = ["ws_version_files", "settle", "resolve_source"]
