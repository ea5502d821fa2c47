"""Migration program 3 in Python: batch scoring into a predictions Delta table.

The Python twin of batch_scoring.c (the firm's nightly batch scoring job is Python), through the
libdbx Python binding: same steps, same tables, same checks and thresholds. On DataRobot the job
sends a table of transactions to a batch prediction job and writes the scores back next to the
rows. On Databricks: the transactions as a Delta table, the model's serving endpoint scored in
chunks (``client.serving.query_batch``: predictions in input order), the predictions appended to
a Delta table with the rows' identifying columns passed through.

This program generates N transactions (the project's gen_transactions CLI: the same rows as the
C program for the same seed), lands them with COPY INTO (``client.delta.load_file``), registers
the fixed logistic model of mmodel.py and serves it, reads the rows back with SQL (features
computed in SQL), scores them in chunks, appends <catalog>.<schema>.transaction_predictions_py
(transaction_id, customer_id, terminal_id, tx_amount, tx_datetime, prediction, model_version,
scored_at) with ``client.delta.append``, and reconciles in SQL: equal row counts, every
transaction_id once (anti-joins both ways empty), passthrough columns equal to the source (join
and compare), no NULL prediction, and every stored prediction equal to the model computed in
Python (mmodel.py, equal to mmodel.c's) on the generator's own transactions within 1e-6.

Its tables and endpoint are its own (suffix _py / -py), so it runs beside the C program against
one workspace.

Result: <out>/batch_scoring_py.json and .html. Exit code 0 only when every check passed.

Configuration: the workspace and credentials as for every libdbx program, and
  DBX_MIGRATION_CATALOG / DBX_MIGRATION_SCHEMA  (default main / fraud_migration)
  DBX_MIGRATION_WAREHOUSE  SQL warehouse id (default: the first one listed)
  DBX_MIGRATION_ENDPOINT   endpoint name (default "fraud-batch-scoring-migration-py";
                           a leftover one of that name is deleted first)
  DBX_MIGRATION_REUSE_ENDPOINT=1  score with the existing endpoint DBX_MIGRATION_ENDPOINT
                           (which must serve the same fixed model) instead of creating one
  DBX_MIGRATION_ROWS       transactions (default 2000); DBX_MIGRATION_SEED (11)
  DBX_MIGRATION_CHUNK      rows per scoring request (default 500)
  DBX_MIGRATION_APPEND_BATCH  rows per INSERT of client.delta.append (default 0: the library's, 500)
  DBX_MIGRATION_KEEP=1     keep the endpoint at the end (default: deleted)
  DBX_MIGRATION_OUT        directory of the results (default "migration-results")
  DBX_GEN_TRANSACTIONS     the gen_transactions CLI (default: <LIBDBX_PATH's dir>/examples/gen_transactions)
"""

import datetime
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcommon import env, env_int, now_ms, run_program  # noqa: E402
import libdbx  # noqa: E402  (mcommon puts the binding on the path)
import mmodel  # noqa: E402

TOLERANCE = 1e-6


def main():
    try:
        reuse = env("DBX_MIGRATION_REUSE_ENDPOINT", "0") == "1"
        nrows = env_int("DBX_MIGRATION_ROWS", 2000, 1, 10000000)
        seed = env_int("DBX_MIGRATION_SEED", 11, 0, 2**63 - 1)
        chunk = env_int("DBX_MIGRATION_CHUNK", 500, 1, 2**31 - 1)
        append_batch = env_int("DBX_MIGRATION_APPEND_BATCH", 0, 0, 2**31 - 1)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    return run_program("batch_scoring_py", "Migration 3 (Python): batch scoring into a predictions Delta table",
                       "dbx-migration-batch-scoring-py/1.0",
                       env("DBX_MIGRATION_ENDPOINT", "fraud-batch-scoring-migration-py"),
                       run, reuse, nrows, seed, chunk, append_batch)


def run(p, reuse, nrows, seed, chunk, append_batch):
    rep = p.rep
    src = "%s.%s.transactions_to_score_py" % (p.catalog, p.schema)
    dst = "%s.%s.transaction_predictions_py" % (p.catalog, p.schema)
    model = mmodel.Model()

    # 1. data, and the old platform's side: the model computed in Python on the generator's rows
    with rep.step("generate transactions (gen_transactions)") as s:
        csv_path = os.path.join(p.out_dir, "transactions_to_score_py.csv")
        customers = min(nrows // 10, 1000000) if nrows // 10 > 50 else 50
        terminals = min(nrows // 5, 1000000) if nrows // 5 > 100 else 100
        mmodel.generate(csv_path, nrows, seed, customers=customers, terminals=terminals)
        ref = {t.id: model.predict(mmodel.tx_features(t)) for t in mmodel.read_transactions(csv_path)}
        s.ok = len(ref) == nrows
        s.detail = "%d rows, seed %d, %s" % (len(ref), seed, csv_path)

    with rep.step("SQL warehouse, schema and landing volume") as s:
        p.pick_warehouse()
        p.create_schema()
        try:
            p.client.catalog.volumes.create(p.catalog, p.schema, "landing", "MANAGED")
        except libdbx.AlreadyExists:
            pass
        s.detail = "warehouse %s, %s.%s, volume landing" % (p.wh, p.catalog, p.schema)

    # 2. the table to score, typed, landed with COPY INTO
    with rep.step("land the transactions as a Delta table") as s:
        p.sql("DROP TABLE IF EXISTS %s" % src)
        loaded = p.create_and_load_csv(
            src, "transaction_id BIGINT, tx_datetime TIMESTAMP, customer_id STRING, terminal_id STRING, "
                 "tx_amount DOUBLE, tx_fraud INT, tx_fraud_scenario INT",
            "transactions to score (libdbx migration program 3, Python)", csv_path,
            "/Volumes/%s/%s/landing/transactions_to_score_py" % (p.catalog, p.schema))
        s.ok = loaded == nrows
        s.detail = "%d rows loaded into %s" % (loaded, src)
    rep.check("landed rows = generated rows", loaded, "==", nrows, "rows")

    # 3. the model and its endpoint
    version = 0
    if reuse:
        with rep.step("reuse the serving endpoint") as s:
            ep = p.client.serving.get(p.endpoint)
            s.ok = ep.ready == "READY"
            s.detail = "%s %s" % (p.endpoint, ep.ready)
        if ep.ready != "READY":
            return
    else:
        name = "%s.%s.fraud_batch_scoring_py" % (p.catalog, p.schema)
        with rep.step("register the model") as s:
            d = model.write(os.path.join(p.out_dir, "batch_scoring_py_model"))
            version = model.register(p.client, name, d, "libdbx migration program 3 (Python): fixed logistic model")
            s.detail = "%s version %d" % (name, version)
        with rep.step("create the serving endpoint and wait for READY") as s:
            entity = "batch-%d" % version
            ep, ms = p.serve_one(name, version, entity)
            s.ok = ep.ready == "READY"
            s.detail = "%s %s, serving %s in %.1f s" % (p.endpoint, ep.ready, entity, ms / 1000.0)
        if not s.ok:
            return

    # 4. read the rows back, features computed in SQL
    with rep.step("read the rows back with SQL") as s:
        rows = list(p.sql_rows(
            "SELECT transaction_id, CAST(tx_datetime AS STRING) AS tx_datetime, customer_id, terminal_id, tx_amount, "
            "CASE WHEN ((CAST(unix_timestamp(tx_datetime) / 86400 AS BIGINT) + 4) % 7) IN (0, 6) THEN 1 ELSE 0 END, "
            "CASE WHEN hour(tx_datetime) < 6 THEN 1 ELSE 0 END FROM " + src + " ORDER BY transaction_id"))[:nrows]
        s.ok = len(rows) == nrows
        s.detail = "%d rows from %s" % (len(rows), src)
    n = len(rows)

    # 5. score in chunks, predictions in input order
    with rep.step("score with client.serving.query_batch") as s:
        x = [[float(r[4]), float(r[5]), float(r[6])] for r in rows]
        b0 = now_ms()
        res = p.client.serving.query_batch(p.endpoint, x, list(mmodel.FEATURE_NAMES), max_rows_per_request=chunk,
                                           max_parallel=4, timeout=120)
        batch_ms = now_ms() - b0
        preds = res.predictions or []
        numbers = sum(1 for v in preds if isinstance(v, (int, float)) and not isinstance(v, bool))
        s.ok = len(preds) == n and numbers == n
        s.detail = ("%d predictions (%d numbers) in %.0f ms, %d requests of <= %d rows, served by %s"
                    % (len(preds), numbers, batch_ms, (n + chunk - 1) // chunk, chunk, res.served_model_name or "?"))
    rep.check("predictions returned = rows", len(preds), "==", n, "rows")

    # 6. append the predictions
    with rep.step("append to transaction_predictions_py (client.delta.append)") as s:
        p.sql("DROP TABLE IF EXISTS %s" % dst)
        p.delta.create_table(dst, "transaction_id BIGINT, customer_id STRING, terminal_id STRING, tx_amount DOUBLE, "
                                  "tx_datetime TIMESTAMP, prediction DOUBLE, model_version STRING, scored_at TIMESTAMP",
                             comment="fraud scores of transactions_to_score_py (libdbx migration program 3, Python)")
        scored_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        if reuse:
            model_version = res.served_model_name or p.endpoint
        else:
            model_version = "%s.%s.fraud_batch_scoring_py/%d" % (p.catalog, p.schema, version)

        def prediction_rows():
            for r, v in zip(rows, preds):
                number = isinstance(v, (int, float)) and not isinstance(v, bool)
                yield (r[0], r[2], r[3], float(r[4]), r[1], float(v) if number else None, model_version, scored_at)

        a0 = now_ms()
        written = p.delta.append(dst, prediction_rows(),
                                 ["transaction_id", "customer_id", "terminal_id", "tx_amount", "tx_datetime",
                                  "prediction", "model_version", "scored_at"],
                                 types={"tx_datetime": "TIMESTAMP", "scored_at": "TIMESTAMP"},
                                 batch_rows=append_batch)
        s.ok = written == n
        s.detail = "%d rows appended to %s in %.0f ms (model %s)" % (written, dst, now_ms() - a0, model_version)

    # 7. reconcile in SQL
    with rep.step("reconcile with SQL") as s:
        c_src = p.sql_int("SELECT count(*) FROM %s" % src)
        c_dst = p.sql_int("SELECT count(*) FROM %s" % dst)
        dup = p.sql_int("SELECT count(*) FROM (SELECT transaction_id FROM %s GROUP BY transaction_id "
                        "HAVING count(*) > 1) d" % dst)
        missing = p.sql_int("SELECT count(*) FROM %s s LEFT JOIN %s p ON s.transaction_id = p.transaction_id "
                            "WHERE p.transaction_id IS NULL" % (src, dst))
        extra = p.sql_int("SELECT count(*) FROM %s p LEFT JOIN %s s ON s.transaction_id = p.transaction_id "
                          "WHERE s.transaction_id IS NULL" % (dst, src))
        differ = p.sql_int("SELECT count(*) FROM %s s JOIN %s p ON s.transaction_id = p.transaction_id WHERE NOT ("
                           "s.customer_id <=> p.customer_id AND s.terminal_id <=> p.terminal_id AND "
                           "s.tx_amount <=> p.tx_amount AND s.tx_datetime <=> p.tx_datetime)" % (src, dst))
        nulls = p.sql_int("SELECT count(*) FROM %s WHERE prediction IS NULL OR model_version IS NULL" % dst)
        # the stored predictions against the model computed in Python on the generator's rows
        max_diff, old_v, new_v = 0.0, [], []
        for tid, pred in p.sql_rows("SELECT transaction_id, prediction FROM %s ORDER BY transaction_id" % dst):
            want = ref.get(tid)
            got = math.nan if pred is None else float(pred)
            d = abs(got - want) if want is not None else math.inf
            if not d <= max_diff:
                max_diff = d
            if want is not None and len(old_v) < n:
                old_v.append(want)
                new_v.append(got)
        rep.parity(TOLERANCE, old_v, new_v)
        s.detail = ("source %d, predictions %d, duplicates %d, missing %d, extra %d, passthrough differences %d, "
                    "NULL predictions %d, max |table - Python model| %.3g"
                    % (c_src, c_dst, dup, missing, extra, differ, nulls, max_diff))
    rep.check("prediction rows = source rows", c_dst, "==", c_src, "rows")
    rep.check("transaction_ids scored more than once", dup, "==", 0, "ids")
    rep.check("source rows without a prediction (anti-join)", missing, "==", 0, "rows")
    rep.check("predictions without a source row (anti-join)", extra, "==", 0, "rows")
    rep.check("passthrough columns differing from the source", differ, "==", 0, "rows")
    rep.check("NULL predictions", nulls, "==", 0, "rows")
    rep.check("predictions compared with the Python model", len(old_v), "==", nrows, "rows")
    rep.check("max |stored prediction - Python model|", max_diff, "<=", TOLERANCE, "")
    print("batch scoring (Python): %d rows, %.0f ms scoring (%.0f rows/s), max |diff| %.3g"
          % (n, batch_ms, n / (batch_ms / 1000.0) if batch_ms > 0 else 0.0, max_diff))


if __name__ == "__main__":
    sys.exit(main())
