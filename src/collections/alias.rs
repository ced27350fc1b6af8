//! Aliases: alternative names for a collection, usable wherever a collection name is.

use pgrx::prelude::*;
use quiver_core::collection::ident::validate_name;
use quiver_core::{Error, ErrorKind};

use super::args::{ArgValue, Text};
use super::{catalog, spi};
use crate::error::{raise, OrRaise};

/// The collection itself (not an alias) named `name`.
fn collection_named(name: &str) -> String {
    let def = catalog::load(name).def;
    if def.name != name {
        raise(Error::param(format!("\"{name}\" is an alias; aliases must point to a collection")));
    }
    def.name
}

#[pg_extern(sql = false)]
fn create_alias(collection: Text, alias: Text) {
    let (collection, alias) = (collection.read("collection"), alias.read("alias"));
    let target = collection_named(collection);
    validate_name("alias", alias).or_raise();
    if catalog::name_taken(alias) {
        raise(Error::new(ErrorKind::DuplicateObject, format!("alias or collection \"{alias}\" already exists")));
    }
    spi::run("INSERT INTO quiver.aliases (alias, collection) VALUES ($1, $2)", &[alias, &target]);
}

#[pg_extern(sql = false)]
fn alter_alias(collection: Text, alias: Text) {
    let (collection, alias) = (collection.read("collection"), alias.read("alias"));
    let target = collection_named(collection);
    if spi::run("UPDATE quiver.aliases AS a SET collection = $2 WHERE a.alias OPERATOR(pg_catalog.=) $1", &[alias, &target]) == 0 {
        raise(Error::new(ErrorKind::UndefinedObject, format!("alias \"{alias}\" does not exist")));
    }
}

#[pg_extern(sql = false)]
fn drop_alias(alias: Text) {
    let alias = alias.read("alias");
    if spi::run("DELETE FROM quiver.aliases AS a WHERE a.alias OPERATOR(pg_catalog.=) $1", &[alias]) == 0 {
        raise(Error::new(ErrorKind::UndefinedObject, format!("alias \"{alias}\" does not exist")));
    }
}

#[pg_extern(sql = false)]
fn list_aliases(collection: Text) -> SetOfIterator<'static, String> {
    let collection = collection.read("collection");
    let target = collection_named(collection);
    SetOfIterator::new(spi::text_rows("SELECT a.alias FROM quiver.aliases AS a WHERE a.collection OPERATOR(pg_catalog.=) $1 ORDER BY a.alias", &[&target]))
}
