//! Conjunctions of per-column tests, evaluated on attribute blobs.

use super::encode::{decode, Attr};
use std::cmp::Ordering;

/// A comparison with a constant (btree's strategies).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
}

impl Cmp {
    fn holds(self, o: Ordering) -> bool {
        match self {
            Cmp::Lt => o == Ordering::Less,
            Cmp::Le => o != Ordering::Greater,
            Cmp::Eq => o == Ordering::Equal,
            Cmp::Ge => o != Ordering::Less,
            Cmp::Gt => o == Ordering::Greater,
        }
    }
}

/// One column's test. Sets ([`Test::IntIn`], the array tests, ...) hold distinct values in
/// ascending order once added to a [`Predicate`].
#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    Int(Cmp, i64),
    /// `= ANY(...)` / `IN (...)`.
    IntIn(Vec<i64>),
    Bool(bool),
    BoolIn(Vec<bool>),
    TextEq(Vec<u8>),
    TextIn(Vec<Vec<u8>>),
    /// `&&`: the arrays share an element.
    IntOverlap(Vec<i64>),
    /// `@>`: the column holds every element.
    IntContains(Vec<i64>),
    /// `<@`: every element of the column is in the set.
    IntContainedBy(Vec<i64>),
    TextOverlap(Vec<Vec<u8>>),
    TextContains(Vec<Vec<u8>>),
    TextContainedBy(Vec<Vec<u8>>),
    /// Matches nothing (a NULL constant, an empty IN list, `@>` of a NULL element).
    Never,
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort_unstable();
    v.dedup();
    v
}

impl Test {
    fn normalized(self) -> Test {
        match self {
            Test::IntIn(v) => Test::IntIn(sorted(v)),
            Test::BoolIn(v) => Test::BoolIn(sorted(v)),
            Test::TextIn(v) => Test::TextIn(sorted(v)),
            Test::IntOverlap(v) => Test::IntOverlap(sorted(v)),
            Test::IntContains(v) => Test::IntContains(sorted(v)),
            Test::IntContainedBy(v) => Test::IntContainedBy(sorted(v)),
            Test::TextOverlap(v) => Test::TextOverlap(sorted(v)),
            Test::TextContains(v) => Test::TextContains(sorted(v)),
            Test::TextContainedBy(v) => Test::TextContainedBy(sorted(v)),
            t => t,
        }
    }

    /// Whether the stored value passes (NULL passes nothing; a value of another kind than
    /// the test expects passes nothing either).
    #[inline]
    pub fn holds(&self, a: Attr<'_>) -> bool {
        match (self, a) {
            (Test::Never, _) | (_, Attr::Null) => false,
            (Test::Int(c, k), Attr::Int(v)) => c.holds(v.cmp(k)),
            (Test::IntIn(set), Attr::Int(v)) => set.binary_search(&v).is_ok(),
            (Test::Bool(k), Attr::Bool(v)) => *k == v,
            (Test::BoolIn(set), Attr::Bool(v)) => set.contains(&v),
            (Test::TextEq(k), Attr::Text(v)) => k.as_slice() == v,
            (Test::TextIn(set), Attr::Text(v)) => set.binary_search_by(|x| x.as_slice().cmp(v)).is_ok(),
            (Test::IntOverlap(q), Attr::IntArray { elems, .. }) => overlap(Attr::ints(elems), q.iter().copied()),
            (Test::IntContains(q), Attr::IntArray { elems, .. }) => subset(q.iter().copied(), Attr::ints(elems)),
            (Test::IntContainedBy(q), Attr::IntArray { elems, nulls }) => !nulls && subset(Attr::ints(elems), q.iter().copied()),
            (Test::TextOverlap(q), Attr::TextArray { elems, count, .. }) => overlap(Attr::texts(elems, count), q.iter().map(Vec::as_slice)),
            (Test::TextContains(q), Attr::TextArray { elems, count, .. }) => subset(q.iter().map(Vec::as_slice), Attr::texts(elems, count)),
            (Test::TextContainedBy(q), Attr::TextArray { elems, count, nulls }) => {
                !nulls && subset(Attr::texts(elems, count), q.iter().map(Vec::as_slice))
            }
            _ => false,
        }
    }
}

/// Whether two ascending sequences share an element.
fn overlap<T: Ord>(a: impl Iterator<Item = T>, b: impl Iterator<Item = T>) -> bool {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        match x.cmp(y) {
            Ordering::Less => {
                a.next();
            }
            Ordering::Greater => {
                b.next();
            }
            Ordering::Equal => return true,
        }
    }
    false
}

/// Whether every element of ascending `sub` is in ascending `of`.
fn subset<T: Ord>(sub: impl Iterator<Item = T>, of: impl Iterator<Item = T>) -> bool {
    let mut of = of.peekable();
    'next: for x in sub {
        while let Some(y) = of.peek() {
            match y.cmp(&x) {
                Ordering::Less => {
                    of.next();
                }
                Ordering::Equal => continue 'next,
                Ordering::Greater => return false,
            }
        }
        return false;
    }
    true
}

/// A conjunction of tests on attribute columns (0-based among the attribute columns).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Predicate {
    clauses: Vec<(usize, Test)>,
}

impl Predicate {
    pub fn new() -> Predicate {
        Predicate::default()
    }

    /// Add `test` on column `col`.
    pub fn push(&mut self, col: usize, test: Test) {
        self.clauses.push((col, test.normalized()));
    }

    /// No tests: every entry passes.
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// Conditions (scan keys) it tests.
    pub fn len(&self) -> usize {
        self.clauses.len()
    }

    /// The tests, with their columns.
    pub fn clauses(&self) -> &[(usize, Test)] {
        &self.clauses
    }

    /// Whether no entry can pass (some test matches nothing).
    pub fn is_never(&self) -> bool {
        self.clauses.iter().any(|(_, t)| *t == Test::Never)
    }

    /// Whether the entry whose attributes are `blob` passes every test.
    #[inline]
    pub fn matches(&self, blob: &[u8]) -> bool {
        self.clauses.iter().all(|(col, t)| t.holds(decode(blob, *col)))
    }
}
