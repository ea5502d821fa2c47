"""DBFS API 2.0 (/api/2.0/dbfs/*).

A tree of directories and files keyed by normalised absolute path ("/a/b"). File contents
live in a temporary directory on disk (one file per DBFS file, removed at reset and at exit),
never in memory, so multi-hundred-MB uploads cost the emulator nothing but disk. Streams
(create -> add-block* -> close) are handles with the service's 10-minute idle timeout on the
virtual clock. Request bodies of this area are logged shortened (see log_view).

Unclear in the reference, decided here (real service behaviour as far as known):
- delete of a missing path succeeds (200 {}), as the CLI's "rm" of a missing path does;
- a non-empty directory without recursive is 400 IO_ERROR (the reference names the code only);
- put/create/mkdirs/move create missing parent directories;
- PARTIAL_DELETE: a recursive delete removing more than config "dbfs_delete_batch" entries
  removes that many (deepest first) and answers 503 PARTIAL_DELETE; the real service does this
  after ~45 s of work. 0 (the default) = never partial.
"""

import atexit
import base64
import binascii
import os
import shutil
import tempfile

from . import log_view, on_reset, route
from ..errors import ApiError, invalid_param, not_found
from ..state import register_config

P = "/api/2.0/dbfs/"
MAX_BLOCK = 1024 * 1024          # decoded bytes per put / add-block / read
DEFAULT_READ = 512 * 1024        # read length when none is given
HANDLE_IDLE_MS = 10 * 60 * 1000  # stream handles expire after 10 min without use
HANDLE_BASE = 1 << 40            # handles are int64 beyond 32 bits, to keep clients honest
LOG_BODY_KEEP = 4096             # logged bytes of a long request body
LOG_STR_KEEP = 64                # logged characters of a long JSON string field

register_config("dbfs_delete_batch", 0, (int,), 0)

_dirs_made = []


def _cleanup():
    for d in _dirs_made:
        shutil.rmtree(d, ignore_errors=True)
    del _dirs_made[:]


atexit.register(_cleanup)


class Node:
    __slots__ = ("is_dir", "mtime", "blob", "size")

    def __init__(self, is_dir, mtime, blob=None, size=0):
        self.is_dir = is_dir
        self.mtime = mtime
        self.blob = blob  # file name in the blob directory (files only)
        self.size = size


class Store:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="dbx-emulator-dbfs-")
        _dirs_made.append(self.dir)
        self.nodes = {"/": Node(True, 0)}
        self.handles = {}  # handle -> [path, blob, last_used_ms]
        self.next_handle = HANDLE_BASE + 1
        self.next_blob = 1

    def new_blob(self):
        name = os.path.join(self.dir, "b%d" % self.next_blob)
        self.next_blob += 1
        open(name, "wb").close()
        return name

    def drop_blob(self, node):
        if node.blob:
            try:
                os.remove(node.blob)
            except OSError:
                pass


@on_reset
def _reset(state):
    old = getattr(state, "dbfs", None)
    if old is not None:
        shutil.rmtree(old.dir, ignore_errors=True)
        if old.dir in _dirs_made:
            _dirs_made.remove(old.dir)
    state.dbfs = Store()


@log_view(P)
def log_view_dbfs(body_text, obj):
    """Logged form of a request body: long bodies keep their first 4 KB plus the length, and
    long string fields of the JSON (base64 data / contents) are cut, so a 1 MB block costs
    the log a few hundred bytes while small fields (path, handle) stay readable."""
    if len(body_text) > LOG_BODY_KEEP:
        body_text = body_text[:LOG_BODY_KEEP] + "...(%d bytes)" % len(body_text)
    if isinstance(obj, dict):
        cut = {}
        for k, v in obj.items():
            if isinstance(v, str) and len(v) > 2 * LOG_STR_KEEP:
                v = v[:LOG_STR_KEEP] + "...(%d chars)" % len(v)
            cut[k] = v
        obj = cut
    return body_text, obj


# ---- helpers ------------------------------------------------------------------------------------
def _norm(raw, name="path"):
    """dbfs:/a/b/ or /a/b -> /a/b. Relative paths and '.'/'..' segments are invalid."""
    if raw is None or raw == "":
        raise invalid_param("Missing required field: %s" % name)
    if not isinstance(raw, str):
        raise invalid_param("Invalid value for %s: must be a string" % name)
    p = raw[5:] if raw.startswith("dbfs:") else raw
    if not p.startswith("/"):
        raise invalid_param("Path must be absolute: %s" % raw)
    parts = [s for s in p.split("/") if s]
    if any(s in (".", "..") for s in parts):
        raise invalid_param("Invalid path: %s" % raw)
    if "\x00" in p:
        raise invalid_param("Invalid path: %s" % raw)
    return "/" + "/".join(parts)


def _parent(p):
    return p.rsplit("/", 1)[0] or "/"


def _bool(v, name):
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    raise invalid_param("Invalid value for %s: must be a boolean" % name)


def _int(v, name, default):
    if v is None:
        return default
    if isinstance(v, bool):
        raise invalid_param("Invalid value for %s: must be an integer" % name)
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        try:
            return int(v.strip())
        except ValueError:
            pass
    raise invalid_param("Invalid value for %s: must be an integer" % name)


def _b64(v, name):
    if v is None:
        return b""
    if not isinstance(v, str):
        raise invalid_param("Invalid value for %s: must be a base64 string" % name)
    try:
        return base64.b64decode(v, validate=True)
    except (binascii.Error, ValueError):
        raise invalid_param("Invalid base64 in %s" % name)


def _exists_error(p):
    return ApiError(400, "RESOURCE_ALREADY_EXISTS", "A file or directory already exists at the input path %s." % p)


def _missing(p):
    return not_found("No file or directory exists on path %s." % p)


def _too_big(n):
    return ApiError(400, "MAX_BLOCK_SIZE_EXCEEDED",
                    "The block of data to be written has size %d, which exceeds the maximum of %d bytes."
                    % (n, MAX_BLOCK))


def _info(p, node):
    return {"path": p, "is_dir": node.is_dir, "file_size": 0 if node.is_dir else node.size,
            "modification_time": node.mtime}


def _mkdirs(store, p, now):
    """Create p and its parents; a file on the way is RESOURCE_ALREADY_EXISTS."""
    chain = []
    q = p
    while q not in store.nodes:
        chain.append(q)
        q = _parent(q)
    if not store.nodes[q].is_dir:
        raise _exists_error(q)
    for d in reversed(chain):
        store.nodes[d] = Node(True, now)


def _subtree(store, p):
    """p and everything under it, deepest first."""
    pre = p.rstrip("/") + "/"
    under = [k for k in store.nodes if k.startswith(pre) and k != "/"]
    under.sort(key=lambda k: (-k.count("/"), k))
    return under + ([p] if p != "/" else [])


def _new_file(state, p, overwrite, now):
    """Create (or truncate) the file at p; returns its node."""
    store = state.dbfs
    node = store.nodes.get(p)
    if node is not None:
        if node.is_dir or not overwrite:
            raise _exists_error(p)
        with open(node.blob, "wb"):
            pass
        node.size = 0
        node.mtime = now
        return node
    _mkdirs(store, _parent(p), now)
    node = Node(False, now, store.new_blob(), 0)
    store.nodes[p] = node
    return node


def _handle(state, args, now):
    h = _int(args.get("handle"), "handle", None)
    if h is None:
        raise invalid_param("Missing required field: handle")
    store = state.dbfs
    ent = store.handles.get(h)
    if ent is not None and now - ent[2] > HANDLE_IDLE_MS:
        del store.handles[h]  # expired
        ent = None
    if ent is None:
        raise not_found("No file handle exists with id %d." % h)
    return h, ent


# ---- endpoints ----------------------------------------------------------------------------------
@route("POST", P + "put")
def put(req):
    args = req.json_obj()
    p = _norm(args.get("path"))
    overwrite = _bool(args.get("overwrite"), "overwrite")
    data = _b64(args.get("contents"), "contents")
    if len(data) > MAX_BLOCK:
        raise _too_big(len(data))
    state = req.state
    with state.lock:
        now = state.now_ms()
        node = _new_file(state, p, overwrite, now)
        with open(node.blob, "wb") as f:
            f.write(data)
        node.size = len(data)
    return 200, None, {}


@route("POST", P + "create")
def create(req):
    args = req.json_obj()
    p = _norm(args.get("path"))
    overwrite = _bool(args.get("overwrite"), "overwrite")
    state = req.state
    with state.lock:
        now = state.now_ms()
        node = _new_file(state, p, overwrite, now)
        store = state.dbfs
        h = store.next_handle
        store.next_handle += 1
        store.handles[h] = [p, node.blob, now]
    return 200, None, {"handle": h}


@route("POST", P + "add-block")
def add_block(req):
    args = req.json_obj()
    data = _b64(args.get("data"), "data")
    if args.get("data") is None:
        raise invalid_param("Missing required field: data")
    if len(data) > MAX_BLOCK:
        raise _too_big(len(data))
    state = req.state
    with state.lock:
        now = state.now_ms()
        h, ent = _handle(state, args, now)
        ent[2] = now
        node = state.dbfs.nodes.get(ent[0])
        if node is None or node.blob != ent[1]:
            # the file was deleted or replaced while the stream was open
            del state.dbfs.handles[h]
            raise not_found("No file handle exists with id %d." % h)
        with open(node.blob, "ab") as f:
            f.write(data)
        node.size += len(data)
        node.mtime = now
    return 200, None, {}


@route("POST", P + "close")
def close(req):
    args = req.json_obj()
    state = req.state
    with state.lock:
        h, _ = _handle(state, args, state.now_ms())
        del state.dbfs.handles[h]
    return 200, None, {}


@route("GET", P + "read")
def read(req):
    args = req.args()
    p = _norm(args.get("path"))
    offset = _int(args.get("offset"), "offset", 0)
    length = _int(args.get("length"), "length", DEFAULT_READ)
    if offset < 0 or length < 0:
        raise invalid_param("Offset and length must be non-negative: offset=%d, length=%d" % (offset, length))
    if length > MAX_BLOCK:
        raise ApiError(400, "MAX_READ_SIZE_EXCEEDED",
                       "Cannot read more than %d bytes at once; length was %d." % (MAX_BLOCK, length))
    state = req.state
    with state.lock:
        node = state.dbfs.nodes.get(p)
        if node is None:
            raise _missing(p)
        if node.is_dir:
            raise invalid_param("Cannot read a directory: %s" % p)
        with open(node.blob, "rb") as f:
            f.seek(offset)
            data = f.read(length)
    return 200, None, {"bytes_read": len(data), "data": base64.b64encode(data).decode("ascii")}


@route("GET", P + "get-status")
def get_status(req):
    p = _norm(req.args().get("path"))
    state = req.state
    with state.lock:
        node = state.dbfs.nodes.get(p)
        if node is None:
            raise _missing(p)
        return 200, None, _info(p, node)


@route("GET", P + "list")
def list_(req):
    p = _norm(req.args().get("path"))
    state = req.state
    with state.lock:
        nodes = state.dbfs.nodes
        node = nodes.get(p)
        if node is None:
            raise _missing(p)
        if not node.is_dir:
            return 200, None, {"files": [_info(p, node)]}
        pre = p.rstrip("/") + "/"
        kids = sorted(k for k in nodes if k.startswith(pre) and k != "/" and "/" not in k[len(pre):])
        if not kids:
            return 200, None, {}  # the service leaves "files" out for an empty directory
        return 200, None, {"files": [_info(k, nodes[k]) for k in kids]}


@route("POST", P + "mkdirs")
def mkdirs(req):
    p = _norm(req.json_obj().get("path"))
    state = req.state
    with state.lock:
        _mkdirs(state.dbfs, p, state.now_ms())
    return 200, None, {}


@route("POST", P + "delete")
def delete(req):
    args = req.json_obj()
    p = _norm(args.get("path"))
    recursive = _bool(args.get("recursive"), "recursive")
    state = req.state
    with state.lock:
        store = state.dbfs
        node = store.nodes.get(p)
        if node is None:
            return 200, None, {}
        victims = _subtree(store, p) if node.is_dir else [p]
        if node.is_dir and len(victims) > 1 and not recursive:
            raise ApiError(400, "IO_ERROR",
                           "Error while deleting path %s: directory is not empty and recursive is false." % p)
        batch = state.config.get("dbfs_delete_batch") or 0
        partial = batch and len(victims) > batch
        for k in victims[:batch] if partial else victims:
            if k == "/":
                continue
            store.drop_blob(store.nodes[k])
            del store.nodes[k]
        if partial:
            raise ApiError(503, "PARTIAL_DELETE",
                           "The requested operation has not been fully completed: %d entries were deleted "
                           "under %s. Call delete again to continue." % (batch, p))
    return 200, None, {}


@route("POST", P + "move")
def move(req):
    args = req.json_obj()
    src = _norm(args.get("source_path"), "source_path")
    dst = _norm(args.get("destination_path"), "destination_path")
    state = req.state
    with state.lock:
        store = state.dbfs
        node = store.nodes.get(src)
        if node is None:
            raise _missing(src)
        if dst in store.nodes:
            raise _exists_error(dst)
        if src == "/" or dst.startswith(src.rstrip("/") + "/"):
            raise invalid_param("Cannot move %s into itself (%s)." % (src, dst))
        _mkdirs(store, _parent(dst), state.now_ms())
        pre = src + "/"
        for k in [k for k in store.nodes if k == src or k.startswith(pre)]:
            store.nodes[dst + k[len(src):]] = store.nodes.pop(k)
        for ent in store.handles.values():  # open streams follow their file
            if ent[0] == src or ent[0].startswith(pre):
                ent[0] = dst + ent[0][len(src):]
    return 200, None, {}
