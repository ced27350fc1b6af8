//! k-means clustering for training the coarse quantizer (the list centroids) of
//! an IVF index.
//!
//! # Algorithm
//!
//! 1. **Seeding** — k-means++ (each new centre sampled with probability
//!    proportional to the squared distance to the nearest centre chosen so far),
//!    with rows that provably cannot move closer skipped by a triangle-inequality
//!    test (see `seed.rs`), over a random subset of at most
//!    [`SEED_ROWS_PER_CENTROID`] rows per centroid.
//! 2. **Lloyd iterations** — alternately assign every row to its nearest centroid
//!    and move every centroid to the mean of its rows, at most
//!    [`KMeansParams::iterations`] times, stopping early once fewer than 0.1 % of
//!    the rows change cluster.
//!    * Assignment is the expensive step (`n · k · dim` multiply-adds). It ranks
//!      centroids by `‖c‖² − 2 x·c` (the squared distance minus the constant
//!      `‖x‖²`) with the centroid norms computed once per iteration, and computes
//!      the dot products with the centroids regrouped into panels of 16, in
//!      register-blocked groups of rows × panels over blocks of [`TASK_ROWS`] rows,
//!      in parallel (see `dots.rs`).
//!    * The update groups row ids by cluster (a counting sort, `O(n)` memory) and
//!      sums each cluster's rows in row order in `f64`, one cluster per task.
//!    * A cluster left empty is re-seeded by splitting the currently largest
//!      cluster: the empty centroid moves onto that cluster's row farthest from
//!      its centroid (the next assignment then divides the cluster between the
//!      two). Empty clusters are handled in index order; for choosing the next
//!      largest cluster, the split cluster counts as halved.
//!
//! # Objectives
//!
//! [`Objective::L2`] minimises squared Euclidean distance. [`Objective::Spherical`]
//! maximises the inner product with unit-length centroids (spherical k-means): the
//! rows are used as given — normalise them first for cosine distance — and every
//! centroid is the normalised sum of its rows (a zero sum keeps the old centroid).
//!
//! # Determinism
//!
//! The result depends only on the input, the parameters and the CPU's kernel
//! selection, never on the number of threads: work is split into fixed chunks,
//! per-row results are independent of chunking, and every floating-point sum
//! runs in a fixed order.
//!
//! # Precision note
//!
//! The `‖c‖² − 2 x·c` form is computed in `f32`; when the data sit far from the
//! origin compared with their spread, rounding can blur near ties. That affects
//! only which of two almost equally near centroids a row joins.

mod seed;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use super::dots;
use crate::hnsw::SplitMix64;
use crate::kernels::f32 as kern;

/// What "nearest centroid" means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Objective {
    /// Smallest squared Euclidean distance.
    L2,
    /// Largest inner product with unit-length centroids (inner product; cosine
    /// when the caller normalises the rows).
    Spherical,
}

/// Parameters of [`train`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KMeansParams {
    /// Number of centroids.
    pub k: usize,
    /// Maximum number of Lloyd iterations (0: return the k-means++ seeds).
    pub iterations: usize,
    /// Seed of the pseudo-random generator (seeding only).
    pub seed: u64,
    pub objective: Objective,
}

impl KMeansParams {
    /// Default for [`KMeansParams::iterations`].
    pub const DEFAULT_ITERATIONS: usize = 15;

    /// `k` centroids, [`Self::DEFAULT_ITERATIONS`] iterations, seed 0.
    pub fn new(k: usize, objective: Objective) -> Self {
        KMeansParams { k, iterations: Self::DEFAULT_ITERATIONS, seed: 0, objective }
    }
}

/// Why [`train`] stopped without a result.
#[derive(Debug, PartialEq, Eq)]
pub enum KMeansError {
    /// The `cancelled` callback returned `true`.
    Cancelled,
}

impl std::fmt::Display for KMeansError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KMeansError::Cancelled => f.write_str("k-means training cancelled"),
        }
    }
}

impl std::error::Error for KMeansError {}

/// k-means++ seeding looks at most this many rows per centroid (a seeded random subset): its `k` passes are sequential and memory-bound, and on real and synthetic data
/// the Lloyd iterations that follow reach the same objective (within 0.5 %) as when every
/// row is a candidate, in a third of the time.
pub const SEED_ROWS_PER_CENTROID: usize = 16;

/// Rows per parallel assignment task.
pub const TASK_ROWS: usize = 64;

/// Trains `params.k` centroids on `data`: `n = data.len() / dim` rows of `dim`
/// values each, flat (a trailing partial row is ignored). Returns `k * dim` values,
/// flat, centroid `j` at `[j * dim .. (j + 1) * dim]`.
///
/// * `k == 0` or `dim == 0`: an empty vector. `n == 0`: `k` zero centroids.
/// * `n <= k`: no clustering; centroid `j` is row `j % n` (normalised for
///   [`Objective::Spherical`]), so the first `n` centroids are the rows in order
///   and the rest repeat them.
/// * Otherwise k-means++ seeding (on at most [`SEED_ROWS_PER_CENTROID`] `· k` rows,
///   a seeded random subset) and up to `params.iterations` Lloyd iterations over all rows.
///   If the data hold fewer than `k` distinct rows, some centroids duplicate others.
///
/// `cancelled` is polled between phases and by the worker threads about every
/// [`TASK_ROWS`] rows (seeding: every 1024 rows per new centre), so it must be cheap
/// and callable from any thread; once it returns `true`, `train` returns
/// `Err(KMeansError::Cancelled)` promptly.
///
/// Runs on the current rayon thread pool (use `ThreadPool::install` to choose one).
pub fn train(
    data: &[f32],
    dim: usize,
    params: &KMeansParams,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<Vec<f32>, KMeansError> {
    let k = params.k;
    if k == 0 || dim == 0 {
        return Ok(Vec::new());
    }
    let n = data.len() / dim;
    let data = &data[..n * dim];
    if n == 0 {
        return Ok(vec![0.0; k * dim]);
    }
    if cancelled() {
        return Err(KMeansError::Cancelled);
    }
    if n <= k {
        let mut cents = Vec::with_capacity(k * dim);
        for j in 0..k {
            let x = &data[(j % n) * dim..(j % n + 1) * dim];
            cents.extend_from_slice(x);
            if params.objective == Objective::Spherical {
                normalize(&mut cents[j * dim..]);
            }
        }
        return Ok(cents);
    }
    // Seeding only needs a spread of candidate rows: a random subset (seeded, so
    // deterministic; a stride could alias with periodic row orders).
    let m = n.min(k.saturating_mul(SEED_ROWS_PER_CENTROID));
    let subset: Vec<f32>;
    let seed_data = if m < n {
        subset = random_rows(n, m, params.seed).into_iter().flat_map(|i| row(data, dim, i).iter().copied()).collect();
        &subset[..]
    } else {
        data
    };
    let mut cents = seed::kmeanspp(seed_data, dim, k, params.objective, params.seed, cancelled)?;
    lloyd(data, dim, &mut cents, params, cancelled)?;
    Ok(cents)
}

/// `m` distinct row numbers below `n` (`m <= n`), chosen uniformly at random from `seed`, ascending.
fn random_rows(n: usize, m: usize, seed: u64) -> Vec<usize> {
    let mut rng = SplitMix64::new(seed ^ 0x5eed_5eed_5eed_5eed);
    let mut ids: Vec<usize> = (0..n).collect();
    for t in 0..m {
        let pick = t + rng.below((n - t) as u64) as usize;
        ids.swap(t, pick);
    }
    ids.truncate(m);
    ids.sort_unstable();
    ids
}

/// Row `i` of flat `data`.
fn row(data: &[f32], dim: usize, i: usize) -> &[f32] {
    &data[i * dim..(i + 1) * dim]
}

/// Scales `c` to unit length unless its norm is zero or not finite.
fn normalize(c: &mut [f32]) {
    let norm = kern::norm(c);
    if norm > 0.0 && norm.is_finite() {
        c.iter_mut().for_each(|v| *v = (*v as f64 / norm) as f32);
    }
}

/// Lloyd iterations on seeded centroids (`n > k > 0`, `dim > 0`).
fn lloyd(
    data: &[f32],
    dim: usize,
    cents: &mut [f32],
    params: &KMeansParams,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<(), KMeansError> {
    let n = data.len() / dim;
    let k = params.k;
    let mut assignment = vec![usize::MAX; n];
    let mut groups = Groups { start: vec![0; k + 1], members: vec![0; n] };
    for _ in 0..params.iterations {
        if cancelled() {
            return Err(KMeansError::Cancelled);
        }
        let changed = assign_into(data, dim, cents, params.objective, &mut assignment, cancelled)?;
        if changed == 0 {
            break;
        }
        groups.fill(&assignment);
        update(data, dim, cents, &groups, params.objective);
        if cancelled() {
            return Err(KMeansError::Cancelled);
        }
        let repaired = repair_empty(data, dim, cents, &groups, params.objective);
        if repaired == 0 && changed * 1000 < n {
            break;
        }
    }
    Ok(())
}

/// Row ids grouped by cluster, in row order: cluster `j` is
/// `members[start[j]..start[j + 1]]`.
struct Groups {
    start: Vec<usize>,
    members: Vec<usize>,
}

impl Groups {
    fn fill(&mut self, assignment: &[usize]) {
        let k = self.start.len() - 1;
        self.start.fill(0);
        for &a in assignment {
            self.start[a + 1] += 1;
        }
        for j in 0..k {
            self.start[j + 1] += self.start[j];
        }
        let mut next = self.start.clone();
        for (i, &a) in assignment.iter().enumerate() {
            self.members[next[a]] = i;
            next[a] += 1;
        }
    }

    fn of(&self, j: usize) -> &[usize] {
        &self.members[self.start[j]..self.start[j + 1]]
    }
}

/// Moves every non-empty cluster's centroid to the mean (L2) or normalised sum
/// (spherical) of its rows, summed in `f64` in row order.
fn update(data: &[f32], dim: usize, cents: &mut [f32], groups: &Groups, objective: Objective) {
    cents.par_chunks_mut(dim).enumerate().for_each_init(
        || vec![0.0f64; dim],
        |acc, (j, c)| {
            let members = groups.of(j);
            if members.is_empty() {
                return;
            }
            acc.fill(0.0);
            for &i in members {
                for (a, &x) in acc.iter_mut().zip(&data[i * dim..(i + 1) * dim]) {
                    *a += x as f64;
                }
            }
            match objective {
                Objective::L2 => {
                    let count = members.len() as f64;
                    c.iter_mut().zip(acc.iter()).for_each(|(c, &a)| *c = (a / count) as f32);
                }
                Objective::Spherical => {
                    let norm = acc.iter().map(|a| a * a).sum::<f64>().sqrt();
                    if norm > 0.0 && norm.is_finite() {
                        c.iter_mut().zip(acc.iter()).for_each(|(c, &a)| *c = (a / norm) as f32);
                    }
                }
            }
        },
    );
}

/// Re-seeds every empty cluster (ascending index) on the row of the currently
/// largest cluster farthest from that cluster's centroid; returns how many were
/// re-seeded. Clusters of fewer than two rows are never split.
fn repair_empty(data: &[f32], dim: usize, cents: &mut [f32], groups: &Groups, objective: Objective) -> usize {
    let k = groups.start.len() - 1;
    let mut size: Vec<usize> = (0..k).map(|j| groups.of(j).len()).collect();
    if !size.contains(&0) {
        return 0;
    }
    let original = size.clone();
    let mut used: HashSet<usize> = HashSet::new();
    let mut repaired = 0;
    for j in 0..k {
        if original[j] != 0 {
            continue;
        }
        // Largest cluster that has rows of its own (ties: smaller index).
        let Some(big) = (0..k).filter(|&l| original[l] >= 2).max_by_key(|&l| (size[l], std::cmp::Reverse(l))) else {
            break;
        };
        if size[big] < 2 {
            break;
        }
        let c = &cents[big * dim..(big + 1) * dim];
        // Farthest unused member: largest distance / smallest inner product
        // (ties: smaller row id; NaN never chosen). A total order, so the
        // parallel reduction is deterministic.
        let far = groups
            .of(big)
            .par_iter()
            .filter(|i| !used.contains(i))
            .map(|&i| {
                let x = &data[i * dim..(i + 1) * dim];
                let s = match objective {
                    Objective::L2 => kern::l2_squared(x, c),
                    Objective::Spherical => -kern::dot(x, c),
                };
                (if s.is_nan() { f64::NEG_INFINITY } else { s }, i)
            })
            .reduce_with(|a, b| if b.0 > a.0 || (b.0 == a.0 && b.1 < a.1) { b } else { a });
        let Some((_, far)) = far else {
            continue;
        };
        used.insert(far);
        let x = &data[far * dim..(far + 1) * dim];
        cents[j * dim..(j + 1) * dim].copy_from_slice(x);
        if objective == Objective::Spherical {
            normalize(&mut cents[j * dim..(j + 1) * dim]);
        }
        size[j] = size[big] / 2;
        size[big] -= size[j];
        repaired += 1;
    }
    repaired
}

/// The centroids as [`dots::assign_rows`] scores them for `objective`.
fn scoring(cents: &[f32], dim: usize, objective: Objective) -> dots::Panels {
    match objective {
        Objective::L2 => dots::Panels::new(cents, dim, &squared_norms(cents, dim), -2.0),
        Objective::Spherical => dots::Panels::new(cents, dim, &vec![0.0; cents.len() / dim], -1.0),
    }
}

/// Assigns every row to its nearest centroid in parallel, writing `assignment`;
/// returns how many entries changed.
fn assign_into(
    data: &[f32],
    dim: usize,
    cents: &[f32],
    objective: Objective,
    assignment: &mut [usize],
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<usize, KMeansError> {
    let panels = scoring(cents, dim, objective);
    let stop = AtomicBool::new(false);
    let changed = assignment
        .par_chunks_mut(TASK_ROWS)
        .zip(data.par_chunks(TASK_ROWS * dim))
        .map_init(
            || vec![(0.0f32, 0usize); TASK_ROWS],
            |best, (out, xs)| {
                if stop.load(Ordering::Relaxed) {
                    return 0;
                }
                if cancelled() {
                    stop.store(true, Ordering::Relaxed);
                    return 0;
                }
                let best = &mut best[..out.len()];
                dots::assign_rows(xs, &panels, best);
                let mut changed = 0;
                for (slot, &(_, j)) in out.iter_mut().zip(best.iter()) {
                    if *slot != j {
                        *slot = j;
                        changed += 1;
                    }
                }
                changed
            },
        )
        .sum();
    if stop.load(Ordering::Relaxed) {
        return Err(KMeansError::Cancelled);
    }
    Ok(changed)
}

/// The nearest centroid of each of the `data.len() / dim` rows, computed in
/// parallel with exactly the arithmetic of [`nearest`] (and of training's
/// assignment step). Empty when `dim == 0` or there are no centroids.
pub fn assign(
    data: &[f32],
    dim: usize,
    centroids: &[f32],
    objective: Objective,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<Vec<usize>, KMeansError> {
    if dim == 0 || centroids.len() < dim {
        return Ok(Vec::new());
    }
    let n = data.len() / dim;
    let mut out = vec![usize::MAX; n];
    assign_into(&data[..n * dim], dim, &centroids[..centroids.len() / dim * dim], objective, &mut out, cancelled)?;
    Ok(out)
}

/// `‖c‖²` of every centroid, as [`nearest_with_norms`] expects.
pub fn squared_norms(centroids: &[f32], dim: usize) -> Vec<f32> {
    if dim == 0 {
        return Vec::new();
    }
    centroids.chunks_exact(dim).map(|c| dots::dot(c, c)).collect()
}

/// Index of the nearest centroid to `x` under `objective` (L2: smallest squared
/// distance; Spherical: largest inner product). Ties go to the smaller index, NaN
/// scores never win; 0 when there are no centroids. `x` is truncated or
/// zero-padded to `dim`.
///
/// Recomputes the centroid norms (`O(k · dim)`); to assign many vectors use
/// [`nearest_with_norms`] or [`assign`].
pub fn nearest(centroids: &[f32], dim: usize, x: &[f32], objective: Objective) -> usize {
    let norms = if objective == Objective::L2 { squared_norms(centroids, dim) } else { Vec::new() };
    nearest_with_norms(centroids, &norms, dim, x, objective)
}

/// [`nearest`] with the centroid norms precomputed by [`squared_norms`]
/// (ignored for [`Objective::Spherical`]).
pub fn nearest_with_norms(centroids: &[f32], norms: &[f32], dim: usize, x: &[f32], objective: Objective) -> usize {
    if dim == 0 {
        return 0;
    }
    let k = match objective {
        Objective::L2 => (centroids.len() / dim).min(norms.len()),
        Objective::Spherical => centroids.len() / dim,
    };
    if k == 0 {
        return 0;
    }
    let padded;
    let x = if x.len() >= dim {
        &x[..dim]
    } else {
        padded = x.iter().copied().chain(std::iter::repeat(0.0)).take(dim).collect::<Vec<f32>>();
        &padded[..]
    };
    let panels = match objective {
        Objective::L2 => dots::Panels::new(&centroids[..k * dim], dim, &norms[..k], -2.0),
        Objective::Spherical => dots::Panels::new(&centroids[..k * dim], dim, &vec![0.0; k], -1.0),
    };
    let mut best = [(0.0f32, 0usize)];
    dots::assign_rows(x, &panels, &mut best);
    best[0].1
}
