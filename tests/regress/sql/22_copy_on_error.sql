-- COPY ... ON_ERROR ignore (PostgreSQL 17+) skips rows whose vectors do not parse, through
-- the types' soft input errors. Older servers stop here (expected output 22_copy_on_error_1.out).
SELECT current_setting('server_version_num')::int >= 170000 AS has_copy_on_error \gset
\if :has_copy_on_error
\else
\echo 'COPY ... ON_ERROR needs PostgreSQL 17 or later'
\quit
\endif
CREATE TABLE soft_copy (id int, v vector(2), h halfvec(2), s sparsevec(3));
COPY soft_copy FROM stdin WITH (ON_ERROR ignore);
1	[1,2]	[1,2]	{1:1}/3
2	[1,2,3]	[1,2]	{1:1}/3
3	[1,2]	[1,x]	{1:1}/3
4	[1,2]	[1,2]	{4:1}/3
5	[3,4]	[5,6]	{2:7}/3
6	[NaN,1]	[1,2]	{1:1}/3
7	[5,6]	[7,8]	{3:-1}/3
\.
SELECT * FROM soft_copy ORDER BY id;
-- without ON_ERROR the first bad row fails the whole COPY
TRUNCATE soft_copy;
COPY soft_copy FROM stdin;
1	[1,2]	[1,2]	{1:1}/3
2	[1,2,3]	[1,2]	{1:1}/3
\.
SELECT count(*) FROM soft_copy;
DROP TABLE soft_copy;
