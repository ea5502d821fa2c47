"""The SQL engine behind statement execution (apis/sql.py) and the Unity Catalog store
(apis/unity_catalog.py): a sqlite3 database in a temp file, the catalog / schema / table /
volume metadata, Delta-like table versions (time travel, DESCRIBE HISTORY, OPTIMIZE, VACUUM),
and a tokenizer-based translator of the Databricks SQL subset (sql_lexer.py).

Tables live in sqlite under generated names ("t_<n>"); older versions are copied to
"t_<n>_v<version>" just before a write replaces them (copy on write), so time travel reads the
copy. A statement's result is materialized into a sqlite table, then serialized chunk by chunk
into a file (apis/sql.py) and the table dropped.
"""

import base64
import datetime
import hashlib
import json
import math
import os
import random
import shutil
import sqlite3
import tempfile
import threading
import uuid

from .sql_lexer import SqlError, backticked, quote_ident
from .sql_types import complex_out_text, fmt_double, normalize_timestamp

METASTORE_ID = "8f3e2a10-5b7c-4d1e-9a6f-0e1d2c3b4a59"
STORAGE_ROOT = "s3://dbx-emulator-metastore/" + METASTORE_ID
DEFAULT_RETENTION_H = 168
RANGE_MAX = 100_000_000

# words that end a FROM list at its own depth
_CLAUSE_END = {"WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "WINDOW", "UNION", "EXCEPT",
               "INTERSECT", "MINUS", "QUALIFY", "SET", "WHEN", "ON", "USING", "SELECT", "VALUES",
               "OFFSET", "CLUSTER", "DISTRIBUTE", "SORT", "LATERAL", "PIVOT", "UNPIVOT"}
# words that cannot be a table alias
_NOT_ALIAS = _CLAUSE_END | {"JOIN", "INNER", "LEFT", "RIGHT", "FULL", "OUTER", "CROSS", "NATURAL",
                            "ANTI", "SEMI", "VERSION", "TIMESTAMP", "FOR", "TABLESAMPLE", "WITH",
                            "AS", "THEN", "AND", "OR", "NOT", "FROM", "BY", "INTO"}
_NOT_TABLE_START = {"SELECT", "LATERAL", "VALUES", "WITH"}

# Databricks function name -> sqlite / emulator function
_FUNCS = {"IF": "iif", "IFF": "iif", "SUBSTRING": "substr", "NVL": "ifnull", "LEN": "length",
          "CHAR_LENGTH": "length", "CHARACTER_LENGTH": "length", "LCASE": "lower",
          "UCASE": "upper", "POWER": "pow", "CEILING": "ceil", "GREATEST": "max", "LEAST": "min",
          "STDDEV": "dbx_stddev", "STDDEV_SAMP": "dbx_stddev", "STD": "dbx_stddev",
          "VARIANCE": "dbx_variance", "VAR_SAMP": "dbx_variance", "RAND": "dbx_rand",
          "RANDOM": "dbx_rand", "NOW": "dbx_current_timestamp",
          "CURRENT_TIMESTAMP": "dbx_current_timestamp", "CURRENT_DATE": "dbx_current_date",
          "CONCAT": "dbx_concat", "CONCAT_WS": "dbx_concat_ws", "DATE_ADD": "dbx_date_add",
          "DATEADD": "dbx_date_add", "DATE_SUB": "dbx_date_sub", "DATEDIFF": "dbx_datediff",
          "TO_DATE": "dbx_to_date", "TO_TIMESTAMP": "dbx_to_timestamp", "YEAR": "dbx_year",
          "MONTH": "dbx_month", "DAY": "dbx_day", "DAYOFMONTH": "dbx_day", "HOUR": "dbx_hour",
          "MINUTE": "dbx_minute", "SECOND": "dbx_second", "DATE_TRUNC": "dbx_date_trunc",
          "UUID": "dbx_uuid", "MD5": "dbx_md5", "SHA2": "dbx_sha2", "SHA1": "dbx_sha1",
          "SHA": "dbx_sha1", "STARTSWITH": "dbx_startswith", "ENDSWITH": "dbx_endswith",
          "CONTAINS": "dbx_contains", "SPLIT_PART": "dbx_split_part",
          "UNIX_TIMESTAMP": "dbx_unix_timestamp", "FROM_UNIXTIME": "dbx_from_unixtime",
          "COUNT_IF": "dbx_count_if", "ANY_VALUE": "dbx_first", "FIRST": "dbx_first",
          "FIRST_VALUE": "first_value", "CURRENT_USER": "dbx_current_user",
          "CURRENT_CATALOG": "dbx_current_catalog", "CURRENT_SCHEMA": "dbx_current_schema",
          "CURRENT_DATABASE": "dbx_current_schema", "BOOL_AND": "dbx_bool_and",
          "BOOL_OR": "dbx_bool_or", "EVERY": "dbx_bool_and", "ANY": "dbx_bool_or",
          "SOME": "dbx_bool_or", "ROUND": "dbx_round", "BROUND": "dbx_round",
          "TRY_DIVIDE": "dbx_try_divide"}
# niladic functions that Databricks allows without parentheses
_BARE = {"CURRENT_DATE": "dbx_current_date()", "CURRENT_TIMESTAMP": "dbx_current_timestamp()",
         "CURRENT_USER": "dbx_current_user()"}


def _err_not_found(parts):
    return SqlError("TABLE_OR_VIEW_NOT_FOUND", "42P01",
                    "The table or view %s cannot be found. Verify the spelling and correctness of "
                    "the schema and catalog. If you did not qualify the name with a schema, verify "
                    "the current_schema() output, or qualify the name with the correct schema "
                    "and catalog." % backticked(parts))


def _err_schema(parts):
    return SqlError("SCHEMA_NOT_FOUND", "42704",
                    "The schema %s cannot be found. Verify the spelling and correctness of the "
                    "schema and catalog." % backticked(parts))


def _err_catalog(name):
    return SqlError("NO_SUCH_CATALOG_EXCEPTION", "42704",
                    "The catalog '%s' was not found. Please verify the catalog name and then retry "
                    "the query or command again." % name)


def _unsupported(what):
    return SqlError("UNSUPPORTED_FEATURE", "0A000",
                    "The feature is not supported by the emulator: %s." % what)


# UC securables kept outside the engine (registered models: apis/uc_models.py) plug in here, so
# that schema deletes and catalog/schema renames see them. Each hook has children(state,
# schema_full) -> [full names], drop(state, full_name) (ignores names it does not own) and
# rename(state, old_prefix, new_prefix). Called with the engine lock held.
SECURABLE_HOOKS = []


class StoreError(Exception):
    """UC store failure: kind in not_found / exists / not_empty / invalid."""

    def __init__(self, kind, what, name, message):
        super().__init__(message)
        self.kind = kind
        self.what = what      # catalog / schema / table / volume
        self.name = name
        self.message = message


# ---------------------------------------------------------------------------------------------
# tables


class Table:
    def __init__(self, eng, catalog, schema, name, cols, principal, now):
        eng.next_table += 1
        self.sq = "t_%d" % eng.next_table
        self.table_id = str(uuid.uuid4())
        self.catalog, self.schema, self.name = catalog, schema, name
        self.cols = cols
        self.comment = None
        self.properties = {}
        self.table_type = "MANAGED"
        self.data_source_format = "DELTA"
        self.storage_location = "%s/tables/%s" % (STORAGE_ROOT, self.table_id)
        self.owner = principal
        self.created_at = self.updated_at = now
        self.created_by = self.updated_by = principal
        self.versions = []       # DESCRIBE HISTORY entries, oldest first
        self.data = {}           # version -> sqlite table name (None: the live table)
        self.superseded = {}     # version -> virtual ms when a later version replaced its data
        self.vacuumed = set()    # versions whose data VACUUM removed
        self.files = 0           # data "files" since the last OPTIMIZE
        self.copied = set()      # COPY INTO: files already loaded
        self.is_view = False
        self.view_definition = None

    @property
    def full_name(self):
        return "%s.%s.%s" % (self.catalog, self.schema, self.name)

    def parts(self):
        return [self.catalog, self.schema, self.name]

    def latest(self):
        return self.versions[-1]["version"] if self.versions else 0

    def info(self, omit_columns=False, omit_properties=False):
        if self.is_view:
            d = {"name": self.name, "catalog_name": self.catalog, "schema_name": self.schema,
                 "full_name": self.full_name, "table_id": self.table_id, "table_type": "VIEW",
                 "view_definition": self.view_definition, "owner": self.owner,
                 "metastore_id": METASTORE_ID, "created_at": self.created_at,
                 "created_by": self.created_by, "updated_at": self.updated_at,
                 "updated_by": self.updated_by, "browse_only": False, "securable_type": "TABLE",
                 "securable_kind": "TABLE_STANDARD"}
            if self.comment is not None:
                d["comment"] = self.comment
            if not omit_columns:
                d["columns"] = [uc_column(c, i) for i, c in enumerate(self.cols)]
            if not omit_properties:
                d["properties"] = dict(self.properties)
            return d
        props = dict(self.properties)
        props.setdefault("delta.minReaderVersion", "1")
        props.setdefault("delta.minWriterVersion", "2")
        if self.versions:
            props["delta.lastCommitTimestamp"] = str(self.versions[-1]["timestamp"])
            props["delta.lastUpdateVersion"] = str(self.latest())
        d = {"name": self.name, "catalog_name": self.catalog, "schema_name": self.schema,
             "full_name": self.full_name, "table_id": self.table_id, "table_type": self.table_type,
             "data_source_format": self.data_source_format,
             "storage_location": self.storage_location, "owner": self.owner,
             "metastore_id": METASTORE_ID, "created_at": self.created_at,
             "created_by": self.created_by, "updated_at": self.updated_at,
             "updated_by": self.updated_by, "browse_only": False,
             "securable_type": "TABLE", "securable_kind": "TABLE_DELTA"}
        if self.comment is not None:
            d["comment"] = self.comment
        if not omit_columns:
            d["columns"] = [uc_column(c, i) for i, c in enumerate(self.cols)]
        if not omit_properties:
            d["properties"] = props
        return d


def uc_column(c, i):
    d = {"name": c.name, "type_text": c.uc_type_text(), "type_name": c.type_name,
         "type_json": c.type_json(), "position": i, "nullable": c.nullable,
         "type_precision": c.precision, "type_scale": c.scale}
    if c.comment is not None:
        d["comment"] = c.comment
    return d


class Result:
    """A statement's result: columns and a sqlite table holding the rows in order."""

    def __init__(self, cols, table, sqnames=None):
        self.cols = cols
        self.table = table
        # the column names in the sqlite table (differ from cols' names for duplicates)
        self.sqnames = sqnames or [c.name for c in cols]


# ---------------------------------------------------------------------------------------------
# the engine


class Engine:
    def __init__(self, state):
        self.state = state
        self.lock = threading.RLock()
        self.dir = tempfile.mkdtemp(prefix="dbx-emu-sql-")
        self.db = sqlite3.connect(os.path.join(self.dir, "data.db"), check_same_thread=False,
                                  isolation_level=None)
        for p in ("journal_mode=MEMORY", "synchronous=OFF", "case_sensitive_like=ON",
                  "cache_size=-65536", "temp_store=FILE"):
            self.db.execute("PRAGMA " + p)
        self._functions()
        self.catalogs = {}
        self.schemas = {}
        self.tables = {}
        self.volumes = {}
        self.next_table = 0
        self.next_tmp = 0
        self.udf_error = None   # a SqlError raised inside a function (sqlite only says "raised")
        self.ctx = {"catalog": "main", "schema": "default", "user": "emulator-user@example.com"}
        now = state.now_ms()
        self.create_catalog("main", "System user", now, comment="Main catalog (emulator seed)")
        self.create_schema("main", "default", "System user", now,
                           comment="Default schema (emulator seed)")

    def close(self):
        try:
            self.db.close()
        except sqlite3.Error:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def tmp_name(self, prefix):
        self.next_tmp += 1
        return "%s_%d" % (prefix, self.next_tmp)

    # ---- functions the Databricks dialect needs ----------------------------------------------
    def _functions(self):
        db = self.db
        ctx = lambda: self.ctx  # noqa: E731

        def now_dt():
            return datetime.datetime.fromtimestamp(self.state.now_ms() / 1000.0,
                                                   datetime.timezone.utc).replace(tzinfo=None)

        def as_date(v):
            if v is None:
                return None
            try:
                return datetime.date.fromisoformat(str(v)[:10])
            except ValueError:
                return None

        def as_dt(v):
            if v is None:
                return None
            try:
                return datetime.datetime.fromisoformat(normalize_timestamp(str(v), ValueError))
            except (ValueError, TypeError):
                return None

        def concat(*a):
            if any(x is None for x in a):
                return None
            return "".join(x if isinstance(x, str) else fmt_any(x) for x in a)

        def fmt_any(x):
            if isinstance(x, float):
                return fmt_double(x)
            if isinstance(x, bytes):
                return x.decode("utf-8", "replace")
            return str(x)

        def concat_ws(sep, *a):
            if sep is None:
                return None
            return str(sep).join(fmt_any(x) for x in a if x is not None)

        def date_add(d, n):
            d = as_date(d)
            return None if d is None or n is None else (d + datetime.timedelta(days=int(n))).isoformat()

        def date_sub(d, n):
            return date_add(d, None if n is None else -int(n))

        def datediff(a, b):
            a, b = as_date(a), as_date(b)
            return None if a is None or b is None else (a - b).days

        def part(fn):
            def f(v):
                d = as_dt(v)
                return None if d is None else fn(d)
            return f

        def date_trunc(unit, v):
            d = as_dt(v)
            if d is None or unit is None:
                return None
            u = str(unit).upper()
            if u in ("YEAR", "YYYY", "YY"):
                d = d.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
            elif u in ("MONTH", "MM", "MON"):
                d = d.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            elif u in ("DAY", "DD"):
                d = d.replace(hour=0, minute=0, second=0, microsecond=0)
            elif u == "HOUR":
                d = d.replace(minute=0, second=0, microsecond=0)
            elif u == "MINUTE":
                d = d.replace(second=0, microsecond=0)
            elif u == "SECOND":
                d = d.replace(microsecond=0)
            elif u == "WEEK":
                d = (d - datetime.timedelta(days=d.weekday())).replace(
                    hour=0, minute=0, second=0, microsecond=0)
            else:
                return None
            return d.strftime("%Y-%m-%d %H:%M:%S")

        def to_ts(v, fmt=None):
            d = as_dt(v)
            return None if d is None else normalize_timestamp(d.isoformat(), ValueError)

        def unix_ts(v=None):
            d = now_dt() if v is None else as_dt(v)
            if d is None:
                return None
            return int(d.replace(tzinfo=datetime.timezone.utc).timestamp())

        def from_unix(v, fmt=None):
            if v is None:
                return None
            return datetime.datetime.fromtimestamp(int(v), datetime.timezone.utc).strftime(
                "%Y-%m-%d %H:%M:%S")

        def sha2(v, bits=256):
            if v is None:
                return None
            h = {224: hashlib.sha224, 256: hashlib.sha256, 0: hashlib.sha256, 384: hashlib.sha384,
                 512: hashlib.sha512}.get(int(bits))
            return None if h is None else h(_bytes(v)).hexdigest()

        def _bytes(v):
            return v if isinstance(v, bytes) else fmt_any(v).encode("utf-8")

        def split_part(s, d, n):
            if s is None or d is None or n is None:
                return None
            ps = str(s).split(str(d)) if d else [str(s)]
            n = int(n)
            if n == 0:
                raise ValueError("INVALID_INDEX_OF_ZERO")
            i = n - 1 if n > 0 else len(ps) + n
            return ps[i] if 0 <= i < len(ps) else ""

        def rnd(v, s=0):
            if v is None or s is None:
                return None
            if isinstance(v, int) and s >= 0:
                return v
            q = __import__("decimal").Decimal(repr(v)).quantize(
                __import__("decimal").Decimal(1).scaleb(-int(s)),
                rounding=__import__("decimal").ROUND_HALF_UP)
            return float(q) if s > 0 or isinstance(v, float) else int(q)

        def nz(v):
            if v is not None and not isinstance(v, (str, bytes)) and v == 0:
                self.udf_error = SqlError(
                    "DIVIDE_BY_ZERO", "22012", "Division by zero. Use `try_divide` to tolerate "
                    "divisor being 0 and return NULL instead. If necessary set "
                    "\"spark.sql.ansi.enabled\" to \"false\" to bypass this error.")
                raise ZeroDivisionError()
            return v

        def try_divide(a, b):
            if a is None or b is None or (not isinstance(b, (str, bytes)) and b == 0):
                return None
            try:
                return float(a) / float(b)
            except (TypeError, ValueError):
                return None

        def norm_ts(v):
            try:
                return normalize_timestamp(str(v), ValueError)
            except ValueError:
                return v

        funcs = [
            ("dbx_norm_ts", 1, norm_ts, True),
            ("dbx_nz", 1, nz, True),
            ("dbx_try_divide", 2, try_divide, True),
            ("dbx_fmt_double", 1, fmt_double, True),
            ("dbx_complex_out", 2, complex_out_text, True),
            ("dbx_b64", 1, lambda v: base64.b64encode(_bytes(v)).decode(), True),
            ("dbx_rand", -1, lambda *a: random.random(), False),
            ("dbx_current_timestamp", 0,
             lambda: now_dt().strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (now_dt().microsecond // 1000), False),
            ("dbx_current_date", 0, lambda: now_dt().date().isoformat(), False),
            ("dbx_current_user", 0, lambda: ctx()["user"], False),
            ("dbx_current_catalog", 0, lambda: ctx()["catalog"], False),
            ("dbx_current_schema", 0, lambda: ctx()["schema"], False),
            ("dbx_concat", -1, concat, True),
            ("dbx_concat_ws", -1, concat_ws, True),
            ("dbx_date_add", 2, date_add, True),
            ("dbx_date_sub", 2, date_sub, True),
            ("dbx_datediff", 2, datediff, True),
            ("dbx_to_date", -1, lambda v, f=None: None if as_date(v) is None else as_date(v).isoformat(), True),
            ("dbx_to_timestamp", -1, to_ts, True),
            ("dbx_year", 1, part(lambda d: d.year), True),
            ("dbx_month", 1, part(lambda d: d.month), True),
            ("dbx_day", 1, part(lambda d: d.day), True),
            ("dbx_hour", 1, part(lambda d: d.hour), True),
            ("dbx_minute", 1, part(lambda d: d.minute), True),
            ("dbx_second", 1, part(lambda d: d.second), True),
            ("dbx_date_trunc", 2, date_trunc, True),
            ("dbx_uuid", 0, lambda: str(uuid.uuid4()), False),
            ("dbx_md5", 1, lambda v: None if v is None else hashlib.md5(_bytes(v)).hexdigest(), True),
            ("dbx_sha1", 1, lambda v: None if v is None else hashlib.sha1(_bytes(v)).hexdigest(), True),
            ("dbx_sha2", 2, sha2, True),
            ("dbx_startswith", 2, lambda a, b: None if a is None or b is None else int(str(a).startswith(str(b))), True),
            ("dbx_endswith", 2, lambda a, b: None if a is None or b is None else int(str(a).endswith(str(b))), True),
            ("dbx_contains", 2, lambda a, b: None if a is None or b is None else int(str(b) in str(a)), True),
            ("dbx_split_part", 3, split_part, True),
            ("dbx_unix_timestamp", -1, unix_ts, False),
            ("dbx_from_unixtime", -1, from_unix, True),
            ("dbx_round", -1, rnd, True),
        ]
        for name, n, fn, det in funcs:
            db.create_function(name, n, fn, deterministic=det)

        class Std:
            def __init__(self):
                self.n, self.mean, self.m2 = 0, 0.0, 0.0

            def step(self, v):
                if v is None:
                    return
                self.n += 1
                d = float(v) - self.mean
                self.mean += d / self.n
                self.m2 += d * (float(v) - self.mean)

            def var(self):
                return None if self.n < 2 else self.m2 / (self.n - 1)

        class StdDev(Std):
            def finalize(self):
                v = self.var()
                return None if v is None else math.sqrt(v)

        class Variance(Std):
            def finalize(self):
                return self.var()

        class CountIf:
            def __init__(self):
                self.n = 0

            def step(self, v):
                if v:
                    self.n += 1

            def finalize(self):
                return self.n

        class First:
            def __init__(self):
                self.v, self.seen = None, False

            def step(self, v):
                if not self.seen:
                    self.v, self.seen = v, True

            def finalize(self):
                return self.v

        class BoolAnd:
            def __init__(self):
                self.v = None

            def step(self, v):
                if v is not None:
                    self.v = (1 if self.v is None else self.v) and (1 if v else 0)

            def finalize(self):
                return self.v

        class BoolOr(BoolAnd):
            def step(self, v):
                if v is not None:
                    self.v = (0 if self.v is None else self.v) or (1 if v else 0)

        db.create_aggregate("dbx_stddev", 1, StdDev)
        db.create_aggregate("dbx_variance", 1, Variance)
        db.create_aggregate("dbx_count_if", 1, CountIf)
        db.create_aggregate("dbx_first", 1, First)
        db.create_aggregate("dbx_bool_and", 1, BoolAnd)
        db.create_aggregate("dbx_bool_or", 1, BoolOr)

    # ---- UC store (used by the REST endpoints and by SQL) ---------------------------------------
    def create_catalog(self, name, principal, now, comment=None, properties=None,
                       storage_root=None):
        name = name.lower()
        if name in self.catalogs:
            raise StoreError("exists", "catalog", name, "Catalog '%s' already exists" % name)
        self.catalogs[name] = {
            "name": name, "full_name": name, "catalog_type": "MANAGED_CATALOG", "owner": principal,
            "comment": comment, "properties": dict(properties or {}),
            "storage_root": storage_root, "storage_location": "%s/catalogs/%s" % (
                STORAGE_ROOT, uuid.uuid4()),
            "metastore_id": METASTORE_ID, "isolation_mode": "OPEN", "securable_type": "CATALOG",
            "created_at": now, "created_by": principal, "updated_at": now,
            "updated_by": principal, "browse_only": False, "id": str(uuid.uuid4()),
        }
        if storage_root is None:
            del self.catalogs[name]["storage_root"]
        if comment is None:
            del self.catalogs[name]["comment"]
        return self.catalogs[name]

    def create_schema(self, catalog, name, principal, now, comment=None, properties=None):
        catalog, name = catalog.lower(), name.lower()
        if catalog not in self.catalogs:
            raise StoreError("not_found", "catalog", catalog, "Catalog '%s' does not exist." % catalog)
        full = catalog + "." + name
        if full in self.schemas:
            raise StoreError("exists", "schema", full, "Schema '%s' already exists" % full)
        d = {"name": name, "catalog_name": catalog, "full_name": full,
             "schema_id": str(uuid.uuid4()), "catalog_type": "MANAGED_CATALOG", "owner": principal,
             "properties": dict(properties or {}), "metastore_id": METASTORE_ID,
             "storage_location": "%s/schemas/%s" % (STORAGE_ROOT, uuid.uuid4()),
             "securable_type": "SCHEMA", "created_at": now, "created_by": principal,
             "updated_at": now, "updated_by": principal, "browse_only": False}
        if comment is not None:
            d["comment"] = comment
        self.schemas[full] = d
        return d

    def create_volume(self, catalog, schema, name, principal, now, volume_type="MANAGED",
                      storage_location=None, comment=None):
        catalog, schema, name = catalog.lower(), schema.lower(), name.lower()
        self.need_schema(catalog, schema)
        full = "%s.%s.%s" % (catalog, schema, name)
        if full in self.volumes or full in self.tables:
            raise StoreError("exists", "volume", full, "Volume '%s' already exists" % full)
        vid = str(uuid.uuid4())
        d = {"name": name, "catalog_name": catalog, "schema_name": schema, "full_name": full,
             "volume_id": vid, "volume_type": volume_type,
             "storage_location": storage_location or "%s/volumes/%s" % (STORAGE_ROOT, vid),
             "owner": principal, "metastore_id": METASTORE_ID, "created_at": now,
             "created_by": principal, "updated_at": now, "updated_by": principal,
             "browse_only": False, "securable_type": "VOLUME"}
        if comment is not None:
            d["comment"] = comment
        self.volumes[full] = d
        return d

    def need_schema(self, catalog, schema):
        if catalog not in self.catalogs:
            raise StoreError("not_found", "catalog", catalog, "Catalog '%s' does not exist." % catalog)
        full = catalog + "." + schema
        if full not in self.schemas:
            raise StoreError("not_found", "schema", full, "Schema '%s' does not exist." % full)

    def schema_children(self, full):
        pre = full + "."
        kids = [k for k in list(self.tables) + list(self.volumes) if k.startswith(pre)]
        for h in SECURABLE_HOOKS:
            kids += h.children(self.state, full)
        return kids

    def delete_schema(self, full, force):
        if full not in self.schemas:
            raise StoreError("not_found", "schema", full, "Schema '%s' does not exist." % full)
        kids = self.schema_children(full)
        if kids and not force:
            raise StoreError("not_empty", "schema", full,
                             "Schema '%s' is not empty. The schema has %d tables(s), %d functions(s), "
                             "%d volumes(s)" % (full, sum(1 for k in kids if k in self.tables),
                                                sum(1 for k in kids if k not in self.tables and
                                                    k not in self.volumes),
                                                sum(1 for k in kids if k in self.volumes)))
        for k in kids:
            if k in self.tables:
                self.drop_table(self.tables[k])
            self.volumes.pop(k, None)
            for h in SECURABLE_HOOKS:
                h.drop(self.state, k)
        del self.schemas[full]

    def delete_catalog(self, name, force):
        if name not in self.catalogs:
            raise StoreError("not_found", "catalog", name, "Catalog '%s' does not exist." % name)
        kids = [s for s in self.schemas if s.startswith(name + ".")]
        non_default = [s for s in kids if s != name + ".information_schema"]
        if not force and (any(self.schema_children(s) for s in kids) or
                          [s for s in non_default if s != name + ".default"]):
            raise StoreError("not_empty", "catalog", name,
                             "Catalog '%s' is not empty. The catalog has %d schemas(s)."
                             % (name, len(kids)))
        for s in kids:
            self.delete_schema(s, True)
        del self.catalogs[name]

    def rename_prefix(self, old, new):
        """A catalog or schema renamed: re-key everything below it."""
        for h in SECURABLE_HOOKS:
            h.rename(self.state, old, new)
        for store in (self.schemas, self.tables, self.volumes):
            for k in [k for k in store if k.startswith(old + ".")]:
                obj = store.pop(k)
                nk = new + k[len(old):]
                store[nk] = obj
                c, s = nk.split(".")[:2]
                if isinstance(obj, Table):
                    obj.catalog, obj.schema = c, s
                else:
                    obj["full_name"] = nk
                    obj["catalog_name"] = c
                    if "schema_name" in obj:
                        obj["schema_name"] = s

    def drop_table(self, t):
        if t.is_view:
            self.db.execute("DROP VIEW IF EXISTS %s" % quote_ident(t.sq))
            self.tables.pop(t.full_name, None)
            return
        names = {t.sq} | {v for v in t.data.values() if v}
        for n in names:
            self.db.execute("DROP TABLE IF EXISTS %s" % quote_ident(n))
        self.tables.pop(t.full_name, None)

    def new_table(self, catalog, schema, name, cols, principal, now, comment=None,
                  properties=None, location=None, fmt="DELTA", operation="CREATE TABLE",
                  op_params=None):
        catalog, schema, name = catalog.lower(), schema.lower(), name.lower()
        t = Table(self, catalog, schema, name, cols, principal, now)
        t.comment = comment
        t.properties = dict(properties or {})
        if location:
            t.table_type = "EXTERNAL"
            t.storage_location = location
        t.data_source_format = fmt
        self.db.execute(self.ddl(t.sq, cols))
        self.triggers(t.sq, cols)
        self.tables[t.full_name] = t
        self.commit(t, operation, op_params or {
            "isManaged": "true" if t.table_type == "MANAGED" else "false",
            "description": comment, "partitionBy": "[]",
            "properties": json.dumps(t.properties, separators=(",", ":"))}, {}, now, first=True)
        return t

    @staticmethod
    def ddl(sq, cols):
        seen = set()
        defs = []
        for i, c in enumerate(cols):
            low = c.name.lower()
            if low in seen:
                raise SqlError("COLUMN_ALREADY_EXISTS", "42711",
                               "The column `%s` already exists. Choose another name or rename the "
                               "existing column." % c.name)
            seen.add(low)
            q = quote_ident(c.name)
            d = "%s %s" % (q, c.sqlite_decl())
            if not c.nullable:
                d += " CONSTRAINT %s NOT NULL" % quote_ident("nn_%d" % i)
            chk = c.check(q)
            if chk:
                d += " CONSTRAINT %s CHECK (%s)" % (quote_ident("ck_%d" % i), chk)
            defs.append(d)
        return "CREATE TABLE %s (%s)" % (quote_ident(sq), ", ".join(defs))

    _TS19 = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]"

    def triggers(self, sq, cols):
        """TIMESTAMP columns are kept as canonical text 'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC) so
        that they compare in time order: a written value in another form ('...T...Z',
        '+02:00') is rewritten by a trigger (the GLOB keeps canonical writes cheap)."""
        for k, c in enumerate(cols):
            if c.type_name not in ("TIMESTAMP", "TIMESTAMP_NTZ"):
                continue
            q = quote_ident(c.name)
            when = ("NEW.{q} IS NOT NULL AND NOT (NEW.{q} GLOB '{p}' AND length(NEW.{q}) = 19) AND "
                    "NOT (NEW.{q} GLOB '{p}.[0-9]*' AND substr(NEW.{q}, 21) NOT GLOB '*[^0-9]*')"
                    .format(q=q, p=self._TS19))
            for ev in ("INSERT", "UPDATE OF %s" % q):
                name = quote_ident("%s_ts_%d_%s" % (sq, k, ev.split()[0].lower()))
                self.db.execute(
                    "CREATE TRIGGER IF NOT EXISTS %s AFTER %s ON %s FOR EACH ROW WHEN %s BEGIN UPDATE %s SET "
                    "%s = dbx_norm_ts(NEW.%s) WHERE rowid = NEW.rowid; END"
                    % (name, ev, quote_ident(sq), when, quote_ident(sq), q, q))

    # ---- Delta versions --------------------------------------------------------------------------
    def before_write(self, t, now):
        """Copy on write: keep the data of the current version before it changes."""
        v = t.latest()
        if t.data.get(v) is None:
            snap = "%s_v%d" % (t.sq, v)
            self.db.execute("DROP TABLE IF EXISTS %s" % quote_ident(snap))
            self.db.execute(self.ddl(snap, t.cols))
            self.db.execute("INSERT INTO %s SELECT * FROM %s" % (quote_ident(snap), quote_ident(t.sq)))
            for ver, name in t.data.items():
                if name is None:
                    t.data[ver] = snap

    def commit(self, t, operation, params, metrics, now, first=False, files=1, data_changed=True):
        version = 0 if first else t.latest() + 1
        if not first and data_changed:
            for ver in t.data:
                t.superseded.setdefault(ver, now)
        entry = {"version": version, "timestamp": now, "userId": str(abs(hash(self.ctx["user"])) % 10**15),
                 "userName": self.ctx["user"], "operation": operation,
                 "operationParameters": {k: ("" if v is None else str(v)) for k, v in params.items()},
                 "readVersion": None if first else t.latest(),
                 "isolationLevel": "WriteSerializable",
                 "isBlindAppend": operation in ("WRITE", "COPY INTO", "CREATE TABLE"),
                 "operationMetrics": {k: str(v) for k, v in metrics.items()}}
        t.versions.append(entry)
        t.data[version] = None
        t.files = t.files + files if not first else 0
        t.updated_at = now
        t.updated_by = self.ctx["user"]
        return version

    def version_table(self, t, version=None, timestamp=None):
        """sqlite name holding the data of a version (time travel)."""
        if timestamp is not None:
            ms = timestamp
            cands = [e for e in t.versions if e["timestamp"] <= ms]
            if not cands:
                first = t.versions[0]["timestamp"]
                raise SqlError("DELTA_TIMESTAMP_EARLIER_THAN_COMMIT_RETENTION", "42816",
                               "The provided timestamp (%s) is before the earliest version "
                               "available to this table (%s). Please use a timestamp after %s."
                               % (_ts_text(ms), _ts_text(first), _ts_text(first)))
            if ms > t.versions[-1]["timestamp"]:
                last = t.versions[-1]["timestamp"]
                raise SqlError("DELTA_TIMESTAMP_GREATER_THAN_COMMIT", "42816",
                               "The provided timestamp (%s) is after the latest version available "
                               "to this table (%s). Please use a timestamp before or at %s."
                               % (_ts_text(ms), _ts_text(last), _ts_text(last)))
            version = cands[-1]["version"]
        avail = sorted(t.data)
        if version not in t.data:
            raise SqlError("DELTA_VERSION_NOT_FOUND", "22003",
                           "Cannot time travel Delta table to version %d. Available versions: "
                           "[%d, %d]." % (version, avail[0], avail[-1]))
        if version in t.vacuumed:
            raise SqlError("DELTA_FILE_NOT_FOUND_DETAILED", "42K03",
                           "The data files of version %d of %s were removed by VACUUM; time travel "
                           "to it is no longer possible." % (version, backticked(t.parts())))
        name = t.data[version]
        return t.sq if name is None else name

    # ---- name resolution ---------------------------------------------------------------------
    def resolve(self, parts, catalog, schema):
        parts = [p.lower() for p in parts]
        if len(parts) == 1:
            return [catalog, schema, parts[0]]
        if len(parts) == 2:
            return [catalog, parts[0], parts[1]]
        if len(parts) == 3:
            return parts
        raise SqlError("REQUIRES_SINGLE_PART_NAMESPACE", "42K05",
                       "%s requires a name with at most three parts." % backticked(parts))

    def find_table(self, parts, written=None):
        t = self.tables.get(".".join(parts))
        if t is None:
            raise _err_not_found(written or parts)
        return t


def _ts_text(ms):
    return datetime.datetime.fromtimestamp(ms / 1000.0, datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S.%f")[:-3]


def parse_ts_ms(text):
    def bad():
        return SqlError("INVALID_TIMESTAMP_FORMAT", "22000",
                        "The provided timestamp '%s' doesn't match the expected syntax." % text)
    s = normalize_timestamp(str(text).strip(), bad)
    d = datetime.datetime.fromisoformat(s).replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp() * 1000)
