//! The maintenance worker's visit of one database (started by the launcher every
//! `quiver.maintenance_naptime`, as the bootstrap superuser): records jobs whose worker died
//! (and drops what they left), forgets ended jobs past `quiver.job_retention`, purges expired
//! rows of collections with a TTL, and maintains the vector indexes whose tables passed the
//! dead-row thresholds. Each step's failure is logged and the visit goes on.

use quiver_core::jobs::maintain::{due, Thresholds};
use quiver_core::jobs::spec::Spec;
use serde_json::Value;

use super::gucs;
use super::toplevel::{transaction, LongLived};
use super::worker::{catching, hold_job_lock, record_outcome};
use crate::collections::spi;

fn step(what: &str, f: impl FnOnce()) {
    if let Err((message, _)) = catching(f) {
        pgrx::log!("quiver maintenance: {what}: {message}");
    }
}

pub fn run(_spec: &Spec) {
    let installed = transaction(|| spi::text_one("SELECT pg_catalog.to_regclass('quiver.job_log')::pg_catalog.text", &[]).is_some());
    if !installed {
        return;
    }
    let cx = LongLived::new();
    step("recording ended jobs", || {
        transaction(|| spi::run("SELECT quiver.reconcile_jobs()", &[]));
    });
    step("forgetting old jobs", || {
        transaction(|| {
            spi::run(
                "DELETE FROM quiver.job_log WHERE state IN ('succeeded', 'failed', 'cancelled') \
                    AND finished_at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => $1::pg_catalog.int4))",
                &[&gucs::JOB_RETENTION.get().to_string()],
            )
        });
    });
    step("purging expired rows", || {
        let ttl = transaction(|| {
            spi::text_rows(
                "SELECT c.name FROM quiver.collections AS c \
                  WHERE COALESCE(c.definition #>> '{properties,collection.ttl.seconds}', '0') OPERATOR(pg_catalog.<>) '0' ORDER BY c.name",
                &[],
            )
        });
        for name in ttl {
            step(&format!("purging expired rows of collection \"{name}\""), || {
                transaction(|| spi::run("SELECT quiver.purge_expired($1)", &[&name]));
            });
        }
    });
    // VACUUM paced as autovacuum's is
    transaction(|| spi::run("SELECT pg_catalog.set_config('vacuum_cost_delay', $1, false)", &[&format!("{}ms", gucs::COST_DELAY.get())]));
    let thresholds = Thresholds { dead_fraction: gucs::DEAD_FRACTION.get(), min_dead: gucs::MIN_DEAD.get() as i64 };
    let tables = transaction(|| {
        spi::json_rows(
            "SELECT pg_catalog.jsonb_build_array(min(x.indexrelid::pg_catalog.int8), COALESCE(s.n_live_tup, 0), COALESCE(s.n_dead_tup, 0)) \
               FROM pg_catalog.pg_index AS x JOIN pg_catalog.pg_class AS i ON i.oid OPERATOR(pg_catalog.=) x.indexrelid \
               JOIN pg_catalog.pg_am AS a ON a.oid OPERATOR(pg_catalog.=) i.relam \
               JOIN pg_catalog.pg_stat_all_tables AS s ON s.relid OPERATOR(pg_catalog.=) x.indrelid \
              WHERE a.amname OPERATOR(pg_catalog.=) ANY (ARRAY['hnsw', 'ivfflat']) AND x.indisvalid AND i.relkind OPERATOR(pg_catalog.=) 'i' \
              GROUP BY x.indrelid, s.n_live_tup, s.n_dead_tup ORDER BY x.indrelid",
            &[],
        )
    });
    for t in tables {
        let n = |i: usize| t.get(i).and_then(Value::as_i64).unwrap_or(0);
        if !due(n(1), n(2), thresholds) {
            continue;
        }
        let index = pgrx::pg_sys::Oid::from(n(0) as u32);
        step("maintaining an index", || {
            let id: i64 = transaction(|| spi::text_one("SELECT pg_catalog.nextval('quiver.job_log_id_seq')::pg_catalog.text", &[]))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            if id == 0 || !super::maintain::register(id, index) {
                return;
            }
            let key = id.to_string();
            transaction(|| {
                hold_job_lock(id);
                spi::run(
                    "UPDATE quiver.job_log SET state = 'running', started_at = pg_catalog.now(), pid = pg_catalog.pg_backend_pid(), \
                            detail = pg_catalog.jsonb_build_object('live_rows', $2::pg_catalog.int8, 'dead_rows', $3::pg_catalog.int8, 'by', 'maintenance worker') \
                      WHERE id OPERATOR(pg_catalog.=) $1::pg_catalog.int8",
                    &[&key, &n(1).to_string(), &n(2).to_string()],
                );
            });
            let began = std::time::Instant::now();
            record_outcome(&key, began, catching(|| super::maintain::run(&cx, id, index)));
            transaction(|| spi::run("SELECT pg_catalog.pg_advisory_unlock(quiver.job_lock_space(), $1::pg_catalog.int4)", &[&key]));
        });
    }
}
