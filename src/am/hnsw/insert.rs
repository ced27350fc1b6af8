//! INSERT into an indexed table: place the new node, link it into the graph (quiver-core's
//! insert plan computed against the on-page graph), then update the entry point.
//!
//! A row whose vector (and attribute columns) equal an existing element's byte for byte joins that element (its heap
//! TID is added there) instead of becoming a new node. NULL vectors, and vectors without a
//! distance under the metric, become elements outside the graph.
//!
//! Concurrency: inserts hold a share lock on the index's update lock (a heavyweight lock on
//! the meta block) and run side by side; each reverse-link change is merged under the page
//! lock with what other inserts wrote since it was planned. An insert that becomes the new
//! entry point (or the first node) takes the lock exclusively, as does VACUUM while it moves
//! the entry point, so the entry point only changes while no other insert is planning against
//! it. VACUUM also takes and releases the lock exclusively after marking nodes deleted, so
//! that every insert that may have chosen one of them as a neighbour has finished; inserts
//! never choose deleted nodes.

use super::graph::{DiskGraph, META_BLOCK};
use super::layout::{HeapTid, NewNode, Node};
use super::spec::IndexSpec;
use super::write;
use crate::am::common::attrs::AttrColumns;
use crate::am::common::payload::{self, Detoaster};
use pgrx::prelude::*;
use quiver_core::hnsw::{merge_list, plan_insert_with, HashVisited, IdBuildHasher, InsertOpts};
use quiver_core::metric::index_distance;
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// Pseudo-random number in (0, 1] for the new node's level.
fn uniform(seed: u64) -> f64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    ((z >> 11) as f64 + 1.0) / (1u64 << 53) as f64
}

#[pg_guard]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C-unwind" fn aminsert(
    index: pg_sys::Relation,
    values: *mut pg_sys::Datum,
    isnull: *mut bool,
    heap_tid: pg_sys::ItemPointer,
    _heap: pg_sys::Relation,
    _check_unique: pg_sys::IndexUniqueCheck::Type,
    _index_unchanged: bool,
    _index_info: *mut pg_sys::IndexInfo,
) -> bool {
    unsafe {
        let spec = IndexSpec::of(index);
        let tid = payload::heap_tid(&*heap_tid);
        let attrs = AttrColumns::of(index, "hnsw").encode(values, isnull);
        if *isnull {
            insert_row(index, &spec, None, tid, &attrs);
        } else {
            Detoaster::new().with(*values, |p| insert_row(index, &spec, Some(p), tid, &attrs));
        }
    }
    crate::jobs::metrics::inserted(index);
    false
}

/// Stand-in id of the node being inserted while its links are planned (no real node id has
/// all bits set: block numbers are below InvalidBlockNumber).
const PENDING: u64 = u64::MAX;

/// Heap TID slots of a new element whose vector already has elements, all full: room for the
/// copies still to come, so that many copies make few graph nodes.
const DUPLICATE_SLOTS: usize = 32;

/// Insert one heap row (`None`: a NULL vector) with its attribute blob.
pub fn insert_row(index: pg_sys::Relation, spec: &IndexSpec, payload: Option<&[u8]>, tid: HeapTid, attrs: &[u8]) {
    match payload {
        Some(p) if payload::orderable(spec.kind, spec.metric, p) => {
            payload::check_query_dims(spec.kind, spec.dims, p);
            insert_vector(index, spec, p, tid, attrs)
        }
        _ => insert_outside(index, spec, tid, payload.is_none(), attrs),
    }
}

/// A row the graph cannot order: an element outside the graph.
fn insert_outside(index: pg_sys::Relation, spec: &IndexSpec, tid: HeapTid, null: bool, attrs: &[u8]) {
    let tids = [tid];
    let new = NewNode { tids: &tids, tid_slots: 1, level: 0, payload: None, overflow_blk: None, null, attrs };
    let mut item = vec![0u8; new.size(&spec.layout)];
    Node::init(&mut item, spec.layout, &new);
    write::place_node(index, &item, None, |m, _| m.nodes += 1);
}

fn insert_vector(index: pg_sys::Relation, spec: &IndexSpec, payload: &[u8], heap: HeapTid, attrs: &[u8]) {
    let layout = spec.layout;
    let mut lock_mode = pg_sys::ShareLock as pg_sys::LOCKMODE;
    unsafe { pg_sys::LockPage(index, META_BLOCK, lock_mode) };
    let mut meta = super::graph::read_meta(index);

    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let seed = nanos ^ ((heap.0 as u64) << 16 | heap.1 as u64) ^ meta.nodes.rotate_left(17);
    let level = spec.params.level_for(uniform(seed));
    if meta.has_entry == 0 || level > meta.entry_level as usize {
        // this node becomes the entry point: wait until no other insert is planning
        unsafe {
            pg_sys::UnlockPage(index, META_BLOCK, lock_mode);
            lock_mode = pg_sys::ExclusiveLock as pg_sys::LOCKMODE;
            pg_sys::LockPage(index, META_BLOCK, lock_mode);
        }
        meta = super::graph::read_meta(index);
    }

    // 1. plan the links against the current graph, with a placeholder id for the node not
    //    yet on a page (the entry point cannot change under our lock; lists can)
    let graph = DiskGraph::open_with_meta(index, *spec, &meta).track_deleted();
    let (kind, metric) = (spec.kind, spec.metric);
    let mut dist_to_new = |id: u64| if id == PENDING { 0.0 } else { graph.distance(id, payload) };
    // Pruning a full neighbour list compares its members pairwise: keep their payloads.
    let mut cache: HashMap<u64, Vec<u8>, IdBuildHasher> = HashMap::default();
    let mut pair_dist = |a: u64, b: u64| -> f32 {
        if a == PENDING {
            graph.distance(b, payload)
        } else if b == PENDING {
            graph.distance(a, payload)
        } else {
            if !cache.contains_key(&a) {
                cache.insert(a, graph.payload(a));
            }
            if !cache.contains_key(&b) {
                cache.insert(b, graph.payload(b));
            }
            index_distance(kind, metric, &cache[&a], &cache[&b])
        }
    };
    let mut visited = HashVisited::new();
    let exclude = |id: u64| graph.is_deleted_seen(id);
    let opts = InsertOpts { exclude: Some(&exclude), extra: None };
    let plan = (meta.has_entry != 0)
        .then(|| plan_insert_with(&graph, PENDING, level, &spec.params, &mut dist_to_new, &mut pair_dist, &mut visited, &opts));

    // 2. a duplicate of an existing element joins it (an identical vector is at exactly the
    //    distance the kernel computes from the vector to itself: 0, or -|v|² for inner product)
    //    in a free slot or by growing in place; when every copy is full, the new element
    //    reserves room for the copies still to come
    let mut tid_slots = 1;
    if let Some(plan) = &plan {
        let self_dist = index_distance(kind, metric, payload, payload);
        let twins: Vec<u64> = plan.nearest.iter().filter(|c| c.dist == self_dist && !graph.is_deleted_seen(c.id)).map(|c| c.id).collect();
        for &id in &twins {
            if graph.payload(id) == payload {
                if write::add_duplicate_tid(index, layout, id, payload, attrs, heap) {
                    unsafe { pg_sys::UnlockPage(index, META_BLOCK, lock_mode) };
                    return;
                }
                // (rows of multi-column indexes share elements only with equal attributes too,
                // which twins of the vector need not have)
                if attrs.is_empty() {
                    tid_slots = DUPLICATE_SLOTS;
                }
            }
        }
    }
    let new_entry = plan.as_ref().is_none_or(|p| p.new_entry);

    // 3. the node with its own links, and the meta page (count, entry point), in one WAL record
    let overflow = write::needs_overflow(&layout, tid_slots, level, payload.len(), attrs.len());
    let overflow_blk = overflow.then(|| write::write_overflow(index, payload));
    let tids = [heap];
    let new = NewNode { tids: &tids, tid_slots, level, payload: Some(payload), overflow_blk, null: false, attrs };
    let mut item = vec![0u8; new.size(&layout)];
    let mut node = Node::init(&mut item, layout, &new);
    if let Some(plan) = &plan {
        for (l, list) in plan.new_neighbors.iter().enumerate() {
            node.set_neighbors(l, &list.iter().map(|c| c.id).collect::<Vec<_>>());
        }
    }
    let new_id = write::place_node(index, &item, (!attrs.is_empty()).then_some(attrs), |m, id| {
        if new_entry {
            m.entry = id;
            m.entry_level = level as u32;
            m.has_entry = 1;
        }
        m.nodes += 1;
    });

    // 4. reverse links from its neighbours (one WAL record per page). A crash part-way leaves
    //    a node of an uncommitted insert less reachable, never a dangling link.
    if let Some(plan) = plan {
        let changes = plan
            .updates
            .into_iter()
            .map(|u| {
                let planned: Vec<u64> = u.list.into_iter().map(|x| if x == PENDING { new_id } else { x }).collect();
                (u.node, u.level, (u.seen, planned))
            })
            .collect();
        // merged under the page lock with what concurrent inserts wrote since the plan
        write::rewrite_neighbor_lists(index, layout, changes, |current, level, (seen, planned)| {
            merge_list(seen, planned, current, new_id, layout.capacity(level))
        });
    }
    unsafe { pg_sys::UnlockPage(index, META_BLOCK, lock_mode) };
}
