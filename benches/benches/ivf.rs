//! Criterion micro-benchmark of the IVF assignment kernel: every row of a block to
//! its nearest centroid (the inner loop of k-means and of an ivfflat build), on one
//! thread, for the shapes of the `make bench` ivfflat datasets.
//!
//! Run with `cargo bench -p quiver-benches --bench ivf`. Throughput is reported in
//! row × centroid pairs scored per second ("elements").

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use quiver_core::hnsw::SplitMix64;
use quiver_core::ivf::{assign, Objective};

/// (rows, centroids, dimensions): 1M × 128 with lists 1000, docs-minilm-30k with lists 100.
const SHAPES: [(usize, usize, usize); 2] = [(4096, 1000, 128), (8192, 100, 384)];

fn gaussian(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    (0..n).map(|_| rng.next_gaussian() as f32).collect()
}

fn bench_assign(c: &mut Criterion) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a one-thread pool");
    let mut group = c.benchmark_group("ivf_assign");
    for (n, k, dim) in SHAPES {
        let rows = gaussian(n * dim, 1);
        let cents = gaussian(k * dim, 2);
        group.throughput(Throughput::Elements((n * k) as u64));
        for (name, objective) in [("l2", Objective::L2), ("spherical", Objective::Spherical)] {
            group.bench_with_input(BenchmarkId::new(name, format!("{n}x{k}x{dim}")), &(), |b, _| {
                b.iter(|| pool.install(|| assign(black_box(&rows), dim, black_box(&cents), objective, &|| false)))
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench_assign
}
criterion_main!(benches);
