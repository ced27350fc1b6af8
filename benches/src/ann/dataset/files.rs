//! A dataset directory: `*base.{fvecs,npy}`, `*query.{fvecs,npy}` and optionally the
//! ground truth for the metric (`*groundtruth.{ivecs,npy}` for L2,
//! `*groundtruth_ip.*` for inner product, `*groundtruth_cosine.*` for cosine), and
//! optionally `*base.jsonl` with the text behind each base vector.

use std::path::{Path, PathBuf};

use quiver_core::hnsw::SplitMix64;

use super::{jsonl, npy, vecs, Dataset, IdTable, Matrix};
use crate::ann::metric::Metric;

/// What to read from a dataset directory.
pub struct Limits {
    /// Use only the first `rows` base vectors (ground truth files then no longer apply).
    pub rows: Option<usize>,
    pub queries: Option<usize>,
    /// Vectors to derive for the insert workload.
    pub extra: usize,
    pub seed: u64,
}

/// The file in `dir` whose name ends with one of `suffixes` (first suffix wins).
fn find(dir: &Path, suffixes: &[&str]) -> Result<Option<PathBuf>, String> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("dataset directory {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    for s in suffixes {
        if let Some(p) = names.iter().find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(s))) {
            return Ok(Some(p.clone()));
        }
    }
    Ok(None)
}

fn read_matrix(p: &Path, limit: Option<usize>) -> Result<Matrix, String> {
    if p.extension().is_some_and(|e| e == "npy") {
        npy::read_f32(p, limit)
    } else {
        vecs::read_fvecs(p, limit)
    }
}

fn read_ids(p: &Path, limit: Option<usize>) -> Result<IdTable, String> {
    if p.extension().is_some_and(|e| e == "npy") {
        npy::read_ids(p, limit)
    } else {
        vecs::read_ivecs(p, limit)
    }
}

/// Loads a dataset directory for `metric`.
pub fn load_dir(dir: &Path, metric: Metric, lim: &Limits) -> Result<Dataset, String> {
    if !dir.is_dir() {
        return Err(format!("dataset directory {} does not exist (or is not a directory)", dir.display()));
    }
    let base_p = find(dir, &["base.fvecs", "base.npy"])?
        .ok_or_else(|| format!("{}: no *base.fvecs or *base.npy file", dir.display()))?;
    let query_p = find(dir, &["query.fvecs", "query.npy", "queries.fvecs", "queries.npy"])?
        .ok_or_else(|| format!("{}: no *query.fvecs or *query.npy file", dir.display()))?;
    let mut base = read_matrix(&base_p, None)?;
    let queries = read_matrix(&query_p, lim.queries)?;
    if base.dim != queries.dim {
        return Err(format!(
            "dimension mismatch: {} has {}-dimensional vectors, {} has {}",
            base_p.display(),
            base.dim,
            query_p.display(),
            queries.dim
        ));
    }
    let full_base = lim.rows.is_none_or(|r| r >= base.len());
    if let Some(r) = lim.rows.filter(|_| !full_base) {
        base.data.truncate(r * base.dim);
    }
    let truth_file = if full_base { read_truth(dir, metric, &base, &queries)? } else { None };
    let extra = interpolate(&base, lim.extra, lim.seed);
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "dataset".into());
    let name = if full_base { name } else { format!("{name}-first{}", base.len()) };
    let texts = match find(dir, &["base.jsonl"])? {
        Some(p) => Some(jsonl::read_texts(&p, base.len())?),
        None => None,
    };
    Ok(Dataset { name, source: dir.display().to_string(), base, queries, truth_file, extra, texts })
}

fn read_truth(dir: &Path, metric: Metric, base: &Matrix, q: &Matrix) -> Result<Option<(String, IdTable)>, String> {
    let tag = match metric {
        Metric::L2 => "",
        Metric::Ip => "_ip",
        Metric::Cosine => "_cosine",
    };
    let names = [format!("groundtruth{tag}.ivecs"), format!("groundtruth{tag}.npy")];
    let Some(p) = find(dir, &[names[0].as_str(), names[1].as_str()])? else {
        return Ok(None);
    };
    let t = read_ids(&p, Some(q.len()))?;
    if t.len() < q.len() {
        return Err(format!("{}: {} ground-truth rows for {} queries", p.display(), t.len(), q.len()));
    }
    if let Some(bad) = t.ids.iter().find(|&&i| i < 0 || i as usize >= base.len()) {
        return Err(format!("{}: id {bad} is outside the {} base vectors", p.display(), base.len()));
    }
    let file = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(Some((file, t)))
}

/// `n` new vectors, each a random convex combination of two base vectors (rescaled to
/// unit length when the base vectors are unit length), for the insert workload: the
/// files hold no vectors outside the base set.
pub fn interpolate(base: &Matrix, n: usize, seed: u64) -> Matrix {
    let mut rng = SplitMix64::new(seed ^ 0x001A_5E27);
    let norm = |v: &[f32]| v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let unit = (0..base.len().min(100)).all(|i| (norm(base.row(i)) - 1.0).abs() < 1e-3);
    let mut data = Vec::with_capacity(n * base.dim);
    for _ in 0..n {
        let a = base.row(rng.below(base.len() as u64) as usize);
        let b = base.row(rng.below(base.len() as u64) as usize);
        let t = 0.25 + 0.5 * rng.next_f64();
        let v: Vec<f64> = a.iter().zip(b).map(|(x, y)| t * *x as f64 + (1.0 - t) * *y as f64).collect();
        let s = if unit { 1.0 / norm_f64(&v).max(f64::MIN_POSITIVE) } else { 1.0 };
        data.extend(v.iter().map(|x| (x * s) as f32));
    }
    Matrix::new(base.dim, data)
}

fn norm_f64(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_fvecs(p: &Path, rows: &[Vec<f32>]) {
        let mut out = Vec::new();
        for r in rows {
            out.extend((r.len() as i32).to_le_bytes());
            r.iter().for_each(|v| out.extend(v.to_le_bytes()));
        }
        std::fs::write(p, out).unwrap();
    }

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("quiver-bench-ds-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn lim() -> Limits {
        Limits { rows: None, queries: None, extra: 3, seed: 1 }
    }

    #[test]
    fn loads_texmex_dir_with_truth() {
        let d = dir("ok");
        write_fvecs(&d.join("x_base.fvecs"), &[vec![0.0, 1.0], vec![1.0, 0.0], vec![0.6, 0.8]]);
        write_fvecs(&d.join("x_query.fvecs"), &[vec![1.0, 0.0]]);
        let mut gt = Vec::new();
        for v in [2i32, 1, 2] {
            gt.extend(v.to_le_bytes());
        }
        std::fs::write(d.join("x_groundtruth.ivecs"), &gt).unwrap();
        let ds = load_dir(&d, Metric::L2, &lim()).unwrap();
        assert_eq!((ds.base.len(), ds.queries.len(), ds.extra.len()), (3, 1, 3));
        let (file, t) = ds.truth_file.unwrap();
        assert_eq!(file, "x_groundtruth.ivecs");
        assert_eq!(t.row(0), &[1, 2]);
        // unit-norm base: interpolated vectors are unit length too
        assert!((norm_f64(&ds.extra.row(0).iter().map(|&x| x as f64).collect::<Vec<_>>()) - 1.0).abs() < 1e-5);
        // no ip ground truth file: computed later
        assert!(load_dir(&d, Metric::Ip, &lim()).unwrap().truth_file.is_none());
        // a subset of the base invalidates the file's ground truth
        let sub = load_dir(&d, Metric::L2, &Limits { rows: Some(2), ..lim() }).unwrap();
        assert!(sub.truth_file.is_none());
    }

    #[test]
    fn clear_errors() {
        let missing = load_dir(Path::new("/nonexistent/quiver-ds"), Metric::L2, &lim());
        assert!(missing.err().unwrap().contains("does not exist"));
        let d = dir("nobase");
        assert!(load_dir(&d, Metric::L2, &lim()).err().unwrap().contains("no *base.fvecs"));
        write_fvecs(&d.join("base.fvecs"), &[vec![0.0, 1.0]]);
        write_fvecs(&d.join("query.fvecs"), &[vec![1.0, 0.0, 0.0]]);
        assert!(load_dir(&d, Metric::L2, &lim()).err().unwrap().contains("dimension mismatch"));
        write_fvecs(&d.join("query.fvecs"), &[vec![1.0, 0.0]]);
        let mut gt = Vec::new();
        for v in [1i32, 5] {
            gt.extend(v.to_le_bytes());
        }
        std::fs::write(d.join("groundtruth.ivecs"), &gt).unwrap();
        assert!(load_dir(&d, Metric::L2, &lim()).err().unwrap().contains("outside the 1 base vectors"));
    }
}
