//! insert / upsert / delete / get / query / count.

use pgrx::prelude::*;
use pgrx::JsonB;
use quiver_core::collection::dml::{self, Where};
use quiver_core::collection::locks::{self, KeyLocks};
use quiver_core::collection::query::entity_sql;
use quiver_core::collection::{names, CollectionDef};
use quiver_core::collection::rows::{self, Mode};
use quiver_core::{Error, ErrorKind};
use serde_json::{json, Value};

use super::args::{optional, required, templated_filter, Jsonb, Text, TextArray};
use super::catalog::{self, Collection};
use super::{args, partition, spi};
use crate::error::{raise, OrRaise};

/// Takes the advisory locks that serialise writers of the same explicit keys (see
/// quiver_core::collection::locks) before the keys are looked up.
fn lock_keys(coll: &Collection, pks: &[Value]) {
    match locks::plan(coll.relid, pks) {
        KeyLocks::Collection(key) => {
            spi::run(&locks::exclusive_lock_sql(), &[&key.to_string()]);
        }
        KeyLocks::Keys { collection, table, keys } => {
            spi::run(&locks::shared_lock_sql(), &[&collection.to_string()]);
            spi::run(&locks::key_locks_sql(), &[&table.to_string(), &locks::int_array(&keys)]);
        }
    }
}

/// After explicit keys went into an `auto_id` collection, moves its identity past them so
/// that generated keys do not collide with them. Runs as the extension's owner
/// (quiver.sync_collection_identity), so writers need no privileges on the sequence.
fn sync_identity(coll: &Collection, pks: &[Value]) {
    if pks.iter().filter_map(Value::as_i64).any(|k| k > 0) {
        spi::run("SELECT quiver.sync_collection_identity($1::pg_catalog.oid)", &[&coll.relid.to_string()]);
    }
}

/// The identity of the auto_id primary key of the collection whose table has OID `relid`
/// moves up to the largest key in the table (only ever forward; serialised per table).
#[pg_extern(sql = false)]
fn sync_collection_identity(relid: pg_sys::Oid) {
    let oid = relid.to_u32().to_string();
    let Some(name) = spi::text_one(
        "SELECT c.name FROM quiver.collections AS c WHERE c.relid::pg_catalog.oid OPERATOR(pg_catalog.=) $1::pg_catalog.oid",
        &[&oid],
    ) else {
        return;
    };
    let coll = catalog::load(&name);
    if !coll.primary().auto_id {
        return;
    }
    spi::run(&locks::exclusive_lock_sql(), &[&locks::identity_key(coll.relid).to_string()]);
    spi::run(&dml::identity_sync_sql(&coll), &[&catalog::table(&coll), &coll.primary().name]);
}

fn insert_rows(coll: &Collection, rows: &Value, mode: Mode, partition_name: Option<&str>) -> Vec<Value> {
    insert_numbered(coll, rows, mode, partition_name, 0).or_raise()
}

/// Inserts (or upserts) `rows` into the collection and returns their primary keys; errors
/// that the rows cause number them from `first`.
pub(crate) fn insert_numbered(coll: &Collection, rows: &Value, mode: Mode, partition_name: Option<&str>, first: usize) -> Result<Vec<Value>, Error> {
    if let Some(p) = partition_name {
        partition::require(coll, p);
    }
    let prepared = rows::prepare_numbered(coll, rows, mode, partition_name, first)?;
    if !prepared.pks.is_empty() {
        lock_keys(coll, &prepared.pks);
        let keys = dml::keys_param(coll, &Value::Array(prepared.pks.clone()))?;
        if mode == Mode::Upsert {
            spi::run(&dml::delete_keys_sql(coll), &[&keys]);
        } else if let Some(dup) = spi::text_one(&dml::existing_key_sql(coll), &[&keys]) {
            let row = prepared.pks.iter().position(|p| p.as_str().map_or(p.to_string(), str::to_string) == dup).unwrap_or(0);
            return Err(Error::new(ErrorKind::UniqueViolation, format!("row {}: primary key {dup} already exists in collection \"{}\"", first + row, coll.name)));
        }
    }
    let sql = prepared.insert_sql(coll, &coll.ext);
    let data = Value::Array(prepared.rows).to_string();
    let ids = spi::json_rows(&sql, &[&data]);
    if coll.primary().auto_id && !prepared.pks.is_empty() {
        sync_identity(coll, &prepared.pks);
    }
    Ok(ids)
}

#[pg_extern(sql = false)]
fn insert(collection: Option<Text>, rows: Option<Jsonb>, partition_name: Option<Text>) -> JsonB {
    let coll = catalog::load(required("collection", collection));
    let rows = required("rows", rows);
    let ids = insert_rows(&coll, &rows, Mode::Insert, optional("partition_name", partition_name));
    JsonB(json!({"insert_count": ids.len(), "ids": ids}))
}

#[pg_extern(sql = false)]
fn upsert(collection: Option<Text>, rows: Option<Jsonb>, partition_name: Option<Text>) -> JsonB {
    let coll = catalog::load(required("collection", collection));
    let rows = required("rows", rows);
    let ids = insert_rows(&coll, &rows, Mode::Upsert, optional("partition_name", partition_name));
    JsonB(json!({"upsert_count": ids.len(), "ids": ids}))
}

/// The WHERE clause for a filter, ids and partitions (checked to exist); parameters from `$1`.
/// A `read` leaves out the rows past the collection's TTL.
fn where_clause(coll: &Collection, filter: Option<&str>, ids: Option<&Value>, partitions: Option<&[String]>, read: bool) -> Where {
    if let Some(parts) = partitions.filter(|p| !p.is_empty()) {
        partition::check_names(coll, parts);
    }
    let w = dml::where_clause(coll, ids, partitions, filter, 1, read).or_raise();
    notify(&w.notices);
    w
}

/// Raises each of `notices` as a NOTICE.
pub(super) fn notify(notices: &[String]) {
    for n in notices {
        pgrx::notice!("{n}");
    }
}

/// The entity expression for `output_fields` (see [`entity_sql`]), with a NOTICE for each
/// name read from the dynamic field that resembles a field.
pub(super) fn entity(def: &CollectionDef, output_fields: Option<&[String]>, with_pk: bool) -> String {
    let sql = entity_sql(def, output_fields, with_pk).or_raise();
    if let Some(fields) = output_fields {
        notify(&names::output_field_notices(def, fields));
    }
    sql
}

fn refs(p: &[String]) -> Vec<&str> {
    p.iter().map(String::as_str).collect()
}

#[pg_extern(sql = false)]
fn delete(collection: Option<Text>, filter: Option<Text>, ids: Option<Jsonb>, partition_name: Option<Text>, filter_params: Option<Jsonb>) -> JsonB {
    let coll = catalog::load(required("collection", collection));
    let filter = templated_filter(optional("filter", filter), optional("filter_params", filter_params).as_ref());
    let filter = filter.as_deref();
    let (ids, partition_name) = (optional("ids", ids), optional("partition_name", partition_name));
    let has_filter = filter.is_some_and(|f| !f.trim().is_empty());
    if !has_filter && ids.is_none() {
        raise(Error::param("delete needs a filter or ids (to delete every row, use filter => 'true' or TRUNCATE the table)"));
    }
    let parts: Option<Vec<String>> = partition_name.map(|p| vec![p.to_string()]);
    let w = where_clause(&coll, filter, ids.as_ref(), parts.as_deref(), false);
    let n = spi::run(&dml::delete_sql(&coll, &w), &refs(&w.params));
    JsonB(json!({"delete_count": n}))
}

#[pg_extern(sql = false)]
fn get(collection: Option<Text>, ids: Option<Jsonb>, output_fields: Option<TextArray>, consistency_level: Option<Text>) -> SetOfIterator<'static, JsonB> {
    args::consistency_level(consistency_level);
    let coll = catalog::load(required("collection", collection));
    let ids = required("ids", ids);
    let output_fields = optional("output_fields", output_fields);
    let entity = entity(&coll, output_fields.as_deref(), true);
    let w = where_clause(&coll, None, Some(&ids), None, true);
    SetOfIterator::new(spi::json_rows(&dml::get_sql(&coll, &entity, &w), &refs(&w.params)).into_iter().map(JsonB))
}

#[allow(clippy::too_many_arguments)]
#[pg_extern(sql = false)]
fn query(
    collection: Option<Text>,
    filter: Option<Text>,
    output_fields: Option<TextArray>,
    limit: Option<i64>,
    offset: Option<i64>,
    partition_names: Option<TextArray>,
    filter_params: Option<Jsonb>,
    ids: Option<Jsonb>,
    consistency_level: Option<Text>,
) -> SetOfIterator<'static, JsonB> {
    args::consistency_level(consistency_level);
    let coll = catalog::load(required("collection", collection));
    let offset = required("offset", offset);
    let ids = optional("ids", ids);
    let filter = templated_filter(optional("filter", filter), optional("filter_params", filter_params).as_ref());
    let (filter, output_fields) = (filter.as_deref(), optional("output_fields", output_fields));
    let partition_names = optional("partition_names", partition_names);
    let entity = entity(&coll, output_fields.as_deref(), false);
    if limit.is_some_and(|l| l < 0) || offset < 0 {
        raise(Error::param("limit and offset must not be negative"));
    }
    let w = where_clause(&coll, filter, ids.as_ref(), partition_names.as_deref(), true);
    let sql = dml::query_sql(&coll, &entity, &w, limit, offset);
    SetOfIterator::new(spi::json_rows(&sql, &refs(&w.params)).into_iter().map(JsonB))
}

#[pg_extern(sql = false)]
fn count(
    collection: Option<Text>,
    filter: Option<Text>,
    partition_names: Option<TextArray>,
    filter_params: Option<Jsonb>,
    consistency_level: Option<Text>,
) -> i64 {
    args::consistency_level(consistency_level);
    let coll = catalog::load(required("collection", collection));
    let filter = templated_filter(optional("filter", filter), optional("filter_params", filter_params).as_ref());
    let (filter, partition_names) = (filter.as_deref(), optional("partition_names", partition_names));
    let w = where_clause(&coll, filter, None, partition_names.as_deref(), true);
    let n = spi::text_one(&dml::count_sql(&coll, &w), &refs(&w.params));
    n.and_then(|s| s.parse().ok()).unwrap_or(0)
}
