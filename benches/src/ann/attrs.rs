//! The scalar columns the filtered workload filters on, derived from a row's id and vector:
//!
//! * `tag` = `id % 1000`: `tag < t` keeps t‰ of the rows, uncorrelated with the vectors;
//! * `side` = the row's rank (in thousandths, 0–999) along the base set's main axis of
//!   variance: `side >= 1000 - t` keeps the t‰ of the rows at one end of the data, so a query
//!   at that end has its neighbours inside the filter (correlated) and a query at the other
//!   end has every matching row far away (anti-correlated);
//! * `labels` (`int4[]`): label `t` (for each t in [`LABELS`]) is on t‰ of the rows, chosen by
//!   a hash of the id, plus one of 100 common labels (`1000 + id % 100`) on every row, so
//!   `labels @> ARRAY[t]` keeps t‰ of the rows from arrays of two to seven labels.

use super::dataset::Matrix;

/// The rare labels, each on as many thousandths of the rows as its value: one per selectivity
/// the filtered workload measures.
pub const LABELS: [u32; 5] = [1, 10, 100, 500, 990];

/// Rows sampled for the main axis.
const AXIS_SAMPLE: usize = 20_000;
/// Power iterations for the main axis (direction only matters roughly).
const AXIS_ROUNDS: usize = 30;

/// Value of `tag` for row `id`.
pub fn tag_of(id: usize) -> i32 {
    (id % 1000) as i32
}

/// Value of `labels` for row `id`, ascending.
pub fn labels_of(id: usize) -> Vec<i32> {
    let mut v: Vec<i32> = LABELS.iter().copied().filter(|&t| has_label(id, t)).map(|t| t as i32).collect();
    v.push(1000 + (id % 100) as i32);
    v
}

/// Whether row `id` carries the rare label `t`.
pub fn has_label(id: usize, t: u32) -> bool {
    (mix(id as u64 ^ u64::from(t).wrapping_mul(0x9E37_79B9_7F4A_7C15)) % 1000) < u64::from(t)
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The base set's main axis and every base row's position along it.
pub struct Sides {
    axis: Vec<f32>,
    /// Base projections, ascending (for the rank of any vector).
    sorted: Vec<f32>,
    /// `side` of each base row.
    pub of_row: Vec<i16>,
}

impl Sides {
    pub fn compute(base: &Matrix) -> Sides {
        let axis = main_axis(base);
        let proj: Vec<f32> = (0..base.len()).map(|i| dot(&axis, base.row(i))).collect();
        let mut order: Vec<usize> = (0..proj.len()).collect();
        order.sort_by(|&a, &b| proj[a].total_cmp(&proj[b]).then(a.cmp(&b)));
        let n = proj.len().max(1);
        let mut of_row = vec![0i16; proj.len()];
        for (rank, &i) in order.iter().enumerate() {
            of_row[i] = (rank * 1000 / n) as i16;
        }
        let sorted = order.iter().map(|&i| proj[i]).collect();
        Sides { axis, sorted, of_row }
    }

    /// Position of `v` along the axis.
    pub fn projection(&self, v: &[f32]) -> f32 {
        dot(&self.axis, v)
    }

    /// `side` of a vector that is not a base row (inserted rows): its rank among the base's.
    pub fn side_of(&self, v: &[f32]) -> i16 {
        let p = self.projection(v);
        let rank = self.sorted.partition_point(|&x| x < p);
        (rank * 1000 / self.sorted.len().max(1)).min(999) as i16
    }

    /// Indices of the `n` rows of `queries` furthest along the axis (`high`) or against it,
    /// furthest first.
    pub fn extreme_queries(&self, queries: &Matrix, n: usize, high: bool) -> Vec<usize> {
        let mut idx: Vec<(f32, usize)> = (0..queries.len()).map(|q| (self.projection(queries.row(q)), q)).collect();
        idx.sort_by(|a, b| if high { b.0.total_cmp(&a.0) } else { a.0.total_cmp(&b.0) }.then(a.1.cmp(&b.1)));
        idx.into_iter().take(n).map(|(_, q)| q).collect()
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// First principal component of a sample of `base` (power iteration on the centred rows).
fn main_axis(base: &Matrix) -> Vec<f32> {
    let dim = base.dim;
    let step = (base.len() / AXIS_SAMPLE).max(1);
    let rows: Vec<usize> = (0..base.len()).step_by(step).collect();
    let mut mean = vec![0f64; dim];
    for &i in &rows {
        for (m, &x) in mean.iter_mut().zip(base.row(i)) {
            *m += x as f64;
        }
    }
    let count = rows.len().max(1) as f64;
    mean.iter_mut().for_each(|m| *m /= count);
    let mut v: Vec<f64> = (0..dim).map(|d| 1.0 + (mix(d as u64) % 1000) as f64 / 1000.0).collect();
    for _ in 0..AXIS_ROUNDS {
        let mut next = vec![0f64; dim];
        for &i in &rows {
            let r = base.row(i);
            let p: f64 = r.iter().zip(&mean).zip(&v).map(|((&x, m), w)| (x as f64 - m) * w).sum();
            for ((n, &x), m) in next.iter_mut().zip(r).zip(&mean) {
                *n += p * (x as f64 - m);
            }
        }
        let norm = next.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 || !norm.is_finite() {
            break;
        }
        v = next.into_iter().map(|x| x / norm).collect();
    }
    v.into_iter().map(|x| x as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_have_their_frequency() {
        let n = 200_000;
        for t in LABELS {
            let have = (0..n).filter(|&i| has_label(i, t)).count() as f64 / n as f64;
            let want = t as f64 / 1000.0;
            assert!((have - want).abs() < 0.1 * want + 0.0005, "label {t}: {have} vs {want}");
        }
        let l = labels_of(12_345);
        assert!(l.windows(2).all(|w| w[0] < w[1]), "{l:?}");
        assert_eq!(*l.last().unwrap(), 1045);
    }

    #[test]
    fn sides_follow_the_main_axis() {
        // points spread along (1, 1) with small noise across it
        let mut r = quiver_core::hnsw::SplitMix64::new(5);
        let n = 5000;
        let mut data = Vec::new();
        for _ in 0..n {
            let t = r.next_gaussian() as f32 * 10.0;
            let e = r.next_gaussian() as f32 * 0.1;
            data.extend_from_slice(&[t + e, t - e]);
        }
        let base = Matrix::new(2, data);
        let s = Sides::compute(&base);
        // the axis is ±(1, 1)/√2
        assert!((s.axis[0].abs() - std::f32::consts::FRAC_1_SQRT_2).abs() < 0.01, "{:?}", s.axis);
        assert!((s.axis[0] - s.axis[1]).abs() < 0.01, "{:?}", s.axis);
        // every side value 0..999 holds n/1000 rows, and sides grow with the projection
        let mut counts = [0usize; 1000];
        s.of_row.iter().for_each(|&x| counts[x as usize] += 1);
        assert!(counts.iter().all(|&c| c == n / 1000), "{counts:?}");
        let top = (0..n).max_by(|&a, &b| s.projection(base.row(a)).total_cmp(&s.projection(base.row(b)))).unwrap();
        assert_eq!(s.of_row[top], 999);
        assert_eq!(s.side_of(base.row(top)), 999);
        let far = [1e6f32 * s.axis[0], 1e6 * s.axis[1]];
        assert_eq!(s.side_of(&far), 999);
        assert_eq!(s.side_of(&[-far[0], -far[1]]), 0);
        // the extreme queries are the ones furthest along the axis
        let q = Matrix::new(2, vec![0.0, 0.0, 5.0, 5.0, -5.0, -5.0, 1.0, 1.0]);
        let hi = s.extreme_queries(&q, 2, s.axis[0] > 0.0);
        assert_eq!(hi, vec![1, 3]);
        let lo = s.extreme_queries(&q, 1, s.axis[0] < 0.0);
        assert_eq!(lo, vec![2]);
    }
}
