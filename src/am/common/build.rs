//! Build input shared by every access method: the heap scan that hands each row's payload to
//! the method, [`Rows`] (payloads in one arena that moves to a temporary file beyond
//! maintenance_work_mem, with their heap TIDs), and progress in pg_stat_progress_create_index.

use super::payload::{self, Detoaster, HeapTid};
use super::spill::Arena;
use super::page;
use pgrx::prelude::*;

/// Set the build's sub-phase in pg_stat_progress_create_index (the AM's `ambuildphasename`
/// names it).
/// The first phase number a method reports (PostgreSQL's "initializing" is 1).
pub const FIRST_PHASE: i64 = 2;

/// `ambuildphasename`'s answer for a method whose phases, from [`FIRST_PHASE`] on, are `names`.
pub fn phase_name(phase: i64, names: &'static [&'static std::ffi::CStr]) -> *mut std::ffi::c_char {
    match usize::try_from(phase - FIRST_PHASE).ok().and_then(|i| names.get(i)) {
        Some(name) => name.as_ptr() as *mut std::ffi::c_char,
        None => std::ptr::null_mut(),
    }
}

pub fn report_phase(phase: i64) {
    unsafe { pg_sys::pgstat_progress_update_param(pg_sys::PROGRESS_CREATEIDX_SUBPHASE as i32, phase) };
}

/// Tuples done (and, when known, the total) of the current phase.
pub fn report_tuples(total: Option<usize>, done: usize) {
    unsafe {
        if let Some(t) = total {
            pg_sys::pgstat_progress_update_param(pg_sys::PROGRESS_CREATEIDX_TUPLES_TOTAL as i32, t as i64);
        }
        pg_sys::pgstat_progress_update_param(pg_sys::PROGRESS_CREATEIDX_TUPLES_DONE as i32, done as i64);
    }
}

/// maintenance_work_mem in bytes.
pub fn memory_limit() -> usize {
    unsafe { pg_sys::maintenance_work_mem }.max(1024) as usize * 1024
}

/// A NOTICE from a build (degraded paths the user should know about).
pub fn notice(msg: String, hint: Option<&str>) {
    let mut r = pgrx::pg_sys::panic::ErrorReport::new(PgSqlErrorCode::ERRCODE_SUCCESSFUL_COMPLETION, msg, "quiver");
    if let Some(h) = hint {
        r = r.set_hint(h);
    }
    r.report(PgLogLevel::NOTICE);
}

/// An index to build must be empty (ambuild is called on a new relation).
pub fn check_empty(index: pg_sys::Relation) {
    if page::nblocks(index) != 0 {
        crate::error::raise_code(
            PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("index \"{}\" already contains data", page::rel_name(index)),
        );
    }
}

/// Raise the pending cancel or termination after a build's workers stopped on it.
pub fn raise_cancelled() -> ! {
    pgrx::check_for_interrupts!();
    crate::error::raise_code(PgSqlErrorCode::ERRCODE_QUERY_CANCELED, "canceling index build due to user request")
}

struct ScanCallback<'a> {
    each: &'a mut dyn FnMut(Option<&[u8]>, HeapTid, &[u8]),
    detoast: Detoaster,
    attrs: Option<&'a super::attrs::AttrColumns>,
}

#[pg_guard]
unsafe extern "C-unwind" fn heap_callback(
    _index: pg_sys::Relation,
    tid: pg_sys::ItemPointer,
    values: *mut pg_sys::Datum,
    isnull: *mut bool,
    _alive: bool,
    state: *mut std::ffi::c_void,
) {
    unsafe {
        let st = &mut *(state as *mut ScanCallback);
        let heap_tid = payload::heap_tid(&*tid);
        let blob = st.attrs.map(|a| a.encode(values, isnull)).unwrap_or_default();
        if *isnull {
            (st.each)(None, heap_tid, &blob);
        } else {
            let each = &mut st.each;
            st.detoast.with(*values, |p| each(Some(p), heap_tid, &blob));
        }
    }
}

/// Scan the heap for the build, calling `each` with every row's payload (`None`: NULL),
/// detoasted in a context reset after each row, its heap TID and its attribute blob (empty
/// without `attrs`, the index's attribute columns). Returns the heap tuple count.
pub fn scan_heap(
    heap: pg_sys::Relation,
    index: pg_sys::Relation,
    info: *mut pg_sys::IndexInfo,
    attrs: Option<&super::attrs::AttrColumns>,
    each: &mut dyn FnMut(Option<&[u8]>, HeapTid, &[u8]),
) -> f64 {
    let mut st = ScanCallback { each, detoast: Detoaster::new(), attrs };
    unsafe {
        pg_sys::table_index_build_scan(
            heap,
            index,
            info,
            true,
            true,
            Some(heap_callback),
            &mut st as *mut ScanCallback as *mut std::ffi::c_void,
            std::ptr::null_mut(),
        )
    }
}

/// The result ambuild returns.
pub fn build_result(heap_tuples: f64, index_tuples: f64) -> *mut pg_sys::IndexBuildResult {
    unsafe {
        let r = pg_sys::palloc0(std::mem::size_of::<pg_sys::IndexBuildResult>()) as *mut pg_sys::IndexBuildResult;
        (*r).heap_tuples = heap_tuples;
        (*r).index_tuples = index_tuples;
        r
    }
}

/// Collected vectors: payload bytes in one arena (8-byte aligned each), with their heap TIDs.
/// [`Rows::spill`] moves the arena to a temporary file; [`Rows::seal`] makes it readable.
#[derive(Default)]
pub struct Rows {
    arena: Arena,
    offsets: Vec<(usize, usize)>,
    pub tids: Vec<HeapTid>,
}

impl Rows {
    /// Rows of `heap`, with room for its payloads reserved up to `limit` bytes (a table's size
    /// bounds the vectors it holds, less whatever is toasted elsewhere).
    pub fn for_heap(heap: pg_sys::Relation, limit: usize) -> Rows {
        let bytes = unsafe { pg_sys::RelationGetNumberOfBlocksInFork(heap, pg_sys::ForkNumber::MAIN_FORKNUM) } as usize * page::BLCKSZ;
        Rows { arena: Arena::with_capacity(bytes.min(limit)), ..Default::default() }
    }

    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    pub fn push(&mut self, payload: &[u8], tid: HeapTid) {
        let at = self.arena.push(payload);
        self.offsets.push((at, payload.len()));
        self.tids.push(tid);
    }

    /// Payload of row `i` (after [`Rows::seal`] once spilled).
    pub fn payload(&self, i: usize) -> &[u8] {
        let (at, len) = self.offsets[i];
        &self.arena.bytes()[at..at + len]
    }

    pub fn is_spilled(&self) -> bool {
        self.arena.is_spilled()
    }

    pub fn spill(&mut self) {
        self.arena.spill()
    }

    pub fn seal(&mut self) {
        self.arena.seal()
    }

    /// Bookkeeping bytes per row besides its payload.
    pub const PER_ROW: usize = std::mem::size_of::<(usize, usize)>() + std::mem::size_of::<HeapTid>();
}
