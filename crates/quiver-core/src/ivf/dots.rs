//! The assignment kernel: for a block of rows, the centroid minimising
//! `bias[c] + scale · (x · c)`.
//!
//! With `bias[c] = ‖c‖²` and `scale = -2` this is the nearest centroid in squared
//! Euclidean distance (`‖x‖²`, the same for every centroid, is left out); with
//! `bias = 0` and `scale = -1` it is the centroid with the largest inner product.
//!
//! # Layout: centroid panels
//!
//! The centroids are copied once into [`Panels`] of [`LANES`] centroids each, stored
//! dimension-major: a panel's 16 values for dimension `d` sit next to each other. One
//! vector register then holds dimension `d` of 16 centroids, and a row's value `x[d]`,
//! broadcast, is multiplied into all 16 at once. Each lane accumulates one complete
//! dot product, so there is no horizontal sum at the end, and the 16 scores are
//! compared with the best so far lane by lane (the index travels with the score), so
//! the per-pair work after the dot product is a handful of vector instructions
//! shared by 16 centroids.
//!
//! # Blocking
//!
//! A register block is `R` rows × `P` panels (`R · P` accumulators): every panel load
//! is used for `R` rows and every broadcast for `P` panels. The loop runs over groups
//! of `P` panels outermost, so a group (`P · 16 · dim` floats) stays in L1 while the
//! block of rows handed over by the caller (a few dozen, in L1/L2) is scored against it.
//!
//! # Reproducibility
//!
//! A pair's dot product is the fused multiply-add chain `acc = x[d]·c[d] + acc` over
//! `d = 0, 1, …` from `acc = 0`, and its score `scale · acc + bias` is one more fused
//! multiply-add, whichever compiled copy (AVX-512, AVX2+FMA, baseline) runs and
//! wherever the pair sits in a block. So the same inputs give bit-identical scores
//! everywhere, and [`dot`] reproduces them. Ties go to the smaller centroid index; a
//! NaN score never wins.

/// Centroids per panel: the lanes of one score vector.
pub(crate) const LANES: usize = 16;

/// Sixteen f32 lanes: the scalar fallback, two AVX2 registers, or one AVX-512 register.
/// Every implementation computes each lane exactly as the scalar one does (fused
/// multiply-add, ordered less-than), so all give bit-identical results.
trait Lanes {
    type V: Copy;
    /// # Safety
    /// `p` points at 16 readable f32 (any alignment); the CPU has the implementation's features.
    unsafe fn load(p: *const f32) -> Self::V;
    /// # Safety
    /// The CPU has the implementation's features.
    unsafe fn splat(x: f32) -> Self::V;
    /// `x · y + acc`, lane by lane, rounded once.
    /// # Safety
    /// The CPU has the implementation's features.
    unsafe fn mul_add(x: Self::V, y: Self::V, acc: Self::V) -> Self::V;
    /// Where `s < best` (false for NaN), replaces `best` by `s` and `best_idx` by `idx`.
    /// # Safety
    /// The CPU has the implementation's features.
    unsafe fn keep_less(best: &mut Self::V, best_idx: &mut Self::V, s: Self::V, idx: Self::V);
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
    unsafe fn splat(x: f32) -> Self::V {
        [x; LANES]
    }
    #[inline(always)]
    unsafe fn mul_add(x: Self::V, y: Self::V, mut acc: Self::V) -> Self::V {
        for l in 0..LANES {
            acc[l] = x[l].mul_add(y[l], acc[l]);
        }
        acc
    }
    #[inline(always)]
    unsafe fn keep_less(best: &mut Self::V, best_idx: &mut Self::V, s: Self::V, idx: Self::V) {
        for l in 0..LANES {
            if s[l] < best[l] {
                best[l] = s[l];
                best_idx[l] = idx[l];
            }
        }
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
        unsafe fn splat(x: f32) -> Self::V {
            unsafe {
                let v = _mm256_set1_ps(x);
                (v, v)
            }
        }
        #[inline(always)]
        unsafe fn mul_add(x: Self::V, y: Self::V, acc: Self::V) -> Self::V {
            unsafe { (_mm256_fmadd_ps(x.0, y.0, acc.0), _mm256_fmadd_ps(x.1, y.1, acc.1)) }
        }
        #[inline(always)]
        unsafe fn keep_less(best: &mut Self::V, best_idx: &mut Self::V, s: Self::V, idx: Self::V) {
            unsafe {
                let m0 = _mm256_cmp_ps::<_CMP_LT_OQ>(s.0, best.0);
                let m1 = _mm256_cmp_ps::<_CMP_LT_OQ>(s.1, best.1);
                *best = (_mm256_blendv_ps(best.0, s.0, m0), _mm256_blendv_ps(best.1, s.1, m1));
                *best_idx = (_mm256_blendv_ps(best_idx.0, idx.0, m0), _mm256_blendv_ps(best_idx.1, idx.1, m1));
            }
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
        unsafe fn splat(x: f32) -> Self::V {
            unsafe { _mm512_set1_ps(x) }
        }
        #[inline(always)]
        unsafe fn mul_add(x: Self::V, y: Self::V, acc: Self::V) -> Self::V {
            unsafe { _mm512_fmadd_ps(x, y, acc) }
        }
        #[inline(always)]
        unsafe fn keep_less(best: &mut Self::V, best_idx: &mut Self::V, s: Self::V, idx: Self::V) {
            unsafe {
                let m = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(s, *best);
                *best = _mm512_mask_blend_ps(m, *best, s);
                *best_idx = _mm512_mask_blend_ps(m, *best_idx, idx);
            }
        }
        #[inline(always)]
        unsafe fn store(v: Self::V) -> [f32; LANES] {
            let mut out = [0.0f32; LANES];
            unsafe { _mm512_storeu_ps(out.as_mut_ptr(), v) };
            out
        }
    }
}

/// Centroids regrouped for the kernel, with the score's bias and scale.
pub(crate) struct Panels {
    dim: usize,
    k: usize,
    /// Panel `p`, dimension `d`, lane `l` (centroid `16p + l`) at `(p · dim + d) · 16 + l`;
    /// lanes past the last centroid hold zeros.
    data: Vec<f32>,
    /// `bias[c]` per lane, `+inf` past the last centroid (so padding never wins).
    bias: Vec<f32>,
    scale: f32,
}

/// Largest centroid count whose indices an f32 lane holds exactly.
pub(crate) const MAX_CENTROIDS: usize = 1 << 24;

impl Panels {
    /// `cents` holds `bias.len()` centroids of `dim` values, flat. At most [`MAX_CENTROIDS`].
    pub(crate) fn new(cents: &[f32], dim: usize, bias: &[f32], scale: f32) -> Panels {
        let k = bias.len();
        assert!(k <= MAX_CENTROIDS && cents.len() >= k * dim, "centroid panels: {k} centroids of {dim}");
        let np = k.div_ceil(LANES);
        let mut data = vec![0.0f32; np * dim * LANES];
        for (j, c) in cents.chunks_exact(dim.max(1)).take(k).enumerate() {
            let (p, l) = (j / LANES, j % LANES);
            let base = p * dim * LANES + l;
            for (d, &v) in c.iter().enumerate() {
                data[base + d * LANES] = v;
            }
        }
        let mut padded = vec![f32::INFINITY; np * LANES];
        padded[..k].copy_from_slice(bias);
        Panels { dim, k, data, bias: padded, scale }
    }

    fn count(&self) -> usize {
        self.bias.len() / LANES
    }

    fn panel(&self, p: usize) -> &[f32] {
        &self.data[p * self.dim * LANES..(p + 1) * self.dim * LANES]
    }
}

/// Dot products of `R` rows with the `16 · P` centroids of `P` panels; every row has at
/// least `dim` values and every panel `16 · dim`.
///
/// # Safety
/// The CPU has `K`'s features.
#[inline(always)]
unsafe fn block<K: Lanes, const R: usize, const P: usize>(
    xs: [&[f32]; R],
    panels: [&[f32]; P],
    dim: usize,
) -> [[K::V; P]; R] {
    assert!(xs.iter().all(|s| s.len() >= dim) && panels.iter().all(|s| s.len() >= dim * LANES));
    let zero = unsafe { K::splat(0.0) };
    let mut acc = [[zero; P]; R];
    for d in 0..dim {
        // SAFETY: d < dim, and (d + 1) · 16 <= every panel's length (asserted above).
        unsafe {
            let ys: [K::V; P] = std::array::from_fn(|p| K::load(panels[p].as_ptr().add(d * LANES)));
            for r in 0..R {
                let xb = K::splat(*xs[r].get_unchecked(d));
                for p in 0..P {
                    acc[r][p] = K::mul_add(xb, ys[p], acc[r][p]);
                }
            }
        }
    }
    acc
}

/// Per-row best score and index, lane by lane.
#[derive(Clone, Copy)]
struct Best<V> {
    score: V,
    idx: V,
}

/// Scores one register block and folds it into the rows' bests.
///
/// # Safety
/// The CPU has `K`'s features.
#[inline(always)]
unsafe fn score_block<K: Lanes, const R: usize, const P: usize>(
    panels: &Panels,
    xs: &[f32],
    first_row: usize,
    first_panel: usize,
    best: &mut [Best<K::V>],
) {
    let dim = panels.dim;
    let rows: [&[f32]; R] = std::array::from_fn(|r| &xs[(first_row + r) * dim..(first_row + r + 1) * dim]);
    let ps: [&[f32]; P] = std::array::from_fn(|p| panels.panel(first_panel + p));
    unsafe {
        let acc = block::<K, R, P>(rows, ps, dim);
        let scale = K::splat(panels.scale);
        for p in 0..P {
            let q = first_panel + p;
            let bias = K::load(panels.bias.as_ptr().add(q * LANES));
            let idx = K::load(LANE_INDEX.as_ptr());
            let idx = K::mul_add(K::splat(1.0), idx, K::splat((q * LANES) as f32));
            for r in 0..R {
                let s = K::mul_add(scale, acc[r][p], bias);
                let b = &mut best[first_row + r];
                K::keep_less(&mut b.score, &mut b.idx, s, idx);
            }
        }
    }
}

/// `0, 1, …, 15`: a panel's lane offsets.
static LANE_INDEX: [f32; LANES] = [0., 1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 11., 12., 13., 14., 15.];

/// # Safety
/// The CPU has `K`'s features.
#[inline(always)]
unsafe fn assign_body<K: Lanes, const R: usize, const P: usize>(
    xs: &[f32],
    panels: &Panels,
    best: &mut [(f32, usize)],
) {
    let n = best.len();
    let np = panels.count();
    let init = unsafe { Best { score: K::splat(f32::INFINITY), idx: K::splat(0.0) } };
    let mut lanes = vec![init; n];
    let npf = np - np % P;
    let nr = n - n % R;
    let mut p = 0;
    while p < np {
        let step = if p < npf { P } else { 1 };
        let mut i = 0;
        while i < n {
            // SAFETY: the CPU has K's features (caller); rows and panels are in range.
            unsafe {
                match (step == P, i < nr) {
                    (true, true) => score_block::<K, R, P>(panels, xs, i, p, &mut lanes),
                    (true, false) => score_block::<K, 1, P>(panels, xs, i, p, &mut lanes),
                    (false, true) => score_block::<K, R, 1>(panels, xs, i, p, &mut lanes),
                    (false, false) => score_block::<K, 1, 1>(panels, xs, i, p, &mut lanes),
                }
            }
            i += if i < nr { R } else { 1 };
        }
        p += step;
    }
    for (out, b) in best.iter_mut().zip(&lanes) {
        let (s, ix) = unsafe { (K::store(b.score), K::store(b.idx)) };
        let mut m = (f32::INFINITY, 0usize);
        for l in 0..LANES {
            let j = ix[l] as usize;
            if s[l] < m.0 || (s[l] == m.0 && j < m.1) {
                m = (s[l], j);
            }
        }
        *out = m;
    }
}

/// For each of the `best.len()` rows in `xs` (flat, `panels.dim` each), the index of
/// the centroid with the smallest score `bias[c] + scale · (x · c)`, written with its
/// score into `best`.
///
/// A row whose every score is NaN (or `+inf`) gets index 0 and score `+inf`.
pub(crate) fn assign_rows(xs: &[f32], panels: &Panels, best: &mut [(f32, usize)]) {
    assert!(xs.len() >= best.len() * panels.dim);
    best.fill((f32::INFINITY, 0));
    if panels.k == 0 {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
        unsafe fn v4(xs: &[f32], panels: &Panels, best: &mut [(f32, usize)]) {
            unsafe { assign_body::<x86::Avx512, 4, 2>(xs, panels, best) }
        }
        #[target_feature(enable = "avx2,fma")]
        unsafe fn v3(xs: &[f32], panels: &Panels, best: &mut [(f32, usize)]) {
            unsafe { assign_body::<x86::Avx2, 4, 1>(xs, panels, best) }
        }
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512dq")
        {
            // SAFETY: the CPU supports every feature `v4` is compiled for.
            return unsafe { v4(xs, panels, best) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports every feature `v3` is compiled for.
            return unsafe { v3(xs, panels, best) };
        }
    }
    // SAFETY: the scalar lanes need no CPU feature.
    unsafe { assign_body::<Scalar, 2, 1>(xs, panels, best) }
}

/// `x · y` with exactly the arithmetic [`assign_rows`] uses for a pair (the
/// centroid norms it is given must be computed with this function).
pub(crate) fn dot(x: &[f32], y: &[f32]) -> f32 {
    x.iter().zip(y).fold(0.0f32, |acc, (&a, &b)| a.mul_add(b, acc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hnsw::SplitMix64;

    fn random(n: usize, seed: u64) -> Vec<f32> {
        let mut rng = SplitMix64::new(seed);
        (0..n).map(|_| rng.next_gaussian() as f32).collect()
    }

    /// The reference: every pair scored with [`dot`], the smallest score (ties: smaller index).
    fn reference(xs: &[f32], dim: usize, cs: &[f32], bias: &[f32], scale: f32) -> Vec<(u32, usize)> {
        xs.chunks(dim)
            .map(|x| {
                let mut m = (f32::INFINITY, 0);
                for (j, c) in cs.chunks(dim).enumerate() {
                    let s = scale.mul_add(dot(x, c), bias[j]);
                    if s < m.0 {
                        m = (s, j);
                    }
                }
                (m.0.to_bits(), m.1)
            })
            .collect()
    }

    fn bits(v: &[(f32, usize)]) -> Vec<(u32, usize)> {
        v.iter().map(|&(s, j)| (s.to_bits(), j)).collect()
    }

    #[test]
    fn ivf_dots_every_shape_matches_the_pairwise_reference_bits() {
        for dim in [1, 3, 16, 17, 40, 129] {
            for k in [1, 5, 16, 17, 33, 70] {
                let n = 11;
                let xs = random(n * dim, dim as u64);
                let cs = random(k * dim, 100 + dim as u64 + k as u64);
                let bias: Vec<f32> = cs.chunks(dim).map(|c| dot(c, c)).collect();
                let want = reference(&xs, dim, &cs, &bias, -2.0);
                let mut got = vec![(0.0, 0); n];
                assign_rows(&xs, &Panels::new(&cs, dim, &bias, -2.0), &mut got);
                assert_eq!(bits(&got), want, "dim {dim}, k {k}");
                // The exact nearest centroid, computed in f64, agrees on these well-separated scores.
                for (i, x) in xs.chunks(dim).enumerate() {
                    let d = |c: &[f32]| x.iter().zip(c).map(|(a, b)| (*a as f64 - *b as f64).powi(2)).sum::<f64>();
                    let exact = d(&cs[got[i].1 * dim..(got[i].1 + 1) * dim]);
                    let min = cs.chunks(dim).map(d).fold(f64::INFINITY, f64::min);
                    assert!(exact - min <= 1e-4 * (1.0 + min), "dim {dim}, k {k}, row {i}");
                }
            }
        }
    }

    #[test]
    fn ivf_dots_ties_go_to_the_smaller_index_and_nan_never_wins() {
        let dim = 4;
        // 40 centroids: all equal to the row except NaN ones; the first real one must win.
        let mut cs = vec![1.0f32; 40 * dim];
        for j in [0usize, 1, 17] {
            cs[j * dim] = f32::NAN;
        }
        let bias = vec![0.0f32; 40];
        let xs = vec![1.0f32; 2 * dim];
        let mut got = vec![(0.0, 0); 2];
        assign_rows(&xs, &Panels::new(&cs, dim, &bias, -1.0), &mut got);
        assert_eq!(got.iter().map(|b| b.1).collect::<Vec<_>>(), vec![2, 2]);
        // Every score NaN: index 0, score +inf.
        let cs = vec![f32::NAN; 20 * dim];
        assign_rows(&xs, &Panels::new(&cs, dim, &[0.0; 20], -1.0), &mut got);
        assert_eq!(got, vec![(f32::INFINITY, 0); 2]);
    }

    /// Every compiled lane implementation the CPU can run gives the scalar one's bits.
    #[test]
    fn ivf_dots_simd_lanes_match_scalar_bits() {
        for dim in [5, 16, 33, 128, 384, 385] {
            let (n, k) = (37, 23);
            let xs = random(n * dim, 7 + dim as u64);
            let cs = random(k * dim, 9 + dim as u64);
            let bias: Vec<f32> = cs.chunks(dim).map(|c| dot(c, c)).collect();
            let panels = Panels::new(&cs, dim, &bias, -2.0);
            let mut want = vec![(0.0, 0); n];
            unsafe { assign_body::<Scalar, 2, 1>(&xs, &panels, &mut want) };
            assert_eq!(bits(&want), reference(&xs, dim, &cs, &bias, -2.0), "scalar kernel, dim {dim}");
            let mut got = vec![(0.0, 0); n];
            assign_rows(&xs, &panels, &mut got);
            assert_eq!(bits(&got), bits(&want), "dispatched kernel, dim {dim}");
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn v3(xs: &[f32], panels: &Panels, best: &mut [(f32, usize)]) {
                    unsafe { assign_body::<x86::Avx2, 4, 1>(xs, panels, best) }
                }
                let mut got = vec![(0.0, 0); n];
                unsafe { v3(&xs, &panels, &mut got) };
                assert_eq!(bits(&got), bits(&want), "AVX2 kernel, dim {dim}");
            }
        }
    }
}
