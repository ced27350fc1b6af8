//! `avg` and `sum` aggregates for vector and halfvec.
//!
//! The transition state is a float8[]: element 0 counts the rows, elements 1..=dim hold the
//! running sums in double precision. Combine functions merge two states (parallel aggregation).

use super::dense::{Dense, Element, HalfVec, Vector};
use crate::error::{raise, OrRaise};
use pgrx::prelude::*;
use quiver_core::text::check_same_dim;
use quiver_core::{Error, ErrorKind};

fn accum<T: Element>(state: Array<f64>, v: &Dense<T>) -> Vec<f64> {
    let mut s: Vec<f64> = state.iter().map(|x| x.unwrap_or(0.0)).collect();
    if s.len() <= 1 {
        s = vec![0.0; v.dim() + 1];
    } else {
        check_same_dim(s.len() - 1, v.dim()).or_raise();
    }
    s[0] += 1.0;
    for (acc, x) in s[1..].iter_mut().zip(v.as_slice()) {
        *acc += x.to_f32() as f64;
    }
    s
}

fn combine(a: Array<f64>, b: Array<f64>) -> Vec<f64> {
    let a: Vec<f64> = a.iter().map(|x| x.unwrap_or(0.0)).collect();
    let b: Vec<f64> = b.iter().map(|x| x.unwrap_or(0.0)).collect();
    if a.len() <= 1 {
        return if b.is_empty() { vec![0.0] } else { b };
    }
    if b.len() <= 1 {
        return a;
    }
    check_same_dim(a.len() - 1, b.len() - 1).or_raise();
    a.iter().zip(&b).map(|(x, y)| x + y).collect()
}

fn average<T: Element>(state: Array<f64>) -> Option<Dense<T>> {
    let s: Vec<f64> = state.iter().map(|x| x.unwrap_or(0.0)).collect();
    let n = *s.first()?;
    if n == 0.0 || s.len() <= 1 {
        return None;
    }
    let mut out = Dense::<T>::zeroed(s.len() - 1);
    for (slot, sum) in out.as_mut_slice().iter_mut().zip(&s[1..]) {
        let v = T::from_f32((sum / n) as f32);
        if !v.to_f32().is_finite() {
            raise(Error::new(ErrorKind::NumericValueOutOfRange, "value out of range: overflow"));
        }
        *slot = v;
    }
    Some(out)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_accum(state: Array<f64>, v: Vector) -> Vec<f64> {
    accum(state, &v)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_accum(state: Array<f64>, v: HalfVec) -> Vec<f64> {
    accum(state, &v)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_combine(a: Array<f64>, b: Array<f64>) -> Vec<f64> {
    combine(a, b)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_avg(state: Array<f64>) -> Option<Vector> {
    average(state)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_avg(state: Array<f64>) -> Option<HalfVec> {
    average(state)
}
