//! Index options (`WITH (lists = 100)`) and the ivfflat GUCs, with pgvector's names and
//! meanings.

use crate::am::common::options;
use pgrx::prelude::*;
use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting};

pub const DEFAULT_LISTS: i32 = 100;
pub const MAX_LISTS: i32 = 32768;

static mut RELOPT_KIND: pg_sys::relopt_kind::Type = 0;

#[derive(Clone, Copy)]
#[repr(C)]
struct Options {
    vl_len_: i32,
    lists: i32,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, pgrx::PostgresGucEnum)]
pub enum IterativeScan {
    #[name = c"off"]
    Off,
    #[name = c"relaxed_order"]
    RelaxedOrder,
}

pub static PROBES: GucSetting<i32> = GucSetting::<i32>::new(1);
pub static ITERATIVE_SCAN: GucSetting<IterativeScan> = GucSetting::<IterativeScan>::new(IterativeScan::Off);
pub static MAX_PROBES: GucSetting<i32> = GucSetting::<i32>::new(MAX_LISTS);

/// Register the reloption and GUCs (from `_PG_init`).
pub fn init() {
    let kind = options::new_kind();
    unsafe { RELOPT_KIND = kind };
    options::add_int(kind, c"lists", c"Number of inverted lists", DEFAULT_LISTS, 1, MAX_LISTS);
    GucRegistry::define_int_guc(
        c"ivfflat.probes",
        c"Sets the number of probes",
        c"Valid range is 1..lists.",
        &PROBES,
        1,
        MAX_LISTS,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_enum_guc(
        c"ivfflat.iterative_scan",
        c"Sets the mode for iterative scans",
        c"off or relaxed_order: keep probing lists when filters remove results.",
        &ITERATIVE_SCAN,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"ivfflat.max_probes",
        c"Sets the max number of probes for iterative scans",
        c"",
        &MAX_PROBES,
        1,
        MAX_LISTS,
        GucContext::Userset,
        GucFlags::default(),
    );
    options::reserve_prefix(c"ivfflat");
}

/// `amoptions`: parse and validate `WITH (...)`.
#[pg_guard]
pub unsafe extern "C-unwind" fn amoptions(reloptions: pg_sys::Datum, validate: bool) -> *mut pg_sys::bytea {
    let fields = [(c"lists", pg_sys::relopt_type::RELOPT_TYPE_INT, std::mem::offset_of!(Options, lists))];
    options::parse::<Options>(reloptions, validate, unsafe { RELOPT_KIND }, &fields)
}

/// `lists` of an open index.
pub fn lists(index: pg_sys::Relation) -> usize {
    options::of::<Options>(index).map_or(DEFAULT_LISTS, |o| o.lists) as usize
}
