"""The hnsw index in whole PostgreSQL clusters: crash recovery (WAL replay), a streaming replica,
concurrent writers and readers, and pg_dump / pg_restore round trips.

The crash and replica tests run their own throw-away clusters (ports PORT_BASE to PORT_BASE + 2, default 55315-55317, data under
target/pgdata-<port>), started and stopped here; a fixture finalizer stops them even when a test
fails. When run as root, the server programs run as the `postgres` user. The concurrency and
dump tests use the shared test cluster (QUIVER_DSN).
"""
import random
import threading
import time

import psycopg
import pytest

from conftest import fresh_databases
from pgcluster import PG_BIN, PORT_BASE, index_problems, nearest_ids, random_vec, run, vec_text, wait_until
from psycopg.conninfo import conninfo_to_dict, make_conninfo

CRASH_PORT, PRIMARY_PORT, REPLICA_PORT = PORT_BASE, PORT_BASE + 1, PORT_BASE + 2


# --------------------------------------------------------------------------------------------
# 1. crash recovery


WRITERS = 4
ROWS_PER_TXN = 5


def insert_until_crash(c, round_no, checkpoint_midway):
    """Writers insert rows in small committed transactions until the cluster is killed -9.
    Returns (ids acknowledged as committed, {id: vector} of every row sent, killed pids)."""
    stop = threading.Event()
    acked = [[] for _ in range(WRITERS)]      # committed, acknowledged to the client
    attempted = [{} for _ in range(WRITERS)]  # id -> vector text of everything sent
    errors = [[] for _ in range(WRITERS)]

    def writer(w):
        rng = random.Random(1000 * round_no + w)
        next_id = 10_000_000 * round_no + 1_000_000 * (w + 1)
        try:
            with c.connect(autocommit=False) as wc:
                while not stop.is_set():
                    batch = []
                    for _ in range(ROWS_PER_TXN):
                        batch.append((next_id, random_vec(rng, 16)))
                        next_id += 1
                    for i, v in batch:
                        attempted[w][i] = v
                    with wc.cursor() as cur:
                        cur.executemany("INSERT INTO t VALUES (%s, %s::vector)", batch)
                    wc.commit()
                    acked[w].extend(i for i, _ in batch)
        except psycopg.Error as e:  # expected once the server is killed
            errors[w].append(e)

    def total_acked():
        return sum(len(a) for a in acked)

    def running():
        return all(t.is_alive() for t in threads)

    threads = [threading.Thread(target=writer, args=(w,), daemon=True) for w in range(WRITERS)]
    for th in threads:
        th.start()
    try:
        wait_until(lambda: total_acked() >= 500 or not running(), 30, what="500 acknowledged inserts")
        if checkpoint_midway:
            with c.connect() as conn:
                conn.execute("CHECKPOINT")  # replay starts here: full-page images of index pages
        base = total_acked()
        wait_until(lambda: total_acked() >= base + 800 or not running(), 30, what="800 more inserts")
        assert running(), f"a writer stopped before the crash: {errors}"
        killed = c.kill_all()
    finally:
        stop.set()
        for th in threads:
            th.join(30)
    assert not any(th.is_alive() for th in threads)
    assert all(errors), "every writer should have lost its connection"
    assert len(killed) >= 1 + WRITERS, f"expected postmaster + backends, killed {sorted(killed)}"
    return {i for a in acked for i in a}, {i: v for a in attempted for i, v in a.items()}, killed


def check_recovered(c, initial_ids, acked_ids, sent):
    with c.connect() as conn:
        table_ids = {r[0] for r in conn.execute("SELECT id FROM t")}
        missing = acked_ids - table_ids
        assert not missing, f"{len(missing)} acknowledged rows lost, e.g. {sorted(missing)[:10]}"
        assert table_ids - initial_ids <= set(sent), "rows that were never inserted"

        conn.execute("SET enable_seqscan = off")
        conn.execute("SET hnsw.ef_search = 1000")
        plan = "\n".join(r[0] for r in conn.execute(
            "EXPLAIN SELECT id FROM t ORDER BY v <-> %s::vector LIMIT 1", (sent[min(acked_ids)],)))
        assert "Index Scan using idx" in plan, plan
        for i in random.Random(len(acked_ids)).sample(sorted(acked_ids), 30):
            assert conn.execute("SELECT v = %s::vector FROM t WHERE id = %s", (sent[i], i)).fetchone()[0]
            assert nearest_ids(conn, "t", sent[i], 1) == [i], f"row {i} not found by its own vector"

        # an iterative scan over everything returns each row exactly once: the index holds all rows
        conn.execute("SET hnsw.iterative_scan = relaxed_order")
        conn.execute("SET hnsw.max_scan_tuples = 1000000")
        n = len(table_ids)
        got = nearest_ids(conn, "t", random_vec(random.Random(n), 16), n)
        assert len(got) == n and set(got) == table_ids, (len(got), n, len(table_ids - set(got)))

        # last, so that a failure here means every check above passed: the structure is intact
        problems = conn.execute("SELECT * FROM quiver.index_check('idx')").fetchall()
        assert problems == [], f"index_check after crash recovery: {problems}"
        # an insert cut short by the crash may have left its (never committed) node without
        # incoming links; VACUUM marks it deleted, after which every live node is reachable
        conn.execute("VACUUM t")
        problems = conn.execute("SELECT * FROM quiver.index_check('idx', reachability => true)").fetchall()
        assert problems == [], f"index_check after crash recovery and VACUUM: {problems}"


def test_crash_recovery_replays_index_wal(clusters):
    c = clusters(CRASH_PORT)
    # small shared_buffers: index pages are evicted and written mid-run, so recovery starts from
    # a disk state that mixes flushed and unflushed pages
    c.init("shared_buffers = 2MB\ncheckpoint_timeout = 30min\nmax_wal_size = 1GB\n")
    c.start()
    with c.connect() as conn:
        conn.execute("CREATE EXTENSION quiver")
        conn.execute("SELECT setseed(0.42)")
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, v vector(16))")
        conn.execute("INSERT INTO t SELECT i, array(SELECT random() * 2 - 1 FROM generate_series(1, 16)"
                     " WHERE i > 0)::vector FROM generate_series(1, 2000) i")
        conn.execute("CREATE INDEX idx ON t USING hnsw (v vector_l2_ops)")
        initial_ids = {r[0] for r in conn.execute("SELECT id FROM t")}
    assert len(initial_ids) == 2000

    acked_ids, sent = set(), {}
    # round 1: the index build and the first inserts are in WAL before a mid-run checkpoint;
    # round 2: a second crash right after recovery's end-of-recovery checkpoint
    for round_no, checkpoint_midway in ((1, True), (2, False)):
        acked, attempted, killed = insert_until_crash(c, round_no, checkpoint_midway)
        acked_ids |= acked
        sent.update(attempted)
        log_size = c.logfile.stat().st_size
        c.start()
        log = c.log_text()[log_size:]
        assert "not properly shut down; automatic recovery in progress" in log, log[-3000:]
        assert "redo starts at" in log, log[-3000:]
        print(f"crash round {round_no}: killed {len(killed)} processes, {len(acked)} rows acknowledged, "
              f"{len(attempted)} sent")
        check_recovered(c, initial_ids, acked_ids, sent)

    with c.connect() as conn:
        # the recovered index accepts inserts and still finds them
        conn.execute("INSERT INTO t VALUES (1, '[9,9,9,9,9,9,9,9,9,9,9,9,9,9,9,9]') ON CONFLICT (id) DO UPDATE"
                     " SET v = excluded.v")
        conn.execute("SET enable_seqscan = off")
        assert nearest_ids(conn, "t", "[9,9,9,9,9,9,9,9,9,9,9,9,9,9,9,9]", 1) == [1]
        assert conn.execute("SELECT count(*) FROM quiver.index_check('idx', reachability => true)").fetchone()[0] == 0
    c.stop()


# --------------------------------------------------------------------------------------------
# 2. streaming replica


def lsn_caught_up(replica_conn, lsn):
    row = replica_conn.execute(
        "SELECT pg_last_wal_replay_lsn() IS NOT NULL AND pg_wal_lsn_diff(pg_last_wal_replay_lsn(), %s) >= 0",
        (lsn,)).fetchone()
    return row[0]


def test_streaming_replica_replays_index(clusters):
    primary = clusters(PRIMARY_PORT)
    primary.init()
    hba = (primary.datadir / "pg_hba.conf").read_text()
    if not any(line.split()[:4] == ["host", "replication", "all", "127.0.0.1/32"]
               for line in hba.splitlines() if not line.startswith("#")):
        with open(primary.datadir / "pg_hba.conf", "a") as f:
            f.write("host replication all 127.0.0.1/32 trust\n")
    primary.start()
    with primary.connect() as conn:
        assert conn.execute("SHOW wal_level").fetchone()[0] == "replica"
        conn.execute("CREATE EXTENSION quiver")
        conn.execute("SELECT setseed(0.11)")
        conn.execute("CREATE TABLE pre (id int PRIMARY KEY, v vector(8))")
        conn.execute("INSERT INTO pre SELECT i, array(SELECT random() FROM generate_series(1, 8) WHERE i > 0)"
                     "::vector FROM generate_series(1, 300) i")
        conn.execute("CREATE INDEX pre_idx ON pre USING hnsw (v)")

    # base backup (the pre-existing index travels in the copied files)
    replica = clusters(REPLICA_PORT)
    replica.start_as_standby_of(primary)

    # everything about table t reaches the replica through WAL only: build, inserts, vacuum
    rng = random.Random(21)
    with primary.connect() as conn:
        conn.execute("SELECT setseed(0.12)")
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, v vector(16))")
        conn.execute("INSERT INTO t SELECT i, array(SELECT random() * 2 - 1 FROM generate_series(1, 16)"
                     " WHERE i > 0)::vector FROM generate_series(1, 1500) i")
        conn.execute("CREATE INDEX t_idx ON t USING hnsw (v vector_l2_ops) WITH (m = 12, ef_construction = 48)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO t VALUES (%s, %s::vector)",
                            [(i, random_vec(rng, 16)) for i in range(1501, 2001)])
        conn.execute("DELETE FROM t WHERE id % 10 = 3")
        conn.execute("VACUUM t")
        conn.execute("INSERT INTO pre SELECT i, array(SELECT random() FROM generate_series(1, 8) WHERE i > 0)"
                     "::vector FROM generate_series(301, 400) i")
        lsn = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        primary_count = conn.execute("SELECT count(*) FROM t").fetchone()[0]

    queries = [random_vec(rng, 16) for _ in range(20)]
    pre_queries = [vec_text(rng.random() for _ in range(8)) for _ in range(5)]
    with primary.connect() as pconn, replica.connect() as rconn:
        assert rconn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
        wait_until(lambda: lsn_caught_up(rconn, lsn), 60, interval=0.2, what=f"replay up to {lsn}")
        assert rconn.execute("SELECT count(*) FROM t").fetchone()[0] == primary_count == 1800
        assert index_problems(rconn, "t_idx") == []
        assert index_problems(rconn, "pre_idx") == []
        for c in (pconn, rconn):
            c.execute("SET enable_seqscan = off")
        plan = "\n".join(r[0] for r in rconn.execute(
            "EXPLAIN SELECT id FROM t ORDER BY v <-> %s::vector LIMIT 10", (queries[0],)))
        assert "Index Scan using t_idx" in plan, plan
        for q in queries:
            on_primary = nearest_ids(pconn, "t", q, 10)
            assert len(on_primary) == 10 and all(i % 10 != 3 for i in on_primary)
            assert nearest_ids(rconn, "t", q, 10) == on_primary
        for q in pre_queries:
            on_primary = nearest_ids(pconn, "pre", q, 10)
            assert len(on_primary) == 10
            assert nearest_ids(rconn, "pre", q, 10) == on_primary
        # a full iterative scan on the replica reaches every row
        rconn.execute("SET hnsw.iterative_scan = relaxed_order")
        rconn.execute("SET hnsw.max_scan_tuples = 1000000")
        all_ids = {r[0] for r in rconn.execute("SELECT id FROM t")}
        got = nearest_ids(rconn, "t", queries[1], 5000)
        assert len(got) == len(all_ids) and set(got) == all_ids
    replica.stop()
    primary.stop()


# --------------------------------------------------------------------------------------------
# 3. concurrent writers and readers


def test_concurrent_inserts_and_searches(dsn):
    n_seed, n_writers, per_writer, n_readers = 500, 4, 300, 2
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS conc_hnsw")
        conn.execute("CREATE TABLE conc_hnsw (id int PRIMARY KEY, v vector(16))")
        conn.execute("SELECT setseed(0.3)")
        conn.execute(f"INSERT INTO conc_hnsw SELECT i, array(SELECT random() * 2 - 1 FROM generate_series(1, 16)"
                     f" WHERE i > 0)::vector FROM generate_series(1, {n_seed}) i")
        conn.execute("CREATE INDEX conc_hnsw_idx ON conc_hnsw USING hnsw (v vector_l2_ops)")

    timed = make_conninfo(dsn, connect_timeout=10, options="-c statement_timeout=60000")
    errors, inserted, searches = [], {}, [0] * n_readers
    lock = threading.Lock()
    writers_done = threading.Event()

    def writer(w):
        rng = random.Random(300 + w)
        try:
            with psycopg.connect(timed, autocommit=True) as wc:
                for k in range(per_writer):
                    i = 100_000 * (w + 1) + k
                    v = random_vec(rng, 16)
                    if k % 3 == 0:  # mix autocommit inserts and small transactions
                        wc.execute("INSERT INTO conc_hnsw VALUES (%s, %s::vector)", (i, v))
                    else:
                        with wc.transaction():
                            wc.execute("INSERT INTO conc_hnsw VALUES (%s, %s::vector)", (i, v))
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
                while time.monotonic() - start < 60 and not (writers_done.is_set() and time.monotonic() - start > 3):
                    q = random_vec(rng, 16)
                    rows = rc.execute("SELECT id, v <-> %s::vector FROM conc_hnsw ORDER BY v <-> %s::vector LIMIT 10",
                                      (q, q)).fetchall()
                    assert len(rows) == 10, rows
                    assert len({i for i, _ in rows}) == 10, rows
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
    writers_done.set()
    for th in rs:
        th.join(90)
    assert not any(th.is_alive() for th in ws + rs), "threads still running"
    assert not errors, errors
    assert len(inserted) == n_writers * per_writer
    assert all(s > 0 for s in searches), searches

    with psycopg.connect(timed, autocommit=True) as conn:
        assert index_problems(conn, "conc_hnsw_idx") == []
        assert conn.execute("SELECT count(*) FROM conc_hnsw").fetchone()[0] == n_seed + n_writers * per_writer
        conn.execute("SET enable_seqscan = off")
        # Inserts run side by side and merge their reverse links under page locks: every
        # concurrently inserted row must be linked into the graph well enough that a
        # moderate search from the entry point finds it (a lost link shows up here).
        conn.execute("SET hnsw.ef_search = 64")
        found = sum(nearest_ids(conn, "conc_hnsw", v, 1) == [i] for i, v in inserted.items())
        assert found >= 0.99 * len(inserted), f"{found} of {len(inserted)} inserted rows found"
        conn.execute("SET hnsw.ef_search = 1000")
        for i in random.Random(8).sample(sorted(inserted), 20):
            assert nearest_ids(conn, "conc_hnsw", inserted[i], 1) == [i]
        conn.execute("DROP TABLE conc_hnsw")


def test_build_cancels_while_building_the_graph(dsn):
    """The graph is built on rayon threads, away from PostgreSQL; a cancel request must still
    stop it promptly, not after the whole graph is built."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS cancel_hnsw")
        conn.execute("CREATE TABLE cancel_hnsw (id int, v vector(32))")
        conn.execute("SELECT setseed(0.5)")
        conn.execute("INSERT INTO cancel_hnsw SELECT i, array(SELECT random() FROM generate_series(1, 32)"
                     " WHERE i > 0)::vector FROM generate_series(1, 40000) i")
    outcome = {}
    builder = psycopg.connect(dsn, autocommit=True)
    pid = builder.execute("SELECT pg_backend_pid()").fetchone()[0]

    def build():
        try:
            builder.execute("SET maintenance_work_mem = '256MB'")
            # slow on purpose: many seconds of graph building on any machine
            builder.execute("CREATE INDEX cancel_hnsw_idx ON cancel_hnsw USING hnsw (v)"
                            " WITH (m = 48, ef_construction = 1000)")
            outcome["result"] = "finished"
        except psycopg.Error as e:
            outcome["result"] = e.sqlstate
        outcome["at"] = time.monotonic()

    th = threading.Thread(target=build, daemon=True)
    th.start()
    with psycopg.connect(dsn, autocommit=True) as conn:
        deadline = time.monotonic() + 60
        phase = None
        while time.monotonic() < deadline and th.is_alive():
            row = conn.execute("SELECT phase FROM pg_stat_progress_create_index WHERE pid = %s", (pid,)).fetchone()
            phase = row and row[0]
            if phase and "building graph" in phase:
                break
            time.sleep(0.05)
        assert phase and "building graph" in phase, phase
        time.sleep(0.5)
        cancelled_at = time.monotonic()
        assert conn.execute("SELECT pg_cancel_backend(%s)", (pid,)).fetchone()[0]
        th.join(120)
        assert outcome.get("result") == "57014", outcome
        assert outcome["at"] - cancelled_at < 3.0, f"cancel took {outcome['at'] - cancelled_at:.1f} s"
        assert builder.execute("SELECT count(*) FROM cancel_hnsw").fetchone()[0] == 40000
        assert conn.execute("SELECT count(*) FROM pg_class WHERE relname = 'cancel_hnsw_idx'").fetchone()[0] == 0
        conn.execute("DROP TABLE cancel_hnsw")
    builder.close()


# --------------------------------------------------------------------------------------------
# 4. pg_dump / pg_restore


DUMP_DBS = ("quiver_dump_src", "quiver_dump_custom", "quiver_dump_plain")


@pytest.fixture
def dump_dbs(dsn):
    yield from fresh_databases(dsn, DUMP_DBS)


def table_snapshot(conn):
    rows = conn.execute("SELECT id, v::text, h::text, s::text FROM dumped ORDER BY id").fetchall()
    indexes = conn.execute("SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                           " JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'dumped'::regclass"
                           " ORDER BY 1").fetchall()
    return rows, indexes


HNSW_SEARCHES = [("dumped_v_idx", "v", "<->", "vector"), ("dumped_h_idx", "h", "<=>", "halfvec"),
                 ("dumped_s_idx", "s", "<#>", "sparsevec")]


def top10s(conn, queries):
    conn.execute("SET enable_seqscan = off")
    conn.execute("SET hnsw.ef_search = 1000")  # > row count: the search is exhaustive
    out = {}
    for name, col, op, typ in HNSW_SEARCHES:
        plan = "\n".join(r[0] for r in conn.execute(
            f"EXPLAIN SELECT id FROM dumped ORDER BY {col} {op} %s::vector::{typ} LIMIT 10", (queries[0],)))
        assert f"Index Scan using {name}" in plan, plan
        out[name] = [[r[0] for r in conn.execute(
            f"SELECT id FROM dumped ORDER BY {col} {op} %s::vector::{typ} LIMIT 10", (q,))] for q in queries]
    conn.execute("RESET enable_seqscan")
    conn.execute("RESET hnsw.ef_search")
    return out


def test_pg_dump_restore_round_trip(dsn, dump_dbs, tmp_path):
    params = conninfo_to_dict(dsn)
    host, port, user = params.get("host", "127.0.0.1"), params.get("port", "5432"), params.get("user", "postgres")
    rng = random.Random(4)
    queries = [random_vec(rng, 12) for _ in range(5)]

    with psycopg.connect(dump_dbs["quiver_dump_src"], autocommit=True) as conn:
        conn.execute("CREATE EXTENSION quiver")
        conn.execute("SELECT setseed(0.5)")
        conn.execute("CREATE TABLE dumped (id int PRIMARY KEY, v vector(12), h halfvec(12), s sparsevec(12))")
        conn.execute("INSERT INTO dumped (id, v) SELECT i, array(SELECT round((random() * 2 - 1)::numeric, 4)"
                     " FROM generate_series(1, 12) WHERE i > 0)::vector FROM generate_series(1, 600) i")
        conn.execute("UPDATE dumped SET h = v::halfvec, s = (CASE WHEN id % 2 = 0 THEN v * v ELSE v END)::sparsevec")
        conn.execute("UPDATE dumped SET v = NULL WHERE id % 97 = 0")
        conn.execute("CREATE INDEX dumped_v_idx ON dumped USING hnsw (v vector_l2_ops) WITH (m = 8, ef_construction = 40)")
        conn.execute("CREATE INDEX dumped_h_idx ON dumped USING hnsw (h halfvec_cosine_ops)")
        conn.execute("CREATE INDEX dumped_s_idx ON dumped USING hnsw (s sparsevec_ip_ops)")
        src_rows, src_indexes = table_snapshot(conn)
        src_top = top10s(conn, queries)
    assert len(src_rows) == 600 and len(src_indexes) == 4
    assert "WITH (m='8', ef_construction='40')" in dict(src_indexes)["dumped_v_idx"]

    common = ["-h", host, "-p", str(port), "-U", user]
    custom, plain = tmp_path / "quiver.dump", tmp_path / "quiver.sql"
    run([PG_BIN / "pg_dump", *common, "-d", "quiver_dump_src", "-Fc", "-f", custom])
    run([PG_BIN / "pg_restore", *common, "-d", "quiver_dump_custom", "--exit-on-error", custom])
    run([PG_BIN / "pg_dump", *common, "-d", "quiver_dump_src", "-Fp", "-f", plain])
    sql = plain.read_text()
    assert "CREATE EXTENSION IF NOT EXISTS quiver" in sql and "USING hnsw" in sql
    run([PG_BIN / "psql", "-X", "-q", *common, "-d", "quiver_dump_plain", "-v", "ON_ERROR_STOP=1", "-f", plain])

    for db in ("quiver_dump_custom", "quiver_dump_plain"):
        with psycopg.connect(dump_dbs[db], autocommit=True) as conn:
            rows, indexes = table_snapshot(conn)
            assert rows == src_rows, db
            assert indexes == src_indexes, db
            for name, *_ in HNSW_SEARCHES:
                assert index_problems(conn, name) == [], (db, name)
            assert top10s(conn, queries) == src_top, db
