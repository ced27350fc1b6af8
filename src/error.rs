//! Turning quiver-core errors into PostgreSQL `ERROR`s with the right SQLSTATE.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::{PgLogLevel, PgSqlErrorCode};
use quiver_core::{Error, ErrorKind};

fn sqlstate(kind: ErrorKind) -> PgSqlErrorCode {
    match kind {
        ErrorKind::InvalidTextRepresentation => PgSqlErrorCode::ERRCODE_INVALID_TEXT_REPRESENTATION,
        ErrorKind::InvalidBinaryRepresentation => {
            PgSqlErrorCode::ERRCODE_INVALID_BINARY_REPRESENTATION
        }
        ErrorKind::InvalidParameterValue => PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
        ErrorKind::DataException => PgSqlErrorCode::ERRCODE_DATA_EXCEPTION,
        ErrorKind::NumericValueOutOfRange => PgSqlErrorCode::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
        ErrorKind::NullValueNotAllowed => PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
        ErrorKind::CharacterNotInRepertoire => PgSqlErrorCode::ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
        ErrorKind::ProgramLimitExceeded => PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
        ErrorKind::UndefinedObject => PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT,
        ErrorKind::UndefinedColumn => PgSqlErrorCode::ERRCODE_UNDEFINED_COLUMN,
        ErrorKind::DuplicateObject => PgSqlErrorCode::ERRCODE_DUPLICATE_OBJECT,
        ErrorKind::UniqueViolation => PgSqlErrorCode::ERRCODE_UNIQUE_VIOLATION,
        ErrorKind::NotNullViolation => PgSqlErrorCode::ERRCODE_NOT_NULL_VIOLATION,
        ErrorKind::StringDataRightTruncation => {
            PgSqlErrorCode::ERRCODE_STRING_DATA_RIGHT_TRUNCATION
        }
        ErrorKind::DatatypeMismatch => PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH,
        ErrorKind::SyntaxError => PgSqlErrorCode::ERRCODE_SYNTAX_ERROR,
        ErrorKind::FeatureNotSupported => PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
        ErrorKind::BadFileFormat => PgSqlErrorCode::ERRCODE_BAD_COPY_FILE_FORMAT,
    }
}

/// Raise `err` as a PostgreSQL ERROR. Never returns.
pub fn raise(err: Error) -> ! {
    let mut report = ErrorReport::new(sqlstate(err.kind), err.message, "quiver");
    if let Some(detail) = err.detail {
        report = report.set_detail(detail);
    }
    report.report(PgLogLevel::ERROR);
    unreachable!("ERROR-level report returned")
}

/// For a type's input function: the value, or its error reported "softly" and `None` (the
/// function then returns NULL) when the caller asked for soft errors — `pg_input_is_valid`,
/// `pg_input_error_info`, `COPY ... ON_ERROR ignore` on PostgreSQL 16 and later; otherwise the
/// error is raised.
pub fn or_soft<T>(fcinfo: pgrx::pg_sys::FunctionCallInfo, result: quiver_core::Result<T>) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(e) => match crate::compat::soft_error_context(fcinfo) {
            Some(ctx) => {
                ctx.save(sqlstate(e.kind), &e.message, e.detail.as_deref());
                None
            }
            None => raise(e),
        },
    }
}

/// Raise an ERROR with an explicit SQLSTATE and message.
pub fn raise_code(code: PgSqlErrorCode, message: impl Into<String>) -> ! {
    ErrorReport::new(code, message.into(), "quiver").report(PgLogLevel::ERROR);
    unreachable!("ERROR-level report returned")
}

/// `result.or_raise()` unwraps a core result or raises its error as a PostgreSQL ERROR.
pub trait OrRaise<T> {
    fn or_raise(self) -> T;
}

impl<T> OrRaise<T> for quiver_core::Result<T> {
    #[inline]
    fn or_raise(self) -> T {
        match self {
            Ok(v) => v,
            Err(e) => raise(e),
        }
    }
}

/// The five characters of a PostgreSQL error code (as in `SQLSTATE`).
pub fn sqlstate_text(code: PgSqlErrorCode) -> String {
    let v = code as i32;
    (0..5).map(|i| (((v >> (6 * i)) & 0x3f) as u8 + b'0') as char).collect()
}

/// The error code of five SQLSTATE characters (XX000 if malformed); the inverse of
/// [`sqlstate_text`].
pub fn code_from_sqlstate(s: &str) -> PgSqlErrorCode {
    let b = s.as_bytes();
    if b.len() != 5 {
        return PgSqlErrorCode::ERRCODE_INTERNAL_ERROR;
    }
    let v = (0..5).fold(0i32, |acc, i| acc | ((((b[i].wrapping_sub(b'0')) & 0x3f) as i32) << (6 * i)));
    PgSqlErrorCode::from(v)
}
