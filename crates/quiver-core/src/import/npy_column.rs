//! One field of Milvus's NumPy bulk-insert layout: a `.npy` file per field, named after it,
//! each holding that field's value for every row. Vectors are two-dimensional arrays
//! (rows × dim; `uint8` rows of dim / 8 bytes for binary vectors), scalars one-dimensional
//! arrays of integers, floats or booleans, and strings NumPy's fixed-width unicode arrays
//! (`<U`). Each value comes out as JSON, for the collection's row validation.

use half::f16;
use serde_json::{Number, Value};

use super::bad_file;
use super::npy::{big_endian, parse_c_order};
use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Bool,
    Int { size: usize, signed: bool },
    Float { size: usize },
    /// Fixed-width UCS-4 strings of this many characters.
    Unicode(usize),
}

/// A validated `.npy` array over its bytes, one value (or one vector) per row.
#[derive(Debug)]
pub struct NpyColumn<'a> {
    data: &'a [u8],
    kind: Kind,
    rows: usize,
    /// Elements per row: `None` for a one-dimensional array (a scalar per row).
    width: Option<usize>,
}

fn kind_of(descr: &str) -> Result<Kind> {
    let (order, code) = match descr.as_bytes().first() {
        Some(b'<' | b'|' | b'=') => (true, &descr[1..]),
        Some(b'>') => (false, &descr[1..]),
        _ => (true, descr),
    };
    let size: usize = code.get(1..).and_then(|s| s.parse().ok()).unwrap_or(0);
    let kind = match (code.as_bytes().first(), size) {
        (Some(b'b'), 1) => Kind::Bool,
        (Some(b'i'), 1 | 2 | 4 | 8) => Kind::Int { size, signed: true },
        (Some(b'u'), 1 | 2 | 4 | 8) => Kind::Int { size, signed: false },
        (Some(b'f'), 2 | 4 | 8) => Kind::Float { size },
        (Some(b'U'), n) if n > 0 => Kind::Unicode(n),
        _ => {
            return Err(bad_file(format!("unsupported .npy dtype '{descr}'")).with_detail(
                "supported: bool, int8..int64, uint8..uint64, float16/32/64 and fixed-width unicode strings (<U)",
            ))
        }
    };
    let single_byte = matches!(kind, Kind::Bool | Kind::Int { size: 1, .. });
    if !order && !single_byte {
        return Err(big_endian(descr));
    }
    Ok(kind)
}

impl Kind {
    fn size(self) -> usize {
        match self {
            Kind::Bool => 1,
            Kind::Int { size, .. } | Kind::Float { size } => size,
            Kind::Unicode(n) => 4 * n,
        }
    }
}

impl<'a> NpyColumn<'a> {
    /// Validates `bytes` as a C-ordered one- or two-dimensional array.
    pub fn open(bytes: &'a [u8]) -> Result<NpyColumn<'a>> {
        let h = parse_c_order(bytes)?;
        let kind = kind_of(&h.descr)?;
        let (rows, width) = match h.shape[..] {
            [n] => (n, None),
            [n, d] => (n, Some(d)),
            _ => return Err(bad_file(format!("a field's .npy array has one or two dimensions, not {}", h.shape.len()))),
        };
        if width.is_some() && matches!(kind, Kind::Unicode(_)) {
            return Err(bad_file("a two-dimensional .npy array of strings is not a field"));
        }
        let need = rows
            .checked_mul(width.unwrap_or(1))
            .and_then(|v| v.checked_mul(kind.size() as u64))
            .and_then(|v| usize::try_from(v).ok())
            .ok_or_else(|| bad_file("the .npy shape is too large"))?;
        let data = &bytes[h.data_offset..];
        if data.len() != need {
            return Err(bad_file(format!(
                "the .npy file holds {} bytes of data where its shape needs {need}{}",
                data.len(),
                if data.len() < need { " (it is truncated)" } else { "" }
            )));
        }
        let rows = usize::try_from(rows).map_err(|_| bad_file("the .npy shape is too large"))?;
        Ok(NpyColumn { data, kind, rows, width: width.map(|w| w as usize) })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Elements per row of a two-dimensional array.
    pub fn width(&self) -> Option<usize> {
        self.width
    }

    /// The value of row `i` (0-based, `i < rows()`) as JSON: a number, boolean or string, or
    /// an array of numbers for a two-dimensional array.
    pub fn value(&self, i: usize) -> Result<Value> {
        let s = self.kind.size();
        match self.width {
            None => self.scalar(&self.data[i * s..(i + 1) * s]),
            Some(w) => {
                let row = &self.data[i * w * s..(i + 1) * w * s];
                row.chunks_exact(s).map(|e| self.scalar(e)).collect::<Result<Vec<_>>>().map(Value::Array)
            }
        }
    }

    fn scalar(&self, e: &[u8]) -> Result<Value> {
        let mut b = [0u8; 8];
        let int = |e: &[u8], signed: bool, b: &mut [u8; 8]| {
            b[..e.len()].copy_from_slice(e);
            if signed && e.last().is_some_and(|x| x & 0x80 != 0) {
                b[e.len()..].fill(0xff);
            }
            *b
        };
        Ok(match self.kind {
            Kind::Bool => Value::Bool(e[0] != 0),
            Kind::Int { signed: true, .. } => Value::from(i64::from_le_bytes(int(e, true, &mut b))),
            Kind::Int { signed: false, .. } => Value::from(u64::from_le_bytes(int(e, false, &mut b))),
            Kind::Float { size } => {
                let x = match size {
                    2 => f16::from_bits(u16::from_le_bytes([e[0], e[1]])).to_f64(),
                    4 => f32::from_le_bytes([e[0], e[1], e[2], e[3]]) as f64,
                    _ => f64::from_le_bytes([e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7]]),
                };
                Value::Number(Number::from_f64(x).ok_or_else(|| Error::data(format!("{x} is not a finite number")))?)
            }
            Kind::Unicode(_) => {
                let mut s = String::new();
                for c in e.chunks_exact(4) {
                    let u = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                    if u == 0 {
                        break;
                    }
                    s.push(char::from_u32(u).ok_or_else(|| bad_file(format!("U+{u:X} is not a character")))?);
                }
                Value::String(s)
            }
        })
    }
}
