//! Function calls: `json_contains[_all|_any]`, `array_contains[_all|_any]`, `array_length`, and
//! `exists x` (written without parentheses; the parser makes it a call): true when the JSON
//! path `x` is present with a value other than JSON `null` (Milvus's reading).
//!
//! The `json_` and `array_` spellings are synonyms; each accepts an array column or a JSON
//! value (names are case-insensitive). SQL shapes:
//!
//! | call | array column `a` | JSON value `x` |
//! |---|---|---|
//! | `*_contains(f, v)` | `($1::bigint = ANY(a))` | `(x @> $1::jsonb)` with `[v]` |
//! | `*_contains_all(f, [..])` | `(a::bigint[] @> $1::bigint[])` | `(x @> $1::jsonb)` with the list |
//! | `*_contains_any(f, [..])` | `(a::bigint[] && $1::bigint[])` | `(x @> ANY($1::text[]::jsonb[]))`, one `[v]` per item |
//! | `array_length(f)` | `cardinality(a)` | `jsonb_array_length(x)` when `x` is an array, else NULL |
//!
//! The column cast (`::bigint[]`, `::text[]`, ...) makes `smallint[]` / `varchar[]` columns
//! comparable with the parameter; it is a no-op for a column of that very type. JSON
//! containment follows `jsonb @>`: a scalar item is found in an array that has it as an
//! element.

use super::ast::{Expr, ExprKind};
use super::compare::literal_array;
use super::compile::{scalar_ty, Compiler, Lit, Operand, Ty, Val};
use super::error::{FilterError, FilterResult};
use super::json;
use super::schema::FieldKind;
use super::sql::{func, op, Param};

#[derive(Clone, Copy, PartialEq)]
enum Contains {
    One,
    All,
    Any,
}

/// `exists x`: `x` (a JSON field, a path into one, or a dynamic-field key) is present and not
/// JSON `null`.
fn exists(c: &mut Compiler, args: &[Expr], pos: usize) -> FilterResult<Val> {
    let [target] = args else {
        return Err(FilterError::semantic(pos, "exists takes one JSON field or path"));
    };
    let t = c.operand(target)?;
    if t.ty() != Ty::Json {
        return Err(FilterError::semantic(
            target.pos,
            format!("exists needs a JSON field or a path into one, found {}", t.desc()),
        ));
    }
    let sql = c.val(t)?.sql;
    Ok(Val::expr(
        format!("COALESCE({}({sql}) {} 'null', false)", func("jsonb_typeof"), op("<>")),
        Ty::Bool,
    ))
}

/// Compiles `name(args)`.
pub fn call(c: &mut Compiler, name: &str, args: &[Expr], pos: usize) -> FilterResult<Val> {
    let lower = name.to_ascii_lowercase();
    let (arity, contains) = match lower.as_str() {
        "json_contains" | "array_contains" => (2, Some(Contains::One)),
        "json_contains_all" | "array_contains_all" => (2, Some(Contains::All)),
        "json_contains_any" | "array_contains_any" => (2, Some(Contains::Any)),
        "array_length" => (1, None),
        "exists" => return exists(c, args, pos),
        _ => {
            return Err(FilterError::semantic(
                pos,
                format!("unknown function \"{name}\""),
            ))
        }
    };
    if args.len() != arity {
        let plural = if arity == 1 { "" } else { "s" };
        return Err(FilterError::semantic(
            pos,
            format!("{lower} takes {arity} argument{plural}, got {}", args.len()),
        ));
    }
    let (Some(target), rest) = (args.first(), args.get(1)) else {
        return Err(FilterError::semantic(
            pos,
            format!("{lower} needs arguments"),
        ));
    };
    let t = c.operand(target)?;
    let elem = match t.ty() {
        Ty::Json => None,
        Ty::Array(elem) => Some(elem),
        _ => {
            return Err(FilterError::semantic(
                target.pos,
                format!(
                    "{lower} needs an array or JSON field as its first argument, found {}",
                    t.desc()
                ),
            ))
        }
    };
    let target_sql = c.val(t)?.sql;
    let Some(mode) = contains else {
        let sql = match elem {
            Some(_) => format!("{}({target_sql})", func("cardinality")),
            None => format!(
                "(CASE WHEN {} THEN {}({target_sql}) END)",
                json::type_is(&target_sql, "array"),
                func("jsonb_array_length")
            ),
        };
        return Ok(Val::expr(sql, Ty::Int));
    };
    let Some(arg) = rest else {
        return Err(FilterError::semantic(
            pos,
            format!("{lower} needs a second argument"),
        ));
    };
    let sql = match elem {
        None => json_contains(c, &lower, &target_sql, mode, arg)?,
        Some(elem) => array_contains(c, &lower, &target_sql, &elem, mode, arg)?,
    };
    Ok(Val::expr(sql, Ty::Bool))
}

/// The items of a list argument.
fn list_items<'e>(name: &str, arg: &'e Expr) -> FilterResult<&'e [Expr]> {
    match &arg.kind {
        ExprKind::List(items) => Ok(items),
        _ => Err(FilterError::semantic(
            arg.pos,
            format!("{name} needs a list such as [1, 2] as its second argument"),
        )),
    }
}

fn json_contains(
    c: &mut Compiler,
    name: &str,
    x: &str,
    mode: Contains,
    arg: &Expr,
) -> FilterResult<String> {
    match mode {
        Contains::One => {
            let p = c.bind(Param::Json(format!("[{}]", json::literal(arg)?)), arg.pos)?;
            Ok(format!("({x} {} {p})", op("@>")))
        }
        Contains::All => {
            list_items(name, arg)?;
            let p = c.bind(Param::Json(json::literal(arg)?), arg.pos)?;
            Ok(format!("({x} {} {p})", op("@>")))
        }
        Contains::Any => {
            let items = list_items(name, arg)?;
            let singletons = items
                .iter()
                .map(|e| Ok(format!("[{}]", json::literal(e)?)))
                .collect::<FilterResult<Vec<_>>>()?;
            let p = c.bind(Param::TextArray(singletons), arg.pos)?;
            Ok(format!("({x} {} ANY({p}::pg_catalog.jsonb[]))", op("@>")))
        }
    }
}

fn array_contains(
    c: &mut Compiler,
    name: &str,
    a: &str,
    elem: &FieldKind,
    mode: Contains,
    arg: &Expr,
) -> FilterResult<String> {
    let items: Vec<&Expr> = match mode {
        Contains::One => vec![arg],
        Contains::All | Contains::Any => list_items(name, arg)?.iter().collect(),
    };
    let elem_ty = scalar_ty(elem).ok_or_else(|| {
        FilterError::semantic(
            arg.pos,
            format!("{name}: unsupported array element type {elem}"),
        )
    })?;
    let mut lits = Vec::with_capacity(items.len());
    for e in items {
        let lit = Lit::of(e)
            .ok_or_else(|| FilterError::semantic(e.pos, format!("{name} needs literal values")))?;
        let fits = (elem_ty.is_numeric() && lit.ty().is_numeric()) || lit.ty() == elem_ty;
        if !fits {
            return Err(FilterError::semantic(
                e.pos,
                format!("{name}: {} does not match an array of {elem}", lit.desc()),
            ));
        }
        lits.push(lit);
    }
    if mode == Contains::One {
        // A float element type binds the value as a float, so ANY() compares like types.
        let one = match lits.first() {
            Some(Lit::Int(v)) if *elem == FieldKind::Float => Lit::Float(*v as f64),
            Some(l) => l.clone(),
            None => {
                return Err(FilterError::semantic(
                    arg.pos,
                    format!("{name} needs a value"),
                ))
            }
        };
        let p = c.val(Operand::Lit(one, arg.pos))?.sql;
        return Ok(format!("({p} {} ANY({a}))", op("=")));
    }
    let array = literal_array(&lits, &elem_ty);
    let elem_type = array.sql_type();
    let array_op = op(if mode == Contains::All { "@>" } else { "&&" });
    let p = c.bind(array, arg.pos)?;
    Ok(format!("({a}::{elem_type} {array_op} {p})"))
}
