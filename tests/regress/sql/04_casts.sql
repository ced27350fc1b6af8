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
