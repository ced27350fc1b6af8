"""quiver.bulk_insert: Milvus's bulk insert of row files into a collection — row-based JSON,
JSON lines, Parquet (written with pyarrow) and NumPy one file per field — with every value
coming back exactly, errors that name the file, row and field, and nothing left behind by a
failed import."""

import json
import os
import shutil
import tempfile

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import progress_then_cancel

DIM = 8
SCHEMA = {"fields": [
    {"name": "id", "type": "INT64", "is_primary": True},
    {"name": "vector", "type": "FLOAT_VECTOR", "dim": DIM},
    {"name": "title", "type": "VARCHAR", "max_length": 16},
    {"name": "score", "type": "DOUBLE"},
    {"name": "flag", "type": "BOOL"},
    {"name": "meta", "type": "JSON", "nullable": True},
]}


@pytest.fixture
def files():
    """A directory the server (another OS user when the tests run as root) can read."""
    d = tempfile.mkdtemp(prefix="quiver-bulk-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def coll(conn):
    conn.execute("SELECT quiver.drop_collection('bulk') FROM quiver.list_collections() c WHERE c = 'bulk'")
    conn.execute("SELECT quiver.create_collection('bulk', schema => %s, auto_id => false, metric_type => 'l2')",
                 (json.dumps(SCHEMA),))
    yield "bulk"
    conn.execute("SELECT quiver.drop_collection('bulk')")


def readable(path):
    os.chmod(path, 0o644)
    return path


def write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    return readable(path)


def sample(n, seed=1):
    rng = np.random.default_rng(seed)
    vecs = rng.standard_normal((n, DIM)).astype(np.float32)
    rows = [{"id": 1000 + i, "vector": vecs[i].tolist(), "title": f"t{i}é", "score": float(rng.standard_normal()),
             "flag": bool(i % 2), "meta": {"n": i, "tags": ["a", str(i)]} if i % 3 else None} for i in range(n)]
    return rows, vecs


def loaded(conn):
    """Every row of the collection as (id, vector as float32, title, score, flag, meta)."""
    out = []
    for r in conn.execute("SELECT id, vector, title, score, flag, meta FROM bulk ORDER BY id").fetchall():
        out.append((r[0], np.asarray(r[1], np.float32).tobytes(), r[2], r[3], r[4], r[5]))
    return out


def expected(rows, vecs):
    return [(r["id"], vecs[i].tobytes(), r["title"], r["score"], r["flag"], r["meta"]) for i, r in enumerate(rows)]


def sqlstate(conn, sql, params=()):
    with pytest.raises(psycopg.Error) as e:
        conn.execute(sql, params)
    return e.value.sqlstate, e.value.diag.message_primary


def bulk(conn, *paths, **kw):
    opts = kw.get("options")
    return conn.execute("SELECT quiver.bulk_insert('bulk', %s, %s)",
                        (list(paths), json.dumps(opts) if opts else None)).fetchone()[0]


def test_json_document_wrapped_and_lines_round_trip(conn, coll, files):
    rows, vecs = sample(2500)
    a = write(files, "a.json", json.dumps(rows[:1200]))
    b = write(files, "b.json", json.dumps({"rows": rows[1200:2000]}))
    c = write(files, "c.jsonl", "".join(json.dumps(r) + "\n" for r in rows[2000:]))
    assert bulk(conn, a, b, c) == {"insert_count": 2500}
    assert loaded(conn) == expected(rows, vecs)
    # the rows are searchable like inserted ones
    hit = conn.execute("SELECT id FROM quiver.search('bulk', %s, \"limit\" => 1)", (json.dumps(vecs[7].tolist()),)).fetchone()[0]
    assert int(hit) == 1007


def test_parquet_round_trips(conn, coll, files):
    rows, vecs = sample(3000, seed=2)
    table = pa.table({
        "id": pa.array([r["id"] for r in rows], pa.int64()),
        "vector": pa.array([v.tolist() for v in vecs], pa.list_(pa.float32())),
        "title": pa.array([r["title"] for r in rows], pa.string()),
        "score": pa.array([r["score"] for r in rows], pa.float64()),
        "flag": pa.array([r["flag"] for r in rows], pa.bool_()),
        "meta": pa.array([json.dumps(r["meta"]) if r["meta"] is not None else None for r in rows], pa.string()),
    })
    p = os.path.join(files, "rows.parquet")
    pq.write_table(table, p, row_group_size=700, compression="zstd")
    readable(p)
    assert bulk(conn, p) == {"insert_count": 3000}
    assert loaded(conn) == expected(rows, vecs)


def test_numpy_file_per_field_round_trips(conn, coll, files):
    rows, vecs = sample(1500, seed=3)
    np.save(os.path.join(files, "id.npy"), np.array([r["id"] for r in rows], np.int64))
    np.save(os.path.join(files, "vector.npy"), vecs)
    np.save(os.path.join(files, "title.npy"), np.array([r["title"] for r in rows]))
    np.save(os.path.join(files, "score.npy"), np.array([r["score"] for r in rows], np.float64))
    np.save(os.path.join(files, "flag.npy"), np.array([r["flag"] for r in rows], np.bool_))
    np.save(os.path.join(files, "meta.npy"), np.array([json.dumps(r["meta"]) for r in rows]))
    paths = [readable(os.path.join(files, f"{n}.npy")) for n in ("id", "vector", "title", "score", "flag", "meta")]
    assert bulk(conn, *paths) == {"insert_count": 1500}
    assert loaded(conn) == expected(rows, vecs)


def test_bad_rows_name_file_row_and_field_and_roll_back(conn, coll, files):
    rows, _ = sample(2200, seed=4)
    conn.execute("SELECT quiver.insert('bulk', %s)", (json.dumps(rows[:1]),))

    good = write(files, "good.json", json.dumps(rows[1:1500]))
    cases = [
        # a wrong dimension in the second batch of the second file
        (rows[1500:1800] + [dict(rows[1800], vector=[1.0] * 3)] + rows[1801:],
         "22000", 'file "{p}": row 301: field "vector": expected 8 dimensions, got 3'),
        (rows[1500:1510] + [dict(rows[1510], title="x" * 17)],
         "22001", 'file "{p}": row 11: field "title": 17 characters exceed max_length 16'),
        (rows[1500:1502] + [dict(rows[1502], colour="red")],
         "42703", 'file "{p}": row 3: field "colour" is not in the schema of collection "bulk" (and it has no dynamic field)'),
        (rows[1500:1502] + [rows[0]],
         "23505", 'file "{p}": row 3: primary key 1000 already exists in collection "bulk"'),
        (rows[1500:1502] + [dict(rows[1502], score="high")],
         "42804", 'file "{p}": row 3: field "score": expected a number, got a string'),
    ]
    for i, (bad_rows, state, message) in enumerate(cases):
        p = write(files, f"bad{i}.json", json.dumps(bad_rows))
        assert sqlstate(conn, "SELECT quiver.bulk_insert('bulk', %s)", ([good, p],)) == (state, message.format(p=p))
        assert conn.execute("SELECT count(*) FROM bulk").fetchone()[0] == 1
    # invalid JSON names the row and the line
    p = write(files, "broken.jsonl", json.dumps(rows[1500]) + "\n" + json.dumps(rows[1501])[:-5] + "\n")
    state, message = sqlstate(conn, "SELECT quiver.bulk_insert('bulk', %s)", ([good, p],))
    assert (state, message.split(": control character")[0]) == (
        "22P04", f'file "{p}": row 2: invalid JSON at line 3, column 0')
    p = write(files, "not_rows.json", '{"data": []}')
    assert sqlstate(conn, "SELECT quiver.bulk_insert('bulk', %s)", ([p],))[0] == "22P04"
    assert conn.execute("SELECT count(*) FROM bulk").fetchone()[0] == 1


def test_file_level_errors(conn, coll, files):
    rows, vecs = sample(10, seed=5)
    np.save(os.path.join(files, "id.npy"), np.arange(10, dtype=np.int64))
    np.save(os.path.join(files, "vector.npy"), vecs[:9])
    ids, vec = readable(os.path.join(files, "id.npy")), readable(os.path.join(files, "vector.npy"))
    assert sqlstate(conn, "SELECT quiver.bulk_insert('bulk', %s)", ([ids, vec],)) == (
        "22P04", f'file "{vec}" holds 9 rows, file "{ids}" holds 10')
    np.save(os.path.join(files, "vector.npy"), np.ones((10, DIM), np.float32))
    assert sqlstate(conn, "SELECT quiver.bulk_insert('bulk', %s)", ([ids, vec],))[0] == "23502"  # title missing
    pq_path = os.path.join(files, "cut.parquet")
    pq.write_table(pa.table({"id": pa.array([1, 2], pa.int64())}), pq_path)
    readable(pq_path)
    with open(pq_path, "r+b") as f:
        f.truncate(os.path.getsize(pq_path) - 9)
    state, message = sqlstate(conn, "SELECT quiver.bulk_insert('bulk', %s)", ([pq_path],))
    assert state == "22P04" and message.startswith(f'file "{pq_path}": invalid Parquet file'), message
    assert sqlstate(conn, "SELECT quiver.bulk_insert('bulk', %s)", ([ids, pq_path],)) == (
        "22023", "NumPy files cannot be mixed with other files in one bulk_insert")
    assert sqlstate(conn, "SELECT quiver.bulk_insert('bulk', %s)", ([os.path.join(files, "rows.csv")],)) == (
        "22023", f'cannot tell the format of "{os.path.join(files, "rows.csv")}" from its name')
    missing = os.path.join(files, "missing.json")
    assert sqlstate(conn, "SELECT quiver.bulk_insert('bulk', %s)", ([missing],))[0] == "58P01"
    assert sqlstate(conn, "SELECT quiver.bulk_insert('bulk', '{}')") == ("22023", "files must name at least one file")
    assert sqlstate(conn, "SELECT quiver.bulk_insert('bulk', NULL)") == ("22004", "files must not be null")
    assert sqlstate(conn, "SELECT quiver.bulk_insert('nope', %s)", ([ids],))[0] == "42704"
    assert sqlstate(conn, "SELECT quiver.bulk_insert('bulk', %s, '{\"fmt\": 1}')", ([ids],)) == (
        "22023", 'unknown option "fmt"')
    assert sqlstate(conn, "SELECT quiver.bulk_insert('bulk', %s, partition_name => 'nope')", ([ids],)) == (
        "42704", 'partition "nope" does not exist in collection "bulk"')
    # an explicit format reads a file whatever its name
    odd = write(files, "rows.txt", "".join(json.dumps(r) + "\n" for r in rows))
    assert bulk(conn, odd, options={"format": "jsonl"}) == {"insert_count": 10}
    assert conn.execute("SELECT count(*) FROM bulk").fetchone()[0] == 10


def test_partitions_and_privileges(conn, dsn, coll, files):
    rows, _ = sample(20, seed=6)
    p = write(files, "rows.json", json.dumps(rows))
    conn.execute("SELECT quiver.create_partition('bulk', 'archive')")
    assert conn.execute("SELECT quiver.bulk_insert('bulk', %s, partition_name => 'archive')", ([p],)).fetchone()[0] == {
        "insert_count": 20}
    assert conn.execute("SELECT quiver.count('bulk', partition_names => '{archive}')").fetchone()[0] == 20
    conn.execute("DROP ROLE IF EXISTS bulk_plain")
    conn.execute("CREATE ROLE bulk_plain LOGIN")
    conn.execute("GRANT USAGE ON SCHEMA quiver TO bulk_plain")
    conn.execute("GRANT SELECT, INSERT ON bulk TO bulk_plain")
    try:
        with psycopg.connect(dsn, user="bulk_plain", autocommit=True) as c:
            assert sqlstate(c, "SELECT quiver.bulk_insert('bulk', %s)", ([p],)) == (
                "42501", "permission denied to import from a file")
    finally:
        conn.execute("REVOKE ALL ON bulk FROM bulk_plain")
        conn.execute("REVOKE USAGE ON SCHEMA quiver FROM bulk_plain")
        conn.execute("DROP ROLE bulk_plain")


def test_progress_is_visible_and_cancel_rolls_back(conn, dsn, coll, files):
    """A trigger pauses the import in its fourth batch: meanwhile another session sees the
    progress in pg_stat_progress_copy, then cancels it; nothing of the file stays."""
    rows, _ = sample(6000, seed=7)
    p = write(files, "rows.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    conn.execute("""CREATE FUNCTION bulk_pause() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.id = 4500 THEN PERFORM pg_sleep(30); END IF; RETURN NEW; END $$""")
    conn.execute("CREATE TRIGGER bulk_pause BEFORE INSERT ON bulk FOR EACH ROW EXECUTE FUNCTION bulk_pause()")
    seen, error = progress_then_cancel(
        conn, dsn, "SELECT quiver.bulk_insert('bulk', %s)", ([p],),
        "SELECT command, type, tuples_processed, bytes_total FROM pg_stat_progress_copy WHERE relid = 'bulk'::regclass",
        lambda row: row[2] >= 3000)
    assert seen == ("COPY FROM", "FILE", 3000, os.path.getsize(p))
    assert error == "57014"
    assert conn.execute("SELECT count(*) FROM bulk").fetchone()[0] == 0
    conn.execute("DROP TRIGGER bulk_pause ON bulk")
    conn.execute("DROP FUNCTION bulk_pause()")


def test_binary_float16_vectors_and_dynamic_fields(conn, files):
    """Other vector types from NumPy (binary vectors as uint8 bytes, float16) come back
    exactly; in JSON lines, keys outside the schema go to the dynamic field."""
    schema = {"enable_dynamic_field": True, "fields": [
        {"name": "id", "type": "INT64", "is_primary": True},
        {"name": "bits", "type": "BINARY_VECTOR", "dim": 16},
        {"name": "half", "type": "FLOAT16_VECTOR", "dim": 4},
    ]}
    conn.execute("SELECT quiver.drop_collection('bulk2') FROM quiver.list_collections() c WHERE c = 'bulk2'")
    conn.execute("SELECT quiver.create_collection('bulk2', schema => %s, auto_id => false, metric_type => 'hamming',"
                 " index => '{\"field_name\": \"half\", \"metric_type\": \"L2\"}')", (json.dumps(schema),))
    try:
        rng = np.random.default_rng(11)
        n = 300
        bits = rng.integers(0, 256, size=(n, 2), dtype=np.uint8)
        half = rng.standard_normal((n, 4)).astype(np.float16)
        np.save(os.path.join(files, "id.npy"), np.arange(n, dtype=np.int64))
        np.save(os.path.join(files, "bits.npy"), bits)
        np.save(os.path.join(files, "half.npy"), half)
        paths = [readable(os.path.join(files, f"{f}.npy")) for f in ("id", "bits", "half")]
        assert conn.execute("SELECT quiver.bulk_insert('bulk2', %s)", (paths,)).fetchone()[0] == {"insert_count": n}
        got = conn.execute("SELECT id, bits::text, half::text FROM bulk2 ORDER BY id").fetchall()
        for i, (rid, b, h) in enumerate(got):
            assert rid == i
            assert b == "".join(f"{x:08b}" for x in bits[i])
            assert np.array(json.loads(h), np.float16).tobytes() == half[i].tobytes()
        rows = [{"id": 1000 + i, "bits": "01" * 8, "half": [0.5, -1.0, 2.0, 0.25], "colour": f"c{i}", "n": i}
                for i in range(5)]
        p = write(files, "more.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
        assert conn.execute("SELECT quiver.bulk_insert('bulk2', %s)", ([p],)).fetchone()[0] == {"insert_count": 5}
        q = conn.execute("SELECT * FROM quiver.query('bulk2', filter => 'colour == \"c3\"', output_fields => '{*}')").fetchall()
        assert len(q) == 1 and q[0][0]["n"] == 3 and q[0][0]["id"] in (1003, "1003")
    finally:
        conn.execute("SELECT quiver.drop_collection('bulk2')")


def test_async_bulk_insert_runs_as_a_job(conn, coll, files):
    rows, vecs = sample(40, seed=5)
    p = write(files, "job.jsonl", "\n".join(json.dumps(r) for r in rows))
    out = bulk(conn, p, options={"async": True})
    assert set(out) == {"job"}
    kind, target = conn.execute("SELECT kind, target FROM quiver.jobs WHERE id = %s", (out["job"],)).fetchone()
    assert (kind, target) == ("import", "public.bulk")
    assert conn.execute("CALL quiver.wait(%s)", (out["job"],)).fetchone()[0] == "succeeded"
    assert loaded(conn) == expected(rows, vecs)
    # an invalid row fails the job and nothing of the file stays
    bad = rows[:5] + [{"id": 5000, "vector": [1.0] * (DIM + 1)}]
    p = write(files, "bad.jsonl", "\n".join(json.dumps(r | {"id": 6000 + i}) for i, r in enumerate(bad)))
    out = bulk(conn, p, options={"async": True})
    with pytest.raises(psycopg.Error) as e:
        conn.execute("CALL quiver.wait(%s)", (out["job"],))
    assert e.value.sqlstate is not None and "bad.jsonl" in e.value.diag.message_primary
    assert len(loaded(conn)) == 40
