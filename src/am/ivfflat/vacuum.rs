//! VACUUM: one pass over every list (VACUUM's buffer ring, interruptible, cost-based delay).
//! Entries of dead heap rows are removed from their pages; the space goes to later inserts
//! into the same list (the list's insert page moves back to its first page with room), and
//! the overflow pages of removed entries go to the free space map for any new value.

use super::layout::{Entry, Head, Meta, KIND_LIST};
use super::pages;
use crate::am::common::page::{self, Buf, Lock, Wal};
use crate::am::common::vacuum::{self as common_vacuum, pause, result_or_new};
use pgrx::prelude::*;

#[derive(Default)]
struct Swept {
    live: u64,
    removed: u64,
}

/// Walk every list; `dead` says whether a heap row is gone (None: count only).
fn sweep(index: pg_sys::Relation, strategy: pg_sys::BufferAccessStrategy, mut dead: Option<&mut dyn FnMut((u32, u16)) -> bool>) -> Swept {
    let mut out = Swept::default();
    let meta: Meta = pages::read_meta(index);
    let heads: Vec<(Head, (u32, u16))> = pages::read_heads(index, &meta).into_iter().map(|(h, pos, _)| (h, pos)).collect();
    for (head, pos) in heads {
        let mut blk = head.first;
        let mut room: Option<u32> = None;
        let mut hops = 0u32;
        let blocks = page::Blocks::of(index);
        while blk != pg_sys::InvalidBlockNumber && blk != 0 && blocks.contains(blk) && hops <= blocks.known() {
            pause();
            let lock = if dead.is_some() { Lock::Exclusive } else { Lock::Share };
            let buf = Buf::read_with(index, pg_sys::ForkNumber::MAIN_FORKNUM, blk, lock, strategy);
            if page::page_kind(buf.page()) != KIND_LIST {
                break;
            }
            let mut gone: Vec<(u16, Option<(u32, usize)>)> = Vec::new();
            let mut largest = 0usize;
            for off in 1..=page::max_offset(buf.page()) {
                let Some(bytes) = (unsafe { page::item(buf.page(), off) }) else { continue };
                largest = largest.max(bytes.len());
                let e = Entry { bytes };
                if !e.is_well_formed() {
                    continue;
                }
                let is_dead = dead.as_deref_mut().is_some_and(|f| f(e.tid()));
                if is_dead {
                    gone.push((off, e.overflow().map(|b| (b, e.len()))));
                } else {
                    out.live += 1;
                }
            }
            if !gone.is_empty() {
                let mut wal = Wal::start(index);
                let p = wal.register(&buf, false);
                for &(off, _) in gone.iter().rev() {
                    page::delete_item(p, off);
                }
                wal.finish();
                out.removed += gone.len() as u64;
            }
            if room.is_none() && largest > 0 && page::fits(buf.page(), largest) {
                room = Some(blk);
            }
            let next = page::next_block(buf.page());
            drop(buf);
            for (_, ov) in gone {
                if let Some((first, len)) = ov {
                    pages::free_overflow(index, first, crate::am::common::overflow::pages_for(len) as usize, strategy);
                }
            }
            blk = next;
            hops += 1;
        }
        if let Some(r) = room {
            if r != head.insert {
                pages::set_insert_page(index, pos, r);
            }
        }
    }
    out
}

#[pg_guard]
pub unsafe extern "C-unwind" fn ambulkdelete(
    info: *mut pg_sys::IndexVacuumInfo,
    stats: *mut pg_sys::IndexBulkDeleteResult,
    callback: pg_sys::IndexBulkDeleteCallback,
    callback_state: *mut std::ffi::c_void,
) -> *mut pg_sys::IndexBulkDeleteResult {
    crate::jobs::metrics::timed_maintenance(unsafe { (*info).index }, true, || unsafe {
        let stats = result_or_new(stats);
        let index = (*info).index;
        let mut dead = |t: (u32, u16)| common_vacuum::is_dead(callback, callback_state, t);
        let swept = sweep(index, common_vacuum::strategy(info), Some(&mut dead));
        (*stats).tuples_removed += swept.removed as f64;
        (*stats).num_index_tuples = swept.live as f64;
        pg_sys::IndexFreeSpaceMapVacuum(index);
        stats
    })
}

#[pg_guard]
pub unsafe extern "C-unwind" fn amvacuumcleanup(
    info: *mut pg_sys::IndexVacuumInfo,
    stats: *mut pg_sys::IndexBulkDeleteResult,
) -> *mut pg_sys::IndexBulkDeleteResult {
    crate::jobs::metrics::timed_maintenance(unsafe { (*info).index }, false, || unsafe {
        if common_vacuum::analyze_only(info) {
            return stats;
        }
        let index = (*info).index;
        let stats = if stats.is_null() {
            let s = result_or_new(stats);
            (*s).num_index_tuples = sweep(index, common_vacuum::strategy(info), None).live as f64;
            s
        } else {
            stats
        };
        (*stats).num_pages = page::nblocks(index);
        (*stats).estimated_count = false;
        stats
    })
}
