//! What an hnsw index compares: element kind and metric (from its operator class), and `m`.

use super::options;
use crate::am::hnsw::layout::NodeLayout;
use pgrx::pg_sys;
use quiver_core::hnsw::HnswParams;
use quiver_core::metric::{Metric, VectorKind};

#[derive(Clone, Copy, Debug)]
pub struct IndexSpec {
    pub kind: VectorKind,
    pub metric: Metric,
    pub params: HnswParams,
    pub layout: NodeLayout,
}

/// The C entry points of the operator classes' distance functions (support function 1).
fn kernel_table() -> [(usize, VectorKind, Metric); 14] {
    use crate::types::ops::*;
    use crate::types::sparse_ops::*;
    [
        (vector_l2_squared_distance_wrapper as *const () as usize, VectorKind::F32, Metric::L2),
        (vector_negative_inner_product_wrapper as *const () as usize, VectorKind::F32, Metric::InnerProduct),
        (vector_cosine_distance_wrapper as *const () as usize, VectorKind::F32, Metric::Cosine),
        (vector_l1_distance_wrapper as *const () as usize, VectorKind::F32, Metric::L1),
        (halfvec_l2_squared_distance_wrapper as *const () as usize, VectorKind::F16, Metric::L2),
        (halfvec_negative_inner_product_wrapper as *const () as usize, VectorKind::F16, Metric::InnerProduct),
        (halfvec_cosine_distance_wrapper as *const () as usize, VectorKind::F16, Metric::Cosine),
        (halfvec_l1_distance_wrapper as *const () as usize, VectorKind::F16, Metric::L1),
        (sparsevec_l2_squared_distance_wrapper as *const () as usize, VectorKind::Sparse, Metric::L2),
        (sparsevec_negative_inner_product_wrapper as *const () as usize, VectorKind::Sparse, Metric::InnerProduct),
        (sparsevec_cosine_distance_wrapper as *const () as usize, VectorKind::Sparse, Metric::Cosine),
        (sparsevec_l1_distance_wrapper as *const () as usize, VectorKind::Sparse, Metric::L1),
        (bit_hamming_distance_wrapper as *const () as usize, VectorKind::Bit, Metric::Hamming),
        (bit_jaccard_distance_wrapper as *const () as usize, VectorKind::Bit, Metric::Jaccard),
    ]
}

impl IndexSpec {
    /// Inspect an open hnsw index relation.
    pub fn of(index: pg_sys::Relation) -> IndexSpec {
        let addr = unsafe {
            let finfo = pg_sys::index_getprocinfo(index, 1, 1);
            (*finfo).fn_addr.map(|f| f as usize).unwrap_or(0)
        };
        let Some(&(_, kind, metric)) = kernel_table().iter().find(|(a, _, _)| *a == addr) else {
            crate::error::raise_code(
                pgrx::PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
                "hnsw operator class has an unsupported distance function",
            )
        };
        let (m, ef_construction) = options::of(index);
        IndexSpec {
            kind,
            metric,
            params: HnswParams::new(m, ef_construction),
            layout: NodeLayout { m },
        }
    }
}
