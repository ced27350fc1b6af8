-- Collection properties (Milvus's alter_collection_properties / drop_collection_properties)
-- and the TTL: rows older than collection.ttl.seconds are never returned by search, query, get,
-- count or hybrid_search, and purge_expired deletes them. Rows are aged by moving their
-- "$inserted_at" back, so nothing here waits.
SET client_min_messages = warning;
SELECT quiver.create_collection('ttl', dimension => 2, metric_type => 'l2',
  properties => '{"mmap.enabled": false, "team": "search"}');
SELECT quiver.describe_collection('ttl') -> 'properties' AS properties,
       quiver.describe_collection('ttl') ->> 'consistency_level' AS consistency_level;
-- no TTL yet: no insert-time column
SELECT count(*) FROM pg_attribute WHERE attrelid = 'ttl'::regclass AND attname = '$inserted_at';
SELECT quiver.insert('ttl', (SELECT jsonb_agg(jsonb_build_object('id', i, 'vector', jsonb_build_array(i, 0), 'k', i % 2))
                             FROM generate_series(1, 10) i)) ->> 'insert_count' AS inserted;

-- a TTL: the table gets "$inserted_at" (rows already there count from now), every read filters
SELECT quiver.alter_collection_properties('ttl', '{"collection.ttl.seconds": 3600}');
SELECT quiver.describe_collection('ttl') -> 'properties' AS properties;
SELECT format_type(atttypid, atttypmod), attnotnull FROM pg_attribute WHERE attrelid = 'ttl'::regclass AND attname = '$inserted_at';
SELECT quiver.count('ttl');
-- rows 1..4 were inserted two hours ago
UPDATE ttl SET "$inserted_at" = now() - interval '2 hours' WHERE id <= 4;
SELECT quiver.count('ttl'), quiver.count('ttl', filter => 'k == 0');
SELECT array_agg((q ->> 'id')::int ORDER BY (q ->> 'id')::int) AS query_ids FROM quiver.query('ttl', filter => 'id > 0') q;
SELECT array_agg((g ->> 'id')::int) AS get_ids FROM quiver.get('ttl', '[1, 2, 5, 6]') g;
SELECT array_agg(id ORDER BY distance) AS search_ids FROM quiver.search('ttl', '[0, 0]', "limit" => 5);
SELECT array_agg(id ORDER BY distance) AS range_ids
  FROM quiver.search('ttl', '[0, 0]', params => '{"radius": 50}', "limit" => 10);
SELECT array_agg(id) AS hybrid_ids
  FROM quiver.hybrid_search('ttl', '[{"data": [0, 0], "anns_field": "vector", "limit": 3}]', "limit" => 3);
-- the index is used: the same rows with the index only
SET enable_seqscan = off;
SELECT array_agg(id ORDER BY distance) AS index_search_ids FROM quiver.search('ttl', '[0, 0]', "limit" => 3);
RESET enable_seqscan;
-- plain SQL still sees them until they are purged
SELECT count(*) FROM ttl;
-- delete reaches expired rows too
SELECT quiver.delete('ttl', ids => '[2]') -> 'delete_count' AS deleted_expired;
-- upsert gives a row a new insert time (as Milvus's upsert does)
SELECT quiver.upsert('ttl', '[{"id": 1, "vector": [1, 0], "k": 1}]') ->> 'upsert_count' AS upserted;
SELECT quiver.count('ttl');
SELECT quiver.purge_expired('ttl') AS purged, count(*) AS left_in_table FROM ttl;
SELECT quiver.purge_expired('ttl') AS purged_again;
-- a column the TTL needs cannot be dropped while the TTL is set
SELECT err($$ALTER TABLE ttl DROP COLUMN "$inserted_at"$$);
-- TTL 0 means none: every row is read again
UPDATE ttl SET "$inserted_at" = now() - interval '3 hours' WHERE id = 5;
SELECT quiver.count('ttl');
SELECT quiver.alter_collection_properties('ttl', '{"collection.ttl.seconds": "0"}');
SELECT quiver.count('ttl'), quiver.purge_expired('ttl') AS purged;
SELECT quiver.alter_collection_properties('ttl', '{"collection.ttl.seconds": 60}');
SELECT quiver.count('ttl');
SELECT quiver.drop_collection_properties('ttl', '{collection.ttl.seconds,team,not.there}');
SELECT quiver.describe_collection('ttl') -> 'properties' AS properties, quiver.count('ttl');
SELECT quiver.drop_collection_properties('ttl', '{mmap.enabled}');
SELECT quiver.describe_collection('ttl') ? 'properties' AS has_properties,
       (SELECT definition ? 'properties' FROM quiver.collections WHERE name = 'ttl') AS stored;

-- bad values, each with its SQLSTATE
SELECT err($$SELECT quiver.alter_collection_properties('ttl', '{"collection.ttl.seconds": -1}')$$);
SELECT err($$SELECT quiver.alter_collection_properties('ttl', '{"collection.ttl.seconds": "1h"}')$$);
SELECT err($$SELECT quiver.alter_collection_properties('ttl', '{"collection.ttl.seconds": 1e12}')$$);
SELECT err($$SELECT quiver.alter_collection_properties('ttl', '{"mmap.enabled": "yes"}')$$);
SELECT err($$SELECT quiver.alter_collection_properties('ttl', '{"k": {"a": 1}}')$$);
SELECT err($$SELECT quiver.alter_collection_properties('ttl', '[1]')$$);
SELECT err($$SELECT quiver.alter_collection_properties('ttl', NULL)$$);
SELECT err($$SELECT quiver.alter_collection_properties('nope', '{}')$$);
SELECT err($$SELECT quiver.create_collection('ttl2', dimension => 2, properties => '{"collection.ttl.seconds": -5}')$$);
SELECT quiver.has_collection('ttl2') AS ttl2_created;
-- only the owner may change properties
DROP ROLE IF EXISTS quiver_props_reader;
CREATE ROLE quiver_props_reader;
GRANT SELECT ON ttl TO quiver_props_reader;
SET ROLE quiver_props_reader;
SELECT err($$SELECT quiver.alter_collection_properties('ttl', '{"collection.ttl.seconds": 1}')$$);
SELECT err($$SELECT quiver.drop_collection_properties('ttl', '{mmap.enabled}')$$);
RESET ROLE;
REVOKE ALL ON ttl FROM quiver_props_reader;
DROP ROLE quiver_props_reader;
-- through an alias, and kept by a rename
SELECT quiver.create_alias('ttl', 'ttl_alias');
SELECT quiver.alter_collection_properties('ttl_alias', '{"collection.ttl.seconds": 120}');
SELECT quiver.rename_collection('ttl', 'ttl_renamed');
SELECT quiver.describe_collection('ttl_renamed') -> 'properties' AS properties;
SELECT quiver.drop_collection('ttl_renamed');

-- load / release / flush / compact: a collection is always loaded and a commit durable; they
-- check that the collection exists; compact purges the rows past the TTL and analyzes
SELECT quiver.create_collection('lrfc', dimension => 2, properties => '{"collection.ttl.seconds": 60}');
SELECT quiver.insert('lrfc', '[{"id": 1, "vector": [1, 0]}, {"id": 2, "vector": [0, 1]}]') ->> 'insert_count' AS inserted;
UPDATE lrfc SET "$inserted_at" = now() - interval '1 hour' WHERE id = 1;
SELECT quiver.load_collection('lrfc'), quiver.release_collection('lrfc'), quiver.flush('lrfc');
SELECT reltuples AS rows_before_analyze FROM pg_class WHERE relname = 'lrfc$_default';
SELECT quiver.compact('lrfc') AS purged;
SELECT (SELECT count(*) FROM lrfc) AS rows_left, (SELECT reltuples FROM pg_class WHERE relname = 'lrfc$_default') AS analyzed_rows;
SELECT err($$SELECT quiver.load_collection('nope')$$);
SELECT err($$SELECT quiver.flush('nope')$$);
SELECT err($$SELECT quiver.compact(NULL)$$);
SELECT quiver.drop_collection('lrfc');
