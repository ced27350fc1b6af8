"""pg_dump / pg_restore of a database with quiver collections: the tables, their partitions,
indexes and identity sequences, and the catalog rows (extension configuration tables) all
come back, and the collection API works on the restored database as before."""
import json

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from conftest import fresh_databases
from test_hnsw_cluster import PG_BIN, run

DBS = ("quiver_coll_src", "quiver_coll_restored")


@pytest.fixture
def dbs(dsn):
    yield from fresh_databases(dsn, DBS)


ITEMS_SCHEMA = {"fields": [
    {"name": "pk", "type": "VARCHAR", "is_primary": True, "max_length": 8},
    {"name": "tenant", "type": "INT64", "is_partition_key": True},
    {"name": "emb", "type": "FLOAT_VECTOR", "dim": 3},
    {"name": "meta", "type": "JSON", "nullable": True},
]}


def populate(conn):
    conn.execute("CREATE EXTENSION quiver")
    conn.execute("SELECT quiver.create_collection('docs', dimension => 4, metric_type => 'l2', auto_id => true)")
    conn.execute("SELECT quiver.create_partition('docs', 'archive')")
    conn.execute("SELECT quiver.create_alias('docs', 'papers')")
    rows = [{"vector": [i, i % 3, i % 5, 1], "topic": f"t{i % 4}"} for i in range(40)]
    conn.execute("SELECT quiver.insert('docs', %s)", (json.dumps(rows),))
    conn.execute("SELECT quiver.insert('docs', %s, partition_name => 'archive')",
                 (json.dumps([{"vector": [100, 0, 0, 1]}]),))
    conn.execute("SELECT quiver.create_collection('items', schema => %s, num_partitions => 4,"
                 " index => '{\"field_name\": \"emb\", \"params\": {\"M\": 8}}')", (json.dumps(ITEMS_SCHEMA),))
    items = [{"pk": f"k{i}", "tenant": i % 7, "emb": [i, -i, 1], "meta": {"n": i}} for i in range(30)]
    conn.execute("SELECT quiver.insert('items', %s)", (json.dumps(items),))


def snapshot(conn):
    one = lambda sql, *a: conn.execute(sql, a).fetchone()[0]
    many = lambda sql, *a: [r[0] for r in conn.execute(sql, a).fetchall()]
    return {
        "collections": many("SELECT * FROM quiver.list_collections()"),
        "describe": [one("SELECT quiver.describe_collection(%s)", c) for c in ("docs", "items")],
        "aliases": many("SELECT * FROM quiver.list_aliases('docs')"),
        "partitions": [many("SELECT * FROM quiver.list_partitions(%s)", c) for c in ("docs", "items")],
        "indexes": [one("SELECT quiver.describe_index(%s, %s) - 'postgres_index'", c, i)
                    for c, i in (("docs", "vector"), ("items", "emb"))],
        "counts": [one("SELECT quiver.count(%s)", c) for c in ("docs", "papers", "items")],
        "search_docs": many("SELECT id FROM quiver.search('docs', '[3, 0, 3, 1]', \"limit\" => 5,"
                            " filter => 'topic == \"t3\"', params => '{\"ef\": 200}')"),
        "search_items": many("SELECT id FROM quiver.search('items', '[4, -4, 1]', \"limit\" => 3,"
                             " filter => 'tenant == 4', params => '{\"ef\": 200}')"),
        "archive": many("SELECT id FROM quiver.search('docs', '[100, 0, 0, 1]', \"limit\" => 1,"
                        " partition_names => '{archive}')"),
    }


def test_collections_survive_dump_and_restore(dsn, dbs, tmp_path):
    with psycopg.connect(dbs["quiver_coll_src"], autocommit=True) as conn:
        populate(conn)
        before = snapshot(conn)
    assert before["counts"] == [41, 41, 30]
    assert len(before["search_docs"]) == 5 and before["archive"] == ["41"]
    assert before["partitions"][1] == ["0", "1", "2", "3"]

    params = conninfo_to_dict(dsn)
    common = ["-h", params.get("host", "127.0.0.1"), "-p", str(params.get("port", "5432")),
              "-U", params.get("user", "postgres")]
    dump = tmp_path / "collections.dump"
    run([PG_BIN / "pg_dump", *common, "-d", "quiver_coll_src", "-Fc", "-f", dump])
    run([PG_BIN / "pg_restore", *common, "-d", "quiver_coll_restored", "--exit-on-error", dump])

    with psycopg.connect(dbs["quiver_coll_restored"], autocommit=True) as conn:
        after = snapshot(conn)
        assert after == before
        # the catalog rows point at the restored tables (by OID, looked up from their names)
        assert conn.execute("SELECT name, relid::text, owner FROM quiver.collections ORDER BY name").fetchall() \
            == [("docs", "docs", "postgres"), ("items", "items", "postgres")]
        # identity sequences continue after the restored rows
        new = conn.execute("SELECT quiver.insert('docs', '[{\"vector\": [0, 0, 0, 0]}]')").fetchone()[0]
        assert new["ids"] == [42]
        # the restored collections keep working: rename, drop, and the catalog follows DDL
        conn.execute("SELECT quiver.rename_collection('items', 'goods')")
        assert conn.execute("SELECT quiver.count('goods')").fetchone()[0] == 30
        conn.execute("ALTER TABLE goods RENAME TO wares")
        assert conn.execute("SELECT quiver.count('wares')").fetchone()[0] == 30
        assert conn.execute("SELECT * FROM quiver.list_partitions('wares')").fetchall() == [("0",), ("1",), ("2",), ("3",)]
        conn.execute("DROP TABLE wares")
        assert conn.execute("SELECT * FROM quiver.list_collections()").fetchall() == [("docs",)]
        conn.execute("DROP TABLE docs")
        assert conn.execute("SELECT count(*) FROM quiver.collections").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM quiver.aliases").fetchone()[0] == 0
