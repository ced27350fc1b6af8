//! Milvus-style collections, independent of PostgreSQL: schemas, the SQL that creates
//! their tables and indexes, and the validation of rows inserted through the API.

pub mod consistency;
pub mod ddl;
pub mod dml;
pub mod filtering;
pub mod ident;
pub mod input;
pub mod locks;
pub mod names;
pub mod properties;
pub mod query;
pub mod rank;
pub mod rows;
pub mod scalar_index;
pub mod schema;
pub mod types;
pub mod vectors;

#[cfg(test)]
mod capture_tests;
#[cfg(test)]
mod sqlcheck;

pub use schema::{CollectionDef, CreateArgs, FieldDef, MetricKind};
pub use types::DataType;
