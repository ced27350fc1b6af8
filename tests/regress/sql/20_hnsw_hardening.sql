-- hnsw under what DBAs, applications and attackers do: ALTER INDEX, NULL and mismatched
-- queries, unconstrained columns, duplicates, mass deletion, churn, the planner's choices,
-- statistics, temp_file_limit, and who may run index_check.
SELECT setseed(0.31);
SET client_min_messages = warning;

-- An index scan returns the same rows as a sequential scan, for every operator class, with
-- NULL vectors, zero vectors (no cosine distance) and duplicates in the table, and for NULL
-- and zero queries. same_rows compares the whole ordered output of both plans: the id sets,
-- and the sorted distances (NaN and NULL included); 'ok' or what differs.
CREATE TABLE rs (id int PRIMARY KEY, v vector(8), h halfvec(8), s sparsevec(8), b bit(8));
INSERT INTO rs (id, v) SELECT i, array(SELECT round((random() * 2 - 1)::numeric, 2) FROM generate_series(1, 8) WHERE i > 0)::vector(8) FROM generate_series(1, 160) i;
INSERT INTO rs (id, v) SELECT 160 + i, NULL FROM generate_series(1, 10) i;
INSERT INTO rs (id, v) SELECT 170 + i, '[0,0,0,0,0,0,0,0]' FROM generate_series(1, 5) i;
INSERT INTO rs (id, v) SELECT 175 + i, (SELECT v FROM rs WHERE id = 1 + i % 5) FROM generate_series(1, 20) i;
UPDATE rs SET h = v::halfvec, s = v::sparsevec, b = binary_quantize(v);
ANALYZE rs;
CREATE FUNCTION same_rows(col text, op text, q text, typ text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE ids_i int[]; ids_s int[]; d_i float8[]; d_s float8[]; sql text;
BEGIN
  -- (the query in a sub-select, so that a NULL query is not folded away by the planner)
  sql := format('SELECT array_agg(id ORDER BY id), array_agg(d ORDER BY d) FROM (SELECT id, %1$I %2$s q AS d FROM rs, (SELECT %3$s::%4$s AS q) p ORDER BY %1$I %2$s (SELECT %3$s::%4$s)) t',
                col, op, coalesce(quote_literal(q), 'NULL'), typ);
  SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off;
  SET LOCAL hnsw.iterative_scan = relaxed_order; SET LOCAL hnsw.ef_search = 1000;
  EXECUTE sql INTO ids_i, d_i;
  SET LOCAL enable_seqscan = on; SET LOCAL enable_indexscan = off;
  EXECUTE sql INTO ids_s, d_s;
  IF ids_i IS DISTINCT FROM ids_s THEN
    RETURN format('rows differ: index %s rows, seq scan %s rows', cardinality(ids_i), cardinality(ids_s));
  END IF;
  IF d_i IS DISTINCT FROM d_s THEN RETURN 'distances differ'; END IF;
  RETURN 'ok';
END $$;
-- plan(q): EXPLAIN (COSTS OFF) of q, initplan references in the form PostgreSQL 15 and 16
-- print ($0), so one expected output serves every version (17+ print (InitPlan 1).col1).
CREATE FUNCTION plan(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
    line := replace(line, '(InitPlan 1).col1', '$0');
    RETURN NEXT regexp_replace(line, 'InitPlan 1$', 'InitPlan 1 (returns $0)');
  END LOOP;
END $$;
-- the plan really is an index scan
SET enable_seqscan = off;
CREATE INDEX rs_v_l2 ON rs USING hnsw (v vector_l2_ops);
SELECT plan($q$SELECT id FROM rs ORDER BY v <-> (SELECT NULL::vector)$q$);
RESET enable_seqscan;
SELECT same_rows('v', '<->', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'vector') AS l2,
       same_rows('v', '<->', NULL, 'vector') AS l2_null_query,
       same_rows('v', '<->', '[0,0,0,0,0,0,0,0]', 'vector') AS l2_zero_query;
CREATE INDEX rs_v_ip ON rs USING hnsw (v vector_ip_ops);
SELECT same_rows('v', '<#>', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'vector') AS ip, same_rows('v', '<#>', NULL, 'vector') AS ip_null_query;
CREATE INDEX rs_v_cos ON rs USING hnsw (v vector_cosine_ops);
SELECT same_rows('v', '<=>', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'vector') AS cosine,
       same_rows('v', '<=>', NULL, 'vector') AS cosine_null_query,
       same_rows('v', '<=>', '[0,0,0,0,0,0,0,0]', 'vector') AS cosine_zero_query;
CREATE INDEX rs_v_l1 ON rs USING hnsw (v vector_l1_ops);
SELECT same_rows('v', '<+>', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'vector') AS l1, same_rows('v', '<+>', NULL, 'vector') AS l1_null_query;
DROP INDEX rs_v_l2, rs_v_ip, rs_v_cos, rs_v_l1;
CREATE INDEX rs_h_l2 ON rs USING hnsw (h halfvec_l2_ops);
CREATE INDEX rs_h_cos ON rs USING hnsw (h halfvec_cosine_ops);
SELECT same_rows('h', '<->', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'halfvec') AS half_l2,
       same_rows('h', '<=>', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'halfvec') AS half_cosine,
       same_rows('h', '<=>', '[0,0,0,0,0,0,0,0]', 'halfvec') AS half_cosine_zero_query,
       same_rows('h', '<->', NULL, 'halfvec') AS half_null_query;
DROP INDEX rs_h_l2, rs_h_cos;
CREATE INDEX rs_h_ip ON rs USING hnsw (h halfvec_ip_ops);
CREATE INDEX rs_h_l1 ON rs USING hnsw (h halfvec_l1_ops);
SELECT same_rows('h', '<#>', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'halfvec') AS half_ip,
       same_rows('h', '<+>', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'halfvec') AS half_l1;
DROP INDEX rs_h_ip, rs_h_l1;
CREATE INDEX rs_s_l2 ON rs USING hnsw (s sparsevec_l2_ops);
CREATE INDEX rs_s_cos ON rs USING hnsw (s sparsevec_cosine_ops);
SELECT same_rows('s', '<->', '{1:0.5,4:-0.25}/8', 'sparsevec') AS sparse_l2,
       same_rows('s', '<=>', '{1:0.5,4:-0.25}/8', 'sparsevec') AS sparse_cosine,
       same_rows('s', '<=>', '{}/8', 'sparsevec') AS sparse_cosine_zero_query,
       same_rows('s', '<->', NULL, 'sparsevec') AS sparse_null_query;
DROP INDEX rs_s_l2, rs_s_cos;
CREATE INDEX rs_s_ip ON rs USING hnsw (s sparsevec_ip_ops);
CREATE INDEX rs_s_l1 ON rs USING hnsw (s sparsevec_l1_ops);
SELECT same_rows('s', '<#>', '{1:0.5,4:-0.25}/8', 'sparsevec') AS sparse_ip,
       same_rows('s', '<+>', '{1:0.5,4:-0.25}/8', 'sparsevec') AS sparse_l1;
DROP INDEX rs_s_ip, rs_s_l1;
CREATE INDEX rs_b_ham ON rs USING hnsw (b bit_hamming_ops);
CREATE INDEX rs_b_jac ON rs USING hnsw (b bit_jaccard_ops);
SELECT same_rows('b', '<~>', '10110010', 'bit(8)') AS hamming,
       same_rows('b', '<%>', '10110010', 'bit(8)') AS jaccard,
       same_rows('b', '<%>', '00000000', 'bit(8)') AS jaccard_zero_query,
       same_rows('b', '<~>', NULL, 'bit(8)') AS bit_null_query;
SELECT count(*) AS problems FROM quiver.index_check('rs_b_jac', reachability => true);
DROP INDEX rs_b_ham, rs_b_jac;
-- with default settings (no iterative scan) a LIMIT query still returns LIMIT rows
CREATE INDEX rs_v_l2 ON rs USING hnsw (v vector_l2_ops);
SET enable_seqscan = off;
SELECT count(*) AS rows_for_null_query FROM (SELECT id FROM rs ORDER BY v <-> (SELECT NULL::vector) LIMIT 1000) t;
SELECT count(*) AS limit_rows FROM (SELECT id FROM rs ORDER BY v <-> '[1,1,1,1,1,1,1,1]' LIMIT 10) t;
RESET enable_seqscan;

-- Dimensions: a column without them cannot be indexed (rows could differ in length); a query
-- of other dimensions raises the operator's own error, through the index as without it.
CREATE TABLE nodim (v vector, h halfvec, s sparsevec, b varbit, v3 vector(3));
SELECT err($$CREATE INDEX ON nodim USING hnsw (v)$$);
SELECT err($$CREATE INDEX ON nodim USING hnsw (h halfvec_l2_ops)$$);
SELECT err($$CREATE INDEX ON nodim USING hnsw (s sparsevec_l2_ops)$$);
SELECT err($$CREATE INDEX ON nodim USING hnsw (b bit_hamming_ops)$$);
SELECT err($$CREATE INDEX ON nodim USING hnsw (v3) WITH (m = 40, ef_construction = 64)$$);
INSERT INTO nodim (v, v3) VALUES ('[1,2,3]', '[1,2,3]'), ('[4,5,6]', '[4,5,6]'), ('[1,2,3,4]', NULL);
-- an expression index declares them
SELECT err($$CREATE INDEX nodim_expr ON nodim USING hnsw ((v::vector(3)))$$);
DELETE FROM nodim WHERE v = '[1,2,3,4]';
CREATE INDEX nodim_expr ON nodim USING hnsw ((v::vector(3)));
CREATE INDEX nodim_v3 ON nodim USING hnsw (v3);
SET enable_seqscan = off;
SELECT v3 FROM nodim ORDER BY v3 <-> '[4,5,5]' LIMIT 1;
SELECT err($$SELECT v3 FROM nodim ORDER BY v3 <-> '[4,5]' LIMIT 1$$);
SELECT err($$SELECT v FROM nodim ORDER BY v::vector(3) <-> '[4,5,6,7]' LIMIT 1$$);
RESET enable_seqscan;
SELECT err($$SELECT v3 FROM nodim ORDER BY v3 <-> '[4,5]' LIMIT 1$$) AS same_error_without_index;

-- ALTER INDEX SET (m = ...) takes effect at REINDEX; until then the pages keep their layout
CREATE TABLE alt (id int, v vector(8));
INSERT INTO alt SELECT i, array(SELECT random() FROM generate_series(1, 8) WHERE i > 0)::vector(8) FROM generate_series(1, 600) i;
CREATE INDEX alt_idx ON alt USING hnsw (v) WITH (m = 8);
SELECT pg_relation_size('alt_idx') AS size_m8 \gset
ALTER INDEX alt_idx SET (m = 32);
SELECT reloptions FROM pg_class WHERE relname = 'alt_idx';
SELECT count(*) AS found_self FROM alt a WHERE (SELECT id FROM alt b ORDER BY b.v <-> a.v LIMIT 1) = a.id;
INSERT INTO alt SELECT i, array(SELECT random() FROM generate_series(1, 8) WHERE i > 0)::vector(8) FROM generate_series(601, 800) i;
SELECT count(*) AS problems FROM quiver.index_check('alt_idx', reachability => true);
SET enable_seqscan = off;
SELECT count(*) AS found_self_indexed FROM alt a WHERE (SELECT id FROM alt b ORDER BY b.v <-> a.v LIMIT 1) = a.id;
RESET enable_seqscan;
REINDEX INDEX alt_idx;
SELECT pg_relation_size('alt_idx') > 2 * :size_m8 AS reindex_applied_m32;
SELECT count(*) AS problems FROM quiver.index_check('alt_idx', reachability => true);
ALTER INDEX alt_idx SET (ef_construction = 16);
SELECT err($$REINDEX INDEX alt_idx$$);

-- Identical vectors: 98 vectors, 51 copies of each, inserted one row at a time (copies in a
-- row, then interleaved) and by a build. Every copy stays findable.
CREATE TABLE dupsrc AS SELECT g, array(SELECT random() FROM generate_series(1, 16) WHERE g > 0)::vector(16) AS v FROM generate_series(1, 98) g;
CREATE TABLE dup1 (id serial, g int, v vector(16));
CREATE INDEX dup1_idx ON dup1 USING hnsw (v) WITH (m = 8, ef_construction = 32);
INSERT INTO dup1 (g, v) SELECT g, v FROM dupsrc, generate_series(1, 51) k ORDER BY g, k;
CREATE TABLE dup2 (id serial, g int, v vector(16));
CREATE INDEX dup2_idx ON dup2 USING hnsw (v) WITH (m = 8, ef_construction = 32);
INSERT INTO dup2 (g, v) SELECT g, v FROM dupsrc, generate_series(1, 51) k ORDER BY k, g;
CREATE TABLE dup3 AS SELECT * FROM dup2;
CREATE INDEX dup3_idx ON dup3 USING hnsw (v) WITH (m = 8, ef_construction = 32);
SELECT count(*) AS problems FROM quiver.index_check('dup1_idx', reachability => true);
SELECT count(*) AS problems FROM quiver.index_check('dup2_idx', reachability => true);
SELECT count(*) AS problems FROM quiver.index_check('dup3_idx', reachability => true);
SET enable_seqscan = off;
SELECT count(*) FILTER (WHERE found = 51) AS groups_fully_found
FROM (SELECT (SELECT count(*) FROM (SELECT g FROM dup1 ORDER BY v <-> s.v LIMIT 51) t WHERE t.g = s.g) AS found FROM dupsrc s) x;
SELECT count(*) FILTER (WHERE found = 51) AS groups_fully_found
FROM (SELECT (SELECT count(*) FROM (SELECT g FROM dup2 ORDER BY v <-> s.v LIMIT 51) t WHERE t.g = s.g) AS found FROM dupsrc s) x;
SELECT count(*) FILTER (WHERE found = 51) AS groups_fully_found
FROM (SELECT (SELECT count(*) FROM (SELECT g FROM dup3 ORDER BY v <-> s.v LIMIT 51) t WHERE t.g = s.g) AS found FROM dupsrc s) x;
RESET enable_seqscan;
-- one element per distinct vector: the index is far smaller than one of distinct rows
CREATE TABLE nodup AS SELECT i AS id, array(SELECT random() FROM generate_series(1, 16) WHERE i > 0)::vector(16) AS v FROM generate_series(1, 98 * 51) i;
CREATE INDEX nodup_idx ON nodup USING hnsw (v) WITH (m = 8, ef_construction = 32);
SELECT pg_relation_size('dup3_idx') * 4 < pg_relation_size('nodup_idx') AS duplicates_share_elements;
-- deleting some copies keeps the others
DELETE FROM dup1 WHERE id % 3 = 0;
VACUUM dup1;
SELECT count(*) AS problems FROM quiver.index_check('dup1_idx', reachability => true);
SET enable_seqscan = off;
SELECT count(*) FILTER (WHERE found = expected) AS groups_fully_found
FROM (SELECT (SELECT count(*) FROM (SELECT g FROM dup1 ORDER BY v <-> s.v LIMIT 51) t WHERE t.g = s.g) AS found,
             (SELECT count(*) FROM dup1 d WHERE d.g = s.g) AS expected FROM dupsrc s) x;
RESET enable_seqscan;

-- Deleting 90% of the rows: after VACUUM every live row is reachable, and an iterative scan
-- without LIMIT returns every one of them. Clustered data (40 tight clusters) with small lists
-- strands whole clusters when their links are merely removed.
CREATE TABLE cen AS SELECT c, array(SELECT random() * 4 - 2 FROM generate_series(1, 16) WHERE c > 0) AS ctr FROM generate_series(1, 40) c;
CREATE TABLE v90 AS SELECT i AS id, array(SELECT ctr[d] + (random() - 0.5) * 0.3 FROM generate_series(1, 16) d)::vector(16) AS v
FROM generate_series(1, 4000) i JOIN cen ON c = 1 + i % 40;
CREATE INDEX v90_idx ON v90 USING hnsw (v) WITH (m = 8, ef_construction = 32);
DELETE FROM v90 WHERE id % 10 <> 0;
VACUUM v90;
SELECT * FROM quiver.index_check('v90_idx', reachability => true);
SET enable_seqscan = off;
SET hnsw.iterative_scan = relaxed_order;
SET hnsw.max_scan_tuples = 100000;
SELECT count(*) AS live_rows_returned FROM (SELECT id FROM v90 ORDER BY v <-> (SELECT v FROM v90 WHERE id = 10)) t;
RESET enable_seqscan;
-- uniform data with m = 4
CREATE TABLE u90 AS SELECT i AS id, array(SELECT random() FROM generate_series(1, 16) WHERE i > 0)::vector(16) AS v FROM generate_series(1, 4000) i;
CREATE INDEX u90_idx ON u90 USING hnsw (v) WITH (m = 4, ef_construction = 16);
DELETE FROM u90 WHERE id % 10 <> 0;
VACUUM u90;
SELECT * FROM quiver.index_check('u90_idx', reachability => true);
SET enable_seqscan = off;
SELECT count(*) AS live_rows_returned FROM (SELECT id FROM u90 ORDER BY v <-> (SELECT v FROM u90 WHERE id = 10)) t;
RESET hnsw.max_scan_tuples;
RESET hnsw.iterative_scan;
RESET enable_seqscan;
-- and deleting every other row again, then everything
DELETE FROM v90 WHERE id % 20 = 0;
VACUUM v90;
SELECT count(*) AS problems FROM quiver.index_check('v90_idx', reachability => true);
DELETE FROM v90;
VACUUM v90;
SELECT count(*) AS problems FROM quiver.index_check('v90_idx', reachability => true);
INSERT INTO v90 VALUES (1, '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]');
SET enable_seqscan = off;
SELECT id FROM v90 ORDER BY v <-> '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]' LIMIT 3;
RESET enable_seqscan;

-- Churn: ten rounds of "update 20% of the rows, VACUUM" reuse the space of deleted elements
-- (and of their overflow pages: 1,600-dimension vectors do not fit a page with their links)
CREATE TABLE churn (id int PRIMARY KEY, v vector(32));
INSERT INTO churn SELECT i, array(SELECT random() FROM generate_series(1, 32) WHERE i > 0)::vector(32) FROM generate_series(1, 3000) i;
CREATE INDEX churn_idx ON churn USING hnsw (v) WITH (m = 8, ef_construction = 32);
CREATE TABLE churnbig (id int PRIMARY KEY, v vector(1600));
ALTER TABLE churnbig ALTER COLUMN v SET STORAGE PLAIN;
INSERT INTO churnbig SELECT i, array(SELECT random() FROM generate_series(1, 1600) WHERE i > 0)::vector(1600) FROM generate_series(1, 100) i;
CREATE INDEX churnbig_idx ON churnbig USING hnsw (v) WITH (m = 8, ef_construction = 32);
CREATE TABLE churn_sizes (round int, small bigint, big bigint);
SELECT format('UPDATE churn SET v = array(SELECT random() FROM generate_series(1, 32) WHERE id > 0)::vector(32) WHERE id %% 5 = %s', r % 5),
       format('UPDATE churnbig SET v = array(SELECT random() FROM generate_series(1, 1600) WHERE id > 0)::vector(1600) WHERE id %% 5 = %s', r % 5),
       'VACUUM churn', 'VACUUM churnbig',
       format('INSERT INTO churn_sizes SELECT %s, pg_relation_size(''churn_idx''), pg_relation_size(''churnbig_idx'')', r)
FROM generate_series(1, 10) r \gexec
SELECT max(small)::float8 / min(small) FILTER (WHERE round = 1) <= 1.3 AS small_index_bounded,
       max(big)::float8 / min(big) FILTER (WHERE round = 1) <= 1.3 AS big_index_bounded
FROM churn_sizes;
SELECT count(*) AS problems FROM quiver.index_check('churn_idx', reachability => true);
SELECT count(*) AS problems FROM quiver.index_check('churnbig_idx', reachability => true);
SET enable_seqscan = off;
SELECT count(*) FILTER (WHERE (SELECT id FROM churn b ORDER BY b.v <-> a.v LIMIT 1) = a.id) >= 0.95 * count(*) AS found_self
FROM churn a WHERE id % 10 = 0;
SELECT count(*) FILTER (WHERE (SELECT id FROM churnbig b ORDER BY b.v <-> a.v LIMIT 1) = a.id) = count(*) AS found_self_big
FROM churnbig a;
RESET enable_seqscan;

-- The planner. 1,536-dimension vectors live in TOAST, which a sequential scan's cost does not
-- count: the index is still used for ORDER BY ... LIMIT.
CREATE TABLE wide (id int, cat int, v vector(1536));
INSERT INTO wide SELECT i, i % 100, array(SELECT random() FROM generate_series(1, 1536) WHERE i > 0)::vector(1536) FROM generate_series(1, 2000) i;
CREATE INDEX wide_idx ON wide USING hnsw (v);
CREATE INDEX wide_cat ON wide (cat);
ANALYZE wide;
SELECT plan($q$SELECT id FROM wide ORDER BY v <-> (SELECT v FROM wide WHERE id = 1) LIMIT 10$q$);
INSERT INTO wide SELECT i, i % 100, array(SELECT random() FROM generate_series(1, 1536) WHERE i > 0)::vector(1536) FROM generate_series(2001, 6000) i;
ANALYZE wide;
SELECT plan($q$SELECT id FROM wide ORDER BY v <-> (SELECT v FROM wide WHERE id = 1) LIMIT 10$q$);
-- A selective filter without iterative scans: the index would return fewer rows than asked,
-- so the planner chooses an exact plan, which returns them all.
SELECT plan($q$SELECT id FROM wide WHERE cat = 7 ORDER BY v <-> (SELECT v FROM wide WHERE id = 1) LIMIT 10$q$);
SELECT count(*) AS filtered_rows FROM (SELECT id FROM wide WHERE cat = 7 ORDER BY v <-> (SELECT v FROM wide WHERE id = 1) LIMIT 10) t;
-- the same with a small table and no btree: the sequential scan is exact
CREATE TABLE narrow AS SELECT i AS id, i % 100 AS cat, array(SELECT random() FROM generate_series(1, 16) WHERE i > 0)::vector(16) AS v FROM generate_series(1, 20000) i;
CREATE INDEX narrow_idx ON narrow USING hnsw (v);
ANALYZE narrow;
EXPLAIN (COSTS OFF) SELECT id FROM narrow ORDER BY v <-> '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]' LIMIT 10;
EXPLAIN (COSTS OFF) SELECT id FROM narrow WHERE cat = 7 ORDER BY v <-> '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]' LIMIT 10;
SELECT count(*) AS filtered_rows FROM (SELECT id FROM narrow WHERE cat = 7 ORDER BY v <-> '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]' LIMIT 10) t;
-- an unselective filter still uses the index
EXPLAIN (COSTS OFF) SELECT id FROM narrow WHERE cat <> 7 ORDER BY v <-> '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]' LIMIT 10;

-- Index scans count in pg_stat_user_indexes (a DBA sees the index is used)
SELECT pg_stat_force_next_flush();
SELECT idx_scan AS scans_before FROM pg_stat_user_indexes WHERE indexrelname = 'narrow_idx' \gset
SET enable_seqscan = off;
SELECT count(*) FROM (SELECT id FROM narrow ORDER BY v <-> '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]' LIMIT 3) t;
SELECT count(*) FROM (SELECT id FROM narrow ORDER BY v <-> '[0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]' LIMIT 3) t;
RESET enable_seqscan;
SELECT pg_stat_force_next_flush();
SELECT pg_stat_clear_snapshot();
SELECT idx_scan - :scans_before AS index_scans_counted FROM pg_stat_user_indexes WHERE indexrelname = 'narrow_idx';

-- A VACUUM that deletes nothing from the graph (here: only rows with NULL vectors died) reads
-- each index page once and does no repair pass
CREATE TABLE novac (id int, v vector(16)) WITH (autovacuum_enabled = off);
INSERT INTO novac SELECT i, CASE WHEN i % 10 = 0 THEN NULL ELSE array(SELECT random() FROM generate_series(1, 16) WHERE i > 0)::vector(16) END FROM generate_series(1, 5000) i;
CREATE INDEX novac_idx ON novac USING hnsw (v);
DELETE FROM novac WHERE v IS NULL;
SELECT pg_stat_force_next_flush();
SELECT pg_stat_clear_snapshot();
SELECT idx_blks_read + idx_blks_hit AS blocks_before FROM pg_statio_user_indexes WHERE indexrelname = 'novac_idx' \gset
VACUUM novac;
SELECT pg_stat_force_next_flush();
SELECT pg_stat_clear_snapshot();
SELECT idx_blks_read + idx_blks_hit - :blocks_before <= 1.2 * pg_relation_size('novac_idx') / 8192 AS one_pass
FROM pg_statio_user_indexes WHERE indexrelname = 'novac_idx';
SET enable_seqscan = off;
SELECT count(*) AS rows_left FROM (SELECT id FROM novac ORDER BY v <-> (SELECT NULL::vector)) t;
RESET enable_seqscan;

-- temp_file_limit applies to a build's temporary files
CREATE TABLE tfl AS SELECT i AS id, array(SELECT random() FROM generate_series(1, 64) WHERE i > 0)::vector(64) AS v FROM generate_series(1, 6000) i;
SET maintenance_work_mem = '1MB';
SET temp_file_limit = '256kB';
-- (PostgreSQL 17 and later quote the setting's name in the message)
SELECT replace(err($$CREATE INDEX ON tfl USING hnsw (v)$$), '"', '') AS err;
RESET temp_file_limit;
RESET maintenance_work_mem;

-- index_check: a proper error for a missing relation; like amcheck, not for everyone
SELECT err($$SELECT quiver.index_check(0)$$);
SELECT err($$SELECT quiver.index_check('pg_class_oid_index')$$);
DROP ROLE IF EXISTS rs_nobody;
CREATE ROLE rs_nobody;
SET ROLE rs_nobody;
SELECT err($$SELECT quiver.index_check('alt_idx')$$);
RESET ROLE;
DROP ROLE rs_nobody;

DROP TABLE rs, nodim, alt, dupsrc, dup1, dup2, dup3, nodup, cen, v90, u90, churn, churnbig, churn_sizes, wide, narrow, novac, tfl;
DROP FUNCTION same_rows(text, text, text, text);
