//! Plain scalar reference kernels: every element widened to `f64`, summed
//! serially in `f64`. Slow and simple on purpose — they are what the accelerated
//! kernels are tested against, and what users of this crate can check with.
//!
//! Their rounding error is about `n · 2⁻⁵³` relative to the sum of absolute
//! terms, i.e. below 1e-12 for any realistic dimension, so in tests they stand in
//! for the exact value. They work on the common prefix of their arguments.

fn pairs<'a>(a: &'a [f32], b: &'a [f32]) -> impl Iterator<Item = (f64, f64)> + 'a {
    a.iter().zip(b).map(|(&x, &y)| (x as f64, y as f64))
}

/// `Σ (aᵢ - bᵢ)²` in `f64`.
pub fn l2_squared(a: &[f32], b: &[f32]) -> f64 {
    pairs(a, b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// `sqrt(Σ (aᵢ - bᵢ)²)` in `f64`.
pub fn l2(a: &[f32], b: &[f32]) -> f64 {
    l2_squared(a, b).sqrt()
}

/// `Σ aᵢbᵢ` in `f64`.
pub fn dot(a: &[f32], b: &[f32]) -> f64 {
    pairs(a, b).map(|(x, y)| x * y).sum()
}

/// `Σ |aᵢbᵢ|` in `f64`: the scale against which a dot product's rounding error
/// is measured (the dot product itself may cancel to near zero).
pub fn dot_abs_scale(a: &[f32], b: &[f32]) -> f64 {
    pairs(a, b).map(|(x, y)| (x * y).abs()).sum()
}

/// `1 - a·b / (|a| |b|)` in `f64`, similarity clamped to `[-1, 1]`; NaN if
/// either vector has zero norm (pgvector semantics).
pub fn cosine_distance(a: &[f32], b: &[f32]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0f64, 0f64, 0f64);
    for (x, y) in pairs(a, b) {
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    super::portable::cosine_from_parts(ab, aa, bb)
}

/// `Σ |aᵢ - bᵢ|` in `f64`.
pub fn l1(a: &[f32], b: &[f32]) -> f64 {
    pairs(a, b).map(|(x, y)| (x - y).abs()).sum()
}

/// `sqrt(Σ aᵢ²)` in `f64`.
pub fn norm(a: &[f32]) -> f64 {
    a.iter()
        .map(|&x| (x as f64) * (x as f64))
        .sum::<f64>()
        .sqrt()
}
