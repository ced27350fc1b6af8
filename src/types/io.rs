//! Text and binary input/output and type modifiers for vector, halfvec and sparsevec.
//! Parsing and formatting live in quiver-core; this file moves bytes in and out of PostgreSQL.

use super::array_arg::{ArrayArg, CStringElem};
use super::dense::{Dense, Element, HalfVec, Vector};
use super::input_memo::memoized_input;
use super::sparse::Sparse;
use crate::error::{or_soft, OrRaise};
use pgrx::datum::Internal;
use pgrx::prelude::*;
use quiver_core::{limits, text, wire};
use std::ffi::{CStr, CString};

fn input_str<'a>(input: &'a CStr, type_name: &str) -> quiver_core::Result<&'a str> {
    input.to_str().map_err(|_| {
        quiver_core::Error::new(
            quiver_core::ErrorKind::InvalidTextRepresentation,
            format!("invalid input syntax for type {type_name}: not valid UTF-8"),
        )
    })
}

fn cstring(s: String) -> CString {
    // Formatted numbers never contain NUL bytes.
    CString::new(s).unwrap_or_default()
}

/// The remaining bytes of a receive buffer; marks them consumed.
fn take_recv_bytes<'a>(buf: Internal) -> &'a [u8] {
    let Some(datum) = buf.unwrap() else {
        crate::error::raise_code(PgSqlErrorCode::ERRCODE_PROTOCOL_VIOLATION, "no receive buffer")
    };
    unsafe {
        let si = datum.cast_mut_ptr::<pg_sys::StringInfoData>();
        let start = (*si).cursor.max(0) as usize;
        let len = (*si).len.max(0) as usize;
        let bytes = std::slice::from_raw_parts(((*si).data as *const u8).add(start), len.saturating_sub(start));
        (*si).cursor = (*si).len;
        bytes
    }
}

fn check_typmod(typmod: i32, dim: usize) {
    if typmod != -1 {
        text::check_expected_dim(typmod, dim).or_raise();
    }
}

/// The integers of a type modifier list, parsed by PostgreSQL itself (as pgvector does), so
/// `vector('a')` and `vector(1.5)` fail like any bad integer: 22P02 "invalid input syntax for
/// type integer", 22003 when out of range.
fn typmod_values(mods: &ArrayArg<CStringElem>) -> Vec<i32> {
    let mut n: std::ffi::c_int = 0;
    unsafe {
        let values = pg_sys::ArrayGetIntegerTypmods(mods.as_ptr(), &mut n);
        if values.is_null() || n <= 0 {
            return Vec::new();
        }
        std::slice::from_raw_parts(values, n as usize).to_vec()
    }
}

fn dense_apply_typmod<T: Element>(v: Dense<T>, typmod: i32) -> Dense<T> {
    check_typmod(typmod, v.dim());
    v
}

// ---- vector ----

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_in(input: &CStr, _oid: pg_sys::Oid, typmod: i32, fcinfo: pg_sys::FunctionCallInfo) -> Option<Vector> {
    let parse = || {
        let values = text::parse_vector_typmod(input_str(input, "vector")?, typmod)?;
        Ok(Vector::from_slice(&values).as_ptr())
    };
    or_soft(fcinfo, unsafe { memoized_input(fcinfo, input, typmod, parse) }).map(Vector::from_raw)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_out(v: Vector) -> CString {
    cstring(text::format_vector(v.as_slice()))
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_typmod_in(mods: ArrayArg<CStringElem>) -> i32 {
    text::parse_typmod("vector", &typmod_values(&mods), limits::VECTOR_MAX_DIM).or_raise()
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_recv(buf: Internal, _oid: pg_sys::Oid, typmod: i32) -> Vector {
    let values = wire::decode_vector_typmod(take_recv_bytes(buf), typmod).or_raise();
    Vector::from_slice(&values)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_send(v: Vector) -> Vec<u8> {
    wire::encode_vector(v.as_slice())
}

/// Length coercion: `'[1,2]'::vector(2)`.
#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn vector_typmod(v: Vector, typmod: i32, _explicit: bool) -> Vector {
    dense_apply_typmod(v, typmod)
}

// ---- halfvec ----

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_in(input: &CStr, _oid: pg_sys::Oid, typmod: i32, fcinfo: pg_sys::FunctionCallInfo) -> Option<HalfVec> {
    let parse = || {
        let values = text::parse_halfvec_typmod(input_str(input, "halfvec")?, typmod)?;
        Ok(HalfVec::from_slice(&values).as_ptr())
    };
    or_soft(fcinfo, unsafe { memoized_input(fcinfo, input, typmod, parse) }).map(HalfVec::from_raw)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_out(v: HalfVec) -> CString {
    cstring(text::format_halfvec(v.as_slice()))
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_typmod_in(mods: ArrayArg<CStringElem>) -> i32 {
    text::parse_typmod("halfvec", &typmod_values(&mods), limits::HALFVEC_MAX_DIM).or_raise()
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_recv(buf: Internal, _oid: pg_sys::Oid, typmod: i32) -> HalfVec {
    let values = wire::decode_halfvec_typmod(take_recv_bytes(buf), typmod).or_raise();
    HalfVec::from_slice(&values)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_send(v: HalfVec) -> Vec<u8> {
    wire::encode_halfvec(v.as_slice())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn halfvec_typmod(v: HalfVec, typmod: i32, _explicit: bool) -> HalfVec {
    dense_apply_typmod(v, typmod)
}

// ---- sparsevec ----

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn sparsevec_in(input: &CStr, _oid: pg_sys::Oid, typmod: i32, fcinfo: pg_sys::FunctionCallInfo) -> Option<Sparse> {
    let parse = || {
        let v = text::parse_sparsevec_typmod(input_str(input, "sparsevec")?, typmod)?;
        Ok(Sparse::from_core(&v).as_ptr())
    };
    or_soft(fcinfo, unsafe { memoized_input(fcinfo, input, typmod, parse) }).map(Sparse::from_raw)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn sparsevec_out(v: Sparse) -> CString {
    cstring(text::format_sparsevec(&v.to_core()))
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn sparsevec_typmod_in(mods: ArrayArg<CStringElem>) -> i32 {
    text::parse_typmod("sparsevec", &typmod_values(&mods), limits::SPARSEVEC_MAX_DIM).or_raise()
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn sparsevec_recv(buf: Internal, _oid: pg_sys::Oid, typmod: i32) -> Sparse {
    let v = wire::decode_sparsevec_typmod(take_recv_bytes(buf), typmod).or_raise();
    Sparse::from_core(&v)
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn sparsevec_send(v: Sparse) -> Vec<u8> {
    wire::encode_sparsevec(&v.to_core())
}

#[pg_extern(immutable, strict, parallel_safe, sql = false)]
fn sparsevec_typmod(v: Sparse, typmod: i32, _explicit: bool) -> Sparse {
    check_typmod(typmod, v.dim());
    v
}
