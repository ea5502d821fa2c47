"""DataRobot's call shapes over Databricks, so DataRobot-side scripts port with few edits.

    import libdbx.compat.datarobot as dr          # was: import datarobot as dr
    dr.Client()                                    # DATABRICKS_HOST / _TOKEN / ~/.databrickscfg
    dep = dr.Deployment.get("fraud-scoring")       # a serving endpoint, by name
    preds = dep.predict_batch("transactions.csv")  # predictions in input row order
    dep.submit_actuals([{"association_id": "t-1", "actual_value": 1}])
    dep.replace_model("models:/ml.fraud.model/4", dr.enums.MODEL_REPLACEMENT_REASON.DATA_DRIFT)

What stays DataRobot's: the names and arguments of the calls, ``max_wait`` (seconds, default
600), input row order, ``batch_size`` of actuals, the one-source rule for a token and an
endpoint, ``MLOps().init()`` refusing a second call, and the error kinds (``ClientError`` with
``status_code``, ``ServerError``, ``AsyncTimeoutError``).

What is honestly Databricks, never dressed up as DataRobot (docs/porting-datarobot.md lists
every call):
- A deployment is a model serving endpoint. Its ``id`` is the endpoint's **name** (every
  Databricks call is keyed by it); ``endpoint_id`` is the service's own id. No ObjectIds.
- A model package / model version is a registry model version, named the MLflow way:
  ``"models:/<name>/<version>"`` or ``"models:/<name>@<alias>"`` (or a ``(name, version)`` pair,
  or a ``libdbx.registry.ModelVersion``).
- Statistics Databricks does not produce are ``None``: health fields, ``get_service_stats``
  values the endpoint's metrics do not carry. Nothing is reported as zero when it is unknown.
- Actuals and MLOps reports are rows appended to Delta tables through statement execution;
  drift is whatever a quality monitor on those tables computes, under its own names.
- No configuration is read from ``DATAROBOT_*`` variables or DataRobot's config file.
"""

import csv
import datetime
import io
import json
import math
import os
import re
import threading
import types
from typing import Any, Dict, List, Tuple

import libdbx
from libdbx import errors as _errors

__all__ = ["Client", "Deployment", "Project", "Model", "MLOps", "ClientError", "ServerError",
           "AsyncTimeoutError", "DRApiException", "DRAlreadyInitialized", "enums", "errors"]

# ---- errors ---------------------------------------------------------------------------------


class ClientError(_errors.DatabricksError):
    """A refused request (DataRobot's ``ClientError``): ``status_code`` is the HTTP status
    (None when the call was refused locally, before any request), ``error_code`` Databricks'
    code. The libdbx exception is the ``__cause__``."""

    def __init__(self, message, status_code=None, **kw):
        super().__init__(message, http_status=status_code, **kw)
        self.status_code = status_code
        self.json = {"message": message, "error_code": kw.get("error_code")}


class ServerError(_errors.DatabricksError):
    """A 5xx answer or a transport failure, after libdbx's retries (``status_code`` as above)."""

    def __init__(self, message, status_code=None, **kw):
        super().__init__(message, http_status=status_code, **kw)
        self.status_code = status_code


class AsyncTimeoutError(_errors.DatabricksError, TimeoutError):
    """``max_wait`` passed before the endpoint (or statement) got where the call waits for."""


class DRApiException(ValueError):
    """``MLOps`` reporting refused its arguments (the MLOps library's exception name)."""


class DRAlreadyInitialized(RuntimeError):
    """``MLOps().init()`` called a second time."""


errors = types.SimpleNamespace(ClientError=ClientError, ServerError=ServerError,
                               AsyncTimeoutError=AsyncTimeoutError, DRApiException=DRApiException,
                               DRAlreadyInitialized=DRAlreadyInitialized)


def _convert(exc):
    """The DataRobot-kind exception for a libdbx one (attributes copied, cause chained)."""
    kw = dict(status=exc.status, status_name=exc.status_name, error_code=exc.error_code,
              request_id=exc.request_id, method=exc.method, path=exc.path, attempts=exc.attempts)
    if isinstance(exc, (_errors.Timeout, _errors.OperationFailed)) and exc.http_status is None:
        out = AsyncTimeoutError(exc.message, **kw) if isinstance(exc, _errors.Timeout) else \
            ServerError(exc.message, None, **kw)
    elif isinstance(exc, (_errors.ServerError, _errors.Unavailable, _errors.TransportError)) or \
            (exc.http_status or 0) >= 500:
        out = ServerError(exc.message, exc.http_status, **kw)
    else:
        out = ClientError(exc.message, exc.http_status, **kw)
    for k, v in vars(exc).items():
        if k not in vars(out):
            setattr(out, k, v)
    return out


def _dr(fn):
    """Run a call; libdbx errors come out as DataRobot's kinds."""
    def wrapper(*a, **kw):
        try:
            return fn(*a, **kw)
        except (ClientError, ServerError, AsyncTimeoutError):
            raise
        except _errors.DatabricksError as exc:
            raise _convert(exc) from exc
    wrapper.__name__ = fn.__name__
    wrapper.__qualname__ = getattr(fn, "__qualname__", fn.__name__)
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _refuse(message):
    return ClientError(message, None, status=-2, status_name="DBX_EINVAL")


# ---- enums ----------------------------------------------------------------------------------

enums = types.SimpleNamespace(
    MODEL_REPLACEMENT_REASON=types.SimpleNamespace(
        ACCURACY="ACCURACY", DATA_DRIFT="DATA_DRIFT", ERRORS="ERRORS",
        SCHEDULED_REFRESH="SCHEDULED_REFRESH", SCORING_SPEED="SCORING_SPEED", OTHER="OTHER"),
    DEPLOYMENT_IMPORTANCE=types.SimpleNamespace(
        CRITICAL="CRITICAL", HIGH="HIGH", MODERATE="MODERATE", LOW="LOW"),
)
_REASONS = tuple(vars(enums.MODEL_REPLACEMENT_REASON).values())
_IMPORTANCE = tuple(vars(enums.DEPLOYMENT_IMPORTANCE).values())

# ---- the client -----------------------------------------------------------------------------

_lock = threading.Lock()
_default = None


class Client:
    """``datarobot.Client(...)``'s shape over a libdbx client; the last one made is the default
    every other call uses (as DataRobot's). Configuration and auth resolve like the official
    Databricks SDKs: keywords, else ``config_path`` (a ``.databrickscfg`` file) and ``profile``,
    else ``DATABRICKS_*`` variables and ``~/.databrickscfg``.

    - ``endpoint`` is the workspace URL (``https://<workspace>``), ``token`` a Databricks token.
      As in DataRobot, a token and an endpoint must come from one source: one given as a keyword
      and the other found elsewhere is refused (ClientError), as are a token from the
      environment and a host from a config file.
    - ``ssl_verify``: True (default), False (skip verification: never in production) or the path
      of a CA bundle. ``max_retries``: retries after the first attempt (libdbx ``max_attempts``
      is one more). ``connect_timeout`` in seconds.
    - ``warehouse_id``: the SQL warehouse for actuals and MLOps reports (default: the
      ``DATABRICKS_WAREHOUSE_ID`` variable, a libdbx convention, else none: those calls then
      ask for it).
    - Further keywords go to :class:`libdbx.Client` unchanged (``client_id``, ``client_secret``,
      ``auth_type``, ...).
    """

    def __init__(self, token=None, endpoint=None, config_path=None, connect_timeout=None, ssl_verify=True,
                 max_retries=None, *, profile=None, warehouse_id=None, **options):
        global _default
        if (token is None) != (endpoint is None):
            raise _refuse("Token and endpoint must be specified from one source only: give both "
                          "token= and endpoint=, or neither (then both come from the environment or "
                          "one config file)")
        if endpoint is not None and re.search(r"/api/v2/?$", str(endpoint)):
            raise _refuse("endpoint is the Databricks workspace URL (https://<workspace>), not a "
                          "DataRobot /api/v2 URL")
        if ssl_verify is False:
            options["insecure_skip_verify"] = True
        elif isinstance(ssl_verify, (str, os.PathLike)):
            options["ca_bundle"] = os.fspath(ssl_verify)
        elif ssl_verify is not True:
            raise _refuse("ssl_verify must be True, False or the path of a CA bundle")
        if max_retries is not None:
            if int(max_retries) < 0:
                raise _refuse("max_retries must be >= 0")
            options["max_attempts"] = int(max_retries) + 1
        if connect_timeout is not None:
            options["connect_timeout"] = connect_timeout
        if config_path is not None:
            options["config_file"] = os.fspath(config_path)
        try:
            self.dbx = libdbx.Client(host=endpoint, token=token, profile=profile, **options)
        except _errors.DatabricksError as exc:
            raise _convert(exc) from exc
        if token is None and self.dbx.auth_type == "pat":
            hs, ts = self.dbx.config_source("host"), self.dbx.config_source("token")
            if hs != ts:
                self.dbx.close()
                raise _refuse("Token and endpoint must be specified from one source only "
                              "(host from %s, token from %s)" % (hs, ts))
        self.warehouse_id = warehouse_id or os.environ.get("DATABRICKS_WAREHOUSE_ID") or None
        self.endpoint = self.dbx.host
        with _lock:
            _default = self

    def close(self):
        global _default
        with _lock:
            if _default is self:
                _default = None
        self.dbx.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<libdbx.compat.datarobot.Client endpoint=%r>" % self.endpoint


def _client(client=None) -> Client:
    c = client or _default
    if c is None:
        c = Client()  # resolve from the environment, like DataRobot's lazy default client
    return c


def _warehouse(c, warehouse_id):
    wh = warehouse_id or c.warehouse_id
    if not wh:
        raise _refuse("warehouse_id: no SQL warehouse (give warehouse_id=, or to Client(), or set "
                      "DATABRICKS_WAREHOUSE_ID)")
    return wh


# ---- model references -----------------------------------------------------------------------

_MODELS_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<version>[0-9]+)|@(?P<alias>[A-Za-z0-9_-]+))$")


def _model_ref(c, ref, default_model=None) -> Tuple[str, int]:
    """(model name, version) of a model reference: "models:/name/3", "models:/name@alias",
    (name, version), a libdbx ModelVersion, or a version number of ``default_model``."""
    reg = c.dbx.registry
    if isinstance(ref, libdbx.registry.ModelVersion):
        return ref.name, int(ref.version)
    if isinstance(ref, tuple) and len(ref) == 2:
        return str(ref[0]), int(ref[1])
    if isinstance(ref, int) and not isinstance(ref, bool):
        if default_model is None:
            raise _refuse("a bare version number needs a model: give \"models:/<name>/<version>\"")
        return default_model, ref
    if isinstance(ref, str):
        m = _MODELS_URI.match(ref)
        if m:
            if m.group("version"):
                return m.group("name"), int(m.group("version"))
            mv = reg.get_version_by_alias(m.group("name"), m.group("alias"))
            return mv.name, int(mv.version)
    raise _refuse("model reference %r: give \"models:/<name>/<version>\", \"models:/<name>@<alias>\", "
                  "(name, version) or a ModelVersion" % (ref,))


# ---- deployments ----------------------------------------------------------------------------


def _champion(ep):
    """(served entity, percentage) taking the largest share of the serving config, or (None, 0)."""
    cfg = ep.config or ep.pending_config
    if cfg is None or not cfg.served_entities:
        return None, 0
    share = {r.served_entity_name: r.traffic_percentage for r in cfg.routes}
    best = max(cfg.served_entities, key=lambda e: share.get(e.name, 0))
    return best, share.get(best.name, 0 if cfg.routes else 100)


class Deployment:
    """A serving endpoint with DataRobot's Deployment shape.

    ``id`` and ``label`` are the endpoint's name; ``endpoint_id`` the service's id;
    ``description``; ``model`` the champion's ``{"name", "version", "served_entity",
    "traffic_percentage"}`` (the served entity with the largest share; None before a config);
    ``status`` the endpoint's ``ready`` state and ``config_update`` its update state, as
    Databricks names them. ``service_health``, ``model_health`` and ``accuracy_health`` are
    None: Databricks computes no such summary (read :meth:`get_service_stats` and a quality
    monitor instead). ``endpoint`` is the :class:`libdbx.serving.Endpoint` it was read from.
    """

    service_health = None
    model_health = None
    accuracy_health = None

    def __init__(self, endpoint, client=None):
        self._client = client
        self.endpoint = endpoint
        self.id = endpoint.name
        self.label = endpoint.name
        self.endpoint_id = endpoint.id
        self.description = endpoint.raw.get("description")
        self.status = endpoint.ready
        self.config_update = endpoint.config_update
        self.tags = dict(endpoint.tags)
        ent, pct = _champion(endpoint)
        self.model = None if ent is None else {"name": ent.entity_name, "version": ent.entity_version,
                                               "served_entity": ent.name, "traffic_percentage": pct}

    def __repr__(self):
        return "Deployment(%r)" % self.label

    @property
    def _c(self):
        return _client(self._client)

    # ---- class methods ----------------------------------------------------------------------
    @classmethod
    @_dr
    def list(cls, order_by=None, search=None, filters=None, *, client=None) -> List["Deployment"]:
        """All endpoints, as DataRobot lists deployments. ``search``: a case-insensitive
        substring of the name or description. ``order_by``: "label" or "-label" (the name),
        "creation_timestamp" / "-creation_timestamp"; DataRobot's health and prediction-time
        orders are refused (Databricks has no such values). ``filters`` is not supported."""
        if filters is not None:
            raise _refuse("filters: DeploymentListFilters have no Databricks equivalent; use search=")
        c = _client(client)
        eps = [e for e in c.dbx.serving.list()]
        if search:
            s = str(search).lower()
            eps = [e for e in eps if s in e.name.lower() or s in str(e.raw.get("description") or "").lower()]
        if order_by:
            key = str(order_by).lstrip("-")
            desc = str(order_by).startswith("-")
            if key == "label":
                eps.sort(key=lambda e: e.name.lower(), reverse=desc)
            elif key == "creation_timestamp":
                eps.sort(key=lambda e: e.creation_timestamp, reverse=desc)
            else:
                raise _refuse("order_by %r: Databricks serving endpoints have no such value; use "
                              "\"label\" or \"creation_timestamp\" (\"-\" for descending)" % order_by)
        return [cls(e, client) for e in eps]

    @classmethod
    @_dr
    def get(cls, deployment_id, *, client=None) -> "Deployment":
        """The endpoint named ``deployment_id``."""
        c = _client(client)
        return cls(c.dbx.serving.get(deployment_id), client)

    @classmethod
    @_dr
    def create_from_registered_model_version(cls, model_package_id, label, description=None,
                                             default_prediction_server_id=None, importance=None,
                                             user_provided_id=None, additional_metadata=None, max_wait=600,
                                             *, workload_size="Small", scale_to_zero_enabled=False,
                                             alias="champion", client=None) -> "Deployment":
        """Serve a registered model version on a new endpoint named ``label`` and wait up to
        ``max_wait`` seconds until it is ready (AsyncTimeoutError after that; the endpoint
        stays). ``model_package_id``: a model reference (module doc). ``importance`` and
        ``additional_metadata`` (a dict or DataRobot's [{"key", "value"}] list) become endpoint
        tags; ``alias`` (default "champion", None: none) is pointed at the version once it
        serves. There are no prediction servers to choose (``default_prediction_server_id``)
        and the endpoint's key is its name (``user_provided_id``): both are refused."""
        if default_prediction_server_id is not None:
            raise _refuse("default_prediction_server_id: Databricks serving has no prediction servers")
        if user_provided_id is not None:
            raise _refuse("user_provided_id: a serving endpoint is keyed by its name (label)")
        c = _client(client)
        name, version = _model_ref(c, model_package_id)
        tags = {}
        if importance is not None:
            if importance not in _IMPORTANCE:
                raise _refuse("importance must be one of %s" % ", ".join(_IMPORTANCE))
            tags["importance"] = importance
        if isinstance(additional_metadata, dict):
            tags.update({str(k): str(v) for k, v in additional_metadata.items()})
        elif additional_metadata:
            for kv in additional_metadata:
                tags[str(kv["key"])] = str(kv["value"])
        c.dbx.serving.create(label, entities=[{"entity_name": name, "entity_version": str(version),
                                               "workload_size": workload_size,
                                               "scale_to_zero_enabled": bool(scale_to_zero_enabled)}],
                             tags=tags or None, description=description)
        ep = c.dbx.serving.wait_ready(label, timeout=max_wait)
        if alias:
            c.dbx.registry.set_alias(name, alias, version)
        return cls(ep, client)

    # ---- instance methods -------------------------------------------------------------------
    @_dr
    def delete(self) -> None:
        self._c.dbx.serving.delete(self.id)

    @_dr
    def predict_batch(self, source, max_wait=600, *, max_rows_per_request=None):
        """Score ``source`` (a CSV path, a file object holding CSV, a pandas DataFrame, or a list
        of dicts) and return the predictions in input row order: a pandas DataFrame when pandas
        is installed, else :class:`Predictions` (a list of row dicts). Each row is ``{"prediction": value}``; a model whose
        predictions are objects gives their members as columns. The rows go in
        ``dataframe_split`` requests under the 16 MB payload limit (``max_rows_per_request``
        caps the rows per request); ``max_wait`` bounds each request (at most 300 s, the
        service's own limit). CSV cells are read as int, float, empty (None) or text."""
        columns, rows = _read_table(source)
        c = self._c
        preds = _score_rows(c, self.id, columns, rows, timeout=min(float(max_wait), 300.0),
                            max_rows=max_rows_per_request)
        out = Predictions(dict(p) if isinstance(p, dict) else {"prediction": p} for p in preds)
        try:
            import pandas  # noqa: F401 - optional
        except ImportError:
            return out
        return pandas.DataFrame(list(out))

    @_dr
    def replace_model(self, new_model_id, reason, max_wait=600, *, alias="champion") -> None:
        """Replace the champion's model version: a config update in which the champion's served
        entity is replaced by one serving ``new_model_id`` (a model reference, or a version
        number of the champion's model) with the same workload and traffic share, other served
        entities kept; then wait up to ``max_wait`` seconds until it serves, point ``alias`` at
        the new version, and record ``reason`` (DataRobot's MODEL_REPLACEMENT_REASON values) in
        the endpoint tag ``replacement_reason``. The old config keeps serving until the new one
        is deployed. Databricks has no replacement validation: a version that cannot be served
        fails the update (ServerError carrying the deployment's message) and the old model keeps
        serving."""
        if reason not in _REASONS:
            raise _refuse("reason must be one of %s" % ", ".join(_REASONS))
        c = self._c
        ep = c.dbx.serving.get(self.id)
        champ, _ = _champion(ep)
        if champ is None:
            raise _refuse("deployment %r has no model yet" % self.id)
        name, version = _model_ref(c, new_model_id, default_model=champ.entity_name)
        cfg = ep.config
        entities, routes = [], {}
        share = {r.served_entity_name: r.traffic_percentage for r in cfg.routes}
        new_name = "%s-%d" % (name.replace(".", "-"), version)
        for e in cfg.served_entities:
            if e.name == champ.name:
                ent = {"entity_name": name, "entity_version": str(version), "name": new_name,
                       "workload_size": e.workload_size, "scale_to_zero_enabled": e.scale_to_zero_enabled,
                       "environment_vars": dict(e.environment_vars)}
                if e.workload_type:
                    ent["workload_type"] = e.workload_type
                entities.append(ent)
                routes[new_name] = share.get(e.name, 100)
            else:
                entities.append({"entity_name": e.entity_name, "entity_version": e.entity_version, "name": e.name,
                                 "workload_size": e.workload_size, "scale_to_zero_enabled": e.scale_to_zero_enabled,
                                 "environment_vars": dict(e.environment_vars)})
                routes[e.name] = share.get(e.name, 0)
        c.dbx.serving.update_config(self.id, entities=entities, routes=routes)
        try:
            ep = c.dbx.serving.wait_ready(self.id, timeout=max_wait)
        except _errors.OperationFailed as exc:
            raise ServerError("replacing the model of %r failed: %s" % (self.id, exc.message), None,
                              status=exc.status, status_name=exc.status_name) from exc
        if alias:
            c.dbx.registry.set_alias(name, alias, version)
        c.dbx.serving.patch_tags(self.id, add={"replacement_reason": reason})
        self.__init__(c.dbx.serving.get(self.id), self._client)

    @_dr
    def submit_actuals(self, data, batch_size=10000, *, table=None, warehouse_id=None) -> None:
        """Append actual outcomes to a Delta table, ``batch_size`` rows (at most 10000) per
        statement. ``data``: a pandas DataFrame or a list of dicts with ``association_id`` (text,
        at most 128 characters; the ``client_request_id`` the prediction was sent with),
        ``actual_value`` (a number or a class label), and optional ``was_acted_on`` (bool) and
        ``timestamp`` (a datetime or ISO 8601 text; naive means UTC). Every row is checked
        before anything is written. ``table``: default ``<catalog>.<schema>.<prefix>_actuals``
        beside the endpoint's inference table; created when missing (columns association_id,
        actual_value DOUBLE or STRING, was_acted_on, timestamp, deployment_id, submitted_at)."""
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or not 1 <= batch_size <= 10000:
            raise _refuse("batch_size must be an integer from 1 to 10000")
        recs = _records(data, "data")
        if not recs:
            raise _refuse("data: no rows")
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        rows = []
        numeric = True
        for i, r in enumerate(recs):
            aid = r.get("association_id")
            if aid is None or (isinstance(aid, float) and math.isnan(aid)):
                raise _refuse("data row %d: association_id is required" % i)
            aid = str(aid)
            if len(aid) > 128:
                raise _refuse("data row %d: association_id longer than 128 characters" % i)
            if "actual_value" not in r or r["actual_value"] is None:
                raise _refuse("data row %d: actual_value is required" % i)
            av = r["actual_value"]
            if isinstance(av, bool) or not isinstance(av, (int, float)):
                numeric = False
            acted = r.get("was_acted_on")
            if acted is not None and not isinstance(acted, bool):
                raise _refuse("data row %d: was_acted_on must be a bool" % i)
            rows.append([aid, av, acted, _utc(r.get("timestamp"), i), self.id, now])
        if not numeric:
            for row in rows:
                row[1] = str(row[1])
        else:
            for row in rows:
                row[1] = float(row[1])
        c = self._c
        wh = _warehouse(c, warehouse_id)
        table = table or self._beside_inference_table("actuals")
        cols = ["association_id", "actual_value", "was_acted_on", "timestamp", "deployment_id", "submitted_at"]
        c.dbx.delta.create_table(table, [("association_id", "STRING"),
                                         ("actual_value", "DOUBLE" if numeric else "STRING"),
                                         ("was_acted_on", "BOOLEAN"), ("timestamp", "TIMESTAMP"),
                                         ("deployment_id", "STRING"), ("submitted_at", "TIMESTAMP")],
                                 if_not_exists=True, warehouse_id=wh)
        c.dbx.delta.append(table, rows, cols, types={"was_acted_on": "BOOLEAN", "timestamp": "TIMESTAMP"},
                           warehouse_id=wh, batch_rows=batch_size)

    def _beside_inference_table(self, suffix):
        raw = self._c.dbx.serving.get(self.id).raw
        itc = (raw.get("ai_gateway") or {}).get("inference_table_config") or {}
        if not itc.get("enabled"):
            itc = (raw.get("config") or {}).get("auto_capture_config") or {}
        if not itc.get("catalog_name") or not itc.get("schema_name"):
            raise _refuse("table: deployment %r has no inference table to put the %s beside; give table="
                          % (self.id, suffix))
        prefix = itc.get("table_name_prefix") or self.id
        return "%s.%s.%s_%s" % (itc["catalog_name"], itc["schema_name"], prefix.replace("-", "_"), suffix)

    @_dr
    def get_service_stats(self, model_id=None, start_time=None, end_time=None, execution_time_quantile=None,
                          response_time_quantile=None, slow_requests_threshold=None) -> Dict[str, Any]:
        """The endpoint's own counters (GET .../metrics) under DataRobot's service-stat names:
        ``totalRequests``, ``totalPredictions`` (requests answered), ``userErrorRate`` and
        ``serverErrorRate`` (4xx and 5xx shares) and ``responseTime`` (mean ms) since the
        endpoint started. Statistics Databricks does not keep are None: ``slowRequests``,
        ``cacheHitRatio``, ``medianLoad``, ``peakLoad``, ``numConsumers``, ``executionTime``.
        A time window (``start_time`` / ``end_time``) or quantiles cannot be honoured from
        cumulative counters and are refused; ``model_id`` selects one served entity."""
        if start_time is not None or end_time is not None:
            raise _refuse("start_time / end_time: the endpoint's metrics are cumulative counters; read the "
                          "inference table through SQL for a window")
        if execution_time_quantile is not None or response_time_quantile is not None or \
                slow_requests_threshold is not None:
            raise _refuse("quantiles and slow_requests_threshold: not computed by Databricks")
        return _service_stats(self._c.dbx.serving.metrics(self.id), model_id)


class Predictions(list):
    """predict_batch's answer without pandas: a list of row dicts that also answers the
    DataFrame calls scripts use most: ``frame["prediction"]`` (a column as a list),
    ``columns``, ``to_dict(orient="records")``."""

    @property
    def columns(self):
        cols = []
        for r in self:
            for k in r:
                if k not in cols:
                    cols.append(k)
        return cols

    def __getitem__(self, key):
        if isinstance(key, str):
            if self and not any(key in r for r in self):
                raise KeyError(key)
            return [r.get(key) for r in self]
        return list.__getitem__(self, key)

    def to_dict(self, orient="records"):
        if orient != "records":
            raise ValueError("only orient=\"records\" without pandas")
        return [dict(r) for r in self]


def _utc(ts, i):
    if ts is None:
        return None
    if isinstance(ts, str):
        try:
            ts = datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))
        except ValueError:
            raise _refuse("data row %d: timestamp %r is not ISO 8601" % (i, ts)) from None
    if isinstance(ts, datetime.datetime):
        if ts.tzinfo is not None:
            ts = ts.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return ts
    raise _refuse("data row %d: timestamp must be a datetime or ISO 8601 text" % i)


def _records(data, what) -> List[Dict[str, Any]]:
    if hasattr(data, "to_dict") and hasattr(data, "columns"):
        return data.to_dict(orient="records")
    if isinstance(data, (list, tuple)) and all(isinstance(r, dict) for r in data):
        return list(data)
    raise _refuse("%s: give a pandas DataFrame or a list of dicts" % what)


def _cell(text):
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        v = float(text)
        return v if math.isfinite(v) else text
    except ValueError:
        return text


def _read_table(source) -> Tuple[List[str], List[List[Any]]]:
    """(columns, rows) of a CSV path, a CSV file object, a DataFrame or a list of dicts."""
    if hasattr(source, "to_dict") and hasattr(source, "columns"):
        cols = [str(c) for c in source.columns]
        return cols, [[_nan_none(v) for v in r] for r in source.itertuples(index=False, name=None)]
    if isinstance(source, (list, tuple)):
        recs = _records(source, "source")
        cols = []
        for r in recs:
            for k in r:
                if k not in cols:
                    cols.append(k)
        return cols, [[r.get(k) for k in cols] for r in recs]
    if isinstance(source, (str, os.PathLike)):
        with open(source, newline="", encoding="utf-8-sig") as f:
            return _read_csv(f)
    if hasattr(source, "read"):
        data = source.read()
        if isinstance(data, bytes):
            data = data.decode("utf-8-sig")
        return _read_csv(io.StringIO(data))
    raise _refuse("source: give a CSV path, a file object, a pandas DataFrame or a list of dicts")


def _nan_none(v):
    return None if isinstance(v, float) and math.isnan(v) else v


def _read_csv(f):
    reader = csv.reader(f)
    header = next(reader, None)
    if not header:
        raise _refuse("source: the CSV has no header row")
    rows = []
    for n, rec in enumerate(reader, start=2):
        if not rec:
            continue
        if len(rec) != len(header):
            raise _refuse("source: CSV line %d has %d cells, the header %d" % (n, len(rec), len(header)))
        rows.append([_cell(x) for x in rec])
    return header, rows


def _score_rows(c, name, columns, rows, *, timeout, max_rows):
    """Predictions for rows, in order: libdbx's batch helper (dbx_serving_query_batch) splits
    them under the payload limit and sends the chunks in parallel."""
    if not rows:
        return []
    return c.dbx.serving.query_batch(name, rows, columns, max_rows_per_request=max_rows or 0,
                                     timeout=timeout).predictions


# ---- service stats from the endpoint's Prometheus text --------------------------------------


def _service_stats(metrics, model_id):
    """DataRobot's service-stat names over the endpoint's parsed /metrics samples."""
    def total(metric):
        vals = [m.value for m in metrics if m.name == metric and
                (model_id is None or m.labels.get("served_entity_name") == model_id)]
        return sum(vals) if vals else None

    req = total("request_count_total")
    e4, e5 = total("request_4xx_count_total"), total("request_5xx_count_total")
    lsum, lcount = total("request_latency_ms_sum"), total("request_latency_ms_count")
    ok = None if req is None else req - (e4 or 0) - (e5 or 0)
    return {
        "totalRequests": None if req is None else int(req),
        "totalPredictions": None if ok is None else int(ok),
        "userErrorRate": None if not req or e4 is None else e4 / req,
        "serverErrorRate": None if not req or e5 is None else e5 / req,
        "responseTime": None if not lcount or lsum is None else lsum / lcount,
        "executionTime": None, "slowRequests": None, "cacheHitRatio": None, "medianLoad": None,
        "peakLoad": None, "numConsumers": None,
    }


# ---- projects and models (MLflow experiments and runs) ---------------------------------------


class Model:
    """An MLflow run in DataRobot's leaderboard-model shape: ``id`` is the run id,
    ``project_id`` the experiment id, ``model_type`` the run name, ``metrics`` the latest value
    of each metric (Databricks keeps one value per key, not DataRobot's per-partition scores),
    ``params`` and ``tags``; ``run`` the :class:`libdbx.mlflow.Run`."""

    def __init__(self, run):
        self.run = run
        self.id = run.run_id
        self.project_id = run.experiment_id
        self.model_type = run.run_name
        self.metrics = dict(run.metrics)
        self.params = dict(run.params)
        self.tags = dict(run.tags)

    def __repr__(self):
        return "Model(%r)" % (self.model_type or self.id)


class Project:
    """An MLflow experiment in DataRobot's Project shape (``id`` the experiment id,
    ``project_name`` its name). There is no target or Autopilot: training is the caller's code
    or a job; the leaderboard is a run search."""

    def __init__(self, experiment, client=None):
        self._client = client
        self.experiment = experiment
        self.id = experiment.experiment_id
        self.project_name = experiment.name

    def __repr__(self):
        return "Project(%r)" % self.project_name

    @classmethod
    @_dr
    def get(cls, project_id, *, client=None) -> "Project":
        """An experiment by id, or by name when ``project_id`` is not a number."""
        c = _client(client)
        if str(project_id).isdigit():
            return cls(c.dbx.mlflow.get_experiment(str(project_id)), client)
        exp = c.dbx.mlflow.get_experiment_by_name(project_id)
        if exp is None:
            raise ClientError("no experiment named %r" % project_id, 404, error_code="RESOURCE_DOES_NOT_EXIST")
        return cls(exp, client)

    @classmethod
    @_dr
    def list(cls, search_params=None, *, client=None) -> List["Project"]:
        """Experiments; ``search_params={"project_name": text}`` keeps names containing it."""
        c = _client(client)
        flt = None
        if search_params:
            name = search_params.get("project_name")
            if name is None or set(search_params) - {"project_name"}:
                raise _refuse("search_params: only {\"project_name\": ...} is supported")
            flt = "name LIKE '%%%s%%'" % str(name).replace("'", "''")
        return [cls(e, client) for e in c.dbx.mlflow.search_experiments(flt)]

    @_dr
    def get_models(self, order_by=None, search_params=None, with_metric=None) -> List[Model]:
        """The experiment's runs as models. ``order_by``: "metric" / "-metric" sort by
        ``with_metric`` (ascending / descending; DataRobot sorts by the project's metric, which
        an experiment does not have, so it must be named), or MLflow clauses ("metrics.auc
        DESC", "start_time", ...) as given. ``search_params``: {"name": text} keeps runs whose
        name contains it; an MLflow filter string is also accepted."""
        c = _client(self._client)
        order = None
        if order_by:
            clauses = [order_by] if isinstance(order_by, str) else list(order_by)
            order = []
            for cl in clauses:
                if cl.lstrip("-") == "metric":
                    if not with_metric:
                        raise _refuse("order_by \"metric\" needs with_metric= (the metric to sort by)")
                    order.append("metrics.`%s` %s" % (with_metric, "DESC" if cl.startswith("-") else "ASC"))
                else:
                    order.append(cl)
        flt = None
        if isinstance(search_params, dict):
            if set(search_params) - {"name"}:
                raise _refuse("search_params: only {\"name\": ...} or an MLflow filter string")
            flt = "attributes.run_name LIKE '%%%s%%'" % str(search_params["name"]).replace("'", "''")
        elif search_params:
            flt = str(search_params)
        runs = c.dbx.mlflow.search_runs([self.id], flt, order_by=order)
        models = [Model(r) for r in runs]
        if with_metric and not order:
            models = [m for m in models if with_metric in m.metrics]
        return models


# ---- MLOps reporting ------------------------------------------------------------------------


class MLOps:
    """The ``datarobot-mlops`` reporter's shape, writing to Delta tables instead of a spooler:

        mlops = (MLOps().set_deployment_id("fraud-scoring").set_model_id("ml.fraud.model/3")
                 .set_delta_spooler("ml.monitoring", warehouse_id=WH).init())
        mlops.report_deployment_stats(num_predictions=len(df), execution_time_ms=12.5)
        mlops.report_predictions_data(features_df=df, predictions=preds, association_ids=ids)
        mlops.shutdown()

    Each report is one INSERT through statement execution (synchronous; there is no agent or
    spool). Tables (created when missing) in the schema given to :meth:`set_delta_spooler`:
    ``<prefix>_deployment_stats`` and ``<prefix>_predictions`` (prefix: the deployment id,
    ``-`` as ``_``). A quality monitor on the predictions table computes drift; the
    ``report_*`` calls compute nothing themselves. Ids default to ``MLOPS_DEPLOYMENT_ID`` and
    ``MLOPS_MODEL_ID`` as in the MLOps library; DataRobot's spooler setters do not exist here
    (use :meth:`set_delta_spooler`)."""

    def __init__(self, *, client=None):
        self._client = client
        self._deployment_id = os.environ.get("MLOPS_DEPLOYMENT_ID") or None
        self._model_id = os.environ.get("MLOPS_MODEL_ID") or None
        self._assoc_col = None
        self._schema = None
        self._warehouse = None
        self._prefix = None
        self._async = False
        self._state = "new"
        self._made = set()

    def set_deployment_id(self, deployment_id):
        self._deployment_id = str(deployment_id)
        return self

    def set_model_id(self, model_id):
        self._model_id = str(model_id)
        return self

    def set_association_id_column_name(self, name):
        """The column of ``features_df`` holding association ids (used when
        ``association_ids`` is not given to report_predictions_data)."""
        self._assoc_col = str(name)
        return self

    def set_async_reporting(self, flag=True):
        """Kept for the call shape; libdbx reports synchronously either way (each report is one
        SQL statement, waited for), so a failure surfaces at the call that caused it."""
        self._async = bool(flag)
        return self

    def set_delta_spooler(self, schema, *, warehouse_id=None, table_prefix=None):
        """Where reports go: Delta tables in ``schema`` ("catalog.schema") written through
        ``warehouse_id`` (default: the client's), named ``<table_prefix>_deployment_stats`` and
        ``<table_prefix>_predictions`` (default prefix: the deployment id)."""
        if not re.match(r"^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$", str(schema)):
            raise DRApiException("schema must be \"catalog.schema\"")
        self._schema = str(schema)
        self._warehouse = warehouse_id
        self._prefix = table_prefix
        return self

    def init(self):
        if self._state != "new":
            raise DRAlreadyInitialized("MLOps is already initialized")
        if not self._deployment_id or not self._model_id:
            raise DRApiException("set_deployment_id and set_model_id (or MLOPS_DEPLOYMENT_ID / "
                                 "MLOPS_MODEL_ID) before init()")
        if not self._schema:
            raise DRApiException("set_delta_spooler(schema) before init(): reports go to Delta tables")
        self._state = "ready"
        return self

    def shutdown(self, timeout_sec=0):
        self._state = "closed"

    def _table(self, kind, deployment_id):
        prefix = self._prefix or re.sub(r"[^A-Za-z0-9_]", "_", deployment_id)
        return "%s.%s_%s" % (self._schema, prefix, kind)

    def _ready(self):
        if self._state != "ready":
            raise DRApiException("MLOps is not initialized" if self._state == "new" else "MLOps was shut down")

    @_dr
    def _write(self, kind, columns, rows, spec):
        c = _client(self._client)
        wh = _warehouse(c, self._warehouse)
        table = self._table(kind, rows[0][1])
        if table not in self._made:
            c.dbx.delta.create_table(table, spec, if_not_exists=True, warehouse_id=wh)
            self._made.add(table)
        c.dbx.delta.append(table, rows, columns, types=dict(spec), warehouse_id=wh)

    def report_deployment_stats(self, num_predictions, execution_time_ms, user_error=False, system_error=False,
                                deployment_id=None, model_id=None, batch_id=None):
        """One row in ``<prefix>_deployment_stats``: reported_at, deployment_id, model_id, batch_id,
        num_predictions, execution_time_ms, user_error, system_error."""
        self._ready()
        if isinstance(num_predictions, bool) or not isinstance(num_predictions, int) or num_predictions < 0:
            raise DRApiException("num_predictions must be a non-negative int")
        if isinstance(execution_time_ms, bool) or not isinstance(execution_time_ms, (int, float)) or \
                not math.isfinite(execution_time_ms) or execution_time_ms < 0:
            raise DRApiException("execution_time_ms must be a non-negative number")
        dep = str(deployment_id or self._deployment_id)
        spec = [("reported_at", "TIMESTAMP"), ("deployment_id", "STRING"), ("model_id", "STRING"),
                ("batch_id", "STRING"), ("num_predictions", "BIGINT"), ("execution_time_ms", "DOUBLE"),
                ("user_error", "BOOLEAN"), ("system_error", "BOOLEAN")]
        row = [_now(), dep, str(model_id or self._model_id), None if batch_id is None else str(batch_id),
               num_predictions, float(execution_time_ms), bool(user_error), bool(system_error)]
        self._write("deployment_stats", [n for n, _ in spec], [row], spec)

    def report_predictions_data(self, features_df=None, predictions=None, association_ids=None, class_names=None,
                                deployment_id=None, model_id=None, batch_id=None):
        """Rows in ``<prefix>_predictions``, one per prediction: reported_at, deployment_id,
        model_id, batch_id, association_id, features (the row as JSON text), prediction (a
        regression value, or the probability of the last class), predicted_class and
        class_probabilities (JSON) for classification (``predictions`` a list of per-class
        probability lists, ``class_names`` their labels)."""
        self._ready()
        if predictions is None and features_df is None:
            raise DRApiException("give predictions and/or features_df")
        feats = _records(features_df, "features_df") if features_df is not None else None
        n = len(predictions) if predictions is not None else len(feats)
        if feats is not None and len(feats) != n:
            raise DRApiException("features_df has %d rows, predictions %d" % (len(feats), n))
        if association_ids is None and self._assoc_col and feats is not None:
            association_ids = [f.get(self._assoc_col) for f in feats]
        if association_ids is not None and len(association_ids) != n:
            raise DRApiException("association_ids has %d values, predictions %d" % (len(association_ids), n))
        dep = str(deployment_id or self._deployment_id)
        mid = str(model_id or self._model_id)
        now = _now()
        rows = []
        for i in range(n):
            pred = predictions[i] if predictions is not None else None
            pclass = probs = None
            value = None
            if isinstance(pred, (list, tuple)):
                if not class_names or len(class_names) != len(pred):
                    raise DRApiException("classification predictions need class_names of the same length")
                if not all(isinstance(p, (int, float)) and not isinstance(p, bool) for p in pred):
                    raise DRApiException("prediction %d: probabilities must be numbers" % i)
                k = max(range(len(pred)), key=lambda j: pred[j])
                pclass = str(class_names[k])
                probs = json.dumps({str(cn): float(p) for cn, p in zip(class_names, pred)})
                value = float(pred[-1])
            elif pred is not None:
                if isinstance(pred, bool) or not isinstance(pred, (int, float)):
                    raise DRApiException("prediction %d must be a number (regression) or a list of "
                                         "probabilities (classification)" % i)
                value = float(pred)
            aid = None if association_ids is None or association_ids[i] is None else str(association_ids[i])
            rows.append([now, dep, mid, None if batch_id is None else str(batch_id), aid,
                         None if feats is None else json.dumps(feats[i], default=str, sort_keys=True),
                         value, pclass, probs])
        spec = [("reported_at", "TIMESTAMP"), ("deployment_id", "STRING"), ("model_id", "STRING"),
                ("batch_id", "STRING"), ("association_id", "STRING"), ("features", "STRING"),
                ("prediction", "DOUBLE"), ("predicted_class", "STRING"), ("class_probabilities", "STRING")]
        self._write("predictions", [n_ for n_, _ in spec], rows, spec)


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
