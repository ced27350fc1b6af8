//! The error type of the filter language: a message anchored at a character position.

use std::fmt;

/// What went wrong, which decides the wording of [`FilterError`]'s `Display` and the
/// SQLSTATE class it maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterErrorKind {
    /// The text is not a well-formed expression (lexer or parser).
    Syntax,
    /// The expression is well-formed but meaningless for the schema: unknown field,
    /// type mismatch, wrong function arguments.
    Semantic,
    /// The expression exceeds a size limit (length, nesting depth, parameter count).
    Limit,
}

/// A filter expression error.
///
/// `pos` is a 0-based offset in **characters** (not bytes) into the expression, pointing
/// at the offending token: the unexpected token, the unknown field, the operator whose
/// operands do not fit, ...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub pos: usize,
    pub message: String,
    pub kind: FilterErrorKind,
}

impl FilterError {
    /// A syntax error (malformed text).
    pub fn syntax(pos: usize, message: impl Into<String>) -> Self {
        FilterError {
            pos,
            message: message.into(),
            kind: FilterErrorKind::Syntax,
        }
    }

    /// A semantic error (unknown field, type mismatch, ...).
    pub fn semantic(pos: usize, message: impl Into<String>) -> Self {
        FilterError {
            pos,
            message: message.into(),
            kind: FilterErrorKind::Semantic,
        }
    }

    /// A size-limit error.
    pub fn limit(pos: usize, message: impl Into<String>) -> Self {
        FilterError {
            pos,
            message: message.into(),
            kind: FilterErrorKind::Limit,
        }
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            FilterErrorKind::Syntax => "filter syntax error",
            FilterErrorKind::Semantic | FilterErrorKind::Limit => "filter error",
        };
        write!(f, "{what} at position {}: {}", self.pos, self.message)
    }
}

impl std::error::Error for FilterError {}

impl From<FilterError> for crate::error::Error {
    /// Malformed text maps to 42601 syntax_error, size limits to 54000
    /// program_limit_exceeded, and meaningless expressions (unknown field, type mismatch)
    /// to 22023 invalid_parameter_value (the filter is an argument of the calling function).
    fn from(e: FilterError) -> Self {
        let kind = match e.kind {
            FilterErrorKind::Syntax => crate::error::ErrorKind::SyntaxError,
            FilterErrorKind::Limit => crate::error::ErrorKind::ProgramLimitExceeded,
            FilterErrorKind::Semantic => crate::error::ErrorKind::InvalidParameterValue,
        };
        crate::error::Error::new(kind, e.to_string())
    }
}

/// Shorthand used throughout the filter modules.
pub type FilterResult<T> = Result<T, FilterError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_wording() {
        assert_eq!(
            FilterError::syntax(14, "unexpected token \")\"").to_string(),
            "filter syntax error at position 14: unexpected token \")\""
        );
        assert_eq!(
            FilterError::semantic(0, "unknown field \"agee\"").to_string(),
            "filter error at position 0: unknown field \"agee\""
        );
        assert_eq!(
            FilterError::limit(3, "too deep").to_string(),
            "filter error at position 3: too deep"
        );
    }

    #[test]
    fn maps_to_core_error() {
        let e: crate::error::Error = FilterError::semantic(2, "x").into();
        assert_eq!(e.kind, crate::error::ErrorKind::InvalidParameterValue);
        assert_eq!(e.message, "filter error at position 2: x");
        let e: crate::error::Error = FilterError::limit(0, "long").into();
        assert_eq!(e.kind, crate::error::ErrorKind::ProgramLimitExceeded);
    }
}
