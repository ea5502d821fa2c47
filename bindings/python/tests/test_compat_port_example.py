"""The DataRobot script port (examples/python/datarobot_port): the ported script differs from its
DataRobot original only in the import and the client construction, and runs end to end against
the emulator through libdbx.compat.datarobot."""

import difflib
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, TOKEN
from test_compat_datarobot import UC, WH, p1, register, MODEL_V1

import libdbx.compat.datarobot as dr

EX = os.path.join(ROOT, "examples", "python", "datarobot_port")


def read(name):
    with open(os.path.join(EX, name)) as f:
        return f.read()


def test_port_changes_only_import_and_client():
    orig, port = read("score_and_submit_datarobot.py"), read("score_and_submit.py")
    diff = list(difflib.unified_diff(orig.splitlines(True), port.splitlines(True),
                                     "score_and_submit_datarobot.py", "score_and_submit.py"))
    assert "".join(diff) == read("score_and_submit.diff")  # the committed diff is current
    changed = [l for l in diff if l[:1] in "+-" and not l.startswith(("+++", "---"))]
    assert [l[1:].strip() for l in changed if l[0] == "-"] == [
        "import datarobot as dr", 'dr.Client(config_path="~/.config/datarobot/drconfig.yaml")']
    assert [l[1:].split("#")[0].strip() for l in changed if l[0] == "+"] == [
        "import libdbx.compat.datarobot as dr", "dr.Client()"]


def test_ported_script_runs_against_the_emulator(emu, tmp_path):
    c = dr.Client(token=TOKEN, endpoint=emu.base, warehouse_id=WH, no_env=True, no_config_file=True)
    try:
        register(c, MODEL_V1)
        dr.Deployment.create_from_registered_model_version("models:/%s/1" % UC, "fraud-scoring", max_wait=30)
        c.dbx.request("PUT", "/api/2.0/serving-endpoints/fraud-scoring/ai-gateway", {"inference_table_config": {
            "catalog_name": "main", "schema_name": "default", "enabled": True}})
    finally:
        c.close()
    rows = [(i % 9, i % 24) for i in range(40)]
    scoring = tmp_path / "tx.csv"
    scoring.write_text("amount,hour\n" + "".join("%d,%d\n" % r for r in rows))
    actuals = tmp_path / "actuals.csv"
    actuals.write_text("association_id,actual_value\n" + "".join("t-%d,%d\n" % (i, i % 2) for i in range(7)))
    out = tmp_path / "result.json"
    env = dict(os.environ, DATABRICKS_HOST=emu.base, DATABRICKS_TOKEN=TOKEN, DATABRICKS_WAREHOUSE_ID=WH,
               DATABRICKS_CONFIG_FILE=os.devnull,
               PYTHONPATH=os.path.join(ROOT, "bindings", "python"))
    p = subprocess.run([sys.executable, os.path.join(EX, "score_and_submit.py"), "fraud-scoring", str(scoring),
                        str(actuals), str(out)], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    res = json.loads(out.read_text())
    assert res["deployment"] == "fraud-scoring" and res["model"]["version"] == "1"
    assert res["scored"] == 40 and res["actuals"] == 7
    assert res["flagged"] == sum(1 for a, h in rows if p1(a, h) >= 0.5) > 0
    assert "scored 40 transactions" in p.stdout
    # the actuals landed beside the inference table
    n = [r for r in emu.requests("/api/2.0/sql/statements") if "fraud_scoring_actuals" in r["json"]["statement"]]
    assert any(r["json"]["statement"].startswith("INSERT INTO") for r in n)
    # unknown label: exit 2, nothing scored
    p = subprocess.run([sys.executable, os.path.join(EX, "score_and_submit.py"), "nope", str(scoring),
                        str(actuals), str(out)], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "no deployment labelled nope" in p.stderr
