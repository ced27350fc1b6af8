//! Index access methods. `common` is the framework every method shares (pages and WAL,
//! payloads, build input, scans, vacuum, cost, options); each method's folder holds only what
//! is its own. docs/index-methods.md is the recipe for adding one.

pub mod common;
pub mod hnsw;
pub mod ivfflat;
