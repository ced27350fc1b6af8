//! The assignment kernel: for a block of rows, the centroid minimising
//! `bias[c] + scale · (x · c)`.
//!
//! With `bias[c] = ‖c‖²` and `scale = -2` this is the nearest centroid in squared
//! Euclidean distance (`‖x‖²`, the same for every centroid, is left out); with
//! `bias = 0` and `scale = -1` it is the centroid with the largest inner product.
//!
//! # Blocking
//!
//! Dot products are computed `R` rows × `C` centroids at a time (a small
//! register-blocked "micro kernel"): every loaded chunk of a row is used against
//! `C` centroids and every chunk of a centroid against `R` rows, which halves or
//! quarters the loads per multiply compared with one dot product at a time. The
//! caller hands over a block of rows (a few dozen); the loop runs over groups of
//! `C` centroids outermost, so a group stays in L1 while all rows of the block
//! (in L2) are scored against it.
//!
//! # Reproducibility
//!
//! Each (row, centroid) pair keeps its own `LANES` partial sums, updated with a
//! separate multiply and add (Rust never fuses them), reduced by a fixed tree and
//! followed by the tail elements in order. So the score of a pair does not depend
//! on where it sits in a block, on the block shape, or on which of the compiled
//! copies (AVX-512, AVX2+FMA, baseline) runs: the same inputs give bit-identical
//! scores everywhere. Ties go to the smaller centroid index; a NaN score never wins.

/// Independent partial sums per (row, centroid) pair.
const LANES: usize = 16;

/// Sixteen f32 lanes: the scalar fallback, two AVX2 registers, or one AVX-512 register. Every
/// implementation multiplies and then adds each lane separately (never fused), so all give
/// bit-identical sums.
trait Lanes {
    type V: Copy;
    /// # Safety
    /// `p` points at 16 readable f32 (any alignment); the CPU has the implementation's features.
    unsafe fn load(p: *const f32) -> Self::V;
    fn zero() -> Self::V;
    /// `acc + x · y`, lane by lane, rounded after the multiply and after the add.
    /// # Safety
    /// The CPU has the implementation's features.
    unsafe fn mul_add(acc: Self::V, x: Self::V, y: Self::V) -> Self::V;
    /// # Safety
    /// The CPU has the implementation's features.
    unsafe fn store(v: Self::V) -> [f32; LANES];
}

struct Scalar;

impl Lanes for Scalar {
    type V = [f32; LANES];
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self::V {
        unsafe { std::ptr::read_unaligned(p as *const [f32; LANES]) }
    }
    #[inline(always)]
    fn zero() -> Self::V {
        [0.0; LANES]
    }
    #[inline(always)]
    unsafe fn mul_add(mut acc: Self::V, x: Self::V, y: Self::V) -> Self::V {
        for l in 0..LANES {
            acc[l] = x[l].mul_add(y[l], acc[l]);
        }
        acc
    }
    #[inline(always)]
    unsafe fn store(v: Self::V) -> [f32; LANES] {
        v
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{Lanes, LANES};
    use std::arch::x86_64::*;

    pub struct Avx2;

    impl Lanes for Avx2 {
        type V = (__m256, __m256);
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self::V {
            unsafe { (_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8))) }
        }
        #[inline(always)]
        fn zero() -> Self::V {
            unsafe { (_mm256_setzero_ps(), _mm256_setzero_ps()) }
        }
        #[inline(always)]
        unsafe fn mul_add(acc: Self::V, x: Self::V, y: Self::V) -> Self::V {
            unsafe { (_mm256_fmadd_ps(x.0, y.0, acc.0), _mm256_fmadd_ps(x.1, y.1, acc.1)) }
        }
        #[inline(always)]
        unsafe fn store(v: Self::V) -> [f32; LANES] {
            let mut out = [0.0f32; LANES];
            unsafe {
                _mm256_storeu_ps(out.as_mut_ptr(), v.0);
                _mm256_storeu_ps(out.as_mut_ptr().add(8), v.1);
            }
            out
        }
    }

    pub struct Avx512;

    impl Lanes for Avx512 {
        type V = __m512;
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self::V {
            unsafe { _mm512_loadu_ps(p) }
        }
        #[inline(always)]
        fn zero() -> Self::V {
            unsafe { _mm512_setzero_ps() }
        }
        #[inline(always)]
        unsafe fn mul_add(acc: Self::V, x: Self::V, y: Self::V) -> Self::V {
            unsafe { _mm512_fmadd_ps(x, y, acc) }
        }
        #[inline(always)]
        unsafe fn store(v: Self::V) -> [f32; LANES] {
            let mut out = [0.0f32; LANES];
            unsafe { _mm512_storeu_ps(out.as_mut_ptr(), v) };
            out
        }
    }
}

/// Dot products of `R` rows with `C` centroids; every slice has at least `dim` elements.
///
/// # Safety
/// The CPU has `K`'s features.
#[inline(always)]
unsafe fn dots<K: Lanes, const R: usize, const C: usize>(xs: [&[f32]; R], cs: [&[f32]; C], dim: usize) -> [[f32; C]; R] {
    assert!(xs.iter().chain(cs.iter()).all(|s| s.len() >= dim));
    let full = dim - dim % LANES;
    let mut acc = [[K::zero(); C]; R];
    let mut o = 0;
    while o < full {
        // SAFETY: o + LANES <= full <= dim <= every slice's length (asserted above).
        unsafe {
            let xv: [K::V; R] = std::array::from_fn(|r| K::load(xs[r].as_ptr().add(o)));
            for c in 0..C {
                let y = K::load(cs[c].as_ptr().add(o));
                for r in 0..R {
                    acc[r][c] = K::mul_add(acc[r][c], xv[r], y);
                }
            }
        }
        o += LANES;
    }
    let mut out = [[0.0f32; C]; R];
    for r in 0..R {
        for c in 0..C {
            let mut s = reduce(unsafe { &K::store(acc[r][c]) });
            for t in full..dim {
                s += xs[r][t] * cs[c][t];
            }
            out[r][c] = s;
        }
    }
    out
}

/// Fixed pairwise reduction of the lanes.
#[inline(always)]
fn reduce(a: &[f32; LANES]) -> f32 {
    let mut v = *a;
    let mut w = LANES / 2;
    while w > 0 {
        for l in 0..w {
            v[l] += v[l + w];
        }
        w /= 2;
    }
    v[0]
}

/// Rows per register block and centroids per register block (8 accumulators: with the row
/// and centroid loads they fit AVX-512's 32 registers and AVX2's 16).
const R: usize = 2;
const C: usize = 4;

/// Keeps the better of `(s, j)` and the current best (ties: smaller index; NaN never wins).
#[inline(always)]
fn offer(best: &mut (f32, usize), s: f32, j: usize) {
    if s < best.0 {
        *best = (s, j);
    }
}

/// # Safety
/// The CPU has `K`'s features.
#[inline(always)]
unsafe fn assign_body<K: Lanes>(xs: &[f32], dim: usize, cents: &[f32], bias: &[f32], scale: f32, best: &mut [(f32, usize)]) {
    let n = best.len();
    let k = bias.len();
    let row = |i: usize| &xs[i * dim..(i + 1) * dim];
    let cen = |j: usize| &cents[j * dim..(j + 1) * dim];
    let kc = k - k % C;
    let nr = n - n % R;
    let mut j = 0;
    while j < kc {
        let cs: [&[f32]; C] = std::array::from_fn(|c| cen(j + c));
        let mut i = 0;
        while i < nr {
            let d = unsafe { dots::<K, R, C>(std::array::from_fn(|r| row(i + r)), cs, dim) };
            for r in 0..R {
                for c in 0..C {
                    offer(&mut best[i + r], bias[j + c] + scale * d[r][c], j + c);
                }
            }
            i += R;
        }
        for i in nr..n {
            let d = unsafe { dots::<K, 1, C>([row(i)], cs, dim) };
            for c in 0..C {
                offer(&mut best[i], bias[j + c] + scale * d[0][c], j + c);
            }
        }
        j += C;
    }
    for j in kc..k {
        for i in 0..n {
            let d = unsafe { dots::<K, 1, 1>([row(i)], [cen(j)], dim) };
            offer(&mut best[i], bias[j] + scale * d[0][0], j);
        }
    }
}

/// For each of the `best.len()` rows in `xs` (flat, `dim` each), the index of the
/// centroid (flat in `cents`, one per entry of `bias`) with the smallest score
/// `bias[c] + scale · (x · c)`, written with its score into `best`.
///
/// A row whose every score is NaN gets index 0 and score `+inf`.
pub(crate) fn assign_rows(xs: &[f32], dim: usize, cents: &[f32], bias: &[f32], scale: f32, best: &mut [(f32, usize)]) {
    debug_assert!(xs.len() >= best.len() * dim && cents.len() >= bias.len() * dim);
    best.fill((f32::INFINITY, 0));
    if dim == 0 {
        // Every dot product is 0: the score is the bias alone.
        for (j, &b) in bias.iter().enumerate() {
            for e in best.iter_mut() {
                offer(e, b, j);
            }
        }
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
        unsafe fn v4(xs: &[f32], dim: usize, cents: &[f32], bias: &[f32], scale: f32, best: &mut [(f32, usize)]) {
            unsafe { assign_body::<x86::Avx512>(xs, dim, cents, bias, scale, best) }
        }
        #[target_feature(enable = "avx2,fma")]
        unsafe fn v3(xs: &[f32], dim: usize, cents: &[f32], bias: &[f32], scale: f32, best: &mut [(f32, usize)]) {
            unsafe { assign_body::<x86::Avx2>(xs, dim, cents, bias, scale, best) }
        }
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512dq")
        {
            // SAFETY: the CPU supports every feature `v4` is compiled for.
            return unsafe { v4(xs, dim, cents, bias, scale, best) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports every feature `v3` is compiled for.
            return unsafe { v3(xs, dim, cents, bias, scale, best) };
        }
    }
    // SAFETY: the scalar lanes need no CPU feature.
    unsafe { assign_body::<Scalar>(xs, dim, cents, bias, scale, best) }
}

/// `x · y` with exactly the arithmetic [`assign_rows`] uses for a pair (the
/// centroid norms it is given must be computed with this function).
pub(crate) fn dot(x: &[f32], y: &[f32]) -> f32 {
    let dim = x.len().min(y.len());
    // SAFETY: the scalar lanes need no CPU feature.
    unsafe { dots::<Scalar, 1, 1>([&x[..dim]], [&y[..dim]], dim)[0][0] }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hnsw::SplitMix64;

    fn random(n: usize, seed: u64) -> Vec<f32> {
        let mut rng = SplitMix64::new(seed);
        (0..n).map(|_| rng.next_gaussian() as f32).collect()
    }

    #[test]
    fn ivf_dots_block_shape_does_not_change_scores() {
        for dim in [1, 3, 16, 17, 40, 129] {
            let xs = random(5 * dim, dim as u64);
            let cs = random(7 * dim, 100 + dim as u64);
            let row = |i: usize| &xs[i * dim..(i + 1) * dim];
            let cen = |j: usize| &cs[j * dim..(j + 1) * dim];
            let d = unsafe { dots::<Scalar, 2, 4>([row(0), row(1)], [cen(0), cen(1), cen(2), cen(3)], dim) };
            for r in 0..2 {
                for c in 0..4 {
                    assert_eq!(d[r][c].to_bits(), dot(row(r), cen(c)).to_bits());
                    let exact: f64 = row(r).iter().zip(cen(c)).map(|(a, b)| *a as f64 * *b as f64).sum();
                    assert!((d[r][c] as f64 - exact).abs() < 1e-4 * (dim as f64).sqrt() + 1e-5);
                }
            }
            // Every row/centroid count exercises the tails.
            let bias: Vec<f32> = (0..7).map(|j| dot(cen(j), cen(j))).collect();
            let mut best = vec![(0.0, 0); 5];
            assign_rows(&xs, dim, &cs, &bias, -2.0, &mut best);
            for (i, b) in best.iter().enumerate() {
                let s: Vec<f32> = (0..7).map(|j| bias[j] - 2.0 * dot(row(i), cen(j))).collect();
                let m = (0..7).fold(0, |m, j| if s[j] < s[m] { j } else { m });
                assert_eq!(b.1, m);
                assert_eq!(b.0.to_bits(), s[m].to_bits());
            }
        }
    }

    /// Every compiled lane implementation the CPU can run gives the scalar one's bits.
    #[test]
    fn ivf_dots_simd_lanes_match_scalar_bits() {
        for dim in [5, 16, 33, 128, 384, 385] {
            let (n, k) = (37, 23);
            let xs = random(n * dim, 7 + dim as u64);
            let cs = random(k * dim, 9 + dim as u64);
            let bias: Vec<f32> = cs.chunks(dim).map(|c| dot(c, c)).collect();
            let mut want = vec![(0.0, 0); n];
            want.fill((f32::INFINITY, 0));
            unsafe { assign_body::<Scalar>(&xs, dim, &cs, &bias, -2.0, &mut want) };
            let mut got = vec![(0.0, 0); n];
            assign_rows(&xs, dim, &cs, &bias, -2.0, &mut got);
            let bits = |v: &[(f32, usize)]| v.iter().map(|&(s, j)| (s.to_bits(), j)).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "dispatched kernel, dim {dim}");
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn v3(xs: &[f32], dim: usize, cents: &[f32], bias: &[f32], best: &mut [(f32, usize)]) {
                    unsafe { assign_body::<x86::Avx2>(xs, dim, cents, bias, -2.0, best) }
                }
                let mut got = vec![(f32::INFINITY, 0); n];
                unsafe { v3(&xs, dim, &cs, &bias, &mut got) };
                assert_eq!(bits(&got), bits(&want), "AVX2 kernel, dim {dim}");
            }
        }
    }
}
