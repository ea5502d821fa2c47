"""/__emulator/* control API (no auth, never logged, never faulted)."""

import json

from . import route
from .clusters import force_state
from ..errors import invalid_param

P = "/__emulator/"


def _dump_locked(state, fn):
    with state.lock:
        return json.dumps(fn(), separators=(",", ":")).encode()


@route("GET", P + "health")
def health(req):
    return 200, None, {"ok": True}


@route("POST", P + "reset")
def reset(req):
    req.state.reset()
    return 200, None, {}


@route("GET", P + "requests")
def get_requests(req):
    state = req.state
    return 200, None, _dump_locked(state, lambda: {"requests": list(state.log)})


@route("DELETE", P + "requests")
def clear_requests(req):
    with req.state.lock:
        req.state.log.clear()
    return 200, None, {}


@route("GET", P + "config")
def get_config(req):
    with req.state.lock:
        return 200, None, dict(req.state.config)


@route("POST", P + "config")
def set_config(req):
    return 200, None, req.state.update_config(req.json_obj())


@route("GET", P + "clock")
def get_clock(req):
    return 200, None, {"now_ms": req.state.now_ms(), "offset_ms": req.state.offset_ms}


@route("POST", P + "clock")
def clock(req):
    body = req.json_obj()
    ms = body.get("advance_ms", 0)
    if isinstance(ms, bool) or not isinstance(ms, (int, float)) or ms < 0:
        raise invalid_param("advance_ms must be a number >= 0")
    return 200, None, {"now_ms": req.state.advance(ms)}


@route("POST", P + "faults")
def add_faults(req):
    body = req.json_obj()
    if "rules" in body:
        rules = body["rules"]
        if not isinstance(rules, list):
            raise invalid_param("'rules' must be a list")
    else:
        rules = [body]
    return 200, None, {"ids": req.state.add_faults(rules)}


@route("DELETE", P + "faults")
def clear_faults(req):
    with req.state.lock:
        req.state.faults = []
    return 200, None, {}


@route("GET", P + "faults")
def list_faults(req):
    state = req.state
    return 200, None, _dump_locked(state, lambda: {"rules": [r.describe() for r in state.faults]})


@route("POST", P + "clusters/{cluster_id}/state")
def cluster_state(req):
    return 200, None, force_state(req.state, req.params["cluster_id"], req.json_obj())
