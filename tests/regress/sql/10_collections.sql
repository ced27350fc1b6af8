-- Collections API: create / describe / list / rename / drop, aliases, partitions, indexes,
-- insert / upsert / get / query / count / delete, search (filters, partitions, range,
-- grouping, several query vectors), and the error of every misuse with its SQLSTATE.
SET client_min_messages = warning;

-- quick form, as MilvusClient's: an int64 id the caller gives (auto_id false) + vector, cosine,
-- dynamic field, an hnsw index
SELECT quiver.create_collection('docs', dimension => 3);
SELECT quiver.has_collection('docs'), quiver.has_collection('nope');
SELECT * FROM quiver.list_collections();
SELECT quiver.describe_collection('docs') - 'created_at' AS describe;
\d docs
SELECT * FROM quiver.list_indexes('docs');
SELECT quiver.describe_index('docs', 'vector') - 'postgres_index' - 'size_bytes' AS describe_index;

SELECT quiver.insert('docs', '[{"id": 1, "vector": [1, 0, 0], "color": "red"},
                              {"id": 2, "vector": [0, 1, 0], "color": "blue"},
                              {"id": 3, "vector": [0, 0, 1]},
                              {"id": 4, "vector": [0.9, 0.1, 0], "color": "red", "size": 3}]');
-- without auto_id, a row without its id is refused
SELECT err($$SELECT quiver.insert('docs', '[{"vector": [1, 0, 0]}]')$$);
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
-- consistency_level, as Milvus names it: every level is served by PostgreSQL's reads (Strong);
-- a level Milvus does not have is an error
SELECT id FROM quiver.search('docs', '[1, 0, 0]', "limit" => 1, consistency_level => 'Bounded');
SELECT count(*) FROM quiver.query('docs', filter => 'id > 2', consistency_level => 'strong');
SELECT quiver.count('docs', consistency_level => 'Eventually'), count(*) FROM quiver.get('docs', '[1]', consistency_level => 'Session');
SELECT err($$SELECT * FROM quiver.query('docs', filter => 'id > 0', consistency_level => 'Strongest')$$);
SELECT err($$SELECT * FROM quiver.search('docs', '[1, 0, 0]', consistency_level => '')$$);
-- a name that is not a field but resembles one (a misspelling) is read from the dynamic field,
-- with a NOTICE naming the field; other dynamic keys ("colr", "color") raise none
SET client_min_messages = notice;
SELECT count(*) FROM quiver.query('docs', filter => 'Id > 2', output_fields => '{vectr}');
SELECT id FROM quiver.search('docs', '[1, 0, 0]', "limit" => 1, filter => 'ids >= 1 and color != "x"', output_fields => '{colr}');
SELECT quiver.count('docs', filter => 'iD == 1');
SET client_min_messages = warning;
-- create_index with M alone, as Milvus accepts it: ef_construction rises to 2 * M
SELECT quiver.create_index('docs', 'vector', index_name => 'wide', params => '{"M": 40}');
SELECT quiver.describe_index('docs', 'wide') -> 'params' AS params;
SELECT quiver.drop_index('docs', 'wide');
-- plain SQL sees the same rows
SELECT id, vector, "$meta", "$partition" FROM docs ORDER BY id;
-- reading takes no transaction id (each would otherwise write a commit record, and a hot
-- standby refuses them); writing does
BEGIN;
SELECT count(*) FROM quiver.search('docs', '[1, 0, 0]', filter => 'color == "blue"');
SELECT count(*) FROM quiver.query('docs', filter => 'size > 2');
SELECT count(*) FROM quiver.get('docs', '[1, 4]');
SELECT count(*) FROM quiver.explain_scan('SELECT 1');
SELECT txid_current_if_assigned() IS NULL AS no_transaction_id;
SELECT quiver.upsert('docs', '[{"id": 1, "vector": [1, 0, 0], "color": "red"}]');
SELECT txid_current_if_assigned() IS NOT NULL AS transaction_id_once_written;
ROLLBACK;

-- errors: names, arguments, duplicates
SELECT err($$SELECT quiver.create_collection('docs', dimension => 3)$$);
SELECT err($$SELECT quiver.create_collection('bad name', dimension => 3)$$);
SELECT err($$SELECT quiver.create_collection('x"; DROP TABLE docs; --', dimension => 3)$$);
SELECT err($$SELECT quiver.create_collection('nodim')$$);
SELECT err($$SELECT quiver.create_collection('m', dimension => 3, metric_type => 'dot')$$);
SELECT err($$SELECT quiver.describe_collection('nope')$$);
SELECT err($$SELECT quiver.insert('docs', '[{"id": 8, "vector": [1, 2]}]')$$);
SELECT err($$SELECT quiver.insert('docs', '[{"id": 8, "vector": [1, 2, 3]}, {"id": 9, "vector": [1, 2]}]')$$);
SELECT err($$SELECT quiver.insert('docs', '[{"id": 8, "vector": "abc"}]')$$);
SELECT err($$SELECT quiver.insert('docs', '[]')$$);
SELECT err($$SELECT quiver.insert('nope', '[{"vector": [1, 2, 3]}]')$$);
SELECT err($$SELECT * FROM quiver.search('docs', '[1, 0]')$$);
SELECT err($$SELECT * FROM quiver.search('docs', '[1, 0, 0]', "limit" => 0)$$);
SELECT err($$SELECT * FROM quiver.search('docs', '[1, 0, 0]', params => '{"nlist": 8}')$$);
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
  ]}', metric_type => 'l2', index => '[{"field_name": "emb", "index_type": "HNSW", "params": {"M": 8, "efConstruction": 32}},
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
-- (distances rounded: their last float32 bits depend on the CPU's kernels)
SELECT id, round(distance::numeric, 6) AS distance FROM quiver.search('goods', '[0.9, 0]', anns_field => 'emb');
SELECT id, distance FROM quiver.search('goods', '"11111111"', anns_field => 'bits');
SELECT id, round(distance::numeric, 3) AS distance FROM quiver.search('goods', '[1, 0.1]', anns_field => 'half', params => '{"metric_type": "cosine"}');
SELECT id, distance FROM quiver.search('goods', '{"1": 1}', anns_field => 'sparse', params => '{"metric_type": "ip"}', "limit" => 1);
-- range search: (range_filter, radius] on the squared L2 distance (Milvus's L2)
SELECT id, distance FROM quiver.search('goods', '[0, 0]', anns_field => 'emb', params => '{"radius": 4, "range_filter": 0.25}');
-- search data given as values: vector / halfvec / sparsevec / bit and arrays of them (nq > 1)
SELECT id, distance FROM quiver.search('goods', (SELECT emb FROM goods WHERE pk = 'b'), anns_field => 'emb', "limit" => 2);
SELECT id, distance FROM quiver.search('goods', (SELECT half FROM goods WHERE pk = 'c'), anns_field => 'half', "limit" => 1);
SELECT id, distance FROM quiver.search('goods', (SELECT sparse FROM goods WHERE pk = 'b'), anns_field => 'sparse',
                                       params => '{"metric_type": "ip"}', "limit" => 1);
SELECT id, distance FROM quiver.search('goods', (SELECT bits FROM goods WHERE pk = 'a'), anns_field => 'bits', "limit" => 1);
SELECT query_index, id FROM quiver.search('goods', (SELECT array_agg(emb ORDER BY pk) FROM goods), anns_field => 'emb', "limit" => 1);
SELECT query_index, id FROM quiver.search('goods', (SELECT array_agg(half ORDER BY pk) FROM goods), anns_field => 'half', "limit" => 1);
SELECT query_index, id FROM quiver.search('goods', ARRAY['{1:1}/3'::sparsevec, '{2:2}/3'], anns_field => 'sparse',
                                          params => '{"metric_type": "ip"}', "limit" => 1);
SELECT query_index, id FROM quiver.search('goods', ARRAY['11110000'::bit(8), '00001111'], anns_field => 'bits', "limit" => 1);
-- the same hits from the text form in JSON (what to_jsonb(vector) gives), JSON, JSON in a text value
SELECT k, (SELECT array_agg(id ORDER BY distance, id) FROM quiver.search('goods', x, anns_field => 'emb')) AS ids
  FROM (VALUES (1, '"[1, 0]"'::jsonb), (2, to_jsonb('[1,0]'::vector)), (3, '[1, 0]'::jsonb)) v(k, x) ORDER BY k;
SELECT array_agg(id ORDER BY distance, id) AS ids FROM quiver.search('goods', '[1, 0]'::text, anns_field => 'emb');
SELECT query_index, id FROM quiver.search('goods', to_jsonb(ARRAY['[0,0]'::vector, '[5,5]']), anns_field => 'emb', "limit" => 1);
SELECT err($$SELECT * FROM quiver.search('goods', 'not json', anns_field => 'emb')$$);
SELECT err($$SELECT * FROM quiver.search('goods', '[1,2,3]'::vector, anns_field => 'emb')$$);
SELECT err($$SELECT * FROM quiver.search('goods', 42, anns_field => 'emb')$$);
SELECT err($$SELECT * FROM quiver.search('goods', '"[1,x]"', anns_field => 'emb')$$);
SELECT err($$SELECT * FROM quiver.search('goods', '[0, 0]')$$);
SELECT err($$SELECT quiver.insert('goods', '[{"pk": "a", "emb": [0, 0], "half": [1, 1], "bits": "11110000", "sparse": {}, "title": "dup"}]')$$);
SELECT err($$SELECT quiver.insert('goods', '[{"pk": "d", "emb": [0, 0], "half": [1, 1], "bits": "11110000", "sparse": {}, "title": "much too long"}]')$$);
SELECT err($$SELECT quiver.insert('goods', '[{"pk": "d", "emb": [0, 0], "half": [1, 1], "bits": "11110000", "sparse": {}}]')$$);
SELECT err($$SELECT quiver.insert('goods', '[{"pk": "d", "emb": [0, 0], "half": [1, 1], "bits": "11110000", "sparse": {}, "title": "t", "color": 1}]')$$);
SELECT err($$SELECT quiver.insert('goods', '[{"pk": "d", "emb": [0, 0], "half": [1, 1], "bits": "11110000", "sparse": {}, "title": "t", "stock": 1.5}]')$$);
SELECT err($$SELECT * FROM quiver.query('goods', filter => 'nope == 1')$$);
SELECT err($$SELECT * FROM quiver.query('goods', filter => 'title > 3')$$);
SELECT err($$SELECT quiver.create_index('goods', 'half', 'IVF_SQ8')$$);
SELECT err($$SELECT quiver.create_index('goods', 'sparse', 'IVF_FLAT')$$);
SELECT err($$SELECT quiver.create_index('goods', 'emb', 'IVF_FLAT', params => '{"nlist": 0}')$$);
SELECT err($$SELECT quiver.create_index('goods', 'title', 'HNSW')$$);
SELECT err($$SELECT quiver.create_index('goods', 'emb')$$);
SELECT err($$SELECT quiver.create_collection('bad', schema => '{"fields": [{"name": "id", "type": "INT64", "is_primary": true}]}')$$);

-- drop an index, then search falls back to an exact scan with the same answer
SELECT quiver.drop_index('goods', 'bits');
SELECT * FROM quiver.list_indexes('goods');
SELECT id, distance FROM quiver.search('goods', '"11111111"', anns_field => 'bits');
SELECT err($$SELECT quiver.drop_index('goods', 'bits')$$);
SELECT quiver.create_index('goods', 'bits', metric_type => 'jaccard', index_name => 'bits_j');
SELECT quiver.describe_index('goods', 'bits_j') ->> 'metric_type' AS metric;
-- IVF_FLAT: nlist becomes ivfflat's lists, nprobe this search's ivfflat.probes
SELECT quiver.create_index('goods', 'half', 'IVF_FLAT', 'L2', '{"nlist": 2}', index_name => 'half_ivf');
SELECT quiver.describe_index('goods', 'half_ivf') - 'field_name' AS ivf;
SELECT pg_get_indexdef('"goods$half_ivf"'::regclass) AS def;
SELECT id FROM quiver.search('goods', '[1, 0.9]', anns_field => 'half', params => '{"nprobe": 2}', "limit" => 2);
SELECT err($$SELECT * FROM quiver.search('goods', '[1, 1]', anns_field => 'half', params => '{"nprobe": 0}')$$);

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
SELECT quiver.insert('docs', '[{"id": 5, "vector": [1, 1, 0]}]', partition_name => 'archive');
SELECT id FROM quiver.search('docs', '[1, 1, 0]', "limit" => 1, partition_names => '{archive}');
SELECT id FROM quiver.search('docs', '[1, 1, 0]', "limit" => 1, partition_names => '{_default}');
SELECT quiver.count('docs', partition_names => '{archive}');
SELECT err($$SELECT quiver.create_partition('docs', 'archive')$$);
SELECT err($$SELECT quiver.insert('docs', '[{"id": 6, "vector": [1, 1, 0]}]', partition_name => 'nope')$$);
SELECT err($$SELECT quiver.drop_partition('docs', '_default')$$);
SELECT quiver.drop_partition('docs', 'archive');
SELECT quiver.count('docs');

-- grouping search: best hit per group
SELECT quiver.create_collection('g', schema => '{"fields": [
  {"name": "id", "type": "INT64", "is_primary": true},
  {"name": "v", "type": "FLOAT_VECTOR", "dim": 1},
  {"name": "doc", "type": "INT64"}]}', metric_type => 'l2', index => '{"field_name": "v"}');
SELECT quiver.insert('g', (SELECT jsonb_agg(jsonb_build_object('id', i, 'v', jsonb_build_array(i), 'doc', i / 10)) FROM generate_series(0, 49) i));
SELECT id, distance, entity FROM quiver.search('g', '[12]', "limit" => 3, output_fields => '{doc}', params => '{"group_by_field": "doc", "group_size": 2}');

-- hybrid search: two vector fields, fused by RRF (k = 60).
-- text_vec ranks for [0,0]: 1, 2, 3 (limit 3); img_vec ranks: 2, 3, 4.
-- By hand: id 2 = 1/62 + 1/61 = 0.032522, id 3 = 1/63 + 1/62 = 0.032002,
--          id 1 = 1/61 = 0.016393, id 4 = 1/63 = 0.015873  ->  2, 3, 1, 4.
SELECT quiver.create_collection('mm', schema => '{"fields": [
  {"name": "id", "type": "INT64", "is_primary": true},
  {"name": "text_vec", "type": "FLOAT_VECTOR", "dim": 2},
  {"name": "img_vec", "type": "FLOAT_VECTOR", "dim": 2}]}', metric_type => 'l2',
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
-- a request's vector may be the text form of a vector (a JSON string, e.g. from to_jsonb(vector))
SELECT id FROM quiver.hybrid_search('mm', jsonb_build_array(
  jsonb_build_object('data', to_jsonb('[0,0]'::vector), 'anns_field', 'text_vec', 'limit', 3),
  '{"data": "[0, 0]", "anns_field": "img_vec", "limit": 3}'::jsonb), "limit" => 4);
-- pymilvus's AnnSearchRequest keys (expr, param) and ranker class names give the same answer
SELECT (SELECT array_agg(id || ':' || round(score::numeric, 6)) FROM quiver.hybrid_search('mm', '[
          {"data": [0, 0], "anns_field": "text_vec"},
          {"data": [0, 0], "anns_field": "img_vec", "expr": "id > 2", "param": {"metric_type": "L2", "params": {"ef": 64}}}]',
          ranker => 'WeightedRanker', ranker_params => '{"weights": [0.9, 0.1]}', "limit" => 3))
     = (SELECT array_agg(id || ':' || round(score::numeric, 6)) FROM quiver.hybrid_search('mm', '[
          {"data": [0, 0], "anns_field": "text_vec"},
          {"data": [0, 0], "anns_field": "img_vec", "filter": "id > 2", "params": {"ef": 64}}]',
          ranker => 'weighted', ranker_params => '{"weights": [0.9, 0.1]}', "limit" => 3)) AS pymilvus_keys_match;
SELECT count(*) FROM quiver.hybrid_search('mm', '[{"data": [0, 0], "anns_field": "text_vec"}]', ranker => 'RRFRanker');
SELECT err($$SELECT * FROM quiver.hybrid_search('mm', '[{"data": [0, 0], "anns_field": "text_vec", "filter": "id > 1", "expr": "id > 2"}]')$$);
SELECT err($$SELECT * FROM quiver.hybrid_search('mm', '[{"data": [0, 0], "anns_field": "text_vec", "params": {}, "param": {}}]')$$);
SELECT err($$SELECT * FROM quiver.hybrid_search('mm', '[{"data": [0, 0], "anns_field": "text_vec"}]', ranker => 'max')$$);
-- filter templates (Milvus's filter_params): values become literals, never operators or fields
SELECT id FROM quiver.search('mm', '[0, 0]', anns_field => 'text_vec', filter => 'id in {ids} and id != {not}',
                             filter_params => '{"ids": [1, 2, 4], "not": 2}');
SELECT * FROM quiver.query('mm', filter => 'id >= {lo}', filter_params => '{"lo": 3}', output_fields => '{id}');
SELECT err($$SELECT quiver.count('mm', filter => 'id == {v}', filter_params => '{"v": "1 or true"}')$$) AS a_string_stays_a_string;
SELECT id FROM quiver.hybrid_search('mm', '[{"data": [0, 0], "anns_field": "text_vec", "expr": "id < {m}", "expr_params": {"m": 3}}]');
SELECT err($$SELECT quiver.count('mm', filter => 'id == {v}')$$);
SELECT err($$SELECT quiver.count('mm', filter => 'id == {v}', filter_params => '{"w": 1}')$$);
SELECT err($$SELECT quiver.count('mm', filter => 'id == {v}', filter_params => '{"v": {"a": 1}}')$$);
SELECT err($$SELECT quiver.count('mm', filter => 'id == {v}', filter_params => '[1]')$$);
SELECT err($$SELECT quiver.delete('mm', filter => 'id == {v', filter_params => '{"v": 1}')$$);
-- exists on JSON paths and dynamic keys (present and not JSON null, as Milvus reads it)
SELECT quiver.create_collection('ex', dimension => 2, auto_id => false);
SELECT quiver.insert('ex', '[{"id": 1, "vector": [1, 0], "meta": {"a": 1}, "k": 5},
                             {"id": 2, "vector": [0, 1], "meta": {"a": null}},
                             {"id": 3, "vector": [1, 1], "meta": {"b": 2}, "k": null}]');
SELECT f, (SELECT array_agg((r ->> 'id')::int ORDER BY (r ->> 'id')::int) FROM quiver.query('ex', filter => f, output_fields => '{id}') AS r) AS ids
  FROM unnest(ARRAY['exists meta["a"]', 'not exists meta["a"]', 'exists k', 'EXISTS meta["b"] or exists meta["a"]']) AS f;
SELECT err($$SELECT quiver.count('ex', filter => 'exists id')$$);
-- query by primary keys, alone or with a filter
SELECT * FROM quiver.query('ex', ids => '[3, 1, 7]', output_fields => '{id}');
SELECT * FROM quiver.query('ex', ids => '[1, 2, 3]', filter => 'exists k', output_fields => '{id}');
SELECT quiver.drop_collection('ex');
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
SELECT quiver.create_collection('notes', dimension => 2, metric_type => 'ip', db_schema => 'app', description => 'team notes');
SELECT d ->> 'table' AS "table", d ->> 'description' AS description, obj_description('app.notes'::regclass) AS comment
  FROM quiver.describe_collection('notes') d;
SELECT quiver.insert('notes', '[{"id": 1, "vector": [1, 2]}, {"id": 2, "vector": [-1, 0]}]');
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

-- name capture: fields named like the aliases, columns and functions of the generated SQL
-- (t, x, i, value, ...) change nothing; every operation below touches exactly its rows.
SELECT quiver.create_collection('cap', schema => '{"enable_dynamic_field": true, "fields": [
  {"name": "t", "type": "INT64", "is_primary": true},
  {"name": "x", "type": "INT64"},
  {"name": "i", "type": "INT64"},
  {"name": "id", "type": "INT64"},
  {"name": "q", "type": "JSON"},
  {"name": "d", "type": "DOUBLE"},
  {"name": "s", "type": "VARCHAR", "max_length": 8},
  {"name": "value", "type": "VARCHAR", "max_length": 8},
  {"name": "r", "type": "INT64"},
  {"name": "k", "type": "ARRAY", "element_type": "INT64", "max_capacity": 4},
  {"name": "distance", "type": "DOUBLE"},
  {"name": "entity", "type": "VARCHAR", "max_length": 8},
  {"name": "meta", "type": "JSON"},
  {"name": "grp", "type": "INT64"},
  {"name": "v", "type": "FLOAT_VECTOR", "dim": 2}]}', metric_type => 'l2', index => '{"field_name": "v"}');
-- x equals t in rows 1 and 2 (the old ids subquery compared t with x)
SELECT quiver.insert('cap', (SELECT jsonb_agg(jsonb_build_object(
    't', n, 'x', CASE WHEN n <= 2 THEN n ELSE 10 * n END, 'i', 100 + n, 'id', 1000 + n, 'q', jsonb_build_object('a', n),
    'd', n / 2.0, 's', 's' || n, 'value', 'v' || n, 'r', n % 2, 'k', jsonb_build_array(n, n + 1), 'distance', -n,
    'entity', 'e' || n, 'meta', jsonb_build_object('m', n), 'grp', n % 2, 'v', jsonb_build_array(n, 0), 'extra', n)
    ORDER BY n) FROM generate_series(1, 6) n));
SELECT r.* FROM quiver.get('cap', '[3]', output_fields => '{x,i,id}') g(e), jsonb_to_record(g.e) AS r(t int, x int, i int, id int);
SELECT quiver.delete('cap', ids => '[3]');
SELECT array_agg(t ORDER BY t) AS left_after_delete FROM cap;
SELECT quiver.upsert('cap', '[{"t": 2, "x": 22, "i": 0, "id": 0, "q": {}, "d": 0, "s": "", "value": "", "r": 0, "k": [], "distance": 0, "entity": "", "meta": {}, "grp": 0, "v": [2, 2]},
                              {"t": 7, "x": 7, "i": 0, "id": 0, "q": {}, "d": 0, "s": "", "value": "", "r": 0, "k": [], "distance": 0, "entity": "", "meta": {}, "grp": 0, "v": [7, 0]}]');
SELECT t, x, v FROM cap ORDER BY t;
SELECT e ->> 't' AS t FROM quiver.query('cap', filter => 'x > 5 and i > 100 and id > 1000 and q["a"] >= 4 and d > 1 and s like "s%"
    and value != "v9" and r in [0, 1] and array_contains(k, 5) and distance < 0 and entity == "e4" and meta["m"] == 4
    and grp == 0 and extra == 4 and $meta["extra"] == 4 and (i / (r + 1)) > 0') e;
SELECT quiver.count('cap', filter => 'x == t') AS x_equals_t, quiver.count('cap', filter => 'value like "v%"') AS values_v;
SELECT id, distance, entity ->> 'distance' AS field_distance, entity ->> 'entity' AS field_entity, entity ->> 'id' AS field_id
  FROM quiver.search('cap', '[4, 0]', "limit" => 2, filter => 'id > 1000', output_fields => '{distance,entity,id}');
SELECT id, entity ->> 'grp' AS grp FROM quiver.search('cap', '[1, 0]', "limit" => 2, output_fields => '{grp}',
                                                      params => '{"group_by_field": "grp", "group_size": 1}');
SELECT id, distance FROM quiver.search('cap', '[1, 0]', params => '{"radius": 6.25, "range_filter": 0.25}');
SELECT id, entity ->> 'value' AS value FROM quiver.hybrid_search('cap', '[{"data": [5, 0], "filter": "s == \"s5\"", "limit": 2},
                                                                        {"data": [4, 0], "limit": 2}]', output_fields => '{value}');
SELECT quiver.delete('cap', filter => 'value == "v4" or t == 6');
SELECT array_agg(t ORDER BY t) AS left_after_filter_delete FROM cap;
-- a varchar key named x, manual partitions; a partition key named value
SELECT quiver.create_collection('capx', schema => '{"fields": [
  {"name": "x", "type": "VARCHAR", "is_primary": true, "max_length": 8},
  {"name": "t", "type": "INT64"},
  {"name": "v", "type": "FLOAT_VECTOR", "dim": 2}]}', metric_type => 'l2');
SELECT quiver.create_partition('capx', 'p');
SELECT quiver.insert('capx', '[{"x": "a", "t": 1, "v": [1, 0]}, {"x": "t", "t": 2, "v": [2, 0]}]');
SELECT quiver.insert('capx', '[{"x": "x", "t": 3, "v": [3, 0]}]', partition_name => 'p');
SELECT quiver.delete('capx', ids => '["t"]');
SELECT * FROM quiver.get('capx', '["a", "x", "t"]', output_fields => '{t}');
SELECT id FROM quiver.search('capx', '[3, 0]', partition_names => '{p}', filter => 'x == "x" and t == 3');
SELECT quiver.create_collection('capk', schema => '{"fields": [
  {"name": "t", "type": "INT64", "is_primary": true},
  {"name": "value", "type": "VARCHAR", "max_length": 8, "is_partition_key": true},
  {"name": "v", "type": "FLOAT_VECTOR", "dim": 2}]}', metric_type => 'l2', num_partitions => 2);
SELECT quiver.insert('capk', '[{"t": 1, "value": "a", "v": [1, 0]}, {"t": 2, "value": "b", "v": [2, 0]}]');
SELECT quiver.upsert('capk', '[{"t": 1, "value": "b", "v": [9, 9]}]');
SELECT t, value, v FROM capk ORDER BY t;
SELECT id FROM quiver.search('capk', '[9, 9]', filter => 'value == "b"', "limit" => 1);
SELECT quiver.drop_collection('cap'), quiver.drop_collection('capx'), quiver.drop_collection('capk');

-- an auto_id collection: explicit ids given to upsert move the identity past them, so the
-- next generated ids do not collide (nor move back for an older id)
SELECT quiver.create_collection('autoid', dimension => 2, auto_id => true);
SELECT quiver.insert('autoid', '[{"vector": [1, 0]}, {"vector": [0, 1]}]') -> 'ids' AS ids;
SELECT quiver.upsert('autoid', '[{"id": 3, "vector": [1, 1]}, {"id": 4, "vector": [2, 2]}]') -> 'ids' AS ids;
SELECT quiver.insert('autoid', '[{"vector": [3, 3]}, {"vector": [4, 4]}]') -> 'ids' AS ids;
SELECT quiver.upsert('autoid', '[{"id": 1, "vector": [5, 5]}]') -> 'ids' AS ids;
SELECT quiver.insert('autoid', '[{"vector": [6, 6]}]') -> 'ids' AS ids;
SELECT err($$SELECT quiver.insert('autoid', '[{"id": 50, "vector": [1, 1]}]')$$);
-- a writer with privileges on the table only (none on its identity sequence)
DROP ROLE IF EXISTS quiver_writer;
CREATE ROLE quiver_writer;
GRANT SELECT, INSERT, DELETE ON autoid TO quiver_writer;
SET ROLE quiver_writer;
SELECT quiver.upsert('autoid', '[{"id": 10, "vector": [7, 7]}]') -> 'ids' AS ids;
SELECT quiver.insert('autoid', '[{"vector": [8, 8]}]') -> 'ids' AS ids;
RESET ROLE;
SELECT array_agg(id ORDER BY id) AS ids FROM autoid;
REVOKE ALL ON autoid FROM quiver_writer;
DROP ROLE quiver_writer;
SELECT quiver.drop_collection('autoid');

-- search limits: limit + offset beyond 16384 is an error, whatever the numbers (no overflow)
SELECT quiver.create_collection('lim', dimension => 2);
SELECT quiver.insert('lim', '[{"id": 1, "vector": [1, 0]}]');
SELECT err($$SELECT * FROM quiver.search('lim', '[1, 0]', "offset" => 9223372036854775807)$$);
SELECT err($$SELECT * FROM quiver.search('lim', '[1, 0]', "limit" => 9223372036854775807, "offset" => 9223372036854775807)$$);
SELECT err($$SELECT * FROM quiver.search('lim', '[1, 0]', "limit" => 16384, "offset" => 1)$$);
SELECT err($$SELECT * FROM quiver.explain_search('lim', '[1, 0]', "offset" => 9223372036854775807)$$);
SELECT err($$SELECT * FROM quiver.hybrid_search('lim', '[{"data": [1, 0], "limit": 9223372036854775807}]')$$);
SELECT err($$SELECT * FROM quiver.search('lim', '[1, 0]', params => '{"group_by_field": "id", "group_size": 1e300}')$$);
SELECT count(*) FROM quiver.search('lim', '[1, 0]', "limit" => 16383, "offset" => 1);
SELECT count(*) FROM quiver.query('lim', "limit" => 9223372036854775807, "offset" => 9223372036854775807);

-- every function of the API, with NULL in each argument position in turn (the others
-- valid): a NULL result or a proper error, never an internal error (XX000). Each call runs
-- in a subtransaction that is rolled back afterwards.
SELECT quiver.create_partition('lim', 'p1');
CREATE TEMP TABLE null_samples (param text, type text, val text, fn text);
INSERT INTO null_samples VALUES
  ('name', 'text', $$'lim_new'$$, 'create_collection'), ('index_name', 'text', $$'vector2'$$, 'create_index'),
  ('rows', 'jsonb', $$'[{"id": 1, "vector": [1, 1]}]'$$, 'upsert'),
  ('table', 'regclass', $$'lim'$$, 'import_vectors'), ('column', 'text', $$'vector'$$, 'import_vectors'),
  ('file', 'text', $$'/nonexistent/quiver-null-test.npy'$$, 'import_vectors'), ('format', 'text', $$'npy'$$, 'import_vectors'),
  ('id_column', 'text', $$'id'$$, 'import_vectors'), ('options', 'jsonb', $$'{}'$$, 'import_vectors'),
  ('files', 'text[]', $$'{/nonexistent/quiver-null-test.json}'$$, 'bulk_insert'), ('options', 'jsonb', $$'{}'$$, 'bulk_insert');
INSERT INTO null_samples (param, type, val) VALUES
  ('name', 'text', $$'lim'$$), ('collection', 'text', $$'lim'$$), ('old_name', 'text', $$'lim'$$),
  ('new_name', 'text', $$'lim2'$$), ('alias', 'text', $$'lim_alias'$$), ('partition_name', 'text', $$'p1'$$),
  ('partition_names', 'text[]', $$'{p1}'$$), ('dimension', 'integer', '2'),
  ('schema', 'jsonb', 'NULL'), ('primary_key', 'text', $$'id'$$), ('auto_id', 'boolean', 'true'),
  ('partition_key', 'text', 'NULL'), ('num_partitions', 'integer', '4'),
  ('index', 'jsonb', $$'{"field_name": "vector"}'$$), ('description', 'text', $$'d'$$),
  ('id_type', 'text', $$'int64'$$), ('vector_field', 'text', $$'vector'$$), ('db_schema', 'text', $$'public'$$),
  ('field_name', 'text', $$'vector'$$), ('index_type', 'text', $$'HNSW'$$), ('metric_type', 'text', $$'l2'$$),
  ('params', 'jsonb', $$'{}'$$), ('filter_params', 'jsonb', $$'{}'$$), ('index_name', 'text', $$'vector'$$),
  ('rows', 'jsonb', $$'[{"id": 99, "vector": [1, 1]}]'$$), ('filter', 'text', $$'id > 0'$$), ('ids', 'jsonb', $$'[1]'$$),
  ('output_fields', 'text[]', $$'{id}'$$), ('limit', 'bigint', '5'), ('offset', 'bigint', '0'),
  ('data', 'anycompatible', $$'[1, 0]'::jsonb$$), ('anns_field', 'text', $$'vector'$$),
  ('requests', 'jsonb', $$'[{"data": [1, 0]}]'$$), ('ranker', 'text', $$'rrf'$$),
  ('ranker_params', 'jsonb', $$'{"k": 60}'$$), ('relid', 'oid', $$'lim'::regclass::oid$$),
  ('index', 'regclass', $$'"lim$vector"'$$), ('reachability', 'boolean', 'false'),
  ('query', 'text', $$'SELECT 1'$$), ('consistency_level', 'text', $$'Strong'$$),
  ('properties', 'jsonb', $$'{"team": "x"}'$$), ('property_keys', 'text[]', $$'{team}'$$),
  ('async', 'boolean', 'false'), ('job', 'bigint', '999999'), ('id', 'bigint', '999999'), ('for_wait', 'boolean', 'false'),
  ('definition', 'text', $$'CREATE INDEX ON lim USING hnsw (vector vector_l2_ops)'$$);
CREATE TEMP TABLE null_calls (fn text, param text, outcome text);
DO $$
DECLARE
  f record; v text; args text[]; missing text; st text;
BEGIN
  FOR f IN SELECT p.proname, p.proargnames AS names,
                  (SELECT array_agg(format_type(a.t, NULL) ORDER BY a.o) FROM unnest(p.proargtypes) WITH ORDINALITY AS a(t, o)) AS types
             FROM pg_proc p
            WHERE p.pronamespace = 'quiver'::regnamespace AND p.pronargs > 0 AND p.prokind = 'f'
              AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
            ORDER BY p.proname
  LOOP
    FOR i IN 1 .. array_length(f.types, 1) LOOP
      args := ARRAY[]::text[];
      missing := NULL;
      FOR k IN 1 .. array_length(f.types, 1) LOOP
        SELECT s.val INTO v FROM null_samples s WHERE s.param = f.names[k] AND s.type = f.types[k]
           AND (s.fn IS NULL OR s.fn = f.proname) ORDER BY s.fn IS NULL LIMIT 1;
        IF NOT FOUND THEN
          missing := f.names[k] || ' ' || f.types[k];
        END IF;
        IF k = i THEN
          v := 'NULL::' || CASE f.types[k] WHEN 'anycompatible' THEN 'jsonb' ELSE f.types[k] END;
        END IF;
        args := args || format('%I => %s', f.names[k], v);
      END LOOP;
      IF missing IS NOT NULL THEN
        INSERT INTO null_calls VALUES (f.proname, f.names[i], 'no sample for ' || missing);
        CONTINUE;
      END IF;
      BEGIN
        EXECUTE format('SELECT count(*) FROM quiver.%I(%s)', f.proname, array_to_string(args, ', '));
        RAISE EXCEPTION USING ERRCODE = 'QV001';  -- roll the call back
      EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE;
        INSERT INTO null_calls VALUES (f.proname, f.names[i], CASE st WHEN 'QV001' THEN 'ok' ELSE st END);
      END;
    END LOOP;
  END LOOP;
END $$;
SELECT count(*) AS calls, count(DISTINCT fn) AS functions, count(*) FILTER (WHERE outcome = 'XX000') AS internal_errors,
       count(*) FILTER (WHERE outcome LIKE 'no sample%') AS untested FROM null_calls;
SELECT fn, string_agg(param || ':' || outcome, ' ' ORDER BY param) AS outcomes FROM null_calls GROUP BY fn ORDER BY fn;
SELECT quiver.drop_collection('lim');
