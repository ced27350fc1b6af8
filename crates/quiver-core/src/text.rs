//! pgvector-compatible text input and output for `vector`, `halfvec` and `sparsevec`.
//!
//! Accepted syntax, error classes and error wording follow pgvector so that clients and
//! regression outputs cannot tell the two apart:
//!
//! * `vector` / `halfvec`: `[e1,e2,...]`; whitespace (space, `\t`, `\n`, `\v`, `\f`,
//!   `\r`) is allowed before `[`, around every element and after `]`.
//! * `sparsevec`: `{i1:v1,i2:v2,...}/dim` with 1-based indices; whitespace allowed around
//!   every token; `{}/dim` is a vector with no non-zero elements.
//! * Elements use C `strtof` syntax: optional sign, decimal digits with optional point
//!   and exponent, hexadecimal floats (`0x1.8p3`), `inf` / `infinity` / `nan` in any
//!   case. Infinities and NaN parse but are then rejected, as in pgvector.
//! * Output uses PostgreSQL's `float4out` format (see [`crate::floatfmt`]).
//!
//! Input is treated like the C string PostgreSQL hands to an input function: it ends at
//! the first NUL byte, if any.

use crate::error::{Error, ErrorKind, Result};
use crate::floatfmt::write_float4;
use crate::limits::{HALFVEC_MAX_DIM, SPARSEVEC_MAX_DIM, SPARSEVEC_MAX_NNZ, VECTOR_MAX_DIM};
use crate::sparse::SparseVec;
use half::f16;

// ---------------------------------------------------------------------------------------
// Shared checks
// ---------------------------------------------------------------------------------------

/// `dim` must be in `1..=max`: "`<type>` must have at least 1 dimension" (22000) or
/// "`<type>` cannot have more than `<max>` dimensions" (54000).
pub fn check_dim(type_name: &str, dim: usize, max: usize) -> Result<()> {
    check_dim_i64(type_name, i64::try_from(dim).unwrap_or(i64::MAX), max)
}

/// [`check_dim`] for a possibly negative dimension read from the wire.
pub fn check_dim_i64(type_name: &str, dim: i64, max: usize) -> Result<()> {
    if dim < 1 {
        return Err(Error::data(format!("{type_name} must have at least 1 dimension")));
    }
    if dim as u64 > max as u64 {
        return Err(Error::new(
            ErrorKind::ProgramLimitExceeded,
            format!("{type_name} cannot have more than {max} dimensions"),
        ));
    }
    Ok(())
}

/// A type modifier of `expected` (`-1` = none) must match `actual`:
/// "expected 3 dimensions, not 2" (22000).
pub fn check_expected_dim(expected: i32, actual: usize) -> Result<()> {
    if expected != -1 && i64::from(expected) != actual as i64 {
        return Err(Error::data(format!("expected {expected} dimensions, not {actual}")));
    }
    Ok(())
}

/// Operands of a binary `vector` operation must agree:
/// "different vector dimensions 3 and 2" (22000).
pub fn check_same_dim(a: usize, b: usize) -> Result<()> {
    check_same_dim_for("vector", a, b)
}

/// [`check_same_dim`] for any type: pgvector words it "different halfvec dimensions ..."
/// and "different sparsevec dimensions ..." for the other two types.
pub fn check_same_dim_for(type_name: &str, a: usize, b: usize) -> Result<()> {
    if a != b {
        return Err(Error::data(format!("different {type_name} dimensions {a} and {b}")));
    }
    Ok(())
}

/// Elements must be finite: "NaN not allowed in `<type>`" /
/// "infinite value not allowed in `<type>`" (22000).
pub fn check_element(type_name: &str, v: f32) -> Result<()> {
    if v.is_nan() {
        return Err(Error::data(format!("NaN not allowed in {type_name}")));
    }
    if v.is_infinite() {
        return Err(Error::data(format!("infinite value not allowed in {type_name}")));
    }
    Ok(())
}

/// Number of stored elements of a sparsevec whose declared length is `dim`
/// (pgvector's checks, in its order): negative (22000), more than 16000 (54000),
/// more than `dim` (54000).
pub fn check_nnz(nnz: i64, dim: i64) -> Result<()> {
    if nnz < 0 {
        return Err(Error::data("sparsevec cannot have negative number of elements"));
    }
    if nnz > SPARSEVEC_MAX_NNZ as i64 {
        return Err(Error::new(
            ErrorKind::ProgramLimitExceeded,
            format!("sparsevec cannot have more than {SPARSEVEC_MAX_NNZ} non-zero elements"),
        ));
    }
    if nnz > dim {
        return Err(Error::new(
            ErrorKind::ProgramLimitExceeded,
            "sparsevec cannot have more elements than dimensions",
        ));
    }
    Ok(())
}

/// Check 0-based sparse index number `i` of `indices` against `dim` and its predecessor:
/// out of bounds, descending, duplicate (all 22000).
pub fn check_sparse_index(indices: &[i32], i: usize, dim: i64) -> Result<()> {
    let index = indices[i];
    if index < 0 || i64::from(index) >= dim {
        return Err(Error::data("sparsevec index out of bounds"));
    }
    if i > 0 {
        let prev = indices[i - 1];
        if index < prev {
            return Err(Error::data("sparsevec indices must be in ascending order"));
        }
        if index == prev {
            return Err(Error::data("sparsevec indices must not contain duplicates"));
        }
    }
    Ok(())
}

/// The `typmod_in` logic of the three types: exactly one modifier (else "invalid type
/// modifier"), at least 1 ("dimensions for type `<type>` must be at least 1") and at most
/// `max` ("dimensions for type `<type>` cannot exceed `<max>`"), all 22023.
pub fn parse_typmod(type_name: &str, mods: &[i32], max: usize) -> Result<i32> {
    if mods.len() != 1 {
        return Err(Error::new(ErrorKind::InvalidParameterValue, "invalid type modifier"));
    }
    let t = mods[0];
    if t < 1 {
        return Err(Error::new(
            ErrorKind::InvalidParameterValue,
            format!("dimensions for type {type_name} must be at least 1"),
        ));
    }
    if t as u64 > max as u64 {
        return Err(Error::new(
            ErrorKind::InvalidParameterValue,
            format!("dimensions for type {type_name} cannot exceed {max}"),
        ));
    }
    Ok(t)
}

// ---------------------------------------------------------------------------------------
// Dense types
// ---------------------------------------------------------------------------------------

/// Parse `vector` text, e.g. `[1,2.5,3]`.
pub fn parse_vector(input: &str) -> Result<Vec<f32>> {
    parse_vector_typmod(input, -1)
}

/// Parse `vector` text for a column of type modifier `typmod` (`-1` = none); the
/// dimension check happens exactly where pgvector makes it.
pub fn parse_vector_typmod(input: &str, typmod: i32) -> Result<Vec<f32>> {
    parse_dense(input, "vector", VECTOR_MAX_DIM, typmod, |num, _| {
        if num.overflowed() {
            return Err(out_of_range(num.text, "vector"));
        }
        check_element("vector", num.value)?;
        Ok(num.value)
    })
}

/// Parse `halfvec` text. Elements are read as `f32` (like `strtof`) then rounded to the
/// nearest `f16`; finite values too large for `f16` are out of range (22003).
pub fn parse_halfvec(input: &str) -> Result<Vec<f16>> {
    parse_halfvec_typmod(input, -1)
}

/// [`parse_halfvec`] with a type modifier.
pub fn parse_halfvec_typmod(input: &str, typmod: i32) -> Result<Vec<f16>> {
    parse_dense(input, "halfvec", HALFVEC_MAX_DIM, typmod, |num, _| {
        let h = f16::from_f32(num.value);
        if num.overflowed() || (h.is_infinite() && !num.value.is_infinite()) {
            return Err(out_of_range(num.text, "halfvec"));
        }
        check_element("halfvec", h.to_f32())?;
        Ok(h)
    })
}

/// `[1,2.5,3]` with every element in `float4out` format.
pub fn format_vector(v: &[f32]) -> String {
    let mut s = String::with_capacity(2 + v.len() * 8);
    s.push('[');
    for (i, &x) in v.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        write_float4(&mut s, x);
    }
    s.push(']');
    s
}

/// `halfvec` text: each element widened to `f32` and printed in `float4out` format, so
/// `f16(1.1)` prints as `1.0996094`.
pub fn format_halfvec(v: &[f16]) -> String {
    let mut s = String::with_capacity(2 + v.len() * 8);
    s.push('[');
    for (i, &x) in v.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        write_float4(&mut s, x.to_f32());
    }
    s.push(']');
    s
}

fn parse_dense<T>(
    input: &str,
    type_name: &str,
    max_dim: usize,
    typmod: i32,
    convert: impl Fn(&Number<'_>, usize) -> Result<T>,
) -> Result<Vec<T>> {
    let lit = c_string(input);
    let b = lit.as_bytes();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let mut pt = skip_space(b, 0);

    if at(pt) != b'[' {
        return Err(syntax(type_name, lit).with_detail("Vector contents must start with \"[\"."));
    }
    pt = skip_space(b, pt + 1);
    if at(pt) == b']' {
        return Err(Error::data(format!("{type_name} must have at least 1 dimension")));
    }

    let mut out: Vec<T> = Vec::new();
    loop {
        if out.len() == max_dim {
            return Err(Error::new(
                ErrorKind::ProgramLimitExceeded,
                format!("{type_name} cannot have more than {max_dim} dimensions"),
            ));
        }
        pt = skip_space(b, pt);
        if pt >= b.len() {
            return Err(syntax(type_name, lit));
        }
        let num = match scan_float(lit, pt) {
            Some(num) => num,
            None => return Err(syntax(type_name, lit)),
        };
        out.push(convert(&num, out.len())?);
        pt = skip_space(b, num.end);
        match at(pt) {
            b',' => pt += 1,
            b']' => {
                pt += 1;
                break;
            }
            _ => return Err(syntax(type_name, lit)),
        }
    }

    pt = skip_space(b, pt);
    if pt < b.len() {
        return Err(syntax(type_name, lit).with_detail("Junk after closing right brace."));
    }
    check_dim(type_name, out.len(), max_dim)?;
    check_expected_dim(typmod, out.len())?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Sparse type
// ---------------------------------------------------------------------------------------

/// Parse `sparsevec` text, e.g. `{1:1.5,3:2}/5` (1-based indices in text, 0-based in the
/// result). As in pgvector: zero values are accepted and dropped (their indices are not
/// validated), elements may appear in any order and are sorted, duplicate indices and
/// indices outside `1..=dim` are errors (22000).
pub fn parse_sparsevec(input: &str) -> Result<SparseVec> {
    parse_sparsevec_typmod(input, -1)
}

/// [`parse_sparsevec`] with a type modifier (checked before the indices, like pgvector).
pub fn parse_sparsevec_typmod(input: &str, typmod: i32) -> Result<SparseVec> {
    const T: &str = "sparsevec";
    let lit = c_string(input);
    let b = lit.as_bytes();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);

    // pgvector sizes its buffer from the number of commas in the whole input and rejects
    // the input up front when that bound is too large.
    let max_nnz = 1 + b.iter().filter(|&&c| c == b',').count();
    if max_nnz > SPARSEVEC_MAX_NNZ {
        return Err(Error::new(
            ErrorKind::ProgramLimitExceeded,
            format!("sparsevec cannot have more than {SPARSEVEC_MAX_NNZ} non-zero elements"),
        ));
    }

    let mut pt = skip_space(b, 0);
    if at(pt) != b'{' {
        return Err(syntax(T, lit).with_detail("Vector contents must start with \"{\"."));
    }
    pt = skip_space(b, pt + 1);

    let mut elems: Vec<(i32, f32)> = Vec::new();
    if at(pt) == b'}' {
        pt += 1;
    } else {
        loop {
            pt = skip_space(b, pt);
            if pt >= b.len() {
                return Err(syntax(T, lit));
            }
            let (index, end) = match scan_long(b, pt) {
                Some(r) => r,
                None => return Err(syntax(T, lit)),
            };
            let index = index.clamp(i64::from(i32::MIN) + 1, i64::from(i32::MAX));
            pt = skip_space(b, end);
            if at(pt) != b':' {
                return Err(syntax(T, lit));
            }
            pt = skip_space(b, pt + 1);
            let num = match scan_float(lit, pt) {
                Some(num) => num,
                None => return Err(syntax(T, lit)),
            };
            if num.overflowed() || num.underflowed() {
                return Err(out_of_range(num.text, T));
            }
            check_element(T, num.value)?;
            if num.value != 0.0 {
                elems.push(((index - 1) as i32, num.value));
            }
            pt = skip_space(b, num.end);
            match at(pt) {
                b',' => pt += 1,
                b'}' => {
                    pt += 1;
                    break;
                }
                _ => return Err(syntax(T, lit)),
            }
        }
    }

    pt = skip_space(b, pt);
    if at(pt) != b'/' {
        return Err(syntax(T, lit).with_detail("Unexpected end of input."));
    }
    pt = skip_space(b, pt + 1);
    let (dim, end) = match scan_long(b, pt) {
        Some(r) => r,
        None => return Err(syntax(T, lit)),
    };
    let dim = dim.clamp(i64::from(i32::MIN), i64::from(i32::MAX));
    pt = skip_space(b, end);
    if pt < b.len() {
        return Err(syntax(T, lit).with_detail("Junk after closing."));
    }

    check_dim_i64(T, dim, SPARSEVEC_MAX_DIM)?;
    check_expected_dim(typmod, dim as usize)?;

    elems.sort_by_key(|&(i, _)| i);
    let indices: Vec<i32> = elems.iter().map(|&(i, _)| i).collect();
    for i in 0..indices.len() {
        check_sparse_index(&indices, i, dim)?;
    }
    Ok(SparseVec { dim: dim as u32, indices, values: elems.iter().map(|&(_, v)| v).collect() })
}

/// `{1:1.5,3:2}/5`: 1-based indices, values in `float4out` format.
pub fn format_sparsevec(v: &SparseVec) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(8 + v.indices.len() * 12);
    s.push('{');
    for (n, (&i, &x)) in v.indices.iter().zip(v.values.iter()).enumerate() {
        if n > 0 {
            s.push(',');
        }
        let _ = write!(s, "{}:", i64::from(i) + 1);
        write_float4(&mut s, x);
    }
    let _ = write!(s, "}}/{}", v.dim);
    s
}

// ---------------------------------------------------------------------------------------
// Lexical helpers (C library number syntax)
// ---------------------------------------------------------------------------------------

fn syntax(type_name: &str, lit: &str) -> Error {
    Error::new(
        ErrorKind::InvalidTextRepresentation,
        format!("invalid input syntax for type {type_name}: \"{lit}\""),
    )
}

fn out_of_range(token: &str, type_name: &str) -> Error {
    Error::new(
        ErrorKind::NumericValueOutOfRange,
        format!("\"{token}\" is out of range for type {type_name}"),
    )
}

/// The part of `input` a C function would see: everything before the first NUL.
fn c_string(input: &str) -> &str {
    match input.find('\0') {
        Some(n) => &input[..n],
        None => input,
    }
}

/// C `isspace` in the C locale (and pgvector's whitespace set before PostgreSQL 17).
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn skip_space(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    i
}

/// `strtol(s, &end, 10)`: optional leading whitespace and sign, at least one digit.
/// Saturates at the `i64` range like glibc's `long`. `None` = no conversion.
fn scan_long(b: &[u8], start: usize) -> Option<(i64, usize)> {
    let mut i = skip_space(b, start);
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let digits_start = i;
    let mut acc: i64 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        let d = i64::from(b[i] - b'0');
        acc = if neg {
            acc.saturating_mul(10).saturating_sub(d)
        } else {
            acc.saturating_mul(10).saturating_add(d)
        };
        i += 1;
    }
    if i == digits_start {
        return None;
    }
    Some((acc, i))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumKind {
    /// Decimal or hexadecimal digits; `nonzero` = some mantissa digit is not 0.
    Finite { nonzero: bool },
    Infinity,
    NaN,
}

/// One number as `strtof` would read it.
#[derive(Debug)]
struct Number<'a> {
    /// The consumed text (sign included), used in "out of range" messages.
    text: &'a str,
    end: usize,
    value: f32,
    kind: NumKind,
}

impl Number<'_> {
    /// `strtof` would report ERANGE with an infinite result.
    fn overflowed(&self) -> bool {
        matches!(self.kind, NumKind::Finite { .. }) && self.value.is_infinite()
    }

    /// `strtof` would report ERANGE with a zero result.
    fn underflowed(&self) -> bool {
        matches!(self.kind, NumKind::Finite { nonzero: true }) && self.value == 0.0
    }
}

/// Read a number at `start` with C `strtof` syntax. `None` = no conversion.
fn scan_float(s: &str, start: usize) -> Option<Number<'_>> {
    let b = s.as_bytes();
    let begin = skip_space(b, start);
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let mut i = begin;
    let mut neg = false;
    if at(i) == b'+' || at(i) == b'-' {
        neg = at(i) == b'-';
        i += 1;
    }
    let sign = if neg { -1.0f32 } else { 1.0 };
    let lower = |i: usize| at(i).to_ascii_lowercase();

    // inf / infinity / nan[(chars)]
    if lower(i) == b'i' && lower(i + 1) == b'n' && lower(i + 2) == b'f' {
        let mut end = i + 3;
        if b"inity".iter().enumerate().all(|(k, &c)| lower(end + k) == c) {
            end += 5;
        }
        return Some(Number { text: &s[begin..end], end, value: sign * f32::INFINITY, kind: NumKind::Infinity });
    }
    if lower(i) == b'n' && lower(i + 1) == b'a' && lower(i + 2) == b'n' {
        let mut end = i + 3;
        if at(end) == b'(' {
            let mut k = end + 1;
            while at(k).is_ascii_alphanumeric() || at(k) == b'_' {
                k += 1;
            }
            if at(k) == b')' {
                end = k + 1;
            }
        }
        return Some(Number { text: &s[begin..end], end, value: f32::NAN, kind: NumKind::NaN });
    }

    // Hexadecimal: 0x followed by a hex digit, or by '.' and a hex digit.
    if at(i) == b'0'
        && lower(i + 1) == b'x'
        && (at(i + 2).is_ascii_hexdigit() || (at(i + 2) == b'.' && at(i + 3).is_ascii_hexdigit()))
    {
        let (value, nonzero, end) = scan_hex(b, i + 2);
        return Some(Number {
            text: &s[begin..end],
            end,
            value: sign * value,
            kind: NumKind::Finite { nonzero },
        });
    }

    // Decimal.
    let mut ndigits = 0usize;
    let mut nonzero = false;
    while at(i).is_ascii_digit() {
        nonzero |= at(i) != b'0';
        ndigits += 1;
        i += 1;
    }
    if at(i) == b'.' {
        i += 1;
        while at(i).is_ascii_digit() {
            nonzero |= at(i) != b'0';
            ndigits += 1;
            i += 1;
        }
    }
    if ndigits == 0 {
        return None;
    }
    if lower(i) == b'e' {
        let mut k = i + 1;
        if at(k) == b'+' || at(k) == b'-' {
            k += 1;
        }
        if at(k).is_ascii_digit() {
            while at(k).is_ascii_digit() {
                k += 1;
            }
            i = k;
        }
    }
    let text = &s[begin..i];
    // The token is valid Rust float syntax by construction; Rust rounds correctly, like
    // glibc, and returns ±inf / ±0 where strtof reports ERANGE.
    let value = text.parse::<f32>().unwrap_or(f32::NAN);
    Some(Number { text, end: i, value, kind: NumKind::Finite { nonzero } })
}

/// Hexadecimal significand (after `0x`) with optional binary exponent `p[sign]digits`,
/// correctly rounded (ties to even) to `f32`. Returns (magnitude, any non-zero digit, end).
fn scan_hex(b: &[u8], mut i: usize) -> (f32, bool, usize) {
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let mut mant: u64 = 0;
    let mut exp2: i64 = 0;
    let mut sticky = false;
    let mut nonzero = false;
    let mut after_point = false;
    loop {
        let c = at(i);
        if c == b'.' && !after_point {
            after_point = true;
            i += 1;
            continue;
        }
        let Some(h) = (c as char).to_digit(16) else { break };
        nonzero |= h != 0;
        if mant < (1u64 << 60) {
            mant = mant * 16 + u64::from(h);
            if after_point {
                exp2 -= 4;
            }
        } else {
            sticky |= h != 0;
            if !after_point {
                exp2 += 4;
            }
        }
        i += 1;
    }
    if at(i) == b'p' || at(i) == b'P' {
        let mut k = i + 1;
        let mut neg = false;
        if at(k) == b'+' || at(k) == b'-' {
            neg = at(k) == b'-';
            k += 1;
        }
        if at(k).is_ascii_digit() {
            let mut e: i64 = 0;
            while at(k).is_ascii_digit() {
                e = (e * 10 + i64::from(at(k) - b'0')).min(1_000_000_000);
                k += 1;
            }
            exp2 += if neg { -e } else { e };
            i = k;
        }
    }
    (round_binary(mant, exp2, sticky), nonzero, i)
}

/// Round `mant × 2^exp2` (plus a sticky fraction below `mant`'s last bit) to `f32`.
fn round_binary(mant: u64, exp2: i64, sticky: bool) -> f32 {
    if mant == 0 {
        return 0.0;
    }
    let bits = i64::from(64 - mant.leading_zeros());
    let top = bits - 1 + exp2; // exponent of the leading bit
    if top > 127 {
        return f32::INFINITY;
    }
    // Significant bits available at this magnitude (fewer for subnormals).
    let keep = if top >= -126 { 24 } else { top + 150 };
    if keep < 0 {
        return 0.0;
    }
    let shift = bits - keep;
    let (mut q, e) = if shift > 0 {
        let m = u128::from(mant);
        let q = m >> shift;
        let rem = m & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        let up = rem > half || (rem == half && (sticky || q & 1 == 1));
        (q + u128::from(up), exp2 + shift)
    } else {
        (u128::from(mant), exp2)
    };
    // q < 2^25 here; value = q × 2^e, exactly representable in f64.
    let mut e = e;
    while q >= (1u128 << 53) {
        q >>= 1;
        e += 1;
    }
    let scaled = (q as f64) * pow2_f64(e);
    scaled as f32
}

fn pow2_f64(e: i64) -> f64 {
    // e stays within about [-215, 130] for inputs that reach here.
    let e = e.clamp(-1022, 1023);
    f64::from_bits(((e + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(r: Result<impl std::fmt::Debug>) -> &'static str {
        r.expect_err("expected an error").kind.sqlstate()
    }

    fn msg(r: Result<impl std::fmt::Debug>) -> String {
        r.expect_err("expected an error").message
    }

    #[test]
    fn vector_basic() {
        assert_eq!(parse_vector("[1,2.5,3]").unwrap(), vec![1.0, 2.5, 3.0]);
        assert_eq!(parse_vector("  [ 1 , -2.5e1 ,+3. ]  ").unwrap(), vec![1.0, -25.0, 3.0]);
        assert_eq!(parse_vector("[\t.5\n]").unwrap(), vec![0.5]);
        assert_eq!(parse_vector("[0x10, 0x1.8p1, -0X.8]").unwrap(), vec![16.0, 3.0, -0.5]);
        assert_eq!(parse_vector("[1e-50]").unwrap(), vec![0.0]);
        let z = parse_vector("[-0]").unwrap();
        assert!(z[0] == 0.0 && z[0].is_sign_negative());
        assert_eq!(format_vector(&[1.0, 2.5, 3.0]), "[1,2.5,3]");
        assert_eq!(format_vector(&[-0.0, 1e6, 1e-5]), "[-0,1e+06,1e-05]");
    }

    #[test]
    fn vector_errors() {
        let e = parse_vector("1,2]").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidTextRepresentation);
        assert_eq!(e.message, "invalid input syntax for type vector: \"1,2]\"");
        assert_eq!(e.detail.as_deref(), Some("Vector contents must start with \"[\"."));

        let e = parse_vector("[1,2] x").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidTextRepresentation);
        assert_eq!(e.detail.as_deref(), Some("Junk after closing right brace."));

        for bad in ["[", "[1", "[1,", "[1,]", "[,1]", "[1 2]", "[a]", "[1;2]", "[1,2", "", "   ", "[1e]", "[0x]", "[.]", "[+]", "[1..2]"] {
            assert_eq!(kind(parse_vector(bad)), "22P02", "{bad:?}");
        }
        assert_eq!(msg(parse_vector("[1,,2]")), "invalid input syntax for type vector: \"[1,,2]\"");

        assert_eq!(kind(parse_vector("[]")), "22000");
        assert_eq!(msg(parse_vector("[ ]")), "vector must have at least 1 dimension");

        assert_eq!(msg(parse_vector("[NaN]")), "NaN not allowed in vector");
        assert_eq!(kind(parse_vector("[nan(abc)]")), "22000");
        assert_eq!(msg(parse_vector("[inf]")), "infinite value not allowed in vector");
        assert_eq!(msg(parse_vector("[-Infinity]")), "infinite value not allowed in vector");
        // strtof stops after "inf"; the element check fires before the separator check.
        assert_eq!(msg(parse_vector("[infinit]")), "infinite value not allowed in vector");

        let e = parse_vector("[1,1e50]").unwrap_err();
        assert_eq!(e.kind, ErrorKind::NumericValueOutOfRange);
        assert_eq!(e.message, "\"1e50\" is out of range for type vector");
        assert_eq!(msg(parse_vector("[ -4e38 ]")), "\"-4e38\" is out of range for type vector");
        assert_eq!(msg(parse_vector("[0x1p200]")), "\"0x1p200\" is out of range for type vector");
    }

    #[test]
    fn vector_dimension_limits() {
        let ok = format!("[{}]", vec!["1"; VECTOR_MAX_DIM].join(","));
        assert_eq!(parse_vector(&ok).unwrap().len(), VECTOR_MAX_DIM);
        let too_many = format!("[{}]", vec!["1"; VECTOR_MAX_DIM + 1].join(","));
        let e = parse_vector(&too_many).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ProgramLimitExceeded);
        assert_eq!(e.message, "vector cannot have more than 16000 dimensions");

        assert_eq!(parse_vector_typmod("[1,2,3]", 3).unwrap().len(), 3);
        let e = parse_vector_typmod("[1,2]", 3).unwrap_err();
        assert_eq!((e.kind, e.message.as_str()), (ErrorKind::DataException, "expected 3 dimensions, not 2"));
    }

    #[test]
    fn nul_terminates_input() {
        assert_eq!(parse_vector("[1]\0garbage").unwrap(), vec![1.0]);
        assert_eq!(msg(parse_vector("[1\0]")), "invalid input syntax for type vector: \"[1\"");
    }

    #[test]
    fn halfvec_basic() {
        let h = parse_halfvec("[1.1, 2, -3.5]").unwrap();
        assert_eq!(h, vec![f16::from_f32(1.1), f16::from_f32(2.0), f16::from_f32(-3.5)]);
        assert_eq!(format_halfvec(&h), "[1.0996094,2,-3.5]");
        assert_eq!(parse_halfvec("[65504]").unwrap()[0].to_f32(), 65504.0);
        assert_eq!(parse_halfvec("[65519]").unwrap()[0].to_f32(), 65504.0);
        let e = parse_halfvec("[1, 70000]").unwrap_err();
        assert_eq!(e.kind, ErrorKind::NumericValueOutOfRange);
        assert_eq!(e.message, "\"70000\" is out of range for type halfvec");
        assert_eq!(msg(parse_halfvec("[65520]")), "\"65520\" is out of range for type halfvec");
        assert_eq!(msg(parse_halfvec("[1e50]")), "\"1e50\" is out of range for type halfvec");
        assert_eq!(msg(parse_halfvec("[inf]")), "infinite value not allowed in halfvec");
        assert_eq!(msg(parse_halfvec("[nan]")), "NaN not allowed in halfvec");
        assert_eq!(msg(parse_halfvec("[]")), "halfvec must have at least 1 dimension");
        assert_eq!(msg(parse_halfvec("(1)")), "invalid input syntax for type halfvec: \"(1)\"");
        assert_eq!(parse_halfvec("[1e-10]").unwrap()[0].to_f32(), 0.0);
        let too_many = format!("[{}]", vec!["1"; HALFVEC_MAX_DIM + 1].join(","));
        assert_eq!(msg(parse_halfvec(&too_many)), "halfvec cannot have more than 16000 dimensions");
    }

    #[test]
    fn sparsevec_basic() {
        let s = parse_sparsevec("{1:1.5,3:2}/5").unwrap();
        assert_eq!(s, SparseVec { dim: 5, indices: vec![0, 2], values: vec![1.5, 2.0] });
        assert_eq!(format_sparsevec(&s), "{1:1.5,3:2}/5");
        let s = parse_sparsevec(" { 3 : 2 , 1 : 1.5 } / 5 ").unwrap();
        assert_eq!(s.indices, vec![0, 2]);
        assert_eq!(s.values, vec![1.5, 2.0]);
        let s = parse_sparsevec("{}/5").unwrap();
        assert_eq!(s, SparseVec { dim: 5, indices: vec![], values: vec![] });
        assert_eq!(format_sparsevec(&s), "{}/5");
        // Zero values are dropped without validating their index; duplicates among them
        // do not matter either.
        let s = parse_sparsevec("{1:0,2:-0,2:0,-7:0,99:0.0,3:1}/3").unwrap();
        assert_eq!(s, SparseVec { dim: 3, indices: vec![2], values: vec![1.0] });
        assert_eq!(parse_sparsevec("{+1:1}/+2").unwrap().indices, vec![0]);
        assert_eq!(parse_sparsevec("{1:1}/1000000000").unwrap().dim, 1_000_000_000);
    }

    #[test]
    fn sparsevec_errors() {
        let e = parse_sparsevec("[1:1]/3").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidTextRepresentation);
        assert_eq!(e.detail.as_deref(), Some("Vector contents must start with \"{\"."));
        let e = parse_sparsevec("{1:1}").unwrap_err();
        assert_eq!(e.detail.as_deref(), Some("Unexpected end of input."));
        let e = parse_sparsevec("{1:1}/3 x").unwrap_err();
        assert_eq!(e.detail.as_deref(), Some("Junk after closing."));
        for bad in ["{1:1}/", "{1:1}/x", "{1}/3", "{1:}/3", "{:1}/3", "{1:1,}/3", "{1:1 2:2}/3", "{1.5:1}/3", "{1:1}/3.0", "{"] {
            assert_eq!(kind(parse_sparsevec(bad)), "22P02", "{bad:?}");
        }

        assert_eq!(msg(parse_sparsevec("{1:1,1:2}/3")), "sparsevec indices must not contain duplicates");
        assert_eq!(msg(parse_sparsevec("{0:1}/3")), "sparsevec index out of bounds");
        assert_eq!(msg(parse_sparsevec("{4:1}/3")), "sparsevec index out of bounds");
        assert_eq!(msg(parse_sparsevec("{99999999999999999999:1}/3")), "sparsevec index out of bounds");
        assert_eq!(kind(parse_sparsevec("{4:1}/3")), "22000");

        let e = parse_sparsevec("{}/0").unwrap_err();
        assert_eq!((e.kind, e.message.as_str()), (ErrorKind::DataException, "sparsevec must have at least 1 dimension"));
        assert_eq!(kind(parse_sparsevec("{}/-3")), "22000");
        let e = parse_sparsevec("{}/1000000001").unwrap_err();
        assert_eq!(e.kind, ErrorKind::ProgramLimitExceeded);
        assert_eq!(e.message, "sparsevec cannot have more than 1000000000 dimensions");
        assert_eq!(kind(parse_sparsevec("{}/99999999999999999999")), "54000");

        assert_eq!(msg(parse_sparsevec("{1:nan}/3")), "NaN not allowed in sparsevec");
        assert_eq!(msg(parse_sparsevec("{1:-inf}/3")), "infinite value not allowed in sparsevec");
        let e = parse_sparsevec("{1:1e39}/3").unwrap_err();
        assert_eq!((e.kind, e.message.as_str()), (ErrorKind::NumericValueOutOfRange, "\"1e39\" is out of range for type sparsevec"));
        // Unlike vector, an underflow to zero is out of range for sparsevec...
        assert_eq!(msg(parse_sparsevec("{1:1e-50}/3")), "\"1e-50\" is out of range for type sparsevec");
        // ...but a subnormal result and an exact zero are fine.
        assert_eq!(parse_sparsevec("{1:1e-45}/3").unwrap().values, vec![f32::from_bits(1)]);
        assert!(parse_sparsevec("{1:0e-999}/3").unwrap().values.is_empty());

        let many = format!("{{{}}}/20000", (1..=16001).map(|i| format!("{i}:1")).collect::<Vec<_>>().join(","));
        let e = parse_sparsevec(&many).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ProgramLimitExceeded);
        assert_eq!(e.message, "sparsevec cannot have more than 16000 non-zero elements");
        let max = format!("{{{}}}/20000", (1..=16000).map(|i| format!("{i}:1")).collect::<Vec<_>>().join(","));
        assert_eq!(parse_sparsevec(&max).unwrap().indices.len(), 16000);
        // The bound counts every comma in the input, even in junk.
        let junk = format!("{{}}/3{}", ",".repeat(16000));
        assert_eq!(kind(parse_sparsevec(&junk)), "54000");

        assert_eq!(msg(parse_sparsevec_typmod("{1:1}/3", 4)), "expected 4 dimensions, not 3");
        // The type modifier is checked before the indices.
        assert_eq!(msg(parse_sparsevec_typmod("{9:1}/3", 4)), "expected 4 dimensions, not 3");
    }

    #[test]
    fn checks() {
        assert!(check_dim("vector", 1, 16000).is_ok());
        assert_eq!(msg(check_dim("vector", 0, 16000).map(|_| ())), "vector must have at least 1 dimension");
        let e = check_dim("halfvec", 16001, 16000).unwrap_err();
        assert_eq!((e.kind, e.message.as_str()), (ErrorKind::ProgramLimitExceeded, "halfvec cannot have more than 16000 dimensions"));
        assert!(check_expected_dim(-1, 5).is_ok());
        assert!(check_expected_dim(5, 5).is_ok());
        assert_eq!(msg(check_expected_dim(3, 2)), "expected 3 dimensions, not 2");
        assert_eq!(msg(check_same_dim(3, 2)), "different vector dimensions 3 and 2");
        assert_eq!(kind(check_same_dim(3, 2)), "22000");
        assert_eq!(msg(check_same_dim_for("sparsevec", 3, 2)), "different sparsevec dimensions 3 and 2");
        assert_eq!(msg(check_nnz(-1, 3)), "sparsevec cannot have negative number of elements");
        assert_eq!(kind(check_nnz(16001, 20000)), "54000");
        assert_eq!(msg(check_nnz(4, 3)), "sparsevec cannot have more elements than dimensions");

        assert_eq!(parse_typmod("vector", &[3], VECTOR_MAX_DIM).unwrap(), 3);
        let e = parse_typmod("vector", &[3, 4], VECTOR_MAX_DIM).unwrap_err();
        assert_eq!((e.kind, e.message.as_str()), (ErrorKind::InvalidParameterValue, "invalid type modifier"));
        assert_eq!(msg(parse_typmod("vector", &[], VECTOR_MAX_DIM)), "invalid type modifier");
        assert_eq!(msg(parse_typmod("vector", &[0], VECTOR_MAX_DIM)), "dimensions for type vector must be at least 1");
        assert_eq!(msg(parse_typmod("halfvec", &[16001], HALFVEC_MAX_DIM)), "dimensions for type halfvec cannot exceed 16000");
        assert_eq!(kind(parse_typmod("sparsevec", &[1_000_000_001], SPARSEVEC_MAX_DIM)), "22023");
        assert_eq!(parse_typmod("sparsevec", &[1_000_000_000], SPARSEVEC_MAX_DIM).unwrap(), 1_000_000_000);
    }

    #[test]
    fn strtof_syntax() {
        let v = |s: &str| parse_vector(&format!("[{s}]")).map(|v| v[0]);
        assert_eq!(v("1E3").unwrap(), 1000.0);
        assert_eq!(v("1e+3").unwrap(), 1000.0);
        assert_eq!(v("0x1p-149").unwrap(), f32::from_bits(1));
        assert_eq!(v("0x1p-150").unwrap(), 0.0); // tie, rounds to even (zero)
        assert_eq!(v("0x1.0000000001p-150").unwrap(), f32::from_bits(1));
        assert_eq!(v("0x1.fffffep127").unwrap(), f32::MAX);
        assert!(v("0x1.ffffffp127").is_err()); // rounds up to 2^128: out of range
        assert_eq!(v("0x1.000001p0").unwrap(), 1.0); // tie to even
        assert_eq!(v("0x1.000003p0").unwrap(), 1.0000002); // tie to even (up)
        assert_eq!(v("0x1.0000010000000000000001p0").unwrap(), 1.0000001); // sticky
        assert_eq!(v("0xABCDEFp0").unwrap(), 11259375.0);
        assert_eq!(v("0x.1").unwrap(), 0.0625);
        assert_eq!(v("0x8p-3").unwrap(), 1.0);
        assert_eq!(v("3.4028235e38").unwrap(), f32::MAX);
        assert!(v("3.4028236e38").is_err());
        assert_eq!(v("000000000000000000000000000001.5").unwrap(), 1.5);
        assert_eq!(v(&format!("0.{}1e20", "0".repeat(400))).unwrap(), 0.0);
        assert_eq!(v(&format!("{}e-400", "1".repeat(410))).unwrap(), "1.111111111111e9".parse::<f32>().unwrap());
        // The error message quotes exactly what strtof consumed.
        assert_eq!(msg(v("+1e999")), "\"+1e999\" is out of range for type vector");
    }
}
