"""Clusters API (2.0 and 2.1) with a lazily evaluated state machine on the virtual clock."""

import base64
import binascii
import copy
import json
import random
import re
import string
import time

from . import on_reset, route
from ..errors import invalid_param, invalid_state

SPARK_VERSIONS = [
    {"key": "16.4.x-scala2.12", "name": "16.4 LTS (includes Apache Spark 3.5.2, Scala 2.12)"},
    {"key": "15.4.x-scala2.12", "name": "15.4 LTS (includes Apache Spark 3.5.0, Scala 2.12)"},
    {"key": "15.4.x-photon-scala2.12", "name": "15.4 LTS Photon (includes Apache Spark 3.5.0, Scala 2.12)"},
    {"key": "15.4.x-cpu-ml-scala2.12", "name": "15.4 LTS ML (includes Apache Spark 3.5.0, Scala 2.12)"},
    {"key": "14.3.x-scala2.12", "name": "14.3 LTS (includes Apache Spark 3.5.0, Scala 2.12)"},
    {"key": "13.3.x-scala2.12", "name": "13.3 LTS (includes Apache Spark 3.4.1, Scala 2.12)"},
]


def _node(node_type_id, memory_mb, cores, description, category, gpus=0, order=0, cloud="aws"):
    return {
        "node_type_id": node_type_id, "memory_mb": memory_mb, "num_cores": float(cores),
        "description": description, "instance_type_id": node_type_id, "category": category,
        "num_gpus": gpus, "is_deprecated": False, "is_hidden": False,
        "photon_driver_capable": True, "photon_worker_capable": True,
        "support_ebs_volumes": cloud == "aws", "support_port_forwarding": True,
        "is_io_cache_enabled": node_type_id.startswith(("i3", "Standard_L")),
        "is_graviton": False, "display_order": order,
        "node_instance_type": {"instance_type_id": node_type_id, "local_disks": 1,
                               "local_disk_size_gb": 100},
    }


NODE_TYPES = [
    _node("i3.xlarge", 31232, 4, "i3.xlarge", "Storage Optimized", order=1),
    _node("i3.2xlarge", 62464, 8, "i3.2xlarge", "Storage Optimized", order=2),
    _node("m5d.large", 8192, 2, "m5d.large", "General Purpose", order=3),
    _node("g4dn.xlarge", 16384, 4, "g4dn.xlarge", "GPU Accelerated", gpus=1, order=4),
    _node("Standard_DS3_v2", 14336, 4, "Standard_DS3_v2", "General Purpose", order=5, cloud="azure"),
    _node("Standard_DS4_v2", 28672, 8, "Standard_DS4_v2", "General Purpose", order=6, cloud="azure"),
    _node("n2-highmem-4", 32768, 4, "n2-highmem-4", "Memory Optimized", order=7, cloud="gcp"),
]
_NODE_BY_ID = {n["node_type_id"]: n for n in NODE_TYPES}

STATES = ("PENDING", "RUNNING", "RESTARTING", "RESIZING", "TERMINATING", "TERMINATED",
          "ERROR", "UNKNOWN")

# computed ClusterDetails fields: never taken from a create/edit body
_COMPUTED = frozenset((
    "cluster_id", "state", "state_message", "creator_user_name", "cluster_source",
    "default_tags", "driver", "executors", "spark_context_id", "jdbc_port", "start_time",
    "terminated_time", "last_restarted_time", "last_state_loss_time", "termination_reason",
    "cluster_memory_mb", "cluster_cores", "spec", "cluster_log_status", "clone_from",
    "pinned_by_user_name",
))
# ClusterSpec fields that are maps or lists: an update_mask names them whole, never inside them
_COLLECTIONS = frozenset(("spark_conf", "spark_env_vars", "custom_tags", "ssh_public_keys",
                          "init_scripts"))
_MASK_SEGMENT_RX = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CLUSTER_SOURCES = ("UI", "JOB", "API", "SQL", "MODELS", "PIPELINE", "PIPELINE_MAINTENANCE")
SORT_FIELDS = ("CLUSTER_NAME", "DEFAULT")
SORT_DIRECTIONS = ("ASC", "DESC")
_ID_ALPHABET = string.ascii_lowercase + string.digits
_TOKEN_RX = re.compile(r"^(c|e):(\d{1,12})$")


class Cluster:
    __slots__ = ("d", "spec", "events", "trans", "seq")

    def __init__(self, details, spec, seq):
        self.d = details
        self.spec = spec
        self.events = []
        self.trans = None  # (due_ms, kind)
        self.seq = seq


@on_reset
def _reset(state):
    state.clusters = {}  # id -> Cluster, insertion (= creation) order
    state.cluster_seq = 0


# ---- helpers ----------------------------------------------------------------------------------
def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _as_int(v, name, allow_str=True):
    if v is None:
        return None
    if _is_int(v):
        return v
    if allow_str and isinstance(v, str) and re.fullmatch(r"-?\d+", v.strip()):
        return int(v)
    raise invalid_param("Invalid value for %s: %r" % (name, v))


def encode_token(kind, offset):
    return base64.urlsafe_b64encode(("%s:%d" % (kind, offset)).encode()).decode().rstrip("=")


def decode_token(kind, token):
    try:
        t = token.strip().replace("+", "-").replace("/", "_").rstrip("=")
        raw = base64.urlsafe_b64decode(t + "=" * (-len(t) % 4)).decode("ascii")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raw = ""
    m = _TOKEN_RX.match(raw)
    if not m or m.group(1) != kind:
        raise invalid_param("Invalid page token: %s" % token)
    return int(m.group(2))


def _new_id(now_ms):
    ts = time.strftime("%m%d-%H%M%S", time.gmtime(now_ms / 1000.0))
    return "%s-%s" % (ts, "".join(random.choices(_ID_ALPHABET, k=8)))


def _size(d):
    if "autoscale" in d:
        return {"autoscale": copy.deepcopy(d["autoscale"])}
    return {"num_workers": d.get("num_workers", 0)}


def _target_workers(d):
    a = d.get("autoscale")
    if isinstance(a, dict):
        return a.get("min_workers", 0) if _is_int(a.get("min_workers")) else 0
    n = d.get("num_workers", 0)
    return n if _is_int(n) else 0


def _validate_spec(body, need_id=False):
    if not isinstance(body, dict):
        raise invalid_param("Request body must be a JSON object")
    if need_id:
        _cluster_id_arg(body)
    sv = body.get("spark_version")
    if not isinstance(sv, str) or not sv:
        raise invalid_param("Missing required field: spark_version")
    if "num_workers" in body and body["num_workers"] is not None and body.get("autoscale") is not None:
        raise invalid_param("Only one of num_workers or autoscale may be specified")
    _validate_size(body)


def _validate_size(body):
    nw = body.get("num_workers")
    if nw is not None and (not _is_int(nw) or nw < 0):
        raise invalid_param("num_workers must be a non-negative integer")
    a = body.get("autoscale")
    if a is not None:
        if not isinstance(a, dict):
            raise invalid_param("autoscale must be an object")
        mn, mx = a.get("min_workers"), a.get("max_workers")
        # reference 4.1 (autoscale: "max > min"); the SDKs' AutoScale doc: max_workers "must be
        # strictly greater than min_workers"
        if not _is_int(mn) or not _is_int(mx) or mn < 0 or mx <= mn:
            raise invalid_param("autoscale needs integer min_workers >= 0 and max_workers "
                                "strictly greater than min_workers")


def _cluster_id_arg(args):
    cid = args.get("cluster_id")
    if cid is None or cid == "":
        raise invalid_param("Missing required field: cluster_id")
    if not isinstance(cid, str):
        raise invalid_param("cluster_id must be a string")
    return cid


def _get(state, cid, now):
    c = state.clusters.get(cid)
    if c is None:
        raise invalid_param("Cluster %s does not exist" % cid)
    advance(state, c, now)
    return c


def _event(c, ts, etype, **details):
    c.events.append({"cluster_id": c.d["cluster_id"], "timestamp": ts, "type": etype,
                     "details": details})


def _unexpected(c):
    return invalid_state("Cluster %s is in unexpected state %s." % (c.d["cluster_id"], c.d["state"]))


def _apply_spec(c, spec):
    d = c.d
    for k in c.spec:
        d.pop(k, None)
    for k in ("num_workers", "autoscale"):
        d.pop(k, None)
    body = {k: copy.deepcopy(v) for k, v in spec.items() if k not in _COMPUTED}
    c.spec = copy.deepcopy(body)
    d.update(body)
    if "autoscale" not in d or d["autoscale"] is None:
        d.pop("autoscale", None)
        d["num_workers"] = d.get("num_workers") or 0
    else:
        d.pop("num_workers", None)
    if d.get("node_type_id") and not d.get("driver_node_type_id"):
        d["driver_node_type_id"] = d["node_type_id"]
    d["spec"] = copy.deepcopy(c.spec)
    d["default_tags"]["ClusterName"] = d.get("cluster_name", "")
    _compute_size_fields(d)


def _compute_size_fields(d):
    nt, dt = d.get("node_type_id"), d.get("driver_node_type_id")
    node = _NODE_BY_ID.get(nt) if isinstance(nt, str) else None
    driver = (_NODE_BY_ID.get(dt) if isinstance(dt, str) else None) or node
    if node and driver:
        n = _target_workers(d)
        d["cluster_memory_mb"] = driver["memory_mb"] + n * node["memory_mb"]
        d["cluster_cores"] = driver["num_cores"] + n * node["num_cores"]
    else:
        d.pop("cluster_memory_mb", None)
        d.pop("cluster_cores", None)


def _node_obj(ts, i):
    return {
        "node_id": "%032x" % random.getrandbits(128),
        "instance_id": "i-%017x" % random.getrandbits(68),
        "private_ip": "10.0.%d.%d" % (i // 250, i % 250 + 4),
        "public_dns": "",
        "host_private_ip": "10.1.%d.%d" % (i // 250, i % 250 + 4),
        "start_timestamp": ts,
    }


def _bring_up(c, ts, restarted):
    d = c.d
    d["state"] = "RUNNING"
    d["state_message"] = ""
    if restarted:
        d["last_restarted_time"] = ts
    else:
        d["start_time"] = ts
    d["spark_context_id"] = random.getrandbits(62)
    d["driver"] = _node_obj(ts, 0)
    d["executors"] = [_node_obj(ts, i + 1) for i in range(_target_workers(d))]
    n = _target_workers(d)
    _event(c, ts, "RUNNING", current_num_workers=n, target_num_workers=n)


def _schedule(state, c, now, key, kind):
    c.trans = (now + int(state.config[key]), kind)


def advance(state, c, now):
    """Apply every transition due by ``now`` (each at its own due time)."""
    while c.trans is not None and c.trans[0] <= now:
        ts, kind = c.trans
        c.trans = None
        d = c.d
        if kind == "pending_done":
            code = state.config.get("start_fails_with")
            if code:
                reason = {"code": code, "type": "CLOUD_FAILURE",
                          "parameters": {"databricks_error_message":
                                         "Injected start failure (%s)" % code}}
                d["state"] = "TERMINATED"
                d["state_message"] = "Failed to start cluster: %s" % code
                d["termination_reason"] = reason
                d["terminated_time"] = ts
                d.pop("driver", None)
                d.pop("executors", None)
                _event(c, ts, "TERMINATING", reason=copy.deepcopy(reason))
            else:
                _bring_up(c, ts, restarted=False)
        elif kind == "restart_done":
            _bring_up(c, ts, restarted=True)
        elif kind == "resize_done":
            d["state"] = "RUNNING"
            d["state_message"] = ""
            n = _target_workers(d)
            d["executors"] = [_node_obj(ts, i + 1) for i in range(n)]
            _event(c, ts, "UPSIZE_COMPLETED", current_num_workers=n, target_num_workers=n)
        elif kind == "terminate_done":
            d["state"] = "TERMINATED"
            d["state_message"] = ""
            d["terminated_time"] = ts
            d.pop("driver", None)
            d.pop("executors", None)


def advance_all(state, now):
    for c in state.clusters.values():
        if c.trans is not None:
            advance(state, c, now)


def force_state(state, cid, body):
    """Control API: put a cluster into any state (clears pending transitions)."""
    st = body.get("state")
    if st not in STATES:
        raise invalid_param("state must be one of %s" % ", ".join(STATES))
    with state.lock:
        now = state.now_ms()
        c = state.clusters.get(cid)
        if c is None:
            raise invalid_param("Cluster %s does not exist" % cid)
        advance(state, c, now)
        c.trans = None
        d = c.d
        d["state"] = st
        d["state_message"] = body.get("state_message", "")
        if "termination_reason" in body:
            if body["termination_reason"] is None:
                d.pop("termination_reason", None)
            else:
                d["termination_reason"] = copy.deepcopy(body["termination_reason"])
        if st == "TERMINATED":
            d["terminated_time"] = now
            d.pop("driver", None)
            d.pop("executors", None)
        elif st == "RUNNING" and "driver" not in d:
            d.setdefault("start_time", now)
            d["spark_context_id"] = random.getrandbits(62)
            d["driver"] = _node_obj(now, 0)
        return {"cluster_id": cid, "state": st}


# ---- routes -------------------------------------------------------------------------------------
def _both(op):
    return ("/api/2.0/clusters/" + op, "/api/2.1/clusters/" + op)


@route("POST", *_both("create"))
def create(req):
    body = req.json_obj()
    _validate_spec(body)
    state = req.state
    user = req.principal or "emulator-user@example.com"
    with state.lock:
        now = state.now_ms()
        cid = _new_id(now)
        while cid in state.clusters:
            cid = _new_id(now)
        state.cluster_seq += 1
        d = {
            "cluster_id": cid,
            "creator_user_name": user,
            "cluster_source": "API",
            "state": "PENDING",
            "state_message": "Starting cluster",
            "default_tags": {"Vendor": "Databricks", "Creator": user,
                             "ClusterName": "", "ClusterId": cid},
            "jdbc_port": 10000,
        }
        c = Cluster(d, {}, state.cluster_seq)
        _apply_spec(c, body)
        state.clusters[cid] = c
        _event(c, now, "CREATING", user=user, cluster_size=_size(d))
        _schedule(state, c, now, "cluster_pending_ms", "pending_done")
    return 200, None, {"cluster_id": cid}


def _reconfigure(state, c, spec, user, now):
    """edit / update: in RUNNING replace the spec and restart, in TERMINATED replace it and
    stay terminated, otherwise 400 INVALID_STATE. Event EDITED."""
    st = c.d["state"]
    if st not in ("RUNNING", "TERMINATED"):
        raise _unexpected(c)
    previous = copy.deepcopy(c.spec)
    _apply_spec(c, spec)
    _event(c, now, "EDITED", user=user, attributes=copy.deepcopy(c.spec),
           previous_attributes=previous)
    if st == "RUNNING":
        c.d["state"] = "RESTARTING"
        c.d["state_message"] = "Restarting cluster to apply the new configuration"
        _schedule(state, c, now, "cluster_restarting_ms", "restart_done")


@route("POST", *_both("edit"))
def edit(req):
    # clone_from is a create-only field (reference 4.1; EditCluster has no such field): like
    # the other fields outside ClusterSpec it is dropped, never stored.
    body = req.json_obj()
    _validate_spec(body, need_id=True)
    state = req.state
    with state.lock:
        now = state.now_ms()
        c = _get(state, body["cluster_id"], now)
        _reconfigure(state, c, body, req.principal, now)
    return 200, None, {}


def _mask_paths(mask):
    """update_mask -> list of field paths (each a list of segments), or None for "*"."""
    if mask is None or mask == "":
        raise invalid_param("Missing required field: update_mask")
    if not isinstance(mask, str):
        raise invalid_param("update_mask must be a string")
    if mask == "*":
        return None
    paths = []
    for path in mask.split(","):
        parts = path.split(".")
        if not all(_MASK_SEGMENT_RX.match(p) for p in parts):
            raise invalid_param("Invalid update_mask %r: comma-separated field paths, no spaces"
                                % mask)
        if parts[0] in _COMPUTED:
            raise invalid_param("Field %s cannot be updated" % parts[0])
        if len(parts) > 1 and parts[0] in _COLLECTIONS:
            raise invalid_param("update_mask %r: %s can only be updated as a whole"
                                % (mask, parts[0]))
        paths.append(parts)
    return paths


_ABSENT = object()


def _masked_spec(current, changes, paths):
    """The spec after an update: each masked path takes its value from `changes`, or is removed
    when `changes` has no (or a null) value there; "*" (paths None) replaces the whole spec."""
    if paths is None:
        return copy.deepcopy(changes)
    spec = copy.deepcopy(current)
    for parts in paths:
        value = changes
        for p in parts:
            value = value.get(p, _ABSENT) if isinstance(value, dict) else _ABSENT
        remove = value is _ABSENT or value is None
        dst = spec
        for p in parts[:-1]:
            if not isinstance(dst.get(p), dict):
                if remove:
                    break
                dst[p] = {}
            dst = dst[p]
        else:
            if remove:
                dst.pop(parts[-1], None)
            else:
                dst[parts[-1]] = copy.deepcopy(value)
    return spec


@route("POST", *_both("update"))
def update(req):
    """Partial update (reference 4: cluster_id, update_mask, cluster). Paths may go into object
    fields with dots (autoscale.max_workers), as the SDKs' update_mask doc describes; map and
    list fields (spark_conf, custom_tags, ...) only as a whole."""
    args = req.json_obj()
    cid = _cluster_id_arg(args)
    paths = _mask_paths(args.get("update_mask"))
    changes = args.get("cluster")
    if changes is None:
        changes = {}
    if not isinstance(changes, dict):
        raise invalid_param("cluster must be an object")
    state = req.state
    with state.lock:
        now = state.now_ms()
        c = _get(state, cid, now)
        spec = _masked_spec(c.spec, changes, paths)
        _validate_spec(spec)
        _reconfigure(state, c, spec, req.principal, now)
    return 200, None, {}


def _set_pinned(req, pinned):
    """pin / unpin. Pinned clusters carry pinned_by_user_name in get/list: not in the
    reference's ClusterDetails, but what real list answers show (clients that report pins read
    it). Pinning a pinned cluster (or unpinning an unpinned one) changes nothing."""
    cid = _cluster_id_arg(req.json_obj())
    state = req.state
    user = req.principal or "emulator-user@example.com"
    with state.lock:
        now = state.now_ms()
        c = _get(state, cid, now)
        if pinned != ("pinned_by_user_name" in c.d):
            if pinned:
                c.d["pinned_by_user_name"] = user
            else:
                del c.d["pinned_by_user_name"]
            _event(c, now, "PINNED" if pinned else "UNPINNED", user=user)
    return 200, None, {}


@route("POST", *_both("pin"))
def pin(req):
    return _set_pinned(req, True)


@route("POST", *_both("unpin"))
def unpin(req):
    return _set_pinned(req, False)


@route("GET", *_both("get"))
def get(req):
    args = req.args()
    cid = _cluster_id_arg(args)
    state = req.state
    with state.lock:
        c = _get(state, cid, state.now_ms())
        return 200, None, _dump(c.d)


def _dump(obj):
    """Serialise while still holding the lock (handlers return bytes)."""
    return json.dumps(obj, separators=(",", ":")).encode()


def _query_list(req, key):
    vals = req.query.get(key)
    if vals is None and req.body and req.json_ok and isinstance(req.json, dict):
        # GET with a JSON body: accept {"filter_by": {"cluster_states": [...]}} too
        obj = req.json
        for part in key.split("."):
            obj = obj.get(part) if isinstance(obj, dict) else None
        if obj is None:
            return []
        return [obj] if not isinstance(obj, list) else list(obj)
    out = []
    for v in vals or []:  # repeated keys; comma-separated values accepted too
        out.extend(x for x in v.split(",") if x)
    return out


def _enum_list(req, key, allowed):
    vals = _query_list(req, key)
    for v in vals:
        if v not in allowed:
            raise invalid_param("Invalid value for %s: %s (expected one of %s)" % (
                key, v, ", ".join(allowed)))
    return vals


def _bool_arg(req, key):
    vals = _query_list(req, key)
    if not vals:
        return None
    v = vals[0]
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    raise invalid_param("Invalid value for %s: %s (expected true or false)" % (key, v))


@route("GET", *_both("list"))
def list_clusters(req):
    state = req.state
    args = req.args()
    page_size = _as_int(args.get("page_size"), "page_size")
    if page_size is not None and page_size < 0:
        raise invalid_param("page_size must be >= 0")
    token = args.get("page_token") or ""
    states = _enum_list(req, "filter_by.cluster_states", STATES)
    sources = _enum_list(req, "filter_by.cluster_sources", CLUSTER_SOURCES)
    policy = _query_list(req, "filter_by.policy_id")
    pinned = _bool_arg(req, "filter_by.is_pinned")
    sort_field = (_enum_list(req, "sort_by.field", SORT_FIELDS) or ["DEFAULT"])[0]
    descending = (_enum_list(req, "sort_by.direction", SORT_DIRECTIONS) or ["ASC"])[0] == "DESC"
    offset = decode_token("c", token) if token else 0
    with state.lock:
        now = state.now_ms()
        advance_all(state, now)
        size = min(page_size or 100, state.config["page_size_clusters"])
        sel = []
        for c in state.clusters.values():
            d = c.d
            if states and d["state"] not in states:
                continue
            if sources and d.get("cluster_source") not in sources:
                continue
            if policy and d.get("policy_id") != policy[0]:
                continue
            if pinned is not None and pinned != ("pinned_by_user_name" in d):
                continue
            sel.append(d)
        # Order. The SDKs' ListClustersSortByField doc says that by default the service sorts
        # by cluster state, then pinned/unpinned, then cluster name; it does not say in which
        # order the states rank or whether pinned clusters come first, and the reference says
        # nothing. So DEFAULT (and no sort_by) keeps creation order here; clients must not rely
        # on the DEFAULT order. CLUSTER_NAME: by cluster_name (code-point order, ties in
        # creation order). DESC reverses either. Page tokens are offsets into this order.
        if sort_field == "CLUSTER_NAME":
            sel.sort(key=lambda d: str(d.get("cluster_name") or ""), reverse=descending)
        elif descending:
            sel.reverse()
        page = sel[offset:offset + size]
        out = {}
        if page:
            out["clusters"] = page
        if offset + size < len(sel):
            out["next_page_token"] = encode_token("c", offset + size)
        if offset > 0:
            out["prev_page_token"] = encode_token("c", max(0, offset - size))
        return 200, None, _dump(out)


@route("POST", *_both("start"))
def start(req):
    args = req.json_obj()
    cid = _cluster_id_arg(args)
    state = req.state
    with state.lock:
        now = state.now_ms()
        c = _get(state, cid, now)
        st = c.d["state"]
        if st in ("PENDING", "RUNNING"):
            return 200, None, {}
        if st != "TERMINATED":
            raise _unexpected(c)
        d = c.d
        d["state"] = "PENDING"
        d["state_message"] = "Starting cluster"
        for k in ("termination_reason", "terminated_time"):
            d.pop(k, None)
        _event(c, now, "STARTING", user=req.principal)
        _schedule(state, c, now, "cluster_pending_ms", "pending_done")
    return 200, None, {}


@route("POST", *_both("restart"))
def restart(req):
    args = req.json_obj()
    cid = _cluster_id_arg(args)
    state = req.state
    with state.lock:
        now = state.now_ms()
        c = _get(state, cid, now)
        st = c.d["state"]
        if st == "TERMINATED":
            raise _unexpected(c)
        if st != "RUNNING":
            return 200, None, {}
        c.d["state"] = "RESTARTING"
        c.d["state_message"] = "Restarting cluster"
        user = args.get("restart_user") or req.principal
        _event(c, now, "RESTARTING", user=user)
        _schedule(state, c, now, "cluster_restarting_ms", "restart_done")
    return 200, None, {}


@route("POST", *_both("resize"))
def resize(req):
    args = req.json_obj()
    cid = _cluster_id_arg(args)
    has_n = args.get("num_workers") is not None
    has_a = args.get("autoscale") is not None
    if has_n == has_a:
        raise invalid_param("Exactly one of num_workers or autoscale must be specified")
    _validate_size(args)
    state = req.state
    with state.lock:
        now = state.now_ms()
        c = _get(state, cid, now)
        if c.d["state"] != "RUNNING":
            raise _unexpected(c)
        d = c.d
        prev = _size(d)
        current = _target_workers(d)
        for k in ("num_workers", "autoscale"):
            d.pop(k, None)
            c.spec.pop(k, None)
        if has_n:
            d["num_workers"] = c.spec["num_workers"] = args["num_workers"]
        else:
            d["autoscale"] = copy.deepcopy(args["autoscale"])
            c.spec["autoscale"] = copy.deepcopy(args["autoscale"])
        d["spec"] = copy.deepcopy(c.spec)
        _compute_size_fields(d)
        d["state"] = "RESIZING"
        d["state_message"] = "Resizing cluster"
        _event(c, now, "RESIZING", current_num_workers=current,
               target_num_workers=_target_workers(d), user=req.principal,
               cluster_size=_size(d), previous_cluster_size=prev)
        _schedule(state, c, now, "cluster_resizing_ms", "resize_done")
    return 200, None, {}


@route("POST", *_both("delete"))
def delete(req):
    args = req.json_obj()
    cid = _cluster_id_arg(args)
    state = req.state
    user = req.principal or "emulator-user@example.com"
    with state.lock:
        now = state.now_ms()
        c = _get(state, cid, now)
        d = c.d
        if d["state"] in ("TERMINATING", "TERMINATED"):
            return 200, None, {}
        reason = {"code": "USER_REQUEST", "type": "SUCCESS", "parameters": {"username": user}}
        d["state"] = "TERMINATING"
        d["state_message"] = "Terminating cluster"
        d["termination_reason"] = reason
        _event(c, now, "TERMINATING", user=user, reason=copy.deepcopy(reason))
        _schedule(state, c, now, "cluster_terminating_ms", "terminate_done")
    return 200, None, {}


@route("POST", *_both("permanent-delete"))
def permanent_delete(req):
    args = req.json_obj()
    cid = _cluster_id_arg(args)
    state = req.state
    with state.lock:
        if cid not in state.clusters:
            raise invalid_param("Cluster %s does not exist" % cid)
        del state.clusters[cid]
    return 200, None, {}


@route("POST", *_both("events"))
def events(req):
    args = req.json_obj()
    cid = _cluster_id_arg(args)
    start_time = _as_int(args.get("start_time"), "start_time")
    end_time = _as_int(args.get("end_time"), "end_time")
    order = args.get("order") or "DESC"
    if order not in ("ASC", "DESC"):
        raise invalid_param("order must be ASC or DESC")
    types = args.get("event_types") or []
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise invalid_param("event_types must be a list of strings")
    page_size = _as_int(args.get("page_size"), "page_size")
    limit = _as_int(args.get("limit"), "limit")
    offset_arg = _as_int(args.get("offset"), "offset")
    token = args.get("page_token") or ""
    if token and not isinstance(token, str):
        raise invalid_param("page_token must be a string")
    if offset_arg is not None and offset_arg < 0:
        raise invalid_param("offset must be >= 0")
    state = req.state
    with state.lock:
        now = state.now_ms()
        c = _get(state, cid, now)
        cap = state.config["page_size_events"]
        if page_size:
            size = max(1, min(page_size, 500))
        elif limit:
            size = max(1, min(limit, 500))
        else:
            size = 50
        size = min(size, cap)
        if token:
            offset = decode_token("e", token)
        else:
            offset = offset_arg or 0
        sel = [e for e in c.events
               if (start_time is None or e["timestamp"] >= start_time)
               and (end_time is None or e["timestamp"] <= end_time)
               and (not types or e["type"] in types)]
        if order == "DESC":
            sel.reverse()
        total = len(sel)
        out = {"events": sel[offset:offset + size]}
        if offset + size < total:
            out["next_page_token"] = encode_token("e", offset + size)
            nxt = {"cluster_id": cid, "order": order, "offset": offset + size, "limit": size}
            if start_time is not None:
                nxt["start_time"] = start_time
            if end_time is not None:
                nxt["end_time"] = end_time
            if types:
                nxt["event_types"] = list(types)
            out["next_page"] = nxt
        if offset > 0:
            out["prev_page_token"] = encode_token("e", max(0, offset - size))
        out["total_count"] = total
        return 200, None, _dump(out)


_VERSIONS_BODY = {"versions": SPARK_VERSIONS}
_NODE_TYPES_BODY = {"node_types": NODE_TYPES}


@route("GET", *_both("spark-versions"))
def spark_versions(req):
    return 200, None, _VERSIONS_BODY


@route("GET", *_both("list-node-types"))
def list_node_types(req):
    return 200, None, _NODE_TYPES_BODY
