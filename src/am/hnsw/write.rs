//! Writing hnsw pages: the meta page, overflow chains (and their free list), node items and
//! neighbour lists. Every change is a Generic WAL record (see `crate::am::common::page`).
//!
//! Lock order, everywhere: a node page, then the meta page, then overflow pages.

use super::graph::META_BLOCK;
use super::layout::{node_blk, node_id, node_off, HeapTid, Meta, Node, NodeLayout, SortedRun, KIND_ATTRS, KIND_META, KIND_NODES, KIND_OVERFLOW, MAX_TIDS};
use crate::am::common::overflow;
use crate::am::common::page::{self, fsm, Buf, Lock, Wal, MAX_ITEM_SIZE};
use pgrx::pg_sys;
use pgrx::PgSqlErrorCode;

/// Whether `blk` can hold nodes: past the meta page and within the relation.
pub fn is_node_block(index: pg_sys::Relation, blk: u32) -> bool {
    blk != META_BLOCK && blk != pg_sys::InvalidBlockNumber && blk < page::nblocks(index)
}

/// Write a fresh meta page into `fork` (block 0 of an empty fork).
pub fn init_meta(index: pg_sys::Relation, fork: pg_sys::ForkNumber::Type, meta: &Meta) {
    page::append_item_page(index, fork, KIND_META, &meta.to_bytes());
}

/// Overwrite the meta page contents.
pub fn update_meta(index: pg_sys::Relation, f: impl FnOnce(&mut Meta)) {
    let buf = Buf::read(index, META_BLOCK, Lock::Exclusive);
    let mut wal = Wal::start(index);
    edit_meta(&mut wal, &buf, f);
    wal.finish();
}

/// Apply `f` to the meta page image registered in `wal`.
fn edit_meta(wal: &mut Wal, meta_buf: &Buf, f: impl FnOnce(&mut Meta)) {
    let p = wal.register(meta_buf, false);
    if let Some(bytes) = unsafe { page::item(p, 1) } {
        if let Some(Ok(mut meta)) = Meta::from_bytes(bytes) {
            f(&mut meta);
            let new = meta.to_bytes();
            // (an older, shorter item keeps its size: the fields it lacks stay zero)
            let n = new.len().min(bytes.len());
            bytes[..n].copy_from_slice(&new[..n]);
        }
    }
}

/// Read the meta page from a buffer locked by the caller.
fn meta_of(buf: &Buf) -> Meta {
    match unsafe { page::item(buf.page(), 1) }.and_then(|b| Meta::from_bytes(b)) {
        Some(Ok(m)) => m,
        _ => crate::error::raise_code(PgSqlErrorCode::ERRCODE_INDEX_CORRUPTED, "hnsw index meta page is missing or corrupted"),
    }
}

pub use crate::am::common::overflow::CHUNK;

/// Whether a node of this level, TID slots, payload and attribute lengths must keep its payload
/// in overflow pages.
pub fn needs_overflow(layout: &NodeLayout, tids: usize, level: usize, payload_len: usize, attrs_len: usize) -> bool {
    layout.item_size(tids, level, payload_len, false) + attrs_len > MAX_ITEM_SIZE
}

/// Write `payload` into a chain of overflow pages, reusing pages from the free list first;
/// returns the first block.
pub fn write_overflow(index: pg_sys::Relation, payload: &[u8]) -> u32 {
    let chunks: Vec<&[u8]> = payload.chunks(CHUNK).collect();
    // Back to front, so each page can point at the next one.
    let mut next = pg_sys::InvalidBlockNumber;
    for chunk in chunks.iter().rev() {
        next = write_overflow_page(index, chunk, next);
    }
    next
}

/// One overflow page holding `chunk` and pointing at `next`: a page popped off the free list
/// (in the same WAL record as the meta page's new list head), or a new one.
fn write_overflow_page(index: pg_sys::Relation, chunk: &[u8], next: u32) -> u32 {
    {
        let meta_buf = Buf::read(index, META_BLOCK, Lock::Exclusive);
        let head = meta_of(&meta_buf).free_overflow;
        if head != pg_sys::InvalidBlockNumber && head != META_BLOCK && head < page::nblocks(index) {
            let buf = Buf::read(index, head, Lock::Exclusive);
            if page::page_kind(buf.page()) == KIND_OVERFLOW {
                let rest = page::next_block(buf.page());
                let mut wal = Wal::start(index);
                edit_meta(&mut wal, &meta_buf, |m| m.free_overflow = rest);
                let p = wal.register(&buf, true);
                page::init_page(p, KIND_OVERFLOW);
                page::set_next_block(p, next);
                page::add_item(p, chunk);
                wal.finish();
                return head;
            }
            // not an overflow page: the list is damaged; drop it rather than follow it
            let mut wal = Wal::start(index);
            edit_meta(&mut wal, &meta_buf, |m| m.free_overflow = pg_sys::InvalidBlockNumber);
            wal.finish();
        }
    }
    let buf = Buf::extend(index, pg_sys::ForkNumber::MAIN_FORKNUM);
    overflow::write_page(index, &buf, KIND_OVERFLOW, chunk, next);
    buf.blkno()
}

/// Put the overflow chain starting at `first` on the free list (its pages are reused by later
/// inserts). The chain is walked to its end first; at most `max_pages` pages are followed.
pub fn free_overflow_chain(index: pg_sys::Relation, first: u32, max_pages: usize) {
    let total = page::nblocks(index);
    let valid = |b: u32| b != pg_sys::InvalidBlockNumber && b != META_BLOCK && b < total;
    if !valid(first) {
        return;
    }
    let mut last = first;
    for _ in 0..max_pages {
        let buf = Buf::read(index, last, Lock::Share);
        if page::page_kind(buf.page()) != KIND_OVERFLOW {
            return;
        }
        let next = page::next_block(buf.page());
        if !valid(next) {
            break;
        }
        last = next;
    }
    let meta_buf = Buf::read(index, META_BLOCK, Lock::Exclusive);
    let head = meta_of(&meta_buf).free_overflow;
    let buf = Buf::read(index, last, Lock::Exclusive);
    if page::page_kind(buf.page()) != KIND_OVERFLOW {
        return;
    }
    let mut wal = Wal::start(index);
    edit_meta(&mut wal, &meta_buf, |m| m.free_overflow = first);
    let p = wal.register(&buf, false);
    page::set_next_block(p, head);
    wal.finish();
}

/// Add a node item where it fits: a page the free space map offers (space VACUUM freed), the
/// current insert page, or a new page. The meta page is updated with `f(meta, new_id)` in the
/// same WAL record, so a crash never separates the two. Returns the node id.
/// Add node `id`'s entry to the attribute directory of `meta`, in `wal` (the caller
/// holds the meta page exclusively, so the head cannot change meanwhile): on the head page when
/// it has room, else on a new page put in front. Returns the directory buffer (locked until
/// the record is written) and the new head, if any.
fn add_dir_entry(index: pg_sys::Relation, wal: &mut Wal, meta: &Meta, id: u64, attrs: &[u8]) -> (Buf, Option<u32>) {
    let entry = super::layout::dir_item(id, attrs);
    let head = meta.attrs_head;
    // the build's sorted run is never added to (its fences bound its pages' keys)
    let in_run = SortedRun::of(meta).contains(head);
    if head != 0 && head != pg_sys::InvalidBlockNumber && head < page::nblocks(index) && !in_run {
        let hb = Buf::read(index, head, Lock::Exclusive);
        if page::page_kind(hb.page()) == KIND_ATTRS && page::fits(hb.page(), entry.len()) {
            let p = wal.register(&hb, false);
            if page::add_item(p, &entry).is_none() {
                crate::error::raise_code(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, "hnsw attribute directory page has less room than it reported");
            }
            return (hb, None);
        }
    }
    let nb = Buf::extend(index, pg_sys::ForkNumber::MAIN_FORKNUM);
    let p = wal.register(&nb, true);
    page::init_page(p, KIND_ATTRS);
    page::set_next_block(p, if head == 0 { pg_sys::InvalidBlockNumber } else { head });
    if page::add_item(p, &entry).is_none() {
        crate::error::raise_code(PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED, "hnsw attribute entry does not fit on an empty page");
    }
    let blk = nb.blkno();
    (nb, Some(blk))
}

/// Place a new node item (on a page with room, or a new page), with its attribute directory
/// entry when `attrs` is given (a graph element of a multi-column index), and apply `f` to
/// the meta page with the new id, all in one WAL record.
pub fn place_node(index: pg_sys::Relation, item: &[u8], attrs: Option<&[u8]>, f: impl FnOnce(&mut Meta, u64)) -> u64 {
    let need = item.len() + std::mem::size_of::<pg_sys::ItemIdData>();
    let mut f = Some(f);
    let mut try_page = |blk: u32, from_fsm: bool| -> Option<u64> {
        if blk == pg_sys::InvalidBlockNumber || blk == META_BLOCK || blk >= page::nblocks(index) {
            return None;
        }
        let buf = Buf::read(index, blk, Lock::Exclusive);
        let fits = page::page_kind(buf.page()) == KIND_NODES && page::fits(buf.page(), item.len());
        if !fits {
            if from_fsm {
                // stale entry: correct the map so the next insert does not try again
                let free = if page::page_kind(buf.page()) == KIND_NODES { page::free_space(buf.page()) } else { 0 };
                fsm::record(index, blk, free);
            }
            return None;
        }
        let meta_buf = Buf::read(index, META_BLOCK, Lock::Exclusive);
        let mut wal = Wal::start(index);
        let p = wal.register(&buf, false);
        let off = page::add_item(p, item)?;
        let id = node_id(blk, off);
        let f = f.take()?;
        let dir = attrs.map(|a| add_dir_entry(index, &mut wal, &meta_of(&meta_buf), id, a));
        let new_head = dir.as_ref().and_then(|d| d.1);
        edit_meta(&mut wal, &meta_buf, |m| {
            f(m, id);
            if let Some(h) = new_head {
                m.attrs_head = h;
            }
        });
        wal.finish();
        drop(dir);
        if from_fsm {
            fsm::record(index, blk, page::free_space(buf.page()));
        }
        Some(id)
    };
    for _ in 0..3 {
        match fsm::page_with_space(index, need) {
            Some(blk) => {
                if let Some(id) = try_page(blk, true) {
                    return id;
                }
            }
            None => break,
        }
    }
    let insert_page = super::graph::read_meta(index).insert_page;
    if let Some(id) = try_page(insert_page, false) {
        return id;
    }
    let buf = Buf::extend(index, pg_sys::ForkNumber::MAIN_FORKNUM);
    let meta_buf = Buf::read(index, META_BLOCK, Lock::Exclusive);
    let mut wal = Wal::start(index);
    let p = wal.register(&buf, true);
    page::init_page(p, KIND_NODES);
    let Some(off) = page::add_item(p, item) else {
        crate::error::raise_code(PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED, "hnsw node item does not fit on an empty page")
    };
    let id = node_id(buf.blkno(), off);
    let blk = buf.blkno();
    let Some(f) = f.take() else { unreachable!("the meta update runs once") };
    let dir = attrs.map(|a| add_dir_entry(index, &mut wal, &meta_of(&meta_buf), id, a));
    let new_head = dir.as_ref().and_then(|d| d.1);
    edit_meta(&mut wal, &meta_buf, |m| {
        f(m, id);
        m.insert_page = blk;
        if let Some(h) = new_head {
            m.attrs_head = h;
        }
    });
    wal.finish();
    id
}

/// Add heap TID `tid` to node `id` if it still holds exactly `payload` and `attrs` (a duplicate
/// of the row being inserted): in a free slot, or by growing the item in place when its page
/// has room. False when neither is possible (the caller inserts a new node).
pub fn add_duplicate_tid(index: pg_sys::Relation, layout: NodeLayout, id: u64, payload: &[u8], attrs: &[u8], tid: HeapTid) -> bool {
    if !is_node_block(index, node_blk(id)) {
        return false;
    }
    let buf = Buf::read(index, node_blk(id), Lock::Exclusive);
    if page::page_kind(buf.page()) != KIND_NODES {
        return false;
    }
    let grown = {
        let Some(bytes) = (unsafe { page::item(buf.page(), node_off(id)) }) else { return false };
        let node = Node { bytes, layout };
        if node.is_deleted() || node.is_outside() || node.overflow_block().is_some() || node.inline_payload() != payload || node.attrs() != attrs {
            return false;
        }
        if node.tid_count() < node.tid_slots() {
            None
        } else if node.tid_slots() >= MAX_TIDS {
            return false;
        } else {
            Some(regrow(&node, (node.tid_slots() * 2).clamp(4, MAX_TIDS)))
        }
    };
    let mut wal = Wal::start(index);
    let p = wal.register(&buf, false);
    match grown {
        None => {
            let Some(bytes) = (unsafe { page::item(p, node_off(id)) }) else { return false };
            if !(Node { bytes, layout }).push_tid(tid) {
                return false;
            }
        }
        Some(mut item) => {
            if !(Node { bytes: &mut item, layout }).push_tid(tid) || !page::overwrite_item(p, node_off(id), &item) {
                return false; // dropping `wal` discards the change
            }
        }
    }
    wal.finish();
    true
}

/// A copy of `node` with `slots` TID slots (lists, payload and attributes moved accordingly).
fn regrow(node: &Node, slots: usize) -> Vec<u8> {
    let layout = node.layout;
    let tids: Vec<HeapTid> = node.tids().collect();
    let payload = node.inline_payload().to_vec();
    let level = node.level();
    let attrs = node.attrs().to_vec();
    let n = super::layout::NewNode { tids: &tids, tid_slots: slots, level, payload: Some(&payload), overflow_blk: None, null: false, attrs: &attrs };
    let mut item = vec![0u8; n.size(&layout)];
    let mut new = Node::init(&mut item, layout, &n);
    let mut list = Vec::new();
    for l in 0..=level {
        list.clear();
        node.neighbors(l, &mut list);
        new.set_neighbors(l, &list);
    }
    item
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
        if !is_node_block(index, node_blk(page_items[0].0)) {
            continue; // an id from a damaged list
        }
        let buf = Buf::read(index, node_blk(page_items[0].0), Lock::Exclusive);
        if page::page_kind(buf.page()) != KIND_NODES {
            continue;
        }
        let mut lists = Vec::new();
        let mut current = Vec::new();
        for (id, level, data) in page_items {
            if let Some(bytes) = unsafe { page::item(buf.page(), node_off(*id)) } {
                let node = Node { bytes, layout };
                if node.is_outside() || *level > node.level() {
                    continue;
                }
                current.clear();
                node.neighbors(*level, &mut current);
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
