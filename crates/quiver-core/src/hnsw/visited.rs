//! Visited sets for graph traversal.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use super::NodeId;

/// A set of node ids seen during one traversal.
pub trait Visited {
    /// Mark `id` visited; `true` if it was not visited before.
    fn insert(&mut self, id: NodeId) -> bool;
    /// Forget every id.
    fn clear(&mut self);
}

const MUL: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline(always)]
fn fold_mul(x: u64) -> u64 {
    let r = (x as u128).wrapping_mul(MUL as u128);
    (r as u64) ^ ((r >> 64) as u64)
}

/// A fast hasher for integer keys: a folded 64×64→128-bit multiply, so that both
/// the low bits (bucket index) and high bits (hashbrown's control tag) depend on
/// every input bit. Not DoS resistant — only for trusted ids.
#[derive(Clone, Copy, Default, Debug)]
pub struct IdHasher {
    state: u64,
}

impl Hasher for IdHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.state
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.state = fold_mul(self.state ^ u64::from_le_bytes(b) ^ chunk.len() as u64);
        }
    }

    #[inline]
    fn write_u64(&mut self, x: u64) {
        self.state = fold_mul(self.state ^ x);
    }

    #[inline]
    fn write_u32(&mut self, x: u32) {
        self.write_u64(x as u64)
    }

    #[inline]
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64)
    }
}

pub type IdBuildHasher = BuildHasherDefault<IdHasher>;

/// Visited set for arbitrary `u64` ids (a `HashSet` with [`IdHasher`]).
#[derive(Clone, Debug, Default)]
pub struct HashVisited {
    set: HashSet<NodeId, IdBuildHasher>,
}

impl HashVisited {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(n: usize) -> Self {
        HashVisited {
            set: HashSet::with_capacity_and_hasher(n, IdBuildHasher::default()),
        }
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    pub fn contains(&self, id: NodeId) -> bool {
        self.set.contains(&id)
    }
}

impl Visited for HashVisited {
    #[inline]
    fn insert(&mut self, id: NodeId) -> bool {
        self.set.insert(id)
    }

    fn clear(&mut self) {
        self.set.clear()
    }
}

/// Visited set for dense ids `0..n`: a bitset that remembers which words it
/// dirtied, so [`Visited::clear`] costs O(touched) rather than O(n).
/// Ids `>= n` are accepted (the bitset grows).
#[derive(Clone, Debug, Default)]
pub struct BitVisited {
    words: Vec<u64>,
    dirty: Vec<usize>,
}

impl BitVisited {
    pub fn new(n: usize) -> Self {
        BitVisited {
            words: vec![0; n.div_ceil(64)],
            dirty: Vec::new(),
        }
    }

    pub fn contains(&self, id: NodeId) -> bool {
        let w = (id >> 6) as usize;
        w < self.words.len() && self.words[w] & (1u64 << (id & 63)) != 0
    }
}

impl Visited for BitVisited {
    #[inline]
    fn insert(&mut self, id: NodeId) -> bool {
        let w = (id >> 6) as usize;
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        let bit = 1u64 << (id & 63);
        let old = self.words[w];
        if old & bit != 0 {
            return false;
        }
        if old == 0 {
            self.dirty.push(w);
        }
        self.words[w] = old | bit;
        true
    }

    fn clear(&mut self) {
        if self.dirty.len() * 4 > self.words.len() {
            self.words.fill(0);
        } else {
            for &w in &self.dirty {
                self.words[w] = 0;
            }
        }
        self.dirty.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise<V: Visited>(v: &mut V) {
        for round in 0..3 {
            for id in (0..1000u64).map(|i| i * 7 + round) {
                assert!(v.insert(id));
                assert!(!v.insert(id));
            }
            v.clear();
            assert!(v.insert(round));
            v.clear();
        }
    }

    #[test]
    fn hash_visited() {
        let mut v = HashVisited::new();
        exercise(&mut v);
        let mut v = HashVisited::with_capacity(10);
        assert!(v.insert(1 << 40));
        assert!(!v.insert(1 << 40));
        assert!(v.insert(1 << 41));
    }

    #[test]
    fn bit_visited() {
        let mut v = BitVisited::new(8000);
        exercise(&mut v);
        let mut v = BitVisited::new(10);
        assert!(v.insert(100));
        assert!(v.contains(100));
        v.clear();
        assert!(!v.contains(100));
    }
}
