//! Utility statements run the way a client's simple query runs them: through a portal, at
//! top level, outside any transaction block. This is what lets a worker run what SPI cannot:
//! CREATE INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY and VACUUM, which commit and start
//! transactions of their own.

use pgrx::pg_sys;
use std::ffi::CString;

/// A memory context that outlives transactions (the statements below commit in the middle),
/// deleted on drop.
pub struct LongLived(pg_sys::MemoryContext);

impl LongLived {
    pub fn new() -> Self {
        let cx = unsafe {
            pg_sys::AllocSetContextCreateExtended(
                pg_sys::TopMemoryContext,
                c"quiver job statements".as_ptr(),
                pg_sys::ALLOCSET_DEFAULT_MINSIZE as usize,
                pg_sys::ALLOCSET_DEFAULT_INITSIZE as usize,
                pg_sys::ALLOCSET_DEFAULT_MAXSIZE as usize,
            )
        };
        LongLived(cx)
    }

    /// Runs `f` with this context current.
    pub fn within<R>(&self, f: impl FnOnce() -> R) -> R {
        let old = unsafe { pg_sys::MemoryContextSwitchTo(self.0) };
        let r = f();
        unsafe { pg_sys::MemoryContextSwitchTo(old) };
        r
    }

    /// A copy of `s` allocated here.
    pub fn cstr(&self, s: &str) -> *mut std::ffi::c_char {
        let c = CString::new(s.replace('\0', "")).unwrap_or_default();
        self.within(|| unsafe { pg_sys::pstrdup(c.as_ptr()) })
    }
}

impl Drop for LongLived {
    fn drop(&mut self) {
        unsafe { pg_sys::MemoryContextDelete(self.0) }
    }
}

/// The raw statements of `sql` (parse trees allocated in `cx`). Parsing needs no transaction.
pub fn parse(cx: &LongLived, sql: &str) -> Vec<*mut pg_sys::Node> {
    let text = cx.cstr(sql);
    cx.within(|| unsafe {
        let list = pg_sys::raw_parser(text, pg_sys::RawParseMode::RAW_PARSE_DEFAULT);
        let list = pgrx::PgList::<pg_sys::RawStmt>::from_pg(list);
        list.iter_ptr().map(|raw| (*raw).stmt).collect()
    })
}

/// Runs one utility statement at top level. Must be called outside a transaction; starts one
/// and commits what is open at the end (the statement may have committed others in between).
pub fn run(cx: &LongLived, stmt: *mut pg_sys::Node, source: &str) {
    let text = cx.cstr(source);
    unsafe {
        pg_sys::SetCurrentStatementStartTimestamp();
        pg_sys::StartTransactionCommand();
        let plans = cx.within(|| {
            let raw = pg_sys::palloc0(std::mem::size_of::<pg_sys::RawStmt>()) as *mut pg_sys::RawStmt;
            (*raw).type_ = pg_sys::NodeTag::T_RawStmt;
            (*raw).stmt = stmt;
            let queries = pg_sys::pg_analyze_and_rewrite_fixedparams(raw, text, std::ptr::null(), 0, std::ptr::null_mut());
            for q in pgrx::PgList::<pg_sys::Query>::from_pg(queries).iter_ptr() {
                if (*q).commandType != pg_sys::CmdType::CMD_UTILITY {
                    pgrx::error!("quiver: a job runs utility statements only");
                }
            }
            pg_sys::pg_plan_queries(queries, text, 0, std::ptr::null_mut())
        });
        let portal = pg_sys::CreatePortal(c"".as_ptr(), true, true);
        (*portal).visible = false;
        pg_sys::PortalDefineQuery(portal, std::ptr::null(), text, pg_sys::CreateCommandTag(stmt), plans, std::ptr::null_mut());
        pg_sys::PortalStart(portal, std::ptr::null_mut(), 0, std::ptr::null_mut());
        let dest = pg_sys::CreateDestReceiver(pg_sys::CommandDest::DestNone);
        let mut qc: pg_sys::QueryCompletion = std::mem::zeroed();
        #[cfg(not(feature = "pg18"))]
        pg_sys::PortalRun(portal, i64::MAX as std::ffi::c_long, true, true, dest, dest, &mut qc);
        #[cfg(feature = "pg18")]
        pg_sys::PortalRun(portal, i64::MAX as std::ffi::c_long, true, dest, dest, &mut qc);
        pg_sys::PortalDrop(portal, false);
        if pg_sys::ActiveSnapshotSet() {
            pg_sys::PopActiveSnapshot();
        }
        pg_sys::CommitTransactionCommand();
    }
}

/// Parses `sql` and runs each of its statements at top level.
pub fn run_sql(cx: &LongLived, sql: &str) {
    for stmt in parse(cx, sql) {
        run(cx, stmt, sql);
    }
}

/// Runs `f` in a transaction of its own with a snapshot set (for SPI), outside any other.
pub fn transaction<R>(f: impl FnOnce() -> R) -> R {
    unsafe {
        pg_sys::SetCurrentStatementStartTimestamp();
        pg_sys::StartTransactionCommand();
        pg_sys::PushActiveSnapshot(pg_sys::GetTransactionSnapshot());
    }
    let r = f();
    unsafe {
        pg_sys::PopActiveSnapshot();
        pg_sys::CommitTransactionCommand();
    }
    r
}
