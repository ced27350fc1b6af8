//! INSERT into an indexed table: place the new node, link it into the graph (quiver-core's
//! insert plan computed against the on-page graph), then update the entry point.
//! Inserts into one index are serialised by a heavyweight lock; scans run concurrently.

use super::graph::{DiskGraph, META_BLOCK};
use super::layout::Node;
use super::spec::IndexSpec;
use super::write;
use pgrx::prelude::*;
use quiver_core::hnsw::{plan_insert, HashVisited, IdBuildHasher};
use std::collections::HashMap;
use quiver_core::metric::index_distance;
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
        if *isnull {
            return false;
        }
        let payload = super::build::datum_payload(*values).to_vec();
        let t = &*heap_tid;
        let heap = (((t.ip_blkid.bi_hi as u32) << 16) | t.ip_blkid.bi_lo as u32, t.ip_posid);
        insert_payload(index, &payload, heap);
    }
    false
}

pub fn insert_payload(index: pg_sys::Relation, payload: &[u8], heap: (u32, u16)) {
    let spec = IndexSpec::of(index);
    let layout = spec.layout;
    unsafe { pg_sys::LockPage(index, META_BLOCK, pg_sys::ExclusiveLock as pg_sys::LOCKMODE) };
    let meta = super::graph::read_meta(index);

    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let seed = nanos ^ ((heap.0 as u64) << 16 | heap.1 as u64) ^ meta.nodes.rotate_left(17);
    let level = spec.params.level_for(uniform(seed));

    // 1. the node itself, with empty neighbour lists (unreachable until linked)
    let overflow = write::needs_overflow(&layout, level, payload.len());
    let overflow_blk = overflow.then(|| write::write_overflow(index, payload));
    let mut item = vec![0u8; layout.item_size(level, payload.len(), overflow)];
    Node::init(&mut item, layout, heap, level, payload, overflow_blk);
    let new_id = write::place_node(index, meta.insert_page, &item);

    // 2. its links, and the reverse links of its neighbours
    let graph = DiskGraph::open(index, spec);
    let (kind, metric) = (spec.kind, spec.metric);
    let mut dist_to_new = |id: u64| if id == new_id { 0.0 } else { graph.distance(id, payload) };
    // Pruning a full neighbour list compares its members pairwise: keep their payloads.
    let mut cache: HashMap<u64, Vec<u8>, IdBuildHasher> = HashMap::default();
    let mut pair_dist = |a: u64, b: u64| -> f32 {
        if a == new_id {
            graph.distance(b, payload)
        } else if b == new_id {
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
    let plan = if meta.has_entry != 0 {
        Some(plan_insert(&graph, new_id, level, &spec.params, &mut dist_to_new, &mut pair_dist, &mut visited))
    } else {
        None
    };
    let mut updates = Vec::new();
    if let Some(plan) = &plan {
        for (l, list) in plan.new_neighbors.iter().enumerate() {
            updates.push((new_id, l, list.iter().map(|c| c.id).collect::<Vec<_>>()));
        }
        updates.extend(plan.updates.iter().cloned());
    }
    write::set_neighbor_lists(index, layout, updates);

    // 3. the meta page: entry point, insert page, count
    let new_entry = meta.has_entry == 0 || plan.as_ref().is_some_and(|p| p.new_entry);
    write::update_meta(index, |m| {
        if new_entry {
            m.entry = new_id;
            m.entry_level = level as u32;
            m.has_entry = 1;
        }
        m.insert_page = super::layout::node_blk(new_id);
        m.nodes += 1;
    });
    unsafe { pg_sys::UnlockPage(index, META_BLOCK, pg_sys::ExclusiveLock as pg_sys::LOCKMODE) };
}
