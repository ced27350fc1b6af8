-- Collections API: create / describe / list / rename / drop, aliases, partitions, indexes,
-- insert / upsert / get / query / count / delete, search (filters, partitions, range,
-- grouping, several query vectors), and the error of every misuse with its SQLSTATE.
SET client_min_messages = warning;

-- quick form: id (auto) + vector, cosine, dynamic field, an hnsw index
SELECT quiver.create_collection('docs', dimension => 3);
SELECT quiver.has_collection('docs'), quiver.has_collection('nope');
SELECT * FROM quiver.list_collections();
SELECT quiver.describe_collection('docs') - 'created_at' AS describe;
\d docs
SELECT * FROM quiver.list_indexes('docs');
SELECT quiver.describe_index('docs', 'vector') - 'postgres_index' - 'size_bytes' AS describe_index;

SELECT quiver.insert('docs', '[{"vector": [1, 0, 0], "color": "red"},
                              {"vector": [0, 1, 0], "color": "blue"},
                              {"vector": [0, 0, 1]},
                              {"vector": [0.9, 0.1, 0], "color": "red", "size": 3}]');
SELECT quiver.count('docs');
SELECT * FROM quiver.get('docs', '[1, 4]');
SELECT * FROM quiver.query('docs', filter => 'color == "red"', output_fields => '{color}');
SELECT * FROM quiver.query('docs', filter => 'size > 2 or id == 2', output_fields => '{*}');
SELECT query_index, id, round(distance::numeric, 4) AS similarity, entity
  FROM quiver.search('docs', '[1, 0, 0]', "limit" => 2, output_fields => '{color}');
-- several query vectors at once
SELECT query_index, id FROM quiver.search('docs', '[[0, 1, 0], [0, 0, 1]]', "limit" => 1);
-- filter with the dynamic field
SELECT id FROM quiver.search('docs', '[1, 0, 0]', filter => 'color == "blue"');
-- plain SQL sees the same rows
SELECT id, vector, "$meta", "$partition" FROM docs ORDER BY id;

-- errors: names, arguments, duplicates
SELECT err($$SELECT quiver.create_collection('docs', dimension => 3)$$);
SELECT err($$SELECT quiver.create_collection('bad name', dimension => 3)$$);
SELECT err($$SELECT quiver.create_collection('x"; DROP TABLE docs; --', dimension => 3)$$);
SELECT err($$SELECT quiver.create_collection('nodim')$$);
SELECT err($$SELECT quiver.create_collection('m', dimension => 3, metric => 'dot')$$);
SELECT err($$SELECT quiver.describe_collection('nope')$$);
SELECT err($$SELECT quiver.insert('docs', '[{"vector": [1, 2]}]')$$);
SELECT err($$SELECT quiver.insert('docs', '[{"vector": [1, 2, 3]}, {"id": 9, "vector": [1, 2, 3]}]')$$);
SELECT err($$SELECT quiver.insert('docs', '[{"vector": "abc"}]')$$);
SELECT err($$SELECT quiver.insert('docs', '[]')$$);
SELECT err($$SELECT quiver.insert('nope', '[{"vector": [1, 2, 3]}]')$$);
SELECT err($$SELECT * FROM quiver.search('docs', '[1, 0]')$$);
SELECT err($$SELECT * FROM quiver.search('docs', '[1, 0, 0]', "limit" => 0)$$);
SELECT err($$SELECT * FROM quiver.search('docs', '[1, 0, 0]', params => '{"nprobe": 8}')$$);
SELECT err($$SELECT * FROM quiver.search('docs', '[1, 0, 0]', filter => 'color ==')$$);
SELECT err($$SELECT * FROM quiver.query('docs', filter => 'id == "x"')$$);
SELECT err($$SELECT * FROM quiver.query('docs', output_fields => '{"x''y"}')$$);
SELECT err($$SELECT quiver.delete('docs')$$);
-- a failed batch leaves nothing behind
SELECT quiver.count('docs');

-- full form: varchar primary key, several vector types, scalars, arrays, JSON, defaults
SELECT quiver.create_collection('goods', schema => '{
  "fields": [
    {"name": "pk", "type": "VARCHAR", "is_primary": true, "max_length": 16},
    {"name": "emb", "type": "FLOAT_VECTOR", "dim": 2},
    {"name": "half", "type": "FLOAT16_VECTOR", "dim": 2},
    {"name": "bits", "type": "BINARY_VECTOR", "dim": 8},
    {"name": "sparse", "type": "SPARSE_FLOAT_VECTOR"},
    {"name": "title", "type": "VARCHAR", "max_length": 10},
    {"name": "price", "type": "DOUBLE", "nullable": true},
    {"name": "stock", "type": "INT32", "default_value": 5},
    {"name": "tags", "type": "ARRAY", "element_type": "VARCHAR", "max_length": 8, "max_capacity": 3, "nullable": true},
    {"name": "meta", "type": "JSON", "nullable": true}
  ]}', metric => 'l2', index => '[{"field_name": "emb", "index_type": "HNSW", "params": {"M": 8, "efConstruction": 32}},
                                  {"field_name": "bits", "metric_type": "hamming"}]');
SELECT * FROM quiver.list_indexes('goods');
SELECT quiver.describe_index('goods', 'emb') - 'postgres_index' - 'size_bytes' AS describe_index;
SELECT quiver.insert('goods', '[
  {"pk": "a", "emb": [0, 0], "half": [1, 1], "bits": "11110000", "sparse": {"0": 1}, "title": "apple", "price": 1.5, "tags": ["fruit", "red"], "meta": {"origin": "fr", "kcal": 52}},
  {"pk": "b", "emb": [1, 0], "half": [1, 0], "bits": [0, 0, 0, 0, 1, 1, 1, 1], "sparse": {"indices": [1], "values": [2]}, "title": "banana", "tags": ["fruit"], "meta": {"origin": "ec", "kcal": 89}},
  {"pk": "c", "emb": [5, 5], "half": [0, 1], "bits": [255], "sparse": {}, "title": "carrot", "price": 0.5, "stock": 0, "meta": {"origin": "fr", "tags": ["veg"]}}
]');
SELECT * FROM quiver.query('goods', output_fields => '{*}');
SELECT pk, stock, price FROM goods ORDER BY pk;
SELECT * FROM quiver.query('goods', filter => 'meta["origin"] == "fr" and array_length(tags) >= 0 or stock == 0', output_fields => '{title}');
SELECT * FROM quiver.query('goods', filter => 'array_contains(tags, "red")');
SELECT * FROM quiver.query('goods', filter => 'title like "ba%" || price is null');
SELECT * FROM quiver.query('goods', filter => 'json_contains(meta["tags"], "veg")');
SELECT * FROM quiver.query('goods', filter => 'pk in ["a", "c"] and not (price > 1)');
SELECT id, distance FROM quiver.search('goods', '[0.9, 0]', anns_field => 'emb');
SELECT id, distance FROM quiver.search('goods', '"11111111"', anns_field => 'bits');
SELECT id, round(distance::numeric, 3) AS distance FROM quiver.search('goods', '[1, 0.1]', anns_field => 'half', params => '{"metric_type": "cosine"}');
SELECT id, distance FROM quiver.search('goods', '{"1": 1}', anns_field => 'sparse', params => '{"metric_type": "ip"}', "limit" => 1);
-- range search: (range_filter, radius] on the L2 distance
SELECT id, distance FROM quiver.search('goods', '[0, 0]', anns_field => 'emb', params => '{"radius": 2, "range_filter": 0.5}');
SELECT err($$SELECT * FROM quiver.search('goods', '[0, 0]')$$);
SELECT err($$SELECT quiver.insert('goods', '[{"pk": "a", "emb": [0, 0], "half": [1, 1], "bits": "11110000", "sparse": {}, "title": "dup"}]')$$);
SELECT err($$SELECT quiver.insert('goods', '[{"pk": "d", "emb": [0, 0], "half": [1, 1], "bits": "11110000", "sparse": {}, "title": "much too long"}]')$$);
SELECT err($$SELECT quiver.insert('goods', '[{"pk": "d", "emb": [0, 0], "half": [1, 1], "bits": "11110000", "sparse": {}}]')$$);
SELECT err($$SELECT quiver.insert('goods', '[{"pk": "d", "emb": [0, 0], "half": [1, 1], "bits": "11110000", "sparse": {}, "title": "t", "color": 1}]')$$);
SELECT err($$SELECT quiver.insert('goods', '[{"pk": "d", "emb": [0, 0], "half": [1, 1], "bits": "11110000", "sparse": {}, "title": "t", "stock": 1.5}]')$$);
SELECT err($$SELECT * FROM quiver.query('goods', filter => 'nope == 1')$$);
SELECT err($$SELECT * FROM quiver.query('goods', filter => 'title > 3')$$);
SELECT err($$SELECT quiver.create_index('goods', 'half', 'IVF_FLAT')$$);
SELECT err($$SELECT quiver.create_index('goods', 'title')$$);
SELECT err($$SELECT quiver.create_index('goods', 'emb')$$);
SELECT err($$SELECT quiver.create_collection('bad', schema => '{"fields": [{"name": "id", "type": "INT64", "is_primary": true}]}')$$);

-- drop an index, then search falls back to an exact scan with the same answer
SELECT quiver.drop_index('goods', 'bits');
SELECT * FROM quiver.list_indexes('goods');
SELECT id, distance FROM quiver.search('goods', '"11111111"', anns_field => 'bits');
SELECT err($$SELECT quiver.drop_index('goods', 'bits')$$);
SELECT quiver.create_index('goods', 'bits', metric_type => 'jaccard', index_name => 'bits_j');
SELECT quiver.describe_index('goods', 'bits_j') ->> 'metric_type' AS metric;

-- upsert replaces by primary key; delete by ids and by filter
SELECT quiver.upsert('goods', '[{"pk": "a", "emb": [0, 1], "half": [1, 1], "bits": "00000000", "sparse": {}, "title": "avocado"}]');
SELECT * FROM quiver.get('goods', '["a"]', output_fields => '{title,emb,stock}');
SELECT quiver.delete('goods', ids => '["b"]');
SELECT quiver.delete('goods', filter => 'stock == 0');
SELECT quiver.count('goods');

-- aliases
SELECT quiver.create_alias('goods', 'products');
SELECT quiver.count('products');
SELECT quiver.describe_collection('products') ->> 'collection_name' AS via_alias, quiver.describe_collection('goods') -> 'aliases' AS aliases;
SELECT err($$SELECT quiver.create_alias('goods', 'docs')$$);
SELECT quiver.alter_alias('docs', 'products');
SELECT quiver.count('products');
SELECT quiver.drop_alias('products');
SELECT err($$SELECT quiver.drop_alias('products')$$);

-- partitions
SELECT quiver.create_partition('docs', 'archive');
SELECT * FROM quiver.list_partitions('docs');
SELECT quiver.has_partition('docs', 'archive'), quiver.has_partition('docs', 'nope');
SELECT quiver.insert('docs', '[{"vector": [1, 1, 0]}]', partition_name => 'archive');
SELECT id FROM quiver.search('docs', '[1, 1, 0]', "limit" => 1, partition_names => '{archive}');
SELECT id FROM quiver.search('docs', '[1, 1, 0]', "limit" => 1, partition_names => '{_default}');
SELECT quiver.count('docs', partition_names => '{archive}');
SELECT err($$SELECT quiver.create_partition('docs', 'archive')$$);
SELECT err($$SELECT quiver.insert('docs', '[{"vector": [1, 1, 0]}]', partition_name => 'nope')$$);
SELECT err($$SELECT quiver.drop_partition('docs', '_default')$$);
SELECT quiver.drop_partition('docs', 'archive');
SELECT quiver.count('docs');

-- grouping search: best hit per group
SELECT quiver.create_collection('g', schema => '{"fields": [
  {"name": "id", "type": "INT64", "is_primary": true},
  {"name": "v", "type": "FLOAT_VECTOR", "dim": 1},
  {"name": "doc", "type": "INT64"}]}', metric => 'l2', index => '{"field_name": "v"}');
SELECT quiver.insert('g', (SELECT jsonb_agg(jsonb_build_object('id', i, 'v', jsonb_build_array(i), 'doc', i / 10)) FROM generate_series(0, 49) i));
SELECT id, distance, entity FROM quiver.search('g', '[12]', "limit" => 3, output_fields => '{doc}', params => '{"group_by_field": "doc", "group_size": 2}');

-- hybrid search: two vector fields, fused by RRF (k = 60).
-- text_vec ranks for [0,0]: 1, 2, 3 (limit 3); img_vec ranks: 2, 3, 4.
-- By hand: id 2 = 1/62 + 1/61 = 0.032522, id 3 = 1/63 + 1/62 = 0.032002,
--          id 1 = 1/61 = 0.016393, id 4 = 1/63 = 0.015873  ->  2, 3, 1, 4.
SELECT quiver.create_collection('mm', schema => '{"fields": [
  {"name": "id", "type": "INT64", "is_primary": true},
  {"name": "text_vec", "type": "FLOAT_VECTOR", "dim": 2},
  {"name": "img_vec", "type": "FLOAT_VECTOR", "dim": 2}]}', metric => 'l2',
  index => '[{"field_name": "text_vec"}, {"field_name": "img_vec"}]');
SELECT quiver.insert('mm', '[{"id": 1, "text_vec": [0, 0], "img_vec": [3, 0]}, {"id": 2, "text_vec": [1, 0], "img_vec": [0, 0]},
                             {"id": 3, "text_vec": [2, 0], "img_vec": [1, 0]}, {"id": 4, "text_vec": [3, 0], "img_vec": [2, 0]}]');
SELECT id, round(score::numeric, 6) AS score, entity FROM quiver.hybrid_search('mm', '[
  {"data": [0, 0], "anns_field": "text_vec", "limit": 3},
  {"data": [0, 0], "anns_field": "img_vec", "limit": 3}]', "limit" => 4);
SELECT bool_and(h.id = e.id AND abs(h.score - e.score) < 1e-12) AND count(*) = 4 AS matches_hand_computed
  FROM (SELECT row_number() OVER () AS r, * FROM quiver.hybrid_search('mm', '[
          {"data": [0, 0], "anns_field": "text_vec", "limit": 3},
          {"data": [0, 0], "anns_field": "img_vec", "limit": 3}]', "limit" => 4)) h
  JOIN (VALUES (1, '2', 1/62.0 + 1/61.0), (2, '3', 1/63.0 + 1/62.0), (3, '1', 1/61.0), (4, '4', 1/63.0)) e(r, id, score) USING (r);
-- weighted: L2 distances normalised by 1 - 2 atan(d) / pi
SELECT id, round(score::numeric, 4) AS score FROM quiver.hybrid_search('mm', '[
  {"data": [0, 0], "anns_field": "text_vec"}, {"data": [0, 0], "anns_field": "img_vec", "filter": "id > 2"}]',
  ranker => 'weighted', ranker_params => '{"weights": [0.9, 0.1]}', "limit" => 2, output_fields => '{text_vec}');
SELECT err($$SELECT * FROM quiver.hybrid_search('mm', '[{"data": [0, 0], "anns_field": "text_vec"}]', ranker => 'max')$$);
SELECT err($$SELECT * FROM quiver.hybrid_search('mm', '[{"data": [0, 0], "anns_field": "text_vec"}]', ranker => 'weighted', ranker_params => '{"weights": [1, 1]}')$$);
SELECT err($$SELECT * FROM quiver.hybrid_search('mm', '[{"data": [0, 0]}]')$$);
SELECT err($$SELECT * FROM quiver.hybrid_search('mm', '[]')$$);

-- rename and stats
SELECT quiver.rename_collection('docs', 'articles');
SELECT * FROM quiver.list_collections();
SELECT * FROM quiver.list_partitions('articles');
SELECT * FROM quiver.list_indexes('articles');
SELECT quiver.count('articles');
SELECT (s ->> 'row_count')::int AS row_count, (s ->> 'partitions')::int AS partitions, (s ->> 'total_bytes')::bigint > 0 AS has_size
  FROM quiver.get_collection_stats('articles') s;
SELECT err($$SELECT quiver.rename_collection('articles', 'goods')$$);

-- a collection in another schema, with a description
CREATE SCHEMA app;
SELECT quiver.create_collection('notes', dimension => 2, metric => 'ip', db_schema => 'app', description => 'team notes');
SELECT d ->> 'table' AS "table", d ->> 'description' AS description, obj_description('app.notes'::regclass) AS comment
  FROM quiver.describe_collection('notes') d;
SELECT quiver.insert('notes', '[{"vector": [1, 2]}, {"vector": [-1, 0]}]');
SELECT id, distance FROM quiver.search('notes', '[1, 1]');
SELECT quiver.rename_collection('notes', 'memos');
SELECT count(*) FROM app.memos;
SELECT quiver.drop_collection('memos');
DROP SCHEMA app;
SELECT err($$SELECT quiver.create_collection('x', dimension => 2, db_schema => 'nope')$$);

-- a damaged catalog entry is reported, not trusted
SELECT quiver.create_collection('broken', dimension => 2);
UPDATE quiver.collections SET definition = jsonb_set(definition, '{fields}', '[]') WHERE name = 'broken';
SELECT err($$SELECT quiver.count('broken')$$);
UPDATE quiver.collections SET definition = definition - 'fields' WHERE name = 'broken';
SELECT err($$SELECT quiver.count('broken')$$);
DELETE FROM quiver.collections WHERE name = 'broken';
DROP TABLE broken;

-- drop
SELECT quiver.drop_collection('g');
SELECT to_regclass('g') IS NULL AS table_gone, quiver.has_collection('g') AS still_listed;
SELECT err($$SELECT quiver.drop_collection('g')$$);
