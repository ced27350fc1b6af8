-- Collections and filters inside the vector index: the partition key and every field with a
-- scalar index (create_index on a scalar field: a btree) are attribute columns of the
-- collection's hnsw indexes, so quiver.search's filters run inside the index; existing
-- vector indexes are rebuilt when a scalar index is added; explain_search shows which path
-- ran. Results equal the exact filtered search and fill their limit.
SET client_min_messages = warning;
SELECT setseed(0.25);
SELECT quiver.create_collection('shop', schema => '{"fields": [
  {"name": "id", "type": "INT64", "is_primary": true},
  {"name": "tenant", "type": "VARCHAR", "max_length": 16},
  {"name": "year", "type": "INT32"},
  {"name": "category", "type": "VARCHAR", "max_length": 8},
  {"name": "ok", "type": "BOOL"},
  {"name": "price", "type": "FLOAT"},
  {"name": "body", "type": "VARCHAR", "max_length": 4000},
  {"name": "meta", "type": "JSON"},
  {"name": "emb", "type": "FLOAT_VECTOR", "dim": 8}]}',
  metric_type => 'l2', partition_key => 'tenant', num_partitions => 4,
  index => '{"field_name": "emb", "params": {"M": 8, "efConstruction": 32}}');
-- the partition key is inside the vector index from the start
SELECT quiver.describe_index('shop', 'emb') - 'postgres_index' - 'size_bytes' AS emb_index;
-- 20 tenants x 1,000 rows; 20 years; 100 categories
SELECT (quiver.insert('shop', (
  SELECT jsonb_agg(jsonb_build_object('id', i, 'tenant', 't' || (i % 20), 'year', 2000 + (i / 7) % 20,
                                      'category', 'c' || (i / 20) % 100, 'ok', (i / 11) % 3 = 0, 'price', i / 10.0,
                                      'body', repeat('x', i % 50), 'meta', jsonb_build_object('i', i),
                                      'emb', (SELECT jsonb_agg(round((random() * 10)::numeric, 3)) FROM generate_series(1, 8) WHERE i > 0)))
    FROM generate_series(1, 20000) i)) ->> 'insert_count')::int AS inserted;

-- scalar indexes: a btree each; supported fields join the vector index (rebuilt)
SELECT quiver.create_index('shop', 'year', 'STL_SORT');
SELECT quiver.create_index('shop', 'category');
SELECT quiver.create_index('shop', 'ok', 'BITMAP', index_name => 'ok_idx');
SELECT quiver.create_index('shop', 'price', 'INVERTED');
SELECT quiver.create_index('shop', 'body', 'INVERTED');
SELECT quiver.list_indexes('shop') ORDER BY 1;
SELECT quiver.describe_index('shop', 'emb') - 'postgres_index' - 'size_bytes' AS emb_index;
SELECT quiver.describe_index('shop', 'year') - 'postgres_index' - 'size_bytes' AS year_index;
SELECT quiver.describe_index('shop', 'category') ->> 'index_type' AS category_type,
       quiver.describe_index('shop', 'ok_idx') ->> 'index_type' AS ok_type;
-- one vector index (per partition) with the vector and four attribute columns
SELECT count(*) AS indexes, min(indnatts) AS natts FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
 WHERE i.relam = (SELECT oid FROM pg_am WHERE amname = 'hnsw') AND i.relname LIKE 'shop%';
SELECT err($$SELECT quiver.create_index('shop', 'meta', 'INVERTED')$$);
SELECT err($$SELECT quiver.create_index('shop', 'year', 'HNSW', index_name => 'y2')$$);
SELECT err($$SELECT quiver.create_index('shop', 'year', metric_type => 'L2', index_name => 'y2')$$);
SELECT err($$SELECT quiver.create_index('shop', 'year', 'STL_SORT')$$);
SELECT err($$SELECT quiver.create_index('shop', 'year', 'STL_SORT', params => '{"x": 1}', index_name => 'y2')$$);
-- a vector index created now takes the attribute columns too
SELECT quiver.create_index('shop', 'emb', 'HNSW', metric_type => 'COSINE', index_name => 'emb_cos');
SELECT quiver.describe_index('shop', 'emb_cos') -> 'attribute_fields' AS emb_cos_attributes;
SELECT quiver.drop_index('shop', 'emb_cos');
SELECT quiver.create_index('shop', 'emb', 'IVF_FLAT', params => '{"nlist": 8}', index_name => 'emb_ivf');
SELECT quiver.describe_index('shop', 'emb_ivf') -> 'attribute_fields' AS emb_ivf_attributes;
SELECT quiver.drop_index('shop', 'emb_ivf');
ANALYZE shop;

-- same(filter, k): whether quiver.search's ids (ef 200) equal the exact filtered top k, and
-- how many rows came back
CREATE TABLE q AS SELECT array_agg(round((random() * 10)::numeric, 3))::real[]::vector AS v FROM generate_series(1, 8);
CREATE FUNCTION same(filter text, sql_filter text, k int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE got bigint[]; want bigint[];
BEGIN
  SELECT array_agg(id::bigint ORDER BY distance, id::bigint) INTO got
    FROM quiver.search('shop', to_jsonb((SELECT v::real[] FROM q)), "limit" => k, filter => filter, params => '{"ef": 200}');
  EXECUTE format('SELECT array_agg(id ORDER BY d, id) FROM (SELECT id, emb <-> (SELECT v FROM q) AS d FROM shop WHERE %s ORDER BY d, id LIMIT %s) x',
                 sql_filter, k) INTO want;
  RETURN format('%s rows, %s', coalesce(cardinality(got), 0), CASE WHEN got IS NOT DISTINCT FROM want THEN 'exact' ELSE 'DIFFERENT' END);
END $$;
-- ran(filter): the plan's vector index condition and what the index scans did
CREATE FUNCTION ran(filter text) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT regexp_replace(regexp_replace(trim(line), 'shop\$[0-9]+_emb_[a-z_]+idx[0-9]*', 'shop$<n>_emb_idx', 'g'),
                        '[0-9]+ (elements|passing|more|passed|candidates)', 'N \1', 'g')
    FROM quiver.explain_search('shop', to_jsonb((SELECT v::real[] FROM q)), filter => filter, params => '{"ef": 200}') line
   WHERE line ~ '(Index Cond|quiver:|Index Scan)'
$$;

-- a broad filter: the vector index, the condition inside it, a filtered walk
SELECT same('year >= 2002', 'year >= 2002', 10);
SELECT * FROM ran('year >= 2002');
-- a selective filter inside one tenant: exact, whichever path the planner takes
SELECT same('tenant == "t3" and category == "c39"', $$tenant = 't3' AND category = 'c39'$$, 10);
SELECT * FROM ran('tenant == "t3" and category == "c39"');
SELECT same('tenant == "t3" and year >= 2005 and ok == true', $$tenant = 't3' AND year >= 2005 AND ok$$, 10);
SELECT same('category in ["c1", "c2"] and year < 2003', $$category IN ('c1', 'c2') AND year < 2003$$, 50);
-- forced onto the vector index: the exact pass, or the walk, inside the index
BEGIN;
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
SET LOCAL enable_sort = off;
SET LOCAL quiver.filtered_scan = exact;
SELECT same('tenant == "t3" and category == "c39"', $$tenant = 't3' AND category = 'c39'$$, 10);
SELECT * FROM ran('tenant == "t3" and category == "c39"');
SET LOCAL quiver.filtered_scan = walk;
SELECT same('tenant == "t3" and category == "c39"', $$tenant = 't3' AND category = 'c39'$$, 10);
SELECT * FROM ran('tenant == "t3" and category == "c39"');
COMMIT;
-- an exact plan (no vector index) says so
BEGIN;
SET LOCAL enable_indexscan = off;
SELECT * FROM ran('year >= 2002');
COMMIT;
-- inserts after the rebuild carry their attributes; a new row that passes is found
SELECT (quiver.insert('shop', jsonb_build_array(jsonb_build_object('id', 30000, 'tenant', 't3', 'year', 1999,
        'category', 'new', 'ok', true, 'price', 1, 'body', '', 'meta', '{}', 'emb', (SELECT v::real[] FROM q)))) ->> 'insert_count')::int AS inserted;
SELECT id, distance FROM quiver.search('shop', to_jsonb((SELECT v::real[] FROM q)), filter => 'year < 2000');
SELECT quiver.drop_collection('shop');

-- fields named like the aliases of the SQL quiver generates and reads the catalog with, a
-- partition key and scalar indexes on them; a caller whose search_path shadows = and <
CREATE SCHEMA shadow;
CREATE FUNCTION shadow.always(integer, bigint) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR shadow.= (LEFTARG = integer, RIGHTARG = bigint, FUNCTION = shadow.always);
CREATE OPERATOR shadow.< (LEFTARG = integer, RIGHTARG = bigint, FUNCTION = shadow.always);
SELECT quiver.create_collection('odd', schema => '{"fields": [
  {"name": "id", "type": "INT64", "is_primary": true},
  {"name": "t", "type": "VARCHAR", "max_length": 4},
  {"name": "x", "type": "INT32"}, {"name": "k", "type": "INT32"}, {"name": "u", "type": "BOOL"},
  {"name": "emb", "type": "FLOAT_VECTOR", "dim": 2}]}',
  metric_type => 'l2', partition_key => 't', num_partitions => 2, index => '{"field_name": "emb"}');
SELECT (quiver.insert('odd', (SELECT jsonb_agg(jsonb_build_object('id', i, 't', 'a' || (i % 3), 'x', i % 10, 'k', i % 7, 'u', i % 2 = 0,
        'emb', jsonb_build_array(i % 17, i % 13))) FROM generate_series(1, 500) i)) ->> 'insert_count')::int AS inserted;
SELECT quiver.create_index('odd', 'x');
SELECT quiver.create_index('odd', 'k', 'INVERTED');
SELECT quiver.create_index('odd', 'u', 'BITMAP');
SELECT quiver.describe_index('odd', 'emb') -> 'attribute_fields' AS attributes;
SET search_path = shadow, public;
SELECT count(*) AS rows, bool_and((entity ->> 'x')::int = 3 AND (entity ->> 'k')::int < 4 AND entity ->> 't' = 'a1') AS all_pass
  FROM quiver.search('odd', '[5, 5]', "limit" => 100, filter => 'x == 3 and k < 4 and t == "a1"', output_fields => '{x,k,t}');
SELECT count(*) AS expected FROM odd WHERE x OPERATOR(pg_catalog.=) 3 AND k OPERATOR(pg_catalog.<) 4 AND t OPERATOR(pg_catalog.=) 'a1';
RESET search_path;
SELECT quiver.drop_collection('odd');
DROP SCHEMA shadow CASCADE;
DROP FUNCTION same(text, text, int);
DROP FUNCTION ran(text);
DROP TABLE q;
