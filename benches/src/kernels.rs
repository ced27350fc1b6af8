//! `quiver-bench kernels`: exact-scan throughput of quiver's distance kernels.
//!
//! For each kernel and dimension a working set of `n` random vectors (default
//! 10,000) is scanned against one query, as a sequential scan with an
//! `ORDER BY embedding <-> $1` would do, repeatedly until at least `--millis`
//! have passed. Reported per distance: nanoseconds, millions of distances per
//! second and GB/s of vector data read from the working set (the query, read
//! once per scan and cache-resident, is not counted).
//!
//! Before the kernels, the single-thread memory read bandwidth is measured
//! ([`memory_read_bandwidth`]); each row also reports the fraction of it that
//! the scan achieved. An exact scan is a single-threaded sequential read, so
//! that is its bound once the working set exceeds the last-level cache; a
//! working set that fits in cache (e.g. 10,000 × 128 `f32` = 5 MB) can exceed
//! 1.0, and a fraction well below 1.0 means the kernel is compute-bound.
//!
//! Dimensions mean: elements for `f32`/`f16`, bits for `bit` and non-zero
//! entries for `sparsevec` (both operands have that many non-zeros, drawn from a
//! 30,522-dimensional space, a BERT-vocabulary-sized SPLADE-like setting).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use half::f16;
use quiver_core::kernels::{self, binary, f16 as kf16, f32 as kf32, portable, reference, sparse};
use serde::Serialize;

struct Options {
    out: PathBuf,
    dims: Vec<usize>,
    n: usize,
    min_time: Duration,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        out: PathBuf::from("target/bench/kernels.json"),
        dims: vec![128, 384, 768, 1536, 3072],
        n: 10_000,
        min_time: Duration::from_millis(100),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (key, inline) = match arg.split_once('=') {
            Some((k, v)) => (k, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or(format!("{key} needs a value"))
        };
        match key {
            "--out" => o.out = PathBuf::from(value()?),
            "--dims" => {
                o.dims = value()?
                    .split(',')
                    .map(|d| {
                        d.trim()
                            .parse::<usize>()
                            .map_err(|e| format!("--dims: {e}"))
                    })
                    .collect::<Result<_, _>>()?;
                if o.dims.contains(&0) {
                    return Err("--dims: dimensions must be positive".into());
                }
            }
            "--n" => {
                o.n = value()?.parse().map_err(|e| format!("--n: {e}"))?;
                if o.n == 0 {
                    return Err("--n must be positive".into());
                }
            }
            "--millis" => {
                o.min_time =
                    Duration::from_millis(value()?.parse().map_err(|e| format!("--millis: {e}"))?)
            }
            other => return Err(format!("unknown option `{other}` for `kernels`")),
        }
    }
    Ok(o)
}

/// splitmix64, so the data is reproducible without a `rand` dependency.
struct Rng(u64);
impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

/// One result row (also the JSON schema).
#[derive(Serialize)]
struct Row {
    kernel: String,
    dims: usize,
    ns_per_distance: f64,
    million_distances_per_s: f64,
    gb_per_s: f64,
    /// `gb_per_s` over the measured memory read bandwidth.
    fraction_of_memory_bound: f64,
    bytes_per_vector: usize,
    vectors: usize,
    scans: u64,
}

#[derive(Serialize)]
struct Report {
    backend: String,
    description: String,
    vectors: usize,
    min_millis_per_kernel: u128,
    /// Single-thread sequential read bandwidth, GB/s (see [`memory_read_bandwidth`]).
    memory_read_gb_per_s: f64,
    /// Size of the buffer that bandwidth was measured on.
    memory_bandwidth_buffer_bytes: usize,
    rows: Vec<Row>,
}

/// Scans `n` vectors with `dist(i)` until `min_time` has passed (after one warm-up scan).
fn measure(
    name: &str,
    dims: usize,
    n: usize,
    bytes_per_vector: usize,
    min_time: Duration,
    mut dist: impl FnMut(usize) -> f64,
) -> Row {
    let mut sink = 0f64;
    for i in 0..n {
        sink += dist(i);
    }
    let start = Instant::now();
    let mut scans = 0u64;
    while scans < 2 || start.elapsed() < min_time {
        for i in 0..n {
            sink += dist(black_box(i));
        }
        scans += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();
    black_box(sink);
    let distances = scans as f64 * n as f64;
    let ns = elapsed * 1e9 / distances;
    Row {
        kernel: name.to_string(),
        dims,
        ns_per_distance: ns,
        million_distances_per_s: 1e3 / ns,
        gb_per_s: bytes_per_vector as f64 / ns,
        fraction_of_memory_bound: f64::NAN, // set by `attach_bound`
        bytes_per_vector,
        vectors: n,
        scans,
    }
}

/// Bytes read by [`memory_read_bandwidth`]: 256 MiB, far beyond a last-level
/// cache (tens of MB, and a single core only uses its own slice of it).
const BANDWIDTH_BUFFER_BYTES: usize = 256 << 20;

/// Timed passes over that buffer; the fastest counts.
const BANDWIDTH_PASSES: usize = 5;

/// Sums `v` in 16 independent lanes: unlike one running `f32` sum, whose adds
/// must happen in order, this loop vectorises, so it is bound by memory rather
/// than by the add latency.
fn sum_lanes(v: &[f32]) -> f32 {
    let mut acc = [0f32; 16];
    let chunks = v.chunks_exact(16);
    let tail: f32 = chunks.remainder().iter().sum();
    for c in chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += x;
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Single-thread memory read bandwidth in GB/s: the best of [`BANDWIDTH_PASSES`]
/// sequential passes summing a [`BANDWIDTH_BUFFER_BYTES`] `f32` buffer.
fn memory_read_bandwidth() -> f64 {
    // Filled with non-zeros so every page is really allocated before timing.
    let buf = vec![1.0f32; BANDWIDTH_BUFFER_BYTES / 4];
    let mut best = f64::INFINITY;
    for _ in 0..BANDWIDTH_PASSES {
        let start = Instant::now();
        black_box(sum_lanes(black_box(&buf)));
        best = best.min(start.elapsed().as_secs_f64());
    }
    BANDWIDTH_BUFFER_BYTES as f64 / best / 1e9
}

/// Sets each row's fraction of the memory read bandwidth `gb_per_s`.
fn attach_bound(rows: &mut [Row], gb_per_s: f64) {
    for r in rows {
        r.fraction_of_memory_bound = r.gb_per_s / gb_per_s;
    }
}

fn bench_dims(o: &Options, dims: usize, rows: &mut Vec<Row>) {
    let n = o.n;
    let mut rng = Rng(0x5eed ^ dims as u64);
    let t = o.min_time;

    // f32: one flat allocation, row i at [i*dims, (i+1)*dims).
    let data: Vec<f32> = (0..n * dims).map(|_| rng.unit()).collect();
    let q: Vec<f32> = (0..dims).map(|_| rng.unit()).collect();
    let row = |i: usize| &data[i * dims..(i + 1) * dims];
    let b = dims * 4;
    rows.push(measure("f32 l2_squared", dims, n, b, t, |i| {
        kf32::l2_squared(row(i), &q)
    }));
    rows.push(measure("f32 dot", dims, n, b, t, |i| kf32::dot(row(i), &q)));
    rows.push(measure("f32 cosine", dims, n, b, t, |i| {
        kf32::cosine_distance(row(i), &q)
    }));
    rows.push(measure("f32 l1", dims, n, b, t, |i| kf32::l1(row(i), &q)));
    rows.push(measure("f32 cosine (portable)", dims, n, b, t, |i| {
        portable::cosine_distance(row(i), &q)
    }));
    rows.push(measure("f32 l2_squared (portable)", dims, n, b, t, |i| {
        portable::l2_squared(row(i), &q)
    }));
    rows.push(measure(
        "f32 l2_squared (scalar f64 reference)",
        dims,
        n,
        b,
        t,
        |i| reference::l2_squared(row(i), &q),
    ));
    drop(data);

    // f16
    let data: Vec<f16> = (0..n * dims).map(|_| f16::from_f32(rng.unit())).collect();
    let q: Vec<f16> = (0..dims).map(|_| f16::from_f32(rng.unit())).collect();
    let row = |i: usize| &data[i * dims..(i + 1) * dims];
    let b = dims * 2;
    rows.push(measure("f16 l2_squared", dims, n, b, t, |i| {
        kf16::l2_squared(row(i), &q)
    }));
    rows.push(measure("f16 dot", dims, n, b, t, |i| kf16::dot(row(i), &q)));
    rows.push(measure("f16 cosine", dims, n, b, t, |i| {
        kf16::cosine_distance(row(i), &q)
    }));
    rows.push(measure("f16 l1", dims, n, b, t, |i| kf16::l1(row(i), &q)));
    rows.push(measure("f16 l2_squared (widening)", dims, n, b, t, |i| {
        kf16::widening::l2_squared(row(i), &q)
    }));
    rows.push(measure("f16 cosine (widening)", dims, n, b, t, |i| {
        kf16::widening::cosine_distance(row(i), &q)
    }));
    drop(data);

    // bit: dims bits per vector.
    let bytes = dims.div_ceil(8);
    let data: Vec<u8> = (0..n * bytes).map(|_| rng.next_u64() as u8).collect();
    let q: Vec<u8> = (0..bytes).map(|_| rng.next_u64() as u8).collect();
    let row = |i: usize| &data[i * bytes..(i + 1) * bytes];
    rows.push(measure("bit hamming", dims, n, bytes, t, |i| {
        binary::hamming(row(i), &q) as f64
    }));
    rows.push(measure("bit jaccard", dims, n, bytes, t, |i| {
        binary::jaccard_distance(row(i), &q)
    }));
    drop(data);

    // sparsevec: `dims` non-zeros out of 30,522 dimensions.
    const SPACE: usize = 30_522;
    let nnz = dims.min(SPACE);
    let make = |rng: &mut Rng| -> (Vec<i32>, Vec<f32>) {
        // Sorted sample without replacement: selection sampling (Knuth's algorithm S).
        let mut idx = Vec::with_capacity(nnz);
        let mut need = nnz;
        for j in 0..SPACE {
            if (rng.next_u64() % (SPACE - j) as u64) < need as u64 {
                idx.push(j as i32);
                need -= 1;
                if need == 0 {
                    break;
                }
            }
        }
        let val = (0..idx.len()).map(|_| rng.unit()).collect();
        (idx, val)
    };
    let vecs: Vec<(Vec<i32>, Vec<f32>)> = (0..n).map(|_| make(&mut rng)).collect();
    let (qi, qv) = make(&mut rng);
    let b = nnz * 8;
    rows.push(measure("sparse dot", dims, n, b, t, |i| {
        sparse::dot(&vecs[i].0, &vecs[i].1, &qi, &qv)
    }));
    rows.push(measure("sparse l2_squared", dims, n, b, t, |i| {
        sparse::l2_squared(&vecs[i].0, &vecs[i].1, &qi, &qv)
    }));
}

pub fn main(args: &[String]) -> Result<(), String> {
    let o = parse(args)?;
    let started = Instant::now();
    let bandwidth = memory_read_bandwidth();
    let mut rows = Vec::new();
    for &d in &o.dims {
        bench_dims(&o, d, &mut rows);
    }
    attach_bound(&mut rows, bandwidth);

    println!("kernel backend: {}", kernels::kernel_description());
    println!(
        "exact scan of {} vectors against one query; >= {} ms per row\n",
        o.n,
        o.min_time.as_millis()
    );
    println!(
        "memory read bandwidth (one thread, {} MiB buffer): {bandwidth:.2} GB/s\n",
        BANDWIDTH_BUFFER_BYTES >> 20
    );
    println!("| kernel | dims | ns/distance | M distances/s | GB/s read | of mem. bound |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut sorted: Vec<&Row> = rows.iter().collect();
    sorted.sort_by_key(|r| r.dims); // stable: keeps kernel order within a dimension
    for r in sorted {
        println!(
            "| {} | {} | {:.1} | {:.2} | {:.2} | {:.2} |",
            r.kernel,
            r.dims,
            r.ns_per_distance,
            r.million_distances_per_s,
            r.gb_per_s,
            r.fraction_of_memory_bound
        );
    }

    let report = Report {
        backend: kernels::kernel_backend().to_string(),
        description: kernels::kernel_description(),
        vectors: o.n,
        min_millis_per_kernel: o.min_time.as_millis(),
        memory_read_gb_per_s: bandwidth,
        memory_bandwidth_buffer_bytes: BANDWIDTH_BUFFER_BYTES,
        rows,
    };
    if let Some(dir) = o.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    std::fs::write(&o.out, json + "\n").map_err(|e| format!("writing {}: {e}", o.out.display()))?;
    println!(
        "\nwrote {} ({:.1} s)",
        o.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
