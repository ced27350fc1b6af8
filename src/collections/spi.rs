//! SPI helpers for the collection functions: every statement runs with text parameters
//! (the SQL casts them where it uses them), so no value is ever spliced into SQL text.

use pgrx::datum::DatumWithOid;
use pgrx::prelude::*;
use serde_json::Value;

use super::pgvalue;

fn args(params: &[&str]) -> Vec<DatumWithOid<'static>> {
    params.iter().map(|p| DatumWithOid::from(p.to_string())).collect()
}

/// Runs `sql` with `params` ($1, $2, ...) through SPI as a statement that may write, without
/// asking for a transaction id first. (pgrx's mutable SPI asks for one: every search would
/// then consume a transaction id and write a commit record, and none could run on a hot
/// standby. PostgreSQL assigns one itself when a statement writes.) Each run sees the effects
/// of the statements before it. `each` gets the first column of every row the statement
/// returns (datum and type, valid until this returns); returns the rows processed.
fn execute(sql: &str, params: &[DatumWithOid<'_>], mut each: impl FnMut(pg_sys::Datum, pg_sys::Oid)) -> usize {
    let Ok(query) = std::ffi::CString::new(sql) else {
        pgrx::error!("quiver: internal statement contains a NUL byte")
    };
    let mut types: Vec<pg_sys::Oid> = params.iter().map(|p| p.oid()).collect();
    let mut values: Vec<pg_sys::Datum> = Vec::with_capacity(params.len());
    let mut nulls: Vec<std::ffi::c_char> = Vec::with_capacity(params.len());
    for p in params {
        match p.datum() {
            Some(d) => {
                values.push(d.sans_lifetime());
                nulls.push(b' ' as std::ffi::c_char);
            }
            None => {
                values.push(pg_sys::Datum::from(0usize));
                nulls.push(b'n' as std::ffi::c_char);
            }
        }
    }
    unsafe {
        if pg_sys::SPI_connect() != pg_sys::SPI_OK_CONNECT as i32 {
            pgrx::error!("quiver: SPI_connect failed");
        }
        let rc = pg_sys::SPI_execute_with_args(
            query.as_ptr(),
            params.len() as i32,
            types.as_mut_ptr(),
            values.as_mut_ptr(),
            nulls.as_ptr(),
            false,
            0,
        );
        if rc < 0 {
            pg_sys::SPI_finish();
            pgrx::error!("quiver: internal statement failed (SPI code {rc})");
        }
        let processed = pg_sys::SPI_processed as usize;
        let table = pg_sys::SPI_tuptable;
        if !table.is_null() && !(*table).tupdesc.is_null() && (*(*table).tupdesc).natts >= 1 {
            let typoid = pg_sys::SPI_gettypeid((*table).tupdesc, 1);
            for i in 0..processed {
                let mut isnull = false;
                let d = pg_sys::SPI_getbinval(*(*table).vals.add(i), (*table).tupdesc, 1, &mut isnull);
                if !isnull {
                    each(d, typoid);
                }
            }
        }
        pg_sys::SPI_finish();
        processed
    }
}

/// Runs a statement (DDL or DML) with text parameters; returns the rows it processed.
pub fn run(sql: &str, params: &[&str]) -> usize {
    execute(sql, &args(params), |_, _| {})
}

/// What results are called in errors about their values.
const RESULT: &str = "data read from the database";

/// First column of every non-NULL row, read by `read(datum, type)`.
fn column<T>(sql: &str, params: &[DatumWithOid<'_>], read: impl Fn(pg_sys::Datum, pg_sys::Oid) -> T) -> Vec<T> {
    let mut out = Vec::new();
    execute(sql, params, |d, t| out.push(read(d, t)));
    out
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
