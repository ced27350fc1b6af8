//! Tests of k-means training (run with `cargo test --release ivf`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::*;
use crate::hnsw::SplitMix64;

const NEVER: &(dyn Fn() -> bool + Sync) = &|| false;

/// `per` rows around each of `centres` random centres in `[-10, 10]^dim`, noise
/// `sigma`; returns (rows, centres). Rows are interleaved across clusters.
fn blobs(centres: usize, per: usize, dim: usize, sigma: f64, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = SplitMix64::new(seed);
    let truth: Vec<f32> = (0..centres * dim).map(|_| (rng.next_f64() * 20.0 - 10.0) as f32).collect();
    let mut data = Vec::with_capacity(centres * per * dim);
    for _ in 0..per {
        for c in 0..centres {
            for d in 0..dim {
                data.push(truth[c * dim + d] + (rng.next_gaussian() * sigma) as f32);
            }
        }
    }
    (data, truth)
}

fn l2(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (*x as f64 - *y as f64).powi(2)).sum::<f64>().sqrt()
}

fn params(k: usize, objective: Objective) -> KMeansParams {
    KMeansParams { k, iterations: 20, seed: 7, objective }
}

fn counts(data: &[f32], dim: usize, cents: &[f32], objective: Objective) -> Vec<usize> {
    let mut c = vec![0; cents.len() / dim];
    for a in assign(data, dim, cents, objective, NEVER).unwrap() {
        c[a] += 1;
    }
    c
}

#[test]
fn ivf_recovers_gaussian_clusters() {
    let (dim, k) = (16, 20);
    let (data, truth) = blobs(k, 150, dim, 0.5, 1);
    let cents = train(&data, dim, &params(k, Objective::L2), NEVER).unwrap();
    assert_eq!(cents.len(), k * dim);
    let nearest_truth = |c: &[f32]| (0..k).map(|t| l2(c, &truth[t * dim..(t + 1) * dim])).fold(f64::MAX, f64::min);
    for c in cents.chunks(dim) {
        assert!(nearest_truth(c) < 0.5, "centroid far from every true centre: {}", nearest_truth(c));
    }
    for t in truth.chunks(dim) {
        let d = cents.chunks(dim).map(|c| l2(c, t)).fold(f64::MAX, f64::min);
        assert!(d < 0.5, "true centre unmatched: {d}");
    }
}

#[test]
fn ivf_deterministic_across_thread_counts() {
    let (data, _) = blobs(30, 170, 24, 3.0, 2); // 5100 rows: several seeding chunks and many tasks
    for objective in [Objective::L2, Objective::Spherical] {
        let p = KMeansParams { k: 37, iterations: 8, seed: 99, objective };
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| train(&data, 24, &p, NEVER).unwrap())
        };
        let (a, b) = (run(1), run(3));
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()), "{objective:?}");
        assert_eq!(a, run(2));
    }
}

#[test]
fn ivf_no_empty_clusters() {
    let mut rng = SplitMix64::new(3);
    let dim = 8;
    let data: Vec<f32> = (0..3000 * dim).map(|_| rng.next_f64() as f32).collect();
    for objective in [Objective::L2, Objective::Spherical] {
        let cents = train(&data, dim, &params(100, objective), NEVER).unwrap();
        let c = counts(&data, dim, &cents, objective);
        assert!(c.iter().all(|&c| c > 0), "{objective:?}: {c:?}");
    }
}

#[test]
fn ivf_repairs_empty_cluster() {
    // Two tight groups; centroid 2 starts far away from everything, so it is
    // empty after the first assignment and must be moved onto the data.
    let dim = 2;
    let data: Vec<f32> = (0..200).flat_map(|i| [if i % 2 == 0 { 0.0 } else { 10.0 }, (i / 2) as f32 * 0.01]).collect();
    let mut cents = vec![0.0, 0.5, 10.0, 0.5, 1000.0, 1000.0];
    lloyd(&data, dim, &mut cents, &params(3, Objective::L2), NEVER).unwrap();
    let c = counts(&data, dim, &cents, Objective::L2);
    assert!(c.iter().all(|&c| c > 0), "{c:?} {cents:?}");
}

#[test]
fn ivf_small_inputs() {
    let dim = 3;
    let data: Vec<f32> = (0..15).map(|v| v as f32).collect(); // 5 rows
    let cents = train(&data, dim, &params(8, Objective::L2), NEVER).unwrap();
    for j in 0..8 {
        assert_eq!(&cents[j * dim..(j + 1) * dim], &data[(j % 5) * dim..(j % 5 + 1) * dim]);
    }
    // n == k: the rows themselves.
    assert_eq!(train(&data, dim, &params(5, Objective::L2), NEVER).unwrap(), data);
    // Spherical n < k: normalised rows.
    let cents = train(&data, dim, &params(6, Objective::Spherical), NEVER).unwrap();
    for c in cents.chunks(dim).skip(1) {
        assert!((l2(c, &[0.0; 3]) - 1.0).abs() < 1e-6);
    }
    assert_eq!(train(&[], dim, &params(4, Objective::L2), NEVER).unwrap(), vec![0.0; 12]);
    assert_eq!(train(&data[..2], dim, &params(4, Objective::L2), NEVER).unwrap(), vec![0.0; 12]);
    assert!(train(&data, dim, &params(0, Objective::L2), NEVER).unwrap().is_empty());
    assert!(train(&data, 0, &params(3, Objective::L2), NEVER).unwrap().is_empty());
    // k == 1: the mean.
    let cents = train(&data, dim, &params(1, Objective::L2), NEVER).unwrap();
    assert_eq!(cents, vec![6.0, 7.0, 8.0]);
}

#[test]
fn ivf_one_dimension() {
    let data: Vec<f32> = (0..300).map(|i| (i % 3) as f32 * 100.0 + (i / 3) as f32 * 0.01).collect();
    let mut cents = train(&data, 1, &params(3, Objective::L2), NEVER).unwrap();
    cents.sort_by(f32::total_cmp);
    for (c, want) in cents.iter().zip([0.495, 100.495, 200.495]) {
        assert!((c - want).abs() < 1e-3, "{cents:?}");
    }
}

#[test]
fn ivf_degenerate_inputs_do_not_panic() {
    let dim = 5;
    let same: Vec<f32> = (0..100).flat_map(|_| [1.0, 2.0, 3.0, 4.0, 5.0]).collect();
    for objective in [Objective::L2, Objective::Spherical] {
        let cents = train(&same, dim, &params(4, objective), NEVER).unwrap();
        assert_eq!(cents.len(), 4 * dim);
        assert!(cents.iter().all(|v| v.is_finite()));
        // Few distinct rows, many clusters.
        let few: Vec<f32> = (0..200).flat_map(|i| [(i % 3) as f32; 5]).collect();
        assert_eq!(train(&few, dim, &params(10, objective), NEVER).unwrap().len(), 10 * dim);
        // Zero rows and non-finite values.
        let mut bad = vec![0.0f32; 60 * dim];
        bad[7] = f32::NAN;
        bad[30] = f32::INFINITY;
        bad[99] = -f32::INFINITY;
        bad[120..125].copy_from_slice(&[1.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(train(&bad, dim, &params(6, objective), NEVER).unwrap().len(), 6 * dim);
        let nan = vec![f32::NAN; 40 * dim];
        assert_eq!(train(&nan, dim, &params(3, objective), NEVER).unwrap().len(), 3 * dim);
        assert_eq!(nearest(&nan[..10], dim, &[1.0; 5], objective), 0);
    }
}

#[test]
fn ivf_spherical_finds_directions() {
    let (dim, k) = (32, 10);
    let mut rng = SplitMix64::new(5);
    let mut dirs: Vec<f32> = (0..k * dim).map(|_| rng.next_gaussian() as f32).collect();
    dirs.chunks_mut(dim).for_each(normalize);
    let mut data = Vec::new();
    for i in 0..2000 {
        let d = &dirs[(i % k) * dim..(i % k + 1) * dim];
        let scale = 0.5 + 1.5 * rng.next_f64();
        let mut row: Vec<f32> = d.iter().map(|&v| (v as f64 * scale + rng.next_gaussian() * 0.03) as f32).collect();
        normalize(&mut row);
        data.extend(row);
    }
    let cents = train(&data, dim, &params(k, Objective::Spherical), NEVER).unwrap();
    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum::<f64>();
    for c in cents.chunks(dim) {
        assert!((dot(c, c).sqrt() - 1.0).abs() < 1e-5);
    }
    for d in dirs.chunks(dim) {
        let best = cents.chunks(dim).map(|c| dot(c, d)).fold(f64::MIN, f64::max);
        assert!(best > 0.99, "direction unmatched: {best}");
    }
}

#[test]
fn ivf_cancellation() {
    let (data, _) = blobs(20, 200, 16, 1.0, 6);
    for objective in [Objective::L2, Objective::Spherical] {
        assert_eq!(train(&data, 16, &params(20, objective), &|| true), Err(KMeansError::Cancelled));
        // Cancelled part-way (during seeding, then during the Lloyd iterations).
        for after in [5, 400] {
            let calls = AtomicUsize::new(0);
            let cancel = || calls.fetch_add(1, Ordering::Relaxed) >= after;
            assert_eq!(train(&data, 16, &params(20, objective), &cancel), Err(KMeansError::Cancelled));
        }
    }
}

#[test]
fn ivf_nearest_matches_brute_force() {
    let mut rng = SplitMix64::new(8);
    for dim in [1, 7, 33, 128] {
        let k = 53;
        let cents: Vec<f32> = (0..k * dim).map(|_| rng.next_gaussian() as f32).collect();
        let queries: Vec<f32> = (0..100 * dim).map(|_| rng.next_gaussian() as f32).collect();
        let all_l2 = assign(&queries, dim, &cents, Objective::L2, NEVER).unwrap();
        let norms = squared_norms(&cents, dim);
        for (qi, q) in queries.chunks(dim).enumerate() {
            let d: Vec<f64> = cents.chunks(dim).map(|c| l2(q, c)).collect();
            let ip: Vec<f64> =
                cents.chunks(dim).map(|c| q.iter().zip(c).map(|(x, y)| *x as f64 * *y as f64).sum()).collect();
            let want_l2 = (0..k).fold(0, |m, j| if d[j] < d[m] { j } else { m });
            let want_ip = (0..k).fold(0, |m, j| if ip[j] > ip[m] { j } else { m });
            let got_l2 = nearest(&cents, dim, q, Objective::L2);
            let got_ip = nearest(&cents, dim, q, Objective::Spherical);
            // Only a rounding-level near tie may differ.
            assert!(got_l2 == want_l2 || (d[got_l2] - d[want_l2]).abs() < 1e-4, "dim {dim} query {qi}");
            assert!(got_ip == want_ip || (ip[got_ip] - ip[want_ip]).abs() < 1e-4, "dim {dim} query {qi}");
            assert_eq!(all_l2[qi], got_l2);
            assert_eq!(nearest_with_norms(&cents, &norms, dim, q, Objective::L2), got_l2);
        }
    }
}

/// Timing for the parent: `cargo test --release ivf -- --ignored --nocapture`.
#[test]
#[ignore]
fn ivf_timing_100k_1000_128() {
    let (n, k, dim) = (100_000, 1000, 128);
    let mut rng = SplitMix64::new(11);
    // Mildly clustered data: 2000 random centres, unit noise.
    let centres: Vec<f32> = (0..2000 * dim).map(|_| rng.next_gaussian() as f32).collect();
    let mut data = Vec::with_capacity(n * dim);
    for _ in 0..n {
        let c = rng.below(2000) as usize;
        data.extend(centres[c * dim..(c + 1) * dim].iter().map(|&v| v + (rng.next_gaussian() * 0.7) as f32));
    }
    let gauss: Vec<f32> = (0..n * dim).map(|_| rng.next_gaussian() as f32).collect();
    println!("threads: {}", rayon::current_num_threads());
    for (name, data) in [("clustered", &data), ("gaussian", &gauss)] {
        for objective in [Objective::L2, Objective::Spherical] {
            let mut p = KMeansParams { k, iterations: 0, seed: 1, objective };
            let t = Instant::now();
            let seeds = train(data, dim, &p, NEVER).unwrap();
            let seeding = t.elapsed();
            let t = Instant::now();
            assign(data, dim, &seeds, objective, NEVER).unwrap();
            let pass = t.elapsed();
            p.iterations = 10;
            let t = Instant::now();
            train(data, dim, &p, NEVER).unwrap();
            let total = t.elapsed();
            println!(
                "{name} {objective:?}: seeding {seeding:.2?}, one assignment pass {pass:.2?}, \
                 train(10 iterations) total {total:.2?}"
            );
        }
    }
}
