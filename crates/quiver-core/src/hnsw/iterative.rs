//! Resumable search for filtered queries (pgvector's `hnsw.iterative_scan`).

use std::collections::BinaryHeap;

use super::search::{descend_to_entries, explore, keyed, sorted, Far, Near};
use super::{Candidate, Graph, HashVisited, NodeId, Visited};

/// A level-0 best-first search that can be resumed batch after batch.
///
/// The first batch is what [`super::search`] returns with `k = ef` (with the entry point
/// among the starting candidates as well).
/// Every node evaluated but not returned (evicted from the bounded result set or
/// rejected on arrival) is kept in a "discarded" heap; each later batch starts
/// from the best `ef` discarded nodes and continues expanding the unexpanded
/// candidates, so results come in roughly increasing distance. No node is ever
/// returned twice, and on a connected graph repeated calls eventually return every
/// node, after which batches are empty.
#[derive(Debug)]
pub struct IterativeSearch {
    ef: usize,
    /// Evaluated nodes whose neighbours have not been explored yet.
    cands: BinaryHeap<Near>,
    /// Evaluated nodes not yet returned.
    discarded: BinaryHeap<Near>,
    visited: HashVisited,
    /// The level-0 starting points, consumed by the first batch.
    start: Vec<Candidate>,
    buf: Vec<NodeId>,
    returned: usize,
}

impl IterativeSearch {
    /// Descend to level 0 and prepare; `ef` = batch size (at least 1).
    pub fn new<G: Graph + ?Sized>(g: &G, ef: usize, dist: &mut dyn FnMut(NodeId) -> f32) -> Self {
        let mut s = IterativeSearch {
            ef: ef.max(1),
            cands: BinaryHeap::new(),
            discarded: BinaryHeap::new(),
            visited: HashVisited::with_capacity(ef.max(1) * 8),
            start: Vec::new(),
            buf: Vec::new(),
            returned: 0,
        };
        if let Some(entry) = g.entry() {
            let mut starts = descend_to_entries(g, entry, s.ef, dist, &mut s.buf);
            // The entry point itself starts the walk too: links are directed, and the nodes
            // near the query may not lead back to the rest of the graph, while every node can
            // be reached from the entry point. So a scan run to the end returns every node.
            if !starts.iter().any(|c| c.id == entry.0) {
                starts.push(Candidate::new(dist(entry.0), entry.0));
            }
            for cur in starts {
                if s.visited.insert(cur.id) {
                    s.cands.push(Near(keyed(cur, None)));
                    s.start.push(cur);
                }
            }
        }
        s
    }

    /// The next batch of results (ascending within the batch, never repeating a
    /// node across batches), or empty when the graph is exhausted.
    pub fn next_batch<G: Graph + ?Sized>(
        &mut self,
        g: &G,
        dist: &mut dyn FnMut(NodeId) -> f32,
    ) -> Vec<Candidate> {
        let mut results: BinaryHeap<Far> = BinaryHeap::with_capacity(self.ef + 1);
        if !self.start.is_empty() {
            for start in std::mem::take(&mut self.start) {
                results.push(Far(keyed(start, None)));
                if results.len() > self.ef {
                    let Far(out) = results.pop().expect("non-empty");
                    self.discarded.push(Near(out));
                }
            }
        } else {
            while results.len() < self.ef {
                match self.discarded.pop() {
                    Some(Near(c)) => results.push(Far(c)),
                    None => break,
                }
            }
        }
        explore(
            g,
            &mut self.cands,
            &mut results,
            self.ef,
            0,
            dist,
            &mut self.visited,
            Some(&mut self.discarded),
            &mut self.buf,
            None,
        );
        self.returned += results.len();
        sorted(results)
    }

    /// True once every reachable node has been returned.
    pub fn is_exhausted(&self) -> bool {
        self.start.is_empty() && self.cands.is_empty() && self.discarded.is_empty()
    }

    /// Number of nodes whose distance has been computed so far.
    pub fn visited_count(&self) -> usize {
        self.visited.len()
    }

    /// Number of nodes returned so far.
    pub fn returned_count(&self) -> usize {
        self.returned
    }
}
