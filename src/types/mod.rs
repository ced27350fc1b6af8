//! The vector types: vector (f32), halfvec (f16), sparsevec, and functions on built-in bit.

pub mod agg;
pub mod array_arg;
pub mod cast;
pub mod cmp;
pub mod dense;
pub mod input_memo;
pub mod io;
pub mod ops;
pub mod sparse;
pub mod sparse_ops;
pub mod varlena;
