"""Concurrent writers of the same primary keys through the collection API.

A collection's table is partitioned and its key constraint is (pk, partition column), so the
database alone does not keep a key unique across partitions: upsert (replace by key) and
insert's duplicate-key check serialise on advisory locks. Each test starts N sessions at a
barrier, each in its own transaction held open for a moment after the call, so that without
the locks they would interleave."""
import json
import threading

import psycopg
import pytest

from conftest import fresh_databases

SESSIONS = 8
DB = "quiver_coll_concurrency"


@pytest.fixture
def dbs(dsn):
    yield from fresh_databases(dsn, (DB,))


@pytest.fixture
def db(dbs):
    with psycopg.connect(dbs[DB], autocommit=True) as conn:
        conn.execute("CREATE EXTENSION quiver")
    return dbs[DB]


def run_sessions(conninfo, work, n=SESSIONS):
    """Runs work(conn, i) in n sessions started together, each in one transaction that stays
    open 0.2 s after the work; returns per session None or the exception raised."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def session(i):
        try:
            with psycopg.connect(conninfo) as conn:
                barrier.wait(timeout=30)
                with conn.transaction():
                    work(conn, i)
                    conn.execute("SELECT pg_sleep(0.2)")
        except Exception as e:  # noqa: BLE001 - reported to the test
            results[i] = e

    threads = [threading.Thread(target=session, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def rows_per_key(conninfo, table):
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return dict(conn.execute(f"SELECT pk::text, count(*) FROM {table} GROUP BY pk").fetchall())


SCHEMA = {"fields": [
    {"name": "pk", "type": "INT64", "is_primary": True},
    {"name": "emb", "type": "FLOAT_VECTOR", "dim": 2},
    {"name": "who", "type": "INT64"},
]}


def make_collection(conninfo, partitions=0, partition_key=False):
    schema = json.loads(json.dumps(SCHEMA))
    if partition_key:
        schema["fields"].append({"name": "tenant", "type": "INT64", "is_partition_key": True})
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT quiver.create_collection('c', schema => %s, metric_type => 'l2', num_partitions => 4)",
                     (json.dumps(schema),))
        for p in range(partitions):
            conn.execute("SELECT quiver.create_partition('c', %s)", (f"p{p}",))


def test_concurrent_upserts_of_new_keys(db):
    """Every session upserts the same 20 new keys (each into its own partition): no session
    fails and every key ends up in exactly one row, the last writer's."""
    make_collection(db, partitions=SESSIONS)
    keys = list(range(1, 21))

    def work(conn, i):
        rows = [{"pk": k, "emb": [k, i], "who": i} for k in keys]
        conn.execute("SELECT quiver.upsert('c', %s, partition_name => %s)", (json.dumps(rows), f"p{i}"))

    errors = run_sessions(db, work)
    assert errors == [None] * SESSIONS
    assert rows_per_key(db, "c") == {str(k): 1 for k in keys}
    with psycopg.connect(db, autocommit=True) as conn:
        # one session's rows, whole: the batches did not interleave
        assert conn.execute("SELECT count(DISTINCT who), count(DISTINCT \"$partition\") FROM c").fetchone() == (1, 1)


def test_concurrent_upserts_in_one_partition(db):
    """The same key upserted into the same partition by every session: no unique violation."""
    make_collection(db)

    def work(conn, i):
        conn.execute("SELECT quiver.upsert('c', %s)", (json.dumps([{"pk": 7, "emb": [0, i], "who": i}]),))

    assert run_sessions(db, work) == [None] * SESSIONS
    assert rows_per_key(db, "c") == {"7": 1}


def test_concurrent_upserts_with_a_partition_key(db):
    """Sessions upsert key 5 with different partition-key values (so into different hash
    partitions): one row remains."""
    make_collection(db, partition_key=True)

    def work(conn, i):
        conn.execute("SELECT quiver.upsert('c', %s)", (json.dumps([{"pk": 5, "emb": [0, i], "who": i, "tenant": i}]),))

    assert run_sessions(db, work) == [None] * SESSIONS
    assert rows_per_key(db, "c") == {"5": 1}


def test_concurrent_large_upserts(db):
    """Batches above the per-key lock limit lock the collection: 300 shared keys, no error."""
    make_collection(db, partitions=4)
    keys = list(range(300))

    def work(conn, i):
        rows = [{"pk": k, "emb": [k, i], "who": i} for k in keys]
        conn.execute("SELECT quiver.upsert('c', %s, partition_name => %s)", (json.dumps(rows), f"p{i % 4}"))

    assert run_sessions(db, work, n=4) == [None] * 4
    counts = rows_per_key(db, "c")
    assert len(counts) == 300 and set(counts.values()) == {1}


def test_concurrent_inserts_of_one_key(db):
    """Every session inserts key 42 (each into its own partition): exactly one succeeds, the
    others fail with unique_violation (23505), and one row remains."""
    make_collection(db, partitions=SESSIONS)

    def work(conn, i):
        conn.execute("SELECT quiver.insert('c', %s, partition_name => %s)",
                     (json.dumps([{"pk": 42, "emb": [1, i], "who": i}]), f"p{i}"))

    results = run_sessions(db, work)
    succeeded = [r for r in results if r is None]
    failed = [r for r in results if r is not None]
    assert len(succeeded) == 1, results
    assert all(isinstance(e, psycopg.errors.UniqueViolation) for e in failed), failed
    assert all("primary key 42 already exists" in str(e) for e in failed)
    assert rows_per_key(db, "c") == {"42": 1}


def test_insert_after_a_rolled_back_insert(db):
    """A session waiting on a key whose first writer rolls back inserts it."""
    make_collection(db, partitions=2)
    with psycopg.connect(db) as first, psycopg.connect(db, autocommit=True) as second:
        first.execute("SELECT quiver.insert('c', '[{\"pk\": 9, \"emb\": [0, 0], \"who\": 1}]', partition_name => 'p0')")
        done = []
        t = threading.Thread(target=lambda: done.append(second.execute(
            "SELECT quiver.insert('c', '[{\"pk\": 9, \"emb\": [0, 0], \"who\": 2}]', partition_name => 'p1')").fetchone()))
        t.start()
        t.join(timeout=0.5)
        assert t.is_alive(), "the second insert must wait for the first transaction"
        first.rollback()
        t.join(timeout=30)
        assert done and done[0][0]["ids"] == [9]
    assert rows_per_key(db, "c") == {"9": 1}
