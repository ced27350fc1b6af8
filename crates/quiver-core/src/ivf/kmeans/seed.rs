//! k-means++ seeding, accelerated with the triangle inequality.
//!
//! k-means++ picks the first centre uniformly at random and every further centre
//! at random with probability proportional to `D(x)²`, the squared distance from
//! the row to the nearest centre picked so far. Keeping `D(x)²` up to date after
//! a new centre `c` normally means measuring every row against `c`: `k` full
//! passes over the data.
//!
//! Most of those measurements cannot change anything. If a row's current nearest
//! centre `a` is at distance `D(x)` and `d(a, c) ≥ 2·D(x)`, the triangle inequality
//! gives `d(x, c) ≥ d(a, c) − D(x) ≥ D(x)`, so `c` is not closer. Each step
//! therefore first measures the new centre against the previous centres (cheap:
//! `k²/2` distances over the whole seeding) and then touches the data of only the
//! rows that fail this test. On clustered data that is a small fraction of rows
//! once a few dozen centres exist.
//!
//! Geometry: for [`Objective::L2`] plain Euclidean distance. For
//! [`Objective::Spherical`] the chord distance between directions,
//! `‖x/‖x‖ − c‖²` with unit `c` (a metric on the unit sphere, so the same test
//! applies), and the sampling weight is `‖x‖² · chord²` so that long rows (which
//! dominate an inner-product objective) weigh more; centres are stored normalised.
//!
//! Determinism: rows are processed in fixed chunks of [`CHUNK`]; each chunk sums
//! its weights in row order (`f64`), the total is the sum of the chunk sums in
//! chunk order, and the sampled row is found by walking the same sums in the same
//! order. Nothing depends on how rayon schedules the chunks.

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use super::{KMeansError, Objective};
use crate::hnsw::SplitMix64;
use crate::kernels::f32 as kern;

/// Rows per parallel task (and per partial weight sum).
const CHUNK: usize = 1024;

/// Skip a row when `d(a, c)² ≥ PRUNE · D(x)²`; 4 is exact, the margin absorbs rounding.
const PRUNE: f32 = 4.0 * (1.0 + 1e-4);

/// `k` initial centres (flat, `k * dim`), `n = data.len() / dim > k > 0`, `dim > 0`.
pub(super) fn kmeanspp(
    data: &[f32],
    dim: usize,
    k: usize,
    objective: Objective,
    seed: u64,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<Vec<f32>, KMeansError> {
    let n = data.len() / dim;
    let row = |i: usize| &data[i * dim..(i + 1) * dim];
    let spherical = objective == Objective::Spherical;
    // Spherical: squared row norms (the weight factor).
    let sq: Vec<f64> = if spherical { data.par_chunks(dim).map(|x| kern::dot(x, x)).collect() } else { Vec::new() };

    let mut rng = SplitMix64::new(seed);
    let mut cents: Vec<f32> = Vec::with_capacity(k * dim);
    let push = |cents: &mut Vec<f32>, i: usize| {
        let x = row(i);
        let norm = if spherical { kern::norm(x) } else { 1.0 };
        if norm > 0.0 && norm.is_finite() {
            cents.extend(x.iter().map(|&v| (v as f64 / norm) as f32));
        } else {
            cents.extend_from_slice(x);
        }
    };
    // Squared distance between two centres in the seeding geometry.
    let centre_dist = |a: &[f32], b: &[f32]| -> f32 {
        if spherical {
            (2.0 - 2.0 * kern::dot(a, b)).max(0.0) as f32
        } else {
            kern::l2_squared(a, b) as f32
        }
    };
    // Squared distance from row `i` to centre `c` in the seeding geometry.
    let row_dist = |i: usize, c: &[f32]| -> f32 {
        let x = row(i);
        if spherical {
            let norm = sq[i].sqrt();
            if norm > 0.0 {
                (2.0 - 2.0 * kern::dot(x, c) / norm).max(0.0) as f32
            } else {
                0.0
            }
        } else {
            kern::l2_squared(x, c) as f32
        }
    };
    let weight = |i: usize, d: f32| -> f64 {
        let w = if spherical { d as f64 * sq[i] } else { d as f64 };
        if w > 0.0 && w.is_finite() {
            w
        } else {
            0.0
        }
    };

    let mut mind = vec![f32::INFINITY; n];
    let mut near = vec![0u32; n];
    let mut chunk_w: Vec<f64> = Vec::new();
    let mut cc: Vec<f32> = Vec::with_capacity(k);
    let stop = AtomicBool::new(false);

    push(&mut cents, rng.below(n as u64) as usize);
    for j in 0..k - 1 {
        if cancelled() {
            return Err(KMeansError::Cancelled);
        }
        let c = &cents[j * dim..(j + 1) * dim];
        // Distances from the new centre to the earlier ones.
        cc.clear();
        if j * dim >= 1 << 16 {
            (0..j).into_par_iter().map(|s| centre_dist(c, &cents[s * dim..(s + 1) * dim])).collect_into_vec(&mut cc);
        } else {
            cc.extend((0..j).map(|s| centre_dist(c, &cents[s * dim..(s + 1) * dim])));
        }
        let cc = &cc;
        mind.par_chunks_mut(CHUNK)
            .zip(near.par_chunks_mut(CHUNK))
            .enumerate()
            .map(|(t, (mind, near))| {
                if stop.load(Ordering::Relaxed) {
                    return 0.0;
                }
                if cancelled() {
                    stop.store(true, Ordering::Relaxed);
                    return 0.0;
                }
                let base = t * CHUNK;
                let mut sum = 0.0f64;
                for (o, (m, a)) in mind.iter_mut().zip(near.iter_mut()).enumerate() {
                    // A finite `m` means `j >= 1` and `*a < j`, so `cc[*a]` exists.
                    let skip = m.is_finite() && cc[*a as usize] >= PRUNE * *m;
                    if !skip {
                        let d = row_dist(base + o, c);
                        if d < *m {
                            *m = d;
                            *a = j as u32;
                        }
                    }
                    sum += weight(base + o, *m);
                }
                sum
            })
            .collect_into_vec(&mut chunk_w);
        if stop.load(Ordering::Relaxed) {
            return Err(KMeansError::Cancelled);
        }
        let next = sample(&chunk_w, n, &mut rng, |i| weight(i, mind[i])).unwrap_or_else(|| rng.below(n as u64) as usize);
        push(&mut cents, next);
    }
    Ok(cents)
}

/// A row drawn with probability proportional to its weight, or `None` when all
/// weights are zero. `chunk_w[t]` is the in-order sum of `weight` over chunk `t`
/// (rows `t * CHUNK ..` of the `n`).
fn sample(chunk_w: &[f64], n: usize, rng: &mut SplitMix64, weight: impl Fn(usize) -> f64) -> Option<usize> {
    let total: f64 = chunk_w.iter().sum();
    if !(total > 0.0 && total.is_finite()) {
        return None;
    }
    let r = rng.next_f64() * total;
    let mut before = 0.0f64;
    // The chunk holding `r`; rounding may leave `r` past the end: take the last non-empty chunk.
    let mut pick = None;
    for (t, &w) in chunk_w.iter().enumerate() {
        if w > 0.0 {
            pick = Some((t, before));
            if r < before + w {
                break;
            }
        }
        before += w;
    }
    let (t, mut acc) = pick?;
    let mut last = None;
    for i in t * CHUNK..((t + 1) * CHUNK).min(n) {
        let w = weight(i);
        if w > 0.0 {
            acc += w;
            last = Some(i);
            if r < acc {
                break;
            }
        }
    }
    last
}
