//! VACUUM of an hnsw index, in four passes over the pages (each with VACUUM's buffer ring,
//! interruptible, with cost-based delay):
//!
//! 1. **Mark.** Dead heap TIDs leave their elements; an element left without rows is marked
//!    deleted (it stays in the graph for now, so searches still pass through it). Elements
//!    outside the graph are removed at once (nothing links to them).
//! 2. **Repair.** After waiting for inserts that may have chosen a deleted node as a
//!    neighbour, the entry point moves off a deleted node, and every live node that links to
//!    a deleted one gets new lists: a fresh neighbour search from the entry point plus its
//!    surviving neighbours and its deleted neighbours' neighbours, with the selection
//!    heuristic, and reverse links like an insert's.
//! 3. **Reach.** A walk from the entry point finds live nodes nothing reaches any more (many
//!    deletions around them, or pruning); each is linked from nodes the walk reaches.
//! 4. **Free.** Deleted nodes, now unreferenced by live ones, are removed from their pages and
//!    their overflow pages put on the free list; the pages' free space goes to the free space
//!    map, where inserts find it.
//!
//! Memory stays within maintenance_work_mem: the deleted set is capped (nodes beyond the cap
//! stay marked and are handled by the next VACUUM), the reachability walk uses a bitmap and a
//! bounded queue. Inserts are only held off for the moments the update lock is taken
//! exclusively (to wait for in-flight inserts, and to move the entry point).

use super::graph::{read_meta, DiskGraph, META_BLOCK};
use super::layout::{node_blk, node_id, node_off, Node, NodeLayout, KIND_NODES};
use super::spec::IndexSpec;
use super::write;
use crate::am::common::page::{self, fsm, Buf, Lock, Wal};
use crate::am::common::vacuum::{self as common_vacuum, budget, pause, result_or_new};
use pgrx::prelude::*;
use quiver_core::hnsw::{merge_list, plan_insert_with, HashVisited, IdBuildHasher, InsertOpts, NodeId};
use quiver_core::metric::index_distance;
use std::collections::HashMap;

/// What the mark pass found.
#[derive(Default)]
struct Marked {
    /// Deleted graph nodes (sorted), capped by the memory budget.
    deleted: Vec<u64>,
    live_tids: u64,
    removed_tids: u64,
    /// The live graph node on the highest level, as (level, id).
    best: Option<(usize, u64)>,
}

impl Marked {
    fn is_deleted(&self, id: u64) -> bool {
        self.deleted.binary_search(&id).is_ok()
    }
}

/// Pass 1. `dead(tid)` says whether a heap row is gone (None: count only, remove nothing).
fn mark(index: pg_sys::Relation, strategy: pg_sys::BufferAccessStrategy, layout: NodeLayout, mut dead: Option<&mut dyn FnMut((u32, u16)) -> bool>) -> Marked {
    let mut out = Marked::default();
    let cap = budget() / 16;
    let mut removed_items = 0u64;
    for blk in 1..page::nblocks(index) {
        pause();
        let lock = if dead.is_some() { Lock::Exclusive } else { Lock::Share };
        let buf = Buf::read_with(index, pg_sys::ForkNumber::MAIN_FORKNUM, blk, lock, strategy);
        if page::page_kind(buf.page()) != KIND_NODES {
            continue;
        }
        // (offset, whether the element is left without rows)
        let mut changes: Vec<(u16, bool)> = Vec::new();
        for off in 1..=page::max_offset(buf.page()) {
            let Some(bytes) = (unsafe { page::item(buf.page(), off) }) else { continue };
            let node = Node { bytes, layout };
            let id = node_id(blk, off);
            if node.is_deleted() {
                if out.deleted.len() < cap {
                    out.deleted.push(id);
                }
                continue;
            }
            let gone = match dead.as_deref_mut() {
                Some(f) => node.tids().filter(|&t| f(t)).count(),
                None => 0,
            };
            out.removed_tids += gone as u64;
            out.live_tids += (node.tid_count() - gone) as u64;
            let empty = gone > 0 && gone == node.tid_count();
            if gone > 0 {
                changes.push((off, empty));
            }
            if !empty && !node.is_outside() && out.best.is_none_or(|(l, _)| node.level() > l) {
                out.best = Some((node.level(), id));
            }
            if empty && !node.is_outside() && out.deleted.len() < cap {
                out.deleted.push(id);
            }
        }
        if changes.is_empty() {
            continue;
        }
        let mut wal = Wal::start(index);
        let p = wal.register(&buf, false);
        let mut freed = false;
        // offsets descending, so removing an item never moves one still to be changed
        for &(off, empty) in changes.iter().rev() {
            let Some(bytes) = (unsafe { page::item(p, off) }) else { continue };
            let mut node = Node { bytes, layout };
            if empty && node.is_outside() {
                page::delete_item(p, off);
                removed_items += 1;
                freed = true;
                continue;
            }
            if let Some(f) = dead.as_deref_mut() {
                node.retain_tids(|t| !f(t));
            }
            if empty {
                node.set_deleted();
            }
        }
        wal.finish();
        if freed {
            fsm::record(index, blk, page::free_space(buf.page()));
        }
    }
    out.deleted.sort_unstable();
    if removed_items > 0 {
        write::update_meta(index, |m| m.nodes = m.nodes.saturating_sub(removed_items));
    }
    out
}

/// Wait until every insert that started before now has finished (inserts hold the update lock
/// in share mode for their whole duration).
fn wait_for_inserts(index: pg_sys::Relation) {
    unsafe {
        pg_sys::LockPage(index, META_BLOCK, pg_sys::ExclusiveLock as pg_sys::LOCKMODE);
        pg_sys::UnlockPage(index, META_BLOCK, pg_sys::ExclusiveLock as pg_sys::LOCKMODE);
    }
}

/// Move the entry point off a deleted node, to the highest live one.
fn repair_entry(index: pg_sys::Relation, marked: &Marked) {
    unsafe { pg_sys::LockPage(index, META_BLOCK, pg_sys::ExclusiveLock as pg_sys::LOCKMODE) };
    let meta = read_meta(index);
    if meta.has_entry != 0 && marked.is_deleted(meta.entry) {
        write::update_meta(index, |m| match marked.best {
            Some((level, id)) => {
                m.entry = id;
                m.entry_level = level as u32;
            }
            None => m.has_entry = 0,
        });
    }
    unsafe { pg_sys::UnlockPage(index, META_BLOCK, pg_sys::ExclusiveLock as pg_sys::LOCKMODE) };
}

/// The lists of node `id` at every level, if it is a live graph node of level `level`.
fn lists_of(graph: &DiskGraph, id: u64, level: usize) -> Option<Vec<Vec<u64>>> {
    graph.with_node(id, |n| (!n.is_deleted() && !n.is_outside() && n.level() == level).then(|| n.all_neighbors())).flatten()
}

/// What `pick` returns for each live graph node of page `blk` (read through VACUUM's buffer
/// ring under a share lock, released before the caller works on the result).
fn live_nodes_of<T>(index: pg_sys::Relation, strategy: pg_sys::BufferAccessStrategy, blk: u32, layout: NodeLayout, mut pick: impl FnMut(u64, &Node) -> Option<T>) -> Vec<T> {
    let buf = Buf::read_with(index, pg_sys::ForkNumber::MAIN_FORKNUM, blk, Lock::Share, strategy);
    if page::page_kind(buf.page()) != KIND_NODES {
        return Vec::new();
    }
    let mut out = Vec::new();
    for off in 1..=page::max_offset(buf.page()) {
        let Some(bytes) = (unsafe { page::item(buf.page(), off) }) else { continue };
        let node = Node { bytes, layout };
        if !node.is_deleted() && !node.is_outside() {
            out.extend(pick(node_id(blk, off), &node));
        }
    }
    out
}

/// Give node `id` (level `level`) new lists found by a search from the entry point (plus
/// `extra` candidates per level), never choosing excluded nodes, and link it from its new
/// neighbours. Links other sessions added while the search ran are kept; excluded nodes
/// leave its lists in any case. Returns whether the node was relinked.
fn relink(graph: &DiskGraph, id: u64, level: usize, extra: Option<&[Vec<u64>]>, excluded: &dyn Fn(u64) -> bool) -> bool {
    let index = graph.index;
    let spec = graph.spec;
    let layout = spec.layout;
    let Some(seen) = lists_of(graph, id, level) else { return false };
    let payload = graph.payload(id);
    if payload.is_empty() {
        return false;
    }
    let (kind, metric) = (spec.kind, spec.metric);
    let mut dist_to = |x: u64| if x == id { 0.0 } else { graph.distance(x, &payload) };
    let mut cache: HashMap<u64, Vec<u8>, IdBuildHasher> = HashMap::default();
    let mut pair_dist = |a: u64, b: u64| -> f32 {
        for x in [a, b] {
            if !cache.contains_key(&x) {
                let p = graph.payload(x);
                cache.insert(x, p);
            }
        }
        index_distance(kind, metric, &cache[&a], &cache[&b])
    };
    let exclude = |x: u64| excluded(x) || graph.is_deleted_seen(x);
    let opts = InsertOpts { exclude: Some(&exclude), extra };
    let mut visited = HashVisited::new();
    let plan = plan_insert_with(graph, id, level, &spec.params, &mut dist_to, &mut pair_dist, &mut visited, &opts);
    let buf = Buf::read(index, node_blk(id), Lock::Exclusive);
    {
        let Some(bytes) = (unsafe { page::item(buf.page(), node_off(id)) }) else { return false };
        let node = Node { bytes, layout };
        if node.is_deleted() || node.is_outside() || node.level() != level {
            return false;
        }
    }
    let mut wal = Wal::start(index);
    let p = wal.register(&buf, false);
    if let Some(bytes) = unsafe { page::item(p, node_off(id)) } {
        let mut node = Node { bytes, layout };
        let mut current = Vec::new();
        for l in 0..=level {
            current.clear();
            node.neighbors(l, &mut current);
            let planned = plan.new_neighbors.get(l).filter(|list| !list.is_empty());
            let mut list: Vec<u64> = match planned {
                Some(list) => list.iter().map(|c| c.id).collect(),
                // nothing found at this level: keep what survives
                None => seen[l].iter().copied().filter(|&x| !exclude(x)).collect(),
            };
            // links added by concurrent inserts since the lists were read
            for &x in &current {
                if !seen[l].contains(&x) && !exclude(x) && !list.contains(&x) && list.len() < layout.capacity(l) {
                    list.push(x);
                }
            }
            node.set_neighbors(l, &list);
        }
    }
    wal.finish();
    drop(buf);
    let changes = plan.updates.into_iter().map(|u| (u.node, u.level, (u.seen, u.list))).collect();
    write::rewrite_neighbor_lists(index, layout, changes, |current, level, (seen, planned)| {
        merge_list(seen, planned, current, id, layout.capacity(level))
    });
    true
}

/// Pass 2: every live node linking to a deleted one gets new lists.
fn repair(index: pg_sys::Relation, strategy: pg_sys::BufferAccessStrategy, spec: IndexSpec, marked: &Marked) {
    let graph = DiskGraph::open(index, spec).track_deleted();
    let layout = spec.layout;
    let excluded = |x: u64| marked.is_deleted(x);
    for blk in 1..page::nblocks(index) {
        pause();
        // the nodes that link to a deleted one, with their lists
        let todo = live_nodes_of(index, strategy, blk, layout, |id, node| {
            let lists = node.all_neighbors();
            lists.iter().flatten().any(|x| marked.is_deleted(*x)).then(|| (id, node.level(), lists))
        });
        for (id, level, lists) in todo {
            pgrx::check_for_interrupts!();
            // candidates: surviving neighbours, and the neighbours of deleted ones (two hops)
            let extra: Vec<Vec<u64>> = lists
                .iter()
                .enumerate()
                .map(|(l, list)| {
                    let mut c: Vec<u64> = Vec::new();
                    for &x in list {
                        if marked.is_deleted(x) {
                            graph.neighbors_into(x, l, &mut c);
                        } else {
                            c.push(x);
                        }
                    }
                    c.retain(|&x| x != id && !marked.is_deleted(x));
                    c.sort_unstable();
                    c.dedup();
                    c
                })
                .collect();
            relink(&graph, id, level, Some(&extra), &excluded);
        }
    }
}

/// A set of node ids as bits (offsets below 512 per block).
struct NodeBits {
    bits: Vec<u64>,
}

const OFFSETS_PER_BLOCK: usize = 512;

impl NodeBits {
    fn new(nblocks: u32) -> NodeBits {
        NodeBits { bits: vec![0; (nblocks as usize * OFFSETS_PER_BLOCK).div_ceil(64)] }
    }

    fn bytes_for(nblocks: u32) -> usize {
        (nblocks as usize * OFFSETS_PER_BLOCK).div_ceil(8)
    }

    fn slot(id: u64) -> Option<usize> {
        let off = node_off(id) as usize;
        (off < OFFSETS_PER_BLOCK).then(|| node_blk(id) as usize * OFFSETS_PER_BLOCK + off)
    }

    /// Set the bit; true if it was clear (false too for ids outside the set's range).
    fn insert(&mut self, id: u64) -> bool {
        let Some(i) = Self::slot(id) else { return false };
        let Some(w) = self.bits.get_mut(i / 64) else { return false };
        let was = *w & (1 << (i % 64)) != 0;
        *w |= 1 << (i % 64);
        !was
    }

    fn contains(&self, id: u64) -> bool {
        Self::slot(id).and_then(|i| self.bits.get(i / 64).map(|w| w & (1 << (i % 64)) != 0)).unwrap_or(false)
    }
}

/// Walk the level-0 graph from `start` (where every search ends up, and an iterative scan
/// walks), marking every live node reached in `reached`. The queue is bounded: nodes beyond it
/// are kept in `pending` and walked from once the queue drains.
fn walk(graph: &DiskGraph, start: u64, reached: &mut NodeBits, pending: &mut NodeBits, queue_cap: usize, excluded: &dyn Fn(u64) -> bool) {
    let mut queue: Vec<u64> = Vec::new();
    let mut overflowed = false;
    if reached.insert(start) {
        queue.push(start);
    }
    let mut buf: Vec<u64> = Vec::new();
    let mut steps = 0usize;
    loop {
        while let Some(x) = queue.pop() {
            let live = graph.with_node(x, |n| !n.is_deleted() && !n.is_outside());
            if live != Some(true) {
                continue;
            }
            buf.clear();
            graph.neighbors_into(x, 0, &mut buf);
            for &y in &buf {
                if excluded(y) || !reached.insert(y) {
                    continue;
                }
                if queue.len() < queue_cap {
                    queue.push(y);
                } else {
                    pending.insert(y);
                    overflowed = true;
                }
            }
            steps += 1;
            if steps % 1024 == 0 {
                pgrx::check_for_interrupts!();
            }
        }
        if !overflowed {
            return;
        }
        // refill the queue from the pending bits
        overflowed = false;
        for (w, word) in pending.bits.iter_mut().enumerate() {
            while *word != 0 && queue.len() < queue_cap {
                let b = word.trailing_zeros() as usize;
                *word &= !(1 << b);
                let i = w * 64 + b;
                queue.push(node_id((i / OFFSETS_PER_BLOCK) as u32, (i % OFFSETS_PER_BLOCK) as u16));
            }
            if queue.len() >= queue_cap {
                overflowed = true;
                break;
            }
        }
        if queue.is_empty() {
            return;
        }
    }
}

/// Pass 3: give every live node the entry point cannot reach at level 0 an incoming link from
/// the nearest node it can reach. When that node's list is full, its farthest member makes
/// room (and is linked in turn if that strands it: up to three rounds). Returns how many
/// nodes were linked.
fn reach(index: pg_sys::Relation, strategy: pg_sys::BufferAccessStrategy, spec: IndexSpec, marked: &Marked) -> usize {
    let nblocks = page::nblocks(index);
    let limit = budget();
    if 2 * NodeBits::bytes_for(nblocks) > limit / 2 {
        pgrx::debug1!("hnsw vacuum: reachability pass skipped (index too large for maintenance_work_mem)");
        return 0;
    }
    let graph = DiskGraph::open(index, spec).track_deleted();
    let Some((entry, _)) = graph.entry else { return 0 };
    let excluded = |x: u64| marked.is_deleted(x);
    let layout = spec.layout;
    let queue_cap = (limit / 2 / 8).max(1024);
    let mut fixed = 0;
    for _round in 0..3 {
        let mut reached = NodeBits::new(nblocks);
        let mut pending = NodeBits::new(nblocks);
        walk(&graph, entry, &mut reached, &mut pending, queue_cap, &excluded);
        let mut fixed_now = 0;
        for blk in 1..nblocks {
            pause();
            let todo = live_nodes_of(index, strategy, blk, layout, |id, _| {
                (!reached.contains(id) && (node_off(id) as usize) < OFFSETS_PER_BLOCK).then_some(id)
            });
            for id in todo {
                pgrx::check_for_interrupts!();
                if reached.contains(id) {
                    continue; // reached through a node linked earlier in this pass
                }
                if link_from_reached(&graph, id, &reached, &excluded) {
                    fixed_now += 1;
                    walk(&graph, id, &mut reached, &mut pending, queue_cap, &excluded);
                }
            }
        }
        fixed += fixed_now;
        if fixed_now == 0 {
            break;
        }
    }
    fixed
}

/// Add `id` to the level-0 list of the nearest node in `reached` (found by a search from the
/// entry point; the entry point itself if the search finds none). Returns whether it did.
fn link_from_reached(graph: &DiskGraph, id: u64, reached: &NodeBits, excluded: &dyn Fn(u64) -> bool) -> bool {
    let spec = graph.spec;
    let payload = graph.payload(id);
    if payload.is_empty() {
        return false;
    }
    let ef = spec.params.ef_construction.max(16);
    let mut dist = |x: u64| graph.distance(x, &payload);
    let mut visited = HashVisited::new();
    let found = quiver_core::hnsw::search(graph, ef, ef, &mut dist, &mut visited);
    let host = found
        .iter()
        .map(|c| c.id)
        .find(|&x| x != id && reached.contains(x) && !excluded(x) && !graph.is_deleted_seen(x))
        .or(graph.entry.map(|e| e.0).filter(|&e| e != id));
    let Some(host) = host else { return false };
    let Some(mut current) = lists_of(graph, host, graph.with_node(host, |n| n.level()).unwrap_or(0)).map(|l| l[0].clone()) else {
        return false;
    };
    let cap = spec.layout.capacity(0);
    if current.contains(&id) {
        return true;
    }
    // room for it: drop the member farthest from the host when the list is full
    let seen = current.clone();
    if current.len() >= cap {
        let host_payload = graph.payload(host);
        let (kind, metric) = (spec.kind, spec.metric);
        let far = current
            .iter()
            .enumerate()
            .map(|(i, &x)| (i, index_distance(kind, metric, &host_payload, &graph.payload(x))))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i);
        if let Some(i) = far {
            current.swap_remove(i);
        }
    }
    current.push(id);
    let mut written = false;
    write::rewrite_neighbor_lists(graph.index, spec.layout, vec![(host, 0, ())], |now, _, _| {
        // only if the list did not change meanwhile (else a later VACUUM retries)
        (now == seen.as_slice()).then(|| {
            written = true;
            current.clone()
        })
    });
    written
}

/// Remove the attribute directory entries of the deleted nodes of `marked`, before their
/// items are freed (until then no insert can reuse their ids, so no entry of a new node is
/// taken for an old one's).
fn prune_directory(index: pg_sys::Relation, strategy: pg_sys::BufferAccessStrategy, marked: &Marked) {
    if marked.deleted.is_empty() {
        return;
    }
    let head = super::graph::read_meta(index).attrs_head;
    let mut pages = super::graph::DirectoryPages::from(index, head);
    loop {
        pause();
        // a damaged chain ends the pruning (index_check reports it)
        let Ok(Some(buf)) = pages.next(Lock::Exclusive, strategy) else { break };
        let offs: Vec<u16> = (1..=page::max_offset(buf.page()))
            .filter(|&off| {
                unsafe { page::item(buf.page(), off) }
                    .and_then(|item| super::layout::dir_entry(item))
                    .is_some_and(|(id, _)| marked.deleted.binary_search(&id).is_ok())
            })
            .collect();
        if !offs.is_empty() {
            let mut wal = Wal::start(index);
            let p = wal.register(&buf, false);
            for &off in offs.iter().rev() {
                page::delete_item(p, off);
            }
            wal.finish();
        }
    }
}

/// Pass 4: remove the deleted nodes of `marked` from their pages, free their overflow chains,
/// record the pages' free space.
fn free(index: pg_sys::Relation, strategy: pg_sys::BufferAccessStrategy, layout: NodeLayout, marked: &Marked) {
    prune_directory(index, strategy, marked);
    let mut removed = 0u64;
    for page_ids in marked.deleted.chunk_by(|a, b| node_blk(*a) == node_blk(*b)) {
        pause();
        let blk = node_blk(page_ids[0]);
        if blk == META_BLOCK || blk >= page::nblocks(index) {
            continue;
        }
        let buf = Buf::read_with(index, pg_sys::ForkNumber::MAIN_FORKNUM, blk, Lock::Exclusive, strategy);
        if page::page_kind(buf.page()) != KIND_NODES {
            continue;
        }
        let mut chains = Vec::new();
        let mut offs = Vec::new();
        for &id in page_ids {
            let Some(bytes) = (unsafe { page::item(buf.page(), node_off(id)) }) else { continue };
            let node = Node { bytes, layout };
            if !node.is_deleted() {
                continue;
            }
            if let Some(first) = node.overflow_block() {
                chains.push((first, node.payload_len()));
            }
            offs.push(node_off(id));
        }
        if offs.is_empty() {
            continue;
        }
        let mut wal = Wal::start(index);
        let p = wal.register(&buf, false);
        for &off in offs.iter().rev() {
            page::delete_item(p, off);
        }
        wal.finish();
        removed += offs.len() as u64;
        fsm::record(index, blk, page::free_space(buf.page()));
        for (first, len) in chains {
            write::free_overflow_chain(index, first, len.div_ceil(write::CHUNK) + 1);
        }
    }
    if removed > 0 {
        write::update_meta(index, |m| m.nodes = m.nodes.saturating_sub(removed));
    }
    fsm::vacuum(index);
}

#[pg_guard]
pub unsafe extern "C-unwind" fn ambulkdelete(
    info: *mut pg_sys::IndexVacuumInfo,
    stats: *mut pg_sys::IndexBulkDeleteResult,
    callback: pg_sys::IndexBulkDeleteCallback,
    callback_state: *mut std::ffi::c_void,
) -> *mut pg_sys::IndexBulkDeleteResult {
    crate::jobs::metrics::timed_maintenance(unsafe { (*info).index }, true, || unsafe {
        let stats = result_or_new(stats);
        let index = (*info).index;
        let strategy = (*info).strategy;
        let Some(cb) = callback else { return stats };
        let spec = IndexSpec::of(index);
        let mut dead = |t: (u32, u16)| common_vacuum::is_dead(Some(cb), callback_state, t);
        let marked = mark(index, strategy, spec.layout, Some(&mut dead));
        (*stats).tuples_removed += marked.removed_tids as f64;
        (*stats).num_index_tuples = marked.live_tids as f64;
        unlink_deleted(index, strategy, spec, &marked);
        stats
    })
}

/// Passes 2-4 for the deleted nodes of `marked` (nothing when there are none).
fn unlink_deleted(index: pg_sys::Relation, strategy: pg_sys::BufferAccessStrategy, spec: IndexSpec, marked: &Marked) {
    if marked.deleted.is_empty() {
        fsm::vacuum(index);
        return;
    }
    // inserts that began before the marks may have picked a deleted node as a neighbour
    wait_for_inserts(index);
    repair_entry(index, marked);
    repair(index, strategy, spec, marked);
    let unreachable = reach(index, strategy, spec, marked);
    if unreachable > 0 {
        pgrx::debug1!("hnsw vacuum: linked {unreachable} unreachable nodes");
    }
    free(index, strategy, spec.layout, marked);
}

#[pg_guard]
pub unsafe extern "C-unwind" fn amvacuumcleanup(
    info: *mut pg_sys::IndexVacuumInfo,
    stats: *mut pg_sys::IndexBulkDeleteResult,
) -> *mut pg_sys::IndexBulkDeleteResult {
    crate::jobs::metrics::timed_maintenance(unsafe { (*info).index }, false, || unsafe {
        if (*info).analyze_only {
            return stats;
        }
        let index = (*info).index;
        let stats = if stats.is_null() {
            // No bulk delete ran (no dead rows): count, and finish what an earlier VACUUM left
            // (deleted nodes beyond its memory budget, or one cancelled part-way).
            let s = result_or_new(stats);
            let spec = IndexSpec::of(index);
            let marked = mark(index, (*info).strategy, spec.layout, None);
            (*s).num_index_tuples = marked.live_tids as f64;
            unlink_deleted(index, (*info).strategy, spec, &marked);
            s
        } else {
            stats
        };
        (*stats).num_pages = page::nblocks(index);
        (*stats).estimated_count = false;
        stats
    })
}

impl DiskGraph {
    /// Append `node`'s neighbours at `level` to `out`.
    pub fn neighbors_into(&self, node: NodeId, level: usize, out: &mut Vec<NodeId>) {
        self.with_node(node, |n| n.neighbors(level, out));
    }
}
