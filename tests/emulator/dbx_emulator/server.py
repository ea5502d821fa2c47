"""HTTP(S) front end: a lean HTTP/1.1 keep-alive handler on ThreadingHTTPServer.

Each response goes out in one sendall (status line + headers + body), TCP_NODELAY is set on
accepted sockets, and requests are parsed without the email-based header parser to keep the
per-request cost low. Fault rules, auth and the request log are applied here.
"""

import http.server
import itertools
import json
import os
import socket
import socketserver
import ssl
import sys
import tempfile
import time
import traceback
import uuid
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import parse_qs, unquote

from . import apis, hostile
from .errors import ApiError, code_for_status, error_body, invalid_param, malformed

_REASONS = {s.value: s.phrase for s in HTTPStatus}
_MAX_LINE = 65536
_MAX_HEADERS = 200
AUTH_PREFIXES = ("/api/", "/serving-endpoints/")
CONTROL_PREFIX = "/__emulator/"
MALFORMED_DEFAULT = b'{"cluster_id": "abc", "state": '
DRIP_INTERVAL_MS = 10
ENDLESS_PAUSE_S = 0.005

_date_cache = [0, ""]


def _http_date():
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[0] = now
        _date_cache[1] = formatdate(now, usegmt=True)
    return _date_cache[1]


class FileBody:
    """A response body streamed from a region of a file (Files API downloads): memory stays at
    one chunk whatever the size."""
    CHUNK = 1 << 20

    def __init__(self, path, offset, length, ctype="application/octet-stream"):
        self.path = path
        self.offset = offset
        self.length = length
        self.ctype = ctype

    def chunks(self, limit=None):
        left = self.length if limit is None else min(limit, self.length)
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            while left > 0:
                data = f.read(min(self.CHUNK, left))
                if not data:
                    break
                left -= len(data)
                yield data


# Request bodies of these (method, path prefix, server) go to a temp file in chunks, never
# into memory or verbatim into the request log: Files API uploads and presigned part PUTs.
STREAMED_BODIES = [("PUT", "/api/2.0/fs/files/", None), ("PUT", "/", "other")]
STREAM_CHUNK = 1 << 20


class Request:
    """What handlers see."""
    __slots__ = ("method", "target", "path", "raw_path", "query_string", "query", "headers",
                 "body", "json", "json_ok", "server", "scheme", "request_id", "params",
                 "principal", "state", "client", "local_host", "local_port",
                 "body_file", "body_len")

    @property
    def base_url(self):
        host = self.headers.get("host") or "%s:%d" % (self.local_host, self.local_port)
        return "%s://%s" % (self.scheme, host)

    def json_obj(self):
        """The body as a JSON object ({} when empty); 400 when not JSON / not an object."""
        if not self.body:
            return {}
        if not self.json_ok:
            raise malformed("Could not parse request object: invalid JSON in request body")
        if not isinstance(self.json, dict):
            raise invalid_param("Request body must be a JSON object")
        return self.json

    def args(self):
        """Parameters: for GET/DELETE/HEAD the query string (first value of each key) over a
        JSON object body if any; for other methods the JSON body object."""
        if self.method in ("GET", "DELETE", "HEAD"):
            out = {}
            if self.body and self.json_ok and isinstance(self.json, dict):
                out.update(self.json)
            for k, v in self.query.items():
                out[k] = v[0]
            return out
        return self.json_obj()

    def form(self):
        """application/x-www-form-urlencoded body as {key: first value}."""
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            text = self.body.decode("latin-1")
        return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}


def _json_bytes(obj):
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def build_head(status, headers, request_id, ctype, length, close=False):
    """Status line + headers. length None = Transfer-Encoding: chunked."""
    lines = ["HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, "Status"))]
    have_ct = False
    if headers:
        for k, v in headers.items():
            lk = k.lower()
            if lk in ("content-length", "connection", "x-request-id"):
                continue
            if lk == "content-type":
                have_ct = True
            lines.append("%s: %s\r\n" % (k, v))
    if ctype and not have_ct:
        lines.append("Content-Type: %s\r\n" % ctype)
    if length is None:
        lines.append("Transfer-Encoding: chunked\r\n")
    else:
        lines.append("Content-Length: %d\r\n" % length)
    lines.append("x-request-id: %s\r\n" % request_id)
    lines.append("Date: %s\r\n" % _http_date())
    if close:
        lines.append("Connection: close\r\n")
    lines.append("\r\n")
    return "".join(lines).encode("latin-1")


def build_response(status, headers, body, request_id, close=False, head=False):
    """Returns (head_bytes, body_bytes). headers: dict or None. A FileBody is returned as is
    (the caller streams it)."""
    ctype = None
    if isinstance(body, FileBody):
        return (build_head(status, headers, request_id, body.ctype, body.length, close),
                None if head else body)
    if body is None:
        body = b""
    elif isinstance(body, (bytes, bytearray)):
        ctype = "application/json"
    elif isinstance(body, str):
        body = body.encode("utf-8")
        ctype = "text/plain; charset=utf-8"
    else:
        body = _json_bytes(body)
        ctype = "application/json"
    return (build_head(status, headers, request_id, ctype, len(body), close),
            b"" if head else bytes(body))


class _Close(Exception):
    """Stop serving this connection (after an optional raw error answer)."""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "dbx-emulator"
    disable_nagle_algorithm = False  # done in Server.finish_request

    def log_message(self, fmt, *args):  # never reverse-DNS, respect --quiet
        if not self.server.quiet:
            sys.stderr.write("%s - %s\n" % (self.client_address[0], fmt % args))

    def handle(self):
        self.close_connection = False
        try:
            while not self.close_connection:
                self.handle_one()
        except (_Close, OSError, ValueError):
            pass

    # ---- low-level I/O -------------------------------------------------------------------
    def _raw_error(self, status, message):
        rid = str(uuid.uuid4())
        h, b = build_response(status, None, error_body(code_for_status(status), message, rid),
                              rid, close=True)
        try:
            self.connection.sendall(h + b)
        except OSError:
            pass
        raise _Close()

    def _readline(self):
        line = self.rfile.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            self._raw_error(431, "Line too long")
        return line

    def _spool(self):
        d = getattr(self.server.state, "spool_dir", None)
        return tempfile.NamedTemporaryFile(dir=d, prefix="body-", delete=False)

    def _read_to(self, f, n):
        """Copy n body bytes to f in chunks; the connection ends if the client stops early."""
        left = n
        while left > 0:
            data = self.rfile.read(min(STREAM_CHUNK, left))
            if not data:
                f.close()
                os.unlink(f.name)
                raise _Close()
            f.write(data)
            left -= len(data)
        f.flush()
        return n

    def _read_chunked(self, sink=None):
        parts = []
        total = 0
        while True:
            line = self._readline()
            if not line:
                raise _Close()
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self._raw_error(400, "Bad chunk size")
            if size == 0:
                break
            if sink is not None:
                try:
                    self._read_to(sink, size)
                except _Close:
                    raise
                total += size
                self.rfile.readline(_MAX_LINE + 1)
                continue
            data = self.rfile.read(size)
            if len(data) < size:
                raise _Close()
            parts.append(data)
            total += size
            self.rfile.readline(_MAX_LINE + 1)  # CRLF after the chunk
        while True:  # trailers
            line = self._readline()
            if not line or line in (b"\r\n", b"\n"):
                break
        if sink is not None:
            sink.flush()
            return total
        return b"".join(parts)

    def _send(self, data):
        self.connection.sendall(data)

    # ---- one request ---------------------------------------------------------------------
    def handle_one(self):
        line = self._readline()
        while line in (b"\r\n", b"\n"):
            line = self._readline()
        if not line:
            raise _Close()
        t0 = time.perf_counter()
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            self._raw_error(400, "Bad request line")
        method, target, version = parts
        headers = {}
        n = 0
        while True:
            h = self._readline()
            if not h:
                raise _Close()
            if h in (b"\r\n", b"\n"):
                break
            n += 1
            if n > _MAX_HEADERS:
                self._raw_error(431, "Too many headers")
            name, sep, value = h.decode("latin-1").partition(":")
            if not sep:
                self._raw_error(400, "Bad header line")
            name = name.strip().lower()
            value = value.strip()
            if name in headers:
                headers[name] = headers[name] + ", " + value
            else:
                headers[name] = value
        conn_hdr = headers.get("connection", "").lower()
        if version == "HTTP/1.0":
            keep = "keep-alive" in conn_hdr
        else:
            keep = "close" not in conn_hdr
        # body
        t_path = target
        if t_path.startswith(("http://", "https://")):
            slash = t_path.find("/", t_path.find("//") + 2)
            t_path = t_path[slash:] if slash >= 0 else "/"
        t_path = t_path.partition("?")[0]
        streamed = any(method.upper() == m and t_path.startswith(pre) and
                       (srv_kind is None and self.server.kind != "other" or srv_kind == self.server.kind)
                       for m, pre, srv_kind in STREAMED_BODIES)
        body_file, body_len = None, 0
        te = headers.get("transfer-encoding")
        expect = headers.get("expect", "").lower() == "100-continue" and version != "HTTP/1.0"
        if te and te.lower() != "identity":
            if "chunked" not in te.lower():
                self._raw_error(501, "Unsupported transfer-encoding")
            if expect:
                self._send(b"HTTP/1.1 100 Continue\r\n\r\n")
            if streamed:
                body_file = self._spool()
                body_len = self._read_chunked(body_file)
                body = b""
            else:
                body = self._read_chunked()
        else:
            cl = headers.get("content-length")
            if cl:
                try:
                    cl = int(cl)
                    if cl < 0:
                        raise ValueError
                except ValueError:
                    self._raw_error(400, "Bad Content-Length")
                if cl and expect:
                    self._send(b"HTTP/1.1 100 Continue\r\n\r\n")
                if streamed:
                    body_file = self._spool()
                    body_len = self._read_to(body_file, cl)
                    body = b""
                else:
                    body = self.rfile.read(cl) if cl else b""
                    if len(body) < cl:
                        raise _Close()
            else:
                body = b""
        self.close_connection = not keep

        req = Request()
        req.method = method.upper()
        req.target = target
        if target.startswith(("http://", "https://")):  # absolute-form
            slash = target.find("/", target.find("//") + 2)
            target = target[slash:] if slash >= 0 else "/"
        raw_path, _, qs = target.partition("?")
        raw_path = raw_path.split("#", 1)[0]
        req.raw_path = raw_path
        req.path = unquote(raw_path) if "%" in raw_path else raw_path
        req.query_string = qs
        req.query = parse_qs(qs, keep_blank_values=True) if qs else {}
        req.headers = headers
        req.body = body
        req.body_file = body_file
        req.body_len = body_len if body_file is not None else len(body)
        req.json = None
        req.json_ok = False
        if body:
            try:
                req.json = json.loads(body)
                req.json_ok = True
            except (ValueError, UnicodeDecodeError, RecursionError):
                pass
        srv = self.server
        req.server = srv.kind
        req.scheme = "https" if srv.tls_context is not None else "http"
        req.request_id = str(uuid.uuid4())
        req.params = {}
        req.principal = None
        req.state = srv.state
        req.client = self.client_address
        req.local_host, req.local_port = srv.server_address[:2]
        try:
            status = self.dispatch(req)
        finally:
            if body_file is not None:
                body_file.close()
                try:
                    os.unlink(body_file.name)
                except OSError:
                    pass  # a handler moved it into place
        if not srv.quiet:
            sys.stderr.write('%s - "%s %s %s" %s %.2fms\n' % (
                self.client_address[0], method, req.target, version,
                "-" if status is None else status, (time.perf_counter() - t0) * 1000))

    # ---- dispatch --------------------------------------------------------------------------
    def _log(self, req, status, fault_id):
        if req.body_file is not None:
            text = "<%d bytes>" % req.body_len  # streamed: never kept verbatim
        else:
            try:
                text = req.body.decode("utf-8")
            except UnicodeDecodeError:
                text = req.body.decode("utf-8", "replace")
        text, logged_json = apis.logged_body(req.path, text, req.json)
        req.state.log_request({
            "seq": 0, "server": req.server, "method": req.method, "path": req.path,
            "query": req.query, "headers": dict(req.headers), "body": text,
            "json": logged_json, "status": status, "fault": fault_id,
        })

    def _respond(self, req, status, headers, body):
        h, b = build_response(status, headers, body, req.request_id, close=self.close_connection,
                              head=req.method == "HEAD")
        if isinstance(b, FileBody):
            self._send(h)
            for c in b.chunks():
                self._send(c)
            return
        self._send(h + (b or b""))

    def dispatch(self, req):
        path = req.path
        if path.startswith(CONTROL_PREFIX):
            status, headers, body = self.process(req, control=True)
            self._respond(req, status, headers, body)
            return status
        rule = req.state.match_fault(req.method, path, req.server)
        if req.server == "other" and rule is None:
            answer = apis.other_host(req)  # presigned storage URLs (apis/files.py)
            if answer is None:
                answer = (200, None, {"other_host": True})
            status, headers, body = answer
            self._log(req, status, None)
            self._respond(req, status, headers, body)
            return status
        if rule is None:
            status, headers, body = self.process(req)
            self._log(req, status, None)
            self._respond(req, status, headers, body)
            return status
        return getattr(self, "_fault_" + rule.action)(req, rule)

    # ---- fault actions (state.FAULT_ACTIONS); each logs the request and returns the status ----
    def _answer(self, req, rule, status, headers, body):
        self._log(req, status, rule.id)
        self._respond(req, status, headers, body)
        return status

    def _hang_up(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise _Close()

    @staticmethod
    def _with_rule_headers(headers, spec):
        extra = spec.get("headers")
        if extra:
            headers = dict(headers or {})
            headers.update(extra)
        return headers

    def _fault_status(self, req, rule):
        spec = rule.spec
        status = spec["status"]
        if "body" in spec and spec["body"] is not None:
            body = spec["body"]
        elif status >= 400:
            body = error_body(code_for_status(status), "Injected fault %d" % rule.id,
                              req.request_id)
        else:
            body = {}
        return self._answer(req, rule, status, spec.get("headers") or None, body)

    def _fault_delay(self, req, rule):
        time.sleep(rule.spec["delay_ms"] / 1000.0)
        status, headers, body = self.process(req)
        return self._answer(req, rule, status, headers, body)

    def _fault_drop(self, req, rule):
        self._log(req, None, rule.id)
        self._hang_up()

    def _fault_drop_after(self, req, rule):
        self.process(req)  # the request takes effect; the answer never goes out
        self._log(req, None, rule.id)
        self._hang_up()

    def _fault_malformed(self, req, rule):
        body = rule.spec.get("body")
        body = body.encode("utf-8") if body is not None else MALFORMED_DEFAULT
        headers = self._with_rule_headers({"Content-Type": "application/json"}, rule.spec)
        return self._answer(req, rule, 200, headers, body)

    def _fault_redirect(self, req, rule):
        spec = rule.spec
        loc = spec.get("location")
        if not loc:
            loc = (req.state.other_base or "") + req.raw_path + (
                "?" + req.query_string if req.query_string else "")
        headers = self._with_rule_headers({"Location": loc}, spec)
        return self._answer(req, rule, spec.get("status", 302), headers, None)

    def _fault_truncate(self, req, rule):
        status, headers, body = self.process(req)
        h, b = build_response(status, headers, body, req.request_id, close=True)
        self._log(req, status, rule.id)
        if isinstance(b, FileBody):  # half the file, then the connection drops
            self._send(h)
            for c in b.chunks(b.length // 2):
                self._send(c)
            self._hang_up()
        self._send(h + b[:len(b) // 2])
        self._hang_up()

    def _fault_drip(self, req, rule):
        spec = rule.spec
        chunk = spec.get("chunk", 1)
        pause = spec.get("interval_ms", DRIP_INTERVAL_MS) / 1000.0
        status, headers, body = self.process(req)
        h, b = build_response(status, headers, body, req.request_id, close=self.close_connection,
                              head=req.method == "HEAD")
        if isinstance(b, FileBody):
            b = b"".join(b.chunks())
        self._log(req, status, rule.id)
        data = memoryview(h + (b or b""))
        for off in range(0, len(data), chunk):
            if off:
                time.sleep(pause)
            self._send(data[off:off + chunk])
        return status

    def _stream(self, req, rule, status, headers, length, chunks):
        """Send a JSON body from a chunk iterator: Content-Length when length is known, else
        Transfer-Encoding: chunked (one HTTP chunk per item). Memory stays at one chunk."""
        headers = self._with_rule_headers(headers, rule.spec)
        self._log(req, status, rule.id)
        self._send(build_head(status, headers, req.request_id, "application/json", length,
                              close=self.close_connection))
        if req.method == "HEAD":
            return status
        send = self._send
        if length is not None:
            for c in chunks:
                send(c)
            return status
        for c in chunks:
            if c:
                send(b"%x\r\n%s\r\n" % (len(c), c))
        send(b"0\r\n\r\n")
        return status

    def _fault_huge(self, req, rule):
        spec = rule.spec
        length, chunks = hostile.huge_body(spec["bytes"])
        headers = None
        if spec.get("gzip"):
            length, chunks = None, hostile.gzip_stream(chunks)
            headers = {"Content-Encoding": "gzip"}
        elif spec.get("chunked"):
            length = None
        return self._stream(req, rule, spec.get("status", 200), headers, length, chunks)

    def _fault_gzip_bomb(self, req, rule):
        spec = rule.spec
        length, parts = hostile.bomb_body(spec["bytes"])
        return self._stream(req, rule, spec.get("status", 200), {"Content-Encoding": "gzip"},
                            length, hostile.bomb_chunks(parts))

    def _fault_deep(self, req, rule):
        spec = rule.spec
        status = spec.get("status", 200)
        code = spec.get("error_code", "INVALID_PARAMETER_VALUE") if status >= 400 else None
        length, chunks = hostile.deep_body(spec["depth"], spec.get("shape", "array"), code)
        return self._stream(req, rule, status, None, length, chunks)

    def _fault_endless_headers(self, req, rule):
        limit = rule.spec["header_bytes"]  # -1 = until the client goes away
        self._log(req, 200, rule.id)
        self.close_connection = True
        sent = 0
        for data in itertools.chain((hostile.ENDLESS_STATUS_LINE,), hostile.filler_headers()):
            if limit >= 0:
                data = data[:limit - sent]
            self._send(data)
            sent += len(data)
            if limit < 0:
                time.sleep(ENDLESS_PAUSE_S)  # pace: a slow, never-ending header block
            elif sent >= limit:
                break
        self._hang_up()

    def process(self, req, control=False):
        """Auth + routing + handler; always returns (status, headers, body)."""
        if req.server == "other" and not control:
            answer = apis.other_host(req)
            return answer if answer is not None else (200, None, {"other_host": True})
        try:
            if not control and req.path.startswith(AUTH_PREFIXES):
                auth = req.headers.get("authorization")
                if not auth:
                    raise ApiError(401, "UNAUTHENTICATED",
                                   "Credential was not sent or was of an unsupported type for this API.")
                scheme, _, token = auth.partition(" ")
                token = token.strip()
                if scheme.lower() != "bearer" or not token:
                    raise ApiError(401, "UNAUTHENTICATED",
                                   "Credential was not sent or was of an unsupported type for this API.")
                principal, why = req.state.check_token(token)
                if principal is None:
                    raise ApiError(401, "UNAUTHENTICATED", why)
                req.principal = principal
            fn, params, allowed = apis.lookup(req.method, req.path)
            if fn is None:
                if allowed:
                    raise ApiError(405, "BAD_REQUEST", "Method %s is not allowed for %s" % (
                        req.method, req.path), headers={"Allow": ", ".join(allowed)})
                raise ApiError(404, "ENDPOINT_NOT_FOUND",
                               "No API found for '%s %s'" % (req.method, req.path))
            req.params = params
            status, headers, body = fn(req)
            return status, headers, body
        except ApiError as e:
            return e.status, e.headers, error_body(e.error_code, e.message, req.request_id)
        except Exception as e:  # never let a handler bug kill the connection
            traceback.print_exc()
            return 500, None, error_body("INTERNAL_ERROR", "%s: %s" % (type(e).__name__, e),
                                         req.request_id)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, addr, state, kind="main", tls_context=None, quiet=False):
        self.state = state
        self.kind = kind
        self.tls_context = tls_context
        self.quiet = quiet
        super().__init__(addr, Handler)

    def server_bind(self):
        # HTTPServer.server_bind does getfqdn() (a reverse DNS lookup); skip it
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host
        self.server_port = port

    def finish_request(self, request, client_address):
        try:
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        if self.tls_context is None:
            self.RequestHandlerClass(request, client_address, self)
            return
        # TLS handshake in the connection's own thread, not in the accept loop
        tls = None
        try:
            request.settimeout(10)
            tls = self.tls_context.wrap_socket(request, server_side=True)
            tls.settimeout(None)
            self.RequestHandlerClass(tls, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            if tls is not None:
                try:
                    tls.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                tls.close()

    def handle_error(self, request, client_address):
        if not self.quiet:
            traceback.print_exc()


def make_tls_context(cert_file, key_file):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_file, key_file)
    try:
        ctx.set_alpn_protocols(["http/1.1"])
    except (NotImplementedError, AttributeError):
        pass
    return ctx
