//! Reading and writing ivfflat pages: the meta page, list heads, entries appended to a list,
//! and overflow pages (taken from the free space map when VACUUM freed some). Every change is
//! a Generic WAL record.
//!
//! Lock order: list pages in chain order, then a head page; overflow pages are written before
//! the entry that names them and are locked alone.

use super::layout::{Entry, Head, Meta, KIND_FREE, KIND_HEADS, KIND_LIST, KIND_META, KIND_OVERFLOW, META_BLOCK};
use crate::am::common::overflow;
use crate::am::common::page::{self, Buf, Lock, Wal};
use crate::am::common::payload::HeapTid;
use pgrx::pg_sys;
use pgrx::PgSqlErrorCode;

fn corrupted(index: pg_sys::Relation, what: &str) -> ! {
    crate::error::raise_code(
        PgSqlErrorCode::ERRCODE_INDEX_CORRUPTED,
        format!("ivfflat index \"{}\": {what}", page::rel_name(index)),
    )
}

/// Read the meta page (an error for a damaged one).
pub fn read_meta(index: pg_sys::Relation) -> Meta {
    if page::nblocks(index) == 0 {
        corrupted(index, "has no meta page");
    }
    let buf = Buf::read(index, META_BLOCK, Lock::Share);
    if page::page_kind(buf.page()) != KIND_META {
        corrupted(index, "meta page (block 0) is missing or corrupted");
    }
    match unsafe { page::item(buf.page(), 1) }.and_then(|b| Meta::from_bytes(b)) {
        Some(Ok(m)) => m,
        Some(Err(v)) => corrupted(index, &format!("meta page has format version {v}; REINDEX the index")),
        None => corrupted(index, "meta page (block 0) is missing or corrupted"),
    }
}

/// Write a fresh meta page into `fork` (block 0 of an empty fork).
pub fn init_meta(index: pg_sys::Relation, fork: pg_sys::ForkNumber::Type, meta: &Meta) {
    page::append_item_page(index, fork, KIND_META, &meta.to_bytes());
}

/// Overwrite the meta page contents.
pub fn update_meta(index: pg_sys::Relation, meta: &Meta) {
    let buf = Buf::read(index, META_BLOCK, Lock::Exclusive);
    let mut wal = Wal::start(index);
    let p = wal.register(&buf, false);
    if let Some(bytes) = unsafe { page::item(p, 1) } {
        let new = meta.to_bytes();
        if bytes.len() >= new.len() {
            bytes[..new.len()].copy_from_slice(&new);
        }
    }
    wal.finish();
}

/// Where list `list`'s head item lies: (block, offset).
pub fn head_position(meta: &Meta, list: usize, per_page: &[u16]) -> Option<(u32, u16)> {
    let mut left = list;
    for (i, &n) in per_page.iter().enumerate() {
        if left < n as usize {
            return Some((meta.heads_blk + i as u32, left as u16 + 1));
        }
        left -= n as usize;
    }
    None
}

/// Read every head in list order, with each head's (block, offset) and its inline centroid.
pub fn read_heads(index: pg_sys::Relation, meta: &Meta) -> Vec<(Head, (u32, u16), Vec<u8>)> {
    let mut out = Vec::with_capacity(meta.all_lists());
    for i in 0..meta.head_pages {
        let blk = meta.heads_blk + i;
        if blk >= page::nblocks(index) {
            corrupted(index, &format!("head page {blk} is missing"));
        }
        let buf = Buf::read(index, blk, Lock::Share);
        if page::page_kind(buf.page()) != KIND_HEADS {
            corrupted(index, &format!("block {blk} is not a list head page"));
        }
        for off in 1..=page::max_offset(buf.page()) {
            let Some(bytes) = (unsafe { page::item(buf.page(), off) }) else { continue };
            let Some(head) = Head::parse(bytes) else { corrupted(index, &format!("list head ({blk},{off}) is malformed")) };
            let inline = bytes[super::layout::HEAD_SIZE..].to_vec();
            out.push((head, (blk, off), inline));
        }
    }
    if out.len() != meta.all_lists() {
        corrupted(index, &format!("meta page counts {} lists, head pages hold {}", meta.all_lists(), out.len()));
    }
    out
}

/// The current insert page of the head at `pos`.
pub fn insert_page(index: pg_sys::Relation, pos: (u32, u16)) -> u32 {
    let buf = Buf::read(index, pos.0, Lock::Share);
    match unsafe { page::item(buf.page(), pos.1) }.and_then(|b| Head::parse(b)) {
        Some(h) => h.insert,
        None => corrupted(index, &format!("list head ({},{}) is missing", pos.0, pos.1)),
    }
}

/// Set the insert page of the head at `pos` (a hint: inserts walk on from it).
pub fn set_insert_page(index: pg_sys::Relation, pos: (u32, u16), blk: u32) {
    let buf = Buf::read(index, pos.0, Lock::Exclusive);
    let mut wal = Wal::start(index);
    let p = wal.register(&buf, false);
    if let Some(bytes) = unsafe { page::item(p, pos.1) } {
        if bytes.len() >= super::layout::HEAD_SIZE {
            Head::set_insert(bytes, blk);
        }
    }
    wal.finish();
}

/// A page for new data, exclusively locked: a free page from the free space map (freed by
/// VACUUM), or a new block.
pub fn new_page(index: pg_sys::Relation) -> Buf {
    loop {
        let blk = unsafe { pg_sys::GetFreeIndexPage(index) };
        if blk == pg_sys::InvalidBlockNumber {
            break;
        }
        if blk == META_BLOCK || blk >= page::nblocks(index) {
            continue;
        }
        let buf = Buf::read(index, blk, Lock::Exclusive);
        // a hint only: another session may have taken it first
        if page::page_kind(buf.page()) == KIND_FREE {
            return buf;
        }
    }
    Buf::extend(index, pg_sys::ForkNumber::MAIN_FORKNUM)
}

/// Write `value` to an overflow chain; returns its first block.
pub fn write_overflow(index: pg_sys::Relation, value: &[u8]) -> u32 {
    overflow::write_chain(index, KIND_OVERFLOW, value, &mut || new_page(index))
}

/// Read a value from the overflow chain at `first`.
pub fn read_overflow(index: pg_sys::Relation, first: u32, len: usize, owner: &dyn Fn() -> String) -> Result<Vec<u8>, String> {
    overflow::read(index, KIND_OVERFLOW, first, len, owner)
}

/// Mark the overflow chain starting at `first` free and record its pages in the free space
/// map (at most `max_pages` pages are followed).
pub fn free_overflow(index: pg_sys::Relation, first: u32, max_pages: usize, strategy: pg_sys::BufferAccessStrategy) {
    let mut blk = first;
    let mut n = 0;
    let blocks = page::Blocks::of(index);
    while blk != pg_sys::InvalidBlockNumber && blk != META_BLOCK && blocks.contains(blk) && n < max_pages {
        let buf = Buf::read_with(index, pg_sys::ForkNumber::MAIN_FORKNUM, blk, Lock::Exclusive, strategy);
        if page::page_kind(buf.page()) != KIND_OVERFLOW {
            return;
        }
        let next = page::next_block(buf.page());
        let mut wal = Wal::start(index);
        let p = wal.register(&buf, true);
        page::init_page(p, KIND_FREE);
        wal.finish();
        unsafe { pg_sys::RecordFreeIndexPage(index, blk) };
        blk = next;
        n += 1;
    }
}

/// Append an entry for (`tid`, `payload`) to the list whose head is at `head`: on the first
/// page with room from the list's insert page on, or on a new page linked at the list's end.
pub fn append_entry(index: pg_sys::Relation, head: (u32, u16), tid: HeapTid, payload: &[u8], attrs: &[u8]) {
    let overflow_blk = super::layout::entry_overflows(payload.len(), attrs.len()).then(|| write_overflow(index, payload));
    let mut item = Vec::new();
    Entry::write(&mut item, tid, payload.len(), Some(payload), overflow_blk, attrs);
    let mut blk = insert_page(index, head);
    let mut hops = 0u32;
    let blocks = page::Blocks::of(index);
    loop {
        if blk == META_BLOCK || !blocks.contains(blk) || hops > blocks.known() {
            corrupted(index, &format!("list chain reaches invalid block {blk}"));
        }
        let buf = Buf::read(index, blk, Lock::Exclusive);
        if page::page_kind(buf.page()) != KIND_LIST {
            corrupted(index, &format!("list chain reaches block {blk}, which is not a list page"));
        }
        if page::fits(buf.page(), item.len()) {
            let mut wal = Wal::start(index);
            let p = wal.register(&buf, false);
            if page::add_item(p, &item).is_none() {
                corrupted(index, &format!("could not add an entry to block {blk}"));
            }
            wal.finish();
            return;
        }
        let next = page::next_block(buf.page());
        if next != pg_sys::InvalidBlockNumber {
            blk = next;
            hops += 1;
            continue;
        }
        // the list's last page is full: link a new one after it
        let new = new_page(index);
        let mut wal = Wal::start(index);
        let p_new = wal.register(&new, true);
        page::init_page(p_new, KIND_LIST);
        page::add_item(p_new, &item);
        let p_old = wal.register(&buf, false);
        page::set_next_block(p_old, new.blkno());
        wal.finish();
        let new_blk = new.blkno();
        drop(new);
        drop(buf);
        set_insert_page(index, head, new_blk);
        return;
    }
}
