//! What index scans did, for `quiver.explain_search`: while [`recording`] runs, each quiver
//! index scan that ends adds one line (which index, which path, how much it read). Outside
//! it nothing is kept.

use std::cell::RefCell;

/// Lines kept per recording (a search over many partitions scans each one).
const MAX_LINES: usize = 1_024;

thread_local! {
    static LINES: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Clears the recording however `recording`'s body ends (an error unwinds through it).
struct Stop;

impl Drop for Stop {
    fn drop(&mut self) {
        LINES.with(|l| *l.borrow_mut() = None);
    }
}

/// Runs `body` and returns, with its result, the lines of the scans that ended meanwhile.
pub fn recording<T>(body: impl FnOnce() -> T) -> (T, Vec<String>) {
    LINES.with(|l| *l.borrow_mut() = Some(Vec::new()));
    let stop = Stop;
    let out = body();
    let lines = LINES.with(|l| l.borrow_mut().take()).unwrap_or_default();
    drop(stop);
    (out, lines)
}

/// The start of a scan's line when it had keys on attribute columns.
pub fn keys(p: &quiver_core::attrs::Predicate) -> String {
    format!("{} condition(s) checked inside the index", p.len())
}

/// Adds a scan's line when a recording runs (`line` is only built then).
pub fn scan_ended(line: impl FnOnce() -> String) {
    LINES.with(|l| {
        if let Some(v) = l.borrow_mut().as_mut().filter(|v| v.len() < MAX_LINES) {
            v.push(line());
        }
    });
}

/// `quiver.explain_scan(query)`: the query's plan (`EXPLAIN (COSTS OFF)`), then one
/// `quiver:` line per quiver index scan the query made when it ran (its rows are discarded;
/// like `EXPLAIN ANALYZE`, a data-modifying query does modify), saying which path each took
/// inside the index and how much it read.
#[pgrx::pg_extern(sql = false)]
fn explain_scan(query: Option<crate::collections::args::Text>) -> pgrx::iter::SetOfIterator<'static, String> {
    use crate::collections::spi;
    // (STRICT in SQL; bytes that are not UTF-8, in a SQL_ASCII database, are an error 22021)
    let query = crate::collections::args::required("query", query);
    // (no transaction id is taken for either: it works on a hot standby)
    let mut lines = spi::text_rows(&format!("EXPLAIN (COSTS OFF) {query}"), &[]);
    let (_, scans) = recording(|| spi::run(query, &[]));
    if scans.is_empty() {
        lines.push("quiver: no quiver index scan ran".to_string());
    }
    lines.extend(scans.into_iter().map(|s| format!("quiver: {s}")));
    pgrx::iter::SetOfIterator::new(lines)
}
