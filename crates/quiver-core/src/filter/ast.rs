//! Syntax tree of a filter expression, and its canonical text form.
//!
//! `Display` renders an expression fully parenthesised in the filter language itself;
//! parsing that text gives back an expression with the same rendering (used by the
//! round-trip property tests and handy in messages and logs).

use std::fmt;

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
}

impl ArithOp {
    /// The operator as written in the filter language.
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Mod => "%",
            ArithOp::Pow => "**",
        }
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// The operator as written in the filter language.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// The PostgreSQL operator.
    pub fn sql(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// The operator with its operands swapped: `a < b` is `b > a`.
    pub fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Eq => CmpOp::Eq,
            CmpOp::Ne => CmpOp::Ne,
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
        }
    }
}

/// `and` / `or`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogicOp {
    And,
    Or,
}

/// One step of a JSON path or array subscript: `["key"]` or `[3]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathElem {
    Key(String),
    /// A non-negative, 0-based index.
    Index(i64),
}

/// An expression node. `pos` is the character offset errors about this node point at:
/// the operator for operator nodes, the first character otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub pos: usize,
    depth: usize,
}

/// The node kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    /// `[a, b, ...]`
    List(Vec<Expr>),
    /// A field name with an optional JSON path / array subscript: `meta["a"][0]`.
    Field {
        name: String,
        path: Vec<PathElem>,
    },
    /// `name(args...)`; `name` as written.
    Call {
        name: String,
        args: Vec<Expr>,
    },
    /// Unary minus.
    Neg(Box<Expr>),
    /// `not x` / `!x`.
    Not(Box<Expr>),
    Arith {
        op: ArithOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Cmp {
        op: CmpOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// Two or more terms joined by the same operator (chains are flattened).
    Logic {
        op: LogicOp,
        terms: Vec<Expr>,
    },
    /// `x in [..]` / `x not in [..]`.
    In {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    /// `x like "pattern"` / `x not like "pattern"`; `pattern_pos` locates the pattern.
    Like {
        expr: Box<Expr>,
        pattern: String,
        pattern_pos: usize,
        negated: bool,
    },
    /// `x is null` / `x is not null`.
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
}

impl Expr {
    /// A node at `pos`; its depth is computed from its children.
    pub fn new(kind: ExprKind, pos: usize) -> Expr {
        let depth = 1 + kind.children().iter().map(|c| c.depth).max().unwrap_or(0);
        Expr { kind, pos, depth }
    }

    /// Height of the tree rooted here (a leaf has depth 1).
    pub fn depth(&self) -> usize {
        self.depth
    }
}

impl ExprKind {
    /// The direct sub-expressions.
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Str(_) | ExprKind::Bool(_) => vec![],
            ExprKind::Field { .. } => vec![],
            ExprKind::List(v)
            | ExprKind::Call { args: v, .. }
            | ExprKind::Logic { terms: v, .. } => v.iter().collect(),
            ExprKind::Neg(e)
            | ExprKind::Not(e)
            | ExprKind::Like { expr: e, .. }
            | ExprKind::IsNull { expr: e, .. } => {
                vec![e]
            }
            ExprKind::Arith { lhs, rhs, .. } | ExprKind::Cmp { lhs, rhs, .. } => vec![lhs, rhs],
            ExprKind::In { expr, list, .. } => std::iter::once(&**expr).chain(list).collect(),
        }
    }
}

/// Writes `s` as a double-quoted filter-language string literal.
pub fn write_str_literal(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            c if (c as u32) < 0x20 || c == '\u{7f}' => write!(f, "\\u{:04x}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

fn write_list(f: &mut fmt::Formatter<'_>, items: &[Expr]) -> fmt::Result {
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{e}")?;
    }
    Ok(())
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Int(v) if *v < 0 => write!(f, "({v})"),
            ExprKind::Int(v) => write!(f, "{v}"),
            ExprKind::Float(v) if v.is_sign_negative() => write!(f, "({v:?})"),
            ExprKind::Float(v) => write!(f, "{v:?}"),
            ExprKind::Str(s) => write_str_literal(f, s),
            ExprKind::Bool(b) => write!(f, "{b}"),
            ExprKind::List(items) => {
                f.write_str("[")?;
                write_list(f, items)?;
                f.write_str("]")
            }
            ExprKind::Field { name, path } => {
                f.write_str(name)?;
                for p in path {
                    match p {
                        PathElem::Key(k) => {
                            f.write_str("[")?;
                            write_str_literal(f, k)?;
                            f.write_str("]")?;
                        }
                        PathElem::Index(i) => write!(f, "[{i}]")?,
                    }
                }
                Ok(())
            }
            ExprKind::Call { name, args } => {
                write!(f, "{name}(")?;
                write_list(f, args)?;
                f.write_str(")")
            }
            ExprKind::Neg(e) => write!(f, "(-{e})"),
            ExprKind::Not(e) => write!(f, "(not {e})"),
            ExprKind::Arith { op, lhs, rhs } => write!(f, "({lhs} {} {rhs})", op.symbol()),
            ExprKind::Cmp { op, lhs, rhs } => write!(f, "({lhs} {} {rhs})", op.symbol()),
            ExprKind::Logic { op, terms } => {
                let sep = match op {
                    LogicOp::And => " and ",
                    LogicOp::Or => " or ",
                };
                f.write_str("(")?;
                for (i, t) in terms.iter().enumerate() {
                    if i > 0 {
                        f.write_str(sep)?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str(")")
            }
            ExprKind::In {
                expr,
                list,
                negated,
            } => {
                write!(f, "({expr} {}in [", if *negated { "not " } else { "" })?;
                write_list(f, list)?;
                f.write_str("])")
            }
            ExprKind::Like {
                expr,
                pattern,
                negated,
                ..
            } => {
                write!(f, "({expr} {}like ", if *negated { "not " } else { "" })?;
                write_str_literal(f, pattern)?;
                f.write_str(")")
            }
            ExprKind::IsNull { expr, negated } => {
                write!(f, "({expr} is {}null)", if *negated { "not " } else { "" })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(kind: ExprKind) -> Expr {
        Expr::new(kind, 0)
    }

    #[test]
    fn depth_and_display() {
        let field = leaf(ExprKind::Field {
            name: "meta".into(),
            path: vec![PathElem::Key("a\"b".into()), PathElem::Index(2)],
        });
        let cmp = Expr::new(
            ExprKind::Cmp {
                op: CmpOp::Ge,
                lhs: Box::new(field),
                rhs: Box::new(leaf(ExprKind::Int(-3))),
            },
            0,
        );
        let not = Expr::new(ExprKind::Not(Box::new(cmp)), 0);
        assert_eq!(not.depth(), 3);
        assert_eq!(not.to_string(), r#"(not (meta["a\"b"][2] >= (-3)))"#);
        let s = leaf(ExprKind::Str("x\n\u{1}\\".into()));
        assert_eq!(s.to_string(), r#""x\n\u0001\\""#);
        assert_eq!(leaf(ExprKind::Float(-0.0)).to_string(), "(-0.0)");
        assert_eq!(leaf(ExprKind::Float(1e20)).to_string(), "1e20");
    }

    #[test]
    fn flipped_operators() {
        for op in [
            CmpOp::Eq,
            CmpOp::Ne,
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
        ] {
            assert_eq!(op.flipped().flipped(), op);
        }
        assert_eq!(CmpOp::Lt.flipped(), CmpOp::Gt);
    }
}
