//! Index scans: `ORDER BY embedding <-> $1 LIMIT k`, optionally iterative (hnsw.iterative_scan)
//! so that filtered queries keep finding rows after the first `ef_search` candidates.
//!
//! A scan returns the rows a sequential scan would, in the same order as far as the graph
//! finds them: graph rows by distance; once the graph is exhausted, the rows whose distance
//! is NaN (zero vectors under cosine), then the rows whose vector is NULL. A NULL query (every
//! distance NULL) returns every row; a query that has no distance to anything (a zero vector
//! under cosine: every distance NaN) returns every row, NaN before NULL. A query of other
//! dimensions than the column raises the operator's own error.
//!
//! Multi-column indexes: the query's `WHERE` clauses on the attribute columns arrive as scan
//! keys and become a predicate tested on every element met ([`FilteredSearch`]). The walk
//! goes through elements that fail it but returns only those that pass, in batches of
//! `hnsw.ef_search` (each in distance order), whatever `hnsw.iterative_scan` says: a filter
//! inside the index never leaves a `LIMIT` short. When few rows pass near the query, the walk
//! meets about 1/selectivity elements per passing row; then (`quiver.filtered_scan = auto`,
//! judged from the walk's pass rate after a probe) the exact pass takes over: the attribute
//! directory gives every passing element, each is checked against its node and scored, and
//! the rows come sorted. When the walk ends or outgrows its memory
//! (work_mem × hnsw.scan_mem_multiplier), the exact pass adds the passing rows it has not
//! returned yet, sorted with its last batch, so that the scan returns every passing row, and
//! in exact order when fewer than `hnsw.ef_search` rows pass.

use super::graph::{is_node_page, DirPlan, DiskGraph, DIR_PAGE_COST};
use super::layout::{HeapTid, Node};
use super::options::{FilteredScan, IterativeScan, EF_SEARCH, FILTERED_SCAN, ITERATIVE_SCAN, MAX_SCAN_TUPLES, SCAN_MEM_MULTIPLIER};
use super::spec::IndexSpec;
use crate::am::common::attrs::AttrColumns;
use crate::am::common::page::{self, Buf, Lock};
use crate::am::common::payload::{self, Detoaster};
use crate::am::common::scan as common_scan;
use crate::jobs::metrics::SearchTimer;
use pgrx::prelude::*;
use quiver_core::attrs::{in_ranges, Predicate};
use quiver_core::hnsw::{expected_filtered_visits, search, Candidate, Closest, FilteredSearch, HashVisited, IdBuildHasher, IterativeSearch, Ranked};
use std::collections::{HashSet, VecDeque};

/// Which elements a sweep over the pages returns.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SweepOf {
    /// Graph elements and those outside the graph with no distance (NaN).
    NotNull,
    /// Elements whose rows have NULL vectors.
    Null,
    /// Elements outside the graph with no distance (after the graph's own rows).
    NaN,
}

/// A scan with keys on attribute columns: the predicate and the walk's progress.
struct Filtered {
    predicate: Predicate,
    search: Option<FilteredSearch>,
    /// Graph elements returned so far (a later pass over the pages skips them).
    returned: HashSet<u64, IdBuildHasher>,
    /// Set once the exact pass has started: the walk is over.
    walk_done: bool,
    /// The exact pass runs in rounds, each keeping the closest passing rows that fit in the
    /// scan's memory ([`Closest`]): where the last round stopped, while rows remain.
    exact_after: Option<Candidate>,
    /// The exact pass's round being returned (put in order as it is taken).
    ranked: Option<Ranked>,
    /// Elements the walks dropped so far evaluated, and how many passed.
    walked: (usize, usize),
    /// The exact pass's directory entries that passed (once it ran).
    exact: Option<usize>,
    /// The directory pages the exact pass reads (made once per scan, when first needed).
    plan: Option<DirPlan>,
    /// Directory pages the exact pass has read.
    dir_pages: usize,
}

impl Filtered {
    /// Ends the walk, keeping its counts for the scan's report.
    fn end_walk(&mut self) {
        if let Some(s) = self.search.take() {
            self.walked.0 += s.visited_count();
            self.walked.1 += s.passed();
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    Graph,
    Sweep(SweepOf),
    Done,
}

/// Where a sweep over the node pages has got to.
#[derive(Default)]
struct Cursor {
    blk: u32,
    nblocks: u32,
}

struct ScanState {
    graph: Option<DiskGraph>,
    detoast: Detoaster,
    query: Option<Vec<u8>>,
    search: Option<IterativeSearch>,
    batch: VecDeque<Candidate>,
    /// Rows ready to return, with their ORDER BY value (`None`: NULL).
    rows: VecDeque<(HeapTid, Option<f64>)>,
    visited: usize,
    /// Without iterative scans, once the single search ran: whether it returned the whole graph.
    single: Option<bool>,
    last_distance: f32,
    mode: IterativeScan,
    phase: Phase,
    /// After the graph: the sweeps still to run.
    sweeps: VecDeque<SweepOf>,
    cursor: Cursor,
    /// Heap blocks when the scan started: every row visible to the scan's snapshot lies below.
    heap_blocks: u32,
    /// Keys on attribute columns (`None`: none).
    filtered: Option<Filtered>,
    attrs: AttrColumns,
    /// The search under way, for quiver.metrics().
    timer: SearchTimer,
}

#[pg_guard]
pub unsafe extern "C-unwind" fn ambeginscan(
    index: pg_sys::Relation,
    nkeys: std::ffi::c_int,
    norderbys: std::ffi::c_int,
) -> pg_sys::IndexScanDesc {
    let state = ScanState {
        graph: None,
        // freed with the scan's memory context, like the state itself
        detoast: Detoaster::in_current_context(),
        query: None,
        search: None,
        batch: VecDeque::new(),
        rows: VecDeque::new(),
        visited: 0,
        single: None,
        last_distance: f32::NEG_INFINITY,
        mode: IterativeScan::Off,
        phase: Phase::Done,
        sweeps: VecDeque::new(),
        cursor: Cursor::default(),
        heap_blocks: u32::MAX,
        filtered: None,
        attrs: AttrColumns::of(index, "hnsw"),
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
        state.timer.stop(index, state.scanned());
        state.timer.start();
        state.batch.clear();
        state.rows.clear();
        state.search = None;
        state.visited = 0;
        state.single = None;
        state.last_distance = f32::NEG_INFINITY;
        state.mode = ITERATIVE_SCAN.get();
        state.sweeps.clear();
        state.cursor = Cursor { blk: 1, nblocks: page::nblocks(index) };
        state.heap_blocks = common_scan::heap_blocks(scan);
        // the meta page as it is now: a new graph per scan
        let graph = DiskGraph::open(index, IndexSpec::of(index));
        let spec = graph.spec;
        let query = common_scan::query(scan, orderbys, norderbys, &state.detoast, spec.kind, spec.dims, "hnsw");
        crate::compat::count_index_scan(index);
        let predicate = common_scan::predicate(scan, keys, nkeys, &state.attrs);
        let never = predicate.as_ref().is_some_and(Predicate::is_never);
        state.filtered =
            predicate.map(|predicate| Filtered {
                predicate,
                search: None,
                returned: HashSet::default(),
                walk_done: false,
                exact_after: None,
                ranked: None,
                walked: (0, 0),
                exact: None,
                plan: None,
                dir_pages: 0,
            });
        match &query {
            // every distance is NULL: every row, in any order
            None => {
                state.phase = Phase::Sweep(SweepOf::NotNull);
                state.sweeps.push_back(SweepOf::Null);
            }
            // every distance is NaN: every row, the NULL ones last
            Some(q) if !payload::orderable(spec.kind, spec.metric, q) => {
                state.phase = Phase::Sweep(SweepOf::NotNull);
                state.sweeps.push_back(SweepOf::Null);
            }
            Some(_) => {
                state.phase = Phase::Graph;
                state.sweeps.extend([SweepOf::NaN, SweepOf::Null]);
            }
        }
        if never {
            state.phase = Phase::Done;
        }
        state.query = query;
        state.graph = Some(graph);
    }
}

/// Collect the rows of the next node page of a sweep into `rows`; false when no page is left.
fn sweep_page(state: &mut ScanState, index: pg_sys::Relation, of: SweepOf, layout: super::layout::NodeLayout) -> bool {
    if state.cursor.blk >= state.cursor.nblocks {
        return false;
    }
    let blk = state.cursor.blk;
    state.cursor.blk += 1;
    let buf = Buf::read(index, blk, Lock::Share);
    if !is_node_page(buf.page()) {
        return true;
    }
    let filter = state.filtered.as_ref().map(|f| &f.predicate);
    for off in 1..=page::max_offset(buf.page()) {
        let Some(bytes) = (unsafe { page::item(buf.page(), off) }) else { continue };
        let node = Node { bytes, layout };
        if node.is_deleted() || filter.is_some_and(|f| !f.matches(node.attrs())) {
            continue;
        }
        let value = match of {
            SweepOf::Null if node.is_null() => None,
            SweepOf::NaN if node.is_outside() && !node.is_null() => Some(f64::NAN),
            SweepOf::NotNull if !node.is_null() => Some(f64::NAN),
            _ => continue,
        };
        state.rows.extend(node.tids().map(|t| (t, value)));
    }
    pgrx::check_for_interrupts!();
    true
}

#[pg_guard]
pub unsafe extern "C-unwind" fn amgettuple(scan: pg_sys::IndexScanDesc, _dir: pg_sys::ScanDirection::Type) -> bool {
    unsafe {
        let state = common_scan::state::<ScanState>(scan);
        let index = (*scan).indexRelation;
        loop {
            if let Some((tid, value)) = state.rows.pop_front() {
                common_scan::emit(scan, "hnsw", &mut state.heap_blocks, tid, value);
                return true;
            }
            match state.phase {
                Phase::Done => return false,
                Phase::Sweep(of) => {
                    let Some(layout) = state.graph.as_ref().map(|g| g.spec.layout) else { return false };
                    if !sweep_page(state, index, of, layout) {
                        state.cursor.blk = 1;
                        state.phase = state.sweeps.pop_front().map_or(Phase::Done, Phase::Sweep);
                    }
                }
                Phase::Graph => {
                    if !next_graph_rows(state, index) {
                        state.cursor.blk = 1;
                        state.phase = state.sweeps.pop_front().map_or(Phase::Done, Phase::Sweep);
                    }
                }
            }
        }
    }
}

/// Move the next graph rows into `state.rows`; false once the graph has nothing more to give
/// (and the scan should go on to the rows outside the graph), or `Done` when it stopped early.
fn next_graph_rows(state: &mut ScanState, index: pg_sys::Relation) -> bool {
    if state.filtered.is_some() {
        return next_filtered_rows(state, index);
    }
    let (Some(graph), Some(query)) = (state.graph.as_ref(), state.query.as_deref()) else {
        state.phase = Phase::Done;
        return true;
    };
    if let Some(c) = state.batch.pop_front() {
        let Some(info) = graph.info(c.id) else { return true };
        if info.deleted || info.outside {
            return true;
        }
        if state.mode == IterativeScan::StrictOrder && c.dist < state.last_distance {
            return true;
        }
        state.last_distance = state.last_distance.max(c.dist);
        let value = graph.spec.metric.operator_value(c.dist as f64);
        state.rows.extend(info.tids.into_iter().map(|t| (t, Some(value))));
        return true;
    }
    let mut dist = |id: u64| graph.distance(id, query);
    let ef = EF_SEARCH.get().max(1) as usize;
    if state.mode == IterativeScan::Off {
        return match state.single {
            // the one search is over: the rows outside the graph follow only when it returned
            // the whole graph (fewer than ef candidates)
            Some(true) => false,
            Some(false) => {
                state.phase = Phase::Done;
                true
            }
            None => {
                let mut visited = HashVisited::with_capacity(ef * 16);
                let found = search(graph, ef, ef, &mut dist, &mut visited);
                state.single = Some(found.len() < ef);
                state.visited += found.len();
                state.batch.extend(found);
                true
            }
        };
    }
    let max_tuples = MAX_SCAN_TUPLES.get().max(1) as usize;
    let batch = match state.search.as_mut() {
        None => {
            let mut s = IterativeSearch::new(graph, ef, &mut dist);
            let b = s.next_batch(graph, &mut dist);
            state.search = Some(s);
            b
        }
        Some(s) => {
            // Memory of an iterative scan grows with the nodes it has seen (visited set and
            // candidate heaps, ~48 bytes each): bounded by work_mem × multiplier.
            let mem_limit = unsafe { pg_sys::work_mem } as f64 * 1024.0 * SCAN_MEM_MULTIPLIER.get();
            if state.visited >= max_tuples || s.visited_count() as f64 * 48.0 > mem_limit {
                state.phase = Phase::Done;
                return true;
            }
            s.next_batch(graph, &mut dist)
        }
    };
    if batch.is_empty() {
        return false;
    }
    state.visited += batch.len();
    state.batch.extend(batch);
    true
}

/// [`next_graph_rows`] for a scan with keys on attribute columns: the filtered walk, then the
/// exact pass for the passing rows the walk did not return.
fn next_filtered_rows(state: &mut ScanState, index: pg_sys::Relation) -> bool {
    let (Some(graph), Some(query), Some(f)) = (state.graph.as_ref(), state.query.as_deref(), state.filtered.as_mut()) else {
        state.phase = Phase::Done;
        return true;
    };
    if let Some(c) = state.batch.pop_front().or_else(|| f.ranked.as_mut().and_then(Iterator::next)) {
        let Some(info) = graph.info(c.id) else { return true };
        if info.deleted || info.outside || !f.returned.insert(c.id) {
            return true;
        }
        let value = graph.spec.metric.operator_value(c.dist as f64);
        state.rows.extend(info.tids.into_iter().map(|t| (t, Some(value))));
        return true;
    }
    let mem_limit = unsafe { pg_sys::work_mem } as f64 * 1024.0 * SCAN_MEM_MULTIPLIER.get();
    if f.walk_done {
        // the exact pass's next round, if the last one left rows out
        return f.exact_after.is_some() && exact_pass(state, index);
    }
    let predicate = &f.predicate;
    let mut eval = |id: u64| graph.distance_filtered(id, query, predicate);
    let ef = EF_SEARCH.get().max(1) as usize;
    // The exact pass reads the pages its plan picks (every directory page, or those of the
    // sorted run or of a key run that can hold the keys the predicate allows), then each
    // passing element; the walk meets more elements the fewer pass (quiver_core's
    // `expected_filtered_visits`), and each costs more than the pass's (it reads nodes in no
    // order). When the plan narrows a column, its estimate of the passing entries decides at
    // once; otherwise (`quiver.filtered_scan = auto`) the walk first probes a quarter of the pages,
    // then goes on only if its pass rate so far says it will fill its ef results for less
    // than the pass costs.
    let mode = FILTERED_SCAN.get();
    let plan = f.plan.get_or_insert_with(|| DirPlan::new(index, graph, &f.predicate));
    let (plan_entries, plan_pages) = plan.estimate(graph.nodes);
    let pass_pages = (plan_pages * DIR_PAGE_COST) as usize;
    // with a narrowed plan, the walk's probe lasts twice what the estimate gives it (the rows
    // passing near the query may be fewer than the estimate says: an anti-correlated filter)
    let mut probe = pass_pages / 4;
    let (m, nodes) = (graph.spec.params.m as f64, graph.nodes.max(1) as f64);
    if f.search.is_none() {
        let selectivity = plan_entries / nodes;
        let walk_visits = expected_filtered_visits(ef as f64, m, nodes, selectivity);
        if plan.picked.is_some() {
            if mode == FilteredScan::Auto && pass_pages as f64 + plan_entries <= WALK_COST * walk_visits {
                return exact_pass(state, index);
            }
            probe = (2.0 * walk_visits).min(graph.nodes as f64) as usize;
        }
        if mode == FilteredScan::Exact {
            // (nothing was returned yet: the pass starts from scratch)
            return exact_pass(state, index);
        }
    }
    let batch = match f.search.as_mut() {
        None => {
            let mut s = FilteredSearch::new(graph, ef, &mut eval);
            if mode == FilteredScan::Auto {
                s.set_budget(probe.max(ef));
            }
            let b = s.next_batch(graph, &mut eval);
            f.search = Some(s);
            b
        }
        // memory of the walk grows with the nodes it has seen (~48 bytes each)
        Some(s) if s.visited_count() as f64 * 48.0 > mem_limit => Vec::new(),
        Some(s) => s.next_batch(graph, &mut eval),
    };
    if let Some(s) = f.search.as_mut().filter(|s| s.over_budget()) {
        // the pass also reads each passing element once
        let rate = s.passed() as f64 / s.visited_count().max(1) as f64;
        let pass_cost = pass_pages as f64 + rate * nodes;
        // (a plain extrapolation from the walk so far: with `expected_filtered_visits` and
        // WALK_COST this switch, which weighs a pass over every directory entry, came too
        // early for conditions on later columns, measured on 100k × 128 and 30k × 384)
        let predicted = 2.0 * WALK_COST * s.visited_count() as f64 * ef as f64 / s.passed().max(1) as f64;
        if s.passed() == 0 || predicted > pass_cost {
            // few rows pass here: test every element once from here on (exact)
            f.end_walk();
            return exact_pass(state, index);
        }
        s.set_budget(usize::MAX);
        // the next call resumes the walk
        return true;
    }
    let exhausted = f.search.as_ref().is_none_or(|s| s.is_exhausted() || s.visited_count() as f64 * 48.0 > mem_limit);
    if !exhausted {
        state.batch.extend(batch);
        return true;
    }
    // The walk has ended (or outgrew its memory): the passing graph rows it did not return,
    // from the exact pass (rows the graph cannot reach are found this way too; those of its
    // last batch too). So when fewer rows pass than ef_search, the walk ends in its first
    // batch and the scan returns them all in exact order.
    drop(batch);
    f.end_walk();
    exact_pass(state, index)
}

/// A round of the exact pass: the passing graph rows not returned yet and past where the last
/// round stopped, scored from their nodes; the closest that fit in the scan's memory
/// (work_mem × hnsw.scan_mem_multiplier) go to `state.batch` in order, and when some were left
/// out the next round starts after the last of them. Directory entries are read in batches,
/// scored in node-page order.
fn exact_pass(state: &mut ScanState, index: pg_sys::Relation) -> bool {
    let (Some(graph), Some(query), Some(f)) = (state.graph.as_ref(), state.query.as_deref(), state.filtered.as_mut()) else {
        state.phase = Phase::Done;
        return true;
    };
    f.walk_done = true;
    let mem_limit = unsafe { pg_sys::work_mem } as f64 * 1024.0 * SCAN_MEM_MULTIPLIER.get();
    // a kept candidate takes 16 bytes, and a round keeps up to twice its cap (see `Closest`)
    let cap = ((mem_limit / 48.0) as usize).max(EF_SEARCH.get().max(1) as usize);
    let mut best = Closest::new(cap, f.exact_after.take());
    let mut scored = 0usize;
    let mut score = |ids: &mut Vec<u64>, best: &mut Closest| {
        // node pages in block order (ids sort by block, then offset)
        ids.sort_unstable();
        ids.dedup();
        // (roughly halves the time per node on 1M × 128, all pages in shared buffers)
        graph.prefetch_pages(&ids[..ids.len().min(2 * PREFETCH_AHEAD)]);
        graph.prefetch_items(&ids[..ids.len().min(PREFETCH_AHEAD)]);
        for (i, &id) in ids.iter().enumerate() {
            // the nodes a few steps ahead are on their way to the CPU cache meanwhile: the
            // pages two steps ahead, the items of those one step ahead
            if i % PREFETCH_AHEAD == 0 {
                let ahead = |k: usize| {
                    let from = (i + k * PREFETCH_AHEAD).min(ids.len());
                    &ids[from..(from + PREFETCH_AHEAD).min(ids.len())]
                };
                graph.prefetch_pages(ahead(2));
                graph.prefetch_items(ahead(1));
            }
            // the node itself decides (a directory entry may name a node freed or reused since)
            if let (d, true) = graph.distance_filtered(id, query, &f.predicate) {
                scored += 1;
                best.offer(Candidate::new(d, id));
            }
        }
        ids.clear();
    };
    let mut pending: Vec<u64> = Vec::with_capacity(EXACT_CHUNK);
    let returned = &f.returned;
    let plan = f.plan.get_or_insert_with(|| DirPlan::new(index, graph, &f.predicate));
    let mut pages = plan.pages(index, graph.attrs_head);
    // (an index whose head is 0 has no graph element with attributes yet)
    while let Ok(Some(buf)) = pages.next() {
        f.dir_pages += 1;
        match (&plan.keys, page::page_kind(buf.page())) {
            // a key run's page: the nodes whose keys lie in the plan's ranges
            (Some((_, ranges)), super::layout::KIND_KEYS) => {
                if let Some(item) = unsafe { page::item(buf.page(), 1) } {
                    let hits = super::layout::key_pairs(item).filter(|&(k, id)| in_ranges(ranges, k) && !returned.contains(&id));
                    pending.extend(hits.map(|(_, id)| id));
                }
            }
            _ => {
                for off in 1..=page::max_offset(buf.page()) {
                    let Some(item) = (unsafe { page::item(buf.page(), off) }) else { continue };
                    if let Some((id, attrs)) = super::layout::dir_entry(item) {
                        if f.predicate.matches(attrs) && !returned.contains(&id) {
                            pending.push(id);
                        }
                    }
                }
            }
        }
        drop(buf);
        if pending.len() >= EXACT_CHUNK {
            score(&mut pending, &mut best);
        }
        pgrx::check_for_interrupts!();
    }
    score(&mut pending, &mut best);
    // (a row met twice, through a stale directory entry and a live one, comes out once)
    let (found, next) = best.finish();
    f.ranked = Some(found);
    f.exact = Some(f.exact.unwrap_or(0) + scored);
    f.exact_after = next;
    true
}

/// What an element the walk evaluates costs, in units of an element the exact pass scores
/// (measured on 1M × 128: random node reads against node reads in page order).
const WALK_COST: f64 = 1.5;

/// How far ahead of the node it scores the exact pass prefetches nodes (in nodes).
const PREFETCH_AHEAD: usize = 8;

/// Directory entries collected before they are scored.
const EXACT_CHUNK: usize = 4096;

#[pg_guard]
pub unsafe extern "C-unwind" fn amendscan(scan: pg_sys::IndexScanDesc) {
    // The scan state is released with its memory context; what the scan did goes to
    // quiver.explain_search when it asks.
    let state = unsafe { common_scan::state::<ScanState>(scan) };
    let index = unsafe { (*scan).indexRelation };
    state.timer.stop(index, state.scanned());
    crate::am::common::report::scan_ended(|| format!("hnsw index \"{}\": {}", page::rel_name(index), state.describe()));
}

impl ScanState {
    /// Elements the search has scored so far (graph walk, filtered walks, exact pass).
    fn scanned(&self) -> u64 {
        let mut n = self.visited;
        if let Some(f) = &self.filtered {
            n += f.walked.0 + f.search.as_ref().map_or(0, |s| s.visited_count()) + f.exact.unwrap_or(0);
        }
        n as u64
    }

    /// The path the scan took, for its report.
    fn describe(&self) -> String {
        if self.query.is_none() || self.graph.is_none() {
            return "no distance to order by: every row from the pages".to_string();
        }
        let Some(f) = &self.filtered else {
            return format!("graph walk, {} candidates (ef_search {})", self.visited, EF_SEARCH.get());
        };
        let mut walked = f.walked;
        if let Some(s) = &f.search {
            walked = (walked.0 + s.visited_count(), walked.1 + s.passed());
        }
        let mut out = crate::am::common::report::keys(&f.predicate);
        if walked.0 > 0 {
            out.push_str(&format!("; filtered walk: {} elements visited, {} passed", walked.0, walked.1));
        }
        match f.exact {
            Some(n) if walked.0 > 0 => out.push_str(&format!("; then exact pass: {n} more passing elements scored")),
            Some(n) => out.push_str(&format!("; exact pass: {n} passing elements scored")),
            None => {}
        }
        if f.exact.is_some() {
            let pages = match f.plan.as_ref().map(|p| (p.picked.is_some(), &p.keys)) {
                Some((_, Some((col, _)))) => format!("{} directory pages read (key run of index column {})", f.dir_pages, col + 2),
                Some((true, None)) => format!("{} directory pages read (sorted by the first attribute column)", f.dir_pages),
                _ => format!("{} directory pages read", f.dir_pages),
            };
            out.push_str(&format!(", {pages}"));
        }
        out
    }
}
