//! `quiver.index_check(regclass)`: verify the structure of an hnsw index and list problems.

use super::graph::{read_meta, META_BLOCK};
use super::layout::{node_blk, node_off, Node, NodeLayout, KIND_META, KIND_NODES, KIND_OVERFLOW, MAGIC};
use crate::am::page::{self, Buf, Lock};
use pgrx::prelude::*;
use quiver_core::hnsw::MAX_LEVEL;
use std::collections::HashMap;

/// Levels of every node, and problems found while reading pages.
fn scan_nodes(index: pg_sys::Relation, layout: NodeLayout, problems: &mut Vec<String>) -> HashMap<u64, (usize, Vec<Vec<u64>>, bool)> {
    let mut nodes = HashMap::new();
    let n = page::nblocks(index);
    for blk in 1..n {
        let buf = Buf::read(index, blk, Lock::Share);
        match page::page_kind(buf.page()) {
            KIND_NODES => {
                for off in 1..=page::max_offset(buf.page()) {
                    let Some(bytes) = (unsafe { page::item(buf.page(), off) }) else { continue };
                    let node = Node { bytes, layout };
                    let id = super::layout::node_id(blk, off);
                    let level = node.level();
                    if level > MAX_LEVEL {
                        problems.push(format!("node ({blk},{off}) has level {level} above the maximum {MAX_LEVEL}"));
                        continue;
                    }
                    if node.bytes.len() < layout.payload_offset(level) {
                        problems.push(format!("node ({blk},{off}) is truncated"));
                        continue;
                    }
                    let mut lists = Vec::new();
                    for l in 0..=level {
                        let mut out = Vec::new();
                        node.neighbors(l, &mut out);
                        lists.push(out);
                    }
                    if let Some(first) = node.overflow_block() {
                        let got = super::graph::read_overflow(index, first, node.payload_len()).len();
                        if got != node.payload_len() {
                            problems.push(format!("node ({blk},{off}) overflow chain holds {got} of {} bytes", node.payload_len()));
                        }
                    } else if node.inline_payload().len() != node.payload_len() {
                        problems.push(format!("node ({blk},{off}) payload is truncated"));
                    }
                    let (hb, ho) = node.heap_tid();
                    if hb == pg_sys::InvalidBlockNumber || ho == 0 {
                        problems.push(format!("node ({blk},{off}) has an invalid heap TID"));
                    }
                    nodes.insert(id, (level, lists, node.is_deleted()));
                }
            }
            KIND_OVERFLOW => {}
            0 => {}
            k => problems.push(format!("block {blk} has unknown page kind {k:#x}")),
        }
    }
    nodes
}

#[pg_extern(sql = false)]
fn hnsw_index_check(index_oid: pg_sys::Oid, reachability: bool) -> SetOfIterator<'static, String> {
    let mut problems = Vec::new();
    let rel = unsafe { pg_sys::index_open(index_oid, pg_sys::AccessShareLock as pg_sys::LOCKMODE) };
    unsafe {
        let am = (*(*rel).rd_rel).relam;
        let name = pg_sys::get_am_name(am);
        if name.is_null() || std::ffi::CStr::from_ptr(name).to_bytes() != b"hnsw" {
            pg_sys::index_close(rel, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
            crate::error::raise_code(PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE, "index_check: not an hnsw index");
        }
    }
    {
        let buf = Buf::read(rel, META_BLOCK, Lock::Share);
        if page::page_kind(buf.page()) != KIND_META {
            problems.push("block 0 is not an hnsw meta page".to_string());
        }
    }
    if problems.is_empty() {
        let meta = read_meta(rel);
        if meta.magic != MAGIC {
            problems.push("bad magic number".into());
        }
        let layout = NodeLayout { m: meta.m as usize };
        let nodes = scan_nodes(rel, layout, &mut problems);
        if nodes.len() as u64 != meta.nodes {
            problems.push(format!("meta page counts {} nodes, pages hold {}", meta.nodes, nodes.len()));
        }
        if meta.has_entry != 0 {
            match nodes.get(&meta.entry) {
                None => problems.push(format!("entry point ({},{}) is not a node", node_blk(meta.entry), node_off(meta.entry))),
                Some((level, _, _)) if *level != meta.entry_level as usize => problems.push(format!(
                    "entry point level {} differs from meta page level {}",
                    level, meta.entry_level
                )),
                _ => {}
            }
        } else if nodes.values().any(|n| !n.2) {
            problems.push("index has nodes but no entry point".into());
        }
        if reachability && meta.has_entry != 0 && nodes.contains_key(&meta.entry) {
            // every node should be reachable from the entry point (following links at any level)
            let mut seen = std::collections::HashSet::new();
            let mut stack = vec![meta.entry];
            seen.insert(meta.entry);
            while let Some(id) = stack.pop() {
                if let Some((_, lists, _)) = nodes.get(&id) {
                    for nb in lists.iter().flatten() {
                        if nodes.contains_key(nb) && seen.insert(*nb) {
                            stack.push(*nb);
                        }
                    }
                }
            }
            // deleted nodes (e.g. from an insert that a crash interrupted, once VACUUM has run)
            // are never returned, so they do not count
            let unreachable = nodes.iter().filter(|(id, (_, _, deleted))| !deleted && !seen.contains(*id)).count();
            // links from live nodes to deleted ones are removed by VACUUM
            let stale: usize = nodes
                .values()
                .filter(|n| !n.2)
                .flat_map(|n| n.1.iter().flatten())
                .filter(|nb| nodes.get(nb).is_some_and(|m| m.2))
                .count();
            if stale > 0 {
                problems.push(format!("{stale} links from live nodes lead to deleted nodes (VACUUM removes them)"));
            }
            if unreachable > 0 {
                problems.push(format!("{unreachable} of {} live nodes are unreachable from the entry point", nodes.values().filter(|n| !n.2).count()));
            }
        }
        for (id, (_, lists, _)) in &nodes {
            for (l, list) in lists.iter().enumerate() {
                if list.len() > layout.capacity(l) {
                    problems.push(format!("node ({},{}) has {} neighbours at level {l}, above capacity", node_blk(*id), node_off(*id), list.len()));
                }
                for nb in list {
                    if nb == id {
                        problems.push(format!("node ({},{}) lists itself at level {l}", node_blk(*id), node_off(*id)));
                    }
                    match nodes.get(nb) {
                        None => problems.push(format!(
                            "node ({},{}) level {l} links to ({},{}), which is not a node",
                            node_blk(*id), node_off(*id), node_blk(*nb), node_off(*nb)
                        )),
                        Some((nl, _, _)) if *nl < l => problems.push(format!(
                            "node ({},{}) level {l} links to ({},{}) whose top level is {nl}",
                            node_blk(*id), node_off(*id), node_blk(*nb), node_off(*nb)
                        )),
                        _ => {}
                    }
                }
            }
        }
    }
    unsafe { pg_sys::index_close(rel, pg_sys::AccessShareLock as pg_sys::LOCKMODE) };
    problems.sort();
    SetOfIterator::new(problems)
}
