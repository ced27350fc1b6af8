//! The closest candidates of an exhaustive pass, in rounds of bounded size: each round keeps
//! the `cap` closest candidates that come after where the previous round stopped, so a pass
//! over any number of rows returns all of them in order with memory for `cap` at a time.
//!
//! A round costs linear time to collect, and its candidates are put in order only as they are
//! taken ([`Ranked`]): a scan under a small LIMIT sorts a few dozen of them, not all.

use super::Candidate;

pub struct Closest {
    kept: Vec<Candidate>,
    cap: usize,
    after: Option<Candidate>,
    left_out: bool,
}

impl Closest {
    /// A round keeping at most `cap` (at least 1) candidates ordered after `after` (by
    /// [`Candidate::total_cmp`]; `None`: from the start).
    pub fn new(cap: usize, after: Option<Candidate>) -> Closest {
        Closest { kept: Vec::new(), cap: cap.max(1), after, left_out: false }
    }

    /// Offer a scored candidate.
    pub fn offer(&mut self, c: Candidate) {
        if self.after.is_some_and(|a| c.total_cmp(&a).is_le()) {
            return;
        }
        // (memory for twice the cap, never more: trimming back to the cap then costs linear
        // time per cap candidates offered)
        let room = self.cap.saturating_mul(2);
        if self.kept.len() == self.kept.capacity() {
            let grown = self.kept.capacity().saturating_mul(2).max(FIRST_CHUNK).min(room);
            self.kept.reserve_exact(grown - self.kept.len());
        }
        self.kept.push(c);
        if self.kept.len() >= room {
            self.trim();
        }
    }

    /// Keep the `cap` closest.
    fn trim(&mut self) {
        if self.kept.len() > self.cap {
            self.kept.select_nth_unstable_by(self.cap - 1, Candidate::total_cmp);
            self.kept.truncate(self.cap);
            self.left_out = true;
        }
    }

    /// The round's candidates, taken in order (a candidate offered twice comes out once), and
    /// where the next round starts when some were left out (`None`: the pass is complete).
    pub fn finish(mut self) -> (Ranked, Option<Candidate>) {
        self.trim();
        let next = if self.left_out { self.kept.iter().copied().max_by(Candidate::total_cmp) } else { None };
        (Ranked { rest: self.kept, pos: 0, ordered: 0, last: None }, next)
    }
}

/// Candidates handed out in order, sorted a growing chunk at a time.
pub struct Ranked {
    rest: Vec<Candidate>,
    /// Next to hand out.
    pos: usize,
    /// `rest[pos..ordered]` is sorted, and nothing after it comes before it.
    ordered: usize,
    last: Option<Candidate>,
}

/// The first chunk a [`Ranked`] sorts; each next one is twice as long as all before it.
const FIRST_CHUNK: usize = 32;

impl Ranked {
    /// Candidates not handed out yet (with any duplicates).
    #[cfg(test)]
    fn remaining(&self) -> usize {
        self.rest.len() - self.pos
    }
}

impl Iterator for Ranked {
    type Item = Candidate;

    fn next(&mut self) -> Option<Candidate> {
        loop {
            if self.pos == self.ordered {
                let tail = &mut self.rest[self.pos..];
                if tail.is_empty() {
                    return None;
                }
                let chunk = (self.pos.max(FIRST_CHUNK / 2) * 2).min(tail.len());
                if chunk < tail.len() {
                    tail.select_nth_unstable_by(chunk - 1, Candidate::total_cmp);
                }
                tail[..chunk].sort_unstable_by(Candidate::total_cmp);
                self.ordered = self.pos + chunk;
            }
            let c = self.rest[self.pos];
            self.pos += 1;
            // duplicates are equal, so they come out next to each other
            if self.last.is_some_and(|l| l.total_cmp(&c).is_eq()) {
                continue;
            }
            self.last = Some(c);
            return Some(c);
        }
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

    #[test]
    fn a_round_never_holds_more_than_twice_its_cap() {
        for cap in [1usize, 5, 100, 1000] {
            let mut round = Closest::new(cap, None);
            for i in 0..20_000u64 {
                round.offer(Candidate::new(((i * 7919) % 10007) as f32, i));
                assert!(round.kept.capacity() <= (2 * cap).max(1), "cap {cap}: {}", round.kept.capacity());
            }
            let (ranked, next) = round.finish();
            assert!(next.is_some());
            let got: Vec<Candidate> = ranked.collect();
            assert_eq!(got.len(), cap);
            assert!(got.windows(2).all(|w| w[0].total_cmp(&w[1]).is_lt()));
        }
    }

    #[test]
    fn one_round_comes_out_in_order_however_far_it_is_taken() {
        // every candidate offered three times, in scrambled order, many equal distances
        let all: Vec<Candidate> = (0..5000u64).map(|i| Candidate::new(((i * 7919) % 997) as f32 / 7.0, i)).collect();
        let mut round = Closest::new(1 << 20, None);
        for k in 0..3u64 {
            (0..5000u64).map(|i| all[((i * 4999 + k * 13) % 5000) as usize]).for_each(|c| round.offer(c));
        }
        let (ranked, next) = round.finish();
        assert!(next.is_none());
        assert_eq!(ranked.remaining(), 15000);
        let mut want = all.clone();
        want.sort_by(Candidate::total_cmp);
        for take in [0, 1, 10, 31, 32, 33, 100, 5000] {
            let (ranked, _) = {
                let mut r = Closest::new(1 << 20, None);
                all.iter().chain(&all).for_each(|&c| r.offer(c));
                r.finish()
            };
            let got: Vec<Candidate> = ranked.take(take).collect();
            assert_eq!(got.len(), take);
            assert!(got.iter().zip(&want).all(|(a, b)| a.total_cmp(b).is_eq()), "first {take}");
        }
        let got: Vec<Candidate> = ranked.collect();
        assert_eq!(got.len(), 5000);
        assert!(got.iter().zip(&want).all(|(a, b)| a.total_cmp(b).is_eq()));
    }
}
