//! insert / upsert / delete / get / query / count.

use pgrx::prelude::*;
use pgrx::JsonB;
use quiver_core::collection::ident::quote_ident;
use quiver_core::collection::query::entity_sql;
use quiver_core::collection::rows::{self, Mode};
use quiver_core::collection::schema::PARTITION_COLUMN;
use quiver_core::collection::{filtering, CollectionDef, DataType};
use quiver_core::{Error, ErrorKind};
use serde_json::{json, Value};

use super::{catalog, partition, spi};
use crate::error::{raise, OrRaise};

/// SQL type of the primary key (for casting ids given as JSON).
fn pk_type(def: &CollectionDef) -> &'static str {
    if def.primary().data_type == DataType::Int64 {
        "bigint"
    } else {
        "text"
    }
}

/// `pk IN (ids of $n)`, with `$n` a jsonb array of ids.
fn pk_in(def: &CollectionDef, n: usize) -> String {
    format!(
        "t.{} IN (SELECT x::{} FROM jsonb_array_elements_text(${n}::jsonb) AS x)",
        quote_ident(&def.primary().name),
        pk_type(def)
    )
}

/// Checks that `ids` is a JSON array of values of the primary key's type.
fn ids_array(def: &CollectionDef, ids: &Value) -> String {
    let a = ids.as_array().unwrap_or_else(|| raise(Error::param("ids must be a JSON array")));
    let int = def.primary().data_type == DataType::Int64;
    if let Some(bad) = a.iter().find(|v| if int { !v.is_i64() } else { !v.is_string() }) {
        raise(Error::new(
            ErrorKind::DatatypeMismatch,
            format!("id {bad} is not a valid {} primary key", def.primary().data_type.name()),
        ));
    }
    ids.to_string()
}

fn insert_rows(def: &CollectionDef, rows: &Value, mode: Mode, partition_name: Option<&str>) -> Vec<Value> {
    if let Some(p) = partition_name {
        partition::require(def, p);
    }
    let prepared = rows::prepare(def, rows, mode, partition_name).or_raise();
    let table = catalog::table(def);
    if !prepared.pks.is_empty() {
        let ids = Value::Array(prepared.pks.clone()).to_string();
        if mode == Mode::Upsert {
            spi::run(&format!("DELETE FROM {table} t WHERE {}", pk_in(def, 1)), &[&ids]);
        } else if let Some(dup) = spi::text_one(&format!("SELECT t.{}::text FROM {table} t WHERE {} LIMIT 1", quote_ident(&def.primary().name), pk_in(def, 1)), &[&ids]) {
            let row = prepared.pks.iter().position(|p| p.as_str().map_or(p.to_string(), str::to_string) == dup).unwrap_or(0);
            raise(Error::new(ErrorKind::UniqueViolation, format!("row {row}: primary key {dup} already exists in collection \"{}\"", def.name)));
        }
    }
    let sql = format!("WITH i AS ({}) SELECT to_jsonb(i.{}) FROM i", prepared.insert_sql(def), quote_ident(&def.primary().name));
    let data = Value::Array(prepared.rows).to_string();
    spi::json_rows(&sql, &[&data])
}

#[pg_extern(sql = false)]
fn insert(collection: &str, rows: JsonB, partition_name: Option<&str>) -> JsonB {
    let def = catalog::load(collection);
    let ids = insert_rows(&def, &rows.0, Mode::Insert, partition_name);
    JsonB(json!({"insert_count": ids.len(), "ids": ids}))
}

#[pg_extern(sql = false)]
fn upsert(collection: &str, rows: JsonB, partition_name: Option<&str>) -> JsonB {
    let def = catalog::load(collection);
    let ids = insert_rows(&def, &rows.0, Mode::Upsert, partition_name);
    JsonB(json!({"upsert_count": ids.len(), "ids": ids}))
}

/// WHERE clause (with leading " WHERE ") for a filter, ids and partitions; the returned
/// parameters start at `$1`.
fn where_clause(def: &CollectionDef, filter: Option<&str>, ids: Option<&Value>, partitions: Option<&[String]>) -> (String, Vec<String>) {
    let mut conds = Vec::new();
    let mut params: Vec<String> = Vec::new();
    if let Some(ids) = ids {
        params.push(ids_array(def, ids));
        conds.push(pk_in(def, params.len()));
    }
    if let Some(parts) = partitions.filter(|p| !p.is_empty()) {
        params.push(partition::names_param(def, parts));
        conds.push(format!("t.{} = ANY(${}::text[])", quote_ident(PARTITION_COLUMN), params.len()));
    }
    if let Some(f) = filter.filter(|f| !f.trim().is_empty()) {
        let (sql, p) = filtering::compile_filter(def, f, params.len() + 1).or_raise();
        params.extend(p);
        conds.push(format!("({sql})"));
    }
    let w = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
    (w, params)
}

fn refs(p: &[String]) -> Vec<&str> {
    p.iter().map(String::as_str).collect()
}

#[pg_extern(sql = false)]
fn delete(collection: &str, filter: Option<&str>, ids: Option<JsonB>, partition_name: Option<&str>) -> JsonB {
    let def = catalog::load(collection);
    let has_filter = filter.is_some_and(|f| !f.trim().is_empty());
    if !has_filter && ids.is_none() {
        raise(Error::param("delete needs a filter or ids (to delete every row, use filter => 'true' or TRUNCATE the table)"));
    }
    let parts: Option<Vec<String>> = partition_name.map(|p| vec![p.to_string()]);
    let (w, params) = where_clause(&def, filter, ids.as_ref().map(|j| &j.0), parts.as_deref());
    let n = spi::run(&format!("DELETE FROM {} t{w}", catalog::table(&def)), &refs(&params));
    JsonB(json!({"delete_count": n}))
}

#[pg_extern(sql = false)]
fn get(collection: &str, ids: JsonB, output_fields: Option<Vec<String>>) -> SetOfIterator<'static, JsonB> {
    let def = catalog::load(collection);
    let entity = entity_sql(&def, output_fields.as_deref(), true).or_raise();
    let (w, params) = where_clause(&def, None, Some(&ids.0), None);
    let sql = format!("SELECT {entity} FROM {} t{w} ORDER BY t.{}", catalog::table(&def), quote_ident(&def.primary().name));
    SetOfIterator::new(spi::json_rows(&sql, &refs(&params)).into_iter().map(JsonB))
}

#[pg_extern(sql = false)]
fn query(collection: &str, filter: Option<&str>, output_fields: Option<Vec<String>>, limit: Option<i64>, offset: i64, partition_names: Option<Vec<String>>) -> SetOfIterator<'static, JsonB> {
    let def = catalog::load(collection);
    let entity = entity_sql(&def, output_fields.as_deref(), false).or_raise();
    let (w, params) = where_clause(&def, filter, None, partition_names.as_deref());
    if limit.is_some_and(|l| l < 0) || offset < 0 {
        raise(Error::param("limit and offset must not be negative"));
    }
    let lim = limit.map(|l| format!(" LIMIT {l}")).unwrap_or_default();
    let sql = format!(
        "SELECT {entity} FROM {} t{w} ORDER BY t.{}{lim} OFFSET {offset}",
        catalog::table(&def),
        quote_ident(&def.primary().name)
    );
    SetOfIterator::new(spi::json_rows(&sql, &refs(&params)).into_iter().map(JsonB))
}

#[pg_extern(sql = false)]
fn count(collection: &str, filter: Option<&str>, partition_names: Option<Vec<String>>) -> i64 {
    let def = catalog::load(collection);
    let (w, params) = where_clause(&def, filter, None, partition_names.as_deref());
    let n = spi::text_one(&format!("SELECT count(*)::text FROM {} t{w}", catalog::table(&def)), &refs(&params));
    n.and_then(|s| s.parse().ok()).unwrap_or(0)
}
