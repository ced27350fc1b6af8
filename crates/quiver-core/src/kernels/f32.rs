//! Kernels over `f32` vectors (pgvector's `vector`).
//!
//! L2, inner product and cosine run simsimd's runtime-dispatched kernels
//! (AVX-512 / AVX2 / NEON / SVE / serial), which accumulate in `f32` lanes and
//! reduce to `f64`, like pgvector's own `float` accumulators. L1 and the norm are
//! [`super::portable`] kernels (simsimd has no L1; the norm is accumulated in
//! `f64` as pgvector's `vector_norm` does).
//!
//! Accuracy (tested in `tests/kernels_prop.rs` against [`super::reference`]):
//! `|got - exact| <= 1e-5 * S` where `S` is the sum of the absolute values of the
//! summed terms (`Σ|aᵢbᵢ|` for the inner product, the result itself for the
//! squared L2 and L1 distances, whose terms are all non-negative); the cosine
//! distance is within `1e-5` absolute (its similarity is a dot product divided by
//! `|a||b| >= Σ|aᵢbᵢ|`).
//!
//! Lengths: callers pass equal lengths (debug-asserted); otherwise the common
//! prefix is used. Empty vectors give 0 (cosine: NaN, as for any zero vector).

use simsimd::SpatialSimilarity;

use super::portable;

#[inline(always)]
fn common<'a>(a: &'a [f32], b: &'a [f32]) -> (&'a [f32], &'a [f32]) {
    debug_assert_eq!(a.len(), b.len(), "vector dimensions differ");
    let n = a.len().min(b.len());
    (&a[..n], &b[..n])
}

/// Squared Euclidean distance `Σ (aᵢ - bᵢ)²`.
#[inline]
pub fn l2_squared(a: &[f32], b: &[f32]) -> f64 {
    let (a, b) = common(a, b);
    if a.is_empty() {
        return 0.0;
    }
    // Lengths are equal, so simsimd returns `Some`.
    <f32 as SpatialSimilarity>::sqeuclidean(a, b).unwrap_or(f64::NAN)
}

/// Euclidean distance `sqrt(Σ (aᵢ - bᵢ)²)` (pgvector `<->`).
#[inline]
pub fn l2(a: &[f32], b: &[f32]) -> f64 {
    l2_squared(a, b).sqrt()
}

/// Inner product `Σ aᵢbᵢ` (pgvector's `<#>` is its negation).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f64 {
    let (a, b) = common(a, b);
    if a.is_empty() {
        return 0.0;
    }
    <f32 as SpatialSimilarity>::dot(a, b).unwrap_or(f64::NAN)
}

/// Cosine distance `1 - a·b / (|a| |b|)` (pgvector `<=>`), the similarity clamped
/// to `[-1, 1]` so the result lies in `[0, 2]`; NaN if either vector is zero.
///
/// Computed in one pass (dot product and both squared norms, [`portable::cosine_parts`])
/// and finished in `f64`, so parallel vectors give exactly 0. simsimd's fused cosine is not
/// used: it ends with an approximate reciprocal square root (errors near 1e-8) and reports 0
/// or 1 instead of NaN for zero vectors. When a squared norm underflows to zero or a part
/// overflows in `f32`, the distance is recomputed in `f64` ([`super::reference`]), so only
/// true zero vectors give NaN.
#[inline]
pub fn cosine_distance(a: &[f32], b: &[f32]) -> f64 {
    let (a, b) = common(a, b);
    let (ab, aa, bb) = portable::cosine_parts(a, b);
    if aa == 0.0 || bb == 0.0 || !(ab.is_finite() && aa.is_finite() && bb.is_finite()) {
        return super::reference::cosine_distance(a, b);
    }
    portable::cosine_from_parts(ab, aa, bb)
}

/// Manhattan distance `Σ |aᵢ - bᵢ|` (pgvector `<+>`).
#[inline]
pub fn l1(a: &[f32], b: &[f32]) -> f64 {
    let (a, b) = common(a, b);
    portable::l1(a, b)
}

/// Euclidean norm `|a|` (pgvector `vector_norm`), accumulated in `f64`.
#[inline]
pub fn norm(a: &[f32]) -> f64 {
    portable::norm(a)
}
