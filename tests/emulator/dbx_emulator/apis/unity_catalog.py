"""Unity Catalog REST endpoints (/api/2.1/unity-catalog/{catalogs,schemas,tables,volumes,
table-summaries}) over the store that SQL statements share (sql_engine.Engine, state.uc):
a table created by CREATE TABLE appears here, a catalog created here is usable in SQL.

Lists are sorted by name (the real service promises no order) and paged: max_results unset or
0 -> the server page size (config page_size_uc), > 0 -> min(value, 1000), < 0 -> 400.
"""

import base64
import copy
import re

from . import route
from ..errors import ApiError, invalid_param
from ..sql_engine import StoreError, Table
from ..sql_lexer import SqlError
from ..sql_types import parse_type_text
from ..state import register_config

UC = "/api/2.1/unity-catalog"
MAX_PAGE = 1000

register_config("page_size_uc", 5, (int,), 1)

_NAME_RX = re.compile(r"^[^.\s/\x00-\x1f`]{1,255}$")

_CODES = {
    ("not_found", "catalog"): (404, "CATALOG_DOES_NOT_EXIST"),
    ("not_found", "schema"): (404, "SCHEMA_DOES_NOT_EXIST"),
    ("not_found", "table"): (404, "TABLE_DOES_NOT_EXIST"),
    ("not_found", "volume"): (404, "NOT_FOUND"),  # (unclear: no VOLUME_DOES_NOT_EXIST code)
    ("exists", "catalog"): (409, "CATALOG_ALREADY_EXISTS"),
    ("exists", "schema"): (409, "SCHEMA_ALREADY_EXISTS"),
    ("exists", "table"): (409, "TABLE_ALREADY_EXISTS"),
    ("exists", "volume"): (409, "ALREADY_EXISTS"),
    ("not_empty", "catalog"): (400, "CATALOG_NOT_EMPTY"),
    ("not_empty", "schema"): (400, "SCHEMA_NOT_EMPTY"),
}


def _api_error(e):
    status, code = _CODES.get((e.kind, e.what), (400, "INVALID_PARAMETER_VALUE"))
    return ApiError(status, code, e.message)


def _eng(req):
    return req.state.uc


def _name(v, what):
    if not isinstance(v, str) or not _NAME_RX.match(v):
        raise invalid_param("Invalid %s name '%s'." % (what, v))
    return v.lower()


def _page(req, items, key):
    q = req.args()
    size = req.state.config["page_size_uc"]
    mr = q.get("max_results")
    if mr not in (None, ""):
        try:
            mr = int(mr)
        except (TypeError, ValueError):
            raise invalid_param("max_results must be an integer")
        if mr < 0:
            raise invalid_param("max_results must be greater than or equal to 0")
        if mr > 0:
            size = min(mr, MAX_PAGE)
    start = 0
    tok = q.get("page_token")
    if tok:
        try:
            start = int(base64.urlsafe_b64decode(tok.encode()).decode().split(":", 1)[1])
        except (ValueError, IndexError, UnicodeDecodeError):
            raise invalid_param("Invalid page_token.")
    out = {key: items[start:start + size]}
    if start + size < len(items):
        out["next_page_token"] = base64.urlsafe_b64encode(
            ("o:%d" % (start + size)).encode()).decode()
    return out


def _bool(v):
    return str(v).lower() == "true"


def _now(req):
    return req.state.now_ms()


def _who(req):
    return req.principal or "emulator-user@example.com"


def _clean(d):
    return {k: v for k, v in copy.deepcopy(d).items() if v is not None}


def _props(v):
    if v is None:
        return None
    if not isinstance(v, dict) or not all(isinstance(x, str) for x in v.values()):
        raise invalid_param("properties must be an object of strings")
    return v


# ---- catalogs ---------------------------------------------------------------------------------

@route("GET", UC + "/catalogs")
def list_catalogs(req):
    eng = _eng(req)
    with eng.lock:
        items = [_clean(eng.catalogs[k]) for k in sorted(eng.catalogs)]
    return 200, None, _page(req, items, "catalogs")


@route("POST", UC + "/catalogs")
def create_catalog(req):
    b = req.json_obj()
    name = _name(b.get("name"), "catalog")
    if b.get("comment") is not None and not isinstance(b.get("comment"), str):
        raise invalid_param("comment must be a string")
    eng = _eng(req)
    with eng.lock:
        try:
            c = eng.create_catalog(name, _who(req), _now(req), comment=b.get("comment"),
                                   properties=_props(b.get("properties")),
                                   storage_root=b.get("storage_root"))
            eng.create_schema(name, "default", _who(req), _now(req),
                              comment="Default schema (auto-created)")
        except StoreError as e:
            raise _api_error(e)
        return 200, None, _clean(c)


def _catalog(eng, name):
    c = eng.catalogs.get(name.lower())
    if c is None:
        raise ApiError(404, "CATALOG_DOES_NOT_EXIST", "Catalog '%s' does not exist." % name)
    return c


@route("GET", UC + "/catalogs/{name}")
def get_catalog(req):
    eng = _eng(req)
    with eng.lock:
        return 200, None, _clean(_catalog(eng, req.params["name"]))


@route("PATCH", UC + "/catalogs/{name}")
def update_catalog(req):
    b = req.json_obj()
    eng = _eng(req)
    with eng.lock:
        c = _catalog(eng, req.params["name"])
        new = b.get("new_name")
        if new:
            new = _name(new, "catalog")
            if new != c["name"]:
                if new in eng.catalogs:
                    raise ApiError(409, "CATALOG_ALREADY_EXISTS", "Catalog '%s' already exists" % new)
                del eng.catalogs[c["name"]]
                eng.rename_prefix(c["name"], new)
                c["name"] = c["full_name"] = new
                eng.catalogs[new] = c
        for k in ("comment", "owner"):
            if k in b:
                c[k] = b[k]
        if "properties" in b:
            c["properties"] = dict(_props(b["properties"]) or {})
        if "isolation_mode" in b:
            if b["isolation_mode"] not in ("OPEN", "ISOLATED"):
                raise invalid_param("isolation_mode must be OPEN or ISOLATED")
            c["isolation_mode"] = b["isolation_mode"]
        if "enable_predictive_optimization" in b:
            c["enable_predictive_optimization"] = b["enable_predictive_optimization"]
        c["updated_at"] = _now(req)
        c["updated_by"] = _who(req)
        return 200, None, _clean(c)


@route("DELETE", UC + "/catalogs/{name}")
def delete_catalog(req):
    eng = _eng(req)
    force = _bool(req.args().get("force"))
    with eng.lock:
        try:
            eng.delete_catalog(req.params["name"].lower(), force)
        except StoreError as e:
            raise _api_error(e)
    return 200, None, {}


# ---- schemas ----------------------------------------------------------------------------------

@route("GET", UC + "/schemas")
def list_schemas(req):
    q = req.args()
    cat = q.get("catalog_name")
    if not cat:
        raise invalid_param("catalog_name is required")
    eng = _eng(req)
    with eng.lock:
        _catalog(eng, cat)
        items = [_clean(s) for k, s in sorted(eng.schemas.items())
                 if s["catalog_name"] == cat.lower()]
    return 200, None, _page(req, items, "schemas")


@route("POST", UC + "/schemas")
def create_schema(req):
    b = req.json_obj()
    name = _name(b.get("name"), "schema")
    cat = _name(b.get("catalog_name"), "catalog")
    eng = _eng(req)
    with eng.lock:
        try:
            s = eng.create_schema(cat, name, _who(req), _now(req), comment=b.get("comment"),
                                  properties=_props(b.get("properties")))
        except StoreError as e:
            raise _api_error(e)
        return 200, None, _clean(s)


def _schema(eng, full):
    s = eng.schemas.get(full.lower())
    if s is None:
        raise ApiError(404, "SCHEMA_DOES_NOT_EXIST", "Schema '%s' does not exist." % full)
    return s


@route("GET", UC + "/schemas/{full_name}")
def get_schema(req):
    eng = _eng(req)
    with eng.lock:
        return 200, None, _clean(_schema(eng, req.params["full_name"]))


@route("PATCH", UC + "/schemas/{full_name}")
def update_schema(req):
    b = req.json_obj()
    eng = _eng(req)
    with eng.lock:
        s = _schema(eng, req.params["full_name"])
        new = b.get("new_name")
        if new:
            new = _name(new, "schema")
            nfull = s["catalog_name"] + "." + new
            if nfull != s["full_name"]:
                if nfull in eng.schemas:
                    raise ApiError(409, "SCHEMA_ALREADY_EXISTS", "Schema '%s' already exists" % nfull)
                old = s["full_name"]
                del eng.schemas[old]
                eng.rename_prefix(old, nfull)
                s["name"], s["full_name"] = new, nfull
                eng.schemas[nfull] = s
        for k in ("comment", "owner"):
            if k in b:
                s[k] = b[k]
        if "properties" in b:
            s["properties"] = dict(_props(b["properties"]) or {})
        s["updated_at"] = _now(req)
        s["updated_by"] = _who(req)
        return 200, None, _clean(s)


@route("DELETE", UC + "/schemas/{full_name}")
def delete_schema(req):
    eng = _eng(req)
    force = _bool(req.args().get("force"))
    with eng.lock:
        try:
            eng.delete_schema(req.params["full_name"].lower(), force)
        except StoreError as e:
            raise _api_error(e)
    return 200, None, {}


# ---- tables -----------------------------------------------------------------------------------

def _need_schema(eng, cat, sch):
    try:
        eng.need_schema(cat.lower(), sch.lower())
    except StoreError as e:
        raise _api_error(e)


@route("GET", UC + "/tables")
def list_tables(req):
    q = req.args()
    cat, sch = q.get("catalog_name"), q.get("schema_name")
    if not cat or not sch:
        raise invalid_param("catalog_name and schema_name are required")
    eng = _eng(req)
    with eng.lock:
        _need_schema(eng, cat, sch)
        items = [t.info(_bool(q.get("omit_columns")), _bool(q.get("omit_properties")))
                 for k, t in sorted(eng.tables.items())
                 if t.catalog == cat.lower() and t.schema == sch.lower()]
    if _bool(q.get("omit_username")):
        for t in items:
            for k in ("owner", "created_by", "updated_by"):
                t.pop(k, None)
    return 200, None, _page(req, items, "tables")


@route("GET", UC + "/table-summaries")
def table_summaries(req):
    q = req.args()
    cat = q.get("catalog_name")
    if not cat:
        raise invalid_param("catalog_name is required")
    import fnmatch

    def like(pattern, v):
        if not pattern:
            return True
        return fnmatch.fnmatch(v, pattern.lower().replace("%", "*").replace("_", "?"))
    eng = _eng(req)
    with eng.lock:
        _catalog(eng, cat)
        items = [{"full_name": t.full_name, "table_type": t.table_type}
                 for k, t in sorted(eng.tables.items())
                 if t.catalog == cat.lower() and like(q.get("schema_name_pattern"), t.schema)
                 and like(q.get("table_name_pattern"), t.name)]
    return 200, None, _page(req, items, "tables")


def _split3(full, what):
    parts = full.lower().split(".")
    if len(parts) != 3 or not all(parts):
        raise invalid_param("Invalid %s full name '%s': expected <catalog>.<schema>.<name>." % (what, full))
    return parts


def _table(eng, full):
    _split3(full, "table")
    t = eng.tables.get(full.lower())
    if t is None:
        raise ApiError(404, "TABLE_DOES_NOT_EXIST", "Table '%s' does not exist." % full)
    return t


@route("GET", UC + "/tables/{full_name}")
def get_table(req):
    eng = _eng(req)
    with eng.lock:
        return 200, None, _table(eng, req.params["full_name"]).info()


@route("GET", UC + "/tables/{full_name}/exists")
def table_exists(req):
    eng = _eng(req)
    full = req.params["full_name"]
    _split3(full, "table")
    with eng.lock:
        return 200, None, {"table_exists": full.lower() in eng.tables}


@route("DELETE", UC + "/tables/{full_name}")
def delete_table(req):
    eng = _eng(req)
    with eng.lock:
        eng.drop_table(_table(eng, req.params["full_name"]))
    return 200, None, {}


@route("PATCH", UC + "/tables/{full_name}")
def update_table(req):
    b = req.json_obj()
    eng = _eng(req)
    with eng.lock:
        t = _table(eng, req.params["full_name"])
        if "owner" in b:
            if not isinstance(b["owner"], str) or not b["owner"]:
                raise invalid_param("owner must be a non-empty string")
            t.owner = b["owner"]
            t.updated_at = _now(req)
            t.updated_by = _who(req)
    return 200, None, {}


@route("POST", UC + "/tables")
def create_table(req):
    """Registers a table with columns (external Delta tables in the real API); the emulator
    also makes it queryable (empty)."""
    b = req.json_obj()
    name = _name(b.get("name"), "table")
    cat = _name(b.get("catalog_name"), "catalog")
    sch = _name(b.get("schema_name"), "schema")
    ttype = b.get("table_type", "EXTERNAL")
    if ttype not in ("MANAGED", "EXTERNAL"):
        raise invalid_param("table_type must be MANAGED or EXTERNAL")
    fmt = b.get("data_source_format", "DELTA")
    if fmt != "DELTA":
        raise invalid_param("Only DELTA tables can be created by the emulator")
    if ttype == "EXTERNAL" and not b.get("storage_location"):
        raise invalid_param("storage_location is required for EXTERNAL tables")
    cols = []
    for i, c in enumerate(b.get("columns") or []):
        if not isinstance(c, dict) or not isinstance(c.get("name"), str):
            raise invalid_param("columns[%d].name is required" % i)
        text = c.get("type_text") or c.get("type_name")
        if c.get("type_name") == "DECIMAL" and not c.get("type_text"):
            text = "decimal(%d,%d)" % (c.get("type_precision") or 10, c.get("type_scale") or 0)
        try:
            col = parse_type_text(text or "")
        except SqlError:
            raise invalid_param("columns[%d]: unsupported type '%s'" % (i, text))
        col.name = c["name"]
        col.nullable = c.get("nullable", True) is not False
        col.comment = c.get("comment")
        cols.append(col)
    if not cols:
        raise invalid_param("columns are required")
    eng = _eng(req)
    with eng.lock:
        _need_schema(eng, cat, sch)
        full = "%s.%s.%s" % (cat, sch, name)
        if full in eng.tables or full in eng.volumes:
            raise ApiError(409, "TABLE_ALREADY_EXISTS", "Table '%s' already exists" % full)
        try:
            eng.db.execute("BEGIN")
            t = eng.new_table(cat, sch, name, cols, _who(req), _now(req), comment=b.get("comment"),
                              properties=_props(b.get("properties")),
                              location=b.get("storage_location") if ttype == "EXTERNAL" else None)
            eng.db.execute("COMMIT")
        except SqlError as e:
            eng.db.execute("ROLLBACK")
            raise invalid_param(e.message)
        return 200, None, t.info()


# ---- volumes ----------------------------------------------------------------------------------

@route("GET", UC + "/volumes")
def list_volumes(req):
    q = req.args()
    cat, sch = q.get("catalog_name"), q.get("schema_name")
    if not cat or not sch:
        raise invalid_param("catalog_name and schema_name are required")
    eng = _eng(req)
    with eng.lock:
        _need_schema(eng, cat, sch)
        items = [_clean(v) for k, v in sorted(eng.volumes.items())
                 if v["catalog_name"] == cat.lower() and v["schema_name"] == sch.lower()]
    return 200, None, _page(req, items, "volumes")


@route("POST", UC + "/volumes")
def create_volume(req):
    b = req.json_obj()
    name = _name(b.get("name"), "volume")
    cat = _name(b.get("catalog_name"), "catalog")
    sch = _name(b.get("schema_name"), "schema")
    vt = b.get("volume_type")
    if vt not in ("MANAGED", "EXTERNAL"):
        raise invalid_param("volume_type must be MANAGED or EXTERNAL")
    loc = b.get("storage_location")
    if vt == "EXTERNAL" and not loc:
        raise invalid_param("storage_location is required for EXTERNAL volumes")
    if vt == "MANAGED" and loc:
        raise invalid_param("storage_location must not be set for MANAGED volumes")
    eng = _eng(req)
    with eng.lock:
        try:
            v = eng.create_volume(cat, sch, name, _who(req), _now(req), vt, loc, b.get("comment"))
        except StoreError as e:
            raise _api_error(e)
        return 200, None, _clean(v)


def _volume(eng, full):
    _split3(full, "volume")
    v = eng.volumes.get(full.lower())
    if v is None:
        raise ApiError(404, "NOT_FOUND", "Volume '%s' does not exist." % full)
    return v


@route("GET", UC + "/volumes/{full_name}")
def get_volume(req):
    eng = _eng(req)
    with eng.lock:
        return 200, None, _clean(_volume(eng, req.params["full_name"]))


@route("PATCH", UC + "/volumes/{full_name}")
def update_volume(req):
    b = req.json_obj()
    eng = _eng(req)
    with eng.lock:
        v = _volume(eng, req.params["full_name"])
        new = b.get("new_name")
        if new:
            new = _name(new, "volume")
            nfull = "%s.%s.%s" % (v["catalog_name"], v["schema_name"], new)
            if nfull != v["full_name"]:
                if nfull in eng.volumes or nfull in eng.tables:
                    raise ApiError(409, "ALREADY_EXISTS", "Volume '%s' already exists" % nfull)
                del eng.volumes[v["full_name"]]
                v["name"], v["full_name"] = new, nfull
                eng.volumes[nfull] = v
        for k in ("comment", "owner"):
            if k in b:
                v[k] = b[k]
        v["updated_at"] = _now(req)
        v["updated_by"] = _who(req)
        return 200, None, _clean(v)


@route("DELETE", UC + "/volumes/{full_name}")
def delete_volume(req):
    eng = _eng(req)
    with eng.lock:
        v = _volume(eng, req.params["full_name"])
        del eng.volumes[v["full_name"]]
    return 200, None, {}


__all__ = ["Table"]
