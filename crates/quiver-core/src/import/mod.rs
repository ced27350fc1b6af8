//! Reading files for bulk import, straight from their bytes (the pgrx layer memory-maps
//! the file): for a table's vector column, NumPy `.npy` arrays and the `.fvecs` / `.bvecs` /
//! `.ivecs` files of the ANN benchmarks ([`VectorFile`]); for a collection, Milvus's row
//! files — JSON, NumPy one file per field, Parquet ([`RowFormat`]).
//!
//! A [`VectorFile`] validates the whole layout up front (header, element type, that
//! the byte length holds every row) so that a bad file fails before anything is
//! written; per-row checks (a `.fvecs` row whose dimension header differs, a value
//! that is NaN or infinite) report the row. Rows are numbered from 1, as COPY does.

mod json;
mod npy;
mod npy_column;
mod parquet_rows;
mod rows;
mod vecs;

pub use json::{for_each_row as json_rows, JsonLayout};
pub use npy::parse_header as parse_npy_header;
pub use npy::NpyHeader;
pub use npy_column::NpyColumn;
pub use parquet_rows::{for_each_row as parquet_rows, owned_bytes};
pub use rows::{in_file, npy_field, NpySet, RowFormat};

use crate::error::{Error, ErrorKind, Result};
use half::f16;

/// The element type stored in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem {
    F32,
    F16,
    I8,
    U8,
    I32,
    I64,
}

impl Elem {
    pub fn size(self) -> usize {
        match self {
            Elem::F32 | Elem::I32 => 4,
            Elem::F16 => 2,
            Elem::I8 | Elem::U8 => 1,
            Elem::I64 => 8,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Elem::F32 => "float32",
            Elem::F16 => "float16",
            Elem::I8 => "int8",
            Elem::U8 => "uint8",
            Elem::I32 => "int32",
            Elem::I64 => "int64",
        }
    }

    /// Element `i` of little-endian `b` as f64 (exact for every type but very large int64).
    #[inline]
    fn get(self, b: &[u8], i: usize) -> f64 {
        let s = self.size();
        let e = &b[i * s..(i + 1) * s];
        match self {
            Elem::F32 => f32::from_le_bytes([e[0], e[1], e[2], e[3]]) as f64,
            Elem::F16 => f16::from_bits(u16::from_le_bytes([e[0], e[1]])).to_f64(),
            Elem::I8 => e[0] as i8 as f64,
            Elem::U8 => e[0] as f64,
            Elem::I32 => i32::from_le_bytes([e[0], e[1], e[2], e[3]]) as f64,
            Elem::I64 => i64::from_le_bytes([e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7]]) as f64,
        }
    }
}

/// A supported file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Npy,
    Fvecs,
    Bvecs,
    Ivecs,
}

impl Format {
    /// `npy`, `fvecs`, `bvecs` or `ivecs` (case-insensitive, an optional leading dot).
    pub fn parse(name: &str) -> Result<Format> {
        match name.trim_start_matches('.').to_ascii_lowercase().as_str() {
            "npy" => Ok(Format::Npy),
            "fvecs" => Ok(Format::Fvecs),
            "bvecs" => Ok(Format::Bvecs),
            "ivecs" => Ok(Format::Ivecs),
            _ => Err(Error::param(format!("unknown file format \"{name}\""))
                .with_detail("supported formats: npy, fvecs, bvecs, ivecs".to_string())),
        }
    }

    /// The format a file name's extension names, if any.
    pub fn from_path(path: &str) -> Option<Format> {
        let ext = path.rsplit_once('.')?.1;
        Format::parse(ext).ok()
    }
}

/// How rows sit in the bytes.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// `rows × dim` elements from `offset`, row-major.
    Dense { offset: usize },
    /// Every row is a little-endian i32 dimension followed by its elements.
    Vecs,
}

/// A validated vector file over its bytes.
#[derive(Debug)]
pub struct VectorFile<'a> {
    bytes: &'a [u8],
    elem: Elem,
    rows: usize,
    dim: usize,
    layout: Layout,
}

/// The SQLSTATE of a malformed file: 22P04 bad_copy_file_format.
pub(crate) fn bad_file(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::BadFileFormat, message)
}

impl<'a> VectorFile<'a> {
    /// Validates `bytes` as a file of `format`.
    pub fn open(bytes: &'a [u8], format: Format) -> Result<VectorFile<'a>> {
        match format {
            Format::Npy => npy::open(bytes),
            Format::Fvecs => vecs::open(bytes, Elem::F32),
            Format::Bvecs => vecs::open(bytes, Elem::U8),
            Format::Ivecs => vecs::open(bytes, Elem::I32),
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Values per row (1 for a one-dimensional `.npy` array).
    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn elem(&self) -> Elem {
        self.elem
    }

    /// The raw little-endian elements of row `i` (`i < rows()`), after checking a `.*vecs`
    /// row's dimension header.
    fn raw(&self, i: usize) -> Result<&'a [u8]> {
        let width = self.dim * self.elem.size();
        match self.layout {
            Layout::Dense { offset } => Ok(&self.bytes[offset + i * width..offset + (i + 1) * width]),
            Layout::Vecs => {
                let at = i * (4 + width);
                let h = &self.bytes[at..at + 4];
                let d = i32::from_le_bytes([h[0], h[1], h[2], h[3]]);
                if d as i64 != self.dim as i64 {
                    return Err(bad_file(format!(
                        "row {}: dimension header says {d}, the file's first row has {}",
                        i + 1,
                        self.dim
                    )));
                }
                Ok(&self.bytes[at + 4..at + 4 + width])
            }
        }
    }

    /// Row `i` (`i < rows()`) converted to f32 into `out` (cleared first). Values that are
    /// NaN or infinite, or integers beyond f32's exact range (±2^24), are errors.
    pub fn row_f32(&self, i: usize, out: &mut Vec<f32>) -> Result<()> {
        let raw = self.raw(i)?;
        out.clear();
        out.reserve(self.dim);
        match self.elem {
            Elem::F32 => {
                // decode, then check, in passes the compiler vectorises
                out.extend(raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])));
                if !out.iter().fold(true, |ok, v| ok & v.is_finite()) {
                    if let Some((j, v)) = out.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                        return Err(not_finite(i, j, *v as f64));
                    }
                }
            }
            elem => {
                for j in 0..self.dim {
                    let v = elem.get(raw, j);
                    if !v.is_finite() {
                        return Err(not_finite(i, j, v));
                    }
                    if matches!(elem, Elem::I32 | Elem::I64) && v.abs() > (1u32 << 24) as f64 {
                        return Err(Error::new(
                            ErrorKind::NumericValueOutOfRange,
                            format!("row {}, element {}: {v} is not exactly representable as float4", i + 1, j + 1),
                        ));
                    }
                    out.push(v as f32);
                }
            }
        }
        Ok(())
    }

    /// Element `j` of row `i` as an integer (for id files), when the file holds integers.
    pub fn row_int(&self, i: usize, j: usize) -> Result<i64> {
        let raw = self.raw(i)?;
        let s = self.elem.size();
        let e = &raw[j * s..(j + 1) * s];
        match self.elem {
            Elem::I64 => Ok(i64::from_le_bytes([e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7]])),
            Elem::I32 => Ok(i32::from_le_bytes([e[0], e[1], e[2], e[3]]) as i64),
            Elem::I8 => Ok(e[0] as i8 as i64),
            Elem::U8 => Ok(e[0] as i64),
            Elem::F32 | Elem::F16 => Err(Error::new(
                ErrorKind::DatatypeMismatch,
                format!("an id file must hold integers, not {}", self.elem.name()),
            )),
        }
    }
}

fn not_finite(i: usize, j: usize, v: f64) -> Error {
    Error::data(format!("row {}, element {}: {v} is not a finite number", i + 1, j + 1))
}

#[cfg(test)]
mod tests;
