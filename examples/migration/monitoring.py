"""Migration program 5 in Python: model monitoring, drift (PSI) and accuracy by window.

The Python twin of monitoring.c (the firm's monitoring job is Python), through the libdbx
Python binding: same data, same SQL, same checks and thresholds, and where the C program
computes a reference in C this one computes it in Python (the point: the Python tooling gets
the same numbers as the C program).

On DataRobot a deployment's monitoring tab shows data drift per feature (against the training
data) and accuracy over time once actuals are uploaded. On Databricks the same comes from Delta
tables and SQL: the training data is the baseline; inference records (features, prediction,
request id, timestamp) are appended to a Delta table (``client.delta.append``, one record per
scored row; the predictions come from the serving endpoint through
``client.serving.query_batch``); actuals arrive later, some late, into a second Delta table.
The program generates 14 days of transactions (the gen_transactions CLI): days 1-7 are the
training data, days 8-14 are scored with an injected shift (amounts x1.8, and three quarters of
the transactions moved to terminals of regions R0-R2, a terminal-mix change). It computes in SQL:
  (a) the population stability index (PSI) of each feature's later window against the training
      baseline: numeric features in decile bins of the baseline (NTILE(10), bin edges = each
      decile's maximum, both windows binned by those edges), categorical features by category;
      PSI = sum over bins (a - e) * ln(a / e), a bin's share floored at EPSILON = 0.0001;
  (b) accuracy, precision and recall at the 0.5 threshold per day, joining predictions and
      actuals on the request id.
Checks: the shifted features' PSI > 0.25 (flagged), the unshifted ones' < 0.1, an accuracy
window for every day with actuals, SQL's accuracy per day equal to the one computed in Python,
SQL's PSI equal to the one computed in Python, the late actuals counted (arrived more than 2
days after the prediction) equal to those sent. Then a Lakehouse quality monitor
(``client.monitors``) on the inference table, with the training data as its baseline, computes
its own population_stability_index: flagged for the amount, and equal to ours for the terminal
region (the same category bins and epsilon). With DBX_MIGRATION_QUALITY_MONITOR=0 those two
checks are reported as skipped.

Its tables, model and endpoint are its own (suffix _py / -py), so it runs beside the C program
against one workspace.

Result: <out>/monitoring_py.json and .html (drift per feature). Exit code 0 only when every
check passed.

Configuration: the workspace and credentials as for every libdbx program, and
  DBX_MIGRATION_CATALOG / DBX_MIGRATION_SCHEMA  (default main / fraud_migration)
  DBX_MIGRATION_WAREHOUSE  SQL warehouse id (default: the first one listed)
  DBX_MIGRATION_ENDPOINT   endpoint name (default "fraud-monitoring-migration-py";
                           a leftover one of that name is deleted first)
  DBX_MIGRATION_ROWS       transactions over the 14 days (default 4000); DBX_MIGRATION_SEED (13)
  DBX_MIGRATION_APPEND_BATCH  rows per INSERT of client.delta.append (default 0: the library's, 500)
  DBX_MIGRATION_QUALITY_MONITOR=0  skip the Lakehouse quality monitor (default: one is created on
                           the inference table, refreshed, its drift table read and the monitor
                           deleted; a real refresh takes minutes; the drift table is read
                           through its struct columns, window.start, ks_test.pvalue, ..., as
                           the real service has them)
  DBX_MIGRATION_KEEP=1     keep the endpoint at the end (default: deleted)
  DBX_MIGRATION_OUT        directory of the results (default "migration-results")
  DBX_GEN_TRANSACTIONS     the gen_transactions CLI (default: <LIBDBX_PATH's dir>/examples/gen_transactions)
"""

import dataclasses
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcommon import env, env_int, run_program  # noqa: E402
import libdbx  # noqa: E402  (mcommon puts the binding on the path)
import mmodel  # noqa: E402

DAYS = 14
BASELINE_DAYS = 7
START_EPOCH = 1767225600  # 2026-01-01 00:00:00 UTC
PSI_FLAG = 0.25
PSI_STABLE = 0.1
EPSILON = "0.0001"
LATE_S = 2 * 86400


@dataclasses.dataclass
class Rec:
    """One generated transaction, as the program's tables hold it."""
    id: int
    epoch_s: int
    x: tuple  # tx_amount, tx_during_weekend, tx_during_night
    seconds_of_day: int
    region: int
    label: int
    later: bool
    actual: int = 0  # 0 none, 1 on time, 2 late
    arrived_s: int = 0
    prediction: float = math.nan


@dataclasses.dataclass(frozen=True)
class Feature:
    name: str
    numeric: bool  # decile bins of the baseline; else one bin per category
    shifted: bool  # the injected shift changes it
    value: object  # Rec -> the feature's value


FEATURES = (
    Feature("tx_amount", True, True, lambda r: r.x[0]),
    Feature("tx_seconds_of_day", True, False, lambda r: r.seconds_of_day),
    Feature("terminal_region", False, True, lambda r: r.region),
    Feature("tx_during_night", False, False, lambda r: r.x[2]),
    Feature("tx_during_weekend", False, False, lambda r: r.x[1]),
)


def make_records(csv_path):
    """The transactions of the CSV, the later period shifted, with their actuals' fate."""
    recs = []
    for t in mmodel.read_transactions(csv_path):
        later = (t.epoch_s - START_EPOCH) // 86400 >= BASELINE_DAYS
        cents, terminal = t.amount_cents, t.terminal
        if later:
            cents = cents * 18 // 10  # amounts x1.8 (C's integer division: the amounts are positive)
            if t.id % 4 != 0:  # terminal mix: regions R0-R2
                terminal = terminal - terminal % 10 + terminal % 3
        r = Rec(t.id, t.epoch_s, mmodel.features(t.epoch_s, cents), t.epoch_s % 86400, terminal % 10, t.fraud, later)
        if later:  # actuals: most the next day, every fifth late (4 days on), some never
            if t.id % 7 == 3:
                r.actual = 0
            elif t.id % 5 == 0:
                r.actual, r.arrived_s = 2, t.epoch_s + 4 * 86400
            else:
                r.actual, r.arrived_s = 1, t.epoch_s + 86400
        recs.append(r)
    return recs


def feature_columns(r):
    return (r.x[0], int(r.x[1]), int(r.x[2]), r.seconds_of_day, "R%d" % r.region)


def _share(n, total):
    return max(n / total if total else 0.0, float(EPSILON))


def psi_in_python(recs, f):
    """The PSI of feature ``f`` from the generator's rows (the SQL's cross-check): NTILE(10)
    groups of the sorted baseline (the first n % 10 one larger), each bin (previous maximum, its
    maximum], the last one open above; categories 0..9 one bin each."""
    base = sorted(f.value(r) for r in recs if not r.later)
    nb, nc = len(base), sum(1 for r in recs if r.later)
    cb, cc = [0] * 10, [0] * 10
    hi = []
    if f.numeric:
        end = 0
        for g in range(10):
            end += nb // 10 + (1 if g < nb % 10 else 0)
            hi.append(base[end - 1])
    for r in recs:
        v = f.value(r)
        if f.numeric:
            b = 9
            for g in range(10):
                if (g == 0 or v > hi[g - 1]) and v <= hi[g]:
                    b = g
                    break
            if v <= hi[0]:
                b = 0
        else:
            b = int(v)
        (cc if r.later else cb)[b] += 1
    psi = 0.0
    for g in range(10):
        if not f.numeric and not cb[g] and not cc[g]:
            continue  # a category neither window has is no bin
        e, a = _share(cb[g], nb), _share(cc[g], nc)
        psi += (a - e) * math.log(a / e)
    return psi


def psi_sql(f, base, infer):
    """The PSI of a feature in SQL: the statement of monitoring.c."""
    c = f.name
    if f.numeric:
        return ("WITH b AS (SELECT CAST({c} AS DOUBLE) AS v FROM {base}), "
                "c AS (SELECT CAST({c} AS DOUBLE) AS v FROM {infer}), "
                "deciles AS (SELECT v, NTILE(10) OVER (ORDER BY v) AS bin FROM b), "
                "edges AS (SELECT bin, max(v) AS hi FROM deciles GROUP BY bin), "
                "bins AS (SELECT bin, hi, LAG(hi) OVER (ORDER BY bin) AS lo FROM edges), "
                "bn AS (SELECT bins.bin, count(b.v) AS n FROM bins LEFT JOIN b "
                "ON (bins.lo IS NULL OR b.v > bins.lo) AND (bins.bin = 10 OR b.v <= bins.hi) GROUP BY bins.bin), "
                "cn AS (SELECT bins.bin, count(c.v) AS n FROM bins LEFT JOIN c "
                "ON (bins.lo IS NULL OR c.v > bins.lo) AND (bins.bin = 10 OR c.v <= bins.hi) GROUP BY bins.bin), "
                "shares AS (SELECT greatest(CAST(bn.n AS DOUBLE) / (SELECT count(*) FROM b), {eps}) AS e, "
                "greatest(CAST(cn.n AS DOUBLE) / (SELECT count(*) FROM c), {eps}) AS a "
                "FROM bn JOIN cn ON bn.bin = cn.bin) "
                "SELECT sum((a - e) * ln(a / e)) AS population_stability_index FROM shares"
                ).format(c=c, base=base, infer=infer, eps=EPSILON)
    return ("WITH b AS (SELECT CAST({c} AS STRING) AS k FROM {base}), "
            "c AS (SELECT CAST({c} AS STRING) AS k FROM {infer}), "
            "cats AS (SELECT k FROM b UNION SELECT k FROM c), "
            "bn AS (SELECT k, count(*) AS n FROM b GROUP BY k), "
            "cn AS (SELECT k, count(*) AS n FROM c GROUP BY k), "
            "shares AS (SELECT greatest(CAST(coalesce(bn.n, 0) AS DOUBLE) / (SELECT count(*) FROM b), {eps}) AS e, "
            "greatest(CAST(coalesce(cn.n, 0) AS DOUBLE) / (SELECT count(*) FROM c), {eps}) AS a "
            "FROM cats LEFT JOIN bn ON bn.k = cats.k LEFT JOIN cn ON cn.k = cats.k) "
            "SELECT sum((a - e) * ln(a / e)) AS population_stability_index FROM shares"
            ).format(c=c, base=base, infer=infer, eps=EPSILON)


def main():
    try:
        nrows = env_int("DBX_MIGRATION_ROWS", 4000, 200, 1000000)
        seed = env_int("DBX_MIGRATION_SEED", 13, 0, 2**63 - 1)
        append_batch = env_int("DBX_MIGRATION_APPEND_BATCH", 0, 0, 2**31 - 1)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    return run_program("monitoring_py", "Migration 5 (Python): monitoring, drift (PSI) and accuracy by day",
                       "dbx-migration-monitoring-py/1.0", env("DBX_MIGRATION_ENDPOINT", "fraud-monitoring-migration-py"),
                       run, nrows, seed, append_batch)


def run(p, nrows, seed, append_batch):
    rep = p.rep
    base = "%s.%s.monitoring_baseline_py" % (p.catalog, p.schema)
    infer = "%s.%s.monitoring_inference_py" % (p.catalog, p.schema)
    actuals = "%s.%s.monitoring_actuals_py" % (p.catalog, p.schema)
    model = mmodel.Model()

    # 1. data: the training period as is, the later period shifted
    with rep.step("generate transactions (later days shifted)") as s:
        csv_path = os.path.join(p.out_dir, "monitoring_py_transactions.csv")
        mmodel.generate(csv_path, nrows, seed, customers=max(nrows // 10, 50), terminals=max(nrows // 5, 100),
                        days=DAYS, start_epoch=START_EPOCH)
        recs = make_records(csv_path)[:nrows]
        n_base = sum(1 for r in recs if not r.later)
        later = [r for r in recs if r.later]
        n_late = sum(1 for r in later if r.actual == 2)
        n_on_time = sum(1 for r in later if r.actual == 1)
        s.ok = n_base > 0 and len(later) > 0
        s.detail = ("%d baseline rows (days 1-%d), %d later rows (days %d-%d: amounts x1.8, 3/4 moved to regions "
                    "R0-R2), seed %d" % (n_base, BASELINE_DAYS, len(later), BASELINE_DAYS + 1, DAYS, seed))

    with rep.step("SQL warehouse, schema and tables") as s:
        p.pick_warehouse()
        p.create_schema()
        ddl = ((base, "transaction_id BIGINT, tx_datetime TIMESTAMP, tx_amount DOUBLE, tx_during_weekend INT, "
                      "tx_during_night INT, tx_seconds_of_day INT, terminal_region STRING, tx_fraud INT"),
               (infer, "request_id STRING, request_time TIMESTAMP, transaction_id BIGINT, tx_amount DOUBLE, "
                       "tx_during_weekend INT, tx_during_night INT, tx_seconds_of_day INT, terminal_region STRING, "
                       "prediction DOUBLE, model_version STRING"),
               (actuals, "request_id STRING, label INT, arrived_at TIMESTAMP"))
        for table, columns in ddl:
            p.sql("DROP TABLE IF EXISTS %s" % table)
            p.delta.create_table(table, columns, comment="libdbx migration program 5 (monitoring, Python)")
        s.detail = "warehouse %s; %s, %s, %s" % (p.wh, base, infer, actuals)

    def append(table, rows, columns, timestamps, what):
        rows = list(rows)
        written = p.delta.append(table, rows, columns, types={c: "TIMESTAMP" for c in timestamps},
                                 batch_rows=append_batch)
        if written != len(rows):
            raise RuntimeError("%s: %d rows written of %d" % (what, written, len(rows)))
        return written

    feat_cols = ["tx_amount", "tx_during_weekend", "tx_during_night", "tx_seconds_of_day", "terminal_region"]
    with rep.step("baseline: the training data") as s:
        append(base, ((r.id, mmodel.utc(r.epoch_s)) + feature_columns(r) + (r.label,) for r in recs if not r.later),
               ["transaction_id", "tx_datetime"] + feat_cols + ["tx_fraud"], ["tx_datetime"], "append the baseline")
        s.detail = "%d rows appended to %s" % (n_base, base)

    # 2. the model and its endpoint
    name = "%s.%s.fraud_monitoring_py" % (p.catalog, p.schema)
    with rep.step("register the model") as s:
        d = model.write(os.path.join(p.out_dir, "monitoring_py_model"))
        version = model.register(p.client, name, d, "libdbx migration program 5 (Python): fixed logistic model")
        s.detail = "%s version %d" % (name, version)
    with rep.step("create the serving endpoint and wait for READY") as s:
        entity = "monitored-%d" % version
        ep, _ = p.serve_one(name, version, entity)
        s.ok = ep.ready == "READY"
        s.detail = "%s %s, serving %s" % (p.endpoint, ep.ready, entity)
    if not s.ok:
        return

    # 3. score the later period and log the inference records
    with rep.step("score the later period, append the inference records") as s:
        res = p.client.serving.query_batch(p.endpoint, [list(r.x) for r in later], list(mmodel.FEATURE_NAMES),
                                           max_rows_per_request=500, timeout=120)
        preds = res.predictions or []
        if len(preds) != len(later):
            raise RuntimeError("%d predictions for %d rows" % (len(preds), len(later)))
        max_diff = 0.0
        mv = "%s/%d" % (name, version)
        for r, v in zip(later, preds):
            r.prediction = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else math.nan
            d = abs(r.prediction - model.predict(r.x))
            if not d <= max_diff:
                max_diff = d
        append(infer, (("req-%08d" % r.id, mmodel.utc(r.epoch_s), r.id) + feature_columns(r) +
                       (None if math.isnan(r.prediction) else r.prediction, mv) for r in later),
               ["request_id", "request_time", "transaction_id"] + feat_cols + ["prediction", "model_version"],
               ["request_time"], "append the inference records")
        s.ok = max_diff <= 1e-6
        s.detail = "%d predictions logged to %s, max |served - Python model| %.3g" % (len(later), infer, max_diff)
    rep.check("max |served prediction - Python model|", max_diff, "<=", 1e-6, "")

    # 4. actuals: on time, then the late ones in a second load
    with rep.step("actuals: on time, then late") as s:
        labelled = []
        for fate in (1, 2):
            append(actuals, (("req-%08d" % r.id, r.label, mmodel.utc(r.arrived_s)) for r in recs if r.actual == fate),
                   ["request_id", "label", "arrived_at"], ["arrived_at"],
                   "append the on-time actuals" if fate == 1 else "append the late actuals")
            labelled.append(p.sql_int("SELECT count(*) FROM %s i JOIN %s a ON a.request_id = i.request_id"
                                      % (infer, actuals)))
        late_sql = p.sql_int("SELECT count(*) FROM %s a JOIN %s i ON a.request_id = i.request_id "
                             "WHERE unix_timestamp(a.arrived_at) - unix_timestamp(i.request_time) > %d"
                             % (actuals, infer, LATE_S))
        orphans = p.sql_int("SELECT count(*) FROM %s a LEFT JOIN %s i ON a.request_id = i.request_id "
                            "WHERE i.request_id IS NULL" % (actuals, infer))
        s.detail = ("%d on time, %d late (> 2 days), %d never arrived; predictions with an actual: %d before the "
                    "late load, %d after" % (n_on_time, n_late, len(later) - n_on_time - n_late, labelled[0],
                                             labelled[1]))
    rep.check("late actuals counted in SQL = sent", late_sql, "==", n_late, "rows")
    rep.check("labelled predictions added by the late load", labelled[1] - labelled[0], "==", n_late, "rows")
    rep.check("actuals without a prediction", orphans, "==", 0, "rows")

    # 5. drift: PSI per feature
    psi = {}
    with rep.step("drift: population stability index per feature (SQL)") as s:
        max_sql_py = 0.0
        for f in FEATURES:
            v = None
            for row in p.sql_rows(psi_sql(f, base, infer)):
                v = row[0]
            v = math.nan if v is None else float(v)
            vp = psi_in_python(recs, f)
            psi[f.name] = v
            d = abs(v - vp)
            if not d <= max_sql_py:
                max_sql_py = d
            rep.drift("population stability index", PSI_FLAG, f.name, v)
            if f.shifted:
                rep.check("PSI %s (shifted) flagged" % f.name, v, ">", PSI_FLAG, "")
            else:
                rep.check("PSI %s (unshifted) stable" % f.name, v, "<", PSI_STABLE, "")
            print("PSI %-20s SQL %.6f  Python %.6f" % (f.name, v, vp))
        s.detail = "%s (bins: baseline deciles / categories, epsilon %s)" % (
            ", ".join("%s %.4f" % (k, v) for k, v in psi.items()), EPSILON)
    rep.check("max |PSI in SQL - PSI in Python|", max_sql_py, "<=", 1e-9, "")

    # 5b. the same drift from a Lakehouse quality monitor on the inference table
    if env("DBX_MIGRATION_QUALITY_MONITOR", "1") != "0":
        quality_monitor(p, base, infer, psi)
    else:
        for check in ("monitor PSI tx_amount (shifted) flagged", "|monitor PSI terminal_region - ours| (same bins)"):
            rep.skip(check, "DBX_MIGRATION_QUALITY_MONITOR=0: no Lakehouse quality monitor in this run")

    # 6. accuracy by day
    with rep.step("accuracy, precision and recall at 0.5 by day (SQL)") as s:
        days = {}
        for r in later:
            if not r.actual:
                continue
            d = days.setdefault(mmodel.utc(r.epoch_s)[:10], [0, 0, 0])  # n, correct, late
            d[0] += 1
            d[1] += (r.prediction >= 0.5) == (r.label == 1)
            d[2] += r.actual == 2
        stmt = ("SELECT CAST(to_date(i.request_time) AS STRING) AS day, count(*) AS n, "
                "avg(CASE WHEN (i.prediction >= 0.5 AND a.label = 1) OR (i.prediction < 0.5 AND a.label = 0) "
                "THEN 1.0 ELSE 0.0 END) AS accuracy, "
                "try_divide(sum(CASE WHEN i.prediction >= 0.5 AND a.label = 1 THEN 1 ELSE 0 END), "
                "sum(CASE WHEN i.prediction >= 0.5 THEN 1 ELSE 0 END)) AS precision_at_05, "
                "try_divide(sum(CASE WHEN i.prediction >= 0.5 AND a.label = 1 THEN 1 ELSE 0 END), sum(a.label)) "
                "AS recall_at_05, "
                "sum(CASE WHEN unix_timestamp(a.arrived_at) - unix_timestamp(i.request_time) > %d THEN 1 ELSE 0 END) "
                "AS late FROM %s i JOIN %s a ON a.request_id = i.request_id "
                "GROUP BY CAST(to_date(i.request_time) AS STRING) ORDER BY day" % (LATE_S, infer, actuals))
        windows = matched = late_windows = 0
        max_acc_diff = 0.0
        acc_detail = []
        for row in p.sql_rows(stmt):
            day, cnt, acc, prec, rec, late = row
            acc = math.nan if acc is None else float(acc)
            windows += 1
            late_windows += int(late)
            mine = days.get(day)
            if mine is not None:
                d = abs(acc - mine[1] / mine[0])
                if not d <= max_acc_diff:
                    max_acc_diff = d
                matched += int(cnt) == mine[0] and int(late) == mine[2]
            acc_detail.append("%s %.3f" % (day, acc))
            print("%s  n %4d  accuracy %.4f  precision@0.5 %s  recall@0.5 %s  late actuals %d"
                  % (day, cnt, acc, "%.4f" % prec if prec is not None else "nan",
                     "%.4f" % rec if rec is not None else "nan", late))
        days_with_actuals = p.sql_int("SELECT count(DISTINCT CAST(to_date(i.request_time) AS STRING)) FROM %s i "
                                      "JOIN %s a ON a.request_id = i.request_id" % (infer, actuals))
        s.detail = ("%d daily windows, %d agree with Python (rows and late actuals), max |accuracy SQL - Python| "
                    "%.3g; accuracy %s" % (windows, matched, max_acc_diff, ", ".join(acc_detail)))
    rep.check("accuracy windows = days with actuals", windows, "==", days_with_actuals, "days")
    rep.check("days with actuals = later days", days_with_actuals, "==", DAYS - BASELINE_DAYS, "days")
    rep.check("windows whose rows and late actuals agree with Python", matched, "==", len(days), "days")
    rep.check("max |accuracy in SQL - in Python|", max_acc_diff, "<=", 1e-9, "")
    rep.check("late actuals in the windows = sent", late_windows, "==", n_late, "rows")


def quality_monitor(p, base, infer, psi):
    """A quality monitor (inference log, weekly windows, the training data as its baseline) on
    the inference table: its BASELINE drift row's population_stability_index for the shifted
    numeric feature (its bins: interpolated baseline deciles, so near ours, not equal) and the
    shifted categorical one (the same bins and epsilon as ours: equal)."""
    rep, m = p.rep, p.client.monitors
    with rep.step("Lakehouse quality monitor on the inference table") as s:
        try:
            m.delete(infer)
        except libdbx.NotFound:
            pass
        assets = "/Shared/libdbx-migration/monitoring-py"
        p.client.workspace.mkdirs(assets)
        # the prediction is a probability: profiled as a number (regression)
        m.create(infer, assets_dir=assets, output_schema_name="%s.%s" % (p.catalog, p.schema),
                 inference_log={"problem_type": "REGRESSION", "timestamp_col": "request_time",
                                "prediction_col": "prediction", "model_id_col": "model_version",
                                "granularities": ["1 week"]},
                 baseline_table_name=base, warehouse_id=p.wh, skip_builtin_dashboard=True)
        m.wait_active(infer, timeout=3600)
        refresh = m.run_refresh(infer)
        m.wait_refresh(infer, refresh, timeout=3600)
        mon = {}
        for col in ("tx_amount", "terminal_region"):
            rows = m.drift(infer, p.wh, column=col, granularity="1 week", drift_type="BASELINE", model_id="*")
            # the later period is one week (2026-01-08 is a Thursday: weeks start then)
            v = rows[-1].population_stability_index if rows else None
            mon[col] = math.nan if v is None else v
        m.delete(infer)
        s.detail = ("refresh %s: population_stability_index tx_amount %.6f (ours %.6f), terminal_region %.6f "
                    "(ours %.6f); monitor deleted, its metric tables kept"
                    % (refresh.refresh_id, mon["tx_amount"], psi["tx_amount"], mon["terminal_region"],
                       psi["terminal_region"]))
    rep.check("monitor PSI tx_amount (shifted) flagged", mon["tx_amount"], ">", PSI_FLAG, "")
    rep.check("|monitor PSI terminal_region - ours| (same bins)", abs(mon["terminal_region"] - psi["terminal_region"]),
              "<=", 1e-6, "")


if __name__ == "__main__":
    sys.exit(main())
