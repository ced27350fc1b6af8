//! Maintenance of a vector index: VACUUM of its table with index cleanup forced, which runs the
//! index's own VACUUM (hnsw: dead elements leave, neighbour lists are repaired, unreachable
//! nodes relinked, freed space reused; ivfflat: dead entries leave their lists).

use pgrx::pg_sys;

use super::toplevel::{self, transaction, LongLived};
use crate::collections::spi;

/// The VACUUM that maintains `index` (its table, qualified), or None if it is gone.
pub fn command(index: pg_sys::Oid) -> Option<(String, String, u32)> {
    let row = spi::json_one(
        "SELECT pg_catalog.jsonb_build_array(pg_catalog.format('%I.%I', ni.nspname, i.relname), pg_catalog.format('%I.%I', n.nspname, t.relname), t.oid::pg_catalog.int8) \
           FROM pg_catalog.pg_index AS x JOIN pg_catalog.pg_class AS i ON i.oid OPERATOR(pg_catalog.=) x.indexrelid \
           JOIN pg_catalog.pg_class AS t ON t.oid OPERATOR(pg_catalog.=) x.indrelid \
           JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) t.relnamespace \
           JOIN pg_catalog.pg_namespace AS ni ON ni.oid OPERATOR(pg_catalog.=) i.relnamespace \
          WHERE x.indexrelid OPERATOR(pg_catalog.=) $1::pg_catalog.oid",
        &[&u32::from(index).to_string()],
    )?;
    let a = row.as_array()?;
    Some((a.first()?.as_str()?.to_string(), format!("VACUUM (INDEX_CLEANUP ON) {}", a.get(1)?.as_str()?), a.get(2)?.as_u64()? as u32))
}

/// Records maintenance job `job` of `index` (run by the worker as the job's role).
pub fn register(job: i64, index: pg_sys::Oid) -> bool {
    transaction(|| {
        let Some((target, vacuum, relid)) = command(index) else { return false };
        spi::run(
            "INSERT INTO quiver.job_log (id, kind, target, relid, command) VALUES ($1::pg_catalog.int8, 'maintain', $2, $3::pg_catalog.oid, $4)",
            &[&job.to_string(), &target, &relid.to_string(), &vacuum],
        );
        true
    })
}

/// Runs maintenance job `job` of `index`.
pub fn run(cx: &LongLived, _job: i64, index: pg_sys::Oid) {
    let Some((_, vacuum, _)) = transaction(|| command(index)) else {
        pgrx::error!("quiver: the index to maintain no longer exists");
    };
    toplevel::run_sql(cx, &vacuum);
}
