//! Seeded clustered-Gaussian data with a low intrinsic dimension, like real embeddings:
//! each cluster `c` has a centre `μ_c` and a random `dim × rank` basis `B_c`; a point is
//! `μ_c + B_c z + ε`, with `z ~ N(0, I_rank)` and isotropic noise `ε ~ N(0, noise² I)`.
//! Every row is drawn from its own seeded stream, so generation is parallel and the
//! result depends only on the parameters.

use quiver_core::hnsw::SplitMix64;
use rayon::prelude::*;

use super::{Dataset, Matrix};

#[derive(Clone, Debug)]
pub struct Spec {
    pub rows: usize,
    pub dim: usize,
    pub queries: usize,
    /// Vectors drawn for the insert workload.
    pub extra: usize,
    pub clusters: usize,
    /// Intrinsic dimension of each cluster.
    pub rank: usize,
    /// Standard deviation of the isotropic noise around each cluster's subspace.
    pub noise: f64,
    pub seed: u64,
}

/// Cluster centres and bases, `clusters × dim` and `clusters × dim × rank`.
struct Model {
    centres: Vec<f64>,
    bases: Vec<f64>,
}

/// Spread of the cluster centres relative to a cluster's own extent.
const SPREAD: f64 = 0.75;

fn stream(seed: u64, kind: u64, i: u64) -> SplitMix64 {
    // Distinct, well-mixed seeds per (kind, row).
    let mut s = SplitMix64::new(seed ^ kind.wrapping_mul(0xA24B_AED4_963E_E407));
    for _ in 0..2 {
        s = SplitMix64::new(s.next_u64() ^ i.wrapping_mul(0x9FB2_1C65_1E98_DF25));
    }
    s
}

impl Model {
    fn new(s: &Spec) -> Self {
        let mut r = stream(s.seed, 1, 0);
        // Centres spread wider than a cluster's own extent, so clusters are distinct but
        // neighbouring ones overlap a little (as topics do in embedding spaces).
        let spread = SPREAD / (s.dim as f64).sqrt() * (s.rank as f64).sqrt();
        let centres = (0..s.clusters * s.dim).map(|_| r.next_gaussian() * spread).collect();
        let scale = 1.0 / (s.dim as f64).sqrt();
        let bases = (0..s.clusters * s.dim * s.rank).map(|_| r.next_gaussian() * scale).collect();
        Model { centres, bases }
    }

    fn point(&self, s: &Spec, rng: &mut SplitMix64, out: &mut [f32]) {
        let c = rng.below(s.clusters as u64) as usize;
        let z: Vec<f64> = (0..s.rank).map(|_| rng.next_gaussian()).collect();
        let centre = &self.centres[c * s.dim..(c + 1) * s.dim];
        let basis = &self.bases[c * s.dim * s.rank..(c + 1) * s.dim * s.rank];
        for (d, o) in out.iter_mut().enumerate() {
            let row = &basis[d * s.rank..(d + 1) * s.rank];
            let v: f64 = row.iter().zip(&z).map(|(b, z)| b * z).sum();
            *o = (centre[d] + v + rng.next_gaussian() * s.noise) as f32;
        }
    }

    fn matrix(&self, s: &Spec, kind: u64, n: usize) -> Matrix {
        let mut data = vec![0f32; n * s.dim];
        data.par_chunks_mut(s.dim).enumerate().for_each(|(i, out)| {
            self.point(s, &mut stream(s.seed, kind, i as u64), out)
        });
        Matrix::new(s.dim, data)
    }
}

/// Generates base, query and insert vectors (no ground truth: the runner computes it).
pub fn generate(s: &Spec) -> Result<Dataset, String> {
    if s.rows == 0 || s.dim == 0 || s.queries == 0 || s.clusters == 0 || s.rank == 0 {
        return Err("synthetic data needs positive --rows, --dim, --queries, --clusters and --rank".into());
    }
    let model = Model::new(s);
    Ok(Dataset {
        name: format!("synthetic-{}x{}", s.rows, s.dim),
        source: format!(
            "clustered Gaussian: {} clusters, rank {}, noise {}, seed {}",
            s.clusters, s.rank, s.noise, s.seed
        ),
        base: model.matrix(s, 2, s.rows),
        queries: model.matrix(s, 3, s.queries),
        truth_file: None,
        extra: model.matrix(s, 4, s.extra),
        texts: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Spec {
        Spec { rows: 500, dim: 16, queries: 10, extra: 5, clusters: 4, rank: 3, noise: 0.05, seed: 7 }
    }

    #[test]
    fn deterministic_and_shaped() {
        let a = generate(&spec()).unwrap();
        let b = generate(&spec()).unwrap();
        assert_eq!(a.base, b.base);
        assert_eq!((a.base.len(), a.base.dim, a.queries.len(), a.extra.len()), (500, 16, 10, 5));
        assert_ne!(a.base.row(0), a.queries.row(0));
        let c = generate(&Spec { seed: 8, ..spec() }).unwrap();
        assert_ne!(a.base, c.base);
    }

    #[test]
    fn low_rank_clusters() {
        // With tiny noise, points of a rank-3 cluster lie near a 3-D affine subspace:
        // most of the variance of the data is in few directions. Check a cheap proxy —
        // nearest neighbours are much closer than random pairs.
        let d = generate(&Spec { rows: 2000, ..spec() }).unwrap();
        let dist = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f32>();
        let q = d.base.row(0);
        let mut all: Vec<f32> = (1..d.base.len()).map(|i| dist(q, d.base.row(i))).collect();
        all.sort_by(f32::total_cmp);
        assert!(all[0] * 10.0 < all[all.len() / 2], "nn {} median {}", all[0], all[all.len() / 2]);
    }

    #[test]
    fn rejects_zero_sizes() {
        assert!(generate(&Spec { dim: 0, ..spec() }).is_err());
    }
}
