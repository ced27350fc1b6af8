//! Filter expressions on a collection: its schema as the filter compiler sees it, and the
//! compiled parameters as text (every parameter is bound as `text` and cast in the SQL).

use super::schema::{CollectionDef, DYNAMIC_COLUMN};
use super::types::DataType;
use crate::error::Result;
use crate::filter::{self, FieldKind, Param};

fn kind(t: DataType) -> FieldKind {
    match t {
        DataType::Bool => FieldKind::Bool,
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => FieldKind::Int,
        DataType::Float | DataType::Double => FieldKind::Float,
        DataType::Varchar => FieldKind::String,
        DataType::Json => FieldKind::Json,
        DataType::Array => FieldKind::Array(Box::new(FieldKind::Int)),
        _ => FieldKind::Vector,
    }
}

impl filter::Schema for CollectionDef {
    fn field(&self, name: &str) -> Option<(FieldKind, String)> {
        let f = CollectionDef::field(self, name)?;
        let k = match (f.data_type, f.element_type) {
            (DataType::Array, Some(e)) => FieldKind::Array(Box::new(kind(e))),
            (t, _) => kind(t),
        };
        Some((k, f.name.clone()))
    }

    fn dynamic_column(&self) -> Option<String> {
        self.enable_dynamic_field.then(|| DYNAMIC_COLUMN.to_string())
    }

    /// Filters are compiled into statements that read the table as `t` (see [`super::dml`]).
    fn relation_alias(&self) -> Option<&str> {
        Some(super::dml::ROW)
    }
}

/// A PostgreSQL array literal (`{"a","b"}`) of `items`.
fn array_literal<T>(items: &[T], show: impl Fn(&T) -> String) -> String {
    format!("{{{}}}", items.iter().map(show).collect::<Vec<_>>().join(","))
}

fn quoted_element(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A `text[]` literal (`{"a","b"}`) of `items`, every element quoted.
pub fn text_array_literal(items: &[String]) -> String {
    array_literal(items, |s| quoted_element(s))
}

/// A parameter's text form, parsed by the cast the compiled SQL puts on its placeholder.
pub fn param_text(p: &Param) -> String {
    match p {
        Param::Bool(b) => b.to_string(),
        Param::Int(i) => i.to_string(),
        Param::Float(x) => format!("{x:?}"),
        Param::Text(s) | Param::Json(s) => s.clone(),
        Param::IntArray(a) => array_literal(a, |i| i.to_string()),
        Param::FloatArray(a) => array_literal(a, |x| format!("{x:?}")),
        Param::TextArray(a) => text_array_literal(a),
        Param::BoolArray(a) => array_literal(a, |b| b.to_string()),
    }
}

/// A filter compiled for a collection.
pub struct FilterSql {
    pub sql: String,
    /// The parameters, as text.
    pub params: Vec<String>,
    /// NOTICEs for names read from the dynamic field that resemble a field (misspellings).
    pub notices: Vec<String>,
}

/// Compiles `expr` for `def` with placeholders from `$first`.
pub fn compile_filter(def: &CollectionDef, expr: &str, first: usize) -> Result<FilterSql> {
    let c = filter::compile(expr, def, first)?;
    let notices = c.dynamic_keys.iter().filter_map(|k| super::names::dynamic_name_notice(def, k, "filter field")).collect();
    Ok(FilterSql { sql: c.sql, params: c.params.iter().map(param_text).collect(), notices })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_as_text() {
        assert_eq!(param_text(&Param::Float(1.5)), "1.5");
        assert_eq!(param_text(&Param::Float(1e300)), "1e300");
        assert_eq!(param_text(&Param::IntArray(vec![1, -2])), "{1,-2}");
        assert_eq!(param_text(&Param::TextArray(vec!["a\"b".into(), "c\\d".into(), "".into()])), "{\"a\\\"b\",\"c\\\\d\",\"\"}");
        assert_eq!(param_text(&Param::BoolArray(vec![true, false])), "{true,false}");
    }
}
