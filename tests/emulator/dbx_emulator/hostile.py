"""Bodies for the hostile-server fault actions (huge, gzip_bomb, deep, endless_headers).

Pure generators, no I/O: each body is described by its exact length (or None when it is not
known in advance) and an iterator of byte chunks of about CHUNK bytes, so the server can stream
bodies of any size with bounded memory. server.py does the writing, framing and pacing.
"""

import functools
import json
import struct
import zlib

CHUNK = 65536

# ---- huge: {"clusters":[ClusterDetails, ...]} ----------------------------------------------------
_HUGE_PREFIX = b'{"clusters":['
_HUGE_SUFFIX = b"]}"
# One ClusterDetails-like element; %08x (the element index) keeps every element the same length
# and makes cluster ids distinct (ids are lowercase letters/digits, as real ones).
_HUGE_ELEMENT = (
    b'{"cluster_id":"0101-000000-%08x","cluster_name":"huge-%08x",'
    b'"spark_version":"15.4.x-scala2.12","node_type_id":"i3.xlarge",'
    b'"driver_node_type_id":"i3.xlarge","num_workers":2,"autotermination_minutes":120,'
    b'"spark_conf":{"spark.speculation":"true"},"custom_tags":{"team":"emulator"},'
    b'"state":"RUNNING","state_message":"","creator_user_name":"emulator-user@example.com",'
    b'"cluster_source":"API","default_tags":{"Vendor":"Databricks",'
    b'"Creator":"emulator-user@example.com","ClusterName":"huge-%08x",'
    b'"ClusterId":"0101-000000-%08x"},"start_time":1700000000000,"jdbc_port":10000,'
    b'"cluster_memory_mb":93696,"cluster_cores":12.0}'
)
_HUGE_ELEMENT_LEN = len(_HUGE_ELEMENT % (0, 0, 0, 0))
HUGE_MAX_BYTES = 1 << 40  # 16**8 elements of ~700 bytes stay above this


def huge_body(n):
    """A valid JSON object of at least n bytes. Returns (exact length, chunk iterator)."""
    overhead = len(_HUGE_PREFIX) + len(_HUGE_SUFFIX)
    step = _HUGE_ELEMENT_LEN + 1  # element + comma
    count = 0 if n <= overhead else -(-(n - overhead + 1) // step)
    length = overhead + (count * step - 1 if count else 0)
    return length, _huge_chunks(count)


def _huge_chunks(count):
    per = max(1, CHUNK // (_HUGE_ELEMENT_LEN + 1))
    tmpl = _HUGE_ELEMENT
    out = _HUGE_PREFIX
    for start in range(0, count, per):
        part = b",".join([tmpl % (i, i, i, i) for i in range(start, min(start + per, count))])
        out = out + part if start == 0 else b"," + part
        yield out
        out = b""
    yield out + _HUGE_SUFFIX


def gzip_stream(chunks, level=1):
    """gzip-compress an iterator of chunks on the fly (output length unknown in advance)."""
    co = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    for c in chunks:
        out = co.compress(c)
        if out:
            yield out
    yield co.flush()


# ---- gzip_bomb: a small gzip body that inflates to a valid JSON object of n bytes ------------
_BOMB_PREFIX = b'{"cluster_id":"bomb","state":"RUNNING","pad":"'
_BOMB_SUFFIX = b'"}'
_BOMB_BLOCK = b" " * (1 << 20)
BOMB_MAX_BYTES = 1 << 36
# gzip header: magic, deflate, no flags, mtime 0, no extra flags, OS unknown
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


@functools.lru_cache(maxsize=8)
def bomb_body(n):
    """Returns (compressed length, tuple of parts) where the parts, written in order, form a
    gzip stream that decompresses to exactly max(n, overhead) bytes of valid JSON.

    The padding is compressed once per 1 MiB block with a full flush after it (which resets the
    compressor's history), so that block's deflate output is self-contained and is simply
    repeated: the cost is one CRC pass over the inflated size, the memory ~n/1000 at most."""
    pad = max(0, n - len(_BOMB_PREFIX) - len(_BOMB_SUFFIX))
    full, rest = divmod(pad, len(_BOMB_BLOCK))
    co = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    head = _GZIP_HEADER + co.compress(_BOMB_PREFIX) + co.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(_BOMB_PREFIX)
    parts = [head]
    if full:
        block = co.compress(_BOMB_BLOCK) + co.flush(zlib.Z_FULL_FLUSH)
        parts.append((block, full))
        for _ in range(full):
            crc = zlib.crc32(_BOMB_BLOCK, crc)
    tail_raw = _BOMB_BLOCK[:rest] + _BOMB_SUFFIX
    crc = zlib.crc32(tail_raw, crc)
    size = len(_BOMB_PREFIX) + pad + len(_BOMB_SUFFIX)
    tail = co.compress(tail_raw) + co.flush() + struct.pack("<II", crc, size & 0xFFFFFFFF)
    parts.append(tail)
    length = sum(len(p) if isinstance(p, bytes) else len(p[0]) * p[1] for p in parts)
    return length, tuple(parts)


def bomb_chunks(parts):
    for p in parts:
        if isinstance(p, bytes):
            yield p
        else:
            yield from _repeat(*p)


# ---- deep: nesting D levels --------------------------------------------------------------------
DEEP_MAX = 1 << 27
_DEEP_PIECES = {"array": (b"[", b"[]", b"]"), "object": (b'{"a":', b"{}", b"}")}


def deep_body(depth, shape="array", error_code=None):
    """[[[...]]] or {"a":{"a":...{}}} with `depth` levels; with error_code, wrapped as a
    Databricks error body {"error_code":..,"message":"deep","details":<deep value>}.
    Returns (exact length, chunk iterator)."""
    opener, middle, closer = _DEEP_PIECES[shape]
    pre = suf = b""
    if error_code is not None:
        pre = b'{"error_code":%s,"message":"deep","details":' % json.dumps(error_code).encode()
        suf = b"}"
    outer = depth - 1
    length = (len(pre) + outer * len(opener) + len(middle) + outer * len(closer) + len(suf))

    def chunks():
        yield pre
        yield from _repeat(opener, outer)
        yield middle
        yield from _repeat(closer, outer)
        yield suf
    return length, chunks()


def _repeat(piece, count):
    per = max(1, CHUNK // len(piece))
    batch = piece * per
    while count >= per:
        yield batch
        count -= per
    if count:
        yield piece * count


# ---- endless_headers ---------------------------------------------------------------------------
ENDLESS_STATUS_LINE = b"HTTP/1.1 200 OK\r\n"
_FILLER_VALUE = b"0123456789abcdef" * 4  # 64 chars


def filler_headers(batch_bytes=16384):
    """Endless batches of "X-Filler-<i>: <64 chars>" header lines (never the blank line)."""
    i = 0
    per = max(1, batch_bytes // (len(_FILLER_VALUE) + 20))
    while True:
        yield b"".join([b"X-Filler-%d: %s\r\n" % (k, _FILLER_VALUE) for k in range(i, i + per)])
        i += per
