//! Recall@k, counted the way ann-benchmarks does: a returned row is a hit when it is
//! one of the `k` true neighbours *or* is exactly as near as the `k`-th one (so ties at
//! the boundary do not count against an engine). Each distinct id counts once.

use std::collections::HashSet;

/// Relative tolerance for "as near as the k-th true neighbour".
const TIE_EPS: f64 = 1e-6;

/// Recall@`k` of `result` (ids in returned order) against `truth` (nearest first, with
/// exact distances); `dist(id)` is the exact distance of a returned id, `None` for an id
/// that is not a base row (never a hit). With fewer than `k` true neighbours, the
/// available ones are the denominator.
pub fn recall_at(result: &[i64], truth: &[(i64, f64)], k: usize, dist: &dyn Fn(i64) -> Option<f64>) -> f64 {
    let k = k.min(truth.len());
    if k == 0 {
        return 1.0;
    }
    let true_ids: HashSet<i64> = truth[..k].iter().map(|t| t.0).collect();
    let bound = truth[k - 1].1;
    let bound = bound + TIE_EPS * bound.abs().max(1e-12);
    let mut seen = HashSet::new();
    let hits = result
        .iter()
        .take(k)
        .filter(|&&id| seen.insert(id))
        .filter(|&&id| true_ids.contains(&id) || dist(id).is_some_and(|d| d <= bound))
        .count();
    hits.min(k) as f64 / k as f64
}

/// Mean recall@`k` over all queries; `dist(q, id)` as in [`recall_at`].
pub fn mean_recall(results: &[Vec<i64>], truth: &[Vec<(i64, f64)>], k: usize, dist: &dyn Fn(usize, i64) -> Option<f64>) -> f64 {
    if results.is_empty() {
        return 0.0;
    }
    let sum: f64 = results
        .iter()
        .zip(truth)
        .enumerate()
        .map(|(q, (r, t))| recall_at(r, t, k, &|id| dist(q, id)))
        .sum();
    sum / results.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    // Hand-checked data: base points on a line at 0, 1, 2, 3, 4 (ids 0..4) and a sixth
    // point at 3 (id 5); query at 2.1, squared-L2 distances:
    //   id2 0.01, id1 1.21, id3 0.81, id5 0.81, id0 4.41, id4 3.61
    // true order: 2 (0.01), 3 (0.81), 5 (0.81), 1 (1.21), 4 (3.61), 0 (4.41)
    const POS: [f64; 6] = [0.0, 1.0, 2.0, 3.0, 4.0, 3.0];

    fn dist(id: i64) -> Option<f64> {
        POS.get(usize::try_from(id).ok()?).map(|p| (p - 2.1) * (p - 2.1))
    }

    fn truth() -> Vec<(i64, f64)> {
        [2, 3, 5, 1, 4, 0].iter().map(|&i| (i, dist(i).unwrap())).collect()
    }

    #[test]
    fn hand_checked_recall() {
        let t = truth();
        assert_eq!(recall_at(&[2], &t, 1, &dist), 1.0);
        assert_eq!(recall_at(&[3], &t, 1, &dist), 0.0);
        assert_eq!(recall_at(&[2, 3, 5, 1], &t, 4, &dist), 1.0);
        assert_eq!(recall_at(&[1, 2, 3, 5], &t, 4, &dist), 1.0); // order within k does not matter
        assert_eq!(recall_at(&[2, 3, 4, 0], &t, 4, &dist), 0.5);
        assert_eq!(recall_at(&[2, 4, 0, 1, 3, 5], &t, 4, &dist), 0.5); // only the first k returned count
        assert_eq!(recall_at(&[2], &t, 4, &dist), 0.25); // short result
        assert_eq!(recall_at(&[], &t, 4, &dist), 0.0);
    }

    #[test]
    fn ties_at_the_boundary_are_hits() {
        // k = 2: truth is {2, 3}; id 5 is exactly as near as id 3.
        let t = truth();
        assert_eq!(recall_at(&[2, 5], &t, 2, &dist), 1.0);
        assert_eq!(recall_at(&[5, 2], &t, 2, &dist), 1.0);
        assert_eq!(recall_at(&[2, 1], &t, 2, &dist), 0.5);
    }

    #[test]
    fn duplicates_and_unknown_ids_do_not_inflate() {
        let t = truth();
        assert_eq!(recall_at(&[2, 2, 2], &t, 3, &dist), 1.0 / 3.0);
        assert_eq!(recall_at(&[2, 99, -1], &t, 3, &dist), 1.0 / 3.0);
    }

    #[test]
    fn fewer_true_neighbours_than_k() {
        let t = &truth()[..2];
        assert_eq!(recall_at(&[2, 3, 1], t, 10, &dist), 1.0);
        assert_eq!(recall_at(&[1], &[], 10, &dist), 1.0);
    }

    #[test]
    fn mean_over_queries() {
        let t = vec![truth(), truth()];
        let r = vec![vec![2, 3], vec![4, 0]];
        assert_eq!(mean_recall(&r, &t, 2, &|_, id| dist(id)), 0.5);
    }
}
