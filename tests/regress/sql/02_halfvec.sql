-- halfvec: text I/O (values rounded to float16), typmod, binary round trip, errors.
SELECT '[1,2,3]'::halfvec;
SELECT '[1.1,-0.333,65504,6e-8]'::halfvec;
SELECT '[1,2,3]'::halfvec(3);
SELECT vector_dims('[1,2]'::halfvec);
SELECT halfvec_send('[1,2]');
CREATE TABLE h_bin AS SELECT i AS id, ('[' || i || ',0.5,-2]')::halfvec(3) AS v FROM generate_series(1, 3) i;
COPY h_bin TO '/tmp/quiver_regress_halfvec.bin' (FORMAT binary);
CREATE TABLE h_bin2 (id int, v halfvec(3));
COPY h_bin2 FROM '/tmp/quiver_regress_halfvec.bin' (FORMAT binary);
SELECT a.id, a.v, a.v = b.v AS same FROM h_bin a JOIN h_bin2 b USING (id) ORDER BY id;

SELECT err($$SELECT '[70000]'::halfvec$$);
SELECT err($$SELECT '[NaN]'::halfvec$$);
SELECT err($$SELECT '[1,'::halfvec$$);
SELECT err($$SELECT '[]'::halfvec$$);
SELECT err($$SELECT '[1,2]'::halfvec(3)$$);
SELECT err($$SELECT '[1]'::halfvec(16001)$$);
SELECT err($$SELECT array_fill(1, ARRAY[16001])::real[]::halfvec$$);
SELECT err($$SELECT '[1]'::halfvec('a')$$);
SELECT err($$SELECT '[1]'::halfvec(2.5)$$);
SELECT err($$SELECT '[1]'::halfvec(4294967297)$$);
SELECT err($$SELECT halfvec_typmod_in('{1,2}'::cstring[])$$);
