"""Route registry.

Each API module registers handlers with ``@route(METHOD, pattern, ...)``. A pattern is an
absolute path; ``{name}`` matches one path segment and is passed in ``req.params``; ``{name:path}`` matches
the rest of the path, "/" included (``/api/2.0/fs/files{path:path}``).
A handler gets the Request (see server.Request) and returns ``(status, headers, body)``:
headers is a dict or None; body is a dict/list (sent as JSON), bytes, str, or None.
Modules that keep state register ``@on_reset`` hooks that (re)create their store on the
State object.
"""

import importlib
import re

# path -> {method: handler}
_EXACT = {}
# [(compiled regex, {method: handler})]
_PATTERNS = []
RESET_HOOKS = []

# modules loaded by load_all(); add new API areas here
MODULES = ("auth", "clusters", "control", "workspace", "dbfs", "files", "jobs")
# issue 7 (h/sql-emu): statement execution and Unity Catalog
MODULES += ("sql", "unity_catalog")
# issue 8 (h/emu-registry): workspace model registry and Unity Catalog models
MODULES += ("registry", "uc_models")

# Handlers for the second listener (127.0.0.2: presigned storage URLs). Each returns
# (status, headers, body), or None when the request is not its business.
OTHER_HOST_HANDLERS = []


def other_host_route(fn):
    OTHER_HOST_HANDLERS.append(fn)
    return fn


def other_host(req):
    for fn in OTHER_HOST_HANDLERS:
        answer = fn(req)
        if answer is not None:
            return answer
    return None


def route(method, *patterns):
    method = method.upper()

    def deco(fn):
        for p in patterns:
            if "{" in p:
                rx = re.sub(r"\\\{(\w+):path\\\}", r"(?P<\1>/.+)", re.escape(p))  # rest of the path
                rx = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", rx) + "$"
                for crx, methods in _PATTERNS:
                    if crx.pattern == rx:
                        methods[method] = fn
                        break
                else:
                    _PATTERNS.append((re.compile(rx), {method: fn}))
            else:
                _EXACT.setdefault(p, {})[method] = fn
        return fn
    return deco


def on_reset(fn):
    RESET_HOOKS.append(fn)
    return fn


# [(path prefix, fn(body_text, json) -> (body_text, json))]: how an area's request bodies
# appear in the request log (e.g. shortened base64 blocks). First matching prefix wins.
LOG_VIEWS = []


def log_view(prefix):
    def deco(fn):
        LOG_VIEWS.append((prefix, fn))
        return fn
    return deco


def logged_body(path, text, obj):
    for prefix, fn in LOG_VIEWS:
        if path.startswith(prefix):
            return fn(text, obj)
    return text, obj


def lookup(method, path):
    """Returns (handler, params, allowed_methods). handler None + allowed None = 404;
    handler None + allowed set = 405."""
    methods = _EXACT.get(path)
    params = None
    if methods is None:
        for rx, m in _PATTERNS:
            mo = rx.match(path)
            if mo:
                methods, params = m, mo.groupdict()
                break
        else:
            return None, None, None
    fn = methods.get(method)
    if fn is None and method == "HEAD":
        fn = methods.get("GET")
    if fn is None:
        return None, None, sorted(methods)
    return fn, params or {}, None


# SQL warehouses (h/warehouses); kept on its own line, away from other areas' additions
MODULES += ("warehouses",)
# issue 8 (h/emu-mlflow): MLflow tracking and run artifacts
MODULES += ("mlflow",)
# issue 9 (h/emu-serving): model serving endpoints, invocations, route-optimized data plane
MODULES += ("serving",)

_loaded = False


def load_all():
    global _loaded
    if not _loaded:
        for name in MODULES:
            importlib.import_module(__name__ + "." + name)
        _loaded = True
    return RESET_HOOKS
# issue 9 (h/emu-monitor): Lakehouse Monitoring (quality monitors and their metric tables)
MODULES += ("monitors",)
