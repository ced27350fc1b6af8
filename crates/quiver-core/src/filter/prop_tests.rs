//! Property tests: no input panics, and generated well-typed expressions round-trip through
//! text and compile to SQL that references only schema columns, binds every literal as a
//! typed parameter, and never contains user text.

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::sample::select;

use super::ast::{ArithOp, CmpOp, Expr, ExprKind, LogicOp, PathElem};
use super::compile_tests::{static_schema, test_schema};
use super::*;

/// `cases` by default; `PROPTEST_CASES=n` scales every block for longer runs.
fn cfg(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Columns of [`test_schema`] that may appear quoted in SQL (vector `emb` never may).
const COLUMNS: &[&str] = &[
    "id", "age", "price", "name", "active", "tags", "nums", "meta", "$meta",
];

/// The column of the compiler's own divisor subquery (`dv."$divisor"`).
const DIVISOR: &str = "$divisor";

/// The only single-quoted SQL literals the compiler writes itself (plus `{t1,t2}` lists of
/// JSON type names, see [`own_literal`]).
const OWN_LITERALS: &[&str] = &["number", "string", "boolean", "null", "array", "true", "{}"];

fn own_literal(text: &str) -> bool {
    OWN_LITERALS.contains(&text)
        || text
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .is_some_and(|t| t.split(',').all(|w| ["number", "string", "boolean", "array", "null"].contains(&w)))
}

/// Operators the compiler may write, always as `OPERATOR(pg_catalog.op)`.
const OPERATORS: &[&str] = &[
    "=", "<>", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "#>", "#>>", "@>", "&&", "~~", "!~~",
];

/// Characters that would form an operator looked up through search_path.
const OPERATOR_CHARS: &str = "=<>!~+-*/%@&|#^?`";

/// Every user string generated below contains this character, and the compiler never
/// writes it, so its absence from SQL shows no user text was spliced in.
const SENTINEL: char = '~';

/// Checks the structural promises of compiled SQL; returns a description of the first
/// violation. Besides quoting and placeholders: every operator is `OPERATOR(pg_catalog.x)`,
/// every function is `pg_catalog.f(...)`, and with `alias` every column is `alias."col"`.
fn check_sql_in(c: &Compiled, first: usize, alias: Option<&str>) -> Result<(), String> {
    let chars: Vec<char> = c.sql.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let before = |i: usize, s: &str| {
        let n = s.chars().count();
        i >= n && chars[i - n..i].iter().collect::<String>() == s
    };
    let mut depth = 0i64;
    let mut seen = BTreeSet::new();
    let mut i = 0;
    while let Some(ch) = at(i) {
        match ch {
            '"' | '\'' => {
                let open = i;
                let mut text = String::new();
                i += 1;
                loop {
                    match at(i) {
                        None => return Err(format!("unterminated {ch} quote")),
                        Some(q) if q == ch && at(i + 1) == Some(ch) => {
                            text.push(ch);
                            i += 2;
                        }
                        Some(q) if q == ch => break,
                        Some(q) => {
                            text.push(q);
                            i += 1;
                        }
                    }
                }
                if ch == '"' && text == DIVISOR {
                    if !(before(open, "dv.") || before(open, "dv(")) {
                        return Err("the divisor column outside its subquery".into());
                    }
                } else if ch == '"' {
                    if !COLUMNS.contains(&text.as_str()) {
                        return Err(format!("identifier {text:?} is not a schema column"));
                    }
                    if let Some(a) = alias {
                        if !before(open, &format!("{a}.")) {
                            return Err(format!("column {text:?} is not qualified by {a}"));
                        }
                    }
                }
                if ch == '\'' && !own_literal(&text) {
                    return Err(format!("unexpected string literal {text:?}"));
                }
            }
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err("unbalanced )".into());
                }
            }
            'O' if chars[i..].iter().take(9).collect::<String>() == "OPERATOR(" => {
                let rest: String = chars[i + "OPERATOR(".len()..].iter().take_while(|&&c| c != ')').collect();
                let op = rest.strip_prefix("pg_catalog.").ok_or(format!("operator {rest} is not in pg_catalog"))?;
                if !OPERATORS.contains(&op) {
                    return Err(format!("unexpected operator {op}"));
                }
                i += "OPERATOR(".len() + rest.chars().count() + 1;
                continue;
            }
            'a'..='z' | '_' if !at(i.wrapping_sub(1)).is_some_and(|p| p.is_alphanumeric() || p == '_' || p == '$') => {
                let word: String = chars[i..].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == '_').collect();
                let end = i + word.chars().count();
                if at(end) == Some('(') && word != "dv" && !before(i, "pg_catalog.") {
                    return Err(format!("function {word} is not qualified by pg_catalog"));
                }
                i = end;
                continue;
            }
            '$' => {
                let start = i + 1;
                let mut end = start;
                while at(end).is_some_and(|d| d.is_ascii_digit()) {
                    end += 1;
                }
                let n: usize = chars[start..end]
                    .iter()
                    .collect::<String>()
                    .parse()
                    .map_err(|_| "bare $")?;
                let p = n
                    .checked_sub(first)
                    .and_then(|k| c.params.get(k))
                    .ok_or(format!("${n} has no parameter"))?;
                let cast: String = format!("::{}", p.sql_type());
                let after: String = chars[end..].iter().take(cast.len() + 1).collect();
                let exact = after.starts_with(&cast)
                    && !after[cast.len()..].starts_with(|c: char| c == '[' || c.is_alphanumeric());
                if !exact {
                    return Err(format!("${n} is not cast to {}: {after:?}", p.sql_type()));
                }
                seen.insert(n);
                i = end + cast.chars().count();
                continue;
            }
            ';' => return Err("semicolon".into()),
            c if c == SENTINEL => return Err("user text in SQL".into()),
            c if OPERATOR_CHARS.contains(c) => return Err(format!("bare operator character {c:?}")),
            _ => {}
        }
        i += 1;
    }
    if depth != 0 {
        return Err("unbalanced (".into());
    }
    let expected: BTreeSet<usize> = (first..first + c.params.len()).collect();
    if seen != expected {
        return Err(format!("placeholders {seen:?}, expected {expected:?}"));
    }
    Ok(())
}

fn check_sql(c: &Compiled, first: usize) -> Result<(), String> {
    check_sql_in(c, first, None)
}

// ---------------------------------------------------------------------------------------
// Well-typed expression generators
// ---------------------------------------------------------------------------------------

fn e(kind: ExprKind) -> Expr {
    Expr::new(kind, 0)
}

fn field(name: &str, path: Vec<PathElem>) -> Expr {
    e(ExprKind::Field {
        name: name.to_string(),
        path,
    })
}

fn call(name: &str, args: Vec<Expr>) -> Expr {
    e(ExprKind::Call {
        name: name.to_string(),
        args,
    })
}

fn arith((lhs, op, rhs): (Expr, ArithOp, Expr)) -> Expr {
    e(ExprKind::Arith {
        op,
        lhs: Box::new(lhs),
        rhs: Box::new(rhs),
    })
}

fn cmp((lhs, op, rhs): (Expr, CmpOp, Expr)) -> Expr {
    e(ExprKind::Cmp {
        op,
        lhs: Box::new(lhs),
        rhs: Box::new(rhs),
    })
}

fn is_literal(x: &Expr) -> bool {
    matches!(
        x.kind,
        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Str(_) | ExprKind::Bool(_)
    )
}

fn is_zero(x: &Expr) -> bool {
    matches!(x.kind, ExprKind::Int(0)) || matches!(x.kind, ExprKind::Float(z) if z == 0.0)
}

/// Text full of SQL and filter-language metacharacters, always with the sentinel.
fn user_string() -> impl Strategy<Value = String> {
    let piece = select(vec![
        "'", "\"", ";", "--", "/*", "\\", "$1", "a", "é", "\n", "\t", "\u{1}", " ", "(", ")", "%",
        "_", "{", "]",
    ]);
    prop::collection::vec(piece, 0..6).prop_map(|v| format!("{SENTINEL}{}", v.concat()))
}

fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
        select(vec![0.5, -2.25, 1e-7, 1e300, 3.0]),
    ]
}

fn str_lit() -> impl Strategy<Value = Expr> {
    user_string().prop_map(|s| e(ExprKind::Str(s)))
}

fn int_lit() -> impl Strategy<Value = Expr> {
    any::<i64>().prop_map(|v| e(ExprKind::Int(v)))
}

fn num_lit() -> impl Strategy<Value = Expr> {
    prop_oneof![int_lit(), finite_f64().prop_map(|v| e(ExprKind::Float(v)))]
}

fn any_lit() -> impl Strategy<Value = Expr> {
    prop_oneof![
        num_lit(),
        str_lit(),
        any::<bool>().prop_map(|b| e(ExprKind::Bool(b)))
    ]
}

fn cmp_op() -> impl Strategy<Value = CmpOp> {
    select(vec![
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
    ])
}

/// A JSON operand: a path into `meta`, a dynamic key, or a path under `$meta`.
fn json_value() -> BoxedStrategy<Expr> {
    let key = prop_oneof![
        user_string().prop_map(PathElem::Key),
        (0i64..5).prop_map(PathElem::Index)
    ];
    prop_oneof![
        prop::collection::vec(key.clone(), 1..3).prop_map(|p| field("meta", p)),
        (
            select(vec!["color", "size", "dyn_1"]),
            prop::collection::vec(key.clone(), 0..2)
        )
            .prop_map(|(n, p)| field(n, p)),
        prop::collection::vec(key, 1..2).prop_map(|p| field("$meta", p)),
    ]
    .boxed()
}

fn int_expr() -> BoxedStrategy<Expr> {
    let leaf = prop_oneof![
        int_lit(),
        select(vec!["id", "age"]).prop_map(|n| field(n, vec![])),
        (0i64..4).prop_map(|i| field("nums", vec![PathElem::Index(i)])),
        select(vec!["tags", "nums"]).prop_map(|n| call("array_length", vec![field(n, vec![])])),
    ];
    leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (
                inner.clone(),
                select(vec![ArithOp::Add, ArithOp::Sub, ArithOp::Mul]),
                inner.clone()
            )
                .prop_map(arith),
            (
                inner.clone(),
                select(vec![ArithOp::Div, ArithOp::Mod]),
                inner.clone().prop_filter("nonzero", |x| !is_zero(x))
            )
                .prop_map(arith),
            inner
                .prop_filter("not a literal", |x| !is_literal(x))
                .prop_map(|x| e(ExprKind::Neg(Box::new(x)))),
        ]
    })
    .boxed()
}

fn num_expr() -> BoxedStrategy<Expr> {
    let leaf = prop_oneof![
        int_expr(),
        finite_f64().prop_map(|v| e(ExprKind::Float(v))),
        Just(field("price", vec![])),
        json_value(),
    ];
    leaf.prop_recursive(2, 8, 2, |inner| {
        prop_oneof![
            (
                inner.clone(),
                select(vec![ArithOp::Add, ArithOp::Sub, ArithOp::Mul, ArithOp::Pow]),
                inner.clone()
            )
                .prop_map(arith),
            (
                inner.clone(),
                Just(ArithOp::Div),
                inner.clone().prop_filter("nonzero", |x| !is_zero(x))
            )
                .prop_map(arith),
            inner
                .prop_filter("not a literal", |x| !is_literal(x))
                .prop_map(|x| e(ExprKind::Neg(Box::new(x)))),
        ]
    })
    .boxed()
}

fn str_expr() -> BoxedStrategy<Expr> {
    prop_oneof![
        str_lit(),
        Just(field("name", vec![])),
        (0i64..3).prop_map(|i| field("tags", vec![PathElem::Index(i)])),
        json_value(),
    ]
    .boxed()
}

fn list_of(item: impl Strategy<Value = Expr>) -> impl Strategy<Value = Vec<Expr>> {
    prop::collection::vec(item, 0..4)
}

/// Leaf predicates covering every comparison, `in`, `like`, `is null` and function form.
fn predicate_leaf() -> BoxedStrategy<Expr> {
    let bool_atom = || {
        prop_oneof![
            Just(field("active", vec![])),
            any::<bool>().prop_map(|b| e(ExprKind::Bool(b)))
        ]
    };
    let contains = prop_oneof![
        (select(vec!["json_contains", "array_contains"]), str_lit())
            .prop_map(|(f, v)| call(f, vec![field("tags", vec![]), v])),
        (select(vec!["array_contains", "ARRAY_CONTAINS"]), num_lit())
            .prop_map(|(f, v)| call(f, vec![field("nums", vec![]), v])),
        (
            select(vec!["array_contains_all", "array_contains_any"]),
            list_of(str_lit())
        )
            .prop_map(|(f, v)| call(f, vec![field("tags", vec![]), e(ExprKind::List(v))])),
        (
            select(vec!["array_contains_all", "array_contains_any"]),
            list_of(num_lit())
        )
            .prop_map(|(f, v)| call(f, vec![field("nums", vec![]), e(ExprKind::List(v))])),
        (
            json_value(),
            select(vec!["json_contains", "array_contains"]),
            any_lit()
        )
            .prop_map(|(x, f, v)| call(f, vec![x, v])),
        (
            json_value(),
            select(vec!["json_contains_all", "json_contains_any"]),
            list_of(any_lit())
        )
            .prop_map(|(x, f, v)| call(f, vec![x, e(ExprKind::List(v))])),
    ];
    prop_oneof![
        (num_expr(), cmp_op(), num_expr()).prop_map(cmp),
        (str_expr(), cmp_op(), str_expr()).prop_map(cmp),
        (bool_atom(), select(vec![CmpOp::Eq, CmpOp::Ne]), bool_atom()).prop_map(cmp),
        (json_value(), cmp_op(), any_lit()).prop_map(cmp),
        (
            json_value(),
            select(vec![CmpOp::Eq, CmpOp::Ne]),
            list_of(any_lit())
        )
            .prop_map(|(x, op, l)| cmp((x, op, e(ExprKind::List(l))))),
        (num_expr(), list_of(num_lit()), any::<bool>()).prop_map(|(x, list, negated)| e(
            ExprKind::In {
                expr: Box::new(x),
                list,
                negated
            }
        )),
        (str_expr(), list_of(str_lit()), any::<bool>()).prop_map(|(x, list, negated)| e(
            ExprKind::In {
                expr: Box::new(x),
                list,
                negated
            }
        )),
        (json_value(), list_of(any_lit()), any::<bool>()).prop_map(|(x, list, negated)| e(
            ExprKind::In {
                expr: Box::new(x),
                list,
                negated
            }
        )),
        (
            str_expr().prop_filter("not a literal", |x| !is_literal(x)),
            user_string(),
            any::<bool>()
        )
            .prop_map(|(x, p, negated)| e(ExprKind::Like {
                expr: Box::new(x),
                pattern: format!("{p}%"),
                pattern_pos: 0,
                negated
            })),
        (
            prop_oneof![
                num_expr(),
                str_expr(),
                Just(field("tags", vec![])),
                Just(field("meta", vec![]))
            ],
            any::<bool>()
        )
            .prop_map(|(x, negated)| e(ExprKind::IsNull {
                expr: Box::new(x),
                negated
            })),
        contains,
        bool_atom(),
        json_value(),
    ]
    .boxed()
}

/// A well-typed boolean expression.
fn predicate() -> impl Strategy<Value = Expr> {
    predicate_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|x| e(ExprKind::Not(Box::new(x)))),
            (
                select(vec![LogicOp::And, LogicOp::Or]),
                prop::collection::vec(inner, 2..4)
            )
                .prop_map(|(op, terms)| e(ExprKind::Logic { op, terms })),
        ]
    })
}

/// Pieces of the language's vocabulary, to reach deeper parser states than random text.
fn token_soup() -> impl Strategy<Value = String> {
    let piece = select(vec![
        "age",
        "price",
        "name",
        "meta",
        "tags",
        "nums",
        "emb",
        "active",
        "color",
        "$meta",
        "[",
        "]",
        "(",
        ")",
        ",",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "+",
        "-",
        "*",
        "/",
        "%",
        "**",
        "and",
        "OR",
        "not",
        "in",
        "like",
        "is",
        "null",
        "true",
        "False",
        "&&",
        "||",
        "!",
        "0",
        "1",
        "-1",
        "2.5",
        "1e3",
        "'a'",
        "\"b\"",
        "'%'",
        "\"\\\\\"",
        "json_contains",
        "array_contains_all",
        "json_contains_any",
        "array_length",
        "[0]",
        "[\"k\"]",
        "9223372036854775808",
        "\\",
        "\"",
        "'",
        "=",
        ".",
        "é",
        "\\u00e9",
        "0x",
        "#",
    ]);
    (prop::collection::vec(piece, 0..30), any::<bool>())
        .prop_map(|(v, spaced)| v.join(if spaced { " " } else { "" }))
}

/// Compiles `s` against both schemas: must not panic; errors point inside the text;
/// successes satisfy [`check_sql`].
fn compile_anything(s: &str, first: usize) -> Result<(), TestCaseError> {
    let len = s.chars().count();
    for schema in [&test_schema() as &dyn Schema, &static_schema()] {
        match compile(s, schema, first) {
            Ok(c) => {
                check_sql(&c, first)
                    .map_err(|m| TestCaseError::fail(format!("{s:?} → {}: {m}", c.sql)))?;
            }
            Err(e) => prop_assert!(e.pos <= len, "{s:?}: {e}"),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(cfg(512))]

    #[test]
    fn arbitrary_text_never_panics(s in any::<String>(), first in 1usize..100) {
        compile_anything(&s, first)?;
    }

    #[test]
    fn token_soup_never_panics(s in token_soup(), first in 1usize..100) {
        compile_anything(&s, first)?;
    }

    #[test]
    fn well_typed_expressions_round_trip_and_compile(ast in predicate(), first in 1usize..1000) {
        let text = ast.to_string();
        let reparsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(reparsed.to_string(), text.clone());
        let c = compile(&text, &test_schema(), first).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        check_sql(&c, first).map_err(|m| TestCaseError::fail(format!("{text} → {}: {m}", c.sql)))?;
        // With a relation alias every column reference is qualified by it.
        let q = compile(&text, &test_schema().with_alias("t"), first).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        check_sql_in(&q, first, Some("t")).map_err(|m| TestCaseError::fail(format!("{text} → {}: {m}", q.sql)))?;
        // Compiling the tree directly gives the same result as compiling its text.
        prop_assert_eq!(compile_expr(&ast, &test_schema(), first), Ok(c));
    }
}

#[test]
fn checker_rejects_bad_sql() {
    let gt = "OPERATOR(pg_catalog.>)";
    let ok = Compiled {
        sql: format!("(\"age\" {gt} $1::bigint)"),
        params: vec![Param::Int(1)],
        dynamic_keys: vec![],
    };
    assert_eq!(check_sql(&ok, 1), Ok(()));
    let qualified = Compiled {
        sql: format!("(t.\"age\" {gt} pg_catalog.power($1::bigint, t.\"id\"))"),
        params: vec![Param::Int(1)],
        dynamic_keys: vec![],
    };
    assert_eq!(check_sql_in(&qualified, 1, Some("t")), Ok(()));
    let bad = [
        (format!("(\"agee\" {gt} $1::bigint)"), vec![Param::Int(1)]),
        (format!("(\"age\" {gt} $1::text)"), vec![Param::Int(1)]),
        (format!("(\"age\" {gt} $1::bigint[])"), vec![Param::Int(1)]),
        (format!("(\"age\" {gt} $1)"), vec![Param::Int(1)]),
        (format!("(\"age\" {gt} $2::bigint)"), vec![Param::Int(1)]),
        (format!("(\"age\" {gt} 'x')"), vec![]),
        (format!("(\"age\" {gt} $1::bigint"), vec![Param::Int(1)]),
        (format!("\"age\" {gt} $1::bigint; --"), vec![Param::Int(1)]),
        (format!("\"age\" {gt} $1::bigint"), vec![Param::Int(1), Param::Int(2)]),
        // operators and functions looked up through search_path
        ("(\"age\" > $1::bigint)".to_string(), vec![Param::Int(1)]),
        ("(\"age\" OPERATOR(public.>) $1::bigint)".to_string(), vec![Param::Int(1)]),
        ("(\"age\" OPERATOR(pg_catalog.||) $1::bigint)".to_string(), vec![Param::Int(1)]),
        (format!("(power(\"age\", 2) {gt} $1::bigint)"), vec![Param::Int(1)]),
        (format!("(\"age\" {gt} $1::pg_catalog.text)"), vec![Param::Int(1)]),
    ];
    for (sql, params) in bad {
        assert!(check_sql(&Compiled { sql: sql.clone(), params, dynamic_keys: vec![] }, 1).is_err(), "{sql}");
    }
    // an unqualified column where the relation has an alias
    let bare = Compiled {
        sql: format!("(t.\"age\" {gt} \"id\")"),
        params: vec![],
        dynamic_keys: vec![],
    };
    assert!(check_sql_in(&bare, 1, Some("t")).is_err());
}
