//! `quiver-bench core`: quiver-core's HNSW in process (no PostgreSQL) on a dataset
//! directory or the synthetic generator: parallel build time, distance evaluations
//! per insert, and recall@10 / queries per second (one thread) for a sweep of ef.
//! The ceiling the index access method chases, and the harness for graph changes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use quiver_core::hnsw::{build_parallel_with, random_levels, search, BitVisited, BuildFns, HnswParams};
use quiver_core::kernels::f32 as k;
use quiver_core::quant::CodeTable;

use crate::ann::dataset::{files, synthetic, Matrix};
use crate::ann::metric::Metric;
use crate::ann::{recall, truth};

struct Options {
    dataset: Option<String>,
    rows: usize,
    dim: usize,
    m: usize,
    ef_construction: usize,
    efs: Vec<usize>,
    /// Seed of the random level assignment (recall on clustered data varies by about
    /// ±0.015 between draws: compare changes over several seeds).
    level_seed: u64,
    /// Distances for the graph walk while building: exact f32, or over f16 / SQ8 copies.
    search: String,
    /// After the sweep: where the last ef's misses lie (per-query spread, in-degree of the
    /// missed nodes, whether a much wider search finds them).
    diagnose: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options { dataset: None, rows: 100_000, dim: 128, m: 16, ef_construction: 64, efs: vec![10, 20, 40, 80, 160], level_seed: 0x5eed, search: "f32".into(), diagnose: false };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut v = || it.next().ok_or_else(|| format!("{a} needs a value"));
        let num = |s: &String| s.parse::<usize>().map_err(|e| format!("{a}: {e}"));
        match a.as_str() {
            "--dataset" => o.dataset = Some(v()?.clone()),
            "--rows" => o.rows = num(v()?)?,
            "--dim" => o.dim = num(v()?)?,
            "--m" => o.m = num(v()?)?,
            "--ef-construction" => o.ef_construction = num(v()?)?,
            "--level-seed" => o.level_seed = num(v()?)? as u64,
            "--search" => o.search = v()?.clone(),
            "--diagnose" => o.diagnose = true,
            "--ef" => o.efs = v()?.split(',').map(|x| x.trim().parse::<usize>().map_err(|e| format!("--ef: {e}"))).collect::<Result<_, _>>()?,
            _ => return Err(format!("core: unknown option {a}")),
        }
    }
    Ok(o)
}

fn l2(a: &[f32], b: &[f32]) -> f32 {
    k::l2_squared(a, b) as f32
}

pub fn main(args: &[String]) -> Result<(), String> {
    let o = parse(args)?;
    let ds = match &o.dataset {
        Some(d) => files::load_dir(std::path::Path::new(d), Metric::L2, &files::Limits { rows: None, queries: None, extra: 0, seed: 1 })?,
        None => synthetic::generate(&synthetic::Spec { rows: o.rows, dim: o.dim, queries: 1000, extra: 0, clusters: 100, rank: 12, noise: 0.1, seed: 42 })?,
    };
    let (base, queries): (&Matrix, &Matrix) = (&ds.base, &ds.queries);
    let truth = match &ds.truth_file {
        Some((_, ids)) => truth::from_ids(base, queries, Metric::L2, ids),
        None => truth::exact(base, queries, Metric::L2, 10, &|_| true),
    };
    let params = HnswParams::new(o.m, o.ef_construction);
    let n = base.len();
    let levels = random_levels(n, &params, o.level_seed);
    let evals = AtomicU64::new(0);
    let t = Instant::now();
    if !["f32", "f16", "i8"].contains(&o.search.as_str()) {
        return Err(format!("--search: unknown {} (f32, f16 or i8)", o.search));
    }
    let d = base.dim;
    let half: Vec<half::f16> = match o.search.as_str() {
        "f16" => (0..n).flat_map(|i| base.row(i).iter().map(|&x| half::f16::from_f32(x))).collect(),
        _ => Vec::new(),
    };
    let half_row = |i: u32| &half[i as usize * d..(i as usize + 1) * d];
    let codes = match o.search.as_str() {
        "i8" => CodeTable::encode(&(0..n).map(|i| base.row(i)).collect::<Vec<_>>()),
        _ => None,
    };
    let f16_dist = |a: u32, b: u32| {
        evals.fetch_add(1, Ordering::Relaxed);
        quiver_core::kernels::f16::l2_squared(half_row(a), half_row(b)) as f32
    };
    let i8_dist = codes.as_ref().map(|t| {
        let evals = &evals;
        move |a: u32, b: u32| {
            evals.fetch_add(1, Ordering::Relaxed);
            quiver_core::quant::l2_squared_i8(t.row(a as usize), t.row(b as usize)) as f32
        }
    });
    let pair_dist = |a: u32, b: u32| {
        evals.fetch_add(1, Ordering::Relaxed);
        l2(base.row(a as usize), base.row(b as usize))
    };
    // Prefetch each vector before its distance, as the index build does.
    let prefetch = |a: u32| {
        let (ptr, len) = match (&codes, o.search.as_str()) {
            (Some(t), _) => (t.row_bytes(a as usize).as_ptr(), d),
            (None, "f16") => (half_row(a).as_ptr() as *const u8, d * 2),
            _ => (base.row(a as usize).as_ptr() as *const u8, d * 4),
        };
        quiver_core::metric::prefetch_ptr(ptr, len)
    };
    let search_dist: Option<&(dyn Fn(u32, u32) -> f32 + Sync)> = match (&i8_dist, o.search.as_str()) {
        (Some(f), _) => Some(f),
        (None, "f16") => Some(&f16_dist),
        _ => None,
    };
    let fns = BuildFns { pair_dist: &pair_dist, search_dist, prefetch: &prefetch, progress: &|_| {}, cancelled: &|| false, link_file: None };
    let g = build_parallel_with(n, &levels, &params, &fns).map_err(|e| format!("build failed: {e:?}"))?;
    let build = t.elapsed().as_secs_f64();
    let e = evals.load(Ordering::Relaxed);
    println!(
        "{}: {n} x {}, m {} ef_construction {}, {} threads: build {build:.2} s, {:.1} M distances ({:.0} per insert)",
        ds.name, base.dim, o.m, o.ef_construction, rayon::current_num_threads(), e as f64 / 1e6, e as f64 / n as f64
    );
    let mut visited = BitVisited::new(n);
    let mut last: Vec<Vec<i64>> = Vec::new();
    for &ef in &o.efs {
        let t = Instant::now();
        let mut results = Vec::with_capacity(queries.len());
        let mut qe = 0u64;
        for qi in 0..queries.len() {
            let q = queries.row(qi);
            let hits = search(&g, ef, 10, &mut |x| {
                qe += 1;
                l2(q, base.row(x as usize))
            }, &mut visited);
            results.push(hits.iter().map(|c| c.id as i64).collect::<Vec<_>>());
        }
        let secs = t.elapsed().as_secs_f64();
        let r = recall::mean_recall(&results, &truth.rows, 10, &|q, id| {
            usize::try_from(id).ok().filter(|&i| i < n).map(|i| Metric::L2.exact(queries.row(q), base.row(i)))
        });
        println!(
            "  ef {ef:>4}: recall@10 {r:.4}  {:.0} queries/s  {:.0} distances/query",
            queries.len() as f64 / secs,
            qe as f64 / queries.len() as f64
        );
        last = results;
    }
    if o.diagnose {
        diagnose(&g, base, queries, &truth.rows, &last, o.efs.last().copied().unwrap_or(10));
    }
    Ok(())
}

/// Where the misses of the last sweep point lie: how many queries miss how many of their
/// true top 10; the level-0 in-degree of missed nodes against all nodes'; and whether a search
/// with 16× the ef (a wider beam from the same entry) finds them (hard to reach rather than
/// unreachable).
fn diagnose(g: &quiver_core::hnsw::MemGraph, base: &Matrix, queries: &Matrix, truth: &[Vec<(i64, f64)>], results: &[Vec<i64>], ef: usize) {
    let n = base.len();
    let mut indeg = vec![0u32; n];
    for x in 0..n as u32 {
        for y in g.neighbors_of(x, 0) {
            indeg[y as usize] += 1;
        }
    }
    let mean_in = indeg.iter().map(|&d| d as f64).sum::<f64>() / n as f64;
    let reach = g.reachable().iter().filter(|r| **r).count();
    println!("diagnose: {reach} of {n} nodes reachable at level 0; mean level-0 in-degree {mean_in:.1}");
    let mut per_query = [0usize; 11];
    let mut missed: Vec<(usize, i64)> = Vec::new();
    for (q, (r, t)) in results.iter().zip(truth).enumerate() {
        let kth = t.get(9).map(|x| x.1).unwrap_or(f64::INFINITY);
        let miss: Vec<i64> = t.iter().take(10).filter(|(id, d)| !r.contains(id) && *d <= kth).map(|x| x.0).collect();
        // a tie at the k-th distance found instead counts as found
        let ties = r.iter().filter(|&&id| !t.iter().take(10).any(|x| x.0 == id)).filter(|&&id| (Metric::L2.exact(queries.row(q), base.row(id as usize)) - kth).abs() <= 1e-6 * kth.max(1.0)).count();
        let m = miss.len().saturating_sub(ties);
        per_query[m.min(10)] += 1;
        missed.extend(miss.into_iter().take(m).map(|id| (q, id)));
    }
    println!("  queries by misses (0..10): {per_query:?}");
    let mut din: Vec<u32> = missed.iter().map(|&(_, id)| indeg[id as usize]).collect();
    din.sort_unstable();
    if !din.is_empty() {
        println!("  missed nodes: {}; in-degree min {} median {} max {}; levels>0: {}", din.len(), din[0], din[din.len() / 2], din[din.len() - 1], missed.iter().filter(|&&(_, id)| g.level(id as u32) > 0).count());
    }
    let mut visited = BitVisited::new(n);
    let (mut wide, mut total) = (0usize, 0usize);
    let qs: Vec<usize> = { let mut v: Vec<usize> = missed.iter().map(|x| x.0).collect(); v.dedup(); v };
    for &q in &qs {
        let hits = search(g, ef * 16, 10, &mut |x| l2(queries.row(q), base.row(x as usize)), &mut visited);
        for &(_, id) in missed.iter().filter(|x| x.0 == q) {
            total += 1;
            if hits.iter().any(|c| c.id as i64 == id) {
                wide += 1;
            }
        }
    }
    println!("  found by ef {}: {wide} of {total}", ef * 16);
}
