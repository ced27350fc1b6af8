//! `float4out`-compatible formatting of `f32` values.
//!
//! PostgreSQL (12+, with the default `extra_float_digits = 1`) prints a `real` as the
//! shortest decimal string that reads back to the same bits, laid out like this:
//!
//! * NaN prints as `NaN`, infinities as `Infinity` / `-Infinity`, zeros as `0` / `-0`.
//! * Let `d1 d2 ... dn` be the significant digits (no trailing zeros) and `X` the decimal
//!   exponent of the first digit (`value = d1.d2...dn × 10^X`).
//! * If `-4 <= X < 6` the value is written in fixed notation: `123.45`, `100000`,
//!   `0.00012`, with no exponent, no trailing zeros after the point and no point when
//!   the value is an integer.
//! * Otherwise it is written in scientific notation: `d1[.d2...dn]e±XX`, the exponent
//!   always carrying a sign and at least two digits (`1e+06`, `1.234567e+06`, `1e-05`,
//!   `1e-45`).
//!
//! The digit selection differs from plain "shortest round trip" (what Rust's `{}` / `{:e}`
//! produce) in two details, both reproduced here:
//!
//! * a candidate lying exactly halfway between two adjacent floats is never chosen, even
//!   when round-half-even reading would map it to the right value (so `0x4c000004`
//!   prints `3.3554448e+07`, not `3.355445e+07`);
//! * when the value lies exactly halfway between the two nearest candidates of the
//!   shortest length, the one with the even last digit is chosen (`0x39800000` prints
//!   `0.00024414062`, Rust prints `2.4414063e-4`).
//!
//! Implementation: Rust's shortest formatting gives a candidate cheaply; it is then
//! checked (with a floating-point filter and, when that is inconclusive, exact integer
//! arithmetic) against PostgreSQL's rules, and recomputed digit length by digit length
//! in the rare cases where it does not satisfy them.

use std::cmp::Ordering;
use std::fmt::Write as _;

/// Append the `float4out` text of `v` to `out`.
pub fn write_float4(out: &mut String, v: f32) {
    if v.is_nan() {
        out.push_str("NaN");
        return;
    }
    if v.is_sign_negative() {
        out.push('-');
    }
    let a = v.abs();
    if a.is_infinite() {
        out.push_str("Infinity");
        return;
    }
    if a == 0.0 {
        out.push('0');
        return;
    }
    let (digits, len, exp10) = shortest_digits(a);
    layout(out, &digits[..len], exp10);
}

/// The `float4out` text of `v` as a new `String`.
pub fn format_float4(v: f32) -> String {
    let mut s = String::with_capacity(16);
    write_float4(&mut s, v);
    s
}

/// Lay out significant digits (ASCII, no trailing zeros, first digit non-zero) whose first
/// digit has decimal exponent `exp10`.
fn layout(out: &mut String, digits: &[u8], exp10: i32) {
    let n = digits.len() as i32;
    if (-4..6).contains(&exp10) {
        if exp10 < 0 {
            out.push_str("0.");
            for _ in 0..(-exp10 - 1) {
                out.push('0');
            }
            push_ascii(out, digits);
        } else if n <= exp10 + 1 {
            push_ascii(out, digits);
            for _ in 0..(exp10 + 1 - n) {
                out.push('0');
            }
        } else {
            let int_len = (exp10 + 1) as usize;
            push_ascii(out, &digits[..int_len]);
            out.push('.');
            push_ascii(out, &digits[int_len..]);
        }
    } else {
        push_ascii(out, &digits[..1]);
        if n > 1 {
            out.push('.');
            push_ascii(out, &digits[1..]);
        }
        out.push('e');
        out.push(if exp10 < 0 { '-' } else { '+' });
        let e = exp10.unsigned_abs();
        if e < 10 {
            out.push('0');
        }
        let _ = write!(out, "{e}");
    }
}

fn push_ascii(out: &mut String, digits: &[u8]) {
    for &c in digits {
        out.push(c as char);
    }
}

/// Decimal candidate `mant × 10^q`.
#[derive(Clone, Copy, Debug)]
struct Dec {
    mant: u64,
    q: i32,
}

/// The exact binary facts about a positive finite `f32`: value `4m × 2^e`, and the open
/// interval `(lo × 2^e, hi × 2^e)` of decimals that PostgreSQL accepts as representing it.
struct Binary {
    v4: u64,
    lo: u64,
    hi: u64,
    e: i32,
}

impl Binary {
    fn of(a: f32) -> Binary {
        let bits = a.to_bits();
        let frac = (bits & 0x007f_ffff) as u64;
        let biased = (bits >> 23) & 0xff;
        let (m, e) = if biased == 0 {
            (frac, -149 - 2)
        } else {
            (frac | 0x0080_0000, biased as i32 - 150 - 2)
        };
        // The gap below a power of two is half the gap above, except at the bottom of the
        // normal range where the subnormals continue with the same spacing.
        let narrow_below = frac == 0 && biased > 1;
        Binary { v4: 4 * m, lo: 4 * m - if narrow_below { 1 } else { 2 }, hi: 4 * m + 2, e }
    }

    fn strictly_inside(&self, d: Dec) -> bool {
        exact_cmp(d.mant, d.q, self.lo, self.e) == Ordering::Greater
            && exact_cmp(d.mant, d.q, self.hi, self.e) == Ordering::Less
    }
}

/// Shortest digits per PostgreSQL's rules for a positive finite `a`.
/// Returns (ASCII digit buffer, used length, decimal exponent of the first digit).
fn shortest_digits(a: f32) -> ([u8; 24], usize, i32) {
    let (cand, len) = rust_shortest(a);
    let bin = Binary::of(a);
    let ok = match quick_check(a, &bin, cand) {
        Some(ok) => ok,
        None => bin.strictly_inside(cand) && !is_tie(&bin, cand),
    };
    let chosen = if ok { cand } else { slow_path(a, &bin, len) };
    to_digits(chosen)
}

/// Rust's shortest round-trip candidate and its digit count.
fn rust_shortest(a: f32) -> (Dec, usize) {
    let mut buf = [0u8; 48];
    let written = {
        let mut w = &mut buf[..];
        let before = w.len();
        // Cannot fail: the longest f32 `{:e}` output is far below 48 bytes.
        let _ = std::io::Write::write_fmt(&mut w, format_args!("{:e}", a));
        before - w.len()
    };
    parse_sci(&buf[..written])
}

/// Parse Rust `{:e}` output (`d[.ddd]e[-]x`) of a positive number into a candidate.
fn parse_sci(s: &[u8]) -> (Dec, usize) {
    let mut mant: u64 = 0;
    let mut ndig = 0usize;
    let mut i = 0;
    while i < s.len() && s[i] != b'e' {
        if s[i].is_ascii_digit() {
            mant = mant * 10 + u64::from(s[i] - b'0');
            ndig += 1;
        }
        i += 1;
    }
    let mut exp: i32 = 0;
    let mut neg = false;
    i += 1;
    if i < s.len() && s[i] == b'-' {
        neg = true;
        i += 1;
    }
    while i < s.len() {
        exp = exp * 10 + i32::from(s[i] - b'0');
        i += 1;
    }
    if neg {
        exp = -exp;
    }
    (Dec { mant, q: exp - (ndig as i32 - 1) }, ndig)
}

/// Floating-point filter: `Some(true)` when the candidate is certainly strictly inside the
/// interval and certainly not a tie, `Some(false)` when it is certainly outside, `None`
/// when exact arithmetic is needed.
fn quick_check(a: f32, bin: &Binary, d: Dec) -> Option<bool> {
    let scale = pow10_f64(d.q);
    let dv = d.mant as f64 * scale;
    let unit = f64::powi(2.0, bin.e);
    let (lo, hi) = (bin.lo as f64 * unit, bin.hi as f64 * unit);
    let v = f64::from(a);
    let eps = v * 1e-9;
    if dv < lo - eps || dv > hi + eps {
        return Some(false);
    }
    let inside = dv > lo + eps && dv < hi - eps;
    let not_tie = ((dv - v).abs() - 0.5 * scale).abs() > eps;
    if inside && not_tie {
        Some(true)
    } else {
        None
    }
}

fn pow10_f64(q: i32) -> f64 {
    // Accurate to a few ulps, which is all the filter needs.
    10f64.powi(q)
}

/// Whether `a` lies exactly halfway between `d` and its neighbour at the same precision.
fn is_tie(bin: &Binary, d: Dec) -> bool {
    // 2·(4m·2^e) compared with (2·mant ± 1)·10^q.
    let two_v = bin.v4 * 2;
    [d.mant * 2 - 1, d.mant * 2 + 1]
        .iter()
        .any(|&x| exact_cmp(x, d.q, two_v, bin.e) == Ordering::Equal)
}

/// Recompute the choice digit length by digit length, starting at `start_len`.
fn slow_path(a: f32, bin: &Binary, start_len: usize) -> Dec {
    let mut last = None;
    for n in start_len.max(1)..=17 {
        let s = format!("{:.*e}", n - 1, a);
        let (c, _) = parse_sci(s.as_bytes());
        last = Some(c);
        // `c` is the correctly rounded (ties-to-even) n-digit value.
        let ord = exact_cmp(c.mant, c.q, bin.v4, bin.e);
        if ord == Ordering::Equal || bin.strictly_inside(c) {
            return c;
        }
        let other = match ord {
            Ordering::Less => Dec { mant: c.mant + 1, q: c.q },
            _ => Dec { mant: c.mant - 1, q: c.q },
        };
        if other.mant != 0 && bin.strictly_inside(other) {
            return other;
        }
    }
    // Unreachable for IEEE single precision (9 digits always suffice).
    last.unwrap_or(Dec { mant: 0, q: 0 })
}

/// Strip trailing zeros and render the mantissa as ASCII digits.
fn to_digits(mut d: Dec) -> ([u8; 24], usize, i32) {
    while d.mant != 0 && d.mant % 10 == 0 {
        d.mant /= 10;
        d.q += 1;
    }
    let mut tmp = [0u8; 24];
    let mut n = 0;
    let mut m = d.mant;
    loop {
        tmp[n] = b'0' + (m % 10) as u8;
        n += 1;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    let mut out = [0u8; 24];
    for i in 0..n {
        out[i] = tmp[n - 1 - i];
    }
    (out, n, d.q + n as i32 - 1)
}

/// Exactly compare `d × 10^q` with `b × 2^p`.
fn exact_cmp(d: u64, q: i32, b: u64, p: i32) -> Ordering {
    let mut x = U256::from(d);
    let mut y = U256::from(b);
    if q >= 0 {
        x.mul_pow5(q as u32);
    } else {
        y.mul_pow5(q.unsigned_abs());
    }
    match (x.is_zero(), y.is_zero()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        _ => {}
    }
    // Now compare x·2^q with y·2^p.
    let lx = x.bit_len() as i64 + i64::from(q);
    let ly = y.bit_len() as i64 + i64::from(p);
    if lx != ly {
        return lx.cmp(&ly);
    }
    if q > p {
        x.shl((q - p) as u32);
    } else if p > q {
        y.shl((p - q) as u32);
    }
    x.cmp_mag(&y)
}

/// Just enough of a 256-bit unsigned integer for [`exact_cmp`]. The operands stay far
/// below 2^200: at most 2^64 · 5^60.
#[derive(Clone, Copy)]
struct U256([u64; 4]);

impl U256 {
    fn from(v: u64) -> U256 {
        U256([v, 0, 0, 0])
    }

    fn is_zero(&self) -> bool {
        self.0.iter().all(|&l| l == 0)
    }

    fn mul_small(&mut self, m: u64) {
        let mut carry: u128 = 0;
        for limb in self.0.iter_mut() {
            let t = u128::from(*limb) * u128::from(m) + carry;
            *limb = t as u64;
            carry = t >> 64;
        }
    }

    fn mul_pow5(&mut self, mut k: u32) {
        const P5_27: u64 = 7_450_580_596_923_828_125;
        while k >= 27 {
            self.mul_small(P5_27);
            k -= 27;
        }
        self.mul_small(5u64.pow(k));
    }

    fn bit_len(&self) -> u32 {
        for i in (0..4).rev() {
            if self.0[i] != 0 {
                return 64 * i as u32 + (64 - self.0[i].leading_zeros());
            }
        }
        0
    }

    fn shl(&mut self, s: u32) {
        if s >= 256 {
            self.0 = [0; 4];
            return;
        }
        let limbs = (s / 64) as usize;
        let bits = s % 64;
        let mut r = [0u64; 4];
        for i in (limbs..4).rev() {
            let src = i - limbs;
            let mut v = self.0[src] << bits;
            if bits > 0 && src > 0 {
                v |= self.0[src - 1] >> (64 - bits);
            }
            r[i] = v;
        }
        self.0 = r;
    }

    fn cmp_mag(&self, other: &U256) -> Ordering {
        for i in (0..4).rev() {
            match self.0[i].cmp(&other.0[i]) {
                Ordering::Equal => continue,
                o => return o,
            }
        }
        Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: f32) -> String {
        format_float4(v)
    }

    #[test]
    fn specials() {
        assert_eq!(f(f32::NAN), "NaN");
        assert_eq!(f(-f32::NAN), "NaN");
        assert_eq!(f(f32::INFINITY), "Infinity");
        assert_eq!(f(f32::NEG_INFINITY), "-Infinity");
        assert_eq!(f(0.0), "0");
        assert_eq!(f(-0.0), "-0");
    }

    #[test]
    fn known_outputs() {
        let cases: &[(f32, &str)] = &[
            (1.0, "1"),
            (-1.0, "-1"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (-0.5, "-0.5"),
            (2.5, "2.5"),
            (3.0, "3"),
            (10.0, "10"),
            (123.456, "123.456"),
            (100000.0, "100000"),
            (999999.0, "999999"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (12345678.0, "1.2345678e+07"),
            (0.0001, "0.0001"),
            (0.00012345, "0.00012345"),
            (1e-05, "1e-05"),
            (1.5e-5, "1.5e-05"),
            (1.0996094, "1.0996094"),
            (half::f16::from_f32(1.1).to_f32(), "1.0996094"),
            (f32::MAX, "3.4028235e+38"),
            (f32::MIN, "-3.4028235e+38"),
            (f32::MIN_POSITIVE, "1.1754944e-38"),
            (f32::from_bits(1), "1e-45"),
            (f32::from_bits(2), "3e-45"),
            (f32::from_bits(0x007f_ffff), "1.1754942e-38"),
            (f32::EPSILON, "1.1920929e-07"),
            (std::f32::consts::PI, "3.1415927"),
            (1.0 / 3.0, "0.33333334"),
            (16777216.0, "1.6777216e+07"),
            (65504.0, "65504"),
            (1e10, "1e+10"),
            (1e-10, "1e-10"),
            (1e38, "1e+38"),
            (0.3, "0.3"),
            (2097152.25, "2.0971522e+06"),
            (2097152.75, "2.0971528e+06"),
        ];
        for &(v, want) in cases {
            assert_eq!(f(v), want, "bits {:08x}", v.to_bits());
        }
    }

    #[test]
    fn layout_boundaries() {
        assert_eq!(f(0.001), "0.001");
        assert_eq!(f(0.00099999), "0.00099999");
        assert_eq!(f(0.0000999), "9.99e-05");
        assert_eq!(f(99999.5), "99999.5");
        assert_eq!(f(123456.0), "123456");
        assert_eq!(f(1.5e6), "1.5e+06");
    }

    /// The fast path (Rust candidate + checks) must agree with the definitional search.
    #[test]
    fn fast_path_agrees_with_definition() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let check = |bits: u32| {
            let a = f32::from_bits(bits & 0x7fff_ffff);
            if !a.is_finite() || a == 0.0 {
                return;
            }
            let bin = Binary::of(a);
            let fast = shortest_digits(a);
            let slow = to_digits(slow_path(a, &bin, 1));
            assert_eq!(
                (&fast.0[..fast.1], fast.2),
                (&slow.0[..slow.1], slow.2),
                "bits {bits:08x}"
            );
        };
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            check(state as u32);
        }
        // Around every power of two and the subnormal boundary.
        for exp in 0u32..255 {
            for delta in 0u32..4 {
                check((exp << 23) + delta);
                check((exp << 23).wrapping_sub(delta + 1));
            }
        }
        for bits in 1u32..2000 {
            check(bits);
        }
    }

    #[test]
    fn exact_cmp_basics() {
        assert_eq!(exact_cmp(1, 0, 1, 0), Ordering::Equal);
        assert_eq!(exact_cmp(5, -1, 1, -1), Ordering::Equal);
        assert_eq!(exact_cmp(25, -2, 1, -2), Ordering::Equal);
        assert_eq!(exact_cmp(3, -1, 1, -2), Ordering::Greater);
        assert_eq!(exact_cmp(1, 38, 1, 126), Ordering::Greater);
        assert_eq!(exact_cmp(1, 38, 1, 127), Ordering::Less);
        assert_eq!(exact_cmp(1, 39, 1, 129), Ordering::Greater);
        assert_eq!(exact_cmp(14, -46, 1, -149), Ordering::Less);
        assert_eq!(exact_cmp(15, -46, 1, -149), Ordering::Greater);
        assert_eq!(exact_cmp(1, -45, 1, -149), Ordering::Less);
    }
}
