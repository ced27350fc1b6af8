//! Distance metrics as the benchmark sees them: the SQL operator class and operator that
//! order by the metric, and the exact (float64) distance used for ground truth.

use quiver_core::kernels::f32 as k;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    L2,
    Ip,
    Cosine,
}

impl Metric {
    pub fn parse(s: &str) -> Result<Metric, String> {
        match s {
            "l2" => Ok(Metric::L2),
            "ip" => Ok(Metric::Ip),
            "cosine" => Ok(Metric::Cosine),
            _ => Err(format!("unknown metric `{s}` (expected l2, ip or cosine)")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Metric::L2 => "l2",
            Metric::Ip => "ip",
            Metric::Cosine => "cosine",
        }
    }

    /// pgvector's operator class for `vector` columns.
    pub fn opclass(self) -> &'static str {
        match self {
            Metric::L2 => "vector_l2_ops",
            Metric::Ip => "vector_ip_ops",
            Metric::Cosine => "vector_cosine_ops",
        }
    }

    /// The ordering operator (`<#>` is the negative inner product).
    pub fn operator(self) -> &'static str {
        match self {
            Metric::L2 => "<->",
            Metric::Ip => "<#>",
            Metric::Cosine => "<=>",
        }
    }

    /// Fast distance (simd kernels), smaller is nearer; used to shortlist candidates.
    pub fn fast(self, a: &[f32], b: &[f32]) -> f64 {
        match self {
            Metric::L2 => k::l2_squared(a, b),
            Metric::Ip => -k::dot(a, b),
            Metric::Cosine => k::cosine_distance(a, b),
        }
    }

    /// Exact distance in float64 arithmetic, smaller is nearer (squared L2 for `l2`).
    pub fn exact(self, a: &[f32], b: &[f32]) -> f64 {
        let pairs = a.iter().zip(b).map(|(x, y)| (*x as f64, *y as f64));
        match self {
            Metric::L2 => pairs.map(|(x, y)| (x - y) * (x - y)).sum(),
            Metric::Ip => -pairs.map(|(x, y)| x * y).sum::<f64>(),
            Metric::Cosine => {
                let (mut d, mut na, mut nb) = (0.0, 0.0, 0.0);
                for (x, y) in pairs {
                    d += x * y;
                    na += x * x;
                    nb += y * y;
                }
                if na == 0.0 || nb == 0.0 {
                    f64::NAN
                } else {
                    1.0 - d / (na.sqrt() * nb.sqrt())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_distances() {
        let (a, b) = ([1.0f32, 0.0], [0.0f32, 2.0]);
        assert_eq!(Metric::L2.exact(&a, &b), 5.0);
        assert_eq!(Metric::Ip.exact(&a, &[3.0, 1.0]), -3.0);
        assert!((Metric::Cosine.exact(&a, &b) - 1.0).abs() < 1e-12);
        assert!(Metric::Cosine.exact(&a, &[0.0, 0.0]).is_nan());
        for m in [Metric::L2, Metric::Ip, Metric::Cosine] {
            assert!((m.fast(&a, &[0.5, 0.5]) - m.exact(&a, &[0.5, 0.5])).abs() < 1e-6);
            assert_eq!(Metric::parse(m.name()), Ok(m));
        }
        assert!(Metric::parse("hamming").is_err());
    }
}
