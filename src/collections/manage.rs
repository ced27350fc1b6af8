//! create / describe / list / has / rename / drop / stats of collections.

use pgrx::prelude::*;
use pgrx::JsonB;
use quiver_core::collection::ident::{quote_ident, validate_name};
use quiver_core::collection::schema::{CollectionDef, CreateArgs};
use quiver_core::collection::ddl;
use quiver_core::{Error, ErrorKind};
use serde_json::{json, Value};

use super::{catalog, index, spi};
use crate::error::{raise, OrRaise};

#[allow(clippy::too_many_arguments)]
#[pg_extern(sql = false)]
fn create_collection(
    name: &str,
    dimension: Option<i32>,
    metric: &str,
    schema: Option<JsonB>,
    primary_key: &str,
    auto_id: bool,
    partition_key: Option<&str>,
    num_partitions: i32,
    index: Option<JsonB>,
    description: Option<&str>,
    id_type: &str,
    vector_field: &str,
    db_schema: Option<&str>,
) -> pg_sys::Oid {
    let db_schema = match db_schema {
        Some(s) => s.to_string(),
        None => spi::text_one("SELECT current_schema()::text", &[])
            .unwrap_or_else(|| raise(Error::param("no current schema; pass db_schema"))),
    };
    let args = CreateArgs {
        name: name.to_string(),
        db_schema: db_schema.clone(),
        dimension,
        metric: metric.to_string(),
        schema: schema.map(|j| j.0),
        primary_key: primary_key.to_string(),
        id_type: id_type.to_string(),
        vector_field: vector_field.to_string(),
        auto_id,
        partition_key: partition_key.map(str::to_string),
        num_partitions,
        description: description.map(str::to_string),
    };
    let def = CollectionDef::from_args(&args).or_raise();
    if catalog::name_taken(name) {
        raise(Error::new(ErrorKind::DuplicateObject, format!("collection \"{name}\" already exists")));
    }
    let table = catalog::table(&def);
    if spi::text_one("SELECT to_regclass($1)::text", &[&table]).is_some() {
        raise(Error::new(ErrorKind::DuplicateObject, format!("a relation named {table} already exists")));
    }
    for stmt in ddl::create_table(&def).or_raise() {
        spi::run(&stmt, &[]);
    }
    catalog::insert(&def);
    let requests: Vec<Value> = match index.map(|j| j.0) {
        Some(Value::Array(a)) => a,
        Some(v @ Value::Object(_)) => vec![v],
        Some(Value::Null) | None if args.schema.is_none() => vec![json!({"field_name": vector_field, "index_type": "HNSW"})],
        None | Some(Value::Null) => Vec::new(),
        Some(_) => raise(Error::param("index must be a JSON object or an array of objects")),
    };
    for r in &requests {
        index::create_from_json(&def, r);
    }
    let oid = spi::text_one("SELECT $1::regclass::oid::text", &[&table]).unwrap_or_default();
    pg_sys::Oid::from(oid.parse::<u32>().unwrap_or(0))
}

#[pg_extern(sql = false)]
fn describe_collection(name: &str) -> JsonB {
    let def = catalog::load(name);
    let aliases = spi::text_rows("SELECT alias FROM quiver.aliases WHERE collection = $1 ORDER BY alias", &[&def.name]);
    let created = spi::text_one("SELECT created_at::text FROM quiver.collections WHERE name = $1", &[&def.name]);
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
        "metric": def.metric.name(),
        "aliases": aliases,
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
        "type": f.data_type.name(),
        "params": params,
        "is_primary": f.is_primary,
        "auto_id": f.auto_id,
        "nullable": f.nullable,
        "is_partition_key": f.is_partition_key,
        "description": f.description,
    });
    if let Some(e) = f.element_type {
        o["element_type"] = json!(e.name());
    }
    if let Some(d) = &f.default_value {
        o["default_value"] = d.clone();
    }
    o
}

#[pg_extern(sql = false)]
fn list_collections() -> SetOfIterator<'static, String> {
    SetOfIterator::new(spi::text_rows("SELECT name FROM quiver.collections ORDER BY name", &[]))
}

#[pg_extern(sql = false)]
fn has_collection(name: &str) -> bool {
    catalog::name_taken(name)
}

#[pg_extern(sql = false)]
fn rename_collection(old_name: &str, new_name: &str) {
    let mut def = catalog::load(old_name);
    if def.name != old_name {
        raise(Error::param(format!("\"{old_name}\" is an alias; rename the collection \"{}\" itself", def.name)));
    }
    validate_name("collection", new_name).or_raise();
    if catalog::name_taken(new_name) {
        raise(Error::new(ErrorKind::DuplicateObject, format!("collection \"{new_name}\" already exists")));
    }
    let table = catalog::table(&def);
    let old_prefix = format!("{old_name}$");
    // Partitions and indexes are named "<collection>$<name>": rename them along.
    let children = spi::json_rows(
        "SELECT jsonb_build_array(c.relname, c.relkind IN ('i', 'I')) FROM pg_class c \
           JOIN pg_namespace n ON n.oid = c.relnamespace \
          WHERE n.nspname = $1 AND starts_with(c.relname::text, $2) ORDER BY c.oid",
        &[&def.schema, &old_prefix],
    );
    for child in children {
        let name = child[0].as_str().unwrap_or_default();
        let what = if child[1].as_bool() == Some(true) { "INDEX" } else { "TABLE" };
        let new_child = ddl::partition_table(new_name, &name[old_prefix.len().min(name.len())..]).or_raise();
        spi::run(
            &format!("ALTER {what} {}.{} RENAME TO {}", quote_ident(&def.schema), quote_ident(name), quote_ident(&new_child)),
            &[],
        );
    }
    spi::run(&format!("ALTER TABLE {table} RENAME TO {}", quote_ident(new_name)), &[]);
    def.name = new_name.to_string();
    catalog::update(old_name, &def);
}

#[pg_extern(sql = false)]
fn drop_collection(name: &str) {
    let def = catalog::load(name);
    if def.name != name {
        raise(Error::param(format!("\"{name}\" is an alias; drop the alias or the collection \"{}\"", def.name)));
    }
    spi::run(&format!("DROP TABLE IF EXISTS {}", catalog::table(&def)), &[]);
    spi::run("DELETE FROM quiver.collections WHERE name = $1", &[name]);
}

#[pg_extern(sql = false)]
fn get_collection_stats(name: &str) -> JsonB {
    let def = catalog::load(name);
    let table = catalog::table(&def);
    let stats = spi::json_one(
        &format!(
            "SELECT jsonb_build_object( \
                'row_count', (SELECT count(*) FROM {table}), \
                'table_bytes', (SELECT coalesce(sum(pg_table_size(relid)), 0) FROM pg_partition_tree($1::regclass)), \
                'index_bytes', (SELECT coalesce(sum(pg_indexes_size(relid)), 0) FROM pg_partition_tree($1::regclass) WHERE isleaf), \
                'partitions', (SELECT count(*) FROM pg_partition_tree($1::regclass) WHERE isleaf))"
        ),
        &[&table],
    );
    let mut v = stats.unwrap_or_else(|| json!({}));
    if let (Some(t), Some(i)) = (v["table_bytes"].as_i64(), v["index_bytes"].as_i64()) {
        v["total_bytes"] = json!(t + i);
    }
    JsonB(v)
}

/// Partition names of a collection (the suffix after "<collection>$"), in creation order.
pub fn list_partitions_of(def: &CollectionDef) -> Vec<String> {
    let prefix = format!("{}$", def.name);
    spi::text_rows(
        "SELECT substr(c.relname::text, length($2) + 1) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
          WHERE i.inhparent = $1::regclass ORDER BY c.oid",
        &[&catalog::table(def), &prefix],
    )
}

