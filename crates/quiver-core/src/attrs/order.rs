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

/// The keys a *key run* (a sorted list of (key, entry) pairs for one column, see
/// [`Predicate::column_ranges`]) holds for value `a`, appended to `out`: a scalar's
/// [`sort_key`], an array's elements (integers by value, text by [`text_key`]; NULL elements
/// and empty arrays give none, as no overlap or containment test can pass them).
pub fn column_keys(a: Attr<'_>, out: &mut Vec<i64>) {
    match a {
        Attr::IntArray { elems, .. } => out.extend(Attr::ints(elems)),
        Attr::TextArray { elems, count, .. } => out.extend(Attr::texts(elems, count).map(text_key)),
        scalar => out.extend(sort_key(scalar)),
    }
}

impl Predicate {
    /// Ways to narrow column `col` through its key run: each element is a list of key ranges
    /// such that every passing entry has a key (from [`column_keys`]) in it, so reading only
    /// the run's records in any one of them finds every passing entry. Empty: no test on the
    /// column narrows it. Scalar tests intersect into one list; each array test gives its own
    /// (`&&`: any element of the set; `@>`: each element of the set on its own).
    pub fn column_ranges(&self, col: usize) -> Vec<Ranges> {
        let mut scalar: Option<Ranges> = None;
        let mut out = Vec::new();
        for (c, t) in self.clauses() {
            if *c != col {
                continue;
            }
            match t {
                Test::IntOverlap(v) => out.push(points(v.clone())),
                Test::TextOverlap(v) => out.push(points(v.iter().map(|t| text_key(t)).collect())),
                Test::IntContains(v) => out.extend(v.iter().map(|&k| vec![(k, k)])),
                Test::TextContains(v) => out.extend(v.iter().map(|t| {
                    let k = text_key(t);
                    vec![(k, k)]
                })),
                t => {
                    if let Some(r) = test_ranges(t) {
                        scalar = Some(match scalar {
                            None => r,
                            Some(prev) => intersect(&prev, &r),
                        });
                    }
                }
            }
        }
        out.extend(scalar);
        out
    }
}

/// Whether `key` lies in one of `ranges` (sorted, disjoint).
pub fn in_ranges(ranges: &[(i64, i64)], key: i64) -> bool {
    let i = ranges.partition_point(|&(_, hi)| hi < key);
    ranges.get(i).is_some_and(|&(lo, _)| lo <= key)
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
    fn column_keys_of_values() {
        let blob = encode(&[
            Value::Int(4),
            Value::IntArray(vec![Some(3), None, Some(9)]),
            Value::TextArray(vec![Some(b"b".to_vec()), Some(b"a".to_vec())]),
            Value::IntArray(vec![]),
            Value::Null,
        ]);
        let keys = |col| {
            let mut out = Vec::new();
            column_keys(decode(&blob, col), &mut out);
            out
        };
        assert_eq!(keys(0), vec![4]);
        assert_eq!(keys(1), vec![3, 9]);
        let mut texts = keys(2);
        texts.sort_unstable();
        let mut want = vec![text_key(b"a"), text_key(b"b")];
        want.sort_unstable();
        assert_eq!(texts, want);
        assert_eq!(keys(3), Vec::<i64>::new());
        assert_eq!(keys(4), vec![NULL_KEY]);
    }

    #[test]
    fn column_ranges_of_tests() {
        // scalar tests on one column intersect, other columns are ignored
        let p = pred(vec![(1, Test::Int(Cmp::Ge, 3)), (1, Test::Int(Cmp::Le, 7)), (0, Test::Int(Cmp::Eq, 1))]);
        assert_eq!(p.column_ranges(1), vec![vec![(3, 7)]]);
        assert_eq!(p.column_ranges(2), Vec::<Ranges>::new());
        // array tests: one alternative per overlap test, one per element of a containment
        let p = pred(vec![(2, Test::IntOverlap(vec![5, 1])), (2, Test::IntContains(vec![8, 6]))]);
        assert_eq!(p.column_ranges(2), vec![vec![(1, 1), (5, 5)], vec![(6, 6)], vec![(8, 8)]]);
        let p = pred(vec![(0, Test::TextContains(vec![b"x".to_vec()]))]);
        assert_eq!(p.column_ranges(0), vec![vec![(text_key(b"x"), text_key(b"x"))]]);
        // `<@` passes an empty array: no narrowing
        assert!(pred(vec![(0, Test::IntContainedBy(vec![1]))]).column_ranges(0).is_empty());
        assert_eq!(pred(vec![(3, Test::Never)]).column_ranges(3), vec![Vec::<(i64, i64)>::new()]);
    }

    /// Every entry that passes the predicate has a key in each alternative of its column.
    #[test]
    fn column_ranges_cover_passing_entries() {
        let mut seed = 11u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as i64
        };
        for _ in 0..2000 {
            let arr: Vec<Option<i64>> = (0..next() % 4).map(|_| (next() % 5 != 0).then(|| next() % 6)).collect();
            let blob = encode(&[Value::Int(next() % 8), Value::IntArray(arr)]);
            let set = |n: &mut dyn FnMut() -> i64| (0..n() % 3 + 1).map(|_| n() % 6).collect::<Vec<_>>();
            let tests = vec![
                (0, Test::Int(Cmp::Ge, next() % 8)),
                (0, Test::IntIn(set(&mut next))),
                (1, Test::IntOverlap(set(&mut next))),
                (1, Test::IntContains(set(&mut next))),
            ];
            let p = pred(tests.into_iter().filter(|_| next() % 2 == 0).collect());
            if !p.matches(&blob) {
                continue;
            }
            for col in 0..2 {
                let mut keys = Vec::new();
                column_keys(decode(&blob, col), &mut keys);
                for alt in p.column_ranges(col) {
                    assert!(keys.iter().any(|&k| in_ranges(&alt, k)), "{p:?} passes {keys:?} outside {alt:?}");
                }
            }
        }
    }

    #[test]
    fn keys_in_ranges() {
        let r = [(1, 3), (7, 7), (10, 20)];
        let got: Vec<i64> = (0..22).filter(|&k| in_ranges(&r, k)).collect();
        assert_eq!(got, vec![1, 2, 3, 7, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
        assert!(!in_ranges(&[], 0));
        assert!(in_ranges(&[(i64::MIN, i64::MAX)], i64::MAX));
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
