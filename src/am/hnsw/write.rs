//! Writing hnsw pages: the meta page, overflow chains, node items and neighbour lists.
//! Every change is a Generic WAL record (see `crate::am::page`).

use super::graph::META_BLOCK;
use super::layout::{node_blk, node_off, Meta, Node, NodeLayout, KIND_META, KIND_NODES, KIND_OVERFLOW};
use crate::am::page::{self, Buf, Lock, Wal, MAX_ITEM_SIZE};
use pgrx::pg_sys;

/// Write a fresh meta page into `fork` (block 0 of an empty fork).
pub fn init_meta(index: pg_sys::Relation, fork: pg_sys::ForkNumber::Type, meta: &Meta) {
    let buf = Buf::extend(index, fork);
    let mut wal = Wal::start(index);
    let p = wal.register(&buf, true);
    page::init_page(p, KIND_META);
    page::add_item(p, &meta.to_bytes());
    wal.finish();
}

/// Overwrite the meta page contents.
pub fn update_meta(index: pg_sys::Relation, f: impl FnOnce(&mut Meta)) {
    let buf = Buf::read(index, META_BLOCK, Lock::Exclusive);
    let mut wal = Wal::start(index);
    edit_meta(&mut wal, &buf, f);
    wal.finish();
}

/// Size of one overflow chunk (one item per overflow page).
pub const CHUNK: usize = MAX_ITEM_SIZE;

/// Whether a node of this level and payload length must keep its payload in overflow pages.
pub fn needs_overflow(layout: &NodeLayout, level: usize, payload_len: usize) -> bool {
    layout.item_size(level, payload_len, false) > MAX_ITEM_SIZE
}

/// Write `payload` into a new chain of overflow pages; returns the first block.
pub fn write_overflow(index: pg_sys::Relation, payload: &[u8]) -> u32 {
    let chunks: Vec<&[u8]> = payload.chunks(CHUNK).collect();
    // Write back to front so each page can point at the next one.
    let mut next = pg_sys::InvalidBlockNumber;
    for chunk in chunks.iter().rev() {
        let buf = Buf::extend(index, pg_sys::ForkNumber::MAIN_FORKNUM);
        let mut wal = Wal::start(index);
        let p = wal.register(&buf, true);
        page::init_page(p, KIND_OVERFLOW);
        page::set_next_block(p, next);
        page::add_item(p, chunk);
        wal.finish();
        next = buf.blkno();
    }
    next
}

/// Apply `f` to the meta page image registered in `wal`.
fn edit_meta(wal: &mut Wal, meta_buf: &Buf, f: impl FnOnce(&mut Meta)) {
    let p = wal.register(meta_buf, false);
    if let Some(bytes) = unsafe { page::item(p, 1) } {
        if let Some(mut meta) = Meta::from_bytes(bytes) {
            f(&mut meta);
            bytes.copy_from_slice(&meta.to_bytes());
        }
    }
}

/// Add a node item on `insert_page` if it fits there, else on a new page, and update the meta
/// page with `f(meta, new_id)` in the same WAL record, so a crash never separates the two.
/// Returns the node id.
pub fn place_node(index: pg_sys::Relation, insert_page: u32, item: &[u8], f: impl FnOnce(&mut Meta, u64)) -> u64 {
    if insert_page != pg_sys::InvalidBlockNumber && insert_page != META_BLOCK && insert_page < page::nblocks(index) {
        let buf = Buf::read(index, insert_page, Lock::Exclusive);
        if page::page_kind(buf.page()) == KIND_NODES && page::free_space(buf.page()) >= item.len() {
            let meta_buf = Buf::read(index, META_BLOCK, Lock::Exclusive);
            let mut wal = Wal::start(index);
            let p = wal.register(&buf, false);
            if let Some(off) = page::add_item(p, item) {
                let id = super::layout::node_id(insert_page, off);
                edit_meta(&mut wal, &meta_buf, |m| f(m, id));
                wal.finish();
                return id;
            }
        }
    }
    let buf = Buf::extend(index, pg_sys::ForkNumber::MAIN_FORKNUM);
    let meta_buf = Buf::read(index, META_BLOCK, Lock::Exclusive);
    let mut wal = Wal::start(index);
    let p = wal.register(&buf, true);
    page::init_page(p, KIND_NODES);
    let Some(off) = page::add_item(p, item) else {
        crate::error::raise_code(pgrx::PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, "hnsw node item does not fit on an empty page")
    };
    let id = super::layout::node_id(buf.blkno(), off);
    edit_meta(&mut wal, &meta_buf, |m| f(m, id));
    wal.finish();
    id
}

/// Rewrite neighbour lists, one WAL record per page touched. Each item names a node, a level
/// and some data `T`; under the page's exclusive lock, `new_list(current, level, data)` gives
/// the list to store (`None`: leave it as it is).
pub fn rewrite_neighbor_lists<T>(
    index: pg_sys::Relation,
    layout: NodeLayout,
    mut items: Vec<(u64, usize, T)>,
    mut new_list: impl FnMut(&[u64], usize, &T) -> Option<Vec<u64>>,
) {
    items.sort_by_key(|(id, level, _)| (node_blk(*id), node_off(*id), *level));
    for page_items in items.chunk_by(|a, b| node_blk(a.0) == node_blk(b.0)) {
        let buf = Buf::read(index, node_blk(page_items[0].0), Lock::Exclusive);
        if page::page_kind(buf.page()) != KIND_NODES {
            continue;
        }
        let mut lists = Vec::new();
        let mut current = Vec::new();
        for (id, level, data) in page_items {
            if let Some(bytes) = unsafe { page::item(buf.page(), node_off(*id)) } {
                current.clear();
                Node { bytes, layout }.neighbors(*level, &mut current);
                if let Some(list) = new_list(&current, *level, data) {
                    lists.push((*id, *level, list));
                }
            }
        }
        if lists.is_empty() {
            continue;
        }
        let mut wal = Wal::start(index);
        let p = wal.register(&buf, false);
        for (id, level, list) in &lists {
            if let Some(bytes) = unsafe { page::item(p, node_off(*id)) } {
                Node { bytes, layout }.set_neighbors(*level, list);
            }
        }
        wal.finish();
    }
}
