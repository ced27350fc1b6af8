//! PostgreSQL values read into Rust by the collection functions — their arguments and the
//! results of the statements they run alike: text (checked to be UTF-8, see
//! `quiver_core::collection::input`), jsonb (walked token by token into serde_json, so
//! that numbers beyond double precision, bytes that are not UTF-8 and deep nesting raise
//! errors naming the JSON path) and text[] (one dimension, no NULLs).
//!
//! pgrx's own conversions panic on all of these (XX000); nothing here does.

use std::ffi::CStr;
use std::fmt::Display;

use pgrx::pg_sys;
use pgrx::PgSqlErrorCode;
use quiver_core::collection::input::{self, Encoding, JsonBuilder};
use quiver_core::Error;
use serde_json::Value;

use crate::error::{raise, raise_code, OrRaise};

fn encoding() -> Encoding<'static> {
    match unsafe { pg_sys::GetDatabaseEncoding() } as pg_sys::pg_enc::Type {
        pg_sys::pg_enc::PG_UTF8 => Encoding::Utf8,
        pg_sys::pg_enc::PG_SQL_ASCII => Encoding::SqlAscii,
        _ => Encoding::Other(unsafe { CStr::from_ptr(pg_sys::GetDatabaseEncodingName()) }.to_str().unwrap_or("non-UTF8")),
    }
}

/// Text in the server encoding as UTF-8; `place` names it in errors.
pub fn str_of<'a>(bytes: &'a [u8], place: &dyn Display) -> &'a str {
    input::decode(bytes, encoding(), place).or_raise()
}

/// The bytes of a non-NULL varlena datum of a text-like type, detoasted (a copy, if one is
/// needed, lives in the current memory context).
///
/// # Safety
/// `datum` must be a valid, non-NULL varlena datum.
pub unsafe fn varlena_bytes<'a>(datum: pg_sys::Datum) -> &'a [u8] {
    unsafe {
        let v = pg_sys::pg_detoast_datum_packed(datum.cast_mut_ptr());
        std::slice::from_raw_parts(pgrx::vardata_any(v) as *const u8, pgrx::varsize_any_exhdr(v))
    }
}

/// A non-NULL datum of type `typoid` as text: text, varchar and bpchar as they are, any
/// other type through its output function.
///
/// # Safety
/// `datum` must be a valid, non-NULL datum of type `typoid`.
pub unsafe fn text(datum: pg_sys::Datum, typoid: pg_sys::Oid, place: &dyn Display) -> String {
    unsafe {
        if [pg_sys::TEXTOID, pg_sys::VARCHAROID, pg_sys::BPCHAROID].contains(&typoid) {
            return str_of(varlena_bytes(datum), place).to_string();
        }
        let (mut out, mut varlena) = (pg_sys::InvalidOid, false);
        pg_sys::getTypeOutputInfo(typoid, &mut out, &mut varlena);
        let c = pg_sys::OidOutputFunctionCall(out, datum);
        let s = str_of(CStr::from_ptr(c).to_bytes(), place).to_string();
        pg_sys::pfree(c.cast());
        s
    }
}

/// The bytes of a jsonb string (key or value).
unsafe fn jsonb_string<'a>(v: &pg_sys::JsonbValue) -> &'a [u8] {
    unsafe {
        let s = v.val.string;
        if s.len <= 0 || s.val.is_null() {
            return &[];
        }
        std::slice::from_raw_parts(s.val as *const u8, s.len as usize)
    }
}

/// A non-NULL jsonb datum as JSON. `what` names it in errors (`rows`, `rows at $[0].vector[2]`).
///
/// # Safety
/// `datum` must be a valid, non-NULL jsonb datum.
pub unsafe fn jsonb(datum: pg_sys::Datum, what: &str) -> Value {
    use pg_sys::JsonbIteratorToken::*;
    unsafe {
        let jb = pg_sys::pg_detoast_datum(datum.cast_mut_ptr()) as *mut pg_sys::Jsonb;
        let mut it = pg_sys::JsonbIteratorInit(&mut (*jb).root);
        let mut v: pg_sys::JsonbValue = std::mem::zeroed();
        let mut b = JsonBuilder::new(what);
        loop {
            match pg_sys::JsonbIteratorNext(&mut it, &mut v, false) {
                WJB_DONE => break,
                // A scalar at the top is stored as a one-element "raw scalar" array; its end
                // comes when nothing is open, where `end` does nothing.
                WJB_BEGIN_ARRAY if !v.val.array.rawScalar => b.begin_array().or_raise(),
                WJB_BEGIN_ARRAY => {}
                WJB_BEGIN_OBJECT => b.begin_object().or_raise(),
                WJB_END_ARRAY | WJB_END_OBJECT => b.end(),
                WJB_KEY => {
                    let key = str_of(jsonb_string(&v), &b.place()).to_string();
                    b.key(key);
                }
                WJB_VALUE | WJB_ELEM => match v.type_ {
                    pg_sys::jbvType::jbvNull => b.scalar(Value::Null),
                    pg_sys::jbvType::jbvBool => b.scalar(Value::Bool(v.val.boolean)),
                    pg_sys::jbvType::jbvString => {
                        let s = str_of(jsonb_string(&v), &b.place()).to_string();
                        b.scalar(Value::String(s));
                    }
                    pg_sys::jbvType::jbvNumeric => {
                        let c = pgrx::direct_function_call_as_datum(pg_sys::numeric_out, &[Some(pg_sys::Datum::from(v.val.numeric))])
                            .map_or(std::ptr::null_mut(), |d| d.cast_mut_ptr::<std::ffi::c_char>());
                        if c.is_null() {
                            raise(Error::data(format!("number in {} has no text form", b.place())));
                        }
                        let r = b.number(CStr::from_ptr(c).to_str().unwrap_or("?"));
                        pg_sys::pfree(c.cast());
                        r.or_raise();
                    }
                    t => raise(Error::data(format!("unexpected jsonb value of kind {t} in {}", b.place()))),
                },
                t => raise(Error::data(format!("unexpected jsonb token {t} in {what}"))),
            }
        }
        b.finish()
    }
}

/// A non-NULL text[] datum as strings; `param` names it in errors. The array must have at
/// most one dimension and no NULL elements.
///
/// # Safety
/// `datum` must be a valid, non-NULL array datum of a text-like element type.
pub unsafe fn text_array(datum: pg_sys::Datum, param: &str) -> Vec<String> {
    unsafe {
        let arr = pg_sys::pg_detoast_datum(datum.cast_mut_ptr()) as *mut pg_sys::ArrayType;
        // 2202E, array_subscript_error (pgrx names it ERRCODE_ARRAY_ELEMENT_ERROR).
        if (*arr).ndim > 1 {
            raise_code(PgSqlErrorCode::ERRCODE_ARRAY_ELEMENT_ERROR, format!("{param} must be a one-dimensional array"));
        }
        let elemtype = (*arr).elemtype;
        let (mut len, mut byval, mut align) = (0i16, false, 0 as std::ffi::c_char);
        pg_sys::get_typlenbyvalalign(elemtype, &mut len, &mut byval, &mut align);
        let (mut elems, mut nulls, mut n) = (std::ptr::null_mut(), std::ptr::null_mut(), 0);
        pg_sys::deconstruct_array(arr, elemtype, len.into(), byval, align, &mut elems, &mut nulls, &mut n);
        let n = n.max(0) as usize;
        if n == 0 {
            return Vec::new();
        }
        let (elems, nulls) = (std::slice::from_raw_parts(elems, n), std::slice::from_raw_parts(nulls, n));
        if nulls.contains(&true) {
            raise_code(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, format!("{param} must not contain nulls"));
        }
        elems.iter().enumerate().map(|(i, &d)| text(d, elemtype, &format_args!("element {} of {param}", i + 1))).collect()
    }
}
