//! Index options (`WITH (m = 16, ef_construction = 64)`) and the hnsw GUCs.

use crate::am::common::options;
use pgrx::prelude::*;
use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting};

pub use quiver_core::hnsw::{DEFAULT_EF_CONSTRUCTION, DEFAULT_M};

static mut RELOPT_KIND: pg_sys::relopt_kind::Type = 0;

#[derive(Clone, Copy)]
#[repr(C)]
struct Options {
    vl_len_: i32,
    m: i32,
    ef_construction: i32,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, pgrx::PostgresGucEnum)]
pub enum IterativeScan {
    #[name = c"off"]
    Off,
    #[name = c"relaxed_order"]
    RelaxedOrder,
    #[name = c"strict_order"]
    StrictOrder,
}

pub static EF_SEARCH: GucSetting<i32> = GucSetting::<i32>::new(40);
pub static ITERATIVE_SCAN: GucSetting<IterativeScan> = GucSetting::<IterativeScan>::new(IterativeScan::Off);
pub static MAX_SCAN_TUPLES: GucSetting<i32> = GucSetting::<i32>::new(20_000);
pub static SCAN_MEM_MULTIPLIER: GucSetting<f64> = GucSetting::<f64>::new(1.0);
/// How a scan with keys on attribute columns finds its rows (see `scan.rs`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, pgrx::PostgresGucEnum)]
pub enum FilteredScan {
    /// Walk the graph, and switch to the exact pass when few rows pass near the query.
    #[name = c"auto"]
    Auto,
    /// Always walk the graph.
    #[name = c"walk"]
    Walk,
    /// Always test every element (exact).
    #[name = c"exact"]
    Exact,
}

pub static FILTERED_SCAN: GucSetting<FilteredScan> = GucSetting::<FilteredScan>::new(FilteredScan::Auto);

/// Register the reloptions and GUCs (from `_PG_init`).
pub fn init() {
    let kind = options::new_kind();
    unsafe { RELOPT_KIND = kind };
    options::add_int(kind, c"m", c"Max number of connections per node", DEFAULT_M, 2, 100);
    options::add_int(kind, c"ef_construction", c"Size of the dynamic candidate list for construction", DEFAULT_EF_CONSTRUCTION, 4, 1000);
    GucRegistry::define_int_guc(
        c"hnsw.ef_search",
        c"Sets the size of the dynamic candidate list for search",
        c"Higher values give better recall at the cost of speed.",
        &EF_SEARCH,
        1,
        1000,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_enum_guc(
        c"hnsw.iterative_scan",
        c"Sets the mode for iterative scans",
        c"off, relaxed_order or strict_order: keep scanning the graph when filters remove results.",
        &ITERATIVE_SCAN,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"hnsw.max_scan_tuples",
        c"Sets the max number of tuples to visit for iterative scans",
        c"",
        &MAX_SCAN_TUPLES,
        1,
        i32::MAX,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_float_guc(
        c"hnsw.scan_mem_multiplier",
        c"Sets the multiple of work_mem to use for iterative scans",
        c"",
        &SCAN_MEM_MULTIPLIER,
        1.0,
        1000.0,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_enum_guc(
        c"quiver.filtered_scan",
        c"How hnsw scans with conditions on attribute columns find their rows",
        c"auto: walk the graph, or test every element when few pass near the query; walk; exact.",
        &FILTERED_SCAN,
        GucContext::Userset,
        GucFlags::default(),
    );
    options::reserve_prefix(c"hnsw");
}

/// `amoptions`: parse and validate `WITH (...)`.
#[pg_guard]
pub unsafe extern "C-unwind" fn amoptions(reloptions: pg_sys::Datum, validate: bool) -> *mut pg_sys::bytea {
    let fields = [
        (c"m", pg_sys::relopt_type::RELOPT_TYPE_INT, std::mem::offset_of!(Options, m)),
        (c"ef_construction", pg_sys::relopt_type::RELOPT_TYPE_INT, std::mem::offset_of!(Options, ef_construction)),
    ];
    options::parse::<Options>(reloptions, validate, unsafe { RELOPT_KIND }, &fields)
}

/// `(m, ef_construction)` of an open index.
pub fn of(index: pg_sys::Relation) -> (usize, usize) {
    match options::of::<Options>(index) {
        Some(o) => (o.m as usize, o.ef_construction as usize),
        None => (DEFAULT_M as usize, DEFAULT_EF_CONSTRUCTION as usize),
    }
}
