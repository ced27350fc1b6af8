//! Scalar quantisation to `i8` (SQ8) with one scale for all dimensions: compact copies of
//! `f32` vectors for approximate distances (the graph walk of an index build), where a
//! quarter of the memory traffic matters more than the last digits.
//!
//! `q = round(x · scale)` clamped to ±127 with `scale = 127 / max|x|` over the data, so
//! `l2_squared(q(a), q(b)) ≈ scale² · l2_squared(a, b)` (one factor for every pair: the
//! order of distances, which is all a graph walk needs, is preserved up to rounding).

use simsimd::SpatialSimilarity;

use crate::metric::Metric;

/// The approximate index distance (smaller is nearer, like [`crate::metric::f32_distance`])
/// between code vectors for `metric`; `None` where SQ8 codes do not serve (L1, bit metrics).
pub fn code_distance(metric: Metric) -> Option<fn(&[i8], &[i8]) -> f32> {
    match metric {
        Metric::L2 => Some(|a, b| l2_squared_i8(a, b) as f32),
        Metric::InnerProduct => Some(|a, b| -dot_i8(a, b) as f32),
        Metric::Cosine => Some(|a, b| cosine_i8(a, b) as f32),
        Metric::L1 | Metric::Hamming | Metric::Jaccard => None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sq8 {
    pub scale: f32,
}

impl Sq8 {
    /// A quantiser for vectors whose largest absolute component is `max_abs`.
    pub fn for_max_abs(max_abs: f32) -> Sq8 {
        let scale = if max_abs.is_finite() && max_abs > 0.0 { 127.0 / max_abs } else { 1.0 };
        Sq8 { scale }
    }

    /// Fit to a set of vectors.
    pub fn fit<'a>(vectors: impl Iterator<Item = &'a [f32]>) -> Sq8 {
        let m = vectors.flat_map(|v| v.iter()).filter(|x| x.is_finite()).fold(0.0f32, |m, x| m.max(x.abs()));
        Sq8::for_max_abs(m)
    }

    /// Append the codes of `v` to `out`.
    pub fn encode_into(&self, v: &[f32], out: &mut Vec<i8>) {
        out.extend(v.iter().map(|&x| (x * self.scale).round().clamp(-127.0, 127.0) as i8));
    }
}

/// The SQ8 codes of a set of equal-length vectors (one quantiser fitted to all of them),
/// row by row.
pub struct CodeTable {
    dim: usize,
    codes: Vec<i8>,
}

impl CodeTable {
    /// Encode `vectors`; `None` if their lengths differ.
    pub fn encode(vectors: &[&[f32]]) -> Option<CodeTable> {
        let dim = vectors.first().map_or(0, |v| v.len());
        if vectors.iter().any(|v| v.len() != dim) {
            return None;
        }
        let q = Sq8::fit(vectors.iter().copied());
        let mut codes = Vec::with_capacity(vectors.len() * dim);
        for v in vectors {
            q.encode_into(v, &mut codes);
        }
        Some(CodeTable { dim, codes })
    }

    pub fn row(&self, i: usize) -> &[i8] {
        &self.codes[i * self.dim..(i + 1) * self.dim]
    }

    /// Row `i` as bytes (e.g. to prefetch it).
    pub fn row_bytes(&self, i: usize) -> &[u8] {
        let r = self.row(i);
        // SAFETY: i8 and u8 have the same size and alignment, and every bit pattern is valid.
        unsafe { std::slice::from_raw_parts(r.as_ptr() as *const u8, r.len()) }
    }
}

/// Squared Euclidean distance between two code vectors (exact integer arithmetic).
#[inline]
pub fn l2_squared_i8(a: &[i8], b: &[i8]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    match i8::l2sq(a, b) {
        Some(d) => d,
        None => a.iter().zip(b).map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2)).sum(),
    }
}

/// Dot product of two code vectors.
#[inline]
pub fn dot_i8(a: &[i8], b: &[i8]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    match i8::dot(a, b) {
        Some(d) => d,
        None => a.iter().zip(b).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum(),
    }
}

/// Cosine distance of two code vectors (`1 - cos`; 1 when either is all zeros).
#[inline]
pub fn cosine_i8(a: &[i8], b: &[i8]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    if let Some(d) = i8::cos(a, b) {
        return d;
    }
    let (ab, aa, bb) = a.iter().zip(b).fold((0.0, 0.0, 0.0), |(ab, aa, bb), (&x, &y)| {
        let (x, y) = (f64::from(x), f64::from(y));
        (ab + x * y, aa + x * x, bb + y * y)
    });
    if aa == 0.0 || bb == 0.0 {
        1.0
    } else {
        1.0 - ab / (aa * bb).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_and_clamp() {
        let q = Sq8::for_max_abs(2.0);
        let mut out = Vec::new();
        q.encode_into(&[2.0, -2.0, 1.0, 0.0, 5.0, -0.004], &mut out);
        assert_eq!(out, vec![127, -127, 64, 0, 127, 0]);
        assert_eq!(Sq8::for_max_abs(0.0).scale, 1.0);
        assert_eq!(Sq8::fit([[0.5f32, -1.0].as_slice(), &[0.25, f32::NAN]].into_iter()).scale, 127.0);
    }

    #[test]
    fn kernels_match_integer_arithmetic() {
        let a: Vec<i8> = (0..397).map(|i| ((i * 37) % 255 - 127) as i8).collect();
        let b: Vec<i8> = (0..397).map(|i| ((i * 91 + 5) % 255 - 127) as i8).collect();
        let l2: i64 = a.iter().zip(&b).map(|(&x, &y)| (i64::from(x) - i64::from(y)).pow(2)).sum();
        let dot: i64 = a.iter().zip(&b).map(|(&x, &y)| i64::from(x) * i64::from(y)).sum();
        assert_eq!(l2_squared_i8(&a, &b), l2 as f64);
        assert_eq!(dot_i8(&a, &b), dot as f64);
        let na: i64 = a.iter().map(|&x| i64::from(x).pow(2)).sum();
        let nb: i64 = b.iter().map(|&x| i64::from(x).pow(2)).sum();
        let cos = 1.0 - dot as f64 / ((na as f64) * (nb as f64)).sqrt();
        assert!((cosine_i8(&a, &b) - cos).abs() < 1e-3, "{} vs {cos}", cosine_i8(&a, &b));
    }

    #[test]
    fn code_table_rows() {
        let (a, b) = ([1.0f32, -0.5], [0.25f32, 0.0]);
        let t = CodeTable::encode(&[&a, &b]).unwrap();
        assert_eq!(t.row(0), &[127, -64]);
        assert_eq!(t.row(1), &[32, 0]);
        assert_eq!(t.row_bytes(0), &[127u8, 192]);
        assert!(CodeTable::encode(&[&a, &[1.0f32]]).is_none());
    }

    #[test]
    fn approximate_distances_keep_their_order() {
        let q = Sq8::for_max_abs(1.0);
        let enc = |v: &[f32]| {
            let mut o = Vec::new();
            q.encode_into(v, &mut o);
            o
        };
        let x = enc(&[0.1, 0.2, 0.3]);
        let near = enc(&[0.12, 0.2, 0.31]);
        let far = enc(&[0.5, -0.2, 0.3]);
        assert!(l2_squared_i8(&x, &near) < l2_squared_i8(&x, &far));
    }
}
