//! Planner cost estimate.
//!
//! * Startup cost: one graph search of `hnsw.ef_search` candidates (a few hundred distance
//!   evaluations and node pages), after which rows stream out.
//! * Total cost: walking the whole graph (every distance, every page). The planner charges a
//!   `LIMIT k` query the startup cost plus the share of the rest that k rows need, so when a
//!   selective `WHERE` clause means many graph rows must be visited per row returned, an exact
//!   plan (a sequential or bitmap scan and a sort) wins, as it should.
//! * Without iterative scans the index returns at most `ef_search` rows. When a filter and a
//!   LIMIT make that too few, the scan would answer with fewer rows than asked: it is then
//!   costed as the full walk, so any exact plan is preferred.
//! * Large vectors live in TOAST, which a sequential scan's cost does not count; the index's
//!   own page reads are counted on the same footing (sequential, and no more than the heap's
//!   pages), so that a 1,536-dimension table still uses its index for `ORDER BY ... LIMIT`.

use super::graph::read_meta;
use super::options::{IterativeScan, EF_SEARCH, ITERATIVE_SCAN};
use pgrx::prelude::*;

#[pg_guard]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C-unwind" fn amcostestimate(
    root: *mut pg_sys::PlannerInfo,
    path: *mut pg_sys::IndexPath,
    _loop_count: f64,
    startup: *mut pg_sys::Cost,
    total: *mut pg_sys::Cost,
    selectivity: *mut pg_sys::Selectivity,
    correlation: *mut f64,
    pages: *mut f64,
) {
    unsafe {
        *selectivity = 1.0;
        *correlation = 0.0;
        if (*path).indexorderbys.is_null() {
            // No ORDER BY distance: this index cannot answer the query. Make it more expensive
            // than even a disabled sequential scan (disable_cost is 1e10), and on PostgreSQL 18,
            // which compares disabled nodes before cost, more disabled than one.
            *startup = f64::MAX;
            *total = f64::MAX;
            *pages = 0.0;
            crate::compat::disable_path(path);
            return;
        }
        let info = (*path).indexinfo;
        let rel = (*info).rel;
        let tuples = (*info).tuples.max(1.0);
        let index_pages = ((*info).pages as f64).max(1.0);
        let heap_pages = ((*rel).pages as f64).max(1.0);
        let (m, vector_bytes) = {
            let index = pg_sys::index_open((*info).indexoid, pg_sys::NoLock as pg_sys::LOCKMODE);
            let (kind, _) = crate::am::payload::opclass_kernel(index, "hnsw");
            let found = if pgrx::pg_sys::RelationGetNumberOfBlocksInFork(index, pg_sys::ForkNumber::MAIN_FORKNUM) > 0 {
                let meta = read_meta(index);
                (meta.m.max(2) as f64, crate::am::payload::dense_bytes(kind, meta.dims))
            } else {
                (16.0, 0.0)
            };
            pg_sys::index_close(index, pg_sys::NoLock as pg_sys::LOCKMODE);
            found
        };
        let ef = EF_SEARCH.get().max(1) as f64;
        let (mut random_page, mut seq_page) = (0.0, 0.0);
        pg_sys::get_tablespace_page_costs((*info).reltablespace, &mut random_page, &mut seq_page);

        // Distances computed by one search: the descent through the upper levels, then about
        // ef candidates expanded at level 0, each with up to 2m neighbours of which a
        // fraction is new (the fraction shrinks as the graph grows).
        let levels = tuples.ln() / m.ln();
        let visits = (levels * m + ef * 2.0 * m * (0.25 + 2.0 / (1.0 + ef.ln()))).min(tuples);
        let per_visit = pg_sys::cpu_operator_cost + pg_sys::cpu_index_tuple_cost;
        let pages_per_visit = index_pages / tuples;
        let first_pages = (visits * pages_per_visit).min(index_pages);
        // vectors larger than the heap's bytes per row are stored out of line (TOAST)
        let toasted = vector_bytes > heap_pages * pg_sys::BLCKSZ as f64 / tuples;
        let first_page_cost = if toasted { first_pages.min(heap_pages) * seq_page } else { first_pages * random_page };
        let walk_page_cost = if toasted { heap_pages * seq_page } else { index_pages * random_page };

        let startup_cost = visits * per_visit + first_page_cost;
        let total_cost = tuples * per_visit + walk_page_cost;
        let mut startup_cost = startup_cost.min(total_cost);

        // Without iterative scans the index yields at most ef rows before any filter.
        if ITERATIVE_SCAN.get() == IterativeScan::Off {
            let filter = if (*rel).tuples > 0.0 { ((*rel).rows / (*rel).tuples).clamp(0.0, 1.0) } else { 1.0 };
            let wanted = (*root).limit_tuples;
            if filter < 1.0 && wanted > 0.0 && ef * filter < wanted {
                startup_cost = total_cost;
            }
        }
        *startup = startup_cost;
        *total = total_cost;
        *pages = index_pages;
    }
}
