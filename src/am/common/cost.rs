//! Planner cost helpers shared by every method.
//!
//! Vector indexes answer only `ORDER BY <distance> LIMIT k`. Each method estimates how much
//! of the index one query reads before its first row (startup) and for a whole walk (total);
//! these helpers hold the parts that do not depend on the algorithm.

use pgrx::pg_sys;

/// What a method's estimate starts from.
pub struct Inputs {
    pub index_tuples: f64,
    pub index_pages: f64,
    pub heap_pages: f64,
    pub random_page: f64,
    pub seq_page: f64,
    /// Fraction of the table's rows the query's other conditions keep.
    pub filter: f64,
    /// Rows the query wants (LIMIT), if known.
    pub limit: Option<f64>,
    /// Fraction of the rows that pass the clauses the index tests itself (its scan keys on
    /// attribute columns); 1 without any.
    pub keys: f64,
    /// Whether the path has such clauses.
    pub has_keys: bool,
}

/// No ORDER BY distance: the index cannot answer the query. Make the path cost more than
/// even a disabled sequential scan (disable_cost is 1e10) and, on PostgreSQL 18, which
/// compares disabled nodes before cost, count as more disabled than one. Returns true when
/// the path was rejected (the caller returns at once).
///
/// # Safety
/// Arguments as passed to `amcostestimate`.
pub unsafe fn reject_unordered(
    path: *mut pg_sys::IndexPath,
    startup: *mut pg_sys::Cost,
    total: *mut pg_sys::Cost,
    selectivity: *mut pg_sys::Selectivity,
    correlation: *mut f64,
    pages: *mut f64,
) -> bool {
    unsafe {
        *selectivity = 1.0;
        *correlation = 0.0;
        if !(*path).indexorderbys.is_null() {
            return false;
        }
        *startup = f64::MAX;
        *total = f64::MAX;
        *pages = 0.0;
        crate::compat::disable_path(path);
        true
    }
}

/// The inputs of an estimate for `path`.
///
/// # Safety
/// Arguments as passed to `amcostestimate`.
pub unsafe fn inputs(root: *mut pg_sys::PlannerInfo, path: *mut pg_sys::IndexPath) -> Inputs {
    unsafe {
        let info = (*path).indexinfo;
        let rel = (*info).rel;
        let (mut random_page, mut seq_page) = (0.0, 0.0);
        pg_sys::get_tablespace_page_costs((*info).reltablespace, &mut random_page, &mut seq_page);
        let filter = if (*rel).tuples > 0.0 { ((*rel).rows / (*rel).tuples).clamp(0.0, 1.0) } else { 1.0 };
        let limit = (*root).limit_tuples;
        let quals = pg_sys::get_quals_from_indexclauses((*path).indexclauses);
        let has_keys = !quals.is_null();
        let keys = if has_keys {
            pg_sys::clauselist_selectivity(root, quals, (*rel).relid as i32, pg_sys::JoinType::JOIN_INNER, std::ptr::null_mut())
                .clamp(1e-9, 1.0)
        } else {
            1.0
        };
        Inputs {
            index_tuples: (*info).tuples.max(1.0),
            index_pages: ((*info).pages as f64).max(1.0),
            heap_pages: ((*rel).pages as f64).max(1.0),
            random_page,
            seq_page,
            filter,
            limit: (limit > 0.0).then_some(limit),
            keys,
            has_keys,
        }
    }
}

/// CPU cost of one index entry examined (a distance and its bookkeeping).
pub fn per_entry() -> f64 {
    unsafe { pg_sys::cpu_operator_cost + pg_sys::cpu_index_tuple_cost }
}

/// Whether vectors of `vector_bytes` are stored out of line (TOAST) in this table: larger than
/// the heap's bytes per row. A sequential scan's cost does not count TOAST reads, so an index
/// over such vectors charges its page reads on the same footing (sequential, and no more than
/// the heap's pages), or a 1,536-dimension table would never use its index.
pub fn toasted(x: &Inputs, vector_bytes: f64) -> bool {
    vector_bytes > x.heap_pages * pg_sys::BLCKSZ as f64 / x.index_tuples
}

/// Cost of reading `pages` of the index's pages before the first row (see [`toasted`]).
pub fn page_cost(x: &Inputs, pages: f64, toasted: bool) -> f64 {
    let pages = pages.min(x.index_pages);
    if toasted {
        pages.min(x.heap_pages) * x.seq_page
    } else {
        pages * x.random_page
    }
}

/// Cost of reading every index page (a whole walk; see [`toasted`]: no more than the heap's
/// pages read sequentially).
pub fn walk_cost(x: &Inputs, toasted: bool) -> f64 {
    if toasted {
        x.heap_pages * x.seq_page
    } else {
        x.index_pages * x.random_page
    }
}

/// A scan that yields at most `yields` rows before the query's filter (no iterative scan)
/// would answer a filtered `LIMIT` with fewer rows than asked: then its startup is costed as
/// the whole walk so that any exact plan is preferred. A scan with keys of its own returns
/// every row that passes them, so it is never short.
pub fn short_result_startup(x: &Inputs, yields: f64, startup: f64, total: f64) -> f64 {
    match x.limit {
        Some(wanted) if !x.has_keys && x.filter < 1.0 && yields * x.filter < wanted => total,
        _ => startup,
    }
}

/// Dimensions and vector bytes of an index, read with the index opened briefly (`None` for
/// an index without pages yet); `read` gets the open relation.
pub fn with_index<R>(path: *mut pg_sys::IndexPath, read: impl FnOnce(pg_sys::Relation) -> R) -> R {
    unsafe {
        let index = pg_sys::index_open((*(*path).indexinfo).indexoid, pg_sys::NoLock as pg_sys::LOCKMODE);
        let r = read(index);
        pg_sys::index_close(index, pg_sys::NoLock as pg_sys::LOCKMODE);
        r
    }
}

/// The body of every method's `amcostestimate`: a path without ORDER BY is rejected; otherwise
/// `estimate` gets the inputs and the open index and returns (startup, total) costs.
///
/// # Safety
/// Arguments as passed to `amcostestimate`.
#[allow(clippy::too_many_arguments)]
pub unsafe fn estimate(
    root: *mut pg_sys::PlannerInfo,
    path: *mut pg_sys::IndexPath,
    startup: *mut pg_sys::Cost,
    total: *mut pg_sys::Cost,
    selectivity: *mut pg_sys::Selectivity,
    correlation: *mut f64,
    pages: *mut f64,
    estimate: fn(&Inputs, pg_sys::Relation) -> (f64, f64),
) {
    unsafe {
        if reject_unordered(path, startup, total, selectivity, correlation, pages) {
            return;
        }
        let x = inputs(root, path);
        let (s, t) = with_index(path, |index| estimate(&x, index));
        *startup = s;
        *total = t;
        *pages = x.index_pages;
        // the heap rows fetched: those passing the index's own clauses
        *selectivity = x.keys;
    }
}

/// `amcostestimate` for a method whose estimate is `$estimate` (see [`estimate`]).
macro_rules! amcostestimate {
    ($estimate:path) => {
        #[pgrx::pg_guard]
        #[allow(clippy::too_many_arguments)]
        pub unsafe extern "C-unwind" fn amcostestimate(
            root: *mut pgrx::pg_sys::PlannerInfo,
            path: *mut pgrx::pg_sys::IndexPath,
            _loop_count: f64,
            startup: *mut pgrx::pg_sys::Cost,
            total: *mut pgrx::pg_sys::Cost,
            selectivity: *mut pgrx::pg_sys::Selectivity,
            correlation: *mut f64,
            pages: *mut f64,
        ) {
            unsafe {
                $crate::am::common::cost::estimate(root, path, startup, total, selectivity, correlation, pages, $estimate)
            }
        }
    };
}
pub(crate) use amcostestimate;
