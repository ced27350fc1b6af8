-- Multi-column hnsw indexes: attribute columns tested inside the index. For every supported
-- type and operator, the index scan returns exactly the rows of the exact filtered search
-- (all of them, the top ones in distance order); full LIMITs at 0.1% selectivity and with a
-- filter anti-correlated with the query; inserts, duplicates, NULLs, VACUUM; the planner's
-- choice; errors.
SELECT setseed(0.24);
SET client_min_messages = warning;
-- 20,000 points around 40 centres in 8 dimensions; `zone` is the point's centre
CREATE TABLE fc AS SELECT c, array(SELECT random() * 4 - 2 FROM generate_series(1, 8) WHERE c > 0) AS ctr FROM generate_series(1, 40) c;
CREATE TABLE ft AS
SELECT i AS id, c AS zone,
       array(SELECT ctr[d] + (random() - 0.5) * 0.4 FROM generate_series(1, 8) d)::vector(8) AS v,
       i % 1000 AS tenant, (i % 7)::int2 AS small, i::int8 * 1000003 AS big,
       'c' || (i % 13) AS cat, ('v' || (i % 5))::varchar(10) AS vc,
       array[i % 4, i % 9] AS labels, array['t' || (i % 3), 't' || (i % 6)] AS tags,
       i % 2 = 0 AS flag, date '2024-01-01' + (i % 366) AS d,
       timestamp '2024-01-01' + i * interval '7 minutes' AS ts,
       timestamptz '2024-01-01 00:00+00' + i * interval '11 minutes' AS tstz
FROM generate_series(1, 20000) i JOIN fc ON c = 1 + i % 40;
-- NULL attributes and NULL vectors
UPDATE ft SET tenant = NULL, cat = NULL, labels = NULL, tags = NULL WHERE id % 997 = 0;
UPDATE ft SET labels = array[1, NULL] WHERE id % 991 = 0;
INSERT INTO ft (id, zone, v, tenant, cat) SELECT 20000 + i, 0, NULL, 7, 'c7' FROM generate_series(1, 3) i;
CREATE INDEX ft_idx ON ft USING hnsw (v vector_l2_ops, tenant, small, big, cat, vc, labels, tags, flag, d, ts, tstz) WITH (m = 8, ef_construction = 32);
ANALYZE ft;
SELECT indexrelid::regclass, indnatts FROM pg_index WHERE indexrelid = 'ft_idx'::regclass;

-- ft_same(pred, k): the index scan (forced) against the exact filtered search: whether the
-- plan tests `pred` inside the index, how many rows pass, whether the first k rows come in
-- the same distance order (distances compared: copies of a vector tie, and so do distances
-- within float32 rounding, which the index and the operator may round apart depending on the
-- CPU's kernels) and whether the scan returns exactly the passing rows (all of them)
CREATE FUNCTION ft_same(pred text, k int DEFAULT 10, q text DEFAULT '[0,0,0,0,0,0,0,0]', show_plan bool DEFAULT true) RETURNS text LANGUAGE plpgsql AS $$
DECLARE plan text := ''; line text; top_i float8[]; top_s float8[]; all_i int[]; all_s int[];
  sql text := 'SELECT array_agg(%s) FROM (SELECT id, v <-> ' || quote_literal(q) || '::vector AS d FROM ft WHERE ' || pred || ' ORDER BY v <-> ' || quote_literal(q) || '::vector%s %s) t';
BEGIN
  SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL hnsw.ef_search = 1000;
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || format(sql, 'id', '', 'LIMIT 10') LOOP plan := plan || line; END LOOP;
  EXECUTE format(sql, 'd', '', 'LIMIT ' || k) INTO top_i;
  EXECUTE format(sql, 'id', '', '') INTO all_i;
  SET LOCAL enable_seqscan = on; SET LOCAL enable_indexscan = off;
  EXECUTE format(sql, 'd', ', id', 'LIMIT ' || k) INTO top_s;
  EXECUTE format(sql, 'id', ', id', '') INTO all_s;
  RETURN format('%s | index cond %s | %s rows | top %s %s | all %s', pred, CASE WHEN show_plan THEN (plan LIKE '%Index Cond%')::text ELSE '-' END, coalesce(cardinality(all_s), 0),
                k, CASE WHEN top_i IS NOT DISTINCT FROM top_s
                          OR (cardinality(top_i) = cardinality(top_s)
                              AND NOT EXISTS (SELECT FROM unnest(top_i, top_s) u(a, b) WHERE abs(a - b) > 1e-6 * greatest(1, abs(b))))
                        THEN 'same' ELSE format('differ: %s vs %s', top_i[1:5], top_s[1:5]) END,
                CASE WHEN (SELECT array_agg(x ORDER BY x) FROM unnest(all_i) x) IS NOT DISTINCT FROM (SELECT array_agg(x ORDER BY x) FROM unnest(all_s) x)
                     THEN 'same' ELSE format('differ: %s vs %s rows', cardinality(all_i), cardinality(all_s)) END);
END $$;

-- every type and operator
SELECT ft_same('tenant = 7');
SELECT ft_same('tenant < 3');
SELECT ft_same('tenant <= 2');
SELECT ft_same('tenant > 996');
SELECT ft_same('tenant >= 997');
SELECT ft_same('tenant BETWEEN 10 AND 12');
SELECT ft_same('tenant < 3::int8');
SELECT ft_same('tenant = 7::int2');
SELECT ft_same('small = 3 AND tenant < 50');
SELECT ft_same('big > 19990 * 1000003::int8');
SELECT ft_same('big < 40::int4 * 1000003');
SELECT ft_same('cat = ''c3'' AND tenant < 100');
SELECT ft_same('vc = ''v2'' AND tenant < 100');
SELECT ft_same('labels && ''{3}'' AND tenant < 40');
SELECT ft_same('labels @> ''{1,2}'' AND tenant < 100');
SELECT ft_same('labels <@ ''{0,1,2}'' AND tenant < 60');
SELECT ft_same('labels @> ''{1,NULL}''');
SELECT ft_same('tags && ''{t2,t9}'' AND tenant < 30');
SELECT ft_same('tags @> ''{t1,t4}'' AND tenant < 60');
SELECT ft_same('tags <@ ''{t0,t3}'' AND tenant < 60');
SELECT ft_same('d = ''2024-02-29'' AND tenant < 500');
SELECT ft_same('d >= ''2024-12-30''');
SELECT ft_same('ts < ''2024-01-02''');
SELECT ft_same('tstz BETWEEN ''2024-01-05'' AND ''2024-01-06''');
SELECT ft_same('tenant = 7 AND cat = ''c7'' AND labels && ''{3}''');
SELECT ft_same('tenant = 7 AND zone = 3');
-- IN lists and booleans: tested inside the index where the planner hands them over (IN lists
-- from PostgreSQL 18, booleans from 16), by the executor before that; the same rows either way
-- (`tenant < 40`, inside the index everywhere, keeps the rows the executor filters within
-- one batch of ef_search)
SELECT ft_same('tenant IN (7, 8, 33) AND tenant < 40', 10, '[0,0,0,0,0,0,0,0]', false);
SELECT ft_same('tenant IN (NULL, 7) AND tenant < 40', 10, '[0,0,0,0,0,0,0,0]', false);
SELECT ft_same('tenant = ANY(''{}'') ', 10, '[0,0,0,0,0,0,0,0]', false);
SELECT ft_same('tenant < ANY(''{3,5}'') AND tenant < 40', 10, '[0,0,0,0,0,0,0,0]', false);
SELECT ft_same('tenant > ANY(''{35,38}'') AND tenant < 40', 10, '[0,0,0,0,0,0,0,0]', false);
SELECT ft_same('cat IN (''c1'', ''c2'') AND tenant < 30', 10, '[0,0,0,0,0,0,0,0]', false);
SELECT ft_same('flag = false AND tenant < 50', 10, '[0,0,0,0,0,0,0,0]', false);
SELECT ft_same('NOT flag AND tenant = 4', 10, '[0,0,0,0,0,0,0,0]', false);
SELECT ft_same('flag IN (true) AND tenant = 4', 10, '[0,0,0,0,0,0,0,0]', false);
-- broad filters: the top 10 in order, every passing row returned
SELECT ft_same('tenant < 500');
SELECT ft_same('flag AND tenant < 990', 10);
-- 0.1% selectivity (20 rows) and a filter anti-correlated with the query (zone 40's points
-- only, queried at zone 1's centre): full LIMITs, the exact rows
SELECT ft_same('tenant = 123', 10, (SELECT v::text FROM ft WHERE id = 40));
SELECT ft_same('tenant = 39 AND big > 0', 10, (SELECT v::text FROM ft WHERE id = 40));
SELECT ft_same('tenant = 900 AND labels && ''{0}''', 10, (SELECT v::text FROM ft WHERE id = 40));
-- fewer passing rows than the LIMIT: every one of them, then nothing
SELECT ft_same('tenant = 5 AND small = 5', 10);
SELECT ft_same('tenant = 5 AND small = 6', 10);

-- quiver.filtered_scan forces the graph walk or the exact pass: the same rows
SET quiver.filtered_scan = walk;
SELECT ft_same('tenant = 123', 10, (SELECT v::text FROM ft WHERE id = 40));
SELECT ft_same('labels && ''{3}'' AND tenant < 40');
SELECT ft_same('tenant < 500');
SET quiver.filtered_scan = exact;
SELECT ft_same('tenant = 123', 10, (SELECT v::text FROM ft WHERE id = 40));
SELECT ft_same('labels && ''{3}'' AND tenant < 40');
SELECT ft_same('tenant < 500', 50);
-- the exact pass runs in rounds that fit in work_mem (64kB: 1,365 rows a round): every passing
-- row (about 10,000), all of them in exact distance order
SET work_mem = '64kB';
SELECT ft_same('tenant < 500', 20000, (SELECT v::text FROM ft WHERE id = 40));
SET quiver.filtered_scan = walk;
SELECT ft_same('tenant < 500', 50, (SELECT v::text FROM ft WHERE id = 40));
-- cancel: a long exact pass (every row scored in each of about 15 rounds) stops at
-- statement_timeout (57014), and the index answers afterwards
SET quiver.filtered_scan = exact;
SET enable_seqscan = off; SET enable_bitmapscan = off;
SET statement_timeout = '20ms';
SELECT count(*) FROM (SELECT id FROM ft WHERE tenant >= 0 ORDER BY v <-> '[0,0,0,0,0,0,0,0]') s;
RESET statement_timeout;
SELECT count(*) FROM (SELECT id FROM ft WHERE tenant >= 0 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 5) s;
RESET enable_seqscan; RESET enable_bitmapscan;
RESET work_mem;
RESET quiver.filtered_scan;
SELECT err($$SET quiver.filtered_scan = sometimes$$);

-- at default settings, 100 queries: the index returns full LIMITs whose rows all pass
SET enable_seqscan = off; SET enable_bitmapscan = off;
SELECT count(*) FILTER (WHERE n = 10) AS full_limits, count(*) FILTER (WHERE bad > 0) AS failing_rows
FROM (SELECT q, (SELECT count(*) FROM (SELECT id FROM ft WHERE tenant = q * 7 ORDER BY v <-> (SELECT v FROM ft WHERE id = q * 101) LIMIT 10) t) AS n,
             (SELECT count(*) FROM (SELECT id, tenant FROM ft WHERE tenant = q * 7 ORDER BY v <-> (SELECT v FROM ft WHERE id = q * 101) LIMIT 10) t WHERE tenant <> q * 7) AS bad
      FROM generate_series(1, 100) q) s;
-- a NULL parameter matches nothing (generic plan: the key arrives NULL)
SET plan_cache_mode = force_generic_plan;
PREPARE ft_p(int) AS SELECT count(*) FROM (SELECT id FROM ft WHERE tenant = $1 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 10) t;
EXPLAIN (COSTS OFF) EXECUTE ft_p(NULL);
EXECUTE ft_p(NULL);
EXECUTE ft_p(7);
DEALLOCATE ft_p;
RESET plan_cache_mode;
RESET enable_seqscan; RESET enable_bitmapscan;

-- inserts after the build: new rows, and copies of existing vectors with other attributes
-- (an element holds only rows whose attributes are equal too)
INSERT INTO ft (id, zone, v, tenant, cat, labels, tags, small, flag)
SELECT 30000 + id, 0, v, 1001 + id % 3, 'new', array[42], array['new'], 1, true FROM ft WHERE id BETWEEN 1 AND 300;
INSERT INTO ft (id, zone, v, tenant, cat) SELECT 31000 + id, 0, v, 1001, 'dup' FROM ft WHERE id BETWEEN 1 AND 50;
SELECT ft_same('tenant = 1001');
SELECT ft_same('tenant = 1002 AND cat = ''new''');
SELECT ft_same('labels && ''{42}''', 500);
SELECT ft_same('cat = ''dup''', 100);
SELECT ft_same('tenant = 7');
-- VACUUM after deletes
DELETE FROM ft WHERE id % 3 = 0;
VACUUM ft;
SELECT ft_same('tenant = 1001');
SELECT ft_same('tenant < 30');
SELECT ft_same('labels && ''{42}'' AND small = 1', 500);
-- new rows reuse the freed slots; the exact pass (through the attribute directory) tells
-- them from the deleted rows that held the slots before
INSERT INTO ft (id, zone, v, tenant, labels, small) SELECT 40000 + id, 0, v, 1003, array[43], 2 FROM ft WHERE id BETWEEN 1 AND 200;
SET quiver.filtered_scan = exact;
SELECT ft_same('tenant = 1003', 200);
SELECT ft_same('tenant = 1001');
SELECT ft_same('labels && ''{42,43}''', 500);
RESET quiver.filtered_scan;
SELECT count(*) AS problems FROM quiver.index_check('ft_idx', true) p WHERE p NOT LIKE '%unreachable%';
-- REINDEX gives the same answers
REINDEX INDEX ft_idx;
SELECT ft_same('tenant = 1001');
SELECT ft_same('labels <@ ''{0,1,2}'' AND tenant < 60');

-- the planner: an exact plan for a selective filter with a btree on the column, the vector
-- index for a broad one; the index's own clauses for a selective filter without a btree
CREATE INDEX ft_tenant ON ft (tenant);
ANALYZE ft;
EXPLAIN (COSTS OFF) SELECT id FROM ft WHERE tenant = 7 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 10;
EXPLAIN (COSTS OFF) SELECT id FROM ft WHERE tenant < 700 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 10;
DROP INDEX ft_tenant;
EXPLAIN (COSTS OFF) SELECT id FROM ft WHERE tenant < 700 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 10;
-- without the btree, a selective filter takes the index's exact pass (its attribute directory)
-- rather than a sequential scan
EXPLAIN (COSTS OFF) SELECT id FROM ft WHERE tenant = 7 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 10;

-- a domain over a supported type is indexed as its base type
CREATE DOMAIN ft_tenant AS int CHECK (VALUE >= 0);
CREATE TABLE ft_dom (id int, v vector(2), t ft_tenant);
INSERT INTO ft_dom SELECT i, array[i % 17, i % 13]::vector, i % 10 FROM generate_series(1, 500) i;
CREATE INDEX ft_dom_idx ON ft_dom USING hnsw (v vector_l2_ops, t);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM ft_dom WHERE t = 3 ORDER BY v <-> '[1,1]' LIMIT 100;
SELECT count(*), bool_and(t = 3) FROM (SELECT t FROM ft_dom WHERE t = 3 ORDER BY v <-> '[1,1]' LIMIT 100) s;
RESET enable_seqscan;
DROP TABLE ft_dom;
DROP DOMAIN ft_tenant;

-- errors, with their SQLSTATEs
SELECT err($$CREATE INDEX ON ft USING hnsw (v vector_l2_ops, (tenant::float8))$$);
CREATE TABLE ft_bad (v vector(2), f float8[], nv numeric, t text COLLATE "C");
SELECT err($$CREATE INDEX ON ft_bad USING hnsw (v vector_l2_ops, f)$$);
SELECT err($$CREATE INDEX ON ft_bad USING hnsw (v vector_l2_ops, nv)$$);
SELECT err($$CREATE INDEX ON ft_bad USING ivfflat (v vector_l2_ops, nv)$$);
SET client_min_messages = notice;
-- text under a nondeterministic collation (equal strings need not be equal bytes); servers
-- built without ICU cannot create one, and say the same
DO $$
BEGIN
  BEGIN
    CREATE COLLATION ft_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
  EXCEPTION WHEN others THEN
    RAISE NOTICE '0A000: nondeterministic collation refused'; RETURN;
  END;
  CREATE TABLE ft_ci_t (v vector(2), t text COLLATE ft_ci);
  BEGIN
    CREATE INDEX ON ft_ci_t USING hnsw (v vector_l2_ops, t);
    RAISE NOTICE 'index built';
  EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE '%: nondeterministic collation refused', SQLSTATE;
  END;
  DROP TABLE ft_ci_t;
  DROP COLLATION ft_ci;
END $$;
SET client_min_messages = warning;
-- the vector column comes first
SELECT err($$CREATE INDEX ON ft_bad USING hnsw (t, v vector_l2_ops)$$);
-- attribute values are kept small (long text belongs in the table)
CREATE TABLE ft_long (v vector(2), t text);
CREATE INDEX ft_long_idx ON ft_long USING hnsw (v vector_l2_ops, t);
SELECT err($$INSERT INTO ft_long VALUES ('[1,2]', repeat('x', 2100))$$);
INSERT INTO ft_long VALUES ('[1,2]', repeat('x', 1900)), ('[1,3]', 'y'), (NULL, 'z');
SELECT err($$CREATE INDEX ON ft_long USING hnsw (v vector_l2_ops, (t || repeat('x', 2000)))$$);
SET enable_seqscan = off;
SELECT length(t) FROM ft_long WHERE t = 'y' ORDER BY v <-> '[1,3]' LIMIT 5;
SELECT length(t) FROM ft_long WHERE t = 'z' ORDER BY v <-> '[1,3]' LIMIT 5;
RESET enable_seqscan;
DROP TABLE ft_bad, ft_long;

-- cosine with zero vectors (no distance: after every row that has one) and NULL vectors
-- (last), filtered inside the index: the same rows in the same order as the exact search
CREATE TABLE fz AS SELECT i AS id, CASE WHEN i % 10 = 0 THEN '[0,0,0]'::vector WHEN i % 37 = 0 THEN NULL
                                        ELSE array[sin(i), cos(i), (i % 7) - 3]::vector END AS v, i % 3 AS t
  FROM generate_series(1, 3000) i;
CREATE INDEX fz_idx ON fz USING hnsw (v vector_cosine_ops, t) WITH (m = 8);
CREATE FUNCTION fz_order(q text, mode text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE a float8[]; b float8[]; na int; nb int;
BEGIN
  EXECUTE format('SET LOCAL quiver.filtered_scan = %s', mode);
  SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL hnsw.ef_search = 1000;
  EXECUTE format('SELECT array_agg(coalesce(d, -1) ORDER BY n), count(*) FROM (SELECT row_number() OVER () AS n, d FROM (
                    SELECT v <=> %L AS d FROM fz WHERE t = 2 ORDER BY v <=> %L) x) y', q, q) INTO a, na;
  SET LOCAL enable_seqscan = on; SET LOCAL enable_indexscan = off;
  EXECUTE format('SELECT array_agg(coalesce(d, -1) ORDER BY n), count(*) FROM (SELECT row_number() OVER () AS n, d FROM (
                    SELECT v <=> %L AS d FROM fz WHERE t = 2 ORDER BY v <=> %L) x) y', q, q) INTO b, nb;
  RETURN format('%s: %s rows (exact: %s; no distance: %s; NULL: %s), order %s', mode, na, nb, (SELECT count(*) FROM unnest(b) x WHERE x = 'NaN'), (SELECT count(*) FROM unnest(b) x WHERE x = -1), CASE WHEN a = b THEN 'same' ELSE 'DIFFERENT' END);
END $$;
SELECT fz_order('[1,1,1]', m) FROM unnest(ARRAY['walk', 'exact', 'auto']) m;
-- a zero query has no distance to anything: every passing row, NaN ones before NULL ones
SELECT fz_order('[0,0,0]', m) FROM unnest(ARRAY['walk', 'exact', 'auto']) m;
DROP FUNCTION fz_order(text, text);
DROP TABLE fz;
DROP TABLE ft, fc;
DROP FUNCTION ft_same(text, int, text, bool);
