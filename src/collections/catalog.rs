//! The collection catalog (`quiver.collections`, `quiver.aliases`): loading a collection's
//! definition by name or alias, with the checks that keep a catalog row from pointing at a
//! table other than its own, and recording new ones.

use std::ops::Deref;

use pgrx::PgSqlErrorCode;
use quiver_core::collection::ident::{qualified, Ext};
use quiver_core::collection::CollectionDef;
use quiver_core::{Error, ErrorKind};
use serde_json::Value;

use super::spi;
use crate::error::{raise, raise_code};

/// A collection as the API uses it: its definition, the schema of quiver's own types and
/// operators, and the OID of its table.
pub struct Collection {
    pub def: CollectionDef,
    pub ext: Ext,
    pub relid: u32,
}

impl Deref for Collection {
    type Target = CollectionDef;
    fn deref(&self) -> &CollectionDef {
        &self.def
    }
}

/// The schema quiver was created in (where its types, operators and operator classes are).
const EXT_SCHEMA_SQL: &str = "SELECT n.nspname::pg_catalog.text FROM pg_catalog.pg_extension AS e \
     JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace \
    WHERE e.extname OPERATOR(pg_catalog.=) 'quiver'";

pub fn ext() -> Ext {
    let s = spi::text_one(EXT_SCHEMA_SQL, &[]).unwrap_or_else(|| raise(Error::new(ErrorKind::UndefinedObject, "extension \"quiver\" is not installed")));
    Ext(s)
}

fn damaged(name: &str, what: impl std::fmt::Display) -> ! {
    raise(Error::data(format!("the catalog entry of collection \"{name}\" is damaged: {what}")))
}

/// The collection named `name` (or the one alias `name` points to), after checking that
/// its catalog row describes its own table: the definition names the row's table, the
/// table (tracked by OID) still has that name, and the role recorded as the collection's
/// owner has the privileges of the table's owner (so nobody can make another role's
/// table answer to a collection name).
pub fn load(name: &str) -> Collection {
    let row = spi::json_one(
        &format!(
            "SELECT pg_catalog.jsonb_build_object( \
                'name', c.name, 'schema', c.schema_name, 'definition', c.definition, \
                'relid', c.relid::pg_catalog.oid::pg_catalog.int8, \
                'table', (SELECT pg_catalog.jsonb_build_array(n.nspname, r.relname) \
                            FROM pg_catalog.pg_class AS r JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) r.relnamespace \
                           WHERE r.oid OPERATOR(pg_catalog.=) c.relid::pg_catalog.oid), \
                'owner_ok', (SELECT pg_catalog.pg_has_role(o.oid, r.relowner, 'USAGE') \
                               FROM pg_catalog.pg_roles AS o, pg_catalog.pg_class AS r \
                              WHERE o.rolname OPERATOR(pg_catalog.=) c.owner AND r.oid OPERATOR(pg_catalog.=) c.relid::pg_catalog.oid), \
                'ext', ({EXT_SCHEMA_SQL})) \
               FROM quiver.collections AS c \
              WHERE c.name OPERATOR(pg_catalog.=) $1 \
                 OR c.name OPERATOR(pg_catalog.=) (SELECT a.collection FROM quiver.aliases AS a WHERE a.alias OPERATOR(pg_catalog.=) $1) \
              ORDER BY c.name OPERATOR(pg_catalog.=) $1 DESC LIMIT 1"
        ),
        &[name],
    );
    let Some(row) = row else {
        raise(Error::new(ErrorKind::UndefinedObject, format!("collection \"{name}\" does not exist")));
    };
    let cname = row["name"].as_str().unwrap_or(name).to_string();
    let def: CollectionDef = serde_json::from_value(row["definition"].clone()).unwrap_or_else(|e| damaged(&cname, e));
    if let Err(e) = def.validate() {
        damaged(&cname, e.message);
    }
    let schema = row["schema"].as_str().unwrap_or_default();
    if def.name != cname || def.schema != schema {
        damaged(&cname, format!("its definition names table {}, not {}", qualified(&def.schema, &def.name), qualified(schema, &cname)));
    }
    let Some(table) = row["table"].as_array() else {
        raise_code(
            PgSqlErrorCode::ERRCODE_UNDEFINED_TABLE,
            format!("the table {} of collection \"{cname}\" no longer exists (drop the collection with quiver.drop_collection)", qualified(schema, &cname)),
        );
    };
    let (tschema, tname) = (table[0].as_str().unwrap_or_default(), table[1].as_str().unwrap_or_default());
    if tschema != schema || tname != cname {
        damaged(
            &cname,
            format!(
                "its table {} is now named {} (bring the catalog up to date with quiver.sync_collection_catalog('{}'::regclass))",
                qualified(schema, &cname),
                qualified(tschema, tname),
                qualified(tschema, tname).replace('\'', "''")
            ),
        );
    }
    if row["owner_ok"] != Value::Bool(true) {
        raise_code(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!("the catalog entry of collection \"{cname}\" was not registered by the owner of table {}; refusing to use it", qualified(schema, &cname)),
        );
    }
    let relid = row["relid"].as_u64().and_then(|r| u32::try_from(r).ok()).unwrap_or(0);
    let ext = Ext(row["ext"].as_str().unwrap_or("public").to_string());
    Collection { def, ext, relid }
}

/// Whether the collection `name` (not an alias) has a catalog row whose table is gone
/// (dropped while the event triggers were disabled).
pub fn table_gone(name: &str) -> bool {
    spi::text_one(
        "SELECT 'x' FROM quiver.collections AS c WHERE c.name OPERATOR(pg_catalog.=) $1 \
            AND NOT EXISTS (SELECT FROM pg_catalog.pg_class AS r WHERE r.oid OPERATOR(pg_catalog.=) c.relid::pg_catalog.oid)",
        &[name],
    )
    .is_some()
}

/// Whether `name` is taken by a collection or an alias.
pub fn name_taken(name: &str) -> bool {
    spi::text_one(
        "SELECT 'x' FROM quiver.collections AS c WHERE c.name OPERATOR(pg_catalog.=) $1 \
         UNION ALL SELECT 'x' FROM quiver.aliases AS a WHERE a.alias OPERATOR(pg_catalog.=) $1",
        &[name],
    )
    .is_some()
}

/// `"schema"."table"` of a collection.
pub fn table(def: &CollectionDef) -> String {
    qualified(&def.schema, &def.name)
}

/// Records a new collection (its table must exist: the catalog's trigger ties the row to it).
pub fn insert(def: &CollectionDef) {
    let json = serde_json::to_value(def).unwrap_or_default().to_string();
    spi::run(
        "INSERT INTO quiver.collections (name, schema_name, definition) VALUES ($1, $2, $3::pg_catalog.jsonb)",
        &[&def.name, &def.schema, &json],
    );
}
