//! The hnsw graph as stored in index pages, seen through quiver-core's `Graph` trait.

use super::layout::{node_blk, node_off, HeapTid, Meta, Node, SortedRun, FENCES_PER_PAGE, KIND_ATTRS, KIND_FENCES, KIND_KEYS, KIND_META, KIND_NODES, KIND_OVERFLOW};
use super::spec::IndexSpec;
use crate::am::common::page::{self, Buf, Lock};
use crate::am::common::recent::RecentBuffers;
use pgrx::pg_sys;
use pgrx::PgSqlErrorCode;
use quiver_core::hnsw::{Graph, NodeId};
use quiver_core::metric::{index_distance, prefetch_ptr};
use std::cell::RefCell;

pub const META_BLOCK: u32 = 0;

fn corrupted(msg: String) -> ! {
    crate::error::raise_code(PgSqlErrorCode::ERRCODE_INDEX_CORRUPTED, msg)
}

/// Read the meta page.
pub fn read_meta(index: pg_sys::Relation) -> Meta {
    if page::nblocks(index) == 0 {
        corrupted(format!("hnsw index \"{}\" has no meta page", page::rel_name(index)));
    }
    let buf = Buf::read(index, META_BLOCK, Lock::Share);
    let meta = unsafe { page::item(buf.page(), 1) }.and_then(|b| Meta::from_bytes(b));
    match meta {
        Some(Ok(m)) if page::page_kind(buf.page()) == KIND_META && meta_is_sane(&m) => m,
        Some(Err(version)) => {
            pgrx::pg_sys::panic::ErrorReport::new(
                PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!(
                    "hnsw index \"{}\" has on-disk format version {version}; this quiver reads version {}",
                    page::rel_name(index),
                    super::layout::VERSION
                ),
                "quiver",
            )
            .set_hint("REINDEX the index.")
            .report(pgrx::PgLogLevel::ERROR);
            unreachable!()
        }
        _ => corrupted(format!("hnsw index \"{}\": meta page (block 0) is missing or corrupted", page::rel_name(index))),
    }
}

/// Whether the meta page's values are within what any build writes (a damaged page must not
/// steer a scan into a huge loop or allocation).
fn meta_is_sane(m: &Meta) -> bool {
    (2..=100).contains(&m.m)
        && m.ef_construction <= 1000
        && m.entry_level as usize <= quiver_core::hnsw::MAX_LEVEL
        && m.dims >= 1
        && (m.dims as usize) <= crate::am::common::payload::max_dims(quiver_core::metric::VectorKind::Sparse)
}

/// Facts about one node, copied out of its page.
#[derive(Default)]
pub struct NodeInfo {
    pub tids: Vec<HeapTid>,
    pub level: usize,
    pub deleted: bool,
    pub outside: bool,
}

pub struct DiskGraph {
    pub index: pg_sys::Relation,
    pub spec: IndexSpec,
    pub entry: Option<(NodeId, usize)>,
    /// Node items on the pages when the graph was opened (the meta page's count).
    pub nodes: u64,
    /// First page of the attribute directory (0: none).
    pub attrs_head: u32,
    /// The directory's sorted run.
    pub run: SortedRun,
    /// The key runs, by attribute column.
    pub key_runs: Vec<(usize, SortedRun)>,
    blocks: page::Blocks,
    recent: RecentBuffers,
    /// With `Some`, every deleted node met while computing distances is recorded (and every
    /// id that names no node: a stale link from a deleted node to a freed one), so that
    /// inserts and repairs never choose one as a neighbour.
    deleted_seen: Option<RefCell<std::collections::HashSet<NodeId, quiver_core::hnsw::IdBuildHasher>>>,
}

impl DiskGraph {
    pub fn open(index: pg_sys::Relation, spec: IndexSpec) -> DiskGraph {
        Self::open_with_meta(index, spec, &read_meta(index))
    }

    pub fn open_with_meta(index: pg_sys::Relation, spec: IndexSpec, meta: &Meta) -> DiskGraph {
        let entry = (meta.has_entry != 0).then_some((meta.entry, meta.entry_level as usize));
        DiskGraph {
            index,
            spec,
            entry,
            nodes: meta.nodes,
            attrs_head: meta.attrs_head,
            run: SortedRun::of(meta),
            key_runs: (0..meta.key_runs.len()).filter_map(|c| SortedRun::key_run(meta, c).map(|r| (c, r))).collect(),
            blocks: page::Blocks::of(index),
            recent: RecentBuffers::new(index),
            deleted_seen: None,
        }
    }

    /// Record deleted (and missing) nodes met by [`DiskGraph::distance`] (see
    /// [`DiskGraph::is_deleted_seen`]).
    pub fn track_deleted(mut self) -> Self {
        self.deleted_seen = Some(RefCell::new(Default::default()));
        self
    }

    pub fn is_deleted_seen(&self, id: NodeId) -> bool {
        self.deleted_seen.as_ref().is_some_and(|s| s.borrow().contains(&id))
    }

    /// Run `f` on node `id` under a share lock; `None` if `id` does not name a node.
    pub fn with_node<R>(&self, id: NodeId, f: impl FnOnce(&Node) -> R) -> Option<R> {
        let blk = node_blk(id);
        if blk == META_BLOCK || !self.blocks.contains(blk) {
            return None;
        }
        let buf = self.recent.read(blk, Lock::Share);
        // Node ids only ever point at node pages (node pages are never reused for anything
        // else), so the page kind (in the special area, another cache line) is not checked
        // here; item() bounds-checks the offset and every Node accessor its item.
        let bytes = unsafe { page::item(buf.page(), node_off(id)) }?;
        let node = Node { bytes, layout: self.spec.layout };
        Some(f(&node))
    }

    pub fn info(&self, id: NodeId) -> Option<NodeInfo> {
        self.with_node(id, |n| NodeInfo { tids: n.tids().collect(), level: n.level(), deleted: n.is_deleted(), outside: n.is_outside() })
    }

    /// Distance from `query` (a payload) to node `id`; infinity for a missing node or one
    /// outside the graph.
    pub fn distance(&self, id: NodeId, query: &[u8]) -> f32 {
        self.distance_and(id, query, |_| false).0
    }

    /// Distance from `query` to node `id`, and whether the node is a live graph element whose
    /// attributes pass `filter` (one visit to its page).
    pub fn distance_filtered(&self, id: NodeId, query: &[u8], filter: &quiver_core::attrs::Predicate) -> (f32, bool) {
        self.distance_and(id, query, |n| !n.is_deleted() && !n.is_outside() && filter.matches(n.attrs()))
    }

    fn distance_and(&self, id: NodeId, query: &[u8], test: impl FnOnce(&Node) -> bool) -> (f32, bool) {
        let (kind, metric) = (self.spec.kind, self.spec.metric);
        let inline = self.with_node(id, |n| {
            if n.is_deleted() {
                if let Some(s) = &self.deleted_seen {
                    s.borrow_mut().insert(id);
                }
            }
            let passes = test(n);
            match (n.is_outside(), n.overflow_block()) {
                (true, _) => (Ok(f32::INFINITY), passes),
                (false, None) => (Ok(index_distance(kind, metric, query, n.inline_payload())), passes),
                (false, Some(first)) => (Err((first, n.payload_len())), passes),
            }
        });
        match inline {
            Some((Ok(d), passes)) => (d, passes),
            Some((Err((first, len)), passes)) => match read_overflow(self.index, id, first, len) {
                Ok(p) => (index_distance(kind, metric, query, &p), passes),
                Err(_) => (f32::INFINITY, false),
            },
            None => {
                if let Some(s) = &self.deleted_seen {
                    s.borrow_mut().insert(id);
                }
                (f32::INFINITY, false)
            }
        }
    }

    /// The payload of node `id` (copied; empty for a missing node or one outside the graph).
    pub fn payload(&self, id: NodeId) -> Vec<u8> {
        let inline = self.with_node(id, |n| match n.overflow_block() {
            None => Ok(n.inline_payload().to_vec()),
            Some(first) => Err((first, n.payload_len())),
        });
        match inline {
            Some(Ok(p)) => p,
            Some(Err((first, len))) => read_overflow(self.index, id, first, len).unwrap_or_default(),
            None => Vec::new(),
        }
    }
}

impl Graph for DiskGraph {
    fn entry(&self) -> Option<(NodeId, usize)> {
        self.entry
    }

    fn neighbors(&self, node: NodeId, level: usize, out: &mut Vec<NodeId>) {
        self.with_node(node, |n| n.neighbors(level, out));
    }

    /// Bring the pages of `nodes` into the CPU cache before their distances are computed, so
    /// that the memory latency of a batch of scattered nodes overlaps instead of adding up:
    /// first each page's header and line pointers and its buffer header, then each node item.
    fn prefetch(&self, nodes: &[NodeId]) {
        self.prefetch_pages(nodes);
        self.prefetch_items(nodes);
    }
}

const PAGE_HEADER: usize = std::mem::size_of::<pg_sys::PageHeaderData>();
const ITEM_ID: usize = std::mem::size_of::<pg_sys::ItemIdData>();

/// Where node `id`'s line pointer is on its page.
fn line_pointer(page: *const u8, id: NodeId) -> *const u8 {
    page.wrapping_add(PAGE_HEADER + (usize::from(node_off(id)).max(1) - 1) * ITEM_ID)
}

impl DiskGraph {
    /// The first half of [`Graph::prefetch`]: the buffer headers of `nodes`' pages and their
    /// line pointers (a pass over many nodes issues this some steps before the second half).
    pub fn prefetch_pages(&self, nodes: &[NodeId]) {
        for &id in nodes {
            if let Some(page) = self.recent.prefetch_block(node_blk(id)) {
                prefetch_ptr(line_pointer(page, id), ITEM_ID);
            }
        }
    }

    /// The second half of [`Graph::prefetch`]: the node items, found through their line
    /// pointers.
    pub fn prefetch_items(&self, nodes: &[NodeId]) {
        for &id in nodes {
            if let Some(page) = self.recent.probable_page(node_blk(id)) {
                let lp = line_pointer(page, id);
                if lp as usize + ITEM_ID > page as usize + page::BLCKSZ {
                    continue;
                }
                // A racy read of a page we hold no lock on: it only picks an address to
                // prefetch, never data (ItemIdData: lp_off:15, lp_flags:2, lp_len:15).
                let raw = unsafe { std::ptr::read_volatile(lp as *const u32) };
                let (off, len) = ((raw & 0x7fff) as usize, (raw >> 17) as usize);
                if off + len <= page::BLCKSZ {
                    prefetch_ptr(page.wrapping_add(off), len);
                }
            }
        }
    }
}

/// Reassemble the payload of node `id` stored in a chain of overflow pages. A node claiming
/// more than [`MAX_PAYLOAD`] bytes is corruption (an error naming it, before any allocation).
/// A chain that ends early, loops or leaves the relation gives `Err` (a scan treats the node
/// as infinitely far: a concurrent VACUUM may have freed and reused the chain since the node
/// was read; `index_check` reports it as a problem).
pub fn read_overflow(index: pg_sys::Relation, id: NodeId, first: u32, len: usize) -> Result<Vec<u8>, String> {
    crate::am::common::overflow::read(index, KIND_OVERFLOW, first, len, &|| format!("node ({},{})", node_blk(id), node_off(id)))
}

/// A walk over the attribute directory pages from the meta page's `attrs_head`, in chain order.
pub struct DirectoryPages {
    index: pg_sys::Relation,
    next: u32,
    nblocks: u32,
    pages: u32,
}

impl DirectoryPages {
    pub fn from(index: pg_sys::Relation, head: u32) -> DirectoryPages {
        DirectoryPages { index, next: head, nblocks: page::nblocks(index), pages: 0 }
    }

    /// The next page, locked with `lock` and read through `strategy` (null: none); `Ok(None)`
    /// at the end of the chain. A chain that leaves the index, loops or meets a page of another
    /// kind gives `Err` naming the block (a scan or VACUUM stops there; `index_check` reports it).
    pub fn next(&mut self, lock: Lock, strategy: pg_sys::BufferAccessStrategy) -> Result<Option<Buf>, String> {
        let blk = self.next;
        if blk == 0 || blk == pg_sys::InvalidBlockNumber {
            return Ok(None);
        }
        if blk >= self.nblocks || self.pages >= self.nblocks {
            return Err(format!("attribute directory chain leaves the index or loops at block {blk}"));
        }
        let buf = Buf::read_with(self.index, pg_sys::ForkNumber::MAIN_FORKNUM, blk, lock, strategy);
        if page::page_kind(buf.page()) != KIND_ATTRS {
            return Err(format!("attribute directory block {blk} is not a directory page"));
        }
        self.next = page::next_block(buf.page());
        self.pages += 1;
        Ok(Some(buf))
    }
}

impl DirectoryPages {
    /// The block the next call reads (0 or InvalidBlockNumber: the chain has ended).
    pub fn peek(&self) -> u32 {
        self.next
    }
}

/// The keys of the directory's sorted run, one per page (see layout); `Err` naming the block
/// when a fence page is missing or damaged.
pub fn read_fences(index: pg_sys::Relation, run: SortedRun) -> Result<Vec<i64>, String> {
    let nblocks = page::nblocks(index);
    if !run.has_fences() {
        return Err("the run has no fence pages".to_string());
    }
    let mut out = Vec::with_capacity((run.pages as usize).min(nblocks as usize));
    for i in 0..run.fence_pages() {
        let blk = run.fence_first.saturating_add(i);
        if blk >= nblocks {
            return Err(format!("fence page {blk} of the attribute directory lies outside the index"));
        }
        let buf = Buf::read(index, blk, Lock::Share);
        let item = (page::page_kind(buf.page()) == KIND_FENCES).then(|| unsafe { page::item(buf.page(), 1) }).flatten();
        let Some(item) = item else {
            return Err(format!("block {blk} is not a fence page of the attribute directory"));
        };
        let want = (run.pages as usize - out.len()).min(FENCES_PER_PAGE);
        if item.len() < want * 8 {
            return Err(format!("fence page {blk} of the attribute directory is short"));
        }
        out.extend(item[..want * 8].chunks_exact(8).map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])));
    }
    Ok(out)
}

/// What reading a directory or key-run page costs the exact pass, in units of an element it
/// scores (measured on 1M × 128: a page of ~330 entries to test, random node reads against
/// node reads in page order).
pub const DIR_PAGE_COST: f64 = 3.0;

/// Which pages a filtered scan's exact pass reads: the directory chain in front of the build's
/// run (entries inserted since the build), then either the pages of the sorted run that can
/// hold the first column's keys in the predicate's ranges, or the pages of a key run holding
/// another column's keys (whichever reads least); without such ranges, the whole chain.
pub struct DirPlan {
    /// Blocks of the run to read, ascending (`None`: the whole chain).
    pub picked: Option<Vec<u32>>,
    pub run: SortedRun,
    /// When `picked` are a key run's pages: its column and the ranges its keys must lie in.
    pub keys: Option<(usize, quiver_core::attrs::Ranges)>,
    /// Entries per picked page, and the share of the run's pages picked.
    per_page: f64,
    share: f64,
}

impl DirPlan {
    pub fn new(index: pg_sys::Relation, graph: &DiskGraph, predicate: &quiver_core::attrs::Predicate) -> DirPlan {
        let run = graph.run;
        let dir_per_page = if run.pages > 0 { run.entries as f64 / run.pages as f64 } else { 300.0 };
        let mut plan = DirPlan { picked: None, run, keys: None, per_page: dir_per_page, share: 1.0 };
        // (pages, entries) of the best narrowed plan so far
        let mut best: Option<(f64, f64)> = None;
        let mut consider = |plan: &mut DirPlan, of: SortedRun, picked: Vec<usize>, keys: Option<(usize, quiver_core::attrs::Ranges)>| {
            let per_page = of.entries as f64 / of.pages.max(1) as f64;
            let (pages, entries) = (picked.len() as f64, picked.len() as f64 * per_page);
            if best.is_some_and(|(p, e)| p * DIR_PAGE_COST + e <= pages * DIR_PAGE_COST + entries) {
                return;
            }
            best = Some((pages, entries));
            plan.share = pages / of.pages.max(1) as f64;
            plan.per_page = per_page;
            plan.picked = Some(picked.into_iter().map(|i| of.first + i as u32).collect());
            plan.keys = keys;
        };
        if run.has_fences() {
            if let Some(r) = predicate.key_ranges() {
                if let Ok(f) = read_fences(index, run) {
                    consider(&mut plan, run, quiver_core::attrs::pages_to_read(&f, &r), None);
                }
            }
        }
        if run.pages > 0 {
            for &(col, key_run) in &graph.key_runs {
                let alternatives = predicate.column_ranges(col);
                if alternatives.is_empty() {
                    continue;
                }
                let Ok(f) = read_fences(index, key_run) else { continue };
                for alt in alternatives {
                    let picked = quiver_core::attrs::pages_to_read(&f, &alt);
                    consider(&mut plan, key_run, picked, Some((col, alt)));
                }
            }
        }
        // a narrowed plan that reads as many pages as the whole chain is no better
        let chain_pages = graph.nodes as f64 / dir_per_page.max(1.0);
        if best.is_some_and(|(pages, _)| pages > chain_pages.max(run.pages as f64)) {
            plan.picked = None;
        }
        if plan.picked.is_none() {
            plan.per_page = dir_per_page;
            plan.share = 1.0;
            plan.keys = None;
        }
        plan
    }

    /// Estimated entries it reads (elements to test or score) and pages, given `nodes` node
    /// items in all (the runs' pages are about as full as the build left them).
    pub fn estimate(&self, nodes: u64) -> (f64, f64) {
        let dir_per_page = if self.run.pages > 0 { self.run.entries as f64 / self.run.pages as f64 } else { 300.0 };
        match &self.picked {
            None => (nodes as f64, nodes as f64 / dir_per_page.max(1.0)),
            Some(p) => {
                let unsorted = nodes.saturating_sub(self.run.entries) as f64;
                // inserted entries pass about as often as the run's
                (p.len() as f64 * self.per_page + unsorted * self.share, p.len() as f64 + unsorted / dir_per_page.max(1.0))
            }
        }
    }

    /// The pages, in reading order.
    pub fn pages(&self, index: pg_sys::Relation, head: u32) -> PlannedPages<'_> {
        PlannedPages { chain: DirectoryPages::from(index, head), plan: self, at: 0, in_run: false }
    }
}

/// Pages of a [`DirPlan`].
pub struct PlannedPages<'a> {
    chain: DirectoryPages,
    plan: &'a DirPlan,
    at: usize,
    in_run: bool,
}

impl PlannedPages<'_> {
    /// The next page (share-locked), `Ok(None)` at the end; `Err` as [`DirectoryPages::next`].
    pub fn next(&mut self) -> Result<Option<Buf>, String> {
        let Some(picked) = &self.plan.picked else {
            return self.chain.next(Lock::Share, std::ptr::null_mut());
        };
        if !self.in_run {
            let next = self.chain.peek();
            if next != self.plan.run.first && next != 0 && next != pg_sys::InvalidBlockNumber {
                return self.chain.next(Lock::Share, std::ptr::null_mut());
            }
            self.in_run = true;
        }
        let Some(&blk) = picked.get(self.at) else { return Ok(None) };
        self.at += 1;
        if blk >= page::nblocks(self.chain.index) {
            return Err(format!("attribute directory block {blk} lies outside the index"));
        }
        let buf = Buf::read(self.chain.index, blk, Lock::Share);
        let want = if self.plan.keys.is_some() { KIND_KEYS } else { KIND_ATTRS };
        if page::page_kind(buf.page()) != want {
            return Err(format!("attribute directory block {blk} is not a {} page", if self.plan.keys.is_some() { "key run" } else { "directory" }));
        }
        Ok(Some(buf))
    }
}

/// Whether block `blk` of `index` is a node page (read under a share lock).
pub fn is_node_page(page: pg_sys::Page) -> bool {
    page::page_kind(page) == KIND_NODES
}
