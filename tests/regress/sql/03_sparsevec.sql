-- sparsevec: text I/O, typmod, binary round trip, errors.
SELECT '{1:1.5,3:2}/5'::sparsevec;
SELECT '{}/3'::sparsevec;
SELECT ' { 2 : 1 , 1 : 3 } / 4 '::sparsevec;
SELECT '{1:0,2:1}/3'::sparsevec;
SELECT '{1:1,3:2}/5'::sparsevec(5);
SELECT sparsevec_send('{1:1.5,3:2}/5');
CREATE TABLE s_bin AS SELECT i AS id, ('{1:' || i || ',4:-2}/6')::sparsevec(6) AS v FROM generate_series(1, 3) i;
COPY s_bin TO '/tmp/quiver_regress_sparsevec.bin' (FORMAT binary);
CREATE TABLE s_bin2 (id int, v sparsevec(6));
COPY s_bin2 FROM '/tmp/quiver_regress_sparsevec.bin' (FORMAT binary);
SELECT a.id, a.v, a.v = b.v AS same FROM s_bin a JOIN s_bin2 b USING (id) ORDER BY id;

SELECT err($$SELECT '{1:1,1:2}/3'::sparsevec$$);
SELECT err($$SELECT '{0:1}/3'::sparsevec$$);
SELECT err($$SELECT '{4:1}/3'::sparsevec$$);
SELECT err($$SELECT '{1:1}/0'::sparsevec$$);
SELECT err($$SELECT '{1:1}/1000000001'::sparsevec$$);
SELECT err($$SELECT '{1:NaN}/3'::sparsevec$$);
SELECT err($$SELECT '{1:1}'::sparsevec$$);
SELECT err($$SELECT '{1:1/3'::sparsevec$$);
SELECT err($$SELECT '{a:1}/3'::sparsevec$$);
SELECT err($$SELECT '{1:1}/3'::sparsevec(4)$$);
SELECT err($$SELECT ('{' || string_agg(i || ':1', ',') || '}/20000')::sparsevec FROM generate_series(1, 16001) i$$);
SELECT err($$SELECT '{1:1}/1'::sparsevec(a)$$);
SELECT err($$SELECT '{1:1}/1'::sparsevec(1e3)$$);
SELECT err($$SELECT '{1:1}/1'::sparsevec(2147483648)$$);
SELECT err($$SELECT '{1:1}/1'::sparsevec(1000000001)$$);
SELECT err($$SELECT sparsevec_typmod_in('{""}'::cstring[])$$);
