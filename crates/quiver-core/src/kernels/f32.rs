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
/// simsimd's fused cosine kernel is used for the common case. It reports 0 when
/// both vectors are zero and 1 when their dot product is exactly zero (which
/// includes one zero vector), clamps negative results to 0, and is not finite on
/// `f32` overflow. Whenever it answers exactly 0 or 1, or something not finite,
/// the distance is recomputed in `f64` ([`super::reference::cosine_distance`]),
/// which decides the zero-vector cases exactly. That slow path is one extra pass
/// over two vectors and is taken only for (near-)duplicates, exactly orthogonal
/// or zero vectors, and overflow.
#[inline]
pub fn cosine_distance(a: &[f32], b: &[f32]) -> f64 {
    let (a, b) = common(a, b);
    if a.is_empty() {
        return f64::NAN;
    }
    let d = <f32 as SpatialSimilarity>::cos(a, b).unwrap_or(f64::NAN);
    if d == 0.0 || d == 1.0 || !d.is_finite() {
        return super::reference::cosine_distance(a, b);
    }
    d.min(2.0)
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
