//! Property tests for the text parsers, the wire decoders and float formatting.

use proptest::prelude::*;
use quiver_core::floatfmt::format_float4;
use quiver_core::text::*;
use quiver_core::wire::*;
use quiver_core::{f16, SparseVec};

/// `cases` by default; `PROPTEST_CASES=n` scales every block to `n` for longer runs.
fn cfg(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// Any finite f32, with subnormals, zeros of both signs and extremes well represented.
fn finite_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        4 => any::<u32>().prop_map(f32::from_bits).prop_filter("finite", |x| x.is_finite()),
        1 => (0u32..0x0080_0000, any::<bool>())
            .prop_map(|(m, neg)| f32::from_bits(m | if neg { 0x8000_0000 } else { 0 })),
        1 => prop::sample::select(vec![0.0f32, -0.0, 1.0, -1.0, f32::MAX, f32::MIN, f32::MIN_POSITIVE, 1e-45, 0.1, 1e6, 1e-5]),
        1 => (-1000i32..1000).prop_map(|i| i as f32 / 8.0),
    ]
}

fn finite_f16() -> impl Strategy<Value = f16> {
    any::<u16>().prop_map(f16::from_bits).prop_filter("finite", |h| h.is_finite())
}

fn sparse() -> impl Strategy<Value = SparseVec> {
    (1u32..200, prop::collection::vec((any::<u32>(), finite_f32()), 0..40)).prop_map(|(dim, elems)| {
        let mut pairs: Vec<(i32, f32)> = elems
            .into_iter()
            .filter(|&(_, v)| v != 0.0)
            .map(|(i, v)| ((i % dim) as i32, v))
            .collect();
        pairs.sort_by_key(|p| p.0);
        pairs.dedup_by_key(|p| p.0);
        SparseVec { dim, indices: pairs.iter().map(|p| p.0).collect(), values: pairs.iter().map(|p| p.1).collect() }
    })
}

fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Text built from pieces of the real syntax, to reach deeper parser states than
/// uniformly random strings do.
fn syntaxish() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "[", "]", "{", "}", "/", ":", ",", " ", "\t", "\x0b", "1", "0", "-", "+", ".", "e", "E", "5",
        "e-50", "e50", "0x", "p", "inf", "nan", "(", ")", "99999999999", "1e39", "\0", "é", "65520",
    ]);
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(cfg(400))]

    #[test]
    fn parsers_never_panic_on_arbitrary_text(s in any::<String>()) {
        let _ = parse_vector(&s);
        let _ = parse_halfvec(&s);
        let _ = parse_sparsevec(&s);
        let _ = parse_vector_typmod(&s, 3);
    }

    #[test]
    fn parsers_never_panic_on_syntax_like_text(s in syntaxish()) {
        let _ = parse_vector(&s);
        let _ = parse_halfvec(&s);
        let _ = parse_sparsevec(&s);
        let _ = parse_sparsevec_typmod(&s, 7);
    }

    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(b in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = decode_vector(&b);
        let _ = decode_halfvec(&b);
        let _ = decode_sparsevec(&b);
        let _ = decode_sparsevec_typmod(&b, 5);
    }

    #[test]
    fn decoders_reject_truncations(v in prop::collection::vec(finite_f32(), 1..20), cut in 0usize..1000) {
        let b = encode_vector(&v);
        let cut = cut % b.len();
        let e = decode_vector(&b[..cut]).unwrap_err();
        prop_assert_eq!(e.kind.sqlstate(), "22P03");
    }

    #[test]
    fn vector_text_round_trip(v in prop::collection::vec(finite_f32(), 1..32)) {
        let text = format_vector(&v);
        let back = parse_vector(&text).unwrap();
        prop_assert!(same_bits(&v, &back), "{} -> {:?}", text, back);
    }

    #[test]
    fn halfvec_text_round_trip(v in prop::collection::vec(finite_f16(), 1..32)) {
        let text = format_halfvec(&v);
        let back = parse_halfvec(&text).unwrap();
        prop_assert_eq!(v.iter().map(|h| h.to_bits()).collect::<Vec<_>>(), back.iter().map(|h| h.to_bits()).collect::<Vec<_>>());
    }

    #[test]
    fn sparsevec_text_round_trip(s in sparse()) {
        let text = format_sparsevec(&s);
        let back = parse_sparsevec(&text).unwrap();
        prop_assert_eq!(back.dim, s.dim);
        prop_assert_eq!(&back.indices, &s.indices);
        prop_assert!(same_bits(&back.values, &s.values), "{}", text);
    }

    #[test]
    fn wire_round_trips(v in prop::collection::vec(finite_f32(), 1..32), h in prop::collection::vec(finite_f16(), 1..32), s in sparse()) {
        prop_assert!(same_bits(&decode_vector(&encode_vector(&v)).unwrap(), &v));
        let hb = decode_halfvec(&encode_halfvec(&h)).unwrap();
        prop_assert_eq!(hb.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), h.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
        let sb = decode_sparsevec(&encode_sparsevec(&s)).unwrap();
        prop_assert_eq!(sb.dim, s.dim);
        prop_assert_eq!(&sb.indices, &s.indices);
        prop_assert!(same_bits(&sb.values, &s.values));
    }
}

proptest! {
    #![proptest_config(cfg(3000))]

    #[test]
    fn float4_output_reads_back_exactly(x in finite_f32()) {
        let s = format_float4(x);
        let back: f32 = s.parse().unwrap();
        prop_assert_eq!(back.to_bits(), x.to_bits(), "{}", s);
        // At most 9 significant digits.
        let digits = |t: &str| {
            let d: String = t.split('e').next().unwrap().chars().filter(|c| c.is_ascii_digit()).collect();
            d.trim_start_matches('0').len()
        };
        prop_assert!(digits(&s) <= 9, "{}", s);
    }
}
