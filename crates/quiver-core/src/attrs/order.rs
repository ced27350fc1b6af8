//! Ordering entries by their first attribute column, so that a scan whose predicate restricts
//! that column reads only the part of a sorted run of entries that can pass.
//!
//! Every entry gets a [`sort_key`]: integers (and dates, timestamps) by value, booleans as 0 / 1,
//! text by a fixed 64-bit hash (equality and `IN` only: the order of hashes says nothing of
//! the order of strings), NULL last. A run of pages written in key order is summarised by its
//! *fences*, the key of each page's first entry: page `i` holds keys in `fences[i] ..=
//! fences[i + 1]` (equal keys may span pages). [`Predicate::key_ranges`] turns the tests on
//! the first column into key ranges and [`pages_to_read`] picks the pages they overlap. The
//! pages skipped hold no entry that passes; the entries read are still tested in full.

use super::encode::Attr;
use super::predicate::{Cmp, Predicate, Test};

/// The key NULL sorts as (with `i64::MAX` itself: a range reaching it reads NULL pages too,
/// whose entries then fail their test).
pub const NULL_KEY: i64 = i64::MAX;

/// A value's sort key, or `None` for a kind that has none (arrays).
pub fn sort_key(a: Attr<'_>) -> Option<i64> {
    match a {
        Attr::Null => Some(NULL_KEY),
        Attr::Bool(b) => Some(i64::from(b)),
        Attr::Int(v) => Some(v),
        Attr::Text(t) => Some(text_key(t)),
        Attr::IntArray { .. } | Attr::TextArray { .. } => None,
    }
}

/// The key of a text value: 64-bit FNV-1a of its bytes (fixed: keys are stored in indexes).
pub fn text_key(t: &[u8]) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in t {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h as i64
}

/// Sorted, disjoint, inclusive key ranges.
pub type Ranges = Vec<(i64, i64)>;

fn points(mut v: Vec<i64>) -> Ranges {
    v.sort_unstable();
    v.dedup();
    v.into_iter().map(|k| (k, k)).collect()
}

/// Keys a value passing `t` can have; `None`: any key (the test does not order).
fn test_ranges(t: &Test) -> Option<Ranges> {
    Some(match t {
        Test::Never => Vec::new(),
        Test::Int(cmp, k) => {
            let k = *k;
            let r = match cmp {
                Cmp::Lt => k.checked_sub(1).map(|h| (i64::MIN, h)),
                Cmp::Le => Some((i64::MIN, k)),
                Cmp::Eq => Some((k, k)),
                Cmp::Ge => Some((k, i64::MAX)),
                Cmp::Gt => k.checked_add(1).map(|l| (l, i64::MAX)),
            };
            r.into_iter().collect()
        }
        Test::IntIn(v) => points(v.clone()),
        Test::Bool(b) => points(vec![i64::from(*b)]),
        Test::BoolIn(v) => points(v.iter().map(|&b| i64::from(b)).collect()),
        Test::TextEq(t) => points(vec![text_key(t)]),
        Test::TextIn(v) => points(v.iter().map(|t| text_key(t)).collect()),
        _ => return None,
    })
}

/// The intersection of two range lists.
fn intersect(a: &[(i64, i64)], b: &[(i64, i64)]) -> Ranges {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let lo = a[i].0.max(b[j].0);
        let hi = a[i].1.min(b[j].1);
        if lo <= hi {
            out.push((lo, hi));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

impl Predicate {
    /// The first column's keys an entry passing every test can have, or `None` when no test
    /// on that column narrows them (every page must be read).
    pub fn key_ranges(&self) -> Option<Ranges> {
        let mut out: Option<Ranges> = None;
        for (col, t) in self.clauses() {
            if *col != 0 {
                continue;
            }
            if let Some(r) = test_ranges(t) {
                out = Some(match out {
                    None => r,
                    Some(prev) => intersect(&prev, &r),
                });
            }
        }
        out
    }
}

/// Indexes of the pages of a sorted run (`fences`: each page's first key, ascending) that may
/// hold keys in `ranges`, ascending.
pub fn pages_to_read(fences: &[i64], ranges: &[(i64, i64)]) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for &(lo, hi) in ranges {
        // the first page whose successor starts at lo or later may hold lo (keys span pages)
        let first = fences.partition_point(|&f| f < lo).saturating_sub(1);
        let start = out.last().map_or(first, |&l| first.max(l + 1));
        out.extend((start..fences.len()).take_while(|&i| fences[i] <= hi));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::{decode, encode, Value};

    fn pred(tests: Vec<(usize, Test)>) -> Predicate {
        let mut p = Predicate::new();
        for (c, t) in tests {
            p.push(c, t);
        }
        p
    }

    #[test]
    fn keys_of_values() {
        let blob = encode(&[Value::Int(-5), Value::Text(b"x".to_vec())]);
        assert_eq!(sort_key(decode(&blob, 0)), Some(-5));
        assert_eq!(sort_key(decode(&blob, 1)), Some(text_key(b"x")));
        assert_eq!(sort_key(Attr::Null), Some(NULL_KEY));
        assert_eq!(sort_key(Attr::Bool(true)), Some(1));
        let arr = encode(&[Value::IntArray(vec![Some(1)])]);
        assert_eq!(sort_key(decode(&arr, 0)), None);
        assert_ne!(text_key(b"a"), text_key(b"b"));
        // fixed across builds: the value is stored in indexes
        assert_eq!(text_key(b""), 0xcbf2_9ce4_8422_2325u64 as i64);
    }

    #[test]
    fn ranges_of_tests() {
        assert_eq!(pred(vec![(0, Test::Int(Cmp::Lt, 10))]).key_ranges(), Some(vec![(i64::MIN, 9)]));
        assert_eq!(pred(vec![(0, Test::Int(Cmp::Lt, i64::MIN))]).key_ranges(), Some(vec![]));
        assert_eq!(pred(vec![(0, Test::Int(Cmp::Gt, i64::MAX))]).key_ranges(), Some(vec![]));
        // BETWEEN: two tests intersect
        let between = pred(vec![(0, Test::Int(Cmp::Ge, 3)), (0, Test::Int(Cmp::Le, 7))]);
        assert_eq!(between.key_ranges(), Some(vec![(3, 7)]));
        let inl = pred(vec![(0, Test::IntIn(vec![9, 1, 9, 4])), (0, Test::Int(Cmp::Gt, 1))]);
        assert_eq!(inl.key_ranges(), Some(vec![(4, 4), (9, 9)]));
        // tests on other columns, and array tests, do not narrow
        assert_eq!(pred(vec![(1, Test::Int(Cmp::Eq, 1))]).key_ranges(), None);
        assert_eq!(pred(vec![(0, Test::IntOverlap(vec![1]))]).key_ranges(), None);
        assert_eq!(pred(vec![(0, Test::TextEq(b"a".to_vec()))]).key_ranges(), Some(vec![(text_key(b"a"), text_key(b"a"))]));
        assert_eq!(pred(vec![(0, Test::Never)]).key_ranges(), Some(vec![]));
    }

    #[test]
    fn pages_overlapping_ranges() {
        // page i holds fences[i] ..= fences[i + 1]
        let fences = [0, 10, 10, 10, 20, 30];
        assert_eq!(pages_to_read(&fences, &[(10, 10)]), vec![0, 1, 2, 3]);
        assert_eq!(pages_to_read(&fences, &[(11, 19)]), vec![3]);
        assert_eq!(pages_to_read(&fences, &[(i64::MIN, -1)]), Vec::<usize>::new());
        assert_eq!(pages_to_read(&fences, &[(i64::MIN, 0)]), vec![0]);
        assert_eq!(pages_to_read(&fences, &[(35, 40)]), vec![5]);
        assert_eq!(pages_to_read(&fences, &[(5, 5), (10, 10), (25, 25)]), vec![0, 1, 2, 3, 4]);
        assert_eq!(pages_to_read(&fences, &[]), Vec::<usize>::new());
        assert_eq!(pages_to_read(&[], &[(0, 1)]), Vec::<usize>::new());
    }

    /// Against brute force: every page holding a key in the ranges is picked.
    #[test]
    fn pages_match_brute_force() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as i64
        };
        for _ in 0..200 {
            let mut keys: Vec<i64> = (0..(next() % 60 + 1)).map(|_| next() % 20).collect();
            keys.sort_unstable();
            let per = (next() % 4 + 1) as usize;
            let pages: Vec<&[i64]> = keys.chunks(per).collect();
            let fences: Vec<i64> = pages.iter().map(|p| p[0]).collect();
            let mut ranges = Vec::new();
            let mut at = -2;
            while ranges.len() < 3 {
                let lo = at + next() % 6;
                let hi = lo + next() % 4;
                ranges.push((lo, hi));
                at = hi + 1;
            }
            let got = pages_to_read(&fences, &ranges);
            for (i, p) in pages.iter().enumerate() {
                let needed = p.iter().any(|k| ranges.iter().any(|&(lo, hi)| lo <= *k && *k <= hi));
                assert!(!needed || got.contains(&i), "page {i} {p:?} missed for {ranges:?}");
            }
            assert!(got.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
