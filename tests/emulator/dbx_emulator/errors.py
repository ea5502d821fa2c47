"""Databricks-shaped errors.

Every API error is an ``ApiError``; the server turns it into
``{"error_code": ..., "message": ..., "details": [RequestInfo]}`` with the
request's ``x-request-id``.
"""

# Default error_code for a bare HTTP status (fault rules without a body, 405, ...).
STATUS_ERROR_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "BAD_REQUEST",
    409: "RESOURCE_CONFLICT",
    429: "REQUEST_LIMIT_EXCEEDED",
    499: "CANCELLED",
    500: "INTERNAL_ERROR",
    501: "NOT_IMPLEMENTED",
    502: "TEMPORARILY_UNAVAILABLE",
    503: "TEMPORARILY_UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def code_for_status(status):
    code = STATUS_ERROR_CODES.get(status)
    if code:
        return code
    if 400 <= status < 500:
        return "BAD_REQUEST"
    if status >= 500:
        return "INTERNAL_ERROR"
    return "UNKNOWN"


def error_body(error_code, message, request_id):
    return {
        "error_code": error_code,
        "message": message,
        "details": [{
            "@type": "type.googleapis.com/google.rpc.RequestInfo",
            "request_id": request_id,
            "serving_data": "",
        }],
    }


class ApiError(Exception):
    """Raised by handlers; rendered as a Databricks error response."""

    def __init__(self, status, error_code, message, headers=None):
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.headers = headers


def invalid_param(message):
    return ApiError(400, "INVALID_PARAMETER_VALUE", message)


def invalid_state(message):
    return ApiError(400, "INVALID_STATE", message)


def malformed(message):
    return ApiError(400, "MALFORMED_REQUEST", message)


def not_found(message):
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST", message)
