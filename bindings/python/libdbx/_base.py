"""Machinery shared by every area namespace: calls, owned results, lazy iterators, waiters."""

import ctypes
import json
import signal
import sys
import threading

from . import _native, errors

c_void_p = ctypes.c_void_p


class Area:
    """Base of ``client.clusters``, ``client.jobs``, ...: holds the client and the library."""

    #: the area's C prototypes: [(name, restype, *argtypes)], declared once on first use
    PROTOS = ()

    def __init__(self, client):
        self._client = client
        self._lib = client._lib
        _native.declare(self._lib, self.PROTOS)

    def _ptr(self):
        return self._client._handle()

    def _check(self, status):
        return errors.check(self._lib, self._client._ptr, status)

    def _take_json(self, ptr, json_fn, free_fn):
        """An owned C result: its JSON as a dict, then freed at once."""
        try:
            return json.loads(_native.text(json_fn(ptr)) or "{}")
        finally:
            free_fn(ptr)


class CIterator:
    """A lazy iterator over a C ``_iter``: one page in C memory at a time; the C iterator is
    freed when exhausted, on an error, by ``close()`` or by the garbage collector."""

    def __init__(self, client, next_fn, free_fn, convert):
        self._client = client  # keeps the log callback (and the library) alive
        self._lib = client._lib
        self._it = c_void_p()
        self._next = next_fn
        self._free = free_fn
        self._convert = convert

    def _start(self, status):
        errors.check(self._lib, self._client._ptr, status)
        return self

    def __iter__(self):
        return self

    def __next__(self):
        if not self._it:
            raise StopIteration
        item = c_void_p()
        st = self._next(ctypes.byref(item), self._it)
        if st == 1:  # DBX_DONE
            self.close()
            raise StopIteration
        if st < 0:
            exc = errors.from_last(self._lib, self._client._ptr, st)
            raise exc
        return self._convert(item)

    def close(self):
        if self._it:
            self._free(self._it)
            self._it = c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass


class CtrlC:
    """While a C call with Python callbacks runs on the main thread (a transfer, a wait),
    SIGINT's Python handler is wrapped so that the KeyboardInterrupt it raises is recorded on
    ``cb.pending`` (the call's next callback then returns non-zero and libdbx stops) instead of
    being raised. Raised, it would escape a ctypes callback
    at the callback's first line, before any ``try`` could catch it, and ctypes would print it
    and let the C call go on. The recorded exception is raised by ``raise_pending()``."""

    def __init__(self, cb):
        self.cb = cb
        self.prev = None

    def __enter__(self):
        if threading.current_thread() is not threading.main_thread():
            return self  # Python runs signal handlers on the main thread only
        try:
            prev = signal.getsignal(signal.SIGINT)
        except (ValueError, OSError):
            return self
        if not callable(prev):
            return self  # SIG_IGN / SIG_DFL / not set from Python: nothing to wrap
        cb = self.cb

        def handler(signum, frame):
            try:
                prev(signum, frame)
            except BaseException as exc:  # noqa: B902 - KeyboardInterrupt is the point
                if cb.pending is None:
                    cb.pending = exc

        signal.signal(signal.SIGINT, handler)
        self.prev = prev
        return self

    def __exit__(self, *exc):
        if self.prev is not None:
            signal.signal(signal.SIGINT, self.prev)
            self.prev = None


class Waiter:
    """``dbx_wait_options`` for one wait: the timeout, the poll intervals, and the progress
    callback. An exception raised by the callback (KeyboardInterrupt from Ctrl-C included)
    stops the wait and is re-raised by ``raise_pending()`` once the C call has returned."""

    def __init__(self, lib, timeout=None, progress=None, poll_initial=None, poll_max=None):
        self.opts = _native.WaitOptions()
        lib.dbx_wait_options_init(ctypes.byref(self.opts), 1)
        if timeout is not None:
            if timeout <= 0:
                raise errors.InvalidArgument("timeout must be > 0 seconds (or None for the default)",
                                             status=-2, status_name="DBX_EINVAL")
            self.opts.timeout_ms = max(1, int(timeout * 1000))
        if poll_initial is not None:
            self.opts.poll_initial_ms = max(1, int(poll_initial * 1000))
        if poll_max is not None:
            self.opts.poll_max_ms = max(1, int(poll_max * 1000))
        self.progress = progress
        self.pending = None

        def on_poll(resource_id, state, payload):
            if self.pending is not None:  # a Ctrl-C recorded by CtrlC while C was running
                return 1
            try:
                if self.progress is not None:
                    self.progress(_native.text(resource_id), _native.text(state))
                return 0
            except BaseException as exc:  # noqa: B902 - KeyboardInterrupt must stop the wait
                self.pending = exc
                return 1

        self._cb = _native.POLL_FN(on_poll)  # referenced for the whole wait
        self.opts.on_poll = self._cb

    def raise_pending(self):
        if self.pending is not None:
            exc, self.pending = self.pending, None
            raise exc


def report_callback_error(where):
    """An exception in a callback that cannot propagate (logging): reported, not swallowed."""
    hook = getattr(sys, "unraisablehook", None)
    if hook is None:
        return
    exc_type, exc, tb = sys.exc_info()

    class _Unraisable:
        pass

    u = _Unraisable()
    u.exc_type, u.exc_value, u.exc_traceback = exc_type, exc, tb
    u.err_msg = "Exception ignored in libdbx %s callback" % where
    u.object = None
    hook(u)


_local = threading.local()
