"""SQL Statement Execution API 2.0 (/api/2.0/sql/statements) on the sqlite-backed engine
(sql_engine.py, sql_exec.py), with EXTERNAL_LINKS served by the second host (127.0.0.2).

States follow the virtual clock: a statement is PENDING for sql_pending_ms, RUNNING for
sql_running_ms, then runs (in the request that first observes it due) and is SUCCEEDED or
FAILED. A statement whose wait_timeout covers that time is answered final at once (the emulator
does not sleep). Results are serialized once, chunk by chunk, into a file; INLINE chunks are
read back from it and external links stream byte ranges of it.
"""

import base64
import csv
import datetime
import hashlib
import hmac
import io
import json
import os
import re
import time
import traceback
import uuid
from urllib.parse import quote

from . import on_reset, other_host_route, route
from ..errors import ApiError, invalid_param
from ..server import FileBody
from .. import sql_arrow
from ..sql_engine import Engine
from ..sql_exec import run_statement
from ..sql_lexer import MAX_STATEMENT, SqlError, quote_ident
from ..sql_types import parse_type_text, bind_value
from ..state import register_config

BASE = "/api/2.0/sql/statements"
LINKS = "/sql-results/"

register_config("sql_chunk_rows", 1000, (int,), 1)
register_config("sql_link_ttl_s", 900, (int, float), 1)
register_config("sql_pending_ms", 0, (int, float), 0)
register_config("sql_running_ms", 0, (int, float), 0)
register_config("sql_result_ttl_s", 3600, (int, float), 1)
# INLINE results above this many bytes (of JSON) fail, as the real 25 MiB INLINE limit
register_config("sql_inline_max_bytes", 25 * 1024 * 1024, (int,), 1)
# VACUUM ... RETAIN below 168 hours fails unless this is false (the real check is a Spark conf)
register_config("sql_vacuum_retention_check", True)
# "running": an id the warehouses module does not know acts as a RUNNING warehouse (except ids
# starting with "missing"); "reject": 404 as the real service
register_config("sql_unknown_warehouses", "reject", (str,), None)
# a statement running longer than this (real seconds) in sqlite is stopped and FAILS, so that a
# runaway query (a cross join of two big ranges) cannot hold the emulator
register_config("sql_max_exec_s", 300, (int, float), 1)

_EXT = {"JSON_ARRAY": "json", "CSV": "csv", "ARROW_STREAM": "arrow"}
_CTYPE = {"json": "application/json", "csv": "text/csv", "arrow": "application/vnd.apache.arrow.stream"}
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELED", "CLOSED")
FORGET_MS = 12 * 3600 * 1000
_SECRET = os.urandom(16)


class Stmt:
    def __init__(self, sid):
        self.id = sid
        self.state = "PENDING"
        self.error = None          # (error_code, message, sql_state)
        self.cols = None
        self.chunks = []           # [{"chunk_index", "row_offset", "row_count", "offset", "byte_count"}]
        self.total_rows = 0
        self.total_bytes = 0
        self.truncated = False
        self.file = None
        self.done_ms = None
        self.sse_key = base64.b64encode(os.urandom(32)).decode()


@on_reset
def _reset(state):
    old = getattr(state, "uc", None)
    state.uc = Engine(state)
    state.sql_statements = {}
    if old is not None:
        old.close()


# ---- request parsing -----------------------------------------------------------------------

_WAIT_RX = re.compile(r"^(\d+)s$")
_NAME_RX = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _parse_request(body):
    sql = body.get("statement")
    if not isinstance(sql, str) or not sql.strip():
        raise invalid_param("statement is required and must be a non-empty string")
    if len(sql.encode("utf-8")) > MAX_STATEMENT:
        raise invalid_param("statement is too long: the maximum query text size is 16 MiB")
    wid = body.get("warehouse_id")
    if not isinstance(wid, str) or not wid:
        raise invalid_param("warehouse_id is required")
    disp = body.get("disposition", "INLINE")
    if disp not in ("INLINE", "EXTERNAL_LINKS"):
        raise invalid_param("Invalid disposition '%s': must be INLINE or EXTERNAL_LINKS" % disp)
    fmt = body.get("format", "JSON_ARRAY")
    if fmt not in ("JSON_ARRAY", "ARROW_STREAM", "CSV"):
        raise invalid_param("Invalid format '%s': must be JSON_ARRAY, ARROW_STREAM or CSV" % fmt)
    if disp == "INLINE" and fmt != "JSON_ARRAY":
        raise invalid_param("The %s format is not supported with the INLINE disposition; use "
                            "EXTERNAL_LINKS" % fmt)
    wait = body.get("wait_timeout", "10s")
    m = _WAIT_RX.match(wait) if isinstance(wait, str) else None
    if not m or not (int(m.group(1)) == 0 or 5 <= int(m.group(1)) <= 50):
        raise invalid_param("wait_timeout must be 0s or between 5s and 50s, got '%s'" % (wait,))
    on_wait = body.get("on_wait_timeout", "CONTINUE")
    if on_wait not in ("CONTINUE", "CANCEL"):
        raise invalid_param("on_wait_timeout must be CONTINUE or CANCEL")
    limits = {}
    for k in ("row_limit", "byte_limit"):
        v = body.get(k)
        if v is None:
            continue
        if isinstance(v, str) and v.isdigit():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise invalid_param("%s must be a non-negative integer" % k)
        limits[k] = v
    for k in ("catalog", "schema"):
        if body.get(k) is not None and not isinstance(body.get(k), str):
            raise invalid_param("%s must be a string" % k)
    params = body.get("parameters") or []
    if not isinstance(params, list):
        raise invalid_param("parameters must be a list")
    seen = {}
    for prm in params:
        if not isinstance(prm, dict) or not isinstance(prm.get("name"), str) or \
                not _NAME_RX.match(prm["name"]):
            raise invalid_param("Each parameter needs a valid 'name'")
        v = prm.get("value")
        if v is not None and not isinstance(v, str):
            raise invalid_param("Parameter '%s': value must be a string" % prm["name"])
        t = prm.get("type")
        if t is not None and not isinstance(t, str):
            raise invalid_param("Parameter '%s': type must be a string" % prm["name"])
        seen[prm["name"].lower()] = (v, t)
    tags = body.get("query_tags")
    if tags is not None:
        if not isinstance(tags, list) or not all(
                isinstance(t, dict) and isinstance(t.get("key"), str) and t["key"] and
                (t.get("value") is None or isinstance(t.get("value"), str)) for t in tags):
            raise invalid_param("query_tags must be a list of {key (non-empty), value} objects")
    return {"sql": sql, "warehouse_id": wid, "disposition": disp, "format": fmt,
            "wait_s": int(m.group(1)), "on_wait": on_wait, "limits": limits,
            "catalog": body.get("catalog"), "schema": body.get("schema"), "params": seen}


def _typed_params(raw):
    """name -> (sqlite value, Col); a bad type or value raises SqlError (FAILED)."""
    out = {}
    for name, (v, t) in raw.items():
        col = parse_type_text(t or "STRING")
        out[name] = (bind_value(v, col, name), col)
    return out


# ---- warehouses ------------------------------------------------------------------------------

def _warehouse_state(state, wid):
    """RUNNING / STOPPED / ... through apis/warehouses.py (h/warehouses) when it is there: a
    statement on a STOPPED warehouse starts it (start_warehouse) and stays PENDING meanwhile;
    every statement counts as activity (touch_warehouse). Unknown ids: 404 when they start with
    'missing' or config sql_unknown_warehouses is "reject" (the default, as the real service);
    with "running", an unknown id acts as a RUNNING warehouse (for clients tested without
    creating one)."""
    try:
        from . import warehouses as wh
    except ImportError:
        wh = None
    strict = state.config.get("sql_unknown_warehouses") == "reject"
    if wh is not None and hasattr(wh, "known_warehouse"):
        if wh.known_warehouse(state, wid) is not None:
            st = wh.warehouse_state(state, wid)
            if st in ("STOPPED", "STOPPING") and hasattr(wh, "start_warehouse"):
                wh.start_warehouse(state, wid)
                st = wh.warehouse_state(state, wid)
            if hasattr(wh, "touch_warehouse"):
                wh.touch_warehouse(state, wid)
            return st
        strict = True if wid.startswith("missing") else strict
    elif wid.startswith("missing"):
        strict = True
    if strict:
        # (unclear: the real code / message for an unknown warehouse in statement execution)
        raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", "Warehouse %s does not exist." % wid)
    return "RUNNING"


# ---- the state machine -------------------------------------------------------------------------

def _new_id():
    h = "01f0" + uuid.uuid4().hex[4:]
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def _advance(state, st, now):
    if st.state in ("PENDING", "RUNNING"):
        if st.start_ms is None:
            try:
                wst = _warehouse_state(state, st.req["warehouse_id"])
            except ApiError:  # deleted while the statement waited
                st.state = "FAILED"
                st.error = ("NOT_FOUND", "Warehouse %s does not exist."
                            % st.req["warehouse_id"], None)
                st.done_ms = now
                return
            if wst != "RUNNING":
                return
            st.start_ms = now
        if now >= st.start_ms + st.pending_ms:
            st.state = "RUNNING"
        if now >= st.start_ms + st.pending_ms + st.running_ms:
            _execute(state, st, now)
    elif st.state == "SUCCEEDED" and now >= st.done_ms + st.result_ttl_ms:
        _free(st)
        st.state = "CLOSED"


def _free(st):
    if st.file:
        try:
            os.unlink(st.file)
        except OSError:
            pass
        st.file = None


def _sweep(state, now):
    for sid in list(state.sql_statements):
        st = state.sql_statements[sid]
        if st.state == "SUCCEEDED" and now >= st.done_ms + st.result_ttl_ms:
            _free(st)
            st.state = "CLOSED"
        if st.state in TERMINAL and st.done_ms is not None and now >= st.done_ms + FORGET_MS:
            _free(st)
            del state.sql_statements[sid]


def _execute(state, st, now):
    eng = state.uc
    req = st.req
    deadline = time.monotonic() + state.config["sql_max_exec_s"]
    eng.db.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 200000)
    try:
        params = _typed_params(req["params"])
        res = run_statement(eng, req["sql"], params, req["catalog"], req["schema"],
                            st.principal, now)
        try:
            _serialize(state, st, res)
        finally:
            if res.table:
                eng.db.execute("DROP TABLE IF EXISTS %s" % quote_ident(res.table))
        st.state = "SUCCEEDED"
    except SqlError as e:
        st.state = "FAILED"
        st.error = (e.error_code, e.message, e.sql_state)
    except Exception as e:  # an emulator bug: a FAILED statement, not a broken connection
        traceback.print_exc()
        _free(st)
        st.state = "FAILED"
        st.error = ("INTERNAL_ERROR", "[INTERNAL_ERROR] %s: %s" % (type(e).__name__, e), "XX000")
    finally:
        eng.db.set_progress_handler(None, 0)
    st.done_ms = now


def _out_select(res):
    return (", ".join(c.out_expr(quote_ident(n)) for c, n in zip(res.cols, res.sqnames)),
            quote_ident(res.table or ""))


def _serialize(state, st, res):
    """Writes every chunk to one file; fills st.chunks / totals / truncated. INLINE results over
    sql_inline_max_bytes fail the statement."""
    eng = state.uc
    db = eng.db
    req = st.req
    cols = res.cols
    st.cols = cols
    count = 0
    if res.table:
        count = db.execute("SELECT count(*) FROM %s" % quote_ident(res.table)).fetchone()[0]
    row_limit = req["limits"].get("row_limit")
    byte_limit = req["limits"].get("byte_limit")
    total = count
    if row_limit is not None and count > row_limit:
        total, st.truncated = row_limit, True
    per = state.config["sql_chunk_rows"]
    fmt = req["format"]
    path = os.path.join(eng.dir, "result-%s.%s" % (st.id, _EXT[fmt]))
    st.file = path
    exprs, tbl = _out_select(res)
    if not cols:
        total = 0
    budget = byte_limit
    schema = sql_arrow.schema_message(cols) if fmt == "ARROW_STREAM" else None
    offset = 0
    inline_max = state.config["sql_inline_max_bytes"]
    with open(path, "wb") as f:
        row = 0
        while row < total:
            n = min(per, total - row)
            lo, hi = row + 1, row + n
            if fmt == "ARROW_STREAM":
                data = _arrow_chunk(db, res, tbl, lo, hi, schema)
                if budget is not None and len(data) > budget:
                    keep = n
                    while keep > 0 and len(data) > budget:  # halve until it fits
                        keep //= 2
                        data = _arrow_chunk(db, res, tbl, lo, lo + keep - 1, schema)
                    st.truncated = True
                    total = row + keep
                    if keep == 0:
                        break
                    n = keep
            elif fmt == "CSV":
                data = _csv_chunk(db, res, tbl, lo, hi, header=(row == 0))
            else:
                data = db.execute(
                    "SELECT json_group_array(json_array(%s)) FROM (SELECT * FROM %s WHERE rowid "
                    "BETWEEN ? AND ? ORDER BY rowid)" % (exprs, tbl), (lo, hi)).fetchone()[0].encode()
            if budget is not None and len(data) > budget and fmt != "ARROW_STREAM":
                # cut this chunk to the rows that fit
                sizes = [r[0] for r in db.execute(
                    "SELECT length(CAST(json_array(%s) AS BLOB)) FROM %s WHERE rowid BETWEEN ? AND ? "
                    "ORDER BY rowid" % (exprs, tbl), (lo, hi))]
                used, keep = 2, 0
                for s in sizes:
                    if used + s + (1 if keep else 0) > budget:
                        break
                    used += s + (1 if keep else 0)
                    keep += 1
                st.truncated = True
                total = row + keep
                if keep == 0:
                    break
                n, hi = keep, row + keep
                if fmt == "CSV":
                    data = _csv_chunk(db, res, tbl, lo, hi, header=(row == 0))
                else:
                    data = db.execute(
                        "SELECT json_group_array(json_array(%s)) FROM (SELECT * FROM %s WHERE rowid "
                        "BETWEEN ? AND ? ORDER BY rowid)" % (exprs, tbl), (lo, hi)).fetchone()[0].encode()
            f.write(data)
            st.chunks.append({"chunk_index": len(st.chunks), "row_offset": row, "row_count": n,
                              "offset": offset, "byte_count": len(data)})
            offset += len(data)
            if budget is not None:
                budget -= len(data)
            if req["disposition"] == "INLINE" and offset > inline_max:
                raise SqlError(None, None,
                               "The result exceeds the inline limit of %d bytes (INLINE "
                               "disposition); use disposition EXTERNAL_LINKS." % inline_max,
                               error_code="BAD_REQUEST")
            row += n
    st.total_rows = total
    st.total_bytes = offset


def _arrow_chunk(db, res, tbl, lo, hi, schema):
    rows = db.execute("SELECT %s FROM %s WHERE rowid BETWEEN ? AND ? ORDER BY rowid" % (
        # complex values (STRUCT / ARRAY / MAP) go as their JSON text, as in JSON_ARRAY
        ", ".join(c.out_expr(quote_ident(n)) if c.sub is not None else quote_ident(n)
                  for c, n in zip(res.cols, res.sqnames)), tbl), (lo, hi)).fetchall()
    return sql_arrow.stream(res.cols, rows, schema)


def _csv_field(expr):
    """SQL for one CSV field (RFC 4180, QUOTE_MINIMAL; NULL as null, as the reference says)."""
    return ("CASE WHEN (%s) IS NULL THEN 'null' WHEN instr(%s, '\"') OR instr(%s, ',') OR "
            "instr(%s, char(10)) OR instr(%s, char(13)) THEN '\"' || replace(%s, '\"', '\"\"') "
            "|| '\"' ELSE %s END" % ((expr,) * 7))


def _csv_chunk(db, res, tbl, lo, hi, header):
    """Rows formatted and joined in sqlite (one query per chunk)."""
    fields = " || ',' || ".join(_csv_field("v%d" % k) for k in range(len(res.cols)))
    inner = ", ".join("%s AS v%d" % (c.out_expr(quote_ident(n)), k)
                      for k, (c, n) in enumerate(zip(res.cols, res.sqnames)))
    # MATERIALIZED: each formatted value is computed once, not once per use in _csv_field
    text = db.execute("WITH f AS MATERIALIZED (SELECT %s FROM %s WHERE rowid BETWEEN ? AND ? "
                      "ORDER BY rowid) SELECT group_concat(line, char(10)) FROM (SELECT %s AS line "
                      "FROM f)" % (inner, tbl, fields), (lo, hi)).fetchone()[0] or ""
    out = text + "\n" if text else ""
    if header:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow([c.name for c in res.cols])
        out = buf.getvalue() + out
    return out.encode("utf-8")


# ---- responses ---------------------------------------------------------------------------------

def _manifest(st):
    external = st.req["disposition"] == "EXTERNAL_LINKS"
    m = {"format": st.req["format"],
         "schema": {"column_count": len(st.cols), "columns": [c.manifest(i) for i, c in enumerate(st.cols)]},
         "total_chunk_count": len(st.chunks),
         "chunks": [_chunk_info(c, external) for c in st.chunks],
         "total_row_count": st.total_rows, "truncated": st.truncated}
    if external:
        m["total_byte_count"] = st.total_bytes
    return m


def _chunk_info(c, external):
    d = {"chunk_index": c["chunk_index"], "row_offset": c["row_offset"], "row_count": c["row_count"]}
    if external:
        d["byte_count"] = c["byte_count"]
    return d


def _next(st, k, d):
    if k + 1 < len(st.chunks):
        d["next_chunk_index"] = k + 1
        d["next_chunk_internal_link"] = "%s/%s/result/chunks/%d" % (BASE, st.id, k + 1)
    return d


def _read_chunk(st, k):
    c = st.chunks[k]
    with open(st.file, "rb") as f:
        f.seek(c["offset"])
        return f.read(c["byte_count"])


def _rfc3339(ms):
    return datetime.datetime.fromtimestamp(ms / 1000.0, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def _sign(sid, k, date_ms, ttl, key):
    msg = ("%s|%d|%d|%d|%s" % (sid, k, date_ms, ttl, key)).encode()
    return hmac.new(_SECRET, msg, hashlib.sha256).hexdigest()


def _sse_headers(st):
    md5 = base64.b64encode(hashlib.md5(base64.b64decode(st.sse_key)).digest()).decode()
    return {"x-amz-server-side-encryption-customer-algorithm": "AES256",
            "x-amz-server-side-encryption-customer-key": st.sse_key,
            "x-amz-server-side-encryption-customer-key-MD5": md5}


def _link(state, st, k):
    now = state.now_ms()
    ttl = int(state.config["sql_link_ttl_s"])
    sig = _sign(st.id, k, now, ttl, st.sse_key)
    ext = _EXT[st.req["format"]]
    url = ("%s%s%s/%d.%s?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=EMULATOR%%2F%s%%2Fus-west-2"
           "%%2Fs3%%2Faws4_request&X-Amz-Date=%d&X-Amz-Expires=%d&X-Amz-SignedHeaders=host%%3B"
           "x-amz-server-side-encryption-customer-algorithm%%3Bx-amz-server-side-encryption-customer-key"
           "%%3Bx-amz-server-side-encryption-customer-key-md5&X-Amz-Signature=%s"
           % (state.other_base or "", LINKS, quote(st.id), k, ext,
              _rfc3339(now)[:10].replace("-", ""), now, ttl, sig))
    c = st.chunks[k]
    d = {"chunk_index": k, "row_offset": c["row_offset"], "row_count": c["row_count"],
         "byte_count": c["byte_count"], "external_link": url, "expiration": _rfc3339(now + ttl * 1000),
         "http_headers": _sse_headers(st)}
    return _next(st, k, d)


def _result_json(state, st, k):
    """ResultData for chunk k as JSON bytes."""
    if st.req["disposition"] == "EXTERNAL_LINKS":
        return json.dumps({"external_links": [_link(state, st, k)]}, separators=(",", ":")).encode()
    c = st.chunks[k]
    head = _next(st, k, {"chunk_index": k, "row_offset": c["row_offset"], "row_count": c["row_count"]})
    text = json.dumps(head, separators=(",", ":")).encode()
    return text[:-1] + b',"data_array":' + _read_chunk(st, k) + b"}"


def _response(state, st):
    d = {"statement_id": st.id, "status": {"state": st.state}}
    if st.state == "FAILED":
        d["status"]["error"] = {"error_code": st.error[0], "message": st.error[1]}
        if st.error[2]:
            d["status"]["sql_state"] = st.error[2]
    if st.state != "SUCCEEDED":
        return d
    d["manifest"] = _manifest(st)
    if not st.chunks:
        return d
    text = json.dumps(d, separators=(",", ":")).encode()
    return text[:-1] + b',"result":' + _result_json(state, st, 0) + b"}"


# ---- endpoints ---------------------------------------------------------------------------------

def _get(state, sid, now):
    st = state.sql_statements.get(sid)
    if st is None:
        # (unclear: the real code / message for an unknown statement id)
        raise ApiError(404, "NOT_FOUND", "The statement %s was not found." % sid)
    _advance(state, st, now)
    return st


@route("POST", BASE)
def execute(req):
    body = req.json_obj()
    r = _parse_request(body)
    state = req.state
    eng = state.uc
    with eng.lock:
        now = state.now_ms()
        _sweep(state, now)
        wst = _warehouse_state(state, r["warehouse_id"])
        st = Stmt(_new_id())
        st.req = r
        st.principal = req.principal or "emulator-user@example.com"
        st.pending_ms = state.config["sql_pending_ms"]
        st.running_ms = state.config["sql_running_ms"]
        st.result_ttl_ms = int(state.config["sql_result_ttl_s"] * 1000)
        st.start_ms = now if wst == "RUNNING" else None
        state.sql_statements[st.id] = st
        if st.start_ms is not None and r["wait_s"] > 0:
            # the call waits up to wait_timeout: answer as the statement is after that wait
            # (the emulator does not sleep)
            if st.pending_ms + st.running_ms <= r["wait_s"] * 1000:
                st.pending_ms = st.running_ms = 0
            else:
                st.start_ms = now - r["wait_s"] * 1000
        _advance(state, st, now)
        if st.state not in TERMINAL and r["wait_s"] > 0 and r["on_wait"] == "CANCEL":
            st.state = "CANCELED"
            st.done_ms = now
        return 200, None, _response(state, st)


@route("GET", BASE + "/{statement_id}")
def get_statement(req):
    state = req.state
    with state.uc.lock:
        st = _get(state, req.params["statement_id"], state.now_ms())
        return 200, None, _response(state, st)


@route("DELETE", BASE + "/{statement_id}")
def close_statement(req):
    state = req.state
    with state.uc.lock:
        now = state.now_ms()
        st = _get(state, req.params["statement_id"], now)
        if st.state in ("PENDING", "RUNNING"):
            st.state = "CANCELED"
            st.done_ms = now
        elif st.state == "SUCCEEDED":
            st.state = "CLOSED"
            _free(st)
        return 200, None, {}


@route("POST", BASE + "/{statement_id}/cancel")
def cancel_statement(req):
    state = req.state
    with state.uc.lock:
        now = state.now_ms()
        st = _get(state, req.params["statement_id"], now)
        if st.state in ("PENDING", "RUNNING"):
            st.state = "CANCELED"
            st.done_ms = now
        return 200, None, {}


@route("GET", BASE + "/{statement_id}/result/chunks/{chunk_index}")
def get_chunk(req):
    state = req.state
    with state.uc.lock:
        sid = req.params["statement_id"]
        st = _get(state, sid, state.now_ms())
        if st.state == "CLOSED" or (st.state == "SUCCEEDED" and st.file is None):
            raise ApiError(404, "NOT_FOUND", "The result of the statement %s was not found." % sid)
        if st.state in ("PENDING", "RUNNING"):
            # (unclear: what the real service answers for a chunk of an unfinished statement)
            raise ApiError(400, "INVALID_STATE", "The statement %s has not finished: %s."
                           % (sid, st.state))
        if st.state != "SUCCEEDED":
            raise ApiError(404, "NOT_FOUND", "The result of the statement %s was not found." % sid)
        ci = req.params["chunk_index"]
        if not ci.isdigit() or int(ci) >= len(st.chunks):
            raise invalid_param("Invalid chunk index %s: the result has %d chunks."
                                % (ci, len(st.chunks)))
        return 200, None, _result_json(state, st, int(ci))


# ---- the storage host: external links -----------------------------------------------------------

def _s3_error(status, code, message):
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
            '<RequestId>%s</RequestId></Error>' % (code, message, uuid.uuid4().hex[:16].upper()))
    return status, {"Content-Type": "application/xml"}, body.encode()


@other_host_route
def result_link(req):
    if not req.path.startswith(LINKS):
        return None
    if req.method not in ("GET", "HEAD"):
        return _s3_error(405, "MethodNotAllowed", "The specified method is not allowed against "
                                                  "this resource.")
    if "authorization" in req.headers:
        return _s3_error(403, "AccessDenied", "Only one auth mechanism allowed; only the "
                         "X-Amz-Algorithm query parameter, Signature query string parameter or the "
                         "Authorization header should be specified")
    m = re.match(r"^%s([0-9a-f-]+)/(\d+)\.(json|csv|arrow)$" % LINKS, req.path)
    if not m:
        return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
    sid, k = m.group(1), int(m.group(2))
    q = {key: v[0] for key, v in req.query.items()}
    state = req.state
    with state.uc.lock:
        st = state.sql_statements.get(sid)
        try:
            date_ms, ttl = int(q.get("X-Amz-Date", "")), int(q.get("X-Amz-Expires", ""))
        except ValueError:
            return _s3_error(403, "AccessDenied", "Query-string authentication requires the "
                                                  "Signature, Expires and AWSAccessKeyId parameters")
        if st is None:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        if not hmac.compare_digest(_sign(sid, k, date_ms, ttl, st.sse_key),
                                   q.get("X-Amz-Signature", "")):
            return _s3_error(403, "SignatureDoesNotMatch", "The request signature we calculated "
                             "does not match the signature you provided. Check your key and "
                             "signing method.")
        if state.now_ms() > date_ms + ttl * 1000:
            return _s3_error(403, "AccessDenied", "Request has expired")
        want = _sse_headers(st)
        for h, v in want.items():
            if req.headers.get(h.lower()) != v:
                return _s3_error(400, "InvalidRequest", "The object was stored using a form of "
                                 "Server Side Encryption. The correct parameters must be provided "
                                 "to retrieve the object.")
        _advance(state, st, state.now_ms())
        if st.state != "SUCCEEDED" or st.file is None or k >= len(st.chunks):
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        c = st.chunks[k]
        ctype = _CTYPE[_EXT[st.req["format"]]]
        return 200, {"ETag": '"%s"' % hashlib.md5(("%s/%d" % (sid, k)).encode()).hexdigest()}, \
            FileBody(st.file, c["offset"], c["byte_count"], ctype)
