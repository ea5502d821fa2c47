"""Tests of mreport.py (the Python twin of mreport.{h,c}): the result JSON follows the contract
of mreport.h (keys, types, numbers as mreport.c writes them, a skipped check never fails the
run), render_report renders it, and percentile() equals mreport_percentile.

usage: test_mreport_py.py RENDER_REPORT MREPORT_PERCENTILE   (exit 0 when every test passed)
"""

import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mreport  # noqa: E402

RENDER = PERCENTILE = None


class ReportJson(unittest.TestCase):
    def write(self, rep):
        d = tempfile.mkdtemp(prefix="mreport-py-")
        self.addCleanup(shutil.rmtree, d, True)
        self.assertTrue(rep.write(d, render=RENDER))
        with open(os.path.join(d, rep.program + ".json")) as f:
            doc = json.load(f)
        with open(os.path.join(d, rep.program + ".html")) as f:
            html = f.read()
        return doc, html

    def test_contract(self):
        r = mreport.Report("t_py", "A <title>")
        r.set_workspace("https://example.cloud.databricks.com")
        with r.step("one") as s:
            s.detail = "first"
        r.begin("two")  # left open: write() ends it, ok
        self.assertTrue(r.check("count", 3, "==", 3, "rows"))
        self.assertTrue(r.check("ratio", 1 / 3, "<=", 0.5))
        r.skip("monitor", "switched off")
        r.parity(1e-6, [0.1, 0.2], [0.1, 0.2 + 1e-9])
        r.latency("sequential", [1.0, 2.5, float("nan")])
        r.drift("population stability index", 0.25, "a", 0.4)
        r.drift("population stability index", 0.25, "b", 0.01)
        r.drift("population stability index", 0.25, "c", float("nan"))
        doc, html = self.write(r)
        self.assertEqual(set(doc), {"program", "title", "workspace", "started_at", "passed", "steps", "checks",
                                    "parity", "latency", "drift"})
        self.assertTrue(doc["passed"])
        self.assertRegex(doc["started_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual([(s["name"], s["ok"], s["detail"]) for s in doc["steps"]],
                         [("one", True, "first"), ("two", True, "")])
        for s in doc["steps"]:
            self.assertEqual(set(s), {"name", "start_ms", "duration_ms", "ok", "detail"})
            self.assertIsInstance(s["duration_ms"], float)
        c = doc["checks"]
        self.assertEqual(c[0], {"name": "count", "value": 3.0, "op": "==", "threshold": 3.0, "unit": "rows",
                                "passed": True})
        self.assertEqual(c[1]["value"], float("%.10g" % (1 / 3)))  # 10 significant digits, as mreport.c
        self.assertEqual(c[2], {"name": "monitor", "value": None, "op": "", "threshold": None, "unit": "",
                                "passed": True, "skipped": True, "reason": "switched off"})
        self.assertEqual(doc["parity"], {"tolerance": 1e-6, "old": [0.1, 0.2], "new": [0.1, 0.200000001]})
        self.assertEqual(doc["latency"], [{"series": "sequential", "ms": [1.0, 2.5, None]}])
        self.assertEqual(doc["drift"]["statistic"], "population stability index")
        self.assertEqual([(f["name"], f["value"], f["flagged"]) for f in doc["drift"]["features"]],
                         [("a", 0.4, True), ("b", 0.01, False), ("c", None, False)])
        self.assertIn("A &lt;title&gt;", html)
        for section in ("summary", "checks", "timeline", "parity", "latency", "drift"):
            self.assertIn('id="%s"' % section, html)

    def test_failures(self):
        r = mreport.Report("f_py", "failures")
        self.assertFalse(r.check("nan", float("nan"), "<=", 1))
        self.assertFalse(r.check("none", None, "==", 0))
        doc, html = self.write(r)
        self.assertFalse(doc["passed"])
        self.assertIsNone(doc["checks"][0]["value"])
        self.assertNotIn("parity", doc)
        self.assertNotIn('id="parity"', html)

        r = mreport.Report("g_py", "a failing step")
        with self.assertRaises(ZeroDivisionError):
            with r.step("divide"):
                1 / 0
        self.assertFalse(r.passed)
        self.assertEqual(r.doc["steps"][0]["detail"], "ZeroDivisionError: division by zero")
        with self.assertRaises(ValueError):
            r.check("bad op", 1, "!=", 2)


class Percentile(unittest.TestCase):
    def c(self, p, values):
        out = subprocess.run([PERCENTILE, repr(p)] + [repr(v) for v in values], capture_output=True, text=True,
                             check=True).stdout.strip()
        return float(out)

    def test_equals_mreport_percentile(self):
        rnd = random.Random(5)
        cases = [[], [7.0], [3.0, 1.0, 2.0], [rnd.uniform(0, 100) for _ in range(101)],
                 [float(rnd.randrange(10)) for _ in range(40)]]
        for values in cases:
            for p in (0, 1, 25, 50, 90, 95, 99, 99.9, 100):
                want, got = self.c(p, values), mreport.percentile(values, p)
                if math.isnan(want):
                    self.assertTrue(math.isnan(got), (p, values))
                else:
                    self.assertEqual(got, want, (p, len(values)))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    RENDER, PERCENTILE = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1] + sys.argv[3:], verbosity=1)
