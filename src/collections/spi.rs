//! SPI helpers for the collection functions: every statement runs with text parameters
//! (the SQL casts them where it uses them), so no value is ever spliced into SQL text.

use pgrx::datum::DatumWithOid;
use pgrx::prelude::*;
use pgrx::JsonB;
use serde_json::Value;

fn args(params: &[&str]) -> Vec<DatumWithOid<'static>> {
    params.iter().map(|p| DatumWithOid::from(p.to_string())).collect()
}

/// Runs a statement (DDL or DML) with text parameters; returns the rows it processed.
pub fn run(sql: &str, params: &[&str]) -> usize {
    let a = args(params);
    Spi::connect_mut(|c| c.update(sql, None, &a).map(|t| t.len()))
        .unwrap_or_else(|e| pgrx::error!("quiver: internal statement failed: {e}"))
}

/// First column of every non-NULL row.
fn column<T: FromDatum + IntoDatum>(sql: &str, params: &[&str]) -> Vec<T> {
    let a = args(params);
    Spi::connect_mut(|c| {
        let t = c.update(sql, None, &a)?;
        let mut out = Vec::with_capacity(t.len());
        for row in t {
            if let Some(v) = row.get::<T>(1)? {
                out.push(v);
            }
        }
        Ok::<_, pgrx::spi::SpiError>(out)
    })
    .unwrap_or_else(|e| pgrx::error!("quiver: internal query failed: {e}"))
}

/// First column of every row, as JSON (the SQL must produce jsonb).
pub fn json_rows(sql: &str, params: &[&str]) -> Vec<Value> {
    column::<JsonB>(sql, params).into_iter().map(|j| j.0).collect()
}

/// First column of every row, as text.
pub fn text_rows(sql: &str, params: &[&str]) -> Vec<String> {
    column::<String>(sql, params)
}

/// The first column of the first row, as JSON (None when no row or NULL).
pub fn json_one(sql: &str, params: &[&str]) -> Option<Value> {
    json_rows(sql, params).into_iter().next()
}

/// `to_jsonb()` of a value of any type (None for NULL).
pub fn to_jsonb(value: DatumWithOid<'_>) -> Option<Value> {
    Spi::connect_mut(|c| {
        let t = c.update("SELECT pg_catalog.to_jsonb($1)", None, &[value])?;
        let mut out = None;
        for row in t {
            out = row.get::<JsonB>(1)?.map(|j| j.0);
        }
        Ok::<_, pgrx::spi::SpiError>(out)
    })
    .unwrap_or_else(|e| pgrx::error!("quiver: internal query failed: {e}"))
}

/// The first column of the first row, as text.
pub fn text_one(sql: &str, params: &[&str]) -> Option<String> {
    text_rows(sql, params).into_iter().next()
}
