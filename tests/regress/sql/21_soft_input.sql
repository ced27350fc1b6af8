-- Soft input errors: pg_input_is_valid / pg_input_error_info (PostgreSQL 16+) see a bad
-- vector as invalid input, not as an ERROR. PostgreSQL 15 has no soft errors; there the test
-- stops here (expected output 21_soft_input_1.out).
SELECT current_setting('server_version_num')::int >= 160000 AS has_soft_errors \gset
\if :has_soft_errors
\else
\echo 'soft input errors need PostgreSQL 16 or later'
\quit
\endif
CREATE TEMP TABLE soft_inputs (n serial, t text, typ text);
INSERT INTO soft_inputs (t, typ) VALUES
  ('[1,2,3]', 'vector'), ('[1,2,3]', 'vector(3)'), ('[1,2]', 'vector(3)'), ('[1,a]', 'vector'),
  ('[]', 'vector'), ('[NaN]', 'vector'), ('[1e39]', 'vector'), ('', 'vector'), ('[1,2] x', 'vector'),
  ('[1,2]', 'halfvec'), ('[1,2]', 'halfvec(3)'), ('[70000]', 'halfvec'), ('[1,', 'halfvec'),
  ('{1:1}/2', 'sparsevec'), ('{1:1}/2', 'sparsevec(3)'), ('{3:1}/2', 'sparsevec'),
  ('{0:1}/2', 'sparsevec'), ('{1:1,1:2}/2', 'sparsevec'), ('{1:1}', 'sparsevec'),
  ('101', 'bit(3)'), ('101', 'bit(4)'), ('12', 'bit(2)'), ('101', 'varbit');
SELECT n, t, typ, pg_input_is_valid(t, typ) AS valid FROM soft_inputs ORDER BY n;
SELECT n, e.sql_error_code, e.message, e.detail
  FROM soft_inputs, LATERAL pg_input_error_info(t, typ) AS e
 WHERE e.sql_error_code IS NOT NULL ORDER BY n;
-- more dimensions than the type allows
SELECT pg_input_is_valid('[' || repeat('1,', 16000) || '1]', 'vector') AS vector_16001,
       pg_input_is_valid('[' || repeat('1,', 15999) || '1]', 'vector') AS vector_16000,
       (pg_input_error_info('[' || repeat('1,', 16000) || '1]', 'vector')).message;
-- one call site alternating valid and invalid texts: an error is never remembered as a value
SELECT i, t, pg_input_is_valid(t, 'vector(2)') AS valid
  FROM unnest(ARRAY['[1,2]', '[1,2]', '[1,x]', '[1,x]', '[1,2]', '[1,2,3]', '[1,2]']) WITH ORDINALITY AS u(t, i)
 ORDER BY i;
-- a bad type modifier is still a hard error, as for built-in types
SELECT pg_input_is_valid('[1]', 'vector(0)');
SELECT pg_input_is_valid('[1]', 'vector(a)');
-- the ordinary cast still raises
SELECT '[1,a]'::vector;
