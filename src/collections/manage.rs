//! create / describe / list / has / rename / drop / stats of collections.

use pgrx::prelude::*;
use pgrx::JsonB;
use quiver_core::collection::ident::{quote_ident, validate_name};
use quiver_core::collection::schema::{CollectionDef, CreateArgs};
use quiver_core::collection::ddl;
use quiver_core::{Error, ErrorKind};
use serde_json::{json, Value};

use super::args::{optional, required, ArgValue, Jsonb, Text};
use super::{catalog, index, spi, sync};
use crate::error::{raise, OrRaise};

#[allow(clippy::too_many_arguments)]
#[pg_extern(sql = false)]
fn create_collection(
    name: Option<Text>,
    dimension: Option<i32>,
    metric_type: Option<Text>,
    schema: Option<Jsonb>,
    primary_key: Option<Text>,
    auto_id: Option<bool>,
    partition_key: Option<Text>,
    num_partitions: Option<i32>,
    index: Option<Jsonb>,
    description: Option<Text>,
    id_type: Option<Text>,
    vector_field: Option<Text>,
    db_schema: Option<Text>,
    consistency_level: Option<Text>,
    properties: Option<Jsonb>,
) -> pg_sys::Oid {
    super::args::consistency_level(consistency_level);
    let name = required("name", name);
    let vector_field = required("vector_field", vector_field);
    // db_schema defaults to the caller's current schema (evaluated in the caller, before
    // this function's fixed search_path applies); NULL means the caller has none.
    let db_schema = optional("db_schema", db_schema)
        .unwrap_or_else(|| raise(Error::param("db_schema is null and the caller has no current schema (no schema on its search_path exists); pass db_schema")))
        .to_string();
    let args = CreateArgs {
        name: name.to_string(),
        db_schema,
        dimension,
        metric: required("metric_type", metric_type).to_string(),
        schema: optional("schema", schema),
        primary_key: required("primary_key", primary_key).to_string(),
        id_type: required("id_type", id_type).to_string(),
        vector_field: vector_field.to_string(),
        auto_id: required("auto_id", auto_id),
        partition_key: optional("partition_key", partition_key).map(str::to_string),
        num_partitions: required("num_partitions", num_partitions),
        description: optional("description", description).map(str::to_string),
    };
    let mut def = CollectionDef::from_args(&args).or_raise();
    if let Some(p) = optional("properties", properties) {
        def.properties = quiver_core::collection::properties::with_changes(&def.properties, &p).or_raise();
    }
    if catalog::name_taken(name) {
        raise(Error::new(ErrorKind::DuplicateObject, format!("collection \"{name}\" already exists")));
    }
    let table = catalog::table(&def);
    if spi::text_one("SELECT pg_catalog.to_regclass($1)::pg_catalog.text", &[&table]).is_some() {
        raise(Error::new(ErrorKind::DuplicateObject, format!("a relation named {table} already exists")));
    }
    let ext = catalog::ext();
    for stmt in ddl::create_table(&def, &ext).or_raise() {
        spi::run(&stmt, &[]);
    }
    catalog::insert(&def);
    let requests: Vec<Value> = match optional("index", index) {
        Some(Value::Array(a)) => a,
        Some(v @ Value::Object(_)) => vec![v],
        Some(Value::Null) | None if args.schema.is_none() => vec![json!({"field_name": vector_field, "index_type": "HNSW"})],
        None | Some(Value::Null) => Vec::new(),
        Some(_) => raise(Error::param("index must be a JSON object or an array of objects")),
    };
    let coll = catalog::load(name);
    for r in &requests {
        index::create_from_json(&coll, r);
    }
    pg_sys::Oid::from(coll.relid)
}

#[pg_extern(sql = false)]
fn describe_collection(name: Text) -> JsonB {
    let def = catalog::load(name.read("name")).def;
    let aliases = spi::text_rows(
        "SELECT a.alias FROM quiver.aliases AS a WHERE a.collection OPERATOR(pg_catalog.=) $1 ORDER BY a.alias",
        &[&def.name],
    );
    let created = spi::text_one(
        "SELECT c.created_at::pg_catalog.text FROM quiver.collections AS c WHERE c.name OPERATOR(pg_catalog.=) $1",
        &[&def.name],
    );
    let pk = def.primary();
    let fields: Vec<Value> = def.fields.iter().map(field_json).collect();
    JsonB(json!({
        "collection_name": def.name,
        "schema": def.schema,
        "table": catalog::table(&def),
        "description": def.description,
        "auto_id": pk.auto_id,
        "primary_key": pk.name,
        "fields": fields,
        "enable_dynamic_field": def.enable_dynamic_field,
        "partition_key": def.partition_key,
        "num_partitions": if def.partition_key.is_some() { json!(def.num_partitions) } else { json!(list_partitions_of(&def).len()) },
        "metric_type": def.metric.name().to_ascii_uppercase(),
        "aliases": aliases,
        "properties": def.properties,
        "consistency_level": "Strong",
        "created_at": created,
    }))
}

fn field_json(f: &quiver_core::collection::FieldDef) -> Value {
    let mut params = serde_json::Map::new();
    for (k, v) in [("dim", f.dim), ("max_length", f.max_length), ("max_capacity", f.max_capacity)] {
        if let Some(v) = v {
            params.insert(k.into(), json!(v));
        }
    }
    let mut o = json!({
        "name": f.name,
        "type": f.data_type.name().to_ascii_uppercase(),
        "params": params,
        "is_primary": f.is_primary,
        "auto_id": f.auto_id,
        "nullable": f.nullable,
        "is_partition_key": f.is_partition_key,
        "description": f.description,
    });
    if let Some(e) = f.element_type {
        o["element_type"] = json!(e.name().to_ascii_uppercase());
    }
    if let Some(d) = &f.default_value {
        o["default_value"] = d.clone();
    }
    o
}

#[pg_extern(sql = false)]
fn list_collections() -> SetOfIterator<'static, String> {
    SetOfIterator::new(spi::text_rows("SELECT c.name FROM quiver.collections AS c ORDER BY c.name", &[]))
}

#[pg_extern(sql = false)]
fn has_collection(name: Text) -> bool {
    catalog::name_taken(name.read("name"))
}

#[pg_extern(sql = false)]
fn rename_collection(old_name: Text, new_name: Text) {
    let (old_name, new_name) = (old_name.read("old_name"), new_name.read("new_name"));
    let coll = catalog::load(old_name);
    if coll.name != old_name {
        raise(Error::param(format!("\"{old_name}\" is an alias; rename the collection \"{}\" itself", coll.name)));
    }
    validate_name("collection", new_name).or_raise();
    if catalog::name_taken(new_name) {
        raise(Error::new(ErrorKind::DuplicateObject, format!("collection \"{new_name}\" already exists")));
    }
    // The event trigger on ALTER TABLE renames the partitions and indexes along and
    // updates the catalog; calling the same sync again is a no-op then, and does the work
    // when event triggers are disabled.
    spi::run(&format!("ALTER TABLE {} RENAME TO {}", catalog::table(&coll), quote_ident(new_name)), &[]);
    sync::sync_table(coll.relid);
}

#[pg_extern(sql = false)]
fn drop_collection(name: Text) {
    let name = name.read("name");
    let delete_row = || spi::run("DELETE FROM quiver.collections AS c WHERE c.name OPERATOR(pg_catalog.=) $1", &[name]);
    if catalog::table_gone(name) {
        delete_row();
        return;
    }
    let def = catalog::load(name).def;
    if def.name != name {
        raise(Error::param(format!("\"{name}\" is an alias; drop the alias or the collection \"{}\"", def.name)));
    }
    // The sql_drop event trigger removes the catalog row; so does the DELETE, should event
    // triggers be disabled.
    spi::run(&format!("DROP TABLE IF EXISTS {}", catalog::table(&def)), &[]);
    delete_row();
}

#[pg_extern(sql = false)]
fn get_collection_stats(name: Text) -> JsonB {
    let def = catalog::load(name.read("name")).def;
    let table = catalog::table(&def);
    let stats = spi::json_one(
        &format!(
            "SELECT pg_catalog.jsonb_build_object( \
                'row_count', (SELECT pg_catalog.count(*) FROM {table} AS t), \
                'table_bytes', (SELECT COALESCE(pg_catalog.sum(pg_catalog.pg_table_size(p.relid)), 0) \
                                  FROM pg_catalog.pg_partition_tree($1::pg_catalog.regclass) AS p), \
                'index_bytes', (SELECT COALESCE(pg_catalog.sum(pg_catalog.pg_indexes_size(p.relid)), 0) \
                                  FROM pg_catalog.pg_partition_tree($1::pg_catalog.regclass) AS p WHERE p.isleaf), \
                'partitions', (SELECT pg_catalog.count(*) FROM pg_catalog.pg_partition_tree($1::pg_catalog.regclass) AS p WHERE p.isleaf))"
        ),
        &[&table],
    );
    let mut v = stats.unwrap_or_else(|| json!({}));
    if let (Some(t), Some(i)) = (v["table_bytes"].as_i64(), v["index_bytes"].as_i64()) {
        v["total_bytes"] = json!(t.saturating_add(i));
    }
    JsonB(v)
}

/// Partition names of a collection (the suffix after "<collection>$"), in creation order.
pub fn list_partitions_of(def: &CollectionDef) -> Vec<String> {
    let prefix = format!("{}$", def.name);
    spi::text_rows(
        "SELECT pg_catalog.substr(c.relname::pg_catalog.text, pg_catalog.length($2) OPERATOR(pg_catalog.+) 1) \
           FROM pg_catalog.pg_inherits AS i JOIN pg_catalog.pg_class AS c ON c.oid OPERATOR(pg_catalog.=) i.inhrelid \
          WHERE i.inhparent OPERATOR(pg_catalog.=) $1::pg_catalog.regclass ORDER BY c.oid",
        &[&catalog::table(def), &prefix],
    )
}

