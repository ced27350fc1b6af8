//! Criterion micro-benchmarks of quiver's distance kernels on one pair of
//! vectors (cache-resident), for dimensions 128 … 3072.
//!
//! Run with `cargo bench -p quiver-benches --bench kernels`. Throughput is
//! reported in bytes of the two operands read per call (one pair per call, so
//! bytes are the meaningful unit; `quiver-bench kernels` reports vectors/s of
//! whole scans).
//!
//! What "dimension" means per group:
//! * `f32`, `f16` — elements per vector;
//! * `bit` — bits per vector;
//! * `sparse` — the dimension of the space; each operand has
//!   [`SPARSE_NNZ_PERCENT`]% of it non-zero (6, 19, 38, 76 and 153 non-zeros),
//!   at independent random positions, so the two overlap in about 5% of their
//!   entries. The id's parameter reads `<dims>-nnz<non-zeros>`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use half::f16;
use quiver_core::hnsw::SplitMix64;
use quiver_core::kernels::{binary, f16 as kf16, f32 as kf32, sparse};

const DIMS: [usize; 5] = [128, 384, 768, 1536, 3072];

/// Non-zeros of each sparse operand, in percent of the space's dimension.
const SPARSE_NNZ_PERCENT: usize = 5;

/// `n` reproducible values in `[-1, 1)` (a Weyl sequence, so no `rand` needed).
fn values(seed: u64, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let x = (seed
                .wrapping_add(i as u64)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                >> 40) as f32;
            x / (1u64 << 24) as f32 * 2.0 - 1.0
        })
        .collect()
}

fn bench_f32(c: &mut Criterion) {
    let mut g = c.benchmark_group("f32");
    for &d in &DIMS {
        let (a, b) = (values(1, d), values(2, d));
        g.throughput(Throughput::Bytes((2 * d * 4) as u64));
        g.bench_with_input(BenchmarkId::new("l2_squared", d), &d, |bn, _| {
            bn.iter(|| kf32::l2_squared(black_box(&a), black_box(&b)))
        });
        g.bench_with_input(BenchmarkId::new("dot", d), &d, |bn, _| {
            bn.iter(|| kf32::dot(black_box(&a), black_box(&b)))
        });
        g.bench_with_input(BenchmarkId::new("cosine", d), &d, |bn, _| {
            bn.iter(|| kf32::cosine_distance(black_box(&a), black_box(&b)))
        });
    }
    g.finish();
}

fn bench_f16(c: &mut Criterion) {
    let mut g = c.benchmark_group("f16");
    for &d in &DIMS {
        let a: Vec<f16> = values(3, d).into_iter().map(f16::from_f32).collect();
        let b: Vec<f16> = values(4, d).into_iter().map(f16::from_f32).collect();
        g.throughput(Throughput::Bytes((2 * d * 2) as u64));
        g.bench_with_input(BenchmarkId::new("l2_squared", d), &d, |bn, _| {
            bn.iter(|| kf16::l2_squared(black_box(&a), black_box(&b)))
        });
        g.bench_with_input(BenchmarkId::new("dot", d), &d, |bn, _| {
            bn.iter(|| kf16::dot(black_box(&a), black_box(&b)))
        });
        g.bench_with_input(BenchmarkId::new("cosine", d), &d, |bn, _| {
            bn.iter(|| kf16::cosine_distance(black_box(&a), black_box(&b)))
        });
    }
    g.finish();
}

fn bench_binary(c: &mut Criterion) {
    let mut g = c.benchmark_group("bit");
    for &d in &DIMS {
        // `d` bits.
        let bytes = d.div_ceil(8);
        let a: Vec<u8> = values(5, bytes)
            .into_iter()
            .map(|x| (x * 127.0) as i8 as u8)
            .collect();
        let b: Vec<u8> = values(6, bytes)
            .into_iter()
            .map(|x| (x * 127.0) as i8 as u8)
            .collect();
        g.throughput(Throughput::Bytes((2 * bytes) as u64));
        g.bench_with_input(BenchmarkId::new("hamming", d), &d, |bn, _| {
            bn.iter(|| binary::hamming(black_box(&a), black_box(&b)))
        });
        g.bench_with_input(BenchmarkId::new("jaccard", d), &d, |bn, _| {
            bn.iter(|| binary::jaccard_distance(black_box(&a), black_box(&b)))
        });
    }
    g.finish();
}

/// A sparse vector over `0..dims` with `nnz` non-zeros: strictly ascending
/// indices chosen uniformly without replacement (selection sampling) and values
/// in `[-1, 1)`.
fn sparse_vector(rng: &mut SplitMix64, dims: usize, nnz: usize) -> (Vec<i32>, Vec<f32>) {
    let mut idx = Vec::with_capacity(nnz);
    let mut need = nnz.min(dims) as u64;
    for j in 0..dims {
        if need == 0 {
            break;
        }
        if rng.below((dims - j) as u64) < need {
            idx.push(j as i32);
            need -= 1;
        }
    }
    let val = (0..idx.len())
        .map(|_| (rng.next_f64() * 2.0 - 1.0) as f32)
        .collect();
    (idx, val)
}

fn bench_sparse(c: &mut Criterion) {
    let mut g = c.benchmark_group("sparse");
    let mut rng = SplitMix64::new(0x005b_a75e);
    for &d in &DIMS {
        let nnz = (d * SPARSE_NNZ_PERCENT / 100).max(1);
        let (ai, av) = sparse_vector(&mut rng, d, nnz);
        let (bi, bv) = sparse_vector(&mut rng, d, nnz);
        // Each non-zero is a 4-byte index plus a 4-byte value.
        g.throughput(Throughput::Bytes((2 * nnz * 8) as u64));
        let param = format!("{d}-nnz{nnz}");
        g.bench_with_input(BenchmarkId::new("dot", &param), &d, |bn, _| {
            bn.iter(|| {
                sparse::dot(
                    black_box(&ai),
                    black_box(&av),
                    black_box(&bi),
                    black_box(&bv),
                )
            })
        });
        g.bench_with_input(BenchmarkId::new("l2_squared", &param), &d, |bn, _| {
            bn.iter(|| {
                sparse::l2_squared(
                    black_box(&ai),
                    black_box(&av),
                    black_box(&bi),
                    black_box(&bv),
                )
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_f32, bench_f16, bench_binary, bench_sparse);
criterion_main!(benches);
