//! Values larger than a page (a 3,072-dimension `vector` is 12 KB) live in chains of overflow
//! pages: one chunk per page, each page naming the next in its special area. The item that
//! owns the value records the chain's first block and the value's length.
//!
//! Every access method passes its own overflow page kind, so a chain never leads onto a page
//! of another kind without that being noticed.

use super::bulk::BulkWriter;
use super::page::{self, Buf, Lock, Wal, MAX_ITEM_SIZE};
use pgrx::pg_sys;
use pgrx::PgSqlErrorCode;

/// Bytes of a value per overflow page.
pub const CHUNK: usize = MAX_ITEM_SIZE;

/// Largest value an item may claim (a vector of 16,000 float4 is 64 KB; bits up to 128 KB).
pub const MAX_VALUE: usize = 1 << 20;

/// Reassemble a value of `len` bytes from the chain starting at `first`. `owner` names the
/// item in messages. A length beyond [`MAX_VALUE`] is corruption (an ERROR before any
/// allocation); a chain that ends early, loops or leaves the relation gives `Err` (a
/// concurrent VACUUM may have freed and reused it since the owner was read; a scan treats the
/// owner as infinitely far, `index_check` reports it).
pub fn read(index: pg_sys::Relation, kind: u16, first: u32, len: usize, owner: &dyn Fn() -> String) -> Result<Vec<u8>, String> {
    if len > MAX_VALUE {
        crate::error::raise_code(
            PgSqlErrorCode::ERRCODE_INDEX_CORRUPTED,
            format!("{}: {} claims a vector of {len} bytes", page::index_label(index), owner()),
        );
    }
    let mut out = Vec::with_capacity(len);
    let mut blk = first;
    let total = page::nblocks(index);
    let mut hops = 0usize;
    while out.len() < len {
        let at = || format!("overflow chain of {} is broken at block {blk}", owner());
        if blk == 0 || blk >= total || hops > len / 64 + 1 {
            return Err(at());
        }
        let buf = Buf::read(index, blk, Lock::Share);
        if page::page_kind(buf.page()) != kind {
            return Err(at());
        }
        match unsafe { page::item(buf.page(), 1) } {
            Some(chunk) if !chunk.is_empty() => out.extend_from_slice(&chunk[..chunk.len().min(len - out.len())]),
            _ => return Err(at()),
        }
        blk = page::next_block(buf.page());
        hops += 1;
    }
    Ok(out)
}

/// Overflow pages a value of `len` bytes needs.
pub fn pages_for(len: usize) -> u32 {
    len.div_ceil(CHUNK) as u32
}

/// Append `value` to a build's pages as a chain of consecutive overflow pages; the chain's
/// first block (the block the next page would have got when `value` is empty).
pub fn append_chain(bulk: &mut BulkWriter, kind: u16, value: &[u8]) -> u32 {
    let first = bulk.next_block();
    let mut image = vec![0u8; page::BLCKSZ];
    let chunks = value.chunks(CHUNK).count();
    for (k, chunk) in value.chunks(CHUNK).enumerate() {
        image.fill(0);
        let pg = image.as_mut_ptr() as pg_sys::Page;
        page::init_page(pg, kind);
        let next = if k + 1 < chunks { bulk.next_block() + 1 } else { pg_sys::InvalidBlockNumber };
        page::set_next_block(pg, next);
        page::add_item(pg, chunk);
        bulk.append(&image);
    }
    first
}

/// Write one overflow page holding `chunk` and pointing at `next` into `buf` (exclusively
/// locked: a new page or a free one being reused), as one WAL record.
pub fn write_page(index: pg_sys::Relation, buf: &Buf, kind: u16, chunk: &[u8], next: u32) {
    let mut wal = Wal::start(index);
    let pg = wal.register(buf, true);
    page::init_page(pg, kind);
    page::set_next_block(pg, next);
    page::add_item(pg, chunk);
    wal.finish();
}

/// Write `value` as a chain, back to front so each page names the next, on pages from `alloc`
/// (which returns an exclusively locked page that is new or free). Returns the first block.
pub fn write_chain(index: pg_sys::Relation, kind: u16, value: &[u8], alloc: &mut dyn FnMut() -> Buf) -> u32 {
    let mut next = pg_sys::InvalidBlockNumber;
    for chunk in value.chunks(CHUNK).rev() {
        let buf = alloc();
        write_page(index, &buf, kind, chunk, next);
        next = buf.blkno();
    }
    next
}
