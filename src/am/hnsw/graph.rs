//! The hnsw graph as stored in index pages, seen through quiver-core's `Graph` trait.

use super::layout::{node_blk, node_off, Meta, Node, KIND_META};
use super::spec::IndexSpec;
use crate::am::page::{self, Buf, Lock};
use crate::am::recent::RecentBuffers;
use quiver_core::metric::prefetch_ptr;
use pgrx::pg_sys;
use quiver_core::hnsw::{Graph, NodeId};
use quiver_core::metric::index_distance;

pub const META_BLOCK: u32 = 0;

/// Read the meta page.
pub fn read_meta(index: pg_sys::Relation) -> Meta {
    let buf = Buf::read(index, META_BLOCK, Lock::Share);
    let meta = unsafe { page::item(buf.page(), 1) }.and_then(|b| Meta::from_bytes(b));
    match meta {
        Some(m) if page::page_kind(buf.page()) == KIND_META => m,
        _ => crate::error::raise_code(
            pgrx::PgSqlErrorCode::ERRCODE_INDEX_CORRUPTED,
            "hnsw index meta page is missing or corrupted",
        ),
    }
}

/// Facts about one node, copied out of its page.
pub struct NodeInfo {
    pub heap: (u32, u16),
    pub level: usize,
    pub deleted: bool,
}

pub struct DiskGraph {
    pub index: pg_sys::Relation,
    pub spec: IndexSpec,
    pub entry: Option<(NodeId, usize)>,
    nblocks: u32,
    recent: RecentBuffers,
}

impl DiskGraph {
    pub fn open(index: pg_sys::Relation, spec: IndexSpec) -> DiskGraph {
        let meta = read_meta(index);
        let entry = (meta.has_entry != 0).then_some((meta.entry, meta.entry_level as usize));
        DiskGraph { index, spec, entry, nblocks: page::nblocks(index), recent: RecentBuffers::new(index) }
    }

    /// Run `f` on node `id` under a share lock; `None` if `id` does not name a node.
    pub fn with_node<R>(&self, id: NodeId, f: impl FnOnce(&Node) -> R) -> Option<R> {
        let blk = node_blk(id);
        if blk == META_BLOCK || (blk >= self.nblocks && blk >= page::nblocks(self.index)) {
            return None;
        }
        let buf = self.recent.read(blk, Lock::Share);
        // Node ids come from our own pages, so the page kind (in the special area, another
        // cache line) is not checked here; item() still bounds-checks the offset.
        let bytes = unsafe { page::item(buf.page(), node_off(id)) }?;
        let node = Node { bytes, layout: self.spec.layout };
        Some(f(&node))
    }

    pub fn info(&self, id: NodeId) -> Option<NodeInfo> {
        self.with_node(id, |n| NodeInfo { heap: n.heap_tid(), level: n.level(), deleted: n.is_deleted() })
    }

    /// Distance from `query` (a payload) to node `id`; infinity for a missing node.
    pub fn distance(&self, id: NodeId, query: &[u8]) -> f32 {
        let (kind, metric) = (self.spec.kind, self.spec.metric);
        let inline = self.with_node(id, |n| match n.overflow_block() {
            None => Ok(index_distance(kind, metric, query, n.inline_payload())),
            Some(first) => Err((first, n.payload_len())),
        });
        match inline {
            Some(Ok(d)) => d,
            Some(Err((first, len))) => index_distance(kind, metric, query, &read_overflow(self.index, first, len)),
            None => f32::INFINITY,
        }
    }

    /// The payload of node `id` (copied).
    pub fn payload(&self, id: NodeId) -> Vec<u8> {
        let inline = self.with_node(id, |n| match n.overflow_block() {
            None => Ok(n.inline_payload().to_vec()),
            Some(first) => Err((first, n.payload_len())),
        });
        match inline {
            Some(Ok(p)) => p,
            Some(Err((first, len))) => read_overflow(self.index, first, len),
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
        const PAGE_HEADER: usize = std::mem::size_of::<pg_sys::PageHeaderData>();
        const ITEM_ID: usize = std::mem::size_of::<pg_sys::ItemIdData>();
        let line_pointer = |page: *const u8, id: NodeId| {
            page.wrapping_add(PAGE_HEADER + (usize::from(node_off(id)).max(1) - 1) * ITEM_ID)
        };
        for &id in nodes {
            if let Some(page) = self.recent.prefetch_block(node_blk(id)) {
                prefetch_ptr(line_pointer(page, id), ITEM_ID);
            }
        }
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

/// Reassemble a payload stored in a chain of overflow pages.
pub fn read_overflow(index: pg_sys::Relation, first: u32, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut blk = first;
    let total = page::nblocks(index);
    while out.len() < len && blk != pg_sys::InvalidBlockNumber && blk < total {
        let buf = Buf::read(index, blk, Lock::Share);
        if page::page_kind(buf.page()) != super::layout::KIND_OVERFLOW {
            break;
        }
        match unsafe { page::item(buf.page(), 1) } {
            Some(chunk) => out.extend_from_slice(chunk),
            None => break,
        }
        blk = page::next_block(buf.page());
    }
    out.truncate(len);
    out
}
