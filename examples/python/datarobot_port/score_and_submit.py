"""Nightly fraud scoring, as run against DataRobot: find the deployment, score the day's
transactions, submit the actuals that came in, and report what happened.

usage: score_and_submit.py LABEL SCORING_CSV ACTUALS_CSV RESULT_JSON
"""
import csv
import json
import sys
import time

import libdbx.compat.datarobot as dr


def main(label, scoring_csv, actuals_csv, result_json):
    dr.Client()  # DATABRICKS_HOST / DATABRICKS_TOKEN (or ~/.databrickscfg), DATABRICKS_WAREHOUSE_ID
    started = time.time()

    matches = [d for d in dr.Deployment.list(search=label, order_by="label") if d.label == label]
    if not matches:
        print("no deployment labelled %s" % label, file=sys.stderr)
        return 2
    deployment = matches[0]

    predictions = deployment.predict_batch(scoring_csv)
    scores = list(predictions["prediction"])
    flagged = sum(1 for p in scores if p >= 0.5)

    with open(actuals_csv, newline="") as f:
        actuals = [{"association_id": r["association_id"], "actual_value": int(r["actual_value"])}
                   for r in csv.DictReader(f)]
    try:
        deployment.submit_actuals(actuals, batch_size=1000)
    except dr.errors.ClientError as exc:
        print("actuals refused: %s (HTTP %s)" % (exc, exc.status_code), file=sys.stderr)
        return 1

    result = {"deployment": deployment.id, "model": deployment.model, "scored": len(scores),
              "flagged": flagged, "actuals": len(actuals), "seconds": round(time.time() - started, 3)}
    with open(result_json, "w") as f:
        json.dump(result, f, indent=2)
    print("scored %d transactions, flagged %d, submitted %d actuals" % (len(scores), flagged, len(actuals)))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
