//! `avg` and `sum` aggregates for vector and halfvec.
//!
//! The transition state is a float8[]: element 0 counts the rows, elements 1..=dim hold the
//! running sums in double precision (see `quiver_core::agg`, which validates every state).
//! Combine functions merge two states (parallel aggregation).

use super::array_arg::ArrayArg;
use super::dense::{Dense, Element, HalfVec, Vector};
use crate::error::{raise, raise_code, OrRaise};
use pgrx::prelude::*;
use quiver_core::agg::AvgState;
use quiver_core::{Error, ErrorKind};

/// The elements of a state array argument of function `caller`, checked for shape.
fn state_values<'a>(caller: &str, state: &'a ArrayArg<f64>) -> &'a [f64] {
    if state.ndim() > 1 {
        raise(Error::data(format!("invalid state array for {caller}: it must be one-dimensional")));
    }
    if state.has_nulls() {
        raise_code(
            PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
            format!("invalid state array for {caller}: it must not contain nulls"),
        );
    }
    state.values()
}

fn read_state<'a, T: Element>(caller: &str, state: &'a ArrayArg<f64>) -> AvgState<'a> {
    AvgState::read(caller, state_values(caller, state), T::MAX_DIM).or_raise()
}

fn accum<T: Element>(caller: &str, state: ArrayArg<f64>, v: &Dense<T>) -> Vec<f64> {
    let values: Vec<f32> = v.as_slice().iter().map(|x| x.to_f32()).collect();
    read_state::<T>(caller, &state).accum(&values).or_raise()
}

fn combine<T: Element>(caller: &str, a: ArrayArg<f64>, b: ArrayArg<f64>) -> Vec<f64> {
    let (a, b) = (read_state::<T>(caller, &a), read_state::<T>(caller, &b));
    a.combine(&b).or_raise()
}

fn average<T: Element>(caller: &str, state: ArrayArg<f64>) -> Option<Dense<T>> {
    let means = read_state::<T>(caller, &state).means()?;
    let mut out = Dense::<T>::zeroed(means.len());
    for (slot, mean) in out.as_mut_slice().iter_mut().zip(means) {
        let v = T::from_f32(mean as f32);
        if !v.to_f32().is_finite() {
            raise(Error::new(ErrorKind::NumericValueOutOfRange, "value out of range: overflow"));
        }
        *slot = v;
    }
    Some(out)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_accum(state: ArrayArg<f64>, v: Vector) -> Vec<f64> {
    accum("vector_accum", state, &v)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_accum(state: ArrayArg<f64>, v: HalfVec) -> Vec<f64> {
    accum("halfvec_accum", state, &v)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_combine(a: ArrayArg<f64>, b: ArrayArg<f64>) -> Vec<f64> {
    combine::<f32>("vector_combine", a, b)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_combine(a: ArrayArg<f64>, b: ArrayArg<f64>) -> Vec<f64> {
    combine::<quiver_core::f16>("halfvec_combine", a, b)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_avg(state: ArrayArg<f64>) -> Option<Vector> {
    average("vector_avg", state)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_avg(state: ArrayArg<f64>) -> Option<HalfVec> {
    average("halfvec_avg", state)
}
