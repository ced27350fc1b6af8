//! Arguments of the collection functions. Text, jsonb and text[] arguments arrive as
//! [`Text`], [`Jsonb`] and [`TextArray`]: PostgreSQL's value, not yet converted. A function
//! converts each with [`required`], [`optional`] or [`ArgValue::read`], giving the
//! parameter's name, so every problem with a value — SQL NULL where one is needed (22004),
//! bytes that are not UTF-8 in a SQL_ASCII database (22021), a number beyond double
//! precision in JSON (22003), a NULL element in an array (22004) — raises an ERROR naming
//! the parameter instead of pgrx's internal error. The conversions are in [`super::pgvalue`].

use std::marker::PhantomData;

use pgrx::callconv::{Arg, ArgAbi};
use pgrx::datum::FromDatum;
use pgrx::nullable::Nullable;
use pgrx::{pg_sys, AnyElement, PgSqlErrorCode};
use serde_json::Value;

use super::pgvalue;
use crate::error::{raise_code, OrRaise};

/// A `text` argument.
pub struct Text<'fcx> {
    bytes: &'fcx [u8],
}

/// A `jsonb` argument.
pub struct Jsonb<'fcx> {
    datum: pg_sys::Datum,
    _call: PhantomData<&'fcx ()>,
}

/// A `text[]` argument.
pub struct TextArray<'fcx> {
    datum: pg_sys::Datum,
    _call: PhantomData<&'fcx ()>,
}

/// An argument's value in Rust; `param` names the parameter in errors.
pub trait ArgValue {
    type Out;
    fn read(self, param: &str) -> Self::Out;
}

impl<'fcx> ArgValue for Text<'fcx> {
    type Out = &'fcx str;
    fn read(self, param: &str) -> &'fcx str {
        pgvalue::str_of(self.bytes, &param)
    }
}

impl ArgValue for Jsonb<'_> {
    type Out = Value;
    fn read(self, param: &str) -> Value {
        unsafe { pgvalue::jsonb(self.datum, param) }
    }
}

impl ArgValue for TextArray<'_> {
    type Out = Vec<String>;
    fn read(self, param: &str) -> Vec<String> {
        unsafe { pgvalue::text_array(self.datum, param) }
    }
}

/// Arguments pgrx converts without trouble.
macro_rules! as_is {
    ($($t:ty),*) => {
        $(impl ArgValue for $t {
            type Out = $t;
            fn read(self, _param: &str) -> $t {
                self
            }
        })*
    };
}
as_is!(bool, i32, i64, AnyElement);

/// The value of an argument that may not be NULL: for SQL NULL an ERROR 22004
/// `<param> must not be null`.
pub fn required<A: ArgValue>(param: &str, value: Option<A>) -> A::Out {
    match value {
        Some(v) => v.read(param),
        None => raise_code(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, format!("{param} must not be null")),
    }
}

/// The value of an argument that may be NULL (None).
pub fn optional<A: ArgValue>(param: &str, value: Option<A>) -> Option<A::Out> {
    value.map(|v| v.read(param))
}

/// Checks Milvus's `consistency_level` argument (NULL or a level's name; every level is served
/// by PostgreSQL's reads, which are Strong).
pub fn consistency_level(value: Option<Text>) {
    if let Some(level) = optional("consistency_level", value) {
        quiver_core::collection::consistency::parse(level).or_raise();
    }
}

impl<'fcx> FromDatum for Text<'fcx> {
    unsafe fn from_polymorphic_datum(datum: pg_sys::Datum, is_null: bool, _typoid: pg_sys::Oid) -> Option<Self> {
        (!is_null && !datum.is_null()).then(|| Text { bytes: unsafe { pgvalue::varlena_bytes(datum) } })
    }
}

impl FromDatum for Jsonb<'_> {
    unsafe fn from_polymorphic_datum(datum: pg_sys::Datum, is_null: bool, _typoid: pg_sys::Oid) -> Option<Self> {
        (!is_null && !datum.is_null()).then_some(Jsonb { datum, _call: PhantomData })
    }
}

impl FromDatum for TextArray<'_> {
    unsafe fn from_polymorphic_datum(datum: pg_sys::Datum, is_null: bool, _typoid: pg_sys::Oid) -> Option<Self> {
        (!is_null && !datum.is_null()).then_some(TextArray { datum, _call: PhantomData })
    }
}

/// pgrx's argument glue for the types above: taken as they come, converted later.
macro_rules! arg_glue {
    ($t:ident, $sql:literal) => {
        unsafe impl<'fcx> ArgAbi<'fcx> for $t<'fcx> {
            unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
                let index = arg.index();
                // Only STRICT functions take non-Option arguments: never NULL here.
                unsafe { arg.unbox_arg_using_from_datum().unwrap_or_else(|| panic!("argument {index} must not be null")) }
            }
            unsafe fn unbox_nullable_arg(arg: Arg<'_, 'fcx>) -> Nullable<Self> {
                unsafe { arg.unbox_arg_using_from_datum().into() }
            }
        }
        pgrx::impl_sql_translatable!($t<'_>, arg_only = $sql);
    };
}
arg_glue!(Text, "text");
arg_glue!(Jsonb, "jsonb");
arg_glue!(TextArray, "text[]");

/// `filter` with its template placeholders (`{name}`) replaced by the values in `filter_params`
/// (Milvus's filter templates); unchanged without `filter_params`.
pub fn templated_filter(filter: Option<&str>, filter_params: Option<&Value>) -> Option<String> {
    let f = filter?;
    match filter_params {
        None | Some(Value::Null) => Some(f.to_string()),
        Some(Value::Object(m)) => match quiver_core::filter::template::expand(f, m) {
            Ok(expanded) => Some(expanded),
            Err(e) => crate::error::raise(e.into()),
        },
        Some(_) => crate::error::raise(quiver_core::Error::param("filter_params must be a JSON object")),
    }
}
