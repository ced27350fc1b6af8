//! Filter templates, as Milvus has them: `age > {age} and city in {cities}` with
//! `filter_params = {"age": 25, "cities": ["Paris", "Rome"]}`. Each `{name}` outside a string
//! literal is replaced by its value written as a filter-language literal (numbers, strings,
//! booleans, and lists of them), so a value is only ever a literal: it cannot add an operator
//! or a field. The expanded expression is then parsed and compiled as any other; positions in
//! its errors refer to the expanded text.

use super::ast::write_str_literal;
use super::error::{FilterError, FilterResult};
use super::lexer::{lex, Tok};
use super::parser::{MAX_DEPTH, MAX_EXPR_LEN};
use serde_json::{Map, Value};

/// `src` with every placeholder replaced by its value in `params`. A placeholder without a
/// value, a value that is null or an object, or lists nested deeper than [`MAX_DEPTH`] are
/// errors; the expansion may not exceed [`MAX_EXPR_LEN`] bytes.
pub fn expand(src: &str, params: &Map<String, Value>) -> FilterResult<String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut copied = 0;
    for t in lex(&chars)? {
        let Tok::Placeholder(name) = &t.tok else { continue };
        out.extend(&chars[copied..t.pos]);
        let value = params.get(name).ok_or_else(|| {
            FilterError::semantic(t.pos, format!("template placeholder {{{name}}} has no value in filter_params"))
        })?;
        write_literal(&mut out, value, name, t.pos, 0)?;
        copied = t.end;
        if out.len() > MAX_EXPR_LEN {
            return Err(too_long());
        }
    }
    out.extend(&chars[copied..]);
    if out.len() > MAX_EXPR_LEN {
        return Err(too_long());
    }
    Ok(out)
}

fn too_long() -> FilterError {
    FilterError::limit(0, format!("filter expression with its filter_params is too long (the limit is {MAX_EXPR_LEN} bytes)"))
}

fn write_literal(out: &mut String, v: &Value, name: &str, pos: usize, depth: usize) -> FilterResult<()> {
    match v {
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => out.push_str(&i.to_string()),
            (None, Some(x)) if x.is_finite() => out.push_str(&format!("{x:?}")),
            _ => return Err(FilterError::semantic(pos, format!("filter_params value for {{{name}}} is out of range"))),
        },
        Value::String(s) => {
            let _ = write_str_literal(out, s);
        }
        Value::Array(items) => {
            if depth >= MAX_DEPTH {
                return Err(FilterError::limit(pos, format!("filter_params value for {{{name}}} is nested too deeply")));
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_literal(out, item, name, pos, depth + 1)?;
                if out.len() > MAX_EXPR_LEN {
                    return Err(too_long());
                }
            }
            out.push(']');
        }
        Value::Null | Value::Object(_) => {
            return Err(FilterError::semantic(
                pos,
                format!("filter_params value for {{{name}}} must be a number, string, boolean or list"),
            ))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn placeholders_become_literals() {
        let p = params(json!({"age": 25, "cities": ["Paris", "Ro\"me"], "x": -1.5, "on": true, "big": 18446744073709551615u64}));
        assert_eq!(
            expand("age > {age} and city in {cities} and s == \"{age}\" or x < {x} and f == {on}", &p).unwrap(),
            "age > 25 and city in [\"Paris\", \"Ro\\\"me\"] and s == \"{age}\" or x < -1.5 and f == true"
        );
        assert_eq!(expand("n < {big}", &p).unwrap(), "n < 1.8446744073709552e19");
        assert_eq!(expand("no placeholders", &p).unwrap(), "no placeholders");
    }

    #[test]
    fn expanded_values_parse_as_literals_only() {
        let p = params(json!({"v": "1 or true", "l": [1, -2, [3]]}));
        let e = expand("n == {v} and m in {l}", &p).unwrap();
        assert_eq!(e, "n == \"1 or true\" and m in [1, -2, [3]]");
        assert!(super::super::parse(&e).is_ok());
    }

    #[test]
    fn bad_templates_and_values_are_errors() {
        let p = params(json!({"n": null, "o": {"a": 1}}));
        for (src, msg) in [
            ("a > {missing}", "template placeholder {missing} has no value in filter_params"),
            ("a > {n}", "must be a number, string, boolean or list"),
            ("a > {o}", "must be a number, string, boolean or list"),
            ("a > {1x}", "a template placeholder is a name in braces"),
            ("a > {x", "a template placeholder is a name in braces"),
        ] {
            let err = expand(src, &p).unwrap_err().to_string();
            assert!(err.contains(msg), "{src}: {err}");
        }
        let deep = (0..MAX_DEPTH + 1).fold(json!(1), |v, _| json!([v]));
        assert!(expand("a in {d}", &params(json!({"d": deep}))).unwrap_err().to_string().contains("nested too deeply"));
        let long = params(json!({"s": "x".repeat(MAX_EXPR_LEN)}));
        assert!(expand("a == {s}", &long).unwrap_err().to_string().contains("too long"));
        // without filter_params, a placeholder is named in the parse error
        let err = super::super::parse("age > {age}").unwrap_err().to_string();
        assert!(err.contains("template placeholder {age} has no value: pass it in filter_params"), "{err}");
    }
}
