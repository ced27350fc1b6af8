//! quiver-core: everything quiver computes that does not need PostgreSQL.
//!
//! * [`agg`]     — the transition state of `avg(vector)` / `avg(halfvec)`, validated.
//! * [`attrs`]   — scalar attributes stored in vector index entries and the filters scans test on them.
//! * [`error`]   — error values carrying a SQLSTATE class, mapped to `ERROR`s by the pgrx layer.
//! * [`text`]    — pgvector-compatible text input/output for vector, halfvec and sparsevec.
//! * [`wire`]    — pgvector-compatible binary send/recv wire format.
//! * [`floatfmt`] — PostgreSQL `float4out`-compatible shortest round-trip float formatting.
//! * [`import`]  — readers of vector files for bulk import (`.npy`, `.fvecs` / `.bvecs` / `.ivecs`).
//! * [`ivf`]     — IVF index building blocks: k-means training of the list centroids.
//! * [`jobs`]    — background jobs: generated index names, worker assignments, maintenance thresholds, metrics.
//! * [`kernels`] — distance kernels (simsimd with runtime CPU dispatch) plus scalar references.
//! * [`limits`]  — dimension and size limits shared by every layer.
//! * [`metric`]  — distances between vectors stored as raw payload bytes (used by indexes).

pub mod agg;
pub mod attrs;
pub mod collection;
pub mod error;
pub mod filter;
pub mod floatfmt;
pub mod hnsw;
pub mod import;
pub mod ivf;
pub mod jobs;
pub mod kernels;
pub mod limits;
pub mod metric;
pub mod quant;
pub mod sparse;
pub mod text;
pub mod wire;

pub use error::{Error, ErrorKind, Result};
pub use half::f16;
pub use sparse::SparseVec;
