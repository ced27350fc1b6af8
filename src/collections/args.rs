//! Arguments of the collection functions: the ones that may not be NULL raise
//! null_value_not_allowed (22004) naming the parameter, instead of pgrx's internal error.

use pgrx::PgSqlErrorCode;

use crate::error::raise_code;

/// `value`, or an ERROR 22004 `<param> must not be null`.
pub fn required<T>(param: &str, value: Option<T>) -> T {
    value.unwrap_or_else(|| raise_code(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, format!("{param} must not be null")))
}
