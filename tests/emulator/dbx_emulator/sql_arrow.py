"""Arrow IPC stream writer (standard library only) for ARROW_STREAM results: one stream per
chunk = a Schema message, one RecordBatch message, the end-of-stream marker. FlatBuffers are
built by hand (FB below: front to back, children after their parent, as uoffsets require).

Column types (as Databricks sends them): BIGINT int64, INT int32, SMALLINT int16, TINYINT int8,
DOUBLE float64, FLOAT float32, DECIMAL(p,s) decimal128(p,s), BOOLEAN bool, STRING utf8,
BINARY binary, DATE date32[day], TIMESTAMP timestamp[us, tz=Etc/UTC], TIMESTAMP_NTZ
timestamp[us], VOID null; MAP / STRUCT (DESCRIBE HISTORY, OPTIMIZE) are sent as utf8 JSON text
(unclear: the real service sends Arrow maps / structs).
"""

import datetime
import decimal
import struct

from .sql_types import normalize_timestamp

_EPOCH = datetime.datetime(1970, 1, 1)
_EPOCH_ORD = datetime.date(1970, 1, 1).toordinal()


# ---- a tiny FlatBuffers writer --------------------------------------------------------------

class Table:
    """fields: list indexed by field id of None or (kind, value); kinds: 'u8', 'bool', 'i16',
    'i32', 'i64', 'off' (a Table / Vec / Str written after this table)."""

    def __init__(self, fields):
        self.fields = fields


class Str:
    def __init__(self, s):
        self.data = s.encode("utf-8")


class Vec:
    """kind 'off' (list of Table / Str) or 'struct' (list of bytes of elem_size, aligned)."""

    def __init__(self, kind, items, elem_size=4, align=4):
        self.kind, self.items, self.elem_size, self.align = kind, items, elem_size, align


_SIZES = {"u8": 1, "bool": 1, "i16": 2, "i32": 4, "i64": 8, "off": 4}
_FMT = {"u8": "<B", "bool": "<B", "i16": "<h", "i32": "<i", "i64": "<q"}


class FB:
    def __init__(self):
        self.buf = bytearray()

    def pad_to(self, align, extra=0):
        while (len(self.buf) + extra) % align:
            self.buf.append(0)

    def finish(self, root):
        self.buf += b"\0\0\0\0"  # root uoffset
        pos = self.write(root)
        struct.pack_into("<I", self.buf, 0, pos)
        self.pad_to(8)
        return bytes(self.buf)

    def write(self, obj):
        if isinstance(obj, Str):
            self.pad_to(4)
            pos = len(self.buf)
            self.buf += struct.pack("<I", len(obj.data)) + obj.data + b"\0"
            return pos
        if isinstance(obj, Vec):
            self.pad_to(max(4, obj.align), 4)
            pos = len(self.buf)
            self.buf += struct.pack("<I", len(obj.items))
            if obj.kind == "struct":
                for it in obj.items:
                    self.buf += it
                return pos
            slots = []
            for _ in obj.items:
                slots.append(len(self.buf))
                self.buf += b"\0\0\0\0"
            for slot, it in zip(slots, obj.items):
                child = self.write(it)
                struct.pack_into("<I", self.buf, slot, child - slot)
            return pos
        # a table: the vtable first, then the table (soffset = table - vtable > 0)
        fields = obj.fields
        size = 4
        order = sorted((i for i, f in enumerate(fields) if f is not None),
                       key=lambda i: -_SIZES[fields[i][0]])
        offs = {}
        for i in order:
            n = _SIZES[fields[i][0]]
            while size % n:
                size += 1
            offs[i] = size
            size += n
        while size % 4:
            size += 1
        vt = struct.pack("<HH", 4 + 2 * len(fields), size) + b"".join(
            struct.pack("<H", offs.get(i, 0)) for i in range(len(fields)))
        self.pad_to(2)
        vpos = len(self.buf)
        self.buf += vt
        self.pad_to(8)
        tpos = len(self.buf)
        body = bytearray(size)
        struct.pack_into("<i", body, 0, tpos - vpos)
        later = []
        for i in order:
            kind, val = fields[i]
            if kind == "off":
                later.append((tpos + offs[i], val))
            else:
                struct.pack_into(_FMT[kind], body, offs[i], int(val))
        self.buf += body
        for slot, child_obj in later:
            child = self.write(child_obj)
            struct.pack_into("<I", self.buf, slot, child - slot)
        return tpos


# ---- Arrow schema -------------------------------------------------------------------------------

def _type(col):
    """(type_type id, type table)"""
    t = col.type_name
    if t in ("LONG", "INT", "SHORT", "BYTE"):
        bits = {"LONG": 64, "INT": 32, "SHORT": 16, "BYTE": 8}[t]
        return 2, Table([("i32", bits), ("bool", 1)])
    if t in ("DOUBLE", "FLOAT"):
        return 3, Table([("i16", 2 if t == "DOUBLE" else 1)])
    if t == "DECIMAL":
        return 7, Table([("i32", col.precision), ("i32", col.scale), ("i32", 128)])
    if t == "BOOLEAN":
        return 6, Table([])
    if t == "DATE":
        return 8, Table([("i16", 0)])
    if t in ("TIMESTAMP", "TIMESTAMP_NTZ"):
        return 10, Table([("i16", 2), ("off", Str("Etc/UTC")) if t == "TIMESTAMP" else None])
    if t == "BINARY":
        return 4, Table([])
    if t == "NULL":
        return 1, Table([])
    return 5, Table([])  # STRING, MAP, STRUCT


def _message(header_type, header, body_len):
    return Table([("i16", 4), ("u8", header_type), ("off", header), ("i64", body_len)])


def _frame(meta, body=b""):
    pad = (-(8 + len(meta))) % 8
    return struct.pack("<Ii", 0xFFFFFFFF, len(meta) + pad) + meta + b"\0" * pad + body


def schema_message(cols):
    fields = []
    for c in cols:
        tt, tbl = _type(c)
        fields.append(Table([("off", Str(c.name)), ("bool", 1), ("u8", tt), ("off", tbl), None,
                             ("off", Vec("off", []))]))
    schema = Table([("i16", 0), ("off", Vec("off", fields))])
    return _frame(FB().finish(_message(1, schema, 0)))


EOS = struct.pack("<Ii", 0xFFFFFFFF, 0)


# ---- record batches -----------------------------------------------------------------------------

def _pad8(b):
    return b + b"\0" * ((-len(b)) % 8)


def _bitmap(flags):
    out = bytearray((len(flags) + 7) // 8)
    for i, f in enumerate(flags):
        if f:
            out[i >> 3] |= 1 << (i & 7)
    return bytes(out)


def _ts_micros(v):
    if isinstance(v, (int, float)):
        return int(v)
    s = normalize_timestamp(str(v), ValueError)
    d = datetime.datetime.fromisoformat(s)
    delta = d - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds


def _column(col, values):
    """(null_count, [buffers]) of one column."""
    n = len(values)
    valid = [v is not None for v in values]
    nulls = n - sum(valid)
    t = col.type_name
    if t == "NULL":
        return n, []
    bitmap = _bitmap(valid) if nulls else b""
    if t in ("LONG", "INT", "SHORT", "BYTE", "DOUBLE", "FLOAT", "DATE", "TIMESTAMP", "TIMESTAMP_NTZ"):
        code = {"LONG": "q", "INT": "i", "SHORT": "h", "BYTE": "b", "DOUBLE": "d", "FLOAT": "f",
                "DATE": "i", "TIMESTAMP": "q", "TIMESTAMP_NTZ": "q"}[t]
        if t == "DATE":
            vals = [0 if v is None else datetime.date.fromisoformat(str(v)[:10]).toordinal() - _EPOCH_ORD
                    for v in values]
        elif t in ("TIMESTAMP", "TIMESTAMP_NTZ"):
            vals = [0 if v is None else _ts_micros(v) for v in values]
        elif code in "df":
            vals = [0.0 if v is None else float(v) for v in values]
        else:
            vals = [0 if v is None else int(v) for v in values]
        return nulls, [bitmap, struct.pack("<%d%s" % (n, code), *vals)]
    if t == "BOOLEAN":
        return nulls, [bitmap, _bitmap([bool(v) for v in values])]
    if t == "DECIMAL":
        q = decimal.Decimal(1).scaleb(-col.scale)
        out = bytearray()
        for v in values:
            if v is None:
                out += b"\0" * 16
            else:
                d = decimal.Decimal(repr(v) if isinstance(v, float) else str(v)).quantize(
                    q, rounding=decimal.ROUND_HALF_UP)
                out += int(d.scaleb(col.scale)).to_bytes(16, "little", signed=True)
        return nulls, [bitmap, bytes(out)]
    # utf8 / binary
    offs = [0]
    data = bytearray()
    for v in values:
        if v is not None:
            if isinstance(v, bytes):
                data += v
            else:
                data += (v if isinstance(v, str) else str(v)).encode("utf-8")
        offs.append(len(data))
    return nulls, [bitmap, struct.pack("<%di" % (n + 1), *offs), bytes(data)]


def batch_message(cols, rows):
    n = len(rows)
    nodes, buffers, body = [], [], bytearray()
    for k, c in enumerate(cols):
        nulls, bufs = _column(c, [r[k] for r in rows])
        nodes.append(struct.pack("<qq", n, nulls))
        for b in bufs:
            buffers.append(struct.pack("<qq", len(body), len(b)))
            body += _pad8(b)
    rb = Table([("i64", n), ("off", Vec("struct", nodes, 16, 8)), ("off", Vec("struct", buffers, 16, 8))])
    return _frame(FB().finish(_message(3, rb, len(body))), bytes(body))


def stream(cols, rows, schema=None):
    """One IPC stream: schema, a record batch of rows, EOS."""
    return (schema or schema_message(cols)) + batch_message(cols, rows) + EOS
