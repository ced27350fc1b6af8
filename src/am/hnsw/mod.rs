//! The `hnsw` index access method: graph algorithm in quiver-core, pages in `crate::am::common::page`.

pub mod build;
pub mod check;
pub mod cost;
pub mod graph;
pub mod insert;
pub mod layout;
pub mod options;
pub mod scan;
pub mod spec;
pub mod vacuum;
pub mod write;

use pgrx::prelude::*;

/// `CREATE ACCESS METHOD hnsw TYPE INDEX HANDLER hnsw_handler`.
#[pg_extern(sql = false)]
fn hnsw_handler(_fcinfo: pg_sys::FunctionCallInfo) -> PgBox<pg_sys::IndexAmRoutine> {
    let mut am = crate::am::common::handler::ordered_am();
    // attribute columns after the vector, tested inside the index (IN lists too)
    am.amcanmulticol = true;
    am.amsearcharray = true;
    am.ambuild = Some(build::ambuild);
    am.ambuildempty = Some(build::ambuildempty);
    am.aminsert = Some(insert::aminsert);
    am.ambulkdelete = Some(vacuum::ambulkdelete);
    am.amvacuumcleanup = Some(vacuum::amvacuumcleanup);
    am.amcostestimate = Some(cost::amcostestimate);
    am.amoptions = Some(options::amoptions);
    am.ambuildphasename = Some(build::ambuildphasename);
    am.ambeginscan = Some(scan::ambeginscan);
    am.amrescan = Some(scan::amrescan);
    am.amgettuple = Some(scan::amgettuple);
    am.amendscan = Some(scan::amendscan);
    am.into_pg_boxed()
}
