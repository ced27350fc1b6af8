//! The Milvus programming model as SQL functions in the `quiver` schema: collections
//! (real tables + a catalog row), partitions, aliases, indexes, data and search.
//! Everything runs with the caller's privileges; SQL is built by quiver-core with quoted
//! identifiers and parameters.

pub mod alias;
pub mod catalog;
pub mod data;
pub mod index;
pub mod manage;
pub mod partition;
pub mod search;
pub mod spi;
