"""The machinery the Python migration programs share (the twin of mcommon.{h,c}).

A program is a :class:`Program` used as a context manager: it owns the client, the report
(mreport.py) and the results directory; its methods run SQL on the program's warehouse, pick
and start the warehouse, land a CSV as a Delta table and serve a one-model endpoint. When the
block ends, the endpoint the program created is deleted (unless DBX_MIGRATION_KEEP=1), the
result JSON and HTML are written, and :attr:`Program.exit_code` says how the run went (0 only
when every step and check passed). An exception in the block fails the open step with its text
(libdbx errors carry the server's message and request id) and is not propagated::

    with Program("batch_scoring_py", "Migration 3 (Python)", product="...") as p:
        with p.rep.step("SQL warehouse"):
            p.pick_warehouse()
    sys.exit(p.exit_code)

Same environment as the C programs: DATABRICKS_* for the workspace (resolved by libdbx),
DBX_MIGRATION_CATALOG / _SCHEMA / _WAREHOUSE / _OUT / _KEEP. Not thread-safe.
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))
sys.path.insert(0, HERE)
import libdbx  # noqa: E402
from mreport import Report  # noqa: E402


def env(name, default):
    """The environment variable when set and not empty, else default."""
    v = os.environ.get(name)
    return v if v else default


def env_int(name, default, lo, hi):
    """An integer environment variable within lo..hi (ValueError naming it otherwise)."""
    text = env(name, str(default))
    try:
        v = int(text)
    except ValueError:
        raise ValueError("%s must be an integer, not %r" % (name, text)) from None
    if not lo <= v <= hi:
        raise ValueError("%s must be %d..%d" % (name, lo, hi))
    return v


def now_ms():
    return time.monotonic() * 1e3


def run_program(program, title, product, endpoint, body, *args):
    """body(p, *args) as one Program run; returns the exit code (2 when no client can be configured,
    as the C programs)."""
    try:
        p = Program(program, title, product=product, endpoint=endpoint)
    except libdbx.DatabricksError as exc:
        print("cannot configure a client: %s" % exc, file=sys.stderr)
        return 2
    with p:
        body(p, *args)
    return p.exit_code


class Program:
    """One migration program's run (see the module's doc)."""

    def __init__(self, program, title, *, product, endpoint=None):
        self.program = program
        self.catalog = env("DBX_MIGRATION_CATALOG", "main")
        self.schema = env("DBX_MIGRATION_SCHEMA", "fraud_migration")
        self.out_dir = os.path.abspath(env("DBX_MIGRATION_OUT", "migration-results"))
        os.makedirs(self.out_dir, exist_ok=True)
        self.endpoint = endpoint
        self.endpoint_created = False
        self.wh = None
        self.rep = Report(program, title)
        self.client = libdbx.Client(product=product)
        self.rep.set_workspace(self.client.host)
        self.exit_code = 1

    # ---- life cycle -------------------------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is not None:
            if self.rep.cur is not None:
                self.rep.end(False, self._why(exc))
            elif isinstance(exc, Exception) and exc is not self.rep.failure:
                self.rep.begin("(after the last step)")
                self.rep.end(False, self._why(exc))
            print("FAILED: %s" % self._why(exc), file=sys.stderr)
        try:
            if self.endpoint_created and env("DBX_MIGRATION_KEEP", "0") != "1":
                try:
                    self.client.serving.delete(self.endpoint)
                except libdbx.DatabricksError as e:
                    print("could not delete endpoint %s: %s" % (self.endpoint, e), file=sys.stderr)
            written = self.rep.write(self.out_dir)
        finally:
            self.client.close()
        self.exit_code = 0 if written and self.rep.passed and exc is None else 1
        return isinstance(exc, Exception)  # a failed run is reported, not re-raised

    @staticmethod
    def _why(exc):
        text = "%s: %s" % (type(exc).__name__, exc)
        rid = getattr(exc, "request_id", None)
        return text + (", request %s" % rid if rid else "")

    # ---- SQL ----------------------------------------------------------------------------------
    def sql(self, text):
        """Run one statement on the warehouse in catalog/schema and wait for it (up to 30
        minutes: the warehouse may be starting); the SUCCEEDED statement. A failure prints the
        statement's error and raises."""
        try:
            return self.client.sql.execute(self.wh, text, catalog=self.catalog, schema=self.schema,
                                           wait_timeout=30, timeout=30 * 60)
        except libdbx.OperationFailed as exc:
            last = getattr(exc, "last", None)
            if last is not None and getattr(last, "error_message", None):
                print("statement failed: %s" % last.error_message, file=sys.stderr)
            raise

    def sql_rows(self, text):
        """The rows of a statement, lazily (Row tuples, also readable by column name)."""
        return self.sql(text).rows()

    def sql_int(self, text):
        """The first column of the first row as an int (-1 when NULL or no row)."""
        for row in self.sql_rows(text):
            return -1 if row[0] is None else int(row[0])
        return -1

    def pick_warehouse(self):
        """DBX_MIGRATION_WAREHOUSE, else the first warehouse listed; started and waited for
        until running (up to 20 minutes). Sets and returns :attr:`wh`."""
        wh = env("DBX_MIGRATION_WAREHOUSE", "")
        if not wh:
            first = next(iter(self.client.warehouses.list()), None)
            if first is None:
                raise RuntimeError("no SQL warehouse in the workspace (set DBX_MIGRATION_WAREHOUSE)")
            wh = first.id
        self.client.warehouses.start(wh)
        self.client.warehouses.wait_running(wh, timeout=20 * 60)
        self.wh = wh
        return wh

    def create_schema(self):
        try:
            self.client.catalog.schemas.create(self.catalog, self.schema)
        except libdbx.AlreadyExists:
            pass

    @property
    def delta(self):
        """client.delta on the program's warehouse (30 minutes per statement)."""
        return self.client.delta.using(self.wh, timeout=30 * 60)

    def create_and_load_csv(self, table, columns, comment, csv_path, volume_dir):
        """Create the Delta table (columns as SQL text) and COPY INTO it the CSV (with a header
        line) staged under the volume directory. Returns the rows loaded (-1: not said)."""
        self.delta.create_table(table, columns, comment=comment)
        return int(self.delta.load_file(table, csv_path, volume_dir, format_options={"header": "true"}))

    # ---- the serving endpoint -----------------------------------------------------------------
    def serve_one(self, model, version, entity):
        """Delete a leftover endpoint of that name, create it serving ``entity`` (model
        version, workload Small, no scale to zero) at 100 %, tagged migrated_from=datarobot and
        program=<program>, and wait (up to 45 minutes) until ready. A workspace may take a
        moment to release a just-deleted name: create is retried every 5 s, 24 times at most.
        Returns (the ready Endpoint, ms from the create to ready)."""
        s = self.client.serving
        try:
            s.delete(self.endpoint)
            leftover = True
        except libdbx.NotFound:
            leftover = False
        t0 = now_ms()
        for attempt in range(25):
            try:
                s.create(self.endpoint,
                         entities=[{"entity_name": model, "entity_version": version, "name": entity,
                                    "workload_size": "Small", "scale_to_zero_enabled": False}],
                         routes={entity: 100}, tags={"migrated_from": "datarobot", "program": self.program})
                break
            except libdbx.AlreadyExists:
                if not leftover or attempt == 24:
                    raise
                time.sleep(5)
        self.endpoint_created = True
        ep = s.wait_ready(self.endpoint, timeout=45 * 60)
        return ep, now_ms() - t0
