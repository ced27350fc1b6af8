//! Planner cost estimate: a scan computes the distance to every centroid, then reads the
//! `ivfflat.probes` nearest lists whole before its first row (startup); a whole walk reads
//! every list. Without iterative scans the index yields only the probed lists' rows, so a
//! filtered `LIMIT` that would be left short is costed as the whole walk (exact plans win).
//! A scan with keys on attribute columns reads lists until enough rows pass them (it goes on
//! through every list if need be): its startup covers the lists that takes.

use super::options::{IterativeScan, ITERATIVE_SCAN, PROBES};
use crate::am::common::cost as common_cost;
use crate::am::common::payload;
use pgrx::prelude::*;

common_cost::amcostestimate!(estimate);

fn estimate(x: &common_cost::Inputs, index: pg_sys::Relation) -> (f64, f64) {
    let (kind, _) = payload::opclass_kernel(index, "ivfflat");
    let (lists, vector_bytes) = if crate::am::common::page::nblocks(index) > 0 {
        let meta = super::pages::read_meta(index);
        (meta.lists.max(1) as f64, payload::dense_bytes(kind, meta.dims))
    } else {
        (super::options::lists(index).max(1) as f64, 0.0)
    };
    let probes = (PROBES.get().max(1) as f64).min(lists);
    let mut fraction = probes / lists;
    if x.has_keys {
        // entries read for LIMIT rows: `filter` is the share of rows passing every condition
        // (the index's keys among them)
        let read = x.limit.unwrap_or(1.0) / x.filter.max(1e-9);
        fraction = fraction.max(read / x.index_tuples.max(1.0)).min(1.0);
    }
    let per_entry = common_cost::per_entry();
    let toasted = common_cost::toasted(x, vector_bytes);
    // centroids are compared with the query before anything else (and cached per backend)
    let centroid_cost = lists * per_entry;
    let startup_cost = centroid_cost + x.index_tuples * fraction * per_entry + common_cost::page_cost(x, x.index_pages * fraction, toasted);
    let total_cost = centroid_cost + x.index_tuples * per_entry + common_cost::walk_cost(x, toasted);
    let mut startup_cost = startup_cost.min(total_cost);
    if ITERATIVE_SCAN.get() == IterativeScan::Off {
        startup_cost = common_cost::short_result_startup(x, x.index_tuples * fraction, startup_cost, total_cost);
    }
    (startup_cost, total_cost)
}
