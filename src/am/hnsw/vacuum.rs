//! VACUUM: mark nodes whose heap rows are dead as deleted (scans skip them; they keep routing
//! searches through the graph), and report statistics.

use super::layout::{Node, KIND_NODES};
use super::spec::IndexSpec;
use crate::am::page::{self, Buf, Lock, Wal};
use pgrx::prelude::*;

fn result_or_new(stats: *mut pg_sys::IndexBulkDeleteResult) -> *mut pg_sys::IndexBulkDeleteResult {
    if stats.is_null() {
        unsafe { pg_sys::palloc0(std::mem::size_of::<pg_sys::IndexBulkDeleteResult>()) as *mut _ }
    } else {
        stats
    }
}

/// Visit every node item; `f(node) -> true` marks it deleted. Returns (live, newly deleted).
fn sweep(index: pg_sys::Relation, mut dead: impl FnMut(&Node) -> bool) -> (u64, u64) {
    let layout = IndexSpec::of(index).layout;
    let (mut live, mut removed) = (0u64, 0u64);
    for blk in 1..page::nblocks(index) {
        let buf = Buf::read(index, blk, Lock::Exclusive);
        if page::page_kind(buf.page()) != KIND_NODES {
            continue;
        }
        let mut to_delete = Vec::new();
        for off in 1..=page::max_offset(buf.page()) {
            if let Some(bytes) = unsafe { page::item(buf.page(), off) } {
                let node = Node { bytes, layout };
                if node.is_deleted() {
                    continue;
                }
                if dead(&node) {
                    to_delete.push(off);
                } else {
                    live += 1;
                }
            }
        }
        if !to_delete.is_empty() {
            let mut wal = Wal::start(index);
            let p = wal.register(&buf, false);
            for off in &to_delete {
                if let Some(bytes) = unsafe { page::item(p, *off) } {
                    Node { bytes, layout }.set_deleted();
                }
            }
            wal.finish();
            removed += to_delete.len() as u64;
        }
        pgrx::check_for_interrupts!();
    }
    (live, removed)
}

#[pg_guard]
pub unsafe extern "C-unwind" fn ambulkdelete(
    info: *mut pg_sys::IndexVacuumInfo,
    stats: *mut pg_sys::IndexBulkDeleteResult,
    callback: pg_sys::IndexBulkDeleteCallback,
    callback_state: *mut std::ffi::c_void,
) -> *mut pg_sys::IndexBulkDeleteResult {
    unsafe {
        let stats = result_or_new(stats);
        let index = (*info).index;
        let Some(cb) = callback else { return stats };
        let (live, removed) = sweep(index, |node| {
            let (blk, off) = node.heap_tid();
            let mut tid = pg_sys::ItemPointerData::default();
            tid.ip_blkid.bi_hi = (blk >> 16) as u16;
            tid.ip_blkid.bi_lo = (blk & 0xffff) as u16;
            tid.ip_posid = off;
            cb(&mut tid, callback_state)
        });
        (*stats).tuples_removed += removed as f64;
        (*stats).num_index_tuples = live as f64;
        stats
    }
}

#[pg_guard]
pub unsafe extern "C-unwind" fn amvacuumcleanup(
    info: *mut pg_sys::IndexVacuumInfo,
    stats: *mut pg_sys::IndexBulkDeleteResult,
) -> *mut pg_sys::IndexBulkDeleteResult {
    unsafe {
        if (*info).analyze_only {
            return stats;
        }
        let index = (*info).index;
        let stats = if stats.is_null() {
            let s = result_or_new(stats);
            let (live, _) = sweep(index, |_| false);
            (*s).num_index_tuples = live as f64;
            s
        } else {
            stats
        };
        (*stats).num_pages = page::nblocks(index);
        (*stats).estimated_count = false;
        stats
    }
}
