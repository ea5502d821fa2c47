"""One exception hierarchy for every libdbx failure, mapped from ``dbx_status``.

Every exception carries the detail libdbx recorded for the failed call on this thread: HTTP
status, Databricks ``error_code``, message, request id, method and path (never a query string
or a secret), the attempts made and the last ``Retry-After``.
"""

from . import _native


class DatabricksError(Exception):
    """Base class of every error raised by libdbx."""

    status = -1
    status_name = "DBX_ERROR"

    def __init__(self, message, *, status=None, status_name=None, http_status=None,
                 error_code=None, request_id=None, method=None, path=None, attempts=None,
                 retry_after_ms=None, transport_code=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if status_name is not None:
            self.status_name = status_name
        self.http_status = http_status or None
        self.error_code = error_code or None
        self.request_id = request_id or None
        self.method = method or None
        self.path = path or None
        self.attempts = attempts or None
        self.retry_after_ms = retry_after_ms if retry_after_ms is not None and retry_after_ms >= 0 else None
        self.transport_code = transport_code or None

    def __str__(self):
        parts = [self.message]
        if self.error_code and self.error_code not in self.message:
            parts.append("[%s]" % self.error_code)
        return " ".join(parts)

    def __repr__(self):
        return "%s(%r, status=%s, http_status=%r, error_code=%r, request_id=%r)" % (
            type(self).__name__, self.message, self.status_name, self.http_status,
            self.error_code, self.request_id)


class InvalidArgument(DatabricksError, ValueError):
    """DBX_EINVAL: a bad argument, found before any request was sent."""


class OutOfMemory(DatabricksError, MemoryError):
    """DBX_ENOMEM."""


class ConfigError(DatabricksError):
    """DBX_ECONFIG: missing or conflicting configuration (host, credentials, profile)."""


class TransportError(DatabricksError, ConnectionError):
    """DBX_ETRANSPORT: DNS, TCP, TLS or HTTP-level failure."""


class Timeout(DatabricksError, TimeoutError):
    """DBX_ETIMEOUT: a request or wait deadline passed (also HTTP 504)."""


class Cancelled(DatabricksError):
    """DBX_ECANCELLED: a callback asked to stop (also HTTP 499)."""


class BadResponse(DatabricksError):
    """DBX_EBADRESPONSE: a malformed, truncated or unexpected response."""


class TooLarge(DatabricksError):
    """DBX_ETOOLARGE: a response exceeded a size limit."""


class BadRequest(DatabricksError):
    """DBX_EBADREQUEST: HTTP 400 not refined further."""


class InvalidParameter(BadRequest):
    """DBX_EINVALIDPARAM: INVALID_PARAMETER_VALUE, MALFORMED_REQUEST."""


class InvalidState(BadRequest):
    """DBX_EINVALIDSTATE: the resource is in the wrong state for the operation."""


class Unauthenticated(DatabricksError):
    """DBX_EUNAUTHENTICATED: HTTP 401 or a failed token exchange."""


class PermissionDenied(DatabricksError, PermissionError):
    """DBX_EPERMISSION: HTTP 403."""


class NotFound(DatabricksError, LookupError):
    """DBX_ENOTFOUND: HTTP 404, RESOURCE_DOES_NOT_EXIST, ..."""


class AlreadyExists(DatabricksError):
    """DBX_EEXISTS: RESOURCE_ALREADY_EXISTS and friends."""


class Conflict(DatabricksError):
    """DBX_ECONFLICT: HTTP 409, ABORTED, RESOURCE_CONFLICT."""


class RateLimited(DatabricksError):
    """DBX_ERATELIMITED: HTTP 429 / RESOURCE_EXHAUSTED, after retries."""


class ServerError(DatabricksError):
    """DBX_ESERVER: HTTP 500 family."""


class NotImplementedByService(DatabricksError):
    """DBX_ENOTIMPLEMENTED: HTTP 501, FEATURE_DISABLED."""


class Unavailable(DatabricksError):
    """DBX_EUNAVAILABLE: HTTP 503, after retries."""


class OperationFailed(DatabricksError):
    """DBX_ESTATE: a waiter saw a terminal failure state (the message carries the server's)."""

    #: the last snapshot the waiter saw (a dataclass of the area), when one was read
    last = None


_BY_STATUS = {
    -1: DatabricksError, -2: InvalidArgument, -3: OutOfMemory, -4: ConfigError,
    -5: TransportError, -6: Timeout, -7: Cancelled, -8: BadResponse, -9: BadRequest,
    -10: Unauthenticated, -11: PermissionDenied, -12: NotFound, -13: Conflict,
    -14: RateLimited, -15: ServerError, -16: NotImplementedByService, -17: Unavailable,
    -18: OperationFailed, -19: AlreadyExists, -20: InvalidParameter, -21: InvalidState,
    -22: TooLarge,
}


def error_class(status):
    """The exception class for a ``dbx_status`` (DatabricksError for codes this binding predates)."""
    return _BY_STATUS.get(status, DatabricksError)


def from_last(lib, client_ptr, status):
    """Build the exception for ``status`` from the calling thread's error record."""
    rec = lib.dbx_client_last_error(client_ptr)
    e = rec.contents if rec else None
    name = _native.text(lib.dbx_status_name(status))
    if e is None or e.status != status:
        msg = _native.text(lib.dbx_status_str(status))
        return error_class(status)(msg, status=status, status_name=name)
    t = _native.text
    return error_class(status)(
        t(e.message) or t(lib.dbx_status_str(status)), status=status, status_name=name,
        http_status=e.http_status, error_code=t(e.error_code), request_id=t(e.request_id),
        method=t(e.method), path=t(e.path), attempts=e.attempts,
        retry_after_ms=e.retry_after_ms, transport_code=e.transport_code)


def check(lib, client_ptr, status):
    """Raise the mapped exception when ``status`` is a failure; return it otherwise."""
    if status < 0:
        raise from_last(lib, client_ptr, status)
    return status
