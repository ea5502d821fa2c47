"""The migration programs' result document (the contract of examples/migration/mreport.h), from Python.

One machine-readable JSON document per run (steps with timings, checks with their threshold and
outcome, and the data behind the figures) and one self-contained HTML page rendered from it by
the C ``render_report`` tool (``DBX_RENDER_REPORT``, default ``build/examples/render_report``),
so a Python program's page is the C programs' page::

    rep = Report("batch_scoring_py", "Migration 3 (Python): batch scoring")
    with rep.step("generate transactions") as s:
        ...
        s.detail = "2000 rows"              # the step fails when the block raises
    rep.check("NULL predictions", nulls, "==", 0, "rows")
    rep.skip("monitor PSI", "DBX_MIGRATION_QUALITY_MONITOR=0")
    rep.write(out_dir)                      # <out>/<program>.json and .html

JSON: {"program", "title", "workspace", "started_at", "passed", "steps": [{"name",
"start_ms", "duration_ms", "ok", "detail"}], "checks": [{"name", "value", "op", "threshold",
"unit", "passed"}] (a skipped check: value / threshold null, op "", "passed" true, "skipped"
true, "reason"), optional "parity" {"tolerance", "old", "new"}, "latency" [{"series", "ms"}],
"drift" {"statistic", "threshold", "features": [{"name", "value", "flagged"}]}. Numbers are written
as mreport.c writes them (reals with 10 significant digits; non-finite ones as null), so a C
and a Python program's results compare value for value. A run passes when every step is ok and every
check passed (a skipped one never fails it).

Not thread-safe: one report per program, used by one thread. Standard library only.
"""

import contextlib
import datetime
import json
import math
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))

OPS = {"<=": lambda a, b: a <= b, "<": lambda a, b: a < b, ">=": lambda a, b: a >= b,
       ">": lambda a, b: a > b, "==": lambda a, b: a == b}


def _finite(v):
    """A number as mreport.c writes it: a JSON real with 10 significant digits
    (JSON_REAL_PRECISION(10)), null for None / NaN / +-inf; bools and text as they are."""
    if v is None or isinstance(v, (bool, str)):
        return v
    v = float(v)
    return float("%.10g" % v) if math.isfinite(v) else None


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of values, as mreport_percentile: the
    ceil(p / 100 * n)-th smallest (the smallest for p = 0); NaN for no values."""
    s = sorted(values)
    n = len(s)
    if n == 0:
        return math.nan
    k = math.ceil(p / 100.0 * n)
    return s[0] if k == 0 else s[min(k - 1, n - 1)]


class _Step:
    """What :meth:`Report.step` yields: set ``detail`` (and ``ok``) in the block."""

    def __init__(self):
        self.ok = True
        self.detail = ""


class Report:
    """The result document of a migration program (see the module's doc)."""

    def __init__(self, program, title):
        self.program = program
        self._t0 = time.monotonic()
        self.doc = {"program": program, "title": title, "workspace": "",
                    "started_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "passed": True, "steps": [], "checks": []}
        self.cur = None
        self._cur_t0 = 0.0
        #: the exception that failed the last step(): the step has reported it
        self.failure = None

    # ---- state ----------------------------------------------------------------------------
    @property
    def passed(self):
        """True when every step and check so far passed."""
        return bool(self.doc["passed"])

    def set_workspace(self, host):
        self.doc["workspace"] = host or ""

    def _ms(self):
        return (time.monotonic() - self._t0) * 1e3

    # ---- steps ----------------------------------------------------------------------------
    def begin(self, name):
        """Begin a step (a step still open ends first, ok)."""
        self.end(True)
        print("== " + name, flush=True)
        self._cur_t0 = self._ms()
        self.cur = {"name": name, "start_ms": _finite(self._cur_t0), "duration_ms": 0.0, "ok": False, "detail": ""}
        self.doc["steps"].append(self.cur)

    def end(self, ok, detail=""):
        """End the open step (no step open: nothing)."""
        if not self.cur:
            return
        self.cur["duration_ms"] = _finite(self._ms() - self._cur_t0)
        self.cur["ok"] = bool(ok)
        self.cur["detail"] = detail or ""
        print("   %s (%.0f ms)%s" % ("ok" if ok else "FAILED", self.cur["duration_ms"],
                                    ": " + detail if detail else ""), flush=True)
        if not ok:
            self.doc["passed"] = False
        self.cur = None

    @contextlib.contextmanager
    def step(self, name):
        """A step as a block: it ends with the block (``s.ok`` / ``s.detail`` as set in it);
        an exception in the block fails the step with the exception's text and propagates
        (and is kept as :attr:`failure`)."""
        self.begin(name)
        s = _Step()
        try:
            yield s
        except BaseException as exc:
            rid = getattr(exc, "request_id", None)  # libdbx errors: the request to look up
            self.end(False, "%s: %s%s" % (type(exc).__name__, exc, ", request %s" % rid if rid else ""))
            self.failure = exc
            raise
        self.end(s.ok, s.detail)

    # ---- checks ---------------------------------------------------------------------------
    def check(self, name, value, op, threshold, unit=""):
        """value op threshold (op "<=", "<", ">=", ">", "=="); returns whether it passed
        (None and NaN never pass)."""
        if op not in OPS:
            raise ValueError("op must be one of %s" % ", ".join(OPS))
        bad = value is None or threshold is None or (isinstance(value, float) and math.isnan(value)) or \
            (isinstance(threshold, float) and math.isnan(threshold))
        ok = not bad and bool(OPS[op](value, threshold))
        self.doc["checks"].append({"name": name, "value": _finite(value), "op": op, "threshold": _finite(threshold),
                                   "unit": unit or "", "passed": ok})
        print("   check %-48s %s %s %s %s %s" % (name, "PASS" if ok else "FAIL", value, op, threshold, unit or ""),
              flush=True)
        if not ok:
            self.doc["passed"] = False
        return ok

    def skip(self, name, reason):
        """A check that was not evaluated (shown as skipped; never fails the run)."""
        self.doc["checks"].append({"name": name, "value": None, "op": "", "threshold": None, "unit": "",
                                   "passed": True, "skipped": True, "reason": reason or ""})
        print("   check %-48s SKIPPED (%s)" % (name, reason or ""), flush=True)

    # ---- figures' data (copied) -----------------------------------------------------------
    def parity(self, tolerance, old, new):
        """Old vs new predictions (the parity scatter), pairwise."""
        self.doc["parity"] = {"tolerance": _finite(tolerance), "old": [_finite(v) for v in old],
                              "new": [_finite(v) for v in new]}

    def latency(self, series, ms):
        """One latency series (milliseconds); series accumulate in order."""
        self.doc.setdefault("latency", []).append({"series": series, "ms": [_finite(v) for v in ms]})

    def drift(self, statistic, threshold, feature, value):
        """One feature's drift; the first call sets the statistic's name and threshold."""
        d = self.doc.get("drift")
        if d is None:
            d = self.doc["drift"] = {"statistic": statistic, "threshold": _finite(threshold), "features": []}
        v = None if value is None else float(value)
        d["features"].append({"name": feature, "value": _finite(v),
                              "flagged": v is not None and math.isfinite(v) and v > threshold})

    # ---- output ---------------------------------------------------------------------------
    def write(self, out_dir, render=None):
        """Write <out_dir>/<program>.json and render <program>.html with render_report (the
        path ``render``, else DBX_RENDER_REPORT, else build/examples/render_report). Ends an
        open step (ok). Returns True when both were written."""
        self.end(True)
        os.makedirs(out_dir, exist_ok=True)
        path = os.path.join(out_dir, self.program + ".json")
        with open(path, "w") as f:
            json.dump(self.doc, f, indent=1, allow_nan=False)
        html = os.path.join(out_dir, self.program + ".html")
        render = render or os.environ.get("DBX_RENDER_REPORT") or os.path.join(ROOT, "build", "examples",
                                                                                  "render_report")
        try:
            r = subprocess.run([render, path, html], capture_output=True, text=True, timeout=120)
        except OSError as exc:
            print("render_report failed: %s" % exc, file=sys.stderr)
            return False
        if r.returncode != 0:
            print("render_report failed: " + r.stderr, file=sys.stderr)
            return False
        print("\n%s: result %s, report %s" % ("PASSED" if self.passed else "FAILED", path, html), flush=True)
        return True
