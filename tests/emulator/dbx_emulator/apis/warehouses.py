"""SQL warehouses (/api/2.0/sql/warehouses) with a lazily evaluated state machine on the
virtual clock (reference databricks-api.md 6.1, sdk-go service/sql EndpointInfo).

States: create -> STARTING -> RUNNING; stop: RUNNING/STARTING -> STOPPING -> STOPPED;
start: STOPPED/STOPPING -> STARTING -> RUNNING (idempotent in STARTING/RUNNING);
delete: any -> DELETING -> DELETED. A RUNNING warehouse idle for auto_stop_mins stops by
itself (STOPPING, then STOPPED). Health is HEALTHY unless a test forces it through the control
endpoint POST /__emulator/warehouses/{id}/health.

For the statement-execution module: ``known_warehouse(state, id)`` (a copy of the EndpointInfo,
None when unknown or DELETED), ``warehouse_state(state, id)`` ("RUNNING", ..., None when
unknown), ``start_warehouse(state, id)`` (what POST .../start does, for a statement sent to a
STOPPED warehouse) and ``touch_warehouse(state, id)`` (activity: restarts the auto-stop timer).
Each takes the state lock itself (it is re-entrant).

Seed at reset: one RUNNING serverless PRO warehouse, id SEED_WAREHOUSE_ID
("5eedc0ffee000001"), name "Serverless Starter Warehouse", auto_stop_mins 0 (it never stops by
itself, so statement tests that move the clock by hours still find it RUNNING).
"""

import base64
import binascii
import copy
import json
import random
import re

from . import on_reset, route
from ..errors import ApiError, invalid_param, invalid_state, not_found
from ..state import register_config

register_config("warehouse_starting_ms", 2000, (int, float), 0)
register_config("warehouse_stopping_ms", 1000, (int, float), 0)
register_config("warehouse_deleting_ms", 500, (int, float), 0)
# the largest page warehouses/list returns (small, so that clients' iterators page)
register_config("page_size_warehouses", 5, (int,), 1)

BASE = "/api/2.0/sql/warehouses"
SEED_WAREHOUSE_ID = "5eedc0ffee000001"

CLUSTER_SIZES = ("2X-Small", "X-Small", "Small", "Medium", "Large", "X-Large", "2X-Large",
                 "3X-Large", "4X-Large", "5X-Large")
WAREHOUSE_TYPES = ("PRO", "CLASSIC", "TYPE_UNSPECIFIED")
SPOT_POLICIES = ("COST_OPTIMIZED", "RELIABILITY_OPTIMIZED", "POLICY_UNSPECIFIED")
CHANNELS = ("CHANNEL_NAME_CURRENT", "CHANNEL_NAME_PREVIEW", "CHANNEL_NAME_PREVIOUS",
            "CHANNEL_NAME_CUSTOM", "CHANNEL_NAME_UNSPECIFIED")
STATES = ("STARTING", "RUNNING", "STOPPING", "STOPPED", "DELETING", "DELETED")
HEALTH = ("HEALTHY", "DEGRADED", "FAILED", "STATUS_UNSPECIFIED")
MAX_CLUSTERS = 40  # reference 6.1: max_num_clusters <= 40
DBSQL_VERSION = "2025.35"

# writable EndpointInfo fields (create / edit bodies); everything else is computed
_WRITABLE = ("name", "cluster_size", "min_num_clusters", "max_num_clusters", "auto_stop_mins",
             "enable_photon", "enable_serverless_compute", "warehouse_type",
             "spot_instance_policy", "channel", "tags", "instance_profile_arn", "creator_name")


class Warehouse:
    __slots__ = ("d", "trans", "last_active")

    def __init__(self, d, now):
        self.d = d
        self.trans = None  # (due_ms, kind)
        self.last_active = now


@on_reset
def _reset(state):
    state.warehouses = {}  # id -> Warehouse, creation order
    now = state.now_ms()
    d = _defaults(SEED_WAREHOUSE_ID, "emulator-user@example.com")
    d.update({"name": "Serverless Starter Warehouse", "cluster_size": "Small",
              "warehouse_type": "PRO", "enable_serverless_compute": True,
              "auto_stop_mins": 0, "max_num_clusters": 1})
    w = Warehouse(d, now)
    _set_running(w)
    state.warehouses[SEED_WAREHOUSE_ID] = w


# ---- helpers ------------------------------------------------------------------------------------
def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _defaults(wid, creator):
    return {
        "id": wid, "name": "", "cluster_size": "", "min_num_clusters": 1, "max_num_clusters": 1,
        "auto_stop_mins": 120, "enable_photon": True, "enable_serverless_compute": False,
        "warehouse_type": "CLASSIC", "spot_instance_policy": "COST_OPTIMIZED",
        "channel": {"name": "CHANNEL_NAME_CURRENT", "dbsql_version": DBSQL_VERSION},
        "tags": {}, "creator_name": creator, "state": "STOPPED", "num_clusters": 0,
        "num_active_sessions": 0, "health": {"status": "HEALTHY"},
    }


def _new_id(state):
    while True:
        wid = "%016x" % random.getrandbits(64)
        if wid not in state.warehouses and not wid.startswith("missing"):
            return wid


_TOKEN_RX = re.compile(r"^w:(\d{1,12})$")


def _encode_token(offset):
    return base64.urlsafe_b64encode(("w:%d" % offset).encode()).decode().rstrip("=")


def _decode_token(token):
    """Page tokens are opaque to clients: base64 of an offset into the creation order."""
    try:
        t = token.strip()
        raw = base64.urlsafe_b64decode(t + "=" * (-len(t) % 4)).decode("ascii")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raw = ""
    m = _TOKEN_RX.match(raw)
    if not m:
        raise invalid_param("Invalid page token: %s" % token)
    return int(m.group(1))


def _not_found(wid):
    # Exact wording of the service unknown (the reference gives the code only): 404
    # RESOURCE_DOES_NOT_EXIST, as for other REST 2.0 resources addressed by path.
    return not_found("SQL warehouse %s does not exist." % wid)


def _validate(state, body, create, self_id=None):
    """Validate writable fields of a create/edit body (edit: only those given).
    Returns the cleaned dict of writable fields."""
    out = {}
    for k in _WRITABLE:
        if k in body and body[k] is not None:
            out[k] = body[k]
    name = out.get("name")
    if create and (name is None or name == ""):
        raise invalid_param("Missing required field: name")
    if name is not None:
        if not isinstance(name, str) or not name.strip():
            raise invalid_param("name must be a non-empty string")
        if len(name) >= 100:
            raise invalid_param("name must be shorter than 100 characters")
        for w in state.warehouses.values():
            if w.d["id"] != self_id and w.d["state"] != "DELETED" and w.d["name"] == name:
                # Status unclear in the reference (RESOURCE_ALREADY_EXISTS is 400 in older
                # APIs, 409 in newer ones); clients key on the error_code.
                raise ApiError(409, "RESOURCE_ALREADY_EXISTS",
                               "SQL warehouse with name '%s' already exists." % name)
    cs = out.get("cluster_size")
    if create and cs is None:
        raise invalid_param("Missing required field: cluster_size")
    if cs is not None and cs not in CLUSTER_SIZES:
        raise invalid_param("Invalid cluster_size %r: must be one of %s"
                            % (cs, ", ".join(CLUSTER_SIZES)))
    for k in ("min_num_clusters", "max_num_clusters", "auto_stop_mins"):
        if k in out and not _is_int(out[k]):
            raise invalid_param("%s must be an integer" % k)
    for k in ("enable_photon", "enable_serverless_compute"):
        if k in out and not isinstance(out[k], bool):
            raise invalid_param("%s must be a boolean" % k)
    for k, allowed in (("warehouse_type", WAREHOUSE_TYPES),
                       ("spot_instance_policy", SPOT_POLICIES)):
        if k in out and out[k] not in allowed:
            raise invalid_param("Invalid %s %r: must be one of %s" % (k, out[k], ", ".join(allowed)))
    if "channel" in out:
        ch = out["channel"]
        if not isinstance(ch, dict):
            raise invalid_param("channel must be an object")
        if ch.get("name") is not None and ch.get("name") not in CHANNELS:
            raise invalid_param("Invalid channel.name %r: must be one of %s"
                                % (ch.get("name"), ", ".join(CHANNELS)))
        if ch.get("dbsql_version") is not None and not isinstance(ch.get("dbsql_version"), str):
            raise invalid_param("channel.dbsql_version must be a string")
    if "tags" in out:
        t = out["tags"]
        ct = t.get("custom_tags") if isinstance(t, dict) else None
        if not isinstance(t, dict) or (ct is not None and not isinstance(ct, list)):
            raise invalid_param("tags must be an object {\"custom_tags\": [{key, value}]}")
        keys = set()
        for e in ct or []:
            if (not isinstance(e, dict) or not isinstance(e.get("key"), str) or not e["key"]
                    or not isinstance(e.get("value", ""), str)):
                raise invalid_param("tags.custom_tags entries must be {\"key\": string, "
                                    "\"value\": string}")
            if e["key"] in keys:
                raise invalid_param("Duplicate tag key %r in tags.custom_tags" % e["key"])
            keys.add(e["key"])
        if len(keys) > 45:
            raise invalid_param("At most 45 custom tags are allowed")
    for k in ("instance_profile_arn", "creator_name"):
        if k in out and not isinstance(out[k], str):
            raise invalid_param("%s must be a string" % k)
    return out


def _check_combined(d):
    """Rules over the merged EndpointInfo (create, and edit after merging)."""
    mn, mx = d["min_num_clusters"], d["max_num_clusters"]
    if mn < 1:
        raise invalid_param("min_num_clusters must be >= 1")
    if mx < mn:
        raise invalid_param("max_num_clusters (%d) must be >= min_num_clusters (%d)" % (mx, mn))
    if mx > MAX_CLUSTERS:
        raise invalid_param("max_num_clusters must be <= %d" % MAX_CLUSTERS)
    a = d["auto_stop_mins"]
    if a != 0 and a < 10:
        raise invalid_param("auto_stop_mins must be 0 (never) or >= 10, got %d" % a)
    if d["enable_serverless_compute"] and d["warehouse_type"] != "PRO":
        raise invalid_param("Serverless compute requires warehouse_type PRO (got %s)"
                            % d["warehouse_type"])


def _apply(d, fields):
    for k, v in fields.items():
        if k == "channel":
            ch = {"name": v.get("name") or "CHANNEL_NAME_CURRENT"}
            ch["dbsql_version"] = v.get("dbsql_version") or DBSQL_VERSION
            d["channel"] = ch
        elif k == "creator_name":
            continue  # read-only; accepted in bodies (it is an EndpointInfo field) and ignored
        else:
            d[k] = copy.deepcopy(v)


def _set_running(w):
    d = w.d
    d["state"] = "RUNNING"
    d["num_clusters"] = d["min_num_clusters"]


def _schedule(state, w, now, key, kind):
    w.trans = (now + int(state.config[key]), kind)


def advance(state, w, now):
    """Apply every transition due by ``now``, each at its own virtual time."""
    while True:
        d = w.d
        auto_due = None
        if (d["state"] == "RUNNING" and w.trans is None and _is_int(d.get("auto_stop_mins"))
                and d["auto_stop_mins"] > 0):
            auto_due = w.last_active + d["auto_stop_mins"] * 60000
        if w.trans is not None and w.trans[0] <= now:
            ts, kind = w.trans
            w.trans = None
            if kind == "started":
                _set_running(w)
                w.last_active = ts
            elif kind == "stopped":
                d["state"] = "STOPPED"
                d["num_clusters"] = 0
                d["num_active_sessions"] = 0
            elif kind == "deleted":
                d["state"] = "DELETED"
                d["num_clusters"] = 0
            continue
        if auto_due is not None and auto_due <= now:
            d["state"] = "STOPPING"
            w.trans = (auto_due + int(state.config["warehouse_stopping_ms"]), "stopped")
            continue
        return


def _dump_info(state, w, base):
    d = copy.deepcopy(w.d)
    host, port, proto = _endpoint(base)
    path = "/sql/1.0/warehouses/" + d["id"]
    d["odbc_params"] = {"hostname": host, "path": path, "port": port, "protocol": proto}
    d["jdbc_url"] = ("jdbc:databricks://%s:%d/default;transportMode=http;ssl=%d;AuthMech=3;"
                     "httpPath=%s;" % (host, port, 1 if proto == "https" else 0, path))
    return d


def _endpoint(base):
    """(hostname, port, protocol) of the workspace the request came in on. The real service
    answers the workspace host, port 443, https; the emulator answers where it listens."""
    proto, _, hostport = (base or "http://127.0.0.1:80").partition("://")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        host, port = hostport, "443" if proto == "https" else "80"
    return host, int(port), proto


def _dump(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def _get(state, wid, now):
    w = state.warehouses.get(wid)
    if w is None:
        raise _not_found(wid)
    advance(state, w, now)
    return w


def _deleted_error(w):
    return invalid_state("SQL warehouse %s is %s." % (w.d["id"], w.d["state"]))


# ---- API for other emulator modules --------------------------------------------------------------
def known_warehouse(state, wid):
    """A copy of the warehouse's EndpointInfo (no odbc/jdbc fields), or None when the id is
    unknown or the warehouse is DELETED."""
    with state.lock:
        w = state.warehouses.get(wid) if isinstance(wid, str) else None
        if w is None:
            return None
        advance(state, w, state.now_ms())
        if w.d["state"] == "DELETED":
            return None
        return copy.deepcopy(w.d)


def warehouse_state(state, wid):
    """"RUNNING", "STOPPED", ... or None when the id is unknown."""
    with state.lock:
        w = state.warehouses.get(wid) if isinstance(wid, str) else None
        if w is None:
            return None
        advance(state, w, state.now_ms())
        return w.d["state"]


def start_warehouse(state, wid):
    """What POST .../start does (idempotent). Returns the state after it, None when unknown."""
    with state.lock:
        w = state.warehouses.get(wid) if isinstance(wid, str) else None
        if w is None:
            return None
        now = state.now_ms()
        advance(state, w, now)
        if w.d["state"] in ("STOPPED", "STOPPING"):
            _begin_start(state, w, now)
        return w.d["state"]


def touch_warehouse(state, wid):
    """Record activity (a statement): the auto-stop idle timer starts again."""
    with state.lock:
        w = state.warehouses.get(wid) if isinstance(wid, str) else None
        if w is not None:
            now = state.now_ms()
            advance(state, w, now)
            w.last_active = now


def _begin_start(state, w, now):
    w.d["state"] = "STARTING"
    # a new start clears a failure from the previous attempt
    w.d["health"] = {"status": "HEALTHY"}
    _schedule(state, w, now, "warehouse_starting_ms", "started")


# ---- routes -------------------------------------------------------------------------------------
@route("POST", BASE)
def create(req):
    body = req.json_obj()
    state = req.state
    user = req.principal or "emulator-user@example.com"
    with state.lock:
        fields = _validate(state, body, create=True)
        now = state.now_ms()
        wid = _new_id(state)
        d = _defaults(wid, user)
        _apply(d, fields)
        _check_combined(d)
        w = Warehouse(d, now)
        state.warehouses[wid] = w
        _begin_start(state, w, now)  # a new warehouse starts at once
    return 200, None, {"id": wid}


@route("GET", BASE)
def list_warehouses(req):
    state = req.state
    args = req.args()
    ps = args.get("page_size")
    if ps is not None:
        try:
            ps = int(ps)
        except (TypeError, ValueError):
            raise invalid_param("Invalid value for page_size: %r" % ps)
        if ps < 0:
            raise invalid_param("page_size must be >= 0")
    token = args.get("page_token") or ""
    offset = _decode_token(token) if token else 0
    with state.lock:
        now = state.now_ms()
        sel = []
        for w in state.warehouses.values():
            advance(state, w, now)
            if w.d["state"] != "DELETED":
                sel.append(w)
        size = min(ps or 100, state.config["page_size_warehouses"])
        page = sel[offset:offset + size]
        out = {"warehouses": [_dump_info(state, w, req.base_url) for w in page]}
        if offset + size < len(sel):
            out["next_page_token"] = _encode_token(offset + size)
        return 200, None, _dump(out)


@route("GET", BASE + "/{id}")
def get(req):
    state = req.state
    with state.lock:
        w = _get(state, req.params["id"], state.now_ms())
        return 200, None, _dump(_dump_info(state, w, req.base_url))


@route("POST", BASE + "/{id}/edit")
def edit(req):
    """Fields given replace the stored ones, absent fields keep their values (the SDKs send
    every field as optional). A RUNNING warehouse stays RUNNING (num_clusters follows
    min_num_clusters); the service may restart it for some changes, which the reference does
    not specify."""
    body = req.json_obj()
    state = req.state
    with state.lock:
        now = state.now_ms()
        w = _get(state, req.params["id"], now)
        if w.d["state"] in ("DELETING", "DELETED"):
            raise _deleted_error(w)
        fields = _validate(state, body, create=False, self_id=w.d["id"])
        d = copy.deepcopy(w.d)
        _apply(d, fields)
        _check_combined(d)
        w.d = d
        if d["state"] == "RUNNING":
            d["num_clusters"] = d["min_num_clusters"]
    return 200, None, {}


@route("POST", BASE + "/{id}/start")
def start(req):
    """Idempotent: STARTING / RUNNING answer {} without a change; STOPPING turns back to
    STARTING."""
    req.json_obj()
    state = req.state
    with state.lock:
        now = state.now_ms()
        w = _get(state, req.params["id"], now)
        if w.d["state"] in ("DELETING", "DELETED"):
            raise _deleted_error(w)
        if w.d["state"] in ("STOPPED", "STOPPING"):
            _begin_start(state, w, now)
    return 200, None, {}


@route("POST", BASE + "/{id}/stop")
def stop(req):
    """Idempotent: STOPPING / STOPPED answer {} without a change."""
    req.json_obj()
    state = req.state
    with state.lock:
        now = state.now_ms()
        w = _get(state, req.params["id"], now)
        if w.d["state"] in ("DELETING", "DELETED"):
            raise _deleted_error(w)
        if w.d["state"] in ("STARTING", "RUNNING"):
            w.d["state"] = "STOPPING"
            _schedule(state, w, now, "warehouse_stopping_ms", "stopped")
    return 200, None, {}


@route("DELETE", BASE + "/{id}")
def delete(req):
    """-> DELETING -> DELETED. A deleted warehouse still answers get (state DELETED; the
    reference lists DELETED as a state clients see), leaves list, and refuses
    start/stop/edit with 400 INVALID_STATE. Deleting again: {}."""
    state = req.state
    with state.lock:
        now = state.now_ms()
        w = _get(state, req.params["id"], now)
        if w.d["state"] not in ("DELETING", "DELETED"):
            w.d["state"] = "DELETING"
            w.d["num_clusters"] = 0
            _schedule(state, w, now, "warehouse_deleting_ms", "deleted")
    return 200, None, {}


# ---- control ------------------------------------------------------------------------------------
@route("POST", "/__emulator/warehouses/{id}/health")
def force_health(req):
    """{"status": "FAILED"|"DEGRADED"|"HEALTHY", "summary": "...", "details": "...",
    "failure_reason": {"code": ..., "type": ..., "parameters": {...}}, "state": optional
    state to force (clears pending transitions)}."""
    body = req.json_obj()
    st = body.get("status")
    if st not in HEALTH:
        raise invalid_param("status must be one of %s" % ", ".join(HEALTH))
    forced = body.get("state")
    if forced is not None and forced not in STATES:
        raise invalid_param("state must be one of %s" % ", ".join(STATES))
    fr = body.get("failure_reason")
    if fr is not None and not isinstance(fr, dict):
        raise invalid_param("failure_reason must be an object")
    state = req.state
    with state.lock:
        now = state.now_ms()
        w = _get(state, req.params["id"], now)
        h = {"status": st}
        for k in ("summary", "details", "message"):
            if isinstance(body.get(k), str):
                h[k] = body[k]
        if fr is not None:
            h["failure_reason"] = copy.deepcopy(fr)
        w.d["health"] = h
        if forced is not None:
            w.trans = None
            w.d["state"] = forced
            w.d["num_clusters"] = w.d["min_num_clusters"] if forced == "RUNNING" else 0
            w.last_active = now
        return 200, None, {"id": w.d["id"], "state": w.d["state"], "health": h}
