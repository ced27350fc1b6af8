//! Rerankers of hybrid search: several ranked hit lists (one per request) fused into one.
//!
//! * RRF (reciprocal rank fusion): `score(id) = Σ 1 / (k + rank)`, ranks starting at 1.
//! * Weighted: `score(id) = Σ w_i · norm_i(distance)`, each request's distance first mapped
//!   to [0, 1] with larger meaning closer: `1 − 2·atan(d)/π` for L2/Hamming/Jaccard
//!   distances, `0.5 + atan(s)/π` for inner products, `(1 + s) / 2` for cosine similarity.
//!
//! Ties are broken by the id, so the fused order is deterministic.

use std::collections::HashMap;

use super::schema::MetricKind;
use crate::error::{Error, Result};

/// One request's hits, best first: (id, reported distance).
pub type Hits = Vec<(String, f64)>;

fn sorted(scores: HashMap<String, f64>, limit: usize) -> Vec<(String, f64)> {
    let mut v: Vec<(String, f64)> = scores.into_iter().collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(limit);
    v
}

/// Reciprocal rank fusion with constant `k` (Milvus's default is 60).
pub fn rrf(lists: &[Hits], k: f64, limit: usize) -> Result<Vec<(String, f64)>> {
    if !(k.is_finite() && k > 0.0 && k < 16_384.0) {
        return Err(Error::param("the RRF parameter k must be in (0, 16384)"));
    }
    let mut scores: HashMap<String, f64> = HashMap::new();
    for list in lists {
        for (rank, (id, _)) in list.iter().enumerate() {
            *scores.entry(id.clone()).or_default() += 1.0 / (k + rank as f64 + 1.0);
        }
    }
    Ok(sorted(scores, limit))
}

/// Maps a reported distance of `metric` to [0, 1], larger is closer.
pub fn normalize(metric: MetricKind, d: f64) -> f64 {
    use std::f64::consts::PI;
    match metric {
        MetricKind::Ip => 0.5 + d.atan() / PI,
        MetricKind::Cosine => (1.0 + d) / 2.0,
        _ => 1.0 - 2.0 * d.atan() / PI,
    }
}

/// Weighted fusion; `weights[i]` and `metrics[i]` belong to `lists[i]`.
pub fn weighted(lists: &[Hits], metrics: &[MetricKind], weights: &[f64], limit: usize) -> Result<Vec<(String, f64)>> {
    if weights.len() != lists.len() {
        return Err(Error::param(format!("the weighted ranker needs one weight per request ({} requests, {} weights)", lists.len(), weights.len())));
    }
    if weights.iter().any(|w| !(0.0..=1.0).contains(w)) {
        return Err(Error::param("weights must be between 0 and 1"));
    }
    let mut scores: HashMap<String, f64> = HashMap::new();
    for ((list, m), w) in lists.iter().zip(metrics).zip(weights) {
        for (id, d) in list {
            *scores.entry(id.clone()).or_default() += w * normalize(*m, *d);
        }
    }
    Ok(sorted(scores, limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(ids: &[&str]) -> Hits {
        ids.iter().map(|i| (i.to_string(), 0.0)).collect()
    }

    #[test]
    fn rrf_by_hand() {
        // list 1: a b c; list 2: c a d; k = 1
        // a: 1/2 + 1/3 = 0.8333; b: 1/3 = 0.3333; c: 1/4 + 1/2 = 0.75; d: 1/4
        let r = rrf(&[hits(&["a", "b", "c"]), hits(&["c", "a", "d"])], 1.0, 10).unwrap();
        let ids: Vec<&str> = r.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(ids, ["a", "c", "b", "d"]);
        assert!((r[0].1 - (0.5 + 1.0 / 3.0)).abs() < 1e-12);
        assert!((r[3].1 - 0.25).abs() < 1e-12);
        assert_eq!(rrf(&[hits(&["a", "b"])], 60.0, 1).unwrap().len(), 1);
        assert!(rrf(&[], 0.0, 1).is_err());
    }

    #[test]
    fn weighted_by_hand() {
        let l2 = vec![("a".to_string(), 0.0), ("b".to_string(), 1.0)];
        let cos = vec![("b".to_string(), 1.0), ("a".to_string(), 0.0)];
        // a: 0.5*1 + 0.5*0.5 = 0.75; b: 0.5*(1 - 2*atan(1)/pi = 0.5) + 0.5*1 = 0.75 → tie, by id
        let r = weighted(&[l2.clone(), cos.clone()], &[MetricKind::L2, MetricKind::Cosine], &[0.5, 0.5], 10).unwrap();
        assert_eq!(r[0].0, "a");
        assert!((r[0].1 - 0.75).abs() < 1e-12 && (r[1].1 - 0.75).abs() < 1e-12);
        let r = weighted(&[l2.clone(), cos.clone()], &[MetricKind::L2, MetricKind::Cosine], &[0.2, 0.8], 10).unwrap();
        assert_eq!(r[0].0, "b");
        assert!(weighted(&[l2], &[MetricKind::L2], &[0.5, 0.5], 10).is_err());
        assert!((normalize(MetricKind::Ip, 0.0) - 0.5).abs() < 1e-12);
    }
}
