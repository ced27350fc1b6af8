//! Portable dense `f32` kernels written as plain Rust that LLVM auto-vectorizes.
//!
//! They cover what simsimd does not provide (L1, a norm accumulated in `f64`, a
//! fused cosine that also returns both squared norms) and, instantiated for
//! `half::f16` elements (the `*_f16` functions, which widen each element to
//! `f32` with [`f16_to_f32`] inside the loop), are [`super::f16::widening`].
//!
//! Each kernel keeps [`LANES`] independent `f32` partial sums (so the compiler may
//! keep them in vector registers without reassociating a single serial sum, which
//! it is not allowed to do), adds the tail separately, and reduces the lanes in
//! `f64`. The body is compiled three times — AVX-512, AVX2+FMA and the baseline
//! target — and the best version for the running CPU is chosen at run time.
//! The arithmetic (and so the rounding) is identical in all three: Rust never
//! contracts `a * b + c` into a fused multiply-add on its own.
//!
//! All functions work on the common prefix of their two arguments.

/// Number of independent `f32` partial sums: two 512-bit registers, four 256-bit.
pub const LANES: usize = 32;

/// Declares `pub fn $name` dispatching at run time to a copy of `$body` compiled
/// for AVX-512, AVX2+FMA or the baseline target.
macro_rules! multiversion {
    ($(#[$meta:meta])* pub fn $name:ident($($arg:ident : $ty:ty),*) -> $ret:ty => $body:path;) => {
        $(#[$meta])*
        #[inline]
        pub fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
                unsafe fn v4($($arg: $ty),*) -> $ret {
                    $body($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn v3($($arg: $ty),*) -> $ret {
                    $body($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512vl")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512dq")
                {
                    // SAFETY: the CPU supports every feature `v4` is compiled for.
                    return unsafe { v4($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: the CPU supports every feature `v3` is compiled for.
                    return unsafe { v3($($arg),*) };
                }
            }
            $body($($arg),*)
        }
    };
}

/// Splits both slices to their common length.
#[inline(always)]
fn common<'a, T>(a: &'a [T], b: &'a [T]) -> (&'a [T], &'a [T]) {
    let n = a.len().min(b.len());
    (&a[..n], &b[..n])
}

/// An element type the portable kernels accept, widened to `f32` exactly.
pub trait Widen: Copy {
    fn widen(self) -> f32;
}

impl Widen for f32 {
    #[inline(always)]
    fn widen(self) -> f32 {
        self
    }
}

impl Widen for half::f16 {
    #[inline(always)]
    fn widen(self) -> f32 {
        f16_to_f32(self.to_bits())
    }
}

/// Exact IEEE binary16 → binary32 conversion of a bit pattern, written without
/// branches or table look-ups so that loops calling it auto-vectorize (a scalar
/// `half::f16::to_f32` call per element does not). Normal numbers are re-biased
/// with an integer add, subnormals converted through an integer-to-float
/// conversion (so no subnormal `f32` arithmetic, which can be slow, is needed),
/// infinities and NaNs get the all-ones exponent (a NaN stays a NaN of the same
/// sign; its payload is shifted, not quieted).
#[inline(always)]
pub fn f16_to_f32(h: u16) -> f32 {
    let h = h as u32;
    let sign = (h & 0x8000) << 16;
    let em = h & 0x7fff; // exponent and mantissa
                         // Normal: exponent bias 15 -> 127, i.e. add 112 to the exponent field.
    let normal = (em + (112 << 10)) << 13;
    // Subnormal (exponent 0, includes zero): mantissa * 2^-24, exact in f32.
    let subnormal = ((em as i32) as f32 * f32::from_bits(0x3380_0000)).to_bits();
    // Infinity / NaN.
    let special = 0x7f80_0000 | ((em & 0x03ff) << 13);
    let magnitude = if em < 0x0400 {
        subnormal
    } else if em >= 0x7c00 {
        special
    } else {
        normal
    };
    f32::from_bits(sign | magnitude)
}

#[inline(always)]
fn lanes_sum(acc: &[f32; LANES]) -> f64 {
    acc.iter().map(|&x| x as f64).sum()
}

#[inline(always)]
fn dot_body<T: Widen>(a: &[T], b: &[T]) -> f64 {
    let (a, b) = common(a, b);
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    let mut acc = [0f32; LANES];
    for (x, y) in ca.zip(cb) {
        for i in 0..LANES {
            acc[i] += x[i].widen() * y[i].widen();
        }
    }
    let mut tail = 0f32;
    for (x, y) in ra.iter().zip(rb) {
        tail += x.widen() * y.widen();
    }
    lanes_sum(&acc) + tail as f64
}

#[inline(always)]
fn l2_squared_body<T: Widen>(a: &[T], b: &[T]) -> f64 {
    let (a, b) = common(a, b);
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    let mut acc = [0f32; LANES];
    for (x, y) in ca.zip(cb) {
        for i in 0..LANES {
            let d = x[i].widen() - y[i].widen();
            acc[i] += d * d;
        }
    }
    let mut tail = 0f32;
    for (x, y) in ra.iter().zip(rb) {
        let d = x.widen() - y.widen();
        tail += d * d;
    }
    lanes_sum(&acc) + tail as f64
}

#[inline(always)]
fn l1_body<T: Widen>(a: &[T], b: &[T]) -> f64 {
    let (a, b) = common(a, b);
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    let mut acc = [0f32; LANES];
    for (x, y) in ca.zip(cb) {
        for i in 0..LANES {
            acc[i] += (x[i].widen() - y[i].widen()).abs();
        }
    }
    let mut tail = 0f32;
    for (x, y) in ra.iter().zip(rb) {
        tail += (x.widen() - y.widen()).abs();
    }
    lanes_sum(&acc) + tail as f64
}

/// Returns `(a·b, |a|², |b|²)`.
#[inline(always)]
fn cosine_parts_body<T: Widen>(a: &[T], b: &[T]) -> (f64, f64, f64) {
    let (a, b) = common(a, b);
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    let mut ab = [0f32; LANES];
    let mut aa = [0f32; LANES];
    let mut bb = [0f32; LANES];
    for (x, y) in ca.zip(cb) {
        for i in 0..LANES {
            let (p, q) = (x[i].widen(), y[i].widen());
            ab[i] += p * q;
            aa[i] += p * p;
            bb[i] += q * q;
        }
    }
    let (mut tab, mut taa, mut tbb) = (0f32, 0f32, 0f32);
    for (x, y) in ra.iter().zip(rb) {
        let (p, q) = (x.widen(), y.widen());
        tab += p * q;
        taa += p * p;
        tbb += q * q;
    }
    (
        lanes_sum(&ab) + tab as f64,
        lanes_sum(&aa) + taa as f64,
        lanes_sum(&bb) + tbb as f64,
    )
}

/// Sum of squares accumulated in `f64` (as pgvector's `vector_norm` does).
#[inline(always)]
fn sum_squares_f64_body<T: Widen>(a: &[T]) -> f64 {
    const L: usize = 16;
    let c = a.chunks_exact(L);
    let r = c.remainder();
    let mut acc = [0f64; L];
    for x in c {
        for i in 0..L {
            let v = x[i].widen() as f64;
            acc[i] += v * v;
        }
    }
    let mut tail = 0f64;
    for &x in r {
        let v = x.widen() as f64;
        tail += v * v;
    }
    acc.iter().sum::<f64>() + tail
}

multiversion! {
    /// Inner product `Σ aᵢbᵢ`.
    pub fn dot(a: &[f32], b: &[f32]) -> f64 => dot_body::<f32>;
}
multiversion! {
    /// Squared Euclidean distance `Σ (aᵢ - bᵢ)²`.
    pub fn l2_squared(a: &[f32], b: &[f32]) -> f64 => l2_squared_body::<f32>;
}
multiversion! {
    /// Manhattan (taxicab) distance `Σ |aᵢ - bᵢ|`.
    pub fn l1(a: &[f32], b: &[f32]) -> f64 => l1_body::<f32>;
}
multiversion! {
    /// `(a·b, |a|², |b|²)` in one pass.
    pub fn cosine_parts(a: &[f32], b: &[f32]) -> (f64, f64, f64) => cosine_parts_body::<f32>;
}
multiversion! {
    /// `|a|²`, accumulated in `f64`.
    pub fn sum_squares_f64(a: &[f32]) -> f64 => sum_squares_f64_body::<f32>;
}
multiversion! {
    /// [`dot`] over `f16` elements widened to `f32`.
    pub fn dot_f16(a: &[half::f16], b: &[half::f16]) -> f64 => dot_body::<half::f16>;
}
multiversion! {
    /// [`l2_squared`] over `f16` elements widened to `f32`.
    pub fn l2_squared_f16(a: &[half::f16], b: &[half::f16]) -> f64 => l2_squared_body::<half::f16>;
}
multiversion! {
    /// [`l1`] over `f16` elements widened to `f32`.
    pub fn l1_f16(a: &[half::f16], b: &[half::f16]) -> f64 => l1_body::<half::f16>;
}
multiversion! {
    /// [`cosine_parts`] over `f16` elements widened to `f32`.
    pub fn cosine_parts_f16(a: &[half::f16], b: &[half::f16]) -> (f64, f64, f64)
        => cosine_parts_body::<half::f16>;
}
multiversion! {
    /// [`sum_squares_f64`] over `f16` elements.
    pub fn sum_squares_f64_f16(a: &[half::f16]) -> f64 => sum_squares_f64_body::<half::f16>;
}

/// Cosine distance from its parts, with pgvector's rules: NaN when either
/// squared norm is zero (or any part is NaN), similarity clamped to `[-1, 1]`.
#[inline]
pub fn cosine_from_parts(ab: f64, aa: f64, bb: f64) -> f64 {
    if aa == 0.0 || bb == 0.0 {
        return f64::NAN;
    }
    // sqrt(aa * bb) is correctly rounded once (so parallel vectors give exactly 0); fall
    // back to sqrt(aa) * sqrt(bb) only if the product overflows.
    let prod = aa * bb;
    let denom = if prod.is_finite() { prod.sqrt() } else { aa.sqrt() * bb.sqrt() };
    let similarity = ab / denom;
    if similarity.is_nan() {
        return f64::NAN;
    }
    1.0 - similarity.clamp(-1.0, 1.0)
}

/// Cosine distance in one fused pass (see [`cosine_from_parts`]).
#[inline]
pub fn cosine_distance(a: &[f32], b: &[f32]) -> f64 {
    let (ab, aa, bb) = cosine_parts(a, b);
    cosine_from_parts(ab, aa, bb)
}

/// Euclidean norm `|a|`, accumulated in `f64`.
#[inline]
pub fn norm(a: &[f32]) -> f64 {
    sum_squares_f64(a).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_to_f32_is_exact_for_every_bit_pattern() {
        for bits in 0..=u16::MAX {
            let want = half::f16::from_bits(bits).to_f32();
            let got = f16_to_f32(bits);
            if want.is_nan() {
                assert!(got.is_nan(), "{bits:#06x}");
                assert_eq!(
                    got.is_sign_negative(),
                    want.is_sign_negative(),
                    "{bits:#06x}"
                );
            } else {
                assert_eq!(got.to_bits(), want.to_bits(), "{bits:#06x}");
            }
        }
    }

    #[test]
    fn dispatch_levels_agree_with_baseline() {
        // The multiversioned entry points and the baseline bodies do the same
        // arithmetic in the same order, so results are bit-identical.
        let a: Vec<f32> = (0..1000)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0)
            .collect();
        let b: Vec<f32> = (0..1000)
            .map(|i| ((i * 53 % 97) as f32 - 48.0) / 5.0)
            .collect();
        assert_eq!(dot(&a, &b).to_bits(), dot_body::<f32>(&a, &b).to_bits());
        assert_eq!(
            l2_squared(&a, &b).to_bits(),
            l2_squared_body::<f32>(&a, &b).to_bits()
        );
        assert_eq!(l1(&a, &b).to_bits(), l1_body::<f32>(&a, &b).to_bits());
        let h: Vec<half::f16> = a.iter().map(|&x| half::f16::from_f32(x)).collect();
        let w: Vec<f32> = h.iter().map(|x| x.to_f32()).collect();
        assert_eq!(
            sum_squares_f64_f16(&h).to_bits(),
            sum_squares_f64(&w).to_bits()
        );
        assert_eq!(dot_f16(&h, &h).to_bits(), dot(&w, &w).to_bits());
    }
}
