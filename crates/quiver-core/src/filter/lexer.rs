//! Tokenizer for the filter language.
//!
//! Works on a slice of `char`s so that every position is a character offset. Keywords are
//! case-insensitive. Literals are decoded here: integers (decimal, `0x`, `0o`, `0b`) up to
//! 2^63 (the parser decides whether that fits, which it does only after a unary minus),
//! finite floats, and single- or double-quoted strings with the escapes `\" \' \\ \/ \n
//! \t \r \b \f \uXXXX` (surrogate pairs combine). NUL characters are rejected because
//! PostgreSQL `text` and `jsonb` cannot hold them.

use super::error::{FilterError, FilterResult};

/// A token kind with its decoded value.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// Integer literal magnitude, at most 2^63.
    Int(u64),
    Float(f64),
    Str(String),
    Ident(String),
    And,
    Or,
    Not,
    In,
    Like,
    Is,
    Null,
    True,
    False,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Pow,
    AndAnd,
    OrOr,
    Bang,
    /// `{name}`: a filter template placeholder, replaced by a value of `filter_params`
    /// ([`super::template::expand`]) before the expression is parsed.
    Placeholder(String),
    Eof,
}

/// A token and the character range `pos..end` it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub pos: usize,
    pub end: usize,
}

/// Largest integer magnitude a literal may have: |i64::MIN|.
const MAX_MAGNITUDE: u64 = 1 << 63;

/// Splits `chars` into tokens, ending with a [`Tok::Eof`] at `chars.len()`.
pub fn lex(chars: &[char]) -> FilterResult<Vec<Token>> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).copied();
        let (tok, end) = match c {
            '(' => (Tok::LParen, i + 1),
            ')' => (Tok::RParen, i + 1),
            '[' => (Tok::LBracket, i + 1),
            ']' => (Tok::RBracket, i + 1),
            ',' => (Tok::Comma, i + 1),
            '+' => (Tok::Plus, i + 1),
            '-' => (Tok::Minus, i + 1),
            '/' => (Tok::Slash, i + 1),
            '%' => (Tok::Percent, i + 1),
            '*' if next == Some('*') => (Tok::Pow, i + 2),
            '*' => (Tok::Star, i + 1),
            '=' if next == Some('=') => (Tok::Eq, i + 2),
            '=' => {
                return Err(FilterError::syntax(
                    i,
                    "unexpected character \"=\" (use == to compare)",
                ))
            }
            '!' if next == Some('=') => (Tok::Ne, i + 2),
            '!' => (Tok::Bang, i + 1),
            '<' if next == Some('=') => (Tok::Le, i + 2),
            '<' => (Tok::Lt, i + 1),
            '>' if next == Some('=') => (Tok::Ge, i + 2),
            '>' => (Tok::Gt, i + 1),
            '&' if next == Some('&') => (Tok::AndAnd, i + 2),
            '|' if next == Some('|') => (Tok::OrOr, i + 2),
            '&' | '|' => {
                return Err(FilterError::syntax(
                    i,
                    format!("unexpected character \"{c}\" (use {c}{c})"),
                ));
            }
            '{' => lex_placeholder(chars, i)?,
            '"' | '\'' => lex_string(chars, i, c)?,
            '0'..='9' => lex_number(chars, i)?,
            '.' if next.is_some_and(|d| d.is_ascii_digit()) => lex_number(chars, i)?,
            c if c.is_alphabetic() || c == '_' || c == '$' => lex_word(chars, i),
            c => {
                return Err(FilterError::syntax(
                    i,
                    format!("unexpected character {:?}", c.to_string()),
                ))
            }
        };
        out.push(Token { tok, pos: i, end });
        i = end;
    }
    out.push(Token {
        tok: Tok::Eof,
        pos: chars.len(),
        end: chars.len(),
    });
    Ok(out)
}

/// `{name}` from `start` (at the `{`): a placeholder whose name is an identifier.
fn lex_placeholder(chars: &[char], start: usize) -> FilterResult<(Tok, usize)> {
    let mut i = start + 1;
    while chars.get(i).is_some_and(|&c| c.is_alphanumeric() || c == '_') {
        i += 1;
    }
    let name: String = chars[start + 1..i].iter().collect();
    let starts_well = name.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_');
    if chars.get(i) != Some(&'}') || !starts_well {
        return Err(FilterError::syntax(
            start,
            "a template placeholder is a name in braces, such as {age}",
        ));
    }
    Ok((Tok::Placeholder(name), i + 1))
}

/// How a token reads in an error message: its source text, quoted and shortened, or
/// "end of expression".
pub fn describe(chars: &[char], t: &Token) -> String {
    if t.tok == Tok::Eof {
        return "end of expression".to_string();
    }
    let text = chars.get(t.pos..t.end).unwrap_or(&[]);
    let mut s: String = text.iter().take(40).collect();
    if text.len() > 40 {
        s.push('…');
    }
    format!("{s:?}")
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// An identifier or keyword starting at `start` (a letter, `_` or `$`).
fn lex_word(chars: &[char], start: usize) -> (Tok, usize) {
    let mut end = start + 1;
    while chars.get(end).is_some_and(|&c| is_word_char(c)) {
        end += 1;
    }
    let word: String = chars.get(start..end).unwrap_or(&[]).iter().collect();
    let tok = match word.to_ascii_lowercase().as_str() {
        "and" => Tok::And,
        "or" => Tok::Or,
        "not" => Tok::Not,
        "in" => Tok::In,
        "like" => Tok::Like,
        "is" => Tok::Is,
        "null" => Tok::Null,
        "true" => Tok::True,
        "false" => Tok::False,
        _ => Tok::Ident(word),
    };
    (tok, end)
}

/// A numeric literal starting at `start` (a digit, or `.` followed by a digit).
fn lex_number(chars: &[char], start: usize) -> FilterResult<(Tok, usize)> {
    let at = |i: usize| chars.get(i).copied();
    let malformed = || FilterError::syntax(start, "malformed number");
    let radix = match (at(start), at(start + 1)) {
        (Some('0'), Some('x' | 'X')) => Some(16),
        (Some('0'), Some('o' | 'O')) => Some(8),
        (Some('0'), Some('b' | 'B')) => Some(2),
        _ => None,
    };
    if let Some(radix) = radix {
        let mut end = start + 2;
        while at(end).is_some_and(is_word_char) {
            end += 1;
        }
        let digits = chars.get(start + 2..end).unwrap_or(&[]);
        if digits.is_empty() {
            return Err(malformed());
        }
        let mut value: u64 = 0;
        for &d in digits {
            let d = d.to_digit(radix).ok_or_else(malformed)?;
            value = value
                .checked_mul(u64::from(radix))
                .and_then(|v| v.checked_add(u64::from(d)))
                .filter(|&v| v <= MAX_MAGNITUDE)
                .ok_or_else(|| FilterError::syntax(start, "integer literal out of range"))?;
        }
        return Ok((Tok::Int(value), end));
    }

    let digits_from = |mut i: usize| {
        while at(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
        i
    };
    let mut end = digits_from(start);
    let mut is_float = false;
    if at(end) == Some('.') {
        is_float = true;
        end = digits_from(end + 1);
    }
    if matches!(at(end), Some('e' | 'E')) {
        let sign = usize::from(matches!(at(end + 1), Some('+' | '-')));
        if !at(end + 1 + sign).is_some_and(|c| c.is_ascii_digit()) {
            return Err(malformed());
        }
        is_float = true;
        end = digits_from(end + 1 + sign);
    }
    if at(end).is_some_and(|c| is_word_char(c) || c == '.') {
        return Err(malformed());
    }
    let text: String = chars.get(start..end).unwrap_or(&[]).iter().collect();
    if is_float {
        let v: f64 = text.parse().map_err(|_| malformed())?;
        if !v.is_finite() {
            return Err(FilterError::syntax(start, "float literal out of range"));
        }
        return Ok((Tok::Float(v), end));
    }
    let mut value: u64 = 0;
    for d in text.chars() {
        let d = d.to_digit(10).ok_or_else(malformed)?;
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d)))
            .filter(|&v| v <= MAX_MAGNITUDE)
            .ok_or_else(|| FilterError::syntax(start, "integer literal out of range"))?;
    }
    Ok((Tok::Int(value), end))
}

/// A string literal opened by `quote` at `start`; returns the decoded text.
fn lex_string(chars: &[char], start: usize, quote: char) -> FilterResult<(Tok, usize)> {
    let unterminated = || FilterError::syntax(start, "unterminated string literal");
    let mut s = String::new();
    let mut i = start + 1;
    loop {
        let c = chars.get(i).copied().ok_or_else(unterminated)?;
        if c == quote {
            return Ok((Tok::Str(s), i + 1));
        }
        if c == '\0' {
            return Err(FilterError::syntax(
                i,
                "string literals cannot contain NUL characters",
            ));
        }
        if c != '\\' {
            s.push(c);
            i += 1;
            continue;
        }
        let e = chars.get(i + 1).copied().ok_or_else(unterminated)?;
        let decoded = match e {
            '"' | '\'' | '\\' | '/' => e,
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'u' => {
                let (c, next) = unicode_escape(chars, i)?;
                s.push(c);
                i = next;
                continue;
            }
            _ => {
                return Err(FilterError::syntax(
                    i,
                    format!("invalid escape sequence \"\\{e}\""),
                ));
            }
        };
        s.push(decoded);
        i += 2;
    }
}

/// Four hex digits after `\u` at `i`.
fn hex4(chars: &[char], i: usize) -> Option<u32> {
    let digits = chars.get(i + 2..i + 6)?;
    digits
        .iter()
        .try_fold(0u32, |acc, d| Some(acc * 16 + d.to_digit(16)?))
}

/// Decodes `\uXXXX` (or a `\uD8XX\uDCXX` surrogate pair) whose backslash is at `i`;
/// returns the character and the index after the escape.
fn unicode_escape(chars: &[char], i: usize) -> FilterResult<(char, usize)> {
    let bad = |msg: &str| FilterError::syntax(i, msg.to_string());
    let hi = hex4(chars, i).ok_or_else(|| bad("invalid \\u escape: expected 4 hex digits"))?;
    let (code, next) = match hi {
        0xD800..=0xDBFF => {
            let lo = (chars.get(i + 6) == Some(&'\\') && chars.get(i + 7) == Some(&'u'))
                .then(|| hex4(chars, i + 6))
                .flatten()
                .filter(|lo| (0xDC00..=0xDFFF).contains(lo))
                .ok_or_else(|| bad("invalid \\u escape: unpaired surrogate"))?;
            (0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00), i + 12)
        }
        0xDC00..=0xDFFF => return Err(bad("invalid \\u escape: unpaired surrogate")),
        0 => return Err(bad("string literals cannot contain NUL characters")),
        c => (c, i + 6),
    };
    let c = char::from_u32(code).ok_or_else(|| bad("invalid \\u escape"))?;
    Ok((c, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        let chars: Vec<char> = s.chars().collect();
        lex(&chars).unwrap().into_iter().map(|t| t.tok).collect()
    }

    fn err(s: &str) -> (usize, String) {
        let chars: Vec<char> = s.chars().collect();
        let e = lex(&chars).unwrap_err();
        (e.pos, e.message)
    }

    #[test]
    fn operators_and_punctuation() {
        use Tok::*;
        assert_eq!(
            toks("( ) [ ] , == != < <= > >= + - * / % ** && || !"),
            vec![
                LParen, RParen, LBracket, RBracket, Comma, Eq, Ne, Lt, Le, Gt, Ge, Plus, Minus,
                Star, Slash, Percent, Pow, AndAnd, OrOr, Bang, Eof
            ]
        );
        assert_eq!(
            toks("a!=b"),
            vec![Ident("a".into()), Ne, Ident("b".into()), Eof]
        );
        assert_eq!(toks("2***3"), vec![Int(2), Pow, Star, Int(3), Eof]);
    }

    #[test]
    fn keywords_are_case_insensitive() {
        use Tok::*;
        assert_eq!(
            toks("and AND And or OR not NOT in IN like LIKE is IS null NULL true True TRUE false FALSE"),
            vec![
                And, And, And, Or, Or, Not, Not, In, In, Like, Like, Is, Is, Null, Null, True, True, True, False,
                False, Eof
            ]
        );
        assert_eq!(
            toks("andy _x $meta x1"),
            vec![
                Ident("andy".into()),
                Ident("_x".into()),
                Ident("$meta".into()),
                Ident("x1".into()),
                Eof
            ]
        );
    }

    #[test]
    fn numbers() {
        use Tok::*;
        assert_eq!(
            toks("0 42 9223372036854775808"),
            vec![Int(0), Int(42), Int(1 << 63), Eof]
        );
        assert_eq!(toks("0x1F 0o17 0b101"), vec![Int(31), Int(15), Int(5), Eof]);
        assert_eq!(
            toks("1.5 .5 2. 1e3 1E-2 2.5e+1"),
            vec![
                Float(1.5),
                Float(0.5),
                Float(2.0),
                Float(1000.0),
                Float(0.01),
                Float(25.0),
                Eof
            ]
        );
        assert_eq!(
            err("9223372036854775809"),
            (0, "integer literal out of range".into())
        );
        assert_eq!(
            err("x == 99999999999999999999"),
            (5, "integer literal out of range".into())
        );
        assert_eq!(
            err("0x8000000000000001"),
            (0, "integer literal out of range".into())
        );
        assert_eq!(err("1e999"), (0, "float literal out of range".into()));
        assert_eq!(err("1e"), (0, "malformed number".into()));
        assert_eq!(err("a > 12abc"), (4, "malformed number".into()));
        assert_eq!(err("1.2.3"), (0, "malformed number".into()));
        assert_eq!(err("0x"), (0, "malformed number".into()));
        assert_eq!(err("0b102"), (0, "malformed number".into()));
    }

    #[test]
    fn strings_and_escapes() {
        use Tok::*;
        assert_eq!(
            toks(r#""a\"b" 'c\'d' "\\ \n \t \r \/ \b \f""#),
            vec![
                Str("a\"b".into()),
                Str("c'd".into()),
                Str("\\ \n \t \r / \u{8} \u{c}".into()),
                Eof
            ]
        );
        assert_eq!(
            toks(r#"'say "hi"' "it's""#),
            vec![Str("say \"hi\"".into()), Str("it's".into()), Eof]
        );
        assert_eq!(
            toks(r#""\u00e9\u4E2D\ud83d\ude00""#),
            vec![Str("é中😀".into()), Eof]
        );
        assert_eq!(toks("'multi\nline'"), vec![Str("multi\nline".into()), Eof]);
        assert_eq!(
            err(r#"a == "abc"#),
            (5, "unterminated string literal".into())
        );
        assert_eq!(err(r#""abc\"#), (0, "unterminated string literal".into()));
        assert_eq!(
            err(r#""a\qb""#),
            (2, "invalid escape sequence \"\\q\"".into())
        );
        assert_eq!(
            err(r#""\u12""#),
            (1, "invalid \\u escape: expected 4 hex digits".into())
        );
        assert_eq!(
            err(r#""\ud83d""#),
            (1, "invalid \\u escape: unpaired surrogate".into())
        );
        assert_eq!(
            err(r#""\ude00""#),
            (1, "invalid \\u escape: unpaired surrogate".into())
        );
        assert_eq!(
            err(r#""\u0000""#),
            (1, "string literals cannot contain NUL characters".into())
        );
        assert_eq!(
            err("'a\0'"),
            (2, "string literals cannot contain NUL characters".into())
        );
    }

    #[test]
    fn bad_characters() {
        assert_eq!(
            err("a = 1"),
            (2, "unexpected character \"=\" (use == to compare)".into())
        );
        assert_eq!(
            err("a & b"),
            (2, "unexpected character \"&\" (use &&)".into())
        );
        assert_eq!(
            err("a | b"),
            (2, "unexpected character \"|\" (use ||)".into())
        );
        assert_eq!(err("a # b"), (2, "unexpected character \"#\"".into()));
        assert_eq!(err("é > 1 ; x"), (6, "unexpected character \";\"".into()));
    }

    #[test]
    fn positions_are_character_offsets() {
        let chars: Vec<char> = "'héllo' == x".chars().collect();
        let t = lex(&chars).unwrap();
        assert_eq!((t[0].pos, t[0].end), (0, 7));
        assert_eq!((t[1].pos, t[2].pos, t[3].pos), (8, 11, 12));
        assert_eq!(describe(&chars, &t[0]), "\"'héllo'\"");
        assert_eq!(describe(&chars, &t[3]), "end of expression");
    }
}
