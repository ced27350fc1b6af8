//! Resumable search that returns only the nodes passing a filter (attribute columns tested
//! inside the index).
//!
//! The walk expands every node it meets, passing or not, in best-first order, so it moves
//! through regions where nothing passes; only passing nodes enter the bounded result set, and
//! a batch ends when the nearest unexpanded node is further than the worst of `ef` passing
//! results. When few nodes pass, the result set never fills and the walk goes on until it has
//! seen every reachable node: a filtered scan is never left short while passing nodes remain.

use std::collections::BinaryHeap;

use super::search::{descend_to_entries, keyed, sorted, Far, Near};
use super::{Candidate, Graph, HashVisited, NodeId, Visited};
use std::cmp::Ordering;

/// A node's distance to the query and whether it passes the filter.
pub type Eval<'a> = dyn FnMut(NodeId) -> (f32, bool) + 'a;

#[derive(Debug)]
pub struct FilteredSearch {
    ef: usize,
    /// Evaluated nodes (passing or not) whose neighbours have not been explored yet.
    cands: BinaryHeap<Near>,
    /// Passing nodes evaluated but not yet returned.
    discarded: BinaryHeap<Near>,
    visited: HashVisited,
    /// Passing level-0 starting points, consumed by the first batch.
    start: Vec<Candidate>,
    buf: Vec<NodeId>,
    /// Most nodes to evaluate before the walk pauses (see [`FilteredSearch::over_budget`]).
    budget: usize,
    /// Evaluated nodes that passed.
    passed: usize,
}

impl FilteredSearch {
    /// Descend to level 0 (upper levels ignore the filter: they only navigate) and prepare;
    /// `ef` = batch size (at least 1).
    pub fn new<G: Graph + ?Sized>(g: &G, ef: usize, eval: &mut Eval<'_>) -> Self {
        let mut s = FilteredSearch {
            ef: ef.max(1),
            cands: BinaryHeap::new(),
            discarded: BinaryHeap::new(),
            visited: HashVisited::with_capacity(ef.max(1) * 8),
            start: Vec::new(),
            buf: Vec::new(),
            budget: usize::MAX,
            passed: 0,
        };
        if let Some(entry) = g.entry() {
            let mut dist = |id: NodeId| eval(id).0;
            let mut starts = descend_to_entries(g, entry, s.ef, &mut dist, &mut s.buf);
            // the entry point too: every node can be reached from it (see IterativeSearch)
            if !starts.iter().any(|c| c.id == entry.0) {
                starts.push(Candidate::new(dist(entry.0), entry.0));
            }
            for cur in starts {
                if s.visited.insert(cur.id) {
                    s.cands.push(Near(keyed(cur, None)));
                    if eval(cur.id).1 {
                        s.passed += 1;
                        s.start.push(cur);
                    }
                }
            }
        }
        s
    }

    /// Pause the walk once `budget` nodes have been evaluated in all: when few nodes pass,
    /// the walk meets about 1/selectivity nodes per passing one, and a caller may do better to
    /// test every node once in storage order. A paused batch returns nothing (what it found
    /// is kept); [`FilteredSearch::passed`] over [`FilteredSearch::visited_count`] tells the
    /// caller how selective the filter is near the query, and a larger budget resumes.
    pub fn set_budget(&mut self, budget: usize) {
        self.budget = budget.max(1);
    }

    /// Whether the walk is paused on its budget.
    pub fn over_budget(&self) -> bool {
        self.visited.len() >= self.budget && !self.cands.is_empty()
    }

    /// Evaluated nodes that passed the filter so far.
    pub fn passed(&self) -> usize {
        self.passed
    }

    /// The next batch of passing nodes (ascending within the batch, never repeating a node
    /// across batches), or empty once every reachable node has been seen.
    pub fn next_batch<G: Graph + ?Sized>(&mut self, g: &G, eval: &mut Eval<'_>) -> Vec<Candidate> {
        let ef = self.ef;
        let mut results: BinaryHeap<Far> = BinaryHeap::with_capacity(ef + 1);
        let admit = |results: &mut BinaryHeap<Far>, discarded: &mut BinaryHeap<Near>, c| {
            results.push(Far(c));
            if results.len() > ef {
                let Far(out) = results.pop().expect("non-empty");
                discarded.push(Near(out));
            }
        };
        for start in std::mem::take(&mut self.start) {
            admit(&mut results, &mut self.discarded, keyed(start, None));
        }
        while results.len() < ef {
            match self.discarded.pop() {
                Some(Near(c)) => results.push(Far(c)),
                None => break,
            }
        }
        while let Some(Near(c)) = self.cands.pop() {
            if self.visited.len() >= self.budget {
                // paused: keep what this batch found for the next one
                self.cands.push(Near(c));
                self.discarded.extend(results.into_iter().map(|Far(r)| Near(r)));
                return Vec::new();
            }
            if results.len() >= ef && results.peek().is_some_and(|Far(w)| c.cmp_key(w) == Ordering::Greater) {
                self.cands.push(Near(c));
                break;
            }
            self.buf.clear();
            g.neighbors(c.c.id, 0, &mut self.buf);
            let visited = &mut self.visited;
            self.buf.retain(|&e| visited.insert(e));
            g.prefetch(&self.buf);
            for &e in self.buf.iter() {
                let (d, passes) = eval(e);
                let cand = keyed(Candidate::new(d, e), None);
                self.cands.push(Near(cand));
                if passes {
                    self.passed += 1;
                    let better = results.len() < ef || results.peek().is_some_and(|Far(w)| cand.cmp_key(w) == Ordering::Less);
                    if better {
                        admit(&mut results, &mut self.discarded, cand);
                    } else {
                        self.discarded.push(Near(cand));
                    }
                }
            }
        }
        sorted(results)
    }

    /// True once every reachable node has been seen and returned: further batches are empty.
    pub fn is_exhausted(&self) -> bool {
        self.start.is_empty() && self.cands.is_empty() && self.discarded.is_empty()
    }

    /// Number of nodes whose distance has been computed so far.
    pub fn visited_count(&self) -> usize {
        self.visited.len()
    }

    /// Whether node `id` has been evaluated (returned or still to be returned by a batch).
    pub fn has_visited(&self, id: NodeId) -> bool {
        self.visited.contains(id)
    }
}
