"""Migration program 7: a DataRobot script, ported, run end to end.

The firm's nightly scoring script was written against DataRobot's Python client
(examples/python/datarobot_port/score_and_submit_datarobot.py). Its port
(score_and_submit.py) differs only in the import and the client construction; it runs on
Databricks through libdbx.compat.datarobot. This program sets up what the script expects (a
registered model, a deployment = serving endpoint with an inference table), runs the ported
script unchanged as its own process, and checks what it did: exit code, rows scored, frauds
flagged (against the model computed here), actuals landed in Delta (counted with SQL), and that
the port's diff from the DataRobot original is the two lines it should be. The diff and both
scripts are copied beside the result.

Result: <out>/datarobot_port.json and <out>/datarobot_port.html (rendered by render_report:
DBX_RENDER_REPORT, default build/examples/render_report); exit 0 only when every check passed.

Configuration: DATABRICKS_* as for every libdbx program, and DBX_MIGRATION_WAREHOUSE,
DBX_MIGRATION_CATALOG (main), DBX_MIGRATION_SCHEMA (fraud_migration), DBX_MIGRATION_ROWS (200),
DBX_MIGRATION_SEED (7), DBX_MIGRATION_PORT_ENDPOINT (fraud-scoring-port), DBX_MIGRATION_OUT,
DBX_MIGRATION_KEEP=1 to keep the endpoint.
"""

import difflib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))
import libdbx  # noqa: E402
import libdbx.compat.datarobot as dr  # noqa: E402

sys.path.insert(0, HERE)
from mreport import Report  # noqa: E402
import mmodel  # noqa: E402

PORT_DIR = os.path.join(ROOT, "examples", "python", "datarobot_port")
# the port's model: logistic on the two features the DataRobot script sends (mmodel.py writes it,
# with the pyfunc loader the training job registers)
MODEL = mmodel.Model(intercept=-3.2, coefficients=(0.8, 0.1), features=("amount", "hour"))


def env(name, default):
    v = os.environ.get(name)
    return v if v else default


def p1(amount, hour):
    return MODEL.predict((amount, hour))


def main():
    out = os.path.abspath(env("DBX_MIGRATION_OUT", "migration-results"))
    os.makedirs(out, exist_ok=True)
    cat, sch = env("DBX_MIGRATION_CATALOG", "main"), env("DBX_MIGRATION_SCHEMA", "fraud_migration")
    n, seed = int(env("DBX_MIGRATION_ROWS", "200")), int(env("DBX_MIGRATION_SEED", "7"))
    endpoint = env("DBX_MIGRATION_PORT_ENDPOINT", "fraud-scoring-port")
    model = "%s.%s.fraud_port" % (cat, sch)
    rep = Report("datarobot_port", "Migration 7: a DataRobot script, ported")
    c = None
    try:
        rep.begin("connect (compat Client: one source for token and endpoint)")
        c = dr.Client(warehouse_id=os.environ.get("DBX_MIGRATION_WAREHOUSE") or None, product="dbx-migration-port/1.0")
        x = c.dbx
        rep.doc["workspace"] = x.host
        if not c.warehouse_id:
            c.warehouse_id = next(iter(x.warehouses.list())).id
        rep.end(True, "%s, auth %s, warehouse %s" % (x.host, x.auth_type, c.warehouse_id))

        rep.begin("register the model and deploy it (Deployment.create_from_registered_model_version)")
        try:
            x.catalog.schemas.create(cat, sch)
        except libdbx.AlreadyExists:
            pass
        d = tempfile.mkdtemp(prefix="dbx-port-model-")
        try:
            mv = x.registry.register_uc_version(model, MODEL.write(d), create_model=True, timeout=600)
        finally:
            shutil.rmtree(d, ignore_errors=True)
        try:
            x.serving.delete(endpoint)  # a leftover of an earlier run
        except libdbx.NotFound:
            pass
        dep = dr.Deployment.create_from_registered_model_version("models:/%s/%d" % (model, mv.version), endpoint,
                                                                 description="DataRobot port", max_wait=1800)
        x.serving.set_inference_table(endpoint, cat, sch)
        rep.end(True, "%s version %d on %s, inference table %s" % (model, mv.version, dep.id,
                                                                    x.serving.get(endpoint).inference_table))

        rep.begin("the port differs from the DataRobot original only in import and client")
        orig = open(os.path.join(PORT_DIR, "score_and_submit_datarobot.py")).read().splitlines(True)
        port = open(os.path.join(PORT_DIR, "score_and_submit.py")).read().splitlines(True)
        diff = list(difflib.unified_diff(orig, port, "score_and_submit_datarobot.py", "score_and_submit.py"))
        changed = [ln for ln in diff if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
        for name in ("score_and_submit_datarobot.py", "score_and_submit.py", "score_and_submit.diff"):
            shutil.copy(os.path.join(PORT_DIR, name), os.path.join(out, name))
        rep.end(True, "%d lines changed of %d" % (len(changed), len(orig)))
        rep.check("lines removed from the DataRobot original", sum(1 for ln in changed if ln[0] == "-"), "==", 2,
                  "lines")
        rep.check("lines added by the port", sum(1 for ln in changed if ln[0] == "+"), "==", 2, "lines")

        rep.begin("run the ported script unchanged")
        rnd = random.Random(seed)
        rows = [(round(rnd.uniform(0, 9), 2), rnd.randrange(24)) for _ in range(n)]
        tx = os.path.join(out, "port_transactions.csv")
        with open(tx, "w") as f:
            f.write("amount,hour\n" + "".join("%s,%d\n" % r for r in rows))
        acts = os.path.join(out, "port_actuals.csv")
        n_act = max(1, n // 4)
        with open(acts, "w") as f:
            f.write("association_id,actual_value\n" + "".join("port-%d,%d\n" % (i, i % 2) for i in range(n_act)))
        res = os.path.join(out, "port_result.json")
        penv = dict(os.environ, DATABRICKS_WAREHOUSE_ID=c.warehouse_id,
                    PYTHONPATH=os.pathsep.join(filter(None, [os.path.join(ROOT, "bindings", "python"),
                                                             os.environ.get("PYTHONPATH")])))
        pr = subprocess.run([sys.executable, os.path.join(PORT_DIR, "score_and_submit.py"), endpoint, tx, acts, res],
                            env=penv, capture_output=True, text=True, timeout=1800)
        sys.stdout.write(pr.stdout)
        sys.stderr.write(pr.stderr)
        rep.end(pr.returncode == 0, "exit %d" % pr.returncode)
        rep.check("ported script exit code", pr.returncode, "==", 0)
        got = json.load(open(res)) if pr.returncode == 0 else {}
        rep.check("rows scored", got.get("scored"), "==", n, "rows")
        rep.check("frauds flagged = the model's", got.get("flagged"), "==", sum(1 for a, h in rows if p1(a, h) >= 0.5),
                  "rows")
        rep.check("actuals submitted", got.get("actuals"), "==", n_act, "rows")

        rep.begin("the actuals in Delta, counted with SQL")
        table = "%s.%s.%s_actuals" % (cat, sch, endpoint.replace("-", "_"))
        st = x.sql.execute(c.warehouse_id, "SELECT count(*) FROM %s WHERE association_id LIKE 'port-%%'" % table)
        landed = int(st.fetchall()[0][0])
        rep.end(True, table)
        rep.check("actuals rows in the Delta table", landed, ">=", n_act, "rows")
    except Exception as exc:  # noqa: B902 - the step fails, the report is written
        rep.end(False, "%s: %s" % (type(exc).__name__, exc))
        print("FAILED: %s" % exc, file=sys.stderr)
    finally:
        if c is not None:
            if os.environ.get("DBX_MIGRATION_KEEP") != "1":
                try:
                    c.dbx.serving.delete(endpoint)
                except libdbx.DatabricksError:
                    pass
            c.close()
    ok = rep.write(out)
    return 0 if ok and rep.doc["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
