//! A checker for the statements the data API generates (tests only): it tokenises the SQL
//! and verifies the rules of [`super::dml`] that make a statement immune to name capture
//! and to the caller's search_path:
//!
//! * no bare word is a reference: an unquoted lower-case word is a keyword-type after
//!   `::`, an alias being defined (`AS t`, `AS r("a" bigint)`), a qualifier of a defined
//!   alias or of `pg_catalog` (`t.`, `pg_catalog.`), or the member after one;
//! * a quoted identifier is qualified (`t."x"`), a qualifier (`"schema".`), or a name in a
//!   column definition list (`AS r("x" bigint)`, `INSERT INTO tbl AS t ("x")`);
//! * every function is called through a qualifier (`pg_catalog.count(`), every operator
//!   is `OPERATOR(pg_catalog.op)` or `OPERATOR("ext".op)`; no other operator character,
//!   no `;`, no comment.
//!
//! Upper-case words are SQL keywords (the generator writes nothing else in upper case
//! outside quotes).

/// Types written as SQL keywords (resolved by the grammar, never through search_path).
const KEYWORD_TYPES: &[&str] = &["bigint", "integer", "smallint", "real", "boolean", "numeric", "double", "varchar", "bit"];

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Str,
    Param,
    Num,
    Op(String),
    Cast,
    P(char),
}

fn tokens(sql: &str) -> Result<Vec<Tok>, String> {
    let c: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        match ch {
            ' ' | '\n' | '\t' => i += 1,
            '"' | '\'' => {
                let mut text = String::new();
                i += 1;
                loop {
                    match c.get(i) {
                        None => return Err(format!("unterminated {ch}")),
                        Some(&q) if q == ch && c.get(i + 1) == Some(&ch) => {
                            text.push(ch);
                            i += 2;
                        }
                        Some(&q) if q == ch => {
                            i += 1;
                            break;
                        }
                        Some(&q) => {
                            text.push(q);
                            i += 1;
                        }
                    }
                }
                out.push(if ch == '"' { Tok::Quoted(text) } else { Tok::Str });
            }
            '$' => {
                i += 1;
                let start = i;
                while c.get(i).is_some_and(char::is_ascii_digit) {
                    i += 1;
                }
                if i == start {
                    return Err("bare $".into());
                }
                out.push(Tok::Param);
            }
            ':' if c.get(i + 1) == Some(&':') => {
                out.push(Tok::Cast);
                i += 2;
            }
            '0'..='9' => {
                while c.get(i).is_some_and(|d| d.is_ascii_digit() || *d == '.') {
                    i += 1;
                }
                out.push(Tok::Num);
            }
            'a'..='z' | 'A'..='Z' | '_' => {
                let start = i;
                while c.get(i).is_some_and(|d| d.is_ascii_alphanumeric() || *d == '_') {
                    i += 1;
                }
                let w: String = c[start..i].iter().collect();
                if w == "OPERATOR" && c.get(i) == Some(&'(') {
                    let end = c[i..].iter().position(|&x| x == ')').ok_or("unterminated OPERATOR(")? + i;
                    out.push(Tok::Op(c[i + 1..end].iter().collect()));
                    i = end + 1;
                } else {
                    out.push(Tok::Word(w));
                }
            }
            '(' | ')' | ',' | '.' | '[' | ']' => {
                out.push(Tok::P(ch));
                i += 1;
            }
            '*' if i > 0 && c[i - 1] == '(' && c.get(i + 1) == Some(&')') => {
                out.push(Tok::P('*'));
                i += 1;
            }
            ';' => return Err("semicolon".into()),
            _ => return Err(format!("bare operator or unexpected character {ch:?}")),
        }
    }
    Ok(out)
}

fn is_keyword(w: &str) -> bool {
    w.chars().all(|c| c.is_ascii_uppercase() || c == '_')
}

/// Checks one generated statement; `ext` is the schema holding quiver's objects.
pub fn check(sql: &str, ext: &str) -> Result<(), String> {
    let t = tokens(sql)?;
    let word = |i: usize| match t.get(i) {
        Some(Tok::Word(w)) => Some(w.as_str()),
        _ => None,
    };
    // Aliases defined anywhere in the statement.
    let aliases: Vec<&str> = (1..t.len()).filter(|&i| word(i - 1) == Some("AS")).filter_map(word).collect();
    // Which parentheses hold column definition lists: `AS alias (`.
    let mut defs = vec![false];
    for (i, tok) in t.iter().enumerate() {
        let prev = |k: usize| i.checked_sub(k).and_then(|j| t.get(j));
        let in_defs = *defs.last().unwrap_or(&false);
        match tok {
            Tok::P('(') => {
                let def_list = in_defs || (matches!(prev(1), Some(Tok::Word(_))) && prev(2) == Some(&Tok::Word("AS".into())));
                defs.push(def_list);
            }
            Tok::P(')') => {
                defs.pop();
                if defs.is_empty() {
                    return Err("unbalanced )".into());
                }
            }
            Tok::Op(op) => {
                let q = format!("{}.", super::ident::quote_ident(ext));
                if !(op.starts_with("pg_catalog.") || op.starts_with(&q)) {
                    return Err(format!("operator {op} is not schema-qualified"));
                }
            }
            Tok::Word(w) if is_keyword(w) => {}
            _ if in_defs => {}
            Tok::Word(w) => {
                let after_dot = prev(1) == Some(&Tok::P('.'));
                let before_dot = t.get(i + 1) == Some(&Tok::P('.'));
                let after_as = prev(1) == Some(&Tok::Word("AS".into()));
                let after_cast = prev(1) == Some(&Tok::Cast);
                if after_dot || after_as {
                    continue;
                }
                if before_dot {
                    if w != "pg_catalog" && !aliases.contains(&w.as_str()) {
                        return Err(format!("qualifier {w} is neither pg_catalog nor an alias"));
                    }
                    continue;
                }
                if (after_cast && KEYWORD_TYPES.contains(&w.as_str())) || (w == "precision" && prev(1) == Some(&Tok::Word("double".into()))) {
                    continue;
                }
                if t.get(i + 1) == Some(&Tok::P('(')) {
                    return Err(format!("function {w} is not schema-qualified"));
                }
                return Err(format!("bare reference {w}"));
            }
            Tok::Quoted(q) => {
                let after_dot = prev(1) == Some(&Tok::P('.'));
                let before_dot = t.get(i + 1) == Some(&Tok::P('.'));
                if !(after_dot || before_dot) {
                    return Err(format!("unqualified identifier \"{q}\""));
                }
            }
            _ => {}
        }
    }
    if defs.len() != 1 {
        return Err("unbalanced (".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_qualified_statements() {
        for ok in [
            "SELECT pg_catalog.count(*)::pg_catalog.text FROM \"s\".\"c\" AS t WHERE t.\"x\" OPERATOR(pg_catalog.=) ANY($1::bigint[])",
            "INSERT INTO \"s\".\"c\" AS t (\"x\", \"v\") SELECT r.\"x\", r.\"v\" FROM pg_catalog.jsonb_to_recordset($1::pg_catalog.jsonb) \
             AS r(\"x\" bigint, \"v\" \"q\".vector(2)) RETURNING pg_catalog.to_jsonb(t.\"x\")",
            "SELECT s.id FROM (SELECT t.\"v\" OPERATOR(\"q\".<->) $1::\"q\".vector AS id FROM \"s\".\"c\" AS t) AS s",
            "SELECT '1.5'::double precision, COALESCE(t.\"x\", 0) FROM \"s\".\"c\" AS t",
        ] {
            assert_eq!(check(ok, "q"), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_capturable_or_path_dependent_sql() {
        for bad in [
            // the bug of the old ids subquery: x is the alias of a function whose column is "value"
            "DELETE FROM \"s\".\"c\" t WHERE t.\"id\" IN (SELECT x::bigint FROM jsonb_array_elements_text($1) AS x)",
            "SELECT t.\"x\" FROM \"s\".\"c\" AS t WHERE \"x\" OPERATOR(pg_catalog.=) 1",
            "SELECT id FROM (SELECT t.\"x\" AS id FROM \"s\".\"c\" AS t) AS s",
            "SELECT pg_catalog.count(*) FROM \"s\".\"c\" AS t WHERE t.\"x\" = 1",
            "SELECT count(*) FROM \"s\".\"c\" AS t",
            "SELECT t.\"v\" OPERATOR(public.<->) $1 FROM \"s\".\"c\" AS t",
            "SELECT u.\"x\" FROM \"s\".\"c\" AS t",
            "SELECT $1::text FROM \"s\".\"c\" AS t",
            "SELECT 1; DROP TABLE x",
            "SELECT (1 FROM \"s\".\"c\" AS t",
        ] {
            assert!(check(bad, "q").is_err(), "{bad}");
        }
    }
}
