-- Collection functions run with the caller's privileges, and no name, filter or JSON key
-- reaches SQL as code.
SET client_min_messages = warning;
DROP ROLE IF EXISTS quiver_reader;
CREATE ROLE quiver_reader;
SELECT quiver.create_collection('secure', dimension => 2, metric => 'l2');
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

REVOKE ALL ON secure FROM quiver_reader;
DROP ROLE quiver_reader;
SELECT quiver.drop_collection('secure');
