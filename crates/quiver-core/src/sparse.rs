//! The in-memory form of a sparse vector.

/// A sparse vector: `dim` declared dimensions, strictly ascending 0-based `indices`
/// and their non-zero `values` (same length).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SparseVec {
    pub dim: u32,
    pub indices: Vec<i32>,
    pub values: Vec<f32>,
}
