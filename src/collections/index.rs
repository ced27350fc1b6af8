//! create / describe / list / drop indexes on a collection's vector fields. The PostgreSQL
//! index is named `<collection>$<index_name>` (the index name defaults to the field name);
//! CREATE INDEX's progress shows in pg_stat_progress_create_index as usual.

use pgrx::prelude::*;
use pgrx::JsonB;
use quiver_core::collection::ddl;
use quiver_core::collection::ident::qualified;
use quiver_core::collection::CollectionDef;
use quiver_core::{Error, ErrorKind};
use serde_json::Value;

use super::{catalog, spi};
use crate::error::{raise, OrRaise};

/// SQL expression: the metric of an hnsw index from its operator class `opc`
/// (`vector_cosine_ops` → `cosine`).
pub const OPCLASS_METRIC_SQL: &str = "regexp_replace(opc.opcname, '^(vector|halfvec|sparsevec|bit)_(.*)_ops$', '\\2')";

/// Names of the collection's vector indexes (without the `<collection>$` prefix).
pub fn names(def: &CollectionDef) -> Vec<String> {
    let prefix = format!("{}$", def.name);
    spi::text_rows(
        "SELECT substr(i.relname::text, length($2) + 1) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
          WHERE x.indrelid = $1::regclass AND starts_with(i.relname::text, $2) ORDER BY i.oid",
        &[&catalog::table(def), &prefix],
    )
}

fn create(def: &CollectionDef, field: &str, index_type: &str, metric: Option<&str>, params: &Value, index_name: Option<&str>) {
    let r = ddl::index_request(def, field, index_type, metric, params, index_name).or_raise();
    if names(def).contains(&r.index_name) {
        raise(Error::new(ErrorKind::DuplicateObject, format!("index \"{}\" already exists on collection \"{}\"", r.index_name, def.name)));
    }
    spi::run(&ddl::create_index(def, &r).or_raise(), &[]);
}

/// An index request in Milvus's JSON shape:
/// `{"field_name": ..., "index_type": ..., "metric_type": ..., "params": {...}, "index_name": ...}`.
pub fn create_from_json(def: &CollectionDef, r: &Value) {
    let s = |k: &str| r.get(k).and_then(Value::as_str);
    let field = s("field_name").unwrap_or_else(|| raise(Error::param("index needs \"field_name\"")));
    if let Some(k) = r.as_object().and_then(|o| o.keys().find(|k| !["field_name", "index_type", "metric_type", "params", "index_name"].contains(&k.as_str()))) {
        raise(Error::param(format!("unknown key \"{k}\" in index (allowed: field_name, index_type, metric_type, params, index_name)")));
    }
    let params = r.get("params").cloned().unwrap_or(Value::Null);
    create(def, field, s("index_type").unwrap_or("HNSW"), s("metric_type"), &params, s("index_name"));
}

#[pg_extern(sql = false)]
fn create_index(collection: &str, field_name: &str, index_type: &str, metric_type: Option<&str>, params: Option<JsonB>, index_name: Option<&str>) {
    let def = catalog::load(collection);
    create(&def, field_name, index_type, metric_type, &params.map(|p| p.0).unwrap_or(Value::Null), index_name);
}

#[pg_extern(sql = false)]
fn list_indexes(collection: &str) -> SetOfIterator<'static, String> {
    SetOfIterator::new(names(&catalog::load(collection)))
}

fn require(def: &CollectionDef, index_name: &str) -> String {
    if !names(def).iter().any(|n| n == index_name) {
        raise(Error::new(ErrorKind::UndefinedObject, format!("index \"{index_name}\" does not exist on collection \"{}\"", def.name)));
    }
    ddl::index_relname(&def.name, index_name).or_raise()
}

#[pg_extern(sql = false)]
fn describe_index(collection: &str, index_name: &str) -> JsonB {
    let def = catalog::load(collection);
    let rel = require(&def, index_name);
    let v = spi::json_one(
        &format!("SELECT jsonb_build_object( \
            'index_name', $3::text, \
            'field_name', a.attname, \
            'index_type', upper(am.amname), \
            'metric_type', {OPCLASS_METRIC_SQL}, \
            'params', (SELECT coalesce(jsonb_object_agg( \
                            CASE split_part(o, '=', 1) WHEN 'm' THEN 'M' WHEN 'ef_construction' THEN 'efConstruction' ELSE split_part(o, '=', 1) END, \
                            split_part(o, '=', 2)::int), '{{}}') FROM unnest(i.reloptions) o), \
            'postgres_index', $1::text || '.' || quote_ident(i.relname), \
            'valid', x.indisvalid, \
            'size_bytes', (SELECT coalesce(sum(pg_relation_size(relid)), 0) FROM pg_partition_tree(i.oid))) \
           FROM pg_class i JOIN pg_index x ON x.indexrelid = i.oid JOIN pg_am am ON am.oid = i.relam \
           JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0] \
           JOIN pg_opclass opc ON opc.oid = x.indclass[0] \
          WHERE i.relname = $2 AND i.relnamespace = quote_ident($1)::regnamespace"),
        &[&def.schema, &rel, index_name],
    );
    JsonB(v.unwrap_or(Value::Null))
}

#[pg_extern(sql = false)]
fn drop_index(collection: &str, index_name: &str) {
    let def = catalog::load(collection);
    let rel = require(&def, index_name);
    spi::run(&format!("DROP INDEX {}", qualified(&def.schema, &rel)), &[]);
}
