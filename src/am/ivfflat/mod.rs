//! The `ivfflat` index access method (pgvector's surface, quiver's engine): k-means lists in
//! quiver-core, pages and WAL through `crate::am::common`.

pub mod build;
pub mod check;
pub mod cost;
pub mod insert;
pub mod layout;
pub mod lists;
pub mod options;
pub mod pages;
pub mod scan;
pub mod vacuum;

use pgrx::prelude::*;

/// `CREATE ACCESS METHOD ivfflat TYPE INDEX HANDLER ivfflat_handler`.
#[pg_extern(sql = false)]
fn ivfflat_handler(_fcinfo: pg_sys::FunctionCallInfo) -> PgBox<pg_sys::IndexAmRoutine> {
    let mut am = crate::am::common::handler::ordered_am();
    // attribute columns after the vector (see scan.rs)
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
