-- vector: text I/O, typmod, binary round trip, errors with SQLSTATEs.
CREATE EXTENSION quiver;
-- err(sql) runs a statement and reports its SQLSTATE and message instead of failing.
CREATE FUNCTION err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE q; RETURN 'ok';
EXCEPTION WHEN others THEN RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

SELECT '[1,2,3]'::vector;
SELECT '[-1.5, 2.25 ,3e2]'::vector;
SELECT ' [ 1 , 2 ] '::vector;
SELECT '[0.1,1e-45,3.4028235e+38,-0,1e6,1234567,0.0001,1e-05,100000]'::vector;
SELECT '[1,2,3]'::vector(3);
SELECT vector_dims('[1,2,3,4]'::vector);
SELECT array_fill(1.5, ARRAY[16000])::real[]::vector(16000) IS NOT NULL AS max_dims_ok;
SELECT vector_send('[1,2]');
-- binary COPY round trip goes through recv/send
CREATE TABLE t_bin AS SELECT i AS id, ('[' || i || ',-2.5,3e-7,' || i * 0.1 || ']')::vector AS v FROM generate_series(1, 5) i;
COPY t_bin TO '/tmp/quiver_regress_vector.bin' (FORMAT binary);
CREATE TABLE t_bin2 (id int, v vector(4));
COPY t_bin2 FROM '/tmp/quiver_regress_vector.bin' (FORMAT binary);
SELECT a.id, a.v, a.v = b.v AS same FROM t_bin a JOIN t_bin2 b USING (id) ORDER BY id;
CREATE TABLE t_bin3 (id int, v vector(3));
SELECT err($$COPY t_bin3 FROM '/tmp/quiver_regress_vector.bin' (FORMAT binary)$$);

CREATE TABLE t_vec (v vector(3));
INSERT INTO t_vec VALUES ('[1,2,3]'), (NULL);
SELECT * FROM t_vec;
SELECT err($$INSERT INTO t_vec VALUES ('[1,2]')$$);
SELECT pg_typeof(v), format_type(atttypid, atttypmod) FROM t_vec, pg_attribute
 WHERE attrelid = 't_vec'::regclass AND attname = 'v' LIMIT 1;

-- malformed input
SELECT err($$SELECT '[1,2'::vector$$);
SELECT err($$SELECT '1,2]'::vector$$);
SELECT err($$SELECT '[1,,2]'::vector$$);
SELECT err($$SELECT '[1,a]'::vector$$);
SELECT err($$SELECT '[1,2] x'::vector$$);
SELECT err($$SELECT ''::vector$$);
SELECT err($$SELECT '[]'::vector$$);
SELECT err($$SELECT '[NaN]'::vector$$);
SELECT err($$SELECT '[Infinity]'::vector$$);
SELECT err($$SELECT '[-inf]'::vector$$);
SELECT err($$SELECT '[1e50]'::vector$$);
SELECT err($$SELECT array_fill(1, ARRAY[16001])::real[]::vector$$);
SELECT err($$SELECT '[1,2]'::vector(3)$$);
SELECT err($$SELECT '[1]'::vector(0)$$);
SELECT err($$SELECT '[1]'::vector(16001)$$);
SELECT err($$SELECT '[1]'::vector(2,3)$$);
-- type modifiers are integers, parsed as PostgreSQL parses any integer type modifier
SELECT err($$SELECT '[1]'::vector('a')$$);
SELECT err($$SELECT '[1]'::vector(1.5)$$);
SELECT err($$SELECT '[1]'::vector(99999999999)$$);
SELECT err($$SELECT '[1]'::vector(-1)$$);
SELECT err($$CREATE TABLE t_bad_typmod (v vector(x))$$);
SELECT err($$SELECT vector_typmod_in('{NULL}'::cstring[])$$);
SELECT err($$SELECT vector_typmod_in('{{1},{2}}'::cstring[])$$);
SELECT err($$SELECT vector_typmod_in('{}'::cstring[])$$);
SELECT vector_typmod_in('{ 3 }'::cstring[]), '[1,2,3]'::vector(' 3');
