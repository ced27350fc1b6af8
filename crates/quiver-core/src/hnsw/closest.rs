//! The closest candidates of an exhaustive pass, in rounds of bounded size: each round keeps
//! the `cap` closest candidates that come after where the previous round stopped, so a pass
//! over any number of rows returns all of them in order with memory for `cap` at a time.

use std::collections::BinaryHeap;

use super::search::{keyed, sorted, Far};
use super::Candidate;

pub struct Closest {
    heap: BinaryHeap<Far>,
    cap: usize,
    after: Option<Candidate>,
    left_out: bool,
}

impl Closest {
    /// A round keeping at most `cap` (at least 1) candidates ordered after `after` (by
    /// [`Candidate::total_cmp`]; `None`: from the start).
    pub fn new(cap: usize, after: Option<Candidate>) -> Closest {
        Closest { heap: BinaryHeap::new(), cap: cap.max(1), after, left_out: false }
    }

    /// Offer a scored candidate.
    pub fn offer(&mut self, c: Candidate) {
        if self.after.is_some_and(|a| c.total_cmp(&a).is_le()) {
            return;
        }
        self.heap.push(Far(keyed(c, None)));
        if self.heap.len() > self.cap {
            self.heap.pop();
            self.left_out = true;
        }
    }

    /// The round's candidates in order (a candidate offered twice comes out once), and where
    /// the next round starts when some were left out (`None`: the pass is complete).
    pub fn finish(self) -> (Vec<Candidate>, Option<Candidate>) {
        let mut out = sorted(self.heap);
        out.dedup_by(|a, b| a.total_cmp(b).is_eq());
        let next = if self.left_out { out.last().copied() } else { None };
        (out, next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_return_every_candidate_once_in_order() {
        let mut all: Vec<Candidate> = (0..1000u64).map(|i| Candidate::new(((i * 7919) % 101) as f32, i)).collect();
        all.push(Candidate::new(f32::NAN, 5000));
        // a stale copy of a candidate is offered again
        let offered: Vec<Candidate> = all.iter().copied().chain([all[10]]).collect();
        let mut got = Vec::new();
        let mut after = None;
        let mut rounds = 0;
        loop {
            let mut round = Closest::new(64, after);
            offered.iter().for_each(|&c| round.offer(c));
            let (batch, next) = round.finish();
            got.extend(batch);
            rounds += 1;
            match next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        all.sort_by(Candidate::total_cmp);
        assert_eq!(rounds, 1001_usize.div_ceil(64));
        assert_eq!(got.len(), all.len());
        assert!(got.iter().zip(&all).all(|(a, b)| a.total_cmp(b).is_eq()));
    }
}
