//! `quiver.index_check(regclass, reachability)`: verify the structure of any quiver index and
//! list the problems found (none when healthy); each method checks its own layout.

use pgrx::prelude::*;

#[pg_extern(sql = false)]
fn index_check(index_oid: pg_sys::Oid, reachability: bool) -> SetOfIterator<'static, String> {
    let relkind = unsafe { pg_sys::get_rel_relkind(index_oid) } as u8;
    if relkind == 0 {
        crate::error::raise_code(PgSqlErrorCode::ERRCODE_UNDEFINED_TABLE, format!("relation with OID {} does not exist", index_oid.to_u32()));
    }
    let name = || unsafe {
        let n = pg_sys::get_rel_name(index_oid);
        if n.is_null() { String::new() } else { std::ffi::CStr::from_ptr(n).to_string_lossy().into_owned() }
    };
    if relkind != pg_sys::RELKIND_INDEX {
        crate::error::raise_code(PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE, format!("\"{}\" is not an index", name()));
    }
    let rel = unsafe { pg_sys::index_open(index_oid, pg_sys::AccessShareLock as pg_sys::LOCKMODE) };
    let am = unsafe {
        let n = pg_sys::get_am_name((*(*rel).rd_rel).relam);
        if n.is_null() { String::new() } else { std::ffi::CStr::from_ptr(n).to_string_lossy().into_owned() }
    };
    let mut problems = match am.as_str() {
        "hnsw" => crate::am::hnsw::check::check(rel, reachability),
        "ivfflat" => crate::am::ivfflat::check::check(rel),
        _ => {
            unsafe { pg_sys::index_close(rel, pg_sys::AccessShareLock as pg_sys::LOCKMODE) };
            crate::error::raise_code(
                PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE,
                format!("index \"{}\" is not an hnsw or ivfflat index", name()),
            )
        }
    };
    unsafe { pg_sys::index_close(rel, pg_sys::AccessShareLock as pg_sys::LOCKMODE) };
    problems.sort();
    SetOfIterator::new(problems)
}
