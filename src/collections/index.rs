//! create / describe / list / drop indexes on a collection's vector fields. The PostgreSQL
//! index is named `<collection>$<index_name>` (the index name defaults to the field name);
//! CREATE INDEX's progress shows in pg_stat_progress_create_index as usual.

use pgrx::prelude::*;
use pgrx::JsonB;
use quiver_core::collection::ddl;
use quiver_core::collection::ident::qualified;
use quiver_core::collection::scalar_index;
use quiver_core::collection::CollectionDef;
use quiver_core::{Error, ErrorKind};
use serde_json::Value;

use super::args::{optional, required, ArgValue, Jsonb, Text};
use super::catalog::{self, Collection};
use super::spi;
use crate::error::{raise, OrRaise};

/// SQL expression: the metric of an hnsw index from its operator class `opc`
/// (`vector_cosine_ops` → `cosine`).
pub const OPCLASS_METRIC_SQL: &str =
    "pg_catalog.regexp_replace(opc.opcname::pg_catalog.text, '^(vector|halfvec|sparsevec|bit)_(.*)_ops$', '\\2')";

/// SQL expression: the attribute columns (every key column after the first) of the index whose
/// pg_index row is `x`, as a jsonb array of names.
const ATTRIBUTE_FIELDS_SQL: &str = "(SELECT COALESCE(pg_catalog.jsonb_agg(f.attname ORDER BY u.n), '[]') \
       FROM pg_catalog.unnest(x.indkey::pg_catalog.int2[]) WITH ORDINALITY AS u(attnum, n) \
       JOIN pg_catalog.pg_attribute AS f ON f.attrelid OPERATOR(pg_catalog.=) x.indrelid AND f.attnum OPERATOR(pg_catalog.=) u.attnum \
      WHERE u.n OPERATOR(pg_catalog.>) 1)";

/// Names of the collection's vector indexes (without the `<collection>$` prefix).
pub fn names(def: &CollectionDef) -> Vec<String> {
    let prefix = format!("{}$", def.name);
    spi::text_rows(
        "SELECT pg_catalog.substr(i.relname::pg_catalog.text, pg_catalog.length($2) OPERATOR(pg_catalog.+) 1) \
           FROM pg_catalog.pg_index AS x JOIN pg_catalog.pg_class AS i ON i.oid OPERATOR(pg_catalog.=) x.indexrelid \
          WHERE x.indrelid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass \
            AND pg_catalog.starts_with(i.relname::pg_catalog.text, $2) ORDER BY i.oid",
        &[&catalog::table(def), &prefix],
    )
}

/// Creates the index, or with `background` submits its build as a job (returned).
fn create(coll: &Collection, field: &str, index_type: Option<&str>, metric: Option<&str>, params: &Value, index_name: Option<&str>, background: bool) -> Option<i64> {
    let r = ddl::request(coll, field, index_type, metric, params, index_name).or_raise();
    let name = match &r {
        ddl::Request::Vector(v) => &v.index_name,
        ddl::Request::Scalar(s) => &s.index_name,
    };
    if names(coll).contains(name) {
        raise(Error::new(ErrorKind::DuplicateObject, format!("index \"{name}\" already exists on collection \"{}\"", coll.name)));
    }
    match &r {
        ddl::Request::Vector(v) => {
            let attrs = scalar_index::attribute_fields(coll, &scalar_indexed(coll));
            let sql = ddl::create_index(coll, v, &coll.ext, &attrs).or_raise();
            if background {
                return Some(crate::jobs::submit::build(&sql));
            }
            spi::run(&sql, &[]);
        }
        ddl::Request::Scalar(_) if background => {
            raise(Error::new(ErrorKind::FeatureNotSupported, "async builds are for vector indexes; a scalar index is built at once".to_string()));
        }
        ddl::Request::Scalar(s) => {
            for sql in scalar_index::create(coll, s).or_raise() {
                spi::run(&sql, &[]);
            }
            // the field joins the attribute columns of the vector indexes
            let attrs = scalar_index::attribute_fields(coll, &scalar_indexed(coll));
            for ix in vector_indexes(coll) {
                for sql in scalar_index::rebuild(coll, &ix, &attrs).or_raise() {
                    spi::run(&sql, &[]);
                }
            }
        }
    }
    None
}

/// Fields of the collection with a scalar index (a one-column btree named `<collection>$...`).
fn scalar_indexed(def: &CollectionDef) -> Vec<String> {
    spi::text_rows(
        "SELECT a.attname::pg_catalog.text \
           FROM pg_catalog.pg_index AS x JOIN pg_catalog.pg_class AS i ON i.oid OPERATOR(pg_catalog.=) x.indexrelid \
           JOIN pg_catalog.pg_am AS am ON am.oid OPERATOR(pg_catalog.=) i.relam \
           JOIN pg_catalog.pg_attribute AS a ON a.attrelid OPERATOR(pg_catalog.=) x.indrelid AND a.attnum OPERATOR(pg_catalog.=) x.indkey[0] \
          WHERE x.indrelid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass AND x.indnatts OPERATOR(pg_catalog.=) 1 \
            AND am.amname OPERATOR(pg_catalog.=) 'btree' AND pg_catalog.starts_with(i.relname::pg_catalog.text, $2) ORDER BY i.oid",
        &[&catalog::table(def), &format!("{}$", def.name)],
    )
}

/// The collection's vector indexes (hnsw, ivfflat) as the catalog describes them.
fn vector_indexes(def: &CollectionDef) -> Vec<scalar_index::VectorIndex> {
    let rows = spi::json_rows(
        &format!("SELECT pg_catalog.jsonb_build_array(i.relname, am.amname, \
                (SELECT a.attname FROM pg_catalog.pg_attribute AS a \
                  WHERE a.attrelid OPERATOR(pg_catalog.=) x.indrelid AND a.attnum OPERATOR(pg_catalog.=) x.indkey[0]), \
                ns.nspname, opc.opcname, {ATTRIBUTE_FIELDS_SQL}, \
                COALESCE(pg_catalog.to_jsonb(i.reloptions), '[]')) \
           FROM pg_catalog.pg_index AS x JOIN pg_catalog.pg_class AS i ON i.oid OPERATOR(pg_catalog.=) x.indexrelid \
           JOIN pg_catalog.pg_am AS am ON am.oid OPERATOR(pg_catalog.=) i.relam \
           JOIN pg_catalog.pg_opclass AS opc ON opc.oid OPERATOR(pg_catalog.=) x.indclass[0] \
           JOIN pg_catalog.pg_namespace AS ns ON ns.oid OPERATOR(pg_catalog.=) opc.opcnamespace \
          WHERE x.indrelid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass AND am.amname OPERATOR(pg_catalog.=) ANY ('{{hnsw,ivfflat}}') \
            AND pg_catalog.starts_with(i.relname::pg_catalog.text, $2) ORDER BY i.oid"),
        &[&catalog::table(def), &format!("{}$", def.name)],
    );
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let list = |v: &Value| v.as_array().map(|a| a.iter().map(text).collect()).unwrap_or_default();
    rows.iter()
        .map(|r| scalar_index::VectorIndex {
            relname: text(&r[0]),
            method: text(&r[1]),
            vector: text(&r[2]),
            opclass_schema: text(&r[3]),
            opclass: text(&r[4]),
            attrs: list(&r[5]),
            options: list(&r[6]),
        })
        .collect()
}

/// An index request in Milvus's JSON shape:
/// `{"field_name": ..., "index_type": ..., "metric_type": ..., "params": {...}, "index_name": ...}`.
pub fn create_from_json(coll: &Collection, r: &Value) {
    let s = |k: &str| r.get(k).and_then(Value::as_str);
    let field = s("field_name").unwrap_or_else(|| raise(Error::param("index needs \"field_name\"")));
    if let Some(k) = r.as_object().and_then(|o| o.keys().find(|k| !["field_name", "index_type", "metric_type", "params", "index_name"].contains(&k.as_str()))) {
        raise(Error::param(format!("unknown key \"{k}\" in index (allowed: field_name, index_type, metric_type, params, index_name)")));
    }
    let params = r.get("params").cloned().unwrap_or(Value::Null);
    create(coll, field, s("index_type"), s("metric_type"), &params, s("index_name"), false);
}

#[pg_extern(sql = false)]
fn create_index(
    collection: Option<Text>,
    field_name: Option<Text>,
    index_type: Option<Text>,
    metric_type: Option<Text>,
    params: Option<Jsonb>,
    index_name: Option<Text>,
    r#async: Option<bool>,
) -> Option<i64> {
    let coll = catalog::load(required("collection", collection));
    let field_name = required("field_name", field_name);
    let params = optional("params", params).unwrap_or(Value::Null);
    create(
        &coll,
        field_name,
        optional("index_type", index_type),
        optional("metric_type", metric_type),
        &params,
        optional("index_name", index_name),
        r#async.unwrap_or(false),
    )
}

#[pg_extern(sql = false)]
fn list_indexes(collection: Text) -> SetOfIterator<'static, String> {
    SetOfIterator::new(names(&catalog::load(collection.read("collection"))))
}

fn require(def: &CollectionDef, index_name: &str) -> String {
    if !names(def).iter().any(|n| n == index_name) {
        raise(Error::new(ErrorKind::UndefinedObject, format!("index \"{index_name}\" does not exist on collection \"{}\"", def.name)));
    }
    ddl::index_relname(&def.name, index_name).or_raise()
}

#[pg_extern(sql = false)]
fn describe_index(collection: Text, index_name: Text) -> JsonB {
    let (collection, index_name) = (collection.read("collection"), index_name.read("index_name"));
    let def = catalog::load(collection).def;
    let rel = require(&def, index_name);
    let v = spi::json_one(
        &format!("SELECT pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object( \
            'index_name', $3::pg_catalog.text, \
            'field_name', a.attname, \
            'index_type', CASE am.amname WHEN 'ivfflat' THEN 'IVF_FLAT' \
                                         WHEN 'btree' THEN COALESCE(pg_catalog.obj_description(i.oid, 'pg_class'), 'STL_SORT') \
                                         ELSE pg_catalog.upper(am.amname::pg_catalog.text) END, \
            'metric_type', CASE WHEN am.amname OPERATOR(pg_catalog.<>) 'btree' THEN pg_catalog.upper({OPCLASS_METRIC_SQL}) END, \
            'attribute_fields', CASE WHEN am.amname OPERATOR(pg_catalog.<>) 'btree' THEN {ATTRIBUTE_FIELDS_SQL} END, \
            'params', (SELECT COALESCE(pg_catalog.jsonb_object_agg( \
                            CASE pg_catalog.split_part(o.o, '=', 1) WHEN 'm' THEN 'M' WHEN 'ef_construction' THEN 'efConstruction' WHEN 'lists' THEN 'nlist' \
                                 ELSE pg_catalog.split_part(o.o, '=', 1) END, \
                            pg_catalog.split_part(o.o, '=', 2)::integer), '{{}}'::pg_catalog.jsonb) \
                         FROM pg_catalog.unnest(i.reloptions) AS o(o)), \
            'postgres_index', $1::pg_catalog.text OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(i.relname::pg_catalog.text), \
            'valid', x.indisvalid, \
            'state', CASE WHEN x.indisvalid THEN 'Finished' ELSE 'InProgress' END, \
            'total_rows', n.n, \
            'indexed_rows', CASE WHEN x.indisvalid THEN n.n ELSE 0 END, \
            'pending_index_rows', CASE WHEN x.indisvalid THEN 0 ELSE n.n END, \
            'size_bytes', (SELECT COALESCE(pg_catalog.sum(pg_catalog.pg_relation_size(p.relid)), 0) \
                             FROM pg_catalog.pg_partition_tree(i.oid) AS p))) \
           FROM pg_catalog.pg_class AS i JOIN pg_catalog.pg_index AS x ON x.indexrelid OPERATOR(pg_catalog.=) i.oid \
           JOIN pg_catalog.pg_am AS am ON am.oid OPERATOR(pg_catalog.=) i.relam \
           JOIN pg_catalog.pg_attribute AS a ON a.attrelid OPERATOR(pg_catalog.=) x.indrelid AND a.attnum OPERATOR(pg_catalog.=) x.indkey[0] \
           JOIN pg_catalog.pg_opclass AS opc ON opc.oid OPERATOR(pg_catalog.=) x.indclass[0] \
           CROSS JOIN (SELECT pg_catalog.count(*) AS n FROM {table} AS t) AS n \
          WHERE i.relname OPERATOR(pg_catalog.=) $2 AND i.relnamespace OPERATOR(pg_catalog.=) pg_catalog.quote_ident($1)::pg_catalog.regnamespace",
            table = catalog::table(&def)),
        &[&def.schema, &rel, index_name],
    );
    JsonB(v.unwrap_or(Value::Null))
}

#[pg_extern(sql = false)]
fn drop_index(collection: Text, index_name: Text) {
    let (collection, index_name) = (collection.read("collection"), index_name.read("index_name"));
    let def = catalog::load(collection).def;
    let rel = require(&def, index_name);
    spi::run(&format!("DROP INDEX {}", qualified(&def.schema, &rel)), &[]);
}
