//! Differences between the PostgreSQL major versions quiver builds for (15, 16, 18), in one
//! place. Everything else calls these shims and never tests the version itself.
//!
//! | shim | 15 | 16+ | 18 |
//! |---|---|---|---|
//! | [`extend_locked`] | `P_NEW` under the extension lock | `ExtendBufferedRel(EB_LOCK_FIRST)` | |
//! | [`RelFile`] / [`read_recent`] | `RelFileNode`, `rd_node` | `RelFileLocator`, `rd_locator` | |
//! | [`count_index_scan`] / [`count_buffer_hit`] | `t_counts.t_*` | `counts.*` | |
//! | [`file_write`] | `FileWrite(char *, int)` | `FileWrite(void *, size_t)` | |
//! | [`vacuum_delay_point`] | no argument | | `is_analyze` |
//! | [`attribute`] | `attrs[]` | | `TupleDescAttr()` |
//! | [`relopt`] | | | `isset_offset` |
//! | [`disable_path`] | infinite cost | | also `disabled_nodes` |
//! | [`soft_error_context`] | none | `ErrorSaveContext` (`escontext`) | |

use pgrx::pg_sys;

/// Append a new block to `fork` of `rel`; the buffer comes back pinned and exclusively locked.
///
/// # Safety
/// `rel` must be an open relation.
pub unsafe fn extend_locked(rel: pg_sys::Relation, fork: pg_sys::ForkNumber::Type) -> pg_sys::Buffer {
    #[cfg(feature = "pg15")]
    unsafe {
        pg_sys::LockRelationForExtension(rel, pg_sys::ExclusiveLock as i32);
        let buf = pg_sys::ReadBufferExtended(
            rel,
            fork,
            pg_sys::InvalidBlockNumber,
            pg_sys::ReadBufferMode::RBM_NORMAL,
            std::ptr::null_mut(),
        );
        pg_sys::LockBuffer(buf, pg_sys::BUFFER_LOCK_EXCLUSIVE as i32);
        pg_sys::UnlockRelationForExtension(rel, pg_sys::ExclusiveLock as i32);
        buf
    }
    #[cfg(not(feature = "pg15"))]
    unsafe {
        // BMR_REL(rel): the buffer manager takes the extension lock itself.
        let bmr = pg_sys::BufferManagerRelation { rel, smgr: std::ptr::null_mut(), relpersistence: 0 };
        pg_sys::ExtendBufferedRel(bmr, fork, std::ptr::null_mut(), pg_sys::ExtendBufferedFlags::EB_LOCK_FIRST)
    }
}

/// Mark an index path the index cannot serve (no ORDER BY distance) as worse than any
/// disabled plan. Before PostgreSQL 18 an infinite cost does this; 18 compares the number of
/// disabled nodes first (a sequential scan under `enable_seqscan = off` counts one), so the
/// path counts two.
///
/// # Safety
/// `path` must be the planner's index path being costed.
pub unsafe fn disable_path(path: *mut pg_sys::IndexPath) {
    #[cfg(feature = "pg18")]
    unsafe {
        (*path).path.disabled_nodes = 2;
    }
    #[cfg(not(feature = "pg18"))]
    let _ = path;
}

/// The physical file identity of a relation, as `ReadRecentBuffer` takes it.
#[cfg(feature = "pg15")]
pub type RelFile = pg_sys::RelFileNode;
#[cfg(not(feature = "pg15"))]
pub type RelFile = pg_sys::RelFileLocator;

/// `rel`'s file identity, and the same as a plain key (tablespace, database, file number).
pub fn rel_file(rel: pg_sys::Relation) -> (RelFile, (u32, u32, u32)) {
    #[cfg(feature = "pg15")]
    {
        let n = unsafe { (*rel).rd_node };
        (n, (n.spcNode.to_u32(), n.dbNode.to_u32(), n.relNode.to_u32()))
    }
    #[cfg(not(feature = "pg15"))]
    {
        let n = unsafe { (*rel).rd_locator };
        (n, (n.spcOid.to_u32(), n.dbOid.to_u32(), n.relNumber.to_u32()))
    }
}

/// Pin `buf` if it still holds block `blk` of `file`'s main fork (`ReadRecentBuffer`).
pub fn read_recent(file: RelFile, blk: u32, buf: pg_sys::Buffer) -> bool {
    unsafe { pg_sys::ReadRecentBuffer(file, pg_sys::ForkNumber::MAIN_FORKNUM, blk, buf) }
}

/// `rel`'s pending statistics counters (None when statistics are not being collected for it).
fn table_counts(rel: pg_sys::Relation) -> Option<&'static mut pg_sys::PgStat_TableCounts> {
    unsafe {
        let info = (*rel).pgstat_info;
        #[cfg(feature = "pg15")]
        return info.as_mut().map(|i| &mut i.t_counts);
        #[cfg(not(feature = "pg15"))]
        return info.as_mut().map(|i| &mut i.counts);
    }
}

/// `pgstat_count_index_scan`: one scan of this index, for `pg_stat_*_indexes.idx_scan`.
pub fn count_index_scan(rel: pg_sys::Relation) {
    let Some(c) = table_counts(rel) else { return };
    #[cfg(feature = "pg15")]
    {
        c.t_numscans += 1;
    }
    #[cfg(not(feature = "pg15"))]
    {
        c.numscans += 1;
    }
}

/// `pgstat_count_buffer_read` + `pgstat_count_buffer_hit`, for reads that bypass
/// `ReadBufferExtended` (so `pg_statio_*_indexes` keep counting them).
pub fn count_buffer_hit(rel: pg_sys::Relation) {
    let Some(c) = table_counts(rel) else { return };
    #[cfg(feature = "pg15")]
    {
        c.t_blocks_fetched += 1;
        c.t_blocks_hit += 1;
    }
    #[cfg(not(feature = "pg15"))]
    {
        c.blocks_fetched += 1;
        c.blocks_hit += 1;
    }
}

/// `FileWrite` of at most `i32::MAX` bytes of `bytes` at `offset`: bytes written, 0 on a full
/// disk, negative on another error (errno set).
pub fn file_write(file: pg_sys::File, bytes: &[u8], offset: u64, wait_event: u32) -> isize {
    let amount = bytes.len().min(i32::MAX as usize);
    #[cfg(feature = "pg15")]
    let n = unsafe {
        pg_sys::FileWrite(
            file,
            bytes.as_ptr() as *mut std::ffi::c_char,
            amount as i32,
            offset as pg_sys::off_t,
            wait_event,
        )
    };
    #[cfg(not(feature = "pg15"))]
    let n = unsafe { pg_sys::FileWrite(file, bytes.as_ptr().cast(), amount, offset as pg_sys::off_t, wait_event) };
    n as isize
}

/// Sleep for cost-based vacuum delay if due, and check for interrupts.
pub fn vacuum_delay_point() {
    #[cfg(not(feature = "pg18"))]
    unsafe {
        pg_sys::vacuum_delay_point()
    };
    #[cfg(feature = "pg18")]
    unsafe {
        pg_sys::vacuum_delay_point(false)
    };
}

/// Attribute `i` (0-based) of a tuple descriptor.
///
/// # Safety
/// `desc` must be a valid tuple descriptor with more than `i` attributes.
pub unsafe fn attribute(desc: pg_sys::TupleDesc, i: usize) -> *const pg_sys::FormData_pg_attribute {
    #[cfg(not(feature = "pg18"))]
    unsafe {
        (*desc).attrs.as_ptr().add(i)
    }
    #[cfg(feature = "pg18")]
    unsafe {
        pg_sys::TupleDescAttr(desc, i as i32)
    }
}

/// One entry of a `build_reloptions` parse table.
pub fn relopt(
    name: &'static std::ffi::CStr,
    kind: pg_sys::relopt_type::Type,
    offset: usize,
) -> pg_sys::relopt_parse_elt {
    pg_sys::relopt_parse_elt {
        optname: name.as_ptr(),
        opttype: kind,
        offset: offset as i32,
        #[cfg(feature = "pg18")]
        isset_offset: 0,
    }
}

/// Where an input function reports a "soft" error instead of raising it: the
/// `ErrorSaveContext` that `pg_input_is_valid`, `pg_input_error_info` and
/// `COPY ... ON_ERROR ignore` pass in `fcinfo->context` (PostgreSQL 16 and later).
pub struct SoftErrors(*mut std::ffi::c_void);

/// The call's soft-error context, if its caller asked for soft errors.
pub fn soft_error_context(fcinfo: pg_sys::FunctionCallInfo) -> Option<SoftErrors> {
    #[cfg(feature = "pg15")]
    {
        let _ = fcinfo;
        None
    }
    #[cfg(not(feature = "pg15"))]
    unsafe {
        if fcinfo.is_null() {
            return None;
        }
        let node = (*fcinfo).context;
        (!node.is_null() && (*node).type_ == pg_sys::NodeTag::T_ErrorSaveContext).then(|| SoftErrors(node.cast()))
    }
}

impl SoftErrors {
    /// Record an error (what `errsave` does): mark that one occurred and, when the caller
    /// wants the details (`pg_input_error_info`), keep its SQLSTATE, message and detail.
    pub fn save(&self, sqlstate: pgrx::PgSqlErrorCode, message: &str, detail: Option<&str>) {
        #[cfg(feature = "pg15")]
        {
            let _ = (sqlstate, message, detail, self.0);
        }
        #[cfg(not(feature = "pg15"))]
        unsafe {
            let ctx = self.0 as *mut pg_sys::ErrorSaveContext;
            (*ctx).error_occurred = true;
            if !(*ctx).details_wanted {
                return;
            }
            let edata = pg_sys::palloc0(std::mem::size_of::<pg_sys::ErrorData>()) as *mut pg_sys::ErrorData;
            (*edata).elevel = pgrx::PgLogLevel::ERROR as i32;
            (*edata).sqlerrcode = sqlstate as i32;
            (*edata).domain = c"quiver".as_ptr();
            (*edata).message = pstrdup(message);
            if let Some(d) = detail {
                (*edata).detail = pstrdup(d);
            }
            (*edata).assoc_context = pg_sys::CurrentMemoryContext;
            (*ctx).error_data = edata;
        }
    }
}

/// A palloc'd NUL-terminated copy of `s` (interior NULs cut the text there).
#[cfg(not(feature = "pg15"))]
fn pstrdup(s: &str) -> *mut std::ffi::c_char {
    let bytes = s.as_bytes();
    let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    unsafe {
        let p = pg_sys::palloc(len + 1) as *mut u8;
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, len);
        *p.add(len) = 0;
        p.cast()
    }
}

/// A background worker's SIGTERM sets ProcDiePending, acted on at the next interrupt check as
/// in a client backend (the default for workers exits from inside the signal handler), so a
/// worker stopped mid-VACUUM or mid-build aborts cleanly.
pub fn sigterm_dies() {
    unsafe extern "C-unwind" {
        // PostgreSQL's own handler (pg_sys::die is a Rust wrapper, not a signal handler)
        #[link_name = "die"]
        fn postgres_die(signal: std::ffi::c_int);
    }
    unsafe {
        #[cfg(not(feature = "pg18"))]
        pg_sys::pqsignal(libc::SIGTERM, Some(postgres_die));
        #[cfg(feature = "pg18")]
        pg_sys::pqsignal_be(libc::SIGTERM, Some(postgres_die));
    }
}
