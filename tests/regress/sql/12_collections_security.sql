-- Collection functions run with the caller's privileges, and no name, filter or JSON key
-- reaches SQL as code.
SET client_min_messages = warning;
DROP ROLE IF EXISTS quiver_reader;
CREATE ROLE quiver_reader;
SELECT quiver.create_collection('secure', dimension => 2, metric_type => 'l2', auto_id => true);
SELECT quiver.insert('secure', '[{"vector": [0, 0], "title": "a"}, {"vector": [1, 1], "title": "b"}]');

SET ROLE quiver_reader;
SELECT * FROM quiver.list_collections();
SELECT err($$SELECT * FROM quiver.search('secure', '[0, 0]')$$);
SELECT err($$SELECT quiver.count('secure')$$);
SELECT err($$SELECT quiver.insert('secure', '[{"vector": [2, 2]}]')$$);
SELECT err($$SELECT quiver.drop_collection('secure')$$);
SELECT err($$SELECT quiver.create_alias('secure', 'mine')$$);
SELECT err($$DELETE FROM quiver.collections$$);
RESET ROLE;
SELECT quiver.has_collection('secure') AS still_there;

GRANT SELECT ON secure TO quiver_reader;
SET ROLE quiver_reader;
SELECT id FROM quiver.search('secure', '[0, 0]', "limit" => 1);
SELECT err($$SELECT quiver.insert('secure', '[{"vector": [2, 2]}]')$$);
SELECT err($$SELECT quiver.delete('secure', ids => '[1]')$$);
RESET ROLE;

-- injection attempts: each is rejected or harmless
SELECT err($$SELECT quiver.create_collection('secure; DROP TABLE secure', dimension => 2)$$);
SELECT err($$SELECT quiver.create_collection('s2', schema => '{"fields": [{"name": "id\"; DROP TABLE secure; --", "type": "INT64", "is_primary": true}, {"name": "v", "type": "FLOAT_VECTOR", "dim": 2}]}')$$);
SELECT err($$SELECT quiver.create_partition('secure', 'p''); DROP TABLE secure; --')$$);
SELECT err($$SELECT quiver.create_alias('secure', 'a"b')$$);
SELECT count(*) AS matches FROM quiver.query('secure', filter => 'title == "a\" or 1 == 1 or \""');
SELECT count(*) AS matches FROM quiver.query('secure', filter => 'title == "x''); DROP TABLE secure; --"');
SELECT err($$SELECT * FROM quiver.query('secure', filter => 'title == ''x''''); DROP TABLE secure; --''')$$);
SELECT err($$SELECT * FROM quiver.query('secure', filter => 'id == 1; DROP TABLE secure')$$);
-- '--' is two minus signs here (1 - (-comment), comment being a dynamic key): harmless arithmetic
SELECT count(*) AS matches FROM quiver.query('secure', filter => 'id == 1 -- comment');
SELECT count(*) FROM quiver.query('secure', filter => 'title["''); DROP TABLE secure; --"] == 1');
SELECT quiver.insert('secure', '[{"vector": [3, 3], "x''); DROP TABLE secure; --": 1, "\"": 2}]');
SELECT entity FROM quiver.search('secure', '[3, 3]', "limit" => 1, output_fields => '{*}');
SELECT err($$SELECT * FROM quiver.search('secure', '[3, 3]', output_fields => '{"x''); DROP TABLE secure; --"}')$$);
SELECT err($$SELECT * FROM quiver.search('secure', '[3, 3]', anns_field => 'vector"; DROP TABLE secure; --')$$);
SELECT quiver.count('secure') AS rows_after_attempts, to_regclass('secure') IS NOT NULL AS table_intact;

-- The caller's search_path cannot change what the functions run. A role puts operators,
-- functions and types with the signatures the generated SQL uses into a schema, and a
-- superuser calls the API with that schema ahead of pg_catalog: none of them ever runs.
DROP ROLE IF EXISTS quiver_evil;
CREATE ROLE quiver_evil;
CREATE SCHEMA evil AUTHORIZATION quiver_evil;
CREATE TABLE evil.calls (what text);
GRANT INSERT ON evil.calls TO PUBLIC;
SET ROLE quiver_evil;
CREATE FUNCTION evil.rec(what text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN INSERT INTO evil.calls VALUES (what); RETURN true; END $$;
CREATE FUNCTION evil.vv(a vector, b vector) RETURNS float8 LANGUAGE sql AS $$ SELECT 0::float8 WHERE evil.rec('vector operator') $$;
CREATE OPERATOR evil.<-> (LEFTARG = vector, RIGHTARG = vector, FUNCTION = evil.vv);
CREATE OPERATOR evil.<=> (LEFTARG = vector, RIGHTARG = vector, FUNCTION = evil.vv);
CREATE FUNCTION evil.tt(a text, b text) RETURNS boolean LANGUAGE sql AS $$ SELECT evil.rec('text operator') $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.tt);
CREATE OPERATOR evil.~~ (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.tt);
CREATE FUNCTION evil.vt(a varchar, b text) RETURNS boolean LANGUAGE sql AS $$ SELECT evil.rec('varchar operator') $$;
CREATE OPERATOR evil.= (LEFTARG = varchar, RIGHTARG = text, FUNCTION = evil.vt);
CREATE FUNCTION evil.bb(a bigint, b bigint) RETURNS boolean LANGUAGE sql AS $$ SELECT evil.rec('bigint operator') $$;
CREATE OPERATOR evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.bb);
CREATE OPERATOR evil.> (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.bb);
CREATE FUNCTION evil.jj(a jsonb, b jsonb) RETURNS boolean LANGUAGE sql AS $$ SELECT evil.rec('jsonb operator') $$;
CREATE OPERATOR evil.= (LEFTARG = jsonb, RIGHTARG = jsonb, FUNCTION = evil.jj);
CREATE FUNCTION evil.jp(a jsonb, b text[]) RETURNS jsonb LANGUAGE sql AS $$ SELECT a WHERE evil.rec('jsonb path operator') $$;
CREATE OPERATOR evil.#> (LEFTARG = jsonb, RIGHTARG = text[], FUNCTION = evil.jp);
CREATE FUNCTION evil.to_jsonb(anyelement) RETURNS jsonb LANGUAGE sql AS $$ SELECT '1'::jsonb WHERE evil.rec('to_jsonb') $$;
CREATE FUNCTION evil.jsonb_to_recordset(jsonb) RETURNS SETOF record LANGUAGE sql AS $$ SELECT NULL::record WHERE evil.rec('jsonb_to_recordset') $$;
CREATE DOMAIN evil.text AS pg_catalog.text CHECK (evil.rec('text type'));
CREATE DOMAIN evil.jsonb AS pg_catalog.jsonb CHECK (evil.rec('jsonb type'));
RESET ROLE;
-- the trap works on plain SQL
SET search_path = evil, pg_catalog, public;
SELECT 1 AS trapped WHERE 'a'::text = 'a' AND '{}'::jsonb = '{}';
RESET search_path;
SELECT what FROM evil.calls ORDER BY what;
TRUNCATE evil.calls;
SET search_path = evil, pg_catalog, public;
SELECT quiver.insert('secure', '[{"vector": [5, 5], "title": "z"}, {"vector": [6, 6], "title": "z"}]') ->> 'insert_count' AS inserted;
SELECT id FROM quiver.search('secure', '[0, 0]', filter => 'title == "a" or id > 100 or title like "b%"');
SELECT id FROM quiver.search('secure', '[6, 6]', "limit" => 1, filter => 'title == "z"', output_fields => '{title}');
SELECT count(*) FROM quiver.query('secure', filter => 'title == "z" and id > 0', output_fields => '{*}');
SELECT * FROM quiver.get('secure', '[1, 2]', output_fields => '{title}');
SELECT quiver.upsert('secure', '[{"id": 1, "vector": [0, 0], "title": "a"}]') ->> 'upsert_count' AS upserted;
SELECT quiver.count('secure', filter => 'title == "z"') AS z_rows;
SELECT quiver.delete('secure', filter => 'title == "z"') ->> 'delete_count' AS deleted;
SELECT quiver.delete('secure', ids => '[2]') ->> 'delete_count' AS deleted;
SELECT quiver.insert('secure', '[{"vector": [1, 1], "title": "b"}]') ->> 'insert_count' AS inserted;
SELECT id, score FROM quiver.hybrid_search('secure', '[{"data": [0, 0], "filter": "title == \"a\""}]');
SELECT count(*) AS lines FROM quiver.explain_search('secure', '[0, 0]', filter => 'title == "a"');
-- (the table goes to the caller's current schema, evil, as db_schema defaults to it)
SELECT quiver.create_collection('evil_target', schema => '{"fields": [{"name": "id", "type": "INT64", "is_primary": true},
  {"name": "tag", "type": "VARCHAR", "max_length": 8}, {"name": "n", "type": "INT64"}, {"name": "v", "type": "FLOAT_VECTOR", "dim": 2}]}',
  index => '{"field_name": "v"}');
SELECT quiver.describe_collection('evil_target') ->> 'table' AS "table";
SELECT quiver.insert('evil_target', '[{"id": 1, "tag": "a", "n": 5, "v": [1, 1]}, {"id": 2, "tag": "b", "n": 6, "v": [1, 2]}]') ->> 'insert_count' AS inserted;
SELECT * FROM quiver.query('evil_target', filter => 'tag == "a" or (tag like "b%" and n > 5 and id == 2)', output_fields => '{tag}');
SELECT id FROM quiver.search('evil_target', '[1, 1]', filter => 'tag == "b"');
SELECT quiver.upsert('evil_target', '[{"id": 2, "tag": "c", "n": 7, "v": [2, 2]}]') ->> 'upsert_count' AS upserted;
SELECT * FROM quiver.get('evil_target', '[1, 2]', output_fields => '{tag,n}');
SELECT quiver.drop_collection('evil_target');
RESET search_path;
SELECT count(*) AS evil_calls FROM evil.calls;
SELECT id, vector, "$meta" FROM secure ORDER BY id;

-- The catalog cannot point a collection name at a table its writer does not own, nor
-- carry a definition naming another table: refused at write, and refused at load when
-- such a row got in anyway (here: written with triggers off).
DROP ROLE IF EXISTS quiver_mallory;
CREATE ROLE quiver_mallory;
CREATE SCHEMA mallory AUTHORIZATION quiver_mallory;
CREATE TABLE victim (id bigint PRIMARY KEY, vector vector(2), "$meta" jsonb NOT NULL DEFAULT '{}', "$partition" text NOT NULL DEFAULT '_default');
INSERT INTO victim SELECT i, '[1,1]' FROM generate_series(1, 3) i;
CREATE TEMP TABLE forged AS
  SELECT jsonb_set(definition, '{name}', '"victim"') AS definition FROM quiver.collections WHERE name = 'secure';
GRANT SELECT ON forged TO quiver_mallory;
SET ROLE quiver_mallory;
SELECT err($$INSERT INTO quiver.collections (name, schema_name, definition) SELECT 'victim', 'public', definition FROM forged$$);
CREATE TABLE mallory.mallory_t (id bigint, vector vector(2), "$meta" jsonb NOT NULL DEFAULT '{}', "$partition" text NOT NULL DEFAULT '_default');
SELECT err($$INSERT INTO quiver.collections (name, schema_name, definition) SELECT 'mallory_t', 'mallory', definition FROM forged$$);
WITH u AS (UPDATE quiver.collections SET definition = (SELECT definition FROM forged) WHERE name = 'secure' RETURNING 1)
SELECT count(*) AS rows_changed FROM u;
RESET ROLE;
SELECT quiver.has_collection('victim') AS victim_registered;
SELECT err($$UPDATE quiver.collections SET name = 'victim' WHERE name = 'secure'$$);
SELECT err($$UPDATE quiver.collections SET definition = (SELECT definition FROM forged) WHERE name = 'secure'$$);
SET session_replication_role = replica;
INSERT INTO quiver.collections (name, schema_name, definition, owner, relid)
  SELECT 'victim', 'public', definition, 'quiver_mallory', 'victim' FROM forged;
UPDATE quiver.collections SET definition = (SELECT definition FROM forged) WHERE name = 'secure';
RESET session_replication_role;
SELECT err($$SELECT quiver.delete('victim', filter => 'true')$$);
SELECT err($$SELECT quiver.count('secure')$$);
SELECT count(*) AS victim_rows FROM victim;
DELETE FROM quiver.collections WHERE name = 'victim';
SET session_replication_role = replica;
UPDATE quiver.collections SET definition = jsonb_set(definition, '{name}', '"secure"') WHERE name = 'secure';
RESET session_replication_role;
SELECT quiver.count('secure') AS secure_rows;
DROP TABLE victim, forged;
DROP SCHEMA mallory CASCADE;
DROP ROLE quiver_mallory;

-- The catalog follows the tables: DROP TABLE and DROP SCHEMA ... CASCADE remove the
-- collection (and its aliases), ALTER TABLE ... RENAME / SET SCHEMA / OWNER TO carry it
-- along with its partitions and indexes.
SELECT quiver.create_collection('dropped', dimension => 2);
SELECT quiver.create_alias('dropped', 'dropped_alias');
DROP TABLE dropped;
SELECT quiver.has_collection('dropped') AS has_collection, quiver.has_collection('dropped_alias') AS has_alias;
SELECT quiver.create_collection('dropped', dimension => 2);
SELECT quiver.drop_collection('dropped');
CREATE SCHEMA scratch;
SELECT quiver.create_collection('in_scratch', dimension => 2, db_schema => 'scratch');
DROP SCHEMA scratch CASCADE;
SELECT quiver.has_collection('in_scratch') AS has_collection;
SELECT quiver.create_collection('ren', dimension => 2, metric_type => 'l2', auto_id => true);
SELECT quiver.create_partition('ren', 'p1');
SELECT quiver.create_alias('ren', 'ren_alias');
SELECT quiver.insert('ren', '[{"vector": [1, 0]}]') ->> 'insert_count' AS inserted;
SELECT quiver.insert('ren', '[{"vector": [2, 0]}]', partition_name => 'p1') ->> 'insert_count' AS inserted;
ALTER TABLE ren RENAME TO ren2;
SELECT quiver.has_collection('ren') AS old_name, quiver.has_collection('ren2') AS new_name;
SELECT * FROM quiver.list_partitions('ren2');
SELECT * FROM quiver.list_indexes('ren2');
SELECT quiver.count('ren_alias') AS via_alias, quiver.count('ren2', partition_names => '{p1}') AS in_p1;
SELECT c.relname FROM pg_class c WHERE c.relname LIKE 'ren%' ORDER BY 1;
SELECT err($$ALTER TABLE ren2 RENAME TO "bad name"$$);
SELECT err($$ALTER TABLE ren2 RENAME TO ren_alias$$);
SELECT err($$ALTER TABLE ren2 DROP COLUMN vector$$);
SELECT err($$ALTER TABLE ren2 RENAME COLUMN "$meta" TO meta$$);
ALTER TABLE ren2 ADD COLUMN note text;
CREATE SCHEMA elsewhere;
ALTER TABLE ren2 SET SCHEMA elsewhere;
SELECT d ->> 'table' AS "table" FROM quiver.describe_collection('ren2') d;
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relname LIKE 'ren2%' ORDER BY 2;
SELECT id FROM quiver.search('ren2', '[2, 0]', "limit" => 1, partition_names => '{p1}');
ALTER TABLE elsewhere.ren2 OWNER TO quiver_evil;
SELECT owner FROM quiver.collections WHERE name = 'ren2';
SELECT quiver.rename_collection('ren2', 'ren3');
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relname LIKE 'ren%' ORDER BY 2;
SELECT quiver.drop_collection('ren3');
DROP SCHEMA elsewhere;
-- with the event triggers off, a stale row is reported at load
ALTER EVENT TRIGGER quiver_catalog_on_drop DISABLE;
SELECT quiver.create_collection('stale', dimension => 2);
DROP TABLE stale;
ALTER EVENT TRIGGER quiver_catalog_on_drop ENABLE;
SELECT err($$SELECT quiver.count('stale')$$);
SELECT quiver.drop_collection('stale');
SELECT quiver.has_collection('stale') AS has_collection;
DROP SCHEMA evil CASCADE;
DROP ROLE quiver_evil;

REVOKE ALL ON secure FROM quiver_reader;
DROP ROLE quiver_reader;
SELECT quiver.drop_collection('secure');
