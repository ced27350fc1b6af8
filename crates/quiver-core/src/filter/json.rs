//! SQL building blocks for JSON (`jsonb`) values, and JSON text for literals.
//!
//! A JSON operand `x` is always an SQL expression of type `jsonb` that is either a quoted
//! column or fully parenthesised, and it is SQL NULL when the key is missing. The
//! extraction helpers never raise a PostgreSQL error: a value of another JSON type becomes
//! NULL instead of being cast (a `CASE` guards every cast, since PostgreSQL does not
//! promise to evaluate `AND` operands left to right).

use std::fmt::Write;

use super::ast::{Expr, ExprKind};
use super::error::{FilterError, FilterResult};
use super::sql::op;

/// `pg_catalog.jsonb_typeof(x)`.
pub fn type_of(x: &str) -> String {
    format!("pg_catalog.jsonb_typeof({x})")
}

/// `jsonb_typeof(x) = 'type'`.
pub fn type_is(x: &str, json_type: &str) -> String {
    format!("{} {} '{json_type}'", type_of(x), op("="))
}

/// `x #>> '{}'`: the text of a JSON scalar (a string without its quotes).
pub fn scalar_text(x: &str) -> String {
    format!("{x} {} '{{}}'::pg_catalog.text[]", op("#>>"))
}

/// `x` as `numeric` when it is a JSON number, else NULL.
pub fn as_numeric(x: &str) -> String {
    format!("(CASE WHEN {} THEN {x}::numeric END)", type_is(x, "number"))
}

/// `x` as `text` when it is a JSON string, else NULL.
pub fn as_text(x: &str) -> String {
    format!(
        "(CASE WHEN {} THEN {} END)",
        type_is(x, "string"),
        scalar_text(x)
    )
}

/// `x` as `boolean` when it is a JSON boolean, else NULL.
pub fn as_bool(x: &str) -> String {
    format!(
        "(CASE WHEN {} THEN {x}::boolean END)",
        type_is(x, "boolean")
    )
}

/// `s` as a JSON string literal.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A finite float as a JSON number (Rust's shortest round-trip form, e.g. `1.5`, `1e-7`).
pub fn float(v: f64) -> String {
    format!("{v:?}")
}

/// The JSON type name (`jsonb_typeof`) of a literal expression, if it is one.
pub fn literal_type(e: &Expr) -> Option<&'static str> {
    match &e.kind {
        ExprKind::Int(_) | ExprKind::Float(_) => Some("number"),
        ExprKind::Str(_) => Some("string"),
        ExprKind::Bool(_) => Some("boolean"),
        ExprKind::List(_) => Some("array"),
        _ => None,
    }
}

/// JSON text of a literal expression: a number, string, boolean or (nested) list of them.
pub fn literal(e: &Expr) -> FilterResult<String> {
    Ok(match &e.kind {
        ExprKind::Int(v) => v.to_string(),
        ExprKind::Float(v) => float(*v),
        ExprKind::Str(s) => string(s),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::List(items) => {
            let parts: Vec<String> = items.iter().map(literal).collect::<FilterResult<_>>()?;
            format!("[{}]", parts.join(","))
        }
        _ => {
            return Err(FilterError::semantic(
                e.pos,
                "expected a literal value (number, string, boolean or list)",
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::parser::parse;

    #[test]
    fn json_text() {
        assert_eq!(string("a\"b\\c\n\u{1}é"), r#""a\"b\\c\n\u0001é""#);
        assert_eq!(float(1e-7), "1e-7");
        assert_eq!(float(-0.0), "-0.0");
        assert_eq!(float(2.0), "2.0");
        let e = parse(r#"[1, -2.5, "x", true, [false, []]]"#).unwrap();
        assert_eq!(literal(&e).unwrap(), r#"[1,-2.5,"x",true,[false,[]]]"#);
        let e = parse("[1, a]").unwrap();
        assert_eq!(literal(&e).unwrap_err().pos, 4);
    }

    #[test]
    fn extraction_shapes() {
        assert_eq!(
            as_numeric("\"m\""),
            "(CASE WHEN pg_catalog.jsonb_typeof(\"m\") OPERATOR(pg_catalog.=) 'number' THEN \"m\"::numeric END)"
        );
        assert_eq!(
            as_text("\"m\""),
            "(CASE WHEN pg_catalog.jsonb_typeof(\"m\") OPERATOR(pg_catalog.=) 'string' THEN \"m\" OPERATOR(pg_catalog.#>>) '{}'::pg_catalog.text[] END)"
        );
        assert_eq!(
            as_bool("\"m\""),
            "(CASE WHEN pg_catalog.jsonb_typeof(\"m\") OPERATOR(pg_catalog.=) 'boolean' THEN \"m\"::boolean END)"
        );
    }
}
