//! Kernels over IEEE half-precision vectors (`half::f16`, pgvector's `halfvec`).
//! Results are `f64`.
//!
//! Every `f16` is exactly representable as an `f32`, so these kernels compute the
//! same quantities as the [`super::f32`] kernels on the widened vectors, with
//! arithmetic in `f32` lanes (as pgvector's `halfvec` code does).
//!
//! # Backend choice
//! simsimd provides `f16` L2, inner product and cosine. Its AVX2+F16C (`haswell`)
//! and NEON kernels widen to `f32` and accumulate in `f32`; its AVX-512-FP16
//! (`sapphire`) and SVE-FP16 kernels, however, accumulate **in half precision**,
//! which loses most significant digits over a few hundred dimensions and overflows
//! past 65504. On CPUs where simsimd would pick one of those ([`uses_simsimd`]
//! is false) every kernel here runs [`widening`] instead: portable kernels that
//! widen each element to `f32` inside an auto-vectorized loop. L1 and the norm
//! always use [`widening`] (simsimd has no L1).
//!
//! # Accuracy
//! Tested (`tests/kernels_prop.rs`) against [`super::reference`] evaluated on the
//! widened `f32` values, with the **same bound as the `f32` kernels**:
//! `|got - exact| <= 1e-5 * S` (`S` = sum of absolute terms) and `1e-5` absolute
//! for the cosine distance. That bound covers the kernels' own rounding only. The
//! difference from a distance computed on the original `f32` vectors before they
//! were rounded to `f16` is dominated by that rounding (relative `2⁻¹¹ ≈ 4.9e-4`
//! per element), so expect about `1e-3` relative there; that is a property of the
//! data type, not of these kernels.
//!
//! # Viewing `half::f16` as `simsimd::f16`
//! Both are `#[repr(transparent)]` newtypes over `u16` holding the IEEE 754
//! binary16 bit pattern, so they have identical size, alignment and validity
//! (every `u16` is a valid value of both), and a slice of one may be
//! reinterpreted as a slice of the other with the same length; see [`as_simsimd`].

use std::sync::OnceLock;

use half::f16;
use simsimd::SpatialSimilarity;

// Compile-time layout checks backing the reinterpretation in `as_simsimd`.
const _: () = {
    assert!(std::mem::size_of::<f16>() == std::mem::size_of::<u16>());
    assert!(std::mem::size_of::<simsimd::f16>() == std::mem::size_of::<u16>());
    assert!(std::mem::align_of::<f16>() == std::mem::align_of::<u16>());
    assert!(std::mem::align_of::<simsimd::f16>() == std::mem::align_of::<u16>());
};

/// Reinterprets a `half::f16` slice as a `simsimd::f16` slice (no copy).
#[inline(always)]
pub fn as_simsimd(a: &[f16]) -> &[simsimd::f16] {
    // SAFETY: `half::f16` and `simsimd::f16` are both `#[repr(transparent)]`
    // wrappers of `u16` (size and alignment checked at compile time above), every
    // bit pattern is valid for both, the pointer comes from a live slice of
    // `a.len()` elements, and the returned slice borrows `a` immutably for the
    // same lifetime, so no aliasing rule changes.
    unsafe { std::slice::from_raw_parts(a.as_ptr().cast::<simsimd::f16>(), a.len()) }
}

/// Whether the `f16` L2 / inner-product / cosine kernels use simsimd on this CPU
/// (false where simsimd's `f16` kernels would accumulate in half precision).
pub fn uses_simsimd() -> bool {
    static USE: OnceLock<bool> = OnceLock::new();
    *USE.get_or_init(|| {
        !(simsimd::capabilities::uses_sapphire() || simsimd::capabilities::uses_sve_f16())
    })
}

#[inline(always)]
fn common<'a>(a: &'a [f16], b: &'a [f16]) -> (&'a [f16], &'a [f16]) {
    debug_assert_eq!(a.len(), b.len(), "vector dimensions differ");
    let n = a.len().min(b.len());
    (&a[..n], &b[..n])
}

/// Squared Euclidean distance `Σ (aᵢ - bᵢ)²`.
#[inline]
pub fn l2_squared(a: &[f16], b: &[f16]) -> f64 {
    let (a, b) = common(a, b);
    if a.is_empty() {
        return 0.0;
    }
    if uses_simsimd() {
        <simsimd::f16 as SpatialSimilarity>::sqeuclidean(as_simsimd(a), as_simsimd(b))
            .unwrap_or(f64::NAN)
    } else {
        widening::l2_squared(a, b)
    }
}

/// Euclidean distance (pgvector `<->`).
#[inline]
pub fn l2(a: &[f16], b: &[f16]) -> f64 {
    l2_squared(a, b).sqrt()
}

/// Inner product `Σ aᵢbᵢ`.
#[inline]
pub fn dot(a: &[f16], b: &[f16]) -> f64 {
    let (a, b) = common(a, b);
    if a.is_empty() {
        return 0.0;
    }
    if uses_simsimd() {
        <simsimd::f16 as SpatialSimilarity>::dot(as_simsimd(a), as_simsimd(b)).unwrap_or(f64::NAN)
    } else {
        widening::dot(a, b)
    }
}

/// Cosine distance, similarity clamped to `[-1, 1]`; NaN if either vector is zero.
/// f16 values cannot overflow or underflow the `f32` accumulation of the widening kernel,
/// so no slow path is needed.
#[inline]
pub fn cosine_distance(a: &[f16], b: &[f16]) -> f64 {
    // Always the widening kernel: simsimd's cosine finishes with an approximate reciprocal
    // square root (see `super::f32::cosine_distance`).
    let (a, b) = common(a, b);
    widening::cosine_distance(a, b)
}

/// Manhattan distance `Σ |aᵢ - bᵢ|` (pgvector `<+>`).
#[inline]
pub fn l1(a: &[f16], b: &[f16]) -> f64 {
    let (a, b) = common(a, b);
    widening::l1(a, b)
}

/// Euclidean norm `|a|` (accumulated in `f64`).
#[inline]
pub fn norm(a: &[f16]) -> f64 {
    widening::norm(a)
}

/// Portable `f16` kernels: each element is widened to `f32` inside the loop
/// (branch-free, so it vectorizes; see [`super::portable::f16_to_f32`]) and the
/// arithmetic is that of the [`super::portable`] `f32` kernels — `f32` lanes,
/// reduced in `f64`. Used where simsimd's `f16` kernels are unsuitable, and
/// always for L1 and the norm. Public so they can be benchmarked and
/// cross-checked on any CPU. They work on the common prefix of their arguments.
pub mod widening {
    use super::super::portable;
    use super::f16;

    /// `Σ (aᵢ - bᵢ)²`.
    #[inline]
    pub fn l2_squared(a: &[f16], b: &[f16]) -> f64 {
        portable::l2_squared_f16(a, b)
    }

    /// `Σ aᵢbᵢ`.
    #[inline]
    pub fn dot(a: &[f16], b: &[f16]) -> f64 {
        portable::dot_f16(a, b)
    }

    /// `Σ |aᵢ - bᵢ|`.
    #[inline]
    pub fn l1(a: &[f16], b: &[f16]) -> f64 {
        portable::l1_f16(a, b)
    }

    /// Cosine distance (pgvector rules: NaN for a zero vector, clamped similarity).
    #[inline]
    pub fn cosine_distance(a: &[f16], b: &[f16]) -> f64 {
        let (ab, aa, bb) = portable::cosine_parts_f16(a, b);
        portable::cosine_from_parts(ab, aa, bb)
    }

    /// `|a|`, accumulated in `f64`.
    #[inline]
    pub fn norm(a: &[f16]) -> f64 {
        portable::sum_squares_f64_f16(a).sqrt()
    }
}
