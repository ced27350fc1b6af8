//! create / drop / list / has partitions: native PostgreSQL LIST partitions of the
//! collection's table, one per Milvus partition (`<collection>$<partition>`).

use pgrx::prelude::*;
use quiver_core::collection::ddl;
use quiver_core::collection::ident::{qualified, validate_name};
use quiver_core::collection::schema::DEFAULT_PARTITION;
use quiver_core::collection::CollectionDef;
use quiver_core::{Error, ErrorKind};

use super::args::{ArgValue, Text};
use super::catalog;
use super::manage::list_partitions_of;
use super::spi;
use crate::error::{raise, OrRaise};

#[pg_extern(sql = false)]
fn create_partition(collection: Text, partition: Text) {
    let (collection, partition) = (collection.read("collection"), partition.read("partition_name"));
    let def = catalog::load(collection).def;
    validate_name("partition", partition).or_raise();
    let stmt = ddl::create_partition(&def, partition).or_raise();
    if list_partitions_of(&def).iter().any(|p| p == partition) {
        raise(Error::new(ErrorKind::DuplicateObject, format!("partition \"{partition}\" already exists in collection \"{}\"", def.name)));
    }
    spi::run(&stmt, &[]);
}

#[pg_extern(sql = false)]
fn drop_partition(collection: Text, partition: Text) {
    let (collection, partition) = (collection.read("collection"), partition.read("partition_name"));
    let def = catalog::load(collection).def;
    if def.partition_key.is_some() {
        raise(Error::param(format!("collection \"{}\" is partitioned by its partition key; its partitions cannot be dropped", def.name)));
    }
    if partition == DEFAULT_PARTITION {
        raise(Error::param("the _default partition cannot be dropped"));
    }
    require(&def, partition);
    let t = ddl::partition_table(&def.name, partition).or_raise();
    spi::run(&format!("DROP TABLE {}", qualified(&def.schema, &t)), &[]);
}

#[pg_extern(sql = false)]
fn list_partitions(collection: Text) -> SetOfIterator<'static, String> {
    SetOfIterator::new(list_partitions_of(&catalog::load(collection.read("collection"))))
}

#[pg_extern(sql = false)]
fn has_partition(collection: Text, partition: Text) -> bool {
    let (collection, partition) = (collection.read("collection"), partition.read("partition_name"));
    list_partitions_of(&catalog::load(collection)).iter().any(|p| p == partition)
}

/// Raises undefined_object unless `partition` exists in the collection.
pub fn require(def: &CollectionDef, partition: &str) {
    if !list_partitions_of(def).iter().any(|p| p == partition) {
        raise(Error::new(ErrorKind::UndefinedObject, format!("partition \"{partition}\" does not exist in collection \"{}\"", def.name)));
    }
}

/// Checks that a search or query may name `partitions`: the collection has named
/// partitions (no partition key) and each exists.
pub fn check_names(def: &CollectionDef, partitions: &[String]) {
    if def.partition_key.is_some() {
        raise(Error::param(format!(
            "collection \"{}\" is partitioned by its partition key; filter on the key instead of naming partitions",
            def.name
        )));
    }
    let existing = list_partitions_of(def);
    if let Some(p) = partitions.iter().find(|p| !existing.contains(p)) {
        raise(Error::new(ErrorKind::UndefinedObject, format!("partition \"{p}\" does not exist in collection \"{}\"", def.name)));
    }
}
