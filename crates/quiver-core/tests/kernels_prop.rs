//! Property tests of the distance kernels against the scalar `f64` references.
//!
//! # Error bound
//! For a kernel result `got` and the `f64` reference `exact` (whose own error is
//! ~1e-12 relative and negligible here) we require
//!
//! ```text
//! |got - exact| <= 1e-5 * max(|exact|, S)     (+ a tiny absolute slack for 0)
//! ```
//!
//! where `S` is the sum of the absolute values of the terms being summed:
//! `Σ|aᵢbᵢ|` for the inner product, which can cancel to (near) zero so that no
//! relative bound on the result itself is achievable by a floating-point sum;
//! for squared L2 and L1 all terms are non-negative, so `S = exact` and the bound
//! is a plain 1e-5 relative bound. The cosine distance lies in `[0, 2]` and its
//! similarity is `a·b / (|a||b|)` with `|a||b| >= Σ|aᵢbᵢ|`, so the same analysis
//! gives an absolute bound of 1e-5. The `f16` kernels are held to the same bound
//! against the reference on the widened (exactly representable) `f32` values.
//!
//! Vectors are generated from a proptest-chosen seed by a small local PRNG, so
//! shrinking works on (dimension, seed, scale) and 16000-dimensional cases stay
//! cheap in debug builds.

use half::f16;
use proptest::prelude::*;
use quiver_core::kernels::{self, binary, reference, sparse};
use quiver_core::kernels::{f16 as kf16, f32 as kf32};

const REL: f64 = 1e-5;

/// splitmix64.
struct Rng(u64);
impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    fn unit(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
    /// Mostly uniform values, ~5% exact zeros.
    fn vector(&mut self, dim: usize, scale: f32) -> Vec<f32> {
        (0..dim)
            .map(|_| {
                if self.next_u64().is_multiple_of(20) {
                    0.0
                } else {
                    self.unit() * scale
                }
            })
            .collect()
    }
}

fn dims() -> impl Strategy<Value = usize> {
    prop_oneof![
        6 => 1usize..2000,
        1 => Just(384usize),
        1 => Just(1536usize),
        1 => Just(3072usize),
        1 => Just(16000usize),
    ]
}

/// Powers of ten from 1e-3 to 1e3.
fn scales() -> impl Strategy<Value = f32> {
    (-3i32..=3).prop_map(|e| 10f32.powi(e))
}

fn check(what: &str, got: f64, exact: f64, scale: f64) -> Result<(), TestCaseError> {
    let tol = REL * exact.abs().max(scale) + 1e-30;
    prop_assert!(
        (got - exact).abs() <= tol,
        "{what}: got {got:e}, exact {exact:e}, |diff| {:e} > tol {tol:e}",
        (got - exact).abs()
    );
    Ok(())
}

fn check_cos(what: &str, got: f64, exact: f64) -> Result<(), TestCaseError> {
    prop_assert!(
        !got.is_nan() && !exact.is_nan(),
        "{what}: unexpected NaN ({got}, {exact})"
    );
    prop_assert!((0.0..=2.0).contains(&got), "{what}: {got} outside [0, 2]");
    prop_assert!(
        (got - exact).abs() <= REL,
        "{what}: got {got}, exact {exact}"
    );
    Ok(())
}

fn to_f16(v: &[f32]) -> Vec<f16> {
    v.iter().map(|&x| f16::from_f32(x)).collect()
}
fn widen(v: &[f16]) -> Vec<f32> {
    v.iter().map(|x| x.to_f32()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn f32_kernels_match_reference(dim in dims(), seed in any::<u64>(), s in scales()) {
        let mut rng = Rng(seed);
        let a = rng.vector(dim, s);
        let b = rng.vector(dim, s);
        let l2sq = reference::l2_squared(&a, &b);
        check("l2_squared", kf32::l2_squared(&a, &b), l2sq, l2sq)?;
        check("l2", kf32::l2(&a, &b), l2sq.sqrt(), l2sq.sqrt())?;
        check("dot", kf32::dot(&a, &b), reference::dot(&a, &b), reference::dot_abs_scale(&a, &b))?;
        let l1 = reference::l1(&a, &b);
        check("l1", kf32::l1(&a, &b), l1, l1)?;
        let n = reference::norm(&a);
        check("norm", kf32::norm(&a), n, n)?;
        if a.iter().any(|&x| x != 0.0) && b.iter().any(|&x| x != 0.0) {
            check_cos("cosine", kf32::cosine_distance(&a, &b), reference::cosine_distance(&a, &b))?;
            check_cos("portable cosine", kernels::portable::cosine_distance(&a, &b),
                reference::cosine_distance(&a, &b))?;
        }
        // Portable kernels (the f16 building blocks) on their own.
        check("portable l2_squared", kernels::portable::l2_squared(&a, &b), l2sq, l2sq)?;
        check("portable dot", kernels::portable::dot(&a, &b), reference::dot(&a, &b),
            reference::dot_abs_scale(&a, &b))?;
    }

    #[test]
    fn f32_cosine_of_near_duplicates(dim in dims(), seed in any::<u64>(), s in scales()) {
        // Near-identical and opposite vectors drive the similarity to ±1, where
        // simsimd's clamping and the slow path matter.
        let mut rng = Rng(seed);
        let a = rng.vector(dim, s);
        prop_assume!(a.iter().any(|&x| x != 0.0));
        let b: Vec<f32> = a.iter().map(|&x| x * (1.0 + 1e-6 * rng.unit())).collect();
        let neg: Vec<f32> = a.iter().map(|&x| -x).collect();
        check_cos("same", kf32::cosine_distance(&a, &a), 0.0)?;
        check_cos("near", kf32::cosine_distance(&a, &b), reference::cosine_distance(&a, &b))?;
        check_cos("opposite", kf32::cosine_distance(&a, &neg), 2.0)?;
        let (ha, hn) = (to_f16(&a), to_f16(&neg));
        if ha.iter().any(|x| x.to_f32() != 0.0) {
            check_cos("f16 same", kf16::cosine_distance(&ha, &ha), 0.0)?;
            check_cos("f16 opposite", kf16::cosine_distance(&ha, &hn), 2.0)?;
        }
    }

    #[test]
    fn f16_kernels_match_widened_reference(dim in dims(), seed in any::<u64>(), e in -2i32..=2) {
        let mut rng = Rng(seed);
        let s = 4f32.powi(e);
        let a = to_f16(&rng.vector(dim, s));
        let b = to_f16(&rng.vector(dim, s));
        let (wa, wb) = (widen(&a), widen(&b));
        let l2sq = reference::l2_squared(&wa, &wb);
        let dot = reference::dot(&wa, &wb);
        let dot_scale = reference::dot_abs_scale(&wa, &wb);
        let l1 = reference::l1(&wa, &wb);
        let n = reference::norm(&wa);
        check("f16 l2_squared", kf16::l2_squared(&a, &b), l2sq, l2sq)?;
        check("f16 l2", kf16::l2(&a, &b), l2sq.sqrt(), l2sq.sqrt())?;
        check("f16 dot", kf16::dot(&a, &b), dot, dot_scale)?;
        check("f16 l1", kf16::l1(&a, &b), l1, l1)?;
        check("f16 norm", kf16::norm(&a), n, n)?;
        // The widening fallback, whichever path this CPU uses by default.
        check("widening l2_squared", kf16::widening::l2_squared(&a, &b), l2sq, l2sq)?;
        check("widening dot", kf16::widening::dot(&a, &b), dot, dot_scale)?;
        if wa.iter().any(|&x| x != 0.0) && wb.iter().any(|&x| x != 0.0) {
            let c = reference::cosine_distance(&wa, &wb);
            check_cos("f16 cosine", kf16::cosine_distance(&a, &b), c)?;
            check_cos("widening cosine", kf16::widening::cosine_distance(&a, &b), c)?;
        }
    }

    #[test]
    fn sparse_kernels_match_dense_reference(
        dim in prop_oneof![1usize..2000, Just(16000usize)],
        seed in any::<u64>(),
        density_a in 0u64..=100,
        density_b in 0u64..=100,
        s in scales(),
    ) {
        let mut rng = Rng(seed);
        let mut make = |density: u64| {
            let (mut idx, mut val, mut dense) = (Vec::new(), Vec::new(), vec![0f32; dim]);
            for (i, slot) in dense.iter_mut().enumerate() {
                if rng.next_u64() % 100 < density {
                    let v = rng.unit() * s;
                    if v != 0.0 {
                        idx.push(i as i32);
                        val.push(v);
                        *slot = v;
                    }
                }
            }
            (idx, val, dense)
        };
        let (ai, av, ad) = make(density_a);
        let (bi, bv, bd) = make(density_b);
        let l2sq = reference::l2_squared(&ad, &bd);
        check("sparse l2_squared", sparse::l2_squared(&ai, &av, &bi, &bv), l2sq, l2sq)?;
        check("sparse l2", sparse::l2(&ai, &av, &bi, &bv), l2sq.sqrt(), l2sq.sqrt())?;
        check("sparse dot", sparse::dot(&ai, &av, &bi, &bv), reference::dot(&ad, &bd),
            reference::dot_abs_scale(&ad, &bd))?;
        let l1 = reference::l1(&ad, &bd);
        check("sparse l1", sparse::l1(&ai, &av, &bi, &bv), l1, l1)?;
        let n = reference::norm(&ad);
        check("sparse norm", sparse::norm(&av), n, n)?;
        let c = sparse::cosine_distance(&ai, &av, &bi, &bv);
        if av.is_empty() || bv.is_empty() {
            prop_assert!(c.is_nan());
        } else {
            check_cos("sparse cosine", c, reference::cosine_distance(&ad, &bd))?;
        }
    }

    #[test]
    fn binary_kernels_match_bit_counts(
        bytes in prop_oneof![0usize..300, Just(2000usize)],
        seed in any::<u64>(),
        density in 0u64..=100,
    ) {
        let mut rng = Rng(seed);
        let mut make = || -> Vec<u8> {
            (0..bytes).map(|_| {
                let mut byte = 0u8;
                for bit in 0..8 {
                    if rng.next_u64() % 100 < density { byte |= 1 << bit; }
                }
                byte
            }).collect()
        };
        let (a, b) = (make(), make());
        let (mut diff, mut inter, mut union) = (0u64, 0u64, 0u64);
        for i in 0..bytes * 8 {
            let x = a[i / 8] >> (7 - i % 8) & 1;
            let y = b[i / 8] >> (7 - i % 8) & 1;
            diff += (x ^ y) as u64;
            inter += (x & y) as u64;
            union += (x | y) as u64;
        }
        prop_assert_eq!(binary::hamming(&a, &b), diff);
        let expected = if inter == 0 { 1.0 } else { 1.0 - inter as f64 / union as f64 };
        let got = binary::jaccard_distance(&a, &b);
        prop_assert!((got - expected).abs() <= 1e-15, "jaccard {got} vs {expected}");
        prop_assert_eq!(binary::hamming(&a, &a), 0);
    }
}

#[test]
fn fixed_dimensions_are_exercised() {
    // Deterministic pass over the large fixed sizes, independent of proptest's draw.
    for &dim in &[384usize, 1536, 3072, 16000] {
        let mut rng = Rng(dim as u64);
        let a = rng.vector(dim, 1.0);
        let b = rng.vector(dim, 1.0);
        let l2sq = reference::l2_squared(&a, &b);
        check("l2_squared", kf32::l2_squared(&a, &b), l2sq, l2sq).unwrap();
        check(
            "dot",
            kf32::dot(&a, &b),
            reference::dot(&a, &b),
            reference::dot_abs_scale(&a, &b),
        )
        .unwrap();
        check_cos(
            "cosine",
            kf32::cosine_distance(&a, &b),
            reference::cosine_distance(&a, &b),
        )
        .unwrap();
        let (ha, hb) = (to_f16(&a), to_f16(&b));
        let (wa, wb) = (widen(&ha), widen(&hb));
        let l2sq = reference::l2_squared(&wa, &wb);
        check("f16 l2_squared", kf16::l2_squared(&ha, &hb), l2sq, l2sq).unwrap();
        check(
            "f16 dot",
            kf16::dot(&ha, &hb),
            reference::dot(&wa, &wb),
            reference::dot_abs_scale(&wa, &wb),
        )
        .unwrap();
    }
}

#[test]
fn cosine_of_zero_vectors_is_nan() {
    let z = vec![0f32; 100];
    let mut rng = Rng(7);
    let v = rng.vector(100, 1.0);
    assert!(kf32::cosine_distance(&z, &v).is_nan());
    assert!(kf32::cosine_distance(&v, &z).is_nan());
    assert!(kf32::cosine_distance(&z, &z).is_nan());
    assert!(kernels::portable::cosine_distance(&z, &v).is_nan());
    assert!(reference::cosine_distance(&z, &z).is_nan());
    let (hz, hv) = (to_f16(&z), to_f16(&v));
    assert!(kf16::cosine_distance(&hz, &hv).is_nan());
    assert!(kf16::cosine_distance(&hv, &hz).is_nan());
    assert!(kf16::cosine_distance(&hz, &hz).is_nan());
    assert!(kf16::widening::cosine_distance(&hz, &hv).is_nan());
    assert!(sparse::cosine_distance(&[], &[], &[1, 5], &[1.0, 2.0]).is_nan());
    assert!(sparse::cosine_distance(&[3], &[0.0], &[1, 5], &[1.0, 2.0]).is_nan());
    assert!(sparse::cosine_distance(&[], &[], &[], &[]).is_nan());
}

#[test]
fn cosine_edge_cases() {
    // Exactly orthogonal non-zero vectors: simsimd reports exactly 1, the slow path confirms.
    assert_eq!(kf32::cosine_distance(&[1.0, 0.0], &[0.0, 3.0]), 1.0);
    // Tiny but non-zero vectors whose f32 squares underflow: not NaN.
    let tiny = vec![1e-30f32; 64];
    let d = kf32::cosine_distance(&tiny, &tiny);
    assert!(d.abs() < 1e-12, "{d}");
    // Huge values whose f32 squares overflow: computed in f64 instead.
    let big = vec![1e30f32; 64];
    let mut other = big.clone();
    other[0] = -1e30;
    let d = kf32::cosine_distance(&big, &other);
    assert!(
        (d - reference::cosine_distance(&big, &other)).abs() < 1e-12,
        "{d}"
    );
    // Results stay within [0, 2].
    let a = [1.0f32, 2.0, 3.0];
    let b = [-1.0f32, -2.0, -3.0];
    assert!((kf32::cosine_distance(&a, &b) - 2.0).abs() < 1e-7);
    assert!(kf32::cosine_distance(&a, &b) <= 2.0);
    assert!(kf32::cosine_distance(&a, &a) >= 0.0);
}

#[test]
fn jaccard_of_disjoint_or_empty_sets_is_one() {
    assert_eq!(binary::jaccard_distance(&[0, 0, 0], &[0, 0, 0]), 1.0);
    assert_eq!(
        binary::jaccard_distance(&[0b1010_0000], &[0b0101_0000]),
        1.0
    );
    assert_eq!(binary::jaccard_distance(&[0xff; 9], &[0xff; 9]), 0.0);
    assert_eq!(
        binary::jaccard_distance(&[0b1100_0000], &[0b1000_0000]),
        0.5
    );
    assert_eq!(binary::hamming(&[0b1100_0000, 1], &[0b1000_0000, 0]), 2);
}

#[test]
fn empty_inputs_do_not_panic() {
    let (e32, e16): (&[f32], &[f16]) = (&[], &[]);
    assert_eq!(kf32::l2_squared(e32, e32), 0.0);
    assert_eq!(kf32::l2(e32, e32), 0.0);
    assert_eq!(kf32::dot(e32, e32), 0.0);
    assert_eq!(kf32::l1(e32, e32), 0.0);
    assert_eq!(kf32::norm(e32), 0.0);
    assert!(kf32::cosine_distance(e32, e32).is_nan());
    assert_eq!(kf16::l2_squared(e16, e16), 0.0);
    assert_eq!(kf16::l2(e16, e16), 0.0);
    assert_eq!(kf16::dot(e16, e16), 0.0);
    assert_eq!(kf16::l1(e16, e16), 0.0);
    assert_eq!(kf16::norm(e16), 0.0);
    assert!(kf16::cosine_distance(e16, e16).is_nan());
    assert_eq!(binary::hamming(&[], &[]), 0);
    assert_eq!(binary::jaccard_distance(&[], &[]), 1.0);
    assert_eq!(sparse::l2_squared(&[], &[], &[], &[]), 0.0);
    assert_eq!(sparse::dot(&[], &[], &[], &[]), 0.0);
    assert_eq!(sparse::l1(&[], &[], &[], &[]), 0.0);
    assert_eq!(sparse::norm(&[]), 0.0);
    assert_eq!(reference::l2_squared(&[], &[]), 0.0);
    // Zero results are +0, never -0 (which PostgreSQL prints as "-0"); the sign of a
    // norm or distance of empty / all-zero input must be positive.
    for (name, x) in [
        ("sparse norm", sparse::norm(&[])),
        ("sparse l2", sparse::l2(&[], &[], &[], &[])),
        ("sparse l2_squared", sparse::l2_squared(&[], &[], &[], &[])),
        ("sparse l1", sparse::l1(&[], &[], &[], &[])),
        ("sparse dot", sparse::dot(&[], &[], &[], &[])),
        ("f32 norm of zeros", kf32::norm(&[0.0, -0.0])),
        ("f32 l2 of zeros", kf32::l2(&[-0.0], &[0.0])),
        ("f32 l1 of zeros", kf32::l1(&[-0.0], &[0.0])),
        ("f16 norm of zeros", kf16::norm(&[half::f16::from_f32(-0.0)])),
        ("f32 norm of empty", kf32::norm(e32)),
        ("f16 norm of empty", kf16::norm(e16)),
    ] {
        assert!(x == 0.0 && x.is_sign_positive(), "{name}: {x:?}");
    }
}

#[test]
fn small_known_values() {
    let a = [1.0f32, 2.0, 3.0];
    let b = [4.0f32, 5.0, 6.0];
    assert_eq!(kf32::l2_squared(&a, &b), 27.0);
    assert_eq!(kf32::dot(&a, &b), 32.0);
    assert_eq!(kf32::l1(&a, &b), 9.0);
    assert!((kf32::norm(&[3.0, 4.0]) - 5.0).abs() < 1e-15);
    let expected = 1.0 - 32.0 / (14f64.sqrt() * 77f64.sqrt());
    assert!((kf32::cosine_distance(&a, &b) - expected).abs() < 1e-7);
    let (ha, hb) = (to_f16(&a), to_f16(&b));
    assert_eq!(kf16::l2_squared(&ha, &hb), 27.0);
    assert_eq!(kf16::dot(&ha, &hb), 32.0);
    assert_eq!(kf16::l1(&ha, &hb), 9.0);
    // Sparse: a = {0: 1, 2: 3}, b = {1: 5, 2: 6}
    let (ai, av, bi, bv) = ([0, 2], [1.0f32, 3.0], [1, 2], [5.0f32, 6.0]);
    assert_eq!(sparse::dot(&ai, &av, &bi, &bv), 18.0);
    assert_eq!(sparse::l2_squared(&ai, &av, &bi, &bv), 1.0 + 25.0 + 9.0);
    assert_eq!(sparse::l1(&ai, &av, &bi, &bv), 1.0 + 5.0 + 3.0);
}

/// Mismatched lengths are a caller bug (debug-asserted); in release builds the
/// kernels must still not panic and use the common prefix.
#[cfg(not(debug_assertions))]
#[test]
fn mismatched_lengths_use_common_prefix_in_release() {
    let a = [1.0f32, 2.0, 3.0];
    let b = [1.0f32, 2.0];
    assert_eq!(kf32::l2_squared(&a, &b), 0.0);
    assert_eq!(kf32::dot(&a, &b), 5.0);
    assert_eq!(binary::hamming(&[1, 2, 3], &[1]), 0);
    assert_eq!(sparse::dot(&[0, 1], &[1.0], &[0], &[2.0, 7.0]), 2.0);
}

#[test]
fn backend_is_reported() {
    let backend = kernels::kernel_backend();
    assert!(!backend.is_empty());
    assert!(kernels::kernel_description().contains(backend));
}
