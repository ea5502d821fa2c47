"""The libdbx client: configuration and auth resolved by the C library, like the official SDKs."""

import ctypes
import json

from . import _base, _native, errors

c_void_p = ctypes.c_void_p

#: keyword -> (libdbx option key, how to convert the value)
_OPTIONS = {
    "host": ("host", str),
    "token": ("token", str),
    "auth_type": ("auth_type", str),
    "client_id": ("client_id", str),
    "client_secret": ("client_secret", str),
    "azure_client_id": ("azure_client_id", str),
    "azure_client_secret": ("azure_client_secret", str),
    "azure_tenant_id": ("azure_tenant_id", str),
    "azure_environment": ("azure_environment", str),
    "azure_login_url": ("azure_login_url", str),
    "profile": ("profile", str),
    "config_file": ("config_file", str),
    "ca_bundle": ("ca_bundle", str),
    "proxy": ("proxy", str),
    "product": ("product", str),
    "log_level": ("log_level", str),
    "http_timeout": ("http_timeout_ms", "ms"),
    "connect_timeout": ("connect_timeout_ms", "ms"),
    "retry_timeout": ("retry_timeout_ms", "ms"),
    "retry_initial_delay": ("retry_initial_delay_ms", "ms"),
    "retry_max_delay": ("retry_max_delay_ms", "ms"),
    "max_attempts": ("max_attempts", int),
    "insecure_skip_verify": ("insecure_skip_verify", bool),
    "no_env": ("no_env", bool),
    "no_config_file": ("no_config_file", bool),
    "max_response_bytes": ("max_response_bytes", int),
    "insecure_allow_http": ("insecure_allow_http", bool),
    # MLflow: the default model registry ("databricks" or "databricks-uc") and the retry policy
    # of /api/2.0/mlflow/ calls (their own budget and backoff, as rate limits last long there)
    "registry_uri": ("registry_uri", str),
    "mlflow_retry_timeout": ("mlflow_retry_timeout_ms", "ms"),
    "mlflow_retry_initial_delay": ("mlflow_retry_initial_delay_ms", "ms"),
    "mlflow_retry_max_delay": ("mlflow_retry_max_delay_ms", "ms"),
}

LOG_LEVELS = {0: "off", 1: "error", 2: "warn", 3: "info", 4: "debug", 5: "trace"}
LOG_CATEGORIES = {0: "general", 1: "http_request", 2: "http_response", 3: "retry", 4: "auth",
                  5: "wait"}


def _option_text(name, kind, value):
    if kind is str:
        if not isinstance(value, str):
            raise TypeError("%s must be a str" % name)
        return value
    if kind is bool:
        return "true" if value else "false"
    if kind == "ms":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError("%s must be a number of seconds" % name)
        return str(int(round(value * 1000)))
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s must be an int" % name)
    return str(value)


class Response:
    """The answer of :meth:`Client.request`."""

    def __init__(self, status, body, headers):
        self.status = status
        self.body = body
        self._headers = headers

    def header(self, name):
        return self._headers.get(name.lower())

    def json(self):
        return json.loads(self.body.decode("utf-8")) if self.body else None


class Client:
    """A client bound to one Databricks workspace.

    Every keyword is optional: what is not given comes from the environment
    (``DATABRICKS_HOST``, ``DATABRICKS_TOKEN``, ...) and ``~/.databrickscfg``, resolved by libdbx
    exactly as the C library and the official SDKs do. Durations are in seconds.

    ``log`` is a callable ``log(level, category, message)`` (strings; secrets are already
    redacted); it may be called from any thread that uses the client.

    A client is safe to share between threads. Use it as a context manager, or call
    :meth:`close`; iterators and results keep working after the client is closed.
    """

    def __init__(self, host=None, token=None, *, log=None, library=None, **options):
        self._lib = lib = _native.load(library)
        self._ptr = None
        unknown = set(options) - set(_OPTIONS)
        if unknown:
            raise TypeError("unknown Client option(s): %s" % ", ".join(sorted(unknown)))
        if host is not None:
            options["host"] = host
        if token is not None:
            options["token"] = token
        opts = c_void_p()
        errors.check(lib, None, lib.dbx_client_options_new(ctypes.byref(opts)))
        try:
            for name, value in options.items():
                if value is None:
                    continue
                key, kind = _OPTIONS[name]
                st = lib.dbx_client_options_set(opts, key.encode(), _option_text(name, kind, value).encode())
                errors.check(lib, None, st)
            self._log_cb = None
            if log is not None:
                if not callable(log):
                    raise TypeError("log must be callable")

                def on_log(level, category, msg, payload):
                    try:
                        log(LOG_LEVELS.get(level, str(level)), LOG_CATEGORIES.get(category, str(category)),
                            _native.text(msg))
                    except BaseException:  # noqa: B902 - reported, never into C
                        _base.report_callback_error("log")

                self._log_cb = _native.LOG_FN(on_log)
                errors.check(lib, None, lib.dbx_client_options_set_log(opts, self._log_cb, None))
                if "log_level" not in options:
                    lib.dbx_client_options_set(opts, b"log_level", b"debug")
            ptr = c_void_p()
            errors.check(lib, None, lib.dbx_client_new(ctypes.byref(ptr), opts))
            self._ptr = ptr
        finally:
            lib.dbx_client_options_free(opts)
        self._areas = {}

    # ---- life cycle -------------------------------------------------------------------------
    def close(self):
        """Free the C client. Idempotent."""
        if self._ptr:
            self._lib.dbx_client_free(self._ptr)
            self._ptr = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _handle(self):
        if not self._ptr:
            raise errors.InvalidArgument("the client is closed", status=-2, status_name="DBX_EINVAL")
        return self._ptr

    # ---- what was resolved ------------------------------------------------------------------
    @property
    def host(self):
        return _native.text(self._lib.dbx_client_host(self._handle()))

    @property
    def auth_type(self):
        return _native.text(self._lib.dbx_client_auth_type(self._handle()))

    def config_source(self, key):
        """Where an attribute came from: "option", "env", "config", "default" or None."""
        return _native.text(self._lib.dbx_client_config_source(self._handle(), _native.arg(key, "key")))

    def __repr__(self):
        if not self._ptr:
            return "<libdbx.Client closed>"
        return "<libdbx.Client host=%r auth=%s>" % (self.host, self.auth_type)

    # ---- escape hatch -----------------------------------------------------------------------
    def request(self, method, path, body=None):
        """Any REST call through libdbx's pipeline (auth, retries, errors).

        ``body`` may be a dict/list (sent as JSON) or a JSON string. Returns a
        :class:`Response`; a non-2xx answer raises the mapped exception."""
        lib = self._lib
        if body is not None and not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        out = c_void_p()
        st = lib.dbx_request(ctypes.byref(out), self._handle(), _native.arg(method, "method"),
                             _native.arg(path, "path"), _native.arg(body, "body"))
        errors.check(lib, self._ptr, st)
        try:
            n = ctypes.c_size_t()
            p = lib.dbx_response_body(out, ctypes.byref(n))
            data = ctypes.string_at(p, n.value) if p else b""
            headers = {}
            for name in ("content-type", "x-request-id", "etag", "last-modified", "location"):
                v = lib.dbx_response_header(out, name.encode())
                if v is not None:
                    headers[name] = _native.text(v)
            return Response(lib.dbx_response_status(out), data, headers)
        finally:
            lib.dbx_response_free(out)

    # ---- areas ------------------------------------------------------------------------------
    def _area(self, name, cls):
        area = self._areas.get(name)
        if area is None:
            area = self._areas[name] = cls(self)
        return area

    @property
    def clusters(self):
        """The Clusters API (:class:`libdbx.clusters.ClustersAPI`)."""
        from .clusters import ClustersAPI
        return self._area("clusters", ClustersAPI)

    @property
    def workspace(self):
        """The Workspace API (:class:`libdbx.workspace.WorkspaceAPI`)."""
        from .workspace import WorkspaceAPI
        return self._area("workspace", WorkspaceAPI)

    @property
    def dbfs(self):
        """DBFS 2.0 (:class:`libdbx.dbfs.DbfsAPI`)."""
        from .dbfs import DbfsAPI
        return self._area("dbfs", DbfsAPI)

    @property
    def files(self):
        """The Files API for Unity Catalog volumes (:class:`libdbx.files.FilesAPI`)."""
        from .files import FilesAPI
        return self._area("files", FilesAPI)

    @property
    def jobs(self):
        """The Jobs API 2.2 (:class:`libdbx.jobs.JobsAPI`)."""
        from .jobs import JobsAPI
        return self._area("jobs", JobsAPI)

    @property
    def sql(self):
        """SQL statement execution (:class:`libdbx.sql.SqlAPI`)."""
        from .sql import SqlAPI
        return self._area("sql", SqlAPI)

    @property
    def catalog(self):
        """Unity Catalog (:class:`libdbx.catalog.CatalogAPI`): ``.catalogs``, ``.schemas``,
        ``.tables``, ``.volumes``."""
        from .catalog import CatalogAPI
        return self._area("catalog", CatalogAPI)

    @property
    def warehouses(self):
        """SQL warehouses (:class:`libdbx.warehouses.WarehousesAPI`)."""
        from .warehouses import WarehousesAPI
        return self._area("warehouses", WarehousesAPI)

    @property
    def delta(self):
        """Delta table helpers over SQL statements (:class:`libdbx.delta.DeltaAPI`)."""
        from .delta import DeltaAPI
        return self._area("delta", DeltaAPI)

    @property
    def mlflow(self):
        """MLflow tracking (:class:`libdbx.mlflow.MlflowAPI`): experiments, runs, metrics,
        params, tags, the buffered logger and run artifacts."""
        from .mlflow import MlflowAPI
        return self._area("mlflow", MlflowAPI)

    @property
    def registry(self):
        """The MLflow model registries (:class:`libdbx.registry.RegistryAPI`): the workspace
        registry and Unity Catalog models behind one API; ``.workspace`` / ``.uc`` pin one."""
        from .registry import RegistryAPI
        return self._area("registry", RegistryAPI)

    @property
    def serving(self):
        """Model Serving endpoints and queries (:class:`libdbx.serving.ServingAPI`)."""
        from .serving import ServingAPI
        return self._area("serving", ServingAPI)

    @property
    def monitors(self):
        """Lakehouse Monitoring quality monitors (:class:`libdbx.monitors.MonitorsAPI`): create,
        refresh, and read the drift and profile metric tables."""
        from .monitors import MonitorsAPI
        return self._area("monitors", MonitorsAPI)
