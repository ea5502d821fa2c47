"""libdbx: Databricks REST APIs from Python, through the libdbx C library (ctypes only).

    import libdbx
    with libdbx.Client() as c:              # DATABRICKS_HOST / DATABRICKS_TOKEN / ~/.databrickscfg
        for cl in c.clusters.list(states=["RUNNING"]):
            print(cl.cluster_id, cl.state)
"""

from . import errors
from ._native import LibraryNotFound, load
from .client import Client, Response
from .errors import (AlreadyExists, BadRequest, BadResponse, Cancelled, ConfigError, Conflict,
                     DatabricksError, InvalidArgument, InvalidParameter, InvalidState, NotFound,
                     NotImplementedByService, OperationFailed, OutOfMemory, PermissionDenied,
                     RateLimited, ServerError, Timeout, TooLarge, TransportError, Unauthenticated,
                     Unavailable)

__version__ = "0.1.0"


def library_version():
    """The C library's run-time version, e.g. "0.1.0"."""
    return load().dbx_version_str().decode()


__all__ = [
    "Client", "Response", "errors", "library_version", "LibraryNotFound", "DatabricksError",
    "AlreadyExists", "BadRequest", "BadResponse", "Cancelled", "ConfigError", "Conflict",
    "InvalidArgument", "InvalidParameter", "InvalidState", "NotFound", "NotImplementedByService",
    "OperationFailed", "OutOfMemory", "PermissionDenied", "RateLimited", "ServerError", "Timeout",
    "TooLarge", "TransportError", "Unauthenticated", "Unavailable",
]
