//! Distances between vectors stored as raw bytes, for the index access methods.
//!
//! Index pages and build buffers hold each vector as its PostgreSQL varlena *payload* (the bytes
//! after the 4-byte length word):
//!
//! | kind     | payload                                                                  |
//! |----------|--------------------------------------------------------------------------|
//! | `F32`    | int16 dim, int16 reserved, dim × float32 (`vector`)                      |
//! | `F16`    | int16 dim, int16 reserved, dim × float16 (`halfvec`)                     |
//! | `Sparse` | int32 dim, int32 nnz, int32 reserved, nnz × int32 index, nnz × float32   |
//! | `Bit`    | int32 bit length, packed bits (PostgreSQL `bit` / `varbit`)              |
//!
//! All integers are in native byte order (these are in-memory / on-page images, not the wire
//! format). Index distances are "smaller is closer": squared L2 for L2, negative inner product,
//! cosine distance, L1, Hamming and Jaccard.

use crate::f16;
use crate::kernels;
use std::borrow::Cow;

/// Element kind of an indexed column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VectorKind {
    F32,
    F16,
    Sparse,
    Bit,
}

/// Metric of an operator class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    L2,
    InnerProduct,
    Cosine,
    L1,
    Hamming,
    Jaccard,
}

impl Metric {
    /// The value of the SQL operator (`<->`, `<#>`, ...) from the index distance.
    pub fn operator_value(self, index_distance: f64) -> f64 {
        match self {
            Metric::L2 => index_distance.max(0.0).sqrt(),
            _ => index_distance,
        }
    }
}

fn read_i16(b: &[u8], at: usize) -> usize {
    b.get(at..at + 2).map_or(0, |s| i16::from_ne_bytes([s[0], s[1]]).max(0) as usize)
}

fn read_i32(b: &[u8], at: usize) -> usize {
    b.get(at..at + 4).map_or(0, |s| i32::from_ne_bytes([s[0], s[1], s[2], s[3]]).max(0) as usize)
}

/// View `n` little elements of type `T` starting at byte `at`, copying only if misaligned.
fn elems<T: Copy + Default>(b: &[u8], at: usize, n: usize) -> Cow<'_, [T]> {
    let size = std::mem::size_of::<T>();
    let avail = b.len().saturating_sub(at) / size;
    let n = n.min(avail);
    let Some(bytes) = b.get(at..at + n * size) else { return Cow::Owned(Vec::new()) };
    if (bytes.as_ptr() as usize) % std::mem::align_of::<T>() == 0 {
        // SAFETY: in bounds, aligned, and every bit pattern is a valid f32 / u16-based f16 / i32.
        Cow::Borrowed(unsafe { std::slice::from_raw_parts(bytes.as_ptr() as *const T, n) })
    } else {
        let mut v = vec![T::default(); n];
        // SAFETY: v has room for n elements; byte copy of plain-old-data.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), v.as_mut_ptr() as *mut u8, n * size) };
        Cow::Owned(v)
    }
}

/// Number of dimensions recorded in a payload.
pub fn payload_dims(kind: VectorKind, p: &[u8]) -> usize {
    match kind {
        VectorKind::F32 | VectorKind::F16 => read_i16(p, 0),
        VectorKind::Sparse | VectorKind::Bit => read_i32(p, 0),
    }
}

/// Hint the CPU to bring `bytes` (its first 4 KB) into cache: a vector about to be compared.
#[inline]
pub fn prefetch(bytes: &[u8]) {
    prefetch_ptr(bytes.as_ptr(), bytes.len())
}

/// Hint the CPU to bring `len` bytes (at most 4 KB) at `p` into cache. Prefetching has no
/// architectural effect, so `p` need not point at valid memory: callers may prefetch memory
/// they may not read yet (e.g. a shared page before it is pinned).
#[inline]
pub fn prefetch_ptr(p: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        let mut off = 0;
        while off < len.min(4096) {
            // SAFETY: a prefetch never faults and changes no program state.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.wrapping_add(off) as *const i8)
            };
            off += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, len);
}

/// The elements of an `F32` payload, if they are suitably aligned to be borrowed in place.
pub fn f32_elements(p: &[u8]) -> Option<&[f32]> {
    match elems::<f32>(p, 4, read_i16(p, 0)) {
        Cow::Borrowed(s) => Some(s),
        Cow::Owned(_) => None,
    }
}

/// Index distance between two `f32` vectors (the fast path of [`index_distance`] for `vector`).
pub fn f32_distance(metric: Metric, x: &[f32], y: &[f32]) -> f32 {
    f32_distance_f64(metric, x, y) as f32
}

/// [`f32_distance`] in double precision, as the SQL operators compute it (so that rows a scan
/// orders by it come out in exactly the order of an exact `ORDER BY`); NaN as infinity.
pub fn f32_distance_f64(metric: Metric, x: &[f32], y: &[f32]) -> f64 {
    let d = match metric {
        Metric::L2 => kernels::f32::l2_squared(x, y),
        Metric::InnerProduct => -kernels::f32::dot(x, y),
        Metric::Cosine => kernels::f32::cosine_distance(x, y),
        Metric::L1 => kernels::f32::l1(x, y),
        Metric::Hamming | Metric::Jaccard => f64::NAN,
    };
    if d.is_nan() {
        f64::INFINITY
    } else {
        d
    }
}

/// Squared Euclidean norm of a payload (bits: the number of bits set). Zero means the vector
/// has no cosine distance to anything (NaN), so indexes keep it outside their graphs.
pub fn payload_norm_squared(kind: VectorKind, p: &[u8]) -> f64 {
    match kind {
        VectorKind::F32 => {
            let x = elems::<f32>(p, 4, read_i16(p, 0));
            x.iter().map(|&v| v as f64 * v as f64).sum()
        }
        VectorKind::F16 => {
            let x = elems::<f16>(p, 4, read_i16(p, 0));
            x.iter().map(|v| v.to_f64() * v.to_f64()).sum()
        }
        VectorKind::Sparse => {
            let n = read_i32(p, 4);
            let v = elems::<f32>(p, 12 + 4 * n, n);
            v.iter().map(|&v| v as f64 * v as f64).sum()
        }
        VectorKind::Bit => {
            let len = read_i32(p, 0).div_ceil(8);
            p.get(4..4 + len).unwrap_or(&[]).iter().map(|b| b.count_ones() as f64).sum()
        }
    }
}

/// Distance between two payloads of the same kind, as used inside an index.
pub fn index_distance(kind: VectorKind, metric: Metric, a: &[u8], b: &[u8]) -> f32 {
    index_distance_f64(kind, metric, a, b) as f32
}

/// [`index_distance`] in double precision (see [`f32_distance_f64`]); NaN as infinity.
pub fn index_distance_f64(kind: VectorKind, metric: Metric, a: &[u8], b: &[u8]) -> f64 {
    let d = match kind {
        VectorKind::F32 => {
            let (x, y) = (elems::<f32>(a, 4, read_i16(a, 0)), elems::<f32>(b, 4, read_i16(b, 0)));
            return f32_distance_f64(metric, &x, &y);
        }
        VectorKind::F16 => {
            let (x, y) = (elems::<f16>(a, 4, read_i16(a, 0)), elems::<f16>(b, 4, read_i16(b, 0)));
            match metric {
                Metric::L2 => kernels::f16::l2_squared(&x, &y),
                Metric::InnerProduct => -kernels::f16::dot(&x, &y),
                Metric::Cosine => kernels::f16::cosine_distance(&x, &y),
                Metric::L1 => kernels::f16::l1(&x, &y),
                Metric::Hamming | Metric::Jaccard => f64::NAN,
            }
        }
        VectorKind::Sparse => {
            let (na, nb) = (read_i32(a, 4), read_i32(b, 4));
            let (ai, bi) = (elems::<i32>(a, 12, na), elems::<i32>(b, 12, nb));
            let (av, bv) = (elems::<f32>(a, 12 + 4 * na, na), elems::<f32>(b, 12 + 4 * nb, nb));
            match metric {
                Metric::L2 => kernels::sparse::l2_squared(&ai, &av, &bi, &bv),
                Metric::InnerProduct => -kernels::sparse::dot(&ai, &av, &bi, &bv),
                Metric::Cosine => kernels::sparse::cosine_distance(&ai, &av, &bi, &bv),
                Metric::L1 => kernels::sparse::l1(&ai, &av, &bi, &bv),
                Metric::Hamming | Metric::Jaccard => f64::NAN,
            }
        }
        VectorKind::Bit => {
            let (la, lb) = (read_i32(a, 0).div_ceil(8), read_i32(b, 0).div_ceil(8));
            let x = a.get(4..4 + la).unwrap_or(&[]);
            let y = b.get(4..4 + lb).unwrap_or(&[]);
            match metric {
                Metric::Hamming => kernels::binary::hamming(x, y) as f64,
                Metric::Jaccard => kernels::binary::jaccard_distance(x, y),
                _ => f64::NAN,
            }
        }
    };
    // NaN (a zero vector under cosine) sorts last, as in an exact ORDER BY.
    if d.is_nan() {
        f64::INFINITY
    } else {
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dense_payload(v: &[f32]) -> Vec<u8> {
        let mut p = Vec::new();
        p.extend((v.len() as i16).to_ne_bytes());
        p.extend(0i16.to_ne_bytes());
        for x in v {
            p.extend(x.to_ne_bytes());
        }
        p
    }

    #[test]
    fn dense_metrics() {
        let (a, b) = (dense_payload(&[0.0, 0.0]), dense_payload(&[3.0, 4.0]));
        assert_eq!(index_distance(VectorKind::F32, Metric::L2, &a, &b), 25.0);
        assert_eq!(Metric::L2.operator_value(25.0), 5.0);
        assert_eq!(index_distance(VectorKind::F32, Metric::L1, &a, &b), 7.0);
        let c = dense_payload(&[1.0, 2.0]);
        assert_eq!(index_distance(VectorKind::F32, Metric::InnerProduct, &c, &b), -11.0);
        assert_eq!(index_distance(VectorKind::F32, Metric::Cosine, &a, &b), f32::INFINITY);
        // misaligned input is copied, not misread
        let mut shifted = vec![0u8];
        shifted.extend(&b);
        assert_eq!(index_distance(VectorKind::F32, Metric::L2, &a, &shifted[1..]), 25.0);
        assert_eq!(payload_dims(VectorKind::F32, &b), 2);
    }

    #[test]
    fn sparse_and_bits() {
        let mut s = Vec::new();
        for x in [4i32, 1, 0, 2] {
            s.extend(x.to_ne_bytes());
        }
        s.extend(3.0f32.to_ne_bytes());
        let mut t = Vec::new();
        for x in [4i32, 1, 0, 2] {
            t.extend(x.to_ne_bytes());
        }
        t.extend(1.0f32.to_ne_bytes());
        assert_eq!(index_distance(VectorKind::Sparse, Metric::L2, &s, &t), 4.0);
        let bits = |b: u8| {
            let mut p = 8i32.to_ne_bytes().to_vec();
            p.push(b);
            p
        };
        assert_eq!(index_distance(VectorKind::Bit, Metric::Hamming, &bits(0b1010_0000), &bits(0b0110_0000)), 2.0);
    }

    #[test]
    fn norms() {
        assert_eq!(payload_norm_squared(VectorKind::F32, &dense_payload(&[3.0, 4.0])), 25.0);
        assert_eq!(payload_norm_squared(VectorKind::F32, &dense_payload(&[0.0, 0.0])), 0.0);
        assert_eq!(payload_norm_squared(VectorKind::F32, &[]), 0.0);
        let mut bits = 8i32.to_ne_bytes().to_vec();
        bits.push(0b1010_0001);
        assert_eq!(payload_norm_squared(VectorKind::Bit, &bits), 3.0);
    }

    #[test]
    fn truncated_payloads_do_not_panic() {
        for kind in [VectorKind::F32, VectorKind::F16, VectorKind::Sparse, VectorKind::Bit] {
            for metric in [Metric::L2, Metric::InnerProduct, Metric::Cosine, Metric::L1, Metric::Hamming, Metric::Jaccard] {
                let _ = index_distance(kind, metric, &[0xff, 0x7f, 0, 0, 1], &[]);
            }
        }
    }
}
