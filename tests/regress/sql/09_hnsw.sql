-- hnsw index access method: every operator class agrees with exact search, recall at default
-- settings, iterative filtered scans, large vectors, options, GUCs, inserts, VACUUM, EXPLAIN.
SELECT setseed(0.17);
-- clustered data: 40 centres in 24 dimensions, points scattered around them
CREATE TABLE centres AS SELECT c, array(SELECT random() * 4 - 2 FROM generate_series(1, 24) WHERE c > 0) AS ctr FROM generate_series(1, 40) c;
CREATE TABLE hv AS
SELECT i AS id, (i % 100) AS tenant,
       array(SELECT ctr[d] + (random() + random() + random() - 1.5) * 0.3 FROM generate_series(1, 24) d) AS arr
FROM generate_series(1, 3000) i JOIN centres ON c = 1 + i % 40;
ALTER TABLE hv ADD COLUMN v vector(24), ADD COLUMN h halfvec(24), ADD COLUMN s sparsevec(24), ADD COLUMN b bit(24);
UPDATE hv SET v = arr::vector, h = arr::halfvec, s = arr::vector::sparsevec, b = binary_quantize(arr::vector);
-- queries sit next to rows with odd ids, which survive the DELETE below (as do their clusters)
CREATE TABLE hq AS SELECT q, (SELECT arr FROM hv WHERE id = q * 58 + 1) AS qarr FROM generate_series(1, 50) q;
UPDATE hq SET qarr = array(SELECT x + 0.05 FROM unnest(qarr) x);
ANALYZE hv;

-- recall@10 of the index scan against the exact ORDER BY (seq scan), per query
CREATE FUNCTION recall_on(tab text, col text, op text, cast_to text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE total float8 := 0; q record; got int[]; exact int[];
BEGIN
  FOR q IN SELECT * FROM hq LOOP
    SET LOCAL enable_seqscan = off;
    EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM %I ORDER BY %I %s $1::%s LIMIT 10) t', tab, col, op, cast_to)
      INTO got USING q.qarr;
    SET LOCAL enable_seqscan = on; SET LOCAL enable_indexscan = off;
    EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM %I ORDER BY %I %s $1::%s, id LIMIT 10) t', tab, col, op, cast_to)
      INTO exact USING q.qarr;
    SET LOCAL enable_indexscan = on;
    total := total + (SELECT count(*) FROM unnest(got) g WHERE g = ANY (exact)) / 10.0;
  END LOOP;
  RETURN total / (SELECT count(*) FROM hq);
END $$;
CREATE FUNCTION recall(col text, op text, cast_to text) RETURNS float8 LANGUAGE sql AS
$$ SELECT recall_on('hv', col, op, cast_to) $$;

CREATE INDEX hv_v_l2 ON hv USING hnsw (v vector_l2_ops);
SELECT recall('v', '<->', 'vector') >= 0.95 AS recall_default_ok;
SELECT count(*) AS problems FROM quiver.index_check('hv_v_l2');
-- on a small table with ef_search above the row count, every operator class returns exactly
-- the exact top 10 (the search explores the whole graph)
CREATE TABLE hs AS SELECT * FROM hv WHERE id <= 300;
SET hnsw.ef_search = 400;
CREATE INDEX hs_v_l2 ON hs USING hnsw (v vector_l2_ops);
SELECT recall_on('hs', 'v', '<->', 'vector') AS vector_l2;
CREATE INDEX hs_v_ip ON hs USING hnsw (v vector_ip_ops);
SELECT recall_on('hs', 'v', '<#>', 'vector') AS vector_ip;
CREATE INDEX hs_v_cos ON hs USING hnsw (v vector_cosine_ops);
SELECT recall_on('hs', 'v', '<=>', 'vector') AS vector_cosine;
CREATE INDEX hs_v_l1 ON hs USING hnsw (v vector_l1_ops);
SELECT recall_on('hs', 'v', '<+>', 'vector') AS vector_l1;
DROP INDEX hs_v_ip, hs_v_cos, hs_v_l1;
CREATE INDEX ON hs USING hnsw (h halfvec_l2_ops);
SELECT recall_on('hs', 'h', '<->', 'halfvec') AS halfvec_l2;
CREATE INDEX hs_h_ip ON hs USING hnsw (h halfvec_ip_ops);
SELECT recall_on('hs', 'h', '<#>', 'halfvec') AS halfvec_ip;
CREATE INDEX hs_h_cos ON hs USING hnsw (h halfvec_cosine_ops);
SELECT recall_on('hs', 'h', '<=>', 'halfvec') AS halfvec_cosine;
CREATE INDEX hs_h_l1 ON hs USING hnsw (h halfvec_l1_ops);
SELECT recall_on('hs', 'h', '<+>', 'halfvec') AS halfvec_l1;
CREATE INDEX ON hs USING hnsw (s sparsevec_l2_ops);
SELECT recall_on('hs', 's', '<->', 'vector::sparsevec') AS sparsevec_l2;
CREATE INDEX ON hs USING hnsw (s sparsevec_ip_ops);
SELECT recall_on('hs', 's', '<#>', 'vector::sparsevec') AS sparsevec_ip;
CREATE INDEX ON hs USING hnsw (s sparsevec_cosine_ops);
SELECT recall_on('hs', 's', '<=>', 'vector::sparsevec') AS sparsevec_cosine;
CREATE INDEX ON hs USING hnsw (s sparsevec_l1_ops);
SELECT recall_on('hs', 's', '<+>', 'vector::sparsevec') AS sparsevec_l1;
-- bit: compare distances, not ids (Hamming distances tie often)
CREATE INDEX hs_b_ham ON hs USING hnsw (b bit_hamming_ops);
CREATE INDEX hs_b_jac ON hs USING hnsw (b bit_jaccard_ops);
SET enable_seqscan = off;
SELECT bool_and(
  (SELECT array_agg(d) FROM (SELECT b <~> binary_quantize(qarr::vector) AS d FROM hs ORDER BY b <~> binary_quantize(qarr::vector) LIMIT 10) x)
  = (SELECT array_agg(d) FROM (SELECT d FROM (SELECT b <~> binary_quantize(qarr::vector) AS d FROM hs OFFSET 0) y ORDER BY d LIMIT 10) z)) AS bit_hamming,
       bool_and(
  (SELECT array_agg(d) FROM (SELECT b <%> binary_quantize(qarr::vector) AS d FROM hs ORDER BY b <%> binary_quantize(qarr::vector) LIMIT 10) x)
  = (SELECT array_agg(d) FROM (SELECT d FROM (SELECT b <%> binary_quantize(qarr::vector) AS d FROM hs OFFSET 0) y ORDER BY d LIMIT 10) z)) AS bit_jaccard
FROM hq;
RESET enable_seqscan;
RESET hnsw.ef_search;

-- the planner uses the index for ORDER BY ... LIMIT, not for a query reading every row
EXPLAIN (COSTS OFF) SELECT id FROM hv ORDER BY v <-> '[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24]' LIMIT 10;
EXPLAIN (COSTS OFF) SELECT id FROM hv ORDER BY v <-> '[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24]';

-- filtered search: tenant matches 1% of rows
SET enable_seqscan = off;
SELECT count(*) < 10 AS off_returns_fewer FROM (SELECT id FROM hv WHERE tenant = 7 ORDER BY v <-> (SELECT qarr::vector FROM hq WHERE q = 1) LIMIT 10) t;
SET hnsw.iterative_scan = relaxed_order;
SELECT count(*) AS relaxed_rows FROM (SELECT id FROM hv WHERE tenant = 7 ORDER BY v <-> (SELECT qarr::vector FROM hq WHERE q = 1) LIMIT 10) t;
SET hnsw.iterative_scan = strict_order;
SELECT count(*) AS strict_rows FROM (SELECT id FROM hv WHERE tenant = 7 ORDER BY v <-> (SELECT qarr::vector FROM hq WHERE q = 1) LIMIT 10) t;
-- strict order: distances never decrease
SELECT bool_and(d >= prev) AS strictly_ordered FROM (
  SELECT d, lag(d, 1, 0::float8) OVER (ORDER BY rn) AS prev FROM (
    SELECT v <-> (SELECT qarr::vector FROM hq WHERE q = 1) AS d, row_number() OVER () AS rn
    FROM (SELECT v FROM hv WHERE tenant = 7 ORDER BY v <-> (SELECT qarr::vector FROM hq WHERE q = 1) LIMIT 10) a) b) c;
RESET hnsw.iterative_scan;
RESET enable_seqscan;

-- inserts after the build, then VACUUM after deleting half of the rows
INSERT INTO hv (id, tenant, arr, v)
SELECT 3000 + i, i % 100, arr, arr::vector FROM (SELECT i, array(SELECT ctr[d] + (random() + random() + random() - 1.5) * 0.3 FROM generate_series(1, 24) d) AS arr FROM generate_series(1, 500) i JOIN centres ON c = 1 + i % 40) n;
SELECT count(*) AS problems FROM quiver.index_check('hv_v_l2');
SELECT recall('v', '<->', 'vector') >= 0.95 AS recall_after_inserts_ok;
DELETE FROM hv WHERE id % 2 = 0;
VACUUM hv;
SELECT count(*) AS problems FROM quiver.index_check('hv_v_l2');
-- (deleting even ids removes whole clusters; recall over 50 queries varies 0.95-0.99 between builds)
SELECT recall('v', '<->', 'vector') >= 0.9 AS recall_after_vacuum_ok;
SET enable_seqscan = off;
SELECT count(*) FILTER (WHERE id % 2 = 0) AS deleted_rows_returned FROM (SELECT id FROM hv ORDER BY v <-> (SELECT qarr::vector FROM hq WHERE q = 3) LIMIT 40) t;
RESET enable_seqscan;

-- REINDEX, REINDEX CONCURRENTLY
REINDEX INDEX hv_v_l2;
REINDEX INDEX CONCURRENTLY hv_v_l2;
SELECT count(*) AS problems FROM quiver.index_check('hv_v_l2');
SELECT recall('v', '<->', 'vector') >= 0.9 AS recall_after_reindex_ok;

-- 3,072-dimension vectors (larger than a page) index and search, before and after inserts
CREATE TABLE big (id int, v vector(3072));
INSERT INTO big SELECT i, array(SELECT sin(i * 0.37 + d * 0.011) FROM generate_series(1, 3072) d)::vector FROM generate_series(1, 120) i;
CREATE INDEX big_idx ON big USING hnsw (v vector_l2_ops) WITH (m = 8, ef_construction = 32);
INSERT INTO big SELECT i, array(SELECT sin(i * 0.37 + d * 0.011) FROM generate_series(1, 3072) d)::vector FROM generate_series(121, 150) i;
SELECT count(*) AS problems FROM quiver.index_check('big_idx');
SET enable_seqscan = off;
SELECT (SELECT array_agg(id) FROM (SELECT id FROM big ORDER BY v <-> (SELECT v FROM big WHERE id = 77) LIMIT 5) t)
     = (SELECT array_agg(id) FROM (SELECT id FROM big ORDER BY (v <-> (SELECT v FROM big WHERE id = 77)) + 0 LIMIT 5) t) AS big_exact;
SELECT id FROM big ORDER BY v <-> (SELECT v FROM big WHERE id = 140) LIMIT 1;
RESET enable_seqscan;
CREATE TABLE bigh (id int, v halfvec(16000));
INSERT INTO bigh SELECT i, array_fill(i::real, ARRAY[16000])::halfvec FROM generate_series(1, 5) i;
CREATE INDEX ON bigh USING hnsw (v halfvec_l2_ops);
SET enable_seqscan = off;
SELECT id FROM bigh ORDER BY v <-> array_fill(3.2::real, ARRAY[16000])::halfvec LIMIT 2;
RESET enable_seqscan;

-- unlogged tables (init fork) and empty tables
CREATE UNLOGGED TABLE ul (id int, v vector(3));
CREATE INDEX ul_idx ON ul USING hnsw (v);
INSERT INTO ul VALUES (1, '[1,1,1]'), (2, '[2,2,2]'), (3, NULL);
SET enable_seqscan = off;
-- (the row with a NULL vector comes last, as in a sequential scan)
SELECT id FROM ul ORDER BY v <-> '[1.9,2,2]' LIMIT 3;
RESET enable_seqscan;
SELECT count(*) AS problems FROM quiver.index_check('ul_idx');

-- options and GUC errors
SELECT err($$CREATE INDEX ON hv USING hnsw (v) WITH (m = 1)$$);
SELECT err($$CREATE INDEX ON hv USING hnsw (v) WITH (m = 101)$$);
SELECT err($$CREATE INDEX ON hv USING hnsw (v) WITH (ef_construction = 3)$$);
SELECT err($$CREATE INDEX ON hv USING hnsw (v) WITH (ef_construction = 1001)$$);
SELECT err($$CREATE INDEX ON hv USING hnsw (v) WITH (m = 40, ef_construction = 64)$$);
SELECT err($$CREATE INDEX ON hv USING hnsw (v) WITH (nonsense = 3)$$);
SELECT err($$CREATE INDEX ON hv USING hnsw (h)$$);
SELECT err($$SET hnsw.ef_search = 0$$);
SELECT err($$SET hnsw.ef_search = 1001$$);
SELECT err($$SET hnsw.iterative_scan = sideways$$);
SELECT err($$SET hnsw.max_scan_tuples = 0$$);
SELECT err($$SET hnsw.scan_mem_multiplier = 0$$);
SELECT err($$SELECT * FROM quiver.index_check('hv')$$);
SHOW hnsw.ef_search;
SHOW hnsw.iterative_scan;
SHOW hnsw.max_scan_tuples;
SHOW hnsw.scan_mem_multiplier;
SELECT count(*) AS unreachable_reports FROM quiver.index_check('hs_v_l2', reachability => true);

-- a graph larger than maintenance_work_mem: vectors and links move to temporary files after
-- about 2,000 rows (64 dimensions) and the graph is still built in memory
CREATE TABLE mw AS
SELECT i AS id, array(SELECT ctr[1 + (d - 1) % 24] + (random() + random() + random() - 1.5) * 0.3 FROM generate_series(1, 64) d)::vector(64) AS v
FROM generate_series(1, 4500) i JOIN centres ON c = 1 + i % 40;
SET maintenance_work_mem = '1MB';
CREATE INDEX mw_idx ON mw USING hnsw (v) WITH (ef_construction = 128);
RESET maintenance_work_mem;
-- the temporary files (PostgreSQL's own, in temp_tablespaces) are gone after the build
SELECT count(*) AS temp_files_left FROM pg_ls_tmpdir();
SELECT count(*) AS problems FROM quiver.index_check('mw_idx');
SELECT count(*) AS indexed FROM (SELECT 1 FROM mw ORDER BY v <-> (SELECT v FROM mw WHERE id = 1) LIMIT 1) t;
SET enable_seqscan = off;
-- sampled rows are found as their own nearest neighbour (this data set is hard for any HNSW
-- graph: at ef_construction 64 pgvector finds 96% here; ask for 90% with more effort)
SET hnsw.ef_search = 100;
SELECT count(*) FILTER (WHERE (SELECT id FROM mw m2 ORDER BY m2.v <-> m1.v LIMIT 1) = m1.id) >= 0.9 * count(*) AS found_self
FROM mw m1 WHERE id % 7 = 0;
RESET hnsw.ef_search;
RESET enable_seqscan;
-- with 1 MB even the per-row bookkeeping (about 64 bytes) fills maintenance_work_mem after
-- about 16,000 rows: the rest are inserted into the written graph one row at a time
CREATE TABLE mw2 AS
SELECT i AS id, array(SELECT random() FROM generate_series(1, 8) d WHERE i > 0)::vector(8) AS v
FROM generate_series(1, 24000) i;
SET maintenance_work_mem = '1MB';
CREATE INDEX mw2_idx ON mw2 USING hnsw (v);
RESET maintenance_work_mem;
SELECT count(*) AS problems FROM quiver.index_check('mw2_idx');
SET enable_seqscan = off;
SET hnsw.ef_search = 100;
SELECT count(*) FILTER (WHERE (SELECT id FROM mw2 m2 ORDER BY m2.v <-> m1.v LIMIT 1) = m1.id) >= 0.95 * count(*) AS found_self
FROM mw2 m1 WHERE id % 10 = 0 AND (id > 22000 OR id < 2000);
RESET hnsw.ef_search;
RESET enable_seqscan;
DROP TABLE mw2;

-- iterative scans stop at hnsw.max_scan_tuples and at work_mem × hnsw.scan_mem_multiplier
SET enable_seqscan = off;
SET hnsw.iterative_scan = relaxed_order;
SELECT count(*) >= 0.99 * (SELECT count(*) FROM hv) AS iterates_over_the_table FROM (SELECT id FROM hv ORDER BY v <-> (SELECT qarr::vector FROM hq WHERE q = 1) LIMIT 100000) t;
SET hnsw.max_scan_tuples = 100;
SELECT count(*) <= 200 AS bounded_by_max_scan_tuples FROM (SELECT id FROM hv ORDER BY v <-> (SELECT qarr::vector FROM hq WHERE q = 1) LIMIT 100000) t;
RESET hnsw.max_scan_tuples;
SET work_mem = '64kB';
SELECT count(*) < (SELECT count(*) FROM hv) AS bounded_by_memory FROM (SELECT id FROM hv ORDER BY v <-> (SELECT qarr::vector FROM hq WHERE q = 1) LIMIT 100000) t;
RESET work_mem;
RESET hnsw.iterative_scan;
RESET enable_seqscan;

-- VACUUM unlinks deleted rows: no live node keeps a link to a deleted one, the entry point moves
CREATE TABLE vr AS SELECT * FROM hv WHERE id <= 1200;
CREATE INDEX vr_idx ON vr USING hnsw (v vector_l2_ops) WITH (m = 8, ef_construction = 32);
DELETE FROM vr WHERE id % 3 <> 0;
VACUUM vr;
SELECT count(*) AS problems FROM quiver.index_check('vr_idx', reachability => true);
SELECT recall_on('vr', 'v', '<->', 'vector') >= 0.9 AS recall_after_repair_ok;
INSERT INTO vr SELECT * FROM hv WHERE id > 1200 AND id <= 1400;
SELECT count(*) AS problems FROM quiver.index_check('vr_idx', reachability => true);
-- deleting every row leaves an index that answers nothing and accepts new rows
DELETE FROM vr;
VACUUM vr;
SET enable_seqscan = off;
SELECT count(*) AS rows_after_delete_all FROM (SELECT id FROM vr ORDER BY v <-> (SELECT qarr::vector FROM hq WHERE q = 1) LIMIT 5) t;
INSERT INTO vr SELECT * FROM hv WHERE id <= 20;
SELECT count(*) AS rows_after_reinsert FROM (SELECT id FROM vr ORDER BY v <-> (SELECT qarr::vector FROM hq WHERE q = 1) LIMIT 5) t;
RESET enable_seqscan;
SELECT count(*) AS problems FROM quiver.index_check('vr_idx');
