"""Background jobs in a cluster with quiver in shared_preload_libraries: asynchronous index
builds (progress, concurrent writes, cancel, kill -9 of the postmaster mid-build, privileges),
the maintenance launcher (dead rows, recall, expired rows of TTL collections) and the metrics
in Prometheus text format. The foreground paths without preloading are in
tests/regress/sql/15_jobs.sql.

One preloaded cluster on the first of the suite's ports (the other cluster tests use it one at
a time too), shared by the tests of this module.
"""
import contextlib
import random
import threading

import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from pgcluster import PORT_BASE, Cluster, index_problems, random_vec, wait_until

DIMS = 16
BIG_ROWS = 100_000


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(PORT_BASE)
    c.init(
        "shared_preload_libraries = 'quiver'\n"
        "quiver.maintenance_naptime = 1\n"
        "quiver.maintenance_min_dead = 100\n"
        "quiver.maintenance_dead_fraction = 0.1\n"
        "autovacuum = off\n"  # what removes dead rows here is quiver's maintenance worker
        "max_worker_processes = 16\n"
        "shared_buffers = 128MB\n"
    )
    c.start()
    with c.connect() as conn:
        conn.execute("CREATE EXTENSION quiver")
        conn.execute("SELECT setseed(0.25)")
        conn.execute(f"CREATE TABLE big (id int PRIMARY KEY, v vector({DIMS}))")
        conn.execute(f"INSERT INTO big SELECT i, array(SELECT random() * 2 - 1 FROM generate_series(1, {DIMS})"
                     f" WHERE i > 0)::vector FROM generate_series(1, {BIG_ROWS}) i")
        conn.execute("ANALYZE big")
    yield c
    c.stop()


def job_row(conn, job):
    return conn.execute("SELECT state, phase, tuples_done, tuples_total, error FROM quiver.jobs WHERE id = %s",
                        (job,)).fetchone()


def wait_running(conn, job, timeout=60):
    """Polls the job until it runs and has reported progress; the rows seen."""
    seen = []

    def running():
        row = job_row(conn, job)
        seen.append(row)
        return row[0] == "running" and (row[2] or 0) > 0

    wait_until(running, timeout, interval=0.02, what=f"job {job} to report progress")
    return seen


@contextlib.contextmanager
def in_background(body):
    """Runs body(stop) in a thread while the block runs (stop: an Event set when the block
    ends); yields the list the thread's exception goes to."""
    stop, errors = threading.Event(), []

    def run():
        try:
            body(stop)
        except Exception as e:  # the test asserts there are none
            errors.append(e)

    t = threading.Thread(target=run)
    t.start()
    try:
        yield errors
    finally:
        stop.set()
        t.join(30)


def call_wait(conn, job):
    return conn.execute("CALL quiver.wait(%s)", (job,)).fetchone()[0]


def index_names(conn, table):
    return {r[0] for r in conn.execute(
        "SELECT c.relname FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid WHERE x.indrelid = %s::regclass",
        (table,))}


def indexed_copy(conn, table, rows, options=""):
    """Table `table` with the first `rows` rows of big and an hnsw index `<table>_v`."""
    conn.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, v vector({DIMS}))")
    conn.execute(f"INSERT INTO {table} SELECT id, v FROM big WHERE id <= {rows}")
    conn.execute(f"CREATE INDEX {table}_v ON {table} USING hnsw (v vector_l2_ops) {options}")


def top(conn, table, q, k, exact):
    """The k nearest ids: exactly (no index scan) or through the index (no sequential scan)."""
    off = "enable_indexscan" if exact else "enable_seqscan"
    conn.execute(f"SET {off} = off")
    try:
        return [r[0] for r in conn.execute(f"SELECT id FROM {table} ORDER BY v <-> %s::vector, id LIMIT {k}" if exact else
                                           f"SELECT id FROM {table} ORDER BY v <-> %s::vector LIMIT {k}", (q,))]
    finally:
        conn.execute(f"RESET {off}")


def recall(conn, table, queries, k=10):
    hits = sum(len(set(top(conn, table, q, k, True)) & set(top(conn, table, q, k, False))) for q in queries)
    return hits / (k * len(queries))


def test_async_build_returns_at_once_reports_progress_and_is_used(cluster):
    with cluster.connect() as conn:
        job = conn.execute("SELECT quiver.build_index('CREATE INDEX big_v ON big USING hnsw (v vector_l2_ops)')").fetchone()[0]
        # returned before the build: the job is queued or running, the index not usable yet
        assert job_row(conn, job)[0] in ("queued", "running")
        assert not conn.execute("SELECT coalesce(bool_or(indisvalid), false) FROM pg_index WHERE indexrelid = to_regclass('big_v')").fetchone()[0]
        seen = wait_running(conn, job)
        assert any(r[0] == "running" and r[1] and 0 < (r[2] or 0) <= (r[3] or 0) for r in seen), seen[-5:]
        assert call_wait(conn, job) == "succeeded"
        row = job_row(conn, job)
        assert row[0] == "succeeded" and row[4] is None
        assert conn.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_v'::regclass").fetchone()[0]
        conn.execute("SET enable_seqscan = off")
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN SELECT id FROM big ORDER BY v <-> %s::vector LIMIT 10",
                                                     (random_vec(random.Random(1), DIMS),)))
        assert "Index Scan using big_v" in plan, plan
        conn.execute("RESET enable_seqscan")
        conn.execute("SET hnsw.ef_search = 100")
        rng = random.Random(2)
        assert recall(conn, "big", [random_vec(rng, DIMS) for _ in range(20)]) >= 0.9
        assert index_problems(conn, "big_v") == []
        launcher = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'quiver launcher'").fetchone()[0]
        assert launcher == 1


def test_rows_inserted_during_an_async_build_all_land_in_the_index(cluster):
    with cluster.connect() as conn:
        conn.execute(f"CREATE TABLE live (id int PRIMARY KEY, v vector({DIMS}))")
        conn.execute("INSERT INTO live SELECT id, v FROM big WHERE id <= 40000")
        job = conn.execute("SELECT quiver.build_index('CREATE INDEX live_v ON live USING hnsw (v vector_l2_ops)')").fetchone()[0]

    inserted = []

    def writer(stop):
        rng = random.Random(3)
        with cluster.connect() as w:
            i = 1_000_000
            while not stop.is_set():
                w.execute("INSERT INTO live VALUES (%s, %s)", (i, random_vec(rng, DIMS)))
                inserted.append(i)
                i += 1

    with in_background(writer) as errors:
        with cluster.connect() as conn:
            wait_running(conn, job)
            assert call_wait(conn, job) == "succeeded"
            n_after = len(inserted)
            wait_until(lambda: len(inserted) > n_after + 20, 30, what="inserts after the build")
    assert not errors, errors
    assert len(inserted) > 50
    with cluster.connect() as conn:
        assert index_problems(conn, "live_v") == []
        total = conn.execute("SELECT count(*) FROM live").fetchone()[0]
        assert total == 40000 + len(inserted)
        # an exhaustive scan of the index returns every row, those inserted during the build too
        conn.execute("SET enable_seqscan = off")
        conn.execute("SET hnsw.iterative_scan = relaxed_order")
        conn.execute("SET hnsw.max_scan_tuples = 100000000")
        got = [r[0] for r in conn.execute(f"SELECT id FROM live ORDER BY v <-> %s::vector LIMIT {total + 10}",
                                          (random_vec(random.Random(4), DIMS),))]
        assert len(got) == total and set(inserted) <= set(got)


def test_cancel_stops_a_build_and_leaves_nothing_behind(cluster):
    with cluster.connect() as conn:
        job = conn.execute("SELECT quiver.build_index('CREATE INDEX big_c ON big USING hnsw (v vector_cosine_ops)')").fetchone()[0]
        wait_running(conn, job)
        assert conn.execute("SELECT quiver.cancel(%s)", (job,)).fetchone()[0] is True
        assert call_wait(conn, job) == "cancelled"
        row = conn.execute("SELECT state, sqlstate FROM quiver.jobs WHERE id = %s", (job,)).fetchone()
        assert row == ("cancelled", "57014")
        assert "big_c" not in index_names(conn, "big")
        assert conn.execute("SELECT count(*) FROM pg_index WHERE indrelid = 'big'::regclass AND NOT indisvalid").fetchone()[0] == 0
        # cancelling an ended job says so
        assert conn.execute("SELECT quiver.cancel(%s)", (job,)).fetchone()[0] is False
        conn.execute("INSERT INTO big VALUES (-1, %s)", (random_vec(random.Random(5), DIMS),))
        conn.execute("DELETE FROM big WHERE id = -1")


def test_kill_9_mid_build_leaves_a_failed_job_and_no_index_then_the_build_can_be_resubmitted(cluster):
    definition = "CREATE INDEX big_k ON big USING hnsw (v vector_ip_ops)"
    with cluster.connect() as conn:
        job = conn.execute("SELECT quiver.build_index(%s)", (definition,)).fetchone()[0]
        wait_running(conn, job)
    cluster.kill_all()
    cluster.start()
    with cluster.connect() as conn:
        # the maintenance worker records the job as failed and drops the invalid index
        def recorded():
            return conn.execute("SELECT state FROM quiver.job_log WHERE id = %s", (job,)).fetchone()[0] == "failed"

        wait_until(recorded, 60, what="the crashed job to be recorded as failed")
        state, error = conn.execute("SELECT state, error FROM quiver.jobs WHERE id = %s", (job,)).fetchone()
        assert state == "failed" and "exited before the job finished" in error
        assert "big_k" not in index_names(conn, "big")
        assert conn.execute("SELECT count(*) FROM pg_index WHERE indrelid = 'big'::regclass AND NOT indisvalid").fetchone()[0] == 0
        with pytest.raises(psycopg.Error) as e:
            call_wait(conn, job)
        assert e.value.sqlstate == "57P01"
        again = conn.execute("SELECT quiver.build_index(%s)", (definition,)).fetchone()[0]
        assert call_wait(conn, again) == "succeeded"
        assert conn.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_k'::regclass").fetchone()[0]
        assert index_problems(conn, "big_k") == []
        conn.execute("DROP INDEX big_k")


def test_a_role_without_privileges_cannot_build_through_the_api(cluster):
    with cluster.connect() as conn:
        conn.execute("DROP ROLE IF EXISTS job_nobody")
        conn.execute("CREATE ROLE job_nobody LOGIN")
        conn.execute("GRANT SELECT ON big TO job_nobody")
        conn.execute("SELECT quiver.create_collection('jobs_coll', dimension => 2, auto_id => true)")
        conn.execute("SELECT quiver.drop_index('jobs_coll', 'vector')")
    dsn = cluster.dsn().replace("user=postgres", "user=job_nobody")
    with psycopg.connect(dsn, autocommit=True) as other:
        with pytest.raises(psycopg.Error) as e:
            other.execute("SELECT quiver.build_index('CREATE INDEX ON public.big USING hnsw (v)')")
        assert e.value.sqlstate == "42501"
        with pytest.raises(psycopg.Error) as e:
            other.execute("SELECT quiver.create_index('jobs_coll', 'vector', 'HNSW', async => true)")
        assert e.value.sqlstate == "42501"
        with pytest.raises(psycopg.Error) as e:
            other.execute("SELECT quiver.maintain('big_v')")
        assert e.value.sqlstate == "42501"
    with cluster.connect() as conn:
        assert conn.execute("SELECT count(*) FROM quiver.job_log WHERE roleid = 'job_nobody'::regrole").fetchone()[0] == 0
        conn.execute("SELECT quiver.drop_collection('jobs_coll')")
        conn.execute("REVOKE ALL ON big FROM job_nobody")
        conn.execute("DROP ROLE job_nobody")


def test_the_maintenance_worker_removes_dead_entries_and_recall_comes_back(cluster):
    rng = random.Random(6)
    with cluster.connect() as conn:
        indexed_copy(conn, "m", 20000, "WITH (m = 12, ef_construction = 40)")
        conn.execute("SET hnsw.ef_search = 40")
        queries = [random_vec(rng, DIMS) for _ in range(30)]
        before = recall(conn, "m", queries)
        conn.execute("DELETE FROM m WHERE id % 10 < 3")
        conn.execute("SELECT pg_stat_force_next_flush()")

    done = [0]

    def workload(stop):
        wrng = random.Random(7)
        with cluster.connect() as w:
            w.execute("SET enable_seqscan = off")
            i = 5_000_000
            while not stop.is_set():
                w.execute("SELECT id FROM m ORDER BY v <-> %s::vector LIMIT 10", (random_vec(wrng, DIMS),)).fetchall()
                w.execute("INSERT INTO m VALUES (%s, %s)", (i, random_vec(wrng, DIMS)))
                i += 1
                done[0] += 1

    with in_background(workload) as errors:
        with cluster.connect() as conn:
            def maintained():
                return conn.execute(
                    "SELECT count(*) FROM quiver.job_log WHERE kind = 'maintain' AND target = 'public.m_v'"
                    " AND state = 'succeeded' AND detail ->> 'by' = 'maintenance worker'").fetchone()[0] > 0

            wait_until(maintained, 90, interval=0.5, what="the maintenance worker to maintain m_v")
    assert not errors, errors
    assert done[0] > 0
    with cluster.connect() as conn:
        conn.execute("SELECT pg_stat_force_next_flush()")
        # 30% were dead; the workload only searched and inserted
        wait_until(lambda: conn.execute("SELECT dead_fraction FROM quiver.stat_indexes WHERE index_name = 'm_v'").fetchone()[0] < 0.01,
                   60, interval=0.5, what="the dead fraction to drop")
        row = conn.execute("SELECT live_rows, method, last_maintained IS NOT NULL FROM quiver.stat_indexes WHERE index_name = 'm_v'").fetchone()
        assert row[1] == "hnsw" and row[2]
        assert index_problems(conn, "m_v") == []
        conn.execute("SET hnsw.ef_search = 40")
        after = recall(conn, "m", queries)
        assert after >= before - 0.03, (before, after)


def test_the_maintenance_worker_purges_expired_rows_of_ttl_collections(cluster):
    with cluster.connect() as conn:
        conn.execute("SELECT quiver.create_collection('ttl_jobs', dimension => 2, auto_id => true,"
                     " properties => '{\"collection.ttl.seconds\": 3600}')")
        conn.execute("SELECT quiver.insert('ttl_jobs', (SELECT jsonb_agg(jsonb_build_object('vector', jsonb_build_array(i, 1)))"
                     " FROM generate_series(1, 10) i))")
        conn.execute("UPDATE ttl_jobs SET \"$inserted_at\" = now() - interval '2 hours' WHERE id <= 4")

        def purged():
            return conn.execute("SELECT count(*) FROM ttl_jobs").fetchone()[0] == 6

        wait_until(purged, 30, interval=0.3, what="expired rows to be purged")
        conn.execute("SELECT quiver.drop_collection('ttl_jobs')")


def metric_samples(conn):
    text = conn.execute("SELECT quiver.metrics()").fetchone()[0]
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.labels.get("index") in (None, "mt_v"):
                key = (s.name, s.labels.get("le"))
                out[key] = s.value
    return out


def test_metrics_parse_as_prometheus_text_and_move_with_the_workload(cluster):
    rng = random.Random(8)
    with cluster.connect() as conn:
        indexed_copy(conn, "mt", 2000)
        first = metric_samples(conn)
        assert first[("quiver_index_builds_total", None)] == 1
        assert first[("quiver_index_build_seconds_total", None)] > 0
        conn.execute("SET enable_seqscan = off")
        for _ in range(7):
            conn.execute("SELECT id FROM mt ORDER BY v <-> %s::vector LIMIT 5", (random_vec(rng, DIMS),)).fetchall()
        for i in range(3):
            conn.execute("INSERT INTO mt VALUES (%s, %s)", (100_000 + i, random_vec(rng, DIMS)))
        conn.execute("DELETE FROM mt WHERE id <= 500")
        conn.execute("VACUUM mt")
        after = metric_samples(conn)

    def moved(name, le=None):
        return after.get((name, le), 0) - first.get((name, le), 0)

    assert moved("quiver_index_searches_total") == 7
    assert moved("quiver_index_inserts_total") == 3
    assert moved("quiver_index_search_duration_seconds_count") == 7
    assert moved("quiver_index_search_duration_seconds_bucket", "+Inf") == 7
    assert moved("quiver_index_search_duration_seconds_sum") > 0
    assert moved("quiver_index_rows_scanned_total") >= 7 * 5
    assert moved("quiver_index_maintenance_runs_total") >= 1
    assert ("quiver_jobs_running", None) in after
