//! Criterion micro-benchmarks of quiver's distance kernels on one pair of
//! vectors (cache-resident), for dimensions 128 … 3072.
//!
//! Run with `cargo bench -p quiver-benches --bench kernels`. Throughput is
//! reported in bytes of the two operands read per call.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use half::f16;
use quiver_core::kernels::{binary, f16 as kf16, f32 as kf32, sparse};

const DIMS: [usize; 5] = [128, 384, 768, 1536, 3072];

fn values(seed: u64, n: usize) -> Vec<f32> {
    // Weyl sequence: reproducible, no `rand` needed.
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
    }
    g.finish();
}

fn bench_sparse(c: &mut Criterion) {
    let mut g = c.benchmark_group("sparse");
    for &d in &DIMS {
        // `d` non-zeros each; a takes every 3rd index, b every 2nd (1/3 overlap of b).
        let ai: Vec<i32> = (0..d as i32).map(|i| i * 3).collect();
        let bi: Vec<i32> = (0..d as i32).map(|i| i * 2).collect();
        let (av, bv) = (values(7, d), values(8, d));
        g.throughput(Throughput::Bytes((2 * d * 8) as u64));
        g.bench_with_input(BenchmarkId::new("dot", d), &d, |bn, _| {
            bn.iter(|| {
                sparse::dot(
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
