//! NumPy `.npy` arrays (format versions 1–3): 2-D, C order, little-endian
//! `float32` for vectors and `int32`/`int64` for ground-truth ids.

use std::fs::File;
use std::path::Path;

use memmap2::Mmap;

use super::{IdTable, Matrix};

/// Element type and shape of an array, and where its data starts.
#[derive(Debug, PartialEq)]
struct Header {
    descr: String,
    rows: usize,
    cols: usize,
    offset: usize,
}

fn parse_header(b: &[u8]) -> Result<Header, String> {
    if b.len() < 10 || &b[..6] != b"\x93NUMPY" {
        return Err("not a .npy file (bad magic)".into());
    }
    let (len, start) = match b[6] {
        1 => (u16::from_le_bytes([b[8], b[9]]) as usize, 10),
        2 | 3 if b.len() >= 12 => (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12),
        v => return Err(format!("unsupported .npy format version {v}")),
    };
    let text = b
        .get(start..start + len)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or("truncated or non-UTF-8 .npy header")?;
    let descr = dict_value(text, "descr")?.trim_matches(|c| c == '\'' || c == '"').to_string();
    if dict_value(text, "fortran_order")? != "False" {
        return Err("Fortran-ordered arrays are not supported; save with C order".into());
    }
    let shape = dict_value(text, "shape")?;
    let dims: Vec<usize> = shape
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().map_err(|_| format!("bad shape {shape}")))
        .collect::<Result<_, _>>()?;
    let [rows, cols] = dims[..] else {
        return Err(format!("expected a 2-D array, shape is {shape}"));
    };
    Ok(Header { descr, rows, cols, offset: start + len })
}

/// The raw text of `key`'s value in the header's Python dict literal.
fn dict_value<'a>(text: &'a str, key: &str) -> Result<&'a str, String> {
    let pat = format!("'{key}':");
    let at = text.find(&pat).ok_or_else(|| format!(".npy header has no '{key}'"))?;
    let rest = text[at + pat.len()..].trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')').map(|i| i + 1)
    } else {
        rest.find([',', '}'])
    }
    .ok_or("malformed .npy header")?;
    Ok(rest[..end].trim())
}

fn load(path: &Path) -> Result<(Header, Mmap), String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    // SAFETY: read-only mapping of a file we only read.
    let m = unsafe { Mmap::map(&file) }.map_err(|e| format!("{}: {e}", path.display()))?;
    let h = parse_header(&m).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((h, m))
}

fn body<'a>(h: &Header, m: &'a [u8], width: usize, path: &Path) -> Result<&'a [u8], String> {
    let need = h.rows * h.cols * width;
    m.get(h.offset..h.offset + need)
        .ok_or_else(|| format!("{}: file is shorter than its shape {}x{}", path.display(), h.rows, h.cols))
}

/// Reads a 2-D `<f4` array as a matrix (optionally only the first `limit` rows).
pub fn read_f32(path: &Path, limit: Option<usize>) -> Result<Matrix, String> {
    let (mut h, m) = load(path)?;
    if h.descr != "<f4" {
        return Err(format!("{}: expected float32 ('<f4'), found '{}'", path.display(), h.descr));
    }
    if h.cols == 0 {
        return Err(format!("{}: zero-width array", path.display()));
    }
    h.rows = h.rows.min(limit.unwrap_or(usize::MAX));
    let b = body(&h, &m, 4, path)?;
    let data = b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    Ok(Matrix::new(h.cols, data))
}

/// Reads a 2-D `<i4` or `<i8` array of neighbour ids.
pub fn read_ids(path: &Path, limit: Option<usize>) -> Result<IdTable, String> {
    let (mut h, m) = load(path)?;
    h.rows = h.rows.min(limit.unwrap_or(usize::MAX));
    let ids = match h.descr.as_str() {
        "<i4" => body(&h, &m, 4, path)?
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64)
            .collect(),
        "<i8" => body(&h, &m, 8, path)?
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect(),
        d => return Err(format!("{}: expected int32 or int64 ids, found '{d}'", path.display())),
    };
    Ok(IdTable { k: h.cols, ids })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version-1 .npy image as numpy writes it (header padded to 64 bytes).
    fn npy(descr: &str, rows: usize, cols: usize, body: &[u8]) -> Vec<u8> {
        npy_shape(descr, &format!("({rows}, {cols})"), body)
    }

    fn npy_shape(descr: &str, shape: &str, body: &[u8]) -> Vec<u8> {
        let mut h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend((h.len() as u16).to_le_bytes());
        out.extend(h.as_bytes());
        out.extend(body);
        out
    }

    fn tmp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("quiver-bench-npy-{}-{name}", std::process::id()));
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn reads_f32_and_ids() {
        let vals: Vec<u8> = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0].iter().flat_map(|v| v.to_le_bytes()).collect();
        let m = read_f32(&tmp("a.npy", &npy("<f4", 3, 2, &vals)), None).unwrap();
        assert_eq!((m.dim, m.len()), (2, 3));
        assert_eq!(m.row(2), &[5.0, 6.0]);
        let ids: Vec<u8> = [5i64, 1, 2, 0].iter().flat_map(|v| v.to_le_bytes()).collect();
        let t = read_ids(&tmp("b.npy", &npy("<i8", 2, 2, &ids)), None).unwrap();
        assert_eq!(t.row(1), &[2, 0]);
    }

    #[test]
    fn errors_are_clear() {
        let p = tmp("c.npy", &npy("<f8", 1, 1, &[0; 8]));
        assert!(read_f32(&p, None).unwrap_err().contains("expected float32"));
        let p = tmp("d.npy", &npy("<f4", 4, 2, &[0; 8]));
        assert!(read_f32(&p, None).unwrap_err().contains("shorter than its shape"));
        let p = tmp("e.npy", b"hello world, not numpy");
        assert!(read_f32(&p, None).unwrap_err().contains("bad magic"));
        let p = tmp("f.npy", &npy("<f4", 4, 0, &[]));
        assert!(read_f32(&p, None).unwrap_err().contains("zero-width"));
    }

    #[test]
    fn header_rejects_1d() {
        let b = npy_shape("<f4", "(3,)", &[0; 12]);
        assert!(parse_header(&b).unwrap_err().contains("2-D"));
    }
}
