//! The Milvus programming model as SQL functions in the `quiver` schema: collections
//! (real tables + a catalog row), partitions, aliases, indexes, data and search.
//! Everything runs with the caller's privileges and a fixed search_path (`pg_catalog,
//! pg_temp`); SQL is built by quiver-core with quoted identifiers, qualified names and
//! parameters. The catalog follows DDL on collection tables through event triggers
//! (`sync`).

pub mod alias;
pub mod args;
pub mod catalog;
pub mod data;
pub mod index;
pub mod manage;
pub mod partition;
pub mod pgvalue;
pub mod properties;
pub mod search;
pub mod spi;
pub mod sync;
