"""Model Serving (issue 9): serving endpoints, their state machines, invocations that score a
registered model version for real, traffic splits, the route-optimized data plane on the second
host, metrics, logs, AI gateway and inference tables.

Reference: databricks-api.md section 10, protocols.md section 4, openapi/realtimeserving.yaml.
Where the reference is silent the choice is marked "unconfirmed" in a comment and listed in
docs/emulator.md ("Model serving").

State machine (virtual clock; config ``serving_deploy_ms``, default 0 = settled by the next
request after the one that started it):
- create -> ready NOT_READY, config_update IN_PROGRESS, ``pending_config`` with entities
  DEPLOYMENT_CREATING; after the deploy time -> READY / NOT_UPDATING, ``config`` version 1.
- update config -> IN_PROGRESS with ``pending_config``; the old config keeps serving until the
  new one is deployed, then it replaces it with config_version + 1.
- a bad entity (unknown model or version, version not READY, no valid model.json) -> the entity
  DEPLOYMENT_FAILED with the reason in deployment_state_message, config_update UPDATE_FAILED;
  the old config keeps serving (a first config: ready stays NOT_READY). The failed
  ``pending_config`` stays visible (unconfirmed: the reference does not say where the reason is
  shown; keeping it lets a waiter report it) until the next update replaces it.

The scoring model (docs/emulator.md): a version's files hold ``MLmodel`` and ``model.json`` at
the version root, or under ``model/`` (a version registered from a run's root).
"""

import json
import math
import re
import secrets
import threading
import time
import uuid

from . import on_reset, other_host_route, route
from .auth import TOKEN_GRANTS, _client_credentials, _oauth_error
from ..errors import ApiError, error_body, invalid_param
from ..state import register_config

BASE = "/api/2.0/serving-endpoints"

register_config("serving_deploy_ms", 0, (int, float), 0)
# real time slept by every scoring call (benchmarks); the server is threaded, so calls overlap
register_config("serving_model_latency_ms", 0, (int, float), 0)
# documented limit: 16 MB per request (protocols.md section 4)
register_config("serving_max_payload_bytes", 16 * 1024 * 1024, (int,), 1)
register_config("serving_dp_token_ttl_s", 3600, (int, float), 1)

NAME_RX = re.compile(r"^[A-Za-z0-9_-]+$")
NAME_MAX = 63            # unconfirmed: the documented endpoint name length limit as remembered
MAX_ENTITIES = 15        # unconfirmed: served entities per endpoint
MAX_ENV_VARS = 30        # protocols.md section 4 (30 env vars per model)
WORKLOAD_SIZES = ("Small", "Medium", "Large")
WORKLOAD_TYPES = ("CPU", "CPU_MEDIUM", "CPU_LARGE", "GPU_SMALL", "GPU_MEDIUM", "GPU_LARGE",
                  "GPU_XLARGE", "GPU_XLARGE_8", "MULTIGPU_MEDIUM")
CONCURRENCY = {"Small": 4, "Medium": 16, "Large": 64}
FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
LOG_LINES_MAX = 1000
LATENCY_BUCKETS_MS = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 120000)
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DP_ACTION = "query_inference_endpoint"
INFERENCE_COLUMNS = (
    ("request_date", "DATE"), ("databricks_request_id", "STRING"),
    ("client_request_id", "STRING"), ("request_time", "TIMESTAMP"), ("status_code", "INT"),
    ("sampling_fraction", "DOUBLE"), ("execution_duration_ms", "BIGINT"), ("request", "STRING"),
    ("response", "STRING"), ("served_entity_id", "STRING"),
    # ARRAY<STRING> in Databricks; the emulator's SQL engine has no complex types, so the codes
    # are a JSON array text ("[]")
    ("logging_error_codes", "STRING"), ("requester", "STRING"))


class Store:
    def __init__(self):
        self.lock = threading.RLock()   # taken before the UC engine lock and the state lock
        self.endpoints = {}             # name -> endpoint record
        self.dp_tokens = {}             # token -> (expiry virtual ms, endpoint id, principal)
        self.pending = 0                # endpoints with a pending config (settle fast path)


@on_reset
def _reset(state):
    state.serving = Store()


def _store(state):
    return state.serving


def _now(state):
    return state.now_ms()


def _err(status, code, message):
    return ApiError(status, code, message)


def _not_found(name):
    return _err(404, "RESOURCE_DOES_NOT_EXIST", "Endpoint with name '%s' does not exist." % name)


def _bad(message):
    return _err(400, "BAD_REQUEST", message)


# ---- the scoring model ---------------------------------------------------------------------------

def _num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def parse_model(files):
    """(model dict, None) or (None, reason) from a version's {relpath: bytes}."""
    for prefix in ("", "model/"):
        if prefix + "model.json" in files:
            break
    else:
        if "MLmodel" not in files and "model/MLmodel" not in files:
            return None, "the model version has no MLmodel file"
        return None, "the model version has no model.json (expected at the version root)"
    if prefix + "MLmodel" not in files and "MLmodel" not in files:
        return None, "the model version has no MLmodel file"
    try:
        m = json.loads(files[prefix + "model.json"].decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, "model.json is not valid JSON"
    if not isinstance(m, dict):
        return None, "model.json must be a JSON object"
    if m.get("flavor") != "logistic":
        return None, "model.json: unsupported flavor %r (expected \"logistic\")" % (m.get("flavor"),)
    feats = m.get("features", [])
    coefs = m.get("coefficients", [])
    if not isinstance(feats, list) or not all(isinstance(f, str) and f for f in feats):
        return None, "model.json: 'features' must be a list of names"
    if len(set(feats)) != len(feats):
        return None, "model.json: 'features' has duplicate names"
    if not isinstance(coefs, list) or not all(_num(c) for c in coefs) or len(coefs) != len(feats):
        return None, "model.json: 'coefficients' must be numbers, one per feature"
    intercept = m.get("intercept", 0.0)
    if not _num(intercept):
        return None, "model.json: 'intercept' must be a number"
    cat = m.get("categorical") or {}
    if not isinstance(cat, dict) or not all(
            isinstance(k, str) and isinstance(w, dict) and all(isinstance(a, str) and _num(b)
                                                               for a, b in w.items())
            for k, w in cat.items()):
        return None, "model.json: 'categorical' must map a feature to {value: weight}"
    if set(cat) & set(feats):
        return None, "model.json: a feature is both numeric and categorical"
    threshold = m.get("threshold", 0.5)
    if not _num(threshold):
        return None, "model.json: 'threshold' must be a number"
    output = m.get("output", "probability")
    if output not in ("probability", "label", "both"):
        return None, "model.json: 'output' must be \"probability\", \"label\" or \"both\""
    return {"features": feats, "coefficients": [float(c) for c in coefs],
            "intercept": float(intercept), "categorical": cat, "threshold": float(threshold),
            "output": output}, None


def _sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _rows(body, fmt):
    """The request's rows as a list of dicts (or raises BAD_REQUEST)."""
    data = body[fmt]
    if fmt == "dataframe_split":
        if not isinstance(data, dict):
            raise _bad("Invalid input. dataframe_split must be an object with 'columns' and "
                       "'data' (pandas split orientation).")
        cols = data.get("columns")
        rows = data.get("data")
        if rows is None:
            rows = []
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise _bad("Invalid input. dataframe_split 'data' must be a list of rows (lists).")
        if cols is None:
            cols = list(range(len(rows[0]))) if rows else []
        if not isinstance(cols, list):
            raise _bad("Invalid input. dataframe_split 'columns' must be a list.")
        idx = data.get("index")
        if idx is not None and (not isinstance(idx, list) or len(idx) != len(rows)):
            raise _bad("Invalid input. dataframe_split 'index' must have one entry per row.")
        out = []
        for r in rows:
            if len(r) != len(cols):
                raise _bad("Invalid input. %d columns passed, passed data had %d columns"
                           % (len(cols), len(r)))
            out.append({str(c): v for c, v in zip(cols, r)})
        return out
    if fmt == "dataframe_records":
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise _bad("Invalid input. dataframe_records must be a list of records (objects).")
        return data
    if fmt == "inputs" and isinstance(data, dict):
        # columnar: {"col": [v, ...], ...}; scalars make one row
        if not data:
            return []
        if all(isinstance(v, list) for v in data.values()):
            n = {len(v) for v in data.values()}
            if len(n) != 1:
                raise _bad("Invalid input. All columns of 'inputs' must have the same length.")
            k = n.pop()
            return [{c: v[i] for c, v in data.items()} for i in range(k)]
        if any(isinstance(v, (list, dict)) for v in data.values()):
            raise _bad("Invalid input. 'inputs' must be columns of equal length or one row of "
                       "scalars.")
        return [dict(data)]
    # instances, or inputs as a list: rows
    if not isinstance(data, list):
        raise _bad("Invalid input. '%s' must be a list of rows." % fmt)
    out = []
    for r in data:
        if isinstance(r, dict):
            out.append(r)
        elif isinstance(r, list):  # a tensor row: positional columns 0..n-1
            out.append({str(i): v for i, v in enumerate(r)})
        else:
            out.append({"0": r})
    return out


def score(model, rows):
    """Predictions for rows (list of dicts) or raises BAD_REQUEST the way MLflow's schema
    enforcement does."""
    feats = model["features"]
    cat = model["categorical"]
    need = list(feats) + list(cat)
    have = set()
    for r in rows:
        have.update(r)
    missing = [f for f in need if f not in have] if rows else []
    if missing:
        extra = sorted(str(k) for k in have if k not in need)
        msg = "Model is missing inputs %s." % repr(missing)
        if extra:
            msg += " Note that there were extra inputs: %s." % repr(extra)
        raise _bad("Failed to enforce schema of data with the model signature. Error: " + msg)
    out = []
    for r in rows:
        z = model["intercept"]
        for f, c in zip(feats, model["coefficients"]):
            v = r.get(f)
            if isinstance(v, bool):
                v = int(v)
            if not _num(v):
                raise _bad("Failed to enforce schema of data with the model signature. Error: "
                           "Incompatible input types for column %s. Can not safely convert %s "
                           "to float64." % (f, "null" if v is None else type(v).__name__))
            z += c * v
        for f, weights in cat.items():
            v = r.get(f)
            z += weights.get(v if isinstance(v, str) else json.dumps(v), 0.0)
        p = _sigmoid(z)
        label = 1 if p >= model["threshold"] else 0
        if model["output"] == "probability":
            out.append(p)
        elif model["output"] == "label":
            out.append(label)
        else:
            out.append({"probability": p, "label": label})
    return out


# ---- resolving a served entity's model -----------------------------------------------------------

def _resolve(state, entity):
    """(model, None) or (None, reason) for a served entity at deploy time."""
    from . import registry, uc_models
    name, version = entity["entity_name"], entity["entity_version"]
    uc = name.count(".") == 2
    what = "%s version %s" % (name, version)
    if not re.match(r"^[0-9]{1,9}$", version or ""):
        return None, "Model version %s does not exist." % what
    if uc:
        files = uc_models.uc_version_files(state, name, version)
    else:
        files = registry.ws_version_files(state, name, version)
    if files is None:
        if uc:
            with uc_models._locks(state):
                m = uc_models._store(state).models.get(name.lower())
                v = m["versions"].get(int(version)) if m else None
                status = v["status"] if v else None
                smsg = v.get("status_message") if v else None
        else:
            with state.lock:
                m = registry._store(state).models.get(name)
                v = m["versions"].get(int(version)) if m else None
                status = v["status"] if v else None
                smsg = v.get("status_message") if v else None
        if m is None:
            return None, "Registered model %s does not exist." % name
        if status is None:
            return None, "Model version %s does not exist." % what
        return None, "Model version %s is not READY (status %s%s)." % (
            what, status, ": " + smsg if smsg else "")
    model, why = parse_model(files)
    if why:
        return None, "Failed to load model %s: %s." % (what, why)
    return model, None


# ---- request parsing -----------------------------------------------------------------------------

def _opt_str(d, k, what="config"):
    v = d.get(k)
    if v is not None and not isinstance(v, str):
        raise invalid_param("%s: '%s' must be a string" % (what, k))
    return v


def _opt_bool(d, k):
    v = d.get(k)
    if v is not None and not isinstance(v, bool):
        raise invalid_param("'%s' must be a boolean" % k)
    return v


def _opt_int(d, k, lo=0):
    v = d.get(k)
    if v is None:
        return None
    if isinstance(v, str) and v.isdigit():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int) or v < lo:
        raise invalid_param("'%s' must be an integer >= %d" % (k, lo))
    return v


def _parse_entity(e, legacy, principal, now):
    if not isinstance(e, dict):
        raise invalid_param("Each served entity must be an object")
    if legacy:
        name_k, ver_k = "model_name", "model_version"
        if e.get("scale_to_zero_enabled") is None:
            raise invalid_param("served_models: 'scale_to_zero_enabled' is required")
    else:
        name_k, ver_k = "entity_name", "entity_version"
    if e.get("external_model") is not None or e.get("foundation_model") is not None:
        # unconfirmed limitation of the emulator, not of the service
        raise invalid_param("The emulator serves registered models only (external_model and "
                            "foundation models are not supported)")
    ename = e.get(name_k)
    if not isinstance(ename, str) or not ename:
        raise invalid_param("'%s' is required for each served %s" % (
            name_k, "model" if legacy else "entity"))
    ver = e.get(ver_k)
    if isinstance(ver, int) and not isinstance(ver, bool):
        ver = str(ver)
    if not isinstance(ver, str) or not ver:
        raise invalid_param("'%s' is required for each served %s" % (
            ver_k, "model" if legacy else "entity"))
    name = _opt_str(e, "name", "served entity")
    if name is None:
        # "<entity_name>-<entity_version>"; the dots of a UC name become '-' (unconfirmed: the
        # reference says they are replaced, not by what)
        name = "%s-%s" % (ename.replace(".", "-"), ver)
    if not NAME_RX.match(name) or len(name) > NAME_MAX:
        raise invalid_param("Invalid served entity name '%s': use only letters, digits, '-' and "
                            "'_' (at most %d characters)" % (name, NAME_MAX))
    size = _opt_str(e, "workload_size", "served entity")
    minc = _opt_int(e, "min_provisioned_concurrency")
    maxc = _opt_int(e, "max_provisioned_concurrency")
    if size is not None and (minc is not None or maxc is not None):
        raise invalid_param("Specify either workload_size or min/max_provisioned_concurrency, not "
                            "both")
    if size is not None and size not in WORKLOAD_SIZES:
        raise invalid_param("Invalid workload_size '%s': must be one of %s" % (
            size, ", ".join(WORKLOAD_SIZES)))
    if size is None and minc is None and maxc is None:
        size = "Small"  # unconfirmed default
    if minc is not None and maxc is not None and minc > maxc:
        raise invalid_param("min_provisioned_concurrency must be <= max_provisioned_concurrency")
    wtype = _opt_str(e, "workload_type", "served entity") or "CPU"
    if wtype not in WORKLOAD_TYPES:
        raise invalid_param("Invalid workload_type '%s': must be one of %s" % (
            wtype, ", ".join(WORKLOAD_TYPES)))
    env = e.get("environment_vars")
    if env is not None:
        if not isinstance(env, dict) or not all(isinstance(k, str) and k and isinstance(v, str)
                                                for k, v in env.items()):
            raise invalid_param("environment_vars must be a map of strings to strings")
        if len(env) > MAX_ENV_VARS:
            raise invalid_param("At most %d environment variables per served entity" % MAX_ENV_VARS)
        for k, v in env.items():
            if "{{secrets/" in v and not re.match(r"^\{\{secrets/[^/{}]+/[^/{}]+\}\}$", v):
                raise invalid_param("Invalid secret reference in environment variable %s: use "
                                    "{{secrets/<scope>/<key>}}" % k)
    ent = {"name": name, "entity_name": ename, "entity_version": ver,
           "scale_to_zero_enabled": bool(e.get("scale_to_zero_enabled", False)),
           "workload_type": wtype, "creator": principal, "creation_timestamp": now,
           "legacy": legacy, "id": uuid.uuid4().hex,
           "state": {"deployment": "DEPLOYMENT_CREATING",
                     "deployment_state_message": "Creating the served entity."},
           "model": None}
    if size is not None:
        ent["workload_size"] = size
    if minc is not None:
        ent["min_provisioned_concurrency"] = minc
    if maxc is not None:
        ent["max_provisioned_concurrency"] = maxc
    if env is not None:
        ent["environment_vars"] = dict(env)  # kept as given: secret references never resolved
    for k in ("instance_profile_arn",):
        if _opt_str(e, k, "served entity") is not None:
            ent[k] = e[k]
    if _opt_bool(e, "burst_scaling_enabled") is not None:
        ent["burst_scaling_enabled"] = e["burst_scaling_enabled"]
    return ent


def _parse_capture(state, c, endpoint_name):
    """auto_capture_config / inference_table_config -> normalized dict (or None)."""
    if c is None:
        return None
    if not isinstance(c, dict):
        raise invalid_param("The inference table config must be an object")
    out = {}
    for k in ("catalog_name", "schema_name", "table_name_prefix"):
        if _opt_str(c, k, "inference table config") is not None:
            out[k] = c[k]
    enabled = _opt_bool(c, "enabled")
    out["enabled"] = True if enabled is None else enabled
    if out["enabled"]:
        for k in ("catalog_name", "schema_name"):
            if not out.get(k):
                raise invalid_param("The inference table config needs '%s'" % k)
        prefix = out.get("table_name_prefix") or endpoint_name  # unconfirmed default
        if not re.match(r"^[A-Za-z0-9_-]+$", prefix):
            raise invalid_param("Invalid table_name_prefix '%s'" % prefix)
        eng = getattr(state, "uc", None)
        if eng is not None:
            with eng.lock:
                if out["catalog_name"].lower() not in eng.catalogs:
                    raise _err(404, "CATALOG_DOES_NOT_EXIST", "Catalog '%s' does not exist."
                               % out["catalog_name"])
                full = ("%s.%s" % (out["catalog_name"], out["schema_name"])).lower()
                if full not in eng.schemas:
                    raise _err(404, "SCHEMA_DOES_NOT_EXIST", "Schema '%s' does not exist."
                               % full)
    return out


def _table_name(cap, endpoint_name):
    if not cap or not cap.get("enabled"):
        return None
    prefix = cap.get("table_name_prefix") or endpoint_name
    return ("%s.%s.%s_payload" % (cap["catalog_name"], cap["schema_name"], prefix)).lower()


def _parse_config(state, body, principal, now, endpoint_name, old=None):
    """EndpointCoreConfigInput -> pending config record."""
    if not isinstance(body, dict):
        raise invalid_param("config must be an object")
    se, sm = body.get("served_entities"), body.get("served_models")
    if se is not None and sm is not None:
        raise invalid_param("Specify either served_entities or served_models, not both")
    legacy = se is None and sm is not None
    ents = sm if legacy else se
    if not isinstance(ents, list) or not ents:
        raise invalid_param("The config must have at least one served entity (served_entities)")
    if len(ents) > MAX_ENTITIES:
        raise invalid_param("At most %d served entities per endpoint" % MAX_ENTITIES)
    parsed = [_parse_entity(e, legacy, principal, now) for e in ents]
    names = [e["name"] for e in parsed]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise invalid_param("Served entity names must be unique in an endpoint: %s" % dup[0])
    routes = _parse_traffic(body.get("traffic_config"), names)
    cap = body.get("auto_capture_config")
    if cap is None and old is not None:
        cap = old.get("auto_capture_config")
        cap = dict(cap) if cap else None
    else:
        cap = _parse_capture(state, cap, endpoint_name)
    return {"served_entities": parsed, "routes": routes, "auto_capture_config": cap,
            "legacy": legacy, "start_time": now}


def _parse_traffic(tc, names):
    if tc is None:
        if len(names) == 1:
            return [(names[0], 100)]
        # unconfirmed: the emulator refuses rather than guessing a split
        raise invalid_param("traffic_config is required when the config has more than one "
                            "served entity")
    if not isinstance(tc, dict) or not isinstance(tc.get("routes"), list) or not tc["routes"]:
        raise invalid_param("traffic_config.routes must be a non-empty list")
    out = []
    seen = set()
    for r in tc["routes"]:
        if not isinstance(r, dict):
            raise invalid_param("Each traffic route must be an object")
        n = r.get("served_entity_name") or r.get("served_model_name")
        if not isinstance(n, str) or not n:
            raise invalid_param("Each traffic route needs served_entity_name")
        if n not in names:
            raise invalid_param("Traffic route names served entity '%s', which is not in the "
                                "config" % n)
        if n in seen:
            raise invalid_param("Served entity '%s' appears in more than one traffic route" % n)
        seen.add(n)
        p = r.get("traffic_percentage")
        if isinstance(p, bool) or not isinstance(p, int) or not 0 <= p <= 100:
            raise invalid_param("traffic_percentage must be an integer between 0 and 100")
        out.append((n, p))
    total = sum(p for _, p in out)
    if total != 100:
        raise invalid_param("The traffic percentages of the routes must sum to 100, got %d"
                            % total)
    # entities without a route get no traffic (unconfirmed: the service may require a route
    # for every served entity)
    return out


def _parse_tags(v):
    if v is None:
        return []
    if not isinstance(v, list):
        raise invalid_param("tags must be a list of {key, value}")
    out = []
    for t in v:
        if not isinstance(t, dict) or not isinstance(t.get("key"), str) or not t["key"]:
            raise invalid_param("Each tag needs a non-empty 'key'")
        if t.get("value") is not None and not isinstance(t["value"], str):
            raise invalid_param("Tag '%s': value must be a string" % t["key"])
        out.append((t["key"], t.get("value")))
    return out


def _parse_gateway(state, g, endpoint_name):
    if g is None:
        return None
    if not isinstance(g, dict):
        raise invalid_param("ai_gateway must be an object")
    out = {}
    for k in ("guardrails", "usage_tracking_config", "fallback_config"):
        if g.get(k) is not None:
            if not isinstance(g[k], dict):
                raise invalid_param("ai_gateway.%s must be an object" % k)
            out[k] = g[k]
    rl = g.get("rate_limits")
    if rl is not None:
        if not isinstance(rl, list):
            raise invalid_param("ai_gateway.rate_limits must be a list")
        for r in rl:
            if not isinstance(r, dict) or isinstance(r.get("calls"), bool) or \
                    not isinstance(r.get("calls"), int) or r["calls"] < 0:
                raise invalid_param("Each rate limit needs an integer 'calls'")
            if r.get("renewal_period") != "minute":
                raise invalid_param("rate_limits renewal_period must be \"minute\"")
            if r.get("key") not in (None, "user", "endpoint", "user_group", "service_principal"):
                raise invalid_param("Invalid rate limit key '%s'" % (r.get("key"),))
        out["rate_limits"] = rl
    if g.get("inference_table_config") is not None:
        out["inference_table_config"] = _parse_capture(state, g["inference_table_config"],
                                                       endpoint_name)
    return out


# ---- output shapes -------------------------------------------------------------------------------

def _entity_out(e, full=True, legacy=False):
    if legacy:
        d = {"name": e["name"], "model_name": e["entity_name"], "model_version": e["entity_version"]}
    else:
        d = {"name": e["name"], "entity_name": e["entity_name"],
             "entity_version": e["entity_version"]}
    if not full:
        return d
    for k in ("workload_size", "workload_type", "scale_to_zero_enabled", "environment_vars",
              "instance_profile_arn", "min_provisioned_concurrency", "max_provisioned_concurrency",
              "burst_scaling_enabled", "creator", "creation_timestamp"):
        if k in e and e[k] is not None:
            d[k] = e[k]
    d["state"] = dict(e["state"])
    return d


def _capture_out(cap, endpoint_name, status="ACTIVE"):
    if cap is None:
        return None
    d = dict(cap)
    t = _table_name(cap, endpoint_name)
    if t:
        d["state"] = {"payload_table": {"name": t.rsplit(".", 1)[1], "status": status,
                                        "status_message": ""}}
    return d


def _config_out(ep, cfg, full=True, pending=False):
    d = {}
    d["served_entities"] = [_entity_out(e, full) for e in cfg["served_entities"]]
    if cfg["legacy"]:  # a config written with served_models reads back both ways
        d["served_models"] = [_entity_out(e, full, legacy=True) for e in cfg["served_entities"]]
    if not full:
        return d
    d["traffic_config"] = {"routes": [
        {"served_model_name": n, "served_entity_name": n, "traffic_percentage": p}
        for n, p in cfg["routes"]]}
    cap = _capture_out(cfg.get("auto_capture_config"), ep["name"])
    if cap:
        d["auto_capture_config"] = cap
    if "config_version" in cfg:
        d["config_version"] = cfg["config_version"]
    if pending:
        d["start_time"] = cfg["start_time"]
    return d


def _state_out(ep):
    return {"ready": "READY" if ep["config"] is not None else "NOT_READY",
            "config_update": ep["config_update"]}


def _tags_out(ep):
    return [{"key": k, "value": v} if v is not None else {"key": k} for k, v in ep["tags"].items()]


def _dp_url(state, ep):
    wid = state.config.get("workspace_id") or "0"
    return "%s/%s/serving-endpoints/%s/invocations" % (state.other_base or "", wid, ep["name"])


def _auth_details(ep):
    return json.dumps([{"type": "workspace_permission", "object_type": "serving-endpoints",
                        "object_path": "/serving-endpoints/" + ep["id"],
                        "actions": [DP_ACTION]}], separators=(",", ":"))


def _detailed(state, ep):
    d = {"name": ep["name"], "id": ep["id"], "creator": ep["creator"],
         "creation_timestamp": ep["creation_timestamp"],
         "last_updated_timestamp": ep["last_updated_timestamp"], "state": _state_out(ep)}
    if ep["config"] is not None:
        d["config"] = _config_out(ep, ep["config"])
    if ep["pending"] is not None:
        d["pending_config"] = _config_out(ep, ep["pending"], pending=True)
    if ep["tags"]:
        d["tags"] = _tags_out(ep)
    d["permission_level"] = "CAN_MANAGE"
    d["route_optimized"] = ep["route_optimized"]
    if ep["route_optimized"]:
        url = _dp_url(state, ep)
        d["endpoint_url"] = url
        d["data_plane_info"] = {"query_info": {"endpoint_url": url,
                                               "authorization_details": _auth_details(ep)}}
    for k in ("ai_gateway", "description", "budget_policy_id", "email_notifications",
              "rate_limits"):
        if ep.get(k) is not None:
            d[k] = ep[k]
    return d


def _list_item(ep):
    d = {"name": ep["name"], "id": ep["id"], "creator": ep["creator"],
         "creation_timestamp": ep["creation_timestamp"],
         "last_updated_timestamp": ep["last_updated_timestamp"], "state": _state_out(ep)}
    cfg = ep["config"] or ep["pending"]
    if cfg is not None:
        d["config"] = _config_out(ep, cfg, full=False)
    if ep["tags"]:
        d["tags"] = _tags_out(ep)
    for k in ("ai_gateway", "description", "budget_policy_id"):
        if ep.get(k) is not None:
            d[k] = ep[k]
    return d


# ---- the state machine ---------------------------------------------------------------------------

def _log(ep, kind, entity, line, now):
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now / 1000.0)) + ".%03dZ" % (now % 1000)
    lines = ep[kind].setdefault(entity, [])
    lines.append("%s %s" % (stamp, line))
    if len(lines) > LOG_LINES_MAX:
        del lines[:len(lines) - LOG_LINES_MAX]


def _deploy(state, ep, now):
    """The pending config's deploy time has come: READY, or UPDATE_FAILED with the reason."""
    cfg = ep["pending"]
    when = cfg["ready_at"]
    failed = False
    for e in cfg["served_entities"]:
        _log(ep, "build_logs", e["name"], "Building the serving environment for %s version %s"
             % (e["entity_name"], e["entity_version"]), when)
        model, why = _resolve(state, e)
        if why:
            failed = True
            e["state"] = {"deployment": "DEPLOYMENT_FAILED", "deployment_state_message": why}
            _log(ep, "build_logs", e["name"], "Build failed: " + why, when)
            _log(ep, "server_logs", e["name"], "Served entity failed to start: " + why, when)
            continue
        e["model"] = model
        e["state"] = {"deployment": "DEPLOYMENT_READY",
                      "deployment_state_message": "Served entity is ready."}
        _log(ep, "build_logs", e["name"], "Build succeeded (%d features, output %s)" % (
            len(model["features"]) + len(model["categorical"]), model["output"]), when)
        _log(ep, "server_logs", e["name"], "Model server started; model %s version %s loaded"
             % (e["entity_name"], e["entity_version"]), when)
    ep["last_updated_timestamp"] = max(ep["last_updated_timestamp"], when)
    if failed:
        for e in cfg["served_entities"]:
            if e["state"]["deployment"] != "DEPLOYMENT_FAILED":
                e["state"] = {"deployment": "DEPLOYMENT_ABORTED",
                              "deployment_state_message": "The update was aborted: another "
                                                          "served entity failed to deploy."}
                e["model"] = None
        ep["config_update"] = "UPDATE_FAILED"
        cfg["failed"] = True
        return
    cfg.pop("ready_at", None)
    new = dict(cfg)
    new.pop("start_time", None)
    new["config_version"] = (ep["config"]["config_version"] if ep["config"] else 0) + 1
    new["rr"] = {n: 0 for n, _ in new["routes"]}
    ep["config"] = new
    ep["pending"] = None
    ep["config_update"] = "NOT_UPDATING"
    _ensure_table(state, new.get("auto_capture_config"), ep["name"])


def settle(state):
    """Deploy every pending config whose time has come. Call with the store lock held."""
    st = _store(state)
    if not st.pending:
        return
    now = _now(state)
    n = 0
    for ep in st.endpoints.values():
        cfg = ep["pending"]
        if cfg is None or cfg.get("failed"):
            continue
        if cfg["ready_at"] <= now:
            _deploy(state, ep, now)
            if ep["pending"] is not None and not ep["pending"].get("failed"):
                n += 1
        else:
            n += 1
    st.pending = n


def _endpoint(state, name):
    ep = _store(state).endpoints.get(name)
    if ep is None:
        raise _not_found(name)
    return ep


def _start(state, ep, cfg, now):
    cfg["ready_at"] = now + int(state.config["serving_deploy_ms"])
    cfg["config_version"] = (ep["config"]["config_version"] if ep["config"] else 0) + 1
    ep["pending"] = cfg
    ep["config_update"] = "IN_PROGRESS"
    ep["last_updated_timestamp"] = now
    _store(state).pending += 1


# ---- inference tables ----------------------------------------------------------------------------

def _ensure_table(state, cap, endpoint_name):
    name = _table_name(cap, endpoint_name)
    eng = getattr(state, "uc", None)
    if name is None or eng is None:
        return
    from ..sql_exec import run_statement
    from ..sql_lexer import SqlError
    cols = ", ".join("%s %s" % c for c in INFERENCE_COLUMNS)
    with eng.lock:
        try:
            res = run_statement(eng, "CREATE TABLE IF NOT EXISTS %s (%s)" % (name, cols), {},
                                None, None, "System user", _now(state))
            if res.table:
                eng.db.execute('DROP TABLE IF EXISTS "%s"' % res.table)
        except SqlError:
            pass  # the schema went away: rows are dropped (logging_error_codes is not kept)


def inference_table_name(state, endpoint):
    """Full name of the endpoint's inference (payload) table, lower case, or None: the AI
    gateway's inference_table_config when enabled, else the config's auto_capture_config.
    endpoint: the endpoint name (or its record)."""
    st = _store(state)
    with st.lock:
        ep = st.endpoints.get(endpoint) if isinstance(endpoint, str) else endpoint
        if ep is None:
            return None
        return _capture_target(ep)


def _capture_target(ep):
    gw = ep.get("ai_gateway") or {}
    t = _table_name(gw.get("inference_table_config"), ep["name"])
    if t:
        return t
    cfg = ep["config"]
    return _table_name(cfg.get("auto_capture_config") if cfg else None, ep["name"])


def _capture_row(state, table, row):
    eng = getattr(state, "uc", None)
    if eng is None:
        return
    from ..sql_exec import run_statement
    from ..sql_lexer import SqlError
    from ..sql_types import bind_value, parse_type_text
    params = {}
    for (col, typ), v in zip(INFERENCE_COLUMNS, row):
        c = parse_type_text("LONG" if typ == "BIGINT" else typ)
        params[col] = (None if v is None else bind_value(str(v), c, col), c)
    sql = "INSERT INTO %s VALUES (%s)" % (table, ", ".join(":" + c for c, _ in INFERENCE_COLUMNS))
    with eng.lock:
        try:
            res = run_statement(eng, sql, params, None, None, "System user", _now(state))
            if res.table:
                eng.db.execute('DROP TABLE IF EXISTS "%s"' % res.table)
        except SqlError:
            pass  # the table was dropped or changed by a user: the row is lost, as when the
            # real service cannot write its payload table


# ---- endpoints -----------------------------------------------------------------------------------

@route("POST", BASE)
def create_endpoint(req):
    b = req.json_obj()
    name = b.get("name")
    if not isinstance(name, str) or not name:
        raise invalid_param("'name' is required")
    if not NAME_RX.match(name) or len(name) > NAME_MAX:
        raise invalid_param("Invalid endpoint name '%s': an endpoint name may contain only "
                            "letters, digits, '-' and '_' and be at most %d characters long."
                            % (name, NAME_MAX))
    state = req.state
    principal = req.principal or "emulator-user@example.com"
    ro = _opt_bool(b, "route_optimized") or False
    for k in ("description", "budget_policy_id"):
        _opt_str(b, k, "endpoint")
    tags = _parse_tags(b.get("tags"))
    st = _store(state)
    with st.lock:
        settle(state)
        if name in st.endpoints:
            # unconfirmed: status 409 with RESOURCE_ALREADY_EXISTS (the SDKs map the code first)
            raise _err(409, "RESOURCE_ALREADY_EXISTS",
                       "Endpoint with name '%s' already exists." % name)
        now = _now(state)
        if b.get("config") is None:
            raise invalid_param("'config' is required (served_entities)")
        cfg = _parse_config(state, b["config"], principal, now, name)
        gw = _parse_gateway(state, b.get("ai_gateway"), name)
        ep = {"name": name, "id": uuid.uuid4().hex, "creator": principal,
              "creation_timestamp": now, "last_updated_timestamp": now,
              "route_optimized": ro, "tags": dict(tags), "config": None, "pending": None,
              "config_update": "NOT_UPDATING", "ai_gateway": gw,
              "description": b.get("description"), "budget_policy_id": b.get("budget_policy_id"),
              "email_notifications": b.get("email_notifications"),
              "rate_limits": b.get("rate_limits"),
              "server_logs": {}, "build_logs": {}, "metrics": {}}
        _start(state, ep, cfg, now)
        st.endpoints[name] = ep
        if gw and gw.get("inference_table_config"):
            _ensure_table(state, gw["inference_table_config"], name)
        return 200, None, _detailed(state, ep)


@route("GET", BASE)
def list_endpoints(req):
    st = _store(req.state)
    with st.lock:
        settle(req.state)
        eps = sorted(st.endpoints.values(), key=lambda e: (e["creation_timestamp"], e["name"]))
        if not eps:
            return 200, None, {}  # empty repeated fields are omitted
        return 200, None, {"endpoints": [_list_item(e) for e in eps]}


@route("GET", BASE + "/{name}")
def get_endpoint(req):
    st = _store(req.state)
    with st.lock:
        settle(req.state)
        return 200, None, _detailed(req.state, _endpoint(req.state, req.params["name"]))


@route("DELETE", BASE + "/{name}")
def delete_endpoint(req):
    st = _store(req.state)
    with st.lock:
        settle(req.state)
        ep = _endpoint(req.state, req.params["name"])
        if ep["pending"] is not None and not ep["pending"].get("failed"):
            st.pending = max(0, st.pending - 1)
        del st.endpoints[ep["name"]]
        for t in [t for t, v in st.dp_tokens.items() if v[1] == ep["id"]]:
            del st.dp_tokens[t]
        return 200, None, {}


@route("PUT", BASE + "/{name}/config")
def update_config(req):
    b = req.json_obj()
    state = req.state
    principal = req.principal or "emulator-user@example.com"
    st = _store(state)
    with st.lock:
        settle(state)
        ep = _endpoint(state, req.params["name"])
        if ep["config_update"] == "IN_PROGRESS":
            # unconfirmed: 409 RESOURCE_CONFLICT (reference: "400/409 RESOURCE_CONFLICT-style")
            raise _err(409, "RESOURCE_CONFLICT",
                       "Endpoint '%s' is currently being updated (config update IN_PROGRESS). "
                       "Wait for the update to finish before updating it again." % ep["name"])
        now = _now(state)
        cfg = _parse_config(state, b, principal, now, ep["name"], old=ep["config"])
        _start(state, ep, cfg, now)
        return 200, None, _detailed(state, ep)


@route("PATCH", BASE + "/{name}/tags")
def patch_tags(req):
    b = req.json_obj()
    add = _parse_tags(b.get("add_tags"))
    dele = b.get("delete_tags") or []
    if not isinstance(dele, list) or not all(isinstance(k, str) for k in dele):
        raise invalid_param("delete_tags must be a list of tag keys")
    st = _store(req.state)
    with st.lock:
        settle(req.state)
        ep = _endpoint(req.state, req.params["name"])
        for k in dele:
            ep["tags"].pop(k, None)
        for k, v in add:
            ep["tags"][k] = v
        ep["last_updated_timestamp"] = _now(req.state)
        out = _tags_out(ep)
        return 200, None, {"tags": out} if out else {}


@route("PUT", BASE + "/{name}/ai-gateway")
def put_ai_gateway(req):
    b = req.json_obj()
    st = _store(req.state)
    with st.lock:
        settle(req.state)
        ep = _endpoint(req.state, req.params["name"])
        gw = _parse_gateway(req.state, b, ep["name"])
        ep["ai_gateway"] = gw or None
        ep["last_updated_timestamp"] = _now(req.state)
        if gw and gw.get("inference_table_config"):
            _ensure_table(req.state, gw["inference_table_config"], ep["name"])
        return 200, None, gw or {}


def _entity_logs(req, kind):
    st = _store(req.state)
    with st.lock:
        settle(req.state)
        ep = _endpoint(req.state, req.params["name"])
        ent = req.params["served_model_name"]
        names = set()
        for cfg in (ep["config"], ep["pending"]):
            if cfg:
                names.update(e["name"] for e in cfg["served_entities"])
        if ent not in names:
            raise _err(404, "RESOURCE_DOES_NOT_EXIST", "Served model '%s' does not exist in "
                       "endpoint '%s'." % (ent, ep["name"]))
        lines = ep[kind].get(ent, [])
        return 200, None, {"logs": "".join(line + "\n" for line in lines)}


@route("GET", BASE + "/{name}/served-models/{served_model_name}/logs")
def server_logs(req):
    return _entity_logs(req, "server_logs")


@route("GET", BASE + "/{name}/served-models/{served_model_name}/build-logs")
def build_logs(req):
    return _entity_logs(req, "build_logs")


# ---- metrics -------------------------------------------------------------------------------------

def _entity_metrics(ep, ent):
    m = ep["metrics"].get(ent)
    if m is None:
        m = ep["metrics"][ent] = {"count": 0, "4xx": 0, "5xx": 0, "sum": 0.0,
                                  "buckets": [0] * len(LATENCY_BUCKETS_MS)}
    return m


def _observe(ep, ent, status, ms):
    m = _entity_metrics(ep, ent)
    m["count"] += 1
    if 400 <= status < 500:
        m["4xx"] += 1
    elif status >= 500:
        m["5xx"] += 1
    m["sum"] += ms
    for i, le in enumerate(LATENCY_BUCKETS_MS):
        if ms <= le:
            m["buckets"][i] += 1


def _label(v):
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


@route("GET", BASE + "/{name}/metrics")
def metrics(req):
    """Prometheus text. Metric names as remembered from the Databricks docs page on exporting
    serving metrics (unconfirmed: the reference names no metric)."""
    st = _store(req.state)
    with st.lock:
        settle(req.state)
        ep = _endpoint(req.state, req.params["name"])
        ents = []
        if ep["config"]:
            ents = [e for e in ep["config"]["served_entities"]]
        names = [e["name"] for e in ents] + sorted(n for n in ep["metrics"]
                                                   if n not in {e["name"] for e in ents})
        sizes = {e["name"]: e for e in ents}
        out = []

        def family(name, typ, help_text):
            out.append("# HELP %s %s\n# TYPE %s %s\n" % (name, help_text, name, typ))

        def lab(ent, extra=""):
            return '{endpoint_name="%s",served_entity_name="%s"%s}' % (
                _label(ep["name"]), _label(ent), extra)

        family("request_count_total", "counter", "Number of requests served")
        for n in names:
            out.append("request_count_total%s %d\n" % (lab(n), _entity_metrics(ep, n)["count"]))
        family("request_4xx_count_total", "counter", "Number of requests answered with a 4xx")
        for n in names:
            out.append("request_4xx_count_total%s %d\n" % (lab(n), _entity_metrics(ep, n)["4xx"]))
        family("request_5xx_count_total", "counter", "Number of requests answered with a 5xx")
        for n in names:
            out.append("request_5xx_count_total%s %d\n" % (lab(n), _entity_metrics(ep, n)["5xx"]))
        family("request_latency_ms", "histogram", "Request latency in milliseconds")
        for n in names:
            m = _entity_metrics(ep, n)
            for le, c in zip(LATENCY_BUCKETS_MS, m["buckets"]):
                out.append("request_latency_ms_bucket%s %d\n" % (lab(n, ',le="%s"' % float(le)), c))
            out.append("request_latency_ms_bucket%s %d\n" % (lab(n, ',le="+Inf"'), m["count"]))
            out.append("request_latency_ms_sum%s %s\n" % (lab(n), repr(round(m["sum"], 3))))
            out.append("request_latency_ms_count%s %d\n" % (lab(n), m["count"]))
        family("provisioned_concurrent_requests_total", "gauge",
               "Provisioned concurrency of the served entity")
        for n in names:
            e = sizes.get(n)
            conc = 0
            if e is not None:
                conc = e.get("max_provisioned_concurrency") or CONCURRENCY.get(
                    e.get("workload_size"), 0)
            out.append("provisioned_concurrent_requests_total%s %d\n" % (lab(n), conc))
        return 200, {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}, "".join(out)


# ---- invocations ---------------------------------------------------------------------------------

def _pick(cfg):
    """Smooth weighted round-robin over the routes (deterministic; exact proportions over
    every 100 requests)."""
    rr = cfg["rr"]
    total = 0
    best = None
    for n, w in cfg["routes"]:
        if w <= 0:
            continue
        rr[n] += w
        total += w
        if best is None or rr[n] > rr[best]:
            best = n
    rr[best] -= total
    for e in cfg["served_entities"]:
        if e["name"] == best:
            return e
    return None


def _error_answer(req, e):
    return e.status, e.headers, error_body(e.error_code, e.message, req.request_id)


def invoke(req, ep_name, data_plane=False):
    """Scores one request; returns (status, headers, body)."""
    state = req.state
    st = _store(state)
    t0 = time.perf_counter()
    with st.lock:
        settle(state)
        ep = st.endpoints.get(ep_name)
        if ep is None:
            raise _not_found(ep_name)
        if ep["route_optimized"] and not data_plane:
            # unconfirmed: the refusal for a route-optimized endpoint queried through the
            # workspace URL (protocols.md section 4: such endpoints "must be queried exclusively
            # through the route-optimized URL")
            raise _bad("Endpoint '%s' is route-optimized: query it at its endpoint_url (the "
                       "route-optimized URL) with an OAuth data-plane token." % ep_name)
        cfg = ep["config"]
        if cfg is None:
            raise _err(503, "TEMPORARILY_UNAVAILABLE", "Endpoint '%s' is not ready: its served "
                       "entities are still being deployed (state NOT_READY)." % ep_name)
        ent = _pick(cfg)
        model = ent["model"]
        capture = _capture_target(ep)
    status, body, err_codes = 200, None, []
    client_rid = None
    try:
        limit = state.config["serving_max_payload_bytes"]
        if req.body_len > limit:
            # unconfirmed: 400 BAD_REQUEST (the limit is documented, the status is not)
            raise _bad("The request payload is %d bytes, over the %d byte limit (16 MB)."
                       % (req.body_len, limit))
        if not req.json_ok or not isinstance(req.json, dict):
            raise _bad("Invalid input. Ensure that input is a valid JSON formatted string.")
        b = req.json
        keys = [k for k in FORMATS if k in b]
        if len(keys) != 1:
            raise _bad("The input must be a JSON dictionary with exactly one of the input fields "
                       "{'dataframe_split', 'dataframe_records', 'instances', 'inputs'}. "
                       "Received dictionary with input fields: %s." % sorted(b))
        crid = b.get("client_request_id")
        if crid is not None:
            if not isinstance(crid, str):
                raise _bad("client_request_id must be a string")
            client_rid = crid
        if b.get("params") is not None and not isinstance(b["params"], dict):
            raise _bad("Invalid input. 'params' must be a JSON object.")
        rows = _rows(b, keys[0])
        delay = state.config["serving_model_latency_ms"]
        if delay:
            time.sleep(delay / 1000.0)  # real time, outside every lock
        body = {"predictions": score(model, rows)}
    except ApiError as e:
        status = e.status
        body = error_body(e.error_code, e.message, req.request_id)
        err_codes = []
    ms = (time.perf_counter() - t0) * 1000.0
    with st.lock:
        if st.endpoints.get(ep_name) is ep:
            _observe(ep, ent["name"], status, ms)
            if status >= 400:
                _log(ep, "server_logs", ent["name"], "Request %s failed with %d: %s" % (
                    req.request_id, status, body["message"][:500]), _now(state))
    if capture:
        now = _now(state)
        tstr = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now / 1000.0)) + ".%03d" % (now % 1000)
        try:
            text = req.body.decode("utf-8")
        except UnicodeDecodeError:
            text = req.body.decode("utf-8", "replace")
        _capture_row(state, capture, (
            tstr[:10], req.request_id, client_rid, tstr, status, 1.0, int(round(ms)), text,
            json.dumps(body, separators=(",", ":")), ent["id"], json.dumps(err_codes),
            req.principal))
    return status, {"served-model-name": ent["name"]}, body


@route("POST", "/serving-endpoints/{name}/invocations")
def invocations(req):
    return invoke(req, req.params["name"])


# ---- route-optimized data plane ------------------------------------------------------------------

_DP_RX = re.compile(r"^/([^/]+)/serving-endpoints/([^/]+)/invocations$")


def _new_dp_token():
    return "emu-dp-" + secrets.token_urlsafe(24)


def _grant_for_endpoint(req, form):
    """The /oidc/v1/token hook (apis/auth.py TOKEN_GRANTS): a per-endpoint data-plane token for
    (a) grant urn:ietf:params:oauth:grant-type:jwt-bearer with assertion = a control-plane OAuth
    token the emulator issued (the SDKs' flow; no client authentication), or (b)
    client_credentials with authorization_details (the documented curl flow)."""
    grant = form.get("grant_type")
    details = form.get("authorization_details")
    state = req.state
    if grant == JWT_BEARER:
        assertion = form.get("assertion") or ""
        with state.lock:
            t = state.tokens.get(assertion)
            ok = t is not None and t[0] > state.now_ms()
        if not ok:
            return _oauth_error(400, "invalid_grant", "The assertion is not a valid, unexpired "
                                "OAuth access token of this workspace (personal access tokens "
                                "cannot be exchanged).")
        principal = t[1]
    elif grant == "client_credentials" and details is not None:
        cid, secret = _client_credentials(req, form)
        if cid != state.client_id or secret != state.client_secret:
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        principal = cid
    else:
        return None
    try:
        items = json.loads(details or "")
    except ValueError:
        items = None
    ep_id = None
    if isinstance(items, list):
        for it in items:
            if isinstance(it, dict) and it.get("type") == "workspace_permission" and \
                    it.get("object_type") == "serving-endpoints" and \
                    isinstance(it.get("object_path"), str) and \
                    it["object_path"].startswith("/serving-endpoints/") and \
                    DP_ACTION in (it.get("actions") or []):
                ep_id = it["object_path"][len("/serving-endpoints/"):]
                break
    if ep_id is None:
        return _oauth_error(400, "invalid_authorization_details", "authorization_details must "
                            "name a serving endpoint (/serving-endpoints/<id>) with the action %s"
                            % DP_ACTION)
    st = _store(state)
    with st.lock:
        ep = next((e for e in st.endpoints.values() if e["id"] == ep_id), None)
        if ep is None or not ep["route_optimized"]:
            return _oauth_error(400, "invalid_authorization_details", "No route-optimized serving "
                                "endpoint with id %s" % ep_id)
        ttl = state.config["serving_dp_token_ttl_s"]
        token = _new_dp_token()
        now = _now(state)
        st.dp_tokens[token] = (now + int(ttl * 1000), ep_id, principal)
        for k in [k for k, v in st.dp_tokens.items() if v[0] <= now]:
            del st.dp_tokens[k]
    return 200, {"Cache-Control": "no-store"}, {
        "access_token": token, "token_type": "Bearer", "expires_in": int(ttl)}


TOKEN_GRANTS.append(_grant_for_endpoint)


@other_host_route
def data_plane(req):
    mo = _DP_RX.match(req.path)
    if not mo:
        return None
    try:
        return _data_plane(req, mo.group(1), mo.group(2))
    except ApiError as e:
        return _error_answer(req, e)


def _data_plane(req, wid, name):
    state = req.state
    if req.method != "POST":
        raise ApiError(405, "BAD_REQUEST", "Method %s is not allowed" % req.method,
                       headers={"Allow": "POST"})
    if wid != (state.config.get("workspace_id") or "0"):
        raise _not_found(name)
    auth = req.headers.get("authorization") or ""
    scheme, _, token = auth.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _err(401, "UNAUTHENTICATED", "Credential was not sent or was of an unsupported "
                   "type for this API.")
    st = _store(state)
    with st.lock:
        settle(state)
        t = st.dp_tokens.get(token)
        ep = st.endpoints.get(name)
        now = _now(state)
        if t is None or t[0] <= now:
            if t is not None:
                del st.dp_tokens[token]
            # PATs and control-plane tokens are refused here: OAuth data-plane tokens only
            raise _err(401, "UNAUTHENTICATED", "Invalid or expired token: route-optimized "
                       "endpoints accept only the OAuth data-plane token issued for the endpoint.")
        if ep is None or not ep["route_optimized"]:
            raise _not_found(name)
        if t[1] != ep["id"]:
            raise _err(403, "PERMISSION_DENIED", "The token is not valid for endpoint '%s'."
                       % name)
    req.principal = t[2]
    return invoke(req, name, data_plane=True)
