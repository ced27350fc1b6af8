//! Distance kernels.
//!
//! Every kernel takes two borrowed vectors and returns the distance as `f64`, the
//! type PostgreSQL's distance operators return. The pgrx layer checks that the two
//! vectors have equal dimensions before calling a kernel; the kernels only
//! `debug_assert!` it and otherwise work on the common prefix (the shorter length),
//! so no kernel panics in a release build, whatever it is handed.
//!
//! | module          | element type            | accelerated by                                  |
//! |-----------------|-------------------------|-------------------------------------------------|
//! | [`f32`]         | `f32` (`vector`)        | simsimd (runtime dispatch), [`portable`] for L1 and norm |
//! | [`f16`]         | `half::f16` (`halfvec`) | simsimd where it accumulates in f32, else [`f16::widening`] |
//! | [`binary`]      | packed bits (`bit`)     | simsimd popcount kernels                        |
//! | [`sparse`]      | index/value pairs (`sparsevec`) | scalar merge-join                       |
//! | [`reference`]   | `f32` widened to `f64`  | none: plain scalar code to check the others    |
//!
//! Semantics follow pgvector: cosine distance is `1 - a·b / (|a| |b|)` with the
//! similarity clamped to `[-1, 1]`, and is NaN when either vector has zero norm;
//! the Jaccard distance of two bit strings with no common set bit is 1.
//!
//! Accuracy: the accelerated dense kernels accumulate in `f32` lanes (as pgvector
//! does) and widen to `f64` at the end; the tested bound is documented in
//! `tests/kernels_prop.rs` and in each module.

pub mod binary;
pub mod f16;
pub mod f32;
pub mod portable;
pub mod reference;
pub mod sparse;

/// The most capable SIMD backend simsimd detected on this CPU at run time, for
/// diagnostics (`"sapphire"`, `"genoa"`, `"ice"`, `"skylake"`, `"haswell"`,
/// `"sve"`, `"neon"`, ... or `"serial"` when none applies).
///
/// Note that simsimd picks a kernel per (metric, element type): on an AVX-512
/// machine without AVX-512 FP16, for example, `f32` kernels run the `skylake`
/// variants while `f16` kernels run the `haswell` (AVX2 + F16C) ones.
pub fn kernel_backend() -> &'static str {
    kernel_capabilities().first().copied().unwrap_or("serial")
}

/// Every simsimd capability level detected on this CPU, most capable first
/// (empty when only the serial fallbacks are usable).
pub fn kernel_capabilities() -> Vec<&'static str> {
    use simsimd::capabilities as c;
    type Probe = (&'static str, fn() -> bool);
    let probes: [Probe; 15] = [
        ("sierra", c::uses_sierra),
        ("turin", c::uses_turin),
        ("sapphire", c::uses_sapphire),
        ("genoa", c::uses_genoa),
        ("ice", c::uses_ice),
        ("skylake", c::uses_skylake),
        ("haswell", c::uses_haswell),
        ("sve_i8", c::uses_sve_i8),
        ("sve_bf16", c::uses_sve_bf16),
        ("sve_f16", c::uses_sve_f16),
        ("sve", c::uses_sve),
        ("neon_i8", c::uses_neon_i8),
        ("neon_bf16", c::uses_neon_bf16),
        ("neon_f16", c::uses_neon_f16),
        ("neon", c::uses_neon),
    ];
    probes
        .iter()
        .filter(|(_, probe)| probe())
        .map(|(name, _)| *name)
        .collect()
}

/// A one-line human-readable description of the kernel configuration, e.g.
/// `"simsimd genoa (genoa, ice, skylake, haswell); f16 via simsimd"`.
pub fn kernel_description() -> String {
    let caps = kernel_capabilities();
    format!(
        "simsimd {} ({}); f16 via {}",
        kernel_backend(),
        if caps.is_empty() {
            "serial".to_string()
        } else {
            caps.join(", ")
        },
        if f16::uses_simsimd() {
            "simsimd"
        } else {
            "portable widening"
        },
    )
}
