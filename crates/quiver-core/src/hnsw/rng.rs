//! A tiny deterministic PRNG (SplitMix64) for level assignment and tests.

use super::HnswParams;

/// SplitMix64 (Steele, Lea & Flood): 64-bit state, full period, good enough
/// statistical quality for level sampling and synthetic test data.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `(0, 1]` (53 bits).
    #[inline]
    pub fn next_f64_open0(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[0, 1)` (53 bits).
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal sample (Box–Muller).
    pub fn next_gaussian(&mut self) -> f64 {
        let u1 = self.next_f64_open0();
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// Uniform integer in `0..n` (`n > 0`; slight modulo bias is irrelevant here).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
}

/// Levels for `n` nodes, `levels[i] = params.level_for(u_i)` with `u_i` drawn from
/// a [`SplitMix64`] seeded with `seed` (deterministic for a given seed).
pub fn random_levels(n: usize, params: &HnswParams, seed: u64) -> Vec<usize> {
    let mut rng = SplitMix64::new(seed);
    (0..n)
        .map(|_| params.level_for(rng.next_f64_open0()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_distribution() {
        let p = HnswParams::new(16, 64);
        let levels = random_levels(100_000, &p, 42);
        let l0 = levels.iter().filter(|&&l| l == 0).count() as f64 / 1e5;
        // P(level 0) = 1 - 1/16 = 0.9375
        assert!((l0 - 0.9375).abs() < 0.01, "{l0}");
        assert!(levels.iter().any(|&l| l >= 2));
        assert_eq!(levels, random_levels(100_000, &p, 42));
    }
}
