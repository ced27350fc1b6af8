//! Casts between arrays, vector, halfvec and sparsevec.

use super::array_arg::{ArrayArg, ArrayElem, NumericElem};
use super::dense::{Dense, Element, HalfVec, Vector};
use super::sparse::Sparse;
use crate::error::{raise, raise_code, OrRaise};
use pgrx::prelude::*;
use quiver_core::{Error, ErrorKind};

/// A value for an out-of-range message: as PostgreSQL prints a `real` when it is one (pgvector's
/// wording: "2.1474836e+09"), else plain when short, scientific otherwise (1e300, not 300 digits).
fn short_float(x: f64) -> String {
    if (x as f32).is_finite() {
        return quiver_core::floatfmt::format_float4(x as f32);
    }
    let plain = format!("{x}");
    if plain.len() <= 20 {
        plain
    } else {
        format!("{x:e}")
    }
}

/// Check one element converted to an element of type `type_name`: finite, and representable.
fn checked_value<T: Element>(x: f64, type_name: &str) -> T {
    if x.is_nan() {
        raise(Error::data(format!("NaN not allowed in {type_name}")));
    }
    if x.is_infinite() {
        raise(Error::data(format!("infinite value not allowed in {type_name}")));
    }
    let v = T::from_f32(x as f32);
    if !v.to_f32().is_finite() {
        raise(Error::new(
            ErrorKind::NumericValueOutOfRange,
            format!("\"{}\" is out of range for type {type_name}", short_float(x)),
        ));
    }
    v
}

/// Check one element converted to the target type: finite, and representable.
fn checked_element<T: Element>(x: f64) -> T {
    checked_value(x, T::TYPE_NAME)
}

/// An array element type that converts to f64 exactly.
trait ArrayNumber: ArrayElem {
    fn to_f64(self) -> f64;
}
impl ArrayNumber for i32 {
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}
impl ArrayNumber for f32 {
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}
impl ArrayNumber for f64 {
    fn to_f64(self) -> f64 {
        self
    }
}

/// The elements of an array cast to a vector type, checked in pgvector's order: one
/// dimension at most ("array must be 1-D", 22000), no NULLs (22004), the number of
/// dimensions (`check_dim`), then the type modifier. Element values are checked by the caller.
fn array_elements<'a, N: ArrayNumber>(
    arr: &'a ArrayArg<N>,
    typmod: i32,
    check_dim: impl Fn(usize) -> quiver_core::Result<()>,
) -> &'a [N] {
    if arr.ndim() > 1 {
        raise(Error::data("array must be 1-D"));
    }
    if arr.has_nulls() {
        raise_code(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, "array must not contain nulls");
    }
    check_dim(arr.len()).or_raise();
    check_target_dim(typmod, arr.len());
    arr.values()
}

/// Build a dense vector from an array.
fn dense_from_array<T: Element, N: ArrayNumber>(arr: ArrayArg<N>, typmod: i32) -> Dense<T> {
    let elems = array_elements(&arr, typmod, |n| quiver_core::text::check_dim(T::TYPE_NAME, n, T::MAX_DIM));
    let mut v = Dense::<T>::zeroed(elems.len());
    for (slot, x) in v.as_mut_slice().iter_mut().zip(elems) {
        *slot = checked_element::<T>(x.to_f64());
    }
    v
}

/// Build a sparse vector from a dense array: zeros are dropped.
fn sparse_from_array<N: ArrayNumber>(arr: ArrayArg<N>, typmod: i32) -> Sparse {
    let elems = array_elements(&arr, typmod, |n| {
        quiver_core::text::check_dim("sparsevec", n, quiver_core::limits::SPARSEVEC_MAX_DIM)
    });
    let mut indices = Vec::new();
    let mut values = Vec::new();
    for (i, x) in elems.iter().enumerate() {
        let v: f32 = checked_value(x.to_f64(), "sparsevec");
        if v != 0.0 {
            if indices.len() == quiver_core::limits::SPARSEVEC_MAX_NNZ {
                raise(too_many_nonzeros());
            }
            indices.push(i as i32);
            values.push(v);
        }
    }
    Sparse::from_parts(elems.len(), &indices, &values)
}

fn too_many_nonzeros() -> Error {
    Error::new(
        ErrorKind::ProgramLimitExceeded,
        format!("sparsevec cannot have more than {} non-zero elements", quiver_core::limits::SPARSEVEC_MAX_NNZ),
    )
}

/// A `numeric[]` argument as `double precision[]`, after the shape check that comes first in
/// pgvector's order ("array must be 1-D").
fn numeric_as_float8(arr: &ArrayArg<NumericElem>) -> ArrayArg<f64> {
    if arr.ndim() > 1 {
        raise(Error::data("array must be 1-D"));
    }
    arr.to_float8()
}

// ---- arrays -> vector ----

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn array_int4_to_vector(arr: ArrayArg<i32>, typmod: i32, _explicit: bool) -> Vector {
    dense_from_array(arr, typmod)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn array_float4_to_vector(arr: ArrayArg<f32>, typmod: i32, _explicit: bool) -> Vector {
    dense_from_array(arr, typmod)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn array_float8_to_vector(arr: ArrayArg<f64>, typmod: i32, _explicit: bool) -> Vector {
    dense_from_array(arr, typmod)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn array_numeric_to_vector(arr: ArrayArg<NumericElem>, typmod: i32, _explicit: bool) -> Vector {
    dense_from_array(numeric_as_float8(&arr), typmod)
}

// ---- arrays -> halfvec ----

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn array_int4_to_halfvec(arr: ArrayArg<i32>, typmod: i32, _explicit: bool) -> HalfVec {
    dense_from_array(arr, typmod)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn array_float4_to_halfvec(arr: ArrayArg<f32>, typmod: i32, _explicit: bool) -> HalfVec {
    dense_from_array(arr, typmod)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn array_float8_to_halfvec(arr: ArrayArg<f64>, typmod: i32, _explicit: bool) -> HalfVec {
    dense_from_array(arr, typmod)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn array_numeric_to_halfvec(arr: ArrayArg<NumericElem>, typmod: i32, _explicit: bool) -> HalfVec {
    dense_from_array(numeric_as_float8(&arr), typmod)
}

// ---- arrays -> sparsevec ----

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn array_int4_to_sparsevec(arr: ArrayArg<i32>, typmod: i32, _explicit: bool) -> Sparse {
    sparse_from_array(arr, typmod)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn array_float4_to_sparsevec(arr: ArrayArg<f32>, typmod: i32, _explicit: bool) -> Sparse {
    sparse_from_array(arr, typmod)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn array_float8_to_sparsevec(arr: ArrayArg<f64>, typmod: i32, _explicit: bool) -> Sparse {
    sparse_from_array(arr, typmod)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn array_numeric_to_sparsevec(arr: ArrayArg<NumericElem>, typmod: i32, _explicit: bool) -> Sparse {
    sparse_from_array(numeric_as_float8(&arr), typmod)
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
        raise(too_many_nonzeros());
    }
    Sparse::from_dense(v.as_slice().iter().map(|x| x.to_f32()), v.dim())
}

fn sparse_to_dense<T: Element>(v: &Sparse, typmod: i32) -> Dense<T> {
    // pgvector's order: the dense type's dimension limit first, then the type modifier.
    quiver_core::text::check_dim(T::TYPE_NAME, v.dim(), T::MAX_DIM).or_raise();
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
