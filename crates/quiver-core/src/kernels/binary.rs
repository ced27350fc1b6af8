//! Kernels over packed bit strings (pgvector's distances on PostgreSQL `bit(n)`).
//!
//! A bit string is passed as its bytes, most significant bit first as PostgreSQL
//! stores them. PostgreSQL keeps the padding bits of the last byte zero, so whole
//! bytes can be counted without knowing the bit length. Both kernels run
//! simsimd's popcount kernels (AVX-512 VPOPCNTDQ, AVX2, NEON, SVE or serial),
//! whose counters are 64-bit.

use simsimd::BinarySimilarity;

#[inline(always)]
fn common<'a>(a: &'a [u8], b: &'a [u8]) -> (&'a [u8], &'a [u8]) {
    debug_assert_eq!(a.len(), b.len(), "bit string lengths differ");
    let n = a.len().min(b.len());
    (&a[..n], &b[..n])
}

/// Number of differing bits, `popcount(a XOR b)` (pgvector `<~>`).
#[inline]
pub fn hamming(a: &[u8], b: &[u8]) -> u64 {
    let (a, b) = common(a, b);
    if a.is_empty() {
        return 0;
    }
    // simsimd returns the integer count as an f64, exact below 2^53.
    <u8 as BinarySimilarity>::hamming(a, b).map_or(0, |d| d as u64)
}

/// Jaccard distance `1 - |a ∧ b| / |a ∨ b|` (pgvector `<%>`).
///
/// When the two strings have no set bit in common — including when both are all
/// zeros — the distance is `1.0`, as in pgvector (which returns 1 whenever the
/// intersection count is zero, so two empty sets are "maximally distant" rather
/// than NaN). simsimd's kernel computes `1 - (f64)∩ / (f64)∪` with integer
/// counts, and 1 for an empty union, i.e. the same value bit for bit.
#[inline]
pub fn jaccard_distance(a: &[u8], b: &[u8]) -> f64 {
    let (a, b) = common(a, b);
    if a.is_empty() {
        return 1.0;
    }
    <u8 as BinarySimilarity>::jaccard(a, b).unwrap_or(1.0)
}
