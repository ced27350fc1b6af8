//! Milvus boolean filter expressions compiled to parameterised PostgreSQL.
//!
//! ```text
//! age >= 18 and name in ["Paris", "Rome"] and not (meta["tier"] == "gold")
//! ```
//! becomes a WHERE-clause fragment (here for a schema whose relation alias is `t`)
//! ```text
//! ((t."age" OPERATOR(pg_catalog.>=) $1::bigint)
//!   AND (t."name" OPERATOR(pg_catalog.=) ANY($2::pg_catalog.text[]))
//!   AND (NOT COALESCE(((t."meta" OPERATOR(pg_catalog.#>) $3::pg_catalog.text[])
//!                      OPERATOR(pg_catalog.=) $4::pg_catalog.jsonb), false)))
//! ```
//! with parameters `[Int(18), TextArray(["Paris", "Rome"]), TextArray(["tier"]), Json("\"gold\"")]`.
//!
//! Pipeline: [`lexer`] → [`parser`] ([`ast::Expr`]) → [`compile`](compile()) (type checks against a
//! [`Schema`], emits SQL). Guarantees:
//!
//! * **Hostile-proof names.** Every built-in operator is written `OPERATOR(pg_catalog.op)`,
//!   every function `pg_catalog.f(...)` and every non-keyword type `pg_catalog.t`, so the
//!   caller's search_path cannot substitute another; with [`Schema::relation_alias`] every
//!   column is qualified (`t."col"`), so no relation of an enclosing query can capture it.
//! * **No user text in SQL.** Every literal, JSON key and `like` pattern is a parameter;
//!   every placeholder carries its cast (`$3::bigint`, `$4::text[]`, see
//!   [`Param::sql_type`]); columns come from the schema and are always [`quote_ident`]ed.
//! * **Typed.** Comparing an integer field with a string, `like` on a number, arithmetic on
//!   strings, `array_contains` on a scalar, vector fields, unknown fields (without a
//!   dynamic field) are errors with a character position. Integers and floats mix.
//! * **Bounded.** Expressions longer than [`MAX_EXPR_LEN`] bytes or nested deeper than
//!   [`MAX_DEPTH`] are rejected; nothing recurses without bound and nothing panics.
//!
//! ## Null and JSON semantics
//!
//! * A leaf predicate (comparison, `in`, `not in`, `like`, `not like`, `*_contains`) is
//!   never TRUE when its operand is NULL: a NULL column, a missing JSON key, or a JSON value
//!   of the wrong type (`meta["a"] > 5` and `meta["a"] != 5` are false when `a` is a string
//!   or absent). JSON comparisons against literals compare `jsonb` values, so they never
//!   raise a cast error at run time.
//! * `not` is two-valued, like Milvus: `not p` compiles to `NOT COALESCE(p, false)`, so
//!   `not (meta["tier"] == "gold")` selects rows that have no `tier` at all.
//! * `and` / `or` are SQL's. The whole fragment is TRUE exactly for the selected rows; for
//!   other rows it is FALSE or NULL, which WHERE treats alike (do not negate it outside).
//! * `is null` on JSON matches a missing key, an SQL NULL and a JSON `null`.
//! * Run-time errors remain possible only in arithmetic, as in PostgreSQL itself: integer
//!   and float overflow / underflow, `power` domain errors. A literal zero divisor is
//!   rejected at compile time; a computed zero divisor makes the row not match
//!   (the quotient is computed in a scalar subquery that yields NULL for a zero divisor). Integer division truncates (PostgreSQL semantics); `**` is
//!   `power()` and yields a float (numeric for JSON numbers).
//! * Bare names that are not schema fields are keys of the dynamic field when the schema
//!   has one; `$meta` names the dynamic field itself.
//! * JSON paths use `#>`: like a JSON Pointer, `["a"][0]` also matches an object key `"0"`.
//!   Array fields index from 0 (`nums[0]` is PostgreSQL's `nums[1]`).
//! * Float literals are bound as `double precision`; `==` against a `real` column compares
//!   the widened `real` value, so prefer ranges over float equality.

pub mod ast;
mod compare;
mod compile;
pub mod error;
mod functions;
mod json;
pub mod lexer;
pub mod parser;
pub mod schema;
pub mod sql;
pub mod template;

#[cfg(test)]
mod compile_tests;
#[cfg(test)]
mod prop_tests;

pub use ast::Expr;
pub use error::{FilterError, FilterErrorKind};
pub use parser::{parse, MAX_DEPTH, MAX_EXPR_LEN};
pub use schema::{FieldKind, Schema, StaticSchema};
pub use sql::{quote_ident, Compiled, Param};

/// Compiles a Milvus filter expression to a boolean SQL expression over `schema`'s
/// columns. Placeholders are numbered from `first_param` (at least 1), in the order of
/// the returned `params`.
pub fn compile(
    expr: &str,
    schema: &dyn Schema,
    first_param: usize,
) -> Result<Compiled, FilterError> {
    let ast = parse(expr)?;
    compile_expr(&ast, schema, first_param)
}

/// [`compile()`] for an already parsed expression.
pub fn compile_expr(
    ast: &Expr,
    schema: &dyn Schema,
    first_param: usize,
) -> Result<Compiled, FilterError> {
    if first_param == 0 {
        return Err(FilterError::semantic(
            0,
            "placeholders start at $1: first_param must be at least 1",
        ));
    }
    let mut c = compile::Compiler::new(schema, first_param);
    let sql = c.predicate(ast)?;
    Ok(Compiled {
        sql,
        params: c.params.list,
        dynamic_keys: c.dynamic_keys,
    })
}
