-- Exact search: ORDER BY <distance> LIMIT 10 must return exactly the rows that a brute-force
-- computation over plain float8 arrays (no quiver code involved) ranks first.
-- Values are multiples of 1/64 in [-1, 1], exact in float32 and float16.
SELECT setseed(0.42);
CREATE TABLE items AS
SELECT i AS id,
       array(SELECT round((random() * 2 - 1) * 64) / 64 FROM generate_series(1, 16) WHERE i > 0)::float8[] AS arr
FROM generate_series(1, 600) AS i;
ALTER TABLE items ADD COLUMN v vector(16), ADD COLUMN h halfvec(16), ADD COLUMN s sparsevec(16);
-- the sparse column keeps about a third of the coordinates, built from text
UPDATE items SET v = arr::vector, h = arr::halfvec,
  s = ('{' || coalesce((SELECT string_agg(k || ':' || arr[k], ',' ORDER BY k)
                        FROM generate_series(1, 16) k WHERE (id + k) % 3 = 0), '') || '}/16')::sparsevec;
CREATE TABLE queries AS
SELECT q AS qid, array(SELECT round((random() * 2 - 1) * 64) / 64 FROM generate_series(1, 16) WHERE q > 0)::float8[] AS qarr
FROM generate_series(1, 5) AS q;

-- independent reference distances
CREATE FUNCTION ref_l2(a float8[], b float8[]) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT sqrt(sum((x - y) ^ 2)) FROM unnest(a, b) AS t(x, y) $$;
CREATE FUNCTION ref_ip(a float8[], b float8[]) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT sum(x * y) FROM unnest(a, b) AS t(x, y) $$;
CREATE FUNCTION ref_cos(a float8[], b float8[]) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN ref_ip(a, a) * ref_ip(b, b) = 0 THEN 'NaN'::float8
            ELSE 1 - ref_ip(a, b) / sqrt(ref_ip(a, a) * ref_ip(b, b)) END $$;
CREATE FUNCTION ref_l1(a float8[], b float8[]) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT sum(abs(x - y)) FROM unnest(a, b) AS t(x, y) $$;
-- the sparse rows as dense float8 arrays, decoded from their text form
CREATE FUNCTION sparse_arr(s sparsevec) RETURNS float8[] LANGUAGE sql IMMUTABLE AS $$
  SELECT array(SELECT coalesce((SELECT split_part(e, ':', 2)::float8
                                FROM unnest(string_to_array(trim(both '{}' from split_part(s::text, '/', 1)), ',')) e
                                WHERE split_part(e, ':', 1) = k::text), 0)
               FROM generate_series(1, split_part(s::text, '/', 2)::int) k)
$$;

-- For each query, type and operator: quiver's top 10 ids = brute force top 10 ids (ties by id).
CREATE FUNCTION check_topk(col text, op text, ref text, argcol text) RETURNS TABLE (qid int, same boolean)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format($q$
    SELECT q.qid,
      (SELECT array_agg(id) FROM (SELECT id FROM items ORDER BY %1$I %2$s q.qarr::%3$s, id LIMIT 10) a)
      = (SELECT array_agg(id) FROM (SELECT id FROM items ORDER BY %4$s(%5$s, q.qarr), id LIMIT 10) b)
    FROM queries q ORDER BY q.qid $q$,
    col, op, CASE col WHEN 's' THEN 'vector::sparsevec' WHEN 'h' THEN 'halfvec' ELSE 'vector' END, ref, argcol);
END $$;

SELECT 'vector <->' AS k, bool_and(same) FROM check_topk('v', '<->', 'ref_l2', 'arr')
UNION ALL SELECT 'vector <#>', bool_and(same) FROM check_topk('v', '<#>', '-ref_ip', 'arr')
UNION ALL SELECT 'vector <=>', bool_and(same) FROM check_topk('v', '<=>', 'ref_cos', 'arr')
UNION ALL SELECT 'vector <+>', bool_and(same) FROM check_topk('v', '<+>', 'ref_l1', 'arr')
UNION ALL SELECT 'halfvec <->', bool_and(same) FROM check_topk('h', '<->', 'ref_l2', 'arr')
UNION ALL SELECT 'halfvec <#>', bool_and(same) FROM check_topk('h', '<#>', '-ref_ip', 'arr')
UNION ALL SELECT 'halfvec <=>', bool_and(same) FROM check_topk('h', '<=>', 'ref_cos', 'arr')
UNION ALL SELECT 'halfvec <+>', bool_and(same) FROM check_topk('h', '<+>', 'ref_l1', 'arr')
UNION ALL SELECT 'sparsevec <->', bool_and(same) FROM check_topk('s', '<->', 'ref_l2', 'sparse_arr(s)')
UNION ALL SELECT 'sparsevec <#>', bool_and(same) FROM check_topk('s', '<#>', '-ref_ip', 'sparse_arr(s)')
UNION ALL SELECT 'sparsevec <=>', bool_and(same) FROM check_topk('s', '<=>', 'ref_cos', 'sparse_arr(s)')
UNION ALL SELECT 'sparsevec <+>', bool_and(same) FROM check_topk('s', '<+>', 'ref_l1', 'sparse_arr(s)');

-- distances themselves agree with the reference
SELECT bool_and(abs((v <-> q.qarr::vector) - ref_l2(arr, q.qarr)) < 1e-9) AS l2_ok,
       bool_and(abs((v <#> q.qarr::vector) + ref_ip(arr, q.qarr)) < 1e-9) AS ip_ok,
       bool_and(abs((v <+> q.qarr::vector) - ref_l1(arr, q.qarr)) < 1e-9) AS l1_ok,
       bool_and(abs((v <=> q.qarr::vector) - ref_cos(arr, q.qarr)) < 1e-6) AS cos_ok
FROM items, queries q;

-- bit: hamming and jaccard against a reference on the bit strings' text
CREATE TABLE bits AS
SELECT i AS id, (SELECT string_agg(CASE WHEN random() < 0.5 THEN '1' ELSE '0' END, '') FROM generate_series(1, 64) WHERE i > 0)::bit(64) AS b
FROM generate_series(1, 600) AS i;
CREATE FUNCTION popcount(b bit) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT length(replace(b::text, '0', '')) $$;
WITH q AS (SELECT b AS qb FROM bits WHERE id = 1)
SELECT (SELECT array_agg(id) FROM (SELECT id FROM bits, q ORDER BY b <~> qb, id LIMIT 10) a)
     = (SELECT array_agg(id) FROM (SELECT id FROM bits, q ORDER BY popcount(b # qb), id LIMIT 10) r) AS hamming_same,
       (SELECT array_agg(id) FROM (SELECT id FROM bits, q ORDER BY b <%> qb, id LIMIT 10) a)
     = (SELECT array_agg(id) FROM (SELECT id FROM bits, q ORDER BY 1 - popcount(b & qb)::float8 / popcount(b | qb), id LIMIT 10) r) AS jaccard_same
FROM q;
