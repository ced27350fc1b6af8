"""Multi-column hnsw indexes (attribute columns tested inside the index) in a whole cluster:
kill -9 while sessions insert rows with attributes, restart, and check that every filtered
index scan returns exactly the rows a sequential scan does, in the walk and the exact pass.

Runs its own throw-away cluster on PORT_BASE (default 55315), stopped by the fixture.
"""
import random
import threading

import psycopg

from pgcluster import PORT_BASE, random_vec, wait_until

WRITERS = 3
TENANTS = 20


def row(rng, i):
    return (i, random_vec(rng, 8), i % TENANTS, [i % 3, 10 + i % 7], f"c{i % 5}")


def filtered_ids(conn, pred, params, q):
    return [r[0] for r in conn.execute(
        f"SELECT id FROM t WHERE {pred} ORDER BY v <-> %s::vector, id", (*params, q))]


def check_filters(conn, q):
    """Every filter: the index scan (forced; walk, exact pass and auto) returns the seq scan's rows."""
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
    for s in ("enable_seqscan", "enable_bitmapscan", "hnsw.ef_search", "quiver.filtered_scan"):
        conn.execute(f"RESET {s}")


def test_crash_recovery_of_a_multi_column_index(clusters):
    c = clusters(PORT_BASE)
    c.init("shared_buffers = 2MB\ncheckpoint_timeout = 30min\nmax_wal_size = 1GB\n")
    c.start()
    rng = random.Random(7)
    with c.connect() as conn:
        conn.execute("CREATE EXTENSION quiver")
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, v vector(8), tenant int, labels int[], cat text)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO t VALUES (%s, %s::vector, %s, %s, %s)", [row(rng, i) for i in range(1, 3001)])
        conn.execute("CREATE INDEX idx ON t USING hnsw (v vector_l2_ops, tenant, labels, cat) WITH (m = 8)")

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
            check_filters(conn, q)
        assert conn.execute("SELECT count(*) FROM quiver.index_check('idx')").fetchone()[0] == 0
        # after VACUUM of deleted rows and more inserts, still exact
        conn.execute("DELETE FROM t WHERE id % 4 = 0")
        conn.execute("VACUUM t")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO t VALUES (%s, %s::vector, %s, %s, %s)", [row(rng, i) for i in range(5001, 5301)])
        check_filters(conn, random_vec(rng, 8))
        assert conn.execute("SELECT count(*) FROM quiver.index_check('idx')").fetchone()[0] == 0
    c.stop()
