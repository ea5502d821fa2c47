"""The MLflow model registries: ``client.registry`` (the workspace registry and Unity Catalog
models behind one API, include/dbx/registry.h).

Which registry a call addresses: ``client.registry`` follows the client option ``registry_uri``
(``MLFLOW_REGISTRY_URI``), else the name's shape (``"catalog.schema.model"`` is UC, anything else
the workspace registry); ``client.registry.workspace`` and ``client.registry.uc`` pin one.
Version numbers are ``int`` in both registries; models and versions are frozen dataclasses read
through libdbx's accessors (``.raw`` is the server's whole object, parsed on first use).
"""

import ctypes
import dataclasses
import json
import os
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from . import _base, _native, errors

c_void_p, c_char_p, c_int, c_int64 = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int64
c_size_t, c_uint, c_long = ctypes.c_size_t, ctypes.c_uint, ctypes.c_long
POINTER = ctypes.POINTER
WaitOptions = _native.WaitOptions

REGISTRIES = {"default": 0, "workspace": 1, "uc": 2}
STAGES = ("None", "Staging", "Production", "Archived")

# int (*on_file)(void *payload, const char *relpath, int64_t size)
ON_FILE_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_char_p, c_int64)


class _Tag(ctypes.Structure):
    """``dbx_registry_tag`` (include/dbx/registry.h; not versioned, two pointers)."""
    _fields_ = [("key", c_char_p), ("value", c_char_p)]


class _ModelCreateOptions(ctypes.Structure):
    """``dbx_registry_model_create_options`` version 1."""
    _fields_ = [("version", c_uint), ("description", c_char_p), ("tags", POINTER(_Tag)),
                ("n_tags", c_size_t), ("storage_location", c_char_p)]


class _ModelsSearchOptions(ctypes.Structure):
    """``dbx_registry_models_search_options`` version 1."""
    _fields_ = [("version", c_uint), ("filter", c_char_p), ("order_by", POINTER(c_char_p)),
                ("catalog_name", c_char_p), ("schema_name", c_char_p), ("page_size", c_int),
                ("max_items", c_long)]


class _VersionCreateOptions(ctypes.Structure):
    """``dbx_registry_version_create_options`` version 1."""
    _fields_ = [("version", c_uint), ("run_id", c_char_p), ("description", c_char_p),
                ("tags", POINTER(_Tag)), ("n_tags", c_size_t), ("run_link", c_char_p)]


class _VersionsSearchOptions(ctypes.Structure):
    """``dbx_registry_versions_search_options`` version 1."""
    _fields_ = [("version", c_uint), ("filter", c_char_p), ("order_by", POINTER(c_char_p)),
                ("page_size", c_int), ("max_items", c_long)]


class _RegisterOptions(ctypes.Structure):
    """``dbx_registry_register_options`` version 1."""
    _fields_ = [("version", c_uint), ("source", c_char_p), ("run_id", c_char_p),
                ("description", c_char_p), ("tags", POINTER(_Tag)), ("n_tags", c_size_t),
                ("create_model", c_int), ("wait", POINTER(WaitOptions)), ("on_file", ON_FILE_FN),
                ("payload", c_void_p)]


_M, _V = c_void_p, c_void_p
PROTOS = [
    ("dbx_registry_name", c_char_p, c_int),
    ("dbx_model_version_status_name", c_char_p, c_int),
    ("dbx_registered_model_free", None, _M),
    ("dbx_registered_model_registry", c_int, _M),
    ("dbx_registered_model_name", c_char_p, _M),
    ("dbx_registered_model_catalog_name", c_char_p, _M),
    ("dbx_registered_model_schema_name", c_char_p, _M),
    ("dbx_registered_model_description", c_char_p, _M),
    ("dbx_registered_model_owner", c_char_p, _M),
    ("dbx_registered_model_storage_location", c_char_p, _M),
    ("dbx_registered_model_creation_timestamp", c_int64, _M),
    ("dbx_registered_model_last_updated_timestamp", c_int64, _M),
    ("dbx_registered_model_alias_count", c_size_t, _M),
    ("dbx_registered_model_alias", c_char_p, _M, c_size_t),
    ("dbx_registered_model_alias_version", c_int64, _M, c_size_t),
    ("dbx_registered_model_tag_count", c_size_t, _M),
    ("dbx_registered_model_tag_key", c_char_p, _M, c_size_t),
    ("dbx_registered_model_tag_value", c_char_p, _M, c_size_t),
    ("dbx_registered_model_tag", c_char_p, _M, c_char_p),
    ("dbx_registered_model_json", c_char_p, _M),
    ("dbx_model_version_free", None, _V),
    ("dbx_model_version_registry", c_int, _V),
    ("dbx_model_version_name", c_char_p, _V),
    ("dbx_model_version_version", c_int64, _V),
    ("dbx_model_version_status", c_int, _V),
    ("dbx_model_version_status_str", c_char_p, _V),
    ("dbx_model_version_status_message", c_char_p, _V),
    ("dbx_model_version_stage", c_char_p, _V),
    ("dbx_model_version_description", c_char_p, _V),
    ("dbx_model_version_source", c_char_p, _V),
    ("dbx_model_version_run_id", c_char_p, _V),
    ("dbx_model_version_storage_location", c_char_p, _V),
    ("dbx_model_version_user_id", c_char_p, _V),
    ("dbx_model_version_creation_timestamp", c_int64, _V),
    ("dbx_model_version_last_updated_timestamp", c_int64, _V),
    ("dbx_model_version_alias_count", c_size_t, _V),
    ("dbx_model_version_alias", c_char_p, _V, c_size_t),
    ("dbx_model_version_tag_count", c_size_t, _V),
    ("dbx_model_version_tag_key", c_char_p, _V, c_size_t),
    ("dbx_model_version_tag_value", c_char_p, _V, c_size_t),
    ("dbx_model_version_tag", c_char_p, _V, c_char_p),
    ("dbx_model_version_json", c_char_p, _V),
    ("dbx_registry_model_create", c_int, POINTER(c_void_p), c_void_p, c_int, c_char_p,
     POINTER(_ModelCreateOptions)),
    ("dbx_registry_model_get", c_int, POINTER(c_void_p), c_void_p, c_int, c_char_p),
    ("dbx_registry_model_rename", c_int, POINTER(c_void_p), c_void_p, c_int, c_char_p, c_char_p),
    ("dbx_registry_model_update", c_int, POINTER(c_void_p), c_void_p, c_int, c_char_p, c_char_p),
    ("dbx_registry_model_delete", c_int, c_void_p, c_int, c_char_p),
    ("dbx_registry_model_set_tag", c_int, c_void_p, c_int, c_char_p, c_char_p, c_char_p),
    ("dbx_registry_model_delete_tag", c_int, c_void_p, c_int, c_char_p, c_char_p),
    ("dbx_registry_models_search", c_int, POINTER(c_void_p), c_void_p, c_int,
     POINTER(_ModelsSearchOptions)),
    ("dbx_registered_models_iter_next", c_int, POINTER(c_void_p), c_void_p),
    ("dbx_registered_models_iter_free", None, c_void_p),
    ("dbx_registry_version_create", c_int, POINTER(c_void_p), c_void_p, c_int, c_char_p, c_char_p,
     POINTER(_VersionCreateOptions)),
    ("dbx_registry_version_get", c_int, POINTER(c_void_p), c_void_p, c_int, c_char_p, c_int64),
    ("dbx_registry_version_update", c_int, POINTER(c_void_p), c_void_p, c_int, c_char_p, c_int64,
     c_char_p),
    ("dbx_registry_version_delete", c_int, c_void_p, c_int, c_char_p, c_int64),
    ("dbx_registry_versions_search", c_int, POINTER(c_void_p), c_void_p, c_int, c_char_p,
     POINTER(_VersionsSearchOptions)),
    ("dbx_registry_versions_latest", c_int, POINTER(c_void_p), c_void_p, c_int, c_char_p,
     POINTER(c_char_p)),
    ("dbx_model_versions_iter_next", c_int, POINTER(c_void_p), c_void_p),
    ("dbx_model_versions_iter_free", None, c_void_p),
    ("dbx_registry_version_transition_stage", c_int, POINTER(c_void_p), c_void_p, c_int, c_char_p,
     c_int64, c_char_p, c_int, c_char_p),
    ("dbx_registry_version_download_uri", c_int, POINTER(c_void_p), c_void_p, c_int, c_char_p,
     c_int64),
    ("dbx_registry_version_set_tag", c_int, c_void_p, c_int, c_char_p, c_int64, c_char_p, c_char_p),
    ("dbx_registry_version_delete_tag", c_int, c_void_p, c_int, c_char_p, c_int64, c_char_p),
    ("dbx_registry_version_finalize", c_int, POINTER(c_void_p), c_void_p, c_int, c_char_p, c_int64),
    ("dbx_registry_version_wait_ready", c_int, POINTER(c_void_p), c_void_p, c_int, c_char_p,
     c_int64, POINTER(WaitOptions)),
    ("dbx_registry_alias_set", c_int, c_void_p, c_int, c_char_p, c_char_p, c_int64),
    ("dbx_registry_alias_delete", c_int, c_void_p, c_int, c_char_p, c_char_p),
    ("dbx_registry_version_get_by_alias", c_int, POINTER(c_void_p), c_void_p, c_int, c_char_p,
     c_char_p),
    ("dbx_registry_register_uc_version", c_int, POINTER(c_void_p), POINTER(c_int64), c_void_p,
     c_char_p, c_char_p, POINTER(_RegisterOptions)),
]


# ---- results --------------------------------------------------------------------------------

class _Raw:
    @property
    def raw(self) -> Dict[str, Any]:
        """The server's whole object (``latest_versions``, ``permission_level``, ...)."""
        r = self._raw
        if r is None:
            r = json.loads(self._json or "{}")
            object.__setattr__(self, "_raw", r)
        return r


def _tags(lib, p, count, key, value):
    t = _native.text
    return {t(key(p, i)): t(value(p, i)) for i in range(count(p))}


@dataclasses.dataclass(frozen=True)
class RegisteredModel(_Raw):
    """A registered model of either registry. ``name`` is what to address it with (``"fraud"``
    or ``"catalog.schema.model"``); ``aliases`` maps alias -> version."""
    registry: str
    name: str
    catalog_name: str
    schema_name: str
    description: str
    owner: str
    storage_location: str
    creation_timestamp: int
    last_updated_timestamp: int
    aliases: Dict[str, int]
    tags: Dict[str, str]
    _json: Optional[str] = dataclasses.field(default=None, repr=False, compare=False)
    _raw: Any = dataclasses.field(default=None, init=False, repr=False, compare=False)

    @property
    def latest_versions(self) -> List["ModelVersion"]:
        """The workspace answer's ``latest_versions`` (the latest READY version per stage)."""
        return [ModelVersion.from_dict(d, self.registry) for d in self.raw.get("latest_versions") or []]

    @classmethod
    def _from_c(cls, lib, p):
        t = _native.text
        return cls(
            registry=t(lib.dbx_registry_name(lib.dbx_registered_model_registry(p))),
            name=t(lib.dbx_registered_model_name(p)),
            catalog_name=t(lib.dbx_registered_model_catalog_name(p)),
            schema_name=t(lib.dbx_registered_model_schema_name(p)),
            description=t(lib.dbx_registered_model_description(p)),
            owner=t(lib.dbx_registered_model_owner(p)),
            storage_location=t(lib.dbx_registered_model_storage_location(p)),
            creation_timestamp=lib.dbx_registered_model_creation_timestamp(p),
            last_updated_timestamp=lib.dbx_registered_model_last_updated_timestamp(p),
            aliases={t(lib.dbx_registered_model_alias(p, i)): lib.dbx_registered_model_alias_version(p, i)
                     for i in range(lib.dbx_registered_model_alias_count(p))},
            tags=_tags(lib, p, lib.dbx_registered_model_tag_count, lib.dbx_registered_model_tag_key,
                       lib.dbx_registered_model_tag_value),
            _json=t(lib.dbx_registered_model_json(p)))


@dataclasses.dataclass(frozen=True)
class ModelVersion(_Raw):
    """A model version of either registry. ``status`` is ``"READY"``,
    ``"PENDING_REGISTRATION"``, ``"FAILED_REGISTRATION"`` or ``"UNKNOWN"`` (the server's own
    text in ``status_raw``); ``stage`` is None in Unity Catalog (no stages)."""
    registry: str
    name: str
    version: int
    status: str
    status_raw: str
    status_message: str
    stage: Optional[str]
    description: str
    source: str
    run_id: str
    storage_location: str
    user_id: str
    creation_timestamp: int
    last_updated_timestamp: int
    aliases: Tuple[str, ...]
    tags: Dict[str, str]
    _json: Optional[str] = dataclasses.field(default=None, repr=False, compare=False)
    _raw: Any = dataclasses.field(default=None, init=False, repr=False, compare=False)

    @property
    def ready(self) -> bool:
        return self.status == "READY"

    @classmethod
    def _from_c(cls, lib, p):
        t = _native.text
        return cls(
            registry=t(lib.dbx_registry_name(lib.dbx_model_version_registry(p))),
            name=t(lib.dbx_model_version_name(p)),
            version=lib.dbx_model_version_version(p),
            status=t(lib.dbx_model_version_status_name(lib.dbx_model_version_status(p))),
            status_raw=t(lib.dbx_model_version_status_str(p)),
            status_message=t(lib.dbx_model_version_status_message(p)),
            stage=t(lib.dbx_model_version_stage(p)),
            description=t(lib.dbx_model_version_description(p)),
            source=t(lib.dbx_model_version_source(p)),
            run_id=t(lib.dbx_model_version_run_id(p)),
            storage_location=t(lib.dbx_model_version_storage_location(p)),
            user_id=t(lib.dbx_model_version_user_id(p)),
            creation_timestamp=lib.dbx_model_version_creation_timestamp(p),
            last_updated_timestamp=lib.dbx_model_version_last_updated_timestamp(p),
            aliases=tuple(t(lib.dbx_model_version_alias(p, i))
                          for i in range(lib.dbx_model_version_alias_count(p))),
            tags=_tags(lib, p, lib.dbx_model_version_tag_count, lib.dbx_model_version_tag_key,
                       lib.dbx_model_version_tag_value),
            _json=t(lib.dbx_model_version_json(p)))

    @classmethod
    def from_dict(cls, d, registry="workspace"):
        """From a workspace ModelVersion dict (``latest_versions`` entries)."""
        status = d.get("status", "")
        return cls(
            registry=registry, name=d.get("name", ""), version=int(d.get("version", 0)),
            status=status if status in ("READY", "PENDING_REGISTRATION", "FAILED_REGISTRATION") else "UNKNOWN",
            status_raw=status, status_message=d.get("status_message", ""),
            stage=d.get("current_stage"), description=d.get("description", ""),
            source=d.get("source", ""), run_id=d.get("run_id", ""), storage_location="",
            user_id=d.get("user_id", ""), creation_timestamp=int(d.get("creation_timestamp", 0)),
            last_updated_timestamp=int(d.get("last_updated_timestamp", 0)),
            aliases=tuple(d.get("aliases") or ()),
            tags={x.get("key"): x.get("value") for x in d.get("tags") or []}, _json=json.dumps(d))


# ---- helpers --------------------------------------------------------------------------------

def _inval(msg):
    return errors.InvalidArgument(msg, status=-2, status_name="DBX_EINVAL")


def _tag_array(tags):
    """``{key: value}`` or ``[(key, value)]`` -> (ctypes array, n, keep-alive)."""
    if not tags:
        return None, 0
    items = list(tags.items()) if isinstance(tags, dict) else list(tags)
    arr = (_Tag * len(items))()
    for i, kv in enumerate(items):
        k, v = kv
        arr[i].key = _native.arg(k, "tag key")
        arr[i].value = _native.arg(str(v) if not isinstance(v, (str, bytes)) else v, "tag value")
    return arr, len(items)


def _str_array(values, what):
    """A NULL-terminated ``const char *const *`` (None for no values)."""
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    values = list(values)
    return (c_char_p * (len(values) + 1))(*[_native.arg(v, what) for v in values], None)


def _version(v):
    if isinstance(v, bool) or not isinstance(v, int):
        try:
            v = int(v)  # "3" from an MLflow answer is accepted
        except (TypeError, ValueError):
            raise TypeError("version must be an int") from None
    return v


class _FileCallback:
    """``on_file`` of a registration: an exception stops the upload and is re-raised later."""

    def __init__(self, fn, waiter):
        self.fn = fn
        self.waiter = waiter  # shares `pending` with the wait's progress callback / Ctrl-C

        def on_file(payload, relpath, size):
            if self.waiter.pending is not None:
                return 1
            try:
                if self.fn is not None:
                    self.fn(_native.text(relpath), size)
                return 0
            except BaseException as exc:  # noqa: B902 - KeyboardInterrupt must stop it
                self.waiter.pending = exc
                return 1

        self.cb = ON_FILE_FN(on_file)


# ---- the API --------------------------------------------------------------------------------

class RegistryAPI(_base.Area):
    """Registered models, versions, stages, aliases, waits and UC registration
    (``/api/2.0/mlflow/registered-models/*``, ``/api/2.1/unity-catalog/models*``)."""

    PROTOS = PROTOS

    def __init__(self, client, registry="default"):
        super().__init__(client)
        if registry not in REGISTRIES:
            raise _inval("registry must be one of %s" % ", ".join(REGISTRIES))
        self._reg = REGISTRIES[registry]
        self.registry = registry

    @property
    def workspace(self) -> "RegistryAPI":
        """The same calls, always against the workspace registry."""
        return RegistryAPI(self._client, "workspace")

    @property
    def uc(self) -> "RegistryAPI":
        """The same calls, always against Unity Catalog models."""
        return RegistryAPI(self._client, "uc")

    def __repr__(self):
        return "<libdbx.RegistryAPI %s>" % self.registry

    # ---- plumbing ---------------------------------------------------------------------------
    def _model(self, fn, *args):
        out = c_void_p()
        self._check(fn(ctypes.byref(out), self._ptr(), self._reg, *args))
        if not out:
            return None
        try:
            return RegisteredModel._from_c(self._lib, out)
        finally:
            self._lib.dbx_registered_model_free(out)

    def _mv(self, fn, *args):
        out = c_void_p()
        self._check(fn(ctypes.byref(out), self._ptr(), self._reg, *args))
        return self._take_mv(out)

    def _take_mv(self, out):
        if not out:
            return None
        try:
            return ModelVersion._from_c(self._lib, out)
        finally:
            self._lib.dbx_model_version_free(out)

    def _versions_iter(self):
        lib = self._lib
        return _base.CIterator(self._client, lib.dbx_model_versions_iter_next, lib.dbx_model_versions_iter_free,
                               lambda p: ModelVersion._from_c(lib, p))

    @staticmethod
    def _n(name, what="name"):
        return _native.arg(name, what)

    # ---- registered models ------------------------------------------------------------------
    def create_model(self, name, *, description=None, tags=None, storage_location=None) -> RegisteredModel:
        """Create a registered model (UC: the catalog and schema must exist; ``storage_location``
        is UC only). ``tags``: ``{key: value}``."""
        o = _ModelCreateOptions()
        o.version = 1
        o.description = _native.arg(description, "description")
        arr, o.n_tags = _tag_array(tags)
        if arr is not None:
            o.tags = arr
        o.storage_location = _native.arg(storage_location, "storage_location")
        return self._model(self._lib.dbx_registry_model_create, self._n(name), ctypes.byref(o))

    def get_model(self, name) -> RegisteredModel:
        return self._model(self._lib.dbx_registry_model_get, self._n(name))

    def rename_model(self, name, new_name) -> RegisteredModel:
        """Rename (UC: ``new_name`` is the model part or a full name in the same schema)."""
        return self._model(self._lib.dbx_registry_model_rename, self._n(name), self._n(new_name, "new_name"))

    def update_model(self, name, description) -> RegisteredModel:
        """Set the description (``""`` clears it)."""
        return self._model(self._lib.dbx_registry_model_update, self._n(name),
                           _native.arg(description, "description"))

    def delete_model(self, name) -> None:
        """Delete a model and all its versions."""
        self._check(self._lib.dbx_registry_model_delete(self._ptr(), self._reg, self._n(name)))

    def set_model_tag(self, name, key, value) -> None:
        self._check(self._lib.dbx_registry_model_set_tag(self._ptr(), self._reg, self._n(name),
                                                         _native.arg(key, "key"), _native.arg(value, "value")))

    def delete_model_tag(self, name, key) -> None:
        self._check(self._lib.dbx_registry_model_delete_tag(self._ptr(), self._reg, self._n(name),
                                                            _native.arg(key, "key")))

    def search_models(self, filter=None, *, order_by=None, catalog_name=None, schema_name=None,
                      page_size=None, max_items=None) -> Iterator[RegisteredModel]:
        """Models, lazily, a page at a time. Workspace: ``filter`` ("name LIKE '%fraud%'") and
        ``order_by`` (["name ASC"]); UC: every model the caller may see, or one schema's
        (``catalog_name`` and ``schema_name``)."""
        o = _ModelsSearchOptions()
        o.version = 1
        o.filter = _native.arg(filter, "filter")
        keep = _str_array(order_by, "order_by")
        if keep is not None:
            o.order_by = keep
        o.catalog_name = _native.arg(catalog_name, "catalog_name")
        o.schema_name = _native.arg(schema_name, "schema_name")
        o.page_size = int(page_size or 0)
        o.max_items = int(max_items or 0)
        lib = self._lib
        it = _base.CIterator(self._client, lib.dbx_registered_models_iter_next, lib.dbx_registered_models_iter_free,
                             lambda p: RegisteredModel._from_c(lib, p))
        it._keep = keep
        return it._start(lib.dbx_registry_models_search(ctypes.byref(it._it), self._ptr(), self._reg,
                                                        ctypes.byref(o)))

    # ---- versions ---------------------------------------------------------------------------
    def create_version(self, name, source, *, run_id=None, description=None, tags=None,
                       run_link=None) -> ModelVersion:
        """Create a version from an artifact URI (``"runs:/<run_id>/model"``). It starts
        PENDING_REGISTRATION: see :meth:`wait_ready` (UC: :meth:`register_uc_version` does the
        whole flow)."""
        o = _VersionCreateOptions()
        o.version = 1
        o.run_id = _native.arg(run_id, "run_id")
        o.description = _native.arg(description, "description")
        arr, o.n_tags = _tag_array(tags)
        if arr is not None:
            o.tags = arr
        o.run_link = _native.arg(run_link, "run_link")
        return self._mv(self._lib.dbx_registry_version_create, self._n(name),
                        _native.arg(source, "source"), ctypes.byref(o))

    def get_version(self, name, version) -> ModelVersion:
        return self._mv(self._lib.dbx_registry_version_get, self._n(name), _version(version))

    def update_version(self, name, version, description) -> ModelVersion:
        return self._mv(self._lib.dbx_registry_version_update, self._n(name), _version(version),
                        _native.arg(description, "description"))

    def delete_version(self, name, version) -> None:
        self._check(self._lib.dbx_registry_version_delete(self._ptr(), self._reg, self._n(name),
                                                          _version(version)))

    def search_versions(self, name=None, *, filter=None, order_by=None, page_size=None,
                        max_items=None) -> Iterator[ModelVersion]:
        """Versions, lazily. Workspace: of ``name`` (or of every model when None), ANDed with
        ``filter``; UC: of ``name`` (required; no filter or order_by)."""
        o = _VersionsSearchOptions()
        o.version = 1
        o.filter = _native.arg(filter, "filter")
        keep = _str_array(order_by, "order_by")
        if keep is not None:
            o.order_by = keep
        o.page_size = int(page_size or 0)
        o.max_items = int(max_items or 0)
        it = self._versions_iter()
        it._keep = keep
        return it._start(self._lib.dbx_registry_versions_search(ctypes.byref(it._it), self._ptr(), self._reg,
                                                                _native.arg(name, "name"), ctypes.byref(o)))

    def get_latest_versions(self, name, stages=None) -> List[ModelVersion]:
        """The latest READY version per stage (workspace only); ``stages`` filters."""
        keep = _str_array(stages, "stages")
        it = self._versions_iter()
        it._keep = keep
        it._start(self._lib.dbx_registry_versions_latest(ctypes.byref(it._it), self._ptr(), self._reg,
                                                         self._n(name), keep))
        with it:
            return list(it)

    def transition_stage(self, name, version, stage, *, archive_existing_versions=False,
                         comment=None) -> ModelVersion:
        """Move a version to "None", "Staging", "Production" or "Archived" (workspace only)."""
        return self._mv(self._lib.dbx_registry_version_transition_stage, self._n(name), _version(version),
                        _native.arg(stage, "stage"), 1 if archive_existing_versions else 0,
                        _native.arg(comment, "comment"))

    def get_download_uri(self, name, version) -> str:
        out = c_void_p()
        self._check(self._lib.dbx_registry_version_download_uri(ctypes.byref(out), self._ptr(), self._reg,
                                                                self._n(name), _version(version)))
        return _native.take_string(self._lib, out.value)

    def set_version_tag(self, name, version, key, value) -> None:
        self._check(self._lib.dbx_registry_version_set_tag(self._ptr(), self._reg, self._n(name), _version(version),
                                                           _native.arg(key, "key"), _native.arg(value, "value")))

    def delete_version_tag(self, name, version, key) -> None:
        self._check(self._lib.dbx_registry_version_delete_tag(self._ptr(), self._reg, self._n(name),
                                                              _version(version), _native.arg(key, "key")))

    def finalize_version(self, name, version) -> ModelVersion:
        """Mark a UC version's upload complete (UC only); then :meth:`wait_ready`."""
        return self._mv(self._lib.dbx_registry_version_finalize, self._n(name), _version(version))

    def wait_ready(self, name, version, *, timeout=None, progress=None, poll_interval=None,
                   poll_max=None) -> ModelVersion:
        """Poll until READY. ``timeout`` in seconds (default 20 min); ``progress(name, status)``
        after every poll. FAILED_REGISTRATION raises :class:`~libdbx.errors.OperationFailed`
        (``.last`` the last snapshot, its ``status_message`` the server's reason)."""
        w = _base.Waiter(self._lib, timeout, progress, poll_interval, poll_max)
        out = c_void_p()
        with _base.CtrlC(w):
            st = self._lib.dbx_registry_version_wait_ready(ctypes.byref(out), self._ptr(), self._reg,
                                                           self._n(name), _version(version), ctypes.byref(w.opts))
        last = self._take_mv(out)
        w.raise_pending()
        if st < 0:
            exc = errors.from_last(self._lib, self._client._ptr, st)
            exc.last = last
            raise exc
        return last

    # ---- aliases ----------------------------------------------------------------------------
    def set_alias(self, name, alias, version) -> None:
        """Point ``alias`` at ``version`` (moving it from any other version)."""
        self._check(self._lib.dbx_registry_alias_set(self._ptr(), self._reg, self._n(name),
                                                     _native.arg(alias, "alias"), _version(version)))

    def delete_alias(self, name, alias) -> None:
        self._check(self._lib.dbx_registry_alias_delete(self._ptr(), self._reg, self._n(name),
                                                        _native.arg(alias, "alias")))

    def get_version_by_alias(self, name, alias) -> ModelVersion:
        return self._mv(self._lib.dbx_registry_version_get_by_alias, self._n(name), _native.arg(alias, "alias"))

    # ---- Unity Catalog registration -----------------------------------------------------------
    def register_uc_version(self, name, local_dir, *, source=None, run_id=None, description=None,
                            tags=None, create_model=False, timeout=None, progress=None,
                            poll_interval=None, poll_max=None,
                            on_file: Optional[Callable[[str, int], Any]] = None) -> ModelVersion:
        """Register a local MLflow model directory (with ``MLmodel`` and a signature) as a new
        version of the UC model ``name``: create the version, upload every file (streamed, one
        at a time), finalize, and wait until READY. ``on_file(relpath, size)`` is called before
        each upload; ``progress(name, status)`` after each poll. An exception from either stops
        the call and is raised. A failure after the version was created raises with
        ``.version`` (the number, left on the server) and ``.last`` (the last snapshot, if any)."""
        if isinstance(local_dir, os.PathLike):
            local_dir = os.fspath(local_dir)
        w = _base.Waiter(self._lib, timeout, progress, poll_interval, poll_max)
        fcb = _FileCallback(on_file, w)
        o = _RegisterOptions()
        o.version = 1
        o.source = _native.arg(source, "source")
        o.run_id = _native.arg(run_id, "run_id")
        o.description = _native.arg(description, "description")
        arr, o.n_tags = _tag_array(tags)
        if arr is not None:
            o.tags = arr
        o.create_model = 1 if create_model else 0
        o.wait = ctypes.pointer(w.opts)
        o.on_file = fcb.cb
        out = c_void_p()
        ver = c_int64(0)
        with _base.CtrlC(w):
            st = self._lib.dbx_registry_register_uc_version(ctypes.byref(out), ctypes.byref(ver), self._ptr(),
                                                            self._n(name), _native.arg(local_dir, "local_dir"),
                                                            ctypes.byref(o))
        last = self._take_mv(out)
        try:
            w.raise_pending()
        except BaseException as exc:
            if ver.value and isinstance(exc, Exception):
                try:
                    exc.version = ver.value
                except AttributeError:
                    pass
            raise
        if st < 0:
            exc = errors.from_last(self._lib, self._client._ptr, st)
            exc.last = last
            exc.version = ver.value or None
            raise exc
        return last
