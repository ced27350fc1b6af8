//! Reloption and GUC helpers shared by every method.

use pgrx::pg_sys;

/// A reloption kind of its own for one access method (from `_PG_init`).
pub fn new_kind() -> pg_sys::relopt_kind::Type {
    unsafe { pg_sys::add_reloption_kind() }
}

/// An integer reloption `name` in `kind` (changing it needs a REINDEX, like PostgreSQL's own
/// index options).
pub fn add_int(kind: pg_sys::relopt_kind::Type, name: &'static std::ffi::CStr, desc: &'static std::ffi::CStr, default: i32, min: i32, max: i32) {
    unsafe {
        pg_sys::add_int_reloption(kind, name.as_ptr(), desc.as_ptr(), default, min, max, pg_sys::AccessExclusiveLock as pg_sys::LOCKMODE)
    }
}

/// Parse `WITH (...)` into the method's repr(C) options struct `T` (its first field is the
/// varlena length word) from `(name, type, offset)` entries: `amoptions`' body.
pub fn parse<T>(
    reloptions: pg_sys::Datum,
    validate: bool,
    kind: pg_sys::relopt_kind::Type,
    fields: &[(&'static std::ffi::CStr, pg_sys::relopt_type::Type, usize)],
) -> *mut pg_sys::bytea {
    let tab: Vec<pg_sys::relopt_parse_elt> = fields.iter().map(|&(n, t, off)| crate::compat::relopt(n, t, off)).collect();
    unsafe {
        pg_sys::build_reloptions(reloptions, validate, kind, std::mem::size_of::<T>(), tab.as_ptr(), tab.len() as i32)
            as *mut pg_sys::bytea
    }
}

/// The parsed options of an open index, if any were given.
pub fn of<T: Copy>(index: pg_sys::Relation) -> Option<T> {
    unsafe {
        let opts = (*index).rd_options as *const T;
        (!opts.is_null()).then(|| *opts)
    }
}

/// Reserve a GUC prefix (`hnsw.`, `ivfflat.`) so misspelled settings are errors.
pub fn reserve_prefix(prefix: &'static std::ffi::CStr) {
    unsafe { pg_sys::MarkGUCPrefixReserved(prefix.as_ptr()) };
}
