"""The serving migration programs' fixed fraud model and their transactions, from Python.

The Python twin of examples/migration/mmodel.{h,c} (used by batch_scoring.py and monitoring.py):
logistic regression on raw transaction features with known coefficients, written as the same
MLflow pyfunc model directory (MLmodel with a signature, model.json, python_env.yaml,
code/fraud_model.py: the loader train_fraud.py registers), registered as a Unity Catalog model
version through the libdbx binding, and scored here with the same formula in the same order of
operations (the "old platform" side of the programs' checks; equal to the C model's result,
checked by ``python3 mmodel.py --check-against-c MMODEL_ROWS GEN_TRANSACTIONS``).

The transactions are not generated here: :func:`generate` runs the project's ``gen_transactions``
CLI (txgen.h, deterministic from a seed), and :func:`read_transactions` reads its CSV back.

Standard library only (plus the libdbx binding for :meth:`Model.register`).
"""

import calendar
import collections
import csv
import math
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

#: in model order: tx_amount (currency units), tx_during_weekend (0/1), tx_during_night (0/1,
#: before 06:00 UTC)
FEATURE_NAMES = ("tx_amount", "tx_during_weekend", "tx_during_night")

#: the programs' model (mmodel {-4.0, {0.02, 0.3, 0.8}} in batch_scoring.c and monitoring.c)
INTERCEPT = -4.0
COEFFICIENTS = (0.02, 0.3, 0.8)

#: txgen's default first day (2026-01-01 00:00 UTC)
DEFAULT_START_EPOCH = 1767225600

Transaction = collections.namedtuple(
    "Transaction", "id epoch_s customer terminal amount_cents fraud scenario tx_datetime customer_id terminal_id")
Transaction.__doc__ = """A generated transaction as the CSV holds it: the integer fields of txgen_tx
(customer and terminal as numbers, the amount in cents) and the CSV's own text of the
timestamp ("YYYY-MM-DD HH:MM:SS" UTC), customer ("C000042") and terminal ("T000017")."""


def features(epoch_s, amount_cents):
    """The model's features of a transaction, as mmodel_features computes them."""
    day = epoch_s // 86400
    dow = (day + 4) % 7  # 1970-01-01 was a Thursday (4)
    return (amount_cents / 100.0, 1.0 if dow in (0, 6) else 0.0, 1.0 if epoch_s % 86400 < 6 * 3600 else 0.0)


def tx_features(t):
    """:func:`features` of a :data:`Transaction`."""
    return features(t.epoch_s, t.amount_cents)


class Model:
    """sigmoid(intercept + sum(coef * x)), written, registered and computed as mmodel.c does."""

    def __init__(self, intercept=INTERCEPT, coefficients=COEFFICIENTS, features=FEATURE_NAMES):
        if len(coefficients) != len(features):
            raise ValueError("%d coefficients for %d features" % (len(coefficients), len(features)))
        self.features = tuple(features)
        self.intercept = float(intercept)
        self.coefficients = tuple(float(c) for c in coefficients)

    def predict(self, x):
        """The model's probability for one feature vector (the loader's order of operations:
        z = intercept, then += c * x)."""
        z = self.intercept
        for c, v in zip(self.coefficients, x):
            z += c * v
        return 1.0 / (1.0 + math.exp(-z)) if z >= -700 else 0.0

    def write(self, directory):
        """Write the model directory (created, with directory/code): MLmodel (pyfunc flavor,
        signature), model.json, python_env.yaml and code/fraud_model.py."""
        sys.path.insert(0, HERE)
        from train_fraud import LOADER  # the same loader the training job registers
        code = os.path.join(directory, "code")
        os.makedirs(code, exist_ok=True)
        inputs = ", ".join('{"type": "double", "name": "%s", "required": true}' % n for n in self.features)
        files = {
            "MLmodel": ("artifact_path: model\nflavors:\n  python_function:\n    code: code\n    data: model.json\n"
                        "    env:\n      virtualenv: python_env.yaml\n    loader_module: fraud_model\n"
                        "    python_version: 3.11.0\nmlflow_version: 2.16.0\nsignature:\n  inputs: '[%s]'\n"
                        "  outputs: '[{\"type\": \"double\", \"required\": true}]'\n  params: null\n" % inputs),
            # %.17g: the served model reads back exactly the doubles scored here
            "model.json": ('{"flavor": "logistic", "features": [%s], "intercept": %.17g, "coefficients": [%s], '
                           '"output": "probability"}\n'
                           % (", ".join('"%s"' % n for n in self.features), self.intercept,
                              ", ".join("%.17g" % c for c in self.coefficients))),
            "python_env.yaml": "python: 3.11.0\nbuild_dependencies:\n- pip\ndependencies:\n- mlflow==2.16.0\n",
            os.path.join("code", "fraud_model.py"): LOADER,
        }
        for name, text in files.items():
            with open(os.path.join(directory, name), "w") as f:
                f.write(text)
        return directory

    def register(self, client, name, directory, description, timeout=20 * 60):
        """Register ``directory`` as a new version of UC model ``name`` (created when missing),
        waiting until READY; returns the version number."""
        mv = client.registry.register_uc_version(name, directory, create_model=True, description=description,
                                                 timeout=timeout)
        return int(mv.version)


# ---- transactions ------------------------------------------------------------------------------

def gen_transactions_path():
    """The gen_transactions CLI: DBX_GEN_TRANSACTIONS, else <LIBDBX_PATH's dir>/examples/gen_transactions,
    else build/examples/gen_transactions of this checkout."""
    p = os.environ.get("DBX_GEN_TRANSACTIONS")
    if p:
        return p
    lib = os.environ.get("LIBDBX_PATH")
    if lib:
        return os.path.join(os.path.dirname(os.path.abspath(lib)), "examples", "gen_transactions")
    return os.path.join(HERE, "..", "..", "build", "examples", "gen_transactions")


def generate(path, rows, seed, *, customers=None, terminals=None, days=None, start_epoch=None):
    """Write ``rows`` transactions as CSV to ``path`` with gen_transactions (the same bytes as
    txgen gives the C programs for the same options). Returns the path."""
    cmd = [gen_transactions_path(), "--rows", str(int(rows)), "--seed", str(int(seed))]
    for flag, v in (("--customers", customers), ("--terminals", terminals), ("--days", days),
                    ("--start-epoch", start_epoch)):
        if v is not None:
            cmd += [flag, str(int(v))]
    r = subprocess.run(cmd + ["-o", path], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError("%s failed (exit %d): %s" % (cmd[0], r.returncode, r.stderr.strip()))
    return path


def epoch_of(text):
    """UTC epoch seconds of "YYYY-MM-DD HH:MM:SS"."""
    return calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S"))


def utc(epoch_s):
    """"YYYY-MM-DD HH:MM:SS" of a UTC epoch second (txgen_utc)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch_s))


def _cents(text):
    whole, _, frac = text.partition(".")
    neg = whole.startswith("-")
    c = abs(int(whole)) * 100 + int((frac + "00")[:2])
    return -c if neg else c


def read_transactions(path):
    """The transactions of a gen_transactions CSV, lazily, as :data:`Transaction` tuples."""
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        want = ["transaction_id", "tx_datetime", "customer_id", "terminal_id", "tx_amount", "tx_fraud",
                "tx_fraud_scenario"]
        if header != want:
            raise ValueError("%s: not a gen_transactions CSV (header %r)" % (path, header))
        for row in r:
            tid, dt, cust, term, amount, fraud, scen = row
            yield Transaction(int(tid), epoch_of(dt), int(cust[1:]), int(term[1:]), _cents(amount), int(fraud),
                              int(scen), dt, cust, term)


# ---- the check against C ----------------------------------------------------------------------

def check_against_c(mmodel_rows, gen, rows=500, seed=11, tolerance=1e-12):
    """Compare features and predictions with the C model on ``rows`` generated transactions:
    ``mmodel_rows`` (a small C program over txgen + mmodel) prints "id x0 x1 x2 p" (%.17g) per
    transaction; the same transactions come here from ``gen`` (gen_transactions). Returns
    (rows compared, max |p_python - p_c|, features that differ)."""
    import tempfile
    os.environ["DBX_GEN_TRANSACTIONS"] = gen
    m = Model()
    with tempfile.TemporaryDirectory() as d:
        tx = list(read_transactions(generate(os.path.join(d, "tx.csv"), rows, seed)))
    out = subprocess.run([mmodel_rows, str(rows), str(seed)], capture_output=True, text=True, check=True,
                         timeout=120).stdout.split("\n")
    c_rows = [ln.split() for ln in out if ln.strip()]
    if len(c_rows) != len(tx):
        raise AssertionError("C printed %d rows, gen_transactions wrote %d" % (len(c_rows), len(tx)))
    max_diff, feature_diffs = 0.0, 0
    for t, c in zip(tx, c_rows):
        if int(c[0]) != t.id:
            raise AssertionError("row order differs at id %d" % t.id)
        x = tx_features(t)
        feature_diffs += tuple(float(v) for v in c[1:4]) != x
        d = abs(m.predict(x) - float(c[4]))
        max_diff = max(max_diff, d) if d == d else math.inf
    return len(tx), max_diff, feature_diffs


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--check-against-c":
        n, diff, fdiff = check_against_c(sys.argv[2], sys.argv[3])
        ok = n > 0 and diff <= 1e-12 and fdiff == 0
        print("mmodel.py vs mmodel.c: %d rows, max |p_python - p_c| %.3g, %d feature vectors differ: %s"
              % (n, diff, fdiff, "PASS" if ok else "FAIL"))
        sys.exit(0 if ok else 1)
    print("usage: mmodel.py --check-against-c MMODEL_ROWS GEN_TRANSACTIONS", file=sys.stderr)
    sys.exit(2)
