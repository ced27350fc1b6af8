-- comparison operators, btree operator classes (ORDER BY, DISTINCT, GROUP BY, UNIQUE), aggregates
SELECT '[1,2]'::vector < '[1,3]', '[1,2]'::vector = '[1,2]', '[1,2]'::vector <> '[1,2,0]', '[2]'::vector > '[1,9]', '[1,2]'::vector <= '[1,2]', '[1,2]'::vector >= '[1,2,3]';
SELECT '[1,2]'::halfvec < '[1,3]', '[1,2]'::halfvec = '[1,2]', '{1:1}/2'::sparsevec = '[1,0]'::vector::sparsevec, '{2:1}/2'::sparsevec < '{1:1}/2';
SELECT v FROM (VALUES ('[2,1]'::vector), ('[1,2]'), ('[1,2,0]'), ('[1,1]'), ('[1,2]')) AS t(v) ORDER BY v;
SELECT DISTINCT v FROM (VALUES ('[2,1]'::halfvec), ('[1,2]'), ('[1,2]')) AS t(v) ORDER BY v;
SELECT v, count(*) FROM (VALUES ('{1:1}/3'::sparsevec), ('{2:1}/3'), ('{1:1}/3')) AS t(v) GROUP BY v ORDER BY v;
CREATE TABLE t_uniq (v vector(2) UNIQUE);
INSERT INTO t_uniq VALUES ('[1,2]');
SELECT err($$INSERT INTO t_uniq VALUES ('[1,2]')$$);

SELECT avg(v), sum(v) FROM (VALUES ('[1,2,3]'::vector), ('[3,4,5]'), (NULL)) AS t(v);
SELECT avg(v), sum(v) FROM (VALUES ('[1,2]'::halfvec), ('[2,4]')) AS t(v);
SELECT avg(v) IS NULL, sum(v) IS NULL FROM (SELECT '[1]'::vector AS v WHERE false) AS t;
SELECT err($$SELECT avg(v) FROM (VALUES ('[1,2]'::vector), ('[1]')) AS t(v)$$);
-- parallel aggregation uses the combine functions and must give the same answer
CREATE TABLE t_agg AS SELECT i, ARRAY[i % 7, i % 11, 1]::vector(3) AS v FROM generate_series(1, 20000) i;
ANALYZE t_agg;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;
SELECT avg(v), sum(v) FROM t_agg;
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size; RESET max_parallel_workers_per_gather;
SELECT avg(v), sum(v) FROM t_agg;
