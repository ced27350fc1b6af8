//! Recursive-descent parser: tokens → [`Expr`].
//!
//! Precedence, loosest first:
//!
//! | level | operators | associativity |
//! |---|---|---|
//! | 1 | `or`, `\|\|` | n-ary (flattened) |
//! | 2 | `and`, `&&` | n-ary (flattened) |
//! | 3 | `not`, `!` (prefix) | right |
//! | 4 | `== != < <= > >=`, `in`, `not in`, `like`, `not like`, `is [not] null` | none (no chaining) |
//! | 5 | `+ -` | left |
//! | 6 | `* / %` | left |
//! | 7 | unary `-` (and `+` directly before a number) | right |
//! | 8 | `**` | right; its right operand may start with unary minus |
//! | 9 | literals, fields with `[..]` subscripts, calls, `( )`, `[ ]` lists | |
//!
//! So `not a == 1` is `not (a == 1)` and `-2 ** 2` is `-(2 ** 2)`. A minus directly before a
//! numeric literal folds into the literal, which is how `-9223372036854775808` is written.
//!
//! Recursion is bounded: every nesting construct (parentheses, lists, call arguments,
//! prefix operators, `**`) counts towards [`MAX_DEPTH`], and so does the height of every
//! node built, so neither parsing nor later tree walks can overflow the stack.

use super::ast::{ArithOp, CmpOp, Expr, ExprKind, LogicOp, PathElem};
use super::error::{FilterError, FilterResult};
use super::lexer::{describe, lex, Tok, Token};

/// Deepest allowed nesting of parentheses, lists, calls, prefix operators and sub-trees.
pub const MAX_DEPTH: usize = 64;

/// Longest accepted expression, in bytes of UTF-8.
pub const MAX_EXPR_LEN: usize = 64 * 1024;

/// Parses a filter expression into a syntax tree.
pub fn parse(src: &str) -> FilterResult<Expr> {
    if src.len() > MAX_EXPR_LEN {
        return Err(FilterError::limit(
            0,
            format!(
                "filter expression is too long ({} bytes; the limit is {MAX_EXPR_LEN})",
                src.len()
            ),
        ));
    }
    let chars: Vec<char> = src.chars().collect();
    let toks = lex(&chars)?;
    let placeholder = toks.iter().find_map(|t| match &t.tok {
        Tok::Placeholder(name) => Some((t.pos, name)),
        _ => None,
    });
    if let Some((pos, name)) = placeholder {
        return Err(FilterError::semantic(
            pos,
            format!("template placeholder {{{name}}} has no value: pass it in filter_params"),
        ));
    }
    let eof = Token {
        tok: Tok::Eof,
        pos: chars.len(),
        end: chars.len(),
    };
    let mut p = Parser {
        chars: &chars,
        toks,
        i: 0,
        depth: 0,
        eof,
    };
    if p.peek().tok == Tok::Eof {
        return Err(FilterError::syntax(0, "empty filter expression"));
    }
    let e = p.parse_or()?;
    let t = p.peek();
    if t.tok != Tok::Eof {
        return Err(p.unexpected(t));
    }
    Ok(e)
}

struct Parser<'a> {
    chars: &'a [char],
    toks: Vec<Token>,
    i: usize,
    depth: usize,
    eof: Token,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        self.toks.get(self.i).unwrap_or(&self.eof)
    }

    fn peek2(&self) -> &Token {
        self.toks.get(self.i + 1).unwrap_or(&self.eof)
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if self.i < self.toks.len() {
            self.i += 1;
        }
        t
    }

    fn unexpected(&self, t: &Token) -> FilterError {
        if t.tok == Tok::Eof {
            FilterError::syntax(t.pos, "unexpected end of expression")
        } else {
            FilterError::syntax(
                t.pos,
                format!("unexpected token {}", describe(self.chars, t)),
            )
        }
    }

    /// An "unexpected token" error with a hint of what was expected.
    fn expected(&self, what: &str) -> FilterError {
        let t = self.peek();
        let mut e = self.unexpected(t);
        e.message = format!("{}: expected {what}", e.message);
        e
    }

    fn expect(&mut self, tok: Tok, what: &str) -> FilterResult<Token> {
        if self.peek().tok == tok {
            Ok(self.bump())
        } else {
            Err(self.expected(what))
        }
    }

    /// Enters one nesting level opened by the token at `pos`.
    fn enter(&mut self, pos: usize) -> FilterResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(nested_too_deeply(pos));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Builds a node, enforcing the height limit.
    fn node(&self, kind: ExprKind, pos: usize) -> FilterResult<Expr> {
        let e = Expr::new(kind, pos);
        if e.depth() > MAX_DEPTH {
            return Err(nested_too_deeply(pos));
        }
        Ok(e)
    }

    fn parse_or(&mut self) -> FilterResult<Expr> {
        self.parse_logic(LogicOp::Or)
    }

    /// `term (op term)*` for `or` (terms are `and` chains) or `and` (terms are `not` level).
    fn parse_logic(&mut self, op: LogicOp) -> FilterResult<Expr> {
        let term = |p: &mut Self| match op {
            LogicOp::Or => p.parse_logic(LogicOp::And),
            LogicOp::And => p.parse_not(),
        };
        let is_op = |t: &Tok| match op {
            LogicOp::Or => matches!(t, Tok::Or | Tok::OrOr),
            LogicOp::And => matches!(t, Tok::And | Tok::AndAnd),
        };
        let first = term(self)?;
        if !is_op(&self.peek().tok) {
            return Ok(first);
        }
        let pos = self.peek().pos;
        let mut terms = vec![first];
        while is_op(&self.peek().tok) {
            self.bump();
            terms.push(term(self)?);
        }
        self.node(ExprKind::Logic { op, terms }, pos)
    }

    fn parse_not(&mut self) -> FilterResult<Expr> {
        if let Tok::Ident(word) = &self.peek().tok {
            // `exists meta["key"]` (Milvus's JSON key test): a call of `exists` on the path
            // that follows, unless the word is a field or a function named exists
            if word.eq_ignore_ascii_case("exists") && matches!(self.peek2().tok, Tok::Ident(_)) {
                let pos = self.bump().pos;
                let target = self.parse_unary()?;
                return self.node(ExprKind::Call { name: "exists".to_string(), args: vec![target] }, pos);
            }
        }
        if !matches!(self.peek().tok, Tok::Not | Tok::Bang) {
            return self.parse_cmp();
        }
        let pos = self.bump().pos;
        self.enter(pos)?;
        let inner = self.parse_not()?;
        self.leave();
        self.node(ExprKind::Not(Box::new(inner)), pos)
    }

    fn parse_cmp(&mut self) -> FilterResult<Expr> {
        let lhs = self.parse_add()?;
        let t = self.peek().clone();
        let op = match t.tok {
            Tok::Eq => CmpOp::Eq,
            Tok::Ne => CmpOp::Ne,
            Tok::Lt => CmpOp::Lt,
            Tok::Le => CmpOp::Le,
            Tok::Gt => CmpOp::Gt,
            Tok::Ge => CmpOp::Ge,
            Tok::In => {
                self.bump();
                return self.parse_in(lhs, t.pos, false);
            }
            Tok::Like => {
                self.bump();
                return self.parse_like(lhs, t.pos, false);
            }
            Tok::Not if self.peek2().tok == Tok::In => {
                self.bump();
                self.bump();
                return self.parse_in(lhs, t.pos, true);
            }
            Tok::Not if self.peek2().tok == Tok::Like => {
                self.bump();
                self.bump();
                return self.parse_like(lhs, t.pos, true);
            }
            Tok::Is => {
                self.bump();
                let negated = self.peek().tok == Tok::Not;
                if negated {
                    self.bump();
                }
                self.expect(Tok::Null, "null")?;
                return self.node(
                    ExprKind::IsNull {
                        expr: Box::new(lhs),
                        negated,
                    },
                    t.pos,
                );
            }
            _ => return Ok(lhs),
        };
        self.bump();
        let rhs = self.parse_add()?;
        self.node(
            ExprKind::Cmp {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            t.pos,
        )
    }

    fn parse_in(&mut self, lhs: Expr, pos: usize, negated: bool) -> FilterResult<Expr> {
        let open = self.expect(Tok::LBracket, "a list such as [1, 2] after in")?;
        let list = self.parse_list_items(open.pos)?;
        self.node(
            ExprKind::In {
                expr: Box::new(lhs),
                list,
                negated,
            },
            pos,
        )
    }

    fn parse_like(&mut self, lhs: Expr, pos: usize, negated: bool) -> FilterResult<Expr> {
        let t = self.peek().clone();
        let Tok::Str(pattern) = t.tok else {
            return Err(self.expected("a string pattern after like"));
        };
        self.bump();
        self.node(
            ExprKind::Like {
                expr: Box::new(lhs),
                pattern,
                pattern_pos: t.pos,
                negated,
            },
            pos,
        )
    }

    /// The items of a list whose `[` was just consumed, through the closing `]`. A trailing
    /// comma is allowed.
    fn parse_list_items(&mut self, open: usize) -> FilterResult<Vec<Expr>> {
        self.enter(open)?;
        let mut items = Vec::new();
        loop {
            if self.peek().tok == Tok::RBracket {
                self.bump();
                break;
            }
            items.push(self.parse_or()?);
            match self.peek().tok {
                Tok::Comma => {
                    self.bump();
                }
                Tok::RBracket => {
                    self.bump();
                    break;
                }
                _ => return Err(self.expected("\",\" or \"]\"")),
            }
        }
        self.leave();
        Ok(items)
    }

    /// `lhs (op rhs)*` for `+ -` (operands: the `* / %` level).
    fn parse_add(&mut self) -> FilterResult<Expr> {
        self.parse_arith(true)
    }

    /// `lhs (op rhs)*` at one precedence level: `+ -` when `additive` (operands: the `* / %`
    /// level), else `* / %` (operands: unary).
    fn parse_arith(&mut self, additive: bool) -> FilterResult<Expr> {
        let operand = |p: &mut Self| if additive { p.parse_arith(false) } else { p.parse_unary() };
        let mut lhs = operand(self)?;
        loop {
            let op = match (additive, &self.peek().tok) {
                (true, Tok::Plus) => ArithOp::Add,
                (true, Tok::Minus) => ArithOp::Sub,
                (false, Tok::Star) => ArithOp::Mul,
                (false, Tok::Slash) => ArithOp::Div,
                (false, Tok::Percent) => ArithOp::Mod,
                _ => return Ok(lhs),
            };
            let pos = self.bump().pos;
            let rhs = operand(self)?;
            lhs = self.node(
                ExprKind::Arith {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                pos,
            )?;
        }
    }

    fn parse_unary(&mut self) -> FilterResult<Expr> {
        match self.peek().tok {
            Tok::Minus => {
                let pos = self.bump().pos;
                if self.peek().tok == Tok::Int(1 << 63) && self.peek2().tok != Tok::Pow {
                    self.bump();
                    return self.node(ExprKind::Int(i64::MIN), pos);
                }
                self.enter(pos)?;
                let operand = self.parse_unary()?;
                self.leave();
                match operand.kind {
                    ExprKind::Int(v) => match v.checked_neg() {
                        Some(n) => self.node(ExprKind::Int(n), pos),
                        None => Err(FilterError::syntax(
                            operand.pos,
                            "integer literal out of range",
                        )),
                    },
                    ExprKind::Float(v) => self.node(ExprKind::Float(-v), pos),
                    _ => self.node(ExprKind::Neg(Box::new(operand)), pos),
                }
            }
            Tok::Plus if matches!(self.peek2().tok, Tok::Int(_) | Tok::Float(_)) => {
                let pos = self.bump().pos;
                let mut lit = self.parse_pow()?;
                if matches!(lit.kind, ExprKind::Int(_) | ExprKind::Float(_)) {
                    lit.pos = pos;
                }
                Ok(lit)
            }
            _ => self.parse_pow(),
        }
    }

    fn parse_pow(&mut self) -> FilterResult<Expr> {
        let base = self.parse_primary()?;
        if self.peek().tok != Tok::Pow {
            return Ok(base);
        }
        let pos = self.bump().pos;
        self.enter(pos)?;
        let exp = self.parse_unary()?;
        self.leave();
        self.node(
            ExprKind::Arith {
                op: ArithOp::Pow,
                lhs: Box::new(base),
                rhs: Box::new(exp),
            },
            pos,
        )
    }

    fn parse_primary(&mut self) -> FilterResult<Expr> {
        let t = self.peek().clone();
        let kind = match t.tok {
            Tok::Int(v) => {
                let v = i64::try_from(v)
                    .map_err(|_| FilterError::syntax(t.pos, "integer literal out of range"))?;
                ExprKind::Int(v)
            }
            Tok::Float(v) => ExprKind::Float(v),
            Tok::Str(s) => ExprKind::Str(s),
            Tok::True => ExprKind::Bool(true),
            Tok::False => ExprKind::Bool(false),
            Tok::Ident(name) => {
                self.bump();
                if self.peek().tok == Tok::LParen {
                    let open = self.bump().pos;
                    let args = self.parse_args(open)?;
                    return self.node(ExprKind::Call { name, args }, t.pos);
                }
                let path = self.parse_path()?;
                return self.node(ExprKind::Field { name, path }, t.pos);
            }
            Tok::LParen => {
                self.bump();
                self.enter(t.pos)?;
                let e = self.parse_or()?;
                self.leave();
                self.expect(Tok::RParen, "\")\"")?;
                return Ok(e);
            }
            Tok::LBracket => {
                self.bump();
                let items = self.parse_list_items(t.pos)?;
                return self.node(ExprKind::List(items), t.pos);
            }
            _ => return Err(self.unexpected(&t)),
        };
        self.bump();
        self.node(kind, t.pos)
    }

    /// Call arguments after `(`, through `)`.
    fn parse_args(&mut self, open: usize) -> FilterResult<Vec<Expr>> {
        self.enter(open)?;
        let mut args = Vec::new();
        if self.peek().tok == Tok::RParen {
            self.bump();
        } else {
            loop {
                args.push(self.parse_or()?);
                match self.peek().tok {
                    Tok::Comma => {
                        self.bump();
                    }
                    Tok::RParen => {
                        self.bump();
                        break;
                    }
                    _ => return Err(self.expected("\",\" or \")\"")),
                }
            }
        }
        self.leave();
        Ok(args)
    }

    /// Zero or more `["key"]` / `[index]` subscripts.
    fn parse_path(&mut self) -> FilterResult<Vec<PathElem>> {
        let mut path = Vec::new();
        while self.peek().tok == Tok::LBracket {
            self.bump();
            let t = self.peek().clone();
            let elem = match t.tok {
                Tok::Str(k) => PathElem::Key(k),
                Tok::Int(i) => PathElem::Index(
                    i64::try_from(i)
                        .map_err(|_| FilterError::syntax(t.pos, "integer literal out of range"))?,
                ),
                _ => return Err(self.expected("a string key or a non-negative integer index")),
            };
            self.bump();
            self.expect(Tok::RBracket, "\"]\"")?;
            path.push(elem);
        }
        Ok(path)
    }
}

fn nested_too_deeply(pos: usize) -> FilterError {
    FilterError::limit(
        pos,
        format!("filter expression is nested too deeply (the limit is {MAX_DEPTH} levels)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses and renders back in canonical (fully parenthesised) form.
    fn canon(s: &str) -> String {
        match parse(s) {
            Ok(e) => e.to_string(),
            Err(e) => panic!("{s}: {e}"),
        }
    }

    fn err(s: &str) -> String {
        parse(s).unwrap_err().to_string()
    }

    #[test]
    fn precedence() {
        assert_eq!(canon("a or b and c"), "(a or (b and c))");
        assert_eq!(canon("a and b or c and d"), "((a and b) or (c and d))");
        assert_eq!(canon("not a and b"), "((not a) and b)");
        assert_eq!(canon("not a == 1"), "(not (a == 1))");
        assert_eq!(canon("!a || !!b"), "((not a) or (not (not b)))");
        assert_eq!(canon("a + b * c == d"), "((a + (b * c)) == d)");
        assert_eq!(canon("a * b + c % d"), "((a * b) + (c % d))");
        assert_eq!(canon("-a ** 2"), "(-(a ** 2))");
        assert_eq!(canon("-2 ** 2"), "(-(2 ** 2))");
        assert_eq!(canon("2 ** -x"), "(2 ** (-x))");
        assert_eq!(canon("a + 1 in [1, 2]"), "((a + 1) in [1, 2])");
        assert_eq!(canon("x > 1 && y < 2"), "((x > 1) and (y < 2))");
    }

    #[test]
    fn associativity() {
        assert_eq!(canon("a - b - c"), "((a - b) - c)");
        assert_eq!(canon("a / b / c"), "((a / b) / c)");
        assert_eq!(canon("a ** b ** c"), "(a ** (b ** c))");
        assert_eq!(canon("a and b and c and d"), "(a and b and c and d)");
        assert_eq!(canon("a or b || c"), "(a or b or c)");
        assert_eq!(canon("(a or b) or c"), "((a or b) or c)");
        assert_eq!(canon("- - 5"), "5");
    }

    #[test]
    fn literals() {
        assert_eq!(
            canon("x == -9223372036854775808"),
            "(x == (-9223372036854775808))"
        );
        assert_eq!(
            canon("x == +5 and y == -1.5e3"),
            "((x == 5) and (y == (-1500.0)))"
        );
        assert_eq!(
            canon(r#"s == 'it\'s' or t == "\u00e9""#),
            r#"((s == "it's") or (t == "é"))"#
        );
        assert_eq!(
            canon("b == TRUE or b == False"),
            "((b == true) or (b == false))"
        );
        assert_eq!(canon("x in []"), "(x in [])");
        assert_eq!(
            canon("x in [1, -2, 3.5, 'a', true,]"),
            r#"(x in [1, (-2), 3.5, "a", true])"#
        );
    }

    #[test]
    fn postfix_and_calls() {
        assert_eq!(
            canon(r#"meta["a"]['b'][0] > 1"#),
            r#"(meta["a"]["b"][0] > 1)"#
        );
        assert_eq!(
            canon("json_contains(tags, 'x')"),
            r#"json_contains(tags, "x")"#
        );
        assert_eq!(canon("f()"), "f()");
        assert_eq!(
            canon("x not in [1] and y not like 'a%' and z is not null and w IS NULL"),
            r#"((x not in [1]) and (y not like "a%") and (z is not null) and (w is null))"#
        );
        assert_eq!(canon("x LIKE \"a_\""), r#"(x like "a_")"#);
    }

    #[test]
    fn positions() {
        let e = parse("age >= 18 and name like 'x'").unwrap();
        assert_eq!(e.pos, 10);
        let ExprKind::Logic { terms, .. } = &e.kind else {
            panic!()
        };
        assert_eq!(terms[0].pos, 4);
        assert_eq!(terms[1].pos, 19);
        let e = parse("  -5").unwrap();
        assert_eq!(e.pos, 2);
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(
            err("age >= 18 and )"),
            "filter syntax error at position 14: unexpected token \")\""
        );
        assert_eq!(
            err("(age >= 18"),
            "filter syntax error at position 10: unexpected end of expression: expected \")\""
        );
        assert_eq!(
            err("age >= "),
            "filter syntax error at position 7: unexpected end of expression"
        );
        assert_eq!(
            err(""),
            "filter syntax error at position 0: empty filter expression"
        );
        assert_eq!(
            err("   "),
            "filter syntax error at position 0: empty filter expression"
        );
        assert_eq!(
            err("a < b < c"),
            "filter syntax error at position 6: unexpected token \"<\""
        );
        assert_eq!(
            err("a b"),
            "filter syntax error at position 2: unexpected token \"b\""
        );
        assert_eq!(err("a in 1"), "filter syntax error at position 5: unexpected token \"1\": expected a list such as [1, 2] after in");
        assert_eq!(err("a like b"), "filter syntax error at position 7: unexpected token \"b\": expected a string pattern after like");
        assert_eq!(
            err("a is 1"),
            "filter syntax error at position 5: unexpected token \"1\": expected null"
        );
        assert_eq!(err("a[-1] > 0"), "filter syntax error at position 2: unexpected token \"-\": expected a string key or a non-negative integer index");
        assert_eq!(
            err("a['k' > 0"),
            "filter syntax error at position 6: unexpected token \">\": expected \"]\""
        );
        assert_eq!(
            err("x in [1 2]"),
            "filter syntax error at position 8: unexpected token \"2\": expected \",\" or \"]\""
        );
        assert_eq!(
            err("f(1 2)"),
            "filter syntax error at position 4: unexpected token \"2\": expected \",\" or \")\""
        );
        assert_eq!(
            err("x in [,]"),
            "filter syntax error at position 6: unexpected token \",\""
        );
        assert_eq!(
            err("x == 9223372036854775808"),
            "filter syntax error at position 5: integer literal out of range"
        );
        assert_eq!(
            err("x == -(9223372036854775808)"),
            "filter syntax error at position 7: integer literal out of range"
        );
        assert_eq!(
            err("a not b"),
            "filter syntax error at position 2: unexpected token \"not\""
        );
        assert_eq!(
            err("null"),
            "filter syntax error at position 0: unexpected token \"null\""
        );
        assert_eq!(err("x == 'abc' 'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz'"),
            "filter syntax error at position 11: unexpected token \"'abcdefghijklmnopqrstuvwxyzabcdefghijklm…\"");
    }

    #[test]
    fn limits() {
        let deep = format!("{}a{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&deep).is_ok());
        let too_deep = format!(
            "{}a{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(
            parse(&too_deep).unwrap_err().to_string(),
            "filter error at position 64: filter expression is nested too deeply (the limit is 64 levels)"
        );
        // Long flat chains are fine; long left-deep arithmetic chains are not.
        let chain = vec!["a == 1"; 5000].join(" or ");
        assert!(parse(&chain).is_ok());
        let arith = format!("{} > 0", vec!["a"; 100].join(" + "));
        assert!(parse(&arith)
            .unwrap_err()
            .message
            .contains("nested too deeply"));
        for s in [
            "-".repeat(10_000),
            "not ".repeat(10_000),
            "[".repeat(10_000),
            "f(".repeat(10_000),
            "2**".repeat(10_000),
        ] {
            let e = parse(&s).unwrap_err();
            assert!(e.message.contains("nested too deeply"), "{}", e);
        }
        let long = format!("a == '{}'", "x".repeat(MAX_EXPR_LEN));
        assert_eq!(
            parse(&long).unwrap_err().to_string(),
            "filter error at position 0: filter expression is too long (65543 bytes; the limit is 65536)"
        );
    }
}
