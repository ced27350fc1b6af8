//! Row-based JSON files, as Milvus's bulk insert takes them: one JSON document holding an
//! array of row objects (`[{...}, {...}]`, or `{"rows": [{...}, ...]}`), or JSON lines
//! (one row object per line, `.jsonl` / `.ndjson`). Rows are streamed one at a time, so a
//! file larger than memory is read in the memory of one row.

use std::cell::RefCell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::bad_file;
use crate::error::{Error, Result};

/// How the rows of a JSON file are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonLayout {
    /// One document: an array of rows, or an object with a `rows` array.
    Document,
    /// One row per line (any whitespace between values).
    Lines,
}

/// Calls `row(n, value)` for every row of `bytes` (n from 1, in file order) and returns how
/// many rows there were. An error from `row` stops the walk and is returned as it is; a
/// syntax error names the row and the line.
pub fn for_each_row(bytes: &[u8], layout: JsonLayout, row: &mut dyn FnMut(usize, Value) -> Result<()>) -> Result<usize> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match layout {
        JsonLayout::Lines => {
            let mut n = 0;
            for v in serde_json::Deserializer::from_slice(bytes).into_iter::<Value>() {
                let v = v.map_err(|e| syntax(n + 1, &e))?;
                n += 1;
                row(n, v)?;
            }
            Ok(n)
        }
        JsonLayout::Document => {
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Err(bad_file("the file holds no JSON"));
            }
            let state = Walk { row: RefCell::new(row), n: RefCell::new(0), failed: RefCell::new(None) };
            let mut de = serde_json::Deserializer::from_slice(bytes);
            let walked = (&state).deserialize(&mut de).and_then(|()| de.end());
            if let Some(e) = state.failed.into_inner() {
                return Err(e);
            }
            let n = state.n.into_inner();
            walked.map_err(|e| syntax(n + 1, &e))?;
            Ok(n)
        }
    }
}

fn syntax(row: usize, e: &serde_json::Error) -> Error {
    bad_file(format!("row {row}: invalid JSON at line {}, column {}: {e}", e.line(), e.column()))
}

/// The walk over one document: its rows go to `row`; the first error from `row` is kept in
/// `failed` (serde only carries its own error type through a deserializer).
struct Walk<'f> {
    row: RefCell<&'f mut dyn FnMut(usize, Value) -> Result<()>>,
    n: RefCell<usize>,
    failed: RefCell<Option<Error>>,
}

impl<'de> DeserializeSeed<'de> for &Walk<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(Top(self))
    }
}

/// The document: an array of rows or an object with a `rows` array.
struct Top<'w, 'f>(&'w Walk<'f>);

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of rows, or an object with a \"rows\" array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<(), A::Error> {
        Rows(self.0).visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let mut seen = false;
        while let Some(k) = map.next_key::<String>()? {
            if k == "rows" && !seen {
                seen = true;
                map.next_value_seed(RowsSeed(self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if !seen {
            return Err(serde::de::Error::custom("the document has no \"rows\" array"));
        }
        Ok(())
    }
}

struct RowsSeed<'w, 'f>(&'w Walk<'f>);

impl<'de> DeserializeSeed<'de> for RowsSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(Rows(self.0))
    }
}

struct Rows<'w, 'f>(&'w Walk<'f>);

impl<'de> Visitor<'de> for Rows<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            let n = {
                let mut n = self.0.n.borrow_mut();
                *n += 1;
                *n
            };
            let mut row = self.0.row.borrow_mut();
            if let Err(e) = (*row)(n, v) {
                *self.0.failed.borrow_mut() = Some(e);
                return Err(serde::de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}
