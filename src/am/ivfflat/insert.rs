//! INSERT: the row goes to the list of its nearest centroid (rows without a distance and NULL
//! vectors to their own lists), appended on the list's first page with room.
//!
//! Inserts from many sessions run side by side: each locks only the list page it appends to
//! (and, when that list grows a page, the list's head afterwards).

use super::lists;
use super::pages;
use crate::am::common::attrs::AttrColumns;
use crate::am::common::payload::{self, Detoaster};
use pgrx::prelude::*;

#[pg_guard]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C-unwind" fn aminsert(
    index: pg_sys::Relation,
    values: *mut pg_sys::Datum,
    isnull: *mut bool,
    heap_tid: pg_sys::ItemPointer,
    _heap: pg_sys::Relation,
    _check_unique: pg_sys::IndexUniqueCheck::Type,
    _index_unchanged: bool,
    _index_info: *mut pg_sys::IndexInfo,
) -> bool {
    unsafe {
        let tid = payload::heap_tid(&*heap_tid);
        let lists = lists::of(index);
        let columns = AttrColumns::of(index, "ivfflat");
        let attrs = if columns.is_empty() { Vec::new() } else { columns.encode(values, isnull) };
        if *isnull {
            pages::append_entry(index, lists.heads[lists.null_list()], tid, &[], &attrs);
        } else {
            Detoaster::new().with(*values, |p| {
                payload::check_query_dims(lists.kind, lists.dims, p);
                let l = lists.list_for(p);
                let stored: &[u8] = if l == lists.nan_list() { &[] } else { p };
                pages::append_entry(index, lists.heads[l], tid, stored, &attrs);
            });
        }
    }
    crate::jobs::metrics::inserted(index);
    false
}
