"""The ivfflat index in whole PostgreSQL clusters: crash recovery (WAL replay), a streaming
replica that is then promoted (with an UNLOGGED index reset from its init fork), concurrent
writers and readers, and a pg_dump / pg_restore round trip.

Scratch clusters use the same ports as test_hnsw_cluster.py (one test at a time holds them).
"""
import random
import threading
import time

import psycopg

from conftest import fresh_databases
from pgcluster import PG_BIN, PORT_BASE, index_problems, nearest_ids, random_vec, run, wait_until
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from test_hnsw_cluster import insert_until_crash, lsn_caught_up

import pytest

CRASH_PORT, PRIMARY_PORT, REPLICA_PORT = PORT_BASE, PORT_BASE + 1, PORT_BASE + 2


def every_row(conn, table, query):
    """All ids an index scan probing every list returns (each row once, if the index is whole)."""
    conn.execute("SET enable_seqscan = off")
    conn.execute("SET ivfflat.probes = 32768")
    n = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return nearest_ids(conn, table, query, n + 10)


def test_crash_recovery_replays_ivfflat_wal(clusters):
    c = clusters(CRASH_PORT)
    c.init("shared_buffers = 2MB\ncheckpoint_timeout = 30min\nmax_wal_size = 1GB\n")
    c.start()
    with c.connect() as conn:
        conn.execute("CREATE EXTENSION quiver")
        conn.execute("SELECT setseed(0.42)")
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, v vector(16))")
        conn.execute("INSERT INTO t SELECT i, array(SELECT random() * 2 - 1 FROM generate_series(1, 16)"
                     " WHERE i > 0)::vector FROM generate_series(1, 2000) i")
        conn.execute("CREATE INDEX idx ON t USING ivfflat (v vector_l2_ops) WITH (lists = 20)")
        initial = {r[0] for r in conn.execute("SELECT id FROM t")}

    acked, sent, killed = insert_until_crash(c, 1, True)
    c.start()
    assert "automatic recovery in progress" in c.log_text()
    with c.connect() as conn:
        table_ids = {r[0] for r in conn.execute("SELECT id FROM t")}
        assert acked <= table_ids, f"{len(acked - table_ids)} acknowledged rows lost"
        assert table_ids - initial <= set(sent)
        assert index_problems(conn, "idx") == []
        got = every_row(conn, "t", random_vec(random.Random(1), 16))
        assert len(got) == len(table_ids) and set(got) == table_ids
        for i in random.Random(2).sample(sorted(acked), 30):
            assert nearest_ids(conn, "t", sent[i], 1) == [i], f"row {i} not found by its own vector"
        # the recovered index takes inserts and VACUUM
        conn.execute("DELETE FROM t WHERE id % 3 = 0")
        conn.execute("VACUUM t")
        conn.execute("INSERT INTO t VALUES (1, '[9,9,9,9,9,9,9,9,9,9,9,9,9,9,9,9]') ON CONFLICT (id) DO UPDATE SET v = excluded.v")
        assert nearest_ids(conn, "t", "[9,9,9,9,9,9,9,9,9,9,9,9,9,9,9,9]", 1) == [1]
        assert index_problems(conn, "idx") == []
    c.stop()


def test_streaming_replica_and_promotion(clusters):
    primary = clusters(PRIMARY_PORT)
    primary.start_primary()
    replica = clusters(REPLICA_PORT)
    replica.start_as_standby_of(primary)

    rng = random.Random(5)
    with primary.connect() as conn:
        conn.execute("SELECT setseed(0.12)")
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, v vector(16))")
        conn.execute("INSERT INTO t SELECT i, array(SELECT random() * 2 - 1 FROM generate_series(1, 16)"
                     " WHERE i > 0)::vector FROM generate_series(1, 1500) i")
        conn.execute("CREATE INDEX t_idx ON t USING ivfflat (v vector_l2_ops) WITH (lists = 15)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO t VALUES (%s, %s::vector)", [(i, random_vec(rng, 16)) for i in range(1501, 2001)])
        conn.execute("DELETE FROM t WHERE id % 10 = 3")
        conn.execute("VACUUM t")
        # an unlogged table's index reaches the replica as its init fork only
        conn.execute("CREATE UNLOGGED TABLE u (id int PRIMARY KEY, v vector(3072))")
        conn.execute("INSERT INTO u SELECT i, array(SELECT sin(i + d) FROM generate_series(1, 3072) d)::vector"
                     " FROM generate_series(1, 50) i")
        conn.execute("CREATE INDEX u_idx ON u USING ivfflat (v vector_cosine_ops) WITH (lists = 3)")
        lsn = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]

    queries = [random_vec(rng, 16) for _ in range(15)]
    with primary.connect() as pconn, replica.connect() as rconn:
        wait_until(lambda: lsn_caught_up(rconn, lsn), 60, interval=0.2, what=f"replay up to {lsn}")
        assert rconn.execute("SELECT count(*) FROM t").fetchone()[0] == 1800
        assert index_problems(rconn, "t_idx") == []
        for conn in (pconn, rconn):
            conn.execute("SET enable_seqscan = off")
            conn.execute("SET ivfflat.probes = 4")
        plan = "\n".join(r[0] for r in rconn.execute("EXPLAIN SELECT id FROM t ORDER BY v <-> %s::vector LIMIT 10", (queries[0],)))
        assert "Index Scan using t_idx" in plan, plan
        for q in queries:
            on_primary = nearest_ids(pconn, "t", q, 10)
            assert len(on_primary) == 10 and all(i % 10 != 3 for i in on_primary)
            assert nearest_ids(rconn, "t", q, 10) == on_primary
        all_ids = {r[0] for r in rconn.execute("SELECT id FROM t")}
        got = every_row(rconn, "t", queries[1])
        assert len(got) == len(all_ids) and set(got) == all_ids

    # promotion: the unlogged table starts empty from the init fork, and its index works
    run([PG_BIN / "pg_ctl", "-D", replica.datadir, "-w", "-t", "60", "promote"], as_postgres=True)
    with replica.connect() as conn:
        wait_until(lambda: not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0], 60, what="promotion")
        assert conn.execute("SELECT count(*) FROM u").fetchone()[0] == 0
        assert index_problems(conn, "u_idx") == []
        conn.execute("INSERT INTO u SELECT i, array(SELECT cos(i + d) FROM generate_series(1, 3072) d)::vector"
                     " FROM generate_series(1, 20) i")
        conn.execute("SET enable_seqscan = off")
        q = conn.execute("SELECT v::text FROM u WHERE id = 7").fetchone()[0]
        assert nearest_ids(conn, "u", q, 1) == [7]
        assert len(every_row(conn, "u", q)) == 20
        # and the promoted server's logged index takes writes
        conn.execute("INSERT INTO t VALUES (5000, '[7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7]')")
        assert nearest_ids(conn, "t", "[7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7]", 1) == [5000]
        assert index_problems(conn, "t_idx") == []
    # and on the primary after a crash (kill -9 without a checkpoint), the same reset
    primary.kill_all()
    primary.start()
    with primary.connect() as conn:
        assert conn.execute("SELECT count(*) FROM u").fetchone()[0] == 0
        conn.execute("INSERT INTO u SELECT i, array(SELECT cos(i + d) FROM generate_series(1, 3072) d)::vector"
                     " FROM generate_series(1, 10) i")
        assert len(every_row(conn, "u", conn.execute("SELECT v::text FROM u WHERE id = 3").fetchone()[0])) == 10
        assert index_problems(conn, "u_idx") == []
    replica.stop()
    primary.stop()


def test_concurrent_inserts_and_searches(dsn):
    n_seed, n_writers, per_writer, n_readers = 1000, 4, 250, 2
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS conc_ivf")
        conn.execute("CREATE TABLE conc_ivf (id int PRIMARY KEY, v vector(16))")
        conn.execute("SELECT setseed(0.3)")
        conn.execute(f"INSERT INTO conc_ivf SELECT i, array(SELECT random() * 2 - 1 FROM generate_series(1, 16)"
                     f" WHERE i > 0)::vector FROM generate_series(1, {n_seed}) i")
        conn.execute("CREATE INDEX conc_ivf_idx ON conc_ivf USING ivfflat (v vector_l2_ops) WITH (lists = 8)")

    timed = make_conninfo(dsn, connect_timeout=10, options="-c statement_timeout=60000")
    errors, inserted = [], {}
    lock = threading.Lock()
    done = threading.Event()
    searches = [0] * n_readers

    def writer(w):
        rng = random.Random(300 + w)
        try:
            with psycopg.connect(timed, autocommit=True) as wc:
                for k in range(per_writer):
                    i = 100_000 * (w + 1) + k
                    v = random_vec(rng, 16)
                    wc.execute("INSERT INTO conc_ivf VALUES (%s, %s::vector)", (i, v))
                    with lock:
                        inserted[i] = v
        except Exception as e:
            errors.append(("writer", w, repr(e)))

    def reader(r):
        rng = random.Random(700 + r)
        start = time.monotonic()
        try:
            with psycopg.connect(timed, autocommit=True) as rc:
                rc.execute("SET enable_seqscan = off")
                rc.execute("SET ivfflat.probes = 2")
                while time.monotonic() - start < 60 and not (done.is_set() and time.monotonic() - start > 3):
                    q = random_vec(rng, 16)
                    rows = rc.execute("SELECT id, v <-> %s::vector FROM conc_ivf ORDER BY v <-> %s::vector LIMIT 10",
                                      (q, q)).fetchall()
                    assert len(rows) == 10 and len({i for i, _ in rows}) == 10, rows
                    dists = [d for _, d in rows]
                    assert dists == sorted(dists), dists
                    searches[r] += 1
        except Exception as e:
            errors.append(("reader", r, repr(e)))

    ws = [threading.Thread(target=writer, args=(w,), daemon=True) for w in range(n_writers)]
    rs = [threading.Thread(target=reader, args=(r,), daemon=True) for r in range(n_readers)]
    for th in rs + ws:
        th.start()
    for th in ws:
        th.join(90)
    done.set()
    for th in rs:
        th.join(90)
    assert not errors, errors
    assert all(s > 0 for s in searches), searches
    with psycopg.connect(timed, autocommit=True) as conn:
        assert index_problems(conn, "conc_ivf_idx") == []
        ids = {r[0] for r in conn.execute("SELECT id FROM conc_ivf")}
        assert len(ids) == n_seed + n_writers * per_writer
        got = every_row(conn, "conc_ivf", random_vec(random.Random(9), 16))
        assert len(got) == len(ids) and set(got) == ids
        # each inserted row is in the list of its nearest centroid: found by its own vector
        # when only the nearest list is probed
        conn.execute("SET ivfflat.probes = 1")
        for i in random.Random(8).sample(sorted(inserted), 40):
            assert nearest_ids(conn, "conc_ivf", inserted[i], 1) == [i]
        conn.execute("DROP TABLE conc_ivf")


DUMP_DBS = ["quiver_ivf_dump_src", "quiver_ivf_dump_dst"]


@pytest.fixture
def ivf_dump_dbs(dsn):
    yield from fresh_databases(dsn, DUMP_DBS)


def test_pg_dump_restore_round_trip(dsn, ivf_dump_dbs, tmp_path):
    params = conninfo_to_dict(dsn)
    common = ["-h", params.get("host", "127.0.0.1"), "-p", str(params.get("port", "5432")), "-U", params.get("user", "postgres")]
    rng = random.Random(4)
    queries = [random_vec(rng, 12) for _ in range(5)]

    def top10s(conn):
        conn.execute("SET enable_seqscan = off")
        conn.execute("SET ivfflat.probes = 3")
        out = []
        for col, op, typ in (("v", "<->", "vector"), ("h", "<=>", "halfvec")):
            plan = "\n".join(r[0] for r in conn.execute(f"EXPLAIN SELECT id FROM d ORDER BY {col} {op} %s::vector::{typ} LIMIT 10", (queries[0],)))
            assert "Index Scan using" in plan, plan
            out.append([[r[0] for r in conn.execute(f"SELECT id FROM d ORDER BY {col} {op} %s::vector::{typ} LIMIT 10", (q,))] for q in queries])
        return out

    with psycopg.connect(ivf_dump_dbs["quiver_ivf_dump_src"], autocommit=True) as conn:
        conn.execute("CREATE EXTENSION quiver")
        conn.execute("SELECT setseed(0.5)")
        conn.execute("CREATE TABLE d (id int PRIMARY KEY, v vector(12), h halfvec(12))")
        conn.execute("INSERT INTO d (id, v) SELECT i, array(SELECT round((random() * 2 - 1)::numeric, 4)"
                     " FROM generate_series(1, 12) WHERE i > 0)::vector FROM generate_series(1, 800) i")
        conn.execute("UPDATE d SET h = v::halfvec")
        conn.execute("CREATE INDEX d_v_idx ON d USING ivfflat (v vector_l2_ops) WITH (lists = 10)")
        conn.execute("CREATE INDEX d_h_idx ON d USING ivfflat (h halfvec_cosine_ops) WITH (lists = 10)")
        src_defs = conn.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'd' ORDER BY 1").fetchall()
        src_rows = conn.execute("SELECT id, v::text, h::text FROM d ORDER BY id").fetchall()
        src_top = top10s(conn)
    assert any("USING ivfflat (v) WITH (lists='10')" in d for (d,) in src_defs), src_defs
    dump = tmp_path / "ivf.dump"
    run([PG_BIN / "pg_dump", *common, "-d", "quiver_ivf_dump_src", "-Fc", "-f", dump])
    run([PG_BIN / "pg_restore", *common, "-d", "quiver_ivf_dump_dst", "--exit-on-error", "-1", dump])
    with psycopg.connect(ivf_dump_dbs["quiver_ivf_dump_dst"], autocommit=True) as conn:
        assert conn.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'd' ORDER BY 1").fetchall() == src_defs
        assert conn.execute("SELECT id, v::text, h::text FROM d ORDER BY id").fetchall() == src_rows
        assert index_problems(conn, "d_v_idx") == [] and index_problems(conn, "d_h_idx") == []
        # k-means is deterministic for the same rows in the same order: same lists, same answers
        assert top10s(conn) == src_top


def test_build_cancelled_during_kmeans(dsn):
    """A cancel during k-means (worker threads, no PostgreSQL calls) stops the build within
    seconds with 57014 and leaves no index; the same build then succeeds."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS cancel_ivf")
        conn.execute("CREATE TABLE cancel_ivf (id int, v vector(64))")
        conn.execute("SELECT setseed(0.4)")
        conn.execute("INSERT INTO cancel_ivf SELECT i, array(SELECT random() FROM generate_series(1, 64)"
                     " WHERE i > 0)::vector FROM generate_series(1, 150000) i")
    builder = psycopg.connect(dsn, autocommit=True)
    pid = builder.execute("SELECT pg_backend_pid()").fetchone()[0]
    out = {}

    def build():
        try:
            builder.execute("SET maintenance_work_mem = '512MB'")
            builder.execute("CREATE INDEX cancel_ivf_idx ON cancel_ivf USING ivfflat (v) WITH (lists = 3000)")
            out["error"] = None
        except psycopg.Error as e:
            out["error"] = e.sqlstate
        out["done"] = time.monotonic()

    th = threading.Thread(target=build, daemon=True)
    th.start()
    with psycopg.connect(dsn, autocommit=True) as mon:
        def phase():
            r = mon.execute("SELECT phase FROM pg_stat_progress_create_index WHERE pid = %s", (pid,)).fetchone()
            return r[0] if r else None
        wait_until(lambda: phase() == "building index: performing k-means" or not th.is_alive(), 120,
                   what="k-means phase")
        assert th.is_alive(), f"the build ended before k-means could be cancelled: {out}"
        time.sleep(0.5)
        t0 = time.monotonic()
        mon.execute("SELECT pg_cancel_backend(%s)", (pid,))
        th.join(30)
        assert not th.is_alive()
        assert out["error"] == "57014", out
        assert out["done"] - t0 < 5, "the build did not stop within 5 s of the cancel"
        assert mon.execute("SELECT to_regclass('cancel_ivf_idx')").fetchone()[0] is None
    builder.execute("CREATE INDEX cancel_ivf_idx ON cancel_ivf USING ivfflat (v) WITH (lists = 10)")
    assert index_problems(builder, "cancel_ivf_idx") == []
    builder.execute("DROP TABLE cancel_ivf")
    builder.close()
