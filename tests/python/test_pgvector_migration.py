"""Arriving from pgvector: dumps made by pgvector 0.8.6 (tests/fixtures/pgvector-dump, plain and
custom format, of a database that uses every type, hnsw and ivfflat indexes with every operator
class family, expression and partial indexes, a partitioned table, views and a materialized view
over the casts) restore unchanged into a server where quiver's "vector" extension
(scripts/vector-alias.sh, `make install-vector-alias`) replaces pgvector: with ON_ERROR_STOP and in
one transaction, into a new database and into one that already has quiver.

The server is a private copy of the test installation (pgcluster.private_installation), so the
alias never touches the real one, where pgvector may be installed for benchmarks."""
import json
import math
import re
import shutil
from pathlib import Path

import psycopg
import pytest

from pgcluster import PG_BIN, PORT_BASE, ROOT, Cluster, private_installation, run

FIXTURES = ROOT / "tests" / "fixtures" / "pgvector-dump"
PLAIN = FIXTURES / "pgvector-0.8.6.sql"
CUSTOM = FIXTURES / "pgvector-0.8.6.dump"
VIEWS = FIXTURES / "pgvector-0.8.6-views.jsonl"
PGVECTOR_COMMENT = "vector data type and ivfflat and hnsw access methods"

# An extension "vector" whose type vector is not quiver's: pgvector's place in the guard tests.
STAND_IN = "-- pgvector's stand-in for quiver's tests\nCREATE TYPE vector AS (x integer);\n"


@pytest.fixture(scope="module")
def server():
    dest = Path(f"/tmp/quiver-private-pg-{PORT_BASE}")
    bindir = private_installation(dest, {"vector--0.0.1.sql": STAND_IN})
    real_ext = Path(run([PG_BIN / "pg_config", "--sharedir"]).stdout.strip()) / "extension"
    ext = Path(run([bindir / "pg_config", "--sharedir"]).stdout.strip()) / "extension"
    assert str(ext).startswith(str(dest)), ext
    run([ROOT / "scripts" / "vector-alias.sh", real_ext, ext])
    cluster = Cluster(PORT_BASE, bindir=bindir)
    cluster.init()
    cluster.start()
    yield cluster
    cluster.stop()
    shutil.rmtree(dest, ignore_errors=True)


@pytest.fixture
def db(server):
    """A fresh database on the private server; returns a function that connects to it."""
    name = "pgv_migration"
    with server.connect() as c:
        c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {name}")
    yield name
    with server.connect() as c:
        c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def client(server, db):
    return ["-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", "-d", db]


def restore_plain(server, db, path=PLAIN):
    run([PG_BIN / "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
         *client(server, db), "-f", path])


def restore_custom(server, db, path=CUSTOM):
    run([PG_BIN / "pg_restore", "--exit-on-error", "--single-transaction", *client(server, db), path])


# --------------------------------------------------------------------------------------------
# what a restored database must hold


def dump_copy_rows(table):
    """Column names and rows (text fields, None for NULL) of `table`'s COPY block in the plain
    dump: the values as pgvector printed them."""
    text = PLAIN.read_text()
    m = re.search(rf"^COPY {re.escape(table)} \((.*?)\) FROM stdin;\n(.*?)^\\\.$", text, re.M | re.S)
    assert m, f"no COPY block for {table}"
    cols = [c.strip() for c in m.group(1).split(",")]
    rows = [[None if f == r"\N" else f for f in line.split("\t")] for line in m.group(2).splitlines()]
    return cols, rows


def dump_indexes():
    """{index name: definition} of every CREATE INDEX in the plain dump."""
    return {m.group(1): m.group(0) for m in
            re.finditer(r"^CREATE INDEX (\w+) ON .*(?=;$)", PLAIN.read_text(), re.M)}


def parse_vector_text(s):
    if s.startswith("[") and s.endswith("]"):
        return ("dense", [float(x) for x in s[1:-1].split(",") if x])
    m = re.fullmatch(r"\{(.*)\}/(\d+)", s)
    if m:
        pairs = [p.split(":") for p in m.group(1).split(",") if p]
        return ("sparse", int(m.group(2)), [int(i) for i, _ in pairs], [float(v) for _, v in pairs])
    return None


def assert_close(ours, theirs, where):
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_close(a, b, f"{where}[{i}]")
    elif isinstance(theirs, (int, float)) and not isinstance(theirs, bool):
        assert math.isclose(ours, theirs, rel_tol=1e-5, abs_tol=1e-6), f"{where}: {ours} vs {theirs}"
    elif isinstance(theirs, str) and parse_vector_text(theirs) is not None:
        a, b = parse_vector_text(ours), parse_vector_text(theirs)
        assert a is not None and a[:-1] == b[:-1], f"{where}: {ours} vs {theirs}"
        assert_close(a[-1], b[-1], where)
    else:
        assert ours == theirs, f"{where}: {ours!r} vs {theirs!r}"


OPERATOR = {"l2": "<->", "ip": "<#>", "cosine": "<=>", "l1": "<+>", "hamming": "<~>", "jaccard": "<%>"}
QUERY = {"vector(3)": "'[0.3,-0.2,0.9]'", "halfvec(3)": "'[0.3,-0.2,0.9]'", "sparsevec": "'{1:0.5,3:-1}/5'",
         "bit(8)": "B'10110001'", "bit(3)": "B'101'", "vector(2)": "'[2,-1]'", "vector(4)": "'[3,1,1,-0.5]'"}


def index_scan_cases(conn):
    """(index, table, key expression, operator, query literal, predicate) for every vector index."""
    rows = conn.execute("""
        SELECT i.indexrelid::regclass::text, i.indrelid::regclass::text, am.amname,
               pg_get_indexdef(i.indexrelid, 1, false), opc.opcname,
               format_type(a.atttypid, a.atttypmod), pg_get_expr(i.indpred, i.indrelid)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
        JOIN pg_opclass opc ON opc.oid = i.indclass[0]
        JOIN pg_attribute a ON a.attrelid = i.indexrelid AND a.attnum = 1
        WHERE am.amname IN ('hnsw', 'ivfflat') AND c.relkind = 'i' ORDER BY 1""").fetchall()
    for index, table, am, key, opclass, keytype, pred in rows:
        op = OPERATOR[opclass.split("_")[1]]
        qtype = keytype.removeprefix("public.")
        qtype = "sparsevec" if qtype.startswith("sparsevec") else qtype
        yield index, table, am, key, op, f"{QUERY[qtype]}::{keytype}", pred


def check_index_scans_are_exact(conn):
    cases = list(index_scan_cases(conn))
    checked = 0
    for index, table, am, key, op, q, pred in cases:
        idcol = "id" if table.endswith("items") else "label"
        where = f"WHERE {pred}" if pred else ""
        op = f"OPERATOR(public.{op})"
        sql = f"SELECT {idcol}, ({key}) {op} {q} AS d FROM {table} {where} ORDER BY ({key}) {op} {q} LIMIT 10"
        with conn.transaction(force_rollback=True):
            # the table's other vector indexes go for the moment, so the planner takes this one
            for other, other_table, *_ in cases:
                if other_table == table and other != index:
                    conn.execute(f"DROP INDEX {other}")
            conn.execute("SET LOCAL hnsw.ef_search = 400")
            conn.execute("SET LOCAL ivfflat.probes = 100")
            conn.execute("SET LOCAL enable_seqscan = off")
            plan = "\n".join(r[0] for r in conn.execute("EXPLAIN (COSTS OFF) " + sql))
            assert f"Index Scan using {index.split('.')[-1]} " in plan, f"{index} not used:\n{plan}"
            by_index = conn.execute(sql).fetchall()
            conn.execute("SET LOCAL enable_seqscan = on")
            conn.execute("SET LOCAL enable_indexscan = off")
            conn.execute("SET LOCAL enable_bitmapscan = off")
            exact = conn.execute(sql).fetchall()
        assert len(by_index) == len(exact) == 10, index
        assert [round(d, 5) for _, d in by_index] == [round(d, 5) for _, d in exact], index
        # ties at the cut-off may be broken either way; everything before it must agree
        last = exact[-1][1]
        assert {i for i, d in by_index if d < last - 1e-6} == {i for i, d in exact if d < last - 1e-6}, index
        checked += 1
    return checked


def check_restored(conn):
    conn.execute("SET search_path = ''")
    # every row, as pgvector printed it in the dump, back unchanged
    for table in ("public.items", "app.events_1", "app.events_2"):
        cols, rows = dump_copy_rows(table)
        got = conn.execute(f"SELECT {', '.join(f't.{c}::text' for c in cols)} FROM {table} AS t"
                           f" ORDER BY t.{cols[0]}, t.{cols[2]}").fetchall()
        want = sorted(rows, key=lambda r: (int(r[0]), r[2] or ""))
        assert [list(r) for r in got] == want, table
    # every index, with the definition the dump gave it, valid and consistent
    want = dump_indexes()
    got = dict(conn.execute("""
        SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('public', 'app') AND NOT i.indisprimary AND i.indisvalid""").fetchall())
    # quiver makes vector_l2_ops hnsw's default operator class (pgvector has none for hnsw), so
    # pg_get_indexdef leaves that name out; the operator classes themselves must match
    defaults = {r for r in conn.execute("""SELECT am.amname, o.opcname FROM pg_opclass o
        JOIN pg_am am ON am.oid = o.opcmethod WHERE o.opcdefault AND am.amname IN ('hnsw', 'ivfflat')""")}
    normal = {name: re.sub(r" public\.(\w+_ops)", lambda m: "" if (d.split(" USING ")[1].split()[0], m.group(1))
                           in defaults else m.group(0), d) for name, d in want.items()}
    assert got == normal
    opclasses = dict(conn.execute("""SELECT c.relname, array_agg(o.opcname::text ORDER BY k.n)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid, unnest(i.indclass) WITH ORDINALITY k(oid, n)
        JOIN pg_opclass o ON o.oid = k.oid GROUP BY c.relname""").fetchall())
    for name, d in want.items():
        named = re.findall(r" public\.(\w+_ops)", d)
        if named:
            assert opclasses[name] == named, name
    for (index,) in conn.execute("""SELECT c.oid::regclass::text FROM pg_class c JOIN pg_am am ON am.oid = c.relam
                                    WHERE am.amname IN ('hnsw', 'ivfflat') AND c.relkind = 'i'""").fetchall():
        assert conn.execute("SELECT * FROM quiver.index_check(%s::regclass)", (index,)).fetchall() == [], index
    assert check_index_scans_are_exact(conn) == 16
    # the views compute what pgvector computed (quiver's distances are exact to more digits)
    theirs = [json.loads(line) for line in VIEWS.read_text().splitlines()]
    ours = [r[0] for r in conn.execute("SELECT row_to_json(c) FROM public.item_casts c ORDER BY id")]
    ours += [r[0] for r in conn.execute("SELECT row_to_json(a) FROM public.item_aggregates a")]
    assert len(ours) == len(theirs) == 301
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a.keys() == b.keys()
        for k in b:
            assert_close(a[k], b[k], f"row {i} {k}")
    # the materialized view was refreshed by the restore, with the exact nearest rows
    exact = [r[0] for r in conn.execute(
        "SELECT id FROM public.items ORDER BY embedding OPERATOR(public.<->) '[0.5,0.5,0.5]' LIMIT 5")]
    assert [r[0] for r in conn.execute("SELECT id FROM public.item_nearest ORDER BY d")] == exact
    conn.execute("SET search_path = public")  # the dump's SQL function names its table unqualified
    assert [r[0] for r in conn.execute("SELECT nearest_items('[0.5,0.5,0.5]', 5)")] == exact
    conn.execute("SET search_path = ''")
    # sequences, defaults, domains and constraints came back; new rows reach the indexes
    new = conn.execute("INSERT INTO public.items (embedding) VALUES ('[9,9,9]') RETURNING id, wide::text").fetchone()
    assert new == (301, "[0,0,0,0]")
    conn.execute("SET enable_seqscan = off")
    assert conn.execute("SELECT id FROM public.items ORDER BY embedding OPERATOR(public.<->) '[9,9,8.5]'"
                        " LIMIT 1").fetchone()[0] == 301
    conn.execute("RESET enable_seqscan")
    with pytest.raises(psycopg.errors.DataException, match="expected 3 dimensions, not 2"):
        conn.execute("INSERT INTO public.items (embedding, dom) VALUES ('[1,1,1]', '[1,2]')")
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute("INSERT INTO app.events VALUES (1, '[0,0,0,0]', 'zero')")
    conn.execute("RESET search_path")


def extension_members(conn, name):
    return conn.execute("""SELECT count(*) FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                           WHERE e.extname = %s AND d.deptype = 'e'""", (name,)).fetchone()[0]


def vector_type_library(conn):
    return conn.execute("SELECT p.probin FROM pg_type t JOIN pg_proc p ON p.oid = t.typinput"
                        " WHERE t.typname = 'vector' AND t.typnamespace = 'public'::regnamespace").fetchone()[0]


# --------------------------------------------------------------------------------------------
# restores


def test_plain_dump_restores_into_a_new_database(server, db):
    restore_plain(server, db)
    with server.connect(db) as conn:
        ext = conn.execute("SELECT extversion, extnamespace::regnamespace::text,"
                           " obj_description(oid, 'pg_extension') FROM pg_extension WHERE extname = 'vector'").fetchone()
        assert ext == ("0.8.0", "public", PGVECTOR_COMMENT)
        assert conn.execute("SELECT count(*) FROM pg_extension WHERE extname = 'quiver'").fetchone()[0] == 0
        assert vector_type_library(conn) == "$libdir/quiver"
        assert extension_members(conn, "vector") > 100
        check_restored(conn)


def test_custom_dump_restores_in_one_transaction_and_dumps_again(server, db):
    restore_custom(server, db)
    with server.connect(db) as conn:
        check_restored(conn)
    # a database restored this way dumps as pgvector's did, and that dump restores too
    again = Path(f"/tmp/quiver-pgv-again-{PORT_BASE}.dump")
    run([PG_BIN / "pg_dump", "-Fc", *client(server, db), "-f", again])
    with server.connect() as c:
        c.execute("DROP DATABASE IF EXISTS pgv_again WITH (FORCE)")
        c.execute("CREATE DATABASE pgv_again")
    try:
        restore_custom(server, "pgv_again", again)
        with server.connect("pgv_again") as conn:
            assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 301
            assert conn.execute("SELECT count(*) FROM pg_indexes WHERE indexdef LIKE '%USING hnsw%'"
                                " OR indexdef LIKE '%USING ivfflat%'").fetchone()[0] == 17
            assert conn.execute("SELECT * FROM quiver.index_check('items_l2_hnsw')").fetchall() == []
    finally:
        again.unlink(missing_ok=True)
        with server.connect() as c:
            c.execute("DROP DATABASE IF EXISTS pgv_again WITH (FORCE)")


def test_dump_restores_into_a_database_that_has_quiver(server, db):
    with server.connect(db) as conn:
        conn.execute("CREATE EXTENSION quiver")
        members = extension_members(conn, "quiver")
    restore_plain(server, db)
    with server.connect(db) as conn:
        # the dump's CREATE EXTENSION only recorded pgvector's name; quiver keeps its objects
        assert extension_members(conn, "vector") == 0
        assert extension_members(conn, "quiver") == members
        assert conn.execute("SELECT obj_description(oid, 'pg_extension') FROM pg_extension"
                            " WHERE extname = 'vector'").fetchone()[0] == PGVECTOR_COMMENT
        check_restored(conn)
        # the name can go again without taking quiver's objects with it
        conn.execute("DROP EXTENSION vector")
        assert conn.execute("SELECT count(*) FROM items WHERE embedding <-> '[0,0,0]' > 0").fetchone()[0] == 301


def test_orm_create_extension_against_quiver(server, db):
    """Django's VectorExtension() and ORMs' setup code run CREATE EXTENSION IF NOT EXISTS vector."""
    with server.connect(db) as conn:
        conn.execute("CREATE EXTENSION quiver")
        for _ in range(2):
            conn.execute('CREATE EXTENSION IF NOT EXISTS "vector"')
        assert conn.execute("SELECT count(*) FROM pg_extension WHERE extname IN ('vector', 'quiver')").fetchone()[0] == 2
        assert conn.execute("SELECT '[1,2]'::vector <-> '[4,6]'").fetchone()[0] == 5.0
        # quiver dropped and created again while the name is recorded: the name does not block it
        conn.execute("DROP EXTENSION quiver")
        conn.execute("CREATE EXTENSION quiver")
        assert conn.execute("SELECT '[1,2]'::vector <-> '[4,6]'").fetchone()[0] == 5.0


def test_quiver_in_another_schema_is_named_in_a_warning(server, db):
    with server.connect(db) as conn:
        conn.execute('CREATE SCHEMA "odd ""schema"""')
        conn.execute('CREATE EXTENSION quiver SCHEMA "odd ""schema"""')
        notices = []
        conn.add_notice_handler(lambda d: notices.append(d.message_primary))
        conn.execute("CREATE EXTENSION vector")
        assert notices == ['pgvector\'s names are provided by extension "quiver" in schema "odd ""schema"""']


def test_a_second_provider_of_pgvectors_names_is_refused(server, db):
    with server.connect(db) as conn:
        conn.execute("CREATE EXTENSION vector")  # all of quiver, under pgvector's name
        with pytest.raises(psycopg.errors.DuplicateObject,
                           match='quiver is already installed in this database as extension "vector"'):
            conn.execute("CREATE EXTENSION quiver")
        conn.execute("DROP EXTENSION vector")
        conn.execute("CREATE EXTENSION vector VERSION '0.0.1'")  # pgvector's stand-in
        with pytest.raises(psycopg.errors.DuplicateObject,
                           match=r'extension "vector" \(pgvector\) is installed in this database'):
            conn.execute("CREATE EXTENSION quiver")
        assert conn.execute("SELECT count(*) FROM pg_extension WHERE extname = 'quiver'").fetchone()[0] == 0


def test_alias_script_does_not_replace_pgvector(tmp_path):
    real_ext = Path(run([PG_BIN / "pg_config", "--sharedir"]).stdout.strip()) / "extension"
    (tmp_path / "vector.control").write_text("comment = 'vector data type and ivfflat and hnsw access methods'\n")
    proc = run([ROOT / "scripts" / "vector-alias.sh", real_ext, tmp_path], check=False)
    assert proc.returncode == 1 and "is pgvector's; FORCE=1 replaces pgvector" in proc.stderr
    assert not (tmp_path / "vector--0.8.0.sql").exists()
    # its own files it replaces (make install refreshes them)
    (tmp_path / "vector.control").unlink()
    run([ROOT / "scripts" / "vector-alias.sh", real_ext, tmp_path])
    run([ROOT / "scripts" / "vector-alias.sh", real_ext, tmp_path])
    assert "quiver_alias_body" in (tmp_path / "vector--0.8.0.sql").read_text()
