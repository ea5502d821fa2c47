"""Databricks SQL types as the emulator stores them in sqlite, and the value formatting of
result chunks (JSON_ARRAY: every value a string or null)."""

import binascii
import datetime
import decimal
import json
import re

from .sql_lexer import SqlError


class Col:
    __slots__ = ("name", "type_name", "precision", "scale", "nullable", "comment", "sub")

    def __init__(self, name, type_name, precision=0, scale=0, nullable=True, comment=None, sub=None):
        self.name = name
        self.type_name = type_name    # ColumnTypeName: LONG, INT, DECIMAL, STRING, ...
        self.precision = precision
        self.scale = scale
        self.nullable = nullable
        self.comment = comment
        # a complex type known in full (parse_complex): STRUCT -> [field Col, ...],
        # ARRAY -> [element Col], MAP -> [key Col, value Col]; None: no element types known
        # (the MAP / STRUCT results of DESCRIBE HISTORY, OPTIMIZE, ...)
        self.sub = sub

    def copy(self, name=None):
        return Col(self.name if name is None else name, self.type_name, self.precision, self.scale,
                   self.nullable, self.comment, self.sub)

    def field(self, name):
        """The field Col of a STRUCT (names compare case-insensitively, as Spark's do)."""
        for f in self.sub or ():
            if f.name.lower() == name.lower():
                return f
        return None

    def type_text(self):
        """Manifest type_text (upper case), e.g. BIGINT, DECIMAL(10,2),
        STRUCT<start: TIMESTAMP, end: TIMESTAMP>."""
        if self.type_name == "DECIMAL":
            return "DECIMAL(%d,%d)" % (self.precision, self.scale)
        if self.sub is not None:
            if self.type_name == "STRUCT":
                return "STRUCT<%s>" % ", ".join("%s: %s" % (f.name, f.type_text()) for f in self.sub)
            return "%s<%s>" % (self.type_name, ", ".join(f.type_text() for f in self.sub))
        return _TEXT[self.type_name]

    def uc_type_text(self):
        """Unity Catalog type_text (Spark simpleString, lower case)."""
        if self.sub is not None:
            if self.type_name == "STRUCT":
                return "struct<%s>" % ",".join("%s:%s" % (f.name, f.uc_type_text()) for f in self.sub)
            return "%s<%s>" % (self.type_name.lower(), ",".join(f.uc_type_text() for f in self.sub))
        return self.type_text().lower()

    def spark_type(self):
        """The Spark JSON form of the type (a string, or an object for a complex type)."""
        if self.type_name == "DECIMAL":
            return "decimal(%d,%d)" % (self.precision, self.scale)
        if self.sub is not None:
            if self.type_name == "STRUCT":
                return {"type": "struct", "fields": [
                    {"name": f.name, "type": f.spark_type(), "nullable": True, "metadata": {}}
                    for f in self.sub]}
            if self.type_name == "ARRAY":
                return {"type": "array", "elementType": self.sub[0].spark_type(), "containsNull": True}
            return {"type": "map", "keyType": self.sub[0].spark_type(),
                    "valueType": self.sub[1].spark_type(), "valueContainsNull": True}
        return _SPARK_JSON[self.type_name]

    def type_json(self):
        return json.dumps({"name": self.name, "type": self.spark_type(), "nullable": self.nullable,
                           "metadata": {"comment": self.comment} if self.comment else {}},
                          separators=(",", ":"))

    def sqlite_decl(self):
        """Declared sqlite type: the Databricks type first (read back through a view's
        PRAGMA table_info), then a word that gives sqlite the right affinity. A complex type
        known in full carries its type text hex-encoded (STRUCT_5354..., ARRAY_..., MAP_...:
        a sqlite type name is identifiers only; hex digits never spell INT / CHAR / BLOB /
        REAL / FLOA / DOUB, so the affinity stays TEXT)."""
        if self.type_name == "DECIMAL":
            return "DECIMAL(%d,%d)" % (self.precision, self.scale)
        if self.sub is not None:
            return "%s_%s TEXT" % (self.type_name, binascii.hexlify(
                self.type_text().encode("utf-8")).decode("ascii").upper())
        return _DECL[self.type_name]

    def check(self, qname):
        """CHECK expression enforcing the type on write (Delta rejects bad values)."""
        t = self.type_name
        if t in ("LONG", "INT", "SHORT", "BYTE"):
            lo, hi = _RANGES[t]
            return "typeof(%s) = 'null' OR (typeof(%s) = 'integer' AND %s BETWEEN %d AND %d)" % (
                qname, qname, qname, lo, hi)
        if t in ("DOUBLE", "FLOAT", "DECIMAL"):
            return "typeof(%s) IN ('null', 'integer', 'real')" % qname
        if t == "BOOLEAN":
            return "%s IS NULL OR %s IN (0, 1)" % (qname, qname)
        if t == "DATE":
            return "%s IS NULL OR (typeof(%s) = 'text' AND date(%s) IS NOT NULL)" % (qname, qname, qname)
        if t in ("TIMESTAMP", "TIMESTAMP_NTZ"):
            return "%s IS NULL OR (typeof(%s) = 'text' AND datetime(%s) IS NOT NULL)" % (
                qname, qname, qname)
        if t == "STRING":
            return "typeof(%s) IN ('null', 'text')" % qname
        return None

    def out_expr(self, qname):
        """SQL expression formatting the column as its JSON_ARRAY string (NULL stays NULL)."""
        t = self.type_name
        if t == "BOOLEAN":
            return "CASE WHEN %s IS NULL THEN NULL WHEN %s THEN 'true' ELSE 'false' END" % (qname, qname)
        if t == "DECIMAL":
            return "CASE WHEN %s IS NULL THEN NULL ELSE printf('%%.%df', %s) END" % (qname, self.scale, qname)
        if t in ("DOUBLE", "FLOAT"):
            # integral values in fixed notation in sqlite (exact); the rest through Python's
            # shortest repr in Spark's format (sqlite's own text form is not always exact)
            r = "CAST(%s AS REAL)" % qname
            return ("CASE WHEN %s IS NULL THEN NULL WHEN abs(%s) < 10000000.0 AND %s = "
                    "CAST(%s AS INTEGER) THEN CAST(CAST(%s AS INTEGER) AS TEXT) || '.0' "
                    "ELSE dbx_fmt_double(%s) END" % (qname, r, r, r, r, qname))
        if t in ("TIMESTAMP", "TIMESTAMP_NTZ"):
            return "coalesce(strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', %s), CAST(%s AS TEXT))" % (qname, qname)
        if t == "BINARY":
            return "CASE WHEN %s IS NULL THEN NULL ELSE dbx_b64(%s) END" % (qname, qname)
        if t in ("NULL",):
            return "NULL"
        if self.sub is not None:
            # JSON text with the nested values formatted as the JSON_ARRAY format shows them
            return "dbx_complex_out(%s, %s)" % (qname, quote_sql_string(self.type_text()))
        return "CAST(%s AS TEXT)" % qname

    def manifest(self, position):
        d = {"name": self.name, "type_text": self.type_text(), "type_name": self.type_name,
             "position": position}
        if self.type_name == "DECIMAL":
            d["type_precision"] = self.precision
            d["type_scale"] = self.scale
        return d


def quote_sql_string(text):
    return "'" + text.replace("'", "''") + "'"


_TEXT = {"LONG": "BIGINT", "INT": "INT", "SHORT": "SMALLINT", "BYTE": "TINYINT",
         "DOUBLE": "DOUBLE", "FLOAT": "FLOAT", "STRING": "STRING", "BOOLEAN": "BOOLEAN",
         "DATE": "DATE", "TIMESTAMP": "TIMESTAMP", "TIMESTAMP_NTZ": "TIMESTAMP_NTZ",
         "BINARY": "BINARY", "NULL": "VOID", "MAP": "MAP<STRING, STRING>",
         "STRUCT": "STRUCT<>"}
_SPARK_JSON = {"LONG": "long", "INT": "integer", "SHORT": "short", "BYTE": "byte",
               "DOUBLE": "double", "FLOAT": "float", "STRING": "string", "BOOLEAN": "boolean",
               "DATE": "date", "TIMESTAMP": "timestamp", "TIMESTAMP_NTZ": "timestamp_ntz",
               "BINARY": "binary", "DECIMAL": "decimal", "NULL": "void",
               "MAP": "map", "STRUCT": "struct"}
_DECL = {"LONG": "BIGINT", "INT": "INT", "SHORT": "SMALLINT", "BYTE": "TINYINT",
         "DOUBLE": "DOUBLE", "FLOAT": "FLOAT", "STRING": "STRING TEXT", "BOOLEAN": "BOOLEAN INT",
         "DATE": "DATE TEXT", "TIMESTAMP": "TIMESTAMP TEXT", "TIMESTAMP_NTZ": "TIMESTAMP_NTZ TEXT",
         "BINARY": "BINARY BLOB", "NULL": "VOID", "MAP": "MAP TEXT", "STRUCT": "STRUCT TEXT"}
_RANGES = {"LONG": (-(1 << 63), (1 << 63) - 1), "INT": (-(1 << 31), (1 << 31) - 1),
           "SHORT": (-(1 << 15), (1 << 15) - 1), "BYTE": (-128, 127)}

# Databricks type keyword -> ColumnTypeName
_KEYWORDS = {"BIGINT": "LONG", "LONG": "LONG", "INT": "INT", "INTEGER": "INT",
             "SMALLINT": "SHORT", "SHORT": "SHORT", "TINYINT": "BYTE", "BYTE": "BYTE",
             "DOUBLE": "DOUBLE", "FLOAT": "FLOAT", "REAL": "FLOAT",
             "DECIMAL": "DECIMAL", "DEC": "DECIMAL", "NUMERIC": "DECIMAL",
             "STRING": "STRING", "VARCHAR": "STRING", "CHAR": "STRING", "TEXT": "STRING",
             "BOOLEAN": "BOOLEAN", "BOOL": "BOOLEAN", "DATE": "DATE", "TIMESTAMP": "TIMESTAMP",
             "TIMESTAMP_LTZ": "TIMESTAMP", "TIMESTAMP_NTZ": "TIMESTAMP_NTZ", "BINARY": "BINARY",
             "VOID": "NULL", "MAP": "MAP", "STRUCT": "STRUCT"}

# sqlite type affinity for CAST(x AS <type>)
CAST_TARGET = {"LONG": "INTEGER", "INT": "INTEGER", "SHORT": "INTEGER", "BYTE": "INTEGER",
               "DOUBLE": "REAL", "FLOAT": "REAL", "DECIMAL": "REAL", "STRING": "TEXT",
               "BOOLEAN": "INTEGER", "DATE": "TEXT", "TIMESTAMP": "TEXT",
               "TIMESTAMP_NTZ": "TEXT", "BINARY": "BLOB", "NULL": "TEXT"}


def unsupported_type(text):
    return SqlError("UNSUPPORTED_DATATYPE", "0A000", "Unsupported data type \"%s\"." % text)


def make_type(word, args=None, text=None):
    """Col (without name) for a type keyword and its (p, s) arguments."""
    t = _KEYWORDS.get(word.upper())
    if t is None or t in ("MAP", "STRUCT", "NULL"):
        raise unsupported_type(text or word)
    if t == "DECIMAL":
        p, s = 10, 0
        if args:
            p = args[0]
            s = args[1] if len(args) > 1 else 0
        if not (1 <= p <= 38 and 0 <= s <= p):
            raise SqlError("DECIMAL_PRECISION_EXCEEDS_MAX_PRECISION", "22003",
                           "Decimal precision %d exceeds max precision 38." % p)
        return Col("", t, p, s)
    return Col("", t)


def parse_type_text(text):
    """'DECIMAL(10,2)' / 'bigint' / 'STRING' -> Col. Used for parameter types and UC columns."""
    m = re.match(r"^\s*([A-Za-z_]+)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$", text or "")
    if not m:
        raise unsupported_type(text)
    args = [int(x) for x in m.groups()[1:] if x is not None]
    return make_type(m.group(1), args, text)


def col_from_decl(decl):
    """Col for a declared sqlite type written by sqlite_decl(); None if not ours."""
    if not decl:
        return None
    m = re.match(r"^(STRUCT|ARRAY|MAP)_([0-9A-F]+) ", decl.upper())
    if m:
        try:
            return parse_complex(binascii.unhexlify(m.group(2)).decode("utf-8"))
        except (ValueError, SqlError):
            return None
    m = re.match(r"^([A-Z_]+)(?:\((\d+),(\d+)\))?", decl.upper())
    if not m:
        return None
    word = m.group(1)
    for t, d in _DECL.items():
        if d.split()[0] == word:
            if t == "NULL":
                return Col("", "NULL")
            if t in ("MAP", "STRUCT"):
                return Col("", t)
            return Col("", t)
    if word == "DECIMAL" and m.group(2):
        return Col("", "DECIMAL", int(m.group(2)), int(m.group(3)))
    return None


_DATE_RX = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def bind_value(value, col, name):
    """A typed parameter's value as the sqlite value to bind (CAST semantics: a value that
    does not cast is a FAILED statement)."""
    if value is None:
        return None
    t = col.type_name

    def bad():
        return SqlError("CAST_INVALID_INPUT", "22018",
                        "The value '%s' of the type \"STRING\" cannot be cast to \"%s\" because it "
                        "is malformed. Correct the value as per the syntax, or change its target "
                        "type. (parameter :%s)" % (value, col.type_text(), name))
    try:
        if t in ("LONG", "INT", "SHORT", "BYTE"):
            v = int(value.strip())
            lo, hi = _RANGES[t]
            if not lo <= v <= hi:
                raise bad()
            return v
        if t in ("DOUBLE", "FLOAT"):
            v = value.strip()
            low = v.lower()
            if low in ("nan", "inf", "+inf", "-inf", "infinity", "-infinity"):
                return float(low.replace("infinity", "inf"))
            return float(v)
        if t == "DECIMAL":
            d = decimal.Decimal(value.strip())
            if not d.is_finite():
                raise bad()
            q = d.quantize(decimal.Decimal(1).scaleb(-col.scale), rounding=decimal.ROUND_HALF_UP)
            if len(q.as_tuple().digits) - 0 > col.precision and q != 0:
                digits_int = len(str(abs(int(q))))
                if digits_int > col.precision - col.scale:
                    raise bad()
            return float(q)
        if t == "BOOLEAN":
            v = value.strip().lower()
            if v in ("true", "t", "yes", "y", "1"):
                return 1
            if v in ("false", "f", "no", "n", "0"):
                return 0
            raise bad()
        if t == "DATE":
            v = value.strip()
            datetime.date.fromisoformat(v[:10])
            if not _DATE_RX.match(v[:10]) or len(v) not in (10,):
                if len(v) > 10 and v[10] in "T ":
                    return v[:10]
                raise bad()
            return v
        if t in ("TIMESTAMP", "TIMESTAMP_NTZ"):
            return normalize_timestamp(value.strip(), bad)
        if t == "BINARY":
            return value.encode("utf-8")
        return value
    except (ValueError, decimal.InvalidOperation, OverflowError):
        raise bad()


def normalize_timestamp(v, bad):
    """'2024-01-02T03:04:05.123Z' / '2024-01-02 03:04:05' / '2024-01-02' -> sqlite text
    'YYYY-MM-DD HH:MM:SS[.fff]' (UTC)."""
    s = v.replace("T", " ")
    if s.endswith("Z"):
        s = s[:-1]
    try:
        d = datetime.datetime.fromisoformat(s)
    except ValueError:
        raise bad()
    if d.tzinfo is not None:
        d = d.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    out = d.strftime("%Y-%m-%d %H:%M:%S")
    if d.microsecond:
        out += (".%06d" % d.microsecond).rstrip("0")
    return out


def fmt_double(v):
    """Spark's string form of a double: 1.0, 1.5, 1.0E20, NaN, Infinity."""
    if v is None:
        return None
    if isinstance(v, (bytes, str)):
        return v if isinstance(v, str) else v.decode("utf-8", "replace")
    v = float(v)
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "Infinity" if v > 0 else "-Infinity"
    a = abs(v)
    if a != 0 and (a >= 1e7 or a < 1e-3):
        mant, exp = "{:e}".format(decimal.Decimal(repr(v))).split("e")
        if "." not in mant:
            mant += ".0"
        return "%sE%d" % (mant, int(exp))
    r = repr(v)
    if "e" in r:
        r = "%f" % v
    return r


def infer_col(typeof):
    return Col("", {"integer": "LONG", "real": "DOUBLE", "text": "STRING", "blob": "BINARY"}
               .get(typeof, "NULL"))


# ---- complex types (STRUCT / ARRAY / MAP) -------------------------------------------------------
# Stored as JSON text; a TIMESTAMP inside is kept in the canonical sqlite form
# ('YYYY-MM-DD HH:MM:SS[.ffffff]', UTC) so that a field read by json_extract compares and sorts
# like a TIMESTAMP column, BOOLEAN as true / false (json_extract gives 1 / 0, the column form).

_TYPE_TOK = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_]*)|`((?:[^`]|``)*)`|(\d+)|([<>(),:]))")
MAX_TYPE_DEPTH = 32
_COMPLEX_CACHE = {}


def parse_complex(text):
    """'STRUCT<start: TIMESTAMP, end: TIMESTAMP>' (also 'STRUCT<start TIMESTAMP, ...>', as
    Databricks accepts), 'ARRAY<DOUBLE>', 'MAP<STRING, DOUBLE>', nested, or a simple type ->
    Col. Raises SqlError UNSUPPORTED_DATATYPE on a malformed text."""
    hit = _COMPLEX_CACHE.get(text)
    if hit is not None:
        return hit.copy("")
    toks, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TYPE_TOK.match(text, pos)
        if not m or m.end() == pos:
            raise unsupported_type(text)
        pos = m.end()
        if m.group(1) is not None:
            toks.append(("w", m.group(1)))
        elif m.group(2) is not None:
            toks.append(("w", m.group(2).replace("``", "`")))
        elif m.group(3) is not None:
            toks.append(("n", int(m.group(3))))
        else:
            toks.append(("o", m.group(4)))
    k = [0]

    def peek(kind=None, val=None):
        if k[0] >= len(toks):
            return False
        t = toks[k[0]]
        return (kind is None or t[0] == kind) and (val is None or t[1] == val)

    def take(kind, val=None):
        if not peek(kind, val):
            raise unsupported_type(text)
        k[0] += 1
        return toks[k[0] - 1][1]

    def typ(depth):
        if depth > MAX_TYPE_DEPTH:
            raise unsupported_type(text)
        word = take("w").upper()
        if word in ("STRUCT", "ARRAY", "MAP"):
            take("o", "<")
            sub = []
            if word == "STRUCT":
                while not peek("o", ">"):
                    if sub:
                        take("o", ",")
                    name = take("w")
                    if peek("o", ":"):
                        take("o", ":")
                    f = typ(depth + 1)
                    f.name = name
                    sub.append(f)
            elif word == "ARRAY":
                sub.append(typ(depth + 1))
            else:
                sub.append(typ(depth + 1))
                take("o", ",")
                sub.append(typ(depth + 1))
            take("o", ">")
            return Col("", word, sub=sub)
        args = []
        if peek("o", "("):
            take("o", "(")
            args.append(take("n"))
            if peek("o", ","):
                take("o", ",")
                args.append(take("n"))
            take("o", ")")
        return make_type(word, args, text)
    col = typ(0)
    if k[0] != len(toks):
        raise unsupported_type(text)
    if len(_COMPLEX_CACHE) < 1000:
        _COMPLEX_CACHE[text] = col.copy("")
    return col


def _ts_out(v):
    """A canonical TIMESTAMP text as the JSON_ARRAY format shows it inside a complex value."""
    s = str(v)
    try:
        d = datetime.datetime.fromisoformat(s.replace("Z", ""))
    except ValueError:
        return s
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def complex_out(value, col):
    """Stored value (Python, from the JSON text) -> the value shown in the JSON_ARRAY text."""
    if value is None:
        return None
    t = col.type_name
    if t == "STRUCT" and col.sub is not None and isinstance(value, dict):
        low = {k.lower(): v for k, v in value.items()}
        return {f.name: complex_out(low.get(f.name.lower()), f) for f in col.sub}
    if t == "ARRAY" and col.sub and isinstance(value, list):
        return [complex_out(v, col.sub[0]) for v in value]
    if t == "MAP" and col.sub and isinstance(value, dict):
        return {k: complex_out(v, col.sub[1]) for k, v in value.items()}
    if t in ("TIMESTAMP", "TIMESTAMP_NTZ"):
        return _ts_out(value)
    if t == "BOOLEAN" and isinstance(value, int):
        return bool(value)
    return value


def complex_out_text(text, type_text):
    """sqlite function dbx_complex_out: the stored JSON text of a complex value -> its JSON text
    in a result (NULL stays NULL; a text that is not JSON is shown as it is)."""
    if text is None:
        return None
    try:
        v = json.loads(text)
        col = parse_complex(type_text)
    except (ValueError, SqlError):
        return text if isinstance(text, str) else str(text)
    return json.dumps(complex_out(v, col), separators=(",", ":"))
