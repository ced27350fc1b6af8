//! Keeping the catalog in step with DDL on a collection's table. The event trigger on
//! `ALTER TABLE` calls [`sync_table`] for every altered table that is a collection's
//! (matched by OID, `quiver.collections.relid`):
//!
//! * `ALTER TABLE docs RENAME TO papers` renames the collection along, with its
//!   partitions and indexes (`docs$p` → `papers$p`); a new name that is not a valid
//!   collection name, or that is taken by another collection or alias, aborts the ALTER;
//! * `ALTER TABLE docs SET SCHEMA app` moves the collection (and its partitions);
//! * `ALTER TABLE docs OWNER TO r` records the new owner;
//! * dropping or renaming a column that holds a field aborts the ALTER.
//!
//! `DROP TABLE` / `DROP SCHEMA ... CASCADE` remove the catalog row through the `sql_drop`
//! event trigger (in sql/collections.sql).

use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;
use quiver_core::collection::ddl;
use quiver_core::collection::ident::{qualified, quote_ident, validate_name};
use quiver_core::collection::schema::{CollectionDef, DYNAMIC_COLUMN, PARTITION_COLUMN};
use quiver_core::{Error, ErrorKind};
use serde_json::json;

use super::{catalog, spi};
use crate::error::{raise, raise_code, OrRaise};

#[pg_extern(sql = false)]
fn sync_collection_catalog(relid: pg_sys::Oid) {
    sync_table(relid.to_u32());
}

/// Brings the catalog row of the collection whose table has OID `relid` (if any) in line
/// with the table's current name, schema, owner and columns.
pub fn sync_table(relid: u32) {
    let oid = relid.to_string();
    let Some(row) = spi::json_one(
        "SELECT pg_catalog.jsonb_build_object('name', c.name, 'schema', c.schema_name, 'owner', c.owner, \
                'definition', c.definition, 'table_schema', n.nspname, 'table_name', r.relname, \
                'table_owner', pg_catalog.pg_get_userbyid(r.relowner), \
                'columns', (SELECT pg_catalog.jsonb_agg(a.attname) FROM pg_catalog.pg_attribute AS a \
                             WHERE a.attrelid OPERATOR(pg_catalog.=) r.oid AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped)) \
           FROM quiver.collections AS c \
           JOIN pg_catalog.pg_class AS r ON r.oid OPERATOR(pg_catalog.=) c.relid::pg_catalog.oid \
           JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) r.relnamespace \
          WHERE c.relid::pg_catalog.oid OPERATOR(pg_catalog.=) $1::pg_catalog.oid",
        &[&oid],
    ) else {
        return;
    };
    let s = |k: &str| row[k].as_str().unwrap_or_default().to_string();
    let (old_name, old_schema, new_name, new_schema) = (s("name"), s("schema"), s("table_name"), s("table_schema"));
    // Columns holding fields must stay.
    if let Ok(def) = serde_json::from_value::<CollectionDef>(row["definition"].clone()) {
        let cols: Vec<&str> = row["columns"].as_array().map(|a| a.iter().filter_map(|v| v.as_str()).collect()).unwrap_or_default();
        let mut needed: Vec<&str> = def.fields.iter().map(|f| f.name.as_str()).collect();
        if def.enable_dynamic_field {
            needed.push(DYNAMIC_COLUMN);
        }
        if def.partition_key.is_none() {
            needed.push(PARTITION_COLUMN);
        }
        if quiver_core::collection::properties::ttl_seconds(&def).is_some() {
            needed.push(quiver_core::collection::properties::INSERTED_AT_COLUMN);
        }
        if let Some(missing) = needed.iter().find(|c| !cols.contains(c)) {
            raise_code(
                PgSqlErrorCode::ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST,
                format!("column \"{missing}\" of table {} holds a field of collection \"{old_name}\"; it cannot be dropped or renamed", qualified(&new_schema, &new_name)),
            );
        }
    }
    if old_name == new_name && old_schema == new_schema && s("owner") == s("table_owner") {
        return;
    }
    if new_name != old_name {
        validate_name("collection", &new_name)
            .map_err(|e| Error::new(e.kind, format!("table {} belongs to collection \"{old_name}\": {}", qualified(&old_schema, &old_name), e.message)))
            .or_raise();
        if catalog::name_taken(&new_name) {
            raise(Error::new(ErrorKind::DuplicateObject, format!("cannot rename collection \"{old_name}\": collection or alias \"{new_name}\" already exists")));
        }
        rename_children(relid, &old_name, &new_name);
    }
    if new_schema != old_schema {
        move_partitions(relid, &new_schema);
    }
    let n = spi::run(
        "UPDATE quiver.collections AS c SET name = $2, schema_name = $3, \
                definition = c.definition OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('name', $2, 'schema', $3) \
          WHERE c.relid::pg_catalog.oid OPERATOR(pg_catalog.=) $1::pg_catalog.oid",
        &[&oid, &new_name, &new_schema],
    );
    if n == 0 {
        raise_code(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!("cannot update the catalog entry of collection \"{old_name}\" (owned by {})", json!(s("owner"))),
        );
    }
}

/// Renames the partitions and indexes of the collection's table (`old$x` → `new$x`).
fn rename_children(relid: u32, old_name: &str, new_name: &str) {
    let prefix = format!("{old_name}$");
    let children = spi::json_rows(
        "SELECT pg_catalog.jsonb_build_array(n.nspname, c.relname, c.relkind OPERATOR(pg_catalog.=) ANY ('{i,I}'::\"char\"[])) \
           FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace \
          WHERE pg_catalog.starts_with(c.relname::pg_catalog.text, $2) \
            AND (c.oid OPERATOR(pg_catalog.=) ANY (SELECT h.inhrelid FROM pg_catalog.pg_inherits AS h \
                                                     WHERE h.inhparent OPERATOR(pg_catalog.=) $1::pg_catalog.oid) \
                 OR c.oid OPERATOR(pg_catalog.=) ANY (SELECT x.indexrelid FROM pg_catalog.pg_index AS x \
                                                      WHERE x.indrelid OPERATOR(pg_catalog.=) $1::pg_catalog.oid \
                                                         OR x.indrelid OPERATOR(pg_catalog.=) ANY ( \
                                                            SELECT h.inhrelid FROM pg_catalog.pg_inherits AS h \
                                                             WHERE h.inhparent OPERATOR(pg_catalog.=) $1::pg_catalog.oid))) \
          ORDER BY c.oid",
        &[&relid.to_string(), &prefix],
    );
    for child in children {
        let nsp = child[0].as_str().unwrap_or_default();
        let name = child[1].as_str().unwrap_or_default();
        let what = if child[2].as_bool() == Some(true) { "INDEX" } else { "TABLE" };
        let new_child = ddl::partition_table(new_name, name.get(prefix.len()..).unwrap_or_default()).or_raise();
        spi::run(&format!("ALTER {what} {} RENAME TO {}", qualified(nsp, name), quote_ident(&new_child)), &[]);
    }
}

/// Moves the partitions of the collection's table into `schema` (the table's own indexes
/// moved with it; a partition's indexes move with the partition).
fn move_partitions(relid: u32, schema: &str) {
    let parts = spi::json_rows(
        "SELECT pg_catalog.jsonb_build_array(n.nspname, c.relname) \
           FROM pg_catalog.pg_inherits AS h JOIN pg_catalog.pg_class AS c ON c.oid OPERATOR(pg_catalog.=) h.inhrelid \
           JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace \
          WHERE h.inhparent OPERATOR(pg_catalog.=) $1::pg_catalog.oid AND n.nspname OPERATOR(pg_catalog.<>) $2 ORDER BY c.oid",
        &[&relid.to_string(), schema],
    );
    for p in parts {
        let (nsp, name) = (p[0].as_str().unwrap_or_default(), p[1].as_str().unwrap_or_default());
        spi::run(&format!("ALTER TABLE {} SET SCHEMA {}", qualified(nsp, name), quote_ident(schema)), &[]);
    }
}
