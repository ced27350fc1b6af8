//! Total order on vector, halfvec and sparsevec (btree operator class: ORDER BY, DISTINCT,
//! GROUP BY, UNIQUE). Element-wise lexicographic, then by number of dimensions.

use super::dense::{Dense, Element, HalfVec, Vector};
use super::sparse::Sparse;
use pgrx::prelude::*;
use std::cmp::Ordering;

fn dense_cmp<T: Element>(a: &Dense<T>, b: &Dense<T>) -> Ordering {
    for (x, y) in a.as_slice().iter().zip(b.as_slice()) {
        match x.to_f32().partial_cmp(&y.to_f32()) {
            Some(Ordering::Equal) | None => continue,
            Some(o) => return o,
        }
    }
    a.dim().cmp(&b.dim())
}

/// Compare as the dense expansions would compare.
fn sparse_cmp(a: &Sparse, b: &Sparse) -> Ordering {
    let common = a.dim().min(b.dim()) as i32;
    let (ai, av, bi, bv) = (a.indices(), a.values(), b.indices(), b.values());
    let (mut i, mut j) = (0, 0);
    loop {
        let pa = ai.get(i).copied().filter(|&p| p < common);
        let pb = bi.get(j).copied().filter(|&p| p < common);
        let (x, y) = match (pa, pb) {
            (None, None) => break,
            (Some(p), Some(q)) if p == q => {
                i += 1;
                j += 1;
                (av[i - 1], bv[j - 1])
            }
            (Some(p), q) if q.is_none_or(|q| p < q) => {
                i += 1;
                (av[i - 1], 0.0)
            }
            _ => {
                j += 1;
                (0.0, bv[j - 1])
            }
        };
        match x.partial_cmp(&y) {
            Some(Ordering::Equal) | None => {}
            Some(o) => return o,
        }
    }
    a.dim().cmp(&b.dim())
}

fn ord_i32(o: Ordering) -> i32 {
    o as i32
}

macro_rules! comparisons {
    ($ty:ty, $cmp:ident, $fcmp:ident, $lt:ident, $le:ident, $eq:ident, $ne:ident, $ge:ident, $gt:ident) => {
        #[pg_extern(immutable, strict, parallel_safe, sql = false)]
        fn $fcmp(a: $ty, b: $ty) -> i32 {
            ord_i32($cmp(&a, &b))
        }
        #[pg_extern(immutable, strict, parallel_safe, sql = false)]
        fn $lt(a: $ty, b: $ty) -> bool {
            $cmp(&a, &b) == Ordering::Less
        }
        #[pg_extern(immutable, strict, parallel_safe, sql = false)]
        fn $le(a: $ty, b: $ty) -> bool {
            $cmp(&a, &b) != Ordering::Greater
        }
        #[pg_extern(immutable, strict, parallel_safe, sql = false)]
        fn $eq(a: $ty, b: $ty) -> bool {
            $cmp(&a, &b) == Ordering::Equal
        }
        #[pg_extern(immutable, strict, parallel_safe, sql = false)]
        fn $ne(a: $ty, b: $ty) -> bool {
            $cmp(&a, &b) != Ordering::Equal
        }
        #[pg_extern(immutable, strict, parallel_safe, sql = false)]
        fn $ge(a: $ty, b: $ty) -> bool {
            $cmp(&a, &b) != Ordering::Less
        }
        #[pg_extern(immutable, strict, parallel_safe, sql = false)]
        fn $gt(a: $ty, b: $ty) -> bool {
            $cmp(&a, &b) == Ordering::Greater
        }
    };
}

comparisons!(Vector, dense_cmp, vector_cmp, vector_lt, vector_le, vector_eq, vector_ne, vector_ge, vector_gt);
comparisons!(HalfVec, dense_cmp, halfvec_cmp, halfvec_lt, halfvec_le, halfvec_eq, halfvec_ne, halfvec_ge, halfvec_gt);
comparisons!(Sparse, sparse_cmp, sparsevec_cmp, sparsevec_lt, sparsevec_le, sparsevec_eq, sparsevec_ne, sparsevec_ge, sparsevec_gt);
