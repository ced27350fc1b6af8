//! Search, neighbour selection and insertion planning.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::{Candidate, Graph, HnswParams, NodeId, Visited};

/// Heap entry: a candidate plus the key that breaks distance ties. Ordinary
/// searches use the id (so the order is exactly [`Candidate::total_cmp`]);
/// construction searches use a salted hash of the id so that among many exactly
/// equidistant nodes (duplicates) each insertion keeps a different subset.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Keyed {
    pub c: Candidate,
    pub key: u64,
}

impl Keyed {
    #[inline]
    pub(crate) fn cmp_key(&self, o: &Self) -> Ordering {
        self.c
            .dist
            .total_cmp(&o.c.dist)
            .then_with(|| self.key.cmp(&o.key))
    }
}

/// Max-heap element: the heap top is the *furthest* candidate.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Far(pub Keyed);

impl PartialEq for Far {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Far {}
impl PartialOrd for Far {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Far {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.cmp_key(&o.0)
    }
}

/// Min-heap element: the heap top is the *nearest* candidate.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Near(pub Keyed);

impl PartialEq for Near {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Near {}
impl PartialOrd for Near {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Near {
    fn cmp(&self, o: &Self) -> Ordering {
        o.0.cmp_key(&self.0)
    }
}

/// Tie-breaking key for `id`: the id itself, or a salted bijective hash.
#[inline]
pub(crate) fn tie_key(id: NodeId, salt: Option<u64>) -> u64 {
    match salt {
        None => id,
        Some(s) => mix64(id ^ s),
    }
}

#[inline]
pub(crate) fn keyed(c: Candidate, salt: Option<u64>) -> Keyed {
    Keyed {
        c,
        key: tie_key(c.id, salt),
    }
}

pub(crate) fn sorted(results: BinaryHeap<Far>) -> Vec<Candidate> {
    results
        .into_sorted_vec()
        .into_iter()
        .map(|f| f.0.c)
        .collect()
}

/// The best-first exploration loop shared by [`search_layer`] and
/// [`super::IterativeSearch`].
///
/// `cands` holds nodes still to expand, `results` the best (at most `ef`) nodes
/// found. Stops when the nearest unexpanded candidate is further than the worst
/// result of a full result set (that candidate is pushed back) or nothing is left.
///
/// With `spill`, every evaluated node that does not stay in `results` (evicted, or
/// rejected on arrival) goes to `spill`, and rejected nodes are also queued in
/// `cands` so a later resumption can expand them. Rejected nodes compare greater
/// than the worst result at every later point, so this never changes which nodes
/// end up in `results` compared with a run without `spill`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn explore<G: Graph + ?Sized, V: Visited>(
    g: &G,
    cands: &mut BinaryHeap<Near>,
    results: &mut BinaryHeap<Far>,
    ef: usize,
    level: usize,
    dist: &mut dyn FnMut(NodeId) -> f32,
    visited: &mut V,
    mut spill: Option<&mut BinaryHeap<Near>>,
    buf: &mut Vec<NodeId>,
    salt: Option<u64>,
) {
    while let Some(Near(c)) = cands.pop() {
        if results.len() >= ef {
            if let Some(Far(worst)) = results.peek() {
                if c.cmp_key(worst) == Ordering::Greater {
                    cands.push(Near(c));
                    break;
                }
            }
        }
        buf.clear();
        g.neighbors(c.c.id, level, buf);
        // First mark and announce the unvisited neighbours (so their vectors can be
        // prefetched while the earlier ones are being compared), then compute distances.
        buf.retain(|&e| visited.insert(e));
        g.prefetch(buf);
        for &e in buf.iter() {
            let cand = keyed(Candidate::new(dist(e), e), salt);
            let admit = results.len() < ef
                || results
                    .peek()
                    .is_some_and(|w| cand.cmp_key(&w.0) == Ordering::Less);
            if admit {
                cands.push(Near(cand));
                results.push(Far(cand));
                if results.len() > ef {
                    let Far(out) = results.pop().expect("non-empty");
                    if let Some(s) = spill.as_deref_mut() {
                        s.push(Near(out));
                    }
                }
            } else if let Some(s) = spill.as_deref_mut() {
                s.push(Near(cand));
                cands.push(Near(cand));
            }
        }
    }
}

/// Best-first search at one level (the paper's SEARCH-LAYER).
///
/// `entries` are the starting points with their distances (duplicates ignored).
/// `visited` is cleared first, then used for this layer only. Returns up to
/// `max(ef,1)` candidates sorted ascending by `(dist, id)`.
pub fn search_layer<G: Graph + ?Sized, V: Visited>(
    g: &G,
    entries: &[Candidate],
    ef: usize,
    level: usize,
    dist: &mut dyn FnMut(NodeId) -> f32,
    visited: &mut V,
) -> Vec<Candidate> {
    search_layer_salted(g, entries, ef, level, dist, visited, None)
}

/// [`search_layer`] with distance ties broken by `tie_key(id, salt)`; the result
/// is sorted by `(dist, tie_key)`.
pub(crate) fn search_layer_salted<G: Graph + ?Sized, V: Visited>(
    g: &G,
    entries: &[Candidate],
    ef: usize,
    level: usize,
    dist: &mut dyn FnMut(NodeId) -> f32,
    visited: &mut V,
    salt: Option<u64>,
) -> Vec<Candidate> {
    let ef = ef.max(1);
    visited.clear();
    let mut cands = BinaryHeap::with_capacity(ef * 2);
    let mut results = BinaryHeap::with_capacity(ef + 1);
    for &e in entries {
        if visited.insert(e.id) {
            let k = keyed(e, salt);
            cands.push(Near(k));
            results.push(Far(k));
            if results.len() > ef {
                results.pop();
            }
        }
    }
    let mut buf = Vec::new();
    explore(
        g,
        &mut cands,
        &mut results,
        ef,
        level,
        dist,
        visited,
        None,
        &mut buf,
        salt,
    );
    sorted(results)
}

/// Greedy walk at one level (SEARCH-LAYER with ef = 1): move to the best
/// neighbour while that strictly improves `(dist, id)`.
pub(crate) fn greedy_closest<G: Graph + ?Sized>(
    g: &G,
    start: Candidate,
    level: usize,
    dist: &mut dyn FnMut(NodeId) -> f32,
    buf: &mut Vec<NodeId>,
) -> Candidate {
    let mut cur = start;
    loop {
        buf.clear();
        g.neighbors(cur.id, level, buf);
        g.prefetch(buf);
        let mut best = cur;
        for &e in buf.iter() {
            if e == cur.id {
                continue;
            }
            let c = Candidate::new(dist(e), e);
            if c.total_cmp(&best) == Ordering::Less {
                best = c;
            }
        }
        if best.id == cur.id {
            return cur;
        }
        cur = best;
    }
}

/// Candidate list size at level 1 of a descent (the paper uses 1, a greedy walk). On
/// clustered data the greedy walk ends in the wrong cluster often enough to cost
/// recall; a small beam at level 1 finds the nearest level-1 node far more often.
const UPPER_EF: usize = 8;

/// Greedy walk from the entry point through levels `top` down to `lowest` (nothing when
/// `top < lowest`).
fn greedy_descent<G: Graph + ?Sized>(
    g: &G,
    (ep, top): (NodeId, usize),
    lowest: usize,
    dist: &mut dyn FnMut(NodeId) -> f32,
    buf: &mut Vec<NodeId>,
) -> Candidate {
    let mut cur = Candidate::new(dist(ep), ep);
    for level in (lowest..=top).rev() {
        cur = greedy_closest(g, cur, level, dist, buf);
    }
    cur
}

/// A beam of `ef` candidates at level 1 from `start`.
fn level1_beam<G: Graph + ?Sized>(g: &G, start: Candidate, ef: usize, dist: &mut dyn FnMut(NodeId) -> f32) -> Vec<Candidate> {
    let mut v = super::HashVisited::with_capacity(ef * 16);
    search_layer(g, &[start], ef, 1, dist, &mut v)
}

/// Descent from the entry point down to (and including) `to_level` (`to_level >= 1`
/// normally): greedy above level 1, a beam of [`UPPER_EF`] at level 1. Returns the closest
/// node found.
pub(crate) fn descend<G: Graph + ?Sized>(
    g: &G,
    entry: (NodeId, usize),
    to_level: usize,
    dist: &mut dyn FnMut(NodeId) -> f32,
    buf: &mut Vec<NodeId>,
) -> Candidate {
    let cur = greedy_descent(g, entry, to_level.max(2), dist, buf);
    if to_level >= 2 || entry.1 == 0 {
        return cur;
    }
    level1_beam(g, cur, UPPER_EF, dist).first().copied().unwrap_or(cur)
}

/// Full k-NN search: descent from the entry point to level 1 ([`descend_to_entries`]),
/// then [`search_layer`] at level 0 with `max(ef, k)`; returns the best `k`
/// ascending. Empty for an empty graph or `k == 0`.
pub fn search<G: Graph + ?Sized, V: Visited>(
    g: &G,
    ef: usize,
    k: usize,
    dist: &mut dyn FnMut(NodeId) -> f32,
    visited: &mut V,
) -> Vec<Candidate> {
    if k == 0 {
        return Vec::new();
    }
    let Some(entry) = g.entry() else {
        return Vec::new();
    };
    let mut buf = Vec::new();
    let entries = descend_to_entries(g, entry, ef.max(k), dist, &mut buf);
    let mut res = search_layer(g, &entries, ef.max(k), 0, dist, visited);
    res.truncate(k);
    res
}

/// The level-0 entry points of a search with candidate list size `ef`: a greedy descent to
/// level 1, then a beam of `max(8, ef / 4)` at level 1 whose every result enters level 0.
///
/// On clustered data a single entry point sometimes lies in the wrong cluster, and a large
/// `ef` at level 0 cannot make up for it; several level-1 entries, more of them for a larger
/// `ef`, can. In process on 300k × 128 clustered vectors this lifts recall@10 at ef 100 from
/// 0.95 to 0.98 (and at ef 400 from 0.984 to 0.991) for 1–5% more distance evaluations; on
/// docs-minilm it changes recall by +0.0003 for about 1% more.
pub(crate) fn descend_to_entries<G: Graph + ?Sized>(
    g: &G,
    entry: (NodeId, usize),
    ef: usize,
    dist: &mut dyn FnMut(NodeId) -> f32,
    buf: &mut Vec<NodeId>,
) -> Vec<Candidate> {
    let cur = greedy_descent(g, entry, 2, dist, buf);
    if entry.1 == 0 {
        return vec![cur];
    }
    level1_beam(g, cur, UPPER_EF.max(ef / 4), dist)
}

/// The neighbour-selection heuristic (paper Algorithm 4, without extending the
/// candidate set, with "keep pruned connections" filling up to `m`).
///
/// `candidates` must be sorted ascending (by distance to the base element `q`,
/// which must not itself be among them). A candidate `e` is selected when it is
/// closer to `q` than to every already selected neighbour `s`
/// (`d(e,q) < d(e,s)`); an exact tie `d(e,q) == d(e,s)` also counts as diverse
/// when `s` is strictly closer to `q` than `e` — this matters for exact duplicate
/// vectors: a duplicate of `q` must not make every other point look redundant.
/// If fewer than `m` are selected that way, the nearest pruned candidates fill the
/// list up to `m` (among exactly equal distances, a pseudo-random choice derived
/// from the candidate set rather than the lowest ids, so that many duplicates do
/// not all link to the same few nodes).
///
/// `pair_dist(a, b)` is the distance between two candidates. Returns at most `m`
/// candidates, ascending.
pub fn select_neighbors(
    candidates: &[Candidate],
    m: usize,
    pair_dist: &mut dyn FnMut(NodeId, NodeId) -> f32,
) -> Vec<Candidate> {
    let salt = candidates
        .iter()
        .fold(0x243F_6A88_85A3_08D3u64, |h, c| h ^ mix64(c.id));
    select_neighbors_salted(candidates, m, pair_dist, salt)
}

#[inline]
fn mix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// [`select_neighbors`] with an explicit salt for breaking exact distance ties
/// in the fill phase (callers that know the base node pass its id).
pub(crate) fn select_neighbors_salted(
    candidates: &[Candidate],
    m: usize,
    pair_dist: &mut dyn FnMut(NodeId, NodeId) -> f32,
    salt: u64,
) -> Vec<Candidate> {
    if m == 0 {
        return Vec::new();
    }
    if candidates.len() <= m {
        let mut all = candidates.to_vec();
        all.sort_by(Candidate::total_cmp);
        return all;
    }
    let mut selected: Vec<Candidate> = Vec::with_capacity(m);
    let mut pruned: Vec<Candidate> = Vec::new();
    for &c in candidates {
        if selected.len() >= m {
            break;
        }
        let diverse = selected.iter().all(|s| {
            let d = pair_dist(c.id, s.id);
            c.dist < d || (c.dist == d && s.dist < c.dist)
        });
        if diverse {
            selected.push(c);
        } else {
            pruned.push(c);
        }
    }
    if selected.len() < m {
        // We only stop early once `selected` is full, so here every candidate was
        // examined and `pruned` holds all the others.
        let need = m - selected.len();
        let key = |c: &Candidate| mix64(c.id ^ salt);
        pruned.sort_by(|a, b| a.dist.total_cmp(&b.dist).then_with(|| key(a).cmp(&key(b))));
        selected.extend(pruned.into_iter().take(need));
        selected.sort_by(Candidate::total_cmp);
    }
    selected
}

/// One reverse-link update of an [`InsertPlan`].
#[derive(Clone, Debug, PartialEq)]
pub struct ListUpdate {
    pub node: NodeId,
    pub level: usize,
    /// The list as the plan read it (to merge with concurrent changes, see [`super::merge_list`]).
    pub seen: Vec<NodeId>,
    /// The complete new list.
    pub list: Vec<NodeId>,
}

/// What inserting a new node requires, computed against any [`Graph`].
#[derive(Clone, Debug, Default)]
pub struct InsertPlan {
    /// For each level `0..=new_level`: the new node's neighbour list (ascending by distance).
    /// At most [`HnswParams::new_links`] neighbours are chosen per level (`m`, and `1.5*m`
    /// at level 0, which has room for `2*m`; later insertions fill it through reverse links). Levels above
    /// the current entry level are empty.
    pub new_neighbors: Vec<Vec<Candidate>>,
    /// Reverse-link updates for every neighbour whose list changes (new node appended if
    /// capacity allows, otherwise the list re-selected with [`select_neighbors`] over
    /// old ∪ {new}).
    pub updates: Vec<ListUpdate>,
    /// Whether the new node becomes the entry point (`new_level` > current entry level, or graph empty).
    pub new_entry: bool,
    /// Every level-0 candidate the search found (ascending, before neighbour selection;
    /// excluded nodes included), e.g. to spot an existing copy of the new vector.
    pub nearest: Vec<Candidate>,
}

/// Search phase of an insertion: the new node's neighbour lists at levels
/// `0..=new_level` (empty above the current top level).
#[allow(clippy::too_many_arguments)]
pub(crate) fn find_neighbors<G: Graph + ?Sized, V: Visited>(
    g: &G,
    entry: (NodeId, usize),
    new_id: NodeId,
    new_level: usize,
    params: &HnswParams,
    dist_to_new: &mut dyn FnMut(NodeId) -> f32,
    mut rescore: Option<&mut dyn FnMut(NodeId) -> f32>,
    pair_dist: &mut dyn FnMut(NodeId, NodeId) -> f32,
    visited: &mut V,
    opts: &InsertOpts<'_>,
) -> (Vec<Vec<Candidate>>, Vec<Candidate>) {
    let mut out = vec![Vec::new(); new_level + 1];
    let mut nearest = Vec::new();
    let (_, top) = entry;
    let mut buf = Vec::new();
    // Greedy descent through the levels above the new node's top level.
    let cur = descend(g, entry, new_level + 1, dist_to_new, &mut buf);
    let mut eps = vec![cur];
    for level in (0..=new_level.min(top)).rev() {
        // Ties broken by a hash salted with the new id (see `Keyed`).
        let mut w = search_layer_salted(
            g,
            &eps,
            params.ef_construction,
            level,
            dist_to_new,
            visited,
            Some(new_id),
        );
        if !w.is_empty() {
            eps = w.clone();
        }
        if level == 0 {
            nearest = w.iter().copied().filter(|c| c.id != new_id).collect();
        }
        w.retain(|c| c.id != new_id && !opts.excluded(c.id));
        if let Some(extra) = opts.extra.and_then(|e| e.get(level)) {
            for &x in extra {
                if x != new_id && !opts.excluded(x) && !w.iter().any(|c| c.id == x) {
                    w.push(Candidate::new(dist_to_new(x), x));
                }
            }
            w.sort_by(Candidate::total_cmp);
        }
        let chosen = match rescore.as_deref_mut() {
            None => select_neighbors_salted(&w, params.new_links(level), pair_dist, new_id),
            Some(exact) => {
                // `w` was found with approximate distances: select over exact ones
                let mut ex: Vec<Candidate> = w.iter().map(|c| Candidate::new(exact(c.id), c.id)).collect();
                ex.sort_by(Candidate::total_cmp);
                select_neighbors_salted(&ex, params.new_links(level), pair_dist, new_id)
            }
        };
        out[level] = chosen;
    }
    (out, nearest)
}

/// A neighbour's list after linking the new node `new` to it (`new.dist` =
/// distance between `node` and the new node). `None` if the list does not change.
pub(crate) fn revise_list(
    node: NodeId,
    old: &[NodeId],
    new: Candidate,
    cap: usize,
    pair_dist: &mut dyn FnMut(NodeId, NodeId) -> f32,
) -> Option<Vec<NodeId>> {
    revise_list_lazy(node, old, new, cap, cap, pair_dist)
}

/// [`revise_list`] that lets the list grow to `room` (≥ `cap`) before pruning it back to
/// `cap` (in-memory builds prune once per `room - cap + 1` appends instead of at every
/// append to a full list; the lists are pruned to `cap` at the end of the build).
pub(crate) fn revise_list_lazy(
    node: NodeId,
    old: &[NodeId],
    new: Candidate,
    cap: usize,
    room: usize,
    pair_dist: &mut dyn FnMut(NodeId, NodeId) -> f32,
) -> Option<Vec<NodeId>> {
    if new.id == node || old.contains(&new.id) {
        return None;
    }
    if old.len() < room.max(cap) {
        let mut l = old.to_vec();
        l.push(new.id);
        return Some(l);
    }
    let ids = prune_list(node, old, Some(new), cap, pair_dist);
    if ids.len() == old.len() && ids.iter().all(|id| old.contains(id)) {
        None
    } else {
        Some(ids)
    }
}

/// `node`'s list `ids` (plus `extra`, whose distance is known) cut to `cap` with the
/// selection heuristic; duplicates and `node` itself are dropped.
pub(crate) fn prune_list(
    node: NodeId,
    ids: &[NodeId],
    extra: Option<Candidate>,
    cap: usize,
    pair_dist: &mut dyn FnMut(NodeId, NodeId) -> f32,
) -> Vec<NodeId> {
    let mut cands: Vec<Candidate> = Vec::with_capacity(ids.len() + 1);
    for &x in ids {
        if x != node && !cands.iter().any(|c| c.id == x) {
            cands.push(Candidate::new(pair_dist(node, x), x));
        }
    }
    cands.extend(extra);
    cands.sort_by(Candidate::total_cmp);
    select_neighbors_salted(&cands, cap, pair_dist, node)
        .iter()
        .map(|c| c.id)
        .collect()
}

/// Options of [`plan_insert_with`].
#[derive(Default, Clone, Copy)]
pub struct InsertOpts<'a> {
    /// Nodes that may be walked through but never chosen as neighbours (e.g. deleted ones).
    pub exclude: Option<&'a dyn Fn(NodeId) -> bool>,
    /// Per level, more candidates to consider besides those the search finds (e.g. a node's
    /// current neighbours when its lists are repaired).
    pub extra: Option<&'a [Vec<NodeId>]>,
}

impl InsertOpts<'_> {
    fn excluded(&self, id: NodeId) -> bool {
        self.exclude.is_some_and(|f| f(id))
    }
}

/// Plan the insertion of node `new_id` with level `new_level` into `g` (the
/// paper's INSERT, without modifying anything).
///
/// * `dist_to_new(x)` — distance between the new node and existing node `x`;
/// * `pair_dist(a, b)` — distance between two nodes. **It is also called with
///   `new_id` as either argument** (when an existing neighbour's full list is
///   re-selected over old ∪ {new}), so the caller must be able to resolve the new
///   node's vector there.
/// * `visited` is cleared and reused for each level searched.
///
/// Apply the plan by storing `new_neighbors[l]` (ids) as the new node's list at
/// each level, replacing each `updates` entry's list, and — if `new_entry` —
/// making the new node the entry point with level `new_level`.
pub fn plan_insert<G: Graph + ?Sized, V: Visited>(
    g: &G,
    new_id: NodeId,
    new_level: usize,
    params: &HnswParams,
    dist_to_new: &mut dyn FnMut(NodeId) -> f32,
    pair_dist: &mut dyn FnMut(NodeId, NodeId) -> f32,
    visited: &mut V,
) -> InsertPlan {
    plan_insert_with(g, new_id, new_level, params, dist_to_new, pair_dist, visited, &InsertOpts::default())
}

/// [`plan_insert`] with [`InsertOpts`].
///
/// The plan never leaves the new node without an incoming link at level 0: when every
/// neighbour's full list would prune it away (a near-duplicate of nodes already linked),
/// the nearest neighbour keeps it and prunes its own list to make room, so every inserted
/// node stays reachable.
///
/// Also used to re-link an existing node (`new_id` already in `g`, e.g. one whose neighbours
/// were deleted): the node itself is never its own candidate, and reverse links are only
/// planned where it is missing.
#[allow(clippy::too_many_arguments)]
pub fn plan_insert_with<G: Graph + ?Sized, V: Visited>(
    g: &G,
    new_id: NodeId,
    new_level: usize,
    params: &HnswParams,
    dist_to_new: &mut dyn FnMut(NodeId) -> f32,
    pair_dist: &mut dyn FnMut(NodeId, NodeId) -> f32,
    visited: &mut V,
    opts: &InsertOpts<'_>,
) -> InsertPlan {
    let Some(entry) = g.entry() else {
        return InsertPlan {
            new_neighbors: vec![Vec::new(); new_level + 1],
            updates: Vec::new(),
            new_entry: true,
            nearest: Vec::new(),
        };
    };
    let (new_neighbors, nearest) = find_neighbors(
        g,
        entry,
        new_id,
        new_level,
        params,
        dist_to_new,
        None,
        pair_dist,
        visited,
        opts,
    );
    let mut updates = Vec::new();
    let mut buf = Vec::new();
    for (level, list) in new_neighbors.iter().enumerate() {
        let cap = params.max_neighbors(level);
        let mut linked = false;
        for c in list {
            buf.clear();
            g.neighbors(c.id, level, &mut buf);
            if buf.contains(&new_id) {
                linked = true;
                continue;
            }
            if let Some(l) = revise_list(c.id, &buf, Candidate::new(c.dist, new_id), cap, pair_dist)
            {
                linked |= l.contains(&new_id);
                updates.push(ListUpdate { node: c.id, level, seen: buf.clone(), list: l });
            }
        }
        if level == 0 && !linked {
            if let Some(nearest) = list.first() {
                buf.clear();
                g.neighbors(nearest.id, 0, &mut buf);
                let mut l = vec![new_id];
                if cap > 1 {
                    l.extend(prune_list(nearest.id, &buf, None, cap - 1, pair_dist).into_iter().filter(|&x| x != new_id));
                }
                updates.retain(|u| !(u.node == nearest.id && u.level == 0));
                updates.push(ListUpdate { node: nearest.id, level: 0, seen: buf.clone(), list: l });
            }
        }
    }
    InsertPlan {
        new_neighbors,
        nearest,
        updates,
        new_entry: new_level > entry.1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_prefers_diverse() {
        // Points on a line: q at 0; candidates at 1, 1.1, 1.2 (clustered) and -2.
        let pos = |id: NodeId| -> f32 { [1.0, 1.1, 1.2, -2.0][id as usize] };
        let cands: Vec<Candidate> = (0..4).map(|i| Candidate::new(pos(i).abs(), i)).collect();
        let mut sorted_c = cands.clone();
        sorted_c.sort_by(Candidate::total_cmp);
        let mut pd = |a: NodeId, b: NodeId| (pos(a) - pos(b)).abs();
        let s = select_neighbors(&sorted_c, 2, &mut pd);
        let ids: Vec<_> = s.iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![0, 3]);
        // Filling: with m = 3 the nearest pruned (id 1) fills.
        let s = select_neighbors(&sorted_c, 3, &mut pd);
        let ids: Vec<_> = s.iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![0, 1, 3]);
        assert!(select_neighbors(&sorted_c, 0, &mut pd).is_empty());
    }
}
