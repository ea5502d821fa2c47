"""MLflow tracking (`/api/2.0/mlflow/*`, databricks-api.md section 8) and run artifacts.

Experiments, runs (params, metrics with history, tags, dataset inputs, logged models), search
with a documented filter / order_by subset, paging, soft delete / restore, and the Databricks
artifact flow: `artifacts/credentials-for-write|read` hand out signed URLs on the second host
(127.0.0.2, like the Files API part URLs and the SQL external links), which stores and serves
the bytes. Runs of experiments whose artifact location is a UC volume keep their artifacts in
the Files API store (apis/files.py) instead.

Limits and error texts follow MLflow 2.4 (`mlflow/utils/validation.py`, the tracking stores),
which the reference names as the authority; where Databricks' own text or behaviour is not known
the choice is marked "(unclear)".

Functions for other emulator modules (the model registry) are at the end: `run_get`,
`artifact_read`, `artifact_files`, `resolve_artifact_source`.
"""

import atexit
import base64
import binascii
import datetime
import hashlib
import hmac
import json
import math
import os
import posixpath
import random
import re
import shutil
import tempfile
import threading
import uuid
from urllib.parse import quote

from . import on_reset, other_host_route, route
from ..errors import ApiError, invalid_param, not_found
from ..server import FileBody
from ..state import register_config

PREFIXES = ("/api/2.0/mlflow", "/api/2.0/preview/mlflow")
STORE_PATH = "/mlflow-store/"          # signed URLs on the second host
TRACKING_ROOT = "dbfs:/databricks/mlflow-tracking"
FIRST_EXPERIMENT_ID = 3141592653589793  # ids are numeric strings, long like Databricks'

# MLflow 2.4 validation constants (reference: databricks-api.md section 8)
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_METRICS_PER_BATCH = 1000
MAX_ENTITIES_PER_BATCH = 1000
MAX_BATCH_LOG_REQUEST_SIZE = 1000000
MAX_TAG_VAL_LENGTH = 5000
MAX_ENTITY_KEY_LENGTH = 250
MAX_EXPERIMENT_TAG_KEY_LENGTH = 250
MAX_EXPERIMENT_TAG_VAL_LENGTH = 5000
MAX_DATASETS_PER_BATCH = 1000
MAX_DATASET_NAME_SIZE = 500
MAX_DATASET_DIGEST_SIZE = 36
MAX_DATASET_SOURCE_SIZE = 65535
MAX_DATASET_SCHEMA_SIZE = 1048575
MAX_DATASET_PROFILE_SIZE = 16777215
MAX_INPUT_TAG_KEY_SIZE = 255
MAX_INPUT_TAG_VALUE_SIZE = 500
EXPERIMENTS_MAX_RESULTS = 3000   # Databricks (reference section 8)
RUNS_MAX_RESULTS = 50000
HISTORY_MAX_RESULTS = 25000
DELETE_RUNS_MAX = 10000
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1

# Param value limit: 500 = the Databricks doc and MLflow 2.4 (later OSS releases raised it).
register_config("mlflow_max_param_value", 500, (int,), 1)
# Largest page the searches / experiments/list answer, whatever max_results asks (the real
# server honours max_results up to its maximum; a smaller page with a token is legal and makes
# clients' iterators page in tests).
register_config("page_size_mlflow_search", 50, (int,), 1)
# Largest page of metrics/get-history (Databricks' default and maximum is 25000).
register_config("page_size_mlflow_history", 1000, (int,), 1)
# Credential infos per credentials-for-read/write answer. The real page size is not documented
# (unclear); MLflow's client follows next_page_token whatever it is.
register_config("mlflow_credentials_page", 100, (int,), 1)
# Lifetime of the signed artifact URLs on the virtual clock (seconds).
register_config("mlflow_signed_url_ttl_s", 900, (int,), 1)
# "AWS_PRESIGNED_URL" (default) or "AZURE_SAS_URI": the kind of signed URL handed out.
register_config("mlflow_artifact_credential_type", "AWS_PRESIGNED_URL", (str,), None)
# Entries per artifacts/list page (not for UC-volume artifacts: those answer at most 1000, unpaged).
register_config("mlflow_artifacts_page", 1000, (int,), 1)

CREDENTIAL_TYPES = ("AWS_PRESIGNED_URL", "AZURE_SAS_URI")
RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")
VIEW_TYPES = ("ACTIVE_ONLY", "DELETED_ONLY", "ALL")
ACTIVE, DELETED = "active", "deleted"

_SECRET = os.urandom(16)
_ROOTS = []
_ROOT_LOCK = threading.Lock()

# MLflow 2.4 name rules (keys of metrics, params and tags)
_VALID_NAME_RX = re.compile(r"^[/\w.\- ]*$")
_BAD_CHARACTERS_MESSAGE = ("Names may only contain alphanumerics, underscores (_), dashes (-), "
                           "periods (.), spaces ( ), and slashes (/).")
_MISSING_KEY_NAME_MESSAGE = "A key name must be provided."
_RUN_ID_RX = re.compile(r"^[0-9a-f]{32}$")

_ADJECTIVES = ("able", "bold", "brave", "bright", "calm", "clever", "crisp", "eager", "fair",
               "gentle", "glad", "honest", "keen", "kind", "lucky", "merry", "neat", "proud",
               "quick", "silent", "smart", "swift", "tidy", "vivid", "wise")
_NOUNS = ("ant", "bass", "bat", "cod", "crab", "deer", "dove", "eel", "finch", "fox", "goat",
          "hare", "hawk", "koi", "lark", "lynx", "mole", "moth", "owl", "ram", "seal", "shrew",
          "slug", "snail", "toad", "wolf", "wren", "yak")


class Store:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="dbx-emu-mlflow-")
        with _ROOT_LOCK:
            _ROOTS.append(self.root)
        self.exps = {}        # experiment_id -> experiment dict (tags: dict)
        self.next_exp = 0
        self.runs = {}        # run_id -> Run
        self.blobs = {}       # run_id -> {relpath: {"blob", "size", "etag", "mtime_ms"}}
        self.seq = 0

    def blob(self):
        return os.path.join(self.root, uuid.uuid4().hex)


class Run:
    __slots__ = ("info", "params", "tags", "history", "latest", "inputs", "deleted_time", "seq",
                 "seen")

    def __init__(self, info, seq):
        self.info = info          # RunInfo fields (end_time absent until set)
        self.params = {}          # key -> value, in first-logged order
        self.tags = {}            # key -> value
        self.history = {}         # metric key -> [(value, timestamp, step)] in logged order
        self.latest = {}          # metric key -> (value, timestamp, step)
        self.seen = set()         # (key, timestamp, step, value) already in the history
        self.inputs = []          # DatasetInput dicts
        self.deleted_time = None
        self.seq = seq


@on_reset
def _reset(state):
    old = getattr(state, "mlflow", None)
    state.mlflow = Store()
    if old is not None:
        shutil.rmtree(old.root, ignore_errors=True)
        with _ROOT_LOCK:
            if old.root in _ROOTS:
                _ROOTS.remove(old.root)


@atexit.register
def _cleanup():
    with _ROOT_LOCK:
        for r in _ROOTS:
            shutil.rmtree(r, ignore_errors=True)


def _route(method, suffix):
    return route(method, *[p + suffix for p in PREFIXES])


# ---- request fields --------------------------------------------------------------------------

def _missing(name):
    return invalid_param("Missing value for required parameter '%s'." % name)


def _bad_value(name, value, why=None):
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    if why:
        return invalid_param("Invalid value %s for parameter '%s' supplied: %s" % (text, name, why))
    return invalid_param("Invalid value %s for parameter '%s' supplied." % (text, name))


def _str(args, name, required=False):
    v = args.get(name)
    if v is None:
        if required:
            raise _missing(name)
        return None
    if not isinstance(v, str):
        raise _bad_value(name, v, "Hint: Value was of type '%s'. See the API docs for more "
                                  "information about request parameters." % type(v).__name__)
    return v


def _int64(args, name, required=False, default=None):
    """int64 as a JSON number or a decimal string (proto3 JSON); GET query values are strings."""
    v = args.get(name)
    if v is None:
        if required:
            raise _missing(name)
        return default
    if isinstance(v, bool):
        raise _bad_value(name, v)
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, str) and re.match(r"^-?\d{1,19}$", v.strip()):
        v = int(v.strip())
    if not isinstance(v, int) or not INT64_MIN <= v <= INT64_MAX:
        raise _bad_value(name, v)
    return v


def _enum(args, name, values, default=None):
    v = args.get(name)
    if v is None:
        return default
    if isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= len(values):
        return values[v - 1]  # proto enum numbers follow the declaration order (1-based)
    if isinstance(v, str) and v in values:
        return v
    raise _bad_value(name, v)


def _run_id(args):
    rid = _str(args, "run_id")
    if rid is None:
        rid = _str(args, "run_uuid")  # deprecated alias
    if rid is None:
        raise _missing("run_id")
    return rid


def _list(args, name):
    v = args.get(name)
    if v is None:
        return []
    if not isinstance(v, list):
        raise _bad_value(name, v)
    return v


def _kv_list(args, name):
    """[{key, value}] -> [(key, value)] (either may be None: validated by the caller)."""
    out = []
    for i, t in enumerate(_list(args, name)):
        if not isinstance(t, dict):
            raise _bad_value("%s[%d]" % (name, i), t)
        k, v = t.get("key"), t.get("value")
        if k is not None and not isinstance(k, str):
            raise _bad_value("%s[%d].key" % (name, i), k)
        if v is not None and not isinstance(v, str):
            raise _bad_value("%s[%d].value" % (name, i), v)
        out.append((k, v))
    return out


# ---- MLflow validation (texts of MLflow 2.4) -------------------------------------------------

def _bad_path_message(name):
    return ("Names may be treated as files in certain cases, and must not resolve to other names "
            "when treated as such. This name would resolve to '%s'" % posixpath.normpath(name))


def _path_not_unique(name):
    norm = posixpath.normpath(name)
    return norm != name or norm == "." or norm.startswith("..") or norm.startswith("/")


def _validate_name(kind, name):
    """kind: "metric", "parameter", "tag"."""
    if name is None:
        label = {"metric": "Metric", "parameter": "Parameter", "tag": "Tag"}[kind]
        raise invalid_param("%s name cannot be None. %s" % (label, _MISSING_KEY_NAME_MESSAGE))
    if not _VALID_NAME_RX.match(name):
        raise invalid_param("Invalid %s name: '%s'. %s" % (kind, name, _BAD_CHARACTERS_MESSAGE))
    if _path_not_unique(name):
        raise invalid_param("Invalid %s name: '%s'. %s" % (kind, name, _bad_path_message(name)))


def _validate_length(entity, limit, value):
    # MLflow counts characters (len of a Python str), not bytes.
    if value is not None and len(value) > limit:
        raise invalid_param("%s '%s' had length %d, which exceeded length limit of %d"
                            % (entity, value[:250], len(value), limit))


def _validate_tag(key, value):
    _validate_name("tag", key)
    if value is None:
        raise invalid_param("Tag value cannot be None")
    _validate_length("Tag key", MAX_ENTITY_KEY_LENGTH, key)
    _validate_length("Tag value", MAX_TAG_VAL_LENGTH, value)


def _validate_experiment_tag(key, value):
    _validate_name("tag", key)
    if value is None:
        raise invalid_param("Tag value cannot be None")
    _validate_length("Tag key", MAX_EXPERIMENT_TAG_KEY_LENGTH, key)
    _validate_length("Tag value", MAX_EXPERIMENT_TAG_VAL_LENGTH, value)


def _validate_param(state, key, value):
    _validate_name("parameter", key)
    if value is None:
        raise _missing("value")
    _validate_length("Param key", MAX_ENTITY_KEY_LENGTH, key)
    _validate_length("Param value", state.config["mlflow_max_param_value"], value)


_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _metric_value(v):
    """A double: a JSON number, or "NaN" / "Infinity" / "-Infinity" / a decimal string (proto3
    JSON). None when not numeric (booleans are not)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        if v in _NONFINITE:
            return _NONFINITE[v]
        if re.match(r"^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$", v):
            return float(v)
    return None


def _int_or_none(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and re.match(r"^-?\d{1,19}$", v.strip()):
        return int(v.strip())
    return v if isinstance(v, int) else None


def _validate_metric(key, raw_value, raw_ts, raw_step):
    """-> (value, timestamp, step)."""
    _validate_name("metric", key)
    value = _metric_value(raw_value)
    if value is None:
        raise invalid_param("Got invalid value %s for metric '%s' (timestamp=%s). Please specify "
                            "value as a valid double (64-bit floating point)"
                            % (raw_value, key, raw_ts))
    ts = _int_or_none(raw_ts)
    if ts is None or not 0 <= ts <= INT64_MAX:
        raise invalid_param("Got invalid timestamp %s for metric '%s' (value=%s). Timestamp must "
                            "be a nonnegative long (64-bit integer) " % (raw_ts, key, raw_value))
    step = 0 if raw_step is None else _int_or_none(raw_step)
    if step is None or not INT64_MIN <= step <= INT64_MAX:
        raise invalid_param("Got invalid step %s for metric '%s' (value=%s). Step must be a valid "
                            "long (64-bit integer)." % (raw_step, key, raw_value))
    _validate_length("Metric name", MAX_ENTITY_KEY_LENGTH, key)
    return value, ts, step


def _batch_limit(entity, limit, n):
    if n > limit:
        raise invalid_param("A batch logging request can contain at most %d %s. Got %d %s. Please "
                            "split up %s across multiple requests and try again."
                            % (limit, entity, n, entity, entity))


def _validate_experiment_name(name):
    if name is None or name == "":
        raise invalid_param("Invalid experiment name: '%s'" % ("" if name is None else name))
    if not isinstance(name, str):
        raise invalid_param("Invalid experiment name: %s. Expects a string." % (name,))
    # Databricks: experiments are workspace objects, so their names are absolute workspace paths.
    # (unclear) the exact text of Databricks' error.
    if not name.startswith("/") or "//" in name or name.rstrip("/") != name:
        raise invalid_param("Got an invalid experiment name '%s'. An experiment name must be an "
                            "absolute path within the Databricks workspace, e.g. "
                            "'/Users/<some-username>/my-experiment'." % name)


# ---- JSON shapes -------------------------------------------------------------------------------

def _json_double(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def _kv_out(d):
    return [{"key": k, "value": v} for k, v in d.items()]


def _exp_json(e):
    out = {k: e[k] for k in ("experiment_id", "name", "artifact_location", "lifecycle_stage",
                             "last_update_time", "creation_time")}
    if e["tags"]:
        out["tags"] = _kv_out(e["tags"])
    return out


def _metric_json(key, m):
    return {"key": key, "value": _json_double(m[0]), "timestamp": m[1], "step": m[2]}


def _run_info_json(r):
    return dict(r.info)


def _run_json(r):
    data = {}
    if r.latest:
        data["metrics"] = [_metric_json(k, m) for k, m in r.latest.items()]
    if r.params:
        data["params"] = _kv_out(r.params)
    if r.tags:
        data["tags"] = _kv_out(r.tags)
    inputs = {}
    if r.inputs:
        inputs["dataset_inputs"] = [dict(d) for d in r.inputs]
    return {"info": _run_info_json(r), "data": data, "inputs": inputs}


# ---- lookups ---------------------------------------------------------------------------------

def _store(state):
    return state.mlflow


def _exp(state, eid):
    e = _store(state).exps.get(eid) if isinstance(eid, str) else None
    if e is None:
        raise not_found("No Experiment with id=%s exists" % eid)
    return e


def _exp_active(e):
    if e["lifecycle_stage"] != ACTIVE:
        raise invalid_param("The experiment %s must be in the 'active' state. Current state is %s."
                            % (e["experiment_id"], e["lifecycle_stage"]))


def _run(state, rid):
    r = _store(state).runs.get(rid)
    if r is None:
        raise not_found("Run with id=%s not found" % rid)
    return r


def _run_active(r):
    if r.info["lifecycle_stage"] != ACTIVE:
        raise invalid_param("The run %s must be in the 'active' state. Current state is %s."
                            % (r.info["run_id"], r.info["lifecycle_stage"]))


def _active_run(state, rid):
    r = _run(state, rid)
    _run_active(r)
    return r


def _name_taken(state, name, but=None):
    for e in _store(state).exps.values():
        if e["name"] == name and e is not but:
            return e
    return None


# ---- paging ----------------------------------------------------------------------------------

def _token_out(offset):
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def _token_in(token):
    if not token:
        return 0
    if not isinstance(token, str):
        raise _bad_value("page_token", token)
    try:
        raw = base64.b64decode(token.encode(), validate=True)
    except (binascii.Error, ValueError):
        raise invalid_param("Invalid page token, could not base64-decode")
    try:
        off = json.loads(raw.decode("utf-8"))["offset"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise invalid_param("Invalid page token, decoded value=%s" % raw[:100])
    if not isinstance(off, int) or isinstance(off, bool) or off < 0:
        raise invalid_param("Invalid page token, decoded value=%s" % raw[:100])
    return off


def _page(items, offset, size):
    chunk = items[offset:offset + size]
    nxt = _token_out(offset + size) if offset + size < len(items) else None
    return chunk, nxt


def _max_results(args, default, maximum, cap_key, state):
    n = _int64(args, "max_results", default=default)
    if n < 1:
        raise invalid_param("Invalid value for request parameter max_results. It must be a positive "
                            "number, but got value %d" % n)
    if n > maximum:
        raise invalid_param("Invalid value for request parameter max_results. It must be at most "
                            "%d, but got value %d" % (maximum, n))
    return min(n, state.config[cap_key])


# ---- the filter and order_by subset ----------------------------------------------------------
# Clauses `<identifier> <comparator> <value>` joined by AND (case-insensitive keywords).
# Identifiers: metrics.k, params.k, tags.k (k bare, `backquoted` or "double-quoted"),
# attribute(s).x or a bare x (an attribute). Comparators: = != > >= < <= LIKE ILIKE.
# Values: 'single' or "double" quoted strings, numbers.

_TOKEN_RX = re.compile(r"""\s*(?:
    (?P<op>!=|<>|>=|<=|=|>|<)
  | (?P<str>'(?:[^']|'')*'|"[^"]*")
  | (?P<bq>`[^`]*`)
  | (?P<num>-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))
  | (?P<word>[A-Za-z_][\w.]*)
  | (?P<other>\S)
)""", re.X)

_ENTITY = {"metric": "metrics", "metrics": "metrics", "param": "params", "params": "params",
           "parameter": "params", "parameters": "params", "tag": "tags", "tags": "tags",
           "attribute": "attributes", "attributes": "attributes", "attr": "attributes",
           "run": "attributes"}
_STRING_OPS = ("=", "!=", "LIKE", "ILIKE")
_NUMBER_OPS = ("=", "!=", ">", ">=", "<", "<=")

RUN_ATTRS = {"status": "str", "run_name": "str", "run_id": "str", "user_id": "str",
             "artifact_uri": "str", "start_time": "num", "end_time": "num", "created": "num",
             "Created": "num"}
EXP_ATTRS = {"name": "str", "creation_time": "num", "last_update_time": "num",
             "experiment_id": "str"}


def _tokens(text):
    out = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RX.match(text, pos)
        if m is None or m.end() == pos:
            break
        kind = m.lastgroup
        val = m.group(kind)
        if kind == "other":
            raise invalid_param("Invalid filter string '%s': unexpected character %r at position %d"
                                % (text, val, m.start(kind)))
        glued = m.start(kind) == pos and out and out[-1][0] == "word" and out[-1][1].endswith(".")
        if kind in ("str", "bq") and glued:
            q = val[1:-1].replace("''", "'") if val[0] == "'" else val[1:-1]
            out[-1] = ("ident", out[-1][1], q)
        else:
            out.append((kind, val, None))
        pos = m.end()
    return out


def _ident(tok, attrs, text):
    kind, val, quoted = tok
    if kind == "ident":
        entity, key = val[:-1], quoted
    elif kind == "word":
        if "." in val:
            entity, key = val.split(".", 1)
        else:
            entity, key = "attributes", val
    elif kind == "bq":
        entity, key = "attributes", val[1:-1]
    else:
        raise invalid_param("Invalid filter string '%s': expected an identifier, got %s"
                            % (text, val))
    ent = _ENTITY.get(entity.lower())
    valid = ["attributes", "tags"] if attrs is EXP_ATTRS else ["attributes", "metrics", "params",
                                                              "tags"]
    if ent not in valid:
        raise invalid_param("Invalid entity type '%s'. Valid values are %s" % (entity, valid))
    if not key:
        raise invalid_param("Invalid filter string '%s': an empty key" % text)
    if ent == "attributes" and key not in attrs:
        raise invalid_param("Invalid attribute key '%s' specified. Valid keys are '%s'"
                            % (key, sorted(k for k in attrs if k != "Created")))
    return ent, key


def _value(tok, text):
    kind, val, _ = tok
    if kind == "str":
        return "str", (val[1:-1].replace("''", "'") if val[0] == "'" else val[1:-1])
    if kind == "num":
        return "num", float(val)
    raise invalid_param("Invalid filter string '%s': expected a quoted string or a number as the "
                        "value, got %s" % (text, val))


def parse_filter(text, attrs):
    """-> [(entity, key, op, value)]."""
    if text is None or not text.strip():
        return []
    if not isinstance(text, str):
        raise _bad_value("filter", text)
    toks = _tokens(text)
    clauses = []
    i = 0
    while i < len(toks):
        if len(toks) - i < 3:
            raise invalid_param("Invalid filter string '%s': incomplete clause at the end" % text)
        ent, key = _ident(toks[i], attrs, text)
        kind, op, _ = toks[i + 1]
        if kind == "word" and op.upper() in ("LIKE", "ILIKE"):
            op = op.upper()
        elif kind == "op":
            op = "!=" if op == "<>" else op
        else:
            raise invalid_param("Invalid filter string '%s': unsupported comparator '%s' (the "
                                "emulator supports = != > >= < <= LIKE ILIKE)" % (text, op))
        vkind, value = _value(toks[i + 2], text)
        numeric = ent == "metrics" or (ent == "attributes" and attrs[key] == "num")
        if numeric:
            if op not in _NUMBER_OPS:
                raise invalid_param("Invalid comparator '%s' not one of '%s'"
                                    % (op, list(_NUMBER_OPS)))
            if vkind != "num":
                raise invalid_param("Expected numeric value type for %s. Found %s"
                                    % ("metric" if ent == "metrics" else "attribute: %s" % key,
                                       toks[i + 2][1]))
        else:
            if op not in _STRING_OPS:
                raise invalid_param("Invalid comparator '%s' not one of '%s'"
                                    % (op, list(_STRING_OPS)))
            if vkind != "str":
                raise invalid_param("Expected a quoted string value for %s.%s (e.g. 'my-value'). "
                                    "Got value %s" % (ent, key, toks[i + 2][1]))
        clauses.append((ent, key, op, value))
        i += 3
        if i < len(toks):
            kind, word, _ = toks[i]
            if kind != "word" or word.upper() != "AND":
                raise invalid_param("Invalid filter string '%s': unsupported '%s' (the emulator "
                                    "supports clauses joined by AND)" % (text, word))
            i += 1
            if i == len(toks):
                raise invalid_param("Invalid filter string '%s': nothing after AND" % text)
    return clauses


def _like(pattern, value, icase):
    rx = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.match("^" + rx + "$", value, re.S | (re.I if icase else 0)) is not None


def _compare(op, have, want):
    if have is None:
        return False
    if op == "LIKE":
        return _like(want, have, False)
    if op == "ILIKE":
        return _like(want, have, True)
    if isinstance(have, float) and math.isnan(have):
        return False
    return {"=": have == want, "!=": have != want, ">": have > want, ">=": have >= want,
            "<": have < want, "<=": have <= want}[op]


def _run_field(r, ent, key):
    if ent == "metrics":
        m = r.latest.get(key)
        return None if m is None else m[0]
    if ent == "params":
        return r.params.get(key)
    if ent == "tags":
        return r.tags.get(key)
    if key in ("created", "Created"):
        key = "start_time"
    v = r.info.get(key)
    return float(v) if isinstance(v, int) else v


def _exp_field(e, ent, key):
    if ent == "tags":
        return e["tags"].get(key)
    v = e.get(key)
    return float(v) if isinstance(v, int) else v


def _parse_order(items, allowed_attrs, allow_entities):
    """-> [(entity, key, descending)]. Each item: "<identifier> [ASC|DESC]"."""
    out = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise _bad_value("order_by", item)
        toks = _tokens(item)
        desc = False
        if len(toks) == 2 and toks[1][0] == "word" and toks[1][1].upper() in ("ASC", "DESC"):
            desc = toks[1][1].upper() == "DESC"
            toks = toks[:1]
        if len(toks) != 1:
            raise invalid_param("Invalid order_by clause '%s'. Could not be parsed." % item)
        kind, val, quoted = toks[0]
        if kind == "ident":
            entity, key = val[:-1], quoted
        elif kind == "word":
            entity, key = val.split(".", 1) if "." in val else ("attributes", val)
        else:
            raise invalid_param("Invalid order_by clause '%s'. Could not be parsed." % item)
        ent = _ENTITY.get(entity.lower())
        if ent is None or (ent != "attributes" and ent not in allow_entities):
            raise invalid_param("Invalid order_by entity type '%s'" % entity)
        if ent == "attributes" and key not in allowed_attrs:
            raise invalid_param("Invalid order_by attribute key '%s' specified. Valid keys are %s"
                                % (key, sorted(allowed_attrs)))
        out.append((ent, key, desc))
    return out


def _sort(items, keys, field):
    """Stable multi-key sort; items whose value is missing go last whatever the direction."""
    for ent, key, desc in reversed(keys):
        have = [x for x in items if field(x, ent, key) is not None]
        miss = [x for x in items if field(x, ent, key) is None]

        def k(x, ent=ent, key=key):
            v = field(x, ent, key)
            if isinstance(v, float) and math.isnan(v):
                return (1, 0.0)  # NaN above every number
            return (0, v)
        have.sort(key=k, reverse=desc)
        items = have + miss
    return items


# ---- experiments -----------------------------------------------------------------------------

def _artifact_location(loc, eid):
    if loc is None or loc == "":
        return "%s/%s" % (TRACKING_ROOT, eid)
    if loc.startswith("runs:"):
        raise invalid_param("Artifact location cannot be a runs:/ URI. Given: '%s'" % loc)
    vol = _volume_path(loc)
    if loc.startswith(("dbfs:/Volumes", "/Volumes")) and vol is None:
        raise invalid_param("Invalid artifact location '%s': a UC volume location must look like "
                            "dbfs:/Volumes/<catalog>/<schema>/<volume>/<path>" % loc)
    return loc.rstrip("/")


def _volume_path(uri):
    """'dbfs:/Volumes/c/s/v/...' (or '/Volumes/...') -> '/Volumes/c/s/v/...', else None."""
    p = uri[5:] if uri.startswith("dbfs:/Volumes/") else uri if uri.startswith("/Volumes/") else None
    if p is None:
        return None
    segs = p.rstrip("/").split("/")
    if len(segs) < 5 or any(s in ("", ".", "..") for s in segs[1:]):
        return None
    return p.rstrip("/")


@_route("POST", "/experiments/create")
def experiment_create(req):
    args = req.json_obj()
    name = _str(args, "name", required=True)
    _validate_experiment_name(name)
    loc = _str(args, "artifact_location")
    tags = _kv_list(args, "tags")
    for k, v in tags:
        _validate_experiment_tag(k, v)
    state = req.state
    store = _store(state)
    with state.lock:
        other = _name_taken(state, name)
        if other is not None:
            if other["lifecycle_stage"] == DELETED:
                raise ApiError(400, "RESOURCE_ALREADY_EXISTS",
                               "Experiment '%s' already exists in deleted state. You can restore "
                               "the experiment, or permanently delete the experiment from the "
                               "trash to be able to use the name again." % name)
            raise ApiError(400, "RESOURCE_ALREADY_EXISTS", "Experiment '%s' already exists." % name)
        eid = str(FIRST_EXPERIMENT_ID + store.next_exp)
        location = _artifact_location(loc, eid)
        store.next_exp += 1
        now = state.now_ms()
        # Databricks adds these system tags to every experiment (seen on real workspaces; the
        # reference does not list them: (unclear) which others exist).
        t = {"mlflow.ownerEmail": req.principal or "", "mlflow.experimentType": "MLFLOW_EXPERIMENT"}
        for k, v in tags:
            t[k] = v
        store.exps[eid] = {"experiment_id": eid, "name": name, "artifact_location": location,
                           "lifecycle_stage": ACTIVE, "last_update_time": now,
                           "creation_time": now, "tags": t}
    return 200, None, {"experiment_id": eid}


@_route("GET", "/experiments/get")
def experiment_get(req):
    eid = _str(req.args(), "experiment_id", required=True)
    with req.state.lock:
        return 200, None, {"experiment": _exp_json(_exp(req.state, eid))}


@_route("GET", "/experiments/get-by-name")
def experiment_get_by_name(req):
    name = _str(req.args(), "experiment_name", required=True)
    with req.state.lock:
        found = [e for e in _store(req.state).exps.values() if e["name"] == name]
        found.sort(key=lambda e: e["lifecycle_stage"] != ACTIVE)  # active first
        if not found:
            raise not_found("Could not find experiment with name '%s'" % name)
        return 200, None, {"experiment": _exp_json(found[0])}


def _view_filter(view, stage):
    return view == "ALL" or (view == "ACTIVE_ONLY") == (stage == ACTIVE)


def _search_args(req):
    """experiments/search is POST (JSON) or GET (query; order_by repeated)."""
    if req.method == "GET":
        args = req.args()
        args["order_by"] = req.query.get("order_by", [])
        return args
    return req.json_obj()


@_route("POST", "/experiments/search")
@_route("GET", "/experiments/search")
def experiments_search(req):
    args = _search_args(req)
    state = req.state
    size = _max_results(args, 1000, EXPERIMENTS_MAX_RESULTS, "page_size_mlflow_search", state)
    offset = _token_in(args.get("page_token"))
    view = _enum(args, "view_type", VIEW_TYPES, "ACTIVE_ONLY")
    clauses = parse_filter(_str(args, "filter"), EXP_ATTRS)
    order_by = _list(args, "order_by")
    order = _parse_order(order_by, ("name", "creation_time", "last_update_time", "experiment_id"),
                         ())
    # Default: creation_time DESC; tie-break experiment_id DESC (reference section 8).
    if not order:
        order = [("attributes", "creation_time", True)]
    if not any(k == "experiment_id" for _, k, _ in order):
        order.append(("attributes", "experiment_id", True))

    def field(e, ent, key):
        if key == "experiment_id" and ent == "attributes":
            return int(e["experiment_id"])
        return _exp_field(e, ent, key)
    with state.lock:
        exps = [e for e in _store(state).exps.values()
                if _view_filter(view, e["lifecycle_stage"])
                and all(_compare(op, _exp_field(e, ent, key), v) for ent, key, op, v in clauses)]
        exps = _sort(exps, order, field)
        chunk, nxt = _page(exps, offset, size)
        out = {}
        if chunk:
            out["experiments"] = [_exp_json(e) for e in chunk]
        if nxt:
            out["next_page_token"] = nxt
    return 200, None, out


@_route("GET", "/experiments/list")
def experiments_list(req):
    """Legacy (removed from MLflow 2 OSS, still in the Databricks SDK). Order: experiment_id
    ascending (unclear)."""
    args = req.args()
    state = req.state
    view = _enum(args, "view_type", VIEW_TYPES, "ACTIVE_ONLY")
    size = state.config["page_size_mlflow_search"]
    if args.get("max_results") is not None:
        size = _max_results(args, 1000, 50000, "page_size_mlflow_search", state)
    offset = _token_in(args.get("page_token"))
    with state.lock:
        exps = sorted((e for e in _store(state).exps.values()
                       if _view_filter(view, e["lifecycle_stage"])),
                      key=lambda e: int(e["experiment_id"]))
        chunk, nxt = _page(exps, offset, size)
        out = {}
        if chunk:
            out["experiments"] = [_exp_json(e) for e in chunk]
        if nxt:
            out["next_page_token"] = nxt
    return 200, None, out


@_route("POST", "/experiments/update")
def experiment_update(req):
    args = req.json_obj()
    eid = _str(args, "experiment_id", required=True)
    new_name = _str(args, "new_name")
    state = req.state
    with state.lock:
        e = _exp(state, eid)
        if new_name:  # MLflow: an absent / empty new_name changes nothing
            _validate_experiment_name(new_name)
            if e["lifecycle_stage"] != ACTIVE:
                # MLflow answers INVALID_STATE (HTTP 500 in its status map); Databricks' status is
                # (unclear): 400 here.
                raise ApiError(400, "INVALID_STATE", "Cannot rename a non-active experiment.")
            other = _name_taken(state, new_name, but=e)
            if other is not None:
                raise ApiError(400, "RESOURCE_ALREADY_EXISTS",
                               "Experiment '%s' already exists." % new_name)
            e["name"] = new_name
            e["last_update_time"] = state.now_ms()
    return 200, None, {}


@_route("POST", "/experiments/delete")
def experiment_delete(req):
    eid = _str(req.json_obj(), "experiment_id", required=True)
    state = req.state
    with state.lock:
        e = _exp(state, eid)
        now = state.now_ms()
        e["lifecycle_stage"] = DELETED
        e["last_update_time"] = now
        for r in _store(state).runs.values():  # like MLflow: the runs are deleted too
            if r.info["experiment_id"] == eid and r.info["lifecycle_stage"] == ACTIVE:
                r.info["lifecycle_stage"] = DELETED
                r.deleted_time = now
    return 200, None, {}


@_route("POST", "/experiments/restore")
def experiment_restore(req):
    eid = _str(req.json_obj(), "experiment_id", required=True)
    state = req.state
    with state.lock:
        e = _exp(state, eid)
        e["lifecycle_stage"] = ACTIVE
        e["last_update_time"] = state.now_ms()
        for r in _store(state).runs.values():  # like MLflow's stores: every run comes back
            if r.info["experiment_id"] == eid and r.info["lifecycle_stage"] == DELETED:
                r.info["lifecycle_stage"] = ACTIVE
                r.deleted_time = None
    return 200, None, {}


@_route("POST", "/experiments/set-experiment-tag")
def experiment_set_tag(req):
    args = req.json_obj()
    eid = _str(args, "experiment_id", required=True)
    key = _str(args, "key", required=True)
    value = _str(args, "value", required=True)
    _validate_experiment_tag(key, value)
    state = req.state
    with state.lock:
        e = _exp(state, eid)
        _exp_active(e)
        e["tags"][key] = value
        e["last_update_time"] = state.now_ms()
    return 200, None, {}


@_route("POST", "/experiments/delete-experiment-tag")
def experiment_delete_tag(req):
    args = req.json_obj()
    eid = _str(args, "experiment_id", required=True)
    key = _str(args, "key", required=True)
    state = req.state
    with state.lock:
        e = _exp(state, eid)
        _exp_active(e)
        if key not in e["tags"]:
            raise not_found("No tag with name: %s in experiment with id %s" % (key, eid))
        del e["tags"][key]
        e["last_update_time"] = state.now_ms()
    return 200, None, {}


# ---- runs --------------------------------------------------------------------------------------

def _random_run_name():
    return "%s-%s-%d" % (random.choice(_ADJECTIVES), random.choice(_NOUNS), random.randint(0, 999))


@_route("POST", "/runs/create")
def run_create(req):
    args = req.json_obj()
    # Optional in the proto (OSS falls back to experiment "0"); Databricks has no default
    # experiment for API calls, so it is required here (unclear).
    eid = _str(args, "experiment_id", required=True)
    run_name = _str(args, "run_name")
    tags = _kv_list(args, "tags")
    for k, v in tags:
        _validate_tag(k, v)
    state = req.state
    start = _int64(args, "start_time")
    if start is None:
        start = state.now_ms()
    tag_name = None
    for k, v in tags:
        if k == "mlflow.runName":
            tag_name = v
    if run_name and tag_name is not None and run_name != tag_name:
        raise invalid_param("Both 'run_name' argument and 'mlflow.runName' tag are specified, but "
                            "with different values (run_name='%s', mlflow.runName='%s')."
                            % (run_name, tag_name))
    run_name = run_name or tag_name or _random_run_name()
    store = _store(state)
    with state.lock:
        e = _exp(state, eid)
        _exp_active(e)
        rid = uuid.uuid4().hex
        # user_id in the request is deprecated; the run belongs to the caller (unclear whether
        # Databricks ever honours it).
        info = {"run_id": rid, "run_uuid": rid, "run_name": run_name, "experiment_id": eid,
                "user_id": req.principal or "", "status": "RUNNING", "start_time": start,
                "artifact_uri": "%s/%s/artifacts" % (e["artifact_location"], rid),
                "lifecycle_stage": ACTIVE}
        store.seq += 1
        r = Run(info, store.seq)
        for k, v in tags:
            r.tags[k] = v
        r.tags["mlflow.runName"] = run_name
        r.tags.setdefault("mlflow.user", req.principal or "")
        store.runs[rid] = r
        return 200, None, {"run": _run_json(r)}


@_route("GET", "/runs/get")
def run_get_handler(req):
    rid = _run_id(req.args())
    with req.state.lock:
        return 200, None, {"run": _run_json(_run(req.state, rid))}


@_route("POST", "/runs/update")
def run_update(req):
    args = req.json_obj()
    rid = _run_id(args)
    status = _enum(args, "status", RUN_STATUSES)
    end_time = _int64(args, "end_time")
    run_name = _str(args, "run_name")
    with req.state.lock:
        r = _active_run(req.state, rid)
        if status is not None:
            r.info["status"] = status
        if end_time is not None:
            r.info["end_time"] = end_time
        if run_name:
            r.info["run_name"] = run_name
            r.tags["mlflow.runName"] = run_name
        return 200, None, {"run_info": _run_info_json(r)}


@_route("POST", "/runs/delete")
def run_delete(req):
    rid = _str(req.json_obj(), "run_id", required=True)
    state = req.state
    with state.lock:
        r = _run(state, rid)
        if r.info["lifecycle_stage"] != DELETED:
            r.info["lifecycle_stage"] = DELETED
            r.deleted_time = state.now_ms()
    return 200, None, {}


@_route("POST", "/runs/restore")
def run_restore(req):
    rid = _str(req.json_obj(), "run_id", required=True)
    with req.state.lock:
        r = _run(req.state, rid)
        r.info["lifecycle_stage"] = ACTIVE
        r.deleted_time = None
    return 200, None, {}


def _log_metric(r, key, m):
    # An identical (key, value, timestamp, step) is stored once, like MLflow's SQL store (its
    # primary key), so a retried log-batch does not duplicate history.
    ident = (key, m[1], m[2], "NaN" if math.isnan(m[0]) else m[0])
    if ident in r.seen:
        return
    r.seen.add(ident)
    r.history.setdefault(key, []).append(m)
    old = r.latest.get(key)
    # The latest value per key: latest timestamp, ties -> the larger value (the Databricks doc of
    # runs/get, reference section 8; a NaN never wins a tie). MLflow's OSS stores compare (step,
    # timestamp, value) instead.
    if old is None or m[1] > old[1] or (m[1] == old[1] and not math.isnan(m[0]) and
                                        (math.isnan(old[0]) or m[0] > old[0])):
        r.latest[key] = m


def _check_param(r, key, value):
    old = r.params.get(key)
    if old is not None and old != value:
        raise invalid_param("Changing param values is not allowed. Param with key='%s' was already "
                            "logged with value='%s' for run ID='%s'. Attempted logging new value "
                            "'%s'." % (key, old, r.info["run_id"], value))


def _set_tag(r, key, value):
    r.tags[key] = value
    if key == "mlflow.runName":  # MLflow keeps run_name and the tag in step
        r.info["run_name"] = value


@_route("POST", "/runs/log-metric")
def log_metric(req):
    args = req.json_obj()
    rid = _run_id(args)
    key = _str(args, "key", required=True)
    if args.get("value") is None:
        raise _missing("value")
    if args.get("timestamp") is None:
        raise _missing("timestamp")
    m = _validate_metric(key, args.get("value"), args.get("timestamp"), args.get("step"))
    with req.state.lock:
        r = _active_run(req.state, rid)
        _log_metric(r, key, m)
    return 200, None, {}


@_route("POST", "/runs/log-parameter")
def log_param(req):
    args = req.json_obj()
    rid = _run_id(args)
    key = _str(args, "key", required=True)
    value = _str(args, "value", required=True)
    _validate_param(req.state, key, value)
    with req.state.lock:
        r = _active_run(req.state, rid)
        _check_param(r, key, value)
        r.params[key] = value
    return 200, None, {}


@_route("POST", "/runs/set-tag")
def set_tag(req):
    args = req.json_obj()
    rid = _run_id(args)
    key = _str(args, "key", required=True)
    value = _str(args, "value", required=True)
    _validate_tag(key, value)
    with req.state.lock:
        r = _active_run(req.state, rid)
        _set_tag(r, key, value)
    return 200, None, {}


@_route("POST", "/runs/delete-tag")
def delete_tag(req):
    args = req.json_obj()
    rid = _str(args, "run_id", required=True)
    key = _str(args, "key", required=True)
    with req.state.lock:
        r = _active_run(req.state, rid)
        if key not in r.tags:
            raise not_found("No tag with name: %s in run with id %s" % (key, rid))
        del r.tags[key]
    return 200, None, {}


@_route("POST", "/runs/log-batch")
def log_batch(req):
    # MLflow's order: the request size, then (in the store) the run's state, the counts, each
    # entity, duplicate param keys. Everything is checked before anything is written (MLflow's
    # SQL store is transactional too; the reference allows partial writes).
    if len(req.body) > MAX_BATCH_LOG_REQUEST_SIZE:
        raise invalid_param("Batched logging API requests must be at most %d bytes, got a request "
                            "of size %d." % (MAX_BATCH_LOG_REQUEST_SIZE, len(req.body)))
    args = req.json_obj()
    rid = _run_id(args)
    metrics = _list(args, "metrics")
    params = _kv_list(args, "params")
    tags = _kv_list(args, "tags")
    state = req.state
    with state.lock:
        r = _active_run(state, rid)
    _batch_limit("metrics", MAX_METRICS_PER_BATCH, len(metrics))
    _batch_limit("params", MAX_PARAMS_TAGS_PER_BATCH, len(params))
    _batch_limit("tags", MAX_PARAMS_TAGS_PER_BATCH, len(tags))
    _batch_limit("metrics, params, and tags", MAX_ENTITIES_PER_BATCH,
                 len(metrics) + len(params) + len(tags))
    ms = []
    for i, m in enumerate(metrics):
        if not isinstance(m, dict):
            raise _bad_value("metrics[%d]" % i, m)
        key = m.get("key")
        if key is not None and not isinstance(key, str):
            raise _bad_value("metrics[%d].key" % i, key)
        ms.append((key, _validate_metric(key, m.get("value"), m.get("timestamp"), m.get("step"))))
    for k, v in params:
        _validate_param(state, k, v)
    for k, v in tags:
        _validate_tag(k, v)
    seen, dupes = set(), []
    for k, _ in params:
        if k in seen:
            dupes.append(k)
        seen.add(k)
    if dupes:
        raise invalid_param("Duplicate parameter keys have been submitted: %s. Please ensure the "
                            "request contains only one param value per param key."
                            % "[%s]" % ", ".join("'%s'" % k for k in dupes))
    with state.lock:
        _run_active(r)
        for k, v in params:
            _check_param(r, k, v)
        for k, v in params:
            r.params[k] = v
        for k, m in ms:
            _log_metric(r, k, m)
        for k, v in tags:
            _set_tag(r, k, v)
    return 200, None, {}


@_route("GET", "/metrics/get-history")
def metric_history(req):
    args = req.args()
    rid = _run_id(args)
    key = _str(args, "metric_key", required=True)
    state = req.state
    n = _int64(args, "max_results", default=HISTORY_MAX_RESULTS)
    if n < 1:
        raise invalid_param("Invalid value for request parameter max_results. It must be a positive "
                            "number, but got value %d" % n)
    # (unclear) whether Databricks rejects max_results above 25000; it is clamped here.
    size = min(n, HISTORY_MAX_RESULTS, state.config["page_size_mlflow_history"])
    offset = _token_in(args.get("page_token"))
    with state.lock:
        r = _run(state, rid)
        hist = r.history.get(key, [])
        # history order: as logged (unclear: the real server's order is not documented)
        chunk, nxt = _page(hist, offset, size)
        out = {}
        if chunk:
            out["metrics"] = [_metric_json(key, m) for m in chunk]
        if nxt:
            out["next_page_token"] = nxt
    return 200, None, out


@_route("POST", "/runs/search")
def runs_search(req):
    args = req.json_obj()
    state = req.state
    eids = _list(args, "experiment_ids")
    for i, e in enumerate(eids):
        if not isinstance(e, str):
            raise _bad_value("experiment_ids[%d]" % i, e)
    size = _max_results(args, 1000, RUNS_MAX_RESULTS, "page_size_mlflow_search", state)
    offset = _token_in(args.get("page_token"))
    view = _enum(args, "run_view_type", VIEW_TYPES, "ACTIVE_ONLY")
    clauses = parse_filter(_str(args, "filter"), RUN_ATTRS)
    order = _parse_order(_list(args, "order_by"),
                         ("start_time", "end_time", "run_name", "status", "run_id", "user_id",
                          "artifact_uri", "created", "Created"),
                         ("metrics", "params", "tags"))
    # MLflow's tie-break: start_time DESC, then run_id
    if not any(ent == "attributes" and k in ("start_time", "created", "Created")
               for ent, k, _ in order):
        order.append(("attributes", "start_time", True))
    order.append(("attributes", "run_id", False))
    want = set(eids)
    with state.lock:
        # unknown experiment ids select nothing (MLflow); (unclear) whether Databricks answers 404
        runs = [r for r in _store(state).runs.values()
                if r.info["experiment_id"] in want and _view_filter(view, r.info["lifecycle_stage"])
                and all(_compare(op, _run_field(r, ent, key), v) for ent, key, op, v in clauses)]
        runs = _sort(runs, order, _run_field)
        chunk, nxt = _page(runs, offset, size)
        out = {}
        if chunk:
            out["runs"] = [_run_json(r) for r in chunk]
        if nxt:
            out["next_page_token"] = nxt
    return 200, None, out


# Databricks bulk operations ------------------------------------------------------------------

def _max_runs(args):
    n = _int64(args, "max_runs", default=DELETE_RUNS_MAX)
    if not 1 <= n <= DELETE_RUNS_MAX:
        raise invalid_param("max_runs must be between 1 and %d, got %d" % (DELETE_RUNS_MAX, n))
    return n


@_route("POST", "/databricks/runs/delete-runs")
def delete_runs(req):
    """Deletes active runs created (start_time) at or before max_timestamp_millis, oldest first,
    at most max_runs."""
    args = req.json_obj()
    eid = _str(args, "experiment_id", required=True)
    before = _int64(args, "max_timestamp_millis", required=True)
    n = _max_runs(args)
    state = req.state
    with state.lock:
        _exp(state, eid)
        now = state.now_ms()
        runs = sorted((r for r in _store(state).runs.values()
                       if r.info["experiment_id"] == eid and r.info["lifecycle_stage"] == ACTIVE
                       and r.info["start_time"] <= before),
                      key=lambda r: (r.info["start_time"], r.seq))[:n]
        for r in runs:
            r.info["lifecycle_stage"] = DELETED
            r.deleted_time = now
    return 200, None, {"runs_deleted": len(runs)}


@_route("POST", "/databricks/runs/restore-runs")
def restore_runs(req):
    """Restores runs deleted at or after min_timestamp_millis (deletion time), at most max_runs."""
    args = req.json_obj()
    eid = _str(args, "experiment_id", required=True)
    since = _int64(args, "min_timestamp_millis", required=True)
    n = _max_runs(args)
    state = req.state
    with state.lock:
        _exp(state, eid)
        runs = sorted((r for r in _store(state).runs.values()
                       if r.info["experiment_id"] == eid and r.info["lifecycle_stage"] == DELETED
                       and r.deleted_time is not None and r.deleted_time >= since),
                      key=lambda r: (r.deleted_time, r.seq))[:n]
        for r in runs:
            r.info["lifecycle_stage"] = ACTIVE
            r.deleted_time = None
    return 200, None, {"runs_restored": len(runs)}


# log-inputs and log-model ---------------------------------------------------------------------

def _validate_length_new(field, limit, value):
    if value is not None and len(value) > limit:
        raise invalid_param("'%s' exceeds the maximum length of %d characters" % (field, limit))


@_route("POST", "/runs/log-inputs")
def log_inputs(req):
    args = req.json_obj()
    rid = _str(args, "run_id", required=True)
    datasets = _list(args, "datasets")
    _batch_limit("datasets", MAX_DATASETS_PER_BATCH, len(datasets))
    clean = []
    for i, di in enumerate(datasets):
        if not isinstance(di, dict):
            raise _bad_value("datasets[%d]" % i, di)
        ds = di.get("dataset")
        if not isinstance(ds, dict):
            raise invalid_param("Dataset cannot be None")
        d = {}
        for f in ("name", "digest", "source_type", "source", "schema", "profile"):
            v = ds.get(f)
            if v is not None and not isinstance(v, str):
                raise _bad_value("datasets[%d].dataset.%s" % (i, f), v)
            if v is None and f in ("name", "digest", "source_type", "source"):
                raise invalid_param("Dataset %s cannot be None" % f)
            if v is not None:
                d[f] = v
        _validate_length_new("name", MAX_DATASET_NAME_SIZE, d["name"])
        _validate_length_new("digest", MAX_DATASET_DIGEST_SIZE, d["digest"])
        _validate_length_new("source", MAX_DATASET_SOURCE_SIZE, d["source"])
        _validate_length_new("schema", MAX_DATASET_SCHEMA_SIZE, d.get("schema"))
        _validate_length_new("profile", MAX_DATASET_PROFILE_SIZE, d.get("profile"))
        tags = []
        for k, v in _kv_list(di, "tags"):
            if k is None:
                raise invalid_param("InputTag key cannot be None")
            if v is None:
                raise invalid_param("InputTag value cannot be None")
            _validate_length_new("key", MAX_INPUT_TAG_KEY_SIZE, k)
            _validate_length_new("value", MAX_INPUT_TAG_VALUE_SIZE, v)
            tags.append({"key": k, "value": v})
        out = {"dataset": d}
        if tags:
            out["tags"] = tags
        clean.append(out)
    with req.state.lock:
        r = _active_run(req.state, rid)
        for di in clean:
            # a dataset (name, digest) is kept once per run, like MLflow's store
            ident = (di["dataset"]["name"], di["dataset"]["digest"])
            if any((x["dataset"]["name"], x["dataset"]["digest"]) == ident for x in r.inputs):
                continue
            r.inputs.append(di)
    return 200, None, {}


@_route("POST", "/runs/log-model")
def log_model(req):
    args = req.json_obj()
    rid = _str(args, "run_id", required=True)
    model_json = _str(args, "model_json", required=True)
    try:
        model = json.loads(model_json)
        if not isinstance(model, dict):
            raise ValueError
    except ValueError:
        raise invalid_param("Malformed model info. \n %s \n is not a valid JSON." % model_json)
    missing = {"artifact_path", "flavors", "utc_time_created", "run_id"} - set(model)
    if missing:
        raise invalid_param("Model json is missing mandatory fields: %s" % sorted(missing))
    with req.state.lock:
        r = _active_run(req.state, rid)
        # MLflow keeps the models logged to a run as a JSON list in this tag
        try:
            hist = json.loads(r.tags.get("mlflow.log-model.history", "[]"))
            if not isinstance(hist, list):
                hist = []
        except ValueError:
            hist = []
        hist.append(model)
        r.tags["mlflow.log-model.history"] = json.dumps(hist)
    return 200, None, {}


# ---- artifacts ---------------------------------------------------------------------------------

def _safe_relpath(p, name="path", allow_empty=False):
    """A path relative to the run's artifact root: no leading '/', no '.'/'..' segments."""
    if not isinstance(p, str):
        raise _bad_value(name, p)
    p = p.strip("/") if allow_empty else p
    if p == "":
        if allow_empty:
            return ""
        raise invalid_param("Invalid path: an artifact path must not be empty")
    segs = p.split("/")
    if p.startswith("/") or "\x00" in p or any(s in ("", ".", "..") for s in segs):
        raise invalid_param("Invalid path: '%s' (artifact paths are relative, without '.' or '..' "
                            "segments)" % p)
    return p


def _run_volume_dir(r):
    """The Files API directory of a run whose artifacts live on a UC volume, else None."""
    return _volume_path(r.info["artifact_uri"])


@_route("POST", "/artifacts/credentials-for-write")
def credentials_for_write(req):
    return _credentials(req, "write")


@_route("POST", "/artifacts/credentials-for-read")
def credentials_for_read(req):
    return _credentials(req, "read")


def _credentials(req, mode):
    args = req.json_obj()
    rid = _str(args, "run_id", required=True)
    paths = _list(args, "path")
    if not paths:
        raise _missing("path")
    paths = [_safe_relpath(p, "path[%d]" % i) for i, p in enumerate(paths)]
    offset = _token_in(args.get("page_token"))
    state = req.state
    ctype = state.config["mlflow_artifact_credential_type"]
    if ctype not in CREDENTIAL_TYPES:
        raise ApiError(500, "INTERNAL_ERROR", "emulator config mlflow_artifact_credential_type "
                       "must be one of %s" % ", ".join(CREDENTIAL_TYPES))
    with state.lock:
        r = _run(state, rid)
        if mode == "write":
            _run_active(r)
        if _run_volume_dir(r) is not None:
            # Assumption (unclear): runs whose artifacts live on a UC volume are written and read
            # through the Files API, and the credential endpoints refuse them.
            raise invalid_param("Run %s stores its artifacts in the Unity Catalog volume %s: use "
                                "the Files API for them" % (rid, r.info["artifact_uri"]))
    chunk, nxt = _page(paths, offset, state.config["mlflow_credentials_page"])
    infos = [_credential_info(state, rid, p, mode, ctype) for p in chunk]
    out = {"credential_infos": infos}
    if nxt:
        out["next_page_token"] = nxt
    return 200, None, out


def _sign(method, rid, relpath, date_ms, ttl):
    msg = ("%s|%s|%s|%d|%d" % (method, rid, relpath, date_ms, ttl)).encode()
    return hmac.new(_SECRET, msg, hashlib.sha256).hexdigest()


def _iso(ms):
    return datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def _credential_info(state, rid, relpath, mode, ctype):
    now = state.now_ms()
    ttl = state.config["mlflow_signed_url_ttl_s"]
    method = "PUT" if mode == "write" else "GET"
    sig = _sign(method, rid, relpath, now, ttl)
    base = (state.other_base or "") + STORE_PATH + rid + "/" + quote(relpath)
    headers = []
    if ctype == "AWS_PRESIGNED_URL":
        url = ("%s?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=EMULATOR%%2F%s%%2Fus-west-2"
               "%%2Fs3%%2Faws4_request&X-Amz-Date=%d&X-Amz-Expires=%d&X-Amz-SignedHeaders=host&"
               "X-Amz-Signature=%s" % (base, _iso(now)[:10].replace("-", ""), now, ttl, sig))
    else:
        # A blob SAS URL: start (st) / expiry (se) times, permissions (sp), signature (sig). The
        # emulator also carries the exact start in ms (emu-t) so that expiry follows the virtual
        # clock to the millisecond.
        url = ("%s?sp=%s&st=%s&se=%s&spr=https&sv=2022-11-02&sr=b&emu-t=%d&emu-ttl=%d&sig=%s"
               % (base, "cw" if mode == "write" else "r", quote(_iso(now)),
                  quote(_iso(now + ttl * 1000)), now, ttl, sig))
        if mode == "write":
            headers = [{"name": "x-ms-blob-type", "value": "BlockBlob"}]
    info = {"run_id": rid, "path": relpath, "signed_uri": url, "type": ctype}
    if headers:
        info["headers"] = headers
    return info


def _list_entries(names):
    """names: {relpath: size or None (a directory)} one level -> sorted FileInfo list."""
    out = []
    for p in sorted(names):
        if names[p] is None:
            out.append({"path": p, "is_dir": True})
        else:
            out.append({"path": p, "is_dir": False, "file_size": names[p]})
    return out


def _level(paths_sizes, reldir):
    """{relpath: size} of every file -> one directory level under reldir: {relpath: size|None}."""
    prefix = reldir + "/" if reldir else ""
    out = {}
    for p, size in paths_sizes.items():
        if not p.startswith(prefix):
            continue
        rest = p[len(prefix):]
        if "/" in rest:
            out[prefix + rest.split("/", 1)[0]] = None
        else:
            out[p] = size
    return out


def _volume_files(state, vdir):
    """{relpath: (size, blob path)} of the files under a Files API directory."""
    fstore = getattr(state, "files_store", None)
    if fstore is None:
        return {}
    prefix = vdir + "/"
    return {p[len(prefix):]: (f["size"], f["blob"]) for p, f in fstore.files.items()
            if p.startswith(prefix)}


@_route("GET", "/artifacts/list")
def artifacts_list(req):
    args = req.args()
    rid = _run_id(args)
    path = args.get("path") or ""
    reldir = _safe_relpath(path, allow_empty=True)
    state = req.state
    with state.lock:
        r = _run(state, rid)
        out = {"root_uri": r.info["artifact_uri"]}
        vdir = _run_volume_dir(r)
        if vdir is not None:
            # UC volumes: no paging, at most 1000 entries (reference section 8).
            level = _level({p: s for p, (s, _) in _volume_files(state, vdir).items()}, reldir)
            entries = _list_entries(level)[:1000]
            nxt = None
        else:
            blobs = _store(state).blobs.get(rid, {})
            level = _level({p: b["size"] for p, b in blobs.items()}, reldir)
            offset = _token_in(args.get("page_token"))
            entries, nxt = _page(_list_entries(level), offset, state.config["mlflow_artifacts_page"])
    if entries:
        out["files"] = entries
    if nxt:
        out["next_page_token"] = nxt
    return 200, None, out


# ---- the storage host: signed artifact URLs ------------------------------------------------------

def _s3_error(status, code, message):
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
            '<RequestId>%s</RequestId></Error>' % (code, message, uuid.uuid4().hex[:16].upper()))
    return status, {"Content-Type": "application/xml"}, body.encode()


def _azure_error(status, code, message, extra=""):
    body = ('<?xml version="1.0" encoding="utf-8"?><Error><Code>%s</Code><Message>%s\nRequestId:%s'
            '\nTime:%s</Message>%s</Error>' % (code, message, uuid.uuid4(),
                                               datetime.datetime.now(datetime.timezone.utc).strftime(
                                                   "%Y-%m-%dT%H:%M:%S.%fZ"), extra))
    return status, {"Content-Type": "application/xml", "x-ms-error-code": code}, body.encode()


_RANGE_RX = re.compile(r"^bytes=(\d+)-(\d*)$")


@other_host_route
def artifact_storage(req):
    if not req.path.startswith(STORE_PATH):
        return None
    rest = req.path[len(STORE_PATH):]
    rid, _, relpath = rest.partition("/")
    q = {k: v[0] for k, v in req.query.items()}
    azure = "sig" in q
    err = _azure_error if azure else _s3_error
    if "authorization" in req.headers:
        # The workspace's token must never reach the storage host.
        if azure:
            return _azure_error(403, "AuthenticationFailed", "Server failed to authenticate the "
                                "request. Make sure the value of Authorization header is formed "
                                "correctly including the signature.")
        return _s3_error(403, "AccessDenied", "Only one auth mechanism allowed; only the "
                         "X-Amz-Algorithm query parameter, Signature query string parameter or the "
                         "Authorization header should be specified")
    method = req.method
    signed_method = "GET" if method == "HEAD" else method
    if method not in ("GET", "HEAD", "PUT"):
        return err(405, "MethodNotAllowed" if not azure else "UnsupportedHttpVerb",
                   "The specified method is not allowed against this resource.")
    try:
        if azure:
            date_ms, ttl, sig = int(q.get("emu-t", "")), int(q.get("emu-ttl", "")), q.get("sig", "")
        else:
            date_ms, ttl = int(q.get("X-Amz-Date", "")), int(q.get("X-Amz-Expires", ""))
            sig = q.get("X-Amz-Signature", "")
    except ValueError:
        if azure:
            return _azure_error(403, "AuthenticationFailed", "Server failed to authenticate the "
                                "request. Make sure the value of Authorization header is formed "
                                "correctly including the signature.")
        return _s3_error(403, "AccessDenied", "Query-string authentication requires the Signature, "
                                              "Expires and AWSAccessKeyId parameters")
    if not _RUN_ID_RX.match(rid) or not relpath or not hmac.compare_digest(
            _sign(signed_method, rid, relpath, date_ms, ttl), sig):
        if azure:
            return _azure_error(403, "AuthenticationFailed", "Server failed to authenticate the "
                                "request. Make sure the value of Authorization header is formed "
                                "correctly including the signature.",
                                "<AuthenticationErrorDetail>Signature did not match."
                                "</AuthenticationErrorDetail>")
        return _s3_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not "
                         "match the signature you provided. Check your key and signing method.")
    state = req.state
    if state.now_ms() > date_ms + ttl * 1000:
        if azure:
            return _azure_error(403, "AuthenticationFailed", "Server failed to authenticate the "
                                "request. Make sure the value of Authorization header is formed "
                                "correctly including the signature.",
                                "<AuthenticationErrorDetail>Signed expiry time [%s] has to be after "
                                "signed start time [%s]</AuthenticationErrorDetail>"
                                % (q.get("se", ""), _iso(state.now_ms())))
        return _s3_error(403, "AccessDenied", "Request has expired")
    store = _store(state)
    if method == "PUT":
        if azure and req.headers.get("x-ms-blob-type") != "BlockBlob":
            return _azure_error(400, "MissingRequiredHeader", "An HTTP header that's mandatory for "
                                "this request is not specified.",
                                "<HeaderName>x-ms-blob-type</HeaderName>")
        return _put_blob(req, store, rid, relpath, azure)
    with state.lock:
        b = store.blobs.get(rid, {}).get(relpath)
        b = dict(b) if b else None
    if b is None:
        if azure:
            return _azure_error(404, "BlobNotFound", "The specified blob does not exist.")
        return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
    headers = {"ETag": b["etag"], "Accept-Ranges": "bytes",
               "Last-Modified": datetime.datetime.fromtimestamp(
                   b["mtime_ms"] / 1000.0, datetime.timezone.utc).strftime(
                   "%a, %d %b %Y %H:%M:%S GMT")}
    size = b["size"]
    rng = req.headers.get("range") or (req.headers.get("x-ms-range") if azure else None)
    m = _RANGE_RX.match(rng.strip()) if rng else None
    if method == "HEAD" or not m:
        return 200, headers, FileBody(b["blob"], 0, size)
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) else size - 1
    if start >= size or end < start:
        headers["Content-Range"] = "bytes */%d" % size
        if azure:
            st, h, body = _azure_error(416, "InvalidRange", "The range specified is invalid for the "
                                       "current size of the resource.")
        else:
            st, h, body = _s3_error(416, "InvalidRange", "The requested range is not satisfiable")
        h.update(headers)
        return st, h, body
    end = min(end, size - 1)
    headers["Content-Range"] = "bytes %d-%d/%d" % (start, end, size)
    return 206, headers, FileBody(b["blob"], start, end - start + 1)


def _put_blob(req, store, rid, relpath, azure):
    blob = store.blob()
    md5 = hashlib.md5()
    if req.body_file is not None:  # streamed to a spool file by the server
        req.body_file.flush()
        with open(req.body_file.name, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                md5.update(chunk)
        try:
            os.replace(req.body_file.name, blob)
        except OSError:
            shutil.copyfile(req.body_file.name, blob)
        size = req.body_len
    else:
        md5.update(req.body)
        with open(blob, "wb") as f:
            f.write(req.body)
        size = len(req.body)
    etag = '"%s"' % md5.hexdigest()
    state = req.state
    with state.lock:
        if rid not in store.runs:
            os.unlink(blob)
            return _s3_error(404, "NoSuchBucket", "The specified bucket does not exist.") \
                if not azure else _azure_error(404, "ContainerNotFound",
                                               "The specified container does not exist.")
        files = store.blobs.setdefault(rid, {})
        old = files.get(relpath)
        files[relpath] = {"blob": blob, "size": size, "etag": etag, "mtime_ms": state.now_ms()}
    if old is not None:
        try:
            os.unlink(old["blob"])
        except OSError:
            pass
    if azure:
        # Azure Put Blob answers 201 Created
        return 201, {"ETag": etag, "Content-MD5": base64.b64encode(md5.digest()).decode()}, None
    return 200, {"ETag": etag}, None


# ---- for other emulator modules (the model registry) ------------------------------------------

def run_get(state, run_id):
    """The run as runs/get shows it ({"info", "data", "inputs"}), or None when unknown."""
    with state.lock:
        r = _store(state).runs.get(run_id) if isinstance(run_id, str) else None
        return None if r is None else json.loads(json.dumps(_run_json(r)))


def _all_files(state, r):
    """{relpath: blob file path} of every artifact of the run (UC volume or emulator store)."""
    vdir = _run_volume_dir(r)
    if vdir is not None:
        return {p: blob for p, (_, blob) in _volume_files(state, vdir).items()}
    return {p: b["blob"] for p, b in _store(state).blobs.get(r.info["run_id"], {}).items()}


def _read(blob):
    try:
        with open(blob, "rb") as f:
            return f.read()
    except OSError:
        return None


def artifact_read(state, run_id, relpath):
    """The bytes of one artifact file (relpath relative to the run's artifact root), or None."""
    with state.lock:
        r = _store(state).runs.get(run_id) if isinstance(run_id, str) else None
        if r is None or not isinstance(relpath, str):
            return None
        blob = _all_files(state, r).get(relpath.strip("/"))
    return None if blob is None else _read(blob)


def artifact_files(state, run_id, reldir):
    """[(relpath relative to reldir, bytes)] of every file under reldir (recursive; "" or None =
    the whole artifact root), sorted by path. [] when the run or the directory is unknown. A
    reldir naming a file gives [(its base name, bytes)]."""
    reldir = (reldir or "").strip("/")
    with state.lock:
        r = _store(state).runs.get(run_id) if isinstance(run_id, str) else None
        if r is None:
            return []
        files = _all_files(state, r)
    prefix = reldir + "/" if reldir else ""
    if reldir and reldir in files:
        picked = [(reldir.rsplit("/", 1)[-1], files[reldir])]
    else:
        picked = [(p[len(prefix):], b) for p, b in files.items() if p.startswith(prefix)]
    out = []
    for p, blob in sorted(picked):
        data = _read(blob)
        if data is not None:
            out.append((p, data))
    return out


_RUNS_URI_RX = re.compile(r"^runs:/([^/]+)(?:/(.*))?$")


def resolve_artifact_source(state, uri):
    """(run_id, relpath) for `runs:/<run_id>/<path>`, for a run's artifact URI followed by a path
    (`dbfs:/databricks/mlflow-tracking/<exp>/<run>/artifacts/<path>`, custom locations and UC
    volumes alike), else None (unknown run; `models:/` is not a source)."""
    if not isinstance(uri, str):
        return None
    m = _RUNS_URI_RX.match(uri)
    with state.lock:
        runs = _store(state).runs
        if m:
            rid = m.group(1)
            if rid not in runs:
                return None
            return rid, (m.group(2) or "").strip("/")
        for rid, r in runs.items():
            root = r.info["artifact_uri"]
            if uri == root or uri.startswith(root + "/"):
                return rid, uri[len(root):].strip("/")
            if uri.startswith("/Volumes/") and root.startswith("dbfs:/Volumes/"):
                if uri == root[5:] or uri.startswith(root[5:] + "/"):
                    return rid, uri[len(root) - 5:].strip("/")
    return None
