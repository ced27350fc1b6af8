//! TEXMEX `.fvecs` / `.ivecs` files, read through a memory map: each record is a
//! little-endian int32 count `d` followed by `d` 4-byte little-endian values.

use std::fs::File;
use std::path::Path;

use memmap2::Mmap;

use super::{IdTable, Matrix};

fn map(path: &Path) -> Result<Mmap, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    // SAFETY: the file is opened read-only and only read while mapped; a concurrent
    // truncation by another process is outside what a benchmark run guards against.
    unsafe { Mmap::map(&file) }.map_err(|e| format!("{}: cannot map: {e}", path.display()))
}

/// Splits a `.fvecs`/`.ivecs` byte image into `(dim, rows, values)` with every record
/// checked to have the same dimension; `limit` caps the number of records read.
fn records(bytes: &[u8], limit: Option<usize>, what: &str) -> Result<(usize, Vec<[u8; 4]>), String> {
    if bytes.len() < 4 {
        return Err(format!("{what}: file is empty or shorter than one record header"));
    }
    let dim = i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if dim <= 0 || dim > 1 << 20 {
        return Err(format!("{what}: implausible dimension {dim} in the first record"));
    }
    let dim = dim as usize;
    let rec = 4 * (dim + 1);
    if !bytes.len().is_multiple_of(rec) {
        return Err(format!(
            "{what}: size {} is not a multiple of the record size {rec} (dimension {dim})",
            bytes.len()
        ));
    }
    let n = (bytes.len() / rec).min(limit.unwrap_or(usize::MAX));
    let mut out = Vec::with_capacity(n * dim);
    for (i, r) in bytes.chunks_exact(rec).take(n).enumerate() {
        let d = i32::from_le_bytes([r[0], r[1], r[2], r[3]]);
        if d as usize != dim {
            return Err(format!("{what}: record {i} has dimension {d}, the first has {dim}"));
        }
        out.extend(r[4..].chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]]));
    }
    Ok((dim, out))
}

/// Reads an `.fvecs` file (optionally only its first `limit` vectors).
pub fn read_fvecs(path: &Path, limit: Option<usize>) -> Result<Matrix, String> {
    let m = map(path)?;
    let (dim, raw) = records(&m, limit, &path.display().to_string())?;
    Ok(Matrix::new(dim, raw.into_iter().map(f32::from_le_bytes).collect()))
}

/// Reads an `.ivecs` file (optionally only its first `limit` rows).
pub fn read_ivecs(path: &Path, limit: Option<usize>) -> Result<IdTable, String> {
    let m = map(path)?;
    let (k, raw) = records(&m, limit, &path.display().to_string())?;
    Ok(IdTable { k, ids: raw.into_iter().map(|b| i32::from_le_bytes(b) as i64).collect() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fvecs_bytes(rows: &[&[f32]]) -> Vec<u8> {
        let mut out = Vec::new();
        for r in rows {
            out.extend((r.len() as i32).to_le_bytes());
            for v in *r {
                out.extend(v.to_le_bytes());
            }
        }
        out
    }

    fn tmp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("quiver-bench-{}-{name}", std::process::id()));
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn reads_fvecs_and_limit() {
        let p = tmp("a.fvecs", &fvecs_bytes(&[&[1.0, 2.0], &[3.0, 4.5], &[-1.0, 0.0]]));
        let m = read_fvecs(&p, None).unwrap();
        assert_eq!((m.dim, m.len()), (2, 3));
        assert_eq!(m.row(1), &[3.0, 4.5]);
        assert_eq!(read_fvecs(&p, Some(2)).unwrap().len(), 2);
    }

    #[test]
    fn rejects_ragged_and_truncated() {
        let p = tmp("b.fvecs", &fvecs_bytes(&[&[1.0, 2.0], &[3.0, 4.0]])[..20]);
        assert!(read_fvecs(&p, None).unwrap_err().contains("not a multiple"));
        let mut ragged = fvecs_bytes(&[&[1.0, 2.0]]);
        ragged.extend(fvecs_bytes(&[&[1.0]]));
        ragged.extend([0u8; 4]);
        let p = tmp("c.fvecs", &ragged);
        assert!(read_fvecs(&p, None).unwrap_err().contains("record 1 has dimension 1"));
        let p = tmp("d.fvecs", &[]);
        assert!(read_fvecs(&p, None).unwrap_err().contains("empty"));
    }

    #[test]
    fn reads_ivecs() {
        let mut b = Vec::new();
        for row in [[7i32, 3], [0, 1]] {
            b.extend(2i32.to_le_bytes());
            for v in row {
                b.extend(v.to_le_bytes());
            }
        }
        let t = read_ivecs(&tmp("e.ivecs", &b), None).unwrap();
        assert_eq!(t.k, 2);
        assert_eq!(t.row(0), &[7, 3]);
        assert_eq!(t.row(1), &[0, 1]);
    }
}
