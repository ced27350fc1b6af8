//! Writing a new index's pages past the buffer manager, the way PostgreSQL's own index builds
//! do (nbtree's sorted build; `bulk_write.c` since PostgreSQL 17).
//!
//! A build appends complete page images in block order. Every [`BATCH`] pages are WAL-logged
//! as full images in one record (`log_newpages`, which stamps each image with the record's
//! LSN), checksummed, and handed to the storage manager (`smgrextend`): no shared buffer is
//! allocated, no block is first written as zeros and later again with its content, and no
//! relation extension lock or `lseek` is taken per page.
//!
//! Durability. The pages reach the kernel, not the disk. [`BulkWriter::finish`] asks the
//! checkpointer to fsync the files at its next checkpoint; a checkpoint that began after the
//! build started (its redo point moved) may have missed pages written before the request, and
//! then the build fsyncs the files itself. The request is made before the redo point is
//! compared, so a checkpoint that starts in between sees the request.
//!
//! While a `BulkWriter` is open nothing else may extend the relation: the blocks it hands out
//! are its own. The pages it writes are not in shared buffers; later reads find them on disk.

use super::page::{self, BLCKSZ};
use pgrx::pg_sys;
use pgrx::PgSqlErrorCode;

const MAIN: pg_sys::ForkNumber::Type = pg_sys::ForkNumber::MAIN_FORKNUM;

/// Pages logged in one WAL record and written together (XLR_MAX_BLOCK_ID).
const BATCH: usize = 32;

pub struct BulkWriter {
    rel: pg_sys::Relation,
    /// The block the next page appended gets.
    next: u32,
    /// Images waiting to be logged and written: `pending.len() / BLCKSZ` pages ending at `next`.
    pending: Vec<u8>,
    wal: bool,
    temp: bool,
    start_redo: pg_sys::XLogRecPtr,
    /// The first page written in each 1 GB segment file (already logged and checksummed):
    /// writing it again through smgrwrite asks for that file's fsync on PostgreSQL 15 and 16.
    #[cfg(any(feature = "pg15", feature = "pg16"))]
    segment_firsts: Vec<(u32, Vec<u8>)>,
    written: bool,
}

impl BulkWriter {
    /// Start appending to the main fork of `rel` (an index being built) at its current end.
    pub fn new(rel: pg_sys::Relation) -> BulkWriter {
        let persistence = unsafe { (*(*rel).rd_rel).relpersistence } as u8;
        BulkWriter {
            rel,
            next: page::nblocks(rel),
            pending: Vec::with_capacity(BATCH * BLCKSZ),
            wal: page::needs_wal(rel),
            temp: persistence == pg_sys::RELPERSISTENCE_TEMP,
            start_redo: unsafe { pg_sys::GetRedoRecPtr() },
            #[cfg(any(feature = "pg15", feature = "pg16"))]
            segment_firsts: Vec::new(),
            written: false,
        }
    }

    /// The block the next appended page gets.
    pub fn next_block(&self) -> u32 {
        self.next
    }

    /// Append a whole page image (a standard page: header, items, special area); its block.
    pub fn append(&mut self, image: &[u8]) -> u32 {
        if image.len() != BLCKSZ {
            crate::error::raise_code(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, "index build: a page image is not one block");
        }
        let blk = self.next;
        self.pending.extend_from_slice(image);
        self.next += 1;
        if self.pending.len() >= BATCH * BLCKSZ {
            self.flush();
        }
        blk
    }

    fn flush(&mut self) {
        let count = self.pending.len() / BLCKSZ;
        if count == 0 {
            return;
        }
        let first = self.next - count as u32;
        let ptr = self.pending.as_mut_ptr();
        let mut pages: Vec<pg_sys::Page> = (0..count).map(|i| unsafe { ptr.add(i * BLCKSZ) } as pg_sys::Page).collect();
        let mut blknos: Vec<u32> = (first..self.next).collect();
        unsafe {
            let smgr = pg_sys::RelationGetSmgr(self.rel);
            // the file must end where the first pending page goes: nothing else extended it
            let at = pg_sys::smgrnblocks(smgr, MAIN);
            if at != first {
                crate::error::raise_code(
                    PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                    format!("index build: relation has {at} blocks where the build expected {first}"),
                );
            }
            if self.wal {
                let (mut file, _) = crate::compat::rel_file(self.rel);
                pg_sys::log_newpages(&mut file, MAIN, count as i32, blknos.as_mut_ptr(), pages.as_mut_ptr() as *mut _, true);
            }
            for (i, &p) in pages.iter().enumerate() {
                pg_sys::PageSetChecksumInplace(p, blknos[i]);
                pg_sys::smgrextend(smgr, MAIN, blknos[i], p as _, true);
                #[cfg(any(feature = "pg15", feature = "pg16"))]
                if self.segment_firsts.is_empty() || blknos[i] % pg_sys::RELSEG_SIZE == 0 {
                    let image = std::slice::from_raw_parts(p as *const u8, BLCKSZ).to_vec();
                    self.segment_firsts.push((blknos[i], image));
                }
            }
        }
        self.pending.clear();
        self.written = true;
        pgrx::check_for_interrupts!();
    }

    /// Write what is pending and make the pages durable (see the module documentation).
    /// Returns the block the next page would have got: the relation's size in blocks.
    pub fn finish(mut self) -> u32 {
        self.flush();
        if self.written && !self.temp {
            unsafe {
                let smgr = pg_sys::RelationGetSmgr(self.rel);
                // ask the checkpointer to fsync the files ...
                #[cfg(any(feature = "pg15", feature = "pg16"))]
                for (blk, image) in &mut self.segment_firsts {
                    pg_sys::smgrwrite(smgr, MAIN, *blk, image.as_mut_ptr() as _, false);
                }
                #[cfg(not(any(feature = "pg15", feature = "pg16")))]
                pg_sys::smgrregistersync(smgr, MAIN);
                // ... unless a checkpoint began during the build: it may have passed over them
                if self.wal && pg_sys::GetRedoRecPtr() != self.start_redo {
                    pg_sys::smgrimmedsync(smgr, MAIN);
                }
            }
        }
        self.next
    }
}
