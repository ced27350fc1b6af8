"""pgvector's psycopg 3 adapter (register_vector) against quiver, text and binary I/O."""
import numpy as np
import psycopg
import pytest
from pgvector import HalfVector, SparseVector


def test_vector_binary_round_trip(conn):
    conn.execute("DROP TABLE IF EXISTS py_items")
    conn.execute("CREATE TABLE py_items (id int PRIMARY KEY, v vector(3), h halfvec(3), s sparsevec(5))")
    v = np.array([1.5, -2.25, 3e-7], dtype=np.float32)
    h = HalfVector([0.5, 1.0, -2.0])
    s = SparseVector({0: 1.5, 3: -2.0}, 5)
    with conn.cursor(binary=True) as cur:
        cur.execute("INSERT INTO py_items VALUES (%s, %s, %s, %s)", (1, v, h, s), binary=True)
        cur.execute("SELECT v, h, s FROM py_items WHERE id = 1", binary=True)
        rv, rh, rs = cur.fetchone()
    assert isinstance(rv, np.ndarray) and rv.dtype == np.float32
    assert np.array_equal(rv, v)
    assert rh.to_list() == [0.5, 1.0, -2.0]
    assert rs.dimensions() == 5 and rs.indices() == [0, 3] and rs.values() == [1.5, -2.0]


def test_vector_text_round_trip(conn):
    v = np.array([0.1, 1e-45, 3.4028235e38, -1234567.0], dtype=np.float32)
    row = conn.execute("SELECT %s::vector, %s::vector::text", (v, v)).fetchone()
    assert np.array_equal(row[0], v)
    assert row[1] == "[0.1,1e-45,3.4028235e+38,-1.234567e+06]"


def test_binary_copy(conn):
    conn.execute("DROP TABLE IF EXISTS py_copy")
    conn.execute("CREATE TABLE py_copy (id int, v vector(8))")
    rng = np.random.default_rng(7)
    data = rng.standard_normal((500, 8)).astype(np.float32)
    with conn.cursor() as cur:
        with cur.copy("COPY py_copy (id, v) FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "vector"])
            for i, row in enumerate(data):
                copy.write_row((i, row))
    rows = conn.execute("SELECT id, v FROM py_copy ORDER BY id").fetchall()
    assert len(rows) == 500
    assert all(np.array_equal(v, data[i]) for i, v in rows)


def test_exact_search_matches_numpy(conn):
    conn.execute("DROP TABLE IF EXISTS py_search")
    conn.execute("CREATE TABLE py_search (id int, v vector(32))")
    rng = np.random.default_rng(11)
    data = rng.standard_normal((2000, 32)).astype(np.float32)
    with conn.cursor() as cur:
        with cur.copy("COPY py_search (id, v) FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "vector"])
            for i, row in enumerate(data):
                copy.write_row((i, row))
    d64 = data.astype(np.float64)
    for q in rng.standard_normal((5, 32)).astype(np.float32):
        q64 = q.astype(np.float64)
        expected = {
            "<->": np.argsort(np.linalg.norm(d64 - q64, axis=1), kind="stable")[:10],
            "<#>": np.argsort(-(d64 @ q64), kind="stable")[:10],
            "<=>": np.argsort(1 - (d64 @ q64) / (np.linalg.norm(d64, axis=1) * np.linalg.norm(q64)), kind="stable")[:10],
            "<+>": np.argsort(np.abs(d64 - q64).sum(axis=1), kind="stable")[:10],
        }
        for op, ids in expected.items():
            got = [r[0] for r in conn.execute(f"SELECT id FROM py_search ORDER BY v {op} %s LIMIT 10", (q,))]
            assert got == ids.tolist(), op


def test_errors_have_sqlstates(conn):
    cases = [
        ("SELECT '[1,2'::vector", "22P02"),
        ("SELECT '[]'::vector", "22000"),
        ("SELECT '[1]'::vector(0)", "22023"),
        ("SELECT '[1e50]'::vector", "22003"),
        ("SELECT array_fill(1, ARRAY[16001])::real[]::vector", "54000"),
        ("SELECT '[1,2]'::vector <-> '[1,2,3]'", "22000"),
        ("SELECT '[NaN]'::vector", "22000"),
        ("SELECT '[1,2]'::vector(3)", "22000"),
    ]
    for sql, state in cases:
        with pytest.raises(psycopg.Error) as exc:
            conn.execute(sql)
        assert exc.value.sqlstate == state, sql
