//! The ordered-scan plumbing every method shares: scan descriptor setup, the ORDER BY key and
//! its query vector, and handing rows back to the executor with their distance.
//!
//! A method's scan produces `(heap TID, ORDER BY value)` pairs in distance order; [`emit`]
//! checks the TID against the table (a damaged index gives an error, never a read outside
//! the heap) and fills the descriptor. Rows whose distance is NaN (zero vectors under cosine)
//! and NULL vectors come after every ordered row, as they do in an exact `ORDER BY`.

use super::page;
use super::payload::{self, Detoaster, HeapTid};
use pgrx::prelude::*;

/// `ambeginscan`'s common part: the descriptor with room for the ORDER BY values, and `state`
/// stored as its opaque pointer (freed and dropped with the scan's memory context, even when
/// the query fails).
pub fn begin<S>(index: pg_sys::Relation, nkeys: i32, norderbys: i32, state: S) -> pg_sys::IndexScanDesc {
    unsafe {
        let scan = pg_sys::RelationGetIndexScan(index, nkeys, norderbys);
        let ptr = pgrx::PgMemoryContexts::CurrentMemoryContext.leak_and_drop_on_delete(state);
        (*scan).opaque = ptr as *mut std::ffi::c_void;
        if norderbys > 0 {
            (*scan).xs_orderbyvals =
                pg_sys::palloc0(std::mem::size_of::<pg_sys::Datum>() * norderbys as usize) as *mut pg_sys::Datum;
            (*scan).xs_orderbynulls = pg_sys::palloc(std::mem::size_of::<bool>() * norderbys as usize) as *mut bool;
            for i in 0..norderbys as usize {
                *(*scan).xs_orderbynulls.add(i) = true;
            }
        }
        scan
    }
}

/// The state stored by [`begin`].
///
/// # Safety
/// `scan` must come from [`begin`] with a state of type `S`.
pub unsafe fn state<'a, S>(scan: pg_sys::IndexScanDesc) -> &'a mut S {
    unsafe { &mut *((*scan).opaque as *mut S) }
}

/// The query of a scan (`amrescan`'s common part): copies the new ORDER BY keys into the
/// descriptor and returns the query payload, `None` for a NULL query. Raises the operator's
/// own error for a query of other dimensions than the column, and an error for a scan without
/// ORDER BY (`am` names the method).
pub fn query(
    scan: pg_sys::IndexScanDesc,
    orderbys: pg_sys::ScanKey,
    norderbys: i32,
    detoast: &Detoaster,
    kind: quiver_core::metric::VectorKind,
    dims: u32,
    am: &str,
) -> Option<Vec<u8>> {
    unsafe {
        if !orderbys.is_null() && norderbys > 0 && (*scan).numberOfOrderBys > 0 {
            std::ptr::copy(orderbys, (*scan).orderByData, norderbys as usize);
        }
        if (*scan).numberOfOrderBys == 0 {
            crate::error::raise_code(PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED, format!("cannot scan {am} index without order"));
        }
        let key = &*(*scan).orderByData;
        if key.sk_flags & pg_sys::SK_ISNULL as i32 != 0 {
            return None;
        }
        let q = detoast.copy(key.sk_argument);
        payload::check_query_dims(kind, dims, &q);
        Some(q)
    }
}

/// The scan's keys on attribute columns (`amrescan`'s common part, see
/// [`super::attrs`]): copies the new keys into the descriptor and returns their predicate, or
/// `None` for a scan without keys.
pub fn predicate(
    scan: pg_sys::IndexScanDesc,
    keys: pg_sys::ScanKey,
    nkeys: i32,
    attrs: &super::attrs::AttrColumns,
) -> Option<quiver_core::attrs::Predicate> {
    unsafe {
        if !keys.is_null() && nkeys > 0 && (*scan).numberOfKeys > 0 {
            std::ptr::copy(keys, (*scan).keyData, nkeys.min((*scan).numberOfKeys) as usize);
        }
        let n = (*scan).numberOfKeys;
        if n <= 0 || attrs.is_empty() {
            return None;
        }
        let p = attrs.predicate((*scan).keyData, n);
        (!p.is_empty()).then_some(p)
    }
}

/// Heap blocks now, as [`emit`] first checks TIDs against (it asks again before it calls one
/// corrupt: entries of rows inserted since, by other sessions, may point past this).
pub fn heap_blocks(scan: pg_sys::IndexScanDesc) -> u32 {
    let heap = unsafe { (*scan).heapRelation };
    if heap.is_null() {
        u32::MAX
    } else {
        page::nblocks(heap)
    }
}

/// Hand one row to the executor: its heap TID and ORDER BY value (`None`: NULL). A TID that
/// cannot be in the table is index corruption. `heap_blocks` (from [`heap_blocks`]) is
/// refreshed when a TID lies past it: a concurrent insert may have extended the table since.
pub fn emit(scan: pg_sys::IndexScanDesc, am: &str, heap_blocks: &mut u32, tid: HeapTid, value: Option<f64>) {
    unsafe {
        if tid.0 >= *heap_blocks {
            *heap_blocks = self::heap_blocks(scan);
        }
        if tid.0 >= *heap_blocks || tid.1 == 0 || tid.1 > payload::MAX_HEAP_TUPLES_PER_PAGE {
            crate::error::raise_code(
                PgSqlErrorCode::ERRCODE_INDEX_CORRUPTED,
                format!(
                    "{am} index \"{}\" holds heap TID ({},{}), which is not in its table",
                    page::rel_name((*scan).indexRelation),
                    tid.0,
                    tid.1
                ),
            );
        }
        payload::set_heap_tid(&mut (*scan).xs_heaptid, tid);
        (*scan).xs_recheck = false;
        (*scan).xs_recheckorderby = false;
        match value {
            Some(v) => {
                *(*scan).xs_orderbyvals = pg_sys::Datum::from(v.to_bits());
                *(*scan).xs_orderbynulls = false;
            }
            None => {
                *(*scan).xs_orderbyvals = pg_sys::Datum::from(0usize);
                *(*scan).xs_orderbynulls = true;
            }
        }
    }
}
