//! The attribute blob: one tagged value per column, in column order.
//!
//! ```text
//! 0                      NULL
//! 1 / 2                  false / true
//! 3  i64                 integer (little-endian)
//! 4  u32 len, bytes      text
//! 5  u8 nulls, u32 n, n × i64          integer array: distinct elements, ascending
//! 6  u8 nulls, u32 n, n × (u32, bytes) text array: distinct elements, ascending
//! ```
//! `nulls` is 1 when the array held NULL elements (which equal nothing; they only matter to
//! `<@`). Reading never panics: a damaged blob reads as NULLs.

const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const INT: u8 = 3;
const TEXT: u8 = 4;
const INT_ARRAY: u8 = 5;
const TEXT_ARRAY: u8 = 6;

/// One column's value, as the pgrx layer reads it from a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Text(Vec<u8>),
    /// Elements (NULL elements as `None`), in any order.
    IntArray(Vec<Option<i64>>),
    TextArray(Vec<Option<Vec<u8>>>),
}

/// One column's value as stored, borrowed from a blob.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Attr<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Text(&'a [u8]),
    /// Raw elements (`n` × 8 bytes), whether NULL elements were dropped.
    IntArray { elems: &'a [u8], nulls: bool },
    /// Raw elements (`n` × (len, bytes)), their count, whether NULL elements were dropped.
    TextArray { elems: &'a [u8], count: usize, nulls: bool },
}

fn put_u32(out: &mut Vec<u8>, v: usize) {
    out.extend_from_slice(&(v.min(u32::MAX as usize) as u32).to_le_bytes());
}

/// The blob of a row's attribute columns.
pub fn encode(values: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in values {
        match v {
            Value::Null => out.push(NULL),
            Value::Bool(b) => out.push(if *b { TRUE } else { FALSE }),
            Value::Int(i) => {
                out.push(INT);
                out.extend_from_slice(&i.to_le_bytes());
            }
            Value::Text(t) => {
                out.push(TEXT);
                put_u32(&mut out, t.len());
                out.extend_from_slice(t);
            }
            Value::IntArray(a) => {
                let mut elems: Vec<i64> = a.iter().flatten().copied().collect();
                elems.sort_unstable();
                elems.dedup();
                out.push(INT_ARRAY);
                out.push(u8::from(a.iter().any(Option::is_none)));
                put_u32(&mut out, elems.len());
                for e in elems {
                    out.extend_from_slice(&e.to_le_bytes());
                }
            }
            Value::TextArray(a) => {
                let mut elems: Vec<&[u8]> = a.iter().flatten().map(Vec::as_slice).collect();
                elems.sort_unstable();
                elems.dedup();
                out.push(TEXT_ARRAY);
                out.push(u8::from(a.iter().any(Option::is_none)));
                put_u32(&mut out, elems.len());
                for e in elems {
                    put_u32(&mut out, e.len());
                    out.extend_from_slice(e);
                }
            }
        }
    }
    out
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|s| s[0])
    }

    fn u32(&mut self) -> Option<usize> {
        self.take(4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
    }

    fn value(&mut self) -> Option<Attr<'a>> {
        Some(match self.u8()? {
            NULL => Attr::Null,
            FALSE => Attr::Bool(false),
            TRUE => Attr::Bool(true),
            INT => Attr::Int(i64::from_le_bytes(self.take(8)?.try_into().ok()?)),
            TEXT => {
                let n = self.u32()?;
                Attr::Text(self.take(n)?)
            }
            INT_ARRAY => {
                let nulls = self.u8()? != 0;
                let n = self.u32()?;
                Attr::IntArray { elems: self.take(n.checked_mul(8)?)?, nulls }
            }
            TEXT_ARRAY => {
                let nulls = self.u8()? != 0;
                let count = self.u32()?;
                let start = self.at;
                for _ in 0..count {
                    let n = self.u32()?;
                    self.take(n)?;
                }
                Attr::TextArray { elems: &self.b[start..self.at], count, nulls }
            }
            _ => return None,
        })
    }
}

/// Column `col` (0-based among the attribute columns) of a blob; NULL when the blob is too
/// short or damaged.
#[inline]
pub fn decode(blob: &[u8], col: usize) -> Attr<'_> {
    // the first column's scalars without the reader (the exact pass tests every entry)
    if col == 0 {
        match blob.first() {
            Some(&INT) => {
                if let Some(Ok(b)) = blob.get(1..9).map(<[u8; 8]>::try_from) {
                    return Attr::Int(i64::from_le_bytes(b));
                }
                return Attr::Null;
            }
            Some(&NULL) | None => return Attr::Null,
            Some(&FALSE) => return Attr::Bool(false),
            Some(&TRUE) => return Attr::Bool(true),
            _ => {}
        }
    }
    let mut r = Reader { b: blob, at: 0 };
    for _ in 0..col {
        if r.value().is_none() {
            return Attr::Null;
        }
    }
    r.value().unwrap_or(Attr::Null)
}

impl<'a> Attr<'a> {
    /// Elements of an integer array, ascending.
    pub fn ints(elems: &'a [u8]) -> impl Iterator<Item = i64> + 'a {
        elems.chunks_exact(8).map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
    }

    /// Elements of a text array, ascending (stops at damage).
    pub fn texts(elems: &'a [u8], count: usize) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut r = Reader { b: elems, at: 0 };
        (0..count).map_while(move |_| {
            let n = r.u32()?;
            r.take(n)
        })
    }
}
