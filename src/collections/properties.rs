//! Collection properties (`alter_collection_properties`, `drop_collection_properties`) and the
//! removal of rows past the collection's TTL (`purge_expired`); see
//! quiver_core::collection::properties.

use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;
use quiver_core::collection::properties;
use serde_json::Value;

use super::args::{required, Jsonb, Text, TextArray};
use super::catalog::{self, Collection};
use super::spi;
use crate::error::{raise_code, OrRaise};

fn not_owner(name: &str) -> ! {
    raise_code(PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE, format!("must be the owner of collection \"{name}\" to change its properties"))
}

/// Locks the catalog row of `name` (the collection, or the one an alias names) for an update
/// and returns the collection read after the lock; only the collection's owner may.
fn lock_for_update(name: &str) -> Collection {
    let coll = catalog::load(name);
    let locked = spi::text_one(
        "SELECT c.name FROM quiver.collections AS c WHERE c.name OPERATOR(pg_catalog.=) $1 FOR UPDATE",
        &[&coll.def.name],
    );
    if locked.is_none() {
        not_owner(&coll.def.name);
    }
    catalog::load(&coll.def.name)
}

/// Stores `props` as the properties of `coll`; a TTL gets its insert-time column first.
fn store(coll: &Collection, props: std::collections::BTreeMap<String, String>) {
    let mut def = coll.def.clone();
    def.properties = props;
    if properties::ttl_seconds(&def).is_some() {
        spi::run(&properties::add_inserted_at_sql(&def), &[]);
    }
    let json = serde_json::to_value(&def.properties).unwrap_or(Value::Null).to_string();
    let n = spi::run(
        "UPDATE quiver.collections AS c SET definition = CASE WHEN $2::pg_catalog.jsonb OPERATOR(pg_catalog.=) '{}' \
                THEN c.definition OPERATOR(pg_catalog.-) 'properties'::pg_catalog.text \
                ELSE pg_catalog.jsonb_set(c.definition, '{properties}', $2::pg_catalog.jsonb) END \
          WHERE c.name OPERATOR(pg_catalog.=) $1",
        &[&def.name, &json],
    );
    if n != 1 {
        not_owner(&def.name);
    }
}

#[pg_extern(sql = false)]
fn alter_collection_properties(collection: Option<Text>, properties: Option<Jsonb>) {
    let coll = lock_for_update(required("collection", collection));
    let changes = required("properties", properties);
    let props = properties::with_changes(&coll.def.properties, &changes).or_raise();
    store(&coll, props);
}

#[pg_extern(sql = false)]
fn drop_collection_properties(collection: Option<Text>, property_keys: Option<TextArray>) {
    let coll = lock_for_update(required("collection", collection));
    let keys = required("property_keys", property_keys);
    store(&coll, properties::without(&coll.def.properties, &keys));
}

/// Deletes the rows of `collection` past its TTL; returns how many (0 without a TTL).
#[pg_extern(sql = false)]
fn purge_expired(collection: Option<Text>) -> i64 {
    let coll = catalog::load(required("collection", collection));
    match properties::purge_sql(&coll.def) {
        Some(sql) => spi::run(&sql, &[]) as i64,
        None => 0,
    }
}
