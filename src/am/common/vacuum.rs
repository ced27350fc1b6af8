//! Pieces of a VACUUM pass shared by every method: the statistics it returns, the per-page
//! pause (cancel requests, cost-based delay), its memory budget and buffer ring.

use pgrx::pg_sys;

/// The stats struct to fill: the one passed in, or a new one.
pub fn result_or_new(stats: *mut pg_sys::IndexBulkDeleteResult) -> *mut pg_sys::IndexBulkDeleteResult {
    if stats.is_null() {
        unsafe { pg_sys::palloc0(std::mem::size_of::<pg_sys::IndexBulkDeleteResult>()) as *mut _ }
    } else {
        stats
    }
}

/// Per-page pause point: cancel requests and cost-based vacuum delay.
pub fn pause() {
    pgrx::check_for_interrupts!();
    crate::compat::vacuum_delay_point();
}

/// The memory a VACUUM of an index may use (maintenance_work_mem in bytes).
pub fn budget() -> usize {
    (unsafe { pg_sys::maintenance_work_mem }.max(1024) as usize) * 1024
}

/// VACUUM's buffer access strategy (its ring), so a pass over a large index does not evict
/// the rest of shared buffers.
pub fn strategy(info: *mut pg_sys::IndexVacuumInfo) -> pg_sys::BufferAccessStrategy {
    unsafe { (*info).strategy }
}

/// Whether `amvacuumcleanup` has nothing to do: ANALYZE-only calls.
pub fn analyze_only(info: *mut pg_sys::IndexVacuumInfo) -> bool {
    unsafe { (*info).analyze_only }
}

/// Call the bulk-delete callback on one heap TID.
pub fn is_dead(callback: pg_sys::IndexBulkDeleteCallback, state: *mut std::ffi::c_void, tid: super::payload::HeapTid) -> bool {
    let Some(cb) = callback else { return false };
    let mut t = pg_sys::ItemPointerData::default();
    super::payload::set_heap_tid(&mut t, tid);
    unsafe { cb(&mut t, state) }
}
