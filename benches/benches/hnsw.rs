//! Criterion benchmarks of quiver-core's HNSW algorithms on in-memory storage:
//! the parallel graph build and k-NN search, called the way the extension calls
//! them (`src/am/hnsw/build.rs` and `src/am/hnsw/scan.rs`).
//!
//! Run with `cargo bench -p quiver-benches --bench hnsw` (add `-- --quick` for a
//! short run). The data set is [`N`] × [`DIMS`] `f32` vectors drawn from
//! [`CLUSTERS`] Gaussian clusters (seeded, so every run sees the same data), with
//! [`QUERIES`] held-out queries from the same distribution; the metric is L2.
//!
//! * `hnsw_build/parallel` — [`build_parallel_with_prefetch`] over the whole set
//!   on rayon's global pool (all cores); throughput = vectors inserted per second.
//! * `hnsw_search/k10/ef{40,100}` — one thread searching every query once per
//!   iteration; throughput = queries per second.
//!
//! Before the search benchmarks, the recall@10 of each `ef` against an exact
//! brute-force search is printed to stderr, so the speeds can be read against it.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use quiver_core::hnsw::{
    build_parallel_with_prefetch, random_levels, search, Candidate, HashVisited, HnswParams,
    MemGraph, NodeId, SplitMix64,
};
use quiver_core::kernels::f32 as kf32;
use quiver_core::metric::{f32_distance, prefetch, Metric};

/// Vectors in the indexed set.
const N: usize = 10_000;
/// Elements per vector.
const DIMS: usize = 128;
/// Gaussian clusters the vectors are drawn from.
const CLUSTERS: usize = 100;
/// Standard deviation of each coordinate around its cluster centre. Centres are
/// uniform in `[-1, 1)` per coordinate, so clusters overlap: a point's nearest
/// neighbours are mostly in its own cluster, but at similar distances from one
/// another, which keeps the search honest (recall@10 ≈ 0.95 at `ef_search = 40`;
/// with tight clusters any graph finds the exact answer).
const SPREAD: f64 = 1.0;
/// Held-out queries, all searched in every search iteration.
const QUERIES: usize = 200;
/// Neighbours returned and scored.
const K: usize = 10;
/// `hnsw.ef_search` values benchmarked.
const EF_SEARCH: [usize; 2] = [40, 100];
/// pgvector's defaults (`m = 16`, `ef_construction = 64`), also quiver's.
const PARAMS: HnswParams = HnswParams {
    m: 16,
    ef_construction: 64,
};
/// Seed of the synthetic data.
const DATA_SEED: u64 = 0x0051_5549_5645_5221;

/// Row-major `f32` vectors of one dimension.
struct Dataset {
    dims: usize,
    data: Vec<f32>,
}

impl Dataset {
    fn len(&self) -> usize {
        self.data.len() / self.dims
    }

    fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dims..(i + 1) * self.dims]
    }
}

/// `clusters` centres with coordinates uniform in `[-1, 1)`.
fn centres(rng: &mut SplitMix64, clusters: usize, dims: usize) -> Vec<f32> {
    (0..clusters * dims)
        .map(|_| (rng.next_f64() * 2.0 - 1.0) as f32)
        .collect()
}

/// `n` points, each a uniformly chosen centre plus Gaussian noise of [`SPREAD`].
fn sample(rng: &mut SplitMix64, centres: &[f32], dims: usize, n: usize) -> Dataset {
    let clusters = (centres.len() / dims) as u64;
    let mut data = Vec::with_capacity(n * dims);
    for _ in 0..n {
        let c = rng.below(clusters) as usize;
        let centre = &centres[c * dims..(c + 1) * dims];
        data.extend(
            centre
                .iter()
                .map(|&x| x + (rng.next_gaussian() * SPREAD) as f32),
        );
    }
    Dataset { dims, data }
}

/// The indexed set and the queries, from one seeded generator.
fn clustered_data() -> (Dataset, Dataset) {
    let mut rng = SplitMix64::new(DATA_SEED);
    let c = centres(&mut rng, CLUSTERS, DIMS);
    let base = sample(&mut rng, &c, DIMS, N);
    let queries = sample(&mut rng, &c, DIMS, QUERIES);
    (base, queries)
}

/// The bytes of an `f32` slice (what [`prefetch`] takes: a payload's bytes).
fn as_bytes(v: &[f32]) -> &[u8] {
    // SAFETY: `u8` has alignment 1 and no invalid bit patterns, and the length is
    // exactly the slice's size in bytes, so the view stays inside `v`'s borrow.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u8>(), std::mem::size_of_val(v)) }
}

/// Node levels as the extension draws them for an `n`-row build.
fn levels_for(n: usize) -> Vec<usize> {
    random_levels(n, &PARAMS, 0x5155_4956_4552 ^ n as u64)
}

/// Builds the graph over `base` as `src/am/hnsw/build.rs` does for a `vector`
/// column: L2 distances on borrowed `f32` rows, each row prefetched before use.
fn build(base: &Dataset, levels: &[usize]) -> MemGraph {
    let pair_distance =
        |a: u32, b: u32| f32_distance(Metric::L2, base.row(a as usize), base.row(b as usize));
    let prefetch_node = |a: u32| prefetch(as_bytes(base.row(a as usize)));
    build_parallel_with_prefetch(
        base.len(),
        levels,
        &PARAMS,
        &pair_distance,
        &prefetch_node,
        &|_done: usize| {},
    )
}

/// One search as an index scan without iterative scanning runs it: `ef`
/// candidates, best first, with a hash visited set sized like the scan's.
fn knn(g: &MemGraph, base: &Dataset, q: &[f32], ef: usize) -> Vec<Candidate> {
    let mut dist = |id: NodeId| f32_distance(Metric::L2, base.row(id as usize), q);
    let mut visited = HashVisited::with_capacity(ef * 16);
    search(g, ef, ef, &mut dist, &mut visited)
}

/// The exact `k` nearest rows of `base` to `q` (squared L2, ties by id).
fn exact_knn(base: &Dataset, q: &[f32], k: usize) -> Vec<NodeId> {
    let mut all: Vec<Candidate> = (0..base.len())
        .map(|i| Candidate::new(kf32::l2_squared(base.row(i), q) as f32, i as NodeId))
        .collect();
    all.sort_unstable_by(Candidate::total_cmp);
    all.iter().take(k).map(|c| c.id).collect()
}

/// Mean fraction of the exact top-`K` found in the first `K` search results.
fn recall_at_k(
    g: &MemGraph,
    base: &Dataset,
    queries: &Dataset,
    truth: &[Vec<NodeId>],
    ef: usize,
) -> f64 {
    let hits: usize = (0..queries.len())
        .map(|qi| {
            let found = knn(g, base, queries.row(qi), ef);
            found
                .iter()
                .take(K)
                .filter(|c| truth[qi].contains(&c.id))
                .count()
        })
        .sum();
    hits as f64 / (queries.len() * K) as f64
}

fn bench_build(c: &mut Criterion) {
    let (base, _) = clustered_data();
    let levels = levels_for(base.len());
    let mut g = c.benchmark_group("hnsw_build");
    // One build per sample (a build takes about a second): 10 samples, no ramp.
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(base.len() as u64));
    g.bench_function("parallel", |bn| {
        bn.iter_with_large_drop(|| build(black_box(&base), &levels))
    });
    g.finish();
}

fn bench_search(c: &mut Criterion) {
    let (base, queries) = clustered_data();
    let started = Instant::now();
    let graph = build(&base, &levels_for(base.len()));
    eprintln!(
        "hnsw: {} x {DIMS} f32 ({CLUSTERS} clusters), m={} ef_construction={}, graph built in {:.2} s ({} CPUs available)",
        base.len(),
        PARAMS.m,
        PARAMS.ef_construction,
        started.elapsed().as_secs_f64(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let truth: Vec<Vec<NodeId>> = (0..queries.len())
        .map(|qi| exact_knn(&base, queries.row(qi), K))
        .collect();
    for ef in EF_SEARCH {
        let r = recall_at_k(&graph, &base, &queries, &truth, ef);
        eprintln!(
            "hnsw: recall@{K} at ef_search={ef}: {r:.4} ({} queries)",
            queries.len()
        );
    }

    let mut g = c.benchmark_group("hnsw_search");
    g.throughput(Throughput::Elements(queries.len() as u64));
    for ef in EF_SEARCH {
        g.bench_with_input(
            BenchmarkId::new(format!("k{K}"), format!("ef{ef}")),
            &ef,
            |bn, &ef| {
                bn.iter(|| {
                    for qi in 0..queries.len() {
                        black_box(knn(&graph, &base, black_box(queries.row(qi)), ef));
                    }
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, bench_build, bench_search);
criterion_main!(benches);
