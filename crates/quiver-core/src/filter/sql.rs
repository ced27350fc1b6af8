//! The compiler's output: SQL text with typed `$n` placeholders, and the values to bind.

use super::error::{FilterError, FilterResult};

/// A value to bind to one placeholder. Each variant is always written with the same cast
/// at its placeholder, given by [`Param::sql_type`] (`$4::bigint`, `$5::text[]`, ...), so
/// PostgreSQL never has to infer a parameter type.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    /// JSON text, bound as `jsonb`.
    Json(String),
    IntArray(Vec<i64>),
    FloatArray(Vec<f64>),
    /// Also used for JSON paths (`#> $n::text[]`) and for lists of JSON values
    /// (`$n::text[]::jsonb[]`).
    TextArray(Vec<String>),
    BoolArray(Vec<bool>),
}

impl Param {
    /// The PostgreSQL type this parameter is cast to at its placeholder (and should be
    /// bound as).
    pub fn sql_type(&self) -> &'static str {
        match self {
            Param::Bool(_) => "boolean",
            Param::Int(_) => "bigint",
            Param::Float(_) => "double precision",
            Param::Text(_) => "pg_catalog.text",
            Param::Json(_) => "pg_catalog.jsonb",
            Param::IntArray(_) => "bigint[]",
            Param::FloatArray(_) => "double precision[]",
            Param::TextArray(_) => "pg_catalog.text[]",
            Param::BoolArray(_) => "boolean[]",
        }
    }
}

/// A compiled filter: a boolean SQL expression and the parameters its placeholders
/// `$first_param ..` refer to, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub sql: String,
    pub params: Vec<Param>,
    /// Names not in the schema that were read from the dynamic field, in order of appearance.
    pub dynamic_keys: Vec<String>,
}

/// A built-in operator, named through pg_catalog so no search_path can substitute another
/// one: `op("=")` is `OPERATOR(pg_catalog.=)`.
pub fn op(sym: &str) -> String {
    format!("OPERATOR(pg_catalog.{sym})")
}

/// A built-in function or type, named through pg_catalog: `func("power")` is
/// `pg_catalog.power`.
pub fn func(name: &str) -> String {
    format!("pg_catalog.{name}")
}

/// `"name"`, always quoted, with embedded double quotes doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Highest placeholder number PostgreSQL accepts.
pub const MAX_PLACEHOLDER: usize = 65535;

/// Collects parameters and hands out their placeholders.
#[derive(Debug)]
pub struct Params {
    first: usize,
    pub list: Vec<Param>,
}

impl Params {
    /// Placeholders will be numbered from `first` (at least 1).
    pub fn new(first: usize) -> Self {
        Params {
            first,
            list: Vec::new(),
        }
    }

    /// Adds a parameter and returns its placeholder with the cast, e.g. `$3::bigint`.
    /// `pos` locates the literal, for the too-many-parameters error.
    pub fn push(&mut self, p: Param, pos: usize) -> FilterResult<String> {
        let n = self.first.saturating_add(self.list.len());
        if n > MAX_PLACEHOLDER {
            return Err(FilterError::limit(
                pos,
                format!("filter needs too many parameters (placeholder ${n} exceeds ${MAX_PLACEHOLDER})"),
            ));
        }
        let s = format!("${n}::{}", p.sql_type());
        self.list.push(p);
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("age"), "\"age\"");
        assert_eq!(quote_ident("$meta"), "\"$meta\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident(""), "\"\"");
    }

    #[test]
    fn placeholders() {
        let mut p = Params::new(3);
        assert_eq!(p.push(Param::Int(1), 0).unwrap(), "$3::bigint");
        assert_eq!(
            p.push(Param::FloatArray(vec![]), 0).unwrap(),
            "$4::double precision[]"
        );
        assert_eq!(p.list.len(), 2);
        let mut p = Params::new(MAX_PLACEHOLDER);
        assert!(p.push(Param::Bool(true), 0).is_ok());
        let e = p.push(Param::Bool(true), 7).unwrap_err();
        assert_eq!(e.pos, 7);
        assert_eq!(e.kind, crate::filter::FilterErrorKind::Limit);
    }
}
