"""Multi-column hnsw indexes (attribute columns tested inside the index) in a whole cluster:
kill -9 while sessions insert rows with attributes, restart, and check that every filtered
index scan returns exactly the rows a sequential scan does, in the walk and the exact pass
(and the same for a multi-column ivfflat index);
a streaming replica (after inserts, VACUUM, REINDEX and ALTER INDEX on the primary) answers
the same, and once promoted an UNLOGGED table's multi-column index starts empty and works.

Runs its own throw-away clusters on PORT_BASE (default 55315) and the next port, stopped by
the fixture.
"""
import random
import threading

import psycopg
import pytest

from pgcluster import PG_BIN, PORT_BASE, random_vec, run, wait_until
from test_hnsw_cluster import lsn_caught_up

WRITERS = 3
TENANTS = 20


def row(rng, i):
    return (i, random_vec(rng, 8), i % TENANTS, [i % 3, 10 + i % 7], f"c{i % 5}")


def filtered_ids(conn, pred, params, q):
    return [r[0] for r in conn.execute(
        f"SELECT id FROM t WHERE {pred} ORDER BY v <-> %s::vector, id", (*params, q))]


def check_filters(conn, q, key_runs=False):
    """Every filter: the index scan (forced; walk, exact pass and auto) returns the seq scan's rows
    (with `key_runs`, an hnsw index: the exact pass for a condition on a later column reads its
    key run)."""
    filters = [("tenant = %s", (3,)), ("tenant < %s AND cat = %s", (5, "c2")),
               ("labels && %s::int[]", ([12],)), ("labels @> %s::int[] AND tenant >= %s", ([1, 15], 10))]
    conn.execute("SET enable_indexscan = off")
    expected = [set(filtered_ids(conn, p, a, q)) for p, a in filters]
    conn.execute("RESET enable_indexscan")
    conn.execute("SET enable_seqscan = off")
    conn.execute("SET enable_bitmapscan = off")
    conn.execute("SET hnsw.ef_search = 1000")
    for mode in ("walk", "exact", "auto"):
        conn.execute(f"SET quiver.filtered_scan = {mode}")
        for (p, a), exp in zip(filters, expected):
            plan = "\n".join(r[0] for r in conn.execute(
                f"EXPLAIN SELECT id FROM t WHERE {p} ORDER BY v <-> %s::vector LIMIT 10", (*a, q)))
            assert "Index Cond" in plan, plan
            got = [r[0] for r in conn.execute(
                f"SELECT id FROM t WHERE {p} ORDER BY v <-> %s::vector", (*a, q))]
            assert len(got) == len(set(got)), f"{mode} {p}: a row twice"
            assert set(got) == exp, f"{mode} {p}: {len(set(got) ^ exp)} rows differ of {len(exp)}"
    if key_runs:
        conn.execute("SET quiver.filtered_scan = exact")
        lines = [r[0] for r in conn.execute("SELECT * FROM quiver.explain_scan(%s)", (
            f"SELECT id FROM t WHERE labels && '{{12}}' ORDER BY v <-> '{q}' LIMIT 10",))]
        assert any("(key run of index column 3)" in line for line in lines), lines
    for s in ("enable_seqscan", "enable_bitmapscan", "hnsw.ef_search", "quiver.filtered_scan"):
        conn.execute(f"RESET {s}")


@pytest.mark.parametrize("method", ["hnsw WITH (m = 8)", "ivfflat WITH (lists = 10)"])
def test_crash_recovery_of_a_multi_column_index(clusters, method):
    c = clusters(PORT_BASE)
    c.init("shared_buffers = 2MB\ncheckpoint_timeout = 30min\nmax_wal_size = 1GB\n")
    c.start()
    rng = random.Random(7)
    with c.connect() as conn:
        conn.execute("CREATE EXTENSION quiver")
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, v vector(8), tenant int, labels int[], cat text)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO t VALUES (%s, %s::vector, %s, %s, %s)", [row(rng, i) for i in range(1, 3001)])
        am, options = method.split(" ", 1)
        conn.execute(f"CREATE INDEX idx ON t USING {am} (v vector_l2_ops, tenant, labels, cat) {options}")

    stop = threading.Event()
    acked = [[] for _ in range(WRITERS)]
    errors = [[] for _ in range(WRITERS)]

    def writer(w):
        wrng = random.Random(100 + w)
        next_id = 1_000_000 * (w + 1)
        try:
            with c.connect(autocommit=False) as wc:
                while not stop.is_set():
                    batch = [row(wrng, next_id + k) for k in range(5)]
                    next_id += 5
                    with wc.cursor() as cur:
                        cur.executemany("INSERT INTO t VALUES (%s, %s::vector, %s, %s, %s)", batch)
                    wc.commit()
                    acked[w].extend(r[0] for r in batch)
        except psycopg.Error as e:  # expected once the server is killed
            errors[w].append(e)

    threads = [threading.Thread(target=writer, args=(w,), daemon=True) for w in range(WRITERS)]
    for th in threads:
        th.start()
    try:
        wait_until(lambda: sum(map(len, acked)) >= 300, 30, what="300 acknowledged inserts")
        with c.connect() as conn:
            conn.execute("CHECKPOINT")
        base = sum(map(len, acked))
        wait_until(lambda: sum(map(len, acked)) >= base + 600, 30, what="600 more inserts")
        c.kill_all()
    finally:
        stop.set()
        for th in threads:
            th.join(30)
    assert all(errors), "every writer should have lost its connection"

    c.start()
    with c.connect() as conn:
        ids = {r[0] for r in conn.execute("SELECT id FROM t")}
        missing = {i for a in acked for i in a} - ids
        assert not missing, f"{len(missing)} acknowledged rows lost"
        for q in (random_vec(rng, 8), random_vec(rng, 8)):
            check_filters(conn, q, key_runs=am == "hnsw")
        assert conn.execute("SELECT count(*) FROM quiver.index_check('idx')").fetchone()[0] == 0
        # after VACUUM of deleted rows and more inserts, still exact
        conn.execute("DELETE FROM t WHERE id % 4 = 0")
        conn.execute("VACUUM t")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO t VALUES (%s, %s::vector, %s, %s, %s)", [row(rng, i) for i in range(5001, 5301)])
        check_filters(conn, random_vec(rng, 8), key_runs=am == "hnsw")
        assert conn.execute("SELECT count(*) FROM quiver.index_check('idx')").fetchone()[0] == 0
    c.stop()


def test_replica_and_promotion_with_a_multi_column_index(clusters):
    primary = clusters(PORT_BASE)
    primary.start_primary()
    replica = clusters(PORT_BASE + 1)
    replica.start_as_standby_of(primary)
    rng = random.Random(11)
    with primary.connect() as conn:
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, v vector(8), tenant int, labels int[], cat text)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO t VALUES (%s, %s::vector, %s, %s, %s)", [row(rng, i) for i in range(1, 2001)])
        conn.execute("CREATE INDEX idx ON t USING hnsw (v vector_l2_ops, tenant, labels, cat) WITH (m = 8)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO t VALUES (%s, %s::vector, %s, %s, %s)", [row(rng, i) for i in range(2001, 2601)])
        # VACUUM prunes the attribute directory and frees nodes; REINDEX and ALTER INDEX keep
        # the attribute columns
        conn.execute("DELETE FROM t WHERE id % 5 = 1")
        conn.execute("VACUUM t")
        conn.execute("REINDEX INDEX idx")
        conn.execute("ALTER INDEX idx RENAME TO idx2")
        conn.execute("ALTER INDEX idx2 SET (ef_construction = 80)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO t VALUES (%s, %s::vector, %s, %s, %s)", [row(rng, i) for i in range(3001, 3201)])
        conn.execute("CREATE UNLOGGED TABLE u (id int PRIMARY KEY, v vector(8), tenant int, labels int[], cat text)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO u VALUES (%s, %s::vector, %s, %s, %s)", [row(rng, i) for i in range(1, 301)])
        conn.execute("CREATE INDEX u_idx ON u USING hnsw (v vector_l2_ops, tenant, labels, cat)")
        # a collection, searched on the standby below
        conn.execute("SELECT quiver.create_collection('rc', dimension => 3, auto_id => true)")
        conn.execute("""SELECT quiver.insert('rc', '[{"vector": [1, 0, 0], "tag": "a"}, {"vector": [0, 1, 0], "tag": "b"}]')""")
        lsn = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    with replica.connect() as rconn:
        wait_until(lambda: lsn_caught_up(rconn, lsn), 60, interval=0.2, what=f"replay up to {lsn}")
        assert rconn.execute("SELECT count(*) FROM t").fetchone()[0] == 2600 - 520 + 200
        assert rconn.execute("SELECT indnatts FROM pg_index WHERE indexrelid = 'idx2'::regclass").fetchone()[0] == 4
        for q in (random_vec(rng, 8), random_vec(rng, 8)):
            check_filters(rconn, q, key_runs=True)
        assert rconn.execute("SELECT count(*) FROM quiver.index_check('idx2')").fetchone()[0] == 0
        # the collection API reads on a standby (it takes no transaction id)
        got = rconn.execute("""SELECT entity->>'tag' FROM quiver.search('rc', '[0, 1, 0]', filter => 'tag == "b"', output_fields => '{tag}')""").fetchall()
        assert [r[0] for r in got] == ["b"], got
        assert rconn.execute("SELECT count(*) FROM quiver.query('rc', filter => 'id > 0')").fetchone()[0] == 2

    # promotion: the unlogged table starts empty from its init fork; its index takes rows
    run([PG_BIN / "pg_ctl", "-D", replica.datadir, "-w", "-t", "60", "promote"], as_postgres=True)
    with replica.connect() as conn:
        wait_until(lambda: not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0], 60, what="promotion")
        assert conn.execute("SELECT count(*) FROM u").fetchone()[0] == 0
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO u VALUES (%s, %s::vector, %s, %s, %s)", [row(rng, i) for i in range(1, 201)])
        conn.execute("SET enable_seqscan = off")
        conn.execute("SET enable_bitmapscan = off")
        for mode in ("walk", "exact"):
            conn.execute(f"SET quiver.filtered_scan = {mode}")
            got = [r[0] for r in conn.execute("SELECT id FROM u WHERE tenant = 4 ORDER BY v <-> %s::vector", (random_vec(rng, 8),))]
            assert sorted(got) == [i for i in range(1, 201) if i % TENANTS == 4], mode
        assert conn.execute("SELECT count(*) FROM quiver.index_check('u_idx')").fetchone()[0] == 0
        # the promoted server's logged index takes writes
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO t VALUES (%s, %s::vector, %s, %s, %s)", [row(rng, i) for i in range(4001, 4101)])
        check_filters(conn, random_vec(rng, 8))
    replica.stop()
    primary.stop()
