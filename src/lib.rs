//! quiver: vector database capabilities inside PostgreSQL.
//!
//! This crate is the thin pgrx layer; algorithms, kernels and parsers live in `quiver-core`.

use pgrx::prelude::*;

::pgrx::pg_module_magic!(name, version);

pub mod am;
pub mod compat;
pub mod collections;
pub mod error;
pub mod import;
pub mod jobs;
pub mod types;

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    am::hnsw::options::init();
    am::ivfflat::options::init();
    am::common::threads::init_gucs();
    jobs::init();
}

// The whole SQL surface is hand-written (every #[pg_extern] above uses `sql = false`), so the
// order of types, functions, operators, casts and operator classes is explicit.
extension_sql_file!("../sql/types.sql", name = "quiver_types", bootstrap);
extension_sql_file!("../sql/hnsw.sql", name = "quiver_hnsw", requires = ["quiver_types"]);
extension_sql_file!("../sql/ivfflat.sql", name = "quiver_ivfflat", requires = ["quiver_hnsw"]);
extension_sql_file!("../sql/attributes.sql", name = "quiver_attributes", requires = ["quiver_ivfflat"]);
extension_sql_file!("../sql/collections.sql", name = "quiver_collections", requires = ["quiver_attributes"]);
extension_sql_file!("../sql/import.sql", name = "quiver_import", requires = ["quiver_collections"]);
extension_sql_file!("../sql/jobs.sql", name = "quiver_jobs", requires = ["quiver_import"]);

#[cfg(any(test, feature = "pg_test"))]
mod pg_tests;

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
