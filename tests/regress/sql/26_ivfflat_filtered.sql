-- Multi-column ivfflat indexes: attribute columns tested inside the index, through the layer
-- hnsw uses. The index scan returns exactly the rows of the exact filtered search (a filtered
-- scan goes on through every list, so even ivfflat.probes = 1 returns them all), the top
-- ones in distance order when every list is probed; full LIMITs at probes = 1; inserts,
-- NULLs, VACUUM, REINDEX; the planner's choice; errors.
SELECT setseed(0.26);
SET client_min_messages = warning;
CREATE TABLE it AS
SELECT i AS id, array(SELECT random() * 2 - 1 FROM generate_series(1, 8) WHERE i > 0)::vector(8) AS v,
       i % 100 AS tenant, 'c' || (i % 7) AS cat, array[i % 4, i % 9] AS labels, i % 2 = 0 AS flag,
       date '2024-01-01' + (i % 366) AS d
FROM generate_series(1, 5000) i;
UPDATE it SET tenant = NULL, labels = NULL WHERE id % 97 = 0;
INSERT INTO it (id, v, tenant, cat) SELECT 9000 + i, NULL, 7, 'c0' FROM generate_series(1, 3) i;
CREATE INDEX it_idx ON it USING ivfflat (v vector_l2_ops, tenant, cat, labels, flag, d) WITH (lists = 20);
ANALYZE it;
SELECT indnatts FROM pg_index WHERE indexrelid = 'it_idx'::regclass;

-- it_same(pred, k): the index scan (forced) against the exact filtered search: whether the
-- plan tests `pred` inside the index, how many rows pass, whether the first k rows come in
-- the same distance order (every list probed) and whether the scan at probes = 1 returns
-- exactly the passing rows (all of them)
CREATE FUNCTION it_same(pred text, k int DEFAULT 10, q text DEFAULT '[0,0,0,0,0,0,0,0]') RETURNS text LANGUAGE plpgsql AS $$
DECLARE plan text := ''; line text; top_i float8[]; top_s float8[]; all_i int[]; all_s int[];
  sql text := 'SELECT array_agg(%s) FROM (SELECT id, v <-> ' || quote_literal(q) || '::vector AS d FROM it WHERE ' || pred || ' ORDER BY v <-> ' || quote_literal(q) || '::vector%s %s) t';
BEGIN
  SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL ivfflat.probes = 1;
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || format(sql, 'id', '', 'LIMIT 10') LOOP plan := plan || line; END LOOP;
  EXECUTE format(sql, 'id', '', '') INTO all_i;
  SET LOCAL ivfflat.probes = 20;
  EXECUTE format(sql, 'd', '', 'LIMIT ' || k) INTO top_i;
  SET LOCAL enable_seqscan = on; SET LOCAL enable_indexscan = off;
  EXECUTE format(sql, 'd', ', id', 'LIMIT ' || k) INTO top_s;
  EXECUTE format(sql, 'id', ', id', '') INTO all_s;
  RETURN format('%s | index cond %s | %s rows | top %s %s | all %s', pred, (plan LIKE '%Index Cond%'), coalesce(cardinality(all_s), 0),
                k, CASE WHEN top_i IS NOT DISTINCT FROM top_s THEN 'same' ELSE format('differ: %s vs %s', top_i[1:5], top_s[1:5]) END,
                CASE WHEN (SELECT array_agg(x ORDER BY x) FROM unnest(all_i) x) IS NOT DISTINCT FROM (SELECT array_agg(x ORDER BY x) FROM unnest(all_s) x)
                     THEN 'same' ELSE format('differ: %s vs %s rows', cardinality(all_i), cardinality(all_s)) END);
END $$;

SELECT it_same('tenant = 7');
SELECT it_same('tenant < 3');
SELECT it_same('tenant BETWEEN 10 AND 12');
SELECT it_same('tenant = 7::int8');
SELECT it_same('cat = ''c3'' AND tenant < 30');
SELECT it_same('labels && ''{3}'' AND tenant < 40');
SELECT it_same('labels @> ''{1,2}''');
SELECT it_same('labels <@ ''{0,1,2}'' AND tenant < 60');
SELECT it_same('flag AND tenant < 10');
SELECT it_same('d >= ''2024-12-30''');

-- at probes = 1, 100 queries: full LIMITs whose rows all pass
SET enable_seqscan = off; SET enable_bitmapscan = off;
SELECT count(*) FILTER (WHERE n = 10) AS full_limits, count(*) FILTER (WHERE bad > 0) AS failing_rows
FROM (SELECT q, (SELECT count(*) FROM (SELECT id FROM it WHERE tenant = q ORDER BY v <-> (SELECT v FROM it WHERE id = q * 37) LIMIT 10) t) AS n,
             (SELECT count(*) FROM (SELECT id, tenant FROM it WHERE tenant = q ORDER BY v <-> (SELECT v FROM it WHERE id = q * 37) LIMIT 10) t WHERE tenant <> q) AS bad
      FROM generate_series(1, 96) q) s;
RESET enable_seqscan; RESET enable_bitmapscan;

-- inserts after the build (attributes with them), deletes and VACUUM, REINDEX
INSERT INTO it (id, v, tenant, cat, labels, flag) SELECT 20000 + id, v, 1001 + id % 3, 'new', array[42], true FROM it WHERE id BETWEEN 1 AND 300;
SELECT it_same('tenant = 1001');
SELECT it_same('labels && ''{42}'' AND cat = ''new''', 300);
DELETE FROM it WHERE id % 3 = 0;
VACUUM it;
SELECT it_same('tenant = 1001');
SELECT it_same('tenant < 30');
REINDEX INDEX it_idx;
SELECT it_same('labels && ''{42,3}''', 50);
SELECT count(*) AS problems FROM quiver.index_check('it_idx');

-- the planner: an exact plan for a selective filter with a btree on the column, the vector
-- index for a broad one
CREATE INDEX it_tenant ON it (tenant);
ANALYZE it;
EXPLAIN (COSTS OFF) SELECT id FROM it WHERE tenant = 7 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 10;
EXPLAIN (COSTS OFF) SELECT id FROM it WHERE tenant < 90 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 10;
DROP INDEX it_tenant;

-- cosine: zero vectors (no distance) after every row that has one, NULL vectors last
CREATE TABLE iz AS SELECT i AS id, (CASE WHEN i % 10 = 0 THEN '[0,0,0]'::vector WHEN i % 37 = 0 THEN NULL
                                        ELSE array[sin(i), cos(i), (i % 7) - 3]::vector END)::vector(3) AS v, i % 3 AS t
  FROM generate_series(1, 2000) i;
CREATE INDEX ON iz USING ivfflat (v vector_cosine_ops, t) WITH (lists = 5);
SET enable_seqscan = off; SET enable_bitmapscan = off; SET ivfflat.probes = 5;
SELECT count(*) AS rows, count(*) FILTER (WHERE d = 'NaN') AS no_distance, count(*) FILTER (WHERE d IS NULL) AS nulls,
       bool_and(t = 2) AS all_pass, array_agg(coalesce(d, 9) ORDER BY n) = array_agg(coalesce(d, 9) ORDER BY d) AS in_order
  FROM (SELECT row_number() OVER () AS n, t, d FROM (SELECT t, v <=> '[1,1,1]' AS d FROM iz WHERE t = 2 ORDER BY v <=> '[1,1,1]') x) s;
RESET enable_seqscan; RESET enable_bitmapscan; RESET ivfflat.probes;
SELECT count(*) FILTER (WHERE t = 2) AS expected_rows FROM iz;

-- every operator class of both methods with an attribute column: the forced index scan
-- returns the sequential scan's rows (NULL vectors, and zero vectors under cosine, included)
CREATE TABLE io AS SELECT i AS id, i % 4 AS t,
  (CASE WHEN i % 50 = 0 THEN NULL WHEN i % 40 = 0 THEN '[0,0,0,0]' ELSE array[sin(i), cos(i), i % 5, (i % 3) - 1]::vector END)::vector(4) AS v
  FROM generate_series(1, 800) i;
ALTER TABLE io ADD COLUMN h halfvec(4), ADD COLUMN s sparsevec(4), ADD COLUMN b bit(8);
UPDATE io SET h = v::halfvec(4), s = v::sparsevec(4), b = (i_bits)::bit(8) FROM (SELECT id AS k, (id * 37) % 256 AS i_bits FROM io) x WHERE x.k = io.id AND v IS NOT NULL;
CREATE FUNCTION io_same(am text, col text, opc text, op text, q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE a int[]; b int[]; sql text;
BEGIN
  EXECUTE format('CREATE INDEX io_idx ON io USING %s (%I %s, t)%s', am, col, opc, CASE WHEN am = 'ivfflat' THEN ' WITH (lists = 4)' ELSE '' END);
  sql := format('SELECT array_agg(id ORDER BY id) FROM (SELECT id FROM io WHERE t = 2 ORDER BY %I %s %L) x', col, op, q);
  SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off;
  EXECUTE sql INTO a;
  SET LOCAL enable_seqscan = on; SET LOCAL enable_indexscan = off;
  EXECUTE sql INTO b;
  SET LOCAL enable_indexscan = on;
  DROP INDEX io_idx;
  RETURN format('%s %s: %s rows, %s', am, opc, cardinality(b), CASE WHEN a = b THEN 'same' ELSE 'DIFFERENT' END);
END $$;
SELECT io_same(am, c, o, op, q) FROM unnest(ARRAY['hnsw', 'ivfflat']) am,
  (VALUES ('v', 'vector_l2_ops', '<->', '[1,1,1,1]'), ('v', 'vector_ip_ops', '<#>', '[1,1,1,1]'),
          ('v', 'vector_cosine_ops', '<=>', '[1,1,1,1]'), ('v', 'vector_l1_ops', '<+>', '[1,1,1,1]'),
          ('h', 'halfvec_l2_ops', '<->', '[1,1,1,1]'), ('h', 'halfvec_cosine_ops', '<=>', '[1,1,1,1]'),
          ('s', 'sparsevec_l2_ops', '<->', '{1:1,3:1}/4'), ('b', 'bit_hamming_ops', '<~>', '10101010'),
          ('b', 'bit_jaccard_ops', '<%>', '10101010')) AS x(c, o, op, q)
 WHERE NOT (am = 'ivfflat' AND c = 's')
 ORDER BY am, o;
DROP FUNCTION io_same(text, text, text, text, text);
DROP TABLE io;

-- errors
CREATE TABLE it_bad (v vector(2), f float8[], t text, big text);
SELECT err($$CREATE INDEX ON it_bad USING ivfflat (v vector_l2_ops, f)$$);
SELECT err($$CREATE INDEX ON it_bad USING ivfflat (t, v vector_l2_ops)$$);
CREATE INDEX it_bad_idx ON it_bad USING ivfflat (v vector_l2_ops, big) WITH (lists = 1);
SELECT err($$INSERT INTO it_bad (v, big) VALUES ('[1,2]', repeat('x', 2100))$$);
DROP TABLE it, iz, it_bad;
DROP FUNCTION it_same(text, int, text);
