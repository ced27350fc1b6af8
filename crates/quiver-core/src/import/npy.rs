//! NumPy `.npy` files (format versions 1.0, 2.0 and 3.0): a magic string, a version, the
//! length of a header that is a Python dict literal (`{'descr': '<f4', 'fortran_order':
//! False, 'shape': (1000, 128), }`), then the array's bytes.

use super::{bad_file, Elem, Layout, VectorFile};
use crate::error::Result;

const MAGIC: &[u8] = b"\x93NUMPY";

/// What a `.npy` header says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NpyHeader {
    pub descr: String,
    pub fortran_order: bool,
    pub shape: Vec<u64>,
    /// Where the array's bytes start.
    pub data_offset: usize,
}

/// Parses the magic, version and header of a `.npy` file.
pub fn parse_header(bytes: &[u8]) -> Result<NpyHeader> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(bad_file("not a NumPy .npy file (the magic string \\x93NUMPY is missing)"));
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (len, start): (usize, usize) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        _ => return Err(bad_file(format!("unsupported .npy format version {major}.{minor}"))),
    };
    let end =
        start.checked_add(len).filter(|&e| e <= bytes.len()).ok_or_else(|| bad_file("the .npy header is truncated"))?;
    let text = std::str::from_utf8(&bytes[start..end]).map_err(|_| bad_file("the .npy header is not valid text"))?;
    let mut p = Parser { s: text.as_bytes(), at: 0 };
    let header = p.dict()?;
    Ok(NpyHeader { data_offset: end, ..header })
}

/// The header of a C-ordered array (import reads rows in memory order).
pub(super) fn parse_c_order(bytes: &[u8]) -> Result<NpyHeader> {
    let h = parse_header(bytes)?;
    if h.fortran_order {
        return Err(bad_file("Fortran-ordered .npy arrays are not supported")
            .with_detail("save the array C-ordered, e.g. np.save(path, np.ascontiguousarray(a))"));
    }
    Ok(h)
}

/// The error for a big-endian dtype.
pub(super) fn big_endian(descr: &str) -> crate::error::Error {
    bad_file(format!("big-endian .npy arrays are not supported (dtype '{descr}')"))
        .with_detail("convert with a.astype(a.dtype.newbyteorder('<'))")
}

/// Opens a one- or two-dimensional C-ordered array of a supported element type.
pub(super) fn open(bytes: &[u8]) -> Result<VectorFile<'_>> {
    let h = parse_c_order(bytes)?;
    let elem = match h.descr.as_str() {
        "<f4" => Elem::F32,
        "<f2" => Elem::F16,
        "|i1" | "<i1" | "i1" => Elem::I8,
        "|u1" | "<u1" | "u1" => Elem::U8,
        "<i4" => Elem::I32,
        "<i8" => Elem::I64,
        d if d.starts_with('>') => return Err(big_endian(d)),
        d => {
            return Err(bad_file(format!("unsupported .npy dtype '{d}'"))
                .with_detail("supported: float32, float16, int8, uint8 (vectors); int32, int64 (ids)"))
        }
    };
    let (rows, dim) = match h.shape[..] {
        [n] => (n, 1),
        [n, d] => (n, d),
        _ => return Err(bad_file(format!("a .npy array for import has one or two dimensions, not {}", h.shape.len()))),
    };
    let need = rows
        .checked_mul(dim)
        .and_then(|v| v.checked_mul(elem.size() as u64))
        .and_then(|v| usize::try_from(v).ok())
        .ok_or_else(|| bad_file("the .npy shape is too large"))?;
    let have = bytes.len() - h.data_offset;
    if have < need {
        let whole = have / (dim as usize * elem.size()).max(1);
        return Err(bad_file(format!(
            "the .npy file is truncated: its shape needs {need} bytes of data, it has {have} (row {} is incomplete)",
            whole + 1
        )));
    }
    if have > need {
        return Err(bad_file(format!("the .npy file has {} bytes after the array its shape describes", have - need)));
    }
    Ok(VectorFile {
        bytes,
        elem,
        rows: rows as usize,
        dim: dim as usize,
        layout: Layout::Dense { offset: h.data_offset },
    })
}

/// A parser for the dict literal NumPy writes.
struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.at < self.s.len() && self.s[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.at).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(bad_file(format!("malformed .npy header: expected '{}' at byte {}", c as char, self.at)))
        }
    }

    fn string(&mut self) -> Result<String> {
        let q = self
            .peek()
            .filter(|&c| c == b'\'' || c == b'"')
            .ok_or_else(|| bad_file("malformed .npy header: expected a string"))?;
        self.at += 1;
        let start = self.at;
        while self.at < self.s.len() && self.s[self.at] != q {
            self.at += 1;
        }
        if self.at >= self.s.len() {
            return Err(bad_file("malformed .npy header: unterminated string"));
        }
        let v = String::from_utf8_lossy(&self.s[start..self.at]).into_owned();
        self.at += 1;
        Ok(v)
    }

    fn word(&mut self) -> &[u8] {
        self.ws();
        let start = self.at;
        while self.at < self.s.len() && (self.s[self.at].is_ascii_alphanumeric() || self.s[self.at] == b'_') {
            self.at += 1;
        }
        &self.s[start..self.at]
    }

    fn int(&mut self) -> Result<u64> {
        let w = self.word();
        let digits = w.strip_suffix(b"L").unwrap_or(w);
        std::str::from_utf8(digits).ok().filter(|d| !d.is_empty()).and_then(|d| d.parse::<u64>().ok()).ok_or_else(
            || bad_file("malformed .npy header: the shape holds something other than a non-negative integer"),
        )
    }

    fn dict(&mut self) -> Result<NpyHeader> {
        let (mut descr, mut fortran, mut shape) = (None, None, None);
        self.expect(b'{')?;
        while !self.eat(b'}') {
            let key = self.string()?;
            self.expect(b':')?;
            match key.as_str() {
                "descr" => {
                    if self.peek() != Some(b'\'') && self.peek() != Some(b'"') {
                        return Err(bad_file("structured .npy arrays (several fields per element) are not supported"));
                    }
                    descr = Some(self.string()?);
                }
                "fortran_order" => {
                    fortran = Some(match self.word() {
                        b"True" => true,
                        b"False" => false,
                        _ => return Err(bad_file("malformed .npy header: fortran_order is not True or False")),
                    })
                }
                "shape" => {
                    self.expect(b'(')?;
                    let mut dims = Vec::new();
                    while !self.eat(b')') {
                        dims.push(self.int()?);
                        if !self.eat(b',') {
                            self.expect(b')')?;
                            break;
                        }
                    }
                    shape = Some(dims);
                }
                other => return Err(bad_file(format!("malformed .npy header: unknown key '{other}'"))),
            }
            if !self.eat(b',') {
                self.expect(b'}')?;
                break;
            }
        }
        match (descr, fortran, shape) {
            (Some(descr), Some(fortran_order), Some(shape)) => {
                Ok(NpyHeader { descr, fortran_order, shape, data_offset: 0 })
            }
            _ => Err(bad_file("malformed .npy header: descr, fortran_order and shape are required")),
        }
    }
}
