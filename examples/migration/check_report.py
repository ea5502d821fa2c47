#!/usr/bin/env python3
"""The migration report, rendered and looked at: a result document with every section (and a
failed check) goes through render_report; the page must be self-contained (no script, no
network asset), and headless Chromium's screenshot of it must show the section bands in order
(summary, checks, timeline, parity, latency, drift: each a solid colour strip mreport.h names)
a red FAILED badge, and a skipped check's grey badge and reason. The index page of several runs
(render_report --index) links each run's page and counts what passed. A page without a section must not show its band.

usage: check_report.py RENDER_REPORT_BINARY [--keep DIR]
Exit 0 when every check holds, 1 otherwise, 77 (skipped) when no Chromium is installed
(CI installs Debian's chromium, so there it always runs).
"""

import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

BANDS = [("summary", (0x1D, 0x35, 0x57)), ("checks", (0x2A, 0x9D, 0x8F)), ("timeline", (0x8E, 0x44, 0xAD)),
         ("parity", (0xF4, 0xA2, 0x61)), ("latency", (0x26, 0x46, 0x53)), ("drift", (0xE7, 0x6F, 0x51))]
FAIL_RED = (0xBC, 0x47, 0x49)
SKIP_GREY = (0x8D, 0x99, 0xAE)


def sample(with_optional=True):
    old = [i / 200.0 for i in range(200)]
    new = [v + (0.002 if i % 50 == 7 else 0.00001) for i, v in enumerate(old)]
    doc = {
        "program": "check_report", "title": "Deploy and score parity <sample>", "workspace": "http://127.0.0.1:1",
        "started_at": "2026-11-30T22:00:00Z", "passed": False,
        "steps": [{"name": "create endpoint", "start_ms": 0, "duration_ms": 1200, "ok": True, "detail": "READY"},
                  {"name": "replay 200 rows", "start_ms": 1200, "duration_ms": 800, "ok": True, "detail": ""},
                  {"name": "scorer", "start_ms": 2000, "duration_ms": 300, "ok": False, "detail": "2 failed"}],
        "checks": [{"name": "predictions within tolerance", "value": 0.002, "op": "<=", "threshold": 0.001,
                    "unit": "", "passed": False},
                   {"name": "p99 latency", "value": 41.5, "op": "<=", "threshold": 250, "unit": "ms",
                    "passed": True},
                   {"name": "scorer faster than sequential", "value": None, "op": "", "threshold": None,
                    "unit": "", "passed": True, "skipped": True, "reason": "only 50 rows <here>"}],
    }
    if with_optional:
        doc["parity"] = {"tolerance": 0.001, "old": old, "new": new}
        doc["latency"] = [{"series": "sequential", "ms": [20 + (i % 17) * 0.7 for i in range(300)]},
                          {"series": "scorer, 64 in flight", "ms": [22 + math.sqrt(i) for i in range(300)]}]
        doc["drift"] = {"statistic": "population_stability_index", "threshold": 0.2,
                        "features": [{"name": "amount", "value": 0.41, "flagged": True},
                                     {"name": "hour", "value": 0.03, "flagged": False}]}
    return doc


def read_png(path):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB/RGBA, non-interlaced PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError("unsupported PNG (depth %d, colour type %d)" % (depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ft == 1:
                line[i] = (line[i] + a) & 255
            elif ft == 2:
                line[i] = (line[i] + b) & 255
            elif ft == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return w, h, rows


def close(p, q, tol=8):
    return all(abs(a - b) <= tol for a, b in zip(p, q))


def bands_in(rows, w):
    """The band colours found top to bottom: runs of >= 8 rows whose pixels at 35 %, 50 % and
    65 % of the width all have one band colour."""
    xs = [int(w * f) for f in (0.35, 0.5, 0.65)]
    found, run_colour, run = [], None, 0
    for row in rows:
        hit = None
        for name, col in BANDS:
            if all(close(row[x], col) for x in xs):
                hit = name
                break
        if hit == run_colour and hit is not None:
            run += 1
        else:
            if run_colour is not None and run >= 8:
                found.append(run_colour)
            run_colour, run = hit, 1 if hit else 0
    if run_colour is not None and run >= 8:
        found.append(run_colour)
    return found


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


def screenshot(browser, html, png, tmp):
    cmd = [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--force-device-scale-factor=1", "--user-data-dir=" + os.path.join(tmp, "profile"),
           "--window-size=1000,3200", "--screenshot=" + png, "file://" + html]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, HOME=tmp))
    if p.returncode != 0 or not os.path.exists(png):
        raise RuntimeError("chromium failed (%d): %s" % (p.returncode, p.stderr[-2000:]))


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    render = argv[1]
    keep = argv[argv.index("--keep") + 1] if "--keep" in argv else None
    browser = chromium()
    if not browser:
        print("SKIP: no chromium installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="dbx-report-")
    problems = []
    try:
        for full in (True, False):
            res, html, png = (os.path.join(tmp, "r%d.%s" % (full, e)) for e in ("json", "html", "png"))
            with open(res, "w") as f:
                json.dump(sample(full), f)
            p = subprocess.run([render, res, html], capture_output=True, text=True)
            if p.returncode != 0:
                problems.append("render_report failed: " + p.stderr)
                continue
            text = open(html, encoding="utf-8").read()
            for bad in ("<script", "http://", "https://", "<link", "@import", "url("):
                if bad in text.replace("http://127.0.0.1:1", ""):
                    problems.append("the page is not self-contained: it contains %r" % bad)
            if "Deploy and score parity &lt;sample&gt;" not in text:
                problems.append("the title is not escaped")
            if "only 50 rows &lt;here&gt;" not in text or "1 of 2 checks passed, 1 skipped" not in text:
                problems.append("the skipped check is not shown as skipped with its reason")
            screenshot(browser, html, png, tmp)
            w, h, rows = read_png(png)
            got = bands_in(rows, w)
            want = [n for n, _ in BANDS] if full else ["summary", "checks", "timeline"]
            if got != want:
                problems.append("%s page: section bands %s, expected %s" % ("full" if full else "short", got, want))
            reds = sum(1 for row in rows[:400] for px in row[::4] if close(px, FAIL_RED, 6))
            if reds < 20:
                problems.append("no red FAILED badge near the top (%d red pixels)" % reds)
            greys = sum(1 for row in rows[:600] for px in row[::2] if close(px, SKIP_GREY, 6))
            if greys < 20:
                problems.append("no grey skipped badge (%d grey pixels)" % greys)
            if keep:
                os.makedirs(keep, exist_ok=True)
                for f in (html, png):
                    shutil.copy(f, keep)
        # the index page of several runs: one row per run, linked to its page, the summary counts
        docs = []
        for k, passed in enumerate((True, False)):
            d = sample(False)
            d["program"], d["passed"] = "prog_%d" % k, passed
            if passed:
                d["checks"] = [c for c in d["checks"] if c["passed"]]
            docs.append(os.path.join(tmp, "prog_%d.json" % k))
            with open(docs[-1], "w") as f:
                json.dump(d, f)
        index = os.path.join(tmp, "index.html")
        p = subprocess.run([render, "--index", index] + docs, capture_output=True, text=True)
        if p.returncode != 0:
            problems.append("render_report --index failed: " + p.stderr)
        else:
            lines = p.stdout.splitlines()
            if len(lines) != 2 or "prog_0" not in lines[0] or "PASSED" not in lines[0] or "1 skipped" not in lines[0] \
                    or "prog_1" not in lines[1] or "FAILED" not in lines[1] or "1 of 2 checks passed" not in lines[1]:
                problems.append("index summary lines: %r" % p.stdout)
            text = open(index, encoding="utf-8").read()
            for want in ('href="prog_0.html"', 'href="prog_1.html"', "1 of 2 programs passed",
                         "Deploy and score parity &lt;sample&gt;"):
                if want not in text:
                    problems.append("index page lacks %r" % want)
            for bad in ("<script", "https://", "<link", "url("):
                if bad in text:
                    problems.append("the index page is not self-contained: it contains %r" % bad)
            png = os.path.join(tmp, "index.png")
            screenshot(browser, index, png, tmp)
            w, h, rows = read_png(png)
            if bands_in(rows, w) != ["summary", "checks"]:
                problems.append("index page: section bands %s" % bands_in(rows, w))
        bad_doc = os.path.join(tmp, "bad.json")
        with open(bad_doc, "w") as f:
            f.write('{"program": "x"}')
        p = subprocess.run([render, "--index", index, bad_doc], capture_output=True, text=True)
        if p.returncode == 0 or "not a result document" not in p.stderr:
            problems.append("render_report --index accepted a document that is not a result")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for p in problems:
        print("FAIL:", p)
    if not problems:
        print("report: self-contained; Chromium shows every section in order and the FAILED badge")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
