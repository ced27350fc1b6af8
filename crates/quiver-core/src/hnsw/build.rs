//! In-memory graph with per-node locks, built in parallel with rayon.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering as AtomicOrdering};
use std::fs::File;
use std::sync::{Mutex, RwLock};

use rayon::prelude::*;

use super::search::{find_neighbors, prune_list, revise_list_lazy};
use super::links::Links;
use super::{search, BitVisited, Candidate, Graph, HashVisited, HnswParams, NodeId, MAX_LEVEL};

/// Extra room (percent of a level's capacity) a neighbour list may grow into during
/// an in-memory build before it is pruned back; every list is pruned to capacity at the end.
const SLACK_PERCENT: usize = 50;

/// An HNSW graph held in memory (its level-0 lists optionally in a mapped file, see
/// [`super::links`]): per node its level and one neighbour list (`u32` ids) per level.
#[derive(Debug)]
pub struct MemGraph {
    levels: Vec<u8>,
    links: Links,
    entry: RwLock<Option<(u32, usize)>>,
}

/// Ids a list at `level` may hold during a build with these parameters.
fn room(params: &HnswParams, level: usize) -> usize {
    let cap = params.max_neighbors(level);
    cap + cap * SLACK_PERCENT / 100
}

/// Bytes per node of the level-0 lists of a build (in memory, or in the link file).
pub fn link_bytes_per_node(params: &HnswParams) -> usize {
    super::links::slab_bytes_per_node(room(params, 0))
}

impl MemGraph {
    /// A graph with no links and no entry point for nodes with the given levels (each
    /// capped at [`MAX_LEVEL`]); level-0 lists in `link_file` when given.
    pub fn new(levels: &[usize], params: &HnswParams, link_file: Option<&File>) -> std::io::Result<Self> {
        let levels: Vec<u8> = levels.iter().map(|&l| l.min(MAX_LEVEL) as u8).collect();
        let links = Links::new(&levels, room(params, 0), link_file)?;
        Ok(MemGraph { levels, links, entry: RwLock::new(None) })
    }

    pub fn len(&self) -> usize {
        self.levels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.levels.is_empty()
    }

    pub fn level(&self, node: u32) -> usize {
        self.levels[node as usize] as usize
    }

    /// A copy of `node`'s neighbours at `level` (empty above its level).
    pub fn neighbors_of(&self, node: u32, level: usize) -> Vec<u32> {
        let mut out = Vec::new();
        self.links.read(node, level, &mut out);
        out
    }

    pub fn entry_point(&self) -> Option<(u32, usize)> {
        *self.entry.read().unwrap_or_else(|e| e.into_inner())
    }

    fn set_entry(&self, e: Option<(u32, usize)>) {
        *self.entry.write().unwrap_or_else(|e| e.into_inner()) = e;
    }

    /// Prunes every list longer than its level's capacity with the selection heuristic
    /// (lists may exceed it during a build, see [`SLACK_PERCENT`]).
    fn prune_to_capacity(&self, params: &HnswParams, pair_dist: &(dyn Fn(u32, u32) -> f32 + Sync)) {
        (0..self.len()).into_par_iter().for_each(|i| {
            let mut d = |a: NodeId, b: NodeId| pair_dist(a as u32, b as u32);
            for level in 0..=self.level(i as u32) {
                let cap = params.max_neighbors(level);
                self.links.update(i as u32, level, |list| {
                    if list.len() > cap {
                        let ids: Vec<NodeId> = list.iter().map(|&x| x as NodeId).collect();
                        *list = prune_list(i as NodeId, &ids, None, cap, &mut d).iter().map(|&x| x as u32).collect();
                    }
                });
            }
        });
    }

    /// Insert node `i` (its level was fixed at construction), linking it into the
    /// graph. Safe to call concurrently for distinct nodes.
    fn insert(&self, i: u32, params: &HnswParams, fns: &BuildFns<'_>, visited: &mut BitVisited, upgrade: &Mutex<()>) {
        let (pair_dist, prefetch) = (fns.pair_dist, fns.prefetch);
        let lvl = self.level(i);
        // A node that will raise the top level holds `upgrade` for its whole
        // insertion so that concurrent raises serialise.
        let _guard = match self.entry_point() {
            Some((_, top)) if lvl <= top => None,
            _ => Some(upgrade.lock().unwrap_or_else(|e| e.into_inner())),
        };
        let Some((ep, top)) = self.entry_point() else {
            self.set_entry(Some((i, lvl)));
            return;
        };
        let mut d_exact = |x: NodeId| pair_dist(i, x as u32);
        let mut d_pair = |a: NodeId, b: NodeId| pair_dist(a as u32, b as u32);
        let view = WithPrefetch { g: self, prefetch };
        // With an approximate search distance, candidates are re-scored exactly.
        let mut d_approx = fns.search_dist.map(|approx| move |x: NodeId| approx(i, x as u32));
        let (search_dist, rescore): (&mut dyn FnMut(NodeId) -> f32, Option<&mut dyn FnMut(NodeId) -> f32>) =
            match d_approx.as_mut() {
                None => (&mut d_exact, None),
                Some(approx) => (approx, Some(&mut d_exact)),
            };
        let found = find_neighbors(&view, (ep as NodeId, top), i as NodeId, lvl, params, search_dist, rescore, &mut d_pair, visited, &Default::default()).0;
        for (level, list) in found.iter().enumerate() {
            self.links.update(i, level, |own| {
                own.clear();
                own.extend(list.iter().map(|c| c.id as u32));
            });
        }
        let mut old: Vec<NodeId> = Vec::new();
        for (level, list) in found.iter().enumerate() {
            let cap = params.max_neighbors(level);
            let room = room(params, level);
            for c in list {
                self.links.update(c.id as u32, level, |cur| {
                    old.clear();
                    old.extend(cur.iter().map(|&x| x as NodeId));
                    if let Some(new_list) =
                        revise_list_lazy(c.id, &old, Candidate::new(c.dist, i as NodeId), cap, room, &mut d_pair)
                    {
                        cur.clear();
                        cur.extend(new_list.iter().map(|&x| x as u32));
                    }
                });
            }
        }
        if lvl > top {
            self.set_entry(Some((i, lvl)));
        }
    }
}

impl Graph for MemGraph {
    fn entry(&self) -> Option<(NodeId, usize)> {
        self.entry_point().map(|(n, l)| (n as NodeId, l))
    }

    fn neighbors(&self, node: NodeId, level: usize, out: &mut Vec<NodeId>) {
        let Ok(node) = u32::try_from(node) else { return };
        self.links.read(node, level, out);
    }
}

/// A [`MemGraph`] seen through [`Graph`] with a caller-supplied prefetch hint.
struct WithPrefetch<'a> {
    g: &'a MemGraph,
    prefetch: &'a (dyn Fn(u32) + Sync),
}

impl Graph for WithPrefetch<'_> {
    fn entry(&self) -> Option<(NodeId, usize)> {
        self.g.entry()
    }
    fn neighbors(&self, node: NodeId, level: usize, out: &mut Vec<NodeId>) {
        self.g.neighbors(node, level, out)
    }
    fn prefetch(&self, nodes: &[NodeId]) {
        for &node in nodes {
            (self.prefetch)(node as u32)
        }
    }
}

/// Build a graph over `n` nodes with the given levels (`levels[i]`, e.g. from
/// [`super::random_levels`]), inserting nodes in parallel on the current rayon
/// pool. Node 0 seeds the graph; the others are handed out in increasing order
/// to one worker per pool thread.
///
/// `pair_dist(a, b)` is the (symmetric) distance between nodes `a` and `b` and must
/// be thread-safe. `progress(done)` is called from worker threads about every
/// 1024 insertions, and once with `n` at the end.
///
/// Panics if `levels.len() < n` or `n > u32::MAX`.
pub fn build_parallel(
    n: usize,
    levels: &[usize],
    params: &HnswParams,
    pair_dist: &(dyn Fn(u32, u32) -> f32 + Sync),
    progress: &(dyn Fn(usize) + Sync),
) -> MemGraph {
    build_parallel_with_prefetch(n, levels, params, pair_dist, &|_| {}, progress)
}

/// [`build_parallel`] with `prefetch(node)` called just before distances to `node` are
/// computed, so the caller can prefetch the node's vector (graph building is bound by
/// memory latency: each distance touches a vector at a random address).
pub fn build_parallel_with_prefetch(
    n: usize,
    levels: &[usize],
    params: &HnswParams,
    pair_dist: &(dyn Fn(u32, u32) -> f32 + Sync),
    prefetch: &(dyn Fn(u32) + Sync),
    progress: &(dyn Fn(usize) + Sync),
) -> MemGraph {
    let fns = BuildFns { pair_dist, search_dist: None, prefetch, progress, cancelled: &|| false, link_file: None };
    match build_parallel_with(n, levels, params, &fns) {
        Ok(g) => g,
        Err(e) => unreachable!("an in-memory build that is never cancelled failed: {e:?}"),
    }
}

/// What a parallel build computes with (all called from rayon's threads).
pub struct BuildFns<'a> {
    /// The exact (symmetric) distance between nodes `a` and `b`.
    pub pair_dist: &'a (dyn Fn(u32, u32) -> f32 + Sync),
    /// A cheaper approximation of `pair_dist` (e.g. over reduced-precision copies of the
    /// vectors, which halve the memory traffic) used to walk the graph while looking for a
    /// new node's neighbours; the candidates found are re-scored with `pair_dist` before
    /// neighbours are selected, so links and pruning always use exact distances.
    pub search_dist: Option<&'a (dyn Fn(u32, u32) -> f32 + Sync)>,
    /// Called just before distances to a node are computed (to prefetch its vector).
    pub prefetch: &'a (dyn Fn(u32) + Sync),
    /// Called with the number of nodes inserted, about every 1024 and once at the end.
    pub progress: &'a (dyn Fn(usize) + Sync),
    /// Polled by every worker about every 64 insertions: `true` stops the build.
    pub cancelled: &'a (dyn Fn() -> bool + Sync),
    /// A file private to the build to hold the level-0 lists (mapped into memory) instead of
    /// process memory; it is resized to `n ×` [`link_bytes_per_node`].
    pub link_file: Option<&'a File>,
}

/// Why [`build_parallel_with`] returned no graph.
#[derive(Debug)]
pub enum BuildError {
    /// [`BuildFns::cancelled`] returned `true`.
    Cancelled,
    /// The link file could not be sized or mapped.
    LinkFile(std::io::Error),
}

/// [`build_parallel`] with everything [`BuildFns`] offers.
pub fn build_parallel_with(n: usize, levels: &[usize], params: &HnswParams, fns: &BuildFns<'_>) -> Result<MemGraph, BuildError> {
    let (pair_dist, progress) = (fns.pair_dist, fns.progress);
    assert!(levels.len() >= n, "levels shorter than n");
    assert!(n <= u32::MAX as usize, "too many nodes for u32 ids");
    let g = MemGraph::new(&levels[..n], params, fns.link_file).map_err(BuildError::LinkFile)?;
    if n == 0 {
        progress(0);
        return Ok(g);
    }
    g.set_entry(Some((0, g.level(0))));
    let next = AtomicUsize::new(1);
    let done = AtomicUsize::new(1);
    let upgrade = Mutex::new(());
    let stop = AtomicBool::new(false);
    let workers = rayon::current_num_threads().clamp(1, n);
    (0..workers).into_par_iter().for_each(|_| {
        let mut visited = BitVisited::new(n);
        loop {
            let i = next.fetch_add(1, AtomicOrdering::Relaxed);
            if i >= n || stop.load(AtomicOrdering::Relaxed) {
                break;
            }
            if i % 64 == 0 && (fns.cancelled)() {
                stop.store(true, AtomicOrdering::Relaxed);
                break;
            }
            g.insert(i as u32, params, fns, &mut visited, &upgrade);
            let d = done.fetch_add(1, AtomicOrdering::Relaxed) + 1;
            if d.is_multiple_of(1024) {
                progress(d);
            }
        }
    });
    if stop.load(AtomicOrdering::Relaxed) {
        return Err(BuildError::Cancelled);
    }
    g.prune_to_capacity(params, pair_dist);
    g.connect_unreachable(params, pair_dist);
    progress(n);
    Ok(g)
}

impl MemGraph {
    /// Nodes reachable from the entry point through level-0 links (the level every search ends
    /// on, and the one an iterative scan walks).
    pub fn reachable(&self) -> Vec<bool> {
        let mut seen = vec![false; self.len()];
        if let Some((e, _)) = self.entry_point() {
            self.mark_from(e, &mut seen);
        }
        seen
    }

    fn mark_from(&self, start: u32, seen: &mut [bool]) {
        if seen[start as usize] {
            return;
        }
        seen[start as usize] = true;
        let mut stack = vec![start];
        let mut buf: Vec<u32> = Vec::new();
        while let Some(x) = stack.pop() {
            buf.clear();
            self.links.read(x, 0, &mut buf);
            for &y in &buf {
                if (y as usize) < seen.len() && !seen[y as usize] {
                    seen[y as usize] = true;
                    stack.push(y);
                }
            }
        }
    }

    /// Give every node the entry point cannot reach an incoming level-0 link, so that every
    /// row stays findable. Pruning can leave a node without incoming links (every neighbour
    /// found closer ones); such a node is linked from its nearest reachable node, which, when
    /// its list is full, gives up the member with the most other incoming links. Returns the
    /// number of nodes that were unreachable.
    pub fn connect_unreachable(&self, params: &HnswParams, pair_dist: &(dyn Fn(u32, u32) -> f32 + Sync)) -> usize {
        let mut seen = self.reachable();
        let missing = seen.iter().filter(|s| !**s).count();
        if missing == 0 || self.is_empty() {
            return 0;
        }
        let cap = params.max_neighbors(0);
        let mut indegree = vec![0u32; self.len()];
        let mut buf: Vec<u32> = Vec::new();
        for x in 0..self.len() as u32 {
            buf.clear();
            self.links.read(x, 0, &mut buf);
            for &y in &buf {
                if let Some(d) = indegree.get_mut(y as usize) {
                    *d += 1;
                }
            }
        }
        let mut visited = HashVisited::new();
        for u in 0..self.len() as u32 {
            if seen[u as usize] {
                continue;
            }
            // the nearest reachable node: among u's own neighbours, else by a search
            buf.clear();
            self.links.read(u, 0, &mut buf);
            let from_list = buf
                .iter()
                .filter(|&&y| seen[y as usize])
                .map(|&y| (pair_dist(u, y), y))
                .min_by(|a, b| a.0.total_cmp(&b.0));
            let host = match from_list {
                Some((_, y)) => y,
                None => {
                    let ef = params.ef_construction.max(16);
                    let found = search(self, ef, ef, &mut |x| if x == u as NodeId { f32::INFINITY } else { pair_dist(u, x as u32) }, &mut visited);
                    match found.iter().find(|c| c.id != u as NodeId && seen[c.id as usize]) {
                        Some(c) => c.id as u32,
                        None => match self.entry_point() {
                            Some((e, _)) if e != u => e,
                            _ => continue,
                        },
                    }
                }
            };
            let linked = self.links.update(host, 0, |list| {
                if list.contains(&u) {
                    return true;
                }
                if list.len() >= cap {
                    // give up the member with the most incoming links (it stays reachable)
                    if let Some((i, _)) = list.iter().enumerate().filter(|(_, &w)| indegree[w as usize] > 1).max_by_key(|(_, &w)| indegree[w as usize]) {
                        indegree[list[i] as usize] -= 1;
                        list.swap_remove(i);
                    } else {
                        return false;
                    }
                }
                list.push(u);
                indegree[u as usize] += 1;
                true
            });
            if linked == Some(true) {
                self.mark_from(u, &mut seen);
            }
        }
        missing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_unreachable_links_stranded_nodes() {
        let params = HnswParams::new(4, 16);
        let pts: Vec<[f32; 2]> = (0..300).map(|i| [(i % 17) as f32, (i / 17) as f32]).collect();
        let d = |a: u32, b: u32| {
            let (p, q) = (pts[a as usize], pts[b as usize]);
            (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)
        };
        let levels = vec![0usize; pts.len()];
        let g = build_parallel(pts.len(), &levels, &params, &d, &|_| {});
        assert!(g.reachable().iter().all(|&r| r));
        // strand two nodes: nothing links to them any more
        for stranded in [7u32, 150] {
            for x in 0..pts.len() as u32 {
                g.links.update(x, 0, |l| l.retain(|&y| y != stranded));
            }
        }
        let reach = g.reachable();
        assert!(!reach[7] && !reach[150]);
        assert_eq!(g.connect_unreachable(&params, &d), 2);
        assert!(g.reachable().iter().all(|&r| r));
        let cap = params.max_neighbors(0);
        for x in 0..pts.len() as u32 {
            assert!(g.neighbors_of(x, 0).len() <= cap);
        }
        assert_eq!(g.connect_unreachable(&params, &d), 0);
    }
}
