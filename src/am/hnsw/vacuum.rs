//! VACUUM: mark nodes whose heap rows are dead as deleted, then repair the graph: every live
//! neighbour list that points at a deleted node is re-selected from its live neighbours and the
//! deleted node's own neighbours, and a deleted entry point is replaced. Deleted nodes are then
//! no longer referenced by live ones (their space is not reused yet).

use super::graph::{read_meta, DiskGraph, META_BLOCK};
use super::layout::{Node, KIND_NODES};
use super::spec::IndexSpec;
use super::write;
use quiver_core::hnsw::{select_neighbors, Candidate, IdBuildHasher};
use quiver_core::metric::index_distance;
use std::collections::HashMap;
use crate::am::page::{self, Buf, Lock, Wal};
use pgrx::prelude::*;

fn result_or_new(stats: *mut pg_sys::IndexBulkDeleteResult) -> *mut pg_sys::IndexBulkDeleteResult {
    if stats.is_null() {
        unsafe { pg_sys::palloc0(std::mem::size_of::<pg_sys::IndexBulkDeleteResult>()) as *mut _ }
    } else {
        stats
    }
}

/// Visit every node item; `f(node) -> true` marks it deleted. Returns (live, newly deleted).
fn sweep(index: pg_sys::Relation, mut dead: impl FnMut(&Node) -> bool) -> (u64, u64) {
    let layout = IndexSpec::of(index).layout;
    let (mut live, mut removed) = (0u64, 0u64);
    for blk in 1..page::nblocks(index) {
        let buf = Buf::read(index, blk, Lock::Exclusive);
        if page::page_kind(buf.page()) != KIND_NODES {
            continue;
        }
        let mut to_delete = Vec::new();
        for off in 1..=page::max_offset(buf.page()) {
            if let Some(bytes) = unsafe { page::item(buf.page(), off) } {
                let node = Node { bytes, layout };
                if node.is_deleted() {
                    continue;
                }
                if dead(&node) {
                    to_delete.push(off);
                } else {
                    live += 1;
                }
            }
        }
        if !to_delete.is_empty() {
            let mut wal = Wal::start(index);
            let p = wal.register(&buf, false);
            for off in &to_delete {
                if let Some(bytes) = unsafe { page::item(p, *off) } {
                    Node { bytes, layout }.set_deleted();
                }
            }
            wal.finish();
            removed += to_delete.len() as u64;
        }
        pgrx::check_for_interrupts!();
    }
    (live, removed)
}

#[pg_guard]
pub unsafe extern "C-unwind" fn ambulkdelete(
    info: *mut pg_sys::IndexVacuumInfo,
    stats: *mut pg_sys::IndexBulkDeleteResult,
    callback: pg_sys::IndexBulkDeleteCallback,
    callback_state: *mut std::ffi::c_void,
) -> *mut pg_sys::IndexBulkDeleteResult {
    unsafe {
        let stats = result_or_new(stats);
        let index = (*info).index;
        let Some(cb) = callback else { return stats };
        let (live, removed) = sweep(index, |node| {
            let (blk, off) = node.heap_tid();
            let mut tid = pg_sys::ItemPointerData::default();
            tid.ip_blkid.bi_hi = (blk >> 16) as u16;
            tid.ip_blkid.bi_lo = (blk & 0xffff) as u16;
            tid.ip_posid = off;
            cb(&mut tid, callback_state)
        });
        (*stats).tuples_removed += removed as f64;
        (*stats).num_index_tuples = live as f64;
        repair(index);
        stats
    }
}

#[pg_guard]
pub unsafe extern "C-unwind" fn amvacuumcleanup(
    info: *mut pg_sys::IndexVacuumInfo,
    stats: *mut pg_sys::IndexBulkDeleteResult,
) -> *mut pg_sys::IndexBulkDeleteResult {
    unsafe {
        if (*info).analyze_only {
            return stats;
        }
        let index = (*info).index;
        let stats = if stats.is_null() {
            let s = result_or_new(stats);
            let (live, _) = sweep(index, |_| false);
            (*s).num_index_tuples = live as f64;
            s
        } else {
            stats
        };
        (*stats).num_pages = page::nblocks(index);
        (*stats).estimated_count = false;
        stats
    }
}

/// Node lists read from the pages: per node, whether it is deleted and its lists per level.
type Lists = HashMap<u64, (bool, Vec<Vec<u64>>), IdBuildHasher>;

fn read_all_lists(index: pg_sys::Relation, spec: &IndexSpec) -> Lists {
    let mut all = Lists::default();
    for blk in 1..page::nblocks(index) {
        let buf = Buf::read(index, blk, Lock::Share);
        if page::page_kind(buf.page()) != KIND_NODES {
            continue;
        }
        for off in 1..=page::max_offset(buf.page()) {
            if let Some(bytes) = unsafe { page::item(buf.page(), off) } {
                let node = Node { bytes, layout: spec.layout };
                let lists = (0..=node.level())
                    .map(|l| {
                        let mut out = Vec::new();
                        node.neighbors(l, &mut out);
                        out
                    })
                    .collect();
                all.insert(super::layout::node_id(blk, off), (node.is_deleted(), lists));
            }
        }
        pgrx::check_for_interrupts!();
    }
    all
}

/// Unlink deleted nodes from the lists of live ones, and move the entry point off a deleted node.
fn repair(index: pg_sys::Relation) {
    let spec = IndexSpec::of(index);
    // Serialise with inserts so that the lists read here are still current when rewritten.
    unsafe { pg_sys::LockPage(index, META_BLOCK, pg_sys::ExclusiveLock as pg_sys::LOCKMODE) };
    let all = read_all_lists(index, &spec);
    let is_live = |id: &u64| all.get(id).is_some_and(|n| !n.0);
    let graph = DiskGraph::open(index, spec);
    let mut payloads: HashMap<u64, Vec<u8>, IdBuildHasher> = HashMap::default();
    let mut updates = Vec::new();
    for (&id, (deleted, lists)) in &all {
        if *deleted {
            continue;
        }
        for (level, list) in lists.iter().enumerate() {
            if list.iter().all(|n| is_live(n)) {
                continue;
            }
            // candidates: the live nodes within two hops (through live or deleted neighbours)
            let mut cands: Vec<u64> = Vec::new();
            for n in list {
                if is_live(n) {
                    cands.push(*n);
                }
                if let Some((_, nl)) = all.get(n) {
                    cands.extend(nl.get(level).into_iter().flatten().filter(|&&x| x != id && is_live(&x)));
                }
            }
            cands.sort_unstable();
            cands.dedup();
            for &c in cands.iter().chain(std::iter::once(&id)) {
                payloads.entry(c).or_insert_with(|| graph.payload(c));
            }
            let (kind, metric) = (spec.kind, spec.metric);
            let mut scored: Vec<Candidate> = cands
                .iter()
                .map(|&c| Candidate::new(index_distance(kind, metric, &payloads[&id], &payloads[&c]), c))
                .collect();
            scored.sort_by(|a, b| a.total_cmp(b));
            let mut pair = |a: u64, b: u64| index_distance(kind, metric, &payloads[&a], &payloads[&b]);
            let chosen = select_neighbors(&scored, spec.layout.capacity(level), &mut pair);
            updates.push((id, level, chosen.iter().map(|c| c.id).collect::<Vec<_>>()));
        }
    }
    write::rewrite_neighbor_lists(index, spec.layout, updates, |_, _, list: &Vec<u64>| Some(list.clone()));

    let meta = read_meta(index);
    if meta.has_entry != 0 && !is_live(&meta.entry) {
        // the live node on the highest level becomes the entry point (none: the index is empty)
        let best = all
            .iter()
            .filter(|(_, (deleted, _))| !deleted)
            .map(|(&id, (_, lists))| (lists.len() - 1, std::cmp::Reverse(id)))
            .max();
        write::update_meta(index, |m| match best {
            Some((level, std::cmp::Reverse(id))) => {
                m.entry = id;
                m.entry_level = level as u32;
            }
            None => m.has_entry = 0,
        });
    }
    unsafe { pg_sys::UnlockPage(index, META_BLOCK, pg_sys::ExclusiveLock as pg_sys::LOCKMODE) };
}
