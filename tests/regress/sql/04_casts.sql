-- casts between arrays and vector types
SELECT ARRAY[1,2,3]::vector;
SELECT ARRAY[1.5,2.5]::real[]::vector;
SELECT ARRAY[1.5,2.5]::double precision[]::vector;
SELECT ARRAY[1.5,2.5]::numeric[]::vector;
SELECT ARRAY[1,2,3]::vector(3);
SELECT '[1,2,3]'::vector::real[];
SELECT ARRAY[1,2]::halfvec, ARRAY[1.1]::real[]::halfvec, ARRAY[0.5]::double precision[]::halfvec, ARRAY[2.5]::numeric[]::halfvec;
SELECT '[1,2.5]'::halfvec::real[];
SELECT '[1.1,2]'::vector::halfvec;
SELECT '[1.1,2]'::halfvec::vector;
SELECT '[0,1.5,0,-2]'::vector::sparsevec;
SELECT '{2:1.5,4:-2}/4'::sparsevec::vector;
SELECT '[0,1.1,0]'::halfvec::sparsevec;
SELECT '{2:1.1}/3'::sparsevec::halfvec;
-- assignment casts
CREATE TABLE t_cast (v vector(2), h halfvec(2), s sparsevec(2));
INSERT INTO t_cast VALUES (ARRAY[1,2], '[3,4]'::vector, '[0,5]'::vector);
INSERT INTO t_cast (h) VALUES (ARRAY[1.5,2]::real[]);
SELECT * FROM t_cast;

SELECT err($$SELECT ARRAY[1,NULL]::vector$$);
SELECT err($$SELECT ARRAY[]::real[]::vector$$);
SELECT err($$SELECT ARRAY['NaN']::real[]::vector$$);
SELECT err($$SELECT ARRAY['Infinity']::double precision[]::vector$$);
SELECT err($$SELECT ARRAY[1e300]::double precision[]::vector$$);
SELECT err($$SELECT ARRAY[1,2]::vector(3)$$);
SELECT err($$SELECT ARRAY[100000]::halfvec$$);
SELECT err($$SELECT '[1e10]'::vector::halfvec$$);
SELECT err($$SELECT '[1,2]'::vector::halfvec(3)$$);
SELECT err($$SELECT '{1:1}/3'::sparsevec::vector(2)$$);

-- Text input remembers the last text per call site (a generic plan converts a parameter once
-- per row): repeated, alternating and failing inputs must each give their own value.
SELECT x, x::vector AS v, x::halfvec AS h
FROM (VALUES ('[1,2]'), ('[1,2]'), ('[3,4]'), ('[1,2]'), ('[1,2]'), ('[ 1 , 2 ]')) t(x);
SELECT x, x::sparsevec FROM (VALUES ('{1:1}/2'), ('{1:1}/2'), ('{2:5}/2'), ('{1:1}/2')) t(x);
-- more than 8 different texts in a row (the call site stops remembering), then repeats
SELECT i, ('[' || i || ']')::vector, '[7]'::text::vector FROM generate_series(1, 12) i;
SELECT x::vector(2) FROM (VALUES ('[1,2]'), ('[1,2]')) t(x);
SELECT err($$SELECT x::vector(2) FROM (VALUES ('[1,2]'), ('[1,2]'), ('[1,2,3]')) t(x)$$);
SELECT err($$SELECT x::vector FROM (VALUES ('[1,2]'), ('[1,2]'), ('[1,x]')) t(x)$$);
CREATE TABLE t_memo (id int, v vector(2));
INSERT INTO t_memo VALUES (1, '[0,0]'), (2, '[1,1]'), (3, '[5,5]');
SET plan_cache_mode = force_generic_plan;
PREPARE memo_q(text) AS SELECT id, v <-> $1::text::vector AS d FROM t_memo ORDER BY v <-> $1::text::vector;
EXECUTE memo_q('[0,0]');
EXECUTE memo_q('[5,5]');
EXECUTE memo_q('[5,5]');
EXECUTE memo_q('[0,1]');
DEALLOCATE memo_q;
RESET plan_cache_mode;
DROP TABLE t_memo;

-- arrays must be one-dimensional and NULL-free, for every target type and element type
SELECT err($$SELECT '{{1,2},{3,4}}'::int[]::vector$$);
SELECT err($$SELECT '{{1,2},{3,4}}'::real[]::vector$$);
SELECT err($$SELECT '{{1,2},{3,4}}'::float8[]::vector$$);
SELECT err($$SELECT '{{1,2},{3,4}}'::numeric[]::vector$$);
SELECT err($$SELECT '{{1,2},{3,4}}'::int[]::halfvec$$);
SELECT err($$SELECT '{{1,2},{3,4}}'::real[]::halfvec$$);
SELECT err($$SELECT '{{1,2},{3,4}}'::float8[]::halfvec$$);
SELECT err($$SELECT '{{1,2},{3,4}}'::numeric[]::halfvec$$);
SELECT err($$SELECT '{{1,2},{3,4}}'::int[]::sparsevec$$);
SELECT err($$SELECT '{{1,2},{3,4}}'::real[]::sparsevec$$);
SELECT err($$SELECT '{{1,2},{3,4}}'::float8[]::sparsevec$$);
SELECT err($$SELECT '{{1,2},{3,4}}'::numeric[]::sparsevec$$);
SELECT err($$SELECT '{{{1}}}'::int[]::vector(1)$$);
SELECT err($$SELECT '{{1}}'::real[]::vector$$);
SELECT err($$SELECT '{{1,NULL}}'::real[]::vector$$);
-- a one-dimensional array with any lower bound is fine
SELECT '[0:2]={1,2,3}'::int[]::vector, '[5:6]={0,2}'::real[]::sparsevec;
-- NULL elements, checked before the number of dimensions (pgvector's order)
SELECT err($$SELECT ARRAY[NULL]::int[]::vector(3)$$);
SELECT err($$SELECT ARRAY[1.5,NULL]::real[]::halfvec$$);
SELECT err($$SELECT ARRAY[NULL,1]::float8[]::sparsevec$$);
SELECT err($$SELECT ARRAY[1,NULL]::numeric[]::vector$$);
-- empty arrays
SELECT err($$SELECT '{}'::int[]::vector$$);
SELECT err($$SELECT '{}'::numeric[]::halfvec$$);
SELECT err($$SELECT '{}'::float8[]::sparsevec$$);
-- the type modifier is checked before the element values
SELECT err($$SELECT '{NaN,1}'::real[]::vector(3)$$);
SELECT err($$SELECT '{Infinity,1}'::float8[]::halfvec(3)$$);
-- NaN and infinite elements, every element type that can hold them
SELECT err($$SELECT '{1,NaN}'::real[]::vector$$);
SELECT err($$SELECT '{1,NaN}'::numeric[]::vector$$);
SELECT err($$SELECT '{-Infinity}'::real[]::halfvec$$);
SELECT err($$SELECT '{Infinity}'::numeric[]::halfvec$$);
SELECT err($$SELECT '{0,NaN}'::float8[]::sparsevec$$);
SELECT err($$SELECT '{0,Infinity}'::real[]::sparsevec$$);
SELECT err($$SELECT '{-Infinity}'::numeric[]::sparsevec$$);
SELECT err($$SELECT '{1e39}'::numeric[]::vector$$);
SELECT err($$SELECT '{1e300}'::float8[]::sparsevec$$);
SELECT err($$SELECT '{70000}'::int[]::halfvec$$);
SELECT err($$SELECT '{1,2147483647}'::int[]::halfvec$$);
SELECT err($$SELECT '{2147483647,0}'::int[]::vector(2)$$);

-- arrays to sparsevec: dense array in, zeros dropped, type modifier checked
SELECT ARRAY[0,1,0,-2]::sparsevec, ARRAY[0,0]::int[]::sparsevec;
SELECT ARRAY[0.5,0,-0]::real[]::sparsevec, ARRAY[0,1e-50,3]::float8[]::sparsevec, ARRAY[1.25,0]::numeric[]::sparsevec;
SELECT ARRAY[1,0,3]::sparsevec(3), ARRAY[1,0,3]::sparsevec::vector;
SELECT err($$SELECT ARRAY[1,0,3]::sparsevec(4)$$);
SELECT err($$SELECT array_fill(1, ARRAY[16001])::sparsevec$$);
SELECT array_fill(0, ARRAY[100000])::real[]::sparsevec = '{}/100000'::sparsevec AS sparse_zeros;
CREATE TABLE t_sparse_cast (s sparsevec(3));
INSERT INTO t_sparse_cast VALUES (ARRAY[0,2,0]), (ARRAY[1.5,0,0]::real[]), (ARRAY[0,0,-1]::numeric[]);
SELECT * FROM t_sparse_cast;
SELECT err($$INSERT INTO t_sparse_cast VALUES (ARRAY[1,2])$$);
DROP TABLE t_sparse_cast;
-- sparsevec to a dense type: the dense type's dimension limit is checked before the type modifier
SELECT err($$SELECT '{1:1}/20000'::sparsevec::vector(3)$$);
SELECT err($$SELECT '{1:1}/16001'::sparsevec::halfvec(16000)$$);
-- arrays that keep a NULL bitmap after their NULLs were replaced (their data starts elsewhere)
CREATE TABLE t_bitmap (i int[], r real[], d float8[]);
INSERT INTO t_bitmap VALUES (ARRAY[1,NULL,3], ARRAY[1.5,NULL,-2], ARRAY[NULL,0,4.25]);
UPDATE t_bitmap SET i[2] = 2, r[2] = 0.5, d[1] = 7;
SELECT i::vector, r::halfvec, d::sparsevec, i::sparsevec(3), d::vector(3) FROM t_bitmap;
DROP TABLE t_bitmap;
-- numeric[] casts look nothing up through search_path (pg_dump's restores run with it empty),
-- and keep their checks: range, NULLs, NaN, 2-D, the type modifier
SET search_path = '';
SELECT ARRAY[1.25, 2]::numeric[]::public.vector, ARRAY[1.25, 2]::numeric[]::public.halfvec(2),
       ARRAY[0, 2.5, 0]::numeric[]::public.sparsevec;
RESET search_path;
SELECT err($$SELECT ARRAY[1e39, 1]::numeric[]::vector$$);
SELECT err($$SELECT ARRAY[1, NULL]::numeric[]::halfvec$$);
SELECT err($$SELECT ARRAY['NaN', 1]::numeric[]::sparsevec$$);
SELECT err($$SELECT '{{1,2},{3,4}}'::numeric[]::vector$$);
SELECT err($$SELECT ARRAY[1, 2, 3]::numeric[]::vector(2)$$);
SELECT err($$SELECT '{}'::numeric[]::vector$$);
