"""Loading libdbx's shared library and declaring the C functions the binding calls.

The library is looked up, in order: the path in ``LIBDBX_PATH``; a ``libdbx.so*`` next to this
package (an installed wheel); the build tree of a source checkout (``build/``); the system's
library path. Its run-time version must have the major version this binding was written for.

Only ``ctypes`` is used. Nothing here mirrors a C struct layout except the ones the C API makes
public and append-only (``dbx_error``, ``dbx_wait_options``, ``dbx_source``), each read
according to its ``version`` field.
"""

import ctypes
import ctypes.util
import os
import threading

SUPPORTED_MAJOR = 0
MIN_VERSION = (0, 1, 0)

c_char_p = ctypes.c_char_p
c_void_p = ctypes.c_void_p
c_int = ctypes.c_int
c_long = ctypes.c_long
c_int64 = ctypes.c_int64
c_size_t = ctypes.c_size_t
c_uint = ctypes.c_uint
c_double = ctypes.c_double
POINTER = ctypes.POINTER


class DbxError(ctypes.Structure):
    """``dbx_error`` (include/dbx/errors.h): transparent, append-only, reached by pointer."""

    _fields_ = [
        ("version", c_uint),
        ("status", c_int),
        ("http_status", c_int),
        ("error_code", c_char_p),
        ("message", c_char_p),
        ("request_id", c_char_p),
        ("method", c_char_p),
        ("path", c_char_p),
        ("transport_code", c_int),
        ("attempts", c_int),
        ("retry_after_ms", c_long),
        # version 2
        ("waited_ms", c_long),
    ]


POLL_FN = ctypes.CFUNCTYPE(c_int, c_char_p, c_char_p, c_void_p)

# dbx_source.read: int (*)(void *payload, char *buf, size_t cap, size_t *n); buf as an address
SOURCE_READ_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t, POINTER(c_size_t))
# dbx_source.rewind: int (*)(void *payload)
SOURCE_REWIND_FN = ctypes.CFUNCTYPE(c_int, c_void_p)
# dbx_sink_fn: int (*)(void *payload, const char *data, size_t len); data as an address, so
# that NUL bytes are not taken for the end of a string
SINK_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t)


class Source(ctypes.Structure):
    """``dbx_source`` version 1 (include/dbx/common.h; append-only)."""

    _fields_ = [
        ("version", c_uint),
        ("read", SOURCE_READ_FN),
        ("rewind", SOURCE_REWIND_FN),
        ("payload", c_void_p),
        ("size", c_int64),
    ]
LOG_FN = ctypes.CFUNCTYPE(None, c_int, c_int, c_char_p, c_void_p)


class WaitOptions(ctypes.Structure):
    """``dbx_wait_options`` version 1 (include/dbx/common.h)."""

    _fields_ = [
        ("version", c_uint),
        ("timeout_ms", c_long),
        ("poll_initial_ms", c_long),
        ("poll_max_ms", c_long),
        ("on_poll", POLL_FN),
        ("payload", c_void_p),
    ]


def _candidates(explicit=None):
    if explicit:
        yield explicit
    env = os.environ.get("LIBDBX_PATH")
    if env:
        yield env
    here = os.path.dirname(os.path.abspath(__file__))
    for name in sorted(os.listdir(here)):
        if name.startswith("libdbx.so") or name.startswith("libdbx.") and name.endswith(".dylib"):
            yield os.path.join(here, name)
    # a source checkout: bindings/python/libdbx -> the repository's build directories
    root = os.path.normpath(os.path.join(here, "..", "..", ".."))
    for build in ("build", "build-asan"):
        path = os.path.join(root, build, "libdbx.so")
        if os.path.exists(path):
            yield path
    found = ctypes.util.find_library("dbx")
    if found:
        yield found


def _preload_vendored(here):
    """A wheel made by make_wheel.py carries the shared libraries a cluster may lack (libjansson)
    in libdbx/_vendor/; loaded first (RTLD_GLOBAL), they satisfy libdbx.so's dependencies by
    their soname, so no LD_LIBRARY_PATH or rpath is needed."""
    vendor = os.path.join(here, "_vendor")
    if not os.path.isdir(vendor):
        return
    for name in sorted(os.listdir(vendor)):
        if ".so" in name:
            try:
                ctypes.CDLL(os.path.join(vendor, name), mode=ctypes.RTLD_GLOBAL)
            except OSError:
                pass  # the system's copy may still be there; libdbx.so's load says what is missing


class LibraryNotFound(ImportError):
    """The libdbx shared library could not be loaded, or has an unsupported version."""


def _declare(lib):
    def fn(name, restype, *argtypes):
        f = getattr(lib, name)
        f.restype = restype
        f.argtypes = list(argtypes)
        return f

    # version, status names, errors, memory
    fn("dbx_version", None, POINTER(c_int), POINTER(c_int), POINTER(c_int))
    fn("dbx_version_str", c_char_p)
    fn("dbx_version_details", c_char_p)
    fn("dbx_status_str", c_char_p, c_int)
    fn("dbx_status_name", c_char_p, c_int)
    fn("dbx_client_last_error", POINTER(DbxError), c_void_p)
    fn("dbx_free", None, c_void_p)
    # client
    fn("dbx_client_options_init", c_int, c_void_p, c_uint)
    fn("dbx_client_options_set", c_int, c_void_p, c_char_p, c_char_p)
    fn("dbx_client_options_dispose", None, c_void_p)
    fn("dbx_client_new", c_int, POINTER(c_void_p), c_void_p)
    fn("dbx_client_free", None, c_void_p)
    fn("dbx_client_host", c_char_p, c_void_p)
    fn("dbx_client_auth_type", c_char_p, c_void_p)
    fn("dbx_client_config_source", c_char_p, c_void_p, c_char_p)
    fn("dbx_request", c_int, POINTER(c_void_p), c_void_p, c_char_p, c_char_p, c_char_p)
    fn("dbx_response_status", c_int, c_void_p)
    fn("dbx_response_body", c_void_p, c_void_p, POINTER(c_size_t))
    fn("dbx_response_header", c_char_p, c_void_p, c_char_p)
    fn("dbx_response_free", None, c_void_p)
    fn("dbx_wait_options_init", c_int, POINTER(WaitOptions), c_uint)


_lib = None
_lock = threading.Lock()


def load(path=None):
    """The loaded library (loaded and checked once per process)."""
    global _lib
    with _lock:
        if _lib is not None:
            return _lib
        errors = []
        here = os.path.dirname(os.path.abspath(__file__))
        for cand in _candidates(path):
            if os.path.dirname(os.path.abspath(cand)) == here:
                _preload_vendored(here)
            try:
                lib = ctypes.CDLL(cand)
            except OSError as exc:
                errors.append("%s: %s" % (cand, exc))
                continue
            major, minor, patch = c_int(), c_int(), c_int()
            lib.dbx_version.argtypes = [POINTER(c_int)] * 3
            lib.dbx_version.restype = None
            lib.dbx_version(ctypes.byref(major), ctypes.byref(minor), ctypes.byref(patch))
            ver = (major.value, minor.value, patch.value)
            if ver[0] != SUPPORTED_MAJOR or ver < MIN_VERSION:
                errors.append("%s: version %d.%d.%d, this binding needs %d.x >= %d.%d.%d"
                              % ((cand,) + ver + (SUPPORTED_MAJOR,) + MIN_VERSION))
                continue
            _declare(lib)
            lib.path = cand
            _lib = lib
            return lib
        raise LibraryNotFound(
            "libdbx: cannot load the shared library (set LIBDBX_PATH to libdbx.so). Tried: "
            + ("; ".join(errors) if errors else "no candidates"))


_declared = set()


def declare(lib, protos):
    """Declare an area's C functions (a list of ``(name, restype, *argtypes)``) once per process.
    Each area module keeps its own list, so areas are added without touching this file."""
    for name, restype, *argtypes in protos:
        if name in _declared:
            continue
        f = getattr(lib, name)
        f.restype = restype
        f.argtypes = list(argtypes)
        _declared.add(name)


def text(b):
    """A C string (bytes or None) as str (None stays None)."""
    return None if b is None else b.decode("utf-8", "replace")


def arg(s, name):
    """A Python str argument as UTF-8 bytes for C (None stays None)."""
    if s is None:
        return None
    if isinstance(s, bytes):
        return s
    if not isinstance(s, str):
        raise TypeError("%s must be a str, not %s" % (name, type(s).__name__))
    return s.encode("utf-8")


def take_string(lib, ptr):
    """A char * the library allocated: copied to str, then freed with dbx_free."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        lib.dbx_free(ptr)
