//! Unit tests of the compiler: exact SQL and parameters per construct, and every error
//! class with its position and wording.
//!
//! The SQL shapes asserted here were also executed against PostgreSQL 15 (prepared with
//! untyped parameters, on `smallint[]` / `varchar` / `real` columns) when they were written.

use super::*;
use Param::*;

/// fields id Int, age Int, price Float, name String, active Bool, tags Array(String),
/// nums Array(Int), meta Json, emb Vector; dynamic column "$meta".
pub fn test_schema() -> StaticSchema {
    static_schema().with_dynamic("$meta")
}

/// [`test_schema`] without the dynamic field.
pub fn static_schema() -> StaticSchema {
    StaticSchema::default()
        .with("id", FieldKind::Int)
        .with("age", FieldKind::Int)
        .with("price", FieldKind::Float)
        .with("name", FieldKind::String)
        .with("active", FieldKind::Bool)
        .with("tags", FieldKind::Array(Box::new(FieldKind::String)))
        .with("nums", FieldKind::Array(Box::new(FieldKind::Int)))
        .with("meta", FieldKind::Json)
        .with("emb", FieldKind::Vector)
}

#[track_caller]
fn check(expr: &str, sql: &str, params: &[Param]) {
    match compile(expr, &test_schema(), 1) {
        Ok(c) => {
            assert_eq!(c.sql, sql, "SQL of {expr}");
            assert_eq!(c.params, params, "params of {expr}");
        }
        Err(e) => panic!("{expr}: {e}"),
    }
}

#[track_caller]
fn sql(expr: &str) -> String {
    match compile(expr, &test_schema(), 1) {
        Ok(c) => c.sql,
        Err(e) => panic!("{expr}: {e}"),
    }
}

#[track_caller]
fn err_in(schema: &dyn Schema, expr: &str) -> String {
    match compile(expr, schema, 1) {
        Ok(c) => panic!("{expr} compiled to {}", c.sql),
        Err(e) => e.to_string(),
    }
}

#[track_caller]
fn err(expr: &str) -> String {
    err_in(&test_schema(), expr)
}

fn path(keys: &[&str]) -> Param {
    TextArray(keys.iter().map(|k| k.to_string()).collect())
}

/// `("meta" #> $n::text[])`
fn m(n: usize) -> String {
    format!("(\"meta\" OPERATOR(pg_catalog.#>) ${n}::pg_catalog.text[])")
}

#[test]
fn spec_example() {
    check(
        r#"age >= 18 and name in ["Paris", "Rome"] and not (meta["tier"] == "gold")"#,
        r#"(("age" OPERATOR(pg_catalog.>=) $1::bigint) AND ("name" OPERATOR(pg_catalog.=) ANY($2::pg_catalog.text[])) AND (NOT COALESCE((("meta" OPERATOR(pg_catalog.#>) $3::pg_catalog.text[]) OPERATOR(pg_catalog.=) $4::pg_catalog.jsonb), false)))"#,
        &[
            Int(18),
            TextArray(vec!["Paris".into(), "Rome".into()]),
            path(&["tier"]),
            Json("\"gold\"".into()),
        ],
    );
}

#[test]
fn comparisons_on_typed_fields() {
    check("age == 5", r#"("age" OPERATOR(pg_catalog.=) $1::bigint)"#, &[Int(5)]);
    check("age != 5", r#"("age" OPERATOR(pg_catalog.<>) $1::bigint)"#, &[Int(5)]);
    check("age < 5", r#"("age" OPERATOR(pg_catalog.<) $1::bigint)"#, &[Int(5)]);
    check("age <= -5", r#"("age" OPERATOR(pg_catalog.<=) $1::bigint)"#, &[Int(-5)]);
    check("age > 5", r#"("age" OPERATOR(pg_catalog.>) $1::bigint)"#, &[Int(5)]);
    check("age >= 5", r#"("age" OPERATOR(pg_catalog.>=) $1::bigint)"#, &[Int(5)]);
    check(
        "price > 1.5e2",
        r#"("price" OPERATOR(pg_catalog.>) $1::double precision)"#,
        &[Float(150.0)],
    );
    check(
        "age < 2.5",
        r#"("age" OPERATOR(pg_catalog.<) $1::double precision)"#,
        &[Float(2.5)],
    );
    check("price >= 3", r#"("price" OPERATOR(pg_catalog.>=) $1::bigint)"#, &[Int(3)]);
    check("name == 'x'", r#"("name" OPERATOR(pg_catalog.=) $1::pg_catalog.text)"#, &[Text("x".into())]);
    check(
        "name < \"b\"",
        r#"("name" OPERATOR(pg_catalog.<) $1::pg_catalog.text)"#,
        &[Text("b".into())],
    );
    check(
        "active == true",
        r#"("active" OPERATOR(pg_catalog.=) $1::boolean)"#,
        &[Bool(true)],
    );
    check(
        "active != False",
        r#"("active" OPERATOR(pg_catalog.<>) $1::boolean)"#,
        &[Bool(false)],
    );
    check("5 < age", r#"($1::bigint OPERATOR(pg_catalog.<) "age")"#, &[Int(5)]);
    check("age == id", r#"("age" OPERATOR(pg_catalog.=) "id")"#, &[]);
    check("age < price", r#"("age" OPERATOR(pg_catalog.<) "price")"#, &[]);
    check(
        "1 < 2.5",
        "($1::bigint OPERATOR(pg_catalog.<) $2::double precision)",
        &[Int(1), Float(2.5)],
    );
    check(
        "'a' == 'b'",
        "($1::pg_catalog.text OPERATOR(pg_catalog.=) $2::pg_catalog.text)",
        &[Text("a".into()), Text("b".into())],
    );
    check(
        "(age > 5) == false",
        r#"(("age" OPERATOR(pg_catalog.>) $1::bigint) OPERATOR(pg_catalog.=) $2::boolean)"#,
        &[Int(5), Bool(false)],
    );
    check(
        "age == -9223372036854775808",
        r#"("age" OPERATOR(pg_catalog.=) $1::bigint)"#,
        &[Int(i64::MIN)],
    );
}

#[test]
fn first_param_offset() {
    let c = compile("age > 1 and name == 'x'", &test_schema(), 7).unwrap();
    assert_eq!(c.sql, r#"(("age" OPERATOR(pg_catalog.>) $7::bigint) AND ("name" OPERATOR(pg_catalog.=) $8::pg_catalog.text))"#);
    assert_eq!(c.params, vec![Int(1), Text("x".into())]);
}

#[test]
fn arithmetic() {
    check(
        "price * 0.9 < 100",
        r#"(("price" OPERATOR(pg_catalog.*) $1::double precision) OPERATOR(pg_catalog.<) $2::bigint)"#,
        &[Float(0.9), Int(100)],
    );
    check(
        "id % 2 == 0",
        r#"(("id" OPERATOR(pg_catalog.%) $1::bigint) OPERATOR(pg_catalog.=) $2::bigint)"#,
        &[Int(2), Int(0)],
    );
    check(
        "age + 1 > 2",
        r#"(("age" OPERATOR(pg_catalog.+) $1::bigint) OPERATOR(pg_catalog.>) $2::bigint)"#,
        &[Int(1), Int(2)],
    );
    check(
        "age - id > 0",
        r#"(("age" OPERATOR(pg_catalog.-) "id") OPERATOR(pg_catalog.>) $1::bigint)"#,
        &[Int(0)],
    );
    check(
        "age / 2 == 1",
        r#"(("age" OPERATOR(pg_catalog./) $1::bigint) OPERATOR(pg_catalog.=) $2::bigint)"#,
        &[Int(2), Int(1)],
    );
    check(
        "age / id == 1",
        r#"((SELECT "age" OPERATOR(pg_catalog./) dv."$divisor" FROM (SELECT "id") AS dv("$divisor") WHERE dv."$divisor" OPERATOR(pg_catalog.<>) 0) OPERATOR(pg_catalog.=) $1::bigint)"#,
        &[Int(1)],
    );
    check(
        "age % id == 1",
        r#"((SELECT "age" OPERATOR(pg_catalog.%) dv."$divisor" FROM (SELECT "id") AS dv("$divisor") WHERE dv."$divisor" OPERATOR(pg_catalog.<>) 0) OPERATOR(pg_catalog.=) $1::bigint)"#,
        &[Int(1)],
    );
    check(
        "2 ** age > 100",
        r#"(pg_catalog.power($1::bigint, "age") OPERATOR(pg_catalog.>) $2::bigint)"#,
        &[Int(2), Int(100)],
    );
    check("-age < 5", r#"((OPERATOR(pg_catalog.-) "age") OPERATOR(pg_catalog.<) $1::bigint)"#, &[Int(5)]);
    check("- -age < 5", r#"((OPERATOR(pg_catalog.-) (OPERATOR(pg_catalog.-) "age")) OPERATOR(pg_catalog.<) $1::bigint)"#, &[Int(5)]);
    check(
        "price - -1.5 > 0",
        r#"(("price" OPERATOR(pg_catalog.-) $1::double precision) OPERATOR(pg_catalog.>) $2::bigint)"#,
        &[Float(-1.5), Int(0)],
    );
    // * binds tighter than +, ** tighter than unary minus, and ** is right-associative.
    check(
        "age + id * 2 > 0",
        r#"(("age" OPERATOR(pg_catalog.+) ("id" OPERATOR(pg_catalog.*) $1::bigint)) OPERATOR(pg_catalog.>) $2::bigint)"#,
        &[Int(2), Int(0)],
    );
    check(
        "-age ** 2 < 0",
        r#"((OPERATOR(pg_catalog.-) pg_catalog.power("age", $1::bigint)) OPERATOR(pg_catalog.<) $2::bigint)"#,
        &[Int(2), Int(0)],
    );
    check(
        "age ** 2 ** id > 0",
        r#"(pg_catalog.power("age", pg_catalog.power($1::bigint, "id")) OPERATOR(pg_catalog.>) $2::bigint)"#,
        &[Int(2), Int(0)],
    );
    check(
        "age - id - 1 > 0",
        r#"((("age" OPERATOR(pg_catalog.-) "id") OPERATOR(pg_catalog.-) $1::bigint) OPERATOR(pg_catalog.>) $2::bigint)"#,
        &[Int(1), Int(0)],
    );
    check(
        "(age + id) * 2 > 0",
        r#"((("age" OPERATOR(pg_catalog.+) "id") OPERATOR(pg_catalog.*) $1::bigint) OPERATOR(pg_catalog.>) $2::bigint)"#,
        &[Int(2), Int(0)],
    );
    check(
        "price / 2.5 > 1",
        r#"(("price" OPERATOR(pg_catalog./) $1::double precision) OPERATOR(pg_catalog.>) $2::bigint)"#,
        &[Float(2.5), Int(1)],
    );
    check(
        "array_length(nums) * 2 > 1",
        r#"((pg_catalog.cardinality("nums") OPERATOR(pg_catalog.*) $1::bigint) OPERATOR(pg_catalog.>) $2::bigint)"#,
        &[Int(2), Int(1)],
    );
}

#[test]
fn logic_precedence_and_not() {
    check(
        "age > 1 or age < 0 and active",
        r#"(("age" OPERATOR(pg_catalog.>) $1::bigint) OR (("age" OPERATOR(pg_catalog.<) $2::bigint) AND "active"))"#,
        &[Int(1), Int(0)],
    );
    check(
        "(age > 1 or age < 0) and active",
        r#"((("age" OPERATOR(pg_catalog.>) $1::bigint) OR ("age" OPERATOR(pg_catalog.<) $2::bigint)) AND "active")"#,
        &[Int(1), Int(0)],
    );
    check(
        "not age > 1",
        r#"(NOT COALESCE(("age" OPERATOR(pg_catalog.>) $1::bigint), false))"#,
        &[Int(1)],
    );
    check(
        "not active and age > 1",
        r#"((NOT COALESCE("active", false)) AND ("age" OPERATOR(pg_catalog.>) $1::bigint))"#,
        &[Int(1)],
    );
    check(
        "!active || !!active",
        r#"((NOT COALESCE("active", false)) OR (NOT COALESCE((NOT COALESCE("active", false)), false)))"#,
        &[],
    );
    check(
        "active && age == 1 && id == 2",
        r#"("active" AND ("age" OPERATOR(pg_catalog.=) $1::bigint) AND ("id" OPERATOR(pg_catalog.=) $2::bigint))"#,
        &[Int(1), Int(2)],
    );
    check("active", r#""active""#, &[]);
    check("true", "$1::boolean", &[Bool(true)]);
    check(
        "not false",
        "(NOT COALESCE($1::boolean, false))",
        &[Bool(false)],
    );
}

#[test]
fn keywords_are_case_insensitive() {
    let lower = sql("age in [1] and not name like 'a' or age is null and active == true");
    for variant in [
        "age IN [1] AND NOT name LIKE 'a' OR age IS NULL AND active == TRUE",
        "age In [1] And Not name Like 'a' Or age Is Null And active == True",
    ] {
        assert_eq!(sql(variant), lower, "{variant}");
    }
    assert_eq!(sql("age NOT IN [1]"), sql("age not in [1]"));
    assert_eq!(sql("age IS NOT NULL"), sql("age is not null"));
    assert_eq!(sql("JSON_CONTAINS(meta, 1)"), sql("json_contains(meta, 1)"));
}

#[test]
fn in_lists() {
    check(
        "age in [1, 2]",
        r#"("age" OPERATOR(pg_catalog.=) ANY($1::bigint[]))"#,
        &[IntArray(vec![1, 2])],
    );
    check(
        "age not in [1, -2]",
        r#"("age" OPERATOR(pg_catalog.<>) ALL($1::bigint[]))"#,
        &[IntArray(vec![1, -2])],
    );
    check(
        "age in [1, 2.5]",
        r#"("age" OPERATOR(pg_catalog.=) ANY($1::double precision[]))"#,
        &[FloatArray(vec![1.0, 2.5])],
    );
    check(
        "price in [1, 2]",
        r#"("price" OPERATOR(pg_catalog.=) ANY($1::double precision[]))"#,
        &[FloatArray(vec![1.0, 2.0])],
    );
    check(
        "name in ['a', \"b\",]",
        r#"("name" OPERATOR(pg_catalog.=) ANY($1::pg_catalog.text[]))"#,
        &[TextArray(vec!["a".into(), "b".into()])],
    );
    check(
        "active in [true]",
        r#"("active" OPERATOR(pg_catalog.=) ANY($1::boolean[]))"#,
        &[BoolArray(vec![true])],
    );
    check(
        "age in []",
        r#"("age" OPERATOR(pg_catalog.=) ANY($1::bigint[]))"#,
        &[IntArray(vec![])],
    );
    check("age not in []", r#"("age" IS NOT NULL)"#, &[]);
    check(
        "id % 3 in [0, 1]",
        r#"(("id" OPERATOR(pg_catalog.%) $1::bigint) OPERATOR(pg_catalog.=) ANY($2::bigint[]))"#,
        &[Int(3), IntArray(vec![0, 1])],
    );
    check(
        r#"meta["a"] in [1, "x", [1]]"#,
        &format!("({} OPERATOR(pg_catalog.=) ANY($2::pg_catalog.text[]::pg_catalog.jsonb[]))", m(1)),
        &[
            path(&["a"]),
            TextArray(vec!["1".into(), "\"x\"".into(), "[1]".into()]),
        ],
    );
    check(
        r#"meta["a"] not in [1, "x", 2]"#,
        &format!(
            "({x} OPERATOR(pg_catalog.<>) ALL($2::pg_catalog.text[]::pg_catalog.jsonb[]) AND pg_catalog.jsonb_typeof({x}) OPERATOR(pg_catalog.=) ANY ('{{number,string}}'::pg_catalog.text[]))",
            x = m(1)
        ),
        &[
            path(&["a"]),
            TextArray(vec!["1".into(), "\"x\"".into(), "2".into()]),
        ],
    );
    check(
        r#"meta["a"] not in []"#,
        &format!("(pg_catalog.jsonb_typeof({}) OPERATOR(pg_catalog.<>) 'null')", m(1)),
        &[path(&["a"])],
    );
}

#[test]
fn like_patterns() {
    check(
        "name like 'a%'",
        r#"("name" OPERATOR(pg_catalog.~~) $1::pg_catalog.text)"#,
        &[Text("a%".into())],
    );
    check(
        "name not like '_b'",
        r#"("name" OPERATOR(pg_catalog.!~~) $1::pg_catalog.text)"#,
        &[Text("_b".into())],
    );
    check(
        r#"name like "100\\%""#,
        r#"("name" OPERATOR(pg_catalog.~~) $1::pg_catalog.text)"#,
        &[Text("100\\%".into())],
    );
    check(
        r#"meta["s"] like "a%""#,
        &format!(
            "(pg_catalog.jsonb_typeof({x}) OPERATOR(pg_catalog.=) 'string' AND ({x} OPERATOR(pg_catalog.#>>) '{{}}'::pg_catalog.text[]) OPERATOR(pg_catalog.~~) $2::pg_catalog.text)",
            x = m(1)
        ),
        &[path(&["s"]), Text("a%".into())],
    );
    check(
        r#"meta["s"] not like "a%""#,
        &format!(
            "(pg_catalog.jsonb_typeof({x}) OPERATOR(pg_catalog.=) 'string' AND ({x} OPERATOR(pg_catalog.#>>) '{{}}'::pg_catalog.text[]) OPERATOR(pg_catalog.!~~) $2::pg_catalog.text)",
            x = m(1)
        ),
        &[path(&["s"]), Text("a%".into())],
    );
    check(
        "tags[1] like 'a%'",
        r#"(("tags")[$1::bigint] OPERATOR(pg_catalog.~~) $2::pg_catalog.text)"#,
        &[Int(2), Text("a%".into())],
    );
}

#[test]
fn null_tests() {
    check("age is null", r#"("age" IS NULL)"#, &[]);
    check("age IS NOT NULL", r#"("age" IS NOT NULL)"#, &[]);
    check("tags is null", r#"("tags" IS NULL)"#, &[]);
    check(
        r#"meta["k"] is null"#,
        &format!("({x} IS NULL OR pg_catalog.jsonb_typeof({x}) OPERATOR(pg_catalog.=) 'null')", x = m(1)),
        &[path(&["k"])],
    );
    check(
        r#"meta["k"] is not null"#,
        &format!(
            "({x} IS NOT NULL AND pg_catalog.jsonb_typeof({x}) OPERATOR(pg_catalog.<>) 'null')",
            x = m(1)
        ),
        &[path(&["k"])],
    );
    check(
        "meta is null",
        r#"("meta" IS NULL OR pg_catalog.jsonb_typeof("meta") OPERATOR(pg_catalog.=) 'null')"#,
        &[],
    );
}

#[test]
fn json_against_literals() {
    let x = m(1);
    check(
        r#"meta["a"] == 5"#,
        &format!("({x} OPERATOR(pg_catalog.=) $2::pg_catalog.jsonb)"),
        &[path(&["a"]), Json("5".into())],
    );
    check(
        r#"meta["s"] == "x""#,
        &format!("({x} OPERATOR(pg_catalog.=) $2::pg_catalog.jsonb)"),
        &[path(&["s"]), Json("\"x\"".into())],
    );
    check(
        r#"meta["a"] > 5"#,
        &format!("({x} OPERATOR(pg_catalog.>) $2::pg_catalog.jsonb AND pg_catalog.jsonb_typeof({x}) OPERATOR(pg_catalog.=) 'number')"),
        &[path(&["a"]), Json("5".into())],
    );
    check(
        r#"meta["a"] != 5.5"#,
        &format!("({x} OPERATOR(pg_catalog.<>) $2::pg_catalog.jsonb AND pg_catalog.jsonb_typeof({x}) OPERATOR(pg_catalog.=) 'number')"),
        &[path(&["a"]), Json("5.5".into())],
    );
    check(
        r#"meta["s"] <= "x""#,
        &format!("({x} OPERATOR(pg_catalog.<=) $2::pg_catalog.jsonb AND pg_catalog.jsonb_typeof({x}) OPERATOR(pg_catalog.=) 'string')"),
        &[path(&["s"]), Json("\"x\"".into())],
    );
    check(
        r#"meta["b"] != true"#,
        &format!("({x} OPERATOR(pg_catalog.<>) $2::pg_catalog.jsonb AND pg_catalog.jsonb_typeof({x}) OPERATOR(pg_catalog.=) 'boolean')"),
        &[path(&["b"]), Json("true".into())],
    );
    // Literal on the left: the operator is flipped.
    check(
        r#"5 < meta["a"]"#,
        &format!("({x} OPERATOR(pg_catalog.>) $2::pg_catalog.jsonb AND pg_catalog.jsonb_typeof({x}) OPERATOR(pg_catalog.=) 'number')"),
        &[path(&["a"]), Json("5".into())],
    );
    check(
        r#"meta["l"] == [1, "a"]"#,
        &format!("({x} OPERATOR(pg_catalog.=) $2::pg_catalog.jsonb)"),
        &[path(&["l"]), Json("[1,\"a\"]".into())],
    );
    check(
        r#"[1] != meta["l"]"#,
        &format!("({x} OPERATOR(pg_catalog.<>) $2::pg_catalog.jsonb AND pg_catalog.jsonb_typeof({x}) OPERATOR(pg_catalog.=) 'array')"),
        &[path(&["l"]), Json("[1]".into())],
    );
    check(
        r#"meta == 1"#,
        r#"("meta" OPERATOR(pg_catalog.=) $1::pg_catalog.jsonb)"#,
        &[Json("1".into())],
    );
}

#[test]
fn json_against_expressions() {
    let x = m(1);
    let num = format!("(CASE WHEN pg_catalog.jsonb_typeof({x}) OPERATOR(pg_catalog.=) 'number' THEN {x}::numeric END)");
    check(
        r#"meta["a"] > age"#,
        &format!("({num} OPERATOR(pg_catalog.>) \"age\")"),
        &[path(&["a"])],
    );
    check(
        r#"age < meta["a"]"#,
        &format!("({num} OPERATOR(pg_catalog.>) \"age\")"),
        &[path(&["a"])],
    );
    check(
        r#"meta["a"] + 1 > 5"#,
        &format!("(({num} OPERATOR(pg_catalog.+) $2::bigint) OPERATOR(pg_catalog.>) $3::bigint)"),
        &[path(&["a"]), Int(1), Int(5)],
    );
    check(
        r#"meta["n"] % 2 == 0"#,
        &format!("(({num} OPERATOR(pg_catalog.%) $2::bigint) OPERATOR(pg_catalog.=) $3::bigint)"),
        &[path(&["n"]), Int(2), Int(0)],
    );
    check(
        r#"meta["a"] ** 2 > 4"#,
        &format!("(pg_catalog.power({num}, $2::bigint) OPERATOR(pg_catalog.>) $3::bigint)"),
        &[path(&["a"]), Int(2), Int(4)],
    );
    check(
        r#"-meta["a"] > 4"#,
        &format!("((OPERATOR(pg_catalog.-) {num}) OPERATOR(pg_catalog.>) $2::bigint)"),
        &[path(&["a"]), Int(4)],
    );
    check(
        r#"meta["s"] == name"#,
        &format!("((CASE WHEN pg_catalog.jsonb_typeof({x}) OPERATOR(pg_catalog.=) 'string' THEN {x} OPERATOR(pg_catalog.#>>) '{{}}'::pg_catalog.text[] END) OPERATOR(pg_catalog.=) \"name\")"),
        &[path(&["s"])],
    );
    check(
        r#"meta["b"] == active"#,
        &format!("((CASE WHEN pg_catalog.jsonb_typeof({x}) OPERATOR(pg_catalog.=) 'boolean' THEN {x}::boolean END) OPERATOR(pg_catalog.=) \"active\")"),
        &[path(&["b"])],
    );
    let y = m(2);
    check(
        r#"meta["a"] == meta["b"]"#,
        &format!("({x} OPERATOR(pg_catalog.=) {y})"),
        &[path(&["a"]), path(&["b"])],
    );
    check(
        r#"meta["a"] != meta["b"]"#,
        &format!("({x} OPERATOR(pg_catalog.<>) {y} AND pg_catalog.jsonb_typeof({x}) OPERATOR(pg_catalog.=) pg_catalog.jsonb_typeof({y}))"),
        &[path(&["a"]), path(&["b"])],
    );
    check(
        r#"meta["a"] < meta["b"]"#,
        &format!(
            "({x} OPERATOR(pg_catalog.<) {y} AND pg_catalog.jsonb_typeof({x}) OPERATOR(pg_catalog.=) pg_catalog.jsonb_typeof({y}) AND pg_catalog.jsonb_typeof({x}) OPERATOR(pg_catalog.=) ANY ('{{number,string,boolean}}'::pg_catalog.text[]))"
        ),
        &[path(&["a"]), path(&["b"])],
    );
    check(
        r#"meta["flag"]"#,
        &format!("({x} OPERATOR(pg_catalog.=) 'true'::pg_catalog.jsonb)"),
        &[path(&["flag"])],
    );
    check(
        r#"not meta["flag"]"#,
        &format!("(NOT COALESCE(({x} OPERATOR(pg_catalog.=) 'true'::pg_catalog.jsonb), false))"),
        &[path(&["flag"])],
    );
}

#[test]
fn json_paths_and_dynamic_field() {
    check(
        r#"meta["a"]["b"][0] == 1"#,
        r#"(("meta" OPERATOR(pg_catalog.#>) $1::pg_catalog.text[]) OPERATOR(pg_catalog.=) $2::pg_catalog.jsonb)"#,
        &[path(&["a", "b", "0"]), Json("1".into())],
    );
    check(
        r#"meta['it\'s "q"'] == 1"#,
        r#"(("meta" OPERATOR(pg_catalog.#>) $1::pg_catalog.text[]) OPERATOR(pg_catalog.=) $2::pg_catalog.jsonb)"#,
        &[path(&["it's \"q\""]), Json("1".into())],
    );
    check(
        r#"color == "red""#,
        r#"(("$meta" OPERATOR(pg_catalog.#>) $1::pg_catalog.text[]) OPERATOR(pg_catalog.=) $2::pg_catalog.jsonb)"#,
        &[path(&["color"]), Json("\"red\"".into())],
    );
    check(
        r#"color["x"][2] > 1"#,
        r#"(("$meta" OPERATOR(pg_catalog.#>) $1::pg_catalog.text[]) OPERATOR(pg_catalog.>) $2::pg_catalog.jsonb AND pg_catalog.jsonb_typeof(("$meta" OPERATOR(pg_catalog.#>) $1::pg_catalog.text[])) OPERATOR(pg_catalog.=) 'number')"#,
        &[path(&["color", "x", "2"]), Json("1".into())],
    );
    check(
        r#"$meta["k"] == 1"#,
        r#"(("$meta" OPERATOR(pg_catalog.#>) $1::pg_catalog.text[]) OPERATOR(pg_catalog.=) $2::pg_catalog.jsonb)"#,
        &[path(&["k"]), Json("1".into())],
    );
    check(
        "$meta is null",
        r#"("$meta" IS NULL OR pg_catalog.jsonb_typeof("$meta") OPERATOR(pg_catalog.=) 'null')"#,
        &[],
    );
    // Unicode names are fine as dynamic keys.
    check(
        "âge == 1",
        r#"(("$meta" OPERATOR(pg_catalog.#>) $1::pg_catalog.text[]) OPERATOR(pg_catalog.=) $2::pg_catalog.jsonb)"#,
        &[path(&["âge"]), Json("1".into())],
    );
}

#[test]
fn array_fields() {
    check(
        "array_contains(nums, 5)",
        r#"($1::bigint OPERATOR(pg_catalog.=) ANY("nums"))"#,
        &[Int(5)],
    );
    check(
        "array_contains(nums, 5.5)",
        r#"($1::double precision OPERATOR(pg_catalog.=) ANY("nums"))"#,
        &[Float(5.5)],
    );
    check(
        "ARRAY_CONTAINS(tags, 'a')",
        r#"($1::pg_catalog.text OPERATOR(pg_catalog.=) ANY("tags"))"#,
        &[Text("a".into())],
    );
    check(
        "json_contains(tags, 'a')",
        r#"($1::pg_catalog.text OPERATOR(pg_catalog.=) ANY("tags"))"#,
        &[Text("a".into())],
    );
    check(
        "array_contains_all(nums, [1, 2])",
        r#"("nums"::bigint[] OPERATOR(pg_catalog.@>) $1::bigint[])"#,
        &[IntArray(vec![1, 2])],
    );
    check(
        "array_contains_all(tags, ['a'])",
        r#"("tags"::pg_catalog.text[] OPERATOR(pg_catalog.@>) $1::pg_catalog.text[])"#,
        &[TextArray(vec!["a".into()])],
    );
    check(
        "array_contains_any(nums, [1, 2])",
        r#"("nums"::bigint[] OPERATOR(pg_catalog.&&) $1::bigint[])"#,
        &[IntArray(vec![1, 2])],
    );
    check(
        "array_contains_any(nums, [1, 2.5])",
        r#"("nums"::double precision[] OPERATOR(pg_catalog.&&) $1::double precision[])"#,
        &[FloatArray(vec![1.0, 2.5])],
    );
    check(
        "array_contains_any(tags, [])",
        r#"("tags"::pg_catalog.text[] OPERATOR(pg_catalog.&&) $1::pg_catalog.text[])"#,
        &[TextArray(vec![])],
    );
    check(
        "array_length(tags) == 2",
        r#"(pg_catalog.cardinality("tags") OPERATOR(pg_catalog.=) $1::bigint)"#,
        &[Int(2)],
    );
    check(
        "nums[0] > 1",
        r#"(("nums")[$1::bigint] OPERATOR(pg_catalog.>) $2::bigint)"#,
        &[Int(1), Int(1)],
    );
    check(
        "tags[3] == 'x'",
        r#"(("tags")[$1::bigint] OPERATOR(pg_catalog.=) $2::pg_catalog.text)"#,
        &[Int(4), Text("x".into())],
    );
}

#[test]
fn array_functions_on_json() {
    let x = m(1);
    check(
        r#"json_contains(meta["tags"], "x")"#,
        &format!("({x} OPERATOR(pg_catalog.@>) $2::pg_catalog.jsonb)"),
        &[path(&["tags"]), Json("[\"x\"]".into())],
    );
    check(
        r#"array_contains(meta["tags"], [1, 2])"#,
        &format!("({x} OPERATOR(pg_catalog.@>) $2::pg_catalog.jsonb)"),
        &[path(&["tags"]), Json("[[1,2]]".into())],
    );
    check(
        r#"json_contains_all(meta["tags"], ["x", 1])"#,
        &format!("({x} OPERATOR(pg_catalog.@>) $2::pg_catalog.jsonb)"),
        &[path(&["tags"]), Json("[\"x\",1]".into())],
    );
    check(
        r#"json_contains_any(meta["tags"], ["x", 1])"#,
        &format!("({x} OPERATOR(pg_catalog.@>) ANY($2::pg_catalog.text[]::pg_catalog.jsonb[]))"),
        &[
            path(&["tags"]),
            TextArray(vec!["[\"x\"]".into(), "[1]".into()]),
        ],
    );
    check(
        r#"array_length(meta["l"]) >= 1"#,
        &format!("((CASE WHEN pg_catalog.jsonb_typeof({x}) OPERATOR(pg_catalog.=) 'array' THEN pg_catalog.jsonb_array_length({x}) END) OPERATOR(pg_catalog.>=) $2::bigint)"),
        &[path(&["l"]), Int(1)],
    );
    check(
        "json_contains(meta, 1)",
        r#"("meta" OPERATOR(pg_catalog.@>) $1::pg_catalog.jsonb)"#,
        &[Json("[1]".into())],
    );
}

#[test]
fn string_escapes_become_parameters() {
    check(
        r#"name == "a\"b\\c\n\t\r\u00e9'; --""#,
        r#"("name" OPERATOR(pg_catalog.=) $1::pg_catalog.text)"#,
        &[Text("a\"b\\c\n\t\ré'; --".into())],
    );
    check(
        r#"name == 'single \'quoted\' "x"'"#,
        r#"("name" OPERATOR(pg_catalog.=) $1::pg_catalog.text)"#,
        &[Text("single 'quoted' \"x\"".into())],
    );
    check(
        r#"meta["k"] == "say \"hi\"\n""#,
        r#"(("meta" OPERATOR(pg_catalog.#>) $1::pg_catalog.text[]) OPERATOR(pg_catalog.=) $2::pg_catalog.jsonb)"#,
        &[path(&["k"]), Json(r#""say \"hi\"\n""#.into())],
    );
}

#[test]
fn columns_are_quoted_from_the_schema() {
    let s = StaticSchema {
        fields: vec![("weird".into(), FieldKind::Int, "we\"ird col".into())],
        dynamic: Some("dyn\"amic".into()),
        alias: None,
    };
    let c = compile("weird > 1 and other == 2", &s, 1).unwrap();
    assert_eq!(
        c.sql,
        r#"(("we""ird col" OPERATOR(pg_catalog.>) $1::bigint) AND (("dyn""amic" OPERATOR(pg_catalog.#>) $2::pg_catalog.text[]) OPERATOR(pg_catalog.=) $3::pg_catalog.jsonb))"#
    );
}

#[test]
fn unknown_and_unusable_fields() {
    let st = static_schema();
    assert_eq!(
        err_in(&st, "agee > 1"),
        r#"filter error at position 0: unknown field "agee""#
    );
    assert_eq!(
        err_in(&st, "age > 1 or  $meta['a'] == 1"),
        r#"filter error at position 12: unknown field "$meta""#
    );
    assert_eq!(
        err("emb is null"),
        r#"filter error at position 0: vector field "emb" cannot be used in a filter"#
    );
    assert_eq!(
        err("age > 1 and emb['a'] == 1"),
        r#"filter error at position 12: vector field "emb" cannot be used in a filter"#
    );
    assert_eq!(
        err("age['x'] == 1"),
        r#"filter error at position 0: field "age" (integer) cannot be subscripted"#
    );
    assert_eq!(
        err("nums['x'] == 1"),
        r#"filter error at position 0: field "nums" (array of integer) takes a single integer index"#
    );
    assert_eq!(
        err("nums[0][1] == 1"),
        r#"filter error at position 0: field "nums" (array of integer) takes a single integer index"#
    );
    assert_eq!(
        err("nums[2147483647] == 1"),
        "filter error at position 0: array index out of range"
    );
}

#[test]
fn type_errors() {
    let cases = [
        (
            "age == \"x\"",
            4,
            r#"cannot compare field "age" (integer) with string literal"#,
        ),
        (
            "'x' < age",
            4,
            r#"cannot compare string literal with field "age" (integer)"#,
        ),
        (
            "name > 5",
            5,
            r#"cannot compare field "name" (string) with integer literal"#,
        ),
        (
            "active == 1",
            7,
            r#"cannot compare field "active" (boolean) with integer literal"#,
        ),
        (
            "name == age",
            5,
            r#"cannot compare field "name" (string) with field "age" (integer)"#,
        ),
        (
            "tags > 1",
            5,
            r#"cannot compare field "tags" (array of string) with integer literal (use array_contains or array_length for arrays)"#,
        ),
        (
            "age == [1]",
            4,
            r#"cannot compare field "age" (integer) with a list"#,
        ),
        ("meta['a'] < [1]", 10, "operator < cannot compare lists"),
        (
            "meta['a'] == tags",
            10,
            r#"cannot compare a JSON value with field "tags" (array of string)"#,
        ),
        (
            "name like 'a%' and age like 'b'",
            23,
            r#"like needs a string operand, found field "age" (integer)"#,
        ),
        (
            "meta['a'] + 'x' > 1",
            10,
            "operator + needs numeric operands, found string literal",
        ),
        (
            "name * 2 > 1",
            5,
            r#"operator * needs numeric operands, found field "name" (string)"#,
        ),
        (
            "active ** 2 > 1",
            7,
            r#"operator ** needs numeric operands, found field "active" (boolean)"#,
        ),
        (
            "-name > 1",
            0,
            r#"unary minus needs numeric operands, found field "name" (string)"#,
        ),
        (
            "price % 2 == 0",
            6,
            r#"operator % needs integer operands, found field "price" (float)"#,
        ),
        (
            "age % 1.5 == 0",
            4,
            "operator % needs integer operands, found float literal",
        ),
        ("age / 0 > 1", 4, "division by zero"),
        ("age % 0 > 1", 4, "division by zero"),
        ("price / 0.0 > 1", 6, "division by zero"),
        (
            "age in ['a']",
            8,
            r#"cannot compare field "age" (integer) with string literal"#,
        ),
        (
            "name not in [1]",
            13,
            r#"cannot compare field "name" (string) with integer literal"#,
        ),
        ("age in [name]", 8, "list elements must be literals"),
        ("age in [[1]]", 8, "list elements must be literals"),
        (
            "tags in ['a']",
            5,
            r#"in needs a scalar operand, found field "tags" (array of string) (use array_contains_any for arrays)"#,
        ),
        (
            "meta in [age]",
            9,
            "expected a literal value (number, string, boolean or list)",
        ),
        (
            "age",
            0,
            r#"expected a boolean expression, found field "age" (integer)"#,
        ),
        (
            "active and name",
            11,
            r#"expected a boolean expression, found field "name" (string)"#,
        ),
        (
            "not 1",
            4,
            "expected a boolean expression, found integer literal",
        ),
        (
            "1 + 1",
            2,
            "expected a boolean expression, found integer expression",
        ),
        (
            "tags",
            0,
            r#"expected a boolean expression, found field "tags" (array of string)"#,
        ),
        (
            "[1] == [1]",
            0,
            "a list is only allowed after in, as a function argument or compared with a JSON value",
        ),
        (
            "age + [1] > 0",
            6,
            "a list is only allowed after in, as a function argument or compared with a JSON value",
        ),
        (
            "name like 'abc\\\\'",
            10,
            "like pattern must not end with an escape character (\\)",
        ),
    ];
    for (expr, pos, msg) in cases {
        assert_eq!(
            err(expr),
            format!("filter error at position {pos}: {msg}"),
            "{expr}"
        );
    }
}

#[test]
fn function_errors() {
    let cases = [
        ("foo(age)", 0, r#"unknown function "foo""#),
        ("json_contains(meta)", 0, "json_contains takes 2 arguments, got 1"),
        ("age > 1 or array_length(tags, 1) > 0", 11, "array_length takes 1 argument, got 2"),
        ("array_contains(age, 1)", 15, r#"array_contains needs an array or JSON field as its first argument, found field "age" (integer)"#),
        ("array_length(age) == 1", 13, r#"array_length needs an array or JSON field as its first argument, found field "age" (integer)"#),
        ("array_contains(1, 1)", 15, "array_contains needs an array or JSON field as its first argument, found integer literal"),
        ("array_contains(tags, 1)", 21, "array_contains: integer literal does not match an array of string"),
        ("array_contains_all(nums, ['a'])", 26, "array_contains_all: string literal does not match an array of integer"),
        ("array_contains_all(nums, 1)", 25, "array_contains_all needs a list such as [1, 2] as its second argument"),
        ("json_contains_any(meta, 1)", 24, "json_contains_any needs a list such as [1, 2] as its second argument"),
        ("array_contains(nums, age)", 21, "array_contains needs literal values"),
        ("json_contains(meta['x'], age)", 25, "expected a literal value (number, string, boolean or list)"),
        ("array_length(tags)", 0, "expected a boolean expression, found integer expression"),
    ];
    for (expr, pos, msg) in cases {
        assert_eq!(
            err(expr),
            format!("filter error at position {pos}: {msg}"),
            "{expr}"
        );
    }
}

#[test]
fn syntax_errors_surface_through_compile() {
    assert_eq!(
        err("age >= 18 and )"),
        "filter syntax error at position 14: unexpected token \")\""
    );
    assert_eq!(
        err("age = 1"),
        "filter syntax error at position 4: unexpected character \"=\" (use == to compare)"
    );
    assert_eq!(
        err("name == 'abc"),
        "filter syntax error at position 8: unterminated string literal"
    );
    assert_eq!(
        err("é > 'x' ; drop"),
        "filter syntax error at position 8: unexpected character \";\""
    );
}

#[test]
fn limits() {
    let e = compile("age > 1", &test_schema(), 0).unwrap_err();
    assert_eq!(
        e.to_string(),
        "filter error at position 0: placeholders start at $1: first_param must be at least 1"
    );
    let e = compile("age > 1 and age < 2", &test_schema(), 65535).unwrap_err();
    assert_eq!(e.kind, FilterErrorKind::Limit);
    assert_eq!(e.pos, 18);
    assert!(compile("age > 1", &test_schema(), 65535).is_ok());
    // A long flat disjunction compiles (and stays flat).
    let big = vec!["age == 1"; 3000].join(" or ");
    let c = compile(&big, &test_schema(), 1).unwrap();
    assert_eq!(c.params.len(), 3000);
    assert!(c.sql.ends_with(r#"("age" OPERATOR(pg_catalog.=) $3000::bigint))"#));
}

#[test]
fn exists_tests_json_paths() {
    check(
        r#"exists meta["a"]["b"]"#,
        r#"COALESCE(pg_catalog.jsonb_typeof(("meta" OPERATOR(pg_catalog.#>) $1::pg_catalog.text[])) OPERATOR(pg_catalog.<>) 'null', false)"#,
        &[TextArray(vec!["a".into(), "b".into()])],
    );
    // a dynamic-field key, under not; written as a call it is the same test
    let s = sql("not exists dyn_key");
    assert!(s.starts_with("(NOT COALESCE(COALESCE(pg_catalog.jsonb_typeof(") && s.contains("'null', false)"), "{s}");
    assert_eq!(sql(r#"exists(meta["a"])"#), sql(r#"exists meta["a"]"#));
    // `exists` is still a field name where no path follows
    let fields = StaticSchema::default().with("exists", FieldKind::Int);
    assert!(compile("exists > 3", &fields, 1).is_ok());
    assert_eq!(
        err("exists age"),
        r#"filter error at position 7: exists needs a JSON field or a path into one, found field "age" (integer)"#
    );
}
