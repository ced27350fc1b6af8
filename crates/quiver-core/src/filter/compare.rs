//! Leaf predicates: comparisons, `in` / `not in`, `like` / `not like`, `is [not] null`.
//!
//! SQL shapes (x is a JSON operand, c a typed column or expression; shown with bare
//! operators, functions and types, which the compiler writes as `OPERATOR(pg_catalog.=)`,
//! `pg_catalog.jsonb_typeof`, `pg_catalog.text`, and `LIKE` as `OPERATOR(pg_catalog.~~)`):
//!
//! * `c == 5` → `(c = $1::bigint)`; numbers of any width and floats mix freely.
//! * `x == 5` → `(x = $1::jsonb)` (jsonb equality: numbers compare numerically, values of
//!   other JSON types are simply unequal).
//! * `x != 5`, `x > 5`, ... → `(x > $1::jsonb AND jsonb_typeof(x) = 'number')`: jsonb
//!   orders numbers numerically and strings by the default collation, and the type test
//!   makes a value of another JSON type (or a missing key) not match. No cast, so no
//!   runtime error whatever the data.
//! * JSON against a non-literal (`x > age`) extracts `x` with a guarded cast
//!   ([`json::as_numeric`] and friends) and compares normally.
//! * `c in [1, 2]` → `(c = ANY($1::bigint[]))`; `not in` → `(c <> ALL(...))` (an empty
//!   `not in []` is `c IS NOT NULL`); JSON: `(x = ANY($1::text[]::jsonb[]))`.
//! * `c like "a%"` → `(c LIKE $1::text)` (`%`, `_`, backslash escapes);
//!   JSON: `(jsonb_typeof(x) = 'string' AND (x #>> '{}') LIKE $1::text)`.
//! * `c is null` → `(c IS NULL)`; JSON: missing key, SQL NULL or JSON `null`.

use super::ast::{CmpOp, Expr, ExprKind};
use super::compile::{Compiler, Lit, Operand, Ty, Val};
use super::error::{FilterError, FilterResult};
use super::json;
use super::sql::{op as sql_op, Param};

/// `lhs op rhs`.
pub fn compare(
    c: &mut Compiler,
    op: CmpOp,
    lhs: &Expr,
    rhs: &Expr,
    pos: usize,
) -> FilterResult<String> {
    if let ExprKind::List(_) = rhs.kind {
        return compare_list(c, op, lhs, rhs, pos);
    }
    if let ExprKind::List(_) = lhs.kind {
        return compare_list(c, op.flipped(), rhs, lhs, pos);
    }
    let l = c.operand(lhs)?;
    let r = c.operand(rhs)?;
    match (l.ty(), r.ty()) {
        (Ty::Json, Ty::Json) => {
            let (x, y) = (c.val(l)?.sql, c.val(r)?.sql);
            Ok(json_vs_json(op, &x, &y))
        }
        (Ty::Json, _) => json_vs_other(c, op, l, r, pos),
        (_, Ty::Json) => json_vs_other(c, op.flipped(), r, l, pos),
        (lt, rt) => {
            let comparable = (lt.is_numeric() && rt.is_numeric())
                || (lt == Ty::Str && rt == Ty::Str)
                || (lt == Ty::Bool && rt == Ty::Bool);
            if !comparable {
                let hint = if matches!(lt, Ty::Array(_)) || matches!(rt, Ty::Array(_)) {
                    " (use array_contains or array_length for arrays)"
                } else {
                    ""
                };
                return Err(FilterError::semantic(
                    pos,
                    format!("cannot compare {} with {}{hint}", l.desc(), r.desc()),
                ));
            }
            let (l, r) = (c.val(l)?, c.val(r)?);
            Ok(format!("({} {} {})", l.sql, sql_op(op.sql()), r.sql))
        }
    }
}

/// `x op y` for two JSON values: equal JSON, or same-typed and ordered (numbers, strings
/// and booleans only for `< <= > >=`).
fn json_vs_json(op: CmpOp, x: &str, y: &str) -> String {
    let same_type = format!("{} {} {}", json::type_of(x), sql_op("="), json::type_of(y));
    match op {
        CmpOp::Eq => format!("({x} {} {y})", sql_op("=")),
        CmpOp::Ne => format!("({x} {} {y} AND {same_type})", sql_op("<>")),
        _ => format!(
            "({x} {} {y} AND {same_type} AND {} {} ANY ('{{number,string,boolean}}'::pg_catalog.text[]))",
            sql_op(op.sql()),
            json::type_of(x),
            sql_op("=")
        ),
    }
}

/// `x op other` where `x` is JSON and `other` is not.
fn json_vs_other(
    c: &mut Compiler,
    op: CmpOp,
    x: Operand,
    other: Operand,
    pos: usize,
) -> FilterResult<String> {
    let x = c.val(x)?.sql;
    match other {
        Operand::Lit(lit, lit_pos) => {
            let p = c.bind(Param::Json(lit.json()), lit_pos)?;
            Ok(json_vs_literal(op, &x, &p, lit.json_type()))
        }
        Operand::Val(v) => {
            let extracted = match v.ty {
                Ty::Int | Ty::Float | Ty::Decimal => json::as_numeric(&x),
                Ty::Str => json::as_text(&x),
                Ty::Bool => json::as_bool(&x),
                _ => {
                    return Err(FilterError::semantic(
                        pos,
                        format!("cannot compare a JSON value with {}", v.desc),
                    ))
                }
            };
            Ok(format!("({extracted} {} {})", sql_op(op.sql()), v.sql))
        }
    }
}

/// `x op p` where `p` is a jsonb placeholder of JSON type `json_type`.
fn json_vs_literal(op: CmpOp, x: &str, p: &str, json_type: &str) -> String {
    match op {
        CmpOp::Eq => format!("({x} {} {p})", sql_op("=")),
        _ => format!("({x} {} {p} AND {})", sql_op(op.sql()), json::type_is(x, json_type)),
    }
}

/// `x == [..]` / `x != [..]`: whole-array equality, JSON only.
fn compare_list(
    c: &mut Compiler,
    op: CmpOp,
    other: &Expr,
    list: &Expr,
    pos: usize,
) -> FilterResult<String> {
    let o = c.operand(other)?;
    if o.ty() != Ty::Json {
        return Err(FilterError::semantic(
            pos,
            format!("cannot compare {} with a list", o.desc()),
        ));
    }
    if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
        return Err(FilterError::semantic(
            pos,
            format!("operator {} cannot compare lists", op.symbol()),
        ));
    }
    let text = json::literal(list)?;
    let x = c.val(o)?.sql;
    let p = c.bind(Param::Json(text), list.pos)?;
    Ok(json_vs_literal(op, &x, &p, "array"))
}

/// `expr [not] in [list]`.
pub fn in_list(
    c: &mut Compiler,
    expr: &Expr,
    list: &[Expr],
    negated: bool,
    pos: usize,
) -> FilterResult<String> {
    let o = c.operand(expr)?;
    let ty = o.ty();
    if ty == Ty::Json {
        return json_in_list(c, o, list, negated, pos);
    }
    if matches!(ty, Ty::Array(_)) {
        return Err(FilterError::semantic(
            pos,
            format!(
                "in needs a scalar operand, found {} (use array_contains_any for arrays)",
                o.desc()
            ),
        ));
    }
    let mut lits = Vec::with_capacity(list.len());
    for e in list {
        let lit = Lit::of(e)
            .ok_or_else(|| FilterError::semantic(e.pos, "list elements must be literals"))?;
        let fits = (ty.is_numeric() && lit.ty().is_numeric()) || lit.ty() == ty;
        if !fits {
            return Err(FilterError::semantic(
                e.pos,
                format!("cannot compare {} with {}", o.desc(), lit.desc()),
            ));
        }
        lits.push(lit);
    }
    let x = c.val(o)?.sql;
    if negated && lits.is_empty() {
        return Ok(format!("({x} IS NOT NULL)"));
    }
    let array = literal_array(&lits, &ty);
    let p = c.bind(array, pos)?;
    Ok(if negated {
        format!("({x} {} ALL({p}))", sql_op("<>"))
    } else {
        format!("({x} {} ANY({p}))", sql_op("="))
    })
}

/// Literals already checked to fit `ty` as one array parameter: `text[]`, `boolean[]`,
/// `bigint[]` (integers for an integer `ty`) or `double precision[]` (any other numbers).
pub fn literal_array(lits: &[Lit], ty: &Ty) -> Param {
    match ty {
        Ty::Str => Param::TextArray(
            lits.iter()
                .filter_map(|l| l.as_text().map(str::to_string))
                .collect(),
        ),
        Ty::Bool => Param::BoolArray(lits.iter().filter_map(Lit::as_bool).collect()),
        _ => {
            let ints: Option<Vec<i64>> = lits.iter().map(Lit::as_int).collect();
            match ints {
                Some(v) if *ty == Ty::Int => Param::IntArray(v),
                _ => Param::FloatArray(lits.iter().filter_map(Lit::as_f64).collect()),
            }
        }
    }
}

/// `x [not] in [list]` for a JSON `x`: list items may be any literals, including lists.
fn json_in_list(
    c: &mut Compiler,
    x: Operand,
    list: &[Expr],
    negated: bool,
    pos: usize,
) -> FilterResult<String> {
    let texts: Vec<String> = list
        .iter()
        .map(json::literal)
        .collect::<FilterResult<_>>()?;
    let mut types: Vec<&str> = list.iter().filter_map(json::literal_type).collect();
    types.sort_unstable();
    types.dedup();
    let x = c.val(x)?.sql;
    if negated && texts.is_empty() {
        return Ok(format!("({} {} 'null')", json::type_of(&x), sql_op("<>")));
    }
    let p = c.bind(Param::TextArray(texts), pos)?;
    if !negated {
        return Ok(format!("({x} {} ANY({p}::pg_catalog.jsonb[]))", sql_op("=")));
    }
    Ok(format!(
        "({x} {} ALL({p}::pg_catalog.jsonb[]) AND {} {} ANY ('{{{}}}'::pg_catalog.text[]))",
        sql_op("<>"),
        json::type_of(&x),
        sql_op("="),
        types.join(",")
    ))
}

/// `expr [not] like "pattern"`.
pub fn like(
    c: &mut Compiler,
    expr: &Expr,
    pattern: &str,
    pattern_pos: usize,
    negated: bool,
    pos: usize,
) -> FilterResult<String> {
    let trailing_escapes = pattern.chars().rev().take_while(|&ch| ch == '\\').count();
    if trailing_escapes % 2 == 1 {
        return Err(FilterError::semantic(
            pattern_pos,
            "like pattern must not end with an escape character (\\)",
        ));
    }
    let o = c.operand(expr)?;
    let like = sql_op(if negated { "!~~" } else { "~~" });
    match o.ty() {
        Ty::Str => {
            let x = c.val(o)?.sql;
            let p = c.bind(Param::Text(pattern.to_string()), pattern_pos)?;
            Ok(format!("({x} {like} {p})"))
        }
        Ty::Json => {
            let x = c.val(o)?.sql;
            let p = c.bind(Param::Text(pattern.to_string()), pattern_pos)?;
            Ok(format!(
                "({} AND ({}) {like} {p})",
                json::type_is(&x, "string"),
                json::scalar_text(&x)
            ))
        }
        _ => Err(FilterError::semantic(
            pos,
            format!("like needs a string operand, found {}", o.desc()),
        )),
    }
}

/// `expr is [not] null`. For JSON, a JSON `null` counts as null too.
pub fn is_null(c: &mut Compiler, expr: &Expr, negated: bool) -> FilterResult<String> {
    let o = c.operand(expr)?;
    let Val { sql: x, ty, .. } = c.val(o)?;
    Ok(match (ty, negated) {
        (Ty::Json, false) => format!("({x} IS NULL OR {})", json::type_is(&x, "null")),
        (Ty::Json, true) => format!("({x} IS NOT NULL AND {} {} 'null')", json::type_of(&x), sql_op("<>")),
        (_, false) => format!("({x} IS NULL)"),
        (_, true) => format!("({x} IS NOT NULL)"),
    })
}
