-- Background jobs (src/jobs): index builds off the client connection and index maintenance,
-- each run by a background worker as the role that submitted it.
--
-- quiver.job_log holds one row per job. A job's worker holds a session advisory lock on
-- (quiver.job_lock_space(), id) while it runs, so a job whose row says queued or running but
-- whose lock nobody holds lost its worker (a crash, a server restart): quiver.jobs shows it
-- as failed, and quiver.reconcile_jobs() records that and drops the indexes it left behind.
CREATE TABLE quiver.job_log (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('build', 'maintain', 'import')),
    target       text NOT NULL,
    relid        oid NOT NULL,
    command      text NOT NULL,
    roleid       oid NOT NULL DEFAULT pg_catalog.to_regrole(current_user)::oid,
    search_path  text NOT NULL DEFAULT pg_catalog.current_setting('search_path'),
    settings     jsonb NOT NULL DEFAULT '{}',
    state        text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    pid          integer,
    created      text[] NOT NULL DEFAULT '{}',
    detail       jsonb,
    submitted_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    started_at   timestamptz,
    finished_at  timestamptz,
    error        text,
    sqlstate     text
);
COMMENT ON TABLE quiver.job_log IS 'quiver background jobs (read quiver.jobs): what each ran, as whom, and how it ended';
COMMENT ON COLUMN quiver.job_log.created IS 'indexes the job creates (qualified names), recorded before each is created, so a failed job''s are dropped';

-- Everyone may read the log; a role writes only rows of jobs it runs as (the worker runs as
-- the submitting role and records its progress itself). The role of a row never changes.
GRANT SELECT, INSERT, UPDATE ON quiver.job_log TO PUBLIC;
GRANT USAGE ON SEQUENCE quiver.job_log_id_seq TO PUBLIC;
ALTER TABLE quiver.job_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY job_log_read ON quiver.job_log FOR SELECT USING (true);
CREATE POLICY job_log_insert ON quiver.job_log FOR INSERT
    WITH CHECK (roleid = pg_catalog.to_regrole(current_user)::oid AND state = 'queued');
CREATE POLICY job_log_update ON quiver.job_log FOR UPDATE USING (pg_catalog.pg_has_role(roleid, 'MEMBER'));
CREATE FUNCTION quiver.job_log_keep_role() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    NEW.roleid := OLD.roleid;
    NEW.kind := OLD.kind;
    NEW.relid := OLD.relid;
    RETURN NEW;
END $$;
CREATE TRIGGER job_log_keep_role BEFORE UPDATE ON quiver.job_log
    FOR EACH ROW EXECUTE FUNCTION quiver.job_log_keep_role();

CREATE FUNCTION quiver.job_lock_space() RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT 1364609602';  -- ''QVJB''
COMMENT ON FUNCTION quiver.job_lock_space() IS 'first key of the advisory lock a job''s worker holds (the second is the job id)';

-- The process running job `id`: the one holding the job's advisory lock in this database
-- (NULL: none, the job's worker is gone or never started).
CREATE FUNCTION quiver.job_holder(id bigint) RETURNS integer LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp AS $$
    SELECT l.pid FROM pg_catalog.pg_locks AS l
     WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory'
       AND l.database OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database AS d WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
       AND l.classid OPERATOR(pg_catalog.=) quiver.job_lock_space()::pg_catalog.oid
       AND l.objid OPERATOR(pg_catalog.=) $1::pg_catalog.oid
       AND l.objsubid OPERATOR(pg_catalog.=) 2 AND l.granted
     LIMIT 1
$$;

-- Whether job `id`'s worker is alive.
CREATE FUNCTION quiver.job_alive(id bigint) RETURNS boolean LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp AS $$
    SELECT quiver.job_holder($1) IS NOT NULL
$$;

-- Every job with its live state and, while it runs, its progress (from
-- pg_stat_progress_create_index for builds, pg_stat_progress_vacuum for maintenance,
-- pg_stat_progress_copy for imports).
CREATE VIEW quiver.jobs AS
SELECT j.id,
       j.kind,
       pg_catalog.current_database() AS database,
       j.target,
       CASE WHEN j.state IN ('queued', 'running') AND NOT quiver.job_alive(j.id) THEN 'failed' ELSE j.state END AS state,
       CASE WHEN j.state OPERATOR(pg_catalog.=) 'running' THEN COALESCE(b.phase, v.phase, CASE WHEN c.pid IS NOT NULL THEN 'loading rows' END) END AS phase,
       CASE WHEN j.state OPERATOR(pg_catalog.=) 'running' THEN COALESCE(b.tuples_done, v.heap_blks_scanned, c.tuples_processed) END AS tuples_done,
       CASE WHEN j.state OPERATOR(pg_catalog.=) 'running' THEN COALESCE(b.tuples_total, v.heap_blks_total) END AS tuples_total,
       j.submitted_at AS submitted,
       j.started_at AS started,
       j.finished_at AS finished,
       CASE WHEN j.state IN ('queued', 'running') AND NOT quiver.job_alive(j.id)
            THEN 'the job''s worker exited before the job finished (server restart or crash)' ELSE j.error END AS error,
       j.sqlstate,
       pg_catalog.pg_get_userbyid(j.roleid) AS role,
       j.command,
       j.detail,
       j.pid
  FROM quiver.job_log AS j
  LEFT JOIN pg_catalog.pg_stat_progress_create_index AS b ON b.pid OPERATOR(pg_catalog.=) j.pid AND j.state OPERATOR(pg_catalog.=) 'running'
  LEFT JOIN pg_catalog.pg_stat_progress_vacuum AS v ON v.pid OPERATOR(pg_catalog.=) j.pid AND j.state OPERATOR(pg_catalog.=) 'running'
  LEFT JOIN pg_catalog.pg_stat_progress_copy AS c ON c.pid OPERATOR(pg_catalog.=) j.pid AND j.state OPERATOR(pg_catalog.=) 'running';
GRANT SELECT ON quiver.jobs TO PUBLIC;
COMMENT ON VIEW quiver.jobs IS 'quiver background jobs: kind, target, state, phase, progress (tuples, or heap blocks for maintenance, rows loaded for imports), times, error';

-- Records the end of jobs whose worker is gone (of the roles the caller has the privileges
-- of) and drops what they left behind: indexes they created, unless the target index is
-- there and valid (then the job did finish and is recorded as succeeded). Returns how many.
CREATE FUNCTION quiver.reconcile_jobs() RETURNS integer LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    j record;
    n integer := 0;
    done boolean;
    ix text;
BEGIN
    FOR j IN SELECT * FROM quiver.job_log AS l
              WHERE l.state IN ('queued', 'running') AND l.pid IS NOT NULL
                AND pg_catalog.pg_has_role(l.roleid, 'MEMBER') AND NOT quiver.job_alive(l.id)
              ORDER BY l.id FOR UPDATE SKIP LOCKED
    LOOP
        -- the lock test again, now the row is ours (a worker finishing meanwhile wrote it)
        CONTINUE WHEN quiver.job_alive(j.id) OR NOT EXISTS (SELECT FROM quiver.job_log AS l WHERE l.id = j.id AND l.state IN ('queued', 'running'));
        done := j.kind = 'build' AND EXISTS (
            SELECT FROM pg_catalog.pg_index AS x WHERE x.indexrelid = pg_catalog.to_regclass(j.target) AND x.indisvalid);
        IF NOT done THEN
            -- in creation order: a partitioned index takes its attached partitions' with it;
            -- only what the job's role could drop itself
            FOREACH ix IN ARRAY j.created LOOP
                IF EXISTS (SELECT FROM pg_catalog.pg_index AS x JOIN pg_catalog.pg_class AS t ON t.oid = x.indrelid
                            WHERE x.indexrelid = pg_catalog.to_regclass(ix) AND pg_catalog.pg_has_role(j.roleid, t.relowner, 'USAGE')) THEN
                    EXECUTE pg_catalog.format('DROP INDEX IF EXISTS %s', ix);
                END IF;
            END LOOP;
        END IF;
        UPDATE quiver.job_log AS l
           SET state = CASE WHEN done THEN 'succeeded' ELSE 'failed' END,
               finished_at = pg_catalog.now(),
               error = CASE WHEN done THEN NULL ELSE 'the job''s worker exited before the job finished (server restart or crash)' END,
               sqlstate = CASE WHEN done THEN NULL ELSE '57P01' END
         WHERE l.id = j.id;
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;
COMMENT ON FUNCTION quiver.reconcile_jobs() IS 'record jobs whose worker exited without finishing as failed and drop the indexes they left (the caller''s jobs; the maintenance worker does it for all)';

-- Not pinned to a search_path: the statement's names resolve as the caller's session
-- resolves them (the job runs with the caller's search_path too); quiver's own statements
-- run with search_path pinned inside.
CREATE FUNCTION quiver.build_index(definition text) RETURNS bigint
    AS 'MODULE_PATHNAME', 'build_index_wrapper' LANGUAGE C STRICT;
COMMENT ON FUNCTION quiver.build_index(text) IS
    'submit a CREATE INDEX statement to run in a background worker as CREATE INDEX CONCURRENTLY (partitioned tables: one index per partition, attached); returns the job id; the build starts when the submitting transaction commits';

-- One look at a job: its state (queued, running, succeeded, cancelled), or the job's error if
-- it failed. for_wait: called by quiver.wait, which must run outside a transaction block.
CREATE FUNCTION quiver.job_state(job bigint, for_wait boolean DEFAULT false) RETURNS text
    AS 'MODULE_PATHNAME', 'job_state_wrapper' LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp;

-- A procedure, so it can commit while it waits: CREATE INDEX CONCURRENTLY ends by waiting
-- for every transaction that holds an older snapshot, and a function waiting inside a
-- SELECT would hold one until the build it waits for ends. No SET clause (a procedure with
-- one cannot commit), so every operator below is named through pg_catalog.
CREATE PROCEDURE quiver.wait(job bigint, timeout interval DEFAULT NULL, INOUT state text DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    deadline timestamptz;
BEGIN
    IF job IS NULL THEN
        RAISE EXCEPTION 'quiver: job must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF timeout IS NOT NULL THEN
        deadline := pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) timeout;
    END IF;
    LOOP
        state := quiver.job_state(job, true);
        EXIT WHEN state OPERATOR(pg_catalog.=) 'succeeded' OR state OPERATOR(pg_catalog.=) 'cancelled';
        EXIT WHEN deadline IS NOT NULL AND pg_catalog.clock_timestamp() OPERATOR(pg_catalog.>=) deadline;
        COMMIT;
        PERFORM pg_catalog.pg_sleep(0.05);
    END LOOP;
END $$;
COMMENT ON PROCEDURE quiver.wait(bigint, interval, text) IS
    'CALL quiver.wait(job [, timeout]): wait (outside a transaction block) until the job ends; state is succeeded or cancelled, or the state when timeout passed; raises the job''s error if it failed';

CREATE FUNCTION quiver.cancel(job bigint) RETURNS boolean
    AS 'MODULE_PATHNAME', 'job_cancel_wrapper' LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION quiver.cancel(bigint) IS
    'cancel a queued or running job (what it created is dropped); false when it had already ended';

CREATE FUNCTION quiver.maintain(index regclass) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'maintain_wrapper' LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION quiver.maintain(regclass) IS
    'run the background maintenance of a vector index now and wait for it (VACUUM of its table, in a worker); returns the job''s report';

CREATE FUNCTION quiver.metrics() RETURNS text
    AS 'MODULE_PATHNAME', 'metrics_wrapper' LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION quiver.metrics() IS
    'Prometheus text-format metrics of this database''s vector indexes and jobs (needs quiver in shared_preload_libraries)';

-- Per vector index (hnsw, ivfflat; leaf indexes): size, rows, the dead rows its table holds
-- (each one an index entry VACUUM has yet to remove; the maintenance worker's trigger), when
-- it was last maintained (any VACUUM of the table: the maintenance worker's, autovacuum's or
-- a manual one) and its build parameters. Methods without segments show NULL for them.
CREATE VIEW quiver.stat_indexes AS
SELECT n.nspname AS schema_name,
       i.relname AS index_name,
       t.relname AS table_name,
       a.amname AS method,
       x.indisvalid AS valid,
       CASE WHEN i.reltuples OPERATOR(pg_catalog.>=) 0 THEN i.reltuples::pg_catalog.int8 END AS rows,
       s.n_live_tup AS live_rows,
       s.n_dead_tup AS dead_rows,
       CASE WHEN (s.n_live_tup OPERATOR(pg_catalog.+) s.n_dead_tup) OPERATOR(pg_catalog.>) 0
            THEN pg_catalog.round(s.n_dead_tup::pg_catalog.numeric OPERATOR(pg_catalog./) (s.n_live_tup OPERATOR(pg_catalog.+) s.n_dead_tup), 4)
            ELSE 0 END AS dead_fraction,
       NULL::pg_catalog.int8 AS growing_entries,
       NULL::pg_catalog.int8 AS sealed_entries,
       pg_catalog.pg_relation_size(i.oid) AS size_bytes,
       si.idx_scan AS searches,
       GREATEST(s.last_vacuum, s.last_autovacuum) AS last_maintained,
       (SELECT pg_catalog.jsonb_object_agg(pg_catalog.split_part(o, '=', 1), pg_catalog.substr(o, pg_catalog.strpos(o, '=') OPERATOR(pg_catalog.+) 1))
          FROM pg_catalog.unnest(i.reloptions) AS o) AS build_parameters,
       i.oid::pg_catalog.regclass AS indexrelid
  FROM pg_catalog.pg_index AS x
  JOIN pg_catalog.pg_class AS i ON i.oid OPERATOR(pg_catalog.=) x.indexrelid
  JOIN pg_catalog.pg_class AS t ON t.oid OPERATOR(pg_catalog.=) x.indrelid
  JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) i.relnamespace
  JOIN pg_catalog.pg_am AS a ON a.oid OPERATOR(pg_catalog.=) i.relam
  LEFT JOIN pg_catalog.pg_stat_all_tables AS s ON s.relid OPERATOR(pg_catalog.=) t.oid
  LEFT JOIN pg_catalog.pg_stat_all_indexes AS si ON si.indexrelid OPERATOR(pg_catalog.=) i.oid
 WHERE a.amname IN ('hnsw', 'ivfflat') AND i.relkind OPERATOR(pg_catalog.=) 'i';
GRANT SELECT ON quiver.stat_indexes TO PUBLIC;
COMMENT ON VIEW quiver.stat_indexes IS 'vector indexes: method, rows, dead rows of the table (entries VACUUM has yet to remove), size, searches, last maintained, build parameters';
