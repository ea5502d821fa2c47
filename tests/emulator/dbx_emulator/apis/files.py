"""Files API (/api/2.0/fs/files, /api/2.0/fs/directories) for Unity Catalog volumes, with the
multipart upload flow whose presigned part URLs are served by the second listener (127.0.0.2).

File contents live in a temp directory (never in memory): uploads arrive streamed to a spool
file (server.STREAMED_BODIES) that is moved into place; downloads are streamed from disk.

Where the reference (databricks-api.md 3.2, protocols.md 1) is silent the choices are marked
"(unclear)" below.
"""

import atexit
import base64
import binascii
import hashlib
import hmac
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from email.utils import formatdate, parsedate_to_datetime
from urllib.parse import quote

from . import on_reset, other_host_route, route
from ..errors import ApiError, invalid_param
from ..server import FileBody
from ..state import register_config

FILES = "/api/2.0/fs/files"
DIRS = "/api/2.0/fs/directories"
PRESIGNED = "/presigned/"
MIN_PART = 5 * 1024 * 1024  # S3: every part but the last

register_config("page_size_files", 5, (int,), 1)
# False: a workspace without presigned URLs (initiate-upload is refused; clients fall back to a
# single PUT).
register_config("files_presigned_urls", True)  # true / false (not type-checked: bools are not)
# Presigned URL lifetime on the virtual clock (seconds).
register_config("files_url_ttl_s", 3600, (int,), 1)

_SECRET = os.urandom(16)
_ROOTS = []  # temp dirs made, removed at exit by the OS or by reset
_ROOT_LOCK = threading.Lock()


class Store:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="dbx-emu-files-")
        with _ROOT_LOCK:
            _ROOTS.append(self.root)
        self.files = {}      # path -> {"blob", "size", "mtime_ms", "etag"}
        self.dirs = set()    # directory paths (no trailing slash)
        self.sessions = {}   # session_token -> {"path", "overwrite", "parts": {n: (blob, etag, size)}}

    def blob(self):
        return os.path.join(self.root, uuid.uuid4().hex)


@on_reset
def _reset(state):
    old = getattr(state, "files_store", None)
    state.files_store = Store()
    state.spool_dir = state.files_store.root
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


def _store(req):
    return req.state.files_store


# ---- paths ---------------------------------------------------------------------------------

def _check_path(path, what="path"):
    """Absolute, normalised, inside a UC volume (/Volumes/<c>/<s>/<v>/...), the workspace tree or a
    registered area (PATH_AREAS).
    Volumes exist implicitly (unclear: the real service answers 404 for a missing volume)."""
    if not path.startswith("/") or "//" in path or "\x00" in path:
        raise invalid_param("Invalid %s: %s" % (what, path))
    segs = path.rstrip("/").split("/")[1:]
    if any(s in ("", ".", "..") for s in segs):
        raise invalid_param("Invalid %s: %s" % (what, path))
    if segs and segs[0] == "Volumes":
        if len(segs) < 4:
            raise invalid_param("Invalid %s: %s (expected /Volumes/<catalog>/<schema>/<volume>/...)"
                                % (what, path))
    elif segs and segs[0] in PATH_AREAS:
        if len(segs) < PATH_AREAS[segs[0]][0]:
            raise invalid_param("Invalid %s: %s (expected %s/...)" % (what, path,
                                                                      PATH_AREAS[segs[0]][2]))
    elif not segs or segs[0] != "Workspace":
        raise invalid_param("Invalid %s: %s (only /Volumes/... and /Workspace/... paths)"
                            % (what, path))
    return path.rstrip("/") if len(path) > 1 else path


def _volume_root(path):
    segs = path.split("/")
    if segs[1] in PATH_AREAS:
        return "/".join(segs[:PATH_AREAS[segs[1]][0] + 1])
    return "/".join(segs[:5]) if segs[1] == "Volumes" else "/Workspace"


# ---- other path areas ----------------------------------------------------------------------
# Trees besides /Volumes and /Workspace that other modules serve through this API (e.g.
# /Models/<catalog>/<schema>/<model>/<version>/... for Unity Catalog model versions,
# apis/uc_models.py): first segment -> (segments in the area's root directory, guard, shape).
# guard(state, path, op) raises an ApiError to refuse op ("read" or "write") on path; it is
# called before any lock of this module is taken.
PATH_AREAS = {}


def register_area(first_segment, root_segments, guard, shape):
    PATH_AREAS[first_segment] = (root_segments, guard, shape)


def _path(req, raw, op):
    """_check_path, then the guard of the path's area (if any) for op."""
    path = _check_path(raw)
    area = PATH_AREAS.get(path.split("/")[1])
    if area is not None:
        area[1](req.state, path, op)
    return path


def read_tree(state, root):
    """{relpath: bytes} of every file under directory root (for other modules)."""
    store = state.files_store
    pre = root.rstrip("/") + "/"
    with state.lock:
        blobs = [(p[len(pre):], f["blob"]) for p, f in store.files.items() if p.startswith(pre)]
    out = {}
    for rel, blob in blobs:
        with open(blob, "rb") as fh:
            out[rel] = fh.read()
    return out


def read_file(state, path, max_bytes=-1):
    """The bytes of the file at `path` (at most max_bytes of them; -1: all), or None when there is
    none (for other modules: job libraries, model files)."""
    store = getattr(state, "files_store", None)
    if store is None:
        return None
    with state.lock:
        f = store.files.get(path)
        blob = f["blob"] if f else None
    if blob is None:
        return None
    with open(blob, "rb") as fh:
        return fh.read(max_bytes)


def remove_tree(state, root):
    """Drop directory root and everything under it (for other modules)."""
    store = state.files_store
    pre = root.rstrip("/") + "/"
    with state.lock:
        gone = [p for p in store.files if p.startswith(pre)]
        blobs = [store.files.pop(p)["blob"] for p in gone]
        store.dirs = {d for d in store.dirs if d != root and not d.startswith(pre)}
    for b in blobs:
        try:
            os.unlink(b)
        except OSError:
            pass


def move_tree(state, old, new):
    """Re-key directory old (and everything under it) as new (for other modules' renames)."""
    store = state.files_store
    pre = old.rstrip("/") + "/"
    with state.lock:
        for p in [p for p in store.files if p.startswith(pre)]:
            store.files[new + p[len(old):]] = store.files.pop(p)
        store.dirs = {(new + d[len(old):]) if d == old or d.startswith(pre) else d
                      for d in store.dirs}


def _parents(path):
    """Every ancestor directory of path, up to (and including) the volume root."""
    root = _volume_root(path)
    out = []
    p = path.rsplit("/", 1)[0]
    while len(p) >= len(root):
        out.append(p)
        if p == root:
            break
        p = p.rsplit("/", 1)[0]
    return out


def _is_dir(store, path):
    return path in store.dirs or path == _volume_root(path)


def _not_found(what, path):
    return ApiError(404, "NOT_FOUND", "%s '%s' does not exist." % (what, path))


def _http_date(ms):
    return formatdate(ms / 1000.0, usegmt=True)


def _file_headers(f):
    return {"Content-Type": "application/octet-stream", "Last-Modified": _http_date(f["mtime_ms"]),
            "ETag": '"%s"' % f["etag"], "Accept-Ranges": "bytes"}


def _bool_query(req, name):
    v = req.query.get(name, [None])[0]
    if v is None:
        return None
    if v not in ("true", "false"):
        raise invalid_param("Invalid value for %s: %s (expected true or false)" % (name, v))
    return v == "true"


def _commit(state, store, path, blob, size, overwrite):
    """Put a finished blob at path (parents made). 409 when it exists and overwrite is False."""
    with state.lock:
        if path in store.dirs:
            raise ApiError(409, "ALREADY_EXISTS", "A directory exists at '%s'." % path)
        if path in store.files and overwrite is False:
            raise ApiError(409, "ALREADY_EXISTS", "The file being created already exists.")
        for d in _parents(path):
            if d in store.files:
                raise ApiError(409, "ALREADY_EXISTS", "A file exists at '%s'." % d)
        old = store.files.get(path)
        h = hashlib.md5(path.encode() + str(time.monotonic_ns()).encode()).hexdigest()
        store.files[path] = {"blob": blob, "size": size, "mtime_ms": state.now_ms(), "etag": h}
        for d in _parents(path):
            store.dirs.add(d)
    if old is not None:
        try:
            os.unlink(old["blob"])
        except OSError:
            pass


# ---- files ---------------------------------------------------------------------------------

@route("PUT", FILES + "{rest:path}")
def upload(req):
    store = _store(req)
    path = _path(req, req.params["rest"], "write")
    overwrite = _bool_query(req, "overwrite")
    blob = store.blob()
    if req.body_file is not None:
        req.body_file.flush()
        os.replace(req.body_file.name, blob)
        size = req.body_len
    else:
        with open(blob, "wb") as f:
            f.write(req.body)
        size = len(req.body)
    try:
        _commit(req.state, store, path, blob, size, overwrite)
    except ApiError:
        os.unlink(blob)
        raise
    return 204, None, None


def _get_file(req):
    store = _store(req)
    path = _path(req, req.params["rest"], "read")
    with req.state.lock:
        f = store.files.get(path)
        f = dict(f) if f else None
    if f is None:
        raise _not_found("File", path)
    return f


_RANGE_RX = re.compile(r"^bytes=(\d+)-(\d*)$")


@route("GET", FILES + "{rest:path}")
def download(req):
    f = _get_file(req)
    headers = _file_headers(f)
    ius = req.headers.get("if-unmodified-since")
    if ius:
        try:
            limit = parsedate_to_datetime(ius).timestamp()
        except (TypeError, ValueError):
            limit = None
        if limit is not None and f["mtime_ms"] // 1000 > int(limit):
            raise ApiError(412, "PRECONDITION_FAILED",  # (unclear) the real error_code
                           "The file was modified since %s." % ius)
    rng = req.headers.get("range")
    size = f["size"]
    if req.method == "HEAD" or not rng:
        return 200, headers, FileBody(f["blob"], 0, size)
    m = _RANGE_RX.match(rng.strip())
    if not m:
        return 200, headers, FileBody(f["blob"], 0, size)  # unsupported forms are ignored (RFC 9110)
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) else size - 1
    if start >= size or end < start:
        headers["Content-Range"] = "bytes */%d" % size
        raise ApiError(416, "INVALID_PARAMETER_VALUE", "Range not satisfiable: %s" % rng,
                       headers=headers)
    end = min(end, size - 1)
    headers["Content-Range"] = "bytes %d-%d/%d" % (start, end, size)
    return 206, headers, FileBody(f["blob"], start, end - start + 1)


@route("HEAD", FILES + "{rest:path}")
def metadata(req):
    f = _get_file(req)
    return 200, _file_headers(f), FileBody(f["blob"], 0, f["size"])


@route("DELETE", FILES + "{rest:path}")
def delete_file(req):
    store = _store(req)
    path = _path(req, req.params["rest"], "write")
    with req.state.lock:
        f = store.files.pop(path, None)
    if f is None:
        raise _not_found("File", path)
    try:
        os.unlink(f["blob"])
    except OSError:
        pass
    return 204, None, None


# ---- multipart -----------------------------------------------------------------------------

@route("POST", FILES + "{rest:path}")
def file_action(req):
    action = req.query.get("action", [""])[0]
    if action == "initiate-upload":
        return _initiate(req)
    if action == "complete-upload":
        return _complete(req)
    raise invalid_param("Unsupported action: %s" % action)


def _initiate(req):
    store = _store(req)
    path = _path(req, req.params["rest"], "write")
    overwrite = _bool_query(req, "overwrite")
    if not req.state.config["files_presigned_urls"]:
        # (unclear) what a workspace without presigned URLs answers exactly; clients fall back
        # to a single PUT whatever the 4xx/501.
        raise ApiError(501, "NOT_IMPLEMENTED",
                       "Multipart uploads with presigned URLs are not available in this workspace.")
    with req.state.lock:
        if path in store.files and overwrite is False:
            raise ApiError(409, "ALREADY_EXISTS", "The file being created already exists.")
        token = base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=")
        store.sessions[token] = {"path": path, "overwrite": overwrite, "parts": {}}
    return 200, None, {"multipart_upload": {"session_token": token}}


def _session(req, path, token):
    s = _store(req).sessions.get(token or "")
    if s is None or s["path"] != path:
        raise ApiError(404, "NOT_FOUND", "Upload session does not exist or has ended.")
    return s


def _complete(req):
    store = _store(req)
    path = _path(req, req.params["rest"], "write")
    if req.query.get("upload_type", [""])[0] != "multipart":
        raise invalid_param("upload_type must be multipart")
    token = req.query.get("session_token", [""])[0]
    parts = req.json_obj().get("parts")
    if not isinstance(parts, list) or not parts:
        raise invalid_param("parts must be a non-empty list")
    with req.state.lock:
        s = _session(req, path, token)
        prev = 0
        chosen = []
        for i, p in enumerate(parts):
            if not isinstance(p, dict):
                raise invalid_param("parts[%d] must be an object" % i)
            n, etag = p.get("part_number"), p.get("etag")
            if not isinstance(n, int) or n <= prev:
                raise invalid_param("parts must be in ascending part_number order")
            prev = n
            got = s["parts"].get(n)
            if got is None or got[1] != etag:
                raise ApiError(400, "INVALID_PARAMETER_VALUE",
                               "Part %s was not uploaded or its ETag does not match." % n)
            if i + 1 < len(parts) and got[2] < MIN_PART:
                raise ApiError(400, "INVALID_PARAMETER_VALUE",
                               "Part %d is smaller than the minimum part size." % n)
            chosen.append(got)
        del store.sessions[token]
    blob = store.blob()
    size = 0
    with open(blob, "wb") as out:
        for pblob, _, psize in chosen:
            with open(pblob, "rb") as f:
                shutil.copyfileobj(f, out, 1 << 20)
            size += psize
    for pblob, _, _ in s["parts"].values():
        try:
            os.unlink(pblob)
        except OSError:
            pass
    try:
        _commit(req.state, store, path, blob, size, s["overwrite"])
    except ApiError:
        os.unlink(blob)
        raise
    return 200, None, {}


def _sign(kind, token, part, path, date_ms, expires_s):
    msg = ("%s|%s|%s|%s|%d|%d" % (kind, token, part, path, date_ms, expires_s)).encode()
    return hmac.new(_SECRET, msg, hashlib.sha256).hexdigest()


def _presigned(req, kind, token, part, path):
    """An S3-style presigned URL on the other host: the object key in the path, the upload id
    and part number in the query with the X-Amz-* signature parameters."""
    now = req.state.now_ms()
    ttl = req.state.config["files_url_ttl_s"]
    key = PRESIGNED + "bucket" + path
    sig = _sign(kind, token, part, key, now, ttl)
    q = ("partNumber=%d&" % part if kind == "upload" else "") + "uploadId=" + quote(token, safe="")
    return ("%s%s?%s&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=EMU%%2Fs3&"
            "X-Amz-Date=%d&X-Amz-Expires=%d&X-Amz-SignedHeaders=host%%3Bx-amz-server-side-encryption&"
            "X-Amz-Signature=%s" % (req.state.other_base, quote(key), q, now, ttl, sig))


_SSE = [{"name": "x-amz-server-side-encryption", "value": "AES256"}]


@route("POST", "/api/2.0/fs/create-upload-part-urls")
def part_urls(req):
    body = req.json_obj()
    path = _path(req, body.get("path") or "", "write")
    first, count = body.get("start_part_number"), body.get("count")
    if not isinstance(first, int) or first < 1 or not isinstance(count, int) or not 1 <= count <= 100:
        raise invalid_param("start_part_number must be >= 1 and count 1..100")
    if not isinstance(body.get("expire_time"), str):
        raise invalid_param("expire_time is required (RFC 3339)")
    with req.state.lock:
        _session(req, path, body.get("session_token"))
    urls = [{"url": _presigned(req, "upload", body["session_token"], n, path), "part_number": n,
             "headers": list(_SSE)} for n in range(first, first + count)]
    return 200, None, {"upload_part_urls": urls}


@route("POST", "/api/2.0/fs/create-abort-upload-url")
def abort_url(req):
    body = req.json_obj()
    path = _path(req, body.get("path") or "", "write")
    with req.state.lock:
        _session(req, path, body.get("session_token"))
    return 200, None, {"abort_upload_url": {"url": _presigned(req, "abort", body["session_token"], 0, path),
                                            "headers": list(_SSE)}}


# ---- the storage host (second listener) ----------------------------------------------------

def _s3_error(status, code, message):
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
            '<RequestId>%s</RequestId></Error>' % (code, message, uuid.uuid4().hex[:16].upper()))
    return status, {"Content-Type": "application/xml"}, body.encode()


@other_host_route
def storage(req):
    if not req.path.startswith(PRESIGNED):
        return None
    q = {k: v[0] for k, v in req.query.items()}
    token = q.get("uploadId", "")
    kind = "upload" if "partNumber" in q else "abort"
    try:
        part = int(q.get("partNumber", "0"))
    except ValueError:
        return _s3_error(400, "InvalidArgument", "Part number must be an integer")
    if "authorization" in req.headers:
        # The workspace's credentials must never reach the storage host. (Real S3 answers a
        # presigned request that also carries Authorization with 400 InvalidArgument and this
        # message; the emulator answers 403 so that a client treating it as an auth failure is
        # caught either way.)
        return _s3_error(403, "AccessDenied", "Only one auth mechanism allowed; only the "
                         "X-Amz-Algorithm query parameter, Signature query string parameter or the "
                         "Authorization header should be specified")
    try:
        date_ms, ttl = int(q.get("X-Amz-Date", "")), int(q.get("X-Amz-Expires", ""))
    except ValueError:
        return _s3_error(403, "AccessDenied", "Query-string authentication requires the Signature, "
                                              "Expires and AWSAccessKeyId parameters")
    want = _sign(kind, token, part, req.path, date_ms, ttl)
    if not hmac.compare_digest(want, q.get("X-Amz-Signature", "")):
        return _s3_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not "
                                                       "match the signature you provided.")
    if req.state.now_ms() > date_ms + ttl * 1000:
        return _s3_error(403, "AccessDenied", "Request has expired")
    if req.headers.get("x-amz-server-side-encryption") != "AES256":
        return _s3_error(403, "SignatureDoesNotMatch", "There were headers present in the request "
                                                       "which were not signed")
    store = _store(req)
    if kind == "upload":
        if req.method != "PUT":
            return _s3_error(405, "MethodNotAllowed", "The specified method is not allowed.")
        blob = store.blob()
        md5 = hashlib.md5()
        if req.body_file is not None:
            req.body_file.flush()
            with open(req.body_file.name, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    md5.update(chunk)
            os.replace(req.body_file.name, blob)
            size = req.body_len
        else:
            md5.update(req.body)
            with open(blob, "wb") as f:
                f.write(req.body)
            size = len(req.body)
        etag = '"%s"' % md5.hexdigest()
        with req.state.lock:
            s = store.sessions.get(token)
            if s is None:
                os.unlink(blob)
                return _s3_error(404, "NoSuchUpload", "The specified upload does not exist.")
            old = s["parts"].get(part)
            s["parts"][part] = (blob, etag, size)
        if old:
            try:
                os.unlink(old[0])
            except OSError:
                pass
        return 200, {"ETag": etag}, None
    if req.method != "DELETE":
        return _s3_error(405, "MethodNotAllowed", "The specified method is not allowed.")
    with req.state.lock:
        s = store.sessions.pop(token, None)
    if s is None:
        return _s3_error(404, "NoSuchUpload", "The specified upload does not exist.")
    for pblob, _, _ in s["parts"].values():
        try:
            os.unlink(pblob)
        except OSError:
            pass
    return 204, None, None


# ---- directories ---------------------------------------------------------------------------

@route("PUT", DIRS + "{rest:path}")
def mkdirs(req):
    store = _store(req)
    path = _path(req, req.params["rest"], "write")
    with req.state.lock:
        for d in [path] + _parents(path):
            if d in store.files:
                raise ApiError(409, "ALREADY_EXISTS", "A file exists at '%s'." % d)
        store.dirs.add(path)
        for d in _parents(path):
            store.dirs.add(d)
    return 204, None, None


def _children(store, path):
    prefix = path.rstrip("/") + "/"
    names = {}
    for p in store.dirs:
        if p.startswith(prefix) and "/" not in p[len(prefix):]:
            names[p[len(prefix):]] = None
    for p, f in store.files.items():
        if p.startswith(prefix) and "/" not in p[len(prefix):]:
            names[p[len(prefix):]] = f
    return names


@route("GET", DIRS + "{rest:path}")
def list_dir(req):
    store = _store(req)
    path = _path(req, req.params["rest"], "read")
    size = req.query.get("page_size", [None])[0]
    limit = req.state.config["page_size_files"]
    if size is not None:
        try:
            size = int(size)
        except ValueError:
            raise invalid_param("page_size must be an integer")
        if size < 1:
            raise invalid_param("page_size must be positive")
        limit = min(size, limit)
    token = req.query.get("page_token", [""])[0]
    after = ""
    if token:
        try:
            after = base64.urlsafe_b64decode(token.encode() + b"==").decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise invalid_param("Invalid page_token")
    with req.state.lock:
        if not _is_dir(store, path):
            if path in store.files:
                raise ApiError(400, "NOT_A_DIRECTORY", "'%s' is not a directory." % path)  # (unclear)
            raise _not_found("Directory", path)
        kids = _children(store, path)
        names = sorted(n for n in kids if n > after)
        page = names[:limit]
        contents = []
        for n in page:
            f = kids[n]
            e = {"path": path + "/" + n, "name": n, "is_directory": f is None}
            if f is not None:
                e["file_size"] = f["size"]
                e["last_modified"] = f["mtime_ms"]
            contents.append(e)
    out = {"contents": contents}
    if len(names) > limit:
        out["next_page_token"] = base64.urlsafe_b64encode(page[-1].encode()).decode().rstrip("=")
    return 200, None, out


@route("HEAD", DIRS + "{rest:path}")
def dir_metadata(req):
    store = _store(req)
    path = _path(req, req.params["rest"], "read")
    with req.state.lock:
        ok = _is_dir(store, path)
    if not ok:
        raise _not_found("Directory", path)
    return 200, None, None


@route("DELETE", DIRS + "{rest:path}")
def rmdir(req):
    store = _store(req)
    path = _path(req, req.params["rest"], "write")
    with req.state.lock:
        if path not in store.dirs:
            raise _not_found("Directory", path)
        if _children(store, path):
            raise ApiError(400, "DIRECTORY_NOT_EMPTY",  # (unclear) 400 vs 409
                           "Directory '%s' is not empty." % path)
        store.dirs.discard(path)
    return 204, None, None
