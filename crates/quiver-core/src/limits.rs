//! Limits shared by the types, the parsers and (later) the index methods.

/// Maximum number of dimensions of a `vector`.
pub const VECTOR_MAX_DIM: usize = 16_000;
/// Maximum number of dimensions of a `halfvec`.
pub const HALFVEC_MAX_DIM: usize = 16_000;
/// Maximum number of dimensions of a `sparsevec` (its declared length).
pub const SPARSEVEC_MAX_DIM: usize = 1_000_000_000;
/// Maximum number of stored (non-zero) elements of a `sparsevec`.
pub const SPARSEVEC_MAX_NNZ: usize = 16_000;
