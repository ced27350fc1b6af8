//! `.fvecs` / `.bvecs` / `.ivecs` (the TEXMEX ANN benchmark formats): every row is a
//! little-endian int32 dimension followed by that many float32 / uint8 / int32 values.
//! All rows of a file have the first row's dimension.

use super::{bad_file, Elem, Layout, VectorFile};
use crate::error::Result;
use crate::limits::VECTOR_MAX_DIM as MAX_DIM;

pub(super) fn open(bytes: &[u8], elem: Elem) -> Result<VectorFile<'_>> {
    if bytes.is_empty() {
        return Ok(VectorFile { bytes, elem, rows: 0, dim: 0, layout: Layout::Vecs });
    }
    if bytes.len() < 4 {
        return Err(bad_file("the file is truncated: row 1 has no complete dimension header"));
    }
    let d = i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if d < 1 || d as usize > MAX_DIM {
        return Err(bad_file(format!("row 1: dimension header says {d}, expected 1 to {MAX_DIM}")));
    }
    let dim = d as usize;
    let record = 4 + dim * elem.size();
    let rows = bytes.len() / record;
    if bytes.len() % record != 0 {
        // Name the first row that breaks the pattern: a different dimension header, or a cut.
        let mut at = 0;
        let mut row = 1;
        while at + 4 <= bytes.len() {
            let d = i32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
            if d as i64 != dim as i64 {
                return Err(bad_file(format!("row {row}: dimension header says {d}, the file's first row has {dim}")));
            }
            at += record;
            row += 1;
        }
        return Err(bad_file(format!(
            "the file is truncated: {} bytes do not hold whole rows of dimension {dim} ({record} bytes each); row {} is incomplete",
            bytes.len(),
            rows + 1
        )));
    }
    Ok(VectorFile { bytes, elem, rows, dim, layout: Layout::Vecs })
}
