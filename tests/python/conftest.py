import os

import psycopg
import pytest

from pgcluster import Cluster


# The bad-input campaign's summary line (test_fuzz.py), repeated at the end of the run.
FUZZ_SUMMARY = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    summary = config.stash.get(FUZZ_SUMMARY, None)
    if summary:
        terminalreporter.write_line(summary)


@pytest.fixture(scope="session")
def dsn():
    value = os.environ.get("QUIVER_DSN")
    if not value:
        pytest.fail("QUIVER_DSN is not set: run these tests through `make test`")
    with psycopg.connect(value, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS quiver")
    return value


@pytest.fixture
def conn(dsn):
    from pgvector.psycopg import register_vector

    with psycopg.connect(dsn, autocommit=True) as c:
        register_vector(c)
        yield c


def fresh_databases(dsn, names):
    """A generator for fixtures: creates the databases `names` (dropping leftovers first),
    yields {name: conninfo}, and drops them afterwards."""
    from psycopg.conninfo import make_conninfo

    def drop_all():
        with psycopg.connect(dsn, autocommit=True) as conn:
            for db in names:
                conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")

    drop_all()
    with psycopg.connect(dsn, autocommit=True) as conn:
        for db in names:
            conn.execute(f"CREATE DATABASE {db}")
    yield {db: make_conninfo(dsn, dbname=db) for db in names}
    drop_all()


@pytest.fixture
def clusters():
    """Factory for scratch clusters; all of them are stopped when the test ends, pass or fail."""
    made = []

    def make(port):
        c = Cluster(port)
        made.append(c)
        return c

    yield make
    for c in reversed(made):
        try:
            c.stop()
        except Exception as e:  # keep stopping the others
            print(f"could not stop cluster on port {c.port}: {e}")


def progress_then_cancel(conn, dsn, sql, params, progress_sql, reached, timeout=20):
    """Runs `sql` in another session, polls `progress_sql` (one row) on `conn` until
    `reached(row)` or `timeout` seconds, then cancels the statement. Returns (the last row
    polled, the SQLSTATE the statement ended with)."""
    import threading
    import time

    result = {}
    started = threading.Event()

    def run():
        with psycopg.connect(dsn, autocommit=True) as c:
            result["pid"] = c.info.backend_pid
            started.set()
            try:
                c.execute(sql, params)
            except psycopg.Error as e:
                result["error"] = e.sqlstate

    t = threading.Thread(target=run)
    t.start()
    started.wait(timeout)
    seen = None
    try:
        deadline = time.time() + timeout
        while time.time() < deadline:
            seen = conn.execute(progress_sql).fetchone()
            if seen and reached(seen):
                break
            time.sleep(0.05)
    finally:
        if "pid" in result:
            conn.execute("SELECT pg_cancel_backend(%s)", (result["pid"],))
        t.join(30)
    return seen, result.get("error")
