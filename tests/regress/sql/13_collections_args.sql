-- Arguments of the collection functions (and the values their statements read back) are
-- checked before use; every problem is an ERROR with its SQLSTATE naming the argument:
-- a JSON number beyond double precision (22003, with its JSON path), a NULL element in a
-- text[] argument (22004), an array of more than one dimension (2202E), JSON nested too
-- deeply (54000), text that is not UTF-8 in a SQL_ASCII database (22021) and text that is
-- not ASCII in a database of another encoding (0A000).
SELECT quiver.create_collection('args', schema => '{"enable_dynamic_field": true, "fields": [
  {"name": "id", "type": "INT64", "is_primary": true},
  {"name": "v", "type": "FLOAT_VECTOR", "dim": 2},
  {"name": "d", "type": "DOUBLE", "nullable": true},
  {"name": "meta", "type": "JSON", "nullable": true}]}', metric_type => 'l2');
SELECT quiver.create_partition('args', 'p1');
SELECT quiver.insert('args', '[{"id": 1, "v": [1, 0], "d": 0.5, "meta": {"n": 1}}, {"id": 2, "v": [0, 1]}]');

-- Numbers beyond double precision, in every jsonb argument. No field can hold one: not a
-- DOUBLE, and not a JSON or dynamic field either (JSON numbers are doubles, as in Milvus).
SELECT err($$SELECT quiver.insert('args', '[{"id": 3, "v": [1e400, 0]}]')$$);
SELECT err($$SELECT quiver.insert('args', '[{"id": 3, "v": [1, 0], "d": -1e400}]')$$);
SELECT err($$SELECT quiver.insert('args', '[{"id": 3, "v": [1, 0], "meta": {"big": [1, 1e400]}}]')$$);
SELECT err($$SELECT quiver.insert('args', '[{"id": 3, "v": [1, 0], "extra key": {"a \"b\"": 1e400}}]')$$);
SELECT err($$SELECT quiver.upsert('args', '[{"id": 1e400, "v": [1, 0]}]')$$);
SELECT err($$SELECT quiver.delete('args', ids => '[1, 1e400]')$$);
SELECT err($$SELECT * FROM quiver.get('args', '1e400')$$);
SELECT err($$SELECT * FROM quiver.search('args', '[1e400, 0]'::jsonb)$$);
SELECT err($$SELECT * FROM quiver.search('args', '[1e400, 0]'::text)$$);
SELECT err($$SELECT * FROM quiver.search('args', '[1, 0]'::jsonb, params => '{"params": {"ef": 1e400}}')$$);
SELECT err($$SELECT * FROM quiver.explain_search('args', '[1, 0]'::jsonb, params => '{"radius": -1e400}')$$);
SELECT err($$SELECT * FROM quiver.hybrid_search('args', '[{"data": [1, 0], "limit": 1e400}]')$$);
SELECT err($$SELECT * FROM quiver.hybrid_search('args', '[{"data": [1, 0]}]', 'weighted', '{"weights": [1e400]}')$$);
SELECT err($$SELECT quiver.create_index('args', 'v', params => '{"M": 1e400}')$$);
SELECT err($$SELECT quiver.create_collection('args2', schema => '{"fields": [{"name": "id", "type": "INT64", "is_primary": true}, {"name": "v", "type": "FLOAT_VECTOR", "dim": 1e400}]}')$$);
SELECT err($$SELECT quiver.create_collection('args2', dimension => 2, index => '{"field_name": "vector", "params": {"efConstruction": 1e400}}')$$);
SELECT quiver.has_collection('args2') AS args2_created;
-- in range they are used as before (numbers too small for a double are zero)
SELECT quiver.insert('args', '[{"id": 3, "v": [1e-400, 1], "d": 1.7976931348623157e308, "meta": {"tiny": -1e-400, "int": 12345678901234567890}}]');
SELECT g->'d' = to_jsonb(1.7976931348623157e308::float8) AS d_is_max, g->'meta' AS meta FROM quiver.get('args', '[3]', '{d, meta}') AS g;

-- NULL elements and more than one dimension in text[] arguments
SELECT err($$SELECT * FROM quiver.get('args', '[1]', '{id, NULL}')$$);
SELECT err($$SELECT * FROM quiver.query('args', 'id > 0', output_fields => ARRAY[NULL]::text[])$$);
SELECT err($$SELECT quiver.count('args', 'id > 0', '{p1, NULL}')$$);
SELECT err($$SELECT * FROM quiver.query('args', 'id > 0', partition_names => '{NULL}')$$);
SELECT err($$SELECT * FROM quiver.search('args', '[1, 0]'::jsonb, output_fields => '{NULL}')$$);
SELECT err($$SELECT * FROM quiver.search('args', '[1, 0]'::jsonb, partition_names => '{p1, NULL}')$$);
SELECT err($$SELECT * FROM quiver.explain_search('args', '[1, 0]'::jsonb, partition_names => '{NULL}')$$);
SELECT err($$SELECT * FROM quiver.hybrid_search('args', '[{"data": [1, 0]}]', output_fields => '{id, NULL}')$$);
SELECT err($$SELECT quiver.count('args', 'id > 0', '{{p1}, {_default}}')$$);
-- an empty array names no partitions
SELECT quiver.count('args', 'id > 0', '{}');

-- JSON nested deeper than 128 levels
SELECT err(format($$SELECT quiver.insert('args', '[{"id": 4, "v": [1, 0], "meta": %s1%s}]')$$, repeat('[', 130), repeat(']', 130)));
SELECT quiver.drop_collection('args');

-- A SQL_ASCII database stores any bytes: text that is not UTF-8 is refused, in arguments
-- and in stored values read back.
\set regress_db :DBNAME
SET client_min_messages = warning;
DROP DATABASE IF EXISTS quiver_regress_ascii;
CREATE DATABASE quiver_regress_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
\c quiver_regress_ascii
CREATE EXTENSION quiver;
CREATE FUNCTION err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE q; RETURN 'ok';
EXCEPTION WHEN others THEN RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT quiver.create_collection('a', schema => '{"enable_dynamic_field": true, "fields": [
  {"name": "id", "type": "INT64", "is_primary": true},
  {"name": "v", "type": "FLOAT_VECTOR", "dim": 2},
  {"name": "t", "type": "VARCHAR", "max_length": 8}]}', metric_type => 'l2');
SELECT err($$SELECT quiver.has_collection(E'a\xa9')$$);
SELECT err($$SELECT quiver.create_collection(E'n\xa9', dimension => 2)$$);
SELECT err($$SELECT quiver.rename_collection('a', E'b\xe2\x28\xa1')$$);
SELECT err($$SELECT quiver.create_alias('a', E'al\xff')$$);
SELECT err($$SELECT quiver.create_partition('a', E'p\xc3')$$);
SELECT err($$SELECT quiver.create_index('a', E'v\xa9')$$);
SELECT err($$SELECT quiver.insert('a', E'[{"id": 1, "v": [1, 0], "t": "x\xa9"}]')$$);
SELECT err($$SELECT quiver.insert('a', E'[{"id": 1, "v": [1, 0], "k\xa9": 1}]')$$);
SELECT err($$SELECT quiver.count('a', E't == "\xa9"')$$);
SELECT err($$SELECT quiver.count('a', 'id > 0', E'{_default, "\xe2\x28"}')$$);
SELECT err($$SELECT * FROM quiver.query('a', 'id > 0', output_fields => E'{"\xa9"}')$$);
SELECT err($$SELECT * FROM quiver.search('a', E'"[1,\xa9]"'::jsonb)$$);
SELECT err($$SELECT * FROM quiver.search('a', E'[1, 0]\xa9'::text)$$);
SELECT err($$SELECT * FROM quiver.hybrid_search('a', '[{"data": [1, 0]}]', E'rrf\xa9')$$);
-- UTF-8 is fine (the two bytes of "é")
SELECT quiver.insert('a', E'[{"id": 1, "v": [1, 0], "t": "caf\xc3\xa9"}]');
SELECT * FROM quiver.get('a', '[1]', '{t}');
-- bytes stored by plain SQL are refused when read back
INSERT INTO a (id, v, t, "$meta") VALUES (2, '[0, 1]', E'x\xa9', '{}'), (3, '[1, 1]', 'ok', E'{"k": "\xa9"}');
SELECT err($$SELECT * FROM quiver.get('a', '[2]', '{t}')$$);
SELECT err($$SELECT * FROM quiver.query('a', 'id == 3', '{*}')$$);
SELECT err($$SELECT * FROM quiver.search('a', '[0, 1]'::jsonb, "limit" => 1, output_fields => '{t}')$$);
SELECT err($$SELECT * FROM quiver.hybrid_search('a', '[{"data": [0, 1]}]', "limit" => 1, output_fields => '{t}')$$);
SELECT * FROM quiver.get('a', '[1, 2, 3]', '{id}') AS g ORDER BY g::text;

-- In a database of another encoding the functions read ASCII text only.
SET client_min_messages = warning;
DROP DATABASE IF EXISTS quiver_regress_latin1;
CREATE DATABASE quiver_regress_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
\c quiver_regress_latin1
CREATE EXTENSION quiver;
CREATE FUNCTION err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE q; RETURN 'ok';
EXCEPTION WHEN others THEN RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT quiver.create_collection('l', dimension => 2, auto_id => true);
SELECT quiver.insert('l', '[{"vector": [1, 0], "t": "plain"}]');
SELECT * FROM quiver.get('l', '[1]', '{t}');
SELECT err($$SELECT quiver.has_collection(E'caf\xe9')$$);
SELECT err($$SELECT quiver.insert('l', E'[{"vector": [1, 0], "t": "caf\xe9"}]')$$);

\c :regress_db
DROP DATABASE quiver_regress_ascii;
DROP DATABASE quiver_regress_latin1;
