#!/usr/bin/env bash
# The `make run` demo: create quiver, load 10,000 generated 8-dimensional vectors, index them
# with hnsw, and run a nearest-neighbour query. $PSQL is the psql command line for the cluster.
set -euo pipefail
$PSQL -d postgres -q -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS demo_items;
DROP EXTENSION IF EXISTS quiver CASCADE;
CREATE EXTENSION quiver;
CREATE TABLE demo_items (id bigint PRIMARY KEY, embedding vector(8));
-- Deterministic pseudo-random vectors (from md5), so no data files are needed.
INSERT INTO demo_items
SELECT i, array(SELECT round((('x' || substr(md5(i || ':' || d), 1, 8))::bit(32)::int / 2147483648.0)::numeric, 3)
                FROM generate_series(1, 8) AS d)::real[]::vector(8)
FROM generate_series(1, 10000) AS i;
CREATE INDEX demo_items_embedding_idx ON demo_items USING hnsw (embedding vector_l2_ops);
ANALYZE demo_items;
SQL
echo "quiver demo: 10,000 vectors in table demo_items with an hnsw index;"
echo "the 5 nearest to [0.5,-0.5,0.5,-0.5,0.5,-0.5,0.5,-0.5] by L2 distance:"
echo
$PSQL -d postgres -v ON_ERROR_STOP=1 <<'SQL'
SELECT id, embedding, round((embedding <-> '[0.5,-0.5,0.5,-0.5,0.5,-0.5,0.5,-0.5]')::numeric, 4) AS l2_distance
FROM demo_items
ORDER BY embedding <-> '[0.5,-0.5,0.5,-0.5,0.5,-0.5,0.5,-0.5]'
LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM demo_items ORDER BY embedding <-> '[0.5,-0.5,0.5,-0.5,0.5,-0.5,0.5,-0.5]' LIMIT 5;
SQL
