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

/// Dot products of `R` rows with `C` centroids; every slice has length `dim`.
#[inline(always)]
fn dots<const R: usize, const C: usize>(xs: [&[f32]; R], cs: [&[f32]; C], dim: usize) -> [[f32; C]; R] {
    let full = dim - dim % LANES;
    let xc: [&[[f32; LANES]]; R] = std::array::from_fn(|r| xs[r][..full].as_chunks::<LANES>().0);
    let cc: [&[[f32; LANES]]; C] = std::array::from_fn(|c| cs[c][..full].as_chunks::<LANES>().0);
    let mut acc = [[[0.0f32; LANES]; C]; R];
    for i in 0..full / LANES {
        for r in 0..R {
            let x = &xc[r][i];
            for c in 0..C {
                let y = &cc[c][i];
                for l in 0..LANES {
                    acc[r][c][l] += x[l] * y[l];
                }
            }
        }
    }
    let mut out = [[0.0f32; C]; R];
    for r in 0..R {
        for c in 0..C {
            let mut s = reduce(&acc[r][c]);
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

/// Rows per register block and centroids per register block.
const R: usize = 2;
const C: usize = 4;

/// Keeps the better of `(s, j)` and the current best (ties: smaller index; NaN never wins).
#[inline(always)]
fn offer(best: &mut (f32, usize), s: f32, j: usize) {
    if s < best.0 {
        *best = (s, j);
    }
}

#[inline(always)]
fn assign_body(xs: &[f32], dim: usize, cents: &[f32], bias: &[f32], scale: f32, best: &mut [(f32, usize)]) {
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
            let d = dots::<R, C>(std::array::from_fn(|r| row(i + r)), cs, dim);
            for r in 0..R {
                for c in 0..C {
                    offer(&mut best[i + r], bias[j + c] + scale * d[r][c], j + c);
                }
            }
            i += R;
        }
        for i in nr..n {
            let d = dots::<1, C>([row(i)], cs, dim);
            for c in 0..C {
                offer(&mut best[i], bias[j + c] + scale * d[0][c], j + c);
            }
        }
        j += C;
    }
    for j in kc..k {
        for i in 0..n {
            let d = dots::<1, 1>([row(i)], [cen(j)], dim);
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
            assign_body(xs, dim, cents, bias, scale, best)
        }
        #[target_feature(enable = "avx2,fma")]
        unsafe fn v3(xs: &[f32], dim: usize, cents: &[f32], bias: &[f32], scale: f32, best: &mut [(f32, usize)]) {
            assign_body(xs, dim, cents, bias, scale, best)
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
    assign_body(xs, dim, cents, bias, scale, best)
}

/// `x · y` with exactly the arithmetic [`assign_rows`] uses for a pair (the
/// centroid norms it is given must be computed with this function).
pub(crate) fn dot(x: &[f32], y: &[f32]) -> f32 {
    let dim = x.len().min(y.len());
    dots::<1, 1>([&x[..dim]], [&y[..dim]], dim)[0][0]
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
            let d = dots::<2, 4>([row(0), row(1)], [cen(0), cen(1), cen(2), cen(3)], dim);
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
}
