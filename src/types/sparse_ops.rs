//! Distance functions and norms for sparsevec.

use super::sparse::Sparse;
use crate::error::raise;
use pgrx::prelude::*;
use quiver_core::kernels::sparse as k;
use quiver_core::Error;

fn same_dim(a: &Sparse, b: &Sparse) {
    if a.dim() != b.dim() {
        raise(Error::data(format!("different sparsevec dimensions {} and {}", a.dim(), b.dim())));
    }
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn sparsevec_l2_distance(a: Sparse, b: Sparse) -> f64 {
    same_dim(&a, &b);
    k::l2(a.indices(), a.values(), b.indices(), b.values())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn sparsevec_l2_squared_distance(a: Sparse, b: Sparse) -> f64 {
    same_dim(&a, &b);
    k::l2_squared(a.indices(), a.values(), b.indices(), b.values())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn sparsevec_inner_product(a: Sparse, b: Sparse) -> f64 {
    same_dim(&a, &b);
    k::dot(a.indices(), a.values(), b.indices(), b.values())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn sparsevec_negative_inner_product(a: Sparse, b: Sparse) -> f64 {
    same_dim(&a, &b);
    -k::dot(a.indices(), a.values(), b.indices(), b.values())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn sparsevec_cosine_distance(a: Sparse, b: Sparse) -> f64 {
    same_dim(&a, &b);
    k::cosine_distance(a.indices(), a.values(), b.indices(), b.values())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn sparsevec_l1_distance(a: Sparse, b: Sparse) -> f64 {
    same_dim(&a, &b);
    k::l1(a.indices(), a.values(), b.indices(), b.values())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn sparsevec_l2_norm(a: Sparse) -> f64 {
    k::norm(a.values())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn sparsevec_l2_normalize(a: Sparse) -> Sparse {
    let norm = k::norm(a.values());
    if norm == 0.0 {
        return Sparse::from_parts(a.dim(), a.indices(), a.values());
    }
    let mut indices = Vec::with_capacity(a.nnz());
    let mut values = Vec::with_capacity(a.nnz());
    for (&i, &x) in a.indices().iter().zip(a.values()) {
        let y = (x as f64 / norm) as f32;
        if y != 0.0 {
            indices.push(i);
            values.push(y);
        }
    }
    Sparse::from_parts(a.dim(), &indices, &values)
}
