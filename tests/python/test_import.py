"""quiver.import_vectors: loading .npy / .fvecs / .bvecs / .ivecs server files into tables.

The files are generated here with numpy (the server runs on this machine and reads them);
every value must come back bit for bit, and every failure must leave the table unchanged.
"""

import os
import shutil
import struct
import tempfile

import numpy as np
import psycopg
import pytest
from pgvector.psycopg import register_vector

from conftest import progress_then_cancel


@pytest.fixture
def files():
    """A directory the server (another OS user when the tests run as root) can read."""
    d = tempfile.mkdtemp(prefix="quiver-import-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o644)
    return path


def npy(path, array):
    np.save(path, array)
    os.chmod(path, 0o644)
    return path


def vecs(path, rows, dtype):
    out = bytearray()
    for r in rows:
        out += struct.pack("<i", len(r)) + np.asarray(r, dtype=dtype).tobytes()
    return write(path, bytes(out))


def sqlstate(conn, sql, params=()):
    with pytest.raises(psycopg.Error) as e:
        conn.execute(sql, params)
    return e.value.sqlstate, e.value.diag.message_primary


def fetch(conn, table, col="v", order="id"):
    return [r[0] for r in conn.execute(f"SELECT {col} FROM {table} ORDER BY {order}").fetchall()]


def test_npy_float32_round_trips_exactly_with_ids(conn, files):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((1000, 24)).astype(np.float32)
    a[0, :3] = [np.float32(1e-45), np.float32(3.4e38), np.float32(-0.0)]
    path = npy(os.path.join(files, "base.npy"), a)
    conn.execute("DROP TABLE IF EXISTS imp_a")
    conn.execute("CREATE TABLE imp_a (id bigint PRIMARY KEY, v vector(24), note text DEFAULT 'x')")
    n = conn.execute("SELECT quiver.import_vectors('imp_a', 'v', %s, id_column => 'id')", (path,)).fetchone()[0]
    assert n == 1000
    got = np.stack(fetch(conn, "imp_a"))
    assert got.dtype == np.float32 and np.array_equal(got.view(np.uint32), a.view(np.uint32))
    assert [r[0] for r in conn.execute("SELECT id FROM imp_a ORDER BY id LIMIT 3")] == [0, 1, 2]
    assert conn.execute("SELECT count(*) FROM imp_a WHERE note = 'x'").fetchone()[0] == 1000
    # id_start, the format named explicitly, and an int4 id column
    conn.execute("CREATE TABLE imp_a2 (id int, v vector)")
    n = conn.execute(
        "SELECT quiver.import_vectors('imp_a2'::regclass, 'v', %s, format => 'NPY', id_column => 'id', options => '{\"id_start\": 1000000}')",
        (path,),
    ).fetchone()[0]
    assert n == 1000
    assert conn.execute("SELECT min(id), max(id) FROM imp_a2").fetchone() == (1000000, 1000999)
    conn.execute("DROP TABLE imp_a, imp_a2")


def test_every_element_type_and_file_format(conn, files):
    rng = np.random.default_rng(2)
    f16 = rng.standard_normal((50, 8)).astype(np.float16)
    i8 = rng.integers(-128, 128, (50, 8)).astype(np.int8)
    u8 = rng.integers(0, 256, (50, 8)).astype(np.uint8)
    f32 = rng.standard_normal((50, 8)).astype(np.float32)
    i32 = rng.integers(-(1 << 24), 1 << 24, (50, 8)).astype(np.int32)
    cases = [
        (npy(os.path.join(files, "h.npy"), f16), "halfvec(8)", f16.astype(np.float32)),
        (npy(os.path.join(files, "h2.npy"), f16), "vector(8)", f16.astype(np.float32)),
        (npy(os.path.join(files, "i8.npy"), i8), "vector(8)", i8.astype(np.float32)),
        (npy(os.path.join(files, "u8.npy"), u8), "vector(8)", u8.astype(np.float32)),
        (vecs(os.path.join(files, "x.fvecs"), f32, "<f4"), "vector(8)", f32),
        (vecs(os.path.join(files, "x.fvecs2"), f32, "<f4"), "halfvec(8)", f32.astype(np.float16).astype(np.float32)),
        (vecs(os.path.join(files, "x.bvecs"), u8, "u1"), "vector(8)", u8.astype(np.float32)),
        (vecs(os.path.join(files, "x.ivecs"), i32, "<i4"), "vector(8)", i32.astype(np.float32)),
    ]
    for path, coltype, want in cases:
        conn.execute("DROP TABLE IF EXISTS imp_t")
        conn.execute(f"CREATE TABLE imp_t (id int8, v {coltype})")
        fmt = "fvecs" if path.endswith("fvecs2") else None
        n = conn.execute("SELECT quiver.import_vectors('imp_t', 'v', %s, %s, 'id')", (path, fmt)).fetchone()[0]
        assert n == len(want), path
        cast = "::vector" if coltype.startswith("halfvec") else ""
        got = np.stack(fetch(conn, "imp_t", col=f"v{cast}"))
        assert np.array_equal(got, want), (path, coltype)
    conn.execute("DROP TABLE imp_t")


def test_into_a_table_with_an_hnsw_index(conn, files):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3000, 16)).astype(np.float32)
    path = vecs(os.path.join(files, "h.fvecs"), a, "<f4")
    conn.execute("DROP TABLE IF EXISTS imp_h")
    conn.execute("CREATE TABLE imp_h (id bigint, v vector(16))")
    conn.execute("CREATE INDEX ON imp_h USING hnsw (v vector_l2_ops)")
    assert conn.execute("SELECT quiver.import_vectors('imp_h', 'v', %s, id_column => 'id')", (path,)).fetchone()[0] == 3000
    q = a[17]
    conn.execute("SET enable_seqscan = off")
    conn.execute("SET hnsw.ef_search = 400")
    plan = "\n".join(r[0] for r in conn.execute("EXPLAIN SELECT id FROM imp_h ORDER BY v <-> %s LIMIT 10", (q,)))
    assert "imp_h_v_idx" in plan
    via_index = [r[0] for r in conn.execute("SELECT id FROM imp_h ORDER BY v <-> %s LIMIT 10", (q,))]
    exact = list(np.argsort(((a - q) ** 2).sum(axis=1), kind="stable")[:10])
    assert via_index[0] == 17 and len(set(via_index) & set(int(i) for i in exact)) >= 9
    conn.execute("RESET enable_seqscan")
    assert conn.execute("SELECT count(*) FROM quiver.index_check('imp_h_v_idx')").fetchone()[0] == 0
    conn.execute("DROP TABLE imp_h")


def test_errors_name_file_row_and_field_and_change_nothing(conn, files):
    conn.execute("DROP TABLE IF EXISTS imp_e")
    conn.execute("CREATE TABLE imp_e (id int8, v vector(4), t text)")
    conn.execute("INSERT INTO imp_e VALUES (-1, '[1,1,1,1]', 'kept')")
    good = np.ones((10, 4), np.float32)

    # truncated file
    p = vecs(os.path.join(files, "cut.fvecs"), good, "<f4")
    with open(p, "r+b") as f:
        f.truncate(os.path.getsize(p) - 3)
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_e', 'v', %s)", (p,)) == (
        "22P04", f'file "{p}": the file is truncated: 197 bytes do not hold whole rows of dimension 4 (20 bytes each); row 10 is incomplete')
    # a .npy whose data stop early
    p = os.path.join(files, "cut.npy")
    np.save(p, good)
    with open(p, "r+b") as f:
        f.truncate(os.path.getsize(p) - 8)
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_e', 'v', %s)", (p,))[0] == "22P04"
    # wrong dimension for the column
    p = npy(os.path.join(files, "d5.npy"), np.ones((3, 5), np.float32))
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_e', 'v', %s)", (p,)) == (
        "22000", f'file "{p}" holds vectors of 5 dimensions, column "v" is vector(4)')
    # a row whose dimension header disagrees, half way through: nothing of the file stays
    rows = [[1, 2, 3, 4]] * 600 + [[1, 2, 3]] + [[1, 2, 3, 4]] * 10
    p = vecs(os.path.join(files, "hdr.fvecs"), rows, "<f4")
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_e', 'v', %s)", (p,)) == (
        "22P04", f'file "{p}": row 601: dimension header says 3, the file\'s first row has 4')
    # NaN in a row: the row, element and column are named
    bad = good.copy()
    bad[7, 2] = np.nan
    p = npy(os.path.join(files, "nan.npy"), bad)
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_e', 'v', %s)", (p,)) == (
        "22000", f'file "{p}", column "v": row 8, element 3: NaN is not a finite number')
    # halfvec overflow
    conn.execute("CREATE TABLE imp_e2 (v halfvec(4))")
    p = npy(os.path.join(files, "big.npy"), np.full((2, 4), 1e6, np.float32))
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_e2', 'v', %s)", (p,)) == (
        "22003", f'file "{p}", column "v": row 1, element 1: 1000000 is out of range for type halfvec')
    # not a numpy file at all, an unknown format, a missing file, a directory
    p = write(os.path.join(files, "junk.npy"), b"PK\x03\x04 junk")
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_e', 'v', %s)", (p,))[0] == "22P04"
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_e', 'v', %s, 'csv')", (p,)) == ("22023", 'unknown file format "csv"')
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_e', 'v', %s)", (os.path.join(files, "data.bin"),))[0] == "22023"
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_e', 'v', %s, 'npy')", (files,)) == ("42809", f'"{files}" is a directory')
    fifo = os.path.join(files, "pipe.npy")
    os.mkfifo(fifo)
    os.chmod(fifo, 0o644)
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_e', 'v', %s)", (fifo,)) == ("42809", f'"{fifo}" is not a regular file')
    empty = write(os.path.join(files, "empty.fvecs"), b"")
    assert conn.execute("SELECT quiver.import_vectors('imp_e', 'v', %s)", (empty,)).fetchone()[0] == 0
    missing = os.path.join(files, "missing.fvecs")
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_e', 'v', %s)", (missing,)) == (
        "58P01", f'could not open file "{missing}" for reading: No such file or directory (os error 2)')
    # wrong columns and options
    p = npy(os.path.join(files, "ok.npy"), good)
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_e', 'nope', %s)", (p,)) == ("42703", 'column "nope" does not exist')
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_e', 't', %s)", (p,)) == ("42804", 'column "t" is of type text, not vector or halfvec')
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_e', 'v', %s, id_column => 't')", (p,)) == (
        "42804", 'id column "t" is of type text, not smallint, integer or bigint')
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_e', 'v', %s, options => '{\"batch\": 1}')", (p,)) == ("22023", 'unknown option "batch"')
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_e', 'v', NULL)") == ("22004", "file must not be null")
    conn.execute("CREATE TABLE imp_e3 (id int2, v vector(4))")
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_e3', 'v', %s, id_column => 'id', options => '{\"id_start\": 32765}')", (p,)) == (
        "22003", f'file "{p}": row 4: the id 32768 does not fit the id column')
    # after all of that, only the original row is there
    assert conn.execute("SELECT count(*), min(t) FROM imp_e").fetchone() == (1, "kept")
    assert conn.execute("SELECT count(*) FROM imp_e2").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM imp_e3").fetchone()[0] == 0
    conn.execute("DROP TABLE imp_e, imp_e2, imp_e3")


def test_privileges_and_row_level_security(conn, dsn, files):
    p = npy(os.path.join(files, "ok.npy"), np.ones((5, 4), np.float32))
    conn.execute("DROP TABLE IF EXISTS imp_p")
    conn.execute("DROP ROLE IF EXISTS imp_reader")
    conn.execute("DROP ROLE IF EXISTS imp_plain")
    conn.execute("CREATE TABLE imp_p (v vector(4))")
    conn.execute("CREATE ROLE imp_plain LOGIN")
    conn.execute("CREATE ROLE imp_reader LOGIN IN ROLE pg_read_server_files")
    conn.execute("GRANT INSERT ON imp_p TO imp_plain")
    with psycopg.connect(dsn, user="imp_plain", autocommit=True) as c:
        assert sqlstate(c, "SELECT quiver.import_vectors('imp_p', 'v', %s)", (p,)) == ("42501", "permission denied to import from a file")
    with psycopg.connect(dsn, user="imp_reader", autocommit=True) as c:
        assert sqlstate(c, "SELECT quiver.import_vectors('imp_p', 'v', %s)", (p,)) == ("42501", "permission denied for table imp_p")
        conn.execute("GRANT INSERT (v) ON imp_p TO imp_reader")
        assert c.execute("SELECT quiver.import_vectors('imp_p', 'v', %s)", (p,)).fetchone()[0] == 5
        conn.execute("ALTER TABLE imp_p ENABLE ROW LEVEL SECURITY")
        conn.execute("CREATE POLICY imp_all ON imp_p USING (true) WITH CHECK (true)")
        conn.execute("GRANT SELECT ON imp_p TO imp_reader")
        assert sqlstate(c, "SELECT quiver.import_vectors('imp_p', 'v', %s)", (p,)) == (
            "0A000", "import_vectors is not supported for tables with row-level security")
    assert conn.execute("SELECT count(*) FROM imp_p").fetchone()[0] == 5
    conn.execute("DROP TABLE imp_p")
    conn.execute("DROP ROLE imp_reader")
    conn.execute("DROP ROLE imp_plain")


def test_progress_is_visible_and_cancel_rolls_back(conn, dsn, files):
    """A trigger pauses the import at row 5,000: meanwhile another session sees the COPY's
    progress, then cancels it; nothing of the file stays."""
    a = np.random.default_rng(4).standard_normal((20000, 32)).astype(np.float32)
    p = npy(os.path.join(files, "big.npy"), a)
    conn.execute("DROP TABLE IF EXISTS imp_c")
    conn.execute("CREATE TABLE imp_c (id int8, v vector(32))")
    conn.execute("""CREATE FUNCTION imp_pause() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.id = 5000 THEN PERFORM pg_sleep(30); END IF; RETURN NEW; END $$""")
    conn.execute("CREATE TRIGGER imp_pause BEFORE INSERT ON imp_c FOR EACH ROW EXECUTE FUNCTION imp_pause()")
    seen, error = progress_then_cancel(
        conn, dsn, "SELECT quiver.import_vectors('imp_c', 'v', %s, id_column => 'id')", (p,),
        "SELECT command, type, tuples_processed, bytes_total FROM pg_stat_progress_copy WHERE relid = 'imp_c'::regclass",
        lambda row: row[2] >= 5000)
    assert seen is not None and seen[0] == "COPY FROM" and seen[1] == "CALLBACK"
    assert seen[2] >= 5000
    assert seen[3] == 19 + 2 + 20000 * (2 + 12 + 8 + 32 * 4)
    assert error == "57014"
    assert conn.execute("SELECT count(*) FROM imp_c").fetchone()[0] == 0
    conn.execute("DROP TABLE imp_c")
    conn.execute("DROP FUNCTION imp_pause()")


def test_non_utf8_arguments_in_a_sql_ascii_database(dsn):
    """Bytes that are not UTF-8 (possible in a SQL_ASCII database) are an error naming the argument."""
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("DROP DATABASE IF EXISTS quiver_imp_ascii")
        c.execute("CREATE DATABASE quiver_imp_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
    try:
        with psycopg.connect(psycopg.conninfo.make_conninfo(dsn, dbname="quiver_imp_ascii"), autocommit=True) as c:
            c.execute("CREATE EXTENSION quiver")
            c.execute("CREATE TABLE t (v vector(2))")
            for args in ["'t', E'v\\xda', '/tmp/x.npy'", "'t', 'v', E'/tmp/x\\xda.npy'", "'t', 'v', '/tmp/x.npy', E'np\\xda'",
                         "'t', 'v', '/tmp/x.npy', id_column => E'i\\xda'"]:
                with pytest.raises(psycopg.Error) as e:
                    c.execute(f"SELECT quiver.import_vectors({args})")
                assert e.value.sqlstate == "22021", args
    finally:
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("DROP DATABASE IF EXISTS quiver_imp_ascii")


def index_state(conn, table):
    """name -> (oid, definition, comment) of the table's indexes."""
    return {r[0]: (r[1], r[2], r[3]) for r in conn.execute(
        "SELECT c.relname, c.oid, pg_get_indexdef(c.oid), obj_description(c.oid, 'pg_class') FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass", (table,)).fetchall()}


def test_vector_indexes_are_built_after_the_rows_of_an_empty_table(conn, dsn, files):
    """Into an empty table, hnsw and ivfflat indexes are dropped and built again over all the
    rows (same names, definitions and comments; new OIDs); other indexes stay. A failed
    import leaves them as they were; a table with rows, defer_indexes => false and a caller
    who does not own the table keep the row-by-row path. Every way gives a correct index."""
    rng = np.random.default_rng(9)
    a = rng.standard_normal((3000, 16)).astype(np.float32)
    p = npy(os.path.join(files, "a.npy"), a)
    conn.execute("DROP TABLE IF EXISTS imp_d")
    conn.execute("DROP ROLE IF EXISTS imp_loader")
    conn.execute("CREATE TABLE imp_d (id int8 PRIMARY KEY, v vector(16))")
    conn.execute('CREATE INDEX "imp d ""hnsw""" ON imp_d USING hnsw (v vector_l2_ops) WITH (m = 8, ef_construction = 40)')
    conn.execute("CREATE INDEX imp_d_ivf ON imp_d USING ivfflat (v vector_l2_ops) WITH (lists = 4)")
    conn.execute('COMMENT ON INDEX "imp d ""hnsw""" IS $c$it\'s a \\ graph$c$')
    before = index_state(conn, "imp_d")

    def exact_top(q, k=10):
        return [int(i) for i in np.argsort(((a - q) ** 2).sum(axis=1), kind="stable")[:k]]

    # a failed import (a NaN in the last row) changes nothing
    bad = a.copy()
    bad[2999, 3] = np.nan
    pb = npy(os.path.join(files, "bad.npy"), bad)
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_d', 'v', %s, id_column => 'id')", (pb,))[0] == "22000"
    assert index_state(conn, "imp_d") == before

    assert conn.execute("SELECT quiver.import_vectors('imp_d', 'v', %s, id_column => 'id')", (p,)).fetchone()[0] == 3000
    after = index_state(conn, "imp_d")
    assert set(after) == set(before)
    for name, (oid, definition, comment) in before.items():
        assert (after[name][1], after[name][2]) == (definition, comment)
        assert (after[name][0] != oid) == (name != "imp_d_pkey"), name
    assert after['imp d "hnsw"'][2] == "it's a \\ graph"
    # the ivfflat index probing every list is exact, and the hnsw one finds the same rows
    with conn.transaction():
        conn.execute("SET LOCAL enable_seqscan = off")
        conn.execute("SET LOCAL ivfflat.probes = 4")
        conn.execute("SET LOCAL hnsw.ef_search = 200")
        for qi in (3, 1500, 2999):
            plan = "\n".join(r[0] for r in conn.execute("EXPLAIN SELECT id FROM imp_d ORDER BY v <-> %s LIMIT 10", (a[qi],)).fetchall())
            got = [r[0] for r in conn.execute("SELECT id FROM imp_d ORDER BY v <-> %s LIMIT 10", (a[qi],)).fetchall()]
            assert got[0] == qi and len(set(got) & set(exact_top(a[qi]))) >= 9, plan
    for name in ('"imp d ""hnsw"""', "imp_d_ivf"):
        assert conn.execute("SELECT count(*) FROM quiver.index_check(%s)", (name,)).fetchone()[0] == 0

    # a table with rows: the indexes take the new rows one by one
    conn.execute("SELECT quiver.import_vectors('imp_d', 'v', %s, id_column => 'id', options => '{\"id_start\": 3000}')", (p,))
    assert index_state(conn, "imp_d") == after
    # defer_indexes => false on an empty table, and a loader who does not own it
    conn.execute("TRUNCATE imp_d")
    conn.execute("SELECT quiver.import_vectors('imp_d', 'v', %s, id_column => 'id', options => '{\"defer_indexes\": false}')", (p,))
    assert index_state(conn, "imp_d") == after
    conn.execute("TRUNCATE imp_d")
    conn.execute("CREATE ROLE imp_loader LOGIN IN ROLE pg_read_server_files")
    conn.execute("GRANT SELECT, INSERT ON imp_d TO imp_loader")
    try:
        with psycopg.connect(dsn, user="imp_loader", autocommit=True) as c:
            assert c.execute("SELECT quiver.import_vectors('imp_d', 'v', %s, id_column => 'id')", (p,)).fetchone()[0] == 3000
        assert index_state(conn, "imp_d") == after
        for name in ('"imp d ""hnsw"""', "imp_d_ivf"):
            assert conn.execute("SELECT count(*) FROM quiver.index_check(%s)", (name,)).fetchone()[0] == 0
        # defer_indexes => true rebuilds even over existing rows
        conn.execute("SELECT quiver.import_vectors('imp_d', 'v', %s, id_column => 'id',"
                     " options => '{\"id_start\": 3000, \"defer_indexes\": true}')", (p,))
        assert index_state(conn, "imp_d")["imp_d_ivf"][0] != after["imp_d_ivf"][0]
        assert conn.execute("SELECT count(*) FROM imp_d").fetchone()[0] == 6000
        assert sqlstate(conn, "SELECT quiver.import_vectors('imp_d', 'v', %s, options => '{\"defer_indexes\": 1}')", (p,)) == (
            "22023", 'option "defer_indexes" must be true, false or "auto"')
        # a partition whose index belongs to a partitioned index keeps it (it cannot be dropped alone)
        conn.execute("CREATE TABLE imp_parts (id int8, v vector(16)) PARTITION BY RANGE (id)")
        conn.execute("CREATE TABLE imp_part0 PARTITION OF imp_parts FOR VALUES FROM (0) TO (100000)")
        conn.execute("CREATE INDEX imp_parts_v ON imp_parts USING hnsw (v vector_l2_ops)")
        part_before = index_state(conn, "imp_part0")
        assert conn.execute("SELECT quiver.import_vectors('imp_part0', 'v', %s, id_column => 'id')", (p,)).fetchone()[0] == 3000
        assert index_state(conn, "imp_part0") == part_before
        assert conn.execute("SELECT quiver.import_vectors('imp_parts', 'v', %s, id_column => 'id',"
                            " options => '{\"id_start\": 3000}')", (p,)).fetchone()[0] == 3000
        assert conn.execute("SELECT count(*) FROM quiver.index_check(%s)",
                            (list(part_before)[0],)).fetchone()[0] == 0
    finally:
        conn.execute("DROP TABLE IF EXISTS imp_parts")
        conn.execute("DROP TABLE imp_d")
        conn.execute("DROP ROLE imp_loader")


def test_kill_9_during_a_deferred_index_import(clusters, files):
    """kill -9 while import_vectors loads rows with the table's hnsw index dropped: after
    recovery the index is there as it was (same OID and definition), the table holds none of
    the import, and the index takes inserts and finds them."""
    import threading

    from pgcluster import PORT_BASE, index_problems, nearest_ids, wait_until

    a = np.random.default_rng(12).standard_normal((20000, 8)).astype(np.float32)
    p = npy(os.path.join(files, "crash.npy"), a)
    c = clusters(PORT_BASE)
    c.init()
    c.start()
    with c.connect() as conn:
        conn.execute("CREATE EXTENSION quiver")
        conn.execute("CREATE TABLE t (id int8, v vector(8))")
        conn.execute("CREATE INDEX t_v ON t USING hnsw (v vector_l2_ops) WITH (m = 8)")
        conn.execute("""CREATE FUNCTION pause() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.id = 15000 THEN PERFORM pg_sleep(60); END IF; RETURN NEW; END $$""")
        conn.execute("CREATE TRIGGER pause BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION pause()")
        before = index_state(conn, "t")

    def run():
        try:
            with c.connect() as conn:
                conn.execute("SELECT quiver.import_vectors('t', 'v', %s, id_column => 'id')", (p,))
        except psycopg.Error:
            pass

    t = threading.Thread(target=run)
    t.start()
    with c.connect() as conn:
        # the index is gone (in the importing transaction) and the rows are coming in
        wait_until(lambda: (conn.execute("SELECT tuples_processed FROM pg_stat_progress_copy").fetchone() or [0])[0] >= 15000,
                   30, what="the import to reach its pause")
        # ... into a table the import holds exclusively: the deferred path was taken
        assert conn.execute("SELECT count(*) FROM pg_locks WHERE relation = 't'::regclass"
                            " AND mode = 'AccessExclusiveLock' AND granted").fetchone()[0] == 1
    c.kill_all()
    t.join(30)
    c.start()
    with c.connect() as conn:
        assert index_state(conn, "t") == before
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 0
        conn.execute("DROP TRIGGER pause ON t")
        conn.execute("INSERT INTO t SELECT i, ('[' || i || ',1,1,1,1,1,1,1]')::vector FROM generate_series(1, 200) i")
        conn.execute("SET enable_seqscan = off")
        assert nearest_ids(conn, "t", "[77,1,1,1,1,1,1,1]", 1) == [77]
        assert index_problems(conn, "t_v") == []


def test_async_import_runs_as_a_job_and_a_failed_one_changes_nothing(conn, files):
    rng = np.random.default_rng(9)
    a = rng.standard_normal((5000, 8)).astype(np.float32)
    path = npy(os.path.join(files, "job.npy"), a)
    conn.execute("DROP TABLE IF EXISTS imp_job")
    conn.execute("CREATE TABLE imp_job (id bigint, v vector(8))")
    conn.execute("INSERT INTO imp_job VALUES (-1, '[1,1,1,1,1,1,1,1]')")
    job = conn.execute("SELECT quiver.import_vectors('imp_job', 'v', %s, id_column => 'id', options => '{\"async\": true}')",
                       (path,)).fetchone()[0]
    kind, target, command = conn.execute("SELECT kind, target, command FROM quiver.jobs WHERE id = %s", (job,)).fetchone()
    assert (kind, target) == ("import", "public.imp_job") and "\"async\"" not in command
    assert conn.execute("CALL quiver.wait(%s)", (job,)).fetchone()[0] == "succeeded"
    got = np.stack(fetch(conn, "imp_job", order="id")[1:])
    assert np.array_equal(got.view(np.uint32), a.view(np.uint32))
    # checked before it is submitted: the file's header, the column's dimension, the option
    p5 = npy(os.path.join(files, "d5.npy"), np.ones((3, 5), np.float32))
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_job', 'v', %s, options => '{\"async\": true}')", (p5,))[0] == "22000"
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_job', 'v', %s, options => '{\"async\": 1}')", (path,)) == (
        "22023", 'option "async" must be true or false')
    # a header that disagrees half way through is found before the job is submitted
    rows = [[1] * 8] * 600 + [[1] * 7] + [[1] * 8] * 10
    hdr = vecs(os.path.join(files, "hdr.fvecs"), rows, "<f4")
    assert sqlstate(conn, "SELECT quiver.import_vectors('imp_job', 'v', %s, options => '{\"async\": true}')", (hdr,))[0] == "22P04"
    # a value that fails half way through: the job fails with the file's error, nothing stays
    nan = a.copy()
    nan[3000, 2] = np.nan
    bad = npy(os.path.join(files, "nan.npy"), nan)
    job = conn.execute("SELECT quiver.import_vectors('imp_job', 'v', %s, options => '{\"async\": true}')", (bad,)).fetchone()[0]
    with pytest.raises(psycopg.Error) as e:
        conn.execute("CALL quiver.wait(%s)", (job,))
    assert e.value.sqlstate == "22000" and "row 3001, element 3: NaN" in e.value.diag.message_primary
    assert conn.execute("SELECT state, sqlstate FROM quiver.jobs WHERE id = %s", (job,)).fetchone() == ("failed", "22000")
    assert conn.execute("SELECT count(*) FROM imp_job").fetchone()[0] == 5001
    conn.execute("DROP TABLE imp_job")
