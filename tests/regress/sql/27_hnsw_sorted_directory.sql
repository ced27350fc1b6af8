-- The attribute directory's sorted run and key runs: the build writes the directory in order
-- of the first attribute column, and for every other column (and a first column without an
-- order: an array) a key run of (key, node) pairs sorted by key, so that a filter narrowing
-- any column reads only the pages that can hold passing rows. Shown with quiver.explain_scan
-- (the pages read), checked against the exact filtered search (every passing row, in order)
-- for integers at their extremes, NULLs, text (hashed: equality), arrays (element keys: &&,
-- @>), rows inserted after the build, VACUUM (and node slots reused after it) and REINDEX; a
-- test that narrows nothing (<@) reads every directory page.
SELECT setseed(0.27);
SET client_min_messages = warning;
CREATE TABLE sd AS
SELECT i AS id, array[sin(i), cos(i), sin(i * 0.37), cos(i * 0.91)]::vector(4) AS v,
       CASE WHEN i % 500 = 0 THEN NULL WHEN i % 499 = 0 THEN 9223372036854775807 WHEN i % 498 = 0 THEN -9223372036854775808
            ELSE (i % 200)::int8 - 100 END AS k,
       'name-' || (i % 150) AS t, array[i % 5, i % 7] AS labels, array[i % 3] AS g
FROM generate_series(1, 12000) i;
-- one index per table: sd (k first), sd_t (t first), sd_l (an array first)
CREATE TABLE sd_t AS SELECT * FROM sd;
CREATE TABLE sd_l AS SELECT * FROM sd;
CREATE INDEX sd_idx ON sd USING hnsw (v vector_l2_ops, k, t, g) WITH (m = 8, ef_construction = 32);
CREATE INDEX sd_t_idx ON sd_t USING hnsw (v vector_l2_ops, t, k, g) WITH (m = 8, ef_construction = 32);
CREATE INDEX sd_l_idx ON sd_l USING hnsw (v vector_l2_ops, labels, k, g) WITH (m = 8, ef_construction = 32);
ANALYZE sd; ANALYZE sd_t; ANALYZE sd_l;

-- the directory pages an exact pass over `tab` read for `pred` ('?': no exact pass ran)
CREATE FUNCTION sd_pages(tab text, pred text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_indexscan = on;
  SET LOCAL quiver.filtered_scan = exact;
  FOR line IN SELECT * FROM quiver.explain_scan('SELECT id FROM ' || tab || ' WHERE ' || pred || ' ORDER BY v <-> ''[1,0,0,0]'' LIMIT 5') LOOP
    IF line LIKE 'quiver: hnsw index%' THEN
      RETURN coalesce(substring(line FROM '(\d+ directory pages read.*)$'), '?');
    END IF;
  END LOOP;
  RETURN 'no index scan';
END $$;
-- sd_same(tab, pred): the index scan (forced, exact pass) against the sequential scan, and
-- how many of the directory's pages the pass read: all of them, or under a quarter
CREATE FUNCTION sd_same(tab text, pred text, q text DEFAULT '[1,0,0,0]') RETURNS text LANGUAGE plpgsql AS $$
DECLARE a int[]; b int[]; pages text; total int; n int;
  sql text := 'SELECT array_agg(id) FROM (SELECT id FROM ' || tab || ' WHERE ' || pred || ' ORDER BY v <-> ' || quote_literal(q) || '::vector, id) s';
BEGIN
  SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL quiver.filtered_scan = exact;
  EXECUTE sql INTO a;
  SET LOCAL enable_seqscan = on; SET LOCAL enable_indexscan = off;
  EXECUTE sql INTO b;
  -- every directory page: a test that narrows nothing (every row passes)
  total := substring(sd_pages(tab, 'g <@ ''{0,1,2}''') FROM '^\d+')::int;
  pages := sd_pages(tab, pred);
  n := substring(pages FROM '^\d+')::int;
  RETURN format('%s | %s rows | %s | pages: %s', pred, coalesce(cardinality(b), 0),
                CASE WHEN a IS NOT DISTINCT FROM b THEN 'same' ELSE format('DIFFERENT: %s vs %s rows', cardinality(a), cardinality(b)) END,
                CASE WHEN n IS NULL THEN pages WHEN n = total THEN 'all' || substring(pages FROM 'read(.*)$')
                     WHEN n * 4 < total THEN 'under a quarter' || substring(pages FROM 'read(.*)$') ELSE n || ' of ' || total END);
END $$;

SELECT sd_same('sd', 'k = 7');
SELECT sd_same('sd', 'k < -95');
SELECT sd_same('sd', 'k <= -100');
SELECT sd_same('sd', 'k > 97');
SELECT sd_same('sd', 'k >= 99 AND k < 9223372036854775807');
SELECT sd_same('sd', 'k BETWEEN -3 AND 3');
SELECT sd_same('sd', 'k = 9223372036854775807');
SELECT sd_same('sd', 'k = -9223372036854775808');
SELECT sd_same('sd', 'k < -9223372036854775807');
SELECT sd_same('sd', 'k > 1000');
SELECT sd_same('sd', 'k = 7 AND t = ''name-107''');
-- a filter on a later column reads that column's key run
SELECT sd_same('sd', 't = ''name-7''');
SELECT sd_same('sd', 'g && ''{1}'' AND t = ''name-9''');
-- every row passes and nothing narrows: every directory page
SELECT sd_same('sd', 'g <@ ''{0,1,2}''');
-- text: equality by hash
SELECT sd_same('sd_t', 't = ''name-7''');
SELECT sd_same('sd_t', 't = ''no such name''');
SELECT sd_same('sd_t', 'k = 7');
-- an array first: the directory in build order, a key run of its elements
SELECT sd_same('sd_l', 'labels && ''{3}'' AND k = 7');
SELECT sd_same('sd_l', 'labels && ''{6}''');
SELECT sd_same('sd_l', 'labels @> ''{4,6}''');
SELECT sd_same('sd_l', 'labels && ''{6, 40}'' AND labels @> ''{1}''');
SELECT sd_same('sd_l', 'labels @> ''{}'' AND k = -100');
SELECT sd_same('sd_l', 'labels && ''{99}''');

-- rows inserted after the build go in front of the sorted run: found, and read in full
INSERT INTO sd SELECT 20000 + id, v, CASE WHEN id % 2 = 0 THEN 7 ELSE 5000 END, 'name-7', labels, g FROM sd WHERE id <= 400 ORDER BY id;
INSERT INTO sd_t SELECT 20000 + id, v, 7, 'name-7', labels, g FROM sd_t WHERE id <= 400 ORDER BY id;
INSERT INTO sd_l SELECT 20000 + id, v, k, t, array[6, 1000], g FROM sd_l WHERE id <= 400 ORDER BY id;
SELECT sd_same('sd', 'k = 7');
SELECT sd_same('sd', 'k = 5000');
SELECT sd_same('sd', 't = ''name-7''');
SELECT sd_same('sd_t', 't = ''name-7''');
SELECT sd_same('sd_t', 'k = 7');
SELECT sd_same('sd_l', 'labels && ''{6}''');
SELECT sd_same('sd_l', 'labels @> ''{1000}''');
-- VACUUM removes directory entries in place (the fences stay true); key runs keep their
-- pairs, and rows inserted after it may take the freed node slots those pairs name
DELETE FROM sd WHERE id % 3 = 0;
DELETE FROM sd_l WHERE id % 3 = 0;
VACUUM sd; VACUUM sd_l;
SELECT sd_same('sd', 'k = 7');
SELECT sd_same('sd', 'k BETWEEN -3 AND 3');
SELECT sd_same('sd', 't = ''name-7''');
INSERT INTO sd SELECT 40000 + id, v, k, 'name-8', labels, g FROM sd WHERE id % 5 = 1 ORDER BY id;
INSERT INTO sd_l SELECT 40000 + id, v, k, t, array[3], g FROM sd_l WHERE id % 5 = 1 ORDER BY id;
SELECT sd_same('sd', 't = ''name-7''');
SELECT sd_same('sd', 't = ''name-8''');
SELECT sd_same('sd_l', 'labels && ''{6}''');
SELECT sd_same('sd_l', 'labels @> ''{3}''');
SELECT count(*) AS problems FROM quiver.index_check('sd_idx', true) p WHERE p NOT LIKE '%unreachable%';
SELECT count(*) AS problems FROM quiver.index_check('sd_t_idx', true) p WHERE p NOT LIKE '%unreachable%';
SELECT count(*) AS problems FROM quiver.index_check('sd_l_idx', true) p WHERE p NOT LIKE '%unreachable%';
-- REINDEX sorts the inserted rows in
REINDEX INDEX sd_idx;
REINDEX INDEX sd_l_idx;
SELECT sd_same('sd', 'k = 7');
SELECT sd_same('sd', 'k = 5000');
SELECT sd_same('sd', 't = ''name-8''');
SELECT sd_same('sd_l', 'labels @> ''{3}''');
SELECT count(*) AS problems FROM quiver.index_check('sd_idx', true) p WHERE p NOT LIKE '%unreachable%';
SELECT count(*) AS problems FROM quiver.index_check('sd_l_idx', true) p WHERE p NOT LIKE '%unreachable%';

-- without quiver.filtered_scan set, a filter the sorted run narrows to a few rows takes the
-- exact pass at once (no walk); a broad one walks
SET enable_seqscan = off; SET enable_bitmapscan = off;
SELECT substring(line FROM '^quiver: [^;]*; ([a-z]+ [a-z]+)') AS path
  FROM quiver.explain_scan($$SELECT id FROM sd WHERE k = 7 ORDER BY v <-> '[1,0,0,0]' LIMIT 10$$) line WHERE line LIKE 'quiver:%';
SELECT substring(line FROM '^quiver: [^;]*; ([a-z]+ [a-z]+)') AS path
  FROM quiver.explain_scan($$SELECT id FROM sd WHERE k > -90 ORDER BY v <-> '[1,0,0,0]' LIMIT 10$$) line WHERE line LIKE 'quiver:%';
-- the same through a key run
SELECT substring(line FROM '^quiver: [^;]*; ([a-z]+ [a-z]+)') AS path
  FROM quiver.explain_scan($$SELECT id FROM sd_l WHERE labels @> '{1000}' ORDER BY v <-> '[1,0,0,0]' LIMIT 10$$) line WHERE line LIKE 'quiver:%';
SELECT substring(line FROM '^quiver: [^;]*; ([a-z]+ [a-z]+)') AS path
  FROM quiver.explain_scan($$SELECT id FROM sd_l WHERE labels && '{0,1,2,3}' ORDER BY v <-> '[1,0,0,0]' LIMIT 10$$) line WHERE line LIKE 'quiver:%';
RESET enable_seqscan; RESET enable_bitmapscan;

-- explain_scan: the plan, then a line saying no quiver scan ran; errors are the query's own
SELECT * FROM quiver.explain_scan('SELECT count(*) FROM sd');
SET client_min_messages = notice;
DO $$ BEGIN PERFORM quiver.explain_scan('SELEC 1'); EXCEPTION WHEN others THEN RAISE NOTICE '%: %', SQLSTATE, SQLERRM; END $$;
DO $$ BEGIN PERFORM quiver.explain_scan('SELECT * FROM sd_no_such'); EXCEPTION WHEN others THEN RAISE NOTICE '%: %', SQLSTATE, SQLERRM; END $$;
SELECT count(*) AS null_in_no_rows FROM quiver.explain_scan(NULL);
SET client_min_messages = warning;
DROP TABLE sd, sd_t, sd_l;
DROP FUNCTION sd_same(text, text, text);
DROP FUNCTION sd_pages(text, text);
