//! Exact nearest neighbours (ground truth): brute force over the base vectors, a
//! shortlist by the fast kernels, then re-scored in float64 and ordered by
//! `(distance, id)`, like the shared datasets' own ground truth.

use rayon::prelude::*;

use super::dataset::{IdTable, Matrix};
use super::metric::Metric;

/// Per query, the true neighbours nearest first, with their exact distances.
#[derive(Clone, Debug, PartialEq)]
pub struct Truth {
    pub rows: Vec<Vec<(i64, f64)>>,
}

/// Extra shortlist entries re-scored exactly beyond `k` (float rounding of the fast
/// kernels can only swap near-ties).
const SLACK: usize = 16;

/// Exact top-`k` of every query among the base rows `i` with `keep(i)`.
pub fn exact(base: &Matrix, queries: &Matrix, metric: Metric, k: usize, keep: &(dyn Fn(usize) -> bool + Sync)) -> Truth {
    let rows = (0..queries.len())
        .into_par_iter()
        .map(|q| top_k(base, queries.row(q), metric, k, keep))
        .collect();
    Truth { rows }
}

fn top_k(base: &Matrix, q: &[f32], metric: Metric, k: usize, keep: &(dyn Fn(usize) -> bool + Sync)) -> Vec<(i64, f64)> {
    let mut cand: Vec<(f64, usize)> = (0..base.len())
        .filter(|&i| keep(i))
        .map(|i| (metric.fast(q, base.row(i)), i))
        .collect();
    let short = (k + SLACK).min(cand.len());
    if short < cand.len() {
        cand.select_nth_unstable_by(short, |a, b| a.0.total_cmp(&b.0));
        cand.truncate(short);
    }
    let mut exact: Vec<(i64, f64)> = cand.iter().map(|&(_, i)| (i as i64, metric.exact(q, base.row(i)))).collect();
    exact.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    exact.truncate(k);
    exact
}

/// Ground truth given as ids (from a dataset file), with exact distances computed here.
pub fn from_ids(base: &Matrix, queries: &Matrix, metric: Metric, t: &IdTable) -> Truth {
    let rows = (0..queries.len())
        .map(|q| t.row(q).iter().map(|&id| (id, metric.exact(queries.row(q), base.row(id as usize)))).collect())
        .collect();
    Truth { rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_top_k_in_one_dimension() {
        let base = Matrix::new(1, vec![0.0, 1.0, 2.0, 3.0, 4.0, 2.0]);
        let q = Matrix::new(1, vec![2.1, -10.0]);
        let t = exact(&base, &q, Metric::L2, 3, &|_| true);
        // 2.0 twice (ids 2 and 5, tie broken by id), then 3.0
        let ids: Vec<i64> = t.rows[0].iter().map(|r| r.0).collect();
        assert_eq!(ids, vec![2, 5, 3]);
        assert!((t.rows[0][2].1 - 0.81).abs() < 1e-6);
        assert_eq!(t.rows[1].iter().map(|r| r.0).collect::<Vec<_>>(), vec![0, 1, 2]);
        // filtered: even ids only
        let f = exact(&base, &q, Metric::L2, 2, &|i| i % 2 == 0);
        assert_eq!(f.rows[0].iter().map(|r| r.0).collect::<Vec<_>>(), vec![2, 4]);
        // fewer candidates than k
        let few = exact(&base, &q, Metric::L2, 3, &|i| i == 1);
        assert_eq!(few.rows[0], vec![(1, (2.1f32 as f64 - 1.0).powi(2))]);
    }

    #[test]
    fn agrees_with_plain_sort_on_random_data() {
        let mut r = quiver_core::hnsw::SplitMix64::new(3);
        let base = Matrix::new(8, (0..8 * 300).map(|_| r.next_gaussian() as f32).collect());
        let q = Matrix::new(8, (0..8 * 5).map(|_| r.next_gaussian() as f32).collect());
        for m in [Metric::L2, Metric::Ip, Metric::Cosine] {
            let t = exact(&base, &q, m, 10, &|_| true);
            for (qi, row) in t.rows.iter().enumerate() {
                let mut all: Vec<(i64, f64)> = (0..300).map(|i| (i as i64, m.exact(q.row(qi), base.row(i)))).collect();
                all.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
                assert_eq!(row[..], all[..10]);
            }
        }
    }
}
