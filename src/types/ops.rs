//! Distance functions, norms and element-wise arithmetic for vector and halfvec.

use super::dense::{Dense, Element, HalfVec, Vector};
use super::sparse::Bits;
use crate::error::{raise, OrRaise};
use pgrx::prelude::*;
use quiver_core::kernels;
use quiver_core::text::check_same_dim_for;
use quiver_core::{Error, ErrorKind};

fn same_dim<T: Element>(a: &Dense<T>, b: &Dense<T>) {
    check_same_dim_for(T::TYPE_NAME, a.dim(), b.dim()).or_raise();
}

// ---- distances: vector ----

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_l2_distance(a: Vector, b: Vector) -> f64 {
    same_dim(&a, &b);
    kernels::f32::l2(a.as_slice(), b.as_slice())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_l2_squared_distance(a: Vector, b: Vector) -> f64 {
    same_dim(&a, &b);
    kernels::f32::l2_squared(a.as_slice(), b.as_slice())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_inner_product(a: Vector, b: Vector) -> f64 {
    same_dim(&a, &b);
    kernels::f32::dot(a.as_slice(), b.as_slice())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_negative_inner_product(a: Vector, b: Vector) -> f64 {
    same_dim(&a, &b);
    -kernels::f32::dot(a.as_slice(), b.as_slice())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_cosine_distance(a: Vector, b: Vector) -> f64 {
    same_dim(&a, &b);
    kernels::f32::cosine_distance(a.as_slice(), b.as_slice())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_l1_distance(a: Vector, b: Vector) -> f64 {
    same_dim(&a, &b);
    kernels::f32::l1(a.as_slice(), b.as_slice())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_norm(a: Vector) -> f64 {
    kernels::f32::norm(a.as_slice())
}

// ---- distances: halfvec ----

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_l2_distance(a: HalfVec, b: HalfVec) -> f64 {
    same_dim(&a, &b);
    kernels::f16::l2(a.as_slice(), b.as_slice())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_l2_squared_distance(a: HalfVec, b: HalfVec) -> f64 {
    same_dim(&a, &b);
    kernels::f16::l2_squared(a.as_slice(), b.as_slice())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_inner_product(a: HalfVec, b: HalfVec) -> f64 {
    same_dim(&a, &b);
    kernels::f16::dot(a.as_slice(), b.as_slice())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_negative_inner_product(a: HalfVec, b: HalfVec) -> f64 {
    same_dim(&a, &b);
    -kernels::f16::dot(a.as_slice(), b.as_slice())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_cosine_distance(a: HalfVec, b: HalfVec) -> f64 {
    same_dim(&a, &b);
    kernels::f16::cosine_distance(a.as_slice(), b.as_slice())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_l1_distance(a: HalfVec, b: HalfVec) -> f64 {
    same_dim(&a, &b);
    kernels::f16::l1(a.as_slice(), b.as_slice())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_l2_norm(a: HalfVec) -> f64 {
    kernels::f16::norm(a.as_slice())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_dims(a: Vector) -> i32 {
    a.dim() as i32
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_dims(a: HalfVec) -> i32 {
    a.dim() as i32
}

// ---- element-wise arithmetic (shared by vector and halfvec) ----

fn overflow() -> ! {
    raise(Error::new(ErrorKind::NumericValueOutOfRange, "value out of range: overflow"))
}

fn elementwise<T: Element>(a: &Dense<T>, b: &Dense<T>, op: impl Fn(f32, f32) -> f32, check_underflow: bool) -> Dense<T> {
    same_dim(a, b);
    let mut out = Dense::<T>::zeroed(a.dim());
    for ((slot, &x), &y) in out.as_mut_slice().iter_mut().zip(a.as_slice()).zip(b.as_slice()) {
        let (x, y) = (x.to_f32(), y.to_f32());
        let r = T::from_f32(op(x, y));
        let rf = r.to_f32();
        if rf.is_infinite() {
            overflow();
        }
        if check_underflow && rf == 0.0 && x != 0.0 && y != 0.0 {
            raise(Error::new(ErrorKind::NumericValueOutOfRange, "value out of range: underflow"));
        }
        *slot = r;
    }
    out
}

fn concat<T: Element>(a: &Dense<T>, b: &Dense<T>) -> Dense<T> {
    let mut out = Dense::<T>::zeroed(a.dim() + b.dim());
    let s = out.as_mut_slice();
    s[..a.dim()].copy_from_slice(a.as_slice());
    s[a.dim()..].copy_from_slice(b.as_slice());
    out
}

fn normalize<T: Element>(a: &Dense<T>, norm: f64) -> Dense<T> {
    if norm == 0.0 {
        // A zero vector normalizes to zeros (+0, as pgvector: not a copy of any -0 input).
        return Dense::zeroed(a.dim());
    }
    Dense::from_f32_iter(a.dim(), a.as_slice().iter().map(|x| (x.to_f32() as f64 / norm) as f32))
}

fn subvector<T: Element>(a: &Dense<T>, start: i32, count: i32) -> Dense<T> {
    if count < 1 {
        raise(Error::data(format!("{} must have at least 1 dimension", T::TYPE_NAME)));
    }
    let end = (start as i64 + count as i64).min(a.dim() as i64 + 1);
    let begin = (start as i64).max(1);
    if end <= begin {
        raise(Error::data(format!("{} must have at least 1 dimension", T::TYPE_NAME)));
    }
    Dense::from_slice(&a.as_slice()[(begin - 1) as usize..(end - 1) as usize])
}

fn quantize<T: Element>(a: &Dense<T>) -> Bits {
    let s = a.as_slice();
    Bits::from_fn(s.len(), |i| s[i].to_f32() > 0.0)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_add(a: Vector, b: Vector) -> Vector {
    elementwise(&a, &b, |x, y| x + y, false)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_sub(a: Vector, b: Vector) -> Vector {
    elementwise(&a, &b, |x, y| x - y, false)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_mul(a: Vector, b: Vector) -> Vector {
    elementwise(&a, &b, |x, y| x * y, true)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_concat(a: Vector, b: Vector) -> Vector {
    concat(&a, &b)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_l2_normalize(a: Vector) -> Vector {
    normalize(&a, kernels::f32::norm(a.as_slice()))
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_subvector(a: Vector, start: i32, count: i32) -> Vector {
    subvector(&a, start, count)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_binary_quantize(a: Vector) -> Bits {
    quantize(&a)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_add(a: HalfVec, b: HalfVec) -> HalfVec {
    elementwise(&a, &b, |x, y| x + y, false)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_sub(a: HalfVec, b: HalfVec) -> HalfVec {
    elementwise(&a, &b, |x, y| x - y, false)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_mul(a: HalfVec, b: HalfVec) -> HalfVec {
    elementwise(&a, &b, |x, y| x * y, true)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_concat(a: HalfVec, b: HalfVec) -> HalfVec {
    concat(&a, &b)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_l2_normalize(a: HalfVec) -> HalfVec {
    normalize(&a, kernels::f16::norm(a.as_slice()))
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_subvector(a: HalfVec, start: i32, count: i32) -> HalfVec {
    subvector(&a, start, count)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_binary_quantize(a: HalfVec) -> Bits {
    quantize(&a)
}

// ---- bit ----

fn same_bits(a: &Bits, b: &Bits) {
    if a.bit_len() != b.bit_len() {
        raise(Error::data(format!("different bit lengths {} and {}", a.bit_len(), b.bit_len())));
    }
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn bit_hamming_distance(a: Bits, b: Bits) -> f64 {
    same_bits(&a, &b);
    kernels::binary::hamming(a.bytes(), b.bytes()) as f64
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn bit_jaccard_distance(a: Bits, b: Bits) -> f64 {
    same_bits(&a, &b);
    kernels::binary::jaccard_distance(a.bytes(), b.bytes())
}
