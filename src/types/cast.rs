//! Casts between arrays, vector, halfvec and sparsevec.

use super::dense::{Dense, Element, HalfVec, Vector};
use super::sparse::Sparse;
use crate::error::{raise, raise_code};
use pgrx::prelude::*;
use quiver_core::{Error, ErrorKind};

/// A float for an error message: plain when short, scientific otherwise (1e300, not 300 digits).
fn short_float(x: f64) -> String {
    let plain = format!("{x}");
    if plain.len() <= 20 {
        plain
    } else {
        format!("{x:e}")
    }
}

/// Check one element converted to the target type: finite, and representable.
fn checked_element<T: Element>(x: f64) -> T {
    if x.is_nan() {
        raise(Error::data(format!("NaN not allowed in {}", T::TYPE_NAME)));
    }
    if x.is_infinite() {
        raise(Error::data(format!("infinite value not allowed in {}", T::TYPE_NAME)));
    }
    let v = T::from_f32(x as f32);
    if !v.to_f32().is_finite() {
        raise(Error::new(
            ErrorKind::NumericValueOutOfRange,
            format!("\"{}\" is out of range for type {}", short_float(x), T::TYPE_NAME),
        ));
    }
    v
}

/// Build a dense vector from array elements (each `None` is an SQL NULL element).
fn dense_from_elements<T: Element>(
    len: usize,
    elems: impl Iterator<Item = Option<f64>>,
    typmod: i32,
) -> Dense<T> {
    let mut v = Dense::<T>::zeroed(len);
    for (slot, x) in v.as_mut_slice().iter_mut().zip(elems) {
        let Some(x) = x else {
            raise_code(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, "array must not contain nulls")
        };
        *slot = checked_element::<T>(x);
    }
    check_target_dim(typmod, len);
    v
}

// ---- arrays -> vector ----

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn array_int4_to_vector(arr: Array<i32>, typmod: i32, _explicit: bool) -> Vector {
    dense_from_elements(arr.len(), arr.iter().map(|x| x.map(f64::from)), typmod)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn array_float4_to_vector(arr: Array<f32>, typmod: i32, _explicit: bool) -> Vector {
    dense_from_elements(arr.len(), arr.iter().map(|x| x.map(f64::from)), typmod)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn array_float8_to_vector(arr: Array<f64>, typmod: i32, _explicit: bool) -> Vector {
    dense_from_elements(arr.len(), arr.iter().map(|x| x.map(f64::from)), typmod)
}

// ---- arrays -> halfvec ----

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn array_int4_to_halfvec(arr: Array<i32>, typmod: i32, _explicit: bool) -> HalfVec {
    dense_from_elements(arr.len(), arr.iter().map(|x| x.map(f64::from)), typmod)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn array_float4_to_halfvec(arr: Array<f32>, typmod: i32, _explicit: bool) -> HalfVec {
    dense_from_elements(arr.len(), arr.iter().map(|x| x.map(f64::from)), typmod)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn array_float8_to_halfvec(arr: Array<f64>, typmod: i32, _explicit: bool) -> HalfVec {
    dense_from_elements(arr.len(), arr.iter().map(|x| x.map(f64::from)), typmod)
}

// ---- vector/halfvec -> real[] ----

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_to_float4(v: Vector, _typmod: i32, _explicit: bool) -> Vec<f32> {
    v.as_slice().to_vec()
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_to_float4(v: HalfVec, _typmod: i32, _explicit: bool) -> Vec<f32> {
    v.to_f32_vec()
}

// ---- between vector types ----

fn check_target_dim(typmod: i32, dim: usize) {
    if typmod != -1 {
        quiver_core::text::check_expected_dim(typmod, dim).unwrap_or_else(|e| raise(e));
    }
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_to_halfvec(v: Vector, typmod: i32, _explicit: bool) -> HalfVec {
    check_target_dim(typmod, v.dim());
    let mut out = HalfVec::zeroed(v.dim());
    for (slot, &x) in out.as_mut_slice().iter_mut().zip(v.as_slice()) {
        *slot = checked_element::<quiver_core::f16>(x as f64);
    }
    out
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_to_vector(v: HalfVec, typmod: i32, _explicit: bool) -> Vector {
    check_target_dim(typmod, v.dim());
    Vector::from_f32_iter(v.dim(), v.as_slice().iter().map(|x| x.to_f32()))
}

fn dense_to_sparse<T: Element>(v: &Dense<T>, typmod: i32) -> Sparse {
    check_target_dim(typmod, v.dim());
    let nnz = v.as_slice().iter().filter(|x| x.to_f32() != 0.0).count();
    if nnz > quiver_core::limits::SPARSEVEC_MAX_NNZ {
        raise(Error::new(
            ErrorKind::ProgramLimitExceeded,
            format!(
                "sparsevec cannot have more than {} non-zero elements",
                quiver_core::limits::SPARSEVEC_MAX_NNZ
            ),
        ));
    }
    Sparse::from_dense(v.as_slice().iter().map(|x| x.to_f32()), v.dim())
}

fn sparse_to_dense<T: Element>(v: &Sparse, typmod: i32) -> Dense<T> {
    check_target_dim(typmod, v.dim());
    let mut out = Dense::<T>::zeroed(v.dim());
    let slots = out.as_mut_slice();
    for (&i, &x) in v.indices().iter().zip(v.values()) {
        if let Some(slot) = slots.get_mut(i as usize) {
            *slot = checked_element::<T>(x as f64);
        }
    }
    out
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_to_sparsevec(v: Vector, typmod: i32, _explicit: bool) -> Sparse {
    dense_to_sparse(&v, typmod)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_to_sparsevec(v: HalfVec, typmod: i32, _explicit: bool) -> Sparse {
    dense_to_sparse(&v, typmod)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn sparsevec_to_vector(v: Sparse, typmod: i32, _explicit: bool) -> Vector {
    sparse_to_dense(&v, typmod)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn sparsevec_to_halfvec(v: Sparse, typmod: i32, _explicit: bool) -> HalfVec {
    sparse_to_dense(&v, typmod)
}
