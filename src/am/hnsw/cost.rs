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
//! * A multi-column index tests the query's clauses on its attribute columns itself: the
//!   walk to the first rows meets more elements the fewer pass (about selectivity^-0.75 times
//!   an unfiltered search's), and only the passing rows are fetched from the heap (the
//!   selectivity returned). Such a scan returns every passing row, so it is never costed as
//!   short.
//! * With the attribute directory, a scan for a selective filter makes an exact pass instead
//!   (the directory in order, then the passing elements in block order, costed like a bitmap
//!   heap scan's pages): all before the first row, when that is cheaper than the walk's start.
//! * Large vectors live in TOAST, which a sequential scan's cost does not count; the index's
//!   own page reads are counted on the same footing (sequential, and no more than the heap's
//!   pages), so that a 1,536-dimension table still uses its index for `ORDER BY ... LIMIT`.

use super::graph::read_meta;
use super::options::{FilteredScan, IterativeScan, EF_SEARCH, FILTERED_SCAN, ITERATIVE_SCAN};
use crate::am::common::cost as common_cost;
use pgrx::prelude::*;

common_cost::amcostestimate!(estimate);

fn estimate(x: &common_cost::Inputs, index: pg_sys::Relation) -> (f64, f64) {
    let tuples = x.index_tuples;
    let (kind, _) = crate::am::common::payload::opclass_kernel(index, "hnsw");
    let (m, vector_bytes, directory) = if crate::am::common::page::nblocks(index) > 0 {
        let meta = read_meta(index);
        (meta.m.max(2) as f64, crate::am::common::payload::dense_bytes(kind, meta.dims), meta.attrs_head != 0)
    } else {
        (16.0, 0.0, false)
    };
    let ef = EF_SEARCH.get().max(1) as f64;

    // Distances computed by one search: the descent through the upper levels, then about
    // ef candidates expanded at level 0, each with up to 2m neighbours of which a share is
    // new. With keys on attribute columns the walk fills its ef results with passing
    // elements only, and meets more elements the fewer pass (see quiver_core's estimate).
    let visits = quiver_core::hnsw::expected_filtered_visits(ef, m, tuples, x.keys);
    let per_visit = common_cost::per_entry();
    let toasted = common_cost::toasted(x, vector_bytes);
    let first_pages = visits * x.index_pages / tuples;
    let startup_cost = visits * per_visit + common_cost::page_cost(x, first_pages, toasted);
    let total_cost = tuples * per_visit + common_cost::walk_cost(x, toasted);
    let mut startup_cost = startup_cost.min(total_cost);

    // Without iterative scans the index yields at most ef rows before any filter.
    if ITERATIVE_SCAN.get() == IterativeScan::Off {
        startup_cost = common_cost::short_result_startup(x, ef, startup_cost, total_cost);
    }
    // With keys, a scan whose walk would meet too many failing elements makes the exact pass
    // instead: the attribute directory (about 24 bytes an element) read in order, then each
    // passing element's node and distance, before the first row.
    if x.has_keys && directory && FILTERED_SCAN.get() != FilteredScan::Walk {
        let passing = tuples * x.keys;
        let directory_pages = (tuples * 24.0 / pg_sys::BLCKSZ as f64).ceil();
        // the passing elements are read in block order, like a bitmap heap scan's pages: the
        // more of the pages it fetches, the closer to sequential reads
        let pages = x.index_pages * (1.0 - (1.0 - 1.0 / x.index_pages).powf(passing));
        let node_reads = if toasted {
            common_cost::page_cost(x, pages, true)
        } else {
            let per_page = x.random_page - (x.random_page - x.seq_page).max(0.0) * (pages / x.index_pages).sqrt();
            pages * per_page
        };
        let exact = directory_pages * x.seq_page + passing * per_visit + node_reads;
        if exact < startup_cost || FILTERED_SCAN.get() == FilteredScan::Exact {
            return (exact, exact + passing * common_cost::per_entry());
        }
    }
    (startup_cost, total_cost)
}
