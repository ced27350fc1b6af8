//! `quiver.index_check(regclass)`: verify the structure of an hnsw index and list problems.

use super::graph::META_BLOCK;
use super::layout::{node_blk, node_off, Meta, Node, NodeLayout, KIND_ATTRS, KIND_FENCES, KIND_KEYS, KIND_META, KIND_NODES, KIND_OVERFLOW, SortedRun};
use crate::am::common::page::{self, Buf, Lock};
use pgrx::prelude::*;
use std::collections::{HashMap, HashSet};

struct NodeFacts {
    level: usize,
    lists: Vec<Vec<u64>>,
    deleted: bool,
    outside: bool,
    attrs: Vec<u8>,
}

/// Every node item, and problems found while reading pages.
fn scan_nodes(index: pg_sys::Relation, layout: NodeLayout, problems: &mut Vec<String>) -> HashMap<u64, NodeFacts> {
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
                    if !node.is_well_formed() {
                        problems.push(format!("node ({blk},{off}) is malformed"));
                        continue;
                    }
                    let level = node.level();
                    let lists = node.all_neighbors();
                    if !node.is_outside() {
                        if let Some(first) = node.overflow_block() {
                            if let Err(e) = super::graph::read_overflow(index, id, first, node.payload_len()) {
                                problems.push(e);
                            }
                        } else if node.inline_payload().len() != node.payload_len() {
                            problems.push(format!("node ({blk},{off}) payload is truncated"));
                        }
                    }
                    if !node.is_deleted() && node.tid_count() == 0 {
                        problems.push(format!("node ({blk},{off}) holds no heap TID"));
                    }
                    if node.tids().any(|(hb, ho)| hb == pg_sys::InvalidBlockNumber || ho == 0) {
                        problems.push(format!("node ({blk},{off}) has an invalid heap TID"));
                    }
                    let attrs = node.attrs().to_vec();
                    nodes.insert(id, NodeFacts { level, lists, deleted: node.is_deleted(), outside: node.is_outside(), attrs });
                }
            }
            KIND_OVERFLOW | KIND_ATTRS | KIND_FENCES | KIND_KEYS => {}
            0 => {}
            k => problems.push(format!("block {blk} has unknown page kind {k:#x}")),
        }
        pgrx::check_for_interrupts!();
    }
    nodes
}

/// Every live graph element of a multi-column index has an attribute directory entry with its
/// attributes (the exact pass of filtered scans reads only the directory); the chain of
/// directory pages ends.
fn check_directory(rel: pg_sys::Relation, meta: &Meta, nodes: &HashMap<u64, NodeFacts>, problems: &mut Vec<String>) {
    let needs = |f: &NodeFacts| !f.deleted && !f.outside && !f.attrs.is_empty();
    let mut entries: HashMap<u64, Vec<Vec<u8>>> = HashMap::new();
    let mut pages = super::graph::DirectoryPages::from(rel, meta.attrs_head);
    let mut chain = Vec::new();
    // the build's entries (on the run's pages): the key runs hold their keys
    let run = SortedRun::of(meta);
    let mut built: Vec<(u64, Vec<u8>)> = Vec::new();
    loop {
        let buf = match pages.next(Lock::Share, std::ptr::null_mut()) {
            Ok(Some(buf)) => buf,
            Ok(None) => break,
            Err(e) => {
                problems.push(e);
                break;
            }
        };
        let blk = buf.blkno();
        chain.push(blk);
        let in_run = run.contains(blk);
        for off in 1..=page::max_offset(buf.page()) {
            let Some(item) = (unsafe { page::item(buf.page(), off) }) else { continue };
            match super::layout::dir_entry(item) {
                Some((id, attrs)) => {
                    if in_run {
                        built.push((id, attrs.to_vec()));
                    }
                    entries.entry(id).or_default().push(attrs.to_vec())
                }
                None => problems.push(format!("attribute directory entry ({blk},{off}) is malformed")),
            }
        }
        drop(buf);
        pgrx::check_for_interrupts!();
    }
    check_sorted_run(rel, meta, &chain, problems);
    check_key_runs(rel, meta, &built, problems);
    let missing = nodes.iter().filter(|(id, f)| needs(f) && !entries.get(id).is_some_and(|e| e.contains(&f.attrs))).count();
    if missing > 0 {
        problems.push(format!("{missing} live nodes have no attribute directory entry with their attributes"));
    }
}

/// The directory's sorted run ends the chain, and each of its pages holds only keys between
/// its fence and the next (scans skip pages by them).
fn check_sorted_run(rel: pg_sys::Relation, meta: &Meta, chain: &[u32], problems: &mut Vec<String>) {
    let run = SortedRun::of(meta);
    if run.pages == 0 {
        return;
    }
    let expected: Vec<u32> = (0..run.pages).map(|i| run.first.saturating_add(i)).collect();
    if !chain.ends_with(&expected) {
        problems.push(format!("the attribute directory chain does not end with its sorted run (blocks {}..{})", run.first, run.first as u64 + run.pages as u64));
        return;
    }
    if !run.has_fences() {
        return;
    }
    let fences = match super::graph::read_fences(rel, run) {
        Ok(f) => f,
        Err(e) => {
            problems.push(e);
            return;
        }
    };
    let mut outside = 0usize;
    for (i, &blk) in expected.iter().enumerate() {
        let (lo, hi) = (fences[i], fences.get(i + 1).copied().unwrap_or(i64::MAX));
        let buf = Buf::read(rel, blk, Lock::Share);
        for off in 1..=page::max_offset(buf.page()) {
            let Some((_, attrs)) = (unsafe { page::item(buf.page(), off) }).and_then(|item| super::layout::dir_entry(item)) else { continue };
            let key = quiver_core::attrs::sort_key(quiver_core::attrs::decode(attrs, 0));
            if !key.is_some_and(|k| lo <= k && k <= hi) {
                outside += 1;
            }
        }
        pgrx::check_for_interrupts!();
    }
    if outside > 0 {
        problems.push(format!("{outside} entries of the attribute directory's sorted run lie outside their page's fences"));
    }
}

/// Each key run: consecutive key pages, keys ascending and between their page's fences, as
/// many pairs as the build wrote, and a pair for every key of every entry the build wrote
/// (`built`: the entries on the sorted run's pages, which VACUUM only removes).
fn check_key_runs(rel: pg_sys::Relation, meta: &Meta, built: &[(u64, Vec<u8>)], problems: &mut Vec<String>) {
    let nblocks = page::nblocks(rel);
    for col in 0..meta.key_runs.len() {
        let Some(run) = SortedRun::key_run(meta, col) else { continue };
        let name = format!("key run of index column {}", col + 2);
        let fences = match super::graph::read_fences(rel, run) {
            Ok(f) => f,
            Err(e) => {
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        let mut pairs: HashSet<(i64, u64)> = HashSet::new();
        let (mut count, mut disorder, mut last) = (0u64, 0usize, i64::MIN);
        for i in 0..run.pages {
            let blk = run.first.saturating_add(i);
            if blk >= nblocks {
                problems.push(format!("{name}: block {blk} lies outside the index"));
                break;
            }
            let buf = Buf::read(rel, blk, Lock::Share);
            let item = (page::page_kind(buf.page()) == KIND_KEYS).then(|| unsafe { page::item(buf.page(), 1) }).flatten();
            let Some(item) = item else {
                problems.push(format!("{name}: block {blk} is not a key page"));
                continue;
            };
            if item.is_empty() || item.len() % 16 != 0 || item.len() > 16 * super::layout::KEYS_PER_PAGE {
                problems.push(format!("{name}: key page {blk} has a malformed item"));
                continue;
            }
            let (lo, hi) = (fences[i as usize], fences.get(i as usize + 1).copied().unwrap_or(i64::MAX));
            for (k, id) in super::layout::key_pairs(item) {
                if k < last || k < lo || k > hi {
                    disorder += 1;
                }
                last = k;
                count += 1;
                pairs.insert((k, id));
            }
            pgrx::check_for_interrupts!();
        }
        if disorder > 0 {
            problems.push(format!("{name}: {disorder} keys are out of order or outside their page's fences"));
        }
        if count != run.entries {
            problems.push(format!("{name}: {count} pairs on its pages, the meta page says {}", run.entries));
        }
        let mut keys = Vec::new();
        let missing = built
            .iter()
            .filter(|(id, attrs)| {
                keys.clear();
                quiver_core::attrs::column_keys(quiver_core::attrs::decode(attrs, col), &mut keys);
                keys.iter().any(|&k| !pairs.contains(&(k, *id)))
            })
            .count();
        if missing > 0 {
            problems.push(format!("{name}: {missing} entries of the build have a key it lacks"));
        }
    }
}

pub fn check(rel: pg_sys::Relation, reachability: bool) -> Vec<String> {
    let mut problems = Vec::new();
    if page::nblocks(rel) == 0 {
        return vec!["index has no meta page".to_string()];
    }
    let meta = {
        let buf = Buf::read(rel, META_BLOCK, Lock::Share);
        if page::page_kind(buf.page()) != KIND_META {
            return vec!["block 0 is not an hnsw meta page".to_string()];
        }
        match unsafe { page::item(buf.page(), 1) }.and_then(|b| Meta::from_bytes(b)) {
            Some(Ok(m)) => m,
            Some(Err(v)) => return vec![format!("meta page has format version {v}; REINDEX the index")],
            None => return vec!["bad magic number".to_string()],
        }
    };
    let layout = NodeLayout { m: meta.m as usize };
    let nodes = scan_nodes(rel, layout, &mut problems);
    if nodes.len() as u64 != meta.nodes {
        problems.push(format!("meta page counts {} nodes, pages hold {}", meta.nodes, nodes.len()));
    }
    let in_graph = |f: &NodeFacts| !f.deleted && !f.outside;
    if meta.has_entry != 0 {
        match nodes.get(&meta.entry) {
            None => problems.push(format!("entry point ({},{}) is not a node", node_blk(meta.entry), node_off(meta.entry))),
            Some(f) if f.outside => problems.push("entry point is outside the graph".into()),
            Some(f) if f.level != meta.entry_level as usize => {
                problems.push(format!("entry point level {} differs from meta page level {}", f.level, meta.entry_level))
            }
            _ => {}
        }
    } else if nodes.values().any(in_graph) {
        problems.push("index has nodes but no entry point".into());
    }
    if reachability && meta.has_entry != 0 && nodes.contains_key(&meta.entry) {
        // every live node should be reachable from the entry point through level-0 links (the
        // level every search ends on, and the one an iterative scan walks)
        let mut seen = HashSet::new();
        let mut stack = vec![meta.entry];
        seen.insert(meta.entry);
        while let Some(id) = stack.pop() {
            if let Some(f) = nodes.get(&id) {
                for nb in f.lists.first().into_iter().flatten() {
                    if nodes.contains_key(nb) && seen.insert(*nb) {
                        stack.push(*nb);
                    }
                }
            }
        }
        let live = nodes.values().filter(|f| in_graph(f)).count();
        let unreachable = nodes.iter().filter(|(id, f)| in_graph(f) && !seen.contains(*id)).count();
        // links from live nodes to deleted ones are removed by VACUUM
        let stale: usize = nodes
            .values()
            .filter(|f| in_graph(f))
            .flat_map(|f| f.lists.iter().flatten())
            .filter(|nb| nodes.get(nb).is_some_and(|m| m.deleted))
            .count();
        if stale > 0 {
            problems.push(format!("{stale} links from live nodes lead to deleted nodes (VACUUM removes them)"));
        }
        if unreachable > 0 {
            problems.push(format!("{unreachable} of {live} live nodes are unreachable from the entry point"));
        }
    }
    check_directory(rel, &meta, &nodes, &mut problems);
    for (id, f) in &nodes {
        for (l, list) in f.lists.iter().enumerate() {
            if list.len() > layout.capacity(l) {
                problems.push(format!("node ({},{}) has {} neighbours at level {l}, above capacity", node_blk(*id), node_off(*id), list.len()));
            }
            for nb in list {
                if nb == id {
                    problems.push(format!("node ({},{}) lists itself at level {l}", node_blk(*id), node_off(*id)));
                }
                let (b, o) = (node_blk(*id), node_off(*id));
                let (nbb, nbo) = (node_blk(*nb), node_off(*nb));
                match nodes.get(nb) {
                    // a deleted node's links are never followed into freed slots
                    None if f.deleted => {}
                    None => problems.push(format!("node ({b},{o}) level {l} links to ({nbb},{nbo}), which is not a node")),
                    Some(g) if g.outside => problems.push(format!("node ({b},{o}) level {l} links to ({nbb},{nbo}), which is outside the graph")),
                    Some(g) if g.level < l && !f.deleted => {
                        problems.push(format!("node ({b},{o}) level {l} links to ({nbb},{nbo}) whose top level is {}", g.level))
                    }
                    _ => {}
                }
            }
        }
    }
    problems
}

