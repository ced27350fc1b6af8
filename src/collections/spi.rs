//! SPI helpers for the collection functions: every statement runs with text parameters
//! (the SQL casts them where it uses them), so no value is ever spliced into SQL text.

use pgrx::datum::DatumWithOid;
use pgrx::prelude::*;
use serde_json::Value;

use super::pgvalue;

fn args(params: &[&str]) -> Vec<DatumWithOid<'static>> {
    params.iter().map(|p| DatumWithOid::from(p.to_string())).collect()
}

/// Runs a statement (DDL or DML) with text parameters; returns the rows it processed.
pub fn run(sql: &str, params: &[&str]) -> usize {
    let a = args(params);
    Spi::connect_mut(|c| c.update(sql, None, &a).map(|t| t.len()))
        .unwrap_or_else(|e| pgrx::error!("quiver: internal statement failed: {e}"))
}

/// Run `sql` without taking a transaction id (pgrx's mutable SPI takes one, which a hot
/// standby refuses): for statements that write nothing, such as EXPLAIN and queries on a
/// standby (where one that writes fails with PostgreSQL's own error). Returns the first
/// column of every row as text (NULLs skipped) when `rows`, else nothing.
pub fn run_without_xid(sql: &str, rows: bool) -> Vec<String> {
    let Ok(c) = std::ffi::CString::new(sql) else {
        crate::error::raise_code(PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, "query text contains a NUL byte")
    };
    let mut out = Vec::new();
    unsafe {
        if pg_sys::SPI_connect() < 0 {
            pgrx::error!("quiver: SPI_connect failed");
        }
        let rc = pg_sys::SPI_execute(c.as_ptr(), false, 0);
        if rc < 0 {
            pgrx::error!("quiver: internal statement failed: SPI code {rc}");
        }
        let table = pg_sys::SPI_tuptable;
        if rows && !table.is_null() && (*(*table).tupdesc).natts >= 1 {
            for i in 0..pg_sys::SPI_processed as usize {
                let v = pg_sys::SPI_getvalue(*(*table).vals.add(i), (*table).tupdesc, 1);
                if !v.is_null() {
                    out.push(std::ffi::CStr::from_ptr(v).to_string_lossy().into_owned());
                }
            }
        }
        pg_sys::SPI_finish();
    }
    out
}

/// What results are called in errors about their values.
const RESULT: &str = "data read from the database";

/// First column of every non-NULL row, read by `read(datum, type)`.
fn column<T>(sql: &str, params: &[DatumWithOid<'_>], read: impl Fn(pg_sys::Datum, pg_sys::Oid) -> T) -> Vec<T> {
    Spi::connect_mut(|c| {
        let mut t = c.update(sql, None, params)?;
        let mut out = Vec::with_capacity(t.len());
        if t.is_empty() {
            return Ok(out);
        }
        let typoid = t.column_type_oid(1)?.value();
        while t.next().is_some() {
            if let Some(d) = t.get_datum_by_ordinal(1)? {
                out.push(read(d, typoid));
            }
        }
        Ok::<_, pgrx::spi::SpiError>(out)
    })
    .unwrap_or_else(|e| pgrx::error!("quiver: internal query failed: {e}"))
}

/// Reads a jsonb result.
fn json_of(d: pg_sys::Datum, typoid: pg_sys::Oid) -> Value {
    if typoid != pg_sys::JSONBOID {
        pgrx::error!("quiver: internal query returned type {typoid:?}, not jsonb");
    }
    unsafe { pgvalue::jsonb(d, RESULT) }
}

/// First column of every row, as JSON (the SQL must produce jsonb).
pub fn json_rows(sql: &str, params: &[&str]) -> Vec<Value> {
    column(sql, &args(params), json_of)
}

/// First column of every row, as text.
pub fn text_rows(sql: &str, params: &[&str]) -> Vec<String> {
    column(sql, &args(params), |d, t| unsafe { pgvalue::text(d, t, &RESULT) })
}

/// The first column of the first row, as JSON (None when no row or NULL).
pub fn json_one(sql: &str, params: &[&str]) -> Option<Value> {
    json_rows(sql, params).into_iter().next()
}

/// `to_jsonb()` of a value of any type (None for NULL).
pub fn to_jsonb(value: DatumWithOid<'_>) -> Option<Value> {
    column("SELECT pg_catalog.to_jsonb($1)", &[value], json_of).into_iter().next()
}

/// The first column of the first row, as text.
pub fn text_one(sql: &str, params: &[&str]) -> Option<String> {
    text_rows(sql, params).into_iter().next()
}
