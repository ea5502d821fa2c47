"""The real-time scorer: ``client.serving.scorer(name, max_in_flight=64, timeout=300)``.

Many queries to one serving endpoint in flight at once from the calling thread (libdbx drives
the I/O on the thread that asks for results; no thread is started)::

    with client.serving.scorer("fraud-ep", max_in_flight=64) as s:
        ids = [s.submit(dataframe_split={"columns": cols, "data": [row]}) for row in rows]
        for done in s.as_completed():
            print(done.id, done.predictions if done.ok else done.error)

    preds = client.serving.scorer("fraud-ep").score_many(rows, columns=cols)  # in input order
"""

import ctypes
import dataclasses
import json
from typing import Any, Iterator, List, Optional

from . import _native, errors
from .serving import QueryResult

c_void_p, c_int, c_char_p, c_long = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_long
c_size_t, c_uint, c_uint64, c_double = ctypes.c_size_t, ctypes.c_uint, ctypes.c_uint64, ctypes.c_double
POINTER = ctypes.POINTER
P = POINTER(c_void_p)

#: the C functions this module calls (declared on first use by _native.declare)
PROTOS = [
    ("dbx_serving_scorer_new", c_int, P, c_void_p, c_char_p, c_void_p),
    ("dbx_serving_scorer_submit", c_int, POINTER(c_uint64), c_void_p, c_char_p, c_void_p),
    ("dbx_serving_scorer_submit_input", c_int, POINTER(c_uint64), c_void_p, c_void_p, c_void_p),
    ("dbx_serving_scorer_poll", c_int, POINTER(c_size_t), c_void_p, c_long),
    ("dbx_serving_scorer_next", c_int, P, c_void_p, c_long),
    ("dbx_serving_scorer_cancel", c_int, c_void_p, c_uint64),
    ("dbx_serving_scorer_drain", c_int, c_void_p, c_long),
    ("dbx_serving_scorer_in_flight", c_size_t, c_void_p),
    ("dbx_serving_scorer_queued", c_size_t, c_void_p),
    ("dbx_serving_scorer_stats_get", c_int, c_void_p, c_void_p),
    ("dbx_serving_scorer_free", None, c_void_p),
    ("dbx_serving_completion_id", c_uint64, c_void_p),
    ("dbx_serving_completion_user", c_void_p, c_void_p),
    ("dbx_serving_completion_status", c_int, c_void_p),
    ("dbx_serving_completion_result", c_void_p, c_void_p),
    ("dbx_serving_completion_take_result", c_void_p, c_void_p),
    ("dbx_serving_completion_error", POINTER(_native.DbxError), c_void_p),
    ("dbx_serving_completion_free", None, c_void_p),
]

HTTP_AUTO, HTTP1_1 = 0, 1

# A slice of waiting in C between checks for Ctrl-C (ms)
_SLICE_MS = 200


class _ScorerOptions(ctypes.Structure):
    """``dbx_serving_scorer_options`` version 1 (include/dbx/serving.h)."""
    _fields_ = [("version", c_uint), ("max_in_flight", c_int), ("timeout_ms", c_long),
                ("attempt_timeout_ms", c_long), ("http_version", c_int),
                ("on_complete", c_void_p), ("payload", c_void_p)]


class _ScorerStats(ctypes.Structure):
    """``dbx_serving_scorer_stats`` version 1 (include/dbx/serving.h)."""
    _fields_ = [("version", c_uint), ("submitted", c_uint64), ("succeeded", c_uint64),
                ("failed", c_uint64), ("cancelled", c_uint64), ("timed_out", c_uint64),
                ("retried", c_uint64), ("connections", c_uint64),
                ("latency_p50_ms", c_double), ("latency_p99_ms", c_double)]


@dataclasses.dataclass
class ScorerStats:
    """Counters of a scorer: queries submitted / succeeded / failed (cancelled and timed-out
    included), retries, connections opened, latency percentiles (ms) of recent successes."""
    submitted: int
    succeeded: int
    failed: int
    cancelled: int
    timed_out: int
    retried: int
    connections: int
    latency_p50_ms: float
    latency_p99_ms: float


@dataclasses.dataclass
class Completion:
    """One query's outcome: ``result`` (a :class:`libdbx.serving.QueryResult`) when ``ok``, else
    ``error`` (the exception it would have raised: BadRequest, Timeout, Cancelled, ...)."""
    id: int
    user: Any
    result: Optional[QueryResult]
    error: Optional[errors.DatabricksError]

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def predictions(self) -> Optional[List[Any]]:
        return self.result.predictions if self.result is not None else None

    def unwrap(self) -> QueryResult:
        """The result, or raise the query's error."""
        if self.error is not None:
            raise self.error
        return self.result


def _error_of(lib, status, rec):
    e = rec.contents if rec else None
    name = _native.text(lib.dbx_status_name(status))
    cls = errors.error_class(status)
    if e is None:
        return cls(_native.text(lib.dbx_status_str(status)), status=status, status_name=name)
    t = _native.text
    return cls(t(e.message) or t(lib.dbx_status_str(status)), status=status, status_name=name,
               http_status=e.http_status, error_code=t(e.error_code), request_id=t(e.request_id),
               method=t(e.method), path=t(e.path), attempts=e.attempts,
               retry_after_ms=e.retry_after_ms, transport_code=e.transport_code)


class Scorer:
    """A real-time scorer over one endpoint (see the module doc). Not thread-safe: use it from
    one thread at a time (many scorers may share a client). ``close()`` (or leaving the ``with``
    block) cancels what is still pending."""

    def __init__(self, api, name, max_in_flight=64, timeout=None, attempt_timeout=None, http1=False):
        self._api = api
        self._lib = lib = api._lib
        _native.declare(lib, PROTOS)
        o = _ScorerOptions()
        o.version = 1
        o.max_in_flight = int(max_in_flight)
        for field, v, label in (("timeout_ms", timeout, "timeout"), ("attempt_timeout_ms", attempt_timeout,
                                                                       "attempt_timeout")):
            if v is not None:
                if v <= 0:
                    raise errors.InvalidArgument("%s must be > 0 seconds" % label, status=-2,
                                                 status_name="DBX_EINVAL")
                setattr(o, field, max(1, int(v * 1000)))
        o.http_version = HTTP1_1 if http1 else HTTP_AUTO
        p = c_void_p()
        api._check(lib.dbx_serving_scorer_new(ctypes.byref(p), api._ptr(), _native.arg(name, "name"),
                                              ctypes.byref(o)))
        self._p = p.value
        self._users = {}  # id -> user object (C keeps only the id)

    # ---- submitting ---------------------------------------------------------------------------
    def submit(self, body=None, *, dataframe_split=None, dataframe_records=None, instances=None,
               inputs=None, params=None, client_request_id=None, user=None) -> int:
        """Queue a query (the same arguments as ``client.serving.query``); returns its id. Sent
        while results are read (``as_completed``, ``next``, ``drain``). ``user`` comes back in
        the :class:`Completion`. Bad input raises InvalidArgument now."""
        api, lib = self._api, self._lib
        self._live()
        given = {k: v for k, v in (("dataframe_split", dataframe_split), ("dataframe_records", dataframe_records),
                                   ("instances", instances), ("inputs", inputs)) if v is not None}
        if (body is not None) + len(given) != 1:
            raise errors.InvalidArgument("give exactly one of body, dataframe_split, dataframe_records, "
                                         "instances, inputs", status=-2, status_name="DBX_EINVAL")
        qid = c_uint64()
        if given:
            fmt, value = next(iter(given.items()))
            table = api._table(fmt, value)
            inp = api._input(fmt, table[0], table[1], params, client_request_id) if table else None
            if inp is not None:
                try:
                    api._check(lib.dbx_serving_scorer_submit_input(ctypes.byref(qid), self._p, inp, None))
                finally:
                    lib.dbx_serving_input_free(inp)
                return self._keep(qid.value, user)
            body = {fmt: value}
        if isinstance(body, (str, bytes)) and (params is not None or client_request_id is not None):
            body = json.loads(body)
        if not isinstance(body, (str, bytes)):
            body = dict(body)
            if params is not None:
                body["params"] = params
            if client_request_id is not None:
                body["client_request_id"] = client_request_id
            body = json.dumps(body)
        api._check(lib.dbx_serving_scorer_submit(ctypes.byref(qid), self._p, _native.arg(body, "body"), None))
        return self._keep(qid.value, user)

    def _keep(self, qid, user):
        self._users[qid] = user
        return qid

    # ---- results --------------------------------------------------------------------------------
    def next(self, timeout=0.0) -> Optional[Completion]:
        """The next query to end, waiting up to ``timeout`` seconds (None: until one ends);
        None when none ended in time or none is pending."""
        import time
        self._live()
        end = None if timeout is None else time.monotonic() + max(0.0, timeout)
        lib = self._lib
        while True:
            wait = _SLICE_MS if end is None else max(0, min(_SLICE_MS, int((end - time.monotonic()) * 1000)))
            out = c_void_p()
            self._api._check(lib.dbx_serving_scorer_next(ctypes.byref(out), self._p, wait))
            if out.value:
                return self._convert(out.value)
            if self.pending == 0 or (end is not None and time.monotonic() >= end):
                return None

    def _convert(self, d):
        lib = self._lib
        try:
            qid = lib.dbx_serving_completion_id(d)
            status = lib.dbx_serving_completion_status(d)
            result = error = None
            if status == 0:
                r = lib.dbx_serving_completion_take_result(d)
                result = QueryResult(lib, r) if r else None
            else:
                error = _error_of(lib, status, lib.dbx_serving_completion_error(d))
            return Completion(qid, self._users.pop(qid, None), result, error)
        finally:
            lib.dbx_serving_completion_free(d)

    def as_completed(self, timeout=None) -> Iterator[Completion]:
        """Yield every pending query's :class:`Completion` as it ends, until none is pending
        (queries submitted meanwhile included). ``timeout`` (seconds) bounds the whole wait:
        past it, Timeout is raised with the queries still pending."""
        import time
        end = None if timeout is None else time.monotonic() + timeout
        while self.pending:
            left = None if end is None else end - time.monotonic()
            if left is not None and left <= 0:
                raise errors.Timeout("%d queries still pending after %.3f s" % (self.pending, timeout),
                                     status=-6, status_name="DBX_ETIMEOUT")
            d = self.next(left)
            if d is not None:
                yield d

    results = as_completed

    def cancel(self, qid) -> bool:
        """End a queued or in-flight query; its Completion still comes, with a Cancelled error.
        False when no pending query has that id."""
        self._live()
        st = self._lib.dbx_serving_scorer_cancel(self._p, int(qid))
        if st == -12:  # DBX_ENOTFOUND
            return False
        self._api._check(st)
        return True

    def drain(self, timeout=None) -> List[Completion]:
        """Wait for every pending query (``timeout`` seconds, None: no limit) and return their
        completions in the order they ended; Timeout when some are still pending."""
        return list(self.as_completed(timeout))

    def score_many(self, rows, columns=None, *, format="dataframe_split", timeout=None) -> List[Any]:
        """Score each row as its own query, all in flight together (up to max_in_flight), and
        return one prediction per row, in input order. ``rows``: dicts, or lists with
        ``columns``. The first failed query's error is raised (the others are cancelled)."""
        if columns is None:
            cols = []
            for r in rows:
                for k in r:
                    if k not in cols:
                        cols.append(k)
            rows = [[r.get(c) for c in cols] for r in rows]
            columns = cols
        columns = list(columns)
        order = {}
        for i, r in enumerate(rows):
            r = list(r)
            if format == "dataframe_split":
                q = {"dataframe_split": {"columns": columns, "data": [r]}}
            elif format in ("dataframe_records", "instances"):
                q = {format: [dict(zip(columns, r))]}
            elif format == "inputs":
                q = {"inputs": {c: [v] for c, v in zip(columns, r)}}
            else:
                raise errors.InvalidArgument("format must be one of dataframe_split, dataframe_records, "
                                             "instances, inputs", status=-2, status_name="DBX_EINVAL")
            order[self.submit(**q)] = i
        out = [None] * len(order)
        try:
            for d in self.as_completed(timeout):
                if d.id not in order:
                    continue
                res = d.unwrap()
                preds = res.predictions or []
                out[order[d.id]] = preds[0] if len(preds) == 1 else preds
        except BaseException:
            for qid in order:
                self._lib.dbx_serving_scorer_cancel(self._p, qid)
            raise
        return out

    # ---- state ------------------------------------------------------------------------------------
    @property
    def in_flight(self) -> int:
        """Queries being sent or waiting for a retry."""
        return self._lib.dbx_serving_scorer_in_flight(self._p) if self._p and self._api._client._ptr else 0

    @property
    def queued(self) -> int:
        """Queries waiting for a free slot."""
        return self._lib.dbx_serving_scorer_queued(self._p) if self._p and self._api._client._ptr else 0

    @property
    def pending(self) -> int:
        """Queries submitted whose completion was not yet returned."""
        return len(self._users)

    def stats(self) -> ScorerStats:
        self._live()
        s = _ScorerStats()
        s.version = 1
        self._api._check(self._lib.dbx_serving_scorer_stats_get(ctypes.byref(s), self._p))
        return ScorerStats(*(getattr(s, f.name) for f in dataclasses.fields(ScorerStats)))

    def _live(self):
        if not self._p:
            raise errors.InvalidArgument("the scorer is closed", status=-2, status_name="DBX_EINVAL")
        self._api._ptr()  # raises when the client was closed under the scorer

    def close(self):
        """Cancel what is pending and free the scorer (idempotent)."""
        p, self._p = self._p, None
        # a scorer lives on its client: when the client was closed first, the scorer is left
        # (a bounded leak) rather than freed through a dead client
        if p and self._api._client._ptr:
            self._lib.dbx_serving_scorer_free(p)
        self._users.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
