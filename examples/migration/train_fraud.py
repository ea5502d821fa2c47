"""Fraud-model training job (a spark_python_task of migration program 1).

Reads the gold feature table through statement execution, trains logistic-regression variants
(plain gradient descent: Python standard library only), logs each as an MLflow run (parameters;
AUC-ROC, average precision and precision at the top k on a later, held-out time slice), and
registers every variant as a version of a Unity Catalog model. The registered model is a real
MLflow pyfunc model without third-party code: ``MLmodel`` (with a signature), ``model.json``
(coefficients on the raw features) and ``code/fraud_model.py`` (its loader), so Model Serving
on a workspace and the libdbx emulator both score it.

usage: train_fraud.py WAREHOUSE_ID GOLD_TABLE EXPERIMENT_PATH UC_MODEL_NAME [SEED]

Connection: DATABRICKS_HOST / DATABRICKS_TOKEN (a job task gets them from its workspace; the
emulator passes them to the processes it runs), through the libdbx Python binding.
"""

import json
import math
import os
import random
import shutil
import sys
import tempfile

import libdbx

FEATURES = ["tx_amount", "tx_during_weekend", "tx_during_night",
            "customer_nb_tx_1d", "customer_avg_amount_1d", "customer_nb_tx_7d", "customer_avg_amount_7d",
            "terminal_nb_tx_7d", "terminal_risk_7d"]

VARIANTS = [  # (run name, L2 strength, epochs, learning rate, features)
    ("logit-amount-only", 0.0, 300, 0.5, ["tx_amount"]),
    ("logit-all-l2-0.01", 0.01, 400, 0.5, FEATURES),
    ("logit-all-l2-0.001", 0.001, 400, 0.5, FEATURES),
]

LOADER = '''"""pyfunc loader of the libdbx migration fraud model: logistic regression from model.json."""
import json
import math


class _Model:
    def __init__(self, spec):
        self.spec = spec

    def predict(self, data, params=None):
        s = self.spec
        rows = data.to_dict(orient="records") if hasattr(data, "to_dict") else list(data)
        out = []
        for r in rows:
            z = s.get("intercept", 0.0)
            for f, c in zip(s["features"], s["coefficients"]):
                z += c * float(r[f])
            out.append(1.0 / (1.0 + math.exp(-z)) if z >= -700 else 0.0)
        return out


def _load_pyfunc(path):
    with open(path) as f:
        return _Model(json.load(f))
'''


def sigmoid(z):
    if z < -700:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))


def auc_roc(y, p):
    """Probability that a fraud scores above a genuine transaction (ties count half)."""
    pairs = sorted(zip(p, y))
    ranks = [0.0] * len(pairs)
    i = 0
    while i < len(pairs):
        j = i
        while j + 1 < len(pairs) and pairs[j + 1][0] == pairs[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2.0 + 1
        i = j + 1
    pos = sum(1 for _, t in pairs if t)
    neg = len(pairs) - pos
    if pos == 0 or neg == 0:
        return float("nan")
    rs = sum(r for r, (_, t) in zip(ranks, pairs) if t)
    return (rs - pos * (pos + 1) / 2.0) / (pos * neg)


def average_precision(y, p):
    order = sorted(range(len(y)), key=lambda i: -p[i])
    hits, total, pos = 0, 0.0, sum(y)
    if pos == 0:
        return float("nan")
    for n, i in enumerate(order, start=1):
        if y[i]:
            hits += 1
            total += hits / n
    return total / pos


def precision_at_k(y, p, k):
    order = sorted(range(len(y)), key=lambda i: -p[i])[:k]
    return sum(y[i] for i in order) / float(max(1, len(order)))


def train(X, y, l2, epochs, lr):
    """Batch gradient descent on standardized features, genuine and fraud weighted equally."""
    n, d = len(X), len(X[0])
    pos = max(1, sum(y))
    wpos, wneg = n / (2.0 * pos), n / (2.0 * max(1, n - pos))
    w, b = [0.0] * d, 0.0
    for _ in range(epochs):
        gw, gb = [0.0] * d, 0.0
        for xi, yi in zip(X, y):
            z = b + sum(a * c for a, c in zip(w, xi))
            e = (sigmoid(z) - yi) * (wpos if yi else wneg)
            gb += e
            for j in range(d):
                gw[j] += e * xi[j]
        b -= lr * gb / n
        w = [wj - lr * (gj / n + l2 * wj) for wj, gj in zip(w, gw)]
    return w, b


def main(warehouse, gold, experiment, model_name, seed="7"):
    random.seed(int(seed))
    with libdbx.Client(product="dbx-migration-train/1.0") as c:
        cols = ", ".join(["tx_datetime", "tx_fraud"] + FEATURES)
        st = c.sql.execute(warehouse, "SELECT %s FROM %s ORDER BY tx_datetime, transaction_id" % (cols, gold),
                           timeout=600)
        rows = st.fetchall()
        if len(rows) < 50:
            raise SystemExit("too few rows in %s: %d" % (gold, len(rows)))
        cut = int(len(rows) * 0.7)  # train on the first 70 % in time, test on the rest
        exp = c.mlflow.get_experiment_by_name(experiment)
        exp_id = exp.experiment_id if exp else c.mlflow.create_experiment(experiment)
        results = []
        for name, l2, epochs, lr, feats in VARIANTS:
            idx = [FEATURES.index(f) + 2 for f in feats]
            X = [[float(r[i] or 0.0) for i in idx] for r in rows]
            y = [int(r[1]) for r in rows]
            mean = [sum(col) / cut for col in zip(*X[:cut])]
            std = [max(1e-9, math.sqrt(sum((v - m) ** 2 for v in col) / cut)) for col, m in zip(zip(*X[:cut]), mean)]
            Z = [[(v - m) / s for v, m, s in zip(x, mean, std)] for x in X]
            w, b = train(Z[:cut], y[:cut], l2, epochs, lr)
            p = [sigmoid(b + sum(a * c for a, c in zip(w, z))) for z in Z[cut:]]
            yt = y[cut:]
            k = max(1, len(yt) // 20)
            metrics = {"auc_roc": auc_roc(yt, p), "average_precision": average_precision(yt, p),
                       "precision_at_k": precision_at_k(yt, p, k), "test_rows": float(len(yt)),
                       "test_frauds": float(sum(yt))}
            # coefficients on the raw features, so the served model needs no scaler
            coef = [wi / si for wi, si in zip(w, std)]
            intercept = b - sum(wi * mi / si for wi, mi, si in zip(w, mean, std))
            with c.mlflow.start_run(exp_id, run_name=name) as run:
                run.log_batch(metrics=[(k_, v, None, 0) for k_, v in metrics.items() if not math.isnan(v)],
                              params=[("features", ",".join(feats)), ("l2", str(l2)), ("epochs", str(epochs)),
                                      ("learning_rate", str(lr)), ("seed", str(seed)), ("train_rows", str(cut)),
                                      ("precision_k", str(k)), ("gold_table", gold)],
                              tags=[("mlflow.source.type", "JOB"), ("migration.program", "fraud_pipeline")])
                d = tempfile.mkdtemp(prefix="fraud-model-")
                try:
                    write_model(d, feats, coef, intercept)
                    run.log_artifacts(d, "model")
                    mv = c.registry.register_uc_version(model_name, d, run_id=run.run_id, create_model=True,
                                                        description="%s (auc %.4f)" % (name, metrics["auc_roc"]),
                                                        timeout=600)
                finally:
                    shutil.rmtree(d, ignore_errors=True)
                run.set_tag("registered_version", str(mv.version))
            results.append((name, mv.version, metrics))
            print("%-22s version %d auc_roc %.4f average_precision %.4f precision_at_%d %.4f"
                  % (name, mv.version, metrics["auc_roc"], metrics["average_precision"], k, metrics["precision_at_k"]))
        sys.stdout.flush()
    return 0


def write_model(d, feats, coef, intercept):
    inputs = json.dumps([{"type": "double", "name": f, "required": True} for f in feats])
    with open(os.path.join(d, "MLmodel"), "w") as f:
        f.write("artifact_path: model\nflavors:\n  python_function:\n    code: code\n    data: model.json\n"
                "    env:\n      virtualenv: python_env.yaml\n    loader_module: fraud_model\n"
                "    python_version: 3.11.0\nmlflow_version: 2.16.0\nsignature:\n  inputs: '%s'\n"
                "  outputs: '[{\"type\": \"double\", \"required\": true}]'\n  params: null\n" % inputs)
    with open(os.path.join(d, "model.json"), "w") as f:
        json.dump({"flavor": "logistic", "features": feats, "intercept": intercept, "coefficients": coef,
                   "output": "probability"}, f)
    with open(os.path.join(d, "python_env.yaml"), "w") as f:
        f.write("python: 3.11.0\nbuild_dependencies:\n- pip\ndependencies:\n- mlflow==2.16.0\n")
    os.mkdir(os.path.join(d, "code"))
    with open(os.path.join(d, "code", "fraud_model.py"), "w") as f:
        f.write(LOADER)


if __name__ == "__main__":
    if len(sys.argv) not in (5, 6):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
