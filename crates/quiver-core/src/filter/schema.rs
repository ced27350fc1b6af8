//! What the compiler needs to know about a collection: its fields' kinds and columns.

use std::fmt;

/// The kind of a schema field, as far as filtering is concerned.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldKind {
    /// `boolean` column.
    Bool,
    /// Any integer column (`smallint`, `integer`, `bigint`).
    Int,
    /// `real` or `double precision` column.
    Float,
    /// `text` / `varchar` column.
    String,
    /// `jsonb` column.
    Json,
    /// PostgreSQL array column; the box holds the element kind (a scalar kind).
    Array(Box<FieldKind>),
    /// Vector column: never usable in a filter.
    Vector,
}

impl fmt::Display for FieldKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldKind::Bool => f.write_str("boolean"),
            FieldKind::Int => f.write_str("integer"),
            FieldKind::Float => f.write_str("float"),
            FieldKind::String => f.write_str("string"),
            FieldKind::Json => f.write_str("JSON"),
            FieldKind::Array(e) => write!(f, "array of {e}"),
            FieldKind::Vector => f.write_str("vector"),
        }
    }
}

/// The collection schema a filter is compiled against.
pub trait Schema {
    /// The kind of a schema field and the SQL column it maps to (usually the field name),
    /// or None if unknown.
    fn field(&self, name: &str) -> Option<(FieldKind, String)>;
    /// The jsonb column holding keys not in the schema (Milvus "dynamic field"), if enabled.
    fn dynamic_column(&self) -> Option<String>;
    /// The alias of the relation the columns belong to: with `Some("t")` every column
    /// reference is written `t."column"`, so no other relation's column of the same name
    /// (in an enclosing query) can capture it. `None` writes bare `"column"`.
    fn relation_alias(&self) -> Option<&str> {
        None
    }
}

/// A [`Schema`] held in memory: a list of `(field name, kind, column)` and an optional
/// dynamic column. Handy for tests and for callers that already have the field list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StaticSchema {
    pub fields: Vec<(String, FieldKind, String)>,
    pub dynamic: Option<String>,
    pub alias: Option<String>,
}

impl StaticSchema {
    /// Adds a field whose column has the field's own name.
    pub fn with(mut self, name: &str, kind: FieldKind) -> Self {
        self.fields.push((name.to_string(), kind, name.to_string()));
        self
    }

    /// Enables the dynamic field, stored in `column`.
    pub fn with_dynamic(mut self, column: &str) -> Self {
        self.dynamic = Some(column.to_string());
        self
    }

    /// Qualifies every column with the relation alias `alias`.
    pub fn with_alias(mut self, alias: &str) -> Self {
        self.alias = Some(alias.to_string());
        self
    }
}

impl Schema for StaticSchema {
    fn field(&self, name: &str) -> Option<(FieldKind, String)> {
        self.fields
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, k, c)| (k.clone(), c.clone()))
    }

    fn dynamic_column(&self) -> Option<String> {
        self.dynamic.clone()
    }

    fn relation_alias(&self) -> Option<&str> {
        self.alias.as_deref()
    }
}
