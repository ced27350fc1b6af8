-- Background jobs without shared_preload_libraries (this cluster does not preload quiver):
-- builds and maintenance run in dynamic background workers; quiver.metrics() needs preloading.
-- The preloaded paths (launcher, maintenance worker, metrics, crash) are in
-- tests/python/test_jobs_cluster.py.
SET client_min_messages = warning;
CREATE OR REPLACE FUNCTION err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE q; RETURN 'ok';
EXCEPTION WHEN others THEN RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE TABLE jt (id int PRIMARY KEY, v vector(4), tag int);
INSERT INTO jt SELECT i, ARRAY[i % 7, i % 11, i % 13, i % 17]::real[]::vector, i % 5 FROM generate_series(1, 3000) i;

-- a build: the job is queued until the submitting transaction commits, then runs as
-- CREATE INDEX CONCURRENTLY in a worker; the index gets the name CREATE INDEX would give it
SELECT quiver.build_index('CREATE INDEX ON jt USING hnsw (v vector_l2_ops) WITH (m = 8)') AS job \gset
CALL quiver.wait(:job);
SELECT kind, target, state, phase, error, role, started IS NOT NULL AS started, finished >= started AS finished
  FROM quiver.jobs WHERE id = :job;
SELECT indexrelid::regclass, indisvalid FROM pg_index WHERE indrelid = 'jt'::regclass ORDER BY 1::text;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM jt ORDER BY v <-> '[1,2,3,4]' LIMIT 3;
SELECT id FROM jt ORDER BY v <-> '[1,2,3,4]', id LIMIT 3;
RESET enable_seqscan;
-- names: a second build of the same columns gets the next free name; the statement's
-- search_path is the caller's
CREATE SCHEMA js;
CREATE TABLE js.t2 (v vector(2));
INSERT INTO js.t2 VALUES ('[1,2]'), ('[3,4]');
SET search_path = js, public;
SELECT quiver.build_index('CREATE INDEX ON t2 USING ivfflat (v vector_l2_ops) WITH (lists = 1)') AS job2 \gset
RESET search_path;
CALL quiver.wait(:job2);
SELECT quiver.build_index('CREATE INDEX ON js.t2 USING ivfflat (v vector_l2_ops) WITH (lists = 1)') AS job3 \gset
CALL quiver.wait(:job3);
SELECT target, state FROM quiver.jobs WHERE id IN (:job2, :job3) ORDER BY id;

-- a build that fails in its worker: the job says why (with the SQLSTATE), wait raises it,
-- and the half-made index is gone
CREATE TABLE jbad (id int, s text);
INSERT INTO jbad VALUES (1, 'x');
SELECT quiver.build_index('CREATE INDEX jbad_idx ON jbad USING hnsw (s)') AS bad \gset
\set SHOW_CONTEXT never
CALL quiver.wait(:bad);
\set SHOW_CONTEXT errors
SELECT j.state, j.sqlstate, j.error, l.created FROM quiver.jobs AS j JOIN quiver.job_log AS l USING (id) WHERE id = :bad;
SELECT count(*) FROM pg_class WHERE relname = 'jbad_idx';

-- partitioned tables: the index on the parent, one per partition built concurrently, attached
CREATE TABLE jp (id int, v vector(2)) PARTITION BY LIST (id);
CREATE TABLE jp_a PARTITION OF jp FOR VALUES IN (1, 2);
CREATE TABLE jp_b PARTITION OF jp FOR VALUES IN (3);
INSERT INTO jp VALUES (1, '[1,1]'), (2, '[2,2]'), (3, '[3,3]');
SELECT quiver.build_index('CREATE INDEX jp_v ON jp USING hnsw (v vector_l2_ops)') AS jpjob \gset
CALL quiver.wait(:jpjob);
SELECT c.relname, x.indisvalid, (SELECT p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = c.oid) AS parent
  FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
 WHERE x.indrelid IN ('jp'::regclass, 'jp_a'::regclass, 'jp_b'::regclass) ORDER BY 1;

-- errors at submission, each with its SQLSTATE
SELECT err($$SELECT quiver.build_index('SELECT 1')$$);
SELECT err($$SELECT quiver.build_index('CREATE INDEX a ON jt USING hnsw (v); CREATE INDEX b ON jt USING hnsw (v)')$$);
SELECT err($$SELECT quiver.build_index('CREATE INDEX ON no_such_table USING hnsw (v)')$$);
SELECT err($$SELECT quiver.build_index('CREATE INDEX jt_v_idx ON jt USING hnsw (v)')$$);
SELECT err($$SELECT quiver.build_index('CREATE INDEX ON jt USING hnsw (v')$$);
SELECT err($$SELECT quiver.build_index('CREATE INDEX ON jt_v_idx USING hnsw (v)')$$);
SELECT err($$CALL quiver.wait(NULL)$$);
-- inside a transaction block (or a function) a wait could never commit, whatever the job's
-- state; a plain look at the state works anywhere
SELECT quiver.build_index('CREATE INDEX jt_tag ON jt (tag)') AS tagjob \gset
BEGIN;
SELECT err(format('CALL quiver.wait(%s)', :tagjob));
COMMIT;
CALL quiver.wait(:tagjob);
BEGIN;
SELECT quiver.job_state(:tagjob);
SELECT err(format('CALL quiver.wait(%s)', :tagjob));
COMMIT;
SELECT err($$SELECT quiver.job_state(999999)$$);
\set SHOW_CONTEXT never
CALL quiver.wait(999999);
\set SHOW_CONTEXT errors
SELECT err($$SELECT quiver.cancel(999999)$$);
-- waiting in the transaction that submitted the job could never end
BEGIN;
SELECT quiver.build_index('CREATE INDEX jt_tag_id ON jt (tag, id)') AS intx \gset
SELECT err(format('SELECT quiver.job_state(%s)', :intx));
ROLLBACK;
-- a rolled-back submission never runs
SELECT count(*) FROM quiver.job_log WHERE id = :intx;
SELECT count(*) FROM pg_class WHERE relname = 'jt_tag_id';

-- another role: no build on a table it does not own, no cancel of someone else's job
DROP ROLE IF EXISTS quiver_jobs_other;
CREATE ROLE quiver_jobs_other;
GRANT SELECT ON jt TO quiver_jobs_other;
SET ROLE quiver_jobs_other;
SELECT err($$SELECT quiver.build_index('CREATE INDEX ON public.jt USING hnsw (v)')$$);
SELECT err($$SELECT quiver.maintain('public.jt_v_idx')$$);
SELECT err(format('SELECT quiver.cancel(%s)', :job));
SELECT err($$INSERT INTO quiver.job_log (kind, target, relid, command, roleid) VALUES ('build', 'x', 0, 'x', 10)$$);
SELECT err(format($$UPDATE quiver.job_log SET state = 'running' WHERE id = %s$$, :job));
SELECT count(*) AS jobs_visible FROM quiver.jobs;
RESET ROLE;
SELECT state FROM quiver.jobs WHERE id = :job;
-- an ended job cannot be cancelled
SELECT quiver.cancel(:job);

-- maintenance in the foreground: VACUUM of the table in a worker, recorded as a job
DELETE FROM jt WHERE id % 4 = 0;
SELECT m ->> 'index' AS index, m ->> 'command' AS command FROM quiver.maintain('jt_v_idx') AS m;
SELECT kind, target, state FROM quiver.jobs WHERE kind = 'maintain' ORDER BY id;
SELECT err($$SELECT quiver.maintain('jt_pkey')$$);
SELECT err($$SELECT quiver.maintain('jt')$$);
SET enable_seqscan = off;
SELECT count(*) FROM (SELECT id FROM jt ORDER BY v <-> '[1,2,3,4]' LIMIT 5) s;
RESET enable_seqscan;

-- quiver.stat_indexes: the vector indexes, with their method, size and build parameters
SELECT schema_name, index_name, table_name, method, valid, size_bytes > 0 AS has_size, build_parameters, growing_entries
  FROM quiver.stat_indexes ORDER BY schema_name, index_name;

-- collections: create_index(async => true) returns a job; scalar indexes are built at once
SELECT quiver.create_collection('jc', dimension => 2, metric_type => 'L2', auto_id => true) IS NOT NULL AS created;
SELECT quiver.drop_index('jc', 'vector');
SELECT quiver.insert('jc', '[{"vector": [1, 0]}, {"vector": [0, 1]}]') ->> 'insert_count' AS inserted;
SELECT quiver.create_index('jc', 'vector', 'HNSW', params => '{"M": 8}', async => true) AS cjob \gset
CALL quiver.wait(:cjob);
SELECT quiver.describe_index('jc', 'vector') ->> 'state' AS state;
SELECT id FROM quiver.search('jc', '[[1, 0.1]]', "limit" => 1);
SELECT err($$SELECT quiver.create_index('jc', 'id', 'STL_SORT', async => true)$$);

-- hostile input: a table and index named like SQL, a search_path whose = and || shadow
-- pg_catalog's (the job still resolves the statement's own names with it), a read-only
-- transaction
CREATE SCHEMA evil;
CREATE FUNCTION evil.eq(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT false';
CREATE OPERATOR evil.= (FUNCTION = evil.eq, LEFTARG = text, RIGHTARG = text);
CREATE FUNCTION evil.cat(text[], text) RETURNS text[] LANGUAGE sql AS 'SELECT ARRAY[''x'']';
CREATE OPERATOR evil.|| (FUNCTION = evil.cat, LEFTARG = text[], RIGHTARG = text);
CREATE TABLE "odd ""t"", j" ("state" vector(2), "id" int);
INSERT INTO "odd ""t"", j" VALUES ('[1,2]', 1), ('[2,1]', 2);
SET search_path = evil, public, pg_catalog;
SELECT quiver.build_index('CREATE INDEX "j$state ""x""" ON "odd ""t"", j" USING hnsw ("state" vector_l2_ops)') AS oddjob \gset
CALL quiver.wait(:oddjob);
SELECT j.target, j.state, l.created FROM quiver.jobs AS j JOIN quiver.job_log AS l USING (id) WHERE id = :oddjob;
RESET search_path;
SELECT indexrelid::regclass, indisvalid FROM pg_index WHERE indrelid = '"odd ""t"", j"'::regclass;
BEGIN READ ONLY;
SELECT err($$SELECT quiver.build_index('CREATE INDEX ON jt USING hnsw (v vector_cosine_ops)')$$);
ROLLBACK;
DROP SCHEMA evil CASCADE;

-- metrics need quiver in shared_preload_libraries
SELECT err('SELECT quiver.metrics()');
REVOKE ALL ON jt FROM quiver_jobs_other;
DROP ROLE quiver_jobs_other;
