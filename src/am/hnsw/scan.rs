//! Index scans: `ORDER BY embedding <-> $1 LIMIT k`, optionally iterative (hnsw.iterative_scan)
//! so that filtered queries keep finding rows after the first `ef_search` candidates.

use super::graph::DiskGraph;
use super::options::{IterativeScan, EF_SEARCH, ITERATIVE_SCAN, MAX_SCAN_TUPLES, SCAN_MEM_MULTIPLIER};
use super::spec::IndexSpec;
use pgrx::prelude::*;
use quiver_core::hnsw::{search, Candidate, HashVisited, IterativeSearch};
use std::collections::VecDeque;

struct ScanState {
    graph: Option<DiskGraph>,
    query: Option<Vec<u8>>,
    search: Option<IterativeSearch>,
    batch: VecDeque<Candidate>,
    visited: usize,
    last_distance: f32,
    exhausted: bool,
    mode: IterativeScan,
}

#[pg_guard]
pub unsafe extern "C-unwind" fn ambeginscan(
    index: pg_sys::Relation,
    nkeys: std::ffi::c_int,
    norderbys: std::ffi::c_int,
) -> pg_sys::IndexScanDesc {
    unsafe {
        let scan = pg_sys::RelationGetIndexScan(index, nkeys, norderbys);
        let state = ScanState {
            graph: None,
            query: None,
            search: None,
            batch: VecDeque::new(),
            visited: 0,
            last_distance: f32::NEG_INFINITY,
            exhausted: true,
            mode: IterativeScan::Off,
        };
        // Freed (and dropped) with the scan's memory context, even if the query errors out.
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

#[pg_guard]
pub unsafe extern "C-unwind" fn amrescan(
    scan: pg_sys::IndexScanDesc,
    _keys: pg_sys::ScanKey,
    _nkeys: std::ffi::c_int,
    orderbys: pg_sys::ScanKey,
    norderbys: std::ffi::c_int,
) {
    unsafe {
        let state = &mut *((*scan).opaque as *mut ScanState);
        if !orderbys.is_null() && norderbys > 0 && (*scan).numberOfOrderBys > 0 {
            std::ptr::copy(orderbys, (*scan).orderByData, norderbys as usize);
        }
        state.batch.clear();
        state.search = None;
        state.visited = 0;
        state.last_distance = f32::NEG_INFINITY;
        state.exhausted = false;
        state.mode = ITERATIVE_SCAN.get();
        state.query = None;
        if (*scan).numberOfOrderBys > 0 {
            let key = &*(*scan).orderByData;
            if key.sk_flags & pg_sys::SK_ISNULL as i32 == 0 {
                state.query = Some(super::build::datum_payload(key.sk_argument).to_vec());
            }
        }
    }
}

#[pg_guard]
pub unsafe extern "C-unwind" fn amgettuple(scan: pg_sys::IndexScanDesc, _dir: pg_sys::ScanDirection::Type) -> bool {
    unsafe {
        let state = &mut *((*scan).opaque as *mut ScanState);
        let index = (*scan).indexRelation;
        if (*scan).numberOfOrderBys == 0 {
            crate::error::raise_code(
                PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
                "cannot scan hnsw index without order",
            );
        }
        let Some(query) = state.query.as_deref() else { return false };
        if state.graph.is_none() {
            state.graph = Some(DiskGraph::open(index, IndexSpec::of(index)));
        }
        let graph = state.graph.as_ref().expect("graph opened above");
        let max_tuples = MAX_SCAN_TUPLES.get().max(1) as usize;
        loop {
            if let Some(c) = state.batch.pop_front() {
                let Some(info) = graph.info(c.id) else { continue };
                if info.deleted {
                    continue;
                }
                if state.mode == IterativeScan::StrictOrder && c.dist < state.last_distance {
                    continue;
                }
                state.last_distance = state.last_distance.max(c.dist);
                let tid = &mut (*scan).xs_heaptid;
                tid.ip_blkid.bi_hi = (info.heap.0 >> 16) as u16;
                tid.ip_blkid.bi_lo = (info.heap.0 & 0xffff) as u16;
                tid.ip_posid = info.heap.1;
                (*scan).xs_recheck = false;
                (*scan).xs_recheckorderby = false;
                *(*scan).xs_orderbyvals = pg_sys::Datum::from(graph.spec.metric.operator_value(c.dist as f64).to_bits());
                *(*scan).xs_orderbynulls = false;
                return true;
            }
            if state.exhausted {
                return false;
            }
            let mut dist = |id: u64| graph.distance(id, query);
            let ef = EF_SEARCH.get().max(1) as usize;
            if state.mode == IterativeScan::Off {
                // one plain search of ef candidates, no state kept for later batches
                let mut visited = HashVisited::with_capacity(ef * 16);
                state.batch.extend(search(graph, ef, ef, &mut dist, &mut visited));
                state.exhausted = true;
                continue;
            }
            let batch = match state.search.as_mut() {
                None => {
                    let s = IterativeSearch::new(graph, ef, &mut dist);
                    state.search = Some(s);
                    let s = state.search.as_mut().expect("set above");
                    s.next_batch(graph, &mut dist)
                }
                Some(s) => {
                    // Memory of an iterative scan grows with the nodes it has seen (visited set
                    // and candidate heaps, ~48 bytes each): bounded by work_mem × multiplier.
                    let mem_limit = pg_sys::work_mem as f64 * 1024.0 * SCAN_MEM_MULTIPLIER.get();
                    if state.visited >= max_tuples || s.visited_count() as f64 * 48.0 > mem_limit {
                        state.exhausted = true;
                        continue;
                    }
                    s.next_batch(graph, &mut dist)
                }
            };
            if batch.is_empty() {
                state.exhausted = true;
            }
            state.visited += batch.len();
            state.batch.extend(batch);
        }
    }
}

#[pg_guard]
pub unsafe extern "C-unwind" fn amendscan(_scan: pg_sys::IndexScanDesc) {
    // The scan state is released with its memory context.
}
