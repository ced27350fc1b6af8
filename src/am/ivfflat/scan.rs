//! Index scans: `ORDER BY embedding <-> $1 LIMIT k` over the `ivfflat.probes` lists nearest to
//! the query, every row of those lists in distance order. With `ivfflat.iterative_scan =
//! relaxed_order` the scan goes on to the next lists (up to `ivfflat.max_probes`) when the
//! query asks for more rows, each batch in distance order.
//!
//! Once every list has been probed, the rows without a distance (NaN: zero vectors under
//! cosine) follow, then the NULL vectors, as in an exact `ORDER BY`. A NULL query returns every
//! row; a query without a distance to anything returns every row, NaN before NULL.
//!
//! Multi-column indexes: the query's `WHERE` clauses on the attribute columns arrive as scan
//! keys; entries that fail them are skipped before their distance is computed. Such a scan
//! goes on through every list (`ivfflat.probes` lists a batch, nearest first), so a filter
//! inside the index never leaves a `LIMIT` short, and returns every passing row.

use super::layout::{Entry, KIND_LIST};
use super::lists::{self, Lists};
use super::options::{IterativeScan, ITERATIVE_SCAN, MAX_PROBES, PROBES};
use super::pages;
use crate::am::common::page::{self, Buf, Lock};
use crate::am::common::payload::{self, Detoaster, HeapTid};
use crate::am::common::attrs::AttrColumns;
use crate::am::common::scan as common_scan;
use quiver_core::attrs::Predicate;
use crate::jobs::metrics::SearchTimer;
use pgrx::prelude::*;
use quiver_core::metric::{f32_distance_f64, f32_elements, index_distance_f64, VectorKind};
use std::collections::VecDeque;
use std::rc::Rc;

struct ScanState {
    lists: Option<Rc<Lists>>,
    detoast: Detoaster,
    query: Option<Vec<u8>>,
    /// Lists still to read, in order, each with the ORDER BY value its rows get when it is
    /// read unordered (`Some(NaN)`, `None` for NULL); `Ordered` lists are scored.
    pending: VecDeque<(usize, Value)>,
    /// Lists a batch reads before its rows are sorted and returned.
    batch: usize,
    rows: VecDeque<(HeapTid, Option<f64>)>,
    /// Scored rows of the current batch not yet in `rows`: a scan usually wants only the
    /// first few, so they are selected in growing chunks rather than sorted all at once.
    unsorted: Vec<(f64, HeapTid)>,
    chunk: usize,
    heap_blocks: u32,
    /// The scan keys on attribute columns (`None`: none).
    predicate: Option<Predicate>,
    attrs: AttrColumns,
    /// Entries read and entries that passed the keys, for the scan's report.
    read: (usize, usize),
    /// The search under way, for quiver.metrics().
    timer: SearchTimer,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Value {
    Ordered,
    NaN,
    Null,
}

#[pg_guard]
pub unsafe extern "C-unwind" fn ambeginscan(index: pg_sys::Relation, nkeys: std::ffi::c_int, norderbys: std::ffi::c_int) -> pg_sys::IndexScanDesc {
    let state = ScanState {
        lists: None,
        detoast: Detoaster::in_current_context(),
        query: None,
        pending: VecDeque::new(),
        batch: 1,
        rows: VecDeque::new(),
        unsorted: Vec::new(),
        chunk: FIRST_CHUNK,
        heap_blocks: u32::MAX,
        predicate: None,
        attrs: AttrColumns::of(index, "ivfflat"),
        read: (0, 0),
        timer: SearchTimer::default(),
    };
    common_scan::begin(index, nkeys, norderbys, state)
}

#[pg_guard]
pub unsafe extern "C-unwind" fn amrescan(
    scan: pg_sys::IndexScanDesc,
    keys: pg_sys::ScanKey,
    nkeys: std::ffi::c_int,
    orderbys: pg_sys::ScanKey,
    norderbys: std::ffi::c_int,
) {
    unsafe {
        let state = common_scan::state::<ScanState>(scan);
        let index = (*scan).indexRelation;
        state.timer.stop(index, state.read.0 as u64);
        state.timer.start();
        state.rows.clear();
        state.unsorted.clear();
        state.pending.clear();
        state.heap_blocks = common_scan::heap_blocks(scan);
        let lists = lists::of(index);
        let query = common_scan::query(scan, orderbys, norderbys, &state.detoast, lists.kind, lists.dims, "ivfflat");
        crate::compat::count_index_scan(index);
        state.predicate = common_scan::predicate(scan, keys, nkeys, &state.attrs);
        state.read = (0, 0);
        let filtered = state.predicate.is_some();
        let all_unordered = |st: &mut ScanState| {
            st.pending.extend((0..lists.count()).map(|l| (l, Value::NaN)));
            st.pending.push_back((lists.nan_list(), Value::NaN));
            st.pending.push_back((lists.null_list(), Value::Null));
        };
        match &query {
            None => all_unordered(state),
            Some(q) if !payload::orderable(lists.kind, lists.metric, q) => all_unordered(state),
            Some(q) => {
                let probes = (PROBES.get().max(1) as usize).min(lists.count());
                // a scan with keys reads every list if need be (it never comes back short)
                let max = if filtered {
                    lists.count()
                } else if ITERATIVE_SCAN.get() == IterativeScan::RelaxedOrder {
                    (MAX_PROBES.get().max(1) as usize).max(probes).min(lists.count())
                } else {
                    probes
                };
                state.pending.extend(lists.ranked(q).into_iter().take(max).map(|(_, l)| (l as usize, Value::Ordered)));
                state.batch = probes;
                if max == lists.count() {
                    // every list is read: the rows without a distance follow
                    state.pending.push_back((lists.nan_list(), Value::NaN));
                    state.pending.push_back((lists.null_list(), Value::Null));
                }
            }
        }
        if state.predicate.as_ref().is_some_and(Predicate::is_never) {
            state.pending.clear();
        }
        state.query = query;
        state.lists = Some(lists);
    }
}

/// Read the next batch of lists into `state.rows`; false when none is left.
fn next_batch(state: &mut ScanState, index: pg_sys::Relation) -> bool {
    let Some(lists) = state.lists.clone() else { return false };
    let Some(&(_, value)) = state.pending.front() else { return false };
    if value != Value::Ordered {
        let (l, v) = state.pending.pop_front().unwrap_or((0, Value::Null));
        let out = if v == Value::Null { None } else { Some(f64::NAN) };
        let (predicate, rows, read) = (&state.predicate, &mut state.rows, &mut state.read);
        read_list(index, lists.first[l], &mut |tid, _, attrs| {
            read.0 += 1;
            if predicate.as_ref().is_none_or(|p| p.matches(attrs)) {
                read.1 += 1;
                rows.push_back((tid, out));
            }
        });
        return true;
    }
    let query = state.query.clone().unwrap_or_default();
    let q32 = if lists.kind == VectorKind::F32 { f32_elements(&query) } else { None };
    let mut scored: Vec<(f64, HeapTid)> = Vec::new();
    for _ in 0..state.batch {
        match state.pending.front() {
            Some(&(l, Value::Ordered)) => {
                state.pending.pop_front();
                let (predicate, read) = (&state.predicate, &mut state.read);
                read_list(index, lists.first[l], &mut |tid, p: &[u8], attrs: &[u8]| {
                    read.0 += 1;
                    if predicate.as_ref().is_some_and(|pr| !pr.matches(attrs)) {
                        return;
                    }
                    read.1 += 1;
                    let d = match (q32, f32_elements(p)) {
                        _ if p.is_empty() => f64::INFINITY,
                        (Some(q), Some(x)) if lists.kind == VectorKind::F32 => f32_distance_f64(lists.metric, x, q),
                        _ => index_distance_f64(lists.kind, lists.metric, p, &query),
                    };
                    scored.push((d, tid));
                });
            }
            _ => break,
        }
    }
    state.unsorted = scored;
    state.chunk = FIRST_CHUNK;
    true
}

/// Rows selected from a batch the first time (then twice as many each time).
const FIRST_CHUNK: usize = 64;

fn by_distance(a: &(f64, HeapTid), b: &(f64, HeapTid)) -> std::cmp::Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

/// Move the nearest `state.chunk` unsorted rows, in order, to `state.rows`.
fn next_chunk(state: &mut ScanState) {
    let Some(metric) = state.lists.as_ref().map(|l| l.metric) else { return };
    let head = if state.unsorted.len() > state.chunk {
        state.unsorted.select_nth_unstable_by(state.chunk, by_distance);
        let rest = state.unsorted.split_off(state.chunk);
        std::mem::replace(&mut state.unsorted, rest)
    } else {
        std::mem::take(&mut state.unsorted)
    };
    let mut head = head;
    head.sort_unstable_by(by_distance);
    state.rows.extend(head.into_iter().map(|(d, t)| (t, Some(metric.operator_value(d)))));
    state.chunk = state.chunk.saturating_mul(2);
}

/// Call `f` with every entry of the list starting at `first` (payloads from overflow chains
/// reassembled; an entry whose chain is broken is treated as infinitely far) and its
/// attribute blob.
fn read_list(index: pg_sys::Relation, first: u32, f: &mut dyn FnMut(HeapTid, &[u8], &[u8])) {
    let mut blk = first;
    let mut hops = 0u32;
    let mut far: Vec<(HeapTid, usize, u32, Vec<u8>)> = Vec::new();
    let blocks = page::Blocks::of(index);
    while blk != pg_sys::InvalidBlockNumber {
        if blk == 0 || !blocks.contains(blk) || hops > blocks.known() {
            crate::error::raise_code(
                PgSqlErrorCode::ERRCODE_INDEX_CORRUPTED,
                format!("ivfflat index \"{}\": list chain reaches invalid block {blk}", page::rel_name(index)),
            );
        }
        let buf = Buf::read(index, blk, Lock::Share);
        if page::page_kind(buf.page()) != KIND_LIST {
            crate::error::raise_code(
                PgSqlErrorCode::ERRCODE_INDEX_CORRUPTED,
                format!("ivfflat index \"{}\": list chain reaches block {blk}, which is not a list page", page::rel_name(index)),
            );
        }
        for off in 1..=page::max_offset(buf.page()) {
            let Some(bytes) = (unsafe { page::item(buf.page(), off) }) else { continue };
            let e = Entry { bytes };
            if !e.is_well_formed() {
                continue;
            }
            match e.overflow() {
                Some(ov) => far.push((e.tid(), e.len(), ov, e.attrs().to_vec())),
                None => f(e.tid(), e.inline(), e.attrs()),
            }
        }
        blk = page::next_block(buf.page());
        hops += 1;
        drop(buf);
        pgrx::check_for_interrupts!();
    }
    for (tid, len, ov, attrs) in far {
        match pages::read_overflow(index, ov, len, &|| format!("entry ({},{})", tid.0, tid.1)) {
            Ok(p) => f(tid, &p, &attrs),
            Err(_) => f(tid, &[], &attrs),
        }
    }
}

#[pg_guard]
pub unsafe extern "C-unwind" fn amgettuple(scan: pg_sys::IndexScanDesc, _dir: pg_sys::ScanDirection::Type) -> bool {
    unsafe {
        let state = common_scan::state::<ScanState>(scan);
        let index = (*scan).indexRelation;
        loop {
            if let Some((tid, value)) = state.rows.pop_front() {
                common_scan::emit(scan, "ivfflat", &mut state.heap_blocks, tid, value);
                return true;
            }
            if !state.unsorted.is_empty() {
                next_chunk(state);
                continue;
            }
            if !next_batch(state, index) {
                return false;
            }
        }
    }
}

#[pg_guard]
pub unsafe extern "C-unwind" fn amendscan(scan: pg_sys::IndexScanDesc) {
    // The scan state is released with its memory context; what the scan did goes to
    // quiver.explain_search when it asks.
    let state = unsafe { common_scan::state::<ScanState>(scan) };
    let index = unsafe { (*scan).indexRelation };
    state.timer.stop(index, state.read.0 as u64);
    crate::am::common::report::scan_ended(|| {
        let keys = match &state.predicate {
            Some(p) => format!("{}; ", crate::am::common::report::keys(p)),
            None => String::new(),
        };
        format!("ivfflat index \"{}\": {keys}{} entries read, {} passed", page::rel_name(index), state.read.0, state.read.1)
    });
}
