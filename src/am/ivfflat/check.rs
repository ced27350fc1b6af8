//! `quiver.index_check` for ivfflat: the meta page, every list head and centroid, every list's
//! chain of pages and every entry (well-formed, a valid heap TID, its vector of the index's
//! dimensions, overflow chains intact), and pages that belong to no list.

use super::layout::{Entry, Meta, KIND_FREE, KIND_HEADS, KIND_LIST, KIND_META, KIND_OVERFLOW, META_BLOCK};
use super::pages;
use crate::am::common::page::{self, Buf, Lock};
use crate::am::common::payload;
use pgrx::pg_sys;
use quiver_core::metric::payload_dims;
use std::collections::HashSet;

pub fn check(rel: pg_sys::Relation) -> Vec<String> {
    let mut problems = Vec::new();
    let nblocks = page::nblocks(rel);
    if nblocks == 0 {
        return vec!["index has no meta page".to_string()];
    }
    let meta = {
        let buf = Buf::read(rel, META_BLOCK, Lock::Share);
        if page::page_kind(buf.page()) != KIND_META {
            return vec!["block 0 is not an ivfflat meta page".to_string()];
        }
        match unsafe { page::item(buf.page(), 1) }.and_then(|b| Meta::from_bytes(b)) {
            Some(Ok(m)) => m,
            Some(Err(v)) => return vec![format!("meta page has format version {v}; REINDEX the index")],
            None => return vec!["bad magic number".to_string()],
        }
    };
    let (kind, _) = payload::opclass_kernel(rel, "ivfflat");
    let mut heads_seen = 0usize;
    let mut head_blocks = HashSet::new();
    let mut list_pages = HashSet::new();
    for i in 0..meta.head_pages {
        let blk = meta.heads_blk + i;
        head_blocks.insert(blk);
        if blk >= nblocks {
            problems.push(format!("head page {blk} is beyond the end of the index"));
            return problems;
        }
        let buf = Buf::read(rel, blk, Lock::Share);
        if page::page_kind(buf.page()) != KIND_HEADS {
            problems.push(format!("block {blk} is not a list head page"));
            return problems;
        }
        heads_seen += (1..=page::max_offset(buf.page())).filter(|&o| unsafe { page::item(buf.page(), o) }.is_some()).count();
    }
    if heads_seen != meta.all_lists() {
        problems.push(format!("meta page counts {} lists, head pages hold {heads_seen}", meta.all_lists()));
        return problems;
    }
    let heads = pages::read_heads(rel, &meta);
    for (l, (head, pos, inline)) in heads.iter().enumerate() {
        if l < meta.lists as usize {
            let c = if head.flags & super::layout::HEAD_OVERFLOW != 0 {
                pages::read_overflow(rel, head.overflow, head.centroid_len as usize, &|| format!("the centroid of list {l}")).unwrap_or_else(|e| {
                    problems.push(e);
                    Vec::new()
                })
            } else {
                inline[..(head.centroid_len as usize).min(inline.len())].to_vec()
            };
            if payload_dims(kind, &c) != meta.dims as usize {
                problems.push(format!("centroid of list {l} (head ({},{})) has the wrong dimensions", pos.0, pos.1));
            }
        }
        let mut blk = head.first;
        let mut on_chain = HashSet::new();
        let mut insert_on_chain = false;
        while blk != pg_sys::InvalidBlockNumber {
            if blk == META_BLOCK || blk >= nblocks || !on_chain.insert(blk) {
                problems.push(format!("list {l} chain is broken at block {blk}"));
                break;
            }
            if !list_pages.insert(blk) {
                problems.push(format!("block {blk} is on more than one list"));
                break;
            }
            insert_on_chain |= blk == head.insert;
            let buf = Buf::read(rel, blk, Lock::Share);
            if page::page_kind(buf.page()) != KIND_LIST {
                problems.push(format!("list {l} chain reaches block {blk}, which is not a list page"));
                break;
            }
            for off in 1..=page::max_offset(buf.page()) {
                let Some(bytes) = (unsafe { page::item(buf.page(), off) }) else { continue };
                let e = Entry { bytes };
                if !e.is_well_formed() {
                    problems.push(format!("entry ({blk},{off}) is malformed"));
                    continue;
                }
                let (hb, ho) = e.tid();
                if hb == pg_sys::InvalidBlockNumber || ho == 0 || ho > payload::MAX_HEAP_TUPLES_PER_PAGE {
                    problems.push(format!("entry ({blk},{off}) has an invalid heap TID"));
                }
                if l >= meta.lists as usize {
                    continue; // rows without a distance keep no vector
                }
                let p = match e.overflow() {
                    Some(ov) => match pages::read_overflow(rel, ov, e.len(), &|| format!("entry ({blk},{off})")) {
                        Ok(p) => p,
                        Err(msg) => {
                            problems.push(msg);
                            continue;
                        }
                    },
                    None => e.inline().to_vec(),
                };
                if payload_dims(kind, &p) != meta.dims as usize {
                    problems.push(format!("entry ({blk},{off}) has a vector of the wrong dimensions"));
                }
            }
            blk = page::next_block(buf.page());
            drop(buf);
            pgrx::check_for_interrupts!();
        }
        if !insert_on_chain {
            problems.push(format!("insert page {} of list {l} is not on its chain", head.insert));
        }
    }
    for blk in 1..nblocks {
        if head_blocks.contains(&blk) || list_pages.contains(&blk) {
            continue;
        }
        let buf = Buf::read(rel, blk, Lock::Share);
        match page::page_kind(buf.page()) {
            KIND_OVERFLOW | KIND_FREE | 0 => {}
            KIND_LIST => problems.push(format!("list page {blk} belongs to no list")),
            k => problems.push(format!("block {blk} has unknown page kind {k:#x}")),
        }
    }
    problems
}
