//! Remembered buffer numbers for an index's blocks, so that a graph walk can pin a page
//! without a buffer-mapping lookup and can prefetch pages it is about to read.
//!
//! A graph search touches hundreds of scattered blocks per query. Pinning each through
//! `ReadBufferExtended` costs a lookup in the shared buffer-mapping hash table (a cache
//! miss in a large table, taken under a partition lock). [`RecentBuffers`] keeps, per
//! block, the buffer that held it last time and pins it with `ReadRecentBuffer`, which
//! checks the buffer's tag and falls back to a normal read when the buffer has since been
//! reused. The numbers are only hints: a wrong one costs one failed check.
//!
//! The table survives from one scan to the next in a small per-backend registry keyed by
//! the relation's file node, since a prepared query opens a new scan every execution.

use super::page::{Buf, Lock, BLCKSZ};
use crate::compat::{count_buffer_hit, read_recent, rel_file, RelFile};
use pgrx::pg_sys;
use quiver_core::metric::prefetch_ptr;
use std::cell::RefCell;

/// Relations whose tables are kept between scans.
const REGISTRY_SIZE: usize = 8;
/// Largest table kept (4 bytes per block: 2^22 blocks = 32 GB of index, 16 MB of hints).
const MAX_BLOCKS: usize = 1 << 22;

thread_local! {
    static REGISTRY: RefCell<Vec<(FileNode, Vec<pg_sys::Buffer>)>> = const { RefCell::new(Vec::new()) };
}

type FileNode = (u32, u32, u32);

pub struct RecentBuffers {
    rel: pg_sys::Relation,
    node: RelFile,
    key: FileNode,
    slots: RefCell<Vec<pg_sys::Buffer>>,
}

impl RecentBuffers {
    /// The table for `rel`, taken from the registry (or empty).
    pub fn new(rel: pg_sys::Relation) -> RecentBuffers {
        let (node, key) = rel_file(rel);
        let slots = REGISTRY.with(|r| {
            let mut r = r.borrow_mut();
            match r.iter().position(|(k, _)| *k == key) {
                Some(i) => r.swap_remove(i).1,
                None => Vec::new(),
            }
        });
        RecentBuffers { rel, node, key, slots: RefCell::new(slots) }
    }

    fn hint(&self, blk: u32) -> pg_sys::Buffer {
        self.slots.borrow().get(blk as usize).copied().unwrap_or(0)
    }

    fn remember(&self, blk: u32, buf: pg_sys::Buffer) {
        let i = blk as usize;
        if buf <= 0 || i >= MAX_BLOCKS {
            return; // local buffers (temporary indexes) are not remembered
        }
        let mut slots = self.slots.borrow_mut();
        if i >= slots.len() {
            slots.resize((i + 1).next_power_of_two().min(MAX_BLOCKS), 0);
        }
        slots[i] = buf;
    }

    /// Read block `blk` of the main fork and lock it, like [`Buf::read`].
    pub fn read(&self, blk: u32, lock: Lock) -> Buf {
        let hint = self.hint(blk);
        if hint > 0 && read_recent(self.node, blk, hint) {
            count_buffer_hit(self.rel);
            return Buf::lock_pinned(hint, lock);
        }
        let buf = Buf::read(self.rel, blk, lock);
        self.remember(blk, buf.raw());
        buf
    }

    /// Where block `blk` probably is in shared memory (its last known buffer), for prefetching
    /// only: the page may have been replaced or be changing, so it must never be read as data.
    pub fn probable_page(&self, blk: u32) -> Option<*const u8> {
        let hint = self.hint(blk);
        // BufferGetBlock() for a shared buffer.
        (hint > 0).then(|| unsafe { (pg_sys::BufferBlocks as *const u8).add((hint as usize - 1) * BLCKSZ) })
    }

    /// Prefetch what pinning block `blk` and reading its page header touches (its last known
    /// buffer's header and the page's first cache line); returns the page's probable address.
    pub fn prefetch_block(&self, blk: u32) -> Option<*const u8> {
        let page = self.probable_page(blk)?;
        let hint = self.hint(blk) as usize;
        prefetch_ptr(unsafe { pg_sys::BufferDescriptors.add(hint - 1) } as *const u8, 64);
        prefetch_ptr(page, 64);
        Some(page)
    }
}

impl Drop for RecentBuffers {
    fn drop(&mut self) {
        let slots = std::mem::take(self.slots.get_mut());
        if slots.is_empty() {
            return;
        }
        let key = self.key;
        REGISTRY.with(|r| {
            let mut r = r.borrow_mut();
            r.retain(|(k, _)| *k != key);
            if r.len() >= REGISTRY_SIZE {
                r.remove(0);
            }
            r.push((key, slots));
        });
    }
}
