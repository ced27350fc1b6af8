//! Names and SQL quoting for collection objects. Every identifier that reaches SQL goes
//! through [`quote_ident`]; every value goes through a parameter or [`quote_literal`].

use crate::error::{Error, ErrorKind, Result};

/// Longest collection, field, partition or alias name (PostgreSQL's identifier limit).
pub const MAX_NAME: usize = 63;

/// Milvus's naming rule: a letter or `_`, then letters, digits or `_`, at most [`MAX_NAME`]
/// bytes. `what` names the kind of object in the error ("collection", "field", ...).
pub fn validate_name(what: &str, name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok_first = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !ok_first || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::new(
            ErrorKind::InvalidParameterValue,
            format!("invalid {what} name {}: use a letter or underscore followed by letters, digits or underscores", quote_literal(name)),
        ));
    }
    if name.len() > MAX_NAME {
        return Err(Error::new(
            ErrorKind::InvalidParameterValue,
            format!("{what} name \"{name}\" is longer than {MAX_NAME} characters"),
        ));
    }
    Ok(())
}

/// `"name"` with embedded double quotes doubled (always quoted, so case and keywords are kept).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `'text'` with embedded single quotes doubled; standard_conforming_strings is assumed
/// (PostgreSQL's default since 9.1), and backslashes are written with the `E''` form.
pub fn quote_literal(s: &str) -> String {
    if s.contains('\\') {
        format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// `"schema"."name"`.
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

/// A built-in function, type or relation named through `pg_catalog` (`pg("count")` →
/// `pg_catalog.count`), so the caller's search_path cannot substitute another object.
pub fn pg(name: &str) -> String {
    format!("pg_catalog.{name}")
}

/// A built-in operator named through `pg_catalog` (`pg_op("=")` → `OPERATOR(pg_catalog.=)`).
pub fn pg_op(op: &str) -> String {
    format!("OPERATOR(pg_catalog.{op})")
}

/// The schema holding quiver's own types, operators and operator classes: the one the
/// extension was created in (looked up at run time, never assumed). Generated SQL names
/// them through it: `"public".vector(3)`, `OPERATOR("public".<->)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ext(pub String);

impl Ext {
    pub fn new(schema: &str) -> Ext {
        Ext(schema.to_string())
    }

    /// A type, operator class or function of quiver: `"schema".name`.
    pub fn name(&self, name: &str) -> String {
        format!("{}.{name}", quote_ident(&self.0))
    }

    /// An operator of quiver: `OPERATOR("schema".op)`.
    pub fn op(&self, op: &str) -> String {
        format!("OPERATOR({}.{op})", quote_ident(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["docs", "_x", "A1_b", &"a".repeat(63)] {
            assert!(validate_name("collection", ok).is_ok(), "{ok}");
        }
        for bad in ["", "1a", "a-b", "a b", "docs\"; drop table x; --", "é", &"a".repeat(64)] {
            let e = validate_name("collection", bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidParameterValue, "{bad}");
        }
        assert!(validate_name("field", "x'y").unwrap_err().message.contains("'x''y'"));
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\'b"), "E'a\\\\''b'");
        assert_eq!(qualified("public", "docs"), "\"public\".\"docs\"");
        assert_eq!(pg("count"), "pg_catalog.count");
        assert_eq!(pg_op("="), "OPERATOR(pg_catalog.=)");
        let ext = Ext::new("my \"ext\"");
        assert_eq!(ext.name("vector"), "\"my \"\"ext\"\"\".vector");
        assert_eq!(ext.op("<->"), "OPERATOR(\"my \"\"ext\"\"\".<->)");
    }
}
