-- Attribute columns of multi-column vector indexes, the same for every method that takes
-- them: USING hnsw (embedding vector_l2_ops, tenant_id, labels), or USING ivfflat (...). A scan
-- tests the query's WHERE clauses on them inside the index. Strategies: 1 <, 2 <=, 3 =, 4 >=,
-- 5 >, 6 && (overlap), 7 @> (contains), 8 <@ (contained by); src/am/common/attrs.rs reads them.
DO $attrs$
DECLARE am text;
BEGIN
    FOREACH am IN ARRAY ARRAY['hnsw', 'ivfflat'] LOOP
        EXECUTE format($sql$
CREATE OPERATOR FAMILY integer_ops USING %1$s
$sql$, am);
        EXECUTE format($sql$
CREATE OPERATOR CLASS int2_ops DEFAULT FOR TYPE int2 USING %1$s FAMILY integer_ops AS
    OPERATOR 1 < (int2, int2),
    OPERATOR 2 <= (int2, int2),
    OPERATOR 3 = (int2, int2),
    OPERATOR 4 >= (int2, int2),
    OPERATOR 5 > (int2, int2)
$sql$, am);
        EXECUTE format($sql$
CREATE OPERATOR CLASS int4_ops DEFAULT FOR TYPE int4 USING %1$s FAMILY integer_ops AS
    OPERATOR 1 < (int4, int4),
    OPERATOR 2 <= (int4, int4),
    OPERATOR 3 = (int4, int4),
    OPERATOR 4 >= (int4, int4),
    OPERATOR 5 > (int4, int4)
$sql$, am);
        EXECUTE format($sql$
CREATE OPERATOR CLASS int8_ops DEFAULT FOR TYPE int8 USING %1$s FAMILY integer_ops AS
    OPERATOR 1 < (int8, int8),
    OPERATOR 2 <= (int8, int8),
    OPERATOR 3 = (int8, int8),
    OPERATOR 4 >= (int8, int8),
    OPERATOR 5 > (int8, int8)
$sql$, am);
        EXECUTE format($sql$
ALTER OPERATOR FAMILY integer_ops USING %1$s ADD
    OPERATOR 1 < (int2, int4),
    OPERATOR 2 <= (int2, int4),
    OPERATOR 3 = (int2, int4),
    OPERATOR 4 >= (int2, int4),
    OPERATOR 5 > (int2, int4),
    OPERATOR 1 < (int2, int8),
    OPERATOR 2 <= (int2, int8),
    OPERATOR 3 = (int2, int8),
    OPERATOR 4 >= (int2, int8),
    OPERATOR 5 > (int2, int8),
    OPERATOR 1 < (int4, int2),
    OPERATOR 2 <= (int4, int2),
    OPERATOR 3 = (int4, int2),
    OPERATOR 4 >= (int4, int2),
    OPERATOR 5 > (int4, int2),
    OPERATOR 1 < (int4, int8),
    OPERATOR 2 <= (int4, int8),
    OPERATOR 3 = (int4, int8),
    OPERATOR 4 >= (int4, int8),
    OPERATOR 5 > (int4, int8),
    OPERATOR 1 < (int8, int2),
    OPERATOR 2 <= (int8, int2),
    OPERATOR 3 = (int8, int2),
    OPERATOR 4 >= (int8, int2),
    OPERATOR 5 > (int8, int2),
    OPERATOR 1 < (int8, int4),
    OPERATOR 2 <= (int8, int4),
    OPERATOR 3 = (int8, int4),
    OPERATOR 4 >= (int8, int4),
    OPERATOR 5 > (int8, int4)
$sql$, am);
        EXECUTE format($sql$
CREATE OPERATOR CLASS date_ops DEFAULT FOR TYPE date USING %1$s AS
    OPERATOR 1 < (date, date),
    OPERATOR 2 <= (date, date),
    OPERATOR 3 = (date, date),
    OPERATOR 4 >= (date, date),
    OPERATOR 5 > (date, date)
$sql$, am);
        EXECUTE format($sql$
CREATE OPERATOR CLASS timestamp_ops DEFAULT FOR TYPE timestamp USING %1$s AS
    OPERATOR 1 < (timestamp, timestamp),
    OPERATOR 2 <= (timestamp, timestamp),
    OPERATOR 3 = (timestamp, timestamp),
    OPERATOR 4 >= (timestamp, timestamp),
    OPERATOR 5 > (timestamp, timestamp)
$sql$, am);
        EXECUTE format($sql$
CREATE OPERATOR CLASS timestamptz_ops DEFAULT FOR TYPE timestamptz USING %1$s AS
    OPERATOR 1 < (timestamptz, timestamptz),
    OPERATOR 2 <= (timestamptz, timestamptz),
    OPERATOR 3 = (timestamptz, timestamptz),
    OPERATOR 4 >= (timestamptz, timestamptz),
    OPERATOR 5 > (timestamptz, timestamptz)
$sql$, am);
        EXECUTE format($sql$
CREATE OPERATOR CLASS bool_ops DEFAULT FOR TYPE bool USING %1$s AS
    OPERATOR 3 = (bool, bool)
$sql$, am);
        EXECUTE format($sql$
CREATE OPERATOR CLASS text_ops DEFAULT FOR TYPE text USING %1$s AS
    OPERATOR 3 = (text, text)
$sql$, am);
        EXECUTE format($sql$
CREATE OPERATOR CLASS array_ops DEFAULT FOR TYPE anyarray USING %1$s AS
    OPERATOR 6 && (anyarray, anyarray),
    OPERATOR 7 @> (anyarray, anyarray),
    OPERATOR 8 <@ (anyarray, anyarray)
$sql$, am);
    END LOOP;
END
$attrs$;
