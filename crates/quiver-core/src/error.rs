//! Errors raised by core code. Each carries the SQLSTATE class PostgreSQL should report.

use std::fmt;

/// The SQLSTATE a core error maps to when it reaches PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 22P02 invalid_text_representation: malformed text input.
    InvalidTextRepresentation,
    /// 22P03 invalid_binary_representation: malformed binary (recv) input.
    InvalidBinaryRepresentation,
    /// 22023 invalid_parameter_value: e.g. a vector with zero dimensions, bad typmod.
    InvalidParameterValue,
    /// 22000 data_exception: dimension mismatch, NaN / infinity, bad sparse indices.
    DataException,
    /// 22004 null_value_not_allowed: e.g. an array with NULL elements cast to a vector.
    NullValueNotAllowed,
    /// 22021 character_not_in_repertoire: text that is not valid UTF-8 (SQL_ASCII databases).
    CharacterNotInRepertoire,
    /// 22003 numeric_value_out_of_range: a value that does not fit the element type.
    NumericValueOutOfRange,
    /// 54000 program_limit_exceeded: too many dimensions / non-zero elements.
    ProgramLimitExceeded,
    /// 42704 undefined_object: e.g. an unknown collection, partition or field.
    UndefinedObject,
    /// 42703 undefined_column: e.g. a row with a field the schema does not have.
    UndefinedColumn,
    /// 42710 duplicate_object: e.g. a collection or alias that already exists.
    DuplicateObject,
    /// 23505 unique_violation: a duplicate primary key on insert.
    UniqueViolation,
    /// 23502 not_null_violation: a required field is missing.
    NotNullViolation,
    /// 22001 string_data_right_truncation: a varchar longer than its max_length.
    StringDataRightTruncation,
    /// 42804 datatype_mismatch: a value of the wrong type for its field.
    DatatypeMismatch,
    /// 42601 syntax_error: e.g. a malformed filter expression.
    SyntaxError,
    /// 0A000 feature_not_supported: e.g. an index type that does not exist yet.
    FeatureNotSupported,
    /// 22P04 bad_copy_file_format: a file for import that is malformed or truncated.
    BadFileFormat,
}

impl ErrorKind {
    /// The five-character SQLSTATE code.
    pub fn sqlstate(self) -> &'static str {
        match self {
            ErrorKind::InvalidTextRepresentation => "22P02",
            ErrorKind::InvalidBinaryRepresentation => "22P03",
            ErrorKind::InvalidParameterValue => "22023",
            ErrorKind::DataException => "22000",
            ErrorKind::NumericValueOutOfRange => "22003",
            ErrorKind::NullValueNotAllowed => "22004",
            ErrorKind::CharacterNotInRepertoire => "22021",
            ErrorKind::ProgramLimitExceeded => "54000",
            ErrorKind::UndefinedObject => "42704",
            ErrorKind::UndefinedColumn => "42703",
            ErrorKind::DuplicateObject => "42710",
            ErrorKind::UniqueViolation => "23505",
            ErrorKind::NotNullViolation => "23502",
            ErrorKind::StringDataRightTruncation => "22001",
            ErrorKind::DatatypeMismatch => "42804",
            ErrorKind::SyntaxError => "42601",
            ErrorKind::FeatureNotSupported => "0A000",
            ErrorKind::BadFileFormat => "22P04",
        }
    }
}

/// An error with its SQLSTATE class, a primary message and an optional detail line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub detail: Option<String>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), detail: None }
    }
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
    pub fn data(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::DataException, message)
    }
    pub fn param(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidParameterValue, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(d) = &self.detail {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
