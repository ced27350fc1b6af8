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
    /// 22003 numeric_value_out_of_range: a value that does not fit the element type.
    NumericValueOutOfRange,
    /// 54000 program_limit_exceeded: too many dimensions / non-zero elements.
    ProgramLimitExceeded,
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
            ErrorKind::ProgramLimitExceeded => "54000",
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
