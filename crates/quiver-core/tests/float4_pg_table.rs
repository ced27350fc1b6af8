//! Checks `write_float4` against PostgreSQL's own `float4out` regression expectations.

use quiver_core::floatfmt::format_float4;

#[test]
fn matches_postgres_float4out_table() {
    let data = include_str!("data/pg_float4_out.txt");
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in data.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (bits, want) = line.split_once(' ').expect("bits and text");
        let v = f32::from_bits(u32::from_str_radix(bits, 16).expect("hex bits"));
        let got = format_float4(v);
        if got != want {
            failures.push(format!("{bits}: want {want}, got {got}"));
        }
        checked += 1;
    }
    assert!(checked >= 250, "table too short: {checked}");
    assert!(failures.is_empty(), "mismatches:\n{}", failures.join("\n"));
}
