-- ivfflat index access method: every operator class agrees with exact search when every list
-- is probed, recall on clustered data, iterative filtered scans, options and GUC errors,
-- NULL / zero vectors, large vectors, inserts, VACUUM, REINDEX, UNLOGGED, EXPLAIN.
SELECT setseed(0.23);
SET client_min_messages = warning;
-- clustered data: 30 centres in 16 dimensions, points scattered around them
CREATE TABLE iv_centres AS SELECT c, array(SELECT random() * 4 - 2 FROM generate_series(1, 16) WHERE c > 0) AS ctr FROM generate_series(1, 30) c;
CREATE TABLE iv AS
SELECT i AS id, array(SELECT ctr[d] + (random() + random() + random() - 1.5) * 0.3 FROM generate_series(1, 16) d) AS arr
FROM generate_series(1, 3000) i JOIN iv_centres ON c = 1 + i % 30;
ALTER TABLE iv ADD COLUMN v vector(16), ADD COLUMN h halfvec(16), ADD COLUMN b bit(16);
UPDATE iv SET v = arr::vector, h = arr::halfvec, b = binary_quantize(arr::vector);
INSERT INTO iv (id) SELECT 3000 + i FROM generate_series(1, 5) i;               -- NULL vectors
INSERT INTO iv (id, v, h, b) SELECT 3005 + i, '[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]', '[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]', B'0000000000000000' FROM generate_series(1, 3) i;
CREATE TABLE iv_q AS SELECT q, array(SELECT x + 0.05 FROM unnest((SELECT arr FROM iv WHERE id = q * 97 + 1)) x) AS qarr FROM generate_series(1, 30) q;
ANALYZE iv;

-- exact(col, op, q, typ, k): does the index scan (all lists probed) return the exact top k,
-- compared with a sequential scan: same ids in the same distance order ('ok' or what differs)
CREATE FUNCTION iv_same(col text, op text, q text, typ text, k int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE ids_i int[]; ids_s int[]; d_i float8[]; d_s float8[]; sql text;
BEGIN
  sql := format('SELECT array_agg(id ORDER BY n), array_agg(d ORDER BY n) FROM (SELECT id, d, row_number() OVER () n FROM (SELECT id, %1$I %2$s q AS d FROM iv, (SELECT %3$s::%4$s AS q) p ORDER BY %1$I %2$s (SELECT %3$s::%4$s) LIMIT %5$s) t) u',
                col, op, coalesce(quote_literal(q), 'NULL'), typ, k);
  SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL ivfflat.probes = 32768;
  EXECUTE sql INTO ids_i, d_i;
  SET LOCAL enable_seqscan = on; SET LOCAL enable_indexscan = off;
  EXECUTE sql INTO ids_s, d_s;
  IF d_i IS DISTINCT FROM d_s THEN RETURN format('distances differ: %s vs %s', d_i[1:3], d_s[1:3]); END IF;
  IF (SELECT array_agg(x ORDER BY x) FROM unnest(ids_i) x) IS DISTINCT FROM (SELECT array_agg(x ORDER BY x) FROM unnest(ids_s) x) THEN RETURN 'rows differ'; END IF;
  RETURN 'ok';
END $$;
-- recall@10 of the index scan against the exact ORDER BY, over iv_q
CREATE FUNCTION iv_recall(col text, op text, typ text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE total float8 := 0; q record; got int[]; exact int[];
BEGIN
  FOR q IN SELECT * FROM iv_q LOOP
    SET LOCAL enable_seqscan = off;
    EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM iv ORDER BY %I %s $1::%s LIMIT 10) t', col, op, typ) INTO got USING q.qarr;
    SET LOCAL enable_seqscan = on; SET LOCAL enable_indexscan = off;
    EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM iv ORDER BY %I %s $1::%s, id LIMIT 10) t', col, op, typ) INTO exact USING q.qarr;
    SET LOCAL enable_indexscan = on;
    total := total + (SELECT count(*) FROM unnest(got) g WHERE g = ANY (exact)) / 10.0;
  END LOOP;
  RETURN total / (SELECT count(*) FROM iv_q);
END $$;

CREATE INDEX iv_v_l2 ON iv USING ivfflat (v vector_l2_ops) WITH (lists = 30);
SELECT count(*) AS problems FROM quiver.index_check('iv_v_l2');
SELECT iv_same('v', '<->', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'vector', 50) AS l2,
       iv_same('v', '<->', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'vector', 4000) AS l2_every_row,
       iv_same('v', '<->', NULL, 'vector', 4000) AS l2_null_query;
-- probes: few lists give a good recall on clustered data, more give more
SET ivfflat.probes = 3;
SELECT iv_recall('v', '<->', 'vector') >= 0.9 AS recall_probes_3;
SET ivfflat.probes = 1;
SELECT iv_recall('v', '<->', 'vector') AS recall_probes_1 \gset
SET ivfflat.probes = 10;
SELECT iv_recall('v', '<->', 'vector') >= :recall_probes_1 AND iv_recall('v', '<->', 'vector') >= 0.99 AS more_probes_more_recall;
RESET ivfflat.probes;
CREATE INDEX iv_v_ip ON iv USING ivfflat (v vector_ip_ops) WITH (lists = 20);
SELECT iv_same('v', '<#>', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'vector', 50) AS ip;
CREATE INDEX iv_v_cos ON iv USING ivfflat (v vector_cosine_ops) WITH (lists = 20);
SELECT iv_same('v', '<=>', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'vector', 4000) AS cosine_every_row,
       iv_same('v', '<=>', '[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]', 'vector', 4000) AS cosine_zero_query;
SET ivfflat.probes = 4;
SELECT iv_recall('v', '<=>', 'vector') >= 0.9 AS recall_cosine;
RESET ivfflat.probes;
CREATE INDEX iv_v_l1 ON iv USING ivfflat (v vector_l1_ops) WITH (lists = 20);
SELECT iv_same('v', '<+>', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'vector', 50) AS l1;
DROP INDEX iv_v_l2, iv_v_ip, iv_v_cos, iv_v_l1;
CREATE INDEX iv_h_l2 ON iv USING ivfflat (h halfvec_l2_ops) WITH (lists = 20);
CREATE INDEX iv_h_ip ON iv USING ivfflat (h halfvec_ip_ops) WITH (lists = 20);
CREATE INDEX iv_h_cos ON iv USING ivfflat (h halfvec_cosine_ops) WITH (lists = 20);
CREATE INDEX iv_h_l1 ON iv USING ivfflat (h halfvec_l1_ops) WITH (lists = 20);
SELECT iv_same('h', '<->', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'halfvec', 50) AS half_l2,
       iv_same('h', '<#>', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'halfvec', 50) AS half_ip,
       iv_same('h', '<=>', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'halfvec', 4000) AS half_cosine,
       iv_same('h', '<+>', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'halfvec', 50) AS half_l1;
DROP INDEX iv_h_l2, iv_h_ip, iv_h_cos, iv_h_l1;
-- bits: distances tie a lot, so compare distances (iv_same checks the sorted distances of the
-- whole table when k covers it)
CREATE INDEX iv_b_ham ON iv USING ivfflat (b bit_hamming_ops) WITH (lists = 10);
CREATE INDEX iv_b_jac ON iv USING ivfflat (b bit_jaccard_ops) WITH (lists = 10);
SELECT iv_same('b', '<~>', '1010101010101010', 'bit(16)', 4000) AS hamming, iv_same('b', '<%>', '1010101010101010', 'bit(16)', 4000) AS jaccard;
SELECT count(*) AS problems FROM quiver.index_check('iv_b_jac');
DROP INDEX iv_b_ham, iv_b_jac;

-- the planner: ORDER BY distance LIMIT uses the index; a query that reads the table does not
CREATE INDEX iv_v ON iv USING ivfflat (v) WITH (lists = 30);
ANALYZE iv;
EXPLAIN (COSTS OFF) SELECT id FROM iv ORDER BY v <-> '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT count(*) FROM iv WHERE v <-> '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]' < 1;
-- a selective filter: without iterative scans the single probe would leave LIMIT short, so an
-- exact plan is chosen; with them the index is used and the LIMIT is filled
EXPLAIN (COSTS OFF) SELECT id FROM iv WHERE id % 100 = 7 ORDER BY v <-> '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]' LIMIT 10;
SET enable_seqscan = off;
SELECT count(*) < 10 AS short_without_iterative FROM (SELECT id FROM iv WHERE id % 100 = 7 ORDER BY v <-> '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]' LIMIT 10) t;
SET ivfflat.iterative_scan = relaxed_order;
SELECT count(*) AS filtered_rows_iterative FROM (SELECT id FROM iv WHERE id % 100 = 7 ORDER BY v <-> '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]' LIMIT 10) t;
-- max_probes bounds how far it goes (one list holds about 100 rows, 1 of them passes)
SET ivfflat.max_probes = 2;
SELECT count(*) <= 4 AS bounded_by_max_probes FROM (SELECT id FROM iv WHERE id % 100 = 7 ORDER BY v <-> '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]' LIMIT 10) t;
RESET ivfflat.max_probes;
RESET ivfflat.iterative_scan;
RESET enable_seqscan;

-- inserts go to their nearest list and are found; VACUUM after deleting half the rows keeps
-- every live row and only live rows, and the space is used again (half of every cluster is
-- deleted: rows i and i + 30 share a cluster, and blocks of 30 ids alternate)
INSERT INTO iv (id, v) SELECT 4000 + i, (SELECT v FROM iv WHERE id = i) FROM generate_series(1, 500) i;
SELECT iv_same('v', '<->', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'vector', 5000) AS after_inserts;
SELECT pg_relation_size('iv_v') AS size_before_churn \gset
DELETE FROM iv WHERE (id / 30) % 2 = 0;
VACUUM iv;
SELECT count(*) AS problems FROM quiver.index_check('iv_v');
SELECT iv_same('v', '<->', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'vector', 5000) AS after_vacuum;
INSERT INTO iv (id, v) SELECT 5000 + id, v FROM iv WHERE id <= 2000;
SELECT pg_relation_size('iv_v') <= :size_before_churn AS space_reused;
SELECT iv_same('v', '<->', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'vector', 5000) AS after_refill;
REINDEX INDEX iv_v;
REINDEX INDEX CONCURRENTLY iv_v;
SELECT count(*) AS problems FROM quiver.index_check('iv_v');
SELECT iv_same('v', '<->', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'vector', 50) AS after_reindex;

-- options and GUCs
SELECT err($$CREATE INDEX ON iv USING ivfflat (v) WITH (lists = 0)$$);
SELECT err($$CREATE INDEX ON iv USING ivfflat (v) WITH (lists = 32769)$$);
SELECT err($$CREATE INDEX ON iv USING ivfflat (v) WITH (m = 16)$$);
SELECT err($$SET ivfflat.probes = 0$$);
SELECT err($$SET ivfflat.iterative_scan = strict_order$$);
SELECT err($$SET ivfflat.max_probes = 0$$);
SELECT err($$SET ivfflat.prob = 3$$);
SHOW ivfflat.probes;
SHOW ivfflat.iterative_scan;
-- errors users can cause
CREATE TABLE iv_err (id int, v vector, s sparsevec(4), v4 vector(4), vb bit(128001));
SELECT err($$CREATE INDEX ON iv_err USING ivfflat (v)$$);
SELECT err($$CREATE INDEX ON iv_err USING ivfflat (s)$$);
SELECT err($$CREATE INDEX ON iv_err USING ivfflat (vb bit_hamming_ops)$$);
SELECT err($$CREATE INDEX ON iv_err USING ivfflat (v4, (id::float8))$$);
CREATE INDEX iv_err_v4 ON iv_err USING ivfflat (v4) WITH (lists = 2);
SELECT err($$INSERT INTO iv_err (v4) VALUES ('[1,2,3]')$$);
INSERT INTO iv_err (id, v4) VALUES (1, '[1,2,3,4]');
SET enable_seqscan = off;
SELECT err($$SELECT id FROM iv_err ORDER BY v4 <-> '[1,2,3]' LIMIT 1$$);
-- an empty index (no rows to train on) takes inserts and finds them
SELECT id FROM iv_err ORDER BY v4 <-> '[1,2,3,4]' LIMIT 1;
SELECT count(*) AS problems FROM quiver.index_check('iv_err_v4');
RESET enable_seqscan;

-- vectors larger than a page (3,072 dimensions: 12 KB, in overflow pages), and centroids too
CREATE TABLE iv_big (id int, v vector(3072));
INSERT INTO iv_big SELECT i, array(SELECT sin(i * 0.37 + d * 0.011) + (i % 5) FROM generate_series(1, 3072) d)::vector FROM generate_series(1, 120) i;
CREATE INDEX iv_big_v ON iv_big USING ivfflat (v) WITH (lists = 5);
INSERT INTO iv_big SELECT 200 + i, array(SELECT cos(i * 0.29 + d * 0.013) + (i % 5) FROM generate_series(1, 3072) d)::vector FROM generate_series(1, 30) i;
SET enable_seqscan = off; SET ivfflat.probes = 5;
SELECT array_agg(id) AS index_top5 FROM (SELECT id FROM iv_big ORDER BY v <-> (SELECT v FROM iv_big WHERE id = 7) LIMIT 5) t \gset
RESET enable_seqscan; SET enable_indexscan = off;
SELECT array_agg(id) = :'index_top5' AS big_exact FROM (SELECT id FROM iv_big ORDER BY v <-> (SELECT v FROM iv_big WHERE id = 7) LIMIT 5) t;
RESET enable_indexscan; RESET ivfflat.probes;
DELETE FROM iv_big WHERE id % 3 = 0;
VACUUM iv_big;
SELECT count(*) AS problems FROM quiver.index_check('iv_big_v');
INSERT INTO iv_big SELECT 300 + i, array(SELECT cos(i * 0.5 + d * 0.017) FROM generate_series(1, 3072) d)::vector FROM generate_series(1, 30) i;
SELECT count(*) AS problems FROM quiver.index_check('iv_big_v');
SET enable_seqscan = off; SET ivfflat.probes = 5;
SELECT count(*) AS big_rows FROM (SELECT id FROM iv_big ORDER BY v <-> (SELECT v FROM iv_big WHERE id = 7)) t;
RESET enable_seqscan; RESET ivfflat.probes;

-- UNLOGGED tables
CREATE UNLOGGED TABLE iv_ul (id int, v vector(3));
INSERT INTO iv_ul SELECT i, ARRAY[i, i % 7, 1]::vector FROM generate_series(1, 300) i;
CREATE INDEX iv_ul_v ON iv_ul USING ivfflat (v) WITH (lists = 4);
SET enable_seqscan = off;
SELECT id FROM iv_ul ORDER BY v <-> '[150,3,1]' LIMIT 3;
RESET enable_seqscan;
SELECT count(*) AS problems FROM quiver.index_check('iv_ul_v');

-- ALTER INDEX: a new lists takes effect at REINDEX; the index answers exactly meanwhile
ALTER INDEX iv_v SET (lists = 7);
SELECT reloptions FROM pg_class WHERE relname = 'iv_v';
SELECT iv_same('v', '<->', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'vector', 300) AS before_reindex;
REINDEX INDEX iv_v;
SELECT iv_same('v', '<->', '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]', 'vector', 300) AS after_reindex;
SELECT err($$ALTER INDEX iv_v SET (lists = 0)$$);
SELECT err($$ALTER INDEX iv_v SET (probes = 3)$$);
ALTER INDEX iv_v RESET (lists);

-- maintenance_work_mem bounds the build: beyond it the vectors go to a temporary file (a
-- NOTICE says so) and the index is the same
SET maintenance_work_mem = '1MB';
SET client_min_messages = notice;
CREATE INDEX iv_big_small_mem ON iv_big USING ivfflat (v) WITH (lists = 5);
SET client_min_messages = warning;
RESET maintenance_work_mem;
DROP INDEX iv_big_v;
SET enable_seqscan = off; SET ivfflat.probes = 5;
SELECT array_agg(id) AS small_mem_top5 FROM (SELECT id FROM iv_big ORDER BY v <-> (SELECT v FROM iv_big WHERE id = 8) LIMIT 5) t \gset
RESET enable_seqscan; SET enable_indexscan = off;
SELECT array_agg(id) = :'small_mem_top5' AS small_mem_exact FROM (SELECT id FROM iv_big ORDER BY v <-> (SELECT v FROM iv_big WHERE id = 8) LIMIT 5) t;
RESET enable_indexscan; RESET ivfflat.probes;
SELECT count(*) AS problems FROM quiver.index_check('iv_big_small_mem');

-- hostile names and a search_path that shadows: a table, columns and an index named like SQL
-- keywords and quotes, and a schema ahead of public holding another "<->" for vectors
CREATE TABLE "select" ("order" vector(3), "limit" int, "where" text);
INSERT INTO "select" SELECT ARRAY[i % 10, i % 7, i % 3]::vector, i, 'w' || i FROM generate_series(1, 400) i;
CREATE INDEX "iv ""odd"" idx" ON "select" USING ivfflat ("order" vector_l2_ops) WITH (lists = 4);
CREATE SCHEMA iv_evil;
CREATE FUNCTION iv_evil.fake_dist(vector, vector) RETURNS float8 LANGUAGE sql IMMUTABLE AS 'SELECT 0::float8';
CREATE OPERATOR iv_evil.<-> (LEFTARG = vector, RIGHTARG = vector, FUNCTION = iv_evil.fake_dist);
-- plan lines without PostgreSQL 18's "Disabled: true" annotation, so every version prints the same
CREATE FUNCTION public.iv_plan(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE l text;
BEGIN
  FOR l IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
    IF l !~ '^\s*Disabled: ' THEN RETURN NEXT l; END IF;
  END LOOP;
END $$;
SET search_path = iv_evil, public, quiver;
SET enable_seqscan = off; SET ivfflat.probes = 4;
-- the shadowing operator is not the index's: the planner cannot use the index for it
SELECT public.iv_plan($$SELECT "limit" FROM "select" ORDER BY "order" <-> '[1,2,1]' LIMIT 3$$);
-- the real operator, schema-qualified, uses the index and equals the exact order
EXPLAIN (COSTS OFF) SELECT "limit" FROM "select" ORDER BY "order" OPERATOR(public.<->) '[1,2,1]' LIMIT 3;
SELECT array_agg("limit" ORDER BY "limit") AS odd_index FROM (SELECT "limit" FROM "select" WHERE "where" <> 'w1' ORDER BY "order" OPERATOR(public.<->) '[1,2,1]', "limit" LIMIT 5) t \gset
RESET enable_seqscan; SET enable_indexscan = off;
SELECT array_agg("limit" ORDER BY "limit") = :'odd_index' AS odd_exact FROM (SELECT "limit" FROM "select" WHERE "where" <> 'w1' ORDER BY "order" OPERATOR(public.<->) '[1,2,1]', "limit" LIMIT 5) t;
RESET enable_indexscan; RESET ivfflat.probes;
SELECT count(*) AS problems FROM quiver.index_check('"iv ""odd"" idx"');
SELECT err($$SELECT * FROM quiver.index_check(NULL)$$);
RESET search_path;
DROP SCHEMA iv_evil CASCADE;
DROP FUNCTION iv_plan(text);
DROP TABLE "select";

-- temporary tables: the build writes pages of a backend-local relation, vectors larger than a
-- page included; the index's top 10 equals the exact one (all lists probed), before and after
-- inserts, for ivfflat and hnsw
CREATE TEMP TABLE iv_tmp (id int, v vector(2100));
INSERT INTO iv_tmp SELECT i, (SELECT array_agg(sin(i * 0.37 + j * 0.011)::float4) FROM generate_series(1, 2100) j)::vector
FROM generate_series(1, 300) i;
CREATE INDEX iv_tmp_iv ON iv_tmp USING ivfflat (v) WITH (lists = 4);
CREATE INDEX iv_tmp_hn ON iv_tmp USING hnsw (v);
INSERT INTO iv_tmp SELECT 500 + i, (SELECT array_agg(cos(i * 0.53 + j * 0.007)::float4) FROM generate_series(1, 2100) j)::vector
FROM generate_series(1, 50) i;
CREATE FUNCTION iv_tmp_top(q int) RETURNS int[] LANGUAGE sql AS
$$ SELECT array_agg(id) FROM (SELECT id FROM iv_tmp ORDER BY v <-> (SELECT v FROM iv_tmp WHERE id = q) LIMIT 10) s $$;
SET enable_seqscan = off; SET ivfflat.probes = 4;
DROP INDEX iv_tmp_hn;
CREATE TEMP TABLE iv_tmp_got AS SELECT q, iv_tmp_top(q) AS ids FROM (VALUES (5), (17), (520)) t(q);
CREATE INDEX iv_tmp_hn ON iv_tmp USING hnsw (v);
DROP INDEX iv_tmp_iv;
SET hnsw.ef_search = 400;
INSERT INTO iv_tmp_got SELECT q, iv_tmp_top(q) FROM (VALUES (5), (17), (520)) t(q);
RESET enable_seqscan; SET enable_indexscan = off; SET enable_bitmapscan = off;
SELECT g.q, count(*) AS scans, bool_and(g.ids = iv_tmp_top(g.q)) AS equal_exact
FROM iv_tmp_got g GROUP BY g.q ORDER BY g.q;
RESET enable_indexscan; RESET enable_bitmapscan; RESET ivfflat.probes; RESET hnsw.ef_search;
DROP FUNCTION iv_tmp_top(int);
