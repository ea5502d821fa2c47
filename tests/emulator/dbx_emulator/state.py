"""Workspace state: one lock, the virtual clock, config, request log, fault rules,
issued tokens and the per-API stores (created by reset hooks that API modules register)."""

import collections
import copy
import threading
import time

from . import hostile
from .errors import invalid_param

DEFAULT_CONFIG = {
    "cluster_pending_ms": 1000,
    "cluster_restarting_ms": 1000,
    "cluster_resizing_ms": 500,
    "cluster_terminating_ms": 500,
    "oauth_token_ttl_s": 3600,
    "page_size_clusters": 100,
    "page_size_events": 50,
    "start_fails_with": None,
    # extension: the request log keeps at most this many entries (oldest dropped),
    # so long benchmark runs do not grow memory without bound.
    "request_log_max": 100000,
}

# key -> (allowed types, minimum or None). None in types = JSON null allowed.
_CONFIG_TYPES = {
    "cluster_pending_ms": ((int, float), 0),
    "cluster_restarting_ms": ((int, float), 0),
    "cluster_resizing_ms": ((int, float), 0),
    "cluster_terminating_ms": ((int, float), 0),
    "oauth_token_ttl_s": ((int, float), 1),
    "page_size_clusters": ((int,), 1),
    "page_size_events": ((int,), 1),
    "start_fails_with": ((str, type(None)), None),
    "request_log_max": ((int,), 1),
}

FAULT_ACTIONS = ("status", "delay", "drop", "truncate", "malformed", "redirect",
                 "huge", "gzip_bomb", "deep", "endless_headers", "drip")
# process the request fully (state changes happen), log it, then close without answering
FAULT_ACTIONS += ("drop_after",)
_FAULT_KEYS = {"server", "method", "path", "path_prefix", "times", "after", "action", "status",
               "headers", "body", "delay_ms", "location", "bytes", "chunked", "gzip", "depth",
               "shape", "error_code", "header_bytes", "interval_ms", "chunk"}
# action -> (key, maximum) of its required size parameter
_SIZE_KEYS = {"huge": ("bytes", hostile.HUGE_MAX_BYTES),
              "gzip_bomb": ("bytes", hostile.BOMB_MAX_BYTES),
              "deep": ("depth", hostile.DEEP_MAX)}


def register_config(key, default, types=None, minimum=None):
    """For API modules added later: declare a config key and its default."""
    DEFAULT_CONFIG[key] = default
    _CONFIG_TYPES[key] = (types, minimum)


class FaultRule:
    __slots__ = ("id", "spec", "server", "method", "path", "path_prefix", "action",
                 "remaining", "after_remaining", "fired")

    def __init__(self, rule_id, spec):
        self.id = rule_id
        self.spec = spec
        m = spec.get("method")
        self.method = m.upper() if m else None
        self.path = spec.get("path")
        self.path_prefix = spec.get("path_prefix")
        # None: the workspace listeners (main, tls); "other": the second host (presigned URLs)
        self.server = spec.get("server")
        self.action = spec["action"]
        self.remaining = spec.get("times", 1)
        self.after_remaining = spec.get("after", 0)
        self.fired = 0

    def describe(self):
        d = dict(self.spec)
        d["id"] = self.id
        d["remaining"] = self.remaining
        d["after_remaining"] = self.after_remaining
        d["fired"] = self.fired
        return d


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def validate_fault(spec):
    if not isinstance(spec, dict):
        raise invalid_param("A fault rule must be a JSON object")
    unknown = set(spec) - _FAULT_KEYS
    if unknown:
        raise invalid_param("Unknown fault rule field(s): %s" % ", ".join(sorted(unknown)))
    action = spec.get("action")
    if action not in FAULT_ACTIONS:
        raise invalid_param("Fault 'action' must be one of %s" % ", ".join(FAULT_ACTIONS))
    if spec.get("server") not in (None, "other"):
        raise invalid_param("Fault 'server' must be \"other\" or absent (the workspace)")
    for k in ("method", "path", "path_prefix", "location"):
        if k in spec and spec[k] is not None and not isinstance(spec[k], str):
            raise invalid_param("Fault '%s' must be a string" % k)
    times = spec.get("times", 1)
    if not _is_int(times) or times < -1:
        raise invalid_param("Fault 'times' must be an integer >= -1")
    after = spec.get("after", 0)
    if not _is_int(after) or after < 0:
        raise invalid_param("Fault 'after' must be an integer >= 0")
    if "headers" in spec and spec["headers"] is not None:
        h = spec["headers"]
        if not isinstance(h, dict) or not all(isinstance(k, str) and isinstance(v, (str, int, float))
                                              for k, v in h.items()):
            raise invalid_param("Fault 'headers' must be an object of strings")
    if action == "status":
        st = spec.get("status")
        if not _is_int(st) or not 100 <= st <= 599:
            raise invalid_param("Fault action 'status' needs an integer 'status' (100..599)")
    if action == "redirect":
        st = spec.get("status", 302)
        if not _is_int(st) or not 300 <= st <= 399:
            raise invalid_param("Fault action 'redirect' needs a 3xx 'status'")
    if action == "delay":
        d = spec.get("delay_ms")
        if not isinstance(d, (int, float)) or isinstance(d, bool) or d < 0:
            raise invalid_param("Fault action 'delay' needs a number 'delay_ms' >= 0")
    if action == "malformed" and spec.get("body") is not None and not isinstance(spec["body"], str):
        raise invalid_param("Fault action 'malformed': 'body' must be a string")
    if action in _SIZE_KEYS:
        _validate_hostile(action, spec)
    if action == "endless_headers":
        n = spec.get("header_bytes")
        if not _is_int(n) or not (n == -1 or n >= 1):
            raise invalid_param("Fault action 'endless_headers' needs an integer 'header_bytes' "
                                ">= 1, or -1 (until the client disconnects)")
    if action == "drip":
        i = spec.get("interval_ms", 0)
        if not isinstance(i, (int, float)) or isinstance(i, bool) or i < 0:
            raise invalid_param("Fault action 'drip': 'interval_ms' must be a number >= 0")
        c = spec.get("chunk", 1)
        if not _is_int(c) or c < 1:
            raise invalid_param("Fault action 'drip': 'chunk' must be an integer >= 1")
    return copy.deepcopy(spec)


def _validate_hostile(action, spec):
    """huge / gzip_bomb / deep: a size parameter, an optional answer status, and options."""
    key, maximum = _SIZE_KEYS[action]
    n = spec.get(key)
    low = 1 if key == "depth" else 0
    if not _is_int(n) or not low <= n <= maximum:
        raise invalid_param("Fault action '%s' needs an integer '%s' (%d..%d)" % (
            action, key, low, maximum))
    st = spec.get("status", 200)
    if not _is_int(st) or not 200 <= st <= 599 or st in (204, 304):
        raise invalid_param("Fault action '%s': 'status' must be 200..599 (not 204/304)" % action)
    for flag in ("chunked", "gzip"):
        if flag in spec and not isinstance(spec[flag], bool):
            raise invalid_param("Fault '%s' must be true or false" % flag)
    if spec.get("shape", "array") not in ("array", "object"):
        raise invalid_param("Fault action 'deep': 'shape' must be \"array\" or \"object\"")
    if "error_code" in spec and not isinstance(spec["error_code"], str):
        raise invalid_param("Fault 'error_code' must be a string")


class State:
    def __init__(self, tokens=("dapi-emulator-token",), client_id="emu-client",
                 client_secret="emu-secret", tenant="emu-tenant", reset_hooks=()):
        self.lock = threading.RLock()
        self.pats = set(tokens)
        self.client_id = client_id
        self.client_secret = client_secret
        self.tenant = tenant
        self.reset_hooks = list(reset_hooks)
        # filled in by the server once listeners are bound
        self.other_base = None
        self._mono0 = time.monotonic()
        self._wall0_ms = int(time.time() * 1000)
        self.reset()

    # ---- reset -------------------------------------------------------------------------
    def reset(self):
        with self.lock:
            self.offset_ms = 0
            self.config = dict(DEFAULT_CONFIG)
            self.log = collections.deque(maxlen=self.config["request_log_max"])
            self.seq = 0
            self.faults = []
            self.next_fault_id = 1
            self.tokens = {}  # access token -> (expiry virtual ms, principal)
            for hook in self.reset_hooks:
                hook(self)

    # ---- virtual clock -------------------------------------------------------------------
    def now_ms(self):
        """Epoch ms on the virtual clock: real start time + real elapsed + offset."""
        return self._wall0_ms + int((time.monotonic() - self._mono0) * 1000) + self.offset_ms

    def advance(self, ms):
        with self.lock:
            self.offset_ms += int(ms)
            return self.now_ms()

    # ---- config ----------------------------------------------------------------------------
    def update_config(self, changes):
        if not isinstance(changes, dict):
            raise invalid_param("Config must be a JSON object")
        with self.lock:
            for k, v in changes.items():
                if k not in DEFAULT_CONFIG:
                    raise invalid_param("Unknown config key: %s" % k)
                types, minimum = _CONFIG_TYPES.get(k, (None, None))
                if types is not None:
                    if isinstance(v, bool) or not isinstance(v, types):
                        raise invalid_param("Bad value for config key %s" % k)
                    if minimum is not None and v is not None and v < minimum:
                        raise invalid_param("Config key %s must be >= %s" % (k, minimum))
            self.config.update(changes)
            if self.log.maxlen != self.config["request_log_max"]:
                self.log = collections.deque(self.log, maxlen=self.config["request_log_max"])
            return dict(self.config)

    # ---- request log -----------------------------------------------------------------------
    def log_request(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.log.append(entry)

    # ---- fault rules -----------------------------------------------------------------------
    def add_faults(self, specs):
        rules = [validate_fault(s) for s in specs]
        with self.lock:
            ids = []
            for spec in rules:
                r = FaultRule(self.next_fault_id, spec)
                self.next_fault_id += 1
                self.faults.append(r)
                ids.append(r.id)
            return ids

    def match_fault(self, method, path, server="main"):
        """First live rule matching the request; consumes one of its counts. Rules with
        "server": "other" match only the second host, the others only the workspace."""
        if not self.faults:
            return None
        other = server == "other"
        with self.lock:
            for r in self.faults:
                if r.remaining == 0:
                    continue
                if (r.server == "other") != other:
                    continue
                if r.method is not None and r.method != method:
                    continue
                if r.path is not None and r.path != path:
                    continue
                if r.path_prefix is not None and not path.startswith(r.path_prefix):
                    continue
                if r.after_remaining > 0:
                    r.after_remaining -= 1
                    continue
                if r.remaining > 0:
                    r.remaining -= 1
                r.fired += 1
                return r
        return None

    # ---- tokens ----------------------------------------------------------------------------
    def issue_token(self, token, ttl_s, principal):
        with self.lock:
            expiry = self.now_ms() + int(ttl_s * 1000)
            self.tokens[token] = (expiry, principal)
            return expiry

    def check_token(self, token):
        """Returns (principal, None) if valid, else (None, reason)."""
        if token in self.pats:
            return "emulator-user@example.com", None
        with self.lock:
            t = self.tokens.get(token)
            if t is None:
                return None, "Invalid access token."
            if t[0] <= self.now_ms():
                del self.tokens[token]
                return None, "Invalid access token: the token has expired."
            return t[1], None
