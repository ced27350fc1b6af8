//! Planner cost estimate: cheap for `ORDER BY <distance> LIMIT k` (the search touches a few
//! hundred nodes), impossible for anything else (the index cannot answer plain quals).

use super::options::EF_SEARCH;
use pgrx::prelude::*;

#[pg_guard]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C-unwind" fn amcostestimate(
    _root: *mut pg_sys::PlannerInfo,
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
            // than even a disabled sequential scan (disable_cost is 1e10).
            *startup = f64::MAX;
            *total = f64::MAX;
            *pages = 0.0;
            return;
        }
        let info = (*path).indexinfo;
        let tuples = (*info).tuples.max(1.0);
        let index_pages = (*info).pages as f64;
        let ef = EF_SEARCH.get().max(1) as f64;
        // Nodes whose distance is computed: about ef × average degree, growing with log(n).
        let visits = (ef * 8.0 * (1.0 + tuples.ln() / 8.0)).min(tuples * 2.0);
        let pages_read = visits.min(index_pages.max(1.0));
        let cost = visits * pg_sys::cpu_operator_cost * 10.0
            + pages_read * pg_sys::random_page_cost * 0.1;
        *startup = cost;
        *total = cost;
        *pages = pages_read;
    }
}
