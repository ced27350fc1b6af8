//! Type checking and SQL generation: [`Expr`] → boolean SQL over the schema's columns.
//!
//! Every sub-expression compiles to an [`Operand`]: a literal not yet bound (so that the
//! other side of a comparison can decide how to bind it, e.g. as `jsonb`), or a typed SQL
//! fragment ([`Val`]). Fragments are atomic (a quoted column, a cast placeholder) or fully
//! parenthesised, so they compose without precedence surprises. Comparisons, `in`,
//! `like`, `is null` live in [`super::compare`], function calls in [`super::functions`].
//!
//! Null semantics (documented in [`super`]): a leaf predicate is never TRUE when an operand
//! is NULL (missing JSON key, NULL column) or of the wrong JSON type; `not` is two-valued,
//! `NOT COALESCE(p, false)`, so `not (meta["k"] == 1)` selects rows without the key.

use super::ast::{ArithOp, Expr, ExprKind, LogicOp, PathElem};
use super::error::{FilterError, FilterResult};
use super::json;
use super::schema::{FieldKind, Schema};
use super::sql::{func, op as sql_op, quote_ident, Param, Params};
use super::{compare, functions};

/// The relation and column of a computed divisor (see [`Compiler::arith`]); `$` keeps the
/// column name apart from collection field names.
const DIVISOR_REL: &str = "dv(\"$divisor\")";
const DIVISOR: &str = "dv.\"$divisor\"";

/// The SQL type class of a compiled value.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Bool,
    /// Any integer type.
    Int,
    /// `real` / `double precision`.
    Float,
    /// `numeric` (a JSON number, or arithmetic on one).
    Decimal,
    Str,
    Json,
    /// A PostgreSQL array column with this element kind.
    Array(FieldKind),
}

impl Ty {
    pub fn is_numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Float | Ty::Decimal)
    }

    fn name(&self) -> String {
        match self {
            Ty::Bool => "boolean".into(),
            Ty::Int => "integer".into(),
            Ty::Float => "float".into(),
            Ty::Decimal => "numeric".into(),
            Ty::Str => "string".into(),
            Ty::Json => "JSON".into(),
            Ty::Array(e) => format!("array of {e}"),
        }
    }
}

/// A literal from the expression, not yet bound to a parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
}

impl Lit {
    /// The literal of a literal expression, if it is one (lists are not).
    pub fn of(e: &Expr) -> Option<Lit> {
        Some(match &e.kind {
            ExprKind::Int(v) => Lit::Int(*v),
            ExprKind::Float(v) => Lit::Float(*v),
            ExprKind::Str(s) => Lit::Str(s.clone()),
            ExprKind::Bool(b) => Lit::Bool(*b),
            _ => return None,
        })
    }

    pub fn ty(&self) -> Ty {
        match self {
            Lit::Int(_) => Ty::Int,
            Lit::Float(_) => Ty::Float,
            Lit::Str(_) => Ty::Str,
            Lit::Bool(_) => Ty::Bool,
        }
    }

    pub fn desc(&self) -> String {
        format!("{} literal", self.ty().name())
    }

    pub fn as_int(&self) -> Option<i64> {
        if let Lit::Int(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    /// A numeric literal as a float.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Lit::Int(v) => Some(*v as f64),
            Lit::Float(v) => Some(*v),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        if let Lit::Str(s) = self {
            Some(s)
        } else {
            None
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        if let Lit::Bool(b) = self {
            Some(*b)
        } else {
            None
        }
    }

    /// The literal as JSON text.
    pub fn json(&self) -> String {
        match self {
            Lit::Int(v) => v.to_string(),
            Lit::Float(v) => json::float(*v),
            Lit::Str(s) => json::string(s),
            Lit::Bool(b) => b.to_string(),
        }
    }

    /// `jsonb_typeof` of the literal as JSON.
    pub fn json_type(&self) -> &'static str {
        match self {
            Lit::Int(_) | Lit::Float(_) => "number",
            Lit::Str(_) => "string",
            Lit::Bool(_) => "boolean",
        }
    }

    fn param(&self) -> Param {
        match self {
            Lit::Int(v) => Param::Int(*v),
            Lit::Float(v) => Param::Float(*v),
            Lit::Str(s) => Param::Text(s.clone()),
            Lit::Bool(b) => Param::Bool(*b),
        }
    }
}

/// A typed SQL fragment and how to describe it in error messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Val {
    pub sql: String,
    pub ty: Ty,
    pub desc: String,
}

impl Val {
    fn new(sql: String, ty: Ty, desc: impl Into<String>) -> Val {
        Val {
            sql,
            ty,
            desc: desc.into(),
        }
    }

    /// An expression result described by its type ("integer expression").
    pub fn expr(sql: String, ty: Ty) -> Val {
        let desc = format!("{} expression", ty.name());
        Val { sql, ty, desc }
    }
}

/// A compiled sub-expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Lit(Lit, usize),
    Val(Val),
}

impl Operand {
    pub fn desc(&self) -> String {
        match self {
            Operand::Lit(l, _) => l.desc(),
            Operand::Val(v) => v.desc.clone(),
        }
    }

    pub fn ty(&self) -> Ty {
        match self {
            Operand::Lit(l, _) => l.ty(),
            Operand::Val(v) => v.ty.clone(),
        }
    }
}

/// Compiler state: the schema and the parameters bound so far.
pub struct Compiler<'a> {
    schema: &'a dyn Schema,
    pub params: Params,
    /// Names read from the dynamic field (not in the schema).
    pub dynamic_keys: Vec<String>,
}

impl<'a> Compiler<'a> {
    pub fn new(schema: &'a dyn Schema, first_param: usize) -> Self {
        Compiler {
            schema,
            params: Params::new(first_param),
            dynamic_keys: Vec::new(),
        }
    }

    /// Binds a parameter; returns its cast placeholder.
    pub fn bind(&mut self, p: Param, pos: usize) -> FilterResult<String> {
        self.params.push(p, pos)
    }

    /// Binds a literal as a parameter of its own type.
    pub fn bind_lit(&mut self, lit: &Lit, pos: usize) -> FilterResult<Val> {
        let sql = self.bind(lit.param(), pos)?;
        Ok(Val::new(sql, lit.ty(), lit.desc()))
    }

    /// Turns an operand into SQL, binding a literal with its own type.
    pub fn val(&mut self, o: Operand) -> FilterResult<Val> {
        match o {
            Operand::Lit(l, pos) => self.bind_lit(&l, pos),
            Operand::Val(v) => Ok(v),
        }
    }

    /// A boolean SQL expression for `e`.
    pub fn predicate(&mut self, e: &Expr) -> FilterResult<String> {
        match &e.kind {
            ExprKind::Not(inner) => {
                Ok(format!("(NOT COALESCE({}, false))", self.predicate(inner)?))
            }
            ExprKind::Logic { op, terms } => {
                let sep = match op {
                    LogicOp::And => " AND ",
                    LogicOp::Or => " OR ",
                };
                let parts: Vec<String> = terms
                    .iter()
                    .map(|t| self.predicate(t))
                    .collect::<FilterResult<_>>()?;
                Ok(format!("({})", parts.join(sep)))
            }
            ExprKind::Cmp { op, lhs, rhs } => compare::compare(self, *op, lhs, rhs, e.pos),
            ExprKind::In {
                expr,
                list,
                negated,
            } => compare::in_list(self, expr, list, *negated, e.pos),
            ExprKind::Like {
                expr,
                pattern,
                pattern_pos,
                negated,
            } => compare::like(self, expr, pattern, *pattern_pos, *negated, e.pos),
            ExprKind::IsNull { expr, negated } => compare::is_null(self, expr, *negated),
            _ => {
                let o = self.operand(e)?;
                self.truthy(o, e.pos)
            }
        }
    }

    /// A non-predicate operand used as a condition: booleans as they are, a JSON value is
    /// true when it is JSON `true`.
    fn truthy(&mut self, o: Operand, pos: usize) -> FilterResult<String> {
        match o.ty() {
            Ty::Bool => Ok(self.val(o)?.sql),
            Ty::Json => Ok(format!("({} {} 'true'::pg_catalog.jsonb)", self.val(o)?.sql, sql_op("="))),
            _ => Err(FilterError::semantic(
                pos,
                format!("expected a boolean expression, found {}", o.desc()),
            )),
        }
    }

    /// Compiles any expression to an operand.
    pub fn operand(&mut self, e: &Expr) -> FilterResult<Operand> {
        if let Some(l) = Lit::of(e) {
            return Ok(Operand::Lit(l, e.pos));
        }
        let v = match &e.kind {
            ExprKind::List(_) => {
                return Err(FilterError::semantic(
                    e.pos,
                    "a list is only allowed after in, as a function argument or compared with a JSON value",
                ))
            }
            ExprKind::Field { name, path } => self.field(name, path, e.pos)?,
            ExprKind::Call { name, args } => functions::call(self, name, args, e.pos)?,
            ExprKind::Neg(inner) => {
                let v = self.numeric(inner, "unary minus", e.pos)?;
                Val::expr(format!("({} {})", sql_op("-"), v.sql), v.ty)
            }
            ExprKind::Arith { op, lhs, rhs } => self.arith(*op, lhs, rhs, e.pos)?,
            _ => Val::expr(self.predicate(e)?, Ty::Bool),
        };
        Ok(Operand::Val(v))
    }

    /// A numeric operand of `what` (e.g. "operator +") at `pos`: numbers as they are,
    /// JSON as `numeric`.
    fn numeric(&mut self, e: &Expr, what: &str, pos: usize) -> FilterResult<Val> {
        let o = self.operand(e)?;
        match o.ty() {
            t if t.is_numeric() => self.val(o),
            Ty::Json => {
                let v = self.val(o)?;
                Ok(Val::new(json::as_numeric(&v.sql), Ty::Decimal, v.desc))
            }
            _ => Err(FilterError::semantic(
                pos,
                format!("{what} needs numeric operands, found {}", o.desc()),
            )),
        }
    }

    fn arith(&mut self, op: ArithOp, lhs: &Expr, rhs: &Expr, pos: usize) -> FilterResult<Val> {
        let sym = op.symbol();
        let what = format!("operator {sym}");
        let l = self.numeric(lhs, &what, pos)?;
        let r = self.numeric(rhs, &what, pos)?;
        if op == ArithOp::Mod {
            if let Some(v) = [&l, &r].into_iter().find(|v| v.ty == Ty::Float) {
                return Err(FilterError::semantic(
                    pos,
                    format!("operator % needs integer operands, found {}", v.desc),
                ));
            }
        }
        let ty = match (&l.ty, &r.ty) {
            (Ty::Float, _) | (_, Ty::Float) => Ty::Float,
            (Ty::Decimal, _) | (_, Ty::Decimal) => Ty::Decimal,
            _ if op == ArithOp::Pow => Ty::Float,
            _ => Ty::Int,
        };
        let sql = match op {
            ArithOp::Pow => format!("{}({}, {})", func("power"), l.sql, r.sql),
            ArithOp::Div | ArithOp::Mod => {
                if matches!(rhs.kind, ExprKind::Int(0))
                    || matches!(rhs.kind, ExprKind::Float(z) if z == 0.0)
                {
                    return Err(FilterError::semantic(pos, "division by zero"));
                }
                if Lit::of(rhs).is_some() {
                    format!("({} {} {})", l.sql, sql_op(sym), r.sql)
                } else {
                    // Rows where a computed divisor is 0 do not match, instead of failing the
                    // query: the divisor is evaluated once in a scalar subquery that yields no
                    // row (NULL) for 0. (NULLIF would look its `=` up in search_path; a CASE
                    // would repeat the divisor, doubling the SQL per nesting level.)
                    format!(
                        "(SELECT {} {} {DIVISOR} FROM (SELECT {}) AS {DIVISOR_REL} WHERE {DIVISOR} {} 0)",
                        l.sql,
                        sql_op(sym),
                        r.sql,
                        sql_op("<>")
                    )
                }
            }
            _ => format!("({} {} {})", l.sql, sql_op(sym), r.sql),
        };
        Ok(Val::expr(sql, ty))
    }

    /// A column reference: `alias."column"` when the schema names its relation.
    fn column(&self, column: &str) -> String {
        match self.schema.relation_alias() {
            Some(alias) => format!("{alias}.{}", quote_ident(column)),
            None => quote_ident(column),
        }
    }

    /// A field reference with its subscripts.
    fn field(&mut self, name: &str, path: &[PathElem], pos: usize) -> FilterResult<Val> {
        if let Some((kind, column)) = self.schema.field(name) {
            let col = self.column(&column);
            let desc = format!("field \"{name}\" ({kind})");
            let scalar = |ty: Ty| {
                if path.is_empty() {
                    Ok(Val::new(col.clone(), ty, desc.clone()))
                } else {
                    Err(FilterError::semantic(
                        pos,
                        format!("{desc} cannot be subscripted"),
                    ))
                }
            };
            return match kind {
                FieldKind::Vector => Err(FilterError::semantic(
                    pos,
                    format!("vector field \"{name}\" cannot be used in a filter"),
                )),
                FieldKind::Bool => scalar(Ty::Bool),
                FieldKind::Int => scalar(Ty::Int),
                FieldKind::Float => scalar(Ty::Float),
                FieldKind::String => scalar(Ty::Str),
                FieldKind::Json => self.json_path(&col, path, pos, desc),
                FieldKind::Array(elem) => self.array_element(&col, *elem, path, pos, desc),
            };
        }
        match self.schema.dynamic_column() {
            Some(dynamic) if name == "$meta" => {
                let col = self.column(&dynamic);
                self.json_path(&col, path, pos, "dynamic field".into())
            }
            Some(dynamic) => {
                if !self.dynamic_keys.iter().any(|k| k == name) {
                    self.dynamic_keys.push(name.to_string());
                }
                let mut full = vec![PathElem::Key(name.to_string())];
                full.extend_from_slice(path);
                let col = self.column(&dynamic);
                self.json_path(
                    &col,
                    &full,
                    pos,
                    format!("dynamic field \"{name}\" (JSON)"),
                )
            }
            None => Err(FilterError::semantic(
                pos,
                format!("unknown field \"{name}\""),
            )),
        }
    }

    /// `col #> path` (JSON Pointer-like: an index step also matches an object key of the
    /// same digits, as in Milvus).
    fn json_path(
        &mut self,
        col: &str,
        path: &[PathElem],
        pos: usize,
        desc: String,
    ) -> FilterResult<Val> {
        if path.is_empty() {
            return Ok(Val::new(col.to_string(), Ty::Json, desc));
        }
        let keys = path
            .iter()
            .map(|p| match p {
                PathElem::Key(k) => k.clone(),
                PathElem::Index(i) => i.to_string(),
            })
            .collect();
        let p = self.bind(Param::TextArray(keys), pos)?;
        Ok(Val::new(format!("({col} {} {p})", sql_op("#>")), Ty::Json, "JSON value"))
    }

    /// An array column, or one element of it (`arr[0]`, 0-based like Milvus).
    fn array_element(
        &mut self,
        col: &str,
        elem: FieldKind,
        path: &[PathElem],
        pos: usize,
        desc: String,
    ) -> FilterResult<Val> {
        let index = match path {
            [] => return Ok(Val::new(col.to_string(), Ty::Array(elem), desc)),
            [PathElem::Index(i)] => *i,
            _ => {
                return Err(FilterError::semantic(
                    pos,
                    format!("{desc} takes a single integer index"),
                ))
            }
        };
        let ty = scalar_ty(&elem)
            .ok_or_else(|| FilterError::semantic(pos, format!("{desc} cannot be indexed")))?;
        let index = i32::try_from(index)
            .ok()
            .and_then(|i| i.checked_add(1))
            .ok_or_else(|| FilterError::semantic(pos, "array index out of range"))?;
        let p = self.bind(Param::Int(i64::from(index)), pos)?;
        Ok(Val::new(
            format!("({col})[{p}]"),
            ty,
            format!("element of {desc}"),
        ))
    }
}

/// The value type of a scalar field kind (array elements).
pub fn scalar_ty(kind: &FieldKind) -> Option<Ty> {
    match kind {
        FieldKind::Bool => Some(Ty::Bool),
        FieldKind::Int => Some(Ty::Int),
        FieldKind::Float => Some(Ty::Float),
        FieldKind::String => Some(Ty::Str),
        _ => None,
    }
}
