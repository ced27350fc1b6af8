//! Values PostgreSQL hands the collection functions, checked before any use:
//!
//! * text must be UTF-8. A UTF8 database guarantees it; a SQL_ASCII database stores any
//!   bytes, so [`decode`] checks them; a database in another encoding is read only when
//!   the text is ASCII (the functions do not convert between encodings).
//! * jsonb is rebuilt as a `serde_json::Value` by [`JsonBuilder`], fed one token at a time.
//!   Its numbers must fit double precision (jsonb's numeric can hold `1e400`, serde_json
//!   cannot), nesting is bounded, and every error names the argument and the JSON path of
//!   the offending value (`rows at $[0].vector[2]`).

use std::fmt::{self, Display};

use serde_json::{Map, Number, Value};

use crate::error::{Error, ErrorKind, Result};

/// The server encoding, as far as reading text goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding<'a> {
    Utf8,
    SqlAscii,
    /// Any other server encoding, by its PostgreSQL name (`LATIN1`).
    Other(&'a str),
}

/// Length of the byte sequence PostgreSQL reports for an invalid UTF-8 sequence starting
/// with `lead` (its `pg_utf_mblen`).
fn utf8_sequence_len(lead: u8) -> usize {
    match lead {
        b if b & 0x80 == 0 => 1,
        b if b & 0xe0 == 0xc0 => 2,
        b if b & 0xf0 == 0xe0 => 3,
        b if b & 0xf8 == 0xf0 => 4,
        _ => 1,
    }
}

/// `bytes` as text. `place` names where they came from (an argument, a JSON path in one).
/// Errors follow PostgreSQL's for invalid byte sequences (22021, the bytes in hex).
pub fn decode<'a>(bytes: &'a [u8], encoding: Encoding<'_>, place: &dyn Display) -> Result<&'a str> {
    if let Encoding::Other(name) = encoding {
        if !bytes.is_ascii() {
            return Err(Error::new(ErrorKind::FeatureNotSupported, format!("non-ASCII text in {place} is not supported in a {name} database"))
                .with_detail("quiver's collection functions work on UTF-8 text: use a UTF8 database, or ASCII text only."));
        }
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let bad = &bytes[e.valid_up_to()..];
        let n = utf8_sequence_len(bad[0]).min(bad.len());
        let hex: Vec<String> = bad[..n].iter().map(|b| format!("0x{b:02x}")).collect();
        let err = Error::new(ErrorKind::CharacterNotInRepertoire, format!("invalid byte sequence for encoding \"UTF8\" in {place}: {}", hex.join(" ")));
        match encoding {
            Encoding::SqlAscii => err.with_detail("quiver's collection functions work on UTF-8 text; a SQL_ASCII database also stores bytes that are not UTF-8."),
            _ => err,
        }
    })
}

/// Deepest nesting of arrays and objects accepted in a JSON value.
pub const MAX_JSON_DEPTH: usize = 128;

enum Frame {
    Array(Vec<Value>),
    /// The object so far and the key whose value comes next.
    Object(Map<String, Value>, Option<String>),
}

/// Builds a `Value` from a stream of tokens (the order jsonb's iterator yields them):
/// `begin_array` / `begin_object` ... `end`, `key` before each object member, `scalar` or
/// `number` for the leaves.
pub struct JsonBuilder<'a> {
    what: &'a str,
    stack: Vec<Frame>,
    root: Option<Value>,
}

/// Where a value is: the argument and its JSON path (`rows at $[0].name`), or a key.
pub struct Place<'b> {
    what: &'b str,
    path: String,
    key: bool,
}

impl Display for Place<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key {
            write!(f, "a key in ")?;
        }
        write!(f, "{}", self.what)?;
        if self.path != "$" {
            write!(f, " at {}", self.path)?;
        }
        Ok(())
    }
}

/// A JSON number as serde_json classifies it (an integer that fits u64 or i64 stays an
/// integer, anything else is a double), rounded correctly (serde_json's own parser is not
/// exact for long digit strings, and numeric's output never has an exponent); None if
/// it is beyond double precision.
fn parse_number(text: &str) -> Option<Number> {
    if !text.contains(['.', 'e', 'E']) {
        if let Ok(u) = text.parse::<u64>() {
            return Some(u.into());
        }
        if let Ok(i) = text.parse::<i64>() {
            return Some(i.into());
        }
    }
    text.parse::<f64>().ok().and_then(Number::from_f64)
}

/// `.key` when `key` is an identifier, else `."key"` (jsonpath syntax).
fn path_key(out: &mut String, key: &str) {
    let ident = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ident {
        out.push('.');
        out.push_str(key);
    } else {
        out.push('.');
        out.push_str(&Value::String(key.to_string()).to_string());
    }
}

impl<'a> JsonBuilder<'a> {
    /// A builder for the value of `what` (an argument name, or a description).
    pub fn new(what: &'a str) -> Self {
        JsonBuilder { what, stack: Vec::new(), root: None }
    }

    /// Where the next token goes.
    pub fn place(&self) -> Place<'a> {
        let mut path = String::from("$");
        let mut key = false;
        for (i, frame) in self.stack.iter().enumerate() {
            let last = i + 1 == self.stack.len();
            match frame {
                Frame::Array(items) => path.push_str(&format!("[{}]", items.len())),
                Frame::Object(_, Some(k)) => path_key(&mut path, k),
                Frame::Object(_, None) => key = last,
            }
        }
        Place { what: self.what, path, key }
    }

    fn begin(&mut self, frame: Frame) -> Result<()> {
        if self.stack.len() >= MAX_JSON_DEPTH {
            return Err(Error::new(
                ErrorKind::ProgramLimitExceeded,
                format!("JSON value in {} is nested more than {MAX_JSON_DEPTH} levels deep", self.what),
            ));
        }
        self.stack.push(frame);
        Ok(())
    }

    pub fn begin_array(&mut self) -> Result<()> {
        self.begin(Frame::Array(Vec::new()))
    }

    pub fn begin_object(&mut self) -> Result<()> {
        self.begin(Frame::Object(Map::new(), None))
    }

    /// The key of the next member of the innermost object.
    pub fn key(&mut self, key: String) {
        if let Some(Frame::Object(_, pending)) = self.stack.last_mut() {
            *pending = Some(key);
        }
    }

    /// A leaf value (or a finished container).
    pub fn scalar(&mut self, v: Value) {
        match self.stack.last_mut() {
            Some(Frame::Array(items)) => items.push(v),
            Some(Frame::Object(map, pending)) => {
                map.insert(pending.take().unwrap_or_default(), v);
            }
            None => self.root = Some(v),
        }
    }

    /// A number in its text form (jsonb's numeric output, plain decimal digits); it must
    /// fit double precision.
    pub fn number(&mut self, text: &str) -> Result<()> {
        match parse_number(text) {
            Some(n) => {
                self.scalar(Value::Number(n));
                Ok(())
            }
            None => Err(Error::new(
                ErrorKind::NumericValueOutOfRange,
                format!("number in {} is out of range for type double precision", self.place()),
            )),
        }
    }

    /// Ends the innermost array or object.
    pub fn end(&mut self) {
        let v = match self.stack.pop() {
            Some(Frame::Array(items)) => Value::Array(items),
            Some(Frame::Object(map, _)) => Value::Object(map),
            None => return,
        };
        self.scalar(v);
    }

    /// The value built (JSON null if no token came).
    pub fn finish(mut self) -> Value {
        while !self.stack.is_empty() {
            self.end();
        }
        self.root.unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decode_accepts_utf8_and_reports_invalid_bytes_like_postgres() {
        assert_eq!(decode("héllo".as_bytes(), Encoding::Utf8, &"collection").unwrap(), "héllo");
        let e = decode(b"f\xa9x", Encoding::SqlAscii, &"collection").unwrap_err();
        assert_eq!(e.kind, ErrorKind::CharacterNotInRepertoire);
        assert_eq!(e.message, "invalid byte sequence for encoding \"UTF8\" in collection: 0xa9");
        assert!(e.detail.unwrap().contains("SQL_ASCII"));
        // A truncated 3-byte sequence shows the bytes that are there; a bad continuation
        // shows the sequence the lead byte announces.
        let e = decode(b"ab\xe2\x82", Encoding::SqlAscii, &"filter").unwrap_err();
        assert_eq!(e.message, "invalid byte sequence for encoding \"UTF8\" in filter: 0xe2 0x82");
        let e = decode(b"\xe2\x28\xa1z", Encoding::SqlAscii, &"filter").unwrap_err();
        assert_eq!(e.message, "invalid byte sequence for encoding \"UTF8\" in filter: 0xe2 0x28 0xa1");
    }

    #[test]
    fn decode_in_other_encodings_reads_ascii_only() {
        assert_eq!(decode(b"docs", Encoding::Other("LATIN1"), &"collection").unwrap(), "docs");
        // 0xc3 0xa9 is "é" in UTF-8 but "Ã©" in LATIN1: never guessed.
        let e = decode(b"caf\xc3\xa9", Encoding::Other("LATIN1"), &"collection").unwrap_err();
        assert_eq!(e.kind, ErrorKind::FeatureNotSupported);
        assert_eq!(e.message, "non-ASCII text in collection is not supported in a LATIN1 database");
    }

    /// Feeds `v` to a builder the way jsonb's iterator does.
    fn feed(b: &mut JsonBuilder, v: &Value) -> Result<()> {
        match v {
            Value::Array(a) => {
                b.begin_array()?;
                for x in a {
                    feed(b, x)?;
                }
                b.end();
            }
            Value::Object(o) => {
                b.begin_object()?;
                for (k, x) in o {
                    b.key(k.clone());
                    feed(b, x)?;
                }
                b.end();
            }
            Value::Number(n) => b.number(&n.to_string())?,
            other => b.scalar(other.clone()),
        }
        Ok(())
    }

    #[test]
    fn builder_rebuilds_values() {
        for v in [json!(null), json!(1), json!(-7), json!(0.5), json!("s"), json!([]), json!({}),
                  json!([{"id": 1, "vector": [1.0, 2.5], "meta": {"a b": [true, null]}}, 18446744073709551615u64])] {
            let mut b = JsonBuilder::new("rows");
            feed(&mut b, &v).unwrap();
            assert_eq!(b.finish(), v);
        }
        // Integers stay integers (keys are compared as integers later), as serde_json parses them.
        let mut b = JsonBuilder::new("ids");
        b.begin_array().unwrap();
        b.number("5").unwrap();
        b.number("-5").unwrap();
        b.number("100000000000000000000").unwrap();
        b.number("0.000001").unwrap();
        // Below double precision's smallest value is zero, as in serde_json.
        b.number(&format!("0.{}1", "0".repeat(400))).unwrap();
        b.end();
        let v = b.finish();
        assert_eq!(v[0].as_i64(), Some(5));
        assert_eq!(v[1].as_i64(), Some(-5));
        assert_eq!(v[2].as_f64(), Some(1e20));
        assert_eq!(v[3].as_f64(), Some(1e-6));
        assert_eq!(v[4].as_f64(), Some(0.0));
    }

    #[test]
    fn numbers_beyond_double_precision_are_out_of_range_with_their_path() {
        let big = format!("1{}", "0".repeat(400)); // numeric's text of 1e400
        let mut b = JsonBuilder::new("rows");
        b.begin_array().unwrap();
        b.begin_object().unwrap();
        b.key("id".into());
        b.number("1").unwrap();
        b.key("vector".into());
        b.begin_array().unwrap();
        b.number("0.5").unwrap();
        let e = b.number(&big).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NumericValueOutOfRange);
        assert_eq!(e.message, "number in rows at $[0].vector[1] is out of range for type double precision");
        let e = b.number(&format!("-{big}")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NumericValueOutOfRange);
        // Rejected only beyond the largest double; numeric prints it without an exponent.
        let max = format!("17976931348623157{}", "0".repeat(292));
        b.number(&max).unwrap();
        b.number(&format!("-{max}")).unwrap();
        b.number(&format!("17976931348623159{}", "0".repeat(292))).unwrap_err();
        b.end();
        b.end();
        b.end();
        assert_eq!(b.finish()[0]["vector"], json!([0.5, f64::MAX, -f64::MAX]));
        // At the top level the path is left out.
        let e = JsonBuilder::new("params").number(&big).unwrap_err();
        assert_eq!(e.message, "number in params is out of range for type double precision");
    }

    #[test]
    fn places_quote_keys_that_are_not_identifiers_and_name_keys() {
        let mut b = JsonBuilder::new("rows");
        b.begin_object().unwrap();
        assert_eq!(b.place().to_string(), "a key in rows");
        b.key("a \"b\"".into());
        b.begin_object().unwrap();
        b.key("_x1".into());
        assert_eq!(b.place().to_string(), "rows at $.\"a \\\"b\\\"\"._x1");
        b.scalar(json!(1));
        assert_eq!(b.place().to_string(), "a key in rows at $.\"a \\\"b\\\"\"");
    }

    #[test]
    fn nesting_is_bounded() {
        let mut b = JsonBuilder::new("schema");
        for _ in 0..MAX_JSON_DEPTH {
            b.begin_array().unwrap();
        }
        let e = b.begin_array().unwrap_err();
        assert_eq!(e.kind, ErrorKind::ProgramLimitExceeded);
        assert_eq!(e.message, "JSON value in schema is nested more than 128 levels deep");
    }
}
