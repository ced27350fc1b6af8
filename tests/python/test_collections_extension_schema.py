"""quiver created in a schema of its own (CREATE EXTENSION quiver SCHEMA vec) that is not on
the caller's search_path: the collection functions find its types, operators and operator
classes through the extension's schema, never through the search_path."""
import json

import psycopg
import pytest

from conftest import fresh_databases

DB = "quiver_coll_extschema"


@pytest.fixture
def conn(dsn):
    for dbs in fresh_databases(dsn, (DB,)):
        with psycopg.connect(dbs[DB], autocommit=True) as c:
            c.execute("CREATE SCHEMA vec")
            c.execute("CREATE EXTENSION quiver SCHEMA vec")
            c.execute("SET search_path = public")
            yield c


def test_collections_work_with_the_extension_off_the_search_path(conn):
    one = lambda sql, *a: conn.execute(sql, a).fetchone()[0]
    schema = {"fields": [
        {"name": "id", "type": "INT64", "is_primary": True},
        {"name": "emb", "type": "FLOAT_VECTOR", "dim": 2},
        {"name": "half", "type": "FLOAT16_VECTOR", "dim": 2},
        {"name": "sparse", "type": "SPARSE_FLOAT_VECTOR"},
        {"name": "bits", "type": "BINARY_VECTOR", "dim": 8},
        {"name": "tag", "type": "VARCHAR", "max_length": 8},
    ]}
    conn.execute("SELECT quiver.create_collection('docs', schema => %s, metric_type => 'l2',"
                 " index => '[{\"field_name\": \"emb\"}, {\"field_name\": \"bits\", \"metric_type\": \"hamming\"}]')",
                 (json.dumps(schema),))
    assert one("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'docs'::regclass AND attname = 'emb'") \
        == "vec.vector(2)"
    rows = [{"id": i, "emb": [i, 0], "half": [i, 1], "sparse": {str(i): 1.0}, "bits": f"{i:08b}", "tag": f"t{i % 2}"}
            for i in range(1, 5)]
    assert one("SELECT quiver.insert('docs', %s) -> 'insert_count'", json.dumps(rows)) == 4
    ids = lambda sql, *a: [r[0] for r in conn.execute(sql, a).fetchall()]
    assert ids("SELECT id FROM quiver.search('docs', '[2.1, 0]', anns_field => 'emb', \"limit\" => 2)") == ["2", "3"]
    assert ids("SELECT id FROM quiver.search('docs', '[2.1, 0]', anns_field => 'emb', filter => 'tag == \"t1\"', \"limit\" => 1)") == ["3"]
    assert ids("SELECT id FROM quiver.search('docs', '[3, 1]', anns_field => 'half', \"limit\" => 1)") == ["3"]
    assert ids("SELECT id FROM quiver.search('docs', '{\"4\": 1}', anns_field => 'sparse', params => '{\"metric_type\": \"ip\"}', \"limit\" => 1)") == ["4"]
    assert ids("SELECT id FROM quiver.search('docs', '\"00000001\"', anns_field => 'bits', \"limit\" => 1)") == ["1"]
    # query vectors bound as parameters: a Python str (JSON text), Jsonb, a vector value
    from psycopg.types.json import Jsonb
    search = "SELECT id FROM quiver.search('docs', %s, anns_field => 'emb', \"limit\" => 1)"
    assert ids(search, json.dumps([2.9, 0])) == ["3"]
    assert ids(search, Jsonb([2.9, 0])) == ["3"]
    assert ids(search.replace("%s", "%s::vec.vector"), "[2.9, 0]") == ["3"]
    # a stored vector as the query: its type lives in vec
    assert ids("SELECT id FROM quiver.search('docs', (SELECT emb FROM docs WHERE id = 4), anns_field => 'emb', \"limit\" => 1)") == ["4"]
    assert ids("SELECT id FROM quiver.hybrid_search('docs', '[{\"data\": [1, 0], \"anns_field\": \"emb\"},"
               " {\"data\": \"[1, 1]\", \"anns_field\": \"half\"}]', \"limit\" => 1)") == ["1"]
    plan = "\n".join(ids("SELECT * FROM quiver.explain_search('docs', '[1, 0]', anns_field => 'emb')"))
    assert "OPERATOR(vec.<->)" in plan and "vec.vector" in plan
    assert one("SELECT quiver.upsert('docs', %s) -> 'upsert_count'", json.dumps([rows[0] | {"emb": [9, 9]}])) == 1
    assert one("SELECT quiver.delete('docs', filter => 'tag == \"t0\"') -> 'delete_count'") == 2
    assert one("SELECT quiver.count('docs')") == 2
    conn.execute("SELECT quiver.create_index('docs', 'half', metric_type => 'cosine')")
    assert one("SELECT quiver.describe_index('docs', 'half') ->> 'metric_type'") == "COSINE"
    assert one("SELECT opcname FROM pg_opclass o JOIN pg_index x ON x.indclass[0] = o.oid"
               " WHERE x.indexrelid = '\"docs$half\"'::regclass") == "halfvec_cosine_ops"
    conn.execute("SELECT quiver.drop_collection('docs')")
    assert one("SELECT quiver.has_collection('docs')") is False
