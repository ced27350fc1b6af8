//! The collection catalog (`quiver.collections`, `quiver.aliases`): loading a collection's
//! definition by name or alias, and recording new ones.

use quiver_core::collection::ident::qualified;
use quiver_core::collection::CollectionDef;
use quiver_core::{Error, ErrorKind};

use super::spi;
use crate::error::raise;

/// The collection named `name` (or the one alias `name` points to).
pub fn load(name: &str) -> CollectionDef {
    let def = spi::json_one(
        "SELECT definition FROM quiver.collections WHERE name = $1 \
         UNION ALL \
         SELECT c.definition FROM quiver.aliases a JOIN quiver.collections c ON c.name = a.collection \
          WHERE a.alias = $1 LIMIT 1",
        &[name],
    );
    let Some(def) = def else {
        raise(Error::new(ErrorKind::UndefinedObject, format!("collection \"{name}\" does not exist")));
    };
    let def: CollectionDef = serde_json::from_value(def).unwrap_or_else(|e| {
        raise(Error::data(format!("the catalog entry of collection \"{name}\" is damaged: {e}")))
    });
    if let Err(e) = def.validate() {
        raise(Error::data(format!("the catalog entry of collection \"{name}\" is damaged: {}", e.message)));
    }
    def
}

/// Whether `name` is taken by a collection or an alias.
pub fn name_taken(name: &str) -> bool {
    spi::text_one(
        "SELECT 'x' FROM quiver.collections WHERE name = $1 UNION ALL SELECT 'x' FROM quiver.aliases WHERE alias = $1",
        &[name],
    )
    .is_some()
}

/// `"schema"."table"` of a collection.
pub fn table(def: &CollectionDef) -> String {
    qualified(&def.schema, &def.name)
}

pub fn insert(def: &CollectionDef) {
    let json = serde_json::to_value(def).unwrap_or_default().to_string();
    spi::run(
        "INSERT INTO quiver.collections (name, schema_name, definition) VALUES ($1, $2, $3::jsonb)",
        &[&def.name, &def.schema, &json],
    );
}

pub fn update(old_name: &str, def: &CollectionDef) {
    let json = serde_json::to_value(def).unwrap_or_default().to_string();
    spi::run(
        "UPDATE quiver.collections SET name = $2, definition = $3::jsonb WHERE name = $1",
        &[old_name, &def.name, &json],
    );
}
